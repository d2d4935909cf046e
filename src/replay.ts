/**
 * replay.ts: `replay()`, a capture through an emulated cluster. It builds the cluster from the
 * scenario (datapath/control-plane.ts), streams the capture in batches (CaptureReader), decides
 * who sends each packet (a node, client or pod by source address, else `world`; with
 * responder=capture, packets from a frontend are the server's), runs each batch through the C
 * core, and streams every output while it runs: one pcap per capture point, flows.jsonl and,
 * at the end, summary.json (layout: /work/shared/spec/scenario.md "What replay --out DIR
 * writes"). Memory stays bounded by the batch size, apart from one small record per flow.
 *
 * The hot path never leaves C: per batch, one addon call (a few when outputs fill up) picks
 * the senders, runs every hop and turns every event into pcap records, flows.jsonl lines and
 * the summary's counters (native/src/replay_sink.c, replay_flows.c). This file names things,
 * writes the bytes C returns, and builds the summary from C's tables. The datapath itself is
 * C (native/src/cluster.c); the CLI's rendering is cli/commands/replay.ts.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pcapFileHeader } from './capture/pcap-writer.js';
import { CaptureReader } from './capture/reader.js';
import { compareDatagrams, type Mismatch } from './datapath/compare.js';
import { effectiveMode, type Responder } from './datapath/config.js';
import { buildControlPlane, frontendAddresses, type ControlPlane } from './datapath/control-plane.js';
import { dropReasonByName, dropReasonName } from './datapath/drop-reasons.js';
import { decodeEvents, EVENT_POINTS, EVENT_VERDICTS, MADE_PACKET_ID_BASE, NO_HOST, type DatapathEvent, type EventPoint, type EventVerdict } from './datapath/events.js';
import { InputError } from './errors.js';
import { canonicalIp, flowLineFragments } from './datapath/flow-record.js';
import { ipBytes } from './scenario/addr.js';
import { addon, REC, REC_FIELDS, type NativeAddress, type NativeReplayResult, type NativeReplayRunResult, type ParsedPacket } from './native.js';
import type { LbMode, Scenario } from './scenario/types.js';

export type { Responder } from './datapath/config.js';

export interface ReplayProgress {
  /** Capture packets run so far. */
  packets: number;
  bytesRead: number;
  fileSize: number;
}

/** What `replay --out` writes to flows.jsonl (ReplayOptions.flows). */
export const FLOW_LOGS = ['hops', 'none'] as const;
export type FlowLog = (typeof FLOW_LOGS)[number];

export interface ReplayOptions {
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
  /** Default: `capture` when the capture holds server packets (from a frontend), else `echo`. */
  responder?: Responder;
  /** Directory for the outputs (created); none are written without it. */
  out?: string;
  /**
   * flows.jsonl with `out`: `hops` (default) one line per packet per hop; `none` skips the file —
   * for captures so large that the flow log (about 500 bytes a hop, 10–15 hops a packet) would
   * dwarf them; the pcaps and summary.json are written either way.
   */
  flows?: FlowLog;
  onProgress?: (p: ReplayProgress) => void;
  /** Capture records per batch (default 65536). */
  batchRecords?: number;
  /** Events per cluster.run() call (default 262144). */
  maxEvents?: number;
  /** Frame bytes per cluster.run() call (default 32 MiB). */
  arenaBytes?: number;
  /**
   * Called after each cluster run with every hop of it, for callers that compare or draw flows
   * (src/report). Frames are parsed for it as for flows.jsonl.
   */
  onRun?: (run: ReplayRun) => void;
}

/** Every hop of one cluster run (ReplayOptions.onRun). Valid only during the callback. */
export interface ReplayRun {
  /** The cluster as built: host ids of events index `hosts`, backend ids `backends`. */
  controlPlane: ControlPlane;
  /** The run's events, in the order the C core logged them. */
  events: readonly DatapathEvent[];
  /**
   * An event's frame as the C codec parsed it; undefined when the arena did not hold it.
   * Frames are parsed on demand and cached: call `frames()` first for many at once.
   */
  frame(e: DatapathEvent): ParsedPacket | undefined;
  /** The frames of these events, parsed in one addon call (and cached for `frame()`). */
  frames(events: readonly DatapathEvent[]): (ParsedPacket | undefined)[];
  /** An event's frame bytes: a view into the run's arena. */
  bytes(e: DatapathEvent): Buffer;
  /**
   * The flow a capture packet of this run belongs to, as `<IP protocol> <client address>
   * <client port or echo id> <frontend address> <frontend port>` (server packets give the
   * request's key); undefined for made packets (use their parent) and packets without ports.
   */
  flowKey(pkt: number): string | undefined;
  /** True for a capture packet taken as the server's (responder capture). */
  isServer(pkt: number): boolean;
}

