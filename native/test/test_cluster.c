/* test_cluster.c: the emulated cluster end to end (cluster.c's fabric and event log, node.c's
 * programs): small clusters of a client, an LB node, a backend node and pods, run through the
 * public API, with every hop checked from the event log and the frames in the arena against
 * cilium-datapath.md (SNAT, DSR opt/IPv6/IPIP/Geneve, hybrid, MTU, no backend, ClusterIP,
 * local backend, XDP, fragments, SNAT exhaustion, the echo responder, determinism, hostile
 * input). The building blocks have their own unit tests (test_ct.c, test_nat.c, ...). */
#include "dsrlab/icmp_err.h"
#include "pkt_testutil.h"
#include "cluster_testutil.h"

#include "dsrlab/cluster.h"
#include "dsrlab/drop.h"
#include "dsrlab/dsr.h"
#include "dsrlab/icmp.h"
#include "../src/cluster_priv.h" /* white box: the LB node's NAT map and counters */

/* ---- addresses ---- */

static const uint8_t IP_CLIENT[4] = {203, 0, 113, 7};
static const uint8_t IP_CLIENT2[4] = {203, 0, 113, 8};
static const uint8_t IP_LB[4] = {192, 168, 10, 11};
static const uint8_t IP_BN[4] = {192, 168, 10, 12};
static const uint8_t IP_POD[4] = {10, 0, 2, 5};
static const uint8_t IP_POD2[4] = {10, 0, 2, 6};
static const uint8_t IP_LPOD[4] = {10, 0, 1, 5};
static const uint8_t IP_VIP[4] = {198, 51, 100, 10};       /* LoadBalancer, remote backend */
static const uint8_t IP_VIP_LOCAL[4] = {198, 51, 100, 20}; /* backend on the LB node */
static const uint8_t IP_VIP_EMPTY[4] = {198, 51, 100, 30}; /* no backends */
static const uint8_t IP_VIP_TWO[4] = {198, 51, 100, 40};   /* two remote backends (UDP) */
static const uint8_t IP_CIP[4] = {10, 96, 0, 10};          /* ClusterIP */

