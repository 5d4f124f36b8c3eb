/* SPDX-License-Identifier: MIT */
/*
 * The paper venue (paper.h): orders against feedd's book table, answered
 * as venue events. Placing: read the book, check, ACK, walk the levels,
 * then EXPIRED / rest / nothing. Resting orders live in rest[] (indices of
 * the resting ones in live[], free ones in free_slots[]); a final order is
 * copied into the done[] ring for queries and cancels.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "paper.h"

#define PAPER_BOOK_TRIES   64
/* a missing book: the table re-read at most every 100 ms */
#define PAPER_RESCAN_NS    100000000ull
#define PAPER_DEC_MAX      18
#define PAPER_FEE_ONE      100000000LL   /* a fee rate of 1 in 1e-8 units */

struct paper_ord {
	__int128 cum_quote_x;           /* exact sum of px * qty, px_dec + qty_dec */
	uint64_t coid, id;
	int64_t px, qty, quote_qty;
	int64_t cum_qty, cum_fee;
	uint64_t seen_update;           /* the book's update_count last matched against */
	uint32_t inst, sym;
	uint8_t venue, side, type, tif, state, fee_asset;
};

static const int64_t pow10_tab[PAPER_DEC_MAX + 1] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
	1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
	100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

static const char *const err_names[] = {
	[PAPER_E_NO_BOOK - PAPER_E_NO_BOOK] = "NO_BOOK",
	[PAPER_E_STALE_BOOK - PAPER_E_NO_BOOK] = "STALE_BOOK",
	[PAPER_E_SCALE - PAPER_E_NO_BOOK] = "BOOK_SCALE",
	[PAPER_E_WOULD_TAKE - PAPER_E_NO_BOOK] = "WOULD_TAKE",
	[PAPER_E_BAD_ORDER - PAPER_E_NO_BOOK] = "BAD_ORDER",
	[PAPER_E_FULL - PAPER_E_NO_BOOK] = "FULL",
	[PAPER_E_VENUE - PAPER_E_NO_BOOK] = "NOT_A_PAPER_VENUE",
	[PAPER_E_NOT_FOUND - PAPER_E_NO_BOOK] = "NOT_FOUND",
	[PAPER_E_FINAL - PAPER_E_NO_BOOK] = "ORDER_FINAL",
};

const char *paper_err_name(int32_t code)
{
	if (code < PAPER_E_NO_BOOK || code > PAPER_E_FINAL)
		return NULL;
	return err_names[code - PAPER_E_NO_BOOK];
}

enum paper_fee_rule paper_fee_rule_of(unsigned v)
{
	switch (v) {
	case KIMP_VENUE_UPBIT:
	case KIMP_VENUE_BITHUMB:
	case KIMP_VENUE_COINONE:
		return PAPER_FEE_QUOTE;
	default:
		return PAPER_FEE_RECEIVED;
	}
}

/* ---- setup ---------------------------------------------------------------------- */

void paper_free(struct paper *p)
{
	free(p->rest);
	free(p->live);
	free(p->free_slots);
	free(p->done);
	p->rest = p->done = NULL;
	p->live = p->free_slots = NULL;
}

