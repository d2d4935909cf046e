/* icmp_err.c: the quoted packet of an ICMP error, and rewriting outer + quoted headers with
 * incremental checksums (icmp_err.h). Cilium: bpf/lib/nat.h snat_v4_rev_nat_handle_icmp_error,
 * snat_v6_rev_nat_handle_icmp_pkt_toobig, snat_v4_rewrite_headers (recent main). */
#include "dsrlab/icmp_err.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"
#include "dsrlab/rewrite.h"

#define ICMP_HLEN       8
#define ICMP_CSUM_OFF   2
#define IPV4_HLEN       20
#define IPV4_CSUM_OFF   10
#define IPV4_FRAG_OFF   6
#define IPV4_PROTO_OFF  9
#define IPV4_SADDR_OFF  12
#define IPV4_DADDR_OFF  16
#define IPV6_HLEN       40
#define IPV6_NEXT_OFF   6
#define IPV6_SADDR_OFF  8
#define IPV6_DADDR_OFF  24
#define TCP_CSUM_OFF    16
#define UDP_CSUM_OFF    6

bool dl_icmp_is_error(const struct dl_pkt_info *pi)
{
	if (!pi->l4_off || !pi->l4_hdr_len)
		return false;
	if (pi->l3 == DL_L3_IPV4 && pi->l4_proto == DL_IPPROTO_ICMP)
		return pi->icmp_type == 3 || pi->icmp_type == 11 || pi->icmp_type == 12;
	if (pi->l3 == DL_L3_IPV6 && pi->l4_proto == DL_IPPROTO_ICMPV6)
		return pi->icmp_type >= 1 && pi->icmp_type <= 4;
	return false;
}

int dl_icmp_err_inner(const struct dl_ctx *ctx, const struct dl_pkt_info *pi, struct dl_icmp_err_inner *in)
{
	const uint8_t *d = dl_ctx_data(ctx);
	uint32_t end, off, hlen;

	memset(in, 0, sizeof(*in));
	if (!dl_icmp_is_error(pi) || pi->frag != DL_FRAG_NONE)
		return DROP_INVALID;
	/* The message ends where the outer IP length says, or with the frame if that is shorter. */
	end = pi->l3_off + pi->l3_len;
	if (end < pi->l3_off || end > ctx->len)
		end = ctx->len;
	off = pi->l4_off + ICMP_HLEN;
	if (off < pi->l4_off || off > end)
		return DROP_INVALID;
	in->end = end;
	in->l3_off = off;
	if (pi->l3 == DL_L3_IPV4) {
		if (!dl_in_bounds(end, off, IPV4_HLEN) || (d[off] >> 4) != 4)
			return DROP_INVALID;
		hlen = (uint32_t)(d[off] & 0x0f) * 4;
		if (hlen < IPV4_HLEN || !dl_in_bounds(end, off, hlen))
			return DROP_INVALID;
		in->family = 4;
		in->proto = d[off + IPV4_PROTO_OFF];
		memcpy(in->src, d + off + IPV4_SADDR_OFF, 4);
		memcpy(in->dst, d + off + IPV4_DADDR_OFF, 4);
		in->l4_off = off + hlen;
		/* A quoted later fragment has no L4 header. */
		if (dl_rd16(d + off + IPV4_FRAG_OFF) & 0x1fff)
			return 0;
	} else {
		if (!dl_in_bounds(end, off, IPV6_HLEN) || (d[off] >> 4) != 6)
			return DROP_INVALID;
		in->family = 6;
		/* The fixed header's next header only: a quoted packet with extension headers keeps
		 * its ports unread (Cilium walks them with ipv6_hdrlen_offset; dsrlab does not). */
		in->proto = d[off + IPV6_NEXT_OFF];
		memcpy(in->src, d + off + IPV6_SADDR_OFF, 16);
		memcpy(in->dst, d + off + IPV6_DADDR_OFF, 16);
		in->l4_off = off + IPV6_HLEN;
	}
	if ((in->proto == DL_IPPROTO_TCP || in->proto == DL_IPPROTO_UDP || in->proto == DL_IPPROTO_SCTP) &&
	    dl_in_bounds(end, in->l4_off, 4)) {
		in->sport = dl_rd16(d + in->l4_off);
		in->dport = dl_rd16(d + in->l4_off + 2);
		in->has_ports = true;
	}
	return 0;
}

/* Writes n bytes at off inside the ICMP message and returns what the message's sum changed by
 * (off is even relative to the ICMP header: every field rewritten here is). */
static dl_wsum store(uint8_t *d, uint32_t off, const uint8_t *val, size_t n)
{
	dl_wsum diff = dl_csum_diff(d + off, n, val, n, 0);

	memcpy(d + off, val, n);
	return diff;
}

