/* test_maglev.c: unit tests for the Maglev modules (murmur3.c, maglev.c, maglev_hash.c): every
 * case of Cilium's reference vectors (native/test/data/maglev-vectors.txt, made from
 * test/vectors/maglev-vectors.json by maglev-vectors-to-text.mjs) plus properties and error
 * paths. Timing lives in native/bench/maglev_bench.c, not here.
 * Run from the repo root; the last line is "test_maglev: N passed, M failed". */
#include "dsrlab/maglev.h"
#include "dsrlab/maglev_hash.h"
#include "dsrlab/murmur3.h"

#include <stdio.h>
#include <stdlib.h>

static int g_pass, g_fail;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (cond) {                                               \
			g_pass++;                                         \
		} else {                                                  \
			g_fail++;                                         \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                              \
			printf("\n");                                     \
		}                                                         \
	} while (0)

#define VECTORS_PATH "native/test/data/maglev-vectors.txt"

/* ---- small helpers ---------------------------------------------------------------------- */

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) {
		printf("out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t l = strlen(s);
	char *p = xcalloc(l + 1, 1);
	memcpy(p, s, l);
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static bool parse_hex_bytes(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static uint64_t parse_u64(const char *s)
{
	return strtoull(s, NULL, 0);
}

/* Deterministic PRNG (splitmix64) for shuffles and random backend sets. */
static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	uint64_t z = (g_rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- the vector file ---------------------------------------------------------------------- */

struct vin {
	struct dl_maglev_backend_desc desc;
	char text[64];
	uint16_t weight;
	uint32_t id;
};

struct vbe {
	uint32_t id, weight, offset, skip, count;
	uint64_t h1, h2;
	char *hash_string;
};

struct vcase {
	char name[96], seed[32];
	uint32_t m, n;
	int weights_used; /* 0, 1, or -1 for a derived case (no expected table) */
	struct vin *in;
	uint32_t nin;
	struct vbe *be;
	uint32_t nbe;
	uint32_t *table;
	/* filled by the test */
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX]; /* formatted hash strings, input order */
	struct dl_maglev_table built;
	uint32_t *ids_lut; /* built table as backend IDs */
	bool built_ok;
};

#define MAX_CASES 64
static struct vcase g_cases[MAX_CASES];
static size_t g_ncases;

static struct vcase *find_case(const char *name)
{
	for (size_t i = 0; i < g_ncases; i++)
		if (strcmp(g_cases[i].name, name) == 0)
			return &g_cases[i];
	return NULL;
}

/* Split a line in place into whitespace-separated tokens. */
static size_t tokenize(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = xcalloc(cap, 1);
	size_t r;
	while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += r;
		if (cap - len - 1 == 0) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static uint8_t l4_from_name(const char *s)
{
	for (unsigned i = 0; dl_maglev_l4_name(i); i++)
		if (strcmp(dl_maglev_l4_name(i), s) == 0)
			return (uint8_t)i;
	return 0xff;
}

/* ---- vector checks ---------------------------------------------------------------------- */

struct seedline {
	char b64[32];
	uint32_t murmur, jhash0, jhash1;
};
static struct seedline g_seeds[8];
static size_t g_nseeds;

static const struct seedline *find_seed(const char *b64)
{
	for (size_t i = 0; i < g_nseeds; i++)
		if (strcmp(g_seeds[i].b64, b64) == 0)
			return &g_seeds[i];
	return NULL;
}

static struct {
	int cases, cases_ok, derived, pkts, pkts_ok, lookups, lookups_ok, bpf, bpf_ok, removals,
		removals_ok;
} g_vec;

/* Build a case's table from its formatted hash strings, check it against everything the
 * vectors say, and keep it for the packet lookups. */
static void check_case(struct vcase *c)
{
	int fails_before = g_fail;
	char err[512];
	struct dl_maglev_seed seed;

	CHECK(c->nin == c->n, "%s: %u inputs, N=%u", c->name, c->nin, c->n);
	int rc = dl_maglev_seed_decode(c->seed, &seed, err, sizeof(err));
	CHECK(rc == 0, "%s: seed %s: %s", c->name, c->seed, err);
	const struct seedline *sl = find_seed(c->seed);
	CHECK(sl && sl->murmur == seed.murmur && sl->jhash0 == seed.jhash0 && sl->jhash1 == seed.jhash1,
	      "%s: decoded seed differs from the meta seeds", c->name);

	/* Hash strings, formatted from the backend descriptions. */
	c->hs = xcalloc(c->nin, sizeof(*c->hs));
	struct dl_maglev_backend *in = xcalloc(c->nin, sizeof(*in));
	uint32_t *ids = xcalloc(c->nin, sizeof(*ids));
	for (uint32_t j = 0; j < c->nin; j++) {
		int len = dl_maglev_backend_hash_string(&c->in[j].desc, c->hs[j], sizeof(c->hs[j]));
		CHECK(len > 0, "%s: format backend %u (%s) failed: %d", c->name, j, c->in[j].text, len);
		in[j].hash_string = c->hs[j];
		in[j].hash_len = len > 0 ? (size_t)len : 0;
		in[j].weight = c->in[j].weight;
		ids[j] = c->in[j].id;
	}
	/* The expected hash string of each input, found by its ID. */
	for (uint32_t i = 0; i < c->nbe; i++) {
		const struct vbe *e = &c->be[i];
		bool found = false;
		for (uint32_t j = 0; j < c->nin; j++) {
			if (c->in[j].id != e->id)
				continue;
			found = true;
			CHECK(strcmp(c->hs[j], e->hash_string) == 0, "%s: id %u formatted \"%s\", expected \"%s\"",
			      c->name, e->id, c->hs[j], e->hash_string);
		}
		CHECK(found, "%s: no input with id %u", c->name, e->id);
		uint64_t h1, h2;
		dl_murmur3_x64_128(e->hash_string, strlen(e->hash_string), seed.murmur, &h1, &h2);
		CHECK(h1 == e->h1 && h2 == e->h2, "%s: murmur3(%s) = %016llx %016llx, expected %016llx %016llx",
		      c->name, e->hash_string, (unsigned long long)h1, (unsigned long long)h2,
		      (unsigned long long)e->h1, (unsigned long long)e->h2);
		uint32_t off, sk;
		dl_maglev_offset_skip(e->hash_string, strlen(e->hash_string), seed.murmur, c->m, &off, &sk);
		CHECK(off == e->offset && sk == e->skip, "%s: offset/skip of %s = %u/%u, expected %u/%u",
		      c->name, e->hash_string, off, sk, e->offset, e->skip);
	}

	/* Build (malloc mode). */
	rc = dl_maglev_build(in, c->nin, c->m, seed.murmur, NULL, 0, &c->built, err, sizeof(err));
	CHECK(rc == 0, "%s: build failed %d: %s", c->name, rc, err);
	if (rc == 0) {
		struct dl_maglev_table *t = &c->built;
		c->built_ok = true;
		c->ids_lut = xcalloc(c->m, sizeof(uint32_t));
		dl_maglev_table_ids(t, ids, c->ids_lut);
		if (c->weights_used >= 0) {
			CHECK(t->weights_used == (c->weights_used == 1), "%s: weights_used %d", c->name,
			      (int)t->weights_used);
			CHECK(c->nbe == t->n, "%s: %u sorted backends expected, built %u", c->name, c->nbe, t->n);
			bool order_ok = true, os_ok = true;
			for (uint32_t i = 0; i < c->nbe && i < t->n; i++) {
				order_ok &= ids[t->order[i]] == c->be[i].id &&
					    strcmp(c->hs[t->order[i]], c->be[i].hash_string) == 0;
				os_ok &= t->offset[i] == c->be[i].offset && t->skip[i] == c->be[i].skip;
			}
			CHECK(order_ok, "%s: sorted order differs", c->name);
			CHECK(os_ok, "%s: per-backend offset/skip differ", c->name);
			uint32_t first_bad = UINT32_MAX;
			for (uint32_t k = 0; k < c->m; k++)
				if (t->entry[k] != c->table[k]) {
					first_bad = k;
					break;
				}
			CHECK(first_bad == UINT32_MAX, "%s: table differs at slot %u (got %u, want %u)", c->name,
			      first_bad, first_bad < c->m ? t->entry[first_bad] : 0,
			      first_bad < c->m ? c->table[first_bad] : 0);
			uint32_t *cnt = xcalloc(t->n, sizeof(uint32_t));
			for (uint32_t k = 0; k < c->m; k++)
				cnt[t->entry[k]]++;
			bool cnt_ok = true;
			for (uint32_t i = 0; i < c->nbe && i < t->n; i++)
				cnt_ok &= cnt[i] == c->be[i].count;
			CHECK(cnt_ok, "%s: per-backend counts differ", c->name);
			free(cnt);
		}

		/* Caller-buffer mode, deliberately misaligned, gives the same table. */
		size_t need = dl_maglev_build_bufsize(c->nin, c->m);
		uint8_t *buf = xcalloc(need + 1, 1);
		struct dl_maglev_table t2;
		rc = dl_maglev_build(in, c->nin, c->m, seed.murmur, buf + 1, need, &t2, err, sizeof(err));
		CHECK(rc == 0 && t2.owned == NULL, "%s: buffer build failed %d: %s", c->name, rc, err);
		if (rc == 0)
			CHECK(memcmp(t2.entry, t->entry, c->m * sizeof(uint32_t)) == 0 &&
				      memcmp(t2.order, t->order, c->nin * sizeof(uint32_t)) == 0,
			      "%s: buffer build differs from malloc build", c->name);
		dl_maglev_table_free(&t2);
		free(buf);
	}
	free(in);
	free(ids);
	if (c->weights_used < 0) {
		g_vec.derived++;
	} else {
		g_vec.cases++;
		if (g_fail == fails_before)
			g_vec.cases_ok++;
	}
}

static void check_lookup(const char *pkt_desc, uint32_t hash, char **tok)
{
	int fails_before = g_fail;
	struct vcase *c = find_case(tok[1]);
	uint32_t m = (uint32_t)parse_u64(tok[2]), slot = (uint32_t)parse_u64(tok[3]);
	uint32_t bidx = (uint32_t)parse_u64(tok[4]), bid = (uint32_t)parse_u64(tok[5]);

	g_vec.lookups++;
	CHECK(c && c->built_ok, "lookup: case %s missing or not built", tok[1]);
	if (!c || !c->built_ok)
		return;
	CHECK(c->m == m, "lookup %s: M %u vs %u", tok[1], c->m, m);
	CHECK(dl_maglev_slot(hash, m) == slot, "%s -> %s: slot %u, expected %u", pkt_desc, tok[1],
	      dl_maglev_slot(hash, m), slot);
	uint32_t idx = dl_maglev_lookup(c->built.entry, c->built.m, hash);
	CHECK(idx == bidx, "%s -> %s: backend index %u, expected %u", pkt_desc, tok[1], idx, bidx);
	CHECK(dl_maglev_lookup(c->ids_lut, c->built.m, hash) == bid, "%s -> %s: backend id %u, expected %u",
	      pkt_desc, tok[1], dl_maglev_lookup(c->ids_lut, c->built.m, hash), bid);
	if (idx < c->built.n)
		CHECK(strcmp(c->hs[c->built.order[idx]], tok[6]) == 0, "%s -> %s: backend %s, expected %s",
		      pkt_desc, tok[1], c->hs[c->built.order[idx]], tok[6]);
	if (g_fail == fails_before)
		g_vec.lookups_ok++;
}

static void rle_of(const uint32_t *v, uint32_t m, char *out, size_t cap)
{
	size_t at = 0;
	for (uint32_t k = 0; k < m;) {
		uint32_t r = 1;
		while (k + r < m && v[k + r] == v[k])
			r++;
		int w = snprintf(out + at, cap - at, "%s%u(%u)", k ? "," : "", v[k], r);
		if (w < 0 || (size_t)w >= cap - at)
			return;
		at += (size_t)w;
		k += r;
	}
}

static void run_vectors(void)
{
	char *text = read_file(VECTORS_PATH);
	CHECK(text != NULL, "cannot read %s (run from the repo root)", VECTORS_PATH);
	if (!text)
		return;

	/* Pass 1: seeds and cases. Pass 2: everything that refers to a built case. */
	for (int pass = 1; pass <= 2; pass++) {
		char *copy = xstrdup(text);
		struct vcase *cur = NULL;
		const char *last_pkt = "";
		char pkt_desc[160] = "";
		uint32_t last_hash = 0;
		char *line = copy;
		static char *tok[131072 + 8];
		while (line && *line) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			size_t nt = line[0] == '#' ? 0 : tokenize(line, tok, DL_ARRAY_SIZE(tok));
			if (nt == 0)
				goto next;
			if (pass == 1 && strcmp(tok[0], "seed") == 0 && nt == 5 && g_nseeds < DL_ARRAY_SIZE(g_seeds)) {
				struct seedline *s = &g_seeds[g_nseeds++];
				snprintf(s->b64, sizeof(s->b64), "%s", tok[1]);
				s->murmur = (uint32_t)parse_u64(tok[2]);
				s->jhash0 = (uint32_t)parse_u64(tok[3]);
				s->jhash1 = (uint32_t)parse_u64(tok[4]);
			} else if (pass == 1 && strcmp(tok[0], "msizes") == 0) {
				bool ok = nt - 1 == dl_maglev_table_sizes_count;
				for (size_t i = 1; ok && i < nt; i++)
					ok = parse_u64(tok[i]) == dl_maglev_table_sizes[i - 1];
				CHECK(ok, "supported M list differs from DL_MAGLEV_TABLE_SIZES");
			} else if (pass == 1 && strcmp(tok[0], "case") == 0 && nt == 6 && g_ncases < MAX_CASES) {
				cur = &g_cases[g_ncases++];
				snprintf(cur->name, sizeof(cur->name), "%s", tok[1]);
				snprintf(cur->seed, sizeof(cur->seed), "%s", tok[2]);
				cur->m = (uint32_t)parse_u64(tok[3]);
				cur->n = (uint32_t)parse_u64(tok[4]);
				cur->weights_used = tok[5][0] == '-' ? -1 : atoi(tok[5]);
				cur->in = xcalloc(cur->n, sizeof(*cur->in));
				cur->be = xcalloc(cur->n, sizeof(*cur->be));
			} else if (pass == 1 && cur && strcmp(tok[0], "in") == 0 && nt == 10 && cur->nin < cur->n) {
				struct vin *v = &cur->in[cur->nin++];
				v->desc.family = (uint8_t)atoi(tok[1]);
				CHECK(parse_hex_bytes(tok[2], v->desc.addr, v->desc.family == 6 ? 16 : 4),
				      "bad address hex %s", tok[2]);
				snprintf(v->text, sizeof(v->text), "%s", tok[3]);
				v->desc.port = (uint16_t)parse_u64(tok[4]);
				v->desc.l4 = l4_from_name(tok[5]);
				v->desc.scope = (uint8_t)parse_u64(tok[6]);
				v->desc.cluster_id = (uint32_t)parse_u64(tok[7]);
				v->weight = (uint16_t)parse_u64(tok[8]);
				v->id = (uint32_t)parse_u64(tok[9]);
			} else if (pass == 1 && cur && strcmp(tok[0], "be") == 0 && nt == 10 && cur->nbe < cur->n) {
				struct vbe *e = &cur->be[cur->nbe];
				CHECK(parse_u64(tok[1]) == cur->nbe, "%s: be lines out of order", cur->name);
				cur->nbe++;
				e->id = (uint32_t)parse_u64(tok[2]);
				e->weight = (uint32_t)parse_u64(tok[3]);
				e->offset = (uint32_t)parse_u64(tok[4]);
				e->skip = (uint32_t)parse_u64(tok[5]);
				e->count = (uint32_t)parse_u64(tok[6]);
				e->h1 = parse_u64(tok[7]);
				e->h2 = parse_u64(tok[8]);
				e->hash_string = xstrdup(tok[9]);
			} else if (pass == 1 && cur && strcmp(tok[0], "table") == 0) {
				CHECK(nt - 1 == cur->m, "%s: table line has %zu values", cur->name, nt - 1);
				cur->table = xcalloc(cur->m, sizeof(uint32_t));
				for (size_t k = 1; k < nt && k - 1 < cur->m; k++)
					cur->table[k - 1] = (uint32_t)parse_u64(tok[k]);
			} else if (pass == 1 && cur && strcmp(tok[0], "end") == 0) {
				if (cur->weights_used >= 0)
					CHECK(cur->table && cur->nbe == cur->n, "%s: incomplete case", cur->name);
				check_case(cur);
				cur = NULL;
			} else if (pass == 2 && strcmp(tok[0], "golden_rle") == 0 && nt == 3) {
				struct vcase *c = find_case(tok[1]);
				CHECK(c && c->built_ok, "golden_rle: case %s", tok[1]);
				if (c && c->built_ok) {
					static char rle[65536];
					rle_of(c->ids_lut, c->m, rle, sizeof(rle));
					CHECK(strcmp(rle, tok[2]) == 0, "TestReproducible RLE differs:\n got %s\nwant %s", rle, tok[2]);
				}
			} else if (pass == 2 && strcmp(tok[0], "golden_counts") == 0 && nt >= 3) {
				struct vcase *c = find_case(tok[1]);
				CHECK(c && c->built_ok, "golden_counts: case %s", tok[1]);
				for (size_t i = 3; c && c->built_ok && i < nt; i++) {
					uint32_t id = (uint32_t)strtoul(tok[i], NULL, 10);
					uint32_t want = (uint32_t)strtoul(strchr(tok[i], ':') + 1, NULL, 10), got = 0;
					for (uint32_t k = 0; k < c->m; k++)
						got += c->ids_lut[k] == id;
					CHECK(got == want, "TestWeightedBackendWithRemoval: id %u has %u slots, want %u", id, got, want);
				}
			} else if (pass == 2 && strcmp(tok[0], "golden_bpf") == 0 && nt == 11) {
				/* bpf/tests/session_affinity_maglev_test.c: LUT size 20, LUT[i] = i + 1. */
				int fb = g_fail;
				uint8_t src[4];
				uint32_t lut[20];
				for (uint32_t i = 0; i < 20; i++)
					lut[i] = i + 1;
				CHECK(parse_hex_bytes(tok[1], src, 4), "golden_bpf address");
				uint32_t h = dl_lb4_maglev_hash(src, (uint16_t)parse_u64(tok[3]), (uint16_t)parse_u64(tok[4]),
								(uint8_t)parse_u64(tok[5]), tok[6][0] == '1',
								DL_MAGLEV_HASH_CURRENT, (uint32_t)parse_u64(tok[7]));
				CHECK(h == parse_u64(tok[8]), "bpf golden %s:%s hash %u, want %s", tok[2], tok[3], h, tok[8]);
				CHECK(dl_maglev_slot(h, 20) == parse_u64(tok[9]), "bpf golden slot");
				CHECK(dl_maglev_lookup(lut, 20, h) == parse_u64(tok[10]), "bpf golden backend %u, want %s",
				      dl_maglev_lookup(lut, 20, h), tok[10]);
				g_vec.bpf++;
				g_vec.bpf_ok += g_fail == fb;
			} else if (pass == 2 && strcmp(tok[0], "removal") == 0 && nt == 9) {
				int fb = g_fail;
				struct vcase *b = find_case(tok[2]), *a = find_case(tok[3]);
				CHECK(b && a && b->built_ok && a->built_ok && a->m == b->m, "removal %s: cases", tok[1]);
				if (b && a && b->built_ok && a->built_ok && a->m == b->m) {
					uint32_t rid = (uint32_t)parse_u64(tok[4]), changed = 0, owned = 0;
					for (uint32_t k = 0; k < b->m; k++) {
						changed += b->ids_lut[k] != a->ids_lut[k];
						owned += b->ids_lut[k] == rid;
					}
					CHECK(changed == parse_u64(tok[6]) && owned == parse_u64(tok[7]) &&
						      changed - owned == parse_u64(tok[8]),
					      "removal %s: changed %u owned %u", tok[1], changed, owned);
					printf("removal %s: %u of %u slots changed (%.2f%%), %u owned by the removed backend, "
					       "collateral %.2f%% of M\n", tok[1], changed, b->m, 100.0 * changed / b->m, owned,
					       100.0 * (changed - owned) / b->m);
				}
				g_vec.removals++;
				g_vec.removals_ok += g_fail == fb;
			} else if (pass == 2 && strcmp(tok[0], "pkt") == 0 && nt == 15) {
				int fb = g_fail;
				const struct seedline *s = find_seed(tok[1]);
				int fam = atoi(tok[2]);
				uint8_t src[16];
				uint16_t sport = (uint16_t)parse_u64(tok[6]), dport = (uint16_t)parse_u64(tok[7]);
				uint8_t proto = (uint8_t)parse_u64(tok[8]);
				bool aff = tok[9][0] == '1';
				uint32_t seed_used = (uint32_t)parse_u64(tok[10]);
				CHECK(s != NULL, "pkt: unknown seed %s", tok[1]);
				CHECK(parse_hex_bytes(tok[3], src, fam == 6 ? 16 : 4), "pkt address");
				CHECK(s && seed_used == (fam == 6 ? s->jhash1 : s->jhash0), "pkt: seed word for family %d", fam);
				last_hash = fam == 6 ? dl_lb6_maglev_hash(src, sport, dport, proto, aff, DL_MAGLEV_HASH_CURRENT, seed_used)
						     : dl_lb4_maglev_hash(src, sport, dport, proto, aff, DL_MAGLEV_HASH_CURRENT, seed_used);
				snprintf(pkt_desc, sizeof(pkt_desc), "%s %s:%u->%s:%u/%u%s", tok[1], tok[4], sport, tok[5], dport,
					 proto, aff ? " affinity" : "");
				last_pkt = pkt_desc;
				CHECK(last_hash == parse_u64(tok[11]), "%s: hash %u, want %s", last_pkt, last_hash, tok[11]);
				if (fam == 4) {
					uint32_t a = dl_rd32le(src), b = dl_maglev_ports_word(sport, dport, aff, DL_MAGLEV_HASH_CURRENT);
					CHECK(a == parse_u64(tok[12]) && b == parse_u64(tok[13]) && proto == parse_u64(tok[14]),
					      "%s: jhash_3words inputs %u %u %u", last_pkt, a, b, proto);
					CHECK(__dl_hash_from_tuple_v4(a, b, proto, seed_used) == last_hash, "%s: worker", last_pkt);
				}
				g_vec.pkts++;
				g_vec.pkts_ok += g_fail == fb;
			} else if (pass == 2 && strcmp(tok[0], "lookup") == 0 && nt == 7) {
				check_lookup(last_pkt, last_hash, tok);
			} else if (pass == 2 && strcmp(tok[0], "paper") == 0 && nt == 3) {
				/* Paper Table 1: M = 7, offsets/skips given; the fill worker alone. */
				static uint32_t off[8], sk[8], perm[8][8];
				uint32_t m = (uint32_t)parse_u64(tok[1]), n = (uint32_t)parse_u64(tok[2]);
				uint32_t got = 0;
				char *save = nl ? nl + 1 : NULL;
				/* The next n + 2 lines belong to this record. */
				for (uint32_t r = 0; save && *save && r < n + 2; r++) {
					char *nl2 = strchr(save, '\n');
					if (nl2)
						*nl2 = '\0';
					size_t t2 = tokenize(save, tok, DL_ARRAY_SIZE(tok));
					if (t2 >= 4 && strcmp(tok[0], "pbe") == 0 && got < 8 && m <= 8 && t2 == 4 + m) {
						off[got] = (uint32_t)parse_u64(tok[2]);
						sk[got] = (uint32_t)parse_u64(tok[3]);
						for (uint32_t j = 0; j < m; j++)
							perm[got][j] = (uint32_t)parse_u64(tok[4 + j]);
						got++;
					} else if (strcmp(tok[0], "ptable_before") == 0 && t2 == 1 + m && got == n) {
						uint32_t entry[8], pos[8];
						double cntr[8];
						uint64_t used[1];
						bool perm_ok = true;
						for (uint32_t i = 0; i < n; i++)
							for (uint32_t j = 0; j < m; j++)
								perm_ok &= perm[i][j] == (off[i] + j * sk[i]) % m;
						CHECK(perm_ok, "paper permutations are (offset + j*skip) mod M");
						int rc = __dl_maglev_fill(n, m, off, sk, NULL, entry, pos, cntr, used);
						bool ok = rc == 0;
						for (uint32_t k = 0; ok && k < m; k++)
							ok = entry[k] == parse_u64(tok[1 + k]);
						CHECK(ok, "paper Table 1 (before) differs");
					} else if (strcmp(tok[0], "ptable_after") == 0 && t2 == 2 + m && got == n) {
						uint32_t rm = (uint32_t)parse_u64(tok[1]);
						uint32_t o2[8], s2[8], map[8], n2 = 0, entry[8], pos[8];
						double cntr[8];
						uint64_t used[1];
						for (uint32_t i = 0; i < n; i++)
							if (i != rm) {
								o2[n2] = off[i];
								s2[n2] = sk[i];
								map[n2++] = i;
							}
						int rc = __dl_maglev_fill(n2, m, o2, s2, NULL, entry, pos, cntr, used);
						bool ok = rc == 0;
						for (uint32_t k = 0; ok && k < m; k++)
							ok = map[entry[k]] == parse_u64(tok[2 + k]);
						CHECK(ok, "paper Table 1 (after removing B1) differs");
					}
					save = nl2 ? nl2 + 1 : NULL;
				}
				nl = save ? save - 1 : NULL;
			}
		next:
			line = nl ? nl + 1 : NULL;
		}
		free(copy);
	}
	free(text);
}

static void free_cases(void)
{
	for (size_t i = 0; i < g_ncases; i++) {
		struct vcase *c = &g_cases[i];
		for (uint32_t j = 0; j < c->nbe; j++)
			free(c->be[j].hash_string);
		free(c->in);
		free(c->be);
		free(c->table);
		free(c->hs);
		free(c->ids_lut);
		dl_maglev_table_free(&c->built);
	}
	g_ncases = 0;
}

/* ---- properties ------------------------------------------------------------------------ */

/* n pod-like backends 10.x.y.z:8080/TCP with the given weight; strings in hs. */
static void make_backends(uint32_t n, uint16_t weight, char (*hs)[DL_MAGLEV_HASH_STRING_MAX],
			  struct dl_maglev_backend *be)
{
	for (uint32_t i = 0; i < n; i++) {
		struct dl_maglev_backend_desc d = { .family = 4, .l4 = DL_MAGLEV_L4_TCP, .port = 8080 };
		d.addr[0] = 10;
		d.addr[1] = (uint8_t)(244 + (i >> 16));
		d.addr[2] = (uint8_t)(i >> 8);
		d.addr[3] = (uint8_t)i;
		int len = dl_maglev_backend_hash_string(&d, hs[i], DL_MAGLEV_HASH_STRING_MAX);
		be[i].hash_string = hs[i];
		be[i].hash_len = (size_t)(len > 0 ? len : 0);
		be[i].weight = weight;
	}
}

static void check_balance(uint32_t n, uint32_t m)
{
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX] = xcalloc(n, sizeof(*hs));
	struct dl_maglev_backend *be = xcalloc(n, sizeof(*be));
	struct dl_maglev_table t, t1;
	char err[256];

	make_backends(n, 100, hs, be);
	int rc = dl_maglev_build(be, n, m, 0x24b7ef82u, NULL, 0, &t, err, sizeof(err));
	CHECK(rc == 0, "balance N=%u M=%u: %s", n, m, err);
	if (rc == 0) {
		uint32_t *cnt = xcalloc(n, sizeof(uint32_t));
		for (uint32_t k = 0; k < m; k++)
			cnt[t.entry[k]]++;
		/* Round robin from sorted index 0: the first M mod N backends get the extra slot. */
		bool ok = true;
		for (uint32_t i = 0; i < n; i++)
			ok &= cnt[i] == m / n + (i < m % n ? 1u : 0u);
		CHECK(ok, "balance N=%u M=%u: counts not floor/ceil(M/N) with the extras first", n, m);
		free(cnt);

		/* Weight 100 for all (weightsUsed) gives the same table as weight 1 (round robin). */
		for (uint32_t i = 0; i < n; i++)
			be[i].weight = 1;
		rc = dl_maglev_build(be, n, m, 0x24b7ef82u, NULL, 0, &t1, err, sizeof(err));
		CHECK(rc == 0 && t.weights_used && !t1.weights_used &&
			      memcmp(t.entry, t1.entry, m * sizeof(uint32_t)) == 0,
		      "balance N=%u M=%u: equal weights 100 and 1 differ", n, m);
		dl_maglev_table_free(&t1);
	}
	dl_maglev_table_free(&t);
	free(hs);
	free(be);
}

static void check_order_independence(uint32_t n, uint32_t m)
{
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX] = xcalloc(n, sizeof(*hs));
	struct dl_maglev_backend *be = xcalloc(n, sizeof(*be)), *sh = xcalloc(n, sizeof(*sh));
	uint32_t *ids = xcalloc(n, sizeof(uint32_t)), *sids = xcalloc(n, sizeof(uint32_t));
	uint32_t *lut = xcalloc(m, sizeof(uint32_t)), *slut = xcalloc(m, sizeof(uint32_t));
	struct dl_maglev_table t, s;
	char err[256];

	make_backends(n, 1, hs, be);
	for (uint32_t i = 0; i < n; i++) {
		be[i].weight = (uint16_t)(1 + rnd() % 300); /* weighted, to cover that path too */
		ids[i] = 1000 + i;
	}
	memcpy(sh, be, n * sizeof(*be));
	memcpy(sids, ids, n * sizeof(uint32_t));
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)(rnd() % i);
		struct dl_maglev_backend tb = sh[i - 1];
		uint32_t ti = sids[i - 1];
		sh[i - 1] = sh[j];
		sh[j] = tb;
		sids[i - 1] = sids[j];
		sids[j] = ti;
	}
	int r1 = dl_maglev_build(be, n, m, 0x01020304u, NULL, 0, &t, err, sizeof(err));
	int r2 = dl_maglev_build(sh, n, m, 0x01020304u, NULL, 0, &s, err, sizeof(err));
	CHECK(r1 == 0 && r2 == 0, "order independence N=%u M=%u: %s", n, m, err);
	if (r1 == 0 && r2 == 0) {
		dl_maglev_table_ids(&t, ids, lut);
		dl_maglev_table_ids(&s, sids, slut);
		CHECK(memcmp(t.entry, s.entry, m * sizeof(uint32_t)) == 0 &&
			      memcmp(lut, slut, m * sizeof(uint32_t)) == 0,
		      "order independence N=%u M=%u: shuffled input gives a different table", n, m);
	}
	dl_maglev_table_free(&t);
	dl_maglev_table_free(&s);
	free(hs);
	free(be);
	free(sh);
	free(ids);
	free(sids);
	free(lut);
	free(slut);
}

