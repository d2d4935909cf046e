/* test_codec.c: unit tests for dl_pkt_parse: hand-built valid packets of every link type and
 * protocol with the fields they must yield, a table of malformed packets with their exact
 * error text, every prefix of every valid packet (run under ASan, this proves no read past the
 * end), and random mutations. Checksum tests live in test_csum.c. */
#include "pkt_testutil.h"

#define IP4_A "0a000001" /* 10.0.0.1 */
#define IP4_B "0a000002" /* 10.0.0.2 */
#define IP6_A "20010db8000000000000000000000001" /* 2001:db8::1 */
#define IP6_B "20010db8000000000000000000000002" /* 2001:db8::2 */

static int parse(const struct tu_pkt *p, struct dl_pkt_info *pi)
{
	return dl_pkt_parse(p->b, p->n, p->linktype, pi);
}

/* ---- valid packets: each builder makes one, and a check function below says what it holds ---- */

/* toolchain.md (d): IPv4 IHL=7 with Cilium's DSR option 0x9a, TCP SYN 40000 -> 80. */
static void pk_toolchain_syn(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	tu_hex(p, "4700 0030 1234 4000 4006 dda3 c0a80102 c0a80101 9a081f90 0a010203");
	tu_hex(p, "9c40 0050 000003e8 00000000 5002 faf0 9125 0000");
}

/* A Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale. */
static void pk_syn_opts(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_TCP, IP4_A, IP4_B);
	tu_hex(p, "9c41 01bb 11223344 00000000 a002 faf0 0000 0000");
	tu_hex(p, "020405b4 0402080a 000f4240 00000000 01030307");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_vlan_udp(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_8021Q);
	tu_hex(p, "0064 0800");
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	udp = tu_udp(p, 5353, 53);
	tu_hex(p, "68656c6c6f"); /* odd length on purpose */
	tu_udp_end(p, udp);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_qinq_tcp6(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_8021AD);
	tu_hex(p, "000a 8100 2014 86dd");
	ip = tu_ipv6(p, DL_IPPROTO_TCP, IP6_A, IP6_B);
	tu_hex(p, "04d2 0050 00000001 00000002 5010 0100 0000 0000 616263");
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

static void pk_arp(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_ARP);
	tu_hex(p, "0001 0800 06 04 0001");
	tu_put(p, tu_mac_a, 6);
	tu_hex(p, IP4_A "000000000000" IP4_B);
	tu_put(p, NULL, 60 - p->n); /* Ethernet minimum frame */
}

/* Hop-by-hop, destination options, then a first fragment (MF) of a UDP datagram whose UDP
 * length counts the whole datagram. */
static void pk_ipv6_first_frag(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_HOPOPTS, IP6_A, IP6_B);
	tu_hex(p, "3c00 0104 00000000");   /* hop-by-hop, PadN, next: dest opts */
	tu_hex(p, "2c00 0104 00000000");   /* dest opts, next: fragment */
	tu_hex(p, "1100 0001 deadbeef");   /* fragment offset 0, M=1, next: UDP */
	tu_hex(p, "1388 0035 03e8 0000");  /* UDP 5000 -> 53, length 1000 */
	tu_put(p, NULL, 32);
	tu_ipv6_end(p, ip);
}

static void pk_ipv6_later_frag(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_FRAGMENT, IP6_A, IP6_B);
	tu_hex(p, "1100 04d0 deadbeef"); /* offset 1232, M=0 */
	tu_put(p, NULL, 48);
	tu_ipv6_end(p, ip);
}

