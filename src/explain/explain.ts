/**
 * explain.ts: `explain()`, one flow through an emulated cluster, hop by hop. The packets come
 * from packet SPECs (answered by the echo responder) or from one flow of a capture (its server
 * packets re-injected at the chosen pod); the Cluster returns every hop's event and frame, and
 * this file turns them into an Explanation (types.ts): per hop the host, hook, action or drop
 * reason, header diff, state created and backend choice, per packet its path and which capture
 * points saw it, per node what tcpdump showed. Every number comes from the events and frames.
 * Header decoding is headers.ts's; drawing is render.ts's; SPEC parsing is packet-spec.ts's.
 */
import { Cluster, type Hop, type SendFrame } from '../cluster.js';
import type { Responder } from '../datapath/config.js';
import { LB_MODES } from '../datapath/config.js';
import type { BackendInfo, ControlPlane, FrontendInfo, HostInfo } from '../datapath/control-plane.js';
import { dropReason, dropReasonName } from '../datapath/drop-reasons.js';
import { isMadePacket, type EventPoint, type EventState } from '../datapath/events.js';
import { InputError } from '../errors.js';
import { buildPacket, type PacketSpec } from '../packet/build.js';
import { loadScenario } from '../scenario/index.js';
import type { LbMode, Scenario } from '../scenario/types.js';
import { captureFlow, flowFrames } from './capture-flow.js';
import { decodeFrames, diffHeaders, dsrInfoOf, endpointText, innermost, packetLabel, type FieldChange, type HeaderView } from './headers.js';
import { buildDescribedPacket, formatPacketSpec, parsePacketSpec, type PacketDescription } from './packet-spec.js';
import type {
  BackendChoice,
  CreatedState,
  DropInfo,
  Endpoint,
  ExplainedHop,
  ExplainedPacket,
  ExplainHost,
  Explanation,
  ExplanationInput,
  PacketFate,
  TcpdumpView,
  WireCrossing,
} from './types.js';

/** A packet to explain: SPEC text, a parsed description, or the packet builder's spec. */
export type ExplainPacketInput = string | PacketDescription | PacketSpec;

export interface ExplainOptions {
  /** One packet or several, sent in order (each answered by the responder before the next). */
  packet?: ExplainPacketInput | ExplainPacketInput[];
  /** A pcap/pcapng file; with `flow`, the flow to explain. */
  capture?: string;
  /** 1-based flow number within the capture (default 1). */
  flow?: number;
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
  /** --packet only: `echo` (default) or `none`. Captures use their own server packets when they hold some. */
  responder?: Responder;
}

/** Short names of hooks and capture points. */
export const HOOK_NAMES: Record<EventPoint, string> = {
  WIRE_TX: 'wire tx',
  WIRE_RX: 'wire rx',
  TAP_RX: 'tcpdump rx',
  TAP_TX: 'tcpdump tx',
  XDP: 'XDP',
  TC_INGRESS: 'tc ingress',
  TC_EGRESS: 'tc egress',
  LXC_EGRESS: 'from pod',
  LXC_INGRESS: 'to pod',
  STACK: 'stack',
  POD: 'pod app',
  CLIENT: 'client',
};

/** The Cilium program at each hook. */
const PROGRAMS: Partial<Record<EventPoint, string>> = {
  XDP: 'bpf_xdp cil_xdp_entry',
  TC_INGRESS: 'bpf_host cil_from_netdev',
  TC_EGRESS: 'bpf_host cil_to_netdev',
  LXC_EGRESS: 'bpf_lxc cil_from_container',
  LXC_INGRESS: 'bpf_lxc (to the endpoint)',
};

const STATE_TEXT: Record<EventState, string> = {
  'ct-service': 'service conntrack entry (CT_SERVICE)',
  'ct-nodeport': 'nodeport conntrack entry (CT_EGRESS, node_port=1)',
  'snat-mapping': 'SNAT mapping (forward and reverse NAT entries)',
  'dsr-backend': 'DSR conntrack entry (dsr=1) and reply NAT entry',
  affinity: 'session affinity entry',
};

