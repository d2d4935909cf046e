/**
 * synOnlyOption.ts: the `synOnlyOption` invariant (DESIGN "SYN only"): with DSR's `opt` dispatch
 * (and Geneve's DSR option) the service address travels on a TCP flow's SYN and on no later
 * segment. Recent Cilium (1.18+) keeps `need_dsr_info` on a flow once the LB answered it with a
 * fragmentation-needed error, and then attaches the info to the flow's later segments too; that
 * exception is honoured. The ipip dispatch encapsulates every packet and is not checked.
 */
import { atLeast, RECENT_MAIN } from '../../scenario/profile.js';
import type { TrafficRun } from '../run.js';
import { analyse, carriesDsrInfo, expectedForwarding, flowText, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = "synOnlyOption: DSR info (IPv4 option, IPv6 destination option, Geneve option) rides on a TCP flow's SYN and on no later segment";

/**
 * For checking that DSR information is attached to the SYN only, so full-size TCP data passes untouched.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the flow, the segment, the hop, expected and seen
 * @remarks Since 0.1.0
 * @public
 */
export function synOnlyOption(run: TrafficRun): string | undefined {
  const dispatch = run.scenario.cilium.loadBalancer.dsrDispatch;
  if (dispatch === 'ipip') return undefined;
  const recent = atLeast(run.scenario.cilium.version, RECENT_MAIN);
  const a = analyse(run);
  for (const ft of a.flows) {
    if (ft.flow.proto !== 'tcp' || !ft.lb || !ft.pod || ft.pod.node === ft.lb.node || expectedForwarding(a, ft) !== 'dsr') continue;
    const lbNode = ft.lb.node;
    let needInfo = false;
    for (const s of ft.requests) {
      const t = a.packets.get(s.id);
      if (!t) continue;
      const hops = t.hops;
      const wire = hops.find((i) => {
        const h = run.hops[i]!;
        return h.point === 'WIRE_TX' && h.hostName === lbNode && a.hostKind.get(h.peerName ?? '') === 'node';
      });
      if (wire === undefined) {
        if (recent && hops.some((i) => run.hops[i]!.verdict === 'ANSWERED')) needInfo = true;
        continue;
      }
      const has = carriesDsrInfo(a, wire);
      const syn = (s.packet.flags ?? ['syn']).includes('syn');
      if (syn && !has) {
        return violation(run, RULE, [flowText(a, ft.index), packetText(a, s.id), `expected: the SYN leaves ${lbNode} for the backend's node with the DSR info (dispatch ${dispatch}) at ${hopText(run, wire)}`, 'seen: no DSR info'], s.id);
      }
      if (!syn && has && !needInfo) {
        return violation(run, RULE, [flowText(a, ft.index), packetText(a, s.id), `expected: no DSR info on a segment after the SYN at ${hopText(run, wire)}`, `seen: the DSR info (dispatch ${dispatch}) on it`], s.id);
      }
    }
  }
  return undefined;
}
