/* capture.c: the streaming classic pcap / pcapng reader and the pcap header writers declared in
 * capture.h. It parses container framing only: the caller does the file I/O, and the packet
 * bytes are decoded by codec.c.
 *
 * Formats: classic pcap as libpcap's sf-pcap.c reads it (and draft-ietf-opsawg-pcap), pcapng
 * as draft-ietf-opsawg-pcapng and libpcap's sf-pcapng.c read it. Where we are stricter than
 * libpcap (caplen above snaplen, a truncated last record) the error says so precisely. */
#include "dsrlab/capture.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum { ST_HEADER = 0, ST_BODY, ST_END, ST_ERR };
enum { LEN_NOT_SWAPPED = 0, LEN_SWAPPED, LEN_MAYBE_SWAPPED };

/* Classic pcap: a 24-byte file header, then records of a 16-byte header and caplen bytes.
 *   file header: magic u32 | version major u16 | minor u16 | thiszone i32 | sigfigs u32 |
 *                snaplen u32 | linktype u32 (bits 0-15 LINKTYPE, 26 FCS present, 28-31 FCS
 *                length in 16-bit words)
 *   record:      ts_sec u32 | ts_frac u32 (us or ns) | caplen u32 | origlen u32 */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_HDR_LEN 24u
#define PCAP_REC_LEN 16u
#define PCAP_OFF_VERSION 4u
#define PCAP_OFF_LINKTYPE 20u
#define PCAP_LT_MASK 0x03ffffffu /* libpcap LT_LINKTYPE(): bits above are FCS info */
#define PCAP_LT_FCS_PRESENT 0x04000000u

/* pcapng: blocks of type u32 | total length u32 | body | total length u32, in the byte order
 * of the section header block (SHB) that starts their section. Fixed body layouts:
 *   SHB 0x0a0d0d0a: byte-order magic u32 | major u16 | minor u16 | section length u64 | options
 *   IDB 1: linktype u16 | reserved u16 | snaplen u32 | options
 *   EPB 6: interface u32 | ts high u32 | ts low u32 | caplen u32 | origlen u32 | data | options
 *   SPB 3: origlen u32 | data
 *   OPB 2: interface u16 | drops u16 | ts high u32 | ts low u32 | caplen u32 | origlen u32 |
 *          data | options
 * Options: code u16 | length u16 | value padded to 4; code 0 (opt_endofopt) ends them. */
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_BOM 0x1a2b3c4du
#define PCAPNG_BOM_SWAPPED 0x4d3c2b1au
#define BT_IDB 1u
#define BT_OPB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define SHB_MIN_LEN 28u
#define IDB_MIN_LEN 20u
#define EPB_MIN_LEN 32u /* also the obsolete packet block */
#define SPB_MIN_LEN 16u
#define BLOCK_MIN_LEN 12u
#define PKT_DATA_OFF 28u /* EPB and OPB: packet data follows 7 words */
#define OPT_ENDOFOPT 0u
#define OPT_IF_TSRESOL 9u
#define OPT_IF_TSOFFSET 14u

#define NSEC_PER_SEC 1000000000u
#define USEC_PER_SEC 1000000u

static const char linktypes_expected[] =
	"expected Ethernet 1, raw IP 101, IPv4 228, IPv6 229, Linux SLL 113, SLL2 276";

