/* node.c: the programs Cilium attaches to a node, over one frame at a time: nodeport_lb4/6
 * (service lookup, backend selection, DNAT, then local delivery, SNAT or DSR) at XDP and tc
 * ingress, the reverse SNAT of replies at the LB node, the DSR backend side (extract the
 * service address, create CT + NAT state), the DSR reply rewrite at tc egress, and bpf_lxc's
 * reverse NAT of local-backend replies. Moving frames between hooks is cluster.c's job; the
 * building blocks are lb.c, ct.c, nat.c, dsr.c, icmp.c, rewrite.c and frag.c.
 * Sources mirrored: bpf/lib/nodeport.h (v1.15-era, recent main where the profile says so),
 * bpf/lib/lb.h, bpf/bpf_xdp.c, bpf/bpf_lxc.c. */
#include "cluster_priv.h"
#include "dsrlab/codec.h"
#include "dsrlab/drop.h"
#include "dsrlab/dsr.h"
#include "dsrlab/icmp.h"
#include "dsrlab/icmp_err.h"
#include "dsrlab/rewrite.h"

/* Everything one program run needs about the packet. */
struct pkt {
	struct dl_pkt_info pi;
	uint8_t family;     /* 4 or 6 */
	uint32_t alen;      /* address bytes */
	uint16_t sport, dport; /* from the L4 header, or the fragment map for later fragments */
	bool has_ports;
};

static const struct dl_host *self(const struct dl_node_env *env)
{
	return dl_cluster_host(env->c, env->node);
}

static const uint8_t *node_addr(const struct dl_node_env *env, uint8_t family)
{
	const struct dl_host *h = self(env);
	return family == 6 ? h->cfg.v6 : h->cfg.v4;
}

static struct dl_dsr_cfg dsr_cfg(const struct dl_node_env *env)
{
	const struct dl_cluster_config *cc = &env->c->cfg;
	struct dl_dsr_cfg d;

	memset(&d, 0, sizeof(d));
	d.dispatch = cc->dispatch;
	d.era = cc->profile.era;
	d.opt_order = cc->profile.opt_order;
	/* ENABLE_DSR_ICMP_ERRORS: DSR with pmtuDiscovery.enabled (pkg/datapath/linux/config). */
	d.icmp_errors = cc->pmtu_discovery;
	/* Test-only planted fault (cluster.h): no DSR MTU check, so no ICMP too-big. */
	if (cc->faults & DL_FAULT_NO_MTU_CHECK)
		d.icmp_errors = false;
	d.mtu = self(env)->cfg.mtu;
	return d;
}

static void drop(struct dl_prog_result *res, int code)
{
	res->next = DL_NEXT_DROP;
	res->drop = code < 0 ? code : DROP_INVALID;
}

/* Parses the frame and finds its ports (later fragments: from the fragment map, bpf/lib/ipv4.h
 * and ipv6.h; a miss is DROP_FRAG_NOT_FOUND). Returns 0 or a drop code; 1 for non-IP.
 * entry: the program's first look at the frame, which may take the caller's parse (env->pi). */
static int load_pkt_at(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, bool use_frag_map, bool entry)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	int prc;

	/* dl_pkt_parse clears pi (the first member) itself; clear only what follows it. */
	memset((uint8_t *)p + sizeof(p->pi), 0, sizeof(*p) - sizeof(p->pi));
	if (entry && env->pi) {
		p->pi = *env->pi;
		prc = env->pi_rc;
	} else {
		prc = dl_pkt_parse(dl_ctx_data(ctx), ctx->len, DL_LINKTYPE_ETHERNET, &p->pi);
	}
	if (prc != DL_PARSE_OK)
		return DL_DROP_UNPARSEABLE;
	if (!dl_pkt_is_ip(&p->pi))
		return 1;
	p->family = p->pi.l3 == DL_L3_IPV6 ? 6 : 4;
	p->alen = p->family == 6 ? 16 : 4;
	/* Before 1.18, bpf/lib/ipv6.h ipv6_hdrlen refuses a Fragment header (even an atomic one),
	 * and every hook walks the IPv6 header chain with it first. */
	if (p->family == 6 && !env->c->cfg.profile.ipv6_frag_tracking && dl_pkt_has_frag_hdr(&p->pi))
		return DROP_FRAG_NOSUPPORT;
	if (p->pi.l4_proto != DL_IPPROTO_TCP && p->pi.l4_proto != DL_IPPROTO_UDP && p->pi.l4_proto != DL_IPPROTO_SCTP)
		return 0;
	/* Fragments (bpf/lib/ipv4.h, ipv6.h): the first records its ports, later ones look them up. */
	if (p->pi.frag != DL_FRAG_NONE && use_frag_map) {
		bool l4;
		int rc = p->family == 4 ? dl_ipv4_handle_fragmentation(&ns->frag, ctx, &p->pi, &p->sport, &p->dport, &l4)
					: dl_ipv6_handle_fragmentation(&ns->frag6, ctx, &p->pi, &p->sport, &p->dport, &l4);
		if (rc < 0)
			return rc;
		p->has_ports = true;
		return 0;
	}
	if (!dl_pkt_has_l4_hdr(&p->pi))
		return 0;
	p->sport = p->pi.sport;
	p->dport = p->pi.dport;
	p->has_ports = true;
	return 0;
}

static int load_pkt(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, bool use_frag_map)
{
	return load_pkt_at(env, ctx, p, use_frag_map, false);
}

/* load_pkt at a program's entry. */
static int load_pkt_entry(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, bool use_frag_map)
{
	return load_pkt_at(env, ctx, p, use_frag_map, true);
}

/* memcpy of an address of alen bytes (4 or 16, struct pkt), with constant sizes. */
static void copy_addr(uint8_t *dst, const uint8_t *src, uint32_t alen)
{
	if (alen == 4)
		memcpy(dst, src, 4);
	else
		memcpy(dst, src, 16);
}

static bool is_local_pod(const struct dl_node_env *env, uint32_t host)
{
	const struct dl_host *h = dl_cluster_host(env->c, host);
	return h && h->cfg.kind == DL_HOST_POD && h->cfg.node == env->node;
}

/* Where an IP frame for this node goes when no load-balancer program claimed it: a local pod,
 * or the node's own stack. */
static void route_local(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res)
{
	uint32_t h = dl_cluster_host_by_addr(env->c, p->family, p->pi.dst);

	if (is_local_pod(env, h)) {
		/* ipv4_local_delivery: L3 forwarding into the pod decrements the TTL. */
		int rc = p->family == 6 ? dl_ipv6_dec_hoplimit(ctx, &p->pi) : dl_ipv4_dec_ttl(ctx, &p->pi);
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		res->next = DL_NEXT_POD;
		res->pod = h;
		return;
	}
	res->next = DL_NEXT_STACK;
}

static int fib_forward(struct dl_ctx *ctx, struct pkt *p)
{
	/* fib_redirect: the forwarded packet's TTL goes down by one (ttl=63 in the fixtures). */
	return p->family == 6 ? dl_ipv6_dec_hoplimit(ctx, &p->pi) : dl_ipv4_dec_ttl(ctx, &p->pi);
}

/* fib_forward, and out (XDP_TX at XDP). A packet whose TTL runs out is not forwarded:
 * bpf/lib/l3.h ipv4_l3 / ipv6_l3 return DROP_TTL_EXCEEDED ("FIXME: Send ICMP TTL"). */
static void forward_out(struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res, bool xdp)
{
	int rc = fib_forward(ctx, p);

	if (rc < 0) {
		drop(res, rc);
		return;
	}
	res->next = xdp ? DL_NEXT_TX : DL_NEXT_OUT;
}

/* nodeport_uses_dsr: full DSR for every protocol; hybrid for TCP only (v1.15). Recent main
 * decides per service (SVC_FLAG_FWD_MODE_DSR, set by the control plane for hybrid TCP). */
static bool uses_dsr(const struct dl_node_env *env, const struct dl_lb_service *svc, uint8_t proto)
{
	const struct dl_cluster_config *cc = &env->c->cfg;

	if (cc->profile.per_service_fwd_mode)
		return dl_lb_svc_uses_dsr(svc);
	return cc->mode == DL_MODE_DSR || (cc->mode == DL_MODE_HYBRID && proto == DL_IPPROTO_TCP);
}

