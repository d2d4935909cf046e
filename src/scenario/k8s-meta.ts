/**
 * k8s-meta.ts: what every Kubernetes object dsrlab reads has in common: metadata (name,
 * namespace, labels, annotations), apiVersion, and the name patterns the API server enforces.
 * The objects themselves are read in service.ts and endpointslice.ts.
 */

import type { L4Protocol } from './types.js';
import { HOST_NAME_MAX, HOST_NAME_RE } from './rules.js';
import { asMap, checkKeys, childPath, fail, get, need, readString, readStringMap } from './yamltree.js';
import type { At, YMap } from './yamltree.js';

/** ObjectMeta keys: the four dsrlab reads, and those `kubectl get -o yaml` adds (accepted, ignored). */
export const META_KEYS = [
  'name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'ownerReferences', 'finalizers',
  'generateName', 'selfLink',
] as const;
export const PROTOCOLS: readonly L4Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Service names (DNS-1035 label) and namespaces, port names (DNS-1123 label). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An object's metadata as read, with the node it came from. */
export interface Meta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  m: YMap;
}

export function readMeta(obj: YMap, kind: 'Service' | 'EndpointSlice'): Meta {
  const mn = need(obj, 'metadata', 'metadata.name (and optionally namespace, labels, annotations)');
  const m = asMap(mn);
  checkKeys(m, META_KEYS, m.path);
  const nameNode = need(m, 'name', `every ${kind} needs metadata.name`);
  const name = readString(nameNode, 'a name');
  if (kind === 'Service') {
    if (name.length > 63 || !DNS1035_LABEL.test(name)) {
      fail(nameNode, `${JSON.stringify(name)} is not a valid Service name: Kubernetes requires a DNS-1035 label (at most 63 lower case letters, digits and '-', starting with a letter and ending with a letter or digit)`);
    }
  } else if (name.length > HOST_NAME_MAX || !HOST_NAME_RE.test(name)) {
    fail(nameNode, `${JSON.stringify(name)} is not a valid EndpointSlice name: Kubernetes requires a DNS subdomain (lower case letters, digits, '-' and '.')`);
  }
  const nsNode = get(m, 'namespace');
  const namespace = nsNode ? readString(nsNode, 'a namespace') : 'default';
  if (nsNode && (namespace.length > 63 || !DNS1123_LABEL.test(namespace))) {
    fail(nsNode, `${JSON.stringify(namespace)} is not a valid namespace: Kubernetes requires a DNS-1123 label (at most 63 lower case letters, digits and '-')`);
  }
  const ln = get(m, 'labels');
  const an = get(m, 'annotations');
  return { name, namespace, labels: ln ? readStringMap(ln) : {}, annotations: an ? readStringMap(an) : {}, m };
}

export function checkApiVersion(obj: YMap, want: string, kind: string): void {
  const n = need(obj, 'apiVersion', `a ${kind} has apiVersion: ${want}`);
  const v = readString(n, 'an apiVersion');
  if (v !== want) fail(n, `${JSON.stringify(v)} is not the apiVersion of ${kind}: dsrlab reads ${kind} ${want}`);
}

export function annotationAt(meta: Meta, key: string): At {
  const an = get(meta.m, 'annotations');
  if (an && an.kind === 'map') {
    const e = an.entries.get(key);
    if (e) return e.value;
  }
  return { file: meta.m.file, path: childPath(childPath(meta.m.path, 'annotations'), key) };
}

