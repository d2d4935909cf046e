/* maglev.c: Maglev lookup-table building (control plane), bit-exact with Cilium's
 * pkg/maglev/maglev.go: seed decoding, table-size check, backend hash strings, permutations
 * and the weighted round-robin fill. Per-packet hashing and slot selection live in
 * maglev_hash.c; the datapath only indexes the table built here.
 *
 * Algorithm: Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI'16, section 3.4 (Pseudocode 1, "Populating the lookup table"). Cilium's version
 * (pkg/maglev/maglev.go GetLookupTable/getPermutation/getOffsetAndSkip) adds:
 *  - backends sorted by hash string before anything else, so every node agrees;
 *  - (h1, h2) = MurmurHash3_x64_128(hash string, seed) gives offset = h1 % M and
 *    skip = h2 % (M - 1) + 1;
 *  - weights in the style of Envoy PR #2982: float64 turn counters, honoured only when
 *    (sum of weights) / N > 1 in integer division.
 * Cilium materialises an N x M permutation array; we keep one running position per backend
 * instead, which gives the same sequence (offset + j * skip) mod M in O(N + M) memory. */
#include "dsrlab/maglev.h"
#include "dsrlab/murmur3.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const uint32_t dl_maglev_table_sizes[] = { DL_MAGLEV_TABLE_SIZES };
const size_t dl_maglev_table_sizes_count = DL_ARRAY_SIZE(dl_maglev_table_sizes);

/* ---- error text ---------------------------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define DL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DL_PRINTF(f, a)
#endif

/* Append printf-style text to a caller-owned error buffer; never overflows. */
static void err_put(char *err, size_t errlen, size_t *at, const char *fmt, ...) DL_PRINTF(4, 5);