/* Whether this node's backend side (DSR extract, reply rewrite) is compiled in for a protocol
 * (0: any): ENABLE_DSR with nodeport_uses_dsr (v1.15: full DSR, hybrid for TCP only). With
 * per-service forwarding modes (recent main, ENABLE_DSR_BYUSER: hybrid, or loadBalancer.mode
 * snat with bpf.lbModeAnnotation) any service may be DSR whatever the default mode, so the
 * backend side is always on. */
static bool dsr_backend_on(const struct dl_node_env *env, uint8_t proto)
{
	const struct dl_cluster_config *cc = &env->c->cfg;

	if (cc->profile.per_service_fwd_mode)
		return true;
	return cc->mode == DL_MODE_DSR || (cc->mode == DL_MODE_HYBRID && (!proto || proto == DL_IPPROTO_TCP));
}

/* Answers the sender with an ICMP error built in place; at XDP it leaves with XDP_TX, at tc
 * it is redirected out the ingress device. */
static void answer(struct dl_prog_result *res, bool xdp)
{
	res->next = xdp ? DL_NEXT_TX : DL_NEXT_BACK;
	res->answered = true;
	res->translated = true;
}

/* lb4_svc_is_routable, with bpf.lbExternalClusterIP: the agent then installs ClusterIP
 * frontends (no ExternalIP/NodePort/LoadBalancer/HostPort flag) with SVC_FLAG_ROUTABLE
 * (pkg/loadbalancer; spec §9.2), so the cluster config stands in for that flag here. */
static bool svc_routable(const struct dl_node_env *env, const struct dl_lb_service *svc)
{
	const uint16_t typed = DL_SVC_FLAG_EXTERNAL_IP | DL_SVC_FLAG_NODEPORT | DL_SVC_FLAG_HOSTPORT | DL_SVC_FLAG_LOADBALANCER;

	if (dl_lb_svc_is_routable(svc))
		return true;
	return env->c->cfg.external_cluster_ip && !(svc->flags & typed);
}

/* The DSR dispatch step for a remote backend (DNAT already done for opt/geneve). */
static int dsr_dispatch(const struct dl_node_env *env, const struct dl_dsr_cfg *dcfg, struct dl_ctx *ctx, struct pkt *p,
			const uint8_t *vip, uint16_t vport, const struct dl_lb_backend *be, const struct dl_dsr_flow *flow,
			struct dl_prog_result *res, bool xdp)
{
	struct dl_dsr_cfg cfg = *dcfg;
	uint16_t ohead = 0;
	bool attach = true;
	int rc;

	rc = dl_dsr_needs_info(&cfg, ctx, &p->pi, flow, &attach);
	if (rc < 0)
		return rc;
	/* Test-only planted fault (cluster.h): DSR info on every segment, not only the SYN. */
	if (env->c->cfg.faults & DL_FAULT_OPT_EVERY_SEGMENT)
		attach = true;
	switch (cfg.dispatch) {
	case DL_DSR_DISPATCH_OPT:
		rc = p->family == 6 ? dl_dsr_set_ext6(ctx, &p->pi, &cfg, attach, vip, vport, &ohead)
				    : dl_dsr_set_opt4(ctx, &p->pi, &cfg, attach, vip, vport, &ohead);
		break;
	case DL_DSR_DISPATCH_IPIP:
		if (p->family == 6) {
			struct dl_ipip_encap6 e;
			memcpy(e.saddr, node_addr(env, 6), 16);
			memcpy(e.daddr, be->addr, 16);
			rc = dl_dsr_set_ipip6(ctx, &p->pi, &cfg, &e, &ohead);
		} else {
			struct dl_ipip_encap4 e;
			memcpy(e.saddr, node_addr(env, 4), 4);
			memcpy(e.daddr, be->addr, 4);
			rc = dl_dsr_set_ipip4(ctx, &p->pi, &cfg, &e, &ohead);
		}
		break;
	case DL_DSR_DISPATCH_GENEVE: {
		struct dl_geneve_encap e;
		/* The tunnel endpoint is the backend's node; a backend with no pod in this cluster
		 * (a Cluster Mesh remote backend) has none known here: DROP_NO_TUNNEL_ENDPOINT. */
		const struct dl_host *pod = dl_cluster_host(env->c, be->host);
		const struct dl_host *bn = pod ? dl_cluster_host(env->c, pod->cfg.node) : NULL;
		memset(&e, 0, sizeof(e));
		/* The underlay is IPv4 for both families (recent main, §3.2). */
		memcpy(e.saddr, node_addr(env, 4), 4);
		if (bn && bn->cfg.has_v4)
			memcpy(e.daddr, bn->cfg.v4, 4);
		else
			return DROP_NO_TUNNEL_ENDPOINT;
		e.ttl = DL_IPDEFTTL;
		e.vni = DL_WORLD_ID;
		e.sport = p->family == 6 ? dl_tunnel_gen_src_port_v6(p->pi.src, p->sport, be->port, p->pi.l4_proto, 0)
					 : dl_tunnel_gen_src_port_v4(p->pi.src, p->sport, be->port, p->pi.l4_proto, 0);
		rc = p->family == 6 ? dl_encap_geneve_dsr_opt6(ctx, &p->pi, &cfg, attach, vip, vport, &e, &ohead)
				    : dl_encap_geneve_dsr_opt4(ctx, &p->pi, &cfg, attach, vip, vport, &e, &ohead);
		break;
	}
	default:
		return DROP_INVALID;
	}
	if (rc == DROP_FRAG_NEEDED) {
		/* dsr_reply_icmp4/6: the LB answers the client itself, quoting what the profile
		 * quotes; if building the error fails the packet is dropped as DROP_FRAG_NEEDED. */
		struct dl_icmp_too_big tb;
		memset(&tb, 0, sizeof(tb));
		tb.profile = cfg.era == DL_DSR_ERA_V1_15 ? DL_ICMP_PROFILE_V1_15
				: xdp ? DL_ICMP_PROFILE_RECENT_XDP : DL_ICMP_PROFILE_RECENT_TC;
		tb.mtu = (uint32_t)cfg.mtu - ohead;
		/* v1.15 answers from the packet's current destination (the backend after DNAT);
		 * recent main's fixtures answer from the VIP. */
		tb.saddr = cfg.era == DL_DSR_ERA_V1_15 ? p->pi.dst : vip;
		tb.svc_addr = vip;
		tb.svc_port = vport;
		rc = p->family == 6 ? dl_dsr_reply_icmp6(ctx, &p->pi, &tb) : dl_dsr_reply_icmp4(ctx, &p->pi, &tb);
		if (rc < 0)
			return DROP_FRAG_NEEDED;
		answer(res, xdp);
		return 1;
	}
	if (rc < 0)
		return rc;
	res->dsr = attach || cfg.dispatch == DL_DSR_DISPATCH_IPIP;
	res->translated = true;
	return 0;
}

/* The NAT tuple of a packet (snat_v4_nat / snat_v4_rev_nat). A later IPv4 fragment has no L4
 * header: its ports are the ones the fragment map gave load_pkt (bpf/lib/nat.h snat_v4_nat
 * reads them through ipv4_load_l4_ports → ipv4_handle_fragmentation). */
static int nat_tuple(const struct pkt *p, uint8_t dir, struct dl_ct_tuple *nt)
{
	if (p->pi.frag == DL_FRAG_LATER && p->has_ports &&
	    (p->pi.l4_proto == DL_IPPROTO_TCP || p->pi.l4_proto == DL_IPPROTO_UDP || p->pi.l4_proto == DL_IPPROTO_SCTP)) {
		if (p->family == 6)
			dl_nat_tuple6_init(nt, p->pi.src, p->pi.dst, p->sport, p->dport, p->pi.l4_proto, dir);
		else
			dl_nat_tuple4_init(nt, p->pi.src, p->pi.dst, p->sport, p->dport, p->pi.l4_proto, dir);
		return 0;
	}
	return p->family == 6 ? dl_nat_tuple6_from_pkt(&p->pi, dir, nt) : dl_nat_tuple4_from_pkt(&p->pi, dir, nt);
}

