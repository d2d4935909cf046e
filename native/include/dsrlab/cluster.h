/* cluster.h: the emulated cluster: hosts (clients, nodes, pods), each node's Cilium state
 * (conntrack, NAT, fragments, service tables), the fabric that moves frames between hosts, and
 * the event log that records every hop of every packet. This is the C API the addon, the
 * fuzzers and the benchmarks drive; the per-node datapath programs (XDP, tc, lxc) are in
 * node.h, the building blocks they use in ct.h, nat.h, lb.h, dsr.h, icmp.h, rewrite.h, frag.h.
 *
 * Life cycle: dl_cluster_new(config) → add hosts, backends, services → dl_cluster_run(batch)
 * any number of times (state carries over between batches) → dl_cluster_free. */
#ifndef DSRLAB_CLUSTER_H
#define DSRLAB_CLUSTER_H

#include "dsrlab/common.h"
#include "dsrlab/lb.h"
#include "dsrlab/ct.h"
#include "dsrlab/nat.h"
#include "dsrlab/dsr.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dl_lb_mode { DL_MODE_SNAT = 0, DL_MODE_DSR = 1, DL_MODE_HYBRID = 2 };
enum dl_accel { DL_ACCEL_DISABLED = 0, DL_ACCEL_NATIVE = 1, DL_ACCEL_BEST_EFFORT = 2 };
enum dl_host_kind { DL_HOST_CLIENT = 0, DL_HOST_NODE = 1, DL_HOST_POD = 2 };
enum dl_responder { DL_RESPOND_NONE = 0, DL_RESPOND_ECHO = 1, DL_RESPOND_CAPTURE = 2 };

/* Behaviours that changed between Cilium versions (the TypeScript profile fills these). */
struct dl_profile {
	enum dl_dsr_era era;          /* v1.15-era vs recent-main DSR, MTU and ICMP behaviour */
	enum dl_dsr_opt_order opt_order; /* IPv4 DSR option fields: byte-swapped (v1.15 on
					* little-endian hosts) or network order (recent) */
	bool per_service_fwd_mode;    /* recent main: DSR decided by the service's flag */
	bool snat_clamp_closed;       /* recent clamp min + ((v*(max-min+1))>>16) vs v1.14 modulo */
	uint32_t snat_retries;        /* SNAT_COLLISION_RETRIES */
	enum dl_maglev_hash_version maglev_hash;
	bool icmp_to_vip_drop;        /* recent main: ICMP to a VIP → DROP_UNSUPP_SERVICE_PROTO (§5.1) */
	bool ipv6_frag_tracking;      /* 1.18+ (ENABLE_IPV6_FRAGMENTS): IPv6 fragments tracked like
				       * IPv4 ones; before, ipv6_hdrlen refuses a Fragment header
				       * (DROP_FRAG_NOSUPPORT) */
};

struct dl_cluster_config {
	enum dl_lb_mode mode;
	enum dl_dsr_dispatch dispatch; /* dsr.h: DL_DSR_DISPATCH_* */
	enum dl_accel accel;
	bool reject_no_backend;       /* serviceNoBackendResponse=reject: ICMP port unreachable */
	bool pmtu_discovery;          /* pmtuDiscovery.enabled: ENABLE_DSR_ICMP_ERRORS */
	bool external_cluster_ip;     /* bpf.lbExternalClusterIP */
	uint16_t nat_port_min, nat_port_max; /* NodePortMax + 1 .. 65535 */
	struct dl_profile profile;
	struct dl_ct_config ct;
	struct dl_lb_config lb;
	uint32_t ct_tcp_max, ct_any_max, nat_max, frag_max;
	uint32_t addr_max, flow_max;  /* the fabric's address book and responder flow bindings
				       * (0: 65536 addresses, 262144 flows); small ones make a
				       * cluster cheap to build, as the fuzzer does per input */
	uint64_t seed;                /* seeds the emulation's randomness */
	enum dl_responder responder;
	uint32_t faults;              /* DL_FAULT_*: test-only planted faults, 0 in normal use */
};

/* Test-only planted faults (struct dl_cluster_config.faults). Each breaks one DESIGN invariant
 * at one small, commented place in node.c, so the tests can prove that dsrlab/testing's
 * invariant checkers catch it (src/testing; test/properties/faults.test.ts). Mirrored by
 * DATAPATH_FAULTS in src/datapath/faults.ts. Never set them outside tests. */
#define DL_FAULT_OPT_EVERY_SEGMENT      0x1u /* DSR info on every TCP segment, not only the SYN */
#define DL_FAULT_REVNAT_PORT_OFF_BY_ONE 0x2u /* reverse SNAT restores the client port + 1 */
#define DL_FAULT_NO_MTU_CHECK           0x4u /* skip the DSR MTU check (no ICMP too-big) */
#define DL_FAULT_SNAT_REUSE_PORT        0x8u /* SNAT hands a new flow the lowest NAT port even
					      * if a live flow holds it */

