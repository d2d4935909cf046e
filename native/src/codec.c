/* codec.c: dl_pkt_parse, a bounds-checked parser for hostile captured packets, one static
 * function per header. Checksums are in csum.c; building packets is done in TypeScript.
 *
 * Every read is preceded by a check against two limits: cap, the captured bytes, and lim,
 * the end the enclosing header claims (IPv4 total length, IPv6 payload length). Running past
 * lim means the packet lies about itself (MALFORMED); running past cap only means a short
 * snaplen (TRUNCATED). The success path does no formatting and no allocation. */
#include <stdarg.h>
#include <stdio.h>

#include "dsrlab/codec.h"

_Static_assert(sizeof(struct dl_ipv6_ext) == 8, "dl_ipv6_ext is packed into 8 bytes");
_Static_assert(DL_PKT_MAX_EXTHDRS <= UINT8_MAX && DL_PKT_MAX_VLANS <= UINT8_MAX, "counts are uint8_t");

#define ETH_HLEN      14
#define VLAN_HLEN     4
#define SLL_HLEN      16
#define SLL2_HLEN     20
#define ARP_HLEN      8
#define ARP_IPV4_LEN  28
#define IPV4_HLEN     20
#define IPV6_HLEN     40
#define IPV6_EXT_MIN  8
#define TCP_HLEN      20
#define UDP_HLEN      8
#define ICMP_HLEN     8
#define SCTP_HLEN     12

/* ARPHRD_* values (linux/if_arp.h) the SLL headers carry. */
#define ARPHRD_ETHER   1
#define ARPHRD_PPP     512
#define ARPHRD_RAWIP   519
#define ARPHRD_TUNNEL  768
#define ARPHRD_TUNNEL6 769
#define ARPHRD_SIT     776
#define ARPHRD_NETLINK 824
#define ARPHRD_NONE    0xfffe

#define IPV4_DF      0x4000
#define IPV4_MF      0x2000
#define IPV4_OFFMASK 0x1fff

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_COLD(f, a) __attribute__((format(printf, f, a), cold, noinline))
#else
#define PRINTF_COLD(f, a)
#endif

/* Parse state shared by the per-header functions. */
struct cursor {
	const uint8_t *d;
	size_t cap;               /* captured bytes */
	size_t lim;               /* end claimed by the enclosing header; cap before one is known */
	struct dl_pkt_info *pi;
};

PRINTF_COLD(4, 5)
static int fail(struct dl_pkt_info *pi, int rc, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pi->err, sizeof(pi->err), fmt, ap);
	va_end(ap);
	pi->err_off = (uint32_t)off;
	return rc;
}

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Bytes readable from off: inside both the capture and the claimed length. */
static inline size_t left(const struct cursor *c, size_t off)
{
	size_t end = min_sz(c->cap, c->lim);

	return off <= end ? end - off : 0;
}

/* The error code for n bytes at off not fitting: the packet's own length fields leave room
 * for them, so only the capture is short (TRUNCATED), or they do not (MALFORMED). */
static inline int short_rc(const struct cursor *c, size_t off, size_t n)
{
	return dl_in_bounds(c->lim, off, n) ? DL_PARSE_ETRUNCATED : DL_PARSE_EMALFORMED;
}

/* Fills the payload fields from off up to the L4 end the headers claim, clipped to cap. */
static void set_payload(const struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;

	pi->payload_off = (uint32_t)off;
	pi->payload_len = (uint32_t)left(c, off);
}

