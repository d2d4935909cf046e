/**
 * asymmetricPath.ts: the `asymmetricPath` invariant (DESIGN "Asymmetric path"): with a backend on
 * another node, a DSR reply never crosses the load-balancing node and a SNAT reply always does;
 * the backend sees the client's own address in DSR and the LB node's in SNAT (a backend on the
 * LB node itself sees the client in both). Hybrid forwards TCP as DSR and UDP as SNAT.
 */
import { canonicalIp } from '../../datapath/flow-record.js';
import type { TrafficRun } from '../run.js';
import { analyse, expectedForwarding, flowText, frameText, hopText, nodeAddr, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'asymmetricPath: DSR replies never cross the LB node and the backend sees the client; SNAT replies always do and the backend sees the LB node (hybrid: TCP as DSR, UDP as SNAT)';

/**
 * For checking which way requests and replies travel, and whose address the backend sees.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the flow, the hop, expected and seen
 * @remarks Since 0.1.0
 * @public
 */
export function asymmetricPath(run: TrafficRun): string | undefined {
  const a = analyse(run);
  for (const ft of a.flows) {
    if (!ft.lb || !ft.pod || !ft.pod.node) continue; // never load-balanced, or never reached a pod
    const f = ft.flow;
    const fwd = expectedForwarding(a, ft);
    const pod = a.view(ft.pod.hop);
    const client = canonicalIp(f.client);
    const lbNode = ft.lb.node;
    const local = ft.pod.node === lbNode;
    const mode = `${run.mode} mode, ${f.proto}${run.mode === 'hybrid' ? ` → ${fwd}` : ''}`;
    const where = `the backend ${ft.pod.name} on ${ft.pod.node}, load-balanced at ${lbNode} (${mode})`;
    if (local || fwd === 'dsr') {
      if (pod.src !== client || (f.proto !== 'icmp' && pod.frag !== 'later' && pod.sport !== f.cport)) {
        return violation(run, RULE, [flowText(a, ft.index), `${where}${local ? ', a backend on the LB node' : ''}`, `expected: the pod sees the client ${client}${f.proto !== 'icmp' ? `:${f.cport}` : ''} at ${hopText(run, ft.pod.hop)}`, `seen: ${frameText(pod)}`], ft.requests[0]?.id);
      }
    } else {
      const nodeIp = pod.family ? nodeAddr(a, lbNode, pod.family) : undefined;
      if (pod.src !== nodeIp) {
        return violation(run, RULE, [flowText(a, ft.index), where, `expected: the pod sees the LB node's address ${nodeIp ?? '?'} at ${hopText(run, ft.pod.hop)}`, `seen: ${frameText(pod)}`], ft.requests[0]?.id);
      }
    }
    if (local) continue;
    for (const id of ft.replies) {
      const t = a.packets.get(id)!;
      if (!run.hops[t.hops[0]!]!.reply) continue;
      const at = t.hops.filter((i) => run.hops[i]!.hostName === lbNode);
      if (fwd === 'dsr' && at.length > 0) {
        return violation(run, RULE, [flowText(a, ft.index), where, `${packetText(a, id)}`, `expected: in DSR the reply goes from ${ft.pod.node} straight to the client, never through ${lbNode}`, `seen: it crossed ${lbNode} at ${hopText(run, at[0]!)}`], t.parent);
      }
      const delivered = t.hops.some((i) => run.hops[i]!.point === 'CLIENT');
      if (fwd === 'snat' && at.length === 0 && delivered) {
        const path = [...new Set(t.hops.map((i) => run.hops[i]!.hostName))].join(' → ');
        return violation(run, RULE, [flowText(a, ft.index), where, `${packetText(a, id)}`, `expected: in SNAT the reply returns through the LB node ${lbNode}`, `seen: its path was ${path}`], t.parent);
      }
    }
  }
  return undefined;
}
