/* cluster.c: the emulated cluster's hosts, the fabric between them, and the event log. It
 * moves each frame hop by hop: a host's link (wire), a node's XDP, taps, tc ingress/egress and
 * pod side, calling the node programs of node.c at each hook and logging every step. What a
 * node does to a packet is node.c's business; this file only carries packets and writes down
 * what happened. */
#include <stdlib.h>
#include <stdio.h>
#include "cluster_priv.h"
#include "map_inline.h"
#include "dsrlab/codec.h"
#include "dsrlab/csum.h"
#include "dsrlab/drop.h"
#include "dsrlab/icmp_err.h"
#include "dsrlab/maglev_hash.h"

#define MAX_HOPS 48u           /* a forwarding loop ends as DSRLAB_HOP_LIMIT */
#define MAX_EVENTS_PER_PKT 96u /* room reserved before a packet starts, so none is cut short */
#define MAX_PENDING 8u         /* packets made while one is processed (responder replies) */

/* One frame in flight. */
struct flight {
	struct dl_ctx ctx;
	uint8_t *storage;
	uint32_t pkt, parent;
	uint16_t flags;
	uint32_t hops;
	uint32_t last_off, last_len; /* the last bytes logged, to share identical frames */
	bool have_last;
	uint32_t from;               /* made packets: the host that sends them */
	bool has_orig;               /* the client-side flow, for responder bindings */
	bool reached_pod;            /* inputs: the frame got to a pod */
	struct dl_flow_key orig;
	uint32_t in_l3_len;          /* inputs: the IP length the frame came in with (0: made) */
	/* What is known about the frame without looking (frame_fresh clears it all):
	 * same_as_last  its bytes are the last ones logged (arena[last_off, +last_len));
	 * pi_valid      pi (parse result pi_rc) describes its bytes as they are now;
	 * pi_last       pi describes the last bytes logged.
	 * The Ethernet parse never reads the MACs, so set_macs leaves pi_valid as it is. */
	bool same_as_last, pi_valid, pi_last;
	int pi_rc;
	struct dl_pkt_info pi;
};

/* The frame in f is a new one (loaded, made, or rewritten here). */
static void frame_fresh(struct flight *f)
{
	f->have_last = false;
	f->same_as_last = false;
	f->pi_valid = false;
	f->pi_last = false;
}

/* A node program is about to get the frame: it may change any byte. It gets the frame's parse
 * when that is known (env->pi), so it does not parse the same bytes again. */
static void frame_to_program(struct flight *f, struct dl_node_env *env)
{
	env->pi = f->pi_valid ? &f->pi : NULL;
	env->pi_rc = f->pi_rc;
	f->same_as_last = false;
	f->pi_valid = false;
}

/* The frame parsed as Ethernet, from the cache when its bytes are known to be the same. */
static const struct dl_pkt_info *frame_parse(struct flight *f, int *rc)
{
	if (!f->pi_valid) {
		f->pi_rc = dl_pkt_parse(dl_ctx_data(&f->ctx), f->ctx.len, DL_LINKTYPE_ETHERNET, &f->pi);
		f->pi_valid = true;
		f->pi_last = f->same_as_last;
	}
	*rc = f->pi_rc;
	return &f->pi;
}

struct run {
	struct dl_cluster *c;
	struct dl_out *out;
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t now;
	struct flight pending[MAX_PENDING];
	uint32_t n_pending;
};

static void process_from_host(struct run *r, struct flight *f, uint32_t host);

/* ---- setup ---- */

/* ---- the address index (dl_addr_slot) ---- */

/* The address as two words (IPv4: its 4 bytes in the first, zero-extended). */
static void addr_words(uint8_t family, const uint8_t *addr, uint64_t *a0, uint64_t *a1)
{
	if (family == 6) {
		memcpy(a0, addr, 8);
		memcpy(a1, addr + 8, 8);
	} else {
		uint32_t v;
		memcpy(&v, addr, 4);
		*a0 = v;
		*a1 = 0;
	}
}

static uint32_t addr_hash(uint8_t family, uint64_t a0, uint64_t a1)
{
	uint64_t h = (a0 ^ ((uint64_t)family << 56)) * 0x9e3779b97f4a7c15ULL;

	h ^= a1 * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 31;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

static void addr_index_place(struct dl_addr_slot *slots, uint32_t mask, const struct dl_addr_slot *e)
{
	uint32_t i = addr_hash(e->family, e->a0, e->a1) & mask;

	while (slots[i].family)
		i = (i + 1) & mask;
	slots[i] = *e;
}

/* Adds an address (not in the index yet). Returns 0, or -1 on no memory. */
static int addr_index_add(struct dl_cluster *c, uint8_t family, const uint8_t *addr, uint32_t id)
{
	struct dl_addr_slot e;

	if (!c->addr_index || (uint64_t)(c->addr_count + 1) * 2 > (uint64_t)c->addr_mask + 1) {
		uint32_t n = c->addr_index ? (c->addr_mask + 1) * 2 : 64;
		struct dl_addr_slot *s;
		if (n < 64 || n > (1u << 30))
			return -1;
		s = calloc(n, sizeof(*s));
		if (!s)
			return -1;
		if (c->addr_index)
			for (uint32_t i = 0; i <= c->addr_mask; i++)
				if (c->addr_index[i].family)
					addr_index_place(s, n - 1, &c->addr_index[i]);
		free(c->addr_index);
		c->addr_index = s;
		c->addr_mask = n - 1;
	}
	memset(&e, 0, sizeof(e));
	addr_words(family, addr, &e.a0, &e.a1);
	e.family = family;
	e.id = id;
	addr_index_place(c->addr_index, c->addr_mask, &e);
	c->addr_count++;
	return 0;
}

/* Rebuilds the index from the hosts added so far (their addresses are what the address book
 * holds once del_addrs has undone a host that was not added). Returns 0, or -1 on no memory. */
static int addr_index_rebuild(struct dl_cluster *c)
{
	free(c->addr_index);
	c->addr_index = NULL;
	c->addr_mask = c->addr_count = 0;
	for (uint32_t id = 0; id < c->n_hosts; id++) {
		const struct dl_host_config *h = &c->hosts[id].cfg;
		if ((h->has_v4 && addr_index_add(c, 4, h->v4, id)) || (h->has_v6 && addr_index_add(c, 6, h->v6, id)))
			return -1;
	}
	return 0;
}

uint32_t dl_cluster_host_by_addr(const struct dl_cluster *c, uint8_t family, const uint8_t *addr)
{
	uint64_t a0, a1;
	uint32_t i;

	if (!c->addr_index)
		return UINT32_MAX;
	addr_words(family, addr, &a0, &a1);
	for (i = addr_hash(family, a0, a1) & c->addr_mask; c->addr_index[i].family; i = (i + 1) & c->addr_mask) {
		const struct dl_addr_slot *e = &c->addr_index[i];
		if (e->a0 == a0 && e->a1 == a1 && e->family == family)
			return e->id;
	}
	return UINT32_MAX;
}

struct dl_cluster *dl_cluster_new(const struct dl_cluster_config *cfg, char *err, size_t errlen)
{
	struct dl_cluster *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	if (cfg->nat_port_min == 0 || cfg->nat_port_min > cfg->nat_port_max) {
		snprintf(err, errlen, "SNAT port range %u-%u is empty", cfg->nat_port_min, cfg->nat_port_max);
		free(c);
		return NULL;
	}
	if (dl_map_init(&c->addrs, DL_MAP_HASH, sizeof(struct dl_addr_key), sizeof(uint32_t),
			cfg->addr_max ? cfg->addr_max : 1u << 16) ||
	    dl_map_init(&c->flows, DL_MAP_LRU_HASH, sizeof(struct dl_flow_key), sizeof(struct dl_flow_binding),
			cfg->flow_max ? cfg->flow_max : 1u << 18)) {
		snprintf(err, errlen, "out of memory");
		dl_cluster_free(c);
		return NULL;
	}
	c->prng = cfg->seed;
	c->next_made_id = 0x80000000u;
	c->default_host = UINT32_MAX;
	return c;
}

static void free_node(struct dl_node_state *ns)
{
	if (!ns)
		return;
	dl_lb_free(&ns->lb);
	dl_ct_free(&ns->ct);
	dl_snat_free(&ns->snat);
	dl_map_free(&ns->frag);
	dl_map_free(&ns->frag6);
	free(ns);
}

void dl_cluster_free(struct dl_cluster *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n_hosts; i++)
		free_node(c->hosts[i].ns);
	free(c->hosts);
	free(c->routes);
	free(c->node_ids);
	dl_map_free(&c->addrs);
	dl_map_free(&c->flows);
	free(c->addr_index);
	free(c->run_storage);
	free(c);
}

