// What must hold in Cilium, checked on what replay wrote (cilium-datapath.md §5, §6, §9, §15;
// DESIGN.md "What must always hold"): who the backend sees as the source in SNAT, DSR and hybrid,
// that the client hears back from exactly VIP:port, which path replies take, the DSR option only
// on a TCP flow's SYN, ClusterIP and no-backend handling, Maglev + affinity, withheld responses.
// A failure here is a datapath bug (C core) unless the test says otherwise.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addon } from '../../src/native.js';
import { buildArp, buildPacket } from '../../src/packet/build.js';
import { replay, type ReplayResult } from '../../src/replay.js';
import { loadScenario } from '../../src/scenario/index.js';
import { ipBytes } from '../../src/scenario/addr.js';
import type { HostInfo } from '../../src/datapath/control-plane.js';
import { tempDir } from '../helpers.js';
import {
  CLIENT4,
  CLIENT6,
  CLUSTER_IP4,
  NODE_A4,
  NODE_B4,
  VIP4,
  VIP6,
  interleave,
  readFlows,
  readPoint,
  scenarioPath,
  tcpConversation,
  udpExchange,
  writeCapture,
} from './helpers.js';

const tmp = tempDir('dsrlab-outcomes-');
afterAll(() => tmp.cleanup());

const TCP_FLOWS = 24;
const UDP_FLOWS = 8;

/** Many TCP and UDP flows to the LoadBalancer IP, so random selection reaches every backend. */
function manyFlows(client: string, vip: string, withServer: boolean, udp = true): Uint8Array[] {
  const convs: Uint8Array[][] = [];
  for (let i = 0; i < TCP_FLOWS; i++) convs.push(tcpConversation(client, vip, 40000 + i, 80, withServer));
  if (udp) for (let i = 0; i < UDP_FLOWS; i++) convs.push(udpExchange(client, vip, 50000 + i, 53, withServer));
  return interleave(convs);
}

async function run(scenarioName: string, name: string, packets: Uint8Array[], responder: 'capture' | 'echo' | 'none'): Promise<{ out: string; r: ReplayResult }> {
  const cap = writeCapture(tmp.dir, `${name}.pcap`, packets);
  const out = join(tmp.dir, name);
  const r = await replay(cap, await loadScenario(scenarioPath(scenarioName)), { out, responder });
  return { out, r };
}

function pods(r: ReplayResult): HostInfo[] {
  return r.controlPlane.hosts.filter((h) => h.kind === 'pod');
}

/** Packets a pod received (its wire, destined to its address). */
function podReceived(out: string, pod: HostInfo) {
  const addr = pod.ipv4 ?? pod.ipv6;
  return readPoint(out, `wire-${pod.name}.pcap`).filter((p) => p.dst === addr);
}

/** Packets the client received (its wire, destined to it). */
function clientReceived(out: string, client: string, name = 'client-1') {
  return readPoint(out, `wire-${name}.pcap`).filter((p) => p.dst === client);
}

/** For each packet id of flows.jsonl: the hosts it visited, in order. */
function pathsById(out: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const f of readFlows(out)) {
    const id = f.packet as number;
    if (!m.has(id)) m.set(id, []);
    if (typeof f.host === 'string') m.get(id)!.push(f.host);
  }
  return m;
}

describe.each(['capture', 'echo'] as const)('SNAT (snat.yaml), responder %s', (responder) => {
  let out: string;
  let r: ReplayResult;
  beforeAll(async () => {
    ({ out, r } = await run('snat.yaml', `snat-${responder}`, manyFlows(CLIENT4, VIP4, responder === 'capture'), responder));
  });

  it('delivers every request and every reply', () => {
    const s = r.summary;
    expect(s.packets.dropped).toBe(0);
    expect(s.packets.delivered).toBe(s.packets.in);
    if (responder === 'echo') expect(s.responses.delivered).toBe(s.responses.made);
  });

  it("shows a remote backend the LB node's address, a local one the client's (§5, §9.5)", () => {
    let reached = 0;
    for (const pod of pods(r)) {
      const got = podReceived(out, pod);
      if (got.length) reached++;
      const expected = pod.node === 'node-a' ? CLIENT4 : NODE_A4;
      for (const p of got) expect(p.src, `${pod.name} (on ${pod.node}) saw`).toBe(expected);
    }
    expect(reached).toBe(3);
  });

  it('gives the client replies from exactly VIP:port', () => {
    const got = clientReceived(out, CLIENT4);
    expect(got.length).toBeGreaterThan(0);
    for (const p of got) {
      expect(p.src).toBe(VIP4);
      expect([80, 53]).toContain(p.sport);
    }
  });

  it('sends every reply back through the LB node', () => {
    const toClient = readPoint(out, 'tcpdump-node-a.pcap').filter((p) => p.dst === CLIENT4).length;
    expect(toClient).toBe(clientReceived(out, CLIENT4).length);
  });

  if (responder === 'capture') {
    it('delivers server packets identical to the capture but for TTL and L2', () => {
      const c = r.summary.comparison!;
      expect(c.notDelivered).toBe(0);
      expect(c.firstMismatches).toEqual([]);
      expect(c.matched).toBe(r.summary.packets.server);
    });
  }
});

