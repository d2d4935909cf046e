/**
 * pipeline.ts: packets per second of the LB node's datapath program in C (new and established
 * flows, each mode, over a large working set and a small cache-resident one of 1,000 flows),
 * from native/bench/pipeline_bench.c, against the targets.
 */
import { execFileSync } from 'node:child_process';
import { buildCBench, type BenchRow } from './util.js';

export function benchPipeline(root: string, flows = 200000): BenchRow[] {
  const bin = buildCBench(root, 'pipeline_bench');
  // The scenario default (Cilium 1.19) and the v1.15-era profile: what each does per packet differs.
  const out = ['1.19', 'v1.15'].map((profile) => execFileSync(bin, [String(flows), 'all', profile], { encoding: 'utf8' })).join('');
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [mode, kind, packets, secs, mpps, ok, set, profile] = line.split(' ');
      const target = kind === 'new' ? 3 : 10;
      return {
        name: `LB node ${mode} (${profile}), ${kind} flows, ${Number(set).toLocaleString('en-US')}-flow working set (${Number(packets).toLocaleString('en-US')} packets, ${ok} forwarded)`,
        value: `${mpps} Mpps (${(Number(secs) * 1e9 / Number(packets)).toFixed(0)} ns/packet)`,
        ratio: `${(Number(mpps) / target).toFixed(2)}× the ${target} Mpps target`,
      };
    });
}