static void parse_tcp_opts(struct dl_pkt_info *pi, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = p[i], olen;

		if (kind == 0) /* end of option list */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		/* A bad length ends parsing without failing the packet, as in Linux. */
		if (n - i < 2)
			break;
		olen = p[i + 1];
		if (olen < 2 || olen > n - i)
			break;
		switch (kind) {
		case 2:
			if (olen == 4) {
				pi->tcp_mss = dl_rd16(p + i + 2);
				pi->tcp_opts |= DL_TCPOPT_F_MSS;
			}
			break;
		case 3:
			if (olen == 3) {
				pi->tcp_wscale = p[i + 2];
				pi->tcp_opts |= DL_TCPOPT_F_WSCALE;
			}
			break;
		case 4:
			if (olen == 2)
				pi->tcp_opts |= DL_TCPOPT_F_SACKOK;
			break;
		case 5:
			pi->tcp_opts |= DL_TCPOPT_F_SACK;
			break;
		case 8:
			if (olen == 10) {
				pi->tcp_ts_val = dl_rd32(p + i + 2);
				pi->tcp_ts_ecr = dl_rd32(p + i + 6);
				pi->tcp_opts |= DL_TCPOPT_F_TS;
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

static int parse_tcp(const struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off), hlen;
	unsigned doff;

	if (avail < TCP_HLEN)
		return fail(pi, short_rc(c, off, TCP_HLEN), off, "tcp: %zu bytes < %d", avail, TCP_HLEN);
	doff = h[12] >> 4;
	if (doff < 5)
		return fail(pi, DL_PARSE_EMALFORMED, off + 12, "tcp: data offset %u < 5", doff);
	hlen = (size_t)doff * 4;
	if (avail < hlen)
		return fail(pi, short_rc(c, off, hlen), off + 12, "tcp: data offset %u needs %zu bytes, %zu left",
			    doff, hlen, avail);
	pi->sport = dl_rd16(h);
	pi->dport = dl_rd16(h + 2);
	pi->tcp_seq = dl_rd32(h + 4);
	pi->tcp_ack = dl_rd32(h + 8);
	pi->tcp_flags = (uint16_t)(((h[12] & 1) << 8) | h[13]);
	pi->tcp_win = dl_rd16(h + 14);
	pi->l4_hdr_len = (uint32_t)hlen;
	if (hlen > TCP_HLEN) {
		pi->tcp_opt_off = (uint32_t)(off + TCP_HLEN);
		pi->tcp_opt_len = (uint32_t)(hlen - TCP_HLEN);
		parse_tcp_opts(pi, h + TCP_HLEN, hlen - TCP_HLEN);
	}
	set_payload(c, off + hlen);
	return DL_PARSE_OK;
}

static int parse_udp(struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off);
	unsigned ulen;

	if (avail < UDP_HLEN)
		return fail(pi, short_rc(c, off, UDP_HLEN), off, "udp: %zu bytes < %d", avail, UDP_HLEN);
	ulen = dl_rd16(h + 4);
	if (ulen < UDP_HLEN)
		return fail(pi, DL_PARSE_EMALFORMED, off + 4, "udp: length %u < %d", ulen, UDP_HLEN);
	/* A first fragment's UDP length covers the whole datagram, not this fragment. */
	if (pi->frag == DL_FRAG_NONE) {
		if (ulen > pi->l4_len)
			return fail(pi, DL_PARSE_EMALFORMED, off + 4, "udp: length %u > %u bytes of IP payload",
				    ulen, pi->l4_len);
		/* Bytes after the datagram but inside the IP payload are not UDP's (Linux trims them). */
		pi->l4_len = ulen;
		c->lim = off + ulen;
	}
	pi->sport = dl_rd16(h);
	pi->dport = dl_rd16(h + 2);
	pi->l4_hdr_len = UDP_HLEN;
	set_payload(c, off + UDP_HLEN);
	return DL_PARSE_OK;
}

static bool icmp_is_error(uint8_t type)
{
	/* dest unreachable, source quench, redirect, time exceeded, parameter problem */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static int parse_icmp(const struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off);

	if (avail < ICMP_HLEN)
		return fail(pi, short_rc(c, off, ICMP_HLEN), off, "icmp: %zu bytes < %d", avail, ICMP_HLEN);
	pi->icmp_type = h[0];
	pi->icmp_code = h[1];
	if (h[0] == 0 || h[0] == 8) {
		pi->icmp_id = dl_rd16(h + 4);
		pi->icmp_seq = dl_rd16(h + 6);
	} else if (icmp_is_error(h[0])) {
		pi->icmp_inner_off = (uint32_t)(off + ICMP_HLEN);
		if (h[0] == 3 && h[1] == 4) /* fragmentation needed: next-hop MTU, RFC 1191 */
			pi->icmp_mtu = dl_rd16(h + 6);
	}
	pi->l4_hdr_len = ICMP_HLEN;
	set_payload(c, off + ICMP_HLEN);
	return DL_PARSE_OK;
}

/* Fixed part of an ICMPv6 message before its data or ND options (RFC 4443, RFC 4861 §4). */
static size_t icmp6_fixed_len(uint8_t type)
{
	switch (type) {
	case 1: case 2: case 3: case 4:  /* errors: 4 bytes of header, 4 of unused/MTU/pointer */
	case 128: case 129:              /* echo */
	case 133:                        /* router solicitation */
		return 8;
	case 134:                        /* router advertisement */
		return 16;
	case 135: case 136:              /* neighbour solicitation / advertisement */
		return 24;
	case 137:                        /* redirect */
		return 40;
	default:
		return 4;
	}
}

static int parse_icmp6(const struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off), need;

	if (avail < 4)
		return fail(pi, short_rc(c, off, 4), off, "icmpv6: %zu bytes < 4", avail);
	need = icmp6_fixed_len(h[0]);
	if (avail < need)
		return fail(pi, short_rc(c, off, need), off, "icmpv6: type %u needs %zu bytes, %zu left",
			    h[0], need, avail);
	pi->icmp_type = h[0];
	pi->icmp_code = h[1];
	if (h[0] >= 1 && h[0] <= 4) {
		pi->icmp_inner_off = (uint32_t)(off + need);
		if (h[0] == 2) /* packet too big */
			pi->icmp_mtu = dl_rd32(h + 4);
	} else if (h[0] == 128 || h[0] == 129) {
		pi->icmp_id = dl_rd16(h + 4);
		pi->icmp_seq = dl_rd16(h + 6);
	}
	pi->l4_hdr_len = (uint32_t)need;
	set_payload(c, off + need);
	return DL_PARSE_OK;
}

