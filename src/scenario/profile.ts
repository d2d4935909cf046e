/**
 * profile.ts: what changes in Cilium's load-balancer datapath between the minor versions dsrlab
 * knows ("1.15" … "1.19"), as one plain object per version (`profileFor`).
 * Helm values and their defaults are not here (validate.ts); this file holds datapath behaviour.
 *
 * The spec (/work/shared/spec/cilium-datapath.md, "the spec") read Cilium at two points in time:
 * "v1.15-era" snapshots and "recent main" (2025–26), and says mapping them to tags is
 * UNCONFIRMED (§0). dsrlab therefore needs a rule for the versions in between. Each behaviour
 * below is a `VersionSwitch`: the version from which the newer behaviour applies, the spec
 * section it comes from, and whether the switch version is confirmed. Unless better evidence
 * is cited in the switch's note, behaviour seen only in "recent main" is taken to start with
 * 1.18 (RECENT_MAIN): recent-main files date from 2025–26, and 1.17 branched in December 2024.
 * Numbers are in host units: seconds and counts.
 */

/** The Cilium minor versions dsrlab has a profile for, oldest first. */
export const CILIUM_VERSIONS = ['1.15', '1.16', '1.17', '1.18', '1.19'] as const;

/** One of `CILIUM_VERSIONS`. */
export type CiliumVersion = (typeof CILIUM_VERSIONS)[number];

/** The version a scenario gets when it names none: the newest dsrlab knows. */
export const DEFAULT_CILIUM_VERSION: CiliumVersion = '1.19';

/** The version dsrlab takes the spec's "recent main" behaviour to start with (see file comment). */
export const RECENT_MAIN: CiliumVersion = '1.18';

/** Where a behaviour changes: the first version with the newer behaviour. */
export interface VersionSwitch {
  /** First version with the newer behaviour. `'1.15'` means every version dsrlab knows has it. */
  since: CiliumVersion;
  /** Where the behaviour is described. */
  spec: string;
  /** True when a source pins the switch to that release; false when dsrlab chose it. */
  confirmed: boolean;
  /** What changes, and why this version. */
  note: string;
}

