/* test_csum.c: unit tests for csum.c: the primitives against a byte-at-a-time reference,
 * known checksums (toolchain.md (d) and packets tshark 4.0 called good), the UDP zero rules,
 * fragments and truncated captures, and RFC 1624 incremental updates against full
 * recomputation on 10k random packets. Parser tests live in test_codec.c. */
#include "pkt_testutil.h"

/* Byte-at-a-time RFC 1071 sum, the reference the fast dl_csum_partial must agree with. */
static uint16_t ref_fold_sum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static int parse(const struct tu_pkt *p, struct dl_pkt_info *pi)
{
	return dl_pkt_parse(p->b, p->n, p->linktype, pi);
}

/* Where TCP, UDP, ICMP and ICMPv6 keep their checksum, from the start of their header. */
static size_t csum_field(uint8_t proto)
{
	if (proto == DL_IPPROTO_TCP)
		return 16;
	return proto == DL_IPPROTO_UDP ? 6 : 2;
}

static void test_primitives(void)
{
	/* RFC 1071 §3 worked example: the sum is ddf2, so the checksum is 220d. */
	static const uint8_t rfc1071[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[128 + 8];
	int bad = 0;

	CHECK_EQ(dl_csum_fold(dl_csum_partial(rfc1071, 8, 0)), 0x220d);
	CHECK_EQ(dl_csum_add(0xffffffffu, 1), 1);
	CHECK_EQ(dl_csum_add(0x80000000u, 0x80000000u), 1);
	CHECK_EQ(dl_csum_sub(5, 3), 2);
	CHECK_EQ(dl_csum_fold(0), 0xffff);
	CHECK_EQ(dl_csum_fold(0xffff), 0);
	CHECK_EQ(dl_csum_fold(0x1fffe), 0);
	CHECK_EQ(dl_csum_partial(NULL, 0, 7), 7);
	/* An odd tail byte counts as the high half of a word. */
	CHECK_EQ(dl_csum_partial((const uint8_t *)"\x12", 1, 0), 0x1200);

	/* Every alignment and length, against the reference. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)tu_rand();
	for (size_t align = 0; align < 8; align++)
		for (size_t n = 0; n <= 128; n++) {
			uint16_t want = (uint16_t)(0xffff - ref_fold_sum(buf + align, n));

			if (dl_csum_fold(dl_csum_partial(buf + align, n, 0)) != want)
				bad++;
		}
	CHECK_EQ(bad, 0);

	/* A sum split anywhere, odd offsets included, joins back with dl_csum_block_add. */
	bad = 0;
	for (size_t n = 0; n <= 65; n++)
		for (size_t cut = 0; cut <= n; cut++) {
			dl_wsum a = dl_csum_partial(buf, cut, 0), b = dl_csum_partial(buf + cut, n - cut, 0);

			if (dl_csum_fold(dl_csum_block_add(a, b, cut)) != dl_csum_fold(dl_csum_partial(buf, n, 0)))
				bad++;
		}
	CHECK_EQ(bad, 0);

	/* All 0xff bytes: sums of ones never fold to +0. */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(dl_csum_fold(dl_csum_partial(buf, 128, 0)), 0);
}

static void test_pseudo_headers(void)
{
	static const uint8_t s4[4] = { 10, 0, 0, 1 }, d4[4] = { 192, 168, 7, 9 };
	uint8_t ph[40], s6[16], d6[16];

	memcpy(ph, s4, 4);
	memcpy(ph + 4, d4, 4);
	ph[8] = 0;
	ph[9] = DL_IPPROTO_TCP;
	dl_wr16(ph + 10, 1234);
	CHECK_EQ(dl_csum_fold(dl_csum_pseudo4(s4, d4, DL_IPPROTO_TCP, 1234, 0)),
		 dl_csum_fold(dl_csum_partial(ph, 12, 0)));

	for (int i = 0; i < 16; i++) {
		s6[i] = (uint8_t)tu_rand();
		d6[i] = (uint8_t)tu_rand();
	}
	memcpy(ph, s6, 16);
	memcpy(ph + 16, d6, 16);
	dl_wr32(ph + 32, 70000); /* IPv6 carries a 32-bit length */
	dl_wr32(ph + 36, DL_IPPROTO_UDP);
	CHECK_EQ(dl_csum_fold(dl_csum_pseudo6(s6, d6, DL_IPPROTO_UDP, 70000, 0)),
		 dl_csum_fold(dl_csum_partial(ph, 40, 0)));
}

/* Packets with checksums known from outside this code. */
struct known_case {
	const char *name;
	uint32_t linktype;
	const char *hex;
	int ip_csum;  /* -1: no IPv4 header */
	int l4_csum;
};

static const struct known_case known_cases[] = {
	/* toolchain.md (d): tcpdump prints "cksum 0x9125 (correct)", tshark "0xdda3 [correct]". */
	{ "toolchain syn", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 0800"
	  "4700 0030 1234 4000 4006 dda3 c0a80102 c0a80101 9a081f90 0a010203"
	  "9c40 0050 000003e8 00000000 5002 faf0 9125 0000",
	  0xdda3, 0x9125 },
	/* The rest were built by test_codec.c and checked "Good" by tshark 4.0.17. */
	{ "syn with options", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 0800"
	  "4500 003c 1234 4000 4006 1486 0a000001 0a000002"
	  "9c41 01bb 11223344 00000000 a002 faf0 145b 0000"
	  "020405b4 0402080a 000f4240 00000000 01030307",
	  0x1486, 0x145b },
	{ "icmp echo", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 0800"
	  "4500 0024 1234 4000 4001 14a3 0a000001 0a000002"
	  "0800 d9ba 1234 0001 0001020304050607",
	  0x14a3, 0xd9ba },
	{ "udp odd length in vlan", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 8100 0064 0800"
	  "4500 0021 1234 4000 4011 1496 0a000001 0a000002"
	  "14e9 0035 000d 92e1 68656c6c6f",
	  0x1496, 0x92e1 },
	{ "icmpv6 echo, raw", DL_LINKTYPE_IPV6,
	  "6000 0000 000c 3a40 20010db8000000000000000000000001 20010db8000000000000000000000002"
	  "8000 9fac abcd 0007 64617461",
	  -1, 0x9fac },
	{ "icmpv6 neighbour solicitation", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 86dd"
	  "6000 0000 0020 3aff fe800000000000000000000000000001 ff0200000000000000000001ff000002"
	  "8700 7a8e 00000000 fe800000000000000000000000000002 0101 02000000000a",
	  -1, 0x7a8e },
	{ "icmpv6 packet too big", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 86dd"
	  "6000 0000 0044 3a40 20010db80000000000000000000000fe 20010db8000000000000000000000001"
	  "0200 ebfc 00000500"
	  "6000 0000 05a0 0640 20010db8000000000000000000000001 20010db8000000000000000000000002"
	  "9c40 0050 00000064 000000c8 5010 faf0 0000 0000",
	  -1, 0xebfc },
	/* UDP behind a segment routing header: the pseudo-header uses segment list[0]. */
	{ "udp after SRH", DL_LINKTYPE_ETHERNET,
	  "02000000000b 02000000000a 86dd"
	  "6000 0000 0032 2b40 20010db8000000000000000000000001 20010db800000000000000000000000a"
	  "1104 0401 0100 0000 20010db8000000000000000000000002 20010db800000000000000000000000a"
	  "1092 10f7 000a b7dd cafe",
	  -1, 0xb7dd },
};

static void test_known(void)
{
	for (size_t i = 0; i < DL_ARRAY_SIZE(known_cases); i++) {
		const struct known_case *k = &known_cases[i];
		struct tu_pkt p;
		struct dl_pkt_info pi;
		dl_sum16 c = 0;
		unsigned v;

		tu_init(&p, k->linktype);
		tu_hex(&p, k->hex);
		CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
		if (k->ip_csum >= 0)
			CHECK_EQ(dl_ipv4_hdr_csum(p.b + pi.l3_off, pi.l3_hdr_len), k->ip_csum);
		CHECK_EQ(dl_l4_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
		if (c != k->l4_csum)
			fprintf(stderr, "known case %s: l4 0x%04x\n", k->name, c);
		CHECK_EQ(c, k->l4_csum);
		v = dl_pkt_verify_csums(p.b, p.n, &pi);
		CHECK_EQ(v, 0);

		/* Spoil both and check verify names them and fix restores the same bytes. */
		{
			struct tu_pkt q = p;
			size_t l4_field = pi.l4_off + csum_field(pi.l4_proto);
			unsigned want = DL_CSUM_BAD_L4;

			q.b[l4_field] ^= 0x5a;
			if (k->ip_csum >= 0) {
				q.b[pi.l3_off + 10] ^= 0xa5;
				want |= DL_CSUM_BAD_IPV4;
			}
			CHECK_EQ(dl_pkt_verify_csums(q.b, q.n, &pi), want);
			CHECK_EQ(dl_pkt_fix_csums(q.b, q.n, &pi), 0);
			CHECK(memcmp(q.b, p.b, p.n) == 0);
		}
	}
}

static void test_per_protocol_helpers(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;
	dl_sum16 c;

	tu_init(&p, DL_LINKTYPE_ETHERNET);
	tu_hex(&p, known_cases[0].hex);
	parse(&p, &pi);
	CHECK_EQ(dl_tcp_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
	CHECK_EQ(c, 0x9125);
	CHECK_EQ(dl_udp_csum(p.b, p.n, &pi, &c), DL_CSUM_EPROTO);
	CHECK_EQ(dl_icmp_csum(p.b, p.n, &pi, &c), DL_CSUM_EPROTO);
	CHECK_EQ(dl_icmp6_csum(p.b, p.n, &pi, &c), DL_CSUM_EPROTO);
	/* A buffer shorter than the parse said is refused, not read. */
	CHECK_EQ(dl_tcp_csum(p.b, p.n - 1, &pi, &c), DL_CSUM_EPARTIAL);

	tu_init(&p, DL_LINKTYPE_ETHERNET);
	tu_hex(&p, known_cases[2].hex);
	parse(&p, &pi);
	CHECK_EQ(dl_icmp_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
	CHECK_EQ(c, 0xd9ba);
	CHECK_EQ(dl_tcp_csum(p.b, p.n, &pi, &c), DL_CSUM_EPROTO);

	tu_init(&p, DL_LINKTYPE_IPV6);
	tu_hex(&p, known_cases[4].hex);
	parse(&p, &pi);
	CHECK_EQ(dl_icmp6_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
	CHECK_EQ(c, 0x9fac);

	/* An all-zero ICMP message sums to +0, so its checksum is 0xffff; 0 would not verify. */
	tu_init(&p, DL_LINKTYPE_IPV4);
	tu_hex(&p, "4500 0024 0000 0000 4001 0000 00000000 00000000");
	tu_put(&p, NULL, 16);
	dl_wr16(p.b + 10, dl_ipv4_hdr_csum(p.b, 20));
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(dl_icmp_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
	CHECK_EQ(c, 0xffff);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), DL_CSUM_BAD_L4);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), 0);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);

	/* GRE has no checksum here: nothing to verify, nothing to fix. */
	tu_init(&p, DL_LINKTYPE_IPV4);
	tu_hex(&p, "4500 0018 0001 0000 402f 0000 0a000001 0a000002 0000 0800");
	dl_wr16(p.b + 10, dl_ipv4_hdr_csum(p.b, 20));
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(dl_l4_csum(p.b, p.n, &pi, &c), DL_CSUM_EPROTO);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), 0);
}