export interface DropSummary {
  reason: string;
  code: number;
  description: string;
  count: number;
  /** `<host>/<point>` → count. */
  where: Record<string, number>;
}

export interface BackendSummary {
  id: number;
  pod: string;
  node?: string;
  address: string;
  port: number;
  protocol: string;
  /** Client flows load-balanced to it. */
  flows: number;
  /** Request packets load-balanced to it (each service lookup counts). */
  packets: number;
}

export interface ComparisonSummary {
  /** Server packets of the capture that reached the client. */
  compared: number;
  matched: number;
  mismatched: number;
  /** Server packets that did not reach a client (withheld, dropped, elsewhere). */
  notDelivered: number;
  firstMismatches: (Mismatch & { packet: number })[];
}

export interface ReplaySummary {
  capture: string;
  scenario: string;
  ciliumVersion: string;
  mode: LbMode;
  responder: Responder;
  packets: {
    in: number;
    delivered: number;
    toStack: number;
    dropped: number;
    answered: number;
    /** Packets the event log gave no final fate (a bug in the C core if ever non-zero). */
    unaccounted: number;
    /** Of `in`: requests (client packets) and captured server packets. */
    requests: number;
    server: number;
  };
  /** Drop reason name → packets of the capture whose fate it is. */
  dropReasons: Record<string, number>;
  drops: DropSummary[];
  /** Host name → capture packets delivered there. */
  deliveredTo: Record<string, number>;
  /** Node → capture packets handed to its stack. */
  toStack: Record<string, number>;
  /** Node → capture packets it answered with an ICMP error. */
  answeredBy: Record<string, number>;
  /** Node → hook (event point) → action → events (capture and made packets). */
  nodes: Record<string, Record<string, Record<string, number>>>;
  /** Pod → client flows load-balanced to it. */
  flowsByBackend: Record<string, number>;
  backends: BackendSummary[];
  flows: {
    /** Distinct client flows (protocol, addresses, ports / ICMP id) among the requests. */
    total: number;
    /** Flows that reached a service lookup. */
    balanced: number;
    /** Flows load-balanced to more than one backend (e.g. ECMP over nodes with random selection). */
    split: number;
  };
  /** Packets the responder made (echo) and what became of them. */
  responses: { made: number; delivered: number; toStack: number; dropped: number; answered: number; unaccounted: number; dropReasons: Record<string, number> };
  /** Captured server packets not re-injected because their request never reached a pod. */
  withheld: { count: number; reasons: Record<string, number> };
  /** responder=capture: what reached the client against what the capture holds. */
  comparison?: ComparisonSummary;
  /**
   * Map pressure: every node's Cilium maps (conntrack, SNAT, IPv4 fragments) after the replay,
   * by Cilium's map name: capacity, live entries and LRU evictions (a full LRU map pushes out
   * its least recently used entry, as the kernel does); `evictions` sums them over the nodes
   * (maps without evictions left out); `snatNoMapping` counts SNAT port allocations that ran
   * out of retries (each one a DROP_NAT_NO_MAPPING).
   */
  maps: {
    evictions: Record<string, number>;
    snatNoMapping: number;
    nodes: Record<string, Record<string, MapPressure>>;
  };
  /** With `out`: what was written. */
  /** What --out wrote: pcaps under points/, and flows.jsonl unless `flows` is `none`. */
  outputs?: { dir: string; pcaps: string[]; flows: FlowLog; flowRecords: number };
}

/** One Cilium map on one node, after a replay. */
export interface MapPressure {
  maxEntries: number;
  entries: number;
  evictions: number;
}

export interface ReplayResult {
  summary: ReplaySummary;
  /** The cluster as built (hosts, backends, frontends). */
  controlPlane: ControlPlane;
}

