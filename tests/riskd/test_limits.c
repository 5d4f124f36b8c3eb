/* SPDX-License-Identifier: MIT */
/*
 * riskd's checks (riskd/limits.c), each at its boundary from both sides,
 * the trims, the modes, and what taking an intent records.
 */
#include "rtest.h"

TestSuite(riskd_limits);

static struct rt T;

/* Every book received now (after the clock moved). */
static void refresh(struct rt *t)
{
	for (unsigned v = 0; v < KIMP_RISK_VENUES; v++)
		for (uint32_t i = 0; i < KIMP_RISK_INSTS; i++)
			t->books[v][i].recv_tsc = t->now;
}

static struct risk_decision send(unsigned v, uint32_t i, unsigned side, int64_t px, int64_t qty,
				 unsigned kind)
{
	struct kimp_intent in = rt_intent(&T, v, i, side, px, qty, kind);
	return rt_send(&T, &in, NULL);
}

static struct risk_decision entry(unsigned v, uint32_t i, unsigned side, int64_t px, int64_t qty)
{
	return send(v, i, side, px, qty, KIMP_INTENT_ENTRY);
}

Test(riskd_limits, duplicate_ids_at_and_below_the_last_are_refused)
{
	rt_init(&T, RT_STD);
	struct kimp_intent a = rt_intent(&T, BN, BTC, BUY, USD(100000), BQ(0.01), 0);
	rt_expect(rt_send(&T, &a, NULL), APPROVED, KIMP_RISK_OK);
	cr_assert_eq(T.st->lim.last_intent_id, a.intent_id);
	struct risk_decision d = rt_send(&T, &a, NULL);
	rt_expect(d, REJECTED, KIMP_RISK_DUPLICATE);
	cr_expect_eq(d.limit, (int64_t)a.intent_id);
	a.intent_id--;
	rt_expect(rt_send(&T, &a, NULL), REJECTED, KIMP_RISK_DUPLICATE);
	a.intent_id += 2;
	rt_expect(rt_send(&T, &a, NULL), APPROVED, KIMP_RISK_OK);
	/* a rejected intent's id counts as seen */
	T.next_id = a.intent_id + 1;
	struct kimp_intent b = rt_intent(&T, BN, BTC, BUY, USD(100000), 0, 0);
	rt_expect(rt_send(&T, &b, NULL), REJECTED, KIMP_RISK_BAD_INTENT);
	b.qty = BQ(0.01);
	rt_expect(rt_send(&T, &b, NULL), REJECTED, KIMP_RISK_DUPLICATE);
	cr_expect_eq(T.st->lim.rejects[KIMP_RISK_DUPLICATE], 3);
	cr_expect_eq(T.st->lim.intents, 6);
	cr_expect_eq(T.st->lim.approved, 2);
	rt_fini(&T);
}

