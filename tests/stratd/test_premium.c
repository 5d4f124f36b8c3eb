/* SPDX-License-Identifier: MIT */
/*
 * stratd/premium.c against hand-worked numbers: book walking, the premium
 * both ways at the rate, the model against a direct recomputation, the
 * entry rule at each boundary, the size by each bound in turn, and the
 * rounding to ticks, steps and minimums.
 *
 * The pair here: leg 0 (KRW) at px_dec 0 / qty_dec 4, a flat tick of 1000
 * KRW, taker fee 0.05%; leg 1 (USDT) at px_dec 2 / qty_dec 4, tick 0.01,
 * fee 0.1%; common qty_dec 4, step 0.0001; clip 1; allowance 0.05%.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "kimp/venue.h"
#include "../../stratd/stratd.h"

static struct strat_pair_conf pc;
static struct kimp_book bk[2];
static struct strat_eval_in in;
static struct strat_decision d;

static void lv(struct kimp_level *l, int64_t px, int64_t q)
{
	l->px = px;
	l->qty = q;
}

static void setup(void)
{
	memset(&pc, 0, sizeof(pc));
	pc.on = pc.enabled = true;
	pc.inst = 1;
	pc.qty_dec = 4;
	pc.step = 1;
	pc.clip = 10000;          /* 1.0000 */
	pc.min_size = 0;
	pc.margin = 0.001;
	pc.entry_sigma = 2;
	pc.slip_e8 = 50000;       /* 0.0005 */
	pc.half_life_ns = 60000000000ull;
	pc.warmup_n = 1;
	pc.leg[0] = (struct strat_venue_conf){ .venue = KIMP_VENUE_UPBIT, .px_dec = 0,
					       .qty_dec = 4, .trading = true,
					       .rules = { .tick = 1000, .step = 1, .min_qty = 1 },
					       .fee_e8 = 50000, .fee = 0.0005,
					       .band_max = STRATD_INF, .risk_pos_max = STRATD_INF,
					       .risk_notional_max = STRATD_INF };
	pc.leg[1] = (struct strat_venue_conf){ .venue = KIMP_VENUE_BINANCE, .px_dec = 2,
					       .qty_dec = 4, .trading = true,
					       .rules = { .tick = 1, .step = 1, .min_qty = 1 },
					       .fee_e8 = 100000, .fee = 0.001,
					       .band_max = STRATD_INF, .risk_pos_max = STRATD_INF,
					       .risk_notional_max = STRATD_INF };
	memset(bk, 0, sizeof(bk));
	/* KRW: bids 101,000,000 x 0.5, 100,990,000 x 1, 100,900,000 x 5;
	 * asks 101,010,000 x 0.5, 101,020,000 x 1, 101,100,000 x 5 */
	bk[0].px_dec = 0;
	bk[0].qty_dec = 4;
	bk[0].nbids = bk[0].nasks = 3;
	lv(&bk[0].bids[0], 101000000, 5000);
	lv(&bk[0].bids[1], 100990000, 10000);
	lv(&bk[0].bids[2], 100900000, 50000);
	lv(&bk[0].asks[0], 101010000, 5000);
	lv(&bk[0].asks[1], 101020000, 10000);
	lv(&bk[0].asks[2], 101100000, 50000);
	/* USDT: bids 69990.00 x 0.5, 69980.00 x 1, 69900.00 x 5;
	 * asks 70000.00 x 0.5, 70010.00 x 1, 70100.00 x 5 */
	bk[1].px_dec = 2;
	bk[1].qty_dec = 4;
	bk[1].nbids = bk[1].nasks = 3;
	lv(&bk[1].bids[0], 6999000, 5000);
	lv(&bk[1].bids[1], 6998000, 10000);
	lv(&bk[1].bids[2], 6990000, 50000);
	lv(&bk[1].asks[0], 7000000, 5000);
	lv(&bk[1].asks[1], 7001000, 10000);
	lv(&bk[1].asks[2], 7010000, 50000);
	memset(&in, 0, sizeof(in));
	in.pc = &pc;
	in.book[0] = &bk[0];
	in.book[1] = &bk[1];
	in.rate = 1400;
	in.model = (struct strat_model){ .n = 10, .mean = 0.02, .var = 1e-6,
					 .first_ns = 1, .last_ns = 2 };
	for (int i = 0; i < 2; i++)
		in.room[i] = (struct strat_room){ STRATD_INF, STRATD_INF, STRATD_INF, STRATD_INF,
						  STRATD_INF };
}