/** Every version-dependent behaviour and where it switches. */
export const SWITCHES = {
  dsrOptionV4NetworkOrder: {
    since: '1.16',
    spec: 'cilium-datapath.md §1.2, §16.1',
    confirmed: false,
    note:
      'v1.15-era code writes the IPv4 DSR option port and address byte-swapped on little-endian ' +
      'hosts (PR #23262 to fix it was closed, not merged); recent-main fixtures expect network ' +
      'order. Chosen per the spec\'s advice: legacy for 1.15 and older, network order after.',
  },
  dsrInfoWhenNeeded: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §1.5, §3.2, §4.2 (need_dsr_info)',
    confirmed: false,
    note:
      'Recent main attaches DSR info to non-SYN TCP when the LB has no CT entry (client moved ' +
      'LB node) and to the next packet after an ICMP frag-needed, and to every SYN without ACK ' +
      '(cilium/cilium#47388: need_dsr_info from the SYN flag of the CT lookup), but not to a ' +
      'SYN-ACK on a known flow (kpr_v4_dsr_lb1_synack); v1.15 on every segment with SYN.',
  },
  dsrBackendUpdatesEstablished: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §1.6 item 5',
    confirmed: false,
    note: 'Recent main honours DSR info on an established flow and updates the reply rewrite.',
  },
  dsrPerServiceFlag: {
    since: '1.16',
    spec: 'cilium-datapath.md §6',
    confirmed: false,
    note:
      'v1.15 decides DSR per protocol (nodeport_uses_dsr); later versions per service ' +
      '(SVC_FLAG_FWD_MODE_DSR), which is what makes service.cilium.io/forwarding-mode possible. ' +
      'Tied to the annotation switch below.',
  },
  lbModeAnnotation: {
    since: '1.16',
    spec: 'cilium-datapath.md §6; Cilium pkg/loadbalancer/config.go (bpf-lb-mode-annotation)',
    confirmed: false,
    note:
      'bpf.lbModeAnnotation and service.cilium.io/forwarding-mode are absent from the v1.15-era ' +
      'sources; 1.16 chosen as the first release with them.',
  },
  lbAlgorithmAnnotation: {
    since: '1.16',
    spec: 'cilium-datapath.md §8.2 (service.cilium.io/lb-algorithm)',
    confirmed: false,
    note: 'bpf.lbAlgorithmAnnotation; chosen together with the mode annotation.',
  },
  annotationModeAnyDispatch: {
    since: '1.18',
    spec: 'Cilium daemon/cmd/kube_proxy_replacement.go vs pkg/loadbalancer/config.go',
    confirmed: false,
    note:
      'Until the load-balancer config moved to pkg/loadbalancer, the agent refused ' +
      'bpf-lb-mode-annotation unless bpf-lb-dsr-dispatch=ipip, and refused hybrid mode with ' +
      'ipip dispatch. The moved code keeps both checks commented out ("FIXME"); that code is ' +
      'taken to be 1.18.',
  },
  ipipWithoutXdp: {
    since: '1.19',
    spec: 'cilium-datapath.md §3.1 (PR #41269, merged 2025-08)',
    confirmed: false,
    note:
      'Before PR #41269 the agent refused DSR with ipip dispatch unless XDP acceleration was on ' +
      '("currently only available under XDP acceleration"). Merged after 1.18 was released, so 1.19.',
  },
  ipipOuterByTunnelKey: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §3.1',
    confirmed: false,
    note:
      'v1.15-era code builds the outer IPv4/IPv6 header itself (source = rss_gen_src, TTL 64); ' +
      'recent main sets a tunnel key and lets the kernel IPIP device add it.',
  },
  icmpQuotesWholePacket: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §4.2, §16.5',
    confirmed: false,
    note:
      'v1.15 quotes the IP header (+options) and 8 bytes of L4 (IPv6: 64 bytes), with the VIP ' +
      'and service port restored, outer ID copied and DF set, outer source = the current ' +
      'destination; recent main quotes the original packet whole under tc (28 bytes at XDP), ' +
      'outer source = VIP, ID 0, no DF.',
  },
  gsoSegmentMtuCheck: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §4.1',
    confirmed: false,
    note: 'Recent main checks GSO packets by segment size (kpr_v4_dsr_lb3_mtu3_gso).',
  },
  snatScaledClampAndConfigRetries: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §5.2, §16.7',
    confirmed: false,
    note:
      'v1.14/1.15 nat.h: 128 retries (kernels with the 1M-instruction verifier limit, which ' +
      'dsrlab assumes), signal at 64, port = val % (max-min) + min (never max). Recent main: ' +
      'retries from node config (test default 32 is used), signal at retries/2, port = ' +
      'min + ((val * (max-min+1)) >> 16).',
  },
  noBackendReject: {
    since: '1.16',
    spec: 'cilium-datapath.md §8.5, §16.9',
    confirmed: false,
    note:
      'v1.15 drops with DROP_NO_SERVICE; --service-no-backend-response (default reject: ICMP ' +
      'port unreachable) is in recent configs; 1.16 chosen as the release that added the flag.',
  },
  maglevServicePortHigh: {
    since: RECENT_MAIN,
    spec: 'maglev.md §5 ("Versions differ here")',
    confirmed: false,
    note:
      'PR #37353 (2025-01-30, after the 1.17 branch): b = (service_port << 16) | client_port ' +
      'and the client port is 0 under ClientIP affinity. Before it: b = (client_port << 16) | ' +
      'service_port with the SERVICE port zeroed under affinity (the bug it fixed).',
  },
  icmpToVipUnsupported: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §5.1 step 1',
    confirmed: false,
    note: 'Recent main drops ICMP to a VIP with DROP_UNSUPP_SERVICE_PROTO; v1.15 passes it on.',
  },
  wildcardFrontendLookup: {
    since: RECENT_MAIN,
    spec: 'cilium-datapath.md §5.1 step 2, §8.5',
    confirmed: false,
    note: 'Recent main has "known VIP, unknown port" wildcard entries (no backends → no-backend path).',
  },
  ipv6DsrFragments: {
    since: '1.18',
    spec: 'cilium-datapath.md §13.2; Cilium bpf/lib/ipv6.h (ipv6_hdrlen_offset, ipv6_handle_fragmentation)',
    confirmed: true,
    note:
      'IPv6 fragment tracking (PR #38110, cilium_ipv6_frag_datagrams) first shipped in 1.18.0 ' +
      '(cilium/cilium#40548: 1.17.5 drops IPv6 fragments, the commit is in 1.18.0-rc). Before it, ' +
      'ipv6_hdrlen refuses any Fragment header: every IPv6 fragment a Cilium hook parses is ' +
      'DROP_FRAG_NOSUPPORT. From 1.18 later fragments follow the first (tc_nodeport_lb6_fragment2).',
  },
  ctEstablishedTcp8000s: {
    since: '1.15',
    spec: 'cilium-datapath.md §7.4',
    confirmed: false,
    note:
      'The spec saw 6 h in an old cmdref (commit 5b6be3ea) and 8000 s in recent defaults. That ' +
      'cmdref still lists --blacklist-conflicting-routes, a Cilium 1.5/1.6-era flag, so the switch ' +
      'predates 1.15: every version dsrlab knows uses 8000 s.',
  },
} as const satisfies Record<string, VersionSwitch>;

