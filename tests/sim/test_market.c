/* SPDX-License-Identifier: MIT */
/*
 * The market (sim/market.c) with its random numbers (sim/rng.c) and asset
 * table (sim/assets.c): determinism, book invariants after every step,
 * the change log as a depth-diff consumer replays it, the premium's
 * statistics, tick tables, load mode, the change log's edge cases and
 * every error path.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "../../sim/sim.h"

#define S SIM_SCALE

TestSuite(market);

/* Upbit's KRW price-unit table (docs/venues/exchanges-kr.md 1.7). */
static sim_fx upbit_tick(sim_fx px)
{
	static const struct {
		sim_fx from, tick;
	} t[] = {
		{ 1000000 * S, 1000 * S }, { 500000 * S, 500 * S }, { 100000 * S, 100 * S },
		{ 50000 * S, 50 * S },     { 10000 * S, 10 * S },   { 5000 * S, 5 * S },
		{ 100 * S, S },            { 10 * S, S / 10 },      { S, S / 100 },
		{ S / 10, S / 1000 },      { S / 100, S / 10000 },  { S / 1000, S / 100000 },
		{ S / 10000, S / 1000000 }, { S / 100000, S / 10000000 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (px >= t[i].from)
			return t[i].tick;
	return 1;
}

static struct sim_scenario scen(uint64_t seed)
{
	struct sim_scenario sc;

	sim_scenario_defaults(&sc);
	sc.seed = seed;
	return sc;
}

static struct sim_inst *add(struct sim_market *m, unsigned venue, int coin, const char *sym,
			    const char *base, const char *quote)
{
	struct sim_inst *in = sim_market_add_inst(m, (uint8_t)venue, coin, sym, base, quote);

	cr_assert_not_null(in, "add %s", sym);
	return in;
}

/* The default scenario's coins on upbit (KRW table) and binance, and KRW-USDT. */
static void setup(struct sim_market *m, const struct sim_scenario *sc)
{
	static const char *const coin[] = { "BTC", "ETH", "XRP" };
	static const sim_fx btick[] = { S / 100, S / 100, S / 10000 };
	static const sim_fx bstep[] = { S / 100000, S / 10000, S / 10 };
	struct sim_inst *in;
	char sym[24];

	cr_assert_eq(sim_market_init(m, sc), 0);
	cr_assert_eq(sc->ncoins, 3);
	for (int c = 0; c < 3; c++) {
		snprintf(sym, sizeof(sym), "KRW-%s", coin[c]);
		in = add(m, 0, c, sym, coin[c], "KRW");
		in->tick = 0;
		in->tick_fn = upbit_tick;
		in->step = 1;
		in->min_qty = 1000;
		snprintf(sym, sizeof(sym), "%sUSDT", coin[c]);
		in = add(m, 1, c, sym, coin[c], "USDT");
		in->tick = btick[c];
		in->step = bstep[c];
		in->min_qty = bstep[c];
	}
	in = add(m, 0, SIM_COIN_FX, "KRW-USDT", "USDT", "KRW");
	in->tick = 0;
	in->tick_fn = upbit_tick;
	in->step = 1;
	sim_market_start(m, 1700000000000ull);
}

static void drain_all(struct sim_market *m)
{
	for (uint32_t i = 0; i < m->ninsts; i++)
		sim_inst_drain(&m->inst[i]);
}

/* ---- rng ------------------------------------------------------------------------ */

Test(market, rng_streams)
{
	struct sim_rng a, b, c, d;
	int same_c = 0, same_d = 0;

	sim_rng_seed(&a, 42, 7);
	sim_rng_seed(&b, 42, 7);
	sim_rng_seed(&c, 42, 8);
	sim_rng_seed(&d, 43, 7);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = sim_rng_u64(&a);

		cr_assert_eq(x, sim_rng_u64(&b), "same seed and stream, same numbers");
		same_c += x == sim_rng_u64(&c);
		same_d += x == sim_rng_u64(&d);
	}
	cr_expect_eq(same_c, 0, "another stream differs");
	cr_expect_eq(same_d, 0, "another seed differs");
	/* seed 0, stream 0 is a working generator too */
	sim_rng_seed(&a, 0, 0);
	cr_expect_neq(sim_rng_u64(&a) | sim_rng_u64(&a), 0);
}

/* The published xoshiro256** output for state {1, 2, 3, 4}. */
Test(market, rng_xoshiro_reference)
{
	struct sim_rng r = { { 1, 2, 3, 4 } };
	static const uint64_t want[] = { 11520ull, 0ull, 1509978240ull, 1215971899390074240ull };

	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(sim_rng_u64(&r), want[i], "output %zu", i);
}

Test(market, rng_unit_normal_below)
{
	struct sim_rng r;
	double sum = 0, sq = 0, usum = 0;
	uint64_t hist[7] = { 0 };
	const int n = 200000;

	sim_rng_seed(&r, 1, 1);
	for (int i = 0; i < n; i++) {
		double u = sim_rng_unit(&r), z = sim_rng_normal(&r);
		uint64_t b = sim_rng_below(&r, 7);

		cr_assert(u >= 0 && u < 1);
		cr_assert(b < 7);
		usum += u;
		sum += z;
		sq += z * z;
		hist[b]++;
	}
	cr_expect(fabs(usum / n - 0.5) < 0.005, "unit mean %f", usum / n);
	cr_expect(fabs(sum / n) < 0.01, "normal mean %f", sum / n);
	cr_expect(fabs(sq / n - 1) < 0.02, "normal variance %f", sq / n);
	for (int i = 0; i < 7; i++)
		cr_expect(fabs((double)hist[i] / n - 1.0 / 7) < 0.005, "below(7) bucket %d", i);
	cr_expect_eq(sim_rng_below(&r, 0), 0);
	cr_expect_eq(sim_rng_below(&r, 1), 0);
	/* n just above 2^63: half the draws are rejected; results stay below n */
	for (int i = 0; i < 1000; i++)
		cr_assert(sim_rng_below(&r, (1ull << 63) + 1) <= (1ull << 63));
}

/* ---- assets ------------------------------------------------------------------------ */

Test(market, assets)
{
	char name[8];
	int krw = sim_asset_id("KRW"), btc = sim_asset_id("BTC"), n = 2;

	cr_assert_geq(krw, 0);
	cr_assert_geq(btc, 0);
	cr_expect_neq(krw, btc);
	cr_expect_eq(sim_asset_id("KRW"), krw, "the same name, the same id");
	cr_expect_str_eq(sim_asset_name((unsigned)btc), "BTC");
	cr_expect_null(sim_asset_name(SIM_MAX_ASSETS));
	cr_expect_eq(sim_asset_id(NULL), -1);
	cr_expect_eq(sim_asset_id(""), -1);
	cr_expect_eq(sim_asset_id("ABCDEFGHIJKL"), -1, "longer than 11");
	cr_expect_geq(sim_asset_id("ABCDEFGHIJK"), 0, "11 fit");
	n++;
	for (int i = 0; n < SIM_MAX_ASSETS; i++, n++) {
		snprintf(name, sizeof(name), "A%d", i);
		cr_assert_eq(sim_asset_id(name), n, "ids in order of first use");
	}
	cr_expect_eq(sim_asset_id("ZZZ"), -1, "full");
	cr_expect_eq(sim_asset_id("KRW"), krw, "known names still resolve when full");
	cr_expect_str_eq(sim_asset_name(SIM_MAX_ASSETS - 1), name);
}

Test(market, venue_kind)
{
	cr_expect_eq(sim_venue_name_kind("upbit"), SIM_KRW);
	cr_expect_eq(sim_venue_name_kind("bithumb"), SIM_KRW);
	cr_expect_eq(sim_venue_name_kind("coinone"), SIM_KRW);
	cr_expect_eq(sim_venue_name_kind("binance"), SIM_USDT);
	cr_expect_eq(sim_venue_name_kind("okx"), SIM_USDT);
	cr_expect_eq(sim_venue_name_kind(NULL), SIM_USDT);
}

/* ---- set-up errors ---------------------------------------------------------------- */

Test(market, init_errors)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);

	cr_expect_eq(sim_market_init(&m, NULL), -EINVAL);
	sc.ncoins = SIM_MAX_COINS + 1;
	cr_expect_eq(sim_market_init(&m, &sc), -EINVAL);
	sc = scen(1);
	sc.nvenues = SIM_MAX_VENUES + 1;
	cr_expect_eq(sim_market_init(&m, &sc), -EINVAL);
	sc = scen(1);
	cr_expect_eq(sim_market_init(&m, &sc), 0);
	sim_market_free(&m);
	sim_market_free(&m);
	sim_market_free(NULL);
}

