/* map.c: the hash and LRU hash maps of map.h. Chained buckets over a preallocated slab of
 * slots; a doubly linked list orders slots by last use for LRU maps. Indexes are 1-based so
 * that 0 means "none". */
#include <stdlib.h>
#include "dsrlab/map.h"

#define NIL 0u

static uint32_t align8(uint32_t v) { return (v + 7u) & ~7u; }

/* A 64-bit hash over the key: 8-byte words through a multiply-xorshift mixer. Deterministic. */
static uint64_t key_hash(const uint8_t *k, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < n) {
		uint64_t w = 0;
		memcpy(&w, k + i, n - i);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

static uint8_t *slot_key(const struct dl_map *m, uint32_t i) { return m->slab + (size_t)(i - 1) * m->stride; }
static uint8_t *slot_val(const struct dl_map *m, uint32_t i) { return slot_key(m, i) + align8(m->key_size); }

int dl_map_init(struct dl_map *m, enum dl_map_type type, uint32_t key_size, uint32_t value_size,
		uint32_t max_entries)
{
	memset(m, 0, sizeof(*m));
	if ((type != DL_MAP_HASH && type != DL_MAP_LRU_HASH) || !key_size || !value_size || !max_entries ||
	    key_size > 512 || value_size > (1u << 20) || max_entries > (1u << 26))
		return DL_EINVAL;
	m->type = type;
	m->key_size = key_size;
	m->value_size = value_size;
	m->max_entries = max_entries;
	m->stride = align8(key_size) + align8(value_size);
	m->n_buckets = 1;
	while (m->n_buckets < max_entries)
		m->n_buckets <<= 1;
	m->bucket = calloc(m->n_buckets, sizeof(uint32_t));
	m->next = calloc((size_t)max_entries + 1, sizeof(uint32_t));
	m->prev_lru = calloc((size_t)max_entries + 1, sizeof(uint32_t));
	m->next_lru = calloc((size_t)max_entries + 1, sizeof(uint32_t));
	m->hashes = calloc((size_t)max_entries + 1, sizeof(uint64_t));
	m->used = calloc((size_t)max_entries + 1, 1);
	m->slab = calloc(max_entries, m->stride);
	if (!m->bucket || !m->next || !m->prev_lru || !m->next_lru || !m->hashes || !m->used || !m->slab) {
		dl_map_free(m);
		return DL_ENOMEM;
	}
	dl_map_clear(m);
	return 0;
}

void dl_map_free(struct dl_map *m)
{
	free(m->bucket);
	free(m->next);
	free(m->prev_lru);
	free(m->next_lru);
	free(m->hashes);
	free(m->used);
	free(m->slab);
	memset(m, 0, sizeof(*m));
}

void dl_map_clear(struct dl_map *m)
{
	memset(m->bucket, 0, m->n_buckets * sizeof(uint32_t));
	/* Free list threaded through next[], in slot order so allocation is deterministic. */
	for (uint32_t i = 1; i <= m->max_entries; i++) {
		m->next[i] = i < m->max_entries ? i + 1 : NIL;
		m->prev_lru[i] = m->next_lru[i] = NIL;
		m->hashes[i] = 0;
		m->used[i] = 0;
	}
	m->free_head = 1;
	m->lru_head = m->lru_tail = NIL;
	m->count = 0;
	m->evictions = 0;
	m->full = 0;
}

static void lru_unlink(struct dl_map *m, uint32_t i)
{
	uint32_t p = m->prev_lru[i], n = m->next_lru[i];

	if (p) m->next_lru[p] = n; else m->lru_head = n;
	if (n) m->prev_lru[n] = p; else m->lru_tail = p;
	m->prev_lru[i] = m->next_lru[i] = NIL;
}

/* Most recently used at the head. */
static void lru_push_front(struct dl_map *m, uint32_t i)
{
	m->prev_lru[i] = NIL;
	m->next_lru[i] = m->lru_head;
	if (m->lru_head) m->prev_lru[m->lru_head] = i; else m->lru_tail = i;
	m->lru_head = i;
}

static uint32_t find(const struct dl_map *m, const void *key, uint64_t h, uint32_t **link_out)
{
	uint32_t *link = &m->bucket[h & (m->n_buckets - 1)];

	for (uint32_t i = *link; i; link = &m->next[i], i = *link) {
		if (m->hashes[i] == h && !memcmp(slot_key(m, i), key, m->key_size)) {
			if (link_out) *link_out = link;
			return i;
		}
	}
	return NIL;
}

void *dl_map_peek(const struct dl_map *m, const void *key)
{
	uint32_t i = find(m, key, key_hash(key, m->key_size), NULL);
	return i ? slot_val(m, i) : NULL;
}

void *dl_map_lookup(struct dl_map *m, const void *key)
{
	uint32_t i = find(m, key, key_hash(key, m->key_size), NULL);

	if (!i)
		return NULL;
	if (m->type == DL_MAP_LRU_HASH && m->lru_head != i) {
		lru_unlink(m, i);
		lru_push_front(m, i);
	}
	return slot_val(m, i);
}

static void remove_slot(struct dl_map *m, uint32_t i, uint32_t *link)
{
	*link = m->next[i];
	if (m->type == DL_MAP_LRU_HASH)
		lru_unlink(m, i);
	m->next[i] = m->free_head;
	m->free_head = i;
	m->hashes[i] = 0;
	m->used[i] = 0;
	m->count--;
}

int dl_map_delete(struct dl_map *m, const void *key)
{
	uint32_t *link;
	uint32_t i = find(m, key, key_hash(key, m->key_size), &link);

	if (!i)
		return DL_ENOENT;
	remove_slot(m, i, link);
	return 0;
}

/* Evicts the least recently used entry of an LRU map. */
static void evict_one(struct dl_map *m)
{
	uint32_t victim = m->lru_tail;
	uint32_t *link;

	if (!victim)
		return;
	if (find(m, slot_key(m, victim), m->hashes[victim], &link) == victim) {
		remove_slot(m, victim, link);
		m->evictions++;
	}
}

int dl_map_update(struct dl_map *m, const void *key, const void *value, uint64_t flags)
{
	uint64_t h;
	uint32_t i;

	if (flags > DL_BPF_EXIST)
		return DL_EINVAL;
	h = key_hash(key, m->key_size);
	i = find(m, key, h, NULL);
	if (i) {
		if (flags == DL_BPF_NOEXIST)
			return DL_EEXIST;
		memcpy(slot_val(m, i), value, m->value_size);
		if (m->type == DL_MAP_LRU_HASH && m->lru_head != i) {
			lru_unlink(m, i);
			lru_push_front(m, i);
		}
		return 0;
	}
	if (flags == DL_BPF_EXIST)
		return DL_ENOENT;
	if (!m->free_head) {
		if (m->type != DL_MAP_LRU_HASH) {
			m->full++;
			return DL_E2BIG;
		}
		evict_one(m);
	}
	i = m->free_head;
	m->free_head = m->next[i];
	m->hashes[i] = h;
	m->used[i] = 1;
	memcpy(slot_key(m, i), key, m->key_size);
	memcpy(slot_val(m, i), value, m->value_size);
	{
		uint32_t *b = &m->bucket[h & (m->n_buckets - 1)];
		m->next[i] = *b;
		*b = i;
	}
	if (m->type == DL_MAP_LRU_HASH)
		lru_push_front(m, i);
	m->count++;
	return 0;
}

bool dl_map_next(const struct dl_map *m, uint32_t *pos, const void **key, void **value)
{
	for (uint32_t i = *pos + 1; i <= m->max_entries; i++) {
		if (m->used[i]) {
			*pos = i;
			*key = slot_key(m, i);
			*value = slot_val(m, i);
			return true;
		}
	}
	return false;
}
