/**
 * control-plane.ts: what Cilium's agent does before any packet flows, for an emulated cluster:
 * it turns a Scenario into a built Cluster (native/src/cluster.c) with its hosts, the routes by
 * which frontend addresses enter, and on every node that node's backend and service tables
 * (frontends per service port and type, flags, scopes, traffic policies, topology hints,
 * Cluster Mesh preference, Maglev tables). It keeps the name tables the outputs need (hosts,
 * backends, reverse-NAT indexes). The cluster configuration is config.ts's; packets are
 * replay.ts's.
 *
 * Sources: cilium-datapath.md §8.1 (service map), §8.5 (scopes and traffic policies), §9 (frontend
 * types and flags), §12 (topology hints, Cluster Mesh), §5.1 step 2 (wildcard entries).
 */
import { addon, type NativeCluster } from '../native.js';
import { ipBytes, ipFamily, macBytes } from '../scenario/addr.js';
import type { Backend, IpFamily, L4Protocol, LbMode, Node, Scenario, Service } from '../scenario/types.js';
import { clusterConfig, effectiveMode, type Responder } from './config.js';

/** SVC_FLAG_* (lb.h; cilium-datapath.md §9.1). */
export const SVC_FLAG = {
  EXTERNAL_IP: 1 << 0,
  NODEPORT: 1 << 1,
  EXT_LOCAL_SCOPE: 1 << 2,
  HOSTPORT: 1 << 3,
  AFFINITY: 1 << 4,
  LOADBALANCER: 1 << 5,
  ROUTABLE: 1 << 6,
  SOURCE_RANGE: 1 << 7,
} as const;

/** flags2 bits. */
export const SVC_FLAG2 = {
  INT_LOCAL_SCOPE: 1 << 4,
  TWO_SCOPES: 1 << 5,
  FWD_MODE_DSR: 1 << 7,
} as const;

/** LB_LOOKUP_SCOPE_* */
export const SCOPE_EXT = 0;
export const SCOPE_INT = 1;

/** IPPROTO_* of the service protocols. */
export const PROTO_NUMBER: Record<L4Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
/** Cilium's L4Type as the Maglev hash string names it (enum dl_maglev_l4). */
const MAGLEV_L4: Record<L4Protocol, number> = { TCP: 2, UDP: 3, SCTP: 4 };
/** Backend.Weight default (Kubernetes / Cilium). */
export const DEFAULT_BACKEND_WEIGHT = 100;

export type HostKind = 'client' | 'node' | 'pod';

export interface HostInfo {
  id: number;
  name: string;
  kind: HostKind;
  /** Nodes: their own name; pods: the node they run on. */
  node?: string;
  ipv4?: string;
  ipv6?: string;
  /** The shared host of undeclared sources. */
  world?: boolean;
}

export interface BackendInfo {
  id: number;
  /** The pod's name (`pod-<address>` when the endpoint has no targetRef). */
  pod: string;
  /** The emulated host of the backend: its pod, or its node for a host-network endpoint; absent for remote clusters. */
  host?: number;
  node?: string;
  address: string;
  family: IpFamily;
  port: number;
  protocol: L4Protocol;
  clusterId: number;
  state: Backend['state'];
}

export type FrontendKind = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalIP' | 'Wildcard';

/** A frontend (service address:port/protocol) with its reverse-NAT index. */
export interface FrontendInfo {
  revNatIndex: number;
  kind: FrontendKind;
  /** `namespace/name`; absent for wildcard entries. */
  service?: string;
  /** The Service port's name ('' if unnamed). */
  portName?: string;
  address: string;
  family: IpFamily;
  /** 0 for wildcard entries. */
  port: number;
  protocol?: L4Protocol;
  /** NodePort frontends exist on one node only (its own address). */
  node?: string;
  flags: number;
  flags2: number;
  /** The forwarding mode for this frontend ('dsr' or 'snat'). */
  forwarding: 'dsr' | 'snat';
}

/** One service map entry installed on one node. */
export interface InstalledService {
  node: string;
  revNatIndex: number;
  scope: 0 | 1;
  /** Backend ids in the active slots. */
  slots: number[];
  /** Terminating backends kept in the backend map for established flows. */
  terminating: number[];
}

