/* lb.h: services, backends and backend selection, as Cilium's bpf/lib/lb.h keeps them: a
 * service map keyed by frontend (address, port, protocol, scope) whose master entry holds the
 * backend count, flags and reverse-NAT index; backend slots; a backend map; the reverse-NAT
 * map; per-service Maglev tables; and random or Maglev selection. The control plane (which
 * backends a node installs for which scope) is the caller's: it fills these tables through
 * dl_lb_add_service. Conntrack and the DNAT itself live in ct.h and rewrite.h. */
#ifndef DSRLAB_LB_H
#define DSRLAB_LB_H

#include "dsrlab/common.h"
#include "dsrlab/map.h"
#include "dsrlab/maglev_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Master-entry flags (bpf/lib/lb.h SVC_FLAG_*) */
#define DL_SVC_FLAG_EXTERNAL_IP     (1u << 0)
#define DL_SVC_FLAG_NODEPORT        (1u << 1)
#define DL_SVC_FLAG_EXT_LOCAL_SCOPE (1u << 2)
#define DL_SVC_FLAG_HOSTPORT        (1u << 3)
#define DL_SVC_FLAG_AFFINITY        (1u << 4)
#define DL_SVC_FLAG_LOADBALANCER    (1u << 5)
#define DL_SVC_FLAG_ROUTABLE        (1u << 6)
#define DL_SVC_FLAG_SOURCE_RANGE    (1u << 7)
/* flags2 */
#define DL_SVC_FLAG2_INT_LOCAL_SCOPE (1u << 4)
#define DL_SVC_FLAG2_TWO_SCOPES      (1u << 5)
#define DL_SVC_FLAG2_FWD_MODE_DSR    (1u << 7)

/* Lookup scopes (LB_LOOKUP_SCOPE_*): external (N-S) and internal (E-W) */
enum { DL_LB_SCOPE_EXT = 0, DL_LB_SCOPE_INT = 1 };

/* Selection algorithms, as the master entry's upper affinity_timeout byte names them. */
enum dl_lb_algorithm { DL_LB_ALG_DEFAULT = 0, DL_LB_ALG_RANDOM = 1, DL_LB_ALG_MAGLEV = 2 };

/* Backend states (struct lb4_backend.flags) */
enum { DL_BE_ACTIVE = 0, DL_BE_TERMINATING = 1, DL_BE_QUARANTINED = 2, DL_BE_MAINTENANCE = 3 };

struct dl_lb_key {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;    /* host order; 0 with proto 0 is the wildcard "known VIP" entry */
	uint8_t proto;    /* IPPROTO_*, 0 for the wildcard */
	uint8_t scope;    /* DL_LB_SCOPE_* */
	uint8_t family;   /* 4 or 6 */
	uint8_t pad[3];
};

struct dl_lb_backend {
	uint8_t addr[16];
	uint16_t port;      /* host order */
	uint8_t proto;
	uint8_t flags;      /* DL_BE_* */
	uint8_t family;
	uint8_t cluster_id;
	uint16_t zone;      /* caller's zone number, 0 = none */
	uint32_t host;      /* the emulation's host id of the pod (not a Cilium field) */
};

struct dl_lb_service {
	uint32_t rev_nat_index;     /* the service ID */
	uint16_t count;             /* active backend slots */
	uint16_t flags;             /* DL_SVC_FLAG_* */
	uint16_t flags2;            /* DL_SVC_FLAG2_* */
	uint8_t algorithm;          /* DL_LB_ALG_* */
	uint32_t affinity_timeout;  /* seconds (24 bits in Cilium) */
	uint32_t first_slot;        /* index of slot 1 in dl_lb.slots */
	uint32_t maglev_off;        /* index of the LUT in dl_lb.maglev_luts, or UINT32_MAX */
};

struct dl_lb_revnat {
	uint8_t addr[16];
	uint16_t port;   /* host order */
	uint8_t family;
	uint8_t pad;
};

struct dl_lb_affinity_key {
	uint8_t client[16];
	uint32_t rev_nat_id;
	uint8_t family;
	uint8_t pad[3];
};

struct dl_lb_affinity_val {
	uint32_t last_used;  /* seconds */
	uint32_t backend_id;
};

struct dl_lb_config {
	uint32_t max_services;       /* bpf-lb-map-max: services, backends, rev-NAT, affinity */
	uint32_t maglev_m;           /* LB_MAGLEV_LUT_SIZE */
	uint32_t seed_jhash0, seed_jhash1; /* from maglev.hashSeed */
	enum dl_maglev_hash_version hash_version;
	uint8_t default_algorithm;   /* DL_LB_ALG_RANDOM or _MAGLEV */
};

