/* test_icmp.c: the ICMP errors of icmp.c. Fragmentation needed / packet too big in the v1.15
 * and recent-main forms, with the advertised MTUs of the recent-main fixtures (device_mtu 200:
 * 192, 180, 138, 176, 160, 106), and the no-backend port unreachable of
 * tc_nodeport_lb_no_backend.c. Expected frames are from cilium-test-scenarios.json where it
 * has them, else from an independent reference (Python, struct packing and full checksums)
 * following spec §4.2; those are marked "reference". Every error must parse and carry valid
 * checksums. DSR encodings are tested in test_dsr.c. */
#include "pkt_testutil.h"

#include "dsrlab/drop.h"
#include "dsrlab/dsr.h"
#include "dsrlab/icmp.h"
#include "dsrlab/rewrite.h"

/* ---- helpers ---- */

#include "ctx_testutil.h"

static const uint8_t mac_lb[6] = { 0xce, 0x72, 0xa7, 0x03, 0x88, 0x56 };
static const uint8_t mac_one[6] = { 0xde, 0xad, 0xbe, 0xef, 0xde, 0xef };

/* A UDP datagram whose IP packet is l3 bytes long, client -> backend. */
static void make_udp_frame(struct pkt *p, bool v6, size_t l3)
{
	struct tu_pkt t;
	size_t ip, u;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, v6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	ip = v6 ? tu_ipv6(&t, DL_IPPROTO_UDP, "2001 0000 0000 0000 0000 0000 0000 0001",
			  "fd04 0000 0000 0000 0000 0000 0000 0001")
		: tu_ipv4(&t, DL_IPPROTO_UDP, "6e 00 0b 01", "c0 a8 00 01");
	u = tu_udp(&t, 22330, 22331);
	while (t.n < 14 + l3)
		tu_u8(&t, (uint8_t)t.n);
	tu_udp_end(&t, u);
	if (v6)
		tu_ipv6_end(&t, ip);
	else
		tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(p, t.b, t.n);
}

/* tc_nodeport_lb_no_backend.c: input and derived output of no_backend4_2_reply, input of
 * no_backend6 */
#define NO_BACKEND4_IN \
	"ce72a7038856deadbeefdeef08004500003c0000000040064baa6e000b01ac100a01006f00500001e24000000000" \
	"5002ffff6149000053686f756c64206e6f74206368616e6765212100"
#define NO_BACKEND4_OUT \
	"deadbeefdeefce72a703885608004500005c0000000040014b8fac100a016e000b0103032c3e000000004500003c" \
	"0000000040064baa6e000b01ac100a01006f00500001e240000000005002ffff6149000053686f756c64206e6f74" \
	"206368616e676521210000000000"
#define NO_BACKEND6_IN \
	"ce72a7038856deadbeefdeef86dd6000000000280640fd040000000000000000000000000001fd04000000000000" \
	"0000000000000002573a00500001e240000000005002ffff3f84000053686f756c64206e6f74206368616e676521" \
	"2100"

/* ---- reference frames (spec §4.2, independent Python reference) ----
 * BIG4_IN: 110.0.11.1:22330 -> 172.16.10.1:80 TCP SYN, TOS 0x08, ID 0x4242, 160 bytes of data
 * (IP length 200). BIG6_IN: 2001::1:22330 -> fd10::1:80, traffic class 0xa0, flow 0x12345,
 * the same data (IP length 220). Backends 192.168.0.1:22331 / fd04::1:22331. */
#define ORACLE_BIG4_IN \
	"ce72a7038856deadbeefdeef0800450800c842420000400608d46e000b01ac100a01573a005000000001000000005002" \
	"20003f8c0000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829" \
	"2a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253545556575859" \
	"5a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283848586878889" \
	"8a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
#define ORACLE_ICMP4_V115 \
	"deadbeefdeefce72a7038856080045080038424240004001bed0c0a800016e000b010304a4b0000000c0450800c84242" \
	"0000400608d46e000b01ac100a01573a005000000001"
#define ORACLE_ICMP4_RECENT_TC \
	"deadbeefdeefce72a70388560800450800e40000000040014affac100a016e000b0103042c09000000c0450800c84242" \
	"0000400608d46e000b01ac100a01573a00500000000100000000500220003f8c0000000102030405060708090a0b0c0d" \
	"0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d" \
	"3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d" \
	"6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d" \
	"9e9f"
