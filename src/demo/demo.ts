/**
 * demo.ts: `dsrlab demo`: the built-in scenario (scenario.ts) run in SNAT, DSR and hybrid, one
 * TCP flow (SYN, SYN-ACK, full-size data) and one UDP flow (a query, a full-size datagram,
 * and the retry a client makes at the MTU an ICMP error advertised), plus the TCP flow again
 * with XDP acceleration. Each run is explained (src/explain); the facts the lessons state
 * (paths, addresses the backend saw, sizes, the ICMP's MTU, what tcpdump showed) are read
 * from those explanations, i.e. from the emulation's events, and the takeaways are sentences
 * built around them. Drawing is render.ts's.
 */
import { Cluster, type Hop } from '../cluster.js';
import type { EventState } from '../datapath/events.js';
import { explainHops } from '../explain/explain.js';
import { dsrInfoOf, endpointText, innermost, type DsrInfo } from '../explain/headers.js';
import { buildDescribedPacket, formatPacketSpec, parsePacketSpec } from '../explain/packet-spec.js';
import type { Endpoint, ExplainedPacket, Explanation } from '../explain/types.js';
import type { Acceleration, LbMode, Scenario } from '../scenario/types.js';
import { DEMO_PACKETS, demoScenario } from './scenario.js';

export const DEMO_MODES: readonly LbMode[] = ['snat', 'dsr', 'hybrid'];

/** What the TCP flow showed, from its events. */
export interface TcpFacts {
  lbNode?: string;
  backend?: { pod: string; node?: string };
  forwarding?: 'dsr' | 'snat';
  /** Hosts the SYN and the SYN-ACK crossed. */
  requestPath: string[];
  replyPath: string[];
  /** The SYN's source as the pod saw it; the SYN-ACK's source as the client saw it. */
  backendSaw?: Endpoint;
  clientSaw?: Endpoint;
  /** The SYN's IP length arriving at and leaving the LB node, and the DSR option it left with. */
  synAtLb?: { in: number; out?: number; dsr?: DsrInfo };
  /** The full-size data segment at the LB node, and whether it reached the pod. */
  dataAtLb?: { in: number; out?: number; option: boolean; delivered: boolean };
  /** State created per host. */
  state: { host: string; kinds: EventState[] }[];
}

/** What the UDP flow showed. */
export interface UdpFacts {
  forwarding?: 'dsr' | 'snat';
  backend?: { pod: string; node?: string };
  query: { requestPath: string[]; replyPath: string[]; backendSaw?: Endpoint; delivered: boolean };
  /** The full-size datagram: its size, what became of it, the size it left the LB node with. */
  full: { size: number; outcome: string; out?: number; deliveredTo?: string; icmp?: { by: string; type: number; code: number; name: string; mtu: number } };
  /** The MTU of the LB node's link (scenario), against which the datagram was measured. */
  linkMtu: number;
  /** The retry at the advertised MTU, when there was an ICMP. */
  retry?: { size: number; outcome: string; deliveredTo?: string };
}

/** What tcpdump on the LB node showed of the TCP flow. */
export interface TcpdumpFacts {
  node: string;
  shown: number;
  missed: number;
  reasons: string[];
}

export interface DemoModeRun {
  mode: LbMode;
  tcp: Explanation;
  udp: Explanation;
  /** The TCP flow again with loadBalancer.acceleration=native. */
  xdp: Explanation;
  facts: {
    tcp: TcpFacts;
    udp: UdpFacts;
    /** tcpdump on the LB node, without and with XDP acceleration. */
    tcpdump: { withoutXdp: TcpdumpFacts; withXdp: TcpdumpFacts };
  };
  takeaways: { topic: string; text: string }[];
}

export interface DemoResult {
  scenario: { name: string; ciliumVersion: string; client: string; frontend: string; lbNode: string; backends: { pod: string; node?: string; address: string; port: number; protocol: string }[]; mtu: number; pmtuDiscovery: boolean };
  /** The modes shown (all three unless one was asked for). */
  shown: LbMode[];
  modes: DemoModeRun[];
}

