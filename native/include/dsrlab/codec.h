/* codec.h: the packet parser. One call takes a captured frame (Ethernet with up to two VLAN
 * tags, Linux SLL/SLL2, or raw IP), walks ARP, IPv4 with options, IPv6 with its extension
 * header chain, and TCP/UDP/ICMP/ICMPv6/SCTP, and fills one flat struct dl_pkt_info.
 * Checksums live in csum.h; packet building lives in TypeScript (src/packet), not here. */
#ifndef DSRLAB_CODEC_H
#define DSRLAB_CODEC_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pcap LINKTYPE_* values (tcpdump.org/linktypes.html), plus the two platform DLT_RAW numbers
 * that leak into files written by old libpcaps. */
#define DL_LINKTYPE_ETHERNET  1u
#define DL_LINKTYPE_DLT_RAW12 12u  /* DLT_RAW on most BSDs and Linux before LINKTYPE_RAW */
#define DL_LINKTYPE_DLT_RAW14 14u  /* DLT_RAW on OpenBSD */
#define DL_LINKTYPE_RAW       101u /* raw IPv4 or IPv6, told apart by the version nibble */
#define DL_LINKTYPE_LINUX_SLL 113u /* 16-byte cooked header, protocol at offset 14 */
#define DL_LINKTYPE_IPV4      228u
#define DL_LINKTYPE_IPV6      229u
#define DL_LINKTYPE_LINUX_SLL2 276u /* 20-byte cooked header, protocol at offset 0 */

/* EtherTypes the parser acts on (host order). */
#define DL_ETH_P_IPV4  0x0800
#define DL_ETH_P_ARP   0x0806
#define DL_ETH_P_8021Q 0x8100
#define DL_ETH_P_8021AD 0x88a8
#define DL_ETH_P_QINQ1 0x9100 /* pre-802.1ad QinQ, still emitted by some switches */
#define DL_ETH_P_IPV6  0x86dd

/* IP protocol / IPv6 next-header numbers the parser knows. */
#define DL_IPPROTO_HOPOPTS  0
#define DL_IPPROTO_ICMP     1
#define DL_IPPROTO_IPIP     4
#define DL_IPPROTO_TCP      6
#define DL_IPPROTO_UDP      17
#define DL_IPPROTO_IPV6     41
#define DL_IPPROTO_ROUTING  43
#define DL_IPPROTO_FRAGMENT 44
#define DL_IPPROTO_GRE      47
#define DL_IPPROTO_ESP      50
#define DL_IPPROTO_AH       51
#define DL_IPPROTO_ICMPV6   58
#define DL_IPPROTO_NONE     59
#define DL_IPPROTO_DSTOPTS  60
#define DL_IPPROTO_SCTP     132

#define DL_GENEVE_PORT 6081 /* Cilium's tunnel port; Geneve is parsed as plain UDP */

/* TCP flags as stored in dl_pkt_info.tcp_flags (host order, the 9 bits after the data offset). */
#define DL_TCP_FIN 0x001
#define DL_TCP_SYN 0x002
#define DL_TCP_RST 0x004
#define DL_TCP_PSH 0x008
#define DL_TCP_ACK 0x010
#define DL_TCP_URG 0x020
#define DL_TCP_ECE 0x040
#define DL_TCP_CWR 0x080
#define DL_TCP_AE  0x100 /* RFC 3540 NS, reassigned by AccECN */

/* Which TCP options were seen (dl_pkt_info.tcp_opts). Options with a wrong length are ignored,
 * as Linux's tcp_parse_options ignores them. */
#define DL_TCPOPT_F_MSS    0x01
#define DL_TCPOPT_F_WSCALE 0x02
#define DL_TCPOPT_F_SACKOK 0x04
#define DL_TCPOPT_F_SACK   0x08
#define DL_TCPOPT_F_TS     0x10

/* Return codes of dl_pkt_parse. */
enum dl_parse_rc {
	DL_PARSE_OK = 0,
	DL_PARSE_ETRUNCATED = -1,   /* a header is cut off by the end of the captured bytes */
	DL_PARSE_EMALFORMED = -2,   /* a header contradicts itself or the length that encloses it */
	DL_PARSE_EUNSUPPORTED = -3, /* valid, but past what dsrlab parses (link type, >8 IPv6
				     * extension headers, a third VLAN tag, a jumbogram) */
};

