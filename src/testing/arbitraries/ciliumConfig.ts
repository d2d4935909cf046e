/**
 * ciliumConfig.ts: the `ciliumConfig` arbitrary: Cilium Helm values for a scenario's `cilium:`
 * key (version, load-balancer mode, DSR dispatch, algorithm, XDP acceleration, MTU,
 * pmtuDiscovery, Maglev table size), valid by construction for the version chosen. The fixing
 * up is _internals/builders.ts's ciliumValues.
 */
import fc from 'fast-check';
import { CILIUM_VERSIONS, DEFAULT_CILIUM_VERSION } from '../../scenario/profile.js';
import { MAGLEV_TABLE_SIZES } from '../../scenario/validate.js';
import type { Acceleration, CiliumVersion, DsrDispatch, LbAlgorithm, LbMode } from '../../scenario/types.js';
import { ciliumValues, type CiliumValues } from './_internals/builders.js';
import { checkNonEmpty, checkRange, FAMILIES, type Family } from './_internals/checks.js';

export type { CiliumValues } from './_internals/builders.js';

/**
 * Constraints of ciliumConfig. Each list is what to pick from; the first entry is what values shrink to.
 * @remarks Since 0.1.0
 * @public
 */
export interface CiliumConfigConstraints {
  /** @defaultValue `['snat', 'dsr', 'hybrid']` */
  modes?: LbMode[];
  /** @defaultValue `['opt', 'ipip', 'geneve']` */
  dispatches?: DsrDispatch[];
  /** @defaultValue `['random', 'maglev']` */
  algorithms?: LbAlgorithm[];
  /** @defaultValue `['disabled', 'native', 'best-effort']` */
  accelerations?: Acceleration[];
  /** @defaultValue `[1500, 1400, 9000]` (IPv6 clusters get at least 1280) */
  mtus?: number[];
  /** @defaultValue the newest first, then every version dsrlab knows */
  versions?: CiliumVersion[];
  /** @defaultValue `[true, false]` */
  pmtuDiscovery?: boolean[];
  /** @defaultValue `[251, 1021]` (small tables build fast; any of Cilium's primes is allowed) */
  tableSizes?: number[];
  /** The families the cluster runs (ipv4.enabled / ipv6.enabled). @defaultValue `['ipv4']` */
  families?: Family[];
}

/** @internal */
export function buildCompleteCiliumConfigConstraints(c: CiliumConfigConstraints): Required<CiliumConfigConstraints> {
  const out: Required<CiliumConfigConstraints> = {
    modes: c.modes ?? ['snat', 'dsr', 'hybrid'],
    dispatches: c.dispatches ?? ['opt', 'ipip', 'geneve'],
    algorithms: c.algorithms ?? ['random', 'maglev'],
    accelerations: c.accelerations ?? ['disabled', 'native', 'best-effort'],
    mtus: c.mtus ?? [1500, 1400, 9000],
    versions: c.versions ?? [DEFAULT_CILIUM_VERSION, ...CILIUM_VERSIONS.filter((v) => v !== DEFAULT_CILIUM_VERSION)],
    pmtuDiscovery: c.pmtuDiscovery ?? [true, false],
    tableSizes: c.tableSizes ?? [251, 1021],
    families: c.families ?? ['ipv4'],
  };
  checkNonEmpty('ciliumConfig', 'modes', out.modes, ['snat', 'dsr', 'hybrid'] as LbMode[]);
  checkNonEmpty('ciliumConfig', 'dispatches', out.dispatches, ['opt', 'ipip', 'geneve'] as DsrDispatch[]);
  checkNonEmpty('ciliumConfig', 'algorithms', out.algorithms, ['random', 'maglev'] as LbAlgorithm[]);
  checkNonEmpty('ciliumConfig', 'accelerations', out.accelerations, ['disabled', 'native', 'best-effort'] as Acceleration[]);
  checkNonEmpty('ciliumConfig', 'versions', out.versions, CILIUM_VERSIONS);
  checkNonEmpty('ciliumConfig', 'pmtuDiscovery', out.pmtuDiscovery);
  checkNonEmpty('ciliumConfig', 'tableSizes', out.tableSizes, MAGLEV_TABLE_SIZES);
  checkNonEmpty('ciliumConfig', 'mtus', out.mtus);
  checkNonEmpty('ciliumConfig', 'families', out.families, FAMILIES);
  for (const m of out.mtus) checkRange('ciliumConfig', 'each of mtus', m, m, 576, 65535);
  return out;
}

/** @internal */
export function ciliumShape(c: Required<CiliumConfigConstraints>) {
  return fc.record({
    version: fc.constantFrom(...c.versions),
    mode: fc.constantFrom(...c.modes),
    dispatch: fc.constantFrom(...c.dispatches),
    algorithm: fc.constantFrom(...c.algorithms),
    acceleration: fc.constantFrom(...c.accelerations),
    tableSize: fc.constantFrom(...c.tableSizes),
    pmtuDiscovery: fc.constantFrom(...c.pmtuDiscovery),
    mtu: fc.constantFrom(...c.mtus),
  });
}

/**
 * For Cilium Helm values (the scenario's `cilium:` key), valid for the version picked.
 * @param constraints - what to pick from for each setting
 * @remarks Since 0.1.0
 * @public
 */
export function ciliumConfig(constraints: CiliumConfigConstraints = {}): fc.Arbitrary<CiliumValues> {
  const c = buildCompleteCiliumConfigConstraints(constraints);
  return ciliumShape(c).map((s) => ciliumValues(s, c.families));
}
