/* test_rewrite.c: address/port/TTL/MAC rewrites with incremental checksums (rewrite.c) and the
 * IPv4 fragment map (frag.c). Expected frames come from cilium-test-scenarios.json
 * (tc_nodeport_lb_fragments_ns.c, host_kpr_dsr_option_remote_node.c); the random cases check
 * every incremental update against a full recomputation (dl_pkt_verify_csums). */
#include "pkt_testutil.h"

#include "dsrlab/drop.h"
#include "dsrlab/frag.h"
#include "dsrlab/rewrite.h"

/* ---- helpers ---- */

#include "ctx_testutil.h"

/* A UDP datagram of l3 bytes of IP packet, 110.0.11.1:4000 -> 172.16.10.1:53 (or IPv6); the
 * IPv4 checksum field starts as csum (0 means "none" and stays so). */
static void make_udp(struct pkt *p, bool v6, size_t l3, uint16_t csum)
{
	struct tu_pkt t;
	size_t ip, u;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, v6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	ip = v6 ? tu_ipv6(&t, DL_IPPROTO_UDP, "2001 0000 0000 0000 0000 0000 0000 0001",
			  "fd10 0000 0000 0000 0000 0000 0000 0001")
		: tu_ipv4(&t, DL_IPPROTO_UDP, "6e 00 0b 01", "ac 10 0a 01");
	u = tu_udp(&t, 4000, 53);
	while (t.n < 14 + l3)
		tu_u8(&t, (uint8_t)tu_rand());
	tu_udp_end(&t, u);
	if (v6)
		tu_ipv6_end(&t, ip);
	else
		tu_ipv4_end(&t, ip);
	dl_wr16(t.b + u + 6, csum);
	tu_fix(&t);
	pkt_bytes(p, t.b, t.n);
}

/* A TCP segment of l3 bytes of IP packet with random ports and data. */
static void make_tcp(struct pkt *p, bool v6, size_t l3)
{
	struct tu_pkt t;
	size_t ip;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, v6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	ip = v6 ? tu_ipv6(&t, DL_IPPROTO_TCP, "2001 0000 0000 0000 0000 0000 0000 0001",
			  "fd10 0000 0000 0000 0000 0000 0000 0001")
		: tu_ipv4(&t, DL_IPPROTO_TCP, "6e 00 0b 01", "ac 10 0a 01");
	tu_u16(&t, (uint16_t)tu_rand());
	tu_u16(&t, (uint16_t)tu_rand());
	tu_u32(&t, (uint32_t)tu_rand());
	tu_u32(&t, (uint32_t)tu_rand());
	tu_hex(&t, "5018 ffff 0000 0000");
	while (t.n < 14 + l3)
		tu_u8(&t, (uint8_t)tu_rand());
	if (v6)
		tu_ipv6_end(&t, ip);
	else
		tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(p, t.b, t.n);
}

/* tc_nodeport_lb_fragments_ns.c: IPv4 and IPv6 fragments to 172.16.10.1:80 / fd10::1:80,
 * DNATed to 192.168.0.1:22331 / fd04::1:22331 */
#define FRAG4_1 \
	"133713371337deadbeefdeef0800450000290100200040062abd6e000b01ac100a01573a00500000000000000000" \
	"50022000b644000053"
#define FRAG4_1_POST \
	"133713371337deadbeefdeef08004500002901002000400620256e000b01c0a80001573a573b0000000000000000" \
	"5002200054c1000053"
#define FRAG4_2 "133713371337deadbeefdeef0800450000150100000a40064ac76e000b01ac100a0153"
#define FRAG4_2_POST "133713371337deadbeefdeef0800450000150100000a4006402f6e000b01c0a8000153"
#define FRAG6_1 \
	"133713371337deadbeefdeef86dd6000000000582c4020010000000000000000000000000001fd10000000000000" \
	"00000000000000010600000100000100573a00500000000000000000500220005745000053535353535353535353" \
	"53535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353" \
	"53535353"
