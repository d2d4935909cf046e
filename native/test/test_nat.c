/* test_nat.c: unit tests for the SNAT engine (nat.c): both clamp formulas, keep-port,
 * reuse, the collision retry sequence, exhaustion with no half entries left, rollback, PRNG
 * determinism, LRU eviction under a tiny map (v1.15-era vs recent-main repair), reverse NAT
 * for replies, DSR entries, the orphan purge after CT GC, IPv6, and the bijection checker.
 * Conntrack itself is tested in test_ct.c. */
#include "dsrlab/nat.h"

#include <stdio.h>
#include <stdlib.h>

static int passed, failed;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (cond) {                                                                  \
			passed++;                                                            \
		} else {                                                                     \
			failed++;                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                            \
	} while (0)

#define CHECK_EQ(got, want)                                                                       \
	do {                                                                                      \
		long long g_ = (long long)(got), w_ = (long long)(want);                          \
		if (g_ == w_) {                                                                   \
			passed++;                                                                 \
		} else {                                                                          \
			failed++;                                                                 \
			fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); \
		}                                                                                 \
	} while (0)

static const uint8_t NODE[4] = {172, 16, 0, 1};     /* the LB node's SNAT address */
static const uint8_t BACKEND[4] = {10, 0, 2, 30};   /* backend pod */
static const uint8_t BACKEND2[4] = {10, 0, 2, 31};
static const uint8_t VIP[4] = {10, 96, 0, 10};
static const uint8_t VIP2[4] = {10, 96, 0, 11};
static const uint8_t NODE6[16] = {0xfd, 0, [15] = 1};
static const uint8_t BACKEND6[16] = {0xfd, 0, 0, 2, [15] = 0x30};
static const uint8_t CLIENT6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a};

static void client(uint8_t out[4], unsigned i)
{
	out[0] = 192;
	out[1] = 0;
	out[2] = (uint8_t)(2 + (i >> 8));
	out[3] = (uint8_t)i;
}

static struct dl_nat_target target4(uint16_t min, uint16_t max)
{
	struct dl_nat_target t;

	memset(&t, 0, sizeof(t));
	memcpy(t.addr, NODE, 4);
	t.min_port = min;
	t.max_port = max;
	return t;
}

static void init_snat(struct dl_snat *s, enum dl_snat_profile p, uint32_t size, uint64_t seed)
{
	struct dl_snat_config cfg;

	dl_snat_config_init(&cfg, p);
	if (dl_snat_init(s, size, size, &cfg, seed) != 0) {
		fprintf(stderr, "dl_snat_init failed\n");
		exit(2);
	}
}

/* The egress tuple of client i:cport after DNAT to backend:80. */
static struct dl_ct_tuple otuple4(unsigned i, uint16_t cport, const uint8_t *backend)
{
	struct dl_ct_tuple t;
	uint8_t c[4];

	client(c, i);
	dl_nat_tuple4_init(&t, c, backend, cport, 80, DL_IPPROTO_TCP, NAT_DIR_EGRESS);
	return t;
}

/* The reply to a mapping: backend:80 → NODE:port. */
static struct dl_ct_tuple rtuple4(uint16_t port, const uint8_t *backend)
{
	struct dl_ct_tuple t;

	dl_nat_tuple4_init(&t, backend, NODE, 80, port, DL_IPPROTO_TCP, NAT_DIR_INGRESS);
	return t;
}

static int bijection_ok(const struct dl_map *m)
{
	struct dl_snat_bijection b;

	return dl_snat_check_bijection(m, &b) == 0;
}

/* ---- clamps ---- */

