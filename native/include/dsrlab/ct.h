/* ct.h: conntrack as Cilium's datapath keeps it (bpf/lib/conntrack.h, conntrack_types.h): the
 * tuple with its swapped ports, the entry, the two-step lookup (__ct_lookup4/6), TCP close and
 * reopen, lifetimes, entry creation (ct_create4/6) and the agent's garbage collection.
 * NAT state lives in nat.h, service/backend selection in lb.h; neither is decided here.
 *
 * Time is a u32 count of seconds the caller passes in ("now", from capture timestamps or a
 * virtual clock), as Cilium stores bpf_mono_now() seconds in a u32. Lookups never expire
 * anything: only dl_ct_gc() (the agent's GC) and LRU eviction remove entries. */
#ifndef DSRLAB_CT_H
#define DSRLAB_CT_H

#include "dsrlab/common.h"
#include "dsrlab/map.h"
#include "dsrlab/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cilium's default sizes (bpf-ct-global-tcp-max, bpf-ct-global-any-max). */
#define DL_CT_MAP_SIZE_TCP 524288u
#define DL_CT_MAP_SIZE_ANY 262144u

/* CT_REPORT_FLAGS: which TCP flag bits accumulate in {rx,tx}_flags_seen (all of the low 8). */
#define DL_CT_REPORT_FLAGS 0xffu

/* Tuple flags (bpf/lib/common.h). TUPLE_F_SERVICE = 4 is UNCONFIRMED in the spec (§0.1). */
enum {
	TUPLE_F_OUT = 0,
	TUPLE_F_IN = 1,
	TUPLE_F_RELATED = 2,
	TUPLE_F_SERVICE = 4,
};

/* Lookup direction (enum ct_dir). It picks the tuple flag a lookup starts from, which of
 * rx/tx an entry's counters and flags go to, and the service lifetimes for CT_SERVICE. */
enum dl_ct_dir {
	CT_EGRESS = 0,
	CT_INGRESS = 1,
	CT_SERVICE = 2,
};

/* Lookup results (enum ct_status). */
enum dl_ct_status {
	CT_NEW = 0,
	CT_ESTABLISHED = 1,
	CT_REPLY = 2,
	CT_RELATED = 3,
	CT_REOPENED = 4,
};

/* What a lookup may do to an entry it finds (conntrack.h's anonymous enum). TCP packets
 * with FIN or RST turn any action into ACTION_CLOSE inside the lookup. */
enum {
	ACTION_UNSPEC = 0, /* ICMP echo replies and errors: no reopen */
	ACTION_CREATE = 1, /* TCP/UDP/SCTP, ICMP echo requests: a SYN may reopen a closing entry */
	ACTION_CLOSE = 2,
};

/* One tuple type for both families (struct ipv4_ct_tuple / ipv6_ct_tuple): an IPv4 tuple
 * uses the first 4 bytes of each address and keeps the other 12 zero; the v4 and v6 maps are
 * separate, so the two never meet. Addresses are as they sit in the packet.
 *
 * Ports are host order here (Cilium keeps __be16; no decision below depends on the order).
 * As in Cilium, a conntrack tuple stores the L4 ports SWAPPED (§0.1): dport holds the
 * packet's source port and sport the packet's destination port (the 4 port bytes are loaded
 * into &tuple->dport). NAT tuples (nat.h) use the same struct in packet order. The builders
 * below apply the right layout; the struct is compared bytewise, so always start from zero.
 *
 * ICMP (§7.1): echo request dport = echo id, sport = 0; echo reply sport = id, dport = 0;
 * errors (dest-unreach, time-exceeded, param-problem; ICMPv6 packet-too-big) have both
 * ports 0 and TUPLE_F_RELATED. */
struct dl_ct_tuple {
	uint8_t daddr[16];
	uint8_t saddr[16];
	uint16_t dport;
	uint16_t sport;
	uint8_t nexthdr;
	uint8_t flags;   /* TUPLE_F_* */
	uint8_t _pad[2]; /* always 0 */
};
DL_STATIC_ASSERT(sizeof(struct dl_ct_tuple) == 40, "dl_ct_tuple must have no hidden padding");

/* struct ct_entry, with the fields dsrlab's datapath reads or shows. Flags are bytes, not
 * bit-fields, so dumps and tests can read them plainly. */
