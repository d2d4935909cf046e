/* cluster_priv.h: the cluster's insides, shared by cluster.c (hosts, fabric, event log) and
 * node.c (the node programs). Not part of the public C API. */
#ifndef DSRLAB_CLUSTER_PRIV_H
#define DSRLAB_CLUSTER_PRIV_H

#include "dsrlab/cluster.h"
#include "dsrlab/node.h"

struct dl_host {
	struct dl_host_config cfg;
	struct dl_node_state *ns; /* nodes only */
};

/* The address book: IPv4/IPv6 address → host id. */
struct dl_addr_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[3];
};

/* A binding made when a request reaches a pod: which pod holds the client's flow and how the
 * pod saw it, so captured server packets can be re-injected there (responder=capture) and echo
 * replies addressed (responder=echo). Keyed by the flow as the client sent it. */
struct dl_flow_key {
	uint8_t client[16], frontend[16];
	uint16_t cport, fport;
	uint8_t proto, family, pad[2];
};
struct dl_flow_binding {
	uint32_t pod;               /* host id */
	uint8_t peer[16];           /* the source address the pod saw (client, or the LB node) */
	uint8_t local[16];          /* the pod's address the request was sent to */
	uint16_t peer_port, local_port;
	uint32_t server_seq;        /* echo responder: the next sequence number the pod sends */
	uint8_t tcp_state;          /* echo responder: 0 none, 1 syn-ack sent, 2 fin sent */
	bool last_reached;          /* the flow's latest request reached the pod (capture
				     * responder: a UDP/ICMP answer to one that did not is held) */
};

/* A flat open-addressing index over the address book (dl_cluster.addrs stays the authority
 * for what may be added): the fabric and the node programs ask it on every hop. */
struct dl_addr_slot {
	uint64_t a0, a1;            /* the address, zero-padded to 16 bytes */
	uint32_t id;
	uint8_t family;             /* 0: empty */
	uint8_t pad[3];
};

struct dl_cluster {
	struct dl_cluster_config cfg;
	struct dl_host *hosts;
	uint32_t n_hosts, cap_hosts;
	struct dl_frontend_route *routes;
	uint32_t n_routes, cap_routes;
	uint32_t *node_ids;         /* hosts that are nodes, in order (ECMP) */
	uint32_t n_nodes;
	struct dl_map addrs;        /* dl_addr_key -> uint32_t host id */
	struct dl_map flows;        /* LRU: dl_flow_key -> dl_flow_binding */
	uint64_t prng;
	uint32_t next_made_id;      /* ids for packets the emulation makes */
	uint32_t default_host;      /* UINT32_MAX: none */
	uint32_t next_gc;           /* capture second of the next agent CT/NAT garbage collection */
	struct dl_addr_slot *addr_index; /* see dl_addr_slot; addr_mask + 1 slots, or NULL */
	uint32_t addr_mask, addr_count;
	uint8_t *run_storage;       /* dl_cluster_run's frame buffers, kept between runs */
	uint32_t run_hints;         /* DL_RUN_* (dl_cluster_set_run_hints) */
};

/* A node's datapath state (NULL for other hosts and unknown ids) and a host's entry (NULL for
 * unknown ids); inline, as every program run asks for them several times. */
static inline struct dl_node_state *dl_cluster_node(struct dl_cluster *c, uint32_t host)
{
	return host < c->n_hosts ? c->hosts[host].ns : NULL;
}

static inline const struct dl_host *dl_cluster_host(const struct dl_cluster *c, uint32_t host)
{
	return host < c->n_hosts ? &c->hosts[host] : NULL;
}
/* Host id owning addr (4 or 16 bytes), or UINT32_MAX. */
uint32_t dl_cluster_host_by_addr(const struct dl_cluster *c, uint8_t family, const uint8_t *addr);

#endif
