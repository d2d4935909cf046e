/* lb.c: service/backend tables and backend selection (bpf/lib/lb.h). */
#include <stdlib.h>
#include "dsrlab/lb.h"
#include "map_inline.h"
#include "dsrlab/drop.h"

uint32_t dl_prandom_u32(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

int dl_lb_init(struct dl_lb *lb, const struct dl_lb_config *cfg)
{
	int rc;
	uint32_t max;

	memset(lb, 0, sizeof(*lb));
	if (!cfg->max_services)
		return DL_EINVAL;
	lb->cfg = *cfg;
	max = cfg->max_services;
	if ((rc = dl_map_init(&lb->services, DL_MAP_HASH, sizeof(struct dl_lb_key), sizeof(uint32_t), max)) ||
	    (rc = dl_map_init(&lb->backends, DL_MAP_HASH, sizeof(uint32_t), sizeof(struct dl_lb_backend), max)) ||
	    (rc = dl_map_init(&lb->revnat, DL_MAP_HASH, sizeof(uint32_t), sizeof(struct dl_lb_revnat), max)) ||
	    (rc = dl_map_init(&lb->affinity, DL_MAP_LRU_HASH, sizeof(struct dl_lb_affinity_key),
			      sizeof(struct dl_lb_affinity_val), max))) {
		dl_lb_free(lb);
		return rc;
	}
	return 0;
}

void dl_lb_free(struct dl_lb *lb)
{
	dl_map_free(&lb->services);
	dl_map_free(&lb->backends);
	dl_map_free(&lb->revnat);
	dl_map_free(&lb->affinity);
	free(lb->svcs);
	free(lb->slots);
	free(lb->maglev_luts);
	memset(lb, 0, sizeof(*lb));
}

/* Grows *arr (of elem-sized items) to hold at least need items. */
static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, (size_t)n * elem);
	if (!p)
		return DL_ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

int dl_lb_add_backend(struct dl_lb *lb, uint32_t id, const struct dl_lb_backend *be)
{
	return dl_map_update(&lb->backends, &id, be, DL_BPF_ANY);
}

int dl_lb_add_service(struct dl_lb *lb, const struct dl_lb_key *key, const struct dl_lb_service *svc,
		      const uint32_t *slot_ids, const uint32_t *maglev_lut)
{
	struct dl_lb_service s = *svc;
	struct dl_lb_revnat rn;
	uint32_t idx, old_idx = 0, m = lb->cfg.maglev_m;
	const uint32_t *old;
	int rc;

	for (uint32_t i = 0; i < s.count; i++)
		if (!dl_map_peek(&lb->backends, &slot_ids[i]))
			return DL_EINVAL;
	if (s.algorithm == DL_LB_ALG_DEFAULT)
		s.algorithm = lb->cfg.default_algorithm;
	if (s.algorithm == DL_LB_ALG_MAGLEV && s.count && (!maglev_lut || !m))
		return DL_EINVAL;
	if ((rc = grow((void **)&lb->svcs, &lb->cap_svcs, lb->n_svcs + 1, sizeof(*lb->svcs))) ||
	    (rc = grow((void **)&lb->slots, &lb->cap_slots, lb->n_slots + s.count, sizeof(uint32_t))))
		return rc;
	s.first_slot = lb->n_slots;
	if (s.count)
		memcpy(lb->slots + lb->n_slots, slot_ids, (size_t)s.count * sizeof(uint32_t));
	s.maglev_off = UINT32_MAX;
	if (s.algorithm == DL_LB_ALG_MAGLEV && s.count) {
		if ((rc = grow((void **)&lb->maglev_luts, &lb->cap_luts, lb->n_luts + m, sizeof(uint32_t))))
			return rc;
		s.maglev_off = lb->n_luts;
		memcpy(lb->maglev_luts + lb->n_luts, maglev_lut, (size_t)m * sizeof(uint32_t));
	}
	idx = lb->n_svcs;
	old = dl_map_peek(&lb->services, key);
	if (old)
		old_idx = *old;
	if ((rc = dl_map_update(&lb->services, key, &idx, DL_BPF_ANY)))
		return rc;
	memset(&rn, 0, sizeof(rn));
	memcpy(rn.addr, key->addr, sizeof(rn.addr));
	rn.port = key->port;
	rn.family = key->family;
	if ((rc = dl_map_update(&lb->revnat, &s.rev_nat_index, &rn, DL_BPF_ANY))) {
		/* All or nothing: the key goes back to the service it had, or away. */
		if (old)
			dl_map_update(&lb->services, key, &old_idx, DL_BPF_EXIST);
		else
			dl_map_delete(&lb->services, key);
		return rc;
	}
	/* Commit the arrays only once every map insert succeeded. */
	lb->svcs[lb->n_svcs++] = s;
	lb->n_slots += s.count;
	if (s.maglev_off != UINT32_MAX)
		lb->n_luts += m;
	return 0;
}