#define FRAG6_1_POST \
	"133713371337deadbeefdeef86dd6000000000582c4020010000000000000000000000000001fd04000000000000" \
	"00000000000000010600000100000100573a573b0000000000000000500220000066000053535353535353535353" \
	"53535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353" \
	"53535353"
#define FRAG6_2 \
	"133713371337deadbeefdeef86dd6000000000092c4020010000000000000000000000000001fd10000000000000" \
	"0000000000000001060000500000010053"
#define FRAG6_2_POST \
	"133713371337deadbeefdeef86dd6000000000092c4020010000000000000000000000000001fd04000000000000" \
	"0000000000000001060000500000010053"
/* host_kpr_dsr_option_remote_node.c::kpr_v4_dsr_remote_node_2reply */
#define DSR_REPLY4 \
	"deadbeefdeef1337133713370800450000280001000040064125c0a800016e000b01573b573a0000000000000000" \
	"50042000a7c00000"
#define DSR_REPLY4_POST \
	"deadbeefdeef1337133713370800450000280001000040064bbdac100a016e000b010050573a0000000000000000" \
	"5004200009440000"

/* ---- scenarios ---- */

/* tc_nodeport_lb4_fragments_1/_2: the first fragment records {22330, 80} under
 * {172.16.10.1, 110.0.11.1, id 256, TCP} and is DNATed (address, port, both checksums); the
 * second has no L4 header, gets its ports from the map and only its address DNATed. */
static void test_scenario_fragments4(void)
{
	struct dl_map m;
	struct dl_ipv4_frag_id id;
	const struct dl_ipv4_frag_l4ports *v;
	struct pkt p;
	uint8_t be[4];
	uint16_t sp = 0, dp = 0;
	bool l4 = true;

	ip4(be, 192, 168, 0, 1);
	CHECK_EQ(dl_ipv4_frag_map_init(&m, 0), 0);
	CHECK_EQ(m.max_entries, 8192);
	CHECK_EQ(m.type, DL_MAP_LRU_HASH);

	/* out of order: the later fragment first is dropped */
	pkt_hex(&p, FRAG4_2);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), DROP_FRAG_NOT_FOUND);
	CHECK(!l4);

	pkt_hex(&p, FRAG4_1);
	CHECK_EQ(p.pi.frag, DL_FRAG_FIRST);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), 0);
	CHECK(l4);
	CHECK_EQ(sp, 22330);
	CHECK_EQ(dp, 80);
	dl_ipv4_frag_id_of(&id, &p.pi);
	CHECK(memcmp(&id, "\xac\x10\x0a\x01\x6e\x00\x0b\x01\x01\x00\x06\x00", 12) == 0);
	v = dl_map_peek(&m, &id);
	CHECK(v != NULL);
	if (v)
		CHECK(memcmp(v, "\x57\x3a\x00\x50", 4) == 0);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, be, 22331), 0);
	expect_frame("lb4_nodeport_fragment1_post_dnat", &p, FRAG4_1_POST);

	pkt_hex(&p, FRAG4_2);
	sp = dp = 0;
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), 0);
	CHECK(!l4);
	CHECK_EQ(sp, 22330);
	CHECK_EQ(dp, 80);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, be, 22331), 0);
	expect_frame("lb4_nodeport_fragment2_post_dnat", &p, FRAG4_2_POST);
	expect_valid(&p);
	/* a port rewrite needs the L4 header */
	CHECK_EQ(dl_l4_rewrite_dport(&p.ctx, &p.pi, 1), DROP_INVALID);
	dl_map_free(&m);
}

/* tc_nodeport_lb6_fragment1/2: the same rewrite behind an IPv6 Fragment header. */
static void test_scenario_fragments6(void)
{
	struct pkt p;
	uint8_t be[16];

	ip6(be, "fd04 0000 0000 0000 0000 0000 0000 0001");
	pkt_hex(&p, FRAG6_1);
	CHECK_EQ(p.pi.frag, DL_FRAG_FIRST);
	CHECK_EQ(dl_lb6_xlate(&p.ctx, &p.pi, be, 22331), 0);
	expect_frame("lb6_nodeport_fragment1_post_dnat", &p, FRAG6_1_POST);
	pkt_hex(&p, FRAG6_2);
	CHECK_EQ(p.pi.frag, DL_FRAG_LATER);
	CHECK_EQ(dl_lb6_xlate(&p.ctx, &p.pi, be, 22331), 0);
	expect_frame("lb6_nodeport_fragment2_post_dnat", &p, FRAG6_2_POST);
	expect_valid(&p);
}