enum dl_l3_kind { DL_L3_NONE = 0, DL_L3_IPV4, DL_L3_IPV6, DL_L3_ARP, DL_L3_OTHER };

enum dl_frag_kind {
	DL_FRAG_NONE = 0, /* whole datagram (IPv6 atomic fragments count as whole, RFC 6946) */
	DL_FRAG_FIRST,    /* offset 0, more fragments follow: carries the L4 header */
	DL_FRAG_LATER,    /* offset > 0: no L4 header, l4_off stays 0 */
};

#define DL_PKT_MAX_VLANS   2
#define DL_PKT_MAX_EXTHDRS 8
#define DL_PKT_ERR_LEN     96 /* the longest reason, an IPv6 extension header one, needs 90 */

/* One IPv6 extension header as found on the wire. */
struct dl_ipv6_ext {
	uint8_t type;  /* the next-header value naming it: 0, 43, 44, 51 or 60 */
	uint8_t _pad;
	uint16_t len;  /* bytes, including the next-header and length octets */
	uint32_t off;  /* from the start of the packet */
};

/* Everything dl_pkt_parse learns about one packet. Offsets count from the first captured
 * byte; all values are host order; addresses are copied as they sit in the packet. A field
 * for a layer the packet does not have is 0. */
struct dl_pkt_info {
	/* Link layer */
	uint32_t linktype;
	uint32_t l2_len;           /* bytes before the L3 header, VLAN tags included */
	uint16_t ethertype;        /* innermost; for raw link types, inferred from the IP version */
	uint16_t sll_pkttype;      /* SLL/SLL2 packet type (0 host, 4 outgoing, ...) */
	uint16_t sll_hatype;       /* SLL/SLL2 ARPHRD_* type */
	uint8_t vlan_count;
	uint16_t vlan_ids[DL_PKT_MAX_VLANS]; /* 12-bit VIDs, outermost first */

	/* L3 */
	uint8_t l3;                /* enum dl_l3_kind */
	bool truncated;            /* the capture ends before the length the headers claim */
	uint32_t l3_off;
	uint32_t l3_hdr_len;       /* IPv4: ihl*4; IPv6: 40 + extension headers; ARP: 8 + addresses */
	uint32_t l3_len;           /* IPv4 total length; IPv6 40 + payload length; 0 for OTHER */
	uint8_t ttl;               /* or IPv6 hop limit */
	uint8_t tos;               /* or IPv6 traffic class */
	uint16_t ip_id;            /* IPv4 identification */
	uint32_t flow_label;       /* IPv6 */
	bool df;                   /* IPv4 don't-fragment */
	uint8_t src[16];           /* IPv4 uses the first 4 bytes */
	uint8_t dst[16];
	uint32_t ipv4_opt_off;     /* 0 and 0 when the header has no options */
	uint32_t ipv4_opt_len;
	uint8_t ext_count;
	struct dl_ipv6_ext ext[DL_PKT_MAX_EXTHDRS];
	uint32_t ipv6_final_dst_off; /* routing header address that is the final destination
				      * (the one the L4 pseudo-header uses, RFC 8200 §8.1); 0: dst */

	/* Fragmentation: IPv4 flags/offset or the IPv6 fragment header */
	uint8_t frag;              /* enum dl_frag_kind */
	bool frag_mf;
	uint16_t frag_off;         /* bytes */
	uint32_t frag_id;          /* IPv4 id or IPv6 identification */

	/* ARP (only for Ethernet/IPv4 ARP; arp_op for every ARP) */
	uint16_t arp_op;
	bool arp_ipv4;             /* the four address fields below are filled */
	uint8_t arp_sha[6], arp_spa[4], arp_tha[6], arp_tpa[4];

