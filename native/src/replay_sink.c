/* replay_sink.c: a capture's batches through the cluster, and every event into outputs and
 * counters (replay_sink.h). The accounting is what src/replay.ts did per event before it moved
 * here, rule for rule; the order in which table rows first occur is kept because it is the
 * order of summary.json's keys. Formatting flows.jsonl lines is replay_flows.c's. */
#define _POSIX_C_SOURCE 200809L /* pthreads, write(2) */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dsrlab/capture.h"
#include "dsrlab/replay_sink.h"
#include "dsrlab/codec.h"
#include "dsrlab/drop.h"

#define DEFAULT_CHUNK 1024u
#define DEFAULT_FLUSH ((size_t)4 << 20)
#define NONE32 UINT32_MAX

/* ---- an insertion-ordered hash table of fixed-size keys, each with a count ---- */

struct otab {
	size_t ksz;          /* key bytes: a multiple of 8 */
	uint8_t *keys;       /* n keys in the order they were added */
	uint64_t *counts;
	uint32_t n, cap;
	uint32_t *slots;     /* key index + 1; 0: empty */
	uint32_t nslots;     /* a power of two, or 0 */
	uint32_t last;       /* the key found or added last, index + 1; 0: none */
};

/* Equal keys of n bytes (a multiple of 8). */
static bool key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	return true;
}

static uint64_t hash_key(const uint8_t *k, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h ^= w;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h;
}

static void otab_init(struct otab *t, size_t ksz)
{
	memset(t, 0, sizeof(*t));
	t->ksz = ksz;
}

static void otab_free(struct otab *t)
{
	free(t->keys);
	free(t->counts);
	free(t->slots);
	otab_init(t, t->ksz);
}

static void otab_place(struct otab *t, uint32_t idx)
{
	uint32_t mask = t->nslots - 1, i = (uint32_t)hash_key(t->keys + (size_t)idx * t->ksz, t->ksz) & mask;

	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = idx + 1;
}

static int otab_rehash(struct otab *t, uint32_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(uint32_t));

	if (!s)
		return -1;
	free(t->slots);
	t->slots = s;
	t->nslots = nslots;
	for (uint32_t i = 0; i < t->n; i++)
		otab_place(t, i);
	return 0;
}

/* Finds key; with create, adds it (count 0) when missing. Returns 1 and *idx when there, 0 when
 * missing (and not created), -1 on no memory. */
static int otab_get(struct otab *t, const void *key, bool create, uint32_t *idx)
{
	uint32_t mask, i;

	/* runs of the same key (a flow's packets, a source's) are the common case */
	if (t->last && key_eq(t->keys + (size_t)(t->last - 1) * t->ksz, key, t->ksz)) {
		*idx = t->last - 1;
		return 1;
	}
	if (t->nslots) {
		mask = t->nslots - 1;
		for (i = (uint32_t)hash_key(key, t->ksz) & mask; t->slots[i]; i = (i + 1) & mask) {
			uint32_t k = t->slots[i] - 1;
			if (key_eq(t->keys + (size_t)k * t->ksz, key, t->ksz)) {
				*idx = k;
				t->last = k + 1;
				return 1;
			}
		}
	}
	if (!create)
		return 0;
	if (t->n == UINT32_MAX - 1)
		return -1;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? (t->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : t->cap * 2) : 16;
		uint8_t *k = realloc(t->keys, (size_t)cap * t->ksz);
		uint64_t *c;
		if (!k)
			return -1;
		t->keys = k;
		c = realloc(t->counts, (size_t)cap * sizeof(uint64_t));
		if (!c)
			return -1;
		t->counts = c;
		t->cap = cap;
	}
	if ((uint64_t)(t->n + 1) * 2 > t->nslots) {
		uint32_t ns = t->nslots ? t->nslots * 2 : 32;
		if (ns < t->nslots || otab_rehash(t, ns))
			return -1;
	}
	memcpy(t->keys + (size_t)t->n * t->ksz, key, t->ksz);
	t->counts[t->n] = 0;
	*idx = t->n++;
	otab_place(t, *idx);
	t->last = *idx + 1;
	return 1;
}

/* Adds n to the count of key (created on first use). */
static int otab_add(struct otab *t, const void *key, uint64_t n)
{
	uint32_t i;

	if (otab_get(t, key, true, &i) < 0)
		return -1;
	t->counts[i] += n;
	return 0;
}

/* Empties t, keeping its memory. */
static void otab_clear(struct otab *t)
{
	if (t->nslots)
		memset(t->slots, 0, (size_t)t->nslots * sizeof(uint32_t));
	t->n = 0;
	t->last = 0;
}

/* Keys of the ordered counter tables: three signed parts. */
struct key3 {
	int64_t a, b, c;
};

static struct key3 k3(int64_t a, int64_t b, int64_t c)
{
	struct key3 k = {a, b, c};
	return k;
}

/* ---- flows ---- */

/* The client-side key of a flow (src/replay.ts flowKeyOf): protocol, family, client address and
 * port (ICMP echo: its id), frontend address and port. */
struct fkey {
	uint8_t proto, family;
	uint16_t cport, fport;
	uint8_t pad[2];
	uint8_t client[16], frontend[16];
};
DL_STATIC_ASSERT(sizeof(struct fkey) == 40, "fkey is 40 bytes, no padding");

struct flowst {
	uint32_t head, tail, nb;  /* its backends: a list in the link pool */
	uint8_t fate;             /* enum dl_sink_fate of its latest request */
	int64_t arg;
};

struct blink {
	uint32_t backend, next;
};

/* Per batch packet. */
struct bpkt {
	struct fkey key;
	bool has_key;
	int32_t flow;             /* index in the flow table once known, else -1 */
};

/* Per chunk packet: what its events said. */
struct fate {
	bool answered;
	uint32_t answered_at;
	uint32_t final_ev;        /* index of its last final event, or NONE32 */
};

/* Flows that met the same backends in the same order. */
struct group {
	uint32_t start, len;      /* in the group pool */
	uint64_t flows;
};

struct addr_key {
	uint8_t family, pad[7];
	uint8_t addr[16];
};

struct dl_sink {
	struct dl_sink_config cfg;
	uint8_t *is_node;
	struct otab senders;      /* addr_key → host (in counts) */
	struct otab frontends;    /* addr_key */
	struct dl_flow_fmt fmt;
	dl_sink_run_cb on_run;
	void *on_run_ctx;

	/* one cluster run's output, reused */
	struct dl_event *events;
	uint8_t *arena;

	/* the batch */
	bool have_batch;
	struct dl_sink_batch b;
	struct dl_in_packet *in;
	uint32_t *senders_out;
	uint8_t *servers;
	struct bpkt *bp;
	uint32_t batch_cap;

