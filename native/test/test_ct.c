/* test_ct.c: unit tests for conntrack (ct.c): tuple layout, the two-step lookup, a TCP
 * lifecycle with states and lifetimes at every step under both lifetime profiles, RST before
 * both SYNs, reopen, service entries (never reversed, rebalance), expiry only through GC, ICMP
 * echo and related entries, IPv6. Packets are described by struct dl_pkt_info directly; the
 * codec has its own tests. SNAT tests live in test_nat.c. */
#include "dsrlab/ct.h"
#include "dsrlab/drop.h"

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

static const uint8_t CLIENT[4] = {192, 0, 2, 10};
static const uint8_t SERVER[4] = {10, 0, 1, 20};
static const uint8_t ROUTER[4] = {10, 0, 0, 1};
static const uint8_t VIP[4] = {10, 96, 0, 10};
static const uint8_t CLIENT6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x0a};
static const uint8_t SERVER6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x14};

#define SYN DL_TCP_SYN
#define ACK DL_TCP_ACK
#define FIN DL_TCP_FIN
#define RST DL_TCP_RST
#define PSH DL_TCP_PSH

static struct dl_pkt_info pkt4(const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
			       uint8_t proto, uint16_t tcp_flags)
{
	struct dl_pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.l3 = DL_L3_IPV4;
	pi.l2_len = 14;
	pi.l3_len = 60;
	memcpy(pi.src, src, 4);
	memcpy(pi.dst, dst, 4);
	pi.l4_proto = proto;
	pi.l4_hdr_len = proto == DL_IPPROTO_TCP ? 20 : 8;
	pi.l4_off = 34;
	pi.sport = sport;
	pi.dport = dport;
	pi.tcp_flags = tcp_flags;
	return pi;
}

static struct dl_pkt_info icmp4(const uint8_t *src, const uint8_t *dst, uint8_t type, uint16_t id)
{
	struct dl_pkt_info pi = pkt4(src, 0, dst, 0, DL_IPPROTO_ICMP, 0);

	pi.icmp_type = type;
	pi.icmp_id = id;
	return pi;
}

static struct dl_pkt_info pkt6(const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
			       uint8_t proto, uint16_t tcp_flags)
{
	struct dl_pkt_info pi = pkt4(CLIENT, sport, SERVER, dport, proto, tcp_flags);

	pi.l3 = DL_L3_IPV6;
	memcpy(pi.src, src, 16);
	memcpy(pi.dst, dst, 16);
	return pi;
}

static void init_ct(struct dl_ct_maps *ct, uint32_t tcp_lifetime, uint32_t size)
{
	struct dl_ct_config cfg;

	dl_ct_config_init(&cfg, tcp_lifetime);
	if (dl_ct_init(ct, size, size, &cfg) != 0) {
		fprintf(stderr, "dl_ct_init failed\n");
		exit(2);
	}
}

/* One packet through ct_lookup4 at dir; on CT_NEW the entry is created (as the datapath
 * would), with *st as the new state. Returns the lookup status. */
static int step4(struct dl_ct_maps *ct, const struct dl_pkt_info *pi, enum dl_ct_dir dir, uint32_t now,
		 struct dl_ct_tuple *tuple)
{
	struct dl_ct_state st;
	struct dl_ct_tuple t;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = dl_ct_lookup4_pkt(ct, pi, NULL, dir, now, &t, &st);
	if (ret == CT_NEW) {
		struct dl_ct_pkt meta;

		dl_ct_tuple4_from_pkt(pi, dir, NULL, &(struct dl_ct_tuple){0}, &meta);
		CHECK_EQ(dl_ct_create4(ct, &t, dir, &st, false, &meta, now), 0);
	}
	if (tuple)
		*tuple = t;
	return ret;
}

static const struct dl_ct_entry *peek4(struct dl_ct_maps *ct, const struct dl_ct_tuple *t)
{
	return dl_map_peek(dl_ct_get_map4(ct, t->nexthdr), t);
}

/* ---- tuples ---- */