#define V6(a, b, c, d, last) {0x20, 0x01, 0x0d, 0xb8, a, b, c, d, 0, 0, 0, 0, 0, 0, 0, last}
static const uint8_t IP6_CLIENT[16] = V6(0, 0, 0, 0, 7);
static const uint8_t IP6_LB[16] = V6(0, 0x10, 0, 0, 0x11);
static const uint8_t IP6_BN[16] = V6(0, 0x10, 0, 0, 0x12);
static const uint8_t IP6_POD[16] = {0xfd, 0, 0, 0x10, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
static const uint8_t IP6_VIP[16] = V6(0, 0x64, 0, 0, 0x10);
static const uint8_t IP6_VIP_EMPTY[16] = V6(0, 0x64, 0, 0, 0x30);

#define SVC_PORT 80
#define POD_PORT 8080
#define NODEPORT 31000

/* ---- frames ---- */

struct pk {
	uint8_t fam;               /* 4 or 6 */
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint16_t flags;            /* TCP */
	uint32_t seq, ack;
	uint32_t paylen;
	uint16_t ip_id;
};

/* An Ethernet frame with valid checksums (MACs are the fabric's business); returns its length. */
static uint32_t mk(uint8_t *out, const struct pk *k)
{
	uint32_t l3 = 14, l4, hl = k->proto == DL_IPPROTO_TCP ? 20 : 8, len;
	struct dl_pkt_info pi;

	memset(out, 0, 14);
	dl_wr16(out + 12, k->fam == 6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	if (k->fam == 6) {
		l4 = l3 + 40;
		memset(out + l3, 0, 40);
		out[l3] = 0x60;
		dl_wr16(out + l3 + 4, (uint16_t)(hl + k->paylen));
		out[l3 + 6] = k->proto;
		out[l3 + 7] = 64;
		memcpy(out + l3 + 8, k->src, 16);
		memcpy(out + l3 + 24, k->dst, 16);
	} else {
		l4 = l3 + 20;
		memset(out + l3, 0, 20);
		out[l3] = 0x45;
		dl_wr16(out + l3 + 2, (uint16_t)(20 + hl + k->paylen));
		dl_wr16(out + l3 + 4, k->ip_id);
		dl_wr16(out + l3 + 6, 0x4000);
		out[l3 + 8] = 64;
		out[l3 + 9] = k->proto;
		memcpy(out + l3 + 12, k->src, 4);
		memcpy(out + l3 + 16, k->dst, 4);
	}
	memset(out + l4, 0, hl);
	dl_wr16(out + l4, k->sport);
	dl_wr16(out + l4 + 2, k->dport);
	if (k->proto == DL_IPPROTO_TCP) {
		dl_wr32(out + l4 + 4, k->seq);
		dl_wr32(out + l4 + 8, k->ack);
		out[l4 + 12] = 5 << 4;
		out[l4 + 13] = (uint8_t)k->flags;
		dl_wr16(out + l4 + 14, 64240);
	} else {
		dl_wr16(out + l4 + 4, (uint16_t)(8 + k->paylen));
		dl_wr16(out + l4 + 6, 0xffff); /* nonzero: fix_csums computes it */
	}
	for (uint32_t i = 0; i < k->paylen; i++)
		out[l4 + hl + i] = (uint8_t)('a' + i % 26);
	len = l4 + hl + k->paylen;
	if (dl_pkt_parse(out, len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(out, len, &pi);
	return len;
}

static struct pk tcp4(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport, uint16_t flags,
		      uint32_t seq, uint32_t paylen)
{
	struct pk k = {.fam = 4, .src = src, .dst = dst, .proto = DL_IPPROTO_TCP, .sport = sport, .dport = dport,
		       .flags = flags, .seq = seq, .ack = flags & DL_TCP_ACK ? 1 : 0, .paylen = paylen, .ip_id = 0x1234};
	return k;
}

static struct pk udp4(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport, uint32_t paylen)
{
	struct pk k = {.fam = 4, .src = src, .dst = dst, .proto = DL_IPPROTO_UDP, .sport = sport, .dport = dport,
		       .paylen = paylen, .ip_id = 0x4321};
	return k;
}

static struct pk tcp6(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport, uint16_t flags,
		      uint32_t seq, uint32_t paylen)
{
	struct pk k = tcp4(src, dst, sport, dport, flags, seq, paylen);
	k.fam = 6;
	return k;
}

static struct pk udp6(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport, uint32_t paylen)
{
	struct pk k = udp4(src, dst, sport, dport, paylen);
	k.fam = 6;
	return k;
}

/* ---- the world ---- */

struct world {
	struct dl_cluster *c;
	uint32_t lb, bn, client, client2, pod, pod2, lpod;
	uint32_t next_id;          /* input packet ids */
	int64_t ts;
};

static struct dl_cluster_config mkcfg(enum dl_lb_mode mode, enum dl_dsr_dispatch dispatch)
{
	struct dl_cluster_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.dispatch = dispatch;
	cfg.accel = DL_ACCEL_DISABLED;
	cfg.reject_no_backend = false;
	cfg.pmtu_discovery = true;
	cfg.nat_port_min = 32768;
	cfg.nat_port_max = 65535;
	cfg.profile.era = DL_DSR_ERA_V1_15;
	cfg.profile.opt_order = DL_DSR_OPT_ORDER_LEGACY;
	cfg.profile.snat_retries = 128;
	dl_ct_config_init(&cfg.ct, 21600);
	cfg.lb.max_services = 1024;
	cfg.lb.maglev_m = 251;
	cfg.lb.default_algorithm = DL_LB_ALG_RANDOM;
	cfg.ct_tcp_max = 4096;
	cfg.ct_any_max = 4096;
	cfg.nat_max = 4096;
	cfg.frag_max = 64;
	cfg.seed = 7;
	cfg.responder = DL_RESPOND_ECHO;
	return cfg;
}

static uint32_t add_host(struct world *w, enum dl_host_kind kind, const char *name, uint8_t macid, const uint8_t *v4,
			 const uint8_t *v6, uint32_t node)
{
	struct dl_host_config h = tu_host_config(kind, name, macid, v4, v6, node, 1500);
	int id = dl_cluster_add_host(w->c, &h);

	CHECK(id >= 0);
	return (uint32_t)id;
}

static void add_be(struct world *w, uint32_t id, uint8_t fam, const uint8_t *addr, uint8_t proto, uint32_t host)
{
	struct dl_lb_backend be;

	memset(&be, 0, sizeof(be));
	memcpy(be.addr, addr, fam == 6 ? 16 : 4);
	be.port = POD_PORT;
	be.proto = proto;
	be.family = fam;
	be.host = host;
	CHECK_EQ(dl_cluster_add_backend(w->c, w->lb, id, &be), 0);
	CHECK_EQ(dl_cluster_add_backend(w->c, w->bn, id, &be), 0);
}

/* The control plane's per-service forwarding mode (recent main): TCP frontends get
 * SVC_FLAG_FWD_MODE_DSR when set, as hybrid or the forwarding-mode annotation would. */
static bool g_fwd_dsr_tcp;

/* A frontend on both nodes; routed to the LB node when route is set. */
static void add_svc(struct world *w, uint8_t fam, const uint8_t *addr, uint16_t port, uint8_t proto, uint16_t flags,
		    uint32_t revnat, const uint32_t *ids, uint16_t n, bool route)
{
	struct dl_lb_key k;
	struct dl_lb_service s;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, fam == 6 ? 16 : 4);
	k.port = port;
	k.proto = proto;
	k.scope = DL_LB_SCOPE_EXT;
	k.family = fam;
	memset(&s, 0, sizeof(s));
	s.rev_nat_index = revnat;
	s.count = n;
	s.flags = flags;
	if (g_fwd_dsr_tcp && proto == DL_IPPROTO_TCP)
		s.flags2 = DL_SVC_FLAG2_FWD_MODE_DSR;
	s.algorithm = DL_LB_ALG_RANDOM;
	CHECK_EQ(dl_cluster_add_service(w->c, w->lb, &k, &s, ids, NULL), 0);
	CHECK_EQ(dl_cluster_add_service(w->c, w->bn, &k, &s, ids, NULL), 0);
	if (route) {
		struct dl_frontend_route r;
		memset(&r, 0, sizeof(r));
		r.family = fam;
		memcpy(r.addr, addr, fam == 6 ? 16 : 4);
		r.node = w->lb;
		CHECK_EQ(dl_cluster_add_frontend_route(w->c, &r), 0);
	}
}

#define F_LB (DL_SVC_FLAG_LOADBALANCER | DL_SVC_FLAG_ROUTABLE)
#define F_NP (DL_SVC_FLAG_NODEPORT | DL_SVC_FLAG_ROUTABLE)

static void world_init(struct world *w, const struct dl_cluster_config *cfg)
{
	char err[128];
	static const uint32_t be_tcp[] = {1}, be_udp[] = {2}, be_ltcp[] = {3}, be_ludp[] = {4}, be_two[] = {2, 5},
			      be6_tcp[] = {6}, be6_udp[] = {7};

	memset(w, 0, sizeof(*w));
	w->c = dl_cluster_new(cfg, err, sizeof(err));
	CHECK(w->c != NULL);
	if (!w->c) {
		fprintf(stderr, "dl_cluster_new: %s\n", err);
		exit(2);
	}
	w->lb = add_host(w, DL_HOST_NODE, "node-a", 0x11, IP_LB, IP6_LB, 0);
	w->bn = add_host(w, DL_HOST_NODE, "node-b", 0x12, IP_BN, IP6_BN, 0);
	w->client = add_host(w, DL_HOST_CLIENT, "client", 0x07, IP_CLIENT, IP6_CLIENT, 0);
	w->client2 = add_host(w, DL_HOST_CLIENT, "client2", 0x08, IP_CLIENT2, NULL, 0);
	w->pod = add_host(w, DL_HOST_POD, "web-0", 0x25, IP_POD, IP6_POD, w->bn);
	w->pod2 = add_host(w, DL_HOST_POD, "web-1", 0x26, IP_POD2, NULL, w->bn);
	w->lpod = add_host(w, DL_HOST_POD, "local-0", 0x15, IP_LPOD, NULL, w->lb);

	add_be(w, 1, 4, IP_POD, DL_IPPROTO_TCP, w->pod);
	add_be(w, 2, 4, IP_POD, DL_IPPROTO_UDP, w->pod);
	add_be(w, 3, 4, IP_LPOD, DL_IPPROTO_TCP, w->lpod);
	add_be(w, 4, 4, IP_LPOD, DL_IPPROTO_UDP, w->lpod);
	add_be(w, 5, 4, IP_POD2, DL_IPPROTO_UDP, w->pod2);
	add_be(w, 6, 6, IP6_POD, DL_IPPROTO_TCP, w->pod);
	add_be(w, 7, 6, IP6_POD, DL_IPPROTO_UDP, w->pod);

	add_svc(w, 4, IP_VIP, SVC_PORT, DL_IPPROTO_TCP, F_LB, 1, be_tcp, 1, true);
	add_svc(w, 4, IP_VIP, SVC_PORT, DL_IPPROTO_UDP, F_LB, 2, be_udp, 1, false);
	add_svc(w, 4, IP_LB, NODEPORT, DL_IPPROTO_TCP, F_NP, 3, be_tcp, 1, false);
	add_svc(w, 4, IP_BN, NODEPORT, DL_IPPROTO_TCP, F_NP, 4, be_tcp, 1, false);
	add_svc(w, 4, IP_CIP, SVC_PORT, DL_IPPROTO_TCP, 0, 5, be_tcp, 1, true);
	add_svc(w, 4, IP_VIP_LOCAL, SVC_PORT, DL_IPPROTO_TCP, F_LB, 6, be_ltcp, 1, true);
	add_svc(w, 4, IP_VIP_LOCAL, SVC_PORT, DL_IPPROTO_UDP, F_LB, 7, be_ludp, 1, false);
	add_svc(w, 4, IP_VIP_EMPTY, SVC_PORT, DL_IPPROTO_TCP, F_LB, 8, NULL, 0, true);
	add_svc(w, 4, IP_VIP_TWO, SVC_PORT, DL_IPPROTO_UDP, F_LB, 9, be_two, 2, true);
	add_svc(w, 6, IP6_VIP, SVC_PORT, DL_IPPROTO_TCP, F_LB, 10, be6_tcp, 1, true);
	add_svc(w, 6, IP6_VIP, SVC_PORT, DL_IPPROTO_UDP, F_LB, 11, be6_udp, 1, false);
	add_svc(w, 6, IP6_VIP_EMPTY, SVC_PORT, DL_IPPROTO_TCP, F_LB, 12, NULL, 0, true);
	w->ts = 1700000000;
}

static void world_free(struct world *w)
{
	dl_cluster_free(w->c);
	w->c = NULL;
}

/* ---- running and the event log ---- */

#define MAX_EV 16384u
#define ARENA_SIZE (16u << 20)

static struct dl_event g_ev[MAX_EV];
static uint8_t *g_arena;
static struct dl_out g_out;
static uint32_t g_inputs[256], g_n_inputs;
static bool g_verbose;

static void log_reset(void)
{
	memset(&g_out, 0, sizeof(g_out));
	g_out.events = g_ev;
	g_out.max_events = MAX_EV;
	g_out.arena = g_arena;
	g_out.arena_size = ARENA_SIZE;
	g_n_inputs = 0;
}

static const char *pt_name(int p)
{
	static const char *n[] = {"?", "WIRE_TX", "WIRE_RX", "TAP_RX", "TAP_TX", "XDP", "TC_IN", "TC_EG",
				  "LXC_EG", "LXC_IN", "STACK", "POD", "CLIENT"};
	return p >= 0 && p < (int)DL_ARRAY_SIZE(n) ? n[p] : "?";
}

static void dump_log(void)
{
	static const char *vn[] = {"SEEN", "PASS", "XLATE", "TX", "REDIR", "DROP", "DELIV", "STACK", "ANSWER"};
	for (uint32_t i = 0; i < g_out.n_events; i++) {
		const struct dl_event *e = &g_ev[i];
		struct dl_pkt_info pi;
		char a[64] = "", b[64] = "";
		int rc = dl_pkt_parse(g_arena + e->off, e->len, DL_LINKTYPE_ETHERNET, &pi);
		if (rc == DL_PARSE_OK && dl_pkt_is_ip(&pi)) {
			if (pi.l3 == DL_L3_IPV4) {
				snprintf(a, sizeof(a), "%u.%u.%u.%u:%u", pi.src[0], pi.src[1], pi.src[2], pi.src[3], pi.sport);
				snprintf(b, sizeof(b), "%u.%u.%u.%u:%u", pi.dst[0], pi.dst[1], pi.dst[2], pi.dst[3], pi.dport);
			} else {
				snprintf(a, sizeof(a), "v6..%02x:%u", pi.src[15], pi.sport);
				snprintf(b, sizeof(b), "v6..%02x:%u", pi.dst[15], pi.dport);
			}
		}
		fprintf(stderr, "  %08x/%08x h%-2u %-8s %-6s fl=%02x drop=%d len=%u %s > %s proto=%u ttl=%u l3=%u\n", e->pkt,
			e->parent, e->host, pt_name(e->point), e->verdict < 9 ? vn[e->verdict] : "?", e->flags, e->drop, e->len,
			a, b, pi.l4_proto, pi.ttl, pi.l3_len);
	}
}

/* Runs one frame from host; returns its packet id. */
static uint32_t send_frame(struct world *w, uint32_t host, const uint8_t *frame, uint32_t len)
{
	struct dl_in_packet p;
	uint32_t done;

	memset(&p, 0, sizeof(p));
	p.data = frame;
	p.len = len;
	p.host = host;
	p.ts_sec = w->ts++;
	p.id = w->next_id++;
	p.linktype = DL_LINKTYPE_ETHERNET;
	done = dl_cluster_run(w->c, &p, 1, &g_out);
	CHECK_EQ(done, 1);
	if (g_n_inputs < DL_ARRAY_SIZE(g_inputs))
		g_inputs[g_n_inputs++] = p.id;
	return p.id;
}

static uint32_t send_pk(struct world *w, uint32_t host, const struct pk *k)
{
	uint8_t frame[70000];
	uint32_t len = mk(frame, k);
	return send_frame(w, host, frame, len);
}

static const struct dl_event *ev_find(uint32_t pkt, uint32_t host, int point, uint32_t nth)
{
	for (uint32_t i = 0; i < g_out.n_events; i++) {
		const struct dl_event *e = &g_ev[i];
		if (e->pkt == pkt && (host == UINT32_MAX || e->host == host) && (point < 0 || e->point == point) && nth-- == 0)
			return e;
	}
	return NULL;
}

static uint32_t ev_count(uint32_t pkt, uint32_t host, int point)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < g_out.n_events; i++) {
		const struct dl_event *e = &g_ev[i];
		if (e->pkt == pkt && (host == UINT32_MAX || e->host == host) && (point < 0 || e->point == point))
			n++;
	}
	return n;
}

static const struct dl_event *ev_final(uint32_t pkt)
{
	for (uint32_t i = 0; i < g_out.n_events; i++)
		if (g_ev[i].pkt == pkt && (g_ev[i].flags & DL_EVF_FINAL))
			return &g_ev[i];
	return NULL;
}

/* The nth packet the emulation made in answer to pkt (echo replies), or UINT32_MAX. */
static uint32_t made_for(uint32_t pkt, uint32_t nth)
{
	uint32_t last = UINT32_MAX;
	for (uint32_t i = 0; i < g_out.n_events; i++) {
		const struct dl_event *e = &g_ev[i];
		if (e->parent == pkt && e->pkt != pkt && e->pkt != last) {
			last = e->pkt;
			if (nth-- == 0)
				return e->pkt;
		}
	}
	return UINT32_MAX;
}

static bool ev_pi(const struct dl_event *e, struct dl_pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	return e && dl_pkt_parse(g_arena + e->off, e->len, DL_LINKTYPE_ETHERNET, pi) == DL_PARSE_OK && dl_pkt_is_ip(pi);
}

static const uint8_t *ev_bytes(const struct dl_event *e) { return g_arena + e->off; }

/* Delivered to host at its final point (POD or CLIENT)? */
static bool delivered_to(uint32_t pkt, uint32_t host)
{
	const struct dl_event *f = ev_final(pkt);
	return f && f->host == host && f->verdict == DL_V_DELIVERED;
}

static bool dropped_with(uint32_t pkt, int32_t reason)
{
	const struct dl_event *f = ev_final(pkt);
	return f && f->verdict == DL_V_DROPPED && f->drop == reason;
}

static bool addr_eq(const uint8_t *a, const uint8_t *b, uint8_t fam) { return !memcmp(a, b, fam == 6 ? 16 : 4); }

/* The invariants every log must satisfy: every frame parses and has valid checksums (a Geneve
 * frame's inner frame too); no frame leaves a host's link larger than its MTU (1500 everywhere
 * here); every packet has exactly one FINAL event and nothing after it; every input has one.
 * With hostile input only the last two hold (garbage in, garbage carried). */
static void check_log(bool hostile)
{
	uint32_t bad_parse = 0, bad_csum = 0, bad_mtu = 0, bad_final = 0, after_final = 0;

	for (uint32_t i = 0; i < g_out.n_events; i++) {
		const struct dl_event *e = &g_ev[i];
		struct dl_pkt_info pi;
		int rc = dl_pkt_parse(g_arena + e->off, e->len, DL_LINKTYPE_ETHERNET, &pi);

		if (rc != DL_PARSE_OK || !dl_pkt_is_ip(&pi)) {
			if (!hostile) {
				bad_parse++;
				fprintf(stderr, "event %u: frame does not parse (%s)\n", i, pi.err);
			}
		} else if (!hostile) {
			if (dl_pkt_verify_csums(g_arena + e->off, e->len, &pi) & DL_CSUM_BAD_MASK) {
				bad_csum++;
				fprintf(stderr, "event %u (pkt %08x %s h%u): bad checksum\n", i, e->pkt, pt_name(e->point), e->host);
			}
			if (dl_pkt_is_geneve(&pi)) {
				uint32_t goff = pi.l4_off + 8, inner;
				struct dl_pkt_info ip2;
				if (goff + 8 <= e->len) {
					inner = goff + 8 + (uint32_t)(g_arena[e->off + goff] & 0x3f) * 4;
					if (inner < e->len &&
					    dl_pkt_parse(g_arena + e->off + inner, e->len - inner, DL_LINKTYPE_ETHERNET, &ip2) == DL_PARSE_OK) {
						if (dl_pkt_verify_csums(g_arena + e->off + inner, e->len - inner, &ip2) & DL_CSUM_BAD_MASK) {
							bad_csum++;
							fprintf(stderr, "event %u: bad inner checksum\n", i);
						}
					} else {
						bad_parse++;
						fprintf(stderr, "event %u: Geneve inner frame does not parse\n", i);
					}
				}
			}
			if (e->point == DL_PT_WIRE_TX && e->verdict == DL_V_SEEN && pi.l3_len > 1500) {
				bad_mtu++;
				fprintf(stderr, "event %u (pkt %08x h%u): %u bytes left on a 1500 link\n", i, e->pkt, e->host, pi.l3_len);
			}
		}
		if (e->flags & DL_EVF_FINAL) {
			for (uint32_t j = 0; j < i; j++)
				if (g_ev[j].pkt == e->pkt && (g_ev[j].flags & DL_EVF_FINAL)) {
					bad_final++;
					fprintf(stderr, "pkt %08x: a second FINAL event (%u)\n", e->pkt, i);
					break;
				}
		} else {
			for (uint32_t j = 0; j < i; j++)
				if (g_ev[j].pkt == e->pkt && (g_ev[j].flags & DL_EVF_FINAL)) {
					after_final++;
					fprintf(stderr, "pkt %08x: event %u after its FINAL\n", e->pkt, i);
					break;
				}
		}
		/* a packet that was made has a FINAL event too */
		if (!ev_final(e->pkt)) {
			bad_final++;
			fprintf(stderr, "pkt %08x: no FINAL event\n", e->pkt);
		}
	}
	for (uint32_t k = 0; k < g_n_inputs; k++)
		if (!ev_final(g_inputs[k])) {
			bad_final++;
			fprintf(stderr, "input %u: no FINAL event\n", g_inputs[k]);
		}
	CHECK_EQ(bad_parse, 0);
	CHECK_EQ(bad_csum, 0);
	CHECK_EQ(bad_mtu, 0);
	CHECK_EQ(bad_final, 0);
	CHECK_EQ(after_final, 0);
	CHECK(!g_out.full);
	if (g_verbose || bad_parse || bad_csum || bad_mtu || bad_final || after_final)
		dump_log();
}

/* Does any event of pkt happen on host? */
static bool touches(uint32_t pkt, uint32_t host) { return ev_count(pkt, host, -1) > 0; }


/* Is the frame fam src:sport > dst:dport? (ports not checked when 0) */
static bool flow_is(const struct dl_pkt_info *pi, uint8_t fam, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		    uint16_t dport)
{
	if (pi->l3 != (fam == 6 ? DL_L3_IPV6 : DL_L3_IPV4))
		return false;
	return addr_eq(pi->src, src, fam) && addr_eq(pi->dst, dst, fam) && (!sport || pi->sport == sport) &&
	       (!dport || pi->dport == dport);
}

/* ---- SNAT (§5, §15) ---- */

static void snat_one(struct world *w, uint8_t fam, uint8_t proto, uint16_t cport)
{
	const uint8_t *client = fam == 6 ? IP6_CLIENT : IP_CLIENT, *vip = fam == 6 ? IP6_VIP : IP_VIP,
		      *lb = fam == 6 ? IP6_LB : IP_LB, *pod = fam == 6 ? IP6_POD : IP_POD;
	struct pk k = proto == DL_IPPROTO_TCP ? tcp4(client, vip, cport, SVC_PORT, DL_TCP_SYN, 1000, 0)
					      : udp4(client, vip, cport, SVC_PORT, 64);
	const struct dl_event *e;
	struct dl_pkt_info pi;
	uint32_t id, r;

	k.fam = fam;
	id = send_pk(w, w->client, &k);
	CHECK(delivered_to(id, w->pod));
	/* LB → backend: src = LB node address, port kept when in [32768, 65535], dst pod:8080, TTL 63 */
	e = ev_find(id, w->lb, DL_PT_WIRE_TX, 0);
	CHECK(e && e->peer == w->bn);
	CHECK(ev_pi(e, &pi));
	CHECK(flow_is(&pi, fam, lb, 0, pod, POD_PORT));
	if (cport >= 32768)
		CHECK_EQ(pi.sport, cport);
	else
		CHECK(pi.sport >= 32768 && pi.sport != cport);
	CHECK_EQ(pi.ttl, 63);
	CHECK_EQ(pi.l4_proto, proto);
	e = ev_find(id, w->lb, DL_PT_TC_INGRESS, 0);
	CHECK(e && (e->flags & DL_EVF_SNAT) && !(e->flags & DL_EVF_DSR) && e->nat_port == pi.sport && e->backend != 0);
	/* the pod sees the node's address */
	CHECK(ev_pi(ev_find(id, w->pod, DL_PT_POD, 0), &pi));
	CHECK(addr_eq(pi.src, lb, fam));
	/* the reply goes back through the LB and reaches the client from VIP:80 with its port */
	r = made_for(id, 0);
	CHECK(r != UINT32_MAX);
	CHECK(delivered_to(r, w->client));
	CHECK(touches(r, w->lb));
	e = ev_find(r, w->bn, DL_PT_WIRE_TX, 0);
	CHECK(e && e->peer == w->lb);
	e = ev_find(r, w->client, DL_PT_WIRE_RX, 0);
	CHECK(e && e->peer == w->lb);
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, fam, vip, SVC_PORT, client, cport));
	if (proto == DL_IPPROTO_TCP) {
		CHECK_EQ(pi.tcp_flags, DL_TCP_SYN | DL_TCP_ACK);
		CHECK_EQ(pi.tcp_ack, 1001);
	}
}