static void err_put(char *err, size_t errlen, size_t *at, const char *fmt, ...)
{
	if (!err || errlen == 0 || *at >= errlen - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(err + *at, errlen - *at, fmt, ap);
	va_end(ap);
	if (w > 0)
		*at = (size_t)w >= errlen - *at ? errlen - 1 : *at + (size_t)w;
}

static void err_set(char *err, size_t errlen, const char *msg)
{
	size_t at = 0;
	err_put(err, errlen, &at, "%s", msg);
}

/* Quote a user-supplied value for an error message: at most 64 characters, non-printable
 * bytes shown as '?'. */
static void err_put_quoted(char *err, size_t errlen, size_t *at, const char *s)
{
	char q[64 + 4];
	size_t i = 0;
	for (; s[i] && i < 64; i++)
		q[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	q[i] = '\0';
	err_put(err, errlen, at, "\"%s%s\"", q, s[i] ? "..." : "");
}

/* ---- table size --------------------------------------------------------------------- */

bool dl_maglev_table_size_is_supported(uint32_t m)
{
	for (size_t i = 0; i < dl_maglev_table_sizes_count; i++)
		if (dl_maglev_table_sizes[i] == m)
			return true;
	return false;
}

int dl_maglev_table_size_check(uint32_t m, char *err, size_t errlen)
{
	if (dl_maglev_table_size_is_supported(m))
		return DL_MAGLEV_OK;
	size_t at = 0;
	err_put(err, errlen, &at, "maglev.tableSize %lu is not supported: must be one of",
		(unsigned long)m);
	for (size_t i = 0; i < dl_maglev_table_sizes_count; i++)
		err_put(err, errlen, &at, "%s %lu", i ? "," : "", (unsigned long)dl_maglev_table_sizes[i]);
	return DL_MAGLEV_ERR_TABLE_SIZE;
}

/* ---- seed --------------------------------------------------------------------------- */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

static const char *skip_newlines(const char *p)
{
	while (*p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Decode like Go's base64.StdEncoding.DecodeString: CR/LF ignored anywhere, input in whole
 * 4-character quanta, '=' padding only in the last quantum ("xx==" or "xxx="), nothing but
 * newlines after it, unused trailing bits not checked. Stores at most cap bytes to out and
 * returns the full decoded length, or -1 when the input is not valid base64. */
static long b64_std_decode(const char *s, uint8_t *out, size_t cap)
{
	long n = 0;
	const char *p = s;

	for (;;) {
		int v[4];
		int j = 0;
		int nbytes = 3;
		while (j < 4) {
			p = skip_newlines(p);
			if (*p == '\0')
				break;
			if (*p == '=') {
				if (j < 2)
					return -1;
				p++;
				if (j == 2) {
					p = skip_newlines(p);
					if (*p != '=')
						return -1;
					p++;
				}
				if (*skip_newlines(p) != '\0')
					return -1;
				nbytes = j - 1;
				for (int k = j; k < 4; k++)
					v[k] = 0;
				j = 4;
				p = skip_newlines(p);
				break;
			}
			int x = b64_value(*p++);
			if (x < 0)
				return -1;
			v[j++] = x;
		}
		if (j == 0)
			return n;
		if (j < 4)
			return -1; /* incomplete quantum without padding */
		uint8_t b[3] = {
			(uint8_t)(v[0] << 2 | v[1] >> 4),
			(uint8_t)(v[1] << 4 | v[2] >> 2),
			(uint8_t)(v[2] << 6 | v[3]),
		};
		for (int k = 0; k < nbytes; k++, n++)
			if ((size_t)n < cap)
				out[n] = b[k];
		if (nbytes < 3)
			return n;
	}
}

int dl_maglev_seed_decode(const char *b64, struct dl_maglev_seed *out, char *err, size_t errlen)
{
	uint8_t d[12];
	size_t at = 0;

	if (!b64 || !out) {
		err_set(err, errlen, "maglev.hashSeed: NULL argument");
		return DL_MAGLEV_ERR_INVAL;
	}
	long n = b64_std_decode(b64, d, sizeof(d));
	if (n != 12) {
		err_put(err, errlen, &at, "maglev.hashSeed ");
		err_put_quoted(err, errlen, &at, b64);
		err_put(err, errlen, &at,
			" is invalid: it must be standard base64 (with '=' padding) of exactly 12 bytes,"
			" e.g. \"%s\"; ", DL_MAGLEV_DEFAULT_SEED);
		if (n < 0)
			err_put(err, errlen, &at, "it is not valid base64");
		else
			err_put(err, errlen, &at, "it decodes to %ld bytes", n);
		return DL_MAGLEV_ERR_SEED;
	}
	out->murmur = dl_rd32(d);
	out->jhash0 = dl_rd32(d + 4);
	out->jhash1 = dl_rd32(d + 8);
	return DL_MAGLEV_OK;
}

/* ---- backend hash string ------------------------------------------------------------- */

const char *dl_maglev_l4_name(unsigned l4)
{
	static const char *const names[] = { "NONE", "ANY", "TCP", "UDP", "SCTP" };
	return l4 < DL_ARRAY_SIZE(names) ? names[l4] : NULL;
}

/* Bounded string builder: once it overflows it stops writing and remembers that. */
struct sbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->len + 1 < b->cap)
		b->p[b->len++] = c;
	else
		b->overflow = true;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

static void sb_putu(struct sbuf *b, uint32_t v)
{
	char t[10];
	int i = 0;
	do {
		t[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		sb_putc(b, t[--i]);
}

/* Lower-case hex without leading zeros, as Go's appendHex. */
static void sb_puthex16(struct sbuf *b, uint16_t v)
{
	static const char hex[] = "0123456789abcdef";
	bool started = false;
	for (int sh = 12; sh >= 0; sh -= 4) {
		unsigned nib = (v >> sh) & 0xf;
		if (nib || started || sh == 0) {
			sb_putc(b, hex[nib]);
			started = true;
		}
	}
}

static void sb_putv4(struct sbuf *b, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			sb_putc(b, '.');
		sb_putu(b, a[i]);
	}
}

/* Go netip.Addr.String() for a 16-byte address: "::ffff:a.b.c.d" for IPv4-mapped, else
 * RFC 5952: the longest run of two or more zero groups (the first on a tie) becomes "::". */
static void sb_putv6(struct sbuf *b, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		sb_puts(b, "::ffff:");
		sb_putv4(b, a + 12);
		return;
	}
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = dl_rd16(a + 2 * i);
	int zs = -1, ze = -1; /* best zero run [zs, ze) */
	for (int i = 0; i < 8; i++) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i >= 2 && j - i > ze - zs) {
			zs = i;
			ze = j;
		}
	}
	for (int i = 0; i < 8; i++) {
		if (i == zs) {
			sb_puts(b, "::");
			i = ze;
			if (i >= 8)
				break;
		} else if (i > 0) {
			sb_putc(b, ':');
		}
		sb_puthex16(b, g[i]);
	}
}

int dl_maglev_backend_hash_string(const struct dl_maglev_backend_desc *d, char *buf, size_t buflen)
{
	if (!d || !buf || (d->family != 4 && d->family != 6) || !dl_maglev_l4_name(d->l4))
		return DL_MAGLEV_ERR_INVAL;
	struct sbuf b = { buf, buflen, 0, false };

	/* L3n4Addr.String(): IPv6 addresses (with any "@cluster") go in brackets. */
	sb_puts(&b, d->family == 6 ? "[[" : "[");
	if (d->family == 6)
		sb_putv6(&b, d->addr);
	else
		sb_putv4(&b, d->addr);
	if (d->cluster_id) {
		sb_putc(&b, '@');
		sb_putu(&b, d->cluster_id);
	}
	sb_puts(&b, d->family == 6 ? "]:" : ":");
	sb_putu(&b, d->port);
	sb_putc(&b, '/');
	sb_puts(&b, dl_maglev_l4_name(d->l4));
	if (d->scope == 1)
		sb_puts(&b, "/i");
	/* Hard-coded in Cilium's BackendInfo so tables match the old Backend.String() format. */
	sb_puts(&b, ",State:active]");

	if (b.overflow || buflen == 0) {
		if (buflen)
			buf[0] = '\0';
		return DL_MAGLEV_ERR_BUF;
	}
	buf[b.len] = '\0';
	return (int)b.len;
}

/* ---- permutation and fill ------------------------------------------------------------ */

void dl_maglev_offset_skip(const char *hash_string, size_t len, uint32_t seed_murmur, uint32_t m,
			   uint32_t *offset, uint32_t *skip)
{
	uint64_t h1, h2;
	dl_murmur3_x64_128(hash_string, len, seed_murmur, &h1, &h2);
	*offset = (uint32_t)(h1 % m);
	*skip = (uint32_t)(h2 % (m - 1) + 1);
}

static inline uint32_t step_mod(uint32_t c, uint32_t s, uint32_t m)
{
	/* (c + s) mod m for c < m, 0 < s < m, without overflowing u32. */
	return c >= m - s ? c - (m - s) : c + s;
}

int __dl_maglev_fill(uint32_t n, uint32_t m, const uint32_t *offset, const uint32_t *skip,
		     const uint16_t *weight, uint32_t *entry, uint32_t *pos, double *cntr, uint64_t *used)
{
	uint64_t wsum = 0;
	bool weights_used = false;

	if (n == 0 || m < 2)
		return DL_MAGLEV_ERR_INVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (offset[i] >= m || skip[i] == 0 || skip[i] >= m)
			return DL_MAGLEV_ERR_INVAL;
		pos[i] = offset[i];
	}
	if (weight) {
		for (uint32_t i = 0; i < n; i++)
			wsum += weight[i];
		weights_used = wsum / n > 1;
	}
	if (weights_used) {
		/* Each counter starts at w/N so that every backend takes at least its first turn.
		 * The counters must be IEEE binary64 evaluated in double (FLT_EVAL_METHOD 0, as on
		 * x86_64 and arm64) to match Go's float64 bit for bit. */
		for (uint32_t i = 0; i < n; i++)
			cntr[i] = (double)weight[i] / (double)n;
	}
	memset(used, 0, ((size_t)m + 63) / 64 * sizeof(*used));

	uint32_t turn = 0; /* k mod n, kept incrementally */
	for (uint32_t k = 0; k < m; k++) {
		uint32_t i = turn;
		if (++turn == n)
			turn = 0;

		if (weights_used) {
			/* Backend i passes its turn while (k+1)*w_i is below its counter, truncated to
			 * u64; taking a turn adds the weight sum to the counter (float64, as Go). */
			uint32_t passes = 0;
			while ((uint64_t)(k + 1) * weight[i] < (uint64_t)cntr[i]) {
				if (++i == n)
					i = 0;
				if (++passes == n)
					return DL_MAGLEV_ERR_STUCK;
			}
			cntr[i] += (double)wsum;
		}

		/* Next unfilled slot in backend i's permutation. The occupancy bitmap is probed
		 * instead of entry[] because it stays in L1 even for M = 131071. */
		uint32_t c = pos[i];
		const uint32_t s = skip[i];
		uint32_t probes = 0;
		while (used[c >> 6] & ((uint64_t)1 << (c & 63))) {
			c = step_mod(c, s, m);
			if (++probes == m)
				return DL_MAGLEV_ERR_STUCK;
		}
		used[c >> 6] |= (uint64_t)1 << (c & 63);
		entry[c] = i;
		pos[i] = step_mod(c, s, m);
	}
	return DL_MAGLEV_OK;
}