/* Remove one of n backends; all its slots move, plus a small collateral. */
static void check_removal(uint32_t n, uint32_t m, double max_collateral)
{
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX] = xcalloc(n, sizeof(*hs));
	struct dl_maglev_backend *be = xcalloc(n, sizeof(*be));
	uint32_t *ids = xcalloc(n, sizeof(uint32_t));
	uint32_t *before = xcalloc(m, sizeof(uint32_t)), *after = xcalloc(m, sizeof(uint32_t));
	struct dl_maglev_table t;
	char err[256];
	uint32_t rm = n / 2;

	make_backends(n, 100, hs, be);
	for (uint32_t i = 0; i < n; i++)
		ids[i] = i + 1;
	int rc = dl_maglev_build(be, n, m, 0x24b7ef82u, NULL, 0, &t, err, sizeof(err));
	if (rc == 0)
		dl_maglev_table_ids(&t, ids, before);
	dl_maglev_table_free(&t);
	/* Drop input rm by moving the last input into its place. */
	be[rm] = be[n - 1];
	ids[rm] = ids[n - 1];
	int rc2 = dl_maglev_build(be, n - 1, m, 0x24b7ef82u, NULL, 0, &t, err, sizeof(err));
	if (rc2 == 0)
		dl_maglev_table_ids(&t, ids, after);
	dl_maglev_table_free(&t);
	CHECK(rc == 0 && rc2 == 0, "removal N=%u M=%u: %s", n, m, err);
	if (rc == 0 && rc2 == 0) {
		uint32_t changed = 0, owned = 0, kept_ok = 1;
		for (uint32_t k = 0; k < m; k++) {
			changed += before[k] != after[k];
			owned += before[k] == rm + 1;
			kept_ok &= before[k] != rm + 1 || after[k] != rm + 1;
		}
		double coll = (double)(changed - owned) / m;
		printf("property removal N=%u M=%u: removed backend owned %u slots (%.2f%%), %u changed in all, "
		       "collateral %u = %.2f%% of M\n", n, m, owned, 100.0 * owned / m, changed, changed - owned,
		       100.0 * coll);
		CHECK(kept_ok && owned > 0, "removal N=%u M=%u: removed backend still owns slots", n, m);
		CHECK(coll < max_collateral, "removal N=%u M=%u: collateral %.4f >= %.4f", n, m, coll, max_collateral);
	}
	free(hs);
	free(be);
	free(ids);
	free(before);
	free(after);
}

