/* replay_sink.h: what `dsrlab replay` does with a capture, past reading it, in C so the hot
 * path never leaves C (DESIGN.md: TypeScript hands over a batch, C runs it and accounts for
 * it). A sink, bound to nothing but its configuration, takes one batch of captured packets at
 * a time and:
 *  - decides who sends each packet: the host owning its source address (ARP: the sender
 *    address), else `world`; with the capture responder, an IP packet from a frontend address
 *    is the server's (re-injected at the pod holding its flow);
 *  - runs the batch through a cluster (cluster.h) in chunks, reusing one event log and arena;
 *  - turns every event into its outputs: pcap records per capture point (wire-<host> for every
 *    host's link, tcpdump-<node> for a node's taps), flows.jsonl lines (replay_flows.h), and
 *    the summary's counters: each capture packet's fate, drops by reason and by place,
 *    per-node/hook/action counts, request packets per backend, flows and the backends they
 *    were balanced to, the responder's packets, withheld server packets and why, and the
 *    comparison of what reached the client with the capture.
 * TypeScript (src/replay.ts) names things, writes the files and builds summary.json from the
 * tables here, whose rows keep the order in which their keys first occurred (the order of
 * the summary's keys). */
#ifndef DSRLAB_REPLAY_SINK_H
#define DSRLAB_REPLAY_SINK_H

#include "dsrlab/common.h"
#include "dsrlab/cluster.h"
#include "dsrlab/replay_flows.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dl_cap_record; /* capture.h (not included here: its link-type enum and codec.h's macros
		       * of the same names only mix when capture.h comes first) */

struct dl_sink_config {
	uint32_t n_hosts;          /* host ids 0 .. n_hosts-1, as the cluster numbered them */
	uint32_t world;            /* the sender of packets from no host's address */
	bool capture_responder;    /* responder=capture: frontend sources are server packets, and
				    * replies that reach a client are compared with the capture */
	bool pcaps;                /* write pcap records per capture point */
	bool flows;                /* write flows.jsonl lines */
	uint32_t max_events;       /* the event log of one cluster run (events) */
	uint32_t arena_bytes;      /* the frame arena of one cluster run (bytes) */
	uint32_t chunk_packets;    /* at most this many packets per cluster run (0: 1024) */
	size_t flush_bytes;        /* dl_sink_run returns DL_SINK_FLUSH once the outputs hold this
				    * many bytes (0: 4 MiB) */
};

/* Capture points: one pcap each. */
#define DL_SINK_POINT_WIRE(host) (2u * (host))        /* wire-<host> */
#define DL_SINK_POINT_TCPDUMP(host) (2u * (host) + 1) /* tcpdump-<node> */

/* Return codes of dl_sink_run. */
enum dl_sink_rc {
	DL_SINK_DONE = 0,     /* the batch is done */
	DL_SINK_FLUSH = 1,    /* outputs are full: take them, then call again */
	DL_SINK_ENOMEM = -1,
	DL_SINK_ESTUCK = -2,  /* a packet does not fit an empty event log and arena */
	DL_SINK_EEVENT = -3,  /* the cluster logged an event out of range (a bug in the core) */
	DL_SINK_ETIME = -4,   /* an event's time cannot be written (JavaScript's Date range) */
	DL_SINK_EINVAL = -5,  /* no batch, or a record outside its buffer */
	DL_SINK_EWRITE = -6,  /* writing an output file failed (dl_sink_error: field the output,
			       * value the errno); nothing more is written */
};

/* What went wrong, after a negative return. */
struct dl_sink_error {
	int rc;
	uint32_t packet;      /* ESTUCK: the packet id; EEVENT: the event's packet */
	uint32_t field;       /* EEVENT: 1 point, 2 verdict, 3 frame outside the arena; EWRITE: the
			       * output (a capture point, or dl_sink_points() for flows.jsonl) */
	uint32_t value;       /* EEVENT: the value; EWRITE: the errno */
	int64_t ts_sec;       /* ETIME: the time */
};

