// What dsrlab's own property tests once found in the datapath, kept as plain properties now
// that it is fixed. (A finding that stands is written as `it.fails`: it keeps the suite green
// while the finding stands and turns red once the datapath is fixed; then it becomes a plain
// `it` here.)
import { afterAll, describe, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { checkTrials, synOnlyOption, trial } from '../../src/testing/index.js';

const out = tempDir('dsrlab-findings-');
afterAll(out.cleanup);

describe('findings', () => {
  // Recent-main profile (1.18+): a client that reuses its port after closing a connection (FIN
  // or RST) hits the old, closing service CT entry, which the service lookup reports as
  // CT_REPLY, not CT_NEW. Gating DSR info on CT_NEW sent that SYN to the backend without the
  // option, so the backend cleared its dsr bit. Cilium takes the LB's need_dsr_info from the SYN
  // flag the CT lookup saw (cilium/cilium#47388): a SYN without ACK always carries it
  // (native/src/dsr.c dl_dsr_needs_info). The pipeline fuzzer found the same through a SYN on
  // an established flow (native/fuzz/regressions/pipeline/recent-geneve-syn-on-known-flow-*).
  it('the SYN of a connection that reuses a closed connection\'s client port carries the DSR option (1.19, dsr)', () => {
    checkTrials({
      trials: trial({ cluster: { nodes: { min: 2, max: 3 }, cilium: { modes: ['dsr'], versions: ['1.19'], dispatches: ['opt'] } }, flows: { protocols: ['tcp'], distinctTuples: false, clientPorts: { min: 40000, max: 40000 }, closes: ['fin', 'rst'], minFlows: 2 } }),
      invariants: [synOnlyOption],
      numRuns: 60,
      seed: 77,
      outDir: out.dir,
    });
  });
});
