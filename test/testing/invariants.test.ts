// Every invariant of dsrlab/testing holds on the fixture scenarios in every mode, and returns a
// readable explanation (the rule, then flow / hop / expected / seen) when a run is doctored to
// break it. faults.test.ts does the same with faults planted in the C datapath; here the
// invariants without a planted fault (conservation, checksums, determinism, Maglev, the path
// and MTU rules) prove they can fail too.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers.js';
import {
  ALL_INVARIANTS,
  asymmetricPath,
  checksumValidity,
  conservation,
  determinism,
  maglevBalance,
  maglevConsistency,
  mtuSafety,
  runTrial,
  transparency,
  violation,
  type Flow,
  type TrafficRun,
} from '../../src/testing/index.js';
import { balanceProblem } from '../../src/testing/invariants/maglevBalance.js';
import { buildMaglevTable } from '../../src/maglev/table.js';
import type { ReplayResult } from '../../src/replay.js';

const scenario = (name: string) => join(FIXTURES, 'scenarios', name);
const FLOWS: Flow[] = [
  { proto: 'tcp', client: '203.0.113.7', cport: 40000, frontend: '198.51.100.10', fport: 80, data: [100, 1460] },
  { proto: 'udp', client: '203.0.113.7', cport: 40001, frontend: '198.51.100.10', fport: 53, data: [1472, 100] },
  { proto: 'tcp', client: '203.0.113.7', cport: 40002, frontend: '198.51.100.10', fport: 80, data: [10], close: 'rst' },
  { proto: 'udp', client: '203.0.113.7', cport: 40003, frontend: '198.51.100.10', fport: 53, data: [3000], fragment: 1480 },
];

const run = (file: string, mode: 'snat' | 'dsr' | 'hybrid', flows: Flow[] = FLOWS) => runTrial({ scenario: scenario(file), flows }, { mode });

describe('on the fixture scenarios every invariant holds', () => {
  const cases = ['snat.yaml', 'dsr.yaml', 'hybrid.yaml', 'maglev.yaml', 'dsr-geneve.yaml'].flatMap((f) => (['snat', 'dsr', 'hybrid'] as const).map((m) => ({ f, m })));
  it.each(cases)('$f in $m mode', ({ f, m }) => {
    const r = run(f, m);
    for (const inv of ALL_INVARIANTS) expect(inv(r), inv.name).toBeUndefined();
  });
});

/** The hop index of the first hop matching. */
function hopOf(r: TrafficRun, pred: (h: TrafficRun['hops'][number]) => boolean): number {
  const i = r.hops.findIndex(pred);
  if (i < 0) throw new Error('no such hop');
  return i;
}

function expectExplanation(text: string | undefined, name: string, ...parts: (string | RegExp)[]): void {
  expect(text).toBeDefined();
  expect(text!.startsWith(`${name}: `)).toBe(true);
  for (const p of parts) expect(text).toMatch(p);
}

