/**
 * analysis.ts: what every invariant needs to read a TrafficRun: each hop's frame parsed once,
 * the hops of each packet in order, which flow a packet (or a reply, or an ICMP error) belongs
 * to, where a flow was load-balanced and to which pod, the MTU of every link, and how to name
 * flows, packets and hops in an explanation. Memoised per run. The invariants themselves are
 * the files beside this directory.
 * @internal
 */
import type { Hop } from '../../../cluster.js';
import type { FrontendInfo } from '../../../datapath/control-plane.js';
import { canonicalIp } from '../../../datapath/flow-record.js';
import { isMadePacket } from '../../../datapath/events.js';
import type { ParsedPacket } from '../../../native.js';
import { parsePackets } from '../../../packet/parse.js';
import type { Service } from '../../../scenario/types.js';
import type { SentPacket, TrafficRun } from '../../run.js';
import { formatFlow, formatPacket, tcpFlagNames, type Flow } from '../../traffic.js';

/** The fields of a parsed frame the invariants read (addresses canonical). */
export interface FrameView {
  ok: boolean;
  family?: 4 | 6;
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  l3Len: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpMtu?: number;
  icmpId?: number;
  frag: string;
  raw: ParsedPacket;
}

export interface PacketTrace {
  id: number;
  parent: number;
  /** Indices into run.hops, in order. */
  hops: number[];
}

export interface FlowTrace {
  index: number;
  flow: Flow;
  requests: SentPacket[];
  /** Packets the responders made in answer to this flow's requests. */
  replies: number[];
  /** The frontend the flow targets, if the control plane has one. */
  frontend?: FrontendInfo;
  service?: Service;
  /** Where the flow's first request was load-balanced: node, chosen backend id, hop index. */
  lb?: { node: string; backend: number; hop: number };
  /** The pod (host name) the first request reached, and the node it runs on. */
  pod?: { name: string; node?: string; hop: number };
}

export interface Analysis {
  run: TrafficRun;
  view(i: number): FrameView;
  packets: Map<number, PacketTrace>;
  inputById: Map<number, SentPacket>;
  flows: FlowTrace[];
  /** The flow a packet id belongs to (inputs directly; made packets through their parent). */
  flowOfPacket(id: number): number | undefined;
  hostMtu: Map<string, number>;
  hostKind: Map<string, 'client' | 'node' | 'pod'>;
  /** Pod name → its node's name. */
  podNode: Map<string, string>;
  /** Node name → addresses. */
  nodeAddress: Map<string, { ipv4?: string; ipv6?: string }>;
  /** The host that sends a client address (declared client, else `world`). */
  senderName(addr: string): string;
}

const cache = new WeakMap<TrafficRun, Analysis>();

function viewOf(p: ParsedPacket): FrameView {
  const l3 = p.l3 as string | undefined;
  const ip = p.ok !== false && (l3 === 'ipv4' || l3 === 'ipv6');
  const v: FrameView = {
    ok: ip,
    src: ip && typeof p.src === 'string' ? canonicalIp(p.src) : '',
    dst: ip && typeof p.dst === 'string' ? canonicalIp(p.dst) : '',
    proto: typeof p.l4Proto === 'number' ? p.l4Proto : -1,
    l3Len: typeof p.l3Len === 'number' ? p.l3Len : 0,
    frag: typeof p.frag === 'string' ? p.frag : 'none',
    raw: p,
  };
  if (ip) v.family = l3 === 'ipv6' ? 6 : 4;
  if (typeof p.sport === 'number') v.sport = p.sport;
  if (typeof p.dport === 'number') v.dport = p.dport;
  if (typeof p.tcpFlags === 'number') v.tcpFlags = p.tcpFlags;
  if (typeof p.icmpType === 'number') v.icmpType = p.icmpType;
  if (typeof p.icmpCode === 'number') v.icmpCode = p.icmpCode;
  if (typeof p.icmpMtu === 'number') v.icmpMtu = p.icmpMtu;
  if (typeof p.icmpId === 'number') v.icmpId = p.icmpId;
  return v;
}

/** The analysis of a run (computed once). */
export function analyse(run: TrafficRun): Analysis {
  let a = cache.get(run);
  if (a) return a;
  a = build(run);
  cache.set(run, a);
  return a;
}

