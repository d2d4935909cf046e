/**
 * service.ts: a Kubernetes Service as the API server validates it and as Cilium reads it
 * (ports, families and cluster IPs, external and LoadBalancer IPs, traffic policies, session
 * affinity, Cilium's annotations). Allocation of missing ClusterIPs/NodePorts is objects.ts's.
 */

import { parseCidr } from './addr.js';
import type { IpFamily, ParsedIp } from './addr.js';
import { annotationAt, checkApiVersion, DNS1123_LABEL, PROTOCOLS, readMeta } from './k8s-meta.js';
import type { Meta } from './k8s-meta.js';
import type { ObjectsEnv } from './objects.js';
import { checkFamilyEnabled, readAddress } from './rules.js';
import type {
  CiliumServiceOptions,
  L4Protocol,
  LbAlgorithm,
  LbMode,
  Service,
  ServiceAffinity,
  ServicePort,
  ServiceType,
  TrafficPolicy,
} from './types.js';
import {
  asMap,
  asSeq,
  checkKeys,
  childPath,
  fail,
  get,
  missingAt,
  need,
  optEnum,
  readBool,
  readEnum,
  readInt,
  readString,
  readStringMap,
} from './yamltree.js';
import type { At, YMap, YNode } from './yamltree.js';

/** Annotation names Cilium reads, newest spelling first (cilium-datapath.md §12, §6, §8.2, §9.4). */
export const ANNOTATIONS = {
  global: ['service.cilium.io/global', 'io.cilium/global-service'],
  shared: ['service.cilium.io/shared', 'io.cilium/shared-service'],
  affinity: ['service.cilium.io/affinity', 'io.cilium/service-affinity'],
  forwardingMode: ['service.cilium.io/forwarding-mode'],
  lbAlgorithm: ['service.cilium.io/lb-algorithm'],
  sourceRangesPolicy: ['service.cilium.io/src-ranges-policy'],
} as const;

const SERVICE_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;
const SERVICE_SPEC_KEYS = [
  'type', 'clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'ports', 'selector', 'externalIPs',
  'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass', 'externalTrafficPolicy',
  'internalTrafficPolicy', 'healthCheckNodePort', 'sessionAffinity', 'sessionAffinityConfig',
  'allocateLoadBalancerNodePorts', 'publishNotReadyAddresses', 'externalName', 'trafficDistribution',
] as const;
const SERVICE_PORT_KEYS = ['name', 'protocol', 'port', 'targetPort', 'nodePort', 'appProtocol'] as const;

/** IANA_SVC_NAME (named targetPort): ≤ 15 of [a-z0-9-], a letter somewhere, no '-' at either end or doubled. */
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

/** A Service port as read (with its node, for later errors). */
export interface ReadPort {
  port: ServicePort;
  m: YMap;
  nodePortNode?: YNode;
}

/** A Service as read: the normalised Service plus what allocation and cross-checks need. */
export interface ReadService {
  svc: Service;
  meta: Meta;
  m: YMap;
  spec: YMap;
  headless: boolean;
  externalName: boolean;
  ports: ReadPort[];
  /** Families still needing an allocated ClusterIP. */
  allocate: IpFamily[];
  clusterIPNodes: { ip: string; at: YNode }[];
  extIPNodes: { ip: string; at: YNode }[];
  lbIPNodes: { ip: string; at: YNode }[];
}

function readAnnotationPair(meta: Meta, names: readonly string[]): { value: string; at: At } | undefined {
  let found: { value: string; at: At; key: string } | undefined;
  for (const k of names) {
    const v = meta.annotations[k];
    if (v === undefined) continue;
    if (found && found.value.toLowerCase() !== v.toLowerCase()) {
      fail(annotationAt(meta, k), `${k}: ${JSON.stringify(v)} contradicts ${found.key}: ${JSON.stringify(found.value)} (the same Cilium setting in its old and new spelling): keep one`);
    }
    if (!found) found = { value: v, at: annotationAt(meta, k), key: k };
  }
  return found;
}

