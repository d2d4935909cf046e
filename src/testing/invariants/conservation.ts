/**
 * conservation.ts: the `conservation` invariant (DESIGN "Conservation"): every packet that goes in
 * has exactly one fate per hop and one final fate: delivered (where), handed to a node's stack,
 * or dropped with one of Cilium's drop reasons; an ICMP error answer continues as the error.
 * Works on a TrafficRun (per hop) and on a replay() result (its summary's counts).
 */
import { dropReason } from '../../datapath/drop-reasons.js';
import type { ReplayResult } from '../../replay.js';
import type { TrafficRun } from '../run.js';
import { analyse, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'conservation: every packet has exactly one fate per hop and one final fate (delivered, to a stack, or dropped with a Cilium drop reason)';
const FINAL_VERDICTS = new Set(['DELIVERED', 'TO_STACK', 'DROPPED']);

function checkReplay(r: ReplayResult): string | undefined {
  const p = r.summary.packets;
  const sum = p.delivered + p.toStack + p.dropped + p.answered;
  if (sum === p.in && p.unaccounted === 0) return undefined;
  return [RULE, `  replay of ${r.summary.capture}: expected in = delivered + toStack + dropped + answered and nothing unaccounted`, `  seen: in ${p.in}, delivered ${p.delivered} + toStack ${p.toStack} + dropped ${p.dropped} + answered ${p.answered} = ${sum}, unaccounted ${p.unaccounted}`].join('\n');
}

/**
 * For checking that no packet is lost, duplicated or left without a fate.
 * @param result - a TrafficRun (runTrial) or a replay() result
 * @returns undefined when it holds, else the packet, the hop, what was expected and what was seen
 * @remarks Since 0.1.0
 * @public
 */
export function conservation(result: TrafficRun | ReplayResult): string | undefined {
  if ('summary' in result) return checkReplay(result);
  const run = result;
  const a = analyse(run);
  for (const s of run.inputs) {
    if (!a.packets.has(s.id)) return violation(run, RULE, [packetText(a, s.id), 'expected: a hop for it and a final fate', 'seen: no event at all'], s.id);
  }
  for (const t of a.packets.values()) {
    const finals = t.hops.filter((i) => run.hops[i]!.final);
    if (finals.length !== 1) {
      return violation(run, RULE, [packetText(a, t.id), 'expected: exactly one final fate', `seen: ${finals.length}${finals.length ? ` (${finals.map((i) => hopText(run, i)).join(', ')})` : ''}`], t.id);
    }
    const fin = finals[0]!;
    const last = t.hops[t.hops.length - 1]!;
    if (fin !== last) return violation(run, RULE, [packetText(a, t.id), `expected: the final fate (${hopText(run, fin)}) to be its last event`, `seen: ${hopText(run, last)} after it`], t.id);
    const h = run.hops[fin]!;
    if (!FINAL_VERDICTS.has(h.verdict)) return violation(run, RULE, [packetText(a, t.id), `expected: a final fate of DELIVERED, TO_STACK or DROPPED at ${hopText(run, fin)}`, `seen: ${h.verdict}`], t.id);
    let answered = 0;
    for (let k = 0; k < t.hops.length; k++) {
      const i = t.hops[k]!;
      const e = run.hops[i]!;
      if (e.verdict === 'DROPPED' && !(e.drop < 0 && dropReason(e.drop))) {
        return violation(run, RULE, [packetText(a, t.id), `expected: a drop at ${hopText(run, i)} to carry one of Cilium's drop reasons`, `seen: drop code ${e.drop}`], t.id);
      }
      if (e.verdict === 'DROPPED' && i !== fin) return violation(run, RULE, [packetText(a, t.id), `expected: nothing after its drop at ${hopText(run, i)}`, `seen: ${hopText(run, t.hops[k + 1]!)}`], t.id);
      if (e.verdict !== 'DROPPED' && e.drop !== 0) return violation(run, RULE, [packetText(a, t.id), `expected: no drop reason at ${hopText(run, i)} (verdict ${e.verdict})`, `seen: drop code ${e.drop}`], t.id);
      if (e.verdict === 'ANSWERED' && ++answered > 1) return violation(run, RULE, [packetText(a, t.id), 'expected: at most one ICMP error answer per packet', `seen: a second one at ${hopText(run, i)}`], t.id);
      if (e.point === 'WIRE_TX' && i !== fin) {
        const n = run.hops[t.hops[k + 1]!]!;
        // The next event is at the other end: its wire, or (from a pod, over the veth) bpf_lxc.
        const arrived = n.point === 'WIRE_RX' ? n.peerName === e.hostName : n.point === 'LXC_EGRESS' && a.hostKind.get(e.hostName) === 'pod';
        if (!arrived || n.hostName !== e.peerName) {
          return violation(run, RULE, [packetText(a, t.id), `expected: ${hopText(run, i)} to arrive at ${e.peerName ?? '?'} next`, `seen: ${hopText(run, t.hops[k + 1]!)} (${n.verdict})`], t.id);
        }
      }
    }
  }
  return undefined;
}