function build(run: TrafficRun): Analysis {
  let parsed: ParsedPacket[] | undefined;
  const views = new Map<number, FrameView>();
  const view = (i: number): FrameView => {
    let v = views.get(i);
    if (!v) {
      parsed ??= parsePackets(run.hops.map((h) => h.frame));
      v = viewOf(parsed[i]!);
      views.set(i, v);
    }
    return v;
  };
  const packets = new Map<number, PacketTrace>();
  run.hops.forEach((h, i) => {
    let t = packets.get(h.pkt);
    if (!t) packets.set(h.pkt, (t = { id: h.pkt, parent: h.parent, hops: [] }));
    t.hops.push(i);
  });
  const inputById = new Map(run.inputs.map((s) => [s.id, s]));
  const flowOfPacket = (id: number): number | undefined => {
    const s = inputById.get(id);
    if (s) return s.flow;
    const t = packets.get(id);
    return t && t.parent !== id ? inputById.get(t.parent)?.flow : undefined;
  };

  const cp = run.cluster.controlPlane;
  const sc = run.scenario;
  const hostMtu = new Map<string, number>();
  const hostKind = new Map<string, 'client' | 'node' | 'pod'>();
  const podNode = new Map<string, string>();
  const nodeAddress = new Map<string, { ipv4?: string; ipv6?: string }>();
  for (const n of sc.nodes) {
    hostMtu.set(n.name, n.mtu);
    hostKind.set(n.name, 'node');
    nodeAddress.set(n.name, { ...(n.ipv4 ? { ipv4: n.ipv4 } : {}), ...(n.ipv6 ? { ipv6: n.ipv6 } : {}) });
  }
  for (const c of sc.clients) {
    hostMtu.set(c.name, c.mtu);
    hostKind.set(c.name, 'client');
  }
  hostMtu.set(sc.world.name, sc.world.mtu);
  hostKind.set(sc.world.name, 'client');
  for (const p of sc.pods) {
    hostMtu.set(p.name, p.mtu);
    hostKind.set(p.name, 'pod');
    podNode.set(p.name, p.node);
  }

  const flows: FlowTrace[] = run.flows.map((flow, index) => ({ index, flow, requests: [], replies: [] }));
  for (const s of run.inputs) flows[s.flow]!.requests.push(s);
  for (const t of packets.values()) {
    if (!isMadePacket(t.id)) continue;
    const f = flowOfPacket(t.id);
    if (f !== undefined) flows[f]!.replies.push(t.id);
  }
  const proto = (f: Flow) => (f.proto === 'tcp' ? 'TCP' : f.proto === 'udp' ? 'UDP' : undefined);
  for (const ft of flows) {
    const f = ft.flow;
    const fe = [...cp.frontends.values()].find((x) => x.kind !== 'Wildcard' && x.address === canonicalIp(f.frontend) && x.port === f.fport && x.protocol === proto(f));
    if (fe) {
      ft.frontend = fe;
      const svc = sc.services.find((s) => s.key === fe.service);
      if (svc) ft.service = svc;
    }
    // The first request that reached a pod says where the flow went (an earlier one may have
    // been answered with an ICMP error); lacking one, the first that was load-balanced.
    for (const s of ft.requests) {
      if (s.fragment && s.fragment.index > 0) continue; // later fragments carry no ports
      let lb: FlowTrace['lb'];
      let pod: FlowTrace['pod'];
      for (const i of packets.get(s.id)?.hops ?? []) {
        const h = run.hops[i]!;
        if (!lb && h.backend !== 0 && (h.point === 'TC_INGRESS' || h.point === 'XDP')) lb = { node: h.hostName, backend: h.backend, hop: i };
        if (h.point === 'POD' && h.verdict === 'DELIVERED') {
          const node = podNode.get(h.hostName);
          pod = { name: h.hostName, hop: i, ...(node ? { node } : {}) };
        }
      }
      if (lb && !ft.lb) ft.lb = lb;
      if (lb && pod) {
        ft.lb = lb;
        ft.pod = pod;
        break;
      }
    }
  }

  const senderName = (addr: string): string => run.cluster.hostName(run.cluster.senderOf(addr));
  return { run, view, packets, inputById, flows, flowOfPacket, hostMtu, hostKind, podNode, nodeAddress, senderName };
}

// ---- naming things in explanations ----

const POINT_TEXT: Record<Hop['point'], string> = {
  WIRE_TX: 'wire out',
  WIRE_RX: 'wire in',
  TAP_RX: 'tcpdump rx',
  TAP_TX: 'tcpdump tx',
  XDP: 'XDP',
  TC_INGRESS: 'tc ingress',
  TC_EGRESS: 'tc egress',
  LXC_EGRESS: 'lxc egress',
  LXC_INGRESS: 'lxc ingress',
  STACK: 'stack',
  POD: 'pod',
  CLIENT: 'client',
};

/** `hop 7 (node-a tc ingress)`, `hop 9 (wire node-a → node-c)`. */
export function hopText(run: TrafficRun, i: number): string {
  const h = run.hops[i]!;
  if (h.point === 'WIRE_TX') return h.peerName ? `hop ${i} (wire ${h.hostName} → ${h.peerName})` : `hop ${i} (wire out of ${h.hostName})`;
  return `hop ${i} (${h.hostName} ${POINT_TEXT[h.point]})`;
}

