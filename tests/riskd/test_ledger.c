/* SPDX-License-Identifier: MIT */
/*
 * riskd's ledger (riskd/ledger.c): positions, cash, fees and PnL from
 * execution reports against hand-worked cases (fees in either currency,
 * KRW and USDT legs, partial fills, cancel-then-fill, repeats), a property
 * test over random fills, loss / drawdown / day, and the undo journal: a
 * message applied but not committed is undone exactly.
 */
#include "rtest.h"
#include "kimp/order.h"

TestSuite(riskd_ledger);

static struct rt T;

/* realized + unrealized == (cash - cash_start) + sum (hold - start) * mark, venue v */
static void identity(unsigned v)
{
	const struct kimp_risk_state *st = T.st;
	int64_t lhs = st->venue[v].realized + st->venue[v].unrealized;
	int64_t rhs = st->venue[v].cash - st->venue[v].cash_start;
	int64_t sr = 0, su = 0;

	for (uint32_t i = 1; i < KIMP_RISK_INSTS; i++) {
		const struct kimp_risk_pos *p = &st->pos[v][i];
		int64_t q = p->hold - p->start;
		rhs += (int64_t)((__int128)q * p->mark /
				 (st->venue_info[v].qty_dec == 5 ? 100000 : 100000000));
		sr += p->realized;
		su += p->unrealized;
		if (!q)
			cr_assert_eq(p->cost, 0, "a flat position has no cost (v %u i %u)", v, i);
	}
	cr_assert_eq(lhs, rhs, "venue %u: realized + unrealized %lld, cash + marked %lld", v,
		     (long long)lhs, (long long)rhs);
	cr_assert_eq(sr, st->venue[v].realized);
	cr_assert_eq(su, st->venue[v].unrealized);
}

Test(riskd_ledger, usdt_leg_with_quote_fees)
{
	rt_init(&T, RT_STD);
	const struct kimp_risk_pos *p = &T.st->pos[BN][BTC];
	const struct kimp_risk_venue *ve = &T.st->venue[BN];

	/* buy 1 BTC at 100,000.00, fee 100.00 USDT */
	uint64_t a = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(1));
	rt_report(&T, a, KIMP_ORD_FILLED, BQ(1), USD(100000), BQ(1), USD(100), 0);
	cr_assert_eq(p->hold, BQ(3));
	cr_assert_eq(p->cost, USD(100000));
	cr_assert_eq(ve->cash, USD(1000000) - USD(100000) - USD(100));
	cr_assert_eq(p->realized, -USD(100));
	cr_assert_eq(p->mark, USD(100000), "the first fill marks a position");
	cr_assert_eq(p->unrealized, 0);
	cr_assert_eq(p->fee_quote, USD(100));
	cr_assert_eq(ve->fee_quote, USD(100));
	identity(BN);

	/* sell 0.4 at 110,000.00, fee 44.00: realized 0.4 * 10,000 - 144 */
	uint64_t b = rt_order(&T, BN, BTC, SELL, USD(99990), BQ(0.4));
	rt_report(&T, b, KIMP_ORD_FILLED, BQ(0.4), USD(110000), BQ(0.4), USD(44), 0);
	cr_assert_eq(p->hold, BQ(2.6));
	cr_assert_eq(p->cost, USD(60000));
	cr_assert_eq(p->realized, USD(4000) - USD(144));
	cr_assert_eq(ve->cash, USD(1000000) - USD(100000) - USD(100) + USD(44000) - USD(44));
	identity(BN);

	/* marked at 105,000.00: 0.6 * 5,000 unrealized */
	risk_set_mark(&T.rc, BN, BTC, USD(105000), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(p->unrealized, USD(3000));
	identity(BN);
	/* 6,856.00 USDT at 1,400 KRW: 9,598,400 KRW (4 decimals) */
	cr_assert_eq(T.st->lim.pnl, 9598400ll * 10000);
	cr_assert_eq(T.st->lim.realized, 3856ll * 1400 * 10000);
	cr_assert_eq(T.st->lim.unrealized, 3000ll * 1400 * 10000);
	rt_fini(&T);
}