function dropInfo(code: number): DropInfo {
  const r = dropReason(code);
  const d: DropInfo = { code: Math.abs(code), name: dropReasonName(code), description: r?.description ?? String(Math.abs(code)) };
  if (r?.hubble) d.hubble = r.hubble;
  return d;
}

function isBuilderSpec(p: ExplainPacketInput): p is PacketSpec {
  return typeof p === 'object' && ('ipv4' in p || 'ipv6' in p);
}

/** The context explaining needs: the cluster's name tables and the scenario. */
interface Ctx {
  cp: ControlPlane;
  scenario: Scenario;
  family: 4 | 6;
}

function hostInfo(ctx: Ctx, name: string): HostInfo | undefined {
  return ctx.cp.hostByName.get(name);
}

function ownerOf(ctx: Ctx, address: string): string | undefined {
  const id = ctx.cp.hostByAddress.get(address);
  return id === undefined ? undefined : ctx.cp.hosts[id]?.name;
}

function endpoint(ctx: Ctx, address: string, port?: number): Endpoint {
  const e: Endpoint = { address };
  if (port !== undefined) e.port = port;
  const h = ownerOf(ctx, address);
  if (h) e.host = h;
  return e;
}

function backendRef(ctx: Ctx, id: number): BackendInfo | undefined {
  return ctx.cp.backends.get(id);
}

/** The frontend a request is addressed to (service address or node address with a NodePort). */
function frontendOf(ctx: Ctx, v: HeaderView): FrontendInfo | undefined {
  const inner = innermost(v);
  if (!inner.ip || inner.l4?.dport === undefined) return undefined;
  const proto = inner.l4.protocol;
  for (const f of ctx.cp.frontends.values()) {
    if (f.address === inner.ip.dst && f.port === inner.l4.dport && f.protocol === proto) return f;
  }
  return undefined;
}

function serviceAlgorithm(ctx: Ctx, fe: FrontendInfo | undefined): string {
  const svc = fe?.service ? ctx.scenario.services.find((s) => s.key === fe.service) : undefined;
  return svc?.cilium.lbAlgorithm ?? ctx.scenario.cilium.loadBalancer.algorithm;
}

/** The words for a hop's verdict and what it changed. */
function describe(hop: Hop, changes: FieldChange[], view: HeaderView): string {
  const keys = new Map(changes.map((c) => [c.key, c]));
  const what: string[] = [];
  const outerAdded = changes.find((c) => c.key.startsWith('outer.') && c.kind === 'added');
  const outerRemoved = changes.find((c) => c.key.startsWith('outer.') && c.kind === 'removed');
  if (hop.verdict === 'ANSWERED') {
    const l4 = view.l4;
    return l4?.icmp ? `answered with ${l4.protocol} ${l4.icmp.name}${l4.icmp.mtu !== undefined ? ` (mtu ${l4.icmp.mtu})` : ''}` : 'answered';
  }
  const dstChanged = keys.has('ip.dst') || keys.has('l4.dport');
  const srcChanged = keys.has('ip.src') || keys.has('l4.sport');
  if (dstChanged) what.push(hop.reply ? 'reverse SNAT' : 'DNAT to the backend');
  if (srcChanged) what.push(hop.reply ? 'reverse DNAT' : 'SNAT');
  for (const c of changes) {
    if (c.note?.startsWith('DSR') && c.kind === 'added' && !c.key.startsWith('geneve')) what.push(c.key.startsWith('ext') ? '+DSR destination option' : '+DSR option');
    if (c.note?.startsWith('DSR') && c.kind === 'removed' && !c.key.startsWith('geneve')) what.push('DSR option removed');
  }
  if (outerAdded) {
    const geneve = outerAdded.key === 'outer.geneve';
    what.push(`${geneve ? 'Geneve' : 'IPIP'} encapsulation${geneve && dsrInfoOf(view) ? ' with the DSR option' : ''} to ${view.ip?.dst ?? '?'}`);
  }
  if (outerRemoved) what.push('decapsulated');
  const ttl = keys.get('ip.ttl');
  if (ttl && what.length === 0 && Number(ttl.to) === Number(ttl.from) - 1) what.push('routed (TTL −1)');
  const xdp = hop.point === 'XDP';
  switch (hop.verdict) {
    case 'SEEN':
      if (hop.point === 'WIRE_TX') return `sent to ${hop.peerName ?? '?'}`;
      if (hop.point === 'WIRE_RX') return `received from ${hop.peerName ?? '?'}`;
      return 'captured';
    case 'PASS':
      return what.length ? what.join(' · ') : xdp ? 'XDP_PASS (on to the stack and tc)' : 'passed';
    case 'TRANSLATED':
      return what.length ? what.join(' · ') : 'translated';
    case 'TX':
      return (xdp ? 'XDP_TX (back out the same NIC) · ' : 'sent back out · ') + (what.length ? what.join(' · ') : 'unchanged');
    case 'REDIRECT':
      return (xdp ? 'XDP_REDIRECT · ' : hop.point === 'LXC_INGRESS' ? `delivered to ${hop.peerName ?? 'the pod'}'s interface` : 'redirected') + (what.length ? ' · ' + what.join(' · ') : '');
    case 'DROPPED': {
      const d = dropInfo(hop.drop);
      return `dropped: ${d.name} (${d.description})`;
    }
    case 'DELIVERED':
      return hop.point === 'POD' ? 'delivered to the application' : hop.point === 'CLIENT' ? 'delivered to the client' : 'delivered';
    case 'TO_STACK':
      return hop.point === 'STACK' ? "received by the node's network stack" : "handed to the node's network stack";
    default:
      return hop.verdict;
  }
}

