/* fuzz_replay_sink.c: libFuzzer target for replay's hot path in C (replay_sink.c, replay_flows.c):
 * the flows.jsonl formatter fed any event over any frame bytes, and a sink fed any capture on a
 * small cluster, with what must hold checked. The cluster itself is fuzz_pipeline.c's target.
 *
 * Input: a selector byte, 64 bytes of a struct dl_event, then frames, each a 2-byte big-endian
 * length and that many bytes (the last takes what is left):
 *   sel  bit 0 the capture responder (else echo)   bit 1 flows.jsonl on   bit 2 pcaps on
 *        bit 3 frames are raw IP (else Ethernet)    bits 4-7 packets per cluster run, minus 1,
 *        for the second run
 * Checks (a broken one is __builtin_trap):
 *  - the formatter never overruns (ASan), and a line it writes is one line: no newline before
 *    its end, starting with {"time": and ending with }\n;
 *  - a sink over the capture in one cluster run, and over the same capture in runs of 1-16
 *    packets with its outputs taken after each (odd run sizes: written to files by the sink's
 *    writer thread, handed over after each run), writes the same bytes (pcap records,
 *    flows.jsonl) and counts the same (totals and every table), each on a fresh cluster;
 *  - every capture packet has a fate: in = delivered + to_stack + dropped + answered, no
 *    unaccounted; one flows line per event; pcap records well formed. */
#define _POSIX_C_SOURCE 200809L /* fileno */
#include <stdio.h>
#include <stdlib.h>
#include "dsrlab/capture.h"
#include "dsrlab/cluster.h"
#include "dsrlab/replay_flows.h"
#include "dsrlab/replay_sink.h"
#include "../test/cluster_testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                 \
	do {                                                                                        \
		if (!(cond)) {                                                                      \
			fprintf(stderr, "fuzz_replay_sink: broken at line %d: %s\n", __LINE__, #cond); \
			__builtin_trap();                                                           \
		}                                                                                   \
	} while (0)

#define MAX_FRAMES 16u

enum { H_A, H_B, H_CLIENT, H_WORLD, H_POD, N_HOSTS };
static const uint8_t IP_A[4] = {192, 168, 10, 11}, IP_B[4] = {192, 168, 10, 12}, IP_CLIENT[4] = {203, 0, 113, 7},
		     IP_POD[4] = {10, 0, 2, 5}, IP_VIP[4] = {198, 51, 100, 10};

static void host(struct dl_cluster *c, enum dl_host_kind kind, const char *name, uint8_t macid, const uint8_t *v4, uint32_t node)
{
	struct dl_host_config h = tu_host_config(kind, name, macid, v4, NULL, node, 1500);

	CHECK(dl_cluster_add_host(c, &h) >= 0);
}

/* node-a (the LB), node-b, a client, the world, a pod on node-b behind VIP:80/TCP and UDP. */
static struct dl_cluster *make_cluster(bool capture)
{
	struct dl_cluster_config cfg;
	struct dl_cluster *c;
	struct dl_lb_backend be;
	struct dl_lb_key k;
	struct dl_lb_service s;
	struct dl_frontend_route r;
	static const uint32_t tcp_slots[] = {1}, udp_slots[] = {2};
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = DL_MODE_SNAT;
	cfg.nat_port_min = 32768;
	cfg.nat_port_max = 65535;
	cfg.profile.snat_retries = 16;
	dl_ct_config_init(&cfg.ct, 21600);
	cfg.lb.max_services = 16;
	cfg.lb.maglev_m = 251;
	cfg.lb.default_algorithm = DL_LB_ALG_RANDOM;
	cfg.ct_tcp_max = cfg.ct_any_max = cfg.nat_max = 256;
	cfg.frag_max = 16;
	cfg.addr_max = 32;
	cfg.flow_max = 256;
	cfg.seed = 5;
	cfg.responder = capture ? DL_RESPOND_CAPTURE : DL_RESPOND_ECHO;
	c = dl_cluster_new(&cfg, err, sizeof(err));
	CHECK(c != NULL);
	host(c, DL_HOST_NODE, "node-a", 0x11, IP_A, 0);
	host(c, DL_HOST_NODE, "node-b", 0x12, IP_B, 0);
	host(c, DL_HOST_CLIENT, "client-1", 0x07, IP_CLIENT, 0);
	host(c, DL_HOST_CLIENT, "world", 0x09, NULL, 0);
	CHECK(dl_cluster_set_default_host(c, H_WORLD) == 0);
	host(c, DL_HOST_POD, "web-b", 0x25, IP_POD, H_B);
	for (uint32_t id = 1; id <= 2; id++) {
		memset(&be, 0, sizeof(be));
		memcpy(be.addr, IP_POD, 4);
		be.family = 4;
		be.port = 8080;
		be.proto = id == 1 ? DL_IPPROTO_TCP : DL_IPPROTO_UDP;
		be.host = H_POD;
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, IP_VIP, 4);
		k.family = 4;
		k.port = 80;
		k.proto = be.proto;
		memset(&s, 0, sizeof(s));
		s.rev_nat_index = id;
		s.count = 1;
		s.flags = DL_SVC_FLAG_LOADBALANCER | DL_SVC_FLAG_ROUTABLE;
		s.algorithm = DL_LB_ALG_RANDOM;
		for (uint32_t n = H_A; n <= H_B; n++) {
			CHECK(dl_cluster_add_backend(c, n, id, &be) == 0);
			CHECK(dl_cluster_add_service(c, n, &k, &s, id == 1 ? tcp_slots : udp_slots, NULL) == 0);
		}
	}
	memset(&r, 0, sizeof(r));
	r.family = 4;
	memcpy(r.addr, IP_VIP, 4);
	r.node = H_A;
	CHECK(dl_cluster_add_frontend_route(c, &r) == 0);
	return c;
}