static void pk_ipv4_first_frag(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	dl_wr16(p->b + ip + 6, 0x2000); /* MF, offset 0 */
	udp = tu_udp(p, 4000, 4001);
	dl_wr16(p->b + udp + 4, 3000);  /* the whole datagram */
	tu_put(p, NULL, 64);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_ipv4_later_frag(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	dl_wr16(p->b + ip + 6, 185); /* offset 1480, MF clear */
	tu_put(p, NULL, 100);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_udp_padded(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	udp = tu_udp(p, 1000, 2000);
	tu_hex(p, "abcd");
	tu_udp_end(p, udp);
	tu_ipv4_end(p, ip);
	tu_fix(p);
	tu_hex(p, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"); /* padding to 60 bytes */
}

static void pk_icmp_echo(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_ICMP, IP4_A, IP4_B);
	tu_hex(p, "0800 0000 1234 0001 0001020304050607");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

/* Fragmentation needed (MTU 1400) quoting the IPv4 + TCP header of a 1500-byte segment. */
static void pk_icmp_frag_needed(struct tu_pkt *p)
{
	size_t ip, inner;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_ICMP, "0a0000fe", IP4_A);
	tu_hex(p, "0304 0000 0000 0578");
	inner = tu_ipv4(p, DL_IPPROTO_TCP, IP4_A, IP4_B);
	dl_wr16(p->b + inner + 2, 1500);
	dl_wr16(p->b + inner + 10, dl_ipv4_hdr_csum(p->b + inner, 20));
	tu_hex(p, "9c40 0050 00000064 000000c8 5010 faf0 0000 0000");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

/* Packet too big (MTU 1280) quoting an IPv6 + TCP header. */
static void pk_icmp6_ptb(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_ICMPV6, "20010db80000000000000000000000fe", IP6_A);
	tu_hex(p, "0200 0000 00000500");
	tu_ipv6(p, DL_IPPROTO_TCP, IP6_A, IP6_B);
	dl_wr16(p->b + 62 + 4, 1440);
	tu_hex(p, "9c40 0050 00000064 000000c8 5010 faf0 0000 0000");
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

static void pk_icmp6_echo_raw(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_ICMPV6, IP6_A, IP6_B);
	tu_hex(p, "8000 0000 abcd 0007 64617461");
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

/* Neighbour solicitation for fe80::2 with a source link-layer address option. */
static void pk_icmp6_ns(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_ICMPV6, "fe800000000000000000000000000001", "ff0200000000000000000001ff000002");
	p->b[ip + 7] = 255;
	tu_hex(p, "8700 0000 00000000 fe800000000000000000000000000002 0101");
	tu_put(p, tu_mac_a, 6);
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

static void pk_sll_tcp(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_LINUX_SLL);
	tu_hex(p, "0000 0001 0006 02000000000a0000 0800");
	ip = tu_ipv4(p, DL_IPPROTO_TCP, IP4_A, IP4_B);
	tu_hex(p, "0050 9c40 000003e8 000003e9 5012 ffff 0000 0000");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_sll2_udp6(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_LINUX_SLL2);
	tu_hex(p, "86dd 0000 00000002 0001 04 06 02000000000a0000");
	ip = tu_ipv6(p, DL_IPPROTO_UDP, IP6_A, IP6_B);
	udp = tu_udp(p, 53, 5353);
	tu_hex(p, "0102030405060708");
	tu_udp_end(p, udp);
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

/* libpcap puts a stripped VLAN tag back after the SLL header. */
static void pk_sll_vlan(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_LINUX_SLL);
	tu_hex(p, "0000 0001 0006 02000000000a0000 8100 0064 0800");
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	udp = tu_udp(p, 1, 2);
	tu_udp_end(p, udp);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

/* A tun device (ARPHRD_NONE) with no protocol: the version nibble decides. */
static void pk_sll_tun(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_LINUX_SLL);
	tu_hex(p, "0004 fffe 0000 0000000000000000 0000");
	ip = tu_ipv4(p, DL_IPPROTO_ICMP, IP4_A, IP4_B);
	tu_hex(p, "0000 0000 0001 0002");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_sll_netlink(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_LINUX_SLL);
	tu_hex(p, "0004 0338 0000 0000000000000000 0000");
	tu_hex(p, "1c000000 10000000 00000000 00000000 450000ff");
}

static void pk_raw4_udp(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_RAW);
	ip = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	udp = tu_udp(p, 7, 7);
	tu_hex(p, "00");
	tu_udp_end(p, udp);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_raw6_tcp(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_RAW);
	ip = tu_ipv6(p, DL_IPPROTO_TCP, IP6_A, IP6_B);
	tu_hex(p, "0016 c000 00000001 00000000 6002 ffff 0000 0000 020405a0");
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

static void pk_dlt12_tcp(struct tu_pkt *p)
{
	pk_toolchain_syn(p);
	memmove(p->b, p->b + 14, p->n - 14);
	p->n -= 14;
	p->linktype = DL_LINKTYPE_DLT_RAW12;
}

static void pk_dlt14_udp6(struct tu_pkt *p)
{
	pk_sll2_udp6(p);
	memmove(p->b, p->b + 20, p->n - 20);
	p->n -= 20;
	p->linktype = DL_LINKTYPE_DLT_RAW14;
}

static void pk_ipv4_lt_tcp(struct tu_pkt *p)
{
	pk_dlt12_tcp(p);
	p->linktype = DL_LINKTYPE_IPV4;
}

static void pk_gre(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_GRE, IP4_A, IP4_B);
	tu_hex(p, "0000 6558 020000000001 020000000002 0800");
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_ipip(struct tu_pkt *p)
{
	size_t ip, inner, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_IPIP, "c0a80001", "c0a80002");
	inner = tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
	udp = tu_udp(p, 9, 10);
	tu_udp_end(p, udp);
	tu_ipv4_end(p, inner);
	dl_wr16(p->b + inner + 10, dl_ipv4_hdr_csum(p->b + inner, 20));
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_sctp6(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_SCTP, IP6_A, IP6_B);
	tu_hex(p, "8e3c 960c 00000001 00000000 01000004");
	tu_ipv6_end(p, ip);
}

static void pk_geneve(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_UDP, "c0a80001", "c0a80002");
	udp = tu_udp(p, 51234, DL_GENEVE_PORT);
	dl_wr16(p->b + udp + 6, DL_UDP_CSUM_NONE); /* as Cilium sends it (BPF_F_ZERO_CSUM_TX) */
	tu_hex(p, "0000 6558 000001 00");
	tu_eth(p, DL_ETH_P_IPV4);
	tu_udp_end(p, udp);
	tu_ipv4_end(p, ip);
	tu_fix(p);
}

static void pk_ah6(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_AH, IP6_A, IP6_B);
	tu_hex(p, "0604 0000 00000100 00000001 000000000000000000000000"); /* 24 bytes, next: TCP */
	tu_hex(p, "0016 c000 00000001 00000000 5002 ffff 0000 0000");
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

/* Segment routing header with one segment left: UDP's pseudo-header uses segment list[0]. */
static void pk_srh(struct tu_pkt *p)
{
	size_t ip, udp;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_ROUTING, IP6_A, "20010db800000000000000000000000a");
	tu_hex(p, "1104 0401 0100 0000");
	tu_hex(p, IP6_B "20010db800000000000000000000000a");
	udp = tu_udp(p, 4242, 4343);
	tu_hex(p, "cafe");
	tu_udp_end(p, udp);
	tu_ipv6_end(p, ip);
	tu_fix(p);
}

static void pk_nonext(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	tu_ipv6(p, DL_IPPROTO_NONE, IP6_A, IP6_B);
	tu_put(p, NULL, 6); /* Ethernet padding to 60 */
}

/* A 100-byte segment captured with a snaplen that keeps 20 bytes of its payload. */
static void pk_snaplen_tcp(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV4);
	ip = tu_ipv4(p, DL_IPPROTO_TCP, IP4_A, IP4_B);
	tu_hex(p, "9c40 0050 000003e8 00000001 5018 faf0 0000 0000");
	tu_put(p, NULL, 100);
	tu_ipv4_end(p, ip);
	tu_fix(p);
	p->n -= 80;
}

static void pk_llc(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, 0x0026);
	tu_hex(p, "4242 03 0000 00");
	tu_put(p, NULL, 60 - p->n);
}

struct valid_case {
	const char *name;
	void (*build)(struct tu_pkt *p);
};