Test(riskd_limits, venues_not_configured_or_disabled)
{
	rt_init(&T, RT_STD "[risk.binance]\nenabled = false\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_VENUE_DISABLED);
	rt_expect(entry(KIMP_VENUE_BYBIT, BTC, BUY, USD(100000), BQ(0.01)), REJECTED,
		  KIMP_RISK_VENUE_DISABLED);
	rt_expect(entry(0, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_VENUE_DISABLED);
	rt_expect(entry(200, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_VENUE_DISABLED);
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);

	rt_init(&T, RT_STD "[venue.binance]\ntrading = false\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_VENUE_DISABLED);
	rt_fini(&T);
}

Test(riskd_limits, instruments_not_listed_or_disabled)
{
	rt_init(&T, RT_STD "[risk.upbit]\ndisable = XRP\n");
	rt_expect(entry(UP, XRP, BUY, KRW(3001), UQ(10)), REJECTED, KIMP_RISK_INST_DISABLED);
	rt_expect(entry(UP, ETH, BUY, KRW(4201000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_expect(entry(BN, USDT, BUY, USD(1), BQ(1)), REJECTED, KIMP_RISK_INST_DISABLED);
	rt_expect(entry(BN, 0, BUY, USD(1), BQ(1)), REJECTED, KIMP_RISK_INST_DISABLED);
	rt_expect(entry(BN, 99, BUY, USD(1), BQ(1)), REJECTED, KIMP_RISK_INST_DISABLED);
	rt_fini(&T);
}

Test(riskd_limits, malformed_intents)
{
	rt_init(&T, RT_STD);
	struct { int64_t px, qty; uint8_t side, tif, kind, leg, legs; } bad[] = {
		{ USD(100000), 0, BUY, 1, 0, 0, 2 },
		{ USD(100000), -5, BUY, 1, 0, 0, 2 },
		{ 0, BQ(0.01), BUY, 1, 0, 0, 2 },
		{ -1, BQ(0.01), BUY, 1, 0, 0, 2 },
		{ USD(100000), BQ(0.01), 0, 1, 0, 0, 2 },
		{ USD(100000), BQ(0.01), 3, 1, 0, 0, 2 },
		{ USD(100000), BQ(0.01), BUY, 4, 0, 0, 2 },
		{ USD(100000), BQ(0.01), BUY, 1, 3, 0, 2 },
		{ USD(100000), BQ(0.01), BUY, 1, 0, 0, 0 },
		{ USD(100000), BQ(0.01), BUY, 1, 0, 0, 3 },
		{ USD(100000), BQ(0.01), BUY, 1, 0, 2, 2 },
		{ USD(100000), BQ(0.01), BUY, 1, 1, 2, 1 },
		{ USD(100000), BQ(0.01), BUY, 1, 0, 0, 1 },     /* an entry of one leg */
		{ USD(100000), BQ(0.01), BUY, 1, 1, 0, 2 },     /* a retry of two */
		{ USD(100000), BQ(0.01), BUY, 1, 2, 1, 2 },     /* an unwind of two */
	};
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(bad); k++) {
		struct kimp_intent in = rt_intent(&T, BN, BTC, BUY, bad[k].px, bad[k].qty, 0);
		in.side = bad[k].side;
		in.tif = bad[k].tif;
		in.kind = bad[k].kind;
		in.leg = bad[k].leg;
		in.leg_count = bad[k].legs;
		struct risk_decision d = rt_send(&T, &in, NULL);
		cr_expect(d.verdict == REJECTED && d.reason == KIMP_RISK_BAD_INTENT, "case %zu: %s",
			  k, kimp_risk_reason_name(d.reason));
	}
	struct kimp_intent ok = rt_intent(&T, BN, BTC, SELL, USD(99990), BQ(0.01), 0);
	ok.leg = 1;
	rt_expect(rt_send(&T, &ok, NULL), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);
}

/*
 * A retry or an unwind is one leg (leg_count 1) of the pair it mends, and
 * that is leg 1 as often as leg 0 (stratd sends leg = the leg it mends).
 * riskd refused every leg-1 mend as a bad intent, so a pair whose KRW leg
 * failed could never be unwound on the USDT venue (the chaos suite's faults
 * run: every leg-1 unwind BAD_INTENT, the pairs stuck, the coins unhedged).
 */
Test(riskd_limits, a_mend_of_either_leg_is_one_leg)
{
	rt_init(&T, RT_STD);
	for (unsigned kind = KIMP_INTENT_RETRY; kind <= KIMP_INTENT_UNWIND; kind++)
		for (uint8_t leg = 0; leg < 2; leg++) {
			struct kimp_intent in = rt_intent(&T, BN, BTC, SELL, USD(99990),
							  BQ(0.01), kind);
			in.leg = leg;
			in.leg_count = 1;
			struct risk_decision d = rt_send(&T, &in, NULL);
			cr_expect(d.verdict == APPROVED, "kind %u leg %u: %s", kind, leg,
				  kimp_risk_reason_name(d.reason));
		}
	rt_fini(&T);
}

Test(riskd_limits, kill_refuses_everything_until_resume)
{
	rt_init(&T, RT_STD);
	risk_kill(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_HALTED);
	cr_assert_eq(T.st->lim.cancel_all_pending, 1);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_KILLED);
	rt_expect(send(BN, BTC, SELL, USD(99990), BQ(0.01), KIMP_INTENT_UNWIND), REJECTED,
		  KIMP_RISK_KILLED);
	risk_resume(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_RUNNING);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);
}

Test(riskd_limits, breaker_trips_within_its_window_and_ends_after_the_cooldown)
{
	rt_init(&T, RT_RATE RT_NORATES
		"[riskd]\nbreaker_count = 3\nbreaker_window = 10s\nbreaker_cooldown = 60s\n");
	/* three events spread over exactly the window + 1 ns: no trip */
	risk_breaker_event(&T.rc, T.now);
	risk_breaker_event(&T.rc, T.now + 5000000000ull);
	risk_breaker_event(&T.rc, T.now + 10000000001ull);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.breaker_trips, 0);
	/* the last three within exactly the window: trips */
	T.now += 15000000000ull;
	risk_breaker_event(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.breaker_trips, 1);
	cr_assert_eq(T.st->lim.breaker_until, (int64_t)(T.now + 60000000000ull));
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_BREAKER);
	uint64_t until = T.now + 60000000000ull;
	T.now = until - 1;
	refresh(&T);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_BREAKER);
	cr_expect_eq(d.limit, (int64_t)until);
	T.now = until;
	refresh(&T);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	risk_mode_update(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_RUNNING);
	rt_fini(&T);
}

