/**
 * load.test.ts: reading scenarios: object files (multi-document, List), inline objects, plain
 * objects, the --mode override, defaults, and where errors in object files are reported.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { InputError } from '../../src/errors.js';
import { loadScenario, parseScenario, scenarioFromObject } from '../../src/scenario/index.js';
import { baseScenario, expectInputError, parseObject, withoutFile } from './helpers.js';

function tmp(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'dsrlab-scn-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const minimal = 'nodes:\n  - {name: node-a, ipv4: 192.168.10.11}\n';

describe('defaults', () => {
  it('an almost empty scenario takes Cilium\'s defaults for the newest version', () => {
    const s = parseScenario(minimal, 'm.yaml', '.');
    expect(s.cilium).toMatchObject({
      version: '1.19',
      kubeProxyReplacement: true,
      ipv4: { enabled: true },
      ipv6: { enabled: false },
      serviceNoBackendResponse: 'reject',
      routingMode: 'tunnel',
      tunnelProtocol: 'vxlan',
      autoDirectNodeRoutes: false,
      loadBalancer: { mode: 'snat', dsrDispatch: 'opt', algorithm: 'random', acceleration: 'disabled', serviceTopology: false },
      maglev: { tableSize: 16381, hashSeed: 'JLfvgnHc2kaSUFaI', seedMurmur: 0x24b7ef82, seedJhash0: 1910299206, seedJhash1: 2454738568 },
      bpf: { lbExternalClusterIP: false, ctTcpMax: 524288, ctAnyMax: 262144, natMax: 524288, neighMax: 524288, lbMapMax: 65536 },
      socketLB: { enabled: true, hostNamespaceOnly: false },
      nodePort: { range: '30000,32767', min: 30000, max: 32767 },
      pmtuDiscovery: { enabled: false },
      MTU: 1500,
      derived: { usesDsr: false, dsrIcmpErrors: false, snatPortMin: 32768, snatPortMax: 65535 },
    });
    expect(s.cluster).toEqual({ name: 'default', id: 0 });
    expect(s.seed).toBe(1);
    expect(s.nodes[0]).toEqual({ name: 'node-a', ipv4: '192.168.10.11', mac: '02:66:57:0f:f0:5a', mtu: 1500 });
    expect(s.world).toMatchObject({ name: 'world', mtu: 1500 });
    expect(s.world.mac).toMatch(/^02:/);
    expect(s.clients).toEqual([]);
    expect(s.services).toEqual([]);
  });

  it('Cilium 1.15 drops when a Service has no backend', () => {
    const s = parseScenario(`cilium: {version: "1.15"}\n${minimal}`, 'm.yaml', '.');
    expect(s.cilium.serviceNoBackendResponse).toBe('drop');
    expect(s.profile.dsr.ipv4OptionByteOrder).toBe('host-swapped');
  });

  it('a patch version selects its minor', () => {
    expect(parseScenario(`cilium: {version: "v1.16.3"}\n${minimal}`, 'm.yaml', '.').cilium.version).toBe('1.16');
  });

  it('nodePort.range also takes min-max and moves the SNAT port range', () => {
    const s = parseScenario(`cilium: {nodePort: {range: "31000-31999"}}\n${minimal}`, 'm.yaml', '.');
    expect(s.cilium.nodePort).toEqual({ range: '31000,31999', min: 31000, max: 31999 });
    expect(s.cilium.derived.snatPortMin).toBe(32000);
  });

  it('socketLB.hostNamespaceOnly is cleared when socket LB is off, as the agent does', () => {
    const s = parseScenario(`cilium: {socketLB: {enabled: false, hostNamespaceOnly: true}}\n${minimal}`, 'm.yaml', '.');
    expect(s.cilium.socketLB).toEqual({ enabled: false, hostNamespaceOnly: false });
  });
});

describe('objects', () => {
  it('reads a multi-document file with a List, relative to the scenario, and reports errors in it by file, line and document', async () => {
    const base = baseScenario();
    const [svc, slice] = base['objects'] as unknown[];
    const d = tmp({
      'objs.yaml': `${stringify(svc)}---\n${stringify({ apiVersion: 'v1', kind: 'List', items: [slice] })}`,
      'scn.yaml': stringify({ ...base, objects: [{ file: 'objs.yaml' }] }),
    });
    const s = await loadScenario(join(d, 'scn.yaml'));
    expect(s.services[0]!.ports[0]!.backends.map((b) => b.pod)).toEqual(['pod-10.244.1.10', 'pod-10.244.0.10']);
    expect(withoutFile(s)).toEqual(withoutFile(parseObject(base)));

    const bad = { ...(slice as Record<string, any>), endpoints: [{ addresses: ['10.244.1.10'], nodeName: 'nodeb' }] };
    writeFileSync(join(d, 'objs.yaml'), `${stringify(svc)}---\n${stringify({ apiVersion: 'v1', kind: 'List', items: [bad] })}`);
    const err = await loadScenario(join(d, 'scn.yaml')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    const ie = err as InputError;
    expect(ie.location.file).toBe(join(d, 'objs.yaml'));
    expect(ie.location.keyPath).toBe('objects[0]#1.items[0].endpoints[0].nodeName');
    expect(ie.detail).toContain('did you mean "node-b"');
    expect(ie.location.line).toBeGreaterThan(1);
  });

  it('a missing objects file is an InputError at objects[i].file', () => {
    const base = baseScenario();
    base['objects'] = [{ file: 'nope.yaml' }];
    const err = expectInputError(() => parseScenario(stringify(base), 's.yaml', tmp({})), 'objects[0].file', ['cannot read objects file', 'no such file']);
    expect(err.location.file).toBe('s.yaml');
  });

  it('a file reference takes only file:', () => {
    const base = baseScenario();
    base['objects'] = [{ file: 'x.yaml', kind: 'Service' }];
    expectInputError(() => parseObject(base), 'objects[0].kind', ['unknown key "kind"']);
  });

  it('a missing scenario file is an InputError naming it', async () => {
    await expect(loadScenario('/nonexistent/dir/s.yaml')).rejects.toMatchObject({ name: 'InputError', location: { file: '/nonexistent/dir/s.yaml' } });
  });

  it('a scenario file with two documents is refused', () => {
    expectInputError(() => parseScenario(`${minimal}---\n${minimal}`, 's.yaml', '.'), undefined, ['one YAML document']);
  });

  it('plain objects validate the same way as their YAML text', () => {
    const base = baseScenario();
    expect(withoutFile(scenarioFromObject(base, 'obj', '.'))).toEqual(withoutFile(parseObject(base)));
  });

  it('NodePorts and ClusterIPs left out are allocated deterministically (lowest free)', () => {
    const base = baseScenario();
    base['objects'].push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { type: 'NodePort', ports: [{ port: 443 }, { name: 'x', port: 444 }].map((p, i) => ({ ...p, name: `p${i}` })) } });
    base['objects'][0].spec.ports[0].nodePort = 30000;
    const s = parseObject(base);
    const api = s.services.find((x) => x.name === 'api')!;
    expect(api.ports.map((p) => p.nodePort)).toEqual([30001, 30002]);
    expect(s.services[0]!.clusterIPs).toEqual(['10.96.0.1']);
    expect(api.clusterIPs).toEqual(['10.96.0.2']);
  });

  it('an endpoint at its own node\'s address is a host-network backend, not a pod', () => {
    const base = baseScenario();
    base['objects'][1].endpoints[0].addresses = ['192.168.10.12'];
    const s = parseObject(base);
    expect(s.pods.map((p) => p.name)).toEqual(['pod-10.244.0.10']);
    expect(s.services[0]!.ports[0]!.backends[0]!.address).toBe('192.168.10.12');
  });

  it('not-ready endpoints are skipped unless serving and terminating', () => {
    const base = baseScenario();
    base['objects'][1].endpoints[0].conditions = { ready: false };
    base['objects'][1].endpoints[1].conditions = { ready: false, serving: true, terminating: true };
    const p = parseObject(base).services[0]!.ports[0]!;
    expect(p.backends.map((b) => [b.address, b.state])).toEqual([['10.244.0.10', 'terminating']]);
    expect(p.skipped).toEqual([{ address: '10.244.1.10', pod: 'pod-10.244.1.10', slice: 'default/web-1', reason: 'not ready' }]);
  });

  it('interprets Cilium annotations in both spellings, and the forwarding-mode annotation only in annotation mode', () => {
    const base = baseScenario();
    base['objects'][0].metadata.annotations = {
      'io.cilium/global-service': 'true',
      'service.cilium.io/shared': 'False',
      'io.cilium/service-affinity': 'local',
      'service.cilium.io/forwarding-mode': 'snat',
    };
    let svc = parseObject(base).services[0]!;
    expect(svc.cilium).toMatchObject({ global: true, shared: false, affinity: 'local', forwardingMode: 'dsr', forwardingModeFromAnnotation: false });
    base['cilium'].bpf = { lbModeAnnotation: true };
    base['cilium'].loadBalancer = { mode: 'dsr', dsrDispatch: 'opt' };
    svc = parseObject(base).services[0]!;
    expect(svc.cilium).toMatchObject({ forwardingMode: 'snat', forwardingModeFromAnnotation: true });
  });

  it('remote-cluster endpoints carry their cluster ID and make no pods', () => {
    const base = baseScenario();
    base['objects'].push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-remote', labels: { 'kubernetes.io/service-name': 'web' }, annotations: { 'dsrlab.io/cluster-id': '7' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ addresses: ['10.244.1.10'], nodeName: 'far-node' }],
    });
    const s = parseObject(base);
    expect(s.services[0]!.ports[0]!.backends.map((b) => [b.address, b.clusterId])).toEqual([
      ['10.244.1.10', 0],
      ['10.244.0.10', 0],
      ['10.244.1.10', 7],
    ]);
    expect(s.pods).toHaveLength(2);
  });

  it('dual-stack: PreferDualStack gets one ClusterIP per family', () => {
    const base = baseScenario();
    base['cilium'].ipv6 = { enabled: true };
    base['nodes'][0].ipv6 = 'fd00:10::11';
    base['nodes'][1].ipv6 = 'fd00:10::12';
    base['objects'][0].spec.ipFamilyPolicy = 'PreferDualStack';
    const svc = parseObject(base).services[0]!;
    expect(svc.ipFamilies).toEqual([4, 6]);
    expect(svc.clusterIPs).toEqual(['10.96.0.1', 'fd00:10:96::1']);
  });

  it('frontends: may pin where traffic for a ClusterIP enters (to show DROP_IS_CLUSTER_IP or lbExternalClusterIP)', () => {
    const base = baseScenario();
    base['objects'][0].spec.clusterIP = '10.96.0.50';
    base['frontends'].push({ address: '10.96.0.50', node: 'node-b' });
    const s = parseObject(base);
    expect(s.frontends.map((f) => [f.address, f.node])).toEqual([['198.51.100.10', 'node-a'], ['10.96.0.50', 'node-b']]);
  });

  it('the same pod name in two namespaces is refused (pod names name capture files)', () => {
    const base = baseScenario();
    base['objects'][1].endpoints[0].targetRef = { kind: 'Pod', name: 'web-x', namespace: 'default' };
    base['objects'][1].endpoints[1].targetRef = { kind: 'Pod', name: 'web-x', namespace: 'other' };
    expectInputError(() => parseObject(base), 'objects[1].endpoints[1].addresses[0]', ['namespaces default and other']);
  });
});

describe('overrides', () => {
  it('--mode replaces loadBalancer.mode before validation', () => {
    const base = baseScenario();
    const s = parseScenario(stringify(base), 's.yaml', '.', { overrides: { loadBalancerMode: 'hybrid' } });
    expect(s.cilium.loadBalancer.mode).toBe('hybrid');
  });

  it('an override that Cilium would refuse is reported against cilium.loadBalancer.mode, naming --mode', () => {
    const text = `cilium: {routingMode: tunnel}\n${minimal}`;
    expectInputError(() => parseScenario(text, 's.yaml', '.', { overrides: { loadBalancerMode: 'dsr' } }), 'cilium.loadBalancer.mode', ['--mode dsr', 'vxlan tunneling']);
  });
});
