/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "kimp/backoff.h"

TestSuite(backoff);

#define MS 1000000ull
#define SEC 1000000000ull

static const struct net_backoff_conf conf = {
	.base_ns = 100 * MS,
	.cap_ns = 30 * SEC,
	.stable_ns = 10 * SEC,
	.budget = 5,
	.window_ns = 60 * SEC,
};

static void init(struct net_backoff *b, const struct net_backoff_conf *c, uint64_t seed)
{
	cr_assert_eq(net_backoff_init(b, c, seed), 0);
}

Test(backoff, bad_conf_rejected)
{
	struct net_backoff b;
	struct net_backoff_conf c = conf;

	c.base_ns = 0;
	cr_expect_eq(net_backoff_init(&b, &c, 1), -EINVAL, "zero base");
	c = conf;
	c.cap_ns = c.base_ns - 1;
	cr_expect_eq(net_backoff_init(&b, &c, 1), -EINVAL, "cap below base");
	c = conf;
	c.budget = NET_BACKOFF_BUDGET_MAX + 1;
	cr_expect_eq(net_backoff_init(&b, &c, 1), -EINVAL, "budget too large");
	c.budget = NET_BACKOFF_BUDGET_MAX;
	c.window_ns = 0;
	cr_expect_eq(net_backoff_init(&b, &c, 1), 0);
	cr_expect_eq(b.c.window_ns, NET_BACKOFF_WINDOW_DEFAULT, "window defaults to a minute");
}

Test(backoff, ceiling_doubles_then_caps)
{
	struct net_backoff b;
	uint64_t now = 1000 * SEC;

	uint64_t expect = conf.base_ns;

	init(&b, &conf, 42);
	for (uint32_t i = 0; i < 200; i++, expect = expect * 2 > conf.cap_ns ? conf.cap_ns
								   : expect * 2) {
		cr_assert_eq(net_backoff_attempts(&b), i);
		cr_assert_eq(net_backoff_ceiling(&b), expect, "attempt %u: %llu", i,
			     (unsigned long long)net_backoff_ceiling(&b));
		uint64_t at = net_backoff_down(&b, now);

		cr_assert_geq(at, now);
		cr_assert_leq(at - now, expect, "attempt %u: delay %llu over ceiling %llu", i,
			      (unsigned long long)(at - now), (unsigned long long)expect);
	}
	/* 100 ms * 2^8 = 25.6 s is the last step under the 30 s cap */
	b.attempt = 8;
	cr_expect_eq(net_backoff_ceiling(&b), 25600 * MS);
	b.attempt = 9;
	cr_expect_eq(net_backoff_ceiling(&b), conf.cap_ns);
	b.attempt = UINT32_MAX;
	cr_expect_eq(net_backoff_ceiling(&b), conf.cap_ns, "no shift overflow");
	net_backoff_down(&b, now);
	cr_expect_eq(net_backoff_attempts(&b), UINT32_MAX, "count saturates");
}

Test(backoff, full_jitter_covers_the_range)
{
	struct net_backoff b;
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
	unsigned buckets[10] = {0};
	const unsigned n = 100000;

	init(&b, &conf, 7);
	b.attempt = 3; /* ceiling 800 ms */
	for (unsigned i = 0; i < n; i++) {
		uint64_t d = net_backoff_delay(&b);

		cr_assert_leq(d, 800 * MS);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
		buckets[d * 10 / (800 * MS + 1)]++;
	}
	cr_expect_eq(net_backoff_attempts(&b), 3, "delay() does not count");
	/* full jitter: from (nearly) zero to (nearly) the ceiling, mean half */
	cr_expect_lt(lo, 1 * MS, "min %llu", (unsigned long long)lo);
	cr_expect_gt(hi, 799 * MS, "max %llu", (unsigned long long)hi);
	cr_expect_lt(llabs((long long)(sum / n) - (long long)(400 * MS)), (long long)(8 * MS),
		     "mean %llu", (unsigned long long)(sum / n));
	for (unsigned i = 0; i < 10; i++)
		cr_expect(buckets[i] > n / 10 * 9 / 10 && buckets[i] < n / 10 * 11 / 10,
			  "bucket %u has %u", i, buckets[i]);
}

