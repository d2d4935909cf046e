/* map.c: the hash and LRU hash maps of map.h. A preallocated slab of slots, found through an
 * open-addressed index (linear probing, backward-shift deletion, never more than half full);
 * a doubly linked list over slot numbers orders slots by last use for LRU maps. Slot numbers
 * are 1-based so that 0 means "none" (and an empty index entry).
 *
 * Where the time goes on a big map is cache misses, so: an index entry is 32 hash bits and a
 * slot number in 8 bytes (a miss or a collision is settled in the index, without touching a
 * slot), the LRU links live in their own array (8 bytes a slot) rather than in the slots,
 * so relinking a neighbour touches a small, mostly cached array, and a big map's slots get
 * huge pages once it is in real use (advise_huge). */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS, madvise */
#endif
#include <stdlib.h>
#include "map_inline.h"
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define NIL DLM_NIL



/* Zeroed memory for a map array. On Linux big arrays are mapped on their own, so their pages
 * are only populated (zeroed by the kernel) when first touched: calloc would memset them once
 * glibc's moving mmap threshold serves them from the heap, which for Cilium's default map
 * sizes costs more than a short replay. */
#define BIG_ALLOC (4u << 20)
#define HUGE_AFTER (2u << 20) /* slab bytes in use before huge pages are worth asking for */

