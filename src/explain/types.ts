/**
 * types.ts: the shape of an Explanation, what `explain()` returns and `dsrlab explain --json`
 * prints: one flow's packets hop by hop, with header diffs, state, backend choice and capture
 * visibility. How it is computed is explain.ts's; how it is drawn is render.ts's.
 */
import type { Responder } from '../datapath/config.js';
import type { EventPoint, EventState, EventVerdict } from '../datapath/events.js';
import type { Acceleration, DsrDispatch, LbMode } from '../scenario/types.js';
import type { FieldChange, HeaderView } from './headers.js';

export type { FieldChange, HeaderView } from './headers.js';

/** An address with an optional port, and the host that owns the address when one does. */
export interface Endpoint {
  address: string;
  port?: number;
  host?: string;
}

export type HostRole = 'client' | 'lb' | 'backend-node' | 'backend' | 'node' | 'pod';

/** A host the flow touched (a column of the sequence diagram), in column order. */
export interface ExplainHost {
  name: string;
  kind: 'client' | 'node' | 'pod';
  /** `lb`: the node that load-balanced the request; `backend-node`: the chosen pod's node; `backend`: the chosen pod. */
  role: HostRole;
  /** Its address in the flow's family. */
  address?: string;
  /** Pods: the node they run on. */
  node?: string;
  /** The shared host of undeclared sources. */
  world?: boolean;
}

/** A drop: Cilium's name and number, and the text Hubble prints. */
export interface DropInfo {
  code: number;
  name: string;
  description: string;
  /** Hubble's flow.proto DropReason name, where it has one. */
  hubble?: string;
}

/** Which backend a service lookup chose, and how. */
export interface BackendChoice {
  id: number;
  pod: string;
  node?: string;
  address: string;
  port: number;
  protocol: string;
  /** Where the choice was made. */
  host: string;
  point: EventPoint;
  /** `maglev` / `random`: a new selection at this hop; `conntrack`: an existing entry gave the backend. */
  how: 'maglev' | 'random' | 'conntrack';
  /** Maglev: the packet's hash and the table slot (hash mod tableSize). */
  maglev?: { hash: number; slot: number; tableSize: number };
  /** Random: the 1-based slot among `of` backends. */
  random?: { slot: number; of?: number };
}

/** State a hop created, in words. */
export interface CreatedState {
  kind: EventState;
  host: string;
  text: string;
}

/** One hop of one packet. */
export interface ExplainedHop {
  /** 1-based position among the packet's hops. */
  n: number;
  host: string;
  hostKind: 'client' | 'node' | 'pod' | 'none';
  point: EventPoint;
  /** Short name of the hook or capture point (`tc ingress`, `XDP`, `wire tx`, …). */
  hook: string;
  /** Cilium program (and section) that runs there, where one does. */
  program?: string;
  verdict: EventVerdict;
  /** What happened, in words (`DNAT to the backend · +DSR option`, `XDP_TX`, …). */
  action: string;
  reply: boolean;
  dsr: boolean;
  snat: boolean;
  generated: boolean;
  final: boolean;
  /** Wire hops: the other end of the link; pod delivery: the pod. */
  peer?: string;
  /** The capture point that records this hop (`wire-<host>`, `tcpdump-<node>`). */
  capturePoint?: string;
  drop?: DropInfo;
  /** Frame bytes at this hop. */
  length: number;
  headers: HeaderView;
  /** What changed against the previous hop of the same packet. */
  changes: FieldChange[];
  created: CreatedState[];
  backend?: BackendChoice;
  /** SNAT: the allocated port. */
  natPort?: number;
}

/** One crossing of a link (an arrow of the sequence diagram). */
export interface WireCrossing {
  from: string;
  to: string;
  /** The packet as it crossed, e.g. `203.0.113.7:40000 → 10.244.1.10:8080 [S] +DSR opt`. */
  label: string;
  /** IP total length as it crossed. */
  ipLength?: number;
  /** Sent out by XDP (XDP_TX / XDP_REDIRECT): no tap on the sender saw it leave. */
  xdp?: boolean;
}

export interface PacketFate {
  outcome: 'delivered' | 'to-stack' | 'dropped' | 'answered' | 'unaccounted';
  host?: string;
  point?: EventPoint;
  drop?: DropInfo;
  /** Answered: the ICMP error the datapath sent back, e.g. `ICMP fragmentation needed mtu 1492`. */
  answer?: string;
  /** Answered: who answered. */
  answeredBy?: string;
}

/** One packet of the flow with all its hops. */
export interface ExplainedPacket {
  /** 1-based number within the explanation (`#1`). */
  index: number;
  /** The emulation's packet id. */
  id: number;
  /** Packets of a capture: the frame number in the capture (1-based, as Wireshark counts). */
  captureFrame?: number;
  /** For replies made by the responder: the index of the packet they answer. */
  answers?: number;
  role: 'request' | 'reply';
  /** Who sent it: the client (or capture client), the capture's server, the echo responder. */
  origin: 'client' | 'capture-server' | 'responder';
  /** The packet as first sent. */
  label: string;
  fate: PacketFate;
  /** Hosts it crossed, in order (from the first sender to the last receiver). */
  path: string[];
  crossings: WireCrossing[];
  /** Capture points that recorded it. */
  seenBy: string[];
  /** tcpdump on a node it crossed that did not record it, and why. */
  missedBy: { point: string; reason: string }[];
  hops: ExplainedHop[];
}

/** What `tcpdump -i <external device>` on one node showed of the flow. */
export interface TcpdumpView {
  node: string;
  shown: { packet: number; direction: 'rx' | 'tx'; label: string }[];
  missed: { packet: number; direction: 'rx' | 'tx'; reason: string }[];
}

export interface ExplanationInput {
  kind: 'packet' | 'capture';
  /** --packet: the SPECs sent, in order. */
  specs?: string[];
  /** --capture: the file, the flow's number, how many flows it holds, and the flow's packets in the capture (0-based). */
  capture?: string;
  flow?: number;
  flows?: number;
  capturePackets?: number[];
}

/** One flow explained: `explain()`'s result and `dsrlab explain --json`'s output. */
export interface Explanation {
  scenario: string;
  ciliumVersion: string;
  mode: LbMode;
  dispatch: DsrDispatch;
  acceleration: Acceleration;
  responder: Responder;
  input: ExplanationInput;
  flow: {
    protocol: string;
    family: 4 | 6;
    client: Endpoint;
    frontend: Endpoint;
    /** The Service the frontend belongs to, if any. */
    service?: { name: string; kind: string; forwarding: 'dsr' | 'snat'; algorithm: string };
    backend?: BackendChoice;
  };
  hosts: ExplainHost[];
  packets: ExplainedPacket[];
  tcpdump: TcpdumpView[];
  summary: {
    packets: number;
    requests: number;
    replies: number;
    delivered: number;
    dropped: number;
    answered: number;
    toStack: number;
    lbNode?: string;
    backendNode?: string;
    /** Hosts the first request crossed, and the first reply. */
    requestPath: string[];
    replyPath?: string[];
    /** The source the backend pod saw on the first request that reached it. */
    backendSaw?: Endpoint;
    /** The source the client saw on the first reply that reached it. */
    clientSaw?: Endpoint;
    /** State created, per host, in order. */
    state: { host: string; kinds: EventState[] }[];
  };
}