#define ORACLE_ICMP4_RECENT_XDP \
	"deadbeefdeefce72a70388560800450800380000000040014babac100a016e000b010304a4e60000008a450800c84242" \
	"0000400608d46e000b01ac100a01573a005000000001"
#define ORACLE_BIG6_IN \
	"ce72a7038856deadbeefdeef86dd6a01234500b4064020010000000000000000000000000001fd100000000000000000" \
	"000000000001573a0050000000010000000050022000518b0000000102030405060708090a0b0c0d0e0f101112131415" \
	"161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445" \
	"464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475" \
	"767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
#define ORACLE_ICMP6_V115 \
	"deadbeefdeefce72a703885686dd6a01234500703a40fd04000000000000000000000000000120010000000000000000" \
	"00000000000102009c2f000000b06a01234500b4064020010000000000000000000000000001fd100000000000000000" \
	"000000000001573a0050000000010000000050022000faab0000000102030405060708090a0b0c0d0e0f101112131415" \
	"161718191a1b1c1d1e1f202122232425262728292a2b"
#define ORACLE_ICMP6_RECENT_TC \
	"deadbeefdeefce72a703885686dd6000000000e43a40fd10000000000000000000000000000120010000000000000000" \
	"00000000000102004be30000006a6a01234500b4064020010000000000000000000000000001fd100000000000000000" \
	"000000000001573a0050000000010000000050022000518b0000000102030405060708090a0b0c0d0e0f101112131415" \
	"161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445" \
	"464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475" \
	"767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
#define ORACLE_NOBACKEND6 \
	"deadbeefdeefce72a703885686dd6000000000663a40fd040000000000000000000000000002fd040000000000000000" \
	"00000000000101049e14000000006000000000280640fd040000000000000000000000000001fd040000000000000000" \
	"000000000002573a00500001e240000000005002ffff3f84000053686f756c64206e6f74206368616e67652121000000" \
	"000000000000000000000000"

static const uint8_t *addr4(uint8_t a[4], unsigned x, unsigned y, unsigned z, unsigned w)
{
	ip4(a, x, y, z, w);
	return a;
}

/* ---- no backend: port unreachable ---- */

/* tc_nodeport_no_backend4_2_reply: 172.16.10.1 -> 110.0.11.1, type 3 code 3, l3.check 0x4b8f,
 * icmp.checksum 0x2c3e; the 74-byte frame gives a 64-byte sample: its 60-byte packet + 4
 * zeros (tot_len 92). */
static void test_scenario_no_backend4(void)
{
	struct pkt p;

	pkt_hex(&p, NO_BACKEND4_IN);
	CHECK_EQ(dl_tail_no_service_ipv4(&p.ctx, &p.pi), 0);
	expect_frame("tc_nodeport_no_backend4_2_reply derived output", &p, NO_BACKEND4_OUT);
	expect_valid(&p);
	CHECK_EQ(p.pi.icmp_type, DL_ICMP_DEST_UNREACH);
	CHECK_EQ(p.pi.icmp_code, DL_ICMP_PORT_UNREACH);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + 24), 0x4b8f);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + 36), 0x2c3e);
}

/* tc_nodeport_no_backend6: fd04::2 -> fd04::1, type 1 code 4, checksum 0x9e14 (the 94-byte
 * frame quotes its 80-byte packet and 14 zeros). */
static void test_scenario_no_backend6(void)
{
	struct pkt p;
	uint8_t a[16];

	pkt_hex(&p, NO_BACKEND6_IN);
	CHECK_EQ(dl_tail_no_service_ipv6(&p.ctx, &p.pi), 0);
	expect_frame("tc_nodeport_no_backend6 (reference, pinned by its checksum)", &p, ORACLE_NOBACKEND6);
	expect_valid(&p);
	CHECK_EQ(p.pi.icmp_type, DL_ICMPV6_DEST_UNREACH);
	CHECK_EQ(p.pi.icmp_code, DL_ICMPV6_PORT_UNREACH);
	CHECK_EQ(dl_rd16(dl_ctx_data(&p.ctx) + 14 + 40 + 2), 0x9e14);
	ip6(a, "fd04 0000 0000 0000 0000 0000 0000 0002");
	CHECK(memcmp(p.pi.src, a, 16) == 0);
	CHECK(memcmp(dl_ctx_data(&p.ctx), mac_one, 6) == 0);
	CHECK(memcmp(dl_ctx_data(&p.ctx) + 6, mac_lb, 6) == 0);
}