/* Test-only planted fault DL_FAULT_SNAT_REUSE_PORT (cluster.h), never set outside tests: moves
 * the new SNAT mapping of nt to `port`, overwriting the reverse entry of any live flow that
 * holds that port, so two flows share one (address, port) pair. */
static void fault_snat_reuse_port(struct dl_snat *s, uint8_t family, const struct dl_ct_tuple *nt,
				  struct dl_nat_entry *ne, uint16_t port, uint32_t now)
{
	struct dl_map *m = family == 6 ? &s->map6 : &s->map4;
	struct dl_nat_entry *fwd = dl_map_lookup(m, nt), rstate;
	struct dl_ct_tuple rt;

	if (!fwd)
		return;
	fwd->to_port = port;
	memset(&rt, 0, sizeof(rt));
	rt.flags = NAT_DIR_INGRESS;
	rt.nexthdr = nt->nexthdr;
	memcpy(rt.saddr, nt->daddr, sizeof(rt.saddr));
	memcpy(rt.daddr, ne->to_addr, sizeof(rt.daddr));
	rt.sport = nt->dport;
	rt.dport = ne->to_port;
	dl_map_delete(m, &rt);
	ne->to_port = rt.dport = port;
	memset(&rstate, 0, sizeof(rstate));
	memcpy(rstate.to_addr, nt->saddr, sizeof(rstate.to_addr));
	rstate.to_port = nt->sport;
	rstate.needs_ct = ne->needs_ct;
	rstate.created = now;
	dl_map_update(m, &rt, &rstate, DL_BPF_ANY);
}

/* A service without backends: DROP_NO_SERVICE, or with service-no-backend-response=reject an
 * ICMP port unreachable back out the receiving interface (CILIUM_CALL_IPV4_NO_SERVICE). */
static void no_backend(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res,
		       bool xdp)
{
	if (env->c->cfg.reject_no_backend) {
		int rc = p->family == 6 ? dl_tail_no_service_ipv6(ctx, &p->pi) : dl_tail_no_service_ipv4(ctx, &p->pi);
		if (rc == 0) {
			answer(res, xdp);
			return;
		}
	}
	drop(res, DROP_NO_SERVICE);
}

/* lb4_local/lb6_local + the nodeport_lb4/6 steps after it, for a packet whose destination is a
 * service frontend. Sets res and returns. */
static void lb_service(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, const struct dl_lb_service *svc,
		       struct dl_prog_result *res, bool xdp)
{
	struct dl_cluster *c = env->c;
	struct dl_node_state *ns = dl_cluster_node(c, env->node);
	struct dl_ct_tuple tuple;
	struct dl_ct_state st;
	struct dl_ct_pkt cp;
	struct dl_ct_hint th; /* tuple's map hash, for the create and the DSR re-lookup */
	struct dl_lb_flow flow;
	struct dl_lb_choice ch;
	const struct dl_lb_backend *be = NULL;
	uint16_t l4ports[2];
	uint8_t vip[16];
	uint16_t vport = p->dport;
	uint32_t backend_id = 0, be_id = 0; /* be is backend be_id's entry, when not NULL */
	bool ct_new = false, syn;
	int rc, status;
	memset(vip, 0, sizeof(vip));
	copy_addr(vip, p->pi.dst, p->alen);

	/* A ClusterIP is not routable from outside unless bpf.lbExternalClusterIP (lb.h
	 * SVC_FLAG_ROUTABLE; nodeport_lb4: DROP_IS_CLUSTER_IP). */
	if (!svc_routable(env, svc)) {
		drop(res, DROP_IS_CLUSTER_IP);
		return;
	}
	/* No backends (no_backend above). v1.15-era lb4_local checks this before the CT lookup;
	 * recent main only for a new flow (lb4_local/lb6_local: "case CT_NEW: if (unlikely(
	 * svc->count == 0)) goto no_service;", bpf/lib/lb.h), so an established flow keeps its
	 * terminating backend (bpf/tests/tc_nodeport_lb_terminating_backend.c). */
	if (svc->count == 0 && c->cfg.profile.era != DL_DSR_ERA_RECENT) {
		no_backend(env, ctx, p, res, xdp);
		return;
	}

	/* The service conntrack entry (ct_lazy_lookup, CT_SERVICE). */
	l4ports[0] = p->sport;
	l4ports[1] = p->dport;
	rc = p->family == 6 ? dl_ct_tuple6_from_pkt(&p->pi, CT_SERVICE, l4ports, &tuple, &cp)
			    : dl_ct_tuple4_from_pkt(&p->pi, CT_SERVICE, l4ports, &tuple, &cp);
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	memset(&st, 0, sizeof(st));
	status = p->family == 6 ? dl_ct_lazy_lookup6_hint(&ns->ct, &tuple, &cp, ACTION_CREATE, CT_SERVICE, env->now, &st, &th)
				: dl_ct_lazy_lookup4_hint(&ns->ct, &tuple, &cp, ACTION_CREATE, CT_SERVICE, env->now, &st, &th);
	if (status < 0) {
		drop(res, status);
		return;
	}
	syn = p->pi.l4_proto == DL_IPPROTO_TCP && p->pi.l4_hdr_len && (p->pi.tcp_flags & DL_TCP_SYN);
	memset(&flow, 0, sizeof(flow));
	flow.saddr = p->pi.src;
	flow.family = p->family;
	flow.client_port = p->sport;
	flow.service_port = p->dport;
	flow.proto = p->pi.l4_proto;

	if (status == CT_NEW || status == CT_REOPENED) {
		if (svc->count == 0) {
			no_backend(env, ctx, p, res, xdp);
			return;
		}
		if (dl_lb_svc_has_affinity(svc))
			backend_id = dl_lb_affinity_backend(&ns->lb, svc, &flow, env->now);
		if (!backend_id) {
			rc = dl_lb_select_backend(&ns->lb, svc, &flow, &c->prng, &ch);
			if (rc < 0) {
				drop(res, rc);
				return;
			}
			backend_id = ch.backend_id;
			res->hash = ch.hash;
			res->slot = ch.slot;
		}
		memset(&st, 0, sizeof(st));
		st.backend_id = backend_id;
		st.rev_nat_index = (uint16_t)svc->rev_nat_index;
		rc = p->family == 6 ? dl_ct_create6_hint(&ns->ct, &tuple, CT_SERVICE, &st, false, &cp, env->now, &th)
				    : dl_ct_create4_hint(&ns->ct, &tuple, CT_SERVICE, &st, false, &cp, env->now, &th);
		if (rc == 0)
			res->state |= DL_EVS_CT_SERVICE;
		if (rc < 0) {
			drop(res, DROP_CT_CREATE_FAILED);
			return;
		}
		ct_new = true;
	} else {
		backend_id = be_id = st.backend_id;
		be = dl_lb_lookup_backend(&ns->lb, backend_id);
		/* lb4_local: a backend that is gone or not active keeps its established flows
		 * (graceful termination), but a SYN picks again among the active slots. */
		if (!be || (syn && (be->flags != DL_BE_ACTIVE || !dl_lb_svc_has_backend(&ns->lb, svc, backend_id)))) {
			rc = dl_lb_select_backend(&ns->lb, svc, &flow, &c->prng, &ch);
			if (rc < 0) {
				drop(res, rc);
				return;
			}
			backend_id = ch.backend_id;
			res->hash = ch.hash;
			res->slot = ch.slot;
			if (p->family == 6)
				dl_ct_update_svc_entry6(&ns->ct, &tuple, backend_id, (uint16_t)svc->rev_nat_index);
			else
				dl_ct_update_svc_entry4(&ns->ct, &tuple, backend_id, (uint16_t)svc->rev_nat_index);
		} else if (!be) {
			drop(res, DROP_NO_SERVICE);
			return;
		}
	}
	if (dl_lb_svc_has_affinity(svc)) {
		dl_lb_affinity_update(&ns->lb, svc, &flow, backend_id, env->now);
		res->state |= DL_EVS_AFFINITY;
	}
	/* The backends map is a plain hash the datapath never writes: an entry looked up above
	 * for the same backend is still the one. */
	if (!be || be_id != backend_id)
		be = dl_lb_lookup_backend(&ns->lb, backend_id);
	if (!be) {
		drop(res, DROP_NO_SERVICE);
		return;
	}
	res->backend = backend_id;