static int add_addr(struct dl_cluster *c, uint8_t family, const uint8_t *addr, uint32_t id)
{
	struct dl_addr_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, family == 6 ? 16 : 4);
	k.family = family;
	if (dl_map_update(&c->addrs, &k, &id, DL_BPF_NOEXIST))
		return -1;
	if (addr_index_add(c, family, addr, id)) {
		dl_map_delete(&c->addrs, &k);
		return -1;
	}
	return 0;
}

/* Undoes add_addr for a host that is not added after all: its id goes to the next host, so an
 * address left behind would lead there. */
static void del_addrs(struct dl_cluster *c, const struct dl_host_config *h, uint32_t id)
{
	struct dl_addr_key k;
	const uint32_t *owner;

	for (uint8_t fam = 4; fam <= 6; fam += 2) {
		if (!(fam == 4 ? h->has_v4 : h->has_v6))
			continue;
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, fam == 6 ? h->v6 : h->v4, fam == 6 ? 16 : 4);
		k.family = fam;
		owner = dl_map_peek(&c->addrs, &k);
		if (owner && *owner == id)
			dl_map_delete(&c->addrs, &k);
	}
	/* hosts[id] is not counted yet: the index goes back to the hosts added before it (on no
	 * memory, an empty index, so that no address leads to a host that is not there) */
	if (addr_index_rebuild(c)) {
		free(c->addr_index);
		c->addr_index = NULL;
		c->addr_mask = c->addr_count = 0;
	}
}

static struct dl_node_state *new_node(const struct dl_cluster_config *cfg)
{
	struct dl_node_state *ns = calloc(1, sizeof(*ns));
	struct dl_snat_config sc;

	if (!ns)
		return NULL;
	dl_snat_config_init(&sc, cfg->profile.snat_clamp_closed ? DL_SNAT_PROFILE_RECENT : DL_SNAT_PROFILE_V1_15);
	if (cfg->profile.snat_retries && cfg->profile.snat_retries <= DL_SNAT_MAX_RETRIES) {
		sc.collision_retries = cfg->profile.snat_retries;
		sc.signal_thres = cfg->profile.snat_retries / 2;
	}
	if (dl_lb_init(&ns->lb, &cfg->lb) || dl_ct_init(&ns->ct, cfg->ct_tcp_max, cfg->ct_any_max, &cfg->ct) ||
	    dl_snat_init(&ns->snat, cfg->nat_max, cfg->nat_max, &sc, cfg->seed) ||
	    dl_ipv4_frag_map_init(&ns->frag, cfg->frag_max) || dl_ipv6_frag_map_init(&ns->frag6, cfg->frag_max)) {
		free_node(ns);
		return NULL;
	}
	return ns;
}

int dl_cluster_add_host(struct dl_cluster *c, const struct dl_host_config *h)
{
	struct dl_host *nh;
	uint32_t id = c->n_hosts;

	if (h->kind == DL_HOST_POD && (h->node >= c->n_hosts || c->hosts[h->node].cfg.kind != DL_HOST_NODE))
		return -1;
	if (c->n_hosts == c->cap_hosts) {
		uint32_t cap = c->cap_hosts ? c->cap_hosts * 2 : 16;
		nh = realloc(c->hosts, cap * sizeof(*nh));
		if (!nh)
			return -1;
		c->hosts = nh;
		c->cap_hosts = cap;
	}
	nh = &c->hosts[id];
	memset(nh, 0, sizeof(*nh));
	nh->cfg = *h;
	nh->cfg.name[DL_HOST_NAME_MAX - 1] = '\0';
	if ((h->has_v4 && add_addr(c, 4, h->v4, id)) || (h->has_v6 && add_addr(c, 6, h->v6, id))) {
		del_addrs(c, h, id);
		return -2; /* an address already taken */
	}
	if (h->kind == DL_HOST_NODE) {
		uint32_t *ids = realloc(c->node_ids, (c->n_nodes + 1) * sizeof(uint32_t));
		if (!ids || !(nh->ns = new_node(&c->cfg))) {
			if (ids)
				c->node_ids = ids;
			del_addrs(c, h, id);
			return -1;
		}
		c->node_ids = ids;
		c->node_ids[c->n_nodes++] = id;
	}
	c->n_hosts++;
	return (int)id;
}