function ep(addr: string, port: number | undefined): string {
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return port === undefined ? a : `${a}:${port}`;
}

/** A frame's addresses in one phrase: `tcp 10.244.1.10:8080 > 192.168.10.11:32768 syn ack`. */
export function frameText(v: FrameView): string {
  if (!v.ok) return 'a non-IP frame';
  const name = v.proto === 6 ? 'tcp' : v.proto === 17 ? 'udp' : v.proto === 1 || v.proto === 58 ? 'icmp' : `proto ${v.proto}`;
  if (v.proto === 1 || v.proto === 58) return `${name} ${ep(v.src, undefined)} > ${ep(v.dst, undefined)} type ${v.icmpType}/${v.icmpCode}`;
  const flags = v.proto === 6 && v.tcpFlags !== undefined ? ` ${tcpFlagNames(v.tcpFlags).join(' ')}` : '';
  return `${name} ${ep(v.src, v.sport)} > ${ep(v.dst, v.dport)}${flags} (${v.l3Len} bytes of IP${v.frag !== 'none' ? `, ${v.frag} fragment` : ''})`;
}

/** `flow 1 (tcp 203.0.113.7:40000 > 198.51.100.10:80 data=[5] close=fin)`. */
export function flowText(a: Analysis, flow: number): string {
  return `flow ${flow} (${formatFlow(a.run.flows[flow]!)})`;
}

/** `packet 3 = flow 1's packet 2 (tcp … psh ack len=5)`; made packets name what they answer. */
export function packetText(a: Analysis, id: number): string {
  const s = a.inputById.get(id);
  if (s) return `packet ${id} = flow ${s.flow}'s packet ${s.index}${s.fragment ? ` (fragment ${s.fragment.index + 1}/${s.fragment.count})` : ''}: ${formatPacket(s.packet)}`;
  const t = a.packets.get(id);
  const what = isMadePacket(id) ? `reply 0x${id.toString(16)}` : `packet ${id}`;
  return t && t.parent !== id ? `${what} (answering ${packetText(a, t.parent)})` : what;
}

/** The address of a node for a family. */
export function nodeAddr(a: Analysis, node: string, family: 4 | 6): string | undefined {
  const n = a.nodeAddress.get(node);
  return family === 6 ? n?.ipv6 : n?.ipv4;
}

/** The frame a packet had right before hop index `i` (its previous hop), or the hop's own when first. */
export function before(a: Analysis, id: number, i: number): number {
  const hops = a.packets.get(id)!.hops;
  const k = hops.indexOf(i);
  return k > 0 ? hops[k - 1]! : i;
}

/** The final hop of a packet (the one with the FINAL flag), if any. */
export function finalHop(a: Analysis, id: number): number | undefined {
  return a.packets.get(id)?.hops.find((i) => a.run.hops[i]!.final);
}

/** What the invariants expect a flow's forwarding to be: per-service annotation where it applies, else the mode; hybrid is DSR for TCP only. */
export function expectedForwarding(a: Analysis, ft: FlowTrace): 'dsr' | 'snat' {
  const svc = ft.service;
  const m = svc && svc.cilium.forwardingModeFromAnnotation ? svc.cilium.forwardingMode : a.run.mode;
  if (m === 'dsr') return 'dsr';
  if (m === 'hybrid' && ft.flow.proto === 'tcp') return 'dsr';
  return 'snat';
}

/**
 * Whether a frame carries DSR information: the IPv4 option 0x9a, an IPv6 destination-options
 * header, a Geneve header with options, or IPIP/IP6IP6 encapsulation.
 */
export function carriesDsrInfo(a: Analysis, i: number): boolean {
  const v = a.view(i);
  if (!v.ok) return false;
  const p = v.raw;
  const frame = a.run.hops[i]!.frame;
  if (v.family === 4 && typeof p.ipv4OptLen === 'number' && p.ipv4OptLen > 0 && typeof p.ipv4OptOff === 'number') {
    for (let o = p.ipv4OptOff; o < p.ipv4OptOff + p.ipv4OptLen; ) {
      const t = frame[o];
      if (t === 0x9a) return true;
      if (t === 0) break;
      o += t === 1 ? 1 : Math.max(2, frame[o + 1] ?? 2);
    }
  }
  if (Array.isArray(p.ext) && (p.ext as { type: number }[]).some((e) => e.type === 60)) return true;
  if (v.proto === 4 || v.proto === 41) return true;
  if (v.proto === 17 && v.dport === 6081 && typeof p.payloadOff === 'number') return ((frame[p.payloadOff] ?? 0) & 0x3f) > 0;
  return false;
}