/* ---- unit checks ------------------------------------------------------------------------- */

static void check_murmur3(void)
{
	/* smhasher's VerificationTest for MurmurHash3_x64_128: hash keys {}, {0}, {0,1}, ...
	 * (key i of length i, seed 256 - i), hash the concatenated 16-byte results with seed 0 and
	 * take the first 4 bytes little-endian: 0x6384BA69. */
	uint8_t key[256], hashes[256 * 16];
	for (unsigned i = 0; i < 256; i++) {
		uint64_t h1, h2;
		key[i] = (uint8_t)i;
		dl_murmur3_x64_128(key, i, 256 - i, &h1, &h2);
		for (int b = 0; b < 8; b++) {
			hashes[i * 16 + b] = (uint8_t)(h1 >> (8 * b));
			hashes[i * 16 + 8 + b] = (uint8_t)(h2 >> (8 * b));
		}
	}
	uint64_t f1, f2;
	dl_murmur3_x64_128(hashes, sizeof(hashes), 0, &f1, &f2);
	CHECK((uint32_t)f1 == 0x6384BA69u, "smhasher verification 0x%08x", (uint32_t)f1);

	/* Empty input, NULL pointer. */
	uint64_t e1, e2;
	dl_murmur3_x64_128(NULL, 0, 0, &e1, &e2);
	CHECK(e1 == 0 && e2 == 0, "murmur3 of empty input with seed 0 is 0");
}

