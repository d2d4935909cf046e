/**
 * kubespray.ts: reads a Kubespray (or Kubean) variables file — `cilium_*` variables and the
 * free-form `cilium_config_extra_vars` that go into the cilium-config ConfigMap — into a
 * CheckSubject with Cilium's settings, recording which variable set what, which values are wrong
 * and which variables dsrlab does not understand. The rules that judge the result are in
 * requirements.ts; the seed document's feature list in seed-features.ts.
 *
 * Which variables exist is taken from Kubespray itself (roles/network_plugin/cilium/defaults/
 * main.yml, templates/cilium/config.yml.j2 and values.yaml.j2, docs/CNI/cilium.md): Kubespray
 * has no variable for Maglev, DSR dispatch, XDP, socket-LB bypass, topology hints, PMTU
 * discovery or the egress gateway (the seed document's point); those go through
 * `cilium_config_extra_vars` (agent flags) or Helm values. Newer Kubespray has
 * `cilium_loadbalancer_mode`; no Kubespray has `cilium_routing_mode`.
 */

import { readFile } from 'node:fs/promises';

import { InputError } from '../errors.js';
import { DEFAULT_CILIUM_VERSION, CILIUM_VERSIONS, MAGLEV_TABLE_SIZES, isCiliumVersion, parseCidr, profileFor } from '../scenario/index.js';
import type { CiliumVersion } from '../scenario/index.js';
import { LIMIT_TABLE_MAX, LIMIT_TABLE_MIN, MTU_MAX, MTU_MIN_V4 } from '../scenario/validate.js';
import { parseYamlDocuments } from '../scenario/yamltree.js';
import type { YMap, YNode } from '../scenario/yamltree.js';
import type { CheckCilium, CheckSubject, Finding, OtherSettings, ValueSource } from './model.js';
import { defaultCilium } from './model.js';
import { SETTINGS, settingDef } from './settings.js';

/** A variable dsrlab read. */
export interface UnderstoodVariable {
  variable: string;
  value: string;
  line?: number;
  /** The Helm keys it sets (empty: understood, but no bearing on what dsrlab checks). */
  sets: string[];
  note?: string;
}

/** A variable dsrlab does not know. */
export interface UnknownVariable {
  variable: string;
  value: string;
  line?: number;
  hint: string;
}

export interface KubesprayRead {
  subject: CheckSubject;
  understood: UnderstoodVariable[];
  notUnderstood: UnknownVariable[];
  /** Problems with single values (wrong type, not allowed, templated, conflicting). */
  findings: Finding[];
  /** How the Cilium version was chosen. */
  versionNote: string;
}

const EXTRA = 'cilium_config_extra_vars';

// ---------------------------------------------------------------------------------------------
// Values: Ansible variables are loosely typed ("true", true, "1500", 1500).

type Scalar = string | number | boolean | null;
type Parsed<T> = { ok: T } | { error: string };

function str(v: Scalar): string {
  return v === null ? '' : String(v);
}

function asBool(v: Scalar): Parsed<boolean> {
  if (typeof v === 'boolean') return { ok: v };
  const t = str(v).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return { ok: true };
  if (['false', 'no', 'off', '0'].includes(t)) return { ok: false };
  return { error: `expected true or false, got ${JSON.stringify(v)}` };
}

function asEnum<T extends string>(allowed: readonly T[]) {
  return (v: Scalar): Parsed<T> => {
    const t = str(v).trim();
    return (allowed as readonly string[]).includes(t) ? { ok: t as T } : { error: `${JSON.stringify(v)} is not allowed: allowed values are ${allowed.join(', ')}` };
  };
}

function asInt(min: number, max: number, what?: string) {
  return (v: Scalar): Parsed<number> => {
    const t = str(v).trim();
    if (!/^-?\d+$/.test(t)) return { error: `expected an integer, got ${JSON.stringify(v)}` };
    const n = Number(t);
    return n < min || n > max ? { error: `${n} is out of range: ${what ?? `must be ${min}..${max}`}` } : { ok: n };
  };
}

function asString(v: Scalar): Parsed<string> {
  return { ok: str(v).trim() };
}

function asCidr(family: 4 | 6) {
  return (v: Scalar): Parsed<string> => {
    const t = str(v).trim();
    if (t === '') return { ok: '' };
    const p = parseCidr(t);
    if (!p) return { error: `${JSON.stringify(t)} is not a CIDR (address/prefix, host bits zero)` };
    if (p.family !== family) return { error: `${t} is an IPv${p.family} CIDR; this takes IPv${family}` };
    return { ok: p.text };
  };
}

function asSeed(v: Scalar): Parsed<string> {
  const t = str(v).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return { error: `${JSON.stringify(t)} is not standard base64: Cilium needs base64 of exactly 12 bytes (head -c12 /dev/urandom | base64 -w0)` };
  const b = Buffer.from(t, 'base64');
  if (b.length !== 12) return { error: `${JSON.stringify(t)} decodes to ${b.length} bytes: Cilium needs base64 of exactly 12 bytes (16 characters)` };
  return { ok: b.toString('base64') };
}

