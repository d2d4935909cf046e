/* dsr.c: DSR encode and decode for the opt, ipip and geneve dispatches, the "which packets
 * carry the info" predicate and the MTU arithmetic (dsr.h). DNAT and TTL changes are
 * rewrite.c's; the ICMP error for an oversized packet is icmp.c's. */
#include "dsrlab/dsr.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"
#include "dsrlab/maglev_hash.h"
#include "dsrlab/rewrite.h"

#define IPV4_HLEN       20
#define IPV4_CSUM_OFF   10
#define IPV6_HLEN       40
#define UDP_HLEN        8
#define GENEVE_HLEN     8
#define TCP_FLAGS_OFF   13
#define MAX_IP_LEN      65535u
#define GENEVE_OPT_MAX  252u /* 6-bit length in 4-byte words */
#define NEXTHDR_HOP     0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAG    44
#define NEXTHDR_AUTH    51
#define NEXTHDR_NONE    59
#define NEXTHDR_DEST    60

static inline uint16_t bswap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }

/* A 32-bit word as a little-endian host loads the four bytes (what BPF sees on x86). */
static inline uint32_t rd32le(const uint8_t *p) { return dl_rd32le(p); }

/* The IP header *pi describes (base header at least) lies in the context. */
static bool ip_fits(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t l3)
{
	size_t h = l3 == DL_L3_IPV4 ? IPV4_HLEN : IPV6_HLEN;

	if (pi->l3 != l3 || pi->l3_hdr_len < h)
		return false;
	return dl_in_bounds(ctx->len, pi->l3_off, pi->l3_hdr_len);
}

/* A plain Ethernet frame: the EtherType sits right before L3. */
static bool eth_frame(const struct dl_ctx *ctx, const struct dl_pkt_info *pi)
{
	return (pi->linktype == DL_LINKTYPE_ETHERNET || pi->linktype == 0) && pi->l3_off >= DL_ETH_HLEN &&
	       pi->l3_off <= ctx->len;
}

/* ---- which packets carry the info ---- */

/* l4_load_tcp_flags: the flags byte where the TCP header would be. For a later fragment that
 * is fragment data, exactly as the BPF program reads it. */
static int load_tcp_flags(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t *flags)
{
	size_t at = (size_t)pi->l3_off + pi->l3_hdr_len + TCP_FLAGS_OFF;

	if (!dl_in_bounds(ctx->len, at, 1))
		return DROP_CT_INVALID_HDR;
	*flags = dl_ctx_data(ctx)[at];
	return 0;
}

int dl_dsr_needs_info(const struct dl_dsr_cfg *cfg, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
		      const struct dl_dsr_flow *flow, bool *attach)
{
	uint8_t flags;
	int ret;

	*attach = false;
	if (!dl_pkt_is_ip(pi) || !ip_fits(ctx, pi, pi->l3))
		return DROP_INVALID;
	/* IPIP carries the VIP as the inner destination of every packet */
	if (cfg->dispatch == DL_DSR_DISPATCH_IPIP || pi->l4_proto != DL_IPPROTO_TCP) {
		*attach = true;
		return 0;
	}
	/* recent main (kpr_dsr_lb.h): the first packet of a new flow and every segment of a flow
	 * flagged need_dsr_info carry it */
	if (cfg->era == DL_DSR_ERA_RECENT && flow && (flow->ct_new || flow->need_dsr_info)) {
		*attach = true;
		return 0;
	}
	ret = load_tcp_flags(ctx, pi, &flags);
	if (ret)
		return ret;
	/* v1.15, bpf/lib/nodeport.h dsr_set_opt4: any segment with SYN (so SYN-ACK too).
	 * recent main: a SYN without ACK, also on a known flow (cilium/cilium#47388 takes
	 * need_dsr_info from the SYN flag the CT lookup saw), but not a SYN-ACK on a known flow
	 * (kpr_v4_dsr_lb1_synack) */
	if (cfg->era == DL_DSR_ERA_RECENT)
		*attach = (flags & (DL_TCP_SYN | DL_TCP_ACK)) == DL_TCP_SYN;
	else
		*attach = (flags & DL_TCP_SYN) != 0;
	return 0;
}