static void test_clamp(void)
{
	bool hit_max = false, hit_min = false, hit_below_max = false, out_of_range = false;

	/* v1.14-era modulo: never max. Over the whole 16-bit input space. */
	for (uint32_t v = 0; v <= 0xffff; v++) {
		uint16_t p = dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 32768, 65535, (uint16_t)v);

		out_of_range |= p < 32768; /* and p <= 65535 by its type */
		hit_max |= p == 65535;
		hit_below_max |= p == 65534;
		hit_min |= p == 32768;
	}
	CHECK(!out_of_range);
	CHECK(!hit_max);
	CHECK(hit_below_max && hit_min);

	/* Recent main: closed interval. */
	hit_max = hit_min = out_of_range = false;
	for (uint32_t v = 0; v <= 0xffff; v++) {
		uint16_t p = dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 32768, 65535, (uint16_t)v);

		out_of_range |= p < 32768;
		hit_max |= p == 65535;
		hit_min |= p == 32768;
	}
	CHECK(!out_of_range && hit_max && hit_min);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 32768, 65535, 0), 32768);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 32768, 65535, 0xffff), 65535);

	/* Worked values. "previous + 1" is clamped too, so in the default range the old formula
	 * steps by 2 ((40001 % 32767) + 32768) and the new one halves (32768 + 40001/2). */
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 32768, 65535, 40000), 40001);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 32768, 65535, 40001), 40002);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 32768, 65535, 40001), 52768);
	/* With [0, 65535] the scaled clamp is the identity, with [0, 65535] modulo 65535 nearly. */
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 0, 65535, 12345), 12345);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 0, 65535, 12345), 12345);
	CHECK_EQ(dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 0, 65535, 65535), 0);

	/* A 4-port range: modulo reaches 3 of them, scaled all 4. */
	{
		unsigned seen_mod = 0, seen_scl = 0;

		for (uint32_t v = 0; v <= 0xffff; v++) {
			seen_mod |= 1u << (dl_snat_clamp_port_range(DL_SNAT_CLAMP_MODULO, 1000, 1003, (uint16_t)v) - 1000);
			seen_scl |= 1u << (dl_snat_clamp_port_range(DL_SNAT_CLAMP_SCALED, 1000, 1003, (uint16_t)v) - 1000);
		}
		CHECK_EQ(seen_mod, 0x7);
		CHECK_EQ(seen_scl, 0xf);
	}
}

/* ---- allocation basics ---- */

static void test_keep_port_and_reuse(enum dl_snat_profile prof)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple o = otuple4(1, 40000, BACKEND), r;
	struct dl_nat_entry st, st2;
	const struct dl_nat_entry *e;
	uint8_t c1[4];

	client(c1, 1);
	init_snat(&s, prof, 64, 1);

	/* The client port lies in [min, max]: kept. */
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 500), 0);
	CHECK_EQ(st.to_port, 40000);
	CHECK(!memcmp(st.to_addr, NODE, 4));
	CHECK_EQ(st.created, 500);
	CHECK_EQ(s.map4.count, 2);
	CHECK_EQ(s.stats.mappings, 1);
	CHECK_EQ(s.stats.retries_hist[0], 1);

	/* The forward entry, and the reverse one {backend:80 → NODE:40000, IN} → client. */
	e = dl_snat_v4_lookup(&s, &o);
	CHECK(e && e->to_port == 40000 && !memcmp(e->to_addr, NODE, 4));
	r = rtuple4(40000, BACKEND);
	e = dl_snat_v4_lookup(&s, &r);
	CHECK(e && e->to_port == 40000 && !memcmp(e->to_addr, c1, 4) && e->created == 500);

	/* Later packets of the flow reuse the mapping. */
	CHECK_EQ(dl_snat_v4_nat_handle_mapping(&s, &o, &st2, &tg, 501), 0);
	CHECK_EQ(st2.to_port, 40000);
	CHECK_EQ(s.stats.reused, 1);
	CHECK_EQ(s.map4.count, 2);

	/* The reply finds the client; outside the range it is not ours; unknown → no mapping. */
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r, &st2, &tg, 502), 0);
	CHECK(!memcmp(st2.to_addr, c1, 4) && st2.to_port == 40000);
	r = rtuple4(30000, BACKEND);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r, &st2, &tg, 502), NAT_PUNT_TO_STACK);
	CHECK_EQ(NAT_PUNT_TO_STACK, DROP_NAT_NOT_NEEDED);
	r = rtuple4(40001, BACKEND);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r, &st2, &tg, 502), DROP_NAT_NO_MAPPING);
	r = rtuple4(40000, BACKEND2); /* same port, other peer: no entry */
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r, &st2, &tg, 502), DROP_NAT_NO_MAPPING);

	/* A client port outside the range: a random one, clamp(first draw). */
	{
		struct dl_prng copy = s.rng;
		uint16_t want = dl_snat_clamp_port_range(s.cfg.clamp, 32768, 65535, (uint16_t)dl_prng_u32(&copy));

		o = otuple4(2, 1234, BACKEND);
		CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 503), 0);
		CHECK_EQ(st.to_port, want);
		CHECK(!memcmp(&s.rng, &copy, sizeof(copy))); /* exactly one draw */
	}
	/* The same client port towards another backend keeps it too (peer is in the key). */
	o = otuple4(3, 40000, BACKEND2);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 504), 0);
	CHECK_EQ(st.to_port, 40000);
	CHECK(bijection_ok(&s.map4));

	/* Deleting a mapping removes both halves. */
	CHECK_EQ(dl_snat_v4_delete(&s, &o), 0);
	CHECK_EQ(s.map4.count, 4);
	CHECK_EQ(dl_snat_v4_delete(&s, &o), DL_ENOENT);
	CHECK(bijection_ok(&s.map4));
	dl_snat_free(&s);
}

