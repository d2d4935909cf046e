/**
 * traffic.ts: the traffic model of dsrlab/testing: a packet (`TrafficPacket`), a flow (a TCP
 * connection's segments in order, a UDP exchange, ICMP echoes) and a trial (a scenario plus the
 * flows sent through it), with their frames and their text in the packet SPEC syntax of
 * `dsrlab explain --packet` (scenario.md). The arbitraries that generate these values live in
 * arbitraries/; running a trial through a cluster is run.ts's business.
 */
import { buildPacket, fragmentIPv4, type PacketSpec, type TcpOption } from '../packet/build.js';
import type { LbMode, Scenario } from '../scenario/types.js';

/** The protocols dsrlab/testing generates. */
export type TrafficProtocol = 'tcp' | 'udp' | 'icmp';

/** TCP flag names as the packet SPEC spells them. */
export type TcpFlagName = 'syn' | 'ack' | 'fin' | 'rst' | 'psh' | 'urg';

const FLAG_BITS: Record<TcpFlagName, number> = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20 };
/** The order flags are written in (SYN first, as people say "syn ack"). */
const FLAG_ORDER: TcpFlagName[] = ['syn', 'psh', 'fin', 'rst', 'urg', 'ack'];

/**
 * One packet a client sends. Addresses are canonical text; the family follows from them.
 * @public
 */
export interface TrafficPacket {
  proto: TrafficProtocol;
  src: string;
  dst: string;
  /** TCP/UDP source port; ICMP: the echo identifier. */
  sport: number;
  /** TCP/UDP destination port; ICMP: 0. */
  dport: number;
  /** TCP flags (default: syn). */
  flags?: TcpFlagName[];
  /** TCP sequence number (default: 1000 on a SYN, else 1001, as `explain --packet`); ICMP echo sequence (default 1). */
  seq?: number;
  /** TCP acknowledgement number (default 1 with the ack flag). */
  ack?: number;
  /** TCP options (the SPEC cannot write these: the capture form of a counterexample keeps them). */
  options?: TcpOption[];
  /** Payload bytes after the L4 header. */
  len: number;
  /** IPv4 only: sent as fragments whose IP payload is at most this many bytes (DF clear). */
  fragment?: number;
}

/**
 * A flow as a client runs it against one frontend (a LoadBalancer/external IP or a NodePort).
 * `tcp`: SYN (with `synOptions`), the handshake's ACK, one PSH+ACK segment per `data` entry,
 * then `close` (FIN+ACK by default). `udp`: one datagram per `data` entry. `icmp`: one echo
 * request per `data` entry (`cport` is the echo identifier).
 * @public
 */
export interface Flow {
  proto: TrafficProtocol;
  client: string;
  cport: number;
  frontend: string;
  /** The frontend's port (0 for icmp). */
  fport: number;
  /** Payload bytes of each data segment / datagram / echo request, in order. */
  data: number[];
  /** tcp: how the client ends the connection; default `fin`. */
  close?: 'fin' | 'rst' | 'none';
  /** tcp: options on the SYN. */
  synOptions?: TcpOption[];
  /** IPv4 udp/icmp: datagrams whose IP payload is larger than this are sent as fragments of at most this size. */
  fragment?: number;
}

/**
 * A scenario given as a plain object of the scenario file's shape (what `cluster()` generates;
 * `scenarioFromObject` validates it).
 * @public
 */
export interface ScenarioDocument {
  cilium?: Record<string, unknown>;
  cluster?: { name: string; id: number };
  seed?: number;
  nodes: Record<string, unknown>[];
  clients?: Record<string, unknown>[];
  frontends?: { address: string; node: string }[];
  objects?: unknown[];
  [key: string]: unknown;
}

/**
 * A scenario and the traffic sent through it: the unit a property checks.
 * @public
 */
export interface Trial {
  /** A scenario file path (kept as the user wrote it, for the `dsrlab explain` line), a plain scenario object, or a loaded Scenario. */
  scenario: string | ScenarioDocument | Scenario;
  flows: Flow[];
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
}

/** True for an IPv6 address text. */
export function isV6(addr: string): boolean {
  return addr.includes(':');
}

function endpoint(addr: string, port?: number): string {
  const a = isV6(addr) ? `[${addr}]` : addr;
  return port === undefined ? a : `${a}:${port}`;
}

function flagBits(flags: TcpFlagName[] | undefined): number {
  return (flags ?? ['syn']).reduce((b, f) => b | FLAG_BITS[f], 0);
}

/** TCP flag names of a flags byte, in SPEC order. */
export function tcpFlagNames(bits: number): TcpFlagName[] {
  return FLAG_ORDER.filter((f) => bits & FLAG_BITS[f]);
}

/**
 * The packet SPEC of `dsrlab explain --packet` for p, e.g.
 * `tcp 203.0.113.7:40000 > 198.51.100.10:80 syn len=1400`. Sequence numbers are written only
 * where they differ from what explain would pick; TCP options and fragmentation have no SPEC
 * words and are left out.
 * @public
 */