static int parse_sctp(const struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	size_t avail = left(c, off);

	if (avail < SCTP_HLEN)
		return fail(pi, short_rc(c, off, SCTP_HLEN), off, "sctp: %zu bytes < %d", avail, SCTP_HLEN);
	pi->sport = dl_rd16(c->d + off);
	pi->dport = dl_rd16(c->d + off + 2);
	pi->l4_hdr_len = SCTP_HLEN;
	set_payload(c, off + SCTP_HLEN);
	return DL_PARSE_OK;
}

/* The upper-layer header at off, whose claimed length runs to c->lim. */
static int parse_l4(struct cursor *c, uint8_t proto, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	bool v4 = pi->l3 == DL_L3_IPV4;

	pi->l4_proto = proto;
	pi->l4_off = (uint32_t)off;
	pi->l4_len = (uint32_t)(c->lim - off);
	switch (proto) {
	case DL_IPPROTO_TCP:
		return parse_tcp(c, off);
	case DL_IPPROTO_UDP:
		return parse_udp(c, off);
	case DL_IPPROTO_SCTP:
		return parse_sctp(c, off);
	case DL_IPPROTO_ICMP:
		if (v4)
			return parse_icmp(c, off);
		break;
	case DL_IPPROTO_ICMPV6:
		if (!v4)
			return parse_icmp6(c, off);
		break;
	default:
		break;
	}
	/* GRE, IPIP, IPv6-in-IP, ESP and the rest: recorded, not parsed. */
	set_payload(c, off);
	return DL_PARSE_OK;
}

/* Fragment data that is not the first piece: nothing in it is a header. */
static int later_fragment(const struct cursor *c, uint8_t proto, size_t off)
{
	struct dl_pkt_info *pi = c->pi;

	pi->l4_proto = proto;
	pi->l4_len = (uint32_t)(c->lim - off);
	set_payload(c, off);
	return DL_PARSE_OK;
}