/** A file-name-safe form of a host name. */
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Writes all of b to fd. */
function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/**
 * The client-side key of the flow a packet belongs to: protocol, client address and port (ICMP
 * echo: its id), frontend address and port; server packets give the key of the request they
 * answer. Undefined for packets without ports or echo ids (later fragments, ARP, ICMP errors).
 * (ReplayRun.flowKey; the summary's flows are keyed the same way in C, replay_sink.c flow_key.)
 */
function flowKeyOf(p: ParsedPacket, server: boolean): string | undefined {
  if (p.ok === false || (p.l3 !== 'ipv4' && p.l3 !== 'ipv6')) return undefined;
  const proto = p.l4Proto as number;
  const src = canonicalIp(p.src as string);
  const dst = canonicalIp(p.dst as string);
  let sport: number;
  let dport: number;
  if (proto === 1 || proto === 58) {
    const t = p.icmpType as number | undefined;
    const echo = proto === 1 ? t === 8 || t === 0 : t === 128 || t === 129;
    if (!echo || p.icmpId === undefined) return undefined;
    sport = server ? 0 : (p.icmpId as number);
    dport = server ? (p.icmpId as number) : 0;
  } else {
    // A later fragment has no ports: it belongs to its first fragment's flow, not one of its own.
    if (p.sport === undefined || p.frag === 'later') return undefined;
    sport = p.sport as number;
    dport = p.dport as number;
  }
  return server ? `${proto} ${dst} ${dport} ${src} ${sport}` : `${proto} ${src} ${sport} ${dst} ${dport}`;
}

/**
 * Addresses as the sink takes them, keeping only those whose text is how a packet's address
 * reads (canonicalIp): a scenario address in another form (an IPv4-mapped IPv6 address in
 * dotted form) never names a packet's source.
 */
function nativeAddresses(texts: Iterable<string>): NativeAddress[] {
  const out: NativeAddress[] = [];
  for (const t of texts) if (canonicalIp(t) === t) out.push(nativeAddress(t));
  return out;
}

function nativeAddress(text: string): NativeAddress {
  return [text.includes(':') ? 6 : 4, Buffer.from(ipBytes(text))];
}

/** Pre-scan: does the capture hold a packet whose source is a frontend? (default responder) */
export function captureHasServerPackets(capture: string, scenario: Scenario): boolean {
  const { serviceAddresses, nodePortAddresses } = frontendAddresses(scenario);
  const addrs = nativeAddresses([...serviceAddresses, ...nodePortAddresses]);
  if (addrs.length === 0) return false;
  const packed = Buffer.alloc(17 * addrs.length);
  addrs.forEach(([fam, b], i) => {
    packed[17 * i] = fam;
    packed.set(b, 17 * i + 1);
  });
  const a = addon();
  for (const b of new CaptureReader(capture).batches()) if (a.replayFirstFrom(b.data, b.index, b.count, packed) >= 0) return true;
  return false;
}

function inc(o: Record<string, number>, k: string, n = 1): void {
  o[k] = (o[k] ?? 0) + n;
}

/** ReplaySink.result() totals, by position (replay.cc). */
const T = {
  in: 0, delivered: 1, toStack: 2, dropped: 3, answered: 4, unaccounted: 5, requests: 6, server: 7,
  made: 8, madeDelivered: 9, madeToStack: 10, madeDropped: 11, madeAnswered: 12, madeUnaccounted: 13,
  flows: 14, balanced: 15, split: 16, withheld: 17, compared: 18, matched: 19, mismatched: 20, notDelivered: 21, flowLines: 22,
} as const;

/** ReplaySink.result() tables, by enum dl_sink_table. */
const TABLE = { dropReasons: 0, dropWhere: 1, deliveredTo: 2, toStack: 3, answeredBy: 4, nodes: 5, backendPackets: 6, responseDrops: 7, withheld: 8 } as const;

/** enum dl_sink_fate: what became of a flow's latest request. */
const FATE = { none: 0, answered: 1, pod: 2, delivered: 3, toStack: 4, dropped: 5, unaccounted: 6 } as const;

/** The rows of a table: (key, key, key, count). */
function* rows(t: Float64Array): Generator<[number, number, number, number]> {
  for (let i = 0; i + 3 < t.length; i += 4) yield [t[i]!, t[i + 1]!, t[i + 2]!, t[i + 3]!];
}

/**
 * The files of `replay --out`: a pcap per capture point (wire-<host> for every host, tcpdump-<node>
 * for every node) and flows.jsonl. The sink writes into them from C: `fds` holds one fd per
 * capture point (native/include/dsrlab/replay_sink.h: 2 × host wire, 2 × host + 1 tcpdump; -1
 * none), then flows.jsonl's.
 */
