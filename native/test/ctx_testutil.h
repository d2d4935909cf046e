/* ctx_testutil.h: a packet context around a hex frame, and byte/address helpers shared by
 * test_dsr.c, test_icmp.c and test_rewrite.c. Builds on pkt_testutil.h. */
#ifndef DSRLAB_CTX_TESTUTIL_H
#define DSRLAB_CTX_TESTUTIL_H

#include "pkt_testutil.h"
#include "dsrlab/ctx.h"
#include "dsrlab/rewrite.h"

struct pkt {
	struct dl_ctx ctx;
	struct dl_pkt_info pi;
	uint8_t buf[DL_CTX_HEADROOM + 4096];
};

static void pkt_bytes(struct pkt *p, const uint8_t *b, size_t n)
{
	if (dl_ctx_load(&p->ctx, p->buf, sizeof(p->buf), b, (uint32_t)n)) {
		fprintf(stderr, "pkt_bytes: %zu bytes do not fit\n", n);
		abort();
	}
	if (dl_pkt_parse(dl_ctx_data(&p->ctx), p->ctx.len, DL_LINKTYPE_ETHERNET, &p->pi) != DL_PARSE_OK) {
		tu_failed++;
		fprintf(stderr, "pkt_bytes: the test packet does not parse: %s\n", p->pi.err);
		return;
	}
	tu_passed++;
}

static void pkt_hex(struct pkt *p, const char *hex)
{
	struct tu_pkt t;

	tu_init(&t, DL_LINKTYPE_ETHERNET);
	tu_hex(&t, hex);
	pkt_bytes(p, t.b, t.n);
}

static void dump_hex(const char *tag, const uint8_t *b, size_t n)
{
	fprintf(stderr, "    %s (%zu):", tag, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n      ", b[i]);
	fprintf(stderr, "\n");
}

/* The frame must equal the expected bytes exactly. */
static void expect_frame_(const char *what, const struct pkt *p, const char *hex, int line)
{
	struct tu_pkt e;
	bool ok;

	tu_init(&e, DL_LINKTYPE_ETHERNET);
	tu_hex(&e, hex);
	ok = e.n == p->ctx.len && memcmp(e.b, dl_ctx_data(&p->ctx), e.n) == 0;
	if (ok) {
		tu_passed++;
		return;
	}
	tu_failed++;
	fprintf(stderr, "%s:%d: frame mismatch: %s\n", __FILE__, line, what);
	dump_hex("got ", dl_ctx_data(&p->ctx), p->ctx.len);
	dump_hex("want", e.b, e.n);
}
#define expect_frame(what, p, hex) expect_frame_(what, p, hex, __LINE__)

/* The Ethernet frame starting off bytes into the context parses and its checksums hold. */
static void expect_valid_at_(const struct pkt *p, size_t off, int line)
{
	struct dl_pkt_info pi;
	int rc;
	unsigned bad;

	if (off > p->ctx.len) {
		tu_failed++;
		fprintf(stderr, "%s:%d: offset %zu past the frame\n", __FILE__, line, off);
		return;
	}
	rc = dl_pkt_parse(dl_ctx_data(&p->ctx) + off, p->ctx.len - off, DL_LINKTYPE_ETHERNET, &pi);
	if (rc != DL_PARSE_OK) {
		tu_failed++;
		fprintf(stderr, "%s:%d: does not parse: %s\n", __FILE__, line, pi.err);
		return;
	}
	bad = dl_pkt_verify_csums(dl_ctx_data(&p->ctx) + off, p->ctx.len - off, &pi) & DL_CSUM_BAD_MASK;
	if (bad) {
		tu_failed++;
		fprintf(stderr, "%s:%d: bad checksums 0x%x\n", __FILE__, line, bad);
		return;
	}
	tu_passed++;
}
#define expect_valid(p) expect_valid_at_(p, 0, __LINE__)
#define expect_valid_at(p, off) expect_valid_at_(p, off, __LINE__)

static void ip4(uint8_t a[4], unsigned x, unsigned y, unsigned z, unsigned w)
{
	a[0] = (uint8_t)x; a[1] = (uint8_t)y; a[2] = (uint8_t)z; a[3] = (uint8_t)w;
}

/* 16-byte address from hex. */
static void ip6(uint8_t a[16], const char *hex)
{
	struct tu_pkt t;

	tu_init(&t, 0);
	tu_hex(&t, hex);
	memcpy(a, t.b, 16);
}

#endif
