/* fuzz_pipeline.c: libFuzzer target for the whole datapath: a fixed small cluster (cluster.c's
 * fabric and event log, node.c's programs and everything under them) fed a short sequence of
 * frames, with the event log checked against the invariants that must never break. The packet
 * parser alone is fuzzed by fuzz_codec.c and the capture reader by fuzz_capture.c, not here.
 *
 * Input: two selector bytes, then up to MAX_FRAMES frames, each one sender byte, a 2-byte
 * big-endian length and that many bytes (the last frame takes what is left when shorter):
 *   s0  bits 0-1 mode (snat, dsr, hybrid, dsr)    bits 2-3 dispatch (opt, ipip, geneve, opt)
 *       bit 4 era recent (else v1.15)             bit 5 IPv4 option in network byte order
 *       bit 6 XDP (acceleration native)           bit 7 pmtuDiscovery
 *   s1  bit 0 no-backend reject (else drop)       bit 1 echo responder (else none)
 *       bit 2 nodes 1 and 2 and their pods at MTU 1280 (else all 1500)
 *       bit 3 tiny conntrack/NAT/fragment maps (LRU eviction, SNAT exhaustion)
 *       bit 4 bpf.lbExternalClusterIP             bit 5 per-service forwarding mode (recent)
 *       bit 6 recent SNAT port clamp              bit 7 pre-#37353 Maglev port word
 *   sender  bits 0-2 client, client, world, pod on the LB node, pod on node 1, pod on node 2,
 *                    node 1 itself, a host id that does not exist
 *           bits 3-4 link type of the bytes: Ethernet with its checksums fixed by the harness,
 *                    Ethernet as given, raw IP, Linux SLL
 *           bit 5 a captured server packet (re-injected at the pod holding its flow); with
 *                 sender 7 (no such host) the frame is a control-plane step instead, whose
 *                 first byte re-installs a VIP frontend with another set of backends
 *                 (struct step)
 *           bits 6-7 time since the previous frame: 0, 1 s, 65 s (agent GC), 100000 s
 *
 * The cluster (cluster_setup below): a client, the `world` default host, three nodes with IPv4
 * and IPv6, one pod on each node (node 0 is where the VIPs are pinned, so its pod is a local
 * backend there); a LoadBalancer VIP in both families with TCP (Maglev for IPv4, random for
 * IPv6) and UDP (random with session affinity for IPv4, Maglev for IPv6) ports, NodePorts on
 * every node, a ClusterIP, a service with no backends in each family and, for the recent era,
 * the "known VIP" wildcard entries.
 *
 * Each input runs twice, each time on a fresh cluster: once as one batch into a roomy log, once
 * one frame per dl_cluster_run with exactly the room dl_cluster_run reserves for a packet.
 *
 * Invariants (a broken one is __builtin_trap, which libFuzzer reports as a crash):
 *  - every input frame, and every packet the emulation made, has exactly one event with
 *    DL_EVF_FINAL, and it is that packet's last event;
 *  - every event's frame [off, off + len) lies inside the used part of the arena, and its
 *    point, verdict, host and drop code are in range (a drop code only with DL_V_DROPPED);
 *  - dl_out never overflows, every input is processed, and given the room dl_cluster_run
 *    reserves per packet the log never fills;
 *  - every frame stored for a WIRE_TX event parses as IP, unless it is the input itself;
 *  - when an input went in as IP with right checksums, every frame of it and of the packets
 *    made in answer to it has right checksums on every wire (DESIGN: Checksums);
 *  - both runs give the same log, byte for byte (DESIGN: Determinism);
 *  - an echo reply reaching a client comes from where its request went (DESIGN: Transparency;
 *    not with tiny maps, where evicted state rightly breaks it; see check_transparent).
 *
 * The cluster is built afresh for every input (and freed after it), so each input runs on the
 * same state however the fuzzer orders them and a crash reproduces from its file alone. That
 * costs about a millisecond because every map is sized for this cluster (addr_max, flow_max and
 * the conntrack/NAT sizes); with the defaults (33 MB of preallocated address book and flow
 * bindings) it took 30 ms under ASan. Reusing one cluster per selector would be faster still,
 * but would need a reset of every piece of node state, which silently rots when one is added.
 * Run it through scripts/fuzz.sh; seeds are in corpus/pipeline, made by make-seeds.mjs. To read
 * a crash, DSRLAB_FUZZ_DUMP=1 build-fuzz/fuzz_pipeline <file> prints the input and event log. */
#include "dsrlab/cluster.h"
#include "dsrlab/codec.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"
#include "dsrlab/maglev.h"
#include "../test/cluster_testutil.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 8u
#define EVENTS_PER_PKT 96u   /* cluster.c's MAX_EVENTS_PER_PKT: the room it reserves */
#define ROOMY_EVENTS 8192u
#define ROOMY_ARENA (8u << 20)

#define CHECK(cond)                                                                               \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "fuzz_pipeline: invariant broken at line %d: %s\n", __LINE__, \
				#cond);                                                           \
			__builtin_trap();                                                         \
		}                                                                                 \
	} while (0)

/* ---- the cluster ---- */

enum { H_NODE0, H_NODE1, H_NODE2, H_CLIENT, H_WORLD, H_POD0, H_POD1, H_POD2, N_HOSTS };

#define V6(b4, b5, last) {0x20, 0x01, 0x0d, 0xb8, b4, b5, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}
#define POD6(n) {0xfd, 0, 0, 0x10, 0, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}

