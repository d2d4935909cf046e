// replay --out DIR, structurally, for every fixture scenario and every responder: one pcap per
// capture point (readable, Ethernet, microseconds, valid checksums), flows.jsonl with Hubble-like
// fields and exactly one final hop per packet, and summary.json whose fates add up to the input
// (N = delivered + toStack + dropped + answered).
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { checkChecksums, CSUM_IPV4_BAD, CSUM_L4_BAD } from '../../src/packet/parse.js';
import { replay, type ReplayResult } from '../../src/replay.js';
import { loadScenario } from '../../src/scenario/index.js';
import { tempDir } from '../helpers.js';
import {
  CLIENT4,
  CLIENT6,
  NODE_B4,
  VIP4,
  VIP6,
  interleave,
  readFlows,
  readSummary,
  scenarioPath,
  tcpConversation,
  udpExchange,
  writeCapture,
} from './helpers.js';

const tmp = tempDir('dsrlab-replay-');
afterAll(() => tmp.cleanup());

/** A capture for a scenario: TCP and UDP to the LoadBalancer IP, and TCP to a NodePort. */
function captureFor(scenario: string, withServer: boolean): Uint8Array[] {
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

const SCENARIOS = ['snat.yaml', 'dsr.yaml', 'hybrid.yaml', 'dsr-ipv6.yaml', 'maglev.yaml', 'dsr-geneve.yaml'];
const RESPONDERS = ['capture', 'echo', 'none'] as const;
const CASES = SCENARIOS.flatMap((s) => RESPONDERS.map((r) => [s, r] as const));

describe.each(CASES)('replay %s with responder %s', (scenarioName, responder) => {
  const out = join(tmp.dir, `${scenarioName}-${responder}`);
  let result: ReplayResult;
  let packets: Uint8Array[];

  it('runs and accounts for every packet (N = D + S + X + A)', async () => {
    const scenario = await loadScenario(scenarioPath(scenarioName));
    packets = captureFor(scenarioName, responder === 'capture');
    const cap = writeCapture(tmp.dir, `${scenarioName}-${responder}.pcap`, packets);
    result = await replay(cap, scenario, { responder, out });
    const p = result.summary.packets;
    expect(p.in).toBe(packets.length);
    expect(p.unaccounted).toBe(0);
    expect(p.delivered + p.toStack + p.dropped + p.answered).toBe(p.in);
    expect(p.requests + p.server).toBe(p.in);
    expect(Object.values(result.summary.dropReasons).reduce((a, b) => a + b, 0)).toBe(p.dropped);
    expect(result.summary.responder).toBe(responder);
    if (responder !== 'echo') expect(result.summary.responses.made).toBe(0);
  });

  it('writes summary.json equal to the returned summary', () => {
    expect(readSummary(out)).toEqual(JSON.parse(JSON.stringify(result.summary)));
  });

  it('writes a wire pcap for every host and a tcpdump pcap for every node, all readable', () => {
    const cp = result.controlPlane;
    const expected = [
      ...cp.hosts.map((h) => `wire-${h.name}.pcap`),
      ...cp.nodeIds.map((id) => `tcpdump-${cp.hosts[id]!.name}.pcap`),
    ];
    expect(expected).toContain('wire-world.pcap');
    expect(expected).toContain('wire-client-1.pcap');
    for (const pod of cp.hosts.filter((h) => h.kind === 'pod')) expect(expected).toContain(`wire-${pod.name}.pcap`);
    for (const f of expected) {
      const path = join(out, 'points', f);
      expect(existsSync(path), f).toBe(true);
      const r = new CaptureReader(path);
      const frames = [...r.packets()];
      const h = r.header();
      expect(h.format).toBe('pcap');
      expect(h.nanosecond).toBe(false);
      expect(h.linktype).toBe(1);
      // Every packet dsrlab emits has valid IPv4 header and L4 checksums.
      const bad = checkChecksums(frames.map((p) => p.data)).map((c, i) => [i, c & (CSUM_IPV4_BAD | CSUM_L4_BAD)]).filter(([, c]) => c);
      expect(bad, `${f}: packets with bad checksums`).toEqual([]);
    }
    expect(result.summary.outputs?.pcaps.map((p) => p.replace('points/', '')).sort()).toEqual([...expected].sort());
  });

  it('puts every wire and tap event with a frame in its pcap', () => {
    const flows = readFlows(out);
    const perFile = new Map<string, number>();
    for (const f of flows) {
      if (!f.host || !(f.length as number)) continue;
      const p = f.point as string;
      const file = p === 'WIRE_TX' || p === 'WIRE_RX' ? `wire-${f.host}.pcap` : p === 'TAP_RX' || p === 'TAP_TX' ? `tcpdump-${f.host}.pcap` : undefined;
      if (file) perFile.set(file, (perFile.get(file) ?? 0) + 1);
    }
    expect(perFile.size).toBeGreaterThan(0);
    for (const [file, n] of perFile) expect([...new CaptureReader(join(out, 'points', file)).packets()].length, file).toBe(n);
  });

  it('writes Hubble-like flow records with one final hop per capture packet', () => {
    const flows = readFlows(out);
    expect(flows.length).toBe(result.summary.outputs!.flowRecords);
    const finals = new Map<number, number>();
    for (const f of flows) {
      expect(f.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(typeof f.packet).toBe('number');
      expect(typeof f.trace_observation_point).toBe('string');
      expect(['TRACED', 'FORWARDED', 'TRANSLATED', 'DROPPED']).toContain(f.verdict);
      expect(typeof f.is_reply).toBe('boolean');
      if (f.verdict === 'DROPPED') {
        expect(typeof f.drop_reason_desc).toBe('string');
        expect(typeof f.drop_reason).toBe('number');
      }
      if (f.IP) {
        const ip = f.IP as { source: string; destination: string; ipVersion: string };
        expect(['IPv4', 'IPv6']).toContain(ip.ipVersion);
        expect(typeof ip.source).toBe('string');
      }
      const l4 = f.l4 as Record<string, Record<string, unknown>> | undefined;
      if (l4?.TCP) {
        expect(typeof l4.TCP.source_port).toBe('number');
        expect(typeof l4.TCP.destination_port).toBe('number');
        expect(typeof l4.TCP.flags).toBe('object');
      }
      if (l4?.UDP) expect(typeof l4.UDP.destination_port).toBe('number');
      if (f.node_name !== undefined) expect(result.controlPlane.hostByName.get(f.node_name as string)?.kind).toBe('node');
      if (f.final && (f.packet as number) < 0x80000000) finals.set(f.packet as number, (finals.get(f.packet as number) ?? 0) + 1);
    }
    expect(finals.size).toBe(packets.length);
    for (const [, n] of finals) expect(n).toBe(1);
    // Capture packets start at their sender's link (or are withheld server packets).
    const first = new Map<number, Record<string, unknown>>();
    for (const f of flows) if (!first.has(f.packet as number)) first.set(f.packet as number, f);
    for (const [id, f] of first) if (id < 0x80000000) expect(f.point).toBe('WIRE_TX');
  });

  it('counts per node and hook, and balances flows to backends', () => {
    const s = result.summary;
    for (const id of result.controlPlane.nodeIds) expect(s.nodes).toHaveProperty(result.controlPlane.hosts[id]!.name);
    const total = Object.values(s.nodes).reduce((n, hooks) => n + Object.values(hooks).reduce((m, v) => m + Object.values(v).reduce((a, b) => a + b, 0), 0), 0);
    expect(total).toBeGreaterThan(0);
    expect(s.flows.balanced).toBeGreaterThan(0);
    expect(Object.values(s.flowsByBackend).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(s.flows.balanced);
    if (responder === 'capture') {
      const c = s.comparison!;
      expect(c.compared + c.notDelivered).toBe(s.packets.server);
      expect(c.matched + c.mismatched).toBe(c.compared);
    } else {
      expect(s.comparison).toBeUndefined();
      expect(s.packets.server).toBe(0);
    }
  });
});

describe('replay without --out', () => {
  it('returns the summary and writes nothing', async () => {
    const scenario = await loadScenario(scenarioPath('snat.yaml'));
    const cap = writeCapture(tmp.dir, 'noout.pcap', tcpConversation(CLIENT4, VIP4, 40000, 80));
    const { summary } = await replay(cap, scenario);
    expect(summary.responder).toBe('capture'); // the capture holds server packets
    expect(summary.outputs).toBeUndefined();
    expect(summary.packets.in).toBe(8);
  });

  it('defaults to the echo responder for a one-sided capture', async () => {
    const scenario = await loadScenario(scenarioPath('snat.yaml'));
    const cap = writeCapture(tmp.dir, 'oneside.pcap', tcpConversation(CLIENT4, VIP4, 40000, 80, false));
    const { summary } = await replay(cap, scenario);
    expect(summary.responder).toBe('echo');
    expect(summary.responses.made).toBeGreaterThan(0);
  });
});

describe('replay --out into a full device', () => {
  // The files are written from the sink's writer thread (flows.jsonl here) or, for the pcap
  // headers, from TypeScript: either way the error names the file and the run ends cleanly.
  it.each(['flows.jsonl', 'points/wire-client-1.pcap'])('reports a failed write of %s, naming the file', async (file) => {
    if (!existsSync('/dev/full')) return;
    const scenario = await loadScenario(scenarioPath('snat.yaml'));
    const cap = writeCapture(tmp.dir, 'full.pcap', captureFor('snat.yaml', false));
    const out = join(tmp.dir, `full-${file.replace(/\W/g, '_')}`);
    mkdirSync(join(out, 'points'), { recursive: true });
    symlinkSync('/dev/full', join(out, file));
    const err = await replay(cap, scenario, { out, responder: 'echo' }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe('InputError');
    expect(err?.message).toContain(join(out, file));
    expect(err?.message).toMatch(/cannot write: .*(no space|ENOSPC)/i);
    // Nothing is left running: the same sink machinery replays again at once.
    const again = await replay(cap, scenario, { out: join(out, 'again'), responder: 'echo' });
    expect(again.summary.packets.in).toBeGreaterThan(0);
  });
});

describe('batching', () => {
  it('gives the same outputs however the capture and the event log are cut', async () => {
    const scenario = await loadScenario(scenarioPath('hybrid.yaml'));
    const cap = writeCapture(tmp.dir, 'batch.pcap', captureFor('hybrid.yaml', true));
    const a = join(tmp.dir, 'batch-a');
    const b = join(tmp.dir, 'batch-b');
    const ra = await replay(cap, scenario, { out: a });
    const rb = await replay(cap, await loadScenario(scenarioPath('hybrid.yaml')), { out: b, batchRecords: 3, maxEvents: 200, arenaBytes: 120_000 });
    const strip = (s: typeof ra.summary) => ({ ...s, outputs: undefined });
    expect(strip(rb.summary)).toEqual(strip(ra.summary));
    expect(readFileSync(join(b, 'flows.jsonl'), 'utf8')).toBe(readFileSync(join(a, 'flows.jsonl'), 'utf8'));
    for (const f of ra.summary.outputs!.pcaps) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  });

  it('is deterministic: same inputs, byte-identical outputs', async () => {
    const cap = writeCapture(tmp.dir, 'det.pcap', captureFor('snat.yaml', false));
    const dirs = [join(tmp.dir, 'det-1'), join(tmp.dir, 'det-2')];
    for (const d of dirs) await replay(cap, await loadScenario(scenarioPath('snat.yaml')), { out: d, responder: 'echo' });
    for (const f of ['flows.jsonl', 'points/wire-client-1.pcap', 'points/tcpdump-node-a.pcap']) {
      expect(readFileSync(join(dirs[1]!, f)).equals(readFileSync(join(dirs[0]!, f))), f).toBe(true);
    }
  });
});