function asTableSize(v: Scalar): Parsed<number> {
  const n = asInt(0, Number.MAX_SAFE_INTEGER)(v);
  if ('error' in n) return n;
  return (MAGLEV_TABLE_SIZES as readonly number[]).includes(n.ok) ? n : { error: `${n.ok} is not one of Cilium's Maglev table sizes (primes): allowed values are ${MAGLEV_TABLE_SIZES.join(', ')}` };
}

function asPortRange(v: Scalar): Parsed<[number, number]> {
  const m = /^\s*(\d{1,5})\s*[,-]\s*(\d{1,5})\s*$/.exec(str(v));
  if (!m) return { error: `${JSON.stringify(v)} is not a port range: write "min,max" (e.g. "30000,32767")` };
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min > 65535 || max > 65535 || min >= max) return { error: `${JSON.stringify(v)}: ports 0..65535, min smaller than max` };
  return { ok: [min, max] };
}

/** MTU: 0 is auto-detect (dsrlab's devices: 1500). */
function asMtu(v: Scalar): Parsed<number> {
  const n = asInt(0, MTU_MAX, `must be 0 (auto) or ${MTU_MIN_V4}..${MTU_MAX}`)(v);
  if ('error' in n) return n;
  if (n.ok === 0) return { ok: 1500 };
  return n.ok < MTU_MIN_V4 ? { error: `${n.ok} is out of range: must be 0 (auto) or ${MTU_MIN_V4}..${MTU_MAX}` } : n;
}

/** kube-proxy-replacement: true/false, and the pre-1.15 strings. */
function asKpr(v: Scalar): Parsed<boolean> & { note?: string } {
  const t = str(v).trim().toLowerCase();
  if (t === 'strict') return { ok: true, note: '"strict" is the pre-1.16 spelling of true (Kubespray turns it into true for Cilium 1.16+)' };
  if (t === 'disabled') return { ok: false, note: '"disabled" is the pre-1.15 spelling of false' };
  if (t === 'partial' || t === 'probe') return { error: `${JSON.stringify(t)} was removed in Cilium 1.15 (dsrlab knows 1.15..1.19): allowed values are true and false` };
  return asBool(v);
}

// ---------------------------------------------------------------------------------------------
// The draft configuration and how each Helm key is set.

interface Draft {
  version: CiliumVersion;
  cilium: CheckCilium;
  other: OtherSettings;
  cluster: { name: string; id: number };
  sources: Map<string, ValueSource>;
  /** Values as parsed, before the derived ones are worked out. */
  nodePortRange?: [number, number];
  natSet: boolean;
  neighSet: boolean;
  socketSet: boolean;
  hostNsAsked: boolean;
}

type Setter = { parse: (v: Scalar) => Parsed<unknown>; apply: (d: Draft, v: any) => void };

const bool = (apply: (d: Draft, v: boolean) => void): Setter => ({ parse: asBool, apply });
const mapSize = (apply: (d: Draft, v: number) => void): Setter => ({
  parse: asInt(LIMIT_TABLE_MIN, LIMIT_TABLE_MAX, `must be ${LIMIT_TABLE_MIN}..${LIMIT_TABLE_MAX} (Cilium's LimitTableMin..LimitTableMax)`),
  apply,
});

