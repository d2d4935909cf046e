// The control plane: Scenario → cluster config, hosts, routes, and each node's service tables
// (frontend kinds and SVC_FLAG_* bits, scopes for traffic policies, terminating backends,
// topology hints, Cluster Mesh), and the event log decoder. cilium-datapath.md §8.1, §8.5, §9, §12.
import { describe, expect, it } from 'vitest';
import { clusterConfig } from '../../src/datapath/config.js';
import {
  buildControlPlane,
  filterByZone,
  frontendForwarding,
  SCOPE_EXT,
  SCOPE_INT,
  SVC_FLAG,
  SVC_FLAG2,
  type ControlPlane,
  type FrontendInfo,
} from '../../src/datapath/control-plane.js';
import { decodeEvents, EVENT_SIZE, MADE_PACKET_ID_BASE } from '../../src/datapath/events.js';
import { loadScenario, scenarioFromObject } from '../../src/scenario/index.js';
import type { Backend } from '../../src/scenario/types.js';
import { baseScenario, setPath } from '../scenario/helpers.js';
import { scenarioPath } from '../replay/helpers.js';

function build(obj: Record<string, any>, responder: 'capture' | 'echo' | 'none' = 'echo'): ControlPlane {
  return buildControlPlane(scenarioFromObject(obj, 'test.yaml', '/tmp'), { responder });
}

function fe(cp: ControlPlane, kind: FrontendInfo['kind'], extra: Partial<FrontendInfo> = {}): FrontendInfo {
  const all = [...cp.frontends.values()].filter((f) => f.kind === kind && Object.entries(extra).every(([k, v]) => (f as any)[k] === v));
  expect(all.length, `${kind} ${JSON.stringify(extra)}`).toBe(1);
  return all[0]!;
}

function slotsOf(cp: ControlPlane, f: FrontendInfo, node: string, scope = SCOPE_EXT): string[] {
  const e = cp.installed.filter((i) => i.revNatIndex === f.revNatIndex && i.node === node && i.scope === scope);
  expect(e.length, `${node} scope ${scope}`).toBe(1);
  return e[0]!.slots.map((id) => cp.backends.get(id)!.pod).sort();
}

describe('cluster config', () => {
  it('maps Helm values and the version profile to the C numbers', async () => {
    const s = await loadScenario(scenarioPath('maglev.yaml'));
    const c = clusterConfig(s, { responder: 'capture' });
    expect(c).toMatchObject({ mode: 1, dispatch: 0, accel: 0, rejectNoBackend: true, natPortMin: 32768, natPortMax: 65535, responder: 2, seed: 1 });
    expect(c.lb).toEqual({ maxServices: 65536, maglevM: 251, seedJhash0: s.cilium.maglev.seedJhash0, seedJhash1: s.cilium.maglev.seedJhash1, defaultAlgorithm: 2 });
    expect(c.profile).toEqual({ era: 1, icmpToVipDrop: true, ipv6FragTracking: true, optOrder: 1, perServiceFwdMode: true, snatClampClosed: true, snatRetries: 32, maglevHash: 0 });
    expect(clusterConfig(s, { responder: 'none', mode: 'hybrid' }).mode).toBe(2);
    const o = baseScenario();
    setPath(o, 'cilium.version', '1.15');
    const old = scenarioFromObject(o, 't.yaml', '/tmp');
    expect(clusterConfig(old, { responder: 'echo' }).profile).toEqual({ era: 0, icmpToVipDrop: false, ipv6FragTracking: false, optOrder: 0, perServiceFwdMode: false, snatClampClosed: false, snatRetries: 128, maglevHash: 1 });
    expect(clusterConfig(old, { responder: 'echo' }).rejectNoBackend).toBe(false);
  });
});

describe('hosts and routes', () => {
  it('adds nodes, clients, world, then pods, and keeps the name tables', async () => {
    const cp = buildControlPlane(await loadScenario(scenarioPath('snat.yaml')), { responder: 'echo' });
    expect(cp.hosts.map((h) => `${h.kind}:${h.name}`)).toEqual([
      'node:node-a', 'node:node-b', 'node:node-c', 'client:client-1', 'client:world', 'pod:web-b', 'pod:web-c', 'pod:web-a',
    ]);
    expect(cp.hosts[cp.world]!.world).toBe(true);
    expect(cp.hostByAddress.get('10.244.1.10')).toBe(cp.hostByName.get('web-b')!.id);
    expect(cp.hostByName.get('web-b')!.node).toBe('node-b');
    expect([...cp.serviceAddresses].sort()).toEqual(['10.96.0.50', '198.51.100.10']);
    expect([...cp.nodePortAddresses].sort()).toEqual(['192.168.10.11', '192.168.10.12', '192.168.10.13']);
  });
});

