/* SPDX-License-Identifier: MIT */
/*
 * Rate buckets (orderd/rate.c) against a venue of our own (three rules and
 * a cost function, independent of the real venue tables): budgets at
 * their boundaries, window refill and the edge, all-or-nothing takes,
 * observations (used, left, in flight, stale replies after a refill), 429
 * backoff and Retry-After, 418 bans, connection costs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include "../../orderd/core.h"

/* A minute boundary (and so a 10 s and a 1 s one). */
#define T0 1700000040000ll
#define EDGE 5

enum { W = 0, O = 1, S = 2 };

static const struct vo_rate_rule fake_rules[] = {
	[W] = { .name = "WEIGHT", .scope = VO_RS_IP, .limit = 100, .window_ns = 60000000000ull },
	[O] = { .name = "ORDERS 10s", .scope = VO_RS_ACCOUNT, .limit = 10,
		.window_ns = 10000000000ull },
	[S] = { .name = "per second", .scope = VO_RS_ACCOUNT, .limit = 8,
		.window_ns = 1000000000ull },
};

static uint16_t fake_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	switch (op) {
	case VO_OP_PLACE:
		return 1;                              /* W, O and S */
	case VO_OP_CANCEL:
		return rule == O ? 0 : 1;              /* W and S */
	case VO_OP_QUERY:
		return rule == W ? (ch == VO_CH_WSAPI ? 2 : 4) : 0;
	case VO_OP_OPEN:
		return rule == W ? 40 : 0;
	default:
		return 0;                              /* KEEPALIVE etc.: free */
	}
}

static uint16_t fake_connect(enum vo_chan ch, unsigned rule)
{
	return ch == VO_CH_WSAPI && rule == W ? 2 : 0;
}

static const struct venue_ord fake = {
	.venue = KIMP_VENUE_SIM,
	.name = "fake",
	.rates = fake_rules,
	.nrates = 3,
	.cost = fake_cost,
	.connect_cost = fake_connect,
};

static struct orate o;
static struct kimp_ord_rate shared[KIMP_ORD_RATE_RULES];

static void init(double share)
{
	cr_assert_eq(orate_init(&o, &fake, shared, share, EDGE), 0);
}

/* Take op at now and answer it at once (no observation). */
static void ok(enum vo_op op, int64_t now)
{
	int64_t w = orate_take(&o, op, VO_CH_REST, now);

	cr_assert_eq(w, 0, "op %d at +%lld waits %lld", op, (long long)(now - T0), (long long)w);
	orate_observe(&o, &(struct vo_rate_obs){ 0 }, now);
}

static struct vo_rate_obs obs1(unsigned rule, bool left, uint32_t v)
{
	struct vo_rate_obs b = { .n = 1 };

	b.v[0].rule = (uint8_t)rule;
	b.v[0].is_left = left;
	b.v[0].value = v;
	return b;
}

Test(orate, init_budgets)
{
	init(0.9);
	cr_assert_eq(o.nrates, 3);
	cr_assert_eq(shared[W].limit, 100);
	cr_assert_eq(shared[W].budget, 90);
	cr_assert_eq(shared[O].budget, 9);
	cr_assert_eq(shared[S].budget, 7, "floor(7.2)");
	cr_assert_eq(shared[W].window_ns, 60000000000ull);
	cr_assert_eq(shared[3].limit, 0, "rules past nrates are cleared");
	init(0.29);
	cr_assert_eq(shared[W].budget, 29, "100 x 0.29 is 29, not 28");
	init(0.05);
	cr_assert_eq(shared[S].budget, 1, "at least 1");
	cr_assert_eq(shared[W].budget, 5);
	init(1.0);
	cr_assert_eq(shared[S].budget, 8);
}

Test(orate, init_errors)
{
	struct venue_ord v = fake;
	struct vo_rate_rule bad[3];

	cr_assert_eq(orate_init(&o, NULL, shared, 0.9, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, NULL, 0.9, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, 0, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, -0.5, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, 1.0000001, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, NAN, EDGE), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, 0.9, -1), -EINVAL);
	cr_assert_eq(orate_init(&o, &fake, shared, 0.9, 0), 0, "no edge is fine");
	v.nrates = KIMP_ORD_RATE_RULES + 1;
	cr_assert_eq(orate_init(&o, &v, shared, 0.9, EDGE), -EINVAL);
	memcpy(bad, fake_rules, sizeof(bad));
	bad[1].limit = 0;
	v.nrates = 3;
	v.rates = bad;
	cr_assert_eq(orate_init(&o, &v, shared, 0.9, EDGE), -EINVAL);
	bad[1].limit = 10;
	bad[2].window_ns = 999999;
	cr_assert_eq(orate_init(&o, &v, shared, 0.9, EDGE), -EINVAL);
	v.rates = fake_rules;
	v.cost = NULL;
	cr_assert_eq(orate_init(&o, &v, shared, 0.9, EDGE), -EINVAL);
}