static void check_jhash(void)
{
	/* jhash over 12 / 8 / 4 bytes equals jhash_3words / 2words / 1word on the LE words. */
	uint8_t k[12];
	for (int i = 0; i < 12; i++)
		k[i] = (uint8_t)(0x11 * (i + 1));
	uint32_t a = dl_rd32le(k), b = dl_rd32le(k + 4), c = dl_rd32le(k + 8);
	CHECK(dl_jhash(k, 12, 0xcafe) == dl_jhash_3words(a, b, c, 0xcafe), "jhash 12 bytes");
	CHECK(dl_jhash(k, 8, 7) == dl_jhash_2words(a, b, 7), "jhash 8 bytes");
	CHECK(dl_jhash(k, 4, 9) == dl_jhash_1word(a, 9), "jhash 4 bytes");
	CHECK(dl_jhash(k, 0, 5) == 0xdeadbeefu + 5, "jhash of nothing is the initial value");

	/* Port words: port 80 contributes 0x5000, 40000 contributes 0x409c. */
	CHECK(dl_maglev_ports_word(40000, 80, false, DL_MAGLEV_HASH_CURRENT) == 0x5000409cu, "current");
	CHECK(dl_maglev_ports_word(40000, 80, true, DL_MAGLEV_HASH_CURRENT) == 0x50000000u, "current+affinity");
	CHECK(dl_maglev_ports_word(40000, 80, false, DL_MAGLEV_HASH_PRE_37353) == 0x409c5000u, "pre-37353");
	CHECK(dl_maglev_ports_word(40000, 80, true, DL_MAGLEV_HASH_PRE_37353) == 0x409c0000u, "pre-37353+affinity");
	CHECK(dl_maglev_ports_word(40000, 80, true, DL_MAGLEV_HASH_LEGACY) == 0x409c5000u, "legacy ignores affinity");

	/* Affinity: the current hash ignores the client port; the pre-fix one did not. */
	const uint8_t src[4] = { 110, 0, 11, 1 };
	CHECK(dl_lb4_maglev_hash(src, 111, 80, 6, true, DL_MAGLEV_HASH_CURRENT, 0xcafe) ==
		      dl_lb4_maglev_hash(src, 333, 80, 6, true, DL_MAGLEV_HASH_CURRENT, 0xcafe),
	      "current affinity hash independent of client port");
	CHECK(dl_lb4_maglev_hash(src, 111, 80, 6, true, DL_MAGLEV_HASH_PRE_37353, 0xcafe) !=
		      dl_lb4_maglev_hash(src, 333, 80, 6, true, DL_MAGLEV_HASH_PRE_37353, 0xcafe),
	      "pre-37353 affinity hash still depends on client port");
	CHECK(dl_lb4_maglev_hash(src, 111, 80, 6, false, DL_MAGLEV_HASH_LEGACY, 1) ==
		      dl_jhash_3words(dl_rd32le(src), (111u << 8 | 0u) << 16 | 0x5000u, 6, 1),
	      "legacy = hash_from_tuple_v4 with (client << 16) | service");
}

