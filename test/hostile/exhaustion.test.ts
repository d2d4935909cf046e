// Exhaustion as Cilium behaves, through `dsrlab replay` (issue #7, part 3): with tiny map sizes
// in the scenario, a full conntrack or NAT map evicts its least recently used entries (LRU, as
// the kernel does: counted, no drop); running out of SNAT ports is DROP_NAT_NO_MAPPING; a full
// fragment map evicts datagrams whose later fragments are then DROP_FRAG_NOT_FOUND. Each is
// counted in summary.json (dropReasons, maps) and shown in the terminal summary.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPacket, fragmentIPv4 } from '../../src/packet/build.js';
import { pcapBytes } from '../../src/capture/pcap-writer.js';
import type { ReplaySummary } from '../../src/replay.js';
import { runCli, tempDir } from '../helpers.js';

const CLIENT = { ip: '203.0.113.7', mac: '02:00:cb:00:71:07' };
const VIP = { ip: '198.51.100.10', mac: '02:00:c0:a8:0a:0b' };

/** One LB node (node-a), one backend on node-b; `bpf` and `nodePort` lines are the knobs. */
function scenario(extra: string): string {
  return `cilium:
  version: "1.19"
  kubeProxyReplacement: true
  routingMode: native
  autoDirectNodeRoutes: true
  loadBalancer: {mode: snat, algorithm: random}
${extra}
cluster: {name: lab, id: 1}
seed: 1
nodes:
  - {name: node-a, ipv4: 192.168.10.11}
  - {name: node-b, ipv4: 192.168.10.12}
clients:
  - {name: client-1, ipv4: ${CLIENT.ip}}
frontends:
  - {address: ${VIP.ip}, node: node-a}
objects:
  - apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: default}
    spec:
      type: LoadBalancer
      clusterIP: 10.96.0.50
      ports:
        - {name: http, protocol: TCP, port: 80, targetPort: 8080}
        - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
    status: {loadBalancer: {ingress: [{ip: ${VIP.ip}}]}}
  - apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
    addressType: IPv4
    ports:
      - {name: http, protocol: TCP, port: 8080}
      - {name: dns, protocol: UDP, port: 5353}
    endpoints:
      - {addresses: [10.244.1.10], conditions: {ready: true}, nodeName: node-b, targetRef: {kind: Pod, name: web-b}}
`;
}

const eth = { src: CLIENT.mac, dst: VIP.mac };
const at = (i: number) => ({ sec: 1_700_000_000, nsec: i * 1000 }); // 1 µs apart: no agent GC runs
const syn = (sport: number) => buildPacket({ eth, ipv4: { src: CLIENT.ip, dst: VIP.ip }, tcp: { sport, dport: 80, flags: 'S', seq: 1 } });
const udp = (sport: number) => buildPacket({ eth, ipv4: { src: CLIENT.ip, dst: VIP.ip, df: false }, udp: { sport, dport: 53 }, payload: 32 });