static void test_snat(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);

	world_init(&w, &cfg);
	log_reset();
	snat_one(&w, 4, DL_IPPROTO_TCP, 40000);
	snat_one(&w, 4, DL_IPPROTO_TCP, 1234);
	snat_one(&w, 4, DL_IPPROTO_UDP, 40001);
	snat_one(&w, 4, DL_IPPROTO_UDP, 5353);
	snat_one(&w, 6, DL_IPPROTO_TCP, 40002);
	snat_one(&w, 6, DL_IPPROTO_UDP, 999);
	check_log(false);
	world_free(&w);
}

/* NodePort on the LB node's own address: SNAT, and the reply comes from nodeIP:nodePort. */
static void test_nodeport(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct pk k = tcp4(IP_CLIENT, IP_LB, 41000, NODEPORT, DL_TCP_SYN, 5, 0);
	struct dl_pkt_info pi;
	uint32_t id, r;

	world_init(&w, &cfg);
	log_reset();
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK(ev_pi(ev_find(id, w.pod, DL_PT_POD, 0), &pi));
	CHECK(flow_is(&pi, 4, IP_LB, 41000, IP_POD, POD_PORT));
	r = made_for(id, 0);
	CHECK(delivered_to(r, w.client));
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, 4, IP_LB, NODEPORT, IP_CLIENT, 41000));
	check_log(false);
	world_free(&w);
}

/* ---- DSR with the IPv4 option (§1) and the IPv6 extension header (§2) ---- */

/* The request's frame on the LB → backend wire. */
static bool lb_out(struct world *w, uint32_t id, struct dl_pkt_info *pi, const uint8_t **bytes)
{
	const struct dl_event *e = ev_find(id, w->lb, DL_PT_WIRE_TX, 0);
	if (!e || !ev_pi(e, pi))
		return false;
	if (bytes)
		*bytes = ev_bytes(e);
	return e->peer == w->bn;
}

/* A DSR reply: delivered to the client from vip:80, straight from the backend node, never on
 * the LB node. */
static void check_dsr_reply(struct world *w, uint32_t r, uint8_t fam, uint16_t cport)
{
	const struct dl_event *e;
	struct dl_pkt_info pi;

	CHECK(r != UINT32_MAX);
	CHECK(delivered_to(r, w->client));
	CHECK(!touches(r, w->lb));
	e = ev_find(r, w->bn, DL_PT_WIRE_TX, 0);
	CHECK(e && e->peer == w->client);
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, fam, fam == 6 ? IP6_VIP : IP_VIP, SVC_PORT, fam == 6 ? IP6_CLIENT : IP_CLIENT, cport));
}

static void test_dsr_opt4(enum dl_dsr_era era, enum dl_dsr_opt_order order)
{
	static const uint8_t legacy[8] = {0x9a, 0x08, 0x50, 0x00, 0x0a, 0x64, 0x33, 0xc6};
	static const uint8_t network[8] = {0x9a, 0x08, 0x00, 0x50, 0xc6, 0x33, 0x64, 0x0a};
	const uint8_t *want = order == DL_DSR_OPT_ORDER_LEGACY ? legacy : network, *b;
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	const struct dl_event *e;
	uint32_t id, r;

	cfg.profile.era = era;
	cfg.profile.opt_order = order;
	world_init(&w, &cfg);
	log_reset();

	/* SYN: DNATed, option right after the base header, ihl 7, tot_len + 8 */
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1000, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, &b));
	CHECK(flow_is(&pi, 4, IP_CLIENT, 40000, IP_POD, POD_PORT));
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK_EQ(pi.l3_len, 48);
	CHECK_EQ(pi.ttl, 63);
	CHECK(!memcmp(b + pi.l3_off + 20, want, 8));
	e = ev_find(id, w.lb, DL_PT_TC_INGRESS, 0);
	CHECK(e && (e->flags & DL_EVF_DSR) && !(e->flags & DL_EVF_SNAT));
	/* the pod sees the client, and the option is not stripped (§1.6.3) */
	CHECK(delivered_to(id, w.pod));
	CHECK(ev_pi(ev_find(id, w.pod, DL_PT_POD, 0), &pi));
	CHECK(flow_is(&pi, 4, IP_CLIENT, 40000, IP_POD, POD_PORT));
	CHECK_EQ(pi.l3_hdr_len, 28);
	r = made_for(id, 0);
	check_dsr_reply(&w, r, 4, 40000);

	/* data: no option, still matched by the backend's dsr CT entry */
	for (int i = 0; i < 2; i++) {
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001 + 100 * (uint32_t)i, 100);
		id = send_pk(&w, w.client, &k);
		CHECK(lb_out(&w, id, &pi, NULL));
		CHECK_EQ(pi.l3_hdr_len, 20);
		CHECK_EQ(pi.l3_len, 140);
		CHECK(flow_is(&pi, 4, IP_CLIENT, 40000, IP_POD, POD_PORT));
		CHECK(!(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0)->flags & DL_EVF_DSR));
		CHECK(delivered_to(id, w.pod));
		check_dsr_reply(&w, made_for(id, 0), 4, 40000);
	}

	/* UDP: every datagram carries the option */
	for (int i = 0; i < 3; i++) {
		k = udp4(IP_CLIENT, IP_VIP, 41000, SVC_PORT, 32);
		id = send_pk(&w, w.client, &k);
		CHECK(lb_out(&w, id, &pi, &b));
		CHECK_EQ(pi.l3_hdr_len, 28);
		CHECK_EQ(pi.l3_len, 20 + 8 + 8 + 32);
		CHECK(!memcmp(b + pi.l3_off + 20, want, 8));
		CHECK(flow_is(&pi, 4, IP_CLIENT, 41000, IP_POD, POD_PORT));
		CHECK(delivered_to(id, w.pod));
		check_dsr_reply(&w, made_for(id, 0), 4, 41000);
	}
	check_log(false);
	world_free(&w);
}

static void test_dsr_v6(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	const uint8_t *b;
	uint8_t want[24];
	uint32_t id;

	world_init(&w, &cfg);
	log_reset();
	/* §2.1: next header, hdr ext len 2, option 0x1b length 20, VIP, port, 2 pad bytes */
	want[0] = DL_IPPROTO_TCP;
	want[1] = 2;
	want[2] = 0x1b;
	want[3] = 20;
	memcpy(want + 4, IP6_VIP, 16);
	want[20] = 0x00;
	want[21] = 0x50;
	want[22] = want[23] = 0;

	k = tcp6(IP6_CLIENT, IP6_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1000, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, &b));
	CHECK(flow_is(&pi, 6, IP6_CLIENT, 40000, IP6_POD, POD_PORT));
	CHECK_EQ(b[pi.l3_off + 6], DL_IPPROTO_DSTOPTS);
	CHECK_EQ(dl_rd16(b + pi.l3_off + 4), 20 + 24);
	CHECK(!memcmp(b + pi.l3_off + 40, want, 24));
	CHECK_EQ(pi.ttl, 63);
	CHECK(delivered_to(id, w.pod));
	CHECK(ev_pi(ev_find(id, w.pod, DL_PT_POD, 0), &pi));
	CHECK(addr_eq(pi.src, IP6_CLIENT, 6));
	check_dsr_reply(&w, made_for(id, 0), 6, 40000);

	k = tcp6(IP6_CLIENT, IP6_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 50);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, &b));
	CHECK_EQ(b[pi.l3_off + 6], DL_IPPROTO_TCP);
	CHECK_EQ(pi.l3_len, 40 + 20 + 50);
	CHECK(delivered_to(id, w.pod));
	check_dsr_reply(&w, made_for(id, 0), 6, 40000);

	k = udp6(IP6_CLIENT, IP6_VIP, 41000, SVC_PORT, 10);
	id = send_pk(&w, w.client, &k);
	want[0] = DL_IPPROTO_UDP;
	CHECK(lb_out(&w, id, &pi, &b));
	CHECK(!memcmp(b + pi.l3_off + 40, want, 24));
	CHECK(delivered_to(id, w.pod));
	check_dsr_reply(&w, made_for(id, 0), 6, 41000);
	check_log(false);
	world_free(&w);
}

/* Hybrid (§6): TCP as DSR, UDP as SNAT. */
static void test_hybrid(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_HYBRID, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t id, r;

	world_init(&w, &cfg);
	log_reset();
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK(addr_eq(pi.src, IP_CLIENT, 4));
	check_dsr_reply(&w, made_for(id, 0), 4, 40000);

	k = udp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, 20);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_hdr_len, 20);
	CHECK(addr_eq(pi.src, IP_LB, 4));
	CHECK(delivered_to(id, w.pod));
	r = made_for(id, 0);
	CHECK(delivered_to(r, w.client));
	CHECK(touches(r, w.lb));
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 40000));
	check_log(false);
	world_free(&w);
}

/* ---- IPIP and Geneve dispatch (§3) ---- */

static void test_ipip(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_IPIP);
	struct pk k;
	struct dl_pkt_info pi, in;
	const uint8_t *b;
	uint32_t id, inner;

	world_init(&w, &cfg);
	log_reset();
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1000, 0);
		else
			k = udp4(IP_CLIENT, IP_VIP, 40001, SVC_PORT, 40);
		id = send_pk(&w, w.client, &k);
		/* outer: LB node → backend, protocol 4, TTL 64 less the FIB hop, DF copied, tot_len +20 */
		CHECK(lb_out(&w, id, &pi, &b));
		CHECK_EQ(pi.l4_proto, DL_IPPROTO_IPIP);
		CHECK(addr_eq(pi.src, IP_LB, 4));
		CHECK(addr_eq(pi.dst, IP_POD, 4));
		CHECK_EQ(pi.ttl, 63);
		CHECK(pi.df);
		CHECK_EQ(pi.l3_hdr_len, 20);
		CHECK_EQ(pi.l3_len, 20u + 20u + (i == 0 ? 20u : 48u));
		/* inner: the client's packet untouched (dst VIP:80, TTL 64) */
		inner = pi.l3_off + 20;
		CHECK(dl_pkt_parse(b + inner, pi.l3_len - 20, DL_LINKTYPE_IPV4, &in) == DL_PARSE_OK);
		CHECK(flow_is(&in, 4, IP_CLIENT, i == 0 ? 40000 : 40001, IP_VIP, SVC_PORT));
		CHECK_EQ(in.ttl, 64);
		CHECK((dl_pkt_verify_csums(b + inner, pi.l3_len - 20, &in) & DL_CSUM_BAD_MASK) == 0);
		CHECK(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0)->flags & DL_EVF_DSR);
		/* the backend node decapsulates; the pod gets the client's packet and answers from
		 * the VIP straight to the client */
		CHECK(delivered_to(id, w.pod));
		CHECK(ev_pi(ev_find(id, w.pod, DL_PT_POD, 0), &pi));
		CHECK(flow_is(&pi, 4, IP_CLIENT, i == 0 ? 40000 : 40001, IP_VIP, SVC_PORT));
		check_dsr_reply(&w, made_for(id, 0), 4, i == 0 ? 40000 : 40001);
	}
	check_log(false);
	world_free(&w);
}