static void check_seed(void)
{
	struct dl_maglev_seed s = { 0, 0, 0 };
	char err[512];

	CHECK(dl_maglev_seed_decode(DL_MAGLEV_DEFAULT_SEED, &s, err, sizeof(err)) == 0 && s.murmur == 0x24b7ef82u &&
		      s.jhash0 == 0x71dcda46u && s.jhash1 == 0x92505688u,
	      "default seed");
	CHECK(dl_maglev_seed_decode("AQIDBAUGBwgJCgsM", &s, err, sizeof(err)) == 0 && s.murmur == 0x01020304u &&
		      s.jhash0 == 0x05060708u && s.jhash1 == 0x090a0b0cu,
	      "alt seed");
	CHECK(dl_maglev_seed_decode("JLfvgnHc\r\n2kaSUFaI\n", &s, err, sizeof(err)) == 0 && s.murmur == 0x24b7ef82u,
	      "Go's decoder ignores CR/LF");

	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{ "FYJf2hrSynYxcZrkMWTGYA==", "decodes to 16 bytes" }, /* the early 16-byte default */
		{ "AAAAAAAAAAAAAA==", "decodes to 10 bytes" },
		{ "AAAAAAAAAAAAAAA=", "decodes to 11 bytes" },
		{ "", "decodes to 0 bytes" },
		{ "JLfvgnHc2kaSUFa!", "not valid base64" },
		{ "JLfvgnHc2kaSUFa", "not valid base64" },       /* 15 chars, no padding */
		{ "JLfvgnHc-kaSUFaI", "not valid base64" },      /* URL alphabet */
		{ "JLfvgnHc2kaSUFaI====", "not valid base64" },  /* padding after a full quantum */
		{ "JLfv=nHc2kaSUFaI", "not valid base64" },      /* padding in the middle */
		{ "JLfvgnHc2kaSUFaIAA==x", "not valid base64" }, /* data after padding */
	};
	for (size_t i = 0; i < DL_ARRAY_SIZE(bad); i++) {
		s.murmur = 0x5a5a5a5a;
		err[0] = '\0';
		int rc = dl_maglev_seed_decode(bad[i].in, &s, err, sizeof(err));
		CHECK(rc == DL_MAGLEV_ERR_SEED && s.murmur == 0x5a5a5a5a, "seed \"%s\" accepted", bad[i].in);
		CHECK(strstr(err, "maglev.hashSeed") && strstr(err, bad[i].in) && strstr(err, "exactly 12 bytes") &&
			      strstr(err, bad[i].why),
		      "seed error text: %s", err);
	}
	CHECK(dl_maglev_seed_decode(NULL, &s, err, sizeof(err)) == DL_MAGLEV_ERR_INVAL, "NULL seed");
	/* A tiny error buffer is truncated, never overrun. */
	char small[8];
	memset(small, 'x', sizeof(small));
	CHECK(dl_maglev_seed_decode("bad", &s, small, sizeof(small)) == DL_MAGLEV_ERR_SEED &&
		      small[sizeof(small) - 1] == '\0',
	      "small error buffer");
	CHECK(dl_maglev_seed_decode("bad", &s, NULL, 0) == DL_MAGLEV_ERR_SEED, "NULL error buffer");
}

