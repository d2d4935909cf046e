/**
 * payloadLength.ts: payload sizes for packets and flows: mostly small, some anywhere up to the
 * room the MTU leaves, and a good share within 48 bytes of that room (where DSR overhead
 * tips a packet over), shrinking to 0. Used by packet and flow.
 * @internal
 */
import fc from 'fast-check';

/** Sizes 0..room, weighted towards small ones and towards a full packet. */
export function payloadLength(room: number): fc.Arbitrary<number> {
  const r = Math.max(0, room);
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.integer({ min: 0, max: Math.min(64, r) }), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: r }), weight: 2 },
    { arbitrary: fc.integer({ min: Math.max(0, r - 48), max: r }), weight: 3 },
  );
}
