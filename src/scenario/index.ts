/**
 * index.ts: the scenario module's public surface (loading, validation, the model, version
 * profiles, address helpers). Implementation lives in the files re-exported here.
 */

export { loadScenario, parseScenario, scenarioFromObject } from './load.js';
export { formatScenario, scenarioToObject, serviceToObject, endpointSliceToObject } from './format.js';
export {
  CILIUM_VERSIONS,
  DEFAULT_CILIUM_VERSION,
  RECENT_MAIN,
  SWITCHES,
  atLeast,
  hasSwitched,
  isCiliumVersion,
  profileFor,
} from './profile.js';
export type { CiliumVersion, Profile, SwitchName, VersionSwitch } from './profile.js';
export {
  AUTO_MTU,
  CLUSTER_NAME_MAX,
  CLUSTER_NAME_RE,
  DEFAULT_MAGLEV_HASH_SEED,
  MAGLEV_TABLE_SIZES,
  MTU_MAX,
  MTU_MIN_V4,
  MTU_MIN_V6,
  RESERVED_HOST_NAMES,
} from './validate.js';
export { ANNOTATIONS, REMOTE_CLUSTER_ANNOTATION, SERVICE_CIDR_V4, SERVICE_CIDR_V6, SERVICE_NAME_LABEL, podNameForAddress } from './objects.js';
export {
  formatIPv4,
  formatIPv6,
  ipBytes,
  ipFamily,
  ipv4ToUint32,
  macBytes,
  macFromName,
  normaliseIp,
  parseCidr,
  parseIp,
  parseMac,
} from './addr.js';
export type { IpFamily, ParsedCidr, ParsedIp } from './addr.js';
export type * from './types.js';
