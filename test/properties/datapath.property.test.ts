// dsrlab's own property tests: every DESIGN invariant (conservation, transparency, asymmetric
// path, SYN-only option, MTU safety, SNAT bijection and exact reverse NAT, Maglev balance and
// consistency, checksums, determinism) over generated clusters, services, flows and packet
// sizes, in every mode and family, through the same dsrlab/testing kit users get.
// coverage.test.ts shows the generated cases reach what each invariant talks about;
// faults.test.ts shows each invariant fails when the datapath is broken on purpose.
import { describe, it } from 'vitest';
import { ALL_INVARIANTS, checkTrials, determinism } from '../../src/testing/index.js';
import { FAMILIES, MODES, trials } from './setup.js';

/** Trials per mode and family (10–30 ms each on an idle machine). */
const NUM_RUNS = 40;
/** Determinism builds every cluster twice: fewer trials, all families mixed. */
const DETERMINISM_RUNS = 20;

const PER_TRIAL = ALL_INVARIANTS.filter((i) => i !== determinism);

describe.each(MODES)('%s mode', (mode) => {
  describe.each(FAMILIES)('$name', ({ families }) => {
    it(`holds ${PER_TRIAL.map((i) => i.name).join(', ')}`, () => {
      checkTrials({ trials: trials(mode, families), invariants: PER_TRIAL, numRuns: NUM_RUNS });
    });
  });
  it('holds determinism: the same scenario, seed and traffic give byte-identical hops', () => {
    checkTrials({ trials: trials(mode, ['ipv4', 'ipv6']), invariants: [determinism], numRuns: DETERMINISM_RUNS });
  });
});
