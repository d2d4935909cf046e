/* icmp.c: builds, in place, the ICMP errors of icmp.h: fragmentation needed / packet too big
 * for DSR (nodeport.h dsr_reply_icmp4/6) and port unreachable for a service without backends
 * (lb.h __tail_no_service_ipv4/6). When to send them is decided elsewhere (dsr.c, the hooks). */
#include "dsrlab/icmp.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"
#include "dsrlab/rewrite.h"

#define IPV4_HLEN      20
#define IPV4_CSUM_OFF  10
#define IPV6_HLEN      40
#define ICMP_HLEN      8
#define L4_DPORT_OFF   2 /* TCP_DPORT_OFF == UDP_DPORT_OFF */
#define IP_DF          0x4000
#define MAX_IPOPTLEN   40
#define QUOTE4_V115_MAX (IPV4_HLEN + MAX_IPOPTLEN + DL_ICMP4_QUOTE_V115_L4)

/* A plain Ethernet frame whose IP header of the given kind lies in the context. */
static bool eth_ip_fits(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t l3)
{
	size_t h = l3 == DL_L3_IPV4 ? IPV4_HLEN : IPV6_HLEN;

	if (pi->l3 != l3 || pi->l3_hdr_len < h)
		return false;
	if (pi->linktype != DL_LINKTYPE_ETHERNET && pi->linktype != 0)
		return false;
	if (pi->l3_off < DL_ETH_HLEN)
		return false;
	return dl_in_bounds(ctx->len, pi->l3_off, pi->l3_hdr_len);
}

/* ctx_adjust_troom: grows (zero bytes) or shrinks the end of the frame to new_len. */
static bool ctx_set_len(struct dl_ctx *ctx, uint32_t new_len)
{
	if (new_len > ctx->len) {
		if ((uint64_t)ctx->off + new_len > ctx->cap)
			return false;
		memset(dl_ctx_data(ctx) + ctx->len, 0, new_len - ctx->len);
	}
	ctx->len = new_len;
	return true;
}

/* Opens room for the new IP + ICMP headers right before the quote (which starts at l3_off),
 * then writes the swapped MACs and the EtherType. smac/dmac are the original frame's. */
static bool push_headers(struct dl_ctx *ctx, uint32_t l3_off, uint32_t n, const uint8_t smac[6],
			 const uint8_t dmac[6], uint16_t ethertype)
{
	uint8_t *d;

	if (dl_ctx_insert(ctx, l3_off, n))
		return false;
	d = dl_ctx_data(ctx);
	memcpy(d, smac, DL_ETH_ALEN);               /* back to whoever sent it */
	memcpy(d + DL_ETH_ALEN, dmac, DL_ETH_ALEN); /* from the address it was sent to */
	dl_wr16(d + l3_off - 2, ethertype);
	return true;
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Bytes of the IP packet present in the context: its claimed length, clipped to the capture. */
static uint32_t ip_bytes(const struct dl_ctx *ctx, const struct dl_pkt_info *pi)
{
	uint32_t have = ctx->len - pi->l3_off;

	return pi->l3_len < have ? pi->l3_len : have;
}

/* ---- fragmentation needed / packet too big ---- */

static int reply_icmp4_v115(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	uint8_t q[QUOTE4_V115_MAX], ip[IPV4_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6];
	const uint8_t *d = dl_ctx_data(ctx), *h = d + pi->l3_off;
	uint32_t hlen = (h[0] & 0x0fu) * 4, qlen = hlen + DL_ICMP4_QUOTE_V115_L4;
	uint32_t len_new = pi->l3_off + qlen;
	dl_wsum s;

	/* l4_dport_offset is only set for these two */
	if (h[9] != DL_IPPROTO_TCP && h[9] != DL_IPPROTO_UDP)
		return DROP_FRAG_NEEDED;
	if (hlen < IPV4_HLEN)
		return DROP_FRAG_NEEDED;
	/* ctx_store_bytes(ctx, len_new, zeros, MAX_IPOPTLEN) has to succeed */
	if (!dl_in_bounds(ctx->len, len_new, MAX_IPOPTLEN))
		return DROP_FRAG_NEEDED;

	memcpy(q, h, qlen);
	if (p->svc_addr)
		memcpy(q + 16, p->svc_addr, 4);
	/* nodeport.h: the quoted header's checksum is recomputed over struct iphdr (20 bytes),
	 * options or not */
	dl_wr16(q + IPV4_CSUM_OFF, 0);
	dl_wr16(q + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(q, IPV4_HLEN));
	/* ... and the service port goes at sizeof(struct iphdr) + the dport offset */
	if (p->svc_addr)
		dl_wr16(q + IPV4_HLEN + L4_DPORT_OFF, p->svc_port);

	ip[0] = 0x45;
	ip[1] = h[1];                                      /* TOS copied */
	dl_wr16(ip + 2, (uint16_t)(IPV4_HLEN + ICMP_HLEN + qlen));
	memcpy(ip + 4, h + 4, 2);                          /* ID copied */
	dl_wr16(ip + 6, IP_DF);
	ip[8] = DL_IPDEFTTL;
	ip[9] = DL_IPPROTO_ICMP;
	memcpy(ip + 12, p->saddr, 4);
	memcpy(ip + 16, h + 12, 4);                        /* to the client */
	dl_wr16(ip + IPV4_CSUM_OFF, 0);
	dl_wr16(ip + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(ip, IPV4_HLEN));

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMP_DEST_UNREACH;
	icmp[1] = DL_ICMP_FRAG_NEEDED;
	dl_wr16(icmp + 6, (uint16_t)p->mtu);
	s = dl_csum_partial(q, qlen, dl_csum_partial(icmp, sizeof(icmp), 0));
	dl_wr16(icmp + 2, dl_csum_fold(s));

	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	ctx->len = len_new;
	if (!push_headers(ctx, pi->l3_off, IPV4_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV4))
		return DROP_FRAG_NEEDED;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV4_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV4_HLEN, icmp, ICMP_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV4_HLEN + ICMP_HLEN, q, qlen);
	return dl_revalidate_data(ctx, pi) ? DROP_FRAG_NEEDED : 0;
}

