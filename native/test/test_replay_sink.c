/* test_replay_sink.c: replay's hot path in C. replay_flows.c: the number, address, MAC and time
 * formats (against what JavaScript prints), JSON escaping, and whole flows.jsonl lines for each
 * kind of event and frame. replay_sink.c: senders and server packets, fates and every summary
 * table on a small cluster, the comparison of re-injected replies, pcap records, flows lines,
 * that outputs do not depend on how a batch is cut (chunks, flushes), and its errors. That the
 * lines and counts equal what src/replay.ts's TypeScript reference produced is
 * test/replay/equivalence.test.ts's to check. */
#define _POSIX_C_SOURCE 200809L /* fileno, open, close */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "dsrlab/capture.h" /* before codec.h (pkt_testutil.h): see replay_sink.h */
#include "pkt_testutil.h"
#include "cluster_testutil.h"

#include "dsrlab/cluster.h"
#include "dsrlab/drop.h"
#include "dsrlab/replay_flows.h"
#include "dsrlab/replay_sink.h"

/* ---- formats ---- */

static void fmt_str(char *buf, size_t n) { buf[n] = '\0'; }

static void check_ipv6(const uint8_t a[16], const char *want)
{
	char s[DL_FMT_IP_MAX + 1];
	fmt_str(s, dl_fmt_ipv6(s, a));
	CHECK_STR(s, want);
}

static void check_iso(int64_t sec, const char *want)
{
	char s[DL_FMT_ISO_MAX + 1];
	int n = dl_fmt_iso_seconds(s, sec);
	CHECK(n > 0);
	if (n > 0) {
		fmt_str(s, (size_t)n);
		CHECK_STR(s, want);
	}
}

static void test_formats(void)
{
	char s[64];
	static const uint8_t a0[16] = {0};
	static const uint8_t a1[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t a2[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};    /* two runs of two: the first */
	static const uint8_t a3[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};    /* the longer run */
	static const uint8_t a4[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 0, 0, 4, 0, 5};    /* one zero word stays */
	static const uint8_t a5[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 7};   /* no dotted tail */
	static const uint8_t a6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a7[16] = {0xab, 0xcd, 0x0e, 0xf0, 0, 0x0a, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t v4[4] = {0, 10, 255, 100};
	static const uint8_t mac[6] = {0x02, 0xab, 0x00, 0x0f, 0xf0, 0xff};

	fmt_str(s, dl_fmt_u64(s, 0));
	CHECK_STR(s, "0");
	fmt_str(s, dl_fmt_u64(s, UINT64_MAX));
	CHECK_STR(s, "18446744073709551615");
	fmt_str(s, dl_fmt_u64(s, 4294967295u));
	CHECK_STR(s, "4294967295");
	fmt_str(s, dl_fmt_ipv4(s, v4));
	CHECK_STR(s, "0.10.255.100");
	fmt_str(s, dl_fmt_mac(s, mac));
	CHECK_STR(s, "02:ab:00:0f:f0:ff");
	check_ipv6(a0, "::");
	check_ipv6(a1, "::1");
	check_ipv6(a2, "2001:db8::1:0:0:1");
	check_ipv6(a3, "2001:db8:0:1::1");
	check_ipv6(a4, "2001:db8:1:2:3:0:4:5");
	check_ipv6(a5, "::ffff:cb00:7107");
	check_ipv6(a6, "fe80::");
	check_ipv6(a7, "abcd:ef0:a:1000:102:304:506:708");

	/* What new Date(sec * 1000).toISOString().slice(0, 19) prints (node 20). */
	check_iso(0, "1970-01-01T00:00:00");
	check_iso(1700000000, "2023-11-14T22:13:20");
	check_iso(4000000000LL, "2096-10-02T07:06:40");
	check_iso(-1, "1969-12-31T23:59:59");
	check_iso(951782400, "2000-02-29T00:00:00");
	check_iso(68169600, "1972-02-29T00:00:00");
	check_iso(253402300799LL, "9999-12-31T23:59:59");
	check_iso(253402300800LL, "+010000-01-01T00:00");
	check_iso(-62167219201LL, "-000001-12-31T23:59");
	check_iso(8640000000000LL, "+275760-09-13T00:00");
	check_iso(-8640000000000LL, "-271821-04-20T00:00");
	CHECK_EQ(dl_fmt_iso_seconds(s, 8640000000001LL), -1);
	CHECK_EQ(dl_fmt_iso_seconds(s, INT64_MIN), -1);
	CHECK_EQ(dl_fmt_iso_seconds(s, INT64_MAX), -1);

	{
		static const char in[] = "a\"b\\c\n\t\x01\x1f\b\f\r/\xc3\xa9";
		fmt_str(s, dl_json_string(s, in, sizeof(in) - 1));
		CHECK_STR(s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\\b\\f\\r/\xc3\xa9\"");
		fmt_str(s, dl_json_string(s, "", 0));
		CHECK_STR(s, "\"\"");
	}
	{
		struct dl_buf b;
		memset(&b, 0, sizeof(b));
		CHECK_EQ(dl_buf_append(&b, "abc", 3), 0);
		CHECK_EQ(dl_buf_reserve(&b, SIZE_MAX), -1);
		CHECK_EQ(dl_buf_append(&b, NULL, 0), 0);
		CHECK_EQ(b.len, 3);
		CHECK(!memcmp(b.data, "abc", 3));
		dl_buf_free(&b);
		CHECK(b.data == NULL && b.len == 0);
	}
}

/* ---- frames ---- */

static uint32_t eth(uint8_t *f, uint16_t type)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x11}, src[6] = {0x02, 0, 0, 0, 0, 0x07};
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	dl_wr16(f + 12, type);
	return 14;
}

