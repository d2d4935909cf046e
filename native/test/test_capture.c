/* test_capture.c: unit tests for the pcap/pcapng reader and pcap writer in capture.c. Every
 * capture is built in memory here, together with the records the reader must return; fixtures
 * on disk and the TypeScript side of capture reading are tested elsewhere (test/). */
#include "dsrlab/capture.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

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

#define CHECK_STR(got, want)                                                                   \
	do {                                                                                   \
		if (strcmp((got), (want)) == 0) {                                              \
			passed++;                                                              \
		} else {                                                                       \
			failed++;                                                              \
			fprintf(stderr, "%s:%d: got  \"%s\"\n%*s want \"%s\"\n", __FILE__, __LINE__, \
				(got), (int)strlen(__FILE__) + 8, "", (want));                 \
		}                                                                              \
	} while (0)

/* ---- deterministic PRNG (xorshift64*) ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}
static size_t rng_below(size_t n) { return n ? (size_t)(rng() % n) : 0; }

/* ---- a growable byte buffer that writes in a chosen byte order ---- */

struct bb {
	uint8_t *d;
	size_t len, cap;
	bool be;
};

static void bb_put(struct bb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;

		while (ncap < b->len + n)
			ncap *= 2;
		b->d = realloc(b->d, ncap);
		if (!b->d)
			abort();
		b->cap = ncap;
	}
	if (n)
		memcpy(b->d + b->len, p, n);
	b->len += n;
}
static void bb_u8(struct bb *b, uint8_t v) { bb_put(b, &v, 1); }
static void bb_u16(struct bb *b, uint16_t v)
{
	uint8_t t[2];

	if (b->be)
		dl_wr16(t, v);
	else
		t[0] = (uint8_t)v, t[1] = (uint8_t)(v >> 8);
	bb_put(b, t, 2);
}
static void bb_set32(struct bb *b, size_t off, uint32_t v)
{
	uint8_t *t = b->d + off;

	if (b->be)
		dl_wr32(t, v);
	else
		t[0] = (uint8_t)v, t[1] = (uint8_t)(v >> 8), t[2] = (uint8_t)(v >> 16), t[3] = (uint8_t)(v >> 24);
}
static void bb_u32(struct bb *b, uint32_t v)
{
	uint8_t t[4] = { 0 };

	bb_put(b, t, 4);
	bb_set32(b, b->len - 4, v);
}
static void bb_u64(struct bb *b, uint64_t v)
{
	if (b->be) {
		bb_u32(b, (uint32_t)(v >> 32));
		bb_u32(b, (uint32_t)v);
	} else {
		bb_u32(b, (uint32_t)v);
		bb_u32(b, (uint32_t)(v >> 32));
	}
}
static void bb_pad4(struct bb *b)
{
	while (b->len % 4)
		bb_u8(b, 0);
}

/* ---- a capture under construction and the records it must read back as ---- */

#define MAX_EXP 8192

struct iface_model {
	uint8_t base, exp;
	int64_t tsoffset;
	uint16_t linktype;
	uint32_t snaplen;
};

struct cap {
	struct bb b;
	struct dl_cap_record e[MAX_EXP];
	size_t ne;
	struct iface_model ifc[8];
	size_t nifc;
	uint32_t pkt_seq; /* seeds each packet's bytes */
};

static struct cap *cap_new(void)
{
	struct cap *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	return c;
}
static void cap_free(struct cap *c)
{
	free(c->b.d);
	free(c);
}

static void put_payload(struct cap *c, uint32_t n)
{
	c->pkt_seq++;
	for (uint32_t i = 0; i < n; i++)
		bb_u8(&c->b, (uint8_t)(c->pkt_seq * 31u + i * 7u + 1u));
}

static struct dl_cap_record *expect(struct cap *c)
{
	struct dl_cap_record *e = &c->e[c->ne++];

	if (c->ne > MAX_EXP)
		abort();
	memset(e, 0, sizeof(*e));
	return e;
}

/* Classic pcap header; linktype is written as given (FCS bits included). */
static void pcap_hdr(struct cap *c, bool be, bool nsec, uint16_t major, uint16_t minor, uint32_t snaplen,
		     uint32_t linktype)
{
	c->b.be = be;
	bb_u32(&c->b, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
	bb_u16(&c->b, major);
	bb_u16(&c->b, minor);
	bb_u32(&c->b, 0);
	bb_u32(&c->b, 0);
	bb_u32(&c->b, snaplen);
	bb_u32(&c->b, linktype);
}

/* A pcap record whose header fields are written as given, with caplen bytes of data. */
static void pcap_rec_raw(struct cap *c, uint32_t sec, uint32_t frac, uint32_t caplen_field,
			 uint32_t len_field, uint32_t data_len)
{
	bb_u32(&c->b, sec);
	bb_u32(&c->b, frac);
	bb_u32(&c->b, caplen_field);
	bb_u32(&c->b, len_field);
	put_payload(c, data_len);
}

/* A well-formed pcap record plus its expected reading. */
static void pcap_rec(struct cap *c, bool nsec, uint16_t linktype, uint8_t fcs, uint32_t sec, uint32_t frac,
		     uint32_t caplen, uint32_t origlen)
{
	struct dl_cap_record *e = expect(c);
	uint32_t per = nsec ? 1000000000u : 1000000u;

	e->file_off = c->b.len + 16;
	e->ts_sec = (int64_t)sec + frac / per;
	e->ts_nsec = (frac % per) * (nsec ? 1 : 1000);
	e->caplen = caplen;
	e->origlen = origlen;
	e->linktype = linktype;
	e->fcs_len = fcs;
	pcap_rec_raw(c, sec, frac, caplen, origlen, caplen);
}

/* pcapng blocks */
static size_t blk_begin(struct cap *c, uint32_t type)
{
	size_t s = c->b.len;

	bb_u32(&c->b, type);
	bb_u32(&c->b, 0);
	return s;
}
static void blk_end(struct cap *c, size_t s)
{
	uint32_t total;

	bb_pad4(&c->b);
	total = (uint32_t)(c->b.len - s + 4);
	bb_u32(&c->b, total);
	bb_set32(&c->b, s + 4, total);
}
static void opt(struct cap *c, uint16_t code, const void *v, uint16_t len)
{
	bb_u16(&c->b, code);
	bb_u16(&c->b, len);
	bb_put(&c->b, v, len);
	bb_pad4(&c->b);
}
static void opt_end(struct cap *c)
{
	bb_u16(&c->b, 0);
	bb_u16(&c->b, 0);
}

static void shb(struct cap *c, bool be, bool with_opts)
{
	size_t s;

	c->b.be = be;
	s = blk_begin(c, 0x0a0d0d0au);
	bb_u32(&c->b, 0x1a2b3c4du);
	bb_u16(&c->b, 1);
	bb_u16(&c->b, 0);
	bb_u64(&c->b, UINT64_MAX);
	if (with_opts) {
		opt(c, 2, "x86_64", 6);
		opt(c, 4, "dsrlab test", 11);
		opt(c, 1, "a comment!", 10);
		opt_end(c);
	}
	blk_end(c, s);
	c->nifc = 0;
}

/* tsresol < 0: no if_tsresol option; has_off: write if_tsoffset. */
static void idb(struct cap *c, uint16_t linktype, uint32_t snaplen, int tsresol, bool has_off, int64_t tsoffset)
{
	struct iface_model *m = &c->ifc[c->nifc++];
	size_t s = blk_begin(c, 1);

	bb_u16(&c->b, linktype);
	bb_u16(&c->b, 0);
	bb_u32(&c->b, snaplen);
	opt(c, 2, "eth0", 4);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;

		opt(c, 9, &v, 1);
	}
	if (has_off) {
		uint64_t u = (uint64_t)tsoffset;
		struct bb t = { 0 };

		t.be = c->b.be;
		bb_u64(&t, u);
		opt(c, 14, t.d, 8);
		free(t.d);
	}
	if (tsresol != 6) /* sometimes end with opt_endofopt, sometimes run to the end */
		opt_end(c);
	blk_end(c, s);
	m->base = tsresol >= 0 && (tsresol & 0x80) ? 2 : 10;
	m->exp = tsresol >= 0 ? (uint8_t)(tsresol & 0x7f) : 6;
	m->tsoffset = has_off ? tsoffset : 0;
	m->linktype = linktype;
	m->snaplen = snaplen;
}