static void check_table_sizes(void)
{
	char err[512];
	CHECK(dl_maglev_table_sizes_count == 10, "ten sizes");
	for (size_t i = 0; i < dl_maglev_table_sizes_count; i++) {
		uint32_t m = dl_maglev_table_sizes[i];
		bool prime = m > 1;
		for (uint32_t d = 2; prime && d * d <= m; d++)
			prime = m % d != 0;
		CHECK(prime && dl_maglev_table_size_check(m, err, sizeof(err)) == 0, "size %u", m);
	}
	CHECK(dl_maglev_table_size_is_supported(DL_MAGLEV_DEFAULT_M), "default M");
	const uint32_t bad[] = { 0, 1, 7, 250, 1000, 16383, 65537, 131072 };
	for (size_t i = 0; i < DL_ARRAY_SIZE(bad); i++) {
		char v[16];
		snprintf(v, sizeof(v), "%u", bad[i]);
		int rc = dl_maglev_table_size_check(bad[i], err, sizeof(err));
		CHECK(rc == DL_MAGLEV_ERR_TABLE_SIZE && strstr(err, "maglev.tableSize") && strstr(err, v) &&
			      strstr(err, "251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071"),
		      "size %u: %s", bad[i], err);
	}
}

static void check_format(void)
{
	static const struct {
		uint8_t family, scope, l4;
		uint16_t port;
		uint32_t cluster;
		uint8_t addr[16];
		const char *want;
	} cases[] = {
		{ 4, 0, DL_MAGLEV_L4_TCP, 1, 0, { 0, 0, 0, 1 }, "[0.0.0.1:1/TCP,State:active]" },
		{ 4, 1, DL_MAGLEV_L4_UDP, 53, 0, { 10, 0, 0, 2 }, "[10.0.0.2:53/UDP/i,State:active]" },
		{ 4, 0, DL_MAGLEV_L4_TCP, 80, 7, { 10, 0, 0, 3 }, "[10.0.0.3@7:80/TCP,State:active]" },
		{ 4, 1, DL_MAGLEV_L4_SCTP, 65535, 4294967295u, { 255, 255, 255, 255 },
		  "[255.255.255.255@4294967295:65535/SCTP/i,State:active]" },
		{ 4, 0, DL_MAGLEV_L4_ANY, 0, 0, { 0, 0, 0, 0 }, "[0.0.0.0:0/ANY,State:active]" },
		{ 4, 0, DL_MAGLEV_L4_NONE, 0, 0, { 1, 2, 3, 4 }, "[1.2.3.4:0/NONE,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 8080, 0, { 0xfd, 0, 0, 0x10, 0x02, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a },
		  "[[fd00:10:244::a]:8080/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { 0 }, "[[::]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { [15] = 1 }, "[[::1]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { 0x00, 0x01 }, "[[1::]:80/TCP,State:active]" },
		/* Longest zero run wins; the first on a tie; a single zero group stays "0". */
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 },
		  "[[2001:db8::1:0:0:1]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
		  "[[2001:0:0:1::1]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 },
		  "[[2001:db8:0:1:1:1:1:1]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0,
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  "[[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:80/TCP,State:active]" },
		{ 6, 0, DL_MAGLEV_L4_TCP, 80, 0, { [10] = 0xff, [11] = 0xff, [12] = 1, [13] = 2, [14] = 3, [15] = 4 },
		  "[[::ffff:1.2.3.4]:80/TCP,State:active]" }, /* Go prints IPv4-mapped in dotted form */
		{ 6, 1, DL_MAGLEV_L4_UDP, 53, 3, { 0xfd, 0, [15] = 1 }, "[[fd00::1@3]:53/UDP/i,State:active]" },
		{ 6, 1, DL_MAGLEV_L4_SCTP, 65535, 4294967295u,
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe },
		  "[[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe@4294967295]:65535/SCTP/i,State:active]" },
	};
	for (size_t i = 0; i < DL_ARRAY_SIZE(cases); i++) {
		struct dl_maglev_backend_desc d = { .family = cases[i].family, .scope = cases[i].scope,
						    .l4 = cases[i].l4, .port = cases[i].port,
						    .cluster_id = cases[i].cluster };
		memcpy(d.addr, cases[i].addr, 16);
		char buf[DL_MAGLEV_HASH_STRING_MAX];
		int len = dl_maglev_backend_hash_string(&d, buf, sizeof(buf));
		CHECK(len == (int)strlen(cases[i].want) && strcmp(buf, cases[i].want) == 0, "format: got %s want %s",
		      buf, cases[i].want);
		/* Exactly-sized buffer works; one byte less fails cleanly. */
		char *exact = xcalloc(strlen(cases[i].want) + 1, 1);
		CHECK(dl_maglev_backend_hash_string(&d, exact, strlen(cases[i].want) + 1) == len, "exact buffer");
		CHECK(dl_maglev_backend_hash_string(&d, exact, strlen(cases[i].want)) == DL_MAGLEV_ERR_BUF &&
			      exact[0] == '\0',
		      "short buffer");
		free(exact);
	}
	struct dl_maglev_backend_desc d = { .family = 5, .l4 = DL_MAGLEV_L4_TCP };
	char buf[DL_MAGLEV_HASH_STRING_MAX];
	CHECK(dl_maglev_backend_hash_string(&d, buf, sizeof(buf)) == DL_MAGLEV_ERR_INVAL, "bad family");
	d.family = 4;
	d.l4 = 9;
	CHECK(dl_maglev_backend_hash_string(&d, buf, sizeof(buf)) == DL_MAGLEV_ERR_INVAL, "bad l4");
}

