/* rewrite.c: in-place address, port, TTL and MAC rewrites with RFC 1624 checksum updates
 * (rewrite.h). The checksum arithmetic itself is csum.h's; adding or removing header bytes is
 * dsr.c's and icmp.c's business. */
#include "dsrlab/rewrite.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"

#define IPV4_HLEN       20
#define IPV4_CSUM_OFF   10
#define IPV4_TTL_OFF    8
#define IPV4_SADDR_OFF  12
#define IPV4_DADDR_OFF  16
#define IPV6_HLEN       40
#define IPV6_HOP_OFF    7
#define IPV6_SADDR_OFF  8
#define IPV6_DADDR_OFF  24
#define TCP_CSUM_OFF    16
#define UDP_CSUM_OFF    6
#define ICMP_CSUM_OFF   2
#define L4_SPORT_OFF    0 /* bpf/lib/l4.h: port offsets for UDP and TCP are the same */
#define L4_DPORT_OFF    2

/* For the per-packet helpers below: inlined into each caller, with its constants. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

int dl_revalidate_data(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint32_t linktype = pi->linktype ? pi->linktype : DL_LINKTYPE_ETHERNET;

	if (dl_pkt_parse(dl_ctx_data(ctx), ctx->len, linktype, pi) != DL_PARSE_OK)
		return DROP_INVALID;
	return 0;
}

/* True when *pi says the packet is of this L3 kind and its fixed header lies in the context. */
static bool l3_fits(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t l3, size_t hlen)
{
	return pi->l3 == l3 && dl_in_bounds(ctx->len, pi->l3_off, hlen);
}

/* True when the L4 header *pi describes is parsed and lies in the context. */
static bool l4_fits(const struct dl_ctx *ctx, const struct dl_pkt_info *pi)
{
	return pi->l4_off != 0 && pi->l4_hdr_len != 0 &&
	       dl_in_bounds(ctx->len, pi->l4_off, pi->l4_hdr_len);
}

/* Where the L4 checksum that sums the pseudo-header sits, or 0 when no checksum does:
 * ICMP (v4) has no pseudo-header, a later fragment has no L4 header, SCTP's CRC32c covers no
 * addresses. *udp is set for UDP, whose zero rule differs. */
static ALWAYS_INLINE size_t l4_pseudo_csum_field(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, bool *udp)
{
	size_t off;

	*udp = false;
	if (!l4_fits(ctx, pi))
		return 0;
	switch (pi->l4_proto) {
	case DL_IPPROTO_TCP:
		off = TCP_CSUM_OFF;
		break;
	case DL_IPPROTO_UDP:
		off = UDP_CSUM_OFF;
		*udp = true;
		break;
	case DL_IPPROTO_ICMPV6:
		if (pi->l3 != DL_L3_IPV6)
			return 0;
		off = ICMP_CSUM_OFF;
		break;
	default:
		return 0;
	}
	if (off + 2 > pi->l4_hdr_len)
		return 0;
	return pi->l4_off + off;
}

/* Adds diff (what the summed data changed by) to the L4 checksum, if there is one. */
static ALWAYS_INLINE void l4_csum_update(struct dl_ctx *ctx, const struct dl_pkt_info *pi, dl_wsum diff)
{
	uint8_t *d = dl_ctx_data(ctx);
	bool udp;
	size_t f = l4_pseudo_csum_field(ctx, pi, &udp);

	if (!f)
		return;
	if (udp)
		dl_wr16(d + f, dl_udp_csum_replace(dl_rd16(d + f), diff));
	else
		dl_wr16(d + f, dl_csum_replace_diff(dl_rd16(d + f), diff));
}

/* Writes an address of alen bytes at field (an offset in the frame) and carries the change
 * into the IPv4 header checksum (v4) and the pseudo-header of L4 (when l4 is set). */
