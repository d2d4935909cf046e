/* maglev.h: control-plane side of Cilium's Maglev: seed decoding, table-size validation,
 * backend hash strings and lookup-table building, bit-exact with pkg/maglev/maglev.go.
 * The packet side (jhash of the tuple, slot = hash % M) lives in maglev_hash.h. */
#ifndef DSRLAB_MAGLEV_H
#define DSRLAB_MAGLEV_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. Every function that can fail returns 0 or one of these, and when it takes an
 * err/errlen pair it also writes one sentence there naming the key, the value and the rule. */
enum dl_maglev_err {
	DL_MAGLEV_OK = 0,
	DL_MAGLEV_ERR_SEED = -1,        /* maglev.hashSeed is not base64 of exactly 12 bytes */
	DL_MAGLEV_ERR_TABLE_SIZE = -2,  /* maglev.tableSize is not one of DL_MAGLEV_TABLE_SIZES */
	DL_MAGLEV_ERR_NO_BACKENDS = -3, /* n == 0: Cilium builds no table and deletes the map entry */
	DL_MAGLEV_ERR_TOO_MANY = -4,    /* n or the buffer size does not fit the index types */
	DL_MAGLEV_ERR_BUF = -5,         /* a caller-supplied buffer is too small */
	DL_MAGLEV_ERR_NOMEM = -6,       /* malloc failed */
	DL_MAGLEV_ERR_INVAL = -7,       /* NULL argument, unknown family or L4 type */
	DL_MAGLEV_ERR_STUCK = -8,       /* fill made no progress (non-prime M, or the float weight
	                                 * counters rounded so that every backend skips its turn,
	                                 * where Cilium would loop forever) */
};

/* Cilium's defaults (pkg/maglev: DefaultHashSeed, DefaultTableSize). */
#define DL_MAGLEV_DEFAULT_SEED "JLfvgnHc2kaSUFaI"
#define DL_MAGLEV_DEFAULT_M 16381u

/* The only table sizes Cilium accepts (--bpf-lb-maglev-table-size, Helm maglev.tableSize),
 * all prime. This macro is the one place the list is written; dl_maglev_table_sizes[] and the
 * error text are generated from it. */
#define DL_MAGLEV_TABLE_SIZES 251u, 509u, 1021u, 2039u, 4093u, 8191u, 16381u, 32749u, 65521u, 131071u
extern const uint32_t dl_maglev_table_sizes[];
extern const size_t dl_maglev_table_sizes_count;

/* True when m is one of DL_MAGLEV_TABLE_SIZES. */
bool dl_maglev_table_size_is_supported(uint32_t m);

/* Validate maglev.tableSize. Returns 0, or DL_MAGLEV_ERR_TABLE_SIZE with a message naming the
 * value and the allowed set in err (err may be NULL; errlen 0 writes nothing). */
int dl_maglev_table_size_check(uint32_t m, char *err, size_t errlen);

/* What Cilium derives from maglev.hashSeed: the 12 decoded bytes cut into three big-endian
 * u32 values (pkg/maglev Init). */
struct dl_maglev_seed {
	uint32_t murmur; /* bytes 0..3: MurmurHash3 seed for the backend permutations */
	uint32_t jhash0; /* bytes 4..7: IPv4 packet hash seed (HASH_INIT4_SEED / hash_init4_seed) */
	uint32_t jhash1; /* bytes 8..11: IPv6 packet hash seed (HASH_INIT6_SEED / hash_init6_seed) */
};

/* Decode maglev.hashSeed, a NUL-terminated string, the way Cilium does: Go's
 * base64.StdEncoding (standard alphabet, '=' padding required, CR and LF ignored) and the
 * result must be exactly 12 bytes. On success fills *out and returns 0. Otherwise returns
 * DL_MAGLEV_ERR_SEED (or DL_MAGLEV_ERR_INVAL for NULL b64/out), leaves *out untouched and
 * writes a message quoting the value and the rule to err. */
int dl_maglev_seed_decode(const char *b64, struct dl_maglev_seed *out, char *err, size_t errlen);

/* Cilium's loadbalancer.L4Type, whose string goes into the backend hash string. */
enum dl_maglev_l4 {
	DL_MAGLEV_L4_NONE = 0,
	DL_MAGLEV_L4_ANY,
	DL_MAGLEV_L4_TCP,
	DL_MAGLEV_L4_UDP,
	DL_MAGLEV_L4_SCTP,
};

/* "NONE", "ANY", "TCP", "UDP", "SCTP"; NULL for anything else. */
const char *dl_maglev_l4_name(unsigned l4);

/* A backend as Cilium's BackendInfo sees it, for formatting its hash string. Node name, pod
 * name, backend ID, state and weight are not part of the string. */
struct dl_maglev_backend_desc {
	uint8_t family;      /* 4 or 6 */
	uint8_t scope;       /* 0 = external, 1 = internal (ScopeInternal, adds "/i") */
	uint8_t l4;          /* enum dl_maglev_l4 */
	uint16_t port;       /* backend (target) port, host order */
	uint32_t cluster_id; /* clustermesh cluster ID; 0 = none, else "@<id>" follows the address */
	uint8_t addr[16];    /* network order; IPv4 uses addr[0..3] */
};

/* Longest hash string plus its NUL:
 * "[[" + "ffff:...:ffff" (39) + "@4294967295" + "]:65535/SCTP/i,State:active]". */
#define DL_MAGLEV_HASH_STRING_MAX 96

