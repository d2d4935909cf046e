/* icmp.h: the ICMP errors Cilium's load balancer answers with itself, built in place: the
 * packet becomes the error, with swapped MACs, ready to go back out the interface it came in
 * on (ctx_redirect to the ingress ifindex, XDP_TX at XDP). Two kinds:
 *  - fragmentation needed / packet too big when DSR information or encapsulation would push a
 *    packet over THIS_MTU (bpf/lib/nodeport.h dsr_reply_icmp4/6; spec §4.2), in the v1.15 form
 *    and in recent main's;
 *  - port unreachable for a service without backends under
 *    --service-no-backend-response=reject (bpf/lib/lb.h __tail_no_service_ipv4/6; spec §8.5).
 * Deciding that a packet is too big, and the overhead to subtract, is dsr.h's; rate limiting
 * the ICMPv6 replies (100/s, burst 1000 per device) is the hook's, with its own map.
 *
 * Each builder takes the context and the struct dl_pkt_info parsed from its bytes, proves
 * every access in bounds, and on success re-parses the new packet into *pi. Nothing here
 * allocates. */
#ifndef DSRLAB_ICMP_H
#define DSRLAB_ICMP_H

#include "dsrlab/common.h"
#include "dsrlab/codec.h"
#include "dsrlab/ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_ICMP_DEST_UNREACH   3
#define DL_ICMP_PORT_UNREACH   3
#define DL_ICMP_FRAG_NEEDED    4
#define DL_ICMP_TIME_EXCEEDED  11
#define DL_ICMPV6_DEST_UNREACH 1
#define DL_ICMPV6_PORT_UNREACH 4
#define DL_ICMPV6_PKT_TOOBIG   2

/* How much of the offending packet an error quotes.
 * v1.15 (read): IPv4 header with options + 8 bytes of L4; IPv6 header + 64 bytes.
 * recent main under tc: the whole packet (a 240-byte test packet is quoted whole); its limit
 *   is UNCONFIRMED, so dsrlab keeps the error within what RFC 1812 §4.3.2.3 (576 bytes, IPv4)
 *   and RFC 4443 §2.4(c) (the IPv6 minimum MTU, 1280) allow: 548 and 1232 quoted bytes.
 * recent main at XDP: the first 28 bytes for IPv4 (read from its tests); 48 for IPv6 (40 + 8,
 *   UNCONFIRMED, by analogy). */
#define DL_ICMP4_ERR_MAX_LEN      576u
#define DL_ICMP6_ERR_MAX_LEN      1280u
#define DL_ICMP4_QUOTE_V115_L4    8u
#define DL_ICMP6_QUOTE_V115       64u
#define DL_ICMP4_QUOTE_TC_MAX     (DL_ICMP4_ERR_MAX_LEN - 20u - 8u)
#define DL_ICMP6_QUOTE_TC_MAX     (DL_ICMP6_ERR_MAX_LEN - 40u - 8u)
#define DL_ICMP4_QUOTE_XDP        28u
#define DL_ICMP6_QUOTE_XDP        48u

/* The no-backend reply's sample (bpf/lib/lb.h ICMP_PACKET_MAX_SAMPLE_SIZE and
 * ICMPV6_PACKET_MAX_SAMPLE_SIZE). */
#define DL_ICMP4_NO_SERVICE_SAMPLE 64u
#define DL_ICMP6_NO_SERVICE_SAMPLE (1280u - 40u - 8u)

enum dl_icmp_profile {
	/* dsr_reply_icmp4/6 of nodeport.h ~v1.15: outer IPv4 ihl 5, TTL 64, TOS and ID copied,
	 * DF set; IPv6 hop limit 64, traffic class and flow label copied */
	DL_ICMP_PROFILE_V1_15 = 0,
	/* recent main (kpr_dsr_lb.h fixtures): IPv4 ID 0, no DF, TTL 64, TOS copied
	 * (UNCONFIRMED); IPv6 hop limit 64, traffic class and flow label 0 (UNCONFIRMED); the
	 * quote is the pre-DNAT packet, whole under tc ... */
	DL_ICMP_PROFILE_RECENT_TC,
	/* ... and only its first DL_ICMP4_QUOTE_XDP / DL_ICMP6_QUOTE_XDP bytes at XDP */
	DL_ICMP_PROFILE_RECENT_XDP,
};