/** How each Helm key is parsed and applied. */
const SETTERS: Record<string, Setter> = {
  kubeProxyReplacement: { parse: asKpr, apply: (d, v) => (d.cilium.kubeProxyReplacement = v) },
  'ipv4.enabled': bool((d, v) => (d.cilium.ipv4.enabled = v)),
  'ipv6.enabled': bool((d, v) => (d.cilium.ipv6.enabled = v)),
  'cluster.name': { parse: asString, apply: (d, v) => (d.cluster.name = v) },
  // Any integer: the cluster rule names the allowed range.
  'cluster.id': { parse: asInt(-1e9, 1e9), apply: (d, v) => (d.cluster.id = v) },
  'loadBalancer.mode': { parse: asEnum(['snat', 'dsr', 'hybrid'] as const), apply: (d, v) => (d.cilium.loadBalancer.mode = v) },
  'loadBalancer.algorithm': { parse: asEnum(['random', 'maglev'] as const), apply: (d, v) => (d.cilium.loadBalancer.algorithm = v) },
  serviceNoBackendResponse: { parse: asEnum(['reject', 'drop'] as const), apply: (d, v) => (d.cilium.serviceNoBackendResponse = v) },
  'bpf.lbExternalClusterIP': bool((d, v) => (d.cilium.bpf.lbExternalClusterIP = v)),
  'loadBalancer.serviceTopology': bool((d, v) => (d.cilium.loadBalancer.serviceTopology = v)),
  'bpf.lbModeAnnotation': bool((d, v) => (d.cilium.bpf.lbModeAnnotation = v)),
  'bpf.lbAlgorithmAnnotation': bool((d, v) => (d.cilium.bpf.lbAlgorithmAnnotation = v)),
  'bpf.lbSourceRangeAllTypes': bool((d, v) => (d.cilium.bpf.lbSourceRangeAllTypes = v)),
  'bpf.disableExternalIPMitigation': bool((d, v) => (d.cilium.bpf.disableExternalIPMitigation = v)),
  'loadBalancer.dsrDispatch': { parse: asEnum(['opt', 'ipip', 'geneve'] as const), apply: (d, v) => (d.cilium.loadBalancer.dsrDispatch = v) },
  'maglev.tableSize': { parse: asTableSize, apply: (d, v) => (d.cilium.maglev.tableSize = v) },
  'maglev.hashSeed': { parse: asSeed, apply: (d, v) => (d.cilium.maglev.hashSeed = v) },
  routingMode: { parse: asEnum(['native', 'tunnel'] as const), apply: (d, v) => (d.cilium.routingMode = v) },
  tunnelProtocol: { parse: asEnum(['vxlan', 'geneve'] as const), apply: (d, v) => (d.cilium.tunnelProtocol = v) },
  autoDirectNodeRoutes: bool((d, v) => (d.cilium.autoDirectNodeRoutes = v)),
  'bpf.masquerade': bool((d, v) => (d.cilium.bpf.masquerade = v)),
  ipv4NativeRoutingCIDR: { parse: asCidr(4), apply: (d, v) => (d.other.ipv4NativeRoutingCIDR = v) },
  ipv6NativeRoutingCIDR: { parse: asCidr(6), apply: (d, v) => (d.other.ipv6NativeRoutingCIDR = v) },
  enableIPv4Masquerade: bool((d, v) => (d.other.enableIPv4Masquerade = v)),
  enableIPv6Masquerade: bool((d, v) => (d.other.enableIPv6Masquerade = v)),
  'ipMasqAgent.enabled': bool((d, v) => (d.other.ipMasqAgent = v)),
  'loadBalancer.acceleration': { parse: asEnum(['disabled', 'native', 'best-effort'] as const), apply: (d, v) => (d.cilium.loadBalancer.acceleration = v) },
  'socketLB.enabled': bool((d, v) => {
    d.cilium.socketLB.enabled = v;
    d.socketSet = true;
  }),
  'socketLB.hostNamespaceOnly': bool((d, v) => (d.hostNsAsked = v)),
  'nodePort.range': { parse: asPortRange, apply: (d, v) => (d.nodePortRange = v) },
  MTU: { parse: asMtu, apply: (d, v) => (d.cilium.MTU = v) },
  'pmtuDiscovery.enabled': bool((d, v) => (d.cilium.pmtuDiscovery.enabled = v)),
  'bpf.ctTcpMax': mapSize((d, v) => (d.cilium.bpf.ctTcpMax = v)),
  'bpf.ctAnyMax': mapSize((d, v) => (d.cilium.bpf.ctAnyMax = v)),
  'bpf.natMax': mapSize((d, v) => {
    d.cilium.bpf.natMax = v;
    d.natSet = true;
  }),
  'bpf.neighMax': mapSize((d, v) => {
    d.cilium.bpf.neighMax = v;
    d.neighSet = true;
  }),
  'bpf.lbMapMax': { parse: asInt(1, LIMIT_TABLE_MAX), apply: (d, v) => (d.cilium.bpf.lbMapMax = v) },
  'ipam.mode': { parse: asString, apply: (d, v) => (d.other.ipamMode = v) },
  identityAllocationMode: { parse: asEnum(['crd', 'kvstore', 'doublewrite-readkvstore', 'doublewrite-readcrd'] as const), apply: (d, v) => (d.other.identityAllocationMode = v) },
  'egressGateway.enabled': bool((d, v) => (d.other.egressGateway = v)),
  l7Proxy: bool((d, v) => (d.other.l7Proxy = v)),
  'bandwidthManager.enabled': bool((d, v) => (d.other.bandwidthManager = v)),
  'bandwidthManager.bbr': bool((d, v) => (d.other.bbr = v)),
  'hubble.enabled': bool((d, v) => (d.other.hubble = v)),
  'nodePort.enabled': bool((d, v) => (d.other.nodePortEnabled = v)),
  'arping-refresh-period': { parse: asString, apply: (d, v) => (d.other.arpingRefreshPeriod = v) },
  'enable-session-affinity': bool((d, v) => (d.other.sessionAffinity = v)),
};

/**
 * Kubespray's variables that dsrlab maps, each to the Helm keys it sets. cilium_tunnel_mode
 * sets two (routing mode and tunnel protocol) and is handled apart.
 */
const KUBESPRAY_VARS: Record<string, string> = Object.fromEntries(
  SETTINGS.filter((d) => d.kubespray && d.kubespray !== 'cilium_tunnel_mode' && d.key !== 'version').map((d) => [d.kubespray!, d.key]),
);
// Kubespray's docs spell the BBR switch cilium_enable_bbr; defaults/main.yml cilium_enable_bandwidth_manager_bbr.
KUBESPRAY_VARS['cilium_enable_bbr'] = 'bandwidthManager.bbr';

/** Agent flags (cilium-config keys) → Helm key, plus aliases older releases use. */
const FLAGS: Record<string, string> = Object.fromEntries(SETTINGS.filter((d) => d.flag).map((d) => [d.flag!, d.key]));
FLAGS['enable-egress-gateway'] = 'egressGateway.enabled';
FLAGS['enable-ipv4-egress-gateway'] = 'egressGateway.enabled';