function annotationEnum<T extends string>(meta: Meta, names: readonly string[], allowed: readonly T[]): T | undefined {
  const a = readAnnotationPair(meta, names);
  if (!a) return undefined;
  const v = a.value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) {
    fail(a.at, `${JSON.stringify(a.value)} is not allowed for ${names[0]}: allowed values are ${allowed.join(', ')}`);
  }
  return v as T;
}

function readCiliumAnnotations(meta: Meta, env: ObjectsEnv): CiliumServiceOptions {
  const bool = (names: readonly string[]): boolean | undefined => {
    const v = annotationEnum(meta, names, ['true', 'false'] as const);
    return v === undefined ? undefined : v === 'true';
  };
  const global = bool(ANNOTATIONS.global) ?? false;
  const shared = bool(ANNOTATIONS.shared) ?? true;
  const affinity: ServiceAffinity = annotationEnum(meta, ANNOTATIONS.affinity, ['none', 'local', 'remote'] as const) ?? 'none';

  const fm = annotationEnum(meta, ANNOTATIONS.forwardingMode, ['dsr', 'snat'] as const);
  // Honoured only when the version has the mode annotation and bpf.lbModeAnnotation is on
  // (cilium-datapath.md §6); otherwise Cilium ignores it and the global mode applies.
  const fmApplies = fm !== undefined && env.profile.features.lbModeAnnotation && env.cilium.bpf.lbModeAnnotation;
  const forwardingMode: LbMode = fmApplies ? fm : env.cilium.loadBalancer.mode;

  const alg = annotationEnum(meta, ANNOTATIONS.lbAlgorithm, ['random', 'maglev'] as const);
  const algApplies = alg !== undefined && env.profile.features.lbAlgorithmAnnotation && env.cilium.bpf.lbAlgorithmAnnotation;
  const lbAlgorithm: LbAlgorithm = algApplies ? alg : env.cilium.loadBalancer.algorithm;

  const srp = annotationEnum(meta, ANNOTATIONS.sourceRangesPolicy, ['allow', 'deny'] as const) ?? 'allow';
  return {
    global,
    shared,
    affinity,
    forwardingMode,
    forwardingModeFromAnnotation: fmApplies,
    lbAlgorithm,
    lbAlgorithmFromAnnotation: algApplies,
    sourceRangesPolicy: srp,
  };
}