static void addr_store(struct dl_ctx *ctx, const struct dl_pkt_info *pi, size_t field, const uint8_t *addr,
		       size_t alen, bool l4)
{
	uint8_t *d = dl_ctx_data(ctx);
	dl_wsum diff;

	if (alen == 4)
		diff = dl_csum_diff32(dl_rd32(d + field), dl_rd32(addr));
	else
		diff = dl_csum_diff128(d + field, addr);
	memcpy(d + field, addr, alen);
	if (pi->l3 == DL_L3_IPV4) {
		uint8_t *c = d + pi->l3_off + IPV4_CSUM_OFF;

		dl_wr16(c, dl_csum_replace_diff(dl_rd16(c), diff));
	}
	if (l4)
		l4_csum_update(ctx, pi, diff);
}

/* addr_store for an IPv4 address, inlined into the IPv4 rewrites. */
static ALWAYS_INLINE void addr_store4(struct dl_ctx *ctx, const struct dl_pkt_info *pi, size_t field,
				      const uint8_t addr[4])
{
	uint8_t *d = dl_ctx_data(ctx);
	dl_wsum diff = dl_csum_diff32(dl_rd32(d + field), dl_rd32(addr));

	memcpy(d + field, addr, 4);
	if (pi->l3 == DL_L3_IPV4) {
		uint8_t *c = d + pi->l3_off + IPV4_CSUM_OFF;

		dl_wr16(c, dl_csum_replace_diff(dl_rd16(c), diff));
	}
	l4_csum_update(ctx, pi, diff);
}

int dl_ipv4_rewrite_saddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[4])
{
	if (!l3_fits(ctx, pi, DL_L3_IPV4, IPV4_HLEN))
		return DROP_INVALID;
	addr_store4(ctx, pi, pi->l3_off + IPV4_SADDR_OFF, addr);
	memcpy(pi->src, addr, 4);
	return 0;
}

int dl_ipv4_rewrite_daddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[4])
{
	if (!l3_fits(ctx, pi, DL_L3_IPV4, IPV4_HLEN))
		return DROP_INVALID;
	addr_store4(ctx, pi, pi->l3_off + IPV4_DADDR_OFF, addr);
	memcpy(pi->dst, addr, 4);
	return 0;
}

int dl_ipv6_rewrite_saddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[16])
{
	if (!l3_fits(ctx, pi, DL_L3_IPV6, IPV6_HLEN))
		return DROP_INVALID;
	addr_store(ctx, pi, pi->l3_off + IPV6_SADDR_OFF, addr, 16, true);
	memcpy(pi->src, addr, 16);
	return 0;
}

int dl_ipv6_rewrite_daddr(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t addr[16])
{
	if (!l3_fits(ctx, pi, DL_L3_IPV6, IPV6_HLEN))
		return DROP_INVALID;
	/* RFC 8200 §8.1: with segments left, the pseudo-header sums the routing header's final
	 * destination, which this rewrite does not change. */
	addr_store(ctx, pi, pi->l3_off + IPV6_DADDR_OFF, addr, 16, pi->ipv6_final_dst_off == 0);
	memcpy(pi->dst, addr, 16);
	return 0;
}

/* Rewrites the 16-bit port at off (L4_SPORT_OFF or L4_DPORT_OFF) of a TCP or UDP header. */
static ALWAYS_INLINE int l4_port_store(struct dl_ctx *ctx, struct dl_pkt_info *pi, size_t off, uint16_t port)
{
	uint8_t *d = dl_ctx_data(ctx);
	uint16_t old;
	bool udp;
	size_t f;

	if (!dl_pkt_is_ip(pi) || !l4_fits(ctx, pi) || pi->l4_hdr_len < 8)
		return DROP_INVALID;
	if (pi->l4_proto != DL_IPPROTO_TCP && pi->l4_proto != DL_IPPROTO_UDP)
		return DROP_UNKNOWN_L4;
	old = dl_rd16(d + pi->l4_off + off);
	dl_wr16(d + pi->l4_off + off, port);
	f = l4_pseudo_csum_field(ctx, pi, &udp);
	if (udp)
		dl_wr16(d + f, dl_udp_csum_replace(dl_rd16(d + f), dl_csum_diff16(old, port)));
	else
		dl_wr16(d + f, dl_csum_replace16(dl_rd16(d + f), old, port));
	if (off == L4_SPORT_OFF)
		pi->sport = port;
	else
		pi->dport = port;
	return 0;
}