int dl_cluster_add_frontend_route(struct dl_cluster *c, const struct dl_frontend_route *rt)
{
	if (rt->node != UINT32_MAX && (rt->node >= c->n_hosts || c->hosts[rt->node].cfg.kind != DL_HOST_NODE))
		return -1;
	if (c->n_routes == c->cap_routes) {
		uint32_t cap = c->cap_routes ? c->cap_routes * 2 : 16;
		struct dl_frontend_route *n = realloc(c->routes, cap * sizeof(*n));
		if (!n)
			return -1;
		c->routes = n;
		c->cap_routes = cap;
	}
	c->routes[c->n_routes++] = *rt;
	return 0;
}

int dl_cluster_set_default_host(struct dl_cluster *c, uint32_t host)
{
	if (host >= c->n_hosts || c->hosts[host].cfg.kind != DL_HOST_CLIENT)
		return -1;
	c->default_host = host;
	return 0;
}

int dl_cluster_add_backend(struct dl_cluster *c, uint32_t node, uint32_t id, const struct dl_lb_backend *be)
{
	struct dl_node_state *ns = dl_cluster_node(c, node);
	return ns ? dl_lb_add_backend(&ns->lb, id, be) : -1;
}

int dl_cluster_add_service(struct dl_cluster *c, uint32_t node, const struct dl_lb_key *key,
			   const struct dl_lb_service *svc, const uint32_t *slot_ids, const uint32_t *maglev_lut)
{
	struct dl_node_state *ns = dl_cluster_node(c, node);
	return ns ? dl_lb_add_service(&ns->lb, key, svc, slot_ids, maglev_lut) : -1;
}

/* ---- the event log ---- */

static bool out_has_room(const struct dl_out *o, uint32_t events, uint64_t bytes)
{
	return o->n_events + events <= o->max_events && o->arena_used + bytes <= o->arena_size;
}

/* Logs one event for flight f; the frame bytes are stored unless identical to the last ones
 * this flight logged. */
static void emit(struct run *r, struct flight *f, uint32_t host, enum dl_point pt, enum dl_verdict v,
		 uint32_t peer, int32_t drop, uint16_t flags, const struct dl_prog_result *res)
{
	struct dl_out *o = r->out;
	struct dl_event *e;
	const uint8_t *d = dl_ctx_data(&f->ctx);
	uint32_t len = f->ctx.len;

	if (o->n_events >= o->max_events) {
		o->full = true;
		return;
	}
	e = &o->events[o->n_events++];
	memset(e, 0, sizeof(*e));
	if (f->have_last && f->last_len == len && (f->same_as_last || !memcmp(o->arena + f->last_off, d, len))) {
		e->off = f->last_off;
		f->same_as_last = true;
		if (f->pi_valid)
			f->pi_last = true;
		else if (f->pi_last)
			f->pi_valid = true;
	} else if (o->arena_used + len <= o->arena_size) {
		memcpy(o->arena + o->arena_used, d, len);
		e->off = o->arena_used;
		o->arena_used += len;
		f->last_off = e->off;
		f->last_len = len;
		f->have_last = true;
		f->same_as_last = true;
		f->pi_last = f->pi_valid;
	} else {
		o->full = true;
		f->same_as_last = false;
		len = 0;
	}
	e->len = len;
	e->pkt = f->pkt;
	e->parent = f->parent;
	e->ts_sec = r->ts_sec;
	e->ts_nsec = r->ts_nsec;
	e->host = host;
	e->peer = peer;
	e->point = (uint8_t)pt;
	e->verdict = (uint8_t)v;
	e->flags = (uint16_t)(f->flags | flags);
	e->drop = drop;
	if (res) {
		e->backend = res->backend;
		e->hash = res->hash;
		e->slot = res->slot;
		e->nat_port = res->nat_port;
		e->state = res->state;
		if (res->dsr)
			e->flags |= DL_EVF_DSR;
		if (res->snat)
			e->flags |= DL_EVF_SNAT;
	}
}

static void final_drop(struct run *r, struct flight *f, uint32_t host, enum dl_point pt, int32_t drop,
		       const struct dl_prog_result *res)
{
	emit(r, f, host, pt, DL_V_DROPPED, UINT32_MAX, drop, DL_EVF_FINAL, res);
}

/* ---- the fabric ---- */

/* The frame's parse (*pi, valid until the frame changes); true when it is an IP packet. */
static bool frame_dst(struct flight *f, const struct dl_pkt_info **pi)
{
	int rc;

	*pi = frame_parse(f, &rc);
	return rc == DL_PARSE_OK && dl_pkt_is_ip(*pi);
}

/* ECMP over the nodes: a hash of the flow's addresses and ports, as a router's L4 hash would. */
static uint32_t ecmp_node(const struct dl_cluster *c, const struct dl_pkt_info *pi)
{
	uint32_t w[4] = {0, 0, 0, 0};
	uint32_t n = pi->l3 == DL_L3_IPV6 ? 16 : 4;

	for (uint32_t i = 0; i < n; i++) {
		w[0] = w[0] * 31 + pi->src[i];
		w[1] = w[1] * 31 + pi->dst[i];
	}
	w[2] = ((uint32_t)pi->sport << 16) | pi->dport;
	w[3] = pi->l4_proto;
	return c->node_ids[dl_jhash(w, sizeof(w), 0x5eed) % c->n_nodes];
}

/* Which host a frame sent into the fabric goes to, by destination address: a frontend route
 * (pinned node or ECMP), a host's own address, or a pod's node (autoDirectNodeRoutes).
 * UINT32_MAX when nothing owns the address. */
static uint32_t route(const struct dl_cluster *c, const struct dl_pkt_info *pi)
{
	uint8_t fam = pi->l3 == DL_L3_IPV6 ? 6 : 4;
	uint32_t alen = fam == 6 ? 16 : 4, id;

	for (uint32_t i = 0; i < c->n_routes; i++) {
		const struct dl_frontend_route *rt = &c->routes[i];
		if (rt->family == fam && !memcmp(rt->addr, pi->dst, alen))
			return rt->node == UINT32_MAX ? (c->n_nodes ? ecmp_node(c, pi) : UINT32_MAX) : rt->node;
	}
	id = dl_cluster_host_by_addr(c, fam, pi->dst);
	if (id == UINT32_MAX)
		return c->default_host;
	if (c->hosts[id].cfg.kind == DL_HOST_POD)
		return c->hosts[id].cfg.node;
	return id;
}