Test(market, add_inst_errors)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);
	char sym[32];

	sc.nvenues = 3;
	snprintf(sc.venues[2].name, sizeof(sc.venues[2].name), "okx");
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	cr_expect_null(sim_market_add_inst(&m, 3, 0, "X", "BTC", "KRW"), "no venue 3");
	cr_expect_null(sim_market_add_inst(&m, 0, 3, "X", "BTC", "KRW"), "no coin 3");
	cr_expect_null(sim_market_add_inst(&m, 0, -2, "X", "BTC", "KRW"), "coin -2");
	cr_expect_null(sim_market_add_inst(&m, 0, 0, NULL, "BTC", "KRW"));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "", "BTC", "KRW"));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "KRW-BTC", NULL, "KRW"));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", ""));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "A-VERY-LONG-SYMBOL-NAME-1234", "BTC", "KRW"));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "KRW-BTC", "ABCDEFGHIJKL", "KRW"));
	cr_expect_eq(m.ninsts, 0, "nothing added by a failed call");
	cr_assert_not_null(sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW"));
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW"), "duplicate");
	cr_expect_not_null(sim_market_add_inst(&m, 1, 0, "KRW-BTC", "BTC", "KRW"),
			   "the same symbol on another venue");
	/* a venue holds SIM_VENUE_INSTS */
	for (unsigned v = 0; v < 2; v++) {
		for (unsigned n = 1; n < SIM_VENUE_INSTS; n++) {
			snprintf(sym, sizeof(sym), "S%u", n);
			cr_assert_not_null(sim_market_add_inst(&m, (uint8_t)v, 0, sym, "BTC", "KRW"),
					   "%u %s", v, sym);
		}
		cr_expect_null(sim_market_add_inst(&m, (uint8_t)v, 0, "ONEMORE", "BTC", "KRW"),
			       "venue %u full", v);
		cr_expect_eq(m.inst[m.ninsts - 1].vidx, SIM_VENUE_INSTS - 1);
	}
	cr_assert_eq(m.ninsts, SIM_MAX_INSTS);
	cr_expect_null(sim_market_add_inst(&m, 2, 0, "BTCUSDT", "BTC", "USDT"), "market full");
	sim_market_free(&m);
	cr_expect_eq(m.ninsts, 0);
}

Test(market, add_inst_asset_table_full)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);
	char name[16];

	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (int i = 0; sim_asset_id((snprintf(name, sizeof(name), "F%d", i), name)) >= 0; i++)
		;
	cr_expect_null(sim_market_add_inst(&m, 0, 0, "KRW-NEW", "NEWCOIN", "KRW"));
	cr_expect_eq(m.ninsts, 0);
	sim_market_free(&m);
}

/* ---- books ------------------------------------------------------------------------- */

/* Sorted, on tick, uncrossed, within depth, sizes positive, on step, >= min. */
static void check_book(const struct sim_inst *in, const char *when)
{
	sim_fx lo = in->min_qty > in->step ? in->min_qty : in->step;

	for (unsigned side = 0; side < 2; side++) {
		const struct sim_book_side *s = &in->book.side[side];

		cr_assert_leq(s->n, in->depth, "%s %s side %u: %u levels", when, in->sym, side, s->n);
		cr_assert_gt(s->n, 0, "%s %s side %u empty", when, in->sym, side);
		for (uint32_t i = 0; i < s->n; i++) {
			sim_fx px = s->lv[i].px, q = s->lv[i].qty;

			cr_assert_gt(px, 0, "%s %s", when, in->sym);
			cr_assert_eq(px % sim_inst_tick_at(in, px), 0, "%s %s px %ld off tick", when,
				     in->sym, (long)px);
			cr_assert_gt(q, 0, "%s %s qty", when, in->sym);
			cr_assert_eq(q % in->step, 0, "%s %s qty %ld off step", when, in->sym, (long)q);
			cr_assert_geq(q, lo, "%s %s qty %ld below min", when, in->sym, (long)q);
			if (i)
				cr_assert(side == SIM_BID ? px < s->lv[i - 1].px : px > s->lv[i - 1].px,
					  "%s %s side %u not sorted at %u", when, in->sym, side, i);
		}
	}
	cr_assert_lt(in->book.side[SIM_BID].lv[0].px, in->book.side[SIM_ASK].lv[0].px,
		     "%s %s crossed or locked", when, in->sym);
}