/* An IPv4/UDP or IPv6/UDP packet with 4 payload bytes, checksum field set to field. */
static void build_udp(struct tu_pkt *p, bool v6, const uint8_t payload[4], uint16_t field)
{
	size_t ip, udp;

	tu_init(p, v6 ? DL_LINKTYPE_IPV6 : DL_LINKTYPE_IPV4);
	if (v6)
		ip = tu_ipv6(p, DL_IPPROTO_UDP, "20010db8000000000000000000000001",
			     "20010db8000000000000000000000002");
	else
		ip = tu_ipv4(p, DL_IPPROTO_UDP, "0a000001", "0a000002");
	udp = tu_udp(p, 1000, 2000);
	tu_put(p, payload, 4);
	tu_udp_end(p, udp);
	if (v6) {
		tu_ipv6_end(p, ip);
	} else {
		tu_ipv4_end(p, ip);
		dl_wr16(p->b + 10, dl_ipv4_hdr_csum(p->b, 20));
	}
	dl_wr16(p->b + udp + 6, field);
}

static void test_udp_zero_rules(void)
{
	uint8_t payload[4] = { 0, 0, 0, 0 };
	struct tu_pkt p;
	struct dl_pkt_info pi;
	dl_sum16 c, raw;
	dl_wsum s;

	/* Pick payload so the true checksum is 0: it must go on the wire as 0xffff. */
	build_udp(&p, false, payload, 0);
	parse(&p, &pi);
	s = dl_csum_pseudo4(pi.src, pi.dst, DL_IPPROTO_UDP, pi.l4_len, dl_csum_partial(p.b + 20, 8, 0));
	raw = dl_csum_fold(s);
	dl_wr16(payload, raw); /* adding ~sum makes the sum 0xffff, the checksum 0 */
	build_udp(&p, false, payload, 0x1111);
	parse(&p, &pi);
	CHECK_EQ(dl_udp_csum(p.b, p.n, &pi, &c), DL_CSUM_OK);
	CHECK_EQ(c, DL_CSUM_MANGLED_0);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), 0);
	CHECK_EQ(dl_rd16(p.b + 26), DL_CSUM_MANGLED_0);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);

	/* IPv4 with 0: no checksum. Verify passes, fix leaves it. */
	payload[0] = 0x42;
	build_udp(&p, false, payload, DL_UDP_CSUM_NONE);
	parse(&p, &pi);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), 0);
	CHECK_EQ(dl_rd16(p.b + 26), DL_UDP_CSUM_NONE);

	/* IPv6 with 0: invalid (RFC 8200 §8.1). Verify flags it, fix computes the real one. */
	build_udp(&p, true, payload, DL_UDP_CSUM_NONE);
	parse(&p, &pi);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), DL_CSUM_BAD_L4);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), 0);
	CHECK(dl_rd16(p.b + 46) != 0);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);

	/* Incremental: a missing checksum stays missing; a result of 0 is mangled. */
	CHECK_EQ(dl_udp_csum_replace(DL_UDP_CSUM_NONE, dl_csum_diff16(1, 2)), DL_UDP_CSUM_NONE);
	CHECK_EQ(dl_csum_replace_diff(0x1234, 0x1234), 0);
	CHECK_EQ(dl_udp_csum_replace(0x1234, 0x1234), DL_CSUM_MANGLED_0);
}

