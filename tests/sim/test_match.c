/* SPDX-License-Identifier: MIT */
/*
 * The matching engine (sim/match.c): checks, taker walks, makers, fees,
 * balances, storage and lookups.
 *
 * Two instruments with hand-made books: KRW-BTC on "upbit" (fee in quote,
 * 0.05%, fee locked at entry, client ids unique forever) and BTCUSDT on
 * "binance" (fee in the asset received, 0.1%). After every operation inv()
 * checks that no balance is negative, that each account's locked amount is
 * the sum of its open orders' locks (nothing left locked by ended orders),
 * and that per asset, accounts + the market's counterparty + fees collected
 * never change: money only moves.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "../../sim/sim.h"

static struct sim_scenario sc;
static struct sim_market m;
static struct sim_exch x;
static struct sim_inst *kb, *bb;        /* KRW-BTC (upbit), BTCUSDT (binance) */
static int BTC, KRW, USDT;

enum { UP_A = 0, UP_B = 1, BN_A = 2, BN_B = 3 };

/* ---- what the engine reports ---------------------------------------------- */

#define MAXEV 512
struct ev {
	struct sim_order o;
	struct sim_fill f;
	bool has_fill;
};
static struct ev evs[MAXEV];
static unsigned nev, nbal, nmaker;
static bool record = true;
static sim_fx cp[SIM_MAX_ASSETS];       /* the market's counterparty */
static sim_fx fees[SIM_MAX_ASSETS];     /* collected by the venues */
static sim_fx total0[SIM_MAX_ASSETS];   /* every account at the start */

static void on_order(void *ctx, const struct sim_order *o, const struct sim_fill *f)
{
	(void)ctx;
	if (record && nev < MAXEV) {
		evs[nev].o = *o;
		evs[nev].has_fill = f != NULL;
		if (f)
			evs[nev].f = *f;
	}
	nev++;
	if (f) {
		const struct sim_inst *in = &m.inst[o->inst];

		if (o->side == SIM_BID) {
			cp[in->base_asset] -= f->qty;
			cp[in->quote_asset] += f->quote;
		} else {
			cp[in->base_asset] += f->qty;
			cp[in->quote_asset] -= f->quote;
		}
		fees[f->fee_asset] += f->fee;
		nmaker += f->maker;
	}
}

static void on_balance(void *ctx, const struct sim_account *a, unsigned asset)
{
	(void)ctx;
	nbal++;
	cr_assert_geq(a->free[asset], 0);
	cr_assert_geq(a->locked[asset], 0);
}

static const struct sim_match_ops ops = { .on_order = on_order, .on_balance = on_balance };

/* ---- helpers ---------------------------------------------------------------- */

static sim_fx F(const char *s)
{
	sim_fx v;

	cr_assert_eq(sim_parse_fx(s, strlen(s), &v), 0, "%s", s);
	return v;
}

static unsigned lock_asset(const struct sim_order *o)
{
	const struct sim_inst *in = &m.inst[o->inst];

	return o->side == SIM_BID ? in->quote_asset : in->base_asset;
}

/* The invariants, after every operation. */
static void inv(void)
{
	static sim_fx lock[SIM_MAX_ACCOUNTS][SIM_MAX_ASSETS];

	memset(lock, 0, sizeof(lock));
	for (uint32_t i = 0; i < x.norders; i++) {
		const struct sim_order *o = &x.orders[i];

		if (o->open)
			lock[o->acct][lock_asset(o)] += o->locked;
		else
			cr_assert_eq(o->locked, 0, "order %lu ended with %ld locked",
				     (unsigned long)o->id, (long)o->locked);
	}
	for (unsigned k = 0; k < SIM_MAX_ASSETS; k++) {
		sim_fx sum = cp[k] + fees[k];

		for (uint32_t a = 0; a < x.naccts; a++) {
			cr_assert_geq(x.acct[a].free[k], 0);
			cr_assert_geq(x.acct[a].locked[k], 0);
			cr_assert_eq(x.acct[a].locked[k], lock[a][k], "acct %u asset %u: %ld locked, orders hold %ld",
				     a, k, (long)x.acct[a].locked[k], (long)lock[a][k]);
			sum += x.acct[a].free[k] + x.acct[a].locked[k];
		}
		cr_assert_eq(sum, total0[k], "asset %u: %ld now, %ld at start", k, (long)sum,
			     (long)total0[k]);
	}
}

static struct sim_order_req req(unsigned acct, const struct sim_inst *in, unsigned side,
				unsigned type, unsigned tif, const char *px, const char *qty,
				const char *quote_qty, const char *cid)
{
	struct sim_order_req r;

	memset(&r, 0, sizeof(r));
	r.acct = (uint8_t)acct;
	r.inst = in->id;
	r.side = (uint8_t)side;
	r.type = (uint8_t)type;
	r.tif = (uint8_t)tif;
	r.px = px ? F(px) : 0;
	r.qty = qty ? F(qty) : 0;
	r.quote_qty = quote_qty ? F(quote_qty) : 0;
	if (cid)
		snprintf(r.cid, sizeof(r.cid), "%s", cid);
	return r;
}

/* Submit and check the invariants. */
static enum sim_reject sub(const struct sim_order_req *r, struct sim_order **o)
{
	enum sim_reject rej = sim_exch_submit(&x, r, o);

	inv();
	return rej;
}

