/* csum.h: Internet checksum primitives (RFC 1071 sums, RFC 1624 incremental updates), the
 * IPv4/IPv6 pseudo-headers, and whole-packet helpers that verify or rewrite every checksum of
 * a packet dl_pkt_parse has parsed. Parsing itself lives in codec.h.
 *
 * All sums here are over big-endian 16-bit words taken as host-order numbers (what dl_rd16
 * returns), so a finished checksum is stored with dl_wr16. Two types keep the stages apart:
 * dl_wsum is an unfolded 32-bit partial sum, dl_sum16 a folded and complemented checksum as it
 * sits in a header field. */
#ifndef DSRLAB_CSUM_H
#define DSRLAB_CSUM_H

#include "dsrlab/common.h"
#include "dsrlab/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t dl_wsum;  /* unfolded one's-complement sum, host order */
typedef uint16_t dl_sum16; /* folded, complemented checksum field value, host order */

/* UDP's zero rules (RFC 768). csum.c applies them in one place, udp_csum_*(): */
#define DL_UDP_CSUM_NONE  ((dl_sum16)0x0000) /* IPv4 UDP field of 0: the sender computed none */
#define DL_CSUM_MANGLED_0 ((dl_sum16)0xffff) /* a computed UDP checksum of 0 is sent as this */

/* ---- primitives ---- */

/* a + b with the carry out of bit 31 added back in (one's-complement addition). */
static inline dl_wsum dl_csum_add(dl_wsum a, dl_wsum b)
{
	a += b;
	return a + (a < b);
}

/* a - b, as adding the one's complement of b. */
static inline dl_wsum dl_csum_sub(dl_wsum a, dl_wsum b) { return dl_csum_add(a, ~b); }

/* Folds a 32-bit sum to 16 bits and complements it: the value to store in a checksum field.
 * A sum that checks out (data including its own correct checksum) folds to 0. */
static inline dl_sum16 dl_csum_fold(dl_wsum s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (dl_sum16)~s;
}

/* Adds sum2, the sum of a block that starts at byte offset off of the summed data; a block at
 * an odd offset has its bytes in the other halves of the 16-bit words, so its sum is rotated. */
static inline dl_wsum dl_csum_block_add(dl_wsum sum, dl_wsum sum2, size_t off)
{
	if (off & 1)
		sum2 = (sum2 >> 8) | (sum2 << 24);
	return dl_csum_add(sum, sum2);
}

/* Adds the len bytes at buf to sum and returns the unfolded result. buf needs no alignment;
 * an odd final byte is summed as if followed by a zero byte. */
dl_wsum dl_csum_partial(const uint8_t *buf, size_t len, dl_wsum sum);

/* ---- incremental updates, RFC 1624 ---- */

/* Differences to feed dl_csum_replace_diff: what replacing from with to adds to a sum. Fields
 * must start at an even offset of the checksummed data. */
static inline dl_wsum dl_csum_diff16(uint16_t from, uint16_t to) { return dl_csum_add((uint16_t)~from, to); }
static inline dl_wsum dl_csum_diff32(uint32_t from, uint32_t to) { return dl_csum_add(~from, to); }
dl_wsum dl_csum_diff128(const uint8_t from[16], const uint8_t to[16]);

/* bpf_csum_diff's contract: seed - sum(from) + sum(to). Lengths may differ (an option being
 * inserted has from_len 0); both blocks must start at the same, even, offset. */
dl_wsum dl_csum_diff(const uint8_t *from, size_t from_len, const uint8_t *to, size_t to_len, dl_wsum seed);

/* The checksum after data changed by diff, by RFC 1624 §3 eqn 3: HC' = ~(~HC + ~m + m'), where
 * diff is ~m + m' (one or more dl_csum_diff* results added together). This form gives what a
 * full recomputation gives for any data that is not all zeros. For UDP use
 * dl_udp_csum_replace instead. */
static inline dl_sum16 dl_csum_replace_diff(dl_sum16 check, dl_wsum diff)
{
	return dl_csum_fold(dl_csum_add((uint16_t)~check, diff));
}

static inline dl_sum16 dl_csum_replace16(dl_sum16 check, uint16_t from, uint16_t to)
{
	return dl_csum_replace_diff(check, dl_csum_diff16(from, to));
}

static inline dl_sum16 dl_csum_replace32(dl_sum16 check, uint32_t from, uint32_t to)
{
	return dl_csum_replace_diff(check, dl_csum_diff32(from, to));
}