/* kpr_v4_dsr_remote_node_2reply: the backend's reply 192.168.0.1:22331 leaves as
 * 172.16.10.1:80 (snat_v4_rewrite_egress of xlate_dsr_v4). */
static void test_scenario_dsr_reply(void)
{
	struct pkt p;
	uint8_t vip[4];

	ip4(vip, 172, 16, 10, 1);
	pkt_hex(&p, DSR_REPLY4);
	CHECK_EQ(dl_lb4_rev_xlate(&p.ctx, &p.pi, vip, 80), 0);
	expect_frame("kpr_v4_dsr_remote_node_reply_post", &p, DSR_REPLY4_POST);
	expect_valid(&p);
	CHECK(memcmp(p.pi.src, vip, 4) == 0);
	CHECK_EQ(p.pi.sport, 80);
}

/* ---- the fragment map ---- */

static void make_frag4(struct pkt *p, uint16_t id, bool first, uint16_t sport)
{
	struct tu_pkt t;
	size_t ip;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV4);
	ip = tu_ipv4(&t, DL_IPPROTO_UDP, "6e 00 0b 01", "ac 10 0a 01");
	dl_wr16(t.b + ip + 4, id);
	dl_wr16(t.b + ip + 6, first ? 0x2000 : 0x0002);
	if (first) {
		tu_u16(&t, sport);
		tu_u16(&t, 53);
		tu_u16(&t, 100);
		tu_u16(&t, 0x1234);
	}
	tu_hex(&t, "0102030405060708");
	tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(p, t.b, t.n);
}

static void test_frag_map(void)
{
	struct dl_map m;
	struct pkt p;
	uint16_t sp, dp;
	bool l4;

	/* LRU with room for two datagrams: a third evicts the oldest */
	CHECK_EQ(dl_ipv4_frag_map_init(&m, 2), 0);
	for (uint16_t id = 1; id <= 3; id++) {
		make_frag4(&p, id, true, (uint16_t)(1000 + id));
		CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), 0);
		CHECK_EQ(sp, 1000 + id);
	}
	CHECK_EQ(m.count, 2);
	CHECK_EQ(m.evictions, 1);
	make_frag4(&p, 1, false, 0);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), DROP_FRAG_NOT_FOUND);
	make_frag4(&p, 3, false, 0);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), 0);
	CHECK_EQ(sp, 1003);
	CHECK_EQ(dp, 53);
	/* a whole datagram: ports from its header, nothing recorded */
	make_udp(&p, false, 40, 0x1111);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), 0);
	CHECK(l4);
	CHECK_EQ(sp, 4000);
	CHECK_EQ(m.count, 2);
	/* IPv6 is not this map's */
	make_udp(&p, true, 60, 0x1111);
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), DROP_INVALID);
	/* a first fragment cut before its ports (stale info) */
	make_frag4(&p, 9, true, 7);
	p.ctx.len = 14 + 20 + 2;
	CHECK_EQ(dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4), DROP_CT_INVALID_HDR);
	dl_map_free(&m);
}

/* ---- checksum rules ---- */

