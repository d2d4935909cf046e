/**
 * scenario.test.ts: `check` of scenarios. The fixtures are valid and say what the seed document's
 * rules expect of them; a table of variants of one valid DSR scenario each breaks one rule and
 * states the setting the warning must name and the words it must say; a few no-warning cases
 * pin that the rules do not cry wolf (hybrid keeps UDP on SNAT, TCP-only Services under DSR).
 */
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { checkScenario } from '../../src/check/index.js';
import { NOT_IN_SCENARIO } from '../../src/check/model.js';
import { GROUPS, SETTINGS } from '../../src/check/settings.js';
import { loadScenario, scenarioToObject } from '../../src/scenario/index.js';
import { baseScenario, setPath } from '../scenario/helpers.js';
import { checkObject, expectFinding, findings, requirement } from './helpers.js';

const dir = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

// Arrange: each fixture and the warnings the rules must raise for it (by the setting they name).
const fixtures = [
  { file: 'snat.yaml', warnings: [] },
  { file: 'dsr.yaml', warnings: [] },
  { file: 'hybrid.yaml', warnings: [] },
  { file: 'dsr-ipv6.yaml', warnings: [] },
  { file: 'dsr-geneve.yaml', warnings: [] },
  { file: 'maglev.yaml', warnings: ['cilium.maglev.tableSize'] },
  { file: 'maglev-vectors.yaml', warnings: ['cilium.maglev.tableSize', 'cilium.maglev.hashSeed'] },
  { file: 'real-capture.yaml', warnings: ['cilium.maglev.hashSeed'] },
] as const;

describe.each(fixtures)('check $file', ({ file, warnings }) => {
  it('is valid, and every setting, group and rule is there', async () => {
    const s = await loadScenario(dir + file);
    const r = checkScenario(s);
    expect(r.valid).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.kind).toBe('scenario');
    // The effective configuration is the whole scenario with every default written out.
    expect(r.effective).toEqual(scenarioToObject(s));
    // Every Helm value a scenario can express, once, with its default and flag.
    const keys = r.settings.map((x) => x.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ['loadBalancer.mode', 'loadBalancer.dsrDispatch', 'maglev.tableSize', 'maglev.hashSeed', 'routingMode', 'autoDirectNodeRoutes', 'loadBalancer.acceleration', 'socketLB.hostNamespaceOnly', 'nodePort.range', 'MTU', 'pmtuDiscovery.enabled', 'bpf.ctTcpMax', 'bpf.natMax', 'serviceNoBackendResponse', 'bpf.lbExternalClusterIP', 'loadBalancer.serviceTopology', 'cluster.name', 'cluster.id']) {
      expect(keys, k).toContain(k);
    }
    // Settings a scenario cannot express are not printed as if it had them.
    expect(keys).not.toContain('l7Proxy');
    expect(keys).not.toContain('ipv4NativeRoutingCIDR');
    for (const row of r.settings) {
      expect(GROUPS).toContain(row.group);
      expect(row.isDefault).toBe(row.value === row.default);
    }
    expect(r.profile.length).toBeGreaterThan(10);
    for (const q of r.requirements) {
      expect(['ok', 'warning', 'error']).toContain(q.status);
      expect(q.source.length).toBeGreaterThan(3);
      expect(q.requires.length + q.implies.length, q.setting).toBeGreaterThan(0);
      expect(q.status).toBe(q.findings.length ? 'warning' : 'ok');
    }
    for (const setting of ['loadBalancer.mode', 'loadBalancer.dsrDispatch', 'loadBalancer.algorithm', 'maglev.tableSize', 'maglev.hashSeed', 'routingMode', 'loadBalancer.acceleration', 'socketLB.hostNamespaceOnly', 'MTU', 'pmtuDiscovery.enabled', 'egressGateway.enabled', 'cluster.name / cluster.id', 'Service.spec.sessionAffinity', 'loadBalancer.serviceTopology', 'bpf.lbExternalClusterIP', 'serviceNoBackendResponse', 'nodePort.range', 'version']) {
      requirement(r, setting);
    }
  });

  it(`warns about exactly ${warnings.length ? warnings.join(', ') : 'nothing'}`, async () => {
    const r = checkScenario(await loadScenario(dir + file));
    expect([...new Set(r.warnings.map((w) => w.setting))].sort()).toEqual([...warnings].sort());
  });
});

