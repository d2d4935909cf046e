/**
 * property.test.ts: generated scenarios. Any valid one reads the same from YAML text as from the
 * plain object, and survives formatScenario → parseScenario unchanged; any single invalid
 * mutation of one is rejected with an InputError naming the mutated key path.
 */

import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';

import { InputError } from '../../src/errors.js';
import { CILIUM_VERSIONS, MAGLEV_TABLE_SIZES, formatScenario, parseScenario, scenarioFromObject } from '../../src/scenario/index.js';
import { setPath, withoutFile } from './helpers.js';

type Raw = Record<string, any>;

const hostName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/).filter((s) => s !== 'world' && s !== 'ecmp');

/** Cilium settings that Cilium accepts together, for some version. */
const ciliumArb = fc
  .record({
    version: fc.option(fc.constantFrom(...CILIUM_VERSIONS), { nil: undefined }),
    families: fc.constantFrom('v4', 'v6', 'dual'),
    lb: fc.constantFrom('snat-native', 'snat-tunnel', 'dsr-opt', 'hybrid-opt', 'dsr-geneve-tunnel', 'dsr-geneve-native', 'dsr-ipip-xdp'),
    algorithm: fc.constantFrom('random', 'maglev'),
    tableSize: fc.option(fc.constantFrom(...MAGLEV_TABLE_SIZES), { nil: undefined }),
    seedBytes: fc.option(fc.uint8Array({ minLength: 12, maxLength: 12 }), { nil: undefined }),
    pmtu: fc.boolean(),
    mtu: fc.option(fc.integer({ min: 1280, max: 9000 }), { nil: undefined }),
    noBackend: fc.option(fc.constantFrom('reject', 'drop'), { nil: undefined }),
    topology: fc.boolean(),
    ext: fc.boolean(),
    range: fc.constantFrom(undefined, '30000,32767', '30000-32767', '31000,32000'),
  })
  .map((c) => {
    const cilium: Raw = { loadBalancer: { algorithm: c.algorithm, serviceTopology: c.topology } };
    if (c.version) cilium['version'] = c.version;
    cilium['ipv4'] = { enabled: c.families !== 'v6' };
    cilium['ipv6'] = { enabled: c.families !== 'v4' };
    const lb = cilium['loadBalancer'];
    switch (c.lb) {
      case 'snat-native': Object.assign(cilium, { routingMode: 'native', autoDirectNodeRoutes: true }); lb.mode = 'snat'; break;
      case 'snat-tunnel': Object.assign(cilium, { routingMode: 'tunnel' }); lb.mode = 'snat'; break;
      case 'dsr-opt': Object.assign(cilium, { tunnel: 'disabled' }); lb.mode = 'dsr'; lb.dsrDispatch = 'opt'; break;
      case 'hybrid-opt': Object.assign(cilium, { routingMode: 'native' }); lb.mode = 'hybrid'; break;
      case 'dsr-geneve-tunnel': Object.assign(cilium, { routingMode: 'tunnel', tunnelProtocol: 'geneve' }); lb.mode = 'dsr'; lb.dsrDispatch = 'geneve'; break;
      case 'dsr-geneve-native': Object.assign(cilium, { routingMode: 'native', tunnelProtocol: 'geneve' }); lb.mode = 'dsr'; lb.dsrDispatch = 'geneve'; break;
      case 'dsr-ipip-xdp': Object.assign(cilium, { routingMode: 'native' }); lb.mode = 'dsr'; lb.dsrDispatch = 'ipip'; lb.acceleration = 'native'; break;
    }
    cilium['maglev'] = {};
    if (c.tableSize) cilium['maglev'].tableSize = c.tableSize;
    if (c.seedBytes) cilium['maglev'].hashSeed = Buffer.from(c.seedBytes).toString('base64');
    cilium['pmtuDiscovery'] = { enabled: c.pmtu };
    if (c.mtu) cilium['MTU'] = c.mtu;
    if (c.noBackend && (c.noBackend === 'drop' || (c.version ?? '1.19') !== '1.15')) cilium['serviceNoBackendResponse'] = c.noBackend;
    cilium['bpf'] = { lbExternalClusterIP: c.ext };
    if (c.range) cilium['nodePort'] = { range: c.range };
    return { cilium, v4: c.families !== 'v6', v6: c.families !== 'v4', npMin: c.range === '31000,32000' ? 31000 : 30000 };
  });