int paper_init(struct paper *p, const struct paper_cfg *cfg)
{
	int err = -EINVAL;

	memset(p, 0, sizeof(*p));
	if (!cfg || !cfg->books || cfg->books->rec_size != sizeof(struct kimp_book))
		goto fail;
	for (unsigned v = 0; v < KIMP_VENUE_MAX; v++) {
		const struct paper_venue_cfg *vc = &cfg->venue[v];

		if (!vc->enabled)
			continue;
		if (vc->px_dec > PAPER_DEC_MAX || vc->qty_dec > PAPER_DEC_MAX ||
		    vc->fee_rule > PAPER_FEE_RECEIVED || vc->taker_fee_e8 < 0 ||
		    vc->taker_fee_e8 >= PAPER_FEE_ONE || vc->maker_fee_e8 < 0 ||
		    vc->maker_fee_e8 >= PAPER_FEE_ONE)
			goto fail;
	}
	p->cfg = *cfg;
	if (!p->cfg.max_resting)
		p->cfg.max_resting = 1024;
	if (!p->cfg.max_done)
		p->cfg.max_done = 4096;
	err = -ENOMEM;
	p->rest = calloc(p->cfg.max_resting, sizeof(*p->rest));
	p->live = calloc(p->cfg.max_resting, sizeof(*p->live));
	p->free_slots = calloc(p->cfg.max_resting, sizeof(*p->free_slots));
	p->done = calloc(p->cfg.max_done, sizeof(*p->done));
	if (!p->rest || !p->live || !p->free_slots || !p->done)
		goto fail;
	for (uint32_t i = 0; i < p->cfg.max_resting; i++)
		p->free_slots[i] = p->cfg.max_resting - 1 - i;
	p->nfree = p->cfg.max_resting;
	for (unsigned v = 0; v < KIMP_VENUE_MAX; v++)
		for (unsigned i = 0; i < KIMP_COINS_MAX; i++)
			p->slot[v][i] = -1;
	p->next_id = 1;
	p->next_trade = 1;
	return 0;
fail:
	paper_free(p);
	return err;
}

uint32_t paper_resting(const struct paper *p)
{
	return p->nlive;
}

/* ---- books ---------------------------------------------------------------------- */

/* Where each (venue, inst) book is: the records' headers. */
static void rescan(struct paper *p)
{
	struct shm_seqtab *t = p->cfg.books;

	p->st.rescans++;
	for (unsigned v = 0; v < KIMP_VENUE_MAX; v++)
		for (unsigned i = 0; i < KIMP_COINS_MAX; i++)
			p->slot[v][i] = -1;
	for (uint32_t k = 0; k < t->count && k < INT32_MAX; k++) {
		struct kimp_book h;

		if (shm_seq_read(shm_seqtab_lock(t, k), &h, shm_seqtab_data(t, k),
				 offsetof(struct kimp_book, bids), PAPER_BOOK_TRIES))
			continue;
		if (h.venue && h.venue < KIMP_VENUE_MAX && h.inst && h.inst < KIMP_COINS_MAX)
			p->slot[h.venue][h.inst] = (int32_t)k;
	}
}

/*
 * The book of (venue, inst) into p->bk, usable for orders at the venue's
 * scales: 0, or the paper_err that says why not.
 */
static int32_t book_get(struct paper *p, unsigned venue, uint32_t inst,
			const struct paper_now *now)
{
	const struct paper_venue_cfg *vc = &p->cfg.venue[venue];
	struct kimp_book *b = &p->bk;

	if (inst == 0 || inst >= KIMP_COINS_MAX)
		return PAPER_E_NO_BOOK;
	for (int again = 0; again < 2; again++) {
		int32_t slot = p->slot[venue][inst];

		if (slot < 0 || (uint32_t)slot >= p->cfg.books->count) {
			if (again || now->mono_ns < p->next_rescan_ns) {
				p->st.no_book++;
				return PAPER_E_NO_BOOK;
			}
			p->next_rescan_ns = now->mono_ns + PAPER_RESCAN_NS;
			rescan(p);
			continue;
		}
		if (shm_seqtab_read(p->cfg.books, (uint32_t)slot, b, PAPER_BOOK_TRIES)) {
			p->st.stale++;
			return PAPER_E_STALE_BOOK;
		}
		if (b->venue == venue && b->inst == inst)
			break;
		/* the table changed under us (feedd restarted with other books) */
		if (again) {
			p->st.no_book++;
			return PAPER_E_NO_BOOK;
		}
		p->next_rescan_ns = now->mono_ns + PAPER_RESCAN_NS;
		rescan(p);
	}
	if (b->status != KIMP_BOOK_LIVE || b->nbids > KIMP_BOOK_LEVELS ||
	    b->nasks > KIMP_BOOK_LEVELS ||
	    (p->cfg.max_age_ns && now->mono_ns > b->recv_mono_ns &&
	     now->mono_ns - b->recv_mono_ns > p->cfg.max_age_ns)) {
		p->st.stale++;
		return PAPER_E_STALE_BOOK;
	}
	if (b->px_dec != vc->px_dec || b->qty_dec != vc->qty_dec)
		return PAPER_E_SCALE;
	return 0;
}