/** Sends SPECs one at a time (each answered by the echo responder before the next). */
function sendSpecs(cluster: Cluster, specs: string[]): Hop[] {
  return cluster.send(specs.map((s) => ({ frame: buildDescribedPacket(parsePacketSpec(s)) })));
}

function runTcp(scenario: Scenario, mode: LbMode): Explanation {
  const cluster = Cluster.fromScenario(scenario, { mode, responder: 'echo' });
  const hops = sendSpecs(cluster, [DEMO_PACKETS.tcpSyn]);
  // ACK the SYN-ACK the pod sent: its sequence number + 1, as read from the reply that reached the client.
  const synAck = hops.find((h) => h.point === 'CLIENT' && h.reply);
  const seq = synAck ? synAck.frame.readUInt32BE(14 + (synAck.frame[14]! & 0xf) * 4 + 4) : 0;
  const data = DEMO_PACKETS.tcpData((seq + 1) >>> 0);
  hops.push(...sendSpecs(cluster, [data]));
  return explainHops(cluster, hops, { kind: 'packet', specs: [DEMO_PACKETS.tcpSyn, data].map((s) => formatPacketSpec(parsePacketSpec(s))) }, { responder: 'echo' });
}

function runUdp(scenario: Scenario, mode: LbMode): Explanation {
  const cluster = Cluster.fromScenario(scenario, { mode, responder: 'echo' });
  const specs: string[] = [DEMO_PACKETS.udpQuery, DEMO_PACKETS.udpFull];
  const hops = sendSpecs(cluster, specs);
  // A client that gets fragmentation-needed retries at the MTU it advertises (read from the ICMP).
  const fullId = hops.filter((h) => !h.reply && !h.generated && h.pkt < 0x80000000).map((h) => h.pkt).sort((a, b) => b - a)[0];
  const answered = hops.find((h) => h.pkt === fullId && h.verdict === 'ANSWERED');
  if (answered) {
    const icmpOff = 14 + (answered.frame[14]! & 0xf) * 4;
    const mtu = answered.frame.readUInt16BE(icmpOff + 6);
    if (mtu > 28) {
      const retry = DEMO_PACKETS.udpRetry(mtu);
      specs.push(retry);
      hops.push(...sendSpecs(cluster, [retry]));
    }
  }
  return explainHops(cluster, hops, { kind: 'packet', specs: specs.map((s) => formatPacketSpec(parsePacketSpec(s))) }, { responder: 'echo' });
}

/** IP length of a packet on the first link into `node`, and on the first link out of it. */
function lengthsAt(p: ExplainedPacket, node: string): { in?: number; out?: number; outLabel?: string } {
  const inC = p.crossings.find((c) => c.to === node);
  const outC = p.crossings.find((c) => c.from === node && c.to !== inC?.from);
  const r: { in?: number; out?: number; outLabel?: string } = {};
  if (inC?.ipLength !== undefined) r.in = inC.ipLength;
  if (outC?.ipLength !== undefined) {
    r.out = outC.ipLength;
    r.outLabel = outC.label;
  }
  return r;
}

/** The DSR info a packet left `node` with (from the hop just before its wire tx). */
function dsrLeaving(p: ExplainedPacket, node: string): DsrInfo | undefined {
  const tx = p.hops.findIndex((h) => h.host === node && h.point === 'WIRE_TX');
  return tx >= 0 ? dsrInfoOf(p.hops[tx]!.headers) : undefined;
}

