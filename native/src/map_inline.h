/* map_inline.h: the parts of map.c a per-packet lookup runs through (hashing, the index probe,
 * the key compare, the LRU relink), as static inline functions, so that the datapath files can
 * inline a whole lookup with the key size as a constant (dl_map_lookup_inline). Private to the
 * core: map.h is the interface; these only read and relink what map.c laid out. */
#ifndef DSRLAB_MAP_INLINE_H
#define DSRLAB_MAP_INLINE_H

#include "dsrlab/map.h"

#define DLM_NIL 0u /* slot numbers are 1-based: 0 is "none" */

#ifndef ALWAYS_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif
#endif

/* The header in front of every slot's key and value. */
struct slot_hdr {
	uint32_t hash;     /* the 32 hash bits the slot's index entry holds */
	uint32_t next;     /* the free list */
	uint32_t used;
	uint32_t _pad;
};

static inline uint32_t dlm_align8(uint32_t v) { return (v + 7u) & ~7u; }

/* The 128-bit product of a and b folded to 64 bits (wyhash's "mum"). */
static ALWAYS_INLINE uint64_t dlm_mum(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
	uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb, t = rl + (rm0 << 32), c = t < rl;
	uint64_t lo = t + (rm1 << 32);

	c += lo < t;
	return lo ^ (rh + (rm0 >> 32) + (rm1 >> 32) + c);
#endif
}

static ALWAYS_INLINE uint64_t dlm_rd64(const uint8_t *k)
{
	uint64_t w;

	memcpy(&w, k, 8);
	return w;
}

/* Per-position secrets: a chunk's contribution depends on where it sits, so keys that only
 * swap two chunks (a CT tuple and its reverse: saddr and daddr trade places) do not collide. */
static const uint64_t dlm_secret[8] = {
	0xa0761d6478bd642full, 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull,
	0x1d8e4e27c47d124full, 0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull,
};

/* A 64-bit hash over n key bytes, wyhash-style: each 16-byte chunk goes through one 64×64→128
 * multiply of its two words (mixed with the position's secrets), the chunks' results are
 * xor-ed, and one more multiply mixes in the length. The chunks' multiplies are independent,
 * so a 40-byte CT tuple costs about two multiply latencies, not five chained ones: a packet's
 * lookups depend on each other (the backend picks the next tuple), so hash latency adds up.
 * Deterministic; only the map's layout depends on it, never what a lookup returns. Inlined
 * with constant n for the per-packet key sizes. */
static ALWAYS_INLINE uint64_t dlm_hash_bytes(const uint8_t *k, uint32_t n)
{
	uint64_t h = 0, a, b;
	uint32_t i, c;

	for (i = 0, c = 0; i + 16 <= n; i += 16, c++)
		h ^= dlm_mum(dlm_rd64(k + i) ^ dlm_secret[(2 * c) & 7] ^ c, dlm_rd64(k + i + 8) ^ dlm_secret[(2 * c + 1) & 7]);
	if (i < n) {
		uint8_t t[16] = {0};

		memcpy(t, k + i, n - i); /* 1..15 bytes */
		a = dlm_rd64(t);
		b = dlm_rd64(t + 8);
		h ^= dlm_mum(a ^ dlm_secret[(2 * c) & 7] ^ c, b ^ dlm_secret[(2 * c + 1) & 7]);
	}
	return dlm_mum(h ^ dlm_secret[5], (uint64_t)n ^ dlm_secret[6]);
}

static ALWAYS_INLINE uint64_t dlm_word_diff(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x ^ y;
}

static ALWAYS_INLINE bool dlm_bytes_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t d = 0;
	uint32_t i;

	/* As in hash_bytes. */
	if (n >= 8)
		d |= dlm_word_diff(a, b);
	if (n >= 16)
		d |= dlm_word_diff(a + 8, b + 8);
	if (n >= 24)
		d |= dlm_word_diff(a + 16, b + 16);
	if (n >= 32)
		d |= dlm_word_diff(a + 24, b + 24);
	if (n >= 40)
		d |= dlm_word_diff(a + 32, b + 32);
	for (i = n < 40 ? n & ~7u : 40; i + 8 <= n; i += 8)
		d |= dlm_word_diff(a + i, b + i);
	if (i + 4 <= n) {
		uint32_t x, y;
		memcpy(&x, a + i, 4);
		memcpy(&y, b + i, 4);
		d |= x ^ y;
		i += 4;
	}
	for (; i < n; i++)
		d |= (uint64_t)(a[i] ^ b[i]);
	return !d;
}

