/* nat.c: the SNAT engine of nat.h, after bpf/lib/nat.h (v1.14-era and recent main; the
 * profile in struct dl_snat_config selects between them) and the agent's orphan purge
 * (pkg/maps/ctmap). Packet rewriting is rewrite.c's; conntrack is ct.c's. */
#include <stdlib.h>
#include "dsrlab/nat.h"
#include "map_inline.h"

enum { FAM4 = 4, FAM6 = 16 }; /* address length of the family */

void dl_snat_config_init(struct dl_snat_config *cfg, enum dl_snat_profile profile)
{
	memset(cfg, 0, sizeof(*cfg));
	if (profile == DL_SNAT_PROFILE_RECENT) {
		/* Recent main: SNAT_COLLISION_RETRIES comes from node config (the BPF tests use
		 * 32); "#define SNAT_SIGNAL_THRES (SNAT_COLLISION_RETRIES / 2)". */
		cfg->clamp = DL_SNAT_CLAMP_SCALED;
		cfg->collision_retries = 32;
		cfg->signal_thres = 16;
		cfg->restore_missing_half = true;
	} else {
		/* v1.14/1.15-era nat.h with HAVE_LARGE_INSN_LIMIT: 128 retries, signal at 64. */
		cfg->clamp = DL_SNAT_CLAMP_MODULO;
		cfg->collision_retries = 128;
		cfg->signal_thres = 64;
		cfg->lookup_before_create = true;
	}
}

int dl_snat_init(struct dl_snat *s, uint32_t max4, uint32_t max6, const struct dl_snat_config *cfg, uint64_t seed)
{
	int err;

	memset(s, 0, sizeof(*s));
	if (!cfg->collision_retries || cfg->collision_retries > DL_SNAT_MAX_RETRIES)
		return DL_EINVAL;
	s->cfg = *cfg;
	dl_prng_seed(&s->rng, seed);
	err = dl_map_init(&s->map4, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple), sizeof(struct dl_nat_entry),
			  max4 ? max4 : DL_SNAT_MAP_SIZE);
	if (!err)
		err = dl_map_init(&s->map6, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple), sizeof(struct dl_nat_entry),
				  max6 ? max6 : DL_SNAT_MAP_SIZE);
	if (err)
		dl_snat_free(s);
	return err;
}

void dl_snat_free(struct dl_snat *s)
{
	dl_map_free(&s->map4);
	dl_map_free(&s->map6);
}

static struct dl_map *fam_map(struct dl_snat *s, int fam) { return fam == FAM4 ? &s->map4 : &s->map6; }

/* ---- tuples ---- */

static void nat_tuple_init(struct dl_ct_tuple *t, int fam, const uint8_t *saddr, const uint8_t *daddr,
			   uint16_t sport, uint16_t dport, uint8_t nexthdr, uint8_t dir)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->saddr, saddr, (size_t)fam);
	memcpy(t->daddr, daddr, (size_t)fam);
	t->sport = sport;
	t->dport = dport;
	t->nexthdr = nexthdr;
	t->flags = dir;
}

void dl_nat_tuple4_init(struct dl_ct_tuple *t, const uint8_t saddr[4], const uint8_t daddr[4], uint16_t sport,
			uint16_t dport, uint8_t nexthdr, uint8_t dir)
{
	nat_tuple_init(t, FAM4, saddr, daddr, sport, dport, nexthdr, dir);
}

void dl_nat_tuple6_init(struct dl_ct_tuple *t, const uint8_t saddr[16], const uint8_t daddr[16], uint16_t sport,
			uint16_t dport, uint8_t nexthdr, uint8_t dir)
{
	nat_tuple_init(t, FAM6, saddr, daddr, sport, dport, nexthdr, dir);
}