static const uint64_t pow10_u64[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

static inline uint16_t rd16(const uint8_t *p, bool be) { return be ? dl_rd16(p) : dl_rd16le(p); }
static inline uint32_t rd32(const uint8_t *p, bool be) { return be ? dl_rd32(p) : dl_rd32le(p); }
static inline uint64_t rd64(const uint8_t *p, bool be)
{
	if (be)
		return ((uint64_t)dl_rd32(p) << 32) | dl_rd32(p + 4);
	return ((uint64_t)dl_rd32le(p + 4) << 32) | dl_rd32le(p);
}

static inline void wr32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void wr16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* Two's-complement reinterpretation without implementation-defined conversion. */
static inline int64_t u64_to_i64(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct dl_cap_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->err_off = off;
	r->state = ST_ERR;
	return DL_CAP_ERR;
}

static int need_more(struct dl_cap_reader *r, size_t need)
{
	r->need = need;
	return DL_CAP_NEED_MORE;
}

/* The DL_LINKTYPE_* for a link type value read from a file, or 0 when we cannot replay it. */
static uint16_t linktype_supported(uint32_t lt)
{
	switch (lt) {
	case DL_LINKTYPE_ETHERNET:
	case DL_LINKTYPE_RAW:
	case DL_LINKTYPE_LINUX_SLL:
	case DL_LINKTYPE_IPV4:
	case DL_LINKTYPE_IPV6:
	case DL_LINKTYPE_LINUX_SLL2:
		return (uint16_t)lt;
	case 12: /* DLT_RAW on most systems, written by old libpcaps */
	case 14: /* DLT_RAW on OpenBSD */
		return DL_LINKTYPE_RAW;
	default:
		return 0;
	}
}

static int fail_linktype(struct dl_cap_reader *r, uint64_t off, uint32_t lt)
{
	return fail(r, off, "unsupported link type %" PRIu32 " at offset %" PRIu64 " (%s)", lt, off,
		    linktypes_expected);
}

void dl_cap_init(struct dl_cap_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->state = ST_HEADER;
}

void dl_cap_free(struct dl_cap_reader *r)
{
	free(r->ifaces);
	r->ifaces = NULL;
	r->n_ifaces = 0;
	r->cap_ifaces = 0;
}

int dl_cap_ts_convert(const struct dl_cap_iface *ifc, uint64_t ts, int64_t *sec, uint32_t *nsec)
{
	unsigned e = ifc->tsres_exp;
	uint64_t s, rem, ns;

	if (ifc->tsres_base == 2) {
		if (e > 63)
			return -1;
		s = ts >> e;
		rem = ts & ((UINT64_C(1) << e) - 1);
		if (e <= 34) {
			/* rem < 2^34, so rem * 10^9 < 2^64 */
			ns = (rem * NSEC_PER_SEC) >> e;
		} else {
			/* floor(rem * 10^9 / 2^32) from two 32-bit halves, then the rest of the shift. */
			uint64_t q = (rem >> 32) * NSEC_PER_SEC + (((rem & 0xffffffffu) * NSEC_PER_SEC) >> 32);

			ns = q >> (e - 32);
		}
	} else if (ifc->tsres_base == 10) {
		if (e == 6) { /* the default; constant divisors are multiplications */
			s = ts / USEC_PER_SEC;
			ns = ts % USEC_PER_SEC * 1000u;
		} else if (e == 9) {
			s = ts / NSEC_PER_SEC;
			ns = ts % NSEC_PER_SEC;
		} else if (e < DL_ARRAY_SIZE(pow10_u64)) {
			s = ts / pow10_u64[e];
			rem = ts % pow10_u64[e];
			ns = e <= 9 ? rem * pow10_u64[9 - e] : rem / pow10_u64[e - 9];
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	if (s > (uint64_t)INT64_MAX || (ifc->tsoffset > 0 && (int64_t)s > INT64_MAX - ifc->tsoffset))
		return -1;
	*sec = (int64_t)s + ifc->tsoffset; /* s >= 0, so a negative offset cannot underflow */
	*nsec = (uint32_t)ns;
	return 0;
}

/* ---- classic pcap ---- */

/* Parse the 24-byte pcap file header at buf (its magic already checked). */
static int pcap_header(struct dl_cap_reader *r, const uint8_t *buf, size_t len, int eof, bool be,
		       bool nsec, size_t *pos)
{
	uint16_t major, minor, lt;
	uint32_t ltf;

	r->format = DL_CAP_FMT_PCAP;
	r->big_endian = be;
	r->nsec = nsec;
	if (len < PCAP_HDR_LEN) {
		if (!eof)
			return need_more(r, PCAP_HDR_LEN);
		return fail(r, 0, "truncated pcap file header at offset 0: expected %u bytes but the file has %zu",
			    PCAP_HDR_LEN, len);
	}
	major = rd16(buf + PCAP_OFF_VERSION, be);
	minor = rd16(buf + PCAP_OFF_VERSION + 2, be);
	/* libpcap: 2.0 to 2.4, and 543.0 from DG/UX tcpdump. */
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0)))
		return fail(r, PCAP_OFF_VERSION,
			    "unsupported pcap version %u.%u at offset %u (expected 2.0 to 2.4)", major, minor,
			    PCAP_OFF_VERSION);
	ltf = rd32(buf + PCAP_OFF_LINKTYPE, be);
	lt = (ltf & PCAP_LT_MASK) <= 0xffffu ? linktype_supported(ltf & PCAP_LT_MASK) : 0;
	if (!lt)
		return fail_linktype(r, PCAP_OFF_LINKTYPE, ltf & PCAP_LT_MASK);

	r->version_major = major;
	r->version_minor = minor;
	r->snaplen = rd32(buf + 16, be);
	r->linktype = lt;
	r->fcs_len = (ltf & PCAP_LT_FCS_PRESENT) ? (uint8_t)((ltf >> 28) * 2) : 0;
	/* Before 2.3 caplen and len were the other way round; some 2.3 writers kept the old order
	 * (libpcap swaps a 2.3 record whose caplen exceeds its len). */
	if (major == 543 || minor < 3)
		r->lengths_swapped = LEN_SWAPPED;
	else if (minor == 3)
		r->lengths_swapped = LEN_MAYBE_SWAPPED;
	else
		r->lengths_swapped = LEN_NOT_SWAPPED;
	r->state = ST_BODY;
	*pos = PCAP_HDR_LEN;
	return DL_CAP_OK;
}

