/**
 * check.ts: the runner that makes a property test a few lines: `checkScenario` (your scenario
 * file, generated traffic) and `checkTrials` (any Trial arbitrary) run fast-check, send each
 * trial through a fresh cluster, apply the invariants, and on failure throw a
 * CounterexampleError whose message holds the shrunk counterexample, the invariant's
 * explanation and a `dsrlab explain` command to paste. Generating trials is arbitraries/'s
 * business; the invariants are invariants/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { pcapBytes } from '../capture/pcap-writer.js';
import type { DatapathFault } from '../datapath/faults.js';
import { formatScenario } from '../scenario/format.js';
import type { LbMode, Scenario } from '../scenario/types.js';
import { flows as flowsArb } from './arbitraries/flows.js';
import { ALL_INVARIANTS } from './invariants/all.js';
import type { Invariant } from './invariants/invariant.js';
import { forgetViolation, violationPacket } from './invariants/_internals/report.js';
import { runTrial, trafficInputs, type TrafficRun } from './run.js';
import { formatFlow, formatPacket, type Flow, type ScenarioDocument, type Trial } from './traffic.js';

/**
 * Options shared by checkScenario and checkTrials.
 * @public
 */
export interface CheckOptions {
  /** @defaultValue every invariant dsrlab/testing exports (`ALL_INVARIANTS`) */
  invariants?: Invariant[];
  /** @defaultValue 100 */
  numRuns?: number;
  /** fast-check's seed and path, to replay a counterexample the error message named. */
  seed?: number;
  path?: string;
  /** Load-balancer mode(s) to run in (overrides the scenario's; several: one picked per run). */
  mode?: LbMode | LbMode[];
  /** Test-only planted datapath faults (src/datapath/faults.ts), to prove the invariants catch them. */
  faults?: DatapathFault[];
  /** Where counterexample files (scenario, capture) go. @defaultValue a new directory under the OS temp dir */
  outDir?: string;
}

/**
 * Options of checkScenario.
 * @public
 */
export interface CheckScenarioOptions extends CheckOptions {
  /** The scenario: a file path (printed as given in the explain command), a plain object, or a loaded Scenario. */
  scenario: string | ScenarioDocument | Scenario;
  /** The traffic: an arbitrary of flow lists or of single flows. @defaultValue `flows({scenario})` */
  flows?: fc.Arbitrary<Flow[]> | fc.Arbitrary<Flow>;
}

/**
 * Options of checkTrials.
 * @public
 */
export interface CheckTrialsOptions extends CheckOptions {
  /** Trials to check, e.g. `trial({...})` or `fromScenario('my.yaml')`. */
  trials: fc.Arbitrary<Trial>;
}

/**
 * What checkScenario and checkTrials throw when an invariant fails: the message is the whole
 * report; the fields are there for tools.
 * @public
 */
export class CounterexampleError extends Error {
  constructor(
    message: string,
    /** The invariant that failed (its function name). */
    readonly invariant: string,
    /** The invariant's own explanation. */
    readonly explanation: string,
    /** The shrunk trial. */
    readonly trial: Trial,
    /** `dsrlab explain …` for the failing packet. */
    readonly command: string | undefined,
    readonly seed: number,
    readonly path: string | undefined,
    /** Files written for the counterexample (scenario, capture). */
    readonly files: string[],
  ) {
    super(message);
    this.name = 'CounterexampleError';
  }
}

class InvariantFailure extends Error {
  constructor(
    readonly invariant: string,
    readonly explanation: string,
    readonly packet: number | undefined,
  ) {
    super(`${invariant} does not hold:\n${explanation}`);
  }
}

function isFlowList(v: unknown): v is Flow[] {
  return Array.isArray(v);
}

/**
 * For a property test over your own scenario: generated traffic (and optionally modes) through
 * its cluster, every invariant checked; throws CounterexampleError with the shrunk case.
 * @example
 * checkScenario({ scenario: 'my.yaml', mode: 'hybrid', flows: flows({ scenario: 'my.yaml' }), invariants: [transparency, asymmetricPath], numRuns: 200 })
 * @param options - scenario, traffic, invariants, runs
 * @remarks Since 0.1.0
 * @public
 */
export function checkScenario(options: CheckScenarioOptions): void {
  const { scenario, flows, ...rest } = options;
  if (scenario === undefined) throw new Error('checkScenario: scenario is required (a file path, a scenario object or a loaded Scenario)');
  const traffic = (flows ?? flowsArb({ scenario })) as fc.Arbitrary<Flow[] | Flow>;
  checkTrials({ ...rest, trials: traffic.map((f): Trial => ({ scenario, flows: isFlowList(f) ? f : [f] })) });
}

/**
 * For a property test over any trials (e.g. `trial()` for generated clusters): each is run
 * through a fresh cluster and checked; throws CounterexampleError with the shrunk case.
 * @param options - trials, invariants, runs
 * @remarks Since 0.1.0
 * @public
 */
