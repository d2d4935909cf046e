/* icmp_err.h: ICMP/ICMPv6 error messages that quote a packet of a translated flow: reading the
 * quoted (inner) packet and rewriting outer and inner addresses/ports together, the way
 * Cilium's bpf/lib/nat.h does for related ICMP errors (snat_v4_rev_nat →
 * snat_v4_rev_nat_handle_icmp_error, snat_v6_rev_nat → snat_v6_rev_nat_handle_icmp_pkt_toobig;
 * recent main) and bpf/tests/scapy expects after rev-DNAT (nodeport_lb4_icmp_error_after,
 * dsr_backend_icmp4_err_after): every checksum valid afterwards.
 *
 * Every read is bounds-checked against the context and the IP length the outer header claims
 * (Ethernet padding is not part of the quote). A quote cut short keeps what it has: a port or
 * inner L4 checksum outside the quoted bytes is neither read nor written. */
#ifndef DSRLAB_ICMP_ERR_H
#define DSRLAB_ICMP_ERR_H
#include "dsrlab/common.h"
#include "dsrlab/codec.h"
#include "dsrlab/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The packet an ICMP error quotes. Offsets are from the start of the frame. */
struct dl_icmp_err_inner {
	uint8_t family;          /* 4 or 6, the same as the outer packet's */
	uint8_t proto;           /* the quoted packet's L4 protocol (IPv6: the fixed header's next header) */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;   /* TCP/UDP/SCTP, host order; 0 when !has_ports */
	bool has_ports;          /* the first 4 L4 bytes are quoted (and the quote is not a later fragment) */
	uint32_t l3_off, l4_off;
	uint32_t end;            /* first byte after the ICMP message */
};

/* True when *pi (a parsed frame) is an ICMP error message: ICMP dest-unreach, time-exceeded,
 * parameter-problem; ICMPv6 dest-unreach, packet-too-big, time-exceeded, parameter-problem. */
bool dl_icmp_is_error(const struct dl_pkt_info *pi);

/* Reads the quoted packet of the ICMP error in ctx (parsed into *pi).
 * Returns 0, or DROP_INVALID (not an ICMP error, or the quoted IP header is not all there or
 * is not of the outer family). */
int dl_icmp_err_inner(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, struct dl_icmp_err_inner *in);

/* What to change; a NULL address or a port of 0 keeps the field. Addresses are family-sized. */
struct dl_icmp_err_xlate {
	const uint8_t *outer_saddr, *outer_daddr;
	const uint8_t *inner_saddr, *inner_daddr;
	uint16_t inner_sport, inner_dport; /* host order */
};

/* Rewrites an ICMP error and its quoted packet in place: the outer addresses (IPv4 header
 * checksum; the ICMPv6 pseudo-header), the quoted addresses (quoted IPv4 header checksum),
 * the quoted ports, the quoted TCP/UDP (and ICMPv6) checksum through its pseudo-header and
 * ports (snat_v4_rewrite_headers on the inner header: l4_modify_port + csum_l4_replace with
 * BPF_F_PSEUDO_HDR; a UDP checksum of 0 stays 0), and the ICMP/ICMPv6 checksum for all of it
 * (RFC 1624 incremental updates throughout). *pi is re-parsed afterwards.
 * Returns 0, DROP_INVALID (not an ICMP error / quote unreadable), or DROP_CSUM_L4 (a port
 * change on a quoted SCTP packet, as snat_v4_rewrite_headers refuses it). Nothing changes on
 * failure. */
int dl_icmp_err_rewrite(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_err_xlate *x);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_ICMP_ERR_H */