TestSuite(premium, .init = setup);

/* The hand-worked premiums of this market. */
#define PMID  (101005000.0 / (69995.0 * 1400.0) - 1.0)
#define PSELL (100995000.0 / (70005.0 * 1400.0) - 1.0)   /* clip 1: two levels each */
#define PBUY  (101015000.0 / (69985.0 * 1400.0) - 1.0)

Test(premium, walk_takes_levels_in_order_for_the_size)
{
	struct kimp_level a[4] = { { 10000, 100 }, { 10100, 200 }, { 10300, 500 }, { 0, 0 } };
	struct strat_walk w;

	strat_walk(a, 4, 250, 2, &w);
	cr_assert_eq(w.qty, 250);
	cr_assert_eq(w.worst, 10100);
	cr_assert_eq(w.levels, 2);
	cr_assert_eq(w.notional, 25150);           /* 100 x 1.00 + 101 x 1.50 = 251.50 */
	cr_assert_float_eq(w.vwap, 10060.0, 1e-9);  /* 100.60 */

	strat_walk(a, 4, 100, 2, &w);               /* exactly the first level */
	cr_assert_eq(w.qty, 100);
	cr_assert_eq(w.levels, 1);
	cr_assert_eq(w.worst, 10000);

	strat_walk(a, 4, 1000, 2, &w);              /* more than the book: what it has */
	cr_assert_eq(w.qty, 800);
	cr_assert_eq(w.worst, 10300);
	cr_assert_eq(w.levels, 3);
	cr_assert_float_eq(w.vwap, (10000.0 * 100 + 10100.0 * 200 + 10300.0 * 500) / 800, 1e-9);

	strat_walk(a, 0, 100, 2, &w);
	cr_assert_eq(w.qty, 0);
	cr_assert_eq(w.worst, 0);
	cr_assert_eq(w.vwap, 0);
}

Test(premium, depth_at_a_limit_counts_levels_at_or_better_both_sides)
{
	struct kimp_level a[3] = { { 10000, 100 }, { 10100, 200 }, { 10300, 500 } };
	struct kimp_level b[3] = { { 9900, 100 }, { 9800, 200 }, { 9700, 500 } };

	cr_assert_eq(strat_depth_at(a, 3, true, 10100), 300);
	cr_assert_eq(strat_depth_at(a, 3, true, 10099), 100);
	cr_assert_eq(strat_depth_at(a, 3, true, 9999), 0);
	cr_assert_eq(strat_depth_at(b, 3, false, 9800), 300);
	cr_assert_eq(strat_depth_at(b, 3, false, 9801), 100);
	cr_assert_eq(strat_depth_at(b, 3, false, 9701), 300);
	cr_assert_eq(strat_depth_at(b, 3, false, 9700), 800);
}

