/**
 * equivalence-cases.ts: the replay runs equivalence.test.ts makes twice, with src/replay.ts (the
 * hot path in C: native/src/replay_sink.c, replay_flows.c) and with reference/replay-reference.ts
 * (replay as it was in TypeScript), requiring the same bytes in summary.json, flows.jsonl and
 * every points/*.pcap, the same returned summary and the same errors. They cover what the
 * outputs have to say: every fixture capture (ARP, fragments, IPv6 extension headers, malformed
 * frames, raw IP, Linux cooked, VLAN, pcapng, nanosecond timestamps), every fixture scenario
 * with every responder, odd packets (withheld responses with each reason, ICMP echo,
 * no-backend rejects, ClusterIP drops, oversize DSR, senders that are nodes or pods, SCTP,
 * unknown L4, IPv4-mapped IPv6, far-future timestamps), tiny event logs and arenas (frames not
 * stored), bad captures and errors.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcapBytes } from '../../src/capture/pcap-writer.js';
import { buildArp, buildPacket, fragmentIPv4 } from '../../src/packet/build.js';
import type { ReplayOptions } from '../../src/replay.js';
import { loadScenario } from '../../src/scenario/index.js';
import type { Scenario } from '../../src/scenario/types.js';
import { FIXTURES, ROOT } from '../helpers.js';
import { CLIENT4, CLIENT6, CLUSTER_IP4, NODE_A4, NODE_B4, VIP4, VIP6, interleave, scenarioPath, tcpConversation, udpExchange } from './helpers.js';

export interface ReplayCase {
  name: string;
  scenario: string;
  /** A fixture capture (captures/…, bad/…) or packets written to a pcap in the temp dir. */
  capture: { fixture: string } | { packets: () => Uint8Array[]; linktype?: number; times?: (i: number) => { sec: number; nsec: number } };
  opts: Omit<ReplayOptions, 'out'>;
  /** Without --out: only the returned summary is pinned. */
  noOut?: boolean;
}

const POD_B4 = '10.244.1.10';

/** The capture of structure.test.ts: TCP and UDP to the LoadBalancer IP, TCP to a NodePort. */
function structureCapture(scenario: string, withServer: boolean): Uint8Array[] {
  if (scenario === 'dsr-ipv6.yaml') {
    return interleave([
      ...[0, 1, 2, 3].map((i) => tcpConversation(CLIENT6, VIP6, 40000 + i, 80, withServer)),
      udpExchange(CLIENT6, VIP6, 5000, 53, withServer),
      tcpConversation(CLIENT6, 'fd00:10::12', 41000, 30080, withServer),
    ]);
  }
  const convs = [0, 1, 2, 3].map((i) => tcpConversation(CLIENT4, VIP4, 40000 + i, 80, withServer));
  if (scenario !== 'maglev.yaml') convs.push(udpExchange(CLIENT4, VIP4, 5000, 53, withServer));
  convs.push(tcpConversation(CLIENT4, NODE_B4, 41000, 30080, withServer));
  return interleave(convs);
}

