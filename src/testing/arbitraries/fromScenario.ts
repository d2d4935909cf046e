/**
 * fromScenario.ts: the `fromScenario` arbitrary: trials on a scenario file of your own: the
 * cluster stays as the file says, the traffic (and, if asked, the load-balancer mode) varies.
 * Counterexamples then name your file in their `dsrlab explain` line.
 */
import fc from 'fast-check';
import type { LbMode } from '../../scenario/types.js';
import type { Trial } from '../traffic.js';
import { flows, type FlowsConstraints } from './flows.js';
import { checkNonEmpty } from './_internals/checks.js';
import { scenarioTargets } from './_internals/targets.js';

/**
 * Constraints of fromScenario: the flows' (clients, targets and MTU default to the scenario's), plus modes.
 * @remarks Since 0.1.0
 * @public
 */
export interface FromScenarioConstraints extends Omit<FlowsConstraints, 'scenario'> {
  /** Load-balancer modes to run the scenario in. @defaultValue the scenario's own */
  modes?: LbMode[];
}

/**
 * For trials on a scenario file: its cluster, generated traffic from its clients to its frontends.
 * @param path - the scenario file (YAML), as you would pass it to `dsrlab explain --scenario`
 * @param constraints - of the flows, and modes
 * @remarks Since 0.1.0
 * @public
 */
export function fromScenario(path: string, constraints: FromScenarioConstraints = {}): fc.Arbitrary<Trial> {
  if (typeof path !== 'string' || path === '') throw new Error('fromScenario: path must name a scenario file');
  scenarioTargets(path); // load and validate now: a bad file fails here, naming the file and key
  const { modes, ...rest } = constraints;
  const traffic = flows({ ...rest, scenario: path });
  if (!modes) return traffic.map((f): Trial => ({ scenario: path, flows: f }));
  checkNonEmpty('fromScenario', 'modes', modes, ['snat', 'dsr', 'hybrid'] as LbMode[]);
  return fc.record({ mode: fc.constantFrom(...modes), flows: traffic }).map(({ mode, flows: f }): Trial => ({ scenario: path, flows: f, mode }));
}
