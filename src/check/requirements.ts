/**
 * requirements.ts: one rule per setting (or per concern of the seed document), each saying what
 * the setting requires, what it implies, and what in this configuration breaks the rule
 * (warnings; errors where a Kubespray file asks for something Cilium refuses or ignores). A rule
 * reads a CheckSubject (model.ts) and names settings in the user's vocabulary through it, so the
 * same rule serves a scenario and a Kubespray file. Values are not validated here: a scenario is
 * valid before it gets here (validate.ts), and kubespray.ts checks each variable's value.
 *
 * Sources: "seed" is /work/shared/seed/cilium-features-kubespray-cannot-enable.zh.txt (the
 * section named), "spec" is /work/shared/spec/cilium-datapath.md, maglev.md is the Maglev spec.
 */

import { DEFAULT_MAGLEV_HASH_SEED, MAGLEV_TABLE_SIZES, CLUSTER_NAME_MAX, CLUSTER_NAME_RE, SWITCHES, hasSwitched } from '../scenario/index.js';
import type { Service, ServicePort, SwitchName } from '../scenario/index.js';
import type { CheckSubject, Finding, Level, Requirement } from './model.js';
import { statusOf } from './model.js';
import { settingDef } from './settings.js';
import type { Group } from './settings.js';

/** What a rule says about the subject. */
export interface Outcome {
  value: string;
  requires: string[];
  implies: string[];
  findings: Finding[];
}

