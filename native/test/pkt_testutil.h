/* pkt_testutil.h: what test_codec.c and test_csum.c share: CHECK macros with a pass/fail
 * count, a fixed-seed xorshift PRNG, a byte builder for hand-made packets, and an optional
 * pcap dump of them (set DSRLAB_TEST_DUMP=dir to cross-check with tshark). The code under
 * test is elsewhere: codec.c and csum.c. */
#ifndef DSRLAB_PKT_TESTUTIL_H
#define DSRLAB_PKT_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsrlab/codec.h"
#include "dsrlab/csum.h"

static int tu_passed, tu_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond) {                                                              \
			tu_passed++;                                                     \
		} else {                                                                 \
			tu_failed++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

#define CHECK_EQ(a, b)                                                                   \
	do {                                                                             \
		long long va_ = (long long)(a), vb_ = (long long)(b);                    \
		if (va_ == vb_) {                                                        \
			tu_passed++;                                                     \
		} else {                                                                 \
			tu_failed++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld, 0x%llx != 0x%llx)\n", \
				__FILE__, __LINE__, #a, #b, va_, vb_, va_, vb_);         \
		}                                                                        \
	} while (0)

#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *sa_ = (a), *sb_ = (b);                                       \
		if (strcmp(sa_, sb_) == 0) {                                             \
			tu_passed++;                                                     \
		} else {                                                                 \
			tu_failed++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n    got  \"%s\"\n    want \"%s\"\n", \
				__FILE__, __LINE__, #a, sa_, sb_);                       \
		}                                                                        \
	} while (0)

static inline int tu_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, tu_passed, tu_failed);
	return tu_failed ? 1 : 0;
}

/* xorshift64 (Marsaglia 2003) with a fixed seed, so every run sees the same cases. */
static uint64_t tu_rng = 0x9e3779b97f4a7c15ULL;

static inline uint64_t tu_rand(void)
{
	tu_rng ^= tu_rng << 13;
	tu_rng ^= tu_rng >> 7;
	tu_rng ^= tu_rng << 17;
	return tu_rng;
}

static inline uint32_t tu_below(uint32_t n) { return (uint32_t)(tu_rand() % n); }

/* ---- packet builder ---- */

#define TU_PKT_MAX 2048

struct tu_pkt {
	uint8_t b[TU_PKT_MAX];
	size_t n;
	uint32_t linktype;
};

static inline void tu_init(struct tu_pkt *p, uint32_t linktype)
{
	memset(p, 0, sizeof(*p));
	p->linktype = linktype;
}

static inline size_t tu_put(struct tu_pkt *p, const void *src, size_t n)
{
	size_t at = p->n;

	if (p->n + n > TU_PKT_MAX) {
		fprintf(stderr, "tu_put: packet too big\n");
		abort();
	}
	if (src)
		memcpy(p->b + p->n, src, n);
	else
		memset(p->b + p->n, 0, n);
	p->n += n;
	return at;
}

static inline size_t tu_u8(struct tu_pkt *p, uint8_t v) { return tu_put(p, &v, 1); }

static inline size_t tu_u16(struct tu_pkt *p, uint16_t v)
{
	uint8_t b[2];

	dl_wr16(b, v);
	return tu_put(p, b, 2);
}

static inline size_t tu_u32(struct tu_pkt *p, uint32_t v)
{
	uint8_t b[4];

	dl_wr32(b, v);
	return tu_put(p, b, 4);
}

/* Hex string to bytes; spaces are skipped. */
static inline size_t tu_hex(struct tu_pkt *p, const char *hex)
{
	size_t at = p->n;

	while (*hex) {
		unsigned v;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1) {
			fprintf(stderr, "tu_hex: bad hex at \"%s\"\n", hex);
			abort();
		}
		tu_u8(p, (uint8_t)v);
		hex += 2;
	}
	return at;
}

static const uint8_t tu_mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t tu_mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static inline size_t tu_eth(struct tu_pkt *p, uint16_t type)
{
	size_t at = tu_put(p, tu_mac_b, 6);

	tu_put(p, tu_mac_a, 6);
	tu_u16(p, type);
	return at;
}

/* IPv4 header without options; total length and checksum are filled by tu_ipv4_end. */
static inline size_t tu_ipv4(struct tu_pkt *p, uint8_t proto, const char *src, const char *dst)
{
	size_t at = tu_hex(p, "45 00 0000 1234 4000 40");

	tu_u8(p, proto);
	tu_u16(p, 0);
	tu_hex(p, src);
	tu_hex(p, dst);
	return at;
}

static inline void tu_ipv4_end(struct tu_pkt *p, size_t ip)
{
	dl_wr16(p->b + ip + 2, (uint16_t)(p->n - ip));
}

static inline size_t tu_ipv6(struct tu_pkt *p, uint8_t nh, const char *src, const char *dst)
{
	size_t at = tu_hex(p, "6000 0000 0000");

	tu_u8(p, nh);
	tu_u8(p, 64);
	tu_hex(p, src);
	tu_hex(p, dst);
	return at;
}

static inline void tu_ipv6_end(struct tu_pkt *p, size_t ip)
{
	dl_wr16(p->b + ip + 4, (uint16_t)(p->n - ip - 40));
}

/* A UDP header; its length is set by tu_udp_end. The checksum starts nonzero so that tu_fix
 * computes it (an IPv4 UDP checksum of 0 would mean "none" and be left alone). */
static inline size_t tu_udp(struct tu_pkt *p, uint16_t sport, uint16_t dport)
{
	size_t at = tu_u16(p, sport);

	tu_u16(p, dport);
	tu_u32(p, 0xffff);
	return at;
}

static inline void tu_udp_end(struct tu_pkt *p, size_t udp)
{
	dl_wr16(p->b + udp + 4, (uint16_t)(p->n - udp));
}

/* Parses the finished packet and writes its checksums, so the tests see valid packets. */
static inline void tu_fix(struct tu_pkt *p)
{
	struct dl_pkt_info pi;

	if (dl_pkt_parse(p->b, p->n, p->linktype, &pi) == DL_PARSE_OK)
		dl_pkt_fix_csums(p->b, p->n, &pi);
}

/* Writes the packet as dir/name.pcap when DSRLAB_TEST_DUMP=dir is set. */
static inline void tu_dump(const char *name, const struct tu_pkt *p)
{
	const char *dir = getenv("DSRLAB_TEST_DUMP");
	uint8_t gh[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 }, rh[16] = { 0 };
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	gh[16] = 0xff; gh[17] = 0xff; /* snaplen 65535, little-endian */
	gh[20] = (uint8_t)p->linktype; gh[21] = (uint8_t)(p->linktype >> 8);
	rh[8] = rh[12] = (uint8_t)p->n;
	rh[9] = rh[13] = (uint8_t)(p->n >> 8);
	fwrite(gh, 1, sizeof(gh), f);
	fwrite(rh, 1, sizeof(rh), f);
	fwrite(p->b, 1, p->n, f);
	fclose(f);
}

#endif /* DSRLAB_PKT_TESTUTIL_H */
