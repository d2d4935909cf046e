/* dsr.h: how Cilium's load balancer tells a remote backend which service a request was for
 * (Direct Server Return), for every dispatch: the IPv4 option 0x9a and the IPv6 Destination
 * Options header (loadBalancer.dsrDispatch=opt), IPIP/IP6IP6 encapsulation (ipip), and Geneve
 * with Cilium's DSR TLV (geneve); each with its decoder for the backend side, the predicate for
 * which packets carry the information, and the MTU check with the overhead to advertise.
 * Source: bpf/lib/nodeport.h (dsr_set_opt4, dsr_set_ext6, dsr_set_ipip4/6, encap_geneve_dsr_opt4/6,
 * find_dsr_v6, nodeport_extract_dsr_v4, dsr_is_too_big; v1.15-era) and bpf/lib/dsr.h (recent
 * main). Spec: cilium-datapath.md §1–§4.
 *
 * Not here: choosing the backend and the DNAT (lb.h, rewrite.h), the conntrack and NAT
 * entries the backend creates from the decoded VIP:port (ct.h, nat.h), and the ICMP error sent
 * when a packet would outgrow the MTU (icmp.h).
 *
 * Every encoder and decoder takes the packet context and the struct dl_pkt_info parsed from
 * its current bytes, re-checks every offset against the context before reading or writing,
 * and re-parses the packet (dl_revalidate_data) after changing its size, so *pi always
 * describes the bytes on return 0. Nothing here allocates. */
#ifndef DSRLAB_DSR_H
#define DSRLAB_DSR_H

#include "dsrlab/common.h"
#include "dsrlab/codec.h"
#include "dsrlab/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants (bpf/lib/dsr.h, bpf/lib/nodeport.h, bpf/lib/tunnel.h, bpf/lib/ipv6.h) ---- */

#define DL_DSR_IPV4_OPT_TYPE 0x9a /* IPOPT_COPY (0x80) | 26: copied, class control, unassigned */
#define DL_DSR_IPV4_OPT_LEN  8
#define DL_DSR_IPV6_OPT_TYPE 0x1b /* skip if unknown, not changed en route, number 27 */
#define DL_DSR_IPV6_OPT_LEN  20   /* option data: 24 - 4 */
#define DL_DSR_IPV6_EXT_LEN  2    /* Hdr Ext Len: (24 - 8) / 8 */
#define DL_MAX_IPOPTLEN      40
#define DL_IPV6_MAX_HEADERS  4    /* extension headers find_dsr_v6 walks before giving up */

#define DL_TUNNEL_PORT          6081   /* Geneve */
#define DL_GENEVE_PROTO_TEB     0x6558 /* Transparent Ethernet Bridging */
#define DL_GENEVE_OPT_CLASS     0x014b /* Cilium's IANA option class */
#define DL_GENEVE_DSR_OPT_TYPE  0x81   /* critical bit | 1 */
#define DL_WORLD_ID             2      /* identity "world": the VNI of a DSR request */

/* ---- wire layouts; byte order is in the type (be16/be32 hold the bytes as on the wire) ---- */

/* bpf/lib/nodeport.h struct dsr_opt_v4. In legacy byte order port and addr hold the
 * network-order value byte-swapped (bpf_htons of an already big-endian value on x86). */
struct dl_dsr_opt_v4 {
	uint8_t type;
	uint8_t len;
	be16 port;
	be32 addr;
};
DL_STATIC_ASSERT(sizeof(struct dl_dsr_opt_v4) == 8, "dsr_opt_v4 is 8 bytes (IHL + 2)");

/* bpf/lib/nodeport.h struct dsr_opt_v6: a whole Destination Options header. */
struct dl_dsr_opt_v6 {
	uint8_t nexthdr;
	uint8_t hdrlen;
	uint8_t opt_type;
	uint8_t opt_len;
	uint8_t addr[16];
	be16 port;
	uint16_t pad;   /* two Pad1 options (zeros) */
};
DL_STATIC_ASSERT(sizeof(struct dl_dsr_opt_v6) == 24, "dsr_opt_v6 is 24 bytes");
DL_STATIC_ASSERT(sizeof(struct dl_dsr_opt_v6) % 8 == 0, "IPv6 extension headers are 8-byte multiples");