function readPorts(spec: YMap, type: ServiceType | 'ExternalName', headless: boolean, env: ObjectsEnv): ReadPort[] {
  const pn = get(spec, 'ports');
  if (!pn) {
    if (headless || type === 'ExternalName') return [];
    fail(missingAt(spec, 'ports'), 'a Service needs at least one port (name, protocol, port, targetPort)');
  }
  const seq = asSeq(pn, 'a list of ports');
  if (seq.items.length === 0 && !headless && type !== 'ExternalName') fail(seq, 'a Service needs at least one port');
  const out: ReadPort[] = [];
  const names = new Map<string, string>();
  const pairs = new Map<string, string>();
  for (const it of seq.items) {
    const m = asMap(it, 'a port (name, protocol, port, targetPort, nodePort)');
    checkKeys(m, SERVICE_PORT_KEYS, m.path);
    const nameNode = get(m, 'name');
    const name = nameNode ? readString(nameNode, 'a port name') : '';
    if (nameNode && (name.length > 63 || !DNS1123_LABEL.test(name))) {
      fail(nameNode, `${JSON.stringify(name)} is not a valid port name: Kubernetes requires a DNS-1123 label (lower case letters, digits and '-')`);
    }
    if (seq.items.length > 1 && !name) fail(missingAt(m, 'name'), 'every port of a Service with more than one port needs a name (Kubernetes rule; EndpointSlice ports are matched by it)');
    if (names.has(name)) fail(nameNode ?? m, `duplicate port name ${JSON.stringify(name)} (${names.get(name)} has it already)`);
    names.set(name, m.path);
    const protocol = optEnum<L4Protocol>(m, 'protocol', PROTOCOLS, 'TCP', 'a Service protocol');
    const portNode = need(m, 'port', 'the Service port (1..65535)');
    const port = readInt(portNode, 1, 65535, 'must be 1..65535');
    const pairKey = `${port}/${protocol}`;
    if (pairs.has(pairKey)) fail(portNode, `duplicate port ${pairKey}: ${pairs.get(pairKey)} has it already`);
    pairs.set(pairKey, m.path);
    const tpNode = get(m, 'targetPort');
    let targetPort: number | string = port;
    if (tpNode) {
      if (tpNode.kind === 'scalar' && typeof tpNode.value === 'string') {
        const t = tpNode.value;
        if (t.length > 15 || !IANA_SVC_NAME.test(t)) {
          fail(tpNode, `${JSON.stringify(t)} is not a port number or a port name: a named targetPort is at most 15 lower case letters, digits and '-' with at least one letter (IANA_SVC_NAME)`);
        }
        targetPort = t;
      } else {
        targetPort = readInt(tpNode, 1, 65535, 'must be 1..65535 or a port name');
      }
    }
    const appNode = get(m, 'appProtocol');
    if (appNode) readString(appNode, 'an application protocol');
    const npNode = get(m, 'nodePort');
    const sp: ServicePort = { name, protocol, port, targetPort, backends: [], skipped: [] };
    const rp: ReadPort = { port: sp, m };
    if (npNode) {
      const np = readInt(npNode, 0, 65535, 'must be 0..65535 (0: allocate one)');
      if (np !== 0) {
        if (type !== 'NodePort' && type !== 'LoadBalancer') {
          fail(npNode, `nodePort may only be used when the Service type is NodePort or LoadBalancer (this one is ${type})`);
        }
        const { min, max } = env.cilium.nodePort;
        if (np < min || np > max) {
          fail(npNode, `nodePort ${np} is outside the NodePort range ${min}-${max} (cilium.nodePort.range)`);
        }
        sp.nodePort = np;
      }
      rp.nodePortNode = npNode;
    }
    out.push(rp);
  }
  return out;
}

const IP_FAMILY_NAMES = { IPv4: 4, IPv6: 6 } as const;