	/* IPIP dispatch keeps the inner packet as the client sent it (skip_l3_xlate). */
	bool local = is_local_pod(env, be->host);
	bool dsr = !local && uses_dsr(env, svc, p->pi.l4_proto);
	if (!(dsr && c->cfg.dispatch == DL_DSR_DISPATCH_IPIP)) {
		rc = p->family == 6 ? dl_lb6_xlate(ctx, &p->pi, be->addr, be->port) : dl_lb4_xlate(ctx, &p->pi, be->addr, be->port);
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		res->translated = true;
		p->dport = be->port;
	}

	if (local) {
		/* Backend on this node: DNAT only, a CT_EGRESS nodeport entry so bpf_lxc can
		 * reverse-NAT the reply, and delivery by the stack (XDP_PASS at XDP). */
		struct dl_ct_tuple et;
		struct dl_ct_pkt ep;
		struct dl_ct_state es;
		struct dl_ct_hint eh;
		uint16_t np[2] = {p->sport, p->dport};
		if (p->family == 6)
			dl_ct_tuple6_from_pkt(&p->pi, CT_EGRESS, np, &et, &ep);
		else
			dl_ct_tuple4_from_pkt(&p->pi, CT_EGRESS, np, &et, &ep);
		memset(&es, 0, sizeof(es));
		int s2 = p->family == 6 ? dl_ct_lookup6_hint(&ns->ct, &et, &ep, ACTION_CREATE, CT_EGRESS, env->now, &es, &eh)
					: dl_ct_lookup4_hint(&ns->ct, &et, &ep, ACTION_CREATE, CT_EGRESS, env->now, &es, &eh);
		if (s2 == CT_NEW || s2 == CT_REOPENED) {
			memset(&es, 0, sizeof(es));
			es.node_port = true;
			es.rev_nat_index = (uint16_t)svc->rev_nat_index;
			es.src_sec_id = DL_WORLD_ID;
			if (p->family == 6)
				dl_ct_create6_hint(&ns->ct, &et, CT_EGRESS, &es, false, &ep, env->now, &eh);
			else
				dl_ct_create4_hint(&ns->ct, &et, CT_EGRESS, &es, false, &ep, env->now, &eh);
			res->state |= DL_EVS_CT_NODEPORT;
		}
		if (xdp) {
			res->next = DL_NEXT_PASS;
			res->done_xdp = true;
			return;
		}
		route_local(env, ctx, p, res);
		return;
	}

	if (dsr) {
		/* Recent main keeps need_dsr_info on the service CT entry (spec §1.5, §4.2): set when
		 * a TCP segment without SYN created the entry (the client came from another LB node,
		 * kpr_v4_dsr_lb2_data) and after a fragmentation-needed answer (kpr_v4_dsr_lb3_mtu2),
		 * so later packets carry the DSR info. The CT lookup state does not report the flag
		 * for CT_SERVICE, so the entry is read here; dsrlab never clears it (UNCONFIRMED). */
		struct dl_dsr_cfg dc = dsr_cfg(env);
		struct dl_ct_entry *se = dl_ct_entry_hint(&ns->ct, p->family, &tuple, &th);
		struct dl_dsr_flow df = {.ct_new = ct_new, .need_dsr_info = se && se->need_dsr_info};
		bool need = dl_dsr_sets_need_info(&dc, &p->pi, &df);

		rc = dsr_dispatch(env, &dc, ctx, p, vip, vport, be, &df, res, xdp);
		if (rc == 1 && dc.era == DL_DSR_ERA_RECENT)
			need = true;
		if (need && se)
			se->need_dsr_info = 1;
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		if (rc == 1)
			return; /* answered with an ICMP error */
		/* Geneve keeps the inner TTL; the outer is what the FIB step decrements. pi is
		 * current: the DSR helpers re-parse after every change they make (and the DNAT
		 * above keeps pi in step), so no re-parse here. */
		p->family = p->pi.l3 == DL_L3_IPV6 ? 6 : 4;
		/* Recent main hands IPIP to the tunnel device (tunnel key, tunnel_ttl 64) and
		 * the outer header leaves with hop limit/TTL 64, the inner one untouched
		 * (bpf/tests/tc_nodeport_lb6_dsr_ipip.c, xdp_nodeport_lb_dsr_ipip.c). */
		if (c->cfg.dispatch == DL_DSR_DISPATCH_IPIP && dc.era == DL_DSR_ERA_RECENT) {
			res->next = xdp ? DL_NEXT_TX : DL_NEXT_OUT;
			return;
		}
		forward_out(ctx, p, res, xdp);
		return;
	}

	/* SNAT (nodeport_lb4 → tail_nodeport_nat_egress_ipv4): a CT_EGRESS nodeport entry on the
	 * DNATed tuple, then snat_v4_nat to the node's address with a port from the NAT range. */
	{
		struct dl_ct_tuple et, nt;
		struct dl_ct_pkt ep;
		struct dl_ct_state es;
		struct dl_ct_hint eh;
		struct dl_nat_entry ne;
		struct dl_nat_target tgt;
		uint16_t np[2] = {p->sport, p->dport};
		int s2;

		if (p->family == 6)
			dl_ct_tuple6_from_pkt(&p->pi, CT_EGRESS, np, &et, &ep);
		else
			dl_ct_tuple4_from_pkt(&p->pi, CT_EGRESS, np, &et, &ep);
		memset(&es, 0, sizeof(es));
		s2 = p->family == 6 ? dl_ct_lookup6_hint(&ns->ct, &et, &ep, ACTION_CREATE, CT_EGRESS, env->now, &es, &eh)
				    : dl_ct_lookup4_hint(&ns->ct, &et, &ep, ACTION_CREATE, CT_EGRESS, env->now, &es, &eh);
		if (s2 == CT_NEW || s2 == CT_REOPENED || (s2 == CT_ESTABLISHED && es.rev_nat_index != svc->rev_nat_index)) {
			memset(&es, 0, sizeof(es));
			es.node_port = true;
			es.rev_nat_index = (uint16_t)svc->rev_nat_index;
			es.src_sec_id = DL_WORLD_ID;
			if (p->family == 6)
				dl_ct_create6_hint(&ns->ct, &et, CT_EGRESS, &es, false, &ep, env->now, &eh);
			else
				dl_ct_create4_hint(&ns->ct, &et, CT_EGRESS, &es, false, &ep, env->now, &eh);
			res->state |= DL_EVS_CT_NODEPORT;
		}
		memset(&tgt, 0, sizeof(tgt));
		copy_addr(tgt.addr, node_addr(env, p->family), p->alen);
		tgt.min_port = c->cfg.nat_port_min;
		tgt.max_port = c->cfg.nat_port_max;
		rc = nat_tuple(p, NAT_DIR_EGRESS, &nt);
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		uint64_t made = ns->snat.stats.mappings;
		rc = p->family == 6 ? dl_snat_v6_nat_handle_mapping(&ns->snat, &nt, &ne, &tgt, env->now)
				    : dl_snat_v4_nat_handle_mapping(&ns->snat, &nt, &ne, &tgt, env->now);
		/* Test-only planted fault (cluster.h): a new mapping moves to the lowest NAT port. */
		if ((c->cfg.faults & DL_FAULT_SNAT_REUSE_PORT) && rc == 0 && ns->snat.stats.mappings != made)
			fault_snat_reuse_port(&ns->snat, p->family, &nt, &ne, tgt.min_port, env->now);
		if (ns->snat.stats.mappings != made)
			res->state |= DL_EVS_NAT;
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		rc = p->family == 6 ? dl_ipv6_rewrite_saddr(ctx, &p->pi, ne.to_addr) : dl_ipv4_rewrite_saddr(ctx, &p->pi, ne.to_addr);
		if (rc == 0 && p->pi.frag != DL_FRAG_LATER && ne.to_port != p->sport)
			rc = dl_l4_rewrite_sport(ctx, &p->pi, ne.to_port);
		if (rc < 0) {
			drop(res, rc);
			return;
		}
		res->snat = true;
		res->nat_port = ne.to_port;
		res->translated = true;
		forward_out(ctx, p, res, xdp);
	}
}