/* RFC 8926 Geneve base header. */
struct dl_genevehdr {
	uint8_t ver_optlen; /* version (2 bits, 0) | option length in 4-byte words (6 bits) */
	uint8_t flags;      /* O | C | reserved */
	be16 protocol_type;
	uint8_t vni[3];
	uint8_t reserved;
};
DL_STATIC_ASSERT(sizeof(struct dl_genevehdr) == 8, "genevehdr is 8 bytes");

struct dl_geneve_opt_hdr {
	be16 opt_class;
	uint8_t type;
	uint8_t length;     /* reserved (3 bits) | data length in 4-byte words (5 bits) */
};
DL_STATIC_ASSERT(sizeof(struct dl_geneve_opt_hdr) == 4, "geneve option header is 4 bytes");

/* bpf/lib/dsr.h struct geneve_dsr_opt4/6: address and port in network order. */
struct dl_geneve_dsr_opt4 {
	struct dl_geneve_opt_hdr hdr;
	be32 addr;
	be16 port;
	uint16_t pad;
};
DL_STATIC_ASSERT(sizeof(struct dl_geneve_dsr_opt4) == 12, "geneve_dsr_opt4 is 12 bytes");

struct dl_geneve_dsr_opt6 {
	struct dl_geneve_opt_hdr hdr;
	uint8_t addr[16];
	be16 port;
	uint16_t pad;
};
DL_STATIC_ASSERT(sizeof(struct dl_geneve_dsr_opt6) == 24, "geneve_dsr_opt6 is 24 bytes");

/* Outer headers of a Geneve-encapsulated frame, before the DSR option. */
#define DL_GENEVE_ENCAP_LEN (14 + 20 + 8 + 8) /* Ethernet + IPv4 + UDP + Geneve */

/* ---- configuration ---- */

enum dl_dsr_dispatch {
	DL_DSR_DISPATCH_OPT = 0, /* IPv4 option / IPv6 Destination Options header */
	DL_DSR_DISPATCH_IPIP,    /* IPIP / IP6IP6 */
	DL_DSR_DISPATCH_GENEVE,  /* Geneve with Cilium's DSR option */
};

/* Which Cilium to emulate where the two read versions differ (spec §0). */
enum dl_dsr_era {
	DL_DSR_ERA_V1_15 = 0, /* nodeport.h ~v1.14/1.15: TCP SYN carries the info; option bytes
			       * count toward the MTU only when attached; IPIP outer built in BPF */
	DL_DSR_ERA_RECENT,    /* 2025-26 main, from its tests: need_dsr_info; Geneve overhead always
			       * counts the option; IPIP outer added by the kernel tunnel device */
};

/* Byte order of the IPv4 option's port and address (spec §1.2). */
enum dl_dsr_opt_order {
	DL_DSR_OPT_ORDER_LEGACY = 0, /* v1.15 on little-endian: both fields byte-swapped on the wire */
	DL_DSR_OPT_ORDER_NETWORK,    /* TEST_DSR_OPT_NETWORK_BYTE_ORDER / recent main */
};

struct dl_dsr_cfg {
	enum dl_dsr_dispatch dispatch;
	enum dl_dsr_era era;
	enum dl_dsr_opt_order opt_order; /* IPv4 option only; LB and backend must agree */
	bool icmp_errors;  /* ENABLE_DSR_ICMP_ERRORS (DSR and pmtuDiscovery.enabled): the MTU check
			    * exists only then; without it the option or encapsulation is added
			    * whatever the size */
	uint32_t mtu;      /* THIS_MTU (recent main: CONFIG(device_mtu)) */
};

/* Per-flow state the caller's service conntrack entry holds (recent main only). */
struct dl_dsr_flow {
	bool ct_new;        /* this packet created the LB's service CT entry */
	bool need_dsr_info; /* the entry's need_dsr_info flag (set after a failover or an MTU error) */
};