/* IPv4 UDP without checksum keeps none; a result of 0 goes out as 0xffff (RFC 768). */
static void test_udp_zero_rules(void)
{
	struct pkt p;
	uint8_t a[4] = { 9, 9, 9, 9 };
	uint16_t c, port = 0;
	size_t f;

	make_udp(&p, false, 60, 0x0000);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, a, 999), 0);
	CHECK_EQ(dl_lb4_rev_xlate(&p.ctx, &p.pi, a, 998), 0);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 6), 0);
	expect_valid(&p);

	/* find the port that would make the checksum 0 */
	make_udp(&p, false, 60, 0x1111);
	f = p.pi.l4_off + 6;
	c = dl_rd16(dl_ctx_data(&p.ctx) + f);
	for (uint32_t x = 1; x < 65536; x++) {
		if (dl_csum_replace16(c, p.pi.dport, (uint16_t)x) == 0) {
			port = (uint16_t)x;
			break;
		}
	}
	CHECK(port != 0);
	CHECK_EQ(dl_l4_rewrite_dport(&p.ctx, &p.pi, port), 0);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + f), 0xffff);
	expect_valid(&p);
	/* the same for IPv6 */
	make_udp(&p, true, 60, 0x1111);
	f = p.pi.l4_off + 6;
	c = dl_rd16(dl_ctx_data(&p.ctx) + f);
	port = 0;
	for (uint32_t x = 1; x < 65536; x++) {
		if (dl_csum_replace16(c, p.pi.sport, (uint16_t)x) == 0) {
			port = (uint16_t)x;
			break;
		}
	}
	CHECK_EQ(dl_l4_rewrite_sport(&p.ctx, &p.pi, port), 0);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + f), 0xffff);
	expect_valid(&p);
}

/* ICMP (v4) has no pseudo-header: an address change leaves its checksum; ICMPv6 has one. */
static void test_icmp_pseudo_header(void)
{
	struct tu_pkt t;
	struct pkt p;
	uint8_t a4[4] = { 10, 1, 2, 3 }, a6[16] = { 0xfd, 0x99 };
	uint16_t before;
	size_t ip;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV4);
	ip = tu_ipv4(&t, DL_IPPROTO_ICMP, "6e 00 0b 01", "ac 10 0a 01");
	tu_hex(&t, "0800 0000 abcd 0001 6869");
	tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	before = dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 2);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, a4, 0), 0);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 2), before);
	expect_valid(&p);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, a4, 80), DROP_UNKNOWN_L4);
	CHECK_EQ(dl_l4_rewrite_sport(&p.ctx, &p.pi, 1), DROP_UNKNOWN_L4);

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV6);
	ip = tu_ipv6(&t, DL_IPPROTO_ICMPV6, "2001 0000 0000 0000 0000 0000 0000 0001",
		     "fd10 0000 0000 0000 0000 0000 0000 0001");
	tu_hex(&t, "8000 0000 abcd 0001 6869");
	tu_ipv6_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	before = dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 2);
	CHECK_EQ(dl_ipv6_rewrite_daddr(&p.ctx, &p.pi, a6), 0);
	CHECK(dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 2) != before);
	expect_valid(&p);
	CHECK_EQ(dl_ipv6_rewrite_saddr(&p.ctx, &p.pi, a6), 0);
	expect_valid(&p);
}

/* With segments left in a routing header the pseudo-header sums its final destination, so a
 * daddr rewrite does not touch L4. */
static void test_routing_header_daddr(void)
{
	struct tu_pkt t;
	struct pkt p;
	uint8_t a6[16] = { 0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
	size_t ip, u;
	uint16_t before;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV6);
	ip = tu_ipv6(&t, DL_IPPROTO_ROUTING, "2001 0000 0000 0000 0000 0000 0000 0001",
		     "fd10 0000 0000 0000 0000 0000 0000 0001");
	/* type 2 routing header (one address), segments left 1 */
	tu_hex(&t, "11 02 02 01 00000000 fd300000000000000000000000000009");
	u = tu_udp(&t, 1234, 53);
	tu_hex(&t, "6869");
	tu_udp_end(&t, u);
	tu_ipv6_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	CHECK(p.pi.ipv6_final_dst_off != 0);
	before = dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 6);
	CHECK_EQ(dl_ipv6_rewrite_daddr(&p.ctx, &p.pi, a6), 0);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 6), before);
	expect_valid(&p);
}

/* ---- TTL, hop limit, MACs ---- */

