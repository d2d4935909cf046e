/* replay_flows.c: flows.jsonl lines in C (replay_flows.h). The layout of a line is
 * src/datapath/flow-record.ts's flowRecord() as JSON.stringify prints it, key for key:
 *   time, packet, parent?, node_name?, host, host_kind?, peer?, trace_observation_point, point,
 *   verdict, action, drop_reason…?, Type, ethernet?, IP+l4? | arp? | parse_error?, is_reply,
 *   generated?, dsr?, snat?, final?, backend?, selection?, nat_port?, length
 * TypeScript supplies every name as a JSON fragment; test/replay/golden.test.ts holds the two
 * to the same bytes. */
#include <stdlib.h>
#include <stdio.h>
#include "dsrlab/replay_flows.h"
#include "dsrlab/codec.h"

/* ---- buffer ---- */

int dl_buf_reserve(struct dl_buf *b, size_t more)
{
	size_t need, cap;
	uint8_t *d;

	if (more > SIZE_MAX - b->len)
		return -1;
	need = b->len + more;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	d = realloc(b->data, cap);
	if (!d)
		return -1;
	b->data = d;
	b->cap = cap;
	return 0;
}

int dl_buf_append(struct dl_buf *b, const void *p, size_t n)
{
	if (dl_buf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void dl_buf_free(struct dl_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- formats ---- */

static const char DIGIT_PAIRS[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes the n decimal digits of v (n counted by the caller) backwards from out + n. */
static void put_digits(char *out, uint64_t v, size_t n)
{
	char *p = out + n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		p -= 2;
		memcpy(p, DIGIT_PAIRS + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, DIGIT_PAIRS + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
}

size_t dl_fmt_u64(char *out, uint64_t v)
{
	uint64_t pow = 10;
	size_t n = 1;

	while (n < 20 && v >= pow) {
		n++;
		pow *= 10; /* stops at 10^19, below 2^64 */
	}
	put_digits(out, v, n);
	return n;
}

/* One octet, 1 to 3 digits. */
static size_t fmt_u8(char *out, unsigned v)
{
	if (v >= 100) {
		out[0] = (char)('0' + v / 100);
		memcpy(out + 1, DIGIT_PAIRS + 2 * (v % 100), 2);
		return 3;
	}
	if (v >= 10) {
		memcpy(out, DIGIT_PAIRS + 2 * v, 2);
		return 2;
	}
	out[0] = (char)('0' + v);
	return 1;
}

size_t dl_fmt_ipv4(char *out, const uint8_t a[4])
{
	size_t n = fmt_u8(out, a[0]);

	for (int i = 1; i < 4; i++) {
		out[n++] = '.';
		n += fmt_u8(out + n, a[i]);
	}
	return n;
}

static const char HEX[] = "0123456789abcdef";

static size_t fmt_hex_word(char *out, uint16_t w)
{
	size_t n = 0;
	bool started = false;

	for (int sh = 12; sh >= 0; sh -= 4) {
		unsigned d = (w >> sh) & 0xf;
		if (d || started || sh == 0) {
			out[n++] = HEX[d];
			started = true;
		}
	}
	return n;
}

size_t dl_fmt_ipv6(char *out, const uint8_t a[16])
{
	uint16_t w[8];
	int best = -1, best_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++)
		w[i] = dl_rd16(a + 2 * i);
	for (int i = 0; i < 8;) {
		int j = i;
		if (w[i]) {
			i++;
			continue;
		}
		while (j < 8 && !w[j])
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j;
	}
	if (best < 0) {
		for (int i = 0; i < 8; i++) {
			if (i)
				out[n++] = ':';
			n += fmt_hex_word(out + n, w[i]);
		}
		return n;
	}
	for (int i = 0; i < best; i++) {
		if (i)
			out[n++] = ':';
		n += fmt_hex_word(out + n, w[i]);
	}
	out[n++] = ':';
	out[n++] = ':';
	for (int i = best + best_len; i < 8; i++) {
		if (i > best + best_len)
			out[n++] = ':';
		n += fmt_hex_word(out + n, w[i]);
	}
	return n;
}

size_t dl_fmt_mac(char *out, const uint8_t m[6])
{
	/* "xx:" per byte, built in one go (the last colon is not part of the text) */
	char t[18];

	for (int i = 0; i < 6; i++) {
		t[3 * i] = HEX[m[i] >> 4];
		t[3 * i + 1] = HEX[m[i] & 0xf];
		t[3 * i + 2] = ':';
	}
	memcpy(out, t, DL_FMT_MAC_LEN);
	return DL_FMT_MAC_LEN;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Two decimal digits. */
static void put2(char *out, unsigned v)
{
	out[0] = (char)('0' + v / 10 % 10);
	out[1] = (char)('0' + v % 10);
}

int dl_fmt_iso_seconds(char *out, int64_t sec)
{
	/* ECMAScript's time values stop at ±8.64e15 ms (100 000 000 days around 1970). */
	char full[32];
	int64_t days, sod, z, era, doe, yoe, y, doy, mp, d, m;
	size_t n = 0;

	if (!dl_fmt_time_ok(sec))
		return -1;
	days = floor_div(sec, 86400);
	sod = sec - days * 86400;
	/* civil_from_days (H. Hinnant), proleptic Gregorian as ECMAScript's Date */
	z = days + 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y >= 0 && y <= 9999) {
		put2(full, (unsigned)(y / 100));
		put2(full + 2, (unsigned)(y % 100));
		n = 4;
	} else {
		int64_t ay = y < 0 ? -y : y;
		full[0] = y < 0 ? '-' : '+';
		put2(full + 1, (unsigned)(ay / 10000 % 100));
		put2(full + 3, (unsigned)(ay / 100 % 100));
		put2(full + 5, (unsigned)(ay % 100));
		n = 7;
	}
	full[n++] = '-';
	put2(full + n, (unsigned)m);
	n += 2;
	full[n++] = '-';
	put2(full + n, (unsigned)d);
	n += 2;
	full[n++] = 'T';
	put2(full + n, (unsigned)(sod / 3600));
	n += 2;
	full[n++] = ':';
	put2(full + n, (unsigned)(sod / 60 % 60));
	n += 2;
	full[n++] = ':';
	put2(full + n, (unsigned)(sod % 60));
	n += 2;
	if (n > DL_FMT_ISO_MAX)
		n = DL_FMT_ISO_MAX;
	memcpy(out, full, n);
	return (int)n;
}

size_t dl_json_string(char *out, const char *s, size_t len)
{
	size_t n = 0;

	out[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': out[n++] = '\\'; out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; out[n++] = '\\'; break;
		case '\b': out[n++] = '\\'; out[n++] = 'b'; break;
		case '\f': out[n++] = '\\'; out[n++] = 'f'; break;
		case '\n': out[n++] = '\\'; out[n++] = 'n'; break;
		case '\r': out[n++] = '\\'; out[n++] = 'r'; break;
		case '\t': out[n++] = '\\'; out[n++] = 't'; break;
		default:
			if (c < 0x20) {
				memcpy(out + n, "\\u00", 4);
				out[n + 4] = HEX[c >> 4];
				out[n + 5] = HEX[c & 0xf];
				n += 6;
			} else {
				out[n++] = (char)c;
			}
		}
	}
	out[n++] = '"';
	return n;
}

/* ---- names ---- */

static int frag_set(struct dl_frag *fr, const char *s, size_t len, size_t *max)
{
	char *copy = NULL;

	if (len > UINT32_MAX)
		return -1;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -1;
		memcpy(copy, s, len);
	}
	free(fr->s);
	fr->s = copy;
	fr->len = (uint32_t)len;
	if (len > *max)
		*max = len;
	return 0;
}

/* Grows a fragment table to hold index i (new entries empty). */
static int frag_grow(struct dl_frag **tab, uint32_t *n, uint32_t i)
{
	uint32_t cap;
	struct dl_frag *t;

	if (i < *n)
		return 0;
	cap = *n ? *n : 16;
	while (cap <= i)
		cap *= 2;
	t = realloc(*tab, (size_t)cap * sizeof(*t));
	if (!t)
		return -1;
	memset(t + *n, 0, (size_t)(cap - *n) * sizeof(*t));
	*tab = t;
	*n = cap;
	return 0;
}

int dl_flow_fmt_init(struct dl_flow_fmt *f, uint32_t n_hosts)
{
	memset(f, 0, sizeof(*f));
	f->n_hosts = n_hosts;
	if (n_hosts) {
		f->host = calloc(n_hosts, sizeof(*f->host));
		f->peer = calloc(n_hosts, sizeof(*f->peer));
		if (!f->host || !f->peer) {
			dl_flow_fmt_free(f);
			return -1;
		}
	}
	return 0;
}

static void frags_free(struct dl_frag *t, uint32_t n)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(t[i].s);
	free(t);
}

void dl_flow_fmt_free(struct dl_flow_fmt *f)
{
	frags_free(f->host, f->n_hosts);
	frags_free(f->peer, f->n_hosts);
	for (uint32_t i = 0; i < DL_FLOW_POINTS; i++)
		free(f->point[i].s);
	for (uint32_t i = 0; i < DL_FLOW_VERDICTS; i++)
		free(f->verdict[i].s);
	frags_free(f->drop, f->n_drop);
	frags_free(f->backend, f->n_backend);
	dl_buf_free(&f->frame_text);
	memset(f, 0, sizeof(*f));
}

int dl_flow_fmt_set_host(struct dl_flow_fmt *f, uint32_t host, const char *frag, size_t len, const char *peer, size_t peer_len)
{
	if (host >= f->n_hosts)
		return -1;
	return frag_set(&f->host[host], frag, len, &f->max_frag) || frag_set(&f->peer[host], peer, peer_len, &f->max_frag) ? -1 : 0;
}

int dl_flow_fmt_set_point(struct dl_flow_fmt *f, uint32_t point, const char *frag, size_t len)
{
	return point < DL_FLOW_POINTS ? frag_set(&f->point[point], frag, len, &f->max_frag) : -1;
}

int dl_flow_fmt_set_verdict(struct dl_flow_fmt *f, uint32_t verdict, const char *frag, size_t len)
{
	return verdict < DL_FLOW_VERDICTS ? frag_set(&f->verdict[verdict], frag, len, &f->max_frag) : -1;
}

int dl_flow_fmt_set_drop(struct dl_flow_fmt *f, uint32_t code, const char *frag, size_t len)
{
	if (code >= DL_FLOW_DROP_MAX || frag_grow(&f->drop, &f->n_drop, code))
		return -1;
	return frag_set(&f->drop[code], frag, len, &f->max_frag);
}

int dl_flow_fmt_set_backend(struct dl_flow_fmt *f, uint32_t id, const char *frag, size_t len)
{
	if (id >= DL_FLOW_BACKEND_MAX || frag_grow(&f->backend, &f->n_backend, id))
		return -1;
	return frag_set(&f->backend[id], frag, len, &f->max_frag);
}

void dl_flow_fmt_new_arena(struct dl_flow_fmt *f) { f->have_frame = false; }

/* ---- one line ---- */

#define PUT(lit) (memcpy(p, lit, sizeof(lit) - 1), p += sizeof(lit) - 1)
#define PUTN(s, n) ((n) ? (memcpy(p, s, n), p += (n)) : p) /* s may be NULL when n is 0 */
#define PUTU(v) (p += dl_fmt_u64(p, (uint64_t)(v)))

static const char *const TCP_FLAG_NAMES[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

/* Room the frame part can take: ethernet, IP with two IPv6 addresses and TCP with every flag,
 * or an escaped parse error. */
#define FRAME_TEXT_MAX (96 + 2 * DL_FMT_IP_MAX + 160 + 6 * DL_PKT_ERR_LEN + 64)

/* The part of a line that depends on the frame only (cached per arena offset). */
static int frame_text(struct dl_flow_fmt *f, const uint8_t *fr, uint32_t len)
{
	struct dl_buf *b = &f->frame_text;
	struct dl_pkt_info pi;
	char *p, *start;
	int rc;

	b->len = 0;
	if (dl_buf_reserve(b, FRAME_TEXT_MAX))
		return -1;
	p = start = (char *)b->data;
	if (len >= 14) {
		PUT("\"ethernet\":{\"source\":\"");
		p += dl_fmt_mac(p, fr + 6);
		PUT("\",\"destination\":\"");
		p += dl_fmt_mac(p, fr);
		PUT("\"},");
	}
	if (len > 0) {
		rc = dl_pkt_parse(fr, len, DL_LINKTYPE_ETHERNET, &pi);
		if (rc == DL_PARSE_OK && dl_pkt_is_ip(&pi)) {
			bool v6 = pi.l3 == DL_L3_IPV6;
			PUT("\"IP\":{\"source\":\"");
			p += v6 ? dl_fmt_ipv6(p, pi.src) : dl_fmt_ipv4(p, pi.src);
			PUT("\",\"destination\":\"");
			p += v6 ? dl_fmt_ipv6(p, pi.dst) : dl_fmt_ipv4(p, pi.dst);
			if (v6)
				PUT("\",\"ipVersion\":\"IPv6\"},");
			else
				PUT("\",\"ipVersion\":\"IPv4\"},");
			switch (pi.l4_proto) {
			case DL_IPPROTO_TCP:
			case DL_IPPROTO_UDP:
			case DL_IPPROTO_SCTP:
				if (pi.l4_proto == DL_IPPROTO_TCP)
					PUT("\"l4\":{\"TCP\":{\"source_port\":");
				else if (pi.l4_proto == DL_IPPROTO_UDP)
					PUT("\"l4\":{\"UDP\":{\"source_port\":");
				else
					PUT("\"l4\":{\"SCTP\":{\"source_port\":");
				PUTU(pi.sport);
				PUT(",\"destination_port\":");
				PUTU(pi.dport);
				if (pi.l4_proto == DL_IPPROTO_TCP && pi.l4_hdr_len) {
					bool first = true;
					PUT(",\"flags\":{");
					for (unsigned i = 0; i < 8; i++) {
						if (!(pi.tcp_flags & (1u << i)))
							continue;
						if (!first)
							*p++ = ',';
						first = false;
						*p++ = '"';
						PUTN(TCP_FLAG_NAMES[i], 3);
						PUT("\":true");
					}
					*p++ = '}';
				}
				PUT("}},");
				break;
			case DL_IPPROTO_ICMP:
			case DL_IPPROTO_ICMPV6:
				if (pi.l4_proto == DL_IPPROTO_ICMP)
					PUT("\"l4\":{\"ICMPv4\":{");
				else
					PUT("\"l4\":{\"ICMPv6\":{");
				if (pi.l4_hdr_len) {
					PUT("\"type\":");
					PUTU(pi.icmp_type);
					PUT(",\"code\":");
					PUTU(pi.icmp_code);
				}
				PUT("}},");
				break;
			default:
				break;
			}
		} else if (pi.l3 == DL_L3_ARP) {
			PUT("\"arp\":{\"op\":");
			PUTU(pi.arp_op);
			if (pi.arp_ipv4) {
				PUT(",\"sender\":\"");
				p += dl_fmt_ipv4(p, pi.arp_spa);
				PUT("\",\"target\":\"");
				p += dl_fmt_ipv4(p, pi.arp_tpa);
				*p++ = '"';
			}
			PUT("},");
		} else if (rc != DL_PARSE_OK) {
			const char *nul = memchr(pi.err, '\0', sizeof(pi.err));
			size_t elen = nul ? (size_t)(nul - pi.err) : sizeof(pi.err);
			PUT("\"parse_error\":");
			p += dl_json_string(p, pi.err, elen);
			*p++ = ',';
		}
	}
	b->len = (size_t)(p - start);
	return 0;
}

int dl_flow_fmt_line(struct dl_flow_fmt *f, struct dl_buf *out, const struct dl_event *e, const uint8_t *arena,
		     size_t arena_len)
{
	const struct dl_frag *fr;
	char *p, *start;
	size_t room;

	if (e->point == 0 || e->point >= DL_FLOW_POINTS || e->verdict >= DL_FLOW_VERDICTS)
		return DL_FLOW_EEVENT;
	if (e->len && !dl_in_bounds(arena_len, e->off, e->len))
		return DL_FLOW_EEVENT;
	if (!f->have_sec || f->last_sec != e->ts_sec) {
		int n = dl_fmt_iso_seconds(f->last_prefix, e->ts_sec);
		if (n < 0)
			return DL_FLOW_ETIME;
		f->last_prefix_len = n;
		f->last_sec = e->ts_sec;
		f->have_sec = true;
	}
	if (e->len == 0) {
		f->frame_text.len = 0;
		f->have_frame = false;
	} else if (!f->have_frame || f->frame_off != e->off || f->frame_len != e->len) {
		if (frame_text(f, arena + e->off, e->len))
			return DL_FLOW_ENOMEM;
		f->have_frame = true;
		f->frame_off = e->off;
		f->frame_len = e->len;
	}
	/* Six fragments at most (host, peer, point, verdict, drop, backend), the frame part, and
	 * under 500 bytes of keys and numbers (twelve 20-digit numbers and every key name). */
	room = 6 * f->max_frag + f->frame_text.len + 1024;
	if (dl_buf_reserve(out, room))
		return DL_FLOW_ENOMEM;
	p = start = (char *)out->data + out->len;

	PUT("{\"time\":\"");
	PUTN(f->last_prefix, (size_t)f->last_prefix_len);
	*p++ = '.';
	if (e->ts_nsec < 1000000000u) {
		/* nine digits, zero-padded */
		put_digits(p, e->ts_nsec + 1000000000u, 10);
		memmove(p, p + 1, 9);
		p += 9;
	} else {
		PUTU(e->ts_nsec);
	}
	PUT("Z\",\"packet\":");
	PUTU(e->pkt);
	if (e->pkt >= 0x80000000u || e->parent != e->pkt) {
		PUT(",\"parent\":");
		PUTU(e->parent);
	}
	*p++ = ',';
	if (e->host < f->n_hosts && f->host[e->host].len)
		PUTN(f->host[e->host].s, f->host[e->host].len);
	else
		PUT("\"host\":null,");
	if (e->peer < f->n_hosts && f->peer[e->peer].len)
		PUTN(f->peer[e->peer].s, f->peer[e->peer].len);
	fr = &f->point[e->point];
	PUTN(fr->s, fr->len);
	fr = &f->verdict[e->verdict];
	PUTN(fr->s, fr->len);
	if (e->verdict == DL_V_DROPPED) {
		uint64_t code = e->drop < 0 ? (uint64_t)(-(int64_t)e->drop) : (uint64_t)e->drop;
		PUT("\"drop_reason\":");
		PUTU(code);
		*p++ = ',';
		if (code < f->n_drop && f->drop[code].len) {
			PUTN(f->drop[code].s, f->drop[code].len);
		} else {
			PUT("\"drop_reason_desc\":\"DROP_UNKNOWN_");
			PUTU(code);
			PUT("\",\"drop_reason_name\":\"DROP_UNKNOWN_");
			PUTU(code);
			PUT("\",");
		}
	}
	PUT("\"Type\":\"L3_L4\",");
	PUTN(f->frame_text.data, f->frame_text.len);
	if (e->flags & DL_EVF_REPLY)
		PUT("\"is_reply\":true");
	else
		PUT("\"is_reply\":false");
	if (e->flags & DL_EVF_GENERATED)
		PUT(",\"generated\":true");
	if (e->flags & DL_EVF_DSR)
		PUT(",\"dsr\":true");
	if (e->flags & DL_EVF_SNAT)
		PUT(",\"snat\":true");
	if (e->flags & DL_EVF_FINAL)
		PUT(",\"final\":true");
	if (e->backend) {
		PUT(",\"backend\":");
		if (e->backend < f->n_backend && f->backend[e->backend].len) {
			PUTN(f->backend[e->backend].s, f->backend[e->backend].len);
		} else {
			PUT("{\"id\":");
			PUTU(e->backend);
			*p++ = '}';
		}
		if (e->hash || e->slot) {
			PUT(",\"selection\":{\"hash\":");
			PUTU(e->hash);
			PUT(",\"slot\":");
			PUTU(e->slot);
			*p++ = '}';
		}
	}
	if (e->nat_port) {
		PUT(",\"nat_port\":");
		PUTU(e->nat_port);
	}
	PUT(",\"length\":");
	PUTU(e->len);
	PUT("}\n");
	out->len += (size_t)(p - start);
	return 0;
}
