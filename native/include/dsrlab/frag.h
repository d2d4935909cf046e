/* frag.h: Cilium's IPv4 fragment tracking (bpf/lib/ipv4.h, ENABLE_IPV4_FRAGMENTS): the first
 * fragment of a datagram records its L4 ports under {daddr, saddr, IP id, protocol}, so that
 * later fragments, which carry no L4 header, can be load-balanced and NATed like the first.
 * Spec §13.2. The rewrite of a later fragment (L3 only) is rewrite.h's. IPv6 fragments are
 * tracked the same way (bpf/lib/ipv6.h ipv6_handle_fragmentation, ENABLE_IPV6_FRAGMENTS, Cilium
 * 1.18+: PR #38110) in cilium_ipv6_frag_datagrams, keyed {id, proto, saddr, daddr}.
 *
 * The map is cilium_ipv4_frag_datagrams, BPF_MAP_TYPE_LRU_HASH with
 * bpf-fragments-map-max = 8192 entries. The spec marked the type UNCONFIRMED; bpf/lib/ipv4.h
 * declares it LRU_HASH, so a full map evicts the least recently used datagram instead of
 * refusing the new one. Nothing ages entries: an evicted or never-seen first fragment makes
 * the later ones DROP_FRAG_NOT_FOUND. */
#ifndef DSRLAB_FRAG_H
#define DSRLAB_FRAG_H

#include "dsrlab/common.h"
#include "dsrlab/codec.h"
#include "dsrlab/ctx.h"
#include "dsrlab/map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_IPV4_FRAG_MAP_DEFAULT_ENTRIES 8192u /* bpf-fragments-map-max */

/* struct ipv4_frag_id, packed as in bpf/lib/ipv4.h: addresses and id as on the wire. */
struct dl_ipv4_frag_id {
	be32 daddr;
	be32 saddr;
	be16 id;       /* the IP identification */
	uint8_t proto;
	uint8_t pad;   /* always 0 */
};
DL_STATIC_ASSERT(sizeof(struct dl_ipv4_frag_id) == 12, "ipv4_frag_id is 12 bytes");

/* struct ipv4_frag_l4ports: the first fragment's ports, as on the wire. */
struct dl_ipv4_frag_l4ports {
	be16 sport;
	be16 dport;
};
DL_STATIC_ASSERT(sizeof(struct dl_ipv4_frag_l4ports) == 4, "ipv4_frag_l4ports is 4 bytes");

/* Sets up the (empty) LRU map with max_entries entries (0 means the default, 8192). This
 * allocates, once, at setup; lookups and updates never do.
 * Returns 0, or a DL_E* error of dl_map_init. */
int dl_ipv4_frag_map_init(struct dl_map *m, uint32_t max_entries);

/* The key of the datagram a packet belongs to. */
void dl_ipv4_frag_id_of(struct dl_ipv4_frag_id *id, const struct dl_pkt_info *pi);

/* ipv4_handle_fragmentation: the L4 ports of any IPv4 packet, host order.
 *  - not a fragment: read from its L4 header;
 *  - first fragment (offset 0, MF): read from its L4 header and recorded (BPF_ANY; an update
 *    that fails is ignored, the packet goes on);
 *  - later fragment: looked up; *has_l4_header is false.
 * ports has sport and dport; has_l4_header may be NULL.
 * Returns 0, DROP_FRAG_NOT_FOUND (a later fragment whose first fragment was not seen or was
 * evicted), DROP_CT_INVALID_HDR (the 4 port bytes are not in the packet), or DROP_INVALID
 * (not IPv4). */
int dl_ipv4_handle_fragmentation(struct dl_map *m, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
				 uint16_t *sport, uint16_t *dport, bool *has_l4_header);

/* struct ipv6_frag_id, packed as in bpf/lib/ipv6.h (it mirrors the start of ipv6hdr so the
 * BPF code can build it in place): the 32-bit identification of the Fragment header, the
 * upper-layer protocol after it, then the addresses. */
struct dl_ipv6_frag_id {
	be32 id;
	uint8_t proto;
	uint8_t pad[3]; /* always 0 */
	uint8_t saddr[16];
	uint8_t daddr[16];
};
DL_STATIC_ASSERT(sizeof(struct dl_ipv6_frag_id) == 40, "ipv6_frag_id is 40 bytes");

/* As dl_ipv4_frag_map_init, for cilium_ipv6_frag_datagrams (same bpf-fragments-map-max). */
int dl_ipv6_frag_map_init(struct dl_map *m, uint32_t max_entries);

void dl_ipv6_frag_id_of(struct dl_ipv6_frag_id *id, const struct dl_pkt_info *pi);

/* ipv6_handle_fragmentation: as dl_ipv4_handle_fragmentation, for an IPv6 packet whose
 * extension chain holds a Fragment header (pi->frag != DL_FRAG_NONE). The first fragment's
 * ports are recorded (a failed update is ignored); a later fragment's are looked up
 * (DROP_FRAG_NOT_FOUND on a miss). Returns 0 or a DROP_* code (DROP_INVALID: not IPv6). */
int dl_ipv6_handle_fragmentation(struct dl_map *m, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
				 uint16_t *sport, uint16_t *dport, bool *has_l4_header);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_FRAG_H */
