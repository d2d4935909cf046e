/**
 * all.ts: every invariant dsrlab/testing exports, in the order the runner applies them by
 * default (cheap structural ones first, the ones that rebuild clusters last).
 */
import { asymmetricPath } from './asymmetricPath.js';
import { checksumValidity } from './checksumValidity.js';
import { conservation } from './conservation.js';
import { determinism } from './determinism.js';
import type { Invariant } from './invariant.js';
import { maglevBalance } from './maglevBalance.js';
import { maglevConsistency } from './maglevConsistency.js';
import { mtuSafety } from './mtuSafety.js';
import { snatBijection } from './snatBijection.js';
import { synOnlyOption } from './synOnlyOption.js';
import { transparency } from './transparency.js';

/**
 * Every invariant, as checkScenario and checkTrials apply them when not told which.
 * @public
 */
export const ALL_INVARIANTS: readonly Invariant[] = [conservation, transparency, asymmetricPath, synOnlyOption, snatBijection, checksumValidity, maglevBalance, maglevConsistency, mtuSafety, determinism];
