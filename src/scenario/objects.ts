/**
 * objects.ts: the scenario's Kubernetes objects as a whole: expanding inline objects, {file: …}
 * references and Lists; allocating missing ClusterIPs and NodePorts; cross-object checks; and
 * turning EndpointSlice endpoints into backends per Service port and into pods on nodes.
 * A single Service is read in service.ts, a single EndpointSlice in endpointslice.ts.
 */

import { formatIPv4, formatIPv6, macFromName, parseCidr } from './addr.js';
import type { IpFamily } from './addr.js';
import { readSlice } from './endpointslice.js';
import type { ReadSlice } from './endpointslice.js';
import type { Profile } from './profile.js';
import { readService } from './service.js';
import type { ReadService } from './service.js';
import type { Backend, CiliumConfig, EndpointSlice, L4Protocol, Node, Pod, Service, SkippedEndpoint } from './types.js';
import type { BuildContext } from './validate.js';
import { asMap, asSeq, checkKeys, fail, get, need, readString, suggest } from './yamltree.js';
import type { At, YMap, YNode } from './yamltree.js';

export { ANNOTATIONS } from './service.js';
export { REMOTE_CLUSTER_ANNOTATION, SERVICE_NAME_LABEL } from './endpointslice.js';

/** What objects.ts needs from the rest of the scenario. */
export interface ObjectsEnv {
  ctx: BuildContext;
  cilium: CiliumConfig;
  profile: Profile;
  clusterId: number;
  clusterIdAt: YNode;
  nodes: Map<string, Node>;
  /** Node and client names. */
  hostNames: Set<string>;
  /** Node and client addresses → "node x" / "client y". */
  hostAddrs: Map<string, string>;
  /** Addresses named in `frontends:`. */
  frontendAddrs: Set<string>;
}

/** Where dsrlab allocates ClusterIPs a Service leaves out: kubeadm's and kind's default service CIDRs. */
export const SERVICE_CIDR_V4 = '10.96.0.0/12';
export const SERVICE_CIDR_V6 = 'fd00:10:96::/112';

/** A pod name for an endpoint without targetRef: `pod-<address>`, IPv6 ':' written as '-'. */
export function podNameForAddress(addr: string): string {
  return `pod-${addr.replace(/:/g, '-')}`;
}

// ---------------------------------------------------------------------------------------------
// Expanding objects: inline, {file: …}, kind: List

function expand(n: YNode, out: YMap[], depth: number): void {
  const m = asMap(n, 'a Kubernetes object (apiVersion, kind, metadata, …) or {file: path}');
  const kindNode = need(m, 'kind', 'every object needs a kind (Service, EndpointSlice or List)');
  const kind = readString(kindNode, 'an object kind');
  if (kind === 'List') {
    checkKeys(m, ['apiVersion', 'kind', 'items', 'metadata'], `a List (${m.path})`);
    const items = get(m, 'items');
    if (!items) return;
    if (depth > 8) fail(m, 'Lists are nested too deeply');
    for (const it of asSeq(items, 'a list of objects').items) expand(it, out, depth + 1);
    return;
  }
  out.push(m);
}