/* Puts the DNATed packet back to svc_addr:svc_port with all checksums right: recent main
 * quotes the packet as the client sent it. */
static int restore_pre_dnat(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	bool ports = pi->l4_proto == DL_IPPROTO_TCP || pi->l4_proto == DL_IPPROTO_UDP;

	if (!p->svc_addr)
		return 0;
	if (pi->l3 == DL_L3_IPV4)
		return dl_lb4_xlate(ctx, pi, p->svc_addr, ports ? p->svc_port : 0);
	return dl_lb6_xlate(ctx, pi, p->svc_addr, ports ? p->svc_port : 0);
}

static int reply_icmp4_recent(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	uint8_t ip[IPV4_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6];
	const uint8_t *d, *h;
	uint32_t qlen;
	dl_wsum s;

	if (restore_pre_dnat(ctx, pi, p))
		return DROP_FRAG_NEEDED;
	d = dl_ctx_data(ctx);
	h = d + pi->l3_off;
	qlen = min_u32(ip_bytes(ctx, pi), p->profile == DL_ICMP_PROFILE_RECENT_XDP ? DL_ICMP4_QUOTE_XDP
										 : DL_ICMP4_QUOTE_TC_MAX);

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[1] = h[1];
	dl_wr16(ip + 2, (uint16_t)(IPV4_HLEN + ICMP_HLEN + qlen));
	ip[8] = DL_IPDEFTTL;
	ip[9] = DL_IPPROTO_ICMP;
	memcpy(ip + 12, p->saddr, 4);
	memcpy(ip + 16, h + 12, 4);
	dl_wr16(ip + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(ip, IPV4_HLEN));

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMP_DEST_UNREACH;
	icmp[1] = DL_ICMP_FRAG_NEEDED;
	dl_wr16(icmp + 6, (uint16_t)p->mtu);
	s = dl_csum_partial(h, qlen, dl_csum_partial(icmp, sizeof(icmp), 0));
	dl_wr16(icmp + 2, dl_csum_fold(s));

	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	ctx->len = pi->l3_off + qlen;
	if (!push_headers(ctx, pi->l3_off, IPV4_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV4))
		return DROP_FRAG_NEEDED;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV4_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV4_HLEN, icmp, ICMP_HLEN);
	return dl_revalidate_data(ctx, pi) ? DROP_FRAG_NEEDED : 0;
}

