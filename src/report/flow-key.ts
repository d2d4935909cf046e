/**
 * flow-key.ts: the client-side identity of a flow (protocol, client address and port, frontend
 * address and port) as compare and report name it, read from replay's flow keys
 * (ReplayRun.flowKey) or, for packets replay gives no key (ARP, later fragments, ICMP errors a
 * client sent), made from the packet itself. Gathering hops per flow is trace.ts's business.
 */
import type { ParsedPacket } from '../native.js';
import { canonicalIp } from '../datapath/flow-record.js';

/** A flow as the client sees it. `port`s are the client port / frontend port (ICMP echo: id / 0). */
export interface FlowId {
  /** A stable string (the map key). */
  key: string;
  /** TCP, UDP, SCTP, ICMP, ICMPv6, ARP, or `IP proto N`. */
  protocol: string;
  family: 4 | 6 | 0;
  client: string;
  clientPort?: number;
  frontend: string;
  frontendPort?: number;
  /** False for packets grouped without ports (later fragments without their first, ARP, …). */
  ported: boolean;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };

export function protocolName(proto: number | undefined): string {
  if (proto === undefined) return 'IP';
  return PROTO_NAMES[proto] ?? `IP proto ${proto}`;
}

/** `addr:port`, IPv6 in brackets; the address alone without a port. */
export function endpoint(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `TCP 203.0.113.7:40000 → 198.51.100.10:80` (ICMP echo: `ICMP 203.0.113.7 id 7 → …`). */
export function flowLabel(f: FlowId): string {
  if (f.key === 'other') return 'packets that are not IP or ARP, or cannot be parsed';
  if (f.protocol === 'ICMP' || f.protocol === 'ICMPv6') {
    return `${f.protocol} ${f.client}${f.clientPort !== undefined && f.ported ? ` id ${f.clientPort}` : ''} → ${f.frontend}`;
  }
  return `${f.protocol} ${endpoint(f.client, f.ported ? f.clientPort : undefined)} → ${endpoint(f.frontend, f.ported ? f.frontendPort : undefined)}`;
}

/** Reads a replay flow key (`6 203.0.113.7 40000 198.51.100.10 80`). */
export function parseReplayKey(key: string): FlowId {
  const [p, c, cp, f, fp] = key.split(' ');
  const proto = Number(p);
  return {
    key,
    protocol: protocolName(proto),
    family: c!.includes(':') ? 6 : 4,
    client: c!,
    clientPort: Number(cp),
    frontend: f!,
    frontendPort: Number(fp),
    ported: true,
  };
}

/**
 * A key for a packet replay gave none: ARP by sender and target, IP by protocol and addresses
 * (server packets reversed, so both directions share it), anything else `other`.
 */
export function fallbackFlow(p: ParsedPacket | undefined, server: boolean): FlowId {
  if (p && p.l3 === 'arp') {
    const spa = String(p.arpSpa ?? '?');
    const tpa = String(p.arpTpa ?? '?');
    return { key: `arp ${spa} ${tpa}`, protocol: 'ARP', family: 0, client: spa, frontend: tpa, ported: false };
  }
  if (p && p.ok !== false && (p.l3 === 'ipv4' || p.l3 === 'ipv6') && typeof p.src === 'string' && typeof p.dst === 'string') {
    const src = canonicalIp(p.src);
    const dst = canonicalIp(p.dst);
    const [client, frontend] = server ? [dst, src] : [src, dst];
    const proto = p.l4Proto as number | undefined;
    return { key: `ip ${proto ?? '-'} ${client} ${frontend}`, protocol: protocolName(proto), family: p.l3 === 'ipv4' ? 4 : 6, client, frontend, ported: false };
  }
  return { key: 'other', protocol: 'other', family: 0, client: '?', frontend: '?', ported: false };
}

/** The fragment identity of a fragmented IP packet (`src dst id proto`), else undefined. */
export function fragmentKey(p: ParsedPacket | undefined): string | undefined {
  if (!p || p.ok === false || (p.frag !== 'first' && p.frag !== 'later')) return undefined;
  return `${p.src} ${p.dst} ${p.fragId} ${p.l4Proto}`;
}
