/**
 * validate.ts: turns a scenario tree (yamltree.ts) into the normalised `Scenario` (types.ts),
 * checking every value with the rule Cilium (or Kubernetes, or the IP RFCs) applies and filling
 * in Cilium's default for the chosen version. Service and EndpointSlice objects are read in
 * objects.ts; reading files from disk is load.ts's job.
 *
 * Where dsrlab's rule differs from Cilium's, or Cilium's rule is unknown, the comment at the
 * check says so. Sources cited: the spec (/work/shared/spec/cilium-datapath.md, maglev.md)
 * and Cilium's agent code (pkg/clustermesh/types/option.go, daemon/cmd and
 * pkg/kpr/initializer kube_proxy_replacement.go, pkg/loadbalancer/config.go, daemon_main.go).
 */

import { macFromName, parseIp, parseMac } from './addr.js';
import type { ParsedIp } from './addr.js';
import { checkFamilyEnabled, HOST_NAME_MAX, HOST_NAME_RE, LABEL_VALUE_RE, readAddress } from './rules.js';
import { readObjects } from './objects.js';
import {
  CILIUM_VERSIONS,
  DEFAULT_CILIUM_VERSION,
  isCiliumVersion,
  profileFor,
} from './profile.js';
import type { CiliumVersion, Profile } from './profile.js';
import type {
  Acceleration,
  CiliumConfig,
  Client,
  DsrDispatch,
  Frontend,
  Host,
  LbAlgorithm,
  LbMode,
  Node,
  NoBackendResponse,
  RoutingMode,
  Scenario,
  ScenarioOverrides,
  TunnelProtocol,
} from './types.js';
import {
  asMap,
  asSeq,
  checkKeys,
  fail,
  get,
  missingAt,
  need,
  optBool,
  optEnum,
  optInt,
  readBool,
  readEnum,
  readInt,
  readString,
  suggest,
} from './yamltree.js';
import type { At, YMap, YNode } from './yamltree.js';

/** Maglev table sizes Cilium accepts (maglev.md §2; `UserConfig.ToConfig`). All prime. */
export const MAGLEV_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;

/** Cilium's built-in `maglev.hashSeed` (maglev.md §2, `DefaultHashSeed`). */
export const DEFAULT_MAGLEV_HASH_SEED = 'JLfvgnHc2kaSUFaI';

/** Cilium's LimitTableMin / LimitTableMax for CT, NAT and neighbour map sizes. */
export const LIMIT_TABLE_MIN = 1 << 10;
export const LIMIT_TABLE_MAX = 1 << 24;
/** Cilium's FragmentsMapMin / FragmentsMapMax (pkg/option) and the default of bpf-fragments-map-max. */
export const FRAGMENTS_MAP_MIN = 1 << 8;
export const FRAGMENTS_MAP_MAX = 1 << 16;
export const FRAGMENTS_MAP_DEFAULT = 8192;

/** MTU bounds: RFC 791 (every IPv4 module forwards 68 bytes), RFC 8200 §5 (IPv6 links ≥ 1280); 65535 = largest IPv4 datagram. */
export const MTU_MIN_V4 = 68;
export const MTU_MIN_V6 = 1280;
export const MTU_MAX = 65535;
/** What Cilium's `MTU: 0` (auto-detect) becomes: the emulated devices are plain Ethernet. */
export const AUTO_MTU = 1500;

/** Names no node, client or pod may take. */
export const RESERVED_HOST_NAMES = ['world', 'ecmp'] as const;

const TOP_KEYS = ['cilium', 'cluster', 'seed', 'nodes', 'clients', 'frontends', 'objects'] as const;
const CILIUM_KEYS = [
  'version', 'kubeProxyReplacement', 'ipv4', 'ipv6', 'serviceNoBackendResponse', 'routingMode', 'tunnel',
  'tunnelProtocol', 'autoDirectNodeRoutes', 'loadBalancer', 'maglev', 'bpf', 'socketLB', 'nodePort',
  'pmtuDiscovery', 'MTU',
] as const;
const LB_KEYS = ['mode', 'dsrDispatch', 'algorithm', 'acceleration', 'serviceTopology'] as const;
const BPF_KEYS = [
  'lbExternalClusterIP', 'masquerade', 'lbModeAnnotation', 'lbAlgorithmAnnotation', 'lbSourceRangeAllTypes',
  'disableExternalIPMitigation', 'ctTcpMax', 'ctAnyMax', 'natMax', 'neighMax', 'lbMapMax', 'fragmentsMapMax',
] as const;
const NODE_KEYS = ['name', 'ipv4', 'ipv6', 'mac', 'zone', 'mtu'] as const;
const CLIENT_KEYS = ['name', 'ipv4', 'ipv6', 'mac', 'mtu'] as const;
const FRONTEND_KEYS = ['address', 'node'] as const;