struct dl_icmp_too_big {
	enum dl_icmp_profile profile;
	uint32_t mtu;            /* the MTU to advertise: THIS_MTU - ohead (dsr.h dl_dsr_ohead) */
	const uint8_t *saddr;    /* the error's source, 4 or 16 bytes. v1.15 takes the packet's
				  * current daddr, which after the DNAT of opt/geneve is the
				  * BACKEND (that is how the code reads; whether it happens on a
				  * live cluster is UNCONFIRMED); recent main's fixtures show the VIP.
				  * The caller decides. */
	const uint8_t *svc_addr; /* the VIP to put back as the quoted packet's destination, with
				  * svc_port, when the packet was DNATed already; NULL quotes the
				  * packet as it is (recent main: call before the DNAT) */
	uint16_t svc_port;       /* host order */
};

/* IPv4: ICMP type 3 code 4, next-hop MTU = p->mtu (16 bits), to the packet's source.
 *  v1.15: quote = the IPv4 header including options + the first 8 bytes of L4, with daddr set
 *    to svc_addr and the header checksum recomputed over the first 20 bytes, and the 16 bits
 *    at offset 20 + 2 set to svc_port. Both as nodeport.h does it: with IP options the
 *    checksum then disagrees with the header and the port lands in the options (for the usual
 *    ihl 5 both are right). The quoted L4 checksum is left as the DNAT made it. Only TCP and
 *    UDP packets are answered, and only when the packet is long enough for the BPF loads
 *    (IP header + 8 + 40 bytes).
 *  recent: the packet is first put back to svc_addr:svc_port with every checksum fixed
 *    (dl_lb4_xlate), then quoted whole (tc, at most 548 bytes) or its first 28 bytes (XDP).
 * The ICMP checksum covers the ICMP header and the quote.
 * Returns 0 (*pi now describes the ICMP error), or DROP_FRAG_NEEDED: the error could not be
 * built and the packet is dropped with that reason, as Cilium does. */
int dl_dsr_reply_icmp4(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p);

/* IPv6: ICMPv6 type 2 (Packet Too Big) code 0, MTU 32 bits, checksum with the pseudo-header.
 *  v1.15: quote = the IPv6 header with daddr set to svc_addr + the first 64 bytes after it,
 *    with svc_port at offset 2 of them; only when the base header's next header is TCP or UDP
 *    and the packet has those 104 bytes. Payload length 112.
 *  recent: restored with dl_lb6_xlate, quoted whole (tc, at most 1232 bytes) or 48 (XDP).
 * Returns 0, or DROP_FRAG_NEEDED. */
int dl_dsr_reply_icmp6(struct dl_ctx *ctx, struct dl_pkt_info *pi, const struct dl_icmp_too_big *p);

/* __tail_no_service_ipv4: ICMP type 3 code 3 from the packet's destination (the VIP) to its
 * source, ID 0, no DF, TTL 64, TOS copied. The quote is Cilium's sample: n = min(frame length
 * INCLUDING the Ethernet header, 64) bytes taken from the IP header on, so a short packet is
 * quoted whole followed by zero bytes (a 74-byte frame quotes its 60-byte IP packet and 4
 * zeros: tc_nodeport_lb_no_backend.c). The spec left this length UNCONFIRMED; it is read from
 * bpf/lib/lb.h (ICMP_PACKET_MAX_SAMPLE_SIZE) and pinned by that test's checksums.
 * Returns 0, or DROP_INVALID (not IPv4 over Ethernet, or no room to grow the frame). */
int dl_tail_no_service_ipv4(struct dl_ctx *ctx, struct dl_pkt_info *pi);

/* __tail_no_service_ipv6: ICMPv6 type 1 code 4, hop limit 64, traffic class and flow label 0,
 * quoting min(frame length, 1280 - 40 - 8) bytes from the IPv6 header on the same way (a
 * 94-byte frame quotes its 80-byte packet and 14 zeros; pinned by the test's checksum 0x9e14).
 * Returns 0, or DROP_INVALID. */
int dl_tail_no_service_ipv6(struct dl_ctx *ctx, struct dl_pkt_info *pi);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_ICMP_H */
