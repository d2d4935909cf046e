/**
 * model.ts: what `dsrlab check` reasons about, whichever file it came from: a `CheckSubject`
 * (Cilium's Helm values with every default filled in, where each value was set, and how the
 * user would name or change a setting), and the shapes of its findings. A subject is built from
 * a scenario here (`subjectFromScenario`) and from a Kubespray variables file in kubespray.ts;
 * the rules that read it live in requirements.ts, the setting table in settings.ts.
 */

import { scenarioFromObject } from '../scenario/index.js';
import type { CiliumConfig, CiliumVersion, Node, Profile, Scenario, Service } from '../scenario/index.js';

/** Cilium's Helm values as CiliumConfig holds them, but kube-proxy replacement may be off (Kubespray's default). */
export type CheckCilium = Omit<CiliumConfig, 'kubeProxyReplacement'> & { kubeProxyReplacement: boolean };

/**
 * Settings a scenario cannot express but a Kubespray file can (undefined: not expressible, or
 * not said). Defaults are Cilium's (and Kubespray's, which agree for these).
 */
export interface OtherSettings {
  ipv4NativeRoutingCIDR?: string;
  ipv6NativeRoutingCIDR?: string;
  enableIPv4Masquerade?: boolean;
  enableIPv6Masquerade?: boolean;
  ipMasqAgent?: boolean;
  ipamMode?: string;
  identityAllocationMode?: string;
  egressGateway?: boolean;
  l7Proxy?: boolean;
  bandwidthManager?: boolean;
  bbr?: boolean;
  hubble?: boolean;
  /** Agent flag enable-node-port: the BPF NodePort datapath without full kube-proxy replacement. */
  nodePortEnabled?: boolean;
  /** Agent flag arping-refresh-period (seed: neighbour discovery). */
  arpingRefreshPeriod?: string;
  /** Agent flag enable-session-affinity. */
  sessionAffinity?: boolean;
}

/** Where a setting's value came from. */
export interface ValueSource {
  /** How the user named it: `cilium.loadBalancer.mode`, `cilium_tunnel_mode`, `cilium_config_extra_vars.bpf-lb-mode`. */
  name: string;
  /** The value as written. */
  raw: string;
  line?: number;
}

export type Origin = 'scenario' | 'kubespray';

/** One configuration under check. */
export interface CheckSubject {
  origin: Origin;
  file: string;
  version: CiliumVersion;
  profile: Profile;
  cilium: CheckCilium;
  cluster: { name: string; id: number };
  other: OtherSettings;
  /** Scenario only; empty for a Kubespray file. */
  services: Service[];
  nodes: Node[];
  /** Helm key (`loadBalancer.mode`, `cluster.id`, …) → where it was set; absent: the default. */
  sources: Map<string, ValueSource>;
  /** Names setting `key` the way this user would: a scenario key path, a Kubespray variable, an extra var. */
  name(key: string): string;
  /** Says how to set `key` to `value` in this user's vocabulary. */
  howTo(key: string, value: string): string;
}

export type Level = 'warning' | 'error';

/** One problem a rule found. */
export interface Finding {
  level: Level;
  /** The setting the problem is about (Helm key, or a variable). */
  setting: string;
  message: string;
}

export type Status = 'ok' | 'warning' | 'error';

/** What one rule says about one setting. */
export interface Requirement {
  setting: string;
  value: string;
  group: string;
  requires: string[];
  implies: string[];
  status: Status;
  /** Where the rule comes from (seed document section, spec section, Cilium source). */
  source: string;
  findings: Finding[];
}

/** Status of a list of findings: the worst level, or ok. */
export function statusOf(findings: Finding[]): Status {
  if (findings.some((f) => f.level === 'error')) return 'error';
  if (findings.length > 0) return 'warning';
  return 'ok';
}

const defaultsCache = new Map<CiliumVersion, CiliumConfig>();

/**
 * Cilium's defaults for `version`, as scenario validation fills them in (validate.ts is the one
 * place that knows them): the cilium section of a minimal scenario.
 */
export function defaultCilium(version: CiliumVersion): CiliumConfig {
  let c = defaultsCache.get(version);
  if (!c) {
    const s = scenarioFromObject({ cilium: { version }, nodes: [{ name: 'node-a', ipv4: '192.0.2.1' }] }, '<defaults>', '/');
    c = s.cilium;
    defaultsCache.set(version, c);
  }
  return structuredClone(c);
}

/** Scenario key paths of the Helm keys whose scenario spelling is not `cilium.<key>`. */
const SCENARIO_PATHS: Record<string, string> = {
  'cluster.name': 'cluster.name',
  'cluster.id': 'cluster.id',
};

/** Helm keys a scenario has no key for (OtherSettings); a scenario user sets them in Helm only. */
export const NOT_IN_SCENARIO: ReadonlySet<string> = new Set([
  'ipv4NativeRoutingCIDR', 'ipv6NativeRoutingCIDR', 'enableIPv4Masquerade', 'enableIPv6Masquerade', 'ipMasqAgent.enabled',
  'ipam.mode', 'identityAllocationMode', 'egressGateway.enabled', 'l7Proxy', 'bandwidthManager.enabled',
  'bandwidthManager.bbr', 'hubble.enabled', 'nodePort.enabled', 'arping-refresh-period', 'enable-session-affinity',
]);

/** The subject of `dsrlab check SCENARIO`: the scenario's effective values, named by scenario key paths. */
export function subjectFromScenario(s: Scenario): CheckSubject {
  const path = (key: string): string => SCENARIO_PATHS[key] ?? `cilium.${key}`;
  return {
    origin: 'scenario',
    file: s.file,
    version: s.cilium.version,
    profile: s.profile,
    cilium: s.cilium,
    cluster: { ...s.cluster },
    other: {},
    services: s.services,
    nodes: s.nodes,
    sources: new Map(),
    name: path,
    howTo: (key, value) => (NOT_IN_SCENARIO.has(key) ? `Helm ${key}=${value} (a scenario has no key for it)` : `${path(key)}: ${value}`),
  };
}