export function formatPacket(p: TrafficPacket): string {
  const icmp = p.proto === 'icmp';
  const parts = [p.proto, icmp ? endpoint(p.src) : endpoint(p.src, p.sport), '>', icmp ? endpoint(p.dst) : endpoint(p.dst, p.dport)];
  if (p.proto === 'tcp') {
    const bits = flagBits(p.flags);
    parts.push(...tcpFlagNames(bits));
    if (p.len) parts.push(`len=${p.len}`);
    const seq = p.seq ?? (bits & FLAG_BITS.syn ? 1000 : 1001);
    if (seq !== (bits & FLAG_BITS.syn ? 1000 : 1001)) parts.push(`seq=${seq}`);
    if (p.ack !== undefined && p.ack !== (bits & FLAG_BITS.ack ? 1 : 0)) parts.push(`ackno=${p.ack}`);
  } else {
    if (p.len) parts.push(`len=${p.len}`);
    if (icmp) {
      if (p.sport !== 1) parts.push(`id=${p.sport}`);
      if ((p.seq ?? 1) !== 1) parts.push(`seq=${p.seq}`);
    }
  }
  return parts.join(' ');
}

/** A flow in one line, e.g. `tcp 203.0.113.7:40000 > 198.51.100.10:80 data=[100,1400] close=fin`. */
export function formatFlow(f: Flow): string {
  const icmp = f.proto === 'icmp';
  const head = `${f.proto} ${icmp ? endpoint(f.client) : endpoint(f.client, f.cport)} > ${icmp ? endpoint(f.frontend) : endpoint(f.frontend, f.fport)}${icmp ? ` id=${f.cport}` : ''}`;
  const extra: string[] = [`data=[${f.data.join(',')}]`];
  if (f.proto === 'tcp') extra.push(`close=${f.close ?? 'fin'}`);
  if (f.synOptions?.length) extra.push(`synOptions=${f.synOptions.map((o) => o.kind).join('+')}`);
  if (f.fragment !== undefined) extra.push(`fragment=${f.fragment}`);
  return `${head} ${extra.join(' ')}`;
}

/** The builder spec of a packet (Ethernet MACs left to the fabric). */
export function packetSpecOf(p: TrafficPacket): PacketSpec {
  const v6 = isV6(p.src);
  const ip = v6 ? { ipv6: { src: p.src, dst: p.dst } } : { ipv4: { src: p.src, dst: p.dst } };
  const base: PacketSpec = { eth: {}, ...ip, payload: p.len };
  if (p.proto === 'tcp') {
    const bits = flagBits(p.flags);
    return {
      ...base,
      tcp: {
        sport: p.sport,
        dport: p.dport,
        flags: bits,
        seq: p.seq ?? (bits & FLAG_BITS.syn ? 1000 : 1001),
        ack: p.ack ?? (bits & FLAG_BITS.ack ? 1 : 0),
        ...(p.options?.length ? { options: p.options } : {}),
      },
    };
  }
  if (p.proto === 'udp') return { ...base, udp: { sport: p.sport, dport: p.dport } };
  const echo = { type: v6 ? 128 : 8, id: p.sport, seq: p.seq ?? 1 };
  return v6 ? { ...base, icmpv6: echo } : { ...base, icmp: echo };
}

/** The frames a packet goes out as: one, or its IPv4 fragments. */
export function packetFrames(p: TrafficPacket): Uint8Array[] {
  const spec = packetSpecOf(p);
  if (p.fragment === undefined || isV6(p.src)) return [buildPacket(spec)];
  if (spec.ipv4) spec.ipv4.df = false;
  const frame = buildPacket(spec);
  const ipPayload = frame.length - 14 - 20;
  return ipPayload > p.fragment ? fragmentIPv4(frame, p.fragment) : [frame];
}

/** IP header + L4 header bytes of a packet (no options): what a payload length adds up to. */
export function headerBytes(proto: TrafficProtocol, v6: boolean, tcpOptionBytes = 0): number {
  return (v6 ? 40 : 20) + (proto === 'tcp' ? 20 + tcpOptionBytes : 8);
}

/** Bytes the TCP options take in the header (padded to 4). */
export function tcpOptionsLength(options: TcpOption[] | undefined): number {
  const n = (options ?? []).reduce((s, o) => s + ({ mss: 4, ws: 3, sackOk: 2, ts: 10, nop: 1 } as Record<string, number>)[o.kind]! + (o.kind === 'raw' ? o.bytes.length : 0), 0);
  return Math.ceil(n / 4) * 4;
}

/** The packets of a flow in the order the client sends them. */
export function flowPackets(f: Flow): TrafficPacket[] {
  const base = { src: f.client, dst: f.frontend, sport: f.cport, dport: f.fport };
  if (f.proto === 'tcp') {
    const out: TrafficPacket[] = [{ proto: 'tcp', ...base, flags: ['syn'], len: 0, ...(f.synOptions?.length ? { options: f.synOptions } : {}) }];
    let seq = 1001;
    out.push({ proto: 'tcp', ...base, flags: ['ack'], len: 0 });
    for (const n of f.data) {
      out.push({ proto: 'tcp', ...base, flags: ['psh', 'ack'], len: n, ...(seq !== 1001 ? { seq } : {}) });
      seq += n;
    }
    const close = f.close ?? 'fin';
    if (close !== 'none') out.push({ proto: 'tcp', ...base, flags: close === 'fin' ? ['fin', 'ack'] : ['rst'], len: 0, ...(seq !== 1001 ? { seq } : {}) });
    return out;
  }
  return f.data.map((n, i) => {
    const p: TrafficPacket = { proto: f.proto, ...base, len: n };
    if (f.proto === 'icmp') {
      p.dport = 0;
      if (i + 1 !== 1) p.seq = i + 1;
    }
    if (f.fragment !== undefined && !isV6(f.client)) p.fragment = f.fragment;
    return p;
  });
}