static void test_tuple_layout(void)
{
	struct dl_ct_tuple t, r;
	struct dl_pkt_info pi = pkt4(CLIENT, 40000, VIP, 80, DL_IPPROTO_TCP, SYN);
	struct dl_ct_pkt meta;

	/* §0.1: tuple.dport = the packet's source port, tuple.sport = its destination port. */
	dl_ct_tuple4_init(&t, CLIENT, SERVER, 40000, 80, DL_IPPROTO_TCP);
	CHECK_EQ(t.dport, 40000);
	CHECK_EQ(t.sport, 80);
	CHECK(!memcmp(t.saddr, CLIENT, 4) && !memcmp(t.daddr, SERVER, 4));
	CHECK_EQ(t.flags, TUPLE_F_OUT);

	/* The spec's service key from kpr_dsr_lb.h: {daddr=VIP, saddr=client, sport=svc_port,
	 * dport=client_port, TCP, TUPLE_F_SERVICE}. */
	CHECK_EQ(dl_ct_tuple4_from_pkt(&pi, CT_SERVICE, NULL, &t, &meta), ACTION_CREATE);
	CHECK(!memcmp(t.daddr, VIP, 4) && !memcmp(t.saddr, CLIENT, 4));
	CHECK_EQ(t.sport, 80);
	CHECK_EQ(t.dport, 40000);
	CHECK_EQ(t.flags, TUPLE_F_SERVICE);
	CHECK_EQ(meta.tcp_flags, SYN);
	CHECK(meta.has_l4_header);
	CHECK_EQ(meta.len, 74);

	/* Directions pick the starting flag. */
	dl_ct_tuple4_from_pkt(&pi, CT_INGRESS, NULL, &t, &meta);
	CHECK_EQ(t.flags, TUPLE_F_OUT);
	dl_ct_tuple4_from_pkt(&pi, CT_EGRESS, NULL, &t, &meta);
	CHECK_EQ(t.flags, TUPLE_F_IN);

	/* Reverse: addresses and ports swap, the IN bit flips, RELATED stays. */
	r = t;
	r.flags |= TUPLE_F_RELATED;
	dl_ct_tuple_reverse(&r);
	CHECK(!memcmp(r.saddr, VIP, 4) && !memcmp(r.daddr, CLIENT, 4));
	CHECK_EQ(r.sport, 40000);
	CHECK_EQ(r.dport, 80);
	CHECK_EQ(r.flags, TUPLE_F_RELATED | TUPLE_F_OUT);
	dl_ct_tuple_reverse(&r);
	r.flags &= (uint8_t)~TUPLE_F_RELATED;
	CHECK(!memcmp(&r, &t, sizeof(t)));

	dl_ct_tuple_swap_ports(&r);
	CHECK_EQ(r.sport, 40000);
	CHECK_EQ(r.dport, 80);

	/* Unknown protocols and portless later fragments. */
	pi.l4_proto = DL_IPPROTO_GRE;
	CHECK_EQ(dl_ct_tuple4_from_pkt(&pi, CT_EGRESS, NULL, &t, &meta), DROP_CT_UNKNOWN_PROTO);
	pi = pkt4(CLIENT, 0, SERVER, 0, DL_IPPROTO_UDP, 0);
	pi.l4_hdr_len = 0;
	pi.l4_off = 0;
	pi.frag = DL_FRAG_LATER;
	CHECK_EQ(dl_ct_tuple4_from_pkt(&pi, CT_EGRESS, NULL, &t, &meta), DROP_CT_INVALID_HDR);
	{
		const uint16_t ports[2] = {5353, 53}; /* from the fragment map */

		CHECK_EQ(dl_ct_tuple4_from_pkt(&pi, CT_EGRESS, ports, &t, &meta), ACTION_CREATE);
		CHECK_EQ(t.dport, 5353);
		CHECK_EQ(t.sport, 53);
		CHECK(!meta.has_l4_header);
	}
	/* An IPv6 packet is not an IPv4 tuple. */
	pi = pkt6(CLIENT6, 1, SERVER6, 2, DL_IPPROTO_UDP, 0);
	CHECK_EQ(dl_ct_tuple4_from_pkt(&pi, CT_EGRESS, NULL, &t, &meta), DROP_CT_INVALID_HDR);
	CHECK_EQ(dl_ct_tuple6_from_pkt(&pi, CT_EGRESS, NULL, &t, &meta), ACTION_CREATE);
	CHECK(!memcmp(t.saddr, CLIENT6, 16));
}

/* ---- the TCP lifecycle ---- */