static const struct valid_case valid_cases[] = {
	{ "toolchain_syn", pk_toolchain_syn },
	{ "syn_opts", pk_syn_opts },
	{ "vlan_udp", pk_vlan_udp },
	{ "qinq_tcp6", pk_qinq_tcp6 },
	{ "arp", pk_arp },
	{ "ipv6_first_frag", pk_ipv6_first_frag },
	{ "ipv6_later_frag", pk_ipv6_later_frag },
	{ "ipv4_first_frag", pk_ipv4_first_frag },
	{ "ipv4_later_frag", pk_ipv4_later_frag },
	{ "udp_padded", pk_udp_padded },
	{ "icmp_echo", pk_icmp_echo },
	{ "icmp_frag_needed", pk_icmp_frag_needed },
	{ "icmp6_ptb", pk_icmp6_ptb },
	{ "icmp6_echo_raw", pk_icmp6_echo_raw },
	{ "icmp6_ns", pk_icmp6_ns },
	{ "sll_tcp", pk_sll_tcp },
	{ "sll2_udp6", pk_sll2_udp6 },
	{ "sll_vlan", pk_sll_vlan },
	{ "sll_tun", pk_sll_tun },
	{ "sll_netlink", pk_sll_netlink },
	{ "raw4_udp", pk_raw4_udp },
	{ "raw6_tcp", pk_raw6_tcp },
	{ "dlt12_tcp", pk_dlt12_tcp },
	{ "dlt14_udp6", pk_dlt14_udp6 },
	{ "ipv4_lt_tcp", pk_ipv4_lt_tcp },
	{ "gre", pk_gre },
	{ "ipip", pk_ipip },
	{ "sctp6", pk_sctp6 },
	{ "geneve", pk_geneve },
	{ "ah6", pk_ah6 },
	{ "srh", pk_srh },
	{ "nonext", pk_nonext },
	{ "snaplen_tcp", pk_snaplen_tcp },
	{ "llc", pk_llc },
};

/* ---- what each valid packet must parse to ---- */

static void test_toolchain_syn(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;
	static const uint8_t src[4] = { 192, 168, 1, 2 }, dst[4] = { 192, 168, 1, 1 };

	pk_toolchain_syn(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_STR(pi.err, "");
	CHECK_EQ(pi.l2_len, 14);
	CHECK_EQ(pi.ethertype, DL_ETH_P_IPV4);
	CHECK_EQ(pi.vlan_count, 0);
	CHECK_EQ(pi.l3, DL_L3_IPV4);
	CHECK_EQ(pi.l3_off, 14);
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK_EQ(pi.l3_len, 48);
	CHECK_EQ(pi.ttl, 64);
	CHECK_EQ(pi.tos, 0);
	CHECK_EQ(pi.ip_id, 4660);
	CHECK(pi.df);
	CHECK(memcmp(pi.src, src, 4) == 0 && memcmp(pi.dst, dst, 4) == 0);
	CHECK_EQ(pi.ipv4_opt_off, 34);
	CHECK_EQ(pi.ipv4_opt_len, 8);
	CHECK_EQ(pi.frag, DL_FRAG_NONE);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_TCP);
	CHECK_EQ(pi.l4_off, 42);
	CHECK_EQ(pi.l4_hdr_len, 20);
	CHECK_EQ(pi.l4_len, 20);
	CHECK_EQ(pi.sport, 40000);
	CHECK_EQ(pi.dport, 80);
	CHECK_EQ(pi.tcp_seq, 1000);
	CHECK_EQ(pi.tcp_ack, 0);
	CHECK_EQ(pi.tcp_flags, DL_TCP_SYN);
	CHECK_EQ(pi.tcp_win, 64240);
	CHECK_EQ(pi.tcp_opt_len, 0);
	CHECK_EQ(pi.payload_off, 62);
	CHECK_EQ(pi.payload_len, 0);
	CHECK(!pi.truncated);
}

static void test_syn_opts(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_syn_opts(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3_hdr_len, 20);
	CHECK_EQ(pi.ipv4_opt_off, 0);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(pi.l4_hdr_len, 40);
	CHECK_EQ(pi.tcp_opt_off, 54);
	CHECK_EQ(pi.tcp_opt_len, 20);
	CHECK_EQ(pi.tcp_opts, DL_TCPOPT_F_MSS | DL_TCPOPT_F_SACKOK | DL_TCPOPT_F_TS | DL_TCPOPT_F_WSCALE);
	CHECK_EQ(pi.tcp_mss, 1460);
	CHECK_EQ(pi.tcp_wscale, 7);
	CHECK_EQ(pi.tcp_ts_val, 1000000);
	CHECK_EQ(pi.tcp_ts_ecr, 0);
	CHECK_EQ(pi.tcp_seq, 0x11223344);
	CHECK_EQ(pi.sport, 40001);
	CHECK_EQ(pi.dport, 443);
	CHECK_EQ(pi.payload_off, 74);
	CHECK_EQ(pi.payload_len, 0);
}

/* Options with a bad length stop option parsing but not the packet, as in Linux. */
static void test_tcp_bad_option(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_syn_opts(&p);
	p.b[54 + 5] = 0; /* SACKOK length 0: the MSS before it counts, nothing after */
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.tcp_opts, DL_TCPOPT_F_MSS);
	pk_syn_opts(&p);
	p.b[54 + 1] = 40; /* MSS runs past the options area */
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.tcp_opts, 0);
}

static void test_vlan(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_vlan_udp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.vlan_count, 1);
	CHECK_EQ(pi.vlan_ids[0], 100);
	CHECK_EQ(pi.l2_len, 18);
	CHECK_EQ(pi.ethertype, DL_ETH_P_IPV4);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_UDP);
	CHECK_EQ(pi.l4_off, 38);
	CHECK_EQ(pi.l4_len, 13);
	CHECK_EQ(pi.sport, 5353);
	CHECK_EQ(pi.dport, 53);
	CHECK_EQ(pi.payload_off, 46);
	CHECK_EQ(pi.payload_len, 5);

	pk_qinq_tcp6(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.vlan_count, 2);
	CHECK_EQ(pi.vlan_ids[0], 10);
	CHECK_EQ(pi.vlan_ids[1], 20); /* PCP bits dropped */
	CHECK_EQ(pi.l2_len, 22);
	CHECK_EQ(pi.l3, DL_L3_IPV6);
	CHECK_EQ(pi.l4_off, 62);
	CHECK_EQ(pi.tcp_flags, DL_TCP_ACK);
	CHECK_EQ(pi.payload_len, 3);
}