Test(riskd_limits, stale_books_and_the_quote_age_boundary)
{
	rt_init(&T, RT_STD "[risk.binance]\nmax_quote_age = 2s\n");
	T.books[BN][BTC].recv_tsc = T.now - 2000000000ull;
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	T.books[BN][BTC].recv_tsc = T.now - 2000000001ull;
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_STALE);
	cr_expect_eq(d.limit, 2000000000);
	cr_expect_eq(d.value, 2000000001);
	T.books[BN][BTC].recv_tsc = T.now;
	T.books[BN][BTC].status = KIMP_BOOK_STALE;
	d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_STALE);
	cr_expect_eq(d.value, -2);
	T.books[BN][BTC].status = KIMP_BOOK_RESYNCING;
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), REJECTED, KIMP_RISK_STALE);
	T.have[BN][BTC] = false;
	d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_STALE);
	cr_expect_eq(d.value, -1);
	rt_fini(&T);
}

Test(riskd_limits, a_usdt_venue_waits_for_the_rate)
{
	rt_init(&T, RT_NORATES RT_NOBREAKER);
	cr_assert_eq(T.conf.rate_venue, UP);
	cr_assert_eq(T.st->lim.rate, 0);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_STALE);
	cr_expect_eq(d.value, -3);
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* the USDT book on upbit: mid 1400.00 KRW */
	risk_rate_refresh(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.rate, 140000000000ll);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* a stale rate book keeps the last rate */
	T.books[UP][USDT].status = KIMP_BOOK_STALE;
	T.books[UP][USDT].bid_px = 1;
	risk_rate_refresh(&T.rc, T.now);
	cr_assert_eq(T.st->lim.rate, 140000000000ll);
	rt_fini(&T);
}

Test(riskd_limits, tick_and_step)
{
	rt_init(&T, RT_STD);
	/* upbit BTC at 140,001,000 KRW: tick 1,000 KRW */
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(UP, BTC, BUY, KRW(140001000) - KRW(1), UQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_TICK);
	cr_expect_eq(d.limit, KRW(1000));
	rt_expect(entry(UP, BTC, BUY, KRW(140000500), UQ(0.01)), REJECTED, KIMP_RISK_TICK);
	/* binance ETH: step 0.0001 = 10 at qty_dec 5 */
	rt_expect(entry(BN, ETH, BUY, USD(3001), 2000), APPROVED, KIMP_RISK_OK);
	d = entry(BN, ETH, BUY, USD(3001), 2005);
	rt_expect(d, REJECTED, KIMP_RISK_STEP);
	cr_expect_eq(d.limit, 10);
	cr_expect_eq(d.value, 2005);
	rt_fini(&T);
}