Test(premium, both_directions_from_walked_prices_at_the_rate)
{
	in.model.mean = PMID;       /* no deviation: nothing decided, premiums recorded */
	cr_assert_eq(strat_decide(&in, &d), 0);
	cr_assert_eq(d.dir, 0);
	cr_assert_float_eq(d.prem_mid, PMID, 1e-15);
	cr_assert_float_eq(d.prem_exec[0], PSELL, 1e-15);
	cr_assert_float_eq(d.prem_exec[1], PBUY, 1e-15);
	/* the walked prices cost against the mids, each way */
	cr_assert_lt(d.prem_exec[0], d.prem_mid);
	cr_assert_gt(d.prem_exec[1], d.prem_mid);

	/* half the clip: one level each side */
	pc.clip = 5000;
	strat_decide(&in, &d);
	cr_assert_float_eq(d.prem_exec[0], 101000000.0 / (70000.0 * 1400.0) - 1.0, 1e-15);
	cr_assert_float_eq(d.prem_exec[1], 101010000.0 / (69990.0 * 1400.0) - 1.0, 1e-15);

	/* the rate moves every premium */
	in.rate = 1450;
	strat_decide(&in, &d);
	cr_assert_float_eq(d.prem_mid, 101005000.0 / (69995.0 * 1450.0) - 1.0, 1e-15);
}

Test(premium, sell_krw_entry_sizes_prices_and_rounds)
{
	/* the premium is far above its mean: sell KRW, buy USDT */
	cr_assert_eq(strat_decide(&in, &d), 0);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	cr_assert_eq(d.dir, KIMP_STRAT_SELL_KRW);
	cr_assert_eq(d.side[0], KIMP_SIDE_SELL);
	cr_assert_eq(d.side[1], KIMP_SIDE_BUY);
	cr_assert_eq(d.qty, 10000);
	cr_assert_eq(d.bound, STRAT_BOUND_CLIP);
	cr_assert_eq(d.leg_qty[0], 10000);
	cr_assert_eq(d.leg_qty[1], 10000);
	/* sell at 100,990,000 - 0.05% = 100,939,505, up to the tick: 100,940,000 */
	cr_assert_eq(d.worst[0], 100990000);
	cr_assert_eq(d.px[0], 100940000);
	cr_assert_eq(d.slip_px[0], 50000);
	/* buy at 70010.00 + 0.05% = 70045.005, down to the tick: 70045.00 */
	cr_assert_eq(d.worst[1], 7001000);
	cr_assert_eq(d.px[1], 7004500);
	cr_assert_float_eq(d.prem, PSELL, 1e-15);
	cr_assert_float_eq(d.dev, PMID - 0.02, 1e-15);
	cr_assert_float_eq(d.cost, 0.0015 + (PMID - PSELL) + 0.001, 1e-15);
}

Test(premium, buy_krw_entry_when_the_premium_is_below_its_mean)
{
	in.model.mean = 0.05;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	cr_assert_eq(d.dir, KIMP_STRAT_BUY_KRW);
	cr_assert_eq(d.side[0], KIMP_SIDE_BUY);
	cr_assert_eq(d.side[1], KIMP_SIDE_SELL);
	/* buy KRW at 101,020,000 + 0.05% = 101,070,510 -> 101,070,000 */
	cr_assert_eq(d.px[0], 101070000);
	/* sell USDT at 69980.00 - 0.05% = 69945.01 -> 69945.01 (on the tick) */
	cr_assert_eq(d.px[1], 6994501);
	cr_assert_float_eq(d.prem, PBUY, 1e-15);
	cr_assert_float_eq(d.dev, 0.05 - PMID, 1e-15);
	cr_assert_float_eq(d.cost, 0.0015 + (PBUY - PMID) + 0.001, 1e-15);
}

/* The margin that puts the deviation exactly at the costs (sell KRW, clip 1). */
static double margin_star(void)
{
	return (PMID - 0.02) - (0.0015 + (PMID - PSELL));
}

Test(premium, entry_rule_margin_boundary_both_sides)
{
	pc.margin = margin_star() - 1e-12;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	pc.margin = margin_star() + 1e-12;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_EDGE);
	cr_assert_eq(d.dir, 0);
}

Test(premium, entry_rule_fee_boundary_both_sides)
{
	double m = margin_star();   /* with no margin, the fees take its place */
	pc.margin = 0;
	pc.leg[0].fee = 0.0005 + m - 1e-12;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	pc.leg[0].fee = 0.0005 + m + 1e-12;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_EDGE);
	pc.leg[0].fee = 0.0005;
	pc.leg[1].fee = 0.001 + m + 1e-12;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_EDGE);
}