/* ---- which packets carry the DSR information ---- */

/* Whether this packet gets the DSR information (the option, or the Geneve TLV).
 *  v1.15 (dsr_set_opt4, encap_geneve_dsr_opt4): TCP only when SYN is set, which covers the
 *    SYN-ACK; every non-TCP packet.
 *  recent main (inferred from bpf/tests/kpr_dsr_lb.h fixtures and cilium/cilium#47388,
 *    #47529, #48254, #47592): TCP when the packet created the service CT entry, when the entry
 *    has need_dsr_info (every segment after a failover carries it), or when it is a SYN
 *    without ACK (a SYN that reopens or reuses a known flow too); a SYN-ACK on a known flow
 *    goes without (kpr_v4_dsr_lb1_synack); every non-TCP packet.
 *  IPIP has no per-packet choice: every packet is encapsulated, *attach is true.
 * flow may be NULL (no CT state: ct_new and need_dsr_info false).
 * The TCP flags of a later fragment are read where its L4 header would be, as
 * l4_load_tcp_flags does.
 * Returns 0 with *attach set, DROP_CT_INVALID_HDR (TCP flags out of the packet), or
 * DROP_INVALID (*pi is not an IP packet in the context). */
int dl_dsr_needs_info(const struct dl_dsr_cfg *cfg, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
		      const struct dl_dsr_flow *flow, bool *attach);

/* Recent main sets need_dsr_info on the service CT entry when a TCP segment without SYN
 * creates it (the client came from another LB node; kpr_v4_dsr_lb2_data) and after it sent an
 * ICMP fragmentation-needed (kpr_v4_dsr_lb3_mtu). This answers the first case (always false
 * for v1.15); the caller flags the second itself after dl_dsr_reply_icmp4/6. When the flag
 * clears again is UNCONFIRMED; dsrlab never clears it. */
bool dl_dsr_sets_need_info(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi,
			   const struct dl_dsr_flow *flow);

/* ---- MTU (spec §4) ---- */

/* Bytes the dispatch adds to a packet of this family (v6 true for IPv6), which is also what
 * the ICMP error subtracts from THIS_MTU:
 *   opt 8 / 24;  ipip 20 / 40;
 *   geneve 50 (+12 with the option) for IPv4 and 70 (+24) for IPv6 — Cilium counts
 *   sizeof(struct ipv6hdr) for the outer header of an IPv6 inner packet although the underlay
 *   is IPv4. v1.15 counts the option only when attached; recent main always (need_dsr_info).
 * With device_mtu 200 this gives 192, 180, 138/150, 176, 160, 106/130. */
uint16_t dl_dsr_ohead(const struct dl_dsr_cfg *cfg, bool v6, bool attach);

/* The length dsr_is_too_big compares with THIS_MTU: the IP packet's length (IPv4 tot_len,
 * IPv6 40 + payload_len) plus dl_dsr_ohead. */
uint32_t dl_dsr_expanded_len(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi, bool attach);

/* dsr_is_too_big: true when the check is compiled in (cfg->icmp_errors), the dispatch adds
 * bytes to this packet (the opt dispatch adds nothing when not attaching) and
 * dl_dsr_expanded_len > cfg->mtu. Recent main compares each GSO segment instead; dsrlab's
 * packets are never GSO aggregates. */
bool dl_dsr_is_too_big(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi, bool attach);

/* ---- the IPv4 option and the IPv6 Destination Options header (dsrDispatch=opt) ---- */

/* The 8 option bytes for svc_addr:svc_port (port host order) in the given byte order.
 * 10.96.0.10:80 gives 9a 08 50 00 0a 00 60 0a (legacy) or 9a 08 00 50 0a 60 00 0a (network). */
void dl_dsr_opt4_build(struct dl_dsr_opt_v4 *opt, const uint8_t svc_addr[4], uint16_t svc_port,
		       enum dl_dsr_opt_order order);