/* ---- amounts --------------------------------------------------------------------- */

/* ceil(a / d) for a >= 0, d > 0. */
static int64_t div_up(unsigned __int128 a, unsigned __int128 d)
{
	return (int64_t)((a + d - 1) / d);
}

/* The fee of one fill of qty at px, and in which asset (0 quote, 1 base). */
static int64_t fill_fee(const struct paper_venue_cfg *vc, const struct paper_ord *o, int64_t px,
			int64_t qty, bool maker)
{
	int64_t rate = maker ? vc->maker_fee_e8 : vc->taker_fee_e8;

	if (o->fee_asset)       /* base, at qty_dec */
		return div_up((unsigned __int128)qty * (uint64_t)rate, PAPER_FEE_ONE);
	return div_up((unsigned __int128)px * (uint64_t)qty * (uint64_t)rate,
		      (unsigned __int128)pow10_tab[vc->qty_dec] * PAPER_FEE_ONE);
}

/* cum_quote at px_dec: the exact sum rounded half up. */
static int64_t cum_quote(const struct paper_venue_cfg *vc, const struct paper_ord *o)
{
	__int128 d = pow10_tab[vc->qty_dec];

	return (int64_t)((o->cum_quote_x + d / 2) / d);
}

/* ---- events ---------------------------------------------------------------------- */

static void ev_order(struct paper *p, struct vo_event *ev, const struct paper_ord *o,
		     uint8_t state, const struct paper_now *now)
{
	const struct paper_venue_cfg *vc = &p->cfg.venue[o->venue];
	int n;

	vo_event_reset(ev);
	ev->kind = VO_EV_ORDER;
	ev->state = state;
	ev->side = o->side;
	ev->fee_asset = o->fee_asset;
	ev->flags = VO_F_CUM_FEE;
	ev->sym = o->sym;
	ev->coid = o->coid;
	ev->oid[0] = 'P';
	n = vo_put_u64(ev->oid + 1, o->id);
	ev->oid[1 + n] = '\0';
	ev->px = o->px;
	ev->qty = o->qty;
	ev->cum_qty = o->cum_qty;
	ev->cum_quote = cum_quote(vc, o);
	ev->cum_fee = o->cum_fee;
	ev->venue_ts_ns = now->real_ns;
}

static void emit_state(struct paper *p, const struct paper_ord *o, uint8_t state,
		       const struct paper_now *now, paper_emit_fn emit, void *arg)
{
	struct vo_event ev;

	ev_order(p, &ev, o, state, now);
	emit(arg, &ev);
}

static void emit_error(uint64_t coid, uint32_t sym, uint8_t side, uint8_t outcome, int32_t code,
		       const struct paper_now *now, paper_emit_fn emit, void *arg)
{
	struct vo_event ev;
	const char *name = paper_err_name(code);

	vo_event_reset(&ev);
	ev.kind = VO_EV_ERROR;
	ev.outcome = outcome;
	ev.code = code;
	ev.coid = coid;
	ev.sym = sym;
	ev.side = side;
	ev.msg = name;
	ev.msg_len = name ? (uint32_t)strlen(name) : 0;
	ev.venue_ts_ns = now->real_ns;
	emit(arg, &ev);
}

/*
 * Is the order done: its quantity filled, or (a market buy by quote) what
 * is left of the quote buys not one unit at unit_px, the price of the next
 * unit (the last price paid when the book has no more)?
 */