/* The Geneve header and DSR option of a frame on the wire: returns the inner frame offset. */
static uint32_t geneve_check(const uint8_t *b, const struct dl_pkt_info *pi, uint8_t fam, bool with_opt)
{
	uint32_t g = pi->l4_off + 8, optlen = with_opt ? (fam == 6 ? 24 : 12) : 0;

	CHECK_EQ(pi->l4_proto, DL_IPPROTO_UDP);
	CHECK_EQ(pi->dport, DL_TUNNEL_PORT);
	CHECK_EQ(dl_rd16(b + pi->l4_off + 6), 0); /* BPF_F_ZERO_CSUM_TX */
	CHECK_EQ(b[g], optlen / 4);                /* version 0, option length */
	CHECK_EQ(b[g + 1], 0);
	CHECK_EQ(dl_rd16(b + g + 2), DL_GENEVE_PROTO_TEB);
	CHECK(b[g + 4] == 0 && b[g + 5] == 0 && b[g + 6] == DL_WORLD_ID);
	if (with_opt) {
		CHECK_EQ(dl_rd16(b + g + 8), 0x014b);
		CHECK_EQ(b[g + 10], 0x81);
		CHECK_EQ(b[g + 11] & 0x1f, fam == 6 ? 5 : 2);
		if (fam == 6) {
			CHECK(!memcmp(b + g + 12, IP6_VIP, 16));
			CHECK_EQ(dl_rd16(b + g + 28), SVC_PORT);
		} else {
			CHECK(!memcmp(b + g + 12, IP_VIP, 4));
			CHECK_EQ(dl_rd16(b + g + 16), SVC_PORT);
			CHECK_EQ(dl_rd16(b + g + 18), 0);
		}
	}
	return g + 8 + optlen;
}

static void test_geneve(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_GENEVE);
	struct pk k;
	struct dl_pkt_info pi, in;
	const uint8_t *b;
	uint32_t id, inner;

	world_init(&w, &cfg);
	log_reset();
	for (int i = 0; i < 5; i++) {
		uint8_t fam = i >= 3 ? 6 : 4;
		bool opt = i != 1; /* the TCP data segment goes without the option */
		uint16_t cport = (uint16_t)(i == 2 ? 40001 : 40000);
		const uint8_t *cl = fam == 6 ? IP6_CLIENT : IP_CLIENT, *vip = fam == 6 ? IP6_VIP : IP_VIP;

		switch (i) {
		case 0: k = tcp4(cl, vip, cport, SVC_PORT, DL_TCP_SYN, 1000, 0); break;
		case 1: k = tcp4(cl, vip, cport, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 30); break;
		case 2: k = udp4(cl, vip, cport, SVC_PORT, 30); break;
		case 3: k = tcp6(cl, vip, cport, SVC_PORT, DL_TCP_SYN, 1000, 0); break;
		default: k = udp6(cl, vip, cport, SVC_PORT, 30); break;
		}
		id = send_pk(&w, w.client, &k);
		/* outer IPv4 (also under an IPv6 inner packet): LB node → backend node */
		CHECK(lb_out(&w, id, &pi, &b));
		CHECK_EQ(pi.l3, DL_L3_IPV4);
		CHECK(addr_eq(pi.src, IP_LB, 4));
		CHECK(addr_eq(pi.dst, IP_BN, 4));
		CHECK_EQ(pi.ttl, 63);
		inner = geneve_check(b, &pi, fam, opt);
		/* inner: the DNATed packet, TTL not decremented */
		CHECK(dl_pkt_parse(b + inner, pi.l3_off + pi.l3_len - inner, DL_LINKTYPE_ETHERNET, &in) == DL_PARSE_OK);
		CHECK(flow_is(&in, fam, cl, cport, fam == 6 ? IP6_POD : IP_POD, POD_PORT));
		CHECK_EQ(in.ttl, 64);
		CHECK_EQ(!!(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0)->flags & DL_EVF_DSR), opt);
		/* the backend decapsulates and delivers; the reply goes straight to the client */
		CHECK(delivered_to(id, w.pod));
		CHECK(ev_pi(ev_find(id, w.pod, DL_PT_POD, 0), &pi));
		CHECK(flow_is(&pi, fam, cl, cport, fam == 6 ? IP6_POD : IP_POD, POD_PORT));
		check_dsr_reply(&w, made_for(id, 0), fam, cport);
	}
	check_log(false);
	world_free(&w);
}

/* ---- MTU (§4) ---- */

static void test_mtu_pmtu(enum dl_dsr_era era)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	const struct dl_event *f;
	uint32_t id;

	cfg.profile.era = era;
	world_init(&w, &cfg);
	log_reset();
	/* a full-size UDP datagram: exactly one frag-needed with MTU 1500 - 8, back to the client */
	k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1472);
	id = send_pk(&w, w.client, &k);
	f = ev_final(id);
	CHECK(delivered_to(id, w.client));
	CHECK(ev_pi(f, &pi));
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMP);
	CHECK_EQ(pi.icmp_type, 3);
	CHECK_EQ(pi.icmp_code, 4);
	CHECK_EQ(pi.icmp_mtu, 1492);
	CHECK(addr_eq(pi.dst, IP_CLIENT, 4));
	/* v1.15 answers from the packet's current destination (the backend, §4.2 caveat), recent
	 * main from the VIP */
	CHECK(addr_eq(pi.src, era == DL_DSR_ERA_V1_15 ? IP_POD : IP_VIP, 4));
	CHECK(f->flags & DL_EVF_GENERATED);
	CHECK_EQ(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0)->verdict, DL_V_ANSWERED);
	CHECK(!touches(id, w.pod));
	CHECK(!touches(id, w.bn));
	CHECK_EQ(made_for(id, 0), UINT32_MAX);
	CHECK_EQ(ev_count(id, w.client, DL_PT_CLIENT), 1);
	/* a retry at the advertised MTU gets through with the option */
	k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1492 - 28);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_len, 1500);
	CHECK_EQ(pi.l3_hdr_len, 28);
	check_dsr_reply(&w, made_for(id, 0), 4, 42000);
	/* full-size TCP data on an established DSR flow passes untouched */
	k = tcp4(IP_CLIENT, IP_VIP, 43000, SVC_PORT, DL_TCP_SYN, 1000, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	k = tcp4(IP_CLIENT, IP_VIP, 43000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 1460);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_len, 1500);
	CHECK_EQ(pi.l3_hdr_len, 20);
	check_dsr_reply(&w, made_for(id, 0), 4, 43000);

	/* IPv6: packet too big with 1500 - 24 */
	k = udp6(IP6_CLIENT, IP6_VIP, 42000, SVC_PORT, 1452);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.client));
	CHECK(ev_pi(ev_final(id), &pi));
	CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMPV6);
	CHECK_EQ(pi.icmp_type, 2);
	CHECK_EQ(pi.icmp_code, 0);
	CHECK_EQ(pi.icmp_mtu, 1476);
	CHECK(addr_eq(pi.dst, IP6_CLIENT, 6));
	CHECK(!touches(id, w.pod));
	k = udp6(IP6_CLIENT, IP6_VIP, 42000, SVC_PORT, 1476 - 48);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_len, 1500);
	check_log(false);
	world_free(&w);
}

/* Without pmtuDiscovery Cilium adds the option regardless (§4.1); the frame is then larger
 * than the link and cannot leave: dropped as DROP_FRAG_NEEDED at the LB's wire. */
static void test_mtu_no_pmtu(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	const struct dl_event *f;
	uint32_t id;

	cfg.pmtu_discovery = false;
	world_init(&w, &cfg);
	log_reset();
	k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1472);
	id = send_pk(&w, w.client, &k);
	f = ev_final(id);
	CHECK(dropped_with(id, DROP_FRAG_NEEDED));
	CHECK(f && f->host == w.lb && f->point == DL_PT_WIRE_TX);
	CHECK(!touches(id, w.bn));
	CHECK(!touches(id, w.pod));
	CHECK_EQ(ev_count(id, w.client, DL_PT_CLIENT), 0);
	/* what the program made was the 1508-byte frame */
	CHECK(ev_pi(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0), &pi));
	CHECK_EQ(pi.l3_len, 1508);
	/* smaller datagrams and full-size TCP data are fine */
	k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1464);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	k = tcp4(IP_CLIENT, IP_VIP, 43000, SVC_PORT, DL_TCP_SYN, 1000, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	k = tcp4(IP_CLIENT, IP_VIP, 43000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 1460);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	check_log(false);
	world_free(&w);
}

/* ---- no backend, ClusterIP (§8.5, §9.2) ---- */

static void test_no_backend(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t id;

	for (int accel = 0; accel < 2; accel++) {
		cfg.accel = accel ? DL_ACCEL_NATIVE : DL_ACCEL_DISABLED;
		cfg.reject_no_backend = true;
		world_init(&w, &cfg);
		log_reset();
		k = tcp4(IP_CLIENT, IP_VIP_EMPTY, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.client));
		CHECK(ev_pi(ev_final(id), &pi));
		CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMP);
		CHECK_EQ(pi.icmp_type, 3);
		CHECK_EQ(pi.icmp_code, 3);
		CHECK(flow_is(&pi, 4, IP_VIP_EMPTY, 0, IP_CLIENT, 0));
		CHECK(!touches(id, w.bn));
		k = tcp6(IP6_CLIENT, IP6_VIP_EMPTY, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.client));
		CHECK(ev_pi(ev_final(id), &pi));
		CHECK_EQ(pi.l4_proto, DL_IPPROTO_ICMPV6);
		CHECK_EQ(pi.icmp_type, 1);
		CHECK_EQ(pi.icmp_code, 4);
		CHECK(flow_is(&pi, 6, IP6_VIP_EMPTY, 0, IP6_CLIENT, 0));
		check_log(false);
		world_free(&w);

		cfg.reject_no_backend = false;
		world_init(&w, &cfg);
		log_reset();
		k = tcp4(IP_CLIENT, IP_VIP_EMPTY, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(dropped_with(id, DROP_NO_SERVICE));
		CHECK_EQ(ev_final(id)->point, accel ? DL_PT_XDP : DL_PT_TC_INGRESS);
		CHECK(ev_final(id)->host == w.lb);
		/* one fate at the hop: a single event at the program that dropped it */
		CHECK_EQ(ev_count(id, w.lb, accel ? DL_PT_XDP : DL_PT_TC_INGRESS), 1);
		k = tcp6(IP6_CLIENT, IP6_VIP_EMPTY, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(dropped_with(id, DROP_NO_SERVICE));
		check_log(false);
		world_free(&w);
	}
}

static void test_cluster_ip(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct pk k = tcp4(IP_CLIENT, IP_CIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	struct dl_pkt_info pi;
	uint32_t id, r;

	world_init(&w, &cfg);
	log_reset();
	id = send_pk(&w, w.client, &k);
	CHECK(dropped_with(id, DROP_IS_CLUSTER_IP));
	CHECK(!touches(id, w.pod));
	check_log(false);
	world_free(&w);

	cfg.external_cluster_ip = true;
	world_init(&w, &cfg);
	log_reset();
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	r = made_for(id, 0);
	CHECK(delivered_to(r, w.client));
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, 4, IP_CIP, SVC_PORT, IP_CLIENT, 40000));
	check_log(false);
	world_free(&w);
}

/* ---- local backend (§9.5) ---- */

static void test_local_backend(void)
{
	for (int mode = 0; mode < 3; mode++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg((enum dl_lb_mode)mode, DL_DSR_DISPATCH_OPT);
		struct pk k;
		struct dl_pkt_info pi;
		const struct dl_event *e;
		uint32_t id, r;

		world_init(&w, &cfg);
		log_reset();
		for (int i = 0; i < 2; i++) {
			k = i == 0 ? tcp4(IP_CLIENT, IP_VIP_LOCAL, 40000, SVC_PORT, DL_TCP_SYN, 1, 0)
				   : udp4(IP_CLIENT, IP_VIP_LOCAL, 40000, SVC_PORT, 10);
			id = send_pk(&w, w.client, &k);
			CHECK(delivered_to(id, w.lpod));
			CHECK_EQ(ev_count(id, w.lb, DL_PT_WIRE_TX), 0);
			e = ev_find(id, w.lb, DL_PT_TC_INGRESS, 0);
			CHECK(e && !(e->flags & (DL_EVF_SNAT | DL_EVF_DSR)));
			CHECK(ev_pi(ev_find(id, w.lpod, DL_PT_POD, 0), &pi));
			CHECK(flow_is(&pi, 4, IP_CLIENT, 40000, IP_LPOD, POD_PORT));
			CHECK_EQ(pi.l3_hdr_len, 20);
			r = made_for(id, 0);
			CHECK(delivered_to(r, w.client));
			e = ev_find(r, w.lb, DL_PT_LXC_EGRESS, 0);
			CHECK(e && e->verdict == DL_V_TRANSLATED);
			CHECK(ev_pi(ev_final(r), &pi));
			CHECK(flow_is(&pi, 4, IP_VIP_LOCAL, SVC_PORT, IP_CLIENT, 40000));
			CHECK(!touches(r, w.bn));
		}
		check_log(false);
		world_free(&w);
	}
}

/* ---- XDP acceleration (§10) ---- */

