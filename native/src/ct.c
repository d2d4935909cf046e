/* ct.c: conntrack (ct.h), following bpf/lib/conntrack.h of the v1.14/1.15 era line by line
 * where it decides anything: __ct_lookup, __ct_lookup4/6, ct_update_timeout, ct_create4/6.
 * The agent side (GC) is at the end. NAT entries are nat.c's; nothing here allocates on the
 * per-packet path. */
#include "dsrlab/ct.h"
#include "map_inline.h"
#include "dsrlab/drop.h"

/* ICMP types the tuple builders act on (linux/icmp.h, linux/icmpv6.h). */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

enum { FAM4 = 4, FAM6 = 16 }; /* address length of the family */

/* For the per-packet helpers taking the family: inlined into each family's entry point, the
 * address copies get a constant size. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

void dl_ct_config_init(struct dl_ct_config *cfg, uint32_t tcp_lifetime)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->syn = 60;
	cfg->tcp = tcp_lifetime;
	cfg->close = 10;
	cfg->any = 60;
	cfg->service_tcp = tcp_lifetime;
	cfg->service_any = 60;
	cfg->rebalance = 60;
	cfg->report_interval = 5;
}

int dl_ct_init(struct dl_ct_maps *ct, uint32_t tcp_max, uint32_t any_max, const struct dl_ct_config *cfg)
{
	int err;

	memset(ct, 0, sizeof(*ct));
	if (!tcp_max)
		tcp_max = DL_CT_MAP_SIZE_TCP;
	if (!any_max)
		any_max = DL_CT_MAP_SIZE_ANY;
	ct->cfg = *cfg;
	err = dl_map_init(&ct->ct4_tcp, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple), sizeof(struct dl_ct_entry), tcp_max);
	if (!err)
		err = dl_map_init(&ct->ct4_any, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple),
				  sizeof(struct dl_ct_entry), any_max);
	if (!err)
		err = dl_map_init(&ct->ct6_tcp, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple),
				  sizeof(struct dl_ct_entry), tcp_max);
	if (!err)
		err = dl_map_init(&ct->ct6_any, DL_MAP_LRU_HASH, sizeof(struct dl_ct_tuple),
				  sizeof(struct dl_ct_entry), any_max);
	if (err)
		dl_ct_free(ct);
	return err;
}

void dl_ct_free(struct dl_ct_maps *ct)
{
	/* dl_map_free on a zeroed map frees NULLs, so a half-built set is fine. */
	dl_map_free(&ct->ct4_tcp);
	dl_map_free(&ct->ct4_any);
	dl_map_free(&ct->ct6_tcp);
	dl_map_free(&ct->ct6_any);
}

/* get_ct_map4/6: TCP has its own map, every other protocol shares the "any" one. */
static ALWAYS_INLINE struct dl_map *ct_map(struct dl_ct_maps *ct, int fam, uint8_t nexthdr)
{
	if (fam == FAM4)
		return nexthdr == DL_IPPROTO_TCP ? &ct->ct4_tcp : &ct->ct4_any;
	return nexthdr == DL_IPPROTO_TCP ? &ct->ct6_tcp : &ct->ct6_any;
}

struct dl_map *dl_ct_get_map4(struct dl_ct_maps *ct, uint8_t nexthdr) { return ct_map(ct, FAM4, nexthdr); }

struct dl_map *dl_ct_get_map6(struct dl_ct_maps *ct, uint8_t nexthdr) { return ct_map(ct, FAM6, nexthdr); }

/* ---- tuples ---- */

static ALWAYS_INLINE void tuple_init(struct dl_ct_tuple *t, int fam, const uint8_t *saddr, const uint8_t *daddr,
		       uint16_t pkt_sport, uint16_t pkt_dport, uint8_t nexthdr)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->saddr, saddr, (size_t)fam);
	memcpy(t->daddr, daddr, (size_t)fam);
	/* bpf/lib/conntrack.h: the 4 port bytes are loaded into &tuple->dport, so the packet's
	 * source port lands in dport ("tuples that have source and destination ports in the
	 * reversed order"). */
	t->dport = pkt_sport;
	t->sport = pkt_dport;
	t->nexthdr = nexthdr;
}

