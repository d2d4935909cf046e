/* fuzz_capture.c: libFuzzer target for the capture reader in capture.c. The input's first byte
 * picks where the rest (a capture file) is split into two reads; the packets themselves are
 * fuzzed by the codec target, not here. Each fed buffer is an exact-size allocation, so a
 * read past the bytes the reader was given is an ASan report.
 *   Seeds (one split byte, then a capture) are in corpus/capture; new units go to the first
 *   directory named, so keep that one outside the tree:
 *   ./fuzz_capture -dict=native/fuzz/fuzz_capture.dict /tmp/cap-corpus native/fuzz/corpus/capture */
#include "dsrlab/capture.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replace *buf with an exact-size copy of a + b (either may be empty). */
static uint8_t *join(uint8_t *old, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t *nb = malloc(alen + blen ? alen + blen : 1);

	if (!nb)
		abort();
	if (alen)
		memcpy(nb, a, alen);
	if (blen)
		memcpy(nb + alen, b, blen);
	free(old);
	return nb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dl_cap_reader r;
	struct dl_cap_record recs[3];
	uint8_t *buf = NULL;
	size_t blen = 0, split, reads = 0, calls = 0;
	uint64_t off = 0;
	volatile uint8_t sink = 0;
	bool read_more = true;

	if (size == 0)
		return 0;
	split = (size_t)data[0] * (size - 1) / 255;
	data++;
	size--;
	dl_cap_init(&r);
	for (;;) {
		size_t n = 0, used = 0;
		int rc, eof;

		if (read_more && reads < 2) {
			const uint8_t *chunk = reads == 0 ? data : data + split;
			size_t clen = reads == 0 ? split : size - split;

			buf = join(buf, buf, blen, chunk, clen);
			blen += clen;
			reads++;
		}
		eof = reads == 2;
		rc = dl_cap_feed(&r, buf, blen, off, eof, recs, DL_ARRAY_SIZE(recs), &n, &used);
		if (used > blen || n > DL_ARRAY_SIZE(recs) || ++calls > size + 16)
			abort();
		for (size_t i = 0; i < n; i++) {
			if (recs[i].buf_off > used || recs[i].caplen > used - recs[i].buf_off ||
			    recs[i].file_off != off + recs[i].buf_off || recs[i].ts_nsec >= 1000000000u)
				abort();
			if (recs[i].caplen) /* touch the first and last packet byte */
				sink ^= buf[recs[i].buf_off] ^ buf[recs[i].buf_off + recs[i].caplen - 1];
		}
		buf = join(buf, buf + used, blen - used, NULL, 0);
		blen -= used;
		off += used;
		if (rc == DL_CAP_END) {
			if (blen != 0 || off != size)
				abort();
			break;
		}
		if (rc == DL_CAP_ERR) {
			if (!memchr(r.err, 0, sizeof(r.err)) || !r.err[0])
				abort();
			break;
		}
		if (rc == DL_CAP_NEED_MORE) {
			if (eof || r.need <= blen)
				abort();
			read_more = true;
		} else if (rc == DL_CAP_OK) {
			if (n != DL_ARRAY_SIZE(recs))
				abort();
			read_more = false;
		} else {
			abort();
		}
	}
	(void)sink;
	dl_cap_free(&r);
	free(buf);
	return 0;
}