static void test_ttl_and_macs(void)
{
	static const uint8_t m1[6] = { 1, 2, 3, 4, 5, 6 }, m2[6] = { 0xa, 0xb, 0xc, 0xd, 0xe, 0xf };
	struct pkt p;
	uint8_t *d;

	/* TTL 2 -> 1 is forwarded, 1 is not */
	make_udp(&p, false, 60, 0x1111);
	d = dl_ctx_data(&p.ctx);
	d[14 + 8] = 2;
	dl_wr16(d + 14 + 10, dl_ipv4_hdr_csum(d + 14, 20));
	CHECK_EQ(dl_revalidate_data(&p.ctx, &p.pi), 0);
	CHECK_EQ(dl_ipv4_dec_ttl(&p.ctx, &p.pi), 0);
	CHECK_EQ(p.pi.ttl, 1);
	CHECK_EQ(d[14 + 8], 1);
	expect_valid(&p);
	CHECK_EQ(dl_ipv4_dec_ttl(&p.ctx, &p.pi), DROP_TTL_EXCEEDED);
	CHECK_EQ(d[14 + 8], 1);

	make_udp(&p, true, 60, 0x1111);
	CHECK_EQ(dl_ipv6_dec_hoplimit(&p.ctx, &p.pi), 0);
	CHECK_EQ(dl_ctx_data(&p.ctx)[14 + 7], 63);
	expect_valid(&p);
	dl_ctx_data(&p.ctx)[14 + 7] = 1;
	CHECK_EQ(dl_ipv6_dec_hoplimit(&p.ctx, &p.pi), DROP_TTL_EXCEEDED);
	CHECK_EQ(dl_ipv4_dec_ttl(&p.ctx, &p.pi), DROP_INVALID);

	CHECK_EQ(dl_eth_store_saddr(&p.ctx, &p.pi, m1), 0);
	CHECK_EQ(dl_eth_store_daddr(&p.ctx, &p.pi, m2), 0);
	d = dl_ctx_data(&p.ctx);
	CHECK(memcmp(d, m2, 6) == 0 && memcmp(d + 6, m1, 6) == 0);
	CHECK_EQ(dl_eth_swap_addrs(&p.ctx, &p.pi), 0);
	CHECK(memcmp(d, m1, 6) == 0 && memcmp(d + 6, m2, 6) == 0);
	p.pi.linktype = DL_LINKTYPE_RAW;
	CHECK_EQ(dl_eth_swap_addrs(&p.ctx, &p.pi), DROP_INVALID);
}

/* ---- random rewrites against full recomputation ---- */

