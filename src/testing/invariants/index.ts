/**
 * index.ts: the barrel of dsrlab/testing's invariants, one per file. Each is a function over a
 * TrafficRun returning undefined when it holds, else a readable explanation.
 */
export type { Invariant } from './invariant.js';
export { conservation } from './conservation.js';
export { transparency } from './transparency.js';
export { asymmetricPath } from './asymmetricPath.js';
export { synOnlyOption } from './synOnlyOption.js';
export { mtuSafety } from './mtuSafety.js';
export { snatBijection } from './snatBijection.js';
export { checksumValidity } from './checksumValidity.js';
export { determinism } from './determinism.js';
export { maglevBalance } from './maglevBalance.js';
export { maglevConsistency } from './maglevConsistency.js';
export { ALL_INVARIANTS } from './all.js';
export { violation } from './_internals/report.js';