/* ---- a slow, obviously-right timestamp reference: 128-bit schoolbook arithmetic ---- */

/* floor(a * b / d) for a < d, with 128-bit intermediate, by shift-and-subtract. */
static uint64_t muldiv_ref(uint64_t a, uint64_t b, uint64_t d)
{
	uint64_t hi = 0, lo = 0, q = 0, rem = 0;

	for (int i = 63; i >= 0; i--) { /* (hi:lo) = a * b */
		hi = (hi << 1) | (lo >> 63);
		lo <<= 1;
		if ((b >> i) & 1) {
			uint64_t nlo = lo + a;

			hi += nlo < lo;
			lo = nlo;
		}
	}
	for (int i = 127; i >= 0; i--) { /* (hi:lo) / d */
		uint64_t bit = i >= 64 ? (hi >> (i - 64)) & 1 : (lo >> i) & 1;
		bool top = rem >> 63;

		rem = (rem << 1) | bit;
		if (top || rem >= d) {
			rem -= d;
			if (i < 64)
				q |= UINT64_C(1) << i;
		}
	}
	return q;
}

static int ts_ref(uint8_t base, uint8_t exp, int64_t off, uint64_t ts, int64_t *sec, uint32_t *nsec)
{
	uint64_t units = 1;

	for (unsigned i = 0; i < exp; i++)
		units *= base;
	if (ts / units > (uint64_t)INT64_MAX)
		return -1;
	if (off > 0 && (int64_t)(ts / units) > INT64_MAX - off)
		return -1;
	*sec = (int64_t)(ts / units) + off;
	*nsec = (uint32_t)muldiv_ref(ts % units, 1000000000u, units);
	return 0;
}

/* A packet block (EPB 6 or OPB 2) with its expected reading. */
static void pkt_block(struct cap *c, uint32_t type, uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t origlen,
		      bool with_opts)
{
	struct dl_cap_record *e = expect(c);
	struct iface_model *m = &c->ifc[ifid];
	size_t s = blk_begin(c, type);

	if (type == 6) {
		bb_u32(&c->b, ifid);
	} else {
		bb_u16(&c->b, (uint16_t)ifid);
		bb_u16(&c->b, 0);
	}
	bb_u32(&c->b, (uint32_t)(ts >> 32));
	bb_u32(&c->b, (uint32_t)ts);
	bb_u32(&c->b, caplen);
	bb_u32(&c->b, origlen);
	e->file_off = c->b.len;
	put_payload(c, caplen);
	bb_pad4(&c->b);
	if (with_opts) {
		uint32_t flags = 1;

		opt(c, 2, &flags, 4);
		opt(c, 1, "pkt", 3);
		opt_end(c);
	}
	blk_end(c, s);
	if (ts_ref(m->base, m->exp, m->tsoffset, ts, &e->ts_sec, &e->ts_nsec))
		abort();
	e->caplen = caplen;
	e->origlen = origlen;
	e->iface = ifid;
	e->linktype = m->linktype;
}

static void spb(struct cap *c, uint32_t origlen, uint32_t data_len)
{
	struct dl_cap_record *e = expect(c);
	size_t s = blk_begin(c, 3);
	uint32_t body = (data_len + 3) & ~3u;

	bb_u32(&c->b, origlen);
	e->file_off = c->b.len;
	put_payload(c, data_len);
	blk_end(c, s);
	e->caplen = origlen < body ? origlen : body;
	if (c->ifc[0].snaplen && c->ifc[0].snaplen < e->caplen)
		e->caplen = c->ifc[0].snaplen;
	e->origlen = origlen;
	e->linktype = c->ifc[0].linktype;
	e->flags = DL_CAP_REC_NO_TS;
}

static void other_block(struct cap *c, uint32_t type, uint32_t body_len)
{
	size_t s = blk_begin(c, type);

	put_payload(c, body_len);
	blk_end(c, s);
}

/* ---- the caller: feeds a file in chunks as the TypeScript layer does ---- */

struct run {
	int rc;
	char err[DL_CAP_ERR_LEN];
	uint64_t err_off;
	struct dl_cap_record *recs; /* buf_off zeroed: it depends on the chunking */
	size_t n;
	uint32_t sections;
	uint64_t records;
	int harness_errors; /* contract violations seen by the caller */
};

static void run_free(struct run *o) { free(o->recs); }

/* Feed file[0..flen) in reads of chunk bytes, max_recs records per call, as a caller that keeps
 * the unconsumed tail and appends what it reads. The bytes live in one exact-size copy of the
 * file; under ASan the part not yet "read" is poisoned, so the reader touching any byte past the
 * len it was given is caught, without copying the tail on every call. */
static void read_all(const uint8_t *file, size_t flen, size_t chunk, size_t max_recs, struct run *o)
{
	struct dl_cap_reader r;
	struct dl_cap_record *recs = malloc(max_recs * sizeof(*recs));
	uint8_t *fc = malloc(flen ? flen : 1);
	size_t fpos = 0, cap = 64;
	uint64_t boff = 0;
	bool read_more = true;
	long calls = 0;

	memset(o, 0, sizeof(*o));
	o->recs = malloc(cap * sizeof(*o->recs));
	if (flen)
		memcpy(fc, file, flen);
	POISON(fc, flen);
	dl_cap_init(&r);
	for (;;) {
		size_t n = 0, used = 0, blen;
		const uint8_t *buf = fc + boff;
		int eof;

		if (read_more) {
			size_t take = flen - fpos < chunk ? flen - fpos : chunk;

			UNPOISON(fc + fpos, take);
			fpos += take;
		}
		blen = fpos - (size_t)boff;
		eof = fpos == flen;
		o->rc = dl_cap_feed(&r, buf, blen, boff, eof, recs, max_recs, &n, &used);
		if (++calls > 100000000 || used > blen || n > max_recs)
			o->harness_errors++;
		for (size_t i = 0; i < n; i++) {
			struct dl_cap_record *rec = &recs[i];

			if (rec->buf_off > blen || rec->caplen > blen - rec->buf_off ||
			    rec->file_off != boff + rec->buf_off || rec->file_off + rec->caplen > flen ||
			    memcmp(buf + rec->buf_off, file + rec->file_off, rec->caplen) != 0 ||
			    rec->buf_off + rec->caplen > used || rec->ts_nsec >= 1000000000u) {
				o->harness_errors++;
				continue;
			}
			if (o->n == cap) {
				cap *= 2;
				o->recs = realloc(o->recs, cap * sizeof(*o->recs));
			}
			o->recs[o->n] = *rec;
			o->recs[o->n++].buf_off = 0;
		}
		/* the consumed bytes are gone: poison them too */
		POISON(fc + boff, used);
		boff += used;
		if (o->rc == DL_CAP_END || o->rc == DL_CAP_ERR)
			break;
		if (o->rc == DL_CAP_NEED_MORE) {
			if (eof || r.need <= fpos - boff)
				o->harness_errors++;
			if (eof)
				break;
			read_more = true;
		} else if (o->rc == DL_CAP_OK) {
			if (n != max_recs)
				o->harness_errors++;
			read_more = false;
		} else {
			o->harness_errors++;
			break;
		}
	}
	if (o->rc == DL_CAP_END && boff != flen)
		o->harness_errors++;
	if (o->rc == DL_CAP_ERR) {
		memcpy(o->err, r.err, sizeof(o->err));
		o->err_off = r.err_off;
		if (memchr(r.err, 0, sizeof(r.err)) == NULL || r.err[0] == 0)
			o->harness_errors++;
	}
	o->sections = r.sections;
	o->records = r.records;
	if (r.records != o->n)
		o->harness_errors++;
	dl_cap_free(&r);
	UNPOISON(fc, flen);
	free(fc);
	free(recs);
}