Test(premium, entry_rule_walked_slippage_decides)
{
	/* a margin that covers the one-level walk but not the two-level one */
	double slip1 = PMID - (101000000.0 / (70000.0 * 1400.0) - 1.0);
	double slip2 = PMID - PSELL;
	cr_assert_gt(slip2, slip1);
	pc.margin = (PMID - 0.02) - 0.0015 - (slip1 + slip2) / 2;
	pc.clip = 5000;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	pc.clip = 10000;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_EDGE);
}

Test(premium, entry_rule_sigma_boundary_both_sides)
{
	double dev = PMID - 0.02, sd = 0.001;
	in.model.var = sd * sd;
	pc.entry_sigma = dev / sd * (1 - 1e-12);
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK, "%s", strat_why_name(d.why));
	pc.entry_sigma = dev / sd * (1 + 1e-12);
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIGMA);
}

Test(premium, warmup_gates_by_samples_and_by_span)
{
	pc.warmup_n = 11;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_WARMUP);
	pc.warmup_n = 10;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK);
	in.model.first_ns = 1000;
	in.model.last_ns = 1000 + 5000;
	pc.warmup_ns = 5001;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_WARMUP);
	pc.warmup_ns = 5000;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK);
}

Test(premium, disabled_pair_and_empty_book_decide_nothing)
{
	pc.enabled = false;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_DISABLED);
	cr_assert_float_eq(d.prem_exec[0], PSELL, 1e-15, "premiums still recorded");
	pc.enabled = true;
	bk[1].nasks = 0;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_BOOK);
}

Test(premium, size_by_depth_at_the_limit_price)
{
	pc.clip = 20000;   /* 2: the walk goes to the third level */
	/* sell: worst 100,900,000 -> limit ceil(100,849,550) = 100,850,000: depth 6.5;
	 * buy: worst 70100.00 -> limit 70135.05: depth 6.5. Both cover 2. */
	strat_decide(&in, &d);
	cr_assert_eq(d.qty, 20000);
	cr_assert_eq(d.bound, STRAT_BOUND_CLIP);
	/* a thin third level: depth at the limit is what binds */
	bk[0].bids[2].qty = 2000;    /* 0.2 */
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_DEPTH);
	cr_assert_eq(d.qty, 17000);  /* 0.5 + 1 + 0.2 */
	cr_assert_eq(d.leg_qty[1], 17000);
}

Test(premium, size_by_inventory_band_cash_headroom_and_venue_in_turn)
{
	struct strat_room *r = &in.room[KIMP_STRAT_SELL_KRW - 1];

	r->sell_qty = 3000;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_SELL_INV);
	cr_assert_eq(d.qty, 3000);

	r->buy_qty = 2500;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_BUY_INV);
	cr_assert_eq(d.qty, 2500);

	/* the walk for 0.25 stops at 70000.00: limit 70035.00; cash for 0.2 there:
	 * 14007.00 + the fee 14.007 rounded up = 14021.01 */
	r->buy_cash = 1402101;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_CASH);
	cr_assert_eq(d.qty, 2000);
	r->buy_cash = 1402100;
	strat_decide(&in, &d);
	cr_assert_eq(d.qty, 1999, "one unit of cash short: one step less");

	r->buy_head = 1500;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_HEADROOM);
	cr_assert_eq(d.qty, 1500);

	/* riskd's max notional on the buying venue: 7004.50 USDT is 0.1000 at 70035.00 */
	pc.leg[1].risk_notional_max = 700450;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_HEADROOM);
	cr_assert_eq(d.qty, 1000);

	pc.leg[0].rules.max_qty = 800;
	strat_decide(&in, &d);
	cr_assert_eq(d.bound, STRAT_BOUND_VENUE);
	cr_assert_eq(d.qty, 800);

	r->sell_qty = 0;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIZE);
	cr_assert_eq(d.bound, STRAT_BOUND_SELL_INV);
	cr_assert_eq(d.dir, 0);
}