/** Odd packets, for an IPv4 scenario with a LoadBalancer IP, a ClusterIP and NodePorts. */
function oddCapture(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const tcp = (src: string, dst: string, sport: number, dport: number, flags: string | number, payload = 0, extra: Partial<Parameters<typeof buildPacket>[0]> = {}) =>
    buildPacket({ ipv4: { src, dst }, tcp: { sport, dport, flags, seq: 100, ack: flags === 'S' ? 0 : 1 }, ...(payload ? { payload } : {}), ...extra });
  // A server packet before any request of its flow (withheld: no request came before it).
  out.push(tcp(VIP4, CLIENT4, 80, 42000, 'SA'));
  // Ordinary conversations, with server packets.
  out.push(...interleave([tcpConversation(CLIENT4, VIP4, 42001, 80), udpExchange(CLIENT4, VIP4, 5301, 53), tcpConversation(CLIENT4, NODE_B4, 42002, 30080)]));
  // ClusterIP from outside: dropped; its response withheld (request dropped).
  out.push(tcp(CLIENT4, CLUSTER_IP4, 42003, 80, 'S'), tcp(CLUSTER_IP4, CLIENT4, 80, 42003, 'SA'));
  // No service on that port: rejected (ICMP) or dropped; the response withheld.
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4 }, udp: { sport: 5302, dport: 9999 }, payload: 12 }));
  out.push(buildPacket({ ipv4: { src: VIP4, dst: CLIENT4 }, udp: { sport: 9999, dport: 5302 }, payload: 12 }));
  // ICMP echo to the VIP and to a node, and the replies.
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4 }, icmp: { type: 8, id: 77, seq: 1 }, payload: 16 }));
  out.push(buildPacket({ ipv4: { src: VIP4, dst: CLIENT4 }, icmp: { type: 0, id: 77, seq: 1 }, payload: 16 }));
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: NODE_A4 }, icmp: { type: 8, id: 78, seq: 1 }, payload: 8 }));
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4 }, icmp: { type: 3, code: 4, rest: 1400 }, payload: 28 }));
  // ARP: for a node, for nobody, from the VIP.
  out.push(buildArp({ op: 'request', senderMac: '02:00:00:00:00:07', senderIp: CLIENT4, targetIp: NODE_A4 }));
  out.push(buildArp({ op: 'request', senderMac: '02:00:00:00:00:07', senderIp: CLIENT4, targetIp: '192.0.2.99' }));
  out.push(buildArp({ op: 'reply', senderMac: '02:00:00:00:00:08', senderIp: VIP4, targetMac: '02:00:00:00:00:07', targetIp: CLIENT4 }));
  // Oversize (DSR: needs fragmentation), fragments, all TCP flags, RST, SCTP, unknown L4.
  out.push(tcp(CLIENT4, VIP4, 42004, 80, 'S'), tcp(CLIENT4, VIP4, 42004, 80, 'PA', 1470));
  out.push(...fragmentIPv4(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4, df: false, id: 4242 }, udp: { sport: 5303, dport: 53 }, payload: 300 }), 128));
  out.push(tcp(CLIENT4, VIP4, 42005, 80, 0xff), tcp(CLIENT4, VIP4, 42005, 80, 'R'));
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4, protocol: 132 }, raw: { protocol: 132 }, payload: new Uint8Array([0x13, 0x88, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0]) }));
  out.push(buildPacket({ ipv4: { src: CLIENT4, dst: VIP4, protocol: 47 }, raw: { protocol: 47 }, payload: 20 }));
  // Senders that are hosts of the cluster: a node and a pod, to the VIP; a VLAN-tagged frame.
  out.push(tcp(NODE_A4, VIP4, 42006, 80, 'S'), tcp(POD_B4, VIP4, 42007, 80, 'S'), tcp(POD_B4, CLUSTER_IP4, 42008, 80, 'S'));
  out.push(buildPacket({ eth: { vlans: [7] }, ipv4: { src: CLIENT4, dst: VIP4 }, tcp: { sport: 42009, dport: 80, flags: 'S' } }));
  // Malformed: a TCP header cut short, a bad IHL, a non-IP frame, a runt.
  out.push(tcp(CLIENT4, VIP4, 42010, 80, 'S').subarray(0, 14 + 20 + 10));
  out.push(tcp(CLIENT4, VIP4, 42011, 80, 'S', 0, { ipv4: { src: CLIENT4, dst: VIP4, ihl: 4 } }));
  const lldp = new Uint8Array(60);
  lldp.set([0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 9, 0x88, 0xcc], 0);
  out.push(lldp, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  // IPv6 (the cluster may have none), and a v4-mapped source.
  out.push(buildPacket({ ipv6: { src: CLIENT6, dst: VIP6 }, tcp: { sport: 42012, dport: 80, flags: 'S' } }));
  out.push(buildPacket({ ipv6: { src: '::ffff:203.0.113.7', dst: '2001:db8:0:0:1:0:0:1' }, udp: { sport: 1, dport: 2 }, payload: 4 }));
  out.push(buildPacket({ ipv6: { src: CLIENT6, dst: VIP6, ext: [{ type: 'fragment', offset: 8, more: false, id: 9 }] }, udp: { sport: 7, dport: 8 }, payload: 8 }));
  // Server packets of live flows whose captured checksums are wrong: what reaches the client
  // (checksums recomputed) differs from the capture, so the comparison names a mismatch.
  out.push(tcp(VIP4, CLIENT4, 80, 42001, 'PA', 10, { tcp: { sport: 80, dport: 42001, flags: 'PA', seq: 9000, ack: 77, badChecksum: true } }));
  out.push(buildPacket({ ipv4: { src: VIP4, dst: CLIENT4 }, udp: { sport: 53, dport: 5301, badChecksum: true }, payload: 9 }));
  // More of the first conversations after the responses: late server packets of live flows.
  out.push(...tcpConversation(CLIENT4, VIP4, 42013, 80).slice(0, 5));
  return out;
}

