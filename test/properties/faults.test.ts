// The invariants catch real bugs: each test plants one fault in the C datapath (DL_FAULT_* in
// native/include/dsrlab/cluster.h, checked at one commented place each in native/src/node.c),
// runs the same kind of property the suite runs, and expects the invariant that guards that
// behaviour to fail with a small shrunk counterexample and a `dsrlab explain` command. Without
// the fault the same property holds. An invariant that cannot fail is worthless.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';
import {
  checkTrials,
  CounterexampleError,
  DATAPATH_FAULTS,
  mtuSafety,
  snatBijection,
  synOnlyOption,
  transparency,
  trial,
  type DatapathFault,
  type Invariant,
  type TrialConstraints,
} from '../../src/testing/index.js';

interface Case {
  fault: DatapathFault;
  /** What the fault breaks, in DESIGN's words. */
  breaks: string;
  invariant: Invariant;
  trials: TrialConstraints;
  /** The shrunk counterexample has at most this many flows. */
  maxFlows: number;
}

const CASES: Case[] = [
  { fault: 'OPT_EVERY_SEGMENT', breaks: 'the DSR option rides on the SYN only', invariant: synOnlyOption, trials: { cluster: { cilium: { modes: ['dsr', 'hybrid'] } }, flows: { protocols: ['tcp'] } }, maxFlows: 1 },
  { fault: 'REVNAT_PORT_OFF_BY_ONE', breaks: 'reverse NAT restores the tuple exactly', invariant: snatBijection, trials: { cluster: { cilium: { modes: ['snat'] } } }, maxFlows: 1 },
  { fault: 'REVNAT_PORT_OFF_BY_ONE', breaks: 'the client sees replies from the address:port it sent to', invariant: transparency, trials: { cluster: { cilium: { modes: ['snat', 'hybrid'] } } }, maxFlows: 1 },
  { fault: 'NO_MTU_CHECK', breaks: 'an oversize DSR request gets one ICMP too-big', invariant: mtuSafety, trials: { cluster: { cilium: { modes: ['dsr'], pmtuDiscovery: [true] } } }, maxFlows: 1 },
  { fault: 'SNAT_REUSE_PORT', breaks: 'SNAT pairs are unique among live flows', invariant: snatBijection, trials: { cluster: { cilium: { modes: ['snat'] } }, flows: { maxFlows: 6 } }, maxFlows: 4 },
];

const out = tempDir('dsrlab-faults-');
afterAll(out.cleanup);

function caught(c: Case): CounterexampleError {
  try {
    checkTrials({ trials: trial(c.trials), invariants: [c.invariant], faults: [c.fault], numRuns: 300, seed: 4242, outDir: out.dir });
  } catch (e) {
    if (e instanceof CounterexampleError) return e;
    throw e;
  }
  throw new Error(`${c.invariant.name} did not catch the planted fault ${c.fault} in 300 trials`);
}

describe('planted datapath faults', () => {
  it('DATAPATH_FAULTS mirrors the DL_FAULT_* bits of cluster.h', () => {
    const h = readFileSync(join(ROOT, 'native', 'include', 'dsrlab', 'cluster.h'), 'utf8');
    const bits = Object.fromEntries([...h.matchAll(/#define DL_FAULT_(\w+)\s+(0x[0-9a-f]+)u/g)].map((m) => [m[1], Number(m[2])]));
    expect(bits).toEqual(DATAPATH_FAULTS);
  });

  it.each(CASES)('$fault is caught by $invariant.name ($breaks), shrunk to at most $maxFlows flow(s)', (c) => {
    const e = caught(c);
    expect(e.invariant).toBe(c.invariant.name);
    expect(e.message).toContain(`${c.invariant.name} does not hold`);
    expect(e.message).toMatch(/expected: .*\n\s+seen: /);
    expect(e.trial.flows.length).toBeLessThanOrEqual(c.maxFlows);
    expect((e.trial.scenario as { nodes: unknown[] }).nodes.length).toBeLessThanOrEqual(3);
    expect(e.command).toMatch(/^dsrlab explain --scenario \S+ --packet '(tcp|udp) [^']+' --mode (snat|dsr|hybrid)$/);
    expect(e.message).toContain(e.command!);
    // The case replays: the same seed and path fail the same way.
    expect(() => checkTrials({ trials: trial(c.trials), invariants: [c.invariant], faults: [c.fault], seed: e.seed, path: e.path!, numRuns: 1, outDir: out.dir })).toThrow(`${c.invariant.name} does not hold`);
  });

  it.each(CASES)('without $fault, $invariant.name holds on the same trials', (c) => {
    checkTrials({ trials: trial(c.trials), invariants: [c.invariant], numRuns: 25, seed: 4242 });
  });
});
