/**
 * helpers.ts (replay tests): small captures built with the packet builder (client
 * 203.0.113.7 talking to a LoadBalancer IP or NodePort), and readers for what replay wrote
 * (pcaps through CaptureReader + the C codec, flows.jsonl, summary.json).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcapBytes } from '../../src/capture/pcap-writer.js';
import { readAllPackets } from '../../src/capture/reader.js';
import { buildPacket, type PacketSpec } from '../../src/packet/build.js';
import { parsePackets } from '../../src/packet/parse.js';
import { ipv6Bytes, ipv6Text } from '../../src/packet/addr.js';
import type { ParsedPacket } from '../../src/native.js';
import { FIXTURES } from '../helpers.js';

export const CLIENT4 = '203.0.113.7';
export const CLIENT6 = '2001:db8:c::7';
export const VIP4 = '198.51.100.10';
export const VIP6 = '2001:db8:100::10';
export const NODE_A4 = '192.168.10.11';
export const NODE_B4 = '192.168.10.12';
export const CLUSTER_IP4 = '10.96.0.50';

export const scenarioPath = (name: string) => join(FIXTURES, 'scenarios', name);

/** One side of a conversation: who sends, and what. */
export interface Segment {
  from: 'client' | 'server';
  spec: Omit<PacketSpec, 'ipv4' | 'ipv6'>;
}

function ipSpec(family: 4 | 6, src: string, dst: string): Pick<PacketSpec, 'ipv4' | 'ipv6'> {
  return family === 4 ? { ipv4: { src, dst } } : { ipv6: { src, dst } };
}

/**
 * A TCP conversation client:cport ↔ server:sport as a capture holds it: handshake, one request,
 * one response, FIN both ways. With `serverPackets` false only the client's side is kept.
 */
export function tcpConversation(client: string, server: string, cport: number, sport: number, serverPackets = true, payload = 64): Uint8Array[] {
  const fam = client.includes(':') ? 6 : 4;
  const c = (flags: string, seq: number, ack: number, data?: number) => buildPacket({ ...ipSpec(fam, client, server), tcp: { sport: cport, dport: sport, flags, seq, ack }, ...(data ? { payload: data } : {}) });
  const s = (flags: string, seq: number, ack: number, data?: number) => buildPacket({ ...ipSpec(fam, server, client), tcp: { sport, dport: cport, flags, seq, ack }, ...(data ? { payload: data } : {}) });
  const out: [boolean, Uint8Array][] = [
    [false, c('S', 1000, 0)],
    [true, s('SA', 5000, 1001)],
    [false, c('A', 1001, 5001)],
    [false, c('PA', 1001, 5001, payload)],
    [true, s('PA', 5001, 1001 + payload, payload * 2)],
    [false, c('FA', 1001 + payload, 5001 + payload * 2)],
    [true, s('FA', 5001 + payload * 2, 1002 + payload)],
    [false, c('A', 1002 + payload, 5002 + payload * 2)],
  ];
  return out.filter(([srv]) => serverPackets || !srv).map(([, p]) => p);
}

/** A UDP request and (optionally) its response. */
export function udpExchange(client: string, server: string, cport: number, sport: number, serverPackets = true, payload = 32): Uint8Array[] {
  const fam = client.includes(':') ? 6 : 4;
  const req = buildPacket({ ...ipSpec(fam, client, server), udp: { sport: cport, dport: sport }, payload });
  const resp = buildPacket({ ...ipSpec(fam, server, client), udp: { sport, dport: cport }, payload: payload * 2 });
  return serverPackets ? [req, resp] : [req];
}

/** Writes packets as a pcap (1 ms apart from a fixed time) and returns the path. */
export function writeCapture(dir: string, name: string, packets: Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(path, pcapBytes(packets.map((data, i) => ({ ts: { sec: 1_700_000_000, nsec: i * 1_000_000 }, data }))));
  return path;
}

/** Interleaves several conversations packet by packet (flows overlap in time, as in real captures). */
export function interleave(convs: Uint8Array[][]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; convs.some((c) => i < c.length); i++) for (const c of convs) if (i < c.length) out.push(c[i]!);
  return out;
}

export function canon(a: string): string {
  return a.includes(':') ? ipv6Text(ipv6Bytes(a)) : a;
}

/** The packets of an output pcap, parsed by the C codec, with canonical addresses. */
export function readPoint(out: string, file: string): (ParsedPacket & { src?: string; dst?: string })[] {
  const pkts = readAllPackets(join(out, 'points', file));
  return parsePackets(pkts.map((p) => p.data)).map((p) => {
    if (typeof p.src === 'string') p.src = canon(p.src);
    if (typeof p.dst === 'string') p.dst = canon(p.dst);
    return p;
  }) as (ParsedPacket & { src?: string; dst?: string })[];
}

export function readFlows(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, 'flows.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function readSummary(out: string): Record<string, any> {
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
}