static int nat_tuple_from_pkt(const struct dl_pkt_info *pi, int fam, uint8_t dir, struct dl_ct_tuple *t)
{
	uint8_t icmp = fam == FAM4 ? DL_IPPROTO_ICMP : DL_IPPROTO_ICMPV6;
	uint8_t echo = fam == FAM4 ? 8 : 128, echoreply = fam == FAM4 ? 0 : 129;

	if (pi->l3 != (fam == FAM4 ? DL_L3_IPV4 : DL_L3_IPV6))
		return DROP_INVALID;
	nat_tuple_init(t, fam, pi->src, pi->dst, 0, 0, pi->l4_proto, dir);
	switch (pi->l4_proto) {
	case DL_IPPROTO_TCP:
	case DL_IPPROTO_UDP:
	case DL_IPPROTO_SCTP:
		if (!dl_pkt_has_l4_hdr(pi))
			return DROP_INVALID;
		t->sport = pi->sport;
		t->dport = pi->dport;
		return 0;
	default:
		if (pi->l4_proto != icmp)
			return NAT_PUNT_TO_STACK;
		if (!dl_pkt_has_l4_hdr(pi))
			return DROP_INVALID;
		/* snat_v4_nat: "case ICMP_ECHO: tuple.dport = 0; tuple.sport = id" and
		 * "case ICMP_ECHOREPLY: tuple.dport = id; tuple.sport = 0". */
		if (pi->icmp_type == echo) {
			t->sport = pi->icmp_id;
			return 0;
		}
		if (pi->icmp_type == echoreply) {
			t->dport = pi->icmp_id;
			return 0;
		}
		return DROP_NAT_UNSUPP_PROTO;
	}
}

int dl_nat_tuple4_from_pkt(const struct dl_pkt_info *pi, uint8_t dir, struct dl_ct_tuple *t)
{
	return nat_tuple_from_pkt(pi, FAM4, dir, t);
}

int dl_nat_tuple6_from_pkt(const struct dl_pkt_info *pi, uint8_t dir, struct dl_ct_tuple *t)
{
	return nat_tuple_from_pkt(pi, FAM6, dir, t);
}

/* set_v4_rtuple: the tuple that matches reply traffic for a SNATed connection. */
static void set_rtuple(const struct dl_ct_tuple *otuple, const uint8_t to_addr[16], uint16_t to_port,
		       struct dl_ct_tuple *rtuple)
{
	memset(rtuple, 0, sizeof(*rtuple));
	rtuple->flags = NAT_DIR_INGRESS;
	rtuple->nexthdr = otuple->nexthdr;
	memcpy(rtuple->saddr, otuple->daddr, 16);
	memcpy(rtuple->daddr, to_addr, 16);
	rtuple->sport = otuple->dport;
	rtuple->dport = to_port;
}

/* The forward tuple an ingress entry belongs to (snat_v4_rev_nat_handle_mapping's otuple). */
static void set_otuple(const struct dl_ct_tuple *rtuple, const struct dl_nat_entry *rstate,
		       struct dl_ct_tuple *otuple)
{
	memset(otuple, 0, sizeof(*otuple));
	memcpy(otuple->saddr, rstate->to_addr, 16);
	otuple->sport = rstate->to_port;
	memcpy(otuple->daddr, rtuple->saddr, 16);
	otuple->dport = rtuple->sport;
	otuple->nexthdr = rtuple->nexthdr;
	otuple->flags = NAT_DIR_EGRESS;
}

/* ---- allocation ---- */

uint16_t dl_snat_clamp_port_range(enum dl_snat_clamp clamp, uint16_t start, uint16_t end, uint16_t val)
{
	if (clamp == DL_SNAT_CLAMP_SCALED) {
		/* Recent main: "Adapted from 'Integer Multiplication (Biased)' in
		 * https://www.pcg-random.org/posts/bounded-rands.html"; "Account for closed
		 * interval." */
		uint32_t n = (uint32_t)(uint16_t)(end - start) + 1;
		uint32_t m = (uint32_t)val * n;

		return (uint16_t)(start + (m >> 16));
	}
	/* v1.14-era: (val % (__u16)(end - start)) + start, an open interval at the top. */
	{
		uint16_t range = (uint16_t)(end - start);

		if (!range) /* BPF: modulo by zero leaves the register as it was */
			return (uint16_t)(val + start);
		return (uint16_t)(val % range + start);
	}
}