static void set_macs(struct flight *f, const uint8_t src[6], const uint8_t dst[6])
{
	uint8_t *d = dl_ctx_data(&f->ctx);

	if (f->ctx.len >= 12 && (memcmp(d, dst, 6) || memcmp(d + 6, src, 6))) {
		memcpy(d, dst, 6);
		memcpy(d + 6, src, 6);
		f->same_as_last = false;
	}
}

static void host_receive(struct run *r, struct flight *f, uint32_t host, uint32_t from);

/* The MTU of the link between two hosts: the smaller of the two configured (0: unknown). */
static uint32_t link_mtu(const struct dl_cluster *c, uint32_t a, uint32_t b)
{
	uint32_t ma = c->hosts[a].cfg.mtu, mb = c->hosts[b].cfg.mtu;

	if (!ma || !mb)
		return ma ? ma : mb;
	return ma < mb ? ma : mb;
}

/* A client or node puts the frame on its link towards the next hop. */
/* tap: a node's external device, whose tx tap sees the frame once the forwarding path has set
 * its MACs (after tc egress, before the driver). */
static void fabric_send(struct run *r, struct flight *f, uint32_t host, bool tap)
{
	struct dl_cluster *c = r->c;
	const struct dl_pkt_info *pi;
	uint32_t to, mtu;

	if (++f->hops > MAX_HOPS) {
		final_drop(r, f, host, DL_PT_WIRE_TX, DL_DROP_HOP_LIMIT, NULL);
		return;
	}
	if (!frame_dst(f, &pi)) {
		/* ARP goes to the host that owns the address asked about (its stack answers). */
		if (pi->l3 == DL_L3_ARP && pi->arp_ipv4) {
			to = dl_cluster_host_by_addr(c, 4, pi->arp_tpa);
			/* A service address is answered by the node it enters at (the first node for
			 * ECMP: routers resolve it once). */
			for (uint32_t i = 0; to == UINT32_MAX && i < c->n_routes; i++)
				if (c->routes[i].family == 4 && !memcmp(c->routes[i].addr, pi->arp_tpa, 4))
					to = c->routes[i].node != UINT32_MAX ? c->routes[i].node : (c->n_nodes ? c->node_ids[0] : UINT32_MAX);
			if (to != UINT32_MAX && to != host) {
				set_macs(f, c->hosts[host].cfg.mac, c->hosts[to].cfg.mac);
				if (tap)
					emit(r, f, host, DL_PT_TAP_TX, DL_V_SEEN, UINT32_MAX, 0, 0, NULL);
				emit(r, f, host, DL_PT_WIRE_TX, DL_V_SEEN, to, 0, 0, NULL);
				host_receive(r, f, to, host);
				return;
			}
			final_drop(r, f, host, DL_PT_WIRE_TX, DL_DROP_NO_ROUTE, NULL);
			return;
		}
		final_drop(r, f, host, DL_PT_WIRE_TX, DL_DROP_UNPARSEABLE, NULL);
		return;
	}
	to = route(c, pi);
	if (to == UINT32_MAX || to == host) {
		final_drop(r, f, host, DL_PT_WIRE_TX, DL_DROP_NO_ROUTE, NULL);
		return;
	}
	/* No packet leaves a hop larger than the link's MTU (DESIGN). Without pmtuDiscovery
	 * Cilium adds the DSR option or encapsulation whatever the size (ENABLE_DSR_ICMP_ERRORS
	 * undefined, spec §4.1); what the kernel or NIC then does with the oversize frame is
	 * UNCONFIRMED, most likely a silent drop: dsrlab drops it here as DROP_FRAG_NEEDED. A frame
	 * that came into the emulation that large (a capture's GRO/TSO aggregate) is the capture's
	 * doing, not the datapath's, and is carried as it is. */
	mtu = link_mtu(c, host, to);
	if (mtu && pi->l3_len > mtu && pi->l3_len > f->in_l3_len) {
		final_drop(r, f, host, DL_PT_WIRE_TX, DROP_FRAG_NEEDED, NULL);
		return;
	}
	set_macs(f, c->hosts[host].cfg.mac, c->hosts[to].cfg.mac);
	if (tap)
		emit(r, f, host, DL_PT_TAP_TX, DL_V_SEEN, UINT32_MAX, 0, 0, NULL);
	emit(r, f, host, DL_PT_WIRE_TX, DL_V_SEEN, to, 0, 0, NULL);
	host_receive(r, f, to, host);
}

static void queue_made(struct run *r, const uint8_t *frame, uint32_t len, uint32_t from_host, uint32_t parent,
		       uint16_t flags)
{
	struct flight *p;

	if (r->n_pending >= MAX_PENDING)
		return;
	p = &r->pending[r->n_pending];
	if (dl_ctx_load(&p->ctx, p->storage, DL_CTX_MAX_FRAME, frame, len))
		return;
	p->pkt = r->c->next_made_id++;
	p->parent = parent;
	p->flags = flags | DL_EVF_GENERATED;
	p->hops = 0;
	frame_fresh(p);
	p->has_orig = false;
	p->reached_pod = false;
	p->in_l3_len = 0;
	p->from = from_host;
	r->n_pending++;
}

/* ---- nodes ---- */

static void node_out(struct run *r, struct flight *f, uint32_t node, bool run_egress);
static void node_to_pod(struct run *r, struct flight *f, uint32_t node, uint32_t pod);

static struct dl_node_env env_of(struct run *r, uint32_t node)
{
	struct dl_node_env e = {.c = r->c, .node = node, .now = r->now};
	return e;
}

static enum dl_verdict verdict_of(const struct dl_prog_result *res)
{
	switch (res->next) {
	case DL_NEXT_DROP: return DL_V_DROPPED;
	case DL_NEXT_TX:
	case DL_NEXT_BACK: return res->answered ? DL_V_ANSWERED : DL_V_TX;
	case DL_NEXT_POD:
	case DL_NEXT_OUT: return res->translated ? DL_V_TRANSLATED : DL_V_REDIRECT;
	case DL_NEXT_STACK: return DL_V_TO_STACK;
	default: return res->translated ? DL_V_TRANSLATED : DL_V_PASS;
	}
}