/* Longer packets: the sample is cut at 64 (IPv4) and 1232 (IPv6) bytes of IP packet, so the
 * IPv6 error is exactly 1280 bytes. */
static void test_no_backend_long(void)
{
	struct pkt p;

	pkt_hex(&p, ORACLE_BIG4_IN);
	CHECK_EQ(dl_tail_no_service_ipv4(&p.ctx, &p.pi), 0);
	expect_valid(&p);
	CHECK_EQ(p.pi.l3_len, 20 + 8 + 64);
	CHECK_EQ(p.ctx.len, 14 + 20 + 8 + 64);
	CHECK_EQ(p.pi.tos, 0x08);
	CHECK_EQ(p.pi.ip_id, 0);
	CHECK(!p.pi.df);

	make_udp_frame(&p, true, 1400);
	CHECK_EQ(dl_tail_no_service_ipv6(&p.ctx, &p.pi), 0);
	expect_valid(&p);
	CHECK_EQ(p.pi.l3_len, 1280);
	CHECK_EQ(p.ctx.len, 14 + 1280);
	/* v4 over a frame of exactly 78 bytes: no padding, no cut */
	make_udp_frame(&p, false, 64);
	CHECK_EQ(p.ctx.len, 78);
	CHECK_EQ(dl_tail_no_service_ipv4(&p.ctx, &p.pi), 0);
	CHECK_EQ(p.pi.l3_len, 92);
	expect_valid(&p);
	/* a 42-byte frame (28-byte UDP packet): 42-byte sample, 14 zero bytes after the packet */
	make_udp_frame(&p, false, 28);
	CHECK_EQ(dl_tail_no_service_ipv4(&p.ctx, &p.pi), 0);
	CHECK_EQ(p.pi.l3_len, 20 + 8 + 42);
	for (int i = 0; i < 14; i++)
		CHECK_EQ(dl_ctx_data(&p.ctx)[p.ctx.len - 1 - i], 0);
	expect_valid(&p);
}

/* ---- fragmentation needed, v1.15 ---- */

/* dsr_set_opt4 refuses (200 + 8 > 200); dsr_reply_icmp4 answers from the packet's current
 * daddr (the backend, as the v1.15 code reads) with mtu 192, ID 0x4242 and TOS copied, DF;
 * the quote is the DNATed header with daddr back to the VIP and its checksum recomputed, plus
 * 8 bytes of TCP with the service port back. */
static void test_frag_needed4_v115(void)
{
	struct dl_dsr_cfg cfg = { DL_DSR_DISPATCH_OPT, DL_DSR_ERA_V1_15, DL_DSR_OPT_ORDER_LEGACY, true, 200 };
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_V1_15 };
	struct pkt p;
	uint8_t be[4], vip[4], cur[4];
	uint16_t ohead = 0;

	ip4(be, 192, 168, 0, 1);
	ip4(vip, 172, 16, 10, 1);
	pkt_hex(&p, ORACLE_BIG4_IN);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, be, 22331), 0);
	CHECK_EQ(dl_dsr_set_opt4(&p.ctx, &p.pi, &cfg, true, vip, 80, &ohead), DROP_FRAG_NEEDED);
	CHECK_EQ(ohead, 8);
	memcpy(cur, p.pi.dst, 4);
	e.mtu = cfg.mtu - ohead;
	e.saddr = cur;
	e.svc_addr = vip;
	e.svc_port = 80;
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_frame("frag needed, v1.15 (reference)", &p, ORACLE_ICMP4_V115);
	expect_valid(&p);
	CHECK_EQ(p.pi.icmp_mtu, 192);
	CHECK(p.pi.df);
	CHECK_EQ(p.pi.ip_id, 0x4242);
	CHECK_EQ(p.pi.ttl, 64);
}

