/**
 * packet-view.ts: what a person needs to see of one frame at one hop: the tuple (for an
 * encapsulated frame, the inner one, with the outer addresses beside it), the DSR information it
 * carries (IPv4 option 0x9a, IPv6 Destination Option 0x1b, Geneve TLV), ICMP type/code/MTU, and
 * how two views differ (which fields a hop rewrote). The bytes are parsed by the C codec; here we
 * only read the few DSR and tunnel fields the codec leaves opaque. Layouts: native/include/dsrlab/dsr.h.
 */
import { addon, REC, REC_FIELDS, type ParsedPacket } from '../native.js';
import { canonicalIp } from '../datapath/flow-record.js';
import { ipv6Text } from '../packet/addr.js';
import { endpoint, protocolName } from './flow-key.js';

export type Encap = 'geneve' | 'vxlan' | 'ipip';

export interface PacketView {
  l3: 'ipv4' | 'ipv6' | 'arp' | 'other';
  proto?: number;
  protocol: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmp?: { type: number; code: number; mtu?: number; id?: number };
  /** Fragments: which part. */
  frag?: 'first' | 'later';
  /** Frame length (Ethernet) and IP TTL / hop limit. */
  len: number;
  ttl?: number;
  /** The service the load balancer told the backend about (DSR). */
  dsr?: { addr: string; port: number; via: 'option' | 'geneve'; legacyOrder?: boolean };
  /** Outer header of an encapsulated frame (the tuple fields above are the inner packet's). */
  encap?: { kind: Encap; src: string; dst: string };
  arp?: { op: number; spa: string; tpa: string };
  /** Codec error for unparseable frames. */
  error?: string;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const DSR_OPT4 = 0x9a;
const DSR_OPT6 = 0x1b;
const GENEVE_PORT = 6081;
const VXLAN_PORT = 8472;
const GENEVE_CILIUM_CLASS = 0x014b;
const GENEVE_DSR_TYPE = 0x81;
const IPV6_DSTOPTS = 60;

function parseOne(bytes: Buffer, linktype: number): ParsedPacket | undefined {
  if (bytes.length === 0) return undefined;
  const index = new Float64Array(REC_FIELDS);
  index[REC.CAPLEN] = bytes.length;
  index[REC.ORIGLEN] = bytes.length;
  index[REC.LINKTYPE] = linktype;
  return addon().parsePackets(bytes, index, 1)[0];
}

function ipv4Text(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function reversed(b: Buffer): Buffer {
  return Buffer.from(b).reverse();
}

/**
 * The DSR IPv4 option, if the header carries one. Legacy Cilium writes port and address
 * byte-swapped; the order whose address is a known service address wins.
 */
function dsrOption4(bytes: Buffer, p: ParsedPacket, known: ReadonlySet<string>): PacketView['dsr'] {
  const off = p.ipv4OptOff as number | undefined;
  const len = p.ipv4OptLen as number | undefined;
  if (!off || !len) return undefined;
  for (let o = off; o + 8 <= off + len && o + 8 <= bytes.length; ) {
    const type = bytes[o]!;
    if (type === 0) break;
    if (type === 1) {
      o++;
      continue;
    }
    const olen = bytes[o + 1]!;
    if (type === DSR_OPT4 && olen === 8) {
      const net = { addr: ipv4Text(bytes, o + 4), port: bytes.readUInt16BE(o + 2) };
      const legacy = { addr: ipv4Text(reversed(bytes.subarray(o + 4, o + 8)), 0), port: bytes.readUInt16LE(o + 2) };
      if (!known.has(net.addr) && known.has(legacy.addr)) return { ...legacy, via: 'option', legacyOrder: true };
      return { ...net, via: 'option' };
    }
    if (olen < 2) break;
    o += olen;
  }
  return undefined;
}

/** The DSR Destination Option of an IPv6 packet, if any. */
function dsrOption6(bytes: Buffer, p: ParsedPacket): PacketView['dsr'] {
  const ext = p.ext as { type: number; off: number; len: number }[] | undefined;
  for (const x of ext ?? []) {
    if (x.type !== IPV6_DSTOPTS) continue;
    for (let o = x.off + 2; o + 2 <= x.off + x.len && o + 2 <= bytes.length; ) {
      const t = bytes[o]!;
      if (t === 0) {
        o++;
        continue;
      }
      const l = bytes[o + 1]!;
      if (t === DSR_OPT6 && l >= 18 && o + 20 <= bytes.length) {
        return { addr: ipv6Text(bytes.subarray(o + 2, o + 18)), port: bytes.readUInt16BE(o + 18), via: 'option' };
      }
      o += 2 + l;
    }
  }
  return undefined;
}

/** Geneve: the inner Ethernet frame and Cilium's DSR TLV, if present. */
function geneve(bytes: Buffer, p: ParsedPacket): { inner?: Buffer; dsr?: PacketView['dsr'] } {
  const off = p.payloadOff as number | undefined;
  if (off === undefined || off + 8 > bytes.length) return {};
  const optLen = (bytes[off]! & 0x3f) * 4;
  const innerOff = off + 8 + optLen;
  let dsr: PacketView['dsr'];
  for (let o = off + 8; o + 4 <= off + 8 + optLen && o + 4 <= bytes.length; ) {
    const cls = bytes.readUInt16BE(o);
    const type = bytes[o + 2]!;
    const dlen = (bytes[o + 3]! & 0x1f) * 4;
    if (cls === GENEVE_CILIUM_CLASS && type === GENEVE_DSR_TYPE) {
      if (dlen === 8) dsr = { addr: ipv4Text(bytes, o + 4), port: bytes.readUInt16BE(o + 8), via: 'geneve' };
      else if (dlen === 20) dsr = { addr: ipv6Text(bytes.subarray(o + 4, o + 20)), port: bytes.readUInt16BE(o + 20), via: 'geneve' };
    }
    o += 4 + dlen;
  }
  return { ...(innerOff < bytes.length ? { inner: bytes.subarray(innerOff) } : {}), ...(dsr ? { dsr } : {}) };
}

function baseView(p: ParsedPacket | undefined, len: number): PacketView {
  if (!p) return { l3: 'other', protocol: '?', len };
  if (p.ok === false) return { l3: 'other', protocol: 'unparseable', len, error: String(p.error ?? 'unparseable') };
  if (p.l3 === 'arp') {
    return { l3: 'arp', protocol: 'ARP', len, arp: { op: Number(p.arpOp ?? 0), spa: String(p.arpSpa ?? '?'), tpa: String(p.arpTpa ?? '?') } };
  }
  if (p.l3 !== 'ipv4' && p.l3 !== 'ipv6') return { l3: 'other', protocol: String(p.l3 ?? 'other'), len };
  const proto = p.l4Proto as number | undefined;
  const v: PacketView = { l3: p.l3, protocol: protocolName(proto), len, src: canonicalIp(p.src as string), dst: canonicalIp(p.dst as string) };
  if (proto !== undefined) v.proto = proto;
  if (p.ttl !== undefined) v.ttl = p.ttl as number;
  if (p.sport !== undefined && p.frag !== 'later') {
    v.sport = p.sport as number;
    v.dport = p.dport as number;
  }
  if (p.tcpFlags !== undefined && p.frag !== 'later') v.tcpFlags = p.tcpFlags as number;
  if (p.icmpType !== undefined) {
    v.icmp = { type: p.icmpType as number, code: (p.icmpCode as number) ?? 0 };
    if (p.icmpMtu) v.icmp.mtu = p.icmpMtu as number;
    if (p.icmpId !== undefined) v.icmp.id = p.icmpId as number;
  }
  if (p.frag === 'first' || p.frag === 'later') v.frag = p.frag;
  return v;
}

/**
 * The view of one frame (Ethernet) whose codec parse is `p`. `known` holds service addresses
 * (canonical), used to read a legacy-order DSR option.
 */
export function viewOf(bytes: Buffer, p: ParsedPacket | undefined, known: ReadonlySet<string> = new Set()): PacketView {
  const v = baseView(p, bytes.length);
  if (!p || p.ok === false || (v.l3 !== 'ipv4' && v.l3 !== 'ipv6')) return v;
  if (v.l3 === 'ipv4') {
    const d = dsrOption4(bytes, p, known);
    if (d) v.dsr = d;
  } else {
    const d = dsrOption6(bytes, p);
    if (d) v.dsr = d;
  }
  const proto = v.proto;
  let inner: { bytes: Buffer; linktype: number } | undefined;
  let kind: Encap | undefined;
  let tlv: PacketView['dsr'];
  if (proto === 17 && (p.dport === GENEVE_PORT || p.dport === VXLAN_PORT) && p.frag !== 'later') {
    if (p.dport === GENEVE_PORT) {
      const g = geneve(bytes, p);
      if (g.inner) inner = { bytes: g.inner, linktype: LINKTYPE_ETHERNET };
      tlv = g.dsr;
      kind = 'geneve';
    } else {
      const off = (p.payloadOff as number) + 8;
      if (off < bytes.length) inner = { bytes: bytes.subarray(off), linktype: LINKTYPE_ETHERNET };
      kind = 'vxlan';
    }
  } else if ((proto === 4 || proto === 41) && p.l4Off !== undefined) {
    inner = { bytes: bytes.subarray(p.l4Off as number), linktype: LINKTYPE_RAW };
    kind = 'ipip';
  }
  if (!inner || !kind) return v;
  const ip = parseOne(Buffer.from(inner.bytes), inner.linktype);
  const iv = baseView(ip, bytes.length);
  if (iv.l3 !== 'ipv4' && iv.l3 !== 'ipv6') return v;
  const out: PacketView = { ...iv, ...(v.ttl !== undefined ? { ttl: v.ttl } : {}), encap: { kind, src: v.src!, dst: v.dst! } };
  if (tlv) out.dsr = tlv;
  else if (ip && iv.l3 === 'ipv4') {
    const d = dsrOption4(Buffer.from(inner.bytes), ip, known);
    if (d) out.dsr = d;
  }
  return out;
}

/** The fields a rewrite can change, as the diagram highlights them. */
export type ViewField = 'src' | 'sport' | 'dst' | 'dport' | 'dsr' | 'encap' | 'proto';

/** Fields that differ between two views of the same packet (TTL and L2 aside). */
export function changedFields(a: PacketView | undefined, b: PacketView): ViewField[] {
  if (!a) return [];
  const out: ViewField[] = [];
  if (a.proto !== b.proto || (a.icmp === undefined) !== (b.icmp === undefined)) out.push('proto');
  if (a.src !== b.src) out.push('src');
  if (a.sport !== b.sport) out.push('sport');
  if (a.dst !== b.dst) out.push('dst');
  if (a.dport !== b.dport) out.push('dport');
  if (JSON.stringify(a.dsr ?? null) !== JSON.stringify(b.dsr ?? null)) out.push('dsr');
  if (JSON.stringify(a.encap ?? null) !== JSON.stringify(b.encap ?? null)) out.push('encap');
  return out;
}

const TCP_FLAGS: [number, string][] = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x08, 'PSH'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x20, 'URG'],
];