/** Name of one entry of `SWITCHES`. */
export type SwitchName = keyof typeof SWITCHES;

/** The datapath behaviour of one Cilium minor version. */
export interface Profile {
  version: CiliumVersion;

  dsr: {
    /** Byte order of port and address in the IPv4 DSR option (§1.2). */
    ipv4OptionByteOrder: 'host-swapped' | 'network';
    /** DSR info also on non-SYN TCP when needed: LB failover, after ICMP frag-needed (§1.5). */
    infoWhenNeeded: boolean;
    /** The backend honours DSR info on an established flow, updating the reply rewrite (§1.6). */
    backendUpdatesEstablished: boolean;
    /** How the LB decides DSR vs SNAT: by protocol (v1.15) or by a per-service flag (§6). */
    decision: 'per-protocol' | 'per-service-flag';
    /** Who builds the IPIP outer header (§3.1). */
    ipipOuterHeader: 'bpf' | 'tunnel-key';
    /** The agent refuses ipip dispatch without XDP acceleration (§3.1). */
    ipipRequiresXdp: boolean;
    /** The agent refuses hybrid mode with ipip dispatch. */
    hybridRefusesIpip: boolean;
    /** The agent refuses bpf.lbModeAnnotation unless dsrDispatch is ipip. */
    annotationModeRequiresIpip: boolean;
    /** IPv6 fragments through DSR: dropped (DROP_FRAG_NOSUPPORT) or handled (§13.2). */
    ipv6Fragments: 'drop' | 'supported';
  };

  mtu: {
    /** GSO packets are checked by their segment size (§4.1). */
    gsoChecksSegmentSize: boolean;
    /** The Geneve DSR option counts in the overhead even for non-SYN TCP (§4.2 fixture values). */
    geneveOverheadCountsOptionAlways: boolean;
  };