/* Inserts opt right after the 20-byte base header, before any options already there
 * (BPF_ADJ_ROOM_NET), with ihl += 2, tot_len += 8 and the header checksum updated by the diff
 * of the first word plus the new bytes (ipv4_csum_update_by_diff). The L4 checksum is not
 * touched: the pseudo-header has the L4 length, not tot_len.
 * Returns 0, DROP_CT_INVALID_HDR (ihl*4 + 8 > 60), or DROP_INVALID (not IPv4, tot_len would
 * pass 65535, no headroom). */
int __dl_dsr_set_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_opt_v4 *opt);

/* dsr_set_opt4 on a packet already DNATed to the backend: nothing when !attach; else the
 * header-length check, the MTU check, then __dl_dsr_set_opt4 with svc_addr:svc_port.
 * Returns 0 (the option is there, or attach was false), DROP_FRAG_NEEDED with *ohead = 8
 * (the caller answers with dl_dsr_reply_icmp4), or the codes of __dl_dsr_set_opt4. */
int dl_dsr_set_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg, bool attach,
		    const uint8_t svc_addr[4], uint16_t svc_port, uint16_t *ohead);

/* Inserts the 24-byte Destination Options header of §2.1 right after the 40-byte base header:
 * its next header is the base header's old one, the base header's becomes 60, and
 * payload_len += 24. No checksum changes.
 * Returns 0, or DROP_INVALID (not IPv6, payload_len would pass 65535, no headroom). */
int __dl_dsr_set_ext6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t svc_addr[16], uint16_t svc_port);

/* dsr_set_ext6: as dl_dsr_set_opt4 for IPv6. Returns 0, DROP_FRAG_NEEDED (*ohead = 24), or
 * the codes of __dl_dsr_set_ext6. */
int dl_dsr_set_ext6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg, bool attach,
		    const uint8_t svc_addr[16], uint16_t svc_port, uint16_t *ohead);

/* Backend side, nodeport_extract_dsr_v4: only the first option is looked at. With ihl >= 7
 * the 8 bytes after the base header are read; type 0x9a and length 8 make it DSR, and the
 * address and port are read back in the given order (port host order).
 * Returns 0 with *found set (addr/port filled when found), or DROP_INVALID (not IPv4, or the
 * option bytes are not in the packet). */
int dl_dsr_extract_opt4(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, enum dl_dsr_opt_order order,
			uint8_t addr[4], uint16_t *port, bool *found);

/* Backend side, find_dsr_v6: walks at most DL_IPV6_MAX_HEADERS extension headers from the
 * base header. A Destination Options header with Hdr Ext Len 2 whose first option is type
 * 0x1b, length 20 is the DSR one. Hop-by-Hop, Routing, AH and other Destination Options
 * headers are skipped; an upper-layer header ends the walk (not found).
 * Returns 0 with *found set, DROP_INVALID_EXTHDR (No Next Header, or more than 4 headers),
 * DROP_FRAG_NOSUPPORT (a Fragment header), or DROP_INVALID (a header runs out of the packet). */
int dl_dsr_find_opt6(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t addr[16], uint16_t *port,
		     bool *found);

/* ---- IPIP (dsrDispatch=ipip) ---- */

/* rss_gen_src4: the outer source. prefix_bits = 32 (the default, IPV4_RSS_PREFIX =
 * IPV4_DIRECT_ROUTING) gives prefix itself; fewer bits OR a hash_32 of
 * (client ^ l4_hint) into the host part (--bpf-lb-rss-ipv4-src-cidr), words read as the BPF
 * program loads them on a little-endian host. l4_hint is dl_rss_l4_hint(). */
void dl_rss_gen_src4(uint8_t out[4], const uint8_t prefix[4], unsigned prefix_bits, const uint8_t client[4],
		     uint32_t l4_hint);
void dl_rss_gen_src6(uint8_t out[16], const uint8_t prefix[16], unsigned prefix_bits, const uint8_t client[16],
		     uint32_t l4_hint);