Test(market, start_books)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);
	double sum_ratio = 0;
	unsigned nratio = 0;

	setup(&m, &sc);
	for (uint32_t i = 0; i < m.ninsts; i++) {
		struct sim_inst *in = &m.inst[i];
		sim_fx bid = in->book.side[SIM_BID].lv[0].px, ask = in->book.side[SIM_ASK].lv[0].px;
		sim_fx t = sim_inst_tick_at(in, bid), fp = llround(sim_market_fair(&m, in) * S);
		double depth = 0;

		check_book(in, "start");
		cr_expect_eq(in->book.side[SIM_BID].n, in->depth, "%s full depth", in->sym);
		cr_expect_eq(in->book.side[SIM_ASK].n, in->depth, "%s full depth", in->sym);
		cr_expect(ask - bid >= t && ask - bid <= 3 * t, "%s spread %ld ticks", in->sym,
			  (long)((ask - bid) / t));
		cr_expect(bid <= fp && ask >= fp, "%s fair inside the spread", in->sym);
		cr_expect_eq(in->nchg, 0, "the first book is not a change");
		cr_expect_eq(in->first_id, 0);
		cr_expect_eq(in->update_id, 1);
		cr_expect_eq(in->last_px, bid);
		cr_expect_eq(in->prev_close, bid);
		cr_expect_eq(in->book_ts_ms, 1700000000000ull);
		/* the top five levels a side hold about depth_usdt (in base units) */
		for (unsigned side = 0; side < 2; side++) {
			double base = 0, want;

			for (unsigned k = 0; k < 5; k++)
				base += (double)in->book.side[side].lv[k].qty / S;
			if (in->coin >= 0) {
				want = sc.coins[in->coin].depth_usdt / m.mid_usdt[in->coin];
			} else {
				for (uint32_t c = 0; c < sc.ncoins; c++)
					if (sc.coins[c].depth_usdt > depth)
						depth = sc.coins[c].depth_usdt;
				want = depth;
			}
			cr_expect(base > 0.3 * want && base < 3 * want, "%s side %u: %f vs %f",
				  in->sym, side, base, want);
			sum_ratio += base / want;
			nratio++;
		}
	}
	cr_expect(sum_ratio / nratio > 0.7 && sum_ratio / nratio < 1.4, "mean top depth %f",
		  sum_ratio / nratio);
	sim_market_free(&m);
}

/* Every change, trade and level of two markets, step by step. */
static bool same_step(const struct sim_market *a, const struct sim_market *b)
{
	if (a->ninsts != b->ninsts || a->premium != b->premium || a->usdkrw != b->usdkrw)
		return false;
	for (uint32_t i = 0; i < a->ninsts; i++) {
		const struct sim_inst *x = &a->inst[i], *y = &b->inst[i];

		if (x->update_id != y->update_id || x->first_id != y->first_id ||
		    x->nchg != y->nchg || x->ntrades != y->ntrades ||
		    x->top_changed != y->top_changed)
			return false;
		if (memcmp(x->chg, y->chg, x->nchg * sizeof(*x->chg)) ||
		    memcmp(x->trades, y->trades, x->ntrades * sizeof(*x->trades)))
			return false;
		for (unsigned side = 0; side < 2; side++) {
			const struct sim_book_side *p = &x->book.side[side], *q = &y->book.side[side];

			if (p->n != q->n || memcmp(p->lv, q->lv, p->n * sizeof(*p->lv)))
				return false;
		}
	}
	return true;
}

Test(market, deterministic)
{
	static struct sim_market a, b, c;
	struct sim_scenario sa = scen(7), sb = scen(7), sc = scen(8);
	bool differs = false;

	setup(&a, &sa);
	setup(&b, &sb);
	setup(&c, &sc);
	cr_assert(same_step(&a, &b), "the same first books");
	for (int k = 0; k < 10000; k++) {
		uint64_t now = 1700000000000ull + 10ull * (uint64_t)k;

		sim_market_step(&a, now);
		sim_market_step(&b, now);
		sim_market_step(&c, now);
		cr_assert(same_step(&a, &b), "step %d differs", k);
		differs |= !same_step(&a, &c);
		/* a consumer that takes some steps' changes together */
		if (k % 3 != 1) {
			drain_all(&a);
			drain_all(&b);
		}
		drain_all(&c);
	}
	cr_expect(differs, "another seed gives another market");
	sim_market_free(&a);
	sim_market_free(&b);
	sim_market_free(&c);
}

/*
 * A Binance depth-diff consumer: the previous book, then every change (in
 * the order given, so a side may hold more than depth levels in between).
 */
#define COPY_CAP (2 * SIM_BOOK_MAX + 64)
struct copy {
	uint32_t n[2];
	struct sim_level lv[2][COPY_CAP];
};

static void copy_book(struct copy *c, const struct sim_inst *in)
{
	for (unsigned side = 0; side < 2; side++) {
		c->n[side] = in->book.side[side].n;
		memcpy(c->lv[side], in->book.side[side].lv, c->n[side] * sizeof(struct sim_level));
	}
}

static void apply(struct copy *c, const struct sim_change *ch)
{
	struct sim_level *lv = c->lv[ch->side];
	uint32_t *n = &c->n[ch->side], i = 0;
	bool bid = ch->side == SIM_BID;

	while (i < *n && (bid ? lv[i].px > ch->px : lv[i].px < ch->px))
		i++;
	if (i < *n && lv[i].px == ch->px) {
		if (ch->qty) {
			lv[i].qty = ch->qty;
		} else {
			memmove(&lv[i], &lv[i + 1], (*n - i - 1) * sizeof(*lv));
			(*n)--;
		}
	} else if (ch->qty) {   /* a removal of an unknown level is harmless */
		cr_assert_lt(*n, COPY_CAP);
		memmove(&lv[i + 1], &lv[i], (*n - i) * sizeof(*lv));
		lv[i].px = ch->px;
		lv[i].qty = ch->qty;
		(*n)++;
	}
}

