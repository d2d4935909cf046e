/**
 * packetSpec.ts: the `packetSpec` arbitrary: low-level packet builder specs (src/packet/build.ts):
 * Ethernet with optional VLAN tags, IPv4 with options or IPv6 with extension headers, and TCP
 * (with options), UDP, ICMP or ICMPv6, shrinking towards small, plain packets. It exercises the
 * codec; traffic for a cluster is `packet` and `flow` (files beside this one).
 */
import fc from 'fast-check';
import type { IPv6Ext, PacketSpec } from '../../packet/build.js';
import { ipv4Address } from './ipv4Address.js';
import { ipv6Address } from './ipv6Address.js';
import { port } from './port.js';
import { checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';
import { tcpOptions } from './_internals/tcpOptions.js';

/** IPv4 options: NOPs and a 0x9a-like unknown option, at most 40 bytes. */
const ipv4Options = fc.oneof(
  { withCrossShrink: true },
  fc.constant(undefined),
  fc.integer({ min: 1, max: 10 }).map((words) => {
    const b = new Uint8Array(words * 4).fill(1); // NOPs
    b[0] = 0x9a;
    b[1] = 8 <= b.length ? 8 : 2;
    return b;
  }),
);

const ipv6Ext: fc.Arbitrary<IPv6Ext> = fc.oneof(
  fc.record({ type: fc.constant('destOpts' as const), options: fc.constantFrom(undefined, Uint8Array.of(0x1b, 20, ...new Array(20).fill(0))) }),
  fc.record({ type: fc.constant('routing' as const), segmentsLeft: fc.constant(0) }),
);

/**
 * Constraints of packetSpec.
 * @remarks Since 0.1.0
 * @public
 */
export interface PacketSpecConstraints {
  /** Which families to generate. @defaultValue `['ipv4', 'ipv6']` */
  families?: Family[];
  /** Largest payload. @defaultValue 1500 */
  maxPayload?: number;
}

/** @internal */
export function buildCompletePacketSpecConstraints(c: PacketSpecConstraints): Required<PacketSpecConstraints> {
  const out = { families: c.families ?? [...FAMILIES], maxPayload: c.maxPayload ?? 1500 };
  checkNonEmpty('packetSpec', 'families', out.families, FAMILIES);
  checkRange('packetSpec', 'maxPayload', 0, out.maxPayload, 0, 65000);
  return out;
}

/**
 * For packet builder specs: Ethernet (maybe VLAN) + IPv4/IPv6 + TCP/UDP/ICMP(v6) + payload.
 * @param constraints - families and payload size
 * @remarks Since 0.1.0
 * @public
 */
export function packetSpec(constraints: PacketSpecConstraints = {}): fc.Arbitrary<PacketSpec> {
  const c = buildCompletePacketSpecConstraints(constraints);
  const payload = fc.integer({ min: 0, max: c.maxPayload });
  const eth = fc.record({ vlans: fc.oneof({ withCrossShrink: true }, fc.constant([] as number[]), fc.array(fc.integer({ min: 1, max: 4094 }), { minLength: 1, maxLength: 2 })) });
  const tcp = fc.record({ tcp: fc.record({ sport: port(), dport: port(), seq: fc.nat(), ack: fc.nat(), flags: fc.integer({ min: 0, max: 255 }), window: fc.integer({ min: 0, max: 65535 }), options: tcpOptions }) });
  const udp = fc.record({ udp: fc.record({ sport: port(), dport: port() }) });
  const echo = (types: number[]) => fc.record({ type: fc.constantFrom(...types), code: fc.constant(0), id: fc.integer({ min: 0, max: 65535 }), seq: fc.integer({ min: 0, max: 65535 }) });
  const v4 = fc
    .record({
      eth,
      ipv4: fc.record({ src: ipv4Address(), dst: ipv4Address(), ttl: fc.integer({ min: 1, max: 255 }), id: fc.integer({ min: 0, max: 65535 }), tos: fc.integer({ min: 0, max: 255 }), df: fc.boolean(), options: ipv4Options }),
      l4: fc.oneof({ withCrossShrink: true }, tcp, udp, fc.record({ icmp: echo([0, 8]) })),
      payload,
    })
    .map(({ eth, ipv4, l4, payload }) => ({ eth, ipv4, ...l4, payload }) as PacketSpec);
  const v6 = fc
    .record({
      eth,
      ipv6: fc.record({ src: ipv6Address(), dst: ipv6Address(), hopLimit: fc.integer({ min: 1, max: 255 }), trafficClass: fc.integer({ min: 0, max: 255 }), flowLabel: fc.integer({ min: 0, max: 0xfffff }), ext: fc.array(ipv6Ext, { maxLength: 3 }) }),
      l4: fc.oneof({ withCrossShrink: true }, tcp, udp, fc.record({ icmpv6: echo([128, 129]) })),
      payload,
    })
    .map(({ eth, ipv6, l4, payload }) => ({ eth, ipv6, ...l4, payload }) as PacketSpec);
  const arbs = [...(c.families.includes('ipv4') ? [v4] : []), ...(c.families.includes('ipv6') ? [v6] : [])];
  return arbs.length === 1 ? arbs[0]! : fc.oneof({ withCrossShrink: true }, ...arbs);
}
