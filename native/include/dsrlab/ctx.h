/* ctx.h: the packet context every hook works on, XDP-style: the bytes of one Ethernet frame
 * in a buffer with headroom, and the room-changing calls real eBPF has (adjust head, open or
 * close room inside the packet). Parsing is codec.h's job: after any call here that moves
 * bytes, callers re-parse (Cilium's revalidate_data) before touching headers again. */
#ifndef DSRLAB_CTX_H
#define DSRLAB_CTX_H

#include "dsrlab/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room kept in front of a packet for encapsulation (outer Ethernet + IPv6 + UDP + Geneve +
 * options fits with space to spare). */
#define DL_CTX_HEADROOM 256u
/* Largest frame the emulation carries (a 64 KiB IP packet plus headers). */
#define DL_CTX_MAX_FRAME (65535u + DL_CTX_HEADROOM)

struct dl_ctx {
	uint8_t *buf;  /* storage, owned by the caller */
	uint32_t cap;  /* bytes of storage */
	uint32_t off;  /* the frame starts at buf + off */
	uint32_t len;  /* bytes of frame */
};

static inline uint8_t *dl_ctx_data(const struct dl_ctx *c) { return c->buf + c->off; }
static inline uint32_t dl_ctx_len(const struct dl_ctx *c) { return c->len; }

/* Points ctx at storage buf[0, cap) and copies the len-byte frame in after DL_CTX_HEADROOM
 * (less when cap is tight). Returns 0, or -1 when the frame does not fit. */
int dl_ctx_load(struct dl_ctx *c, uint8_t *buf, uint32_t cap, const uint8_t *frame, uint32_t len);

/* bpf_xdp_adjust_head: a negative delta adds -delta bytes (uninitialised; zeroed here) in front
 * of the frame, a positive one removes delta bytes from its front.
 * Returns 0, or -1 when there is not enough headroom or frame. */
int dl_ctx_adjust_head(struct dl_ctx *c, int32_t delta);

/* Opens n zero bytes at offset at of the frame, moving the at bytes before it towards the
 * front (as bpf_skb_adjust_room with BPF_ADJ_ROOM_NET moves the MAC and network headers), so
 * the bytes after it stay in place. Returns 0, or -1 (at > len, or not enough headroom). */
int dl_ctx_insert(struct dl_ctx *c, uint32_t at, uint32_t n);

/* Removes n bytes at offset at, moving the bytes before them back. Returns 0, or -1. */
int dl_ctx_remove(struct dl_ctx *c, uint32_t at, uint32_t n);

#ifdef __cplusplus
}
#endif
#endif /* DSRLAB_CTX_H */