export interface Rule {
  /** The setting the rule is about (a Helm key, or a concern such as `Service.spec.sessionAffinity`). */
  setting: string;
  group: Group;
  /** Where the rule comes from. */
  source: string;
  /** Undefined: the rule has nothing to say about this subject. */
  check(s: CheckSubject): Outcome | undefined;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function fmt(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `name: value` as the user wrote it, or with where the default came from when not set. */
export function said(s: CheckSubject, key: string): string {
  const src = s.sources.get(key);
  if (src) return `${src.name}: ${src.raw}`;
  const d = settingDef(key);
  const v = d?.get(s);
  let shown = fmt(v);
  // Kubespray spells routing mode and tunnel protocol as one variable, cilium_tunnel_mode.
  if (s.origin === 'kubespray' && (key === 'routingMode' || key === 'tunnelProtocol')) {
    shown = s.cilium.routingMode === 'native' ? 'disabled' : s.cilium.tunnelProtocol;
  }
  const isDefault = s.origin === 'kubespray' || (d !== undefined && v === d.def(s));
  const who = s.origin === 'kubespray' && d?.kubespray ? "Kubespray's default" : "Cilium's default";
  return `${s.name(key)}: ${shown}${isDefault ? ` (${who})` : ''}`;
}

function finding(level: Level, setting: string, message: string): Finding {
  return { level, setting, message };
}

function outcome(value: unknown, requires: string[], implies: string[], findings: Finding[] = []): Outcome {
  return { value: fmt(value), requires, implies, findings };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function portLabel(svc: Service, p: ServicePort): string {
  return `Service ${svc.key} port ${p.name || p.port}/${p.protocol}`;
}

function* servicePorts(s: CheckSubject): Generator<{ svc: Service; port: ServicePort }> {
  for (const svc of s.services) for (const port of svc.ports) yield { svc, port };
}

/** True when some traffic of the subject is load-balanced with Maglev. */
function maglevInUse(s: CheckSubject): boolean {
  return s.cilium.loadBalancer.algorithm === 'maglev' || s.services.some((v) => v.cilium.lbAlgorithm === 'maglev');
}

/** True when DSR is in force for some traffic: the global mode, or a per-service annotation. */
function dsrInUse(s: CheckSubject): boolean {
  return s.cilium.derived.usesDsr || s.services.some((v) => v.cilium.forwardingMode !== 'snat');
}

interface Overhead {
  family: 4 | 6;
  /** Bytes added to the packets that carry DSR info. */
  bytes: number;
  /** Bytes added to the other packets (Geneve without the option), when different. */
  bytesWithoutInfo?: number;
  what: string;
}

/** DSR overhead per family for the subject's dispatch (spec §4.1 table, §16.5). */
export function dsrOverheads(s: CheckSubject): Overhead[] {
  const out: Overhead[] = [];
  const d = s.cilium.loadBalancer.dsrDispatch;
  const always = s.profile.mtu.geneveOverheadCountsOptionAlways;
  for (const family of [4, 6] as const) {
    if (family === 4 && !s.cilium.ipv4.enabled) continue;
    if (family === 6 && !s.cilium.ipv6.enabled) continue;
    if (d === 'opt') out.push({ family, bytes: family === 4 ? 8 : 24, what: family === 4 ? 'Cilium IPv4 option' : 'IPv6 Destination Options header' });
    else if (d === 'ipip') out.push({ family, bytes: family === 4 ? 20 : 40, what: family === 4 ? 'outer IPv4 header (IPIP)' : 'outer IPv6 header' });
    else {
      const base = family === 4 ? 50 : 70;
      const opt = family === 4 ? 12 : 24;
      const o: Overhead = { family, bytes: base + opt, what: `Geneve: outer IP + UDP + Geneve + inner Ethernet (${base}) + DSR option (${opt})` };
      if (!always) o.bytesWithoutInfo = base;
      out.push(o);
    }
  }
  return out;
}

/** Which packets carry the DSR overhead, for the subject's mode and dispatch (spec §1.5, §3, §6). */
function overheadCarriers(s: CheckSubject): string {
  const { mode, dsrDispatch } = s.cilium.loadBalancer;
  const later = s.profile.dsr.infoWhenNeeded ? ` (Cilium ${s.version} also adds it to the next packets after an LB-node failover or an ICMP frag-needed)` : '';
  if (dsrDispatch === 'opt') {
    return mode === 'hybrid'
      ? `only TCP SYNs, which carry no payload (UDP goes SNAT in hybrid mode)${later}`
      : `TCP SYNs (no payload) and every UDP datagram${later}`;
  }
  return dsrDispatch === 'ipip'
    ? `every packet to a remote backend (${mode === 'hybrid' ? 'TCP only in hybrid mode' : 'TCP and UDP'})`
    : `every packet to a remote backend is encapsulated; the DSR option goes on TCP SYNs and every non-TCP packet${mode === 'hybrid' ? ' (TCP only in hybrid mode)' : ''}`;
}

/**
 * True when full-size data packets (not just SYNs) grow under DSR: with ipip or geneve every
 * packet does; with opt only non-TCP ones (UDP goes SNAT in hybrid mode). A scenario says which
 * Services carry UDP; a Kubespray file cannot, so any DSR-mode UDP is assumed.
 */
function overheadOnData(s: CheckSubject): boolean {
  if (!dsrInUse(s)) return false;
  const { mode, dsrDispatch } = s.cilium.loadBalancer;
  if (dsrDispatch !== 'opt') return true;
  if (s.origin === 'kubespray') return mode === 'dsr';
  return s.services.some((v) => v.cilium.forwardingMode === 'dsr' && v.ports.some((p) => p.protocol !== 'TCP'));
}

/** The smallest prime of Cilium's Maglev sizes above 100·n, if any. */
function maglevSizeFor(n: number): number | undefined {
  return MAGLEV_TABLE_SIZES.find((m) => m > 100 * n);
}

// ---------------------------------------------------------------------------------------------
// Rules, in print order

const SEED_KPR = 'seed: 替换 kube-proxy (kube-proxy replacement)';

const rules: Rule[] = [
  {
    setting: 'version',
    group: 'General',
    source: 'src/scenario/profile.ts (SWITCHES); spec §0',
    check(s) {
      const p = s.profile;
      const newer = (Object.keys(SWITCHES) as SwitchName[]).filter((n) => hasSwitched(s.version, n) && SWITCHES[n].since !== '1.15');
      return outcome(s.version, [], [
        `IPv4 DSR option written in ${p.dsr.ipv4OptionByteOrder === 'network' ? 'network byte order' : 'host byte order (byte-swapped on x86/arm64, the v1.15 quirk)'} (spec §1.2)`,
        `DSR vs SNAT decided ${p.dsr.decision === 'per-service-flag' ? 'per service (SVC_FLAG_FWD_MODE_DSR)' : 'per protocol'} (spec §6)`,
        `no-backend Services: ${p.noBackend.configurable ? `serviceNoBackendResponse (default ${p.noBackend.defaultResponse})` : 'always dropped (DROP_NO_SERVICE)'} (spec §8.5)`,
        `the LB node's ICMP frag-needed comes from ${p.icmpFragNeeded.outerSource === 'service-address' ? 'the service address' : 'the packet\'s current (DNATed) destination'} and quotes ${p.icmpFragNeeded.quote === 'whole-packet' ? 'the original packet' : 'the IP header and the first L4 bytes'} (spec §4.2)`,
        `SNAT port allocation: ${p.snat.collisionRetries} retries, ${p.snat.portClamp} clamp (spec §5.2)`,
        `Maglev hash: ${p.maglev.highPort} port in the high 16 bits (maglev.md §5)`,
        `behaviours newer than 1.15 in force: ${newer.length ? newer.join(', ') : 'none'} (dsrlab's version choices; see the version profile table)`,
      ]);
    },
  },
  {
    setting: 'kubeProxyReplacement',
    group: 'General',
    source: `${SEED_KPR}; Kubespray docs/CNI/cilium.md`,
    check(s) {
      const on = s.cilium.kubeProxyReplacement;
      const findings: Finding[] = [];
      if (!on && !s.other.nodePortEnabled) {
        const c = s.cilium;
        const asked: [string, boolean][] = [
          ['loadBalancer.mode', c.loadBalancer.mode !== 'snat'],
          ['loadBalancer.dsrDispatch', s.sources.has('loadBalancer.dsrDispatch')],
          ['loadBalancer.algorithm', c.loadBalancer.algorithm !== 'random'],
          ['maglev.tableSize', s.sources.has('maglev.tableSize')],
          ['maglev.hashSeed', s.sources.has('maglev.hashSeed')],
          ['loadBalancer.acceleration', c.loadBalancer.acceleration !== 'disabled'],
          ['loadBalancer.serviceTopology', c.loadBalancer.serviceTopology],
          ['bpf.lbExternalClusterIP', c.bpf.lbExternalClusterIP],
        ];
        const set = asked.filter(([, on]) => on).map(([key]) => said(s, key));
        if (set.length) {
          findings.push(finding('error', 'kubeProxyReplacement', `${set.join(', ')} ${set.length === 1 ? 'has' : 'have'} no effect without kube-proxy replacement, and ${said(s, 'kubeProxyReplacement')}: Services stay with kube-proxy. Set ${s.howTo('kubeProxyReplacement', 'true')}`));
        }
      }
      return outcome(on, on
        ? ['the agents reach the kube-apiserver directly (k8sServiceHost/k8sServicePort): without kube-proxy nothing else serves the kubernetes Service (Kubespray docs)']
        : [], on
        ? [
          "Cilium's eBPF datapath load-balances ClusterIP, NodePort, LoadBalancer and external-IP traffic (what dsrlab emulates)",
          ...(s.origin === 'kubespray' ? ['Kubespray skips kubeadm\'s kube-proxy addon; "strict" is turned into true for Cilium 1.16+ (Kubespray docs)'] : []),
        ]
        : ['Services are left to kube-proxy: none of the load-balancer settings below takes effect (unless enable-node-port: true turns on the BPF NodePort datapath)'], findings);
    },
  },
  {
    setting: 'cluster.name / cluster.id',
    group: 'General',
    source: 'seed: Cluster Mesh; Cilium ValidateClusterName (pkg/clustermesh/types); Kubespray roles/network_plugin/cilium/defaults',
    check(s) {
      const { name, id } = s.cluster;
      const findings: Finding[] = [];
      // Hard errors only reach here from a Kubespray file; a scenario was validated already.
      if (name.length === 0 || name.length > CLUSTER_NAME_MAX || !CLUSTER_NAME_RE.test(name)) {
        findings.push(finding('error', 'cluster.name', `${said(s, 'cluster.name')} is not a valid cluster name: Cilium requires at most ${CLUSTER_NAME_MAX} lower case alphanumeric characters and '-', starting and ending with an alphanumeric character${/[A-Z]/.test(name) ? ` (no capitals: ${JSON.stringify(name.toLowerCase())}; the seed document: capitals make the generated domain names invalid)` : ''}`));
      }
      if (!Number.isInteger(id) || id < 0 || id > 255) {
        findings.push(finding('error', 'cluster.id', `${said(s, 'cluster.id')} is out of range: 0 (no Cluster Mesh) or 1..255`));
      }
      if (name === 'default' && id !== 0) {
        findings.push(finding(s.origin === 'kubespray' ? 'error' : 'warning', 'cluster.name',
          `${said(s, 'cluster.name')} with ${said(s, 'cluster.id')}: Cilium refuses the name "default" with a non-zero cluster ID (Kubespray's defaults say the same); give the cluster a unique name: ${s.howTo('cluster.name', '<unique-lowercase-name>')}`));
      }
      const global = s.services.filter((v) => v.cilium.global);
      if (id === 0 && global.length) {
        findings.push(finding('warning', 'cluster.id', `${plural(global.length, 'Service')} (${global.map((v) => v.key).join(', ')}) ${global.length === 1 ? 'is' : 'are'} global (service.cilium.io/global), but ${said(s, 'cluster.id')}: Cluster Mesh needs a cluster ID 1..255`));
      }
      const mesh = id !== 0 || global.length > 0;
      return outcome(`${name} / ${id}`, mesh
        ? [
          `a name unique in the mesh, lower case ([a-z0-9-], at most ${CLUSTER_NAME_MAX}: Cilium's regexp), and an ID 1..255 unique in the mesh (seed)`,
          'the same routing mode (tunnel or native) in every cluster (seed)',
          'node and pod CIDRs that do not overlap between clusters; nodes of all clusters reachable, with the clustermesh ports open (seed)',
          'in native routing: a native-routing CIDR in each cluster covering the pod CIDRs of all clusters (seed)',
        ]
        : [], [
        id === 0 ? 'not in a Cluster Mesh (a mesh needs cluster.id 1..255)' : `cluster ID ${id} is part of every security identity: changing it later needs every pod restarted (seed)`,
        ...(global.length ? [`global Services: ${global.map((v) => `${v.key} (shared ${v.cilium.shared}, affinity ${v.cilium.affinity})`).join(', ')} (spec §12)`] : []),
      ], findings);
    },
  },

  // Load balancer ---------------------------------------------------------------------------
  {
    setting: 'loadBalancer.mode',
    group: 'Load balancer',
    source: 'seed: 直接 SVC 返回 (DSR), 混合 DSR 和 SNAT 模式 (hybrid); spec §6, §15; Cilium "Node Port mode cannot be used with vxlan tunneling"',
    check(s) {
      const c = s.cilium;
      const mode = c.loadBalancer.mode;
      const findings: Finding[] = [];
      const annotated = s.services.filter((v) => v.cilium.forwardingModeFromAnnotation);
      if (c.derived.usesDsr && c.routingMode === 'tunnel') {
        if (c.tunnelProtocol === 'vxlan') {
          findings.push(finding('error', 'loadBalancer.mode', `${said(s, 'loadBalancer.mode')} cannot be used with vxlan tunnelling (${said(s, 'routingMode')}${s.origin === 'scenario' ? `, ${said(s, 'tunnelProtocol')}` : ''}) (Cilium: "Node Port mode cannot be used with vxlan tunneling"). DSR needs native routing: set ${s.howTo('routingMode', 'native')} and ${s.howTo('autoDirectNodeRoutes', 'true')} (seed: --set tunnel=disabled --set autoDirectNodeRoutes=true --set loadBalancer.mode=${mode})`));
        } else if (c.loadBalancer.dsrDispatch !== 'geneve') {
          findings.push(finding('error', 'loadBalancer.dsrDispatch', `${said(s, 'loadBalancer.mode')} in geneve tunnel mode (${said(s, 'routingMode')}) needs ${s.howTo('loadBalancer.dsrDispatch', 'geneve')}, but ${said(s, 'loadBalancer.dsrDispatch')}: dispatch ${c.loadBalancer.dsrDispatch} needs native routing`));
        }
      }
      if (c.derived.usesDsr && c.routingMode === 'native' && !c.autoDirectNodeRoutes) {
        findings.push(finding('warning', 'autoDirectNodeRoutes', `${said(s, 'loadBalancer.mode')} with ${said(s, 'autoDirectNodeRoutes')}: the seed document's DSR setup sets autoDirectNodeRoutes=true; without it every node needs routes to the other nodes' pod CIDRs from elsewhere (BGP, cloud routes), or DSR requests never reach remote backends. Set ${s.howTo('autoDirectNodeRoutes', 'true')} (all nodes on one L2 segment)`));
      }
      const dsrNeeds = [
        c.loadBalancer.dsrDispatch === 'geneve'
          ? 'tunnelProtocol=geneve with dsrDispatch=geneve, or native routing'
          : `native routing: ${s.howTo('routingMode', 'native')} (the seed's --set tunnel=disabled)`,
        `routes between the nodes' pod CIDRs: ${s.howTo('autoDirectNodeRoutes', 'true')} (seed) or BGP/cloud routes`,
        'kube-proxy replacement',
        'cloud source/destination checks off (e.g. AWS): replies leave the backend\'s node with the service address as source (seed, spec §6)',
        'no firewall/iptables rule that drops asymmetric (conntrack INVALID) packets: requests and replies take different paths (seed)',
        'clients that do not use TCP Fast Open: DSR info rides on the SYN (spec §6)',
      ];
      const annotatedLine = annotated.length
        ? [`per-service forwarding mode (service.cilium.io/forwarding-mode): ${annotated.map((v) => `${v.key} → ${v.cilium.forwardingMode}`).join(', ')}`]
        : [];
      if (mode === 'snat') {
        return outcome(mode, annotated.some((v) => v.cilium.forwardingMode === 'dsr') ? dsrNeeds : [], [
          'requests are DNATed to the backend and SNATed to the LB node\'s address: the backend sees the LB node, not the client, and replies return through the LB node (spec §15)',
          'every flow through the LB node holds a conntrack entry and a NAT entry pair (bpf.natMax) and one SNAT port',
          'no MTU change: packets keep their size',
          ...annotatedLine,
        ], findings);
      }
      const common = [
        'the backend sees the client\'s real address; its reply goes from the backend\'s node straight to the client, never back through the LB node (seed, spec §15)',
        'the LB node keeps only a service conntrack entry per flow; the backend\'s node keeps a DSR conntrack entry and a NAT entry for the reply rewrite (spec §1.6)',
        'a backend on the LB node itself gets plain DNAT, no DSR (spec §9.5)',
      ];
      return outcome(mode, dsrNeeds, mode === 'hybrid'
        ? [
          `TCP goes DSR, UDP goes SNAT (decided ${s.profile.dsr.decision === 'per-service-flag' ? 'per service, TCP frontends flagged DSR' : 'per protocol'}): TCP saves a hop, UDP keeps its MTU (seed, spec §6)`,
          ...common,
          ...annotatedLine,
        ]
        : [...common, 'every protocol goes DSR: UDP datagrams carry the DSR info on every packet (spec §1.5)', ...annotatedLine], findings);
    },
  },
  {
    setting: 'serviceNoBackendResponse',
    group: 'Load balancer',
    source: 'spec §8.5, §16.9; profile noBackendReject',
    check(s) {
      const r = s.cilium.serviceNoBackendResponse;
      const findings: Finding[] = [];
      for (const { svc, port } of servicePorts(s)) {
        if (port.backends.length === 0) {
          findings.push(finding('warning', 'serviceNoBackendResponse', `${portLabel(svc, port)} has no backends${port.skipped.length ? ` (${port.skipped.length} endpoints not ready)` : ''}: requests to it are ${r === 'reject' ? 'answered with ICMP port unreachable' : 'dropped (DROP_NO_SERVICE)'}`));
        }
      }
      return outcome(r, [], [
        s.profile.noBackend.configurable ? '' : `Cilium ${s.version} has no service-no-backend-response: such requests are always dropped`,
        r === 'reject'
          ? 'a request to a Service with no usable backend gets ICMP destination unreachable (port unreachable; ICMPv6 rate-limited); connect() through socket LB fails with EHOSTUNREACH'
          : 'a request to a Service with no usable backend is dropped (DROP_NO_SERVICE, 158): clients time out',
      ].filter(Boolean), findings);
    },
  },
  {
    setting: 'bpf.lbExternalClusterIP',
    group: 'Load balancer',
    source: 'seed: clusterIP 对外可访问 (external access to ClusterIP); spec §9.2',
    check(s) {
      const on = s.cilium.bpf.lbExternalClusterIP;
      return outcome(on, on ? ['routes to the service CIDR through the nodes, set up by hand (seed)'] : [], on
        ? ['clients outside the cluster reach ClusterIPs through a node like a NodePort (SNAT, DSR or local delivery as the mode says)']
        : ['a ClusterIP reached from outside the cluster is dropped (DROP_IS_CLUSTER_IP, 174) — Cilium\'s default (seed)']);
    },
  },
  {
    setting: 'bpf.lbModeAnnotation',
    group: 'Load balancer',
    source: 'spec §6; Cilium kube_proxy_replacement.go (annotation mode checks); profile lbModeAnnotation, annotationModeAnyDispatch',
    check(s) {
      const c = s.cilium;
      const on = c.bpf.lbModeAnnotation;
      const findings: Finding[] = [];
      if (on && !s.profile.features.lbModeAnnotation) {
        findings.push(finding('error', 'bpf.lbModeAnnotation', `${said(s, 'bpf.lbModeAnnotation')} does not exist in Cilium ${s.version} (dsrlab takes it to start with 1.16)`));
      }
      if (on && c.loadBalancer.mode === 'hybrid') {
        findings.push(finding('error', 'bpf.lbModeAnnotation', `${said(s, 'bpf.lbModeAnnotation')} with ${said(s, 'loadBalancer.mode')}: hybrid is not supported as the default mode under annotation mode; use snat or dsr`));
      }
      if (on && s.profile.dsr.annotationModeRequiresIpip && c.loadBalancer.dsrDispatch !== 'ipip') {
        findings.push(finding('error', 'bpf.lbModeAnnotation', `Cilium ${s.version} accepts ${said(s, 'bpf.lbModeAnnotation')} only with dsrDispatch ipip, and ${said(s, 'loadBalancer.dsrDispatch')}`));
      }
      const annotated = s.services.filter((v) => v.annotations['service.cilium.io/forwarding-mode'] !== undefined).map((v) => v.key);
      if (!on && !s.sources.has('bpf.lbModeAnnotation') && !annotated.length) return undefined;
      if (!on && annotated.length) {
        findings.push(finding('warning', 'bpf.lbModeAnnotation', `${annotated.join(', ')} ${annotated.length === 1 ? 'carries' : 'carry'} service.cilium.io/forwarding-mode, but ${said(s, 'bpf.lbModeAnnotation')}: Cilium ignores the annotation`));
      }
      return outcome(on, on ? ['Cilium 1.16 or newer', 'DSR prerequisites (native routing or geneve dispatch), since any Service may ask for DSR'] : [], on
        ? ['service.cilium.io/forwarding-mode: dsr|snat chooses per Service, at creation: changing it later breaks existing connections (spec §6)']
        : ['service.cilium.io/forwarding-mode annotations are ignored: every Service uses loadBalancer.mode'], findings);
    },
  },
  {
    setting: 'Service.spec.sessionAffinity',
    group: 'Load balancer',
    source: 'spec §8.4, §11; maglev.md §5; Cilium turns enable-session-affinity on with kube-proxy replacement',
    check(s) {
      const sticky = s.services.filter((v) => v.sessionAffinity === 'ClientIP');
      const findings: Finding[] = [];
      if (s.other.sessionAffinity === false && s.cilium.kubeProxyReplacement) {
        findings.push(finding('warning', 'enable-session-affinity', `${said(s, 'enable-session-affinity')}: Cilium turns session affinity on with kube-proxy replacement anyway; drop the variable`));
      }
      const value = s.origin === 'kubespray'
        ? (s.cilium.kubeProxyReplacement ? 'on (kube-proxy replacement turns it on)' : s.other.sessionAffinity ? 'on (enable-session-affinity)' : 'off')
        : sticky.length ? sticky.map((v) => `${v.key} (ClientIP, ${v.sessionAffinityTimeout} s)`).join(', ') : 'no Service uses ClientIP affinity';
      return outcome(value, ['kube-proxy replacement (which turns enable-session-affinity on)'], [
        'sessionAffinity: ClientIP pins a client address to one backend for timeoutSeconds (Kubernetes default 10800) in an affinity map (spec §8.4)',
        `with Maglev, the ${s.profile.maglev.affinityZeroes} port is zeroed in the hash, so all of a client's flows hash alike (maglev.md §5)`,
        'through the socket LB (pods, host), affinity is keyed by the network namespace cookie, not the address (spec §11)',
      ], findings);
    },
  },
  {
    setting: 'loadBalancer.serviceTopology',
    group: 'Load balancer',
    source: 'seed: 开启拓扑感知提示 (topology-aware hints); spec §12',
    check(s) {
      const on = s.cilium.loadBalancer.serviceTopology;
      const findings: Finding[] = [];
      const hinted = [...new Set(s.services.flatMap((v) => v.ports.flatMap((p) => p.backends.filter((b) => b.forZones.length > 0).map((b) => b.slice))))];
      if (s.origin === 'scenario') {
        if (on) {
          const noZone = s.nodes.filter((n) => n.zone === undefined).map((n) => n.name);
          if (noZone.length) findings.push(finding('warning', 'loadBalancer.serviceTopology', `${said(s, 'loadBalancer.serviceTopology')}, but ${noZone.length === s.nodes.length ? 'no node has' : `node${noZone.length === 1 ? '' : 's'} ${noZone.join(', ')} ${noZone.length === 1 ? 'has' : 'have'}`} a zone (topology.kubernetes.io/zone): hints cannot select backends there`));
          if (!hinted.length) findings.push(finding('warning', 'loadBalancer.serviceTopology', `${said(s, 'loadBalancer.serviceTopology')}, but no EndpointSlice endpoint carries hints.forZones: it has no effect`));
        } else if (hinted.length) {
          findings.push(finding('warning', 'loadBalancer.serviceTopology', `EndpointSlice${hinted.length === 1 ? '' : 's'} ${hinted.join(', ')} carr${hinted.length === 1 ? 'ies' : 'y'} hints.forZones, but ${said(s, 'loadBalancer.serviceTopology')}: Cilium ignores the hints (seed: --set loadBalancer.serviceTopology=true to use them)`));
        }
      }
      return outcome(on, on ? ['nodes labelled with their zone (topology.kubernetes.io/zone)', 'EndpointSlices with hints.forZones (Topology Aware Routing or trafficDistribution)'] : [], on
        ? ['each node\'s service table leaves out backends hinted for other zones: requests stay in their zone (spec §12)']
        : ['EndpointSlice hints are ignored: every node balances over all backends'], findings);
    },
  },

  // DSR --------------------------------------------------------------------------------------
  {
    setting: 'loadBalancer.dsrDispatch',
    group: 'DSR',
    source: 'spec §1, §2, §3; Cilium kube_proxy_replacement.go (dispatch rules)',
    check(s) {
      const c = s.cilium;
      const d = c.loadBalancer.dsrDispatch;
      if (!dsrInUse(s)) return outcome(`${d} (unused: no DSR)`, [], [`not used: ${said(s, 'loadBalancer.mode')}`]);
      const findings: Finding[] = [];
      const p = s.profile.dsr;
      if (d === 'ipip') {
        if (p.ipipRequiresXdp && c.loadBalancer.acceleration === 'disabled') {
          findings.push(finding('error', 'loadBalancer.dsrDispatch', `${said(s, 'loadBalancer.dsrDispatch')} is only available with XDP acceleration in Cilium ${s.version}, and ${said(s, 'loadBalancer.acceleration')}: set ${s.howTo('loadBalancer.acceleration', 'native')} (tc support came with 1.19)`));
        }
        if (p.hybridRefusesIpip && c.loadBalancer.mode === 'hybrid') {
          findings.push(finding('error', 'loadBalancer.dsrDispatch', `${said(s, 'loadBalancer.dsrDispatch')} is not allowed with ${said(s, 'loadBalancer.mode')} in Cilium ${s.version}: use opt or geneve`));
        }
        for (const { svc, port } of servicePorts(s)) {
          if (svc.cilium.forwardingMode === 'snat') continue;
          const tp = port.targetPort;
          const differs = typeof tp === 'string' ? port.backends.some((b) => b.port !== port.port) : tp !== port.port;
          if (differs) findings.push(finding('warning', 'loadBalancer.dsrDispatch', `${portLabel(svc, port)}: port ${port.port} ≠ targetPort ${tp}; with ipip dispatch the inner packet is not DNATed, so the backend must listen on the service port (spec §3.1)`));
        }
      }
      if (d === 'geneve' && c.tunnelProtocol !== 'geneve') {
        findings.push(finding('error', 'loadBalancer.dsrDispatch', `${said(s, 'loadBalancer.dsrDispatch')} requires ${s.howTo('tunnelProtocol', 'geneve')}, but ${said(s, 'tunnelProtocol')}`));
      }
      if (d === 'geneve' && c.ipv6.enabled && c.loadBalancer.acceleration !== 'disabled') {
        findings.push(finding('warning', 'loadBalancer.dsrDispatch', `${said(s, 'loadBalancer.dsrDispatch')} with ${said(s, 'loadBalancer.acceleration')} and IPv6: Cilium does not do IPv6 Geneve DSR at XDP; those requests are passed up to tc (spec §3.2)`));
      }
      if (d === 'opt') {
        return outcome(d, [`native routing (${s.howTo('routingMode', 'native')})`, 'a network that forwards IPv4 packets with IP options (some fabrics drop or slow-path them; geneve dispatch avoids it) (spec §6)'], [
          ...(c.ipv4.enabled ? [`IPv4: an 8-byte Cilium option (type 0x9A) right after the IPv4 header (IHL 5→7), port and address in ${p.ipv4OptionByteOrder === 'network' ? 'network byte order' : 'host byte order (the v1.15 quirk)'} (spec §1)`] : []),
          ...(c.ipv6.enabled ? ['IPv6: a 24-byte Destination Options header (option 0x1B) after the IPv6 header (spec §2)'] : []),
          `carried by ${overheadCarriers(s)}`,
          'the backend keeps the option (its kernel ignores it) and rewrites replies from the service address (spec §1.6)',
        ], findings);
      }
      if (d === 'ipip') {
        return outcome(d, [
          ...(p.ipipRequiresXdp ? [`XDP acceleration (Cilium ${s.version}; tc support came with 1.19)`] : []),
          'backends listening on the service port: the inner packet keeps the service address and port (spec §3.1)',
          'backends (or their nodes) that decapsulate IPIP',
        ], [
          `requests go to the backend in an outer ${c.ipv6.enabled && !c.ipv4.enabled ? 'IPv6 header (40 bytes)' : 'IPv4 header (20 bytes; IPv6: 40)'} on every packet; the outer header is built ${p.ipipOuterHeader === 'bpf' ? 'by the BPF program (source: the LB node, or --bpf-lb-rss-ipv4-src-cidr for RSS)' : 'by the kernel IPIP device from a tunnel key'} (spec §3.1)`,
        ], findings);
      }
      return outcome(d, [`tunnelProtocol=geneve (${s.howTo('tunnelProtocol', 'geneve')}), UDP 6081 open between nodes`], [
        'requests are encapsulated in Geneve (VNI 2 = world) to the backend\'s node, DNATed inside; the DSR option (class 0x014B) rides on SYNs and non-TCP packets (spec §3.2)',
        'works in native routing and in geneve tunnel mode; not with vxlan',
      ], findings);
    },
  },

  // Maglev -----------------------------------------------------------------------------------
  {
    setting: 'loadBalancer.algorithm',
    group: 'Maglev',
    source: 'seed: Maglev 哈希一致性 (Maglev consistent hashing); maglev.md §2; spec §8.2, §11',
    check(s) {
      const a = s.cilium.loadBalancer.algorithm;
      const annotated = s.services.filter((v) => v.cilium.lbAlgorithmFromAnnotation).map((v) => `${v.key} → ${v.cilium.lbAlgorithm}`);
      const ann = annotated.length ? [`per-service algorithm (service.cilium.io/lb-algorithm): ${annotated.join(', ')}`] : [];
      if (a === 'random') {
        return outcome(a, [], [
          'a new flow gets a random backend: LB nodes do not agree, so a flow that moves to another LB node (ECMP change, node loss) may land on another backend',
          'no lookup table: less memory than maglev (seed)',
          ...ann,
        ]);
      }
      const m = s.cilium.maglev.tableSize;
      return outcome(a, ['maglev.tableSize one of Cilium\'s primes and > 100 × the largest backend count', 'the same maglev.hashSeed on every node'], [
        'backend = table[hash(5-tuple) mod M]: every node picks the same backend without sharing state, so flows survive an ECMP change (seed)',
        'only for traffic entering from outside (NodePort, LoadBalancer, external IPs): in-cluster traffic through the socket LB does not use Maglev (seed, spec §11)',
        `memory: one ${m}-entry table (4 bytes per entry, ${Math.ceil((m * 4) / 1024)} KiB) per service on every node, more than random (seed)`,
        'works with XDP acceleration (seed)',
        ...ann,
      ]);
    },
  },
  {
    setting: 'maglev.tableSize',
    group: 'Maglev',
    source: 'seed: maglev.tableSize (M > 100·N; 251 … 131071); maglev.md §2',
    check(s) {
      const m = s.cilium.maglev.tableSize;
      if (!maglevInUse(s)) return outcome(`${m} (unused: algorithm random)`, [], [`not used: ${said(s, 'loadBalancer.algorithm')}`]);
      const findings: Finding[] = [];
      // N per Service: its port with the most backends (Cilium builds one table per frontend).
      const counts = new Map<string, { n: number; port: string }>();
      for (const { svc, port } of servicePorts(s)) {
        if (svc.cilium.lbAlgorithm !== 'maglev') continue;
        const cur = counts.get(svc.key);
        if (!cur || port.backends.length > cur.n) counts.set(svc.key, { n: port.backends.length, port: `${port.name || port.port}/${port.protocol}` });
      }
      const ranked = [...counts.entries()].sort((a, b) => b[1].n - a[1].n);
      const largest = ranked[0]?.[1].n ?? 0;
      const over = ranked.filter(([, v]) => v.n > 0 && m <= 100 * v.n);
      if (over.length) {
        const [key, top] = over[0]!;
        const better = maglevSizeFor(top.n);
        const others = over.slice(1).map(([k, v]) => `${k} ${v.n}`);
        findings.push(finding('warning', 'maglev.tableSize', `Service ${key} has ${plural(top.n, 'backend')} (port ${top.port}), the most of any Maglev service: ${said(s, 'maglev.tableSize')} is not > 100 × ${top.n} = ${100 * top.n}, so a backend change moves more than ~1% of flows${others.length ? ` (also too small for: ${others.join(', ')})` : ''}; ${better ? `set ${s.howTo('maglev.tableSize', String(better))} or larger` : 'no Cilium table size is that large'} (seed)`));
      }
      const implies = [`a backend change moves about 1/M of the table besides the removed backend's own slots while M > 100·N (seed); M = ${m} keeps that up to ${Math.floor((m - 1) / 100)} backends per service`];
      if (s.origin === 'scenario') implies.push(`largest backend count of a Maglev service here: ${largest}`);
      else implies.push('dsrlab cannot count backends from a Kubespray file: check your largest Service against the bound above');
      return outcome(m, [`one of ${MAGLEV_TABLE_SIZES.join(', ')} (seed)`, 'M > 100 × the largest backend count N of any service (seed)'], implies, findings);
    },
  },
  {
    setting: 'maglev.hashSeed',
    group: 'Maglev',
    source: 'seed: maglev.hashSeed (12 random bytes, base64, the same on every node); maglev.md §2',
    check(s) {
      const seed = s.cilium.maglev.hashSeed;
      if (!maglevInUse(s)) return outcome(`${seed} (unused: algorithm random)`, [], [`not used: ${said(s, 'loadBalancer.algorithm')}`]);
      const findings: Finding[] = [];
      if (seed === DEFAULT_MAGLEV_HASH_SEED) {
        findings.push(finding('warning', 'maglev.hashSeed', `${said(s, 'maglev.hashSeed')} is Cilium's built-in seed, which is public: anyone can work out which backend a flow lands on. The seed document advises setting your own, generated once: ${s.howTo('maglev.hashSeed', '<output of head -c12 /dev/urandom | base64 -w0>')}`));
      }
      return outcome(seed, ['base64 of exactly 12 bytes (head -c12 /dev/urandom | base64 -w0) (seed)', 'identical on every node: agents with different seeds pick different backends for the same flow (seed)'], [
        'bytes 0–3 seed the backend permutation (MurmurHash3), bytes 4–11 the per-packet hash (maglev.md §2)',
        'changing it reshuffles every table: established flows keep their backend through conntrack, new flows may move',
      ], findings);
    },
  },

  // Routing ----------------------------------------------------------------------------------
  {
    setting: 'routingMode',
    group: 'Routing',
    source: 'seed: DSR (tunnel=disabled); Cilium checkIPv4NativeRoutingCIDR (daemon config); Kubespray defaults (cilium_tunnel_mode, cilium_native_routing_cidr)',
    check(s) {
      const c = s.cilium;
      const o = s.other;
      const findings: Finding[] = [];
      const native = c.routingMode === 'native';
      if (native) {
        const ipam = o.ipamMode ?? 'cluster-pool';
        const exempt = ['eni', 'alibabacloud'].includes(ipam) || o.ipMasqAgent === true;
        for (const fam of [4, 6] as const) {
          const enabled = fam === 4 ? c.ipv4.enabled : c.ipv6.enabled;
          const masq = fam === 4 ? o.enableIPv4Masquerade : o.enableIPv6Masquerade;
          const cidr = fam === 4 ? o.ipv4NativeRoutingCIDR : o.ipv6NativeRoutingCIDR;
          const key = fam === 4 ? 'ipv4NativeRoutingCIDR' : 'ipv6NativeRoutingCIDR';
          if (!enabled || masq !== true || exempt || cidr === undefined || cidr !== '') continue;
          findings.push(finding('error', key, `${said(s, 'routingMode')} with ${said(s, fam === 4 ? 'enableIPv4Masquerade' : 'enableIPv6Masquerade')} needs a native-routing CIDR, but ${said(s, key)}: Cilium's agent refuses to start ("native routing cidr must be configured with option --ipv${fam}-native-routing-cidr"). Set ${s.howTo(key, fam === 4 ? '<the pod CIDR, e.g. kube_pods_subnet>' : '<the IPv6 pod CIDR>')}`));
        }
      }
      return outcome(native ? 'native' : `tunnel (${c.tunnelProtocol})`, native
        ? [
          'a network that routes pod CIDRs between nodes: autoDirectNodeRoutes=true (nodes on one L2 segment) or routes from BGP / the cloud',
          'a native-routing CIDR covering the pod CIDRs (ipv4NativeRoutingCIDR) when Cilium masquerades: the agent refuses to start without it',
          ...(s.cluster.id ? ['the same routing mode in every cluster of the mesh (seed)'] : []),
        ]
        : [`${c.tunnelProtocol === 'vxlan' ? 'UDP 8472' : 'UDP 6081'} open between nodes`, ...(s.cluster.id ? ['the same routing mode in every cluster of the mesh (seed)'] : [])], native
        ? ['pod traffic between nodes is routed as is: no encapsulation overhead', 'DSR with dispatch opt (or ipip) is possible']
        : [`pod traffic between nodes is encapsulated in ${c.tunnelProtocol} (50 bytes per packet, more with Geneve options)`, c.tunnelProtocol === 'vxlan' ? 'DSR and hybrid are impossible: Cilium refuses them with vxlan (SNAT only)' : 'DSR needs dsrDispatch=geneve'], findings);
    },
  },
  {
    setting: 'autoDirectNodeRoutes',
    group: 'Routing',
    source: 'seed: DSR (autoDirectNodeRoutes=true); Cilium daemon_main.go; Kubespray defaults (cilium_auto_direct_node_routes)',
    check(s) {
      const on = s.cilium.autoDirectNodeRoutes;
      const findings: Finding[] = [];
      if (on && s.cilium.routingMode === 'tunnel') {
        findings.push(finding('error', 'autoDirectNodeRoutes', `${said(s, 'autoDirectNodeRoutes')} cannot be used with tunnelling (Cilium: packets must be routed through the tunnel device), and ${said(s, 'routingMode')}: set ${s.howTo('routingMode', 'native')}`));
      }
      if (on && s.other.ipv4NativeRoutingCIDR === '' && s.cilium.ipv4.enabled) {
        findings.push(finding('warning', 'ipv4NativeRoutingCIDR', `${said(s, 'autoDirectNodeRoutes')} without ${s.name('ipv4NativeRoutingCIDR')}: Cilium recommends setting it, or pod-to-pod traffic may be masqueraded`));
      }
      return outcome(on, on ? ['native routing (Cilium refuses it with tunnelling)', 'L2 connectivity between all nodes (Kubespray: "This works only if you have a L2 connectivity between all your nodes")'] : [], on
        ? ['every node installs a route to each other node\'s pod CIDR via that node\'s address']
        : ['Cilium installs no routes to other nodes\' pod CIDRs: in native routing they must come from elsewhere']
      , findings);
    },
  },
  {
    setting: 'egressGateway.enabled',
    group: 'Routing',
    source: 'seed: Egress Gateway (开启条件: enable-bpf-masquerade, enable-ipv4-egress-gateway, enable-l7-proxy: false, kube-proxy-replacement: strict); spec §14',
    check(s) {
      const o = s.other;
      const needs = [
        `BPF masquerade: ${s.howTo('bpf.masquerade', 'true')}`,
        `kube-proxy replacement: ${s.howTo('kubeProxyReplacement', 'true')}`,
        `no L7 proxy: ${s.howTo('l7Proxy', 'false')} (an L7 policy on the same endpoint silently disables the egress policy)`,
        'identityAllocationMode=crd; not with Cluster Mesh (spec §14)',
      ];
      const implies = [
        'CiliumEgressGatewayPolicy picks the gateway node and source IP for matching pod traffic leaving the cluster; Cilium does not manage the egress IP itself (seed)',
        'IPv4 only in the releases the seed document describes (spec §14: IPv6 in recent main)',
        'pods\' matching traffic is tunnelled to the gateway node even in native routing; no gateway → DROP_NO_EGRESS_GATEWAY (194) (spec §14)',
      ];
      if (o.egressGateway === undefined) {
        return outcome(`not expressible in a scenario (bpf.masquerade: ${s.cilium.bpf.masquerade})`, needs, [
          ...implies,
          s.cilium.bpf.masquerade ? 'bpf.masquerade is on here, one of the prerequisites' : 'bpf.masquerade is off here: an egress gateway would need it on',
        ]);
      }
      const findings: Finding[] = [];
      if (o.egressGateway) {
        if (!s.cilium.bpf.masquerade) findings.push(finding('error', 'bpf.masquerade', `${said(s, 'egressGateway.enabled')} needs BPF masquerade, but ${said(s, 'bpf.masquerade')}: set ${s.howTo('bpf.masquerade', 'true')} (seed)`));
        if (!s.cilium.kubeProxyReplacement) findings.push(finding('error', 'kubeProxyReplacement', `${said(s, 'egressGateway.enabled')} needs kube-proxy replacement, but ${said(s, 'kubeProxyReplacement')}: set ${s.howTo('kubeProxyReplacement', 'true')} (seed: kube-proxy-replacement: strict)`));
        if (o.l7Proxy !== false) findings.push(finding('error', 'l7Proxy', `${said(s, 'egressGateway.enabled')} needs the L7 proxy off, but ${said(s, 'l7Proxy')}: set ${s.howTo('l7Proxy', 'false')} (seed: enable-l7-proxy: false)`));
        if (o.identityAllocationMode && o.identityAllocationMode !== 'crd') findings.push(finding('warning', 'identityAllocationMode', `${said(s, 'egressGateway.enabled')} with ${said(s, 'identityAllocationMode')}: the egress gateway docs require crd (spec §14)`));
        if (s.cluster.id !== 0) findings.push(finding('warning', 'cluster.id', `${said(s, 'egressGateway.enabled')} with ${said(s, 'cluster.id')}: the egress gateway is not compatible with Cluster Mesh (spec §14)`));
      }
      return outcome(o.egressGateway, needs, o.egressGateway ? implies : ['no egress gateway: pod traffic leaves through its own node'], findings);
    },
  },

  // XDP --------------------------------------------------------------------------------------
  {
    setting: 'loadBalancer.acceleration',
    group: 'XDP',
    source: 'seed: XDP 加速 (XDP acceleration); spec §10',
    check(s) {
      const a = s.cilium.loadBalancer.acceleration;
      if (a === 'disabled') {
        return outcome(a, [], ['NodePort and LoadBalancer traffic is handled at tc (bpf_host): tcpdump on the node sees requests before translation and replies after it (spec §10.2)']);
      }
      return outcome(a, [
        a === 'native'
          ? 'a NIC driver with native XDP support on every device that exposes NodePorts (`ethtool -i eth0 | grep driver`; list: docs.cilium.io kubeproxy-free) (seed)'
          : 'best-effort: devices whose driver lacks native XDP are skipped, and their traffic is handled at tc',
        'kube-proxy replacement',
      ], [
        'NodePort, LoadBalancer and external-IP requests are load-balanced in the driver, before the kernel stack; works with snat, dsr and hybrid (seed)',
        'tcpdump on the node does not see XDP-forwarded packets (XDP_TX / XDP_REDIRECT) or XDP drops: use cilium monitor / Hubble (seed, spec §10.2)',
        'XDP sees only received packets: pod egress and the DSR reply rewrite on the backend\'s node stay at tc (spec §10.1)',
        'neighbour entries are pre-populated (XDP cannot resolve them on demand) (spec §10.1)',
      ]);
    },
  },

  // Socket LB --------------------------------------------------------------------------------
  {
    setting: 'socketLB.hostNamespaceOnly',
    group: 'Socket LB',
    source: 'seed: 在 Pod 命名空间中绕过 Socket LoadBalancer (socket LB bypass in pods); spec §11',
    check(s) {
      const { enabled, hostNamespaceOnly } = s.cilium.socketLB;
      const findings: Finding[] = [];
      const asked = s.sources.get('socketLB.hostNamespaceOnly');
      if (!enabled && (hostNamespaceOnly || (asked && /^(true|yes|1)$/i.test(asked.raw)))) {
        findings.push(finding('warning', 'socketLB.hostNamespaceOnly', `${asked ? `${asked.name}: ${asked.raw}` : said(s, 'socketLB.hostNamespaceOnly')} has no effect: the socket LB is off (${said(s, 'socketLB.enabled')}${s.cilium.kubeProxyReplacement ? '' : `, and ${said(s, 'kubeProxyReplacement')}`})`));
      }
      const value = !enabled ? 'socket LB off' : hostNamespaceOnly ? 'true (host namespace only)' : 'false (pods and host)';
      if (!enabled) {
        return outcome(value, [], ['every Service connection, from pods and from the host, is translated per packet by the tc programs'], findings);
      }
      if (hostNamespaceOnly) {
        return outcome(value, ['an agent restart to change it (the mode is compiled into the programs) (spec §11)'], [
          'pods\' Service traffic is load-balanced per packet on the pod\'s veth (bpf_lxc: DNAT, service conntrack, reverse NAT): the ClusterIP stays on the packet leaving the pod (spec §11)',
          'host-namespace sockets keep connect-time translation',
          'what Istio sidecars, KubeVirt, Kata and gVisor need (seed, spec §11)',
          'the seed document shows it next to tunnel=disabled and autoDirectNodeRoutes=true, but it does not depend on the routing mode (spec §11)',
        ], findings);
      }
      return outcome(value, [], [
        'pods and host processes connect() straight to a backend: the ClusterIP never appears on the wire, and tcpdump on a pod\'s veth shows the backend address (seed, spec §11)',
        'that breaks anything that needs the ClusterIP on the packet (Istio sidecars, KubeVirt, Kata, gVisor): set socketLB.hostNamespaceOnly=true for them (seed)',
        'a Service without backends fails connect() with EHOSTUNREACH; Maglev is not used here (spec §11)',
      ], findings);
    },
  },

  // NodePort ---------------------------------------------------------------------------------
  {
    setting: 'nodePort.range',
    group: 'NodePort',
    source: 'spec §9.3, §5.1, §5.2',
    check(s) {
      const np = s.cilium.nodePort;
      const { snatPortMin, snatPortMax } = s.cilium.derived;
      const pool = Math.max(0, snatPortMax - snatPortMin + 1);
      const findings: Finding[] = [];
      if (pool < 1024 && s.cilium.kubeProxyReplacement) {
        findings.push(finding('warning', 'nodePort.range', `${said(s, 'nodePort.range')} leaves only ${pool} SNAT ports (${snatPortMin}..${snatPortMax}) per (node address, backend) pair: SNAT flows beyond that are dropped (DROP_NAT_NO_MAPPING) (spec §5.2)`));
      }
      return outcome(np.range.replace(',', '..'), [], [
        `NodePorts are allocated in ${np.min}..${np.max}; bind() to them in the host namespace is refused (nodePort.bindProtection) (spec §9.3)`,
        `SNAT source ports come from ${snatPortMin}..${snatPortMax}: ${pool} per (node address, backend) pair; a client port already in that range is kept (spec §5.2)`,
        'the range is added to ip_local_reserved_ports where it overlaps the ephemeral range (nodePort.autoProtectPortRanges)',
      ], findings);
    },
  },

  // MTU / PMTU -------------------------------------------------------------------------------
  {
    setting: 'MTU',
    group: 'MTU / PMTU',
    source: 'seed: DSR (宣告一个较低的 MTU: a lower MTU is advertised); spec §4',
    check(s) {
      const mtu = s.cilium.MTU;
      const others = [...new Set(s.nodes.filter((n) => n.mtu !== mtu).map((n) => `${n.name} ${n.mtu}`))];
      const value = `${mtu}${others.length ? ` (nodes: ${others.join(', ')})` : ''}`;
      if (!dsrInUse(s)) return outcome(value, [], ['no DSR: requests keep their size, and full-size packets pass']);
      const lines = dsrOverheads(s).map((o) => {
        const room = mtu - o.bytes;
        const alt = o.bytesWithoutInfo !== undefined ? ` (${o.bytesWithoutInfo} without the option: ${mtu - o.bytesWithoutInfo})` : '';
        return `IPv${o.family}: DSR adds ${o.bytes} bytes (${o.what}): the largest request that passes is ${room} bytes${alt} (spec §4.1)`;
      });
      return outcome(value, [], [...lines, `the overhead lands on ${overheadCarriers(s)}`], []);
    },
  },
  {
    setting: 'pmtuDiscovery.enabled',
    group: 'MTU / PMTU',
    source: 'spec §4.1 (ENABLE_DSR_ICMP_ERRORS), §4.2, §16.5',
    check(s) {
      const on = s.cilium.pmtuDiscovery.enabled;
      if (!dsrInUse(s)) return outcome(on, [], [on ? 'no DSR here: the LB node never needs to answer with frag-needed' : 'no DSR here: nothing grows at the LB node']);
      const findings: Finding[] = [];
      const worst = Math.max(...dsrOverheads(s).map((o) => o.bytes), 0);
      if (!on && overheadOnData(s)) {
        const what = s.cilium.loadBalancer.dsrDispatch === 'opt' ? 'full-size UDP datagrams' : 'full-size packets';
        findings.push(finding('warning', 'pmtuDiscovery.enabled', `${said(s, 'pmtuDiscovery.enabled')} with ${said(s, 'loadBalancer.mode')} and ${said(s, 'loadBalancer.dsrDispatch')}: ${what} grow by up to ${worst} bytes past the ${s.cilium.MTU}-byte MTU and are lost without an ICMP error, so the client never learns to send smaller. Set ${s.howTo('pmtuDiscovery.enabled', 'true')}`));
      }
      return outcome(on, ['ICMP fragmentation-needed (IPv4 type 3 code 4) and packet-too-big (ICMPv6 type 2) allowed back to the clients (firewalls, security groups)'], on
        ? [`a request that would outgrow the MTU after DSR is answered by the LB node with ICMP advertising MTU − overhead (e.g. ${s.cilium.MTU - worst}); the client retries smaller (spec §4.2)`]
        : ['no ICMP from the LB node: an oversize request is forwarded anyway, most likely to be dropped silently further on (spec §4.1, UNCONFIRMED)'], findings);
    },
  },

  // Map sizes --------------------------------------------------------------------------------
  {
    setting: 'bpf.ctTcpMax / ctAnyMax / natMax / neighMax / lbMapMax',
    group: 'Map sizes',
    source: 'spec §7.6, §5.2; Cilium LimitTableMin/Max',
    check(s) {
      const b = s.cilium.bpf;
      const findings: Finding[] = [];
      if (b.natMax > b.ctTcpMax + b.ctAnyMax) {
        findings.push(finding('error', 'bpf.natMax', `${said(s, 'bpf.natMax')} exceeds the conntrack tables together (${b.ctTcpMax + b.ctAnyMax}): Cilium refuses it`));
      }
      return outcome(`${b.ctTcpMax} / ${b.ctAnyMax} / ${b.natMax} / ${b.neighMax} / ${b.lbMapMax}`, [], [
        `conntrack: up to ${b.ctTcpMax} TCP and ${b.ctAnyMax} other flows per node, per family; LRU: when full, the oldest entries go and their flows may switch backend (spec §7.6)`,
        `NAT: ${b.natMax} entries; each SNAT flow through the LB node takes two (forward and reverse) (spec §5.2)`,
        `services and backends: ${b.lbMapMax} entries in the service map`,
      ], findings);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Kubespray-only settings: what the seed document says of features Kubespray sets directly.

const kubesprayRules: Rule[] = [
  {
    setting: 'bandwidthManager.enabled',
    group: 'Other Cilium settings',
    source: 'seed: 带宽管理 (bandwidth manager); Kubespray docs/CNI/cilium.md',
    check(s) {
      if (s.other.bandwidthManager === undefined) return undefined;
      const on = s.other.bandwidthManager;
      return outcome(on, on ? ['Linux 5.1 or newer (BBR: 5.18)', 'no L7 policy selecting the pod at egress (it turns enforcement off for that pod)'] : [], on
        ? ['the kubernetes.io/egress-bandwidth pod annotation is enforced (EDT, fq)', ...(s.other.bbr ? ['pods use TCP BBR'] : [])]
        : ['pod bandwidth annotations are ignored']);
    },
  },
  {
    setting: 'hubble.enabled',
    group: 'Other Cilium settings',
    source: 'Kubespray defaults (cilium_enable_hubble); spec §10.2',
    check(s) {
      if (s.other.hubble === undefined) return undefined;
      const on = s.other.hubble;
      return outcome(on, [], on
        ? ['flows and drops are observable with Hubble, including what XDP handles and tcpdump cannot see']
        : [`no Hubble: ${s.cilium.loadBalancer.acceleration !== 'disabled' ? 'with XDP on, only cilium monitor shows what tcpdump misses' : 'use cilium monitor for drops'}`]);
    },
  },
];

/** Every rule (scenario and Kubespray), in print order. */
export const RULES: Rule[] = [...rules, ...kubesprayRules];

/** Runs every rule on the subject. */
export function evaluate(s: CheckSubject): Requirement[] {
  const out: Requirement[] = [];
  for (const r of RULES) {
    const o = r.check(s);
    if (!o) continue;
    // Findings name the setting as the user does (scenario key path, Kubespray variable).
    const findings = o.findings.map((f) => (settingDef(f.setting) ? { ...f, setting: s.name(f.setting) } : f));
    out.push({ setting: r.setting, value: o.value, group: r.group, requires: o.requires, implies: o.implies, status: statusOf(findings), source: r.source, findings });
  }
  return out;
}