static const uint8_t NODE4[3][4] = {{192, 168, 10, 11}, {192, 168, 10, 12}, {192, 168, 10, 13}};
static const uint8_t NODE6[3][16] = {V6(0, 0x10, 0x11), V6(0, 0x10, 0x12), V6(0, 0x10, 0x13)};
static const uint8_t POD4[3][4] = {{10, 0, 0, 5}, {10, 0, 1, 5}, {10, 0, 2, 5}};
static const uint8_t POD6[3][16] = {POD6(0), POD6(1), POD6(2)};
static const uint8_t CLIENT4[4] = {203, 0, 113, 7};
static const uint8_t CLIENT6[16] = V6(0, 0, 7);
static const uint8_t VIP4[4] = {198, 51, 100, 10};
static const uint8_t VIP6[16] = V6(0, 0x64, 0x10);
static const uint8_t EMPTY4[4] = {198, 51, 100, 30};
static const uint8_t EMPTY6[16] = V6(0, 0x64, 0x30);
static const uint8_t CIP4[4] = {10, 96, 0, 10};

#define SVC_PORT 80
#define POD_PORT 8080
#define NODEPORT 31000
#define CIP_DNS 53

/* Backend ids: 1 + family (0 v4, 1 v6) * 6 + protocol (0 TCP, 1 UDP) * 3 + pod. */
static uint32_t be_id(unsigned fam6, unsigned udp, unsigned pod) { return 1 + fam6 * 6 + udp * 3 + pod; }

struct sel {
	uint8_t s0, s1;
};

struct setup {
	struct dl_cluster *c;
	struct sel sel;
	uint32_t next_revnat;
};

#define F_LB (DL_SVC_FLAG_LOADBALANCER | DL_SVC_FLAG_ROUTABLE)
#define F_NP (DL_SVC_FLAG_NODEPORT | DL_SVC_FLAG_ROUTABLE)

/* Maglev tables for every non-empty set of pods (bit i: the pod on node i) as backends of
 * each family and protocol: luts[fam6][udp][mask]. */
static uint32_t luts[2][2][8][251];
static struct dl_maglev_seed g_seed;

/* The Maglev tables, built once per process the way the control plane does (hash strings of
 * the active backends, Cilium's default seed, M = 251). */
static void build_luts(void)
{
	char err[160];

	CHECK(dl_maglev_seed_decode(DL_MAGLEV_DEFAULT_SEED, &g_seed, err, sizeof(err)) == 0);
	for (unsigned t = 0; t < 4; t++)
		for (unsigned mask = 1; mask < 8; mask++) {
			unsigned fam6 = t >> 1, udp = t & 1, n = 0;
			char str[3][DL_MAGLEV_HASH_STRING_MAX];
			struct dl_maglev_backend in[3];
			uint32_t ids[3];
			struct dl_maglev_table tab;

			for (unsigned pod = 0; pod < 3; pod++) {
				struct dl_maglev_backend_desc d;
				int len;
				if (!(mask & (1u << pod)))
					continue;
				memset(&d, 0, sizeof(d));
				d.family = fam6 ? 6 : 4;
				d.l4 = udp ? DL_MAGLEV_L4_UDP : DL_MAGLEV_L4_TCP;
				d.port = POD_PORT;
				memcpy(d.addr, fam6 ? POD6[pod] : POD4[pod], fam6 ? 16 : 4);
				len = dl_maglev_backend_hash_string(&d, str[n], sizeof(str[n]));
				CHECK(len > 0);
				in[n].hash_string = str[n];
				in[n].hash_len = (size_t)len;
				in[n].weight = 100;
				ids[n++] = be_id(fam6, udp, pod);
			}
			CHECK(dl_maglev_build(in, n, 251, g_seed.murmur, NULL, 0, &tab, err, sizeof(err)) == 0);
			dl_maglev_table_ids(&tab, ids, luts[fam6][udp][mask]);
			dl_maglev_table_free(&tab);
		}
}

/* The LoadBalancer VIP's four frontends, installed first (rev-NAT index = position + 1) and the
 * ones a control-plane step re-installs with another set of backends. */
struct vip_svc {
	uint8_t fam6, udp, alg;
	uint16_t flags;
	uint8_t pool; /* pods (bit i: node i) that back it initially */
};
static const struct vip_svc vip_svcs[4] = {
	{0, 0, DL_LB_ALG_MAGLEV, 0, 7},
	{0, 1, DL_LB_ALG_RANDOM, DL_SVC_FLAG_AFFINITY, 6},
	{1, 0, DL_LB_ALG_RANDOM, 0, 7},
	{1, 1, DL_LB_ALG_MAGLEV, 0, 6},
};

static uint32_t add_host(struct dl_cluster *c, enum dl_host_kind kind, const char *name, uint8_t macid,
			 const uint8_t *v4, const uint8_t *v6, uint32_t node, uint16_t mtu)
{
	struct dl_host_config h = tu_host_config(kind, name, macid, v4, v6, node, mtu);
	int id = dl_cluster_add_host(c, &h);

	CHECK(id >= 0);
	return (uint32_t)id;
}

static void add_route(struct dl_cluster *c, uint8_t fam, const uint8_t *addr, uint32_t node)
{
	struct dl_frontend_route r;

	memset(&r, 0, sizeof(r));
	r.family = fam;
	memcpy(r.addr, addr, fam == 6 ? 16 : 4);
	r.node = node;
	CHECK(dl_cluster_add_frontend_route(c, &r) == 0);
}