function createdStates(ctx: Ctx, hop: Hop, before: HeaderView, after: HeaderView): CreatedState[] {
  const b = innermost(before);
  const a = innermost(after);
  const client = b.ip ? endpointText(b.ip.src, b.l4?.sport) : '?';
  const frontend = b.ip ? endpointText(b.ip.dst, b.l4?.dport) : '?';
  const be = hop.backend ? backendRef(ctx, hop.backend) : undefined;
  const beText = be ? `${be.pod} (${endpointText(be.address, be.port)})` : 'the backend';
  return hop.created.map((kind): CreatedState => {
    let text = STATE_TEXT[kind];
    switch (kind) {
      case 'ct-service':
        text += `: ${client} → ${frontend} ⇒ ${beText}`;
        break;
      case 'ct-nodeport':
        text += be ? `: ${client} → ${endpointText(be.address, be.port)}, so replies are translated back here` : '';
        break;
      case 'snat-mapping':
        text += a.ip ? `: ${client} ⇄ ${endpointText(a.ip.src, hop.natPort || a.l4?.sport)}` : '';
        break;
      case 'dsr-backend': {
        const dsr = dsrInfoOf(before) ?? dsrInfoOf(after);
        if (a.ip) text += `: replies ${endpointText(a.ip.dst, a.l4?.dport)} → ${endpointText(a.ip.src, a.l4?.sport)} leave with source ${dsr ? endpointText(dsr.address, dsr.port) : 'the service address'}`;
        break;
      }
      case 'affinity':
        text += b.ip ? `: ${b.ip.src} ⇒ ${beText}` : '';
        break;
    }
    return { kind, host: hop.hostName, text };
  });
}

function backendChoice(ctx: Ctx, hop: Hop, fe: FrontendInfo | undefined): BackendChoice | undefined {
  if (!hop.backend) return undefined;
  const b = backendRef(ctx, hop.backend);
  const choice: BackendChoice = {
    id: hop.backend,
    pod: b?.pod ?? `backend-${hop.backend}`,
    address: b?.address ?? '?',
    port: b?.port ?? 0,
    protocol: b?.protocol ?? '?',
    host: hop.hostName,
    point: hop.point,
    how: 'conntrack',
  };
  if (b?.node) choice.node = b.node;
  if (hop.slot === 0 && hop.hash === 0) return choice;
  if (serviceAlgorithm(ctx, fe) === 'maglev' || hop.hash !== 0) {
    choice.how = 'maglev';
    choice.maglev = { hash: hop.hash, slot: hop.slot, tableSize: ctx.scenario.cilium.maglev.tableSize };
  } else {
    choice.how = 'random';
    const inst = fe ? ctx.cp.installed.find((s) => s.node === hop.hostName && s.revNatIndex === fe.revNatIndex) : undefined;
    choice.random = { slot: hop.slot, ...(inst ? { of: inst.slots.length } : {}) };
  }
  return choice;
}