	/* per chunk */
	struct fate *fates;
	uint32_t fates_cap;
	struct otab made;         /* made packet id → index in made_fates, first-event order */
	struct fate *made_fates;
	uint32_t made_cap;

	/* outputs: 2 per host (DL_SINK_POINT_*), then flows.jsonl; with a writer, swapped with
	 * its free sets as they fill */
	struct dl_buf *outs;
	uint32_t n_outs;
	struct writer *w;
	struct dl_buf fev, farena; /* with a writer: events and frames whose flows lines it makes */

	/* summary */
	struct dl_sink_totals t;
	struct otab tab[DL_SINK_TABLES];
	uint64_t *node_counts;    /* [host][point][verdict] */
	uint32_t *node_order;     /* first occurrences, as host * 117 + point * 9 + verdict */
	uint32_t n_node_order, cap_node_order;
	struct otab flows;        /* fkey → index in flowst */
	struct flowst *flowst;
	uint32_t cap_flowst;
	struct blink *links;
	uint32_t n_links, cap_links;
	uint32_t *group_pool;     /* flow groups: their backends, back to back */
	uint32_t n_pool, cap_pool;
	struct group *groups;
	uint32_t n_groups, cap_groups;
	struct dl_sink_mismatch mm[DL_SINK_MAX_MISMATCHES];
	uint32_t n_mm;

	struct dl_sink_error err;
};

#define NODE_CELLS (13u * 9u)

static int fail(struct dl_sink *s, int rc);
static void bufs_free(struct dl_buf *b, uint32_t n);
static int writer_stop(struct dl_sink *s, bool discard, uint32_t *out);
static int writer_hand_over(struct dl_sink *s);

struct dl_sink *dl_sink_new(const struct dl_sink_config *cfg)
{
	struct dl_sink *s;

	if (!cfg->n_hosts || cfg->world >= cfg->n_hosts || cfg->n_hosts > (1u << 24))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.chunk_packets)
		s->cfg.chunk_packets = DEFAULT_CHUNK;
	if (!s->cfg.flush_bytes)
		s->cfg.flush_bytes = DEFAULT_FLUSH;
	otab_init(&s->senders, sizeof(struct addr_key));
	otab_init(&s->frontends, sizeof(struct addr_key));
	otab_init(&s->made, 8);
	otab_init(&s->flows, sizeof(struct fkey));
	for (int i = 0; i < DL_SINK_TABLES; i++)
		otab_init(&s->tab[i], sizeof(struct key3));
	s->is_node = calloc(cfg->n_hosts, 1);
	s->n_outs = 2 * cfg->n_hosts + 1;
	s->outs = calloc(s->n_outs, sizeof(struct dl_buf));
	s->node_counts = calloc((size_t)cfg->n_hosts * NODE_CELLS, sizeof(uint64_t));
	/* The event log and arena: malloc'd, touched only as far as runs use them. */
	s->events = malloc((size_t)(cfg->max_events ? cfg->max_events : 1) * sizeof(struct dl_event));
	s->arena = malloc(cfg->arena_bytes ? cfg->arena_bytes : 1);
	if (!s->is_node || !s->outs || !s->node_counts || !s->events || !s->arena ||
	    dl_flow_fmt_init(&s->fmt, cfg->n_hosts)) {
		dl_sink_free(s);
		return NULL;
	}
	return s;
}

void dl_sink_free(struct dl_sink *s)
{
	if (!s)
		return;
	otab_free(&s->senders);
	otab_free(&s->frontends);
	otab_free(&s->made);
	otab_free(&s->flows);
	for (int i = 0; i < DL_SINK_TABLES; i++)
		otab_free(&s->tab[i]);
	{
		uint32_t out;
		writer_stop(s, true, &out);
	}
	dl_flow_fmt_free(&s->fmt);
	free(s->is_node);
	bufs_free(s->outs, s->n_outs);
	dl_buf_free(&s->fev);
	dl_buf_free(&s->farena);
	free(s->events);
	free(s->arena);
	free(s->in);
	free(s->senders_out);
	free(s->servers);
	free(s->bp);
	free(s->fates);
	free(s->made_fates);
	free(s->node_counts);
	free(s->node_order);
	free(s->flowst);
	free(s->links);
	free(s->group_pool);
	free(s->groups);
	for (uint32_t i = 0; i < s->n_mm; i++) {
		free(s->mm[i].expected);
		free(s->mm[i].got);
	}
	free(s);
}

/* ---- setup ---- */

int dl_sink_set_node(struct dl_sink *s, uint32_t host)
{
	if (host >= s->cfg.n_hosts)
		return -1;
	s->is_node[host] = 1;
	return 0;
}

static int addr_key_of(struct addr_key *k, uint8_t family, const uint8_t *addr)
{
	if (family != 4 && family != 6)
		return -1;
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->addr, addr, family == 6 ? 16 : 4);
	return 0;
}

int dl_sink_add_address(struct dl_sink *s, uint8_t family, const uint8_t *addr, uint32_t host)
{
	struct addr_key k;
	uint32_t i;

	if (host >= s->cfg.n_hosts || addr_key_of(&k, family, addr) || otab_get(&s->senders, &k, true, &i) < 0)
		return -1;
	s->senders.counts[i] = host; /* the last one named wins, as a Map.set would */
	return 0;
}

int dl_sink_add_frontend(struct dl_sink *s, uint8_t family, const uint8_t *addr)
{
	struct addr_key k;
	uint32_t i;

	if (addr_key_of(&k, family, addr) || otab_get(&s->frontends, &k, true, &i) < 0)
		return -1;
	return 0;
}

struct dl_flow_fmt *dl_sink_flow_fmt(struct dl_sink *s) { return &s->fmt; }

void dl_sink_on_run(struct dl_sink *s, dl_sink_run_cb cb, void *ctx)
{
	s->on_run = cb;
	s->on_run_ctx = ctx;
}

/* ---- senders ---- */

static bool is_echo(uint8_t proto, uint8_t type)
{
	return proto == DL_IPPROTO_ICMP ? (type == 8 || type == 0) : (type == 128 || type == 129);
}

/* The flow key of a parsed capture packet (src/replay.ts flowKeyOf): false for packets without
 * ports or echo ids. Server packets give the key of the request they answer. */