Test(orate, exactly_the_budget_passes)
{
	/* S: 7 a second. 7 cancels pass, the 8th waits for the next second
	 * plus the edge */
	init(0.9);
	for (int i = 0; i < 7; i++)
		ok(VO_OP_CANCEL, T0 + 100 + i);
	cr_assert_eq(shared[S].used, 7);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 200), 1000 + EDGE - 200);
	cr_assert_eq(shared[S].denied, 1);
	cr_assert_eq(shared[S].used, 7, "nothing taken");
	cr_assert_eq(shared[W].used, 7, "nor on the other rule");
}

Test(orate, order_budget_over_seconds)
{
	/* O: 9 per 10 s, spread so S never binds */
	init(0.9);
	for (int i = 0; i < 9; i++)
		ok(VO_OP_PLACE, T0 + 100 + i * 1000);
	cr_assert_eq(shared[O].used, 9);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 9100), 10000 + EDGE - 9100);
	cr_assert_eq(shared[O].denied, 1);
	cr_assert_eq(shared[S].denied, 0);
	/* a cancel costs no order unit: it passes */
	ok(VO_OP_CANCEL, T0 + 9200);
}

Test(orate, refill_waits_for_the_edge)
{
	init(0.9);
	for (int i = 0; i < 7; i++)
		ok(VO_OP_CANCEL, T0 + 100);
	/* the venue's next second began, but our clock may be ahead of it */
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 1000), EDGE);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 1000 + EDGE - 1), 1);
	cr_assert_eq(shared[S].window_start_ms, T0, "not refilled yet");
	ok(VO_OP_CANCEL, T0 + 1000 + EDGE);
	cr_assert_eq(shared[S].window_start_ms, T0 + 1000);
	cr_assert_eq(shared[S].used, 1);
	/* W's minute is still the same */
	cr_assert_eq(shared[W].used, 8);
	cr_assert_eq(shared[W].window_start_ms, T0);
}

Test(orate, edge_requests_count_in_both_windows)
{
	init(0.9);
	for (int i = 0; i < 3; i++)
		ok(VO_OP_CANCEL, T0 + 100);
	/* in the edge: counted in the old window (room left) ... */
	ok(VO_OP_CANCEL, T0 + 1001);
	ok(VO_OP_CANCEL, T0 + 1002);
	cr_assert_eq(shared[S].used, 5);
	/* ... and carried into the new one at the refill */
	ok(VO_OP_CANCEL, T0 + 1000 + EDGE);
	cr_assert_eq(shared[S].used, 3, "2 from the edge + this one");
	/* the carry belongs to that boundary only: a quiet second later, none */
	ok(VO_OP_CANCEL, T0 + 3500);
	cr_assert_eq(shared[S].used, 1);
}

Test(orate, a_quiet_period_skips_windows)
{
	init(0.9);
	for (int i = 0; i < 9; i++)
		ok(VO_OP_PLACE, T0 + 100 + i * 1000);
	ok(VO_OP_PLACE, T0 + 3600000 + 7);  /* an hour later */
	cr_assert_eq(shared[O].used, 1);
	cr_assert_eq(shared[W].used, 1);
	cr_assert_eq(shared[W].window_start_ms, T0 + 3600000);
}

Test(orate, all_or_nothing_and_the_longest_wait)
{
	init(0.9);
	/* spend O (9 orders over 9 s) and then S within one second */
	for (int i = 0; i < 9; i++)
		ok(VO_OP_PLACE, T0 + 100 + i * 1000);
	for (int i = 0; i < 6; i++)
		ok(VO_OP_CANCEL, T0 + 8100);
	cr_assert_eq(shared[S].used, 7);
	uint32_t w_before = shared[W].used;
	/* both O and S are short: the wait is O's (the longer), both count */
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 8200), 10000 + EDGE - 8200);
	cr_assert_eq(shared[O].denied, 1);
	cr_assert_eq(shared[S].denied, 1);
	cr_assert_eq(shared[W].denied, 0);
	cr_assert_eq(shared[W].used, w_before, "W had room but took nothing");
	/* a query costs only W: it passes */
	ok(VO_OP_QUERY, T0 + 8200);
	cr_assert_eq(shared[W].used, w_before + 4);
	/* free operations always pass and are not in flight */
	cr_assert_eq(orate_take(&o, VO_OP_KEEPALIVE, VO_CH_REST, T0 + 8200), 0);
	cr_assert_eq(o.pending, 0);
}