void dl_ct_tuple4_init(struct dl_ct_tuple *t, const uint8_t saddr[4], const uint8_t daddr[4],
		       uint16_t pkt_sport, uint16_t pkt_dport, uint8_t nexthdr)
{
	tuple_init(t, FAM4, saddr, daddr, pkt_sport, pkt_dport, nexthdr);
}

void dl_ct_tuple6_init(struct dl_ct_tuple *t, const uint8_t saddr[16], const uint8_t daddr[16],
		       uint16_t pkt_sport, uint16_t pkt_dport, uint8_t nexthdr)
{
	tuple_init(t, FAM6, saddr, daddr, pkt_sport, pkt_dport, nexthdr);
}

void dl_ct_tuple_swap_ports(struct dl_ct_tuple *t)
{
	uint16_t p = t->sport;

	t->sport = t->dport;
	t->dport = p;
}

void dl_ct_tuple_reverse(struct dl_ct_tuple *t)
{
	uint8_t a[16];

	memcpy(a, t->saddr, 16);
	memcpy(t->saddr, t->daddr, 16);
	memcpy(t->daddr, a, 16);
	dl_ct_tuple_swap_ports(t);
	/* ct_flip_tuple_dir4: only the IN bit flips. */
	t->flags ^= TUPLE_F_IN;
}

/* The flag a lookup in direction dir starts from (ct_lookup4, ct_lazy_lookup4): "the tuple is
 * created in reverse order initially to find a potential reverse flow". */
static int dir_flags(enum dl_ct_dir dir)
{
	switch (dir) {
	case CT_INGRESS:
		return TUPLE_F_OUT;
	case CT_EGRESS:
		return TUPLE_F_IN;
	case CT_SERVICE:
		return TUPLE_F_SERVICE;
	}
	return -1;
}

static ALWAYS_INLINE int tuple_from_pkt(const struct dl_pkt_info *pi, int fam, enum dl_ct_dir dir, const uint16_t *l4ports,
			  struct dl_ct_tuple *t, struct dl_ct_pkt *pkt)
{
	int flags = dir_flags(dir);
	uint8_t icmp_proto = fam == FAM4 ? DL_IPPROTO_ICMP : DL_IPPROTO_ICMPV6;
	bool has_l4 = dl_pkt_has_l4_hdr(pi);

	if (flags < 0 || pi->l3 != (fam == FAM4 ? DL_L3_IPV4 : DL_L3_IPV6))
		return DROP_CT_INVALID_HDR;

	tuple_init(t, fam, pi->src, pi->dst, 0, 0, pi->l4_proto);
	t->flags = (uint8_t)flags;
	memset(pkt, 0, sizeof(*pkt));
	pkt->len = pi->l2_len + pi->l3_len;
	pkt->has_l4_header = has_l4;

	if (pi->l4_proto == icmp_proto) {
		uint8_t type = pi->icmp_type;

		/* ct_extract_ports4 / ct_lookup6: an ICMP packet needs its type, so a later
		 * fragment cannot be placed. */
		if (!has_l4)
			return DROP_CT_INVALID_HDR;
		if (fam == FAM4) {
			switch (type) {
			case ICMP_DEST_UNREACH:
			case ICMP_TIME_EXCEEDED:
			case ICMP_PARAMETERPROB:
				t->flags |= TUPLE_F_RELATED;
				return ACTION_UNSPEC;
			case ICMP_ECHOREPLY:
				t->sport = pi->icmp_id;
				return ACTION_UNSPEC;
			case ICMP_ECHO:
				t->dport = pi->icmp_id;
				return ACTION_CREATE;
			default:
				return ACTION_CREATE;
			}
		}
		switch (type) {
		case ICMPV6_DEST_UNREACH:
		case ICMPV6_PKT_TOOBIG:
		case ICMPV6_TIME_EXCEED:
		case ICMPV6_PARAMPROB:
			t->flags |= TUPLE_F_RELATED;
			return ACTION_UNSPEC;
		case ICMPV6_ECHO_REPLY:
			t->sport = pi->icmp_id;
			return ACTION_UNSPEC;
		case ICMPV6_ECHO_REQUEST:
			t->dport = pi->icmp_id;
			return ACTION_CREATE;
		default:
			return ACTION_CREATE;
		}
	}