/* ---- the collision sequence ---- */

static void test_collision_sequence(enum dl_snat_profile prof)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple a = otuple4(1, 40000, BACKEND), b = otuple4(2, 40000, BACKEND);
	struct dl_nat_entry st, dummy;
	struct dl_prng copy;
	uint16_t p1, p2, p3, want;
	uint8_t clamp;

	init_snat(&s, prof, 64, 7);
	clamp = s.cfg.clamp;
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &a, &st, &tg, 1), 0);
	CHECK_EQ(st.to_port, 40000);

	/* B wants 40000 too: taken. Retry 0 draws a random port; occupy it and the next two
	 * candidates, each clamp(previous + 1), so B lands on the fourth. */
	copy = s.rng;
	p1 = dl_snat_clamp_port_range(clamp, 32768, 65535, (uint16_t)dl_prng_u32(&copy));
	p2 = dl_snat_clamp_port_range(clamp, 32768, 65535, (uint16_t)(p1 + 1));
	p3 = dl_snat_clamp_port_range(clamp, 32768, 65535, (uint16_t)(p2 + 1));
	want = dl_snat_clamp_port_range(clamp, 32768, 65535, (uint16_t)(p3 + 1));
	if (clamp == DL_SNAT_CLAMP_MODULO)
		CHECK(p2 == (uint16_t)((p1 + 1) % 32767 + 32768));
	else
		CHECK(p2 == (uint16_t)(32768 + (((uint32_t)p1 + 1) * 32768 >> 16)));
	memset(&dummy, 0, sizeof(dummy));
	dummy.to_port = 1;
	{
		uint16_t occ[3] = {p1, p2, p3};

		for (int i = 0; i < 3; i++) {
			struct dl_ct_tuple r = rtuple4(occ[i], BACKEND);

			dl_map_update(&s.map4, &r, &dummy, DL_BPF_ANY); /* foreign reverse entries */
		}
	}
	if (p1 != 40000 && p2 != 40000 && p3 != 40000 && want != 40000 && want != p1 && want != p2 &&
	    want != p3) {
		/* Candidates: 40000 (retries 0), p1 (1), p2 (2), p3 (3), want (4). */
		CHECK_EQ(dl_snat_v4_new_mapping(&s, &b, &st, &tg, 2), 0);
		CHECK_EQ(st.to_port, want);
		CHECK_EQ(s.stats.retries_hist[4], 1);
		CHECK_EQ(s.stats.rollbacks, 0);
	} else {
		fprintf(stderr, "test_collision_sequence: seed gave overlapping candidates\n");
		failed++;
	}

	/* With a range where the clamp keeps +1 as +1, the sequence is plainly sequential. */
	{
		struct dl_nat_target full = target4(0, 65535);
		struct dl_ct_tuple c = otuple4(3, 50000, BACKEND2);
		uint16_t base = 50000;

		/* Scaled over [0, 65535] is the identity; modulo is v % 65535, the identity below
		 * 65535. */
		copy = s.rng;
		base = dl_snat_clamp_port_range(clamp, 0, 65535, (uint16_t)dl_prng_u32(&copy));
		/* Occupy 50000 (kept port), the random candidate and the 5 ports after it. */
		for (int i = -1; i < 6; i++) {
			struct dl_ct_tuple r = rtuple4(i < 0 ? 50000 : (uint16_t)(base + i), BACKEND2);

			dl_map_update(&s.map4, &r, &dummy, DL_BPF_ANY);
		}
		if (base < 65000 && (base > 50006 || base + 6 < 50000)) {
			CHECK_EQ(dl_snat_v4_new_mapping(&s, &c, &st, &full, 3), 0);
			CHECK_EQ(st.to_port, base + 6);
			CHECK_EQ(s.stats.retries_hist[7], 1); /* 50000, base .. base+5 collided */
		} else {
			fprintf(stderr, "test_collision_sequence: seed gave a candidate near the edge\n");
			failed++;
		}
	}
	dl_snat_free(&s);
}

/* ---- exhaustion and rollback ---- */