function capturePointOf(hop: Hop): string | undefined {
  if (hop.point === 'WIRE_TX' || hop.point === 'WIRE_RX') return `wire-${hop.hostName}`;
  if (hop.point === 'TAP_RX' || hop.point === 'TAP_TX') return `tcpdump-${hop.hostName}`;
  return undefined;
}

function xdpReason(verdict: string | undefined, node: string, hops: Hop[]): string {
  if (verdict === 'TX') return `XDP_TX on ${node}: sent back out of the NIC before the capture taps`;
  if (verdict === 'REDIRECT') return `XDP_REDIRECT on ${node}: forwarded before the capture taps`;
  if (verdict === 'ANSWERED') return `answered at XDP on ${node} (XDP_TX) before the capture taps`;
  const drop = hops.find((h) => h.hostName === node && h.verdict === 'DROPPED');
  if (drop) return `dropped on ${node} at ${HOOK_NAMES[drop.point]} (${dropReasonName(drop.drop)}) before the taps`;
  return `not seen by tcpdump on ${node}`;
}

interface PacketGroup {
  id: number;
  hops: Hop[];
}

function groupPackets(hops: Hop[]): PacketGroup[] {
  const byId = new Map<number, PacketGroup>();
  const out: PacketGroup[] = [];
  for (const h of hops) {
    let g = byId.get(h.pkt);
    if (!g) {
      byId.set(h.pkt, (g = { id: h.pkt, hops: [] }));
      out.push(g);
    }
    g.hops.push(h);
  }
  return out;
}

function hostKind(ctx: Ctx, name: string): ExplainedHop['hostKind'] {
  return hostInfo(ctx, name)?.kind ?? 'none';
}

