/**
 * invariant.ts: the shape of an invariant: a function over a TrafficRun (runTrial's result) that
 * returns undefined when it holds and a readable explanation (flow, hop, expected, seen) when
 * not. Each invariant is its own file beside this one; runTrial is in ../run.ts.
 */
import type { TrafficRun } from '../run.js';

/**
 * For checking one property of a run: undefined when it holds, else why not.
 * @public
 */
export type Invariant = (run: TrafficRun) => string | undefined;