Test(riskd_limits, price_band_both_sides)
{
	rt_init(&T, RT_STD "[risk.binance]\nprice_band_bps = 100\nmax_slippage_bps = 10000\n");
	/* mid 100,000.00, band 1% = 1,000.00 */
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(101000), BQ(0.001));
	struct risk_decision d = entry(BN, BTC, BUY, USD(101000) + 1, BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_PRICE_BAND);
	cr_expect_eq(d.limit, USD(1000));
	cr_expect_eq(d.value, USD(1000) + 1);
	rt_report(&T, o, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0);
	o = rt_order(&T, BN, BTC, SELL, USD(99000), BQ(0.001));
	rt_expect(entry(BN, BTC, SELL, USD(99000) - 1, BQ(0.001)), REJECTED,
		  KIMP_RISK_PRICE_BAND);
	/* a buy far below the market is a fat finger too */
	rt_report(&T, o, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0);
	rt_expect(entry(BN, BTC, BUY, USD(99000) - 1, BQ(0.001)), REJECTED, KIMP_RISK_PRICE_BAND);
	rt_fini(&T);
}

Test(riskd_limits, slippage_past_the_touch)
{
	rt_init(&T, RT_STD "[risk.binance]\nprice_band_bps = 0\nmax_slippage_bps = 50\n");
	/* ask 100,010.00: cap 50,005; bid 99,990.00: cap 49,995 */
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100010) + 50005, BQ(0.001));
	struct risk_decision d = entry(BN, BTC, BUY, USD(100010) + 50006, BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_SLIPPAGE);
	cr_expect_eq(d.limit, 50005);
	cr_expect_eq(d.value, 50006);
	rt_report(&T, o, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0);
	rt_expect(entry(BN, BTC, SELL, USD(99990) - 49995, BQ(0.001)), APPROVED, KIMP_RISK_OK);
	rt_expect(entry(BN, BTC, SELL, USD(99990) - 49996, BQ(0.001)), REJECTED,
		  KIMP_RISK_SLIPPAGE);
	rt_fini(&T);
}

Test(riskd_limits, no_crossing_our_own_resting_orders)
{
	rt_init(&T, RT_STD);
	uint64_t s = rt_order(&T, BN, BTC, SELL, USD(100005), BQ(0.01));
	struct risk_decision d = entry(BN, BTC, BUY, USD(100005), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_SELF_CROSS);
	cr_expect_eq(d.limit, USD(100005));
	rt_expect(entry(BN, BTC, BUY, USD(100005) - 1, BQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* ours now: a buy at 100,004.99 resting; a sell at it crosses, a tick above does not */
	rt_expect(entry(BN, BTC, SELL, USD(100005) - 1, BQ(0.01)), REJECTED, KIMP_RISK_SELF_CROSS);
	rt_expect(entry(BN, BTC, SELL, USD(100005), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* another venue or instrument is not ours to cross */
	rt_expect(entry(BN, ETH, BUY, USD(3001), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* cancelled: no longer resting */
	rt_report(&T, s, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0);
	cr_assert_eq(T.st->pos[BN][BTC].n_sell, 1);
	rt_fini(&T);
}

Test(riskd_limits, open_orders_per_venue_and_the_table)
{
	rt_init(&T, RT_STD "[risk.binance]\nmax_open_orders = 2\n");
	uint64_t a = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.01));
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_OPEN_ORDERS);
	cr_expect_eq(d.limit, 2);
	cr_expect_eq(d.value, 3);
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_report(&T, a, KIMP_ORD_FILLED, BQ(0.01), USD(100000), BQ(0.01), 0, 0);
	cr_assert_eq(T.st->venue[BN].open_orders, 1);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);

	/* the order table (64 slots here) full of open orders */
	rt_init(&T, RT_STD "[risk.binance]\nmax_open_orders = 0\n");
	uint64_t first = 0;
	for (int k = 0; k < 64; k++) {
		uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.001));
		if (!k)
			first = o;
	}
	d = entry(BN, BTC, BUY, USD(100000), BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_OPEN_ORDERS);
	cr_expect_eq(d.limit, 64);
	rt_report(&T, first, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);
}