function explainPacket(ctx: Ctx, g: PacketGroup, index: number, indexOfId: Map<number, number>, serverIds: Set<number>, fe: FrontendInfo | undefined): ExplainedPacket {
  const views = decodeFrames(
    g.hops.map((h) => h.frame),
    ctx.scenario.profile.dsr.ipv4OptionByteOrder,
  );
  const hops: ExplainedHop[] = [];
  const crossings: WireCrossing[] = [];
  const seenBy: string[] = [];
  let fate: PacketFate = { outcome: 'unaccounted' };
  let answered: { host: string; label: string } | undefined;
  /** Per host: the verdict of the XDP hop the packet is between (until its taps or the wire). */
  const lastXdp = new Map<string, string>();
  g.hops.forEach((h, i) => {
    const view = views[i]!;
    const prev = i > 0 ? views[i - 1] : undefined;
    const same = i > 0 && g.hops[i - 1]!.frame.equals(h.frame);
    const changes = prev && !same ? diffHeaders(prev, view) : [];
    const hop: ExplainedHop = {
      n: i + 1,
      host: h.hostName,
      hostKind: hostKind(ctx, h.hostName),
      point: h.point,
      hook: HOOK_NAMES[h.point],
      verdict: h.verdict,
      action: describe(h, changes, view),
      reply: h.reply,
      dsr: h.dsr,
      snat: h.snat,
      generated: h.generated,
      final: h.final,
      length: h.len,
      headers: view,
      changes,
      created: prev ? createdStates(ctx, h, prev, view) : createdStates(ctx, h, view, view),
    };
    const program = PROGRAMS[h.point];
    if (program) hop.program = program;
    if (h.peerName) hop.peer = h.peerName;
    const cap = capturePointOf(h);
    if (cap) {
      hop.capturePoint = cap;
      if (!seenBy.includes(cap)) seenBy.push(cap);
    }
    if (h.verdict === 'DROPPED') hop.drop = dropInfo(h.drop);
    const choice = backendChoice(ctx, h, fe);
    if (choice) hop.backend = choice;
    if (h.natPort) hop.natPort = h.natPort;
    hops.push(hop);

    if (h.point === 'XDP') lastXdp.set(h.hostName, h.verdict);
    if (h.point === 'TAP_RX' || h.point === 'TC_INGRESS') lastXdp.delete(h.hostName);
    if (h.point === 'WIRE_TX' && h.peerName) {
      const c: WireCrossing = { from: h.hostName, to: h.peerName, label: packetLabel(view) };
      if (view.ip) c.ipLength = view.ip.totalLength;
      const xv = lastXdp.get(h.hostName);
      if (xv === 'TX' || xv === 'REDIRECT' || xv === 'ANSWERED') c.xdp = true;
      crossings.push(c);
      lastXdp.delete(h.hostName);
    } else if (h.point === 'WIRE_RX' && h.peerName) {
      const last = crossings[crossings.length - 1];
      const prevHop = g.hops[i - 1];
      const pairedTx = last && last.from === h.peerName && last.to === h.hostName && prevHop?.point === 'WIRE_TX';
      if (!pairedTx) {
        const c: WireCrossing = { from: h.peerName, to: h.hostName, label: packetLabel(view) };
        if (view.ip) c.ipLength = view.ip.totalLength;
        crossings.push(c);
      }
    }
    if (h.verdict === 'ANSWERED' && !answered) answered = { host: h.hostName, label: packetLabel(view) };
    if (h.final) {
      const f: PacketFate = {
        outcome: h.verdict === 'DELIVERED' ? 'delivered' : h.verdict === 'TO_STACK' ? 'to-stack' : h.verdict === 'DROPPED' ? 'dropped' : 'unaccounted',
        host: h.hostName,
        point: h.point,
      };
      if (h.verdict === 'DROPPED') f.drop = dropInfo(h.drop);
      fate = f;
    }
  });
  if (answered) {
    const icmp = innermost(views[g.hops.findIndex((h) => h.verdict === 'ANSWERED')]!);
    fate = { ...fate, outcome: 'answered', answeredBy: answered.host, answer: icmp.l4?.icmp ? `${icmp.l4.protocol} ${icmp.l4.icmp.name}${icmp.l4.icmp.mtu !== undefined ? ` mtu ${icmp.l4.icmp.mtu}` : ''}` : answered.label };
  }

  // tcpdump on the nodes this packet crossed but whose taps did not see it.
  const missedBy: ExplainedPacket['missedBy'] = [];
  const nodesCrossed = [...new Set(g.hops.filter((h) => h.point === 'WIRE_RX' || h.point === 'WIRE_TX').map((h) => h.hostName))].filter((n) => hostKind(ctx, n) === 'node');
  for (const node of nodesCrossed) {
    const at = g.hops.filter((h) => h.hostName === node);
    const taps = at.filter((h) => h.point === 'TAP_RX' || h.point === 'TAP_TX').length;
    const wires = at.filter((h) => h.point === 'WIRE_RX' || h.point === 'WIRE_TX').length;
    if (taps < wires) {
      const xdp = at.find((h) => h.point === 'XDP' && h.verdict !== 'PASS');
      missedBy.push({ point: `tcpdump-${node}`, reason: xdpReason(xdp?.verdict, node, at) });
    }
  }

  const first = g.hops[0]!;
  const made = isMadePacket(g.id);
  const role: ExplainedPacket['role'] = made || serverIds.has(g.id) ? 'reply' : 'request';
  const origin: ExplainedPacket['origin'] = made ? 'responder' : serverIds.has(g.id) ? 'capture-server' : 'client';
  const path = crossings.length ? [crossings[0]!.from, ...crossings.map((c) => c.to)] : [first.hostName];
  const p: ExplainedPacket = { index, id: g.id, role, origin, label: packetLabel(views[0]!), fate, path, crossings, seenBy, missedBy, hops };
  if (made && indexOfId.has(first.parent)) p.answers = indexOfId.get(first.parent)!;
  return p;
}