static bool flow_key(struct fkey *k, int rc, const struct dl_pkt_info *pi, bool server)
{
	uint16_t sport, dport;
	size_t alen = pi->l3 == DL_L3_IPV6 ? 16 : 4;

	if (rc != DL_PARSE_OK || !dl_pkt_is_ip(pi))
		return false;
	if (pi->l4_proto == DL_IPPROTO_ICMP || pi->l4_proto == DL_IPPROTO_ICMPV6) {
		if (!pi->l4_hdr_len || !is_echo(pi->l4_proto, pi->icmp_type))
			return false;
		sport = server ? 0 : pi->icmp_id;
		dport = server ? pi->icmp_id : 0;
	} else if (pi->l4_proto == DL_IPPROTO_TCP || pi->l4_proto == DL_IPPROTO_UDP || pi->l4_proto == DL_IPPROTO_SCTP) {
		/* a later fragment carries no ports: it is part of its first fragment's flow, not a
		 * flow of its own */
		if (!dl_pkt_has_l4_hdr(pi))
			return false;
		sport = pi->sport;
		dport = pi->dport;
	} else {
		return false;
	}
	memset(k, 0, sizeof(*k));
	k->proto = pi->l4_proto;
	k->family = alen == 16 ? 6 : 4;
	if (server) {
		memcpy(k->client, pi->dst, alen);
		memcpy(k->frontend, pi->src, alen);
		k->cport = dport;
		k->fport = sport;
	} else {
		memcpy(k->client, pi->src, alen);
		memcpy(k->frontend, pi->dst, alen);
		k->cport = sport;
		k->fport = dport;
	}
	return true;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t c = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > UINT32_MAX / 2)
			return -1;
		c *= 2;
	}
	n = realloc(*p, (size_t)c * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

int dl_sink_begin(struct dl_sink *s, const struct dl_sink_batch *b)
{
	s->have_batch = false;
	s->err.rc = 0;
	if (b->count > s->batch_cap) {
		uint32_t cap = b->count;
		free(s->in);
		free(s->senders_out);
		free(s->servers);
		free(s->bp);
		s->in = malloc((size_t)cap * sizeof(*s->in));
		s->senders_out = malloc((size_t)cap * sizeof(uint32_t));
		s->servers = malloc(cap);
		s->bp = malloc((size_t)cap * sizeof(*s->bp));
		s->batch_cap = cap;
		if (!s->in || !s->senders_out || !s->servers || !s->bp) {
			s->batch_cap = 0;
			return s->err.rc = DL_SINK_ENOMEM;
		}
	}
	s->b = *b;
	for (uint32_t i = 0; i < b->count; i++) {
		const struct dl_cap_record *r = &b->recs[i];
		const uint8_t *d;
		struct dl_pkt_info pi;
		struct addr_key k;
		bool have_src = false, server = false;
		uint32_t host = s->cfg.world, at;
		int rc;

		if (!dl_in_bounds(b->len, r->buf_off, r->caplen))
			return s->err.rc = DL_SINK_EINVAL;
		d = b->data + r->buf_off;
		rc = dl_pkt_parse(d, r->caplen, r->linktype, &pi);
		/* The source: the IP source, or an IPv4 ARP's sender address (whatever the parse
		 * result, as far as the parser got). */
		if (dl_pkt_is_ip(&pi)) {
			addr_key_of(&k, pi.l3 == DL_L3_IPV6 ? 6 : 4, pi.src);
			have_src = true;
			server = s->cfg.capture_responder && otab_get(&s->frontends, &k, false, &at) == 1;
		} else if (pi.l3 == DL_L3_ARP && pi.arp_ipv4) {
			addr_key_of(&k, 4, pi.arp_spa);
			have_src = true;
		}
		if (!server && have_src && otab_get(&s->senders, &k, false, &at) == 1)
			host = (uint32_t)s->senders.counts[at];
		s->in[i].data = d;
		s->in[i].len = r->caplen;
		s->in[i].host = host;
		s->in[i].ts_sec = r->ts_sec;
		s->in[i].ts_nsec = r->ts_nsec;
		s->in[i].id = b->first_id + i;
		s->in[i].linktype = r->linktype;
		s->in[i].server = server;
		s->senders_out[i] = host;
		s->servers[i] = server;
		s->bp[i].has_key = flow_key(&s->bp[i].key, rc, &pi, server);
		s->bp[i].flow = -1;
	}
	s->have_batch = true;
	return 0;
}

const uint32_t *dl_sink_senders(const struct dl_sink *s) { return s->senders_out; }
const uint8_t *dl_sink_servers(const struct dl_sink *s) { return s->servers; }

/* ---- flows ---- */

/* The flow of batch packet i: found (and with create, made) in the flow table; -1 when the
 * packet has no flow key or (without create) no state yet; -2 on no memory. */
static int64_t flow_of(struct dl_sink *s, uint32_t i, bool create)
{
	struct bpkt *p = &s->bp[i];
	uint32_t idx, before;
	int rc;

	if (!p->has_key)
		return -1;
	if (p->flow >= 0)
		return p->flow;
	/* room first, so that a key in the table always has its state */
	if (create && grow((void **)&s->flowst, &s->cap_flowst, s->flows.n + 1, sizeof(struct flowst)))
		return -2;
	before = s->flows.n;
	rc = otab_get(&s->flows, &p->key, create, &idx);
	if (rc < 0)
		return -2;
	if (rc == 0)
		return -1;
	if (idx > INT32_MAX)
		return -2;
	if (s->flows.n != before) {
		memset(&s->flowst[idx], 0, sizeof(s->flowst[idx]));
		s->flowst[idx].head = s->flowst[idx].tail = NONE32;
	}
	p->flow = (int32_t)idx;
	return idx;
}

static int flow_add_backend(struct dl_sink *s, uint32_t f, uint32_t backend)
{
	struct flowst *st = &s->flowst[f];

	for (uint32_t l = st->head; l != NONE32; l = s->links[l].next)
		if (s->links[l].backend == backend)
			return 0;
	if (grow((void **)&s->links, &s->cap_links, s->n_links + 1, sizeof(struct blink)))
		return -1;
	s->links[s->n_links].backend = backend;
	s->links[s->n_links].next = NONE32;
	if (st->tail == NONE32)
		st->head = s->n_links;
	else
		s->links[st->tail].next = s->n_links;
	st->tail = s->n_links++;
	st->nb++;
	return 0;
}

/* ---- outputs ---- */

/* JavaScript's Number(ts_sec) >>> 0: the time's low 32 bits, after rounding to a double. */
static uint32_t js_u32(int64_t v)
{
	const int64_t exact = (int64_t)1 << 53;
	double d;

	if (v < exact && v > -exact)
		return (uint32_t)(uint64_t)v;
	d = (double)v;
	if (d >= 9223372036854775808.0)
		return 0; /* 2^63: a multiple of 2^32 */
	return (uint32_t)(uint64_t)(int64_t)d;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One pcap record (microseconds, caplen = origlen). */
static int pcap_put(struct dl_buf *b, const struct dl_event *e, const uint8_t *frame)
{
	uint8_t *p;

	if (dl_buf_reserve(b, 16 + (size_t)e->len))
		return -1;
	p = b->data + b->len;
	le32(p, js_u32(e->ts_sec));
	le32(p + 4, e->ts_nsec / 1000);
	le32(p + 8, e->len);
	le32(p + 12, e->len);
	memcpy(p + 16, frame, e->len);
	b->len += 16 + (size_t)e->len;
	return 0;
}

static size_t outputs_size(const struct dl_sink *s)
{
	size_t n = s->fev.len + s->farena.len;

	for (uint32_t i = 0; i < s->n_outs; i++)
		n += s->outs[i].len;
	return n;
}

uint32_t dl_sink_points(const struct dl_sink *s) { return 2 * s->cfg.n_hosts; }

const struct dl_buf *dl_sink_point(const struct dl_sink *s, uint32_t pt)
{
	return pt < 2 * s->cfg.n_hosts ? &s->outs[pt] : NULL;
}

const struct dl_buf *dl_sink_flows(const struct dl_sink *s) { return &s->outs[s->n_outs - 1]; }

void dl_sink_clear_outputs(struct dl_sink *s)
{
	for (uint32_t i = 0; i < s->n_outs; i++)
		s->outs[i].len = 0;
	s->fev.len = s->farena.len = 0;
}

/* ---- the writer thread ----
 * write(2) into the page cache costs about as much as emulating and formatting together, so
 * with files to write, a thread of the sink's own writes them while the emulation goes on; it
 * also formats flows.jsonl (as costly again), from copies of the events and their frames.
 * Sets of buffers go round: the emulation fills s->outs (pcap records), s->fev and s->farena,
 * swaps them for a free set and queues the full one; the writer formats a queued set's lines
 * and writes it output by output, in queue order (so every file gets its bytes in the order
 * they were made), empties it and hands it back. After a failed write nothing more is
 * written; the error is reported at the next hand-over or at dl_sink_close_output. */

#define WRITER_SETS 4u

/* A set: the outputs (as s->outs), and the events and frames of flows.jsonl lines to make. */
struct wset {
	struct dl_buf *outs;
	struct dl_buf ev, arena;
};

struct writer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t work, room;   /* a set queued; a set freed (or the writer done) */
	int *fds;
	uint32_t n_outs;
	struct wset set[WRITER_SETS];
	struct dl_flow_fmt *fmt;     /* the sink's: used by this thread alone while it runs */
	struct dl_buf text;          /* flows.jsonl lines of the set being written */
	uint32_t head, count;        /* queued sets: set[head], … (count of them) */
	bool stop, discard;          /* stop once the queue is empty; drop what is queued */
	int err;                     /* the first failed write's errno (0: none) */
	uint32_t err_out;            /* and its output */
};

static void bufs_free(struct dl_buf *b, uint32_t n)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < n; i++)
		dl_buf_free(&b[i]);
	free(b);
}

