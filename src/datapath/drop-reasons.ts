/**
 * drop-reasons.ts: the drop reasons of native/include/dsrlab/drop.h, mirrored for TypeScript:
 * Cilium's DROP_* codes (bpf/lib/drop_reasons.h numbers) with the text Hubble and `cilium
 * monitor` print (pkg/monitor/api/drop.go) and the Hubble flow enum name (api/v1/flow/flow.proto
 * DropReason), plus dsrlab's own reasons (≥ 1000) for what the emulation cannot carry.
 * test/datapath/drop-reasons.test.ts parses drop.h and drop.c and checks that this table agrees.
 * Where drops happen is the C core's business; summaries and flow logs only look codes up here.
 */

/** One drop reason. `code` is positive, as metrics and Hubble show it (the datapath returns −code). */
export interface DropReason {
  code: number;
  /** The C name, e.g. `DROP_NO_SERVICE`, or `DSRLAB_WITHHELD` for dsrlab's own. */
  name: string;
  /** Human text, as pkg/monitor/api/drop.go words it (dsrlab's own words for codes it lacks). */
  description: string;
  /** Hubble's flow.proto DropReason name, where flow.proto has one. */
  hubble?: string;
}

/** Codes at or above this are dsrlab's own, never Cilium's (DL_DROP_DSRLAB_BASE). */
export const DSRLAB_DROP_BASE = 1000;

/** A captured server packet whose request never reached a pod (responder=capture). */
export const DSRLAB_WITHHELD = DSRLAB_DROP_BASE + 5;

function r(code: number, name: string, description: string, hubble?: string): DropReason {
  return hubble === undefined ? { code, name, description } : { code, name, description, hubble };
}