describe('service tables', () => {
  it('installs each frontend type with Cilium’s flags on every node (snat.yaml)', async () => {
    const cp = buildControlPlane(await loadScenario(scenarioPath('snat.yaml')), { responder: 'echo' });
    const lb = fe(cp, 'LoadBalancer', { port: 80 });
    expect(lb.flags).toBe(SVC_FLAG.LOADBALANCER | SVC_FLAG.ROUTABLE);
    expect(lb.flags2).toBe(0);
    const cip = fe(cp, 'ClusterIP', { port: 80 });
    expect(cip.flags).toBe(0); // not routable without bpf.lbExternalClusterIP
    const np = fe(cp, 'NodePort', { port: 30080, node: 'node-b' });
    expect(np.address).toBe('192.168.10.12');
    expect(np.flags).toBe(SVC_FLAG.NODEPORT | SVC_FLAG.ROUTABLE);
    // NodePort frontends live on their own node only; the others on every node.
    expect(cp.installed.filter((i) => i.revNatIndex === np.revNatIndex).map((i) => i.node)).toEqual(['node-b']);
    for (const n of ['node-a', 'node-b', 'node-c']) expect(slotsOf(cp, lb, n)).toEqual(['web-a', 'web-b', 'web-c']);
    // Every frontend has its own reverse-NAT index.
    const ids = [...cp.frontends.keys()];
    expect(new Set(ids).size).toBe(ids.length);
    // 1.19: a "known VIP, unknown port" wildcard entry per LoadBalancer IP.
    expect(fe(cp, 'Wildcard').port).toBe(0);
  });

  it('marks DSR frontends: all in dsr mode, TCP only in hybrid', async () => {
    const dsr = buildControlPlane(await loadScenario(scenarioPath('dsr.yaml')), { responder: 'echo' });
    for (const f of dsr.frontends.values()) if (f.kind !== 'Wildcard') expect(f.flags2 & SVC_FLAG2.FWD_MODE_DSR, `${f.kind} ${f.port}`).toBeTruthy();
    const hybrid = buildControlPlane(await loadScenario(scenarioPath('hybrid.yaml')), { responder: 'echo' });
    for (const f of hybrid.frontends.values()) {
      if (f.kind === 'Wildcard') continue;
      expect(Boolean(f.flags2 & SVC_FLAG2.FWD_MODE_DSR), `${f.kind} ${f.protocol}`).toBe(f.protocol === 'TCP');
    }
  });

  it('follows the forwarding-mode annotation where the version honours it', () => {
    const o = baseScenario();
    setPath(o, 'cilium.loadBalancer.mode', 'snat');
    setPath(o, 'cilium.bpf.lbModeAnnotation', true);
    setPath(o, 'cilium.loadBalancer.dsrDispatch', 'ipip');
    setPath(o, 'objects[0].metadata.annotations', { 'service.cilium.io/forwarding-mode': 'dsr' });
    const s = scenarioFromObject(o, 't.yaml', '/tmp');
    expect(frontendForwarding(s.services[0]!, 'snat', 'UDP')).toBe('dsr');
    const cp = buildControlPlane(s, { responder: 'echo' });
    expect(fe(cp, 'LoadBalancer').flags2 & SVC_FLAG2.FWD_MODE_DSR).toBeTruthy();
  });

  it('externalTrafficPolicy=Local: node-local backends in the EXT scope, all in a second INT scope', () => {
    const o = baseScenario();
    setPath(o, 'objects[0].spec.externalTrafficPolicy', 'Local');
    const cp = build(o);
    const lb = fe(cp, 'LoadBalancer');
    expect(lb.flags & SVC_FLAG.EXT_LOCAL_SCOPE).toBeTruthy();
    expect(lb.flags2 & SVC_FLAG2.TWO_SCOPES).toBeTruthy();
    expect(slotsOf(cp, lb, 'node-a')).toEqual(['pod-10.244.0.10']);
    expect(slotsOf(cp, lb, 'node-b')).toEqual(['pod-10.244.1.10']);
    expect(slotsOf(cp, lb, 'node-a', SCOPE_INT)).toEqual(['pod-10.244.0.10', 'pod-10.244.1.10']);
    // The ClusterIP frontend follows internalTrafficPolicy (Cluster): all backends, one scope.
    const cip = fe(cp, 'ClusterIP');
    expect(slotsOf(cp, cip, 'node-a')).toEqual(['pod-10.244.0.10', 'pod-10.244.1.10']);
    expect(cp.installed.filter((i) => i.revNatIndex === cip.revNatIndex && i.scope === SCOPE_INT)).toEqual([]);
  });

  it('internalTrafficPolicy=Local: the ClusterIP holds node-local backends only', () => {
    const o = baseScenario();
    setPath(o, 'objects[0].spec.internalTrafficPolicy', 'Local');
    const cp = build(o);
    const cip = fe(cp, 'ClusterIP');
    expect(cip.flags2 & SVC_FLAG2.INT_LOCAL_SCOPE).toBeTruthy();
    expect(slotsOf(cp, cip, 'node-b')).toEqual(['pod-10.244.1.10']);
    const lb = fe(cp, 'LoadBalancer');
    expect(slotsOf(cp, lb, 'node-b')).toEqual(['pod-10.244.0.10', 'pod-10.244.1.10']);
    expect(slotsOf(cp, lb, 'node-b', SCOPE_INT)).toEqual(['pod-10.244.1.10']);
  });

  it('keeps terminating backends out of the slots but in the backend map; skips not-ready ones', async () => {
    const cp = buildControlPlane(await loadScenario(scenarioPath('maglev.yaml')), { responder: 'echo' });
    const lb = fe(cp, 'LoadBalancer');
    const e = cp.installed.find((i) => i.revNatIndex === lb.revNatIndex && i.node === 'node-a')!;
    expect(e.slots.map((id) => cp.backends.get(id)!.address).sort()).toEqual(['10.244.0.10', '10.244.1.10', '10.244.1.11', '10.244.2.10']);
    expect(e.terminating.map((id) => cp.backends.get(id)!.address)).toEqual(['10.244.2.11']);
    expect(lb.flags & SVC_FLAG.AFFINITY).toBeTruthy();
    const o = baseScenario();
    setPath(o, 'objects[1].endpoints[0].conditions', { ready: false });
    const cp2 = build(o);
    expect(slotsOf(cp2, fe(cp2, 'LoadBalancer'), 'node-a')).toEqual(['pod-10.244.0.10']);
  });

  it('filters by topology hints with loadBalancer.serviceTopology when every endpoint has hints', () => {
    const o = baseScenario();
    setPath(o, 'cilium.loadBalancer.serviceTopology', true);
    setPath(o, 'nodes[0].zone', 'zone-a');
    setPath(o, 'nodes[1].zone', 'zone-b');
    setPath(o, 'objects[1].endpoints[0].hints', { forZones: [{ name: 'zone-b' }] });
    setPath(o, 'objects[1].endpoints[1].hints', { forZones: [{ name: 'zone-a' }] });
    const cp = build(o);
    const lb = fe(cp, 'LoadBalancer');
    expect(slotsOf(cp, lb, 'node-a')).toEqual(['pod-10.244.0.10']);
    expect(slotsOf(cp, lb, 'node-b')).toEqual(['pod-10.244.1.10']);
    setPath(o, 'cilium.loadBalancer.serviceTopology', false);
    const off = build(o);
    expect(slotsOf(off, fe(off, 'LoadBalancer'), 'node-a')).toEqual(['pod-10.244.0.10', 'pod-10.244.1.10']);
  });

  it.each([
    ['no hints anywhere', [[], []], ['a', 'b']],
    ['one endpoint without hints', [['zone-a'], []], ['a', 'b']],
    ['hinted for the zone', [['zone-a'], ['zone-b']], ['a']],
    ['none hinted for the zone (fallback: all)', [['zone-b'], ['zone-b']], ['a', 'b']],
  ])('filterByZone: %s', (_d, hints, expected) => {
    const bs = (hints as string[][]).map((z, i) => ({ pod: i === 0 ? 'a' : 'b', forZones: z }) as unknown as Backend);
    expect(filterByZone(bs, 'zone-a', true).map((b) => b.pod)).toEqual(expected);
  });
});