/** Kubespray variables dsrlab knows that set nothing it checks (roles/network_plugin/cilium/defaults and download.yml). */
const KNOWN_OTHER: Record<string, string> = {
  cilium_l2announcements: 'L2 announcements: one node answers ARP for each LoadBalancer IP, so all traffic for that IP enters there (a scenario says so with frontends: {node: …})',
  cilium_loadbalancer_ip_pools: 'LB IPAM pools: where LoadBalancer IPs come from',
  cilium_enable_host_legacy_routing: 'bpf.hostLegacyRouting: routing through the host stack instead of BPF',
  cilium_enable_bgp_control_plane: 'BGP control plane: can advertise pod CIDRs and Service IPs (an alternative to autoDirectNodeRoutes)',
  cilium_deploy_additionally: 'Cilium next to another CNI (e.g. only for kube-proxy replacement)',
};
const KNOWN_IRRELEVANT = new Set(
  `cilium_min_version_required cilium_remove_old_resources cilium_debug cilium_agent_health_port cilium_privileged cilium_cert_dir
  cilium_memory_limit cilium_cpu_limit cilium_memory_requests cilium_cpu_requests cilium_enable_prometheus cilium_enable_portmap
  cilium_monitor_aggregation cilium_dns_proxy_enable_transparent_mode cilium_preallocate_bpf_maps cilium_encryption_enabled
  cilium_encryption_type cilium_encryption_node_encryption cilium_wireguard_userspace_fallback cilium_ipsec_key cilium_ipsec_enabled
  cilium_ipsec_node_encryption cilium_non_masquerade_cidrs cilium_masq_link_local cilium_masq_link_local_ipv6
  cilium_ip_masq_resync_interval cilium_enable_hubble_ui cilium_enable_hubble_metrics cilium_hubble_metrics cilium_hubble_install
  cilium_hubble_tls_generate cilium_hubble_export_file_max_backups cilium_hubble_export_file_max_size_mb
  cilium_hubble_export_dynamic_enabled cilium_hubble_export_dynamic_config_content cilium_hubble_peer_service_cluster_domain
  cilium_hubble_event_buffer_capacity cilium_hubble_event_queue_size cilium_gateway_api_enabled cilium_pool_cidr
  cilium_pool_cidr_ipv6 cilium_pool_mask_size cilium_pool_mask_size_ipv6 cilium_agent_custom_args cilium_agent_extra_args
  cilium_agent_extra_volumes cilium_agent_extra_volume_mounts cilium_agent_extra_env_vars cilium_operator_replicas
  cilium_operator_api_serve_addr cilium_operator_extra_volumes cilium_operator_extra_volume_mounts cilium_operator_custom_args
  cilium_operator_extra_args cilium_operator_tolerations cilium_cni_exclusive cilium_cni_log_file cilium_cgroup_auto_mount
  cilium_cgroup_host_root cilium_bpf_map_dynamic_size_ratio cilium_enable_remote_node_identity
  cilium_enable_well_known_identities cilium_monitor_aggregation_flags cilium_enable_bpf_clock_probe cilium_bgp_cluster_configs
  cilium_bgp_peer_configs cilium_bgp_advertisements cilium_bgp_node_config_overrides cilium_bgp_peering_policies
  cilium_disable_cnp_status_updates cilium_rolling_restart_wait_retries_count cilium_rolling_restart_wait_retries_delay_seconds
  cilium_agent_scrape_port cilium_operator_scrape_port cilium_hubble_scrape_port cilium_certgen_args cilium_enable_host_firewall
  cilium_policy_audit_mode cilium_install_extra_flags cilium_extra_values cilium_cli_version cilium_image_repo cilium_image_tag
  cilium_operator_image_repo cilium_operator_image_tag cilium_hubble_relay_image_repo cilium_hubble_relay_image_tag
  cilium_hubble_ui_image_repo cilium_hubble_ui_image_tag cilium_hubble_ui_backend_image_repo cilium_hubble_ui_backend_image_tag
  cilium_hubble_certgen_image_repo cilium_hubble_certgen_image_tag cilium_hubble_envoy_image_repo cilium_hubble_envoy_image_tag
  cilium_certgen_image_repo cilium_certgen_image_tag cilium_envoy_image_repo cilium_envoy_image_tag cilium_enable_legacy_services
  cilium_tofqdns_enable_poller`.split(/\s+/).filter(Boolean),
);