static void test_exhaustion(enum dl_snat_profile prof)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(1000, 1003);
	struct dl_nat_entry st;
	struct dl_ct_tuple o;
	uint32_t retries;
	unsigned used = 0;

	init_snat(&s, prof, 64, 3);
	retries = s.cfg.collision_retries;
	CHECK_EQ(retries, prof == DL_SNAT_PROFILE_RECENT ? 32 : 128);

	/* Four clients whose ports are the four ports of the range keep them. */
	for (unsigned i = 0; i < 4; i++) {
		o = otuple4(i, (uint16_t)(1000 + i), BACKEND);
		CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 10), 0);
		used |= 1u << (st.to_port - 1000);
	}
	CHECK_EQ(used, 0xf);
	CHECK_EQ(s.map4.count, 8);

	/* A fifth has nowhere to go: DROP_NAT_NO_MAPPING after every retry, counted, and not a
	 * single entry added (no half pair). */
	o = otuple4(10, 5000, BACKEND);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 11), DROP_NAT_NO_MAPPING);
	CHECK_EQ(s.stats.no_mapping, 1);
	CHECK_EQ(s.stats.retries_hist[retries], 1);
	CHECK_EQ(s.stats.fill_up_signals, 1);
	CHECK_EQ(s.map4.count, 8);
	CHECK(dl_snat_v4_lookup(&s, &o) == NULL);
	CHECK(bijection_ok(&s.map4));
	/* Another backend has its own port space. */
	o = otuple4(10, 5000, BACKEND2);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 12), 0);
	dl_snat_free(&s);

	/* Modulo only: with random ports alone, max (1003) is never handed out, so three flows
	 * fill the range and the fourth drops although 1003 is free. */
	if (prof == DL_SNAT_PROFILE_V1_15) {
		init_snat(&s, prof, 64, 99);
		used = 0;
		for (unsigned i = 0; i < 3; i++) {
			o = otuple4(i, (uint16_t)(5000 + i), BACKEND);
			CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 10), 0);
			used |= 1u << (st.to_port - 1000);
		}
		CHECK_EQ(used, 0x7);
		o = otuple4(3, 5003, BACKEND);
		CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 10), DROP_NAT_NO_MAPPING);
		CHECK_EQ(s.map4.count, 6);
		CHECK(bijection_ok(&s.map4));
		dl_snat_free(&s);
	}
}

static void test_rollback(enum dl_snat_profile prof)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple o = otuple4(1, 40000, BACKEND);
	struct dl_nat_entry st, planted;

	init_snat(&s, prof, 64, 5);
	/* The forward key is already there (a stale or foreign entry): every reverse insert
	 * succeeds and every forward insert fails, so each is rolled back. */
	memset(&planted, 0, sizeof(planted));
	memcpy(planted.to_addr, NODE, 4);
	planted.to_port = 33333;
	CHECK_EQ(dl_map_update(&s.map4, &o, &planted, DL_BPF_ANY), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 1), DROP_NAT_NO_MAPPING);
	CHECK_EQ(s.map4.count, 1); /* only the planted entry: no reverse half left behind */
	CHECK_EQ(s.stats.rollbacks, prof == DL_SNAT_PROFILE_RECENT ? 1 : 128);
	CHECK_EQ(s.stats.no_mapping, 1);
	CHECK_EQ(st.to_port, 0);
	{
		struct dl_ct_tuple r = rtuple4(40000, BACKEND);

		CHECK(dl_snat_v4_lookup(&s, &r) == NULL);
	}
	dl_snat_free(&s);
}

/* ---- determinism ---- */

static void alloc_ports(uint64_t seed, enum dl_snat_profile prof, uint16_t *ports, unsigned n)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_nat_entry st;

	init_snat(&s, prof, 4096, seed);
	for (unsigned i = 0; i < n; i++) {
		/* Ports below the range: every one is a random pick; some share a port, collide. */
		struct dl_ct_tuple o = otuple4(i, (uint16_t)(1024 + i % 7), BACKEND);

		ports[i] = dl_snat_v4_new_mapping(&s, &o, &st, &tg, 1) == 0 ? st.to_port : 0;
	}
	CHECK(bijection_ok(&s.map4));
	dl_snat_free(&s);
}