/* The client's node sees the request at CT_EGRESS and the reply at CT_INGRESS. */
static void run_lifecycle(uint32_t T)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple t, stored;
	const struct dl_ct_entry *e;
	struct dl_pkt_info out, in;

	init_ct(&ct, T, 64);

	/* t=100 SYN: the first lookup (as built, TUPLE_F_IN) and the reversed one miss. The
	 * tuple comes back reversed and is what gets stored. */
	out = pkt4(CLIENT, 40000, SERVER, 80, DL_IPPROTO_TCP, SYN);
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 100, &stored), CT_NEW);
	CHECK(!memcmp(stored.saddr, SERVER, 4) && !memcmp(stored.daddr, CLIENT, 4));
	CHECK_EQ(stored.dport, 80);    /* reversed CT layout: dport = server port */
	CHECK_EQ(stored.sport, 40000);
	CHECK_EQ(stored.flags, TUPLE_F_OUT);
	e = peek4(&ct, &stored);
	CHECK(e != NULL);
	if (!e)
		goto out;
	CHECK_EQ(e->lifetime, 100 + 60);   /* CT_SYN_TIMEOUT */
	CHECK_EQ(e->seen_non_syn, 0);
	CHECK_EQ(e->tx_flags_seen, SYN);
	CHECK_EQ(e->rx_flags_seen, 0);
	CHECK_EQ(e->tx_packets, 1);
	CHECK_EQ(e->tx_bytes, 74);
	CHECK_EQ(e->last_tx_report, 100);

	/* t=101 SYN-ACK from the server: the first lookup (TUPLE_F_OUT) hits: CT_REPLY. Still
	 * only SYNs seen: SYN timeout. */
	in = pkt4(SERVER, 80, CLIENT, 40000, DL_IPPROTO_TCP, SYN | ACK);
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 101, &t), CT_REPLY);
	CHECK(!memcmp(&t, &stored, sizeof(t))); /* no reversal on a first-lookup hit */
	CHECK_EQ(e->lifetime, 101 + 60);
	CHECK_EQ(e->rx_flags_seen, SYN | ACK);
	CHECK_EQ(e->rx_packets, 1);
	CHECK_EQ(e->seen_non_syn, 0);

	/* t=102 ACK: the reversed lookup hits: CT_ESTABLISHED, and the first non-SYN packet
	 * switches to the TCP lifetime. */
	out.tcp_flags = ACK;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 102, NULL), CT_ESTABLISHED);
	CHECK_EQ(e->seen_non_syn, 1);
	CHECK_EQ(e->lifetime, 102 + T);
	CHECK_EQ(e->tx_flags_seen, SYN | ACK);
	CHECK_EQ(e->tx_packets, 2);

	/* Data both ways refreshes the lifetime each time. */
	out.tcp_flags = PSH | ACK;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 110, NULL), CT_ESTABLISHED);
	CHECK_EQ(e->lifetime, 110 + T);
	in.tcp_flags = ACK;
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 111, NULL), CT_REPLY);
	CHECK_EQ(e->lifetime, 111 + T);
	CHECK_EQ(e->rx_packets, 2);

	/* t=200 client FIN: tx_closing, still alive, refreshed. */
	out.tcp_flags = FIN | ACK;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 200, NULL), CT_ESTABLISHED);
	CHECK_EQ(e->tx_closing, 1);
	CHECK_EQ(e->rx_closing, 0);
	CHECK_EQ(e->lifetime, 200 + T);

	/* t=201 server FIN: both closing: CT_CLOSE_TIMEOUT. */
	in.tcp_flags = FIN | ACK;
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 201, NULL), CT_REPLY);
	CHECK_EQ(e->rx_closing, 1);
	CHECK_EQ(e->lifetime, 201 + 10);

	/* t=202 last ACK: a closed entry is not refreshed. */
	out.tcp_flags = ACK;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 202, NULL), CT_ESTABLISHED);
	CHECK_EQ(e->lifetime, 211);

	/* t=203 a retransmitted FIN re-arms the close timeout. */
	in.tcp_flags = FIN | ACK;
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 203, NULL), CT_REPLY);
	CHECK_EQ(e->lifetime, 213);

	/* t=205 a new SYN on the same tuple reopens it: flags cleared, and since seen_non_syn is
	 * sticky, the long TCP lifetime. */
	out.tcp_flags = SYN;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 205, NULL), CT_REOPENED);
	CHECK_EQ(e->rx_closing, 0);
	CHECK_EQ(e->tx_closing, 0);
	CHECK_EQ(e->lifetime, 205 + T);
	CHECK_EQ(ct.ct4_tcp.count, 1);

	/* Closing again, then a SYN seen by the first lookup (the server's side re-SYNs):
	 * reopened, but reported as CT_REPLY. */
	out.tcp_flags = FIN;
	step4(&ct, &out, CT_EGRESS, 300, NULL);
	CHECK_EQ(e->tx_closing, 1);
	in.tcp_flags = SYN | ACK;
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 301, NULL), CT_REPLY);
	CHECK_EQ(e->tx_closing, 0);
	CHECK_EQ(e->lifetime, 301 + T);
