/* capture.h: a streaming reader for classic pcap and pcapng capture files, and the two helpers
 * that write a classic pcap. The core does no file I/O: the caller reads the file in chunks and
 * feeds them here. Decoding the packets themselves is codec.h's job. */
#ifndef DSRLAB_CAPTURE_H
#define DSRLAB_CAPTURE_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dl_cap_feed() return codes. */
enum {
	DL_CAP_ERR = -1,      /* r->err and r->err_off say what and where; sticky */
	DL_CAP_OK = 0,        /* recs is full: call again with the unconsumed bytes */
	DL_CAP_NEED_MORE = 1, /* the next unit is incomplete: append bytes (r->need) and call again */
	DL_CAP_END = 2,       /* eof and every byte consumed; sticky */
};

enum { DL_CAP_FMT_NONE = 0, DL_CAP_FMT_PCAP = 1, DL_CAP_FMT_PCAPNG = 2 };

/* The LINKTYPE_* values a capture may carry (tcpdump.org/linktypes.html). The DLT_RAW values
 * 12 and 14 found in old files are reported as DL_LINKTYPE_RAW. */
enum {
	DL_LINKTYPE_ETHERNET = 1,
	DL_LINKTYPE_RAW = 101,        /* raw IPv4 or IPv6, told apart by the version nibble */
	DL_LINKTYPE_LINUX_SLL = 113,
	DL_LINKTYPE_IPV4 = 228,
	DL_LINKTYPE_IPV6 = 229,
	DL_LINKTYPE_LINUX_SLL2 = 276,
};

/* Limits. A unit (pcap record or pcapng block) larger than these is an error, found as soon as
 * its length field is readable, so a corrupt length never makes the caller wait or allocate. */
#define DL_CAP_MAX_CAPLEN (256u << 20)  /* bytes of packet data in one record */
#define DL_CAP_MAX_BLOCK (256u << 20)   /* pcapng block total length */
#define DL_CAP_MAX_IFACES 4096u         /* pcapng interfaces in one section */
#define DL_CAP_ERR_LEN 160

/* dl_cap_record.flags */
#define DL_CAP_REC_NO_TS 0x01 /* pcapng simple packet block: no timestamp, ts is 0 */

/* One packet. Its bytes are at buf + buf_off in the buffer passed to the dl_cap_feed() call
 * that returned it, and stay valid only as long as the caller keeps that buffer. */
struct dl_cap_record {
	uint64_t file_off; /* offset of the packet bytes in the file */
	int64_t ts_sec;    /* UTC seconds (pcapng: if_tsoffset applied) */
	uint32_t ts_nsec;  /* 0..999999999 */
	uint32_t buf_off;  /* offset of the packet bytes in the fed buffer */
	uint32_t caplen;   /* bytes present */
	uint32_t origlen;  /* bytes on the wire */
	uint32_t iface;    /* pcapng interface id within its section; 0 for pcap */
	uint16_t linktype; /* DL_LINKTYPE_* of that interface */
	uint8_t fcs_len;   /* bytes of frame check sequence ending the packet data (pcap header) */
	uint8_t flags;     /* DL_CAP_REC_* */
};
DL_STATIC_ASSERT(sizeof(struct dl_cap_record) == 40, "dl_cap_record is 40 bytes");

/* A pcapng interface (IDB) of the current section. */
struct dl_cap_iface {
	int64_t tsoffset;   /* if_tsoffset: seconds added to every timestamp */
	uint64_t ts_units;  /* timestamp units per second, tsres_base ^ tsres_exp */
	uint32_t snaplen;   /* 0: no limit */
	uint16_t linktype;  /* DL_LINKTYPE_* */
	uint8_t tsres_base; /* if_tsresol: 10 or 2 (default 10^-6) */
	uint8_t tsres_exp;  /* a unit is tsres_base ^ -tsres_exp seconds; <= 19 for 10, <= 63 for 2 */
};

/* Reader state. The caller reads any field but writes none; dl_cap_init() sets it up and
 * dl_cap_free() releases the interface array. */