export function checkTrials(options: CheckTrialsOptions): void {
  const invariants = options.invariants ?? ALL_INVARIANTS;
  if (invariants.length === 0) throw new Error('checkTrials: invariants is empty: name at least one (or leave it out for all)');
  const modes = options.mode === undefined ? undefined : Array.isArray(options.mode) ? options.mode : [options.mode];
  if (modes && modes.length === 0) throw new Error('checkTrials: mode is an empty list');
  const trials = modes ? fc.tuple(options.trials, fc.constantFrom(...modes)).map(([t, mode]): Trial => ({ ...t, mode })) : options.trials;
  const faults = options.faults ?? [];
  const property = fc.property(trials, (t) => {
    const run = runTrial(t, { faults });
    for (const inv of invariants) {
      forgetViolation(run);
      const why = inv(run);
      if (why !== undefined) throw new InvariantFailure(inv.name || 'invariant', why, violationPacket(run));
    }
  });
  const params: fc.Parameters<[Trial]> = { numRuns: options.numRuns ?? 100 };
  if (options.seed !== undefined) params.seed = options.seed;
  if (options.path !== undefined) params.path = options.path;
  const details = fc.check(property, params);
  if (!details.failed || !details.counterexample) return;
  const err = details.errorInstance;
  if (!(err instanceof InvariantFailure)) {
    // Not an invariant: a bad scenario, a crash. Say which case, then the error itself.
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `${e.message}\n(dsrlab/testing: raised while running a trial; seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)})`;
    throw e;
  }
  throw counterexample(details.counterexample[0], err, details, faults, options.outDir);
}

function scenarioLabel(s: Trial['scenario']): string {
  return typeof s === 'string' ? s : 'file' in s && typeof s.file === 'string' ? s.file : 'a generated scenario';
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function counterexample(t: Trial, failure: InvariantFailure, details: fc.RunDetails<[Trial]>, faults: DatapathFault[], outDir: string | undefined): CounterexampleError {
  // Run the shrunk case once more for its facts (mode, packets) and files.
  let run: TrafficRun | undefined;
  try {
    run = runTrial(t, { faults });
  } catch {
    run = undefined;
  }
  const mode = run?.mode ?? t.mode ?? 'the scenario\'s mode';
  const files: string[] = [];
  const dir = outDir ?? mkdtempSync(join(tmpdir(), 'dsrlab-counterexample-'));
  let scenarioPath: string;
  if (typeof t.scenario === 'string') scenarioPath = t.scenario;
  else {
    scenarioPath = join(dir, 'scenario.yaml');
    const text = 'profile' in t.scenario && 'services' in t.scenario ? formatScenario(t.scenario as Scenario) : stringify(t.scenario);
    writeFileSync(scenarioPath, `# dsrlab/testing counterexample (${failure.invariant})\n${text}`);
    files.push(scenarioPath);
  }
  const inputs = run?.inputs ?? trafficInputs(t.flows);
  const capturePath = join(dir, 'traffic.pcap');
  writeFileSync(capturePath, pcapBytes(inputs.map((s, i) => ({ ts: { sec: 1_700_000_000, nsec: (i + 1) * 1_000_000 }, data: s.frame }))));
  files.push(capturePath);

  const lines: string[] = [];
  lines.push(`dsrlab/testing: ${failure.invariant} does not hold (mode ${mode}, scenario ${scenarioLabel(t.scenario)})${faults.length ? ` [planted faults: ${faults.join(', ')}]` : ''}`);
  lines.push('');
  lines.push(failure.explanation);
  lines.push('');
  lines.push(`Counterexample after ${details.numRuns} run(s) and ${details.numShrinks} shrink(s) (seed ${details.seed}, path ${JSON.stringify(details.counterexamplePath)}):`);
  t.flows.forEach((f, i) => {
    lines.push(`  flow ${i}: ${formatFlow(f)}`);
    for (const s of inputs.filter((x) => x.flow === i && (!x.fragment || x.fragment.index === 0))) lines.push(`    packet ${s.id}: ${formatPacket(s.packet)}${s.fragment ? ` (${s.fragment.count} fragments)` : ''}${s.packet.options?.length ? ` [TCP options: ${s.packet.options.map((o) => o.kind).join(', ')}]` : ''}`);
  });
  let command: string | undefined;
  // The packet the invariant named; a reply or an ICMP error stands for the request it answers.
  let id = failure.packet;
  if (id !== undefined && !inputs.some((s) => s.id === id)) id = run?.hops.find((h) => h.pkt === id)?.parent;
  const culprit = id !== undefined ? inputs.find((s) => s.id === id) : undefined;
  const modeArg = run ? ` --mode ${run.mode}` : t.mode ? ` --mode ${t.mode}` : '';
  if (culprit) {
    command = `dsrlab explain --scenario ${shellQuote(scenarioPath)} --packet ${shellQuote(formatPacket(culprit.packet))}${modeArg}`;
    // explain numbers a capture's flows (by tuple) from 1 in order of appearance.
    const key = (f: Flow) => `${f.proto} ${f.client} ${f.cport} ${f.frontend} ${f.fport}`;
    const order = [...new Set(inputs.map((s) => key(t.flows[s.flow]!)))];
    const flowNumber = order.indexOf(key(t.flows[culprit.flow]!)) + 1;
    lines.push('');
    lines.push('Walk the failing packet hop by hop:');
    lines.push(`  ${command}`);
    lines.push(`or its flow, after the traffic before it (${capturePath}):`);
    lines.push(`  dsrlab explain --scenario ${shellQuote(scenarioPath)} --capture ${shellQuote(capturePath)} --flow ${flowNumber}${modeArg}`);
  } else {
    lines.push('');
    lines.push(`Replay the counterexample's traffic (${capturePath}):`);
    lines.push(`  dsrlab replay ${shellQuote(capturePath)} --scenario ${shellQuote(scenarioPath)}${modeArg} --responder echo`);
  }
  lines.push('');
  lines.push(`Run exactly this case again with { seed: ${details.seed}, path: ${JSON.stringify(details.counterexamplePath)} } in the check's options.`);
  return new CounterexampleError(lines.join('\n'), failure.invariant, failure.explanation, t, command, details.seed, details.counterexamplePath ?? undefined, files);
}
