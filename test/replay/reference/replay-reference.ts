/**
 * replay-reference.ts: `replay()` as it was before its hot path moved into C (src/replay.ts at
 * the commit that introduced it), kept verbatim but for the import paths as the reference the
 * C sink (native/src/replay_sink.c, replay_flows.c) is held to: it decodes every event into an
 * object, parses every frame, builds every flows.jsonl line with JSON.stringify(flowRecord())
 * and counts the summary per event in TypeScript. test/replay/golden.test.ts runs both on the
 * same inputs and requires the same bytes. Slow on purpose; never use it outside tests.
 *
 * When replay's outputs change on purpose (a new flows.jsonl field, a new summary count),
 * change this file the same way.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter } from '../../../src/capture/pcap-writer.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { compareDatagrams, type Mismatch } from '../../../src/datapath/compare.js';
import { effectiveMode, type Responder } from '../../../src/datapath/config.js';
import { buildControlPlane, frontendAddresses, type ControlPlane, type HostInfo } from '../../../src/datapath/control-plane.js';
import { DSRLAB_WITHHELD, dropReasonByName, dropReasonName } from '../../../src/datapath/drop-reasons.js';
import { decodeEvent, eventCount, isMadePacket, MADE_PACKET_ID_BASE, type DatapathEvent, type EventPoint, type EventVerdict } from '../../../src/datapath/events.js';
import { InputError } from '../../../src/errors.js';
import { canonicalIp, flowRecord, type FlowNames } from '../../../src/datapath/flow-record.js';
import { addon, REC, REC_FIELDS, type ParsedPacket } from '../../../src/native.js';
import type { LbMode, Scenario } from '../../../src/scenario/types.js';
import { fillMapPressure, type MapPressure } from '../../../src/replay.js';

export type { Responder } from '../../../src/datapath/config.js';

export interface ReplayProgress {
  /** Capture packets run so far. */
  packets: number;
  bytesRead: number;
  fileSize: number;
}

export interface ReplayOptions {
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
  /** Default: `capture` when the capture holds server packets (from a frontend), else `echo`. */
  responder?: Responder;
  /** Directory for the outputs (created); none are written without it. */
  out?: string;
  onProgress?: (p: ReplayProgress) => void;
  /** Capture records per batch (default 65536). */
  batchRecords?: number;
  /** Events per cluster.run() call (default 262144). */
  maxEvents?: number;
  /** Frame bytes per cluster.run() call (default 32 MiB). */
  arenaBytes?: number;
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
  /** Map pressure, as src/replay.ts reports it (the same addon call). */
  maps: { evictions: Record<string, number>; snatNoMapping: number; nodes: Record<string, Record<string, MapPressure>> };
  /** With `out`: what was written. */
  outputs?: { dir: string; pcaps: string[]; flows: 'hops'; flowRecords: number };
}

export interface ReplayResult {
  summary: ReplaySummary;
  /** The cluster as built (hosts, backends, frontends). */
  controlPlane: ControlPlane;
}

const MAX_MISMATCHES = 10;

/** Buffered line writer for flows.jsonl. */
class LineWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A file-name-safe form of a host name. */
function fileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Source address of a parsed capture packet (IP source, or ARP sender), canonical. */
function sourceOf(p: ParsedPacket): string | undefined {
  if (p.l3 === 'ipv4' || p.l3 === 'ipv6') return typeof p.src === 'string' ? canonicalIp(p.src) : undefined;
  if (p.l3 === 'arp' && typeof p.arpSpa === 'string') return p.arpSpa;
  return undefined;
}

/**
 * The client-side key of the flow a packet belongs to: protocol, client address and port (ICMP
 * echo: its id), frontend address and port; server packets give the key of the request they
 * answer. Undefined for packets without ports or echo ids (later fragments, ARP, ICMP errors).
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

/** Pre-scan: does the capture hold a packet whose source is a frontend? (default responder) */
export function captureHasServerPackets(capture: string, scenario: Scenario): boolean {
  const { serviceAddresses, nodePortAddresses } = frontendAddresses(scenario);
  const a = addon();
  for (const b of new CaptureReader(capture).batches()) {
    const parsed = a.parsePackets(b.data, b.index, b.count);
    for (const p of parsed) {
      const src = sourceOf(p);
      if (src && (p.l3 === 'ipv4' || p.l3 === 'ipv6') && (serviceAddresses.has(src) || nodePortAddresses.has(src))) return true;
    }
  }
  return false;
}

interface FlowState {
  backends: number[];
  /** What became of the flow's latest request. */
  fate?: string;
}

interface Fate {
  answered: boolean;
  answeredAt?: number | null;
  final?: DatapathEvent;
}