struct dl_cap_reader {
	uint8_t format;         /* DL_CAP_FMT_*, known once the first 4 bytes were fed */
	bool big_endian;        /* pcap: the file's byte order; pcapng: the current section's */
	bool nsec;              /* pcap: nanosecond magic a1b23c4d */
	uint8_t fcs_len;        /* pcap: FCS bytes per packet, from the link type field */
	uint16_t version_major; /* pcap header, or the current pcapng section header */
	uint16_t version_minor;
	uint32_t snaplen;       /* pcap: header snaplen (0: no limit) */
	uint16_t linktype;      /* pcap: the file's; pcapng: interface 0 of the current section */
	uint8_t state;          /* private */
	uint8_t lengths_swapped; /* private: pcap < 2.4 caplen/len order (libpcap's rule) */
	struct dl_cap_iface *ifaces; /* pcapng: the current section's interfaces */
	uint32_t n_ifaces;
	uint32_t cap_ifaces;
	uint32_t sections;      /* pcapng section header blocks seen */
	uint64_t records;       /* packet records returned so far */
	uint64_t off;           /* file offset of the next unconsumed byte */
	size_t need;            /* after DL_CAP_NEED_MORE: bytes the next unit needs, counted from
	                         * the first unconsumed byte (a lower bound: it may grow once more
	                         * of the unit is visible) */
	uint64_t err_off;       /* after DL_CAP_ERR: the (first) file offset the message names */
	char err[DL_CAP_ERR_LEN]; /* after DL_CAP_ERR: what went wrong, without the file name */
};

/* Set up a reader for a new file. Never fails; allocates nothing. */
void dl_cap_init(struct dl_cap_reader *r);

/* Release what the reader allocated (the pcapng interface array). The reader may then be
 * initialised again. Safe on a reader that was only initialised. */
void dl_cap_free(struct dl_cap_reader *r);

/* Parse the bytes buf[0..len), which sit at offset file_off of the file. The first call
 * (file_off 0) reads the file header; every call parses as many complete records as are in
 * the buffer, up to max_recs (at least 1), writing them to recs[0..*n_recs). *consumed says how many bytes
 * from buf were used up; the caller keeps buf[*consumed..len), puts it at the front of the next
 * call (at file_off + *consumed) and appends what it reads next. eof says no bytes follow buf.
 * Records of the packets at buf + buf_off stay valid while the caller keeps buf unchanged.
 * At most 4 GiB - 1 of buf is looked at per call (buf_off is 32-bit); the rest is unconsumed.
 *
 * Returns:
 *   DL_CAP_OK        recs filled up (*n_recs == max_recs) before the end of the data.
 *   DL_CAP_NEED_MORE the next unit (header, record or block) is not complete in buf; r->need
 *                    is how many bytes from buf + *consumed it takes at least, so the caller can
 *                    grow its buffer. Records before it are returned. Never returned with eof.
 *   DL_CAP_END       eof and every byte consumed; the file was well formed. Sticky.
 *   DL_CAP_ERR       r->err says what was wrong (with the record number, counted from 1, the file
 *                    offset and what was expected) and r->err_off the offset. Records before the
 *                    bad one are returned and consumed. Sticky.
 * A truncated file is an error at eof, never a silent end. */
int dl_cap_feed(struct dl_cap_reader *r, const uint8_t *buf, size_t len, uint64_t file_off,
		int eof, struct dl_cap_record *recs, size_t max_recs, size_t *n_recs, size_t *consumed);

/* Convert a pcapng timestamp ts, counted in units of ifc (tsres_base ^ -tsres_exp seconds since
 * 1970, plus ifc->tsoffset seconds), to UTC seconds and nanoseconds, truncating finer
 * resolutions toward zero. Exact: no floating point, no intermediate overflow.
 * Returns 0, or -1 when the seconds do not fit int64_t (*sec and *nsec then undefined). */
int dl_cap_ts_convert(const struct dl_cap_iface *ifc, uint64_t ts, int64_t *sec, uint32_t *nsec);

/* Write a little-endian classic pcap file header (version 2.4, thiszone 0, sigfigs 0) to out:
 * magic a1b2c3d4 (microseconds), or a1b23c4d when nsec is nonzero. Returns 24. */
size_t dl_pcap_write_header(uint8_t out[24], uint32_t linktype, uint32_t snaplen, int nsec);

/* Write a little-endian classic pcap record header to out: sec, frac (microseconds, or
 * nanoseconds in a file whose header said so), caplen, origlen. The packet bytes follow.
 * Returns 16, or 0 when sec is outside 0..2^32-1 or frac is not below 10^9 (out untouched). */
size_t dl_pcap_write_record_header(uint8_t out[16], int64_t sec, uint32_t frac, uint32_t caplen,
				   uint32_t origlen);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CAPTURE_H */