static uint16_t prandom16(struct dl_snat *s) { return (uint16_t)dl_prng_u32(&s->rng); }

uint16_t dl_snat_try_keep_port(struct dl_snat *s, uint16_t start, uint16_t end, uint16_t val)
{
	return val >= start && val <= end ? val
					  : dl_snat_clamp_port_range(s->cfg.clamp, start, end, prandom16(s));
}

/* The next candidate after a collision: "retries ? port + 1 : (__u16)get_prandom_u32()",
 * clamped. port + 1 wraps at 16 bits as the __u16 argument does. */
static uint16_t next_port(struct dl_snat *s, const struct dl_nat_target *target, uint32_t retries, uint16_t port)
{
	uint16_t val = retries ? (uint16_t)(port + 1) : prandom16(s);

	return dl_snat_clamp_port_range(s->cfg.clamp, target->min_port, target->max_port, val);
}

/* __snat_update (v1.14-era): reverse first, then forward, both BPF_NOEXIST; "if (ret)
 * map_delete_elem(map, rtuple)" keeps the pair all-or-nothing. */
static int snat_update(struct dl_snat *s, struct dl_map *map, const struct dl_ct_tuple *otuple,
		       const uint32_t *ohash, const struct dl_nat_entry *ostate, const struct dl_ct_tuple *rtuple,
		       const struct dl_nat_entry *rstate)
{
	int ret = dl_map_update(map, rtuple, rstate, DL_BPF_NOEXIST);

	if (!ret) {
		ret = ohash ? dl_map_update_hashed(map, otuple, *ohash, ostate, DL_BPF_NOEXIST)
			    : dl_map_update(map, otuple, ostate, DL_BPF_NOEXIST);
		if (ret) {
			dl_map_delete(map, rtuple);
			s->stats.rollbacks++;
		}
	}
	return ret;
}

/* ohash, when not NULL, is dl_map_hash of otuple in the family's map (a lookup just made it). */
static int new_mapping(struct dl_snat *s, int fam, const struct dl_ct_tuple *otuple, const uint32_t *ohash,
		       struct dl_nat_entry *ostate, const struct dl_nat_target *target, uint32_t now)
{
	struct dl_map *map = fam_map(s, fam);
	uint32_t n = s->cfg.collision_retries, retries;
	struct dl_nat_entry rstate;
	struct dl_ct_tuple rtuple;
	int ret = DROP_NAT_NO_MAPPING;
	uint16_t port;

	memset(&rstate, 0, sizeof(rstate));
	memset(ostate, 0, sizeof(*ostate));
	memcpy(rstate.to_addr, otuple->saddr, (size_t)fam);
	rstate.to_port = otuple->sport;
	memcpy(ostate->to_addr, target->addr, (size_t)fam);
	ostate->needs_ct = rstate.needs_ct = target->needs_ct;
	rstate.created = ostate->created = now;
	set_rtuple(otuple, ostate->to_addr, 0, &rtuple);

	port = dl_snat_try_keep_port(s, target->min_port, target->max_port, otuple->sport);

