/**
 * builders.ts: the plain scenario pieces the cluster-side arbitraries are mapped to: a node
 * entry, a Service with its EndpointSlices, Cilium's Helm values (made valid by construction:
 * the dispatch, routing and acceleration each version requires), and a whole scenario
 * document. Addresses follow one readable plan so counterexamples are easy to read:
 *   nodes    192.168.10.11, .12 …      fd00:10::11, ::12 …
 *   clients  203.0.113.7, .8 …         2001:db8:c::7, ::8 …
 *   service i: VIP 198.51.100.(10+i)   2001:db8:100::(10+i); ClusterIP 10.96.0.(50+i), fd00:10:96::(50+i)
 *   backend k of service i on node n: 10.244.n.(10+16i+k), fd00:10:244:n::(10+16i+k)
 * (IPv6 host parts are written with the same decimal digits as their IPv4 twins: ::11 is 0x11.)
 * The arbitraries (node, service, ciliumConfig, cluster) only choose the shapes.
 * @internal
 */
import { profileFor } from '../../../scenario/profile.js';
import type { Acceleration, CiliumVersion, DsrDispatch, LbAlgorithm, LbMode } from '../../../scenario/types.js';
import type { ScenarioDocument } from '../../traffic.js';
import { nodeName, type Family } from './checks.js';

/** A node entry of a scenario. */
export interface NodeDocument {
  name: string;
  ipv4?: string;
  ipv6?: string;
  zone?: string;
  mtu?: number;
}

export interface NodeShape {
  zone?: string;
  mtu?: number;
}

export function nodeDocument(index: number, families: readonly Family[], shape: NodeShape): NodeDocument {
  const n: NodeDocument = { name: nodeName(index) };
  if (families.includes('ipv4')) n.ipv4 = `192.168.10.${11 + index}`;
  if (families.includes('ipv6')) n.ipv6 = `fd00:10::${11 + index}`;
  if (shape.zone !== undefined) n.zone = shape.zone;
  if (shape.mtu !== undefined) n.mtu = shape.mtu;
  return n;
}

/** A Service port as the service arbitrary is told about it. */
export interface ServicePortSpec {
  name: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  targetPort: number;
  nodePort?: number;
}

export interface BackendShape {
  /** Index into the node list (taken modulo its length). */
  node: number;
  /** false: terminating (not ready, still serving). */
  ready: boolean;
}

