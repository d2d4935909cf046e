/**
 * events.ts: reads the event log cluster.run() returns (struct dl_event in
 * native/include/dsrlab/cluster.h, 64 bytes each, offsets pinned there by static asserts) into
 * typed objects, with the C enums as string unions. What the events mean for summaries, pcaps
 * and flow logs is replay's business (done in C, native/src/replay_sink.c, without decoding
 * them here); the frames they point at stay in the run's arena.
 */

/** Bytes per event (sizeof(struct dl_event)). */
export const EVENT_SIZE = 64;

/** Field offsets of struct dl_event. */
export const EVENT_OFFSETS = {
  pkt: 0,
  parent: 4,
  tsSec: 8,
  tsNsec: 16,
  host: 20,
  peer: 24,
  point: 28,
  verdict: 29,
  flags: 30,
  drop: 32,
  off: 36,
  len: 40,
  backend: 44,
  hash: 48,
  slot: 52,
  natPort: 56,
  state: 60,
} as const;

/** enum dl_point, by C value (1-based). */
export const EVENT_POINTS = [
  'WIRE_TX', // left the host's link (capture point wire-<host>)
  'WIRE_RX', // arrived on the host's link (wire-<host>)
  'TAP_RX', // tcpdump on the node's external device, receive side
  'TAP_TX', // tcpdump, transmit side
  'XDP', // bpf_xdp on the external device
  'TC_INGRESS', // bpf_host from-netdev
  'TC_EGRESS', // bpf_host to-netdev
  'LXC_EGRESS', // bpf_lxc from-container
  'LXC_INGRESS', // delivery into the pod
  'STACK', // the node's own network stack
  'POD', // the pod's application received it
  'CLIENT', // a client received it
] as const;
export type EventPoint = (typeof EVENT_POINTS)[number];

/** enum dl_verdict, by C value (0-based). */
export const EVENT_VERDICTS = ['SEEN', 'PASS', 'TRANSLATED', 'TX', 'REDIRECT', 'DROPPED', 'DELIVERED', 'TO_STACK', 'ANSWERED'] as const;
export type EventVerdict = (typeof EVENT_VERDICTS)[number];

/** DL_EVF_* bits. */
export const EVF_REPLY = 0x01;
export const EVF_DSR = 0x02;
export const EVF_SNAT = 0x04;
export const EVF_GENERATED = 0x08;
export const EVF_FINAL = 0x10;

/** Packet ids from this one up were made by the emulation (responder replies). */
export const MADE_PACKET_ID_BASE = 0x80000000;

/** "No host" / "no peer" in the log (UINT32_MAX), e.g. a withheld server packet. */
export const NO_HOST = 0xffffffff;

/** One hop of one packet. */
/** State a program created at a hop (DL_EVS_* in native/include/dsrlab/cluster.h). */
export type EventState = 'ct-service' | 'ct-nodeport' | 'snat-mapping' | 'dsr-backend' | 'affinity';
const STATE_BITS: [number, EventState][] = [
  [0x01, 'ct-service'],
  [0x02, 'ct-nodeport'],
  [0x04, 'snat-mapping'],
  [0x08, 'dsr-backend'],
  [0x10, 'affinity'],
];
function stateNames(bits: number): EventState[] {
  return STATE_BITS.filter(([b]) => bits & b).map(([, n]) => n);
}

export interface DatapathEvent {
  /** Packet id: the capture index (0-based), or ≥ MADE_PACKET_ID_BASE for packets the emulation made. */
  pkt: number;
  /** For made packets the packet they answer; else equal to pkt. */
  parent: number;
  tsSec: number;
  tsNsec: number;
  /** Host id, or null (NO_HOST). */
  host: number | null;
  /** Wire events: the other end of the link; else null. */
  peer: number | null;
  point: EventPoint;
  verdict: EventVerdict;
  /** The raw DL_EVF_* bits, and each decoded. */
  flags: number;
  reply: boolean;
  dsr: boolean;
  snat: boolean;
  generated: boolean;
  final: boolean;
  /** Negative DROP_* code with verdict DROPPED; else 0. */
  drop: number;
  /** The frame at this point: arena[off, off + len) (Ethernet). len 0: not stored (arena full). */
  off: number;
  len: number;
  /** Service events: the chosen backend id (0: none). */
  backend: number;
  /** Maglev hash and slot of a new selection (random: slot is 1-based, hash 0). */
  hash: number;
  slot: number;
  /** SNAT: the allocated port (0: none). */
  natPort: number;
  /** Datapath state this hop created (DL_EVS_* in cluster.h), by name. */
  created: EventState[];
}