	switch (pi->l4_proto) {
	case DL_IPPROTO_TCP:
	case DL_IPPROTO_UDP:
	case DL_IPPROTO_SCTP:
		if (l4ports) {
			t->dport = l4ports[0];
			t->sport = l4ports[1];
		} else if (has_l4) {
			t->dport = pi->sport;
			t->sport = pi->dport;
		} else {
			return DROP_CT_INVALID_HDR;
		}
		if (pi->l4_proto == DL_IPPROTO_TCP && has_l4)
			pkt->tcp_flags = pi->tcp_flags;
		return ACTION_CREATE;
	default:
		/* "Can't handle extension headers yet" */
		return DROP_CT_UNKNOWN_PROTO;
	}
}

int dl_ct_tuple4_from_pkt(const struct dl_pkt_info *pi, enum dl_ct_dir dir, const uint16_t *l4ports,
			  struct dl_ct_tuple *t, struct dl_ct_pkt *pkt)
{
	return tuple_from_pkt(pi, FAM4, dir, l4ports, t, pkt);
}

int dl_ct_tuple6_from_pkt(const struct dl_pkt_info *pi, enum dl_ct_dir dir, const uint16_t *l4ports,
			  struct dl_ct_tuple *t, struct dl_ct_pkt *pkt)
{
	return tuple_from_pkt(pi, FAM6, dir, l4ports, t, pkt);
}

/* ---- entry state (conntrack.h helpers) ---- */

static bool ct_entry_seen_both_syns(const struct dl_ct_entry *e)
{
	return (e->rx_flags_seen & DL_TCP_SYN) && (e->tx_flags_seen & DL_TCP_SYN);
}

static bool ct_entry_alive(const struct dl_ct_entry *e) { return !e->rx_closing || !e->tx_closing; }

static bool ct_entry_closing(const struct dl_ct_entry *e) { return e->tx_closing || e->rx_closing; }

static void ct_reset_closing(struct dl_ct_entry *e) { e->rx_closing = e->tx_closing = 0; }

/* __ct_update_timeout: sets the lifetime, and accumulates the TCP flags and the report time of
 * the direction. The report time moves only when new flags show up or CT_REPORT_INTERVAL has
 * passed, which is what the service rebalance rule measures from (last_tx_report). */
static ALWAYS_INLINE void __ct_update_timeout(const struct dl_ct_config *cfg, struct dl_ct_entry *e, uint32_t lifetime,
				enum dl_ct_dir dir, uint16_t tcp_flags, uint32_t now)
{
	uint8_t seen = (uint8_t)(tcp_flags & DL_CT_REPORT_FLAGS);
	uint8_t acc;
	uint32_t last;

	e->lifetime = now + lifetime;
	if (dir == CT_INGRESS) {
		acc = e->rx_flags_seen;
		last = e->last_rx_report;
	} else {
		acc = e->tx_flags_seen;
		last = e->last_tx_report;
	}
	seen |= acc;
	if ((uint32_t)(last + cfg->report_interval) < now || acc != seen) {
		if (dir == CT_INGRESS) {
			e->rx_flags_seen = seen;
			e->last_rx_report = now;
		} else {
			e->tx_flags_seen = seen;
			e->last_tx_report = now;
		}
	}
}

/* ct_update_timeout: the lifetime to apply. seen_non_syn is sticky: once a TCP packet without
 * SYN went by, the entry keeps the long lifetime (also after a reopen). */