static bool rec_eq(const struct dl_cap_record *a, const struct dl_cap_record *b)
{
	return a->file_off == b->file_off && a->ts_sec == b->ts_sec && a->ts_nsec == b->ts_nsec &&
	       a->caplen == b->caplen && a->origlen == b->origlen && a->iface == b->iface &&
	       a->linktype == b->linktype && a->fcs_len == b->fcs_len && a->flags == b->flags;
}

static void print_rec(const char *what, size_t i, const struct dl_cap_record *a)
{
	fprintf(stderr, "  %s[%zu]: off %" PRIu64 " ts %" PRId64 ".%09" PRIu32 " cap %" PRIu32 " orig %" PRIu32
		" if %" PRIu32 " lt %u fcs %u flags %u\n",
		what, i, a->file_off, a->ts_sec, a->ts_nsec, a->caplen, a->origlen, a->iface, a->linktype,
		a->fcs_len, a->flags);
}

static bool recs_match(const struct dl_cap_record *got, size_t ngot, const struct dl_cap_record *want, size_t nwant)
{
	if (ngot != nwant) {
		fprintf(stderr, "  got %zu records, want %zu\n", ngot, nwant);
		return false;
	}
	for (size_t i = 0; i < ngot; i++) {
		if (!rec_eq(&got[i], &want[i])) {
			print_rec("got ", i, &got[i]);
			print_rec("want", i, &want[i]);
			return false;
		}
	}
	return true;
}

static const size_t chunk_sizes[] = { 1, 2, 3, 7, 64, 4096, SIZE_MAX };
static const size_t rec_limits[] = { 1, 3, 1000 };

/* A valid capture reads back as its expected records under every chunking and batch size. */
static void check_valid(const char *name, const struct cap *c, uint32_t sections)
{
	int bad = 0;

	for (size_t i = 0; i < DL_ARRAY_SIZE(chunk_sizes); i++) {
		for (size_t j = 0; j < DL_ARRAY_SIZE(rec_limits); j++) {
			struct run o;

			read_all(c->b.d, c->b.len, chunk_sizes[i], rec_limits[j], &o);
			if (o.rc != DL_CAP_END || o.harness_errors || !recs_match(o.recs, o.n, c->e, c->ne) ||
			    o.sections != sections) {
				fprintf(stderr, "%s: chunk %zu, batch %zu: rc %d (%s), %d harness errors, %u sections\n",
					name, chunk_sizes[i], rec_limits[j], o.rc, o.err, o.harness_errors, o.sections);
				bad++;
			}
			run_free(&o);
		}
	}
	CHECK(bad == 0);
}

/* Every prefix of a valid capture ends cleanly or with a truncation error, and the records it
 * gives are a prefix of the full file's. */
static void check_prefixes(const char *name, const struct cap *c)
{
	int bad = 0;

	for (size_t l = 0; l <= c->b.len; l++) {
		uint8_t *copy = malloc(l ? l : 1);
		struct run o;

		memcpy(copy, c->b.d, l);
		read_all(copy, l, l % 3 == 0 ? 64 : SIZE_MAX, l % 2 ? 2 : 100, &o);
		if (o.harness_errors || o.n > c->ne || !recs_match(o.recs, o.n, c->e, o.n) ||
		    (o.rc != DL_CAP_END && o.rc != DL_CAP_ERR) ||
		    (o.rc == DL_CAP_ERR && strncmp(o.err, "truncated", 9) != 0 && strncmp(o.err, "empty file", 10) != 0) ||
		    (l == c->b.len && (o.rc != DL_CAP_END || o.n != c->ne))) {
			fprintf(stderr, "%s: prefix %zu: rc %d (%s), %zu records, %d harness errors\n", name, l, o.rc,
				o.err, o.n, o.harness_errors);
			bad++;
		}
		run_free(&o);
		free(copy);
	}
	CHECK(bad == 0);
}

/* ---- the valid captures ---- */

static struct cap *make_pcap(bool be, bool nsec)
{
	struct cap *c = cap_new();
	uint32_t per = nsec ? 1000000000u : 1000000u;

	pcap_hdr(c, be, nsec, 2, 4, 65535, 1);
	pcap_rec(c, nsec, 1, 0, 1700000000, 0, 60, 60);
	pcap_rec(c, nsec, 1, 0, 1700000000, per - 1, 1514, 1514);
	pcap_rec(c, nsec, 1, 0, 1700000001, 1, 0, 0);
	pcap_rec(c, nsec, 1, 0, 1700000001, per + per / 2, 100, 1500); /* fraction carried */
	pcap_rec(c, nsec, 1, 0, UINT32_MAX, UINT32_MAX, 1, 1);         /* both at their maxima */
	pcap_rec(c, nsec, 1, 0, 0, 0, 3000, 70000);
	for (uint32_t i = 0; i < 30; i++)
		pcap_rec(c, nsec, 1, 0, 1700000100 + i, i * 12345, 40 + i * 37 % 300, 1500);
	return c;
}

/* Two sections of opposite byte order; interfaces with tsresol 10^-9 and 2^-20 and offsets;
 * EPB, SPB, OPB and every kind of skipped block. */
static struct cap *make_pcapng(bool be)
{
	struct cap *c = cap_new();
	uint64_t t9 = 1700000000ull * 1000000000ull + 123456789ull;
	uint64_t t20 = (1700000001ull << 20) | 524288u;

	shb(c, be, true);
	other_block(c, 4, 20);                  /* NRB, before any interface */
	idb(c, 1, 65535, 9, true, 100);         /* 0: Ethernet, ns, +100 s */
	idb(c, 101, 262144, 0x80 | 20, true, -50); /* 1: raw IP, 2^-20 s, -50 s */
	pkt_block(c, 6, 0, t9, 60, 60, false);
	pkt_block(c, 6, 1, t20, 41, 41, true);
	pkt_block(c, 6, 1, (1700000001ull << 20) | 1u, 1, 1000, false);
	other_block(c, 5, 24);                  /* ISB */
	spb(c, 100, 100);                       /* whole packet */
	spb(c, 3, 3);                           /* padding is not packet data */
	spb(c, 5000, 200);                      /* origlen beyond the block */
	pkt_block(c, 2, 1, t20 + 3, 77, 77, true); /* obsolete packet block */
	other_block(c, 10, 16);                 /* DSB */
	other_block(c, 0xbad, 8);               /* custom, copyable */
	other_block(c, 0x40000bad, 12);         /* custom, not copyable */
	other_block(c, 0x12345678, 0);          /* unknown */
	pkt_block(c, 6, 0, 0, 0, 0, true);      /* empty packet at the epoch */
	pkt_block(c, 6, 0, UINT64_MAX, 64, 64, false); /* the largest ns timestamp */
	for (uint32_t i = 0; i < 30; i++)
		pkt_block(c, 6, i % 2, (i % 2 ? t20 : t9) + i * 1000003u, 20 + i * 53 % 400, 1500, i % 3 == 0);