class OutputFiles {
  readonly fds: Int32Array;
  readonly pcaps: string[] = [];
  /** The path of each fd's file. */
  readonly paths: string[] = [];

  constructor(dir: string, cp: ControlPlane, flows: boolean) {
    const points = join(dir, 'points');
    mkdirSync(points, { recursive: true });
    this.fds = new Int32Array(2 * cp.hosts.length + 1).fill(-1);
    const header = pcapFileHeader();
    const open = (pt: number, n: string) => {
      const fd = openSync(join(points, n), 'w');
      this.fds[pt] = fd;
      this.paths[pt] = join(points, n);
      this.pcaps.push(`points/${n}`);
      try {
        writeAll(fd, header);
      } catch (e) {
        throw this.writeError(pt, (e as Error).message);
      }
    };
    try {
      for (const h of cp.hosts) open(2 * h.id, `wire-${fileName(h.name)}.pcap`);
      for (const id of cp.nodeIds) open(2 * id + 1, `tcpdump-${fileName(cp.hosts[id]!.name)}.pcap`);
      if (flows) {
        this.fds[2 * cp.hosts.length] = openSync(join(dir, 'flows.jsonl'), 'w');
        this.paths[2 * cp.hosts.length] = join(dir, 'flows.jsonl');
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The error of a failed write into output `i` (the sink's writer thread reports it). */
  writeError(i: number, message: string): InputError {
    return new InputError({ file: this.paths[i] ?? `output ${i}` }, `cannot write: ${message}`);
  }

  close(): void {
    for (const fd of this.fds) if (fd >= 0) closeSync(fd);
    this.fds.fill(-1);
  }
}

/** DL_SINK_EWRITE: writing an output file failed (replay_sink.h). */
const SINK_EWRITE = -6;

/** The error a failed sink run stands for (the messages replay threw before they moved to C). */
function sinkError(r: NativeReplayRunResult, maxEvents: number, arenaBytes: number): Error {
  const e = r.error!;
  switch (e.code) {
    case -2:
      return new Error(`dsrlab internal: the cluster could not run packet ${e.packet} within ${maxEvents} events and ${arenaBytes} arena bytes`);
    case -3:
      if (e.field === 1) return new Error(`dsrlab internal: event point ${e.value} is not one of dl_point`);
      if (e.field === 2) return new Error(`dsrlab internal: event verdict ${e.value} is not one of dl_verdict`);
      return new Error(`dsrlab internal: an event of packet ${e.packet} points outside the arena (offset ${e.value})`);
    case -4:
      return new RangeError('Invalid time value'); // as Date#toISOString said it for the flow log
    case -1:
      return new Error('dsrlab: out of memory in the replay sink');
    default:
      return new Error(`dsrlab internal: replay sink error ${e.code}`);
  }
}

/**
 * Hands every cluster run of a sink call to ReplayOptions.onRun (the slow path only callers
 * that look at every hop take: events decoded, frames parsed, flow keys from the batch).
 */
function callOnRun(
  onRun: (run: ReplayRun) => void,
  cp: ControlPlane,
  r: NativeReplayRunResult,
  batch: { data: Buffer; index: Float64Array; count: number },
  first: number,
  servers: Uint8Array,
  keysOf: () => (string | undefined)[],
): void {
  const a = addon();
  for (const run of r.runs ?? []) {
    const evs = decodeEvents(run.events);
    // Frames are parsed on demand (most callers need few of them), one addon call per request;
    // an arena offset names one stored frame.
    const parsed = new Map<number, ParsedPacket>();
    const parse = (want: readonly DatapathEvent[]) => {
      const offs: number[] = [];
      const seen = new Set<number>();
      for (const e of want) {
        if (e.len > 0 && !parsed.has(e.off) && !seen.has(e.off)) {
          seen.add(e.off);
          offs.push(e.off, e.len);
        }
      }
      if (!offs.length) return;
      const fidx = new Float64Array((offs.length / 2) * REC_FIELDS);
      for (let k = 0; k < offs.length / 2; k++) {
        fidx[k * REC_FIELDS + REC.BUF_OFF] = offs[2 * k]!;
        fidx[k * REC_FIELDS + REC.CAPLEN] = offs[2 * k + 1]!;
        fidx[k * REC_FIELDS + REC.ORIGLEN] = offs[2 * k + 1]!;
        fidx[k * REC_FIELDS + REC.LINKTYPE] = 1;
      }
      const frames = a.parsePackets(run.arena, fidx, offs.length / 2);
      frames.forEach((f, k) => parsed.set(offs[2 * k]!, f));
    };
    const frame = (e: DatapathEvent): ParsedPacket | undefined => {
      if (e.len === 0) return undefined;
      if (!parsed.has(e.off)) parse([e]);
      return parsed.get(e.off);
    };
    const mine = (pkt: number) => pkt >= first && pkt < first + batch.count;
    onRun({
      controlPlane: cp,
      events: evs,
      frame,
      frames: (list) => {
        parse(list);
        return list.map(frame);
      },
      bytes: (e) => run.arena.subarray(e.off, e.off + e.len),
      flowKey: (pkt) => (mine(pkt) ? keysOf()[pkt - first] : undefined),
      isServer: (pkt) => mine(pkt) && servers[pkt - first] === 1,
    });
  }
}

/**
 * Replays `capture` through the cluster `scenario` describes and returns the summary (and the
 * control plane it built). Writes DIR/points/*.pcap, DIR/flows.jsonl and DIR/summary.json when
 * `opts.out` is given. Throws InputError for a bad capture (the outputs so far stay written).
 */
export async function replay(capture: string, scenario: Scenario, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const a = addon();
  const responder: Responder = opts.responder ?? (captureHasServerPackets(capture, scenario) ? 'capture' : 'echo');
  const mode = effectiveMode(scenario, opts.mode);
  const cp = buildControlPlane(scenario, { responder, ...(opts.mode ? { mode: opts.mode } : {}) });
  const maxEvents = opts.maxEvents ?? 1 << 18;
  const arenaBytes = opts.arenaBytes ?? 32 << 20;

  const summary: ReplaySummary = {
    capture,
    scenario: scenario.file,
    ciliumVersion: scenario.cilium.version,
    mode,
    responder,
    packets: { in: 0, delivered: 0, toStack: 0, dropped: 0, answered: 0, unaccounted: 0, requests: 0, server: 0 },
    dropReasons: {},
    drops: [],
    deliveredTo: {},
    toStack: {},
    answeredBy: {},
    nodes: {},
    flowsByBackend: {},
    backends: [],
    flows: { total: 0, balanced: 0, split: 0 },
    responses: { made: 0, delivered: 0, toStack: 0, dropped: 0, answered: 0, unaccounted: 0, dropReasons: {} },
    withheld: { count: 0, reasons: {} },
    maps: { evictions: {}, snatNoMapping: 0, nodes: {} },
  };
  if (responder === 'capture') summary.comparison = { compared: 0, matched: 0, mismatched: 0, notDelivered: 0, firstMismatches: [] };
  for (const id of cp.nodeIds) summary.nodes[cp.hosts[id]!.name] = {};

  const flowLog = opts.flows ?? 'hops';
  const files = opts.out ? new OutputFiles(opts.out, cp, flowLog !== 'none') : undefined;
  const sink = new a.ReplaySink(cp.cluster, {
    hosts: cp.hosts.length,
    world: cp.world,
    captureResponder: responder === 'capture',
    pcaps: !!files,
    flows: !!files && flowLog !== 'none',
    keepRuns: !!opts.onRun,
    maxEvents,
    arenaBytes,
    nodes: cp.nodeIds,
    addresses: [...cp.hostByAddress].filter(([t]) => canonicalIp(t) === t).map(([t, id]) => [...nativeAddress(t), id]),
    frontends: nativeAddresses([...cp.serviceAddresses, ...cp.nodePortAddresses]),
    ...(files ? { names: flowLineFragments(cp.hosts, cp.backends) } : {}),
  });

  const reader = new CaptureReader(capture, opts.batchRecords ? { batchRecords: opts.batchRecords } : {});
  let nextId = 0;
  // The sink writes the files from a thread of its own while the batches run (replay_sink.h).
  let writing = false;
  try {
    if (files) {
      sink.openOutput(files.fds);
      writing = true;
    }
    for (const batch of reader.batches()) {
      const n = batch.count;
      if (nextId + n > MADE_PACKET_ID_BASE) {
        throw new InputError({ file: capture }, `more than ${MADE_PACKET_ID_BASE} packets: dsrlab numbers capture packets below ${MADE_PACKET_ID_BASE} (split the capture)`);
      }
      const { servers } = sink.begin(batch.data, batch.index, n, nextId);
      const first = nextId;
      let keys: (string | undefined)[] | undefined;
      const keysOf = () => (keys ??= a.parsePackets(batch.data, batch.index, n).map((p, i) => flowKeyOf(p, servers[i] === 1)));
      for (;;) {
        const r = sink.run();
        if (opts.onRun) callOnRun(opts.onRun, cp, r, batch, first, servers, keysOf);
        if (r.status === SINK_EWRITE && files) throw files.writeError(r.error!.field, r.error!.message ?? `errno ${r.error!.value}`);
        if (r.status < 0) throw sinkError(r, maxEvents, arenaBytes);
        if (r.status === 0) break;
      }
      nextId += n;
      opts.onProgress?.({ packets: nextId, bytesRead: reader.bytesRead, fileSize: reader.fileSize });
      await new Promise<void>((res) => setImmediate(res));
    }
    if (writing) {
      writing = false;
      const w = sink.closeOutput();
      if (w) throw files!.writeError(w.output, w.message);
    }
  } finally {
    // On the way out with an error: what was made before it is written, then the thread ends
    // (before the fds close under it).
    if (writing) sink.closeOutput();
    files?.close();
  }

  const res = sink.result();
  fillSummary(summary, res, cp);
  fillMapPressure(summary, cp);
  if (opts.out) {
    summary.outputs = { dir: opts.out, pcaps: files!.pcaps, flows: flowLog, flowRecords: res.totals[T.flowLines]! };
    const fd = openSync(join(opts.out, 'summary.json'), 'w');
    try {
      writeSync(fd, JSON.stringify(summary, null, 2) + '\n');
    } finally {
      closeSync(fd);
    }
  }
  return { summary, controlPlane: cp };
}

/** summary.maps: each node's map capacity, entries and LRU evictions (cluster_stats.c). */
export function fillMapPressure(summary: Pick<ReplaySummary, 'maps'>, cp: ControlPlane): void {
  const m = summary.maps;
  for (const id of cp.nodeIds) {
    const st = cp.cluster.mapStats(id);
    if (!st) continue;
    const node: Record<string, MapPressure> = {};
    for (const [name, x] of Object.entries(st.maps)) {
      node[name] = { maxEntries: x.maxEntries, entries: x.entries, evictions: x.evictions };
      if (x.evictions) inc(m.evictions, name, x.evictions);
    }
    m.nodes[cp.hosts[id]!.name] = node;
    m.snatNoMapping += st.snatNoMapping;
  }
}

/** Why a captured server packet was withheld, from what became of its flow's latest request. */
function withheldReason(fate: number, arg: number, hostName: (id: number) => string): string {
  switch (fate) {
    case FATE.answered:
      return 'its request was answered with an ICMP error';
    case FATE.toStack:
      return "its request went to a node's own stack";
    case FATE.unaccounted:
      return 'its request has no fate';
    case FATE.pod:
      return 'its request reached a pod, yet no binding was found';
    case FATE.dropped:
      return `its request was dropped (${dropReasonName(arg)})`;
    case FATE.delivered:
      return `its request was delivered to ${hostName(arg)}, not to a pod`;
    default:
      return 'no request of its flow came before it';
  }
}

/**
 * Fills the summary from the sink's numbers and tables. Table rows come in the order their
 * keys first occurred in the replay, so the Records below get their keys in the order the
 * per-event accounting once gave them (summary.json's key order).
 */
function fillSummary(summary: ReplaySummary, res: NativeReplayResult, cp: ControlPlane): void {
  const t = (k: keyof typeof T): number => res.totals[T[k]]!;
  const table = (k: keyof typeof TABLE) => rows(res.tables[TABLE[k]]!);
  const hostName = (id: number): string => (id === NO_HOST ? '(not injected)' : (cp.hosts[id]?.name ?? `host-${id}`));
  const pointName = (v: number): string => EVENT_POINTS[v - 1]!;

  const p = summary.packets;
  p.in = t('in');
  p.delivered = t('delivered');
  p.toStack = t('toStack');
  p.dropped = t('dropped');
  p.answered = t('answered');
  p.unaccounted = t('unaccounted');
  p.requests = t('requests');
  p.server = t('server');
  for (const [code, , , n] of table('dropReasons')) inc(summary.dropReasons, dropReasonName(code), n);
  const dropWhere = new Map<string, Record<string, number>>();
  for (const [code, host, point, n] of table('dropWhere')) {
    const name = dropReasonName(code);
    let w = dropWhere.get(name);
    if (!w) dropWhere.set(name, (w = {}));
    inc(w, `${hostName(host)}/${pointName(point)}`, n);
  }
  summary.drops = [...dropWhere.entries()]
    .map(([reason, where]) => {
      const d = dropReasonByName(reason);
      const unknown = /^DROP_UNKNOWN_(\d+)$/.exec(reason);
      return { reason, code: d?.code ?? (unknown ? Number(unknown[1]) : 0), description: d?.description ?? reason, count: summary.dropReasons[reason] ?? 0, where };
    })
    .sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason));
  for (const [host, , , n] of table('deliveredTo')) inc(summary.deliveredTo, hostName(host), n);
  for (const [host, , , n] of table('toStack')) inc(summary.toStack, hostName(host), n);
  for (const [host, , , n] of table('answeredBy')) inc(summary.answeredBy, hostName(host), n);
  for (const [host, point, verdict, n] of table('nodes')) {
    const hooks = summary.nodes[cp.hosts[host]!.name]!;
    inc((hooks[pointName(point)] ??= {}), EVENT_VERDICTS[verdict]!, n);
  }

  // Flows: groups of flows that met the same backends in the same order, first-seen first.
  summary.flows.total = t('flows');
  summary.flows.balanced = t('balanced');
  summary.flows.split = t('split');
  const flowsPerBackend = new Map<number, number>();
  const g = res.groups;
  for (let i = 0; i < g.length; ) {
    const n = g[i]!;
    const backends = g.subarray(i + 1, i + 1 + n);
    const flows = g[i + 1 + n]!;
    i += n + 2;
    const pods = new Set<string>();
    for (const b of backends) {
      flowsPerBackend.set(b, (flowsPerBackend.get(b) ?? 0) + flows);
      pods.add(cp.backends.get(b)?.pod ?? `backend-${b}`);
    }
    for (const pod of pods) inc(summary.flowsByBackend, pod, flows);
  }
  const backendPackets = new Map<number, number>();
  for (const [id, , , n] of table('backendPackets')) backendPackets.set(id, n);
  for (const [id, b] of cp.backends) {
    const s: BackendSummary = { id, pod: b.pod, address: b.address, port: b.port, protocol: b.protocol, flows: flowsPerBackend.get(id) ?? 0, packets: backendPackets.get(id) ?? 0 };
    if (b.node) s.node = b.node;
    summary.backends.push(s);
  }

  const r = summary.responses;
  r.made = t('made');
  r.delivered = t('madeDelivered');
  r.toStack = t('madeToStack');
  r.dropped = t('madeDropped');
  r.answered = t('madeAnswered');
  r.unaccounted = t('madeUnaccounted');
  for (const [code, , , n] of table('responseDrops')) inc(r.dropReasons, dropReasonName(code), n);
  summary.withheld.count = t('withheld');
  for (const [fate, arg, , n] of table('withheld')) inc(summary.withheld.reasons, withheldReason(fate, arg, hostName), n);

  const c = summary.comparison;
  if (c) {
    c.compared = t('compared');
    c.matched = t('matched');
    c.mismatched = t('mismatched');
    c.notDelivered = t('notDelivered');
    for (const m of res.mismatches) c.firstMismatches.push({ packet: m.packet, ...mismatchOf(m) });
  }
}

/** A kept mismatch as compare.ts names it. */
function mismatchOf(m: NativeReplayResult['mismatches'][number]): Mismatch {
  if (m.kind === 1) return { offset: 0, field: 'captured packet', expected: 'an IP datagram', got: 'unparseable' };
  if (m.kind === 2) return { offset: 0, field: 'delivered frame', expected: 'an IP datagram', got: 'unparseable' };
  const mm = compareDatagrams(m.expected!, m.got!, m.l4Off, m.l4Proto);
  if (!mm) throw new Error(`dsrlab internal: packet ${m.packet} was counted as a mismatch, yet its datagrams are equal`);
  return mm;
}

export type { EventPoint, EventVerdict };
