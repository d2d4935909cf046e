/**
 * index.ts: the explain module's public surface: `explain()` and its types, the packet SPEC
 * parser, and the terminal renderer. Implementation lives in the files re-exported here.
 */
export { explain, explainHops, HOOK_NAMES, type ExplainOptions, type ExplainPacketInput } from './explain.js';
export { parsePacketSpec, formatPacketSpec, buildDescribedPacket, PACKET_SPEC_SYNTAX, type PacketDescription } from './packet-spec.js';
export { captureFlow, captureFlowText, type CaptureFlow } from './capture-flow.js';
export { decodeFrames, diffHeaders, headerFields, packetLabel, type HeaderView, type FieldChange, type DsrInfo } from './headers.js';
export { renderExplanation, renderDiagram, renderPacket, renderTcpdump, type RenderOptions } from './render.js';
export type * from './types.js';