static void test_determinism(void)
{
	uint16_t a[200], b[200], c[200];

	for (int p = 0; p < 2; p++) {
		enum dl_snat_profile prof = p ? DL_SNAT_PROFILE_RECENT : DL_SNAT_PROFILE_V1_15;

		alloc_ports(42, prof, a, 200);
		alloc_ports(42, prof, b, 200);
		alloc_ports(43, prof, c, 200);
		CHECK(!memcmp(a, b, sizeof(a)));
		CHECK(memcmp(a, c, sizeof(a)) != 0);
		for (int i = 0; i < 200; i++)
			CHECK(a[i] >= 32768);
	}
	/* The PRNG itself: same seed, same stream. */
	{
		struct dl_prng x, y;

		dl_prng_seed(&x, 123);
		dl_prng_seed(&y, 123);
		for (int i = 0; i < 100; i++)
			CHECK_EQ(dl_prng_u32(&x), dl_prng_u32(&y));
	}
}

/* ---- LRU eviction ---- */

static void test_lru(void)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple f1 = otuple4(1, 40001, BACKEND), f2 = otuple4(2, 40002, BACKEND),
			   f3 = otuple4(3, 40003, BACKEND);
	struct dl_ct_tuple r1 = rtuple4(40001, BACKEND), r2 = rtuple4(40002, BACKEND);
	struct dl_nat_entry st;
	struct dl_snat_bijection b;

	/* v1.15-era: a 4-entry map holds two pairs. Flow 1 keeps sending (its forward entry is
	 * recently used), so a third mapping evicts the two reverse halves: flows 1 and 2 lose
	 * their replies. */
	init_snat(&s, DL_SNAT_PROFILE_V1_15, 4, 1);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f1, &st, &tg, 1), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f2, &st, &tg, 1), 0);
	CHECK_EQ(dl_snat_v4_nat_handle_mapping(&s, &f1, &st, &tg, 2), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f3, &st, &tg, 3), 0);
	CHECK_EQ(s.map4.count, 4);
	CHECK_EQ(s.map4.evictions, 2);
	CHECK(dl_snat_v4_lookup(&s, &f1) != NULL);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r1, &st, &tg, 4), DROP_NAT_NO_MAPPING);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r2, &st, &tg, 4), DROP_NAT_NO_MAPPING);
	CHECK_EQ(dl_snat_check_bijection(&s.map4, &b), 1);
	CHECK_EQ(b.forward, 3);
	CHECK_EQ(b.reverse, 1);
	CHECK_EQ(b.forward_without_reverse, 2);
	CHECK_EQ(b.reverse_without_forward, 0);
	CHECK_EQ(b.duplicates, 0);
	dl_snat_free(&s);

	/* Recent main: reusing a mapping also looks up its reverse half (and restores it when
	 * missing), so both halves of flow 1 stay young and flow 2 is evicted whole. */
	init_snat(&s, DL_SNAT_PROFILE_RECENT, 4, 1);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f1, &st, &tg, 1), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f2, &st, &tg, 1), 0);
	CHECK_EQ(dl_snat_v4_nat_handle_mapping(&s, &f1, &st, &tg, 2), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &f3, &st, &tg, 3), 0);
	CHECK_EQ(s.map4.evictions, 2);
	CHECK(bijection_ok(&s.map4));
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r1, &st, &tg, 4), 0);
	CHECK(dl_snat_v4_lookup(&s, &f2) == NULL);
	/* A missing reverse half is restored by the next egress packet. */
	dl_map_delete(&s.map4, &r1);
	CHECK_EQ(dl_snat_v4_nat_handle_mapping(&s, &f1, &st, &tg, 5), 0);
	CHECK_EQ(st.to_port, 40001);
	CHECK_EQ(s.stats.restored, 1);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r1, &st, &tg, 6), 0);
	/* A missing forward half is restored by the next reply. */
	dl_map_delete(&s.map4, &f1);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r1, &st, &tg, 7), 0);
	CHECK_EQ(s.stats.restored, 2);
	CHECK(dl_snat_v4_lookup(&s, &f1) != NULL);
	CHECK(bijection_ok(&s.map4));
	/* A mapping to a stale SNAT address is recreated with the new one. */
	{
		struct dl_nat_target moved = tg;

		moved.addr[3] = 2;
		CHECK_EQ(dl_snat_v4_nat_handle_mapping(&s, &f1, &st, &moved, 8), 0);
		CHECK_EQ(st.to_addr[3], 2);
		CHECK_EQ(s.stats.recreated, 1);
		CHECK(dl_snat_v4_lookup(&s, &r1) == NULL);
		CHECK(bijection_ok(&s.map4));
	}
	dl_snat_free(&s);
}

/* ---- DSR ---- */