describe.each(['capture', 'echo'] as const)('DSR with the IPv4 option (dsr.yaml), responder %s', (responder) => {
  let out: string;
  let r: ReplayResult;
  beforeAll(async () => {
    ({ out, r } = await run('dsr.yaml', `dsr-${responder}`, manyFlows(CLIENT4, VIP4, responder === 'capture'), responder));
  });

  it('delivers every request and every reply', () => {
    expect(r.summary.packets.dropped).toBe(0);
    expect(r.summary.packets.delivered).toBe(r.summary.packets.in);
  });

  it("shows every backend the client's address (§15)", () => {
    let reached = 0;
    for (const pod of pods(r)) {
      const got = podReceived(out, pod);
      if (got.length) reached++;
      for (const p of got) expect(p.src, `${pod.name} saw`).toBe(CLIENT4);
    }
    expect(reached).toBe(3);
  });

  it('gives the client replies from exactly VIP:port', () => {
    const got = clientReceived(out, CLIENT4);
    expect(got.length).toBeGreaterThan(0);
    for (const p of got) {
      expect(p.src).toBe(VIP4);
      expect([80, 53]).toContain(p.sport);
    }
  });

  it('never sends a remote backend’s reply through the LB node', () => {
    const podNode = new Map(pods(r).map((p) => [p.name, p.node!]));
    let checked = 0;
    for (const [, path] of pathsById(out)) {
      const origin = path[0]!;
      if (!podNode.has(origin) || podNode.get(origin) === 'node-a') continue;
      checked++;
      expect(path, `reply from ${origin}`).not.toContain('node-a');
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('puts the DSR option on a TCP flow’s SYN only, and on every UDP datagram (full DSR)', () => {
    const podAddrs = new Set(pods(r).filter((p) => p.node !== 'node-a').map((p) => p.ipv4));
    const fwd = readPoint(out, 'tcpdump-node-a.pcap').filter((p) => podAddrs.has(p.dst!));
    expect(fwd.length).toBeGreaterThan(0);
    for (const p of fwd) {
      const hasOpt = ((p.ipv4OptLen as number) ?? 0) > 0;
      if (p.l4Proto === 6) {
        const syn = ((p.tcpFlags as number) & 0x12) === 0x02;
        expect(hasOpt, `TCP ${p.sport} flags ${p.tcpFlags}`).toBe(syn);
      } else if (p.l4Proto === 17) {
        expect(hasOpt, `UDP ${p.sport}`).toBe(true);
      }
    }
  });

  if (responder === 'capture') {
    it('delivers server packets identical to the capture but for TTL and L2', () => {
      const c = r.summary.comparison!;
      expect(c.firstMismatches).toEqual([]);
      expect(c.matched).toBe(r.summary.packets.server);
    });
  }
});

describe('hybrid (hybrid.yaml): TCP as DSR, UDP as SNAT (§6)', () => {
  let out: string;
  let r: ReplayResult;
  beforeAll(async () => {
    ({ out, r } = await run('hybrid.yaml', 'hybrid', manyFlows(CLIENT4, VIP4, true), 'capture'));
  });

  it('shows backends the client for TCP and the LB node for UDP (remote backends)', () => {
    let tcp = 0;
    let udp = 0;
    for (const pod of pods(r)) {
      for (const p of podReceived(out, pod)) {
        if (p.l4Proto === 6) {
          tcp++;
          expect(p.src, `${pod.name} TCP`).toBe(CLIENT4);
        } else if (p.l4Proto === 17) {
          udp++;
          expect(p.src, `${pod.name} UDP`).toBe(pod.node === 'node-a' ? CLIENT4 : NODE_A4);
        }
      }
    }
    expect(tcp).toBeGreaterThan(0);
    expect(udp).toBeGreaterThan(0);
  });

  it('gives the client replies from VIP:port, matching the capture', () => {
    for (const p of clientReceived(out, CLIENT4)) expect(p.src).toBe(VIP4);
    expect(r.summary.comparison!.firstMismatches).toEqual([]);
    expect(r.summary.comparison!.matched).toBe(r.summary.packets.server);
  });
});

describe('DSR over IPv6 (dsr-ipv6.yaml)', () => {
  let out: string;
  let r: ReplayResult;
  beforeAll(async () => {
    ({ out, r } = await run('dsr-ipv6.yaml', 'dsr6', manyFlows(CLIENT6, VIP6, true), 'capture'));
  });

  it("shows every backend the client's address and gives the client replies from VIP:port", () => {
    let reached = 0;
    for (const pod of pods(r)) {
      const got = podReceived(out, pod);
      if (got.length) reached++;
      for (const p of got) expect(p.src, pod.name).toBe(CLIENT6);
    }
    expect(reached).toBeGreaterThan(1);
    const got = clientReceived(out, CLIENT6);
    expect(got.length).toBe(r.summary.packets.server);
    for (const p of got) expect(p.src).toBe(VIP6);
    expect(r.summary.comparison!.firstMismatches).toEqual([]);
  });

  it('carries the service address in a Destination Options header on the SYN (§2)', () => {
    const podAddrs = new Set(pods(r).filter((p) => p.node !== 'node-a').map((p) => p.ipv6));
    const syns = readPoint(out, 'tcpdump-node-a.pcap').filter((p) => podAddrs.has(p.dst!) && p.l4Proto === 6 && ((p.tcpFlags as number) & 0x12) === 0x02);
    expect(syns.length).toBeGreaterThan(0);
    for (const p of syns) expect((p.ext as { type: number }[]).map((e) => e.type)).toContain(60);
  });
});

describe('DSR with Geneve dispatch (dsr-geneve.yaml)', () => {
  it("delivers requests to the backend pods with the client's address (§3.2)", async () => {
    const { out, r } = await run('dsr-geneve.yaml', 'geneve', manyFlows(CLIENT4, VIP4, false), 'echo');
    expect(r.summary.packets.toStack).toBe(0);
    let reached = 0;
    for (const pod of pods(r)) {
      const got = podReceived(out, pod);
      if (got.length) reached++;
      for (const p of got) expect(p.src, pod.name).toBe(CLIENT4);
    }
    expect(reached).toBe(3);
    for (const p of clientReceived(out, CLIENT4)) expect(p.src).toBe(VIP4);
  });
});

describe('frontends', () => {
  it('answers a NodePort from the node address and port the client used', async () => {
    const { out, r } = await run('snat.yaml', 'nodeport', tcpConversation(CLIENT4, NODE_B4, 41000, 30080, true), 'capture');
    expect(r.summary.packets.dropped).toBe(0);
    const got = clientReceived(out, CLIENT4);
    expect(got.length).toBe(r.summary.packets.server);
    for (const p of got) {
      expect(p.src).toBe(NODE_B4);
      expect(p.sport).toBe(30080);
    }
    expect(r.summary.comparison!.matched).toBe(r.summary.packets.server);
  });

  it('drops a ClusterIP reached from outside with DROP_IS_CLUSTER_IP (§9.2)', async () => {
    const { r } = await run('snat.yaml', 'clusterip', tcpConversation(CLIENT4, CLUSTER_IP4, 42000, 80, false), 'echo');
    const s = r.summary;
    expect(s.dropReasons).toEqual({ DROP_IS_CLUSTER_IP: s.packets.in });
    expect(Object.keys(s.drops[0]!.where).every((w) => /^node-[abc]\/(TC_INGRESS|XDP)$/.test(w))).toBe(true);
  });

  // Cilium's bpf/tests/tc_nodeport_lb_wildcard_drop.c (recent main): a known VIP on a port
  // or protocol it does not serve matches only the wildcard entry and is dropped even with
  // SERVICE_NO_BACKEND_RESPONSE (reject); the ICMP answer is for a served port without
  // backends (test_scenarios.c, tc_nodeport_lb4_wildcard_drop_unknown_proto).
  it('drops a LoadBalancer IP on an unknown port, even with serviceNoBackendResponse=reject', async () => {
    const { out, r } = await run('snat.yaml', 'reject', udpExchange(CLIENT4, VIP4, 5000, 9999, false), 'echo');
    expect(r.summary.packets.answered).toBe(0);
    expect(r.summary.dropReasons).toEqual({ DROP_NO_SERVICE: 1 });
    expect(clientReceived(out, CLIENT4).length).toBe(0);
  });

  it('drops it with DROP_NO_SERVICE when serviceNoBackendResponse=drop', async () => {
    const text = readFileSync(scenarioPath('snat.yaml'), 'utf8').replace('  kubeProxyReplacement: true\n', '  kubeProxyReplacement: true\n  serviceNoBackendResponse: drop\n');
    const path = join(tmp.dir, 'snat-drop.yaml');
    writeFileSync(path, text);
    const cap = writeCapture(tmp.dir, 'nosvc.pcap', udpExchange(CLIENT4, VIP4, 5000, 9999, false));
    const { summary } = await replay(cap, await loadScenario(path), { responder: 'echo' });
    expect(summary.dropReasons).toEqual({ DROP_NO_SERVICE: 1 });
  });
});

describe('traffic for the nodes themselves', () => {
  it("hands a client's ARP request for a node's address to that node's stack (toStack)", async () => {
    const arp = buildArp({ op: 'request', senderMac: '02:00:cb:00:71:07', senderIp: CLIENT4, targetIp: NODE_A4 });
    const { r } = await run('snat.yaml', 'arp', [arp], 'echo');
    expect(r.summary.packets.toStack).toBe(1);
    expect(r.summary.toStack).toEqual({ 'node-a': 1 });
  });

  it("hands a client's ping to a node address to that node's stack", async () => {
    const ping = buildPacket({ ipv4: { src: CLIENT4, dst: NODE_B4 }, icmp: { type: 8, id: 7, seq: 1 }, payload: 16 });
    const { r } = await run('snat.yaml', 'ping-node', [ping], 'none');
    expect(r.summary.toStack).toEqual({ 'node-b': 1 });
  });
});

describe('scenario variants', () => {
  /** A fixture scenario with text replaced, written to the temp dir. */
  function variant(base: string, name: string, from: string, to: string): string {
    const text = readFileSync(scenarioPath(base), 'utf8');
    expect(text).toContain(from);
    const path = join(tmp.dir, name);
    writeFileSync(path, text.replace(from, to).replace('file: objects/', `file: ${join(scenarioPath('objects'), '')}/`));
    return path;
  }

  it('XDP acceleration: requests forwarded with XDP_TX never reach tcpdump on the LB node (§10.2)', async () => {
    const path = variant('dsr.yaml', 'dsr-xdp.yaml', '    algorithm: random\n', '    algorithm: random\n    acceleration: native\n');
    const cap = writeCapture(tmp.dir, 'xdp.pcap', manyFlows(CLIENT4, VIP4, false, false));
    const out = join(tmp.dir, 'xdp');
    const r = await replay(cap, await loadScenario(path), { out, responder: 'echo' });
    expect(r.summary.packets.dropped).toBe(0);
    expect(r.summary.nodes['node-a']!.XDP).toBeDefined();
    const remote = new Set(pods(r).filter((p) => p.node !== 'node-a').map((p) => p.ipv4));
    const onWire = readPoint(out, 'wire-node-a.pcap').filter((p) => remote.has(p.dst!));
    expect(onWire.length).toBeGreaterThan(0);
    expect(readPoint(out, 'tcpdump-node-a.pcap').filter((p) => remote.has(p.dst!))).toEqual([]);
    expect(readPoint(out, 'tcpdump-node-a.pcap').filter((p) => p.dst === VIP4)).toEqual([]);
  });

  it("externalTrafficPolicy=Local: the LB node uses its own backend only, which sees the client (§8.5)", async () => {
    const path = join(tmp.dir, 'snat-etp.yaml');
    const text = readFileSync(scenarioPath('snat.yaml'), 'utf8').replace('      type: LoadBalancer\n', '      type: LoadBalancer\n      externalTrafficPolicy: Local\n');
    expect(text).toContain('externalTrafficPolicy: Local');
    writeFileSync(path, text);
    const cap = writeCapture(tmp.dir, 'etp.pcap', manyFlows(CLIENT4, VIP4, false));
    const out = join(tmp.dir, 'etp');
    const r = await replay(cap, await loadScenario(path), { out, responder: 'echo' });
    expect(r.summary.packets.dropped).toBe(0);
    expect(Object.keys(r.summary.flowsByBackend)).toEqual(['web-a']);
    for (const p of podReceived(out, r.controlPlane.hostByName.get('web-a')!)) expect(p.src).toBe(CLIENT4);
    for (const p of clientReceived(out, CLIENT4)) expect(p.src).toBe(VIP4);
  });
});

describe('Maglev with ClientIP affinity (maglev.yaml)', () => {
  it('sends all of a client’s flows to one active backend, chosen by the Maglev hash', async () => {
    const convs: Uint8Array[][] = [];
    for (let i = 0; i < 12; i++) convs.push(tcpConversation(CLIENT4, VIP4, 40000 + i, 80, false));
    for (let i = 0; i < 12; i++) convs.push(tcpConversation('203.0.113.8', VIP4, 40000 + i, 80, false));
    const { out, r } = await run('maglev.yaml', 'maglev', interleave(convs), 'echo');
    const scenario = await loadScenario(scenarioPath('maglev.yaml'));
    expect(r.summary.packets.dropped).toBe(0);
    // The terminating backend gets no new flows.
    expect(r.summary.flowsByBackend).not.toHaveProperty('pod-10.244.2.11');
    const byClient = new Map<string, Set<string>>();
    for (const f of readFlows(out)) {
      if (!f.backend || f.is_reply) continue;
      const ip = (f.IP as { source: string }).source;
      if (!byClient.has(ip)) byClient.set(ip, new Set());
      byClient.get(ip)!.add((f.backend as { pod: string }).pod);
      const sel = f.selection as { hash: number; slot: number } | undefined;
      if (sel) {
        const tcp = (f.l4 as { TCP: { source_port: number } }).TCP;
        const h = addon().maglevPacketHash(4, Buffer.from(ipBytes(ip)), tcp.source_port, 80, 6, true, 0, scenario.cilium.maglev.seedJhash0);
        expect(sel.hash).toBe(h);
        expect(sel.slot).toBe(h % scenario.cilium.maglev.tableSize);
      }
    }
    expect(byClient.size).toBe(2);
    for (const [, podsSeen] of byClient) expect(podsSeen.size).toBe(1);
  });
});

describe('responses', () => {
  it('echoes handshake, data and FIN from VIP:port (responder echo)', async () => {
    const { out, r } = await run('dsr.yaml', 'echo', tcpConversation(CLIENT4, VIP4, 40000, 80, false), 'echo');
    const got = clientReceived(out, CLIENT4);
    expect(r.summary.responses.made).toBe(got.length);
    expect(got.map((p) => (p.tcpFlags as number) & 0x13)).toEqual([0x12, 0x10, 0x11]);
    for (const p of got) expect([p.src, p.sport]).toEqual([VIP4, 80]);
  });

  it('sends nothing back with responder none', async () => {
    const { out, r } = await run('dsr.yaml', 'none', tcpConversation(CLIENT4, VIP4, 40000, 80, false), 'none');
    expect(r.summary.responses.made).toBe(0);
    expect(clientReceived(out, CLIENT4)).toEqual([]);
  });

  it('withholds server packets whose request never reached a pod, and says why', async () => {
    const packets = [
      ...tcpConversation(CLIENT4, CLUSTER_IP4, 42000, 80, true).slice(0, 2), // SYN (dropped), SYN-ACK
      ...tcpConversation(CLIENT4, VIP4, 43000, 80, true).slice(1, 2), // a SYN-ACK without its SYN
    ];
    const { r } = await run('snat.yaml', 'withheld', packets, 'capture');
    const s = r.summary;
    expect(s.withheld.count).toBe(2);
    expect(s.withheld.reasons).toEqual({
      'its request was dropped (DROP_IS_CLUSTER_IP)': 1,
      'no request of its flow came before it': 1,
    });
    expect(s.dropReasons).toEqual({ DROP_IS_CLUSTER_IP: 1, DSRLAB_WITHHELD: 2 });
    expect(s.comparison!.notDelivered).toBe(2);
  });
});