out:
	dl_ct_free(&ct);
}

static void test_lifecycle(void)
{
	run_lifecycle(21600); /* older profile: 6 h */
	run_lifecycle(8000);  /* recent profile */
}

/* ---- RST ---- */

static void test_rst(void)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple stored;
	const struct dl_ct_entry *e;
	struct dl_pkt_info out = pkt4(CLIENT, 40001, SERVER, 81, DL_IPPROTO_TCP, SYN);
	struct dl_pkt_info in = pkt4(SERVER, 81, CLIENT, 40001, DL_IPPROTO_TCP, RST | ACK);

	init_ct(&ct, 8000, 64);
	/* RST before both SYNs were seen: both sides close at once. */
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 10, &stored), CT_NEW);
	e = peek4(&ct, &stored);
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 11, NULL), CT_REPLY);
	CHECK(e && e->rx_closing && e->tx_closing);
	CHECK(e && e->lifetime == 11 + 10);

	/* After a full handshake an RST only closes its own side; the entry stays alive. */
	out = pkt4(CLIENT, 40002, SERVER, 81, DL_IPPROTO_TCP, SYN);
	in = pkt4(SERVER, 81, CLIENT, 40002, DL_IPPROTO_TCP, SYN | ACK);
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 20, &stored), CT_NEW);
	e = peek4(&ct, &stored);
	step4(&ct, &in, CT_INGRESS, 21, NULL);
	out.tcp_flags = ACK;
	step4(&ct, &out, CT_EGRESS, 22, NULL);
	in.tcp_flags = RST;
	CHECK_EQ(step4(&ct, &in, CT_INGRESS, 23, NULL), CT_REPLY);
	CHECK(e && e->rx_closing && !e->tx_closing);
	CHECK(e && e->lifetime == 23 + 8000);

	/* An RST from the side that sent the SYN, before any answer: also both closed. */
	out = pkt4(CLIENT, 40003, SERVER, 81, DL_IPPROTO_TCP, SYN);
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 30, &stored), CT_NEW);
	e = peek4(&ct, &stored);
	out.tcp_flags = RST;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 31, NULL), CT_ESTABLISHED);
	CHECK(e && e->rx_closing && e->tx_closing && e->lifetime == 41);
	dl_ct_free(&ct);
}

/* ---- services ---- */