static int parse_ipv4(struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off), hlen, tot, frag_end;
	unsigned ver, ihl;
	uint16_t fr;

	pi->l3 = DL_L3_IPV4;
	pi->l3_off = (uint32_t)off;
	if (avail < IPV4_HLEN)
		return fail(pi, DL_PARSE_ETRUNCATED, off, "ipv4: %zu bytes < %d", avail, IPV4_HLEN);
	ver = h[0] >> 4;
	ihl = h[0] & 0x0f;
	if (ver != 4)
		return fail(pi, DL_PARSE_EMALFORMED, off, "ipv4: version %u != 4", ver);
	if (ihl < 5)
		return fail(pi, DL_PARSE_EMALFORMED, off, "ipv4: ihl %u < 5", ihl);
	hlen = (size_t)ihl * 4;
	tot = dl_rd16(h + 2);
	if (tot < hlen)
		return fail(pi, DL_PARSE_EMALFORMED, off + 2, "ipv4: total length %zu < header length %zu", tot, hlen);
	if (avail < hlen)
		return fail(pi, DL_PARSE_ETRUNCATED, off, "ipv4: ihl %u needs %zu bytes, %zu left", ihl, hlen, avail);

	fr = dl_rd16(h + 6);
	pi->l3_hdr_len = (uint32_t)hlen;
	pi->l3_len = (uint32_t)tot;
	pi->tos = h[1];
	pi->ip_id = dl_rd16(h + 4);
	pi->df = (fr & IPV4_DF) != 0;
	pi->ttl = h[8];
	memcpy(pi->src, h + 12, 4);
	memcpy(pi->dst, h + 16, 4);
	if (hlen > IPV4_HLEN) {
		pi->ipv4_opt_off = (uint32_t)(off + IPV4_HLEN);
		pi->ipv4_opt_len = (uint32_t)(hlen - IPV4_HLEN);
	}
	pi->truncated = c->cap - off < tot;
	c->lim = off + tot; /* trailing bytes (Ethernet padding) are not ours */

	pi->frag_mf = (fr & IPV4_MF) != 0;
	pi->frag_off = (uint16_t)((fr & IPV4_OFFMASK) * 8);
	if (pi->frag_off || pi->frag_mf) {
		pi->frag = pi->frag_off ? DL_FRAG_LATER : DL_FRAG_FIRST;
		pi->frag_id = pi->ip_id;
		/* A datagram reassembling past 64 KiB is the ping of death; Linux drops it. */
		frag_end = (size_t)pi->frag_off + (tot - hlen);
		if (frag_end > 65535)
			return fail(pi, DL_PARSE_EMALFORMED, off + 6, "ipv4: fragment offset %u + %zu bytes > 65535",
				    pi->frag_off, tot - hlen);
		if (pi->frag == DL_FRAG_LATER)
			return later_fragment(c, h[9], off + hlen);
	}
	return parse_l4(c, h[9], off + hlen);
}

/* The final destination named by a routing header (RFC 8200 §8.1): the pseudo-header uses it
 * while segments are left. Types 0 (deprecated, last address), 2 (MIPv6 home address) and
 * 4 (SRH, segment list[0]); anything else keeps the IPv6 dst. */
static void note_routing_dst(struct dl_pkt_info *pi, const uint8_t *h, size_t off, size_t hlen)
{
	uint8_t type = h[2], segs_left = h[3];
	size_t at;

	if (segs_left == 0 || hlen < 8 + 16)
		return;
	if (type == 0)
		at = 8 + ((hlen - 8) / 16 - 1) * 16;
	else if (type == 2 || type == 4)
		at = 8;
	else
		return;
	pi->ipv6_final_dst_off = (uint32_t)(off + at);
}