static void test_random_rewrites(void)
{
	struct pkt p;
	int bad = 0;

	for (int i = 0; i < 2000; i++) {
		bool v6 = tu_below(2), tcp = tu_below(2);
		uint8_t a[16];
		uint16_t port = (uint16_t)tu_rand();
		int op = (int)tu_below(6), ret;

		if (tcp)
			make_tcp(&p, v6, (size_t)(v6 ? 60 : 40) + tu_below(200));
		else
			make_udp(&p, v6, (size_t)(v6 ? 48 : 28) + tu_below(200), tu_below(5) ? 0x1111 : 0);
		for (int k = 0; k < 16; k++)
			a[k] = (uint8_t)tu_rand();
		switch (op) {
		case 0:
			ret = v6 ? dl_ipv6_rewrite_saddr(&p.ctx, &p.pi, a) : dl_ipv4_rewrite_saddr(&p.ctx, &p.pi, a);
			break;
		case 1:
			ret = v6 ? dl_ipv6_rewrite_daddr(&p.ctx, &p.pi, a) : dl_ipv4_rewrite_daddr(&p.ctx, &p.pi, a);
			break;
		case 2:
			ret = dl_l4_rewrite_sport(&p.ctx, &p.pi, port);
			break;
		case 3:
			ret = dl_l4_rewrite_dport(&p.ctx, &p.pi, port);
			break;
		case 4:
			ret = v6 ? dl_lb6_xlate(&p.ctx, &p.pi, a, port) : dl_lb4_xlate(&p.ctx, &p.pi, a, port);
			break;
		default:
			ret = v6 ? dl_lb6_rev_xlate(&p.ctx, &p.pi, a, port) : dl_lb4_rev_xlate(&p.ctx, &p.pi, a, port);
			break;
		}
		bad += ret != 0;
		{
			struct dl_pkt_info fresh;

			bad += dl_pkt_parse(dl_ctx_data(&p.ctx), p.ctx.len, DL_LINKTYPE_ETHERNET, &fresh) != 0;
			bad += (dl_pkt_verify_csums(dl_ctx_data(&p.ctx), p.ctx.len, &fresh) & DL_CSUM_BAD_MASK) != 0;
			/* *pi was kept in step */
			bad += memcmp(fresh.src, p.pi.src, 16) || memcmp(fresh.dst, p.pi.dst, 16);
			bad += fresh.sport != p.pi.sport || fresh.dport != p.pi.dport;
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---- hostile ---- */

static void test_hostile(void)
{
	static const char *const seeds[] = { FRAG4_1, FRAG6_1, DSR_REPLY4, FRAG4_2 };
	uint8_t a[16] = { 1, 2, 3, 4 };
	struct pkt p, base;
	struct dl_map m;
	uint16_t sp, dp;
	bool l4;

	CHECK_EQ(dl_ipv4_frag_map_init(&m, 16), 0);
	for (size_t s = 0; s < DL_ARRAY_SIZE(seeds); s++) {
		pkt_hex(&base, seeds[s]);
		for (uint32_t n = 0; n <= base.ctx.len; n++) {
			for (int fresh = 0; fresh < 2; fresh++) {
				pkt_bytes(&p, dl_ctx_data(&base.ctx), base.ctx.len);
				p.ctx.len = n;
				if (fresh && dl_pkt_parse(dl_ctx_data(&p.ctx), n, DL_LINKTYPE_ETHERNET, &p.pi))
					continue;
				(void)dl_ipv4_rewrite_saddr(&p.ctx, &p.pi, a);
				(void)dl_ipv4_rewrite_daddr(&p.ctx, &p.pi, a);
				(void)dl_ipv6_rewrite_saddr(&p.ctx, &p.pi, a);
				(void)dl_ipv6_rewrite_daddr(&p.ctx, &p.pi, a);
				(void)dl_l4_rewrite_sport(&p.ctx, &p.pi, 7);
				(void)dl_l4_rewrite_dport(&p.ctx, &p.pi, 7);
				(void)dl_lb4_xlate(&p.ctx, &p.pi, a, 9);
				(void)dl_lb6_rev_xlate(&p.ctx, &p.pi, a, 9);
				(void)dl_ipv4_dec_ttl(&p.ctx, &p.pi);
				(void)dl_ipv6_dec_hoplimit(&p.ctx, &p.pi);
				(void)dl_eth_swap_addrs(&p.ctx, &p.pi);
				(void)dl_ipv4_handle_fragmentation(&m, &p.ctx, &p.pi, &sp, &dp, &l4);
			}
		}
	}
	pkt_hex(&p, DSR_REPLY4);
	p.pi.l4_off = 0xfffffff0u;
	CHECK_EQ(dl_l4_rewrite_sport(&p.ctx, &p.pi, 1), DROP_INVALID);
	CHECK_EQ(dl_lb4_rev_xlate(&p.ctx, &p.pi, a, 1), DROP_INVALID);
	p.pi.l3_off = 0xfffffff0u;
	CHECK_EQ(dl_ipv4_rewrite_saddr(&p.ctx, &p.pi, a), DROP_INVALID);
	CHECK_EQ(dl_ipv4_dec_ttl(&p.ctx, &p.pi), DROP_INVALID);
	dl_map_free(&m);
}

int main(void)
{
	test_scenario_fragments4();
	test_scenario_fragments6();
	test_scenario_dsr_reply();
	test_frag_map();
	test_udp_zero_rules();
	test_icmp_pseudo_header();
	test_routing_header_daddr();
	test_ttl_and_macs();
	test_random_rewrites();
	test_hostile();
	return tu_report("test_rewrite");
}