/* A quirk kept from nodeport.h: with IP options the quoted header's checksum covers only 20
 * bytes and the service port is written at offset 22, inside the options. */
static void test_frag_needed4_v115_options(void)
{
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_V1_15, .mtu = 1400, .svc_port = 80 };
	struct tu_pkt t;
	struct pkt p;
	uint8_t vip[4], src[4];
	const uint8_t *q;
	size_t ip;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV4);
	ip = tu_hex(&t, "46 00 0000 0001 0000 40 11 0000 6e000b01 c0a80001 94040000");
	tu_udp(&t, 22330, 22331);
	for (int i = 0; i < 100; i++)
		tu_u8(&t, (uint8_t)i);
	tu_udp_end(&t, ip + 24);
	tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	e.saddr = addr4(src, 192, 168, 0, 1);
	e.svc_addr = addr4(vip, 172, 16, 10, 1);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	q = dl_ctx_data(&p.ctx) + 14 + 28;
	CHECK_EQ(p.pi.l3_len, 20 + 8 + 24 + 8);
	CHECK(memcmp(q + 16, vip, 4) == 0);
	CHECK_EQ(dl_rd16(q + 10), dl_ipv4_hdr_csum(q, 20));
	CHECK_EQ(dl_rd16(q + 22), 80);               /* in the Router Alert option */
	CHECK_EQ(dl_rd16(q + 24 + 2), 22331);        /* the real dport stays DNATed */
}

/* What v1.15 cannot answer: not TCP/UDP, or too short for its loads. */
static void test_frag_needed_v115_refusals(void)
{
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_V1_15, .mtu = 1400, .svc_port = 80 };
	struct tu_pkt t;
	struct pkt p;
	uint8_t a[16] = { 1 };
	size_t ip;

	e.saddr = a;
	e.svc_addr = a;
	/* ICMP echo */
	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV4);
	ip = tu_ipv4(&t, DL_IPPROTO_ICMP, "6e 00 0b 01", "c0 a8 00 01");
	tu_hex(&t, "0800 0000 1234 0001");
	for (int i = 0; i < 100; i++)
		tu_u8(&t, 0);
	tu_ipv4_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), DROP_FRAG_NEEDED);
	/* a 60-byte IPv4 packet: the 40 zero bytes stored after the quote do not fit */
	make_udp_frame(&p, false, 60);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), DROP_FRAG_NEEDED);
	make_udp_frame(&p, false, 68);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	/* IPv6 shorter than header + 64 */
	make_udp_frame(&p, true, 103);
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), DROP_FRAG_NEEDED);
	make_udp_frame(&p, true, 104);
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	/* IPv6 with an extension header before TCP */
	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_eth(&t, DL_ETH_P_IPV6);
	ip = tu_ipv6(&t, 60, "2001 0000 0000 0000 0000 0000 0000 0001", "fd04 0000 0000 0000 0000 0000 0000 0001");
	tu_hex(&t, "11 00 01 04 00000000");
	{
		size_t u = tu_udp(&t, 1, 2);

		for (int i = 0; i < 100; i++)
			tu_u8(&t, 0);
		tu_udp_end(&t, u);
	}
	tu_ipv6_end(&t, ip);
	tu_fix(&t);
	pkt_bytes(&p, t.b, t.n);
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), DROP_FRAG_NEEDED);
	/* no source address given */
	make_udp_frame(&p, false, 200);
	e.saddr = NULL;
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), DROP_FRAG_NEEDED);
}

/* IPv6 v1.15: Packet Too Big (mtu 176) from the backend address, traffic class and flow label
 * copied, payload 112: the DNATed header with the VIP back and 64 bytes with port 80 back. */