	if (s->cfg.lookup_before_create) {
		/* v1.14/1.15-era loop: "if (!__snat_lookup(map, &rtuple))" then __snat_update; a
		 * failed update (either half) moves on to the next candidate. */
		for (retries = 0; retries < n; retries++) {
			rtuple.dport = ostate->to_port = port;
			if (!dl_map_lookup(map, &rtuple)) {
				ret = snat_update(s, map, otuple, ohash, ostate, &rtuple, &rstate);
				if (!ret)
					break;
			}
			port = next_port(s, target, retries, port);
		}
		ret = ret ? DROP_NAT_NO_MAPPING : 0;
	} else {
		/* Recent main: "Try to create a RevSNAT entry." NOEXIST is the collision test. */
		for (retries = 0; retries < n; retries++) {
			rtuple.dport = port;
			if (dl_map_update(map, &rtuple, &rstate, DL_BPF_NOEXIST) == 0)
				break;
			port = next_port(s, target, retries, port);
		}
		if (retries < n) {
			/* "Create the SNAT entry. We just created the RevSNAT entry." */
			ostate->to_port = rtuple.dport;
			ret = ohash ? dl_map_update_hashed(map, otuple, *ohash, ostate, DL_BPF_NOEXIST)
				    : dl_map_update(map, otuple, ostate, DL_BPF_NOEXIST);
			if (ret < 0) {
				dl_map_delete(map, &rtuple); /* rollback */
				s->stats.rollbacks++;
				ret = DROP_NAT_NO_MAPPING;
			}
		}
	}

	/* cilium_snat_v4_alloc_retries, indexed by the retries the allocation took. */
	s->stats.retries_hist[retries]++;
	/* "We struggled to find a free port. Trigger GC in the agent to free up any ports that
	 * are held by expired connections." */
	if (retries > s->cfg.signal_thres)
		s->stats.fill_up_signals++;
	if (ret) {
		s->stats.no_mapping++;
		memset(ostate, 0, sizeof(*ostate));
		return DROP_NAT_NO_MAPPING;
	}
	s->stats.mappings++;
	return 0;
}

int dl_snat_v4_new_mapping(struct dl_snat *s, const struct dl_ct_tuple *otuple, struct dl_nat_entry *ostate,
			   const struct dl_nat_target *target, uint32_t now)
{
	return new_mapping(s, FAM4, otuple, NULL, ostate, target, now);
}

int dl_snat_v6_new_mapping(struct dl_snat *s, const struct dl_ct_tuple *otuple, struct dl_nat_entry *ostate,
			   const struct dl_nat_target *target, uint32_t now)
{
	return new_mapping(s, FAM6, otuple, NULL, ostate, target, now);
}

static int handle_mapping(struct dl_snat *s, int fam, const struct dl_ct_tuple *tuple, struct dl_nat_entry *out,
			  const struct dl_nat_target *target, uint32_t now)
{
	struct dl_map *map = fam_map(s, fam);
	uint32_t hash;
	/* NAT maps have 40-byte dl_ct_tuple keys (dl_snat_init). */
	const struct dl_nat_entry *found = dl_map_lookup_inline(map, tuple, sizeof(*tuple), &hash);
	struct dl_nat_entry state;
	struct dl_ct_tuple rtuple;

	if (!found)
		return new_mapping(s, fam, tuple, &hash, out, target, now);
	/* Copy first: an insert below may evict the slot the pointer refers to. */
	state = *found;
	if (!s->cfg.restore_missing_half) {
		*out = state;
		s->stats.reused++;
		return 0;
	}

	set_rtuple(tuple, state.to_addr, state.to_port, &rtuple);
	if (!memcmp(target->addr, state.to_addr, 16) && (bool)state.needs_ct == target->needs_ct) {
		/* "Check for the reverse SNAT entry. If it is missing (e.g. due to LRU eviction),
		 * it must be restored before returning." */
		uint32_t rhash;

		if (!dl_map_lookup_inline(map, &rtuple, sizeof(rtuple), &rhash)) {
			struct dl_nat_entry rstate;

			memset(&rstate, 0, sizeof(rstate));
			memcpy(rstate.to_addr, tuple->saddr, 16);
			rstate.to_port = tuple->sport;
			rstate.needs_ct = target->needs_ct;
			rstate.created = now;
			if (dl_map_update_hashed(map, &rtuple, rhash, &rstate, DL_BPF_NOEXIST) < 0)
				return DROP_NAT_NO_MAPPING;
			s->stats.restored++;
		}
		*out = state;
		s->stats.reused++;
		return 0;
	}

	/* "Recreate the SNAT and RevSNAT entries if the source IP is stale." */
	dl_map_delete(map, tuple);
	if (dl_map_lookup(map, &rtuple))
		dl_map_delete(map, &rtuple);
	s->stats.recreated++;
	return new_mapping(s, fam, tuple, NULL, out, target, now);
}

