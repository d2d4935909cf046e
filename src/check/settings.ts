/**
 * settings.ts: the table of Cilium settings `dsrlab check` prints as the effective configuration:
 * each Helm value with its group, the agent flag (the cilium-config ConfigMap key, which is what
 * Kubespray's `cilium_config_extra_vars` sets), the Kubespray variable that sets it if there is
 * one, and its default. What each setting requires is requirements.ts's business.
 */

import { DEFAULT_CILIUM_VERSION, DEFAULT_MAGLEV_HASH_SEED } from '../scenario/index.js';
import type { CheckSubject } from './model.js';

export type Value = string | number | boolean;

/** The groups, in print order. */
export const GROUPS = [
  'General',
  'Load balancer',
  'DSR',
  'Maglev',
  'Routing',
  'XDP',
  'Socket LB',
  'NodePort',
  'MTU / PMTU',
  'Map sizes',
  'Other Cilium settings',
] as const;
export type Group = (typeof GROUPS)[number];

export interface SettingDef {
  /** Helm value path (`loadBalancer.mode`); an agent flag where Helm has no value of its own. */
  key: string;
  group: Group;
  /** Agent flag / cilium-config key. */
  flag?: string;
  /** The Kubespray variable that sets it (defaults/main.yml of roles/network_plugin/cilium). */
  kubespray?: string;
  /** The value in force; undefined when the subject cannot say (a scenario has no such key). */
  get(s: CheckSubject): Value | undefined;
  /** Cilium's default (for this subject: some defaults follow other values). */
  def(s: CheckSubject): Value;
}

/** One row of the effective configuration. */
export interface EffectiveSetting {
  group: Group;
  key: string;
  flag?: string;
  kubespray?: string;
  value: Value;
  default: Value;
  isDefault: boolean;
  /** Where it was set (Kubespray: the variable); absent when not recorded or defaulted. */
  from?: string;
}

const c = (s: CheckSubject) => s.cilium;