static bool filled_whole(const struct paper_venue_cfg *vc, const struct paper_ord *o,
			 int64_t unit_px)
{
	if (o->qty > 0)
		return o->cum_qty >= o->qty;
	return (__int128)o->quote_qty * pow10_tab[vc->qty_dec] - o->cum_quote_x <
	       (__int128)unit_px;
}

/* One fill: apply it and emit its event (PARTIAL, or FILLED when it completes the order). */
static void fill(struct paper *p, struct paper_ord *o, int64_t px, int64_t qty, bool maker,
		 int64_t unit_px, const struct paper_now *now, paper_emit_fn emit, void *arg)
{
	const struct paper_venue_cfg *vc = &p->cfg.venue[o->venue];
	int64_t fee = fill_fee(vc, o, px, qty, maker);
	struct vo_event ev;

	o->cum_qty += qty;
	o->cum_quote_x += (__int128)px * qty;
	o->cum_fee += fee;
	o->state = filled_whole(vc, o, unit_px) ? KIMP_ORD_FILLED : KIMP_ORD_PARTIAL;
	ev_order(p, &ev, o, o->state, now);
	ev.flags |= VO_F_LAST | (maker ? VO_F_MAKER : 0);
	ev.last_px = px;
	ev.last_qty = qty;
	ev.last_fee = fee;
	ev.trade_id = p->next_trade++;
	p->st.fills++;
	if (maker)
		p->st.maker_fills++;
	emit(arg, &ev);
}

/* A final order: into the done ring (the oldest forgotten when full). */
static void remember(struct paper *p, const struct paper_ord *o)
{
	p->done[p->done_next] = *o;
	p->done_next = (p->done_next + 1) % p->cfg.max_done;
	if (p->ndone < p->cfg.max_done)
		p->ndone++;
}

/* ---- placing ------------------------------------------------------------------------ */

/* The opposite side of a taker of 'side': asks for a buy. */
static const struct kimp_level *opposite(const struct kimp_book *b, uint8_t side, uint32_t *n)
{
	if (side == KIMP_SIDE_BUY) {
		*n = b->nasks;
		return b->asks;
	}
	*n = b->nbids;
	return b->bids;
}

/* Does level price lp cross a limit px for a taker of 'side'? (px 0: market) */
static bool crosses(uint8_t side, int64_t lp, int64_t px)
{
	if (lp <= 0)
		return false;
	if (!px)
		return true;
	return side == KIMP_SIDE_BUY ? lp <= px : lp >= px;
}

static bool order_ok(const struct vo_order *o)
{
	if (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL)
		return false;
	switch (o->type) {
	case VO_LIMIT:
		return o->px > 0 && o->qty > 0 && o->tif <= KIMP_TIF_FOK;
	case VO_POST_ONLY:
		return o->px > 0 && o->qty > 0;
	case VO_MARKET:
		/* sell by quantity; buy by quantity or by quote (not both) */
		if (o->side == KIMP_SIDE_SELL)
			return o->qty > 0 && !o->quote_qty;
		return (o->qty > 0) != (o->quote_qty > 0) && o->qty >= 0 && o->quote_qty >= 0;
	default:
		return false;
	}
}

