/**
 * format.ts: a normalised Scenario written back out as a scenario (plain object or YAML text)
 * with every default explicit: what `dsrlab check` prints as the effective configuration.
 * Loading that text again gives the same Scenario (the round-trip property the tests check).
 */

import { stringify } from 'yaml';

import type { EndpointSlice, Host, Scenario, Service } from './types.js';

function host(h: Host & { zone?: string }): Record<string, unknown> {
  const o: Record<string, unknown> = { name: h.name };
  if (h.ipv4 !== undefined) o['ipv4'] = h.ipv4;
  if (h.ipv6 !== undefined) o['ipv6'] = h.ipv6;
  o['mac'] = h.mac;
  if (h.zone !== undefined) o['zone'] = h.zone;
  o['mtu'] = h.mtu;
  return o;
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.keys(o).length > 0 ? o : undefined;
}

/** A normalised Service as a Kubernetes manifest (allocated ClusterIPs and NodePorts written in). */
export function serviceToObject(s: Service): Record<string, unknown> {
  const external = s.type !== 'ClusterIP' || s.externalIPs.length > 0;
  const spec: Record<string, unknown> = {
    type: s.type,
    clusterIP: s.clusterIPs[0],
    clusterIPs: s.clusterIPs,
    ipFamilies: s.ipFamilies.map((f) => `IPv${f}`),
    ipFamilyPolicy: s.ipFamilyPolicy,
    ports: s.ports.map((p) => {
      const o: Record<string, unknown> = {};
      if (p.name) o['name'] = p.name;
      o['protocol'] = p.protocol;
      o['port'] = p.port;
      o['targetPort'] = p.targetPort;
      if (p.nodePort !== undefined) o['nodePort'] = p.nodePort;
      return o;
    }),
    selector: nonEmpty(s.selector),
    externalIPs: s.externalIPs.length ? s.externalIPs : undefined,
    loadBalancerSourceRanges: s.loadBalancerSourceRanges.length ? s.loadBalancerSourceRanges : undefined,
    externalTrafficPolicy: external ? s.externalTrafficPolicy : undefined,
    internalTrafficPolicy: s.internalTrafficPolicy,
    sessionAffinity: s.sessionAffinity,
    sessionAffinityConfig: s.sessionAffinity === 'ClientIP' ? { clientIP: { timeoutSeconds: s.sessionAffinityTimeout } } : undefined,
    allocateLoadBalancerNodePorts: s.type === 'LoadBalancer' ? s.allocateLoadBalancerNodePorts : undefined,
  };
  const o: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, labels: nonEmpty(s.labels), annotations: nonEmpty(s.annotations) },
    spec,
  };
  if (s.type === 'LoadBalancer' && s.loadBalancerIPs.length) {
    o['status'] = { loadBalancer: { ingress: s.loadBalancerIPs.map((ip) => ({ ip })) } };
  }
  return o;
}

/** A normalised EndpointSlice as a Kubernetes manifest. */
export function endpointSliceToObject(e: EndpointSlice): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: e.name, namespace: e.namespace, labels: nonEmpty(e.labels), annotations: nonEmpty(e.annotations) },
    addressType: e.addressType,
    endpoints: e.endpoints.map((ep) => {
      const o: Record<string, unknown> = {
        addresses: ep.addresses,
        conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
      };
      if (ep.nodeName !== undefined) o['nodeName'] = ep.nodeName;
      if (ep.zone !== undefined) o['zone'] = ep.zone;
      if (ep.hostname !== undefined) o['hostname'] = ep.hostname;
      if (ep.forZones.length) o['hints'] = { forZones: ep.forZones.map((name) => ({ name })) };
      if (ep.targetRef) {
        const t: Record<string, unknown> = { kind: ep.targetRef.kind, name: ep.targetRef.name };
        if (ep.targetRef.namespace !== undefined) t['namespace'] = ep.targetRef.namespace;
        o['targetRef'] = t;
      }
      return o;
    }),
    ports: e.ports.map((p) => (p.name ? { name: p.name, protocol: p.protocol, port: p.port } : { protocol: p.protocol, port: p.port })),
  };
}

/** The scenario as a plain object in the scenario file's shape, every default explicit. */
export function scenarioToObject(s: Scenario): Record<string, unknown> {
  const c = s.cilium;
  return {
    cilium: {
      version: c.version,
      kubeProxyReplacement: true,
      ipv4: { enabled: c.ipv4.enabled },
      ipv6: { enabled: c.ipv6.enabled },
      serviceNoBackendResponse: c.serviceNoBackendResponse,
      routingMode: c.routingMode,
      tunnelProtocol: c.tunnelProtocol,
      autoDirectNodeRoutes: c.autoDirectNodeRoutes,
      loadBalancer: { ...c.loadBalancer },
      maglev: { tableSize: c.maglev.tableSize, hashSeed: c.maglev.hashSeed },
      bpf: { ...c.bpf },
      socketLB: { ...c.socketLB },
      nodePort: { range: c.nodePort.range },
      pmtuDiscovery: { enabled: c.pmtuDiscovery.enabled },
      MTU: c.MTU,
    },
    cluster: { ...s.cluster },
    seed: s.seed,
    nodes: s.nodes.map(host),
    clients: s.clients.map(host),
    frontends: s.frontends.map((f) => ({ address: f.address, node: f.node })),
    objects: [...s.services.map(serviceToObject), ...s.endpointSlices.map(endpointSliceToObject)],
  };
}

/** The scenario as YAML text, every default explicit (drops undefined fields). */
export function formatScenario(s: Scenario): string {
  return stringify(JSON.parse(JSON.stringify(scenarioToObject(s))), { lineWidth: 0 });
}
