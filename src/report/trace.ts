/**
 * trace.ts: per-flow hop extraction from a replay. A TraceCollector takes every cluster run
 * (replay's onRun), groups the hops by packet and the packets by client flow, and keeps for
 * every flow a bounded summary (paths, hops, what the backend saw, SNAT ports, drops, ICMP
 * errors) and, for the first flows, each packet's steps as a sequence diagram draws them:
 * arrows between hosts with the tuple on the wire, notes where a hook rewrote the packet, and
 * its fate. It also adds up the bytes on every host's link. Rendering is compare-text.ts's and
 * sequence-svg.ts's; naming flows is flow-key.ts's; reading frames is packet-view.ts's.
 */
import type { ControlPlane, HostInfo } from '../datapath/control-plane.js';
import { dropReason, dropReasonName } from '../datapath/drop-reasons.js';
import { isMadePacket, type DatapathEvent, type EventPoint } from '../datapath/events.js';
import type { ReplayRun } from '../replay.js';
import { endpoint, fallbackFlow, fragmentKey, parseReplayKey, type FlowId } from './flow-key.js';
import { changedFields, icmpName, viewOf, type PacketView, type ViewField } from './packet-view.js';
import { peekTuple } from './peek.js';

export type PacketRole = 'request' | 'reply' | 'icmp-error';
export type RewriteKind = 'dnat' | 'snat' | 'rev-nat' | 'dsr' | 'encap' | 'decap' | 'icmp' | 'other';
export type Fate = 'delivered' | 'toStack' | 'dropped' | 'answered' | 'unaccounted';

/** The packet crossed a link: from one host to another, as it was on that link. */
export interface TraceArrow {
  kind: 'arrow';
  from: string;
  to: string;
  view: PacketView;
  /** Fields that differ from the packet's previous arrow. */
  changed: ViewField[];
}

/** A hook at `host` changed the packet (or answered it with an ICMP error). */
export interface TraceNote {
  kind: 'note';
  host: string;
  point: EventPoint;
  rewrites: RewriteKind[];
  /** One piece per rewrite (`DNAT → 10.244.2.10:8080`), in the order of `rewrites`. */
  parts: { kind: RewriteKind; text: string }[];
  /** The pieces joined, with the hook: `+DSR …, DNAT → … (tc ingress)`. */
  text: string;
}

export interface DropInfo {
  name: string;
  code: number;
  description: string;
  /** Hubble's flow.proto DropReason name, where it has one. */
  hubble?: string;
}

/** Where the packet's journey ended. `host` is null for packets never injected (withheld). */
export interface TraceEnd {
  kind: 'end';
  host: string | null;
  point: EventPoint | null;
  fate: Fate;
  drop?: DropInfo;
}

export type TraceStep = TraceArrow | TraceNote | TraceEnd;

/** One packet of a flow (an ICMP error a hook sent counts as its own packet). */
export interface TracePacket {
  /** Packet id: the capture index, or a made packet's id (≥ 2^31). */
  id: number;
  role: PacketRole;
  /** Made by the responder (echo), not taken from the capture. */
  made: boolean;
  /** Capture time, seconds. */
  time: number;
  steps: TraceStep[];
  /** Hosts in the order the packet visited them. */
  path: string[];
  fate: Fate;
  /** Carried DSR information (option or TLV) on some link; SNAT-translated somewhere. */
  dsr: boolean;
  snat: boolean;
}

/** A bounded summary of one flow in one run. */
export interface FlowStats {
  id: FlowId;
  /** Id of the flow's first packet. */
  first: number;
  packets: { requests: number; replies: number; icmpErrors: number };
  /** Final fates of the flow's requests and replies (ICMP errors the datapath made aside). */
  fates: Record<Fate, number>;
  /** Pods the service lookups chose. */
  backends: string[];
  /** Requests that carried DSR information; packets that were SNAT-translated. */
  dsrPackets: number;
  snatPackets: number;
  /** Links crossed per packet → packets, by role. */
  hops: Record<PacketRole, Record<number, number>>;
  /** Host path (`a>b>c`) → packets, by role. */
  paths: Record<PacketRole, Record<string, number>>;
  /** Source `addr:port` of the requests the pod received (at most MAX_LIST). */
  backendSaw: string[];
  /** Source `addr:port` of the replies the client received. */
  clientSaw: string[];
  /** Drop reason → packets of this flow. */
  drops: Record<string, number>;
  /** ICMP errors the datapath sent for this flow: `frag needed mtu 1492 from node-a` → count. */
  icmpErrors: Record<string, number>;
  /** Packets of this flow answered because they outgrew an MTU, or dropped for it. */
  mtu: { answered: number; dropped: number };
  /** SNAT ports allocated for this flow (at most MAX_LIST). */
  snatPorts: number[];
}