/* The service forwarding mode the control plane gives a frontend (frontendForwarding). */
static bool fwd_dsr(const struct sel *s, uint8_t proto)
{
	unsigned mode = s->s0 & 3;
	return mode == 1 || mode == 3 || (mode == 2 && proto == DL_IPPROTO_TCP);
}

/* One frontend on one node (node UINT32_MAX: on every node). */
static void __add_svc(struct dl_cluster *c, const struct sel *sel, uint32_t revnat, uint32_t node, uint8_t fam,
		      const uint8_t *addr, uint16_t port, uint8_t proto, uint16_t flags, uint8_t alg, const uint32_t *ids,
		      uint16_t n, const uint32_t *lut)
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
	s.flags2 = proto && fwd_dsr(sel, proto) ? DL_SVC_FLAG2_FWD_MODE_DSR : 0;
	s.algorithm = alg;
	if (flags & DL_SVC_FLAG_AFFINITY)
		s.affinity_timeout = 30;
	for (uint32_t i = 0; i < 3; i++)
		if (node == UINT32_MAX || node == i)
			CHECK(dl_cluster_add_service(c, i, &k, &s, ids, lut) == 0);
}

static void add_svc(struct setup *st, uint32_t node, uint8_t fam, const uint8_t *addr, uint16_t port, uint8_t proto,
		    uint16_t flags, uint8_t alg, const uint32_t *ids, uint16_t n, const uint32_t *lut)
{
	__add_svc(st->c, &st->sel, st->next_revnat++, node, fam, addr, port, proto, flags, alg, ids, n, lut);
}

/* (Re)installs VIP frontend v with the pods in mask as its backends, on node (UINT32_MAX:
 * all); the pods of its pool not in mask are marked terminating when terminate is set. */
static void install_vip(struct dl_cluster *c, const struct sel *sel, unsigned v, unsigned mask, uint32_t node,
			bool terminate)
{
	const struct vip_svc *vs = &vip_svcs[v];
	uint32_t ids[3];
	uint16_t n = 0;

	mask &= vs->pool;
	for (unsigned pod = 0; pod < 3; pod++) {
		if (mask & (1u << pod))
			ids[n++] = be_id(vs->fam6, vs->udp, pod);
		else if (terminate && (vs->pool & (1u << pod))) {
			struct dl_lb_backend be;
			memset(&be, 0, sizeof(be));
			memcpy(be.addr, vs->fam6 ? POD6[pod] : POD4[pod], vs->fam6 ? 16 : 4);
			be.port = POD_PORT;
			be.proto = vs->udp ? DL_IPPROTO_UDP : DL_IPPROTO_TCP;
			be.family = vs->fam6 ? 6 : 4;
			be.flags = DL_BE_TERMINATING;
			be.host = H_POD0 + pod;
			for (uint32_t i = 0; i < 3; i++)
				if (node == UINT32_MAX || node == i)
					CHECK(dl_cluster_add_backend(c, i, be_id(vs->fam6, vs->udp, pod), &be) == 0);
		}
	}
	__add_svc(c, sel, v + 1, node, vs->fam6 ? 6 : 4, vs->fam6 ? VIP6 : VIP4, SVC_PORT,
		  vs->udp ? DL_IPPROTO_UDP : DL_IPPROTO_TCP, F_LB | vs->flags, vs->alg, ids, n,
		  vs->alg == DL_LB_ALG_MAGLEV && n ? luts[vs->fam6][vs->udp][mask] : NULL);
}

static struct dl_cluster *cluster_setup(const struct sel *s)
{
	struct dl_cluster_config cfg;
	struct setup st;
	char err[160];
	bool tiny = s->s1 & 0x08;
	uint16_t small = (s->s1 & 0x04) ? 1280 : 1500;
	const uint16_t mtu[3] = {1500, small, small};
	static const char *pods[3] = {"web-0", "web-1", "web-2"};

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = (enum dl_lb_mode)((s->s0 & 3) == 3 ? DL_MODE_DSR : (s->s0 & 3));
	cfg.dispatch = (enum dl_dsr_dispatch)(((s->s0 >> 2) & 3) == 3 ? DL_DSR_DISPATCH_OPT : ((s->s0 >> 2) & 3));
	cfg.profile.era = (s->s0 & 0x10) ? DL_DSR_ERA_RECENT : DL_DSR_ERA_V1_15;
	cfg.profile.opt_order = (s->s0 & 0x20) ? DL_DSR_OPT_ORDER_NETWORK : DL_DSR_OPT_ORDER_LEGACY;
	cfg.accel = (s->s0 & 0x40) ? DL_ACCEL_NATIVE : DL_ACCEL_DISABLED;
	cfg.pmtu_discovery = s->s0 & 0x80;
	cfg.reject_no_backend = s->s1 & 0x01;
	cfg.responder = (s->s1 & 0x02) ? DL_RESPOND_ECHO : DL_RESPOND_NONE;
	cfg.external_cluster_ip = s->s1 & 0x10;
	cfg.profile.per_service_fwd_mode = s->s1 & 0x20;
	cfg.profile.snat_clamp_closed = s->s1 & 0x40;
	cfg.profile.maglev_hash = (s->s1 & 0x80) ? DL_MAGLEV_HASH_PRE_37353 : DL_MAGLEV_HASH_CURRENT;
	cfg.profile.snat_retries = (s->s1 & 0x40) ? 32 : 128;
	cfg.nat_port_min = tiny ? 65530 : 32768;
	cfg.nat_port_max = 65535;
	dl_ct_config_init(&cfg.ct, (s->s0 & 0x10) ? 8000 : 21600);
	cfg.lb.max_services = 64;
	cfg.lb.maglev_m = 251;
	cfg.lb.seed_jhash0 = g_seed.jhash0;
	cfg.lb.seed_jhash1 = g_seed.jhash1;
	cfg.lb.hash_version = cfg.profile.maglev_hash;
	cfg.lb.default_algorithm = DL_LB_ALG_RANDOM;
	cfg.ct_tcp_max = tiny ? 4 : 256;
	cfg.ct_any_max = tiny ? 4 : 256;
	cfg.nat_max = tiny ? 4 : 256;
	cfg.frag_max = tiny ? 2 : 64;
	cfg.addr_max = 64;
	cfg.flow_max = 64;
	cfg.seed = 7;