int paper_place(struct paper *p, uint8_t venue, uint32_t inst, const struct vo_order *o,
		const struct paper_now *now, paper_emit_fn emit, void *arg)
{
	const struct paper_venue_cfg *vc;
	const struct kimp_level *lv;
	struct paper_ord ord, *r;
	uint32_t n, i;
	int64_t px;
	bool rests;
	int32_t e;

	if (!o || !emit || !now)
		return -EINVAL;
	p->st.placed++;
	if (venue >= KIMP_VENUE_MAX || !p->cfg.venue[venue].enabled) {
		e = PAPER_E_VENUE;
		goto refuse;
	}
	vc = &p->cfg.venue[venue];
	if (!order_ok(o)) {
		e = PAPER_E_BAD_ORDER;
		goto refuse;
	}
	e = book_get(p, venue, inst, now);
	if (e)
		goto refuse;
	px = o->type == VO_MARKET ? 0 : o->px;
	lv = opposite(&p->bk, o->side, &n);
	rests = o->type == VO_POST_ONLY || (o->type == VO_LIMIT && o->tif == KIMP_TIF_GTC);
	if (o->type == VO_POST_ONLY && n && crosses(o->side, lv[0].px, px)) {
		e = PAPER_E_WOULD_TAKE;
		goto refuse;
	}
	if (rests && !p->nfree) {
		e = PAPER_E_FULL;
		goto refuse;
	}

	memset(&ord, 0, sizeof(ord));
	ord.coid = o->coid;
	ord.id = p->next_id++;
	ord.px = px;
	ord.qty = o->qty;
	ord.quote_qty = o->type == VO_MARKET ? o->quote_qty : 0;
	ord.inst = inst;
	ord.sym = o->sym;
	ord.venue = venue;
	ord.side = o->side;
	ord.type = o->type;
	ord.tif = o->tif;
	ord.state = KIMP_ORD_ACKED;
	ord.fee_asset = vc->fee_rule == PAPER_FEE_RECEIVED && o->side == KIMP_SIDE_BUY;
	ord.seen_update = p->bk.update_count;
	emit_state(p, &ord, KIMP_ORD_ACKED, now, emit, arg);

	/* FOK: all or nothing, from the levels within the limit */
	if (o->type == VO_LIMIT && o->tif == KIMP_TIF_FOK) {
		int64_t avail = 0;

		for (i = 0; i < n && crosses(o->side, lv[i].px, px) && avail < o->qty; i++)
			avail += lv[i].qty > 0 ? lv[i].qty : 0;
		if (avail < o->qty)
			goto expire;
	}
	/* taker fills, best level first (post-only takes nothing: checked above) */
	for (i = 0; i < n && o->type != VO_POST_ONLY && ord.state != KIMP_ORD_FILLED; i++) {
		int64_t lp = lv[i].px, take = lv[i].qty;
		int64_t unit_px;

		if (!crosses(o->side, lp, px))
			break;
		if (take <= 0)
			continue;
		if (ord.qty > 0) {
			if (take > ord.qty - ord.cum_qty)
				take = ord.qty - ord.cum_qty;
		} else {
			/* a market buy by quote: what the quote left buys at lp */
			__int128 left = (__int128)ord.quote_qty * pow10_tab[vc->qty_dec] -
					ord.cum_quote_x;
			__int128 can = left / lp;

			if (can < take)
				take = (int64_t)can;
			if (take <= 0)
				break;
		}
		/* the price of the next unit, for a by-quote order's end */
		unit_px = take < lv[i].qty || i + 1 >= n || lv[i + 1].px <= 0 ? lp : lv[i + 1].px;
		fill(p, &ord, lp, take, false, unit_px, now, emit, arg);
	}
	if (ord.state == KIMP_ORD_FILLED) {
		remember(p, &ord);
		return 0;
	}
	if (!rests)
		goto expire;
	/* GTC and post-only: the rest waits on the book */
	r = &p->rest[p->free_slots[--p->nfree]];
	*r = ord;
	p->live[p->nlive++] = (uint32_t)(r - p->rest);
	p->st.rested++;
	return 0;
expire:
	ord.state = KIMP_ORD_EXPIRED;
	p->st.expired++;
	emit_state(p, &ord, KIMP_ORD_EXPIRED, now, emit, arg);
	remember(p, &ord);
	return 0;
refuse:
	p->st.rejected++;
	emit_error(o->coid, o->sym, o->side, VO_OUT_REJECTED, e, now, emit, arg);
	return 0;
}

/* ---- cancel, query ------------------------------------------------------------------ */

/* The resting order coid of venue: its index in live[], or -1. */
static int32_t find_live(const struct paper *p, uint8_t venue, uint64_t coid)
{
	for (uint32_t i = 0; i < p->nlive; i++) {
		const struct paper_ord *o = &p->rest[p->live[i]];

		if (o->coid == coid && o->venue == venue)
			return (int32_t)i;
	}
	return -1;
}

