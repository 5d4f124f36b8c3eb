/* SPDX-License-Identifier: MIT */
/*
 * The paper venue ([order.NAME] mode = paper): orders fill against feedd's
 * shared book table (kimp/book.h, seqtab KIMP_BOOK_REGION) at the moment
 * they arrive, and the venue answers with the struct vo_event sequence a
 * real one would (kimp/venue_ord.h), so orderd handles a paper venue like
 * any other: no keys, no connections, the same state machine and reports.
 *
 * Placing (paper_place) reads the order's book (venue, engine inst id)
 * with the seqlock and:
 *
 *   refuses with one VO_EV_ERROR (outcome VO_OUT_REJECTED, code an enum
 *   paper_err, msg its name): no usable book (missing: PAPER_E_NO_BOOK; not
 *   KIMP_BOOK_LIVE, older than max_age, or being written:
 *   PAPER_E_STALE_BOOK; at other scales than the venue's: PAPER_E_SCALE),
 *   a post-only order that would take (PAPER_E_WOULD_TAKE), an order that
 *   cannot be said (PAPER_E_BAD_ORDER), no room to rest it (PAPER_E_FULL),
 *   a venue not configured (PAPER_E_VENUE);
 *
 *   else answers ACKED (cum 0), then walks the opposite side best first
 *   within the limit (market orders: every level the record holds), one
 *   taker fill per level: a VO_EV_ORDER with VO_F_LAST (last_px the
 *   level's price, last_qty, last_fee) and VO_F_CUM_FEE, state PARTIAL, or
 *   FILLED on the fill that completes the order; then
 *     IOC and market orders: EXPIRED for a remainder (cum kept);
 *     FOK: all or nothing: EXPIRED with no fill when the levels within the
 *          limit hold less than its quantity;
 *     GTC: the remainder rests; post-only: rests whole.
 *
 * A resting order fills as maker when a later book crosses it: paper_poll
 * (orderd's idle path) looks at each resting order's book and, for every
 * new book state (its update_count moved) that crosses the order, fills at
 * the order's own price the quantity the crossing levels show, up to what
 * is left (VO_F_MAKER, the maker fee). paper_cancel ends a resting order
 * CANCELLED; paper_query answers an order's current state as one event.
 * Final orders are remembered (max_done, oldest forgotten first) for
 * queries and for refusing their cancels (VO_OUT_CANCEL_REJECTED); an
 * order paper never had is VO_OUT_NOT_FOUND.
 *
 * Amounts are the venue's fixed point (struct vo_event): prices and
 * cum_quote at px_dec, quantities at qty_dec, and each book must be at the
 * venue's configured scales. cum_quote is the exact sum of price x
 * quantity rounded to the nearest unit of px_dec (half up). Fees, per
 * fill, rounded up at the fee asset's scale: PAPER_FEE_QUOTE (Upbit and
 * the other KRW venues) always in quote, px_dec; PAPER_FEE_RECEIVED
 * (Binance) in what the order receives: base for a buy (qty_dec), quote
 * for a sell (px_dec). vo_event.fee_asset says which (0 quote, 1 base);
 * cum_fee is the sum of the fills' fees. Event times (venue_ts_ns) are
 * the caller's real time. Venue order ids are "P" and a number.
 *
 * Storage is made by paper_init (resting orders, the memory of final
 * ones); placing, cancelling, querying and polling allocate nothing and
 * make no system call (the caller passes the time in). Client order ids
 * are orderd's: unique, never checked again here. One thread.
 */
#ifndef KIMP_ORDERD_PAPER_H
#define KIMP_ORDERD_PAPER_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/book.h"
#include "kimp/compiler.h"
#include "kimp/seqlock.h"
#include "kimp/tradeconf.h"
#include "kimp/venue_id.h"
#include "kimp/venue_ord.h"

/* Which asset a venue takes its fee in. */
enum paper_fee_rule {
	PAPER_FEE_QUOTE = 0,    /* always the quote (Upbit, Bithumb, Coinone) */
	PAPER_FEE_RECEIVED = 1, /* the asset received (Binance, Bybit, OKX) */
};

/* The paper venue's refusal codes (vo_event.code). */
enum paper_err {
	PAPER_E_NO_BOOK = 9001,    /* no book for the venue and instrument in the table */
	PAPER_E_STALE_BOOK = 9002, /* the book is not live, too old, or being written */
	PAPER_E_SCALE = 9003,      /* the book's scales are not the venue's */
	PAPER_E_WOULD_TAKE = 9004, /* a post-only order would take */
	PAPER_E_BAD_ORDER = 9005,  /* side, type, price or quantity that cannot be */
	PAPER_E_FULL = 9006,       /* no room to rest the order */
	PAPER_E_VENUE = 9007,      /* the venue is not a paper venue here */
	PAPER_E_NOT_FOUND = 9008,  /* cancel, query: no such order */
	PAPER_E_FINAL = 9009,      /* cancel: the order is final */
};