function pointName(v: number): EventPoint {
  const p = EVENT_POINTS[v - 1];
  if (!p) throw new Error(`dsrlab internal: event point ${v} is not one of dl_point`);
  return p;
}

function verdictName(v: number): EventVerdict {
  const p = EVENT_VERDICTS[v];
  if (!p) throw new Error(`dsrlab internal: event verdict ${v} is not one of dl_verdict`);
  return p;
}

/** Number of events in an event buffer. */
export function eventCount(buf: Buffer): number {
  if (buf.length % EVENT_SIZE !== 0) throw new Error(`dsrlab internal: event buffer of ${buf.length} bytes is not a multiple of ${EVENT_SIZE}`);
  return buf.length / EVENT_SIZE;
}

/** Decodes event i of buf. */
export function decodeEvent(buf: Buffer, i: number): DatapathEvent {
  const o = i * EVENT_SIZE;
  const host = buf.readUInt32LE(o + EVENT_OFFSETS.host);
  const peer = buf.readUInt32LE(o + EVENT_OFFSETS.peer);
  const flags = buf.readUInt16LE(o + EVENT_OFFSETS.flags);
  return {
    pkt: buf.readUInt32LE(o + EVENT_OFFSETS.pkt),
    parent: buf.readUInt32LE(o + EVENT_OFFSETS.parent),
    tsSec: Number(buf.readBigInt64LE(o + EVENT_OFFSETS.tsSec)),
    tsNsec: buf.readUInt32LE(o + EVENT_OFFSETS.tsNsec),
    host: host === NO_HOST ? null : host,
    peer: peer === NO_HOST ? null : peer,
    point: pointName(buf[o + EVENT_OFFSETS.point]!),
    verdict: verdictName(buf[o + EVENT_OFFSETS.verdict]!),
    flags,
    reply: (flags & EVF_REPLY) !== 0,
    dsr: (flags & EVF_DSR) !== 0,
    snat: (flags & EVF_SNAT) !== 0,
    generated: (flags & EVF_GENERATED) !== 0,
    final: (flags & EVF_FINAL) !== 0,
    drop: buf.readInt32LE(o + EVENT_OFFSETS.drop),
    off: buf.readUInt32LE(o + EVENT_OFFSETS.off),
    len: buf.readUInt32LE(o + EVENT_OFFSETS.len),
    backend: buf.readUInt32LE(o + EVENT_OFFSETS.backend),
    hash: buf.readUInt32LE(o + EVENT_OFFSETS.hash),
    slot: buf.readUInt32LE(o + EVENT_OFFSETS.slot),
    natPort: buf.readUInt32LE(o + EVENT_OFFSETS.natPort),
    created: stateNames(buf.readUInt16LE(o + EVENT_OFFSETS.state)),
  };
}

/** Decodes every event of buf. */
export function decodeEvents(buf: Buffer): DatapathEvent[] {
  const n = eventCount(buf);
  const out: DatapathEvent[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = decodeEvent(buf, i);
  return out;
}

/** The frame bytes of an event (a view into the arena, not a copy). */
export function eventFrame(arena: Buffer, e: DatapathEvent): Buffer {
  return arena.subarray(e.off, e.off + e.len);
}

/** True for packets the emulation made (responder replies), not the capture's. */
export function isMadePacket(pkt: number): boolean {
  return pkt >= MADE_PACKET_ID_BASE;
}