static void *zalloc(size_t n, size_t size)
{
#if defined(__linux__) && defined(MAP_ANONYMOUS)
	if (size && n <= SIZE_MAX / size && n * size >= BIG_ALLOC) {
		void *p = mmap(NULL, n * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
#endif
	return calloc(n, size);
}

static void zfree(void *p, size_t n, size_t size)
{
#if defined(__linux__) && defined(MAP_ANONYMOUS)
	if (p && n * size >= BIG_ALLOC) {
		munmap(p, n * size);
		return;
	}
#endif
	(void)n;
	(void)size;
	free(p);
}

/* Called once a map's slots in use pass HUGE_AFTER bytes: from then on its slot and LRU
 * arrays (on Linux, when mapped on their own) are asked for transparent huge pages. A lookup
 * in a big map lands on a random slot, and with 4 KiB pages most of those also miss the
 * TLB; a small map (a short replay with Cilium's default sizes) would only pay for zeroing
 * 2 MiB pages it hardly uses. The index is not asked: it is touched at random from the first
 * entry on, and its 8 bytes an entry stay within the TLB's reach longer. */
static void advise_huge(const struct dl_map *m)
{
#if defined(__linux__) && defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
	size_t slab = (size_t)m->max_entries * m->stride, lru = 2 * (size_t)m->max_entries * sizeof(*m->lru);

	if (slab >= BIG_ALLOC)
		madvise(m->slab, slab, MADV_HUGEPAGE);
	if (m->lru && lru >= BIG_ALLOC)
		madvise(m->lru, lru, MADV_HUGEPAGE);
#else
	(void)m;
#endif
}


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
	m->stride = (uint32_t)sizeof(struct slot_hdr) + dlm_align8(key_size) + dlm_align8(value_size);
	/* At most half full, so probes stay short and always reach an empty entry. */
	m->n_buckets = 8;
	while (m->n_buckets < 2 * max_entries)
		m->n_buckets <<= 1;
	m->bucket = zalloc(m->n_buckets, sizeof(*m->bucket));
	m->slab = zalloc(max_entries, m->stride);
	if (type == DL_MAP_LRU_HASH)
		m->lru = zalloc(2 * (size_t)max_entries, sizeof(*m->lru));
	if (!m->bucket || !m->slab || (type == DL_MAP_LRU_HASH && !m->lru)) {
		dl_map_free(m);
		return DL_ENOMEM;
	}
	/* Zeroed memory is already an empty map: slots are handed out from `fresh` on, so a
	 * large map costs no page touches until it is used (Cilium's defaults are big). */
	m->fresh = 1;
	return 0;
}

void dl_map_free(struct dl_map *m)
{
	zfree(m->bucket, m->n_buckets, sizeof(*m->bucket));
	zfree(m->lru, 2 * (size_t)m->max_entries, sizeof(*m->lru));
	zfree(m->slab, m->max_entries, m->stride);
	memset(m, 0, sizeof(*m));
}

void dl_map_clear(struct dl_map *m)
{
	memset(m->bucket, 0, m->n_buckets * sizeof(*m->bucket));
	/* Only slots handed out so far can hold anything. */
	for (uint32_t i = 1; i < m->fresh; i++)
		memset(dlm_hdr(m, i), 0, sizeof(struct slot_hdr));
	if (m->lru && m->fresh > 1)
		memset(m->lru, 0, 2 * (size_t)(m->fresh - 1) * sizeof(*m->lru));
	m->free_head = NIL;
	m->fresh = 1;
	m->lru_head = m->lru_tail = NIL;
	m->count = 0;
	m->evictions = 0;
	m->full = 0;
}

/* dlm_find_n with the key size made a constant for the common sizes, so hashing and comparing
 * compile to straight-line code. */
static uint32_t find(const struct dl_map *m, const void *key, uint32_t *hp, uint32_t *pos)
{
	switch (m->key_size) {
	case 4: return dlm_find_n(m, key, 4, hp, pos);
	case 8: return dlm_find_n(m, key, 8, hp, pos);
	case 16: return dlm_find_n(m, key, 16, hp, pos);
	case 20: return dlm_find_n(m, key, 20, hp, pos);
	case 24: return dlm_find_n(m, key, 24, hp, pos);
	case 40: return dlm_find_n(m, key, 40, hp, pos); /* CT and NAT tuples */
	default: return dlm_find_n(m, key, m->key_size, hp, pos);
	}
}

/* find_hn for a hash the caller already has (dl_map_hash). */
static uint32_t find_h(const struct dl_map *m, const void *key, uint32_t h, uint32_t *pos)
{
	if (m->key_size == 40)
		return dlm_find_hn(m, key, 40, h, pos);
	return dlm_find_hn(m, key, m->key_size, h, pos);
}

uint32_t dl_map_hash(const struct dl_map *m, const void *key)
{
	switch (m->key_size) {
	case 4: return dlm_hash_n(key, 4);
	case 40: return dlm_hash_n(key, 40);
	default: return dlm_hash_n(key, m->key_size);
	}
}

/* The index position of slot i (which is in the map). */
static uint32_t pos_of(const struct dl_map *m, uint32_t i)
{
	uint32_t mask = m->n_buckets - 1, p = dlm_hdr(m, i)->hash & mask;

	while ((uint32_t)m->bucket[p] != i)
		p = (p + 1) & mask;
	return p;
}

static void index_insert(struct dl_map *m, uint32_t h, uint32_t i)
{
	uint32_t mask = m->n_buckets - 1, p = h & mask;

	while (m->bucket[p])
		p = (p + 1) & mask;
	m->bucket[p] = (uint64_t)h << 32 | i;
}

/* Empties position p, moving later entries of the probe run back so none is cut off from its
 * home position (no tombstones). */
static void index_remove(struct dl_map *m, uint32_t p)
{
	uint32_t mask = m->n_buckets - 1, j = p;

	for (;;) {
		uint64_t e;
		uint32_t home;

		j = (j + 1) & mask;
		e = m->bucket[j];
		if (!e)
			break;
		home = (uint32_t)(e >> 32) & mask;
		/* An entry whose home lies cyclically in (p, j] is still reachable: it stays. */
		if (p <= j ? (p < home && home <= j) : (p < home || home <= j))
			continue;
		m->bucket[p] = e;
		p = j;
	}
	m->bucket[p] = 0;
}

void *dl_map_peek(const struct dl_map *m, const void *key)
{
	uint32_t h, pos, i = find(m, key, &h, &pos);
	return i ? dlm_slot_val(m, i) : NULL;
}


void *dl_map_lookup(struct dl_map *m, const void *key)
{
	uint32_t h, pos, i;

	/* The per-packet key sizes inlined: CT and NAT tuples, service keys, backend ids. */
	switch (m->key_size) {
	case 40: return dl_map_lookup_inline(m, key, 40, &h);
	case 24: return dl_map_lookup_inline(m, key, 24, &h);
	case 4: return dl_map_lookup_inline(m, key, 4, &h);
	default:
		i = find(m, key, &h, &pos);
		return i ? dlm_touch(m, i) : NULL;
	}
}

void *dl_map_lookup_hashed(struct dl_map *m, const void *key, uint32_t hash)
{
	uint32_t pos, i = find_h(m, key, hash, &pos);

	return i ? dlm_touch(m, i) : NULL;
}

static void remove_slot(struct dl_map *m, uint32_t i, uint32_t pos)
{
	struct slot_hdr *h = dlm_hdr(m, i);

	index_remove(m, pos);
	if (m->type == DL_MAP_LRU_HASH)
		dlm_lru_unlink(m, i);
	h->next = m->free_head;
	m->free_head = i;
	h->hash = 0;
	h->used = 0;
	m->count--;
}

int dl_map_delete(struct dl_map *m, const void *key)
{
	uint32_t h, pos, i = find(m, key, &h, &pos);

	if (!i)
		return DL_ENOENT;
	remove_slot(m, i, pos);
	return 0;
}

/* Evicts the least recently used entry of an LRU map. */
static void evict_one(struct dl_map *m)
{
	uint32_t victim = m->lru_tail;

	if (!victim)
		return;
	remove_slot(m, victim, pos_of(m, victim));
	m->evictions++;
}

/* dl_map_update with the key's hash known (computed here when has_hash is false). */
static int update(struct dl_map *m, const void *key, bool has_hash, uint32_t h, const void *value, uint64_t flags)
{
	uint32_t i, pos;

	if (flags > DL_BPF_EXIST)
		return DL_EINVAL;
	i = has_hash ? find_h(m, key, h, &pos) : find(m, key, &h, &pos);
	if (i) {
		if (flags == DL_BPF_NOEXIST)
			return DL_EEXIST;
		memcpy(dlm_touch(m, i), value, m->value_size);
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
		m->free_head = dlm_hdr(m, i)->next;
	} else {
		i = m->fresh++;
		if ((size_t)i * m->stride >= HUGE_AFTER && (size_t)(i - 1) * m->stride < HUGE_AFTER)
			advise_huge(m);
	}
	dlm_hdr(m, i)->hash = h;
	dlm_hdr(m, i)->next = NIL;
	dlm_hdr(m, i)->used = 1;
	memcpy(dlm_slot_key(m, i), key, m->key_size);
	memcpy(dlm_slot_val(m, i), value, m->value_size);
	index_insert(m, h, i);
	if (m->type == DL_MAP_LRU_HASH)
		dlm_lru_push_front(m, i);
	m->count++;
	return 0;
}

int dl_map_update(struct dl_map *m, const void *key, const void *value, uint64_t flags)
{
	return update(m, key, false, 0, value, flags);
}

int dl_map_update_hashed(struct dl_map *m, const void *key, uint32_t hash, const void *value, uint64_t flags)
{
	return update(m, key, true, hash, value, flags);
}

bool dl_map_next(const struct dl_map *m, uint32_t *pos, const void **key, void **value)
{
	for (uint32_t i = *pos + 1; i < m->fresh; i++) {
		if (dlm_hdr(m, i)->used) {
			*pos = i;
			*key = dlm_slot_key(m, i);
			*value = dlm_slot_val(m, i);
			return true;
		}
	}
	return false;
}