/* CB_HINT: (tuple.sport << 16) | tuple.dport of the CT tuple (which holds the packet's ports
 * swapped), each port as its two wire bytes read little-endian. */
uint32_t dl_rss_l4_hint(uint16_t client_port, uint16_t service_port);

struct dl_ipip_encap4 {
	uint8_t saddr[4]; /* dl_rss_gen_src4 (by default the LB node's IPV4_DIRECT_ROUTING) */
	uint8_t daddr[4]; /* the backend */
};

struct dl_ipip_encap6 {
	uint8_t saddr[16];
	uint8_t daddr[16];
};

/* dsr_set_ipip4 on a packet that is NOT DNATed (lb4_local with skip_l3_xlate): the MTU check
 * (tot_len + 20), then an outer IPv4 header in front of the untouched inner one, protocol 4,
 * TTL 64, tot_len = inner + 20, checksum updated from the inner one's by diff as Cilium does.
 *  v1.15: TOS, ID and frag_off (so DF) copied from the inner header (BPF_ADJ_ROOM_NET moves
 *    the inner base header to the front and only tot_len, TTL, protocol and the addresses are
 *    rewritten). Cilium would also keep an inner ihl > 5, making the outer header claim the
 *    inner's first bytes as options; dsrlab writes ihl 5 instead.
 *  recent main: the kernel IPIP device builds the outer header from the tunnel key (TTL 64);
 *    TOS 0, ID 0 and no DF here are UNCONFIRMED choices (the kernel picks its own ID).
 * Returns 0, DROP_FRAG_NEEDED (*ohead = 20), or DROP_INVALID. */
int dl_dsr_set_ipip4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
		     const struct dl_ipip_encap4 *e, uint16_t *ohead);

/* dsr_set_ipip6: outer IPv6 header, next header 41, hop limit 64, payload_len = inner
 * 40 + payload_len. v1.15 keeps the inner's traffic class and flow label in the outer header;
 * recent main (UNCONFIRMED) zeroes them. Returns 0, DROP_FRAG_NEEDED (*ohead = 40), or
 * DROP_INVALID. */
int dl_dsr_set_ipip6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
		     const struct dl_ipip_encap6 *e, uint16_t *ohead);

/* Backend side: strips the outer IPv4 (protocol 4 or 41) or IPv6 (next header 4 or 41 right
 * after the base header) header, as the kernel tunnel device or ipip_termination.h does, and
 * fixes the EtherType. The inner packet is not changed.
 * Returns 0, or DROP_INVALID (not IPIP, or the inner packet does not parse). */
int dl_dsr_ipip_decap(struct dl_ctx *ctx, struct dl_pkt_info *pi);

/* ---- Geneve (dsrDispatch=geneve) ---- */

/* tunnel_gen_src_port_v4/v6 (recent-main XDP): the outer UDP source port from
 * hash_from_tuple_v4/v6 of the DNATed inner flow: jhash over the client address, the port
 * word ((client port << 16) | backend port, each as its wire bytes read little-endian) and the
 * protocol, seeded by HASH_INIT4_SEED / HASH_INIT6_SEED; then (hash >> 16) ^ (hash & 0xffff)
 * stored as a __be16. Returns the port as it reads on the wire, host order.
 * With seeds 0xcafe / 0xeb9f the bpf/tests fixtures give 56602 (110.0.11.1:22330 ->
 * 192.168.0.1:22331) and 18056 (2001::1:22330 -> fd04::1:33441). Under tc the kernel's Geneve
 * device picks the port; dsrlab uses the same function there. */
uint16_t dl_tunnel_gen_src_port_v4(const uint8_t client[4], uint16_t client_port, uint16_t backend_port,
				   uint8_t proto, uint32_t seed);
uint16_t dl_tunnel_gen_src_port_v6(const uint8_t client[16], uint16_t client_port, uint16_t backend_port,
				   uint8_t proto, uint32_t seed);

