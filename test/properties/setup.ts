/** setup.ts: the generators dsrlab's own property tests share (modes, families, trial constraints). */
import type { LbMode } from '../../src/scenario/types.js';
import { trial, type TrialConstraints } from '../../src/testing/index.js';

export const MODES: readonly LbMode[] = ['snat', 'dsr', 'hybrid'];

export const FAMILIES = [
  { name: 'IPv4', families: ['ipv4' as const] },
  { name: 'IPv6', families: ['ipv6' as const] },
  { name: 'dual stack', families: ['ipv4' as const, 'ipv6' as const] },
];

/** Clusters of 1–4 nodes and 1–3 clients, 1–2 services with 1–3 backends (some terminating, some with ClientIP affinity), every dispatch, algorithm, acceleration, version, MTU and pmtuDiscovery; 1–5 flows of TCP and UDP from empty to past the MTU (IPv4 UDP as fragments). */
export function trialConstraints(mode: LbMode, families: ('ipv4' | 'ipv6')[]): TrialConstraints {
  return {
    cluster: { families, nodes: { min: 1, max: 4 }, clients: { min: 1, max: 3 }, terminating: true, affinity: true, cilium: { modes: [mode] } },
    flows: { fragments: true, maxFlows: 5, maxData: 3 },
  };
}

export const trials = (mode: LbMode, families: ('ipv4' | 'ipv6')[]) => trial(trialConstraints(mode, families));