Test(premium, qty_on_the_coarser_step_and_both_minimums)
{
	pc.step = 10;                  /* 0.001 */
	in.room[0].sell_qty = 1234;    /* 0.1234 -> 0.123 */
	strat_decide(&in, &d);
	cr_assert_eq(d.qty, 1230);

	/* minimum qty on either venue, boundary both sides */
	pc.leg[1].rules.min_qty = 1230;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK);
	pc.leg[1].rules.min_qty = 1231;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIZE);
	pc.leg[1].rules.min_qty = 1;
	pc.min_size = 1240;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIZE);
	pc.min_size = 0;

	/* minimum notional at the limit: 0.123 x 70035.00 = 8614.305 -> 861430 */
	pc.leg[1].rules.min_notional = 861430;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK);
	cr_assert_eq(d.px[1], 7003500);
	pc.leg[1].rules.min_notional = 861431;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIZE);
	/* and on the selling leg: 0.123 x 100,950,000 = 12,416,850 */
	pc.leg[1].rules.min_notional = 0;
	pc.leg[0].rules.min_notional = 12416850;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_OK);
	cr_assert_eq(d.px[0], 100950000);
	pc.leg[0].rules.min_notional = 12416851;
	strat_decide(&in, &d);
	cr_assert_eq(d.why, STRAT_WHY_SIZE);
}

Test(premium, limit_prices_toward_passive_on_flat_and_banded_ticks)
{
	struct venue_inst_rules flat = { .tick = 5 };
	struct venue_inst_rules ub;

	cr_assert_eq(venue_md_upbit.inst_rules("BTC", "KRW", 0, 8, &ub), 0);
	/* flat: buy 1000 + 1% = 1010 (on the tick); 1001 + 1% = 1011.01 -> 1010 */
	cr_assert_eq(strat_limit_px(&flat, 0, KIMP_SIDE_BUY, 1000, 1000000), 1010);
	cr_assert_eq(strat_limit_px(&flat, 0, KIMP_SIDE_BUY, 1003, 1000000), 1010);
	/* sell 1000 - 1% = 990; 1003 - 1% = 992.97 -> 995 */
	cr_assert_eq(strat_limit_px(&flat, 0, KIMP_SIDE_SELL, 1000, 1000000), 990);
	cr_assert_eq(strat_limit_px(&flat, 0, KIMP_SIDE_SELL, 1003, 1000000), 995);
	/* no allowance: the walked price itself */
	cr_assert_eq(strat_limit_px(&flat, 0, KIMP_SIDE_BUY, 1005, 0), 1005);
	/* Upbit KRW bands: 500 below 1,000,000, 1000 from it */
	cr_assert_eq(strat_tick_floor(&ub, 0, 1000400), 1000000);
	cr_assert_eq(strat_tick_floor(&ub, 0, 999900), 999500);
	cr_assert_eq(strat_tick_ceil(&ub, 0, 999600), 1000000);
	cr_assert_eq(strat_tick_ceil(&ub, 0, 999500), 999500);
	cr_assert_eq(strat_tick_ceil(&ub, 0, 1000001), 1001000);
	/* a buy limit crossing into the coarser band stays within the allowance */
	cr_assert_eq(strat_limit_px(&ub, 0, KIMP_SIDE_BUY, 999500, 100000), 1000000);
	cr_assert_eq(strat_limit_px(&ub, 0, KIMP_SIDE_BUY, 999500, 50000), 999500);
	struct venue_inst_rules none = { 0 };
	cr_assert_eq(strat_limit_px(&none, 0, KIMP_SIDE_BUY, 1000, 0), 0);
}