function tcpdumpViews(packets: ExplainedPacket[], nodes: string[]): TcpdumpView[] {
  return nodes.map((node) => {
    const v: TcpdumpView = { node, shown: [], missed: [] };
    for (const p of packets) {
      for (const h of p.hops) {
        if (h.host !== node) continue;
        if (h.point === 'TAP_RX' || h.point === 'TAP_TX') v.shown.push({ packet: p.index, direction: h.point === 'TAP_RX' ? 'rx' : 'tx', label: packetLabel(h.headers) });
      }
      const at = p.hops.filter((h) => h.host === node);
      const rx = at.filter((h) => h.point === 'WIRE_RX').length - at.filter((h) => h.point === 'TAP_RX').length;
      const tx = at.filter((h) => h.point === 'WIRE_TX').length - at.filter((h) => h.point === 'TAP_TX').length;
      const reason = p.missedBy.find((m) => m.point === `tcpdump-${node}`)?.reason ?? `not seen by tcpdump on ${node}`;
      for (let k = 0; k < rx; k++) v.missed.push({ packet: p.index, direction: 'rx', reason });
      for (let k = 0; k < tx; k++) v.missed.push({ packet: p.index, direction: 'tx', reason });
    }
    return v;
  });
}

/**
 * Builds the Explanation of `hops` (every hop of every packet one or more Cluster.send calls
 * returned). `serverIds` are the ids of captured server packets; `input` records what was sent.
 */