static void test_dsr(void)
{
	struct dl_snat s;
	struct dl_ct_maps ct;
	struct dl_ct_config cc;
	struct dl_ct_tuple t, key, reply;
	struct dl_ct_state cs;
	const struct dl_nat_entry *e;
	struct dl_snat_bijection b;
	uint8_t c1[4];

	client(c1, 1);
	init_snat(&s, DL_SNAT_PROFILE_V1_15, 64, 1);
	dl_ct_config_init(&cc, 21600);
	CHECK_EQ(dl_ct_init(&ct, 64, 64, &cc), 0);

	/* The backend node receives client:40000 → backend:8080 carrying VIP:80 in the DSR
	 * option. nodeport's CT_EGRESS lookup misses; the reversed tuple is stored (dsr=1) and
	 * handed to snat_v4_create_dsr. */
	dl_ct_tuple4_init(&t, c1, BACKEND, 40000, 8080, DL_IPPROTO_TCP);
	CHECK_EQ(dl_ct_lazy_lookup4(&ct, &t, NULL, ACTION_CREATE, CT_EGRESS, 100, NULL), CT_NEW);
	memset(&cs, 0, sizeof(cs));
	cs.dsr = true;
	CHECK_EQ(dl_ct_create4(&ct, &t, CT_EGRESS, &cs, false, NULL, 100), 0);
	CHECK_EQ(dl_snat_v4_create_dsr(&s, &t, VIP, 80, 100), 0);

	/* Key = the reply direction in packet order {backend:8080 → client:40000, TUPLE_F_OUT}. */
	dl_nat_tuple4_init(&key, BACKEND, c1, 8080, 40000, DL_IPPROTO_TCP, TUPLE_F_OUT);
	e = dl_snat_v4_lookup(&s, &key);
	CHECK(e && !memcmp(e->to_addr, VIP, 4) && e->to_port == 80 && e->dsr && e->created == 100);
	CHECK_EQ(s.map4.count, 1);

	/* A plain update: a second option for the same flow overwrites. */
	CHECK_EQ(dl_snat_v4_create_dsr(&s, &t, VIP2, 8443, 101), 0);
	CHECK_EQ(s.map4.count, 1);
	e = dl_snat_v4_lookup(&s, &key);
	CHECK(e && !memcmp(e->to_addr, VIP2, 4) && e->to_port == 8443);
	CHECK_EQ(s.stats.dsr_created, 2);

	/* xlate_dsr_v4 on the pod's reply: its CT_EGRESS tuple as built (CT layout). */
	dl_ct_tuple4_init(&reply, BACKEND, c1, 8080, 40000, DL_IPPROTO_TCP);
	reply.flags = TUPLE_F_IN;
	e = dl_snat_v4_lookup_dsr(&s, &reply);
	CHECK(e && !memcmp(e->to_addr, VIP2, 4) && e->to_port == 8443);
	/* bpf_lxc finds the DSR CT entry from the pod's CT_INGRESS tuple (reversed after
	 * CT_NEW), via ct_has_dsr_egress_entry4. */
	{
		struct dl_ct_tuple in;

		dl_ct_tuple4_init(&in, c1, BACKEND, 40000, 8080, DL_IPPROTO_TCP);
		in.flags = TUPLE_F_OUT;
		dl_ct_tuple_reverse(&in);
		CHECK(dl_ct_has_dsr_egress_entry4(&ct, &in));
	}
	/* Another flow has no entry: the reply leaves untranslated. */
	reply.sport = 40001;
	CHECK(dl_snat_v4_lookup_dsr(&s, &reply) == NULL);

	/* The bijection checker leaves DSR entries out. */
	CHECK_EQ(dl_snat_check_bijection(&s.map4, &b), 0);
	CHECK_EQ(b.dsr, 1);
	CHECK_EQ(b.forward + b.reverse, 0);

	/* Orphan purge: the DSR entry lives while its CT entry does. */
	CHECK_EQ(dl_snat_purge_orphans(&s, &ct), 0);
	CHECK_EQ(dl_ct_gc(&ct, 100 + 60 + 1, NULL), 1);
	CHECK_EQ(dl_snat_purge_orphans(&s, &ct), 1);
	CHECK_EQ(s.map4.count, 0);
	dl_ct_free(&ct);
	dl_snat_free(&s);
}

/* ---- orphan purge for SNAT pairs ---- */

