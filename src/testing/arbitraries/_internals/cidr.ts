/**
 * cidr.ts: addresses inside a CIDR as a mapper/unmapper pair over a bigint host offset, so an
 * address arbitrary shrinks towards the prefix's first usable host and can shrink an address it
 * did not generate. Used by ipv4Address and ipv6Address; the arbitraries are the files above.
 * @internal
 */
import fc from 'fast-check';
import { ipv4Text, ipv6Text } from '../../../packet/addr.js';
import { parseCidr, parseIp } from '../../../scenario/addr.js';

export interface CidrRange {
  family: 4 | 6;
  base: bigint;
  hostBits: number;
  text: string;
}

function toBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function fromBigInt(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Parses `ADDR/LEN` (host bits zero) or a bare address (a /32 or /128) of `family`; throws naming `api`. */
export function parseRange(api: string, what: string, text: string, family: 4 | 6): CidrRange {
  const c = text.includes('/') ? parseCidr(text) : (() => {
    const ip = parseIp(text);
    return ip ? { family: ip.family, bytes: ip.bytes, prefixLength: ip.family === 4 ? 32 : 128, text: `${ip.text}/${ip.family === 4 ? 32 : 128}` } : null;
  })();
  if (!c || c.family !== family) {
    const eg = family === 4 ? '203.0.113.0/24' : '2001:db8:c::/64';
    throw new Error(`${api}: ${what} ${JSON.stringify(text)} is not an IPv${family} CIDR or address (write ADDR/LEN with the host bits zero, e.g. ${eg})`);
  }
  const bits = family === 4 ? 32 : 128;
  return { family, base: toBigInt(c.bytes), hostBits: bits - c.prefixLength, text: c.text };
}

/** Canonical text of the address `offset` hosts into the range. */
export function addressAt(r: CidrRange, offset: bigint): string {
  const b = fromBigInt(r.base + offset, r.family === 4 ? 4 : 16);
  return r.family === 4 ? ipv4Text(b) : ipv6Text(b);
}

/** The offset of `text` in the range; throws for anything else (the unmapper's contract). */
export function offsetOf(r: CidrRange, text: unknown): bigint {
  const ip = typeof text === 'string' ? parseIp(text) : null;
  if (!ip || ip.family !== r.family) throw new Error('not an address of this family');
  const off = toBigInt(ip.bytes) - r.base;
  if (off < 0n || off >= 1n << BigInt(r.hostBits)) throw new Error(`${ip.text} is outside ${r.text}`);
  return off;
}

/**
 * Addresses in the range. With `hostsOnly` (and room for it) the network and all-ones
 * addresses are left out; values shrink towards the lowest address allowed.
 */
export function addressInRange(r: CidrRange, hostsOnly: boolean): fc.Arbitrary<string> {
  const size = 1n << BigInt(r.hostBits);
  const skip = hostsOnly && r.hostBits >= 2 ? 1n : 0n;
  return fc.bigInt({ min: skip, max: size - 1n - skip }).map(
    (off) => addressAt(r, off),
    (text) => offsetOf(r, text),
  );
}