/* For an IPv6 address in a pseudo-header. */
static inline dl_sum16 dl_csum_replace128(dl_sum16 check, const uint8_t from[16], const uint8_t to[16])
{
	return dl_csum_replace_diff(check, dl_csum_diff128(from, to));
}

/* dl_csum_replace_diff for a UDP checksum field: a field of DL_UDP_CSUM_NONE stays so (as
 * Linux and BPF_F_MARK_MANGLED_0 leave it), and a result of 0 becomes DL_CSUM_MANGLED_0. */
dl_sum16 dl_udp_csum_replace(dl_sum16 check, dl_wsum diff);

/* ---- pseudo-headers (RFC 793 §3.1, RFC 8200 §8.1) ---- */

/* sum plus the IPv4 pseudo-header: addresses, protocol and L4 length. */
dl_wsum dl_csum_pseudo4(const uint8_t saddr[4], const uint8_t daddr[4], uint8_t proto, uint32_t len, dl_wsum sum);

/* sum plus the IPv6 pseudo-header; daddr is the final destination. */
dl_wsum dl_csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t proto, uint32_t len,
			dl_wsum sum);

/* ---- full computation ---- */

/* The IPv4 header checksum of the hdr_len-byte header at iph, its own checksum field taken as
 * zero. hdr_len is ihl*4, at least 20. */
dl_sum16 dl_ipv4_hdr_csum(const uint8_t *iph, size_t hdr_len);

/* Return codes of the L4 helpers below. */
enum dl_csum_rc {
	DL_CSUM_OK = 0,
	DL_CSUM_EPROTO = -1,   /* the packet's L4 is not this protocol (or has no parsed header) */
	DL_CSUM_EPARTIAL = -2, /* the segment is not all here: a fragment or a truncated capture */
};

/* The L4 checksum of a packet that dl_pkt_parse parsed into *pi from the same len bytes at
 * data, computed with the checksum field taken as zero, stored in *out ready for dl_wr16. TCP,
 * UDP and ICMPv6 include the pseudo-header, ICMP (v4) does not. dl_udp_csum applies the UDP
 * zero rule (a result of 0 comes back as DL_CSUM_MANGLED_0).
 * Returns DL_CSUM_OK, DL_CSUM_EPROTO, or DL_CSUM_EPARTIAL. */
int dl_tcp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out);
int dl_udp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out);
int dl_icmp_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out);
int dl_icmp6_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out);

/* Whichever of the four above fits the packet. */
int dl_l4_csum(const uint8_t *data, size_t len, const struct dl_pkt_info *pi, dl_sum16 *out);

/* ---- whole packets ----
 * These and the L4 helpers take offsets and lengths from *pi but read every byte, addresses
 * included, from data; so after rewriting fields in place (NAT, TTL) the info parsed before
 * still serves. A change of layout (adjust-head/room) needs a new parse. */

/* Result bits of dl_pkt_verify_csums and dl_pkt_fix_csums. */
#define DL_CSUM_BAD_IPV4        (1u << 0) /* IPv4 header checksum is wrong */
#define DL_CSUM_BAD_L4          (1u << 1) /* TCP, UDP, ICMP or ICMPv6 checksum is wrong */
#define DL_CSUM_L4_UNVERIFIABLE (1u << 2) /* L4 checksum not checked: fragment or truncated capture */
#define DL_CSUM_BAD_MASK        (DL_CSUM_BAD_IPV4 | DL_CSUM_BAD_L4)

/* Checks every checksum of a packet parsed into *pi from the same bytes: the IPv4 header, and
 * the TCP/UDP/ICMP/ICMPv6 checksum. An IPv4 UDP checksum of 0 means none and passes; other L4
 * protocols (SCTP, GRE, ...) are not checked. The L4 checksum cannot be checked for fragments
 * (it covers the whole datagram) or when the capture ends early; that sets
 * DL_CSUM_L4_UNVERIFIABLE instead of a verdict.
 * Returns 0 when everything checked is right, otherwise DL_CSUM_* bits. */
unsigned dl_pkt_verify_csums(const uint8_t *data, size_t len, const struct dl_pkt_info *pi);

/* Recomputes and writes the IPv4 header checksum and the L4 checksum of a packet parsed into
 * *pi from the same bytes. An IPv4 UDP checksum of 0 stays 0 (the sender asked for none).
 * Returns 0 when every checksum the packet has was written, or DL_CSUM_L4_UNVERIFIABLE when
 * the L4 checksum could not be (fragment, truncated capture) and was left as it was. */
unsigned dl_pkt_fix_csums(uint8_t *data, size_t len, const struct dl_pkt_info *pi);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CSUM_H */