  /** The ICMP error the LB sends when DSR/encapsulation would exceed the MTU (§4.2). */
  icmpFragNeeded: {
    /** Outer source: the packet's current (already DNATed) destination, or the service address. */
    outerSource: 'current-destination' | 'service-address';
    /** IPv4 outer ID copied from the original (else 0). */
    outerIdFromOriginal: boolean;
    /** IPv4 outer DF set. */
    outerDontFragment: boolean;
    /** What is quoted under tc: header (+options) + 8 (IPv6 +64) bytes of L4, or the packet whole. */
    quote: 'header-and-l4-start' | 'whole-packet';
    /** The quoted packet: the DNATed one with VIP and service port restored, or the original. */
    quotedPacket: 'restored' | 'original';
    /** IPv4: bytes of L4 quoted with 'header-and-l4-start'. */
    quoteL4BytesV4: number;
    /** IPv6: bytes of payload quoted with 'header-and-l4-start'. */
    quotePayloadBytesV6: number;
    /** At XDP, bytes quoted (IPv4 header + 8), or null where XDP quotes like tc. */
    xdpQuoteBytes: number | null;
    /**
     * Cap on the quote with 'whole-packet' (UNCONFIRMED in the spec). dsrlab's choice: the ICMP
     * error stays within 576 bytes for IPv4 (RFC 1812 §4.3.2.3: 576 − 20 − 8 = 548) and 1280 for
     * IPv6 (RFC 4443 §2.4(c): 1280 − 40 − 8 = 1232, the cap §8.5 gives for Cilium's ICMPv6).
     */
    wholePacketCapV4: number;
    wholePacketCapV6: number;
  };

  /** Conntrack lifetimes in seconds (§7.4); agent defaults. */
  conntrack: {
    synTimeout: number;
    tcpTimeout: number;
    closeTimeout: number;
    anyTimeout: number;
    serviceTcpTimeout: number;
    serviceAnyTimeout: number;
    serviceCloseRebalance: number;
  };

  /** SNAT port allocation (§5.2). */
  snat: {
    collisionRetries: number;
    signalThreshold: number;
    /** 'modulo': (val % (max−min)) + min, never max; 'scaled': min + ((val·(max−min+1)) >> 16). */
    portClamp: 'modulo' | 'scaled';
    /** NODEPORT_PORT_MAX_NAT (the spec remembers 65535, UNCONFIRMED). */
    portMax: number;
  };

  /** Service with no usable backend (§8.5). */
  noBackend: {
    /** Whether `serviceNoBackendResponse` exists in this version. */
    configurable: boolean;
    /** What happens when the scenario does not say. */
    defaultResponse: 'reject' | 'drop';
    /** ICMPv6 no-backend reply: quote cap and rate limit per netdev. */
    icmpv6QuoteMax: number;
    icmpv6RatePerSecond: number;
    icmpv6Burst: number;
  };

  /** Maglev packet → slot hash (maglev.md §5). */
  maglev: {
    /** Which port is in the high 16 bits of the second hash word. */
    highPort: 'service' | 'client';
    /** Which port is zeroed when the service has ClientIP affinity. */
    affinityZeroes: 'client' | 'service';
  };

  lb: {
    /** ICMP (echo) to a service address: passed on, or DROP_UNSUPP_SERVICE_PROTO (§5.1). */
    icmpToServiceAddress: 'pass' | 'drop';
    /** "Known VIP, unknown port" wildcard entries exist (§5.1 step 2). */
    wildcardFrontendLookup: boolean;
  };

  /** Helm values that exist only from some version on. */
  features: {
    lbModeAnnotation: boolean;
    lbAlgorithmAnnotation: boolean;
    serviceNoBackendResponse: boolean;
  };
}

/** Index of a version in `CILIUM_VERSIONS`. */
export function versionIndex(v: CiliumVersion): number {
  return CILIUM_VERSIONS.indexOf(v);
}

/** True when `v` is `since` or newer. */
export function atLeast(v: CiliumVersion, since: CiliumVersion): boolean {
  return versionIndex(v) >= versionIndex(since);
}

/** True when version `v` has the newer behaviour of switch `name`. */
export function hasSwitched(v: CiliumVersion, name: SwitchName): boolean {
  return atLeast(v, SWITCHES[name].since);
}