static int parse_ipv6(struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off), plen, at;
	uint32_t w;
	uint8_t nh;
	bool seen_frag = false;

	pi->l3 = DL_L3_IPV6;
	pi->l3_off = (uint32_t)off;
	if (avail < IPV6_HLEN)
		return fail(pi, DL_PARSE_ETRUNCATED, off, "ipv6: %zu bytes < %d", avail, IPV6_HLEN);
	w = dl_rd32(h);
	if (w >> 28 != 6)
		return fail(pi, DL_PARSE_EMALFORMED, off, "ipv6: version %u != 6", (unsigned)(w >> 28));
	plen = dl_rd16(h + 4);
	nh = h[6];
	/* Payload length 0 before a hop-by-hop header announces a jumbogram (RFC 2675). */
	if (plen == 0 && nh == DL_IPPROTO_HOPOPTS)
		return fail(pi, DL_PARSE_EUNSUPPORTED, off + 4, "ipv6: jumbogram (payload length 0) not supported");
	pi->tos = (uint8_t)(w >> 20);
	pi->flow_label = w & 0xfffff;
	pi->ttl = h[7];
	memcpy(pi->src, h + 8, 16);
	memcpy(pi->dst, h + 24, 16);
	pi->l3_len = (uint32_t)(IPV6_HLEN + plen);
	pi->l3_hdr_len = IPV6_HLEN;
	pi->truncated = c->cap - off < IPV6_HLEN + plen;
	c->lim = off + IPV6_HLEN + plen;

	at = off + IPV6_HLEN;
	for (;;) {
		const uint8_t *e = c->d + at;
		size_t hlen;

		if (nh != DL_IPPROTO_HOPOPTS && nh != DL_IPPROTO_ROUTING && nh != DL_IPPROTO_FRAGMENT &&
		    nh != DL_IPPROTO_DSTOPTS && nh != DL_IPPROTO_AH)
			break;
		/* Linux (ip6_parse_tlv) accepts hop-by-hop only right after the fixed header. */
		if (nh == DL_IPPROTO_HOPOPTS && pi->ext_count != 0)
			return fail(pi, DL_PARSE_EMALFORMED, at, "ipv6: hop-by-hop header at offset %zu is not first",
				    at);
		if (pi->ext_count == DL_PKT_MAX_EXTHDRS)
			return fail(pi, DL_PARSE_EUNSUPPORTED, at, "ipv6: more than %d extension headers",
				    DL_PKT_MAX_EXTHDRS);
		avail = left(c, at);
		hlen = IPV6_EXT_MIN;
		if (avail >= IPV6_EXT_MIN) {
			if (nh == DL_IPPROTO_AH)
				hlen = ((size_t)e[1] + 2) * 4; /* AH counts 4-byte words, minus 2 (RFC 4302) */
			else if (nh != DL_IPPROTO_FRAGMENT)
				hlen = ((size_t)e[1] + 1) * 8;
		}
		if (avail < hlen)
			return fail(pi, short_rc(c, at, hlen), at,
				    "ipv6: extension header %u at offset %zu runs past the end (needs %zu bytes, %zu left)",
				    nh, at, hlen, avail);
		pi->ext[pi->ext_count].type = nh;
		pi->ext[pi->ext_count].len = (uint16_t)hlen;
		pi->ext[pi->ext_count].off = (uint32_t)at;
		pi->ext_count++;

		if (nh == DL_IPPROTO_ROUTING) {
			note_routing_dst(pi, e, at, hlen);
		} else if (nh == DL_IPPROTO_FRAGMENT) {
			uint16_t fr = dl_rd16(e + 2);

			if (seen_frag)
				return fail(pi, DL_PARSE_EMALFORMED, at, "ipv6: second fragment header at offset %zu",
					    at);
			seen_frag = true;
			pi->frag_off = fr & 0xfff8;
			pi->frag_mf = fr & 1;
			pi->frag_id = dl_rd32(e + 4);
			if (pi->frag_off) {
				pi->frag = DL_FRAG_LATER;
				pi->l3_hdr_len = (uint32_t)(at + hlen - off);
				/* Headers after this one belong to the fragmentable part. */
				return later_fragment(c, e[0], at + hlen);
			}
			if (pi->frag_mf)
				pi->frag = DL_FRAG_FIRST;
		}
		nh = e[0];
		at += hlen;
	}
	pi->l3_hdr_len = (uint32_t)(at - off);
	if (nh == DL_IPPROTO_NONE) {
		/* Nothing follows; bytes after it are to be ignored (RFC 8200 §4.7). */
		pi->l4_proto = nh;
		set_payload(c, at);
		return DL_PARSE_OK;
	}
	return parse_l4(c, nh, at);
}

