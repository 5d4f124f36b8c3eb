/* SPDX-License-Identifier: MIT */
/*
 * stratd's unhedged exposure time (stratd/legs.c exposure_add,
 * strat_unhedged_time; the gauges unhedged_ns and unhedged_max_ns): each
 * episode from the first unmatched fill to flat again is added to the
 * coin's total and kept when it is the longest; an episode still open is
 * counted up to now when read, and published by housekeeping.
 *
 * As in test_legs.c: stratd in process on the harness's segments
 * (sdtest.h); the premium jumps from 2% to 3% and stratd sells 0.1 BTC on
 * upbit (leg 0) and buys 0.1 on binance (leg 1); verdicts and reports are
 * handed to the handlers with the test's clock in s.now.
 */
#include <criterion/criterion.h>
#include "sdtest.h"

static struct sdt T;
static struct kimp_intent E[2];
static uint64_t now0;

#define Q01    10000000ll               /* 0.1 BTC */
#define SEC    1000000000ll
#define UB_BID (100939000ll * SD_E8)
#define BN_ASK (7000010ll * 1000000)

static void teardown(void)
{
	sdt_fini(&T);
}

TestSuite(unhedged, .fini = teardown);

static void open_pair(void)
{
	sdt_init(&T, NULL, NULL, NULL);
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert(sdt_intent(&T, &E[0]), "an entry when the premium jumps");
	cr_assert(sdt_intent(&T, &E[1]), "both legs");
	now0 = T.clock + 1000;
	T.s.now = now0;
	for (int l = 0; l < 2; l++) {
		struct kimp_verdict v;

		memset(&v, 0, sizeof(v));
		v.h.type = KIMP_MSG_VERDICT;
		v.h.venue = E[l].h.venue;
		v.h.inst = E[l].h.inst;
		v.intent_id = E[l].intent_id;
		v.pair_id = E[l].pair_id;
		v.client_oid = 501 + (uint64_t)l;
		v.qty = E[l].qty;
		v.px = E[l].px;
		v.verdict = KIMP_VERDICT_APPROVED;
		v.leg = E[l].leg;
		v.kind = E[l].kind;
		strat_on_verdict(&T.s, &v);
		strat_flush(&T.s);
	}
}

/* Leg l's order has cum of Q01 filled (the last 'last' of it) at time at. */
static void fill(int l, int64_t last, int64_t cum, uint64_t at)
{
	struct kimp_exec_report r;

	T.s.now = at;
	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = E[l].h.venue;
	r.h.inst = E[l].h.inst;
	r.client_oid = 501 + (uint64_t)l;
	r.last_px = l ? BN_ASK : UB_BID;
	r.last_qty = last;
	r.cum_qty = cum;
	r.leaves_qty = E[l].qty - cum;
	r.state = (uint8_t)(cum == E[l].qty ? KIMP_ORD_FILLED : KIMP_ORD_PARTIAL);
	r.side = E[l].side;
	r.leg = E[l].leg;
	r.pair_id = E[l].pair_id;
	strat_on_report(&T.s, &r);
	strat_flush(&T.s);
}

static const struct kimp_strat_coin *coin(void)
{
	return &T.s.st->coin[1];
}

static void read_time(int64_t *total, int64_t *longest)
{
	strat_unhedged_time(&T.s, total, longest);
}

Test(unhedged, an_episode_ends_when_the_other_leg_fills)
{
	int64_t total, longest;

	open_pair();
	read_time(&total, &longest);
	cr_assert_eq(total, 0, "nothing filled, nothing unhedged");
	cr_assert_eq(longest, 0);
	fill(0, Q01, Q01, now0);
	cr_assert_eq(coin()->unhedged_ns, 0, "still open: not in the total yet");
	fill(1, Q01, Q01, now0 + 1500000000ull);
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->unhedged_ns, 1500000000ll);
	cr_assert_eq(coin()->unhedged_max_ns, 1500000000ll);
	T.s.now = now0 + 10 * SEC;
	read_time(&total, &longest);
	cr_assert_eq(total, 1500000000ll, "flat since: the total stays");
	cr_assert_eq(longest, 1500000000ll);
	/* published by housekeeping */
	strat_housekeep(&T.s);
	cr_assert_eq(atomic_load(T.s.m.unhedged_ns), 1500000000ll);
	cr_assert_eq(atomic_load(T.s.m.unhedged_max_ns), 1500000000ll);
}

/* Two episodes in one pair (partial fills): the sum, and the longest of the two. */
Test(unhedged, episodes_add_up_and_the_longest_is_kept)
{
	int64_t total, longest;

	open_pair();
	fill(0, Q01 / 2, Q01 / 2, now0);                /* episode 1: 2 s */
	fill(1, Q01 / 2, Q01 / 2, now0 + 2 * SEC);
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->unhedged_ns, 2 * SEC);
	cr_assert_eq(coin()->unhedged_max_ns, 2 * SEC);
	fill(1, Q01 / 2, Q01, now0 + 5 * SEC);          /* episode 2: 0.5 s, the other way */
	cr_assert_eq(coin()->unhedged, Q01 / 2);
	cr_assert_eq(coin()->unhedged_since, (int64_t)now0 + 5 * SEC);
	fill(0, Q01 / 2, Q01, now0 + 5 * SEC + SEC / 2);
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->unhedged_ns, 2 * SEC + SEC / 2);
	cr_assert_eq(coin()->unhedged_max_ns, 2 * SEC, "the shorter one does not replace it");
	read_time(&total, &longest);
	cr_assert_eq(total, 2 * SEC + SEC / 2);
	cr_assert_eq(longest, 2 * SEC);
}

/* An episode still open counts up to now; past the longest it is the longest. */
Test(unhedged, an_open_episode_counts_when_read)
{
	int64_t total, longest;

	open_pair();
	fill(0, Q01 / 2, Q01 / 2, now0);
	fill(1, Q01 / 2, Q01 / 2, now0 + 2 * SEC);      /* 2 s, ended */
	fill(0, Q01 / 2, Q01, now0 + 3 * SEC);          /* open from 3 s */
	T.s.now = now0 + 4 * SEC;
	read_time(&total, &longest);
	cr_assert_eq(total, 3 * SEC, "2 s ended + 1 s so far");
	cr_assert_eq(longest, 2 * SEC, "1 s so far is not the longest");
	T.s.now = now0 + 6 * SEC;
	read_time(&total, &longest);
	cr_assert_eq(total, 5 * SEC);
	cr_assert_eq(longest, 3 * SEC, "3 s so far is");
	strat_housekeep(&T.s);
	cr_assert_eq(atomic_load(T.s.m.unhedged_ns), 5 * SEC);
	cr_assert_eq(atomic_load(T.s.m.unhedged_max_ns), 3 * SEC);
	cr_assert_eq(coin()->unhedged_ns, 2 * SEC, "the state holds ended episodes only");
}

/* A fill at the very time the exposure started: a zero-length episode adds nothing. */
Test(unhedged, zero_length_episode)
{
	int64_t total, longest;

	open_pair();
	fill(0, Q01, Q01, now0);
	fill(1, Q01, Q01, now0);
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->unhedged_ns, 0);
	cr_assert_eq(coin()->unhedged_max_ns, 0);
	read_time(&total, &longest);
	cr_assert_eq(total, 0);
	cr_assert_eq(longest, 0);
}
