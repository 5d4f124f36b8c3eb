/* SPDX-License-Identifier: MIT */
/*
 * The paper venue (orderd/paper.c) against a book table made here, in a
 * private segment, written as feedd writes it (seqtab "books" of struct
 * kimp_book): the events of IOC, FOK, GTC, post-only and market orders,
 * walking levels with exact VWAP, fees and cumulative figures; maker
 * fills when a later book crosses a resting order; cancel and query;
 * every refusal (stale, old, missing, other scales, would take, full,
 * bad order, not a paper venue); fee asset and rounding per venue at the
 * scale boundaries; setup errors; and placing and polling with no system
 * call and no allocation (a seccomp jail).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/book.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "../testutil.h"
#include "../jail.h"
#include "../../orderd/paper.h"

#define BN   KIMP_VENUE_BINANCE
#define UP   KIMP_VENUE_UPBIT
#define BTC  1u
#define ETH  2u
#define NBOOKS 8
#define E8   100000000LL                /* one unit at 8 decimals */
#define AGE  2000000000ull              /* max_age: 2 s */
#define T0   (1000ull * 1000000000ull)  /* the tests' monotonic "now" */

static struct tenv env;
static struct shm_seg seg;
static char seg_name[SHM_NAME_MAX];
static struct shm_seqtab *tab;
static struct paper P;
static struct paper_cfg cfg;
static struct paper_now now = { T0, 1700000000000000000LL };

/* ---- books ------------------------------------------------------------------------ */

struct lvl {
	int64_t px, qty;
};

static struct kimp_book books[NBOOKS];

/* Write book 'slot': venue, inst, scales, live, levels (px 0 ends a list). */
static void put_book(uint32_t slot, uint8_t venue, uint32_t inst, uint8_t px_dec,
		     uint8_t qty_dec, const struct lvl *bids, const struct lvl *asks)
{
	struct kimp_book *b = &books[slot];
	uint64_t count = b->update_count;

	memset(b, 0, sizeof(*b));
	b->venue = venue;
	b->inst = inst;
	b->status = KIMP_BOOK_LIVE;
	b->px_dec = px_dec;
	b->qty_dec = qty_dec;
	b->slot = slot;
	b->recv_mono_ns = now.mono_ns;
	b->update_count = count + 1;
	for (unsigned i = 0; bids && bids[i].px; i++)
		b->bids[b->nbids++] = (struct kimp_level){ bids[i].px, bids[i].qty };
	for (unsigned i = 0; asks && asks[i].px; i++)
		b->asks[b->nasks++] = (struct kimp_level){ asks[i].px, asks[i].qty };
	shm_seqtab_write(tab, slot, b);
}

/* Rewrite book 'slot' as it is, with a change (status, time). */
static void rewrite(uint32_t slot)
{
	shm_seqtab_write(tab, slot, &books[slot]);
}

/* Binance BTCUSDT at px_dec 2, qty_dec 8: bids 99.50 x 1, 99.00 x 2; asks 100.00 x 1,
 * 100.50 x 2, 101.00 x 3. */
static void bn_book(void)
{
	static const struct lvl bids[] = { { 9950, 1 * E8 }, { 9900, 2 * E8 }, { 0, 0 } };
	static const struct lvl asks[] = { { 10000, 1 * E8 }, { 10050, 2 * E8 },
					   { 10100, 3 * E8 }, { 0, 0 } };

	put_book(0, BN, BTC, 2, 8, bids, asks);
}

/* Upbit KRW-BTC at px_dec 0, qty_dec 8: bids 99,990,000 x 1; asks 100,000,000 x 1,
 * 100,010,000 x 1. */
static void up_book(void)
{
	static const struct lvl bids[] = { { 99990000, 1 * E8 }, { 0, 0 } };
	static const struct lvl asks[] = { { 100000000, 1 * E8 }, { 100010000, 1 * E8 },
					   { 0, 0 } };

	put_book(1, UP, BTC, 0, 8, bids, asks);
}

static void setup(void)
{
	size_t bytes = shm_seqtab_bytes(sizeof(struct kimp_book), NBOOKS);

	snprintf(seg_name, sizeof(seg_name), "paper%d", (int)getpid());
	tenv_init_seg(&env, &seg, seg_name, bytes + (1 << 20));
	cr_assert_eq(shm_seqtab_create(&seg, KIMP_BOOK_REGION, sizeof(struct kimp_book), NBOOKS,
				       &tab), 0, "%s", shm_last_error());
	memset(books, 0, sizeof(books));
	memset(&cfg, 0, sizeof(cfg));
	cfg.books = tab;
	cfg.max_age_ns = AGE;
	cfg.venue[BN] = (struct paper_venue_cfg){ .enabled = true, .fee_rule = PAPER_FEE_RECEIVED,
						  .px_dec = 2, .qty_dec = 8,
						  .taker_fee_e8 = 100000, .maker_fee_e8 = 50000 };
	cfg.venue[UP] = (struct paper_venue_cfg){ .enabled = true, .fee_rule = PAPER_FEE_QUOTE,
						  .px_dec = 0, .qty_dec = 8,
						  .taker_fee_e8 = 50000, .maker_fee_e8 = 50000 };
	now.mono_ns = T0;
	bn_book();
	up_book();
}