/** The bench's capture, smaller: client flows to the real-capture VIP, SYN then data. */
function benchCapture(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const flow = Math.floor(i / 10);
    const k = i % 10;
    out.push(buildPacket({ ipv4: { src: '203.0.113.7', dst: '198.51.100.10' }, tcp: { sport: 1024 + (flow % 60000), dport: 80, flags: k === 0 ? 'S' : 'PA', seq: 1000 + k * 100 }, payload: k === 0 ? 0 : 100 }));
  }
  return out;
}

const STRUCTURE_SCENARIOS = ['snat.yaml', 'dsr.yaml', 'hybrid.yaml', 'dsr-ipv6.yaml', 'maglev.yaml', 'dsr-geneve.yaml'];
const RESPONDERS = ['capture', 'echo', 'none'] as const;

export function replayCases(): ReplayCase[] {
  const cases: ReplayCase[] = [];
  for (const s of STRUCTURE_SCENARIOS) {
    for (const r of RESPONDERS) {
      cases.push({ name: `structure ${s} ${r}`, scenario: s, capture: { packets: () => structureCapture(s, r === 'capture') }, opts: { responder: r } });
    }
  }
  const captures = readdirSync(join(FIXTURES, 'captures')).sort();
  for (const c of captures) {
    if (c === 'real-http-udp.pcap') continue;
    cases.push({ name: `fixture ${c} snat default`, scenario: 'snat.yaml', capture: { fixture: `captures/${c}` }, opts: {} });
    cases.push({ name: `fixture ${c} dsr-ipv6 echo`, scenario: 'dsr-ipv6.yaml', capture: { fixture: `captures/${c}` }, opts: { responder: 'echo' } });
  }
  for (const mode of ['snat', 'dsr', 'hybrid'] as const) {
    cases.push({ name: `real ${mode} capture`, scenario: 'real-capture.yaml', capture: { fixture: 'captures/real-http-udp.pcap' }, opts: { mode, responder: 'capture' } });
  }
  cases.push({ name: 'real dsr echo', scenario: 'real-capture.yaml', capture: { fixture: 'captures/real-http-udp.pcap' }, opts: { mode: 'dsr', responder: 'echo' } });
  cases.push({ name: 'real hybrid default, no out', scenario: 'real-capture.yaml', capture: { fixture: 'captures/real-http-udp.pcap' }, opts: { mode: 'hybrid' }, noOut: true });
  for (const s of ['snat.yaml', 'dsr.yaml', 'hybrid.yaml', 'dsr-geneve.yaml', 'maglev.yaml']) {
    for (const r of RESPONDERS) cases.push({ name: `odd ${s} ${r}`, scenario: s, capture: { packets: oddCapture }, opts: { responder: r } });
  }
  const farFuture = (i: number) => ({ sec: 4_000_000_000 + i * 3601, nsec: (i * 123_456_789) % 1_000_000_000 });
  cases.push({ name: 'odd dsr capture, far-future timestamps', scenario: 'dsr.yaml', capture: { packets: oddCapture, times: farFuture }, opts: { responder: 'capture' } });
  cases.push({ name: 'odd dsr capture, small batches', scenario: 'dsr.yaml', capture: { packets: oddCapture }, opts: { responder: 'capture', batchRecords: 3, maxEvents: 200, arenaBytes: 120_000 } });
  cases.push({ name: 'odd snat echo, tiny arena', scenario: 'snat.yaml', capture: { packets: oddCapture }, opts: { responder: 'echo', arenaBytes: 700 } });
  cases.push({ name: 'odd dsr capture, tiny arena', scenario: 'dsr.yaml', capture: { packets: oddCapture }, opts: { responder: 'capture', arenaBytes: 400 } });
  cases.push({ name: 'odd snat capture, no out', scenario: 'snat.yaml', capture: { packets: oddCapture }, opts: { responder: 'capture' }, noOut: true });
  cases.push({ name: 'odd snat, event log too small', scenario: 'snat.yaml', capture: { packets: oddCapture }, opts: { responder: 'echo', maxEvents: 50 } });
  cases.push({ name: 'raw IP link type', scenario: 'snat.yaml', capture: { packets: () => structureCapture('snat.yaml', true).map((p) => p.subarray(14)), linktype: 101 }, opts: {} });
  for (const mode of ['snat', 'dsr'] as const) {
    cases.push({ name: `bench ${mode} none`, scenario: 'real-capture.yaml', capture: { packets: () => benchCapture(3000) }, opts: { mode, responder: 'none' } });
  }
  cases.push({ name: 'bench hybrid echo', scenario: 'real-capture.yaml', capture: { packets: () => benchCapture(1500) }, opts: { mode: 'hybrid', responder: 'echo' } });
  cases.push({ name: 'bench snat none, no out', scenario: 'real-capture.yaml', capture: { packets: () => benchCapture(3000) }, opts: { mode: 'snat', responder: 'none' }, noOut: true });
  for (const bad of ['truncated-record.pcap', 'caplen-over-snaplen.pcap', 'empty.pcap']) {
    cases.push({ name: `bad ${bad}`, scenario: 'snat.yaml', capture: { fixture: `bad/${bad}` }, opts: { responder: 'echo' } });
  }
  return cases;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out;
}

