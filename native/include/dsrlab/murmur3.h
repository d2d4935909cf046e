/* murmur3.h: MurmurHash3_x64_128, bit-exact with Cilium's pkg/murmur3 (Hash128), which is
 * smhasher's reference algorithm. Only the Maglev table builder uses it; see maglev.h. */
#ifndef DSRLAB_MURMUR3_H
#define DSRLAB_MURMUR3_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hash len bytes at data (data may be NULL when len is 0) with a 32-bit seed, as Cilium's
 * murmur3.Hash128(data, seed) does: h1 = h2 = seed zero-extended to 64 bits, 16-byte blocks
 * read as two little-endian u64, smhasher tail and fmix64. Writes the two halves to *h1 and
 * *h2 (both required).
 *
 * Cilium loads blocks in host order, so its results are only defined on little-endian hosts
 * (every platform Cilium ships on). We load little-endian explicitly, so this function gives
 * those same values on any host. */
void dl_murmur3_x64_128(const void *data, size_t len, uint32_t seed, uint64_t *h1, uint64_t *h2);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_MURMUR3_H */