	memset(&st, 0, sizeof(st));
	st.sel = *s;
	st.next_revnat = 1;
	st.c = dl_cluster_new(&cfg, err, sizeof(err));
	if (!st.c) {
		fprintf(stderr, "fuzz_pipeline: dl_cluster_new: %s\n", err);
		__builtin_trap();
	}
	for (unsigned i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "node-%u", i);
		CHECK(add_host(st.c, DL_HOST_NODE, name, (uint8_t)(0x11 + i), NODE4[i], NODE6[i], 0, mtu[i]) ==
		      H_NODE0 + i);
	}
	CHECK(add_host(st.c, DL_HOST_CLIENT, "client", 0x07, CLIENT4, CLIENT6, 0, 1500) == H_CLIENT);
	CHECK(add_host(st.c, DL_HOST_CLIENT, "world", 0x08, NULL, NULL, 0, 1500) == H_WORLD);
	CHECK(dl_cluster_set_default_host(st.c, H_WORLD) == 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK(add_host(st.c, DL_HOST_POD, pods[i], (uint8_t)(0x20 + i), POD4[i], POD6[i], H_NODE0 + i, mtu[i]) ==
		      H_POD0 + i);

	/* Backends, the same on every node. */
	for (unsigned fam6 = 0; fam6 < 2; fam6++)
		for (unsigned udp = 0; udp < 2; udp++)
			for (unsigned pod = 0; pod < 3; pod++) {
				struct dl_lb_backend be;
				memset(&be, 0, sizeof(be));
				memcpy(be.addr, fam6 ? POD6[pod] : POD4[pod], fam6 ? 16 : 4);
				be.port = POD_PORT;
				be.proto = udp ? DL_IPPROTO_UDP : DL_IPPROTO_TCP;
				be.family = fam6 ? 6 : 4;
				be.host = H_POD0 + pod;
				for (uint32_t n = 0; n < 3; n++)
					CHECK(dl_cluster_add_backend(st.c, n, be_id(fam6, udp, pod), &be) == 0);
			}

	{
		const uint32_t v4tcp[3] = {be_id(0, 0, 0), be_id(0, 0, 1), be_id(0, 0, 2)};
		const uint32_t v4udp[2] = {be_id(0, 1, 1), be_id(0, 1, 2)};
		const uint32_t v6tcp[3] = {be_id(1, 0, 0), be_id(1, 0, 1), be_id(1, 0, 2)};
		const uint32_t cipudp[2] = {be_id(0, 1, 0), be_id(0, 1, 1)};
		uint16_t cip_flags = cfg.external_cluster_ip ? DL_SVC_FLAG_ROUTABLE : 0;

		/* LoadBalancer VIPs (rev-NAT 1-4): IPv4 pinned to node 0, IPv6 by ECMP. */
		for (unsigned v = 0; v < 4; v++)
			install_vip(st.c, s, v, 7, UINT32_MAX, false);
		st.next_revnat = 5;
		add_route(st.c, 4, VIP4, H_NODE0);
		add_route(st.c, 6, VIP6, UINT32_MAX);
		/* No backends. */
		add_svc(&st, UINT32_MAX, 4, EMPTY4, SVC_PORT, DL_IPPROTO_TCP, F_LB, DL_LB_ALG_DEFAULT, NULL, 0, NULL);
		add_svc(&st, UINT32_MAX, 6, EMPTY6, SVC_PORT, DL_IPPROTO_UDP, F_LB, DL_LB_ALG_DEFAULT, NULL, 0, NULL);
		add_route(st.c, 4, EMPTY4, H_NODE0);
		add_route(st.c, 6, EMPTY6, UINT32_MAX);
		/* ClusterIP, routed by ECMP as every service address is. */
		add_svc(&st, UINT32_MAX, 4, CIP4, SVC_PORT, DL_IPPROTO_TCP, cip_flags, DL_LB_ALG_DEFAULT, v4tcp, 3, NULL);
		add_svc(&st, UINT32_MAX, 4, CIP4, CIP_DNS, DL_IPPROTO_UDP, cip_flags, DL_LB_ALG_DEFAULT, cipudp, 2, NULL);
		add_route(st.c, 4, CIP4, UINT32_MAX);
		/* NodePorts, each on its own node's addresses. */
		for (uint32_t n = 0; n < 3; n++) {
			add_svc(&st, n, 4, NODE4[n], NODEPORT, DL_IPPROTO_TCP, F_NP, DL_LB_ALG_DEFAULT, v4tcp, 3, NULL);
			add_svc(&st, n, 4, NODE4[n], NODEPORT, DL_IPPROTO_UDP, F_NP, DL_LB_ALG_DEFAULT, v4udp, 2, NULL);
			add_svc(&st, n, 6, NODE6[n], NODEPORT, DL_IPPROTO_TCP, F_NP, DL_LB_ALG_DEFAULT, v6tcp, 3, NULL);
		}
		/* Recent main's "known VIP, unknown port" entries. */
		if (cfg.profile.era == DL_DSR_ERA_RECENT) {
			add_svc(&st, UINT32_MAX, 4, VIP4, 0, 0, F_LB, DL_LB_ALG_DEFAULT, NULL, 0, NULL);
			add_svc(&st, UINT32_MAX, 6, VIP6, 0, 0, F_LB, DL_LB_ALG_DEFAULT, NULL, 0, NULL);
		}
	}
	return st.c;
}