static struct sim_order *limit(unsigned acct, const struct sim_inst *in, unsigned side,
			       unsigned tif, const char *px, const char *qty)
{
	struct sim_order_req r = req(acct, in, side, SIM_ORD_LIMIT, tif, px, qty, NULL, NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_not_null(o);
	return o;
}

/* A rejection: stored, no id, nothing moved, one event. */
static void rejected(const struct sim_order_req *r, enum sim_reject want)
{
	struct sim_account before[SIM_MAX_ACCOUNTS];
	struct sim_book_side ask = kb->book.side[SIM_ASK];
	unsigned ev0 = nev, bal0 = nbal;
	struct sim_order *o = (struct sim_order *)1;
	enum sim_reject got;

	memcpy(before, x.acct, sizeof(before));
	got = sub(r, &o);
	cr_assert_eq(got, want, "got %s, want %s", sim_reject_name(got), sim_reject_name(want));
	cr_assert_not_null(o);
	cr_assert_eq(o->status, SIM_ST_REJECTED);
	cr_assert_eq(o->reject, want);
	cr_assert_eq(o->id, 0);
	cr_assert_not(o->open);
	cr_assert_eq(nev, ev0 + 1);
	cr_assert_eq(evs[ev0].o.status, SIM_ST_REJECTED);
	cr_assert_eq(nbal, bal0);
	cr_assert_eq(memcmp(before, x.acct, sizeof(before)), 0);
	cr_assert_eq(kb->book.side[SIM_ASK].n, ask.n);
}

static void level(const struct sim_inst *in, unsigned side, unsigned i, const char *px,
		  const char *qty)
{
	cr_assert_gt(in->book.side[side].n, i);
	cr_assert_eq(in->book.side[side].lv[i].px, F(px), "level %u px %ld", i,
		     (long)in->book.side[side].lv[i].px);
	cr_assert_eq(in->book.side[side].lv[i].qty, F(qty), "level %u qty %ld", i,
		     (long)in->book.side[side].lv[i].qty);
}

static void account(struct sim_account_cfg *a, const char *venue, const char *key,
		    const char *asset1, const char *amt1, const char *asset2, const char *amt2)
{
	snprintf(a->venue, sizeof(a->venue), "%s", venue);
	snprintf(a->key, sizeof(a->key), "%s", key);
	snprintf(a->secret, sizeof(a->secret), "secret-%s", key);
	a->nbal = 2;
	snprintf(a->bal[0].asset, sizeof(a->bal[0].asset), "%s", asset1);
	a->bal[0].amount = F(amt1);
	snprintf(a->bal[1].asset, sizeof(a->bal[1].asset), "%s", asset2);
	a->bal[1].amount = F(amt2);
}

static void book(struct sim_inst *in, const char *const *asks, const char *const *bids)
{
	for (unsigned i = 0; asks[i]; i += 2)
		sim_inst_set(in, SIM_ASK, F(asks[i]), F(asks[i + 1]));
	for (unsigned i = 0; bids[i]; i += 2)
		sim_inst_set(in, SIM_BID, F(bids[i]), F(bids[i + 1]));
	sim_inst_drain(in);
}

static void setup(void)
{
	static const char *const kb_asks[] = { "100000000", "0.5", "100001000", "1",
					       "100002000", "2", NULL };
	static const char *const kb_bids[] = { "99999000", "0.5", "99998000", "1",
					       "99997000", "2", NULL };
	static const char *const bb_asks[] = { "50000.00", "0.5", "50000.01", "1",
					       "50000.02", "2", NULL };
	static const char *const bb_bids[] = { "49999.99", "0.5", "49999.98", "1",
					       "49999.97", "2", NULL };

	memset(&sc, 0, sizeof(sc));
	sc.seed = 1;
	sc.step_ns = 10000000;
	sc.usdkrw_start = 1400;
	sc.ncoins = 1;
	snprintf(sc.coins[0].name, sizeof(sc.coins[0].name), "BTC");
	sc.coins[0].start_usdt = 50000;
	sc.nvenues = 2;
	snprintf(sc.venues[0].name, sizeof(sc.venues[0].name), "upbit");
	snprintf(sc.venues[1].name, sizeof(sc.venues[1].name), "binance");
	sc.venues[0].enabled = sc.venues[1].enabled = true;
	sc.naccounts = 4;
	account(&sc.accounts[UP_A], "upbit", "up-a", "KRW", "1000000000", "BTC", "10");
	account(&sc.accounts[UP_B], "upbit", "up-b", "KRW", "10000", "BTC", "0.001");
	account(&sc.accounts[BN_A], "binance", "bn-a", "USDT", "1000000", "BTC", "10");
	account(&sc.accounts[BN_B], "binance", "bn-b", "USDT", "100", "BTC", "0");

	cr_assert_eq(sim_market_init(&m, &sc), 0);
	kb = sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW");
	bb = sim_market_add_inst(&m, 1, 0, "BTCUSDT", "BTC", "USDT");
	cr_assert(kb && bb);
	kb->tick = F("1000");
	kb->step = F("0.0001");
	kb->min_notional = F("5000");
	kb->max_notional = F("1000000000");
	bb->tick = F("0.01");
	bb->step = F("0.00001");
	bb->min_qty = F("0.00001");
	bb->max_qty = F("9000");
	bb->min_notional = F("5");
	book(kb, kb_asks, kb_bids);
	book(bb, bb_asks, bb_bids);
	BTC = sim_asset_id("BTC");
	KRW = sim_asset_id("KRW");
	USDT = sim_asset_id("USDT");

	cr_assert_eq(sim_exch_init(&x, &m, NULL), 0);
	x.rules[0] = (struct sim_venue_rules){ .maker_fee = 0.0005, .taker_fee = 0.0005,
		.fee_rule = SIM_FEE_QUOTE, .lock_fee = true, .cid_forever = true };
	x.rules[1] = (struct sim_venue_rules){ .maker_fee = 0.001, .taker_fee = 0.001,
		.fee_rule = SIM_FEE_RECEIVED };
	x.ops = &ops;
	cr_assert_eq(sim_exch_accounts(&x, &sc), 0);
	cr_assert_eq(x.naccts, 4);
	memset(total0, 0, sizeof(total0));
	for (uint32_t a = 0; a < x.naccts; a++)
		for (unsigned k = 0; k < SIM_MAX_ASSETS; k++)
			total0[k] += x.acct[a].free[k] + x.acct[a].locked[k];
	nev = nbal = 0;
	record = true;
	inv();
}

static void teardown(void)
{
	sim_exch_free(&x);
	sim_market_free(&m);
}

TestSuite(match, .init = setup, .fini = teardown);

/* ---- taker walks ------------------------------------------------------------ */

Test(match, partial_fill_across_levels_then_rests)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_GTC, "100001000", "2");
	struct sim_account *a = &x.acct[UP_A];

	cr_assert_eq(o->status, SIM_ST_PARTIAL);
	cr_assert(o->open);
	cr_assert_eq(o->id, 1);
	cr_assert_eq(o->filled, F("1.5"));
	cr_assert_eq(o->filled_quote, F("150001000"));
	/* 0.05% of 50,000,000 and of 100,001,000 */
	cr_assert_eq(o->fee, F("75000.5"));
	cr_assert_eq(o->reserved_fee, F("100001"));
	cr_assert_eq(o->ntrades, 2);
	/* accepted, two fills */
	cr_assert_eq(nev, 3);
	cr_assert_eq(evs[0].o.status, SIM_ST_NEW);
	cr_assert(!evs[0].has_fill);
	cr_assert(evs[1].has_fill && evs[2].has_fill);
	cr_assert_eq(evs[1].f.px, F("100000000"));
	cr_assert_eq(evs[1].f.qty, F("0.5"));
	cr_assert_eq(evs[1].f.fee, F("25000"));
	cr_assert_eq(evs[1].f.fee_asset, KRW);
	cr_assert_not(evs[1].f.maker);
	cr_assert_eq(evs[2].f.px, F("100001000"));
	cr_assert_eq(evs[2].f.fee, F("50000.5"));
	cr_assert_eq(evs[2].o.status, SIM_ST_PARTIAL);
	cr_assert_eq(evs[1].f.exec_id + 1, evs[2].f.exec_id);
	/* the public book lost both levels, the trades printed, our rest is not shown */
	cr_assert_eq(kb->book.side[SIM_ASK].n, 1);
	level(kb, SIM_ASK, 0, "100002000", "2");
	cr_assert_eq(kb->book.side[SIM_BID].n, 3);
	level(kb, SIM_BID, 0, "99999000", "0.5");
	cr_assert_eq(kb->ntrades, 2);
	cr_assert_eq(kb->trades[0].px, F("100000000"));
	cr_assert_eq(kb->trades[0].qty, F("0.5"));
	cr_assert_eq(kb->trades[0].taker_side, SIM_BID);
	cr_assert_eq(kb->trades[0].id, evs[1].f.trade_id);
	cr_assert_eq(kb->trades[1].id, evs[2].f.trade_id);
	/* locked: 200,002,000 + 100,001 fee reserve, less what the fills spent */
	cr_assert_eq(a->free[KRW], F("799897999"));
	cr_assert_eq(a->locked[KRW], F("50026000.5"));
	cr_assert_eq(o->locked, F("50026000.5"));
	cr_assert_eq(a->free[BTC], F("11.5"));

	/* cancel: the rest of the lock, fee reserve included, comes back */
	cr_assert_eq(sim_exch_cancel(&x, o), 0);
	inv();
	cr_assert_eq(o->status, SIM_ST_CANCELED);
	cr_assert_not(o->open);
	cr_assert_eq(a->locked[KRW], 0);
	cr_assert_eq(a->free[KRW], F("849923999.5"));
	cr_assert_eq(evs[nev - 1].o.status, SIM_ST_CANCELED);
	cr_assert_eq(sim_exch_cancel(&x, o), -ENOENT);
	cr_assert_eq(sim_exch_cancel(&x, NULL), -ENOENT);
}