export interface ControlPlane {
  cluster: NativeCluster;
  /** By host id (ids are 0, 1, 2 … in order of addition). */
  hosts: HostInfo[];
  hostByName: Map<string, HostInfo>;
  /** Canonical address text → host id (nodes, clients, pods). */
  hostByAddress: Map<string, number>;
  world: number;
  nodeIds: number[];
  backends: Map<number, BackendInfo>;
  /** By reverse-NAT index. */
  frontends: Map<number, FrontendInfo>;
  /** LoadBalancer, external and cluster IPs (canonical text). */
  serviceAddresses: Set<string>;
  /** Node addresses that carry at least one NodePort. */
  nodePortAddresses: Set<string>;
  installed: InstalledService[];
  /** The load-balancer mode the cluster runs. */
  mode: LbMode;
}

export interface ControlPlaneOptions {
  mode?: LbMode;
  responder: Responder;
  /** Test-only planted datapath faults (src/datapath/faults.ts). */
  faults?: number;
}

const buf = (a: string): Buffer => Buffer.from(ipBytes(a));

function addrOf(h: { ipv4?: string; ipv6?: string }, family: IpFamily): string | undefined {
  return family === 4 ? h.ipv4 : h.ipv6;
}

/** The forwarding mode of one frontend: per-service annotation where it applies, else the mode; hybrid is DSR for TCP only. */
export function frontendForwarding(svc: Service, mode: LbMode, protocol: L4Protocol): 'dsr' | 'snat' {
  const m = svc.cilium.forwardingModeFromAnnotation ? svc.cilium.forwardingMode : mode;
  if (m === 'dsr') return 'dsr';
  if (m === 'hybrid' && protocol === 'TCP') return 'dsr';
  return 'snat';
}

/**
 * Topology-aware hints (cilium-datapath.md §12): with loadBalancer.serviceTopology, a node with a
 * zone keeps the backends hinted for its zone, but only when every backend has hints. When none
 * is hinted for the zone, all are kept (Cilium's fallback; the spec marks it UNCONFIRMED).
 */
export function filterByZone(backends: Backend[], zone: string | undefined, enabled: boolean): Backend[] {
  if (!enabled || !zone || backends.length === 0) return backends;
  if (backends.some((b) => b.forZones.length === 0)) return backends;
  const mine = backends.filter((b) => b.forZones.includes(zone));
  return mine.length > 0 ? mine : backends;
}

/**
 * Cluster Mesh (§12): remote-cluster backends count only for global services; with
 * service.cilium.io/affinity local (remote) only the preferred cluster's backends take slots
 * while any of them is active.
 */
export function meshBackends(svc: Service, backends: Backend[]): Backend[] {
  const usable = backends.filter((b) => b.clusterId === 0 || svc.cilium.global);
  if (!svc.cilium.global || svc.cilium.affinity === 'none') return usable;
  const preferred = usable.filter((b) => (svc.cilium.affinity === 'local' ? b.clusterId === 0 : b.clusterId !== 0));
  return preferred.some((b) => b.state === 'active') ? preferred : usable;
}

/** True when port `port` of `svc` has NodePort frontends (§9.3). */
function hasNodePort(svc: Service, port: Service['ports'][number]): boolean {
  return port.nodePort !== undefined && (svc.type === 'NodePort' || svc.type === 'LoadBalancer');
}

/**
 * The addresses a capture's server packets come from (scenario.md, `--responder capture`):
 * LoadBalancer, external and cluster IPs, and the node addresses that carry a NodePort.
 */
export function frontendAddresses(scenario: Scenario): { serviceAddresses: Set<string>; nodePortAddresses: Set<string> } {
  const serviceAddresses = new Set<string>();
  const nodePortAddresses = new Set<string>();
  for (const s of scenario.services) {
    const vips = s.type === 'LoadBalancer' ? s.loadBalancerIPs : [];
    for (const ip of [...vips, ...s.externalIPs, ...s.clusterIPs]) serviceAddresses.add(ip);
    if (!s.ports.some((p) => hasNodePort(s, p))) continue;
    for (const n of scenario.nodes) {
      for (const fam of s.ipFamilies) {
        const a = addrOf(n, fam);
        if (a) nodePortAddresses.add(a);
      }
    }
  }
  return { serviceAddresses, nodePortAddresses };
}

function isLocal(b: Backend, node: Node): boolean {
  return b.clusterId === 0 && b.nodeName === node.name;
}