bool dl_dsr_sets_need_info(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi,
			   const struct dl_dsr_flow *flow)
{
	if (cfg->era != DL_DSR_ERA_RECENT || !flow || !flow->ct_new)
		return false;
	return pi->l4_proto == DL_IPPROTO_TCP && pi->l4_hdr_len && !(pi->tcp_flags & DL_TCP_SYN);
}

/* ---- MTU ---- */

static uint16_t ohead_for(enum dl_dsr_dispatch dispatch, enum dl_dsr_era era, bool v6, bool attach)
{
	uint16_t n;

	switch (dispatch) {
	case DL_DSR_DISPATCH_OPT:
		return v6 ? sizeof(struct dl_dsr_opt_v6) : sizeof(struct dl_dsr_opt_v4);
	case DL_DSR_DISPATCH_IPIP:
		return v6 ? IPV6_HLEN : IPV4_HLEN;
	case DL_DSR_DISPATCH_GENEVE:
	default:
		/* bpf/lib/nodeport.h encap_geneve_dsr_opt6 counts sizeof(struct ipv6hdr) for the
		 * outer header even though the underlay it builds is IPv4 */
		n = (uint16_t)((v6 ? IPV6_HLEN : IPV4_HLEN) + UDP_HLEN + GENEVE_HLEN + DL_ETH_HLEN);
		/* recent main counts the option whether or not it is attached (need_dsr_info) */
		if (attach || era == DL_DSR_ERA_RECENT)
			n += v6 ? sizeof(struct dl_geneve_dsr_opt6) : sizeof(struct dl_geneve_dsr_opt4);
		return n;
	}
}

static bool too_big(const struct dl_dsr_cfg *cfg, enum dl_dsr_dispatch dispatch, const struct dl_pkt_info *pi,
		    bool attach)
{
	bool v6 = pi->l3 == DL_L3_IPV6;

	if (!cfg->icmp_errors)
		return false;
	/* nothing is added to a packet the option is not attached to */
	if (dispatch == DL_DSR_DISPATCH_OPT && !attach)
		return false;
	return (uint32_t)pi->l3_len + ohead_for(dispatch, cfg->era, v6, attach) > cfg->mtu;
}

uint16_t dl_dsr_ohead(const struct dl_dsr_cfg *cfg, bool v6, bool attach)
{
	return ohead_for(cfg->dispatch, cfg->era, v6, attach);
}

uint32_t dl_dsr_expanded_len(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi, bool attach)
{
	return pi->l3_len + ohead_for(cfg->dispatch, cfg->era, pi->l3 == DL_L3_IPV6, attach);
}

bool dl_dsr_is_too_big(const struct dl_dsr_cfg *cfg, const struct dl_pkt_info *pi, bool attach)
{
	return too_big(cfg, cfg->dispatch, pi, attach);
}

static void set_ohead(uint16_t *ohead, uint16_t v)
{
	if (ohead)
		*ohead = v;
}

/* ---- IPv4 option ---- */

void dl_dsr_opt4_build(struct dl_dsr_opt_v4 *opt, const uint8_t svc_addr[4], uint16_t svc_port,
		       enum dl_dsr_opt_order order)
{
	uint8_t *port = (uint8_t *)&opt->port, *addr = (uint8_t *)&opt->addr;

	opt->type = DL_DSR_IPV4_OPT_TYPE;
	opt->len = DL_DSR_IPV4_OPT_LEN;
	if (order == DL_DSR_OPT_ORDER_NETWORK) {
		dl_wr16(port, svc_port);
		memcpy(addr, svc_addr, 4);
		return;
	}
	/* v1.15: bpf_htons/bpf_htonl of values that are already big-endian; on a little-endian
	 * LB both fields land on the wire byte-reversed (cilium/cilium#23262, not merged) */
	dl_wr16(port, bswap16(svc_port));
	addr[0] = svc_addr[3];
	addr[1] = svc_addr[2];
	addr[2] = svc_addr[1];
	addr[3] = svc_addr[0];
}

