/**
 * config.ts: a loaded Scenario (Helm values, version profile, seed) as the configuration object
 * `new Cluster()` takes (struct dl_cluster_config, read by native/addon/cluster.cc). Only the
 * translation of names to the C numbers lives here; which hosts, services and backends the
 * cluster gets is control-plane.ts's business.
 */
import type { NativeClusterConfig } from '../native.js';
import { atLeast, RECENT_MAIN } from '../scenario/profile.js';
import type { Acceleration, DsrDispatch, LbAlgorithm, LbMode, Scenario } from '../scenario/types.js';

/** Who answers the requests that reach a pod (DESIGN.md "Responses"). */
export type Responder = 'capture' | 'echo' | 'none';

export const RESPONDERS: readonly Responder[] = ['capture', 'echo', 'none'];
export const LB_MODES: readonly LbMode[] = ['snat', 'dsr', 'hybrid'];

/** enum dl_lb_mode */
export const MODE_NUMBER: Record<LbMode, number> = { snat: 0, dsr: 1, hybrid: 2 };
/** enum dl_dsr_dispatch */
export const DISPATCH_NUMBER: Record<DsrDispatch, number> = { opt: 0, ipip: 1, geneve: 2 };
/** enum dl_accel */
export const ACCEL_NUMBER: Record<Acceleration, number> = { disabled: 0, native: 1, 'best-effort': 2 };
/** enum dl_responder */
export const RESPONDER_NUMBER: Record<Responder, number> = { none: 0, echo: 1, capture: 2 };
/** enum dl_lb_algorithm (0 is "the global default") */
export const ALGORITHM_NUMBER: Record<LbAlgorithm, number> = { random: 1, maglev: 2 };

/** bpf-fragments-map-max: Cilium's default; no Helm value in the scenario sets it. */
export const FRAG_MAP_MAX = 8192;

export interface ClusterConfigOptions {
  /** Overrides cilium.loadBalancer.mode (the scenario stays as loaded). */
  mode?: LbMode;
  responder: Responder;
  /** Test-only planted datapath faults (DATAPATH_FAULTS bits, src/datapath/faults.ts). */
  faults?: number;
}

/** The load-balancer mode in force: the override, else the scenario's. */
export function effectiveMode(scenario: Scenario, mode?: LbMode): LbMode {
  return mode ?? scenario.cilium.loadBalancer.mode;
}

/**
 * Builds the Cluster configuration for `scenario`. The profile's version switches become the C
 * profile: "recent main" behaviour (DSR era, ICMP quoting) from RECENT_MAIN on, the option byte
 * order, per-service forwarding mode, the SNAT clamp and retries, and the Maglev hash variant
 * (profile.maglev: service port high → current, else the pre-#37353 one).
 */
export function clusterConfig(scenario: Scenario, opts: ClusterConfigOptions): NativeClusterConfig {
  const c = scenario.cilium;
  const p = scenario.profile;
  const mode = effectiveMode(scenario, opts.mode);
  const rejectNoBackend = p.features.serviceNoBackendResponse ? c.serviceNoBackendResponse === 'reject' : p.noBackend.defaultResponse === 'reject';
  return {
    mode: MODE_NUMBER[mode],
    dispatch: DISPATCH_NUMBER[c.loadBalancer.dsrDispatch],
    accel: ACCEL_NUMBER[c.loadBalancer.acceleration],
    rejectNoBackend,
    pmtuDiscovery: c.pmtuDiscovery.enabled,
    externalClusterIP: c.bpf.lbExternalClusterIP,
    natPortMin: c.derived.snatPortMin,
    natPortMax: c.derived.snatPortMax,
    profile: {
      era: atLeast(p.version, RECENT_MAIN) ? 1 : 0,
      optOrder: p.dsr.ipv4OptionByteOrder === 'network' ? 1 : 0,
      perServiceFwdMode: p.dsr.decision === 'per-service-flag',
      snatClampClosed: p.snat.portClamp === 'scaled',
      snatRetries: p.snat.collisionRetries,
      maglevHash: p.maglev.highPort === 'service' ? 0 : 1,
      icmpToVipDrop: p.lb.icmpToServiceAddress === 'drop',
      ipv6FragTracking: p.dsr.ipv6Fragments === 'supported',
    },
    ct: {
      syn: p.conntrack.synTimeout,
      tcp: p.conntrack.tcpTimeout,
      close: p.conntrack.closeTimeout,
      any: p.conntrack.anyTimeout,
      serviceTcp: p.conntrack.serviceTcpTimeout,
      serviceAny: p.conntrack.serviceAnyTimeout,
      rebalance: p.conntrack.serviceCloseRebalance,
    },
    lb: {
      maxServices: c.bpf.lbMapMax,
      maglevM: c.maglev.tableSize,
      seedJhash0: c.maglev.seedJhash0,
      seedJhash1: c.maglev.seedJhash1,
      defaultAlgorithm: ALGORITHM_NUMBER[c.loadBalancer.algorithm],
    },
    ctTcpMax: c.bpf.ctTcpMax,
    ctAnyMax: c.bpf.ctAnyMax,
    natMax: c.bpf.natMax,
    fragMax: c.bpf.fragmentsMapMax,
    seed: scenario.seed >>> 0,
    responder: RESPONDER_NUMBER[opts.responder],
    ...(opts.faults ? { faults: opts.faults } : {}),
  };
}
