/**
 * port.ts: the `port` arbitrary: TCP/UDP port numbers in a range.
 */
import fc from 'fast-check';
import { checkRange } from './_internals/checks.js';

/**
 * Constraints of port.
 * @remarks Since 0.1.0
 * @public
 */
export interface PortConstraints {
  /** @defaultValue 1 */
  min?: number;
  /** @defaultValue 65535 */
  max?: number;
}

/** @internal */
export function buildCompletePortConstraints(c: PortConstraints): Required<PortConstraints> {
  const out = { min: c.min ?? 1, max: c.max ?? 65535 };
  checkRange('port', 'min and max', out.min, out.max, 0, 65535);
  return out;
}

/**
 * For TCP/UDP ports, shrinking towards `min`.
 * @param constraints - the range
 * @remarks Since 0.1.0
 * @public
 */
export function port(constraints: PortConstraints = {}): fc.Arbitrary<number> {
  const c = buildCompletePortConstraints(constraints);
  return fc.integer({ min: c.min, max: c.max });
}