	shb(c, !be, false);                     /* a new section switches byte order */
	idb(c, 113, 64, -1, false, 0);          /* 0: Linux SLL, default us, snaplen 64 */
	idb(c, 229, 0, 3, true, INT64_C(-1700000000)); /* 1: IPv6, ms, offset to the epoch */
	idb(c, 276, 0, 6, false, 0);            /* 2: SLL2, explicit us */
	pkt_block(c, 6, 0, 1700000002000001ull, 64, 64, false);
	pkt_block(c, 6, 1, 1700000002999ull, 40, 40, true);
	pkt_block(c, 6, 2, 5, 33, 33, false);
	spb(c, 150, 100);                       /* snaplen 64 limits it */
	pkt_block(c, 2, 1, 1, 10, 10, false);
	return c;
}

static void test_valid_captures(void)
{
	struct cap *c;

	for (int be = 0; be <= 1; be++) {
		for (int nsec = 0; nsec <= 1; nsec++) {
			char name[64];

			snprintf(name, sizeof(name), "pcap %s %s", be ? "BE" : "LE", nsec ? "ns" : "us");
			c = make_pcap(be, nsec);
			check_valid(name, c, 0);
			check_prefixes(name, c);
			cap_free(c);
		}
		c = make_pcapng(be);
		check_valid(be ? "pcapng BE/LE" : "pcapng LE/BE", c, 2);
		check_prefixes(be ? "pcapng BE/LE" : "pcapng LE/BE", c);
		cap_free(c);
	}
}

/* The hand-computed values the expectations above rest on, and reader fields. */
static void test_known_values(void)
{
	struct cap *c = make_pcapng(false);
	struct run o;

	read_all(c->b.d, c->b.len, SIZE_MAX, 1000, &o);
	CHECK(o.rc == DL_CAP_END && o.n == c->ne);
	if (o.n == c->ne) {
		/* 10^-9 with +100 s */
		CHECK(o.recs[0].ts_sec == 1700000100 && o.recs[0].ts_nsec == 123456789 && o.recs[0].linktype == 1);
		/* 2^-20 with -50 s: half a second, and 2^-20 s = 953.67 ns truncated */
		CHECK(o.recs[1].ts_sec == 1699999951 && o.recs[1].ts_nsec == 500000000 && o.recs[1].iface == 1 &&
		      o.recs[1].linktype == 101);
		CHECK(o.recs[2].ts_sec == 1699999951 && o.recs[2].ts_nsec == 953 && o.recs[2].origlen == 1000);
		/* SPBs: whole, origlen shorter than the padded body, origlen beyond the block */
		CHECK(o.recs[3].caplen == 100 && o.recs[3].flags == DL_CAP_REC_NO_TS && o.recs[3].ts_sec == 0);
		CHECK(o.recs[4].caplen == 3 && o.recs[4].origlen == 3);
		CHECK(o.recs[5].caplen == 200 && o.recs[5].origlen == 5000);
		/* OPB on interface 1 */
		CHECK(o.recs[6].iface == 1 && o.recs[6].caplen == 77 && o.recs[6].ts_nsec == 500002861);
		CHECK(o.recs[7].ts_sec == 100 && o.recs[7].ts_nsec == 0 && o.recs[7].caplen == 0);
		CHECK(o.recs[8].ts_sec == 18446744073 + 100 && o.recs[8].ts_nsec == 709551615);
		/* second section */
		size_t k = c->ne - 5;
		CHECK(o.recs[k].ts_sec == 1700000002 && o.recs[k].ts_nsec == 1000 && o.recs[k].linktype == 113);
		CHECK(o.recs[k + 1].ts_sec == 2 && o.recs[k + 1].ts_nsec == 999000000 && o.recs[k + 1].linktype == 229);
		CHECK(o.recs[k + 2].ts_sec == 0 && o.recs[k + 2].ts_nsec == 5000 && o.recs[k + 2].linktype == 276);
		CHECK(o.recs[k + 3].caplen == 64 && o.recs[k + 3].origlen == 150 && o.recs[k + 3].linktype == 113);
		CHECK(o.recs[k + 4].ts_sec == -1700000000 && o.recs[k + 4].ts_nsec == 1000000);
	}
	run_free(&o);
	cap_free(c);

	c = make_pcap(true, false);
	read_all(c->b.d, c->b.len, SIZE_MAX, 1000, &o);
	CHECK(o.rc == DL_CAP_END && o.n == c->ne);
	if (o.n == c->ne) {
		CHECK(o.recs[1].ts_sec == 1700000000 && o.recs[1].ts_nsec == 999999000);
		CHECK(o.recs[3].ts_sec == 1700000002 && o.recs[3].ts_nsec == 500000000);
		CHECK(o.recs[4].ts_sec == 4294967295ll + 4294 && o.recs[4].ts_nsec == 967295000);
		CHECK(o.recs[0].file_off == 40 && o.recs[1].file_off == 40 + 60 + 16);
	}
	run_free(&o);
	cap_free(c);

	/* Reader fields after the header, and the need for a large record. */
	{
		struct dl_cap_reader r;
		struct dl_cap_record rec;
		size_t n, used;

		c = cap_new();
		pcap_hdr(c, false, true, 2, 4, 0, 0x24000001u); /* FCS present, 2 words */
		pcap_rec(c, true, 1, 4, 1, 2, 1000, 1000);
		dl_cap_init(&r);
		CHECK(dl_cap_feed(&r, c->b.d, 40, 0, 0, &rec, 1, &n, &used) == DL_CAP_NEED_MORE);
		CHECK(n == 0 && used == 24 && r.need == 1016 && r.off == 24);
		CHECK(r.format == DL_CAP_FMT_PCAP && !r.big_endian && r.nsec && r.snaplen == 0 && r.linktype == 1 &&
		      r.fcs_len == 4 && r.version_major == 2 && r.version_minor == 4);
		CHECK(dl_cap_feed(&r, c->b.d + 24, c->b.len - 24, 24, 0, &rec, 1, &n, &used) == DL_CAP_NEED_MORE);
		CHECK(n == 1 && used == 1016 && rec.fcs_len == 4 && rec.ts_nsec == 2 && rec.buf_off == 16);
		CHECK(dl_cap_feed(&r, c->b.d, 0, c->b.len, 0, &rec, 1, &n, &used) == DL_CAP_NEED_MORE && r.need == 16);
		CHECK(dl_cap_feed(&r, c->b.d, 0, c->b.len, 1, &rec, 1, &n, &used) == DL_CAP_END);
		CHECK(dl_cap_feed(&r, c->b.d, 0, c->b.len, 1, &rec, 1, &n, &used) == DL_CAP_END); /* sticky */
		CHECK(r.records == 1);
		dl_cap_free(&r);
		cap_free(c);
	}

	/* pcapng reader fields */
	{
		struct dl_cap_reader r;
		struct dl_cap_record recs[4];
		size_t n, used;

		c = cap_new();
		shb(c, true, false);
		idb(c, 228, 128, 0x80 | 20, false, 0);
		dl_cap_init(&r);
		CHECK(dl_cap_feed(&r, c->b.d, 5, 0, 0, recs, 4, &n, &used) == DL_CAP_NEED_MORE && r.need == 12);
		CHECK(dl_cap_feed(&r, c->b.d, 12, 0, 0, recs, 4, &n, &used) == DL_CAP_NEED_MORE && r.need == 28);
		CHECK(dl_cap_feed(&r, c->b.d, c->b.len, 0, 1, recs, 4, &n, &used) == DL_CAP_END);
		CHECK(r.format == DL_CAP_FMT_PCAPNG && r.big_endian && r.sections == 1 && r.n_ifaces == 1 &&
		      r.linktype == 228 && r.version_major == 1);
		CHECK(r.ifaces[0].tsres_base == 2 && r.ifaces[0].tsres_exp == 20 && r.ifaces[0].ts_units == 1u << 20 &&
		      r.ifaces[0].snaplen == 128);
		dl_cap_free(&r);
		cap_free(c);
	}
}

