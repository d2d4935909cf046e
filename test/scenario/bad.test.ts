/**
 * bad.test.ts: a table of invalid scenarios. Each one changes a valid scenario in one place and
 * states the key path the error must name and the words it must say.
 */

import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { parseScenario } from '../../src/scenario/index.js';
import { baseScenario, expectInputError, setPath } from './helpers.js';

type Edit = [path: string, value: unknown];

interface BadCase {
  name: string;
  edits: Edit[];
  keyPath: string;
  words: (string | RegExp)[];
}

const secondService = (nodePort: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'api' },
  spec: { type: 'NodePort', ports: [{ port: 443, nodePort }] },
});

const cases: BadCase[] = [
  { name: 'unknown mode, near miss', edits: [['cilium.loadBalancer.mode', 'dsrr']], keyPath: 'cilium.loadBalancer.mode', words: ['did you mean "dsr"', 'snat, dsr, hybrid'] },
  { name: 'unknown dispatch', edits: [['cilium.loadBalancer.dsrDispatch', 'vxlan']], keyPath: 'cilium.loadBalancer.dsrDispatch', words: ['opt, ipip, geneve'] },
  { name: 'unknown algorithm', edits: [['cilium.loadBalancer.algorithm', 'roundrobin']], keyPath: 'cilium.loadBalancer.algorithm', words: ['random, maglev'] },
  { name: 'unknown acceleration', edits: [['cilium.loadBalancer.acceleration', 'generic']], keyPath: 'cilium.loadBalancer.acceleration', words: ['disabled, native, best-effort'] },
  { name: 'unknown routing mode', edits: [['cilium.routingMode', 'direct']], keyPath: 'cilium.routingMode', words: ['native, tunnel'] },
  {
    name: 'DSR opt dispatch in (geneve) tunnel mode',
    edits: [['cilium.routingMode', 'tunnel'], ['cilium.tunnelProtocol', 'geneve'], ['cilium.autoDirectNodeRoutes', false]],
    keyPath: 'cilium.loadBalancer.dsrDispatch',
    words: ['tunnel routing', 'requires dsrDispatch: geneve', 'opt needs routingMode: native'],
  },
  {
    name: 'DSR in vxlan tunnel mode',
    edits: [['cilium.routingMode', 'tunnel'], ['cilium.autoDirectNodeRoutes', false]],
    keyPath: 'cilium.loadBalancer.mode',
    words: ['cannot be used with vxlan tunneling', 'routingMode: native'],
  },
  {
    name: 'DSR with Cilium\'s default (tunnel) routing',
    edits: [['cilium.routingMode', undefined], ['cilium.autoDirectNodeRoutes', undefined]],
    keyPath: 'cilium.loadBalancer.mode',
    words: ['vxlan tunneling', "Cilium's default routing mode is tunnel"],
  },
  {
    name: 'geneve dispatch without geneve tunnel protocol',
    edits: [['cilium.loadBalancer.dsrDispatch', 'geneve']],
    keyPath: 'cilium.loadBalancer.dsrDispatch',
    words: ['requires tunnelProtocol: geneve', 'vxlan'],
  },
  {
    name: 'legacy tunnel: disabled contradicts routingMode: tunnel',
    edits: [['cilium.tunnel', 'disabled'], ['cilium.routingMode', 'tunnel']],
    keyPath: 'cilium.tunnel',
    words: ['means routingMode: native', 'keep one'],
  },
  { name: 'Maglev table size not prime', edits: [['cilium.maglev.tableSize', 1000]], keyPath: 'cilium.maglev.tableSize', words: ["not one of Cilium's Maglev table sizes", '16381', '131071'] },
  { name: 'Maglev table size as a string', edits: [['cilium.maglev.tableSize', '16381']], keyPath: 'cilium.maglev.tableSize', words: ['expected an integer', 'without quotes'] },
  { name: 'hash seed not base64', edits: [['cilium.maglev.hashSeed', 'not*base64!']], keyPath: 'cilium.maglev.hashSeed', words: ['not standard base64', 'exactly 12 bytes'] },
  { name: 'hash seed of 16 bytes', edits: [['cilium.maglev.hashSeed', 'FYJf2hrSynYxcZrkMWTGYA==']], keyPath: 'cilium.maglev.hashSeed', words: ['decodes to 16 bytes', 'exactly 12 bytes'] },
  { name: 'cluster name with capitals', edits: [['cluster.name', 'Lab']], keyPath: 'cluster.name', words: ['lower case', 'no capitals: "lab"'] },
  { name: 'cluster name too long', edits: [['cluster.name', 'a'.repeat(33)]], keyPath: 'cluster.name', words: ['33 characters', 'not be more than 32'] },
  { name: 'cluster name ending in -', edits: [['cluster.name', 'lab-']], keyPath: 'cluster.name', words: ['starting and ending with an alphanumeric'] },
  { name: 'cluster id too large', edits: [['cluster.id', 256]], keyPath: 'cluster.id', words: ['256 is out of range', '0..255'] },
  { name: 'NodePort range backwards', edits: [['cilium.nodePort.range', '32767,30000']], keyPath: 'cilium.nodePort.range', words: ['min port must be smaller than max port'] },
  { name: 'NodePort range garbage', edits: [['cilium.nodePort.range', '30000:32767']], keyPath: 'cilium.nodePort.range', words: ['not a port range', 'min,max'] },
  { name: 'NodePort outside the range', edits: [['objects[0].spec.ports[0].nodePort', 20000]], keyPath: 'objects[0].spec.ports[0].nodePort', words: ['outside the NodePort range 30000-32767'] },
  { name: 'nodePort on a ClusterIP Service', edits: [['objects[0].spec.type', 'ClusterIP'], ['objects[0].status', undefined]], keyPath: 'objects[0].spec.ports[0].nodePort', words: ['NodePort or LoadBalancer', 'ClusterIP'] },
  { name: 'duplicate nodePort across Services', edits: [['objects[2]', secondService(30080)]], keyPath: 'objects[2].spec.ports[0].nodePort', words: ['already allocated', 'default/web'] },
  { name: 'cilium MTU below IPv4 minimum', edits: [['cilium.MTU', 50]], keyPath: 'cilium.MTU', words: ['out of range', '68'] },
  {
    name: 'node MTU below IPv6 minimum',
    edits: [['cilium.ipv6', { enabled: true }], ['nodes[0].ipv6', 'fd00:10::11'], ['nodes[1].ipv6', 'fd00:10::12'], ['nodes[0].mtu', 1200]],
    keyPath: 'nodes[0].mtu',
    words: ['1280', 'RFC 8200'],
  },
  { name: 'duplicate node names', edits: [['nodes[1].name', 'node-a']], keyPath: 'nodes[1].name', words: ['duplicate host name "node-a"'] },
  { name: 'duplicate node addresses', edits: [['nodes[1].ipv4', '192.168.10.11']], keyPath: 'nodes[1].ipv4', words: ['duplicate address 192.168.10.11', 'node node-a'] },
  { name: 'client overlapping a node', edits: [['clients[0].ipv4', '192.168.10.12']], keyPath: 'clients[0].ipv4', words: ['duplicate address', "may not share a node's address"] },
  { name: 'client named like a node', edits: [['clients[0].name', 'node-b']], keyPath: 'clients[0].name', words: ['duplicate host name'] },
  { name: 'frontend naming an unknown node', edits: [['frontends[0].node', 'node-z']], keyPath: 'frontends[0].node', words: ['not a node of the scenario', 'did you mean "node-a"', 'ecmp'] },
  { name: 'frontend at a node address', edits: [['frontends[0].address', '192.168.10.12']], keyPath: 'frontends[0].address', words: ['node node-b'] },
  { name: 'EndpointSlice nodeName unknown', edits: [['objects[1].endpoints[0].nodeName', 'node-q']], keyPath: 'objects[1].endpoints[0].nodeName', words: ['"node-q" is not a node of the scenario', 'node-a, node-b'] },
  { name: 'EndpointSlice without nodeName', edits: [['objects[1].endpoints[0].nodeName', undefined]], keyPath: 'objects[1].endpoints[0].nodeName', words: ['nodeName is required'] },
  {
    name: 'EndpointSlice naming an unknown Service',
    edits: [['objects[1].metadata.labels', { 'kubernetes.io/service-name': 'webb' }]],
    keyPath: 'objects[1].metadata.labels["kubernetes.io/service-name"]',
    words: ['no Service "webb" in namespace default', 'did you mean "web"'],
  },
  { name: 'EndpointSlice without the service-name label', edits: [['objects[1].metadata.labels', undefined]], keyPath: 'objects[1].metadata.labels', words: ['kubernetes.io/service-name'] },
  { name: 'EndpointSlice port matching no Service port', edits: [['objects[1].ports[0].name', 'https']], keyPath: 'objects[1].ports[0].name', words: ['matches no port of Service default/web', 'http/TCP', 'name and protocol'] },
  { name: 'EndpointSlice port with the wrong protocol', edits: [['objects[1].ports[0].protocol', 'UDP']], keyPath: 'objects[1].ports[0].name', words: ['"http"/UDP matches no port'] },
  { name: 'IPv6 node address with IPv6 disabled', edits: [['nodes[0].ipv6', 'fd00:10::11']], keyPath: 'nodes[0].ipv6', words: ['cilium.ipv6.enabled is false'] },
  { name: 'IPv6 EndpointSlice with IPv6 disabled', edits: [['objects[1].addressType', 'IPv6']], keyPath: 'objects[1].addressType', words: ['cilium.ipv6.enabled is false'] },
  { name: 'IPv4 leading zeros', edits: [['nodes[0].ipv4', '192.168.010.11']], keyPath: 'nodes[0].ipv4', words: ['not an IPv4 address', 'no leading zeros'] },
  { name: 'IPv6 address in the ipv4 field', edits: [['clients[0].ipv4', '2001:db8::7']], keyPath: 'clients[0].ipv4', words: ['IPv6 address', 'takes IPv4'] },
  { name: 'unknown Cilium version', edits: [['cilium.version', '1.14']], keyPath: 'cilium.version', words: ['1.15, 1.16, 1.17, 1.18, 1.19'] },
  { name: 'unknown key with near miss', edits: [['cilium.loadbalancer', { mode: 'snat' }]], keyPath: 'cilium.loadbalancer', words: ['unknown key "loadbalancer"', 'did you mean "loadBalancer"'] },
  { name: 'unknown top-level key', edits: [['node', []]], keyPath: 'node', words: ['unknown key "node"', 'did you mean "nodes"'] },
  { name: 'nodes not a list', edits: [['nodes', { name: 'node-a' }]], keyPath: 'nodes', words: ['expected a list of nodes', 'a mapping'] },
  { name: 'kubeProxyReplacement false', edits: [['cilium.kubeProxyReplacement', false]], keyPath: 'cilium.kubeProxyReplacement', words: ['kube-proxy', 'set it to true'] },
  {
    name: 'autoDirectNodeRoutes in tunnel mode',
    edits: [['cilium.routingMode', 'tunnel'], ['cilium.loadBalancer.mode', 'snat']],
    keyPath: 'cilium.autoDirectNodeRoutes',
    words: ['cannot be used with tunneling'],
  },
  { name: 'multicast MAC', edits: [['nodes[0].mac', '03:00:00:00:00:01']], keyPath: 'nodes[0].mac', words: ['multicast'] },
  { name: 'serviceNoBackendResponse reject in 1.15', edits: [['cilium.version', '1.15'], ['cilium.serviceNoBackendResponse', 'reject']], keyPath: 'cilium.serviceNoBackendResponse', words: ['not available in Cilium 1.15', '1.16'] },
  { name: 'ipip dispatch without XDP before 1.19', edits: [['cilium.version', '1.18'], ['cilium.loadBalancer.dsrDispatch', 'ipip']], keyPath: 'cilium.loadBalancer.dsrDispatch', words: ['XDP acceleration', 'native or best-effort'] },
  {
    name: 'hybrid with ipip in 1.17',
    edits: [['cilium.version', '1.17'], ['cilium.loadBalancer.mode', 'hybrid'], ['cilium.loadBalancer.dsrDispatch', 'ipip'], ['cilium.loadBalancer.acceleration', 'native']],
    keyPath: 'cilium.loadBalancer.dsrDispatch',
    words: ['not allowed with mode hybrid', 'opt, geneve'],
  },
  { name: 'lbModeAnnotation in 1.15', edits: [['cilium.version', '1.15'], ['cilium.bpf.lbModeAnnotation', true]], keyPath: 'cilium.bpf.lbModeAnnotation', words: ['does not exist in Cilium 1.15'] },
  { name: 'hybrid default under annotation mode', edits: [['cilium.loadBalancer.mode', 'hybrid'], ['cilium.bpf.lbModeAnnotation', true]], keyPath: 'cilium.loadBalancer.mode', words: ['not supported as the default mode under annotation mode'] },
  {
    name: 'global annotation not a boolean',
    edits: [['objects[0].metadata.annotations', { 'service.cilium.io/global': 'yes' }]],
    keyPath: 'objects[0].metadata.annotations["service.cilium.io/global"]',
    words: ['"yes" is not allowed', 'true, false'],
  },
  {
    name: 'old and new annotation spellings disagree',
    edits: [['objects[0].metadata.annotations', { 'service.cilium.io/affinity': 'local', 'io.cilium/service-affinity': 'remote' }]],
    keyPath: 'objects[0].metadata.annotations["io.cilium/service-affinity"]',
    words: ['contradicts service.cilium.io/affinity', 'keep one'],
  },
  {
    name: 'annotation value not a string',
    edits: [['objects[0].metadata.annotations', { 'io.cilium/global-service': true }]],
    keyPath: 'objects[0].metadata.annotations["io.cilium/global-service"]',
    words: ['must be a string', 'quote it'],
  },
  {
    name: 'two unnamed Service ports',
    edits: [['objects[0].spec.ports', [{ port: 80 }, { port: 81 }]]],
    keyPath: 'objects[0].spec.ports[0].name',
    words: ['more than one port needs a name'],
  },
  { name: 'Service port out of range', edits: [['objects[0].spec.ports[0].port', 70000]], keyPath: 'objects[0].spec.ports[0].port', words: ['70000 is out of range', '1..65535'] },
  { name: 'unknown kind', edits: [['objects[2]', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }]], keyPath: 'objects[2].kind', words: ['"Deployment" is not used by dsrlab', 'Service, EndpointSlice and List'] },
  { name: 'v1 Endpoints instead of EndpointSlice', edits: [['objects[2]', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' } }]], keyPath: 'objects[2].kind', words: ['reads EndpointSlices, not Endpoints'] },
  {
    name: 'sessionAffinityConfig with affinity None',
    edits: [['objects[0].spec.sessionAffinityConfig', { clientIP: { timeoutSeconds: 60 } }]],
    keyPath: 'objects[0].spec.sessionAffinityConfig',
    words: ['must not be set when sessionAffinity is None'],
  },
  {
    name: 'session affinity timeout above one day',
    edits: [['objects[0].spec.sessionAffinity', 'ClientIP'], ['objects[0].spec.sessionAffinityConfig', { clientIP: { timeoutSeconds: 86401 } }]],
    keyPath: 'objects[0].spec.sessionAffinityConfig.clientIP.timeoutSeconds',
    words: ['1..86400'],
  },
  { name: 'node named world', edits: [['nodes[0].name', 'world']], keyPath: 'nodes[0].name', words: ['reserved'] },
  { name: 'endpoint at a client address', edits: [['objects[1].endpoints[0].addresses', ['203.0.113.7']]], keyPath: 'objects[1].endpoints[0].addresses[0]', words: ['already used by client client-1'] },
  {
    name: 'remote-cluster endpoints outside a Cluster Mesh',
    edits: [['cluster.id', 0], ['objects[1].metadata.annotations', { 'dsrlab.io/cluster-id': '7' }]],
    keyPath: 'objects[1].metadata.annotations["dsrlab.io/cluster-id"]',
    words: ['set cluster.id to 1..255'],
  },
  { name: 'LoadBalancer IP on a NodePort Service', edits: [['objects[0].spec.type', 'NodePort']], keyPath: 'objects[0].status.loadBalancer.ingress', words: ['only used for type LoadBalancer'] },
  { name: 'externalTrafficPolicy on an internal Service', edits: [['objects[0].spec', { ports: [{ port: 80 }], externalTrafficPolicy: 'Local' }], ['objects[0].status', undefined], ['objects[1].ports[0].name', undefined]], keyPath: 'objects[0].spec.externalTrafficPolicy', words: ['externally-accessible'] },
  { name: 'seed negative', edits: [['seed', -1]], keyPath: 'seed', words: ['0..4294967295'] },
  { name: 'cluster IP equal to a node address', edits: [['objects[0].spec.clusterIP', '192.168.10.11']], keyPath: 'objects[0].spec.clusterIP', words: ['already used by node node-a'] },
];

describe('invalid scenarios are rejected with the key path and a message saying what is allowed', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name → $keyPath', ({ edits, keyPath, words }) => {
    const s = baseScenario();
    for (const [p, v] of edits) setPath(s, p, v);
    const text = stringify(s);
    const err = expectInputError(() => parseScenario(text, 'bad.yaml', '/nonexistent'), keyPath, words);
    expect(err.location.file).toBe('bad.yaml');
    expect(err.location.line, 'a YAML-sourced error has a line').toBeTypeOf('number');
    expect(err.location.column).toBeTypeOf('number');
    expect(err.message.startsWith('bad.yaml:')).toBe(true);
  });

  it('the unchanged base scenario is valid', () => {
    const s = parseScenario(stringify(baseScenario()), 'ok.yaml', '/nonexistent');
    expect(s.services).toHaveLength(1);
  });
});