/** Every setting, grouped (GROUPS order within the list). */
export const SETTINGS: SettingDef[] = [
  // General
  { key: 'version', group: 'General', kubespray: 'cilium_version', get: (s) => s.version, def: () => DEFAULT_CILIUM_VERSION },
  {
    key: 'kubeProxyReplacement',
    group: 'General',
    flag: 'kube-proxy-replacement',
    kubespray: 'cilium_kube_proxy_replacement',
    get: (s) => c(s).kubeProxyReplacement,
    // Cilium's chart (and Kubespray) default to false; a scenario is always true (dsrlab emulates only the replacement).
    def: (s) => s.origin === 'scenario',
  },
  { key: 'ipv4.enabled', group: 'General', flag: 'enable-ipv4', kubespray: 'cilium_enable_ipv4', get: (s) => c(s).ipv4.enabled, def: () => true },
  { key: 'ipv6.enabled', group: 'General', flag: 'enable-ipv6', kubespray: 'cilium_enable_ipv6', get: (s) => c(s).ipv6.enabled, def: () => false },
  { key: 'cluster.name', group: 'General', flag: 'cluster-name', kubespray: 'cilium_cluster_name', get: (s) => s.cluster.name, def: () => 'default' },
  { key: 'cluster.id', group: 'General', flag: 'cluster-id', kubespray: 'cilium_cluster_id', get: (s) => s.cluster.id, def: () => 0 },

  // Load balancer
  { key: 'loadBalancer.mode', group: 'Load balancer', flag: 'bpf-lb-mode', kubespray: 'cilium_loadbalancer_mode', get: (s) => c(s).loadBalancer.mode, def: () => 'snat' },
  { key: 'loadBalancer.algorithm', group: 'Load balancer', flag: 'bpf-lb-algorithm', get: (s) => c(s).loadBalancer.algorithm, def: () => 'random' },
  { key: 'serviceNoBackendResponse', group: 'Load balancer', flag: 'service-no-backend-response', get: (s) => c(s).serviceNoBackendResponse, def: (s) => s.profile.noBackend.defaultResponse },
  { key: 'bpf.lbExternalClusterIP', group: 'Load balancer', flag: 'bpf-lb-external-clusterip', get: (s) => c(s).bpf.lbExternalClusterIP, def: () => false },
  { key: 'loadBalancer.serviceTopology', group: 'Load balancer', flag: 'enable-service-topology', get: (s) => c(s).loadBalancer.serviceTopology, def: () => false },
  { key: 'bpf.lbModeAnnotation', group: 'Load balancer', flag: 'bpf-lb-mode-annotation', get: (s) => c(s).bpf.lbModeAnnotation, def: () => false },
  { key: 'bpf.lbAlgorithmAnnotation', group: 'Load balancer', flag: 'bpf-lb-algorithm-annotation', get: (s) => c(s).bpf.lbAlgorithmAnnotation, def: () => false },
  { key: 'bpf.lbSourceRangeAllTypes', group: 'Load balancer', flag: 'bpf-lb-source-range-all-types', get: (s) => c(s).bpf.lbSourceRangeAllTypes, def: () => false },
  { key: 'bpf.disableExternalIPMitigation', group: 'Load balancer', flag: 'disable-external-ip-mitigation', get: (s) => c(s).bpf.disableExternalIPMitigation, def: () => false },

  // DSR
  { key: 'loadBalancer.dsrDispatch', group: 'DSR', flag: 'bpf-lb-dsr-dispatch', get: (s) => c(s).loadBalancer.dsrDispatch, def: () => 'opt' },

  // Maglev
  { key: 'maglev.tableSize', group: 'Maglev', flag: 'bpf-lb-maglev-table-size', get: (s) => c(s).maglev.tableSize, def: () => 16381 },
  { key: 'maglev.hashSeed', group: 'Maglev', flag: 'bpf-lb-maglev-hash-seed', get: (s) => c(s).maglev.hashSeed, def: () => DEFAULT_MAGLEV_HASH_SEED },

  // Routing
  { key: 'routingMode', group: 'Routing', flag: 'routing-mode', kubespray: 'cilium_tunnel_mode', get: (s) => c(s).routingMode, def: () => 'tunnel' },
  { key: 'tunnelProtocol', group: 'Routing', flag: 'tunnel-protocol', kubespray: 'cilium_tunnel_mode', get: (s) => c(s).tunnelProtocol, def: () => 'vxlan' },
  { key: 'autoDirectNodeRoutes', group: 'Routing', flag: 'auto-direct-node-routes', kubespray: 'cilium_auto_direct_node_routes', get: (s) => c(s).autoDirectNodeRoutes, def: () => false },
  { key: 'bpf.masquerade', group: 'Routing', flag: 'enable-bpf-masquerade', kubespray: 'cilium_enable_bpf_masquerade', get: (s) => c(s).bpf.masquerade, def: () => false },
  { key: 'ipv4NativeRoutingCIDR', group: 'Routing', flag: 'ipv4-native-routing-cidr', kubespray: 'cilium_native_routing_cidr', get: (s) => s.other.ipv4NativeRoutingCIDR, def: () => '' },
  { key: 'ipv6NativeRoutingCIDR', group: 'Routing', flag: 'ipv6-native-routing-cidr', kubespray: 'cilium_native_routing_cidr_ipv6', get: (s) => s.other.ipv6NativeRoutingCIDR, def: () => '' },
  { key: 'enableIPv4Masquerade', group: 'Routing', flag: 'enable-ipv4-masquerade', kubespray: 'cilium_enable_ipv4_masquerade', get: (s) => s.other.enableIPv4Masquerade, def: () => true },
  { key: 'enableIPv6Masquerade', group: 'Routing', flag: 'enable-ipv6-masquerade', kubespray: 'cilium_enable_ipv6_masquerade', get: (s) => s.other.enableIPv6Masquerade, def: () => true },
  { key: 'ipMasqAgent.enabled', group: 'Routing', flag: 'enable-ip-masq-agent', kubespray: 'cilium_ip_masq_agent_enable', get: (s) => s.other.ipMasqAgent, def: () => false },

  // XDP
  { key: 'loadBalancer.acceleration', group: 'XDP', flag: 'bpf-lb-acceleration', get: (s) => c(s).loadBalancer.acceleration, def: () => 'disabled' },

  // Socket LB: with kube-proxy replacement Cilium turns the socket LB on.
  { key: 'socketLB.enabled', group: 'Socket LB', flag: 'bpf-lb-sock', get: (s) => c(s).socketLB.enabled, def: (s) => c(s).kubeProxyReplacement },
  { key: 'socketLB.hostNamespaceOnly', group: 'Socket LB', flag: 'bpf-lb-sock-hostns-only', get: (s) => c(s).socketLB.hostNamespaceOnly, def: () => false },

  // NodePort
  { key: 'nodePort.range', group: 'NodePort', flag: 'node-port-range', get: (s) => c(s).nodePort.range, def: () => '30000,32767' },

  // MTU / PMTU (MTU 0 means auto-detect; dsrlab's devices are 1500-byte Ethernet)
  { key: 'MTU', group: 'MTU / PMTU', flag: 'mtu', kubespray: 'cilium_mtu', get: (s) => c(s).MTU, def: () => 1500 },
  { key: 'pmtuDiscovery.enabled', group: 'MTU / PMTU', flag: 'enable-pmtu-discovery', get: (s) => c(s).pmtuDiscovery.enabled, def: () => false },

  // Map sizes: NAT defaults to 2/3 of the CT total, the neighbour map to the NAT size (validate.ts).
  { key: 'bpf.ctTcpMax', group: 'Map sizes', flag: 'bpf-ct-global-tcp-max', get: (s) => c(s).bpf.ctTcpMax, def: () => 524288 },
  { key: 'bpf.ctAnyMax', group: 'Map sizes', flag: 'bpf-ct-global-any-max', get: (s) => c(s).bpf.ctAnyMax, def: () => 262144 },
  { key: 'bpf.natMax', group: 'Map sizes', flag: 'bpf-nat-global-max', get: (s) => c(s).bpf.natMax, def: (s) => Math.floor(((c(s).bpf.ctTcpMax + c(s).bpf.ctAnyMax) * 2) / 3) },
  { key: 'bpf.neighMax', group: 'Map sizes', flag: 'bpf-neigh-global-max', get: (s) => c(s).bpf.neighMax, def: (s) => c(s).bpf.natMax },
  { key: 'bpf.lbMapMax', group: 'Map sizes', flag: 'bpf-lb-map-max', get: (s) => c(s).bpf.lbMapMax, def: () => 65536 },
  { key: 'bpf.fragmentsMapMax', group: 'Map sizes', flag: 'bpf-fragments-map-max', get: (s) => c(s).bpf.fragmentsMapMax, def: () => 8192 },

  // Settings only a Kubespray file carries (a scenario leaves them undefined, and they are not printed).
  { key: 'ipam.mode', group: 'Other Cilium settings', flag: 'ipam', kubespray: 'cilium_ipam_mode', get: (s) => s.other.ipamMode, def: () => 'cluster-pool' },
  { key: 'identityAllocationMode', group: 'Other Cilium settings', flag: 'identity-allocation-mode', kubespray: 'cilium_identity_allocation_mode', get: (s) => s.other.identityAllocationMode, def: () => 'crd' },
  { key: 'egressGateway.enabled', group: 'Other Cilium settings', flag: 'enable-ipv4-egress-gateway', get: (s) => s.other.egressGateway, def: () => false },
  { key: 'l7Proxy', group: 'Other Cilium settings', flag: 'enable-l7-proxy', get: (s) => s.other.l7Proxy, def: () => true },
  { key: 'bandwidthManager.enabled', group: 'Other Cilium settings', flag: 'enable-bandwidth-manager', kubespray: 'cilium_enable_bandwidth_manager', get: (s) => s.other.bandwidthManager, def: () => false },
  { key: 'bandwidthManager.bbr', group: 'Other Cilium settings', flag: 'enable-bbr', kubespray: 'cilium_enable_bandwidth_manager_bbr', get: (s) => s.other.bbr, def: () => false },
  { key: 'hubble.enabled', group: 'Other Cilium settings', flag: 'enable-hubble', kubespray: 'cilium_enable_hubble', get: (s) => s.other.hubble, def: () => false },
  { key: 'nodePort.enabled', group: 'Other Cilium settings', flag: 'enable-node-port', get: (s) => s.other.nodePortEnabled, def: (s) => c(s).kubeProxyReplacement },
  // Agent flags without a Helm value of their own (set through extraConfig / cilium_config_extra_vars).
  { key: 'arping-refresh-period', group: 'Other Cilium settings', flag: 'arping-refresh-period', get: (s) => s.other.arpingRefreshPeriod, def: () => '30s' },
  { key: 'enable-session-affinity', group: 'Other Cilium settings', flag: 'enable-session-affinity', get: (s) => s.other.sessionAffinity, def: (s) => c(s).kubeProxyReplacement },
];

const BY_KEY = new Map(SETTINGS.map((d) => [d.key, d]));

/** The definition of Helm key `key`, if dsrlab knows it. */
export function settingDef(key: string): SettingDef | undefined {
  return BY_KEY.get(key);
}

/** Every setting the subject has a value for, with its default and whether it is the default. */
export function effectiveSettings(s: CheckSubject): EffectiveSetting[] {
  const out: EffectiveSetting[] = [];
  for (const d of SETTINGS) {
    const value = d.get(s);
    if (value === undefined) continue;
    const def = d.def(s);
    const row: EffectiveSetting = { group: d.group, key: d.key, value, default: def, isDefault: value === def };
    if (d.flag) row.flag = d.flag;
    if (d.kubespray) row.kubespray = d.kubespray;
    const src = s.sources.get(d.key);
    if (src) row.from = src.name;
    out.push(row);
  }
  return out;
}