static void teardown(void)
{
	paper_free(&P);
	shm_seg_detach(&seg);
	cr_expect_eq(shm_seg_remove(seg_name, &env.o), 0);
	tenv_fini(&env);
}

TestSuite(paper, .init = setup, .fini = teardown);

static void init(void)
{
	cr_assert_eq(paper_init(&P, &cfg), 0);
}

/* ---- events ------------------------------------------------------------------------- */

#define MAXEV 64
static struct vo_event ev[MAXEV];
static unsigned nev;

static void rec(void *arg, const struct vo_event *e)
{
	(void)arg;
	if (nev < MAXEV)
		ev[nev] = *e;
	nev++;
}

static void clear(void)
{
	nev = 0;
	memset(ev, 0, sizeof(ev));
}

static struct vo_order order(uint64_t coid, uint8_t side, uint8_t type, uint8_t tif, int64_t px,
			     int64_t qty)
{
	return (struct vo_order){ .coid = coid, .sym = 3, .side = side, .type = type, .tif = tif,
				  .px = px, .qty = qty };
}

/* Place; the events in ev[0..nev). */
static void place(uint8_t venue, uint32_t inst, struct vo_order o)
{
	clear();
	cr_assert_eq(paper_place(&P, venue, inst, &o, &now, rec, NULL), 0);
}

static void assert_state(unsigned i, uint8_t state, int64_t cum_qty, int64_t cum_quote,
			 int64_t cum_fee)
{
	cr_assert_lt(i, nev, "event %u of %u", i, nev);
	cr_assert_eq(ev[i].kind, VO_EV_ORDER, "event %u kind %u", i, ev[i].kind);
	cr_assert_eq(ev[i].state, state, "event %u: state %u, want %u", i, ev[i].state, state);
	cr_assert_eq(ev[i].cum_qty, cum_qty, "event %u cum_qty %ld", i, (long)ev[i].cum_qty);
	cr_assert_eq(ev[i].cum_quote, cum_quote, "event %u cum_quote %ld", i,
		     (long)ev[i].cum_quote);
	cr_assert_eq(ev[i].cum_fee, cum_fee, "event %u cum_fee %ld", i, (long)ev[i].cum_fee);
	cr_assert(ev[i].flags & VO_F_CUM_FEE);
}

static void assert_fill(unsigned i, int64_t px, int64_t qty, int64_t fee, bool maker)
{
	cr_assert_lt(i, nev);
	cr_assert(ev[i].flags & VO_F_LAST, "event %u is a fill", i);
	cr_assert_eq(!!(ev[i].flags & VO_F_MAKER), maker, "event %u maker", i);
	cr_assert_eq(ev[i].last_px, px, "event %u last_px %ld", i, (long)ev[i].last_px);
	cr_assert_eq(ev[i].last_qty, qty, "event %u last_qty %ld", i, (long)ev[i].last_qty);
	cr_assert_eq(ev[i].last_fee, fee, "event %u last_fee %ld", i, (long)ev[i].last_fee);
	cr_assert_gt(ev[i].trade_id, 0);
}

static void assert_refused(int32_t code, uint8_t outcome)
{
	cr_assert_eq(nev, 1, "one event, not %u", nev);
	cr_assert_eq(ev[0].kind, VO_EV_ERROR);
	cr_assert_eq(ev[0].outcome, outcome);
	cr_assert_eq(ev[0].code, code, "code %d, want %d", ev[0].code, code);
	cr_assert_not_null(ev[0].msg);
	cr_assert_eq(ev[0].msg_len, strlen(paper_err_name(code)));
	cr_assert(!memcmp(ev[0].msg, paper_err_name(code), ev[0].msg_len));
}

/* ---- taker orders --------------------------------------------------------------------- */

Test(paper, ioc_buy_walks_three_levels_exact_vwap_fees_and_cum)
{
	init();
	place(BN, BTC, order(11, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, 4 * E8));
	cr_assert_eq(nev, 4, "ACK and three fills, not %u", nev);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	cr_assert(!(ev[0].flags & VO_F_LAST));
	/* Binance buy: the fee in base, 0.1% of each fill's quantity, at qty_dec */
	assert_state(1, KIMP_ORD_PARTIAL, 1 * E8, 10000, 100000);
	assert_fill(1, 10000, 1 * E8, 100000, false);
	assert_state(2, KIMP_ORD_PARTIAL, 3 * E8, 10000 + 20100, 300000);
	assert_fill(2, 10050, 2 * E8, 200000, false);
	assert_state(3, KIMP_ORD_FILLED, 4 * E8, 40200, 400000);
	assert_fill(3, 10100, 1 * E8, 100000, false);
	/* VWAP = cum_quote / cum_qty = 402.00 / 4 = 100.50 exactly */
	cr_assert_eq(ev[3].cum_quote * E8 / ev[3].cum_qty, 10050);
	for (unsigned i = 0; i < nev; i++) {
		cr_assert_eq(ev[i].coid, 11);
		cr_assert_eq(ev[i].sym, 3);
		cr_assert_eq(ev[i].side, KIMP_SIDE_BUY);
		cr_assert_eq(ev[i].fee_asset, 1, "base");
		cr_assert_str_eq(ev[i].oid, "P1");
		cr_assert_eq(ev[i].px, 10100);
		cr_assert_eq(ev[i].qty, 4 * E8);
		cr_assert_eq(ev[i].venue_ts_ns, now.real_ns);
		if (i > 1)
			cr_assert_gt(ev[i].trade_id, ev[i - 1].trade_id);
	}
	cr_assert_eq(paper_resting(&P), 0);
	cr_assert_eq(P.st.fills, 3);
}