Test(orate, observation_raises_and_lowers_used)
{
	struct vo_rate_obs b;

	init(0.9);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 100), 0);
	b = obs1(W, false, 80);
	orate_observe(&o, &b, T0 + 110);
	cr_assert_eq(shared[W].used, 80, "someone else spent weight too");
	ok(VO_OP_QUERY, T0 + 200);
	ok(VO_OP_QUERY, T0 + 200);
	cr_assert_eq(shared[W].used, 88);
	cr_assert_eq(orate_take(&o, VO_OP_QUERY, VO_CH_REST, T0 + 200), 60000 + EDGE - 200);
	/* the venue counted less (an order's unit came back): lowered */
	cr_assert_eq(orate_take(&o, VO_OP_QUERY, VO_CH_WSAPI, T0 + 300), 0, "2 fit");
	b = obs1(W, false, 10);
	orate_observe(&o, &b, T0 + 310);
	cr_assert_eq(shared[W].used, 10);
	ok(VO_OP_QUERY, T0 + 400);
	cr_assert_eq(shared[W].used, 14);
}

Test(orate, observation_adds_what_is_still_in_flight)
{
	struct vo_rate_obs b;

	init(0.9);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 100), 0);
	cr_assert_eq(o.pending, 3);
	cr_assert_eq(o.inflight[W], 3);
	/* the first reply: the venue counted 5 (its request and others'); two
	 * of ours may not be in that figure yet */
	b = obs1(W, false, 5);
	orate_observe(&o, &b, T0 + 120);
	cr_assert_eq(o.inflight[W], 2);
	cr_assert_eq(shared[W].used, 7);
	/* a reply with no figures: only the release */
	orate_observe(&o, &(struct vo_rate_obs){ 0 }, T0 + 121);
	cr_assert_eq(shared[W].used, 7);
	cr_assert_eq(o.inflight[W], 1);
	/* a request that ended with no reply at all (NULL) */
	orate_observe(&o, NULL, T0 + 122);
	cr_assert_eq(o.pending, 0);
	cr_assert_eq(o.inflight[W], 0);
	cr_assert_eq(o.inflight[O], 0);
	cr_assert_eq(o.inflight[S], 0);
	/* the last figure stands alone */
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 130), 0);
	b = obs1(W, false, 6);
	orate_observe(&o, &b, T0 + 140);
	cr_assert_eq(shared[W].used, 6);
	/* a figure for a rule the venue does not have is ignored */
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 150), 0);
	b = obs1(5, false, 99);
	orate_observe(&o, &b, T0 + 160);
	cr_assert_eq(shared[W].used, 7);
}

Test(orate, left_figure)
{
	struct vo_rate_obs b;

	init(0.9);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 100), 0);
	b = obs1(S, true, 3);  /* Upbit: sec=3 left of 8 */
	orate_observe(&o, &b, T0 + 110);
	cr_assert_eq(shared[S].used, 5);
	ok(VO_OP_CANCEL, T0 + 120);
	ok(VO_OP_CANCEL, T0 + 130);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 140), 1000 + EDGE - 140);
	/* more left than the limit: nothing used */
	b = obs1(S, true, 9);
	orate_observe(&o, &b, T0 + 150);
	cr_assert_eq(shared[S].used, 0);
	b = obs1(S, true, 8);
	orate_observe(&o, &b, T0 + 150);
	cr_assert_eq(shared[S].used, 0);
}

Test(orate, replies_from_before_a_refill_are_not_used)
{
	struct vo_rate_obs b;

	init(0.9);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 900), 0);
	/* the next second: the unanswered request may count in it */
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 1100), 0);
	cr_assert_eq(shared[S].window_start_ms, T0 + 1000);
	cr_assert_eq(shared[S].used, 2, "1 in flight from before + this one");
	/* the first reply describes the old second: not used */
	b = obs1(S, false, 7);
	orate_observe(&o, &b, T0 + 1110);
	cr_assert_eq(shared[S].used, 2);
	/* the second one is this second's */
	b = obs1(S, false, 3);
	orate_observe(&o, &b, T0 + 1120);
	cr_assert_eq(shared[S].used, 3);
}

