/**
 * maglevBalance.ts: the `maglevBalance` invariant (DESIGN "Maglev"): in every Maglev table a
 * node holds, each of the N backends owns ⌊M/N⌋ or ⌈M/N⌉ of the M slots (equal weights).
 * The tables are rebuilt with Cilium's algorithm from what the control plane installed.
 */
import type { MaglevTable } from '../../maglev/table.js';
import type { TrafficRun } from '../run.js';
import { installedMaglev } from './_internals/maglev.js';
import { violation } from './_internals/report.js';

const RULE = 'maglevBalance: each of N backends owns ⌊M/N⌋ or ⌈M/N⌉ of a Maglev table\'s M slots';

/**
 * For checking that Maglev spreads the slots evenly over the backends of every service.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the service, node, backend and its slot count
 * @remarks Since 0.1.0
 * @public
 */
export function maglevBalance(run: TrafficRun): string | undefined {
  for (const m of installedMaglev(run)) {
    const problem = balanceProblem(m.table);
    if (problem) return violation(run, RULE, [`service ${m.service} port ${m.portName || '(unnamed)'} on ${m.entry.node}: ${problem.what}`, `expected: ${problem.expected}`, `seen: ${problem.seen}`]);
  }
  return undefined;
}

/**
 * What is wrong with one table's balance, or undefined: every backend must own ⌊M/N⌋ or ⌈M/N⌉
 * slots, and as many as the table says it owns.
 * @internal
 */
export function balanceProblem(t: MaglevTable): { what: string; expected: string; seen: string } | undefined {
  const M = t.size;
  const N = t.backends.length;
  if (N === 0) return undefined;
  const lo = Math.floor(M / N);
  const hi = Math.ceil(M / N);
  const counts = new Array<number>(N).fill(0);
  for (const k of t.table) counts[k]!++;
  for (let b = 0; b < N; b++) {
    const be = t.backends[b]!;
    if (be.slots !== counts[b]) return { what: `backend ${be.hashString}`, expected: `the table's own count (${be.slots}) to match the slots it owns`, seen: `${counts[b]} slots` };
    if (counts[b]! < lo || counts[b]! > hi) return { what: `backend ${be.hashString} (M = ${M}, N = ${N})`, expected: `${lo === hi ? lo : `${lo} or ${hi}`} slots`, seen: `${counts[b]}` };
  }
  return undefined;
}