/** A whole valid scenario as a plain object. */
const scenarioArb: fc.Arbitrary<Raw> = ciliumArb.chain(({ cilium, v4, v6, npMin }) =>
  fc
    .record({
      names: fc.uniqueArray(hostName, { minLength: 2, maxLength: 7 }),
      nodeCount: fc.integer({ min: 1, max: 4 }),
      zones: fc.boolean(),
      macs: fc.boolean(),
      clusterName: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/),
      clusterId: fc.integer({ min: 0, max: 255 }),
      seed: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
      services: fc.array(
        fc.record({
          type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer'),
          ports: fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'), explicitNodePort: fc.boolean() }), { minLength: 1, maxLength: 3, selector: (p) => `${p.port}/${p.protocol}` }),
          endpoints: fc.array(fc.record({ node: fc.nat(), ready: fc.option(fc.boolean(), { nil: undefined }), terminating: fc.boolean(), named: fc.boolean() }), { maxLength: 4 }),
          affinity: fc.boolean(),
          etpLocal: fc.boolean(),
          frontendAt: fc.nat(),
          annotations: fc.constantFrom({}, { 'service.cilium.io/global': 'true' }, { 'io.cilium/service-affinity': 'remote', 'io.cilium/global-service': 'TRUE' }),
        }),
        { maxLength: 3 },
      ),
    })
    .map((g) => {
      const fam = v4 ? 4 : 6;
      const nodeNames = g.names.slice(0, Math.min(g.nodeCount, g.names.length - 1));
      const clientNames = g.names.slice(nodeNames.length);
      const nodes = nodeNames.map((name, i) => {
        const n: Raw = { name };
        if (v4) n['ipv4'] = `192.168.10.${10 + i}`;
        if (v6) n['ipv6'] = `fd00:10::${(16 + i).toString(16)}`;
        if (g.zones) n['zone'] = `zone-${i % 2}`;
        if (g.macs) n['mac'] = `02:00:00:00:00:${(16 + i).toString(16)}`;
        return n;
      });
      const clients = clientNames.map((name, i) => (v4 ? { name, ipv4: `203.0.113.${10 + i}` } : { name, ipv6: `2001:db8:c::${(16 + i).toString(16)}` }));
      const objects: Raw[] = [];
      const frontends: Raw[] = [];
      let nodePort = npMin + 100;
      g.services.forEach((s, si) => {
        const name = `svc${si}`;
        const external = s.type !== 'ClusterIP';
        const spec: Raw = {
          type: s.type,
          ports: s.ports.map((p, pi) => {
            const o: Raw = { name: `p${pi}`, protocol: p.protocol, port: p.port, targetPort: 8000 + pi };
            if (external && p.explicitNodePort) o['nodePort'] = nodePort++;
            return o;
          }),
        };
        if (s.affinity) Object.assign(spec, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 + si } } });
        if (external && s.etpLocal) spec['externalTrafficPolicy'] = 'Local';
        const svc: Raw = { apiVersion: 'v1', kind: 'Service', metadata: { name, annotations: s.annotations }, spec };
        if (s.type === 'LoadBalancer') {
          const ip = fam === 4 ? `198.51.100.${10 + si}` : `2001:db8:100::${(16 + si).toString(16)}`;
          svc['status'] = { loadBalancer: { ingress: [{ ip }] } };
          if (s.frontendAt % 2 === 0) frontends.push({ address: ip, node: nodeNames[s.frontendAt % nodeNames.length] });
        }
        objects.push(svc);
        if (s.endpoints.length === 0) return;
        objects.push({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: `${name}-abc`, labels: { 'kubernetes.io/service-name': name } },
          addressType: fam === 4 ? 'IPv4' : 'IPv6',
          ports: spec['ports'].map((p: Raw) => ({ name: p['name'], protocol: p['protocol'], port: p['targetPort'] })),
          endpoints: s.endpoints.map((e, ei) => {
            const addr = fam === 4 ? `10.244.${si}.${10 + ei}` : `fd00:10:244:${si}::${(16 + ei).toString(16)}`;
            const o: Raw = { addresses: [addr], nodeName: nodeNames[e.node % nodeNames.length] };
            const cond: Raw = { terminating: e.terminating };
            if (e.ready !== undefined) cond['ready'] = e.ready;
            o['conditions'] = cond;
            if (e.named) o['targetRef'] = { kind: 'Pod', name: `${name}-pod-${ei}` };
            return o;
          }),
        });
      });
      const raw: Raw = { cilium, cluster: { name: g.clusterName, id: g.clusterId }, nodes, clients, frontends, objects };
      if (g.seed !== undefined) raw['seed'] = g.seed;
      return raw;
    }),
);

describe('valid generated scenarios', () => {
  test.prop([scenarioArb], { numRuns: 100 })('YAML text and plain object give the same scenario, and formatScenario round-trips it', (raw) => {
    const fromText = parseScenario(stringify(raw), 'gen.yaml', '/nonexistent');
    const fromObject = scenarioFromObject(raw, 'gen.yaml', '/nonexistent');
    expect(withoutFile(fromText)).toEqual(withoutFile(fromObject));
    const again = parseScenario(formatScenario(fromText), 'effective.yaml', '/nonexistent');
    expect(withoutFile(again)).toEqual(withoutFile(fromText));
  });

  test.prop([scenarioArb], { numRuns: 50 })('the model is consistent: backends are on known nodes, pods match backends, NodePorts are in range and unique', (raw) => {
    const s = parseScenario(stringify(raw), 'gen.yaml', '/nonexistent');
    const nodeNames = new Set(s.nodes.map((n) => n.name));
    const podNames = new Set(s.pods.map((p) => p.name));
    const nps: number[] = [];
    for (const svc of s.services) {
      for (const p of svc.ports) {
        if (p.nodePort !== undefined) {
          expect(p.nodePort).toBeGreaterThanOrEqual(s.cilium.nodePort.min);
          expect(p.nodePort).toBeLessThanOrEqual(s.cilium.nodePort.max);
          nps.push(p.nodePort);
        }
        for (const b of p.backends) {
          expect(nodeNames.has(b.nodeName!)).toBe(true);
          expect(podNames.has(b.pod)).toBe(true);
          expect(b.ready || (b.serving && b.terminating)).toBe(true);
        }
      }
      expect(svc.clusterIPs.length).toBe(svc.ipFamilies.length);
    }
    expect(new Set(nps).size).toBe(nps.length);
    const allHosts = [...s.nodes, ...s.clients, ...s.pods].map((h) => h.name);
    expect(new Set(allHosts).size).toBe(allHosts.length);
  });
});