function inc(o: Record<string, number>, k: string, n = 1): void {
  o[k] = (o[k] ?? 0) + n;
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

  // ---- outputs ----
  const wire = new Map<number, PcapWriter>();
  const tcpdump = new Map<number, PcapWriter>();
  let flowsOut: LineWriter | undefined;
  const pcapNames: string[] = [];
  const closeAll = () => {
    for (const w of [...wire.values(), ...tcpdump.values()]) w.close();
    flowsOut?.close();
  };
  if (opts.out) {
    const points = join(opts.out, 'points');
    mkdirSync(points, { recursive: true });
    for (const h of cp.hosts) {
      const n = `wire-${fileName(h.name)}.pcap`;
      wire.set(h.id, new PcapWriter(join(points, n), { bufferSize: 64 << 10 }));
      pcapNames.push(`points/${n}`);
    }
    for (const id of cp.nodeIds) {
      const n = `tcpdump-${fileName(cp.hosts[id]!.name)}.pcap`;
      tcpdump.set(id, new PcapWriter(join(points, n), { bufferSize: 64 << 10 }));
      pcapNames.push(`points/${n}`);
    }
    flowsOut = new LineWriter(join(opts.out, 'flows.jsonl'));
  }

  const names: FlowNames = {
    host: (id) => cp.hosts[id],
    backend: (id) => cp.backends.get(id),
  };
  const hostName = (id: number | null): string => (id === null ? '(not injected)' : (cp.hosts[id]?.name ?? `host-${id}`));
  const dropWhere = new Map<string, Record<string, number>>();
  const backendPackets = new Map<number, number>();
  const flowState = new Map<string, FlowState>();
  const madeFates = new Map<number, Fate>();

  const reader = new CaptureReader(capture, opts.batchRecords ? { batchRecords: opts.batchRecords } : {});
  let nextId = 0;
  try {
    for (const batch of reader.batches()) {
      const n = batch.count;
      if (nextId + n > MADE_PACKET_ID_BASE) {
        throw new InputError({ file: capture }, `more than ${MADE_PACKET_ID_BASE} packets: dsrlab numbers capture packets below ${MADE_PACKET_ID_BASE} (split the capture)`);
      }
      const parsed = a.parsePackets(batch.data, batch.index, n);
      const hosts = new Uint32Array(n);
      const server = new Uint8Array(n);
      const ids = new Uint32Array(n);
      const keys: (string | undefined)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const p = parsed[i]!;
        const src = sourceOf(p);
        const isIp = p.l3 === 'ipv4' || p.l3 === 'ipv6';
        const isServer = responder === 'capture' && isIp && src !== undefined && (cp.serviceAddresses.has(src) || cp.nodePortAddresses.has(src));
        server[i] = isServer ? 1 : 0;
        hosts[i] = isServer ? cp.world : src !== undefined ? (cp.hostByAddress.get(src) ?? cp.world) : cp.world;
        ids[i] = nextId + i;
        keys[i] = flowKeyOf(p, isServer);
      }

      let done = 0;
      while (done < n) {
        const r = cp.cluster.run(
          batch.data,
          batch.index.subarray(done * REC_FIELDS),
          n - done,
          hosts.subarray(done),
          server.subarray(done),
          ids.subarray(done),
          maxEvents,
          arenaBytes,
        );
        if (r.processed === 0) throw new Error(`dsrlab internal: the cluster could not run packet ${nextId + done} within ${maxEvents} events and ${arenaBytes} arena bytes`);
        const fates = new Map<number, Fate>();
        const madeHere = new Set<number>();
        const nev = eventCount(r.events);

        // Parse each distinct frame this run needs once, in one addon call: every frame for
        // flows.jsonl, else only the frames of server packets that reached a client (compared
        // with the capture). An arena offset names one stored frame (events share identical ones).
        const evs: DatapathEvent[] = new Array(nev);
        for (let j = 0; j < nev; j++) evs[j] = decodeEvent(r.events, j);
        const frameIdx = new Map<number, number>();
        const offs: number[] = [];
        const want = (e: DatapathEvent) => {
          if (e.len > 0 && !frameIdx.has(e.off)) {
            frameIdx.set(e.off, offs.length / 2);
            offs.push(e.off, e.len);
          }
        };
        if (flowsOut) evs.forEach(want);
        else if (summary.comparison) {
          for (const e of evs) if (e.final && e.point === 'CLIENT' && !isMadePacket(e.pkt) && server[e.pkt - nextId] === 1) want(e);
        }
        const fidx = new Float64Array((offs.length / 2) * REC_FIELDS);
        for (let k = 0; k < offs.length / 2; k++) {
          fidx[k * REC_FIELDS + REC.BUF_OFF] = offs[2 * k]!;
          fidx[k * REC_FIELDS + REC.CAPLEN] = offs[2 * k + 1]!;
          fidx[k * REC_FIELDS + REC.ORIGLEN] = offs[2 * k + 1]!;
          fidx[k * REC_FIELDS + REC.LINKTYPE] = 1;
        }
        const frames = offs.length ? a.parsePackets(r.arena, fidx, offs.length / 2) : [];
        const frameOf = (e: DatapathEvent): ParsedPacket | undefined => {
          const k = e.len > 0 ? frameIdx.get(e.off) : undefined;
          return k === undefined ? undefined : frames[k];
        };

        for (const e of evs) {
          const frame = r.arena.subarray(e.off, e.off + e.len);
          const h: HostInfo | undefined = e.host === null ? undefined : cp.hosts[e.host];
          if (e.len > 0 && e.host !== null) {
            const ts = { sec: e.tsSec, nsec: e.tsNsec };
            if (e.point === 'WIRE_TX' || e.point === 'WIRE_RX') wire.get(e.host)?.write(ts, frame);
            else if (e.point === 'TAP_RX' || e.point === 'TAP_TX') tcpdump.get(e.host)?.write(ts, frame);
          }
          if (flowsOut) flowsOut.write(JSON.stringify(flowRecord(e, frameOf(e), r.arena, names)));
          if (h && h.kind === 'node') {
            const hooks = summary.nodes[h.name]!;
            inc((hooks[e.point] ??= {}), e.verdict);
          }
          const made = isMadePacket(e.pkt);
          const table = made ? madeFates : fates;
          if (made) madeHere.add(e.pkt);
          let f = table.get(e.pkt);
          if (!f) table.set(e.pkt, (f = { answered: false }));
          if (e.verdict === 'ANSWERED' && !f.answered) {
            f.answered = true;
            f.answeredAt = e.host;
          }
          if (e.final) f.final = e;
          if (!made && e.backend && !e.reply && (e.point === 'XDP' || e.point === 'TC_INGRESS')) {
            backendPackets.set(e.backend, (backendPackets.get(e.backend) ?? 0) + 1);
            const key = keys[e.pkt - nextId];
            if (key !== undefined) {
              let st = flowState.get(key);
              if (!st) flowState.set(key, (st = { backends: [] }));
              if (!st.backends.includes(e.backend)) st.backends.push(e.backend);
            }
          }
        }

        // Fates of this run's capture packets.
        for (let i = done; i < done + r.processed; i++) {
          const id = nextId + i;
          const isServer = server[i] === 1;
          const key = keys[i];
          const f = fates.get(id);
          summary.packets.in++;
          if (isServer) summary.packets.server++;
          else summary.packets.requests++;
          let fate: string;
          if (f?.answered) {
            summary.packets.answered++;
            inc(summary.answeredBy, hostName(f.answeredAt ?? null));
            fate = 'answered';
          } else if (f?.final?.verdict === 'DELIVERED') {
            summary.packets.delivered++;
            inc(summary.deliveredTo, hostName(f.final.host));
            fate = f.final.point === 'POD' ? 'pod' : `delivered:${hostName(f.final.host)}`;
          } else if (f?.final?.verdict === 'TO_STACK') {
            summary.packets.toStack++;
            inc(summary.toStack, hostName(f.final.host));
            fate = 'toStack';
          } else if (f?.final?.verdict === 'DROPPED') {
            const e = f.final;
            const name = dropReasonName(e.drop);
            summary.packets.dropped++;
            inc(summary.dropReasons, name);
            let w = dropWhere.get(name);
            if (!w) dropWhere.set(name, (w = {}));
            inc(w, `${hostName(e.host)}/${e.point}`);
            fate = `dropped:${name}`;
            if (isServer && Math.abs(e.drop) === DSRLAB_WITHHELD) {
              summary.withheld.count++;
              inc(summary.withheld.reasons, withheldReason(key === undefined ? undefined : flowState.get(key)));
            }
          } else {
            summary.packets.unaccounted++;
            fate = 'unaccounted';
          }
          if (!isServer && key !== undefined) {
            let st = flowState.get(key);
            if (!st) flowState.set(key, (st = { backends: [] }));
            st.fate = fate;
          }
          if (isServer && summary.comparison) {
            const c = summary.comparison;
            const fin = f?.final;
            if (!f?.answered && fin && fin.point === 'CLIENT' && fin.verdict === 'DELIVERED') {
              c.compared++;
              const mm = compareServerPacket(batch.data, batch.index, i, parsed[i]!, r.arena, fin, frameOf(fin));
              if (mm) {
                c.mismatched++;
                if (c.firstMismatches.length < MAX_MISMATCHES) c.firstMismatches.push({ packet: id, ...mm });
              } else c.matched++;
            } else c.notDelivered++;
          }
        }

        // Fates of the packets the responder made in this run.
        for (const id of madeHere) {
          const f = madeFates.get(id)!;
          madeFates.delete(id);
          const s = summary.responses;
          s.made++;
          if (f.answered) s.answered++;
          else if (f.final?.verdict === 'DELIVERED') s.delivered++;
          else if (f.final?.verdict === 'TO_STACK') s.toStack++;
          else if (f.final?.verdict === 'DROPPED') {
            s.dropped++;
            inc(s.dropReasons, dropReasonName(f.final.drop));
          } else s.unaccounted++;
        }
        done += r.processed;
      }
      nextId += n;
      opts.onProgress?.({ packets: nextId, bytesRead: reader.bytesRead, fileSize: reader.fileSize });
      await new Promise<void>((res) => setImmediate(res));
    }
  } finally {
    closeAll();
  }

  // ---- totals ----
  summary.drops = [...dropWhere.entries()]
    .map(([reason, where]) => {
      const d = dropReasonByName(reason);
      const unknown = /^DROP_UNKNOWN_(\d+)$/.exec(reason);
      return { reason, code: d?.code ?? (unknown ? Number(unknown[1]) : 0), description: d?.description ?? reason, count: summary.dropReasons[reason] ?? 0, where };
    })
    .sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason));
  const flowsPerBackend = new Map<number, number>();
  for (const st of flowState.values()) {
    summary.flows.total++;
    if (st.backends.length === 0) continue;
    summary.flows.balanced++;
    if (st.backends.length > 1) summary.flows.split++;
    const pods = new Set<string>();
    for (const b of st.backends) {
      flowsPerBackend.set(b, (flowsPerBackend.get(b) ?? 0) + 1);
      pods.add(cp.backends.get(b)?.pod ?? `backend-${b}`);
    }
    for (const p of pods) inc(summary.flowsByBackend, p);
  }
  for (const [id, b] of cp.backends) {
    const packets = backendPackets.get(id) ?? 0;
    const flows = flowsPerBackend.get(id) ?? 0;
    const s: BackendSummary = { id, pod: b.pod, address: b.address, port: b.port, protocol: b.protocol, flows, packets };
    if (b.node) s.node = b.node;
    summary.backends.push(s);
  }
  fillMapPressure(summary, cp);
  if (opts.out) {
    summary.outputs = { dir: opts.out, pcaps: pcapNames, flows: 'hops', flowRecords: flowsOut?.lines ?? 0 };
    const fd = openSync(join(opts.out, 'summary.json'), 'w');
    try {
      writeSync(fd, JSON.stringify(summary, null, 2) + '\n');
    } finally {
      closeSync(fd);
    }
  }
  return { summary, controlPlane: cp };
}