Test(paper, ioc_partial_then_expired)
{
	init();
	place(BN, BTC, order(12, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10050, 10 * E8));
	cr_assert_eq(nev, 4);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	assert_fill(1, 10000, 1 * E8, 100000, false);
	assert_state(1, KIMP_ORD_PARTIAL, 1 * E8, 10000, 100000);
	assert_fill(2, 10050, 2 * E8, 200000, false);
	assert_state(2, KIMP_ORD_PARTIAL, 3 * E8, 30100, 300000);
	/* 101.00 is over the limit: the rest expires, the fills stand */
	assert_state(3, KIMP_ORD_EXPIRED, 3 * E8, 30100, 300000);
	cr_assert(!(ev[3].flags & VO_F_LAST));
	/* an IOC nothing crosses: ACK, EXPIRED with nothing */
	place(BN, BTC, order(13, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 9999, 1 * E8));
	cr_assert_eq(nev, 2);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	assert_state(1, KIMP_ORD_EXPIRED, 0, 0, 0);
	cr_assert_eq(paper_resting(&P), 0);
}

Test(paper, fok_all_or_nothing_at_its_boundary)
{
	init();
	/* 3.00000001 within 100.50: one unit more than the levels hold */
	place(BN, BTC, order(21, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_FOK, 10050, 3 * E8 + 1));
	cr_assert_eq(nev, 2);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	assert_state(1, KIMP_ORD_EXPIRED, 0, 0, 0);
	cr_assert_eq(P.st.fills, 0, "no fill at all");
	/* exactly what they hold: filled */
	place(BN, BTC, order(22, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_FOK, 10050, 3 * E8));
	cr_assert_eq(nev, 3);
	assert_fill(1, 10000, 1 * E8, 100000, false);
	assert_state(2, KIMP_ORD_FILLED, 3 * E8, 30100, 300000);
	/* a sell: the bids, best first; the fee in quote (what a sell receives) */
	place(BN, BTC, order(23, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_FOK, 9900, 3 * E8));
	cr_assert_eq(nev, 3);
	assert_fill(1, 9950, 1 * E8, 10, false);   /* 0.0995 USDT, up to 0.10 */
	assert_fill(2, 9900, 2 * E8, 20, false);   /* 0.198 USDT, up to 0.20 */
	assert_state(2, KIMP_ORD_FILLED, 3 * E8, 29750, 30);
	cr_assert_eq(ev[2].fee_asset, 0, "quote");
}

Test(paper, market_orders_by_quantity_and_by_quote)
{
	struct vo_order o;

	init();
	/* a market sell of 2.5: 1 at 99.50, 1.5 at 99.00 */
	place(BN, BTC, order(31, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_IOC, 0, 25 * E8 / 10));
	cr_assert_eq(nev, 3);
	assert_fill(1, 9950, 1 * E8, 10, false);
	assert_fill(2, 9900, 15 * E8 / 10, 15, false);  /* 148.50 x 0.1% = 0.1485 -> 0.15 */
	assert_state(2, KIMP_ORD_FILLED, 25 * E8 / 10, 9950 + 14850, 25);
	cr_assert_eq(ev[0].px, 0, "no price");
	/* more than the book holds: EXPIRED for the rest */
	place(BN, BTC, order(32, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_IOC, 0, 7 * E8));
	cr_assert_eq(nev, 5);
	assert_state(3, KIMP_ORD_PARTIAL, 6 * E8, 10000 + 20100 + 30300, 600000);
	assert_state(4, KIMP_ORD_EXPIRED, 6 * E8, 60400, 600000);
	/* Upbit market buy by quote ('price'): 150,000,000 KRW = 1 at 100,000,000, then
	 * 49,995,000 / 100,010,000 = 0.49990000.. at the next level */
	o = order(33, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_IOC, 0, 0);
	o.quote_qty = 150000000;
	place(UP, BTC, o);
	cr_assert_eq(nev, 3);
	assert_fill(1, 100000000, 1 * E8, 50000, false);
	/* 50,000,000 KRW left buy floor(50,000,000 / 100,010,000 at 8 decimals) */
	assert_fill(2, 100010000, 49995000, 25000, false);
	/* 49,995,000 units x 100,010,000 = 49,999,999.5 KRW: the remainder buys no unit */
	assert_state(2, KIMP_ORD_FILLED, E8 + 49995000, 150000000, 75000);
	cr_assert_eq(ev[2].fee_asset, 0, "Upbit: quote");
	/* by quote, beyond the book: EXPIRED */
	o.coid = 34;
	o.quote_qty = 300020001;
	place(UP, BTC, o);
	cr_assert_eq(nev, 4);
	assert_state(3, KIMP_ORD_EXPIRED, 2 * E8, 200010000, 100005);
}