static void test_service(void)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple t, key;
	struct dl_ct_state st;
	struct dl_ct_pkt meta;
	const struct dl_ct_entry *e;
	struct dl_pkt_info syn = pkt4(CLIENT, 40000, VIP, 80, DL_IPPROTO_TCP, SYN);
	struct dl_pkt_info p;
	int ret;

	init_ct(&ct, 8000, 64);

	/* CT_NEW, and the tuple is NOT reversed for CT_SERVICE. */
	memset(&st, 0, sizeof(st));
	ret = dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_SERVICE, 1000, &key, &st);
	CHECK_EQ(ret, CT_NEW);
	CHECK(!memcmp(key.daddr, VIP, 4) && key.sport == 80 && key.dport == 40000 && key.flags == TUPLE_F_SERVICE);
	st.backend_id = 7;
	st.rev_nat_index = 3;
	dl_ct_tuple4_from_pkt(&syn, CT_SERVICE, NULL, &t, &meta);
	CHECK_EQ(dl_ct_create4(&ct, &key, CT_SERVICE, &st, false, &meta, 1000), 0);
	e = peek4(&ct, &key);
	CHECK(e != NULL);
	if (!e)
		goto out;
	CHECK_EQ(e->backend_id, 7);
	CHECK_EQ(e->rev_nat_index, 3);
	CHECK_EQ(e->lifetime, 1000 + 60);   /* SYN timeout */
	CHECK_EQ(e->tx_packets + e->rx_packets, 0); /* service lookups count nothing */

	/* A hit on a service entry is CT_REPLY and reports backend and rev-NAT index. */
	p = syn;
	p.tcp_flags = ACK;
	memset(&st, 0, sizeof(st));
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1001, &t, &st), CT_REPLY);
	CHECK_EQ(st.backend_id, 7);
	CHECK_EQ(st.rev_nat_index, 3);
	CHECK(!st.syn);
	CHECK_EQ(e->lifetime, 1001 + 8000); /* CT_SERVICE_LIFETIME_TCP */

	/* Never reversed: the reply's tuple does not find the service entry. */
	p = pkt4(VIP, 80, CLIENT, 40000, DL_IPPROTO_TCP, ACK);
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1002, &t, NULL), CT_NEW);
	CHECK(!memcmp(t.saddr, VIP, 4)); /* left as built */
	/* ... nor does an egress/ingress lookup of the request (other flags). */
	p = syn;
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_EGRESS, 1002, &t, NULL), CT_NEW);
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_INGRESS, 1002, &t, NULL), CT_NEW);

	/* Client RST at t=1010: only tx_closing, as a FIN would (the both-SYNs rule does not
	 * apply to CT_SERVICE); last_tx_report moves because RST is a new flag. */
	p = syn;
	p.tcp_flags = RST;
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1010, &t, NULL), CT_REPLY);
	CHECK(e->tx_closing && !e->rx_closing);
	CHECK_EQ(e->last_tx_report, 1010);
	CHECK_EQ(e->lifetime, 1010 + 8000);

	/* A SYN within the grace period reopens (reported as CT_REPLY: first lookup). */
	memset(&st, 0, sizeof(st));
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_SERVICE, 1069, &t, &st), CT_REPLY);
	CHECK(st.syn);
	CHECK(!e->tx_closing);
	CHECK_EQ(st.backend_id, 7);

	/* Close again at 1100; a SYN at 1100 + 60 is past CT_SERVICE_CLOSE_REBALANCE: CT_NEW,
	 * the entry untouched, so lb picks a backend anew. */
	p.tcp_flags = FIN;
	dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1100, &t, NULL);
	CHECK_EQ(e->last_tx_report, 1100);
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_SERVICE, 1159, &t, NULL), CT_REPLY); /* 1100+60 > 1159 */
	dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1200, &t, NULL);
	{
		uint32_t lifetime = e->lifetime;

		CHECK_EQ(dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_SERVICE, 1260, &t, NULL), CT_NEW);
		CHECK(e->tx_closing);
		CHECK_EQ(e->lifetime, lifetime);
		/* A non-SYN packet still finds the closing entry. */
		p.tcp_flags = ACK;
		CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1260, &t, NULL), CT_REPLY);
		/* lb then overwrites it with the new backend. */
		memset(&st, 0, sizeof(st));
		st.backend_id = 9;
		CHECK_EQ(dl_ct_create4(&ct, &key, CT_SERVICE, &st, false, NULL, 1260), 0);
		CHECK_EQ(ct.ct4_tcp.count, 1);
		e = peek4(&ct, &key);
		CHECK(e && e->backend_id == 9 && !e->tx_closing);
	}

	/* Without HAVE_LARGE_INSN_LIMIT there is no rebalance: the SYN reopens. */
	ct.cfg.rebalance_disabled = true;
	dl_ct_update_svc_entry4(&ct, &key, 11, 4);
	p.tcp_flags = FIN;
	dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 1300, &t, NULL);
	memset(&st, 0, sizeof(st));
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_SERVICE, 5000, &t, &st), CT_REPLY);
	CHECK_EQ(st.backend_id, 11);
	CHECK_EQ(st.rev_nat_index, 4);

	/* UDP service entries use CT_SERVICE_LIFETIME_NONTCP, and live in the "any" map. */
	p = pkt4(CLIENT, 5353, VIP, 53, DL_IPPROTO_UDP, 0);
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 100, &t, NULL), CT_NEW);
	CHECK_EQ(dl_ct_create4(&ct, &t, CT_SERVICE, NULL, false, NULL, 100), 0);
	CHECK_EQ(ct.ct4_any.count, 1);
	ct.cfg.service_any = 45;
	CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_SERVICE, 101, &t, NULL), CT_REPLY);
	e = peek4(&ct, &t);
	CHECK(e && e->lifetime == 101 + 45);
out:
	dl_ct_free(&ct);
}

/* ---- expiry ---- */