export interface FlowTrace {
  stats: FlowStats;
  /** Packets with their steps; only for the first `traceFlows` flows. */
  packets?: TracePacket[];
  /** Packets of a traced flow that were not kept (beyond `tracePackets`). */
  omitted: number;
}

export interface TraceOptions {
  /** Flows whose packets are kept with their steps (default 0: summaries only). */
  traceFlows?: number;
  /** Packets kept per traced flow (default 12), plus up to half as many later dropped/answered ones. */
  tracePackets?: number;
}

export interface LinkTotals {
  /** Frames and bytes on the host's link (what wire-<host>.pcap holds). */
  packets: number;
  bytes: number;
}

const MAX_LIST = 8;

const POINT_TEXT: Record<EventPoint, string> = {
  WIRE_TX: 'wire',
  WIRE_RX: 'wire',
  TAP_RX: 'tcpdump',
  TAP_TX: 'tcpdump',
  XDP: 'XDP',
  TC_INGRESS: 'tc ingress',
  TC_EGRESS: 'tc egress',
  LXC_EGRESS: 'from pod (lxc)',
  LXC_INGRESS: 'to pod (lxc)',
  STACK: 'node stack',
  POD: 'pod',
  CLIENT: 'client',
};

/** A hook's name as the diagram shows it. */
export function pointText(p: EventPoint): string {
  return POINT_TEXT[p];
}

function inc<K extends string | number>(o: Record<K, number>, k: K, n = 1): void {
  o[k] = ((o[k] as number | undefined) ?? 0) + n;
}

function pushCapped<T>(list: T[], v: T): void {
  if (list.length < MAX_LIST && !list.includes(v)) list.push(v);
}

function dropInfo(code: number): DropInfo {
  const r = dropReason(code);
  const d: DropInfo = { name: dropReasonName(code), code: Math.abs(code), description: r?.description ?? String(Math.abs(code)) };
  if (r?.hubble) d.hubble = r.hubble;
  return d;
}

/** What a hook did, from the view before and after it, for a packet of this role: one text per rewrite. */
export function classifyRewrite(before: PacketView | undefined, after: PacketView, role: PacketRole, answered: boolean): { rewrites: RewriteKind[]; texts: string[] } {
  const rewrites: RewriteKind[] = [];
  const texts: string[] = [];
  const add = (k: RewriteKind, t: string) => {
    rewrites.push(k);
    texts.push(t);
  };
  if (answered) {
    add('icmp', `answers: ICMP ${icmpName(after)}${after.icmp?.mtu ? ` (mtu ${after.icmp.mtu})` : ''}`);
    return { rewrites, texts };
  }
  const ch = changedFields(before, after);
  if (ch.includes('encap')) {
    if (after.encap && !before?.encap) add('encap', `encap ${after.encap.kind} → ${after.encap.dst}`);
    else if (!after.encap && before?.encap) add('decap', `decap ${before.encap.kind}`);
    else add('encap', 'outer header changed');
  }
  // Decapsulation takes a Geneve DSR TLV with it: no separate note for that.
  const tlvGone = !after.encap && before?.encap && before.dsr?.via === 'geneve' && !after.dsr;
  if (ch.includes('dsr') && !tlvGone) add('dsr', after.dsr ? `+DSR ${endpoint(after.dsr.addr, after.dsr.port)}` : 'DSR info removed');
  const dstCh = ch.includes('dst') || ch.includes('dport');
  const srcCh = ch.includes('src') || ch.includes('sport');
  if (role === 'request') {
    if (dstCh) add('dnat', `DNAT → ${endpoint(after.dst ?? '?', after.dport)}`);
    if (srcCh) add('snat', `SNAT → ${endpoint(after.src ?? '?', after.sport)}`);
  } else {
    if (srcCh) add('rev-nat', `rev-NAT src → ${endpoint(after.src ?? '?', after.sport)}`);
    if (dstCh) add('rev-nat', `rev-SNAT dst → ${endpoint(after.dst ?? '?', after.dport)}`);
  }
  if (ch.includes('proto') && !rewrites.length) add('other', `now ${after.protocol}`);
  return { rewrites, texts };
}