int dl_l4_rewrite_sport(struct dl_ctx *ctx, struct dl_pkt_info *pi, uint16_t port)
{
	return l4_port_store(ctx, pi, L4_SPORT_OFF, port);
}

int dl_l4_rewrite_dport(struct dl_ctx *ctx, struct dl_pkt_info *pi, uint16_t port)
{
	return l4_port_store(ctx, pi, L4_DPORT_OFF, port);
}

/* The port half of lb4_xlate: skipped for port 0, for a port already in place, and for a
 * packet without its L4 header (bpf/lib/lb.h: later fragments get L3 only). */
static int xlate_port(struct dl_ctx *ctx, struct dl_pkt_info *pi, bool dst, uint16_t port)
{
	if (!port || pi->frag == DL_FRAG_LATER)
		return 0;
	if (port == (dst ? pi->dport : pi->sport))
		return 0;
	return dst ? dl_l4_rewrite_dport(ctx, pi, port) : dl_l4_rewrite_sport(ctx, pi, port);
}

/* Checks the port half can be done before the address half changes anything, so a failing
 * call leaves the packet untouched. */
static int xlate_port_ok(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, bool dst, uint16_t port)
{
	if (!port || pi->frag == DL_FRAG_LATER || port == (dst ? pi->dport : pi->sport))
		return 0;
	if (pi->l4_proto != DL_IPPROTO_TCP && pi->l4_proto != DL_IPPROTO_UDP)
		return DROP_UNKNOWN_L4;
	if (!l4_fits(ctx, pi) || pi->l4_hdr_len < 8)
		return DROP_INVALID;
	return 0;
}

/* dl_ipv4_rewrite_daddr then xlate_port(dst), spelled out so the checks both make are made
 * once: the same reads, writes and checksum arithmetic in the same order. */
int dl_lb4_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t daddr[4], uint16_t dport)
{
	uint8_t *d, *a, *c;
	dl_wsum diff;
	uint16_t old;
	size_t f;
	bool udp;
	int ret = xlate_port_ok(ctx, pi, true, dport);

	if (ret)
		return ret;
	if (!l3_fits(ctx, pi, DL_L3_IPV4, IPV4_HLEN))
		return DROP_INVALID;
	d = dl_ctx_data(ctx);
	f = l4_pseudo_csum_field(ctx, pi, &udp);
	/* addr_store(daddr, l4) */
	a = d + pi->l3_off + IPV4_DADDR_OFF;
	diff = dl_csum_diff32(dl_rd32(a), dl_rd32(daddr));
	memcpy(a, daddr, 4);
	c = d + pi->l3_off + IPV4_CSUM_OFF;
	dl_wr16(c, dl_csum_replace_diff(dl_rd16(c), diff));
	if (f) {
		if (udp)
			dl_wr16(d + f, dl_udp_csum_replace(dl_rd16(d + f), diff));
		else
			dl_wr16(d + f, dl_csum_replace_diff(dl_rd16(d + f), diff));
	}
	memcpy(pi->dst, daddr, 4);
	/* xlate_port → l4_port_store(L4_DPORT_OFF), whose checks xlate_port_ok made (the
	 * address rewrite changes none of what they test). */
	if (!dport || pi->frag == DL_FRAG_LATER || dport == pi->dport)
		return 0;
	old = dl_rd16(d + pi->l4_off + L4_DPORT_OFF);
	dl_wr16(d + pi->l4_off + L4_DPORT_OFF, dport);
	if (udp)
		dl_wr16(d + f, dl_udp_csum_replace(dl_rd16(d + f), dl_csum_diff16(old, dport)));
	else
		dl_wr16(d + f, dl_csum_replace16(dl_rd16(d + f), old, dport));
	pi->dport = dport;
	return 0;
}