/* ---- building ------------------------------------------------------------------------ */

struct sort_key {
	const uint8_t *s;
	size_t len;
	uint32_t idx;
};

/* Go's cmp.Compare on strings: byte-wise, a proper prefix sorts first. Input index breaks
 * ties so duplicates keep their input order. */
static int sort_key_cmp(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	size_t l = a->len < b->len ? a->len : b->len;
	int r = l ? memcmp(a->s, b->s, l) : 0;
	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Buffer layout, in order. Each array starts 8-byte aligned. */
struct layout {
	size_t entry, order, offset, skip, pos, weight, cntr, used, keys, total;
};

static bool layout_of(uint32_t n, uint32_t m, struct layout *l)
{
	uint64_t at = 0;
#define PLACE(field, count, type)                                 \
	do {                                                      \
		at = (at + 7) & ~(uint64_t)7;                     \
		l->field = (size_t)at;                            \
		at += (uint64_t)(count) * sizeof(type);           \
	} while (0)
	PLACE(entry, m, uint32_t);
	PLACE(order, n, uint32_t);
	PLACE(offset, n, uint32_t);
	PLACE(skip, n, uint32_t);
	PLACE(pos, n, uint32_t);
	PLACE(weight, n, uint16_t);
	PLACE(cntr, n, double);
	PLACE(used, ((uint64_t)m + 63) / 64, uint64_t);
	PLACE(keys, n, struct sort_key);
#undef PLACE
	at += 16; /* slack to align a caller's buffer up to 16 bytes */
	if (at > SIZE_MAX)
		return false;
	l->total = (size_t)at;
	return true;
}

size_t dl_maglev_build_bufsize(uint32_t n, uint32_t m)
{
	struct layout l;
	return layout_of(n, m, &l) ? l.total : 0;
}

int dl_maglev_build(const struct dl_maglev_backend *backends, uint32_t n, uint32_t m,
		    uint32_t seed_murmur, void *buf, size_t buflen, struct dl_maglev_table *out,
		    char *err, size_t errlen)
{
	struct layout l;
	uint8_t *base;
	void *owned = NULL;
	int rc;

	if (!out) {
		err_set(err, errlen, "maglev build: NULL output table");
		return DL_MAGLEV_ERR_INVAL;
	}
	memset(out, 0, sizeof(*out));
	if (!backends && n) {
		err_set(err, errlen, "maglev build: NULL backend array");
		return DL_MAGLEV_ERR_INVAL;
	}
	rc = dl_maglev_table_size_check(m, err, errlen);
	if (rc)
		return rc;
	if (n == 0) {
		err_set(err, errlen, "maglev build: no backends (Cilium builds no table for an empty set)");
		return DL_MAGLEV_ERR_NO_BACKENDS;
	}
	for (uint32_t j = 0; j < n; j++) {
		if (!backends[j].hash_string && backends[j].hash_len) {
			size_t at = 0;
			err_put(err, errlen, &at, "maglev build: backend %lu has a NULL hash string",
				(unsigned long)j);
			return DL_MAGLEV_ERR_INVAL;
		}
	}
	if (n == UINT32_MAX || !layout_of(n, m, &l)) {
		err_set(err, errlen, "maglev build: too many backends");
		return DL_MAGLEV_ERR_TOO_MANY;
	}
	if (buf) {
		if (buflen < l.total) {
			size_t at = 0;
			err_put(err, errlen, &at,
				"maglev build: buffer of %lu bytes is too small, need %lu (dl_maglev_build_bufsize)",
				(unsigned long)buflen, (unsigned long)l.total);
			return DL_MAGLEV_ERR_BUF;
		}
		base = buf;
	} else {
		owned = malloc(l.total);
		if (!owned) {
			err_set(err, errlen, "maglev build: out of memory");
			return DL_MAGLEV_ERR_NOMEM;
		}
		base = owned;
	}
	{
		uintptr_t mis = (uintptr_t)base & 15;
		if (mis)
			base += 16 - mis;
	}

	uint32_t *entry = (uint32_t *)(void *)(base + l.entry);
	uint32_t *order = (uint32_t *)(void *)(base + l.order);
	uint32_t *offset = (uint32_t *)(void *)(base + l.offset);
	uint32_t *skip = (uint32_t *)(void *)(base + l.skip);
	uint32_t *pos = (uint32_t *)(void *)(base + l.pos);
	uint16_t *weight = (uint16_t *)(void *)(base + l.weight);
	double *cntr = (double *)(void *)(base + l.cntr);
	uint64_t *used = (uint64_t *)(void *)(base + l.used);
	struct sort_key *keys = (struct sort_key *)(void *)(base + l.keys);

	/* Sort by hash string: the order, and so the table, is independent of input order. */
	for (uint32_t j = 0; j < n; j++) {
		keys[j].s = (const uint8_t *)backends[j].hash_string;
		keys[j].len = backends[j].hash_len;
		keys[j].idx = j;
	}
	qsort(keys, n, sizeof(*keys), sort_key_cmp);

	uint64_t wsum = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct dl_maglev_backend *be = &backends[keys[i].idx];
		order[i] = keys[i].idx;
		weight[i] = be->weight;
		wsum += be->weight;
		dl_maglev_offset_skip(be->hash_string, be->hash_len, seed_murmur, m, &offset[i], &skip[i]);
	}

	rc = __dl_maglev_fill(n, m, offset, skip, weight, entry, pos, cntr, used);
	if (rc) {
		size_t at = 0;
		err_put(err, errlen, &at, "maglev build: fill made no progress (M=%lu, N=%lu)",
			(unsigned long)m, (unsigned long)n);
		free(owned);
		return rc;
	}

	out->m = m;
	out->n = n;
	out->weights_used = wsum / n > 1;
	out->entry = entry;
	out->order = order;
	out->offset = offset;
	out->skip = skip;
	out->owned = owned;
	return DL_MAGLEV_OK;
}

void dl_maglev_table_free(struct dl_maglev_table *t)
{
	if (!t)
		return;
	free(t->owned);
	memset(t, 0, sizeof(*t));
}

void dl_maglev_table_ids(const struct dl_maglev_table *t, const uint32_t *ids_by_input, uint32_t *lut)
{
	for (uint32_t k = 0; k < t->m; k++)
		lut[k] = ids_by_input[t->order[t->entry[k]]];
}