/* ---- one input ---- */

struct frame {
	const uint8_t *data;
	uint32_t len;
	uint8_t sender;
};

/* Link type code 0 is Ethernet with checksums the harness fixes (so the checksum invariant
 * applies), 1 Ethernet as given. */
static const uint32_t linktypes[4] = {DL_LINKTYPE_ETHERNET, DL_LINKTYPE_ETHERNET, DL_LINKTYPE_RAW,
				      DL_LINKTYPE_LINUX_SLL};
static const uint32_t senders[8] = {H_CLIENT, H_CLIENT, H_WORLD, H_POD0, H_POD1, H_POD2, H_NODE1, N_HOSTS + 3};
static const int64_t time_steps[4] = {0, 1, 65, 100000};

/* Two logs: the batch run's and the tight run's. */
struct log {
	struct dl_event *events;
	uint8_t *arena;
	uint64_t cap;
	struct dl_out out;
};
static struct log g_log[2];

/* Made packets get ids from FIRST_MADE_ID up, in order, without gaps (cluster.c). */
#define FIRST_MADE_ID 0x80000000u
#define MAX_MADE 1024u

/* A WIRE_TX frame that does not parse must be the input as it was loaded: the same bytes but
 * for the MACs (Ethernet), the same IP packet behind a made-up Ethernet header (other link
 * types), or nothing (a frame the emulation could not load). */
static bool is_input_bytes(const uint8_t *b, uint32_t len, const struct dl_in_packet *in)
{
	if (len == 0)
		return true;
	if (in->linktype == DL_LINKTYPE_ETHERNET)
		return len == in->len && (len < 12 || !memcmp(b + 12, in->data + 12, len - 12));
	return len >= 14 && len - 14 <= in->len && !memcmp(b + 14, in->data + in->len - (len - 14), len - 14);
}

/* True when a frame parses as IP and every checksum it has that can be checked is right. */
static bool csums_ok(const uint8_t *b, uint32_t len)
{
	struct dl_pkt_info pi;

	if (dl_pkt_parse(b, len, DL_LINKTYPE_ETHERNET, &pi) != DL_PARSE_OK || !dl_pkt_is_ip(&pi))
		return true; /* not IP: nothing to check (WIRE_TX frames are held to parsing apart) */
	return (dl_pkt_verify_csums(b, len, &pi) & DL_CSUM_BAD_MASK) == 0;
}

/* DSRLAB_FUZZ_DUMP=1 in the environment prints each run's input and log, for reading a crash:
 *   DSRLAB_FUZZ_DUMP=1 build-fuzz/fuzz_pipeline native/fuzz/crashes/<file> */
static bool g_dump;

static void dump_frame(const uint8_t *b, uint32_t len, uint32_t linktype)
{
	struct dl_pkt_info pi;
	char a[48] = "?", d[48] = "?";

	if (dl_pkt_parse(b, len, linktype, &pi) != DL_PARSE_OK || !dl_pkt_is_ip(&pi)) {
		fprintf(stderr, "len=%u unparsed (%s)", len, pi.err);
		return;
	}
	if (pi.l3 == DL_L3_IPV4) {
		snprintf(a, sizeof(a), "%u.%u.%u.%u", pi.src[0], pi.src[1], pi.src[2], pi.src[3]);
		snprintf(d, sizeof(d), "%u.%u.%u.%u", pi.dst[0], pi.dst[1], pi.dst[2], pi.dst[3]);
	} else {
		snprintf(a, sizeof(a), "[..%02x%02x:%02x%02x]", pi.src[12], pi.src[13], pi.src[14], pi.src[15]);
		snprintf(d, sizeof(d), "[..%02x%02x:%02x%02x]", pi.dst[12], pi.dst[13], pi.dst[14], pi.dst[15]);
	}
	fprintf(stderr, "len=%u %s:%u > %s:%u proto=%u ttl=%u l3=%u hdr=%u frag=%d tcp=%02x", len, a, pi.sport, d, pi.dport,
		pi.l4_proto, pi.ttl, pi.l3_len, pi.l3_hdr_len, (int)pi.frag, pi.tcp_flags);
}

