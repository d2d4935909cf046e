/* drop.h: Cilium's drop reasons, with Cilium's numbers (bpf/lib/drop_reasons.h, recent main).
 * Datapath functions return 0 on success or a negative DROP_* code, as Cilium's do; metrics,
 * summaries and flow logs use the positive value. The TypeScript table that mirrors this list
 * is src/datapath/drop-reasons.ts, and test/datapath/drop-reasons.test.ts checks they agree.
 * Numbers are never reused; a retired one stays in the list. */
#ifndef DSRLAB_DROP_H
#define DSRLAB_DROP_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_DROP_REASONS(X) \
	X(DROP_INVALID_SIP, 132) \
	X(DROP_POLICY, 133) \
	X(DROP_INVALID, 134) \
	X(DROP_CT_INVALID_HDR, 135) \
	X(DROP_FRAG_NEEDED, 136) \
	X(DROP_CT_UNKNOWN_PROTO, 137) \
	X(DROP_UNKNOWN_L3, 139) \
	X(DROP_MISSED_TAIL_CALL, 140) \
	X(DROP_WRITE_ERROR, 141) \
	X(DROP_UNKNOWN_L4, 142) \
	X(DROP_UNKNOWN_ICMP4_CODE, 143) \
	X(DROP_UNKNOWN_ICMP4_TYPE, 144) \
	X(DROP_UNKNOWN_ICMP6_CODE, 145) \
	X(DROP_UNKNOWN_ICMP6_TYPE, 146) \
	X(DROP_NO_TUNNEL_KEY, 147) \
	X(DROP_UNKNOWN_TARGET, 150) \
	X(DROP_UNROUTABLE, 151) \
	X(DROP_CSUM_L3, 153) \
	X(DROP_CSUM_L4, 154) \
	X(DROP_CT_CREATE_FAILED, 155) \
	X(DROP_INVALID_EXTHDR, 156) \
	X(DROP_FRAG_NOSUPPORT, 157) \
	X(DROP_NO_SERVICE, 158) \
	X(DROP_UNSUPP_SERVICE_PROTO, 159) \
	X(DROP_NO_TUNNEL_ENDPOINT, 160) \
	X(DROP_NAT_46X64_DISABLED, 161) \
	X(DROP_EDT_HORIZON, 162) \
	X(DROP_UNKNOWN_CT, 163) \
	X(DROP_HOST_UNREACHABLE, 164) \
	X(DROP_NO_CONFIG, 165) \
	X(DROP_UNSUPPORTED_L2, 166) \
	X(DROP_NAT_NO_MAPPING, 167) \
	X(DROP_NAT_UNSUPP_PROTO, 168) \
	X(DROP_NO_FIB, 169) \
	X(DROP_ENCAP_PROHIBITED, 170) \
	X(DROP_INVALID_IDENTITY, 171) \
	X(DROP_UNKNOWN_SENDER, 172) \
	X(DROP_NAT_NOT_NEEDED, 173) \
	X(DROP_IS_CLUSTER_IP, 174) \
	X(DROP_FRAG_NOT_FOUND, 175) \
	X(DROP_FORBIDDEN_ICMP6, 176) \
	X(DROP_NOT_IN_SRC_RANGE, 177) \
	X(DROP_PROXY_LOOKUP_FAILED, 178) \
	X(DROP_PROXY_SET_FAILED, 179) \
	X(DROP_PROXY_UNKNOWN_PROTO, 180) \
	X(DROP_POLICY_DENY, 181) \
	X(DROP_VLAN_FILTERED, 182) \
	X(DROP_INVALID_VNI, 183) \
	X(DROP_INVALID_TC_BUFFER, 184) \
	X(DROP_NO_SID, 185) \
	X(DROP_NAT46, 187) \
	X(DROP_NAT64, 188) \
	X(DROP_POLICY_AUTH_REQUIRED, 189) \
	X(DROP_CT_NO_MAP_FOUND, 190) \
	X(DROP_SNAT_NO_MAP_FOUND, 191) \
	X(DROP_INVALID_CLUSTER_ID, 192) \
	X(DROP_DSR_ENCAP_UNSUPP_PROTO, 193) \
	X(DROP_NO_EGRESS_GATEWAY, 194) \
	X(DROP_UNENCRYPTED_TRAFFIC, 195) \
	X(DROP_TTL_EXCEEDED, 196) \
	X(DROP_NO_NODE_ID, 197) \
	X(DROP_RATE_LIMITED, 198) \
	X(DROP_IGMP_HANDLED, 199) \
	X(DROP_IGMP_SUBSCRIBED, 200) \
	X(DROP_MULTICAST_HANDLED, 201) \
	X(DROP_HOST_NOT_READY, 202) \
	X(DROP_EP_NOT_READY, 203) \
	X(DROP_NO_EGRESS_IP, 204) \
	X(DROP_PUNT_PROXY, 205) \
	X(DROP_NO_DEVICE, 206)

/* Negative values, as the BPF code returns them. */
#define DL_DROP_ENUM(name, num) name = -(num),
enum dl_drop_reason { DL_DROP_REASONS(DL_DROP_ENUM) };
#undef DL_DROP_ENUM

/* dsrlab's own reasons for packets it cannot process at all (never Cilium's): a capture packet
 * the codec refuses, or a hop limit the emulation imposes. Kept above Cilium's range. */
#define DL_DROP_DSRLAB_BASE 1000
enum {
	DL_DROP_UNPARSEABLE = -(DL_DROP_DSRLAB_BASE + 1), /* the codec refused the packet */
	DL_DROP_NO_ROUTE = -(DL_DROP_DSRLAB_BASE + 2),    /* the fabric knows no host for the address */
	DL_DROP_HOP_LIMIT = -(DL_DROP_DSRLAB_BASE + 3),   /* a forwarding loop: too many hops */
	DL_DROP_NO_RESPONDER = -(DL_DROP_DSRLAB_BASE + 4),/* reached a host with nothing listening */
	DL_DROP_WITHHELD = -(DL_DROP_DSRLAB_BASE + 5),    /* a captured server packet whose request
							    * never reached a pod: not re-injected */
};

/* The name of a drop code (negative or positive), e.g. "DROP_NO_SERVICE"; NULL if unknown. */
const char *dl_drop_name(int code);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_DROP_H */
