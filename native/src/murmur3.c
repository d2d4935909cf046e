/* murmur3.c: MurmurHash3_x64_128 as Cilium's pkg/murmur3/murmur3.go computes it (the smhasher
 * reference). Table building that uses it lives in maglev.c; packet hashing is jhash, in
 * maglev_hash.c. */
#include "dsrlab/murmur3.h"

#define C1 0x87c37b91114253d5ULL
#define C2 0x4cf5ad432745937fULL

static inline uint64_t rotl64(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static inline uint64_t rd64le(const uint8_t *p)
{
	return (uint64_t)dl_rd32le(p) | ((uint64_t)dl_rd32le(p + 4) << 32);
}

void dl_murmur3_x64_128(const void *data, size_t len, uint32_t seed, uint64_t *h1p, uint64_t *h2p)
{
	const uint8_t *p = data;
	size_t nblocks = len / 16;
	uint64_t h1 = seed, h2 = seed;
	uint64_t k1 = 0, k2 = 0;

	for (size_t i = 0; i < nblocks; i++, p += 16) {
		k1 = rd64le(p);
		k2 = rd64le(p + 8);

		k1 *= C1; k1 = rotl64(k1, 31); k1 *= C2; h1 ^= k1;
		h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
		k2 *= C2; k2 = rotl64(k2, 33); k2 *= C1; h2 ^= k2;
		h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
	}

	/* Tail: bytes 8..14 go to k2, bytes 0..7 to k1, little-endian (smhasher's switch). */
	size_t tail = len & 15;
	k1 = 0;
	k2 = 0;
	for (size_t i = tail; i > 8; i--)
		k2 ^= (uint64_t)p[i - 1] << (8 * (i - 9));
	if (tail > 8) {
		k2 *= C2; k2 = rotl64(k2, 33); k2 *= C1; h2 ^= k2;
	}
	for (size_t i = tail < 8 ? tail : 8; i > 0; i--)
		k1 ^= (uint64_t)p[i - 1] << (8 * (i - 1));
	if (tail > 0) {
		k1 *= C1; k1 = rotl64(k1, 31); k1 *= C2; h1 ^= k1;
	}

	h1 ^= (uint64_t)len;
	h2 ^= (uint64_t)len;
	h1 += h2;
	h2 += h1;
	h1 = fmix64(h1);
	h2 = fmix64(h2);
	h1 += h2;
	h2 += h1;
	*h1p = h1;
	*h2p = h2;
}
