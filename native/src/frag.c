/* frag.c: the IPv4 and IPv6 fragment maps of frag.h (bpf/lib/ipv4.h ipv4_handle_fragmentation,
 * bpf/lib/ipv6.h ipv6_handle_fragmentation). The map machinery is map.c's. */
#include "dsrlab/frag.h"
#include "dsrlab/drop.h"

int dl_ipv4_frag_map_init(struct dl_map *m, uint32_t max_entries)
{
	return dl_map_init(m, DL_MAP_LRU_HASH, sizeof(struct dl_ipv4_frag_id),
			   sizeof(struct dl_ipv4_frag_l4ports),
			   max_entries ? max_entries : DL_IPV4_FRAG_MAP_DEFAULT_ENTRIES);
}

void dl_ipv4_frag_id_of(struct dl_ipv4_frag_id *id, const struct dl_pkt_info *pi)
{
	memset(id, 0, sizeof(*id));
	memcpy(&id->daddr, pi->dst, 4);
	memcpy(&id->saddr, pi->src, 4);
	dl_wr16((uint8_t *)&id->id, pi->ip_id);
	id->proto = pi->l4_proto;
}

/* The ports of a packet that carries its L4 header (4 bytes at l4_off: both ports, network
 * order), as both handlers read them. */
static int load_ports(const struct dl_ctx *ctx, size_t l4_off, struct dl_ipv4_frag_l4ports *ports,
		      uint16_t *sport, uint16_t *dport)
{
	if (!dl_in_bounds(ctx->len, l4_off, sizeof(*ports)))
		return DROP_CT_INVALID_HDR;
	memcpy(ports, dl_ctx_data(ctx) + l4_off, sizeof(*ports));
	*sport = dl_rd16((const uint8_t *)&ports->sport);
	*dport = dl_rd16((const uint8_t *)&ports->dport);
	return 0;
}

/* A later fragment's ports: its first fragment's, recorded under key. */
static int lookup_ports(struct dl_map *m, const void *key, uint16_t *sport, uint16_t *dport)
{
	const struct dl_ipv4_frag_l4ports *found = dl_map_lookup(m, key);

	if (!found)
		return DROP_FRAG_NOT_FOUND;
	*sport = dl_rd16((const uint8_t *)&found->sport);
	*dport = dl_rd16((const uint8_t *)&found->dport);
	return 0;
}

int dl_ipv4_handle_fragmentation(struct dl_map *m, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
				 uint16_t *sport, uint16_t *dport, bool *has_l4_header)
{
	struct dl_ipv4_frag_id id;
	struct dl_ipv4_frag_l4ports ports;
	size_t l4_off;

	if (pi->l3 != DL_L3_IPV4 || !dl_in_bounds(ctx->len, pi->l3_off, 20))
		return DROP_INVALID;
	if (has_l4_header)
		*has_l4_header = pi->frag != DL_FRAG_LATER;
	dl_ipv4_frag_id_of(&id, pi);

	if (pi->frag == DL_FRAG_LATER)
		return lookup_ports(m, &id, sport, dport);

	/* load sport + dport from the L4 header, which directly follows the IP header */
	l4_off = (size_t)pi->l3_off + pi->l3_hdr_len;
	if (pi->l3_hdr_len < 20 || load_ports(ctx, l4_off, &ports, sport, dport))
		return DROP_CT_INVALID_HDR;

	/* the first logical fragment (not necessarily the first to arrive) records the ports; a
	 * failed update does not stop this packet */
	if (pi->frag == DL_FRAG_FIRST)
		(void)dl_map_update(m, &id, &ports, DL_BPF_ANY);
	return 0;
}

int dl_ipv6_frag_map_init(struct dl_map *m, uint32_t max_entries)
{
	return dl_map_init(m, DL_MAP_LRU_HASH, sizeof(struct dl_ipv6_frag_id),
			   sizeof(struct dl_ipv4_frag_l4ports), /* ipv6_frag_l4ports: the same 4 bytes */
			   max_entries ? max_entries : DL_IPV4_FRAG_MAP_DEFAULT_ENTRIES);
}

void dl_ipv6_frag_id_of(struct dl_ipv6_frag_id *id, const struct dl_pkt_info *pi)
{
	memset(id, 0, sizeof(*id));
	dl_wr32((uint8_t *)&id->id, pi->frag_id);
	id->proto = pi->l4_proto;
	memcpy(id->saddr, pi->src, 16);
	memcpy(id->daddr, pi->dst, 16);
}

int dl_ipv6_handle_fragmentation(struct dl_map *m, const struct dl_ctx *ctx, const struct dl_pkt_info *pi,
				 uint16_t *sport, uint16_t *dport, bool *has_l4_header)
{
	struct dl_ipv6_frag_id id;
	struct dl_ipv4_frag_l4ports ports;

	if (pi->l3 != DL_L3_IPV6)
		return DROP_INVALID;
	if (has_l4_header)
		*has_l4_header = pi->frag != DL_FRAG_LATER;
	dl_ipv6_frag_id_of(&id, pi);

	if (pi->frag == DL_FRAG_LATER)
		return lookup_ports(m, &id, sport, dport);
	/* the L4 header follows the extension chain (the codec walked it: l4_off) */
	if (!pi->l4_off || load_ports(ctx, pi->l4_off, &ports, sport, dport))
		return DROP_CT_INVALID_HDR;
	if (pi->frag == DL_FRAG_FIRST)
		(void)dl_map_update(m, &id, &ports, DL_BPF_ANY);
	return 0;
}