struct dl_ct_entry {
	uint64_t rx_packets, rx_bytes; /* CT_INGRESS packets that matched (and the creating one) */
	uint64_t tx_packets, tx_bytes; /* CT_EGRESS; CT_SERVICE lookups count nothing */
	uint32_t lifetime;             /* absolute: seconds after which GC may delete it */
	uint8_t rx_closing, tx_closing;
	uint8_t lb_loopback;
	uint8_t seen_non_syn;
	uint8_t node_port;
	uint8_t proxy_redirect;
	uint8_t dsr;                   /* `dsr_internal` in recent main */
	uint8_t from_l7lb;
	uint8_t from_tunnel;
	uint8_t need_dsr_info;         /* recent main (seen in tests, §7.5) */
	uint8_t tx_flags_seen, rx_flags_seen; /* OR of the low 8 TCP flag bits seen (DL_TCP_*) */
	uint16_t rev_nat_index;
	uint16_t nat_port;             /* recent main; kept for dumps, unused here */
	uint32_t backend_id;           /* CT_SERVICE entries */
	uint32_t src_sec_id;
	uint32_t ifindex;              /* v1.15: where replies leave (nodeport entries) */
	uint32_t last_tx_report, last_rx_report;
};

/* struct ct_state: what a lookup reports from an entry it found, and what ct_create takes
 * for a new one. Which fields a lookup fills depends on the direction, as in __ct_lookup:
 * rev_nat_index always; backend_id and syn for CT_SERVICE; the rest for CT_INGRESS/EGRESS. */
struct dl_ct_state {
	uint16_t rev_nat_index;
	bool loopback;
	bool node_port;
	bool dsr;
	bool proxy_redirect;
	bool from_l7lb;
	bool from_tunnel;
	bool need_dsr_info;
	bool syn;                 /* CT_SERVICE lookup: the packet had SYN */
	uint32_t backend_id;
	uint32_t src_sec_id;
	uint32_t ifindex;
	uint8_t addr[4];          /* ct_create4 with loopback: the backend (client) address */
	uint8_t svc_addr[4];      /* ... and the service address, for the extra reply tuple */
};

/* The per-packet inputs of a lookup besides the tuple. */
struct dl_ct_pkt {
	uint16_t tcp_flags;       /* DL_TCP_* of a TCP packet; 0 otherwise */
	bool has_l4_header;       /* false for a later fragment: flags are then not read */
	uint32_t len;             /* ctx_full_len(): bytes added to the rx/tx byte counters */
};

/* Lifetimes in seconds (§7.4), filled by the caller from the version profile. */
struct dl_ct_config {
	uint32_t syn;             /* CT_SYN_TIMEOUT: 60 */
	uint32_t tcp;             /* CT_CONNECTION_LIFETIME_TCP: 21600 older, 8000 recent */
	uint32_t close;           /* CT_CLOSE_TIMEOUT: 10 */
	uint32_t any;             /* CT_CONNECTION_LIFETIME_NONTCP: 60 */
	uint32_t service_tcp;     /* CT_SERVICE_LIFETIME_TCP: as tcp */
	uint32_t service_any;     /* CT_SERVICE_LIFETIME_NONTCP: 60 */
	uint32_t rebalance;       /* CT_SERVICE_CLOSE_REBALANCE: 60 (BPF fallback macro 30) */
	uint32_t report_interval; /* CT_REPORT_INTERVAL: 5 (monitor aggregation interval) */
	bool rebalance_disabled;  /* true: build without HAVE_LARGE_INSN_LIMIT, no rebalance */
};

/* Garbage-collection counters. */
struct dl_ct_gc_stats {
	uint64_t runs;
	uint64_t deleted4, deleted6; /* entries removed because lifetime < now */
	uint32_t alive4, alive6;     /* entries left after the last run */
};

/* The conntrack maps of one node: cilium_ct4_global, cilium_ct_any4_global and the IPv6
 * pair, all LRU hashes keyed by struct dl_ct_tuple. */
struct dl_ct_maps {
	struct dl_map ct4_tcp, ct4_any, ct6_tcp, ct6_any;
	struct dl_ct_config cfg;
	struct dl_ct_gc_stats gc;
	uint64_t create_failed;   /* DROP_CT_CREATE_FAILED returned (an LRU map never fills) */
};