static ALWAYS_INLINE void ct_update_timeout(const struct dl_ct_config *cfg, struct dl_ct_entry *e, bool tcp, enum dl_ct_dir dir,
			      uint16_t tcp_flags, uint32_t now)
{
	uint32_t lifetime = dir == CT_SERVICE ? cfg->service_any : cfg->any;
	bool syn = tcp_flags & DL_TCP_SYN;

	if (tcp) {
		e->seen_non_syn |= !syn;
		if (e->seen_non_syn)
			lifetime = dir == CT_SERVICE ? cfg->service_tcp : cfg->tcp;
		else
			lifetime = cfg->syn;
	}
	__ct_update_timeout(cfg, e, lifetime, dir, tcp_flags, now);
}

/* ct_entry_expired_rebalance: "This doesn't check last_rx_report because we don't see closing
 * in RX direction for CT_SERVICE." */
static bool ct_entry_expired_rebalance(const struct dl_ct_config *cfg, const struct dl_ct_entry *e, uint32_t now)
{
	return (uint32_t)(e->last_tx_report + cfg->rebalance) <= now;
}

static ALWAYS_INLINE void fill_state(struct dl_ct_state *s, const struct dl_ct_entry *e, enum dl_ct_dir dir, bool syn)
{
	s->rev_nat_index = e->rev_nat_index;
	if (dir == CT_SERVICE) {
		s->backend_id = e->backend_id;
		s->syn = syn;
	} else {
		s->loopback = e->lb_loopback;
		s->node_port = e->node_port;
		s->dsr = e->dsr;
		s->proxy_redirect = e->proxy_redirect;
		s->from_l7lb = e->from_l7lb;
		s->from_tunnel = e->from_tunnel;
		s->ifindex = e->ifindex;
		s->need_dsr_info = e->need_dsr_info;
		s->src_sec_id = e->src_sec_id;
	}
}

/* __ct_lookup: one map lookup and what a hit does to the entry. Returns CT_NEW, CT_ESTABLISHED
 * or CT_REOPENED (the caller maps a first-lookup hit to CT_REPLY/CT_RELATED). */
static ALWAYS_INLINE int __ct_lookup(const struct dl_ct_config *cfg, struct dl_map *map, const struct dl_ct_tuple *tuple,
		       int action, enum dl_ct_dir dir, struct dl_ct_state *state, bool is_tcp, uint16_t tcp_flags,
		       uint32_t pkt_len, uint32_t now, struct dl_ct_hint *hint)
{
	bool syn = tcp_flags & DL_TCP_SYN;
	/* Every CT map has 40-byte dl_ct_tuple keys (dl_ct_init). */
	struct dl_ct_entry *e = dl_map_lookup_inline(map, tuple, sizeof(*tuple), &hint->hash);

	hint->valid = true;
	hint->entry = e;

	if (!e)
		return CT_NEW;

	/* bpf/lib/conntrack.h (HAVE_LARGE_INSN_LIMIT): a SYN to a service entry that has been
	 * closing for longer than CT_SERVICE_CLOSE_REBALANCE starts over with a new backend. */
	if (!cfg->rebalance_disabled && dir == CT_SERVICE && syn && ct_entry_closing(e) &&
	    ct_entry_expired_rebalance(cfg, e, now))
		return CT_NEW;

	if (ct_entry_alive(e))
		ct_update_timeout(cfg, e, is_tcp, dir, tcp_flags, now);
	if (state)
		fill_state(state, e, dir, syn);

	/* CONNTRACK_ACCOUNTING */
	if (dir == CT_INGRESS) {
		e->rx_packets++;
		e->rx_bytes += pkt_len;
	} else if (dir == CT_EGRESS) {
		e->tx_packets++;
		e->tx_bytes += pkt_len;
	}

	switch (action) {
	case ACTION_CREATE:
		if ((e->rx_closing || e->tx_closing) && syn) {
			ct_reset_closing(e);
			ct_update_timeout(cfg, e, is_tcp, dir, tcp_flags, now);
			return CT_REOPENED;
		}
		break;
	case ACTION_CLOSE:
		/* "If we got an RST and have not seen both SYNs, terminate the connection. (For
		 * CT_SERVICE, we do not see both directions, so flags of established connections
		 * would not include both SYNs.)" */
		if (!ct_entry_seen_both_syns(e) && (tcp_flags & DL_TCP_RST) && dir != CT_SERVICE) {
			e->rx_closing = 1;
			e->tx_closing = 1;
		} else if (dir == CT_INGRESS) {
			e->rx_closing = 1;
		} else {
			e->tx_closing = 1;
		}
		if (ct_entry_alive(e))
			break;
		__ct_update_timeout(cfg, e, cfg->close, dir, tcp_flags, now);
		break;
	}
	return CT_ESTABLISHED;
}

