/**
 * headers.ts: what `explain` shows of one frame: its headers decoded into a HeaderView (MACs,
 * addresses, ports, TTL, lengths, IPv4 options with Cilium's DSR option 0x9a decoded, IPv6
 * extension headers with the DSR destination option, IPIP and Geneve outer headers with
 * Cilium's Geneve DSR option, ICMP type/code/MTU and the packet an ICMP error quotes, checksums),
 * flattened into labelled fields, and the diff of two such views. Parsing proper is the C
 * codec's (parsePackets); this file only reads the few bytes the codec does not name (option
 * contents, checksums, Geneve) at offsets the codec reported. Which hop a frame belongs to is
 * explain.ts's business.
 */
import { canonicalIp } from '../datapath/flow-record.js';
import type { ParsedPacket } from '../native.js';
import { ipv4Text, ipv6Text, macText } from '../packet/addr.js';
import { checkChecksums, CSUM_IPV4_BAD, CSUM_L4_BAD, parsePackets } from '../packet/parse.js';

/** Byte order of the IPv4 DSR option's port and address (the scenario's version profile). */
export type DsrOptionByteOrder = 'network' | 'host-swapped';

/** A service address and port carried by a DSR option (IPv4 option, IPv6 dest-opt, Geneve TLV). */
export interface DsrInfo {
  address: string;
  port: number;
}

export interface IpOptionView {
  type: number;
  length: number;
  /** The option's bytes as hex pairs separated by spaces. */
  bytes: string;
  /** Cilium's DSR option (type 0x9a, length 8), decoded in the profile's byte order. */
  dsr?: DsrInfo;
}

export interface ExtHeaderView {
  /** The next-header number that names this extension header (0, 43, 44, 60 …). */
  type: number;
  name: string;
  length: number;
  bytes: string;
  /** Cilium's DSR destination option (type 0x1b, length 20). */
  dsr?: DsrInfo;
}

export interface GeneveOptionView {
  optClass: number;
  type: number;
  /** Option data length in bytes (without the 4-byte option header). */
  length: number;
  bytes: string;
  /** Cilium's DSR TLV (class 0x014b, type 0x81). */
  dsr?: DsrInfo;
}

export interface IpView {
  version: 4 | 6;
  src: string;
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** IPv4 total length; IPv6: 40 + payload length. */
  totalLength: number;
  /** IPv4 header length in 32-bit words. */
  ihl?: number;
  id?: number;
  df?: boolean;
  /** IPv4 header checksum as on the wire. */
  checksum?: number;
  /** The L4 protocol (after IPv6 extension headers). */
  protocol: number;
  options?: IpOptionView[];
  extHeaders?: ExtHeaderView[];
  /** 'first' or 'later' for fragments. */
  fragment?: string;
}

export interface IcmpView {
  type: number;
  code: number;
  /** e.g. `fragmentation needed`, `echo request`. */
  name: string;
  /** The next-hop MTU of a fragmentation-needed / packet-too-big error. */
  mtu?: number;
  id?: number;
  seq?: number;
}

export interface L4View {
  /** TCP, UDP, ICMP, ICMPv6, SCTP, or `proto N`. */
  protocol: string;
  sport?: number;
  dport?: number;
  /** TCP flags as letters (S, A, P, F, R, U, E, C), e.g. `SA`. */
  flags?: string;
  seq?: number;
  ack?: number;
  checksum?: number;
  icmp?: IcmpView;
  payloadLength: number;
}

export interface TunnelView {
  kind: 'geneve' | 'ipip';
  /** Geneve only. */
  vni?: number;
  protocolType?: number;
  options?: GeneveOptionView[];
}

/** The decoded headers of one frame. */
export interface HeaderView {
  /** Frame bytes. */
  length: number;
  eth?: { src: string; dst: string };
  /** The (outer) IP header. */
  ip?: IpView;
  l4?: L4View;
  /** Set when this frame tunnels another: then `inner` is the tunnelled packet. */
  tunnel?: TunnelView;
  inner?: HeaderView;
  /** The packet an ICMP error quotes (possibly cut short). */
  quoted?: HeaderView;
  /** False when a checksum the codec can verify is wrong. */
  checksumsValid: boolean;
  /** Why the frame could not be parsed (ARP and the like have no IP view, and no error). */
  error?: string;
  /** 'arp' and other non-IP frames. */
  l3: string;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const GENEVE_PORT = 6081;
const GENEVE_CLASS_CILIUM = 0x014b;
const GENEVE_TYPE_DSR = 0x81;
const IPV4_OPT_DSR = 0x9a;
const IPV6_OPT_DSR = 0x1b;

const EXT_NAMES: Record<number, string> = { 0: 'hop-by-hop options', 43: 'routing', 44: 'fragment', 60: 'destination options', 51: 'AH', 50: 'ESP' };
const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 58: 'ICMPv6', 132: 'SCTP' };