Test(premium, qty_scales_and_notionals)
{
	cr_assert_eq(strat_qty_scale(12345, 4, 8), 123450000);
	cr_assert_eq(strat_qty_scale(123456789, 8, 4), 12345);
	cr_assert_eq(strat_qty_scale(STRATD_INF, 4, 8), STRATD_INF);
	cr_assert_eq(strat_qty_scale(INT64_MAX / 10, 0, 2), STRATD_INF);
	cr_assert_eq(strat_notional(7004500, 2000, 4, false), 1400900);
	cr_assert_eq(strat_notional(7004501, 2000, 4, false), 1400900);
	cr_assert_eq(strat_notional(7004501, 2000, 4, true), 1400901);
	/* KRW prices at 8 decimals times 1 BTC at 8 decimals need 128 bits */
	cr_assert_eq(strat_notional(10000000000000000, 100000000, 8, false), 10000000000000000);
}

/* The model's mean and variance recomputed from its weights directly. */
static void direct(const double *x, const uint64_t *t, int n, uint64_t h, double *mean,
		   double *var)
{
	double w[64], sw = 0, m = 0, v = 0;
	for (int i = 0; i < n; i++) {
		/* the first sample's weight decays from its time; each later one
		 * enters with alpha_i and decays from its own time */
		double a = i ? 1 - exp2(-(double)(t[i] - t[i - 1]) / (double)h) : 1;
		w[i] = a * exp2(-(double)(t[n - 1] - t[i]) / (double)h);
		sw += w[i];
	}
	cr_assert_float_eq(sw, 1.0, 1e-12, "the weights sum to one");
	for (int i = 0; i < n; i++)
		m += w[i] * x[i];
	for (int i = 0; i < n; i++)
		v += w[i] * (x[i] - m) * (x[i] - m);
	*mean = m;
	*var = v;
}

Test(premium, model_mean_and_deviation_equal_a_direct_recomputation)
{
	double x[40], mean, var;
	uint64_t t[40], h = 5000000000ull;   /* 5 s */
	struct strat_model m = { 0 };
	uint64_t r = 88172645463325252ull;

	for (int i = 0; i < 40; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		x[i] = 0.02 + (double)(r % 2001) / 1e6 - 0.001;
		t[i] = (i ? t[i - 1] : 1000) + 1000000 + r % 3000000000ull;
		cr_assert(strat_model_update(&m, x[i], t[i], h));
		direct(x, t, i + 1, h, &mean, &var);
		cr_assert_float_eq(m.mean, mean, 1e-13, "sample %d", i);
		cr_assert_float_eq(m.var, var, 1e-15, "sample %d", i);
	}
	cr_assert_eq(m.n, 40);
	cr_assert_eq(m.first_ns, t[0]);
	cr_assert_eq(m.last_ns, t[39]);
	/* a sample not newer than the last changes nothing */
	struct strat_model c = m;
	cr_assert_not(strat_model_update(&m, 0.5, t[39], h));
	cr_assert_not(strat_model_update(&m, 0.5, t[39] - 1, h));
	cr_assert_eq(memcmp(&c, &m, sizeof(m)), 0);
	/* one half-life later a new sample takes half the weight */
	cr_assert(strat_model_update(&m, c.mean + 1.0, t[39] + h, h));
	cr_assert_float_eq(m.mean, c.mean + 0.5, 1e-12);
	cr_assert_float_eq(m.var, 0.5 * (c.var + 0.5), 1e-12);
}

Test(premium, model_first_sample_and_warmth)
{
	struct strat_model m = { 0 };
	cr_assert_not(strat_model_warm(&m, 0, 1));
	cr_assert(strat_model_update(&m, 0.03, 100, 1000));
	cr_assert_eq(m.n, 1);
	cr_assert_float_eq(m.mean, 0.03, 0);
	cr_assert_eq(m.var, 0);
	cr_assert(strat_model_warm(&m, 0, 1));
	cr_assert_not(strat_model_warm(&m, 1, 1));
	cr_assert_not(strat_model_warm(&m, 0, 2));
}
