/**
 * packet-spec.ts: the packet SPEC of `dsrlab explain --packet` (scenario.md): text such as
 * `tcp 203.0.113.7:40000 > 198.51.100.10:80 syn len=1400` parsed into a PacketDescription,
 * and a description built into an Ethernet frame. Errors are InputErrors that name the SPEC,
 * the token and what is allowed. Running the frame through the cluster is explain.ts's job.
 */
import { InputError } from '../errors.js';
import { buildPacket, TCP_FLAGS, type PacketSpec } from '../packet/build.js';
import { parseIp } from '../scenario/addr.js';
import { endpointText } from './headers.js';

/** A packet as a SPEC describes it. */
export interface PacketDescription {
  protocol: 'tcp' | 'udp' | 'icmp';
  family: 4 | 6;
  src: string;
  dst: string;
  /** TCP/UDP ports. */
  sport?: number;
  dport?: number;
  /** TCP flag names in SPEC order (syn, ack, fin, rst, psh, urg); default `syn`. */
  flags?: string[];
  /** Payload bytes after the L4 header (default 0). */
  len: number;
  /** TTL / hop limit (default 64). */
  ttl?: number;
  /** TCP sequence number, or the ICMP echo sequence. */
  seq?: number;
  /** TCP acknowledgement number (with the ack flag). */
  ackNumber?: number;
  /** ICMP echo identifier. */
  id?: number;
}

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
const FLAG_BITS: Record<string, number> = { syn: TCP_FLAGS.SYN, ack: TCP_FLAGS.ACK, fin: TCP_FLAGS.FIN, rst: TCP_FLAGS.RST, psh: TCP_FLAGS.PSH, urg: TCP_FLAGS.URG };
/** IP total length is 16 bits: the largest payload behind a 20-byte IPv4 and a 20-byte TCP header. */
const MAX_IP_LENGTH = 65535;

/** The SPEC grammar, for help texts and error messages. */
export const PACKET_SPEC_SYNTAX = 'PROTO SRC > DST [FLAG…] [len=N] [ttl=N] [seq=N] [ackno=N] [id=N], PROTO tcp|udp|icmp, SRC/DST ADDR:PORT (IPv6 [ADDR]:PORT; icmp: ADDR), FLAG syn|ack|fin|rst|psh|urg';

function fail(spec: string, detail: string): never {
  throw new InputError({ file: '--packet' }, `${JSON.stringify(spec)}: ${detail}`);
}

function parseEndpoint(spec: string, token: string, which: 'source' | 'destination', withPort: boolean): { address: string; family: 4 | 6; port?: number } {
  let addr = token;
  let portText: string | undefined;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(token);
  if (bracket) {
    addr = bracket[1]!;
    portText = bracket[2];
    if (token.endsWith(']')) portText = undefined;
  } else if ((token.match(/:/g) ?? []).length === 1) {
    const i = token.indexOf(':');
    addr = token.slice(0, i);
    portText = token.slice(i + 1);
  } else if (token.includes(':') && withPort) {
    fail(spec, `the ${which} ${JSON.stringify(token)} looks like an IPv6 address: write it in brackets with its port, e.g. [2001:db8::1]:80`);
  }
  const ip = parseIp(addr);
  if (!ip) fail(spec, `the ${which} address ${JSON.stringify(addr)} is not an IPv4 or IPv6 address`);
  if (!withPort) {
    if (portText !== undefined) fail(spec, `icmp has no ports: write the ${which} as an address alone, not ${JSON.stringify(token)}`);
    return { address: ip.text, family: ip.family };
  }
  if (portText === undefined || portText === '') fail(spec, `the ${which} ${JSON.stringify(token)} has no port: write ADDR:PORT (IPv6: [ADDR]:PORT)`);
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(spec, `the ${which} port ${JSON.stringify(portText)} is not a port number (1–65535)`);
  return { address: ip.text, family: ip.family, port: Number(portText) };
}