static void test_pkt_too_big6_v115(void)
{
	struct dl_dsr_cfg cfg = { DL_DSR_DISPATCH_OPT, DL_DSR_ERA_V1_15, DL_DSR_OPT_ORDER_LEGACY, true, 200 };
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_V1_15, .svc_port = 80 };
	struct pkt p;
	uint8_t be[16], vip[16], cur[16];
	uint16_t ohead = 0;

	ip6(be, "fd04 0000 0000 0000 0000 0000 0000 0001");
	ip6(vip, "fd10 0000 0000 0000 0000 0000 0000 0001");
	pkt_hex(&p, ORACLE_BIG6_IN);
	CHECK_EQ(dl_lb6_xlate(&p.ctx, &p.pi, be, 22331), 0);
	CHECK_EQ(dl_dsr_set_ext6(&p.ctx, &p.pi, &cfg, true, vip, 80, &ohead), DROP_FRAG_NEEDED);
	CHECK_EQ(ohead, 24);
	memcpy(cur, p.pi.dst, 16);
	e.mtu = cfg.mtu - ohead;
	e.saddr = cur;
	e.svc_addr = vip;
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), 0);
	expect_frame("packet too big, v1.15 (reference)", &p, ORACLE_ICMP6_V115);
	expect_valid(&p);
	CHECK_EQ(p.pi.icmp_mtu, 176);
	CHECK_EQ(p.pi.l3_len, 40 + 112);
}

/* ---- recent main ---- */

/* Under tc: from the VIP, ID 0, no DF, the whole pre-DNAT packet quoted. Called before the
 * DNAT, or after it with the VIP given back: the same bytes. */
static void test_frag_needed4_recent(void)
{
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_RECENT_TC, .mtu = 192 };
	struct pkt p;
	uint8_t vip[4], be[4];

	ip4(vip, 172, 16, 10, 1);
	ip4(be, 192, 168, 0, 1);
	e.saddr = vip;
	pkt_hex(&p, ORACLE_BIG4_IN);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_frame("frag needed, recent main under tc (reference)", &p, ORACLE_ICMP4_RECENT_TC);
	expect_valid(&p);
	CHECK(!p.pi.df);
	CHECK_EQ(p.pi.ip_id, 0);

	pkt_hex(&p, ORACLE_BIG4_IN);
	CHECK_EQ(dl_lb4_xlate(&p.ctx, &p.pi, be, 22331), 0);
	e.svc_addr = vip;
	e.svc_port = 80;
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_frame("frag needed, recent main, restored from the DNAT", &p, ORACLE_ICMP4_RECENT_TC);

	/* at XDP: 28 bytes; Geneve's 62 bytes of overhead give 138 */
	pkt_hex(&p, ORACLE_BIG4_IN);
	e.profile = DL_ICMP_PROFILE_RECENT_XDP;
	e.mtu = 138;
	e.svc_addr = NULL;
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_frame("frag needed, recent main at XDP (reference)", &p, ORACLE_ICMP4_RECENT_XDP);
	expect_valid(&p);
}

static void test_pkt_too_big6_recent(void)
{
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_RECENT_TC, .mtu = 106 };
	struct pkt p;
	uint8_t vip[16];

	ip6(vip, "fd10 0000 0000 0000 0000 0000 0000 0001");
	e.saddr = vip;
	pkt_hex(&p, ORACLE_BIG6_IN);
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), 0);
	expect_frame("packet too big, recent main under tc (reference)", &p, ORACLE_ICMP6_RECENT_TC);
	expect_valid(&p);
	CHECK_EQ(p.pi.icmp_mtu, 106);

	pkt_hex(&p, ORACLE_BIG6_IN);
	e.profile = DL_ICMP_PROFILE_RECENT_XDP;
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	CHECK_EQ(p.pi.l3_len, 40 + 8 + DL_ICMP6_QUOTE_XDP);
}

/* The tc quote is capped so the error stays within 576 (IPv4) / 1280 (IPv6) bytes. */
static void test_quote_caps(void)
{
	struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_RECENT_TC, .mtu = 1400 };
	uint8_t a[16] = { 7, 7, 7, 7 };
	struct pkt p, in;

	e.saddr = a;
	make_udp_frame(&in, false, 1500);
	make_udp_frame(&p, false, 1500);
	CHECK_EQ(dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	CHECK_EQ(p.pi.l3_len, DL_ICMP4_ERR_MAX_LEN);
	CHECK(memcmp(dl_ctx_data(&p.ctx) + 14 + 28, dl_ctx_data(&in.ctx) + 14, DL_ICMP4_QUOTE_TC_MAX) == 0);
	make_udp_frame(&p, true, 1500);
	CHECK_EQ(dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e), 0);
	expect_valid(&p);
	CHECK_EQ(p.pi.l3_len, DL_ICMP6_ERR_MAX_LEN);
}