/* libpcap's length order rule for pcap 2.0-2.3 and DG/UX 543.0. */
static void test_swapped_lengths(void)
{
	struct cap *c;
	struct run o;

	/* 2.2: caplen and len are always interchanged on disk */
	for (int dgux = 0; dgux <= 1; dgux++) {
		c = cap_new();
		pcap_hdr(c, true, false, dgux ? 543 : 2, dgux ? 0 : 2, 65535, 1);
		pcap_rec_raw(c, 1, 0, 1500, 60, 60);
		pcap_rec_raw(c, 2, 0, 30, 30, 30);
		read_all(c->b.d, c->b.len, 7, 10, &o);
		CHECK(o.rc == DL_CAP_END && o.n == 2 && o.recs[0].caplen == 60 && o.recs[0].origlen == 1500 &&
		      o.recs[1].caplen == 30);
		run_free(&o);
		cap_free(c);
	}
	/* 2.3: interchanged only when caplen > len */
	c = cap_new();
	pcap_hdr(c, false, false, 2, 3, 65535, 1);
	pcap_rec_raw(c, 1, 0, 60, 1500, 60);
	pcap_rec_raw(c, 2, 0, 1500, 61, 61);
	read_all(c->b.d, c->b.len, 3, 10, &o);
	CHECK(o.rc == DL_CAP_END && o.n == 2 && o.recs[0].caplen == 60 && o.recs[0].origlen == 1500 &&
	      o.recs[1].caplen == 61 && o.recs[1].origlen == 1500);
	run_free(&o);
	cap_free(c);
}

static void test_linktypes(void)
{
	static const struct { uint32_t in; uint16_t out; } lts[] = {
		{ 1, 1 }, { 101, 101 }, { 12, 101 }, { 14, 101 }, { 228, 228 }, { 229, 229 }, { 113, 113 },
		{ 276, 276 }, { 0x10000001u, 1 }, { 0xf4000001u, 1 },
	};

	for (size_t i = 0; i < DL_ARRAY_SIZE(lts); i++) {
		struct cap *c = cap_new();
		struct run o;
		uint8_t fcs = (lts[i].in & 0x04000000u) ? (uint8_t)((lts[i].in >> 28) * 2) : 0;

		pcap_hdr(c, false, false, 2, 4, 65535, lts[i].in);
		pcap_rec(c, false, lts[i].out, fcs, 1, 0, 20, 20);
		read_all(c->b.d, c->b.len, SIZE_MAX, 10, &o);
		CHECK(o.rc == DL_CAP_END && recs_match(o.recs, o.n, c->e, c->ne));
		run_free(&o);
		cap_free(c);
	}
}

/* ---- malformed captures: exact message and offset, under every chunking ---- */

static void check_bad(const char *desc, struct cap *c, const char *err, uint64_t err_off, size_t n_before)
{
	int bad = 0;

	for (size_t i = 0; i < DL_ARRAY_SIZE(chunk_sizes); i++) {
		struct run o;

		read_all(c->b.d, c->b.len, chunk_sizes[i], i % 2 ? 1 : 64, &o);
		if (o.rc != DL_CAP_ERR || strcmp(o.err, err) != 0 || o.err_off != err_off || o.n != n_before ||
		    o.harness_errors || !recs_match(o.recs, o.n, c->e, o.n)) {
			fprintf(stderr, "%s (chunk %zu): rc %d, %zu records (want %zu), off %" PRIu64 " (want %" PRIu64
				"), %d harness errors\n",
				desc, chunk_sizes[i], o.rc, o.n, n_before, o.err_off, err_off, o.harness_errors);
			CHECK_STR(o.err, err);
			bad++;
		}
		run_free(&o);
	}
	CHECK(bad == 0);
	cap_free(c);
}

static void test_bad_pcap(void)
{
	struct cap *c;
	char want[256];
	size_t off;

	c = cap_new();
	check_bad("empty", c, "empty file (expected a pcap or pcapng header)", 0, 0);

	c = cap_new();
	c->b.be = true;
	bb_u32(&c->b, 0x12345678);
	bb_u32(&c->b, 0);
	check_bad("bad magic", c,
		  "bad magic 0x12345678 at offset 0 (expected a pcap magic a1b2c3d4/a1b23c4d or pcapng 0a0d0d0a)", 0, 0);

	c = cap_new();
	bb_put(&c->b, "\xd4\xc3\xb2", 3);
	check_bad("3 bytes", c,
		  "truncated file header at offset 0: the file has 3 bytes (expected a 24-byte pcap header or a "
		  "pcapng section header block)",
		  0, 0);

	c = cap_new();
	pcap_hdr(c, false, false, 2, 4, 65535, 1);
	c->b.len = 10;
	check_bad("short header", c, "truncated pcap file header at offset 0: expected 24 bytes but the file has 10", 0, 0);

	c = cap_new();
	pcap_hdr(c, true, false, 3, 0, 65535, 1);
	check_bad("version 3.0", c, "unsupported pcap version 3.0 at offset 4 (expected 2.0 to 2.4)", 4, 0);
	c = cap_new();
	pcap_hdr(c, false, false, 1, 0, 65535, 1);
	check_bad("version 1.0", c, "unsupported pcap version 1.0 at offset 4 (expected 2.0 to 2.4)", 4, 0);
	c = cap_new();
	pcap_hdr(c, false, true, 2, 5, 65535, 1);
	check_bad("version 2.5", c, "unsupported pcap version 2.5 at offset 4 (expected 2.0 to 2.4)", 4, 0);

	c = cap_new();
	pcap_hdr(c, false, false, 2, 4, 65535, 147);
	check_bad("link type 147", c,
		  "unsupported link type 147 at offset 20 (expected Ethernet 1, raw IP 101, IPv4 228, IPv6 229, "
		  "Linux SLL 113, SLL2 276)",
		  20, 0);
	c = cap_new();
	pcap_hdr(c, true, false, 2, 4, 65535, 0x00010001u); /* reserved bits set */
	check_bad("link type reserved bits", c,
		  "unsupported link type 65537 at offset 20 (expected Ethernet 1, raw IP 101, IPv4 228, IPv6 229, "
		  "Linux SLL 113, SLL2 276)",
		  20, 0);

	c = cap_new();
	pcap_hdr(c, false, false, 2, 4, 65535, 1);
	for (int i = 0; i < 16; i++)
		pcap_rec(c, false, 1, 0, 1, 0, 60 + i, 60 + i);
	off = c->b.len;
	pcap_rec_raw(c, 1, 0, 70000, 70000, 70000);
	snprintf(want, sizeof(want), "record 17 at offset %zu: caplen 70000 > snaplen 65535", off);
	check_bad("caplen > snaplen", c, want, off, 16);

	c = cap_new();
	pcap_hdr(c, false, false, 2, 4, 0, 1);
	pcap_rec_raw(c, 1, 0, UINT32_MAX, UINT32_MAX, 8);
	check_bad("caplen 4 GiB", c, "record 1 at offset 24: caplen 4294967295 exceeds the 268435456-byte limit", 24, 0);

	c = cap_new();
	pcap_hdr(c, false, false, 2, 4, 65535, 1);
	for (int i = 0; i < 9; i++)
		pcap_rec(c, false, 1, 0, 1, 0, 100, 100);
	off = c->b.len;
	pcap_rec_raw(c, 1, 0, 98, 98, 40);
	snprintf(want, sizeof(want), "truncated record 10 at offset %zu: caplen 98 but only 40 bytes remain", off);
	check_bad("truncated record", c, want, off, 9);

	c = cap_new();
	pcap_hdr(c, true, true, 2, 4, 65535, 1);
	pcap_rec(c, true, 1, 0, 1, 0, 100, 100);
	pcap_rec(c, true, 1, 0, 1, 0, 100, 100);
	off = c->b.len;
	bb_put(&c->b, "\0\0\0\0\0", 5);
	snprintf(want, sizeof(want), "truncated record 3 at offset %zu: record header needs 16 bytes but only 5 remain",
		 off);
	check_bad("truncated record header", c, want, off, 2);

	/* A 4 GiB caplen is an error as soon as its header is visible: no waiting, no allocation. */
	{
		struct dl_cap_reader r;
		struct dl_cap_record rec;
		size_t n, used;

		c = cap_new();
		pcap_hdr(c, false, false, 2, 4, 0, 1);
		pcap_rec_raw(c, 1, 0, 0x80000000u, 0x80000000u, 0);
		dl_cap_init(&r);
		CHECK(dl_cap_feed(&r, c->b.d, c->b.len, 0, 0, &rec, 1, &n, &used) == DL_CAP_ERR);
		CHECK(used == 24 && n == 0 && r.err_off == 24);
		CHECK(dl_cap_feed(&r, c->b.d, c->b.len, 0, 0, &rec, 1, &n, &used) == DL_CAP_ERR); /* sticky */
		dl_cap_free(&r);
		cap_free(c);
	}

	/* Feeding at the wrong offset is a caller bug, reported. */
	{
		struct dl_cap_reader r;
		struct dl_cap_record rec;
		size_t n, used;
		uint8_t z[4] = { 0 };

		dl_cap_init(&r);
		CHECK(dl_cap_feed(&r, z, 4, 5, 0, &rec, 1, &n, &used) == DL_CAP_ERR);
		CHECK_STR(r.err, "fed bytes at offset 5 but the reader is at offset 0");
		dl_cap_free(&r);
	}
}

