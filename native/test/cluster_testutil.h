/* cluster_testutil.h: pieces for building emulated clusters, shared by the C tests and the
 * fuzz targets (no test framework in here, so the fuzzers include it too). */
#ifndef DSRLAB_CLUSTER_TESTUTIL_H
#define DSRLAB_CLUSTER_TESTUTIL_H

#include <stdio.h>
#include <string.h>
#include "dsrlab/cluster.h"

/* A host's configuration: MAC 02:00:00:00:00:<macid>, the addresses given (v4 4 bytes, v6 16,
 * either NULL for none), the node it sits on (pods) and its link MTU. */
static inline struct dl_host_config tu_host_config(enum dl_host_kind kind, const char *name, uint8_t macid,
						   const uint8_t *v4, const uint8_t *v6, uint32_t node, uint16_t mtu)
{
	struct dl_host_config h;

	memset(&h, 0, sizeof(h));
	h.kind = kind;
	snprintf(h.name, sizeof(h.name), "%s", name);
	h.mac[0] = 0x02;
	h.mac[5] = macid;
	if (v4) {
		h.has_v4 = true;
		memcpy(h.v4, v4, 4);
	}
	if (v6) {
		h.has_v6 = true;
		memcpy(h.v6, v6, 16);
	}
	h.mtu = mtu;
	h.node = node;
	return h;
}

#endif /* DSRLAB_CLUSTER_TESTUTIL_H */
