/* nat.h: the SNAT engine of Cilium's bpf/lib/nat.h: the per-family NAT maps, port
 * allocation with collision retries (snat_v4_new_mapping), reuse of an existing mapping,
 * the reverse lookup for replies (snat_v4_rev_nat), DSR NAT entries on the backend node
 * (snat_v4_create_dsr, xlate_dsr_v4's lookup), the agent's orphan purge, and a checker for the
 * SNAT bijection. Nothing here touches packet bytes: callers get the target address and port
 * and rewrite.c does the rewrite. Conntrack lives in ct.h.
 *
 * Every allocation or lookup is O(retries) map operations and never allocates memory; only
 * dl_snat_init and dl_snat_check_bijection do. */
#ifndef DSRLAB_NAT_H
#define DSRLAB_NAT_H

#include "dsrlab/common.h"
#include "dsrlab/map.h"
#include "dsrlab/codec.h"
#include "dsrlab/ct.h"
#include "dsrlab/drop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cilium's default NAT map size (bpf-nat-global-max). */
#define DL_SNAT_MAP_SIZE 524288u

/* enum nat_dir: the flag in a NAT tuple. Egress (forward) entries are keyed by the packet that
 * leaves and hold the new source; ingress (reverse) entries are keyed by the reply that comes
 * back and hold the original source, now the reply's destination. */
enum {
	NAT_DIR_EGRESS = TUPLE_F_OUT,
	NAT_DIR_INGRESS = TUPLE_F_IN,
};

/* bpf/lib/nat.h: "#define NAT_PUNT_TO_STACK DROP_NAT_NOT_NEEDED": not an error, the packet
 * continues on the normal path untranslated. */
#define NAT_PUNT_TO_STACK DROP_NAT_NOT_NEEDED

/* Largest SNAT_COLLISION_RETRIES any profile uses (the retry histogram has one more slot). */
#define DL_SNAT_MAX_RETRIES 128u

/* struct ipv4_nat_entry / ipv6_nat_entry. to_addr/to_port are to_saddr/to_sport in an egress
 * entry and to_daddr/to_dport in an ingress one (a union in Cilium). Port in host order. */
struct dl_nat_entry {
	uint64_t created;  /* "now" when it was made */
	uint64_t needs_ct;
	uint8_t to_addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t to_port;
	uint8_t dsr;       /* dsrlab only (Cilium's pad1): made by snat_create_dsr, has no reverse */
	uint8_t _pad[5];
};
DL_STATIC_ASSERT(sizeof(struct dl_nat_entry) == 40, "dl_nat_entry must have no hidden padding");

/* struct ipv4_nat_target, the part the allocator reads. */
struct dl_nat_target {
	uint8_t addr[16];   /* SNAT address (IPV4_DIRECT_ROUTING, or IPV4_GATEWAY in tunnel mode) */
	uint16_t min_port;  /* inclusive, host order: NODEPORT_PORT_MIN_NAT (32768) */
	uint16_t max_port;  /* inclusive: NODEPORT_PORT_MAX_NAT (65535, UNCONFIRMED) */
	bool needs_ct;      /* stored in both entries; tracking the connection is the caller's */
};

/* How a candidate port is squeezed into [min, max] (__snat_clamp_port_range). */
enum dl_snat_clamp {
	DL_SNAT_CLAMP_MODULO = 0, /* v1.14/1.15-era: (val % (max - min)) + min; never yields max */
	DL_SNAT_CLAMP_SCALED = 1, /* recent main: min + ((val * (max - min + 1)) >> 16) */
};

enum dl_snat_profile {
	DL_SNAT_PROFILE_V1_15 = 0,  /* v1.14/1.15-era nat.h, HAVE_LARGE_INSN_LIMIT */
	DL_SNAT_PROFILE_RECENT = 1, /* recent-main nat.h */
};