/* The record loop, specialised on byte order by its two callers. */
static inline int pcap_records(struct dl_cap_reader *r, const uint8_t *buf, size_t len, uint64_t base,
			       int eof, struct dl_cap_record *recs, size_t max, size_t *n_io, size_t *pos_io,
			       const bool be)
{
	const uint32_t snaplen = r->snaplen;
	const uint32_t frac_per_sec = r->nsec ? NSEC_PER_SEC : USEC_PER_SEC;
	const uint32_t ns_per_frac = r->nsec ? 1u : 1000u;
	const uint8_t swapped = r->lengths_swapped;
	const uint16_t linktype = r->linktype;
	const uint8_t fcs_len = r->fcs_len;
	size_t pos = *pos_io, n = *n_io;
	int rc;

	for (;;) {
		size_t avail = len - pos;
		const uint8_t *p;
		uint32_t sec, frac, caplen, origlen;
		uint64_t roff = base + pos;
		struct dl_cap_record *rec;

		if (avail < PCAP_REC_LEN) {
			if (!eof)
				rc = need_more(r, PCAP_REC_LEN);
			else if (avail == 0)
				rc = DL_CAP_END;
			else
				rc = fail(r, roff,
					  "truncated record %" PRIu64 " at offset %" PRIu64
					  ": record header needs %u bytes but only %zu remain",
					  r->records + 1, roff, PCAP_REC_LEN, avail);
			break;
		}
		if (n == max) {
			rc = DL_CAP_OK;
			break;
		}
		p = buf + pos;
		sec = rd32(p, be);
		frac = rd32(p + 4, be);
		caplen = rd32(p + 8, be);
		origlen = rd32(p + 12, be);
		if (swapped != LEN_NOT_SWAPPED && (swapped == LEN_SWAPPED || caplen > origlen)) {
			uint32_t t = caplen;

			caplen = origlen;
			origlen = t;
		}
		if (snaplen && caplen > snaplen) {
			rc = fail(r, roff,
				  "record %" PRIu64 " at offset %" PRIu64 ": caplen %" PRIu32 " > snaplen %" PRIu32,
				  r->records + 1, roff, caplen, snaplen);
			break;
		}
		if (caplen > DL_CAP_MAX_CAPLEN) {
			rc = fail(r, roff,
				  "record %" PRIu64 " at offset %" PRIu64 ": caplen %" PRIu32
				  " exceeds the %u-byte limit",
				  r->records + 1, roff, caplen, DL_CAP_MAX_CAPLEN);
			break;
		}
		if (avail - PCAP_REC_LEN < caplen) {
			if (!eof)
				rc = need_more(r, PCAP_REC_LEN + (size_t)caplen);
			else
				rc = fail(r, roff,
					  "truncated record %" PRIu64 " at offset %" PRIu64 ": caplen %" PRIu32
					  " but only %zu bytes remain",
					  r->records + 1, roff, caplen, avail - PCAP_REC_LEN);
			break;
		}
		rec = &recs[n++];
		rec->file_off = roff + PCAP_REC_LEN;
		rec->buf_off = (uint32_t)(pos + PCAP_REC_LEN);
		rec->caplen = caplen;
		rec->origlen = origlen;
		rec->iface = 0;
		rec->linktype = linktype;
		rec->fcs_len = fcs_len;
		rec->flags = 0;
		if (frac < frac_per_sec) {
			rec->ts_sec = sec;
		} else { /* libpcap passes these through; we carry the excess into the seconds */
			rec->ts_sec = (int64_t)sec + frac / frac_per_sec;
			frac %= frac_per_sec;
		}
		rec->ts_nsec = frac * ns_per_frac;
		r->records++;
		pos += PCAP_REC_LEN + (size_t)caplen;
	}
	*pos_io = pos;
	*n_io = n;
	return rc;
}