/** Every reason of drop.h, in its order. */
export const DROP_REASONS: readonly DropReason[] = [
  r(132, 'DROP_INVALID_SIP', 'Invalid source ip', 'INVALID_SOURCE_IP'),
  r(133, 'DROP_POLICY', 'Policy denied', 'POLICY_DENIED'),
  r(134, 'DROP_INVALID', 'Invalid packet', 'INVALID_PACKET_DROPPED'),
  r(135, 'DROP_CT_INVALID_HDR', 'CT: Truncated or invalid header', 'CT_TRUNCATED_OR_INVALID_HEADER'),
  // flow.proto still names 136 after its old meaning (CT_MISSING_TCP_ACK_FLAG); drop.go's text is current.
  r(136, 'DROP_FRAG_NEEDED', 'Fragmentation needed', 'CT_MISSING_TCP_ACK_FLAG'),
  r(137, 'DROP_CT_UNKNOWN_PROTO', 'CT: Unknown L4 protocol', 'CT_UNKNOWN_L4_PROTOCOL'),
  r(139, 'DROP_UNKNOWN_L3', 'Unsupported L3 protocol', 'UNSUPPORTED_L3_PROTOCOL'),
  r(140, 'DROP_MISSED_TAIL_CALL', 'Missed tail call', 'MISSED_TAIL_CALL'),
  r(141, 'DROP_WRITE_ERROR', 'Error writing to packet', 'ERROR_WRITING_TO_PACKET'),
  r(142, 'DROP_UNKNOWN_L4', 'Unknown L4 protocol', 'UNKNOWN_L4_PROTOCOL'),
  r(143, 'DROP_UNKNOWN_ICMP4_CODE', 'Unknown ICMPv4 code', 'UNKNOWN_ICMPV4_CODE'),
  r(144, 'DROP_UNKNOWN_ICMP4_TYPE', 'Unknown ICMPv4 type', 'UNKNOWN_ICMPV4_TYPE'),
  r(145, 'DROP_UNKNOWN_ICMP6_CODE', 'Unknown ICMPv6 code', 'UNKNOWN_ICMPV6_CODE'),
  r(146, 'DROP_UNKNOWN_ICMP6_TYPE', 'Unknown ICMPv6 type', 'UNKNOWN_ICMPV6_TYPE'),
  r(147, 'DROP_NO_TUNNEL_KEY', 'Error retrieving tunnel key', 'ERROR_RETRIEVING_TUNNEL_KEY'),
  r(150, 'DROP_UNKNOWN_TARGET', 'Unknown L3 target address', 'UNKNOWN_L3_TARGET_ADDRESS'),
  r(151, 'DROP_UNROUTABLE', 'Stale or unroutable IP', 'STALE_OR_UNROUTABLE_IP'),
  r(153, 'DROP_CSUM_L3', 'Error while correcting L3 checksum', 'ERROR_WHILE_CORRECTING_L3_CHECKSUM'),
  r(154, 'DROP_CSUM_L4', 'Error while correcting L4 checksum', 'ERROR_WHILE_CORRECTING_L4_CHECKSUM'),
  r(155, 'DROP_CT_CREATE_FAILED', 'CT: Map insertion failed', 'CT_MAP_INSERTION_FAILED'),
  r(156, 'DROP_INVALID_EXTHDR', 'Invalid IPv6 extension header', 'INVALID_IPV6_EXTENSION_HEADER'),
  r(157, 'DROP_FRAG_NOSUPPORT', 'IP fragmentation not supported', 'IP_FRAGMENTATION_NOT_SUPPORTED'),
  r(158, 'DROP_NO_SERVICE', 'Service backend not found', 'SERVICE_BACKEND_NOT_FOUND'),
  // drop.go and flow.proto have no entry for 159; the wording is dsrlab's.
  r(159, 'DROP_UNSUPP_SERVICE_PROTO', 'Unsupported protocol for service'),
  r(160, 'DROP_NO_TUNNEL_ENDPOINT', 'No tunnel/encapsulation endpoint (datapath BUG!)', 'NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT'),
  r(161, 'DROP_NAT_46X64_DISABLED', 'NAT 46/64 not enabled'),
  r(162, 'DROP_EDT_HORIZON', 'Reached EDT rate-limiting drop horizon', 'REACHED_EDT_RATE_LIMITING_DROP_HORIZON'),
  r(163, 'DROP_UNKNOWN_CT', 'Unknown connection tracking state', 'UNKNOWN_CONNECTION_TRACKING_STATE'),
  r(164, 'DROP_HOST_UNREACHABLE', 'Local host is unreachable', 'LOCAL_HOST_IS_UNREACHABLE'),
  r(165, 'DROP_NO_CONFIG', 'No configuration available to perform policy decision', 'NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION'),
  r(166, 'DROP_UNSUPPORTED_L2', 'Unsupported L2 protocol', 'UNSUPPORTED_L2_PROTOCOL'),
  r(167, 'DROP_NAT_NO_MAPPING', 'No mapping for NAT masquerade', 'NO_MAPPING_FOR_NAT_MASQUERADE'),
  r(168, 'DROP_NAT_UNSUPP_PROTO', 'Unsupported protocol for NAT masquerade', 'UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE'),
  r(169, 'DROP_NO_FIB', 'FIB lookup failed', 'FIB_LOOKUP_FAILED'),
  r(170, 'DROP_ENCAP_PROHIBITED', 'Encapsulation traffic is prohibited', 'ENCAPSULATION_TRAFFIC_IS_PROHIBITED'),
  r(171, 'DROP_INVALID_IDENTITY', 'Invalid identity', 'INVALID_IDENTITY'),
  r(172, 'DROP_UNKNOWN_SENDER', 'Unknown sender', 'UNKNOWN_SENDER'),
  r(173, 'DROP_NAT_NOT_NEEDED', 'NAT not needed', 'NAT_NOT_NEEDED'),
  r(174, 'DROP_IS_CLUSTER_IP', 'Is a ClusterIP', 'IS_A_CLUSTERIP'),
  r(175, 'DROP_FRAG_NOT_FOUND', 'First logical datagram fragment not found', 'FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND'),
  r(176, 'DROP_FORBIDDEN_ICMP6', 'Forbidden ICMPv6 message', 'FORBIDDEN_ICMPV6_MESSAGE'),
  r(177, 'DROP_NOT_IN_SRC_RANGE', 'Denied by LB src range check', 'DENIED_BY_LB_SRC_RANGE_CHECK'),
  r(178, 'DROP_PROXY_LOOKUP_FAILED', 'Socket lookup failed', 'SOCKET_LOOKUP_FAILED'),
  r(179, 'DROP_PROXY_SET_FAILED', 'Socket assign failed', 'SOCKET_ASSIGN_FAILED'),
  r(180, 'DROP_PROXY_UNKNOWN_PROTO', 'Proxy redirection not supported for protocol', 'PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL'),
  r(181, 'DROP_POLICY_DENY', 'Policy denied by denylist', 'POLICY_DENY'),
  r(182, 'DROP_VLAN_FILTERED', 'VLAN traffic disallowed by VLAN filter', 'VLAN_FILTERED'),
  r(183, 'DROP_INVALID_VNI', 'Incorrect VNI from VTEP', 'INVALID_VNI'),
  r(184, 'DROP_INVALID_TC_BUFFER', 'Failed to update or lookup TC buffer', 'INVALID_TC_BUFFER'),
  r(185, 'DROP_NO_SID', 'No SID was found for the IP address', 'NO_SID'),
  r(187, 'DROP_NAT46', 'L3 translation from IPv4 to IPv6 failed (NAT46)', 'NAT46'),
  r(188, 'DROP_NAT64', 'L3 translation from IPv6 to IPv4 failed (NAT64)', 'NAT64'),
  r(189, 'DROP_POLICY_AUTH_REQUIRED', 'Authentication required', 'AUTH_REQUIRED'),
  r(190, 'DROP_CT_NO_MAP_FOUND', 'No conntrack map found', 'CT_NO_MAP_FOUND'),
  r(191, 'DROP_SNAT_NO_MAP_FOUND', 'No nat map found', 'SNAT_NO_MAP_FOUND'),
  r(192, 'DROP_INVALID_CLUSTER_ID', 'Invalid ClusterID', 'INVALID_CLUSTER_ID'),
  r(193, 'DROP_DSR_ENCAP_UNSUPP_PROTO', 'Unsupported packet protocol for DSR encapsulation', 'UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP'),
  r(194, 'DROP_NO_EGRESS_GATEWAY', 'No egress gateway found', 'NO_EGRESS_GATEWAY'),
  r(195, 'DROP_UNENCRYPTED_TRAFFIC', 'Traffic is unencrypted', 'UNENCRYPTED_TRAFFIC'),
  r(196, 'DROP_TTL_EXCEEDED', 'TTL exceeded', 'TTL_EXCEEDED'),
  r(197, 'DROP_NO_NODE_ID', 'No node ID found', 'NO_NODE_ID'),
  r(198, 'DROP_RATE_LIMITED', 'Rate limited', 'DROP_RATE_LIMITED'),
  r(199, 'DROP_IGMP_HANDLED', 'IGMP handled', 'IGMP_HANDLED'),
  r(200, 'DROP_IGMP_SUBSCRIBED', 'IGMP subscribed', 'IGMP_SUBSCRIBED'),
  r(201, 'DROP_MULTICAST_HANDLED', 'Multicast handled', 'MULTICAST_HANDLED'),
  r(202, 'DROP_HOST_NOT_READY', 'Host datapath not ready', 'DROP_HOST_NOT_READY'),
  r(203, 'DROP_EP_NOT_READY', 'Endpoint policy program not available', 'DROP_EP_NOT_READY'),
  r(204, 'DROP_NO_EGRESS_IP', 'No Egress IP configured', 'DROP_NO_EGRESS_IP'),
  r(205, 'DROP_PUNT_PROXY', 'Punt to proxy', 'DROP_PUNT_PROXY'),
  r(206, 'DROP_NO_DEVICE', 'No device', 'DROP_NO_DEVICE'),
  // dsrlab's own (drop.h: DL_DROP_DSRLAB_BASE + n; names as drop.c prints them).
  r(DSRLAB_DROP_BASE + 1, 'DSRLAB_UNPARSEABLE', 'dsrlab: the packet cannot be parsed or carried (bad frame, unknown link type, unknown sender)'),
  r(DSRLAB_DROP_BASE + 2, 'DSRLAB_NO_ROUTE', 'dsrlab: no host owns the destination address'),
  r(DSRLAB_DROP_BASE + 3, 'DSRLAB_HOP_LIMIT', 'dsrlab: forwarding loop (too many hops)'),
  r(DSRLAB_DROP_BASE + 4, 'DSRLAB_NO_RESPONDER', 'dsrlab: reached a host with nothing listening'),
  r(DSRLAB_WITHHELD, 'DSRLAB_WITHHELD', 'dsrlab: captured server packet withheld: its request never reached a pod'),
];

const byCode = new Map<number, DropReason>(DROP_REASONS.map((d) => [d.code, d]));
const byName = new Map<string, DropReason>(DROP_REASONS.map((d) => [d.name, d]));

/** The reason for a code, negative (as the datapath returns it) or positive; undefined if unknown. */
export function dropReason(code: number): DropReason | undefined {
  return byCode.get(Math.abs(code));
}

/** The reason named `name` (e.g. `DROP_NO_SERVICE`). */
export function dropReasonByName(name: string): DropReason | undefined {
  return byName.get(name);
}

/** The C name of a code, or `DROP_UNKNOWN_<n>` for a code the table lacks. */
export function dropReasonName(code: number): string {
  return dropReason(code)?.name ?? `DROP_UNKNOWN_${Math.abs(code)}`;
}

/** Hubble-style text for a code (`Service backend not found`), or the number for unknown ones. */
export function dropReasonDescription(code: number): string {
  return dropReason(code)?.description ?? String(Math.abs(code));
}

/** True for dsrlab's own reasons (the emulation's limits, not Cilium's verdicts). */
export function isDsrlabDrop(code: number): boolean {
  return Math.abs(code) >= DSRLAB_DROP_BASE;
}