describe('exhaustion through dsrlab replay', () => {
  const t = tempDir('dsrlab-exhaust-');
  afterAll(() => t.cleanup());

  function replay(name: string, yaml: string, frames: Uint8Array[]): { summary: ReplaySummary; stdout: string } {
    const s = join(t.dir, `${name}.yaml`);
    const c = join(t.dir, `${name}.pcap`);
    const out = join(t.dir, `${name}-out`);
    writeFileSync(s, yaml);
    writeFileSync(c, pcapBytes(frames.map((data, i) => ({ ts: at(i), data }))));
    const r = runCli(['replay', c, '--scenario', s, '--responder', 'none', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    return { summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as ReplaySummary, stdout: r.stdout };
  }

  describe('conntrack map full: LRU eviction, counted, no drop', () => {
    let res: { summary: ReplaySummary; stdout: string };
    beforeAll(() => {
      // 3000 SYNs of distinct flows into a 1024-entry TCP conntrack map (Cilium's LimitTableMin).
      res = replay('ct', scenario('  bpf: {ctTcpMax: 1024, ctAnyMax: 1024}'), Array.from({ length: 3000 }, (_, i) => syn(10000 + i)));
    });
    it('every SYN is delivered: a full LRU map makes room, it does not refuse', () => {
      expect(res.summary.packets).toMatchObject({ in: 3000, delivered: 3000, dropped: 0, unaccounted: 0 });
      expect(res.summary.dropReasons).toEqual({});
    });
    it('summary.json counts the evictions and the map stays at its size', () => {
      const ct = res.summary.maps.nodes['node-a']!['cilium_ct4_global']!;
      expect(ct.maxEntries).toBe(1024);
      expect(ct.entries).toBe(1024);
      expect(ct.evictions).toBeGreaterThan(0);
      expect(res.summary.maps.evictions['cilium_ct4_global']).toBeGreaterThanOrEqual(ct.evictions);
      // Cilium's default sizes where the scenario says nothing.
      expect(res.summary.maps.nodes['node-a']!['cilium_ipv4_frag_datagrams']!.maxEntries).toBe(8192);
    });
    it('the terminal summary shows the map and its evictions', () => {
      expect(res.stdout).toMatch(/node-a\s+cilium_ct4_global\s+1,024\s+1,024\s+[\d,]+/);
    });
  });

  describe('NAT map full: LRU eviction, counted', () => {
    it('2000 SNAT flows through a 1024-entry NAT map evict the oldest mappings, and no packet is dropped', () => {
      const { summary } = replay('nat', scenario('  bpf: {ctTcpMax: 4096, ctAnyMax: 4096, natMax: 1024}'), Array.from({ length: 2000 }, (_, i) => udp(10000 + i)));
      expect(summary.packets).toMatchObject({ in: 2000, delivered: 2000, dropped: 0 });
      const nat = summary.maps.nodes['node-a']!['cilium_snat_v4_external']!;
      expect(nat.maxEntries).toBe(1024);
      expect(nat.evictions).toBeGreaterThan(0);
      expect(summary.maps.snatNoMapping).toBe(0);
    });
  });

  describe('SNAT ports exhausted: DROP_NAT_NO_MAPPING', () => {
    let res: { summary: ReplaySummary; stdout: string };
    beforeAll(() => {
      // nodePort.range up to 65534 leaves one SNAT port (65535) per (node address, backend) pair.
      res = replay('ports', scenario('  nodePort: {range: "30000,65534"}'), [udp(40000), udp(40001), udp(40002)]);
    });
    it('the first flow gets the port; the others are counted drops, never a collision', () => {
      expect(res.summary.packets).toMatchObject({ in: 3, delivered: 1, dropped: 2, unaccounted: 0 });
      expect(res.summary.dropReasons).toEqual({ DROP_NAT_NO_MAPPING: 2 });
      expect(res.summary.drops[0]).toMatchObject({ reason: 'DROP_NAT_NO_MAPPING', code: 167, count: 2 });
      expect(res.summary.maps.snatNoMapping).toBe(2);
    });
    it('the terminal summary names the drop and the exhaustion', () => {
      expect(res.stdout).toMatch(/DROP_NAT_NO_MAPPING\s+167\s+2/);
      expect(res.stdout).toContain('SNAT ports');
    });
  });

  describe('fragment map full: evicted datagrams lose their later fragments', () => {
    let res: { summary: ReplaySummary; stdout: string };
    beforeAll(() => {
      // 300 first fragments into a 256-entry map (FragmentsMapMin), then the 300 later ones.
      const frags = Array.from({ length: 300 }, (_, i) =>
        fragmentIPv4(buildPacket({ eth, ipv4: { src: CLIENT.ip, dst: VIP.ip, id: 1000 + i, df: false }, udp: { sport: 20000 + i, dport: 53 }, payload: 2000 }), 1480),
      );
      res = replay('frag', scenario('  bpf: {fragmentsMapMax: 256}'), [...frags.map((f) => f[0]!), ...frags.map((f) => f[1]!)]);
    });
    it('the 44 oldest datagrams were evicted: their later fragments are DROP_FRAG_NOT_FOUND', () => {
      expect(res.summary.packets).toMatchObject({ in: 600, dropped: 44, delivered: 556, unaccounted: 0 });
      expect(res.summary.dropReasons).toEqual({ DROP_FRAG_NOT_FOUND: 44 });
      const frag = res.summary.maps.nodes['node-a']!['cilium_ipv4_frag_datagrams']!;
      expect(frag).toMatchObject({ maxEntries: 256, entries: 256, evictions: 44 });
    });
    it('the terminal summary shows the drop and the evictions', () => {
      expect(res.stdout).toMatch(/DROP_FRAG_NOT_FOUND\s+175\s+44/);
      expect(res.stdout).toMatch(/node-a\s+cilium_ipv4_frag_datagrams\s+256\s+256\s+44/);
    });
  });
});