/* The LB node's reply path (tail_nodeport_nat_ingress_ipv4 → rev_nodeport_lb4): a reply from
 * a backend to this node's address and a port in the NAT range gets its destination restored
 * to the client, then its source to the service (reverse-NAT index of the CT entry).
 * Returns true when it handled the packet. */
static bool rev_snat(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res, bool xdp)
{
	struct dl_cluster *c = env->c;
	struct dl_node_state *ns = dl_cluster_node(c, env->node);
	struct dl_ct_tuple nt, ct;
	struct dl_nat_entry ne;
	struct dl_nat_target tgt;
	struct dl_ct_state st;
	struct dl_ct_pkt cp;
	const struct dl_lb_revnat *rn;
	uint16_t l4ports[2];
	int rc, status;

	if (!p->has_ports || memcmp(p->pi.dst, node_addr(env, p->family), p->alen) ||
	    p->dport < c->cfg.nat_port_min || p->dport > c->cfg.nat_port_max)
		return false;
	rc = nat_tuple(p, NAT_DIR_INGRESS, &nt);
	if (rc < 0)
		return false;
	memset(&tgt, 0, sizeof(tgt));
	copy_addr(tgt.addr, node_addr(env, p->family), p->alen);
	tgt.min_port = c->cfg.nat_port_min;
	tgt.max_port = c->cfg.nat_port_max;
	rc = p->family == 6 ? dl_snat_v6_rev_nat(&ns->snat, &nt, &ne, &tgt, env->now) : dl_snat_v4_rev_nat(&ns->snat, &nt, &ne, &tgt, env->now);
	if (rc < 0)
		return false; /* no mapping: ordinary traffic for the node's stack */
	/* Test-only planted fault (cluster.h): restore the client port + 1. */
	if (c->cfg.faults & DL_FAULT_REVNAT_PORT_OFF_BY_ONE)
		ne.to_port = (uint16_t)(ne.to_port + 1);
	rc = p->family == 6 ? dl_ipv6_rewrite_daddr(ctx, &p->pi, ne.to_addr) : dl_ipv4_rewrite_daddr(ctx, &p->pi, ne.to_addr);
	if (rc == 0 && p->pi.frag != DL_FRAG_LATER)
		rc = dl_l4_rewrite_dport(ctx, &p->pi, ne.to_port);
	if (rc < 0) {
		drop(res, rc);
		return true;
	}
	p->dport = ne.to_port;
	res->translated = true;
	/* rev_nodeport_lb4: the CT_INGRESS lookup finds the nodeport entry as CT_REPLY. */
	l4ports[0] = p->sport;
	l4ports[1] = p->dport;
	rc = p->family == 6 ? dl_ct_tuple6_from_pkt(&p->pi, CT_INGRESS, l4ports, &ct, &cp)
			    : dl_ct_tuple4_from_pkt(&p->pi, CT_INGRESS, l4ports, &ct, &cp);
	memset(&st, 0, sizeof(st));
	status = rc < 0 ? rc
			: p->family == 6 ? dl_ct_lookup6(&ns->ct, &ct, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st)
					 : dl_ct_lookup4(&ns->ct, &ct, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st);
	if (status == CT_REPLY && st.node_port && st.rev_nat_index) {
		rn = dl_lb_lookup_revnat(&ns->lb, st.rev_nat_index);
		if (rn) {
			rc = p->family == 6 ? dl_lb6_rev_xlate(ctx, &p->pi, rn->addr, rn->port) : dl_lb4_rev_xlate(ctx, &p->pi, rn->addr, rn->port);
			if (rc < 0) {
				drop(res, rc);
				return true;
			}
		}
	}
	forward_out(ctx, p, res, xdp);
	return true;
}

/* The ICMP errors Cilium's reverse SNAT translates (the rest punt to the stack):
 * bpf/lib/nat.h snat_v4_rev_nat, recent main: ICMP_DEST_UNREACH with code <= NR_ICMP_UNREACH,
 * ICMP_TIME_EXCEEDED with ICMP_EXC_TTL/ICMP_EXC_FRAGTIME; v1.14/1.15-era only
 * ICMP_DEST_UNREACH/ICMP_FRAG_NEEDED (snat_v4_rev_nat_handle_icmp_frag_needed). IPv6, both:
 * only ICMPV6_PKT_TOOBIG (snat_v6_rev_nat → snat_v6_rev_nat_handle_icmp_pkt_toobig). */
static bool icmp_err_translated(const struct dl_node_env *env, const struct pkt *p)
{
	if (!dl_icmp_is_error(&p->pi) || p->pi.frag != DL_FRAG_NONE)
		return false;
	if (p->family == 6)
		return p->pi.icmp_type == DL_ICMPV6_PKT_TOOBIG;
	if (env->c->cfg.profile.era == DL_DSR_ERA_V1_15)
		return p->pi.icmp_type == DL_ICMP_DEST_UNREACH && p->pi.icmp_code == DL_ICMP_FRAG_NEEDED;
	return (p->pi.icmp_type == DL_ICMP_DEST_UNREACH && p->pi.icmp_code <= 15) ||
	       (p->pi.icmp_type == DL_ICMP_TIME_EXCEEDED && p->pi.icmp_code <= 1);
}

/* An ICMP error about a SNATed flow, at the LB node (snat_v4_rev_nat →
 * snat_v4_rev_nat_handle_icmp_error, then rev_nodeport_lb4 with CT_RELATED): the NAT entry of
 * the quoted packet restores the outer destination and the quoted source (client address and
 * port); then the flow's nodeport CT entry gives the service, which becomes the outer source
 * and the quoted destination (bpf/tests/scapy nodeport_lb4_icmp_error_before/after: every
 * checksum valid, outer TTL - 1). Returns true when it handled the packet. */
static bool rev_snat_icmp(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res,
			  bool xdp)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	struct dl_icmp_err_inner in;
	struct dl_icmp_err_xlate x;
	struct dl_ct_tuple nt, t;
	struct dl_nat_entry ne;
	const struct dl_nat_entry *e;
	const struct dl_ct_entry *ce;
	const struct dl_lb_revnat *rn;
	struct dl_map *cm;
	int rc;

	if (!icmp_err_translated(env, p) || dl_icmp_err_inner(ctx, &p->pi, &in) < 0 || !in.has_ports)
		return false;
	/* The reply-direction NAT tuple of the quoted packet: {saddr = its daddr, daddr = its
	 * saddr, sport = its dport, dport = its sport, NAT_DIR_INGRESS}. */
	if (p->family == 6)
		dl_nat_tuple6_init(&nt, in.dst, in.src, in.dport, in.sport, in.proto, NAT_DIR_INGRESS);
	else
		dl_nat_tuple4_init(&nt, in.dst, in.src, in.dport, in.sport, in.proto, NAT_DIR_INGRESS);
	e = p->family == 6 ? dl_snat_v6_lookup(&ns->snat, &nt) : dl_snat_v4_lookup(&ns->snat, &nt);
	if (!e)
		return false; /* NAT_PUNT_TO_STACK */
	ne = *e;
	memset(&x, 0, sizeof(x));
	x.outer_daddr = ne.to_addr;
	x.inner_saddr = ne.to_addr;
	x.inner_sport = ne.to_port;
	/* rev_nodeport_lb4: after that the quoted packet reads client → backend, and the flow's
	 * nodeport CT_EGRESS entry is found in reply orientation {backend → client, TUPLE_F_OUT};
	 * its service becomes the outer source and the quoted destination. Both steps go into one
	 * rewrite (the checksum updates add up the same). */
	if (p->family == 6)
		dl_ct_tuple6_init(&t, in.dst, ne.to_addr, in.dport, ne.to_port, in.proto);
	else
		dl_ct_tuple4_init(&t, in.dst, ne.to_addr, in.dport, ne.to_port, in.proto);
	cm = p->family == 6 ? dl_ct_get_map6(&ns->ct, in.proto) : dl_ct_get_map4(&ns->ct, in.proto);
	ce = cm ? dl_map_lookup(cm, &t) : NULL;
	rn = ce && ce->node_port && ce->rev_nat_index ? dl_lb_lookup_revnat(&ns->lb, ce->rev_nat_index) : NULL;
	if (rn) {
		x.outer_saddr = rn->addr;
		x.inner_daddr = rn->addr;
		x.inner_dport = rn->port;
	}
	rc = dl_icmp_err_rewrite(ctx, &p->pi, &x);
	if (rc < 0) {
		drop(res, rc);
		return true;
	}
	res->translated = true;
	forward_out(ctx, p, res, xdp);
	return true;
}