static void test_xdp(void)
{
	for (int mode = 0; mode < 2; mode++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(mode ? DL_MODE_DSR : DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
		struct pk k;
		struct dl_pkt_info pi;
		const struct dl_event *e;
		uint32_t id, r;

		cfg.accel = DL_ACCEL_NATIVE;
		world_init(&w, &cfg);
		log_reset();
		/* remote backend: XDP_TX, the LB's taps and tc never see it */
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		e = ev_find(id, w.lb, DL_PT_XDP, 0);
		CHECK(e && e->verdict == DL_V_TX);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_RX), 0);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_TX), 0);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TC_INGRESS), 0);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TC_EGRESS), 0);
		CHECK(lb_out(&w, id, &pi, NULL));
		CHECK(flow_is(&pi, 4, mode ? IP_CLIENT : IP_LB, 0, IP_POD, POD_PORT));
		CHECK_EQ(pi.l3_hdr_len, mode ? 28u : 20u);
		CHECK_EQ(pi.ttl, 63);
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		if (mode == 0) {
			/* the SNAT reply is reverse-NATed at XDP too */
			e = ev_find(r, w.lb, DL_PT_XDP, 0);
			CHECK(e && e->verdict == DL_V_TX);
			CHECK_EQ(ev_count(r, w.lb, DL_PT_TAP_RX), 0);
		} else {
			CHECK(!touches(r, w.lb));
		}
		/* local backend: DNAT at XDP, then XDP_PASS to the taps and tc */
		k = tcp4(IP_CLIENT, IP_VIP_LOCAL, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.lpod));
		e = ev_find(id, w.lb, DL_PT_XDP, 0);
		CHECK(e && e->verdict != DL_V_TX && e->verdict != DL_V_DROPPED);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_RX), 1);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TC_INGRESS), 1);
		CHECK(ev_pi(ev_find(id, w.lb, DL_PT_TAP_RX, 0), &pi));
		CHECK(flow_is(&pi, 4, IP_CLIENT, 40000, IP_LPOD, POD_PORT));
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		CHECK(ev_pi(ev_final(r), &pi));
		CHECK(flow_is(&pi, 4, IP_VIP_LOCAL, SVC_PORT, IP_CLIENT, 40000));
		/* with pmtuDiscovery the frag-needed leaves with XDP_TX */
		if (mode) {
			k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1472);
			id = send_pk(&w, w.client, &k);
			CHECK(delivered_to(id, w.client));
			e = ev_find(id, w.lb, DL_PT_XDP, 0);
			CHECK(e && e->verdict == DL_V_ANSWERED);
			CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_TX), 0);
			CHECK(ev_pi(ev_final(id), &pi));
			CHECK_EQ(pi.icmp_mtu, 1492);
		}
		check_log(false);
		world_free(&w);
	}
}

/* ---- IPv4 fragments (§13.2) ---- */

/* Splits a UDP datagram (paylen bytes) into two fragments: the first carries 1480 bytes of L4. */
static void frag2(const struct pk *k, uint8_t *f1, uint32_t *l1, uint8_t *f2, uint32_t *l2)
{
	static uint8_t whole[70000];
	uint32_t len = mk(whole, k), l4len = len - 34, first = 1480;
	struct dl_pkt_info pi;

	memcpy(f1, whole, 34 + first);
	dl_wr16(f1 + 14 + 2, (uint16_t)(20 + first));
	dl_wr16(f1 + 14 + 6, 0x2000); /* MF, offset 0 */
	*l1 = 34 + first;
	memcpy(f2, whole, 34);
	memcpy(f2 + 34, whole + 34 + first, l4len - first);
	dl_wr16(f2 + 14 + 2, (uint16_t)(20 + l4len - first));
	dl_wr16(f2 + 14 + 6, (uint16_t)(first / 8));
	*l2 = 34 + l4len - first;
	if (dl_pkt_parse(f1, *l1, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(f1, *l1, &pi);
	if (dl_pkt_parse(f2, *l2, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(f2, *l2, &pi);
}

static void test_fragments(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	static uint8_t f1[2000], f2[2000];
	uint32_t l1, l2, id1, id2, seen[2] = {0, 0};
	struct dl_pkt_info p1, p2;

	world_init(&w, &cfg);
	log_reset();
	for (uint16_t i = 0; i < 8; i++) {
		struct pk k = udp4(IP_CLIENT, IP_VIP_TWO, (uint16_t)(45000 + i), SVC_PORT, 2500);
		const struct dl_event *d1, *d2;
		k.ip_id = (uint16_t)(0x100 + i);
		frag2(&k, f1, &l1, f2, &l2);
		id1 = send_frame(&w, w.client, f1, l1);
		id2 = send_frame(&w, w.client, f2, l2);
		d1 = ev_final(id1);
		d2 = ev_final(id2);
		CHECK(d1 && d2 && d1->verdict == DL_V_DELIVERED && d2->verdict == DL_V_DELIVERED);
		if (!d1 || !d2)
			continue;
		/* the later fragment follows its first to the same backend */
		CHECK(d1->host == w.pod || d1->host == w.pod2);
		CHECK_EQ(d1->host, d2->host);
		seen[d1->host == w.pod2]++;
		/* both SNATed the same way (L3 only for the later one) */
		CHECK(lb_out(&w, id1, &p1, NULL));
		CHECK(lb_out(&w, id2, &p2, NULL));
		CHECK(addr_eq(p1.src, IP_LB, 4) && addr_eq(p2.src, IP_LB, 4));
		CHECK(addr_eq(p1.dst, p2.dst, 4));
		CHECK_EQ(p1.frag, DL_FRAG_FIRST);
		CHECK_EQ(p2.frag, DL_FRAG_LATER);
		CHECK_EQ(p2.frag_off, 1480);
		CHECK_EQ(p1.sport, ev_find(id1, w.lb, DL_PT_TC_INGRESS, 0)->nat_port);
	}
	/* the random choice used both backends, so "same backend" meant something */
	CHECK(seen[0] > 0 && seen[1] > 0);
	/* a later fragment whose first was never seen */
	{
		struct pk k = udp4(IP_CLIENT, IP_VIP_TWO, 46000, SVC_PORT, 2500);
		k.ip_id = 0x7777;
		frag2(&k, f1, &l1, f2, &l2);
		id2 = send_frame(&w, w.client, f2, l2);
		CHECK(dropped_with(id2, DROP_FRAG_NOT_FOUND));
		CHECK(ev_final(id2)->host == w.lb);
	}
	check_log(false);
	world_free(&w);
}

/* ---- IPv6 fragments (tc_nodeport_lb6_fragment1/2; Cilium 1.18+ tracks them) ---- */

/* Splits a UDP/IPv6 datagram (paylen bytes of payload) into two fragments behind a Fragment
 * header (next header UDP, identification id): the first carries 1232 bytes of L4. */
static void frag6_2(const struct pk *k, uint32_t id, uint8_t *f1, uint32_t *l1, uint8_t *f2, uint32_t *l2)
{
	static uint8_t whole[70000];
	uint32_t len = mk(whole, k), l4len = len - 54, first = 1232;
	uint8_t fh[8] = {DL_IPPROTO_UDP, 0, 0, 0, 0, 0, 0, 0};

	dl_wr32(fh + 4, id);
	/* first: IPv6 header, Fragment header (offset 0, M), 1232 bytes of UDP */
	memcpy(f1, whole, 54);
	f1[14 + 6] = DL_IPPROTO_FRAGMENT;
	dl_wr16(f1 + 14 + 4, (uint16_t)(8 + first));
	dl_wr16(fh + 2, 0x0001);
	memcpy(f1 + 54, fh, 8);
	memcpy(f1 + 62, whole + 54, first);
	*l1 = 62 + first;
	/* later: the rest, offset 1232, no M */
	memcpy(f2, f1, 54);
	dl_wr16(f2 + 14 + 4, (uint16_t)(8 + l4len - first));
	dl_wr16(fh + 2, (uint16_t)first);
	memcpy(f2 + 54, fh, 8);
	memcpy(f2 + 62, whole + 54 + first, l4len - first);
	*l2 = 62 + l4len - first;
	/* the UDP checksum (in the first fragment) stays the whole datagram's, as a sender's */
}

static void test_fragments6(enum dl_dsr_era era, bool tracking)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	static uint8_t f1[2000], f2[2000];
	uint32_t l1, l2, id1, id2;
	struct dl_pkt_info p1, p2;

	cfg.profile.era = era;
	cfg.profile.ipv6_frag_tracking = tracking;
	world_init(&w, &cfg);
	log_reset();
	for (uint16_t i = 0; i < 4; i++) {
		struct pk k = udp6(IP6_CLIENT, IP6_VIP, (uint16_t)(45000 + i), SVC_PORT, 1800);
		const struct dl_event *d1, *d2;
		frag6_2(&k, 0x100u + i, f1, &l1, f2, &l2);
		id1 = send_frame(&w, w.client, f1, l1);
		id2 = send_frame(&w, w.client, f2, l2);
		d1 = ev_final(id1);
		d2 = ev_final(id2);
		CHECK(d1 && d2);
		if (!d1 || !d2)
			continue;
		if (!tracking) {
			/* ipv6_hdrlen: DROP_FRAG_NOSUPPORT for both, at the LB's from-netdev */
			CHECK(dropped_with(id1, DROP_FRAG_NOSUPPORT));
			CHECK(dropped_with(id2, DROP_FRAG_NOSUPPORT));
			CHECK_EQ(d1->host, w.lb);
			continue;
		}
		/* the later fragment follows its first: same backend, same SNAT (L3 only) */
		CHECK(d1->verdict == DL_V_DELIVERED && d2->verdict == DL_V_DELIVERED);
		CHECK_EQ(d1->host, d2->host);
		CHECK(lb_out(&w, id1, &p1, NULL));
		CHECK(lb_out(&w, id2, &p2, NULL));
		CHECK(addr_eq(p1.dst, p2.dst, 6) && addr_eq(p1.src, p2.src, 6));
		CHECK_EQ(p1.frag, DL_FRAG_FIRST);
		CHECK_EQ(p2.frag, DL_FRAG_LATER);
		CHECK_EQ(p2.frag_off, 1232);
		CHECK_EQ(p2.frag_id, 0x100u + i);
	}
	if (tracking) {
		/* a later fragment whose first was never seen (tc_nodeport_lb6_fragment2 without 1) */
		struct pk k = udp6(IP6_CLIENT, IP6_VIP, 46000, SVC_PORT, 1800);
		frag6_2(&k, 0x7777, f1, &l1, f2, &l2);
		id2 = send_frame(&w, w.client, f2, l2);
		CHECK(dropped_with(id2, DROP_FRAG_NOT_FOUND));
	}
	check_log(false);
	world_free(&w);
}

/* ---- SNAT exhaustion (§5.2) ---- */

static void test_snat_exhaustion(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct dl_snat_bijection bij;
	struct dl_node_state *ns;
	struct pk k;
	uint32_t id[3];

	cfg.nat_port_min = 40000;
	cfg.nat_port_max = 40001;
	world_init(&w, &cfg);
	log_reset();
	k = udp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, 8);
	id[0] = send_pk(&w, w.client, &k);
	k = udp4(IP_CLIENT2, IP_VIP, 40001, SVC_PORT, 8);
	id[1] = send_pk(&w, w.client2, &k);
	k = udp4(IP_CLIENT, IP_VIP, 50000, SVC_PORT, 8);
	id[2] = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id[0], w.pod));
	CHECK(delivered_to(id[1], w.pod));
	CHECK_EQ(ev_find(id[0], w.lb, DL_PT_TC_INGRESS, 0)->nat_port, 40000);
	CHECK_EQ(ev_find(id[1], w.lb, DL_PT_TC_INGRESS, 0)->nat_port, 40001);
	CHECK(dropped_with(id[2], DROP_NAT_NO_MAPPING));
	CHECK(ev_final(id[2])->host == w.lb);
	CHECK(!touches(id[2], w.pod));
	/* the replies of the first two still find their way */
	CHECK(delivered_to(made_for(id[0], 0), w.client));
	CHECK(delivered_to(made_for(id[1], 0), w.client2));
	ns = dl_cluster_node(w.c, w.lb);
	CHECK_EQ(ns->snat.stats.no_mapping, 1);
	CHECK_EQ(ns->snat.stats.mappings, 2);
	CHECK_EQ(dl_snat_check_bijection(&ns->snat.map4, &bij), 0);
	CHECK_EQ(bij.forward, 2);
	CHECK_EQ(bij.reverse, 2);
	CHECK_EQ(bij.duplicates, 0);
	check_log(false);
	world_free(&w);
}

/* ---- the echo responder ---- */

