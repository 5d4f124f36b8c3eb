/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include "kimp/metrics.h"
#include "../testutil.h"

TENV_SEG_FIXTURE("met", 4 << 20)

TestSuite(hist, .init = setup, .fini = teardown);
TestSuite(metrics, .init = setup, .fini = teardown);

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Log-uniform between 1 ns and ~17 s, with a dense cluster near 300 ns. */
static uint64_t sample(uint64_t *s)
{
	uint64_t r = xorshift(s);

	if (r % 3 == 0)
		return 250 + (r >> 8) % 100;
	return (uint64_t)exp2((double)((r >> 11) % 34000) / 1000.0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(hist, buckets_cover_every_value_within_one_64th)
{
	uint64_t s = 88172645463325252ull;

	for (uint32_t i = 0; i + 1 < SHM_HIST_BUCKETS; i++)
		cr_assert_eq(shm_hist_bucket_high(i) + 1, shm_hist_bucket_low(i + 1),
			     "bucket %u and %u are adjacent", i, i + 1);
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = xorshift(&s) >> (xorshift(&s) % 64);
		if (v >= (1ull << SHM_HIST_MAX_BITS))
			continue;
		uint32_t b = shm_hist_index(v);
		uint64_t lo = shm_hist_bucket_low(b), hi = shm_hist_bucket_high(b);
		cr_assert(lo <= v && v <= hi, "%llu in [%llu, %llu]", (unsigned long long)v,
			  (unsigned long long)lo, (unsigned long long)hi);
		cr_assert_leq(hi - lo, v / 64, "bucket width for %llu", (unsigned long long)v);
	}
	cr_assert_eq(shm_hist_index(UINT64_MAX), SHM_HIST_BUCKETS - 1, "clamped");
}

Test(hist, percentiles_agree_with_exact_within_bucket_precision)
{
	enum { N = 1000000 };
	uint64_t *v = malloc(N * sizeof(*v)), s = 0x2545f4914f6cdd1dull;
	struct shm_hist *h;
	struct shm_hist_snap *snap = malloc(sizeof(*snap));
	const double qs[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999 };
	struct shm_metrics *m;

	cr_assert(v && snap);
	cr_assert_eq(shm_metrics_create(&seg, "m", "test", 4, 4, 4, &m), 0);
	h = shm_metrics_hist(m, "lat");
	cr_assert_not_null(h);
	for (int i = 0; i < N; i++) {
		v[i] = sample(&s);
		shm_hist_record(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	shm_hist_snapshot(h, snap);
	cr_assert_eq(snap->count, N);
	cr_assert_eq(snap->min, v[0]);
	cr_assert_eq(snap->max, v[N - 1]);
	cr_assert_eq(shm_hist_quantile(snap, 1.0), v[N - 1], "max is exact");
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(qs); i++) {
		size_t rank = (size_t)ceil(qs[i] * N);
		uint64_t exact = v[rank - 1], got = shm_hist_quantile(snap, qs[i]);
		cr_assert(got >= exact && got - exact <= exact / 64,
			  "q%g: histogram %llu, exact %llu", qs[i], (unsigned long long)got,
			  (unsigned long long)exact);
	}
	free(v);
	free(snap);
}

Test(hist, merge_equals_recording_both)
{
	struct shm_metrics *m;
	struct shm_hist *a, *b, *both;
	struct shm_hist_snap *sa = malloc(sizeof(*sa)), *sb = malloc(sizeof(*sb)),
			     *sboth = malloc(sizeof(*sboth));
	uint64_t s = 42;

	cr_assert(sa && sb && sboth);
	cr_assert_eq(shm_metrics_create(&seg, "m", "test", 4, 4, 4, &m), 0);
	a = shm_metrics_hist(m, "a");
	b = shm_metrics_hist(m, "b");
	both = shm_metrics_hist(m, "both");
	for (int i = 0; i < 100000; i++) {
		uint64_t x = sample(&s);
		shm_hist_record(i % 3 ? a : b, x);
		shm_hist_record(both, x);
	}
	shm_hist_snapshot(a, sa);
	shm_hist_snapshot(b, sb);
	shm_hist_snapshot(both, sboth);
	shm_hist_merge(sa, sb);
	cr_assert_eq(memcmp(sa, sboth, sizeof(*sa)), 0);
	shm_hist_snap_clear(sb);
	cr_assert_eq(shm_hist_quantile(sb, 0.5), 0, "empty");
	free(sa);
	free(sb);
	free(sboth);
}

Test(hist, read_from_another_process)
{
	struct shm_metrics *m;
	struct shm_hist *h;
	struct shm_hist_snap *snap = malloc(sizeof(*snap));
	pid_t pid;

	cr_assert_not_null(snap);
	cr_assert_eq(shm_metrics_create(&seg, "m", "child", 4, 4, 4, &m), 0);
	h = shm_metrics_hist(m, "lat");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (uint64_t i = 1; i <= 1000; i++)
			shm_hist_record(h, i * 1000);
		_exit(0);
	}
	cr_assert_eq(test_wait_child(pid), 0);
	shm_hist_snapshot(h, snap);
	cr_assert_eq(snap->count, 1000);
	cr_assert_eq(snap->sum, 1000ull * 1001 / 2 * 1000);
	uint64_t p50 = shm_hist_quantile(snap, 0.5);
	cr_assert(p50 >= 500000 && p50 <= 500000 + 500000 / 64, "p50 %llu",
		  (unsigned long long)p50);
	free(snap);
}

Test(metrics, counters_gauges_survive_a_restart)
{
	struct shm_metrics *m, *again;
	_Atomic uint64_t *c;
	_Atomic int64_t *g;

	cr_assert_eq(shm_metrics_create(&seg, "feedd", "feedd", 8, 8, 2, &m), 0);
	shm_metrics_claim(m);
	cr_assert_eq(m->pid, getpid());
	c = shm_metrics_counter(m, "md.frames");
	g = shm_metrics_gauge(m, "md.books_live");
	cr_assert(c && g);
	shm_counter_add(c, 41);
	shm_counter_add(c, 1);
	shm_gauge_set(g, -3);
	/* a restarted writer finds the same slots and values */
	cr_assert_eq(shm_metrics_lookup(&seg, "feedd", &again), 0);
	cr_assert_eq(shm_metrics_counter(again, "md.frames"), c);
	cr_assert_eq(*shm_metrics_counter(again, "md.frames"), 42);
	cr_assert_eq(*shm_metrics_gauge(again, "md.books_live"), -3);
	cr_assert_eq(again->ncounters, 1, "not registered twice");
	cr_assert_str_eq(shm_metrics_counter_name(again, 0), "md.frames");
	cr_assert_eq(*shm_metrics_counter_at(again, 0), 42);
	cr_assert_str_eq(shm_metrics_gauge_name(again, 0), "md.books_live");
}

Test(metrics, full_tables_and_long_names_return_null)
{
	struct shm_metrics *m;
	char name[64];

	cr_assert_eq(shm_metrics_create(&seg, "small", "x", 2, 1, 1, &m), 0);
	cr_assert_not_null(shm_metrics_counter(m, "a"));
	cr_assert_not_null(shm_metrics_counter(m, "b"));
	cr_assert_null(shm_metrics_counter(m, "c"));
	cr_assert_not_null(shm_metrics_counter(m, "a"), "existing names still resolve");
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	cr_assert_null(shm_metrics_gauge(m, name));
	cr_assert_not_null(shm_metrics_hist(m, "h"));
	cr_assert_null(shm_metrics_hist(m, "h2"));
	cr_assert_str_eq(shm_metrics_hist_name(m, 0), "h");
}

Test(metrics, lookup_rejects_other_regions)
{
	struct shm_metrics *m;
	void *raw;

	cr_assert_eq(shm_region_add(&seg, "raw", 4096, SHM_REGION_RAW, &raw), 0);
	cr_assert_eq(shm_metrics_lookup(&seg, "raw", &m), -EPROTO);
	cr_assert_eq(shm_metrics_lookup(&seg, "none", &m), -ENOENT);
}
