/* csum.c: checksum sums, RFC 1624 diffs, pseudo-headers and the whole-packet verify/fix over
 * a parsed packet. The inline primitives (add, fold, replace) are in csum.h; parsing is in
 * codec.c. */
#include "dsrlab/csum.h"

#define IPV4_CSUM_OFF 10

dl_wsum dl_csum_partial(const uint8_t *buf, size_t len, dl_wsum sum)
{
	/* 32-bit big-endian words summed into 64 bits: since 2^16 == 1 (mod 0xffff) this folds to
	 * the 16-bit word sum, with half the additions and no carry handling in the loop. */
	uint64_t acc = sum;

	while (len >= 8) {
		acc += dl_rd32(buf);
		acc += dl_rd32(buf + 4);
		buf += 8;
		len -= 8;
	}
	if (len >= 4) {
		acc += dl_rd32(buf);
		buf += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += dl_rd16(buf);
		buf += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)buf[0] << 8;
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (dl_wsum)acc;
}

dl_wsum dl_csum_diff128(const uint8_t from[16], const uint8_t to[16])
{
	dl_wsum s = 0;

	for (int i = 0; i < 16; i += 4) {
		s = dl_csum_add(s, ~dl_rd32(from + i));
		s = dl_csum_add(s, dl_rd32(to + i));
	}
	return s;
}

dl_wsum dl_csum_diff(const uint8_t *from, size_t from_len, const uint8_t *to, size_t to_len, dl_wsum seed)
{
	dl_wsum s = dl_csum_sub(dl_csum_partial(to, to_len, 0), dl_csum_partial(from, from_len, 0));

	return dl_csum_add(seed, s);
}

/* ---- UDP's zero rules (RFC 768, RFC 8200 §8.1): every UDP path goes through these ---- */

/* A field of 0 says the sender computed no checksum. */
static inline bool udp_csum_is_none(dl_sum16 field) { return field == DL_UDP_CSUM_NONE; }

/* Only IPv4 lets a sender skip it; in IPv6 a 0 is an error. */
static inline bool udp_csum_none_allowed(const struct dl_pkt_info *pi) { return pi->l3 == DL_L3_IPV4; }

/* A computed 0 would read as "none", so it goes out as its other one's-complement form. */
static inline dl_sum16 udp_csum_encode(dl_sum16 c) { return c == 0 ? DL_CSUM_MANGLED_0 : c; }

/* The packet is UDP and its checksum field says "none". */
static bool udp_pkt_csum_is_none(const uint8_t *data, size_t len, const struct dl_pkt_info *pi)
{
	return pi->l4_proto == DL_IPPROTO_UDP && dl_pkt_has_l4_hdr(pi) &&
	       dl_in_bounds(len, (size_t)pi->l4_off + 6, 2) && udp_csum_is_none(dl_rd16(data + pi->l4_off + 6));
}

dl_sum16 dl_udp_csum_replace(dl_sum16 check, dl_wsum diff)
{
	/* No checksum to update; a diff cannot produce the real one anyway. */
	if (udp_csum_is_none(check))
		return check;
	return udp_csum_encode(dl_csum_replace_diff(check, diff));
}

/* ---- pseudo-headers ---- */

dl_wsum dl_csum_pseudo4(const uint8_t saddr[4], const uint8_t daddr[4], uint8_t proto, uint32_t len, dl_wsum sum)
{
	sum = dl_csum_add(sum, dl_rd32(saddr));
	sum = dl_csum_add(sum, dl_rd32(daddr));
	return dl_csum_add(sum, ((uint32_t)proto) + len);
}

dl_wsum dl_csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t proto, uint32_t len,
			dl_wsum sum)
{
	sum = dl_csum_partial(saddr, 16, sum);
	sum = dl_csum_partial(daddr, 16, sum);
	sum = dl_csum_add(sum, len);
	return dl_csum_add(sum, proto);
}

/* ---- full computation ---- */

/* The sum of len bytes at p but for the 16-bit checksum field at the even offset field.
 * Skipping it rather than subtracting it keeps all-zero data from summing to -0 (0xffff),
 * which would yield a checksum of 0 where the right one is 0xffff. */
static dl_wsum sum_without_field(const uint8_t *p, size_t len, size_t field)
{
	dl_wsum s = dl_csum_partial(p, field, 0);

	return dl_csum_partial(p + field + 2, len - field - 2, s);
}

dl_sum16 dl_ipv4_hdr_csum(const uint8_t *iph, size_t hdr_len)
{
	return dl_csum_fold(sum_without_field(iph, hdr_len, IPV4_CSUM_OFF));
}

/* Offset of the checksum field inside the L4 header, or 0 for protocols without one we know. */
static size_t l4_csum_field(const struct dl_pkt_info *pi)
{
	switch (pi->l4_proto) {
	case DL_IPPROTO_TCP:
		return 16;
	case DL_IPPROTO_UDP:
		return 6;
	case DL_IPPROTO_ICMP:
		return pi->l3 == DL_L3_IPV4 ? 2 : 0;
	case DL_IPPROTO_ICMPV6:
		return pi->l3 == DL_L3_IPV6 ? 2 : 0;
	default:
		return 0;
	}
}

static bool l4_csum_is_checkable(const struct dl_pkt_info *pi)
{
	return pi->frag == DL_FRAG_NONE && !pi->truncated;
}

/* s, the sum over the L4 segment, plus the pseudo-header (none for ICMP). Addresses come
 * from the packet, not from pi's copies, so a packet NATed in place can be fixed with the
 * info parsed before. */
