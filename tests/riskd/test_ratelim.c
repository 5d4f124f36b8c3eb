/* SPDX-License-Identifier: MIT */
/*
 * riskd's order-rate windows (riskd/ratelim.c): counts, the window's edge,
 * a property (whatever the arrival times, the orders let through never
 * exceed the limit over any sliding window), and the journal.
 */
#include <stdlib.h>
#include "rtest.h"

TestSuite(riskd_ratelim);

struct region {
	struct shm_undo u;
	struct kimp_risk_rate r;
};

Test(riskd_ratelim, counts_until_eleven_buckets_on)
{
	static struct region g;
	const uint64_t W = 1000000000ull, B = W / 10;
	uint64_t t0 = 123 * B + 7;

	cr_assert_eq(risk_window_ns(KIMP_RISK_W_SECOND), W);
	cr_assert_eq(risk_window_ns(KIMP_RISK_W_DAY), 86400000000000ull);
	cr_assert_eq(risk_window_ns(KIMP_RISK_WINDOWS), 0);
	cr_assert_eq(risk_rate_count(&g.r, W, t0), 0);
	risk_rate_add(&g.u, &g, &g.r, W, t0);
	risk_rate_add(&g.u, &g, &g.r, W, t0 + 1);
	shm_undo_commit(&g.u);
	cr_assert_eq(risk_rate_count(&g.r, W, t0), 2);
	/* counted for at least a whole window after it */
	cr_assert_eq(risk_rate_count(&g.r, W, t0 + W), 2);
	cr_assert_eq(risk_rate_count(&g.r, W, 134 * B - 1), 2);
	cr_assert_eq(risk_rate_count(&g.r, W, 134 * B), 0);
	/* buckets further on add up; old ones drop out as the window moves */
	risk_rate_add(&g.u, &g, &g.r, W, 130 * B);
	risk_rate_add(&g.u, &g, &g.r, W, 133 * B + 5);
	shm_undo_commit(&g.u);
	cr_assert_eq(risk_rate_count(&g.r, W, 133 * B + 5), 4);
	cr_assert_eq(risk_rate_count(&g.r, W, 134 * B), 2);
	cr_assert_eq(risk_rate_count(&g.r, W, 141 * B), 1);
	cr_assert_eq(risk_rate_count(&g.r, W, 144 * B), 0);
	/* a jump of many windows clears everything */
	risk_rate_add(&g.u, &g, &g.r, W, 10000 * B);
	shm_undo_commit(&g.u);
	cr_assert_eq(risk_rate_count(&g.r, W, 10000 * B), 1);
	/* an old time (a clock that stepped back) still sees the newest */
	cr_assert_eq(risk_rate_count(&g.r, W, 5 * B), 1);
}

Test(riskd_ratelim, never_more_than_the_limit_in_any_sliding_window)
{
	static struct region g;
	static uint64_t sent[20000];
	const uint64_t W = 60000000000ull, LIMIT = 7;
	uint64_t t = 5 * W, n = 0, s = 12345;

	for (int k = 0; k < 20000; k++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		t += (s >> 33) % (W / 5);
		if (risk_rate_count(&g.r, W, t) + 1 > LIMIT)
			continue;
		risk_rate_add(&g.u, &g, &g.r, W, t);
		shm_undo_commit(&g.u);
		sent[n++] = t;
	}
	cr_assert_gt(n, 100, "most windows let orders through");
	for (uint64_t a = 0, b = 0; b < n; b++) {
		while (sent[b] - sent[a] >= W)
			a++;
		cr_assert_leq(b - a + 1, LIMIT, "%llu orders within one window",
			      (unsigned long long)(b - a + 1));
	}
}

Test(riskd_ratelim, every_store_is_journaled)
{
	static struct region g, before;
	const uint64_t W = 1000000000ull, B = W / 10;

	for (uint64_t k = 0; k < 11; k++)
		risk_rate_add(&g.u, &g, &g.r, W, 100 * B + k * B);
	shm_undo_commit(&g.u);
	before = g;
	risk_rate_add(&g.u, &g, &g.r, W, 500 * B);
	cr_assert_eq(risk_rate_count(&g.r, W, 500 * B), 1);
	cr_assert_leq(atomic_load(&g.u.n), 13);
	shm_undo_recover(&g.u, &g, sizeof(g));
	cr_assert_eq(memcmp(&g.r, &before.r, sizeof(g.r)), 0);
}