/* Acts on a program's result at a node (shared by XDP, tc ingress and the pod side). */
static void node_follow(struct run *r, struct flight *f, uint32_t node, enum dl_point pt, const struct dl_prog_result *res)
{
	switch (res->next) {
	case DL_NEXT_DROP:
		final_drop(r, f, node, pt, res->drop, res);
		return;
	case DL_NEXT_STACK:
		emit(r, f, node, DL_PT_STACK, DL_V_TO_STACK, UINT32_MAX, 0, DL_EVF_FINAL, res);
		return;
	case DL_NEXT_POD:
		node_to_pod(r, f, node, res->pod);
		return;
	case DL_NEXT_OUT:
		node_out(r, f, node, true);
		return;
	case DL_NEXT_BACK:
		/* tc redirect to the ingress device's egress: to-netdev runs and taps see it. */
		if (res->answered)
			f->flags |= DL_EVF_GENERATED;
		node_out(r, f, node, true);
		return;
	case DL_NEXT_TX:
		/* XDP_TX leaves before the taps and without tc egress. */
		if (res->answered)
			f->flags |= DL_EVF_GENERATED;
		fabric_send(r, f, node, false);
		return;
	case DL_NEXT_PASS:
		emit(r, f, node, DL_PT_STACK, DL_V_TO_STACK, UINT32_MAX, 0, DL_EVF_FINAL, res);
		return;
	}
}

/* A frame arrives on a node's external device: XDP, the rx tap, tc ingress. */
static void node_receive(struct run *r, struct flight *f, uint32_t node)
{
	struct dl_node_env env = env_of(r, node);
	struct dl_prog_result res;
	bool after_xdp = false;

	if (r->c->cfg.accel != DL_ACCEL_DISABLED) {
		memset(&res, 0, sizeof(res));
		frame_to_program(f, &env);
		dl_node_xdp(&env, &f->ctx, &res);
		/* An XDP_DROP is logged once, by node_follow's final drop (as tc's are). */
		if (res.next != DL_NEXT_DROP)
			emit(r, f, node, DL_PT_XDP, verdict_of(&res), UINT32_MAX, 0, 0, &res);
		if (res.next != DL_NEXT_PASS) {
			node_follow(r, f, node, DL_PT_XDP, &res);
			return;
		}
		after_xdp = res.done_xdp;
	}
	emit(r, f, node, DL_PT_TAP_RX, DL_V_SEEN, UINT32_MAX, 0, 0, NULL);
	memset(&res, 0, sizeof(res));
	frame_to_program(f, &env);
	dl_node_from_netdev(&env, &f->ctx, after_xdp, &res);
	if (res.next != DL_NEXT_DROP)
		emit(r, f, node, DL_PT_TC_INGRESS, verdict_of(&res), UINT32_MAX, 0, 0, &res);
	node_follow(r, f, node, DL_PT_TC_INGRESS, &res);
}

/* Out the external device: tc egress (to-netdev), the tx tap, the wire. */
static void node_out(struct run *r, struct flight *f, uint32_t node, bool run_egress)
{
	struct dl_node_env env = env_of(r, node);
	struct dl_prog_result res;

	if (run_egress) {
		memset(&res, 0, sizeof(res));
		frame_to_program(f, &env);
		dl_node_to_netdev(&env, &f->ctx, &res);
		if (res.next == DL_NEXT_DROP) {
			final_drop(r, f, node, DL_PT_TC_EGRESS, res.drop, &res);
			return;
		}
		emit(r, f, node, DL_PT_TC_EGRESS, verdict_of(&res), UINT32_MAX, 0, 0, &res);
		if (res.next == DL_NEXT_POD) { /* a rewritten reply for a local pod */
			node_to_pod(r, f, node, res.pod);
			return;
		}
	}
	fabric_send(r, f, node, true);
}

static void node_to_pod(struct run *r, struct flight *f, uint32_t node, uint32_t pod)
{
	struct dl_cluster *c = r->c;

	set_macs(f, c->hosts[node].cfg.mac, c->hosts[pod].cfg.mac);
	emit(r, f, node, DL_PT_LXC_INGRESS, DL_V_REDIRECT, pod, 0, 0, NULL);
	host_receive(r, f, pod, node);
}

/* A pod sends: its link, then bpf_lxc on its node. */
static void pod_send(struct run *r, struct flight *f, uint32_t pod)
{
	struct dl_cluster *c = r->c;
	uint32_t node = c->hosts[pod].cfg.node;
	struct dl_node_env env = env_of(r, node);
	struct dl_prog_result res;

	set_macs(f, c->hosts[pod].cfg.mac, c->hosts[node].cfg.mac);
	emit(r, f, pod, DL_PT_WIRE_TX, DL_V_SEEN, node, 0, 0, NULL);
	memset(&res, 0, sizeof(res));
	frame_to_program(f, &env);
	dl_node_from_container(&env, &f->ctx, pod, &res);
	if (res.next != DL_NEXT_DROP)
		emit(r, f, node, DL_PT_LXC_EGRESS, verdict_of(&res), pod, 0, 0, &res);
	node_follow(r, f, node, DL_PT_LXC_EGRESS, &res);
}

/* ---- responders ---- */

static void flow_key_of(struct dl_flow_key *k, const struct dl_pkt_info *pi)
{
	uint32_t alen = pi->l3 == DL_L3_IPV6 ? 16 : 4;

	memset(k, 0, sizeof(*k));
	memcpy(k->client, pi->src, alen);
	memcpy(k->frontend, pi->dst, alen);
	/* ICMP echo: the id plays the client port (conntrack does the same, §7.1). */
	if (pi->l4_proto == DL_IPPROTO_ICMP || pi->l4_proto == DL_IPPROTO_ICMPV6) {
		k->cport = pi->icmp_id;
		k->fport = 0;
	} else {
		k->cport = pi->sport;
		k->fport = pi->dport;
	}
	k->proto = pi->l4_proto;
	k->family = pi->l3 == DL_L3_IPV6 ? 6 : 4;
}

static void echo_reply(struct run *r, struct flight *f, uint32_t pod, struct dl_flow_binding *b);