static void wset_free(struct wset *ws, uint32_t n)
{
	bufs_free(ws->outs, n);
	dl_buf_free(&ws->ev);
	dl_buf_free(&ws->arena);
}

/* Copies a run's first n events (frame offsets moved past the frames already there) and its
 * arena into s->fev and s->farena, for the writer to format. 0, or -1 (no memory). */
static int defer_flows(struct dl_sink *s, const struct dl_out *out, uint32_t n)
{
	size_t base;

	/* offsets stay 32-bit: hand over first when the frames would pass that */
	if (s->farena.len && (uint64_t)s->farena.len + out->arena_used > UINT32_MAX && writer_hand_over(s))
		return 0; /* the write error shows at the next hand-over */
	base = s->farena.len;
	if (!n || dl_buf_append(&s->farena, out->arena, out->arena_used) ||
	    dl_buf_reserve(&s->fev, (size_t)n * sizeof(struct dl_event)))
		return n ? -1 : 0;
	for (uint32_t j = 0; j < n; j++) {
		struct dl_event e = out->events[j];
		e.off += (uint32_t)base;
		memcpy(s->fev.data + s->fev.len, &e, sizeof(e));
		s->fev.len += sizeof(e);
	}
	return 0;
}

/* Writes all n bytes to fd: 0 or an errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno ? errno : EIO;
		}
		if (w == 0)
			return EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The flows.jsonl lines of a set's events into w->text: 0 or an errno. The events were
 * checked (dl_sink_run) and their times can be written, so only memory can fail here. */