/* IPv4 + TCP, flags and payload as asked; frag_off (bytes) > 0 makes it a later fragment. */
static uint32_t tcp4_frame(uint8_t *f, uint8_t flags, uint16_t frag_off)
{
	uint32_t o = eth(f, DL_ETH_P_IPV4);
	uint32_t tcp_len = frag_off ? 8 : 20;
	struct dl_pkt_info pi;

	memset(f + o, 0, 20 + tcp_len);
	f[o] = 0x45;
	dl_wr16(f + o + 2, (uint16_t)(20 + tcp_len));
	dl_wr16(f + o + 6, (uint16_t)(frag_off / 8));
	f[o + 8] = 64;
	f[o + 9] = DL_IPPROTO_TCP;
	f[o + 12] = 203; f[o + 13] = 0; f[o + 14] = 113; f[o + 15] = 7;
	f[o + 16] = 198; f[o + 17] = 51; f[o + 18] = 100; f[o + 19] = 10;
	if (!frag_off) {
		dl_wr16(f + o + 20, 40000);
		dl_wr16(f + o + 22, 80);
		f[o + 32] = 5 << 4;
		f[o + 33] = flags;
	}
	if (dl_pkt_parse(f, o + 20 + tcp_len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(f, o + 20 + tcp_len, &pi);
	return o + 20 + tcp_len;
}

static uint32_t udp6_frame(uint8_t *f)
{
	uint32_t o = eth(f, DL_ETH_P_IPV6);
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};

	memset(f + o, 0, 48);
	f[o] = 0x60;
	dl_wr16(f + o + 4, 8);
	f[o + 6] = DL_IPPROTO_UDP;
	f[o + 7] = 64;
	memcpy(f + o + 8, src, 16);
	memcpy(f + o + 24, dst, 16);
	dl_wr16(f + o + 40, 5000);
	dl_wr16(f + o + 42, 53);
	dl_wr16(f + o + 44, 8);
	return o + 48;
}

static uint32_t icmp4_frame(uint8_t *f)
{
	uint32_t o = eth(f, DL_ETH_P_IPV4);

	memset(f + o, 0, 28);
	f[o] = 0x45;
	dl_wr16(f + o + 2, 28);
	f[o + 8] = 64;
	f[o + 9] = DL_IPPROTO_ICMP;
	f[o + 12] = 10; f[o + 15] = 1;
	f[o + 16] = 10; f[o + 19] = 2;
	f[o + 20] = 3; /* unreachable, code 4 */
	f[o + 21] = 4;
	return o + 28;
}

static uint32_t arp_frame(uint8_t *f, bool ipv4)
{
	uint32_t o = eth(f, DL_ETH_P_ARP);

	memset(f + o, 0, 28);
	dl_wr16(f + o, 1);
	dl_wr16(f + o + 2, ipv4 ? DL_ETH_P_IPV4 : 0x1234);
	f[o + 4] = 6;
	f[o + 5] = 4;
	dl_wr16(f + o + 6, 2);
	f[o + 14] = 203; f[o + 15] = 0; f[o + 16] = 113; f[o + 17] = 7;
	f[o + 24] = 192; f[o + 25] = 168; f[o + 26] = 10; f[o + 27] = 11;
	return o + 28;
}

/* ---- flows.jsonl lines ---- */

static void set(struct dl_flow_fmt *f)
{
#define S(x) x, sizeof(x) - 1
	CHECK_EQ(dl_flow_fmt_set_host(f, 0, S("\"node_name\":\"node-a\",\"host\":\"node-a\",\"host_kind\":\"node\","), S("\"peer\":\"node-a\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_host(f, 1, S("\"host\":\"client-1\",\"host_kind\":\"client\","), S("\"peer\":\"client-1\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_host(f, 2, S("\"host\":\"x\",\"host_kind\":\"client\","), S("\"peer\":\"x\",")), -1);
	CHECK_EQ(dl_flow_fmt_set_point(f, DL_PT_WIRE_TX, S("\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_point(f, DL_PT_TC_INGRESS, S("\"trace_observation_point\":\"FROM_NETWORK\",\"point\":\"TC_INGRESS\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_point(f, DL_FLOW_POINTS, S("x")), -1);
	CHECK_EQ(dl_flow_fmt_set_verdict(f, DL_V_SEEN, S("\"verdict\":\"TRACED\",\"action\":\"SEEN\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_verdict(f, DL_V_DROPPED, S("\"verdict\":\"DROPPED\",\"action\":\"DROPPED\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_verdict(f, DL_FLOW_VERDICTS, S("x")), -1);
	CHECK_EQ(dl_flow_fmt_set_drop(f, 1001, S("\"drop_reason_desc\":\"DSRLAB_UNPARSEABLE\",\"drop_reason_name\":\"DSRLAB_UNPARSEABLE\",\"drop_reason_text\":\"t\",")), 0);
	CHECK_EQ(dl_flow_fmt_set_drop(f, DL_FLOW_DROP_MAX, S("x")), -1);
	CHECK_EQ(dl_flow_fmt_set_backend(f, 1, S("{\"id\":1,\"pod\":\"web-b\",\"address\":\"10.0.2.5\",\"port\":8080}")), 0);
	CHECK_EQ(dl_flow_fmt_set_backend(f, DL_FLOW_BACKEND_MAX, S("x")), -1);
#undef S
}

/* Formats e over arena and compares the line (without its newline) with want. */
static void check_line(struct dl_flow_fmt *f, const struct dl_event *e, const uint8_t *arena, size_t alen, const char *want)
{
	struct dl_buf out;
	char *got;

	memset(&out, 0, sizeof(out));
	CHECK_EQ(dl_flow_fmt_line(f, &out, e, arena, alen), 0);
	CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
	got = malloc(out.len + 1);
	if (!got)
		exit(2);
	memcpy(got, out.data, out.len);
	got[out.len ? out.len - 1 : 0] = '\0';
	CHECK_STR(got, want);
	free(got);
	dl_buf_free(&out);
}

static struct dl_event ev(uint32_t pkt, uint32_t host, uint32_t peer, uint8_t point, uint8_t verdict, uint32_t off, uint32_t len)
{
	struct dl_event e;

	memset(&e, 0, sizeof(e));
	e.pkt = e.parent = pkt;
	e.ts_sec = 1700000000;
	e.ts_nsec = 11000011;
	e.host = host;
	e.peer = peer;
	e.point = point;
	e.verdict = verdict;
	e.off = off;
	e.len = len;
	return e;
}

static void test_flow_lines(void)
{
	struct dl_flow_fmt f;
	uint8_t arena[1024];
	uint32_t a = 0, tcp, later, udp, icmp, arp, arp6, junk;
	struct dl_event e;
	struct dl_buf out;

	CHECK_EQ(dl_flow_fmt_init(&f, 2), 0);
	set(&f);
	tcp = a;
	a += tcp4_frame(arena + a, DL_TCP_SYN | DL_TCP_ACK | DL_TCP_CWR, 0);
	later = a;
	a += tcp4_frame(arena + a, 0, 64);
	udp = a;
	a += udp6_frame(arena + a);
	icmp = a;
	a += icmp4_frame(arena + a);
	arp = a;
	a += arp_frame(arena + a, true);
	arp6 = a;
	a += arp_frame(arena + a, false);
	junk = a;
	eth(arena + a, DL_ETH_P_IPV4);
	memset(arena + a + 14, 0x45, 6);
	a += 20;

	/* A capture packet's hop with everything optional set. */
	e = ev(7, 1, 0, DL_PT_WIRE_TX, DL_V_SEEN, tcp, later - tcp);
	e.flags = DL_EVF_DSR | DL_EVF_SNAT | DL_EVF_FINAL;
	e.backend = 1;
	e.hash = 10;
	e.slot = 3;
	e.nat_port = 40001;
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":7,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"peer\":\"node-a\",\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\","
		   "\"action\":\"SEEN\",\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":"
		   "\"02:00:00:00:00:11\"},\"IP\":{\"source\":\"203.0.113.7\",\"destination\":\"198.51.100.10\",\"ipVersion\":"
		   "\"IPv4\"},\"l4\":{\"TCP\":{\"source_port\":40000,\"destination_port\":80,\"flags\":{\"SYN\":true,\"ACK\":true,"
		   "\"CWR\":true}}},\"is_reply\":false,\"dsr\":true,\"snat\":true,\"final\":true,\"backend\":{\"id\":1,\"pod\":"
		   "\"web-b\",\"address\":\"10.0.2.5\",\"port\":8080},\"selection\":{\"hash\":10,\"slot\":3},\"nat_port\":40001,"
		   "\"length\":54}");
	/* A made packet's drop, no host, no frame stored; a known drop reason. */
	e = ev(0x80000001u, UINT32_MAX, UINT32_MAX, DL_PT_WIRE_TX, DL_V_DROPPED, 0, 0);
	e.parent = 7;
	e.flags = DL_EVF_REPLY | DL_EVF_GENERATED;
	e.drop = -1001;
	e.ts_nsec = 5;
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.000000005Z\",\"packet\":2147483649,\"parent\":7,\"host\":null,"
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"DROPPED\",\"action\":\"DROPPED\","
		   "\"drop_reason\":1001,\"drop_reason_desc\":\"DSRLAB_UNPARSEABLE\",\"drop_reason_name\":\"DSRLAB_UNPARSEABLE\","
		   "\"drop_reason_text\":\"t\",\"Type\":\"L3_L4\",\"is_reply\":true,\"generated\":true,\"length\":0}");
	/* An unknown drop code (the most negative one), a backend without a name, a later fragment. */
	e = ev(8, 0, 1, DL_PT_TC_INGRESS, DL_V_DROPPED, later, udp - later);
	e.parent = 3;
	e.drop = INT32_MIN;
	e.backend = 99;
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":8,\"parent\":3,\"node_name\":\"node-a\",\"host\":"
		   "\"node-a\",\"host_kind\":\"node\",\"peer\":\"client-1\",\"trace_observation_point\":\"FROM_NETWORK\","
		   "\"point\":\"TC_INGRESS\",\"verdict\":\"DROPPED\",\"action\":\"DROPPED\",\"drop_reason\":2147483648,"
		   "\"drop_reason_desc\":\"DROP_UNKNOWN_2147483648\",\"drop_reason_name\":\"DROP_UNKNOWN_2147483648\","
		   "\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},"
		   "\"IP\":{\"source\":\"203.0.113.7\",\"destination\":\"198.51.100.10\",\"ipVersion\":\"IPv4\"},\"l4\":{\"TCP\":"
		   "{\"source_port\":0,\"destination_port\":0}},\"is_reply\":false,\"backend\":{\"id\":99},\"length\":42}");
	/* IPv6 UDP; a host id past the names; ICMP; ARP with and without IPv4 addresses; a cut-short frame. */
	e = ev(9, 5, 5, DL_PT_WIRE_TX, DL_V_SEEN, udp, icmp - udp);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":9,\"host\":null,\"trace_observation_point\":"
		   "\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\",\"Type\":\"L3_L4\",\"ethernet\":"
		   "{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},\"IP\":{\"source\":\"2001:db8:c::7\","
		   "\"destination\":\"2001:db8:100::10\",\"ipVersion\":\"IPv6\"},\"l4\":{\"UDP\":{\"source_port\":5000,"
		   "\"destination_port\":53}},\"is_reply\":false,\"length\":62}");
	e = ev(10, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, icmp, arp - icmp);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":10,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},"
		   "\"IP\":{\"source\":\"10.0.0.1\",\"destination\":\"10.0.0.2\",\"ipVersion\":\"IPv4\"},\"l4\":{\"ICMPv4\":"
		   "{\"type\":3,\"code\":4}},\"is_reply\":false,\"length\":42}");
	e = ev(11, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, arp, arp6 - arp);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":11,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},"
		   "\"arp\":{\"op\":2,\"sender\":\"203.0.113.7\",\"target\":\"192.168.10.11\"},\"is_reply\":false,\"length\":42}");
	e = ev(12, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, arp6, junk - arp6);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":12,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},"
		   "\"arp\":{\"op\":2},\"is_reply\":false,\"length\":42}");
	e = ev(13, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, junk, 20);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":13,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"ethernet\":{\"source\":\"02:00:00:00:00:07\",\"destination\":\"02:00:00:00:00:11\"},"
		   "\"parse_error\":\"ipv4: 6 bytes < 20\",\"is_reply\":false,\"length\":20}");
	e = ev(14, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, junk, 5);
	check_line(&f, &e, arena, a,
		   "{\"time\":\"2023-11-14T22:13:20.011000011Z\",\"packet\":14,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"parse_error\":\"ethernet: 5 bytes < 14\",\"is_reply\":false,\"length\":5}");
	/* The same offset again (cached frame text), then a far-future and an impossible time. */
	e = ev(15, 1, UINT32_MAX, DL_PT_WIRE_TX, DL_V_SEEN, junk, 5);
	e.ts_sec = 253402300800LL;
	e.ts_nsec = 1000000000u;
	check_line(&f, &e, arena, a,
		   "{\"time\":\"+010000-01-01T00:00.1000000000Z\",\"packet\":15,\"host\":\"client-1\",\"host_kind\":\"client\","
		   "\"trace_observation_point\":\"WIRE_TX\",\"point\":\"WIRE_TX\",\"verdict\":\"TRACED\",\"action\":\"SEEN\","
		   "\"Type\":\"L3_L4\",\"parse_error\":\"ethernet: 5 bytes < 14\",\"is_reply\":false,\"length\":5}");
	memset(&out, 0, sizeof(out));
	e.ts_sec = 8640000000001LL;
	CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), DL_FLOW_ETIME);
	e.ts_sec = 0;
	e.point = 13;
	CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), DL_FLOW_EEVENT);
	e.point = 0;
	CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), DL_FLOW_EEVENT);
	e.point = DL_PT_WIRE_TX;
	e.verdict = 9;
	CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), DL_FLOW_EEVENT);
	e.verdict = DL_V_SEEN;
	e.off = a - 2;
	e.len = 5;
	CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), DL_FLOW_EEVENT);
	CHECK_EQ(out.len, 0);
	dl_buf_free(&out);
	dl_flow_fmt_free(&f);

	/* Every fragment as long as it gets, every optional key present: the line fits the room
	 * reserved for it (ASan would see an overrun). */
	{
		static char big[4000];
		size_t n = sizeof(big) - 1;
		memset(big, 'x', n);
		CHECK_EQ(dl_flow_fmt_init(&f, 2), 0);
		for (uint32_t h = 0; h < 2; h++)
			CHECK_EQ(dl_flow_fmt_set_host(&f, h, big, n, big, n), 0);
		for (uint32_t p = 1; p < DL_FLOW_POINTS; p++)
			CHECK_EQ(dl_flow_fmt_set_point(&f, p, big, n), 0);
		for (uint32_t v = 0; v < DL_FLOW_VERDICTS; v++)
			CHECK_EQ(dl_flow_fmt_set_verdict(&f, v, big, n), 0);
		CHECK_EQ(dl_flow_fmt_set_drop(&f, 1001, big, n), 0);
		CHECK_EQ(dl_flow_fmt_set_backend(&f, 4000000, big, n), 0);
		/* A buffer with room for five fragments and change, but not for the line: the
		 * formatter must make room for all six. */
		out.len = 0;
		out.cap = 5 * n + 800;
		out.data = malloc(out.cap);
		if (!out.data)
			exit(2);
		for (int k = 0; k < 2; k++) {
			e = ev(0xffffffffu, 1, 0, DL_PT_TC_INGRESS, DL_V_DROPPED, junk, 20);
			e.parent = 0xfffffffeu;
			e.ts_sec = -8640000000000LL;
			e.ts_nsec = UINT32_MAX;
			e.drop = k ? INT32_MIN : -1001;
			e.flags = 0xffff;
			e.backend = 4000000;
			e.hash = e.slot = e.nat_port = UINT32_MAX;
			CHECK_EQ(dl_flow_fmt_line(&f, &out, &e, arena, a), 0);
		}
		CHECK(out.len > 11 * n);
		dl_buf_free(&out);
		dl_flow_fmt_free(&f);
	}
}