describe('event log', () => {
  it('decodes struct dl_event (64 bytes, offsets of cluster.h)', () => {
    const b = Buffer.alloc(2 * EVENT_SIZE);
    b.writeUInt32LE(MADE_PACKET_ID_BASE + 1, 64);
    b.writeUInt32LE(7, 68);
    b.writeBigInt64LE(1_700_000_000n, 72);
    b.writeUInt32LE(123456789, 80);
    b.writeUInt32LE(3, 84);
    b.writeUInt32LE(0xffffffff, 88);
    b[92] = 10; // STACK
    b[93] = 5; // DROPPED
    b.writeUInt16LE(0x11, 94);
    b.writeInt32LE(-158, 96);
    b.writeUInt32LE(100, 100);
    b.writeUInt32LE(60, 104);
    b.writeUInt32LE(4, 108);
    b.writeUInt32LE(99, 112);
    b.writeUInt32LE(5, 116);
    b.writeUInt32LE(40000, 120);
    b[28] = 1; // WIRE_TX, SEEN
    const [e0, e1] = decodeEvents(b);
    expect(e0).toMatchObject({ point: 'WIRE_TX', verdict: 'SEEN', host: 0, peer: 0, final: false });
    expect(e1).toMatchObject({
      pkt: MADE_PACKET_ID_BASE + 1, parent: 7, tsSec: 1_700_000_000, tsNsec: 123456789, host: 3, peer: null,
      point: 'STACK', verdict: 'DROPPED', reply: true, final: true, dsr: false, drop: -158, off: 100, len: 60,
      backend: 4, hash: 99, slot: 5, natPort: 40000,
    });
    expect(() => decodeEvents(Buffer.alloc(10))).toThrow(/multiple of 64/);
  });
});