static void test_expiry_gc(void)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple stored;
	struct dl_ct_gc_stats st;
	const struct dl_ct_entry *e;
	struct dl_pkt_info out = pkt4(CLIENT, 40000, SERVER, 80, DL_IPPROTO_TCP, SYN);
	struct dl_pkt_info udp = pkt4(CLIENT, 5000, SERVER, 53, DL_IPPROTO_UDP, 0);
	struct dl_pkt_info udp6 = pkt6(CLIENT6, 5000, SERVER6, 53, DL_IPPROTO_UDP, 0);
	struct dl_ct_tuple t6;

	init_ct(&ct, 8000, 64);
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 100, &stored), CT_NEW); /* lifetime 160 */
	CHECK_EQ(step4(&ct, &udp, CT_EGRESS, 100, NULL), CT_NEW);    /* lifetime 160 (any) */
	CHECK_EQ(dl_ct_lookup6_pkt(&ct, &udp6, NULL, CT_EGRESS, 100, &t6, NULL), CT_NEW);
	CHECK_EQ(dl_ct_create6(&ct, &t6, CT_EGRESS, NULL, false, NULL, 100), 0);

	/* Long past the lifetime, a lookup still matches (§7.2) and, being a SYN-only entry that
	 * sees only SYNs, gets the SYN timeout again. */
	out.tcp_flags = SYN;
	CHECK_EQ(step4(&ct, &out, CT_EGRESS, 1000, NULL), CT_ESTABLISHED);
	e = peek4(&ct, &stored);
	CHECK(e && e->lifetime == 1060);

	/* GC deletes lifetime < now only: at now == lifetime the entry stays. */
	CHECK_EQ(dl_ct_gc(&ct, 160, &st), 0);
	CHECK_EQ(dl_ct_gc(&ct, 161, &st), 2); /* the UDP entries, v4 and v6 */
	CHECK_EQ(st.deleted4, 1);
	CHECK_EQ(st.deleted6, 1);
	CHECK_EQ(st.alive4, 1);
	CHECK_EQ(ct.ct4_any.count, 0);
	CHECK_EQ(ct.ct6_any.count, 0);
	CHECK_EQ(step4(&ct, &udp, CT_EGRESS, 170, NULL), CT_NEW); /* gone: a new flow */
	CHECK_EQ(dl_ct_gc(&ct, 1061, &st), 2); /* the TCP entry and the second UDP one */
	CHECK_EQ(ct.ct4_tcp.count, 0);
	CHECK_EQ(ct.gc.runs, 3);
	CHECK_EQ(ct.gc.deleted4, 3);
	CHECK_EQ(ct.gc.deleted6, 1);
	CHECK_EQ(ct.gc.alive4, 0);
	dl_ct_free(&ct);
}

/* ---- ICMP ---- */

