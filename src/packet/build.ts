/**
 * build.ts: a packet builder for tests, fixtures and the demo. It writes Ethernet (with 802.1Q
 * tags), IPv4 (options, fragments), IPv6 (extension headers), TCP (options), UDP, ICMP, ICMPv6
 * and ARP with correct checksums, and can be told to lie (bad lengths, bad checksums) so tests
 * can craft malformed input. Parsing is not here: the C codec (native/src/codec.c) parses.
 */
import { checksum, pseudoHeaderSum, sumBytes, fold } from './checksum.js';
import { ipBytes, ipv4Bytes, ipv6Bytes, macBytes } from './addr.js';

export const ETH_P_IPV4 = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const IPPROTO = { HOPOPTS: 0, ICMP: 1, IPIP: 4, TCP: 6, UDP: 17, IPV6: 41, ROUTING: 43, FRAGMENT: 44, ICMPV6: 58, NONE: 59, DSTOPTS: 60, SCTP: 132 } as const;

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export interface EthSpec {
  src?: string;
  dst?: string;
  /** 802.1Q VLAN ids, outermost first. */
  vlans?: number[];
}

export interface IPv4Spec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  tos?: number;
  /** Don't-fragment; default true, as Linux sets it on TCP with PMTU discovery. */
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes; padded with EOL (0) to a multiple of 4. */
  options?: Uint8Array;
  /** Overrides, for malformed packets. */
  ihl?: number;
  totalLength?: number;
  protocol?: number;
  badChecksum?: boolean;
}

export type IPv6Ext =
  | { type: 'hopByHop' | 'destOpts'; options?: Uint8Array }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; data?: Uint8Array }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number };

export interface IPv6Spec {
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: IPv6Ext[];
  payloadLength?: number;
}

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'ws'; shift: number }
  | { kind: 'sackOk' }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'nop' }
  | { kind: 'raw'; bytes: Uint8Array };

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Flag bits (TCP_FLAGS) or a string such as 'S', 'SA', 'PA', 'FA', 'R'. */
  flags?: number | string;
  window?: number;
  urgent?: number;
  options?: TcpOption[];
  /** Overrides, for malformed packets. */
  dataOffset?: number;
  badChecksum?: boolean;
}

export interface UdpSpec {
  sport: number;
  dport: number;
  length?: number;
  /** Send checksum 0 (IPv4 only: "no checksum"). */
  noChecksum?: boolean;
  badChecksum?: boolean;
}

export interface IcmpSpec {
  type: number;
  code?: number;
  /** Echo id/sequence, or for errors the 4-byte rest-of-header (e.g. next-hop MTU). */
  id?: number;
  seq?: number;
  rest?: number;
  badChecksum?: boolean;
}

export interface PacketSpec {
  /** Ethernet header; null builds a raw IP packet. */
  eth?: EthSpec | null;
  ipv4?: IPv4Spec;
  ipv6?: IPv6Spec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  icmp?: IcmpSpec;
  icmpv6?: IcmpSpec;
  /** Any other L4 protocol: its number and raw bytes (header included). */
  raw?: { protocol: number };
  /** Payload bytes, or a length to fill with a repeating pattern. */
  payload?: Uint8Array | number;
}

export function tcpFlags(f: number | string | undefined): number {
  if (f === undefined) return TCP_FLAGS.ACK;
  if (typeof f === 'number') return f;
  const map: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80, '.': 0x10 };
  let v = 0;
  for (const ch of f) {
    const bit = map[ch.toUpperCase()];
    if (bit === undefined) throw new Error(`unknown TCP flag letter '${ch}' in '${f}'`);
    v |= bit;
  }
  return v;
}

function payloadBytes(p: Uint8Array | number | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  if (typeof p !== 'number') return p;
  const out = new Uint8Array(p);
  for (let i = 0; i < p; i++) out[i] = (i * 7 + 0x41) & 0xff;
  return out;
}