export function explainHops(cluster: Cluster, hops: Hop[], input: ExplanationInput, opts: { responder: Responder; serverIds?: Set<number>; captureFrames?: Map<number, number> }): Explanation {
  const cp = cluster.controlPlane;
  const scenario = cluster.scenario;
  const groups = groupPackets(hops);
  const firstView = groups.length ? decodeFrames([groups[0]!.hops[0]!.frame], scenario.profile.dsr.ipv4OptionByteOrder)[0] : undefined;
  const inner = firstView ? innermost(firstView) : undefined;
  const family: 4 | 6 = inner?.ip?.version ?? 4;
  const ctx: Ctx = { cp, scenario, family };
  const serverIds = opts.serverIds ?? new Set<number>();
  const firstRequest = groups.find((g) => !isMadePacket(g.id) && !serverIds.has(g.id));
  const reqView = firstRequest ? decodeFrames([firstRequest.hops[0]!.frame], scenario.profile.dsr.ipv4OptionByteOrder)[0]! : firstView;
  const fe = reqView ? frontendOf(ctx, reqView) : undefined;
  const indexOfId = new Map<number, number>();
  groups.forEach((g, i) => indexOfId.set(g.id, i + 1));
  const packets = groups.map((g, i) => explainPacket(ctx, g, i + 1, indexOfId, serverIds, fe));
  for (const p of packets) {
    const frame = opts.captureFrames?.get(p.id);
    if (frame !== undefined) p.captureFrame = frame;
  }

  // The flow: its tuple from the first request, the backend from the first selection.
  const req = reqView ? innermost(reqView) : undefined;
  const requests = packets.filter((p) => p.role === 'request');
  const replies = packets.filter((p) => p.role === 'reply');
  const selection = requests.flatMap((p) => p.hops).find((h) => h.backend && !h.reply && (h.point === 'XDP' || h.point === 'TC_INGRESS' || h.point === 'LXC_EGRESS'));
  const newSelection = requests.flatMap((p) => p.hops).find((h) => h.backend && !h.reply && h.backend.how !== 'conntrack');
  const flow: Explanation['flow'] = {
    protocol: req?.l4?.protocol ?? (req?.ip ? String(req.ip.protocol) : '?'),
    family,
    client: req?.ip ? endpoint(ctx, req.ip.src, req.l4?.sport) : { address: '?' },
    frontend: req?.ip ? endpoint(ctx, req.ip.dst, req.l4?.dport) : { address: '?' },
  };
  if (fe?.service) flow.service = { name: fe.service, kind: fe.kind, forwarding: fe.forwarding, algorithm: serviceAlgorithm(ctx, fe) };
  const chosen = newSelection?.backend ?? selection?.backend;
  if (chosen) flow.backend = chosen;

  // Hosts: clients first, then every other host in order of first appearance.
  const lbNode = selection?.host;
  const backendNode = chosen?.node;
  const order: string[] = [];
  for (const h of hops) {
    for (const n of [h.hostName, h.peerName]) if (n && n !== '-' && !order.includes(n)) order.push(n);
  }
  const infos = order.map((n) => hostInfo(ctx, n)).filter((h): h is HostInfo => h !== undefined);
  const sorted = [...infos.filter((h) => h.kind === 'client'), ...infos.filter((h) => h.kind !== 'client')];
  const hosts: ExplainHost[] = sorted.map((h) => {
    const role: ExplainHost['role'] = h.kind === 'client' ? 'client' : h.kind === 'pod' ? (chosen && h.name === chosen.pod ? 'backend' : 'pod') : h.name === lbNode ? 'lb' : h.name === backendNode ? 'backend-node' : 'node';
    const e: ExplainHost = { name: h.name, kind: h.kind, role };
    const address = family === 4 ? h.ipv4 : h.ipv6;
    if (address) e.address = address;
    if (h.kind === 'pod' && h.node) e.node = h.node;
    if (h.world) e.world = true;
    return e;
  });

  const nodes = hosts.filter((h) => h.kind === 'node').map((h) => h.name);
  const tcpdump = tcpdumpViews(packets, nodes);

  // Summary.
  const count = (o: PacketFate['outcome']) => packets.filter((p) => p.fate.outcome === o).length;
  const firstDelivered = requests.find((p) => p.hops.some((h) => h.point === 'POD' && h.verdict === 'DELIVERED'));
  const podHop = firstDelivered?.hops.find((h) => h.point === 'POD' && h.verdict === 'DELIVERED');
  const podView = podHop ? innermost(podHop.headers) : undefined;
  const firstReply = replies.find((p) => p.hops.some((h) => h.point === 'CLIENT' && h.verdict === 'DELIVERED'));
  const clientHop = firstReply?.hops.find((h) => h.point === 'CLIENT' && h.verdict === 'DELIVERED');
  const clientView = clientHop ? innermost(clientHop.headers) : undefined;
  const state: Explanation['summary']['state'] = [];
  for (const p of packets) {
    for (const h of p.hops) {
      for (const c of h.created) {
        let s = state.find((x) => x.host === c.host);
        if (!s) state.push((s = { host: c.host, kinds: [] }));
        if (!s.kinds.includes(c.kind)) s.kinds.push(c.kind);
      }
    }
  }
  const summary: Explanation['summary'] = {
    packets: packets.length,
    requests: requests.length,
    replies: replies.length,
    delivered: count('delivered'),
    dropped: count('dropped'),
    answered: count('answered'),
    toStack: count('to-stack'),
    requestPath: requests[0]?.path ?? [],
    state,
  };
  if (lbNode) summary.lbNode = lbNode;
  if (backendNode) summary.backendNode = backendNode;
  const firstReplyPath = replies[0]?.path;
  if (firstReplyPath) summary.replyPath = firstReplyPath;
  if (podView?.ip) summary.backendSaw = endpoint(ctx, podView.ip.src, podView.l4?.sport);
  if (clientView?.ip) summary.clientSaw = endpoint(ctx, clientView.ip.src, clientView.l4?.sport);

  return {
    scenario: scenario.file,
    ciliumVersion: scenario.cilium.version,
    mode: cluster.mode,
    dispatch: scenario.cilium.loadBalancer.dsrDispatch,
    acceleration: scenario.cilium.loadBalancer.acceleration,
    responder: opts.responder,
    input,
    flow,
    hosts,
    packets,
    tcpdump,
    summary,
  };
}