function tcpFacts(e: Explanation): TcpFacts {
  const lb = e.summary.lbNode;
  const requests = e.packets.filter((p) => p.role === 'request');
  const syn = requests[0];
  const data = requests[1];
  const synAck = e.packets.find((p) => p.role === 'reply');
  const f: TcpFacts = { requestPath: syn?.path ?? [], replyPath: synAck?.path ?? [], state: e.summary.state };
  if (lb) f.lbNode = lb;
  if (e.flow.backend) f.backend = { pod: e.flow.backend.pod, ...(e.flow.backend.node ? { node: e.flow.backend.node } : {}) };
  if (e.flow.service) f.forwarding = e.flow.service.forwarding;
  if (e.summary.backendSaw) f.backendSaw = e.summary.backendSaw;
  if (e.summary.clientSaw) f.clientSaw = e.summary.clientSaw;
  if (syn && lb) {
    const l = lengthsAt(syn, lb);
    if (l.in !== undefined) {
      f.synAtLb = { in: l.in };
      if (l.out !== undefined) f.synAtLb.out = l.out;
      const d = dsrLeaving(syn, lb);
      if (d) f.synAtLb.dsr = d;
    }
  }
  if (data && lb) {
    const l = lengthsAt(data, lb);
    if (l.in !== undefined) {
      f.dataAtLb = { in: l.in, option: dsrLeaving(data, lb) !== undefined, delivered: data.fate.outcome === 'delivered' && data.fate.host === e.flow.backend?.pod };
      if (l.out !== undefined) f.dataAtLb.out = l.out;
    }
  }
  return f;
}

function udpFacts(e: Explanation, scenario: Scenario): UdpFacts {
  const lb = e.summary.lbNode ?? e.packets[0]?.path[1] ?? '';
  const requests = e.packets.filter((p) => p.role === 'request');
  const [query, full, retry] = requests;
  const replyTo = (p: ExplainedPacket | undefined) => e.packets.find((r) => r.role === 'reply' && r.answers === p?.index);
  const podHop = query?.hops.find((h) => h.point === 'POD' && h.verdict === 'DELIVERED');
  const podView = podHop ? innermost(podHop.headers) : undefined;
  const q: UdpFacts['query'] = { requestPath: query?.path ?? [], replyPath: replyTo(query)?.path ?? [], delivered: query?.fate.outcome === 'delivered' };
  if (podView?.ip) q.backendSaw = { address: podView.ip.src, ...(podView.l4?.sport !== undefined ? { port: podView.l4.sport } : {}), ...(e.summary.backendSaw?.address === podView.ip.src && e.summary.backendSaw.host ? { host: e.summary.backendSaw.host } : {}) };
  const node = scenario.nodes.find((n) => n.name === lb);
  const client = scenario.clients[0];
  const linkMtu = Math.min(node?.mtu ?? scenario.cilium.MTU, client?.mtu ?? scenario.cilium.MTU);
  const fullIn = full ? lengthsAt(full, lb) : {};
  const fullFacts: UdpFacts['full'] = { size: full?.crossings[0]?.ipLength ?? 0, outcome: full?.fate.outcome ?? 'none' };
  if (fullIn.out !== undefined) fullFacts.out = fullIn.out;
  if (full?.fate.outcome === 'delivered' && full.fate.host) fullFacts.deliveredTo = full.fate.host;
  if (full?.fate.outcome === 'answered') {
    const h = full.hops.find((x) => x.verdict === 'ANSWERED');
    const icmp = h ? innermost(h.headers).l4?.icmp : undefined;
    if (h && icmp && icmp.mtu !== undefined) fullFacts.icmp = { by: h.host, type: icmp.type, code: icmp.code, name: icmp.name, mtu: icmp.mtu };
  }
  const f: UdpFacts = { query: q, full: fullFacts, linkMtu };
  if (e.flow.service) f.forwarding = e.flow.service.forwarding;
  if (e.flow.backend) f.backend = { pod: e.flow.backend.pod, ...(e.flow.backend.node ? { node: e.flow.backend.node } : {}) };
  if (retry) {
    f.retry = { size: retry.crossings[0]?.ipLength ?? 0, outcome: retry.fate.outcome };
    if (retry.fate.outcome === 'delivered' && retry.fate.host) f.retry.deliveredTo = retry.fate.host;
  }
  return f;
}

function tcpdumpFacts(e: Explanation, node: string): TcpdumpFacts {
  const t = e.tcpdump.find((x) => x.node === node);
  return { node, shown: t?.shown.length ?? 0, missed: t?.missed.length ?? 0, reasons: [...new Set(t?.missed.map((m) => m.reason) ?? [])] };
}