function tcpOptionBytes(opts: TcpOption[] | undefined): Uint8Array {
  if (!opts || opts.length === 0) return new Uint8Array(0);
  const parts: number[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'mss': parts.push(2, 4, o.value >> 8, o.value & 0xff); break;
      case 'ws': parts.push(3, 3, o.shift); break;
      case 'sackOk': parts.push(4, 2); break;
      case 'ts': parts.push(8, 10, ...u32(o.val), ...u32(o.ecr)); break;
      case 'nop': parts.push(1); break;
      case 'raw': parts.push(...o.bytes); break;
    }
  }
  while (parts.length % 4) parts.push(0);
  return Uint8Array.from(parts);
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
function put32(b: Uint8Array, off: number, v: number): void {
  b.set(u32(v >>> 0), off);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Builds the L4 header + payload, checksummed against the given addresses. */
function buildL4(spec: PacketSpec, src: Uint8Array, dst: Uint8Array): { proto: number; bytes: Uint8Array } {
  const payload = payloadBytes(spec.payload);
  if (spec.tcp) {
    const t = spec.tcp;
    const opts = tcpOptionBytes(t.options);
    const hlen = 20 + opts.length;
    const b = new Uint8Array(hlen + payload.length);
    put16(b, 0, t.sport);
    put16(b, 2, t.dport);
    put32(b, 4, t.seq ?? 0);
    put32(b, 8, t.ack ?? 0);
    b[12] = ((t.dataOffset ?? hlen / 4) & 0xf) << 4;
    b[13] = tcpFlags(t.flags);
    put16(b, 14, t.window ?? 64240);
    put16(b, 18, t.urgent ?? 0);
    b.set(opts, 20);
    b.set(payload, hlen);
    const c = checksum(b, 0, b.length, pseudoHeaderSum(src, dst, IPPROTO.TCP, b.length));
    put16(b, 16, t.badChecksum ? c ^ 0xffff : c);
    return { proto: IPPROTO.TCP, bytes: b };
  }
  if (spec.udp) {
    const u = spec.udp;
    const b = new Uint8Array(8 + payload.length);
    put16(b, 0, u.sport);
    put16(b, 2, u.dport);
    put16(b, 4, u.length ?? b.length);
    b.set(payload, 8);
    let c = checksum(b, 0, b.length, pseudoHeaderSum(src, dst, IPPROTO.UDP, b.length));
    if (c === 0) c = 0xffff; // RFC 768: a computed 0 is sent as all ones
    if (u.noChecksum) c = 0;
    else if (u.badChecksum) c = c === 0x1234 ? 0x4321 : 0x1234;
    put16(b, 6, c);
    return { proto: IPPROTO.UDP, bytes: b };
  }
  if (spec.icmp || spec.icmpv6) {
    const v6 = !!spec.icmpv6;
    const m = (spec.icmpv6 ?? spec.icmp)!;
    const b = new Uint8Array(8 + payload.length);
    b[0] = m.type;
    b[1] = m.code ?? 0;
    if (m.rest !== undefined) put32(b, 4, m.rest);
    else {
      put16(b, 4, m.id ?? 0);
      put16(b, 6, m.seq ?? 0);
    }
    b.set(payload, 8);
    const acc = v6 ? pseudoHeaderSum(src, dst, IPPROTO.ICMPV6, b.length) : 0;
    const c = checksum(b, 0, b.length, acc);
    put16(b, 2, m.badChecksum ? c ^ 0xffff : c);
    return { proto: v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP, bytes: b };
  }
  return { proto: spec.raw?.protocol ?? IPPROTO.NONE, bytes: payload };
}

function buildIPv4(ip: IPv4Spec, l4: { proto: number; bytes: Uint8Array }): Uint8Array {
  const opts = ip.options ?? new Uint8Array(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const hlen = 20 + optLen;
  const b = new Uint8Array(hlen + l4.bytes.length);
  b[0] = 0x40 | ((ip.ihl ?? hlen / 4) & 0xf);
  b[1] = ip.tos ?? 0;
  put16(b, 2, ip.totalLength ?? b.length);
  put16(b, 4, ip.id ?? 0);
  const frag = ((ip.df ?? true) ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | (((ip.fragOffset ?? 0) >> 3) & 0x1fff);
  put16(b, 6, frag);
  b[8] = ip.ttl ?? 64;
  b[9] = ip.protocol ?? l4.proto;
  b.set(ipv4Bytes(ip.src), 12);
  b.set(ipv4Bytes(ip.dst), 16);
  b.set(opts, 20);
  const c = checksum(b, 0, hlen);
  put16(b, 10, ip.badChecksum ? c ^ 0xffff : c);
  b.set(l4.bytes, hlen);
  return b;
}

function extBytes(e: IPv6Ext, next: number): Uint8Array {
  if (e.type === 'fragment') {
    const b = new Uint8Array(8);
    b[0] = next;
    put16(b, 2, ((e.offset ?? 0) & 0xfff8) | (e.more ? 1 : 0));
    put32(b, 4, e.id ?? 0);
    return b;
  }
  const body = e.type === 'routing' ? concat([Uint8Array.from([e.routingType ?? 0, e.segmentsLeft ?? 0]), e.data ?? new Uint8Array(4)]) : (e.options ?? new Uint8Array(0));
  // The header is 2 + body bytes, padded to 8 with PadN (type 1) / Pad1 (type 0) options.
  let total = Math.max(8, Math.ceil((2 + body.length) / 8) * 8);
  const b = new Uint8Array(total);
  b[0] = next;
  b[1] = total / 8 - 1;
  b.set(body, 2);
  const pad = total - 2 - body.length;
  if (e.type !== 'routing' && pad > 0) {
    if (pad === 1) b[2 + body.length] = 0;
    else {
      b[2 + body.length] = 1;
      b[3 + body.length] = pad - 2;
    }
  }
  total = b.length;
  return b;
}

const EXT_PROTO: Record<IPv6Ext['type'], number> = { hopByHop: IPPROTO.HOPOPTS, routing: IPPROTO.ROUTING, fragment: IPPROTO.FRAGMENT, destOpts: IPPROTO.DSTOPTS };

function buildIPv6(ip: IPv6Spec, l4: { proto: number; bytes: Uint8Array }): Uint8Array {
  const exts = ip.ext ?? [];
  const extParts: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? EXT_PROTO[exts[i + 1]!.type] : l4.proto;
    extParts.push(extBytes(exts[i]!, next));
  }
  const rest = concat([...extParts, l4.bytes]);
  const b = new Uint8Array(40 + rest.length);
  const tc = ip.trafficClass ?? 0;
  const fl = ip.flowLabel ?? 0;
  put32(b, 0, (6 << 28) | ((tc & 0xff) << 20) | (fl & 0xfffff));
  put16(b, 4, ip.payloadLength ?? rest.length);
  b[6] = exts.length ? EXT_PROTO[exts[0]!.type] : l4.proto;
  b[7] = ip.hopLimit ?? 64;
  b.set(ipv6Bytes(ip.src), 8);
  b.set(ipv6Bytes(ip.dst), 24);
  b.set(rest, 40);
  return b;
}

export function ethHeader(eth: EthSpec, type: number): Uint8Array {
  const vlans = eth.vlans ?? [];
  const b = new Uint8Array(14 + 4 * vlans.length);
  b.set(macBytes(eth.dst ?? '02:00:00:00:00:02'), 0);
  b.set(macBytes(eth.src ?? '02:00:00:00:00:01'), 6);
  let off = 12;
  for (const v of vlans) {
    put16(b, off, ETH_P_8021Q);
    put16(b, off + 2, v & 0x0fff);
    off += 4;
  }
  put16(b, off, type);
  return b;
}

/** Builds a whole frame (or a raw IP packet when `eth` is null). */
export function buildPacket(spec: PacketSpec): Uint8Array {
  let l3: Uint8Array;
  let type: number;
  if (spec.ipv4) {
    const src = ipv4Bytes(spec.ipv4.src);
    const dst = ipv4Bytes(spec.ipv4.dst);
    l3 = buildIPv4(spec.ipv4, buildL4(spec, src, dst));
    type = ETH_P_IPV4;
  } else if (spec.ipv6) {
    const src = ipv6Bytes(spec.ipv6.src);
    const dst = ipv6Bytes(spec.ipv6.dst);
    l3 = buildIPv6(spec.ipv6, buildL4(spec, src, dst));
    type = ETH_P_IPV6;
  } else {
    throw new Error('buildPacket: give ipv4 or ipv6');
  }
  if (spec.eth === null) return l3;
  return concat([ethHeader(spec.eth ?? {}, type), l3]);
}

export interface ArpSpec {
  op: 'request' | 'reply';
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
  eth?: EthSpec;
}

/** An Ethernet ARP frame (IPv4 over Ethernet, padded to the 60-byte minimum). */
export function buildArp(a: ArpSpec): Uint8Array {
  const body = new Uint8Array(46);
  put16(body, 0, 1);
  put16(body, 2, ETH_P_IPV4);
  body[4] = 6;
  body[5] = 4;
  put16(body, 6, a.op === 'request' ? 1 : 2);
  body.set(macBytes(a.senderMac), 8);
  body.set(ipv4Bytes(a.senderIp), 14);
  body.set(macBytes(a.targetMac ?? '00:00:00:00:00:00'), 18);
  body.set(ipv4Bytes(a.targetIp), 24);
  const eth = ethHeader({ src: a.senderMac, dst: a.op === 'request' ? 'ff:ff:ff:ff:ff:ff' : (a.targetMac ?? 'ff:ff:ff:ff:ff:ff'), ...a.eth }, ETH_P_ARP);
  return concat([eth, body]);
}

/**
 * Splits an Ethernet+IPv4 frame into fragments whose IP payloads are at most `maxPayload`
 * bytes (rounded down to a multiple of 8), as a host would (RFC 791): options copied only if
 * their copy bit is set (not handled: the fragments carry no options), DF cleared.
 */
export function fragmentIPv4(frame: Uint8Array, maxPayload: number, l2len = 14): Uint8Array[] {
  const ip = frame.subarray(l2len);
  const ihl = (ip[0]! & 0xf) * 4;
  const total = (ip[2]! << 8) | ip[3]!;
  const data = ip.subarray(ihl, total);
  const step = Math.floor(maxPayload / 8) * 8;
  if (step <= 0) throw new Error('fragmentIPv4: maxPayload < 8');
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += step) {
    const chunk = data.subarray(off, Math.min(off + step, data.length));
    const more = off + step < data.length;
    const hdr = new Uint8Array(20);
    hdr.set(ip.subarray(0, 20));
    hdr[0] = 0x45;
    put16(hdr, 2, 20 + chunk.length);
    put16(hdr, 6, (more ? 0x2000 : 0) | ((off >> 3) & 0x1fff));
    put16(hdr, 10, 0);
    put16(hdr, 10, checksum(hdr));
    out.push(concat([frame.subarray(0, l2len), hdr, chunk]));
  }
  return out;
}

/** Helpers for tests: recompute the IPv4 header checksum of a frame in place. */
export function fixIPv4HeaderChecksum(frame: Uint8Array, l2len = 14): void {
  const ip = frame.subarray(l2len);
  const ihl = (ip[0]! & 0xf) * 4;
  put16(ip, 10, 0);
  put16(ip, 10, checksum(ip, 0, ihl));
}

export { ipBytes, sumBytes, fold };