int dl_snat_v4_nat_handle_mapping(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
				  const struct dl_nat_target *target, uint32_t now)
{
	return handle_mapping(s, FAM4, tuple, state, target, now);
}

int dl_snat_v6_nat_handle_mapping(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
				  const struct dl_nat_target *target, uint32_t now)
{
	return handle_mapping(s, FAM6, tuple, state, target, now);
}

bool dl_snat_rev_nat_can_skip(const struct dl_nat_target *target, const struct dl_ct_tuple *tuple)
{
	return tuple->dport < target->min_port || tuple->dport > target->max_port;
}

static int rev_nat(struct dl_snat *s, int fam, const struct dl_ct_tuple *tuple, struct dl_nat_entry *out,
		   const struct dl_nat_target *target, uint32_t now)
{
	struct dl_map *map = fam_map(s, fam);
	const struct dl_nat_entry *found;
	struct dl_nat_entry state;

	if (dl_snat_rev_nat_can_skip(target, tuple))
		return NAT_PUNT_TO_STACK;
	found = dl_map_lookup(map, tuple);
	if (!found)
		return DROP_NAT_NO_MAPPING;
	state = *found;
	if (s->cfg.restore_missing_half) {
		/* "Check for the original SNAT entry. If it is missing (e.g. due to LRU eviction),
		 * it must be restored before returning." */
		struct dl_ct_tuple otuple;

		set_otuple(tuple, &state, &otuple);
		if (!dl_map_lookup(map, &otuple)) {
			struct dl_nat_entry ostate;

			memset(&ostate, 0, sizeof(ostate));
			memcpy(ostate.to_addr, tuple->daddr, 16);
			ostate.to_port = tuple->dport;
			ostate.needs_ct = state.needs_ct;
			ostate.created = now;
			if (dl_map_update(map, &otuple, &ostate, DL_BPF_NOEXIST) < 0)
				return DROP_NAT_NO_MAPPING;
			s->stats.restored++;
		}
	}
	*out = state;
	return 0;
}

int dl_snat_v4_rev_nat(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
		       const struct dl_nat_target *target, uint32_t now)
{
	return rev_nat(s, FAM4, tuple, state, target, now);
}

int dl_snat_v6_rev_nat(struct dl_snat *s, const struct dl_ct_tuple *tuple, struct dl_nat_entry *state,
		       const struct dl_nat_target *target, uint32_t now)
{
	return rev_nat(s, FAM6, tuple, state, target, now);
}

const struct dl_nat_entry *dl_snat_v4_lookup(struct dl_snat *s, const struct dl_ct_tuple *tuple)
{
	return dl_map_lookup(&s->map4, tuple);
}

const struct dl_nat_entry *dl_snat_v6_lookup(struct dl_snat *s, const struct dl_ct_tuple *tuple)
{
	return dl_map_lookup(&s->map6, tuple);
}

static int snat_delete(struct dl_snat *s, int fam, const struct dl_ct_tuple *otuple)
{
	struct dl_map *map = fam_map(s, fam);
	const struct dl_nat_entry *o = dl_map_lookup(map, otuple);
	struct dl_ct_tuple rtuple;

	if (!o)
		return DL_ENOENT;
	set_rtuple(otuple, o->to_addr, o->to_port, &rtuple);
	dl_map_delete(map, otuple);
	dl_map_delete(map, &rtuple);
	return 0;
}

