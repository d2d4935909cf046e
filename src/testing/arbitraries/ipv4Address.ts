/**
 * ipv4Address.ts: the `ipv4Address` arbitrary: IPv4 addresses as canonical text, anywhere or
 * inside given CIDRs. The CIDR mapper/unmapper is _internals/cidr.ts.
 */
import fc from 'fast-check';
import { addressInRange, parseRange } from './_internals/cidr.js';

/**
 * Constraints of ipv4Address.
 * @remarks Since 0.1.0
 * @public
 */
export interface Ipv4AddressConstraints {
  /**
   * Prefixes (`ADDR/LEN`, host bits zero) or single addresses the value lies in.
   * @defaultValue `['0.0.0.0/0']`: any address
   */
  cidrs?: string[];
  /**
   * Leave out the network and all-ones addresses of each prefix (when it has room).
   * @defaultValue `true` when `cidrs` is given, `false` for any address
   */
  hostsOnly?: boolean;
}

/** @internal */
export function buildCompleteIpv4AddressConstraints(c: Ipv4AddressConstraints): Required<Ipv4AddressConstraints> {
  if (c.cidrs !== undefined && (!Array.isArray(c.cidrs) || c.cidrs.length === 0)) throw new Error('ipv4Address: cidrs must list at least one prefix');
  return { cidrs: c.cidrs ?? ['0.0.0.0/0'], hostsOnly: c.hostsOnly ?? c.cidrs !== undefined };
}

/**
 * For IPv4 addresses (RFC 791), as dotted-quad text, shrinking towards the lowest address of the first prefix.
 * @param constraints - where the addresses lie
 * @remarks Since 0.1.0
 * @public
 */
export function ipv4Address(constraints: Ipv4AddressConstraints = {}): fc.Arbitrary<string> {
  const c = buildCompleteIpv4AddressConstraints(constraints);
  const arbs = c.cidrs.map((t) => addressInRange(parseRange('ipv4Address', 'cidr', t, 4), c.hostsOnly));
  return arbs.length === 1 ? arbs[0]! : fc.oneof({ withCrossShrink: true }, ...arbs);
}