/* ---- the sink on a small cluster ---- */

static const uint8_t IP_A[4] = {192, 168, 10, 11}, IP_B[4] = {192, 168, 10, 12}, IP_CLIENT[4] = {203, 0, 113, 7},
		     IP_POD[4] = {10, 0, 2, 5}, IP_VIP[4] = {198, 51, 100, 10};
enum { H_A, H_B, H_CLIENT, H_WORLD, H_POD, N_HOSTS };

static uint32_t host(struct dl_cluster *c, enum dl_host_kind kind, const char *name, uint8_t macid, const uint8_t *v4, uint32_t node)
{
	struct dl_host_config h = tu_host_config(kind, name, macid, v4, NULL, node, 1500);
	int id = dl_cluster_add_host(c, &h);

	CHECK(id >= 0);
	return (uint32_t)id;
}

/* node-a (the LB), node-b, a client, the world, a pod on node-b behind VIP:80/TCP. */
static struct dl_cluster *make_cluster(enum dl_responder responder)
{
	struct dl_cluster_config cfg;
	struct dl_cluster *c;
	struct dl_lb_backend be;
	struct dl_lb_key k;
	struct dl_lb_service s;
	struct dl_frontend_route r;
	static const uint32_t slots[] = {1};
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = DL_MODE_SNAT;
	cfg.nat_port_min = 32768;
	cfg.nat_port_max = 65535;
	cfg.profile.snat_retries = 128;
	dl_ct_config_init(&cfg.ct, 21600);
	cfg.lb.max_services = 64;
	cfg.lb.maglev_m = 251;
	cfg.lb.default_algorithm = DL_LB_ALG_RANDOM;
	cfg.ct_tcp_max = cfg.ct_any_max = cfg.nat_max = 1024;
	cfg.frag_max = 64;
	cfg.addr_max = 64;
	cfg.flow_max = 1024;
	cfg.seed = 3;
	cfg.responder = responder;
	c = dl_cluster_new(&cfg, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "dl_cluster_new: %s\n", err);
		exit(2);
	}
	CHECK_EQ(host(c, DL_HOST_NODE, "node-a", 0x11, IP_A, 0), H_A);
	CHECK_EQ(host(c, DL_HOST_NODE, "node-b", 0x12, IP_B, 0), H_B);
	CHECK_EQ(host(c, DL_HOST_CLIENT, "client-1", 0x07, IP_CLIENT, 0), H_CLIENT);
	CHECK_EQ(host(c, DL_HOST_CLIENT, "world", 0x09, NULL, 0), H_WORLD);
	CHECK_EQ(dl_cluster_set_default_host(c, H_WORLD), 0);
	CHECK_EQ(host(c, DL_HOST_POD, "web-b", 0x25, IP_POD, H_B), H_POD);
	memset(&be, 0, sizeof(be));
	memcpy(be.addr, IP_POD, 4);
	be.family = 4;
	be.port = 8080;
	be.proto = DL_IPPROTO_TCP;
	be.host = H_POD;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, IP_VIP, 4);
	k.family = 4;
	k.port = 80;
	k.proto = DL_IPPROTO_TCP;
	memset(&s, 0, sizeof(s));
	s.rev_nat_index = 1;
	s.count = 1;
	s.flags = DL_SVC_FLAG_LOADBALANCER | DL_SVC_FLAG_ROUTABLE;
	s.algorithm = DL_LB_ALG_RANDOM;
	for (uint32_t n = H_A; n <= H_B; n++) {
		CHECK_EQ(dl_cluster_add_backend(c, n, 1, &be), 0);
		CHECK_EQ(dl_cluster_add_service(c, n, &k, &s, slots, NULL), 0);
	}
	memset(&r, 0, sizeof(r));
	r.family = 4;
	memcpy(r.addr, IP_VIP, 4);
	r.node = H_A;
	CHECK_EQ(dl_cluster_add_frontend_route(c, &r), 0);
	return c;
}