/** True when `s` is one of `CILIUM_VERSIONS`. */
export function isCiliumVersion(s: string): s is CiliumVersion {
  return (CILIUM_VERSIONS as readonly string[]).includes(s);
}

/**
 * The behaviour profile of Cilium minor version `version` ("1.15" … "1.19").
 * Throws a TypeError for any other string; scenario validation reports unknown versions
 * as InputErrors before it gets here.
 */
export function profileFor(version: string): Profile {
  if (!isCiliumVersion(version)) {
    throw new TypeError(`profileFor: unknown Cilium version ${JSON.stringify(version)} (known: ${CILIUM_VERSIONS.join(', ')})`);
  }
  const v = version;
  const on = (name: SwitchName): boolean => hasSwitched(v, name);
  const recentSnat = on('snatScaledClampAndConfigRetries');
  const recentIcmp = on('icmpQuotesWholePacket');
  const needDsrInfo = on('dsrInfoWhenNeeded');
  const collisionRetries = recentSnat ? 32 : 128;
  return {
    version: v,
    dsr: {
      ipv4OptionByteOrder: on('dsrOptionV4NetworkOrder') ? 'network' : 'host-swapped',
      infoWhenNeeded: needDsrInfo,
      backendUpdatesEstablished: on('dsrBackendUpdatesEstablished'),
      decision: on('dsrPerServiceFlag') ? 'per-service-flag' : 'per-protocol',
      ipipOuterHeader: on('ipipOuterByTunnelKey') ? 'tunnel-key' : 'bpf',
      ipipRequiresXdp: !on('ipipWithoutXdp'),
      hybridRefusesIpip: !on('annotationModeAnyDispatch'),
      annotationModeRequiresIpip: !on('annotationModeAnyDispatch'),
      ipv6Fragments: on('ipv6DsrFragments') ? 'supported' : 'drop',
    },
    mtu: {
      gsoChecksSegmentSize: on('gsoSegmentMtuCheck'),
      geneveOverheadCountsOptionAlways: needDsrInfo,
    },
    icmpFragNeeded: {
      outerSource: recentIcmp ? 'service-address' : 'current-destination',
      outerIdFromOriginal: !recentIcmp,
      outerDontFragment: !recentIcmp,
      quote: recentIcmp ? 'whole-packet' : 'header-and-l4-start',
      quotedPacket: recentIcmp ? 'original' : 'restored',
      quoteL4BytesV4: 8,
      quotePayloadBytesV6: 64,
      xdpQuoteBytes: recentIcmp ? 28 : null,
      wholePacketCapV4: 548,
      wholePacketCapV6: 1232,
    },
    conntrack: {
      synTimeout: 60,
      tcpTimeout: 8000,
      closeTimeout: 10,
      anyTimeout: 60,
      serviceTcpTimeout: 8000,
      serviceAnyTimeout: 60,
      serviceCloseRebalance: 60,
    },
    snat: {
      collisionRetries,
      signalThreshold: collisionRetries / 2,
      portClamp: recentSnat ? 'scaled' : 'modulo',
      portMax: 65535,
    },
    noBackend: {
      configurable: on('noBackendReject'),
      defaultResponse: on('noBackendReject') ? 'reject' : 'drop',
      icmpv6QuoteMax: 1280 - 40 - 8,
      icmpv6RatePerSecond: 100,
      icmpv6Burst: 1000,
    },
    maglev: on('maglevServicePortHigh')
      ? { highPort: 'service', affinityZeroes: 'client' }
      : { highPort: 'client', affinityZeroes: 'service' },
    lb: {
      icmpToServiceAddress: on('icmpToVipUnsupported') ? 'drop' : 'pass',
      wildcardFrontendLookup: on('wildcardFrontendLookup'),
    },
    features: {
      lbModeAnnotation: on('lbModeAnnotation'),
      lbAlgorithmAnnotation: on('lbAlgorithmAnnotation'),
      serviceNoBackendResponse: on('noBackendReject'),
    },
  };
}