int dl_dsr_reply_icmp4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	if (!p->saddr || !eth_ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_FRAG_NEEDED;
	if (p->profile == DL_ICMP_PROFILE_V1_15)
		return reply_icmp4_v115(ctx, pi, p);
	return reply_icmp4_recent(ctx, pi, p);
}

/* The ICMPv6 checksum of header icmp (8 bytes) + quote q, from saddr to daddr. */
static dl_sum16 icmp6_csum(const uint8_t saddr[16], const uint8_t daddr[16], const uint8_t *icmp,
			   const uint8_t *q, uint32_t qlen)
{
	dl_wsum s = dl_csum_pseudo6(saddr, daddr, DL_IPPROTO_ICMPV6, ICMP_HLEN + qlen, 0);

	s = dl_csum_partial(icmp, ICMP_HLEN, s);
	return dl_csum_fold(dl_csum_partial(q, qlen, s));
}

static int reply_icmp6_v115(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	uint8_t q[IPV6_HLEN + DL_ICMP6_QUOTE_V115], ip[IPV6_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6];
	const uint8_t *d = dl_ctx_data(ctx), *h = d + pi->l3_off;
	uint32_t qlen = sizeof(q), len_new = pi->l3_off + qlen;

	/* only a TCP or UDP header right after the base header is understood */
	if (h[6] != DL_IPPROTO_TCP && h[6] != DL_IPPROTO_UDP)
		return DROP_FRAG_NEEDED;
	/* ctx_load_bytes of the 64 bytes after the header */
	if (len_new > ctx->len)
		return DROP_FRAG_NEEDED;

	memcpy(q, h, qlen);
	if (p->svc_addr) {
		memcpy(q + 24, p->svc_addr, 16);
		dl_wr16(q + IPV6_HLEN + L4_DPORT_OFF, p->svc_port);
	}

	memcpy(ip, h, 4); /* version, traffic class, flow label */
	dl_wr16(ip + 4, (uint16_t)(ICMP_HLEN + qlen));
	ip[6] = DL_IPPROTO_ICMPV6;
	ip[7] = DL_IPDEFTTL;
	memcpy(ip + 8, p->saddr, 16);
	memcpy(ip + 24, h + 8, 16);

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMPV6_PKT_TOOBIG;
	dl_wr32(icmp + 4, p->mtu);
	dl_wr16(icmp + 2, icmp6_csum(ip + 8, ip + 24, icmp, q, qlen));

	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	ctx->len = len_new;
	if (!push_headers(ctx, pi->l3_off, IPV6_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV6))
		return DROP_FRAG_NEEDED;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV6_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV6_HLEN, icmp, ICMP_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV6_HLEN + ICMP_HLEN, q, qlen);
	return dl_revalidate_data(ctx, pi) ? DROP_FRAG_NEEDED : 0;
}

static int reply_icmp6_recent(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	uint8_t ip[IPV6_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6];
	const uint8_t *d, *h;
	uint32_t qlen;

	if (restore_pre_dnat(ctx, pi, p))
		return DROP_FRAG_NEEDED;
	d = dl_ctx_data(ctx);
	h = d + pi->l3_off;
	qlen = min_u32(ip_bytes(ctx, pi), p->profile == DL_ICMP_PROFILE_RECENT_XDP ? DL_ICMP6_QUOTE_XDP
										 : DL_ICMP6_QUOTE_TC_MAX);

	dl_wr32(ip, 0x60000000u);
	dl_wr16(ip + 4, (uint16_t)(ICMP_HLEN + qlen));
	ip[6] = DL_IPPROTO_ICMPV6;
	ip[7] = DL_IPDEFTTL;
	memcpy(ip + 8, p->saddr, 16);
	memcpy(ip + 24, h + 8, 16);

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMPV6_PKT_TOOBIG;
	dl_wr32(icmp + 4, p->mtu);
	dl_wr16(icmp + 2, icmp6_csum(ip + 8, ip + 24, icmp, h, qlen));

	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	ctx->len = pi->l3_off + qlen;
	if (!push_headers(ctx, pi->l3_off, IPV6_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV6))
		return DROP_FRAG_NEEDED;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV6_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV6_HLEN, icmp, ICMP_HLEN);
	return dl_revalidate_data(ctx, pi) ? DROP_FRAG_NEEDED : 0;
}

