/* fuzz_codec.c: libFuzzer target for dl_pkt_parse (codec.c) and the checksum code that runs
 * over its result (csum.c). The first input byte picks the link type; the rest is the packet,
 * copied to an exact-size allocation so any read past it is an ASan report. Capture files are
 * fuzzed by fuzz_capture.c, not here. */
#include "dsrlab/codec.h"
#include "dsrlab/csum.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = {
	DL_LINKTYPE_ETHERNET, DL_LINKTYPE_RAW, DL_LINKTYPE_IPV4, DL_LINKTYPE_IPV6,
	DL_LINKTYPE_LINUX_SLL, DL_LINKTYPE_LINUX_SLL2, DL_LINKTYPE_DLT_RAW12, DL_LINKTYPE_DLT_RAW14,
};

/* The promises of a successful parse; a broken one is a crash for the fuzzer to keep. */
static void check(const struct dl_pkt_info *pi, size_t n)
{
	if (pi->err[0] || pi->l2_len > n || pi->l3_off > n ||
	    (dl_pkt_is_ip(pi) && !dl_in_bounds(n, pi->l3_off, pi->l3_hdr_len)) ||
	    (pi->l4_hdr_len && !dl_in_bounds(n, pi->l4_off, pi->l4_hdr_len)) ||
	    !dl_in_bounds(n, pi->payload_off, pi->payload_len) || pi->ext_count > DL_PKT_MAX_EXTHDRS ||
	    pi->vlan_count > DL_PKT_MAX_VLANS)
		abort();
	for (unsigned i = 0; i < pi->ext_count; i++)
		if (!dl_in_bounds(n, pi->ext[i].off, pi->ext[i].len))
			abort();
}

static void run(const uint8_t *src, size_t n, uint32_t linktype, int depth)
{
	uint8_t *b = malloc(n ? n : 1);
	struct dl_pkt_info pi, g;
	dl_sum16 c;
	int rc;

	if (!b)
		abort();
	if (n)
		memcpy(b, src, n);
	rc = dl_pkt_parse(b, n, linktype, &pi);
	/* codec.c's shortcut for plain Ethernet/IPv4 frames must agree with the general path. */
	memset(&g, 0xa5, sizeof(g));
	if (dl_pkt_parse_general(b, n, linktype, &g) != rc || memcmp(&g, &pi, offsetof(struct dl_pkt_info, err)) ||
	    strcmp(g.err, pi.err) || g.err_off != pi.err_off)
		abort();
	if (rc == DL_PARSE_OK) {
		check(&pi, n);
		dl_pkt_verify_csums(b, n, &pi);
		dl_l4_csum(b, n, &pi, &c);
		/* A fixed packet must verify, unless its L4 checksum could not be computed. */
		if ((dl_pkt_fix_csums(b, n, &pi) & DL_CSUM_L4_UNVERIFIABLE) == 0 &&
		    (dl_pkt_verify_csums(b, n, &pi) & DL_CSUM_BAD_MASK) != 0)
			abort();
		/* Quoted and tunnelled packets go through the parser the way the datapath sends them. */
		if (depth == 0 && pi.icmp_inner_off)
			run(b + pi.payload_off, pi.payload_len, DL_LINKTYPE_RAW, 1);
		if (depth == 0 && pi.l4_off && (pi.l4_proto == DL_IPPROTO_IPIP || pi.l4_proto == DL_IPPROTO_IPV6))
			run(b + pi.payload_off, pi.payload_len, DL_LINKTYPE_RAW, 1);
	} else if (pi.err[0] == '\0') {
		abort();
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	run(data + 1, size - 1, linktypes[data[0] % DL_ARRAY_SIZE(linktypes)], 0);
	return 0;
}