export function tcpFlagText(bits: number): string {
  const parts = TCP_FLAGS.filter(([b]) => bits & b).map(([, n]) => n);
  return parts.length ? parts.join('·') : 'none';
}

const ICMP4_NAMES: Record<string, string> = {
  '0': 'echo reply',
  '8': 'echo request',
  '3/0': 'net unreachable',
  '3/1': 'host unreachable',
  '3/3': 'port unreachable',
  '3/4': 'frag needed',
  '11/0': 'TTL exceeded',
};
const ICMP6_NAMES: Record<string, string> = {
  '128': 'echo request',
  '129': 'echo reply',
  '1/4': 'port unreachable',
  '1/0': 'no route',
  '1/3': 'address unreachable',
  '2': 'packet too big',
  '3': 'hop limit exceeded',
};

/** `frag needed` for ICMPv4 3/4, `packet too big` for ICMPv6 2, else `type T code C`. */
export function icmpName(v: PacketView): string {
  if (!v.icmp) return '';
  const names = v.proto === 58 ? ICMP6_NAMES : ICMP4_NAMES;
  return names[`${v.icmp.type}/${v.icmp.code}`] ?? names[String(v.icmp.type)] ?? `type ${v.icmp.type} code ${v.icmp.code}`;
}

/** True for ICMP errors (not echo). */
export function isIcmpError(v: PacketView): boolean {
  if (!v.icmp) return false;
  return v.proto === 58 ? v.icmp.type < 128 : ![0, 8, 13, 14].includes(v.icmp.type);
}