static void test_purge(void)
{
	struct dl_snat s;
	struct dl_ct_maps ct;
	struct dl_ct_config cc;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple o = otuple4(1, 40000, BACKEND), o2 = otuple4(2, 40000, BACKEND2), t;
	struct dl_nat_entry st;
	uint8_t c1[4];

	client(c1, 1);
	init_snat(&s, DL_SNAT_PROFILE_RECENT, 64, 1);
	dl_ct_config_init(&cc, 8000);
	CHECK_EQ(dl_ct_init(&ct, 64, 64, &cc), 0);

	/* LB node, SNAT mode: the nodeport CT_EGRESS entry on the DNATed tuple, then the NAT pair. */
	dl_ct_tuple4_init(&t, c1, BACKEND, 40000, 80, DL_IPPROTO_TCP);
	CHECK_EQ(dl_ct_lazy_lookup4(&ct, &t, NULL, ACTION_CREATE, CT_EGRESS, 10, NULL), CT_NEW);
	CHECK_EQ(dl_ct_create4(&ct, &t, CT_EGRESS, &(struct dl_ct_state){.node_port = true}, false, NULL, 10), 0);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 10), 0);
	/* A second pair whose CT entry never existed. */
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o2, &st, &tg, 10), 0);
	CHECK_EQ(s.map4.count, 4);

	CHECK_EQ(dl_snat_purge_orphans(&s, &ct), 2); /* the second pair, both halves */
	CHECK(dl_snat_v4_lookup(&s, &o) != NULL);
	CHECK(dl_snat_v4_lookup(&s, &o2) == NULL);
	CHECK(bijection_ok(&s.map4));
	CHECK_EQ(dl_ct_gc(&ct, 71, NULL), 1); /* SYN-only CT entry: lifetime 70 */
	CHECK_EQ(dl_snat_purge_orphans(&s, &ct), 2);
	CHECK_EQ(s.map4.count, 0);
	CHECK_EQ(s.stats.purged, 4);
	dl_ct_free(&ct);
	dl_snat_free(&s);
}

/* ---- IPv6 and the packet helpers ---- */

static void test_v6_and_pkt(void)
{
	struct dl_snat s;
	struct dl_nat_target tg;
	struct dl_ct_tuple o, r;
	struct dl_nat_entry st;
	struct dl_pkt_info pi;

	init_snat(&s, DL_SNAT_PROFILE_RECENT, 64, 9);
	memset(&tg, 0, sizeof(tg));
	memcpy(tg.addr, NODE6, 16);
	tg.min_port = 32768;
	tg.max_port = 65535;
	dl_nat_tuple6_init(&o, CLIENT6, BACKEND6, 50000, 443, DL_IPPROTO_TCP, NAT_DIR_EGRESS);
	CHECK_EQ(dl_snat_v6_nat_handle_mapping(&s, &o, &st, &tg, 1), 0);
	CHECK_EQ(st.to_port, 50000);
	CHECK(!memcmp(st.to_addr, NODE6, 16));
	CHECK_EQ(s.map6.count, 2);
	CHECK_EQ(s.map4.count, 0);
	dl_nat_tuple6_init(&r, BACKEND6, NODE6, 443, 50000, DL_IPPROTO_TCP, NAT_DIR_INGRESS);
	CHECK_EQ(dl_snat_v6_rev_nat(&s, &r, &st, &tg, 2), 0);
	CHECK(!memcmp(st.to_addr, CLIENT6, 16) && st.to_port == 50000);
	CHECK(bijection_ok(&s.map6));
	CHECK_EQ(dl_snat_v6_delete(&s, &o), 0);
	CHECK_EQ(s.map6.count, 0);

	/* Tuples from parsed packets. */
	memset(&pi, 0, sizeof(pi));
	pi.l3 = DL_L3_IPV4;
	memcpy(pi.src, VIP, 4);
	memcpy(pi.dst, BACKEND, 4);
	pi.l4_proto = DL_IPPROTO_UDP;
	pi.l4_hdr_len = 8;
	pi.sport = 5353;
	pi.dport = 53;
	CHECK_EQ(dl_nat_tuple4_from_pkt(&pi, NAT_DIR_EGRESS, &o), 0);
	CHECK(o.sport == 5353 && o.dport == 53 && o.flags == NAT_DIR_EGRESS && !memcmp(o.saddr, VIP, 4));
	pi.l4_proto = DL_IPPROTO_ICMP;
	pi.icmp_type = 8;
	pi.icmp_id = 77;
	CHECK_EQ(dl_nat_tuple4_from_pkt(&pi, NAT_DIR_EGRESS, &o), 0);
	CHECK(o.sport == 77 && o.dport == 0);
	pi.icmp_type = 0;
	CHECK_EQ(dl_nat_tuple4_from_pkt(&pi, NAT_DIR_INGRESS, &o), 0);
	CHECK(o.sport == 0 && o.dport == 77 && o.flags == NAT_DIR_INGRESS);
	pi.icmp_type = 3;
	CHECK_EQ(dl_nat_tuple4_from_pkt(&pi, NAT_DIR_INGRESS, &o), DROP_NAT_UNSUPP_PROTO);
	pi.l4_proto = DL_IPPROTO_GRE;
	CHECK_EQ(dl_nat_tuple4_from_pkt(&pi, NAT_DIR_EGRESS, &o), NAT_PUNT_TO_STACK);
	CHECK_EQ(dl_nat_tuple6_from_pkt(&pi, NAT_DIR_EGRESS, &o), DROP_INVALID);

	/* ICMP echo ids are allocated like ports (kept when in range). */
	dl_nat_tuple4_init(&o, VIP, BACKEND, 40000, 0, DL_IPPROTO_ICMP, NAT_DIR_EGRESS);
	tg = target4(32768, 65535);
	CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 3), 0);
	dl_nat_tuple4_init(&r, BACKEND, NODE, 0, 40000, DL_IPPROTO_ICMP, NAT_DIR_INGRESS);
	CHECK_EQ(dl_snat_v4_rev_nat(&s, &r, &st, &tg, 4), 0);
	CHECK(st.to_port == 40000 && !memcmp(st.to_addr, VIP, 4));
	dl_snat_free(&s);

	/* Bad configurations. */
	{
		struct dl_snat_config cfg;

		dl_snat_config_init(&cfg, DL_SNAT_PROFILE_V1_15);
		cfg.collision_retries = DL_SNAT_MAX_RETRIES + 1;
		CHECK_EQ(dl_snat_init(&s, 8, 8, &cfg, 1), DL_EINVAL);
		cfg.collision_retries = 0;
		CHECK_EQ(dl_snat_init(&s, 8, 8, &cfg, 1), DL_EINVAL);
	}
}