/* The version-dependent parts of the allocator. */
struct dl_snat_config {
	uint8_t clamp;              /* enum dl_snat_clamp */
	uint32_t collision_retries; /* SNAT_COLLISION_RETRIES: 128 (v1.15-era), 32 (recent); <= DL_SNAT_MAX_RETRIES */
	uint32_t signal_thres;      /* SNAT_SIGNAL_THRES: 64 / retries/2 */
	/* v1.14/1.15-era loop: look the reverse tuple up first, and on a failed insert of either
	 * half roll back and move on to the next candidate. Recent main inserts the reverse
	 * entry directly, and a failed forward insert ends the allocation. */
	bool lookup_before_create;
	/* Recent main: an existing mapping whose other half is missing (LRU eviction) gets it
	 * back; one whose source address is stale is recreated. */
	bool restore_missing_half;
};

/* Counters. The datapath's visible ones are no_mapping (drops) and the retry histogram
 * (cilium_snat_v4_alloc_retries, recent main; kept for every profile here). */
struct dl_snat_stats {
	uint64_t mappings;          /* pairs created by new_mapping */
	uint64_t reused;            /* egress packets that found their mapping */
	uint64_t no_mapping;        /* new_mapping ended in DROP_NAT_NO_MAPPING */
	uint64_t rollbacks;         /* forward insert failed, reverse entry removed again */
	uint64_t fill_up_signals;   /* retries > SNAT_SIGNAL_THRES: SIGNAL_NAT_FILL_UP to the agent */
	uint64_t restored;          /* missing halves put back (restore_missing_half) */
	uint64_t recreated;         /* stale mappings recreated (restore_missing_half) */
	uint64_t dsr_created;       /* snat_create_dsr updates */
	uint64_t purged;            /* entries removed by dl_snat_purge_orphans */
	uint64_t retries_hist[DL_SNAT_MAX_RETRIES + 1]; /* allocations by retries used */
};

/* A deterministic PRNG standing in for get_prandom_u32() (splitmix64). Owned by the caller
 * (inside struct dl_snat): the same seed gives the same ports. */
struct dl_prng {
	uint64_t state;
};

static inline void dl_prng_seed(struct dl_prng *r, uint64_t seed) { r->state = seed; }

