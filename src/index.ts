/**
 * index.ts: the public library API of dsrlab (`import … from 'dsrlab'`). The CLI is built on
 * the same functions; the property-testing kit is exported separately as `dsrlab/testing`.
 */
export { InputError, type InputLocation } from './errors.js';
export { CaptureReader, readAllPackets, type PacketBatch, type CapturedPacket, type ReaderOptions } from './capture/reader.js';
export { captureInfo, type CaptureInfo } from './capture/info.js';
export { PcapWriter, pcapBytes, pcapFileHeader, type PcapWriterOptions, type Timestamp } from './capture/pcap-writer.js';
export { pcapngBytes, type PcapngSection, type PcapngInterface, type PcapngPacket } from './capture/pcapng-writer.js';
export * as packet from './packet/build.js';
export * as addr from './packet/addr.js';
export { parsePackets, checkChecksums } from './packet/parse.js';
export { buildMaglevTable, maglevLookup, maglevDisruption, maglevHashString, maglevSeed, parseBackendSpec, DEFAULT_MAGLEV_SEED, DEFAULT_MAGLEV_SIZE, type MaglevBackend, type MaglevTable } from './maglev/table.js';
export { replay, captureHasServerPackets, type ReplayOptions, type ReplayResult, type ReplaySummary, type ReplayProgress, type ReplayRun, type Responder } from './replay.js';
export { loadScenario, parseScenario, scenarioFromObject } from './scenario/index.js';
export { Cluster, type ClusterOptions, type SendFrame, type Hop } from './cluster.js';
export type { Scenario, LbMode } from './scenario/index.js';
export { compare, type CompareOptions, type CompareResult, type CompareRun, type CompareFlow, type FlowModeStats, type HopStats } from './report/compare.js';
export { report, type ReportOptions, type ReportResult } from './report/report.js';
export { TraceCollector, type TraceOptions, type FlowTrace, type FlowStats, type TracePacket, type TraceStep } from './report/trace.js';
export { explain, parsePacketSpec, renderExplanation, type ExplainOptions, type Explanation, type ExplainedPacket, type ExplainedHop, type PacketDescription } from './explain/index.js';
export { runDemo, type DemoResult } from './demo/demo.js';