static int parse_arp(struct cursor *c, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	const uint8_t *h = c->d + off;
	size_t avail = left(c, off), hlen;

	pi->l3 = DL_L3_ARP;
	pi->l3_off = (uint32_t)off;
	if (avail < ARP_HLEN)
		return fail(pi, DL_PARSE_ETRUNCATED, off, "arp: %zu bytes < %d", avail, ARP_HLEN);
	hlen = ARP_HLEN + 2 * ((size_t)h[4] + h[5]);
	pi->l3_hdr_len = (uint32_t)hlen;
	pi->l3_len = (uint32_t)hlen;
	pi->arp_op = dl_rd16(h + 6);
	if (dl_rd16(h) == ARPHRD_ETHER && dl_rd16(h + 2) == DL_ETH_P_IPV4 && h[4] == 6 && h[5] == 4) {
		if (avail < ARP_IPV4_LEN)
			return fail(pi, DL_PARSE_ETRUNCATED, off, "arp: %zu bytes < %d", avail, ARP_IPV4_LEN);
		memcpy(pi->arp_sha, h + 8, 6);
		memcpy(pi->arp_spa, h + 14, 4);
		memcpy(pi->arp_tha, h + 18, 6);
		memcpy(pi->arp_tpa, h + 24, 4);
		pi->arp_ipv4 = true;
	}
	pi->truncated = avail < hlen;
	return DL_PARSE_OK;
}

static int parse_l3(struct cursor *c, uint16_t ethertype, size_t off)
{
	c->pi->ethertype = ethertype;
	c->pi->l2_len = (uint32_t)off;
	switch (ethertype) {
	case DL_ETH_P_IPV4:
		return parse_ipv4(c, off);
	case DL_ETH_P_IPV6:
		return parse_ipv6(c, off);
	case DL_ETH_P_ARP:
		return parse_arp(c, off);
	default:
		/* LLDP, MPLS, 802.3 length fields and the like pass through unparsed. */
		c->pi->l3 = DL_L3_OTHER;
		c->pi->l3_off = (uint32_t)off;
		return DL_PARSE_OK;
	}
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == DL_ETH_P_8021Q || t == DL_ETH_P_8021AD || t == DL_ETH_P_QINQ1;
}

/* Skips VLAN tags that start at off (each a TCI and the next EtherType; the tag's TPID is
 * *type). Ethernet and both SLL variants lay tags out the same way after their headers. */
static int parse_vlans(struct cursor *c, uint16_t *type, size_t *off)
{
	struct dl_pkt_info *pi = c->pi;

	while (is_vlan_tpid(*type)) {
		size_t avail = left(c, *off);

		if (pi->vlan_count == DL_PKT_MAX_VLANS)
			return fail(pi, DL_PARSE_EUNSUPPORTED, *off - 2, "vlan: more than %d tags", DL_PKT_MAX_VLANS);
		if (avail < VLAN_HLEN)
			return fail(pi, DL_PARSE_ETRUNCATED, *off, "vlan: %zu bytes < %d", avail, VLAN_HLEN);
		pi->vlan_ids[pi->vlan_count++] = dl_rd16(c->d + *off) & 0x0fff;
		*type = dl_rd16(c->d + *off + 2);
		*off += VLAN_HLEN;
	}
	return DL_PARSE_OK;
}

static int parse_eth(struct cursor *c)
{
	size_t off = ETH_HLEN;
	uint16_t type;
	int rc;

	if (c->cap < ETH_HLEN)
		return fail(c->pi, DL_PARSE_ETRUNCATED, 0, "ethernet: %zu bytes < %d", c->cap, ETH_HLEN);
	type = dl_rd16(c->d + 12);
	rc = parse_vlans(c, &type, &off);
	if (rc)
		return rc;
	return parse_l3(c, type, off);
}

/* Raw IP with the version taken from the first nibble (LINKTYPE_RAW and the DLT_RAWs). */
static int parse_raw(struct cursor *c, size_t off)
{
	unsigned ver;

	if (c->cap <= off)
		return fail(c->pi, DL_PARSE_ETRUNCATED, off, "raw: 0 bytes, no IP version");
	ver = c->d[off] >> 4;
	if (ver == 4)
		return parse_l3(c, DL_ETH_P_IPV4, off);
	if (ver == 6)
		return parse_l3(c, DL_ETH_P_IPV6, off);
	return fail(c->pi, DL_PARSE_EUNSUPPORTED, off, "raw: ip version %u", ver);
}

/* Device types whose frames are bare IP; their SLL protocol field is sometimes 0 or the
 * tunnel's, so the version nibble decides. */
