/**
 * service.ts: the `service` arbitrary: a LoadBalancer Service and its EndpointSlices (one per
 * family) with 1..N backend pods spread over given nodes, some maybe terminating, optionally
 * externalTrafficPolicy Local or ClientIP affinity. Addresses follow _internals/builders.ts.
 */
import fc from 'fast-check';
import { defaultPorts, serviceObjects, type ServiceObjects, type ServicePortSpec } from './_internals/builders.js';
import { arrayOf, checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';

export type { ServiceObjects, ServicePortSpec } from './_internals/builders.js';

/**
 * Constraints of service.
 * @remarks Since 0.1.0
 * @public
 */
export interface ServiceConstraints {
  /** @defaultValue `'web'` */
  name?: string;
  /** @defaultValue `'default'` */
  namespace?: string;
  /** Numbers the service's addresses (VIP 198.51.100.(10+index) …). @defaultValue 0 */
  index?: number;
  /** Nodes the backends run on. @defaultValue `['node-a']` */
  nodes?: string[];
  /** @defaultValue `['ipv4']` */
  families?: Family[];
  /** @defaultValue http TCP 80→8080 and dns UDP 53→5353, with NodePorts */
  ports?: ServicePortSpec[];
  /** @defaultValue `{min: 1, max: 3}` */
  backends?: { min: number; max: number };
  /** Some backends terminating (not ready, still serving). @defaultValue false */
  terminating?: boolean;
  /** @defaultValue `['Cluster']` */
  externalTrafficPolicies?: ('Cluster' | 'Local')[];
  /** Sometimes sessionAffinity ClientIP. @defaultValue false */
  affinity?: boolean;
}

/** @internal */
export function buildCompleteServiceConstraints(c: ServiceConstraints): Required<ServiceConstraints> {
  const index = c.index ?? 0;
  const out = {
    name: c.name ?? 'web',
    namespace: c.namespace ?? 'default',
    index,
    nodes: c.nodes ?? ['node-a'],
    families: c.families ?? ['ipv4' as Family],
    ports: c.ports ?? defaultPorts(index),
    backends: c.backends ?? { min: 1, max: 3 },
    terminating: c.terminating ?? false,
    externalTrafficPolicies: c.externalTrafficPolicies ?? ['Cluster' as const],
    affinity: c.affinity ?? false,
  };
  checkNonEmpty('service', 'nodes', out.nodes);
  checkNonEmpty('service', 'families', out.families, FAMILIES);
  checkNonEmpty('service', 'ports', out.ports);
  checkNonEmpty('service', 'externalTrafficPolicies', out.externalTrafficPolicies, ['Cluster', 'Local'] as const);
  checkRange('service', 'backends', out.backends.min, out.backends.max, 0, 16);
  checkRange('service', 'index', index, index, 0, 15);
  return out;
}

/** @internal */
export function serviceShape(c: Pick<Required<ServiceConstraints>, 'backends' | 'terminating' | 'externalTrafficPolicies' | 'affinity'>) {
  return fc.record({
    backends: arrayOf(fc.record({ node: fc.nat({ max: 7 }), ready: c.terminating ? fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }) : fc.constant(true) }), c.backends.min, c.backends.max),
    externalTrafficPolicy: fc.constantFrom(...c.externalTrafficPolicies),
    sessionAffinity: c.affinity ? fc.boolean() : fc.constant(false),
  });
}

/**
 * For a LoadBalancer Service and its EndpointSlices, shrinking towards one ready backend on the first node.
 * @param constraints - name, nodes, families, ports, backends
 * @remarks Since 0.1.0
 * @public
 */
export function service(constraints: ServiceConstraints = {}): fc.Arbitrary<ServiceObjects> {
  const c = buildCompleteServiceConstraints(constraints);
  return serviceShape(c).map((s) => serviceObjects(c, s));
}