/** Cluster names: Cilium's ValidateClusterName (pkg/clustermesh/types/option.go). */
export const CLUSTER_NAME_MAX = 32;
export const CLUSTER_NAME_RE = /^([a-z0-9][-a-z0-9]*)?[a-z0-9]$/;

/** Everything validation needs from outside: where the scenario came from and how to read object files. */
export interface BuildContext {
  file: string;
  baseDir: string;
  overrides?: ScenarioOverrides;
  /** Reads an `objects[i].file` reference; returns its documents with key paths `objects[i]#d`. */
  readObjectsFile: (ref: string, at: YNode, itemPath: string) => { file: string; docs: { index: number; node: YNode }[] };
}

/** A host as read, with the nodes its fields came from (for cross-checks). */
interface ReadHost<T extends Host> {
  host: T;
  node: YMap;
  v4?: ParsedIp;
  v6?: ParsedIp;
}

/** Builds the scenario from its root node (undefined for an empty file). */
export function buildScenario(rootNode: YNode | undefined, ctx: BuildContext): Scenario {
  const root: YMap = rootNode ? asMap(rootNode, 'a mapping at the top of the scenario (cilium:, nodes:, …)') : { kind: 'map', file: ctx.file, path: '', entries: new Map() };
  checkKeys(root, TOP_KEYS, 'the scenario');

  const { cilium, profile } = readCilium(get(root, 'cilium'), root, ctx);
  const cluster = readCluster(get(root, 'cluster'));
  const seed = optInt(root, 'seed', 1, 0, 0xffffffff, 'the seed must be an integer 0..4294967295');

  const nodesNode = get(root, 'nodes');
  if (!nodesNode) fail(missingAt(root, 'nodes'), 'nodes is required: a list of at least one node (name, ipv4/ipv6)');
  const nodeSeq = asSeq(nodesNode, 'a list of nodes');
  if (nodeSeq.items.length === 0) fail(nodeSeq, 'nodes must list at least one node');
  const nodes = nodeSeq.items.map((n) => readHost<Node>(n, 'node', cilium));

  const clientsNode = get(root, 'clients');
  const clients = clientsNode ? asSeq(clientsNode, 'a list of clients').items.map((n) => readHost<Client>(n, 'client', cilium)) : [];

  checkHostsUnique([...nodes, ...clients]);

  const nodeNames = nodes.map((n) => n.host.name);
  const hostAddrs = new Map<string, string>();
  for (const h of nodes) for (const a of [h.host.ipv4, h.host.ipv6]) if (a) hostAddrs.set(a, `node ${h.host.name}`);
  for (const h of clients) for (const a of [h.host.ipv4, h.host.ipv6]) if (a) hostAddrs.set(a, `client ${h.host.name}`);

  const declaredFrontends = readFrontends(get(root, 'frontends'), cilium, nodeNames, hostAddrs);

  const nodeMap = new Map<string, Node>(nodes.map((n) => [n.host.name, n.host]));
  const hostNames = new Set<string>([...nodeNames, ...clients.map((c) => c.host.name)]);
  const objs = readObjects(get(root, 'objects'), {
    ctx,
    cilium,
    profile,
    clusterId: cluster.id,
    clusterIdAt: get(root, 'cluster') ? (get(asMap(get(root, 'cluster')!), 'id') ?? get(root, 'cluster')!) : root,
    nodes: nodeMap,
    hostNames,
    hostAddrs,
    frontendAddrs: new Set(declaredFrontends.map((f) => f.address)),
  });

  // Every LoadBalancer / external IP without a frontends entry enters by ECMP (DESIGN.md).
  const frontends: Frontend[] = [...declaredFrontends];
  const seen = new Set(frontends.map((f) => f.address));
  for (const svc of objs.services) {
    for (const a of [...svc.loadBalancerIPs, ...svc.externalIPs]) {
      if (seen.has(a) || hostAddrs.has(a)) continue;
      seen.add(a);
      frontends.push({ address: a, family: parseIp(a)!.family, node: 'ecmp' });
    }
  }

  const world: Host = { name: 'world', mac: macFromName('world'), mtu: cilium.MTU };

  return {
    file: ctx.file,
    cilium,
    profile,
    cluster,
    seed,
    nodes: nodes.map((n) => n.host),
    clients: clients.map((c) => c.host),
    world,
    frontends,
    pods: objs.pods,
    services: objs.services,
    endpointSlices: objs.endpointSlices,
  };
}

// ---------------------------------------------------------------------------------------------
// cilium:

function readVersion(n: YNode | undefined): CiliumVersion {
  if (!n) return DEFAULT_CILIUM_VERSION;
  if (n.kind === 'scalar' && typeof n.value === 'number') {
    fail(n, `expected the Cilium version as a string, got the number ${n.value} (quote it: version: "${n.value}")`);
  }
  const s = readString(n, 'a Cilium version such as "1.19"');
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(s.trim());
  const minor = m ? `${Number(m[1])}.${Number(m[2])}` : s;
  if (!isCiliumVersion(minor)) {
    fail(n, `${JSON.stringify(s)} is not a Cilium version dsrlab knows: allowed values are ${CILIUM_VERSIONS.join(', ')} (a patch level such as "1.16.3" is accepted)`);
  }
  return minor;
}