static void test_arp(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;
	static const uint8_t spa[4] = { 10, 0, 0, 1 }, tpa[4] = { 10, 0, 0, 2 };

	pk_arp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_ARP);
	CHECK_EQ(pi.ethertype, DL_ETH_P_ARP);
	CHECK_EQ(pi.l3_off, 14);
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK_EQ(pi.arp_op, 1);
	CHECK(pi.arp_ipv4);
	CHECK(memcmp(pi.arp_sha, tu_mac_a, 6) == 0);
	CHECK(memcmp(pi.arp_spa, spa, 4) == 0 && memcmp(pi.arp_tpa, tpa, 4) == 0);
	CHECK_EQ(pi.l4_off, 0);
	CHECK(!pi.truncated);
}

static void test_ipv6_ext_and_frags(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_ipv6_first_frag(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.ext_count, 3);
	CHECK(pi.ext[0].type == 0 && pi.ext[0].off == 54 && pi.ext[0].len == 8);
	CHECK(pi.ext[1].type == 60 && pi.ext[1].off == 62 && pi.ext[1].len == 8);
	CHECK(pi.ext[2].type == 44 && pi.ext[2].off == 70 && pi.ext[2].len == 8);
	CHECK_EQ(pi.l3_hdr_len, 64);
	CHECK_EQ(pi.l3_len, 104);
	CHECK_EQ(pi.frag, DL_FRAG_FIRST);
	CHECK_EQ(pi.frag_id, 0xdeadbeef);
	CHECK_EQ(pi.frag_off, 0);
	CHECK(pi.frag_mf);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_UDP);
	CHECK_EQ(pi.l4_off, 78);
	CHECK_EQ(pi.sport, 5000);
	CHECK_EQ(pi.payload_off, 86);
	CHECK_EQ(pi.payload_len, 32);

	pk_ipv6_later_frag(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.frag, DL_FRAG_LATER);
	CHECK_EQ(pi.frag_off, 1232);
	CHECK(!pi.frag_mf);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_UDP);
	CHECK_EQ(pi.l4_off, 0);
	CHECK_EQ(pi.l4_hdr_len, 0);
	CHECK_EQ(pi.sport, 0);
	CHECK_EQ(pi.l3_hdr_len, 48);
	CHECK_EQ(pi.payload_off, 62);
	CHECK_EQ(pi.payload_len, 48);

	pk_ah6(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.ext_count, 1);
	CHECK(pi.ext[0].type == DL_IPPROTO_AH && pi.ext[0].len == 24);
	CHECK_EQ(pi.l4_off, 78);
	CHECK_EQ(pi.dport, 49152);

	pk_srh(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.ext_count, 1);
	CHECK_EQ(pi.ipv6_final_dst_off, 62);
	CHECK_EQ(pi.l4_off, 94);
	CHECK_EQ(pi.dport, 4343);

	pk_nonext(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_NONE);
	CHECK_EQ(pi.l4_off, 0);
	CHECK_EQ(pi.l3_len, 40);
	CHECK_EQ(pi.payload_len, 0);
}

/* An atomic fragment (offset 0, M=0) is a whole datagram (RFC 6946). */
static void test_ipv6_atomic_frag(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_ipv6_first_frag(&p);
	dl_wr16(p.b + 72, 0);
	/* A whole datagram now, so its UDP length (1000) no longer fits the 40 bytes here. */
	CHECK_EQ(parse(&p, &pi), DL_PARSE_EMALFORMED);
	CHECK_STR(pi.err, "udp: length 1000 > 40 bytes of IP payload");
	dl_wr16(p.b + 82, 40);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.frag, DL_FRAG_NONE);
	CHECK(!pi.frag_mf);
	CHECK_EQ(pi.frag_id, 0xdeadbeef);
	CHECK_EQ(pi.l4_len, 40);
}

static void test_ipv4_frags(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_ipv4_first_frag(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.frag, DL_FRAG_FIRST);
	CHECK(pi.frag_mf);
	CHECK_EQ(pi.frag_off, 0);
	CHECK_EQ(pi.frag_id, 0x1234);
	CHECK(!pi.df);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(pi.sport, 4000);
	CHECK_EQ(pi.payload_len, 64);

	pk_ipv4_later_frag(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.frag, DL_FRAG_LATER);
	CHECK(!pi.frag_mf);
	CHECK_EQ(pi.frag_off, 1480);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_UDP);
	CHECK_EQ(pi.l4_off, 0);
	CHECK_EQ(pi.l4_hdr_len, 0);
	CHECK_EQ(pi.payload_off, 34);
	CHECK_EQ(pi.payload_len, 100);
}

static void test_padding_and_snaplen(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_udp_padded(&p);
	CHECK_EQ(p.n, 60);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3_len, 30);
	CHECK_EQ(pi.payload_len, 2);
	CHECK(!pi.truncated);

	pk_snaplen_tcp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK(pi.truncated);
	CHECK_EQ(pi.l3_len, 140);
	CHECK_EQ(pi.l4_len, 120);
	CHECK_EQ(pi.payload_off, 54);
	CHECK_EQ(pi.payload_len, 20);
}