/** Why a captured server packet was withheld, from what became of its flow's request. */
function withheldReason(st: FlowState | undefined): string {
  const f = st?.fate;
  if (f === undefined) return 'no request of its flow came before it';
  if (f === 'answered') return 'its request was answered with an ICMP error';
  if (f === 'toStack') return "its request went to a node's own stack";
  if (f === 'unaccounted') return 'its request has no fate';
  if (f === 'pod') return 'its request reached a pod, yet no binding was found';
  if (f.startsWith('dropped:')) return `its request was dropped (${f.slice(8)})`;
  if (f.startsWith('delivered:')) return `its request was delivered to ${f.slice(10)}, not to a pod`;
  return f;
}

/** Compares capture packet i (a server packet) with the frame that reached the client. */
function compareServerPacket(
  data: Buffer,
  index: Float64Array,
  i: number,
  orig: ParsedPacket,
  arena: Buffer,
  fin: DatapathEvent,
  got: ParsedPacket | undefined,
): Mismatch | null {
  const o = i * REC_FIELDS;
  const base = index[o + REC.BUF_OFF]!;
  const caplen = index[o + REC.CAPLEN]!;
  const l3Off = orig.l3Off as number | undefined;
  const l3Len = orig.l3Len as number | undefined;
  if (l3Off === undefined || !l3Len) return { offset: 0, field: 'captured packet', expected: 'an IP datagram', got: 'unparseable' };
  const expected = data.subarray(base + l3Off, base + Math.min(caplen, l3Off + l3Len));
  if (!got || got.l3Off === undefined) return { offset: 0, field: 'delivered frame', expected: 'an IP datagram', got: 'unparseable' };
  const gOff = fin.off + (got.l3Off as number);
  const gotBytes = arena.subarray(gOff, Math.min(fin.off + fin.len, gOff + ((got.l3Len as number) || 0)));
  const l4Off = orig.l4Off !== undefined ? (orig.l4Off as number) - l3Off : undefined;
  return compareDatagrams(expected, gotBytes, l4Off, orig.l4Proto as number | undefined);
}

export type { EventPoint, EventVerdict };
