/* pipeline_bench.c: packets per second of the LB node's datapath program alone (bpf_host
 * from-netdev: service lookup, conntrack, selection, DNAT, then SNAT or DSR), for new flows
 * (every packet a SYN of a new connection) and established flows (ACKs of known connections),
 * in each mode, over two working sets: a large one (200,000 flows by default: CT and NAT maps
 * far beyond the caches, so mostly memory latency) and a small one (1,000 flows, cache
 * resident, how Katran/Cilium figures are usually quoted). Not a test; `npm run bench` builds
 * and runs it:
 *   cc -std=c11 -O2 -flto -Inative/include native/bench/pipeline_bench.c native/src/[a-z]*.c -o build-bench/pipeline_bench
 * Arguments: [large flows] [mode|all] [1.19|v1.15] (the behaviour profile; 1.19 by default).
 * Prints one line per case:
 * "<mode> <new|established> <packets> <seconds> <Mpps> <forwarded> <flows> <profile>".
 * New flows run in rounds, the LB node's CT and NAT maps emptied (untimed) before each, after
 * an untimed first round that touches the maps' memory (as the kernel's preallocation would). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dsrlab/cluster.h"
#include "dsrlab/node.h"
#include "dsrlab/codec.h"
#include "dsrlab/csum.h"
#include "../src/cluster_priv.h"

#ifndef SMALL_ROUNDS
#define SMALL_ROUNDS 1000 /* fewer for profiling under callgrind */
#endif

static double now_s(void)
{
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An Ethernet + IPv4 + TCP frame of 54 bytes from 10.x.y.z:port to 198.51.100.10:80. */
static uint32_t syn_frame(uint8_t *f, uint32_t client, uint16_t sport, uint8_t flags)
{
	struct dl_pkt_info pi;

	memset(f, 0, 54);
	f[0] = 0x02;
	f[6] = 0x02;
	f[11] = 1;
	dl_wr16(f + 12, 0x0800);
	f[14] = 0x45;
	dl_wr16(f + 16, 40);
	dl_wr16(f + 20, 0x4000);
	f[22] = 64;
	f[23] = 6;
	dl_wr32(f + 26, client);
	f[30] = 198; f[31] = 51; f[32] = 100; f[33] = 10;
	dl_wr16(f + 34, sport);
	dl_wr16(f + 36, 80);
	dl_wr32(f + 38, 1000);
	f[46] = 5 << 4;
	f[47] = flags;
	dl_wr16(f + 48, 64240);
	dl_pkt_parse(f, 54, DL_LINKTYPE_ETHERNET, &pi);
	dl_pkt_fix_csums(f, 54, &pi);
	return 54;
}

/* The behaviour profiles of cluster.h: Cilium 1.19 (the scenario default, "recent main") or
 * v1.15-era, with the fields src/datapath/config.ts sets for those versions. */
static void set_profile(struct dl_profile *p, bool recent)
{
	memset(p, 0, sizeof(*p));
	p->snat_retries = recent ? 32 : 128;
	if (!recent)
		return;
	p->era = DL_DSR_ERA_RECENT;
	p->opt_order = DL_DSR_OPT_ORDER_NETWORK;
	p->per_service_fwd_mode = true;
	p->snat_clamp_closed = true;
	p->icmp_to_vip_drop = true;
	p->ipv6_frag_tracking = true;
}

static struct dl_cluster *make(enum dl_lb_mode mode, uint32_t flows, uint32_t *lb, bool recent)
{
	struct dl_cluster_config cfg;
	struct dl_host_config h;
	char err[128];
	struct dl_cluster *c;
	uint32_t pods[8];

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.pmtu_discovery = true;
	cfg.nat_port_min = 32768;
	cfg.nat_port_max = 65535;
	set_profile(&cfg.profile, recent);
	dl_ct_config_init(&cfg.ct, 21600);
	cfg.lb.max_services = 1024;
	cfg.lb.maglev_m = 251;
	cfg.lb.default_algorithm = DL_LB_ALG_RANDOM;
	cfg.ct_tcp_max = flows * 2;
	cfg.ct_any_max = 1024;
	cfg.nat_max = flows * 2;
	cfg.frag_max = 1024;
	cfg.seed = 1;
	c = dl_cluster_new(&cfg, err, sizeof(err));
	if (!c)
		return NULL;
	for (int i = 0; i < 3; i++) {
		memset(&h, 0, sizeof(h));
		h.kind = DL_HOST_NODE;
		snprintf(h.name, sizeof(h.name), "node-%d", i);
		h.mac[0] = 2;
		h.mac[5] = (uint8_t)(0x10 + i);
		h.has_v4 = true;
		h.v4[0] = 192; h.v4[1] = 168; h.v4[2] = 10; h.v4[3] = (uint8_t)(11 + i);
		h.mtu = 1500;
		dl_cluster_add_host(c, &h);
	}
	*lb = 0;
	for (int i = 0; i < 8; i++) {
		memset(&h, 0, sizeof(h));
		h.kind = DL_HOST_POD;
		snprintf(h.name, sizeof(h.name), "pod-%d", i);
		h.mac[0] = 2;
		h.mac[5] = (uint8_t)(0x40 + i);
		h.has_v4 = true;
		h.v4[0] = 10; h.v4[1] = 244; h.v4[2] = (uint8_t)(1 + i % 2); h.v4[3] = (uint8_t)(10 + i);
		h.mtu = 1500;
		h.node = 1 + (uint32_t)(i % 2);
		pods[i] = (uint32_t)dl_cluster_add_host(c, &h);
	}
	for (uint32_t n = 0; n < 3; n++) {
		uint32_t ids[8];
		struct dl_lb_key k;
		struct dl_lb_service s;
		for (uint32_t i = 0; i < 8; i++) {
			struct dl_lb_backend be;
			memset(&be, 0, sizeof(be));
			be.family = 4;
			be.addr[0] = 10; be.addr[1] = 244; be.addr[2] = (uint8_t)(1 + i % 2); be.addr[3] = (uint8_t)(10 + i);
			be.port = 8080;
			be.proto = 6;
			be.host = pods[i];
			ids[i] = i + 1;
			dl_cluster_add_backend(c, n, i + 1, &be);
		}
		memset(&k, 0, sizeof(k));
		k.family = 4;
		k.addr[0] = 198; k.addr[1] = 51; k.addr[2] = 100; k.addr[3] = 10;
		k.port = 80;
		k.proto = 6;
		memset(&s, 0, sizeof(s));
		s.rev_nat_index = 1;
		s.count = 8;
		s.flags = DL_SVC_FLAG_ROUTABLE | DL_SVC_FLAG_LOADBALANCER;
		s.flags2 = mode == DL_MODE_SNAT ? 0 : DL_SVC_FLAG2_FWD_MODE_DSR;
		s.algorithm = DL_LB_ALG_RANDOM;
		dl_cluster_add_service(c, n, &k, &s, ids, NULL);
	}
	return c;
}

static double run(struct dl_cluster *c, uint32_t lb, const uint8_t *frames, uint32_t n, uint32_t rounds, uint32_t *ok)
{
	struct dl_node_env env = {.c = c, .node = lb, .now = 1000};
	static uint8_t storage[DL_CTX_MAX_FRAME];
	struct dl_ctx ctx;
	struct dl_prog_result res;
	double t0 = now_s();

	*ok = 0;
	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < n; i++) {
			dl_ctx_load(&ctx, storage, sizeof(storage), frames + (size_t)i * 54, 54);
			dl_node_from_netdev(&env, &ctx, false, &res);
			*ok += res.next == DL_NEXT_OUT;
		}
	return now_s() - t0;
}