int dl_snat_v4_delete(struct dl_snat *s, const struct dl_ct_tuple *otuple) { return snat_delete(s, FAM4, otuple); }
int dl_snat_v6_delete(struct dl_snat *s, const struct dl_ct_tuple *otuple) { return snat_delete(s, FAM6, otuple); }

/* ---- DSR ---- */

static int create_dsr(struct dl_snat *s, int fam, const struct dl_ct_tuple *ct_tuple, const uint8_t *to_saddr,
		      uint16_t to_sport, uint32_t now)
{
	struct dl_ct_tuple tmp = *ct_tuple;
	struct dl_nat_entry state;

	/* snat_v4_create_dsr: "tmp.flags = TUPLE_F_OUT; tmp.sport = tuple->dport; tmp.dport =
	 * tuple->sport;" — the reply as it will leave the backend, in packet order. */
	tmp.flags = TUPLE_F_OUT;
	tmp.sport = ct_tuple->dport;
	tmp.dport = ct_tuple->sport;
	memset(&state, 0, sizeof(state));
	state.created = now;
	memcpy(state.to_addr, to_saddr, (size_t)fam);
	state.to_port = to_sport;
	state.dsr = 1;
	if (dl_map_update(fam_map(s, fam), &tmp, &state, DL_BPF_ANY))
		return DROP_NAT_NO_MAPPING;
	s->stats.dsr_created++;
	return 0;
}

int dl_snat_v4_create_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple, const uint8_t to_saddr[4],
			  uint16_t to_sport, uint32_t now)
{
	return create_dsr(s, FAM4, ct_tuple, to_saddr, to_sport, now);
}

int dl_snat_v6_create_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple, const uint8_t to_saddr[16],
			  uint16_t to_sport, uint32_t now)
{
	return create_dsr(s, FAM6, ct_tuple, to_saddr, to_sport, now);
}

static const struct dl_nat_entry *lookup_dsr(struct dl_snat *s, int fam, const struct dl_ct_tuple *ct_tuple)
{
	struct dl_ct_tuple nat_tup = *ct_tuple;

	/* xlate_dsr_v4: "nat_tup.flags = NAT_DIR_EGRESS; nat_tup.sport = tuple->dport;
	 * nat_tup.dport = tuple->sport;" */
	nat_tup.flags = NAT_DIR_EGRESS;
	nat_tup.sport = ct_tuple->dport;
	nat_tup.dport = ct_tuple->sport;
	return dl_map_lookup(fam_map(s, fam), &nat_tup);
}

const struct dl_nat_entry *dl_snat_v4_lookup_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple)
{
	return lookup_dsr(s, FAM4, ct_tuple);
}

const struct dl_nat_entry *dl_snat_v6_lookup_dsr(struct dl_snat *s, const struct dl_ct_tuple *ct_tuple)
{
	return lookup_dsr(s, FAM6, ct_tuple);
}

/* ---- agent: orphan purge ---- */

static bool ct_key_exists(struct dl_ct_maps *ct, int fam, const struct dl_ct_tuple *key)
{
	const struct dl_map *m = fam == FAM4 ? dl_ct_get_map4(ct, key->nexthdr) : dl_ct_get_map6(ct, key->nexthdr);

	/* A lookup from user space does not mark an LRU entry as used. */
	return dl_map_peek(m, key) != NULL;
}