const struct dl_lb_service *dl_lb_lookup_service_wild(struct dl_lb *lb, const struct dl_lb_key *key, bool *wildcard)
{
	uint32_t h;
	uint32_t *idx = dl_map_lookup_inline(&lb->services, key, sizeof(*key), &h);

	if (wildcard)
		*wildcard = false;
	if (!idx) {
		/* Recent main: a wildcard entry marks "known VIP, unknown port"; it has no backends. */
		struct dl_lb_key wild = *key;
		wild.port = 0;
		wild.proto = 0;
		idx = dl_map_lookup(&lb->services, &wild);
		if (wildcard)
			*wildcard = idx != NULL;
	}
	return idx && *idx < lb->n_svcs ? &lb->svcs[*idx] : NULL;
}

const struct dl_lb_service *dl_lb_lookup_service(struct dl_lb *lb, const struct dl_lb_key *key)
{
	return dl_lb_lookup_service_wild(lb, key, NULL);
}

const struct dl_lb_backend *dl_lb_lookup_backend(struct dl_lb *lb, uint32_t id)
{
	uint32_t h;

	return dl_map_lookup_inline(&lb->backends, &id, sizeof(id), &h);
}

const struct dl_lb_revnat *dl_lb_lookup_revnat(struct dl_lb *lb, uint32_t rev_nat_index)
{
	return dl_map_lookup(&lb->revnat, &rev_nat_index);
}

bool dl_lb_svc_has_backend(const struct dl_lb *lb, const struct dl_lb_service *svc, uint32_t backend_id)
{
	for (uint32_t i = 0; i < svc->count; i++)
		if (lb->slots[svc->first_slot + i] == backend_id)
			return true;
	return false;
}

int dl_lb_select_backend(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f,
			 uint64_t *prng, struct dl_lb_choice *out)
{
	memset(out, 0, sizeof(*out));
	if (!svc->count)
		return DROP_NO_SERVICE;
	out->algorithm = svc->algorithm;
	if (svc->algorithm == DL_LB_ALG_MAGLEV && svc->maglev_off != UINT32_MAX) {
		bool aff = dl_lb_svc_has_affinity(svc);
		/* bpf/lib/lb.h lb4_select_backend_id_maglev: the VIP is left out of the hash, so a
		 * client lands on the same backend across VIPs; ClientIP affinity zeroes its port. */
		out->hash = f->family == 6
				    ? dl_lb6_maglev_hash(f->saddr, f->client_port, f->service_port, f->proto, aff,
							 lb->cfg.hash_version, lb->cfg.seed_jhash1)
				    : dl_lb4_maglev_hash(f->saddr, f->client_port, f->service_port, f->proto, aff,
							 lb->cfg.hash_version, lb->cfg.seed_jhash0);
		out->slot = dl_maglev_slot(out->hash, lb->cfg.maglev_m);
		out->backend_id = lb->maglev_luts[svc->maglev_off + out->slot];
	} else {
		/* lb4_select_backend_id_random: slot = (prandom % count) + 1 */
		uint32_t slot = dl_prandom_u32(prng) % svc->count;
		out->slot = slot + 1;
		out->backend_id = lb->slots[svc->first_slot + slot];
	}
	return dl_map_peek(&lb->backends, &out->backend_id) ? 0 : DROP_NO_SERVICE;
}

static void affinity_key(struct dl_lb_affinity_key *k, const struct dl_lb_service *svc, const struct dl_lb_flow *f)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client, f->saddr, f->family == 6 ? 16 : 4);
	k->rev_nat_id = svc->rev_nat_index;
	k->family = f->family;
}

uint32_t dl_lb_affinity_backend(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f, uint32_t now)
{
	struct dl_lb_affinity_key k;
	struct dl_lb_affinity_val *v;

	affinity_key(&k, svc, f);
	v = dl_map_lookup(&lb->affinity, &k);
	if (!v)
		return 0;
	/* bpf/lib/lb.h: valid while last_used + timeout > now; expired entries are deleted. */
	if ((uint64_t)v->last_used + svc->affinity_timeout <= now || !dl_lb_svc_has_backend(lb, svc, v->backend_id)) {
		dl_map_delete(&lb->affinity, &k);
		return 0;
	}
	v->last_used = now;
	return v->backend_id;
}

void dl_lb_affinity_update(struct dl_lb *lb, const struct dl_lb_service *svc, const struct dl_lb_flow *f, uint32_t backend_id, uint32_t now)
{
	struct dl_lb_affinity_key k;
	struct dl_lb_affinity_val v = {.last_used = now, .backend_id = backend_id};

	affinity_key(&k, svc, f);
	dl_map_update(&lb->affinity, &k, &v, DL_BPF_ANY);
}