export interface ServiceShape {
  backends: BackendShape[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  sessionAffinity: boolean;
}

export interface ServiceContext {
  name: string;
  namespace: string;
  index: number;
  nodes: string[];
  families: readonly Family[];
  ports: ServicePortSpec[];
  algorithm?: LbAlgorithm;
}

/** A Service and its EndpointSlices (one per family), as Kubernetes manifests. */
export interface ServiceObjects {
  service: Record<string, unknown>;
  endpointSlices: Record<string, unknown>[];
}

export function defaultPorts(index: number): ServicePortSpec[] {
  return [
    { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 + 2 * index },
    { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, nodePort: 30053 + 2 * index },
  ];
}

export function vip(index: number, family: Family): string {
  return family === 'ipv4' ? `198.51.100.${10 + index}` : `2001:db8:100::${10 + index}`;
}

export function serviceObjects(ctx: ServiceContext, shape: ServiceShape): ServiceObjects {
  const { name, namespace, index, families } = ctx;
  const spec: Record<string, unknown> = {
    type: 'LoadBalancer',
    clusterIPs: families.map((f) => (f === 'ipv4' ? `10.96.0.${50 + index}` : `fd00:10:96::${50 + index}`)),
    ipFamilies: families.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')),
    ipFamilyPolicy: families.length > 1 ? 'RequireDualStack' : 'SingleStack',
    ports: ctx.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}) })),
  };
  if (shape.externalTrafficPolicy !== 'Cluster') spec['externalTrafficPolicy'] = shape.externalTrafficPolicy;
  if (shape.sessionAffinity) spec['sessionAffinity'] = 'ClientIP';
  const metadata: Record<string, unknown> = { name, namespace };
  if (ctx.algorithm) metadata['annotations'] = { 'service.cilium.io/lb-algorithm': ctx.algorithm };
  const service = { apiVersion: 'v1', kind: 'Service', metadata, spec, status: { loadBalancer: { ingress: families.map((f) => ({ ip: vip(index, f) })) } } };
  const endpointSlices = families.map((f) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-${f === 'ipv4' ? 'v4' : 'v6'}`, namespace, labels: { 'kubernetes.io/service-name': name } },
    addressType: f === 'ipv4' ? 'IPv4' : 'IPv6',
    ports: ctx.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.targetPort })),
    endpoints: shape.backends.map((b, k) => {
      const n = b.node % ctx.nodes.length;
      const host = 10 + 16 * index + k;
      return {
        addresses: [f === 'ipv4' ? `10.244.${n}.${host}` : `fd00:10:244:${n}::${host}`],
        conditions: { ready: b.ready, serving: true, terminating: !b.ready },
        nodeName: ctx.nodes[n],
        targetRef: { kind: 'Pod', name: `${name}-${k}`, namespace },
      };
    }),
  }));
  return { service, endpointSlices };
}

/** Cilium's Helm values as the ciliumConfig arbitrary makes them. */
export interface CiliumValues {
  version: CiliumVersion;
  ipv4: { enabled: boolean };
  ipv6: { enabled: boolean };
  routingMode: 'native' | 'tunnel';
  tunnelProtocol?: 'geneve';
  autoDirectNodeRoutes: boolean;
  loadBalancer: { mode: LbMode; dsrDispatch: DsrDispatch; algorithm: LbAlgorithm; acceleration: Acceleration };
  maglev: { tableSize: number };
  pmtuDiscovery: { enabled: boolean };
  MTU: number;
}

export interface CiliumShape {
  version: CiliumVersion;
  mode: LbMode;
  dispatch: DsrDispatch;
  algorithm: LbAlgorithm;
  acceleration: Acceleration;
  tableSize: number;
  pmtuDiscovery: boolean;
  mtu: number;
}

/**
 * Helm values from a shape, made valid the way an operator would: SNAT keeps the default
 * dispatch; Geneve dispatch means tunnel routing with Geneve (and needs IPv4 for the underlay);
 * ipip gets XDP where the version requires it and gives way to opt where hybrid refuses it.
 */
export function ciliumValues(shape: CiliumShape, families: readonly Family[]): CiliumValues {
  const profile = profileFor(shape.version);
  let dispatch = shape.mode === 'snat' ? 'opt' : shape.dispatch;
  let acceleration = shape.acceleration;
  if (dispatch === 'geneve' && !families.includes('ipv4')) dispatch = 'opt';
  if (dispatch === 'ipip' && shape.mode === 'hybrid' && profile.dsr.hybridRefusesIpip) dispatch = 'opt';
  if (dispatch === 'ipip' && acceleration === 'disabled' && profile.dsr.ipipRequiresXdp) acceleration = 'native';
  const tunnel = dispatch === 'geneve';
  const v: CiliumValues = {
    version: shape.version,
    ipv4: { enabled: families.includes('ipv4') },
    ipv6: { enabled: families.includes('ipv6') },
    routingMode: tunnel ? 'tunnel' : 'native',
    autoDirectNodeRoutes: !tunnel,
    loadBalancer: { mode: shape.mode, dsrDispatch: dispatch, algorithm: shape.algorithm, acceleration },
    maglev: { tableSize: shape.tableSize },
    pmtuDiscovery: { enabled: shape.pmtuDiscovery },
    MTU: families.includes('ipv6') ? Math.max(1280, shape.mtu) : shape.mtu,
  };
  if (tunnel) v.tunnelProtocol = 'geneve';
  return v;
}

export interface ClusterShape {
  cilium: CiliumShape;
  nodes: NodeShape[];
  clients: number;
  services: (ServiceShape & { ecmp: boolean; pin: number })[];
  seed: number;
}

/** A whole scenario document from a shape. */
export function clusterDocument(shape: ClusterShape, families: readonly Family[]): ScenarioDocument {
  const cilium = ciliumValues(shape.cilium, families);
  const nodes = shape.nodes.map((n, i) => nodeDocument(i, families, n));
  const names = nodes.map((n) => n.name);
  const clients = Array.from({ length: shape.clients }, (_, k) => ({
    name: `client-${k + 1}`,
    ...(families.includes('ipv4') ? { ipv4: `203.0.113.${7 + k}` } : {}),
    ...(families.includes('ipv6') ? { ipv6: `2001:db8:c::${7 + k}` } : {}),
    mtu: cilium.MTU,
  }));
  const ipip = cilium.loadBalancer.dsrDispatch === 'ipip' && cilium.loadBalancer.mode !== 'snat';
  const objects: unknown[] = [];
  const frontends: { address: string; node: string }[] = [];
  shape.services.forEach((s, i) => {
    // ipip hands the pod the client's own packet for VIP:port, so the pod must listen on the service port.
    const ports = defaultPorts(i).map((p) => (ipip ? { ...p, targetPort: p.port } : p));
    const o = serviceObjects({ name: i === 0 ? 'web' : `web${i + 1}`, namespace: 'default', index: i, nodes: names, families, ports }, s);
    objects.push(o.service, ...o.endpointSlices);
    for (const f of families) frontends.push({ address: vip(i, f), node: s.ecmp ? 'ecmp' : names[s.pin % names.length]! });
  });
  return { cilium: { ...cilium } as Record<string, unknown>, cluster: { name: 'lab', id: 1 }, seed: shape.seed, nodes: nodes as unknown as Record<string, unknown>[], clients, frontends, objects };
}