Test(match, ioc_remainder_expires)
{
	struct sim_order *o = limit(UP_A, kb, SIM_ASK, SIM_IOC, "99998000", "2");
	struct sim_account *a = &x.acct[UP_A];

	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_not(o->open);
	cr_assert_eq(o->filled, F("1.5"));
	cr_assert_eq(nev, 4);
	cr_assert_eq(evs[0].o.status, SIM_ST_NEW);
	cr_assert_eq(evs[1].o.status, SIM_ST_PARTIAL);
	cr_assert_eq(evs[2].o.status, SIM_ST_PARTIAL);
	cr_assert_eq(evs[3].o.status, SIM_ST_EXPIRED);
	cr_assert_not(evs[3].has_fill);
	/* seller gets quote less the quote fee: 49,999,500 - 24,999.75 + 99,998,000 - 49,999 */
	cr_assert_eq(a->free[KRW], F("1149922501.25"));
	cr_assert_eq(a->free[BTC], F("8.5"));
	cr_assert_eq(a->locked[BTC], 0);
	cr_assert_eq(kb->book.side[SIM_BID].n, 1);
	level(kb, SIM_BID, 0, "99997000", "2");
	cr_assert_eq(kb->trades[1].taker_side, SIM_ASK);
}

Test(match, ioc_with_nothing_to_take_expires_whole)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_IOC, "99000000", "1");

	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, 0);
	cr_assert_eq(x.acct[UP_A].free[KRW], F("1000000000"));
	cr_assert_eq(kb->ntrades, 0);
}

Test(match, fok_fills_whole)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_FOK, "100001000", "1.5");

	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->filled, F("1.5"));
	cr_assert_eq(kb->book.side[SIM_ASK].n, 1);
	cr_assert_eq(evs[nev - 1].o.status, SIM_ST_FILLED);
	cr_assert(evs[nev - 1].has_fill);
	/* the unspent fee reserve came back: 100,001,000 x 1.5 + its fee, exactly */
	cr_assert_eq(x.acct[UP_A].free[KRW], F("849923999.5"));
	cr_assert_eq(x.acct[UP_A].locked[KRW], 0);
}

Test(match, fok_that_cannot_fill_expires_when_the_venue_expires_them)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_FOK, "100001000", "1.6");

	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, 0);
	cr_assert_neq(o->id, 0);
	cr_assert_eq(nev, 2);
	cr_assert_eq(evs[0].o.status, SIM_ST_NEW);
	cr_assert_eq(evs[1].o.status, SIM_ST_EXPIRED);
	cr_assert_eq(nbal, 0);
	cr_assert_eq(kb->book.side[SIM_ASK].n, 3);
	level(kb, SIM_ASK, 0, "100000000", "0.5");
	cr_assert_eq(kb->ntrades, 0);
}

Test(match, fok_that_cannot_fill_is_rejected_when_the_venue_rejects_them)
{
	struct sim_order_req r = req(BN_A, bb, SIM_BID, SIM_ORD_LIMIT, SIM_FOK, "50000.01", "2",
				     NULL, NULL);
	struct sim_order *o;

	x.rules[1].fok_rejects = true;
	rejected(&r, SIM_REJ_FOK);
	cr_assert_eq(bb->book.side[SIM_ASK].n, 3);
	/* and whole, it fills */
	r.qty = F("1.5");
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_FILLED);
}

Test(match, fok_market_order_all_or_nothing)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET, SIM_FOK, NULL, "3.6",
				     NULL, NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, 0);
	r.qty = F("3.5");
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(kb->book.side[SIM_ASK].n, 0);
}

/* ---- post-only ---------------------------------------------------------------- */

Test(match, post_only_that_would_take_is_rejected)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_POST_ONLY,
				     "100000000", "0.1", NULL, NULL);

	rejected(&r, SIM_REJ_WOULD_TAKE);
	r = req(UP_A, kb, SIM_ASK, SIM_ORD_LIMIT, SIM_POST_ONLY, "99999000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_WOULD_TAKE);
	cr_assert_eq(kb->ntrades, 0);
}

Test(match, post_only_that_would_not_take_rests_unseen)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_POST_ONLY, "99999000", "0.1");

	cr_assert_eq(o->status, SIM_ST_NEW);
	cr_assert(o->open);
	/* 9,999,900 plus the 0.05% taker fee reserved */
	cr_assert_eq(o->locked, F("10004899.95"));
	cr_assert_eq(x.acct[UP_A].locked[KRW], F("10004899.95"));
	/* not in the public book */
	cr_assert_eq(kb->book.side[SIM_BID].n, 3);
	level(kb, SIM_BID, 0, "99999000", "0.5");
	cr_assert_eq(kb->nchg, 0);
	cr_assert_eq(kb->ntrades, 0);
}