/* ---- pcapng ---- */

struct opt_iter {
	const uint8_t *p; /* the block */
	size_t o;         /* offset of the next option in the block */
	size_t end;       /* offset of the end of the options (the trailing length) */
	bool be;
};

/* Step to the next option. Returns 1 with *code, *olen and *val set, 0 at opt_endofopt or the
 * end of the options, or -1 when the option's length runs past the block (it->o is then the
 * offset of that option). */
static int opt_next(struct opt_iter *it, uint16_t *code, uint16_t *olen, const uint8_t **val)
{
	size_t room, adv;

	if (it->o > it->end || it->end - it->o < 4)
		return 0;
	*code = rd16(it->p + it->o, it->be);
	*olen = rd16(it->p + it->o + 2, it->be);
	if (*code == OPT_ENDOFOPT)
		return 0;
	room = it->end - it->o - 4;
	if (*olen > room)
		return -1;
	*val = it->p + it->o + 4;
	adv = ((size_t)*olen + 3u) & ~(size_t)3u;
	it->o += 4 + (adv < room ? adv : room);
	return 1;
}

static int fail_option(struct dl_cap_reader *r, const char *what, uint64_t boff, const struct opt_iter *it,
		       uint16_t code, uint16_t olen)
{
	return fail(r, boff,
		    "pcapng %s block at offset %" PRIu64 ": option %u at offset %" PRIu64
		    " has length %u, past the end of the block",
		    what, boff, code, boff + it->o, olen);
}

static int ng_shb(struct dl_cap_reader *r, const uint8_t *p, uint32_t total, uint64_t boff, bool be)
{
	struct opt_iter it = { p, 24, total - 4u, be };
	uint16_t major = rd16(p + 12, be), minor = rd16(p + 14, be);
	uint16_t code = 0, olen = 0;
	const uint8_t *val;
	int rc;

	if (major != 1)
		return fail(r, boff,
			    "pcapng section header block at offset %" PRIu64
			    ": unsupported version %u.%u (expected 1.x)",
			    boff, major, minor);
	while ((rc = opt_next(&it, &code, &olen, &val)) > 0)
		;
	if (rc < 0)
		return fail_option(r, "section header", boff, &it, code, olen);
	r->big_endian = be;
	r->version_major = major;
	r->version_minor = minor;
	r->n_ifaces = 0;
	r->linktype = 0;
	r->sections++;
	return DL_CAP_OK;
}