static void test_icmp(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi, in;

	pk_icmp_echo(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMP);
	CHECK_EQ(pi.icmp_type, 8);
	CHECK_EQ(pi.icmp_code, 0);
	CHECK_EQ(pi.icmp_id, 0x1234);
	CHECK_EQ(pi.icmp_seq, 1);
	CHECK_EQ(pi.icmp_inner_off, 0);
	CHECK_EQ(pi.l4_hdr_len, 8);
	CHECK_EQ(pi.payload_len, 8);

	pk_icmp_frag_needed(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.icmp_type, 3);
	CHECK_EQ(pi.icmp_code, 4);
	CHECK_EQ(pi.icmp_mtu, 1400);
	CHECK_EQ(pi.icmp_inner_off, 42);
	CHECK_EQ(pi.payload_off, 42);
	CHECK_EQ(pi.payload_len, 40);
	/* The quoted packet parses as raw IPv4, cut short of the length it claims. */
	CHECK_EQ(dl_pkt_parse(p.b + pi.payload_off, pi.payload_len, DL_LINKTYPE_IPV4, &in), DL_PARSE_OK);
	CHECK(in.truncated);
	CHECK_EQ(in.l3_len, 1500);
	CHECK_EQ(in.sport, 40000);
	CHECK_EQ(in.dport, 80);

	pk_icmp6_ptb(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMPV6);
	CHECK_EQ(pi.icmp_type, 2);
	CHECK_EQ(pi.icmp_mtu, 1280);
	CHECK_EQ(pi.icmp_inner_off, 62);
	CHECK_EQ(pi.payload_len, 60);
	CHECK_EQ(dl_pkt_parse(p.b + pi.payload_off, pi.payload_len, DL_LINKTYPE_IPV6, &in), DL_PARSE_OK);
	CHECK(in.truncated);
	CHECK_EQ(in.dport, 80);

	pk_icmp6_echo_raw(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l2_len, 0);
	CHECK_EQ(pi.ethertype, DL_ETH_P_IPV6);
	CHECK_EQ(pi.icmp_type, 128);
	CHECK_EQ(pi.icmp_id, 0xabcd);
	CHECK_EQ(pi.icmp_seq, 7);
	CHECK_EQ(pi.payload_len, 4);

	pk_icmp6_ns(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.icmp_type, 135);
	CHECK_EQ(pi.ttl, 255);
	CHECK_EQ(pi.l4_hdr_len, 24); /* fixed part; the options are the payload */
	CHECK_EQ(pi.payload_len, 8);
}

static void test_link_types(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	pk_sll_tcp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l2_len, 16);
	CHECK_EQ(pi.sll_hatype, 1);
	CHECK_EQ(pi.sll_pkttype, 0);
	CHECK_EQ(pi.l3_off, 16);
	CHECK_EQ(pi.tcp_flags, DL_TCP_SYN | DL_TCP_ACK);
	CHECK_EQ(pi.sport, 80);

	pk_sll2_udp6(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l2_len, 20);
	CHECK_EQ(pi.sll_pkttype, 4);
	CHECK_EQ(pi.sll_hatype, 1);
	CHECK_EQ(pi.l3, DL_L3_IPV6);
	CHECK_EQ(pi.l4_off, 60);
	CHECK_EQ(pi.payload_len, 8);

	pk_sll_vlan(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.vlan_count, 1);
	CHECK_EQ(pi.vlan_ids[0], 100);
	CHECK_EQ(pi.l2_len, 20);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_UDP);

	pk_sll_tun(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_IPV4);
	CHECK_EQ(pi.ethertype, DL_ETH_P_IPV4);
	CHECK_EQ(pi.icmp_type, 0);
	CHECK_EQ(pi.icmp_seq, 2);

	pk_sll_netlink(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_OTHER);
	CHECK_EQ(pi.l3_off, 16);

	pk_raw4_udp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_IPV4);
	CHECK_EQ(pi.l3_off, 0);
	CHECK_EQ(pi.ethertype, DL_ETH_P_IPV4);
	CHECK_EQ(pi.l4_off, 20);
	CHECK_EQ(pi.payload_len, 1);

	pk_raw6_tcp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_IPV6);
	CHECK_EQ(pi.tcp_mss, 1440);

	pk_dlt12_tcp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_IPV4);
	CHECK_EQ(pi.l4_off, 28);

	pk_dlt14_udp6(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_IPV6);
	CHECK_EQ(pi.dport, 5353);

	pk_ipv4_lt_tcp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.sport, 40000);

	pk_llc(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l3, DL_L3_OTHER);
	CHECK_EQ(pi.ethertype, 0x26);
	CHECK_EQ(pi.l3_len, 0);
}

