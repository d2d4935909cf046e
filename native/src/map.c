/* map.c: the hash and LRU hash maps of map.h. Chained buckets over a preallocated slab of
 * slots; a doubly linked list orders slots by last use for LRU maps. Indexes are 1-based so
 * that 0 means "none". */
#include <stdlib.h>
#include "dsrlab/map.h"

#define NIL 0u

/* The header in front of every slot's key and value. */
struct slot_hdr {
	uint64_t hash;
	uint32_t next;     /* bucket chain, or the free list */
	uint32_t prev_lru; /* LRU order: most recent at lru_head */
	uint32_t next_lru;
	uint32_t used;
};

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

static struct slot_hdr *hdr(const struct dl_map *m, uint32_t i)
{
	return (struct slot_hdr *)(void *)(m->slab + (size_t)(i - 1) * m->stride);
}
static uint8_t *slot_key(const struct dl_map *m, uint32_t i) { return m->slab + (size_t)(i - 1) * m->stride + sizeof(struct slot_hdr); }
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
	m->stride = (uint32_t)sizeof(struct slot_hdr) + align8(key_size) + align8(value_size);
	m->n_buckets = 1;
	while (m->n_buckets < max_entries)
		m->n_buckets <<= 1;
	m->bucket = calloc(m->n_buckets, sizeof(uint32_t));
	m->slab = calloc(max_entries, m->stride);
	if (!m->bucket || !m->slab) {
		dl_map_free(m);
		return DL_ENOMEM;
	}
	/* calloc'd memory is already an empty map: slots are handed out from `fresh` on, so a
	 * large map costs no page touches until it is used (Cilium's defaults are big). */
	m->fresh = 1;
	return 0;
}

void dl_map_free(struct dl_map *m)
{
	free(m->bucket);
	free(m->slab);
	memset(m, 0, sizeof(*m));
}

void dl_map_clear(struct dl_map *m)
{
	memset(m->bucket, 0, m->n_buckets * sizeof(uint32_t));
	/* Only slots handed out so far can hold anything. */
	for (uint32_t i = 1; i < m->fresh; i++)
		memset(hdr(m, i), 0, sizeof(struct slot_hdr));
	m->free_head = NIL;
	m->fresh = 1;
	m->lru_head = m->lru_tail = NIL;
	m->count = 0;
	m->evictions = 0;
	m->full = 0;
}

static void lru_unlink(struct dl_map *m, uint32_t i)
{
	struct slot_hdr *h = hdr(m, i);
	uint32_t p = h->prev_lru, n = h->next_lru;

	if (p) hdr(m, p)->next_lru = n; else m->lru_head = n;
	if (n) hdr(m, n)->prev_lru = p; else m->lru_tail = p;
	h->prev_lru = h->next_lru = NIL;
}

/* Most recently used at the head. */
static void lru_push_front(struct dl_map *m, uint32_t i)
{
	struct slot_hdr *h = hdr(m, i);

	h->prev_lru = NIL;
	h->next_lru = m->lru_head;
	if (m->lru_head) hdr(m, m->lru_head)->prev_lru = i; else m->lru_tail = i;
	m->lru_head = i;
}

static uint32_t find(const struct dl_map *m, const void *key, uint64_t h, uint32_t **link_out)
{
	uint32_t *link = &m->bucket[h & (m->n_buckets - 1)];

	for (uint32_t i = *link; i; link = &hdr(m, i)->next, i = *link) {
		if (hdr(m, i)->hash == h && !memcmp(slot_key(m, i), key, m->key_size)) {
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
	struct slot_hdr *h = hdr(m, i);

	*link = h->next;
	if (m->type == DL_MAP_LRU_HASH)
		lru_unlink(m, i);
	h->next = m->free_head;
	m->free_head = i;
	h->hash = 0;
	h->used = 0;
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
	if (find(m, slot_key(m, victim), hdr(m, victim)->hash, &link) == victim) {
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
	if (!m->free_head && m->fresh > m->max_entries) {
		if (m->type != DL_MAP_LRU_HASH) {
			m->full++;
			return DL_E2BIG;
		}
		evict_one(m);
	}
	/* Reuse a freed slot first (most recently freed), else the next never-used one. */
	if (m->free_head) {
		i = m->free_head;
		m->free_head = hdr(m, i)->next;
	} else {
		i = m->fresh++;
	}
	hdr(m, i)->hash = h;
	hdr(m, i)->used = 1;
	memcpy(slot_key(m, i), key, m->key_size);
	memcpy(slot_val(m, i), value, m->value_size);
	{
		uint32_t *b = &m->bucket[h & (m->n_buckets - 1)];
		hdr(m, i)->next = *b;
		*b = i;
	}
	if (m->type == DL_MAP_LRU_HASH)
		lru_push_front(m, i);
	m->count++;
	return 0;
}

bool dl_map_next(const struct dl_map *m, uint32_t *pos, const void **key, void **value)
{
	for (uint32_t i = *pos + 1; i < m->fresh; i++) {
		if (hdr(m, i)->used) {
			*pos = i;
			*key = slot_key(m, i);
			*value = slot_val(m, i);
			return true;
		}
	}
	return false;
}