/** The events of one packet (original or the ICMP error made for it), in log order. */
interface PacketEvents {
  id: number;
  role: PacketRole;
  made: boolean;
  events: DatapathEvent[];
}

/**
 * Collects per-flow hops from replay runs: pass `collector.onRun` as replay's `onRun`, then read
 * `flows()` and `links`.
 */
export class TraceCollector {
  readonly links: Record<string, LinkTotals> = {};
  private readonly byKey = new Map<string, FlowTrace>();
  private readonly fragFlows = new Map<string, string>();
  private readonly traceFlows: number;
  private readonly tracePackets: number;
  private cp: ControlPlane | undefined;
  private knownAddrs: Set<string> = new Set();

  constructor(opts: TraceOptions = {}) {
    this.traceFlows = opts.traceFlows ?? 0;
    this.tracePackets = opts.tracePackets ?? 12;
  }

  /** The control plane of the replay (after the first run). */
  get controlPlane(): ControlPlane | undefined {
    return this.cp;
  }

  /** Every flow, in order of its first packet. */
  flows(): FlowTrace[] {
    return [...this.byKey.values()];
  }

  /** The host a name belongs to (kind, node), once a run has been seen. */
  host(name: string): HostInfo | undefined {
    return this.cp?.hostByName.get(name);
  }

  readonly onRun = (run: ReplayRun): void => {
    if (this.cp !== run.controlPlane) {
      this.cp = run.controlPlane;
      this.knownAddrs = new Set([...run.controlPlane.serviceAddresses, ...run.controlPlane.nodePortAddresses]);
    }
    const cp = run.controlPlane;
    const hostName = (id: number | null): string | null => (id === null ? null : (cp.hosts[id]?.name ?? `host-${id}`));

    // Links first: every frame on a wire, as the pcaps hold them.
    for (const e of run.events) {
      if ((e.point === 'WIRE_TX' || e.point === 'WIRE_RX') && e.host !== null && e.len > 0) {
        const n = hostName(e.host)!;
        const l = (this.links[n] ??= { packets: 0, bytes: 0 });
        l.packets++;
        l.bytes += e.len;
      }
    }

    // Group by packet id (original and generated ICMP apart), keeping log order.
    const groups = new Map<number, PacketEvents>();
    for (const e of run.events) {
      const made = isMadePacket(e.pkt);
      const k = e.pkt * 2 + (e.generated ? 1 : 0);
      let pe = groups.get(k);
      if (!pe) {
        const role: PacketRole = e.generated ? 'icmp-error' : made || run.isServer(e.pkt) ? 'reply' : 'request';
        groups.set(k, (pe = { id: e.pkt, role, made, events: [] }));
      }
      pe.events.push(e);
    }

    const views = new Map<number, PacketView>();
    const viewFor = (e: DatapathEvent): PacketView => {
      let v = views.get(e.off);
      if (!v || e.len === 0) {
        v = viewOf(run.bytes(e), run.frame(e), this.knownAddrs);
        if (e.len > 0) views.set(e.off, v);
      }
      return v;
    };

    // The ICMP error made for a packet starts where that packet was answered.
    const answeredAt = new Map<number, DatapathEvent>();
    for (const pe of groups.values()) {
      if (pe.role === 'icmp-error') continue;
      const a = pe.events.find((e) => e.verdict === 'ANSWERED');
      if (a) answeredAt.set(pe.id, a);
    }

    // Frames are parsed by the codec only where a quick peek (peek.ts) is not enough: ICMP
    // errors, packets without a flow key, and every frame of traced flows (one bulk call).
    // An ICMP error made for a packet belongs to that packet's flow (logged after it).
    const flowById = new Map<number, FlowTrace>();
    const work: [FlowTrace, PacketEvents][] = [];
    const need: DatapathEvent[] = [];
    for (const pe of groups.values()) {
      const flow = (pe.role === 'icmp-error' ? flowById.get(pe.id) : undefined) ?? this.flowOf(run, pe);
      flowById.set(pe.id, flow);
      work.push([flow, pe]);
      if (flow.packets) need.push(...pe.events);
      else for (const e of pe.events) if (e.verdict === 'ANSWERED') need.push(e);
    }
    run.frames(need);
    for (const [flow, pe] of work) this.add(flow, pe, run, hostName, viewFor, answeredAt.get(pe.id));
  };