/* ---- market orders ---------------------------------------------------------- */

Test(match, market_buy_by_quote_spends_to_a_step)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_GTC, NULL, NULL,
				     "75000000", NULL);
	struct sim_order *o;
	struct sim_account *a = &x.acct[UP_A];

	cr_assert_eq(sub(&r, &o), SIM_OK);
	/*
	 * 0.5 at 100,000,000 = 50,000,000; the 25,000,000 left buys
	 * 0.24999750 at 100,001,000, 0.2499 on the 0.0001 step = 24,990,249.9;
	 * 9,750.1 is left, less than a step anywhere: filled.
	 */
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->filled, F("0.7499"));
	cr_assert_eq(o->filled_quote, F("74990249.9"));
	cr_assert_eq(o->fee, F("37495.12495"));
	cr_assert_eq(o->reserved_fee, F("37500"));
	cr_assert_eq(a->free[KRW], F("924972254.97505"));
	cr_assert_eq(a->locked[KRW], 0);
	cr_assert_eq(a->free[BTC], F("10.7499"));
	level(kb, SIM_ASK, 0, "100001000", "0.7501");
}

Test(match, market_buy_by_quote_expires_when_the_book_runs_out)
{
	struct sim_order_req r = req(BN_A, bb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_IOC, NULL,
				     NULL, "200000", NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, F("3.5"));
	cr_assert_eq(bb->book.side[SIM_ASK].n, 0);
	/* fee in BTC on binance: 0.1% of 3.5 */
	cr_assert_eq(o->fee, F("0.0035"));
	cr_assert_eq(x.acct[BN_A].free[BTC], F("13.4965"));
}

Test(match, market_buy_by_base_locks_the_walk)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET, SIM_GTC, NULL, "1",
				     NULL, NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->filled_quote, F("100000500"));
	cr_assert_eq(o->fee, F("50000.25"));
	/* the lock was the walk's cost plus its fee: all of it spent */
	cr_assert_eq(x.acct[UP_A].free[KRW], F("899949499.75"));
	cr_assert_eq(evs[1].o.locked + evs[1].f.quote + evs[1].f.fee,
		     F("100000500") + F("50000.25"));
}

Test(match, market_sell_by_quote_sells_what_it_needs)
{
	struct sim_order_req r = req(BN_A, bb, SIM_ASK, SIM_ORD_MARKET_QUOTE, SIM_GTC, NULL,
				     NULL, "30000", NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	/* 0.5 at 49,999.99 = 24,999.995; 5,000.005 / 49,999.98 = 0.1 on the step */
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->filled, F("0.6"));
	cr_assert_eq(o->filled_quote, F("29999.993"));
	cr_assert_eq(o->fee, F("29.999993"));
	cr_assert_eq(x.acct[BN_A].free[USDT], F("1029969.993007"));
	cr_assert_eq(x.acct[BN_A].free[BTC], F("9.4"));
}

Test(match, best_takes_only_the_best_level)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_BEST, SIM_IOC, NULL, NULL,
				     "60000000", NULL);
	struct sim_order *o;

	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, F("0.5"));
	level(kb, SIM_ASK, 0, "100001000", "1");

	r = req(UP_A, kb, SIM_BID, SIM_ORD_BEST, SIM_FOK, NULL, NULL, "40000000", NULL);
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_FILLED);

	r = req(UP_A, kb, SIM_ASK, SIM_ORD_BEST, SIM_IOC, NULL, "1", NULL, NULL);
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	cr_assert_eq(o->filled, F("0.5"));
}

/* ---- checks, each ------------------------------------------------------------- */

Test(match, rejects_price_off_tick)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000500", "0.1",
				     NULL, NULL);

	rejected(&r, SIM_REJ_TICK);
}

Test(match, rejects_qty_off_step)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000",
				     "0.00015", NULL, NULL);

	rejected(&r, SIM_REJ_STEP);
}

Test(match, rejects_qty_bounds)
{
	struct sim_order_req r = req(BN_A, bb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "40000", "9000.5",
				     NULL, NULL);

	rejected(&r, SIM_REJ_MAX_QTY);
	bb->min_qty = F("0.001");
	r.qty = F("0.0005");
	rejected(&r, SIM_REJ_MIN_QTY);
}

Test(match, rejects_min_notional)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "10000", "0.1",
				     NULL, NULL);

	rejected(&r, SIM_REJ_MIN_NOTIONAL);
	r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_GTC, NULL, NULL, "4999", NULL);
	rejected(&r, SIM_REJ_MIN_NOTIONAL);
	/* a market sell by base is valued at the best bid: 0.0001 x 99,999,000 > 5,000 */
	r = req(UP_A, kb, SIM_ASK, SIM_ORD_MARKET, SIM_GTC, NULL, "0.0001", NULL, NULL);
	cr_assert_eq(sub(&r, NULL), SIM_OK);
	kb->min_notional = F("10000");
	rejected(&r, SIM_REJ_MIN_NOTIONAL);
}

Test(match, rejects_max_notional)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "100000000", "20",
				     NULL, NULL);

	rejected(&r, SIM_REJ_MAX_NOTIONAL);
}

Test(match, rejects_without_funds)
{
	/* 10,000 KRW: 0.0002 at 50,000,000 is 10,000, plus the fee locked: not enough */
	struct sim_order_req r = req(UP_B, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "50000000",
				     "0.0002", NULL, NULL);
	struct sim_order *o;

	rejected(&r, SIM_REJ_FUNDS);
	r = req(UP_B, kb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_GTC, NULL, NULL, "10000", NULL);
	rejected(&r, SIM_REJ_FUNDS);
	r = req(UP_B, kb, SIM_ASK, SIM_ORD_LIMIT, SIM_GTC, "100000000", "0.0011", NULL, NULL);
	rejected(&r, SIM_REJ_FUNDS);
	/* without the fee lock the notional alone is enough */
	x.rules[0].lock_fee = false;
	r = req(UP_B, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "50000000", "0.0002", NULL, NULL);
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(x.acct[UP_B].free[KRW], 0);
	cr_assert_eq(x.acct[UP_B].locked[KRW], F("10000"));
	/* binance: 100 USDT */
	r = req(BN_B, bb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "40000", "0.003", NULL, NULL);
	rejected(&r, SIM_REJ_FUNDS);
}

Test(match, rejects_unknown_market)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000", "0.1",
				     NULL, NULL);

	r.inst = 60;
	rejected(&r, SIM_REJ_NO_MARKET);
	/* another venue's instrument */
	r = req(UP_A, bb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "40000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_NO_MARKET);
}