static bool arphrd_is_raw_ip(uint16_t hatype)
{
	return hatype == ARPHRD_NONE || hatype == ARPHRD_RAWIP || hatype == ARPHRD_TUNNEL ||
	       hatype == ARPHRD_TUNNEL6 || hatype == ARPHRD_SIT || hatype == ARPHRD_PPP;
}

static int parse_sll_common(struct cursor *c, uint16_t proto, size_t off)
{
	struct dl_pkt_info *pi = c->pi;
	int rc;

	/* Netlink monitor captures carry a netlink family in the protocol field. */
	if (pi->sll_hatype == ARPHRD_NETLINK) {
		pi->ethertype = proto;
		pi->l2_len = (uint32_t)off;
		pi->l3 = DL_L3_OTHER;
		pi->l3_off = (uint32_t)off;
		return DL_PARSE_OK;
	}
	if (proto != DL_ETH_P_IPV4 && proto != DL_ETH_P_IPV6 && arphrd_is_raw_ip(pi->sll_hatype) && c->cap > off) {
		unsigned ver = c->d[off] >> 4;

		if (ver == 4 || ver == 6)
			return parse_raw(c, off);
	}
	/* libpcap re-inserts stripped VLAN tags right after the cooked header. */
	rc = parse_vlans(c, &proto, &off);
	if (rc)
		return rc;
	return parse_l3(c, proto, off);
}

static int parse_sll(struct cursor *c)
{
	if (c->cap < SLL_HLEN)
		return fail(c->pi, DL_PARSE_ETRUNCATED, 0, "sll: %zu bytes < %d", c->cap, SLL_HLEN);
	c->pi->sll_pkttype = dl_rd16(c->d);
	c->pi->sll_hatype = dl_rd16(c->d + 2);
	return parse_sll_common(c, dl_rd16(c->d + 14), SLL_HLEN);
}

static int parse_sll2(struct cursor *c)
{
	if (c->cap < SLL2_HLEN)
		return fail(c->pi, DL_PARSE_ETRUNCATED, 0, "sll2: %zu bytes < %d", c->cap, SLL2_HLEN);
	c->pi->sll_hatype = dl_rd16(c->d + 8);
	c->pi->sll_pkttype = c->d[10];
	return parse_sll_common(c, dl_rd16(c->d), SLL2_HLEN);
}

/* The common frame in one pass: Ethernet without VLAN tags, IPv4 without options and not a
 * fragment, then TCP or UDP whose header fits. It sets exactly what parse_eth → parse_ipv4 →
 * parse_tcp/parse_udp set for such a frame and applies the same checks; a frame of any other
 * shape, and every frame the general path would reject, returns false with *pi untouched, for
 * the general path (dl_pkt_parse_general; test_codec.c and fuzz_codec.c hold both to the same
 * result). Every packet of a replay goes through the parser at each hop, hence the shortcut. */