describe('what the rules say about the fixtures', () => {
  it('DSR with opt: needs native routing and autoDirectNodeRoutes, shrinks the MTU by 8 bytes', async () => {
    const r = checkScenario(await loadScenario(dir + 'dsr.yaml'));
    const mode = requirement(r, 'loadBalancer.mode');
    expect(mode.requires.join('\n')).toMatch(/cilium\.routingMode: native/);
    expect(mode.requires.join('\n')).toMatch(/cilium\.autoDirectNodeRoutes: true/);
    expect(mode.requires.join('\n')).toMatch(/source\/destination checks/);
    expect(mode.implies.join('\n')).toMatch(/client's real address/);
    const mtu = requirement(r, 'MTU');
    expect(mtu.implies.join('\n')).toMatch(/DSR adds 8 bytes .*1492/);
    expect(requirement(r, 'pmtuDiscovery.enabled').implies.join('\n')).toMatch(/answered by the LB node with ICMP/);
  });

  it('DSR over IPv6: 24 bytes; Geneve: 62 (50 without the option is not counted in recent versions)', async () => {
    const v6 = checkScenario(await loadScenario(dir + 'dsr-ipv6.yaml'));
    expect(requirement(v6, 'MTU').implies.join('\n')).toMatch(/IPv6: DSR adds 24 bytes .*1476/);
    const gen = checkScenario(await loadScenario(dir + 'dsr-geneve.yaml'));
    expect(requirement(gen, 'MTU').implies.join('\n')).toMatch(/IPv4: DSR adds 62 bytes/);
    expect(requirement(gen, 'loadBalancer.dsrDispatch').requires.join('\n')).toMatch(/tunnelProtocol=geneve/);
  });

  it('hybrid: TCP goes DSR, UDP SNAT, and no PMTU warning for UDP', async () => {
    const r = checkScenario(await loadScenario(dir + 'hybrid.yaml'));
    expect(requirement(r, 'loadBalancer.mode').implies.join('\n')).toMatch(/TCP goes DSR, UDP goes SNAT/);
    expect(requirement(r, 'MTU').implies.join('\n')).toMatch(/only TCP SYNs/);
    expect(requirement(r, 'pmtuDiscovery.enabled').status).toBe('ok');
  });

  it('Maglev: names the Service with the most backends and the count, and the next table size', async () => {
    const r = checkScenario(await loadScenario(dir + 'maglev.yaml'));
    expectFinding(r, 'warning', 'cilium.maglev.tableSize', ['Service default/web', '5 backends', '100 × 5 = 500', 'cilium.maglev.tableSize: 509']);
    // A custom seed: no warning about the public default.
    expect(requirement(r, 'maglev.hashSeed').status).toBe('ok');
    expect(requirement(r, 'Service.spec.sessionAffinity').value).toMatch(/default\/web \(ClientIP, 600 s\)/);
  });

  it("Cilium's default hash seed is public: warns and says how to make one", async () => {
    const r = checkScenario(await loadScenario(dir + 'real-capture.yaml'));
    expectFinding(r, 'warning', 'cilium.maglev.hashSeed', ['JLfvgnHc2kaSUFaI', 'public', 'head -c12 /dev/urandom | base64 -w0']);
  });

  it('a Maglev table and seed are "unused" under the random algorithm', async () => {
    const r = checkScenario(await loadScenario(dir + 'snat.yaml'));
    expect(requirement(r, 'maglev.tableSize').value).toMatch(/unused/);
    expect(requirement(r, 'loadBalancer.dsrDispatch').value).toMatch(/unused: no DSR/);
  });

  it('--mode overrides the mode the rules see', async () => {
    const r = checkScenario(await loadScenario(dir + 'snat.yaml', { overrides: { loadBalancerMode: 'dsr' } }));
    expect(requirement(r, 'loadBalancer.mode').value).toBe('dsr');
    expectFinding(r, 'warning', 'cilium.pmtuDiscovery.enabled', ['full-size UDP datagrams', '8 bytes']);
  });

  it('the settings table covers every SETTINGS entry a scenario can express', async () => {
    const r = checkScenario(await loadScenario(dir + 'dsr.yaml'));
    expect(r.settings.map((x) => x.key)).toEqual(SETTINGS.filter((d) => !NOT_IN_SCENARIO.has(d.key)).map((d) => d.key));
  });
});

// Each case changes the valid DSR base scenario (test/scenario/helpers.ts) and names the
// setting the warning must name and the words it must say.
type Edit = [path: string, value: unknown];
interface WarnCase {
  name: string;
  edits: Edit[];
  setting: string;
  words: (string | RegExp)[];
}

const udpPort = { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, nodePort: 30053 };
const udpSlicePort = { name: 'dns', protocol: 'UDP', port: 5353 };

const warnCases: WarnCase[] = [
  {
    name: 'DSR in native routing without autoDirectNodeRoutes',
    edits: [['cilium.autoDirectNodeRoutes', false]],
    setting: 'cilium.autoDirectNodeRoutes',
    words: ['cilium.loadBalancer.mode: dsr', 'autoDirectNodeRoutes', "pod CIDRs", 'cilium.autoDirectNodeRoutes: true'],
  },
  {
    name: 'DSR opt with a UDP port and no PMTU discovery',
    edits: [['objects[0].spec.ports[1]', udpPort], ['objects[1].ports[1]', udpSlicePort]],
    setting: 'cilium.pmtuDiscovery.enabled',
    words: ['full-size UDP datagrams', '8 bytes', '1500-byte MTU', 'cilium.pmtuDiscovery.enabled: true'],
  },
  {
    name: 'Maglev table too small for the backends',
    edits: [['cilium.loadBalancer.algorithm', 'maglev'], ['cilium.maglev.tableSize', 251], ['cilium.maglev.hashSeed', 'AQIDBAUGBwgJCgsM'], ['objects[1].endpoints[2]', { addresses: ['10.244.1.11'], nodeName: 'node-b' }]],
    setting: 'cilium.maglev.tableSize',
    words: ['Service default/web', '3 backends', '100 × 3 = 300', '509'],
  },
  {
    name: 'Maglev with the default seed',
    edits: [['cilium.loadBalancer.algorithm', 'maglev']],
    setting: 'cilium.maglev.hashSeed',
    words: ["Cilium's built-in seed", 'public'],
  },
  {
    name: 'Maglev per Service (lb-algorithm annotation) with the default seed',
    edits: [['cilium.bpf.lbAlgorithmAnnotation', true], ['objects[0].metadata.annotations', { 'service.cilium.io/lb-algorithm': 'maglev' }]],
    setting: 'cilium.maglev.hashSeed',
    words: ['public'],
  },
  {
    name: 'topology hints on, nodes without zones',
    edits: [['cilium.loadBalancer.serviceTopology', true]],
    setting: 'cilium.loadBalancer.serviceTopology',
    words: ['no node has', 'topology.kubernetes.io/zone'],
  },
  {
    name: 'topology hints on, no EndpointSlice hints',
    edits: [['cilium.loadBalancer.serviceTopology', true], ['nodes[0].zone', 'a'], ['nodes[1].zone', 'b']],
    setting: 'cilium.loadBalancer.serviceTopology',
    words: ['hints.forZones', 'no effect'],
  },
  {
    name: 'EndpointSlice hints with topology off',
    edits: [['objects[1].endpoints[0].hints', { forZones: [{ name: 'b' }] }], ['objects[1].endpoints[0].zone', 'b']],
    setting: 'cilium.loadBalancer.serviceTopology',
    words: ['default/web-1', 'Cilium ignores the hints', 'loadBalancer.serviceTopology=true'],
  },
  {
    name: 'ipip dispatch with port ≠ targetPort',
    edits: [['cilium.version', '1.19'], ['cilium.loadBalancer.dsrDispatch', 'ipip']],
    setting: 'cilium.loadBalancer.dsrDispatch',
    words: ['Service default/web port http/TCP', 'port 80 ≠ targetPort 8080', 'not DNATed'],
  },
  {
    name: 'geneve dispatch with XDP and IPv6',
    edits: [
      ['cilium.routingMode', 'tunnel'], ['cilium.tunnelProtocol', 'geneve'], ['cilium.autoDirectNodeRoutes', false],
      ['cilium.loadBalancer.dsrDispatch', 'geneve'], ['cilium.loadBalancer.acceleration', 'native'],
      ['cilium.ipv6', { enabled: true }], ['nodes[0].ipv6', 'fd00:10::11'], ['nodes[1].ipv6', 'fd00:10::12'],
    ],
    setting: 'cilium.loadBalancer.dsrDispatch',
    words: ['IPv6 Geneve DSR', 'XDP'],
  },
  {
    name: 'cluster name "default" with a cluster ID',
    edits: [['cluster.name', 'default']],
    setting: 'cluster.name',
    words: ['"default" with a non-zero cluster ID', 'cluster.name: <unique-lowercase-name>'],
  },
  {
    name: 'a global Service outside a Cluster Mesh',
    edits: [['cluster.id', 0], ['objects[0].metadata.annotations', { 'service.cilium.io/global': 'true' }]],
    setting: 'cluster.id',
    words: ['default/web', 'global', 'cluster ID 1..255'],
  },
  {
    name: 'a Service port without backends',
    edits: [['objects[1].endpoints', [{ addresses: ['10.244.1.10'], nodeName: 'node-b', conditions: { ready: false } }]]],
    setting: 'cilium.serviceNoBackendResponse',
    words: ['Service default/web port http/TCP has no backends', '1 endpoints not ready', 'ICMP port unreachable'],
  },
  {
    name: 'forwarding-mode annotation without annotation mode',
    edits: [['objects[0].metadata.annotations', { 'service.cilium.io/forwarding-mode': 'snat' }]],
    setting: 'cilium.bpf.lbModeAnnotation',
    words: ['default/web', 'Cilium ignores the annotation'],
  },
];

describe.each(warnCases)('warning: $name', ({ edits, setting, words }) => {
  it(`names ${setting}, still valid`, () => {
    const obj = baseScenario();
    for (const [p, v] of edits) setPath(obj, p, v);
    const r = checkObject(obj);
    expect(r.valid).toBe(true);
    expect(r.errors).toEqual([]);
    expectFinding(r, 'warning', setting, words);
  });
});

describe('no warning where the rule does not apply', () => {
  it('the base DSR scenario (TCP only, opt dispatch, no PMTU) is clean', () => {
    const r = checkObject(baseScenario());
    expect(findings(r)).toEqual([]);
  });

  it('hybrid with a UDP port and no PMTU discovery: UDP goes SNAT', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.loadBalancer.mode', 'hybrid');
    setPath(obj, 'objects[0].spec.ports[1]', udpPort);
    setPath(obj, 'objects[1].ports[1]', udpSlicePort);
    expect(findings(checkObject(obj))).toEqual([]);
  });

  it('a Maglev table large enough and a custom seed', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.loadBalancer.algorithm', 'maglev');
    setPath(obj, 'cilium.maglev.hashSeed', 'AQIDBAUGBwgJCgsM');
    setPath(obj, 'cilium.maglev.tableSize', 251); // 2 backends: 251 > 200
    expect(findings(checkObject(obj))).toEqual([]);
  });

  it('egress gateway: a scenario cannot express it, so the rule states the prerequisites only', () => {
    const r = checkObject(baseScenario());
    const q = requirement(r, 'egressGateway.enabled');
    expect(q.status).toBe('ok');
    expect(q.value).toMatch(/not expressible in a scenario/);
    expect(q.requires.join('\n')).toMatch(/cilium\.bpf\.masquerade: true/);
    expect(q.requires.join('\n')).toMatch(/Helm l7Proxy=false \(a scenario has no key for it\)/);
  });

  it('socket LB bypass: what hostNamespaceOnly changes', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.socketLB', { hostNamespaceOnly: true });
    const q = requirement(checkObject(obj), 'socketLB.hostNamespaceOnly');
    expect(q.value).toMatch(/host namespace only/);
    expect(q.implies.join('\n')).toMatch(/per packet on the pod's veth/);
    expect(q.implies.join('\n')).toMatch(/Istio/);
  });

  it('XDP: needs native XDP drivers; tcpdump does not see XDP-forwarded packets', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.loadBalancer.acceleration', 'native');
    const q = requirement(checkObject(obj), 'loadBalancer.acceleration');
    expect(q.requires.join('\n')).toMatch(/native XDP support .*ethtool -i/);
    expect(q.implies.join('\n')).toMatch(/tcpdump on the node does not see XDP-forwarded packets/);
  });

  it('lbExternalClusterIP: routes by hand', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.bpf', { lbExternalClusterIP: true });
    const q = requirement(checkObject(obj), 'bpf.lbExternalClusterIP');
    expect(q.requires.join('\n')).toMatch(/routes to the service CIDR .* by hand/);
  });

  it('version 1.15: legacy option byte order, drops for Services without backends', () => {
    const obj = baseScenario();
    setPath(obj, 'cilium.version', '1.15');
    const r = checkObject(obj);
    expect(requirement(r, 'version').implies.join('\n')).toMatch(/host byte order/);
    expect(requirement(r, 'serviceNoBackendResponse').value).toBe('drop');
    expect(r.profile.find((p) => p.name === 'dsrOptionV4NetworkOrder')!.active).toBe(false);
  });
});