Test(backoff, rand_bounds_are_inclusive)
{
	struct net_backoff b;
	bool seen[4] = {false};

	init(&b, &conf, 3);
	for (int i = 0; i < 1000; i++) {
		uint64_t r = net_backoff_rand(&b, 3);

		cr_assert_leq(r, 3);
		seen[r] = true;
	}
	cr_expect(seen[0] && seen[1] && seen[2] && seen[3]);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(net_backoff_rand(&b, 0), 0);
	(void)net_backoff_rand(&b, UINT64_MAX);
}

Test(backoff, fixed_seed_is_deterministic)
{
	struct net_backoff a, b, c;
	uint64_t now = 5 * SEC;
	bool differs = false;

	init(&a, &conf, 0x1234);
	init(&b, &conf, 0x1234);
	init(&c, &conf, 0x1235);
	for (int i = 0; i < 50; i++) {
		uint64_t x = net_backoff_down(&a, now), y = net_backoff_down(&b, now);
		uint64_t z = net_backoff_down(&c, now);

		cr_assert_eq(x, y, "step %d", i);
		differs |= x != z;
	}
	cr_expect(differs, "another seed, another sequence");
}

Test(backoff, reset_after_stable_period_not_before)
{
	struct net_backoff b;
	uint64_t t = 100 * SEC;

	init(&b, &conf, 9);
	for (int i = 0; i < 6; i++)
		net_backoff_down(&b, t);
	cr_assert_eq(net_backoff_attempts(&b), 6);

	/* up for one ns less than the stable period: still backing off */
	net_backoff_up(&b, t);
	t += conf.stable_ns - 1;
	net_backoff_down(&b, t);
	cr_expect_eq(net_backoff_attempts(&b), 7, "flapping keeps growing");

	/* up for exactly the stable period: starts over from base */
	net_backoff_up(&b, t);
	t += conf.stable_ns;
	uint64_t at = net_backoff_down(&b, t);

	cr_expect_eq(net_backoff_attempts(&b), 1, "reset, then this failure counted");
	cr_expect_leq(at - t, conf.base_ns, "first delay after a reset is within base");

	/* a failed attempt (never up) never resets */
	t += 1000 * SEC;
	net_backoff_down(&b, t);
	cr_expect_eq(net_backoff_attempts(&b), 2);
}

Test(backoff, budget_blocks_then_allows_after_a_minute)
{
	struct net_backoff b;
	uint64_t t0 = 3600 * SEC, retry = 0;

	init(&b, &conf, 1);
	for (uint32_t i = 0; i < conf.budget; i++)
		cr_assert_eq(net_backoff_attempt(&b, t0 + i * SEC, &retry), 0, "attempt %u", i);
	/* the 6th within the minute is refused, and told when */
	cr_assert_eq(net_backoff_attempt(&b, t0 + 10 * SEC, &retry), -EAGAIN);
	cr_expect_eq(retry, t0 + 60 * SEC, "when the first attempt leaves the window");
	cr_expect_eq(net_backoff_budget_next(&b, t0 + 59 * SEC), t0 + 60 * SEC);
	cr_assert_eq(net_backoff_attempt(&b, t0 + 60 * SEC - 1, &retry), -EAGAIN,
		     "one ns early");
	cr_assert_eq(net_backoff_attempt(&b, t0 + 60 * SEC, NULL), 0, "allowed at a minute");
	/* the window slides: the next slot frees when the 2nd attempt ages out */
	cr_assert_eq(net_backoff_attempt(&b, t0 + 60 * SEC, &retry), -EAGAIN);
	cr_expect_eq(retry, t0 + 61 * SEC);
	cr_expect_eq(net_backoff_attempt(&b, t0 + 61 * SEC, NULL), 0);
}

Test(backoff, down_respects_the_budget)
{
	struct net_backoff b;
	uint64_t t = 50 * SEC;

	init(&b, &conf, 5);
	for (uint32_t i = 0; i < conf.budget; i++) {
		cr_assert_eq(net_backoff_attempt(&b, t, NULL), 0);
		net_backoff_down(&b, t);
	}
	/* five failures at t: the backoff says at most 1.6 s, the budget a minute */
	cr_expect_eq(net_backoff_down(&b, t), t + 60 * SEC);
}

Test(backoff, unlimited_budget)
{
	struct net_backoff b;
	struct net_backoff_conf c = conf;

	c.budget = 0;
	init(&b, &c, 5);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(net_backoff_attempt(&b, 7, NULL), 0);
	cr_expect_eq(net_backoff_budget_next(&b, 7), 7);
}
