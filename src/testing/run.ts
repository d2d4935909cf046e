/**
 * run.ts: a Trial through an emulated cluster: the scenario loaded (a file, a plain object or a
 * Scenario), the cluster built with the echo responder, every flow's frames sent in one batch
 * (one millisecond apart), and every hop recorded. The result, a TrafficRun, is what the
 * invariants read. Generating trials is arbitraries/'s business; checking them, invariants/'s.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Cluster, type Hop } from '../cluster.js';
import { InputError } from '../errors.js';
import { faultBits, type DatapathFault } from '../datapath/faults.js';
import { parseScenario, scenarioFromObject } from '../scenario/load.js';
import type { LbMode, Scenario } from '../scenario/types.js';
import { flowPackets, packetFrames, type Flow, type ScenarioDocument, type TrafficPacket, type Trial } from './traffic.js';

/**
 * One frame that went in: which flow and which of its packets it is.
 * @public
 */
export interface SentPacket {
  /** The packet id in the event log (the frame's index in the batch). */
  id: number;
  /** Index into `TrafficRun.flows`. */
  flow: number;
  /** Index of the packet within its flow (`flowPackets(flow)[index]`). */
  index: number;
  packet: TrafficPacket;
  /** For a fragmented packet: which fragment (0-based) of how many. */
  fragment?: { index: number; count: number };
  frame: Uint8Array;
}

/**
 * What a trial did: the scenario as loaded, the flows and frames that went in, and every hop
 * of every packet (the inputs, the echo responder's replies, ICMP errors).
 * @public
 */
export interface TrafficRun {
  scenario: Scenario;
  /** The scenario file, when the trial named one. */
  scenarioFile?: string;
  mode: LbMode;
  flows: Flow[];
  inputs: SentPacket[];
  hops: Hop[];
  /** The cluster the run went through, already closed: its control plane and names remain. */
  cluster: Cluster;
  /** The planted faults the cluster ran with (tests only). */
  faults: DatapathFault[];
}

/**
 * Options of runTrial.
 * @public
 */
export interface RunOptions {
  /** Overrides the trial's and the scenario's load-balancer mode. */
  mode?: LbMode;
  /** Test-only planted datapath faults (see src/datapath/faults.ts). */
  faults?: DatapathFault[];
}

const fileCache = new Map<string, string>();
/** Scenario documents are validated once per mode (arbitraries and runTrial both load them). */
const docCache = new WeakMap<object, Map<string, Scenario>>();

function isScenario(s: unknown): s is Scenario {
  return typeof s === 'object' && s !== null && 'profile' in s && 'services' in s && 'world' in s;
}

/**
 * Loads the scenario of a trial with the mode override applied (and validated, so a mode the
 * scenario cannot run, such as DSR with VXLAN tunnelling, is an InputError naming the key).
 */
export function loadTrialScenario(scenario: string | ScenarioDocument | Scenario, mode?: LbMode): Scenario {
  const options = mode ? { overrides: { loadBalancerMode: mode } } : undefined;
  if (typeof scenario === 'string') {
    // Read once per version of the file (a property test loads it for every trial).
    const key = `${scenario}\0${statSync(scenario, { throwIfNoEntry: false })?.mtimeMs ?? 'missing'}`;
    let text = fileCache.get(key);
    if (text === undefined) {
      try {
        text = readFileSync(scenario, 'utf8');
      } catch (e) {
        throw new InputError({ file: scenario }, `cannot read the scenario: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      fileCache.set(key, text);
    }
    return parseScenario(text, scenario, dirname(scenario), options);
  }
  if (isScenario(scenario)) return scenario;
  let byMode = docCache.get(scenario);
  if (!byMode) docCache.set(scenario, (byMode = new Map()));
  let s = byMode.get(mode ?? '');
  if (!s) byMode.set(mode ?? '', (s = scenarioFromObject(scenario, '<generated scenario>', process.cwd(), options)));
  return s;
}

/** The frames of a list of flows, in sending order, with what each one is. */
export function trafficInputs(flows: Flow[]): SentPacket[] {
  const inputs: SentPacket[] = [];
  flows.forEach((f, fi) => {
    flowPackets(f).forEach((packet, index) => {
      const frames = packetFrames(packet);
      frames.forEach((frame, k) => {
        const s: SentPacket = { id: inputs.length, flow: fi, index, packet, frame };
        if (frames.length > 1) s.fragment = { index: k, count: frames.length };
        inputs.push(s);
      });
    });
  });
  return inputs;
}

/**
 * For running one trial: builds the cluster its scenario describes (echo responder), sends
 * every flow's packets in order in one batch and returns what happened at every hop.
 * @param trial - the scenario and the flows
 * @param options - mode override; planted faults (tests only)
 * @remarks Since 0.1.0
 * @public
 */
export function runTrial(trial: Trial, options: RunOptions = {}): TrafficRun {
  const mode = options.mode ?? trial.mode;
  const scenario = loadTrialScenario(trial.scenario, isScenario(trial.scenario) ? undefined : mode);
  const faults = options.faults ?? [];
  const clusterOpts = { responder: 'echo' as const, ...(mode && isScenario(trial.scenario) ? { mode } : {}), ...(faults.length ? { faults: faultBits(faults) } : {}) };
  const cluster = Cluster.fromScenario(scenario, clusterOpts);
  const inputs = trafficInputs(trial.flows);
  let hops: Hop[];
  try {
    hops = inputs.length ? cluster.send(inputs.map((s) => ({ frame: s.frame }))) : [];
  } finally {
    cluster.close(); // the invariants read only the hops and the control plane's names
  }
  const run: TrafficRun = { scenario, mode: cluster.mode, flows: trial.flows, inputs, hops, cluster, faults };
  if (typeof trial.scenario === 'string') run.scenarioFile = trial.scenario;
  return run;
}

/** Sends the same inputs through a fresh cluster built the same way (determinism, retries). */
export function rerun(run: TrafficRun, frames: Uint8Array[] = run.inputs.map((s) => s.frame)): Hop[] {
  const cluster = Cluster.fromScenario(run.scenario, { responder: 'echo', mode: run.mode, ...(run.faults.length ? { faults: faultBits(run.faults) } : {}) });
  try {
    return frames.length ? cluster.send(frames.map((frame) => ({ frame }))) : [];
  } finally {
    cluster.close();
  }
}