static ALWAYS_INLINE int ct_lookup_fam(struct dl_ct_maps *ct, int fam, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
			 int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
			 struct dl_ct_hint *hint)
{
	bool is_tcp = tuple->nexthdr == DL_IPPROTO_TCP;
	uint16_t tcp_flags = 0;
	uint32_t len = pkt ? pkt->len : 0;
	struct dl_map *map;
	int ret;

	hint->valid = false;
	hint->entry = NULL;
	if (dir_flags(dir) < 0)
		return DROP_CT_INVALID_HDR;
	map = ct_map(ct, fam, tuple->nexthdr);
	if (is_tcp && pkt && pkt->has_l4_header) {
		tcp_flags = pkt->tcp_flags;
		if (tcp_flags & (DL_TCP_RST | DL_TCP_FIN))
			action = ACTION_CLOSE;
	}

	/* "Lookup the reverse direction. This will find an existing flow in the reverse
	 * direction." */
	ret = __ct_lookup(&ct->cfg, map, tuple, action, dir, state, is_tcp, tcp_flags, len, now, hint);
	if (ret != CT_NEW) {
		if (ret == CT_ESTABLISHED || ret == CT_REOPENED)
			ret = (tuple->flags & TUPLE_F_RELATED) ? CT_RELATED : CT_REPLY;
		return ret;
	}

	/* "Lookup entry in forward direction" */
	if (dir != CT_SERVICE) {
		dl_ct_tuple_reverse(tuple);
		ret = __ct_lookup(&ct->cfg, map, tuple, action, dir, state, is_tcp, tcp_flags, len, now, hint);
	}
	return ret;
}

int dl_ct_lookup4(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		  enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state)
{
	struct dl_ct_hint hint;

	return ct_lookup_fam(ct, FAM4, tuple, pkt, action, dir, now, state, &hint);
}

int dl_ct_lookup6(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		  enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state)
{
	struct dl_ct_hint hint;

	return ct_lookup_fam(ct, FAM6, tuple, pkt, action, dir, now, state, &hint);
}

int dl_ct_lookup4_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		       enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state, struct dl_ct_hint *hint)
{
	return ct_lookup_fam(ct, FAM4, tuple, pkt, action, dir, now, state, hint);
}

int dl_ct_lookup6_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		       enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state, struct dl_ct_hint *hint)
{
	return ct_lookup_fam(ct, FAM6, tuple, pkt, action, dir, now, state, hint);
}

static ALWAYS_INLINE int lazy_lookup(struct dl_ct_maps *ct, int fam, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
		       int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
		       struct dl_ct_hint *hint)
{
	int flags = dir_flags(dir);

	hint->valid = false;
	hint->entry = NULL;
	if (flags < 0)
		return DROP_CT_INVALID_HDR;
	tuple->flags = (uint8_t)flags;
	return ct_lookup_fam(ct, fam, tuple, pkt, action, dir, now, state, hint);
}

int dl_ct_lazy_lookup4(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
		       int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state)
{
	struct dl_ct_hint hint;

	return lazy_lookup(ct, FAM4, tuple, pkt, action, dir, now, state, &hint);
}

int dl_ct_lazy_lookup6(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
		       int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state)
{
	struct dl_ct_hint hint;

	return lazy_lookup(ct, FAM6, tuple, pkt, action, dir, now, state, &hint);
}

int dl_ct_lazy_lookup4_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
			    int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
			    struct dl_ct_hint *hint)
{
	return lazy_lookup(ct, FAM4, tuple, pkt, action, dir, now, state, hint);
}