/* The remembered final order coid of venue (the newest), or NULL. */
static const struct paper_ord *find_done(const struct paper *p, uint8_t venue, uint64_t coid)
{
	for (uint32_t k = 0; k < p->ndone; k++) {
		uint32_t i = (p->done_next + p->cfg.max_done - 1 - k) % p->cfg.max_done;

		if (p->done[i].coid == coid && p->done[i].venue == venue)
			return &p->done[i];
	}
	return NULL;
}

/* Take resting order live[li] off the book (into the done ring). */
static void unrest(struct paper *p, uint32_t li)
{
	uint32_t idx = p->live[li];

	remember(p, &p->rest[idx]);
	p->live[li] = p->live[--p->nlive];
	p->free_slots[p->nfree++] = idx;
}

int paper_cancel(struct paper *p, uint8_t venue, uint64_t coid, const struct paper_now *now,
		 paper_emit_fn emit, void *arg)
{
	const struct paper_ord *d;
	int32_t li;

	if (!emit || !now)
		return -EINVAL;
	li = find_live(p, venue, coid);
	if (li >= 0) {
		struct paper_ord *o = &p->rest[p->live[li]];

		o->state = KIMP_ORD_CANCELLED;
		p->st.cancelled++;
		emit_state(p, o, KIMP_ORD_CANCELLED, now, emit, arg);
		unrest(p, (uint32_t)li);
		return 0;
	}
	d = find_done(p, venue, coid);
	if (d)
		emit_error(coid, d->sym, d->side, VO_OUT_CANCEL_REJECTED, PAPER_E_FINAL, now, emit,
			   arg);
	else
		emit_error(coid, VENUE_SYM_NONE, 0, VO_OUT_NOT_FOUND, PAPER_E_NOT_FOUND, now, emit,
			   arg);
	return 0;
}

int paper_query(struct paper *p, uint8_t venue, uint64_t coid, const struct paper_now *now,
		paper_emit_fn emit, void *arg)
{
	const struct paper_ord *o;
	int32_t li;

	if (!emit || !now)
		return -EINVAL;
	li = find_live(p, venue, coid);
	o = li >= 0 ? &p->rest[p->live[li]] : find_done(p, venue, coid);
	if (o)
		emit_state(p, o, o->state, now, emit, arg);
	else
		emit_error(coid, VENUE_SYM_NONE, 0, VO_OUT_NOT_FOUND, PAPER_E_NOT_FOUND, now, emit,
			   arg);
	return 0;
}

/* ---- the idle check ----------------------------------------------------------------- */

unsigned paper_poll(struct paper *p, const struct paper_now *now, paper_emit_fn emit, void *arg)
{
	unsigned fills = 0;

	if (!emit || !now)
		return 0;
	for (uint32_t li = 0; li < p->nlive;) {
		struct paper_ord *o = &p->rest[p->live[li]];
		const struct kimp_level *lv;
		int64_t cross = 0, left;
		uint32_t n;

		if (book_get(p, o->venue, o->inst, now) || p->bk.update_count == o->seen_update) {
			li++;
			continue;
		}
		o->seen_update = p->bk.update_count;
		lv = opposite(&p->bk, o->side, &n);
		for (uint32_t i = 0; i < n && crosses(o->side, lv[i].px, o->px); i++)
			cross += lv[i].qty > 0 ? lv[i].qty : 0;
		left = o->qty - o->cum_qty;
		if (!cross) {
			li++;
			continue;
		}
		/* a maker fills at its own price */
		fill(p, o, o->px, cross < left ? cross : left, true, o->px, now, emit, arg);
		fills++;
		if (o->state == KIMP_ORD_FILLED)
			unrest(p, li);  /* live[li] is now another order: look at it next */
		else
			li++;
	}
	return fills;
}