/* Fills *cfg with the agent defaults; tcp and service_tcp get tcp_lifetime (21600 for the
 * older profile, 8000 for the recent one). */
void dl_ct_config_init(struct dl_ct_config *cfg, uint32_t tcp_lifetime);

/* Allocates the four maps (tcp_max entries for the TCP maps, any_max for the others; 0 picks
 * Cilium's defaults) and copies *cfg. Returns 0, DL_ENOMEM or DL_EINVAL. On failure nothing
 * stays allocated. */
int dl_ct_init(struct dl_ct_maps *ct, uint32_t tcp_max, uint32_t any_max, const struct dl_ct_config *cfg);
void dl_ct_free(struct dl_ct_maps *ct);

/* get_ct_map4/6: the TCP map for IPPROTO_TCP, the "any" map for everything else. */
struct dl_map *dl_ct_get_map4(struct dl_ct_maps *ct, uint8_t nexthdr);
struct dl_map *dl_ct_get_map6(struct dl_ct_maps *ct, uint8_t nexthdr);

/* ---- tuples ---- */

/* A conntrack tuple from packet-order values: zeroes *t, copies the addresses, and stores the
 * ports swapped (t->dport = pkt_sport, t->sport = pkt_dport). Flags are 0 (TUPLE_F_OUT). */
void dl_ct_tuple4_init(struct dl_ct_tuple *t, const uint8_t saddr[4], const uint8_t daddr[4],
		       uint16_t pkt_sport, uint16_t pkt_dport, uint8_t nexthdr);
void dl_ct_tuple6_init(struct dl_ct_tuple *t, const uint8_t saddr[16], const uint8_t daddr[16],
		       uint16_t pkt_sport, uint16_t pkt_dport, uint8_t nexthdr);

/* ipv4_ct_tuple_reverse: swaps addresses and ports and flips TUPLE_F_IN (RELATED and SERVICE
 * bits stay). Works for both families. */
void dl_ct_tuple_reverse(struct dl_ct_tuple *t);

/* ipv4_ct_tuple_swap_ports: converts between the CT layout and packet (NAT) order. */
void dl_ct_tuple_swap_ports(struct dl_ct_tuple *t);

/* ct_lookup4's prologue (and ct_extract_ports4): builds the CT tuple of a parsed IPv4 packet
 * for a lookup in direction dir, and the per-packet inputs. The flags start at CT_INGRESS →
 * TUPLE_F_OUT, CT_EGRESS → TUPLE_F_IN, CT_SERVICE → TUPLE_F_SERVICE; ICMP errors add
 * TUPLE_F_RELATED. l4ports, when not NULL, gives the packet's {sport, dport} for a later
 * fragment whose ports came from the fragment map (ipv4_handle_fragmentation); the packet's
 * own ports are used otherwise.
 * Returns ACTION_CREATE or ACTION_UNSPEC (ICMP echo replies and errors) to pass on to
 * dl_ct_lookup4, or DROP_CT_UNKNOWN_PROTO (not TCP/UDP/SCTP/ICMP), DROP_CT_INVALID_HDR (no
 * IPv4, a bad direction, or no L4 header and no l4ports). */
int dl_ct_tuple4_from_pkt(const struct dl_pkt_info *pi, enum dl_ct_dir dir, const uint16_t *l4ports,
			  struct dl_ct_tuple *t, struct dl_ct_pkt *pkt);
/* The IPv6 twin (ct_lookup6's prologue, ICMPv6 types 1-4 are errors, 128/129 echo). */
int dl_ct_tuple6_from_pkt(const struct dl_pkt_info *pi, enum dl_ct_dir dir, const uint16_t *l4ports,
			  struct dl_ct_tuple *t, struct dl_ct_pkt *pkt);

/* ---- lookup ---- */