/* An Ethernet + IPv4 + TCP frame src:sport → dst:dport with valid checksums. */
static uint32_t tcp_frame(uint8_t *f, const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport, uint8_t flags)
{
	uint32_t o = eth(f, DL_ETH_P_IPV4);
	struct dl_pkt_info pi;

	memset(f + o, 0, 40);
	f[o] = 0x45;
	dl_wr16(f + o + 2, 40);
	dl_wr16(f + o + 6, 0x4000);
	f[o + 8] = 64;
	f[o + 9] = DL_IPPROTO_TCP;
	memcpy(f + o + 12, src, 4);
	memcpy(f + o + 16, dst, 4);
	dl_wr16(f + o + 20, sport);
	dl_wr16(f + o + 22, dport);
	dl_wr32(f + o + 24, 1000);
	dl_wr32(f + o + 28, flags & DL_TCP_ACK ? 1001 : 0);
	f[o + 32] = 5 << 4;
	f[o + 33] = flags;
	dl_wr16(f + o + 34, 64240);
	dl_pkt_parse(f, o + 40, DL_LINKTYPE_ETHERNET, &pi);
	dl_pkt_fix_csums(f, o + 40, &pi);
	return o + 40;
}

struct capture {
	uint8_t data[4096];
	size_t len;
	struct dl_cap_record recs[16];
	uint32_t n;
};