/* Names of a few lengths, so lines of very different sizes are made. */
static void name_everything(struct dl_flow_fmt *f, uint8_t seed)
{
	static char text[600];
	size_t n = 1 + (size_t)seed * 2;

	memset(text, 'n', sizeof(text));
	for (uint32_t h = 0; h < N_HOSTS; h++)
		CHECK(dl_flow_fmt_set_host(f, h, text, n + h, text, n) == 0);
	for (uint32_t p = 1; p < DL_FLOW_POINTS; p++)
		CHECK(dl_flow_fmt_set_point(f, p, text, n) == 0);
	for (uint32_t v = 0; v < DL_FLOW_VERDICTS; v++)
		CHECK(dl_flow_fmt_set_verdict(f, v, text, n) == 0);
	CHECK(dl_flow_fmt_set_drop(f, 1001, text, n) == 0);
	CHECK(dl_flow_fmt_set_drop(f, 158, text, n / 2) == 0);
	CHECK(dl_flow_fmt_set_backend(f, 1, text, n) == 0);
}

static void check_lines(const struct dl_buf *b)
{
	size_t start = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] != '\n')
			continue;
		CHECK(i - start >= 10 && !memcmp(b->data + start, "{\"time\":\"", 9) && b->data[i - 1] == '}');
		start = i + 1;
	}
	CHECK(start == b->len);
}

static void fuzz_line(const struct dl_event *e, const uint8_t *arena, size_t alen, uint8_t seed)
{
	struct dl_flow_fmt f;
	struct dl_buf out;
	int rc;

	CHECK(dl_flow_fmt_init(&f, N_HOSTS) == 0);
	name_everything(&f, seed);
	memset(&out, 0, sizeof(out));
	rc = dl_flow_fmt_line(&f, &out, e, arena, alen);
	CHECK(rc == 0 || rc == DL_FLOW_ETIME || rc == DL_FLOW_EEVENT);
	CHECK(rc == 0 ? out.len > 0 : out.len == 0);
	check_lines(&out);
	dl_buf_free(&out);
	dl_flow_fmt_free(&f);
}

