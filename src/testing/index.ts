/**
 * index.ts: `dsrlab/testing`, the property-based regression testing kit: fast-check arbitraries
 * (addresses, packets, flows, nodes, services, Cilium configs, clusters, trials, your own
 * scenario file), invariants over a run (conservation, transparency, asymmetric path, SYN-only
 * option, MTU safety, SNAT bijection, checksums, determinism, Maglev balance and consistency),
 * and the runner (`checkScenario`, `checkTrials`) that turns a failure into a shrunk
 * counterexample and a `dsrlab explain` command. The emulator itself is `dsrlab` (src/index.ts).
 * fast-check is a peer dependency: import `fc` from 'fast-check' in your tests.
 */
export * from './arbitraries/index.js';
export * as arbitraries from './arbitraries/index.js';
export * from './invariants/index.js';
export * as invariants from './invariants/index.js';
export { checkScenario, checkTrials, CounterexampleError, type CheckOptions, type CheckScenarioOptions, type CheckTrialsOptions } from './check.js';
export { runTrial, type RunOptions, type SentPacket, type TrafficRun } from './run.js';
export { flowPackets, formatFlow, formatPacket, packetFrames, type Flow, type ScenarioDocument, type TcpFlagName, type TrafficPacket, type TrafficProtocol, type Trial } from './traffic.js';
export { DATAPATH_FAULTS, type DatapathFault } from '../datapath/faults.js';
export { dropReasonName } from '../datapath/drop-reasons.js';