/* Format d as Cilium's BackendInfo hash string (the MurmurHash3 input and the sort key):
 *   IPv4: "[" addr ["@" cluster] ":" port "/" L4 ["/i"] ",State:active]"
 *   IPv6: "[[" addr ["@" cluster] "]:" port "/" L4 ["/i"] ",State:active]"
 * The address is Go's netip.Addr.String(): dotted quad, RFC 5952 for IPv6, "::ffff:a.b.c.d"
 * for IPv4-mapped IPv6. ",State:active" is hard-coded, as in Cilium, whatever the real state.
 * Writes a NUL-terminated string to buf and returns its length (without the NUL), or
 * DL_MAGLEV_ERR_INVAL for a bad family/L4 type, DL_MAGLEV_ERR_BUF when buflen is too small
 * (DL_MAGLEV_HASH_STRING_MAX always suffices). */
int dl_maglev_backend_hash_string(const struct dl_maglev_backend_desc *d, char *buf, size_t buflen);

/* One builder input: a backend's hash string (from dl_maglev_backend_hash_string, or
 * precomputed by the caller) and its weight. The bytes are borrowed for the duration of the
 * build call only and need not be NUL-terminated. */
struct dl_maglev_backend {
	const char *hash_string;
	size_t hash_len;
	uint16_t weight; /* Cilium Backend.Weight (u16); Kubernetes default is 100 */
};

/* A built table. Index i below always means position i in the sorted order (ascending
 * byte-wise hash string), which is the order Cilium works in. */
struct dl_maglev_table {
	uint32_t m;          /* table size M */
	uint32_t n;          /* number of backends N */
	bool weights_used;   /* Cilium's rule: (sum of weights) / N > 1, integer division */
	uint32_t *entry;     /* [m]: sorted index of the backend owning each slot */
	uint32_t *order;     /* [n]: order[i] = caller's input index of sorted backend i */
	uint32_t *offset;    /* [n]: h1 % M for sorted backend i */
	uint32_t *skip;      /* [n]: h2 % (M - 1) + 1 for sorted backend i */
	void *owned;         /* block to free in dl_maglev_table_free; NULL if caller's buffer */
};

/* Bytes dl_maglev_build needs in a caller-supplied buffer for n backends and table size m
 * (outputs plus scratch, alignment slack included). Returns 0 when the size overflows. */
size_t dl_maglev_build_bufsize(uint32_t n, uint32_t m);

/* Build Cilium's Maglev lookup table for n backends with table size m and the murmur seed.
 *
 * Memory: if buf is non-NULL it must hold dl_maglev_build_bufsize(n, m) bytes (any
 * alignment); every output array in *out then points into buf, the caller keeps ownership
 * and must keep buf alive while using *out, and out->owned is NULL. If buf is NULL the
 * function mallocs one block, out->owned points at it and the caller releases it with
 * dl_maglev_table_free(out). No N x M permutation is ever stored: memory is O(N + M).
 *
 * Returns 0 on success; DL_MAGLEV_ERR_INVAL (NULL backends/out, or a NULL hash_string with
 * non-zero length), DL_MAGLEV_ERR_TABLE_SIZE, DL_MAGLEV_ERR_NO_BACKENDS,
 * DL_MAGLEV_ERR_TOO_MANY, DL_MAGLEV_ERR_BUF, DL_MAGLEV_ERR_NOMEM or DL_MAGLEV_ERR_STUCK, with a
 * message in err. On failure *out is zeroed and nothing is left allocated.
 *
 * Two backends with identical hash strings keep their input order (Cilium never sees such
 * duplicates, since backends are keyed by address). */
int dl_maglev_build(const struct dl_maglev_backend *backends, uint32_t n, uint32_t m,
		    uint32_t seed_murmur, void *buf, size_t buflen, struct dl_maglev_table *out,
		    char *err, size_t errlen);

/* Free a table built with buf == NULL and zero *t. Safe on a zeroed table and on a table in
 * a caller's buffer (then it only zeroes *t). */
void dl_maglev_table_free(struct dl_maglev_table *t);

/* Produce what Cilium writes to the BPF inner map: lut[k] = ids_by_input[order[entry[k]]]
 * for k in 0..m-1, where ids_by_input[j] is the node-local backend ID of the caller's
 * backend j. lut must hold t->m values. */
void dl_maglev_table_ids(const struct dl_maglev_table *t, const uint32_t *ids_by_input, uint32_t *lut);

/* offset = h1 % m and skip = h2 % (m - 1) + 1, where (h1, h2) = MurmurHash3_x64_128 of the
 * hash string with seed_murmur (Cilium getOffsetAndSkip). m must be at least 2. */
void dl_maglev_offset_skip(const char *hash_string, size_t len, uint32_t seed_murmur, uint32_t m,
			   uint32_t *offset, uint32_t *skip);

/* Worker behind dl_maglev_build: fill entry[0..m-1] from per-backend offsets and skips (in
 * sorted order) with Cilium's turn rules, computing permutation entry j of backend i,
 * (offset[i] + j * skip[i]) mod m, incrementally instead of storing it. weight is NULL for
 * plain round robin, else the n weights, and Cilium's weightsUsed rule (sum / n > 1, integer
 * division) decides whether they matter. Scratch: pos[n], cntr[n] (unused when weight is
 * NULL) and used[(m + 63) / 64]. Needs n >= 1, m >= 2, offset[i] < m, skip[i] in 1..m-1 and
 * coprime to m (always true for prime m). Returns 0, DL_MAGLEV_ERR_INVAL for arguments out of
 * those ranges, or DL_MAGLEV_ERR_STUCK. Exposed for tests (the paper's M = 7 example). */
int __dl_maglev_fill(uint32_t n, uint32_t m, const uint32_t *offset, const uint32_t *skip,
		     const uint16_t *weight, uint32_t *entry, uint32_t *pos, double *cntr, uint64_t *used);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_MAGLEV_H */