	/* L4 */
	uint8_t l4_proto;          /* the upper-layer protocol, after IPv6 extension headers */
	uint32_t l4_off;           /* 0 when no L4 header was parsed (later fragment, no next header) */
	uint32_t l4_hdr_len;       /* 0 for protocols recorded but not parsed (GRE, IPIP, ESP, ...) */
	uint32_t l4_len;           /* L4 bytes the headers claim: IP payload, or the UDP length */
	uint16_t sport, dport;     /* TCP, UDP, SCTP */
	uint16_t tcp_flags;        /* DL_TCP_* */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint32_t tcp_opt_off, tcp_opt_len;
	uint8_t tcp_opts;          /* DL_TCPOPT_F_* seen */
	uint8_t tcp_wscale;
	uint16_t tcp_mss;
	uint32_t tcp_ts_val, tcp_ts_ecr;
	uint8_t icmp_type, icmp_code; /* ICMP or ICMPv6 */
	uint16_t icmp_id, icmp_seq;   /* echo request/reply */
	uint32_t icmp_mtu;            /* ICMP frag-needed next-hop MTU, ICMPv6 packet-too-big MTU */
	uint32_t icmp_inner_off;      /* error messages: where the quoted packet starts (== payload_off) */

	/* Payload: what follows the last parsed header, clipped to the captured bytes. For a later
	 * fragment it is the fragment data; for an ICMP error, the quoted packet. */
	uint32_t payload_off;
	uint32_t payload_len;

	/* Set when dl_pkt_parse fails; fields of the layers before the failing one stay valid. */
	uint32_t err_off;          /* where in the packet the problem is */
	char err[DL_PKT_ERR_LEN];  /* e.g. "ipv4: ihl 4 < 5"; "" on success */
};

/* Parses one captured packet of len bytes whose link layer is linktype (DL_LINKTYPE_*) into
 * *out. Never reads outside data[0, len) and never allocates; data may be NULL when len is 0.
 * Bytes past the length the IP header claims (Ethernet padding) are ignored. A capture that
 * ends inside the L4 payload (or inside an L3 payload that is not parsed further) is not an
 * error: out->truncated is set.
 *
 * Returns:
 *   DL_PARSE_OK            *out is filled; out->err is "".
 *   DL_PARSE_ETRUNCATED    a header does not fit in the captured bytes.
 *   DL_PARSE_EMALFORMED    a header is invalid (ihl < 5, TCP data offset < 5, UDP length < 8,
 *                          an extension header past the IPv6 payload, ...).
 *   DL_PARSE_EUNSUPPORTED  unknown link type, third VLAN tag, more than DL_PKT_MAX_EXTHDRS
 *                          IPv6 extension headers, an IPv6 jumbogram.
 * On error, out->err holds a reason such as "tcp: data offset 4 < 5", out->err_off the byte
 * offset it refers to, and the fields of the layers parsed before the failure stay valid. */
int dl_pkt_parse(const uint8_t *data, size_t len, uint32_t linktype, struct dl_pkt_info *out);
/* dl_pkt_parse without its shortcut for plain Ethernet/IPv4/TCP-or-UDP frames: the same result
 * for every input (the tests and the codec fuzzer compare the two). */
int dl_pkt_parse_general(const uint8_t *data, size_t len, uint32_t linktype, struct dl_pkt_info *out);

/* "truncated", "malformed", "unsupported", "ok", or "unknown" for other values. */
const char *dl_parse_strerror(int rc);

static inline bool dl_pkt_is_ip(const struct dl_pkt_info *pi)
{
	return pi->l3 == DL_L3_IPV4 || pi->l3 == DL_L3_IPV6;
}

static inline bool dl_pkt_is_fragment(const struct dl_pkt_info *pi) { return pi->frag != DL_FRAG_NONE; }
/* IPv6: a Fragment header is in the chain, an atomic one (offset 0, no M) included. */
static inline bool dl_pkt_has_frag_hdr(const struct dl_pkt_info *pi)
{
	for (unsigned i = 0; i < pi->ext_count && i < DL_PKT_MAX_EXTHDRS; i++)
		if (pi->ext[i].type == DL_IPPROTO_FRAGMENT)
			return true;
	return false;
}

/* True when an L4 header (TCP, UDP, ICMP, ICMPv6, SCTP) was parsed and its fields are set. */
static inline bool dl_pkt_has_l4_hdr(const struct dl_pkt_info *pi) { return pi->l4_hdr_len != 0; }

static inline bool dl_pkt_is_geneve(const struct dl_pkt_info *pi)
{
	return pi->l4_proto == DL_IPPROTO_UDP && pi->l4_hdr_len != 0 && pi->dport == DL_GENEVE_PORT;
}

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CODEC_H */
