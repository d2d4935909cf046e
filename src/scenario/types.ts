/**
 * types.ts: the normalised, fully defaulted scenario model that loading produces.
 * How values are read, checked and defaulted lives in validate.ts and objects.ts; version
 * behaviour in profile.ts; address byte helpers in addr.ts.
 *
 * Every address is canonical text (IPv4 dotted quad; IPv6 RFC 5952 compressed lower case);
 * use `ipBytes`/`ipFamily` from addr.ts for bytes. Every MAC is lower-case `xx:xx:…`.
 */

import type { IpFamily } from './addr.js';
import type { CiliumVersion, Profile } from './profile.js';

export type { IpFamily } from './addr.js';
export type { CiliumVersion, Profile } from './profile.js';

export type LbMode = 'snat' | 'dsr' | 'hybrid';
export type DsrDispatch = 'opt' | 'ipip' | 'geneve';
export type LbAlgorithm = 'random' | 'maglev';
export type Acceleration = 'disabled' | 'native' | 'best-effort';
export type RoutingMode = 'native' | 'tunnel';
export type TunnelProtocol = 'vxlan' | 'geneve';
export type NoBackendResponse = 'reject' | 'drop';
export type L4Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';
export type TrafficPolicy = 'Cluster' | 'Local';
export type ServiceAffinity = 'none' | 'local' | 'remote';

/**
 * Cilium's Helm values, by the chart's names, each filled with Cilium's default for the version
 * when the scenario leaves it out (validate.ts documents each default and where it differs).
 */
export interface CiliumConfig {
  version: CiliumVersion;
  /** dsrlab emulates only the kube-proxy replacement datapath, so this is always true. */
  kubeProxyReplacement: true;
  ipv4: { enabled: boolean };
  ipv6: { enabled: boolean };
  serviceNoBackendResponse: NoBackendResponse;
  routingMode: RoutingMode;
  tunnelProtocol: TunnelProtocol;
  autoDirectNodeRoutes: boolean;
  loadBalancer: {
    mode: LbMode;
    dsrDispatch: DsrDispatch;
    algorithm: LbAlgorithm;
    acceleration: Acceleration;
    serviceTopology: boolean;
  };
  maglev: {
    tableSize: number;
    /** Canonical base64 of the 12 seed bytes. */
    hashSeed: string;
    /** Big-endian words of the seed (maglev.md §2): bytes 0–3, 4–7, 8–11. */
    seedMurmur: number;
    seedJhash0: number;
    seedJhash1: number;
  };
  bpf: {
    lbExternalClusterIP: boolean;
    masquerade: boolean;
    lbModeAnnotation: boolean;
    lbAlgorithmAnnotation: boolean;
    lbSourceRangeAllTypes: boolean;
    disableExternalIPMitigation: boolean;
    /** Map sizes (entries): bpf-ct-global-tcp-max, -any-max, bpf-nat-global-max, bpf-neigh-global-max, bpf-lb-map-max. */
    ctTcpMax: number;
    ctAnyMax: number;
    natMax: number;
    neighMax: number;
    lbMapMax: number;
    /** bpf-fragments-map-max: entries of cilium_ipv4_frag_datagrams and (1.18+) cilium_ipv6_frag_datagrams (LRU), 256..65536, default 8192. */
    fragmentsMapMax: number;
  };
  socketLB: { enabled: boolean; hostNamespaceOnly: boolean };
  nodePort: {
    /** Canonical `"min,max"`. */
    range: string;
    min: number;
    max: number;
  };
  pmtuDiscovery: { enabled: boolean };
  /** Device MTU (bytes). Cilium's 0 ("auto-detect") becomes 1500, the emulated devices' MTU. */
  MTU: number;
  /** Facts that follow from the values above, as the agent derives them. */
  derived: {
    /** LoadBalancerUsesDSR(): mode dsr or hybrid, or the mode annotation on. */
    usesDsr: boolean;
    /** ENABLE_DSR_ICMP_ERRORS: DSR in use and pmtuDiscovery.enabled (§4.1). */
    dsrIcmpErrors: boolean;
    /** NODEPORT_PORT_MIN_NAT = nodePort max + 1 (§5.1 step 9). */
    snatPortMin: number;
    /** NODEPORT_PORT_MAX_NAT. */
    snatPortMax: number;
  };
}

/** A host on the emulated wire: a node, a client, a pod or `world`. */
export interface Host {
  name: string;
  ipv4?: string;
  ipv6?: string;
  mac: string;
  mtu: number;
}

/** A cluster node. */
export interface Node extends Host {
  zone?: string;
}

/** A host outside the cluster. */
export type Client = Host;

/** A backend pod, placed on a node by its EndpointSlice `nodeName`. */
export interface Pod extends Host {
  namespace: string;
  node: string;
}