int dl_lb6_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t daddr[16], uint16_t dport)
{
	int ret = xlate_port_ok(ctx, pi, true, dport);

	if (ret)
		return ret;
	ret = dl_ipv6_rewrite_daddr(ctx, pi, daddr);
	return ret ? ret : xlate_port(ctx, pi, true, dport);
}

int dl_lb4_rev_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t saddr[4], uint16_t sport)
{
	int ret = xlate_port_ok(ctx, pi, false, sport);

	if (ret)
		return ret;
	ret = dl_ipv4_rewrite_saddr(ctx, pi, saddr);
	return ret ? ret : xlate_port(ctx, pi, false, sport);
}

int dl_lb6_rev_xlate(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t saddr[16], uint16_t sport)
{
	int ret = xlate_port_ok(ctx, pi, false, sport);

	if (ret)
		return ret;
	ret = dl_ipv6_rewrite_saddr(ctx, pi, saddr);
	return ret ? ret : xlate_port(ctx, pi, false, sport);
}

int dl_ipv4_dec_ttl(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint8_t *d, *w, *c;
	uint16_t old;

	if (!l3_fits(ctx, pi, DL_L3_IPV4, IPV4_HLEN))
		return DROP_INVALID;
	d = dl_ctx_data(ctx);
	w = d + pi->l3_off + IPV4_TTL_OFF;
	/* bpf/lib/l3.h ipv4_dec_ttl: a TTL of 1 would expire here, so it is not forwarded */
	if (w[0] <= 1)
		return DROP_TTL_EXCEEDED;
	old = dl_rd16(w); /* TTL and protocol share one 16-bit checksum word */
	w[0]--;
	c = d + pi->l3_off + IPV4_CSUM_OFF;
	dl_wr16(c, dl_csum_replace16(dl_rd16(c), old, dl_rd16(w)));
	pi->ttl = w[0];
	return 0;
}

int dl_ipv6_dec_hoplimit(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint8_t *h;

	if (!l3_fits(ctx, pi, DL_L3_IPV6, IPV6_HLEN))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off + IPV6_HOP_OFF;
	if (h[0] <= 1)
		return DROP_TTL_EXCEEDED;
	h[0]--;
	pi->ttl = h[0];
	return 0;
}

/* An Ethernet frame of at least a full header (after VLAN tags, if any). */
static bool eth_fits(const struct dl_ctx *ctx, const struct dl_pkt_info *pi)
{
	return (pi->linktype == DL_LINKTYPE_ETHERNET || pi->linktype == 0) && ctx->len >= DL_ETH_HLEN;
}

int dl_eth_store_saddr(struct dl_ctx *ctx, const struct dl_pkt_info *pi, const uint8_t mac[6])
{
	if (!eth_fits(ctx, pi))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx) + DL_ETH_ALEN, mac, DL_ETH_ALEN);
	return 0;
}

int dl_eth_store_daddr(struct dl_ctx *ctx, const struct dl_pkt_info *pi, const uint8_t mac[6])
{
	if (!eth_fits(ctx, pi))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx), mac, DL_ETH_ALEN);
	return 0;
}

int dl_eth_swap_addrs(struct dl_ctx *ctx, const struct dl_pkt_info *pi)
{
	uint8_t tmp[DL_ETH_ALEN], *d;

	if (!eth_fits(ctx, pi))
		return DROP_INVALID;
	d = dl_ctx_data(ctx);
	memcpy(tmp, d, DL_ETH_ALEN);
	memcpy(d, d + DL_ETH_ALEN, DL_ETH_ALEN);
	memcpy(d + DL_ETH_ALEN, tmp, DL_ETH_ALEN);
	return 0;
}
