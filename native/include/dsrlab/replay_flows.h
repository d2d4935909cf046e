/* replay_flows.h: the text of `dsrlab replay --out DIR`'s flows.jsonl, written in C so the hot
 * path stays there (DESIGN.md). It holds a growable byte buffer, the number, address, MAC and
 * time formats the flow log uses, and the formatter of one event as one JSON line, byte for
 * byte what src/datapath/flow-record.ts's JSON.stringify(flowRecord(event, frame, names))
 * prints. Names (hosts, points, actions, drop reasons, backends) come from TypeScript as
 * ready-made JSON fragments, so the wording has one home (flow-record.ts); this file only
 * formats numbers, addresses and times, and parses frames with the codec.
 * Which events are written and what the summary counts is replay_sink.h's business. */
#ifndef DSRLAB_REPLAY_FLOWS_H
#define DSRLAB_REPLAY_FLOWS_H

#include "dsrlab/common.h"
#include "dsrlab/cluster.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable byte buffer. A zeroed struct is an empty buffer. */
struct dl_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Makes room for `more` bytes past len: 0, or -1 (no memory, or the size would overflow). */
int dl_buf_reserve(struct dl_buf *b, size_t more);
int dl_buf_append(struct dl_buf *b, const void *p, size_t n);
void dl_buf_free(struct dl_buf *b);

/* Text formats. Each writes no NUL and returns the length written. */
#define DL_FMT_U64_MAX 20
#define DL_FMT_IP_MAX 39   /* the longest IPv6 text */
#define DL_FMT_MAC_LEN 17
#define DL_FMT_ISO_MAX 19  /* "YYYY-MM-DDTHH:MM:SS", or "+YYYYYY-MM-DDTHH:MM" */

size_t dl_fmt_u64(char *out, uint64_t v);
/* Dotted quad. */
size_t dl_fmt_ipv4(char *out, const uint8_t a[4]);
/* RFC 5952 as src/packet/addr.ts ipv6Text writes it: lower-case hex words, the longest run of
 * two or more zero words (the first of equal runs) as "::"; no dotted IPv4 tail. */
size_t dl_fmt_ipv6(char *out, const uint8_t a[16]);
/* aa:bb:cc:dd:ee:ff */
size_t dl_fmt_mac(char *out, const uint8_t m[6]);
/* What JavaScript's new Date(sec * 1000).toISOString().slice(0, 19) gives: the UTC date and time
 * of a capture second (years outside 0..9999 in the six-digit signed form, cut at 19
 * characters as slice cuts it). Returns the length, or -1 where Date would be invalid
 * (|sec * 1000| > 8.64e15) and toISOString would throw. */
int dl_fmt_iso_seconds(char *out, int64_t sec);
/* Whether dl_fmt_iso_seconds can write sec. */
#define DL_FMT_ISO_MAX_SEC 8640000000000LL
static inline bool dl_fmt_time_ok(int64_t sec) { return sec <= DL_FMT_ISO_MAX_SEC && sec >= -DL_FMT_ISO_MAX_SEC; }
/* JSON.stringify of the n-byte text s (quotes included): " and \ escaped, \b \f \n \r \t, other
 * control characters as \u00xx; other bytes as they are. out needs 6 * n + 2 bytes. */
size_t dl_json_string(char *out, const char *s, size_t n);

/* A JSON text fragment as TypeScript made it (escaped, ready to copy). len 0: none. */
struct dl_frag {
	char *s;
	uint32_t len;
};

#define DL_FLOW_POINTS 13   /* enum dl_point values 1..12 (0 unused) */
#define DL_FLOW_VERDICTS 9  /* enum dl_verdict values 0..8 */

/* Formats events as flows.jsonl lines. Fill the names with the setters (copies are kept). */
struct dl_flow_fmt {
	uint32_t n_hosts;
	struct dl_frag *host;    /* per host: "node_name":…,"host":…,"host_kind":…,  (node_name only where set) */
	struct dl_frag *peer;    /* per host: "peer":…, */
	struct dl_frag point[DL_FLOW_POINTS];     /* "trace_observation_point":…,"point":…, */
	struct dl_frag verdict[DL_FLOW_VERDICTS]; /* "verdict":…,"action":…, */
	struct dl_frag *drop;    /* by |code|: "drop_reason_desc":…,"drop_reason_name":…[,"drop_reason_text":…], */
	uint32_t n_drop;
	struct dl_frag *backend; /* by backend id: {"id":…,"pod":…,"address":…,"port":…} */
	uint32_t n_backend;
	size_t max_frag;         /* the longest fragment, for reserving room per line */
	/* caches: the time prefix of the last second, the frame part of the last frame */
	bool have_sec;
	int64_t last_sec;
	int last_prefix_len;
	char last_prefix[DL_FMT_ISO_MAX + 1];
	bool have_frame;
	uint32_t frame_off, frame_len;
	struct dl_buf frame_text;
};

#define DL_FLOW_DROP_MAX 65536u     /* drop codes with a name: |code| below this */
#define DL_FLOW_BACKEND_MAX (1u << 24) /* backend ids with a name: below this */

/* 0, or -1 (no memory). */
int dl_flow_fmt_init(struct dl_flow_fmt *f, uint32_t n_hosts);
void dl_flow_fmt_free(struct dl_flow_fmt *f);
/* Each returns 0, or -1 (index out of range, or no memory). */
int dl_flow_fmt_set_host(struct dl_flow_fmt *f, uint32_t host, const char *frag, size_t len, const char *peer, size_t peer_len);
int dl_flow_fmt_set_point(struct dl_flow_fmt *f, uint32_t point, const char *frag, size_t len);
int dl_flow_fmt_set_verdict(struct dl_flow_fmt *f, uint32_t verdict, const char *frag, size_t len);
int dl_flow_fmt_set_drop(struct dl_flow_fmt *f, uint32_t code, const char *frag, size_t len);
int dl_flow_fmt_set_backend(struct dl_flow_fmt *f, uint32_t id, const char *frag, size_t len);

/* The frames of a new arena: forget the cached frame text. */
void dl_flow_fmt_new_arena(struct dl_flow_fmt *f);

#define DL_FLOW_ENOMEM (-1)
#define DL_FLOW_ETIME (-2)  /* the event's time is one JavaScript's Date cannot show */
#define DL_FLOW_EEVENT (-3) /* point or verdict out of range, or the frame outside the arena */

/* Appends event e's line (with its newline) to out; e's frame is arena[e->off, e->off + e->len)
 * of an arena holding arena_len bytes. Returns 0 or a DL_FLOW_E* code (out unchanged). */
int dl_flow_fmt_line(struct dl_flow_fmt *f, struct dl_buf *out, const struct dl_event *e, const uint8_t *arena,
		     size_t arena_len);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_REPLAY_FLOWS_H */