/* A frame reached a pod: note which pod holds the flow, and answer if asked to. */
static void pod_received(struct run *r, struct flight *f, uint32_t pod)
{
	const struct dl_pkt_info *pi;
	struct dl_flow_binding nb, *b = NULL;
	uint32_t h;

	emit(r, f, pod, DL_PT_POD, DL_V_DELIVERED, UINT32_MAX, 0, DL_EVF_FINAL, NULL);
	f->reached_pod = true;
	if (!f->has_orig || !frame_dst(f, &pi))
		return;
	b = dl_map_lookup_inline(&r->c->flows, &f->orig, sizeof(f->orig), &h);
	if (!b) {
		memset(&nb, 0, sizeof(nb));
		dl_map_update_hashed(&r->c->flows, &f->orig, h, &nb, DL_BPF_ANY);
		b = dl_map_lookup_hashed(&r->c->flows, &f->orig, h);
		if (!b)
			return;
	}
	b->pod = pod;
	memcpy(b->peer, pi->src, 16);
	memcpy(b->local, pi->dst, 16);
	b->peer_port = pi->sport;
	b->local_port = pi->dport;
	b->last_reached = true;
	if (r->c->cfg.responder == DL_RESPOND_ECHO)
		echo_reply(r, f, pod, b);
}

static void host_receive(struct run *r, struct flight *f, uint32_t host, uint32_t from)
{
	struct dl_cluster *c = r->c;

	emit(r, f, host, DL_PT_WIRE_RX, DL_V_SEEN, from, 0, 0, NULL);
	switch (c->hosts[host].cfg.kind) {
	case DL_HOST_NODE:
		node_receive(r, f, host);
		return;
	case DL_HOST_POD:
		pod_received(r, f, host);
		return;
	case DL_HOST_CLIENT:
		emit(r, f, host, DL_PT_CLIENT, DL_V_DELIVERED, UINT32_MAX, 0, DL_EVF_FINAL, NULL);
		return;
	}
}

static void process_from_host(struct run *r, struct flight *f, uint32_t host)
{
	if (r->c->hosts[host].cfg.kind == DL_HOST_POD)
		pod_send(r, f, host);
	else
		fabric_send(r, f, host, false);
}


/* Writes an Ethernet + IP + TCP/UDP/ICMP frame into out (room for 14 + 40 + 20 + paylen bytes)
 * with valid checksums; returns its length. Addresses are 4 or 16 bytes by family. */