static void check_build_errors(void)
{
	struct dl_maglev_backend be[2] = { { "[a]", 3, 1 }, { "[b]", 3, 1 } };
	struct dl_maglev_table t;
	char err[512];

	CHECK(dl_maglev_build(be, 2, 1000, 0, NULL, 0, &t, err, sizeof(err)) == DL_MAGLEV_ERR_TABLE_SIZE &&
		      strstr(err, "maglev.tableSize 1000") && t.entry == NULL,
	      "build with bad M: %s", err);
	CHECK(dl_maglev_build(be, 0, 251, 0, NULL, 0, &t, err, sizeof(err)) == DL_MAGLEV_ERR_NO_BACKENDS, "no backends");
	CHECK(dl_maglev_build(NULL, 2, 251, 0, NULL, 0, &t, err, sizeof(err)) == DL_MAGLEV_ERR_INVAL, "NULL backends");
	CHECK(dl_maglev_build(be, 2, 251, 0, NULL, 0, NULL, err, sizeof(err)) == DL_MAGLEV_ERR_INVAL, "NULL out");
	size_t need = dl_maglev_build_bufsize(2, 251);
	uint8_t *buf = xcalloc(need, 1);
	CHECK(dl_maglev_build(be, 2, 251, 0, buf, need - 1, &t, err, sizeof(err)) == DL_MAGLEV_ERR_BUF &&
		      strstr(err, "too small"),
	      "small buffer: %s", err);
	CHECK(dl_maglev_build(be, 2, 251, 0, buf, need, &t, err, sizeof(err)) == 0 && t.owned == NULL &&
		      (uint8_t *)t.entry >= buf && (uint8_t *)(t.entry + 251) <= buf + need,
	      "caller buffer holds the table");
	dl_maglev_table_free(&t); /* only zeroes *t */
	CHECK(t.entry == NULL, "free zeroes a caller-buffer table");
	free(buf);
	struct dl_maglev_backend nul = { NULL, 3, 1 };
	CHECK(dl_maglev_build(&nul, 1, 251, 0, NULL, 0, &t, err, sizeof(err)) == DL_MAGLEV_ERR_INVAL, "NULL hash string");
	CHECK(dl_maglev_build_bufsize(UINT32_MAX - 1, 131071) != 0 || sizeof(size_t) < 8, "bufsize for large N");

	/* N > M: one slot each for the first M backends in sorted order. */
	uint32_t n = 300, m = 251;
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX] = xcalloc(n, sizeof(*hs));
	struct dl_maglev_backend *many = xcalloc(n, sizeof(*many));
	make_backends(n, 100, hs, many);
	int rc = dl_maglev_build(many, n, m, 1, NULL, 0, &t, err, sizeof(err));
	CHECK(rc == 0, "N > M: %s", err);
	if (rc == 0) {
		uint32_t *cnt = xcalloc(n, sizeof(uint32_t));
		bool ok = true;
		for (uint32_t k = 0; k < m; k++)
			cnt[t.entry[k]]++;
		for (uint32_t i = 0; i < n; i++)
			ok &= cnt[i] == (i < m ? 1u : 0u);
		CHECK(ok, "N > M: first M sorted backends get one slot each");
		free(cnt);
	}
	dl_maglev_table_free(&t);
	free(hs);
	free(many);

	/* Fill worker argument checks: skip 0 or >= M, offset >= M, non-coprime skip. */
	uint32_t off[1] = { 0 }, sk[1] = { 0 }, entry[8], pos[1];
	double cntr[1];
	uint64_t used[1];
	CHECK(__dl_maglev_fill(1, 7, off, sk, NULL, entry, pos, cntr, used) == DL_MAGLEV_ERR_INVAL, "skip 0");
	sk[0] = 7;
	CHECK(__dl_maglev_fill(1, 7, off, sk, NULL, entry, pos, cntr, used) == DL_MAGLEV_ERR_INVAL, "skip M");
	sk[0] = 2;
	CHECK(__dl_maglev_fill(1, 8, off, sk, NULL, entry, pos, cntr, used) == DL_MAGLEV_ERR_STUCK, "non-coprime skip");
}

