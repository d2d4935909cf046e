/* rewrite.h: in-place header rewrites with incremental checksums, the way Cilium's datapath
 * does them: addresses and ports (lb4_xlate/lb6_xlate in bpf/lib/lb.h, snat_v4_rewrite_* /
 * snat_v6_rewrite_* in bpf/lib/nat.h), TTL and hop limit (ipv4_dec_ttl in bpf/lib/l3.h,
 * ipv6_dec_hoplimit in bpf/lib/ipv6.h) and Ethernet addresses (eth_store_saddr/daddr in
 * bpf/lib/eth.h). Nothing here adds or removes bytes: DSR options and encapsulations live in
 * dsr.h, ICMP errors in icmp.h, the IPv4 fragment map in frag.h.
 *
 * Every function takes the packet context and the struct dl_pkt_info that dl_pkt_parse filled
 * from the context's current bytes. Offsets in it are re-checked against the context before
 * any byte is touched, so a stale or forged info gives DROP_INVALID, never an out-of-bounds
 * access. On success the info is kept in step with the bytes (addresses, ports, TTL). */
#ifndef DSRLAB_REWRITE_H
#define DSRLAB_REWRITE_H

#include "dsrlab/common.h"
#include "dsrlab/codec.h"
#include "dsrlab/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_ETH_HLEN  14
#define DL_ETH_ALEN  6
#define DL_IPDEFTTL  64 /* IPDEFTTL, the TTL Cilium gives packets it builds */

/* Cilium's revalidate_data: parses the context's bytes again into *pi (the link type is
 * pi->linktype as the caller's earlier parse left it; 0 means Ethernet). Call it after
 * anything that moved bytes. Returns 0, or DROP_INVALID when the bytes no longer parse. */
int dl_revalidate_data(struct dl_ctx *ctx, struct dl_pkt_info *pi);

/* ---- L3/L4 addresses and ports ---- */

/* Sets the IPv4 source (or destination) address to addr (4 bytes, network order) and fixes
 * the IPv4 header checksum and, through the pseudo-header, the TCP, UDP (RFC 768 zero rule:
 * a checksum of 0 stays 0) checksum. ICMP has no pseudo-header and is left alone. A later
 * fragment has no L4 header, so only L3 changes (bpf/lib/lb.h: has_l4_header).
 * Returns 0, or DROP_INVALID (not IPv4, or *pi does not fit the context). */
int dl_ipv4_rewrite_saddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[4]);
int dl_ipv4_rewrite_daddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[4]);

/* The same for IPv6 (16 bytes). IPv6 has no header checksum; TCP, UDP and ICMPv6 carry the
 * addresses in their pseudo-header. Rewriting the destination of a packet whose routing header
 * names another final destination leaves L4 alone (that address is the one summed).
 * Returns 0, or DROP_INVALID. */
int dl_ipv6_rewrite_saddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[16]);
int dl_ipv6_rewrite_daddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[16]);

/* Sets the TCP or UDP source (destination) port, host order, fixing the L4 checksum (UDP zero
 * rule applies). The packet must have its L4 header (not a later fragment).
 * Returns 0, DROP_INVALID (no L4 header in bounds), or DROP_UNKNOWN_L4 (not TCP or UDP). */
int dl_l4_rewrite_sport(struct dl_ctx *ctx, struct dl_pkt_info *pi, uint16_t port);
int dl_l4_rewrite_dport(struct dl_ctx *ctx, struct dl_pkt_info *pi, uint16_t port);

/* Cilium's lb4_xlate / lb6_xlate: DNAT to addr:port. A port of 0 (or the packet's own)
 * leaves the port as it is, as lb4_xlate skips it; a later fragment gets L3 only.
 * Returns 0, DROP_INVALID, or DROP_UNKNOWN_L4 (a port to set on a protocol without one). */
int dl_lb4_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t daddr[4], uint16_t dport);
int dl_lb6_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t daddr[16], uint16_t dport);

/* The reverse (rev-DNAT of a reply, snat_v4_rewrite_egress of a DSR reply on the backend):
 * source to addr:port, same rules. Returns as dl_lb4_xlate. */
int dl_lb4_rev_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t saddr[4], uint16_t sport);
int dl_lb6_rev_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t saddr[16], uint16_t sport);

/* ---- TTL / hop limit ---- */

/* ipv4_dec_ttl: TTL - 1 with the header checksum updated incrementally (RFC 1624).
 * Returns 0, DROP_TTL_EXCEEDED (TTL was 0 or 1: the kernel would not forward it), or
 * DROP_INVALID. */
int dl_ipv4_dec_ttl(struct dl_ctx *ctx, struct dl_pkt_info *pi);

/* ipv6_dec_hoplimit: hop limit - 1 (no checksum covers it).
 * Returns 0, DROP_TTL_EXCEEDED, or DROP_INVALID. */
int dl_ipv6_dec_hoplimit(struct dl_ctx *ctx, struct dl_pkt_info *pi);

/* ---- Ethernet ---- */

/* eth_store_saddr / eth_store_daddr: the 6-byte source (destination) MAC of the frame.
 * Returns 0, or DROP_INVALID (not an Ethernet frame of at least 14 bytes). */
int dl_eth_store_saddr(struct dl_ctx *ctx, const struct dl_pkt_info *pi, const uint8_t mac[6]);
int dl_eth_store_daddr(struct dl_ctx *ctx, const struct dl_pkt_info *pi, const uint8_t mac[6]);

/* Swaps source and destination MAC, as replies sent back out the ingress device do.
 * Returns 0, or DROP_INVALID. */
int dl_eth_swap_addrs(struct dl_ctx *ctx, const struct dl_pkt_info *pi);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_REWRITE_H */