/** Where traffic for an address (LoadBalancer or external IP) enters the cluster. */
export interface Frontend {
  address: string;
  family: IpFamily;
  /** A node name, or `ecmp` (hash of the flow over all nodes). */
  node: string;
}

/** One endpoint address of an EndpointSlice as Cilium turns it into a backend. */
export interface Backend {
  address: string;
  family: IpFamily;
  port: number;
  protocol: L4Protocol;
  /** Absent only for remote-cluster endpoints. */
  nodeName?: string;
  zone?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** Cilium's backend state: ready → active; not ready but serving and terminating → terminating. */
  state: 'active' | 'terminating';
  /** hints.forZones names (empty: no hints). */
  forZones: string[];
  /** targetRef.name, else `pod-<address>` with ':' written as '-'. */
  pod: string;
  /** 0 for this cluster's own endpoints (as Cilium's AddrCluster); the remote cluster's ID otherwise. */
  clusterId: number;
  /** `namespace/name` of the EndpointSlice it came from. */
  slice: string;
}

/** An endpoint address Cilium does not use as a backend, and why. */
export interface SkippedEndpoint {
  address: string;
  pod: string;
  slice: string;
  reason: string;
}

export interface ServicePort {
  /** '' for an unnamed port. */
  name: string;
  protocol: L4Protocol;
  port: number;
  targetPort: number | string;
  /** Present for NodePort and LoadBalancer services (unless allocateLoadBalancerNodePorts is false). */
  nodePort?: number;
  /** Backends for this port, from the EndpointSlices whose port has the same name and protocol. */
  backends: Backend[];
  /** Endpoints of those slices that are not backends (not ready and not serving-terminating). */
  skipped: SkippedEndpoint[];
}

/** Cilium's reading of a Service's annotations (both old io.cilium/* and service.cilium.io/* spellings). */
export interface CiliumServiceOptions {
  global: boolean;
  /** Meaningful for global services; default true. */
  shared: boolean;
  affinity: ServiceAffinity;
  /** The forwarding mode in force for this service (the global mode unless the annotation applies). */
  forwardingMode: LbMode;
  forwardingModeFromAnnotation: boolean;
  lbAlgorithm: LbAlgorithm;
  lbAlgorithmFromAnnotation: boolean;
  /** service.cilium.io/src-ranges-policy. */
  sourceRangesPolicy: 'allow' | 'deny';
}

/** A Kubernetes Service, normalised. Headless and ExternalName services are not kept. */
export interface Service {
  name: string;
  namespace: string;
  /** `namespace/name`. */
  key: string;
  type: ServiceType;
  ipFamilies: IpFamily[];
  ipFamilyPolicy: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  clusterIPs: string[];
  ports: ServicePort[];
  externalIPs: string[];
  /** status.loadBalancer.ingress[].ip (or spec.loadBalancerIP when status has none). */
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  allocateLoadBalancerNodePorts: boolean;
  externalTrafficPolicy: TrafficPolicy;
  internalTrafficPolicy: TrafficPolicy;
  sessionAffinity: 'None' | 'ClientIP';
  /** Seconds; 0 when sessionAffinity is None. */
  sessionAffinityTimeout: number;
  selector: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  cilium: CiliumServiceOptions;
}

/** An EndpointSlice, normalised (kept so that the scenario can be written back out). */
export interface EndpointSlice {
  name: string;
  namespace: string;
  /** `namespace/name` of the Service (label kubernetes.io/service-name). */
  service: string;
  addressType: 'IPv4' | 'IPv6';
  /** 0: this cluster; else the remote cluster named by annotation dsrlab.io/cluster-id. */
  clusterId: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endpoints: SliceEndpoint[];
  ports: { name: string; protocol: L4Protocol; port: number }[];
}

export interface SliceEndpoint {
  addresses: string[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  zone?: string;
  hostname?: string;
  forZones: string[];
  targetRef?: { kind: string; name: string; namespace?: string };
}

/** A loaded, validated and fully defaulted scenario. */
export interface Scenario {
  /** The scenario file as the caller named it. */
  file: string;
  cilium: CiliumConfig;
  profile: Profile;
  cluster: { name: string; id: number };
  seed: number;
  nodes: Node[];
  clients: Client[];
  /** The one host undeclared capture sources share. */
  world: Host;
  frontends: Frontend[];
  pods: Pod[];
  services: Service[];
  endpointSlices: EndpointSlice[];
}

/** What the command line may override before validation (e.g. `--mode`). */
export interface ScenarioOverrides {
  loadBalancerMode?: LbMode;
}

export interface LoadOptions {
  overrides?: ScenarioOverrides;
}
