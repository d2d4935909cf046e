/**
 * compare.ts: compares a captured server packet with what reached the client after dsrlab
 * re-injected it at the backend pod (responder=capture): the IP datagrams must be equal byte for
 * byte except the TTL / hop limit and the IPv4 header checksum (L2 is not compared at all).
 * Finding the two packets is replay.ts's job.
 */

/** The first difference between two datagrams, named by header field. */
export interface Mismatch {
  /** Byte offset into the IP datagram. */
  offset: number;
  field: string;
  expected: string;
  got: string;
}

function hex(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.subarray(from, Math.min(to, b.length))).toString('hex') || '(none)';
}

function ipText(b: Uint8Array, off: number, len: number): string {
  if (off + len > b.length) return '(none)';
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const w: string[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16));
  return w.join(':');
}

function u16(b: Uint8Array, off: number): string {
  return off + 2 <= b.length ? String((b[off]! << 8) | b[off + 1]!) : '(none)';
}

/** The field holding byte `i` of an IP datagram whose L4 header (protocol `proto`) starts at `l4`. */
function fieldAt(v6: boolean, i: number, l4: number, proto: number): { name: string; from: number; to: number; kind: 'addr' | 'u16' | 'hex' } {
  if (!v6 && i < 20) {
    const t: [number, number, string, 'addr' | 'u16' | 'hex'][] = [
      [0, 1, 'IPv4 version/IHL', 'hex'],
      [1, 2, 'IPv4 TOS', 'hex'],
      [2, 4, 'IPv4 total length', 'u16'],
      [4, 6, 'IPv4 identification', 'u16'],
      [6, 8, 'IPv4 flags/fragment offset', 'hex'],
      [9, 10, 'IPv4 protocol', 'hex'],
      [12, 16, 'IPv4 source address', 'addr'],
      [16, 20, 'IPv4 destination address', 'addr'],
    ];
    for (const [a, b, n, k] of t) if (i >= a && i < b) return { name: n, from: a, to: b, kind: k };
  }
  if (v6 && i < 40) {
    const t: [number, number, string, 'addr' | 'u16' | 'hex'][] = [
      [0, 4, 'IPv6 version/traffic class/flow label', 'hex'],
      [4, 6, 'IPv6 payload length', 'u16'],
      [6, 7, 'IPv6 next header', 'hex'],
      [8, 24, 'IPv6 source address', 'addr'],
      [24, 40, 'IPv6 destination address', 'addr'],
    ];
    for (const [a, b, n, k] of t) if (i >= a && i < b) return { name: n, from: a, to: b, kind: k };
  }
  if (i < l4) return { name: v6 ? 'IPv6 extension headers' : 'IPv4 options', from: i, to: i + 1, kind: 'hex' };
  const r = i - l4;
  const L = (a: number, b: number, n: string, k: 'u16' | 'hex' = 'hex') => ({ name: n, from: l4 + a, to: l4 + b, kind: k });
  if (proto === 6) {
    if (r < 2) return L(0, 2, 'TCP source port', 'u16');
    if (r < 4) return L(2, 4, 'TCP destination port', 'u16');
    if (r < 8) return L(4, 8, 'TCP sequence number');
    if (r < 12) return L(8, 12, 'TCP acknowledgment number');
    if (r < 14) return L(12, 14, 'TCP data offset/flags');
    if (r < 16) return L(14, 16, 'TCP window', 'u16');
    if (r < 18) return L(16, 18, 'TCP checksum');
    if (r < 20) return L(18, 20, 'TCP urgent pointer', 'u16');
    return { name: 'TCP options or payload', from: i, to: i + 1, kind: 'hex' };
  }
  if (proto === 17) {
    if (r < 2) return L(0, 2, 'UDP source port', 'u16');
    if (r < 4) return L(2, 4, 'UDP destination port', 'u16');
    if (r < 6) return L(4, 6, 'UDP length', 'u16');
    if (r < 8) return L(6, 8, 'UDP checksum');
    return { name: 'UDP payload', from: i, to: i + 1, kind: 'hex' };
  }
  if (proto === 1 || proto === 58) {
    if (r < 2) return L(0, 2, 'ICMP type/code');
    if (r < 4) return L(2, 4, 'ICMP checksum');
    return { name: 'ICMP body', from: i, to: i + 1, kind: 'hex' };
  }
  return { name: 'L4 bytes', from: i, to: i + 1, kind: 'hex' };
}

/**
 * Compares two IP datagrams (from the version byte to the end of the IP length), ignoring the
 * TTL / hop limit and the IPv4 header checksum. `l4Offset`/`l4Proto` (where the expected
 * datagram's L4 header starts, and its protocol, past any IPv6 extension headers) only name the
 * field of a difference. Returns null when they match.
 */
export function compareDatagrams(expected: Uint8Array, got: Uint8Array, l4Offset?: number, l4Proto?: number): Mismatch | null {
  const v6 = (expected[0]! >> 4) === 6;
  const skip = v6 ? new Set([7]) : new Set([8, 10, 11]);
  const l4 = l4Offset ?? (v6 ? 40 : (expected[0]! & 0xf) * 4);
  const proto = l4Proto ?? (v6 ? expected[6]! : expected[9]!);
  const n = Math.max(expected.length, got.length);
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    if (i < expected.length && i < got.length && expected[i] === got[i]) continue;
    if (i >= expected.length || i >= got.length) {
      return { offset: i, field: 'length', expected: `${expected.length} bytes`, got: `${got.length} bytes` };
    }
    const f = fieldAt(v6, i, l4, proto);
    const show = (b: Uint8Array) => (f.kind === 'addr' ? ipText(b, f.from, f.to - f.from) : f.kind === 'u16' ? u16(b, f.from) : hex(b, f.from, f.to));
    return { offset: i, field: f.name, expected: show(expected), got: show(got) };
  }
  return null;
}