/* End to end for the six fixture cases: the dispatch's encoder refuses with its overhead and
 * the error advertises device_mtu - ohead. */
static void test_advertised_mtus(void)
{
	static const struct {
		enum dl_dsr_dispatch dispatch;
		bool v6;
		uint32_t want;
	} cases[] = {
		{ DL_DSR_DISPATCH_OPT, false, 192 },    { DL_DSR_DISPATCH_IPIP, false, 180 },
		{ DL_DSR_DISPATCH_GENEVE, false, 138 }, { DL_DSR_DISPATCH_OPT, true, 176 },
		{ DL_DSR_DISPATCH_IPIP, true, 160 },    { DL_DSR_DISPATCH_GENEVE, true, 106 },
	};

	for (size_t i = 0; i < DL_ARRAY_SIZE(cases); i++) {
		struct dl_dsr_cfg cfg = { cases[i].dispatch, DL_DSR_ERA_RECENT, DL_DSR_OPT_ORDER_NETWORK, true, 200 };
		struct dl_dsr_flow flow = { .ct_new = false };
		struct dl_geneve_encap ge = { .saddr = { 10, 0, 10, 1 }, .daddr = { 10, 0, 10, 2 }, .ttl = 64, .vni = 2 };
		struct dl_ipip_encap4 e4 = { { 10, 0, 10, 1 }, { 192, 168, 0, 1 } };
		struct dl_ipip_encap6 e6 = { { 5 }, { 3 } };
		struct dl_icmp_too_big e = { .profile = DL_ICMP_PROFILE_RECENT_TC };
		uint8_t vip[16];
		struct pkt p;
		uint16_t ohead = 0;
		bool attach = false;
		int ret;

		pkt_hex(&p, cases[i].v6 ? ORACLE_BIG6_IN : ORACLE_BIG4_IN);
		memcpy(vip, p.pi.dst, 16);
		/* a non-SYN segment: opt attaches only with need_dsr_info, Geneve counts it anyway */
		if (cases[i].dispatch == DL_DSR_DISPATCH_OPT)
			flow.need_dsr_info = true;
		dl_wr16(dl_ctx_data(&p.ctx) + p.pi.l4_off + 12, 0x5010);
		CHECK_EQ(dl_revalidate_data(&p.ctx, &p.pi), 0);
		CHECK_EQ(dl_dsr_needs_info(&cfg, &p.ctx, &p.pi, &flow, &attach), 0);
		CHECK(dl_dsr_is_too_big(&cfg, &p.pi, attach));
		switch (cases[i].dispatch) {
		case DL_DSR_DISPATCH_OPT:
			ret = cases[i].v6 ? dl_dsr_set_ext6(&p.ctx, &p.pi, &cfg, attach, vip, 80, &ohead)
					  : dl_dsr_set_opt4(&p.ctx, &p.pi, &cfg, attach, vip, 80, &ohead);
			break;
		case DL_DSR_DISPATCH_IPIP:
			ret = cases[i].v6 ? dl_dsr_set_ipip6(&p.ctx, &p.pi, &cfg, &e6, &ohead)
					  : dl_dsr_set_ipip4(&p.ctx, &p.pi, &cfg, &e4, &ohead);
			break;
		default:
			ret = cases[i].v6 ? dl_encap_geneve_dsr_opt6(&p.ctx, &p.pi, &cfg, attach, vip, 80, &ge, &ohead)
					  : dl_encap_geneve_dsr_opt4(&p.ctx, &p.pi, &cfg, attach, vip, 80, &ge, &ohead);
			break;
		}
		CHECK_EQ(ret, DROP_FRAG_NEEDED);
		e.mtu = cfg.mtu - ohead;
		e.saddr = vip;
		ret = cases[i].v6 ? dl_dsr_reply_icmp6(&p.ctx, &p.pi, &e) : dl_dsr_reply_icmp4(&p.ctx, &p.pi, &e);
		CHECK_EQ(ret, 0);
		CHECK_EQ(p.pi.icmp_mtu, cases[i].want);
		expect_valid(&p);
	}
}

/* ---- hostile input ---- */