static void dump_log(const struct dl_out *o, const struct dl_in_packet *in, uint32_t n_in)
{
	static const char *pt[] = {"?", "WIRE_TX", "WIRE_RX", "TAP_RX", "TAP_TX", "XDP", "TC_IN", "TC_EG",
				   "LXC_EG", "LXC_IN", "STACK", "POD", "CLIENT"};
	static const char *vn[] = {"SEEN", "PASS", "XLATE", "TX", "REDIR", "DROP", "DELIV", "STACK", "ANSWER"};

	for (uint32_t k = 0; k < n_in; k++) {
		fprintf(stderr, "in %u from h%u lt=%u%s t=%lld: ", k, in[k].host, in[k].linktype, in[k].server ? " server" : "",
			(long long)in[k].ts_sec);
		dump_frame(in[k].data, in[k].len, in[k].linktype);
		fprintf(stderr, "\n");
	}
	for (uint32_t i = 0; i < o->n_events; i++) {
		const struct dl_event *e = &o->events[i];
		fprintf(stderr, "  %08x/%u h%-2d %-7s %-6s fl=%02x drop=%d be=%u ", e->pkt, e->parent, (int)e->host,
			e->point < DL_ARRAY_SIZE(pt) ? pt[e->point] : "?", e->verdict < DL_ARRAY_SIZE(vn) ? vn[e->verdict] : "?",
			e->flags, e->drop, e->backend);
		dump_frame(o->arena + e->off, e->len, DL_LINKTYPE_ETHERNET);
		fprintf(stderr, "\n");
	}
}

/* Transparency (DESIGN): a reply the echo responder made that reaches a client comes from
 * exactly the address and port its request was sent to, and goes to where it came from.
 * Held only for inputs whose every IP frame is a plain one from the client (struct req):
 * frames carrying DSR information of their own (an IPv4 option, IPv6 extension headers, a
 * tunnel) may rightly be answered as the VIP they name, and spoofed ones (a pod's or the LB's
 * address, a captured server packet) may rightly hijack a flow; both leave state behind for
 * later packets of the same ports. And a TCP segment is held to it only on a connection whose
 * SYN reached a pod less than a minute before it, with no RST or FIN since: one the datapath
 * never saw open, or saw closed or expired, gets no DSR information in v1.15 (the backend then
 * answers as itself, as Cilium does; kpr_v4_dsr_lb2_data). */
struct req {
	struct dl_pkt_info pi;
	int64_t ts;
	bool plain;            /* IP from the client's address, no options/extension headers/tunnel */
	bool syn_reached_pod;
};

static bool same_conn(const struct dl_pkt_info *a, const struct dl_pkt_info *b)
{
	return a->l3 == b->l3 && a->l4_proto == b->l4_proto && !memcmp(a->src, b->src, 16) && !memcmp(a->dst, b->dst, 16) &&
	       a->sport == b->sport && a->dport == b->dport;
}

/* TCP: the connection of request j was seen open (see above). */
static bool tcp_open(const struct req *rq, uint32_t j)
{
	bool open = false;

	for (uint32_t k = 0; k < j; k++) {
		if (!same_conn(&rq[k].pi, &rq[j].pi))
			continue;
		if (rq[k].syn_reached_pod && rq[j].ts - rq[k].ts < 60)
			open = true;
		else if (rq[k].pi.tcp_flags & (DL_TCP_RST | DL_TCP_FIN))
			open = false;
	}
	return open || rq[j].syn_reached_pod;
}

static void check_transparent(const uint8_t *b, uint32_t len, const struct req *rq, uint32_t j)
{
	const struct dl_pkt_info *q = &rq[j].pi;
	struct dl_pkt_info r;
	uint32_t alen;

	if (q->l4_proto == DL_IPPROTO_TCP && !tcp_open(rq, j))
		return;
	CHECK(dl_pkt_parse(b, len, DL_LINKTYPE_ETHERNET, &r) == DL_PARSE_OK && r.l3 == q->l3 && r.l4_proto == q->l4_proto);
	alen = q->l3 == DL_L3_IPV6 ? 16 : 4;
	CHECK(!memcmp(r.src, q->dst, alen) && !memcmp(r.dst, q->src, alen));
	if (q->l4_proto == DL_IPPROTO_TCP || q->l4_proto == DL_IPPROTO_UDP)
		CHECK(r.sport == q->dport && r.dport == q->sport);
	else
		CHECK(r.icmp_id == q->icmp_id);
}

static struct req g_req[MAX_FRAMES];

/* valid[k]: input k went in as IP with right checksums, so every frame of it (and of what was
 * made in answer to it) must have them too (DESIGN: Checksums). */