int dl_ct_lazy_lookup6_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
			    int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
			    struct dl_ct_hint *hint)
{
	return lazy_lookup(ct, FAM6, tuple, pkt, action, dir, now, state, hint);
}

struct dl_ct_entry *dl_ct_entry_hint(struct dl_ct_maps *ct, uint8_t family, const struct dl_ct_tuple *tuple,
				     const struct dl_ct_hint *hint)
{
	struct dl_map *map;

	/* The entry the lookup found, still in its slot and at the head of the LRU list (see
	 * ct.h), is what a lookup would return, and the lookup's LRU touch a no-op. */
	if (hint && hint->valid && hint->entry)
		return hint->entry;
	map = family == 6 ? dl_ct_get_map6(ct, tuple->nexthdr) : dl_ct_get_map4(ct, tuple->nexthdr);
	return hint && hint->valid ? dl_map_lookup_hashed(map, tuple, hint->hash) : dl_map_lookup(map, tuple);
}

static int lookup_pkt(struct dl_ct_maps *ct, int fam, const struct dl_pkt_info *pi, const uint16_t *l4ports,
		      enum dl_ct_dir dir, uint32_t now, struct dl_ct_tuple *tuple, struct dl_ct_state *state)
{
	struct dl_ct_pkt pkt;
	struct dl_ct_hint hint;
	int action = tuple_from_pkt(pi, fam, dir, l4ports, tuple, &pkt);

	if (action < 0)
		return action;
	return ct_lookup_fam(ct, fam, tuple, &pkt, action, dir, now, state, &hint);
}

int dl_ct_lookup4_pkt(struct dl_ct_maps *ct, const struct dl_pkt_info *pi, const uint16_t *l4ports,
		      enum dl_ct_dir dir, uint32_t now, struct dl_ct_tuple *tuple, struct dl_ct_state *state)
{
	return lookup_pkt(ct, FAM4, pi, l4ports, dir, now, tuple, state);
}

int dl_ct_lookup6_pkt(struct dl_ct_maps *ct, const struct dl_pkt_info *pi, const uint16_t *l4ports,
		      enum dl_ct_dir dir, uint32_t now, struct dl_ct_tuple *tuple, struct dl_ct_state *state)
{
	return lookup_pkt(ct, FAM6, pi, l4ports, dir, now, tuple, state);
}

/* ---- creation ---- */

static bool addr_is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