/* Fragments and short captures: the L4 checksum is "not verifiable", never "bad". */
static void test_unverifiable(void)
{
	struct tu_pkt p;
	struct dl_pkt_info pi;
	size_t ip, udp;
	uint16_t before;

	/* First fragment of a UDP datagram: its checksum covers fragments not here. */
	tu_init(&p, DL_LINKTYPE_IPV4);
	ip = tu_ipv4(&p, DL_IPPROTO_UDP, "0a000001", "0a000002");
	dl_wr16(p.b + 6, 0x2000);
	udp = tu_udp(&p, 1, 2);
	dl_wr16(p.b + udp + 4, 3000);
	dl_wr16(p.b + udp + 6, 0xbeef);
	tu_put(&p, NULL, 64);
	tu_ipv4_end(&p, ip);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), DL_CSUM_BAD_IPV4 | DL_CSUM_L4_UNVERIFIABLE);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), DL_CSUM_L4_UNVERIFIABLE);
	CHECK_EQ(dl_rd16(p.b + 26), 0xbeef);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), DL_CSUM_L4_UNVERIFIABLE);
	CHECK_EQ(dl_udp_csum(p.b, p.n, &pi, &before), DL_CSUM_EPARTIAL);

	/* Later fragment: no L4 header at all, so nothing to say about L4. */
	dl_wr16(p.b + 6, 185);
	dl_wr16(p.b + 10, dl_ipv4_hdr_csum(p.b, 20));
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK_EQ(pi.frag, DL_FRAG_LATER);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), 0);

	/* Snaplen cut: the IPv4 header is whole and checked, TCP is not verifiable. */
	tu_init(&p, DL_LINKTYPE_ETHERNET);
	tu_hex(&p, known_cases[0].hex);
	dl_wr16(p.b + 16, 48 + 100);
	dl_wr16(p.b + 24, dl_ipv4_hdr_csum(p.b + 14, 28));
	tu_put(&p, NULL, 10);
	CHECK_EQ(parse(&p, &pi), DL_PARSE_OK);
	CHECK(pi.truncated);
	before = dl_rd16(p.b + 58);
	CHECK_EQ(dl_pkt_verify_csums(p.b, p.n, &pi), DL_CSUM_L4_UNVERIFIABLE);
	CHECK_EQ(dl_pkt_fix_csums(p.b, p.n, &pi), DL_CSUM_L4_UNVERIFIABLE);
	CHECK_EQ(dl_rd16(p.b + 58), before);
}

