/**
 * flow-record.ts: one event of the datapath log as a Hubble-like flow object (the lines of
 * `replay --out DIR`'s flows.jsonl): Hubble's field names where Hubble has the concept (time,
 * node_name, trace_observation_point, verdict, drop_reason_desc, IP, l4, is_reply), dsrlab's own
 * beside them (host, point, action, backend, nat_port). Decoding events is events.ts's job;
 * parsing frames is the C codec's (parsePackets). `replay` writes the same lines from C
 * (native/src/replay_flows.c) out of the fragments flowLineFragments() makes here.
 */
import type { NativeFlowNames, ParsedPacket } from '../native.js';
import { ipv6Bytes, ipv6Text } from '../packet/addr.js';
import { DROP_REASONS, dropReason, dropReasonName } from './drop-reasons.js';
import type { DatapathEvent, EventPoint, EventVerdict } from './events.js';
import { EVENT_POINTS, EVENT_VERDICTS, isMadePacket } from './events.js';

/** Hubble's TraceObservationPoint where the event matches one; dsrlab's point name otherwise. */
export const OBSERVATION_POINT: Record<EventPoint, string> = {
  WIRE_TX: 'WIRE_TX',
  WIRE_RX: 'WIRE_RX',
  TAP_RX: 'TAP_RX',
  TAP_TX: 'TAP_TX',
  XDP: 'XDP',
  TC_INGRESS: 'FROM_NETWORK',
  TC_EGRESS: 'TO_NETWORK',
  LXC_EGRESS: 'FROM_ENDPOINT',
  LXC_INGRESS: 'TO_ENDPOINT',
  STACK: 'TO_STACK',
  POD: 'POD',
  CLIENT: 'CLIENT',
};

/** Hubble's Verdict for each dsrlab action. */
export const HUBBLE_VERDICT: Record<EventVerdict, string> = {
  SEEN: 'TRACED',
  PASS: 'FORWARDED',
  TRANSLATED: 'TRANSLATED',
  TX: 'FORWARDED',
  REDIRECT: 'FORWARDED',
  DROPPED: 'DROPPED',
  DELIVERED: 'FORWARDED',
  TO_STACK: 'FORWARDED',
  ANSWERED: 'TRANSLATED',
};

/** What a flow record needs to name hosts and backends. */
export interface FlowNames {
  host(id: number): { name: string; kind: string; node?: string } | undefined;
  backend(id: number): { pod: string; address: string; port: number } | undefined;
}

/** RFC 3339 with nanoseconds, UTC: 2023-11-14T22:13:20.011000011Z. */
export function rfc3339Nano(sec: number, nsec: number): string {
  if (sec !== lastSec) {
    lastSec = sec;
    lastPrefix = new Date(sec * 1000).toISOString().slice(0, 19); // …T22:13:20
  }
  return `${lastPrefix}.${String(nsec).padStart(9, '0')}Z`;
}
let lastSec = NaN;
let lastPrefix = '';

const canonicalCache = new Map<string, string>();

/** Canonical (RFC 5952) text of an address as the codec prints it (IPv6 uncompressed). */
export function canonicalIp(text: string): string {
  if (!text.includes(':')) return text;
  let c = canonicalCache.get(text);
  if (c === undefined) {
    c = ipv6Text(ipv6Bytes(text));
    if (canonicalCache.size > 4096) canonicalCache.clear();
    canonicalCache.set(text, c);
  }
  return c;
}