static void test_echo(void)
{
	for (int mode = 0; mode < 2; mode++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(mode ? DL_MODE_DSR : DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
		struct pk k;
		struct dl_pkt_info pi;
		const struct dl_event *f;
		uint32_t id, r, isn;

		world_init(&w, &cfg);
		log_reset();
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 5000, 0);
		id = send_pk(&w, w.client, &k);
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		CHECK_EQ(made_for(id, 1), UINT32_MAX);
		CHECK(ev_pi(ev_final(r), &pi));
		CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 40000));
		CHECK_EQ(pi.tcp_flags, DL_TCP_SYN | DL_TCP_ACK);
		CHECK_EQ(pi.tcp_ack, 5001);
		isn = pi.tcp_seq;
		/* the handshake's ACK gets no answer; data is echoed */
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK, 5001, 0);
		k.ack = isn + 1;
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		CHECK_EQ(made_for(id, 0), UINT32_MAX);
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 5001, 300);
		k.ack = isn + 1;
		id = send_pk(&w, w.client, &k);
		r = made_for(id, 0);
		f = ev_final(r);
		CHECK(delivered_to(r, w.client));
		CHECK(ev_pi(f, &pi));
		CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 40000));
		CHECK_EQ(pi.payload_len, 300);
		CHECK_EQ(pi.tcp_seq, isn + 1);
		CHECK_EQ(pi.tcp_ack, 5301);
		CHECK(pi.payload_len == 300 && !memcmp(ev_bytes(f) + pi.payload_off, "abcdefghij", 10));
		/* FIN is answered with FIN-ACK */
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_FIN, 5301, 0);
		id = send_pk(&w, w.client, &k);
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		CHECK(ev_pi(ev_final(r), &pi));
		CHECK_EQ(pi.tcp_flags, DL_TCP_FIN | DL_TCP_ACK);
		CHECK_EQ(pi.tcp_ack, 5302);
		/* UDP echo */
		k = udp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, 77);
		id = send_pk(&w, w.client, &k);
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		CHECK(ev_pi(ev_final(r), &pi));
		CHECK_EQ(pi.payload_len, 77);
		CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 40000));
		/* conservation: every input and every made packet has exactly one FINAL (check_log) */
		check_log(false);
		world_free(&w);
	}
}

/* ---- determinism ---- */

struct snapshot {
	struct dl_event *ev;
	uint32_t n;
	uint8_t *arena;
	uint32_t used;
};

static void script(struct snapshot *s, enum dl_lb_mode mode, enum dl_dsr_dispatch d, enum dl_accel accel)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(mode, d);
	struct pk k;

	cfg.accel = accel;
	cfg.reject_no_backend = true;
	world_init(&w, &cfg);
	log_reset();
	for (uint16_t i = 0; i < 6; i++) {
		k = tcp4(IP_CLIENT, IP_VIP, (uint16_t)(1000 + i), SVC_PORT, DL_TCP_SYN, i, 0);
		send_pk(&w, w.client, &k);
		k = udp4(IP_CLIENT2, IP_VIP_TWO, (uint16_t)(2000 + i), SVC_PORT, 10u * i);
		send_pk(&w, w.client2, &k);
	}
	k = tcp4(IP_CLIENT, IP_VIP, 1000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1, 100);
	send_pk(&w, w.client, &k);
	k = tcp6(IP6_CLIENT, IP6_VIP, 1000, SVC_PORT, DL_TCP_SYN, 1, 0);
	send_pk(&w, w.client, &k);
	k = udp4(IP_CLIENT, IP_VIP, 1000, SVC_PORT, 1472);
	send_pk(&w, w.client, &k);
	k = tcp4(IP_CLIENT, IP_VIP_EMPTY, 1000, SVC_PORT, DL_TCP_SYN, 1, 0);
	send_pk(&w, w.client, &k);
	k = tcp4(IP_CLIENT, IP_VIP_LOCAL, 1000, SVC_PORT, DL_TCP_SYN, 1, 0);
	send_pk(&w, w.client, &k);
	check_log(false);
	s->n = g_out.n_events;
	s->ev = malloc(sizeof(struct dl_event) * (s->n ? s->n : 1));
	s->used = g_out.arena_used;
	s->arena = malloc(s->used ? s->used : 1);
	memcpy(s->ev, g_ev, sizeof(struct dl_event) * s->n);
	memcpy(s->arena, g_arena, s->used);
	world_free(&w);
}

static void test_determinism(void)
{
	for (int m = 0; m < 4; m++) {
		struct snapshot a, b;
		enum dl_lb_mode mode = m == 0 ? DL_MODE_SNAT : m == 3 ? DL_MODE_HYBRID : DL_MODE_DSR;
		enum dl_dsr_dispatch d = m == 2 ? DL_DSR_DISPATCH_GENEVE : DL_DSR_DISPATCH_OPT;
		enum dl_accel accel = m == 1 ? DL_ACCEL_NATIVE : DL_ACCEL_DISABLED;

		script(&a, mode, d, accel);
		script(&b, mode, d, accel);
		CHECK(a.n > 50);
		CHECK_EQ(a.n, b.n);
		CHECK_EQ(a.used, b.used);
		CHECK(a.n == b.n && !memcmp(a.ev, b.ev, sizeof(struct dl_event) * a.n));
		CHECK(a.used == b.used && !memcmp(a.arena, b.arena, a.used));
		free(a.ev);
		free(a.arena);
		free(b.ev);
		free(b.arena);
	}
}

/* ---- hostile input ---- */

static void hostile_one(struct world *w, uint32_t host, const uint8_t *frame, uint32_t len, const char *what)
{
	struct dl_in_packet p;
	const struct dl_event *f;
	uint32_t before = g_out.n_events;

	memset(&p, 0, sizeof(p));
	p.data = frame;
	p.len = len;
	p.host = host;
	p.ts_sec = w->ts++;
	p.id = w->next_id++;
	p.linktype = DL_LINKTYPE_ETHERNET;
	CHECK_EQ(dl_cluster_run(w->c, &p, 1, &g_out), 1);
	g_inputs[g_n_inputs++] = p.id;
	f = ev_final(p.id);
	CHECK(f != NULL);
	CHECK(g_out.n_events > before);
	if (f && !(f->verdict == DL_V_DROPPED && f->drop != 0)) {
		tu_failed++;
		fprintf(stderr, "hostile %s: final verdict %u drop %d, want a drop with a reason\n", what, f->verdict, f->drop);
	} else {
		tu_passed++;
	}
}

static void test_hostile(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	uint8_t frame[2048], good[200];
	uint32_t glen;
	struct pk k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);

	for (int accel = 0; accel < 2; accel++) {
		cfg.accel = accel ? DL_ACCEL_NATIVE : DL_ACCEL_DISABLED;
		world_init(&w, &cfg);
		log_reset();
		glen = mk(good, &k);
		/* garbage claiming IPv4: ihl 1 */
		memset(frame, 0xa5, 64);
		dl_wr16(frame + 12, DL_ETH_P_IPV4);
		frame[14] = 0x41;
		hostile_one(&w, w.client, frame, 64, "ihl 1");
		/* truncated inside the IP header, inside TCP */
		hostile_one(&w, w.client, good, 30, "truncated ip");
		hostile_one(&w, w.client, good, 40, "truncated tcp");
		/* tot_len larger than the frame is truncated L4 */
		memcpy(frame, good, glen);
		dl_wr16(frame + 16, 1400);
		{
			/* a capture cut by its snap length is carried on (one fate, whatever it is) */
			uint32_t id = send_frame(&w, w.client, frame, glen);
			CHECK(ev_final(id) != NULL);
		}
		/* ARP */
		memset(frame, 0, 60);
		dl_wr16(frame + 12, DL_ETH_P_ARP);
		memcpy(frame + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
		hostile_one(&w, w.client, frame, 42, "arp");
		/* unknown EtherType, empty frame, 5 bytes */
		memset(frame, 0x11, 100);
		hostile_one(&w, w.client, frame, 100, "ethertype 0x1111");
		hostile_one(&w, w.client, frame, 0, "empty");
		hostile_one(&w, w.client, frame, 5, "5 bytes");
		/* unknown sender */
		hostile_one(&w, 999, good, glen, "unknown host");
		hostile_one(&w, UINT32_MAX, good, glen, "host UINT32_MAX");
		/* an address nobody owns, with no default host */
		{
			static const uint8_t nowhere[4] = {192, 0, 2, 99};
			struct pk n = tcp4(IP_CLIENT, nowhere, 1, 2, DL_TCP_SYN, 1, 0);
			uint32_t nl = mk(frame, &n);
			hostile_one(&w, w.client, frame, nl, "no route");
		}
		/* a frame too big for the context */
		{
			uint8_t *big = calloc(1, DL_CTX_MAX_FRAME);
			memcpy(big, good, glen);
			hostile_one(&w, w.client, big, DL_CTX_MAX_FRAME, "too big");
			free(big);
		}
		check_log(true);

		/* fuzz: random bytes behind valid-looking headers, from every host; each ends in
		 * exactly one FINAL event (check_log) and nothing trips the sanitizers */
		log_reset();
		for (int i = 0; i < 400; i++) {
			struct dl_in_packet p;
			uint32_t len = tu_below(160);
			uint32_t n_hosts = 7;
			memcpy(frame, good, glen);
			for (uint32_t j = 0; j < len; j++)
				if (tu_below(4) == 0 || j >= glen)
					frame[j] = (uint8_t)tu_rand();
			if (i % 3 == 0)
				dl_wr16(frame + 12, i % 2 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
			memset(&p, 0, sizeof(p));
			p.data = frame;
			p.len = len;
			p.host = tu_below(n_hosts + 1);
			p.ts_sec = w.ts++;
			p.id = w.next_id++;
			p.linktype = i % 17 == 0 ? DL_LINKTYPE_RAW : DL_LINKTYPE_ETHERNET;
			p.server = i % 23 == 0;
			CHECK_EQ(dl_cluster_run(w.c, &p, 1, &g_out), 1);
			if (g_n_inputs < DL_ARRAY_SIZE(g_inputs))
				g_inputs[g_n_inputs++] = p.id;
			if (g_out.n_events > MAX_EV - 512 || g_out.arena_used > ARENA_SIZE / 2) {
				check_log(true);
				log_reset();
			}
		}
		check_log(true);
		world_free(&w);
	}
}

/* A host that cannot be added (its IPv6 address is taken) leaves no address behind: its id goes
 * to the next host added, and a stale IPv4 entry would route there. */
static void test_add_host_failure(void)
{
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct world w;
	struct dl_host_config h;
	static const uint8_t ip_new[4] = {203, 0, 113, 99};
	int id;

	world_init(&w, &cfg);
	memset(&h, 0, sizeof(h));
	h.kind = DL_HOST_CLIENT;
	snprintf(h.name, sizeof(h.name), "dup");
	h.has_v4 = true;
	memcpy(h.v4, ip_new, 4);
	h.has_v6 = true;
	memcpy(h.v6, IP6_CLIENT, 16); /* the client's */
	CHECK_EQ(dl_cluster_add_host(w.c, &h), -2);
	CHECK_EQ(dl_cluster_host_by_addr(w.c, 4, ip_new), UINT32_MAX);
	CHECK_EQ(dl_cluster_host_by_addr(w.c, 6, IP6_CLIENT), w.client);
	h.has_v4 = false;
	h.has_v6 = false;
	id = dl_cluster_add_host(w.c, &h);
	CHECK(id >= 0);
	CHECK_EQ(dl_cluster_host_by_addr(w.c, 4, ip_new), UINT32_MAX);
	world_free(&w);
}

/* ---- more DSR: failover and MTU in recent main, per-service mode, NodePort, ICMP quotes ---- */

/* A client whose flow moved to this LB mid-connection: its first packet here is TCP data. */
static void test_dsr_failover(enum dl_dsr_era era)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t id;

	cfg.profile.era = era;
	cfg.profile.opt_order = era == DL_DSR_ERA_RECENT ? DL_DSR_OPT_ORDER_NETWORK : DL_DSR_OPT_ORDER_LEGACY;
	world_init(&w, &cfg);
	log_reset();
	for (int i = 0; i < 3; i++) {
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001 + 10 * (uint32_t)i, 10);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		CHECK(lb_out(&w, id, &pi, NULL));
		if (era == DL_DSR_ERA_RECENT) {
			/* kpr_v4_dsr_lb2_data: every data packet carries the DSR info, and the
			 * backend answers from the VIP */
			CHECK_EQ(pi.l3_hdr_len, 28);
			check_dsr_reply(&w, made_for(id, 0), 4, 40000);
		} else {
			/* v1.15: the option is on SYNs only, so this flow is not DSR at the backend */
			CHECK_EQ(pi.l3_hdr_len, 20);
		}
	}
	check_log(false);
	world_free(&w);
}

/* Recent main: a too-big TCP segment is answered, and the next one that fits carries the
 * option (need_dsr_info, kpr_v4_dsr_lb3_mtu2). */
static void test_dsr_mtu_recent_tcp(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t id;

	cfg.profile.era = DL_DSR_ERA_RECENT;
	cfg.profile.opt_order = DL_DSR_OPT_ORDER_NETWORK;
	world_init(&w, &cfg);
	log_reset();
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 1460);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.client));
	CHECK(ev_pi(ev_final(id), &pi));
	CHECK_EQ(pi.icmp_type, 3);
	CHECK_EQ(pi.icmp_code, 4);
	CHECK_EQ(pi.icmp_mtu, 1492);
	CHECK(!touches(id, w.pod));
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 1452);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK_EQ(pi.l3_len, 1500);
	check_dsr_reply(&w, made_for(id, 0), 4, 40000);
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 2453, 100);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_hdr_len, 28);
	check_log(false);
	world_free(&w);
}