/** What one run wrote and returned; temp paths replaced by <TMP>, the repository's by <ROOT>. */
export interface CaseOutput {
  /** Output files by path under the output directory (summary.json with the paths replaced). */
  files?: Map<string, Buffer>;
  /** JSON of the returned summary. */
  summary?: string;
  /** The message replay threw with. */
  error?: string;
}

export type ReplayFn = (capture: string, scenario: Scenario, opts: ReplayOptions) => Promise<{ summary: unknown }>;

/** Writes a case's capture into `dir` (unless it is a fixture) and returns its path. */
export function caseCapture(c: ReplayCase, dir: string): string {
  if ('fixture' in c.capture) return join(FIXTURES, c.capture.fixture);
  const { packets, linktype, times } = c.capture;
  const cap = join(dir, 'in.pcap');
  writeFileSync(cap, pcapBytes(packets().map((data, i) => ({ ts: times ? times(i) : { sec: 1_700_000_000, nsec: i * 1_000_000 }, data })), linktype ? { linktype } : {}));
  return cap;
}

/** Runs one case with `impl`, writing into `out` (a fresh directory). */
export async function runCase(impl: ReplayFn, c: ReplayCase, cap: string, out: string, tmp: string): Promise<CaseOutput> {
  const norm = (s: string) => s.split(out).join('<OUT>').split(tmp).join('<TMP>').split(ROOT).join('<ROOT>');
  const scenario = await loadScenario(scenarioPath(c.scenario));
  const res: CaseOutput = {};
  try {
    const r = await impl(cap, scenario, c.noOut ? c.opts : { ...c.opts, out });
    res.summary = norm(JSON.stringify(r.summary));
  } catch (e) {
    res.error = `${(e as Error).name}: ${norm((e as Error).message)}`;
  }
  if (!c.noOut && existsSync(out)) {
    res.files = new Map();
    for (const f of listFiles(out)) {
      const b = readFileSync(join(out, f));
      res.files.set(f, f === 'summary.json' ? Buffer.from(norm(b.toString('utf8'))) : b);
    }
  }
  return res;
}

/** Where two outputs first differ (a file, a line of text, a byte), or undefined when equal. */
export function firstDifference(want: CaseOutput, got: CaseOutput): string | undefined {
  if (want.error !== got.error) return `error: ${want.error ?? 'none'} vs ${got.error ?? 'none'}`;
  if (want.summary !== got.summary) return `returned summary:\n${want.summary}\n${got.summary}`;
  const wf = [...(want.files?.keys() ?? [])];
  const gf = [...(got.files?.keys() ?? [])];
  if (wf.join('\n') !== gf.join('\n')) return `files: ${wf.join(', ')} vs ${gf.join(', ')}`;
  for (const f of wf) {
    const a = want.files!.get(f)!;
    const b = got.files!.get(f)!;
    if (a.equals(b)) continue;
    if (f.endsWith('.pcap')) {
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      return `${f}: ${a.length} vs ${b.length} bytes, first difference at byte ${i}`;
    }
    const al = a.toString('utf8').split('\n');
    const bl = b.toString('utf8').split('\n');
    let i = 0;
    while (i < al.length && i < bl.length && al[i] === bl[i]) i++;
    return `${f} line ${i + 1}:\n  want ${al[i] ?? '(end)'}\n  got  ${bl[i] ?? '(end)'}`;
  }
  return undefined;
}
