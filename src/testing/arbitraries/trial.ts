/**
 * trial.ts: the `trial` arbitrary: a generated cluster (cluster.ts) and flows aimed at its
 * frontends from its clients (flows.ts): the unit dsrlab's own property tests check. To keep a
 * cluster of your own and vary only the traffic, use fromScenario.ts.
 */
import fc from 'fast-check';
import type { Trial } from '../traffic.js';
import { cluster, type ClusterConstraints } from './cluster.js';
import { flows, type FlowsConstraints } from './flows.js';

/**
 * Constraints of trial.
 * @remarks Since 0.1.0
 * @public
 */
export interface TrialConstraints {
  cluster?: ClusterConstraints;
  /** The flows' constraints; clients, targets and MTU come from the generated cluster. */
  flows?: Omit<FlowsConstraints, 'scenario' | 'clients' | 'targets' | 'mtu'>;
}

/**
 * For a cluster and traffic through it; shrinks the cluster first, then the traffic.
 * @param constraints - of the cluster and of the flows
 * @remarks Since 0.1.0
 * @public
 */
export function trial(constraints: TrialConstraints = {}): fc.Arbitrary<Trial> {
  return cluster(constraints.cluster).chain((scenario) => flows({ ...constraints.flows, scenario }).map((f): Trial => ({ scenario, flows: f })));
}