int __dl_dsr_set_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_opt_v4 *opt)
{
	uint8_t *h;
	uint32_t w_old, w_new, ihl, tot;
	dl_wsum diff;

	if (!ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	w_old = dl_rd32(h);
	ihl = (w_old >> 24) & 0x0f;
	tot = w_old & 0xffffu;
	if (ihl * 4 + sizeof(*opt) > IPV4_HLEN + DL_MAX_IPOPTLEN)
		return DROP_CT_INVALID_HDR;
	if (ihl < 5 || tot + sizeof(*opt) > MAX_IP_LEN)
		return DROP_INVALID;

	/* version/ihl | tos | tot_len: ihl grows by 2 words, tot_len by 8 bytes */
	w_new = (w_old & 0xf0ff0000u) | ((ihl + sizeof(*opt) / 4) << 24) | (tot + (uint32_t)sizeof(*opt));
	/* ipv4_csum_update_by_diff: the first word's diff plus the sum of the new bytes */
	diff = dl_csum_diff32(w_old, w_new);
	diff = dl_csum_diff(NULL, 0, (const uint8_t *)opt, sizeof(*opt), diff);

	/* BPF_ADJ_ROOM_NET: room after the base header, before any existing options */
	if (dl_ctx_insert(ctx, pi->l3_off + IPV4_HLEN, sizeof(*opt)))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	dl_wr32(h, w_new);
	memcpy(h + IPV4_HLEN, opt, sizeof(*opt));
	dl_wr16(h + IPV4_CSUM_OFF, dl_csum_replace_diff(dl_rd16(h + IPV4_CSUM_OFF), diff));
	return dl_revalidate_data(ctx, pi);
}

int dl_dsr_set_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg, bool attach,
		    const uint8_t svc_addr[4], uint16_t svc_port, uint16_t *ohead)
{
	struct dl_dsr_opt_v4 opt;

	if (!attach)
		return 0;
	if (!ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	/* bpf/lib/nodeport.h: options already present are fine, up to MAX_IPOPTLEN in all */
	if ((dl_ctx_data(ctx)[pi->l3_off] & 0x0f) * 4u + sizeof(opt) > IPV4_HLEN + DL_MAX_IPOPTLEN)
		return DROP_CT_INVALID_HDR;
	if (too_big(cfg, DL_DSR_DISPATCH_OPT, pi, true)) {
		set_ohead(ohead, sizeof(opt));
		return DROP_FRAG_NEEDED;
	}
	dl_dsr_opt4_build(&opt, svc_addr, svc_port, cfg->opt_order);
	return __dl_dsr_set_opt4(ctx, pi, &opt);
}

int dl_dsr_extract_opt4(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, enum dl_dsr_opt_order order,
			uint8_t addr[4], uint16_t *port, bool *found)
{
	struct dl_dsr_opt_v4 opt;
	const uint8_t *h, *a;
	uint16_t p;

	*found = false;
	if (!ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	/* base header (5 words) + the DSR option (2 words) */
	if ((h[0] & 0x0f) < 7)
		return 0;
	if (!dl_in_bounds(ctx->len, pi->l3_off + IPV4_HLEN, sizeof(opt)))
		return DROP_INVALID;
	memcpy(&opt, h + IPV4_HLEN, sizeof(opt));
	if (opt.type != DL_DSR_IPV4_OPT_TYPE || opt.len != DL_DSR_IPV4_OPT_LEN)
		return 0;
	p = dl_rd16((const uint8_t *)&opt.port);
	a = (const uint8_t *)&opt.addr;
	if (order == DL_DSR_OPT_ORDER_NETWORK) {
		*port = p;
		memcpy(addr, a, 4);
	} else {
		/* nodeport_extract_dsr_v4: bpf_ntohl/bpf_ntohs undo the LB's swap */
		*port = bswap16(p);
		addr[0] = a[3];
		addr[1] = a[2];
		addr[2] = a[1];
		addr[3] = a[0];
	}
	*found = true;
	return 0;
}

/* ---- IPv6 Destination Options header ---- */

int __dl_dsr_set_ext6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const uint8_t svc_addr[16], uint16_t svc_port)
{
	struct dl_dsr_opt_v6 opt;
	uint8_t *h;
	uint32_t plen;

	if (!ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	plen = dl_rd16(h + 4);
	if (plen + sizeof(opt) > MAX_IP_LEN)
		return DROP_INVALID;

	memset(&opt, 0, sizeof(opt));
	opt.nexthdr = h[6];
	opt.hdrlen = DL_DSR_IPV6_EXT_LEN;
	opt.opt_type = DL_DSR_IPV6_OPT_TYPE;
	opt.opt_len = DL_DSR_IPV6_OPT_LEN;
	memcpy(opt.addr, svc_addr, 16);
	/* unlike the IPv4 option, network order in every version read */
	dl_wr16((uint8_t *)&opt.port, svc_port);

	if (dl_ctx_insert(ctx, pi->l3_off + IPV6_HLEN, sizeof(opt)))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	h[6] = NEXTHDR_DEST;
	dl_wr16(h + 4, (uint16_t)(plen + sizeof(opt)));
	memcpy(h + IPV6_HLEN, &opt, sizeof(opt));
	return dl_revalidate_data(ctx, pi);
}

int dl_dsr_set_ext6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg, bool attach,
		    const uint8_t svc_addr[16], uint16_t svc_port, uint16_t *ohead)
{
	if (!attach)
		return 0;
	if (!ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	if (too_big(cfg, DL_DSR_DISPATCH_OPT, pi, true)) {
		set_ohead(ohead, sizeof(struct dl_dsr_opt_v6));
		return DROP_FRAG_NEEDED;
	}
	return __dl_dsr_set_ext6(ctx, pi, svc_addr, svc_port);
}

int dl_dsr_find_opt6(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, uint8_t addr[16], uint16_t *port,
		     bool *found)
{
	const uint8_t *d, *h;
	size_t len = IPV6_HLEN;
	uint8_t nh;

	*found = false;
	if (!ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	d = dl_ctx_data(ctx) + pi->l3_off;
	nh = d[6];
	for (int i = 0; i < DL_IPV6_MAX_HEADERS; i++) {
		switch (nh) {
		case NEXTHDR_NONE:
			return DROP_INVALID_EXTHDR;
		case NEXTHDR_FRAG:
			return DROP_FRAG_NOSUPPORT;
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_AUTH:
		case NEXTHDR_DEST:
			if (!dl_in_bounds(ctx->len, pi->l3_off + len, 2))
				return DROP_INVALID;
			h = d + len;
			if (nh == NEXTHDR_DEST && h[1] == DL_DSR_IPV6_EXT_LEN) {
				struct dl_dsr_opt_v6 opt;

				if (!dl_in_bounds(ctx->len, pi->l3_off + len, sizeof(opt)))
					return DROP_INVALID;
				memcpy(&opt, h, sizeof(opt));
				if (opt.opt_type == DL_DSR_IPV6_OPT_TYPE && opt.opt_len == DL_DSR_IPV6_OPT_LEN) {
					memcpy(addr, opt.addr, 16);
					*port = dl_rd16((const uint8_t *)&opt.port);
					*found = true;
					return 0;
				}
			}
			/* ipv6_authlen counts 4-byte words (+2), the others 8-byte ones (+1) */
			len += nh == NEXTHDR_AUTH ? ((size_t)h[1] + 2) * 4 : ((size_t)h[1] + 1) * 8;
			nh = h[0];
			break;
		default:
			return 0;
		}
	}
	/* reached the limit of supported extension headers */
	return DROP_INVALID_EXTHDR;
}

/* ---- IPIP ---- */

/* ghash.h hash_32: the top bits of key * 2^32/phi. */
static uint32_t hash_32(uint32_t key, unsigned bits)
{
	return bits ? (key * 0x9e3779b9u) >> (32 - bits) : 0;
}

/* OR bpf_htonl(v) into the four bytes at p. */
static void or_be32(uint8_t *p, uint32_t v)
{
	p[0] |= (uint8_t)(v >> 24);
	p[1] |= (uint8_t)(v >> 16);
	p[2] |= (uint8_t)(v >> 8);
	p[3] |= (uint8_t)v;
}

uint32_t dl_rss_l4_hint(uint16_t client_port, uint16_t service_port)
{
	return ((uint32_t)bswap16(service_port) << 16) | bswap16(client_port);
}

void dl_rss_gen_src4(uint8_t out[4], const uint8_t prefix[4], unsigned prefix_bits, const uint8_t client[4],
		     uint32_t l4_hint)
{
	unsigned bits = prefix_bits >= 32 ? 0 : 32 - prefix_bits;

	memcpy(out, prefix, 4);
	if (bits)
		or_be32(out, hash_32(rd32le(client) ^ l4_hint, bits));
}

void dl_rss_gen_src6(uint8_t out[16], const uint8_t prefix[16], unsigned prefix_bits, const uint8_t client[16],
		     uint32_t l4_hint)
{
	unsigned bits = prefix_bits >= 128 ? 0 : 128 - prefix_bits, todo;

	memcpy(out, prefix, 16);
	if (!bits)
		return;
	/* rss_gen_src6 fills the host part word by word from the last one up */
	if (bits > 96) {
		todo = bits - 96;
		or_be32(out, hash_32(rd32le(client) ^ l4_hint, todo));
		bits -= todo;
	}
	if (bits > 64) {
		todo = bits - 64;
		or_be32(out + 4, hash_32(rd32le(client + 4) ^ l4_hint, todo));
		bits -= todo;
	}
	if (bits > 32) {
		todo = bits - 32;
		or_be32(out + 8, hash_32(rd32le(client + 8) ^ l4_hint, todo));
		bits -= todo;
	}
	or_be32(out + 12, hash_32(rd32le(client + 12) ^ l4_hint, bits));
}

int dl_dsr_set_ipip4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
		     const struct dl_ipip_encap4 *e, uint16_t *ohead)
{
	uint8_t in[IPV4_HLEN], out[IPV4_HLEN], *h;
	uint32_t tot;

	if (!ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	tot = dl_rd16(h + 2);
	if (tot + IPV4_HLEN > MAX_IP_LEN)
		return DROP_INVALID;
	if (too_big(cfg, DL_DSR_DISPATCH_IPIP, pi, true)) {
		set_ohead(ohead, IPV4_HLEN);
		return DROP_FRAG_NEEDED;
	}
	memcpy(in, h, IPV4_HLEN);

	if (cfg->era == DL_DSR_ERA_V1_15) {
		/* bpf/lib/nodeport.h dsr_set_ipip4: the moved inner base header becomes the outer
		 * one; TOS, ID and frag_off stay, the rest is rewritten and the checksum follows
		 * by diff */
		memcpy(out, in, IPV4_HLEN);
		out[0] = 0x45;
		dl_wr16(out + 2, (uint16_t)(tot + IPV4_HLEN));
		out[8] = DL_IPDEFTTL;
		out[9] = DL_IPPROTO_IPIP;
		memcpy(out + 12, e->saddr, 4);
		memcpy(out + 16, e->daddr, 4);
		if ((in[0] & 0x0f) == 5) {
			dl_wsum diff = dl_csum_diff(in + 2, 2, out + 2, 2, 0);

			diff = dl_csum_diff(in + 8, 2, out + 8, 2, diff);
			diff = dl_csum_diff(in + 12, 8, out + 12, 8, diff);
			dl_wr16(out + IPV4_CSUM_OFF, dl_csum_replace_diff(dl_rd16(in + IPV4_CSUM_OFF), diff));
		} else {
			dl_wr16(out + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(out, IPV4_HLEN));
		}
	} else {
		/* recent main: the IPIP device builds it from the tunnel key (TTL 64) */
		memset(out, 0, IPV4_HLEN);
		out[0] = 0x45;
		dl_wr16(out + 2, (uint16_t)(tot + IPV4_HLEN));
		out[8] = DL_IPDEFTTL;
		out[9] = DL_IPPROTO_IPIP;
		memcpy(out + 12, e->saddr, 4);
		memcpy(out + 16, e->daddr, 4);
		dl_wr16(out + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(out, IPV4_HLEN));
	}

	if (dl_ctx_insert(ctx, pi->l3_off, IPV4_HLEN))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, out, IPV4_HLEN);
	return dl_revalidate_data(ctx, pi);
}

int dl_dsr_set_ipip6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
		     const struct dl_ipip_encap6 *e, uint16_t *ohead)
{
	uint8_t out[IPV6_HLEN], *h;
	uint32_t plen;

	if (!ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	h = dl_ctx_data(ctx) + pi->l3_off;
	plen = dl_rd16(h + 4) + IPV6_HLEN;
	if (plen > MAX_IP_LEN)
		return DROP_INVALID;
	if (too_big(cfg, DL_DSR_DISPATCH_IPIP, pi, true)) {
		set_ohead(ohead, IPV6_HLEN);
		return DROP_FRAG_NEEDED;
	}
	if (cfg->era == DL_DSR_ERA_V1_15)
		memcpy(out, h, 4); /* version, traffic class, flow label of the inner header */
	else
		dl_wr32(out, 0x60000000u);
	dl_wr16(out + 4, (uint16_t)plen);
	out[6] = DL_IPPROTO_IPV6;
	out[7] = DL_IPDEFTTL;
	memcpy(out + 8, e->saddr, 16);
	memcpy(out + 24, e->daddr, 16);

	if (dl_ctx_insert(ctx, pi->l3_off, IPV6_HLEN))
		return DROP_INVALID;
	memcpy(dl_ctx_data(ctx) + pi->l3_off, out, IPV6_HLEN);
	return dl_revalidate_data(ctx, pi);
}

int dl_dsr_ipip_decap(struct dl_ctx *ctx, struct dl_pkt_info *pi)
{
	uint8_t *d;
	uint32_t inner;
	unsigned want;

	if (!dl_pkt_is_ip(pi) || !ip_fits(ctx, pi, pi->l3) || !eth_frame(ctx, pi))
		return DROP_INVALID;
	if (pi->l4_proto == DL_IPPROTO_IPIP)
		want = 4;
	else if (pi->l4_proto == DL_IPPROTO_IPV6)
		want = 6;
	else
		return DROP_INVALID;
	if (pi->frag != DL_FRAG_NONE)
		return DROP_INVALID;
	inner = pi->l3_off + pi->l3_hdr_len;
	d = dl_ctx_data(ctx);
	if (!dl_in_bounds(ctx->len, inner, 1) || (d[inner] >> 4) != want)
		return DROP_INVALID;
	if (dl_ctx_remove(ctx, pi->l3_off, pi->l3_hdr_len))
		return DROP_INVALID;
	dl_wr16(dl_ctx_data(ctx) + pi->l3_off - 2, want == 4 ? DL_ETH_P_IPV4 : DL_ETH_P_IPV6);
	return dl_revalidate_data(ctx, pi);
}

/* ---- Geneve ---- */

uint16_t dl_tunnel_gen_src_port_v4(const uint8_t client[4], uint16_t client_port, uint16_t backend_port,
				   uint8_t proto, uint32_t seed)
{
	/* CT tuple of the DNATed packet: dport = client port, sport = backend port */
	uint32_t ports = ((uint32_t)bswap16(client_port) << 16) | bswap16(backend_port);
	uint32_t h = __dl_hash_from_tuple_v4(rd32le(client), ports, proto, seed);

	/* (hash >> 16) ^ (__be16)hash, stored as a __be16 by a little-endian host */
	return bswap16((uint16_t)((h >> 16) ^ (h & 0xffffu)));
}

uint16_t dl_tunnel_gen_src_port_v6(const uint8_t client[16], uint16_t client_port, uint16_t backend_port,
				   uint8_t proto, uint32_t seed)
{
	uint32_t w[4], ports = ((uint32_t)bswap16(client_port) << 16) | bswap16(backend_port), h;

	for (int i = 0; i < 4; i++)
		w[i] = rd32le(client + 4 * i);
	h = __dl_hash_from_tuple_v6(w, ports, proto, seed);
	return bswap16((uint16_t)((h >> 16) ^ (h & 0xffffu)));
}

static void geneve_opt_hdr(struct dl_geneve_opt_hdr *hdr, size_t total)
{
	dl_wr16((uint8_t *)&hdr->opt_class, DL_GENEVE_OPT_CLASS);
	hdr->type = DL_GENEVE_DSR_OPT_TYPE;
	hdr->length = (uint8_t)((total - sizeof(*hdr)) / 4);
}

void dl_geneve_dsr_opt4_build(struct dl_geneve_dsr_opt4 *opt, const uint8_t svc_addr[4], uint16_t svc_port)
{
	memset(opt, 0, sizeof(*opt));
	geneve_opt_hdr(&opt->hdr, sizeof(*opt));
	memcpy(&opt->addr, svc_addr, 4);
	dl_wr16((uint8_t *)&opt->port, svc_port);
}

void dl_geneve_dsr_opt6_build(struct dl_geneve_dsr_opt6 *opt, const uint8_t svc_addr[16], uint16_t svc_port)
{
	memset(opt, 0, sizeof(*opt));
	geneve_opt_hdr(&opt->hdr, sizeof(*opt));
	memcpy(opt->addr, svc_addr, 16);
	dl_wr16((uint8_t *)&opt->port, svc_port);
}

static bool addr4_is_zero(const uint8_t a[4]) { return !(a[0] | a[1] | a[2] | a[3]); }

int __dl_encap_geneve(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_geneve_encap *e,
		      const void *opt, uint32_t opt_len)
{
	uint32_t frame = ctx->len, hdr, udp_len;
	uint8_t *d, *ip, *udp, *g;

	if (!eth_frame(ctx, pi) || frame < DL_ETH_HLEN)
		return DROP_INVALID;
	if (addr4_is_zero(e->daddr))
		return DROP_NO_TUNNEL_ENDPOINT;
	if (opt_len % 4 || opt_len > GENEVE_OPT_MAX || (opt_len && !opt))
		return DROP_INVALID;
	udp_len = UDP_HLEN + GENEVE_HLEN + opt_len + frame;
	if (IPV4_HLEN + udp_len > MAX_IP_LEN)
		return DROP_INVALID;
	hdr = DL_GENEVE_ENCAP_LEN + opt_len;
	if (dl_ctx_adjust_head(ctx, -(int32_t)hdr))
		return DROP_INVALID;

	d = dl_ctx_data(ctx);
	/* outer Ethernet: placeholder MACs from the inner frame until the FIB step */
	memcpy(d, d + hdr, 2 * DL_ETH_ALEN);
	dl_wr16(d + 12, DL_ETH_P_IPV4);

	ip = d + DL_ETH_HLEN;
	memset(ip, 0, IPV4_HLEN);
	ip[0] = 0x45;
	dl_wr16(ip + 2, (uint16_t)(IPV4_HLEN + udp_len));
	ip[8] = e->ttl;
	ip[9] = DL_IPPROTO_UDP;
	memcpy(ip + 12, e->saddr, 4);
	memcpy(ip + 16, e->daddr, 4);
	dl_wr16(ip + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(ip, IPV4_HLEN));

	udp = ip + IPV4_HLEN;
	dl_wr16(udp, e->sport);
	dl_wr16(udp + 2, DL_TUNNEL_PORT);
	dl_wr16(udp + 4, (uint16_t)udp_len);
	dl_wr16(udp + 6, 0); /* BPF_F_ZERO_CSUM_TX */

	g = udp + UDP_HLEN;
	g[0] = (uint8_t)(opt_len / 4); /* version 0 */
	g[1] = 0;
	dl_wr16(g + 2, DL_GENEVE_PROTO_TEB);
	g[4] = (uint8_t)(e->vni >> 16);
	g[5] = (uint8_t)(e->vni >> 8);
	g[6] = (uint8_t)e->vni;
	g[7] = 0;
	if (opt_len)
		memcpy(g + GENEVE_HLEN, opt, opt_len);
	pi->linktype = DL_LINKTYPE_ETHERNET;
	return dl_revalidate_data(ctx, pi);
}

int dl_encap_geneve_dsr_opt4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
			     bool attach, const uint8_t svc_addr[4], uint16_t svc_port,
			     const struct dl_geneve_encap *e, uint16_t *ohead)
{
	struct dl_geneve_dsr_opt4 opt;

	if (!ip_fits(ctx, pi, DL_L3_IPV4))
		return DROP_INVALID;
	/* the ipcache lookup of the tunnel endpoint comes before the MTU check */
	if (addr4_is_zero(e->daddr))
		return DROP_NO_TUNNEL_ENDPOINT;
	if (too_big(cfg, DL_DSR_DISPATCH_GENEVE, pi, attach)) {
		set_ohead(ohead, ohead_for(DL_DSR_DISPATCH_GENEVE, cfg->era, false, attach));
		return DROP_FRAG_NEEDED;
	}
	if (!attach)
		return __dl_encap_geneve(ctx, pi, e, NULL, 0);
	dl_geneve_dsr_opt4_build(&opt, svc_addr, svc_port);
	return __dl_encap_geneve(ctx, pi, e, &opt, sizeof(opt));
}

int dl_encap_geneve_dsr_opt6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_dsr_cfg *cfg,
			     bool attach, const uint8_t svc_addr[16], uint16_t svc_port,
			     const struct dl_geneve_encap *e, uint16_t *ohead)
{
	struct dl_geneve_dsr_opt6 opt;

	if (!ip_fits(ctx, pi, DL_L3_IPV6))
		return DROP_INVALID;
	if (addr4_is_zero(e->daddr))
		return DROP_NO_TUNNEL_ENDPOINT;
	if (too_big(cfg, DL_DSR_DISPATCH_GENEVE, pi, attach)) {
		set_ohead(ohead, ohead_for(DL_DSR_DISPATCH_GENEVE, cfg->era, true, attach));
		return DROP_FRAG_NEEDED;
	}
	if (!attach)
		return __dl_encap_geneve(ctx, pi, e, NULL, 0);
	dl_geneve_dsr_opt6_build(&opt, svc_addr, svc_port);
	return __dl_encap_geneve(ctx, pi, e, &opt, sizeof(opt));
}