/** One piece of a tuple label; `field` marks the part a rewrite may highlight. */
export interface LabelPart {
  text: string;
  field?: ViewField;
}

/**
 * The tuple as label parts: `TCP 203.0.113.7:40000 → 198.51.100.10:80 SYN`, ICMP with its name
 * and MTU, ARP by op and addresses. The protocol is left out when it is `omitProtocol` (the
 * flow's own, named in the diagram's title).
 */
export function tupleParts(v: PacketView, omitProtocol?: string): LabelPart[] {
  if (v.l3 === 'arp' && v.arp) return [{ text: `ARP ${v.arp.op === 1 ? 'who-has' : 'is-at'} ${v.arp.tpa} (from ${v.arp.spa})` }];
  if (v.l3 === 'other') return [{ text: v.error ? `unparseable: ${v.error}` : v.protocol }];
  const parts: LabelPart[] = v.protocol === omitProtocol ? [] : [{ text: `${v.protocol} `, field: 'proto' }];
  const addr = (a: string | undefined, port: number | undefined, fa: ViewField, fp: ViewField) => {
    if (port === undefined) {
      parts.push({ text: a ?? '?', field: fa });
      return;
    }
    const six = (a ?? '').includes(':');
    parts.push({ text: six ? `[${a}]` : (a ?? '?'), field: fa });
    parts.push({ text: ':' });
    parts.push({ text: String(port), field: fp });
  };
  addr(v.src, v.sport, 'src', 'sport');
  parts.push({ text: ' → ' });
  addr(v.dst, v.dport, 'dst', 'dport');
  if (v.tcpFlags !== undefined) parts.push({ text: ` ${tcpFlagText(v.tcpFlags)}` });
  if (v.icmp) {
    parts.push({ text: ` ${icmpName(v)}` });
    if (v.icmp.mtu) parts.push({ text: ` mtu ${v.icmp.mtu}` });
  }
  if (v.frag) parts.push({ text: v.frag === 'first' ? ' (first fragment)' : ' (later fragment)' });
  return parts;
}

/** Further label lines, for what rides along: the outer header, then the DSR information. */
export function extraLines(v: PacketView): LabelPart[][] {
  const lines: LabelPart[][] = [];
  if (v.encap) lines.push([{ text: `${v.encap.kind} ${v.encap.src} → ${v.encap.dst}`, field: 'encap' }]);
  if (v.dsr) {
    const what = v.dsr.via === 'geneve' ? 'DSR TLV' : v.l3 === 'ipv6' ? 'DSR dest-opt' : 'DSR opt';
    lines.push([{ text: `${what} ${endpoint(v.dsr.addr, v.dsr.port)}${v.dsr.legacyOrder ? ' (legacy byte order)' : ''}`, field: 'dsr' }]);
  }
  return lines;
}

export function partsText(parts: LabelPart[]): string {
  return parts.map((p) => p.text).join('');
}