static inline uint32_t dl_prng_u32(struct dl_prng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* The SNAT state of one node: cilium_snat_v4_external and cilium_snat_v6_external (LRU
 * hashes keyed by struct dl_ct_tuple in packet order, with NAT_DIR_* flags), the profile,
 * the PRNG and the counters. */
struct dl_snat {
	struct dl_map map4, map6;
	struct dl_snat_config cfg;
	struct dl_prng rng;
	struct dl_snat_stats stats;
};

/* Fills *cfg for a profile: V1_15 → modulo clamp, 128 retries, threshold 64, lookup first;
 * RECENT → scaled clamp, 32 retries, threshold 16, restore missing halves. */
void dl_snat_config_init(struct dl_snat_config *cfg, enum dl_snat_profile profile);

/* Allocates both maps (0 picks DL_SNAT_MAP_SIZE), copies *cfg and seeds the PRNG.
 * Returns 0, DL_ENOMEM, or DL_EINVAL (a size the map refuses, or collision_retries 0 or
 * above DL_SNAT_MAX_RETRIES). On failure nothing stays allocated. */
int dl_snat_init(struct dl_snat *s, uint32_t max4, uint32_t max6, const struct dl_snat_config *cfg, uint64_t seed);
void dl_snat_free(struct dl_snat *s);

/* ---- tuples ---- */

/* A NAT tuple (packet order, not the CT swap): zeroes *t and fills it. */
void dl_nat_tuple4_init(struct dl_ct_tuple *t, const uint8_t saddr[4], const uint8_t daddr[4], uint16_t sport,
			uint16_t dport, uint8_t nexthdr, uint8_t dir);
void dl_nat_tuple6_init(struct dl_ct_tuple *t, const uint8_t saddr[16], const uint8_t daddr[16], uint16_t sport,
			uint16_t dport, uint8_t nexthdr, uint8_t dir);

/* snat_v4_init_tuple plus the ports as snat_v4_nat / snat_v4_rev_nat read them: TCP, UDP and
 * SCTP ports as in the packet; ICMP(v6) echo request sport = id, dport = 0; echo reply
 * sport = 0, dport = id. dir is NAT_DIR_EGRESS or NAT_DIR_INGRESS.
 * Returns 0, DROP_NAT_UNSUPP_PROTO (other ICMP types; their embedded-packet handling is
 * icmp.c's), NAT_PUNT_TO_STACK (other protocols), DROP_INVALID (wrong family, or no L4 header). */
int dl_nat_tuple4_from_pkt(const struct dl_pkt_info *pi, uint8_t dir, struct dl_ct_tuple *t);
int dl_nat_tuple6_from_pkt(const struct dl_pkt_info *pi, uint8_t dir, struct dl_ct_tuple *t);

/* ---- allocation ---- */

/* __snat_clamp_port_range for the given clamp. Modulo with min == max divides by zero in C;
 * BPF's "x % 0 = x" is applied instead. */
uint16_t dl_snat_clamp_port_range(enum dl_snat_clamp clamp, uint16_t start, uint16_t end, uint16_t val);

/* __snat_try_keep_port: val when it lies in [start, end], else a clamped random port (one draw
 * from s->rng). */
uint16_t dl_snat_try_keep_port(struct dl_snat *s, uint16_t start, uint16_t end, uint16_t val);

/* snat_v4_new_mapping / snat_v6_new_mapping for the egress tuple *otuple (packet order,
 * NAT_DIR_EGRESS): picks a port as Cilium does — the client port if it lies in the target
 * range, else a random one; on each collision retry 0 takes a new random port and later ones
 * clamp(previous + 1) — and inserts the reverse (ingress) entry {saddr=otuple.daddr,
 * daddr=target.addr, sport=otuple.dport, dport=port, NAT_DIR_INGRESS} → {otuple.saddr,
 * otuple.sport} with BPF_NOEXIST, then the forward one *otuple → {target.addr, port}, also
 * NOEXIST; a failed forward insert removes the reverse entry again, so the pair exists
 * entirely or not at all. On success *ostate receives the forward entry.
 * Returns 0, or DROP_NAT_NO_MAPPING (every candidate collided, counted in stats.no_mapping;
 * or, in the recent profile, the forward insert failed). */
int dl_snat_v4_new_mapping(struct dl_snat *s, const struct dl_ct_tuple *otuple, struct dl_nat_entry *ostate,
			   const struct dl_nat_target *target, uint32_t now);
int dl_snat_v6_new_mapping(struct dl_snat *s, const struct dl_ct_tuple *otuple, struct dl_nat_entry *ostate,
			   const struct dl_nat_target *target, uint32_t now);

/* snat_v4_nat_handle_mapping without the CT part (the caller tracks the connection when
 * target.needs_ct): an existing forward entry for *tuple is reused (counted in stats.reused);
 * in the recent profile a missing reverse half is restored first, and a mapping whose
 * to_addr or needs_ct differs from the target is deleted (both halves) and made anew.
 * Without one, dl_snat_v4_new_mapping. *state receives a copy of the forward entry.
 * Returns 0, or DROP_NAT_NO_MAPPING. */
int dl_snat_v4_nat_handle_mapping(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
				  const struct dl_nat_target *target, uint32_t now);
int dl_snat_v6_nat_handle_mapping(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
				  const struct dl_nat_target *target, uint32_t now);

/* snat_v4_rev_nat_can_skip: the reply's destination port lies outside [min, max]. */
bool dl_snat_rev_nat_can_skip(const struct dl_nat_target *target, const struct dl_ct_tuple *tuple);

/* The lookup part of snat_v4_rev_nat: for a reply tuple (packet order, NAT_DIR_INGRESS,
 * dst = target.addr:port) finds the ingress entry; *state receives its copy: to_addr/to_port
 * is the original client, the reply's new destination. The recent profile restores a missing
 * forward half first.
 * Returns 0, NAT_PUNT_TO_STACK (port outside the range: not ours), or DROP_NAT_NO_MAPPING (no
 * entry; tail_nodeport_nat_ingress treats both as "back to the normal path"). */
int dl_snat_v4_rev_nat(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
		       const struct dl_nat_target *target, uint32_t now);
int dl_snat_v6_rev_nat(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
		       const struct dl_nat_target *target, uint32_t now);

/* snat_v4_lookup: the entry under a NAT tuple, or NULL (marks it used for LRU). The pointer
 * is valid until the next update or delete of the map. */
const struct dl_nat_entry *dl_snat_v4_lookup(struct dl_snat *s, const struct dl_ct_tuple *tuple);
const struct dl_nat_entry *dl_snat_v6_lookup(struct dl_snat *s, const struct dl_ct_tuple *tuple);

/* snat_v4_delete_tuples style removal of a mapping given its forward (egress) tuple: deletes
 * the forward entry and the reverse one it points to. Returns 0 or DL_ENOENT. */
int dl_snat_v4_delete(struct dl_snat *s, const struct dl_ct_tuple *otuple);
int dl_snat_v6_delete(struct dl_snat *s, const struct dl_ct_tuple *otuple);

/* ---- DSR (backend node) ---- */

/* snat_v4_create_dsr: "Expects to be called with a nodeport-level CT tuple (ie. CT_EGRESS)
 * extracted from a request packet, on CT_NEW (ie. the tuple is reversed)": *ct_tuple is that
 * CT tuple, {saddr=backend, daddr=client} in the CT port layout. Stores, with a plain update
 * that overwrites, the reply-direction entry {saddr=backend, daddr=client,
 * sport=backend_port, dport=client_port, TUPLE_F_OUT} → {to_saddr, to_sport} (the VIP and
 * service port from the DSR option). There is no reverse half.
 * Returns 0, or DROP_NAT_NO_MAPPING when the update fails. */
int dl_snat_v4_create_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple, const uint8_t to_saddr[4],
			  uint16_t to_sport, uint32_t now);