int dl_geneve_dsr_decap(struct dl_ctx *ctx, struct dl_pkt_info *pi, struct dl_geneve_dsr_info *out)
{
	const uint8_t *d = dl_ctx_data(ctx), *g, *o;
	uint32_t goff, optlen, inner, udp_end;
	uint16_t inner_type;
	uint8_t blob[sizeof(struct dl_geneve_dsr_opt6)];
	size_t want;

	memset(out, 0, sizeof(*out));
	if (!ip_fits(ctx, pi, DL_L3_IPV4) || !eth_frame(ctx, pi) || pi->frag != DL_FRAG_NONE)
		return DROP_INVALID;
	if (pi->l4_proto != DL_IPPROTO_UDP || pi->l4_hdr_len != UDP_HLEN || pi->dport != DL_TUNNEL_PORT ||
	    !dl_in_bounds(ctx->len, pi->l4_off, UDP_HLEN))
		return DROP_INVALID;
	/* the UDP length bounds the Geneve packet; the capture may end earlier */
	udp_end = pi->l4_off + pi->l4_len;
	if (udp_end > ctx->len)
		udp_end = ctx->len;
	goff = pi->l4_off + UDP_HLEN;
	if (goff + GENEVE_HLEN > udp_end)
		return DROP_INVALID;
	g = d + goff;
	if ((g[0] >> 6) != 0 || dl_rd16(g + 2) != DL_GENEVE_PROTO_TEB)
		return DROP_INVALID;
	optlen = (uint32_t)(g[0] & 0x3f) * 4;
	inner = goff + GENEVE_HLEN + optlen;
	if (inner + DL_ETH_HLEN > udp_end)
		return DROP_INVALID;
	inner_type = dl_rd16(d + inner + 12);
	if (inner_type != DL_ETH_P_IPV4 && inner_type != DL_ETH_P_IPV6)
		return DROP_INVALID;
	out->vni = ((uint32_t)g[4] << 16) | ((uint32_t)g[5] << 8) | g[6];

	/* ctx_get_tunnel_opt(ctx, &gopt, sizeof(gopt)): the whole option blob must fit the
	 * family's struct, a shorter one is zero-padded; then the first option is matched */
	want = inner_type == DL_ETH_P_IPV4 ? sizeof(struct dl_geneve_dsr_opt4) : sizeof(struct dl_geneve_dsr_opt6);
	if (optlen && optlen <= want) {
		memset(blob, 0, sizeof(blob));
		memcpy(blob, g + GENEVE_HLEN, optlen);
		o = blob;
		if (dl_rd16(o) == DL_GENEVE_OPT_CLASS && o[2] == DL_GENEVE_DSR_OPT_TYPE) {
			out->found = true;
			if (inner_type == DL_ETH_P_IPV4) {
				memcpy(out->addr, o + 4, 4);
				out->port = dl_rd16(o + 8);
			} else {
				memcpy(out->addr, o + 4, 16);
				out->port = dl_rd16(o + 20);
			}
		}
	}

	/* what the kernel Geneve device hands on: the inner frame, ending with the UDP payload */
	if (udp_end < ctx->len)
		ctx->len = udp_end;
	if (dl_ctx_adjust_head(ctx, (int32_t)inner))
		return DROP_INVALID;
	pi->linktype = DL_LINKTYPE_ETHERNET;
	return dl_revalidate_data(ctx, pi);
}
