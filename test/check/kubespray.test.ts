/**
 * kubespray.test.ts: `check --kubespray`. The three fixtures (Kubespray's defaults; DSR + Maglev
 * through cilium_config_extra_vars; a contradictory file) and a table of one-problem variable
 * files, each stating the variable the finding must name, its level, and the words of the rule.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { checkKubespray, kubesprayFromText, readKubesprayVars } from '../../src/check/index.js';
import type { CheckReport } from '../../src/check/index.js';
import { InputError } from '../../src/errors.js';
import { checkFixture, checkVars, expectFinding, findings, requirement } from './helpers.js';

const load = async (name: string): Promise<CheckReport> => checkKubespray(await readKubesprayVars(checkFixture(name)));
const feature = (r: CheckReport, id: string) => r.kubespray!.features.find((f) => f.id === id)!;

describe('kubespray-default.yml (Kubespray defaults written out)', () => {
  it('is valid, warns about nothing, understands every variable', async () => {
    const r = await load('kubespray-default.yml');
    expect(r.valid).toBe(true);
    expect(findings(r)).toEqual([]);
    expect(r.kubespray!.notUnderstood).toEqual([]);
    expect(r.version).toBe('1.17');
    const tunnel = r.kubespray!.understood.find((u) => u.variable === 'cilium_tunnel_mode')!;
    expect(tunnel.sets).toEqual(['routingMode', 'tunnelProtocol']);
    expect(r.kubespray!.understood.find((u) => u.variable === 'cilium_debug')!.note).toMatch(/no bearing/);
  });

  it('effective: tunnel/vxlan, SNAT, kube-proxy kept; the defaults marked', async () => {
    const r = await load('kubespray-default.yml');
    expect(r.effective).toMatchObject({ routingMode: 'tunnel', tunnelProtocol: 'vxlan', kubeProxyReplacement: false, loadBalancer: { mode: 'snat', algorithm: 'random' }, MTU: 1500, cluster: { name: 'default', id: 0 } });
    const mode = r.settings.find((s) => s.key === 'loadBalancer.mode')!;
    expect(mode).toMatchObject({ value: 'snat', default: 'snat', isDefault: true, from: 'cilium_loadbalancer_mode', kubespray: 'cilium_loadbalancer_mode' });
    // Settings only Kubespray files carry are listed too.
    expect(r.settings.map((s) => s.key)).toEqual(expect.arrayContaining(['ipv4NativeRoutingCIDR', 'l7Proxy', 'egressGateway.enabled', 'ipam.mode']));
  });

  it('every feature of the seed document is off, with the Helm values to set', async () => {
    const r = await load('kubespray-default.yml');
    for (const f of r.kubespray!.features) {
      expect(f.enabled, f.id).toBe(false);
      expect(f.helm.length, f.id).toBeGreaterThan(0);
    }
    expect(feature(r, 'maglev').helm).toEqual(['--set loadBalancer.algorithm=maglev', '--set maglev.tableSize=65521', '--set maglev.hashSeed=$SEED']);
    expect(feature(r, 'dsr').helm).toEqual(['--set tunnel=disabled', '--set autoDirectNodeRoutes=true', '--set loadBalancer.mode=dsr']);
    expect(feature(r, 'xdp').helm).toEqual(['--set loadBalancer.acceleration=native']);
    expect(feature(r, 'socket-lb-bypass').helm).toContain('--set socketLB.hostNamespaceOnly=true');
    expect(feature(r, 'topology-hints').helm).toEqual(['--set loadBalancer.serviceTopology=true']);
    expect(feature(r, 'external-clusterip').helm).toEqual(['--set bpf.lbExternalClusterIP=true']);
    expect(feature(r, 'egress-gateway').kubespray.join(' ')).toMatch(/enable-bpf-masquerade.*enable-ipv4-egress-gateway.*enable-l7-proxy: "false".*kube-proxy-replacement: strict/);
    expect(feature(r, 'service-mesh').kubespray).toEqual([]);
  });
});

describe('kubespray-dsr-maglev.yml (DSR + Maglev through cilium_config_extra_vars)', () => {
  it('is valid without warnings; the extra vars set the Helm values', async () => {
    const r = await load('kubespray-dsr-maglev.yml');
    expect(r.valid).toBe(true);
    expect(findings(r)).toEqual([]);
    expect(r.effective).toMatchObject({
      kubeProxyReplacement: true,
      routingMode: 'native',
      autoDirectNodeRoutes: true,
      loadBalancer: { mode: 'dsr', dsrDispatch: 'opt', algorithm: 'maglev', acceleration: 'native', serviceTopology: true },
      maglev: { tableSize: 65521, hashSeed: 'AQIDBAUGBwgJCgsM' },
      socketLB: { enabled: true, hostNamespaceOnly: true },
      pmtuDiscovery: { enabled: true },
      ipv4NativeRoutingCIDR: '10.233.64.0/18',
    });
    const ex = r.kubespray!.understood.find((u) => u.variable === 'cilium_config_extra_vars.bpf-lb-mode')!;
    expect(ex.sets).toEqual(['loadBalancer.mode']);
    expect(r.settings.find((s) => s.key === 'loadBalancer.mode')!.from).toBe('cilium_config_extra_vars.bpf-lb-mode');
  });

  it('turns on Maglev, DSR, XDP, socket-LB bypass and topology hints, naming the variables', async () => {
    const r = await load('kubespray-dsr-maglev.yml');
    expect(feature(r, 'maglev').via).toContain('cilium_config_extra_vars.bpf-lb-algorithm: maglev');
    expect(feature(r, 'dsr').via).toEqual(expect.arrayContaining(['cilium_config_extra_vars.bpf-lb-mode: dsr', 'cilium_tunnel_mode: disabled', 'cilium_auto_direct_node_routes: true']));
    expect(feature(r, 'xdp').via).toEqual(['cilium_config_extra_vars.bpf-lb-acceleration: native']);
    expect(feature(r, 'socket-lb-bypass').enabled).toBe(true);
    expect(feature(r, 'topology-hints').enabled).toBe(true);
    expect(feature(r, 'hybrid').enabled).toBe(false);
    expect(feature(r, 'egress-gateway').enabled).toBe(false);
  });

  it('the rules speak Kubespray: DSR needs cilium_tunnel_mode: disabled; Maglev cannot count backends', async () => {
    const r = await load('kubespray-dsr-maglev.yml');
    expect(requirement(r, 'loadBalancer.mode').requires.join('\n')).toMatch(/cilium_tunnel_mode: disabled/);
    expect(requirement(r, 'maglev.tableSize').implies.join('\n')).toMatch(/cannot count backends from a Kubespray file/);
    expect(requirement(r, 'MTU').implies.join('\n')).toMatch(/DSR adds 8 bytes/);
  });
});

describe('kubespray-contradictory.yml', () => {
  it('is invalid and names each problem with its variables and rule', async () => {
    const r = await load('kubespray-contradictory.yml');
    expect(r.valid).toBe(false);
    // DSR through an extra var while Kubespray keeps its VXLAN tunnel.
    const vx = expectFinding(r, 'error', 'cilium_config_extra_vars.bpf-lb-mode', ['cannot be used with vxlan tunnelling', 'Node Port mode cannot be used with vxlan tunneling']);
    expect(vx.message).toMatch(/cilium_tunnel_mode: vxlan/);
    expect(vx.message).toMatch(/set cilium_tunnel_mode: disabled and cilium_auto_direct_node_routes: true/);
    // kube-proxy left in place: the load-balancer options do nothing.
    expectFinding(r, 'error', 'cilium_kube_proxy_replacement', ['cilium_config_extra_vars.bpf-lb-mode: dsr', 'cilium_config_extra_vars.bpf-lb-algorithm: maglev', 'no effect without kube-proxy replacement', 'cilium_kube_proxy_replacement: true']);
    expectFinding(r, 'error', 'cilium_config_extra_vars.bpf-lb-maglev-table-size', ['1000', "not one of Cilium's Maglev table sizes", '16381']);
    expectFinding(r, 'error', 'cilium_cluster_name', ['Lab', 'lower case', 'no capitals: "lab"']);
    // A variable Kubespray does not have: not understood, with the real spelling.
    const rm = r.kubespray!.notUnderstood.find((u) => u.variable === 'cilium_routing_mode')!;
    expect(rm.value).toBe('native');
    expect(rm.hint).toMatch(/Kubespray has no cilium_routing_mode.*cilium_tunnel_mode: disabled/);
    // Not applied: routing stays Kubespray's VXLAN.
    expect(r.effective).toMatchObject({ routingMode: 'tunnel', tunnelProtocol: 'vxlan' });
  });
});

// One problem per file; the variable the finding names, its level, and the words it must say.
interface VarCase {
  name: string;
  text: string;
  level: 'warning' | 'error';
  setting: string;
  words: (string | RegExp)[];
}

const kpr = 'cilium_kube_proxy_replacement: true\n';
const native = 'cilium_tunnel_mode: disabled\ncilium_auto_direct_node_routes: true\ncilium_native_routing_cidr: 10.233.64.0/18\n';

const varCases: VarCase[] = [
  {
    name: 'native routing without a native-routing CIDR',
    text: `${kpr}kube_pods_subnet: 10.233.64.0/18\ncilium_tunnel_mode: disabled\n`,
    level: 'error',
    setting: 'cilium_native_routing_cidr',
    words: ['cilium_tunnel_mode: disabled', 'cilium_enable_ipv4_masquerade: true', 'refuses to start', 'cilium_native_routing_cidr: 10.233.64.0/18 (kube_pods_subnet)'],
  },
  {
    name: 'IPv6 native routing without an IPv6 native-routing CIDR',
    text: `${kpr}${native}cilium_enable_ipv6: true\n`,
    level: 'error',
    setting: 'cilium_native_routing_cidr_ipv6',
    words: ['--ipv6-native-routing-cidr'],
  },
  {
    name: 'autoDirectNodeRoutes with the VXLAN tunnel',
    text: `${kpr}cilium_auto_direct_node_routes: true\n`,
    level: 'error',
    setting: 'cilium_auto_direct_node_routes',
    words: ['cannot be used with tunnelling', 'cilium_tunnel_mode: vxlan', 'cilium_tunnel_mode: disabled'],
  },
  {
    name: 'DSR with Kubespray\'s default tunnel (cilium_loadbalancer_mode)',
    text: `${kpr}cilium_loadbalancer_mode: dsr\n`,
    level: 'error',
    setting: 'cilium_loadbalancer_mode',
    words: ['cilium_loadbalancer_mode: dsr', 'vxlan', "cilium_tunnel_mode: vxlan (Kubespray's default)"],
  },
  {
    name: 'DSR in geneve tunnel mode with the opt dispatch',
    text: `${kpr}cilium_tunnel_mode: geneve\ncilium_config_extra_vars:\n  bpf-lb-mode: dsr\n`,
    level: 'error',
    setting: 'bpf-lb-dsr-dispatch',
    words: ['geneve tunnel mode', 'cilium_config_extra_vars: {bpf-lb-dsr-dispatch: geneve}'],
  },
  {
    name: 'ipip dispatch without XDP before 1.19',
    text: `cilium_version: v1.17.3\n${kpr}${native}cilium_config_extra_vars:\n  bpf-lb-mode: dsr\n  bpf-lb-dsr-dispatch: ipip\n`,
    level: 'error',
    setting: 'cilium_config_extra_vars.bpf-lb-dsr-dispatch',
    words: ['only available with XDP acceleration in Cilium 1.17', 'bpf-lb-acceleration: native'],
  },
  {
    name: 'egress gateway without BPF masquerade',
    text: `${kpr}cilium_config_extra_vars:\n  enable-ipv4-egress-gateway: "true"\n  enable-l7-proxy: "false"\n`,
    level: 'error',
    setting: 'cilium_enable_bpf_masquerade',
    words: ['cilium_config_extra_vars.enable-ipv4-egress-gateway: true', 'needs BPF masquerade', 'cilium_enable_bpf_masquerade: true'],
  },
  {
    name: 'egress gateway with the L7 proxy on (Cilium\'s default)',
    text: `${kpr}cilium_enable_bpf_masquerade: true\ncilium_config_extra_vars:\n  enable-ipv4-egress-gateway: "true"\n`,
    level: 'error',
    setting: 'enable-l7-proxy',
    words: ['needs the L7 proxy off', 'enable-l7-proxy: true', 'cilium_config_extra_vars: {enable-l7-proxy: "false"}'],
  },
  {
    name: 'egress gateway without kube-proxy replacement',
    text: `cilium_enable_bpf_masquerade: true\ncilium_config_extra_vars:\n  enable-ipv4-egress-gateway: "true"\n  enable-l7-proxy: "false"\n`,
    level: 'error',
    setting: 'cilium_kube_proxy_replacement',
    words: ['needs kube-proxy replacement', 'kube-proxy-replacement: strict'],
  },
  {
    name: 'kube-proxy replacement "partial"',
    text: 'cilium_kube_proxy_replacement: partial\n',
    level: 'error',
    setting: 'cilium_kube_proxy_replacement',
    words: ['removed in Cilium 1.15', 'true and false'],
  },
  {
    name: 'cluster name "default" with a cluster ID',
    text: 'cilium_cluster_id: 3\n',
    level: 'error',
    setting: 'cilium_cluster_name',
    words: ['"default" with a non-zero cluster ID', 'cilium_cluster_id: 3'],
  },
  {
    name: 'cluster ID out of range',
    text: 'cilium_cluster_name: lab\ncilium_cluster_id: 300\n',
    level: 'error',
    setting: 'cilium_cluster_id',
    words: ['300', '1..255'],
  },
  {
    name: 'an extra var with a value Cilium does not know',
    text: `${kpr}cilium_config_extra_vars:\n  bpf-lb-mode: dsrr\n`,
    level: 'error',
    setting: 'cilium_config_extra_vars.bpf-lb-mode',
    words: ['"dsrr" is not allowed', 'snat, dsr, hybrid'],
  },
  {
    name: 'a hash seed that is not 12 bytes',
    text: `${kpr}cilium_config_extra_vars:\n  bpf-lb-algorithm: maglev\n  bpf-lb-maglev-hash-seed: "FYJf2hrSynYxcZrkMWTGYA=="\n`,
    level: 'error',
    setting: 'cilium_config_extra_vars.bpf-lb-maglev-hash-seed',
    words: ['decodes to 16 bytes', 'exactly 12 bytes'],
  },
  {
    name: 'service-no-backend-response in Cilium 1.15',
    text: `cilium_version: "1.15.9"\n${kpr}cilium_config_extra_vars:\n  service-no-backend-response: reject\n`,
    level: 'error',
    setting: 'cilium_config_extra_vars.service-no-backend-response',
    words: ['does not exist in Cilium 1.15', '1.16'],
  },
  {
    name: 'a Cilium older than Kubespray allows',
    text: 'cilium_version: v1.12.1\n',
    level: 'error',
    setting: 'cilium_version',
    words: ['older than Cilium 1.15', 'cilium_min_version_required'],
  },
  {
    name: 'a Cilium newer than dsrlab knows',
    text: 'cilium_version: v1.21.0\n',
    level: 'warning',
    setting: 'cilium_version',
    words: ['newer than dsrlab knows', '1.19'],
  },
  {
    name: 'two variables that disagree',
    text: `${kpr}${native}cilium_loadbalancer_mode: snat\ncilium_config_extra_vars:\n  bpf-lb-mode: dsr\n`,
    level: 'warning',
    setting: 'cilium_config_extra_vars.bpf-lb-mode',
    words: ['contradicts cilium_loadbalancer_mode: snat', 'both set loadBalancer.mode', 'Set it in one place'],
  },
  {
    name: 'a Jinja template',
    text: 'cilium_enable_ipv6: "{{ ipv6_stack }}"\n',
    level: 'warning',
    setting: 'cilium_enable_ipv6',
    words: ['template dsrlab cannot evaluate', 'keeps its default'],
  },
  {
    name: 'socket-LB bypass with the socket LB off',
    text: 'cilium_config_extra_vars:\n  bpf-lb-sock-hostns-only: "true"\n',
    level: 'warning',
    setting: 'cilium_config_extra_vars.bpf-lb-sock-hostns-only',
    words: ['cilium_config_extra_vars.bpf-lb-sock-hostns-only: true has no effect', 'cilium_kube_proxy_replacement: false'],
  },
  {
    name: 'DSR with the opt dispatch and no PMTU discovery',
    text: `${kpr}${native}cilium_loadbalancer_mode: dsr\n`,
    level: 'warning',
    setting: 'enable-pmtu-discovery',
    words: ['full-size UDP datagrams', '8 bytes', 'cilium_config_extra_vars: {enable-pmtu-discovery: "true"}', '--set pmtuDiscovery.enabled=true'],
  },
  {
    name: 'Maglev with the public default seed',
    text: `${kpr}cilium_config_extra_vars:\n  bpf-lb-algorithm: maglev\n`,
    level: 'warning',
    setting: 'bpf-lb-maglev-hash-seed',
    words: ['public', 'cilium_config_extra_vars: {bpf-lb-maglev-hash-seed:', '--set maglev.hashSeed='],
  },
  {
    name: 'Cilium not the network plugin',
    text: 'kube_network_plugin: calico\ncilium_kube_proxy_replacement: true\n',
    level: 'warning',
    setting: 'kube_network_plugin',
    words: ['calico', 'cilium_deploy_additionally'],
  },
];

describe.each(varCases)('$level: $name', ({ text, level, setting, words }) => {
  it(`names ${setting}`, () => {
    const r = checkVars(text);
    expectFinding(r, level, setting, words);
    if (level === 'error') expect(r.valid).toBe(false);
    else expect(r.errors).toEqual([]);
  });
});

describe('reading variables files', () => {
  it('lists cilium_* variables Kubespray does not have, with a hint, and unknown extra vars', () => {
    const r = checkVars('cilium_enable_maglev: true\ncilium_xdp: native\ncilium_frobnicate: 1\ncilium_config_extra_vars:\n  frob-level: "3"\n');
    const nu = Object.fromEntries(r.kubespray!.notUnderstood.map((u) => [u.variable, u.hint]));
    expect(nu['cilium_enable_maglev']).toMatch(/bpf-lb-algorithm: maglev/);
    expect(nu['cilium_xdp']).toMatch(/bpf-lb-acceleration: native/);
    expect(nu['cilium_frobnicate']).toMatch(/Kubespray ignores it/);
    expect(nu['cilium_config_extra_vars.frob-level']).toMatch(/passes it to the cilium-config ConfigMap as is/);
    expect(r.valid).toBe(true); // not understood is not an error
  });

  it('reads a Kubean manifest: the vars ConfigMap among other documents', () => {
    const text = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-hosts-conf}\ndata:\n  hosts.yml: |\n    all:\n      hosts: {node1: {ip: 10.0.0.1}}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-vars-conf}\ndata:\n  group_vars.yml: |\n    kube_network_plugin: cilium\n    cilium_kube_proxy_replacement: true\n    cilium_tunnel_mode: disabled\n    cilium_native_routing_cidr: 10.233.64.0/18\n    cilium_config_extra_vars:\n      bpf-lb-mode: hybrid\n',
      'apiVersion: kubean.io/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec: {}\n',
    ].join('---\n');
    const read = kubesprayFromText(text, 'kubean.yml');
    expect(read.subject.file).toBe('kubean.yml (data.group_vars.yml)');
    const r = checkKubespray(read);
    expect(r.effective).toMatchObject({ routingMode: 'native', loadBalancer: { mode: 'hybrid' } });
    expect(r.kubespray!.features.find((f) => f.id === 'hybrid')!.via).toContain('cilium_config_extra_vars.bpf-lb-mode: hybrid');
  });

  it('follows ipv6_stack for cilium_enable_ipv6, and accepts strict for kube-proxy replacement', () => {
    const r = checkVars(`ipv6_stack: true\ncilium_kube_proxy_replacement: strict\n${native}cilium_native_routing_cidr_ipv6: "fd85:ee78:d8a6:8607::1:0/112"\n`);
    expect(r.effective).toMatchObject({ ipv6: { enabled: true }, kubeProxyReplacement: true });
    expect(r.kubespray!.understood.find((u) => u.variable === 'cilium_kube_proxy_replacement')!.note).toMatch(/strict/);
    expect(r.errors).toEqual([]);
  });

  it('the legacy extra var tunnel: disabled means native routing', () => {
    const r = checkVars(`${kpr}cilium_native_routing_cidr: 10.233.64.0/18\ncilium_config_extra_vars:\n  tunnel: disabled\n  bpf-lb-mode: dsr\n  auto-direct-node-routes: "true"\n  enable-pmtu-discovery: "true"\n`);
    expect(r.errors).toEqual([]);
    expect(r.effective).toMatchObject({ routingMode: 'native', autoDirectNodeRoutes: true, loadBalancer: { mode: 'dsr' } });
    // It contradicts Kubespray's default cilium_tunnel_mode only if the file sets it; here it does not.
    expect(r.warnings).toEqual([]);
  });

  it('an empty file is Kubespray\'s defaults', () => {
    const r = checkVars('');
    expect(r.valid).toBe(true);
    expect(r.kubespray!.versionNote).toMatch(/not set/);
  });

  it('a file that is not a mapping of variables is bad input', () => {
    expect(() => kubesprayFromText('- a\n- b\n', 'list.yml')).toThrow(InputError);
    expect(() => kubesprayFromText('a: [\n', 'broken.yml')).toThrow(/YAML syntax error/);
  });

  it('the fixtures say what they are for in a comment', () => {
    for (const f of ['kubespray-default.yml', 'kubespray-dsr-maglev.yml', 'kubespray-contradictory.yml']) {
      expect(readFileSync(checkFixture(f), 'utf8').startsWith('#'), f).toBe(true);
    }
  });
});