#define DL_HOST_NAME_MAX 64

struct dl_host_config {
	enum dl_host_kind kind;
	char name[DL_HOST_NAME_MAX];
	uint8_t mac[6];
	bool has_v4, has_v6;
	uint8_t v4[4];
	uint8_t v6[16];
	uint16_t mtu;
	uint32_t node;                /* pods: the host id of their node */
};

/* A frontend address that enters the cluster at one node, or by ECMP over all nodes
 * (node = UINT32_MAX). */
struct dl_frontend_route {
	uint8_t family;
	uint8_t addr[16];
	uint32_t node;
};

/* ---- the event log ---- */

/* Where an event happened. */
enum dl_point {
	DL_PT_WIRE_TX = 1,    /* left host's link (capture point wire-<host>) */
	DL_PT_WIRE_RX,        /* arrived on host's link (wire-<host>) */
	DL_PT_TAP_RX,         /* tcpdump on the node's external device, receive side */
	DL_PT_TAP_TX,         /* tcpdump, transmit side */
	DL_PT_XDP,            /* bpf_xdp on the external device */
	DL_PT_TC_INGRESS,     /* bpf_host from-netdev */
	DL_PT_TC_EGRESS,      /* bpf_host to-netdev */
	DL_PT_LXC_EGRESS,     /* bpf_lxc from-container (the pod's packet into the node) */
	DL_PT_LXC_INGRESS,    /* delivery into the pod */
	DL_PT_STACK,          /* the node's own network stack */
	DL_PT_POD,            /* the pod (its application) received it */
	DL_PT_CLIENT,         /* a client received it */
};

/* What happened there. */
enum dl_verdict {
	DL_V_SEEN = 0,        /* a tap or wire saw it */
	DL_V_PASS,            /* a program let it continue unchanged in direction */
	DL_V_TRANSLATED,      /* a program rewrote it (DNAT, SNAT, rev-NAT, DSR encap ...) */
	DL_V_TX,              /* XDP_TX / redirected back out the device it came in on */
	DL_V_REDIRECT,        /* redirected to another device or host */
	DL_V_DROPPED,         /* drop reason in the event */
	DL_V_DELIVERED,       /* reached the host it was for */
	DL_V_TO_STACK,        /* handed to a node's own stack */
	DL_V_ANSWERED,        /* turned into an ICMP error sent back */
};

/* Event flags */
#define DL_EVF_REPLY     0x01u  /* the packet travels server → client */
#define DL_EVF_DSR       0x02u  /* carries DSR info (option, ext header, encap) */
#define DL_EVF_SNAT      0x04u  /* was source-NATed here */
#define DL_EVF_GENERATED 0x08u  /* made by the datapath (ICMP error) or a responder */
#define DL_EVF_FINAL     0x10u  /* the packet's journey ends with this event */

/* State a program created at a hop (for explain): */
#define DL_EVS_CT_SERVICE  0x01u /* a CT_SERVICE entry (new flow: backend chosen) */
#define DL_EVS_CT_NODEPORT 0x02u /* a CT_EGRESS nodeport entry (reply path via the LB) */
#define DL_EVS_NAT         0x04u /* a new SNAT mapping (both NAT entries) */
#define DL_EVS_DSR         0x08u /* backend side: a dsr CT entry and the DSR NAT entry */
#define DL_EVS_AFFINITY    0x10u /* a session-affinity entry written */

/* One hop of one packet. Fixed size so the log is an array the addon hands over as bytes. */
struct dl_event {
	uint32_t pkt;         /* the packet id: input index, or an id >= the input count for
				* packets the emulation made (ICMP errors, responder replies) */
	uint32_t parent;      /* for made packets: the packet they answer; else = pkt */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t host;        /* host id */
	uint32_t peer;        /* wire events: the other end; UINT32_MAX otherwise */
	uint8_t point;        /* enum dl_point */
	uint8_t verdict;      /* enum dl_verdict */
	uint16_t flags;       /* DL_EVF_* */
	int32_t drop;         /* negative DROP_* with DL_V_DROPPED, else 0 */
	uint32_t off, len;    /* the frame at this point: arena[off, off + len) */
	uint32_t backend;     /* service events: the chosen backend id (0: none) */
	uint32_t hash, slot;  /* Maglev hash and slot of a new selection */
	uint32_t nat_port;    /* SNAT: the allocated port */
	uint16_t state;       /* DL_EVS_*: datapath state this hop created */
	uint16_t _pad;
};
/* The addon hands events to TypeScript as raw bytes: src/datapath/events.ts reads these
 * offsets, so they are pinned here. */