static int ng_idb(struct dl_cap_reader *r, const uint8_t *p, uint32_t total, uint64_t boff, bool be)
{
	struct dl_cap_iface ifc = { .tsoffset = 0, .ts_units = USEC_PER_SEC, .tsres_base = 10, .tsres_exp = 6 };
	struct opt_iter it = { p, 16, total - 4u, be };
	uint16_t raw_lt = rd16(p + 8, be);
	uint16_t code = 0, olen = 0;
	const uint8_t *val;
	int rc;

	ifc.linktype = linktype_supported(raw_lt);
	if (!ifc.linktype)
		return fail_linktype(r, boff + 8, raw_lt);
	ifc.snaplen = rd32(p + 12, be);
	while ((rc = opt_next(&it, &code, &olen, &val)) > 0) {
		uint64_t ooff = boff + (size_t)(val - p) - 4;

		if (code == OPT_IF_TSRESOL) {
			uint8_t v;

			if (olen != 1)
				return fail(r, boff,
					    "pcapng interface description block at offset %" PRIu64
					    " (interface %" PRIu32 "): if_tsresol option at offset %" PRIu64
					    " has length %u (expected 1)",
					    boff, r->n_ifaces, ooff, olen);
			v = val[0];
			ifc.tsres_base = (v & 0x80) ? 2 : 10;
			ifc.tsres_exp = v & 0x7f;
			if (ifc.tsres_exp > (ifc.tsres_base == 2 ? 63 : 19))
				return fail(r, boff,
					    "pcapng interface description block at offset %" PRIu64
					    " (interface %" PRIu32 "): unsupported if_tsresol 0x%02x at offset %" PRIu64
					    " (expected 10^-0..10^-19 or 2^-0..2^-63)",
					    boff, r->n_ifaces, v, ooff);
			ifc.ts_units = ifc.tsres_base == 2 ? UINT64_C(1) << ifc.tsres_exp : pow10_u64[ifc.tsres_exp];
		} else if (code == OPT_IF_TSOFFSET) {
			if (olen != 8)
				return fail(r, boff,
					    "pcapng interface description block at offset %" PRIu64
					    " (interface %" PRIu32 "): if_tsoffset option at offset %" PRIu64
					    " has length %u (expected 8)",
					    boff, r->n_ifaces, ooff, olen);
			ifc.tsoffset = u64_to_i64(rd64(val, be));
		}
	}
	if (rc < 0)
		return fail_option(r, "interface description", boff, &it, code, olen);
	if (r->n_ifaces >= DL_CAP_MAX_IFACES)
		return fail(r, boff,
			    "pcapng interface description block at offset %" PRIu64
			    ": more than %u interfaces in one section",
			    boff, DL_CAP_MAX_IFACES);
	if (r->n_ifaces == r->cap_ifaces) {
		uint32_t ncap = r->cap_ifaces ? r->cap_ifaces * 2 : 4;
		struct dl_cap_iface *n;

		if (ncap > DL_CAP_MAX_IFACES)
			ncap = DL_CAP_MAX_IFACES;
		n = realloc(r->ifaces, ncap * sizeof(*n));
		if (!n)
			return fail(r, boff, "pcapng interface description block at offset %" PRIu64
				    ": out of memory for %" PRIu32 " interfaces", boff, ncap);
		r->ifaces = n;
		r->cap_ifaces = ncap;
	}
	if (r->n_ifaces == 0)
		r->linktype = ifc.linktype;
	r->ifaces[r->n_ifaces++] = ifc;
	return DL_CAP_OK;
}