Test(riskd_ledger, fees_in_the_coin)
{
	rt_init(&T, RT_STD);
	const struct kimp_risk_pos *p = &T.st->pos[BN][ETH];

	/* buy 0.5 ETH at 3,000.00, fee 0.0005 ETH: the fee leaves 0.4995 costing 1,498.50 */
	uint64_t a = rt_order(&T, BN, ETH, BUY, USD(3001), BQ(0.5));
	rt_report(&T, a, KIMP_ORD_FILLED, BQ(0.5), USD(3000), BQ(0.5), 50, 1);
	cr_assert_eq(p->hold, BQ(10) + BQ(0.5) - 50);
	cr_assert_eq(p->fee_base, 50);
	cr_assert_eq(p->cost, 149850);
	cr_assert_eq(p->realized, -150, "0.0005 ETH at 3,000.00 = 1.50 USDT");
	cr_assert_eq(T.st->venue[BN].cash, USD(1000000) - USD(1500));
	cr_assert_eq(p->unrealized, 0);
	identity(BN);

	/* sell the 0.4995 at 3,100.00, fee 0.0005 ETH: 0.0005 short of the start */
	uint64_t b = rt_order(&T, BN, ETH, SELL, USD(2999), 49950);
	rt_report(&T, b, KIMP_ORD_FILLED, 49950, USD(3100), 49950, 50, 1);
	cr_assert_eq(p->hold, BQ(10) - 50);
	cr_assert_eq(p->cost, 0);
	cr_assert_eq(p->realized, -150 + 154845 - 149850);
	cr_assert_eq(p->fee_base, 100);
	risk_set_mark(&T.rc, BN, ETH, USD(3100), T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(p->unrealized, -155);
	identity(BN);
	rt_fini(&T);
}

Test(riskd_ledger, krw_and_usdt_legs_of_a_pair_in_krw)
{
	rt_init(&T, RT_STD);
	/* sell 0.1 BTC on upbit at 140,000,000 KRW (fee 7,000 KRW), buy 0.1 on binance
	 * at 100,000 USDT (fee 10 USDT) */
	uint64_t s = rt_order(&T, UP, BTC, SELL, KRW(139999000), UQ(0.1));
	uint64_t b = rt_order(&T, BN, BTC, BUY, USD(100010), BQ(0.1));
	rt_report(&T, s, KIMP_ORD_FILLED, UQ(0.1), KRW(140000000), UQ(0.1), KRW(7000), 0);
	rt_report(&T, b, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), USD(10), 0);
	cr_assert_eq(T.st->pos[UP][BTC].cost, -KRW(14000000), "a short's cost is its proceeds");
	cr_assert_eq(T.st->lim.pnl, -21000ll * 10000, "-7,000 KRW - 10 USDT * 1,400");
	identity(UP);
	identity(BN);
	/* the premium closes: upbit 139,000,000, binance 100,500 */
	risk_set_mark(&T.rc, UP, BTC, KRW(139000000), T.now);
	risk_set_mark(&T.rc, BN, BTC, USD(100500), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->pos[UP][BTC].unrealized, KRW(100000));
	cr_assert_eq(T.st->pos[BN][BTC].unrealized, USD(50));
	cr_assert_eq(T.st->lim.pnl, (-21000ll + 100000 + 70000) * 10000);
	identity(UP);
	identity(BN);
	rt_fini(&T);
}