  /** The flow a packet belongs to. */
  private flowOf(run: ReplayRun, pe: PacketEvents): FlowTrace {
    const origin = pe.made ? pe.events[0]!.parent : pe.id;
    const first = pe.events[0]!;
    // Later fragments carry no ports (the codec reports 0, and replay keys them so): they
    // belong to the flow of their first fragment.
    const peek = peekTuple(run.bytes(first));
    const later = peek ? peek.later : run.frame(first)?.frag === 'later';
    const key = later ? undefined : run.flowKey(origin);
    let id: FlowId;
    if (key !== undefined) {
      const known = this.byKey.get(key);
      if (known && !(pe.role === 'request' && peek?.fragment !== false)) return known;
      id = known?.stats.id ?? parseReplayKey(key);
      if (pe.role === 'request' && (!peek || peek.fragment) && run.frame(first)?.frag === 'first') {
        const fk = fragmentKey(run.frame(first));
        if (fk) this.fragFlows.set(fk, key);
      }
    } else {
      const p = run.frame(first);
      const fk = fragmentKey(p);
      const known = fk ? this.fragFlows.get(fk) : undefined;
      id = known ? parseReplayKey(known) : fallbackFlow(p, run.isServer(origin));
    }
    let f = this.byKey.get(id.key);
    if (!f) {
      const stats: FlowStats = {
        id,
        first: pe.id,
        packets: { requests: 0, replies: 0, icmpErrors: 0 },
        fates: { delivered: 0, toStack: 0, dropped: 0, answered: 0, unaccounted: 0 },
        backends: [],
        dsrPackets: 0,
        snatPackets: 0,
        hops: { request: {}, reply: {}, 'icmp-error': {} },
        paths: { request: {}, reply: {}, 'icmp-error': {} },
        backendSaw: [],
        clientSaw: [],
        drops: {},
        icmpErrors: {},
        mtu: { answered: 0, dropped: 0 },
        snatPorts: [],
      };
      f = { stats, omitted: 0 };
      if (this.byKey.size < this.traceFlows) f.packets = [];
      this.byKey.set(id.key, f);
    }
    return f;
  }

  private add(
    f: FlowTrace,
    pe: PacketEvents,
    run: ReplayRun,
    hostName: (id: number | null) => string | null,
    viewFor: (e: DatapathEvent) => PacketView,
    answered: DatapathEvent | undefined,
  ): void {
    const s = f.stats;
    const cp = run.controlPlane;
    if (pe.role === 'request') s.packets.requests++;
    else if (pe.role === 'reply') s.packets.replies++;
    else s.packets.icmpErrors++;

    // Path, fate, and the per-flow facts, from the events alone.
    const path: string[] = [];
    if (pe.role === 'icmp-error' && answered && answered.host !== null) path.push(hostName(answered.host)!);
    let dsr = false;
    let snat = false;
    let final: DatapathEvent | undefined;
    let answeredHere: DatapathEvent | undefined;
    for (const e of pe.events) {
      const h = hostName(e.host);
      if (h !== null && path[path.length - 1] !== h) path.push(h);
      if (e.dsr) dsr = true;
      if (e.snat) snat = true;
      if (e.snat && e.natPort) pushCapped(s.snatPorts, e.natPort);
      if (e.backend && pe.role === 'request') pushCapped(s.backends, cp.backends.get(e.backend)?.pod ?? `backend-${e.backend}`);
      if (e.verdict === 'ANSWERED' && !answeredHere) answeredHere = e;
      if (e.final) final = e;
    }
    let fate: Fate;
    if (answeredHere) fate = 'answered';
    else if (final?.verdict === 'DELIVERED') fate = 'delivered';
    else if (final?.verdict === 'TO_STACK') fate = 'toStack';
    else if (final?.verdict === 'DROPPED') fate = 'dropped';
    else fate = 'unaccounted';
    if (pe.role !== 'icmp-error') inc(s.fates, fate);
    if (dsr && pe.role === 'request') s.dsrPackets++;
    if (snat) s.snatPackets++;
    inc(s.hops[pe.role], Math.max(0, path.length - 1));
    inc(s.paths[pe.role], path.join('>'));
    if (fate === 'dropped' && final) {
      const name = dropReasonName(final.drop);
      inc(s.drops, name);
      if (name === 'DROP_FRAG_NEEDED') s.mtu.dropped++;
    }
    if (final?.verdict === 'DELIVERED' && !answeredHere && ((pe.role === 'request' && final.point === 'POD') || (pe.role === 'reply' && final.point === 'CLIENT'))) {
      const t = peekTuple(run.bytes(final)) ?? viewFor(final);
      if (t.src && !(pe.role === 'request' && 'later' in t && t.later) && !(pe.role === 'request' && 'frag' in t && t.frag === 'later')) {
        pushCapped(pe.role === 'request' ? s.backendSaw : s.clientSaw, endpoint(t.src, t.sport));
      }
    }
    if (answeredHere) {
      const v = viewFor(answeredHere);
      const what = `${icmpName(v)}${v.icmp?.mtu ? ` mtu ${v.icmp.mtu}` : ''} from ${hostName(answeredHere.host) ?? '?'}`;
      inc(s.icmpErrors, what);
      if (v.icmp && ((v.proto === 1 && v.icmp.type === 3 && v.icmp.code === 4) || (v.proto === 58 && v.icmp.type === 2))) s.mtu.answered++;
    }

    if (!f.packets) return;
    const interesting = fate === 'dropped' || fate === 'answered' || pe.role === 'icmp-error';
    const kept = f.packets.length;
    if (kept >= this.tracePackets && !(interesting && kept < this.tracePackets + Math.ceil(this.tracePackets / 2))) {
      f.omitted++;
      return;
    }
    const first = pe.events[0]!;
    f.packets.push({
      id: pe.id,
      role: pe.role,
      made: pe.made,
      time: first.tsSec + first.tsNsec / 1e9,
      steps: buildSteps(pe, hostName, viewFor, answered),
      path,
      fate,
      dsr,
      snat,
    });
  }
}