static void poke_all(struct pkt *p)
{
	struct dl_pkt_info keep = p->pi;
	struct dl_ctx kctx = p->ctx;
	static uint8_t save[DL_CTX_HEADROOM + 4096];
	uint8_t a[16] = { 1, 2, 3, 4 };
	struct dl_icmp_too_big e = { .mtu = 1000, .saddr = a, .svc_addr = a, .svc_port = 9 };

	memcpy(save, p->buf, sizeof(save));
#define RESET() do { p->pi = keep; p->ctx = kctx; memcpy(p->buf, save, sizeof(save)); } while (0)
	for (int prof = 0; prof < 3; prof++) {
		e.profile = (enum dl_icmp_profile)prof;
		(void)dl_dsr_reply_icmp4(&p->ctx, &p->pi, &e);
		RESET();
		(void)dl_dsr_reply_icmp6(&p->ctx, &p->pi, &e);
		RESET();
	}
	(void)dl_tail_no_service_ipv4(&p->ctx, &p->pi);
	RESET();
	(void)dl_tail_no_service_ipv6(&p->ctx, &p->pi);
	RESET();
#undef RESET
}

static void test_hostile(void)
{
	static const char *const seeds[] = { NO_BACKEND4_IN, NO_BACKEND6_IN, ORACLE_BIG4_IN, ORACLE_BIG6_IN };
	struct pkt p, base;
	unsigned ran = 0;

	for (size_t s = 0; s < DL_ARRAY_SIZE(seeds); s++) {
		pkt_hex(&base, seeds[s]);
		for (uint32_t n = 0; n <= base.ctx.len; n++) {
			pkt_bytes(&p, dl_ctx_data(&base.ctx), base.ctx.len);
			p.ctx.len = n;
			poke_all(&p);
			if (dl_pkt_parse(dl_ctx_data(&p.ctx), n, DL_LINKTYPE_ETHERNET, &p.pi) == DL_PARSE_OK)
				poke_all(&p);
			ran++;
		}
		for (int i = 0; i < 300; i++) {
			pkt_bytes(&p, dl_ctx_data(&base.ctx), base.ctx.len);
			for (int k = 0; k < 3; k++)
				dl_ctx_data(&p.ctx)[tu_below(p.ctx.len)] = (uint8_t)tu_rand();
			if (dl_pkt_parse(dl_ctx_data(&p.ctx), p.ctx.len, DL_LINKTYPE_ETHERNET, &p.pi) == DL_PARSE_OK)
				poke_all(&p);
			ran++;
		}
	}
	pkt_hex(&p, ORACLE_BIG4_IN);
	p.pi.l3_off = p.ctx.len - 3;
	poke_all(&p);
	pkt_hex(&p, ORACLE_BIG6_IN);
	p.pi.l3_hdr_len = 0xfffffff0u;
	poke_all(&p);
	/* a raw-IP capture has no MACs to swap */
	pkt_hex(&p, ORACLE_BIG4_IN);
	p.pi.linktype = DL_LINKTYPE_RAW;
	CHECK_EQ(dl_tail_no_service_ipv4(&p.ctx, &p.pi), DROP_INVALID);
	/* no tail room to pad the sample */
	{
		uint8_t tight[80];
		struct tu_pkt t;
		struct dl_ctx c;
		struct dl_pkt_info pi;

		tu_init(&t, DL_LINKTYPE_ETHERNET);
		tu_hex(&t, NO_BACKEND4_IN);
		CHECK_EQ(dl_ctx_load(&c, tight, (uint32_t)t.n, t.b, (uint32_t)t.n), 0);
		CHECK_EQ(dl_pkt_parse(dl_ctx_data(&c), c.len, DL_LINKTYPE_ETHERNET, &pi), DL_PARSE_OK);
		CHECK_EQ(dl_tail_no_service_ipv4(&c, &pi), DROP_INVALID);
	}
	CHECK(ran > 1000);
}

int main(void)
{
	test_scenario_no_backend4();
	test_scenario_no_backend6();
	test_no_backend_long();
	test_frag_needed4_v115();
	test_frag_needed4_v115_options();
	test_frag_needed_v115_refusals();
	test_pkt_too_big6_v115();
	test_frag_needed4_recent();
	test_pkt_too_big6_recent();
	test_quote_caps();
	test_advertised_mtus();
	test_hostile();
	return tu_report("test_icmp");
}