Test(riskd_limits, order_rate_per_second_at_the_window_edge)
{
	rt_init(&T, RT_RATE RT_NOBREAKER
		"[risk.binance]\nrate_second = 3\nrate_minute = 0\n"
		"[risk.upbit]\nrate_second = 0\nrate_minute = 0\n");
	for (int k = 0; k < 3; k++)
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_RATE_SECOND);
	cr_expect_eq(d.limit, 3);
	cr_expect_eq(d.value, 4);
	/* another venue has its own count */
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), APPROVED, KIMP_RISK_OK);
	/* RT_NOW is a bucket boundary; the orders' bucket counts until 11 buckets on */
	T.now += 1100000000ull - 1;
	refresh(&T);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), REJECTED, KIMP_RISK_RATE_SECOND);
	T.now += 1;
	refresh(&T);
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);
}

Test(riskd_limits, order_rates_per_minute_hour_day)
{
	static const char *cfg[] = {
		RT_RATE RT_NOBREAKER "[risk.binance]\nrate_second = 0\nrate_minute = 2\n",
		RT_RATE RT_NOBREAKER "[risk.binance]\nrate_second = 0\nrate_minute = 0\nrate_hour = 2\n",
		RT_RATE RT_NOBREAKER "[risk.binance]\nrate_second = 0\nrate_minute = 0\nrate_day = 2\n",
	};
	static const unsigned reason[] = { KIMP_RISK_RATE_MINUTE, KIMP_RISK_RATE_HOUR,
					   KIMP_RISK_RATE_DAY };
	static const uint64_t window[] = { 60000000000ull, 3600000000000ull, 86400000000000ull };

	for (unsigned w = 0; w < 3; w++) {
		rt_init(&T, cfg[w]);
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
		/* the second one most of a window later: still counts the first */
		T.now += window[w] - 1;
		refresh(&T);
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), REJECTED, reason[w]);
		/* past the first's bucket plus a window: one left in the count */
		T.now = RT_NOW + window[w] / 10 * 11;
		refresh(&T);
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
		rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), REJECTED, reason[w]);
		rt_fini(&T);
	}
}

Test(riskd_limits, quantity_minimum_and_maximum)
{
	rt_init(&T, RT_STD "[risk.binance]\nqty_min.BTC = 0.001\nqty_max.BTC = 0.5\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.001) - 1);
	rt_expect(d, REJECTED, KIMP_RISK_QTY_MIN);
	cr_expect_eq(d.limit, BQ(0.001));
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.5)), APPROVED, KIMP_RISK_OK);
	d = entry(BN, BTC, BUY, USD(100000), BQ(0.5) + 1);
	rt_expect(d, TRIMMED, KIMP_RISK_QTY_MAX);
	cr_expect_eq(d.qty, BQ(0.5));
	cr_expect_eq(d.limit, BQ(0.5));
	cr_expect_eq(d.value, BQ(0.5) + 1);
	cr_expect_eq(T.st->lim.trims[KIMP_RISK_QTY_MAX], 1);
	cr_expect_eq(T.st->lim.trimmed, 1);
	rt_fini(&T);
}

Test(riskd_limits, notional_minimum_of_the_venue_and_ours)
{
	rt_init(&T, RT_STD);
	/* binance: 5 USDT; at 100,000.00 that is 0.00005 BTC exactly */
	rt_expect(entry(BN, BTC, BUY, USD(100000), 5), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), 4);
	rt_expect(d, REJECTED, KIMP_RISK_NOTIONAL_MIN);
	cr_expect_eq(d.limit, USD(5));
	cr_expect_eq(d.value, USD(4));
	rt_fini(&T);

	rt_init(&T, RT_STD "[risk.binance]\nnotional_min = 10\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), 10), APPROVED, KIMP_RISK_OK);
	rt_expect(entry(BN, BTC, BUY, USD(100000), 9), REJECTED, KIMP_RISK_NOTIONAL_MIN);
	rt_fini(&T);
}