int main(void)
{
	check_murmur3();
	check_jhash();
	check_seed();
	check_table_sizes();
	check_format();
	check_build_errors();

	run_vectors();
	printf("vectors: %d/%d table cases matched bit-exact (+%d derived cases rebuilt for lookups), "
	       "%d/%d packet hashes, %d/%d lookups (slot, backend index, id, hash string), "
	       "%d/%d BPF affinity-test vectors, %d/%d removals\n",
	       g_vec.cases_ok, g_vec.cases, g_vec.derived, g_vec.pkts_ok, g_vec.pkts, g_vec.lookups_ok, g_vec.lookups,
	       g_vec.bpf_ok, g_vec.bpf, g_vec.removals_ok, g_vec.removals);
	CHECK(g_vec.cases >= 17 && g_vec.pkts >= 16 && g_vec.lookups >= 48 && g_vec.bpf >= 6 && g_vec.removals >= 3,
	      "vector file incomplete");
	free_cases();

	const uint32_t bal[][2] = { { 1, 251 }, { 3, 251 }, { 7, 1021 }, { 10, 16381 }, { 100, 16381 },
				    { 257, 4093 }, { 1000, 65521 }, { 1000, 131071 } };
	for (size_t i = 0; i < DL_ARRAY_SIZE(bal); i++)
		check_balance(bal[i][0], bal[i][1]);
	check_order_independence(10, 1021);
	check_order_independence(100, 16381);
	check_order_independence(1000, 65521);
	check_removal(10, 1021, 0.05);
	check_removal(10, 16381, 0.02);
	check_removal(100, 16381, 0.03);
	check_removal(1000, 65521, 0.03);

	printf("test_maglev: %d passed, %d failed\n", g_pass, g_fail);
	return g_fail ? 1 : 0;
}