/** Hints for cilium_* names Kubespray does not have but users reach for. */
const GUESSES: [RegExp, string][] = [
  [/routing_mode/, 'Kubespray has no cilium_routing_mode, so this changes nothing: native routing is cilium_tunnel_mode: disabled (or cilium_config_extra_vars: {routing-mode: native})'],
  [/maglev|algorithm/, 'Kubespray has no Maglev variable: use cilium_config_extra_vars: {bpf-lb-algorithm: maglev} (Helm: --set loadBalancer.algorithm=maglev)'],
  [/dispatch/, 'Kubespray has no DSR dispatch variable: use cilium_config_extra_vars: {bpf-lb-dsr-dispatch: opt|ipip|geneve}'],
  [/dsr|lb_mode|hybrid/, 'the Kubespray variable is cilium_loadbalancer_mode (newer releases), or cilium_config_extra_vars: {bpf-lb-mode: dsr}'],
  [/xdp|accelerat/, 'Kubespray has no XDP variable: use cilium_config_extra_vars: {bpf-lb-acceleration: native} (Helm: --set loadBalancer.acceleration=native)'],
  [/topolog/, 'Kubespray has no topology variable: use cilium_config_extra_vars: {enable-service-topology: "true"} (Helm: --set loadBalancer.serviceTopology=true)'],
  [/hostns|socket|sock_lb/, 'Kubespray has no socket-LB variable: use cilium_config_extra_vars: {bpf-lb-sock-hostns-only: "true"} (Helm: --set socketLB.hostNamespaceOnly=true)'],
  [/egress/, 'Kubespray has no egress-gateway variable: use cilium_config_extra_vars (enable-ipv4-egress-gateway, enable-bpf-masquerade, enable-l7-proxy: "false")'],
  [/pmtu|mtu_discovery/, 'Kubespray has no PMTU variable: use cilium_config_extra_vars: {enable-pmtu-discovery: "true"}'],
  [/external_cluster|clusterip/, 'use cilium_config_extra_vars: {bpf-lb-external-clusterip: "true"} (Helm: --set bpf.lbExternalClusterIP=true)'],
  [/affinity/, 'session affinity comes with cilium_kube_proxy_replacement: true'],
];

function hintFor(variable: string): string {
  for (const [re, hint] of GUESSES) if (re.test(variable)) return hint;
  return "not a variable of Kubespray's Cilium role: Kubespray ignores it";
}

/** How a Helm key is set in a Kubespray file. */
function kubesprayHowTo(key: string, value: string): string {
  if (key === 'routingMode') return value === 'native' ? 'cilium_tunnel_mode: disabled' : 'cilium_tunnel_mode: vxlan (or geneve)';
  if (key === 'tunnelProtocol') return `cilium_tunnel_mode: ${value}`;
  const d = settingDef(key);
  if (d?.kubespray && d.kubespray !== 'cilium_version') return `${d.kubespray}: ${value}`;
  const flag = d?.flag ?? key;
  const q = /^(true|false|\d+)$/.test(value) ? `"${value}"` : value;
  const helm = d && !d.key.includes('-') ? ` (Helm: --set ${d.key}=${value})` : '';
  return `${EXTRA}: {${flag}: ${q}}${helm}`;
}

function kubesprayName(sources: Map<string, ValueSource>, key: string): string {
  const src = sources.get(key);
  if (src) return src.name;
  const d = settingDef(key);
  if (d?.kubespray) return d.kubespray;
  // Not set, and Kubespray has no variable for it: the cilium-config key (howTo says where it goes).
  return d?.flag ?? key;
}

// ---------------------------------------------------------------------------------------------
// Reading

function scalarOf(n: YNode): Scalar | undefined {
  return n.kind === 'scalar' ? n.value : undefined;
}