static void replay_run(unsigned period, uint32_t binance_depth, uint64_t seed)
{
	static struct sim_market m;
	static struct copy prev[SIM_MAX_INSTS];
	struct sim_scenario sc = scen(seed);
	uint64_t last_id[SIM_MAX_INSTS], last_trade[SIM_MAX_INSTS] = { 0 };
	uint64_t changes = 0;

	sc.venues[1].depth = binance_depth;
	setup(&m, &sc);
	for (uint32_t i = 0; i < m.ninsts; i++) {
		copy_book(&prev[i], &m.inst[i]);
		last_id[i] = m.inst[i].update_id;
	}
	for (unsigned k = 1; k <= 6000; k++) {
		sim_market_step(&m, 1700000000000ull + 10ull * k);
		if (k % period)
			continue;
		for (uint32_t i = 0; i < m.ninsts; i++) {
			struct sim_inst *in = &m.inst[i];

			cr_assert_eq(in->chg_lost, 0);
			cr_assert_eq(in->trade_lost, 0);
			if (in->nchg) {
				cr_assert_eq(in->first_id, last_id[i] + 1, "%s step %u: U", in->sym, k);
				cr_assert_geq(in->update_id - in->first_id + 1, in->nchg);
			} else {
				cr_assert_eq(in->first_id, 0);
				cr_assert_eq(in->update_id, last_id[i]);
			}
			last_id[i] = in->update_id;
			for (uint32_t c = 0; c < in->nchg; c++)
				apply(&prev[i], &in->chg[c]);
			changes += in->nchg;
			for (unsigned side = 0; side < 2; side++) {
				cr_assert_eq(prev[i].n[side], in->book.side[side].n,
					     "%s step %u side %u: replayed %u levels, book %u", in->sym,
					     k, side, prev[i].n[side], in->book.side[side].n);
				cr_assert(!memcmp(prev[i].lv[side], in->book.side[side].lv,
						  prev[i].n[side] * sizeof(struct sim_level)),
					  "%s step %u side %u: replayed book differs", in->sym, k, side);
			}
			for (uint32_t t = 0; t < in->ntrades; t++) {
				cr_assert_eq(in->trades[t].id, ++last_trade[i], "trade ids from 1, by 1");
				cr_assert_eq(in->trades[t].px % sim_inst_tick_at(in, in->trades[t].px), 0);
				cr_assert_gt(in->trades[t].qty, 0);
			}
			sim_inst_drain(in);
		}
	}
	cr_expect_gt(changes, 6000, "the books moved");
	sim_market_free(&m);
}

Test(market, replay_every_step)
{
	replay_run(1, 100, 3);
}

Test(market, replay_over_many_steps)
{
	/* changes of the same level in one period are one entry */
	replay_run(10, 100, 4);
}

Test(market, replay_deep_book)
{
	replay_run(3, SIM_BOOK_MAX, 5);
}

Test(market, invariants_every_step)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(11);
	uint64_t spread_ok = 0, samples = 0, trades = 0, top = 0;
	sim_fx vol[SIM_MAX_INSTS] = { 0 };

	setup(&m, &sc);
	for (unsigned k = 1; k <= 10000; k++) {
		sim_market_step(&m, 1700000000000ull + 10ull * k);
		for (uint32_t i = 0; i < m.ninsts; i++) {
			struct sim_inst *in = &m.inst[i];
			sim_fx fp = llround(sim_market_fair(&m, in) * S);
			sim_fx bid = in->book.side[SIM_BID].lv[0].px;
			sim_fx ask = in->book.side[SIM_ASK].lv[0].px;
			sim_fx t = sim_inst_tick_at(in, fp);

			check_book(in, "step");
			/* nothing on the wrong side of the fair mid (a tick of slack
			 * where a price band changes its tick) */
			cr_assert_leq(bid, in->tick ? fp : fp + t, "%s bid above fair", in->sym);
			cr_assert_geq(ask, in->tick ? fp : fp - t, "%s ask below fair", in->sym);
			spread_ok += ask - bid <= 3 * sim_inst_tick_at(in, bid);
			samples++;
			for (uint32_t j = 0; j < in->ntrades; j++)
				vol[i] += in->trades[j].qty;
			trades += in->ntrades;
			top += in->top_changed;
			if (in->ntrades || in->nchg)
				cr_assert_eq(in->book_ts_ms, 1700000000000ull + 10ull * k);
			cr_assert_leq(in->low_px, in->last_px);
			cr_assert_geq(in->high_px, in->last_px);
			cr_assert_eq(in->acc_volume, vol[i], "%s acc_volume", in->sym);
			sim_inst_drain(in);
		}
	}
	cr_expect_gt((double)spread_ok / samples, 0.8, "spreads mostly 1-3 ticks: %f",
		     (double)spread_ok / samples);
	cr_expect(trades > samples / 20 && trades < samples / 2, "some trades: %lu",
		  (unsigned long)trades);
	cr_expect_lt(top, samples, "natural mode: the top does not change every step");
	sim_market_free(&m);
}

/* Books follow the model: the fair mid moves, the book mid stays with it. */
Test(market, books_follow_fair)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(12);
	double start[SIM_MAX_INSTS], moved = 0;

	sc.coins[0].vol = 3.0;
	setup(&m, &sc);
	for (uint32_t i = 0; i < m.ninsts; i++)
		start[i] = sim_market_fair(&m, &m.inst[i]);
	for (unsigned k = 1; k <= 20000; k++)
		sim_market_step(&m, 1700000000000ull + 10ull * k);
	for (uint32_t i = 0; i < m.ninsts; i++) {
		struct sim_inst *in = &m.inst[i];
		double f = sim_market_fair(&m, in);
		double mid = ((double)in->book.side[0].lv[0].px + (double)in->book.side[1].lv[0].px) /
			     2 / S;

		cr_expect(fabs(mid / f - 1) < 0.002, "%s: book mid %f, fair %f", in->sym, mid, f);
		if (fabs(f / start[i] - 1) > moved)
			moved = fabs(f / start[i] - 1);
	}
	cr_expect_gt(moved, 0.001, "the model moved");
	sim_market_free(&m);
}

