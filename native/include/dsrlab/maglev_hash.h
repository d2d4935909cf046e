/* maglev_hash.h: packet side of Cilium's Maglev: jhash (bpf/lib/jhash.h), the tuple hash of
 * bpf/lib/hash.h as lb4/lb6_select_backend_id_maglev use it (bpf/lib/lb.h), and
 * slot = hash % M. Building the table is control-plane work and lives in maglev.h. */
#ifndef DSRLAB_MAGLEV_HASH_H
#define DSRLAB_MAGLEV_HASH_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which Cilium datapath's port word to emulate. The port word is
 * b = (hi << 16) | lo, where each port contributes LE16 of its two wire bytes (port 80,
 * bytes 00 50, gives 0x5000), exactly as the BPF code loads the __be16 fields on x86.
 * "client" is the packet's source port, "service" its destination (frontend) port. */
enum dl_maglev_hash_version {
	/* Since cilium/cilium PR #37353 "Fix hashing wrt port swap on maglev" (2025-01-30):
	 * b = (service << 16) | (affinity ? 0 : client). Pinned by
	 * bpf/tests/session_affinity_maglev_test.c. */
	DL_MAGLEV_HASH_CURRENT = 0,
	/* Immediately before #37353 (sport = affinity ? 0 : tuple->sport on the reversed CT
	 * tuple): b = (client << 16) | (affinity ? 0 : service). Under affinity the hash still
	 * varied with the client port; that was the bug. Inferred from the diff (maglev.md). */
	DL_MAGLEV_HASH_PRE_37353,
	/* Older releases, index = hash_from_tuple_v4/v6(tuple) % M with no affinity handling:
	 * b = (client << 16) | service, whether or not the service has affinity. */
	DL_MAGLEV_HASH_LEGACY,
};

/* Bob Jenkins' lookup3 / Linux jhash as in Cilium's bpf/lib/jhash.h. Whole 32-bit words of
 * key are loaded little-endian (what the BPF program does on x86 and arm64). */
uint32_t dl_jhash(const void *key, uint32_t length, uint32_t initval);
uint32_t dl_jhash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t initval);
uint32_t dl_jhash_2words(uint32_t a, uint32_t b, uint32_t initval);
uint32_t dl_jhash_1word(uint32_t a, uint32_t initval);

/* The port word b for a packet from client_port to service_port (both host order), per
 * version; affinity is the service's session-affinity flag. */
uint32_t dl_maglev_ports_word(uint16_t client_port, uint16_t service_port, bool affinity,
			      enum dl_maglev_hash_version version);

/* Workers, named after Cilium's __hash_from_tuple_v4/v6, taking the words already loaded.
 * v4: jhash_3words(saddr_le, ports, nexthdr, seed_jhash0), where saddr_le is the 4 source
 * address bytes read as a little-endian u32 (192.168.1.10 -> 0x0a01a8c0).
 * v6: p[0..3] are the four source-address words read little-endian; mix(p0,p1,p2), add
 * (p3, ports, nexthdr), mix, add seed_jhash1 to a only, final; returns c.
 * The destination address is deliberately not hashed, so a client lands on the same slot
 * index for every VIP. */
uint32_t __dl_hash_from_tuple_v4(uint32_t saddr_le, uint32_t ports, uint8_t nexthdr,
				 uint32_t seed_jhash0);
uint32_t __dl_hash_from_tuple_v6(const uint32_t saddr_le[4], uint32_t ports, uint8_t nexthdr,
				 uint32_t seed_jhash1);

/* The hash lb4_select_backend_id_maglev / lb6_select_backend_id_maglev computes for a new
 * connection. saddr is the client's address in network byte order; ports are host order;
 * nexthdr is the IP protocol (6, 17, 132); seed is maglev.hashSeed's jhash0 (IPv4) or
 * jhash1 (IPv6), see struct dl_maglev_seed. */
uint32_t dl_lb4_maglev_hash(const uint8_t saddr[4], uint16_t client_port, uint16_t service_port,
			    uint8_t nexthdr, bool affinity, enum dl_maglev_hash_version version,
			    uint32_t seed_jhash0);
uint32_t dl_lb6_maglev_hash(const uint8_t saddr[16], uint16_t client_port, uint16_t service_port,
			    uint8_t nexthdr, bool affinity, enum dl_maglev_hash_version version,
			    uint32_t seed_jhash1);

/* Slot in a table of size m (LB_MAGLEV_LUT_SIZE): u32 modulo, as the BPF code. m > 0. */
static inline uint32_t dl_maglev_slot(uint32_t hash, uint32_t m) { return hash % m; }

/* The table value for a hash: lut[hash % m]. lut holds m entries (backend IDs as in the BPF
 * inner map, or sorted indices as in struct dl_maglev_table's entry). */
static inline uint32_t dl_maglev_lookup(const uint32_t *lut, uint32_t m, uint32_t hash)
{
	return lut[hash % m];
}

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_MAGLEV_HASH_H */