static void test_icmp(void)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple t, stored;
	struct dl_ct_pkt meta;
	struct dl_pkt_info req = icmp4(CLIENT, SERVER, 8, 0x1234);
	struct dl_pkt_info rep = icmp4(SERVER, CLIENT, 0, 0x1234);
	struct dl_pkt_info err;

	init_ct(&ct, 8000, 64);

	/* §7.1: echo request dport = id, sport = 0; echo reply sport = id. */
	CHECK_EQ(dl_ct_tuple4_from_pkt(&req, CT_EGRESS, NULL, &t, &meta), ACTION_CREATE);
	CHECK_EQ(t.dport, 0x1234);
	CHECK_EQ(t.sport, 0);
	CHECK_EQ(dl_ct_tuple4_from_pkt(&rep, CT_INGRESS, NULL, &t, &meta), ACTION_UNSPEC);
	CHECK_EQ(t.sport, 0x1234);
	CHECK_EQ(t.dport, 0);

	CHECK_EQ(step4(&ct, &req, CT_EGRESS, 50, &stored), CT_NEW);
	CHECK_EQ(ct.ct4_any.count, 1);
	CHECK_EQ(ct.ct4_tcp.count, 0);
	CHECK_EQ(step4(&ct, &rep, CT_INGRESS, 51, NULL), CT_REPLY);
	CHECK_EQ(step4(&ct, &req, CT_EGRESS, 52, NULL), CT_ESTABLISHED);
	{
		const struct dl_ct_entry *e = peek4(&ct, &stored);

		CHECK(e && e->lifetime == 52 + 60 && e->tx_packets == 2 && e->rx_packets == 1);
	}
	/* Another echo id is another flow. */
	req.icmp_id = 0x4321;
	CHECK_EQ(step4(&ct, &req, CT_EGRESS, 53, NULL), CT_NEW);

	/* Errors: TUPLE_F_RELATED, ports 0. A TCP entry created with its related ICMP entry
	 * makes the peer's errors CT_RELATED. */
	{
		struct dl_pkt_info syn = pkt4(CLIENT, 40000, SERVER, 80, DL_IPPROTO_TCP, SYN);
		struct dl_ct_state st;

		memset(&st, 0, sizeof(st));
		CHECK_EQ(dl_ct_lookup4_pkt(&ct, &syn, NULL, CT_EGRESS, 60, &stored, &st), CT_NEW);
		CHECK_EQ(dl_ct_create4(&ct, &stored, CT_EGRESS, &st, true, NULL, 60), 0);
		CHECK_EQ(ct.ct4_tcp.count, 1);
		CHECK_EQ(ct.ct4_any.count, 3);
	}
	err = icmp4(SERVER, CLIENT, 3, 0); /* dest unreachable from the server */
	CHECK_EQ(dl_ct_tuple4_from_pkt(&err, CT_INGRESS, NULL, &t, &meta), ACTION_UNSPEC);
	CHECK_EQ(t.flags, TUPLE_F_OUT | TUPLE_F_RELATED);
	CHECK_EQ(t.sport + t.dport, 0);
	CHECK_EQ(step4(&ct, &err, CT_INGRESS, 61, NULL), CT_RELATED);
	err = icmp4(SERVER, CLIENT, 11, 0); /* time exceeded */
	CHECK_EQ(step4(&ct, &err, CT_INGRESS, 61, NULL), CT_RELATED);
	err = icmp4(SERVER, CLIENT, 12, 0); /* parameter problem */
	CHECK_EQ(step4(&ct, &err, CT_INGRESS, 61, NULL), CT_RELATED);
	{
		/* The related entry: same addresses as the stored tuple, ICMP, seen_non_syn. */
		struct dl_ct_tuple rel = stored;
		const struct dl_ct_entry *e;

		rel.nexthdr = DL_IPPROTO_ICMP;
		rel.sport = rel.dport = 0;
		rel.flags |= TUPLE_F_RELATED;
		e = peek4(&ct, &rel);
		CHECK(e && e->seen_non_syn);
	}
	/* An error from a router on the path does not match (addresses differ). */
	err = icmp4(ROUTER, CLIENT, 3, 0);
	CHECK_EQ(step4(&ct, &err, CT_INGRESS, 62, NULL), CT_NEW);

	/* ICMPv6: echo and related. */
	{
		struct dl_pkt_info r6 = pkt6(CLIENT6, 0, SERVER6, 0, DL_IPPROTO_ICMPV6, 0);
		struct dl_pkt_info a6 = pkt6(SERVER6, 0, CLIENT6, 0, DL_IPPROTO_ICMPV6, 0);
		struct dl_pkt_info s6 = pkt6(CLIENT6, 40000, SERVER6, 443, DL_IPPROTO_TCP, SYN);
		struct dl_ct_tuple t6;

		r6.icmp_type = 128;
		r6.icmp_id = 7;
		a6.icmp_type = 129;
		a6.icmp_id = 7;
		CHECK_EQ(dl_ct_lookup6_pkt(&ct, &r6, NULL, CT_EGRESS, 70, &t6, NULL), CT_NEW);
		CHECK_EQ(dl_ct_create6(&ct, &t6, CT_EGRESS, NULL, false, NULL, 70), 0);
		CHECK_EQ(dl_ct_lookup6_pkt(&ct, &a6, NULL, CT_INGRESS, 71, &t6, NULL), CT_REPLY);
		CHECK_EQ(dl_ct_lookup6_pkt(&ct, &s6, NULL, CT_EGRESS, 72, &t6, NULL), CT_NEW);
		CHECK_EQ(dl_ct_create6(&ct, &t6, CT_EGRESS, NULL, true, NULL, 72), 0);
		a6.icmp_type = 2; /* packet too big */
		a6.icmp_id = 0;
		CHECK_EQ(dl_ct_lookup6_pkt(&ct, &a6, NULL, CT_INGRESS, 73, &t6, NULL), CT_RELATED);
		CHECK_EQ(ct.ct6_any.count, 2);
		CHECK_EQ(ct.ct4_any.count, 4); /* untouched by v6 */
	}
	dl_ct_free(&ct);
}

/* ---- IPv6 TCP, nodeport helpers, loopback, LRU ---- */

