/**
 * capture-flow.ts: the flows of a capture as `explain --capture F --flow N` numbers them, and
 * the packets of one of them ready to send through a Cluster. A flow is protocol + client
 * address/port + frontend address/port (ICMP echo: its identifier), numbered 1, 2, … in order of
 * first appearance; a packet whose source is a frontend of the scenario (scenario.md
 * `--responder capture`) is the server's and belongs to the flow of the request it answers.
 * Packets without ports (ARP, later fragments, ICMP errors) belong to no flow. Running the
 * packets is explain.ts's job; whole-capture replay is replay.ts's.
 */
import { CaptureReader } from '../capture/reader.js';
import type { SendFrame } from '../cluster.js';
import { frontendAddresses } from '../datapath/control-plane.js';
import { canonicalIp } from '../datapath/flow-record.js';
import { InputError } from '../errors.js';
import { addon, REC, REC_FIELDS, type ParsedPacket } from '../native.js';
import type { Scenario } from '../scenario/types.js';
import { endpointText } from './headers.js';

/** One flow of a capture. */
export interface CaptureFlow {
  /** 1-based, in order of first appearance. */
  index: number;
  protocol: string;
  client: { address: string; port?: number };
  frontend: { address: string; port?: number };
  /** Client packets and server packets of the flow. */
  requests: number;
  responses: number;
}

/** A packet of the chosen flow, as the capture holds it. */
export interface CaptureFlowPacket {
  /** 0-based index of the packet in the capture. */
  number: number;
  data: Buffer;
  linktype: number;
  ts: { sec: number; nsec: number };
  server: boolean;
  src: string;
}

const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };

interface Keyed {
  key: string;
  proto: number;
  client: string;
  cport?: number;
  frontend: string;
  fport?: number;
}

function keyOf(p: ParsedPacket, server: boolean): Keyed | undefined {
  if (p.ok === false || (p.l3 !== 'ipv4' && p.l3 !== 'ipv6')) return undefined;
  const proto = p.l4Proto as number;
  const src = canonicalIp(p.src as string);
  const dst = canonicalIp(p.dst as string);
  let sport: number | undefined;
  let dport: number | undefined;
  if (proto === 1 || proto === 58) {
    const t = p.icmpType as number | undefined;
    const echo = proto === 1 ? t === 8 || t === 0 : t === 128 || t === 129;
    if (!echo || p.icmpId === undefined) return undefined;
    // The echo id plays the client port; the frontend has none.
    sport = server ? undefined : (p.icmpId as number);
    dport = server ? (p.icmpId as number) : undefined;
  } else {
    if (p.sport === undefined) return undefined;
    sport = p.sport as number;
    dport = p.dport as number;
  }
  const k: Keyed = server
    ? { key: '', proto, client: dst, frontend: src, ...(dport !== undefined ? { cport: dport } : {}), ...(sport !== undefined ? { fport: sport } : {}) }
    : { key: '', proto, client: src, frontend: dst, ...(sport !== undefined ? { cport: sport } : {}), ...(dport !== undefined ? { fport: dport } : {}) };
  k.key = `${proto} ${k.client} ${k.cport ?? '-'} ${k.frontend} ${k.fport ?? '-'}`;
  return k;
}

/** A flow as one line: `TCP 203.0.113.7:40000 → 198.51.100.10:80 (5 + 4 packets)`. */
export function captureFlowText(f: CaptureFlow): string {
  return `${f.protocol} ${endpointText(f.client.address, f.client.port)} → ${endpointText(f.frontend.address, f.frontend.port)} (${f.requests} request${f.requests === 1 ? '' : 's'}, ${f.responses} response${f.responses === 1 ? '' : 's'})`;
}

/**
 * Reads `capture` and returns its flows and the packets of flow `flow` (1-based). Throws
 * InputError when the capture cannot be read or has no such flow (the message lists the flows).
 */
export function captureFlow(capture: string, scenario: Scenario, flow: number): { flows: CaptureFlow[]; chosen: CaptureFlow; packets: CaptureFlowPacket[] } {
  const { serviceAddresses, nodePortAddresses } = frontendAddresses(scenario);
  const isFrontend = (a: string) => serviceAddresses.has(a) || nodePortAddresses.has(a);
  const a = addon();
  const flows = new Map<string, CaptureFlow>();
  let chosenKey: string | undefined;
  const packets: CaptureFlowPacket[] = [];
  let number = 0;
  for (const b of new CaptureReader(capture).batches()) {
    const parsed = a.parsePackets(b.data, b.index, b.count);
    for (let i = 0; i < b.count; i++, number++) {
      const p = parsed[i]!;
      const src = typeof p.src === 'string' ? canonicalIp(p.src) : undefined;
      const server = src !== undefined && isFrontend(src);
      const k = keyOf(p, server);
      if (!k) continue;
      let f = flows.get(k.key);
      if (!f) {
        f = {
          index: flows.size + 1,
          protocol: PROTO[k.proto] ?? `proto ${k.proto}`,
          client: { address: k.client, ...(k.cport !== undefined ? { port: k.cport } : {}) },
          frontend: { address: k.frontend, ...(k.fport !== undefined ? { port: k.fport } : {}) },
          requests: 0,
          responses: 0,
        };
        flows.set(k.key, f);
        if (f.index === flow) chosenKey = k.key;
      }
      if (server) f.responses++;
      else f.requests++;
      if (k.key !== chosenKey) continue;
      const o = i * REC_FIELDS;
      const off = b.index[o + REC.BUF_OFF]!;
      const len = b.index[o + REC.CAPLEN]!;
      packets.push({
        number,
        data: Buffer.from(b.data.subarray(off, off + len)),
        linktype: b.index[o + REC.LINKTYPE]!,
        ts: { sec: b.index[o + REC.TS_SEC]!, nsec: b.index[o + REC.TS_NSEC]! },
        server,
        src: src!,
      });
    }
  }
  const list = [...flows.values()];
  const chosen = chosenKey === undefined ? undefined : flows.get(chosenKey);
  if (!chosen) {
    if (list.length === 0) throw new InputError({ file: capture }, 'the capture holds no flow to explain (no TCP, UDP or ICMP echo packet with ports or an echo id)');
    const shown = list.slice(0, 10).map((f) => `  ${f.index}. ${captureFlowText(f)}`);
    if (list.length > 10) shown.push(`  … and ${list.length - 10} more`);
    throw new InputError({ file: '--flow' }, `${capture} holds ${list.length} flow${list.length === 1 ? '' : 's'}; --flow ${flow} is not ${list.length === 1 ? "that flow" : `one of 1–${list.length}`}:\n${shown.join('\n')}`);
  }
  return { flows: list, chosen, packets };
}

/** The frames to send for a flow's packets: client packets from their owner (or world), server packets at world (re-injected at the pod). */
export function flowFrames(packets: CaptureFlowPacket[], hostOf: (address: string) => string, world: string): SendFrame[] {
  return packets.map((p) => ({ frame: p.data, linktype: p.linktype, ts: p.ts, from: p.server ? world : hostOf(p.src), ...(p.server ? { server: true } : {}) }));
}