/* Forgets every flow the LB node knows (CT and NAT), keeping the maps' memory. */
static void forget_flows(struct dl_cluster *c, uint32_t lb)
{
	struct dl_node_state *ns = dl_cluster_node(c, lb);

	dl_map_clear(&ns->ct.ct4_tcp);
	dl_map_clear(&ns->ct.ct4_any);
	dl_map_clear(&ns->snat.map4);
}

static void make_frames(uint8_t *syn, uint8_t *ack, uint32_t flows)
{
	for (uint32_t i = 0; i < flows; i++) {
		/* Distinct client ports (1024..61023) across client addresses, so SNAT's keep-port
		 * mostly succeeds, as with real clients' ephemeral ports. */
		uint32_t client = 0x0a000000u | (i / 60000 + 1) << 16 | (i % 251 + 1);
		uint16_t sport = (uint16_t)(1024 + i % 60000);
		syn_frame(syn + (size_t)i * 54, client, sport, 0x02);
		syn_frame(ack + (size_t)i * 54, client, sport, 0x10);
	}
}

int main(int argc, char **argv)
{
	uint32_t large = argc > 1 ? (uint32_t)atoi(argv[1]) : 200000;
	bool recent = !(argc > 3 && !strcmp(argv[3], "v1.15"));
	const char *profile = recent ? "1.19" : "v1.15";
	const char *names[] = {"snat", "dsr", "hybrid"};
	/* Working sets, with rounds of new and of established packets (about 10^6 packets each,
	 * the large set's new flows excepted: one SYN per flow into empty maps). */
	struct { uint32_t flows, new_rounds, est_rounds; } sets[] = {
		{large, 1, 5},
		{1000, SMALL_ROUNDS, SMALL_ROUNDS},
	};

	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		uint32_t flows = sets[s].flows;
		uint8_t *syn = malloc((size_t)flows * 54), *ack = malloc((size_t)flows * 54);

		if (!flows || !syn || !ack)
			return 1;
		make_frames(syn, ack, flows);
		for (int m = 0; m < 3; m++) {
			uint32_t lb, ok, n;
			double t = 0;
			if (argc > 2 && strcmp(argv[2], "all") && strcmp(argv[2], names[m]))
				continue;
			struct dl_cluster *c = make((enum dl_lb_mode)m, flows, &lb, recent);
			if (!c)
				return 1;
			ok = 0;
			/* The kernel preallocates a hash map's elements when it creates the map; a
			 * first, untimed round stands in for that, so the timed rounds do not pay for
			 * the first touch of the maps' pages (page faults are a third of the large
			 * set's time otherwise). */
			run(c, lb, syn, flows, 1, &n);
			for (uint32_t r = 0; r < sets[s].new_rounds; r++) {
				forget_flows(c, lb);
				t += run(c, lb, syn, flows, 1, &n);
				ok += n;
			}
			n = flows * sets[s].new_rounds;
			printf("%s new %u %.6f %.2f %u %u %s\n", names[m], n, t, n / t / 1e6, ok, flows, profile);
			n = flows * sets[s].est_rounds;
			t = run(c, lb, ack, flows, sets[s].est_rounds, &ok);
			printf("%s established %u %.6f %.2f %u %u %s\n", names[m], n, t, n / t / 1e6, ok, flows, profile);
			dl_cluster_free(c);
		}
		free(syn);
		free(ack);
	}
	return 0;
}