static void test_v6_and_helpers(void)
{
	struct dl_ct_maps ct;
	struct dl_ct_tuple t, stored;
	struct dl_ct_state st;
	struct dl_pkt_info out = pkt6(CLIENT6, 40000, SERVER6, 443, DL_IPPROTO_TCP, SYN);
	struct dl_pkt_info in = pkt6(SERVER6, 443, CLIENT6, 40000, DL_IPPROTO_TCP, SYN | ACK);
	const struct dl_ct_entry *e;

	init_ct(&ct, 21600, 4);
	memset(&st, 0, sizeof(st));
	CHECK_EQ(dl_ct_lookup6_pkt(&ct, &out, NULL, CT_EGRESS, 5, &stored, &st), CT_NEW);
	st.node_port = true;
	st.ifindex = 3;
	st.rev_nat_index = 12;
	CHECK_EQ(dl_ct_create6(&ct, &stored, CT_EGRESS, &st, false, NULL, 5), 0);
	memset(&st, 0, sizeof(st));
	CHECK_EQ(dl_ct_lookup6_pkt(&ct, &in, NULL, CT_INGRESS, 6, &t, &st), CT_REPLY);
	CHECK(st.node_port && st.ifindex == 3 && st.rev_nat_index == 12 && !st.dsr);
	out.tcp_flags = ACK;
	CHECK_EQ(dl_ct_lookup6_pkt(&ct, &out, NULL, CT_EGRESS, 7, &t, NULL), CT_ESTABLISHED);
	e = dl_map_peek(dl_ct_get_map6(&ct, DL_IPPROTO_TCP), &stored);
	CHECK(e && e->lifetime == 7 + 21600 && e->seen_non_syn);
	CHECK_EQ(ct.ct4_tcp.count, 0);

	/* ct_has_nodeport_egress_entry6 from the reply's CT_INGRESS tuple. */
	dl_ct_tuple6_init(&t, SERVER6, CLIENT6, 443, 40000, DL_IPPROTO_TCP);
	CHECK(dl_ct_has_nodeport_egress_entry6(&ct, &t, false));
	CHECK(!dl_ct_has_dsr_egress_entry6(&ct, &t));
	dl_ct_update_dsr6(&ct, &stored, true);
	CHECK(dl_ct_has_dsr_egress_entry6(&ct, &t));
	dl_ct_update_rev_nat_index6(&ct, &stored, 99);
	CHECK(e && e->rev_nat_index == 99);
	CHECK_EQ(dl_ct_delete6(&ct, &stored), 0);
	CHECK(!dl_ct_has_nodeport_egress_entry6(&ct, &t, true));
	CHECK_EQ(dl_ct_delete6(&ct, &stored), DL_ENOENT);

	/* v4 loopback (hairpin through a service): a second entry for the reply. */
	{
		struct dl_pkt_info p = pkt4(CLIENT, 1000, SERVER, 80, DL_IPPROTO_TCP, SYN);
		struct dl_ct_tuple lb;

		memset(&st, 0, sizeof(st));
		CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_EGRESS, 1, &stored, NULL), CT_NEW);
		st.loopback = true;
		memcpy(st.addr, CLIENT, 4);
		memcpy(st.svc_addr, VIP, 4);
		CHECK_EQ(dl_ct_create4(&ct, &stored, CT_EGRESS, &st, false, NULL, 1), 0);
		CHECK_EQ(ct.ct4_tcp.count, 2);
		lb = stored;
		lb.flags = TUPLE_F_IN;
		memcpy(lb.saddr, VIP, 4);
		memcpy(lb.daddr, CLIENT, 4);
		e = peek4(&ct, &lb);
		CHECK(e && e->lb_loopback);
	}

	/* LRU: a full TCP map (4 entries) evicts the least recently used entry on create. */
	{
		struct dl_ct_tuple first;

		for (int i = 0; i < 4; i++) {
			struct dl_pkt_info p = pkt4(CLIENT, (uint16_t)(2000 + i), SERVER, 80, DL_IPPROTO_TCP, SYN);

			CHECK_EQ(dl_ct_lookup4_pkt(&ct, &p, NULL, CT_EGRESS, 10, &t, NULL), CT_NEW);
			if (i == 0)
				first = t;
			CHECK_EQ(dl_ct_create4(&ct, &t, CT_EGRESS, NULL, false, NULL, 10), 0);
		}
		CHECK_EQ(ct.ct4_tcp.count, 4);
		CHECK(ct.ct4_tcp.evictions >= 2);
		CHECK(peek4(&ct, &first) != NULL); /* the two loopback entries went first */
	}

	/* Bad direction. */
	CHECK_EQ(dl_ct_lazy_lookup4(&ct, &t, NULL, ACTION_CREATE, (enum dl_ct_dir)7, 1, NULL), DROP_CT_INVALID_HDR);
	CHECK(!strcmp(dl_ct_status_name(CT_REOPENED), "CT_REOPENED"));
	dl_ct_free(&ct);
}

int main(void)
{
	test_tuple_layout();
	test_lifecycle();
	test_rst();
	test_service();
	test_expiry_gc();
	test_icmp();
	test_v6_and_helpers();
	printf("test_ct: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
