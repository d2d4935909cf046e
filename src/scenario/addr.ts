/**
 * addr.ts: IP address, CIDR and MAC helpers for the scenario model (parse, normalise, bytes).
 * Validation messages and key paths live in validate.ts; this file only answers "is this an
 * address, and what is its canonical text / its bytes".
 *
 * Canonical text is what Go's netip.Addr.String() prints, because Cilium hashes that text for
 * Maglev (maglev.md §3): dotted quad for IPv4, RFC 5952 compressed lower case for IPv6.
 */

import { createHash } from 'node:crypto';

/** 4 for IPv4, 6 for IPv6. */
export type IpFamily = 4 | 6;

/** A parsed address: its family, its bytes (network order) and its canonical text. */
export interface ParsedIp {
  family: IpFamily;
  bytes: Uint8Array;
  text: string;
}

const V4_PART = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses a dotted-quad IPv4 address the way Go's netip.ParseAddr does: four decimal parts,
 * each 0..255, no leading zeros (they would be read as octal by some tools), nothing else.
 * Returns the 4 bytes or null.
 */
export function parseIPv4Bytes(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!V4_PART.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

/**
 * Parses an IPv6 address (RFC 4291 §2.2 text forms, including `::` and an embedded dotted
 * quad in the last 32 bits). Zones (`%eth0`) are refused: a scenario names no interfaces.
 * Returns the 16 bytes or null.
 */
export function parseIPv6Bytes(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45 || s.includes('%')) return null;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const tailWords: number[] = [];
  const all = [...headGroups.map((g) => ({ g, tail: false })), ...tailGroups.map((g) => ({ g, tail: true }))];
  for (let i = 0; i < all.length; i++) {
    const { g, tail: inTail } = all[i]!;
    const target = inTail ? tailWords : words;
    if (i === all.length - 1 && g.includes('.')) {
      const v4 = parseIPv4Bytes(g);
      if (!v4) return null;
      target.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    target.push(parseInt(g, 16));
  }
  const total = words.length + tailWords.length;
  if (dbl === -1) {
    if (total !== 8) return null;
  } else if (total > 7) {
    return null;
  }
  const full = [...words, ...new Array<number>(8 - total).fill(0), ...tailWords];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = full[i]! >> 8;
    out[2 * i + 1] = full[i]! & 0xff;
  }
  return out;
}

/** Canonical IPv4 text of 4 bytes. */
export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * RFC 5952 text of 16 bytes: lower case, no leading zeros, the longest run (first on a tie)
 * of two or more zero groups written `::`, a lone zero group written `0`. IPv4-mapped
 * addresses print as `::ffff:a.b.c.d`, as Go does.
 */
export function formatIPv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** Parses either family. The text is canonical (see the file comment). */
export function parseIp(s: string): ParsedIp | null {
  if (typeof s !== 'string') return null;
  if (s.includes(':')) {
    const b = parseIPv6Bytes(s);
    return b ? { family: 6, bytes: b, text: formatIPv6(b) } : null;
  }
  const b = parseIPv4Bytes(s);
  return b ? { family: 4, bytes: b, text: formatIPv4(b) } : null;
}

/** Canonical text of an address, or null when it is not one. */
export function normaliseIp(s: string): string | null {
  return parseIp(s)?.text ?? null;
}

/** Family of a (normalised) address; throws on something that is not an address. */
export function ipFamily(addr: string): IpFamily {
  const p = parseIp(addr);
  if (!p) throw new TypeError(`ipFamily: not an IP address: ${JSON.stringify(addr)}`);
  return p.family;
}

/** Bytes (network order, 4 or 16) of an address; throws on something that is not an address. */
export function ipBytes(addr: string): Uint8Array {
  const p = parseIp(addr);
  if (!p) throw new TypeError(`ipBytes: not an IP address: ${JSON.stringify(addr)}`);
  return p.bytes;
}

/** An IPv4 address as an unsigned 32-bit number in host order (10.0.0.1 → 0x0a000001). */
export function ipv4ToUint32(addr: string): number {
  const b = parseIPv4Bytes(addr);
  if (!b) throw new TypeError(`ipv4ToUint32: not an IPv4 address: ${JSON.stringify(addr)}`);
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

/** Why an address cannot be a host or service address, or null when it can. */
export function unusableAddressReason(p: ParsedIp): string | null {
  const b = p.bytes;
  if (p.family === 4) {
    if (b.every((x) => x === 0)) return 'the unspecified address';
    if (b[0] === 127) return 'a loopback address';
    if (b[0]! >= 224 && b[0]! <= 239) return 'a multicast address';
    if (b.every((x) => x === 255)) return 'the broadcast address';
    if (b[0]! >= 240) return 'a reserved (class E) address';
    return null;
  }
  if (b.every((x) => x === 0)) return 'the unspecified address';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'the loopback address';
  if (b[0] === 0xff) return 'a multicast address';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'a link-local address';
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return 'an IPv4-mapped address (write the IPv4 address in the ipv4 field instead)';
  }
  return null;
}

/** A parsed CIDR prefix: canonical text `addr/len` with the host bits cleared. */
export interface ParsedCidr {
  family: IpFamily;
  bytes: Uint8Array;
  prefixLength: number;
  text: string;
}

/**
 * Parses `addr/len`. Host bits must be zero, as Go's net.ParseCIDR callers in Kubernetes
 * (loadBalancerSourceRanges) effectively require; returns null otherwise.
 */
export function parseCidr(s: string): ParsedCidr | null {
  if (typeof s !== 'string') return null;
  const slash = s.indexOf('/');
  if (slash === -1) return null;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return null;
  const len = Number(lenText);
  const bits = ip.family === 4 ? 32 : 128;
  if (len > bits) return null;
  for (let i = 0; i < bits; i++) {
    const set = (ip.bytes[i >> 3]! >> (7 - (i & 7))) & 1;
    if (i >= len && set) return null;
  }
  return { family: ip.family, bytes: ip.bytes, prefixLength: len, text: `${ip.text}/${len}` };
}

/**
 * Parses a MAC address `aa:bb:cc:dd:ee:ff` (or with `-`), any case. Returns the canonical
 * lower-case, colon-separated text or null.
 */
export function parseMac(s: string): string | null {
  if (typeof s !== 'string') return null;
  const m = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(s);
  if (!m) return null;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase();
}

/** The 6 bytes of a MAC address; throws on something that is not one. */
export function macBytes(mac: string): Uint8Array {
  const c = parseMac(mac);
  if (!c) throw new TypeError(`macBytes: not a MAC address: ${JSON.stringify(mac)}`);
  return Uint8Array.from(c.split(':').map((x) => parseInt(x, 16)));
}

/**
 * The MAC dsrlab gives a host whose scenario entry has none: `02` (locally administered,
 * unicast) followed by the first five bytes of SHA-256 over the host name in UTF-8.
 * Same name, same MAC, on every run and machine.
 */
export function macFromName(name: string): string {
  const h = createHash('sha256').update(name, 'utf8').digest();
  const bytes = [0x02, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