Test(market, fair_formula)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);
	struct sim_inst *k, *u, *fx;

	sc.coins[0].krw_vol_bps = 5;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	k = add(&m, 0, 0, "KRW-BTC", "BTC", "KRW");
	u = add(&m, 1, 0, "BTCUSDT", "BTC", "USDT");
	fx = add(&m, 0, SIM_COIN_FX, "KRW-USDT", "USDT", "KRW");
	sim_market_start(&m, 1);
	for (int i = 0; i < 100; i++)
		sim_market_step(&m, 2 + (uint64_t)i);
	cr_expect_neq(m.krw_noise[0][0], 0.0, "KRW venue noise moves");
	cr_expect_eq(m.krw_noise[1][0], 0.0, "no noise on a USDT venue");
	cr_expect_eq(sim_market_fair(&m, u), m.mid_usdt[0]);
	cr_expect(fabs(sim_market_fair(&m, k) - m.mid_usdt[0] * m.usdkrw * (1 + m.premium) *
						       (1 + m.krw_noise[0][0])) < 1e-6);
	cr_expect(fabs(sim_market_fair(&m, fx) - m.usdkrw * (1 + 0.3 * m.premium)) < 1e-9);
	cr_expect(fabs(m.t_s - 1.0) < 1e-9, "100 steps of 10 ms");
	cr_expect_eq(m.steps, 100);
	sim_market_free(&m);
}

/* ---- the premium ------------------------------------------------------------------- */

Test(market, premium_mean_and_spread)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(21);
	const struct sim_premium_cfg p = { .mean = 0.02, .vol = 0.002, .revert = 0.2,
					   .jump_rate = 0.05, .jump_size = 0.003 };
	const unsigned n = 1000000;     /* 10000 s of model time */
	double sum = 0, sq = 0, mean, sd, want_sd;

	sc.premium = p;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (unsigned k = 0; k < n; k++) {
		sim_market_step(&m, k);
		sum += m.premium;
		sq += m.premium * m.premium;
	}
	mean = sum / n;
	sd = sqrt(sq / n - mean * mean);
	/* stationary OU with compound Poisson jumps: (vol^2 + rate size^2) / (2 revert) */
	want_sd = sqrt((p.vol * p.vol + p.jump_rate * p.jump_size * p.jump_size) / (2 * p.revert));
	cr_expect(fabs(mean - p.mean) < 0.0007, "sample mean %f, configured %f", mean, p.mean);
	cr_expect(fabs(sd / want_sd - 1) < 0.15, "sample sd %f, theory %f", sd, want_sd);
	sim_market_free(&m);
}

Test(market, premium_jump_rate)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(22);
	const struct sim_premium_cfg p = { .mean = 0.02, .vol = 0, .revert = 0.2,
					   .jump_rate = 0.5, .jump_size = 0.003 };
	const unsigned n = 1000000;
	double keep = exp(-p.revert * 0.01), sq = 0, expect = p.jump_rate * n * 0.01;
	unsigned jumps = 0;

	sc.premium = p;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (unsigned k = 0; k < n; k++) {
		double before = m.premium, pred = p.mean + (before - p.mean) * keep, d;

		sim_market_step(&m, k);
		d = m.premium - pred;
		if (fabs(d) > 1e-10) {
			jumps++;
			sq += d * d;
		}
	}
	cr_expect(fabs(jumps / expect - 1) < 0.05, "%u jumps, about %f expected", jumps, expect);
	cr_expect(fabs(sqrt(sq / jumps) / p.jump_size - 1) < 0.1, "jump size rms %f",
		  sqrt(sq / jumps));
	sim_market_free(&m);
}

/* ---- ticks ------------------------------------------------------------------------ */

Test(market, round_px)
{
	struct sim_inst in;

	memset(&in, 0, sizeof(in));
	in.tick = 5 * S / 100;
	cr_expect_eq(sim_inst_round_px(&in, 101 * S / 100, SIM_BID), S);
	cr_expect_eq(sim_inst_round_px(&in, 101 * S / 100, SIM_ASK), 105 * S / 100);
	cr_expect_eq(sim_inst_round_px(&in, S, SIM_ASK), S, "on tick stays");
	in.tick = 0;
	in.tick_fn = upbit_tick;
	cr_expect_eq(sim_inst_tick_at(&in, 1000000 * S), 1000 * S);
	cr_expect_eq(sim_inst_tick_at(&in, 1000000 * S - 1), 500 * S);
	cr_expect_eq(sim_inst_round_px(&in, 999999 * S, SIM_ASK), 1000000 * S);
	cr_expect_eq(sim_inst_round_px(&in, 999999 * S, SIM_BID), 999500 * S);
	cr_expect_eq(sim_inst_round_px(&in, 1000001 * S, SIM_BID), 1000000 * S);
	cr_expect_eq(sim_inst_round_px(&in, 1000001 * S, SIM_ASK), 1001000 * S);
	cr_expect_eq(sim_inst_round_px(&in, 1234567, SIM_BID), 1230000, "0.01234567 KRW");
	cr_expect_eq(sim_inst_round_px(&in, 1234567, SIM_ASK), 1240000);
	in.tick_fn = NULL;
	cr_expect_eq(sim_inst_tick_at(&in, S), 1, "no tick at all: 1e-8");
}