struct paper_venue_cfg {
	bool enabled;
	uint8_t fee_rule;               /* enum paper_fee_rule */
	uint8_t px_dec, qty_dec;        /* the venue's scales (tradeconf), at most 18 */
	int64_t taker_fee_e8;           /* fee rates in 1e-8 (0.0005 = 50000), [0, 1e8) */
	int64_t maker_fee_e8;
};

struct paper_cfg {
	struct shm_seqtab *books;       /* feedd's book table (a read-only mapping will do) */
	uint64_t max_age_ns;            /* a book received longer ago is stale (0: no limit) */
	uint32_t max_resting;           /* resting orders, all venues (0: 1024) */
	uint32_t max_done;              /* final orders remembered (0: 4096) */
	struct paper_venue_cfg venue[KIMP_VENUE_MAX]; /* by enum kimp_venue */
};

/* The caller's clocks, read once per loop turn. */
struct paper_now {
	uint64_t mono_ns;               /* CLOCK_MONOTONIC (books' recv_mono_ns) */
	int64_t real_ns;                /* CLOCK_REALTIME: the events' venue_ts_ns */
};

/* Receives each event, in order, during the call that makes it. */
typedef void (*paper_emit_fn)(void *arg, const struct vo_event *ev);

struct paper_stats {
	uint64_t placed, rejected, fills, maker_fills, expired, cancelled, rested;
	uint64_t stale, no_book, rescans;
};

struct paper_ord;

struct paper {
	struct paper_cfg cfg;
	struct paper_ord *rest;         /* [max_resting] */
	uint32_t *live;                 /* indices of resting orders, [max_resting] */
	uint32_t nlive;
	uint32_t *free_slots;           /* unused rest indices, a stack */
	uint32_t nfree;
	struct paper_ord *done;         /* [max_done] ring of final orders */
	uint32_t done_next, ndone;
	int32_t slot[KIMP_VENUE_MAX][KIMP_COINS_MAX]; /* book table index, -1 unknown */
	uint64_t next_rescan_ns;
	uint64_t next_id, next_trade;
	struct kimp_book bk;            /* the book being read */
	struct paper_stats st;
};

/*
 * Set p up: the book table, per-venue scales, fee rule and rates, and all
 * storage. 0, -EINVAL (no table, a table of other records, a scale above
 * 18, a fee rate outside [0, 1)), -ENOMEM. Cold.
 */
int paper_init(struct paper *p, const struct paper_cfg *cfg) kimp_cold;
/* Free what paper_init made (p may be zeroed or half set up). Cold. */
void paper_free(struct paper *p) kimp_cold;

/*
 * Place order o (coid, sym, side, type, tif, px, qty; quote_qty for a
 * market buy by quote) on venue for engine instrument inst: the events
 * go to emit(arg, ev) before this returns. 0, or -EINVAL (no order or no
 * emit: nothing emitted). A refusal is an event, not an error.
 */
int paper_place(struct paper *p, uint8_t venue, uint32_t inst, const struct vo_order *o,
		const struct paper_now *now, paper_emit_fn emit, void *arg);

/*
 * Cancel order coid of venue: CANCELLED (cum kept) when it rests; else a
 * VO_EV_ERROR: VO_OUT_CANCEL_REJECTED (PAPER_E_FINAL) for a final order,
 * VO_OUT_NOT_FOUND (PAPER_E_NOT_FOUND) for one paper does not know.
 * 0, or -EINVAL (no emit).
 */
int paper_cancel(struct paper *p, uint8_t venue, uint64_t coid, const struct paper_now *now,
		 paper_emit_fn emit, void *arg);

/*
 * Order coid's current state as one VO_EV_ORDER (ACKED, PARTIAL, FILLED,
 * CANCELLED, EXPIRED, with its cumulative figures), or VO_OUT_NOT_FOUND.
 * 0, or -EINVAL (no emit).
 */
int paper_query(struct paper *p, uint8_t venue, uint64_t coid, const struct paper_now *now,
		paper_emit_fn emit, void *arg);

/*
 * The idle check: resting orders against their books as they are now;
 * maker fills emitted. Returns the number of fill events.
 */
unsigned paper_poll(struct paper *p, const struct paper_now *now, paper_emit_fn emit,
		    void *arg);

/* Orders resting now. */
uint32_t paper_resting(const struct paper *p);
/* The name of a paper_err ("STALE_BOOK"), NULL for another code. */
const char *paper_err_name(int32_t code);
/* The fee rule of venue v (enum kimp_venue): received for the USDT venues. */
enum paper_fee_rule paper_fee_rule_of(unsigned v);

#endif