static bool parse_fast_eth4(const uint8_t *d, size_t cap, struct dl_pkt_info *pi)
{
	const uint8_t *h = d + ETH_HLEN, *l4 = h + IPV4_HLEN;
	const size_t l4_off = ETH_HLEN + IPV4_HLEN;
	size_t tot, end, hlen, lim;
	unsigned ulen = 0;
	uint8_t proto;

	if (cap < l4_off + UDP_HLEN || dl_rd16(d + 12) != DL_ETH_P_IPV4 || h[0] != 0x45 ||
	    (dl_rd16(h + 6) & (IPV4_MF | IPV4_OFFMASK)))
		return false;
	tot = dl_rd16(h + 2);
	lim = ETH_HLEN + tot;
	end = min_sz(cap, lim);
	proto = h[9];
	if (proto == DL_IPPROTO_TCP) {
		if (end < l4_off + TCP_HLEN)
			return false;
		hlen = (size_t)(l4[12] >> 4) * 4;
		if (hlen < TCP_HLEN || end < l4_off + hlen)
			return false;
	} else if (proto == DL_IPPROTO_UDP) {
		if (end < l4_off + UDP_HLEN)
			return false;
		ulen = dl_rd16(l4 + 4);
		if (ulen < UDP_HLEN || ulen > tot - IPV4_HLEN)
			return false;
		hlen = UDP_HLEN;
		lim = l4_off + ulen;
		end = min_sz(cap, lim);
	} else {
		return false;
	}

	memset(pi, 0, offsetof(struct dl_pkt_info, err));
	pi->err[0] = '\0';
	pi->linktype = DL_LINKTYPE_ETHERNET;
	pi->ethertype = DL_ETH_P_IPV4;
	pi->l2_len = ETH_HLEN;
	pi->l3 = DL_L3_IPV4;
	pi->l3_off = ETH_HLEN;
	pi->l3_hdr_len = IPV4_HLEN;
	pi->l3_len = (uint32_t)tot;
	pi->tos = h[1];
	pi->ip_id = dl_rd16(h + 4);
	pi->df = (dl_rd16(h + 6) & IPV4_DF) != 0;
	pi->ttl = h[8];
	memcpy(pi->src, h + 12, 4);
	memcpy(pi->dst, h + 16, 4);
	pi->truncated = cap - ETH_HLEN < tot;
	pi->l4_proto = proto;
	pi->l4_off = (uint32_t)l4_off;
	pi->l4_len = proto == DL_IPPROTO_UDP ? ulen : (uint32_t)(tot - IPV4_HLEN);
	pi->sport = dl_rd16(l4);
	pi->dport = dl_rd16(l4 + 2);
	pi->l4_hdr_len = (uint32_t)hlen;
	if (proto == DL_IPPROTO_TCP) {
		pi->tcp_seq = dl_rd32(l4 + 4);
		pi->tcp_ack = dl_rd32(l4 + 8);
		pi->tcp_flags = (uint16_t)(((l4[12] & 1) << 8) | l4[13]);
		pi->tcp_win = dl_rd16(l4 + 14);
		if (hlen > TCP_HLEN) {
			pi->tcp_opt_off = (uint32_t)(l4_off + TCP_HLEN);
			pi->tcp_opt_len = (uint32_t)(hlen - TCP_HLEN);
			parse_tcp_opts(pi, l4 + TCP_HLEN, hlen - TCP_HLEN);
		}
	}
	pi->payload_off = (uint32_t)(l4_off + hlen);
	pi->payload_len = (uint32_t)(end - (l4_off + hlen));
	return true;
}

int dl_pkt_parse(const uint8_t *data, size_t len, uint32_t linktype, struct dl_pkt_info *out)
{
	if (linktype == DL_LINKTYPE_ETHERNET && data && parse_fast_eth4(data, len, out))
		return DL_PARSE_OK;
	return dl_pkt_parse_general(data, len, linktype, out);
}

int dl_pkt_parse_general(const uint8_t *data, size_t len, uint32_t linktype, struct dl_pkt_info *out)
{
	struct cursor c = { .d = data, .cap = data ? len : 0, .lim = data ? len : 0, .pi = out };

	/* err is written only on failure; clearing the rest is what the caller relies on. */
	memset(out, 0, offsetof(struct dl_pkt_info, err));
	out->err[0] = '\0';
	out->linktype = linktype;

	switch (linktype) {
	case DL_LINKTYPE_ETHERNET:
		return parse_eth(&c);
	case DL_LINKTYPE_RAW:
	case DL_LINKTYPE_DLT_RAW12:
	case DL_LINKTYPE_DLT_RAW14:
		return parse_raw(&c, 0);
	case DL_LINKTYPE_IPV4:
		return parse_l3(&c, DL_ETH_P_IPV4, 0);
	case DL_LINKTYPE_IPV6:
		return parse_l3(&c, DL_ETH_P_IPV6, 0);
	case DL_LINKTYPE_LINUX_SLL:
		return parse_sll(&c);
	case DL_LINKTYPE_LINUX_SLL2:
		return parse_sll2(&c);
	default:
		return fail(out, DL_PARSE_EUNSUPPORTED, 0, "link: linktype %u not supported", (unsigned)linktype);
	}
}

const char *dl_parse_strerror(int rc)
{
	switch (rc) {
	case DL_PARSE_OK: return "ok";
	case DL_PARSE_ETRUNCATED: return "truncated";
	case DL_PARSE_EMALFORMED: return "malformed";
	case DL_PARSE_EUNSUPPORTED: return "unsupported";
	default: return "unknown";
	}
}