static int ct_create(struct dl_ct_maps *ct, int fam, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		     const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now,
		     const struct dl_ct_hint *hint)
{
	static const struct dl_ct_state none;
	struct dl_ct_entry entry;
	bool is_tcp = tuple->nexthdr == DL_IPPROTO_TCP;
	uint32_t len = pkt ? pkt->len : 0;

	if (dir_flags(dir) < 0)
		return DROP_CT_INVALID_HDR;
	if (!state)
		state = &none;
	memset(&entry, 0, sizeof(entry));
	if (dir == CT_SERVICE) {
		entry.backend_id = state->backend_id;
	} else {
		if (fam == FAM4)
			entry.lb_loopback = state->loopback;
		entry.node_port = state->node_port;
		entry.dsr = state->dsr;
		entry.from_tunnel = state->from_tunnel;
		entry.ifindex = state->ifindex;
		entry.proxy_redirect = state->proxy_redirect;
		entry.from_l7lb = state->from_l7lb;
		entry.need_dsr_info = state->need_dsr_info;
	}
	entry.rev_nat_index = state->rev_nat_index;
	/* ct_create4: "seen_flags.value |= is_tcp ? TCP_FLAG_SYN : 0", whatever the packet
	 * carried, so a new TCP entry starts on the SYN timeout. */
	ct_update_timeout(&ct->cfg, &entry, is_tcp, dir, is_tcp ? DL_TCP_SYN : 0, now);
	if (dir == CT_INGRESS) {
		entry.rx_packets = 1;
		entry.rx_bytes = len;
	} else if (dir == CT_EGRESS) {
		entry.tx_packets = 1;
		entry.tx_bytes = len;
	}
	entry.src_sec_id = state->src_sec_id;

	if ((hint && hint->valid ? dl_map_update_hashed(ct_map(ct, fam, tuple->nexthdr), tuple, hint->hash, &entry,
							DL_BPF_ANY)
				 : dl_map_update(ct_map(ct, fam, tuple->nexthdr), tuple, &entry, DL_BPF_ANY)) < 0)
		goto fill_up;

	/* ct_create4 only (!DISABLE_LOOPBACK_LB): "We are looping back into the origin endpoint
	 * through a service. Set up a conntrack tuple for the reply to ensure we do rev NAT
	 * before attempting to route the destination address". */
	if (fam == FAM4 && dir == CT_EGRESS && state->loopback && !addr_is_zero(state->addr, 4)) {
		struct dl_ct_tuple lb = *tuple;

		lb.flags = TUPLE_F_IN;
		memcpy(lb.saddr, state->svc_addr, 4);
		memcpy(lb.daddr, state->addr, 4);
		if (dl_map_update(ct_map(ct, fam, tuple->nexthdr), &lb, &entry, DL_BPF_ANY) < 0)
			goto fill_up;
	}

	if (related) {
		/* "Create an ICMP entry to relate errors" */
		struct dl_ct_tuple icmp;
		uint8_t proto = fam == FAM4 ? DL_IPPROTO_ICMP : DL_IPPROTO_ICMPV6;

		memset(&icmp, 0, sizeof(icmp));
		memcpy(icmp.daddr, tuple->daddr, 16);
		memcpy(icmp.saddr, tuple->saddr, 16);
		icmp.nexthdr = proto;
		icmp.flags = tuple->flags | TUPLE_F_RELATED;
		entry.seen_non_syn = 1; /* "For ICMP, there is no SYN." */
		if (dl_map_update(ct_map(ct, fam, proto), &icmp, &entry, DL_BPF_ANY) < 0)
			goto fill_up;
	}
	return 0;

fill_up:
	ct->create_failed++;
	return DROP_CT_CREATE_FAILED;
}

int dl_ct_create4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		  const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now)
{
	return ct_create(ct, FAM4, tuple, dir, state, related, pkt, now, NULL);
}

int dl_ct_create6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		  const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now)
{
	return ct_create(ct, FAM6, tuple, dir, state, related, pkt, now, NULL);
}

int dl_ct_create4_hint(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		       const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now,
		       const struct dl_ct_hint *hint)
{
	return ct_create(ct, FAM4, tuple, dir, state, related, pkt, now, hint);
}

int dl_ct_create6_hint(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		       const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now,
		       const struct dl_ct_hint *hint)
{
	return ct_create(ct, FAM6, tuple, dir, state, related, pkt, now, hint);
}

int dl_ct_delete4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple)
{
	return dl_map_delete(dl_ct_get_map4(ct, tuple->nexthdr), tuple);
}

int dl_ct_delete6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple)
{
	return dl_map_delete(dl_ct_get_map6(ct, tuple->nexthdr), tuple);
}

/* ---- small updates ---- */

static struct dl_ct_entry *entry_of(struct dl_ct_maps *ct, int fam, const struct dl_ct_tuple *tuple)
{
	return dl_map_lookup(ct_map(ct, fam, tuple->nexthdr), tuple);
}

void dl_ct_update_svc_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint32_t backend_id,
			     uint16_t rev_nat_index)
{
	struct dl_ct_entry *e = entry_of(ct, FAM4, tuple);

	if (e) {
		e->backend_id = backend_id;
		e->rev_nat_index = rev_nat_index;
	}
}

void dl_ct_update_svc_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint32_t backend_id,
			     uint16_t rev_nat_index)
{
	struct dl_ct_entry *e = entry_of(ct, FAM6, tuple);

	if (e) {
		e->backend_id = backend_id;
		e->rev_nat_index = rev_nat_index;
	}
}