/* KRW books whose prices cross the tick table's band edges. */
Test(market, tick_table)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(31);
	/* KRW prices near 1,000,000 / 100,000 / 5,000 / 100 / 10 */
	static const double krw[] = { 1000000, 100000, 5000, 100, 10 };
	unsigned crossings[5] = { 0 };
	bool above[5];

	sc.ncoins = 5;
	sc.premium.vol = 0;
	sc.premium.jump_rate = 0;
	sc.usdkrw_vol = 0;
	for (int c = 0; c < 5; c++) {
		memcpy(sc.coins[c].name, (char[]){ 'C', (char)('0' + c), 0 }, 3);
		sc.coins[c].start_usdt = krw[c] / (sc.usdkrw_start * (1 + sc.premium.mean)) * 1.0005;
		sc.coins[c].vol = 2.0;
		sc.coins[c].krw_vol_bps = 1;
		sc.coins[c].depth_usdt = 100000;
	}
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (int c = 0; c < 5; c++) {
		char sym[16] = "KRW-C0";
		struct sim_inst *in;

		sym[5] = (char)('0' + c);
		in = add(&m, 0, c, sym, sc.coins[c].name, "KRW");
		in->tick = 0;
		in->tick_fn = upbit_tick;
	}
	sim_market_start(&m, 1);
	for (int c = 0; c < 5; c++)
		above[c] = m.inst[c].book.side[SIM_BID].lv[0].px >= (sim_fx)(krw[c] * S);
	for (unsigned k = 1; k <= 20000; k++) {
		sim_market_step(&m, 1 + k);
		for (uint32_t i = 0; i < m.ninsts; i++) {
			struct sim_inst *in = &m.inst[i];
			bool a = in->book.side[SIM_BID].lv[0].px >= (sim_fx)(krw[i] * S);

			check_book(in, "tick table");
			crossings[i] += a != above[i];
			above[i] = a;
			sim_inst_drain(in);
		}
	}
	for (int c = 0; c < 5; c++)
		cr_expect_gt(crossings[c], 0, "KRW-C%d crossed its band edge", c);
	sim_market_free(&m);
}

/* ---- load mode ---------------------------------------------------------------------- */

Test(market, load_mode_changes_every_top)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(41);
	struct sim_level before[SIM_MAX_INSTS][2];

	sc.load_rate = 100000;
	sc.step_ns = 100000;    /* 0.1 ms: prices hardly move between steps */
	setup(&m, &sc);
	for (unsigned k = 1; k <= 5000; k++) {
		for (uint32_t i = 0; i < m.ninsts; i++)
			for (unsigned side = 0; side < 2; side++)
				before[i][side] = m.inst[i].book.side[side].lv[0];
		sim_market_step(&m, 1700000000000ull + k);
		for (uint32_t i = 0; i < m.ninsts; i++) {
			struct sim_inst *in = &m.inst[i];
			const struct sim_level *b = &in->book.side[0].lv[0], *a = &in->book.side[1].lv[0];

			cr_assert(in->top_changed, "%s step %u: top unchanged", in->sym, k);
			cr_assert(memcmp(b, &before[i][0], sizeof(*b)) ||
				  memcmp(a, &before[i][1], sizeof(*a)), "%s step %u", in->sym, k);
			check_book(in, "load");
			sim_inst_drain(in);
		}
	}
	sim_market_free(&m);
}

/* ---- sim_inst_set and the change log ----------------------------------------------- */

static struct sim_inst *one_inst(struct sim_market *m, struct sim_scenario *sc, uint32_t depth)
{
	struct sim_inst *in;

	*sc = scen(1);
	cr_assert_eq(sim_market_init(m, sc), 0);
	in = add(m, 1, 0, "BTCUSDT", "BTC", "USDT");
	in->depth = depth;
	in->tick = S / 100;
	return in;
}

Test(market, set_keeps_order_and_depth)
{
	static struct sim_market m;
	struct sim_scenario sc;
	struct sim_inst *in = one_inst(&m, &sc, 3);
	struct sim_book_side *b = &in->book.side[SIM_BID];

	sim_inst_set(in, SIM_BID, 100 * S, S);
	cr_expect(in->top_changed);
	cr_expect_eq(in->first_id, 1);
	sim_inst_set(in, SIM_BID, 98 * S, 2 * S);
	sim_inst_set(in, SIM_BID, 99 * S, 3 * S);
	cr_assert_eq(b->n, 3);
	cr_expect_eq(b->lv[0].px, 100 * S);
	cr_expect_eq(b->lv[1].px, 99 * S);
	cr_expect_eq(b->lv[2].px, 98 * S);
	cr_expect_eq(in->update_id, 3);
	/* worse than all of a full side: not added, not recorded */
	sim_inst_set(in, SIM_BID, 97 * S, S);
	cr_expect_eq(b->n, 3);
	cr_expect_eq(in->update_id, 3);
	cr_expect_eq(in->nchg, 3);
	/* a better one pushes the worst out: recorded as its removal */
	sim_inst_set(in, SIM_BID, 101 * S, S);
	cr_expect_eq(b->n, 3);
	cr_expect_eq(b->lv[2].px, 99 * S);
	cr_expect_eq(in->update_id, 5);
	cr_assert_eq(in->nchg, 4, "98's entry overwritten in place, 101 new");
	cr_expect_eq(in->chg[1].px, 98 * S);
	cr_expect_eq(in->chg[1].qty, 0);
	cr_expect_eq(in->chg[3].px, 101 * S);
	cr_expect_eq(in->chg[3].side, SIM_BID);
	/* no change, bad side, negative quantity: nothing */
	sim_inst_drain(in);
	sim_inst_set(in, SIM_BID, 101 * S, S);
	sim_inst_set(in, 2, 101 * S, 5 * S);
	sim_inst_set(in, SIM_BID, 101 * S, -1);
	sim_inst_set(in, SIM_ASK, 120 * S, 0);
	cr_expect_eq(in->update_id, 5);
	cr_expect_eq(in->nchg, 0);
	cr_expect_eq(in->first_id, 0);
	cr_expect_not(in->top_changed);
	/* a deeper level: not the top */
	sim_inst_set(in, SIM_BID, 99 * S, 7 * S);
	cr_expect_not(in->top_changed);
	cr_expect_eq(in->first_id, 6);
	/* the same level twice in a period: one entry, the last quantity, two ids */
	sim_inst_set(in, SIM_BID, 99 * S, 8 * S);
	cr_expect_eq(in->nchg, 1);
	cr_expect_eq(in->chg[0].qty, 8 * S);
	cr_expect_eq(in->update_id, 7);
	/* asks ascend; removing the best one changes the top */
	sim_inst_set(in, SIM_ASK, 103 * S, S);
	sim_inst_set(in, SIM_ASK, 102 * S, S);
	cr_expect_eq(in->book.side[SIM_ASK].lv[0].px, 102 * S);
	sim_inst_drain(in);
	sim_inst_set(in, SIM_ASK, 102 * S, 0);
	cr_expect(in->top_changed);
	cr_expect_eq(in->book.side[SIM_ASK].n, 1);
	cr_expect_eq(in->book.side[SIM_ASK].lv[0].px, 103 * S);
	sim_market_free(&m);
}