/* DSR information a tunnel carried (the Geneve option), read before the decapsulation. */
struct tun_dsr {
	bool found;
	uint8_t vip[16];
	uint16_t port;      /* host order */
};

/* The DSR backend side (nodeport_extract_dsr_v4/v6 + tail_nodeport_dsr_ingress_ipv4): a
 * request for a local pod that carries DSR info gets a CT entry with dsr set and a NAT entry
 * that will rewrite the pod's reply to come from the service. tun is the Geneve option's
 * information (bpf_overlay reads it with ctx_get_tunnel_opt), NULL for the IP option / IPv6
 * extension header. Returns 0 or a drop code. */
static int dsr_backend(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, const struct tun_dsr *tun)
{
	struct dl_cluster *c = env->c;
	struct dl_node_state *ns = dl_cluster_node(c, env->node);
	struct dl_ct_tuple t;
	struct dl_ct_pkt cp;
	struct dl_ct_state st;
	uint8_t vip[16];
	uint16_t vport = 0, l4ports[2];
	bool found = false, syn;
	int rc, status;

	if (!p->has_ports || !dsr_backend_on(env, p->pi.l4_proto))
		return 0;
	memset(vip, 0, sizeof(vip));
	syn = p->pi.l4_proto == DL_IPPROTO_TCP && (p->pi.tcp_flags & DL_TCP_SYN);
	l4ports[0] = p->sport;
	l4ports[1] = p->dport;
	rc = p->family == 6 ? dl_ct_tuple6_from_pkt(&p->pi, CT_EGRESS, l4ports, &t, &cp) : dl_ct_tuple4_from_pkt(&p->pi, CT_EGRESS, l4ports, &t, &cp);
	if (rc < 0)
		return rc;
	if (p->pi.l4_proto == DL_IPPROTO_TCP && !syn && c->cfg.profile.era == DL_DSR_ERA_V1_15) {
		/* TCP without SYN: DSR only if the flow already has a dsr CT entry (no new info). */
		bool has = p->family == 6 ? dl_ct_has_dsr_egress_entry6(&ns->ct, &t) : dl_ct_has_dsr_egress_entry4(&ns->ct, &t);
		if (!has)
			return 0;
	}
	if (tun) {
		found = tun->found;
		memcpy(vip, tun->vip, sizeof(vip));
		vport = tun->port;
	} else if (c->cfg.dispatch == DL_DSR_DISPATCH_OPT) {
		rc = p->family == 6 ? dl_dsr_find_opt6(ctx, &p->pi, vip, &vport, &found)
				    : dl_dsr_extract_opt4(ctx, &p->pi, c->cfg.profile.opt_order, vip, &vport, &found);
		/* A fragment header stops the v1.15 DSR parser (DROP_FRAG_NOSUPPORT); recent main
		 * handles IPv6 fragments (tc_nodeport_lb6_fragments), so there it is just no DSR info. */
		if (rc == DROP_FRAG_NOSUPPORT && c->cfg.profile.era != DL_DSR_ERA_V1_15) {
			rc = 0;
			found = false;
		}
		if (rc < 0)
			return rc;
	}
	if (!found) {
		if (syn) /* a SYN without the option: clear a stale DSR flag */
			p->family == 6 ? dl_ct_update_dsr6(&ns->ct, &t, false) : dl_ct_update_dsr4(&ns->ct, &t, false);
		if (p->pi.l4_proto != DL_IPPROTO_TCP || syn)
			return 0;
		/* TCP without SYN and without DSR info: DSR only for a flow that already has a dsr CT
		 * entry (nodeport_extract_dsr_v4: ct_has_dsr_egress_entry4); anything else (an SNATed
		 * or pod-to-pod flow) is ordinary traffic, not DROP_INVALID. Recent main reads the
		 * option on any segment first (above), then falls back to the same check. */
		if (!(p->family == 6 ? dl_ct_has_dsr_egress_entry6(&ns->ct, &t) : dl_ct_has_dsr_egress_entry4(&ns->ct, &t)))
			return 0;
	}
	memset(&st, 0, sizeof(st));
	status = p->family == 6 ? dl_ct_lookup6(&ns->ct, &t, &cp, ACTION_CREATE, CT_EGRESS, env->now, &st)
				: dl_ct_lookup4(&ns->ct, &t, &cp, ACTION_CREATE, CT_EGRESS, env->now, &st);
	if (status < 0)
		return status;
	/* tail_nodeport_dsr_ingress_ipv4 (v1.15): an established dsr entry is kept unless a TCP
	 * segment brings DSR info (the SYN reusing the 4-tuple); a UDP datagram's option only
	 * confirms it. Recent main honours DSR info on established flows (a new service port
	 * updates the reply rewrite, kpr_v4_dsr_remote_node_reply2). */
	if (status == CT_ESTABLISHED && st.dsr &&
	    !(found && vport && (p->pi.l4_proto == DL_IPPROTO_TCP || c->cfg.profile.era != DL_DSR_ERA_V1_15)))
		return 2; /* a DSR flow, state kept */
	if (!found || !vport)
		return status == CT_NEW ? DROP_INVALID : 0;
	if (status == CT_REPLY)
		dl_ct_tuple_reverse(&t);
	memset(&st, 0, sizeof(st));
	st.dsr = true;
	st.src_sec_id = DL_WORLD_ID;
	rc = p->family == 6 ? dl_ct_create6(&ns->ct, &t, CT_EGRESS, &st, false, &cp, env->now)
			    : dl_ct_create4(&ns->ct, &t, CT_EGRESS, &st, false, &cp, env->now);
	if (rc < 0)
		return DROP_CT_CREATE_FAILED;
	/* snat_v4_create_dsr on the (reversed) CT tuple: the reply {backend → client, OUT} will
	 * leave as VIP:port. */
	rc = p->family == 6 ? dl_snat_v6_create_dsr(&ns->snat, &t, vip, vport, env->now)
			    : dl_snat_v4_create_dsr(&ns->snat, &t, vip, vport, env->now);
	return rc < 0 ? DROP_NAT_NO_MAPPING : 1; /* 1: DSR state created; 2 (above): kept */
}

/* nodeport_lb4/6 as bpf_xdp and bpf_host from-netdev run it. Returns true when it decided. */
static bool nodeport_lb(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res, bool xdp)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	struct dl_lb_key key;
	const struct dl_lb_service *svc;
	bool wildcard;

	if (!p->has_ports) {
		/* lb4_extract_tuple, recent main: ICMP to a service address is not load-balanced but
		 * dropped (unless the echo-reply feature answers it, which dsrlab does not model). */
		if (env->c->cfg.profile.icmp_to_vip_drop &&
		    (p->pi.l4_proto == DL_IPPROTO_ICMP || p->pi.l4_proto == DL_IPPROTO_ICMPV6)) {
			memset(&key, 0, sizeof(key));
			copy_addr(key.addr, p->pi.dst, p->alen);
			key.scope = DL_LB_SCOPE_EXT;
			key.family = p->family;
			if (dl_lb_lookup_service(&ns->lb, &key)) {
				drop(res, DROP_UNSUPP_SERVICE_PROTO);
				return true;
			}
		}
		/* No service for ICMP: an error about a SNATed flow goes to NODEPORT_NAT_INGRESS. */
		return rev_snat_icmp(env, ctx, p, res, xdp);
	}
	memset(&key, 0, sizeof(key));
	copy_addr(key.addr, p->pi.dst, p->alen);
	key.port = p->dport;
	key.proto = p->pi.l4_proto;
	key.scope = DL_LB_SCOPE_EXT;
	key.family = p->family;
	svc = dl_lb_lookup_service_wild(&ns->lb, &key, &wildcard);
	if (svc) {
		/* Only the wildcard entry {port 0, proto 0} matched: a known VIP on a port or
		 * protocol it does not serve is dropped, never answered (bpf/lib/lb.h
		 * LB_SVC_WILDCARD_PROTO: "drop flows towards IPs we know about, but on services we
		 * don't"; bpf/tests/tc_nodeport_lb_wildcard_drop.c drops with
		 * SERVICE_NO_BACKEND_RESPONSE set). */
		if (wildcard) {
			drop(res, DROP_NO_SERVICE);
			return true;
		}
		/* Recent main: XDP leaves an externalTrafficPolicy=Local service to tc untouched
		 * (no DNAT, no XFER_PKT_NO_SVC; bpf/tests/xdp_nodeport_lb4_nat_lb.c
		 * xdp_nodeport_etp_local). */
		if (xdp && (svc->flags & DL_SVC_FLAG_EXT_LOCAL_SCOPE) && env->c->cfg.profile.era == DL_DSR_ERA_RECENT)
			return false;
		lb_service(env, ctx, p, svc, res, xdp);
		return true;
	}
	return rev_snat(env, ctx, p, res, xdp);
}