struct dl_geneve_encap {
	uint8_t saddr[4]; /* IPV4_DIRECT_ROUTING of the LB node */
	uint8_t daddr[4]; /* the backend's tunnel endpoint (its node); 0.0.0.0: none known */
	uint16_t sport;   /* outer UDP source port, host order (dl_tunnel_gen_src_port_*) */
	uint8_t ttl;      /* outer TTL as built (DL_IPDEFTTL); the v4 FIB redirect then
			   * decrements it (63 in the fixtures), which is the caller's step */
	uint32_t vni;     /* 24 bits: DL_WORLD_ID for DSR requests */
};

/* The Geneve TLV for svc_addr:svc_port (port host order). */
void dl_geneve_dsr_opt4_build(struct dl_geneve_dsr_opt4 *opt, const uint8_t svc_addr[4], uint16_t svc_port);
void dl_geneve_dsr_opt6_build(struct dl_geneve_dsr_opt6 *opt, const uint8_t svc_addr[16], uint16_t svc_port);

/* The encapsulation itself: puts outer Ethernet (MACs copied from the inner frame, EtherType
 * IPv4; the caller's FIB step sets them), IPv4 (TOS 0, ID 0, no DF, protocol 17, checksum),
 * UDP (sport, dport 6081, checksum 0 as BPF_F_ZERO_CSUM_TX), Geneve (version 0, flags 0,
 * protocol 0x6558, VNI) and opt (opt_len bytes, 0 for none) in front of the whole frame, which
 * becomes the inner Ethernet frame unchanged.
 * Returns 0, DROP_NO_TUNNEL_ENDPOINT (daddr 0.0.0.0), or DROP_INVALID (no headroom, the
 * outer packet would pass 65535 bytes, opt_len not a multiple of 4 or over 252). */
int __dl_encap_geneve(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_geneve_encap *e,
		      const void *opt, uint32_t opt_len);

/* encap_geneve_dsr_opt4 / encap_geneve_dsr_opt6 on a packet already DNATed to the backend:
 * the option only when attach; the MTU check with dl_dsr_ohead; then __dl_encap_geneve. The
 * inner TTL is not decremented.
 * Returns 0, DROP_FRAG_NEEDED (*ohead = 50/62 or 70/94 as dl_dsr_ohead), or the codes of
 * __dl_encap_geneve. */
int dl_encap_geneve_dsr_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
			     bool attach, const uint8_t svc_addr[4], uint16_t svc_port,
			     const struct dl_geneve_encap *e, uint16_t *ohead);
int dl_encap_geneve_dsr_opt6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
			     bool attach, const uint8_t svc_addr[16], uint16_t svc_port,
			     const struct dl_geneve_encap *e, uint16_t *ohead);

/* What the backend learns from a Geneve frame. */
struct dl_geneve_dsr_info {
	uint32_t vni;
	bool found;        /* the first option is Cilium's DSR one */
	uint8_t addr[16];  /* the VIP: 4 bytes for an IPv4 inner packet, 16 for IPv6 */
	uint16_t port;     /* host order */
};

/* Backend side: the kernel Geneve device hands bpf_overlay the inner frame and the options;
 * nodeport_extract_dsr_v4/v6 read them with ctx_get_tunnel_opt into a struct geneve_dsr_opt4
 * (IPv4 inner packet) or _opt6 (IPv6), then match the FIRST option's class and type (0x014B,
 * 0x81) and take address and port from their fixed places (an all-zero address, as older LBs
 * sent, is accepted). As bpf_skb_get_tunnel_opt does, options longer than that struct make the
 * read fail (no DSR found), and shorter ones are zero-padded. This checks the outer IPv4 and
 * UDP (dport 6081) and the Geneve header (version 0, protocol 0x6558, options inside the
 * packet), fills *out, and strips everything before the inner Ethernet header.
 * Returns 0, or DROP_INVALID (not such a frame, or the inner frame does not parse). */
int dl_geneve_dsr_decap(struct dl_ctx *ctx, struct dl_pkt_info *pi, struct dl_geneve_dsr_info *out);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_DSR_H */