/** The steps a diagram draws for one packet. */
function buildSteps(
  pe: PacketEvents,
  hostName: (id: number | null) => string | null,
  viewFor: (e: DatapathEvent) => PacketView,
  answeredFrom: DatapathEvent | undefined,
): TraceStep[] {
  const steps: TraceStep[] = [];
  let cur: string | null = null;
  let prev: PacketView | undefined;
  let lastArrow: PacketView | undefined;
  if (pe.role === 'icmp-error' && answeredFrom && answeredFrom.host !== null) {
    cur = hostName(answeredFrom.host);
    prev = viewFor(answeredFrom);
  }
  let ended = false;
  for (const e of pe.events) {
    const h = hostName(e.host);
    const v = viewFor(e);
    if (h === null) {
      if (e.final) {
        steps.push(endOf(e, null));
        ended = true;
      }
      continue;
    }
    if (cur !== null && h !== cur) {
      steps.push({ kind: 'arrow', from: cur, to: h, view: v, changed: changedFields(lastArrow, v) });
      lastArrow = v;
    } else if (cur !== null && prev && (e.verdict === 'ANSWERED' || changedFields(prev, v).length > 0)) {
      const c = classifyRewrite(prev, v, pe.role, e.verdict === 'ANSWERED');
      if (c.rewrites.length) {
        const parts = c.rewrites.map((kind, i) => ({ kind, text: c.texts[i]! }));
        steps.push({ kind: 'note', host: h, point: e.point, rewrites: c.rewrites, parts, text: `${c.texts.join(', ')} (${pointText(e.point)})` });
      }
    }
    cur = h;
    prev = v;
    if (e.verdict === 'ANSWERED') {
      steps.push({ kind: 'end', host: h, point: e.point, fate: 'answered' });
      ended = true;
      break;
    }
    if (e.final) {
      steps.push(endOf(e, h));
      ended = true;
      break;
    }
  }
  if (!ended) steps.push({ kind: 'end', host: cur, point: null, fate: 'unaccounted' });
  return steps;
}

function endOf(e: DatapathEvent, host: string | null): TraceEnd {
  if (e.verdict === 'DROPPED') return { kind: 'end', host, point: e.point, fate: 'dropped', drop: dropInfo(e.drop) };
  if (e.verdict === 'TO_STACK') return { kind: 'end', host, point: e.point, fate: 'toStack' };
  if (e.verdict === 'DELIVERED') return { kind: 'end', host, point: e.point, fate: 'delivered' };
  return { kind: 'end', host, point: e.point, fate: 'unaccounted' };
}