static void add(struct capture *cap, uint32_t len, int64_t sec)
{
	struct dl_cap_record *r = &cap->recs[cap->n++];

	memset(r, 0, sizeof(*r));
	r->buf_off = (uint32_t)cap->len;
	r->caplen = r->origlen = len;
	r->linktype = DL_LINKTYPE_ETHERNET;
	r->ts_sec = sec;
	r->ts_nsec = 1234567 * cap->n;
	cap->len += len;
}

/* The batch of test_sink: a request and its reply; a reply nobody asked for; a request to a
 * port without a service; junk; ARP for node-a; a reply with a bad checksum. */
static void make_capture(struct capture *cap)
{
	memset(cap, 0, sizeof(*cap));
	add(cap, tcp_frame(cap->data + cap->len, IP_CLIENT, 40000, IP_VIP, 80, DL_TCP_SYN), 1700000000);
	add(cap, tcp_frame(cap->data + cap->len, IP_VIP, 80, IP_CLIENT, 40000, DL_TCP_SYN | DL_TCP_ACK), 1700000000);
	add(cap, tcp_frame(cap->data + cap->len, IP_VIP, 80, IP_CLIENT, 41000, DL_TCP_SYN | DL_TCP_ACK), 1700000001);
	add(cap, tcp_frame(cap->data + cap->len, IP_CLIENT, 40001, IP_VIP, 81, DL_TCP_SYN), 1700000001);
	memset(cap->data + cap->len, 0xee, 10);
	add(cap, 10, 1700000002);
	add(cap, arp_frame(cap->data + cap->len, true), 1700000002);
	memcpy(cap->data + cap->recs[5].buf_off + 6, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x07}, 6);
	/* A later reply of the first flow whose captured TCP checksum is wrong: the client gets it
	 * with the right one, which the comparison reports. */
	add(cap, tcp_frame(cap->data + cap->len, IP_VIP, 80, IP_CLIENT, 40000, DL_TCP_ACK), 1700000003);
	cap->data[cap->recs[6].buf_off + 14 + 20 + 16] ^= 0x5a;
}

static struct dl_sink *make_sink(uint32_t chunk, size_t flush, uint32_t max_events)
{
	struct dl_sink_config cfg;
	struct dl_sink *s;

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_hosts = N_HOSTS;
	cfg.world = H_WORLD;
	cfg.capture_responder = true;
	cfg.pcaps = cfg.flows = true;
	cfg.max_events = max_events;
	cfg.arena_bytes = 1 << 20;
	cfg.chunk_packets = chunk;
	cfg.flush_bytes = flush;
	s = dl_sink_new(&cfg);
	CHECK(s != NULL);
	if (!s)
		exit(2);
	CHECK_EQ(dl_sink_set_node(s, H_A), 0);
	CHECK_EQ(dl_sink_set_node(s, H_B), 0);
	CHECK_EQ(dl_sink_set_node(s, N_HOSTS), -1);
	CHECK_EQ(dl_sink_add_address(s, 4, IP_A, H_A), 0);
	CHECK_EQ(dl_sink_add_address(s, 4, IP_B, H_B), 0);
	CHECK_EQ(dl_sink_add_address(s, 4, IP_CLIENT, H_CLIENT), 0);
	CHECK_EQ(dl_sink_add_address(s, 4, IP_POD, H_POD), 0);
	CHECK_EQ(dl_sink_add_address(s, 4, IP_POD, N_HOSTS), -1);
	CHECK_EQ(dl_sink_add_address(s, 5, IP_POD, H_POD), -1);
	CHECK_EQ(dl_sink_add_frontend(s, 4, IP_VIP), 0);
	CHECK_EQ(dl_flow_fmt_set_host(dl_sink_flow_fmt(s), H_CLIENT, "\"host\":\"client-1\",", 19, "", 0), 0);
	return s;
}

/* Everything a run wrote: the outputs of every call, back to back, per point and flows. */
struct collected {
	struct dl_buf points[2 * N_HOSTS], flows;
	uint32_t events, runs;
	uint64_t client_wire_events;
};

static void on_run(void *ctx, const struct dl_out *out, uint32_t first, uint32_t processed)
{
	struct collected *col = ctx;

	(void)first;
	CHECK(processed > 0);
	col->events += out->n_events;
	col->runs++;
	for (uint32_t i = 0; i < out->n_events; i++) {
		const struct dl_event *e = &out->events[i];
		if (e->host == H_CLIENT && e->len && (e->point == DL_PT_WIRE_TX || e->point == DL_PT_WIRE_RX))
			col->client_wire_events++;
	}
}

static void take(struct dl_sink *s, struct collected *col)
{
	for (uint32_t p = 0; p < dl_sink_points(s); p++)
		CHECK_EQ(dl_buf_append(&col->points[p], dl_sink_point(s, p)->data, dl_sink_point(s, p)->len), 0);
	CHECK_EQ(dl_buf_append(&col->flows, dl_sink_flows(s)->data, dl_sink_flows(s)->len), 0);
	dl_sink_clear_outputs(s);
}

static int run_all(struct dl_sink *s, struct dl_cluster *c, const struct dl_sink_batch *b, struct collected *col)
{
	uint32_t done = 0;
	int rc;

	dl_sink_on_run(s, on_run, col);
	CHECK_EQ(dl_sink_begin(s, b), 0);
	while ((rc = dl_sink_run(s, c, &done)) == DL_SINK_FLUSH)
		take(s, col);
	take(s, col);
	if (rc == DL_SINK_DONE)
		CHECK_EQ(done, b->count);
	return rc;
}

static void collected_free(struct collected *col)
{
	for (uint32_t i = 0; i < 2 * N_HOSTS; i++)
		dl_buf_free(&col->points[i]);
	dl_buf_free(&col->flows);
}

static uint64_t row_count(const struct dl_sink *s, enum dl_sink_table t, int64_t k0)
{
	for (uint32_t i = 0; i < dl_sink_rows(s, t); i++) {
		int64_t k[3];
		uint64_t n;
		dl_sink_row(s, t, i, k, &n);
		if (k[0] == k0)
			return n;
	}
	return 0;
}