struct result {
	struct dl_buf points[2 * N_HOSTS], flows;
	struct dl_sink_totals t;
	uint64_t events;
	int rc;
};

static void on_run(void *ctx, const struct dl_out *out, uint32_t first, uint32_t processed)
{
	(void)first;
	(void)processed;
	((struct result *)ctx)->events += out->n_events;
}

/* The writer thread's files (the chunked pass with an odd chunk size writes through it). */
struct files {
	FILE *f[2 * N_HOSTS + 1];
	int fd[2 * N_HOSTS + 1];
};

static void files_open(struct files *fs)
{
	for (uint32_t i = 0; i < 2 * N_HOSTS + 1; i++) {
		fs->f[i] = tmpfile();
		CHECK(fs->f[i] != NULL);
		fs->fd[i] = fileno(fs->f[i]);
	}
}

/* Reads the files back into r, as take() would have collected them, and closes them. */
static void files_take(struct files *fs, struct result *r)
{
	uint8_t chunk[4096];

	for (uint32_t i = 0; i < 2 * N_HOSTS + 1; i++) {
		struct dl_buf *b = i < 2 * N_HOSTS ? &r->points[i] : &r->flows;
		size_t n;
		CHECK(fseek(fs->f[i], 0, SEEK_SET) == 0);
		while ((n = fread(chunk, 1, sizeof(chunk), fs->f[i])) > 0)
			CHECK(dl_buf_append(b, chunk, n) == 0);
		fclose(fs->f[i]);
	}
}

static void take(struct dl_sink *s, struct result *r)
{
	for (uint32_t p = 0; p < 2 * N_HOSTS; p++)
		CHECK(dl_buf_append(&r->points[p], dl_sink_point(s, p)->data, dl_sink_point(s, p)->len) == 0);
	CHECK(dl_buf_append(&r->flows, dl_sink_flows(s)->data, dl_sink_flows(s)->len) == 0);
	dl_sink_clear_outputs(s);
}

/* One pass over the capture on a fresh cluster; chunk 0: the default (one run). */
static struct dl_sink *pass(uint8_t sel, const struct dl_sink_batch *b, uint32_t chunk, struct result *r)
{
	struct dl_cluster *c = make_cluster(sel & 1);
	struct dl_sink_config cfg;
	struct dl_sink *s;
	uint32_t done = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.n_hosts = N_HOSTS;
	cfg.world = H_WORLD;
	cfg.capture_responder = sel & 1;
	cfg.flows = sel & 2;
	cfg.pcaps = sel & 4;
	cfg.max_events = 4096;
	cfg.arena_bytes = 1 << 20;
	cfg.chunk_packets = chunk;
	cfg.flush_bytes = chunk ? 1 : 0;
	s = dl_sink_new(&cfg);
	CHECK(s != NULL);
	CHECK(dl_sink_set_node(s, H_A) == 0 && dl_sink_set_node(s, H_B) == 0);
	CHECK(dl_sink_add_address(s, 4, IP_A, H_A) == 0 && dl_sink_add_address(s, 4, IP_B, H_B) == 0);
	CHECK(dl_sink_add_address(s, 4, IP_CLIENT, H_CLIENT) == 0 && dl_sink_add_address(s, 4, IP_POD, H_POD) == 0);
	CHECK(dl_sink_add_frontend(s, 4, IP_VIP) == 0);
	name_everything(dl_sink_flow_fmt(s), 3);
	dl_sink_on_run(s, on_run, r);
	if (chunk & 1) {
		struct files fs;
		files_open(&fs);
		CHECK(dl_sink_open_output(s, fs.fd, 2 * N_HOSTS + 1) == 0);
		CHECK(dl_sink_begin(s, b) == 0);
		r->rc = dl_sink_run(s, c, &done);
		CHECK(dl_sink_close_output(s) == 0);
		files_take(&fs, r);
	} else {
		CHECK(dl_sink_begin(s, b) == 0);
		while ((r->rc = dl_sink_run(s, c, &done)) == DL_SINK_FLUSH)
			take(s, r);
		take(s, r);
	}
	CHECK(r->rc == DL_SINK_DONE && done == b->count);
	CHECK(dl_sink_finish(s) == 0);
	r->t = *dl_sink_totals(s);
	dl_cluster_free(c);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dl_event e;
	struct dl_cap_record recs[MAX_FRAMES];
	struct dl_sink_batch b;
	struct result r1, r2;
	struct dl_sink *s1, *s2;
	uint8_t sel;
	size_t p;
	uint32_t n = 0;