static void test_other_l4(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi, in;

	pk_gre(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_GRE);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(pi.l4_hdr_len, 0);
	CHECK(!dl_pkt_has_l4_hdr(&pi));
	CHECK_EQ(pi.payload_off, 34);
	CHECK_EQ(pi.payload_len, 18);

	pk_ipip(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_IPIP);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(dl_pkt_parse(p.b + pi.l4_off, pi.payload_len, DL_LINKTYPE_IPV4, &in), DL_PARSE_OK);
	CHECK_EQ(in.dport, 10);

	pk_sctp6(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_SCTP);
	CHECK_EQ(pi.sport, 36412);
	CHECK_EQ(pi.dport, 38412);
	CHECK_EQ(pi.l4_hdr_len, 12);
	CHECK_EQ(pi.payload_len, 4);

	pk_geneve(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK(dl_pkt_is_geneve(&pi));
	CHECK_EQ(pi.payload_off, 42);
	CHECK_EQ(pi.payload_len, 22);
	pk_vlan_udp(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK(!dl_pkt_is_geneve(&pi));
}

/* ---- malformed packets and their exact errors ---- */

struct bad_case {
	const char *name;
	void (*build)(struct tu_pkt *p);
	int rc;
	const char *err;
	uint32_t err_off;
};

static void bad_ihl4(struct tu_pkt *p) { pk_toolchain_syn(p); p->b[14] = 0x44; }
static void bad_ihl_beyond(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_IPV4);
	tu_ipv4(p, DL_IPPROTO_TCP, IP4_A, IP4_B);
	p->b[0] = 0x4f;
	dl_wr16(p->b + 2, 60);
}
static void bad_totlen(struct tu_pkt *p) { pk_toolchain_syn(p); dl_wr16(p->b + 16, 20); }
static void bad_ipv4_ver(struct tu_pkt *p) { pk_toolchain_syn(p); p->b[14] = 0x67; }
static void bad_doff4(struct tu_pkt *p) { pk_toolchain_syn(p); p->b[54] = 0x40; }
static void bad_doff_beyond(struct tu_pkt *p) { pk_toolchain_syn(p); p->b[54] = 0xf0; }
static void bad_doff_snaplen(struct tu_pkt *p) { bad_doff_beyond(p); dl_wr16(p->b + 16, 1000); }
static void bad_tcp_short(struct tu_pkt *p) { pk_toolchain_syn(p); dl_wr16(p->b + 16, 40); }
static void bad_udp_len4(struct tu_pkt *p) { pk_vlan_udp(p); dl_wr16(p->b + 42, 4); }
static void bad_udp_len_big(struct tu_pkt *p) { pk_vlan_udp(p); dl_wr16(p->b + 42, 100); }
static void bad_ext_past_end(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_DSTOPTS, IP6_A, IP6_B);
	tu_hex(p, "3b01 0106 00000000"); /* claims 16 bytes; the payload has 8 */
	tu_ipv6_end(p, ip);
}
static void bad_ext_snaplen(struct tu_pkt *p) { bad_ext_past_end(p); dl_wr16(p->b + 18, 16); }
static void bad_ext_nine(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_DSTOPTS, IP6_A, IP6_B);
	for (int i = 0; i < 9; i++)
		tu_hex(p, i < 8 ? "3c00 0104 00000000" : "3b00 0104 00000000");
	tu_ipv6_end(p, ip);
}
static void bad_hbh_not_first(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_DSTOPTS, IP6_A, IP6_B);
	tu_hex(p, "0000 0104 00000000 3b00 0104 00000000");
	tu_ipv6_end(p, ip);
}
static void bad_second_frag(struct tu_pkt *p)
{
	size_t ip;

	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_IPV6);
	ip = tu_ipv6(p, DL_IPPROTO_FRAGMENT, IP6_A, IP6_B);
	tu_hex(p, "2c00 0001 00000001 3b00 0001 00000001");
	tu_ipv6_end(p, ip);
}
static void bad_jumbo(struct tu_pkt *p) { pk_ipv6_first_frag(p); dl_wr16(p->b + 18, 0); }
static void bad_ipv6_ver(struct tu_pkt *p) { pk_toolchain_syn(p); dl_wr16(p->b + 12, DL_ETH_P_IPV6); }
static void bad_empty(struct tu_pkt *p) { tu_init(p, DL_LINKTYPE_ETHERNET); }
static void bad_one_byte(struct tu_pkt *p) { tu_init(p, DL_LINKTYPE_ETHERNET); tu_hex(p, "02"); }
static void bad_eth12(struct tu_pkt *p) { pk_toolchain_syn(p); p->n = 12; }
static void bad_raw_empty(struct tu_pkt *p) { tu_init(p, DL_LINKTYPE_RAW); }
static void bad_raw_one(struct tu_pkt *p) { tu_init(p, DL_LINKTYPE_RAW); tu_hex(p, "45"); }
static void bad_raw_ver5(struct tu_pkt *p) { pk_raw4_udp(p); p->b[0] = 0x55; }
static void bad_ipv4_lt_v6(struct tu_pkt *p) { pk_raw6_tcp(p); p->linktype = DL_LINKTYPE_IPV4; }
static void bad_ipv6_lt_short(struct tu_pkt *p) { pk_raw6_tcp(p); p->linktype = DL_LINKTYPE_IPV6; p->n = 39; }
static void bad_linktype(struct tu_pkt *p) { pk_raw4_udp(p); p->linktype = 147; }
static void bad_three_vlans(struct tu_pkt *p)
{
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, DL_ETH_P_8021AD);
	tu_hex(p, "0001 8100 0002 8100 0003 0800");
	tu_ipv4(p, DL_IPPROTO_UDP, IP4_A, IP4_B);
}
static void bad_vlan_short(struct tu_pkt *p) { pk_vlan_udp(p); p->n = 16; }
static void bad_ping_of_death(struct tu_pkt *p) { pk_ipv4_later_frag(p); dl_wr16(p->b + 20, 8189); }
static void bad_arp_short(struct tu_pkt *p) { pk_arp(p); p->n = 34; }
static void bad_ns_short(struct tu_pkt *p) { pk_icmp6_ns(p); p->n -= 16; dl_wr16(p->b + 18, 16); }
static void bad_icmp_short(struct tu_pkt *p) { pk_icmp_echo(p); dl_wr16(p->b + 16, 24); }
static void bad_sctp_short(struct tu_pkt *p) { pk_sctp6(p); dl_wr16(p->b + 18, 8); }
static void bad_sll_short(struct tu_pkt *p) { pk_sll_tcp(p); p->n = 10; }
static void bad_sll2_short(struct tu_pkt *p) { pk_sll2_udp6(p); p->n = 12; }