/* Fill rec from an enhanced or obsolete packet block. */
static int ng_packet(struct dl_cap_reader *r, const uint8_t *p, uint32_t total, uint64_t boff, bool be,
		     uint32_t ifid, size_t pos, struct dl_cap_record *rec)
{
	const struct dl_cap_iface *ifc;
	uint32_t caplen = rd32(p + 20, be);
	uint64_t ts = ((uint64_t)rd32(p + 12, be) << 32) | rd32(p + 16, be);

	if (ifid >= r->n_ifaces)
		return fail(r, boff,
			    "record %" PRIu64 " at offset %" PRIu64 ": interface %" PRIu32
			    " is not defined (%" PRIu32 " interfaces in this section)",
			    r->records + 1, boff, ifid, r->n_ifaces);
	ifc = &r->ifaces[ifid];
	if (caplen > total - EPB_MIN_LEN)
		return fail(r, boff,
			    "record %" PRIu64 " at offset %" PRIu64 ": caplen %" PRIu32
			    " does not fit in a block of total length %" PRIu32,
			    r->records + 1, boff, caplen, total);
	if (ifc->snaplen && caplen > ifc->snaplen)
		return fail(r, boff,
			    "record %" PRIu64 " at offset %" PRIu64 ": caplen %" PRIu32 " > snaplen %" PRIu32,
			    r->records + 1, boff, caplen, ifc->snaplen);
	if (dl_cap_ts_convert(ifc, ts, &rec->ts_sec, &rec->ts_nsec))
		return fail(r, boff,
			    "record %" PRIu64 " at offset %" PRIu64 ": timestamp %" PRIu64
			    " of interface %" PRIu32 " is out of range",
			    r->records + 1, boff, ts, ifid);
	rec->file_off = boff + PKT_DATA_OFF;
	rec->buf_off = (uint32_t)(pos + PKT_DATA_OFF);
	rec->caplen = caplen;
	rec->origlen = rd32(p + 24, be);
	rec->iface = ifid;
	rec->linktype = ifc->linktype;
	rec->fcs_len = 0;
	rec->flags = 0;
	return DL_CAP_OK;
}

static int ng_simple_packet(struct dl_cap_reader *r, const uint8_t *p, uint32_t total, uint64_t boff,
			    bool be, size_t pos, struct dl_cap_record *rec)
{
	uint32_t origlen = rd32(p + 8, be);
	uint32_t caplen = total - SPB_MIN_LEN;

	if (r->n_ifaces == 0)
		return fail(r, boff,
			    "record %" PRIu64 " at offset %" PRIu64
			    ": simple packet block but no interface is defined in this section",
			    r->records + 1, boff);
	if (origlen < caplen)
		caplen = origlen;
	if (r->ifaces[0].snaplen && r->ifaces[0].snaplen < caplen)
		caplen = r->ifaces[0].snaplen;
	rec->file_off = boff + 12;
	rec->buf_off = (uint32_t)(pos + 12);
	rec->caplen = caplen;
	rec->origlen = origlen;
	rec->iface = 0;
	rec->linktype = r->ifaces[0].linktype;
	rec->fcs_len = 0;
	rec->flags = DL_CAP_REC_NO_TS;
	rec->ts_sec = 0;
	rec->ts_nsec = 0;
	return DL_CAP_OK;
}

static uint32_t ng_min_len(uint32_t type)
{
	switch (type) {
	case PCAPNG_SHB: return SHB_MIN_LEN;
	case BT_IDB: return IDB_MIN_LEN;
	case BT_EPB: case BT_OPB: return EPB_MIN_LEN;
	case BT_SPB: return SPB_MIN_LEN;
	default: return BLOCK_MIN_LEN;
	}
}

static const char *ng_block_name(uint32_t type)
{
	switch (type) {
	case PCAPNG_SHB: return "section header";
	case BT_IDB: return "interface description";
	case BT_EPB: return "enhanced packet";
	case BT_OPB: return "packet";
	case BT_SPB: return "simple packet";
	default: return "";
	}
}

static bool ng_is_packet(uint32_t type) { return type == BT_EPB || type == BT_SPB || type == BT_OPB; }

/* The block loop. The first block of the file is a section header: dl_cap_feed() checked. */
static int ng_blocks(struct dl_cap_reader *r, const uint8_t *buf, size_t len, uint64_t base, int eof,
		     struct dl_cap_record *recs, size_t max, size_t *n_io, size_t *pos_io)
{
	size_t pos = *pos_io, n = *n_io;
	int rc;

