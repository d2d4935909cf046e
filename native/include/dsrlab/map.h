/* map.h: BPF-style maps for the emulated datapath: a hash map and an LRU hash map with fixed
 * key and value sizes and a maximum entry count, with the update flags and full-map behaviour
 * of the kernel's BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_LRU_HASH. What each map holds (conntrack,
 * NAT, services ...) is defined by its user (ct.h, nat.h, lb.h), not here.
 *
 * Not thread-safe. Deterministic: no randomness, iteration in slot order. The kernel's LRU is
 * approximate (per-CPU lists, a reference bit); this one is exact least-recently-used, which
 * is what the kernel's converges to for a single CPU, and which makes runs repeatable. */
#ifndef DSRLAB_MAP_H
#define DSRLAB_MAP_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dl_map_type { DL_MAP_HASH = 1, DL_MAP_LRU_HASH = 9 }; /* the kernel's BPF_MAP_TYPE_* numbers */

/* Update flags, as bpf_map_update_elem takes them. */
enum { DL_BPF_ANY = 0, DL_BPF_NOEXIST = 1, DL_BPF_EXIST = 2 };

/* Errors, as the kernel returns them (negative errno). */
enum { DL_ENOENT = -2, DL_E2BIG = -7, DL_ENOMEM = -12, DL_EEXIST = -17, DL_EINVAL = -22 };

struct dl_map {
	uint32_t type;        /* enum dl_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t count;       /* live entries */
	uint64_t evictions;   /* LRU: entries pushed out to make room */
	uint64_t full;        /* HASH: inserts refused because the map was full */
	/* private: an open-addressed index (linear probing, at most half full) whose entries
	 * hold 32 bits of the key's hash beside the slot number, so a miss or a collision is
	 * told apart without touching a slot; slots (a small header, the key, the value in one
	 * stride); LRU links kept apart from the slots, two per slot. */
	uint32_t n_buckets, stride, free_head, fresh, lru_head, lru_tail;
	uint64_t *bucket;
	uint32_t *lru;
	uint8_t *slab;
};

/* Sets up an empty map; allocates max_entries slots up front, as the kernel preallocates.
 * Returns 0, DL_EINVAL (a size of 0, or a type that is not HASH or LRU_HASH), DL_ENOMEM. */
int dl_map_init(struct dl_map *m, enum dl_map_type type, uint32_t key_size, uint32_t value_size,
		uint32_t max_entries);
void dl_map_free(struct dl_map *m);

/* Removes every entry (counters too); the map stays usable. */
void dl_map_clear(struct dl_map *m);

/* Returns a pointer to the value for key, or NULL. The pointer stays valid until the entry is
 * deleted or evicted. In an LRU map a lookup marks the entry as recently used. */
void *dl_map_lookup(struct dl_map *m, const void *key);

/* Same, without touching LRU order (for dumps and tests). */
void *dl_map_peek(const struct dl_map *m, const void *key);

/* Inserts or replaces key's value.
 * Returns 0, DL_EEXIST (NOEXIST and the key is present), DL_ENOENT (EXIST and it is absent),
 * DL_E2BIG (a full HASH map; counted in m->full), DL_EINVAL (bad flags).
 * A full LRU map evicts its least recently used entry (counted in m->evictions). */
int dl_map_update(struct dl_map *m, const void *key, const void *value, uint64_t flags);

/* Returns 0, or DL_ENOENT. */
int dl_map_delete(struct dl_map *m, const void *key);

/* The per-packet shortcut for a key looked up and then inserted (or looked up twice): its
 * hash once, and the calls above taking it. hash must be dl_map_hash(m, key) for the key
 * bytes as they are at the call (it depends on the key and the key size only, not on the
 * map's contents); results, counters and LRU order are exactly those of the plain calls. */
uint32_t dl_map_hash(const struct dl_map *m, const void *key);
void *dl_map_lookup_hashed(struct dl_map *m, const void *key, uint32_t hash);
int dl_map_update_hashed(struct dl_map *m, const void *key, uint32_t hash, const void *value, uint64_t flags);

/* Iteration in slot order: start with *pos = 0; returns false at the end. */
bool dl_map_next(const struct dl_map *m, uint32_t *pos, const void **key, void **value);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_MAP_H */