Test(riskd_ledger, partial_fills_keep_the_open_order_books)
{
	rt_init(&T, RT_STD);
	const struct kimp_risk_pos *p = &T.st->pos[BN][BTC];
	const struct kimp_risk_venue *ve = &T.st->venue[BN];
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(1));

	cr_assert_eq(p->open_buy, BQ(1));
	cr_assert_eq(p->n_buy, 1);
	cr_assert_eq(ve->open_orders, 1);
	cr_assert_eq(ve->reserved, USD(100000) + USD(100));
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.3), USD(99990), BQ(0.3), 0, 0);
	cr_assert_eq(p->hold, BQ(2.3));
	cr_assert_eq(p->open_buy, BQ(0.7));
	cr_assert_eq(ve->reserved, USD(70000) + USD(70));
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.7), USD(100000), BQ(0.4), 0, 0);
	cr_assert_eq(p->hold, BQ(2.7));
	cr_assert_eq(p->open_buy, BQ(0.3));
	/* a repeat changes nothing */
	struct kimp_risk_state *copy = malloc(T.st_size);
	memcpy(copy, T.st, T.st_size);
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.7), USD(100000), BQ(0.4), 0, 0);
	cr_assert_eq(T.st->lim.dup_reports, 1);
	cr_assert_eq(memcmp(&copy->venue, &T.st->venue, sizeof(copy->venue)), 0);
	cr_assert_eq(memcmp(&copy->pos, &T.st->pos, sizeof(copy->pos)), 0);
	free(copy);
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(1), USD(100000), BQ(0.3), 0, 0);
	cr_assert_eq(p->hold, BQ(3));
	cr_assert_eq(p->cost, 2999700 + 4000000 + 3000000);
	cr_assert_eq(p->bought, BQ(1));
	cr_assert_eq(p->fills, 3);
	cr_assert_eq(p->open_buy, 0);
	cr_assert_eq(p->n_buy, 0);
	cr_assert_eq(ve->open_orders, 0);
	cr_assert_eq(ve->reserved, 0);
	cr_assert_eq(risk_order_find(T.st, o)->state, KIMP_ORD_FILLED);
	identity(BN);
	/* a late repeat of a filled order is a repeat */
	rt_report(&T, o, KIMP_ORD_FILLED, BQ(1), USD(100000), BQ(0.3), 0, 0);
	cr_assert_eq(T.st->lim.dup_reports, 2);
	cr_assert_eq(p->hold, BQ(3));
	rt_fini(&T);
}

Test(riskd_ledger, a_missed_report_fills_the_whole_jump)
{
	rt_init(&T, RT_STD);
	uint64_t o = rt_order(&T, BN, BTC, SELL, USD(99990), BQ(1));
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.5), USD(100000), BQ(0.2), 0, 0);
	cr_assert_eq(T.st->lim.fill_gaps, 1);
	cr_assert_eq(T.st->pos[BN][BTC].hold, BQ(1.5));
	cr_assert_eq(T.st->pos[BN][BTC].open_sell, BQ(0.5));
	identity(BN);
	rt_fini(&T);
}

Test(riskd_ledger, cancel_then_fill)
{
	rt_init(&T, RT_STD);
	const struct kimp_risk_pos *p = &T.st->pos[BN][BTC];
	const struct kimp_risk_venue *ve = &T.st->venue[BN];
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(1));

	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.3), USD(100000), BQ(0.3), 0, 0);
	rt_report(&T, o, KIMP_ORD_CANCELLED, BQ(0.3), 0, 0, 0, 0);
	cr_assert_eq(p->open_buy, 0);
	cr_assert_eq(p->n_buy, 0);
	cr_assert_eq(ve->open_orders, 0);
	cr_assert_eq(ve->reserved, 0);
	cr_assert_eq(risk_order_find(T.st, o)->open, 0);
	/* the venue filled more before the cancel took: still counted, nothing reopened */
	rt_report(&T, o, KIMP_ORD_CANCELLED, BQ(0.5), USD(100000), BQ(0.2), USD(20), 0);
	cr_assert_eq(p->hold, BQ(2.5));
	cr_assert_eq(p->open_buy, 0);
	cr_assert_eq(ve->open_orders, 0);
	cr_assert_eq(p->fee_quote, USD(20));
	/* a late PARTIAL does not make it live again */
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.5), USD(100000), BQ(0.2), 0, 0);
	cr_assert_eq(risk_order_find(T.st, o)->state, KIMP_ORD_CANCELLED);
	cr_assert_eq(T.st->lim.dup_reports, 1);
	identity(BN);
	rt_fini(&T);
}

