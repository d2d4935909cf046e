/**
 * determinism.ts: the `determinism` invariant (DESIGN "Determinism"): the same scenario, seed and
 * inputs give byte-identical outputs. It sends the run's inputs through a second, freshly built
 * cluster and compares every event field and every frame byte.
 */
import type { Hop } from '../../cluster.js';
import { rerun, type TrafficRun } from '../run.js';
import { analyse, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'determinism: the same inputs and seed give byte-identical outputs';
const FIELDS = ['pkt', 'parent', 'hostName', 'peerName', 'point', 'verdict', 'flags', 'drop', 'backend', 'hash', 'slot', 'natPort'] as const;

function firstDifference(x: Hop, y: Hop): string | undefined {
  for (const k of FIELDS) if (x[k] !== y[k]) return `${k}: first run ${String(x[k])}, second run ${String(y[k])}`;
  if (x.created.join(',') !== y.created.join(',')) return `state created: first run [${x.created.join(', ')}], second run [${y.created.join(', ')}]`;
  if (!x.frame.equals(y.frame)) {
    let at = 0;
    while (at < x.frame.length && x.frame[at] === y.frame[at]) at++;
    return `frame bytes differ from offset ${at} (first run ${x.frame.length} bytes, second run ${y.frame.length})`;
  }
  return undefined;
}

/**
 * For checking that a run can be reproduced exactly (same seed → same backends, ports, bytes).
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the first hop that differs and how
 * @remarks Since 0.1.0
 * @public
 */
export function determinism(run: TrafficRun): string | undefined {
  const again = rerun(run);
  const a = analyse(run);
  const n = Math.min(run.hops.length, again.length);
  for (let i = 0; i < n; i++) {
    const d = firstDifference(run.hops[i]!, again[i]!);
    if (d) return violation(run, RULE, [packetText(a, run.hops[i]!.pkt), `${hopText(run, i)}`, 'expected: the same event and bytes in a second run', `seen: ${d}`], a.packets.get(run.hops[i]!.pkt)?.parent);
  }
  if (run.hops.length !== again.length) {
    return violation(run, RULE, [`${run.inputs.length} packets in`, `expected: ${run.hops.length} events in a second run, as in the first`, `seen: ${again.length}`]);
  }
  return undefined;
}