function templated(v: Scalar): boolean {
  return typeof v === 'string' && /\{\{|\{%/.test(v);
}

/**
 * The variables map: the file's top level (a group_vars file), or the `group_vars.yml` text of
 * a Kubean vars ConfigMap (data: {group_vars.yml: "…"}), also when the ConfigMap is one
 * document of a multi-document Kubean manifest (hosts ConfigMap, vars ConfigMap, Cluster).
 */
function variablesOf(text: string, file: string): { vars: YMap; label: string } {
  const docs = parseYamlDocuments(text, file, () => '');
  if (!docs.length) return { vars: { kind: 'map', file, path: '', entries: new Map() }, label: file };
  const kindOf = (m: YMap): unknown => {
    const k = m.entries.get('kind')?.value;
    return k?.kind === 'scalar' ? k.value : undefined;
  };
  const first = docs[0]!.node;
  if (docs.length === 1 && first.kind === 'map' && kindOf(first) === undefined) return { vars: first, label: file };
  for (const { node } of docs) {
    if (node.kind !== 'map' || kindOf(node) !== 'ConfigMap') continue;
    const data = node.entries.get('data')?.value;
    if (data?.kind !== 'map') continue;
    // group_vars.yml first; a hosts ConfigMap's hosts.yml is an inventory (all: …), not variables.
    const keys = [...data.entries.keys()].filter((k) => /\.ya?ml$/.test(k)).sort((a, b) => Number(b === 'group_vars.yml') - Number(a === 'group_vars.yml'));
    for (const k of keys) {
      const v = data.entries.get(k)!.value;
      if (v.kind !== 'scalar' || typeof v.value !== 'string') continue;
      const label = `${file} (data.${k})`;
      const inner = parseYamlDocuments(v.value, label, () => '')[0]?.node;
      if (inner?.kind === 'map' && !inner.entries.has('all')) return { vars: inner, label };
    }
  }
  if (first.kind === 'map' && kindOf(first) === undefined) return { vars: first, label: file };
  throw new InputError({ file }, 'expected a mapping of Kubespray variables (cilium_version: …, cilium_config_extra_vars: {…}), or a Kubean ConfigMap whose data.group_vars.yml holds them');
}

function readVersion(vars: YMap, findings: Finding[]): { version: CiliumVersion; note: string; line?: number; raw?: string } {
  const e = vars.entries.get('cilium_version');
  if (!e) return { version: DEFAULT_CILIUM_VERSION, note: `cilium_version not set: Kubespray's default depends on its release (1.17.3 in v2.28.0); dsrlab assumes ${DEFAULT_CILIUM_VERSION}` };
  const v = scalarOf(e.value);
  const raw = str(v ?? '');
  const line = e.value.pos?.line;
  if (v === undefined || templated(v ?? null)) {
    findings.push({ level: 'warning', setting: 'cilium_version', message: `cilium_version: ${raw || '(not a scalar)'} cannot be evaluated by dsrlab: assuming ${DEFAULT_CILIUM_VERSION}` });
    return { version: DEFAULT_CILIUM_VERSION, note: `assumed ${DEFAULT_CILIUM_VERSION}`, line, raw };
  }
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(raw.trim());
  if (!m) {
    findings.push({ level: 'error', setting: 'cilium_version', message: `cilium_version: ${JSON.stringify(raw)} is not a Cilium version (e.g. v1.17.3 or 1.17)` });
    return { version: DEFAULT_CILIUM_VERSION, note: `assumed ${DEFAULT_CILIUM_VERSION}`, line, raw };
  }
  const minor = `${Number(m[1])}.${Number(m[2])}`;
  if (isCiliumVersion(minor)) return { version: minor, note: `cilium_version: ${raw} → profile ${minor}`, line, raw };
  const newest = CILIUM_VERSIONS[CILIUM_VERSIONS.length - 1]!;
  if (Number(m[1]) === 1 && Number(m[2]) > Number(newest.split('.')[1])) {
    findings.push({ level: 'warning', setting: 'cilium_version', message: `cilium_version: ${raw} is newer than dsrlab knows (${CILIUM_VERSIONS.join(', ')}): checking with ${newest}'s behaviour` });
    return { version: newest, note: `cilium_version: ${raw} → profile ${newest} (the newest dsrlab knows)`, line, raw };
  }
  findings.push({ level: 'error', setting: 'cilium_version', message: `cilium_version: ${raw} is older than Cilium 1.15: Kubespray requires 1.15 or newer (cilium_min_version_required), and dsrlab knows ${CILIUM_VERSIONS.join(', ')}` });
  return { version: CILIUM_VERSIONS[0], note: `cilium_version: ${raw} → checked as ${CILIUM_VERSIONS[0]}`, line, raw };
}

/**
 * Reads Kubespray variables from YAML text. Throws InputError only for a file that is not a
 * mapping of variables (or not YAML); problems with values become findings.
 */
export function kubesprayFromText(text: string, file: string): KubesprayRead {
  const { vars, label } = variablesOf(text, file);
  const findings: Finding[] = [];
  const understood: UnderstoodVariable[] = [];
  const notUnderstood: UnknownVariable[] = [];

  const ver = readVersion(vars, findings);
  const base = defaultCilium(ver.version);
  const d: Draft = {
    version: ver.version,
    cilium: { ...base, kubeProxyReplacement: false },
    // Cilium's (and Kubespray's) defaults for the settings a scenario cannot express.
    other: {
      ipv4NativeRoutingCIDR: '',
      ipv6NativeRoutingCIDR: '',
      enableIPv4Masquerade: true,
      enableIPv6Masquerade: true,
      ipMasqAgent: false,
      ipamMode: 'cluster-pool',
      identityAllocationMode: 'crd',
      egressGateway: false,
      l7Proxy: true,
      bandwidthManager: false,
      bbr: false,
      hubble: false,
    },
    cluster: { name: 'default', id: 0 },
    sources: new Map(),
    natSet: false,
    neighSet: false,
    socketSet: false,
    hostNsAsked: false,
  };
  if (ver.raw !== undefined) {
    understood.push({ variable: 'cilium_version', value: ver.raw, ...(ver.line ? { line: ver.line } : {}), sets: ['version'] });
    d.sources.set('version', { name: 'cilium_version', raw: ver.raw, ...(ver.line ? { line: ver.line } : {}) });
  }

  const at = (n: YNode): { line?: number } => (n.pos ? { line: n.pos.line } : {});

  /** The parsed value each Helm key got, to spot two variables that disagree. */
  const parsed = new Map<string, string>();

  /**
   * Sets Helm key `key` from variable `name` (value `raw`, shown as `shown`); reports a bad
   * value, or a second variable that contradicts the first. Returns whether it was applied.
   */
  const apply = (key: string, name: string, n: YNode, raw: Scalar, shown = str(raw)): boolean => {
    const setter = SETTERS[key];
    if (!setter) return false;
    if (templated(raw)) {
      findings.push({ level: 'warning', setting: name, message: `${name}: ${str(raw)} is a template dsrlab cannot evaluate: ${key} keeps its default` });
      return false;
    }
    const p = setter.parse(raw);
    if ('error' in p) {
      findings.push({ level: 'error', setting: name, message: `${name}: ${p.error}` });
      return false;
    }
    const prev = d.sources.get(key);
    const value = JSON.stringify(p.ok);
    if (prev && prev.name !== name && parsed.get(key) !== value) {
      findings.push({ level: 'warning', setting: name, message: `${name}: ${shown} contradicts ${prev.name}: ${prev.raw} (both set ${key}): the ConfigMap would carry the key twice; dsrlab takes ${name.startsWith(EXTRA) ? 'the extra var, which is written last' : 'the later one'}. Set it in one place` });
    }
    setter.apply(d, p.ok);
    parsed.set(key, value);
    d.sources.set(key, { name, raw: shown, ...at(n) });
    return true;
  };

  // Kubespray variables that other defaults follow (ipv4_stack / ipv6_stack; older: enable_dual_stack_networks).
  const plain = (k: string): Scalar | undefined => {
    const e = vars.entries.get(k);
    return e ? scalarOf(e.value) : undefined;
  };
  for (const [k, key] of [['ipv6_stack', 'ipv6.enabled'], ['enable_dual_stack_networks', 'ipv6.enabled'], ['ipv4_stack', 'ipv4.enabled']] as const) {
    const v = plain(k);
    if (v === undefined || v === null || templated(v)) continue;
    const b = asBool(v);
    if ('ok' in b && !vars.entries.has(key === 'ipv6.enabled' ? 'cilium_enable_ipv6' : 'cilium_enable_ipv4')) {
      SETTERS[key]!.apply(d, b.ok);
      d.sources.set(key, { name: k, raw: str(v) });
      understood.push({ variable: k, value: str(v), sets: [key], note: `Kubespray's default for cilium_enable_ipv${key === 'ipv6.enabled' ? 6 : 4}` });
    }
  }
  const pods = plain('kube_pods_subnet');
  const netPlugin = plain('kube_network_plugin');
  if (netPlugin !== undefined && netPlugin !== 'cilium' && plain('cilium_deploy_additionally') !== true) {
    findings.push({ level: 'warning', setting: 'kube_network_plugin', message: `kube_network_plugin: ${str(netPlugin ?? null)}: Kubespray installs Cilium only with kube_network_plugin: cilium (or cilium_deploy_additionally: true)` });
  }

  let extra: YMap | undefined;
  for (const [variable, e] of vars.entries) {
    if (!variable.startsWith('cilium_') || variable === 'cilium_version') continue;
    const n = e.value;
    const raw = scalarOf(n);
    const shown = raw !== undefined ? str(raw) : n.kind === 'seq' ? `[${n.items.length} items]` : '{…}';
    const line = at(n);
    if (variable === EXTRA) {
      if (n.kind === 'map') extra = n;
      else if (!(n.kind === 'scalar' && n.value === null)) findings.push({ level: 'error', setting: EXTRA, message: `${EXTRA} must be a mapping of cilium-config keys to values (e.g. bpf-lb-mode: dsr)` });
      continue;
    }
    if (variable === 'cilium_tunnel_mode') {
      if (raw === undefined || raw === null) continue;
      if (templated(raw)) {
        findings.push({ level: 'warning', setting: variable, message: `${variable}: ${str(raw)} is a template dsrlab cannot evaluate: the tunnel mode keeps Kubespray's default (vxlan)` });
        continue;
      }
      const p = asEnum(['vxlan', 'geneve', 'disabled'] as const)(raw);
      if ('error' in p) {
        findings.push({ level: 'error', setting: variable, message: `${variable}: ${p.error}` });
        continue;
      }
      apply('routingMode', variable, n, p.ok === 'disabled' ? 'native' : 'tunnel', str(raw));
      if (p.ok !== 'disabled') apply('tunnelProtocol', variable, n, p.ok, str(raw));
      understood.push({
        variable, value: str(raw), ...line, sets: p.ok === 'disabled' ? ['routingMode'] : ['routingMode', 'tunnelProtocol'],
        note: 'Kubespray writes it to the legacy `tunnel` key (ConfigMap templates) or to `tunnelProtocol` (Helm values); dsrlab reads `disabled` as native routing, as the seed document and Kubespray\'s defaults do',
      });
      continue;
    }
    const key = KUBESPRAY_VARS[variable];
    if (key) {
      if (raw === undefined) {
        findings.push({ level: 'error', setting: variable, message: `${variable} must be a single value, not a ${n.kind === 'seq' ? 'list' : 'mapping'}` });
        continue;
      }
      const p = key === 'kubeProxyReplacement' ? asKpr(raw) : undefined;
      const ok = apply(key, variable, n, raw);
      understood.push({ variable, value: shown, ...line, sets: ok ? [key] : [], ...(p && 'note' in p && p.note ? { note: p.note } : {}) });
      continue;
    }
    if (variable in KNOWN_OTHER) {
      understood.push({ variable, value: shown, ...line, sets: [], note: KNOWN_OTHER[variable]! });
      continue;
    }
    if (KNOWN_IRRELEVANT.has(variable)) {
      understood.push({ variable, value: shown, ...line, sets: [], note: 'no bearing on the load balancer' });
      continue;
    }
    notUnderstood.push({ variable, value: shown, ...line, hint: hintFor(variable) });
  }

  if (extra) {
    for (const [flag, e] of extra.entries) {
      const n = e.value;
      const raw = scalarOf(n);
      const name = `${EXTRA}.${flag}`;
      const line = at(n);
      if (raw === undefined) {
        findings.push({ level: 'error', setting: name, message: `${name} must be a single value (Kubespray writes it into the ConfigMap as a string)` });
        continue;
      }
      if (flag === 'tunnel') {
        // The legacy agent flag, as the seed document's --set tunnel=disabled.
        const p = asEnum(['vxlan', 'geneve', 'disabled'] as const)(raw);
        if ('error' in p) {
          findings.push({ level: 'error', setting: name, message: `${name}: ${p.error}` });
          continue;
        }
        apply('routingMode', name, n, p.ok === 'disabled' ? 'native' : 'tunnel', str(raw));
        if (p.ok !== 'disabled') apply('tunnelProtocol', name, n, p.ok, str(raw));
        understood.push({ variable: name, value: str(raw), ...line, sets: p.ok === 'disabled' ? ['routingMode'] : ['routingMode', 'tunnelProtocol'], note: 'the legacy flag, removed in Cilium 1.15: routing-mode / tunnel-protocol replace it' });
        continue;
      }
      const key = FLAGS[flag];
      if (!key) {
        notUnderstood.push({ variable: name, value: str(raw), ...line, hint: 'not an agent flag dsrlab knows: Kubespray passes it to the cilium-config ConfigMap as is' });
        continue;
      }
      const ok = apply(key, name, n, raw);
      const p = key === 'kubeProxyReplacement' ? asKpr(raw) : undefined;
      understood.push({ variable: name, value: str(raw), ...line, sets: ok ? [key] : [], ...(p && 'note' in p && p.note ? { note: p.note } : {}) });
    }
  }

  // Values that follow others, as the agent derives them (validate.ts does the same for scenarios).
  const c = d.cilium;
  if (!d.natSet) c.bpf.natMax = Math.floor(((c.bpf.ctTcpMax + c.bpf.ctAnyMax) * 2) / 3);
  if (!d.neighSet) c.bpf.neighMax = c.bpf.natMax;
  if (!d.socketSet) c.socketLB.enabled = c.kubeProxyReplacement;
  c.socketLB.hostNamespaceOnly = c.socketLB.enabled && d.hostNsAsked;
  if (d.nodePortRange) c.nodePort = { range: `${d.nodePortRange[0]},${d.nodePortRange[1]}`, min: d.nodePortRange[0], max: d.nodePortRange[1] };
  if (d.sources.has('serviceNoBackendResponse') && !profileFor(d.version).features.serviceNoBackendResponse && c.serviceNoBackendResponse !== 'drop') {
    const src = d.sources.get('serviceNoBackendResponse')!;
    findings.push({ level: 'error', setting: src.name, message: `${src.name}: ${src.raw} does not exist in Cilium ${d.version}, which drops requests to Services without backends (DROP_NO_SERVICE); it exists from 1.16 on` });
    c.serviceNoBackendResponse = 'drop';
  }
  const usesDsr = c.loadBalancer.mode !== 'snat' || c.bpf.lbModeAnnotation;
  c.derived = { usesDsr, dsrIcmpErrors: usesDsr && c.pmtuDiscovery.enabled, snatPortMin: c.nodePort.max + 1, snatPortMax: profileFor(d.version).snat.portMax };
  const seedRaw = c.maglev.hashSeed;
  const seedBytes = Buffer.from(seedRaw, 'base64');
  c.maglev = { ...c.maglev, seedMurmur: seedBytes.readUInt32BE(0), seedJhash0: seedBytes.readUInt32BE(4), seedJhash1: seedBytes.readUInt32BE(8) };

  const subject = subjectOf(d, label);
  if (pods !== undefined && typeof pods === 'string' && !templated(pods)) {
    // Name the cluster's pod CIDR where a rule asks for a native-routing CIDR.
    const how = subject.howTo;
    subject.howTo = (key, value) => how(key, key === 'ipv4NativeRoutingCIDR' && value.startsWith('<') ? `${pods} (kube_pods_subnet)` : value);
  }
  return { subject, understood, notUnderstood, findings, versionNote: ver.note };
}

function subjectOf(d: Draft, file: string): CheckSubject {
  return {
    origin: 'kubespray',
    file,
    version: d.version,
    profile: profileFor(d.version),
    cilium: d.cilium,
    cluster: d.cluster,
    other: d.other,
    services: [],
    nodes: [],
    sources: d.sources,
    name: (key) => kubesprayName(d.sources, key),
    howTo: kubesprayHowTo,
  };
}

/** Reads a Kubespray/Kubean variables file. Throws InputError when it cannot be read or is not a mapping. */
export async function readKubesprayVars(path: string): Promise<KubesprayRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InputError({ file: path }, `cannot read the variables file: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message}`);
  }
  return kubesprayFromText(text, path);
}