Test(riskd_limits, notional_maximum_trims_down_to_the_step)
{
	rt_init(&T, RT_STD "[risk.binance]\nnotional_max = 10000\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.1)), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.1) + 1);
	rt_expect(d, TRIMMED, KIMP_RISK_NOTIONAL_MAX);
	cr_expect_eq(d.qty, BQ(0.1));
	cr_expect_eq(d.limit, USD(10000));
	/* ETH (step 10): 10,000 USDT at 3,001.00 is 3.33222... ETH: 3.3322 */
	d = entry(BN, ETH, BUY, USD(3001), BQ(4));
	rt_expect(d, TRIMMED, KIMP_RISK_NOTIONAL_MAX);
	cr_expect_eq(d.qty, 333220);
	rt_fini(&T);

	/* trimmed below the minimum: rejected for the limit that trimmed */
	rt_init(&T, RT_STD "[risk.binance]\nnotional_max = 10000\nqty_min.BTC = 0.2\n");
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.3)), REJECTED, KIMP_RISK_NOTIONAL_MAX);
	rt_fini(&T);
}

Test(riskd_limits, holdings_bounds_with_open_orders)
{
	rt_init(&T, RT_STD "[risk.binance]\nposition_max.BTC = 2.5\nposition_min.BTC = 1.5\n");
	/* holdings 2 BTC: 0.5 more to the ceiling */
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.5)), APPROVED, KIMP_RISK_OK);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_POSITION);
	cr_expect_eq(d.limit, BQ(2.5));
	cr_expect_eq(d.value, BQ(2.5) + BQ(0.001));
	rt_fini(&T);

	rt_init(&T, RT_STD "[risk.binance]\nposition_max.BTC = 2.5\nposition_min.BTC = 1.5\n");
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.2));
	d = entry(BN, BTC, BUY, USD(100000), BQ(0.3) + 7);
	rt_expect(d, TRIMMED, KIMP_RISK_POSITION);
	cr_expect_eq(d.qty, BQ(0.3));
	/* filled and closed: the holdings carry it */
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.2), USD(100000), BQ(0.2), 0, 0);
	cr_assert_eq(T.st->pos[BN][BTC].hold, BQ(2.2));
	cr_assert_eq(T.st->pos[BN][BTC].open_buy, BQ(0.3));
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.001)), REJECTED, KIMP_RISK_POSITION);
	/* the floor: 2.2 held, 1.5 the floor (above our open buy: no self-cross) */
	rt_expect(entry(BN, BTC, SELL, USD(100001), BQ(0.7)), APPROVED, KIMP_RISK_OK);
	d = entry(BN, BTC, SELL, USD(100001), BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_POSITION);
	cr_expect_eq(d.value, BQ(1.5) - BQ(0.001));
	rt_fini(&T);
}

Test(riskd_limits, net_exposure_across_venues)
{
	rt_init(&T, RT_STD "[riskd]\nnet_exposure.BTC = 0.1\n");
	/* 0.1 BTC (1e7 coin units) is the bound */
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.001));
	rt_expect(d, REJECTED, KIMP_RISK_NET_EXPOSURE);
	cr_expect_eq(d.limit, 10000000);
	cr_expect_eq(d.value, 10100000);
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	/* net +0.1 now held: a buy on upbit is past it too, a sell of 0.2 reaches -0.1 */
	rt_expect(entry(UP, BTC, BUY, KRW(140001000), UQ(0.01)), REJECTED, KIMP_RISK_NET_EXPOSURE);
	d = entry(UP, BTC, SELL, KRW(139999000), UQ(0.2) + 1);
	rt_expect(d, TRIMMED, KIMP_RISK_NET_EXPOSURE);
	cr_expect_eq(d.qty, UQ(0.2));
	cr_expect_eq(d.limit, -10000000);
	/* that sell is open: the next sell finds no room, a buy on binance does not either */
	rt_expect(entry(UP, BTC, SELL, KRW(139999000), UQ(0.01)), REJECTED, KIMP_RISK_NET_EXPOSURE);
	rt_fini(&T);

	rt_init(&T, RT_STD "[riskd]\nnet_exposure.BTC = 0.1\n");
	rt_expect(entry(UP, BTC, SELL, KRW(139999000), UQ(0.1)), APPROVED, KIMP_RISK_OK);
	rt_expect(entry(UP, BTC, SELL, KRW(139999000), UQ(0.001)), REJECTED,
		  KIMP_RISK_NET_EXPOSURE);
	/* the other side is free: open sells do not count against buys */
	rt_expect(entry(BN, BTC, BUY, USD(100000), BQ(0.1)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);
}