/* A pcapng start: SHB (28 bytes) then one Ethernet interface (IDB, 20 bytes), c->b.len 48. */
static struct cap *ng_start(bool be)
{
	struct cap *c = cap_new();
	size_t s;

	shb(c, be, false);
	s = blk_begin(c, 1);
	bb_u16(&c->b, 1);
	bb_u16(&c->b, 0);
	bb_u32(&c->b, 1500);
	blk_end(c, s);
	c->ifc[0] = (struct iface_model){ 10, 6, 0, 1, 1500 };
	c->nifc = 1;
	return c;
}

static void test_bad_pcapng(void)
{
	struct cap *c;
	char want[256];
	size_t s;

	for (int be = 0; be <= 1; be++) {
		c = ng_start(be);
		pkt_block(c, 6, 0, 1, 10, 10, false);
		s = c->b.len;
		other_block(c, 5, 16);
		bb_set32(&c->b, s + 4, 29);
		snprintf(want, sizeof(want), "pcapng block at offset %zu: total length 29 is not a multiple of 4", s);
		check_bad("length 29", c, want, s, 1);
	}

	c = ng_start(false);
	s = c->b.len;
	other_block(c, 5, 0);
	bb_set32(&c->b, s + 4, 8);
	snprintf(want, sizeof(want), "pcapng block at offset %zu: total length 8 is too short (minimum 12)", s);
	check_bad("length 8", c, want, s, 0);

	c = ng_start(true);
	s = c->b.len;
	other_block(c, 6, 16);
	snprintf(want, sizeof(want),
		 "pcapng enhanced packet block at offset %zu: total length 28 is too short (minimum 32)", s);
	check_bad("short EPB", c, want, s, 0);

	c = ng_start(false);
	s = c->b.len;
	other_block(c, 1, 4);
	snprintf(want, sizeof(want),
		 "pcapng interface description block at offset %zu: total length 16 is too short (minimum 20)", s);
	check_bad("short IDB", c, want, s, 0);

	c = ng_start(false);
	s = c->b.len;
	bb_u32(&c->b, 3);
	bb_u32(&c->b, 12);
	bb_u32(&c->b, 12);
	snprintf(want, sizeof(want),
		 "pcapng simple packet block at offset %zu: total length 12 is too short (minimum 16)", s);
	check_bad("short SPB", c, want, s, 0);

	c = ng_start(true);
	s = c->b.len;
	bb_u32(&c->b, 6);
	bb_u32(&c->b, 0x7ffffffcu);
	snprintf(want, sizeof(want),
		 "pcapng block at offset %zu: total length 2147483644 exceeds the 268435456-byte limit", s);
	check_bad("huge block", c, want, s, 0);

	c = ng_start(false);
	pkt_block(c, 6, 0, 1, 10, 10, false);
	s = c->b.len;
	other_block(c, 4, 92);
	bb_set32(&c->b, c->b.len - 4, 100);
	snprintf(want, sizeof(want), "pcapng block at offset %zu: trailing total length 100 does not match leading 104",
		 s);
	check_bad("trailer mismatch", c, want, s, 1);

	c = ng_start(true);
	bb_set32(&c->b, 4, 24);
	bb_set32(&c->b, 20, 24);
	check_bad("short SHB", c,
		  "pcapng section header block at offset 0: total length 24 is too short (minimum 28)", 0, 0);

	c = ng_start(false);
	bb_set32(&c->b, 8, 0x11223344u);
	check_bad("bad BOM", c,
		  "pcapng section header block at offset 0: bad byte-order magic 0x44332211 (expected 1a2b3c4d in "
		  "either byte order)",
		  0, 0);

	c = ng_start(true);
	c->b.d[12] = 0;
	c->b.d[13] = 2;
	check_bad("SHB version 2", c,
		  "pcapng section header block at offset 0: unsupported version 2.0 (expected 1.x)", 0, 0);

	c = ng_start(false);
	pkt_block(c, 6, 0, 1, 10, 10, false);
	s = c->b.len;
	c->ifc[2] = c->ifc[0];
	pkt_block(c, 6, 2, 1, 10, 10, false);
	c->ne--;
	snprintf(want, sizeof(want), "record 2 at offset %zu: interface 2 is not defined (1 interfaces in this section)", s);
	check_bad("unknown interface", c, want, s, 1);

	/* A new section forgets the previous section's interfaces. */
	c = ng_start(true);
	pkt_block(c, 6, 0, 1, 10, 10, false);
	shb(c, false, true);
	s = c->b.len;
	c->ifc[0] = (struct iface_model){ 10, 6, 0, 1, 1500 };
	pkt_block(c, 2, 0, 1, 10, 10, false);
	c->ne--;
	snprintf(want, sizeof(want), "record 2 at offset %zu: interface 0 is not defined (0 interfaces in this section)", s);
	check_bad("interface of an old section", c, want, s, 1);

	c = cap_new();
	shb(c, false, false);
	s = c->b.len;
	c->ifc[0] = (struct iface_model){ 10, 6, 0, 1, 0 };
	spb(c, 10, 10);
	c->ne--;
	snprintf(want, sizeof(want),
		 "record 1 at offset %zu: simple packet block but no interface is defined in this section", s);
	check_bad("SPB without interface", c, want, s, 0);

	c = ng_start(true);
	s = c->b.len;
	pkt_block(c, 6, 0, 1, 30, 30, false);
	c->ne--;
	bb_set32(&c->b, s + 20, 200);
	snprintf(want, sizeof(want), "record 1 at offset %zu: caplen 200 does not fit in a block of total length 64", s);
	check_bad("caplen past block", c, want, s, 0);

	c = ng_start(false);
	s = c->b.len;
	pkt_block(c, 6, 0, 1, 1600, 1600, false);
	c->ne--;
	snprintf(want, sizeof(want), "record 1 at offset %zu: caplen 1600 > snaplen 1500", s);
	check_bad("EPB caplen > snaplen", c, want, s, 0);

	/* options */
	c = ng_start(false);
	s = c->b.len;
	{
		size_t b = blk_begin(c, 1);

		bb_u16(&c->b, 1);
		bb_u16(&c->b, 0);
		bb_u32(&c->b, 0);
		opt(c, 2, "eth0", 4);
		bb_u16(&c->b, 3);
		bb_u16(&c->b, 200);
		bb_u32(&c->b, 0);
		blk_end(c, b);
	}
	snprintf(want, sizeof(want),
		 "pcapng interface description block at offset %zu: option 3 at offset %zu has length 200, past the "
		 "end of the block",
		 s, s + 24);
	check_bad("IDB option overrun", c, want, s, 0);

	c = cap_new();
	c->b.be = true;
	s = blk_begin(c, 0x0a0d0d0au);
	bb_u32(&c->b, 0x1a2b3c4du);
	bb_u16(&c->b, 1);
	bb_u16(&c->b, 0);
	bb_u64(&c->b, 0);
	bb_u16(&c->b, 2);
	bb_u16(&c->b, 5);
	bb_u32(&c->b, 0);
	blk_end(c, s);
	check_bad("SHB option overrun", c,
		  "pcapng section header block at offset 0: option 2 at offset 24 has length 5, past the end of the "
		  "block",
		  0, 0);

	static const struct { int tsresol; uint16_t len; const char *what; } bad_opts[] = {
		{ 9, 2, "if_tsresol option at offset 72 has length 2 (expected 1)" },
		{ 20, 1, "unsupported if_tsresol 0x14 at offset 72 (expected 10^-0..10^-19 or 2^-0..2^-63)" },
		{ 0xc0, 1, "unsupported if_tsresol 0xc0 at offset 72 (expected 10^-0..10^-19 or 2^-0..2^-63)" },
		{ 14, 4, "if_tsoffset option at offset 72 has length 4 (expected 8)" },
	};
	for (size_t i = 0; i < DL_ARRAY_SIZE(bad_opts); i++) {
		size_t b;
		uint8_t v[8] = { (uint8_t)bad_opts[i].tsresol, 0, 0, 0, 0, 0, 0, 0 };

		c = ng_start(i % 2);
		b = blk_begin(c, 1);
		bb_u16(&c->b, 1);
		bb_u16(&c->b, 0);
		bb_u32(&c->b, 0);
		opt(c, 2, "eth1", 4);
		if (bad_opts[i].tsresol == 9 || bad_opts[i].tsresol == 14)
			opt(c, (uint16_t)bad_opts[i].tsresol, v, bad_opts[i].len);
		else
			opt(c, 9, v, 1);
		opt_end(c);
		blk_end(c, b);
		snprintf(want, sizeof(want), "pcapng interface description block at offset 48 (interface 1): %s",
			 bad_opts[i].what);
		check_bad(bad_opts[i].what, c, want, 48, 0);
	}

	c = ng_start(true);
	s = c->b.len;
	{
		size_t b = blk_begin(c, 1);

		bb_u16(&c->b, 147);
		bb_u16(&c->b, 0);
		bb_u32(&c->b, 0);
		blk_end(c, b);
	}
	snprintf(want, sizeof(want),
		 "unsupported link type 147 at offset %zu (expected Ethernet 1, raw IP 101, IPv4 228, IPv6 229, "
		 "Linux SLL 113, SLL2 276)",
		 s + 8);
	check_bad("IDB link type", c, want, s + 8, 0);

	/* timestamps that do not fit */
	c = cap_new();
	shb(c, false, false);
	idb(c, 1, 0, 0, false, 0); /* 1-second units */
	s = c->b.len;
	pkt_block(c, 6, 0, 0, 4, 4, false);
	c->ne--;
	bb_set32(&c->b, s + 12, UINT32_MAX);
	bb_set32(&c->b, s + 16, UINT32_MAX);
	snprintf(want, sizeof(want),
		 "record 1 at offset %zu: timestamp 18446744073709551615 of interface 0 is out of range", s);
	check_bad("timestamp overflow", c, want, s, 0);

	c = cap_new();
	shb(c, true, false);
	idb(c, 1, 0, 9, true, INT64_MAX);
	pkt_block(c, 6, 0, 0, 4, 4, false); /* epoch + INT64_MAX s: fits */
	s = c->b.len;
	c->ifc[0].tsoffset = 0;
	pkt_block(c, 6, 0, 1000000000u, 4, 4, false);
	c->ne--;
	snprintf(want, sizeof(want), "record 2 at offset %zu: timestamp 1000000000 of interface 0 is out of range", s);
	check_bad("tsoffset overflow", c, want, s, 1);

	/* truncation */
	c = ng_start(false);
	pkt_block(c, 6, 0, 1, 10, 10, false);
	s = c->b.len;
	pkt_block(c, 6, 0, 1, 100, 100, false);
	c->ne--;
	c->b.len -= 4;
	snprintf(want, sizeof(want), "truncated record 2 at offset %zu: block total length 132 but only 128 bytes remain", s);
	check_bad("truncated EPB", c, want, s, 1);

	c = ng_start(false);
	s = c->b.len;
	other_block(c, 5, 100);
	c->b.len -= 50;
	snprintf(want, sizeof(want), "truncated pcapng block at offset %zu: total length 112 but only 62 bytes remain", s);
	check_bad("truncated ISB", c, want, s, 0);

	c = ng_start(false);
	s = c->b.len;
	bb_put(&c->b, "\x06\0\0\0\x20", 5);
	snprintf(want, sizeof(want), "truncated pcapng block at offset %zu: block header needs 8 bytes but only 5 remain", s);
	check_bad("truncated block header", c, want, s, 0);

	c = ng_start(true);
	s = c->b.len;
	bb_put(&c->b, "\x0a\x0d\x0d\x0a\0\0\0\x1c\x1a\x2b", 10);
	snprintf(want, sizeof(want), "truncated pcapng block at offset %zu: block header needs 12 bytes but only 10 remain",
		 s);
	check_bad("truncated SHB header", c, want, s, 0);

	/* interface cap */
	c = cap_new();
	shb(c, false, false);
	for (uint32_t i = 0; i < DL_CAP_MAX_IFACES; i++) {
		size_t b = blk_begin(c, 1);

		bb_u16(&c->b, 1);
		bb_u16(&c->b, 0);
		bb_u32(&c->b, 0);
		blk_end(c, b);
	}
	s = c->b.len;
	{
		size_t b = blk_begin(c, 1);

		bb_u16(&c->b, 1);
		bb_u16(&c->b, 0);
		bb_u32(&c->b, 0);
		blk_end(c, b);
	}
	snprintf(want, sizeof(want),
		 "pcapng interface description block at offset %zu: more than 4096 interfaces in one section", s);
	{
		struct run o;

		read_all(c->b.d, c->b.len, SIZE_MAX, 10, &o);
		CHECK(o.rc == DL_CAP_ERR && o.err_off == s && !o.harness_errors);
		CHECK_STR(o.err, want);
		run_free(&o);
	}
	cap_free(c);
}