/** A single invalid change to a valid scenario, and the key path the error must name. */
interface Mutation {
  path: string;
  value: unknown;
  /** Defaults to `path`. */
  keyPath?: string;
}

const mutationArb = (raw: Raw): fc.Arbitrary<Mutation> => {
  const nodeCount = raw['nodes'].length as number;
  const nodeIdx = fc.nat({ max: nodeCount - 1 });
  const options: fc.Arbitrary<Mutation>[] = [
    fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !['snat', 'dsr', 'hybrid'].includes(s)).map((v) => ({ path: 'cilium.loadBalancer.mode', value: v })),
    fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !['random', 'maglev'].includes(s)).map((v) => ({ path: 'cilium.loadBalancer.algorithm', value: v })),
    fc.integer({ min: 0, max: 200000 }).filter((n) => !(MAGLEV_TABLE_SIZES as readonly number[]).includes(n)).map((v) => ({ path: 'cilium.maglev.tableSize', value: v })),
    fc.uint8Array({ minLength: 0, maxLength: 30 }).filter((b) => b.length !== 12).map((b) => ({ path: 'cilium.maglev.hashSeed', value: Buffer.from(b).toString('base64') || 'x' })),
    fc.stringMatching(/^[a-z0-9]{0,5}[A-Z][a-z0-9]{0,5}$/).map((v) => ({ path: 'cluster.name', value: v })),
    fc.oneof(fc.integer({ min: 256, max: 100000 }), fc.integer({ min: -1000, max: -1 })).map((v) => ({ path: 'cluster.id', value: v })),
    fc.oneof(fc.integer({ max: -1 }), fc.constant('1')).map((v) => ({ path: 'seed', value: v })),
    fc.tuple(nodeIdx, fc.integer({ min: 256, max: 999 })).map(([i, o]) => ({ path: `nodes[${i}].${raw['cilium'].ipv4.enabled ? 'ipv4' : 'ipv6'}`, value: raw['cilium'].ipv4.enabled ? `192.168.${o}.1` : `fd00::${o}::1` })),
    fc.tuple(nodeIdx, fc.integer({ min: 0, max: 67 })).map(([i, v]) => ({ path: `nodes[${i}].mtu`, value: v })),
    fc.tuple(nodeIdx, fc.stringMatching(/^[A-Z][A-Za-z]{0,6}$/)).map(([i, v]) => ({ path: `nodes[${i}].name`, value: v })),
    fc.constantFrom('modee', 'Mode', 'algo', 'dsr').map((k) => ({ path: `cilium.loadBalancer.${k}`, value: 'x' })),
    fc.constant({ path: `frontends[${raw['frontends'].length}]`, value: { address: raw['cilium'].ipv4.enabled ? '198.51.100.250' : '2001:db8:100::fa', node: 'no-such-node' }, keyPath: `frontends[${raw['frontends'].length}].node` }),
  ];
  if (nodeCount >= 2) {
    options.push(fc.integer({ min: 1, max: nodeCount - 1 }).map((i) => ({ path: `nodes[${i}].name`, value: raw['nodes'][0].name })));
  }
  const svcIdx = (raw['objects'] as Raw[]).findIndex((o) => o['kind'] === 'Service');
  if (svcIdx >= 0) {
    options.push(fc.oneof(fc.integer({ min: 65536, max: 1e6 }), fc.integer({ min: -100, max: 0 })).map((v) => ({ path: `objects[${svcIdx}].spec.ports[0].port`, value: v })));
    options.push(fc.constantFrom('http', 'UDPX', 'tcp').map((v) => ({ path: `objects[${svcIdx}].spec.ports[0].protocol`, value: v })));
  }
  return fc.oneof(...options);
};

describe('invalid mutations', () => {
  test.prop([scenarioArb.chain((raw) => fc.tuple(fc.constant(raw), mutationArb(raw)))], { numRuns: 150 })('any single invalid change is an InputError at its key path', ([raw, m]) => {
    const copy = structuredClone(raw);
    setPath(copy, m.path, m.value);
    let err: unknown;
    try {
      parseScenario(stringify(copy), 'mut.yaml', '/nonexistent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.keyPath, (err as InputError).message).toBe(m.keyPath ?? m.path);
    expect((err as InputError).location.line).toBeTypeOf('number');
  });
});