static int flows_text(struct writer *w, struct wset *ws)
{
	size_t n = ws->ev.len / sizeof(struct dl_event);

	dl_flow_fmt_new_arena(w->fmt);
	for (size_t i = 0; i < n; i++) {
		struct dl_event e;
		memcpy(&e, ws->ev.data + i * sizeof(e), sizeof(e));
		if (dl_flow_fmt_line(w->fmt, &w->text, &e, ws->arena.data, ws->arena.len))
			return ENOMEM;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct wset *ws;
		bool skip;

		while (!w->count && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (!w->count)
			break;
		ws = &w->set[w->head];
		skip = w->err || w->discard;
		pthread_mutex_unlock(&w->mu);
		w->text.len = 0;
		if (!skip && ws->ev.len) {
			int fe = flows_text(w, ws);
			if (fe) {
				pthread_mutex_lock(&w->mu);
				w->err = fe;
				w->err_out = w->n_outs - 1;
				pthread_mutex_unlock(&w->mu);
				skip = true;
			}
		}
		ws->ev.len = ws->arena.len = 0;
		for (uint32_t i = 0; i < w->n_outs; i++) {
			struct dl_buf *b = i == w->n_outs - 1 && w->text.len ? &w->text : &ws->outs[i];
			int e = 0;
			if (!skip && b->len && w->fds[i] >= 0)
				e = write_all(w->fds[i], b->data, b->len);
			ws->outs[i].len = 0;
			if (e) {
				pthread_mutex_lock(&w->mu);
				w->err = e;
				w->err_out = i;
				pthread_mutex_unlock(&w->mu);
				skip = true;
			}
		}
		pthread_mutex_lock(&w->mu);
		w->head = (w->head + 1) % WRITER_SETS;
		w->count--;
		pthread_cond_signal(&w->room);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int write_error(struct dl_sink *s, int err, uint32_t out)
{
	s->err.packet = 0;
	s->err.field = out;
	s->err.value = (uint32_t)err;
	return fail(s, DL_SINK_EWRITE);
}

/* Queues s->outs for writing (when it holds anything) and takes a free set in its place,
 * waiting for one when all are queued. 0, or DL_SINK_EWRITE once a write failed. */
static int writer_hand_over(struct dl_sink *s)
{
	struct writer *w = s->w;
	int err;
	uint32_t out;

	pthread_mutex_lock(&w->mu);
	while (w->count == WRITER_SETS && !w->err)
		pthread_cond_wait(&w->room, &w->mu);
	if (!w->err && outputs_size(s)) {
		struct wset *t = &w->set[(w->head + w->count) % WRITER_SETS];
		struct dl_buf *full = s->outs, ev = s->fev, arena = s->farena;
		s->outs = t->outs;
		s->fev = t->ev;
		s->farena = t->arena;
		t->outs = full;
		t->ev = ev;
		t->arena = arena;
		w->count++;
		pthread_cond_signal(&w->work);
	}
	err = w->err;
	out = w->err_out;
	pthread_mutex_unlock(&w->mu);
	if (err) {
		dl_sink_clear_outputs(s);
		return write_error(s, err, out);
	}
	return 0;
}

/* Ends the writer: with discard, what is queued is dropped. Returns its write error (an
 * errno, 0 none) and the output in *out. */
static int writer_stop(struct dl_sink *s, bool discard, uint32_t *out)
{
	struct writer *w = s->w;
	int err;

	*out = 0;
	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	w->discard = w->discard || discard;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	err = w->err;
	*out = w->err_out;
	for (uint32_t k = 0; k < WRITER_SETS; k++)
		wset_free(&w->set[k], w->n_outs);
	dl_buf_free(&w->text);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->mu);
	free(w->fds);
	free(w);
	s->w = NULL;
	return err;
}

int dl_sink_open_output(struct dl_sink *s, const int *fds, uint32_t n)
{
	struct writer *w;

	if (s->w || n != s->n_outs)
		return fail(s, DL_SINK_EINVAL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return fail(s, DL_SINK_ENOMEM);
	w->n_outs = n;
	w->fmt = &s->fmt;
	w->fds = malloc((size_t)n * sizeof(int));
	for (uint32_t k = 0; k < WRITER_SETS; k++)
		w->set[k].outs = calloc(n, sizeof(struct dl_buf));
	if (!w->fds || !w->set[0].outs || !w->set[1].outs || !w->set[2].outs || !w->set[3].outs)
		goto nomem;
	memcpy(w->fds, fds, (size_t)n * sizeof(int));
	if (pthread_mutex_init(&w->mu, NULL))
		goto nomem;
	if (pthread_cond_init(&w->work, NULL)) {
		pthread_mutex_destroy(&w->mu);
		goto nomem;
	}
	if (pthread_cond_init(&w->room, NULL)) {
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		goto nomem;
	}
	if (pthread_create(&w->th, NULL, writer_main, w)) {
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		goto nomem;
	}
	s->w = w;
	return 0;
nomem:
	for (uint32_t k = 0; k < WRITER_SETS; k++)
		wset_free(&w->set[k], n);
	free(w->fds);
	free(w);
	return fail(s, DL_SINK_ENOMEM);
}

int dl_sink_close_output(struct dl_sink *s)
{
	int rc = 0, err;
	uint32_t out;

	if (!s->w)
		return 0;
	/* what is left, unless a write failed already */
	if (outputs_size(s))
		rc = writer_hand_over(s);
	err = writer_stop(s, rc != 0, &out);
	dl_sink_clear_outputs(s);
	if (rc)
		return rc;
	return err ? write_error(s, err, out) : 0;
}

/* ---- comparison (responder=capture) ---- */

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Buffer.subarray(from, to) of a len-byte buffer: clamped, never negative. */
static void clamp_slice(size_t len, int64_t from, int64_t to, size_t *off, size_t *n)
{
	int64_t a = from < 0 ? 0 : from, z = to < 0 ? 0 : to;

	if ((uint64_t)a > len)
		a = (int64_t)len;
	if ((uint64_t)z > len)
		z = (int64_t)len;
	*off = (size_t)a;
	*n = z > a ? (size_t)(z - a) : 0;
}

/* compareDatagrams (src/datapath/compare.ts) without the naming: true when equal but for the
 * TTL / hop limit and the IPv4 header checksum. */
static bool datagrams_equal(const uint8_t *x, size_t xn, const uint8_t *y, size_t yn)
{
	bool v6 = xn > 0 && (x[0] >> 4) == 6;
	size_t n = xn > yn ? xn : yn;

	for (size_t i = 0; i < n; i++) {
		if (v6 ? i == 7 : (i == 8 || i == 10 || i == 11))
			continue;
		if (i < xn && i < yn && x[i] == y[i])
			continue;
		return false;
	}
	return true;
}

static int keep_mismatch(struct dl_sink *s, uint32_t packet, uint8_t kind, const struct dl_pkt_info *o,
			 const uint8_t *x, size_t xn, const uint8_t *y, size_t yn)
{
	struct dl_sink_mismatch *m;

	if (s->n_mm >= DL_SINK_MAX_MISMATCHES)
		return 0;
	m = &s->mm[s->n_mm];
	memset(m, 0, sizeof(*m));
	m->packet = packet;
	m->kind = kind;
	if (kind == DL_MISMATCH_BYTES) {
		m->l4_proto = o->l4_proto;
		m->l4_off = (int32_t)((int64_t)o->l4_off - (int64_t)o->l3_off);
		m->expected = malloc(xn ? xn : 1);
		m->got = malloc(yn ? yn : 1);
		if (!m->expected || !m->got) {
			free(m->expected);
			free(m->got);
			return -1;
		}
		if (xn)
			memcpy(m->expected, x, xn);
		if (yn)
			memcpy(m->got, y, yn);
		m->expected_len = (uint32_t)xn;
		m->got_len = (uint32_t)yn;
	}
	s->n_mm++;
	return 0;
}

/* Compares batch packet i (a server packet) with the frame fin delivered to the client. */
static int compare_server(struct dl_sink *s, uint32_t i, const struct dl_event *fin, size_t arena_used)
{
	const struct dl_cap_record *r = &s->b.recs[i];
	const uint8_t *d = s->b.data + r->buf_off;
	struct dl_pkt_info o, g;
	size_t xoff, xn, yoff, yn;
	uint32_t id = s->b.first_id + i;
	bool same;

	dl_pkt_parse(d, r->caplen, r->linktype, &o);
	if (!dl_pkt_is_ip(&o) || !o.l3_len) {
		s->t.mismatched++;
		return keep_mismatch(s, id, DL_MISMATCH_CAPTURED, NULL, NULL, 0, NULL, 0);
	}
	clamp_slice(r->caplen, o.l3_off, (int64_t)min_sz(r->caplen, (size_t)o.l3_off + o.l3_len), &xoff, &xn);
	if (fin->len == 0) {
		s->t.mismatched++;
		return keep_mismatch(s, id, DL_MISMATCH_DELIVERED, NULL, NULL, 0, NULL, 0);
	}
	dl_pkt_parse(s->arena + fin->off, fin->len, DL_LINKTYPE_ETHERNET, &g);
	if (!dl_pkt_is_ip(&g)) {
		s->t.mismatched++;
		return keep_mismatch(s, id, DL_MISMATCH_DELIVERED, NULL, NULL, 0, NULL, 0);
	}
	clamp_slice(arena_used, (int64_t)fin->off + g.l3_off,
		    (int64_t)min_sz((size_t)fin->off + fin->len, (size_t)fin->off + g.l3_off + g.l3_len), &yoff, &yn);
	same = datagrams_equal(d + xoff, xn, s->arena + yoff, yn);
	if (same) {
		s->t.matched++;
		return 0;
	}
	s->t.mismatched++;
	return keep_mismatch(s, id, DL_MISMATCH_BYTES, &o, d + xoff, xn, s->arena + yoff, yn);
}

/* ---- consuming one cluster run ---- */

static int fail(struct dl_sink *s, int rc)
{
	s->err.rc = rc;
	return rc;
}

static int bad_event(struct dl_sink *s, const struct dl_event *e, uint32_t field, uint32_t value)
{
	s->err.packet = e->pkt;
	s->err.field = field;
	s->err.value = value;
	return fail(s, DL_SINK_EEVENT);
}

static int count_node(struct dl_sink *s, const struct dl_event *e)
{
	uint32_t cell = e->host * NODE_CELLS + e->point * 9u + e->verdict;

	if (s->node_counts[cell]++ == 0) {
		if (grow((void **)&s->node_order, &s->cap_node_order, s->n_node_order + 1, sizeof(uint32_t)))
			return -1;
		s->node_order[s->n_node_order++] = cell;
	}
	return 0;
}

static bool is_made(uint32_t pkt) { return pkt >= 0x80000000u; }

/* The final fate of a packet from what its events said. */
static uint8_t fate_kind(const struct fate *f, const struct dl_event *fin)
{
	if (f->answered)
		return DL_FATE_ANSWERED;
	if (!fin)
		return DL_FATE_UNACCOUNTED;
	switch (fin->verdict) {
	case DL_V_DELIVERED: return fin->point == DL_PT_POD ? DL_FATE_POD : DL_FATE_DELIVERED;
	case DL_V_TO_STACK: return DL_FATE_TO_STACK;
	case DL_V_DROPPED: return DL_FATE_DROPPED;
	default: return DL_FATE_UNACCOUNTED;
	}
}

/* Every event of one run (batch packets [first, first + processed)), in the order logged. */
static int consume(struct dl_sink *s, const struct dl_out *out, uint32_t first, uint32_t processed)
{
	const struct dl_event *ev = out->events;
	uint32_t nev = out->n_events, chunk_first_id = s->b.first_id + first, fcut = 0;

	/* Events are checked before any is used (TypeScript decoded them all first). */
	for (uint32_t j = 0; j < nev; j++) {
		const struct dl_event *e = &ev[j];
		if (e->point < DL_PT_WIRE_TX || e->point > DL_PT_CLIENT)
			return bad_event(s, e, 1, e->point);
		if (e->verdict > DL_V_ANSWERED)
			return bad_event(s, e, 2, e->verdict);
		if (e->len && !dl_in_bounds(out->arena_used, e->off, e->len))
			return bad_event(s, e, 3, e->off);
	}
	if (grow((void **)&s->fates, &s->fates_cap, processed ? processed : 1, sizeof(struct fate)))
		return fail(s, DL_SINK_ENOMEM);
	for (uint32_t i = 0; i < processed; i++) {
		s->fates[i].answered = false;
		s->fates[i].answered_at = NONE32;
		s->fates[i].final_ev = NONE32;
	}
	otab_clear(&s->made);
	/* With a writer, flows.jsonl lines are formatted on its thread: the events (up to one
	 * whose time cannot be written) and the arena go to it instead. */
	if (s->cfg.flows && s->w) {
		while (fcut < nev && dl_fmt_time_ok(ev[fcut].ts_sec))
			fcut++;
		if (defer_flows(s, out, fcut))
			return fail(s, DL_SINK_ENOMEM);
	} else if (!s->w) {
		dl_flow_fmt_new_arena(&s->fmt); /* with a writer, fmt is its thread's alone */
	}

	for (uint32_t j = 0; j < nev; j++) {
		const struct dl_event *e = &ev[j];
		struct fate *f = NULL;
		bool made = is_made(e->pkt);

		if (e->len > 0 && e->host < s->cfg.n_hosts && s->cfg.pcaps) {
			struct dl_buf *pb = NULL;
			if (e->point == DL_PT_WIRE_TX || e->point == DL_PT_WIRE_RX)
				pb = &s->outs[DL_SINK_POINT_WIRE(e->host)];
			else if ((e->point == DL_PT_TAP_RX || e->point == DL_PT_TAP_TX) && s->is_node[e->host])
				pb = &s->outs[DL_SINK_POINT_TCPDUMP(e->host)];
			if (pb && pcap_put(pb, e, s->arena + e->off))
				return fail(s, DL_SINK_ENOMEM);
		}
		if (s->cfg.flows) {
			int rc = s->w ? (j < fcut ? 0 : DL_FLOW_ETIME)
				      : dl_flow_fmt_line(&s->fmt, &s->outs[s->n_outs - 1], e, s->arena, out->arena_used);
			if (rc == DL_FLOW_ETIME) {
				s->err.ts_sec = e->ts_sec;
				return fail(s, DL_SINK_ETIME);
			}
			if (rc)
				return fail(s, DL_SINK_ENOMEM);
			s->t.flow_lines++;
		}
		if (e->host < s->cfg.n_hosts && s->is_node[e->host] && count_node(s, e))
			return fail(s, DL_SINK_ENOMEM);
		if (made) {
			uint64_t key = e->pkt;
			uint32_t idx;
			if (otab_get(&s->made, &key, true, &idx) < 0 ||
			    grow((void **)&s->made_fates, &s->made_cap, idx + 1, sizeof(struct fate)))
				return fail(s, DL_SINK_ENOMEM);
			f = &s->made_fates[idx];
			if (s->made.counts[idx] == 0) {
				s->made.counts[idx] = 1;
				f->answered = false;
				f->answered_at = NONE32;
				f->final_ev = NONE32;
			}
		} else if (e->pkt >= chunk_first_id && e->pkt - chunk_first_id < processed) {
			f = &s->fates[e->pkt - chunk_first_id];
		}
		if (f) {
			if (e->verdict == DL_V_ANSWERED && !f->answered) {
				f->answered = true;
				f->answered_at = e->host;
			}
			if (e->flags & DL_EVF_FINAL)
				f->final_ev = j;
		}
		if (!made && e->backend && !(e->flags & DL_EVF_REPLY) && (e->point == DL_PT_XDP || e->point == DL_PT_TC_INGRESS)) {
			int64_t fl;
			if (otab_add(&s->tab[DL_SINK_T_BACKEND_PACKETS], &(struct key3){e->backend, 0, 0}, 1))
				return fail(s, DL_SINK_ENOMEM);
			if (e->pkt >= s->b.first_id && e->pkt - s->b.first_id < s->b.count) {
				fl = flow_of(s, e->pkt - s->b.first_id, true);
				if (fl == -2 || (fl >= 0 && flow_add_backend(s, (uint32_t)fl, e->backend)))
					return fail(s, DL_SINK_ENOMEM);
			}
		}
	}

	/* Fates of the run's capture packets, in order. */
	for (uint32_t k = 0; k < processed; k++) {
		uint32_t i = first + k;
		const struct fate *f = &s->fates[k];
		const struct dl_event *fin = f->final_ev == NONE32 ? NULL : &ev[f->final_ev];
		bool server = s->servers[i];
		uint8_t kind = fate_kind(f, fin);
		int64_t arg = 0;
		int err = 0;

		s->t.in++;
		if (server)
			s->t.server++;
		else
			s->t.requests++;
		switch (kind) {
		case DL_FATE_ANSWERED:
			s->t.answered++;
			err = otab_add(&s->tab[DL_SINK_T_ANSWERED_BY], &(struct key3){f->answered_at, 0, 0}, 1);
			break;
		case DL_FATE_POD:
		case DL_FATE_DELIVERED:
			s->t.delivered++;
			arg = fin->host;
			err = otab_add(&s->tab[DL_SINK_T_DELIVERED_TO], &(struct key3){fin->host, 0, 0}, 1);
			break;
		case DL_FATE_TO_STACK:
			s->t.to_stack++;
			err = otab_add(&s->tab[DL_SINK_T_TO_STACK], &(struct key3){fin->host, 0, 0}, 1);
			break;
		case DL_FATE_DROPPED:
			s->t.dropped++;
			arg = fin->drop;
			err = otab_add(&s->tab[DL_SINK_T_DROP_REASONS], &(struct key3){fin->drop, 0, 0}, 1) ||
			      otab_add(&s->tab[DL_SINK_T_DROP_WHERE], &(struct key3){fin->drop, fin->host, fin->point}, 1);
			if (!err && server && (fin->drop == -DL_DROP_WITHHELD || fin->drop == DL_DROP_WITHHELD)) {
				int64_t fl = flow_of(s, i, false);
				struct key3 why = k3(DL_FATE_NONE, 0, 0);
				if (fl == -2)
					return fail(s, DL_SINK_ENOMEM);
				if (fl >= 0)
					why = k3(s->flowst[fl].fate, s->flowst[fl].arg, 0);
				s->t.withheld++;
				err = otab_add(&s->tab[DL_SINK_T_WITHHELD], &why, 1);
			}
			break;
		default:
			s->t.unaccounted++;
		}
		if (err)
			return fail(s, DL_SINK_ENOMEM);
		if (!server && s->bp[i].has_key) {
			int64_t fl = flow_of(s, i, true);
			if (fl == -2)
				return fail(s, DL_SINK_ENOMEM);
			if (fl >= 0) {
				s->flowst[fl].fate = kind;
				s->flowst[fl].arg = kind == DL_FATE_POD ? 0 : arg;
			}
		}
		if (server && s->cfg.capture_responder) {
			if (!f->answered && fin && fin->point == DL_PT_CLIENT && fin->verdict == DL_V_DELIVERED) {
				s->t.compared++;
				if (compare_server(s, i, fin, out->arena_used))
					return fail(s, DL_SINK_ENOMEM);
			} else {
				s->t.not_delivered++;
			}
		}
	}

	/* Fates of the packets the responder made in this run, in the order they first showed. */
	for (uint32_t m = 0; m < s->made.n; m++) {
		const struct fate *f = &s->made_fates[m];
		const struct dl_event *fin = f->final_ev == NONE32 ? NULL : &ev[f->final_ev];

		s->t.made++;
		switch (fate_kind(f, fin)) {
		case DL_FATE_ANSWERED: s->t.made_answered++; break;
		case DL_FATE_POD:
		case DL_FATE_DELIVERED: s->t.made_delivered++; break;
		case DL_FATE_TO_STACK: s->t.made_to_stack++; break;
		case DL_FATE_DROPPED:
			s->t.made_dropped++;
			if (otab_add(&s->tab[DL_SINK_T_RESPONSE_DROPS], &(struct key3){fin->drop, 0, 0}, 1))
				return fail(s, DL_SINK_ENOMEM);
			break;
		default: s->t.made_unaccounted++;
		}
	}
	return 0;
}

int dl_sink_run(struct dl_sink *s, struct dl_cluster *c, uint32_t *done)
{
	if (!s->have_batch || *done > s->b.count)
		return fail(s, DL_SINK_EINVAL);
	s->err.rc = 0;
	/* Without the capture responder no packet here is a server packet (dl_sink_begin). */
	dl_cluster_set_run_hints(c, s->cfg.capture_responder ? 0 : DL_RUN_NO_SERVER);
	while (*done < s->b.count) {
		struct dl_out out;
		uint32_t n = s->b.count - *done, got;
		int rc;

		if (n > s->cfg.chunk_packets)
			n = s->cfg.chunk_packets;
		memset(&out, 0, sizeof(out));
		out.events = s->events;
		out.max_events = s->cfg.max_events;
		out.arena = s->arena;
		out.arena_size = s->cfg.arena_bytes;
		got = dl_cluster_run(c, s->in + *done, n, &out);
		if (got == 0) {
			s->err.packet = s->b.first_id + *done;
			return fail(s, DL_SINK_ESTUCK);
		}
		rc = consume(s, &out, *done, got);
		if (rc)
			return rc;
		if (s->on_run)
			s->on_run(s->on_run_ctx, &out, *done, got);
		*done += got;
		if (outputs_size(s) >= s->cfg.flush_bytes) {
			if (s->w) {
				rc = writer_hand_over(s);
				if (rc)
					return rc;
			} else if (*done < s->b.count) {
				return DL_SINK_FLUSH;
			}
		}
	}
	s->have_batch = false;
	return DL_SINK_DONE;
}

const struct dl_sink_error *dl_sink_error(const struct dl_sink *s) { return &s->err; }

/* ---- summary ---- */

static uint64_t hash_u32s(const uint32_t *v, uint32_t n)
{
	uint64_t h = 0x84222325cbf29ce4ULL ^ n;

	for (uint32_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

/* The group of flows whose backends are seq[0, n): found or added (the flows' first-seen
 * order is the groups' order). Returns its index, or NONE32 on no memory. The table maps
 * hash, hash + 1, … (open addressing over the hash values) to groups; equal sequences are
 * found by comparing. */
static uint32_t group_of(struct dl_sink *s, struct otab *tab, const uint32_t *seq, uint32_t n)
{
	for (uint64_t probe = hash_u32s(seq, n);; probe++) {
		uint32_t idx, g;
		struct group *gr;

		if (otab_get(tab, &probe, false, &idx) == 1) {
			gr = &s->groups[tab->counts[idx]];
			if (gr->len == n && !memcmp(s->group_pool + gr->start, seq, (size_t)n * sizeof(uint32_t)))
				return (uint32_t)tab->counts[idx];
			continue;
		}
		if (grow((void **)&s->groups, &s->cap_groups, s->n_groups + 1, sizeof(struct group)) ||
		    grow((void **)&s->group_pool, &s->cap_pool, s->n_pool + n, sizeof(uint32_t)) ||
		    otab_get(tab, &probe, true, &idx) < 0)
			return NONE32;
		g = s->n_groups++;
		tab->counts[idx] = g;
		s->groups[g].start = s->n_pool;
		s->groups[g].len = n;
		s->groups[g].flows = 0;
		memcpy(s->group_pool + s->n_pool, seq, (size_t)n * sizeof(uint32_t));
		s->n_pool += n;
		return g;
	}
}

int dl_sink_finish(struct dl_sink *s)
{
	struct otab tab;
	uint32_t *seq = NULL, seq_cap = 0;
	int rc = 0;

	otab_init(&tab, 8);
	s->t.flows = s->t.flows_balanced = s->t.flows_split = 0;
	s->n_pool = s->n_groups = 0;
	for (uint32_t f = 0; f < s->flows.n; f++) {
		const struct flowst *st = &s->flowst[f];
		uint32_t n = 0, g;

		s->t.flows++;
		if (!st->nb)
			continue;
		s->t.flows_balanced++;
		if (st->nb > 1)
			s->t.flows_split++;
		if (grow((void **)&seq, &seq_cap, st->nb, sizeof(uint32_t))) {
			rc = -1;
			break;
		}
		for (uint32_t l = st->head; l != NONE32 && n < st->nb; l = s->links[l].next)
			seq[n++] = s->links[l].backend;
		g = group_of(s, &tab, seq, n);
		if (g == NONE32) {
			rc = -1;
			break;
		}
		s->groups[g].flows++;
	}
	free(seq);
	otab_free(&tab);
	return rc;
}

const struct dl_sink_totals *dl_sink_totals(const struct dl_sink *s) { return &s->t; }

uint32_t dl_sink_rows(const struct dl_sink *s, enum dl_sink_table t)
{
	if (t == DL_SINK_T_NODES)
		return s->n_node_order;
	if (t == DL_SINK_T_FLOW_GROUPS)
		return s->n_groups;
	return (unsigned)t < DL_SINK_TABLES ? s->tab[t].n : 0;
}

void dl_sink_row(const struct dl_sink *s, enum dl_sink_table t, uint32_t i, int64_t key[3], uint64_t *count)
{
	key[0] = key[1] = key[2] = 0;
	*count = 0;
	if (t == DL_SINK_T_FLOW_GROUPS) {
		if (i < s->n_groups) {
			key[0] = s->groups[i].len;
			key[1] = s->groups[i].len ? s->group_pool[s->groups[i].start] : 0;
			*count = s->groups[i].flows;
		}
		return;
	}
	if (t == DL_SINK_T_NODES) {
		if (i < s->n_node_order) {
			uint32_t cell = s->node_order[i];
			key[0] = cell / NODE_CELLS;
			key[1] = cell % NODE_CELLS / 9;
			key[2] = cell % 9;
			*count = s->node_counts[cell];
		}
		return;
	}
	if ((unsigned)t < DL_SINK_TABLES && i < s->tab[t].n) {
		const struct key3 *k = (const struct key3 *)(const void *)(s->tab[t].keys + (size_t)i * sizeof(struct key3));
		key[0] = k->a;
		key[1] = k->b;
		key[2] = k->c;
		*count = s->tab[t].counts[i];
	}
}

const uint32_t *dl_sink_flow_group(const struct dl_sink *s, uint32_t i, uint32_t *n, uint64_t *flows)
{
	if (i >= s->n_groups) {
		*n = 0;
		*flows = 0;
		return NULL;
	}
	*n = s->groups[i].len;
	*flows = s->groups[i].flows;
	return s->group_pool + s->groups[i].start;
}

uint32_t dl_sink_mismatches(const struct dl_sink *s) { return s->n_mm; }

const struct dl_sink_mismatch *dl_sink_mismatch(const struct dl_sink *s, uint32_t i)
{
	return i < s->n_mm ? &s->mm[i] : NULL;
}

int64_t dl_sink_first_from(const uint8_t *data, size_t len, const struct dl_cap_record *recs, uint32_t count,
			   const uint8_t *addrs, uint32_t n)
{
	struct otab set;
	int64_t found = -1;

	otab_init(&set, sizeof(struct addr_key));
	for (uint32_t i = 0; i < n; i++) {
		struct addr_key k;
		uint32_t idx;
		if (addr_key_of(&k, addrs[17 * i], addrs + 17 * i + 1) == 0 && otab_get(&set, &k, true, &idx) < 0) {
			found = -2;
			goto out;
		}
	}
	for (uint32_t i = 0; i < count && set.n; i++) {
		const struct dl_cap_record *r = &recs[i];
		struct dl_pkt_info pi;
		struct addr_key k;
		uint32_t idx;

		if (!dl_in_bounds(len, r->buf_off, r->caplen))
			continue;
		dl_pkt_parse(data + r->buf_off, r->caplen, r->linktype, &pi);
		if (!dl_pkt_is_ip(&pi))
			continue;
		addr_key_of(&k, pi.l3 == DL_L3_IPV6 ? 6 : 4, pi.src);
		if (otab_get(&set, &k, false, &idx) == 1) {
			found = i;
			break;
		}
	}
out:
	otab_free(&set);
	return found;
}