void dl_ct_update_rev_nat_index4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint16_t rev_nat_index)
{
	struct dl_ct_entry *e = entry_of(ct, FAM4, tuple);

	if (e)
		e->rev_nat_index = rev_nat_index;
}

void dl_ct_update_rev_nat_index6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint16_t rev_nat_index)
{
	struct dl_ct_entry *e = entry_of(ct, FAM6, tuple);

	if (e)
		e->rev_nat_index = rev_nat_index;
}

void dl_ct_update_dsr4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, bool dsr)
{
	struct dl_ct_entry *e = entry_of(ct, FAM4, tuple);

	if (e)
		e->dsr = dsr;
}

void dl_ct_update_dsr6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, bool dsr)
{
	struct dl_ct_entry *e = entry_of(ct, FAM6, tuple);

	if (e)
		e->dsr = dsr;
}

static const struct dl_ct_entry *egress_entry(struct dl_ct_maps *ct, int fam, const struct dl_ct_tuple *ingress)
{
	struct dl_ct_tuple t = *ingress;

	t.flags = TUPLE_F_OUT;
	return entry_of(ct, fam, &t);
}

bool dl_ct_has_nodeport_egress_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple,
				      bool check_dsr)
{
	const struct dl_ct_entry *e = egress_entry(ct, FAM4, ingress_tuple);

	return e && (e->node_port || (check_dsr && e->dsr));
}

bool dl_ct_has_nodeport_egress_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple,
				      bool check_dsr)
{
	const struct dl_ct_entry *e = egress_entry(ct, FAM6, ingress_tuple);

	return e && (e->node_port || (check_dsr && e->dsr));
}

bool dl_ct_has_dsr_egress_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple)
{
	const struct dl_ct_entry *e = egress_entry(ct, FAM4, ingress_tuple);

	return e && e->dsr;
}

bool dl_ct_has_dsr_egress_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple)
{
	const struct dl_ct_entry *e = egress_entry(ct, FAM6, ingress_tuple);

	return e && e->dsr;
}

/* ---- agent GC ---- */

/* Deletes expired entries of one map; returns how many. Deleting the slot the iteration stands
 * on is safe: dl_map_next continues from the next slot. */
static uint32_t gc_map(struct dl_map *m, uint32_t now, uint32_t *alive)
{
	uint32_t pos = 0, n = 0;
	const void *key;
	void *val;

	while (dl_map_next(m, &pos, &key, &val)) {
		const struct dl_ct_entry *e = val;

		if (e->lifetime < now) {
			struct dl_ct_tuple k;

			memcpy(&k, key, sizeof(k));
			if (dl_map_delete(m, &k) == 0)
				n++;
		}
	}
	*alive += m->count;
	return n;
}

uint32_t dl_ct_gc(struct dl_ct_maps *ct, uint32_t now, struct dl_ct_gc_stats *stats)
{
	uint32_t d4 = 0, d6 = 0, a4 = 0, a6 = 0;

	d4 += gc_map(&ct->ct4_tcp, now, &a4);
	d4 += gc_map(&ct->ct4_any, now, &a4);
	d6 += gc_map(&ct->ct6_tcp, now, &a6);
	d6 += gc_map(&ct->ct6_any, now, &a6);
	ct->gc.runs++;
	ct->gc.deleted4 += d4;
	ct->gc.deleted6 += d6;
	ct->gc.alive4 = a4;
	ct->gc.alive6 = a6;
	if (stats) {
		memset(stats, 0, sizeof(*stats));
		stats->runs = 1;
		stats->deleted4 = d4;
		stats->deleted6 = d6;
		stats->alive4 = a4;
		stats->alive6 = a6;
	}
	return d4 + d6;
}

const char *dl_ct_status_name(int status)
{
	switch (status) {
	case CT_NEW: return "CT_NEW";
	case CT_ESTABLISHED: return "CT_ESTABLISHED";
	case CT_REPLY: return "CT_REPLY";
	case CT_RELATED: return "CT_RELATED";
	case CT_REOPENED: return "CT_REOPENED";
	}
	return "?";
}