Test(riskd_ledger, rejects_and_unknown_outcomes_feed_the_breaker)
{
	rt_init(&T, RT_RATE RT_NORATES "[riskd]\nbreaker_count = 2\nbreaker_window = 1s\n");
	uint64_t a = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	uint64_t b = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	rt_report(&T, a, KIMP_ORD_REJECTED, 0, 0, 0, 0, 0);
	rt_report(&T, a, KIMP_ORD_REJECTED, 0, 0, 0, 0, 0);
	cr_assert_eq(T.st->venue[BN].rejects, 1, "a repeated reject counts once");
	cr_assert_eq(T.st->lim.breaker_events, 1);
	cr_assert_eq(T.st->venue[BN].open_orders, 1);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_RUNNING);
	rt_report(&T, b, KIMP_ORD_UNKNOWN, 0, 0, 0, 0, 0);
	cr_assert_eq(T.st->venue[BN].errors, 1);
	cr_assert_eq(T.st->venue[BN].open_orders, 1, "an unknown outcome stays open");
	cr_assert_eq(T.st->lim.breaker_trips, 1);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_BREAKER);
	/* a report for no order of ours */
	rt_report(&T, 12345, KIMP_ORD_FILLED, 5, 5, 5, 0, 0);
	cr_assert_eq(T.st->lim.unknown_reports, 1);
	rt_fini(&T);
}

/* A new Binance order, rejected with 'code': committed. */
static void rejected_with(int32_t code)
{
	struct kimp_exec_report r;

	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.client_oid = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.1));
	r.state = KIMP_ORD_REJECTED;
	r.reject_code = code;
	risk_apply_report(&T.rc, &r, T.now);
	risk_mode_update(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
}

/*
 * orderd's own refusals (reject_code 1..99: NOT_READY, RATE, SEND_FAILED...;
 * the order never reached the venue) count as rejects but do not feed the
 * breaker; a venue's code does, at both ends of the local range. A restart
 * of orderd or a busy Upbit connection used to trip the breaker and stop
 * trading for its whole cooldown.
 */
Test(riskd_ledger, local_refusals_do_not_feed_the_breaker)
{
	rt_init(&T, RT_RATE RT_NORATES "[riskd]\nbreaker_count = 2\n");
	const int32_t local[] = { 1, KIMP_OREJ_SEND_FAILED, 99 };
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(local); k++)
		rejected_with(local[k]);
	cr_assert_eq(T.st->venue[BN].rejects, 3);
	cr_assert_eq(T.st->lim.breaker_events, 0);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_RUNNING);

	const int32_t venue[] = { 100, -2010 };
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(venue); k++) {
		rejected_with(venue[k]);
		cr_assert_eq(T.st->lim.breaker_events, k + 1, "code %d", venue[k]);
	}
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_BREAKER);
	rt_fini(&T);
}

Test(riskd_ledger, drawdown_from_the_peak_and_the_day)
{
	rt_init(&T, RT_STD "[riskd]\ndrawdown_limit = 50000\nloss_limit = 1000000\n");
	uint64_t o = rt_order(&T, UP, BTC, BUY, KRW(140001000), UQ(1));
	rt_report(&T, o, KIMP_ORD_FILLED, UQ(1), KRW(140000000), UQ(1), 0, 0);
	risk_set_mark(&T.rc, UP, BTC, KRW(140100000), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.day_peak_pnl, 100000ll * 10000);
	/* 49,999 below the peak: not yet (marks move by the tick here: 1,000) */
	risk_set_mark(&T.rc, UP, BTC, KRW(140051000), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.pause_reasons, 0);
	risk_set_mark(&T.rc, UP, BTC, KRW(140050000), T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.pause_reasons, KIMP_RISK_PAUSE_DRAWDOWN);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_RUNNING, "the mode follows at the next update");
	risk_mode_update(&T.rc, T.now);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_PAUSED);
	/* resume starts the drawdown over from here */
	risk_resume(&T.rc, T.now);
	risk_pnl_update(&T.rc);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.pause_reasons, 0);
	cr_assert_eq(T.st->lim.day_peak_pnl, 50000ll * 10000);
	/* a new day starts from the PnL it finds */
	int64_t day = T.st->lim.day;
	risk_day_roll(&T.rc, day);
	cr_assert_eq(T.st->undo.n, 0, "the same day changes nothing");
	risk_day_roll(&T.rc, day + 1);
	shm_undo_commit(&T.st->undo);
	cr_assert_eq(T.st->lim.day_start_pnl, 50000ll * 10000);
	cr_assert_eq(T.st->lim.day_peak_pnl, 50000ll * 10000);
	rt_fini(&T);
}