/* ---- timestamp conversion against the slow reference ---- */

static void test_ts_convert(void)
{
	int bad = 0;
	struct dl_cap_iface ifc;
	int64_t sec;
	uint32_t nsec;

	memset(&ifc, 0, sizeof(ifc));
	for (int base = 2; base <= 10; base += 8) {
		for (int exp = 0; exp <= (base == 2 ? 63 : 19); exp++) {
			for (int i = 0; i < 3000; i++) {
				uint64_t ts = rng();
				int64_t off = 0, rsec = 0;
				uint32_t rnsec = 0;
				int rc, want;

				if (i % 4 == 1)
					ts >>= rng_below(64);
				if (i % 4 == 2)
					ts = i < 100 ? (uint64_t)i : UINT64_MAX - (uint64_t)(i % 7);
				if (i % 5 == 3)
					off = (int64_t)(rng() >> 1) * (i % 2 ? 1 : -1);
				if (i % 5 == 4)
					off = (int64_t)(rng() >> 33) * (i % 2 ? 1 : -1);
				ifc.tsres_base = (uint8_t)base;
				ifc.tsres_exp = (uint8_t)exp;
				ifc.tsoffset = off;
				rc = dl_cap_ts_convert(&ifc, ts, &sec, &nsec);
				want = ts_ref((uint8_t)base, (uint8_t)exp, off, ts, &rsec, &rnsec);
				if (rc != want || (rc == 0 && (sec != rsec || nsec != rnsec || nsec >= 1000000000u))) {
					if (bad++ < 5)
						fprintf(stderr, "ts %d^-%d ts %" PRIu64 " off %" PRId64 ": rc %d/%d %" PRId64
							".%09" PRIu32 " want %" PRId64 ".%09" PRIu32 "\n",
							base, exp, ts, off, rc, want, sec, nsec, rsec, rnsec);
				}
			}
		}
	}
	CHECK(bad == 0);

	/* a few by hand, so the reference itself is checked */
	ifc = (struct dl_cap_iface){ .tsres_base = 2, .tsres_exp = 20 };
	CHECK(dl_cap_ts_convert(&ifc, (5ull << 20) | 1, &sec, &nsec) == 0 && sec == 5 && nsec == 953);
	CHECK(dl_cap_ts_convert(&ifc, (5ull << 20) | 0xfffff, &sec, &nsec) == 0 && sec == 5 && nsec == 999999046);
	ifc.tsres_exp = 63;
	CHECK(dl_cap_ts_convert(&ifc, UINT64_MAX, &sec, &nsec) == 0 && sec == 1 && nsec == 999999999);
	ifc.tsres_exp = 40;
	CHECK(dl_cap_ts_convert(&ifc, (1ull << 39) + (3ull << 40), &sec, &nsec) == 0 && sec == 3 && nsec == 500000000);
	ifc = (struct dl_cap_iface){ .tsres_base = 10, .tsres_exp = 12, .tsoffset = -10 };
	CHECK(dl_cap_ts_convert(&ifc, 1234567890123ull, &sec, &nsec) == 0 && sec == -9 && nsec == 234567890);
	ifc = (struct dl_cap_iface){ .tsres_base = 10, .tsres_exp = 0 };
	CHECK(dl_cap_ts_convert(&ifc, (uint64_t)INT64_MAX, &sec, &nsec) == 0 && sec == INT64_MAX && nsec == 0);
	CHECK(dl_cap_ts_convert(&ifc, (uint64_t)INT64_MAX + 1, &sec, &nsec) == -1);
	ifc.tsres_exp = 20;
	CHECK(dl_cap_ts_convert(&ifc, 1, &sec, &nsec) == -1);
	ifc = (struct dl_cap_iface){ .tsres_base = 2, .tsres_exp = 64 };
	CHECK(dl_cap_ts_convert(&ifc, 1, &sec, &nsec) == -1);
	ifc.tsres_base = 3;
	ifc.tsres_exp = 1;
	CHECK(dl_cap_ts_convert(&ifc, 1, &sec, &nsec) == -1);
}