Test(paper, post_only_rejected_when_it_would_take_and_rests_one_tick_away)
{
	init();
	place(BN, BTC, order(41, KIMP_SIDE_BUY, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 10000, E8));
	assert_refused(PAPER_E_WOULD_TAKE, VO_OUT_REJECTED);
	cr_assert_eq(ev[0].coid, 41);
	place(BN, BTC, order(42, KIMP_SIDE_BUY, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 9999, E8));
	cr_assert_eq(nev, 1);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	place(BN, BTC, order(43, KIMP_SIDE_SELL, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 9950, E8));
	assert_refused(PAPER_E_WOULD_TAKE, VO_OUT_REJECTED);
	place(BN, BTC, order(44, KIMP_SIDE_SELL, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 9951, E8));
	cr_assert_eq(nev, 1);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	cr_assert_eq(paper_resting(&P), 2);
	cr_assert_eq(P.st.fills, 0);
}

Test(paper, gtc_takes_what_crosses_rests_the_rest_and_fills_as_maker_when_crossed)
{
	static const struct lvl asks2[] = { { 9850, E8 / 2 }, { 9900, 1 * E8 }, { 9950, 5 * E8 },
					    { 0, 0 } };
	static const struct lvl bids2[] = { { 9800, 1 * E8 }, { 0, 0 } };
	static const struct lvl asks3[] = { { 9800, 10 * E8 }, { 0, 0 } };
	static const struct lvl bids3[] = { { 9700, 1 * E8 }, { 0, 0 } };

	init();
	/* a buy of 2 at 99.00 under the best ask: rests whole */
	place(BN, BTC, order(51, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9900, 2 * E8));
	cr_assert_eq(nev, 1);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	cr_assert_eq(paper_resting(&P), 1);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 0, "the same book: nothing");
	cr_assert_eq(nev, 0);
	/* a book that crosses it: 0.5 at 98.50 and 1 at 99.00 (99.50 does not) */
	put_book(0, BN, BTC, 2, 8, bids2, asks2);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	cr_assert_eq(nev, 1);
	/* a maker fills at its own price, the maker fee (0.05%) in base */
	assert_fill(0, 9900, 15 * E8 / 10, 75000, true);
	assert_state(0, KIMP_ORD_PARTIAL, 15 * E8 / 10, 14850, 75000);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 0, "that book state was used");
	/* the next book: 0.5 more fills it */
	put_book(0, BN, BTC, 2, 8, bids3, asks3);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	assert_fill(0, 9900, E8 / 2, 25000, true);
	assert_state(0, KIMP_ORD_FILLED, 2 * E8, 19800, 100000);
	cr_assert_eq(paper_resting(&P), 0);
	cr_assert_eq(P.st.maker_fills, 2);
	/* a GTC that crosses: takes as taker, rests the rest, then fills as maker */
	bn_book();
	place(BN, BTC, order(52, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 10000, 3 * E8));
	cr_assert_eq(nev, 2);
	assert_fill(1, 10000, E8, 100000, false);
	assert_state(1, KIMP_ORD_PARTIAL, E8, 10000, 100000);
	cr_assert_eq(paper_resting(&P), 1);
	put_book(0, BN, BTC, 2, 8, bids3, asks3);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	assert_fill(0, 10000, 2 * E8, 100000, true);
	assert_state(0, KIMP_ORD_FILLED, 3 * E8, 30000, 200000);
	/* a resting sell crossed by the bids */
	put_book(0, BN, BTC, 2, 8, bids3, asks3);
	place(BN, BTC, order(53, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_GTC, 9750, E8));
	cr_assert_eq(nev, 1);
	put_book(0, BN, BTC, 2, 8, bids2, asks2);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	assert_fill(0, 9750, E8, 5, true);    /* 97.50 x 0.05% = 0.04875 -> 0.05, quote */
	assert_state(0, KIMP_ORD_FILLED, E8, 9750, 5);
	cr_assert_eq(ev[0].fee_asset, 0);
}

Test(paper, a_resting_order_skips_stale_books_at_poll)
{
	static const struct lvl asks[] = { { 9800, 10 * E8 }, { 0, 0 } };
	static const struct lvl bids[] = { { 9700, 1 * E8 }, { 0, 0 } };

	init();
	place(BN, BTC, order(55, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9900, E8));
	put_book(0, BN, BTC, 2, 8, bids, asks);
	books[0].status = KIMP_BOOK_STALE;
	rewrite(0);
	clear();
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 0, "a stale book crosses nothing");
	books[0].status = KIMP_BOOK_LIVE;
	books[0].update_count++;
	rewrite(0);
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	cr_assert_eq(paper_resting(&P), 0);
}