/* ---- property: random fills ----------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

Test(riskd_ledger, random_fills_keep_positions_and_pnl_exact)
{
	static const unsigned venues[] = { UP, BN };
	static const uint32_t insts[2][3] = { { BTC, ETH, USDT }, { BTC, ETH, 0 } };
	static const int64_t base_px[2][5] = { { 0, KRW(140000000), KRW(4200000), 0, 140000 },
					       { 0, USD(100000), USD(3000), 0, 0 } };
	int64_t hold[KIMP_RISK_VENUES][KIMP_RISK_INSTS], cash[KIMP_RISK_VENUES];
	int64_t bought[KIMP_RISK_VENUES][KIMP_RISK_INSTS], sold[KIMP_RISK_VENUES][KIMP_RISK_INSTS];

	for (int round = 0; round < 20; round++) {
		rt_init(&T, RT_STD);
		for (unsigned v = 0; v < KIMP_RISK_VENUES; v++) {
			cash[v] = T.st->venue[v].cash;
			for (uint32_t i = 0; i < KIMP_RISK_INSTS; i++) {
				hold[v][i] = T.st->pos[v][i].hold;
				bought[v][i] = sold[v][i] = 0;
			}
		}
		for (int k = 0; k < 500; k++) {
			unsigned vx = (unsigned)rnd(2), v = venues[vx];
			uint32_t i = insts[vx][rnd(vx ? 2 : 3)];
			unsigned qd = T.st->venue_info[v].qty_dec;
			int64_t px = base_px[vx][i] + (int64_t)rnd(2001) * (base_px[vx][i] / 10000) -
				     base_px[vx][i] / 10;
			if (rnd(5) == 0) {
				risk_set_mark(&T.rc, v, i, px, T.now);
				shm_undo_commit(&T.st->undo);
				continue;
			}
			unsigned side = rnd(2) ? BUY : SELL;
			int64_t q = 1 + (int64_t)rnd(qd == 8 ? 30000000 : 30000);
			int64_t fee = (int64_t)rnd(3) == 0 ? 0 : (int64_t)rnd(1000);
			unsigned fa = (unsigned)rnd(2);
			risk_fill(&T.rc, v, i, side, px, q, fee, fa);
			cr_assert_lt(atomic_load(&T.st->undo.n), SHM_UNDO_MAX);
			shm_undo_commit(&T.st->undo);
			/* the same fill, recomputed here */
			int64_t n = (int64_t)((__int128)px * q / (qd == 8 ? 100000000 : 100000));
			hold[v][i] += side == BUY ? q : -q;
			cash[v] += side == BUY ? -n : n;
			if (fee && fa == 0)
				cash[v] -= fee;
			if (fee && fa == 1)
				hold[v][i] -= fee;
			*(side == BUY ? &bought[v][i] : &sold[v][i]) += q;
			for (unsigned w = 0; w < 2; w++) {
				unsigned vv = venues[w];
				cr_assert_eq(T.st->venue[vv].cash, cash[vv], "round %d step %d", round, k);
				for (uint32_t j = 1; j <= 4; j++) {
					cr_assert_eq(T.st->pos[vv][j].hold, hold[vv][j]);
					cr_assert_eq(T.st->pos[vv][j].bought, bought[vv][j]);
					cr_assert_eq(T.st->pos[vv][j].sold, sold[vv][j]);
				}
				identity(vv);
			}
		}
		/* the totals in KRW are the venues' totals converted */
		risk_pnl_update(&T.rc);
		shm_undo_commit(&T.st->undo);
		int64_t want = risk_to_krw(T.st, UP, T.st->venue[UP].realized) +
			       risk_to_krw(T.st, BN, T.st->venue[BN].realized) +
			       risk_to_krw(T.st, UP, T.st->venue[UP].unrealized) +
			       risk_to_krw(T.st, BN, T.st->venue[BN].unrealized);
		cr_assert_eq(T.st->lim.pnl, want);
		rt_fini(&T);
	}
}