Test(match, rejects_bad_params)
{
	struct sim_order_req r;

	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, NULL, "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* limit without a price */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000", NULL, NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* nor a quantity */
	r.qty = -F("1");
	rejected(&r, SIM_REJ_BAD_PARAM);
	r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET, SIM_GTC, "99000000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* market with a price */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET, SIM_POST_ONLY, NULL, "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* post-only market */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_IOC, NULL, "0.1", "10000", NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* by quote with a quantity */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_MARKET_QUOTE, SIM_IOC, NULL, NULL, NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* by quote without one */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_BEST, SIM_GTC, NULL, NULL, "10000", NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* best must be IOC or FOK */
	r = req(UP_A, kb, SIM_ASK, SIM_ORD_BEST, SIM_IOC, NULL, NULL, "10000", NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* a best sell is by base */
	r = req(UP_A, kb, 2, SIM_ORD_LIMIT, SIM_GTC, "99000000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* no such side */
	r = req(UP_A, kb, SIM_BID, 9, SIM_GTC, "99000000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* no such type */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, 7, "99000000", "0.1", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* no such tif */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000", "0.1", NULL, NULL);
	memset(r.cid, 'a', sizeof(r.cid));
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* client id not terminated */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000", "10000000000", NULL, NULL);
	rejected(&r, SIM_REJ_BAD_PARAM);                  /* absurd */
}

Test(match, unknown_account_is_a_bad_param_with_no_order)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "99000000", "0.1",
				     NULL, NULL);
	struct sim_order *o = (struct sim_order *)1;

	r.acct = 9;
	cr_assert_eq(sub(&r, &o), SIM_REJ_BAD_PARAM);
	cr_assert_null(o);
	cr_assert_eq(nev, 0);
	cr_assert_eq(x.stats_rejects, 1);
}

Test(match, rejects_too_many_open_orders)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "90000000", "0.1",
				     NULL, NULL);
	struct sim_order *o1 = limit(UP_A, kb, SIM_BID, SIM_GTC, "90000000", "0.1");

	x.rules[0].max_open = 2;
	limit(UP_A, kb, SIM_BID, SIM_GTC, "90000000", "0.1");
	rejected(&r, SIM_REJ_TOO_MANY_ORDERS);
	/* per account: another one may */
	limit(UP_B, kb, SIM_ASK, SIM_GTC, "110000000", "0.0001");
	cr_assert_eq(sim_exch_cancel(&x, o1), 0);
	inv();
	limit(UP_A, kb, SIM_BID, SIM_GTC, "90000000", "0.1");
}

Test(match, checks_run_in_order)
{
	/* off tick, off step, too small and unfunded: the tick is reported */
	struct sim_order_req r = req(UP_B, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "500", "0.00001",
				     NULL, NULL);

	rejected(&r, SIM_REJ_TICK);
	r.px = F("1000");
	rejected(&r, SIM_REJ_STEP);
	r.qty = F("0.0001");
	rejected(&r, SIM_REJ_MIN_NOTIONAL);
	r.px = F("200000000");
	r.qty = F("0.0001");
	/* crosses the book and lacks funds: would take is not checked (GTC), funds are */
	rejected(&r, SIM_REJ_FUNDS);
	/* FOK before funds */
	r.tif = SIM_FOK;
	r.qty = F("4");
	x.rules[0].fok_rejects = true;
	rejected(&r, SIM_REJ_FOK);
}

/* ---- client ids ---------------------------------------------------------------- */

Test(match, duplicate_cid_forever)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "90000500", "0.1",
				     NULL, "x1");
	struct sim_order *o;

	rejected(&r, SIM_REJ_TICK);
	/* even a rejected order's id may not come back */
	r.px = F("90000000");
	o = (struct sim_order *)1;
	cr_assert_eq(sub(&r, &o), SIM_REJ_DUP_CID);
	cr_assert_null(o);
	cr_assert_eq(evs[nev - 1].o.status, SIM_ST_REJECTED);
	cr_assert_eq(evs[nev - 1].o.reject, SIM_REJ_DUP_CID);
	cr_assert_null(sim_exch_find_cid(&x, UP_A, "x1"));
	/* nor a filled one */
	r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_IOC, "100000000", "0.1", NULL, "x2");
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(sub(&r, &o), SIM_REJ_DUP_CID);
	/* per account */
	r.acct = UP_B;
	r.px = F("90000000");
	r.qty = F("0.0001");
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(x.stats_rejects, 3);
}

Test(match, duplicate_cid_among_open_orders)
{
	struct sim_order_req r = req(BN_A, bb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "40000", "0.1",
				     NULL, "c1");
	struct sim_order *o1, *o;

	cr_assert_eq(sub(&r, &o1), SIM_OK);
	cr_assert(o1->open);
	cr_assert_eq(sub(&r, &o), SIM_REJ_DUP_CID);
	cr_assert_null(o);
	cr_assert_eq(sim_exch_cancel(&x, o1), 0);
	inv();
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_neq(o, o1);
	/* the newest one is found */
	cr_assert_eq(sim_exch_find_cid(&x, BN_A, "c1"), o);
	/* a rejected order's id is free again */
	r = req(BN_A, bb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "40000.001", "0.1", NULL, "c2");
	rejected(&r, SIM_REJ_TICK);
	r.px = F("40000");
	cr_assert_eq(sub(&r, &o), SIM_OK);
}

/* ---- makers ---------------------------------------------------------------------- */

Test(match, resting_buy_fills_as_maker_when_the_market_crosses_it)
{
	struct sim_order *o = limit(UP_A, kb, SIM_BID, SIM_GTC, "99999000", "1");
	struct sim_account *a = &x.acct[UP_A];
	unsigned ev0;

	cr_assert(o->open);
	cr_assert_eq(o->locked, F("100048999.5"));
	/* nothing crosses yet */
	ev0 = nev;
	sim_exch_after_step(&x);
	inv();
	cr_assert_eq(nev, ev0);

	sim_inst_set(kb, SIM_ASK, F("99998000"), F("0.4"));
	sim_inst_set(kb, SIM_ASK, F("99999000"), F("0.3"));
	sim_exch_after_step(&x);
	inv();
	cr_assert_eq(nev, ev0 + 1);
	cr_assert(evs[ev0].has_fill);
	cr_assert(evs[ev0].f.maker);
	cr_assert_eq(evs[ev0].f.px, F("99999000"));
	cr_assert_eq(evs[ev0].f.qty, F("0.7"));
	cr_assert_eq(evs[ev0].f.fee, F("34999.65"));
	cr_assert_eq(o->status, SIM_ST_PARTIAL);
	cr_assert(o->open);
	cr_assert_eq(o->locked, F("30014699.85"));
	level(kb, SIM_ASK, 0, "100000000", "0.5");
	cr_assert_eq(kb->ntrades, 1);
	cr_assert_eq(kb->trades[0].px, F("99999000"));
	cr_assert_eq(kb->trades[0].qty, F("0.7"));
	cr_assert_eq(kb->trades[0].taker_side, SIM_ASK);

	sim_inst_set(kb, SIM_ASK, F("99999000"), F("1"));
	sim_exch_after_step(&x);
	inv();
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_not(o->open);
	cr_assert_eq(o->filled, F("1"));
	level(kb, SIM_ASK, 0, "99999000", "0.7");
	/* the maker fee equals the taker fee here: every bit of the reserve spent */
	cr_assert_eq(a->free[KRW], F("899951000.5"));
	cr_assert_eq(a->locked[KRW], 0);
	cr_assert_eq(a->free[BTC], F("11"));
	cr_assert_eq(sim_exch_open_orders(&x, UP_A, -1, (struct sim_order *[1]){ 0 }, 1), 0);
}