const ICMP4_NAMES: Record<number, string> = { 0: 'echo reply', 8: 'echo request', 11: 'time exceeded', 5: 'redirect' };
const ICMP4_UNREACH: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  13: 'administratively prohibited',
};
const ICMP6_NAMES: Record<number, string> = { 1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded', 128: 'echo request', 129: 'echo reply', 135: 'neighbor solicitation', 136: 'neighbor advertisement' };
const ICMP6_UNREACH: Record<number, string> = { 0: 'no route', 1: 'administratively prohibited', 3: 'address unreachable', 4: 'port unreachable' };

/** The name of an ICMP (v4 or v6) type/code. */
export function icmpName(v6: boolean, type: number, code: number): string {
  if (!v6) {
    if (type === 3) return ICMP4_UNREACH[code] ?? `destination unreachable (code ${code})`;
    return ICMP4_NAMES[type] ?? `type ${type}`;
  }
  if (type === 1) return ICMP6_UNREACH[code] ?? `destination unreachable (code ${code})`;
  return ICMP6_NAMES[type] ?? `type ${type}`;
}

/** Hex pairs separated by spaces. */
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

const TCP_LETTERS: [number, string][] = [
  [0x02, 'S'],
  [0x01, 'F'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, 'A'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'C'],
];

/** TCP flag bits as letters, SYN first (S, SA, PA, FA, R …); `.` for none. */
export function tcpFlagLetters(bits: number): string {
  const s = TCP_LETTERS.filter(([b]) => bits & b)
    .map(([, l]) => l)
    .join('');
  return s || '.';
}

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Decodes Cilium's IPv4 DSR option bytes (type, len, port, addr) in the given byte order. */
export function decodeDsrOptionV4(opt: Uint8Array, order: DsrOptionByteOrder): DsrInfo | undefined {
  if (opt.length < 8 || opt[0] !== IPV4_OPT_DSR || opt[1] !== 8) return undefined;
  if (order === 'network') return { port: be16(opt, 2), address: ipv4Text(opt.subarray(4, 8)) };
  // v1.15-era on little-endian: bpf_htons/bpf_htonl of network-order values, so both byte-swapped.
  return { port: (opt[3]! << 8) | opt[2]!, address: ipv4Text(Uint8Array.from([opt[7]!, opt[6]!, opt[5]!, opt[4]!])) };
}

function ipv4Options(frame: Uint8Array, off: number, len: number, order: DsrOptionByteOrder): IpOptionView[] {
  const out: IpOptionView[] = [];
  let i = off;
  const end = off + len;
  while (i < end) {
    const type = frame[i]!;
    if (type === 0) break; // end of option list: the rest is padding
    if (type === 1) {
      out.push({ type, length: 1, bytes: '01' });
      i++;
      continue;
    }
    const l = frame[i + 1] ?? 0;
    if (l < 2 || i + l > end) {
      out.push({ type, length: end - i, bytes: hexBytes(frame.subarray(i, end)) });
      break;
    }
    const bytes = frame.subarray(i, i + l);
    const o: IpOptionView = { type, length: l, bytes: hexBytes(bytes) };
    const dsr = decodeDsrOptionV4(bytes, order);
    if (dsr) o.dsr = dsr;
    out.push(o);
    i += l;
  }
  return out;
}

function extHeaders(frame: Uint8Array, exts: { type: number; off: number; len: number }[]): ExtHeaderView[] {
  return exts.map((e) => {
    const bytes = frame.subarray(e.off, e.off + e.len);
    const v: ExtHeaderView = { type: e.type, name: EXT_NAMES[e.type] ?? `next header ${e.type}`, length: e.len, bytes: hexBytes(bytes) };
    // struct dsr_opt_v6: nexthdr, hdrlen, opt type 0x1b, opt len 20, address (16), port (2), pad.
    if (e.type === 60 && bytes.length >= 22 && bytes[2] === IPV6_OPT_DSR && bytes[3] === 20) {
      v.dsr = { address: ipv6Text(bytes.subarray(4, 20)), port: be16(bytes, 20) };
    }
    return v;
  });
}

function geneveOptions(b: Uint8Array): GeneveOptionView[] {
  const out: GeneveOptionView[] = [];
  let i = 0;
  while (i + 4 <= b.length) {
    const optClass = be16(b, i);
    const type = b[i + 2]!;
    const length = (b[i + 3]! & 0x1f) * 4;
    const data = b.subarray(i + 4, Math.min(b.length, i + 4 + length));
    const o: GeneveOptionView = { optClass, type, length, bytes: hexBytes(b.subarray(i, i + 4 + length)) };
    if (optClass === GENEVE_CLASS_CILIUM && type === GENEVE_TYPE_DSR) {
      if (length === 8 && data.length === 8) o.dsr = { address: ipv4Text(data.subarray(0, 4)), port: be16(data, 4) };
      else if (length === 20 && data.length === 20) o.dsr = { address: ipv6Text(data.subarray(0, 16)), port: be16(data, 16) };
    }
    out.push(o);
    i += 4 + length;
  }
  return out;
}

function buildView(frame: Uint8Array, p: ParsedPacket, csum: number, order: DsrOptionByteOrder, depth: number): HeaderView {
  const l2Len = (p.l2Len as number | undefined) ?? 0;
  const view: HeaderView = { length: frame.length, l3: String(p.l3 ?? 'none'), checksumsValid: (csum & (CSUM_IPV4_BAD | CSUM_L4_BAD)) === 0 };
  if (l2Len >= 14 && frame.length >= 12) view.eth = { dst: macText(frame.subarray(0, 6)), src: macText(frame.subarray(6, 12)) };
  if (p.ok === false) view.error = String(p.error ?? 'unparseable');
  if (p.l3 !== 'ipv4' && p.l3 !== 'ipv6') return view;
  const v6 = p.l3 === 'ipv6';
  const l3Off = p.l3Off as number;
  const proto = p.l4Proto as number;
  const ip: IpView = {
    version: v6 ? 6 : 4,
    src: canonicalIp(p.src as string),
    dst: canonicalIp(p.dst as string),
    ttl: p.ttl as number,
    totalLength: p.l3Len as number,
    protocol: proto,
  };
  if (!v6) {
    ip.ihl = ((p.l3HdrLen as number) / 4) | 0;
    ip.id = p.ipId as number;
    ip.df = p.df as boolean;
    if (frame.length >= l3Off + 12) ip.checksum = be16(frame, l3Off + 10);
    const optLen = (p.ipv4OptLen as number | undefined) ?? 0;
    if (optLen > 0) ip.options = ipv4Options(frame, p.ipv4OptOff as number, optLen, order);
  } else {
    const ext = (p.ext as { type: number; off: number; len: number }[] | undefined) ?? [];
    if (ext.length) ip.extHeaders = extHeaders(frame, ext);
  }
  if (p.frag && p.frag !== 'none') ip.fragment = String(p.frag);
  view.ip = ip;
  if (p.l4Off === undefined) return view;
  const l4Off = p.l4Off as number;
  const l4: L4View = { protocol: PROTO_NAMES[proto] ?? `proto ${proto}`, payloadLength: (p.payloadLen as number | undefined) ?? 0 };
  if (p.sport !== undefined) {
    l4.sport = p.sport as number;
    l4.dport = p.dport as number;
  }
  if (proto === 6 && p.tcpFlags !== undefined) {
    l4.flags = tcpFlagLetters(p.tcpFlags as number);
    l4.seq = p.tcpSeq as number;
    l4.ack = p.tcpAck as number;
    if (frame.length >= l4Off + 18) l4.checksum = be16(frame, l4Off + 16);
  } else if (proto === 17) {
    if (frame.length >= l4Off + 8) l4.checksum = be16(frame, l4Off + 6);
  } else if ((proto === 1 || proto === 58) && p.icmpType !== undefined) {
    const type = p.icmpType as number;
    const code = p.icmpCode as number;
    const icmp: IcmpView = { type, code, name: icmpName(proto === 58, type, code) };
    const isError = proto === 1 ? type === 3 || type === 11 || type === 5 || type === 12 : type < 128;
    if (isError) {
      if ((proto === 1 && type === 3 && code === 4) || (proto === 58 && type === 2)) icmp.mtu = p.icmpMtu as number;
    } else {
      icmp.id = p.icmpId as number;
      icmp.seq = p.icmpSeq as number;
    }
    l4.icmp = icmp;
    if (frame.length >= l4Off + 4) l4.checksum = be16(frame, l4Off + 2);
    const innerOff = p.icmpInnerOff as number | undefined;
    if (isError && innerOff && innerOff < frame.length && depth < 2) {
      view.quoted = decodeOne(frame.subarray(innerOff), LINKTYPE_RAW, order, depth + 1);
    }
  }
  view.l4 = l4;

  // Tunnels: Geneve (UDP to 6081, inner Ethernet) and IPIP / IP6IP6.
  if (depth < 2 && proto === 17 && l4.dport === GENEVE_PORT) {
    const g = frame.subarray(p.payloadOff as number);
    if (g.length >= 8) {
      const optLen = (g[0]! & 0x3f) * 4;
      const protocolType = be16(g, 2);
      const vni = (g[4]! << 16) | (g[5]! << 8) | g[6]!;
      view.tunnel = { kind: 'geneve', vni, protocolType, options: geneveOptions(g.subarray(8, Math.min(g.length, 8 + optLen))) };
      const innerBytes = g.subarray(8 + optLen);
      if (innerBytes.length > 0) view.inner = decodeOne(innerBytes, protocolType === 0x6558 ? LINKTYPE_ETHERNET : LINKTYPE_RAW, order, depth + 1);
    }
  } else if (depth < 2 && (proto === 4 || proto === 41)) {
    view.tunnel = { kind: 'ipip' };
    view.inner = decodeOne(frame.subarray(l4Off), LINKTYPE_RAW, order, depth + 1);
  }
  return view;
}

function decodeOne(frame: Uint8Array, linktype: number, order: DsrOptionByteOrder, depth: number): HeaderView {
  const p = parsePackets([frame], linktype)[0]!;
  const csum = checkChecksums([frame], linktype)[0] ?? 0;
  return buildView(frame, p, csum, order, depth);
}

/**
 * Decodes frames (Ethernet) into header views, parsing them in one codec call. `order` is the
 * byte order in which the scenario's Cilium version writes the IPv4 DSR option.
 */
export function decodeFrames(frames: Uint8Array[], order: DsrOptionByteOrder): HeaderView[] {
  if (frames.length === 0) return [];
  const parsed = parsePackets(frames, LINKTYPE_ETHERNET);
  const csums = checkChecksums(frames, LINKTYPE_ETHERNET);
  return frames.map((f, i) => buildView(f, parsed[i]!, csums[i] ?? 0, order, 0));
}

// ---- labels ----

/** `addr:port`, IPv6 in brackets; the address alone without a port. */
export function endpointText(address: string, port?: number): string {
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** True when the view (or its tunnel) carries any of Cilium's DSR options. */
export function dsrInfoOf(v: HeaderView): DsrInfo | undefined {
  for (const o of v.ip?.options ?? []) if (o.dsr) return o.dsr;
  for (const e of v.ip?.extHeaders ?? []) if (e.dsr) return e.dsr;
  for (const o of v.tunnel?.options ?? []) if (o.dsr) return o.dsr;
  return undefined;
}

/** The innermost packet a view carries (the view itself unless it tunnels one). */
export function innermost(v: HeaderView): HeaderView {
  return v.tunnel && v.inner ? innermost(v.inner) : v;
}

function icmpLabel(v: HeaderView): string {
  const i = v.l4!.icmp!;
  let s = `${v.l4!.protocol} ${i.name}`;
  if (i.mtu !== undefined) s += ` mtu ${i.mtu}`;
  if (i.id !== undefined && (i.type === 8 || i.type === 0 || i.type === 128 || i.type === 129)) s += ` id ${i.id}`;
  return s;
}

/** One packet's tuple without tunnels: `203.0.113.7:40000 → 10.244.1.10:8080 [S]`, `… UDP len 1500`, `… ICMP …`. */
function tupleLabel(v: HeaderView): string {
  if (!v.ip) return v.l3 === 'arp' ? 'ARP' : v.error ? `unparseable (${v.error})` : v.l3;
  const l4 = v.l4;
  const arrow = `${endpointText(v.ip.src, l4?.sport)} → ${endpointText(v.ip.dst, l4?.dport)}`;
  if (!l4) return `${arrow} ${PROTO_NAMES[v.ip.protocol] ?? `proto ${v.ip.protocol}`}`;
  if (l4.icmp) return `${arrow} ${icmpLabel(v)}`;
  const parts = [arrow];
  if (l4.flags !== undefined) parts.push(`[${l4.flags}]`);
  else parts.push(l4.protocol);
  if (l4.payloadLength > 0) parts.push(`len ${v.ip.totalLength}`);
  return parts.join(' ');
}

/**
 * The label of a packet as a sequence diagram shows it: its tuple, `+DSR opt` when it carries
 * Cilium's DSR option, and for tunnels the outer addresses around the inner tuple.
 */
export function packetLabel(v: HeaderView): string {
  if (v.tunnel && v.inner && v.ip) {
    const kind = v.tunnel.kind === 'geneve' ? `Geneve VNI ${v.tunnel.vni}` : 'IPIP';
    const dsr = dsrInfoOf(v) ? ' +DSR opt' : '';
    return `${v.ip.src} → ${v.ip.dst} ${kind}${dsr} (${packetLabel(v.inner)})`;
  }
  const dsr = dsrInfoOf(v) ? ' +DSR opt' : '';
  return tupleLabel(v) + dsr;
}

// ---- fields and diffs ----

/** One displayed field of a header view. */
export interface HeaderField {
  /** Stable key for diffing (`ip.dst`, `ipopt.0.9a`, `inner.eth.src`, …). */
  key: string;
  /** What the user reads: `dst`, `ttl`, `ip option`, … */
  label: string;
  value: string;
  /** A decoded meaning, e.g. `DSR: VIP 198.51.100.10:80`. */
  note?: string;
  /** Checksum fields: the group they belong to (rendered on one line). */
  checksum?: boolean;
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function dsrNote(d: DsrInfo): string {
  return `DSR: VIP ${endpointText(d.address, d.port)}`;
}

function pushIpFields(out: HeaderField[], v: HeaderView, prefix: string, labelPrefix: string): void {
  const ip = v.ip;
  if (!ip) return;
  const L = (s: string) => labelPrefix + s;
  const k = (s: string) => prefix + s;
  out.push({ key: k('ip.src'), label: L('src'), value: ip.src });
  out.push({ key: k('ip.dst'), label: L('dst'), value: ip.dst });
  const l4 = v.l4;
  if (l4?.sport !== undefined) {
    out.push({ key: k('l4.sport'), label: L('sport'), value: String(l4.sport) });
    out.push({ key: k('l4.dport'), label: L('dport'), value: String(l4.dport) });
  }
  out.push({ key: k('ip.proto'), label: L('protocol'), value: PROTO_NAMES[ip.protocol] ?? String(ip.protocol) });
  out.push({ key: k('ip.ttl'), label: L(ip.version === 4 ? 'ttl' : 'hop limit'), value: String(ip.ttl) });
  if (ip.ihl !== undefined) out.push({ key: k('ip.ihl'), label: L('ihl'), value: String(ip.ihl) });
  out.push({ key: k('ip.len'), label: L(ip.version === 4 ? 'total length' : 'payload length'), value: String(ip.version === 4 ? ip.totalLength : ip.totalLength - 40) });
  (ip.options ?? []).forEach((o, i) => {
    const f: HeaderField = { key: k(`ipopt.${i}.${o.type.toString(16)}`), label: L('ip option'), value: o.bytes };
    if (o.dsr) f.note = dsrNote(o.dsr);
    out.push(f);
  });
  (ip.extHeaders ?? []).forEach((e, i) => {
    const f: HeaderField = { key: k(`ext.${i}.${e.type}`), label: L(`ext header ${e.name}`), value: e.bytes };
    if (e.dsr) f.note = dsrNote(e.dsr);
    out.push(f);
  });
  if (l4?.flags !== undefined) out.push({ key: k('tcp.flags'), label: L('tcp flags'), value: l4.flags });
  if (l4?.icmp) {
    const i = l4.icmp;
    out.push({ key: k('icmp'), label: L(l4.protocol.toLowerCase()), value: `type ${i.type} code ${i.code} (${i.name})` });
    if (i.mtu !== undefined) out.push({ key: k('icmp.mtu'), label: L('mtu'), value: String(i.mtu) });
    if (i.id !== undefined) out.push({ key: k('icmp.id'), label: L('icmp id'), value: String(i.id) });
    if (v.quoted) out.push({ key: k('icmp.quoted'), label: L('quoted'), value: `${packetLabel(v.quoted)} (${v.quoted.length} bytes)` });
  }
  if (ip.checksum !== undefined) out.push({ key: k('ip.csum'), label: L('ip'), value: hex16(ip.checksum), checksum: true });
  if (l4?.checksum !== undefined) out.push({ key: k('l4.csum'), label: L(l4.protocol.toLowerCase()), value: hex16(l4.checksum), checksum: true });
}

/** The fields of a header view in display order (see HeaderField). */
export function headerFields(v: HeaderView): HeaderField[] {
  const out: HeaderField[] = [];
  if (v.eth) {
    out.push({ key: 'eth.src', label: 'src MAC', value: v.eth.src });
    out.push({ key: 'eth.dst', label: 'dst MAC', value: v.eth.dst });
  }
  if (v.tunnel && v.inner && v.ip) {
    const t = v.tunnel;
    const ipv = v.ip.version === 4 ? 'IPv4' : 'IPv6';
    let outer = `${ipv} ${v.ip.src} → ${v.ip.dst} ttl ${v.ip.ttl}`;
    if (t.kind === 'geneve') outer += ` · UDP ${v.l4?.sport} → ${v.l4?.dport} · Geneve VNI ${t.vni}`;
    else outer += ` · ${PROTO_NAMES[v.ip.protocol] ?? v.ip.protocol} in ${ipv}`;
    out.push({ key: `outer.${t.kind}`, label: t.kind === 'geneve' ? 'outer Geneve' : 'outer IPIP', value: outer });
    (t.options ?? []).forEach((o, i) => {
      const f: HeaderField = { key: `geneve.opt.${i}.${o.optClass}.${o.type}`, label: 'geneve option', value: o.bytes };
      if (o.dsr) f.note = dsrNote(o.dsr);
      out.push(f);
    });
    const inner = v.inner;
    if (inner.eth) {
      out.push({ key: 'inner.eth.src', label: 'inner src MAC', value: inner.eth.src });
      out.push({ key: 'inner.eth.dst', label: 'inner dst MAC', value: inner.eth.dst });
    }
    // The tunnelled packet keeps the plain keys, so DNAT before and decap after diff field by field.
    pushIpFields(out, inner, '', '');
    return out;
  }
  pushIpFields(out, v, '', '');
  return out;
}

/** One field that differs between two hops. */
export interface FieldChange {
  key: string;
  label: string;
  kind: 'changed' | 'added' | 'removed';
  from?: string;
  to?: string;
  note?: string;
  checksum?: boolean;
}

/** What changed from `before` to `after`, in `after`'s field order (removed fields last). */
export function diffHeaders(before: HeaderView, after: HeaderView): FieldChange[] {
  const a = headerFields(before);
  const b = headerFields(after);
  const am = new Map(a.map((f) => [f.key, f]));
  const bm = new Map(b.map((f) => [f.key, f]));
  const out: FieldChange[] = [];
  const extra = (c: FieldChange, f: HeaderField): FieldChange => {
    if (f.note) c.note = f.note;
    if (f.checksum) c.checksum = true;
    return c;
  };
  for (const f of b) {
    const o = am.get(f.key);
    if (!o) out.push(extra({ key: f.key, label: f.label, kind: 'added', to: f.value }, f));
    else if (o.value !== f.value) out.push(extra({ key: f.key, label: f.label, kind: 'changed', from: o.value, to: f.value }, f));
  }
  for (const f of a) if (!bm.has(f.key)) out.push(extra({ key: f.key, label: f.label, kind: 'removed', from: f.value }, f));
  return out;
}
