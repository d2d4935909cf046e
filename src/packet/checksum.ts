/**
 * checksum.ts: the Internet checksum in TypeScript, for building packets in tests and fixtures.
 * The datapath's checksums (full and RFC 1624 incremental) live in native/src/csum.c.
 */

/** One's-complement sum of bytes, not folded (caller adds more and folds). */
export function sumBytes(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  // Fold early so the number stays exact in a double for any packet size.
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Final checksum value (complemented), as written into a header. */
export function checksum(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  return ~fold(sumBytes(b, start, end, acc)) & 0xffff;
}

/** Pseudo-header sum for TCP/UDP/ICMPv6 (RFC 793/768 for IPv4, RFC 8200 §8.1 for IPv6). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, l4len: number): number {
  let s = sumBytes(src) + sumBytes(dst) + proto;
  if (src.length === 16) s += (l4len >>> 16) + (l4len & 0xffff);
  else s += l4len;
  return fold(s);
}