	for (;;) {
		size_t avail = len - pos, hdr_len = 8;
		uint64_t boff = base + pos;
		const uint8_t *p = avail ? buf + pos : NULL;
		bool be = r->big_endian, shb;
		uint32_t type, total;

		shb = avail >= 4 && dl_rd32(p) == PCAPNG_SHB;
		if (shb)
			hdr_len = 12;
		if (avail < hdr_len) {
			if (!eof)
				rc = need_more(r, hdr_len);
			else if (avail == 0)
				rc = DL_CAP_END;
			else
				rc = fail(r, boff,
					  "truncated pcapng block at offset %" PRIu64
					  ": block header needs %zu bytes but only %zu remain",
					  boff, hdr_len, avail);
			break;
		}
		if (n == max) {
			rc = DL_CAP_OK;
			break;
		}
		if (shb) {
			uint32_t bom = dl_rd32(p + 8);

			if (bom == PCAPNG_BOM) {
				be = true;
			} else if (bom == PCAPNG_BOM_SWAPPED) {
				be = false;
			} else {
				rc = fail(r, boff,
					  "pcapng section header block at offset %" PRIu64
					  ": bad byte-order magic 0x%08" PRIx32
					  " (expected 1a2b3c4d in either byte order)",
					  boff, bom);
				break;
			}
		}
		type = rd32(p, be);
		total = rd32(p + 4, be);
		if (total % 4) {
			rc = fail(r, boff,
				  "pcapng block at offset %" PRIu64 ": total length %" PRIu32
				  " is not a multiple of 4",
				  boff, total);
			break;
		}
		if (total < ng_min_len(type)) {
			if (ng_min_len(type) == BLOCK_MIN_LEN)
				rc = fail(r, boff,
					  "pcapng block at offset %" PRIu64 ": total length %" PRIu32
					  " is too short (minimum %u)",
					  boff, total, BLOCK_MIN_LEN);
			else
				rc = fail(r, boff,
					  "pcapng %s block at offset %" PRIu64 ": total length %" PRIu32
					  " is too short (minimum %" PRIu32 ")",
					  ng_block_name(type), boff, total, ng_min_len(type));
			break;
		}
		if (total > DL_CAP_MAX_BLOCK) {
			rc = fail(r, boff,
				  "pcapng block at offset %" PRIu64 ": total length %" PRIu32
				  " exceeds the %u-byte limit",
				  boff, total, DL_CAP_MAX_BLOCK);
			break;
		}
		if (avail < total) {
			if (!eof)
				rc = need_more(r, total);
			else if (ng_is_packet(type))
				rc = fail(r, boff,
					  "truncated record %" PRIu64 " at offset %" PRIu64
					  ": block total length %" PRIu32 " but only %zu bytes remain",
					  r->records + 1, boff, total, avail);
			else
				rc = fail(r, boff,
					  "truncated pcapng block at offset %" PRIu64 ": total length %" PRIu32
					  " but only %zu bytes remain",
					  boff, total, avail);
			break;
		}
		if (rd32(p + total - 4, be) != total) {
			rc = fail(r, boff,
				  "pcapng block at offset %" PRIu64 ": trailing total length %" PRIu32
				  " does not match leading %" PRIu32,
				  boff, rd32(p + total - 4, be), total);
			break;
		}

		switch (type) {
		case BT_EPB:
			rc = ng_packet(r, p, total, boff, be, rd32(p + 8, be), pos, &recs[n]);
			break;
		case BT_OPB:
			rc = ng_packet(r, p, total, boff, be, rd16(p + 8, be), pos, &recs[n]);
			break;
		case BT_SPB:
			rc = ng_simple_packet(r, p, total, boff, be, pos, &recs[n]);
			break;
		case PCAPNG_SHB:
			rc = ng_shb(r, p, total, boff, be);
			break;
		case BT_IDB:
			rc = ng_idb(r, p, total, boff, be);
			break;
		default: /* NRB, ISB, DSB, custom, unknown: framing checked, contents skipped */
			rc = DL_CAP_OK;
			break;
		}
		if (rc != DL_CAP_OK)
			break;
		if (ng_is_packet(type)) {
			n++;
			r->records++;
		}
		pos += total;
	}
	*pos_io = pos;
	*n_io = n;
	return rc;
}