Test(riskd_limits, balance_of_cash_with_the_fee_and_of_coin)
{
	rt_init(&T, RT_STD "[risk.binance]\nprice_band_bps = 0\n");
	/* 1,000,000 USDT; at 100,000.00 with 0.1% fee: 9.99 BTC costs 999,999.00 */
	struct kimp_intent in = rt_intent(&T, BN, BTC, BUY, USD(100000), 999000, 0);
	struct risk_decision d = rt_check(&T, &in);
	rt_expect(d, APPROVED, KIMP_RISK_OK);
	in.qty = 999001;
	d = rt_check(&T, &in);
	rt_expect(d, TRIMMED, KIMP_RISK_BALANCE);
	cr_expect_eq(d.qty, 999000);
	cr_expect_eq(d.limit, USD(1000000));
	cr_expect_eq(d.value, 99900100 + 99901);
	/* an open buy reserves its notional and fee */
	rt_order(&T, BN, BTC, BUY, USD(100000), 500000);
	cr_assert_eq(T.st->venue[BN].reserved, 50000000 + 50000);
	d = entry(BN, BTC, BUY, USD(100000), 500000);
	rt_expect(d, TRIMMED, KIMP_RISK_BALANCE);
	cr_expect_eq(d.qty, 499000);
	/* coin: 2 BTC held (sells above our open buys: no self-cross) */
	rt_expect(entry(BN, BTC, SELL, USD(100001), BQ(1.5)), APPROVED, KIMP_RISK_OK);
	d = entry(BN, BTC, SELL, USD(100001), BQ(0.5) + 3);
	rt_expect(d, TRIMMED, KIMP_RISK_BALANCE);
	cr_expect_eq(d.qty, BQ(0.5));
	rt_expect(entry(BN, BTC, SELL, USD(100001), BQ(0.001)), REJECTED, KIMP_RISK_BALANCE);
	rt_fini(&T);
}

Test(riskd_limits, the_tightest_trim_names_the_reason)
{
	rt_init(&T, RT_STD "[risk.binance]\nqty_max.BTC = 0.5\nposition_max.BTC = 2.3\n");
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.9));
	rt_expect(d, TRIMMED, KIMP_RISK_POSITION);
	cr_expect_eq(d.qty, BQ(0.3));
	rt_fini(&T);
}