static void test_sink(void)
{
	struct capture cap;
	struct dl_cluster *c = make_cluster(DL_RESPOND_CAPTURE);
	struct dl_sink *s = make_sink(0, 0, 4096);
	struct dl_sink_batch b;
	struct collected col;
	const struct dl_sink_totals *t;
	uint64_t node_events = 0, lines = 0, records = 0;
	uint32_t n;
	uint64_t flows;
	const uint32_t *g;

	make_capture(&cap);
	memset(&col, 0, sizeof(col));
	b.data = cap.data;
	b.len = cap.len;
	b.recs = cap.recs;
	b.count = cap.n;
	b.first_id = 100;
	CHECK_EQ(run_all(s, c, &b, &col), DL_SINK_DONE);

	/* Senders: the client by its address (ARP too), server packets and junk from the world. */
	{
		static const uint32_t want[] = {H_CLIENT, H_WORLD, H_WORLD, H_CLIENT, H_WORLD, H_CLIENT, H_WORLD};
		static const uint8_t server[] = {0, 1, 1, 0, 0, 0, 1};
		for (uint32_t i = 0; i < cap.n; i++) {
			CHECK_EQ(dl_sink_senders(s)[i], want[i]);
			CHECK_EQ(dl_sink_servers(s)[i], server[i]);
		}
	}
	CHECK_EQ(dl_sink_finish(s), 0);
	t = dl_sink_totals(s);
	CHECK_EQ(t->in, 7);
	CHECK_EQ(t->requests, 4);
	CHECK_EQ(t->server, 3);
	CHECK_EQ(t->unaccounted, 0);
	CHECK_EQ(t->delivered + t->to_stack + t->dropped + t->answered, 7);
	CHECK_EQ(t->compared, 2);
	CHECK_EQ(t->matched, 1);
	CHECK_EQ(t->mismatched, 1);
	CHECK_EQ(t->not_delivered, 1);
	CHECK_EQ(t->withheld, 1);
	CHECK_EQ(t->made, 0);
	CHECK_EQ(t->flow_lines, col.events);
	/* The mismatch keeps both datagrams: equal but for the TCP checksum. */
	CHECK_EQ(dl_sink_mismatches(s), 1);
	{
		const struct dl_sink_mismatch *m = dl_sink_mismatch(s, 0);
		CHECK(m != NULL && dl_sink_mismatch(s, 1) == NULL);
		if (m) {
			CHECK_EQ(m->packet, 106);
			CHECK_EQ(m->kind, DL_MISMATCH_BYTES);
			CHECK_EQ(m->l4_proto, DL_IPPROTO_TCP);
			CHECK_EQ(m->l4_off, 20);
			CHECK_EQ(m->expected_len, 40);
			CHECK_EQ(m->got_len, 40);
			for (uint32_t i = 0; i < 40; i++)
				if (i != 8 && i != 10 && i != 11 && i != 36 && i != 37)
					CHECK_EQ(m->expected[i], m->got[i]);
			CHECK(m->expected[36] != m->got[36]);
		}
	}
	/* The request went to the pod, the replies to the client; the withheld reply's flow had no request. */
	CHECK_EQ(row_count(s, DL_SINK_T_DELIVERED_TO, H_POD), 1);
	CHECK_EQ(row_count(s, DL_SINK_T_DELIVERED_TO, H_CLIENT), 2);
	CHECK_EQ(row_count(s, DL_SINK_T_DROP_REASONS, DL_DROP_WITHHELD), 1);
	CHECK_EQ(row_count(s, DL_SINK_T_DROP_REASONS, DL_DROP_UNPARSEABLE), 1);
	CHECK_EQ(dl_sink_rows(s, DL_SINK_T_WITHHELD), 1);
	CHECK_EQ(row_count(s, DL_SINK_T_WITHHELD, DL_FATE_NONE), 1);
	CHECK_EQ(row_count(s, DL_SINK_T_BACKEND_PACKETS, 1), 1);
	{
		int64_t k[3];
		uint64_t cnt;
		dl_sink_row(s, DL_SINK_T_DROP_WHERE, 0, k, &cnt);
		CHECK_EQ(k[0], DL_DROP_WITHHELD); /* the first drop: packet 102, before the junk */
		CHECK_EQ(k[1], (int64_t)UINT32_MAX);
		CHECK_EQ(k[2], DL_PT_WIRE_TX);
		dl_sink_row(s, DL_SINK_T_NODES, 0, k, &cnt);
		CHECK_EQ(k[0], H_A); /* the first event at a node: node-a's link */
		CHECK_EQ(k[1], DL_PT_WIRE_RX);
		CHECK_EQ(k[2], DL_V_SEEN);
		dl_sink_row(s, DL_SINK_T_NODES, 9999, k, &cnt);
		CHECK_EQ(cnt, 0);
		for (uint32_t i = 0; i < dl_sink_rows(s, DL_SINK_T_NODES); i++) {
			dl_sink_row(s, DL_SINK_T_NODES, i, k, &cnt);
			CHECK(k[0] == H_A || k[0] == H_B);
			node_events += cnt;
		}
		CHECK(node_events > 0 && node_events < col.events);
	}
	/* Flows: two requests with ports (the SYN to the service, the one to port 81); one balanced. */
	CHECK_EQ(t->flows, 2);
	CHECK_EQ(t->flows_balanced, 1);
	CHECK_EQ(t->flows_split, 0);
	CHECK_EQ(dl_sink_rows(s, DL_SINK_T_FLOW_GROUPS), 1);
	g = dl_sink_flow_group(s, 0, &n, &flows);
	CHECK(g != NULL && n == 1 && g[0] == 1 && flows == 1);
	CHECK(dl_sink_flow_group(s, 1, &n, &flows) == NULL && n == 0);

	/* flows.jsonl: one line per event, each a JSON object on its own line. */
	for (size_t i = 0; i < col.flows.len; i++)
		lines += col.flows.data[i] == '\n';
	CHECK_EQ(lines, col.events);
	CHECK(col.flows.len > 40 && !memcmp(col.flows.data, "{\"time\":\"2023-11-14T22:13:20.001234567Z\",\"packet\":100,\"host\":\"client-1\",", 73));
	/* pcap records of the client's link: 16-byte headers (seconds, microseconds, lengths), frames. */
	for (size_t off = 0; off + 16 <= col.points[DL_SINK_POINT_WIRE(H_CLIENT)].len; records++) {
		const uint8_t *h = col.points[DL_SINK_POINT_WIRE(H_CLIENT)].data + off;
		CHECK_EQ(dl_rd32le(h + 8), dl_rd32le(h + 12));
		if (records == 0) {
			CHECK_EQ(dl_rd32le(h), 1700000000);
			CHECK_EQ(dl_rd32le(h + 4), 1234);
			CHECK_EQ(dl_rd32le(h + 8), 54);
			CHECK(!memcmp(h + 16 + 26, IP_CLIENT, 4));
		}
		off += 16 + dl_rd32le(h + 8);
	}
	CHECK_EQ(records, col.client_wire_events);
	CHECK_EQ(col.points[DL_SINK_POINT_TCPDUMP(H_CLIENT)].len, 0); /* no taps on a client */
	CHECK(col.points[DL_SINK_POINT_TCPDUMP(H_A)].len > 0);
	CHECK(dl_sink_point(s, 2 * N_HOSTS) == NULL);

	collected_free(&col);
	dl_sink_free(s);
	dl_cluster_free(c);
}