/* Many inserts at the top, in the middle and at the end (the window recentres). */
Test(market, set_random_against_reference)
{
	static struct sim_market m;
	static struct copy ref;
	struct sim_scenario sc;
	struct sim_inst *in = one_inst(&m, &sc, 500);
	struct sim_rng r;

	memset(&ref, 0, sizeof(ref));
	sim_rng_seed(&r, 99, 0);
	for (int k = 0; k < 200000; k++) {
		unsigned side = sim_rng_u64(&r) & 1;
		struct sim_change c = { (uint8_t)side, 0, 0 };
		uint64_t u = sim_rng_below(&r, 100);

		/* drift: mostly at the top, walking the price range */
		c.px = (sim_fx)(1000 + (k / 50) % 2000 + sim_rng_below(&r, 600)) * S;
		if (u < 30)
			c.px = side == SIM_BID ? in->book.side[0].n ? in->book.side[0].lv[0].px + S : c.px
					       : in->book.side[1].n ? in->book.side[1].lv[0].px - S : c.px;
		c.qty = u < 60 ? (sim_fx)(1 + sim_rng_below(&r, 5)) * S : 0;
		if (c.px <= 0)
			continue;
		sim_inst_set(in, side, c.px, c.qty);
		apply(&ref, &c);
		if (ref.n[side] > in->depth)
			ref.n[side] = in->depth;
		for (unsigned s = 0; s < 2; s++) {
			cr_assert_eq(ref.n[s], in->book.side[s].n, "step %d", k);
			cr_assert(!memcmp(ref.lv[s], in->book.side[s].lv,
					  ref.n[s] * sizeof(struct sim_level)), "step %d", k);
			cr_assert(in->book.side[s].lv >= in->book.side[s].base &&
				  in->book.side[s].lv + in->book.side[s].n <=
				  in->book.side[s].base + in->book.side[s].cap);
		}
		if (k % 97 == 0)
			sim_inst_drain(in);
	}
	sim_market_free(&m);
}

Test(market, change_log_full)
{
	static struct sim_market m;
	struct sim_scenario sc;
	struct sim_inst *in = one_inst(&m, &sc, 10);
	uint32_t cap = in->chg_cap;
	uint64_t id;

	for (uint32_t i = 0; i < cap + 5; i++) {
		sim_inst_set(in, SIM_ASK, (sim_fx)(1000 + i) * S, S);
		sim_inst_set(in, SIM_ASK, (sim_fx)(1000 + i) * S, 0);
	}
	cr_expect_eq(in->nchg, cap);
	cr_expect_eq(in->chg_lost, 5 * 2, "every change past the cap counted");
	cr_expect_eq(in->update_id, 2ull * (cap + 5), "ids advance all the same");
	/* an entry already there is still updated when the log is full */
	sim_inst_set(in, SIM_ASK, 1000 * S, 3 * S);
	cr_expect_eq(in->chg[0].qty, 3 * S);
	cr_expect_eq(in->chg_lost, 10);
	id = in->update_id;
	sim_inst_drain(in);
	cr_expect_eq(in->chg_lost, 0);
	cr_expect_eq(in->nchg, 0);
	/* and the index is clean after the drain (whole-table and one-by-one) */
	sim_inst_set(in, SIM_ASK, 1001 * S, 2 * S);
	sim_inst_set(in, SIM_ASK, 1001 * S, 4 * S);
	cr_expect_eq(in->nchg, 1);
	cr_expect_eq(in->chg[0].qty, 4 * S);
	cr_expect_eq(in->first_id, id + 1);
	sim_inst_drain(in);
	sim_inst_set(in, SIM_ASK, 1001 * S, 5 * S);
	cr_expect_eq(in->nchg, 1);
	sim_market_free(&m);
}

Test(market, trades_and_stats)
{
	static struct sim_market m;
	struct sim_scenario sc;
	struct sim_inst *in = one_inst(&m, &sc, 10);
	uint32_t cap = in->trade_cap;

	sim_inst_trade(in, 100 * S, S, SIM_BID, 5);
	sim_inst_trade(in, 90 * S, 2 * S, SIM_ASK, 6);
	sim_inst_trade(in, 95 * S, S, SIM_BID, 7);
	cr_assert_eq(in->ntrades, 3);
	cr_expect_eq(in->trades[0].id, 1);
	cr_expect_eq(in->trades[2].id, 3);
	cr_expect_eq(in->trades[1].taker_side, SIM_ASK);
	cr_expect_eq(in->trades[1].ts_ms, 6);
	cr_expect_eq(in->open_px, 100 * S);
	cr_expect_eq(in->high_px, 100 * S);
	cr_expect_eq(in->low_px, 90 * S);
	cr_expect_eq(in->last_px, 95 * S);
	cr_expect_eq(in->acc_volume, 4 * S);
	cr_expect_eq(in->acc_quote, 375 * S);
	cr_expect_eq(in->last_taker, SIM_BID);
	/* a busy KRW day saturates the quote total instead of wrapping */
	in->acc_quote = INT64_MAX - 10;
	in->acc_volume = INT64_MAX - 10;
	sim_inst_trade(in, 100 * S, S, SIM_BID, 7);
	cr_expect_eq(in->acc_quote, INT64_MAX);
	cr_expect_eq(in->acc_volume, INT64_MAX);
	sim_inst_trade(in, 100 * S, S, SIM_BID, 7);
	cr_expect_eq(in->acc_quote, INT64_MAX);
	sim_inst_drain(in);
	for (uint32_t i = 0; i < cap + 3; i++)
		sim_inst_trade(in, 100 * S, S, SIM_BID, 8);
	cr_expect_eq(in->ntrades, cap);
	cr_expect_eq(in->trade_lost, 3);
	cr_expect_eq(in->next_trade_id, 5 + cap + 3 + 1ull, "ids count lost trades too");
	sim_inst_drain(in);
	cr_expect_eq(in->ntrades, 0);
	cr_expect_eq(in->trade_lost, 0);
	sim_market_free(&m);
}