static uint32_t build_frame(uint8_t *out, const uint8_t smac[6], const uint8_t dmac[6], uint8_t family,
			    const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport,
			    uint32_t seq, uint32_t ack, uint8_t tcp_flags, uint8_t icmp_type, const uint8_t *payload,
			    uint32_t paylen)
{
	uint32_t l3 = 14, l4, hl = proto == DL_IPPROTO_TCP ? 20 : 8, iplen;
	struct dl_pkt_info pi;

	memcpy(out, dmac, 6);
	memcpy(out + 6, smac, 6);
	dl_wr16(out + 12, family == 6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4);
	if (family == 6) {
		l4 = l3 + 40;
		memset(out + l3, 0, 40);
		out[l3] = 0x60;
		dl_wr16(out + l3 + 4, (uint16_t)(hl + paylen));
		out[l3 + 6] = proto;
		out[l3 + 7] = 64;
		memcpy(out + l3 + 8, src, 16);
		memcpy(out + l3 + 24, dst, 16);
	} else {
		l4 = l3 + 20;
		memset(out + l3, 0, 20);
		out[l3] = 0x45;
		iplen = 20 + hl + paylen;
		dl_wr16(out + l3 + 2, (uint16_t)iplen);
		dl_wr16(out + l3 + 6, 0x4000); /* DF, as Linux sets it */
		out[l3 + 8] = 64;
		out[l3 + 9] = proto;
		memcpy(out + l3 + 12, src, 4);
		memcpy(out + l3 + 16, dst, 4);
	}
	memset(out + l4, 0, hl);
	if (proto == DL_IPPROTO_TCP) {
		dl_wr16(out + l4, sport);
		dl_wr16(out + l4 + 2, dport);
		dl_wr32(out + l4 + 4, seq);
		dl_wr32(out + l4 + 8, ack);
		out[l4 + 12] = 5 << 4;
		out[l4 + 13] = tcp_flags;
		dl_wr16(out + l4 + 14, 64240);
	} else if (proto == DL_IPPROTO_UDP) {
		dl_wr16(out + l4, sport);
		dl_wr16(out + l4 + 2, dport);
		dl_wr16(out + l4 + 4, (uint16_t)(8 + paylen));
	} else {
		out[l4] = icmp_type;
		dl_wr16(out + l4 + 4, sport); /* echo id */
		dl_wr16(out + l4 + 6, dport); /* echo sequence */
	}
	if (paylen)
		memcpy(out + l4 + hl, payload, paylen);
	if (dl_pkt_parse(out, l4 + hl + paylen, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(out, l4 + hl + paylen, &pi);
	return l4 + hl + paylen;
}

/* responder=echo: the pod answers like a tiny TCP/UDP echo server (handshake, echoed data, FIN)
 * and answers ICMP echo requests. */
static void echo_reply(struct run *r, struct flight *f, uint32_t pod, struct dl_flow_binding *b)
{
	struct dl_cluster *c = r->c;
	const uint8_t *d = dl_ctx_data(&f->ctx);
	struct dl_pkt_info pi;
	uint8_t frame[14 + 40 + 20 + 1500];
	uint32_t len = 0, paylen;
	uint8_t fam;
	const uint8_t *node_mac = c->hosts[c->hosts[pod].cfg.node].cfg.mac;
	int prc;

	if (f->flags & DL_EVF_REPLY)
		return;
	pi = *frame_parse(f, &prc);
	if (prc != DL_PARSE_OK || !dl_pkt_has_l4_hdr(&pi) || pi.frag == DL_FRAG_LATER)
		return;
	fam = pi.l3 == DL_L3_IPV6 ? 6 : 4;
	/* The answer must leave the pod: at most what fits its MTU after the IP and L4 headers (a
	 * TCP echo server's segment is MSS-sized; a larger UDP answer would need fragments, which
	 * this small server does not make: it answers with the first MTU's worth). */
	{
		uint32_t mtu = c->hosts[pod].cfg.mtu ? c->hosts[pod].cfg.mtu : 1500, hdrs = (fam == 6 ? 40u : 20u) + (pi.l4_proto == DL_IPPROTO_TCP ? 20u : 8u);
		uint32_t room = mtu > hdrs ? mtu - hdrs : 0;
		if (room > 1500)
			room = 1500; /* frame[] holds 1500 bytes of payload */
		paylen = pi.payload_len > room ? room : pi.payload_len;
	}
	if (pi.frag == DL_FRAG_FIRST)
		return; /* no reassembly: a fragmented datagram gets no echo */
	if (pi.l4_proto == DL_IPPROTO_TCP) {
		uint16_t fl = pi.tcp_flags;
		if (fl & DL_TCP_RST)
			return;
		if ((fl & DL_TCP_SYN) && !(fl & DL_TCP_ACK)) {
			/* A deterministic initial sequence number per flow. */
			uint32_t isn = dl_jhash(pi.src, 16, pi.sport) ^ dl_jhash(pi.dst, 16, pi.dport);
			b->server_seq = isn + 1;
			b->tcp_state = 1;
			len = build_frame(frame, c->hosts[pod].cfg.mac, node_mac, fam, pi.dst, pi.src, DL_IPPROTO_TCP, pi.dport,
					  pi.sport, isn, pi.tcp_seq + 1, DL_TCP_SYN | DL_TCP_ACK, 0, NULL, 0);
		} else if (paylen || (fl & DL_TCP_FIN)) {
			uint8_t out_fl = DL_TCP_ACK | (paylen ? DL_TCP_PSH : 0) | ((fl & DL_TCP_FIN) ? DL_TCP_FIN : 0);
			uint32_t ack = pi.tcp_seq + pi.payload_len + ((fl & DL_TCP_FIN) ? 1 : 0);
			len = build_frame(frame, c->hosts[pod].cfg.mac, node_mac, fam, pi.dst, pi.src, DL_IPPROTO_TCP, pi.dport,
					  pi.sport, b->server_seq, ack, out_fl, 0, d + pi.payload_off, paylen);
			b->server_seq += paylen + ((fl & DL_TCP_FIN) ? 1 : 0);
		}
	} else if (pi.l4_proto == DL_IPPROTO_UDP) {
		len = build_frame(frame, c->hosts[pod].cfg.mac, node_mac, fam, pi.dst, pi.src, DL_IPPROTO_UDP, pi.dport, pi.sport,
				  0, 0, 0, 0, d + pi.payload_off, paylen);
	} else if ((pi.l4_proto == DL_IPPROTO_ICMP && pi.icmp_type == 8) || (pi.l4_proto == DL_IPPROTO_ICMPV6 && pi.icmp_type == 128)) {
		len = build_frame(frame, c->hosts[pod].cfg.mac, node_mac, fam, pi.dst, pi.src, pi.l4_proto, pi.icmp_id,
				  pi.icmp_seq, 0, 0, 0, pi.l4_proto == DL_IPPROTO_ICMP ? 0 : 129, d + pi.payload_off, paylen);
	}
	if (len)
		queue_made(r, frame, len, pod, f->pkt, DL_EVF_REPLY);
}

/* responder=capture: a server packet of the capture leaves the pod that holds its flow, with
 * the addresses that pod uses (its own address and port; the peer it saw). A flow whose request
 * never reached a pod keeps its server packets back; so does a UDP or ICMP flow whose latest
 * request did not (the server answers datagrams one by one: no request there, no answer). A TCP
 * server's segments are not tied to the client's latest one (it may be sending data while a
 * client segment was lost), so TCP goes by the flow. */
static void inject_server_packet(struct run *r, struct flight *f)
{
	struct dl_cluster *c = r->c;
	uint8_t *d = dl_ctx_data(&f->ctx);
	struct dl_pkt_info pi;
	struct dl_flow_key k;
	struct dl_flow_binding *b;
	struct dl_icmp_err_inner in;
	uint32_t alen;
	bool err;
	int prc;

	pi = *frame_parse(f, &prc);
	if (prc != DL_PARSE_OK || !dl_pkt_is_ip(&pi)) {
		final_drop(r, f, UINT32_MAX, DL_PT_WIRE_TX, DL_DROP_UNPARSEABLE, NULL);
		return;
	}
	alen = pi.l3 == DL_L3_IPV6 ? 16 : 4;
	/* An ICMP error the server sent about a TCP/UDP request belongs to the flow it quotes
	 * (client:cport → frontend:fport). */
	err = dl_icmp_is_error(&pi) && dl_icmp_err_inner(&f->ctx, &pi, &in) == 0 && in.has_ports &&
	      in.proto != DL_IPPROTO_SCTP;
	memset(&k, 0, sizeof(k));
	k.family = alen == 16 ? 6 : 4;
	if (err) {
		memcpy(k.client, in.src, alen);
		memcpy(k.frontend, in.dst, alen);
		k.cport = in.sport;
		k.fport = in.dport;
		k.proto = in.proto;
	} else {
		bool icmp = pi.l4_proto == DL_IPPROTO_ICMP || pi.l4_proto == DL_IPPROTO_ICMPV6;
		memcpy(k.client, pi.dst, alen);
		memcpy(k.frontend, pi.src, alen);
		k.cport = icmp ? pi.icmp_id : pi.dport;
		k.fport = icmp ? 0 : pi.sport;
		k.proto = pi.l4_proto;
	}
	b = dl_map_lookup(&c->flows, &k);
	if (!b || (!b->last_reached && k.proto != DL_IPPROTO_TCP)) {
		final_drop(r, f, UINT32_MAX, DL_PT_WIRE_TX, DL_DROP_WITHHELD, NULL);
		return;
	}
	f->same_as_last = f->pi_valid = f->pi_last = false;
	if (err) {
		/* It leaves the pod as the pod would send it: pod → peer, quoting peer:peer_port →
		 * pod:local_port, checksums carried along (icmp_err.h). */
		struct dl_icmp_err_xlate x;
		int rc;

		memset(&x, 0, sizeof(x));
		x.outer_saddr = b->local;
		x.outer_daddr = b->peer;
		x.inner_saddr = b->peer;
		x.inner_daddr = b->local;
		x.inner_sport = b->peer_port;
		x.inner_dport = b->local_port;
		rc = dl_icmp_err_rewrite(&f->ctx, &pi, &x);
		if (rc < 0) {
			final_drop(r, f, UINT32_MAX, DL_PT_WIRE_TX, rc, NULL);
			return;
		}
	} else {
		/* Rewrite to what the pod uses, then recompute every checksum. */
		memcpy(d + pi.l3_off + (alen == 4 ? 12 : 8), b->local, alen);
		memcpy(d + pi.l3_off + (alen == 4 ? 16 : 24), b->peer, alen);
		if (pi.l4_proto == DL_IPPROTO_TCP || pi.l4_proto == DL_IPPROTO_UDP) {
			dl_wr16(d + pi.l4_off, b->local_port);
			dl_wr16(d + pi.l4_off + 2, b->peer_port);
		}
		if (dl_pkt_parse(d, f->ctx.len, DL_LINKTYPE_ETHERNET, &pi) == DL_PARSE_OK)
			dl_pkt_fix_csums(d, f->ctx.len, &pi);
	}
	process_from_host(r, f, b->pod);
}

/* ---- running a batch ---- */

/* The agent's periodic garbage collection: expired conntrack entries go, then NAT entries whose
 * connection is gone (pkg/maps/ctmap GC; lookups themselves never expire anything, §7.2). The
 * agent's interval is dynamic; dsrlab runs it every DL_GC_INTERVAL seconds of capture time. */
#define DL_GC_INTERVAL 60u
static void agent_gc(struct dl_cluster *c, uint32_t now)
{
	if (c->next_gc == 0) {
		c->next_gc = now + DL_GC_INTERVAL;
		return;
	}
	if (now < c->next_gc)
		return;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		struct dl_node_state *ns = c->hosts[c->node_ids[i]].ns;
		dl_ct_gc(&ns->ct, now, &ns->ct.gc);
		dl_snat_purge_orphans(&ns->snat, &ns->ct);
	}
	c->next_gc = now + DL_GC_INTERVAL;
}

/* Puts an input packet into f as an Ethernet frame. Raw IP and Linux cooked captures get an
 * Ethernet header (the fabric sets the MACs anyway). Returns 0, or -1 when the link layer is
 * not one dsrlab can turn into Ethernet. */
static int load_frame(struct flight *f, const struct dl_in_packet *p, const struct dl_cluster *c)
{
	struct dl_pkt_info pi;
	uint16_t type;
	const uint8_t *l3;
	uint32_t l3len;

	(void)c;
	if (p->linktype == DL_LINKTYPE_ETHERNET || p->linktype == 0)
		return dl_ctx_load(&f->ctx, f->storage, DL_CTX_MAX_FRAME, p->data, p->len);
	dl_pkt_parse(p->data, p->len, p->linktype, &pi);
	if (pi.l3 != DL_L3_IPV4 && pi.l3 != DL_L3_IPV6)
		return -1;
	type = pi.l3 == DL_L3_IPV6 ? DL_ETH_P_IPV6 : DL_ETH_P_IPV4;
	l3 = p->data + pi.l3_off;
	l3len = p->len - pi.l3_off;
	if (dl_ctx_load(&f->ctx, f->storage, DL_CTX_MAX_FRAME, l3, l3len) || dl_ctx_adjust_head(&f->ctx, -14))
		return -1;
	memset(dl_ctx_data(&f->ctx), 0, 12);
	dl_wr16(dl_ctx_data(&f->ctx) + 12, type);
	return 0;
}

void dl_cluster_set_run_hints(struct dl_cluster *c, uint32_t hints)
{
	c->run_hints = hints;
}

uint32_t dl_cluster_run(struct dl_cluster *c, const struct dl_in_packet *pkts, uint32_t n, struct dl_out *out)
{
	struct run r;
	struct flight main;
	uint32_t done = 0;
	uint8_t *storage = c->run_storage;
	/* Flow bindings are read only by the responders (echo replies, captured server packets). */
	bool bindings = c->cfg.responder != DL_RESPOND_NONE || !(c->run_hints & DL_RUN_NO_SERVER);

	if (!storage) {
		storage = c->run_storage = malloc((size_t)DL_CTX_MAX_FRAME * (MAX_PENDING + 1));
		if (!storage) {
			out->full = true;
			return 0;
		}
	}
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.out = out;
	main.storage = storage;
	for (uint32_t i = 0; i < MAX_PENDING; i++)
		r.pending[i].storage = storage + (size_t)DL_CTX_MAX_FRAME * (i + 1);

	for (; done < n; done++) {
		const struct dl_in_packet *p = &pkts[done];
		uint64_t worst = (uint64_t)MAX_EVENTS_PER_PKT * ((uint64_t)p->len + 512);

		if (!out_has_room(out, MAX_EVENTS_PER_PKT, worst > out->arena_size ? out->arena_size : worst)) {
			out->full = true;
			break;
		}
		r.ts_sec = p->ts_sec;
		r.ts_nsec = p->ts_nsec;
		/* Conntrack time: whole seconds of capture time (u32, as bpf_mono_now()). */
		r.now = (uint32_t)(p->ts_sec > 0 ? p->ts_sec : 0);
		agent_gc(c, r.now);
		if (p->host >= c->n_hosts || p->len > DL_CTX_MAX_FRAME - DL_CTX_HEADROOM || load_frame(&main, p, c)) {
			/* No such sender, too large, or not a frame dsrlab can carry: counted, with a
			 * reason, never skipped silently. */
			dl_ctx_load(&main.ctx, main.storage, DL_CTX_MAX_FRAME, NULL, 0);
			main.pkt = p->id;
			main.parent = p->id;
			main.flags = 0;
			frame_fresh(&main);
			final_drop(&r, &main, p->host < c->n_hosts ? p->host : UINT32_MAX, DL_PT_WIRE_TX, DL_DROP_UNPARSEABLE, NULL);
			continue;
		}
		main.pkt = p->id;
		main.parent = p->id;
		main.flags = 0;
		main.hops = 0;
		frame_fresh(&main);
		main.has_orig = false;
		main.reached_pod = false;
		main.in_l3_len = 0;
		{
			const struct dl_pkt_info *ipi;
			if (frame_dst(&main, &ipi))
				main.in_l3_len = ipi->l3_len;
		}
		if (p->server) {
			main.flags = DL_EVF_REPLY;
			inject_server_packet(&r, &main);
		} else {
			const struct dl_pkt_info *pi;
			if (bindings && frame_dst(&main, &pi)) {
				flow_key_of(&main.orig, pi);
				main.has_orig = true;
			}
			process_from_host(&r, &main, p->host);
			if (main.has_orig && !main.reached_pod) {
				struct dl_flow_binding *b = dl_map_lookup(&c->flows, &main.orig);
				if (b)
					b->last_reached = false;
			}
		}
		/* Packets made on the way (echo replies) follow, in order. */
		for (uint32_t k = 0; k < r.n_pending; k++) {
			struct flight *q = &r.pending[k];
			process_from_host(&r, q, q->from);
		}
		r.n_pending = 0;
	}
	return done;
}