describe('doctored runs are caught, with flow, hop, expected and seen', () => {
  it('conservation: a packet whose final fate is missing', () => {
    const r = run('snat.yaml', 'snat');
    r.hops[hopOf(r, (h) => h.pkt === 0 && h.final)]!.final = false;
    expectExplanation(conservation(r), 'conservation', /packet 0 = flow 0's packet 0: tcp 203\.0\.113\.7:40000 > 198\.51\.100\.10:80 syn/, /expected: exactly one final fate/, /seen: 0/);
  });

  it('conservation: a frame that leaves a wire and never arrives', () => {
    const r = run('snat.yaml', 'snat');
    r.hops.splice(hopOf(r, (h) => h.pkt === 1 && h.point === 'WIRE_RX'), 1);
    expectExplanation(conservation(r), 'conservation', /expected: hop \d+ \(wire client-1 → node-a\) to arrive at node-a next/);
  });

  it('conservation: a drop without a drop reason, and a replay whose counts do not add up', () => {
    const r = run('snat.yaml', 'snat');
    const i = hopOf(r, (h) => h.pkt === 0 && h.final);
    Object.assign(r.hops[i]!, { verdict: 'DROPPED', drop: 0 });
    expectExplanation(conservation(r), 'conservation', /to carry one of Cilium's drop reasons/, /seen: drop code 0/);
    const replay = { summary: { capture: 'x.pcap', packets: { in: 10, delivered: 5, toStack: 1, dropped: 2, answered: 1, unaccounted: 0 } } } as unknown as ReplayResult;
    expectExplanation(conservation(replay), 'conservation', /in 10, delivered 5 \+ toStack 1 \+ dropped 2 \+ answered 1 = 9/);
    replay.summary.packets.dropped = 3;
    expect(conservation(replay)).toBeUndefined();
  });

  it('transparency: a reply that reaches the client from the backend address', () => {
    const r = run('dsr.yaml', 'dsr');
    const i = hopOf(r, (h) => h.reply && h.point === 'CLIENT');
    r.hops[i]!.frame.set([10, 244, 1, 10], 14 + 12);
    expectExplanation(transparency(r), 'transparency', /expected: tcp 198\.51\.100\.10:80 > 203\.0\.113\.7:40000/, /seen: {5}tcp 10\.244\.1\.10:80 > 203\.0\.113\.7:40000/);
  });

  it('asymmetricPath: a DSR reply that passes the LB node, and an SNAT run read as DSR', () => {
    const dsr = run('dsr.yaml', 'dsr', [{ proto: 'tcp', client: '203.0.113.7', cport: 40000, frontend: '198.51.100.10', fport: 80, data: [] }]);
    expect(dsr.hops.find((h) => h.point === 'POD')!.hostName, 'the seed sends this flow to a remote backend').not.toBe('web-a');
    dsr.hops.find((h) => h.reply && h.point === 'TAP_TX')!.hostName = 'node-a';
    expectExplanation(asymmetricPath(dsr), 'asymmetricPath', /expected: in DSR the reply goes from node-[bc] straight to the client, never through node-a/, /seen: it crossed node-a at hop \d+/);
    const snat = run('snat.yaml', 'snat', [{ proto: 'tcp', client: '203.0.113.7', cport: 40002, frontend: '198.51.100.10', fport: 80, data: [] }]);
    expect(snat.hops.find((h) => h.point === 'POD')!.hostName, 'the seed sends this flow to a remote backend').not.toBe('web-a');
    snat.mode = 'dsr';
    expectExplanation(asymmetricPath(snat), 'asymmetricPath', /expected: the pod sees the client 203\.0\.113\.7:40002/, /seen: tcp 192\.168\.10\.11:\d+ >/);
  });

  it('checksumValidity: a frame with a broken IPv4 header checksum at one hop', () => {
    const r = run('hybrid.yaml', 'hybrid');
    const i = hopOf(r, (h) => h.pkt === 2 && h.point === 'TC_EGRESS');
    const f = r.hops[i]!.frame;
    f[24] = f[24]! ^ 0xff;
    expectExplanation(checksumValidity(r), 'checksumValidity', new RegExp(`hop ${i} \\(node-a tc egress\\)`), /seen: the IPv4 header checksum wrong/);
  });

  it('determinism: a run that a second run does not reproduce', () => {
    const r = run('maglev.yaml', 'dsr');
    const i = hopOf(r, (h) => h.backend !== 0);
    r.hops[i]!.backend += 1;
    expectExplanation(determinism(r), 'determinism', new RegExp(`hop ${i} `), /seen: backend: first run \d+, second run \d+/);
  });

  it('maglevConsistency: a node that picks another backend than the Maglev table', () => {
    const r = run('maglev.yaml', 'dsr');
    const i = hopOf(r, (h) => h.slot !== 0 && h.hash !== 0);
    const ids = [...r.cluster.controlPlane.backends.keys()];
    r.hops[i]!.backend = ids.find((b) => b !== r.hops[i]!.backend)!;
    expectExplanation(maglevConsistency(r), 'maglevConsistency', /expected: hash \d+, slot \d+ of 251, backend/, /seen: hash \d+, slot \d+, backend/);
  });

  it('maglevBalance: a table in which one backend owns too many slots', () => {
    const t = buildMaglevTable([{ addr: '10.0.0.1', port: 80 }, { addr: '10.0.0.2', port: 80 }, { addr: '10.0.0.3', port: 80 }], undefined, 251);
    expect(balanceProblem(t)).toBeUndefined();
    for (let k = 0; k < 10; k++) if (t.table[k] !== 0) t.table[k] = 0;
    t.backends[0]!.slots = t.table.filter((x) => x === 0).length;
    expect(balanceProblem(t)).toMatchObject({ expected: '83 or 84 slots' });
    expect(maglevBalance(run('maglev.yaml', 'dsr'))).toBeUndefined();
  });

  it('mtuSafety: a frame above its link MTU', () => {
    const r = run('snat.yaml', 'snat');
    r.scenario.nodes.find((n) => n.name === 'node-a')!.mtu = 1400;
    expectExplanation(mtuSafety(r), 'mtuSafety', /expected: at most 1400 bytes of IP on the link \S+ → \S+/, /seen: (tcp|udp) .*\(1500 bytes of IP\) at hop \d+ \(wire /);
  });

  it('violation() formats an explanation of your own and names the packet for the explain command', () => {
    const r = run('snat.yaml', 'snat');
    expect(violation(r, 'mine: every packet is loved', ['packet 0', 'expected: love', 'seen: none'], 0)).toBe('mine: every packet is loved\n  packet 0\n  expected: love\n  seen: none');
  });
});