const path = (p: string[]) => p.join(' → ');

function who(e: Endpoint | undefined, lb: string | undefined, client: string): string {
  if (!e) return 'nothing';
  const host = e.host ? ` (${e.host}${e.host === lb ? ', the LB node' : e.address === client ? ', the real client' : ''})` : '';
  return `${endpointText(e.address, e.port)}${host}`;
}

/** The takeaways of one mode, as sentences around the facts (and SNAT's, for comparison). */
function takeaways(run: Omit<DemoModeRun, 'takeaways'>, snat: Omit<DemoModeRun, 'takeaways'> | undefined, client: string): { topic: string; text: string }[] {
  const out: { topic: string; text: string }[] = [];
  const t = run.facts.tcp;
  const u = run.facts.udp;
  const lb = t.lbNode ?? '?';
  const st = snat?.facts.tcp;
  const pod = t.backend?.pod ?? 'the pod';
  const replyHosts = t.replyPath.length;
  const viaLb = t.replyPath.includes(lb);
  let hopText = `TCP: the SYN went ${path(t.requestPath)}; the SYN-ACK came back ${path(t.replyPath)}: ${replyHosts} hosts`;
  if (st && run.mode !== 'snat') hopText += ` vs ${st.replyPath.length} in SNAT (${path(st.replyPath)})`;
  hopText += viaLb ? `, through the LB node ${lb} again.` : `, never through the LB node ${lb}.`;
  out.push({ topic: 'reply path', text: hopText });

  let sawText = `${pod} saw the SYN from ${who(t.backendSaw, lb, client)}`;
  if (st && run.mode !== 'snat' && st.backendSaw && st.backendSaw.address !== t.backendSaw?.address) sawText += `; in SNAT it saw ${who(st.backendSaw, st.lbNode, client)}`;
  sawText += `. The client saw the reply from ${who(t.clientSaw, lb, client)}, the address it sent to.`;
  out.push({ topic: 'addresses', text: sawText });

  const lbState = t.state.find((s) => s.host === lb)?.kinds ?? [];
  const otherState = t.state.filter((s) => s.host !== lb);
  if (t.synAtLb?.dsr) {
    const grow = t.synAtLb.out !== undefined ? `; the SYN grew ${t.synAtLb.in} → ${t.synAtLb.out} bytes` : '';
    const backendState = otherState.map((s) => `${s.host}: ${s.kinds.join(', ')}`).join('; ');
    out.push({
      topic: 'why DSR saves a hop',
      text: `${lb} left the client's address in place and told ${t.backend?.node ?? 'the backend node'} the service address in an IP option (VIP ${endpointText(t.synAtLb.dsr.address, t.synAtLb.dsr.port)}${grow}). ${t.backend?.node ?? 'The backend node'} kept it (${backendState || 'state'}) and rewrote the reply's source to the VIP itself, so the reply needs nothing from ${lb}, which holds only ${lbState.join(', ') || 'no state'}.`,
    });
  } else if (t.backendSaw?.host === lb) {
    out.push({
      topic: 'why SNAT costs a hop',
      text: `${lb} replaced the client's address with its own (${endpointText(t.backendSaw.address, t.backendSaw.port)}), so ${pod}'s reply has to come back to ${lb}, which reverses both rewrites; ${lb} holds all the flow's state (${lbState.join(', ')}).`,
    });
  }
  if (t.dataAtLb && t.synAtLb?.dsr) {
    out.push({
      topic: 'option on the SYN only',
      text: `The SYN left ${lb} with the option; the ${t.dataAtLb.in}-byte data segment left ${lb} at ${t.dataAtLb.out ?? '?'} bytes${t.dataAtLb.option ? ' WITH an option' : ' without it'} and ${t.dataAtLb.delivered ? `reached ${pod}` : 'did not reach the pod'}: full-size TCP passes.`,
    });
  }

  const fwd = u.forwarding === 'dsr' ? 'DSR' : 'SNAT';
  if (u.full.icmp) {
    const overhead = u.linkMtu - u.full.icmp.mtu;
    const retry = u.retry ? `; the ${u.retry.size}-byte retry ${u.retry.outcome === 'delivered' ? `got through to ${u.retry.deliveredTo}` : `was ${u.retry.outcome}`}` : '';
    out.push({
      topic: 'the MTU lesson',
      text: `UDP goes ${fwd} here and every datagram carries the option: the ${u.full.size}-byte datagram would have left ${lb} at ${u.full.size + overhead} bytes, over the ${u.linkMtu}-byte MTU, so ${u.full.icmp.by} answered with ICMP ${u.full.icmp.name} (type ${u.full.icmp.type} code ${u.full.icmp.code}), MTU ${u.full.icmp.mtu} = ${u.linkMtu} − ${overhead}${retry}.`,
    });
  } else {
    out.push({
      topic: 'the MTU lesson',
      text: `UDP goes ${fwd} here: the ${u.full.size}-byte datagram left ${lb} at ${u.full.out ?? '?'} bytes and ${u.full.outcome === 'delivered' ? `reached ${u.full.deliveredTo}` : `was ${u.full.outcome}`}; ${u.query.backendSaw ? `the pod saw ${who(u.query.backendSaw, lb, client)}, and ` : ''}the answer came back ${path(u.query.replyPath)}.`,
    });
  }
  if (run.mode === 'hybrid') {
    out.push({ topic: 'hybrid', text: `Hybrid forwards per protocol: TCP went ${t.forwarding?.toUpperCase()} (reply ${path(t.replyPath)}), UDP went ${u.forwarding?.toUpperCase()} (reply ${path(u.query.replyPath)}).` });
  }
  const x = run.facts.tcpdump;
  out.push({
    topic: 'tcpdump and XDP',
    text: `tcpdump on ${lb} showed ${x.withoutXdp.shown} of the TCP flow's packets; with loadBalancer.acceleration=native it showed ${x.withXdp.shown} and missed ${x.withXdp.missed}${x.withXdp.reasons.length ? ` (${x.withXdp.reasons.join('; ')})` : ''}. Use Hubble or cilium monitor there, not tcpdump.`,
  });
  return out;
}