int dl_dsr_reply_icmp6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p)
{
	if (!p->saddr || !eth_ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_FRAG_NEEDED;
	if (p->profile == DL_ICMP_PROFILE_V1_15)
		return reply_icmp6_v115(ctx, pi, p);
	return reply_icmp6_recent(ctx, pi, p);
}

/* ---- port unreachable for a service without backends ---- */

/* lb.h: sample_len = min(ctx_full_len, max), counting the L2 header, then the frame is cut or
 * zero-padded to L2 + sample_len. Returns the sample length, or 0 when the frame cannot grow. */
static uint32_t no_service_sample(struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint32_t max)
{
	uint32_t n = ctx->len < max ? ctx->len : max;

	if (!ctx_set_len(ctx, pi->l3_off + n))
		return 0;
	return n;
}

int dl_tail_no_service_ipv4(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint8_t ip[IPV4_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6], saddr[4], daddr[4], tos;
	const uint8_t *d, *h;
	uint32_t n;
	dl_wsum s;

	if (!eth_ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	d = dl_ctx_data(ctx);
	h = d + pi->l3_off;
	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	memcpy(saddr, h + 12, 4);
	memcpy(daddr, h + 16, 4);
	tos = h[1];

	n = no_service_sample(ctx, pi, DL_ICMP4_NO_SERVICE_SAMPLE);
	if (!n)
		return DROP_INVALID;

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMP_DEST_UNREACH;
	icmp[1] = DL_ICMP_PORT_UNREACH;
	s = dl_csum_partial(dl_ctx_data(ctx) + pi->l3_off, n, dl_csum_partial(icmp, sizeof(icmp), 0));
	dl_wr16(icmp + 2, dl_csum_fold(s));

	memset(ip, 0, sizeof(ip));
	ip[0] = 0x45;
	ip[1] = tos;
	dl_wr16(ip + 2, (uint16_t)(IPV4_HLEN + ICMP_HLEN + n));
	ip[8] = DL_IPDEFTTL;
	ip[9] = DL_IPPROTO_ICMP;
	memcpy(ip + 12, daddr, 4);
	memcpy(ip + 16, saddr, 4);
	dl_wr16(ip + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(ip, IPV4_HLEN));

	/* BPF_ADJ_ROOM_MAC: the new headers go right after the MAC header */
	if (!push_headers(ctx, pi->l3_off, IPV4_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV4))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV4_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV4_HLEN, icmp, ICMP_HLEN);
	return dl_revalidate_data(ctx, pi);
}

int dl_tail_no_service_ipv6(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint8_t ip[IPV6_HLEN], icmp[ICMP_HLEN], smac[6], dmac[6];
	const uint8_t *d, *h;
	uint32_t n;

	if (!eth_ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	d = dl_ctx_data(ctx);
	h = d + pi->l3_off;
	memcpy(smac, d + DL_ETH_ALEN, 6);
	memcpy(dmac, d, 6);
	dl_wr32(ip, 0x60000000u);
	ip[6] = DL_IPPROTO_ICMPV6;
	ip[7] = DL_IPDEFTTL;
	memcpy(ip + 8, h + 24, 16);  /* from the address it was sent to */
	memcpy(ip + 24, h + 8, 16);  /* to the client */

	n = no_service_sample(ctx, pi, DL_ICMP6_NO_SERVICE_SAMPLE);
	if (!n)
		return DROP_INVALID;
	dl_wr16(ip + 4, (uint16_t)(ICMP_HLEN + n));

	memset(icmp, 0, sizeof(icmp));
	icmp[0] = DL_ICMPV6_DEST_UNREACH;
	icmp[1] = DL_ICMPV6_PORT_UNREACH;
	dl_wr16(icmp + 2, icmp6_csum(ip + 8, ip + 24, icmp, dl_ctx_data(ctx) + pi->l3_off, n));

	if (!push_headers(ctx, pi->l3_off, IPV6_HLEN + ICMP_HLEN, smac, dmac, DL_ETH_P_IPV6))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, ip, IPV6_HLEN);
	memcpy(dl_ctx_data(ctx) + pi->l3_off + IPV6_HLEN, icmp, ICMP_HLEN);
	return dl_revalidate_data(ctx, pi);
}
