/* SPDX-License-Identifier: MIT */
/*
 * Cost of single libshm hot-path operations, in one thread: a TSC read, a
 * counter add, a histogram record, a seqlock write and read, a ring
 * push + pop. clock_gettime(CLOCK_MONOTONIC) is measured in the same run as
 * the reference. Each figure is the median over rounds of (TSC ticks for N
 * operations) / N, converted with the segment's calibration.
 *
 * Usage: ops_bench [--ci] [--json PATH]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/seqlock.h"

#define MAX_ROUNDS 15

/* Each iteration really does its operation: no merging across iterations. */
#define barrier() __asm__ __volatile__("" ::: "memory")

struct ctx {
	struct shm_seg seg;
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	struct shm_seqtab *t;
	struct shm_hist *h;
	_Atomic uint64_t *ctr;
	uint64_t sink;
};

typedef void (*op_fn)(struct ctx *x, uint64_t n);

static void op_clock(struct ctx *x, uint64_t n)
{
	struct timespec ts;

	for (uint64_t i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x->sink += (uint64_t)ts.tv_nsec;
	}
}

static void op_rdtsc(struct ctx *x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		x->sink += kimp_rdtsc();
		barrier();
	}
}

static void op_counter(struct ctx *x, uint64_t n)
{
	_Atomic uint64_t *c = x->ctr;

	for (uint64_t i = 0; i < n; i++) {
		shm_counter_add(c, 1);
		barrier();
	}
}

static void op_hist(struct ctx *x, uint64_t n)
{
	struct shm_hist *h = x->h;
	uint64_t v = 12345;

	/* spread over buckets like real latencies would */
	for (uint64_t i = 0; i < n; i++) {
		v = v * 6364136223846793005ull + 1442695040888963407ull;
		shm_hist_record(h, 100 + (v >> 52));
		barrier();
	}
}

static void op_seq_write(struct ctx *x, uint64_t n)
{
	uint64_t rec[7] = { 0 };

	for (uint64_t i = 0; i < n; i++) {
		rec[0] = i;
		shm_seqtab_write(x->t, 0, rec);
		barrier();
	}
}

static void op_seq_read(struct ctx *x, uint64_t n)
{
	uint64_t rec[7];

	for (uint64_t i = 0; i < n; i++) {
		if (shm_seqtab_read(x->t, 0, rec, 4) == 0)
			x->sink += rec[0];
		barrier();
	}
}

static void op_ring(struct ctx *x, uint64_t n)
{
	struct shm_ring_prod p = x->p;
	struct shm_ring_cons c = x->c;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t *slot = shm_ring_reserve(&p);
		if (kimp_unlikely(!slot))
			abort(); /* one in, one out: never full */
		slot[1] = i;
		shm_ring_publish(&p);
		const uint64_t *m = shm_ring_peek(&c);
		if (kimp_unlikely(!m))
			abort();
		x->sink += m[1];
		shm_ring_commit(&c);
	}
	x->p = p;
	x->c = c;
}

static const struct {
	const char *name;
	const char *what;
	op_fn fn;
} ops[] = {
	{ "clock_gettime", "reference: clock_gettime(CLOCK_MONOTONIC), vDSO", op_clock },
	{ "rdtsc", "kimp_rdtsc()", op_rdtsc },
	{ "counter_add", "shm_counter_add()", op_counter },
	{ "hist_record", "shm_hist_record()", op_hist },
	{ "seqlock_write", "shm_seqtab_write(), 56-byte record", op_seq_write },
	{ "seqlock_read", "shm_seqtab_read(), 56-byte record, uncontended", op_seq_read },
	{ "ring_push_pop", "reserve + publish + peek + commit, one thread", op_ring },
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int setup(struct ctx *x)
{
	struct shm_opts o;
	struct shm_metrics *m;
	struct shm_ring *r;
	char name[32];

	shm_opts_default(&o);
	o.allow_hugetlbfs = false;
	snprintf(name, sizeof(name), "bench-ops-%d", getpid());
	if (shm_seg_create(&x->seg, name, 2 << 20, &o) ||
	    shm_ring_create(&x->seg, "r", 64, 1024, 0, NULL, &r) ||
	    shm_ring_producer(r, &x->p) || shm_ring_consumer(r, &x->c) ||
	    shm_seqtab_create(&x->seg, "t", 56, 1, &x->t) ||
	    shm_metrics_create(&x->seg, "m", "bench", 4, 4, 4, &m)) {
		fprintf(stderr, "ops_bench: %s\n", shm_last_error());
		return -1;
	}
	x->ctr = shm_metrics_counter(m, "c");
	x->h = shm_metrics_hist(m, "h");
	shm_seg_remove(name, &o); /* the mapping stays until exit */
	return 0;
}

int main(int argc, char **argv)
{
	const char *json = NULL;
	unsigned rounds = 9;
	uint64_t n = 20000000;
	struct ctx x;
	double med[KIMP_ARRAY_SIZE(ops)];
	FILE *f;

	memset(&x, 0, sizeof(x));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ci")) {
			rounds = 5;
			n = 2000000;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else {
			fprintf(stderr, "usage: ops_bench [--ci] [--json PATH]\n");
			return 2;
		}
	}
	if (setup(&x))
		return 1;
	const struct kimp_tsc_cal *cal = shm_seg_tsc(&x.seg);

	printf("libshm operation costs, one thread, median of %u rounds of %llu ops\n",
	       rounds, (unsigned long long)n);
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(ops); k++) {
		double per[MAX_ROUNDS];
		ops[k].fn(&x, n / 10); /* warm up */
		for (unsigned r = 0; r < rounds; r++) {
			uint64_t t0 = kimp_rdtsc();
			ops[k].fn(&x, n);
			uint64_t t1 = kimp_rdtscp();
			per[r] = (double)kimp_tsc_to_ns_delta(cal, t1 - t0) / (double)n;
		}
		qsort(per, rounds, sizeof(per[0]), cmp_double);
		med[k] = per[rounds / 2];
		printf("  %-14s %7.2f ns/op   (%.2f .. %.2f)  %s\n", ops[k].name, med[k], per[0],
		       per[rounds - 1], ops[k].what);
	}
	printf("  hist_record / clock_gettime = %.2f\n", med[3] / med[0]);
	if (json) {
		f = fopen(json, "w");
		if (!f) {
			fprintf(stderr, "ops_bench: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(f, "{\n  \"bench\": \"ops\",\n  \"rounds\": %u,\n  \"ops_per_round\": %llu,\n"
			"  \"tsc_hz\": %llu,\n  \"ns_per_op_median\": {", rounds,
			(unsigned long long)n, (unsigned long long)cal->tsc_hz);
		for (size_t k = 0; k < KIMP_ARRAY_SIZE(ops); k++)
			fprintf(f, "%s\n    \"%s\": %.3f", k ? "," : "", ops[k].name, med[k]);
		fprintf(f, "\n  },\n  \"sink\": %llu\n}\n", (unsigned long long)(x.sink & 1));
		fclose(f);
	}
	return 0;
}