/* Cilium's DSR option insertion (ipv4_csum_update_by_diff): the first header word changes
 * (IHL, total length) and 8 option bytes appear. Updating by diff must give toolchain.md's
 * 0xdda3 from the option-less header's checksum. */
static void test_option_insert_by_diff(void)
{
	static const uint8_t opt[8] = { 0x9a, 0x08, 0x1f, 0x90, 0x0a, 0x01, 0x02, 0x03 };
	struct tu_pkt p;
	dl_sum16 old, now;
	dl_wsum diff;

	tu_init(&p, DL_LINKTYPE_IPV4);
	tu_hex(&p, "4500 0028 1234 4000 4006 0000 c0a80102 c0a80101");
	old = dl_ipv4_hdr_csum(p.b, 20);
	diff = dl_csum_diff32(0x45000028, 0x47000030);
	diff = dl_csum_add(diff, dl_csum_diff(NULL, 0, opt, sizeof(opt), 0));
	now = dl_csum_replace_diff(old, diff);
	CHECK_EQ(now, 0xdda3);
	/* And removing it again, as the DSR decode side does. */
	diff = dl_csum_diff(opt, sizeof(opt), NULL, 0, dl_csum_diff32(0x47000030, 0x45000028));
	CHECK_EQ(dl_csum_replace_diff(now, diff), old);
}

