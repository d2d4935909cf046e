/* cluster_stats.c: what a node's Cilium maps hold after a run: entries, capacity and LRU
 * evictions per map, and the SNAT exhaustion count, so a replay can report map pressure
 * (`dsrlab replay` summary.json "maps"). Read-only; the maps themselves are map.c's and the
 * node programs that fill them are node.c's. */
#include "cluster_priv.h"

static void map_stats(struct dl_map_stats *s, const struct dl_map *m)
{
	s->max_entries = m->max_entries;
	s->entries = m->count;
	s->evictions = m->evictions;
	s->full = m->full;
}

int dl_cluster_map_stats(struct dl_cluster *c, uint32_t host, struct dl_node_map_stats *out)
{
	struct dl_node_state *ns = dl_cluster_node(c, host);

	if (!ns || !out)
		return -1;
	memset(out, 0, sizeof(*out));
	map_stats(&out->maps[DL_NODE_MAP_CT4_TCP], &ns->ct.ct4_tcp);
	map_stats(&out->maps[DL_NODE_MAP_CT4_ANY], &ns->ct.ct4_any);
	map_stats(&out->maps[DL_NODE_MAP_CT6_TCP], &ns->ct.ct6_tcp);
	map_stats(&out->maps[DL_NODE_MAP_CT6_ANY], &ns->ct.ct6_any);
	map_stats(&out->maps[DL_NODE_MAP_SNAT4], &ns->snat.map4);
	map_stats(&out->maps[DL_NODE_MAP_SNAT6], &ns->snat.map6);
	map_stats(&out->maps[DL_NODE_MAP_FRAG4], &ns->frag);
	map_stats(&out->maps[DL_NODE_MAP_FRAG6], &ns->frag6);
	out->snat_no_mapping = ns->snat.stats.no_mapping;
	out->ct_create_failed = ns->ct.create_failed;
	return 0;
}