void dl_node_xdp(const struct dl_node_env *env, struct dl_ctx *ctx, struct dl_prog_result *res)
{
	struct pkt p;
	int rc = load_pkt_entry(env, ctx, &p, true);

	memset(res, 0, sizeof(*res));
	res->next = DL_NEXT_PASS;
	if (rc == 1)
		return;
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	/* bpf_xdp.c (v1.15): "DSR with GENEVE implementation doesn't support IPv6 with XDP"
	 * (spec §3.2): with the geneve dispatch IPv6 is left to tc. Recent main does IPv6 Geneve
	 * DSR at XDP (bpf/tests/xdp_kpr_dsr_geneve_lb.c: kpr_v6_dsr_lb2_data, kpr_v6_dsr_lb3_mtu
	 * answer or forward with ATTACHMENT_XDP). */
	if (p.family == 6 && env->c->cfg.dispatch == DL_DSR_DISPATCH_GENEVE && dsr_backend_on(env, 0) &&
	    env->c->cfg.profile.era == DL_DSR_ERA_V1_15)
		return;
	/* bpf_xdp.c: the NodePort logic runs here; what it does not claim passes to tc. */
	if (!nodeport_lb(env, ctx, &p, res, true)) {
		memset(res, 0, sizeof(*res));
		res->next = DL_NEXT_PASS;
	}
}

/* The backend side of the ipip and geneve dispatches. Returns true when the frame was a DSR
 * tunnel frame for this node (res is then set).
 *  geneve: a Geneve frame to this node's address is decapsulated by the kernel Geneve device
 *    and bpf_overlay runs nodeport_lb4/6 on the inner, already DNATed, packet: the DSR option
 *    (ctx_get_tunnel_opt; nodeport_extract_dsr_v4/v6) gives the service, and
 *    tail_nodeport_dsr_ingress creates the dsr CT entry and the reply NAT entry exactly as for
 *    the IP option (spec §3.2); then the packet goes to the pod.
 *  ipip: a frame whose outer destination is a local pod is decapsulated (the kernel IPIP
 *    device, or bpf/lib/ipip_termination.h); the inner packet is the client's own, still for
 *    VIP:port (skip_l3_xlate, spec §3.1), and is handed to the pod the outer header named, which
 *    must serve VIP:port itself (the service and backend ports have to be the same). No CT or
 *    NAT state: the pod answers from the VIP. How the decapsulated packet reaches a pod is
 *    UNCONFIRMED in the spec; this is the standalone-L4LB model. */
static bool tunnel_backend(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res)
{
	const struct dl_cluster_config *cc = &env->c->cfg;
	uint32_t h;
	int rc;

	if (!dsr_backend_on(env, 0))
		return false;
	if (cc->dispatch == DL_DSR_DISPATCH_GENEVE && p->family == 4 && dl_pkt_is_geneve(&p->pi) &&
	    self(env)->cfg.has_v4 && !memcmp(p->pi.dst, node_addr(env, 4), 4)) {
		struct dl_geneve_dsr_info gi;
		struct tun_dsr td;

		rc = dl_geneve_dsr_decap(ctx, &p->pi, &gi);
		if (rc == 0)
			rc = load_pkt(env, ctx, p, true);
		if (rc != 0) {
			drop(res, rc == 1 ? DROP_UNKNOWN_L3 : rc);
			return true;
		}
		res->translated = true;
		h = dl_cluster_host_by_addr(env->c, p->family, p->pi.dst);
		if (is_local_pod(env, h)) {
			memset(&td, 0, sizeof(td));
			td.found = gi.found;
			memcpy(td.vip, gi.addr, sizeof(td.vip));
			td.port = gi.port;
			rc = dsr_backend(env, ctx, p, &td);
			if (rc < 0) {
				drop(res, rc);
				return true;
			}
			if (rc == 1)
				res->state |= DL_EVS_DSR;
			if (rc > 0)
				res->dsr = true;
		}
		route_local(env, ctx, p, res);
		return true;
	}
	if (cc->dispatch == DL_DSR_DISPATCH_IPIP &&
	    (p->pi.l4_proto == DL_IPPROTO_IPIP || p->pi.l4_proto == DL_IPPROTO_IPV6)) {
		h = dl_cluster_host_by_addr(env->c, p->family, p->pi.dst);
		if (!is_local_pod(env, h))
			return false;
		rc = dl_dsr_ipip_decap(ctx, &p->pi);
		if (rc == 0)
			rc = p->pi.l3 == DL_L3_IPV6 ? dl_ipv6_dec_hoplimit(ctx, &p->pi) : dl_ipv4_dec_ttl(ctx, &p->pi);
		if (rc < 0) {
			drop(res, rc);
			return true;
		}
		res->translated = true;
		res->next = DL_NEXT_POD;
		res->pod = h;
		return true;
	}
	return false;
}

void dl_node_from_netdev(const struct dl_node_env *env, struct dl_ctx *ctx, bool after_xdp, struct dl_prog_result *res)
{
	struct pkt p;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = load_pkt_entry(env, ctx, &p, !after_xdp);
	if (rc == 1) { /* ARP and other non-IP: the stack's */
		res->next = DL_NEXT_STACK;
		return;
	}
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	if (!after_xdp && nodeport_lb(env, ctx, &p, res, false))
		return;
	if (!after_xdp && tunnel_backend(env, ctx, &p, res))
		return;
	/* Not a service: a DSR request for a local pod gets its backend-side state. */
	if (!after_xdp) {
		uint32_t h = dl_cluster_host_by_addr(env->c, p.family, p.pi.dst);
		if (is_local_pod(env, h)) {
			rc = dsr_backend(env, ctx, &p, NULL);
			if (rc < 0) {
				drop(res, rc);
				return;
			}
			if (rc == 1)
				res->state |= DL_EVS_DSR;
			if (rc > 0)
				res->dsr = true;
		}
	}
	route_local(env, ctx, &p, res);
}

/* handle_nat_fwd → nodeport_rev_dnat_fwd_ipv4/6 (recent main, bpf/lib/nodeport_egress.h) also
 * rev-DNATs a local backend's reply that reaches to-netdev untranslated: the nodeport CT entry
 * (ct_has_nodeport_egress_entry / nodeport_rev_dnat_get_info) gives the service, the frame
 * leaves with CTX_ACT_OK and no TTL change (bpf/tests/tc_nodeport_lb4_nat_lb.c,
 * tc_nodeport_lb6_nat_lb.c: tc_nodeport_local_backend_reply). In dsrlab's fabric bpf_lxc
 * (dl_node_from_container) has already done it, so the lookup then misses. */