/* Chunks of one packet with a flush after each give the same bytes and counts as one run. */
static void test_cuts(void)
{
	struct capture cap;
	struct dl_cluster *c1 = make_cluster(DL_RESPOND_ECHO), *c2 = make_cluster(DL_RESPOND_ECHO);
	struct dl_sink *s1 = make_sink(0, 0, 4096), *s2 = make_sink(1, 1, 4096);
	struct collected a, b;
	struct dl_sink_batch bt;

	make_capture(&cap);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	bt.data = cap.data;
	bt.len = cap.len;
	bt.recs = cap.recs;
	bt.count = cap.n;
	bt.first_id = 0;
	CHECK_EQ(run_all(s1, c1, &bt, &a), DL_SINK_DONE);
	CHECK_EQ(run_all(s2, c2, &bt, &b), DL_SINK_DONE);
	CHECK_EQ(a.runs, 1);
	CHECK_EQ(b.runs, cap.n);
	CHECK_EQ(a.events, b.events);
	CHECK_EQ(a.flows.len, b.flows.len);
	CHECK(a.flows.len && !memcmp(a.flows.data, b.flows.data, a.flows.len));
	for (uint32_t p = 0; p < 2 * N_HOSTS; p++) {
		CHECK_EQ(a.points[p].len, b.points[p].len);
		CHECK(a.points[p].len == 0 || !memcmp(a.points[p].data, b.points[p].data, a.points[p].len));
	}
	CHECK_EQ(dl_sink_finish(s1), 0);
	CHECK_EQ(dl_sink_finish(s2), 0);
	CHECK(!memcmp(dl_sink_totals(s1), dl_sink_totals(s2), sizeof(struct dl_sink_totals)));
	CHECK(dl_sink_totals(s1)->made > 0); /* the echo responder answered */
	for (int t = 0; t < DL_SINK_TABLES; t++) {
		CHECK_EQ(dl_sink_rows(s1, (enum dl_sink_table)t), dl_sink_rows(s2, (enum dl_sink_table)t));
		for (uint32_t i = 0; i < dl_sink_rows(s1, (enum dl_sink_table)t); i++) {
			int64_t k1[3], k2[3];
			uint64_t n1, n2;
			dl_sink_row(s1, (enum dl_sink_table)t, i, k1, &n1);
			dl_sink_row(s2, (enum dl_sink_table)t, i, k2, &n2);
			CHECK(!memcmp(k1, k2, sizeof(k1)) && n1 == n2);
		}
	}
	/* A second batch carries on: ids, flows and counts add up. */
	bt.first_id = cap.n;
	CHECK_EQ(run_all(s1, c1, &bt, &a), DL_SINK_DONE);
	CHECK_EQ(dl_sink_finish(s1), 0);
	CHECK_EQ(dl_sink_totals(s1)->in, 2 * cap.n);
	collected_free(&a);
	collected_free(&b);
	dl_sink_free(s1);
	dl_sink_free(s2);
	dl_cluster_free(c1);
	dl_cluster_free(c2);
}

static void test_errors(void)
{
	struct capture cap;
	struct dl_cluster *c = make_cluster(DL_RESPOND_NONE);
	struct dl_sink *s = make_sink(0, 0, 10); /* fewer events than a packet may need */
	struct dl_sink_batch b;
	struct dl_sink_config bad;
	uint32_t done = 0;
	uint8_t addrs[2 * 17];

	make_capture(&cap);
	b.data = cap.data;
	b.len = cap.len;
	b.recs = cap.recs;
	b.count = cap.n;
	b.first_id = 42;
	CHECK_EQ(dl_sink_run(s, c, &done), DL_SINK_EINVAL); /* no batch */
	CHECK_EQ(dl_sink_begin(s, &b), 0);
	CHECK_EQ(dl_sink_run(s, c, &done), DL_SINK_ESTUCK);
	CHECK_EQ(dl_sink_error(s)->rc, DL_SINK_ESTUCK);
	CHECK_EQ(dl_sink_error(s)->packet, 42);
	CHECK_EQ(done, 0);
	dl_sink_free(s);

	/* A record outside its buffer. */
	s = make_sink(0, 0, 4096);
	b.len = cap.len - 1;
	CHECK_EQ(dl_sink_begin(s, &b), DL_SINK_EINVAL);
	CHECK_EQ(dl_sink_run(s, c, &done), DL_SINK_EINVAL);
	b.len = cap.len;
	/* A time JavaScript cannot show: the outputs of the events before it stay. */
	cap.recs[1].ts_sec = 8640000000001LL;
	CHECK_EQ(dl_sink_begin(s, &b), 0);
	done = 0;
	CHECK_EQ(dl_sink_run(s, c, &done), DL_SINK_ETIME);
	CHECK_EQ(dl_sink_error(s)->ts_sec, 8640000000001LL);
	CHECK(dl_sink_flows(s)->len > 0);
	CHECK(dl_sink_point(s, DL_SINK_POINT_WIRE(H_CLIENT))->len > 0);
	dl_sink_free(s);

	/* Configs a sink refuses. */
	memset(&bad, 0, sizeof(bad));
	CHECK(dl_sink_new(&bad) == NULL);
	bad.n_hosts = 2;
	bad.world = 2;
	CHECK(dl_sink_new(&bad) == NULL);

	/* The pre-scan for server packets: the first packet from a frontend address. */
	memset(addrs, 0, sizeof(addrs));
	addrs[0] = 4;
	memcpy(addrs + 1, IP_VIP, 4);
	addrs[17] = 7; /* not a family: ignored */
	CHECK_EQ(dl_sink_first_from(cap.data, cap.len, cap.recs, cap.n, addrs, 2), 1);
	CHECK_EQ(dl_sink_first_from(cap.data, cap.len, cap.recs, 1, addrs, 2), -1);
	CHECK_EQ(dl_sink_first_from(cap.data, cap.len, cap.recs, cap.n, addrs, 0), -1);
	addrs[0] = 6;
	CHECK_EQ(dl_sink_first_from(cap.data, cap.len, cap.recs, cap.n, addrs, 1), -1);
	dl_cluster_free(c);
}