describe('errors that need raw YAML text', () => {
  it('a version written as a number is refused with a hint to quote it', () => {
    const text = 'cilium:\n  version: 1.16\nnodes:\n  - {name: n1, ipv4: 10.0.0.1}\n';
    const err = expectInputError(() => parseScenario(text, 's.yaml', '.'), 'cilium.version', ['as a string', 'quote it']);
    expect(err.location).toMatchObject({ line: 2, column: 12 });
  });

  it('a YAML syntax error names line and column', () => {
    const text = 'cilium:\n  loadBalancer: {mode: dsr\nnodes: []\n';
    const err = expectInputError(() => parseScenario(text, 's.yaml', '.'), undefined, ['YAML syntax error']);
    expect(err.location.line).toBeTypeOf('number');
    expect(err.location.column).toBeTypeOf('number');
  });

  it('a duplicate key is a YAML error at the second key', () => {
    const text = 'seed: 1\nseed: 2\nnodes:\n  - {name: n1, ipv4: 10.0.0.1}\n';
    const err = expectInputError(() => parseScenario(text, 's.yaml', '.'), undefined, ['unique']);
    expect(err.location.line).toBe(2);
  });

  it('an unknown key points at the key itself', () => {
    const text = 'nodes:\n  - name: n1\n    ipv4: 10.0.0.1\n    zonee: a\n';
    const err = expectInputError(() => parseScenario(text, 's.yaml', '.'), 'nodes[0].zonee', ['did you mean "zone"']);
    expect(err.location).toMatchObject({ line: 4, column: 5 });
  });

  it('a missing required key is reported at its parent', () => {
    const text = 'nodes:\n  - ipv4: 10.0.0.1\n';
    const err = expectInputError(() => parseScenario(text, 's.yaml', '.'), 'nodes[0].name', ['name is required']);
    expect(err.location.line).toBe(2);
  });

  it('a scenario without nodes is refused', () => {
    expectInputError(() => parseScenario('cilium: {}\n', 's.yaml', '.'), 'nodes', ['nodes is required']);
  });
});
