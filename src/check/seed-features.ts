/**
 * seed-features.ts: the features of the seed document ("Cilium features Kubespray cannot
 * enable", /work/shared/seed/cilium-features-kubespray-cannot-enable.zh.txt), each with whether a
 * Kubespray file turns it on and through which variables, and otherwise the Helm values the
 * seed document gives to turn it on (plus the cilium_config_extra_vars equivalent). What each
 * feature then requires is requirements.ts's business.
 */

import type { CheckSubject } from './model.js';

export interface SeedFeature {
  id: string;
  /** English title, with the seed document's heading. */
  title: string;
  seedHeading: string;
  /** Helm values exactly as the seed document gives them. */
  helm: string[];
  /** The same through Kubespray/Kubean: cilium_config_extra_vars entries or Kubespray variables. */
  kubespray: string[];
  /** Helm keys whose values say whether the feature is on. */
  keys: string[];
  on(s: CheckSubject): boolean;
  /** What the seed document adds (a limit, a step outside Helm). */
  note?: string;
}

/** A feature's state in one configuration. */
export interface FeatureState {
  id: string;
  title: string;
  seedHeading: string;
  enabled: boolean;
  /** Variables that set it (when enabled). */
  via: string[];
  helm: string[];
  kubespray: string[];
  note?: string;
}