/* ---- the entry point ---- */

/* Recognise the format by the first 4 bytes; parse a pcap file header. */
static int read_header(struct dl_cap_reader *r, const uint8_t *buf, size_t len, int eof, size_t *pos)
{
	uint32_t m;

	if (len < 4) {
		if (!eof)
			return need_more(r, PCAP_HDR_LEN);
		if (len == 0)
			return fail(r, 0, "empty file (expected a pcap or pcapng header)");
		return fail(r, 0,
			    "truncated file header at offset 0: the file has %zu bytes (expected a %u-byte pcap "
			    "header or a pcapng section header block)",
			    len, PCAP_HDR_LEN);
	}
	m = dl_rd32(buf);
	switch (m) {
	case PCAPNG_SHB:
		r->format = DL_CAP_FMT_PCAPNG;
		r->state = ST_BODY;
		return DL_CAP_OK;
	case PCAP_MAGIC_US:
	case PCAP_MAGIC_NS:
		return pcap_header(r, buf, len, eof, true, m == PCAP_MAGIC_NS, pos);
	case 0xd4c3b2a1u:
	case 0x4d3cb2a1u:
		return pcap_header(r, buf, len, eof, false, m == 0x4d3cb2a1u, pos);
	default:
		return fail(r, 0,
			    "bad magic 0x%08" PRIx32
			    " at offset 0 (expected a pcap magic a1b2c3d4/a1b23c4d or pcapng 0a0d0d0a)",
			    m);
	}
}

int dl_cap_feed(struct dl_cap_reader *r, const uint8_t *buf, size_t len, uint64_t file_off, int eof,
		struct dl_cap_record *recs, size_t max_recs, size_t *n_recs, size_t *consumed)
{
	size_t pos = 0, n = 0;
	int rc;

	*n_recs = 0;
	*consumed = 0;
	if (r->state == ST_ERR)
		return DL_CAP_ERR;
	if (r->state == ST_END)
		return DL_CAP_END;
	if (file_off != r->off)
		return fail(r, file_off,
			    "fed bytes at offset %" PRIu64 " but the reader is at offset %" PRIu64, file_off,
			    r->off);
	if (len > UINT32_MAX) { /* buf_off is 32-bit: leave the rest for the next call */
		len = UINT32_MAX;
		eof = 0;
	}
	if (r->state == ST_HEADER) {
		rc = read_header(r, buf, len, eof, &pos);
		if (rc != DL_CAP_OK)
			goto out;
	}
	if (r->format == DL_CAP_FMT_PCAP)
		rc = r->big_endian ? pcap_records(r, buf, len, file_off, eof, recs, max_recs, &n, &pos, true)
				   : pcap_records(r, buf, len, file_off, eof, recs, max_recs, &n, &pos, false);
	else
		rc = ng_blocks(r, buf, len, file_off, eof, recs, max_recs, &n, &pos);
out:
	if (rc == DL_CAP_END)
		r->state = ST_END;
	r->off = file_off + pos;
	*n_recs = n;
	*consumed = pos;
	return rc;
}

/* ---- writing ---- */

size_t dl_pcap_write_header(uint8_t out[24], uint32_t linktype, uint32_t snaplen, int nsec)
{
	wr32le(out, nsec ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
	wr16le(out + 4, 2);
	wr16le(out + 6, 4);
	wr32le(out + 8, 0);
	wr32le(out + 12, 0);
	wr32le(out + 16, snaplen);
	wr32le(out + 20, linktype);
	return PCAP_HDR_LEN;
}

size_t dl_pcap_write_record_header(uint8_t out[16], int64_t sec, uint32_t frac, uint32_t caplen,
				   uint32_t origlen)
{
	if (sec < 0 || sec > (int64_t)UINT32_MAX || frac >= NSEC_PER_SEC)
		return 0;
	wr32le(out, (uint32_t)sec);
	wr32le(out + 4, frac);
	wr32le(out + 8, caplen);
	wr32le(out + 12, origlen);
	return PCAP_REC_LEN;
}