export function readService(obj: YMap, env: ObjectsEnv): ReadService {
  checkApiVersion(obj, 'v1', 'Service');
  checkKeys(obj, SERVICE_KEYS, `a Service (${obj.path})`);
  const meta = readMeta(obj, 'Service');
  const specNode = get(obj, 'spec');
  const spec: YMap = specNode ? asMap(specNode) : { kind: 'map', file: obj.file, path: childPath(obj.path, 'spec'), entries: new Map() };
  checkKeys(spec, SERVICE_SPEC_KEYS, spec.path);
  const { cilium } = env;

  const typeAll = optEnum(spec, 'type', ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const, 'ClusterIP', 'a Service type');
  const externalName = typeAll === 'ExternalName';
  const type: ServiceType = externalName ? 'ClusterIP' : typeAll;

  // Cluster IPs ("None": headless, which Cilium does not load-balance).
  const ciNode = get(spec, 'clusterIP');
  const cisNode = get(spec, 'clusterIPs');
  const ciText = ciNode ? readString(ciNode, 'an IP address or None') : undefined;
  const cisItems = cisNode ? asSeq(cisNode, 'a list of cluster IPs').items : [];
  const cisTexts = cisItems.map((n) => readString(n, 'an IP address or None'));
  if (ciText !== undefined && cisTexts.length > 0 && cisTexts[0] !== ciText) {
    fail(cisItems[0]!, `clusterIPs[0] (${cisTexts[0]}) must equal clusterIP (${ciText})`);
  }
  const headless = ciText === 'None' || cisTexts[0] === 'None';
  if (headless && type !== 'ClusterIP') fail(ciNode ?? cisItems[0]!, `clusterIP None (headless) is only allowed for type ClusterIP (this one is ${type})`);
  const givenIPs: { p: ParsedIp; at: YNode }[] = [];
  if (!headless && !externalName) {
    const srcs: { text: string; at: YNode }[] = cisTexts.length > 0 ? cisTexts.map((t, i) => ({ text: t, at: cisItems[i]! })) : ciText !== undefined && ciText !== '' ? [{ text: ciText, at: ciNode! }] : [];
    if (srcs.length > 2) fail(cisItems[2]!, 'at most two cluster IPs (one per family)');
    for (const s of srcs) {
      const p = readAddress(s.at, undefined, 'a cluster IP');
      checkFamilyEnabled(s.at, p, cilium);
      if (givenIPs.length === 1 && givenIPs[0]!.p.family === p.family) fail(s.at, 'the two cluster IPs must be of different families (one IPv4, one IPv6)');
      givenIPs.push({ p, at: s.at });
    }
  }

  // IP families and policy.
  const famNode = get(spec, 'ipFamilies');
  const famList: { f: IpFamily; at: YNode }[] = [];
  if (famNode) {
    const s = asSeq(famNode, 'a list of IP families (IPv4, IPv6)');
    if (s.items.length > 2) fail(s.items[2]!, 'at most two IP families');
    for (const it of s.items) {
      const f = IP_FAMILY_NAMES[readEnum(it, ['IPv4', 'IPv6'] as const, 'an IP family')];
      if (famList.some((x) => x.f === f)) fail(it, 'the IP families must differ');
      famList.push({ f, at: it });
    }
  }
  const polNode = get(spec, 'ipFamilyPolicy');
  const policy = polNode ? readEnum(polNode, ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const, 'an IP family policy') : 'SingleStack';
  const enabled: IpFamily[] = [];
  if (cilium.ipv4.enabled) enabled.push(4);
  if (cilium.ipv6.enabled) enabled.push(6);
  let families: IpFamily[];
  if (givenIPs.length > 0) {
    families = givenIPs.map((g) => g.p.family);
    famList.forEach((x, i) => {
      if (i < families.length && families[i] !== x.f) fail(x.at, `ipFamilies[${i}] is IPv${x.f} but clusterIPs[${i}] is IPv${families[i]}`);
    });
    if (famList.length > families.length) families.push(famList[famList.length - 1]!.f);
  } else if (famList.length > 0) {
    families = famList.map((x) => x.f);
  } else {
    families = [enabled[0]!];
  }
  for (const x of famList) {
    if (!enabled.includes(x.f)) fail(x.at, `IPv${x.f} is not enabled in Cilium (cilium.ipv${x.f}.enabled is false)`);
  }
  if (families.length === 2 && policy === 'SingleStack' && !headless && !externalName) {
    fail(polNode ?? missingAt(spec, 'ipFamilyPolicy'), 'a Service with two IP families needs ipFamilyPolicy PreferDualStack or RequireDualStack');
  }
  if (policy !== 'SingleStack' && families.length === 1) {
    const other: IpFamily = families[0] === 4 ? 6 : 4;
    if (enabled.includes(other)) families.push(other);
    else if (policy === 'RequireDualStack') {
      fail(polNode!, `RequireDualStack needs both IPv4 and IPv6, but cilium.ipv${other}.enabled is false`);
    }
  }

  const ports = readPorts(spec, typeAll, headless, env);
  const external = type === 'NodePort' || type === 'LoadBalancer';

  const extIPNodes: { ip: string; at: YNode }[] = [];
  const eipNode = get(spec, 'externalIPs');
  if (eipNode) {
    for (const it of asSeq(eipNode, 'a list of external IPs').items) {
      const p = readAddress(it, undefined, 'an external IP');
      checkFamilyEnabled(it, p, cilium);
      if (!families.includes(p.family)) fail(it, `external IP ${p.text} is IPv${p.family}, but the Service's families are ${families.map((f) => `IPv${f}`).join(', ')} (Cilium would need NAT46/64)`);
      if (extIPNodes.some((x) => x.ip === p.text)) fail(it, `duplicate external IP ${p.text}`);
      extIPNodes.push({ ip: p.text, at: it });
    }
  }
  const isExternal = external || extIPNodes.length > 0;

  // LoadBalancer addresses: status.loadBalancer.ingress[].ip, else the deprecated spec.loadBalancerIP.
  const lbIPNodes: { ip: string; at: YNode }[] = [];
  const stNode = get(obj, 'status');
  if (stNode) {
    const st = asMap(stNode);
    checkKeys(st, ['loadBalancer', 'conditions'], st.path);
    const lbn = get(st, 'loadBalancer');
    if (lbn) {
      const lb = asMap(lbn);
      checkKeys(lb, ['ingress'], lb.path);
      const ingNode = get(lb, 'ingress');
      if (ingNode) {
        const items = asSeq(ingNode, 'a list of ingress points').items;
        if (items.length > 0 && type !== 'LoadBalancer') fail(ingNode, `status.loadBalancer.ingress is only used for type LoadBalancer (this Service is ${typeAll})`);
        for (const it of items) {
          const im = asMap(it);
          checkKeys(im, ['ip', 'hostname', 'ipMode', 'ports'], im.path);
          const ipn = get(im, 'ip');
          const hn = get(im, 'hostname');
          if (hn) readString(hn, 'a host name');
          const mn = get(im, 'ipMode');
          if (mn) readEnum(mn, ['VIP', 'Proxy'] as const, 'an ipMode');
          if (!ipn) {
            if (!hn) fail(im, 'an ingress point needs ip (or hostname)');
            continue;
          }
          const p = readAddress(ipn, undefined, 'a LoadBalancer IP');
          checkFamilyEnabled(ipn, p, cilium);
          if (!families.includes(p.family)) fail(ipn, `LoadBalancer IP ${p.text} is IPv${p.family}, but the Service's families are ${families.map((f) => `IPv${f}`).join(', ')}`);
          if (lbIPNodes.some((x) => x.ip === p.text)) fail(ipn, `duplicate LoadBalancer IP ${p.text}`);
          lbIPNodes.push({ ip: p.text, at: ipn });
        }
      }
    }
  }
  const lbIPNode = get(spec, 'loadBalancerIP');
  if (lbIPNode) {
    if (type !== 'LoadBalancer') fail(lbIPNode, `loadBalancerIP may only be used when the Service type is LoadBalancer (this one is ${typeAll})`);
    const p = readAddress(lbIPNode, undefined, 'a LoadBalancer IP');
    checkFamilyEnabled(lbIPNode, p, cilium);
    if (!families.includes(p.family)) fail(lbIPNode, `LoadBalancer IP ${p.text} is IPv${p.family}, but the Service's families are ${families.map((f) => `IPv${f}`).join(', ')}`);
    if (lbIPNodes.length === 0) lbIPNodes.push({ ip: p.text, at: lbIPNode });
  }

  const srcNode = get(spec, 'loadBalancerSourceRanges');
  const sourceRanges: string[] = [];
  if (srcNode) {
    const items = asSeq(srcNode, 'a list of CIDRs').items;
    if (items.length > 0 && type !== 'LoadBalancer') fail(srcNode, `loadBalancerSourceRanges may only be used when the Service type is LoadBalancer (this one is ${typeAll})`);
    for (const it of items) {
      const s = readString(it, 'a CIDR such as 203.0.113.0/24');
      const c = parseCidr(s.trim());
      if (!c) fail(it, `${JSON.stringify(s)} is not a CIDR (address/prefix length, host bits zero), e.g. 203.0.113.0/24`);
      sourceRanges.push(c.text);
    }
  }

  const etpNode = get(spec, 'externalTrafficPolicy');
  let etp: TrafficPolicy = 'Cluster';
  if (etpNode) {
    etp = readEnum<TrafficPolicy>(etpNode, ['Cluster', 'Local'], 'a traffic policy');
    if (!isExternal) fail(etpNode, 'externalTrafficPolicy may only be set for externally-accessible Services (type NodePort or LoadBalancer, or with externalIPs)');
  }
  const itp = optEnum<TrafficPolicy>(spec, 'internalTrafficPolicy', ['Cluster', 'Local'], 'Cluster', 'a traffic policy');

  const affinity = optEnum(spec, 'sessionAffinity', ['None', 'ClientIP'] as const, 'None', 'a session affinity');
  const sacNode = get(spec, 'sessionAffinityConfig');
  let timeout = affinity === 'ClientIP' ? 10800 : 0;
  if (sacNode) {
    if (affinity !== 'ClientIP') fail(sacNode, 'sessionAffinityConfig must not be set when sessionAffinity is None');
    const sac = asMap(sacNode);
    checkKeys(sac, ['clientIP'], sac.path);
    const cip = get(sac, 'clientIP');
    if (cip) {
      const cm = asMap(cip);
      checkKeys(cm, ['timeoutSeconds'], cm.path);
      const tn = get(cm, 'timeoutSeconds');
      if (tn) timeout = readInt(tn, 1, 86400, 'must be 1..86400 seconds (Kubernetes: greater than 0, at most one day)');
    }
  }

  const alnNode = get(spec, 'allocateLoadBalancerNodePorts');
  const allocateLbNodePorts = alnNode ? readBool(alnNode) : type === 'LoadBalancer';
  if (alnNode && type !== 'LoadBalancer') fail(alnNode, `allocateLoadBalancerNodePorts may only be used when the Service type is LoadBalancer (this one is ${typeAll})`);

  const hcNode = get(spec, 'healthCheckNodePort');
  if (hcNode) readInt(hcNode, 0, 65535, 'must be 0..65535');
  const pnraNode = get(spec, 'publishNotReadyAddresses');
  if (pnraNode) readBool(pnraNode);
  for (const k of ['loadBalancerClass', 'trafficDistribution', 'externalName']) {
    const n = get(spec, k);
    if (n) readString(n);
  }
  const selNode = get(spec, 'selector');
  const selector = selNode ? readStringMap(selNode) : {};

  const svc: Service = {
    name: meta.name,
    namespace: meta.namespace,
    key: `${meta.namespace}/${meta.name}`,
    type,
    ipFamilies: families,
    ipFamilyPolicy: policy,
    clusterIPs: givenIPs.map((g) => g.p.text),
    ports: ports.map((p) => p.port),
    externalIPs: extIPNodes.map((x) => x.ip),
    loadBalancerIPs: lbIPNodes.map((x) => x.ip),
    loadBalancerSourceRanges: sourceRanges,
    allocateLoadBalancerNodePorts: allocateLbNodePorts,
    externalTrafficPolicy: etp,
    internalTrafficPolicy: itp,
    sessionAffinity: affinity,
    sessionAffinityTimeout: timeout,
    selector,
    labels: meta.labels,
    annotations: meta.annotations,
    cilium: readCiliumAnnotations(meta, env),
  };
  return {
    svc,
    meta,
    m: obj,
    spec,
    headless,
    externalName,
    ports,
    allocate: families.slice(givenIPs.length),
    clusterIPNodes: givenIPs.map((g) => ({ ip: g.p.text, at: g.at })),
    extIPNodes,
    lbIPNodes,
  };
}

