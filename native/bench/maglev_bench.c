/* maglev_bench.c: timing program (not a test) for the Maglev table builder in maglev.c, at the
 * sizes Cilium's Go builder was timed at (N=100/M=16381, N=1000/M=65521, N=1000/M=131071).
 * Correctness is checked by native/test/test_maglev.c, not here.
 *
 * Build and run from the repo root (not part of the CMake build):
 *   cc -std=c11 -O2 -Inative/include native/bench/maglev_bench.c native/src/maglev.c \
 *      native/src/murmur3.c -o /tmp/maglev_bench && /tmp/maglev_bench
 */
#include "dsrlab/maglev.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define RUNS 41

static void bench(uint32_t n, uint32_t m, uint16_t weight, double go_ms)
{
	char (*hs)[DL_MAGLEV_HASH_STRING_MAX] = calloc(n, sizeof(*hs));
	struct dl_maglev_backend_desc *desc = calloc(n, sizeof(*desc));
	struct dl_maglev_backend *be = calloc(n, sizeof(*be));
	size_t need = dl_maglev_build_bufsize(n, m);
	void *buf = malloc(need);
	double t_build[RUNS], t_all[RUNS];
	char err[256];
	unsigned long long sink = 0;

	if (!hs || !desc || !be || !buf) {
		printf("out of memory\n");
		exit(1);
	}
	/* Pod backends 10.244.x.y:8080/TCP, like the reference vectors. */
	for (uint32_t i = 0; i < n; i++) {
		desc[i] = (struct dl_maglev_backend_desc){ .family = 4, .l4 = DL_MAGLEV_L4_TCP, .port = 8080 };
		desc[i].addr[0] = 10;
		desc[i].addr[1] = 244;
		desc[i].addr[2] = (uint8_t)(i / 250);
		desc[i].addr[3] = (uint8_t)(2 + i % 250);
	}
	for (int r = 0; r < RUNS + 3; r++) {
		struct dl_maglev_table t;
		double t0 = now_ms();
		/* Format every hash string, then build (into a reused caller buffer). */
		for (uint32_t i = 0; i < n; i++) {
			int len = dl_maglev_backend_hash_string(&desc[i], hs[i], sizeof(hs[i]));
			be[i] = (struct dl_maglev_backend){ hs[i], (size_t)len, weight };
		}
		double t1 = now_ms();
		if (dl_maglev_build(be, n, m, 0x24b7ef82u, buf, need, &t, err, sizeof(err)) != 0) {
			printf("build failed: %s\n", err);
			exit(1);
		}
		double t2 = now_ms();
		sink += t.entry[r % m];
		if (r >= 3) { /* 3 warm-up runs */
			t_build[r - 3] = t2 - t1;
			t_all[r - 3] = t2 - t0;
		}
	}
	/* One malloc-mode build, for the record. */
	struct dl_maglev_table tm;
	double t0 = now_ms();
	int rc = dl_maglev_build(be, n, m, 0x24b7ef82u, NULL, 0, &tm, err, sizeof(err));
	double t_malloc = now_ms() - t0;
	if (rc == 0)
		sink += tm.entry[0];
	dl_maglev_table_free(&tm);

	qsort(t_build, RUNS, sizeof(double), cmp_double);
	qsort(t_all, RUNS, sizeof(double), cmp_double);
	printf("N=%-5u M=%-6u weight=%-3u  build: min %.3f ms, median %.3f ms | with formatting: median %.3f ms"
	       " | malloc mode: %.3f ms | Go %.1f ms -> %.0fx faster (median)  [buffer %zu KiB]\n",
	       n, m, weight, t_build[0], t_build[RUNS / 2], t_all[RUNS / 2], t_malloc, go_ms,
	       go_ms / t_all[RUNS / 2], need / 1024);
	if (sink == 42)
		printf(" ");
	free(hs);
	free(desc);
	free(be);
	free(buf);
}

int main(void)
{
	bench(100, 16381, 100, 2.8);
	bench(1000, 65521, 100, 97);
	bench(1000, 131071, 100, 192);
	bench(100, 16381, 1, 2.8);
	bench(1000, 65521, 1, 97);
	bench(1000, 131071, 1, 192);
	return 0;
}