/* ---- the bijection checker ---- */

static void test_bijection_checker(void)
{
	struct dl_snat s;
	struct dl_nat_target tg = target4(32768, 65535);
	struct dl_ct_tuple dup = otuple4(99, 1234, BACKEND), r;
	struct dl_nat_entry st, planted;
	struct dl_snat_bijection b;

	init_snat(&s, DL_SNAT_PROFILE_V1_15, 64, 1);
	for (unsigned i = 0; i < 20; i++) {
		struct dl_ct_tuple o = otuple4(i, (uint16_t)(40000 + i % 5), i & 1 ? BACKEND : BACKEND2);

		CHECK_EQ(dl_snat_v4_new_mapping(&s, &o, &st, &tg, 1), 0);
	}
	CHECK_EQ(dl_snat_check_bijection(&s.map4, &b), 0);
	CHECK_EQ(b.forward, 20);
	CHECK_EQ(b.reverse, 20);

	/* Plant a forward entry for a new client that claims NODE:40000 towards BACKEND, which
	 * client 5 holds: a duplicate, whose reverse key exists but points at client 5. */
	memset(&planted, 0, sizeof(planted));
	memcpy(planted.to_addr, NODE, 4);
	planted.to_port = 40000;
	CHECK_EQ(dl_map_update(&s.map4, &dup, &planted, DL_BPF_NOEXIST), 0);
	CHECK_EQ(dl_snat_check_bijection(&s.map4, &b), 1);
	CHECK_EQ(b.duplicates, 1);
	CHECK_EQ(b.mismatched, 1);
	CHECK_EQ(b.forward, 21);
	dl_map_delete(&s.map4, &dup);
	CHECK(bijection_ok(&s.map4));

	/* A lone reverse entry. */
	r = rtuple4(60000, BACKEND);
	CHECK_EQ(dl_map_update(&s.map4, &r, &planted, DL_BPF_NOEXIST), 0);
	CHECK_EQ(dl_snat_check_bijection(&s.map4, &b), 1);
	CHECK_EQ(b.reverse_without_forward, 1);
	dl_snat_free(&s);
}

int main(void)
{
	test_clamp();
	for (int p = 0; p < 2; p++) {
		enum dl_snat_profile prof = p ? DL_SNAT_PROFILE_RECENT : DL_SNAT_PROFILE_V1_15;

		test_keep_port_and_reuse(prof);
		test_collision_sequence(prof);
		test_exhaustion(prof);
		test_rollback(prof);
	}
	test_determinism();
	test_lru();
	test_dsr();
	test_purge();
	test_v6_and_pkt();
	test_bijection_checker();
	printf("test_nat: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