/* Recent main decides per service (SVC_FLAG_FWD_MODE_DSR): with loadBalancer.mode=snat and the
 * annotation on the TCP service only, TCP is DSR (the backend side must be on) and UDP SNAT. */
static void test_per_service_mode(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t id, r;

	cfg.profile.era = DL_DSR_ERA_RECENT;
	cfg.profile.opt_order = DL_DSR_OPT_ORDER_NETWORK;
	cfg.profile.per_service_fwd_mode = true;
	g_fwd_dsr_tcp = true;
	world_init(&w, &cfg);
	g_fwd_dsr_tcp = false;
	log_reset();
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK_EQ(pi.l3_hdr_len, 28);
	CHECK(addr_eq(pi.src, IP_CLIENT, 4));
	check_dsr_reply(&w, made_for(id, 0), 4, 40000);
	k = udp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, 10);
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, NULL));
	CHECK(addr_eq(pi.src, IP_LB, 4));
	r = made_for(id, 0);
	CHECK(delivered_to(r, w.client));
	CHECK(touches(r, w.lb));
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 40000));
	check_log(false);
	world_free(&w);

	/* the same profile with no service flagged: a whole TCP flow is SNATed, and the backend's
	 * DSR side leaves its data segments alone (no option, no dsr CT entry: ordinary traffic) */
	world_init(&w, &cfg);
	log_reset();
	for (int i = 0; i < 3; i++) {
		k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, i ? DL_TCP_ACK | DL_TCP_PSH : DL_TCP_SYN, 1000 + (uint32_t)i, i ? 10 : 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		CHECK(lb_out(&w, id, &pi, NULL));
		CHECK(addr_eq(pi.src, IP_LB, 4));
		r = made_for(id, 0);
		CHECK(delivered_to(r, w.client));
		CHECK(touches(r, w.lb));
	}
	check_log(false);
	world_free(&w);
}

/* NodePort in DSR mode: the option carries nodeIP:nodePort and the backend answers from it. */
static void test_nodeport_dsr(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k = tcp4(IP_CLIENT, IP_LB, 41000, NODEPORT, DL_TCP_SYN, 5, 0);
	struct dl_pkt_info pi;
	const uint8_t *b;
	uint32_t id, r;

	cfg.profile.opt_order = DL_DSR_OPT_ORDER_NETWORK;
	world_init(&w, &cfg);
	log_reset();
	id = send_pk(&w, w.client, &k);
	CHECK(lb_out(&w, id, &pi, &b));
	CHECK(b[pi.l3_off + 20] == 0x9a && dl_rd16(b + pi.l3_off + 22) == NODEPORT && !memcmp(b + pi.l3_off + 24, IP_LB, 4));
	CHECK(delivered_to(id, w.pod));
	r = made_for(id, 0);
	CHECK(delivered_to(r, w.client));
	CHECK(ev_pi(ev_final(r), &pi));
	CHECK(flow_is(&pi, 4, IP_LB, NODEPORT, IP_CLIENT, 41000));
	CHECK(ev_find(r, w.bn, DL_PT_WIRE_TX, 0)->peer == w.client);
	CHECK(!touches(r, w.lb));
	check_log(false);
	world_free(&w);
}

/* ICMP errors quote the client's own packet: the reverse of the error's tuple is the request. */
static void test_icmp_quotes(void)
{
	for (int era = 0; era < 2; era++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
		struct pk k;
		struct dl_pkt_info pi, q;
		const uint8_t *b;
		uint32_t id;

		cfg.profile.era = era ? DL_DSR_ERA_RECENT : DL_DSR_ERA_V1_15;
		cfg.reject_no_backend = true;
		world_init(&w, &cfg);
		log_reset();
		k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1472);
		id = send_pk(&w, w.client, &k);
		CHECK(ev_pi(ev_final(id), &pi));
		b = ev_bytes(ev_final(id));
		CHECK(pi.payload_len >= 28);
		CHECK(dl_pkt_parse(b + pi.payload_off, pi.payload_len, DL_LINKTYPE_IPV4, &q) != DL_PARSE_EUNSUPPORTED);
		CHECK(addr_eq(q.src, IP_CLIENT, 4));
		CHECK(addr_eq(q.dst, IP_VIP, 4));
		CHECK_EQ(q.l4_proto, DL_IPPROTO_UDP);
		CHECK_EQ(dl_rd16(b + pi.payload_off + 20), 42000);
		CHECK_EQ(dl_rd16(b + pi.payload_off + 22), SVC_PORT);
		k = tcp4(IP_CLIENT, IP_VIP_EMPTY, 43000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(ev_pi(ev_final(id), &pi));
		b = ev_bytes(ev_final(id));
		CHECK_EQ(pi.icmp_code, 3);
		CHECK(!memcmp(b + pi.payload_off + 12, IP_CLIENT, 4));
		CHECK(!memcmp(b + pi.payload_off + 16, IP_VIP_EMPTY, 4));
		CHECK_EQ(dl_rd16(b + pi.payload_off + 20), 43000);
		CHECK_EQ(dl_rd16(b + pi.payload_off + 22), SVC_PORT);
		check_log(false);
		world_free(&w);
	}
}

/* MTU with the encapsulating dispatches: IPIP advertises 1500 - 20, Geneve 1500 - 62 (v1.15,
 * option attached on UDP); a retry at that size fills the link exactly. Without
 * pmtuDiscovery the encapsulated frame cannot leave. */
static void test_mtu_encap(enum dl_dsr_dispatch d)
{
	uint32_t adv = d == DL_DSR_DISPATCH_IPIP ? 1480 : 1438;

	for (int pmtu = 1; pmtu >= 0; pmtu--) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, d);
		struct pk k;
		struct dl_pkt_info pi;
		uint32_t id;

		cfg.pmtu_discovery = pmtu;
		world_init(&w, &cfg);
		log_reset();
		k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, 1472);
		id = send_pk(&w, w.client, &k);
		CHECK(!touches(id, w.pod));
		if (pmtu) {
			CHECK(delivered_to(id, w.client));
			CHECK(ev_pi(ev_final(id), &pi));
			CHECK_EQ(pi.icmp_type, 3);
			CHECK_EQ(pi.icmp_code, 4);
			CHECK_EQ(pi.icmp_mtu, adv);
		} else {
			CHECK(dropped_with(id, DROP_FRAG_NEEDED));
			CHECK_EQ(ev_final(id)->point, DL_PT_WIRE_TX);
		}
		k = udp4(IP_CLIENT, IP_VIP, 42000, SVC_PORT, adv - 28);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		CHECK(lb_out(&w, id, &pi, NULL));
		CHECK_EQ(pi.l3_len, 1500);
		check_log(false);
		world_free(&w);
	}
}

/* Geneve and the option with XDP on both nodes: the backend side still runs at tc. */
static void test_dsr_xdp_backend(enum dl_dsr_dispatch d)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, d);
	struct pk k;
	uint32_t id;

	cfg.accel = DL_ACCEL_NATIVE;
	world_init(&w, &cfg);
	log_reset();
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	CHECK_EQ(ev_find(id, w.lb, DL_PT_XDP, 0)->verdict, DL_V_TX);
	CHECK_EQ(ev_count(id, w.bn, DL_PT_XDP), 1);
	check_dsr_reply(&w, made_for(id, 0), 4, 40000);
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_ACK | DL_TCP_PSH, 1001, 20);
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	check_dsr_reply(&w, made_for(id, 0), 4, 40000);
	/* IPv6 with the geneve dispatch is not done at XDP (spec §3.2): tc handles it */
	if (d == DL_DSR_DISPATCH_GENEVE) {
		const struct dl_event *e;
		k = tcp6(IP6_CLIENT, IP6_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
		id = send_pk(&w, w.client, &k);
		e = ev_find(id, w.lb, DL_PT_XDP, 0);
		CHECK(e && e->verdict == DL_V_PASS);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_RX), 1);
		CHECK_EQ(ev_count(id, w.lb, DL_PT_TAP_TX), 1);
		e = ev_find(id, w.lb, DL_PT_TC_INGRESS, 0);
		CHECK(e && (e->flags & DL_EVF_DSR));
		CHECK(delivered_to(id, w.pod));
		check_dsr_reply(&w, made_for(id, 0), 6, 40000);
	}
	check_log(false);
	world_free(&w);
}

/* ---- the capture responder and SNAT port clashes ---- */

static uint32_t send_server(struct world *w, const struct pk *k)
{
	uint8_t frame[2048];
	struct dl_in_packet p;

	memset(&p, 0, sizeof(p));
	p.data = frame;
	p.len = mk(frame, k);
	p.host = w->client; /* ignored for server packets: they leave the pod holding the flow */
	p.ts_sec = w->ts++;
	p.id = w->next_id++;
	p.linktype = DL_LINKTYPE_ETHERNET;
	p.server = true;
	CHECK_EQ(dl_cluster_run(w->c, &p, 1, &g_out), 1);
	g_inputs[g_n_inputs++] = p.id;
	return p.id;
}

/* responder=capture: a captured server packet (VIP:80 → client) is re-injected at the pod that
 * holds the flow, with the addresses that pod saw, and reaches the client as captured; one
 * whose request never reached a pod is withheld. */
static void test_capture_responder(void)
{
	for (int mode = 0; mode < 2; mode++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(mode ? DL_MODE_DSR : DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
		struct pk k;
		struct dl_pkt_info pi;
		const struct dl_event *e;
		uint32_t id;

		cfg.responder = DL_RESPOND_CAPTURE;
		world_init(&w, &cfg);
		log_reset();
		k = tcp4(IP_CLIENT, IP_VIP, 1234, SVC_PORT, DL_TCP_SYN, 100, 0);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod));
		CHECK_EQ(made_for(id, 0), UINT32_MAX); /* nothing answers by itself */
		k = tcp4(IP_VIP, IP_CLIENT, SVC_PORT, 1234, DL_TCP_SYN | DL_TCP_ACK, 9000, 0);
		k.ack = 101;
		id = send_server(&w, &k);
		e = ev_find(id, w.pod, DL_PT_WIRE_TX, 0);
		CHECK(e != NULL);
		CHECK(ev_pi(e, &pi));
		CHECK(flow_is(&pi, 4, IP_POD, POD_PORT, mode ? IP_CLIENT : IP_LB, mode ? 1234 : 0));
		CHECK(delivered_to(id, w.client));
		CHECK(ev_pi(ev_final(id), &pi));
		CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT, 1234));
		CHECK_EQ(pi.tcp_seq, 9000);
		CHECK_EQ(touches(id, w.lb), !mode);
		/* a server packet of a flow that never reached a pod */
		k = tcp4(IP_VIP, IP_CLIENT, SVC_PORT, 5555, DL_TCP_SYN | DL_TCP_ACK, 1, 0);
		id = send_server(&w, &k);
		CHECK(dropped_with(id, DL_DROP_WITHHELD));
		/* UDP goes by request: a small datagram reaches the pod and its answer is re-injected;
		 * a full-size one is answered with ICMP in DSR (the option does not fit), and the
		 * captured answer to it is held back, though the flow is known */
		k = udp4(IP_CLIENT, IP_VIP_TWO, 2345, SVC_PORT, 10);
		id = send_pk(&w, w.client, &k);
		CHECK(delivered_to(id, w.pod) || delivered_to(id, w.pod2));
		k = udp4(IP_VIP_TWO, IP_CLIENT, SVC_PORT, 2345, 10);
		id = send_server(&w, &k);
		CHECK(delivered_to(id, w.client));
		k = udp4(IP_CLIENT, IP_VIP_TWO, 2345, SVC_PORT, 1472);
		id = send_pk(&w, w.client, &k);
		if (mode)
			CHECK_EQ(ev_find(id, w.lb, DL_PT_TC_INGRESS, 0)->verdict, DL_V_ANSWERED);
		else
			CHECK(delivered_to(id, w.pod) || delivered_to(id, w.pod2));
		k = udp4(IP_VIP_TWO, IP_CLIENT, SVC_PORT, 2345, 20);
		id = send_server(&w, &k);
		if (mode)
			CHECK(dropped_with(id, DL_DROP_WITHHELD));
		else
			CHECK(delivered_to(id, w.client));
		/* the next small request gets through again, and so does its answer */
		k = udp4(IP_CLIENT, IP_VIP_TWO, 2345, SVC_PORT, 10);
		id = send_pk(&w, w.client, &k);
		k = udp4(IP_VIP_TWO, IP_CLIENT, SVC_PORT, 2345, 10);
		id = send_server(&w, &k);
		CHECK(delivered_to(id, w.client));
		check_log(false);
		world_free(&w);
	}
}

/* Two clients with the same source port: the second cannot keep it, gets another, and each
 * reply goes back to its own client (SNAT bijection). */
