/**
 * endpointslice.ts: a discovery.k8s.io/v1 EndpointSlice as the API server validates it, tied to
 * its Service by the kubernetes.io/service-name label, with ports matched by name and protocol.
 * Turning endpoints into backends and pods is objects.ts's.
 */

import type { IpFamily } from './addr.js';
import { annotationAt, checkApiVersion, DNS1123_LABEL, PROTOCOLS, readMeta } from './k8s-meta.js';
import type { ObjectsEnv } from './objects.js';
import { HOST_NAME_RE, LABEL_VALUE_RE, readAddress } from './rules.js';
import type { ReadService } from './service.js';
import type { EndpointSlice, L4Protocol, SliceEndpoint } from './types.js';
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
  readBool,
  readEnum,
  readInt,
  readString,
  readStringMap,
  suggest,
} from './yamltree.js';
import type { At, YMap } from './yamltree.js';

/** dsrlab's own EndpointSlice annotation: the slice's endpoints live in remote cluster N (1..255). */
export const REMOTE_CLUSTER_ANNOTATION = 'dsrlab.io/cluster-id';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const SLICE_KEYS = ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports'] as const;
const ENDPOINT_KEYS = ['addresses', 'conditions', 'hostname', 'nodeName', 'zone', 'hints', 'targetRef', 'deprecatedTopology'] as const;
const TARGET_REF_KEYS = ['kind', 'name', 'namespace', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'] as const;

/** An EndpointSlice as read, with its Service and the endpoint nodes (for later errors). */
export interface ReadSlice {
  slice: EndpointSlice;
  m: YMap;
  svc: ReadService;
  endpointNodes: YMap[];
}

export function readSlice(obj: YMap, services: Map<string, ReadService>, env: ObjectsEnv): ReadSlice {
  checkApiVersion(obj, 'discovery.k8s.io/v1', 'EndpointSlice');
  checkKeys(obj, SLICE_KEYS, `an EndpointSlice (${obj.path})`);
  const meta = readMeta(obj, 'EndpointSlice');
  const svcName = meta.labels[SERVICE_NAME_LABEL];
  if (svcName === undefined) {
    fail(missingAt(meta.m, 'labels'), `an EndpointSlice is tied to its Service by the label ${SERVICE_NAME_LABEL}: add labels: {${SERVICE_NAME_LABEL}: <service name>}`);
  }
  const labelAt: At = (() => {
    const ln = get(meta.m, 'labels');
    const e = ln && ln.kind === 'map' ? ln.entries.get(SERVICE_NAME_LABEL) : undefined;
    return e ? e.value : missingAt(meta.m, 'labels');
  })();
  const key = `${meta.namespace}/${svcName}`;
  const rs = services.get(key);
  if (!rs) {
    const inNs = [...services.values()].filter((s) => s.svc.namespace === meta.namespace).map((s) => s.svc.name);
    const s = suggest(svcName, inNs);
    fail(labelAt, `no Service ${JSON.stringify(svcName)} in namespace ${meta.namespace}${s ? ` (did you mean ${JSON.stringify(s)}?)` : ''}${inNs.length ? `: Services there are ${inNs.join(', ')}` : ''}`);
  }
  if (rs.externalName) fail(labelAt, `Service ${key} is of type ExternalName, which has no endpoints`);
  if (rs.headless) fail(labelAt, `Service ${key} is headless (clusterIP: None), which Cilium does not load-balance`);

  // Remote-cluster endpoints (dsrlab's annotation; emulates Cluster Mesh's remote backends).
  let clusterId = 0;
  const rc = meta.annotations[REMOTE_CLUSTER_ANNOTATION];
  if (rc !== undefined) {
    const at = annotationAt(meta, REMOTE_CLUSTER_ANNOTATION);
    if (!/^[1-9][0-9]{0,2}$/.test(rc) || Number(rc) > 255) fail(at, `${JSON.stringify(rc)} is not a cluster ID: the remote cluster's ID is 1..255`);
    clusterId = Number(rc);
    if (env.clusterId === 0) fail(at, 'remote-cluster endpoints need this cluster in a Cluster Mesh: set cluster.id to 1..255 (Cilium refuses cluster ID 0 there)');
    if (clusterId === env.clusterId) fail(at, `cluster ID ${clusterId} is this cluster's own (cluster.id)`);
  }

  const atNode = need(obj, 'addressType', 'IPv4 or IPv6');
  const addressType = readEnum(atNode, ['IPv4', 'IPv6', 'FQDN'] as const, 'an address type');
  if (addressType === 'FQDN') fail(atNode, 'FQDN endpoints are not load-balanced by Cilium: use IPv4 or IPv6');
  const family: IpFamily = addressType === 'IPv4' ? 4 : 6;
  if (family === 4 && !env.cilium.ipv4.enabled) fail(atNode, 'addressType IPv4, but cilium.ipv4.enabled is false');
  if (family === 6 && !env.cilium.ipv6.enabled) fail(atNode, 'addressType IPv6, but cilium.ipv6.enabled is false');
  if (!rs.svc.ipFamilies.includes(family)) {
    fail(atNode, `addressType ${addressType}, but Service ${key} has only ${rs.svc.ipFamilies.map((f) => `IPv${f}`).join(', ')}`);
  }

  const ports: EndpointSlice['ports'] = [];
  const pn = get(obj, 'ports');
  if (pn) {
    for (const it of asSeq(pn, 'a list of ports').items) {
      const m = asMap(it);
      checkKeys(m, ['name', 'protocol', 'port', 'appProtocol'], m.path);
      const nameNode = get(m, 'name');
      const name = nameNode ? readString(nameNode, 'a port name') : '';
      const protocol = optEnum<L4Protocol>(m, 'protocol', PROTOCOLS, 'TCP', 'a protocol');
      const port = readInt(need(m, 'port', 'the port the backends listen on (1..65535)'), 1, 65535, 'must be 1..65535');
      const ap = get(m, 'appProtocol');
      if (ap) readString(ap);
      const match = rs.svc.ports.find((p) => p.name === name && p.protocol === protocol);
      if (!match) {
        const names = rs.svc.ports.map((p) => `${p.name || '(unnamed)'}/${p.protocol}`);
        const s = suggest(name, rs.svc.ports.map((p) => p.name).filter((x) => x));
        fail(nameNode ?? m, `port ${name ? JSON.stringify(name) : '(unnamed)'}/${protocol} matches no port of Service ${key}${s ? ` (did you mean ${JSON.stringify(s)}?)` : ''}: its ports are ${names.join(', ')} (EndpointSlice ports are matched by name and protocol)`);
      }
      if (ports.some((p) => p.name === name && p.protocol === protocol)) fail(nameNode ?? m, `duplicate port ${name || '(unnamed)'}/${protocol}`);
      ports.push({ name, protocol, port });
    }
  }

  const endpoints: SliceEndpoint[] = [];
  const endpointNodes: YMap[] = [];
  const en = get(obj, 'endpoints');
  if (en) {
    for (const it of asSeq(en, 'a list of endpoints').items) {
      const m = asMap(it, 'an endpoint (addresses, conditions, nodeName, …)');
      checkKeys(m, ENDPOINT_KEYS, m.path);
      const addrNode = need(m, 'addresses', 'at least one address');
      const addrItems = asSeq(addrNode, 'a list of addresses').items;
      if (addrItems.length === 0 || addrItems.length > 100) fail(addrNode, 'an endpoint has 1..100 addresses');
      const addresses: string[] = [];
      for (const a of addrItems) {
        const p = readAddress(a, family, `an ${addressType} endpoint address`);
        if (addresses.includes(p.text)) fail(a, `duplicate address ${p.text}`);
        addresses.push(p.text);
      }
      const condNode = get(m, 'conditions');
      let ready = true;
      let serving: boolean | undefined;
      let terminating = false;
      if (condNode) {
        const cm = asMap(condNode);
        checkKeys(cm, ['ready', 'serving', 'terminating'], cm.path);
        // Kubernetes: nil ready/serving mean "ready"; nil terminating means false.
        ready = optBool(cm, 'ready', true);
        const sn = get(cm, 'serving');
        if (sn) serving = readBool(sn);
        terminating = optBool(cm, 'terminating', false);
      }
      const ep: SliceEndpoint = { addresses, ready, serving: serving ?? ready, terminating, forZones: [] };
      const nnNode = get(m, 'nodeName');
      if (nnNode) {
        const nn = readString(nnNode, 'a node name');
        if (clusterId === 0 && !env.nodes.has(nn)) {
          const s = suggest(nn, [...env.nodes.keys()]);
          fail(nnNode, `${JSON.stringify(nn)} is not a node of the scenario${s ? ` (did you mean ${JSON.stringify(s)}?)` : ''}: nodes are ${[...env.nodes.keys()].join(', ')}`);
        }
        ep.nodeName = nn;
      } else if (clusterId === 0) {
        fail(missingAt(m, 'nodeName'), 'nodeName is required: dsrlab places the backend pod on that node');
      }
      const zNode = get(m, 'zone');
      const nodeZone = clusterId === 0 && ep.nodeName ? env.nodes.get(ep.nodeName)?.zone : undefined;
      if (zNode) {
        const z = readString(zNode, 'a zone name');
        if (z.length > 63 || !LABEL_VALUE_RE.test(z) || z.length === 0) fail(zNode, `${JSON.stringify(z)} is not a valid zone name`);
        if (nodeZone !== undefined && z !== nodeZone) fail(zNode, `zone ${JSON.stringify(z)} differs from node ${ep.nodeName}'s zone ${JSON.stringify(nodeZone)}`);
        ep.zone = z;
      } else if (nodeZone !== undefined) {
        ep.zone = nodeZone;
      }
      const hnNode = get(m, 'hostname');
      if (hnNode) {
        const h = readString(hnNode, 'a host name');
        if (h.length > 63 || !DNS1123_LABEL.test(h)) fail(hnNode, `${JSON.stringify(h)} is not a valid hostname (a DNS-1123 label)`);
        ep.hostname = h;
      }
      const hintsNode = get(m, 'hints');
      if (hintsNode) {
        const hm = asMap(hintsNode);
        checkKeys(hm, ['forZones', 'forNodes'], hm.path);
        for (const k of ['forZones', 'forNodes'] as const) {
          const ln = get(hm, k);
          if (!ln) continue;
          for (const z of asSeq(ln, `a list of {name: …}`).items) {
            const zm = asMap(z, 'a mapping {name: …}');
            checkKeys(zm, ['name'], zm.path);
            const name = readString(need(zm, 'name', k === 'forZones' ? 'a zone name' : 'a node name'));
            if (k === 'forZones') ep.forZones.push(name);
          }
        }
      }
      const dtNode = get(m, 'deprecatedTopology');
      if (dtNode) readStringMap(dtNode);
      const trNode = get(m, 'targetRef');
      if (trNode) {
        const tm = asMap(trNode);
        checkKeys(tm, TARGET_REF_KEYS, tm.path);
        const kindN = get(tm, 'kind');
        const nameN = get(tm, 'name');
        const nsN = get(tm, 'namespace');
        for (const k of ['uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
          const x = get(tm, k);
          if (x) readString(x);
        }
        if (nameN) {
          const name = readString(nameN, 'a pod name');
          if (name.length > 253 || !HOST_NAME_RE.test(name)) fail(nameN, `${JSON.stringify(name)} is not a valid pod name (a DNS subdomain: lower case letters, digits, '-' and '.')`);
          const tr: NonNullable<SliceEndpoint['targetRef']> = { kind: kindN ? readString(kindN) : 'Pod', name };
          if (nsN) tr.namespace = readString(nsN, 'a namespace');
          ep.targetRef = tr;
        } else {
          if (kindN) readString(kindN);
          if (nsN) readString(nsN);
        }
      }
      endpoints.push(ep);
      endpointNodes.push(m);
    }
  }

  const slice: EndpointSlice = {
    name: meta.name,
    namespace: meta.namespace,
    service: key,
    addressType,
    clusterId,
    labels: meta.labels,
    annotations: meta.annotations,
    endpoints,
    ports,
  };
  return { slice, m: obj, svc: rs, endpointNodes };
}