/* ---- the undo journal: a message applied but not committed ------------------------------ */

/* The region but the journal itself equals 'before'. */
static void same_as(const struct kimp_risk_state *before)
{
	size_t u0 = offsetof(struct kimp_risk_state, undo);
	size_t u1 = offsetof(struct kimp_risk_state, lim);

	cr_assert_eq(atomic_load(&T.st->undo.n), 0);
	cr_assert_eq(memcmp(before, T.st, u0), 0);
	cr_assert_eq(memcmp((const char *)before + u1, (const char *)T.st + u1, T.st_size - u1), 0,
		     "the state differs after recovery");
}

Test(riskd_ledger, an_uncommitted_intent_is_undone_exactly)
{
	rt_init(&T, RT_STD "[riskd]\nnet_exposure.BTC = 5\n");
	uint64_t o = rt_order(&T, BN, BTC, BUY, USD(100000), BQ(0.3));
	rt_report(&T, o, KIMP_ORD_PARTIAL, BQ(0.1), USD(100000), BQ(0.1), USD(1), 0);
	struct kimp_risk_state *before = malloc(T.st_size);
	memcpy(before, T.st, T.st_size);

	/* approved, every store journaled, then the process "dies" */
	struct kimp_intent in = rt_intent(&T, BN, BTC, BUY, USD(100000), BQ(0.2), 0);
	struct risk_decision d;
	struct kimp_order ord;
	struct kimp_verdict vd;
	risk_check(&T.rc, &in, T.now, T.now, &d);
	cr_assert_eq(d.verdict, APPROVED);
	cr_assert(risk_take(&T.rc, &in, &d, T.now, T.now, &ord, &vd));
	cr_assert_gt(atomic_load(&T.st->undo.n), 20);
	cr_assert_neq(T.st->lim.next_client_oid, before->lim.next_client_oid);
	cr_assert_gt(shm_undo_recover(&T.st->undo, T.st, T.st_size), 0);
	same_as(before);
	/* and the intent, delivered again, is approved the same */
	struct risk_decision d2;
	risk_check(&T.rc, &in, T.now, T.now, &d2);
	cr_assert_eq(d2.verdict, d.verdict);
	cr_assert_eq(d2.qty, d.qty);
	free(before);
	rt_fini(&T);
}

Test(riskd_ledger, an_uncommitted_report_is_undone_exactly)
{
	rt_init(&T, RT_RATE RT_NORATES
		"[riskd]\nbreaker_count = 1\nloss_limit = 1\ndrawdown_limit = 1\n");
	uint64_t o = rt_order(&T, UP, BTC, SELL, KRW(139999000), UQ(1));
	struct kimp_risk_state *before = malloc(T.st_size);
	memcpy(before, T.st, T.st_size);

	/* a fill at a loss with a fee that closes the order: position, cash, PnL, pause */
	struct kimp_exec_report r = { .h.type = KIMP_MSG_EXEC_REPORT, .client_oid = o,
				      .state = KIMP_ORD_FILLED, .cum_qty = UQ(1),
				      .last_px = KRW(139999000), .last_qty = UQ(1),
				      .fee = KRW(70000) };
	risk_set_mark(&T.rc, UP, BTC, KRW(141000000), T.now);
	risk_apply_report(&T.rc, &r, T.now);
	risk_pnl_update(&T.rc);
	risk_mode_update(&T.rc, T.now);
	cr_assert_neq(T.st->lim.pause_reasons, 0);
	cr_assert_eq(T.st->lim.mode, KIMP_RISK_MODE_PAUSED);
	shm_undo_recover(&T.st->undo, T.st, T.st_size);
	same_as(before);

	/* a reject that trips the breaker */
	r.state = KIMP_ORD_REJECTED;
	r.cum_qty = r.last_qty = r.fee = 0;
	risk_apply_report(&T.rc, &r, T.now);
	risk_mode_update(&T.rc, T.now);
	cr_assert_eq(T.st->lim.breaker_trips, 1);
	shm_undo_recover(&T.st->undo, T.st, T.st_size);
	same_as(before);

	/* a kill */
	risk_kill(&T.rc, T.now);
	shm_undo_recover(&T.st->undo, T.st, T.st_size);
	same_as(before);
	free(before);
	rt_fini(&T);
}