/* One node's load-balancer tables. */
struct dl_lb {
	struct dl_lb_config cfg;
	struct dl_map services;  /* dl_lb_key -> uint32_t index into svcs */
	struct dl_map backends;  /* uint32_t id -> dl_lb_backend */
	struct dl_map revnat;    /* uint32_t rev_nat_index -> dl_lb_revnat */
	struct dl_map affinity;  /* LRU: dl_lb_affinity_key -> dl_lb_affinity_val */
	struct dl_lb_service *svcs;
	uint32_t n_svcs, cap_svcs;
	uint32_t *slots;         /* backend ids, services' slots back to back */
	uint32_t n_slots, cap_slots;
	uint32_t *maglev_luts;   /* backend ids, M per Maglev service */
	uint32_t n_luts, cap_luts;
};

/* Returns 0, or DL_EINVAL / DL_ENOMEM. */
int dl_lb_init(struct dl_lb *lb, const struct dl_lb_config *cfg);
void dl_lb_free(struct dl_lb *lb);

/* Adds or replaces a backend. Returns 0 or a map error. */
int dl_lb_add_backend(struct dl_lb *lb, uint32_t id, const struct dl_lb_backend *be);

/* Installs a frontend with its slots (backend ids, in slot order) and, for Maglev, its LUT of
 * cfg.maglev_m backend ids (NULL otherwise). The service copies both. Also records the
 * reverse-NAT entry {key addr, key port} under svc->rev_nat_index.
 * Returns 0, DL_EINVAL (a slot names an unknown backend; a Maglev service without a LUT while
 * it has backends), or a map error; on an error the tables are as they were. */
int dl_lb_add_service(struct dl_lb *lb, const struct dl_lb_key *key, const struct dl_lb_service *svc,
		      const uint32_t *slot_ids, const uint32_t *maglev_lut);

/* lb4_lookup_service: the frontend for key, falling back to the wildcard entry {port 0,
 * proto 0} of the same address and scope. NULL when the address is not a frontend. When
 * wildcard is not NULL it says whether only the wildcard entry matched. */
const struct dl_lb_service *dl_lb_lookup_service(struct dl_lb *lb, const struct dl_lb_key *key);
const struct dl_lb_service *dl_lb_lookup_service_wild(struct dl_lb *lb, const struct dl_lb_key *key, bool *wildcard);

const struct dl_lb_backend *dl_lb_lookup_backend(struct dl_lb *lb, uint32_t id);
const struct dl_lb_revnat *dl_lb_lookup_revnat(struct dl_lb *lb, uint32_t rev_nat_index);

static inline bool dl_lb_svc_is_routable(const struct dl_lb_service *s) { return s->flags & DL_SVC_FLAG_ROUTABLE; }
static inline bool dl_lb_svc_has_affinity(const struct dl_lb_service *s) { return s->flags & DL_SVC_FLAG_AFFINITY; }
static inline bool dl_lb_svc_uses_dsr(const struct dl_lb_service *s) { return s->flags2 & DL_SVC_FLAG2_FWD_MODE_DSR; }

/* A flow's selection inputs: client address/port, service port, protocol (host order). */
struct dl_lb_flow {
	const uint8_t *saddr;  /* 4 or 16 bytes, by family */
	uint8_t family;
	uint16_t client_port;
	uint16_t service_port;
	uint8_t proto;
};

/* What a selection did, for explain: algorithm used, Maglev hash and slot. */
struct dl_lb_choice {
	uint32_t backend_id;
	uint8_t algorithm;
	uint8_t from_affinity;
	uint32_t hash, slot;
};

/* Selects a backend for a new flow (lb4_select_backend_id_{random,maglev}); prng is the
 * caller's deterministic state, used by the random algorithm only.
 * Returns 0 with *out set, or DROP_NO_SERVICE when the service has no backend slots or the
 * chosen id has no backend entry. */
int dl_lb_select_backend(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f,
			 uint64_t *prng, struct dl_lb_choice *out);

/* Session affinity (lb4_affinity_backend_id / lb4_update_affinity): a remembered backend for
 * the client if the entry is younger than the service's timeout and the backend is still one
 * of the service's slots; refreshes last_used. Returns the backend id, or 0. */
uint32_t dl_lb_affinity_backend(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f, uint32_t now);
void dl_lb_affinity_update(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f, uint32_t backend_id, uint32_t now);

/* True when backend_id occupies one of svc's active slots. */
bool dl_lb_svc_has_backend(const struct dl_lb *lb, const struct dl_lb_service *svc, uint32_t backend_id);

/* The emulation's deterministic PRNG (splitmix64), standing in for get_prandom_u32(). */
uint32_t dl_prandom_u32(uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_LB_H */