function readEnabled(parent: YMap, key: 'ipv4' | 'ipv6', def: boolean): boolean {
  const n = get(parent, key);
  if (!n) return def;
  const m = asMap(n, `a mapping such as ${key}: {enabled: true}`);
  checkKeys(m, ['enabled']);
  return optBool(m, 'enabled', def);
}

function sectionMap(parent: YMap, key: string, keys: readonly string[]): YMap | undefined {
  const n = get(parent, key);
  if (!n) return undefined;
  const m = asMap(n);
  checkKeys(m, keys);
  return m;
}

/** Reads `cilium:`; returns the config with every default filled in, and the version's profile. */
function readCilium(n: YNode | undefined, root: YMap, ctx: BuildContext): { cilium: CiliumConfig; profile: Profile } {
  const c: YMap = n ? asMap(n) : { kind: 'map', file: root.file, path: 'cilium', entries: new Map() };
  checkKeys(c, CILIUM_KEYS, 'cilium');

  const version = readVersion(get(c, 'version'));
  const profile = profileFor(version);

  // kubeProxyReplacement: Cilium 1.15+ takes "true" or "false" (strict/partial/disabled were
  // removed). Cilium's chart default is false, which leaves Services to kube-proxy; dsrlab only
  // emulates the replacement, so its default is true and false is refused.
  const kprNode = get(c, 'kubeProxyReplacement');
  if (kprNode) {
    const v = kprNode.kind === 'scalar' ? kprNode.value : undefined;
    if (v === false || v === 'false') {
      fail(kprNode, 'kubeProxyReplacement: false leaves Services to kube-proxy, which dsrlab does not emulate: set it to true (or leave it out)');
    }
    if (typeof v === 'string' && ['strict', 'partial', 'probe', 'disabled'].includes(v)) {
      fail(kprNode, `${JSON.stringify(v)} was removed in Cilium 1.15: allowed values are true and false (dsrlab needs true)`);
    }
    if (v !== true && v !== 'true') fail(kprNode, `expected true or false, got ${kprNode.kind === 'scalar' ? JSON.stringify(v) : 'a ' + kprNode.kind}`);
  }

  const ipv4 = readEnabled(c, 'ipv4', true);
  const ipv6 = readEnabled(c, 'ipv6', false);
  if (!ipv4 && !ipv6) {
    fail(get(c, 'ipv4') ?? missingAt(c, 'ipv4'), 'at least one of cilium.ipv4.enabled and cilium.ipv6.enabled must be true');
  }

  // serviceNoBackendResponse (agent --service-no-backend-response) exists from 1.16 (profile.ts).
  let noBackend: NoBackendResponse = profile.noBackend.defaultResponse;
  const nbNode = get(c, 'serviceNoBackendResponse');
  if (nbNode) {
    noBackend = readEnum<NoBackendResponse>(nbNode, ['reject', 'drop'], 'a no-backend response');
    if (!profile.features.serviceNoBackendResponse && noBackend !== 'drop') {
      fail(nbNode, `serviceNoBackendResponse: reject is not available in Cilium ${version}, which drops (DROP_NO_SERVICE); it exists from 1.16 on`);
    }
  }

  // Routing: Cilium's chart default is tunnel mode with VXLAN. The legacy `tunnel` value maps to
  // routingMode/tunnelProtocol (the contract, scenario.md; real 1.15+ charts ignore it).
  let routingMode: RoutingMode = 'tunnel';
  let tunnelProtocol: TunnelProtocol = 'vxlan';
  const rmNode = get(c, 'routingMode');
  const tpNode = get(c, 'tunnelProtocol');
  const tNode = get(c, 'tunnel');
  if (rmNode) routingMode = readEnum<RoutingMode>(rmNode, ['native', 'tunnel'], 'a routing mode');
  if (tpNode) tunnelProtocol = readEnum<TunnelProtocol>(tpNode, ['vxlan', 'geneve'], 'a tunnel protocol');
  if (tNode) {
    const legacy = readEnum(tNode, ['disabled', 'vxlan', 'geneve'] as const, 'a legacy tunnel value');
    const impliedMode: RoutingMode = legacy === 'disabled' ? 'native' : 'tunnel';
    if (rmNode && routingMode !== impliedMode) {
      fail(tNode, `tunnel: ${legacy} means routingMode: ${impliedMode}, but routingMode is ${routingMode}: keep one of the two (routingMode is the current name)`);
    }
    routingMode = impliedMode;
    if (legacy !== 'disabled') {
      if (tpNode && tunnelProtocol !== legacy) {
        fail(tNode, `tunnel: ${legacy} contradicts tunnelProtocol: ${tunnelProtocol}: keep one of the two (tunnelProtocol is the current name)`);
      }
      tunnelProtocol = legacy;
    }
  }

  // daemon_main.go: "auto-direct-node-routes cannot be used with tunneling. Packets must be
  // routed through the tunnel device."
  const adrNode = get(c, 'autoDirectNodeRoutes');
  const autoDirectNodeRoutes = adrNode ? readBool(adrNode) : false;
  if (autoDirectNodeRoutes && routingMode === 'tunnel') {
    fail(adrNode!, 'autoDirectNodeRoutes cannot be used with tunneling (Cilium: packets must be routed through the tunnel device): set routingMode: native' + (rmNode || tNode ? '' : ' (Cilium\'s default routing mode is tunnel)'));
  }

  // loadBalancer:
  const lb = sectionMap(c, 'loadBalancer', LB_KEYS);
  const modeNode = lb ? get(lb, 'mode') : undefined;
  let mode: LbMode = modeNode ? readEnum<LbMode>(modeNode, ['snat', 'dsr', 'hybrid'], 'a load-balancer mode') : 'snat';
  const modeOverridden = ctx.overrides?.loadBalancerMode !== undefined;
  if (ctx.overrides?.loadBalancerMode !== undefined) {
    const o = ctx.overrides.loadBalancerMode;
    if (!['snat', 'dsr', 'hybrid'].includes(o)) {
      fail({ file: ctx.file, path: 'cilium.loadBalancer.mode' }, `--mode ${JSON.stringify(o)} is not allowed: allowed values are snat, dsr, hybrid`);
    }
    mode = o;
  }
  const modeAt: At = modeNode && !modeOverridden ? modeNode : { file: ctx.file, path: 'cilium.loadBalancer.mode', ...(modeNode?.pos ? { pos: modeNode.pos } : {}) };
  const modeWhy = modeOverridden ? ` (set by --mode ${mode})` : '';
  const dispatchNode = lb ? get(lb, 'dsrDispatch') : undefined;
  const dsrDispatch: DsrDispatch = dispatchNode ? readEnum<DsrDispatch>(dispatchNode, ['opt', 'ipip', 'geneve'], 'a DSR dispatch') : 'opt';
  const algorithm: LbAlgorithm = lb ? optEnum<LbAlgorithm>(lb, 'algorithm', ['random', 'maglev'], 'random', 'a load-balancing algorithm') : 'random';
  const accNode = lb ? get(lb, 'acceleration') : undefined;
  const acceleration: Acceleration = accNode ? readEnum<Acceleration>(accNode, ['disabled', 'native', 'best-effort'], 'an XDP acceleration mode') : 'disabled';
  const serviceTopology = lb ? optBool(lb, 'serviceTopology', false) : false;

  // bpf:
  const bpf = sectionMap(c, 'bpf', BPF_KEYS);
  const lbModeAnnNode = bpf ? get(bpf, 'lbModeAnnotation') : undefined;
  const lbModeAnnotation = lbModeAnnNode ? readBool(lbModeAnnNode) : false;
  if (lbModeAnnotation && !profile.features.lbModeAnnotation) {
    fail(lbModeAnnNode!, `bpf.lbModeAnnotation does not exist in Cilium ${version} (dsrlab takes it to start with 1.16)`);
  }
  const lbAlgAnnNode = bpf ? get(bpf, 'lbAlgorithmAnnotation') : undefined;
  const lbAlgorithmAnnotation = lbAlgAnnNode ? readBool(lbAlgAnnNode) : false;
  if (lbAlgorithmAnnotation && !profile.features.lbAlgorithmAnnotation) {
    fail(lbAlgAnnNode!, `bpf.lbAlgorithmAnnotation does not exist in Cilium ${version} (dsrlab takes it to start with 1.16)`);
  }
  const sizeWhat = `must be ${LIMIT_TABLE_MIN}..${LIMIT_TABLE_MAX} (Cilium's LimitTableMin..LimitTableMax)`;
  const ctTcpMax = bpf ? optInt(bpf, 'ctTcpMax', 524288, LIMIT_TABLE_MIN, LIMIT_TABLE_MAX, sizeWhat) : 524288;
  const ctAnyMax = bpf ? optInt(bpf, 'ctAnyMax', 262144, LIMIT_TABLE_MIN, LIMIT_TABLE_MAX, sizeWhat) : 262144;
  // NAT defaults to 2/3 of the CT total (§5.2: 524288 = 2/3 × (524288 + 262144)) and may not exceed it.
  const natDefault = Math.floor(((ctTcpMax + ctAnyMax) * 2) / 3);
  const natNode = bpf ? get(bpf, 'natMax') : undefined;
  const natMax = natNode ? readInt(natNode, LIMIT_TABLE_MIN, LIMIT_TABLE_MAX, sizeWhat) : natDefault;
  if (natNode && natMax > ctTcpMax + ctAnyMax) {
    fail(natNode, `${natMax} is too large: the NAT table may not exceed the CT tables together (ctTcpMax + ctAnyMax = ${ctTcpMax + ctAnyMax})`);
  }
  const neighMax = bpf ? optInt(bpf, 'neighMax', natMax, LIMIT_TABLE_MIN, LIMIT_TABLE_MAX, sizeWhat) : natMax;
  const lbMapMax = bpf ? optInt(bpf, 'lbMapMax', 65536, 1, LIMIT_TABLE_MAX, `must be 1..${LIMIT_TABLE_MAX} (Cilium: greater than 0)`) : 65536;
  // The agent flag bpf-fragments-map-max (the chart sets it through extraConfig only).
  const fragWhat = `must be ${FRAGMENTS_MAP_MIN}..${FRAGMENTS_MAP_MAX} (Cilium's FragmentsMapMin..FragmentsMapMax)`;
  const fragmentsMapMax = bpf ? optInt(bpf, 'fragmentsMapMax', FRAGMENTS_MAP_DEFAULT, FRAGMENTS_MAP_MIN, FRAGMENTS_MAP_MAX, fragWhat) : FRAGMENTS_MAP_DEFAULT;

  // Dispatch rules of the agent's InitKubeProxyReplacementOptions (daemon/cmd and
  // pkg/kpr/initializer kube_proxy_replacement.go); LoadBalancerUsesDSR() = dsr, hybrid or annotation mode.
  const usesDsr = mode === 'dsr' || mode === 'hybrid' || lbModeAnnotation;
  if (lbModeAnnotation && mode === 'hybrid') {
    fail(modeAt, `hybrid${modeWhy} is not supported as the default mode under annotation mode (bpf.lbModeAnnotation: true): use snat or dsr`);
  }
  if (mode === 'hybrid' && dsrDispatch === 'ipip' && profile.dsr.hybridRefusesIpip) {
    fail(dispatchNode ?? modeAt, `dsrDispatch ipip is not allowed with mode hybrid${modeWhy} in Cilium ${version}: allowed dispatches are opt, geneve`);
  }
  if (lbModeAnnotation && dsrDispatch !== 'ipip' && profile.dsr.annotationModeRequiresIpip) {
    fail(dispatchNode ?? lbModeAnnNode!, `Cilium ${version} accepts bpf.lbModeAnnotation only with dsrDispatch ipip (got ${dsrDispatch})`);
  }
  if (usesDsr && dsrDispatch === 'ipip' && acceleration === 'disabled' && profile.dsr.ipipRequiresXdp) {
    fail(dispatchNode!, `DSR dispatch ipip is only available with XDP acceleration in Cilium ${version}: set loadBalancer.acceleration to native or best-effort (tc support came with 1.19)`);
  }
  if (usesDsr && routingMode === 'tunnel' && tunnelProtocol === 'vxlan') {
    fail(modeAt, `mode ${mode}${modeWhy}${lbModeAnnotation && mode === 'snat' ? ' with bpf.lbModeAnnotation' : ''} cannot be used with vxlan tunneling (Cilium: "Node Port mode cannot be used with vxlan tunneling"): set routingMode: native${rmNode || tNode ? '' : ' (Cilium\'s default routing mode is tunnel with vxlan)'}, or tunnelProtocol: geneve with dsrDispatch: geneve`);
  }
  if (usesDsr && routingMode === 'tunnel' && dsrDispatch !== 'geneve') {
    fail(dispatchNode ?? modeAt, `tunnel routing with mode ${mode}${modeWhy} requires dsrDispatch: geneve (got ${dsrDispatch}); dispatch opt needs routingMode: native`);
  }
  if (usesDsr && dsrDispatch === 'geneve' && tunnelProtocol !== 'geneve') {
    fail(dispatchNode!, `dsrDispatch geneve requires tunnelProtocol: geneve (got ${tunnelProtocol}${tpNode || tNode ? '' : ', Cilium\'s default'})`);
  }

  // maglev: (validated whatever the algorithm: the lb-algorithm annotation can turn Maglev on per service)
  const mg = sectionMap(c, 'maglev', ['tableSize', 'hashSeed']);
  const tsNode = mg ? get(mg, 'tableSize') : undefined;
  let tableSize = 16381;
  if (tsNode) {
    tableSize = readInt(tsNode, 0, Number.MAX_SAFE_INTEGER, 'must be one of Cilium\'s Maglev table sizes');
    if (!(MAGLEV_TABLE_SIZES as readonly number[]).includes(tableSize)) {
      fail(tsNode, `${tableSize} is not one of Cilium's Maglev table sizes (primes): allowed values are ${MAGLEV_TABLE_SIZES.join(', ')}`);
    }
  }
  const seedNode = mg ? get(mg, 'hashSeed') : undefined;
  const seedText = seedNode ? readString(seedNode, 'base64 of 12 bytes') : DEFAULT_MAGLEV_HASH_SEED;
  const seedBytes = decodeMaglevSeed(seedText, seedNode);

  const sl = sectionMap(c, 'socketLB', ['enabled', 'hostNamespaceOnly']);
  const socketEnabled = sl ? optBool(sl, 'enabled', true) : true;
  // Cilium: "bpf-lb-sock-hostns-only only takes effect when enable-socket-lb is true" (and clears it).
  const hostNamespaceOnly = socketEnabled && (sl ? optBool(sl, 'hostNamespaceOnly', false) : false);

  const np = sectionMap(c, 'nodePort', ['range']);
  const rangeNode = np ? get(np, 'range') : undefined;
  const [npMin, npMax] = rangeNode ? readNodePortRange(rangeNode) : [30000, 32767];

  const pm = sectionMap(c, 'pmtuDiscovery', ['enabled']);
  const pmtu = pm ? optBool(pm, 'enabled', false) : false;

  const mtuNode = get(c, 'MTU');
  let mtu = AUTO_MTU;
  if (mtuNode) {
    const min = ipv6 ? MTU_MIN_V6 : MTU_MIN_V4;
    const v = readInt(mtuNode, 0, MTU_MAX, `must be 0 (auto) or ${min}..${MTU_MAX}`);
    if (v !== 0) mtu = checkMtu(mtuNode, v, ipv6, 'with cilium.ipv6.enabled');
  }

  const cilium: CiliumConfig = {
    version,
    kubeProxyReplacement: true,
    ipv4: { enabled: ipv4 },
    ipv6: { enabled: ipv6 },
    serviceNoBackendResponse: noBackend,
    routingMode,
    tunnelProtocol,
    autoDirectNodeRoutes,
    loadBalancer: { mode, dsrDispatch, algorithm, acceleration, serviceTopology },
    maglev: {
      tableSize,
      hashSeed: Buffer.from(seedBytes).toString('base64'),
      seedMurmur: seedBytes.readUInt32BE(0),
      seedJhash0: seedBytes.readUInt32BE(4),
      seedJhash1: seedBytes.readUInt32BE(8),
    },
    bpf: {
      lbExternalClusterIP: bpf ? optBool(bpf, 'lbExternalClusterIP', false) : false,
      masquerade: bpf ? optBool(bpf, 'masquerade', false) : false,
      lbModeAnnotation,
      lbAlgorithmAnnotation,
      lbSourceRangeAllTypes: bpf ? optBool(bpf, 'lbSourceRangeAllTypes', false) : false,
      disableExternalIPMitigation: bpf ? optBool(bpf, 'disableExternalIPMitigation', false) : false,
      ctTcpMax,
      ctAnyMax,
      natMax,
      neighMax,
      lbMapMax,
      fragmentsMapMax,
    },
    socketLB: { enabled: socketEnabled, hostNamespaceOnly },
    nodePort: { range: `${npMin},${npMax}`, min: npMin, max: npMax },
    pmtuDiscovery: { enabled: pmtu },
    MTU: mtu,
    derived: {
      usesDsr,
      dsrIcmpErrors: usesDsr && pmtu,
      snatPortMin: npMax + 1,
      snatPortMax: profile.snat.portMax,
    },
  };
  return { cilium, profile };
}

