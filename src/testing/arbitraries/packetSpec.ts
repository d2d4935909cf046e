/**
 * packetSpec.ts: fast-check arbitraries for packet specs (src/packet/build.ts): Ethernet with
 * optional VLAN tags, IPv4 with options or IPv6 with extension headers, and TCP (with options),
 * UDP, ICMP or ICMPv6. They shrink towards small, plain packets. Flows and clusters live in
 * their own files beside this one.
 */
import fc from 'fast-check';
import type { IPv6Ext, PacketSpec, TcpOption } from '../../packet/build.js';
import { ipv4Text, ipv6Text } from '../../packet/addr.js';

export const ipv4Address = (): fc.Arbitrary<string> => fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipv4Text(b));
export const ipv6Address = (): fc.Arbitrary<string> => fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6Text(b));
export const port = (): fc.Arbitrary<number> => fc.integer({ min: 1, max: 65535 });

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.record({ kind: fc.constant('mss' as const), value: fc.integer({ min: 536, max: 9000 }) }),
  fc.record({ kind: fc.constant('ws' as const), shift: fc.integer({ min: 0, max: 14 }) }),
  fc.constant({ kind: 'sackOk' as const }),
  fc.record({ kind: fc.constant('ts' as const), val: fc.nat(), ecr: fc.nat() }),
  fc.constant({ kind: 'nop' as const }),
);

/** TCP options that fit in the 40 bytes a TCP header allows. */
const tcpOptions = fc.array(tcpOption, { maxLength: 5 }).filter((o) => o.reduce((n, x) => n + ({ mss: 4, ws: 3, sackOk: 2, ts: 10, nop: 1, raw: 0 }[x.kind] ?? 0), 0) <= 40);

/** IPv4 options: NOPs and a 0x9a-like unknown option, at most 40 bytes. */
const ipv4Options = fc.oneof(
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

export interface PacketSpecConstraints {
  /** Which families to generate; default both. */
  families?: ('ipv4' | 'ipv6')[];
  /** Largest payload; default 1500. */
  maxPayload?: number;
}

/** A packet spec: Ethernet (maybe VLAN) + IPv4/IPv6 + TCP/UDP/ICMP(v6) + payload. */
export function packetSpec(c: PacketSpecConstraints = {}): fc.Arbitrary<PacketSpec> {
  const families = c.families ?? ['ipv4', 'ipv6'];
  const payload = fc.integer({ min: 0, max: c.maxPayload ?? 1500 });
  const eth = fc.record({ vlans: fc.oneof(fc.constant([] as number[]), fc.array(fc.integer({ min: 1, max: 4094 }), { minLength: 1, maxLength: 2 })) });
  const l4v4 = fc.oneof(
    fc.record({ tcp: fc.record({ sport: port(), dport: port(), seq: fc.nat(), ack: fc.nat(), flags: fc.integer({ min: 0, max: 255 }), window: fc.integer({ min: 0, max: 65535 }), options: tcpOptions }) }),
    fc.record({ udp: fc.record({ sport: port(), dport: port() }) }),
    fc.record({ icmp: fc.record({ type: fc.constantFrom(0, 8), code: fc.constant(0), id: fc.integer({ min: 0, max: 65535 }), seq: fc.integer({ min: 0, max: 65535 }) }) }),
  );
  const l4v6 = fc.oneof(
    fc.record({ tcp: fc.record({ sport: port(), dport: port(), seq: fc.nat(), ack: fc.nat(), flags: fc.integer({ min: 0, max: 255 }), window: fc.integer({ min: 0, max: 65535 }), options: tcpOptions }) }),
    fc.record({ udp: fc.record({ sport: port(), dport: port() }) }),
    fc.record({ icmpv6: fc.record({ type: fc.constantFrom(128, 129), code: fc.constant(0), id: fc.integer({ min: 0, max: 65535 }), seq: fc.integer({ min: 0, max: 65535 }) }) }),
  );
  const v4 = fc
    .record({
      eth,
      ipv4: fc.record({ src: ipv4Address(), dst: ipv4Address(), ttl: fc.integer({ min: 1, max: 255 }), id: fc.integer({ min: 0, max: 65535 }), tos: fc.integer({ min: 0, max: 255 }), df: fc.boolean(), options: ipv4Options }),
      l4: l4v4,
      payload,
    })
    .map(({ eth, ipv4, l4, payload }) => ({ eth, ipv4, ...l4, payload }) as PacketSpec);
  const v6 = fc
    .record({
      eth,
      ipv6: fc.record({ src: ipv6Address(), dst: ipv6Address(), hopLimit: fc.integer({ min: 1, max: 255 }), trafficClass: fc.integer({ min: 0, max: 255 }), flowLabel: fc.integer({ min: 0, max: 0xfffff }), ext: fc.array(ipv6Ext, { maxLength: 3 }) }),
      l4: l4v6,
      payload,
    })
    .map(({ eth, ipv6, l4, payload }) => ({ eth, ipv6, ...l4, payload }) as PacketSpec);
  const arbs = [...(families.includes('ipv4') ? [v4] : []), ...(families.includes('ipv6') ? [v6] : [])];
  return fc.oneof(...arbs);
}