/* ---- the writer ---- */

static void test_writer(void)
{
	struct bb b = { 0 };
	uint8_t h[24], rh[16];
	struct run o;
	uint8_t pkt[100];

	CHECK(dl_pcap_write_header(h, 1, 65535, 0) == 24);
	CHECK(memcmp(h, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0", 24) == 0);
	CHECK(dl_pcap_write_header(h, 229, 262144, 1) == 24 && dl_rd32le(h) == 0xa1b23c4du && dl_rd32le(h + 20) == 229);
	bb_put(&b, h, 24);
	for (uint32_t i = 0; i < 10; i++) {
		memset(pkt, (int)i, sizeof(pkt));
		CHECK(dl_pcap_write_record_header(rh, 1700000000 + i, i * 100000000u, 10 * i, 100) == 16);
		bb_put(&b, rh, 16);
		bb_put(&b, pkt, 10 * i);
	}
	read_all(b.d, b.len, 5, 4, &o);
	CHECK(o.rc == DL_CAP_END && o.n == 10);
	if (o.n == 10)
		CHECK(o.recs[9].ts_sec == 1700000009 && o.recs[9].ts_nsec == 900000000 && o.recs[9].caplen == 90 &&
		      o.recs[9].origlen == 100 && o.recs[9].linktype == 229);
	run_free(&o);
	free(b.d);

	CHECK(dl_pcap_write_record_header(rh, -1, 0, 0, 0) == 0);
	CHECK(dl_pcap_write_record_header(rh, 4294967296ll, 0, 0, 0) == 0);
	CHECK(dl_pcap_write_record_header(rh, 4294967295ll, 999999999, 0, 0) == 16);
	CHECK(dl_pcap_write_record_header(rh, 0, 1000000000u, 0, 0) == 0);
}

/* ---- random mutations: never a crash, a hang or an out-of-bounds read ---- */

static void test_mutations(void)
{
	struct cap *base[4] = { make_pcap(false, false), make_pcap(true, true), make_pcapng(false), make_pcapng(true) };
	int bad = 0, ends = 0, errs = 0;
	static const uint32_t interesting[] = { 0, 1, 3, 11, 12, 16, 28, 32, 0x7fffffffu, 0x80000000u, 0xffffffffu,
						0xfffffffcu, 0x0a0d0d0au, 0x1a2b3c4du, 0x10000000u, 65535, 65536 };

	for (int it = 0; it < 20000; it++) {
		const struct cap *c = base[it % 4];
		size_t len = c->b.len;
		uint8_t *f = malloc(len + 64);
		int muts = 1 + (int)rng_below(8);
		struct run o;

		memcpy(f, c->b.d, len);
		for (int m = 0; m < muts && len > 0; m++) {
			size_t at = rng_below(len);

			switch (rng_below(6)) {
			case 0:
				f[at] = (uint8_t)rng();
				break;
			case 1:
				f[at] ^= (uint8_t)(1u << rng_below(8));
				break;
			case 2: /* an interesting 32-bit value at an aligned offset, either byte order */
				at &= ~(size_t)3;
				if (at + 4 <= len) {
					uint32_t v = interesting[rng_below(DL_ARRAY_SIZE(interesting))];

					if (rng() & 1)
						dl_wr32(f + at, v);
					else
						f[at] = (uint8_t)v, f[at + 1] = (uint8_t)(v >> 8),
						f[at + 2] = (uint8_t)(v >> 16), f[at + 3] = (uint8_t)(v >> 24);
				}
				break;
			case 3:
				len = at;
				break;
			case 4: { /* copy a run of bytes elsewhere */
				size_t from = rng_below(len), n = 1 + rng_below(32);

				if (from + n <= len && at + n <= len)
					memmove(f + at, f + from, n);
				break;
			}
			default:
				if (len + 4 <= c->b.len + 64) { /* grow by 4 zero bytes at the end */
					memset(f + len, 0, 4);
					len += 4;
				}
				break;
			}
		}
		{
			uint8_t *exact = malloc(len ? len : 1);

			memcpy(exact, f, len);
			read_all(exact, len, chunk_sizes[rng_below(DL_ARRAY_SIZE(chunk_sizes))], 1 + rng_below(70), &o);
			free(exact);
		}
		if (o.harness_errors || (o.rc != DL_CAP_END && o.rc != DL_CAP_ERR))
			bad++;
		ends += o.rc == DL_CAP_END;
		errs += o.rc == DL_CAP_ERR;
		run_free(&o);
		free(f);
	}
	fprintf(stderr, "mutations: %d ended cleanly, %d errors, %d contract violations\n", ends, errs, bad);
	CHECK(bad == 0);
	for (int i = 0; i < 4; i++)
		cap_free(base[i]);
}

int main(void)
{
	test_valid_captures();
	test_known_values();
	test_swapped_lengths();
	test_linktypes();
	test_bad_pcap();
	test_bad_pcapng();
	test_ts_convert();
	test_writer();
	test_mutations();
	printf("test_capture: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
