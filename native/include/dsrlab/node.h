/* node.h: the programs Cilium attaches to a node, emulated: XDP and tc ingress on the external
 * device (bpf_xdp / bpf_host from-netdev: nodeport_lb4/6 and the DSR backend side), tc egress
 * (bpf_host to-netdev: the DSR reply rewrite), and the pod side (bpf_lxc from-container: reverse
 * NAT of local-backend replies). Each program takes the frame in a ctx and says where it goes
 * next; moving it there (and logging) is cluster.c's job. Internal to the core. */
#ifndef DSRLAB_NODE_H
#define DSRLAB_NODE_H

#include "dsrlab/cluster.h"
#include "dsrlab/ctx.h"
#include "dsrlab/frag.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One node's datapath state. */
struct dl_node_state {
	struct dl_lb lb;
	struct dl_ct_maps ct;
	struct dl_snat snat;
	struct dl_map frag;   /* cilium_ipv4_frag_datagrams */
	struct dl_map frag6;  /* cilium_ipv6_frag_datagrams (used from 1.18: profile.ipv6_frag_tracking) */
};

/* Where a program sends the frame. */
enum dl_next {
	DL_NEXT_DROP = 0,     /* dropped: reason in the result */
	DL_NEXT_PASS,         /* continue along the normal path (XDP → tc; tc → stack routing) */
	DL_NEXT_OUT,          /* out the external device to the fabric (tc egress and taps follow) */
	DL_NEXT_TX,           /* XDP_TX: straight back out the device, no taps, no tc egress */
	DL_NEXT_BACK,         /* an answer (ICMP error) redirected out the ingress device */
	DL_NEXT_POD,          /* to a local pod (host id in the result) */
	DL_NEXT_STACK,        /* to the node's own stack */
};

struct dl_prog_result {
	enum dl_next next;
	int32_t drop;         /* negative DROP_* when next == DL_NEXT_DROP */
	uint32_t pod;         /* DL_NEXT_POD: the pod's host id */
	bool translated;      /* the program rewrote the frame */
	bool dsr;             /* DSR info was added */
	bool snat;            /* source NAT applied */
	bool answered;        /* the frame became an ICMP error for the sender */
	bool done_xdp;        /* XDP did the service work already (tc must not repeat it) */
	uint32_t backend;     /* new selection: backend id, Maglev hash/slot, NAT port */
	uint32_t hash, slot, nat_port;
	uint16_t state;       /* DL_EVS_* created */
};

struct dl_node_env {
	struct dl_cluster *c;
	uint32_t node;        /* host id */
	uint32_t now;         /* seconds, for conntrack and affinity */
	/* The frame's Ethernet parse, when the caller already holds one for the frame's current
	 * bytes (dl_pkt_parse's return value and result), so the program's first look at the
	 * frame does not parse it again; NULL: the program parses. */
	const struct dl_pkt_info *pi;
	int pi_rc;
};

void dl_node_xdp(const struct dl_node_env *env, struct dl_ctx *ctx, struct dl_prog_result *res);
void dl_node_from_netdev(const struct dl_node_env *env, struct dl_ctx *ctx, bool after_xdp, struct dl_prog_result *res);
void dl_node_to_netdev(const struct dl_node_env *env, struct dl_ctx *ctx, struct dl_prog_result *res);
void dl_node_from_container(const struct dl_node_env *env, struct dl_ctx *ctx, uint32_t pod, struct dl_prog_result *res);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_NODE_H */
