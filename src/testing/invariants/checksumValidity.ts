/**
 * checksumValidity.ts: the `checksumValidity` invariant (DESIGN "Checksums"): every frame dsrlab
 * emits, at every hop, has a valid IPv4 header checksum and a valid L4 checksum (where it can be
 * verified: later fragments cannot). A packet that went in with bad checksums is exempt.
 */
import { checkChecksums, CSUM_IPV4_BAD, CSUM_L4_BAD } from '../../packet/parse.js';
import type { TrafficRun } from '../run.js';
import { analyse, frameText, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'checksumValidity: every packet at every hop has valid IPv4 header and L4 checksums';

/**
 * For checking the incremental checksum updates of every rewrite (DNAT, SNAT, DSR, rev-NAT, ICMP).
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the packet, the hop and which checksum is wrong
 * @remarks Since 0.1.0
 * @public
 */
export function checksumValidity(run: TrafficRun): string | undefined {
  const a = analyse(run);
  const bits = checkChecksums(run.hops.map((h) => h.frame));
  const bad = (i: number) => bits[i]! & (CSUM_IPV4_BAD | CSUM_L4_BAD);
  for (const t of a.packets.values()) {
    if (bad(t.hops[0]!)) continue; // it came in that way
    for (const i of t.hops) {
      if (run.hops[i]!.len === 0 || !bad(i)) continue;
      const what = [bits[i]! & CSUM_IPV4_BAD ? 'the IPv4 header checksum' : '', bits[i]! & CSUM_L4_BAD ? 'the L4 checksum' : ''].filter(Boolean).join(' and ');
      return violation(run, RULE, [packetText(a, t.id), `${hopText(run, i)}: ${frameText(a.view(i))}`, 'expected: valid checksums', `seen: ${what} wrong`], t.parent);
    }
  }
  return undefined;
}