Test(match, resting_sell_fills_as_maker_with_the_maker_rate)
{
	struct sim_order *o;

	x.rules[1].maker_fee = 0.0002;
	o = limit(BN_A, bb, SIM_ASK, SIM_GTC, "50000.05", "1");
	cr_assert(o->open);
	cr_assert_eq(x.acct[BN_A].locked[BTC], F("1"));
	sim_inst_set(bb, SIM_BID, F("50000.06"), F("0.25"));
	sim_exch_after_step(&x);
	inv();
	cr_assert_eq(o->filled, F("0.25"));
	/* 12,500.0125 at 0.02% = 2.5000025 */
	cr_assert_eq(o->fee, F("2.5000025"));
	cr_assert_eq(x.acct[BN_A].free[USDT], F("1012497.5124975"));
	cr_assert_eq(x.acct[BN_A].locked[BTC], F("0.75"));
	level(bb, SIM_BID, 0, "49999.99", "0.5");
}

Test(match, makers_fill_better_price_first)
{
	struct sim_order *older = limit(UP_A, kb, SIM_BID, SIM_GTC, "99990000", "0.5");
	struct sim_order *newer = limit(UP_A, kb, SIM_BID, SIM_GTC, "99995000", "0.5");

	sim_inst_set(kb, SIM_ASK, F("99990000"), F("0.5"));
	sim_exch_after_step(&x);
	inv();
	cr_assert_eq(newer->status, SIM_ST_FILLED);
	cr_assert_eq(older->filled, 0);
	cr_assert(older->open);
}

/* ---- fees --------------------------------------------------------------------------- */

Test(match, fee_in_the_received_asset_rounds_up)
{
	struct sim_order *o;
	struct sim_account *a = &x.acct[BN_A];

	x.rules[1].taker_fee = 0.00075;
	/* buy 0.00123 at 50,000: 61.5 USDT; fee 0.0000009225 BTC, charged 0.00000093 */
	o = limit(BN_A, bb, SIM_BID, SIM_IOC, "50000.01", "0.00123");
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->fee, F("0.00000093"));
	cr_assert_eq(o->fee_asset, BTC);
	cr_assert_eq(a->free[USDT], F("999938.5"));
	cr_assert_eq(a->free[BTC], F("10.00122907"));
	/* sell 0.00123 at 49,999.99: 61.4999877 USDT; fee 0.046124990775, charged 0.046125 */
	o = limit(BN_A, bb, SIM_ASK, SIM_IOC, "49999.99", "0.00123");
	cr_assert_eq(o->status, SIM_ST_FILLED);
	cr_assert_eq(o->filled_quote, F("61.4999877"));
	cr_assert_eq(o->fee, F("0.046125"));
	cr_assert_eq(o->fee_asset, USDT);
	cr_assert_eq(a->free[USDT], F("999999.9538627"));
	cr_assert_eq(a->free[BTC], F("9.99999907"));
	cr_assert_eq(fees[BTC], F("0.00000093"));
	cr_assert_eq(fees[USDT], F("0.046125"));
}

Test(match, fee_in_quote_both_sides)
{
	struct sim_order *o;
	struct sim_account *a = &x.acct[UP_A];

	/* buy 0.3 at 100,000,000: pays 30,000,000 + 15,000 */
	o = limit(UP_A, kb, SIM_BID, SIM_IOC, "100000000", "0.3");
	cr_assert_eq(o->fee, F("15000"));
	cr_assert_eq(o->fee_asset, KRW);
	cr_assert_eq(a->free[KRW], F("969985000"));
	cr_assert_eq(a->free[BTC], F("10.3"));
	/* sell 0.3 at 99,999,000: gets 29,999,700 - 14,999.85 */
	o = limit(UP_A, kb, SIM_ASK, SIM_IOC, "99999000", "0.3");
	cr_assert_eq(o->fee, F("14999.85"));
	cr_assert_eq(a->free[KRW], F("999969700.15"));
	cr_assert_eq(a->free[BTC], F("10"));
	cr_assert_eq(fees[KRW], F("29999.85"));
	cr_assert_eq(fees[BTC], 0);
}

Test(match, quote_fee_rounds_up)
{
	struct sim_order *o;

	/* 0.00001 at 49,999.99 on a quote-fee venue: 0.4999999 x 0.05% = 0.00024999995 */
	x.rules[1].fee_rule = SIM_FEE_QUOTE;
	x.rules[1].taker_fee = 0.0005;
	bb->min_notional = 0;
	o = limit(BN_A, bb, SIM_ASK, SIM_IOC, "49999.99", "0.00001");
	cr_assert_eq(o->fee, F("0.00025"));
	o = limit(BN_A, bb, SIM_BID, SIM_IOC, "50000", "0.00001");
	cr_assert_eq(o->fee, F("0.00025"));
	cr_assert_eq(o->fee_asset, USDT);
	cr_assert_eq(x.acct[BN_A].free[USDT], F("1000000") + F("0.4999999") - F("0.00025") -
		     F("0.5") - F("0.00025"));
}

/* ---- money is only moved ----------------------------------------------------------- */

