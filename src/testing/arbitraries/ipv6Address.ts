/**
 * ipv6Address.ts: the `ipv6Address` arbitrary: IPv6 addresses as canonical (RFC 5952) text, anywhere or
 * inside given CIDRs. The CIDR mapper/unmapper is _internals/cidr.ts.
 */
import fc from 'fast-check';
import { addressInRange, parseRange } from './_internals/cidr.js';

/**
 * Constraints of ipv6Address.
 * @remarks Since 0.1.0
 * @public
 */
export interface Ipv6AddressConstraints {
  /**
   * Prefixes (`ADDR/LEN`, host bits zero) or single addresses the value lies in.
   * @defaultValue `['::/0']`: any address
   */
  cidrs?: string[];
  /**
   * Leave out the network and all-ones addresses of each prefix (when it has room).
   * @defaultValue `true` when `cidrs` is given, `false` for any address
   */
  hostsOnly?: boolean;
}

/** @internal */
export function buildCompleteIpv6AddressConstraints(c: Ipv6AddressConstraints): Required<Ipv6AddressConstraints> {
  if (c.cidrs !== undefined && (!Array.isArray(c.cidrs) || c.cidrs.length === 0)) throw new Error('ipv6Address: cidrs must list at least one prefix');
  return { cidrs: c.cidrs ?? ['::/0'], hostsOnly: c.hostsOnly ?? c.cidrs !== undefined };
}

/**
 * For IPv6 addresses (RFC 8200), as RFC 5952 text, shrinking towards the lowest address of the first prefix.
 * @param constraints - where the addresses lie
 * @remarks Since 0.1.0
 * @public
 */
export function ipv6Address(constraints: Ipv6AddressConstraints = {}): fc.Arbitrary<string> {
  const c = buildCompleteIpv6AddressConstraints(constraints);
  const arbs = c.cidrs.map((t) => addressInRange(parseRange('ipv6Address', 'cidr', t, 6), c.hostsOnly));
  return arbs.length === 1 ? arbs[0]! : fc.oneof({ withCrossShrink: true }, ...arbs);
}
