/**
 * maglevConsistency.ts: the `maglevConsistency` invariant (DESIGN "Maglev"): a node picks the
 * backend Cilium's Maglev table for the same backends, seed and size holds at the flow's slot
 * (same hash, same owner), and so every node with the same backends picks the same backend for
 * the same flow: a flow that reaches different nodes (NodePorts, ECMP) is served alike.
 */
import { canonicalIp } from '../../datapath/flow-record.js';
import { maglevLookup } from '../../maglev/table.js';
import type { TrafficRun } from '../run.js';
import { analyse, before, frameText, hopText, packetText } from './_internals/analysis.js';
import { installedMaglev, maglevHashVersion } from './_internals/maglev.js';
import { violation } from './_internals/report.js';

const RULE = 'maglevConsistency: every node picks the backend Cilium\'s Maglev table gives the flow, so the same flow gets the same backend on any node';

/**
 * For checking Maglev backend selection against the reference table, and across nodes.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the flow, the node(s), expected and seen backend
 * @remarks Since 0.1.0
 * @public
 */
export function maglevConsistency(run: TrafficRun): string | undefined {
  const tables = installedMaglev(run);
  if (tables.length === 0) return undefined;
  const a = analyse(run);
  const cp = run.cluster.controlPlane;
  const version = maglevHashVersion(run);
  const chosen = new Map<string, { node: string; backend: number; hop: number }>();
  const name = (id: number) => {
    const b = cp.backends.get(id);
    return b ? `${id} (${b.pod}, ${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port})` : String(id);
  };
  for (let i = 0; i < run.hops.length; i++) {
    const h = run.hops[i]!;
    if (h.backend === 0 || h.slot === 0 || (h.point !== 'TC_INGRESS' && h.point !== 'XDP')) continue;
    const pre = a.view(before(a, h.pkt, i));
    if (!pre.ok || pre.sport === undefined || pre.dport === undefined) continue;
    const proto = pre.proto === 6 ? 'TCP' : pre.proto === 17 ? 'UDP' : undefined;
    const fe = [...cp.frontends.values()].find((f) => f.address === pre.dst && f.port === pre.dport && f.protocol === proto && (f.kind !== 'NodePort' || f.node === h.hostName));
    if (!fe) continue;
    const m = tables.find((t) => t.entry.node === h.hostName && t.entry.revNatIndex === fe.revNatIndex && t.entry.scope === 0);
    if (!m) continue;
    const svc = run.scenario.services.find((x) => x.key === m.service);
    const affinity = svc?.sessionAffinity === 'ClientIP';
    const want = maglevLookup(m.table, { src: canonicalIp(pre.src), sport: pre.sport, dport: pre.dport, proto: pre.proto, affinity }, version);
    const wantId = m.table.backends[want.backend]!.id!;
    if (want.hash !== h.hash || wantId !== h.backend) {
      return violation(run, RULE, [packetText(a, h.pkt), `${hopText(run, i)} for ${frameText(pre)}`, `expected: hash ${want.hash}, slot ${want.slot} of ${m.table.size}, backend ${name(wantId)}`, `seen: hash ${h.hash}, slot ${h.slot}, backend ${name(h.backend)}`], a.packets.get(h.pkt)?.parent);
    }
    const key = `${m.service}|${m.portName}|${pre.proto}|${pre.src}|${pre.sport}|${m.entry.slots.join(',')}`;
    const prev = chosen.get(key);
    if (prev && prev.node !== h.hostName && prev.backend !== h.backend) {
      return violation(run, RULE, [`the flow ${frameText(pre)} of service ${m.service}`, `expected: the same backend on every node with the same backends`, `seen: ${name(prev.backend)} on ${prev.node} at ${hopText(run, prev.hop)}, but ${name(h.backend)} on ${h.hostName} at ${hopText(run, i)}`], a.packets.get(h.pkt)?.parent);
    }
    if (!prev) chosen.set(key, { node: h.hostName, backend: h.backend, hop: i });
  }
  return undefined;
}