int dl_snat_v6_create_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple, const uint8_t to_saddr[16],
			  uint16_t to_sport, uint32_t now);

/* The lookup of xlate_dsr_v4/v6 on the backend node's egress: *ct_tuple is the CT tuple of
 * the reply (CT layout, as a CT_EGRESS lookup left it); its ports are put back in packet
 * order with NAT_DIR_EGRESS, and the DSR entry found, if any, gives the new source.
 * Returns the entry or NULL (then the reply leaves untranslated). */
const struct dl_nat_entry *dl_snat_v4_lookup_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple);
const struct dl_nat_entry *dl_snat_v6_lookup_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple);

/* ---- agent side ---- */

/* PurgeOrphanNATEntries (pkg/maps/ctmap/gc): after a CT GC, deletes every NAT entry with no
 * CT entry left: an egress entry lives while the CT key made from it (addresses swapped,
 * "Workaround #5848", TUPLE_F_OUT) or the DSR CT key (ports swapped) exists; an ingress entry
 * while the egress CT key made from it and its value exists. The key derivations are read
 * from the agent's Go code; the exact conditions of the version in use are UNCONFIRMED.
 * Returns how many entries were deleted (counted in stats.purged). */
uint32_t dl_snat_purge_orphans(struct dl_snat *s, struct dl_ct_maps *ct);

/* ---- invariant ---- */

/* What dl_snat_check_bijection found. DSR entries take no part (they are one-sided and many
 * flows share one VIP:port), and are only counted. */
struct dl_snat_bijection {
	uint32_t forward, reverse, dsr;   /* live entries by kind */
	uint32_t forward_without_reverse; /* egress entry whose reverse key is absent */
	uint32_t reverse_without_forward; /* ingress entry whose forward key is absent */
	uint32_t mismatched;              /* the other half exists but points elsewhere */
	uint32_t duplicates;              /* extra egress entries sharing (to_addr, to_port,
					   * proto, peer addr, peer port) with another */
};

/* Checks the SNAT bijection over one NAT map: every live forward entry has its reverse and
 * vice versa, each pointing back at the other, and no two live forward entries share
 * (to_addr, to_port, proto, peer). LRU eviction can legitimately leave halves behind; the
 * counts tell which rule broke. Reads only (no LRU effect). Allocates scratch memory.
 * Returns 0 when everything holds, 1 when a rule is broken, DL_ENOMEM. */
int dl_snat_check_bijection(const struct dl_map *map, struct dl_snat_bijection *out);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_NAT_H */