/* What became of a flow's latest request (withheld server packets say it), and of a packet. */
enum dl_sink_fate {
	DL_FATE_NONE = 0,     /* no request of the flow yet */
	DL_FATE_ANSWERED,     /* answered with an ICMP error */
	DL_FATE_POD,          /* delivered to a pod */
	DL_FATE_DELIVERED,    /* delivered elsewhere (arg: the host) */
	DL_FATE_TO_STACK,     /* to a node's own stack */
	DL_FATE_DROPPED,      /* dropped (arg: the drop code) */
	DL_FATE_UNACCOUNTED,  /* no final event (a bug in the core) */
};

/* Ordered tables; each row is up to three key parts and a count. */
enum dl_sink_table {
	DL_SINK_T_DROP_REASONS,   /* capture packets dropped: (code) */
	DL_SINK_T_DROP_WHERE,     /* (code, host, point) */
	DL_SINK_T_DELIVERED_TO,   /* (host) */
	DL_SINK_T_TO_STACK,       /* (host) */
	DL_SINK_T_ANSWERED_BY,    /* (host) */
	DL_SINK_T_NODES,          /* events at a node, capture and made packets: (host, point, verdict) */
	DL_SINK_T_BACKEND_PACKETS,/* request packets per chosen backend: (backend id) */
	DL_SINK_T_RESPONSE_DROPS, /* made packets dropped: (code) */
	DL_SINK_T_WITHHELD,       /* withheld server packets: (enum dl_sink_fate of the request, arg) */
	DL_SINK_T_FLOW_GROUPS,    /* flows per ordered set of backends: (how many backends, the
				   * first); dl_sink_flow_group gives them all */
	DL_SINK_TABLES
};

struct dl_sink_totals {
	uint64_t in, delivered, to_stack, dropped, answered, unaccounted, requests, server;
	/* the responder's packets */
	uint64_t made, made_delivered, made_to_stack, made_dropped, made_answered, made_unaccounted;
	/* flows (after dl_sink_finish) */
	uint64_t flows, flows_balanced, flows_split;
	uint64_t withheld;
	/* capture responder */
	uint64_t compared, matched, mismatched, not_delivered;
	/* outputs */
	uint64_t flow_lines;
};

/* A server packet whose delivered reply differs from the capture (the first few are kept). */
enum dl_sink_mismatch_kind {
	DL_MISMATCH_CAPTURED = 1,  /* the captured packet is no IP datagram */
	DL_MISMATCH_DELIVERED,     /* the delivered frame is not stored, or no IP datagram */
	DL_MISMATCH_BYTES,         /* the datagrams differ (expected/got hold them) */
};
#define DL_SINK_MAX_MISMATCHES 10

struct dl_sink_mismatch {
	uint32_t packet;
	uint8_t kind;              /* enum dl_sink_mismatch_kind */
	uint8_t l4_proto;          /* the captured datagram's */
	int32_t l4_off;            /* its L4 offset from the IP header (the codec's l4_off - l3_off) */
	uint8_t *expected, *got;   /* the two datagrams (kind BYTES) */
	uint32_t expected_len, got_len;
};

/* Called after each cluster run with its output (for callers that look at every hop); `first`
 * is the batch index of the run's first packet. */
typedef void (*dl_sink_run_cb)(void *ctx, const struct dl_out *out, uint32_t first, uint32_t processed);

/* A batch: count capture records in data (dl_cap_record.buf_off/caplen index it), whose packet
 * ids start at first_id. Must stay valid until dl_sink_run returns DL_SINK_DONE or an error. */
struct dl_sink_batch {
	const uint8_t *data;
	size_t len;
	const struct dl_cap_record *recs;
	uint32_t count;
	uint32_t first_id;
};

struct dl_sink;

/* NULL on no memory, or n_hosts 0, or world not below n_hosts. */
struct dl_sink *dl_sink_new(const struct dl_sink_config *cfg);
void dl_sink_free(struct dl_sink *s);