/* __ct_lookup4: looks the tuple up as built; a hit is CT_REPLY (CT_RELATED when the tuple has
 * TUPLE_F_RELATED). On a miss, unless dir is CT_SERVICE, the tuple is reversed IN PLACE and
 * looked up again: a hit is CT_ESTABLISHED or CT_REOPENED. So after CT_NEW (outside
 * CT_SERVICE) *tuple is the reversed one, which is what dl_ct_create4 stores, as in Cilium.
 *
 * On a hit the entry is updated as __ct_lookup does: for a TCP SYN on a closing CT_SERVICE
 * entry whose last_tx_report + cfg.rebalance <= now, nothing happens and CT_NEW is returned
 * (a new backend gets selected); otherwise, while the entry is alive (not both sides
 * closing), its lifetime is refreshed (SYN timeout until a non-SYN TCP packet was seen, then
 * the TCP lifetime; the service lifetimes for CT_SERVICE; the non-TCP ones otherwise) and the
 * packet's TCP flags are accumulated; rx (CT_INGRESS) or tx (CT_EGRESS) counters grow. Then
 * FIN/RST closes: RST before both SYNs were seen (outside CT_SERVICE) closes both sides, else
 * rx_closing for CT_INGRESS and tx_closing otherwise; both closing → lifetime now+cfg.close.
 * A SYN (ACTION_CREATE) on an entry with a closing flag clears both flags and refreshes:
 * CT_REOPENED from the second lookup, CT_REPLY from the first. Expiry is NOT checked.
 *
 * action is ACTION_CREATE or ACTION_UNSPEC (from dl_ct_tuple4_from_pkt, or the caller's
 * choice as with ct_lazy_lookup4); TCP FIN/RST make it ACTION_CLOSE. pkt may be NULL (no TCP
 * flags, length 0). state may be NULL; otherwise it is filled from a found entry (and left
 * alone on CT_NEW). The tuple's flags are used as they are: see dl_ct_lazy_lookup4.
 * Returns a CT_* status, or DROP_CT_INVALID_HDR for a bad direction. */
int dl_ct_lookup4(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		  enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state);
int dl_ct_lookup6(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		  enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state);

/* ct_lazy_lookup4/6: sets the tuple's flags from dir (discarding TUPLE_F_RELATED) and calls
 * dl_ct_lookup4/6. For tuples the caller built itself (lb, nat). Same returns. */
int dl_ct_lazy_lookup4(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
		       int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state);
int dl_ct_lazy_lookup6(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
		       int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state);

/* The per-packet shortcut for a lookup followed by a create (or a second lookup) on the same
 * tuple: the *_hint calls behave exactly as the plain ones and leave in *hint the map hash of
 * *tuple as they return it (reversed after CT_NEW outside CT_SERVICE), so that the create
 * does not hash the tuple again. A hint is only good for that same tuple, unchanged. */
struct dl_ct_hint {
	uint32_t hash;
	bool valid;
	/* The entry the last map lookup found (NULL on a miss). Only good while the CT maps see
	 * no change but lookups and dl_ct_create*_hint of this same tuple (which store into the
	 * same slot): it is then the most recently used entry, what a new lookup returns. */
	struct dl_ct_entry *entry;
};
int dl_ct_lookup4_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		       enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state, struct dl_ct_hint *hint);
int dl_ct_lookup6_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt, int action,
		       enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state, struct dl_ct_hint *hint);
int dl_ct_lazy_lookup4_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
			    int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
			    struct dl_ct_hint *hint);
int dl_ct_lazy_lookup6_hint(struct dl_ct_maps *ct, struct dl_ct_tuple *tuple, const struct dl_ct_pkt *pkt,
			    int action, enum dl_ct_dir dir, uint32_t now, struct dl_ct_state *state,
			    struct dl_ct_hint *hint);
/* dl_map_lookup of *tuple in its family's map (6 or 4): the hint's entry when it has one
 * (see above), else a lookup with the hint's hash when valid. */
struct dl_ct_entry *dl_ct_entry_hint(struct dl_ct_maps *ct, uint8_t family, const struct dl_ct_tuple *tuple,
				     const struct dl_ct_hint *hint);

/* ct_lookup4/6: dl_ct_tuple{4,6}_from_pkt then dl_ct_lookup{4,6}; *tuple receives the tuple
 * (reversed after CT_NEW, ready for dl_ct_create). Returns a CT_* status or a DROP_* code. */
int dl_ct_lookup4_pkt(struct dl_ct_maps *ct, const struct dl_pkt_info *pi, const uint16_t *l4ports,
		      enum dl_ct_dir dir, uint32_t now, struct dl_ct_tuple *tuple, struct dl_ct_state *state);