/**
 * maglev.hashSeed: standard base64 with padding (Go base64.StdEncoding) of exactly 12 bytes,
 * as Cilium's maglev Init requires (maglev.md §2).
 */
function decodeMaglevSeed(text: string, at: YNode | undefined): Buffer {
  const where: At = at ?? { file: '', path: 'cilium.maglev.hashSeed' };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    fail(where, `${JSON.stringify(text)} is not standard base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4): Cilium needs base64 of exactly 12 bytes, e.g. from head -c12 /dev/urandom | base64 -w0`);
  }
  const b = Buffer.from(text, 'base64');
  if (b.length !== 12) {
    fail(where, `${JSON.stringify(text)} decodes to ${b.length} bytes: Cilium needs base64 of exactly 12 bytes (16 characters), e.g. from head -c12 /dev/urandom | base64 -w0`);
  }
  return b;
}

/**
 * nodePort.range: "min,max" as Cilium splits it (pkg/loadbalancer NewConfig), or "min-max" as
 * kube-apiserver writes it (dsrlab accepts both); each 0..65535 and min < max.
 */
function readNodePortRange(n: YNode): [number, number] {
  const s = readString(n, 'a port range "min,max"');
  const m = /^\s*(\d{1,5})\s*[,-]\s*(\d{1,5})\s*$/.exec(s);
  if (!m) fail(n, `${JSON.stringify(s)} is not a port range: write "min,max" (e.g. "30000,32767") or "min-max"`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min > 65535 || max > 65535) fail(n, `${JSON.stringify(s)}: ports must be 0..65535`);
  if (min >= max) fail(n, `${JSON.stringify(s)}: the NodePort range min port must be smaller than max port`);
  return [min, max];
}