/* Setup. Each returns 0, or -1 (out of range, or no memory). */
int dl_sink_set_node(struct dl_sink *s, uint32_t host);  /* a node: tcpdump point, per-node counts */
/* The host owning an address (family 4 or 6; 4 or 16 bytes), for picking senders. */
int dl_sink_add_address(struct dl_sink *s, uint8_t family, const uint8_t *addr, uint32_t host);
/* A frontend address (responder=capture: IP packets from it are the server's). */
int dl_sink_add_frontend(struct dl_sink *s, uint8_t family, const uint8_t *addr);
/* The flows.jsonl names (replay_flows.h dl_flow_fmt_set_*). */
struct dl_flow_fmt *dl_sink_flow_fmt(struct dl_sink *s);
void dl_sink_on_run(struct dl_sink *s, dl_sink_run_cb cb, void *ctx);

/* Starts a batch: picks every packet's sender. Returns 0 or DL_SINK_E*. */
int dl_sink_begin(struct dl_sink *s, const struct dl_sink_batch *b);
/* The senders picked for the current batch (count entries each): host ids, and 1 for server
 * packets. */
const uint32_t *dl_sink_senders(const struct dl_sink *s);
const uint8_t *dl_sink_servers(const struct dl_sink *s);
/* Runs the current batch through c from packet index *done on, consuming every event, and
 * advances *done. Returns DL_SINK_DONE, DL_SINK_FLUSH (take the outputs and call again), or a
 * negative code (dl_sink_error says more; the outputs of the events before stay). */
int dl_sink_run(struct dl_sink *s, struct dl_cluster *c, uint32_t *done);
const struct dl_sink_error *dl_sink_error(const struct dl_sink *s);

/* Outputs since the last clear: pcap records (no file header) of capture point pt, and
 * flows.jsonl text. */
uint32_t dl_sink_points(const struct dl_sink *s);
const struct dl_buf *dl_sink_point(const struct dl_sink *s, uint32_t pt);
const struct dl_buf *dl_sink_flows(const struct dl_sink *s);
void dl_sink_clear_outputs(struct dl_sink *s);

/* Outputs straight to files instead: fds[i] for output i (capture point i below
 * dl_sink_points(), then flows.jsonl; -1 none), n = dl_sink_points() + 1. A thread of the
 * sink's own writes them while dl_sink_run goes on (the bytes and their order are those the
 * buffers above would have held); dl_sink_run then never returns DL_SINK_FLUSH, and returns
 * DL_SINK_EWRITE once a write failed. flows.jsonl lines are formatted on that thread too, so
 * name everything (dl_sink_flow_fmt) first. The fds stay the caller's: keep them open until
 * dl_sink_close_output. Returns 0, DL_SINK_EINVAL (already open, or n wrong) or
 * DL_SINK_ENOMEM (no memory, or no thread). */
int dl_sink_open_output(struct dl_sink *s, const int *fds, uint32_t n);
/* Writes what is left (also after a failed run: the outputs of the events before it), waits
 * for every write and ends the thread. Returns 0 (also when nothing is open) or
 * DL_SINK_EWRITE. dl_sink_free ends the thread too, dropping what is not written yet. */
int dl_sink_close_output(struct dl_sink *s);

/* Summary, after the last batch: dl_sink_finish computes the flow totals and groups. */
int dl_sink_finish(struct dl_sink *s);
const struct dl_sink_totals *dl_sink_totals(const struct dl_sink *s);
uint32_t dl_sink_rows(const struct dl_sink *s, enum dl_sink_table t);
/* Row i of table t: key parts (unused ones 0) and count. */
void dl_sink_row(const struct dl_sink *s, enum dl_sink_table t, uint32_t i, int64_t key[3], uint64_t *count);
/* Flow group i: its backends in the order the flow met them, and how many flows. */
const uint32_t *dl_sink_flow_group(const struct dl_sink *s, uint32_t i, uint32_t *n, uint64_t *flows);
uint32_t dl_sink_mismatches(const struct dl_sink *s);
const struct dl_sink_mismatch *dl_sink_mismatch(const struct dl_sink *s, uint32_t i);

/* Index of the first of count records whose IP source address is in the set of n addresses
 * (each 17 bytes: family 4 or 6, then 16 address bytes, IPv4 in the first 4), or -1. */
int64_t dl_sink_first_from(const uint8_t *data, size_t len, const struct dl_cap_record *recs, uint32_t count,
			   const uint8_t *addrs, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_REPLAY_SINK_H */