/** The frame for one packet input, from its sender's MAC. */
function frameOf(cluster: Cluster, p: ExplainPacketInput): { frame: Uint8Array; spec: string; src: string } {
  if (typeof p === 'string' || !isBuilderSpec(p)) {
    const d = typeof p === 'string' ? parsePacketSpec(p) : p;
    const sender = cluster.controlPlane.hosts[cluster.senderOf(d.src)];
    const mac = sender ? cluster.scenario.clients.find((c) => c.name === sender.name)?.mac ?? cluster.scenario.nodes.find((n) => n.name === sender.name)?.mac : undefined;
    return { frame: buildDescribedPacket(d, mac ? { src: mac } : {}), spec: formatPacketSpec(d), src: d.src };
  }
  const src = p.ipv4?.src ?? p.ipv6?.src ?? '';
  return { frame: buildPacket(p), spec: JSON.stringify(p), src };
}

/**
 * Explains one flow through the cluster `scenario` describes (a loaded Scenario, or a path to
 * load). Give `packet` (one or more SPECs, descriptions or builder specs; the echo responder
 * answers) or `capture` with `flow` (its packets are replayed; server packets re-injected at
 * the chosen pod when the capture holds them). Throws InputError for bad input.
 */
export async function explain(scenario: Scenario | string, opts: ExplainOptions): Promise<Explanation> {
  if (opts.mode !== undefined && !(LB_MODES as readonly string[]).includes(opts.mode)) {
    throw new InputError({ file: '--mode' }, `${JSON.stringify(opts.mode)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
  }
  const sc = typeof scenario === 'string' ? await loadScenario(scenario, opts.mode ? { overrides: { loadBalancerMode: opts.mode } } : {}) : scenario;
  const hasPacket = opts.packet !== undefined && !(Array.isArray(opts.packet) && opts.packet.length === 0);
  if (hasPacket && opts.capture !== undefined) throw new InputError({ file: '--packet' }, 'give either --packet or --capture, not both');
  if (!hasPacket && opts.capture === undefined) throw new InputError({ file: '--packet' }, 'nothing to explain: give --packet SPEC or --capture FILE --flow N');
  if (opts.flow !== undefined && opts.capture === undefined) throw new InputError({ file: '--flow' }, '--flow picks a flow of --capture FILE; give --capture too');
  if (opts.flow !== undefined && (!Number.isInteger(opts.flow) || opts.flow < 1)) throw new InputError({ file: '--flow' }, `${opts.flow} is not a flow number: flows are numbered 1, 2, … in order of first appearance`);
  const modeOpt = opts.mode ? { mode: opts.mode } : {};

  if (hasPacket) {
    const responder = opts.responder ?? 'echo';
    if (responder === 'capture') throw new InputError({ file: '--responder' }, 'the capture responder needs --capture; --packet is answered by echo or none');
    const list = Array.isArray(opts.packet) ? opts.packet : [opts.packet!];
    const cluster = Cluster.fromScenario(sc, { ...modeOpt, responder });
    const frames = list.map((p) => frameOf(cluster, p));
    const hops = cluster.send(frames.map((f): SendFrame => ({ frame: f.frame })));
    return explainHops(cluster, hops, { kind: 'packet', specs: frames.map((f) => f.spec) }, { responder });
  }

  const capture = opts.capture!;
  const flowNumber = opts.flow ?? 1;
  const { flows, packets } = captureFlow(capture, sc, flowNumber);
  const responder: Responder = packets.some((p) => p.server) ? 'capture' : (opts.responder ?? 'echo');
  const cluster = Cluster.fromScenario(sc, { ...modeOpt, responder });
  const cp = cluster.controlPlane;
  const world = cp.hosts[cp.world]!.name;
  const frames = flowFrames(packets, (a) => cp.hosts[cluster.senderOf(a)]?.name ?? world, world);
  const hops = cluster.send(frames);
  // A fresh cluster numbers the frames of its first send 0, 1, 2 …
  const serverIds = new Set<number>();
  const captureFrames = new Map<number, number>();
  packets.forEach((p, i) => {
    if (p.server) serverIds.add(i);
    captureFrames.set(i, p.number + 1);
  });
  return explainHops(
    cluster,
    hops,
    { kind: 'capture', capture, flow: flowNumber, flows: flows.length, capturePackets: packets.map((p) => p.number) },
    { responder, serverIds, captureFrames },
  );
}