/* ---- RFC 1624 incremental updates vs full recomputation ---- */

struct rnd_pkt {
	struct tu_pkt p;
	struct dl_pkt_info pi;
	bool v6;
	uint8_t proto;
	size_t l4_csum; /* offset of the L4 checksum field */
};

static void rand_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)tu_rand();
}

static void build_random(struct rnd_pkt *r)
{
	static const uint8_t protos4[] = { DL_IPPROTO_TCP, DL_IPPROTO_UDP, DL_IPPROTO_ICMP };
	static const uint8_t protos6[] = { DL_IPPROTO_TCP, DL_IPPROTO_UDP, DL_IPPROTO_ICMPV6 };
	struct tu_pkt *p = &r->p;
	size_t ip, l4, payload = tu_below(65);
	uint8_t addrs[32];

	r->v6 = tu_below(2);
	r->proto = r->v6 ? protos6[tu_below(3)] : protos4[tu_below(3)];
	tu_init(p, DL_LINKTYPE_ETHERNET);
	tu_eth(p, r->v6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	ip = p->n;
	rand_bytes(addrs, sizeof(addrs));
	if (r->v6) {
		tu_ipv6(p, r->proto, "00000000000000000000000000000000", "00000000000000000000000000000000");
		memcpy(p->b + ip + 8, addrs, 32);
	} else {
		tu_ipv4(p, r->proto, "00000000", "00000000");
		memcpy(p->b + ip + 12, addrs, 8);
		p->b[ip + 8] = (uint8_t)(1 + tu_below(255));
	}
	l4 = p->n;
	if (r->proto == DL_IPPROTO_TCP) {
		tu_put(p, NULL, 20);
		rand_bytes(p->b + l4, 20);
		p->b[l4 + 12] = 0x50;
	} else if (r->proto == DL_IPPROTO_UDP) {
		tu_udp(p, (uint16_t)tu_rand(), (uint16_t)tu_rand());
	} else {
		tu_put(p, NULL, 8);
		rand_bytes(p->b + l4, 8);
		p->b[l4] = r->v6 ? 128 : 8; /* echo request */
		p->b[l4 + 1] = 0;
	}
	rand_bytes(p->b + tu_put(p, NULL, payload), payload);
	if (r->proto == DL_IPPROTO_UDP) {
		tu_udp_end(p, l4);
		dl_wr16(p->b + l4 + 6, 0xffff);
	}
	if (r->v6)
		tu_ipv6_end(p, ip);
	else
		tu_ipv4_end(p, ip);
	tu_fix(p);
	dl_pkt_parse(p->b, p->n, p->linktype, &r->pi);
	r->l4_csum = l4 + csum_field(r->proto);
}

/* Writes the new L4 checksum after a change worth diff, with UDP's rule where it applies. */
static void l4_update(struct rnd_pkt *r, dl_wsum diff)
{
	uint8_t *f = r->p.b + r->l4_csum;

	if (r->proto == DL_IPPROTO_UDP)
		dl_wr16(f, dl_udp_csum_replace(dl_rd16(f), diff));
	else
		dl_wr16(f, dl_csum_replace_diff(dl_rd16(f), diff));
}

/* Replaces a 16-bit word at an even offset of the L4 segment (or the lone last byte of an
 * odd-length one) and updates the L4 checksum. */
static void change_l4_word(struct rnd_pkt *r, size_t seg_off, uint16_t to)
{
	uint8_t *w = r->p.b + r->pi.l4_off + seg_off;

	if (seg_off + 1 == r->pi.l4_len) {
		uint16_t from = (uint16_t)(w[0] << 8);

		w[0] = (uint8_t)(to >> 8);
		l4_update(r, dl_csum_diff16(from, (uint16_t)(w[0] << 8)));
		return;
	}
	l4_update(r, dl_csum_diff16(dl_rd16(w), to));
	dl_wr16(w, to);
}

/* One random header change, with incremental checksum updates, as a NAT or DSR hook does. */
static void mutate(struct rnd_pkt *r)
{
	uint8_t *b = r->p.b, *ip = b + r->pi.l3_off;
	size_t seg_off;

	switch (tu_below(5)) {
	case 0: /* source or destination address: in the IPv4 header and in the pseudo-header */
		if (!r->v6) {
			uint8_t *a = ip + 12 + 4 * tu_below(2);
			uint32_t from = dl_rd32(a), to = (uint32_t)tu_rand();

			dl_wr16(ip + 10, dl_csum_replace32(dl_rd16(ip + 10), from, to));
			if (r->proto != DL_IPPROTO_ICMP)
				l4_update(r, dl_csum_diff32(from, to));
			dl_wr32(a, to);
		} else {
			uint8_t *a = ip + 8 + 16 * tu_below(2), to[16];

			rand_bytes(to, 16);
			l4_update(r, dl_csum_diff128(a, to));
			memcpy(a, to, 16);
		}
		break;
	case 1: /* TTL: the IPv4 header word it shares with the protocol */
		if (!r->v6) {
			uint16_t from = dl_rd16(ip + 8), to = (uint16_t)((from & 0xff) | (tu_below(256) << 8));

			dl_wr16(ip + 10, dl_csum_replace16(dl_rd16(ip + 10), from, to));
			dl_wr16(ip + 8, to);
		} else {
			ip[7] = (uint8_t)tu_rand(); /* hop limit: in no checksum */
		}
		break;
	case 2: /* ports, or the ICMP echo identifier */
		change_l4_word(r, r->proto == DL_IPPROTO_ICMP || r->proto == DL_IPPROTO_ICMPV6 ? 4 : 2 * tu_below(2),
			       (uint16_t)tu_rand());
		break;
	case 3: /* TCP sequence number (32 bits at an even offset) */
		if (r->proto == DL_IPPROTO_TCP) {
			uint8_t *seq = b + r->pi.l4_off + 4;
			uint32_t from = dl_rd32(seq), to = (uint32_t)tu_rand();

			l4_update(r, dl_csum_diff32(from, to));
			dl_wr32(seq, to);
			break;
		}
		/* fall through */
	default: /* any payload word */
		if (r->pi.payload_len == 0)
			break;
		seg_off = r->pi.payload_off - r->pi.l4_off + tu_below(r->pi.payload_len);
		seg_off &= ~(size_t)1;
		change_l4_word(r, seg_off, (uint16_t)tu_rand());
		break;
	}
}

static void test_incremental_vs_full(void)
{
	int bad = 0, iters = 0;

	for (int i = 0; i < 10000; i++) {
		struct rnd_pkt r;
		unsigned changes = 1 + tu_below(4);
		dl_sum16 full;

		build_random(&r);
		for (unsigned k = 0; k < changes; k++)
			mutate(&r);
		iters++;
		if (!r.v6 && dl_ipv4_hdr_csum(r.p.b + r.pi.l3_off, 20) != dl_rd16(r.p.b + r.pi.l3_off + 10))
			bad++;
		if (dl_l4_csum(r.p.b, r.p.n, &r.pi, &full) != DL_CSUM_OK || full != dl_rd16(r.p.b + r.l4_csum)) {
			if (!bad)
				fprintf(stderr, "iteration %d: proto %u v6 %d: incremental 0x%04x, full 0x%04x\n", i,
					r.proto, r.v6, dl_rd16(r.p.b + r.l4_csum), full);
			bad++;
		}
		if (dl_pkt_verify_csums(r.p.b, r.p.n, &r.pi) != 0)
			bad++;
	}
	CHECK_EQ(iters, 10000);
	CHECK_EQ(bad, 0);
}

int main(void)
{
	test_primitives();
	test_pseudo_headers();
	test_known();
	test_per_protocol_helpers();
	test_udp_zero_rules();
	test_unverifiable();
	test_option_insert_by_diff();
	test_incremental_vs_full();
	return tu_report("test_csum");
}