static inline struct slot_hdr *dlm_hdr(const struct dl_map *m, uint32_t i)
{
	return (struct slot_hdr *)(void *)(m->slab + (size_t)(i - 1) * m->stride);
}
static inline uint8_t *dlm_slot_key(const struct dl_map *m, uint32_t i) { return m->slab + (size_t)(i - 1) * m->stride + sizeof(struct slot_hdr); }
static inline uint8_t *dlm_slot_val(const struct dl_map *m, uint32_t i) { return dlm_slot_key(m, i) + dlm_align8(m->key_size); }

/* LRU links of slot i. */
static inline uint32_t *dlm_lru_prev(const struct dl_map *m, uint32_t i) { return &m->lru[2 * (size_t)(i - 1)]; }
static inline uint32_t *dlm_lru_next(const struct dl_map *m, uint32_t i) { return &m->lru[2 * (size_t)(i - 1) + 1]; }

static inline void dlm_lru_unlink(struct dl_map *m, uint32_t i)
{
	uint32_t p = *dlm_lru_prev(m, i), n = *dlm_lru_next(m, i);

	if (p) *dlm_lru_next(m, p) = n; else m->lru_head = n;
	if (n) *dlm_lru_prev(m, n) = p; else m->lru_tail = p;
	*dlm_lru_prev(m, i) = *dlm_lru_next(m, i) = DLM_NIL;
}

/* Most recently used at the head. */
static inline void dlm_lru_push_front(struct dl_map *m, uint32_t i)
{
	*dlm_lru_prev(m, i) = DLM_NIL;
	*dlm_lru_next(m, i) = m->lru_head;
	if (m->lru_head) *dlm_lru_prev(m, m->lru_head) = i; else m->lru_tail = i;
	m->lru_head = i;
}

/* The 32 hash bits of a key of n bytes: their low bits pick the home position in the index. */
static ALWAYS_INLINE uint32_t dlm_hash_n(const void *key, uint32_t n)
{
	return (uint32_t)dlm_hash_bytes(key, n);
}

/* Returns the slot holding key (n bytes, hash h as hash_n gives it), or DLM_NIL; *pos gets the
 * slot's index position. */
static ALWAYS_INLINE uint32_t dlm_find_hn(const struct dl_map *m, const void *key, uint32_t n, uint32_t h, uint32_t *pos)
{
	uint32_t mask = m->n_buckets - 1, p = h & mask;

	*pos = 0;
	for (;; p = (p + 1) & mask) {
		uint64_t e = m->bucket[p];
		uint32_t i = (uint32_t)e;

		if (!i)
			return DLM_NIL;
		if ((uint32_t)(e >> 32) == h && dlm_bytes_eq(dlm_slot_key(m, i), key, n)) {
			*pos = p;
			return i;
		}
	}
}

/* Marks slot i as the most recently used. */
static ALWAYS_INLINE void *dlm_touch(struct dl_map *m, uint32_t i)
{
	if (m->type == DL_MAP_LRU_HASH && m->lru_head != i) {
		dlm_lru_unlink(m, i);
		dlm_lru_push_front(m, i);
	}
	return dlm_slot_val(m, i);
}

/* Returns the slot holding key (n bytes), or 0; *hp gets the key's hash (dl_map_hash), *pos
 * the slot's index position. */
static ALWAYS_INLINE uint32_t dlm_find_n(const struct dl_map *m, const void *key, uint32_t n, uint32_t *hp, uint32_t *pos)
{
	*hp = dlm_hash_n(key, n);
	return dlm_find_hn(m, key, n, *hp, pos);
}

/* dl_map_lookup for a map whose key size is n, a constant at the call site, which also gives
 * the key's hash (hit or miss): the hash, probe, compare and LRU touch compile to
 * straight-line code in the caller. */
static ALWAYS_INLINE void *dl_map_lookup_inline(struct dl_map *m, const void *key, uint32_t n, uint32_t *hash)
{
	uint32_t pos, i = dlm_find_n(m, key, n, hash, &pos);

	return i ? dlm_touch(m, i) : NULL;
}

#endif /* DSRLAB_MAP_INLINE_H */