function expandObjects(n: YNode | undefined, env: ObjectsEnv): YMap[] {
  if (!n) return [];
  const seq = asSeq(n, 'a list of objects (inline, or {file: path})');
  const out: YMap[] = [];
  for (const it of seq.items) {
    const m = asMap(it, 'a Kubernetes object or {file: path}');
    if (m.entries.has('file')) {
      checkKeys(m, ['file'], `${m.path} (a file reference takes only file:)`);
      const fn = need(m, 'file', 'the path of a YAML file of Kubernetes objects');
      const ref = readString(fn, 'a file path');
      if (ref.trim() === '') fail(fn, 'the file path is empty');
      const { docs } = env.ctx.readObjectsFile(ref, fn, m.path);
      for (const d of docs) expand(d.node, out, 0);
      continue;
    }
    expand(m, out, 0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Allocation and cross-checks

function cidrHosts(cidr: string): { base: Uint8Array; count: number; family: IpFamily } {
  const c = parseCidr(cidr)!;
  const hostBits = (c.family === 4 ? 32 : 128) - c.prefixLength;
  return { base: c.bytes, count: Math.min(2 ** Math.min(hostBits, 30), 1 << 20), family: c.family };
}

function addToBytes(base: Uint8Array, n: number): Uint8Array {
  const out = Uint8Array.from(base);
  let carry = n;
  for (let i = out.length - 1; i >= 0 && carry > 0; i--) {
    const v = out[i]! + (carry & 0xff);
    out[i] = v & 0xff;
    carry = (carry >>> 8) + (v >> 8);
  }
  return out;
}

function allocateClusterIP(family: IpFamily, used: Set<string>, at: At): string {
  const { base, count } = cidrHosts(family === 4 ? SERVICE_CIDR_V4 : SERVICE_CIDR_V6);
  for (let i = 1; i < count - 1; i++) {
    const b = addToBytes(base, i);
    const text = family === 4 ? formatIPv4(b) : formatIPv6(b);
    if (!used.has(text)) {
      used.add(text);
      return text;
    }
  }
  fail(at, `no free IPv${family} cluster IP left in ${family === 4 ? SERVICE_CIDR_V4 : SERVICE_CIDR_V6}`);
}

/** Reads every object; allocates; builds backends and pods. */
export function readObjects(n: YNode | undefined, env: ObjectsEnv): { services: Service[]; endpointSlices: EndpointSlice[]; pods: Pod[] } {
  const objs = expandObjects(n, env);
  const services = new Map<string, ReadService>();
  const order: ReadService[] = [];
  const sliceObjs: YMap[] = [];
  for (const o of objs) {
    const kindNode = get(o, 'kind')!;
    const kind = readString(kindNode);
    if (kind === 'Service') {
      const rs = readService(o, env);
      const prev = services.get(rs.svc.key);
      if (prev) fail(get(rs.meta.m, 'name')!, `duplicate Service ${rs.svc.key}: ${prev.m.path} defines it already`);
      services.set(rs.svc.key, rs);
      order.push(rs);
    } else if (kind === 'EndpointSlice') {
      sliceObjs.push(o);
    } else {
      const hint = kind === 'Endpoints' ? ' (Cilium reads EndpointSlices, not Endpoints: write a discovery.k8s.io/v1 EndpointSlice)' : '';
      const s = suggest(kind, ['Service', 'EndpointSlice', 'List']);
      fail(kindNode, `kind ${JSON.stringify(kind)} is not used by dsrlab${hint}${!hint && s ? ` (did you mean ${JSON.stringify(s)}?)` : ''}: allowed kinds are Service, EndpointSlice and List`);
    }
  }

  // Addresses already taken: hosts, frontends, explicit service addresses.
  const addrOwner = new Map<string, string>();
  for (const [a, who] of env.hostAddrs) addrOwner.set(a, who);
  const live = order.filter((r) => !r.headless && !r.externalName);
  for (const r of live) {
    for (const c of r.clusterIPNodes) {
      const who = addrOwner.get(c.ip);
      if (who) fail(c.at, `cluster IP ${c.ip} is already used by ${who}`);
      addrOwner.set(c.ip, `the cluster IP of Service ${r.svc.key}`);
    }
  }
  const vipOwner = new Map<string, string>();
  for (const r of live) {
    for (const x of [...r.extIPNodes, ...r.lbIPNodes]) {
      const who = addrOwner.get(x.ip);
      if (who && who.startsWith('the cluster IP')) fail(x.at, `${x.ip} is ${who}`);
      if (!vipOwner.has(x.ip)) vipOwner.set(x.ip, r.svc.key);
    }
  }
  const used = new Set<string>([...addrOwner.keys(), ...vipOwner.keys(), ...env.frontendAddrs]);
  for (const r of live) {
    for (const f of r.allocate) {
      const ip = allocateClusterIP(f, used, r.m);
      r.svc.clusterIPs.push(ip);
      addrOwner.set(ip, `the cluster IP of Service ${r.svc.key}`);
    }
  }

  // NodePorts: explicit ones first, then the lowest free port of the range for each missing one.
  const nodePortOwner = new Map<number, { svc: string; protocol: L4Protocol; at: YNode }>();
  for (const r of live) {
    for (const p of r.ports) {
      const np = p.port.nodePort;
      if (np === undefined) continue;
      const prev = nodePortOwner.get(np);
      if (prev && !(prev.svc === r.svc.key && prev.protocol !== p.port.protocol)) {
        fail(p.nodePortNode!, `nodePort ${np} is already allocated to Service ${prev.svc} (${prev.at.path})`);
      }
      nodePortOwner.set(np, { svc: r.svc.key, protocol: p.port.protocol, at: p.nodePortNode! });
    }
  }
  let nextFree = env.cilium.nodePort.min;
  for (const r of live) {
    const wants = r.svc.type === 'NodePort' || (r.svc.type === 'LoadBalancer' && r.svc.allocateLoadBalancerNodePorts);
    if (!wants) continue;
    for (const p of r.ports) {
      if (p.port.nodePort !== undefined) continue;
      while (nextFree <= env.cilium.nodePort.max && nodePortOwner.has(nextFree)) nextFree++;
      if (nextFree > env.cilium.nodePort.max) fail(p.m, `no free nodePort left in ${env.cilium.nodePort.min}-${env.cilium.nodePort.max}`);
      p.port.nodePort = nextFree;
      nodePortOwner.set(nextFree, { svc: r.svc.key, protocol: p.port.protocol, at: p.m });
    }
  }

  // Two Services may share an external/LoadBalancer IP, but not a port on it.
  const frontendOwner = new Map<string, string>();
  for (const r of live) {
    for (const x of [...r.extIPNodes, ...r.lbIPNodes]) {
      for (const p of r.svc.ports) {
        const k = `${x.ip}|${p.port}|${p.protocol}`;
        const prev = frontendOwner.get(k);
        if (prev && prev !== r.svc.key) fail(x.at, `${x.ip}:${p.port}/${p.protocol} is already a frontend of Service ${prev}`);
        frontendOwner.set(k, r.svc.key);
      }
    }
  }

  // EndpointSlices → backends → pods.
  const slices: ReadSlice[] = [];
  const sliceKeys = new Map<string, string>();
  for (const o of sliceObjs) {
    const rsl = readSlice(o, services, env);
    const k = `${rsl.slice.namespace}/${rsl.slice.name}`;
    const prev = sliceKeys.get(k);
    if (prev) fail(get(asMap(get(o, 'metadata')!), 'name')!, `duplicate EndpointSlice ${k}: ${prev} defines it already`);
    sliceKeys.set(k, o.path);
    slices.push(rsl);
  }

  const pods = new Map<string, { pod: Pod; at: YNode }>();
  const podAddr = new Map<string, string>();
  for (const rsl of slices) {
    if (rsl.slice.clusterId !== 0) continue;
    rsl.slice.endpoints.forEach((ep, ei) => {
      const m = rsl.endpointNodes[ei]!;
      const addrNodes = asSeq(get(m, 'addresses')!).items;
      ep.addresses.forEach((addr, ai) => {
        const at = addrNodes[ai]!;
        const node = env.nodes.get(ep.nodeName!)!;
        const name = ep.targetRef?.name ?? podNameForAddress(addr);
        const hostNetwork = node.ipv4 === addr || node.ipv6 === addr;
        const owner = addrOwner.get(addr);
        if (owner && !hostNetwork) fail(at, `endpoint address ${addr} is already used by ${owner}`);
        if (vipOwner.has(addr) || env.frontendAddrs.has(addr)) fail(at, `endpoint address ${addr} is also a LoadBalancer/external IP`);
        if (hostNetwork) return; // a host-network pod is its node on the wire
        const prevName = podAddr.get(addr);
        if (prevName && prevName !== name) fail(at, `address ${addr} belongs to pod ${prevName} already; here it is pod ${name}`);
        podAddr.set(addr, name);
        if (env.hostNames.has(name)) fail(ep.targetRef ? get(asMap(get(m, 'targetRef')!), 'name')! : at, `pod name ${JSON.stringify(name)} is also a node's or client's name: host names must differ`);
        const family: IpFamily = addr.includes(':') ? 6 : 4;
        const existing = pods.get(name);
        const namespace = ep.targetRef?.namespace ?? rsl.slice.namespace;
        if (existing) {
          const p = existing.pod;
          if (p.namespace !== namespace) fail(at, `pod name ${name} is used in namespaces ${p.namespace} and ${namespace}: pod names name capture files, so they must differ`);
          if (p.node !== node.name) fail(at, `pod ${name} is on node ${p.node} (${existing.at.path}) but here on node ${node.name}`);
          const cur = family === 4 ? p.ipv4 : p.ipv6;
          if (cur && cur !== addr) fail(at, `pod ${name} has IPv${family} address ${cur} already (${existing.at.path}); a pod has one address per family`);
          if (family === 4) p.ipv4 = addr;
          else p.ipv6 = addr;
          return;
        }
        const pod: Pod = { name, namespace, node: node.name, mac: macFromName(name), mtu: node.mtu };
        if (family === 4) pod.ipv4 = addr;
        else pod.ipv6 = addr;
        pods.set(name, { pod, at });
      });
    });
  }
  const podMacs = new Map<string, string>();
  for (const { pod, at } of pods.values()) {
    const prev = podMacs.get(pod.mac);
    if (prev) fail(at, `pod ${pod.name}'s derived MAC ${pod.mac} equals pod ${prev}'s`);
    podMacs.set(pod.mac, pod.name);
  }

  for (const r of live) {
    for (const port of r.svc.ports) {
      const seen = new Set<string>();
      for (const rsl of slices) {
        if (rsl.svc !== r) continue;
        const sp = rsl.slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
        if (!sp) continue;
        for (const ep of rsl.slice.endpoints) {
          for (const addr of ep.addresses) {
            const pod = ep.targetRef?.name ?? podNameForAddress(addr);
            const sliceKey = `${rsl.slice.namespace}/${rsl.slice.name}`;
            // Cilium (ParseEndpointSliceV1): not-ready endpoints are skipped unless serving and terminating.
            if (!ep.ready && !(ep.serving && ep.terminating)) {
              port.skipped.push({ address: addr, pod, slice: sliceKey, reason: ep.terminating ? 'terminating and not serving' : 'not ready' } satisfies SkippedEndpoint);
              continue;
            }
            const dedup = `${addr}|${rsl.slice.clusterId}`;
            if (seen.has(dedup)) continue;
            seen.add(dedup);
            const b: Backend = {
              address: addr,
              family: rsl.slice.addressType === 'IPv4' ? 4 : 6,
              port: sp.port,
              protocol: port.protocol,
              ready: ep.ready,
              serving: ep.serving,
              terminating: ep.terminating,
              state: ep.terminating ? 'terminating' : 'active',
              forZones: [...ep.forZones],
              pod,
              clusterId: rsl.slice.clusterId,
              slice: sliceKey,
            };
            if (ep.nodeName !== undefined) b.nodeName = ep.nodeName;
            if (ep.zone !== undefined) b.zone = ep.zone;
            port.backends.push(b);
          }
        }
      }
    }
  }

  return {
    services: live.map((r) => r.svc),
    endpointSlices: slices.map((s) => s.slice),
    pods: [...pods.values()].map((p) => p.pod),
  };
}
