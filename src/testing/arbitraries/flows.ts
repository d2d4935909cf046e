/**
 * flows.ts: the `flows` arbitrary: several flows sent one after the other through the same
 * cluster (so state from earlier flows is live for later ones), each a `flow` (flow.ts), by
 * default no two from the same client port.
 */
import fc from 'fast-check';
import type { Flow } from '../traffic.js';
import { buildCompleteFlowConstraints, flowFrom, type FlowConstraints } from './flow.js';
import { checkRange } from './_internals/checks.js';

/**
 * Constraints of flows.
 * @remarks Since 0.1.0
 * @public
 */
export interface FlowsConstraints extends FlowConstraints {
  /** @defaultValue 1 */
  minFlows?: number;
  /** @defaultValue 4 */
  maxFlows?: number;
  /**
   * No client sends two flows from the same port (same protocol and address), so no two flows
   * share a tuple, nor collide after DNAT (two frontends of one Service may send them to the same
   * backend, where they would be one connection; Cilium does not remap ports to tell them apart).
   * Set false to let clients reuse ports, as real ones do once a connection has closed.
   * @defaultValue true
   */
  distinctTuples?: boolean;
}

/**
 * For a list of flows with distinct tuples, shrinking towards one flow.
 * @param constraints - as flow's, plus how many
 * @remarks Since 0.1.0
 * @public
 */
export function flows(constraints: FlowsConstraints = {}): fc.Arbitrary<Flow[]> {
  const { minFlows = 1, maxFlows = 4, distinctTuples = true, ...rest } = constraints;
  checkRange('flows', 'minFlows and maxFlows', minFlows, maxFlows, 0, 1000);
  const one = flowFrom(buildCompleteFlowConstraints('flows', rest));
  const selector = (f: Flow) => `${f.proto} ${f.client} ${f.cport}`;
  // fast-check's array shrinker removes a trailing item only when the length may go below it,
  // so the array is generated from 0 and the minimum enforced by a filter: counterexamples
  // then lose every flow they do not need, wherever it sits.
  const all = distinctTuples ? fc.uniqueArray(one, { minLength: 0, maxLength: maxFlows, selector }) : fc.array(one, { minLength: 0, maxLength: maxFlows });
  return minFlows > 0 ? all.filter((a) => a.length >= minFlows) : all;
}