static const struct bad_case bad_cases[] = {
	{ "ihl < 5", bad_ihl4, DL_PARSE_EMALFORMED, "ipv4: ihl 4 < 5", 14 },
	{ "ihl beyond buffer", bad_ihl_beyond, DL_PARSE_ETRUNCATED, "ipv4: ihl 15 needs 60 bytes, 20 left", 0 },
	{ "total length < ihl", bad_totlen, DL_PARSE_EMALFORMED, "ipv4: total length 20 < header length 28", 16 },
	{ "ipv4 version", bad_ipv4_ver, DL_PARSE_EMALFORMED, "ipv4: version 6 != 4", 14 },
	{ "tcp doff < 5", bad_doff4, DL_PARSE_EMALFORMED, "tcp: data offset 4 < 5", 54 },
	{ "tcp doff beyond IP", bad_doff_beyond, DL_PARSE_EMALFORMED,
	  "tcp: data offset 15 needs 60 bytes, 20 left", 54 },
	{ "tcp doff beyond capture", bad_doff_snaplen, DL_PARSE_ETRUNCATED,
	  "tcp: data offset 15 needs 60 bytes, 20 left", 54 },
	{ "tcp short", bad_tcp_short, DL_PARSE_EMALFORMED, "tcp: 12 bytes < 20", 42 },
	{ "udp length < 8", bad_udp_len4, DL_PARSE_EMALFORMED, "udp: length 4 < 8", 42 },
	{ "udp length > payload", bad_udp_len_big, DL_PARSE_EMALFORMED,
	  "udp: length 100 > 13 bytes of IP payload", 42 },
	{ "ipv6 ext past end", bad_ext_past_end, DL_PARSE_EMALFORMED,
	  "ipv6: extension header 60 at offset 54 runs past the end (needs 16 bytes, 8 left)", 54 },
	{ "ipv6 ext past capture", bad_ext_snaplen, DL_PARSE_ETRUNCATED,
	  "ipv6: extension header 60 at offset 54 runs past the end (needs 16 bytes, 8 left)", 54 },
	{ "ipv6 nine ext headers", bad_ext_nine, DL_PARSE_EUNSUPPORTED, "ipv6: more than 8 extension headers", 118 },
	{ "hop-by-hop not first", bad_hbh_not_first, DL_PARSE_EMALFORMED,
	  "ipv6: hop-by-hop header at offset 62 is not first", 62 },
	{ "second fragment header", bad_second_frag, DL_PARSE_EMALFORMED,
	  "ipv6: second fragment header at offset 62", 62 },
	{ "jumbogram", bad_jumbo, DL_PARSE_EUNSUPPORTED, "ipv6: jumbogram (payload length 0) not supported", 18 },
	{ "ipv6 version", bad_ipv6_ver, DL_PARSE_EMALFORMED, "ipv6: version 4 != 6", 14 },
	{ "zero-length", bad_empty, DL_PARSE_ETRUNCATED, "ethernet: 0 bytes < 14", 0 },
	{ "one byte", bad_one_byte, DL_PARSE_ETRUNCATED, "ethernet: 1 bytes < 14", 0 },
	{ "12-byte ethernet", bad_eth12, DL_PARSE_ETRUNCATED, "ethernet: 12 bytes < 14", 0 },
	{ "raw empty", bad_raw_empty, DL_PARSE_ETRUNCATED, "raw: 0 bytes, no IP version", 0 },
	{ "raw one byte", bad_raw_one, DL_PARSE_ETRUNCATED, "ipv4: 1 bytes < 20", 0 },
	{ "raw version 5", bad_raw_ver5, DL_PARSE_EUNSUPPORTED, "raw: ip version 5", 0 },
	{ "LINKTYPE_IPV4 holding IPv6", bad_ipv4_lt_v6, DL_PARSE_EMALFORMED, "ipv4: version 6 != 4", 0 },
	{ "LINKTYPE_IPV6 short", bad_ipv6_lt_short, DL_PARSE_ETRUNCATED, "ipv6: 39 bytes < 40", 0 },
	{ "unknown linktype", bad_linktype, DL_PARSE_EUNSUPPORTED, "link: linktype 147 not supported", 0 },
	{ "three vlan tags", bad_three_vlans, DL_PARSE_EUNSUPPORTED, "vlan: more than 2 tags", 20 },
	{ "vlan short", bad_vlan_short, DL_PARSE_ETRUNCATED, "vlan: 2 bytes < 4", 14 },
	{ "ping of death", bad_ping_of_death, DL_PARSE_EMALFORMED,
	  "ipv4: fragment offset 65512 + 100 bytes > 65535", 20 },
	{ "arp short", bad_arp_short, DL_PARSE_ETRUNCATED, "arp: 20 bytes < 28", 14 },
	{ "ns short", bad_ns_short, DL_PARSE_EMALFORMED, "icmpv6: type 135 needs 24 bytes, 16 left", 54 },
	{ "icmp short", bad_icmp_short, DL_PARSE_EMALFORMED, "icmp: 4 bytes < 8", 34 },
	{ "sctp short", bad_sctp_short, DL_PARSE_EMALFORMED, "sctp: 8 bytes < 12", 54 },
	{ "sll short", bad_sll_short, DL_PARSE_ETRUNCATED, "sll: 10 bytes < 16", 0 },
	{ "sll2 short", bad_sll2_short, DL_PARSE_ETRUNCATED, "sll2: 12 bytes < 20", 0 },
};

static void test_bad_cases(void)
{
	for (size_t i = 0; i < DL_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct tu_pkt p;
		struct dl_pkt_info pi;
		int rc;

		c->build(&p);
		rc = parse(&p, &pi);
		if (rc != c->rc || strcmp(pi.err, c->err) != 0 || pi.err_off != c->err_off)
			fprintf(stderr, "bad case \"%s\": rc %d err \"%s\" at %u\n", c->name, rc, pi.err,
				pi.err_off);
		CHECK_EQ(rc, c->rc);
		CHECK_STR(pi.err, c->err);
		CHECK_EQ(pi.err_off, c->err_off);
	}
}

/* Fields of the layers before the failing one survive an error. */
static void test_error_keeps_outer_layers(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;

	bad_doff4(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_EMALFORMED);
	CHECK_EQ(pi.l3, DL_L3_IPV4);
	CHECK_EQ(pi.ttl, 64);
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_TCP);
	CHECK_EQ(pi.l4_off, 42);

	/* And a later success clears the previous error. */
	pk_toolchain_syn(&p);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_STR(pi.err, "");
	CHECK_EQ(pi.err_off, 0);

	CHECK_STR(dl_parse_strerror(DL_PARSE_ETRUNCATED), "truncated");
	CHECK_STR(dl_parse_strerror(DL_PARSE_EMALFORMED), "malformed");
	CHECK_STR(dl_parse_strerror(DL_PARSE_EUNSUPPORTED), "unsupported");
	CHECK_EQ(dl_pkt_parse(NULL, 0, DL_LINKTYPE_ETHERNET, &pi), DL_PARSE_ETRUNCATED);
}

/* ---- robustness ---- */