int dl_ct_lookup6_pkt(struct dl_ct_maps *ct, const struct dl_pkt_info *pi, const uint16_t *l4ports,
		      enum dl_ct_dir dir, uint32_t now, struct dl_ct_tuple *tuple, struct dl_ct_state *state);

/* ---- creation and updates ---- */

/* ct_create4/6: stores a new entry under *tuple (as left by a CT_NEW lookup). CT_SERVICE
 * entries take backend_id from *state; CT_INGRESS/EGRESS ones take node_port, dsr, ifindex,
 * loopback (v4), from_tunnel, proxy_redirect, from_l7lb, need_dsr_info. Both take
 * rev_nat_index and src_sec_id. A TCP entry starts as if it had seen a SYN (SYN timeout,
 * seen_non_syn 0); the creating packet counts once in rx (CT_INGRESS) or tx (CT_EGRESS).
 * An existing entry under the same tuple is overwritten (BPF_ANY). IPv4 only: with
 * CT_EGRESS, state->loopback and a nonzero state->addr, a second entry {saddr=svc_addr,
 * daddr=addr, TUPLE_F_IN} is stored too (hairpin). related: also store the ICMP entry that
 * relates errors, {same addresses, ICMP(v6), ports 0, tuple flags | TUPLE_F_RELATED}, with
 * seen_non_syn set, in the "any" map.
 * Returns 0, or DROP_CT_CREATE_FAILED (counted in ct->create_failed). */
int dl_ct_create4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		  const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now);
int dl_ct_create6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		  const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now);

/* dl_ct_create4/6 with the hint a *_hint lookup left for this tuple (NULL: none). */
int dl_ct_create4_hint(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		       const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now,
		       const struct dl_ct_hint *hint);
int dl_ct_create6_hint(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, enum dl_ct_dir dir,
		       const struct dl_ct_state *state, bool related, const struct dl_ct_pkt *pkt, uint32_t now,
		       const struct dl_ct_hint *hint);

/* Removes the entry under *tuple (ct_delete4/6). Returns 0 or DL_ENOENT. */
int dl_ct_delete4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple);
int dl_ct_delete6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple);

/* ct_update_svc_entry: a found service entry gets a new backend and rev-NAT index; nothing
 * when the tuple has no entry. */
void dl_ct_update_svc_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint32_t backend_id,
			     uint16_t rev_nat_index);
void dl_ct_update_svc_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint32_t backend_id,
			     uint16_t rev_nat_index);

/* ct_update_rev_nat_index and ct_update_dsr: set one field of a found entry. */
void dl_ct_update_rev_nat_index4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint16_t rev_nat_index);
void dl_ct_update_rev_nat_index6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, uint16_t rev_nat_index);
void dl_ct_update_dsr4(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, bool dsr);
void dl_ct_update_dsr6(struct dl_ct_maps *ct, const struct dl_ct_tuple *tuple, bool dsr);

/* ct_has_nodeport_egress_entry4/6: looks the CT_INGRESS tuple up with TUPLE_F_OUT; true when
 * the entry has node_port set (or dsr, with check_dsr). ct_has_dsr_egress_entry: dsr only. */
bool dl_ct_has_nodeport_egress_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple,
				      bool check_dsr);
bool dl_ct_has_nodeport_egress_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple,
				      bool check_dsr);
bool dl_ct_has_dsr_egress_entry4(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple);
bool dl_ct_has_dsr_egress_entry6(struct dl_ct_maps *ct, const struct dl_ct_tuple *ingress_tuple);

/* ---- garbage collection (agent side) ---- */

/* What the agent's periodic CT GC does: deletes, from all four maps, every entry whose
 * lifetime < now (pkg/maps/ctmap: `entry.Lifetime < filter.Time`), whatever its state.
 * Updates ct->gc (and *stats, when not NULL, with this run's numbers only).
 * Returns how many entries were deleted. NAT entries are not touched: see
 * dl_snat_purge_orphans in nat.h. */
uint32_t dl_ct_gc(struct dl_ct_maps *ct, uint32_t now, struct dl_ct_gc_stats *stats);

/* "CT_NEW", "CT_ESTABLISHED", ...; "?" for other values. */
const char *dl_ct_status_name(int status);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CT_H */