Test(orate, requests_never_answered_are_forgotten)
{
	init(0.9);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 100), 0);
	cr_assert_eq(o.pending, 1);
	/* 60 s later it would still be carried into the new minute */
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 60100), 0);
	cr_assert_eq(shared[W].used, 2, "within 60 s: still in flight");
	orate_observe(&o, NULL, T0 + 60101);
	/* past 60 s with no reply at all: forgotten */
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 120200), 0);
	cr_assert_eq(shared[W].used, 1, "the new minute starts clean");
	cr_assert_eq(o.pending, 1);
}

Test(orate, limited_with_retry_after)
{
	init(0.9);
	orate_limited(&o, T0 + 3000, T0 + 100);
	cr_assert_eq(o.backoff_until_ms, T0 + 3000);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 100), 2900);
	cr_assert_eq(orate_take(&o, VO_OP_QUERY, VO_CH_REST, T0 + 2999), 1);
	cr_assert_eq(shared[W].used, 0, "nothing taken while backing off");
	ok(VO_OP_CANCEL, T0 + 3000);
	/* a shorter Retry-After does not shorten the current one */
	orate_limited(&o, T0 + 8000, T0 + 4000);
	orate_limited(&o, T0 + 5000, T0 + 4000);
	cr_assert_eq(o.backoff_until_ms, T0 + 8000);
}

Test(orate, limited_own_doubling_backoff)
{
	const int64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	int64_t now = T0 + 100;

	init(0.9);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		orate_limited(&o, 0, now);
		cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now), want[i], "%zu", i);
		now += want[i];
		cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now - 1), 1);
		ok(VO_OP_CANCEL, now);
	}
	/* a retry time in the past is no time: our backoff (still doubled) */
	orate_limited(&o, (uint64_t)(now - 10), now);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now), 60000);
	now += 60000;
	/* a minute with no 429 after it ended: a new episode starts at 1 s */
	now += 60001;
	orate_limited(&o, 0, now);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now), 1000);
}

/* The own backoff's bounds from [order.NAME] backoff_min / backoff_max. */
Test(orate, backoff_bounds_from_the_config)
{
	const int64_t want[] = { 10, 20, 40, 80, 160, 200, 200 };
	int64_t now = T0 + 100;

	init(0.9);
	cr_assert_eq(orate_set_backoff(&o, 10, 200), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		orate_limited(&o, 0, now);
		cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now), want[i], "%zu", i);
		/* the boundary: held 1 ms before it, free at it */
		cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now + want[i] - 1), 1, "%zu", i);
		now += want[i];
		ok(VO_OP_CANCEL, now);
	}
	/* the quiet minute after the last backoff ended: exactly 60 s is not
	 * yet a new episode (still at the cap), 60 s + 1 ms is (back to min) */
	orate_limited(&o, 0, now + 60000);
	cr_assert_eq(o.backoff_until_ms, now + 60000 + 200, "60 s: still the same episode");
	now += 60000 + 200;
	orate_limited(&o, 0, now + 60001);
	cr_assert_eq(o.backoff_until_ms, now + 60001 + 10, "60 s + 1 ms: a new episode");
}

Test(orate, backoff_min_equal_to_max)
{
	int64_t now = T0 + 100;

	init(0.9);
	cr_assert_eq(orate_set_backoff(&o, 50, 50), 0);
	for (int i = 0; i < 4; i++) {
		orate_limited(&o, 0, now);
		cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, now), 50, "%d", i);
		now += 50;
		ok(VO_OP_CANCEL, now);
	}
}

Test(orate, backoff_bounds_refused)
{
	init(0.9);
	cr_assert_eq(o.backoff_min_ms, 1000, "the default before the config's");
	cr_assert_eq(o.backoff_max_ms, 60000);
	cr_assert_eq(orate_set_backoff(&o, 0, 200), -EINVAL, "min 0");
	cr_assert_eq(orate_set_backoff(&o, 1, 200), 0, "min 1 ms");
	cr_assert_eq(orate_set_backoff(&o, 200, 199), -EINVAL, "max below min");
	cr_assert_eq(orate_set_backoff(&o, 200, 200), 0, "max = min");
	cr_assert_eq(orate_set_backoff(&o, 10, ORATE_BACKOFF_CAP_MS + 1), -EINVAL, "over the cap");
	cr_assert_eq(orate_set_backoff(&o, 10, ORATE_BACKOFF_CAP_MS), 0, "at the cap");
	/* a refusal changes nothing */
	cr_assert_eq(orate_set_backoff(&o, 30, 300), 0);
	cr_assert_eq(orate_set_backoff(&o, 500, 100), -EINVAL);
	cr_assert_eq(o.backoff_min_ms, 30);
	cr_assert_eq(o.backoff_max_ms, 300);
	orate_limited(&o, 0, T0 + 100);
	cr_assert_eq(o.backoff_until_ms, T0 + 130);
}

