/* ctx.c: the room-changing calls of ctx.h. */
#include "dsrlab/ctx.h"

int dl_ctx_load(struct dl_ctx *c, uint8_t *buf, uint32_t cap, const uint8_t *frame, uint32_t len)
{
	uint32_t head;

	if (len > cap)
		return -1;
	head = cap - len < DL_CTX_HEADROOM ? cap - len : DL_CTX_HEADROOM;
	c->buf = buf;
	c->cap = cap;
	c->off = head;
	c->len = len;
	if (len && frame)
		memmove(buf + head, frame, len);
	return 0;
}

int dl_ctx_adjust_head(struct dl_ctx *c, int32_t delta)
{
	if (delta < 0) {
		uint32_t grow = (uint32_t)(-(int64_t)delta);
		if (grow > c->off)
			return -1;
		c->off -= grow;
		c->len += grow;
		memset(c->buf + c->off, 0, grow);
		return 0;
	}
	if ((uint32_t)delta > c->len)
		return -1;
	c->off += (uint32_t)delta;
	c->len -= (uint32_t)delta;
	return 0;
}

int dl_ctx_insert(struct dl_ctx *c, uint32_t at, uint32_t n)
{
	if (at > c->len || n > c->off)
		return -1;
	memmove(c->buf + c->off - n, c->buf + c->off, at);
	c->off -= n;
	c->len += n;
	memset(c->buf + c->off + at, 0, n);
	return 0;
}

int dl_ctx_remove(struct dl_ctx *c, uint32_t at, uint32_t n)
{
	if (at > c->len || n > c->len - at)
		return -1;
	memmove(c->buf + c->off + n, c->buf + c->off, at);
	c->off += n;
	c->len -= n;
	return 0;
}
