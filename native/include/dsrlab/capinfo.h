/* capinfo.h: statistics over the packets of a capture (`dsrlab pcap info`): counts, bytes,
 * time span, link types, protocol mix, fragments and malformed packets with their reasons.
 * Reading the capture is capture.h's job and parsing each packet codec.h's; this only tallies. */
#ifndef DSRLAB_CAPINFO_H
#define DSRLAB_CAPINFO_H

#include "dsrlab/common.h"
#include "dsrlab/capture.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DL_CAPINFO_EXAMPLES 5
#define DL_CAPINFO_REASON_LEN 80
#define DL_CAPINFO_LINKTYPES 8

struct dl_capinfo_example {
	uint64_t packet;                    /* 1-based packet number in the capture */
	char reason[DL_CAPINFO_REASON_LEN]; /* the codec's reason */
};

struct dl_capinfo {
	uint64_t packets, bytes, wire_bytes;
	int64_t first_sec, last_sec;
	uint32_t first_nsec, last_nsec;
	uint64_t ipv4, ipv6, arp, other_l3;
	uint64_t tcp, udp, icmp, icmpv6, other_l4;
	uint64_t frag_first, frag_later;
	uint64_t vlan, truncated, malformed;
	uint32_t n_linktypes;               /* distinct link types seen, in order of first use */
	uint16_t linktypes[DL_CAPINFO_LINKTYPES];
	uint32_t n_examples;
	struct dl_capinfo_example examples[DL_CAPINFO_EXAMPLES];
};

/* Zero the statistics. */
void dl_capinfo_init(struct dl_capinfo *s);

/* Parse and count n records whose bytes lie in buf (buf_off/caplen of each record, which the
 * caller has checked against buf's length). Never fails: a packet the codec refuses counts as
 * malformed, and the first DL_CAPINFO_EXAMPLES reasons are kept. */
void dl_capinfo_add(struct dl_capinfo *s, const uint8_t *buf, const struct dl_cap_record *recs, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CAPINFO_H */
