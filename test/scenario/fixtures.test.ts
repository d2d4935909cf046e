/**
 * fixtures.test.ts: every scenario in fixtures/scenarios/ loads, has the shape the mode needs
 * (Service + EndpointSlice, a NodePort, a LoadBalancer IP, backends on the LB node and on
 * others), and survives being written out and read back unchanged.
 */

import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { formatScenario, loadScenario, parseScenario } from '../../src/scenario/index.js';
import type { Scenario } from '../../src/scenario/index.js';
import { withoutFile } from './helpers.js';

const dir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

const fixtures = [
  { file: 'snat.yaml', mode: 'snat', dispatch: 'opt', family: 4 },
  { file: 'dsr.yaml', mode: 'dsr', dispatch: 'opt', family: 4 },
  { file: 'hybrid.yaml', mode: 'hybrid', dispatch: 'opt', family: 4 },
  { file: 'dsr-ipv6.yaml', mode: 'dsr', dispatch: 'opt', family: 6 },
  { file: 'dsr-geneve.yaml', mode: 'dsr', dispatch: 'geneve', family: 4 },
  { file: 'maglev.yaml', mode: 'dsr', dispatch: 'opt', family: 4 },
] as const;

function lbNodeOf(s: Scenario, address: string): string | undefined {
  return s.frontends.find((f) => f.address === address)?.node;
}

describe.each(fixtures)('fixture $file', ({ file, mode, dispatch, family }) => {
  it('loads with the intended mode and dispatch', async () => {
    const s = await loadScenario(dir + file);
    expect(s.cilium.loadBalancer.mode).toBe(mode);
    expect(s.cilium.loadBalancer.dsrDispatch).toBe(dispatch);
    expect(s.cilium.derived.usesDsr).toBe(mode !== 'snat');
    expect(s.profile.version).toBe(s.cilium.version);
  });

  it('has a LoadBalancer Service with a NodePort, a LoadBalancer IP and backends on several nodes, one of them the LB node', async () => {
    const s = await loadScenario(dir + file);
    const svc = s.services.find((x) => x.type === 'LoadBalancer')!;
    expect(svc).toBeDefined();
    expect(s.endpointSlices.some((e) => e.service === svc.key)).toBe(true);
    expect(svc.loadBalancerIPs.length).toBeGreaterThan(0);
    expect(svc.loadBalancerIPs.every((a) => (family === 6 ? a.includes(':') : !a.includes(':')))).toBe(true);
    const port = svc.ports[0]!;
    expect(port.nodePort).toBeGreaterThanOrEqual(s.cilium.nodePort.min);
    expect(port.nodePort).toBeLessThanOrEqual(s.cilium.nodePort.max);
    const backendNodes = new Set(port.backends.map((b) => b.nodeName));
    expect(backendNodes.size).toBeGreaterThanOrEqual(2);
    const lbNode = lbNodeOf(s, svc.loadBalancerIPs[0]!);
    if (lbNode && lbNode !== 'ecmp') {
      expect(backendNodes.has(lbNode), 'a backend on the LB node').toBe(true);
      expect([...backendNodes].some((n) => n !== lbNode), 'a backend elsewhere').toBe(true);
    }
    for (const b of port.backends) {
      const pod = s.pods.find((p) => p.name === b.pod)!;
      expect(pod, `pod ${b.pod}`).toBeDefined();
      expect(pod.node).toBe(b.nodeName);
      expect(family === 4 ? pod.ipv4 : pod.ipv6).toBe(b.address);
    }
  });

  it('round-trips through formatScenario unchanged', async () => {
    const s = await loadScenario(dir + file);
    const again = parseScenario(formatScenario(s), 'effective.yaml', dir);
    expect(withoutFile(again)).toEqual(withoutFile(s));
  });
});

describe('fixture details', () => {
  it('dsr.yaml reads its objects from objects/web-v4.yaml, relative to the scenario', async () => {
    const s = await loadScenario(dir + 'dsr.yaml');
    expect(s.services.map((x) => x.key)).toEqual(['default/web']);
    expect(s.services[0]!.clusterIPs).toEqual(['10.96.0.50']);
    expect(s.pods.map((p) => p.name).sort()).toEqual(['web-a', 'web-b', 'web-c']);
    expect(s.cilium.derived.dsrIcmpErrors).toBe(true);
  });

  it('hybrid.yaml maps the legacy tunnel: disabled to native routing and keeps an explicit MAC', async () => {
    const s = await loadScenario(dir + 'hybrid.yaml');
    expect(s.cilium.routingMode).toBe('native');
    expect(s.clients[0]!.mac).toBe('02:00:cb:00:71:07');
    expect(s.services[0]!.cilium.forwardingMode).toBe('hybrid');
  });

  it('dsr-ipv6.yaml is IPv6 only, with compressed addresses and pod names from addresses', async () => {
    const s = await loadScenario(dir + 'dsr-ipv6.yaml');
    expect(s.cilium.ipv4.enabled).toBe(false);
    expect(s.nodes.every((n) => n.ipv4 === undefined && n.ipv6)).toBe(true);
    const b = s.services[0]!.ports[0]!.backends.map((x) => x.pod);
    expect(b).toEqual(['pod-fd00-10-244-1--a', 'pod-fd00-10-244-2--a', 'pod-fd00-10-244--a']);
    expect(s.services[0]!.ipFamilies).toEqual([6]);
  });

  it('dsr-geneve.yaml is tunnel mode with geneve, and allocates the ClusterIP and the second NodePort', async () => {
    const s = await loadScenario(dir + 'dsr-geneve.yaml');
    expect(s.cilium.routingMode).toBe('tunnel');
    expect(s.cilium.tunnelProtocol).toBe('geneve');
    const svc = s.services[0]!;
    expect(svc.clusterIPs).toEqual(['10.96.0.1']);
    expect(svc.ports.map((p) => p.nodePort)).toEqual([30080, 30000]);
  });

  it('maglev.yaml has the custom seed decoded, ClientIP affinity and one terminating backend', async () => {
    const s = await loadScenario(dir + 'maglev.yaml');
    expect(s.cilium.maglev).toMatchObject({ tableSize: 251, seedMurmur: 0x01020304, seedJhash0: 0x05060708, seedJhash1: 0x090a0b0c });
    const svc = s.services[0]!;
    expect(svc.sessionAffinity).toBe('ClientIP');
    expect(svc.sessionAffinityTimeout).toBe(600);
    const states = svc.ports[0]!.backends.map((b) => b.state);
    expect(states.filter((x) => x === 'terminating')).toHaveLength(1);
    expect(states).toHaveLength(5);
    expect(s.frontends[0]!.node).toBe('ecmp');
  });
});
