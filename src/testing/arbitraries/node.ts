/**
 * node.ts: the `node` arbitrary: a scenario node entry (name, addresses from the index, zone,
 * MTU). The address plan is _internals/builders.ts's; whole clusters are cluster.ts.
 */
import fc from 'fast-check';
import { nodeDocument, type NodeDocument } from './_internals/builders.js';
import { checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';

export type { NodeDocument } from './_internals/builders.js';

/**
 * Constraints of node.
 * @remarks Since 0.1.0
 * @public
 */
export interface NodeConstraints {
  /** Position in the cluster: names it (node-a, node-b …) and numbers its addresses. @defaultValue 0 */
  index?: number;
  /** @defaultValue `['ipv4']` */
  families?: Family[];
  /** Zones to pick from; an empty list means none. @defaultValue `[]` */
  zones?: string[];
  /** Node MTUs to pick from; empty means cilium.MTU. @defaultValue `[]` */
  mtus?: number[];
}

/** @internal */
export function buildCompleteNodeConstraints(c: NodeConstraints): Required<NodeConstraints> {
  const out = { index: c.index ?? 0, families: c.families ?? ['ipv4' as Family], zones: c.zones ?? [], mtus: c.mtus ?? [] };
  checkRange('node', 'index', out.index, out.index, 0, 200);
  checkNonEmpty('node', 'families', out.families, FAMILIES);
  for (const m of out.mtus) checkRange('node', 'each of mtus', m, m, out.families.includes('ipv6') ? 1280 : 68, 65535);
  return out;
}

/** @internal */
export function nodeShape(c: Required<NodeConstraints>) {
  return fc.record({
    zone: c.zones.length ? fc.option(fc.constantFrom(...c.zones), { nil: undefined }) : fc.constant(undefined),
    mtu: c.mtus.length ? fc.option(fc.constantFrom(...c.mtus), { nil: undefined }) : fc.constant(undefined),
  });
}

/**
 * For a cluster node, shrinking towards one with no zone and the cluster's MTU.
 * @param constraints - index, families, zones, MTUs
 * @remarks Since 0.1.0
 * @public
 */
export function node(constraints: NodeConstraints = {}): fc.Arbitrary<NodeDocument> {
  const c = buildCompleteNodeConstraints(constraints);
  return nodeShape(c).map((s) => nodeDocument(c.index, c.families, { ...(s.zone !== undefined ? { zone: s.zone } : {}), ...(s.mtu !== undefined ? { mtu: s.mtu } : {}) }));
}