Test(paper, cancel_and_query)
{
	static const struct lvl asks[] = { { 9800, E8 / 4 }, { 0, 0 } };
	static const struct lvl bids[] = { { 9700, 1 * E8 }, { 0, 0 } };

	init();
	place(BN, BTC, order(61, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9900, E8));
	/* query a resting order: ACKED */
	clear();
	cr_assert_eq(paper_query(&P, BN, 61, &now, rec, NULL), 0);
	cr_assert_eq(nev, 1);
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	cr_assert_str_eq(ev[0].oid, "P1");
	/* part filled as maker, then cancelled: CANCELLED with the fill kept */
	put_book(0, BN, BTC, 2, 8, bids, asks);
	cr_assert_eq(paper_poll(&P, &now, rec, NULL), 1);
	clear();
	cr_assert_eq(paper_query(&P, BN, 61, &now, rec, NULL), 0);
	assert_state(0, KIMP_ORD_PARTIAL, E8 / 4, 2475, 12500);
	clear();
	cr_assert_eq(paper_cancel(&P, BN, 61, &now, rec, NULL), 0);
	cr_assert_eq(nev, 1);
	assert_state(0, KIMP_ORD_CANCELLED, E8 / 4, 2475, 12500);
	cr_assert_eq(paper_resting(&P), 0);
	cr_assert_eq(P.st.cancelled, 1);
	/* cancelled: a second cancel is refused, a query says CANCELLED */
	clear();
	cr_assert_eq(paper_cancel(&P, BN, 61, &now, rec, NULL), 0);
	assert_refused(PAPER_E_FINAL, VO_OUT_CANCEL_REJECTED);
	clear();
	cr_assert_eq(paper_query(&P, BN, 61, &now, rec, NULL), 0);
	assert_state(0, KIMP_ORD_CANCELLED, E8 / 4, 2475, 12500);
	/* an order paper never had; the right coid on the wrong venue */
	clear();
	cr_assert_eq(paper_cancel(&P, BN, 999, &now, rec, NULL), 0);
	assert_refused(PAPER_E_NOT_FOUND, VO_OUT_NOT_FOUND);
	clear();
	cr_assert_eq(paper_query(&P, BN, 999, &now, rec, NULL), 0);
	assert_refused(PAPER_E_NOT_FOUND, VO_OUT_NOT_FOUND);
	clear();
	cr_assert_eq(paper_query(&P, UP, 61, &now, rec, NULL), 0);
	assert_refused(PAPER_E_NOT_FOUND, VO_OUT_NOT_FOUND);
	/* a filled IOC is remembered: query FILLED, cancel refused */
	bn_book();
	place(BN, BTC, order(62, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, E8));
	clear();
	cr_assert_eq(paper_query(&P, BN, 62, &now, rec, NULL), 0);
	assert_state(0, KIMP_ORD_FILLED, E8, 10000, 100000);
	clear();
	cr_assert_eq(paper_cancel(&P, BN, 62, &now, rec, NULL), 0);
	assert_refused(PAPER_E_FINAL, VO_OUT_CANCEL_REJECTED);
	cr_assert_eq(paper_cancel(&P, BN, 62, &now, NULL, NULL), -EINVAL);
	cr_assert_eq(paper_query(&P, BN, 62, &now, NULL, NULL), -EINVAL);
}

Test(paper, final_orders_are_remembered_up_to_max_done)
{
	cfg.max_done = 2;
	init();
	for (uint64_t c = 71; c <= 73; c++)
		place(BN, BTC, order(c, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 9000, E8));
	clear();
	cr_assert_eq(paper_query(&P, BN, 71, &now, rec, NULL), 0);
	assert_refused(PAPER_E_NOT_FOUND, VO_OUT_NOT_FOUND);
	for (uint64_t c = 72; c <= 73; c++) {
		clear();
		cr_assert_eq(paper_query(&P, BN, c, &now, rec, NULL), 0);
		assert_state(0, KIMP_ORD_EXPIRED, 0, 0, 0);
	}
}

Test(paper, no_room_to_rest_is_refused_at_max_resting)
{
	cfg.max_resting = 2;
	init();
	place(BN, BTC, order(81, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9000, E8));
	place(BN, BTC, order(82, KIMP_SIDE_BUY, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 9000, E8));
	cr_assert_eq(paper_resting(&P), 2);
	place(BN, BTC, order(83, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9000, E8));
	assert_refused(PAPER_E_FULL, VO_OUT_REJECTED);
	/* an IOC needs no room */
	place(BN, BTC, order(84, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, E8));
	cr_assert_eq(ev[nev - 1].state, KIMP_ORD_FILLED);
	/* a cancel frees a place */
	clear();
	cr_assert_eq(paper_cancel(&P, BN, 81, &now, rec, NULL), 0);
	place(BN, BTC, order(85, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9000, E8));
	assert_state(0, KIMP_ORD_ACKED, 0, 0, 0);
	cr_assert_eq(paper_resting(&P), 2);
}