DL_STATIC_ASSERT(sizeof(struct dl_event) == 64, "dl_event is 64 bytes");
DL_STATIC_ASSERT(offsetof(struct dl_event, ts_sec) == 8 && offsetof(struct dl_event, host) == 20 &&
	       offsetof(struct dl_event, point) == 28 && offsetof(struct dl_event, drop) == 32 &&
	       offsetof(struct dl_event, off) == 36 && offsetof(struct dl_event, nat_port) == 56,
	       "dl_event layout");

/* One batch's output: events plus the frames they point at. Caller-owned buffers; the run
 * stops early (and says so) when either fills. */
struct dl_out {
	struct dl_event *events;
	uint32_t n_events, max_events;
	uint8_t *arena;
	uint32_t arena_used, arena_size;
	bool full;            /* the run stopped because events or arena ran out */
};

/* One input packet: a frame, where it comes from, when. */
struct dl_in_packet {
	const uint8_t *data;
	uint32_t len;
	uint32_t host;        /* the client (or pod, for captured replies) that sends it */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t id;          /* packet id for the log */
	uint32_t linktype;    /* DL_LINKTYPE_* of data: anything but Ethernet gets an Ethernet
				* header in place of its own (raw IP, Linux SLL/SLL2) */
	bool server;          /* a server packet of the capture (responder=capture): re-inject at
				* the pod holding its flow */
};

struct dl_cluster;

/* Returns a new cluster, or NULL (invalid config or no memory: err says which). */
struct dl_cluster *dl_cluster_new(const struct dl_cluster_config *cfg, char *err, size_t errlen);
void dl_cluster_free(struct dl_cluster *c);

/* Adds a host; returns its id (0, 1, 2 … in order of addition) or a negative error. */
int dl_cluster_add_host(struct dl_cluster *c, const struct dl_host_config *h);
int dl_cluster_add_frontend_route(struct dl_cluster *c, const struct dl_frontend_route *r);

/* Frames for addresses no host owns go to this host (the `world` client, which then accepts
 * any destination). Returns 0, or -1 when host is not a client. */
int dl_cluster_set_default_host(struct dl_cluster *c, uint32_t host);

/* Installs a backend / a service frontend on one node's tables (the control plane decides
 * which backends each node gets per scope). */
int dl_cluster_add_backend(struct dl_cluster *c, uint32_t node, uint32_t id, const struct dl_lb_backend *be);
int dl_cluster_add_service(struct dl_cluster *c, uint32_t node, const struct dl_lb_key *key,
			   const struct dl_lb_service *svc, const uint32_t *slot_ids, const uint32_t *maglev_lut);

/* Runs n packets through the cluster in order, appending to out. Returns how many input
 * packets were processed completely (fewer than n only when out filled up). */
uint32_t dl_cluster_run(struct dl_cluster *c, const struct dl_in_packet *pkts, uint32_t n, struct dl_out *out);

/* Internal (replay_sink.c): promises about the packets the caller will run, which let
 * dl_cluster_run skip work nobody reads. DL_RUN_NO_SERVER: no packet will ever have
 * dl_in_packet.server set, so with responder none the flow bindings (only read by the echo
 * and capture responders) are not kept. */
#define DL_RUN_NO_SERVER 0x1u
void dl_cluster_set_run_hints(struct dl_cluster *c, uint32_t hints);

/* Map pressure on one node (cluster_stats.c): per Cilium map, its capacity, live entries and
 * LRU evictions. */
struct dl_map_stats {
	uint32_t max_entries;
	uint32_t entries;     /* live entries now */
	uint64_t evictions;   /* LRU: entries pushed out to make room */
	uint64_t full;        /* plain hash: inserts refused because the map was full */
};
enum dl_node_map {
	DL_NODE_MAP_CT4_TCP,  /* cilium_ct4_global */
	DL_NODE_MAP_CT4_ANY,  /* cilium_ct_any4_global */
	DL_NODE_MAP_CT6_TCP,  /* cilium_ct6_global */
	DL_NODE_MAP_CT6_ANY,  /* cilium_ct_any6_global */
	DL_NODE_MAP_SNAT4,    /* cilium_snat_v4_external */
	DL_NODE_MAP_SNAT6,    /* cilium_snat_v6_external */
	DL_NODE_MAP_FRAG4,    /* cilium_ipv4_frag_datagrams */
	DL_NODE_MAP_FRAG6,    /* cilium_ipv6_frag_datagrams */
	DL_NODE_MAPS
};
struct dl_node_map_stats {
	struct dl_map_stats maps[DL_NODE_MAPS];
	uint64_t snat_no_mapping;   /* SNAT allocations that ended in DROP_NAT_NO_MAPPING */
	uint64_t ct_create_failed;  /* DROP_CT_CREATE_FAILED returned */
};

/* Fills *out for a node. Returns 0, or -1 when host is not a node. */
int dl_cluster_map_stats(struct dl_cluster *c, uint32_t host, struct dl_node_map_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CLUSTER_H */
