/**
 * snatBijection.ts: the `snatBijection` invariant (DESIGN "SNAT"): the (address, port) pairs the
 * LB node's SNAT hands out are unique among live entries (per protocol and remote end, as
 * Cilium's reverse tuple is keyed), and reverse NAT restores the original tuple exactly: a
 * reply to node:natPort leaves the LB node addressed to the client's own address:port, from
 * the frontend it asked. A trial's traffic spans milliseconds, so every mapping is live.
 */
import type { TrafficRun } from '../run.js';
import { analyse, before, flowText, frameText, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'snatBijection: SNAT (address, port) pairs are unique among live flows and reverse NAT restores the original tuple exactly';

function ep(addr: string, port?: number): string {
  return `${addr.includes(':') ? `[${addr}]` : addr}${port === undefined ? '' : `:${port}`}`;
}

interface Mapping {
  client: string;
  cport: number;
  frontend: string;
  fport: number;
  hop: number;
  pkt: number;
}

/**
 * For checking the SNAT engine: no two live flows share a NAT pair; replies are un-NATed exactly.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the flows, the hops, expected and seen
 * @remarks Since 0.1.0
 * @public
 */
export function snatBijection(run: TrafficRun): string | undefined {
  const a = analyse(run);
  const pairs = new Map<string, Mapping>();
  const reverse = new Map<string, Mapping>();
  for (let i = 0; i < run.hops.length; i++) {
    const h = run.hops[i]!;
    if (!h.snat || (h.point !== 'TC_INGRESS' && h.point !== 'XDP') || h.reply) continue;
    const pre = a.view(before(a, h.pkt, i));
    const post = a.view(i);
    // Later fragments have no ports: their translation follows the first fragment's.
    if (!pre.ok || !post.ok || post.sport === undefined || pre.sport === undefined || post.frag === 'later') continue;
    const m: Mapping = { client: pre.src, cport: pre.sport, frontend: pre.dst, fport: pre.dport ?? 0, hop: i, pkt: h.pkt };
    const key = `${post.proto} ${ep(post.src, post.sport)} ↔ ${ep(post.dst, post.dport)}`;
    const prev = pairs.get(key);
    if (prev && (prev.client !== m.client || prev.cport !== m.cport)) {
      const f1 = a.flowOfPacket(prev.pkt);
      const f2 = a.flowOfPacket(h.pkt);
      return violation(run, RULE, [
        `the ${post.proto === 6 ? 'tcp' : post.proto === 17 ? 'udp' : `proto ${post.proto}`} SNAT pair ${ep(post.src, post.sport)} towards ${ep(post.dst, post.dport)} on ${h.hostName}`,
        `first given to ${f1 !== undefined ? flowText(a, f1) : `packet ${prev.pkt}`}: client ${ep(prev.client, prev.cport)} at ${hopText(run, prev.hop)}`,
        `then to ${f2 !== undefined ? flowText(a, f2) : `packet ${h.pkt}`}: client ${ep(m.client, m.cport)} at ${hopText(run, i)}`,
        'expected: a pair that is unique among live flows',
        'seen: two live flows sharing it',
      ], h.pkt);
    }
    pairs.set(key, m);
    reverse.set(`${h.hostName} ${post.proto} ${ep(post.dst, post.dport)} > ${ep(post.src, post.sport)}`, m);
  }
  // Replies arriving at a node for one of its NAT pairs: what they look like once that node is
  // done with them (its rewriting hop, else the last hop there) must be the flow, reversed.
  for (const t of a.packets.values()) {
    for (let k = 0; k < t.hops.length; k++) {
      const i = t.hops[k]!;
      const h = run.hops[i]!;
      if (!h.reply || h.point !== 'WIRE_RX' || a.hostKind.get(h.hostName) !== 'node') continue;
      const pre = a.view(i);
      if (!pre.ok || pre.sport === undefined || pre.frag === 'later') continue;
      const m = reverse.get(`${h.hostName} ${pre.proto} ${ep(pre.src, pre.sport)} > ${ep(pre.dst, pre.dport)}`);
      if (!m) continue;
      let end = k;
      while (end + 1 < t.hops.length && run.hops[t.hops[end + 1]!]!.hostName === h.hostName) end++;
      const here = t.hops.slice(k, end + 1);
      const at = here.find((j) => run.hops[j]!.verdict === 'TRANSLATED') ?? here[here.length - 1]!;
      if (run.hops[at]!.verdict === 'DROPPED') continue; // a drop is conservation's to explain
      const post = a.view(at);
      if (post.dst !== m.client || post.dport !== m.cport || post.src !== m.frontend || post.sport !== m.fport) {
        const f = a.flowOfPacket(m.pkt);
        return violation(run, RULE, [
          f !== undefined ? flowText(a, f) : `packet ${m.pkt}`,
          `${packetText(a, t.id)}: reverse NAT on ${h.hostName} of ${frameText(pre)}, at ${hopText(run, at)}`,
          `expected: ${ep(m.frontend, m.fport)} > ${ep(m.client, m.cport)} (the flow as the client sent it, reversed)`,
          `seen:     ${frameText(post)}`,
        ], t.parent);
      }
    }
  }
  return undefined;
}