static uint32_t purge_map(struct dl_snat *s, int fam, struct dl_ct_maps *ct)
{
	struct dl_map *map = fam_map(s, fam);
	uint32_t pos = 0, n = 0;
	const void *kp;
	void *vp;

	while (dl_map_next(map, &pos, &kp, &vp)) {
		struct dl_ct_tuple k, a, b;
		const struct dl_nat_entry *v = vp;
		bool alive;

		memcpy(&k, kp, sizeof(k));
		memset(&a, 0, sizeof(a));
		a.nexthdr = k.nexthdr;
		a.flags = TUPLE_F_OUT;
		if (k.flags & TUPLE_F_IN) {
			/* egressCTKeyFromIngressNatKeyAndVal */
			memcpy(a.saddr, k.saddr, 16);
			memcpy(a.daddr, v->to_addr, 16);
			a.sport = v->to_port;
			a.dport = k.sport;
			alive = ct_key_exists(ct, fam, &a);
		} else {
			/* egressCTKeyFromEgressNatKey ("Workaround #5848": addresses swapped) and
			 * dsrCTKeyFromEgressNatKey (ports swapped). */
			b = a;
			memcpy(a.saddr, k.daddr, 16);
			memcpy(a.daddr, k.saddr, 16);
			a.sport = k.sport;
			a.dport = k.dport;
			memcpy(b.saddr, k.saddr, 16);
			memcpy(b.daddr, k.daddr, 16);
			b.sport = k.dport;
			b.dport = k.sport;
			alive = ct_key_exists(ct, fam, &a) || ct_key_exists(ct, fam, &b);
		}
		if (!alive && dl_map_delete(map, &k) == 0)
			n++;
	}
	return n;
}

uint32_t dl_snat_purge_orphans(struct dl_snat *s, struct dl_ct_maps *ct)
{
	uint32_t n = purge_map(s, FAM4, ct) + purge_map(s, FAM6, ct);

	s->stats.purged += n;
	return n;
}

/* ---- bijection checker ---- */

struct fwd_key { /* what must be unique among live forward entries */
	uint8_t to_addr[16];
	uint8_t peer[16];
	uint16_t to_port, peer_port;
	uint8_t proto;
	uint8_t _pad[3];
};

static int fwd_key_cmp(const void *a, const void *b) { return memcmp(a, b, sizeof(struct fwd_key)); }

int dl_snat_check_bijection(const struct dl_map *map, struct dl_snat_bijection *out)
{
	struct fwd_key *keys = NULL;
	uint32_t nkeys = 0, pos = 0;
	const void *kp;
	void *vp;

	memset(out, 0, sizeof(*out));
	if (map->count) {
		keys = calloc(map->count, sizeof(*keys));
		if (!keys)
			return DL_ENOMEM;
	}
	while (dl_map_next(map, &pos, &kp, &vp)) {
		const struct dl_ct_tuple *k = kp;
		const struct dl_nat_entry *v = vp, *other;
		struct dl_ct_tuple t;

		if (v->dsr) {
			out->dsr++;
			continue;
		}
		if (k->flags & TUPLE_F_IN) {
			out->reverse++;
			set_otuple(k, v, &t);
			other = dl_map_peek(map, &t);
			if (!other)
				out->reverse_without_forward++;
			else if (memcmp(other->to_addr, k->daddr, 16) || other->to_port != k->dport)
				out->mismatched++;
			continue;
		}
		out->forward++;
		set_rtuple(k, v->to_addr, v->to_port, &t);
		other = dl_map_peek(map, &t);
		if (!other)
			out->forward_without_reverse++;
		else if (memcmp(other->to_addr, k->saddr, 16) || other->to_port != k->sport)
			out->mismatched++;
		memcpy(keys[nkeys].to_addr, v->to_addr, 16);
		memcpy(keys[nkeys].peer, k->daddr, 16);
		keys[nkeys].to_port = v->to_port;
		keys[nkeys].peer_port = k->dport;
		keys[nkeys].proto = k->nexthdr;
		nkeys++;
	}
	if (nkeys > 1) {
		qsort(keys, nkeys, sizeof(*keys), fwd_key_cmp);
		for (uint32_t i = 1; i < nkeys; i++)
			if (!fwd_key_cmp(&keys[i - 1], &keys[i]))
				out->duplicates++;
	}
	free(keys);
	return (out->forward_without_reverse || out->reverse_without_forward || out->mismatched || out->duplicates)
		       ? 1
		       : 0;
}