function mac(frame: Buffer, off: number): string {
  const h = frame.toString('hex', off, off + 6);
  return `${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

const TCP_FLAG_NAMES: [number, string][] = [
  [0x01, 'FIN'],
  [0x02, 'SYN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

/** Hubble's TCPFlags object: only the set flags, each true. */
export function tcpFlagsObject(bits: number): Record<string, true> {
  const o: Record<string, true> = {};
  for (const [b, n] of TCP_FLAG_NAMES) if (bits & b) o[n] = true;
  return o;
}

/** The Layer4 object of a parsed frame (Hubble's oneof: TCP, UDP, ICMPv4, ICMPv6, SCTP). */
export function layer4(p: ParsedPacket): Record<string, unknown> | undefined {
  const proto = p.l4Proto as number | undefined;
  const ports = p.sport !== undefined ? { source_port: p.sport as number, destination_port: p.dport as number } : undefined;
  switch (proto) {
    case 6:
      return { TCP: { ...(ports ?? {}), ...(p.tcpFlags !== undefined ? { flags: tcpFlagsObject(p.tcpFlags as number) } : {}) } };
    case 17:
      return { UDP: { ...(ports ?? {}) } };
    case 132:
      return { SCTP: { ...(ports ?? {}) } };
    case 1:
      return p.icmpType !== undefined ? { ICMPv4: { type: p.icmpType, code: p.icmpCode } } : { ICMPv4: {} };
    case 58:
      return p.icmpType !== undefined ? { ICMPv6: { type: p.icmpType, code: p.icmpCode } } : { ICMPv6: {} };
    default:
      return undefined;
  }
}

/** One flows.jsonl object for event e whose frame (in arena) parsed as p. */
export function flowRecord(e: DatapathEvent, p: ParsedPacket | undefined, arena: Buffer, names: FlowNames): Record<string, unknown> {
  const host = e.host === null ? undefined : names.host(e.host);
  const peer = e.peer === null ? undefined : names.host(e.peer);
  const rec: Record<string, unknown> = { time: rfc3339Nano(e.tsSec, e.tsNsec), packet: e.pkt };
  if (isMadePacket(e.pkt) || e.parent !== e.pkt) rec.parent = e.parent;
  const nodeName = host ? (host.kind === 'node' ? host.name : host.node) : undefined;
  if (nodeName) rec.node_name = nodeName;
  rec.host = host?.name ?? null;
  if (host) rec.host_kind = host.kind;
  if (peer) rec.peer = peer.name;
  rec.trace_observation_point = OBSERVATION_POINT[e.point];
  rec.point = e.point;
  rec.verdict = HUBBLE_VERDICT[e.verdict];
  rec.action = e.verdict;
  if (e.verdict === 'DROPPED') {
    const r = dropReason(e.drop);
    rec.drop_reason = Math.abs(e.drop);
    rec.drop_reason_desc = r?.hubble ?? dropReasonName(e.drop);
    rec.drop_reason_name = dropReasonName(e.drop);
    if (r) rec.drop_reason_text = r.description;
  }
  rec.Type = 'L3_L4';
  if (e.len >= 14) rec.ethernet = { source: mac(arena, e.off + 6), destination: mac(arena, e.off) };
  if (p && p.ok !== false && (p.l3 === 'ipv4' || p.l3 === 'ipv6')) {
    rec.IP = { source: canonicalIp(p.src as string), destination: canonicalIp(p.dst as string), ipVersion: p.l3 === 'ipv4' ? 'IPv4' : 'IPv6' };
    const l4 = layer4(p);
    if (l4) rec.l4 = l4;
  } else if (p && p.l3 === 'arp') {
    rec.arp = { op: p.arpOp, sender: p.arpSpa, target: p.arpTpa };
  } else if (p && p.ok === false) {
    rec.parse_error = p.error;
  }
  rec.is_reply = e.reply;
  if (e.generated) rec.generated = true;
  if (e.dsr) rec.dsr = true;
  if (e.snat) rec.snat = true;
  if (e.final) rec.final = true;
  if (e.backend) {
    const b = names.backend(e.backend);
    rec.backend = b ? { id: e.backend, pod: b.pod, address: b.address, port: b.port } : { id: e.backend };
    if (e.hash || e.slot) rec.selection = { hash: e.hash, slot: e.slot };
  }
  if (e.natPort) rec.nat_port = e.natPort;
  rec.length = e.len;
  return rec;
}

/** The members of an object as JSON text, without the braces, each followed by a comma. */
function members(o: Record<string, unknown>): string {
  const t = JSON.stringify(o);
  return t.length > 2 ? `${t.slice(1, -1)},` : '';
}

/**
 * The names of flowRecord() lines as JSON fragments, for the C formatter that writes replay's
 * flows.jsonl (native/src/replay_flows.c): per host, its record members and its peer member;
 * per event point and action; per drop reason; per backend. A line is these fragments with
 * numbers, addresses and times between them, in flowRecord()'s key order.
 */
export function flowLineFragments(hosts: readonly { name: string; kind: string; node?: string }[], backends: ReadonlyMap<number, { pod: string; address: string; port: number }>): NativeFlowNames {
  return {
    hosts: hosts.map((h) => {
      const nodeName = h.kind === 'node' ? h.name : h.node;
      return [members({ ...(nodeName ? { node_name: nodeName } : {}), host: h.name, host_kind: h.kind }), members({ peer: h.name })];
    }),
    points: ['', ...EVENT_POINTS.map((p) => members({ trace_observation_point: OBSERVATION_POINT[p], point: p }))],
    verdicts: EVENT_VERDICTS.map((v) => members({ verdict: HUBBLE_VERDICT[v], action: v })),
    drops: DROP_REASONS.map((d) => [d.code, members({ drop_reason_desc: d.hubble ?? d.name, drop_reason_name: d.name, drop_reason_text: d.description })]),
    backends: [...backends].map(([id, b]) => [id, JSON.stringify({ id, pod: b.pod, address: b.address, port: b.port })]),
  };
}