Test(match, balances_conserve_over_a_random_session)
{
	struct sim_rng rng;
	struct sim_inst *ins[2] = { kb, bb };
	static const unsigned accts[2][2] = { { UP_A, UP_B }, { BN_A, BN_B } };
	sim_fx mid[2] = { F("100000000"), F("50000") };
	unsigned kinds[10] = { 0 };

	record = false;
	x.rules[0].max_open = 20;
	sim_rng_seed(&rng, 7, 1);
	for (int it = 0; it < 3000; it++) {
		unsigned v = (unsigned)sim_rng_below(&rng, 2), what = (unsigned)sim_rng_below(&rng, 10);
		struct sim_inst *in = ins[v];
		sim_fx tick = in->tick, step = in->step * 10;
		struct sim_order_req r;
		struct sim_order *o;

		memset(&r, 0, sizeof(r));
		r.acct = (uint8_t)accts[v][sim_rng_below(&rng, 2)];
		r.inst = in->id;
		r.side = (uint8_t)sim_rng_below(&rng, 2);
		r.tif = (uint8_t)sim_rng_below(&rng, 4);
		r.px = mid[v] + ((sim_fx)sim_rng_below(&rng, 41) - 20) * tick;
		r.qty = (1 + (sim_fx)sim_rng_below(&rng, 300)) * step;
		if (what < 5) {
			r.type = SIM_ORD_LIMIT;
		} else if (what < 6) {
			r.type = SIM_ORD_MARKET;
			r.px = 0;
			r.tif = (uint8_t)sim_rng_below(&rng, 3);
		} else if (what < 7) {
			r.type = SIM_ORD_MARKET_QUOTE;
			r.quote_qty = sim_mul(r.px, r.qty);
			r.px = r.qty = 0;
			r.tif = SIM_IOC;
		} else if (what < 8) {
			uint32_t n = x.norders;

			if (n) {
				o = &x.orders[sim_rng_below(&rng, n)];
				sim_exch_cancel(&x, o);
				inv();
			}
			kinds[7]++;
			continue;
		} else {
			/* the market moves: fresh levels, some crossing our orders */
			for (int k = 0; k < 3; k++) {
				sim_fx d = ((sim_fx)sim_rng_below(&rng, 21) - 10) * tick;
				unsigned side = (unsigned)sim_rng_below(&rng, 2);

				sim_inst_set(in, side, mid[v] + d,
					     (1 + (sim_fx)sim_rng_below(&rng, 500)) * step);
			}
			sim_exch_after_step(&x);
			inv();
			sim_inst_drain(in);
			kinds[what]++;
			continue;
		}
		sim_exch_submit(&x, &r, &o);
		inv();
		kinds[r.type]++;
	}
	/* it exercised everything, and money moved */
	cr_assert(kinds[0] && kinds[1] && kinds[2] && kinds[7] && kinds[8] + kinds[9]);
	cr_assert_gt(x.stats_fills, 100);
	cr_assert_gt(nmaker, 10);
	cr_assert_gt(x.stats_rejects, 10);
	cr_assert_gt(fees[KRW], 0);
	cr_assert_gt(fees[BTC], 0);
	cr_assert_gt(fees[USDT], 0);
	/* and every open order still holds exactly its lock: cancel them all */
	for (uint32_t i = 0; i < x.norders; i++)
		if (x.orders[i].open)
			cr_assert_eq(sim_exch_cancel(&x, &x.orders[i]), 0);
	inv();
	for (uint32_t a = 0; a < x.naccts; a++)
		for (unsigned k = 0; k < SIM_MAX_ASSETS; k++)
			cr_assert_eq(x.acct[a].locked[k], 0);
}

Test(match, reserve_shortfall_from_rounding_comes_from_free)
{
	/*
	 * A buy on a fee-locking venue whose fills each round their fee up:
	 * three fills of 1e-8 quote at 0.0333% are charged 1e-8 each, while
	 * the reserve, rounded up once on the 3e-8 notional, is 1e-8. The
	 * other 2e-8 come from free.
	 */
	struct sim_order *o;
	struct sim_account *a = &x.acct[UP_A];

	kb->tick = 1;
	kb->step = 1;
	kb->min_notional = 0;
	x.rules[0].taker_fee = 0.000333;
	sim_inst_set(kb, SIM_ASK, F("100000000"), 0);
	sim_inst_set(kb, SIM_ASK, F("100001000"), 0);
	sim_inst_set(kb, SIM_ASK, F("100002000"), 0);
	sim_inst_set(kb, SIM_ASK, F("1.00000001"), F("0.00000001"));
	sim_inst_set(kb, SIM_ASK, F("1.00000002"), F("0.00000001"));
	sim_inst_set(kb, SIM_ASK, F("1.00000003"), F("0.00000001"));
	o = limit(UP_A, kb, SIM_BID, SIM_IOC, "1.00000003", "0.00000003");
	cr_assert_eq(o->status, SIM_ST_FILLED);
	/* each fill's quote is 1e-8 and its fee 1e-8 (0.000333 rounded up); the reserve was 1e-8 */
	cr_assert_eq(o->reserved_fee, 1);
	cr_assert_eq(o->fee, 3);
	cr_assert_eq(a->free[KRW], F("1000000000") - 6);
	cr_assert_eq(a->locked[KRW], 0);
}

/* ---- storage and lookups ---------------------------------------------------------- */

static bool uuid_v4(const char *u)
{
	if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
		return false;
	for (int i = 0; i < 36; i++)
		if (i != 8 && i != 13 && i != 18 && i != 23 && !strchr("0123456789abcdef", u[i]))
			return false;
	return u[14] == '4' && strchr("89ab", u[19]);
}