export const SEED_FEATURES: SeedFeature[] = [
  {
    id: 'egress-gateway',
    title: 'Egress gateway',
    seedHeading: 'Egress Gateway',
    helm: ['--set egressGateway.enabled=true', '--set bpf.masquerade=true', '--set kubeProxyReplacement=true', '--set l7Proxy=false'],
    kubespray: ['cilium_config_extra_vars: {enable-bpf-masquerade: "true", enable-ipv4-egress-gateway: "true", enable-l7-proxy: "false", kube-proxy-replacement: strict}'],
    keys: ['egressGateway.enabled'],
    on: (s) => s.other.egressGateway === true,
    note: 'the seed document gives the ConfigMap keys (开启条件) for Kubean\'s cilium_config_extra_vars; IPv4 only; an L7 policy on the same endpoint disables the egress policy',
  },
  {
    id: 'cluster-mesh',
    title: 'Cluster Mesh',
    seedHeading: 'Cluster Mesh',
    helm: ['--set cluster.name=<unique lowercase name>', '--set cluster.id=<1..255>'],
    kubespray: ['cilium_cluster_name: <unique lowercase name>', 'cilium_cluster_id: <1..255>'],
    keys: ['cluster.id'],
    on: (s) => s.cluster.id !== 0,
    note: 'only name and ID are set at install; the mesh is enabled afterwards with the Cilium CLI: cilium clustermesh enable --create-ca --context x1 --service-type NodePort; cilium clustermesh connect --context x1 --destination-context x2',
  },
  {
    id: 'service-mesh',
    title: 'Service mesh',
    seedHeading: 'Service Mesh',
    helm: ['(Cilium CLI or Helm only; no single value)'],
    kubespray: [],
    keys: [],
    on: () => false,
    note: 'cannot be switched on through Kubespray or Kubean variables at all',
  },
  {
    id: 'bandwidth-manager',
    title: 'Bandwidth manager',
    seedHeading: '带宽管理',
    helm: ['--set bandwidthManager.enabled=true'],
    kubespray: ['cilium_enable_bandwidth_manager: true (Kubespray newer than 2.20)', 'cilium_config_extra_vars: {enable-bandwidth-manager: "true"} (Kubespray 2.20 and older)'],
    keys: ['bandwidthManager.enabled'],
    on: (s) => s.other.bandwidthManager === true,
  },
  {
    id: 'kube-proxy-replacement',
    title: 'kube-proxy replacement',
    seedHeading: '替换 kube-proxy',
    helm: ['--set kubeProxyReplacement=true'],
    kubespray: ['cilium_kube_proxy_replacement: true'],
    keys: ['kubeProxyReplacement'],
    on: (s) => s.cilium.kubeProxyReplacement,
    note: 'Kubespray sets this one; the advanced options below it are what it cannot set',
  },
  {
    id: 'maglev',
    title: 'Maglev consistent hashing',
    seedHeading: 'Maglev 哈希一致性',
    helm: ['--set loadBalancer.algorithm=maglev', '--set maglev.tableSize=65521', '--set maglev.hashSeed=$SEED'],
    kubespray: ['cilium_config_extra_vars: {bpf-lb-algorithm: maglev, bpf-lb-maglev-table-size: "65521", bpf-lb-maglev-hash-seed: <SEED>}'],
    keys: ['loadBalancer.algorithm', 'maglev.tableSize', 'maglev.hashSeed'],
    on: (s) => s.cilium.loadBalancer.algorithm === 'maglev',
    note: 'SEED=$(head -c12 /dev/urandom | base64 -w0), generated once and the same on every node',
  },
  {
    id: 'dsr',
    title: 'Direct Server Return (DSR)',
    seedHeading: '直接 SVC 返回 (DSR)',
    helm: ['--set tunnel=disabled', '--set autoDirectNodeRoutes=true', '--set loadBalancer.mode=dsr'],
    kubespray: ['cilium_tunnel_mode: disabled', 'cilium_auto_direct_node_routes: true', 'cilium_loadbalancer_mode: dsr (newer Kubespray) or cilium_config_extra_vars: {bpf-lb-mode: dsr}'],
    keys: ['loadBalancer.mode', 'routingMode', 'autoDirectNodeRoutes'],
    on: (s) => s.cilium.loadBalancer.mode === 'dsr',
    note: 'tunnel=disabled is the pre-1.15 spelling of routingMode=native',
  },
  {
    id: 'hybrid',
    title: 'Hybrid DSR and SNAT',
    seedHeading: '混合 DSR 和 SNAT 模式',
    helm: ['--set tunnel=disabled', '--set autoDirectNodeRoutes=true', '--set loadBalancer.mode=hybrid'],
    kubespray: ['cilium_tunnel_mode: disabled', 'cilium_auto_direct_node_routes: true', 'cilium_loadbalancer_mode: hybrid (newer Kubespray) or cilium_config_extra_vars: {bpf-lb-mode: hybrid}'],
    keys: ['loadBalancer.mode', 'routingMode', 'autoDirectNodeRoutes'],
    on: (s) => s.cilium.loadBalancer.mode === 'hybrid',
  },
  {
    id: 'xdp',
    title: 'XDP acceleration',
    seedHeading: 'XDP 加速',
    helm: ['--set loadBalancer.acceleration=native'],
    kubespray: ['cilium_config_extra_vars: {bpf-lb-acceleration: native}'],
    keys: ['loadBalancer.acceleration'],
    on: (s) => s.cilium.loadBalancer.acceleration !== 'disabled',
    note: 'every NodePort device needs a driver with native XDP (ethtool -i eth0 | grep driver)',
  },
  {
    id: 'socket-lb-bypass',
    title: 'Socket LB bypass in pod namespaces',
    seedHeading: '在 Pod 命名空间中绕过 Socket LoadBalancer',
    helm: ['--set tunnel=disabled', '--set autoDirectNodeRoutes=true', '--set socketLB.hostNamespaceOnly=true'],
    kubespray: ['cilium_config_extra_vars: {bpf-lb-sock-hostns-only: "true"}'],
    keys: ['socketLB.hostNamespaceOnly'],
    on: (s) => s.cilium.socketLB.hostNamespaceOnly,
  },
  {
    id: 'topology-hints',
    title: 'Topology-aware hints',
    seedHeading: '开启拓扑感知提示',
    helm: ['--set loadBalancer.serviceTopology=true'],
    kubespray: ['cilium_config_extra_vars: {enable-service-topology: "true"}'],
    keys: ['loadBalancer.serviceTopology'],
    on: (s) => s.cilium.loadBalancer.serviceTopology,
  },
  {
    id: 'neighbour-discovery',
    title: 'Neighbour discovery refresh',
    seedHeading: '邻居发现',
    helm: ['--set --arping-refresh-period=30s'],
    kubespray: ['cilium_config_extra_vars: {arping-refresh-period: 30s}'],
    keys: ['arping-refresh-period'],
    on: (s) => s.other.arpingRefreshPeriod !== undefined,
    note: 'the agent refreshes neighbours every 30 s by default on kernels older than 5.16; the seed document\'s "--set --arping-refresh-period" is an agent flag, not a Helm value',
  },
  {
    id: 'external-clusterip',
    title: 'External access to ClusterIP',
    seedHeading: 'clusterIP 对外可访问',
    helm: ['--set bpf.lbExternalClusterIP=true'],
    kubespray: ['cilium_config_extra_vars: {bpf-lb-external-clusterip: "true"}'],
    keys: ['bpf.lbExternalClusterIP'],
    on: (s) => s.cilium.bpf.lbExternalClusterIP,
  },
];

/** Each seed-document feature's state in the subject. */
export function featureStates(s: CheckSubject): FeatureState[] {
  return SEED_FEATURES.map((f) => {
    const enabled = f.on(s);
    const via = enabled ? [...new Set(f.keys.map((k) => s.sources.get(k)).filter((v) => v !== undefined).map((v) => `${v.name}: ${v.raw}`))] : [];
    const st: FeatureState = { id: f.id, title: f.title, seedHeading: f.seedHeading, enabled, via, helm: f.helm, kubespray: f.kubespray };
    if (f.note) st.note = f.note;
    return st;
  });
}
