/**
 * checks.ts: small helpers the arbitraries share: up-front validation of constraints (every
 * error starts with the public arbitrary's name and states the broken rule), node names, and
 * arrays that shrink to any subset. The arbitraries are the files above.
 * @internal
 */
import fc from 'fast-check';

export function checkRange(api: string, what: string, min: number, max: number, lo: number, hi: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < lo || max > hi || min > max) {
    throw new Error(`${api}: ${what} must be whole numbers with ${lo} <= min <= max <= ${hi} (got min ${min}, max ${max})`);
  }
}

export function checkNonEmpty<T>(api: string, what: string, values: readonly T[], allowed?: readonly T[]): void {
  if (!Array.isArray(values) || values.length === 0) throw new Error(`${api}: ${what} must list at least one value${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
  if (allowed) {
    const bad = values.find((v) => !allowed.includes(v));
    if (bad !== undefined) throw new Error(`${api}: ${what} has ${JSON.stringify(bad)}, which is not one of ${allowed.join(', ')}`);
  }
}

/** Node names in order: node-a … node-z. */
export function nodeName(index: number): string {
  return `node-${String.fromCharCode(97 + (index % 26))}${index >= 26 ? Math.floor(index / 26) : ''}`;
}

export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/**
 * An array of min..max items that shrinks to any subset of at least min items. fast-check's
 * array shrinker drops a trailing item only when the length may go below it, so the array is
 * generated from 0 items and the minimum enforced by a filter.
 */
export function arrayOf<T>(arb: fc.Arbitrary<T>, min: number, max: number): fc.Arbitrary<T[]> {
  const all = fc.array(arb, { minLength: 0, maxLength: max });
  return min > 0 ? all.filter((a) => a.length >= min) : all;
}