/* Reads back all of a file written through fd. */
static void read_back(FILE *f, struct dl_buf *into)
{
	uint8_t chunk[4096];
	size_t n;

	CHECK_EQ(fseek(f, 0, SEEK_SET), 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		CHECK_EQ(dl_buf_append(into, chunk, n), 0);
}

/* nout temporary files, and their descriptors. */
static void open_files(FILE **files, int *fds, uint32_t nout)
{
	for (uint32_t i = 0; i < nout; i++) {
		files[i] = tmpfile();
		CHECK(files[i] != NULL);
		if (!files[i])
			exit(2);
		fds[i] = fileno(files[i]);
	}
}

/* Each file (the points, then flows.jsonl) holds what `want` collected from the buffers;
 * closes the files. */
static void check_files(FILE **files, uint32_t nout, const struct collected *want)
{
	for (uint32_t i = 0; i < nout; i++) {
		struct dl_buf got;
		const struct dl_buf *w = i < nout - 1 ? &want->points[i] : &want->flows;

		memset(&got, 0, sizeof(got));
		read_back(files[i], &got);
		CHECK_EQ(got.len, w->len);
		CHECK(got.len == 0 || !memcmp(got.data, w->data, got.len));
		dl_buf_free(&got);
		fclose(files[i]);
	}
}

/* The writer thread: files get the bytes the buffers would have held, in order, however small
 * the hand-overs; a failed write is reported (output and errno) and ends nothing else badly;
 * a sink freed with its writer running stops it. */
static void test_writer(void)
{
	struct capture cap;
	struct dl_sink_batch bt;
	struct collected a;
	FILE *files[2 * N_HOSTS + 1];
	int fds[2 * N_HOSTS + 1];
	uint32_t nout = 2 * N_HOSTS + 1;

	make_capture(&cap);
	bt.data = cap.data;
	bt.len = cap.len;
	bt.recs = cap.recs;
	bt.count = cap.n;
	bt.first_id = 0;
	memset(&a, 0, sizeof(a));
	{
		struct dl_cluster *c1 = make_cluster(DL_RESPOND_ECHO), *c2 = make_cluster(DL_RESPOND_ECHO);
		struct dl_sink *s1 = make_sink(0, 0, 4096), *s2 = make_sink(1, 1, 4096);
		uint32_t done = 0;

		CHECK_EQ(run_all(s1, c1, &bt, &a), DL_SINK_DONE);
		open_files(files, fds, nout);
		fds[DL_SINK_POINT_TCPDUMP(H_CLIENT)] = -1; /* not a node: nothing to write */
		CHECK_EQ(dl_sink_open_output(s2, fds, nout - 1), DL_SINK_EINVAL);
		CHECK_EQ(dl_sink_open_output(s2, fds, nout), 0);
		CHECK_EQ(dl_sink_open_output(s2, fds, nout), DL_SINK_EINVAL);
		CHECK_EQ(dl_sink_begin(s2, &bt), 0);
		/* a flush after every packet: many hand-overs, more than the writer has sets */
		CHECK_EQ(dl_sink_run(s2, c2, &done), DL_SINK_DONE);
		CHECK_EQ(done, cap.n);
		CHECK_EQ(dl_sink_close_output(s2), 0);
		CHECK_EQ(dl_sink_close_output(s2), 0);
		check_files(files, nout, &a);
		CHECK(a.flows.len > 0);
		CHECK_EQ(dl_sink_finish(s2), 0);
		CHECK_EQ(dl_sink_totals(s2)->in, cap.n);
		dl_sink_free(s1);
		dl_sink_free(s2);
		dl_cluster_free(c1);
		dl_cluster_free(c2);
	}
	collected_free(&a);

	/* A time JavaScript cannot show: the files get what the buffers held, the outputs of the
	 * events before it (and that event's pcap record). */
	{
		struct dl_cluster *c1 = make_cluster(DL_RESPOND_ECHO), *c2 = make_cluster(DL_RESPOND_ECHO);
		struct dl_sink *s1 = make_sink(0, 0, 4096), *s2 = make_sink(2, 1, 4096);
		struct collected want;
		uint32_t done = 0;

		memset(&want, 0, sizeof(want));
		cap.recs[3].ts_sec = -8640000000001LL;
		CHECK_EQ(run_all(s1, c1, &bt, &want), DL_SINK_ETIME);
		open_files(files, fds, nout);
		CHECK_EQ(dl_sink_open_output(s2, fds, nout), 0);
		CHECK_EQ(dl_sink_begin(s2, &bt), 0);
		CHECK_EQ(dl_sink_run(s2, c2, &done), DL_SINK_ETIME);
		CHECK_EQ(dl_sink_error(s2)->ts_sec, -8640000000001LL);
		CHECK_EQ(dl_sink_close_output(s2), 0);
		check_files(files, nout, &want);
		CHECK(want.flows.len > 0);
		CHECK_EQ(dl_sink_totals(s1)->flow_lines, dl_sink_totals(s2)->flow_lines);
		cap.recs[3].ts_sec = 1700000001;
		collected_free(&want);
		dl_sink_free(s1);
		dl_sink_free(s2);
		dl_cluster_free(c1);
		dl_cluster_free(c2);
	}

	/* A full device: the run (or the close) says which output failed and why. */
	{
		struct dl_cluster *c = make_cluster(DL_RESPOND_ECHO);
		struct dl_sink *s = make_sink(1, 1, 4096);
		int full = open("/dev/full", O_WRONLY);
		uint32_t done = 0;
		int rc;

		if (full >= 0) {
			for (uint32_t i = 0; i < nout; i++)
				fds[i] = -1;
			fds[nout - 1] = full;
			CHECK_EQ(dl_sink_open_output(s, fds, nout), 0);
			CHECK_EQ(dl_sink_begin(s, &bt), 0);
			rc = dl_sink_run(s, c, &done);
			CHECK(rc == DL_SINK_DONE || rc == DL_SINK_EWRITE);
			if (rc == DL_SINK_EWRITE) {
				CHECK_EQ(dl_sink_error(s)->field, nout - 1);
				CHECK_EQ(dl_sink_error(s)->value, ENOSPC);
			}
			/* the close says it (again) */
			CHECK_EQ(dl_sink_close_output(s), DL_SINK_EWRITE);
			CHECK_EQ(dl_sink_error(s)->field, nout - 1);
			CHECK_EQ(dl_sink_error(s)->value, ENOSPC);
			CHECK_EQ(dl_sink_close_output(s), 0); /* ended already */
			close(full);
		}
		dl_sink_free(s);
		dl_cluster_free(c);
	}

	/* Freed while the writer runs, with outputs waiting: it stops, nothing leaks. */
	{
		struct dl_cluster *c = make_cluster(DL_RESPOND_ECHO);
		struct dl_sink *s = make_sink(0, 1 << 20, 4096);
		int null = open("/dev/null", O_WRONLY);
		uint32_t done = 0;

		for (uint32_t i = 0; i < nout; i++)
			fds[i] = null;
		CHECK_EQ(dl_sink_open_output(s, fds, nout), 0);
		CHECK_EQ(dl_sink_begin(s, &bt), 0);
		CHECK_EQ(dl_sink_run(s, c, &done), DL_SINK_DONE);
		dl_sink_free(s);
		dl_cluster_free(c);
		if (null >= 0)
			close(null);
	}
}

int main(void)
{
	test_formats();
	test_flow_lines();
	test_sink();
	test_cuts();
	test_errors();
	test_writer();
	return tu_report("test_replay_sink");
}