/** Runs the demo: every mode (lessons compare with SNAT), `shown` the ones to render. */
export function runDemo(opts: { mode?: LbMode } = {}): DemoResult {
  const scenario = demoScenario('disabled');
  const accelerated = demoScenario('native');
  const runs = DEMO_MODES.map((mode) => {
    const tcp = runTcp(scenario, mode);
    const udp = runUdp(scenario, mode);
    const xdp = runTcp(accelerated, mode);
    const lb = tcp.summary.lbNode ?? 'node-a';
    return {
      mode,
      tcp,
      udp,
      xdp,
      facts: { tcp: tcpFacts(tcp), udp: udpFacts(udp, scenario), tcpdump: { withoutXdp: tcpdumpFacts(tcp, lb), withXdp: tcpdumpFacts(xdp, lb) } },
    };
  });
  const snat = runs.find((r) => r.mode === 'snat');
  const modes: DemoModeRun[] = runs.map((r) => ({ ...r, takeaways: takeaways(r, snat, scenario.clients[0]!.ipv4!) }));
  const shown = opts.mode ? [opts.mode] : [...DEMO_MODES];
  const cp = Cluster.fromScenario(scenario).controlPlane;
  const lbNode = scenario.frontends[0]!.node;
  return {
    scenario: {
      name: scenario.file,
      ciliumVersion: scenario.cilium.version,
      client: scenario.clients[0]!.ipv4!,
      frontend: scenario.frontends[0]!.address,
      lbNode,
      backends: [...cp.backends.values()].map((b) => ({ pod: b.pod, ...(b.node ? { node: b.node } : {}), address: b.address, port: b.port, protocol: b.protocol })),
      mtu: scenario.cilium.MTU,
      pmtuDiscovery: scenario.cilium.pmtuDiscovery.enabled,
    },
    shown,
    modes: modes.filter((m) => shown.includes(m.mode)),
  };
}

export type { Acceleration };