	if (size < 1 + sizeof(e))
		return 0;
	sel = data[0];
	memcpy(&e, data + 1, sizeof(e));
	p = 1 + sizeof(e);
	/* The formatter: the event over whatever follows as its arena. */
	fuzz_line(&e, data + p, size - p, sel);

	/* The sink: frames from what follows. */
	while (n < MAX_FRAMES && p + 2 <= size) {
		uint32_t len = ((uint32_t)data[p] << 8) | data[p + 1];
		p += 2;
		if (len > size - p)
			len = (uint32_t)(size - p);
		memset(&recs[n], 0, sizeof(recs[n]));
		recs[n].buf_off = (uint32_t)p;
		recs[n].caplen = recs[n].origlen = len;
		recs[n].linktype = sel & 8 ? DL_LINKTYPE_RAW : DL_LINKTYPE_ETHERNET;
		recs[n].ts_sec = 1700000000 + (int64_t)n * 7;
		recs[n].ts_nsec = 1000 * n;
		p += len;
		n++;
	}
	if (!n)
		return 0;
	b.data = data;
	b.len = size;
	b.recs = recs;
	b.count = n;
	b.first_id = 0;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	s1 = pass(sel, &b, 0, &r1);
	s2 = pass(sel, &b, 1u + (sel >> 4), &r2);
	CHECK(!memcmp(&r1.t, &r2.t, sizeof(r1.t)));
	CHECK(r1.events == r2.events);
	CHECK(r1.t.in == n && r1.t.unaccounted == 0);
	CHECK(r1.t.delivered + r1.t.to_stack + r1.t.dropped + r1.t.answered == n);
	CHECK(r1.t.flow_lines == ((sel & 2) ? r1.events : 0));
	CHECK(r1.flows.len == r2.flows.len && (!r1.flows.len || !memcmp(r1.flows.data, r2.flows.data, r1.flows.len)));
	check_lines(&r1.flows);
	for (uint32_t pt = 0; pt < 2 * N_HOSTS; pt++) {
		const struct dl_buf *a = &r1.points[pt];
		size_t off = 0;
		CHECK(a->len == r2.points[pt].len && (!a->len || !memcmp(a->data, r2.points[pt].data, a->len)));
		while (off + 16 <= a->len) {
			uint32_t caplen = dl_rd32le(a->data + off + 8);
			CHECK(caplen == dl_rd32le(a->data + off + 12) && caplen > 0);
			off += 16 + (size_t)caplen;
		}
		CHECK(off == a->len);
	}
	for (int t = 0; t < DL_SINK_TABLES; t++) {
		CHECK(dl_sink_rows(s1, (enum dl_sink_table)t) == dl_sink_rows(s2, (enum dl_sink_table)t));
		for (uint32_t i = 0; i < dl_sink_rows(s1, (enum dl_sink_table)t); i++) {
			int64_t k1[3], k2[3];
			uint64_t c1, c2;
			dl_sink_row(s1, (enum dl_sink_table)t, i, k1, &c1);
			dl_sink_row(s2, (enum dl_sink_table)t, i, k2, &c2);
			CHECK(!memcmp(k1, k2, sizeof(k1)) && c1 == c2 && c1 > 0);
		}
	}
	for (uint32_t i = 0; i < 2 * N_HOSTS; i++) {
		dl_buf_free(&r1.points[i]);
		dl_buf_free(&r2.points[i]);
	}
	dl_buf_free(&r1.flows);
	dl_buf_free(&r2.flows);
	dl_sink_free(s1);
	dl_sink_free(s2);
	return 0;
}