/* ---- refusals ------------------------------------------------------------------------ */

Test(paper, stale_old_missing_and_other_scale_books_are_refused)
{
	init();
	/* status not live */
	books[0].status = KIMP_BOOK_STALE;
	books[0].reason = KIMP_BOOK_R_FEED_DOWN;
	rewrite(0);
	place(BN, BTC, order(91, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_STALE_BOOK, VO_OUT_REJECTED);
	cr_assert_eq(ev[0].coid, 91);
	cr_assert_eq(ev[0].side, KIMP_SIDE_BUY);
	bn_book();
	/* received exactly max_age ago: still good; a nanosecond more: stale */
	now.mono_ns = books[0].recv_mono_ns + AGE;
	place(BN, BTC, order(92, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	cr_assert_eq(ev[0].kind, VO_EV_ORDER);
	now.mono_ns++;
	place(BN, BTC, order(93, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_STALE_BOOK, VO_OUT_REJECTED);
	/* stamped after our clock read: fresh */
	now.mono_ns = books[0].recv_mono_ns - 1;
	place(BN, BTC, order(94, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	cr_assert_eq(ev[0].kind, VO_EV_ORDER);
	now.mono_ns = T0;
	/* no book for the instrument; an instrument id out of range */
	place(BN, ETH, order(95, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_NO_BOOK, VO_OUT_REJECTED);
	place(BN, KIMP_COINS_MAX, order(96, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_NO_BOOK, VO_OUT_REJECTED);
	place(BN, 0, order(97, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_NO_BOOK, VO_OUT_REJECTED);
	/* a book at other scales than the venue's */
	put_book(0, BN, BTC, 3, 8, NULL, NULL);
	place(BN, BTC, order(98, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_SCALE, VO_OUT_REJECTED);
	put_book(0, BN, BTC, 2, 7, NULL, NULL);
	place(BN, BTC, order(99, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_SCALE, VO_OUT_REJECTED);
	cr_assert_eq(P.st.rejected, 7);
}

Test(paper, a_book_that_appears_later_or_moves_slot_is_found)
{
	init();
	place(BN, ETH, order(101, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_NO_BOOK, VO_OUT_REJECTED);
	/* feedd adds it: found once the rescan interval has passed */
	put_book(5, BN, ETH, 2, 8, NULL, (const struct lvl[]){ { 10000, E8 }, { 0, 0 } });
	place(BN, ETH, order(102, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	assert_refused(PAPER_E_NO_BOOK, VO_OUT_REJECTED);
	now.mono_ns += 100000000ull;
	books[5].recv_mono_ns = now.mono_ns;
	rewrite(5);
	place(BN, ETH, order(103, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	cr_assert_eq(ev[nev - 1].state, KIMP_ORD_FILLED);
	/* feedd restarts with other slots: slot 5 is now Upbit's, ETH moved to 6 */
	put_book(6, BN, ETH, 2, 8, NULL, (const struct lvl[]){ { 10000, E8 }, { 0, 0 } });
	put_book(5, UP, ETH, 0, 8, NULL, NULL);
	place(BN, ETH, order(104, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, E8));
	cr_assert_eq(ev[nev - 1].state, KIMP_ORD_FILLED, "found at its new slot");
	cr_assert_geq(P.st.rescans, 2);
}

Test(paper, bad_orders_and_venues_are_refused)
{
	struct vo_order o;

	init();
	static const struct vo_order bad[] = {
		{ .coid = 1, .side = 0, .type = VO_LIMIT, .px = 10000, .qty = E8 },
		{ .coid = 2, .side = 3, .type = VO_LIMIT, .px = 10000, .qty = E8 },
		{ .coid = 3, .side = KIMP_SIDE_BUY, .type = VO_LIMIT, .px = 0, .qty = E8 },
		{ .coid = 4, .side = KIMP_SIDE_BUY, .type = VO_LIMIT, .px = 10000, .qty = 0 },
		{ .coid = 5, .side = KIMP_SIDE_BUY, .type = VO_LIMIT, .px = 10000, .qty = -1 },
		{ .coid = 6, .side = KIMP_SIDE_BUY, .type = VO_LIMIT, .tif = KIMP_TIF_POST_ONLY,
		  .px = 10000, .qty = E8 },
		{ .coid = 7, .side = KIMP_SIDE_BUY, .type = VO_POST_ONLY, .px = 0, .qty = E8 },
		{ .coid = 8, .side = KIMP_SIDE_SELL, .type = VO_MARKET, .qty = 0 },
		{ .coid = 9, .side = KIMP_SIDE_SELL, .type = VO_MARKET, .qty = E8,
		  .quote_qty = 100 },
		{ .coid = 10, .side = KIMP_SIDE_BUY, .type = VO_MARKET, .qty = E8,
		  .quote_qty = 100 },
		{ .coid = 11, .side = KIMP_SIDE_BUY, .type = VO_MARKET },
		{ .coid = 12, .side = KIMP_SIDE_BUY, .type = 7, .px = 10000, .qty = E8 },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(bad); i++) {
		clear();
		cr_assert_eq(paper_place(&P, BN, BTC, &bad[i], &now, rec, NULL), 0);
		cr_assert_eq(nev, 1, "order %u", i);
		cr_assert_eq(ev[0].code, PAPER_E_BAD_ORDER, "order %u: %d", i, ev[0].code);
	}
	o = order(120, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, E8);
	place(KIMP_VENUE_OKX, BTC, o);
	assert_refused(PAPER_E_VENUE, VO_OUT_REJECTED);
	place(KIMP_VENUE_MAX, BTC, o);
	assert_refused(PAPER_E_VENUE, VO_OUT_REJECTED);
	cr_assert_eq(paper_place(&P, BN, BTC, NULL, &now, rec, NULL), -EINVAL);
	cr_assert_eq(paper_place(&P, BN, BTC, &o, &now, NULL, NULL), -EINVAL);
	cr_assert_eq(paper_place(&P, BN, BTC, &o, NULL, rec, NULL), -EINVAL);
	cr_assert_eq(paper_poll(&P, &now, NULL, NULL), 0);
}

/* ---- fees -------------------------------------------------------------------------------- */

Test(paper, binance_fee_asset_by_side_upbit_always_quote)
{
	init();
	place(BN, BTC, order(131, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, E8));
	cr_assert_eq(ev[1].fee_asset, 1, "a buy receives base");
	cr_assert_eq(ev[1].last_fee, 100000, "0.001 BTC");
	place(BN, BTC, order(132, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 9950, E8));
	cr_assert_eq(ev[1].fee_asset, 0, "a sell receives quote");
	cr_assert_eq(ev[1].last_fee, 10, "0.0995 USDT, up to 0.10");
	place(UP, BTC, order(133, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 100000000, E8));
	cr_assert_eq(ev[1].fee_asset, 0);
	cr_assert_eq(ev[1].last_fee, 50000, "0.05% of 100,000,000 KRW");
	place(UP, BTC, order(134, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 99990000, E8));
	cr_assert_eq(ev[1].fee_asset, 0);
	cr_assert_eq(ev[1].last_fee, 49995);
	cr_assert_eq(paper_fee_rule_of(KIMP_VENUE_UPBIT), PAPER_FEE_QUOTE);
	cr_assert_eq(paper_fee_rule_of(KIMP_VENUE_BITHUMB), PAPER_FEE_QUOTE);
	cr_assert_eq(paper_fee_rule_of(KIMP_VENUE_COINONE), PAPER_FEE_QUOTE);
	cr_assert_eq(paper_fee_rule_of(KIMP_VENUE_BINANCE), PAPER_FEE_RECEIVED);
	cr_assert_eq(paper_fee_rule_of(KIMP_VENUE_OKX), PAPER_FEE_RECEIVED);
}

Test(paper, fees_round_up_at_the_scale_boundaries)
{
	static const struct lvl up_asks[] = { { 100000000, 10 * E8 }, { 0, 0 } };
	static const struct lvl bn_bids[] = { { 10000, 10 * E8 }, { 0, 0 } };
	static const struct lvl bn_asks[] = { { 10000, 10 * E8 }, { 0, 0 } };

	init();
	put_book(1, UP, BTC, 0, 8, NULL, up_asks);
	put_book(0, BN, BTC, 2, 8, bn_bids, bn_asks);
	/* Upbit, quote at px_dec 0: 10,000 KRW x 0.05% = 5 exactly; 10,001 -> 5.0005 -> 6 */
	place(UP, BTC, order(141, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 100000000, 10000));
	assert_fill(1, 100000000, 10000, 5, false);
	place(UP, BTC, order(142, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 100000000, 10001));
	assert_fill(1, 100000000, 10001, 6, false);
	/* Binance buy, base at qty_dec 8: 1000 units x 0.1% = 1; 1001 -> 1.001 -> 2; 1 -> 1 */
	place(BN, BTC, order(143, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 1000));
	assert_fill(1, 10000, 1000, 1, false);
	place(BN, BTC, order(144, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 1001));
	assert_fill(1, 10000, 1001, 2, false);
	place(BN, BTC, order(145, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 1));
	assert_fill(1, 10000, 1, 1, false);
	/* Binance sell, quote at px_dec 2: 10.00 USDT x 0.1% = 0.01; 10.000001 -> 0.02 */
	place(BN, BTC, order(146, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 10000, E8 / 10));
	assert_fill(1, 10000, E8 / 10, 1, false);
	place(BN, BTC, order(147, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 10000, E8 / 10 + 1));
	assert_fill(1, 10000, E8 / 10 + 1, 2, false);
	/* a zero fee rate rounds nothing up */
	paper_free(&P);
	cfg.venue[BN].taker_fee_e8 = 0;
	init();
	place(BN, BTC, order(148, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 10000, E8 / 10 + 1));
	assert_fill(1, 10000, E8 / 10 + 1, 0, false);
	/* cum_quote is the exact sum, rounded half up at px_dec: 100.00 x 0.00000001 =
	 * 0.000001 USDT -> 0.00; x 0.005 = 0.5 cents -> 0.01 */
	place(BN, BTC, order(149, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 1));
	cr_assert_eq(ev[1].cum_quote, 0);
	place(BN, BTC, order(150, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 5000));
	cr_assert_eq(ev[1].cum_quote, 1);
	place(BN, BTC, order(151, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10000, 4999));
	cr_assert_eq(ev[1].cum_quote, 0);
}

/* ---- setup ---------------------------------------------------------------------------- */

Test(paper, init_checks_its_configuration)
{
	struct paper_cfg c = cfg;
	struct shm_seqtab *other;

	c.books = NULL;
	cr_assert_eq(paper_init(&P, &c), -EINVAL);
	cr_assert_eq(paper_init(&P, NULL), -EINVAL);
	cr_assert_eq(shm_seqtab_create(&seg, "other", 64, 4, &other), 0);
	c.books = other;
	cr_assert_eq(paper_init(&P, &c), -EINVAL, "a table of other records");
	c = cfg;
	c.venue[BN].px_dec = 19;
	cr_assert_eq(paper_init(&P, &c), -EINVAL);
	c.venue[BN].px_dec = 18;
	c.venue[BN].qty_dec = 18;
	cr_assert_eq(paper_init(&P, &c), 0, "18 decimals");
	paper_free(&P);
	c = cfg;
	c.venue[UP].taker_fee_e8 = 100000000;
	cr_assert_eq(paper_init(&P, &c), -EINVAL, "a fee of 100%%");
	c.venue[UP].taker_fee_e8 = 99999999;
	cr_assert_eq(paper_init(&P, &c), 0);
	paper_free(&P);
	c.venue[UP].maker_fee_e8 = -1;
	cr_assert_eq(paper_init(&P, &c), -EINVAL);
	c.venue[UP].maker_fee_e8 = 0;
	c.venue[UP].fee_rule = 2;
	cr_assert_eq(paper_init(&P, &c), -EINVAL);
	/* a venue not enabled is not checked */
	c = cfg;
	c.venue[KIMP_VENUE_OKX].px_dec = 200;
	cr_assert_eq(paper_init(&P, &c), 0);
	cr_assert_eq(P.cfg.max_resting, 1024);
	cr_assert_eq(P.cfg.max_done, 4096);
	cr_assert_str_eq(paper_err_name(PAPER_E_STALE_BOOK), "STALE_BOOK");
	cr_assert_str_eq(paper_err_name(PAPER_E_FINAL), "ORDER_FINAL");
	cr_assert_null(paper_err_name(PAPER_E_NO_BOOK - 1));
	cr_assert_null(paper_err_name(PAPER_E_FINAL + 1));
}

/* ---- the hot path ---------------------------------------------------------------------- */

static unsigned jail_events;

static void count_ev(void *arg, const struct vo_event *e)
{
	(void)arg;
	jail_events += e->kind == VO_EV_ORDER;
}

static void work(uint64_t base)
{
	static const struct lvl bids[] = { { 9950, 1 * E8 }, { 0, 0 } };
	static const struct lvl asks[] = { { 9800, 1 * E8 }, { 0, 0 } };
	struct vo_order o = order(base, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 10100, 4 * E8);

	bn_book();
	paper_place(&P, BN, BTC, &o, &now, count_ev, NULL);
	o = order(base + 1, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 9900, 2 * E8);
	paper_place(&P, BN, BTC, &o, &now, count_ev, NULL);
	o = order(base + 2, KIMP_SIDE_BUY, VO_POST_ONLY, KIMP_TIF_POST_ONLY, 10000, E8);
	paper_place(&P, BN, BTC, &o, &now, count_ev, NULL);
	put_book(0, BN, BTC, 2, 8, bids, asks);
	paper_poll(&P, &now, count_ev, NULL);
	paper_query(&P, BN, base + 1, &now, count_ev, NULL);
	paper_cancel(&P, BN, base + 1, &now, count_ev, NULL);
	paper_place(&P, BN, ETH, &o, &now, count_ev, NULL);
}

Test(paper, place_poll_cancel_query_make_no_syscall_and_allocate_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	pid_t pid;

	init();
	work(1000);     /* warm, outside the jail */
	cr_assert_gt(jail_events, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		unsigned ev0 = jail_events;

		if (test_jail())
			_exit(2);
		for (uint64_t i = 0; i < 50; i++)
			work(2000 + 10 * i);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, jail_events > ev0 ? 0 : 4);
	}
	cr_assert_eq(test_wait_child(pid), 0,
		     "the paper venue made a syscall (SIGSYS = 159), allocated (3) or "
		     "answered nothing (4)");
}
