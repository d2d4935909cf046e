/**
 * peek.ts: a quick read of the addresses and ports of an Ethernet frame, for the per-flow
 * summaries compare keeps for every packet (what the backend saw, what the client saw, is this a
 * later fragment). The C codec (parsePackets) stays the reference and gives everything else;
 * this only avoids building a full parse object per packet on large captures. Frames it cannot
 * read give undefined, and callers fall back to the codec.
 */
import { ipv6Text } from '../packet/addr.js';

export interface PeekedTuple {
  family: 4 | 6;
  proto: number;
  src: string;
  dst: string;
  /** Absent for later fragments and protocols without ports. */
  sport?: number;
  dport?: number;
  /** A non-first fragment (no L4 header). */
  later: boolean;
  /** Any fragment, first or later. */
  fragment: boolean;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
/** IPv6 extension headers walked to reach the L4 header: hop-by-hop, routing, fragment, destination options. */
const IPV6_EXT = new Set([0, 43, 44, 60]);
const PORTED = new Set([6, 17, 132]);

/** The tuple of an Ethernet frame, or undefined when it is not plain IPv4/IPv6 the peek can read. */
export function peekTuple(b: Uint8Array): PeekedTuple | undefined {
  let off = 12;
  if (b.length < 14) return undefined;
  let type = (b[off]! << 8) | b[off + 1]!;
  while (VLAN_TAGS.has(type)) {
    off += 4;
    if (off + 2 > b.length) return undefined;
    type = (b[off]! << 8) | b[off + 1]!;
  }
  const l3 = off + 2;
  if (type === ETH_IPV4) {
    if (l3 + 20 > b.length) return undefined;
    const ihl = (b[l3]! & 0x0f) * 4;
    if (ihl < 20) return undefined;
    const fragOff = ((b[l3 + 6]! & 0x1f) << 8) | b[l3 + 7]!;
    const proto = b[l3 + 9]!;
    const src = `${b[l3 + 12]}.${b[l3 + 13]}.${b[l3 + 14]}.${b[l3 + 15]}`;
    const dst = `${b[l3 + 16]}.${b[l3 + 17]}.${b[l3 + 18]}.${b[l3 + 19]}`;
    const more = (b[l3 + 6]! & 0x20) !== 0;
    return withPorts(b, { family: 4, proto, src, dst, later: fragOff !== 0, fragment: more || fragOff !== 0 }, l3 + ihl);
  }
  if (type === ETH_IPV6) {
    if (l3 + 40 > b.length) return undefined;
    let next = b[l3 + 6]!;
    let p = l3 + 40;
    let later = false;
    let fragment = false;
    for (let n = 0; IPV6_EXT.has(next) && n < 8; n++) {
      if (p + 8 > b.length) return undefined;
      if (next === 44) {
        later = (((b[p + 2]! << 8) | b[p + 3]!) & 0xfff8) !== 0;
        fragment = true;
        next = b[p]!;
        p += 8;
      } else {
        const len = (b[p + 1]! + 1) * 8;
        next = b[p]!;
        p += len;
      }
    }
    const src = ipv6Text(b.subarray(l3 + 8, l3 + 24));
    const dst = ipv6Text(b.subarray(l3 + 24, l3 + 40));
    return withPorts(b, { family: 6, proto: next, src, dst, later, fragment }, p);
  }
  return undefined;
}

function withPorts(b: Uint8Array, t: PeekedTuple, l4: number): PeekedTuple {
  if (!t.later && PORTED.has(t.proto) && l4 + 4 <= b.length) {
    t.sport = (b[l4]! << 8) | b[l4 + 1]!;
    t.dport = (b[l4 + 2]! << 8) | b[l4 + 3]!;
  }
  return t;
}