static dl_wsum store16(uint8_t *d, uint32_t off, uint16_t v)
{
	uint8_t b[2];

	dl_wr16(b, v);
	return store(d, off, b, 2);
}

int dl_icmp_err_rewrite(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_err_xlate *x)
{
	uint8_t *d = dl_ctx_data(ctx);
	struct dl_icmp_err_inner in;
	size_t alen;
	uint32_t csum_field = 0;
	dl_wsum icmp = 0, pseudo = 0, ports = 0;
	bool udp = false, port_change;
	int rc;

	rc = dl_icmp_err_inner(ctx, pi, &in);
	if (rc < 0)
		return rc;
	alen = in.family == 6 ? 16 : 4;
	port_change = in.has_ports && ((x->inner_sport && x->inner_sport != in.sport) ||
				       (x->inner_dport && x->inner_dport != in.dport));
	/* snat_v4_rewrite_headers: a port change on SCTP is DROP_CSUM_L4 (no CRC32c update). */
	if (port_change && in.proto == DL_IPPROTO_SCTP)
		return DROP_CSUM_L4;
	if (!dl_in_bounds(ctx->len, pi->l4_off, ICMP_HLEN))
		return DROP_INVALID;

	/* The quoted L3 header: addresses, and the quoted IPv4 header checksum. */
	for (int i = 0; i < 2; i++) {
		const uint8_t *a = i == 0 ? x->inner_saddr : x->inner_daddr;
		uint32_t f = in.l3_off + (in.family == 6 ? (i == 0 ? IPV6_SADDR_OFF : IPV6_DADDR_OFF)
							  : (i == 0 ? IPV4_SADDR_OFF : IPV4_DADDR_OFF));
		dl_wsum diff;

		if (!a || !memcmp(d + f, a, alen))
			continue;
		diff = store(d, f, a, alen);
		icmp = dl_csum_add(icmp, diff);
		pseudo = dl_csum_add(pseudo, diff);
		if (in.family == 4) {
			uint32_t c = in.l3_off + IPV4_CSUM_OFF;
			icmp = dl_csum_add(icmp, store16(d, c, dl_csum_replace_diff(dl_rd16(d + c), diff)));
		}
	}
	/* The quoted ports. */
	if (in.has_ports) {
		if (x->inner_sport && x->inner_sport != in.sport) {
			dl_wsum diff = store16(d, in.l4_off, x->inner_sport);
			icmp = dl_csum_add(icmp, diff);
			ports = dl_csum_add(ports, diff);
		}
		if (x->inner_dport && x->inner_dport != in.dport) {
			dl_wsum diff = store16(d, in.l4_off + 2, x->inner_dport);
			icmp = dl_csum_add(icmp, diff);
			ports = dl_csum_add(ports, diff);
		}
	}
	/* The quoted L4 checksum, when it is quoted: pseudo-header addresses and ports. */
	if (in.proto == DL_IPPROTO_TCP)
		csum_field = in.l4_off + TCP_CSUM_OFF;
	else if (in.proto == DL_IPPROTO_UDP) {
		csum_field = in.l4_off + UDP_CSUM_OFF;
		udp = true;
	} else if (in.proto == DL_IPPROTO_ICMPV6 && in.family == 6)
		csum_field = in.l4_off + ICMP_CSUM_OFF;
	if (csum_field && dl_in_bounds(in.end, csum_field, 2)) {
		dl_wsum diff = dl_csum_add(pseudo, ports);
		uint16_t old = dl_rd16(d + csum_field);
		uint16_t nw = udp ? dl_udp_csum_replace(old, diff) : dl_csum_replace_diff(old, diff);
		if (nw != old)
			icmp = dl_csum_add(icmp, store16(d, csum_field, nw));
	}
	/* The ICMP/ICMPv6 checksum covers the whole quote. */
	{
		uint32_t c = pi->l4_off + ICMP_CSUM_OFF;
		dl_wr16(d + c, dl_csum_replace_diff(dl_rd16(d + c), icmp));
	}
	/* The outer addresses: the IPv4 header checksum, or the ICMPv6 pseudo-header. */
	if (x->outer_saddr && memcmp(pi->src, x->outer_saddr, alen)) {
		rc = in.family == 6 ? dl_ipv6_rewrite_saddr(ctx, pi, x->outer_saddr) : dl_ipv4_rewrite_saddr(ctx, pi, x->outer_saddr);
		if (rc < 0)
			return rc;
	}
	if (x->outer_daddr && memcmp(pi->dst, x->outer_daddr, alen)) {
		rc = in.family == 6 ? dl_ipv6_rewrite_daddr(ctx, pi, x->outer_daddr) : dl_ipv4_rewrite_daddr(ctx, pi, x->outer_daddr);
		if (rc < 0)
			return rc;
	}
	return dl_revalidate_data(ctx, pi);
}
