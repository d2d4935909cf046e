/**
 * index.ts: the barrel of dsrlab/testing's arbitraries, one per file, each named as its export.
 * Machinery shared between them is under _internals/ and not exported.
 */
export { ipv4Address, type Ipv4AddressConstraints } from './ipv4Address.js';
export { ipv6Address, type Ipv6AddressConstraints } from './ipv6Address.js';
export { port, type PortConstraints } from './port.js';
export { packetSpec, type PacketSpecConstraints } from './packetSpec.js';
export { packet, DEFAULT_CLIENTS, DEFAULT_TARGETS, type PacketConstraints } from './packet.js';
export { flow, type FlowConstraints } from './flow.js';
export { flows, type FlowsConstraints } from './flows.js';
export { node, type NodeConstraints, type NodeDocument } from './node.js';
export { service, type ServiceConstraints, type ServiceObjects, type ServicePortSpec } from './service.js';
export { ciliumConfig, type CiliumConfigConstraints, type CiliumValues } from './ciliumConfig.js';
export { cluster, type ClusterConstraints } from './cluster.js';
export { trial, type TrialConstraints } from './trial.js';
export { fromScenario, type FromScenarioConstraints } from './fromScenario.js';
export type { Target } from './_internals/targets.js';