/** Builds the cluster for `scenario` (see the file comment). Throws if the addon refuses a step. */
export function buildControlPlane(scenario: Scenario, opts: ControlPlaneOptions): ControlPlane {
  const a = addon();
  const mode = effectiveMode(scenario, opts.mode);
  const cluster = new a.Cluster(clusterConfig(scenario, opts));
  const cil = scenario.cilium;

  // ---- hosts: nodes, clients, world (default host), pods ----
  const hosts: HostInfo[] = [];
  const hostByName = new Map<string, HostInfo>();
  const hostByAddress = new Map<string, number>();
  const add = (kind: HostKind, h: { name: string; mac: string; mtu: number; ipv4?: string; ipv6?: string }, node?: number, nodeName?: string, world = false): HostInfo => {
    const cfg: Parameters<NativeCluster['addHost']>[0] = { kind: kind === 'client' ? 0 : kind === 'node' ? 1 : 2, name: h.name, mac: Buffer.from(macBytes(h.mac)), mtu: h.mtu };
    if (h.ipv4) cfg.v4 = buf(h.ipv4);
    if (h.ipv6) cfg.v6 = buf(h.ipv6);
    if (node !== undefined) cfg.node = node;
    const id = cluster.addHost(cfg);
    if (id !== hosts.length) throw new Error(`dsrlab internal: host ${h.name} got id ${id}, expected ${hosts.length}`);
    const info: HostInfo = { id, name: h.name, kind };
    if (nodeName !== undefined) info.node = nodeName;
    if (h.ipv4) info.ipv4 = h.ipv4;
    if (h.ipv6) info.ipv6 = h.ipv6;
    if (world) info.world = true;
    hosts.push(info);
    hostByName.set(h.name, info);
    if (h.ipv4) hostByAddress.set(h.ipv4, id);
    if (h.ipv6) hostByAddress.set(h.ipv6, id);
    return info;
  };
  const nodeIds: number[] = [];
  for (const n of scenario.nodes) nodeIds.push(add('node', n, undefined, n.name).id);
  for (const c of scenario.clients) add('client', c);
  const world = add('client', { name: scenario.world.name, mac: scenario.world.mac, mtu: scenario.world.mtu }, undefined, undefined, true).id;
  cluster.setDefaultHost(world);
  for (const p of scenario.pods) add('pod', p, hostByName.get(p.node)!.id, p.node);

  // ---- frontend routes: the scenario's (pinned or ECMP), then every other service address by ECMP ----
  const routed = new Set<string>();
  const route = (address: string, node: number): void => {
    if (routed.has(address)) return;
    routed.add(address);
    cluster.addFrontendRoute({ family: ipFamily(address), addr: buf(address), node });
  };
  for (const f of scenario.frontends) route(f.address, f.node === 'ecmp' ? -1 : hostByName.get(f.node)!.id);
  const { serviceAddresses, nodePortAddresses } = frontendAddresses(scenario);
  for (const ip of serviceAddresses) route(ip, -1);

  // ---- backends: one id per (address, port, protocol, cluster), the same on every node ----
  const backends = new Map<number, BackendInfo>();
  const backendIds = new Map<string, number>();
  const zoneNumbers = new Map<string, number>();
  const zoneNumber = (z?: string): number => {
    if (!z) return 0;
    let n = zoneNumbers.get(z);
    if (n === undefined) zoneNumbers.set(z, (n = zoneNumbers.size + 1));
    return n;
  };
  const backendKey = (b: Backend) => `${b.address}|${b.port}|${b.protocol}|${b.clusterId}`;
  for (const s of scenario.services) {
    for (const p of s.ports) {
      for (const b of p.backends) {
        const k = backendKey(b);
        if (backendIds.has(k)) continue;
        const id = backendIds.size + 1;
        backendIds.set(k, id);
        const host = b.clusterId === 0 ? hostByAddress.get(b.address) : undefined;
        const info: BackendInfo = { id, pod: b.pod, address: b.address, family: b.family, port: b.port, protocol: b.protocol, clusterId: b.clusterId, state: b.state };
        if (host !== undefined) info.host = host;
        if (b.nodeName !== undefined) info.node = b.nodeName;
        backends.set(id, info);
        const entry: Parameters<NativeCluster['addBackend']>[2] = {
          family: b.family,
          addr: buf(b.address),
          port: b.port,
          proto: PROTO_NUMBER[b.protocol],
          flags: b.state === 'terminating' ? 1 : 0,
          clusterId: b.clusterId,
          zone: zoneNumber(b.zone),
        };
        if (host !== undefined) entry.host = host;
        for (const nid of nodeIds) cluster.addBackend(nid, id, entry);
      }
    }
  }
  const idOf = (b: Backend): number => backendIds.get(backendKey(b))!;

  // ---- Maglev tables, shared between entries with the same active backends ----
  const lutCache = new Map<string, Uint32Array>();
  const maglevLut = (ids: number[]): Uint32Array => {
    const key = ids.join(',');
    let lut = lutCache.get(key);
    if (lut) return lut;
    const strings = ids.map((id) => {
      const b = backends.get(id)!;
      return a.maglevHashString({ family: b.family, addr: buf(b.address), port: b.port, l4: MAGLEV_L4[b.protocol], clusterId: b.clusterId, internal: false });
    });
    const t = a.maglevBuild(strings, ids.map(() => DEFAULT_BACKEND_WEIGHT), cil.maglev.tableSize, cil.maglev.seedMurmur);
    lut = new Uint32Array(t.table.length);
    for (let k = 0; k < t.table.length; k++) lut[k] = ids[t.order[t.table[k]!]!]!;
    lutCache.set(key, lut);
    return lut;
  };

  // ---- services: every frontend of every port, on every node, per scope ----
  const frontends = new Map<number, FrontendInfo>();
  const installed: InstalledService[] = [];
  let nextRevNat = 1;

  const install = (node: Node, fe: FrontendInfo, scope: 0 | 1, set: Backend[], svc: Service | undefined): void => {
    const active = set.filter((b) => b.state === 'active').map(idOf).sort((x, y) => x - y);
    const terminating = set.filter((b) => b.state === 'terminating').map(idOf).sort((x, y) => x - y);
    const maglev = svc ? svc.cilium.lbAlgorithm === 'maglev' : false;
    const key = { family: fe.family, addr: buf(fe.address), port: fe.port, proto: fe.protocol ? PROTO_NUMBER[fe.protocol] : 0, scope };
    const entry = {
      revNatIndex: fe.revNatIndex,
      flags: fe.flags,
      flags2: fe.flags2,
      // 0 = the global default (upper byte of affinity_timeout); explicit only from the annotation.
      algorithm: svc && svc.cilium.lbAlgorithmFromAnnotation ? (svc.cilium.lbAlgorithm === 'maglev' ? 2 : 1) : 0,
      affinityTimeout: svc && svc.sessionAffinity === 'ClientIP' ? svc.sessionAffinityTimeout : 0,
    };
    const slots = Uint32Array.from(active);
    const nid = hostByName.get(node.name)!.id;
    if (maglev && active.length > 0) cluster.addService(nid, key, entry, slots, maglevLut(active));
    else cluster.addService(nid, key, entry, slots);
    installed.push({ node: node.name, revNatIndex: fe.revNatIndex, scope, slots: active, terminating });
  };

  for (const svc of scenario.services) {
    const extLocal = svc.externalTrafficPolicy === 'Local';
    const intLocal = svc.internalTrafficPolicy === 'Local';
    const affinity = svc.sessionAffinity === 'ClientIP' ? SVC_FLAG.AFFINITY : 0;
    const srcRange = svc.loadBalancerSourceRanges.length > 0 ? SVC_FLAG.SOURCE_RANGE : 0;
    for (const port of svc.ports) {
      const fwd = frontendForwarding(svc, mode, port.protocol);
      const dsrFlag = fwd === 'dsr' ? SVC_FLAG2.FWD_MODE_DSR : 0;
      const pool = meshBackends(svc, port.backends);
      const make = (kind: FrontendKind, address: string, fport: number, flags: number, flags2: number, node?: string): FrontendInfo => {
        const fe: FrontendInfo = { revNatIndex: nextRevNat++, kind, service: svc.key, portName: port.name, address, family: ipFamily(address), port: fport, protocol: port.protocol, flags, flags2, forwarding: fwd };
        if (node) fe.node = node;
        frontends.set(fe.revNatIndex, fe);
        return fe;
      };
      const forNode = (node: Node, fe: FrontendInfo): Backend[] =>
        filterByZone(pool.filter((b) => b.family === fe.family), node.zone, cil.loadBalancer.serviceTopology);

      // ClusterIP: one scope, ITP decides (§8.5); routable only with bpf.lbExternalClusterIP (§9.2).
      for (const ip of svc.clusterIPs) {
        const flags = (cil.bpf.lbExternalClusterIP ? SVC_FLAG.ROUTABLE : 0) | affinity | (cil.bpf.lbSourceRangeAllTypes ? srcRange : 0);
        const fe = make('ClusterIP', ip, port.port, flags, (intLocal ? SVC_FLAG2.INT_LOCAL_SCOPE : 0) | dsrFlag);
        for (const node of scenario.nodes) {
          const set = forNode(node, fe);
          install(node, fe, SCOPE_EXT, intLocal ? set.filter((b) => isLocal(b, node)) : set, svc);
        }
      }

      // Frontends reachable from outside: ETP picks the EXT-scope backends; when ETP and ITP
      // differ, a second INT-scope entry serves in-cluster lookups (SVC_FLAG_TWO_SCOPES).
      const twoScopes = extLocal !== intLocal;
      const external = (fe: FrontendInfo, node: Node): void => {
        const set = forNode(node, fe);
        const local = set.filter((b) => isLocal(b, node));
        install(node, fe, SCOPE_EXT, extLocal ? local : set, svc);
        if (twoScopes) install(node, fe, SCOPE_INT, intLocal ? local : set, svc);
      };
      const extFlags = (typeFlag: number, withRange: boolean): number =>
        typeFlag | SVC_FLAG.ROUTABLE | affinity | (extLocal ? SVC_FLAG.EXT_LOCAL_SCOPE : 0) | (withRange ? srcRange : 0);
      const extFlags2 = (intLocal ? SVC_FLAG2.INT_LOCAL_SCOPE : 0) | (twoScopes ? SVC_FLAG2.TWO_SCOPES : 0) | dsrFlag;

      // NodePort: on each node's own addresses, in the service's families (§9.3).
      if (hasNodePort(svc, port)) {
        for (const node of scenario.nodes) {
          for (const fam of svc.ipFamilies) {
            const addr = addrOf(node, fam);
            if (!addr) continue;
            const fe = make('NodePort', addr, port.nodePort!, extFlags(SVC_FLAG.NODEPORT, cil.bpf.lbSourceRangeAllTypes), extFlags2, node.name);
            external(fe, node);
          }
        }
      }
      // LoadBalancer and external IPs: frontends on every node (§9.4).
      const vips: [FrontendKind, number, string][] = [
        ...(svc.type === 'LoadBalancer' ? svc.loadBalancerIPs.map((ip): [FrontendKind, number, string] => ['LoadBalancer', SVC_FLAG.LOADBALANCER, ip]) : []),
        ...svc.externalIPs.map((ip): [FrontendKind, number, string] => ['ExternalIP', SVC_FLAG.EXTERNAL_IP, ip]),
      ];
      for (const [kind, typeFlag, ip] of vips) {
        const fe = make(kind, ip, port.port, extFlags(typeFlag, kind === 'LoadBalancer' || cil.bpf.lbSourceRangeAllTypes), extFlags2);
        for (const node of scenario.nodes) external(fe, node);
      }
    }
  }

  // Recent main: "known VIP, unknown port" wildcard entries {port 0, proto 0} with no backends,
  // so traffic to a LoadBalancer/external IP on a port no service uses takes the no-backend
  // path (§5.1 step 2). dsrlab installs them for LoadBalancer and external IPs only.
  if (scenario.profile.lb.wildcardFrontendLookup) {
    const seen = new Set<string>();
    for (const svc of scenario.services) {
      const vips: [number, string][] = [
        ...(svc.type === 'LoadBalancer' ? svc.loadBalancerIPs.map((ip): [number, string] => [SVC_FLAG.LOADBALANCER, ip]) : []),
        ...svc.externalIPs.map((ip): [number, string] => [SVC_FLAG.EXTERNAL_IP, ip]),
      ];
      for (const [typeFlag, ip] of vips) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        const fe: FrontendInfo = { revNatIndex: nextRevNat++, kind: 'Wildcard', address: ip, family: ipFamily(ip), port: 0, flags: typeFlag | SVC_FLAG.ROUTABLE, flags2: 0, forwarding: 'snat' };
        frontends.set(fe.revNatIndex, fe);
        for (const node of scenario.nodes) install(node, fe, SCOPE_EXT, [], undefined);
      }
    }
  }

  return { cluster, hosts, hostByName, hostByAddress, world, nodeIds, backends, frontends, serviceAddresses, nodePortAddresses, installed, mode };
}

/** The ports of a service, for callers that want to name a frontend. */
export function describeFrontend(fe: FrontendInfo): string {
  const a = fe.family === 6 ? `[${fe.address}]` : fe.address;
  return fe.kind === 'Wildcard' ? `${a}:*` : `${a}:${fe.port}/${fe.protocol}`;
}