/* ---- the region -------------------------------------------------------------------------- */

Test(riskd_ledger, seeded_from_the_configuration)
{
	rt_init(&T, RT_STD);
	const struct kimp_risk_state *st = T.st;
	cr_assert_eq(st->magic, KIMP_RISK_MAGIC);
	cr_assert_eq(st->ncoins, 4);
	cr_assert_str_eq(st->coins[3], "USDT");
	cr_assert_str_eq(st->venue_info[UP].name, "upbit");
	cr_assert_str_eq(st->venue_info[BN].quote, "USDT");
	cr_assert(st->venue_info[UP].krw && !st->venue_info[BN].krw);
	cr_assert_eq(st->venue_info[BN].qty_dec, 5);
	cr_assert_eq(st->venue[UP].cash, KRW(1000000000));
	cr_assert_eq(st->venue[BN].cash_start, USD(1000000));
	cr_assert_eq(st->pos[UP][BTC].hold, UQ(2));
	cr_assert_eq(st->pos[UP][USDT].start, UQ(10000));
	cr_assert_eq(st->pos[BN][ETH].hold, BQ(10));
	cr_assert_eq(st->lim.client_oid_base, (RT_REAL / 1000000000ull) << 32);
	cr_assert_eq(st->lim.next_client_oid, st->lim.client_oid_base);
	cr_assert_eq(st->lim.rate, 140000000000ll);
	char err[256];
	cr_assert_eq(risk_state_check(st, T.st_size, &T.conf, err, sizeof(err)), 0, "%s", err);

	/* made for another configuration: refused, saying why */
	struct riskd_conf c2 = T.conf;
	c2.order_slots = 128;
	cr_assert_eq(risk_state_check(st, T.st_size, &c2, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "order slots"), "%s", err);
	c2 = T.conf;
	strcpy(c2.trade.coins[1], "SOL");
	cr_assert_eq(risk_state_check(st, T.st_size, &c2, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "SOL"), "%s", err);
	c2 = T.conf;
	c2.trade.venue[BN].qty_dec = 8;
	cr_assert_eq(risk_state_check(st, T.st_size, &c2, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "binance"), "%s", err);
	T.st->version++;
	cr_assert_eq(risk_state_check(st, T.st_size, &T.conf, err, sizeof(err)), -EPROTO);
	T.st->version--;
	/* a venue added later is seeded */
	c2 = T.conf;
	c2.trade.venue[KIMP_VENUE_BYBIT] = c2.trade.venue[BN];
	snprintf(c2.trade.venue[KIMP_VENUE_BYBIT].name, 16, "bybit");
	cr_assert_eq(risk_state_add_venues(T.st, &c2), 1);
	cr_assert_eq(T.st->venue[KIMP_VENUE_BYBIT].cash, USD(1000000));
	cr_assert_eq(risk_state_add_venues(T.st, &c2), 0);
	rt_fini(&T);
}

Test(riskd_ledger, arithmetic_helpers)
{
	cr_assert_eq(risk_notional(USD(100000), BQ(0.1), 5), USD(10000));
	cr_assert_eq(risk_notional(3, 7, 1), 2);
	cr_assert_eq(risk_notional(-3, 7, 1), -2, "truncated toward zero");
	cr_assert_eq(risk_notional(INT64_MAX, INT64_MAX, 0), INT64_MAX, "saturates");
	cr_assert_eq(risk_fee(100000, 100000), 100);
	cr_assert_eq(risk_fee(100001, 100000), 101, "rounded up");
	cr_assert_eq(risk_fee(0, 100000), 0);
	cr_assert_eq(risk_rescale(12345, 2, 4), 1234500);
	cr_assert_eq(risk_rescale(12345, 4, 2), 123);
	cr_assert_eq(risk_rescale(-12345, 4, 2), -123);
}