/* Retry-After wins over the bounds, above the max and below the min. */
Test(orate, retry_after_wins_over_the_bounds)
{
	init(0.9);
	cr_assert_eq(orate_set_backoff(&o, 10, 200), 0);
	orate_limited(&o, T0 + 100 + 5000, T0 + 100);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 100), 5000, "above the max");
	ok(VO_OP_CANCEL, T0 + 5100);
	orate_limited(&o, T0 + 6000 + 3, T0 + 6000);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 6000), 3, "below the min");
	ok(VO_OP_CANCEL, T0 + 6003);
	/* and did not advance our own doubling: the next own one is the min */
	orate_limited(&o, 0, T0 + 7000);
	cr_assert_eq(orate_take(&o, VO_OP_CANCEL, VO_CH_REST, T0 + 7000), 10);
}

Test(orate, banned)
{
	init(0.9);
	orate_banned(&o, T0 + 120000, T0 + 100);
	cr_assert_eq(o.banned_until_ms, T0 + 120000);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 100), 119900);
	orate_banned(&o, T0 + 50000, T0 + 200);
	cr_assert_eq(o.banned_until_ms, T0 + 120000, "never shortened");
	cr_assert_eq(orate_take(&o, VO_OP_QUERY, VO_CH_REST, T0 + 119999), 1);
	ok(VO_OP_PLACE, T0 + 120000);
	/* no time given: a minute */
	orate_banned(&o, 0, T0 + 130000);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 130000), 60000);
}

Test(orate, connect_cost_overdraws)
{
	init(0.9);
	for (int i = 0; i < 22; i++)
		ok(VO_OP_QUERY, T0 + 100);
	ok(VO_OP_PLACE, T0 + 100);
	cr_assert_eq(shared[W].used, 89);
	orate_connect(&o, VO_CH_REST, T0 + 200);
	cr_assert_eq(shared[W].used, 89, "REST connects for free");
	orate_connect(&o, VO_CH_WSAPI, T0 + 200);
	cr_assert_eq(shared[W].used, 91, "over the budget");
	cr_assert_eq(shared[S].used, 1);
	cr_assert_eq(orate_take(&o, VO_OP_PLACE, VO_CH_REST, T0 + 300), 60000 + EDGE - 300);
	cr_assert_eq(o.pending, 0, "a connection is not a request in flight");
	/* a venue with no connection cost */
	struct venue_ord v = fake;
	v.connect_cost = NULL;
	cr_assert_eq(orate_init(&o, &v, shared, 0.9, EDGE), 0);
	orate_connect(&o, VO_CH_WSAPI, T0 + 200);
	cr_assert_eq(shared[W].used, 0);
}

Test(orate, a_cost_above_the_budget)
{
	/* W budget 30; listing open orders costs 40 (within the limit 100) */
	init(0.3);
	cr_assert_eq(shared[W].budget, 30);
	ok(VO_OP_OPEN, T0 + 100);
	cr_assert_eq(shared[W].used, 40, "an empty window lets it through");
	cr_assert_eq(orate_take(&o, VO_OP_OPEN, VO_CH_REST, T0 + 200), 60000 + EDGE - 200);
	cr_assert_eq(orate_take(&o, VO_OP_QUERY, VO_CH_REST, T0 + 200), 60000 + EDGE - 200);
	/* not when something is used already */
	ok(VO_OP_OPEN, T0 + 60000 + EDGE);
	init(0.3);
	ok(VO_OP_QUERY, T0 + 100);
	cr_assert_eq(orate_take(&o, VO_OP_OPEN, VO_CH_REST, T0 + 200), 60000 + EDGE - 200);
}

Test(orate, the_first_window_starts_in_an_edge)
{
	/* orderd starting 2 ms after a boundary: counts go to the window
	 * before until the edge passes, then carry */
	init(0.9);
	ok(VO_OP_CANCEL, T0 + 2);
	cr_assert_eq(shared[S].used, 1);
	ok(VO_OP_CANCEL, T0 + EDGE);
	cr_assert_eq(shared[S].window_start_ms, T0);
	cr_assert_eq(shared[S].used, 2);
}
