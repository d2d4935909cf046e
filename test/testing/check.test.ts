// The runner: checkScenario / checkTrials pass quietly when the invariants hold, and otherwise
// throw a CounterexampleError whose message a person can act on: the invariant's explanation,
// the shrunk traffic, and a `dsrlab explain` command (the packet SPEC of scenario.md, which
// explain's own parser accepts) plus the capture and scenario it needs, all written to disk.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, tempDir } from '../helpers.js';
import { readAllPackets } from '../../src/capture/reader.js';
import { parsePacketSpec } from '../../src/explain/packet-spec.js';
import { loadScenario } from '../../src/scenario/index.js';
import {
  checkScenario,
  checkTrials,
  CounterexampleError,
  flow,
  flowPackets,
  flows,
  formatPacket,
  packetFrames,
  runTrial,
  snatBijection,
  transparency,
  trial,
  type Flow,
  type ScenarioDocument,
} from '../../src/testing/index.js';

const SNAT = join(FIXTURES, 'scenarios', 'snat.yaml');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function outDir(): string {
  const t = tempDir('dsrlab-check-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function thrown(f: () => void): CounterexampleError {
  try {
    f();
  } catch (e) {
    if (e instanceof CounterexampleError) return e;
    throw e;
  }
  throw new Error('expected a CounterexampleError');
}

describe('checkScenario', () => {
  it('passes when the invariants hold, for flow lists and single flows', () => {
    checkScenario({ scenario: SNAT, numRuns: 10 });
    checkScenario({ scenario: SNAT, mode: ['dsr', 'hybrid'], flows: flow({ scenario: SNAT }), invariants: [transparency], numRuns: 10 });
  });

  it('throws a readable counterexample naming the file, the mode and an explain command to paste', () => {
    const dir = outDir();
    const e = thrown(() => checkScenario({ scenario: SNAT, mode: 'hybrid', invariants: [transparency], faults: ['REVNAT_PORT_OFF_BY_ONE'], numRuns: 50, seed: 3, outDir: dir }));
    expect(e.invariant).toBe('transparency');
    expect(e.message).toMatch(new RegExp(`^dsrlab/testing: transparency does not hold \\(mode hybrid, scenario ${SNAT.replace(/[.]/g, '\\.')}\\)`));
    expect(e.message).toContain('\n\ntransparency: the client sees replies from exactly the address:port it sent to');
    expect(e.message).toMatch(/\n {2}expected: (tcp|udp) 198\.51\.100\.10:(80|53) > 203\.0\.113\.7:\d+\n {2}seen: {5}\S+ \S+ > 203\.0\.113\.7:\d+/);
    expect(e.message).toContain('Counterexample after ');
    expect(e.command).toMatch(new RegExp(`^dsrlab explain --scenario ${SNAT.replace(/[.]/g, '\\.')} --packet '[^']+' --mode hybrid$`));
    expect(e.message).toContain(`\nWalk the failing packet hop by hop:\n  ${e.command}\n`);
    expect(e.message).toMatch(/--capture \S+traffic\.pcap --flow 1 --mode hybrid/);
    expect(e.message).toContain(`{ seed: 3, path: ${JSON.stringify(e.path)} }`);
  });

  it('prints the packet in the SPEC syntax explain parses back to the same packet', () => {
    const e = thrown(() => checkScenario({ scenario: SNAT, invariants: [transparency], faults: ['REVNAT_PORT_OFF_BY_ONE'], numRuns: 50, seed: 5, outDir: outDir() }));
    const spec = /--packet '([^']+)'/.exec(e.command!)![1]!;
    const d = parsePacketSpec(spec);
    const sent = e.trial.flows.flatMap((f) => flowPackets(f)).map((p) => formatPacket(p));
    expect(sent).toContain(spec);
    expect(`${d.protocol} ${d.src}:${d.sport} > ${d.dst}:${d.dport}`).toBe(/^(\S+ \S+ > \S+)/.exec(spec)![1]);
  });

  it('writes the traffic as a capture (and a generated scenario as YAML) that load back', async () => {
    const dir = outDir();
    const e = thrown(() => checkTrials({ trials: trial({ cluster: { cilium: { modes: ['snat'] } } }), invariants: [snatBijection], faults: ['REVNAT_PORT_OFF_BY_ONE'], numRuns: 50, seed: 9, outDir: dir }));
    expect(e.files).toEqual([join(dir, 'scenario.yaml'), join(dir, 'traffic.pcap')]);
    const s = await loadScenario(join(dir, 'scenario.yaml'));
    expect(s.nodes.map((n) => n.name)).toEqual((e.trial.scenario as ScenarioDocument).nodes.map((n) => n['name']));
    const captured = readAllPackets(join(dir, 'traffic.pcap'));
    const expected = e.trial.flows.flatMap((f) => flowPackets(f).flatMap((p) => packetFrames(p)));
    expect(captured.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(expected.map((b) => Buffer.from(b).toString('hex')));
    expect(readFileSync(join(dir, 'scenario.yaml'), 'utf8')).toMatch(/^# dsrlab\/testing counterexample \(snatBijection\)\n/);
  });

  it('reports an error that is not an invariant (a scenario that does not load) as it is, with the case', () => {
    expect(() => checkScenario({ scenario: join(FIXTURES, 'scenarios', 'no-such.yaml'), flows: fc.constant([]) as fc.Arbitrary<Flow[]>, numRuns: 1 })).toThrow(/no-such\.yaml/);
    expect(() => checkScenario({ scenario: SNAT, invariants: [], numRuns: 1 })).toThrow(/^checkTrials: invariants is empty/);
  });

  it('formats packets as explain reads them (flags, len, seq where explain would pick another)', () => {
    expect(formatPacket({ proto: 'tcp', src: '203.0.113.7', sport: 40000, dst: '198.51.100.10', dport: 80, flags: ['syn'], len: 1400 })).toBe('tcp 203.0.113.7:40000 > 198.51.100.10:80 syn len=1400');
    expect(formatPacket({ proto: 'tcp', src: '2001:db8::7', sport: 40000, dst: '2001:db8::10', dport: 80, flags: ['psh', 'ack'], len: 5, seq: 1101 })).toBe('tcp [2001:db8::7]:40000 > [2001:db8::10]:80 psh ack len=5 seq=1101');
    expect(formatPacket({ proto: 'udp', src: '203.0.113.7', sport: 5000, dst: '198.51.100.10', dport: 53, len: 0 })).toBe('udp 203.0.113.7:5000 > 198.51.100.10:53');
    expect(formatPacket({ proto: 'icmp', src: '203.0.113.7', sport: 7, dst: '198.51.100.10', dport: 0, len: 8, seq: 2 })).toBe('icmp 203.0.113.7 > 198.51.100.10 len=8 id=7 seq=2');
    for (const spec of ['tcp 203.0.113.7:40000 > 198.51.100.10:80 psh ack len=5 seq=1101', 'icmp 203.0.113.7 > 198.51.100.10 len=8 id=7 seq=2']) expect(() => parsePacketSpec(spec)).not.toThrow();
  });

  it('flows of a scenario target its frontends from its clients', () => {
    for (const fs of fc.sample(flows({ scenario: SNAT }), { numRuns: 30, seed: 1 })) for (const f of fs) expect(['198.51.100.10', '192.168.10.11', '192.168.10.12', '192.168.10.13']).toContain(f.frontend);
  });
});

describe('runTrial', () => {
  it('closes the cluster it builds (native state freed at once), keeping names and hops readable', () => {
    const run = runTrial({ scenario: SNAT, flows: [{ proto: 'udp', client: '203.0.113.7', cport: 5000, frontend: '198.51.100.10', fport: 53, data: [10] }] });
    expect(run.hops.length).toBeGreaterThan(0);
    expect(run.cluster.hostName(0)).toBe('node-a');
    expect(() => run.cluster.send([{ frame: run.inputs[0]!.frame }])).toThrow(/Cluster: closed/);
  });
});
