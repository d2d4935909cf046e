/**
 * transparency.ts: the `transparency` invariant (DESIGN "Transparency"): in every mode the client
 * sees the replies to its flow come from exactly the address:port it sent to, addressed to the
 * address:port it sent from: the reverse tuple of its request. Every reply the pods make for a
 * flow must reach that flow's client.
 */
import { canonicalIp } from '../../datapath/flow-record.js';
import type { TrafficRun } from '../run.js';
import { analyse, finalHop, flowText, frameText, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'transparency: the client sees replies from exactly the address:port it sent to (the reverse tuple of its request)';

function ep(addr: string, port?: number): string {
  const a = addr.includes(':') ? `[${addr}]` : addr;
  return port === undefined ? a : `${a}:${port}`;
}

/**
 * For checking that load balancing is invisible to the client, whatever the mode.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the flow, the reply, the hop, expected and seen tuples
 * @remarks Since 0.1.0
 * @public
 */
export function transparency(run: TrafficRun): string | undefined {
  const a = analyse(run);
  for (const ft of a.flows) {
    const f = ft.flow;
    const client = canonicalIp(f.client);
    const frontend = canonicalIp(f.frontend);
    const host = a.senderName(client);
    const icmp = f.proto === 'icmp';
    const expected = icmp ? `icmp ${ep(frontend)} > ${ep(client)} echo reply id=${f.cport}` : `${f.proto} ${ep(frontend, f.fport)} > ${ep(client, f.cport)}`;
    for (const id of ft.replies) {
      const t = a.packets.get(id)!;
      if (!run.hops[t.hops[0]!]!.reply) continue; // an ICMP error or other made packet, not a pod's reply
      const fin = finalHop(a, id);
      if (fin === undefined) continue; // conservation's business
      const h = run.hops[fin]!;
      if (h.point !== 'CLIENT' || h.hostName !== host) {
        const where = h.verdict === 'DROPPED' ? `dropped at ${hopText(run, fin)} (drop ${h.drop})` : `ended at ${hopText(run, fin)} (${h.verdict})`;
        return violation(run, RULE, [flowText(a, ft.index), packetText(a, id), `expected: delivered to ${host} as ${expected}`, `seen: ${where}, as ${frameText(a.view(fin))}`], t.parent);
      }
      const v = a.view(fin);
      const ok = icmp ? v.src === frontend && v.dst === client && v.icmpId === f.cport : v.src === frontend && v.sport === f.fport && v.dst === client && v.dport === f.cport;
      if (!ok) return violation(run, RULE, [flowText(a, ft.index), `${packetText(a, id)}, delivered to ${host} at ${hopText(run, fin)}`, `expected: ${expected}`, `seen:     ${frameText(v)}`], t.parent);
    }
  }
  return undefined;
}