static void local_backend_revnat(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	const struct dl_lb_revnat *rn;
	uint16_t l4ports[2] = {p->sport, p->dport};
	struct dl_ct_tuple t;
	struct dl_ct_pkt cp;
	struct dl_ct_state st;
	int rc, status;

	rc = p->family == 6 ? dl_ct_tuple6_from_pkt(&p->pi, CT_INGRESS, l4ports, &t, &cp)
			    : dl_ct_tuple4_from_pkt(&p->pi, CT_INGRESS, l4ports, &t, &cp);
	if (rc < 0 || !(p->family == 6 ? dl_ct_has_nodeport_egress_entry6(&ns->ct, &t, false)
				      : dl_ct_has_nodeport_egress_entry4(&ns->ct, &t, false)))
		return;
	memset(&st, 0, sizeof(st));
	status = p->family == 6 ? dl_ct_lookup6(&ns->ct, &t, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st)
				: dl_ct_lookup4(&ns->ct, &t, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st);
	if (status != CT_REPLY || !st.node_port || !st.rev_nat_index)
		return;
	rn = dl_lb_lookup_revnat(&ns->lb, st.rev_nat_index);
	if (!rn)
		return;
	rc = p->family == 6 ? dl_lb6_rev_xlate(ctx, &p->pi, rn->addr, rn->port) : dl_lb4_rev_xlate(ctx, &p->pi, rn->addr, rn->port);
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	res->translated = true;
}

/* A pod's ICMP error about a DSR flow, on its way out of the backend node (handle_nat_fwd →
 * xlate_dsr, recent main; bpf/tests/scapy dsr_backend_icmp4_err_before/after): the DSR NAT
 * entry of the quoted flow makes the service the outer source and the quoted destination
 * (address and port), every checksum valid, TTL untouched. The v1.15-era xlate_dsr_v4 builds
 * its tuple from the outer packet, so an error there leaves as it is. Which error types the
 * recent code takes is not in the fixtures beyond frag-needed: dsrlab takes those the reverse
 * SNAT takes (icmp_err_translated). */
static void dsr_reply_icmp_err(const struct dl_node_env *env, struct dl_ctx *ctx, struct pkt *p, struct dl_prog_result *res)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	struct dl_icmp_err_inner in;
	struct dl_icmp_err_xlate x;
	struct dl_ct_tuple nt;
	struct dl_nat_entry ne;
	const struct dl_nat_entry *e;
	int rc;

	if (env->c->cfg.profile.era == DL_DSR_ERA_V1_15 || !icmp_err_translated(env, p) ||
	    dl_icmp_err_inner(ctx, &p->pi, &in) < 0 || !in.has_ports || !dsr_backend_on(env, in.proto))
		return;
	/* The CT_EGRESS tuple of the pod's reply on that flow {backend → client, TUPLE_F_IN}. */
	if (p->family == 6)
		dl_ct_tuple6_init(&nt, in.dst, in.src, in.dport, in.sport, in.proto);
	else
		dl_ct_tuple4_init(&nt, in.dst, in.src, in.dport, in.sport, in.proto);
	nt.flags = TUPLE_F_IN;
	e = p->family == 6 ? dl_snat_v6_lookup_dsr(&ns->snat, &nt) : dl_snat_v4_lookup_dsr(&ns->snat, &nt);
	if (!e)
		return;
	ne = *e;
	memset(&x, 0, sizeof(x));
	x.outer_saddr = ne.to_addr;
	x.inner_daddr = ne.to_addr;
	x.inner_dport = ne.to_port;
	rc = dl_icmp_err_rewrite(ctx, &p->pi, &x);
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	res->translated = true;
	res->dsr = true;
}

void dl_node_to_netdev(const struct dl_node_env *env, struct dl_ctx *ctx, struct dl_prog_result *res)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	struct dl_ct_tuple nt;
	const struct dl_nat_entry *ne;
	struct pkt p;
	int rc;

	memset(res, 0, sizeof(*res));
	res->next = DL_NEXT_PASS;
	if (load_pkt_entry(env, ctx, &p, false) != 0)
		return;
	if (!p.has_ports) {
		dsr_reply_icmp_err(env, ctx, &p, res);
		return;
	}
	if (!dsr_backend_on(env, p.pi.l4_proto)) {
		local_backend_revnat(env, ctx, &p, res);
		return;
	}
	/* handle_nat_fwd → nodeport_rev_dnat_fwd → xlate_dsr: a pod's reply on a DSR flow leaves
	 * with the service as its source, straight to the client. */
	{
		uint16_t l4ports[2] = {p.sport, p.dport};
		struct dl_ct_pkt cp;
		if ((p.family == 6 ? dl_ct_tuple6_from_pkt(&p.pi, CT_EGRESS, l4ports, &nt, &cp)
				   : dl_ct_tuple4_from_pkt(&p.pi, CT_EGRESS, l4ports, &nt, &cp)) < 0)
			return;
	}
	ne = p.family == 6 ? dl_snat_v6_lookup_dsr(&ns->snat, &nt) : dl_snat_v4_lookup_dsr(&ns->snat, &nt);
	if (!ne) {
		local_backend_revnat(env, ctx, &p, res);
		return;
	}
	rc = p.family == 6 ? dl_lb6_rev_xlate(ctx, &p.pi, ne->to_addr, ne->to_port) : dl_lb4_rev_xlate(ctx, &p.pi, ne->to_addr, ne->to_port);
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	res->translated = true;
	res->dsr = true; /* the DSR reply rewrite */
}

void dl_node_from_container(const struct dl_node_env *env, struct dl_ctx *ctx, uint32_t pod, struct dl_prog_result *res)
{
	struct dl_node_state *ns = dl_cluster_node(env->c, env->node);
	struct dl_ct_tuple t;
	struct dl_ct_pkt cp;
	struct dl_ct_state st;
	struct pkt p;
	uint16_t l4ports[2];
	uint32_t h;
	int rc, status;

	(void)pod;
	memset(res, 0, sizeof(*res));
	rc = load_pkt_entry(env, ctx, &p, false);
	if (rc == 1) {
		res->next = DL_NEXT_STACK;
		return;
	}
	if (rc < 0) {
		drop(res, rc);
		return;
	}
	if (p.has_ports) {
		/* bpf_lxc: a reply on a flow the LB delivered to this local backend is handed to
		 * CILIUM_CALL_IPV4_NODEPORT_REVNAT (bpf/lib/nodeport.h rev_nodeport_lb4), whose
		 * CT_INGRESS lookup finds nodeport_lb4's CT_EGRESS entry as CT_REPLY; the source is
		 * then reverse-NATed to the service and the reply sent to the client. (A CT_EGRESS
		 * lookup of the reply misses that entry: the tuple flags differ.) */
		l4ports[0] = p.sport;
		l4ports[1] = p.dport;
		rc = p.family == 6 ? dl_ct_tuple6_from_pkt(&p.pi, CT_INGRESS, l4ports, &t, &cp) : dl_ct_tuple4_from_pkt(&p.pi, CT_INGRESS, l4ports, &t, &cp);
		memset(&st, 0, sizeof(st));
		status = rc < 0 ? rc
				: p.family == 6 ? dl_ct_lookup6(&ns->ct, &t, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st)
						: dl_ct_lookup4(&ns->ct, &t, &cp, ACTION_CREATE, CT_INGRESS, env->now, &st);
		if (status == CT_REPLY && st.node_port && st.rev_nat_index) {
			const struct dl_lb_revnat *rn = dl_lb_lookup_revnat(&ns->lb, st.rev_nat_index);
			if (rn) {
				rc = p.family == 6 ? dl_lb6_rev_xlate(ctx, &p.pi, rn->addr, rn->port) : dl_lb4_rev_xlate(ctx, &p.pi, rn->addr, rn->port);
				if (rc < 0) {
					drop(res, rc);
					return;
				}
				res->translated = true;
				forward_out(ctx, &p, res, false);
				return;
			}
		}
	}
	h = dl_cluster_host_by_addr(env->c, p.family, p.pi.dst);
	if (is_local_pod(env, h)) {
		route_local(env, ctx, &p, res);
		return;
	}
	if (h == env->node) {
		res->next = DL_NEXT_STACK;
		return;
	}
	/* Routed out of the node: the kernel forwards it (TTL - 1) and to-netdev runs. */
	forward_out(ctx, &p, res, false);
}