static void check_log(const struct dl_out *o, const struct dl_in_packet *in, uint32_t n_in, const bool *valid,
		      bool transparent)
{
	uint32_t finals_in[MAX_FRAMES];
	bool ended_in[MAX_FRAMES];
	uint8_t finals_made[MAX_MADE];
	uint32_t n_made = 0;

	CHECK(o->n_events <= o->max_events && o->arena_used <= o->arena_size);
	memset(finals_in, 0, sizeof(finals_in));
	memset(ended_in, 0, sizeof(ended_in));
	memset(finals_made, 0, sizeof(finals_made));
	for (uint32_t i = 0; i < o->n_events; i++)
		if (o->events[i].pkt >= FIRST_MADE_ID && o->events[i].pkt - FIRST_MADE_ID >= n_made)
			n_made = o->events[i].pkt - FIRST_MADE_ID + 1;
	CHECK(n_made <= MAX_MADE);
	if (transparent) {
		for (uint32_t k = 0; k < n_in; k++) {
			struct req *q = &g_req[k];
			memset(q, 0, sizeof(*q));
			q->ts = in[k].ts_sec;
			if (dl_pkt_parse(in[k].data, in[k].len, in[k].linktype, &q->pi) != DL_PARSE_OK || !dl_pkt_is_ip(&q->pi))
				continue; /* never gets past the fabric or bpf_lxc */
			q->plain = (in[k].host == H_CLIENT || in[k].host == H_WORLD) && !in[k].server &&
				   !memcmp(q->pi.src, q->pi.l3 == DL_L3_IPV6 ? CLIENT6 : CLIENT4, q->pi.l3 == DL_L3_IPV6 ? 16 : 4) &&
				   !(q->pi.l3 == DL_L3_IPV4 && q->pi.l3_hdr_len != 20) && !q->pi.ext_count &&
				   dl_pkt_has_l4_hdr(&q->pi) && !(q->pi.l4_proto == DL_IPPROTO_UDP && q->pi.dport == 6081);
			transparent &= q->plain;
		}
		for (uint32_t i = 0; i < o->n_events; i++) {
			const struct dl_event *e = &o->events[i];
			struct req *q = e->pkt < n_in ? &g_req[e->pkt] : NULL;
			if (q && e->point == DL_PT_POD && q->pi.l4_proto == DL_IPPROTO_TCP &&
			    (q->pi.tcp_flags & (DL_TCP_SYN | DL_TCP_ACK)) == DL_TCP_SYN)
				q->syn_reached_pod = true;
		}
	}
	for (uint32_t i = 0; i < o->n_events; i++) {
		const struct dl_event *e = &o->events[i];
		bool made = e->pkt >= FIRST_MADE_ID;
		uint32_t k = made ? e->pkt - FIRST_MADE_ID : e->pkt;
		const uint8_t *b = o->arena + e->off;

		CHECK(made ? k < n_made : k < n_in);
		CHECK(dl_in_bounds(o->arena_used, e->off, e->len));
		CHECK(e->point >= DL_PT_WIRE_TX && e->point <= DL_PT_CLIENT);
		CHECK(e->verdict <= DL_V_ANSWERED);
		CHECK(e->host < N_HOSTS || e->host == UINT32_MAX);
		CHECK((e->verdict == DL_V_DROPPED) == (e->drop < 0) && e->drop <= 0);
		CHECK(made ? (e->flags & DL_EVF_GENERATED) && e->parent < n_in : e->parent == e->pkt);
		/* Exactly one final event per packet, and nothing happens to it after that. */
		if (made) {
			CHECK(finals_made[k] == 0);
			finals_made[k] += (e->flags & DL_EVF_FINAL) != 0;
		} else {
			CHECK(!ended_in[k]);
			if (e->flags & DL_EVF_FINAL) {
				finals_in[k]++;
				ended_in[k] = true;
			}
		}
		if (e->point == DL_PT_WIRE_TX) {
			struct dl_pkt_info pi;
			bool ok = dl_pkt_parse(b, e->len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK && dl_pkt_is_ip(&pi);
			CHECK(ok || (!made && is_input_bytes(b, e->len, &in[k])));
		}
		if ((e->point == DL_PT_WIRE_TX || e->point == DL_PT_WIRE_RX) && valid[made ? e->parent : k])
			CHECK(csums_ok(b, e->len));
		if (made && transparent && e->point == DL_PT_CLIENT && (e->flags & DL_EVF_REPLY))
			check_transparent(b, e->len, g_req, e->parent);
	}
	for (uint32_t k = 0; k < n_in; k++)
		CHECK(finals_in[k] == 1);
	for (uint32_t k = 0; k < n_made; k++)
		CHECK(finals_made[k] == 1);
}

/* One step of an input: a packet (in[pkt]) or a control-plane change. */
struct step {
	bool op;
	uint32_t pkt;
	uint8_t a; /* op: bits 0-1 which VIP frontend, 2-4 its new pods (bit i: node i), 5 mark the
		    * dropped ones terminating, 6 on node 0 only (the others keep the old set) */
};

static void control_step(struct dl_cluster *c, const struct sel *s, uint8_t a)
{
	install_vip(c, s, a & 3, (a >> 2) & 7, (a & 0x40) ? H_NODE0 : UINT32_MAX, a & 0x20);
}

/* Runs the steps on a fresh cluster into g_log[tight]: batch, each stretch of packets between
 * control-plane steps as one dl_cluster_run into a roomy log; tight, one run per packet with
 * exactly the room dl_cluster_run reserves for a packet, so a packet that needs more than that
 * shows up as a full log. */
static void run_once(const struct sel *s, const struct step *st, uint32_t n_steps, const struct dl_in_packet *in,
		     int tight, uint64_t need_arena)
{
	struct log *l = &g_log[tight];
	struct dl_out *out = &l->out;
	struct dl_cluster *c = cluster_setup(s);

	if (need_arena > l->cap) {
		free(l->arena);
		l->arena = malloc(need_arena);
		CHECK(l->arena != NULL);
		l->cap = need_arena;
	}
	memset(out, 0, sizeof(*out));
	out->events = l->events;
	out->arena = l->arena;
	for (uint32_t i = 0, j; i < n_steps; i = j) {
		if (st[i].op) {
			control_step(c, s, st[i].a);
			j = i + 1;
			continue;
		}
		for (j = i; j < n_steps && !st[j].op; j++)
			;
		if (tight) {
			for (uint32_t k = st[i].pkt; k < st[i].pkt + (j - i); k++) {
				out->max_events = out->n_events + EVENTS_PER_PKT;
				out->arena_size = out->arena_used + EVENTS_PER_PKT * (in[k].len + 512u);
				CHECK(dl_cluster_run(c, &in[k], 1, out) == 1);
				CHECK(!out->full);
			}
		} else {
			out->max_events = ROOMY_EVENTS;
			out->arena_size = (uint32_t)l->cap;
			CHECK(dl_cluster_run(c, &in[st[i].pkt], j - i, out) == j - i);
			CHECK(!out->full);
		}
	}
	dl_cluster_free(c);
}

static void run_input(const struct sel *s, const struct frame *fr, uint32_t n)
{
	struct dl_in_packet in[MAX_FRAMES];
	struct step st[MAX_FRAMES];
	uint8_t *fixed[MAX_FRAMES];
	bool valid[MAX_FRAMES];
	int64_t ts = 1700000000;
	uint64_t need_arena = 0;
	uint32_t m = 0;
	bool has_ops = false;

	memset(in, 0, sizeof(in));
	for (uint32_t i = 0; i < n; i++) {
		unsigned lt = (fr[i].sender >> 3) & 3;
		struct dl_pkt_info pi;

		ts += time_steps[fr[i].sender >> 6];
		if ((fr[i].sender & 0x27) == 0x27) { /* no such host, as a server packet: a control step */
			st[i].op = true;
			has_ops = true;
			st[i].a = fr[i].len ? fr[i].data[0] : 0;
			continue;
		}
		st[i].op = false;
		st[i].pkt = m;
		/* Exact-size copies, so a read past a frame is an ASan report. */
		fixed[m] = malloc(fr[i].len ? fr[i].len : 1);
		CHECK(fixed[m] != NULL);
		memcpy(fixed[m], fr[i].data, fr[i].len);
		valid[m] = false;
		if (lt <= 1 && dl_pkt_parse(fixed[m], fr[i].len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK &&
		    dl_pkt_is_ip(&pi)) {
			if (lt == 0)
				dl_pkt_fix_csums(fixed[m], fr[i].len, &pi);
			/* A tunnel's inner packet is not checked here, so its frames are not held to it. */
			valid[m] = (dl_pkt_verify_csums(fixed[m], fr[i].len, &pi) & DL_CSUM_BAD_MASK) == 0 &&
				   pi.l4_proto != DL_IPPROTO_IPIP && pi.l4_proto != DL_IPPROTO_IPV6 &&
				   !(pi.l4_proto == DL_IPPROTO_UDP && pi.dport == 6081);
		}
		in[m].data = fixed[m];
		in[m].len = fr[i].len;
		in[m].host = senders[fr[i].sender & 7];
		in[m].linktype = linktypes[lt];
		in[m].server = (fr[i].sender >> 5) & 1;
		in[m].ts_sec = ts;
		in[m].ts_nsec = m * 1000u;
		in[m].id = m;
		need_arena += (uint64_t)EVENTS_PER_PKT * (fr[i].len + 512u);
		m++;
	}
	/* Room for every packet's reservation, so no input is ever refused for want of it. */
	if (need_arena < ROOMY_ARENA)
		need_arena = ROOMY_ARENA;
	run_once(s, st, n, in, 0, need_arena);
	if (g_dump) {
		fprintf(stderr, "selector %02x %02x\n", s->s0, s->s1);
		for (uint32_t i = 0, k = 0; i < n; i++) {
			if (st[i].op)
				fprintf(stderr, "control step %02x before input %u\n", st[i].a, k);
			else
				k++;
		}
		dump_log(&g_log[0].out, in, m);
	}
	/* Transparency is not kept once conntrack or NAT entries are evicted (tiny maps), nor in
	 * the recent era after a control-plane step: a SYN that gets a new backend on a known
	 * flow carries no DSR information there (lb_service's reselection leaves ct_new and
	 * need_dsr_info unset), so the new backend answers as itself. */
	check_log(&g_log[0].out, in, m, valid, !(s->s1 & 0x08) && !(has_ops && (s->s0 & 0x10)));
	run_once(s, st, n, in, 1, need_arena);
	check_log(&g_log[1].out, in, m, valid, false);
	/* Determinism: the same frames on the same cluster give the same log, byte for byte,
	 * however the caller cuts the batch. */
	CHECK(g_log[0].out.n_events == g_log[1].out.n_events && g_log[0].out.arena_used == g_log[1].out.arena_used);
	CHECK(!memcmp(g_log[0].events, g_log[1].events, g_log[0].out.n_events * sizeof(struct dl_event)));
	CHECK(!memcmp(g_log[0].arena, g_log[1].arena, g_log[0].out.arena_used));
	for (uint32_t i = 0; i < m; i++)
		free(fixed[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame fr[MAX_FRAMES];
	struct sel s;
	uint32_t n = 0;
	size_t p = 2;

	if (!g_log[0].events) {
		g_dump = getenv("DSRLAB_FUZZ_DUMP") != NULL;
		build_luts();
		for (int i = 0; i < 2; i++) {
			g_log[i].events = malloc(sizeof(struct dl_event) * ROOMY_EVENTS);
			CHECK(g_log[i].events != NULL);
		}
	}
	if (size < 2)
		return 0;
	s.s0 = data[0];
	s.s1 = data[1];
	while (n < MAX_FRAMES && p + 3 <= size) {
		uint32_t len = ((uint32_t)data[p + 1] << 8) | data[p + 2];
		fr[n].sender = data[p];
		p += 3;
		if (len > size - p)
			len = (uint32_t)(size - p);
		fr[n].data = data + p;
		fr[n].len = len;
		p += len;
		n++;
	}
	run_input(&s, fr, n);
	return 0;
}