function checkMtu(at: YNode, v: number, needsV6: boolean, why: string): number {
  const min = needsV6 ? MTU_MIN_V6 : MTU_MIN_V4;
  if (v < min || v > MTU_MAX) {
    fail(at, `MTU ${v} is out of range: must be ${min}..${MTU_MAX}${needsV6 ? ` (IPv6 needs links of at least 1280 bytes, RFC 8200; ${why})` : ' (RFC 791: every IPv4 link carries 68 bytes)'}`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// cluster:, nodes:, clients:, frontends:

function readCluster(n: YNode | undefined): { name: string; id: number } {
  if (!n) return { name: 'default', id: 0 };
  const m = asMap(n);
  checkKeys(m, ['name', 'id']);
  const nameNode = get(m, 'name');
  const name = nameNode ? readString(nameNode, 'a cluster name') : 'default';
  if (nameNode) {
    if (name.length === 0) fail(nameNode, 'the cluster name must not be empty');
    if (name.length > CLUSTER_NAME_MAX) fail(nameNode, `${JSON.stringify(name)} is ${name.length} characters: Cilium's cluster name must not be more than ${CLUSTER_NAME_MAX} characters`);
    if (!CLUSTER_NAME_RE.test(name)) {
      fail(nameNode, `${JSON.stringify(name)} is not a valid cluster name: Cilium requires lower case alphanumeric characters and '-', starting and ending with an alphanumeric character${/[A-Z]/.test(name) ? ` (no capitals: ${JSON.stringify(name.toLowerCase())})` : ''}`);
    }
  }
  // Cilium's ClusterInfo.Validate accepts 0 (no Cluster Mesh, the default) up to
  // max-connected-clusters (255 by default); Cluster Mesh itself needs 1..255 (checked where
  // remote-cluster backends appear, objects.ts). Cilium also refuses the name "default" with a
  // non-zero ID; the contract's own example (scenario.md) does exactly that, so dsrlab accepts it.
  const id = optInt(m, 'id', 0, 0, 255, 'must be 0..255 (0: not in a Cluster Mesh; Cluster Mesh needs 1..255)');
  return { name, id };
}

function readHostName(m: YMap, what: string): string {
  const n = need(m, 'name', `every ${what} needs a name`);
  const name = readString(n, `a ${what} name`);
  if (name.length === 0 || name.length > HOST_NAME_MAX || !HOST_NAME_RE.test(name)) {
    fail(n, `${JSON.stringify(name)} is not a valid ${what} name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (a DNS name as Kubernetes requires; it also names capture files)${/[A-Z]/.test(name) ? ` (no capitals: ${JSON.stringify(name.toLowerCase())})` : ''}`);
  }
  if ((RESERVED_HOST_NAMES as readonly string[]).includes(name)) {
    fail(n, `${JSON.stringify(name)} is reserved (world: the shared host of undeclared capture sources; ecmp: a frontend keyword): choose another name`);
  }
  return name;
}

function readHost<T extends Host>(n: YNode, kind: 'node' | 'client', cilium: CiliumConfig): ReadHost<T> {
  const m = asMap(n, `a ${kind} (a mapping with name, ipv4/ipv6, …)`);
  checkKeys(m, kind === 'node' ? NODE_KEYS : CLIENT_KEYS, m.path);
  const name = readHostName(m, kind);
  const out: ReadHost<T> = { host: { name } as T, node: m };
  const v4n = get(m, 'ipv4');
  const v6n = get(m, 'ipv6');
  if (v4n) {
    out.v4 = readAddress(v4n, 4, `the address of a ${kind}`);
    checkFamilyEnabled(v4n, out.v4, cilium);
  }
  if (v6n) {
    out.v6 = readAddress(v6n, 6, `the address of a ${kind}`);
    checkFamilyEnabled(v6n, out.v6, cilium);
  }
  if (kind === 'node') {
    if (cilium.ipv4.enabled && !out.v4) fail(missingAt(m, 'ipv4'), `node ${name} needs an IPv4 address: cilium.ipv4.enabled is true`);
    if (cilium.ipv6.enabled && !out.v6) fail(missingAt(m, 'ipv6'), `node ${name} needs an IPv6 address: cilium.ipv6.enabled is true`);
  } else if (!out.v4 && !out.v6) {
    fail(missingAt(m, 'ipv4'), `client ${name} needs an address: ipv4, ipv6 or both`);
  }
  if (out.v4) out.host.ipv4 = out.v4.text;
  if (out.v6) out.host.ipv6 = out.v6.text;

  const macNode = get(m, 'mac');
  if (macNode) {
    const s = readString(macNode, 'a MAC address such as "02:00:c0:a8:0a:0b"');
    const mac = parseMac(s);
    if (!mac) fail(macNode, `${JSON.stringify(s)} is not a MAC address: write six hex bytes such as "02:00:c0:a8:0a:0b"`);
    const first = parseInt(mac.slice(0, 2), 16);
    if (first & 1) fail(macNode, `${mac} is a multicast MAC (lowest bit of the first byte set): a host needs a unicast MAC`);
    if (mac === '00:00:00:00:00:00') fail(macNode, 'the all-zero MAC cannot be a host\'s MAC');
    out.host.mac = mac;
  } else {
    out.host.mac = macFromName(name);
  }

  if (kind === 'node') {
    const zNode = get(m, 'zone');
    if (zNode) {
      const z = readString(zNode, 'a zone name');
      if (z.length === 0 || z.length > 63 || !LABEL_VALUE_RE.test(z)) {
        fail(zNode, `${JSON.stringify(z)} is not a valid zone (a topology.kubernetes.io/zone label value: at most 63 of letters, digits, '-', '_' and '.', alphanumeric at both ends)`);
      }
      (out.host as Node).zone = z;
    }
  }

  const mtuNode = get(m, 'mtu');
  const hasV6 = !!out.v6;
  if (mtuNode) {
    const v = readInt(mtuNode, 0, MTU_MAX, `must be ${hasV6 ? MTU_MIN_V6 : MTU_MIN_V4}..${MTU_MAX}`);
    out.host.mtu = checkMtu(mtuNode, v, hasV6, `${kind} ${name} has an IPv6 address`);
  } else {
    out.host.mtu = cilium.MTU;
  }
  return out;
}

function checkHostsUnique(hosts: ReadHost<Host>[]): void {
  const names = new Map<string, ReadHost<Host>>();
  const addrs = new Map<string, { h: ReadHost<Host>; field: string }>();
  const macs = new Map<string, ReadHost<Host>>();
  const label = (h: ReadHost<Host>): string => `${h.node.path.startsWith('nodes') ? 'node' : 'client'} ${h.host.name} (${h.node.path})`;
  for (const h of hosts) {
    const prev = names.get(h.host.name);
    if (prev) fail(get(h.node, 'name')!, `duplicate host name ${JSON.stringify(h.host.name)}: ${label(prev)} has it already (node and client names must all differ)`);
    names.set(h.host.name, h);
    for (const [field, p] of [['ipv4', h.v4], ['ipv6', h.v6]] as const) {
      if (!p) continue;
      const other = addrs.get(p.text);
      if (other) {
        const overlap = other.h.node.path.startsWith('nodes') !== h.node.path.startsWith('nodes') ? ' (a client may not share a node\'s address)' : '';
        fail(get(h.node, field)!, `duplicate address ${p.text}: ${label(other.h)} has it already${overlap}`);
      }
      addrs.set(p.text, { h, field });
    }
    const macPrev = macs.get(h.host.mac);
    if (macPrev) fail(get(h.node, 'mac') ?? h.node, `duplicate MAC ${h.host.mac}: ${label(macPrev)} has it already`);
    macs.set(h.host.mac, h);
  }
}

function readFrontends(n: YNode | undefined, cilium: CiliumConfig, nodeNames: string[], hostAddrs: Map<string, string>): Frontend[] {
  if (!n) return [];
  const seq = asSeq(n, 'a list of frontends (address, node)');
  const out: Frontend[] = [];
  const seen = new Map<string, string>();
  for (const it of seq.items) {
    const m = asMap(it, 'a frontend (a mapping with address and node)');
    checkKeys(m, FRONTEND_KEYS, m.path);
    const an = need(m, 'address', 'the LoadBalancer or external IP whose traffic enters here');
    const p = readAddress(an, undefined, 'a frontend address');
    checkFamilyEnabled(an, p, cilium);
    const owner = hostAddrs.get(p.text);
    if (owner) fail(an, `${p.text} is the address of ${owner}: a frontend is a LoadBalancer or external IP, and traffic to a host's own address already goes to that host`);
    const prev = seen.get(p.text);
    if (prev) fail(an, `duplicate frontend ${p.text}: ${prev} names it already`);
    seen.set(p.text, m.path);
    const nn = get(m, 'node');
    let node = 'ecmp';
    if (nn) {
      node = readString(nn, 'a node name or ecmp');
      if (node !== 'ecmp' && !nodeNames.includes(node)) {
        const s = suggest(node, [...nodeNames, 'ecmp']);
        fail(nn, `${JSON.stringify(node)} is not a node of the scenario${s ? ` (did you mean ${JSON.stringify(s)}?)` : ''}: allowed values are ${[...nodeNames, 'ecmp'].join(', ')}`);
      }
    }
    out.push({ address: p.text, family: p.family, node });
  }
  return out;
}