/* What every successful parse promises about offsets, whatever the input. */
static const char *info_violation(const struct dl_pkt_info *pi, size_t n)
{
	if (pi->err[0])
		return "err set on success";
	if (pi->l2_len > n || pi->l3_off > n)
		return "l2/l3 offset past end";
	if (dl_pkt_is_ip(pi) && !dl_in_bounds(n, pi->l3_off, pi->l3_hdr_len))
		return "l3 header past end";
	if (pi->l4_hdr_len && !dl_in_bounds(n, pi->l4_off, pi->l4_hdr_len))
		return "l4 header past end";
	if (pi->l4_hdr_len && pi->l4_off < pi->l3_off + pi->l3_hdr_len)
		return "l4 header inside l3";
	if (!dl_in_bounds(n, pi->payload_off, pi->payload_len))
		return "payload past end";
	if (pi->ext_count > DL_PKT_MAX_EXTHDRS || pi->vlan_count > DL_PKT_MAX_VLANS)
		return "counts";
	for (unsigned i = 0; i < pi->ext_count; i++)
		if (!dl_in_bounds(n, pi->ext[i].off, pi->ext[i].len))
			return "ext header past end";
	if (pi->ipv4_opt_len && !dl_in_bounds(n, pi->ipv4_opt_off, pi->ipv4_opt_len))
		return "ipv4 options past end";
	if (pi->tcp_opt_len && !dl_in_bounds(n, pi->tcp_opt_off, pi->tcp_opt_len))
		return "tcp options past end";
	if (pi->ipv6_final_dst_off && !dl_in_bounds(n, pi->ipv6_final_dst_off, 16))
		return "final dst past end";
	return NULL;
}

/* Parses a heap copy of exactly n bytes, so ASan flags any read past them, then runs the
 * checksum code over the result as well. */
static int parse_exact(const uint8_t *b, size_t n, uint32_t linktype, struct dl_pkt_info *pi, const char **why)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, b, n);
	rc = dl_pkt_parse(copy, n, linktype, pi);
	*why = NULL;
	/* The shortcut for plain Ethernet/IPv4 frames must give what the general path gives:
	 * the same code, every field (both start from different garbage), the same reason. */
	{
		struct dl_pkt_info g;
		int grc;

		memset(&g, 0xa5, sizeof(g));
		grc = dl_pkt_parse_general(copy, n, linktype, &g);
		if (grc != rc || memcmp(&g, pi, offsetof(struct dl_pkt_info, err)) || strcmp(g.err, pi->err) ||
		    g.err_off != pi->err_off) {
			free(copy);
			*why = "dl_pkt_parse and dl_pkt_parse_general differ";
			return rc;
		}
	}
	if (rc == DL_PARSE_OK) {
		*why = info_violation(pi, n);
		dl_pkt_verify_csums(copy, n, pi);
		dl_pkt_fix_csums(copy, n, pi);
	} else if (pi->err[0] == '\0' || rc > 0 || rc < DL_PARSE_EUNSUPPORTED) {
		*why = "error without a reason";
	}
	free(copy);
	return rc;
}

/* Every prefix of a valid packet parses, or fails as TRUNCATED; never as anything else. */
static void test_every_prefix(void)
{
	for (size_t i = 0; i < DL_ARRAY_SIZE(valid_cases); i++) {
		struct tu_pkt p;
		struct dl_pkt_info pi;
		const char *why;
		int bad = 0, rc;

		valid_cases[i].build(&p);
		tu_dump(valid_cases[i].name, &p);
		rc = parse(&p, &pi);
		if (rc != DL_PARSE_OK)
			fprintf(stderr, "valid case %s: %d %s\n", valid_cases[i].name, rc, pi.err);
		CHECK_EQ(rc, DL_PARSE_OK);
		for (size_t n = 0; n <= p.n; n++) {
			rc = parse_exact(p.b, n, p.linktype, &pi, &why);
			if ((rc != DL_PARSE_OK && rc != DL_PARSE_ETRUNCATED) || why) {
				if (!bad++)
					fprintf(stderr, "%s cut to %zu: rc %d \"%s\" %s\n", valid_cases[i].name, n, rc,
						pi.err, why ? why : "");
			}
		}
		CHECK_EQ(bad, 0);
	}
	/* The malformed packets too, for reads out of bounds. */
	for (size_t i = 0; i < DL_ARRAY_SIZE(bad_cases); i++) {
		struct tu_pkt p;
		struct dl_pkt_info pi;
		const char *why;
		int bad = 0;

		bad_cases[i].build(&p);
		for (size_t n = 0; n <= p.n; n++) {
			parse_exact(p.b, n, p.linktype, &pi, &why);
			bad += why != NULL;
		}
		CHECK_EQ(bad, 0);
	}
}

/* Random byte changes to valid packets, cut to random lengths; under ASan this is a small
 * deterministic fuzzer. */
static void test_mutations(void)
{
	int bad = 0;

	for (int iter = 0; iter < 200000; iter++) {
		const struct valid_case *c = &valid_cases[tu_below(DL_ARRAY_SIZE(valid_cases))];
		struct tu_pkt p;
		struct dl_pkt_info pi;
		const char *why;
		unsigned flips = 1 + tu_below(4);
		size_t n;
		int rc;

		c->build(&p);
		for (unsigned k = 0; k < flips; k++) {
			size_t at = tu_below((uint32_t)p.n);

			/* Bias toward the headers, where the parser looks. */
			if (tu_below(2))
				at = tu_below((uint32_t)(p.n < 80 ? p.n : 80));
			p.b[at] = tu_below(4) ? (uint8_t)tu_rand() : (uint8_t)(p.b[at] ^ (1u << tu_below(8)));
		}
		n = tu_below(4) ? p.n : tu_below((uint32_t)p.n + 1);
		rc = parse_exact(p.b, n, p.linktype, &pi, &why);
		if (why) {
			if (!bad++)
				fprintf(stderr, "mutation %d of %s: rc %d %s\n", iter, c->name, rc, why);
		}
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_toolchain_syn();
	test_syn_opts();
	test_tcp_bad_option();
	test_vlan();
	test_arp();
	test_ipv6_ext_and_frags();
	test_ipv6_atomic_frag();
	test_ipv4_frags();
	test_padding_and_snaplen();
	test_icmp();
	test_link_types();
	test_other_l4();
	test_bad_cases();
	test_error_keeps_outer_layers();
	test_every_prefix();
	test_mutations();
	return tu_report("test_codec");
}