static void test_snat_port_clash(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	struct dl_snat_bijection bij;
	struct pk k;
	struct dl_pkt_info pi;
	uint32_t a, b;

	world_init(&w, &cfg);
	log_reset();
	k = tcp4(IP_CLIENT, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	a = send_pk(&w, w.client, &k);
	k = tcp4(IP_CLIENT2, IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
	b = send_pk(&w, w.client2, &k);
	CHECK_EQ(ev_find(a, w.lb, DL_PT_TC_INGRESS, 0)->nat_port, 40000);
	CHECK(ev_find(b, w.lb, DL_PT_TC_INGRESS, 0)->nat_port != 40000);
	CHECK(ev_find(b, w.lb, DL_PT_TC_INGRESS, 0)->nat_port >= 32768);
	CHECK(delivered_to(made_for(a, 0), w.client));
	CHECK(delivered_to(made_for(b, 0), w.client2));
	CHECK(ev_pi(ev_final(made_for(b, 0)), &pi));
	CHECK(flow_is(&pi, 4, IP_VIP, SVC_PORT, IP_CLIENT2, 40000));
	CHECK_EQ(dl_snat_check_bijection(&dl_cluster_node(w.c, w.lb)->snat.map4, &bij), 0);
	CHECK_EQ(bij.forward, 2);
	check_log(false);
	world_free(&w);
}

/* A packet that arrives with TTL 1 cannot be forwarded (ipv4_l3 → DROP_TTL_EXCEEDED), in
 * every mode, at the LB and for local delivery. */
static void test_ttl_exceeded(void)
{
	for (int mode = 0; mode < 2; mode++) {
		struct world w;
		struct dl_cluster_config cfg = mkcfg(mode ? DL_MODE_DSR : DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
		uint8_t frame[256];
		struct pk k;
		uint32_t len, id;
		struct dl_pkt_info pi;

		world_init(&w, &cfg);
		log_reset();
		for (int i = 0; i < 3; i++) {
			k = i == 2 ? tcp6(IP6_CLIENT, IP6_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0)
				   : tcp4(IP_CLIENT, i ? IP_VIP_LOCAL : IP_VIP, 40000, SVC_PORT, DL_TCP_SYN, 1, 0);
			len = mk(frame, &k);
			frame[i == 2 ? 14 + 7 : 14 + 8] = 1;
			if (dl_pkt_parse(frame, len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
				dl_pkt_fix_csums(frame, len, &pi);
			id = send_frame(&w, w.client, frame, len);
			CHECK(dropped_with(id, DROP_TTL_EXCEEDED));
			CHECK(ev_final(id)->host == w.lb);
			CHECK(!touches(id, w.pod) && !touches(id, w.lpod));
		}
		check_log(false);
		world_free(&w);
	}
}

/* ---- ICMP errors about load-balanced flows (bpf/lib/nat.h snat_v4_rev_nat_handle_icmp_error,
 * rev_nodeport_lb4 CT_RELATED; bpf/tests/scapy nodeport_lb4_icmp_error_*, dsr_backend_icmp4_err_*) ---- */

/* An ICMP error from src to dst quoting the IP packet of the frame q (as far as qlen goes). */
static uint32_t mk_icmp_err(uint8_t *out, uint8_t fam, const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code,
			    uint32_t mtu, const uint8_t *q, uint32_t qlen)
{
	uint32_t l3 = 14, l4 = fam == 6 ? 54 : 34, len;
	struct dl_pkt_info pi;

	CHECK(qlen > 14);
	qlen -= 14;
	memset(out, 0, l4 + 8);
	dl_wr16(out + 12, fam == 6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	if (fam == 6) {
		out[l3] = 0x60;
		dl_wr16(out + l3 + 4, (uint16_t)(8 + qlen));
		out[l3 + 6] = DL_IPPROTO_ICMPV6;
		out[l3 + 7] = 64;
		memcpy(out + l3 + 8, src, 16);
		memcpy(out + l3 + 24, dst, 16);
	} else {
		out[l3] = 0x45;
		dl_wr16(out + l3 + 2, (uint16_t)(28 + qlen));
		out[l3 + 8] = 64;
		out[l3 + 9] = DL_IPPROTO_ICMP;
		memcpy(out + l3 + 12, src, 4);
		memcpy(out + l3 + 16, dst, 4);
	}
	out[l4] = type;
	out[l4 + 1] = code;
	if (fam == 6 && type == 2)
		dl_wr32(out + l4 + 4, mtu);
	else if (fam == 4 && mtu)
		dl_wr16(out + l4 + 6, (uint16_t)mtu);
	memcpy(out + l4 + 8, q + 14, qlen);
	len = l4 + 8 + qlen;
	CHECK(dl_pkt_parse(out, len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK);
	dl_pkt_fix_csums(out, len, &pi);
	return len;
}

/* The ICMP error the client got: outer vip → client, every checksum valid, the quote is the
 * client's request again (client:cport → vip:80) with valid IP and L4 checksums. */
static void check_icmp_err_at_client(uint32_t id, uint8_t fam, uint8_t type, uint16_t cport)
{
	const uint8_t *client = fam == 6 ? IP6_CLIENT : IP_CLIENT, *vip = fam == 6 ? IP6_VIP : IP_VIP;
	const struct dl_event *e = ev_final(id);
	struct dl_icmp_err_inner in;
	struct dl_pkt_info pi, ipi;
	struct dl_ctx ctx;
	uint8_t buf[4096], inner[4096];
	uint32_t qlen;

	CHECK(ev_pi(e, &pi));
	if (!e || e->len > sizeof(buf) - 256)
		return;
	CHECK(flow_is(&pi, fam, vip, 0, client, 0));
	CHECK_EQ(pi.icmp_type, type);
	CHECK_EQ(dl_pkt_verify_csums(ev_bytes(e), e->len, &pi), 0);
	CHECK(dl_ctx_load(&ctx, buf, sizeof(buf), ev_bytes(e), e->len) == 0);
	CHECK(dl_icmp_err_inner(&ctx, &pi, &in) == 0);
	CHECK(in.has_ports && addr_eq(in.src, client, fam) && addr_eq(in.dst, vip, fam));
	CHECK_EQ(in.sport, cport);
	CHECK_EQ(in.dport, SVC_PORT);
	/* the quote as a packet of its own: its checksums hold */
	qlen = in.end - in.l3_off;
	memset(inner, 0, 14);
	dl_wr16(inner + 12, fam == 6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	memcpy(inner + 14, dl_ctx_data(&ctx) + in.l3_off, qlen);
	CHECK(dl_pkt_parse(inner, 14 + qlen, DL_LINKTYPE_ETHERNET, &ipi) == DL_PARSE_OK);
	CHECK_EQ(dl_pkt_verify_csums(inner, 14 + qlen, &ipi), 0);
}

/* SNAT: the backend answers a UDP request with an ICMP error to the LB node's address; the LB
 * translates it back (outer dst client, quoted src client:cport; outer src VIP, quoted dst VIP:80). */
static void icmp_err_snat_one(struct world *w, uint8_t fam, uint8_t type, uint8_t code, uint32_t mtu, uint16_t cport,
			      bool translated)
{
	const uint8_t *client = fam == 6 ? IP6_CLIENT : IP_CLIENT, *vip = fam == 6 ? IP6_VIP : IP_VIP,
		      *lb = fam == 6 ? IP6_LB : IP_LB, *pod = fam == 6 ? IP6_POD : IP_POD;
	struct pk k = udp4(client, vip, cport, SVC_PORT, 40);
	const struct dl_event *e;
	struct dl_pkt_info pi;
	uint8_t frame[2048];
	uint32_t id, len;

	k.fam = fam;
	id = send_pk(w, w->client, &k);
	CHECK(delivered_to(id, w->pod));
	e = ev_find(id, w->pod, DL_PT_POD, 0);
	CHECK(ev_pi(e, &pi));
	if (!e)
		return;
	CHECK(flow_is(&pi, fam, lb, 0, pod, POD_PORT));
	len = mk_icmp_err(frame, fam, pod, lb, type, code, mtu, ev_bytes(e), e->len);
	id = send_frame(w, w->pod, frame, len);
	if (!translated) {
		CHECK(!delivered_to(id, w->client));
		return;
	}
	CHECK(delivered_to(id, w->client));
	CHECK(touches(id, w->lb));
	check_icmp_err_at_client(id, fam, type, cport);
	CHECK(ev_pi(ev_final(id), &pi));
	CHECK_EQ(pi.ttl, 62); /* pod → node-b → node-a: two forwards */
}

static void test_icmp_err_snat(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);

	cfg.profile.era = DL_DSR_ERA_RECENT;
	cfg.profile.opt_order = DL_DSR_OPT_ORDER_NETWORK;
	cfg.responder = DL_RESPOND_NONE;
	world_init(&w, &cfg);
	log_reset();
	icmp_err_snat_one(&w, 4, 3, 3, 0, 40011, true);     /* port unreachable */
	icmp_err_snat_one(&w, 4, 3, 4, 1400, 5353, true);   /* frag needed, SNAT port moved */
	icmp_err_snat_one(&w, 4, 11, 0, 0, 40012, true);    /* time exceeded */
	icmp_err_snat_one(&w, 4, 12, 0, 0, 40013, false);   /* parameter problem: punted */
	icmp_err_snat_one(&w, 6, 2, 0, 1400, 40014, true);  /* packet too big */
	icmp_err_snat_one(&w, 6, 2, 0, 1400, 999, true);
	icmp_err_snat_one(&w, 6, 1, 4, 0, 40015, false);    /* v6 port unreachable: punted */
	check_log(false);
	world_free(&w);

	/* v1.14/1.15-era snat_v4_rev_nat: only ICMP_FRAG_NEEDED */
	cfg = mkcfg(DL_MODE_SNAT, DL_DSR_DISPATCH_OPT);
	cfg.responder = DL_RESPOND_NONE;
	world_init(&w, &cfg);
	log_reset();
	icmp_err_snat_one(&w, 4, 3, 4, 1400, 40021, true);
	icmp_err_snat_one(&w, 4, 3, 3, 0, 40022, false);
	check_log(false);
	world_free(&w);
}

/* DSR: the pod's ICMP error to the client leaves the backend node from the VIP, quoting
 * client:cport → VIP:80 (recent main). */
static void test_icmp_err_dsr(void)
{
	struct world w;
	struct dl_cluster_config cfg = mkcfg(DL_MODE_DSR, DL_DSR_DISPATCH_OPT);
	struct pk k = udp4(IP_CLIENT, IP_VIP, 40031, SVC_PORT, 40);
	const struct dl_event *e;
	struct dl_pkt_info pi;
	uint8_t frame[2048];
	uint32_t id, len;

	cfg.profile.era = DL_DSR_ERA_RECENT;
	cfg.profile.opt_order = DL_DSR_OPT_ORDER_NETWORK;
	cfg.responder = DL_RESPOND_NONE;
	world_init(&w, &cfg);
	log_reset();
	id = send_pk(&w, w.client, &k);
	CHECK(delivered_to(id, w.pod));
	e = ev_find(id, w.pod, DL_PT_POD, 0);
	CHECK(ev_pi(e, &pi));
	CHECK(flow_is(&pi, 4, IP_CLIENT, 40031, IP_POD, POD_PORT));
	if (e) {
		len = mk_icmp_err(frame, 4, IP_POD, IP_CLIENT, 3, 4, 1400, ev_bytes(e), e->len);
		id = send_frame(&w, w.pod, frame, len);
		CHECK(delivered_to(id, w.client));
		CHECK(!touches(id, w.lb));
		check_icmp_err_at_client(id, 4, 3, 40031);
	}
	check_log(false);
	world_free(&w);
}

int main(void)
{
	g_verbose = getenv("DSRLAB_TEST_VERBOSE") != NULL;
	g_arena = malloc(ARENA_SIZE);
	if (!g_arena)
		return 2;
	test_snat();
	test_nodeport();
	test_icmp_err_snat();
	test_icmp_err_dsr();
	test_dsr_opt4(DL_DSR_ERA_V1_15, DL_DSR_OPT_ORDER_LEGACY);
	test_dsr_opt4(DL_DSR_ERA_RECENT, DL_DSR_OPT_ORDER_NETWORK);
	test_dsr_v6();
	test_hybrid();
	test_ipip();
	test_geneve();
	test_mtu_pmtu(DL_DSR_ERA_V1_15);
	test_mtu_pmtu(DL_DSR_ERA_RECENT);
	test_mtu_no_pmtu();
	test_no_backend();
	test_cluster_ip();
	test_local_backend();
	test_xdp();
	test_fragments();
	test_fragments6(DL_DSR_ERA_V1_15, false);
	test_fragments6(DL_DSR_ERA_RECENT, true);
	test_snat_exhaustion();
	test_echo();
	test_dsr_failover(DL_DSR_ERA_V1_15);
	test_dsr_failover(DL_DSR_ERA_RECENT);
	test_dsr_mtu_recent_tcp();
	test_per_service_mode();
	test_nodeport_dsr();
	test_icmp_quotes();
	test_mtu_encap(DL_DSR_DISPATCH_IPIP);
	test_mtu_encap(DL_DSR_DISPATCH_GENEVE);
	test_dsr_xdp_backend(DL_DSR_DISPATCH_OPT);
	test_dsr_xdp_backend(DL_DSR_DISPATCH_GENEVE);
	test_capture_responder();
	test_snat_port_clash();
	test_ttl_exceeded();
	test_determinism();
	test_hostile();
	test_add_host_failure();
	free(g_arena);
	return tu_report("test_cluster");
}