static bool l4_sum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_wsum s, dl_wsum *out)
{
	const uint8_t *ip = data + pi->l3_off, *daddr;

	if (pi->l4_proto == DL_IPPROTO_ICMP) {
		*out = s;
		return true;
	}
	if (pi->l3 == DL_L3_IPV4) {
		if (!dl_in_bounds(len, pi->l3_off, 20))
			return false;
		*out = dl_csum_pseudo4(ip + 12, ip + 16, pi->l4_proto, pi->l4_len, s);
		return true;
	}
	if (!dl_in_bounds(len, pi->l3_off, 40))
		return false;
	daddr = ip + 24;
	if (pi->ipv6_final_dst_off) {
		if (!dl_in_bounds(len, pi->ipv6_final_dst_off, 16))
			return false;
		daddr = data + pi->ipv6_final_dst_off;
	}
	*out = dl_csum_pseudo6(ip + 8, daddr, pi->l4_proto, pi->l4_len, s);
	return true;
}

/* Where the packet's L4 checksum field is, after checking the whole segment is here. */
static int l4_locate(size_t len, const struct dl_pkt_info *pi, uint8_t proto, size_t *field)
{
	size_t f = l4_csum_field(pi);

	if (!dl_pkt_is_ip(pi) || pi->l4_proto != proto || f == 0 || !dl_pkt_has_l4_hdr(pi) ||
	    pi->l4_len < f + 2)
		return DL_CSUM_EPROTO;
	if (!l4_csum_is_checkable(pi) || !dl_in_bounds(len, pi->l4_off, pi->l4_len))
		return DL_CSUM_EPARTIAL;
	*field = pi->l4_off + f;
	return DL_CSUM_OK;
}

/* The generic worker behind dl_tcp_csum and friends. */
static int l4_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, uint8_t proto, dl_sum16 *out)
{
	size_t field;
	dl_wsum s;
	int rc = l4_locate(len, pi, proto, &field);

	if (rc)
		return rc;
	s = sum_without_field(data + pi->l4_off, pi->l4_len, field - pi->l4_off);
	if (!l4_sum(data, len, pi, s, &s))
		return DL_CSUM_EPARTIAL;
	*out = dl_csum_fold(s);
	return DL_CSUM_OK;
}

int dl_tcp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out)
{
	return l4_csum(data, len, pi, DL_IPPROTO_TCP, out);
}

int dl_udp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out)
{
	int rc = l4_csum(data, len, pi, DL_IPPROTO_UDP, out);

	if (rc == DL_CSUM_OK)
		*out = udp_csum_encode(*out);
	return rc;
}

int dl_icmp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out)
{
	return l4_csum(data, len, pi, DL_IPPROTO_ICMP, out);
}

int dl_icmp6_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out)
{
	return l4_csum(data, len, pi, DL_IPPROTO_ICMPV6, out);
}

int dl_l4_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out)
{
	if (pi->l4_proto == DL_IPPROTO_UDP)
		return dl_udp_csum(data, len, pi, out);
	return l4_csum(data, len, pi, pi->l4_proto, out);
}

/* ---- whole packets ---- */

static bool ipv4_hdr_is_here(size_t len, const struct dl_pkt_info *pi)
{
	return pi->l3 == DL_L3_IPV4 && pi->l3_hdr_len >= 20 && dl_in_bounds(len, pi->l3_off, pi->l3_hdr_len);
}

unsigned dl_pkt_verify_csums(const uint8_t *data, size_t len, const struct dl_pkt_info *pi)
{
	unsigned res = 0;
	size_t field;
	dl_wsum s;
	int rc;

	if (ipv4_hdr_is_here(len, pi) && dl_csum_fold(dl_csum_partial(data + pi->l3_off, pi->l3_hdr_len, 0)) != 0)
		res |= DL_CSUM_BAD_IPV4;

	rc = l4_locate(len, pi, pi->l4_proto, &field);
	if (rc == DL_CSUM_EPROTO)
		return res;
	/* The zero rule needs only the field, so it decides even for partial segments. */
	if (udp_pkt_csum_is_none(data, len, pi))
		return udp_csum_none_allowed(pi) ? res : res | DL_CSUM_BAD_L4;
	if (rc == DL_CSUM_EPARTIAL ||
	    !l4_sum(data, len, pi, dl_csum_partial(data + pi->l4_off, pi->l4_len, 0), &s))
		return res | DL_CSUM_L4_UNVERIFIABLE;
	if (dl_csum_fold(s) != 0)
		res |= DL_CSUM_BAD_L4;
	return res;
}

unsigned dl_pkt_fix_csums(uint8_t *data, size_t len, const struct dl_pkt_info *pi)
{
	size_t field;
	dl_sum16 c;
	int rc;

	if (ipv4_hdr_is_here(len, pi))
		dl_wr16(data + pi->l3_off + IPV4_CSUM_OFF, dl_ipv4_hdr_csum(data + pi->l3_off, pi->l3_hdr_len));

	rc = l4_locate(len, pi, pi->l4_proto, &field);
	if (rc == DL_CSUM_EPROTO)
		return 0;
	if (udp_pkt_csum_is_none(data, len, pi) && udp_csum_none_allowed(pi))
		return 0;
	if (rc == DL_CSUM_EPARTIAL || dl_l4_csum(data, len, pi, &c) != DL_CSUM_OK)
		return DL_CSUM_L4_UNVERIFIABLE;
	dl_wr16(data + field, c);
	return 0;
}