Test(match, ids_uuids_and_lookups)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "90000000", "0.1",
				     NULL, "u1");
	struct sim_order *o1, *o2, *o3, *b1, *open[4];
	struct sim_exch x2;

	cr_assert_eq(sub(&r, &o1), SIM_OK);
	snprintf(r.cid, sizeof(r.cid), "u2");
	cr_assert_eq(sub(&r, &o2), SIM_OK);
	b1 = limit(BN_A, bb, SIM_BID, SIM_GTC, "40000", "0.1");
	o3 = limit(UP_A, kb, SIM_ASK, SIM_GTC, "110000000", "0.1");
	cr_assert_eq(o1->id, 1);
	cr_assert_eq(o2->id, 2);
	cr_assert_eq(o3->id, 3);
	cr_assert_eq(b1->id, 1);        /* per venue */
	cr_assert(uuid_v4(o1->uuid), "%s", o1->uuid);
	cr_assert(uuid_v4(b1->uuid), "%s", b1->uuid);
	cr_assert_str_neq(o1->uuid, o2->uuid);
	cr_assert_str_neq(o1->uuid, b1->uuid);
	cr_assert_eq(sim_exch_find_id(&x, 0, 1), o1);
	cr_assert_eq(sim_exch_find_id(&x, 1, 1), b1);
	cr_assert_eq(sim_exch_find_id(&x, 0, 3), o3);
	cr_assert_null(sim_exch_find_id(&x, 0, 4));
	cr_assert_null(sim_exch_find_id(&x, 0, 0));
	cr_assert_eq(sim_exch_find_uuid(&x, 0, o2->uuid), o2);
	cr_assert_null(sim_exch_find_uuid(&x, 1, o2->uuid));
	cr_assert_null(sim_exch_find_uuid(&x, 0, ""));
	cr_assert_eq(sim_exch_find_cid(&x, UP_A, "u2"), o2);
	cr_assert_null(sim_exch_find_cid(&x, UP_B, "u2"));
	cr_assert_null(sim_exch_find_cid(&x, UP_A, ""));
	cr_assert_eq(sim_exch_open_orders(&x, UP_A, -1, open, 4), 3);
	cr_assert(open[0] == o1 && open[1] == o2 && open[2] == o3);
	cr_assert_eq(sim_exch_open_orders(&x, UP_A, -1, open, 2), 2);
	cr_assert_eq(sim_exch_open_orders(&x, UP_A, bb->id, open, 4), 0);
	cr_assert_eq(sim_exch_open_orders(&x, BN_A, bb->id, open, 4), 1);
	cr_assert_eq(sim_exch_cancel(&x, o2), 0);
	cr_assert_eq(sim_exch_open_orders(&x, UP_A, kb->id, open, 4), 2);
	cr_assert(open[0] == o1 && open[1] == o3);
	/* closed orders are still found */
	cr_assert_eq(sim_exch_find_id(&x, 0, 2), o2);

	/* the same (venue, id) gives the same uuid in another run */
	cr_assert_eq(sim_exch_init(&x2, &m, NULL), 0);
	x2.rules[0] = x.rules[0];
	x2.rules[1] = x.rules[1];
	cr_assert_eq(sim_exch_accounts(&x2, &sc), 0);
	cr_assert_eq(sim_exch_submit(&x2, &r, &o2), SIM_OK);
	cr_assert_str_eq(o2->uuid, o1->uuid);
	sim_exch_free(&x2);
}

Test(match, full_storage_reuses_the_oldest_closed_order)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_IOC, "90000000", "0.0001",
				     NULL, NULL);
	struct sim_order *keep = limit(UP_A, kb, SIM_BID, SIM_GTC, "90000000", "0.0001");
	struct sim_order *o;

	record = false;
	for (uint32_t i = 1; i < SIM_MAX_ORDERS; i++)
		cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	cr_assert_eq(x.norders, SIM_MAX_ORDERS);
	cr_assert_not_null(sim_exch_find_id(&x, 0, 2));
	/* the resting first order stays; the second (closed) goes */
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o, &x.orders[1]);
	cr_assert_eq(o->id, SIM_MAX_ORDERS + 1);
	cr_assert_null(sim_exch_find_id(&x, 0, 2));
	cr_assert_eq(sim_exch_find_id(&x, 0, SIM_MAX_ORDERS + 1), o);
	cr_assert_eq(sim_exch_find_id(&x, 0, 1), keep);
	cr_assert_eq(sub(&r, &o), SIM_OK);
	cr_assert_eq(o, &x.orders[2]);
	cr_assert_eq(sim_exch_cancel(&x, keep), 0);
	inv();
}

Test(match, storage_full_of_open_orders_rejects_unstored)
{
	struct sim_order_req r = req(UP_A, kb, SIM_BID, SIM_ORD_LIMIT, SIM_GTC, "50000000", "0.0001",
				     NULL, NULL);
	struct sim_order *o;

	record = false;
	for (uint32_t i = 0; i < SIM_MAX_ORDERS; i++)
		cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	cr_assert_eq(sub(&r, &o), SIM_REJ_TOO_MANY_ORDERS);
	cr_assert_null(o);
	cr_assert_eq(x.acct[UP_A].locked[KRW], (sim_fx)SIM_MAX_ORDERS * F("5002.5"));
}

/* ---- accounts ------------------------------------------------------------------- */

Test(match, accounts_by_key_and_starting_balances)
{
	struct sim_account *a = sim_exch_account_by_key(&x, 1, "bn-a", 4);

	cr_assert_not_null(a);
	cr_assert_eq(a->id, BN_A);
	cr_assert_eq(a->venue, 1);
	cr_assert_eq(a->free[USDT], F("1000000"));
	cr_assert_eq(a->secret_len, strlen("secret-bn-a"));
	cr_assert_null(sim_exch_account_by_key(&x, 0, "bn-a", 4));
	cr_assert_null(sim_exch_account_by_key(&x, 1, "bn-a", 3));
	cr_assert_null(sim_exch_account_by_key(&x, 1, "bn-ab", 5));
	cr_assert_eq(sim_exch_account_by_key(&x, 0, "up-bXX", 4), &x.acct[UP_B]);
}

Test(match, accounts_errors_keep_nothing)
{
	static struct sim_scenario bad;
	struct sim_exch y;

	bad = sc;
	cr_assert_eq(sim_exch_init(&y, &m, NULL), 0);
	y.rules[0] = x.rules[0];
	y.rules[1] = x.rules[1];
	snprintf(bad.accounts[2].venue, sizeof(bad.accounts[2].venue), "nowhere");
	cr_assert_eq(sim_exch_accounts(&y, &bad), -EINVAL);
	cr_assert_eq(y.naccts, 0);
	bad = sc;
	bad.accounts[1].bal[0].amount = -1;
	cr_assert_eq(sim_exch_accounts(&y, &bad), -EINVAL);
	bad = sc;
	snprintf(bad.accounts[1].key, sizeof(bad.accounts[1].key), "up-a");
	cr_assert_eq(sim_exch_accounts(&y, &bad), -EEXIST);
	bad = sc;
	bad.accounts[0].key[0] = '\0';
	cr_assert_eq(sim_exch_accounts(&y, &bad), -EINVAL);
	bad = sc;
	y.rules[1].taker_fee = -0.001;
	cr_assert_eq(sim_exch_accounts(&y, &bad), -EINVAL);
	y.rules[1] = x.rules[1];
	cr_assert_eq(y.naccts, 0);
	bad.naccounts = SIM_MAX_ACCOUNTS;
	for (unsigned i = 4; i < SIM_MAX_ACCOUNTS; i++) {
		bad.accounts[i] = sc.accounts[0];
		snprintf(bad.accounts[i].key, sizeof(bad.accounts[i].key), "k%u", i);
	}
	cr_assert_eq(sim_exch_accounts(&y, &bad), 0);
	cr_assert_eq(y.naccts, SIM_MAX_ACCOUNTS);
	cr_assert_eq(sim_exch_accounts(&y, &sc), -ENOSPC);
	cr_assert_eq(y.naccts, SIM_MAX_ACCOUNTS);
	sim_exch_free(&y);
}
