/* test_map.c: the BPF-style hash and LRU hash maps: update flags, full-map behaviour, LRU
 * eviction order, deletes, iteration, and a randomized comparison against a naive model. */
#include <stdio.h>
#include <stdlib.h>
#include "dsrlab/map.h"

static int passed, failed;
#define CHECK(c) do { if (c) passed++; else { failed++; fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); } } while (0)

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static void test_hash_flags(void)
{
	struct dl_map m;
	uint32_t k = 1, v = 10, *p;

	CHECK(dl_map_init(&m, DL_MAP_HASH, 4, 4, 2) == 0);
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_EXIST) == DL_ENOENT);
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_NOEXIST) == 0);
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_NOEXIST) == DL_EEXIST);
	v = 11;
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_EXIST) == 0);
	CHECK((p = dl_map_lookup(&m, &k)) && *p == 11);
	k = 2;
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_ANY) == 0);
	k = 3;
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_ANY) == DL_E2BIG);
	CHECK(m.full == 1 && m.count == 2);
	k = 1;
	CHECK(dl_map_delete(&m, &k) == 0);
	CHECK(dl_map_delete(&m, &k) == DL_ENOENT);
	k = 3;
	CHECK(dl_map_update(&m, &k, &v, DL_BPF_ANY) == 0);
	CHECK(dl_map_update(&m, &k, &v, 7) == DL_EINVAL);
	dl_map_free(&m);
	CHECK(dl_map_init(&m, DL_MAP_HASH, 0, 4, 2) == DL_EINVAL);
	CHECK(dl_map_init(&m, (enum dl_map_type)5, 4, 4, 2) == DL_EINVAL);
}

static void test_lru(void)
{
	struct dl_map m;
	uint32_t v = 0;

	CHECK(dl_map_init(&m, DL_MAP_LRU_HASH, 4, 4, 3) == 0);
	for (uint32_t k = 1; k <= 3; k++)
		CHECK(dl_map_update(&m, &k, &k, DL_BPF_ANY) == 0);
	uint32_t k1 = 1;
	CHECK(dl_map_lookup(&m, &k1) != NULL); /* 1 is now most recent; 2 is least */
	uint32_t k4 = 4;
	CHECK(dl_map_update(&m, &k4, &v, DL_BPF_ANY) == 0);
	uint32_t k2 = 2, k3 = 3;
	CHECK(dl_map_peek(&m, &k2) == NULL);
	CHECK(dl_map_peek(&m, &k1) && dl_map_peek(&m, &k3) && dl_map_peek(&m, &k4));
	CHECK(m.evictions == 1 && m.count == 3);
	/* peek does not refresh: 3 is now least recent. */
	uint32_t k5 = 5;
	CHECK(dl_map_update(&m, &k5, &v, DL_BPF_ANY) == 0);
	CHECK(dl_map_peek(&m, &k3) == NULL);
	uint32_t pos = 0, n = 0;
	const void *key;
	void *val;
	while (dl_map_next(&m, &pos, &key, &val))
		n++;
	CHECK(n == 3);
	dl_map_free(&m);
}

/* Random operations against a brute-force model (an array of present keys) with a small key
 * space so collisions, deletes and refills all happen. */
static void test_model(enum dl_map_type type)
{
	enum { MAX = 64, KEYS = 200 };
	struct dl_map m;
	int present[KEYS] = {0};
	uint32_t vals[KEYS] = {0};
	uint64_t last_use[KEYS] = {0}, tick = 0;
	int count = 0;

	CHECK(dl_map_init(&m, type, 12, 4, MAX) == 0);
	for (int it = 0; it < 200000; it++) {
		uint32_t key[3] = {(uint32_t)(xorshift() % KEYS), 0xabcd, 7};
		uint32_t k = key[0];
		int op = (int)(xorshift() % 3);
		if (op == 0) {
			uint32_t *p = dl_map_lookup(&m, key);
			if ((p != NULL) != present[k] || (p && *p != vals[k])) { CHECK(0); break; }
			if (p) last_use[k] = ++tick;
		} else if (op == 1) {
			uint32_t v = (uint32_t)xorshift();
			int rc = dl_map_update(&m, key, &v, DL_BPF_ANY);
			if (!present[k] && count == MAX) {
				if (type == DL_MAP_HASH) { if (rc != DL_E2BIG) { CHECK(0); break; } continue; }
				/* The model evicts its least recently used key. */
				int victim = -1;
				for (int j = 0; j < KEYS; j++)
					if (present[j] && (victim < 0 || last_use[j] < last_use[victim])) victim = j;
				present[victim] = 0;
				count--;
			}
			if (rc != 0) { CHECK(0); break; }
			if (!present[k]) count++;
			present[k] = 1;
			vals[k] = v;
			last_use[k] = ++tick;
		} else {
			int rc = dl_map_delete(&m, key);
			if ((rc == 0) != present[k]) { CHECK(0); break; }
			if (present[k]) count--;
			present[k] = 0;
		}
		if ((int)m.count != count) { CHECK(0); break; }
	}
	CHECK(1);
	dl_map_free(&m);
}

int main(void)
{
	test_hash_flags();
	test_lru();
	test_model(DL_MAP_HASH);
	test_model(DL_MAP_LRU_HASH);
	printf("test_map: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
