/**
 * tcpOptions.ts: TCP option lists that fit the 40 bytes a TCP header allows (MSS, window scale,
 * SACK-permitted, timestamps, NOP), shrinking to none. Shared by packetSpec, packet and flow.
 * @internal
 */
import fc from 'fast-check';
import type { TcpOption } from '../../../packet/build.js';

const SIZE: Record<string, number> = { mss: 4, ws: 3, sackOk: 2, ts: 10, nop: 1 };

/** One TCP option. */
export const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.record({ kind: fc.constant('mss' as const), value: fc.integer({ min: 536, max: 9000 }) }),
  fc.record({ kind: fc.constant('ws' as const), shift: fc.integer({ min: 0, max: 14 }) }),
  fc.constant({ kind: 'sackOk' as const }),
  fc.record({ kind: fc.constant('ts' as const), val: fc.nat(), ecr: fc.nat() }),
  fc.constant({ kind: 'nop' as const }),
);

/** Option bytes before padding. */
export function optionBytes(o: TcpOption[]): number {
  return o.reduce((n, x) => n + (SIZE[x.kind] ?? (x.kind === 'raw' ? x.bytes.length : 0)), 0);
}

/** Up to five options within 40 bytes. */
export const tcpOptions: fc.Arbitrary<TcpOption[]> = fc.array(tcpOption, { maxLength: 5 }).filter((o) => optionBytes(o) <= 40);

/** The options a Linux SYN carries (MSS, SACK-permitted, timestamps, window scale), or none. */
export const synOptions: fc.Arbitrary<TcpOption[]> = fc.oneof(
  { withCrossShrink: true },
  fc.constant([] as TcpOption[]),
  fc.record({ mss: fc.constantFrom(1460, 1440, 1400, 8960), ts: fc.nat(), ws: fc.integer({ min: 0, max: 14 }) }).map(
    ({ mss, ts, ws }): TcpOption[] => [{ kind: 'mss', value: mss }, { kind: 'sackOk' }, { kind: 'ts', val: ts, ecr: 0 }, { kind: 'nop' }, { kind: 'ws', shift: ws }],
  ),
);