Test(riskd_limits, paused_refuses_entries_and_lets_reducing_hedges_through)
{
	rt_init(&T, RT_STD);
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	risk_pause(&T.rc, KIMP_RISK_PAUSE_OPERATOR, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_PAUSED);
	rt_expect(entry(BN, BTC, SELL, USD(99990), BQ(0.01)), REJECTED, KIMP_RISK_PAUSED);
	/* net +0.1 BTC: a sell reduces it, a buy does not, whatever its kind */
	rt_expect(send(BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_UNWIND), REJECTED,
		  KIMP_RISK_PAUSED);
	rt_expect(send(UP, BTC, BUY, KRW(140001000), UQ(0.01), KIMP_INTENT_RETRY), REJECTED,
		  KIMP_RISK_PAUSED);
	struct risk_decision d = send(UP, BTC, SELL, KRW(139999000), UQ(0.1) + 5, KIMP_INTENT_RETRY);
	rt_expect(d, TRIMMED, KIMP_RISK_PAUSED);
	cr_expect_eq(d.qty, UQ(0.1));
	/* that retry is open: nothing left to reduce */
	rt_expect(send(BN, BTC, SELL, USD(99990), BQ(0.01), KIMP_INTENT_UNWIND), REJECTED,
		  KIMP_RISK_PAUSED);
	risk_resume(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	rt_expect(entry(BN, BTC, SELL, USD(99990), BQ(0.01)), APPROVED, KIMP_RISK_OK);
	rt_fini(&T);

	rt_init(&T, RT_STD);
	o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	risk_pause(&T.rc, KIMP_RISK_PAUSE_OPERATOR, T.now);
	shm_undo_commit(&T.st->undo);
	rt_expect(send(BN, BTC, SELL, USD(99990), BQ(0.1), KIMP_INTENT_UNWIND), APPROVED,
		  KIMP_RISK_OK);
	rt_fini(&T);
}

/*
 * The breaker stops new exposure, as a pause does, and lets a hedge that
 * reduces the coin's net exposure through (trimmed to it), so a pair left
 * half filled when it trips is still mended. It used to refuse every
 * intent: stratd spent its unwinds inside the cooldown and the pair stuck.
 */
Test(riskd_limits, breaker_refuses_entries_and_lets_reducing_hedges_through)
{
	rt_init(&T, RT_RATE RT_NORATES "[riskd]\nbreaker_count = 1\nbreaker_cooldown = 60s\n");
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	risk_breaker_event(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_BREAKER);
	uint64_t until = T.now + 60000000000ull;
	struct risk_decision d = entry(BN, BTC, SELL, USD(99990), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_BREAKER);
	cr_expect_eq(d.limit, (int64_t)until);
	/* net +0.1 BTC: a buy adds to it, whatever its kind */
	rt_expect(send(BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_UNWIND), REJECTED,
		  KIMP_RISK_BREAKER);
	/* a sell reduces it: through, trimmed to the exposure */
	d = send(UP, BTC, SELL, KRW(139999000), UQ(0.1) + 5, KIMP_INTENT_RETRY);
	rt_expect(d, TRIMMED, KIMP_RISK_BREAKER);
	cr_expect_eq(d.qty, UQ(0.1));
	/* that retry is open: nothing left to reduce */
	rt_expect(send(BN, BTC, SELL, USD(99990), BQ(0.01), KIMP_INTENT_UNWIND), REJECTED,
		  KIMP_RISK_BREAKER);
	rt_fini(&T);

	rt_init(&T, RT_RATE RT_NORATES "[riskd]\nbreaker_count = 1\nbreaker_cooldown = 60s\n");
	o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	risk_breaker_event(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	rt_expect(send(BN, BTC, SELL, USD(99990), BQ(0.1), KIMP_INTENT_UNWIND), APPROVED,
		  KIMP_RISK_OK);
	rt_fini(&T);
}

Test(riskd_limits, a_loss_pause_names_the_loss)
{
	rt_init(&T, RT_STD "[riskd]\nloss_limit = 100000\ndrawdown_limit = 200000\n");
	uint64_t o = rt_order(&T, UP, BTC, BUY, KRW(140001000), UQ(1));
	rt_report(&T, o, KIMP_ORD_FILLED, UQ(1), KRW(140000000), UQ(1), 0, 0);
	/* the mark falls 100,000 KRW: the day's loss reaches the limit */
	risk_set_mark(&T.rc, UP, BTC, KRW(139900000), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.pnl, -100000 * 10000ll);
	cr_assert_eq(T.st->lim.pause_reasons, KIMP_RISK_PAUSE_LOSS);
	struct risk_decision d = entry(BN, BTC, BUY, USD(100000), BQ(0.01));
	rt_expect(d, REJECTED, KIMP_RISK_LOSS_LIMIT);
	cr_expect_eq(d.limit, 100000 * 10000ll);
	cr_expect_eq(d.value, 100000 * 10000ll);
	rt_fini(&T);
}
