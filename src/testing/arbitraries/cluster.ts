/**
 * cluster.ts: the `cluster` arbitrary: a whole scenario document (Cilium values, nodes, clients,
 * LoadBalancer Services with their EndpointSlices, frontends pinned to a node or ECMP), ready
 * for `runTrial` or `scenarioFromObject`. Built from ciliumConfig, node and service shapes;
 * traffic through it is trial.ts.
 */
import fc from 'fast-check';
import type { ScenarioDocument } from '../traffic.js';
import { ciliumShape, buildCompleteCiliumConfigConstraints, type CiliumConfigConstraints } from './ciliumConfig.js';
import { nodeShape } from './node.js';
import { serviceShape } from './service.js';
import { clusterDocument } from './_internals/builders.js';
import { arrayOf, checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';

/**
 * Constraints of cluster.
 * @remarks Since 0.1.0
 * @public
 */
export interface ClusterConstraints {
  /** The families the cluster runs: one for single stack, both for dual stack. @defaultValue `['ipv4']` */
  families?: Family[];
  /** @defaultValue `{min: 1, max: 3}` */
  nodes?: { min: number; max: number };
  /** @defaultValue `{min: 1, max: 2}` */
  clients?: { min: number; max: number };
  /** @defaultValue `{min: 1, max: 2}` */
  services?: { min: number; max: number };
  /** Backends per service. @defaultValue `{min: 1, max: 3}` */
  backends?: { min: number; max: number };
  /** How frontends enter: pinned to a node, ECMP over all, or either. @defaultValue `['pinned', 'ecmp']` */
  frontendRouting?: ('pinned' | 'ecmp')[];
  /** Per-node MTUs to pick from (empty: every node has cilium.MTU). @defaultValue `[]` */
  nodeMtus?: number[];
  /** Some backends terminating. @defaultValue false */
  terminating?: boolean;
  /** Sometimes sessionAffinity ClientIP. @defaultValue false */
  affinity?: boolean;
  /** Constraints of the Cilium values (families are taken from above). */
  cilium?: Omit<CiliumConfigConstraints, 'families'>;
}

/** @internal */
export function buildCompleteClusterConstraints(c: ClusterConstraints) {
  const families = c.families ?? ['ipv4' as Family];
  checkNonEmpty('cluster', 'families', families, FAMILIES);
  const out = {
    families,
    nodes: c.nodes ?? { min: 1, max: 3 },
    clients: c.clients ?? { min: 1, max: 2 },
    services: c.services ?? { min: 1, max: 2 },
    backends: c.backends ?? { min: 1, max: 3 },
    frontendRouting: c.frontendRouting ?? ['pinned' as const, 'ecmp' as const],
    nodeMtus: c.nodeMtus ?? [],
    terminating: c.terminating ?? false,
    affinity: c.affinity ?? false,
    cilium: buildCompleteCiliumConfigConstraints({ ...c.cilium, families }),
  };
  checkRange('cluster', 'nodes', out.nodes.min, out.nodes.max, 1, 26);
  checkRange('cluster', 'clients', out.clients.min, out.clients.max, 1, 50);
  checkRange('cluster', 'services', out.services.min, out.services.max, 1, 16);
  checkRange('cluster', 'backends', out.backends.min, out.backends.max, 0, 16);
  checkNonEmpty('cluster', 'frontendRouting', out.frontendRouting, ['pinned', 'ecmp'] as const);
  return out;
}

/**
 * For a whole cluster as a scenario document, shrinking towards one node, one client and one
 * service with one backend.
 * @param constraints - sizes, families, Cilium values
 * @remarks Since 0.1.0
 * @public
 */
export function cluster(constraints: ClusterConstraints = {}): fc.Arbitrary<ScenarioDocument> {
  const c = buildCompleteClusterConstraints(constraints);
  const node = nodeShape({ index: 0, families: c.families, zones: [], mtus: c.nodeMtus });
  const svc = fc.record({
    shape: serviceShape({ backends: c.backends, terminating: c.terminating, externalTrafficPolicies: ['Cluster'], affinity: c.affinity }),
    ecmp: fc.constantFrom(...c.frontendRouting.map((r) => r === 'ecmp')),
    pin: fc.nat({ max: 25 }),
  });
  return fc
    .record({
      cilium: ciliumShape(c.cilium),
      nodes: arrayOf(node, c.nodes.min, c.nodes.max),
      clients: fc.integer({ min: c.clients.min, max: c.clients.max }),
      services: arrayOf(svc, c.services.min, c.services.max),
      seed: fc.integer({ min: 1, max: 1000 }),
    })
    .map(({ cilium, nodes, clients, services, seed }) =>
      clusterDocument(
        {
          cilium,
          nodes: nodes.map((n) => ({ ...(n.zone !== undefined ? { zone: n.zone } : {}), ...(n.mtu !== undefined ? { mtu: n.mtu } : {}) })),
          clients,
          services: services.map((s) => ({ ...s.shape, ecmp: s.ecmp, pin: s.pin })),
          seed,
        },
        c.families,
      ),
    );
}