function parseNumber(spec: string, key: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) fail(spec, `${key}=${text}: ${key} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/**
 * Parses a packet SPEC. Throws InputError naming the problem: an unknown protocol, a missing
 * `>`, an address without a port (or a port on icmp), mixed address families, an unknown flag
 * or key, a number out of range.
 */
export function parsePacketSpec(spec: string): PacketDescription {
  const text = spec.trim();
  if (!text) fail(spec, `empty packet SPEC: write ${PACKET_SPEC_SYNTAX}`);
  // `>` may stand alone or touch its neighbours; `→` and `->` are accepted too.
  const tokens = text
    .replace(/->|→/g, ' > ')
    .replace(/>/g, ' > ')
    .split(/[\s,]+/)
    .filter((t) => t !== '');
  const proto = tokens[0]!.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(proto)) fail(spec, `${JSON.stringify(tokens[0])} is not a protocol dsrlab can send: use tcp, udp or icmp`);
  const protocol = proto as PacketDescription['protocol'];
  const gt = tokens.indexOf('>');
  if (gt < 0) fail(spec, 'no `>` between source and destination: write PROTO SRC > DST');
  if (gt !== 2) fail(spec, gt < 2 ? 'no source before `>`' : `one source before \`>\` expected, found ${JSON.stringify(tokens.slice(1, gt).join(' '))}`);
  const dstToken = tokens[3];
  if (dstToken === undefined || dstToken === '>') fail(spec, 'no destination after `>`');
  const withPort = protocol !== 'icmp';
  const src = parseEndpoint(spec, tokens[1]!, 'source', withPort);
  const dst = parseEndpoint(spec, dstToken, 'destination', withPort);
  if (src.family !== dst.family) fail(spec, `the source is IPv${src.family} but the destination IPv${dst.family}: both must be of one family`);
  const d: PacketDescription = { protocol, family: src.family, src: src.address, dst: dst.address, len: 0 };
  if (src.port !== undefined) d.sport = src.port;
  if (dst.port !== undefined) d.dport = dst.port;
  const flags: string[] = [];
  const seen = new Set<string>();
  for (const raw of tokens.slice(4)) {
    const t = raw.toLowerCase();
    const eq = t.indexOf('=');
    if (eq < 0) {
      if (FLAG_BITS[t] === undefined) {
        fail(spec, protocol === 'tcp' ? `unknown flag ${JSON.stringify(raw)}: TCP flags are syn, ack, fin, rst, psh, urg; options are len=N, ttl=N, seq=N, ackno=N` : `unknown word ${JSON.stringify(raw)}: ${protocol} takes len=N and ttl=N${protocol === 'icmp' ? ', id=N, seq=N' : ''}`);
      }
      if (protocol !== 'tcp') fail(spec, `${JSON.stringify(raw)} is a TCP flag; ${protocol} packets have no flags`);
      if (!flags.includes(t)) flags.push(t);
      continue;
    }
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (seen.has(key)) fail(spec, `${key}= given twice`);
    seen.add(key);
    const l4Header = protocol === 'tcp' ? 20 : 8;
    const l3Header = d.family === 4 ? 20 : 40;
    switch (key) {
      case 'len':
        d.len = parseNumber(spec, 'len', value, 0, MAX_IP_LENGTH - l3Header - l4Header);
        break;
      case 'ttl':
      case 'hlim':
        d.ttl = parseNumber(spec, key, value, 1, 255);
        break;
      case 'seq':
        if (protocol === 'udp') fail(spec, 'seq= applies to tcp and icmp, not udp');
        d.seq = parseNumber(spec, 'seq', value, 0, protocol === 'tcp' ? 0xffffffff : 0xffff);
        break;
      case 'ackno':
        if (protocol !== 'tcp') fail(spec, 'ackno= applies to tcp only');
        d.ackNumber = parseNumber(spec, 'ackno', value, 0, 0xffffffff);
        break;
      case 'id':
        if (protocol !== 'icmp') fail(spec, 'id= (the echo identifier) applies to icmp only');
        d.id = parseNumber(spec, 'id', value, 0, 0xffff);
        break;
      default:
        fail(spec, `unknown option ${JSON.stringify(key + '=')}: use len=N (payload bytes), ttl=N${protocol === 'tcp' ? ', seq=N, ackno=N' : protocol === 'icmp' ? ', id=N, seq=N' : ''}`);
    }
  }
  if (protocol === 'tcp') d.flags = flags.length ? flags : ['syn'];
  return d;
}

/** The SPEC text of a description (what `explain` reports it sent). */
export function formatPacketSpec(d: PacketDescription): string {
  const parts = [d.protocol, endpointText(d.src, d.sport), '>', endpointText(d.dst, d.dport)];
  if (d.protocol === 'icmp') {
    parts[1] = d.family === 6 ? `[${d.src}]` : d.src;
    parts[3] = d.family === 6 ? `[${d.dst}]` : d.dst;
  }
  if (d.flags) parts.push(...d.flags);
  if (d.len) parts.push(`len=${d.len}`);
  if (d.ttl !== undefined) parts.push(`ttl=${d.ttl}`);
  if (d.seq !== undefined) parts.push(`seq=${d.seq}`);
  if (d.ackNumber !== undefined) parts.push(`ackno=${d.ackNumber}`);
  if (d.id !== undefined) parts.push(`id=${d.id}`);
  return parts.join(' ');
}

/** The packet builder's spec for a description (Ethernet MACs as given). */
export function packetSpecOf(d: PacketDescription, eth: { src?: string; dst?: string } = {}): PacketSpec {
  const ip = d.family === 4 ? { ipv4: { src: d.src, dst: d.dst, ...(d.ttl !== undefined ? { ttl: d.ttl } : {}) } } : { ipv6: { src: d.src, dst: d.dst, ...(d.ttl !== undefined ? { hopLimit: d.ttl } : {}) } };
  const base: PacketSpec = { eth, ...ip, payload: d.len };
  if (d.protocol === 'tcp') {
    const flags = (d.flags ?? ['syn']).reduce((b, f) => b | FLAG_BITS[f]!, 0);
    return { ...base, tcp: { sport: d.sport!, dport: d.dport!, flags, seq: d.seq ?? (flags & TCP_FLAGS.SYN ? 1000 : 1001), ack: d.ackNumber ?? (flags & TCP_FLAGS.ACK ? 1 : 0) } };
  }
  if (d.protocol === 'udp') return { ...base, udp: { sport: d.sport!, dport: d.dport! } };
  const echo = { type: d.family === 4 ? 8 : 128, id: d.id ?? 1, seq: d.seq ?? 1 };
  return d.family === 4 ? { ...base, icmp: echo } : { ...base, icmpv6: echo };
}

/** Builds the Ethernet frame of a description. */
export function buildDescribedPacket(d: PacketDescription, eth: { src?: string; dst?: string } = {}): Uint8Array {
  return buildPacket(packetSpecOf(d, eth));
}