Test(market, book_avail)
{
	static struct sim_market m;
	struct sim_scenario sc;
	struct sim_inst *in = one_inst(&m, &sc, 10);

	sim_inst_set(in, SIM_ASK, 101 * S, 1 * S);
	sim_inst_set(in, SIM_ASK, 102 * S, 2 * S);
	sim_inst_set(in, SIM_ASK, 104 * S, 4 * S);
	sim_inst_set(in, SIM_BID, 100 * S, 1 * S);
	sim_inst_set(in, SIM_BID, 99 * S, 2 * S);
	cr_expect_eq(sim_book_avail(in, SIM_ASK, 0), 7 * S);
	cr_expect_eq(sim_book_avail(in, SIM_ASK, 102 * S), 3 * S);
	cr_expect_eq(sim_book_avail(in, SIM_ASK, 103 * S), 3 * S);
	cr_expect_eq(sim_book_avail(in, SIM_ASK, 100 * S), 0);
	cr_expect_eq(sim_book_avail(in, SIM_BID, 100 * S), 1 * S);
	cr_expect_eq(sim_book_avail(in, SIM_BID, 50 * S), 3 * S);
	cr_expect_eq(sim_book_avail(in, 2, 0), 0);
	sim_market_free(&m);
}

/* An instrument made by hand (plain level arrays, no change index) works too. */
Test(market, plain_arrays)
{
	static struct sim_level bids[4], asks[4];
	static struct sim_change chg[3];
	struct sim_inst in;

	memset(&in, 0, sizeof(in));
	in.depth = 3;
	in.book.side[SIM_BID].lv = bids;
	in.book.side[SIM_ASK].lv = asks;
	in.chg = chg;
	in.chg_cap = 3;
	for (int i = 0; i < 5; i++)
		sim_inst_set(&in, SIM_BID, (sim_fx)(10 + i) * S, S);
	cr_assert_eq(in.book.side[SIM_BID].n, 3);
	cr_expect_eq(bids[0].px, 14 * S);
	cr_expect_eq(bids[2].px, 12 * S);
	cr_expect_eq(in.nchg, 3);
	/* 13 and 14 did not fit; 10 and 11 pushed out overwrote their entries */
	cr_expect_eq(in.chg_lost, 2);
	cr_expect_eq(in.chg[0].px, 10 * S);
	cr_expect_eq(in.chg[0].qty, 0, "dedup by linear search");
	cr_expect_eq(in.chg[1].qty, 0);
	cr_expect_eq(in.update_id, 7);
	sim_inst_set(&in, SIM_BID, 13 * S, 0);
	cr_expect_eq(in.book.side[SIM_BID].n, 2);
	cr_expect_eq(bids[1].px, 12 * S);
	sim_inst_drain(&in);
	cr_expect_eq(in.nchg, 0);
	sim_inst_trade(&in, S, S, SIM_BID, 1);
	cr_expect_eq(in.ntrades, 0, "no trade array");
	cr_expect_eq(in.trade_lost, 1);
	cr_expect_eq(in.trades, NULL);
}

Test(market, day_roll)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(51);
	const uint64_t day = 86400000ull * 19700;
	uint64_t now = day - 2000;
	struct sim_inst *in;
	sim_fx last = 0;

	setup(&m, &sc);
	sim_market_start(&m, now);
	in = &m.inst[1];
	while (now < day - 10) {
		now += 10;
		sim_market_step(&m, now);
		drain_all(&m);
	}
	cr_assert_gt(in->acc_volume, 0, "traded before midnight");
	last = in->last_px;
	sim_market_step(&m, day);
	cr_expect_eq(in->prev_close, last);
	cr_expect_eq(in->acc_volume, in->ntrades ? in->trades[0].qty : 0);
	cr_expect_eq(in->open_px, last);
	sim_market_free(&m);
}

/*
 * Out of memory: the address space is capped at what the process uses,
 * malloc's free space is eaten, then 'headroom' bytes are allowed. Not
 * under ASan (its shadow memory cannot live under an address-space cap).
 */
struct memcap {
	struct rlimit old;
	void *hog;
};

static size_t vm_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void memcap_on(struct memcap *c, size_t headroom)
{
	struct rlimit l;

	cr_assert_eq(getrlimit(RLIMIT_AS, &c->old), 0);
	l.rlim_max = c->old.rlim_max;
	l.rlim_cur = vm_bytes();
	cr_assert_eq(setrlimit(RLIMIT_AS, &l), 0);
	c->hog = NULL;
	for (;;) {
		void **p = malloc(512);

		if (!p)
			break;
		*p = c->hog;
		c->hog = p;
	}
	l.rlim_cur += headroom;
	setrlimit(RLIMIT_AS, &l);
}

static void memcap_off(struct memcap *c)
{
	while (c->hog) {
		void **p = c->hog;

		c->hog = *p;
		free(p);
	}
	setrlimit(RLIMIT_AS, &c->old);
}

Test(market, add_inst_no_memory)
{
	static struct sim_market m;
	struct sim_scenario sc = scen(1);
	static const size_t room[] = { 0, 60000, 120000, 180000, 240000, 300000, 400000, 600000, 1000000, 2000000 };
	unsigned failed = 0, added = 0;
	struct memcap c;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("no address-space cap under a sanitizer");
#endif
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (size_t i = 0; i < sizeof(room) / sizeof(room[0]); i++) {
		char sym[8] = "S0";
		uint32_t before = m.ninsts;
		struct sim_inst *in;

		sym[1] = (char)('0' + i);
		memcap_on(&c, room[i]);
		in = sim_market_add_inst(&m, 1, 0, sym, "BTC", "USDT");
		memcap_off(&c);
		cr_log_info("headroom %zu: %s", room[i], in ? "added" : "no memory");
		if (!in) {
			failed++;
			cr_assert_eq(m.ninsts, before, "a failed add leaves no instrument");
			cr_assert_null(m.inst[before].chg, "and nothing allocated");
		} else {
			added++;
			cr_assert_eq(m.ninsts, before + 1);
		}
	}
	/* the small headrooms fail at the first allocation or a later one */
	cr_expect_gt(failed, 1, "some adds ran out of memory");
	cr_expect_gt(added, 0, "enough room is enough");
	/* the table still works */
	cr_expect_not_null(sim_market_add_inst(&m, 1, 0, "AFTER", "BTC", "USDT"));
	sim_market_start(&m, 1);
	check_book(&m.inst[m.ninsts - 1], "after no memory");
	sim_market_free(&m);
}
