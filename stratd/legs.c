/* SPDX-License-Identifier: MIT */
/*
 * The pairs in flight. A pair is two legs (leg 0 on the KRW venue, leg 1 on
 * the USDT venue), each a list of orders: the entry, then retries of a
 * missing quantity or unwinds of an excess. Verdicts (riskd) and execution
 * reports (orderd) move the orders; when no order of a pair is pending any
 * more, the legs are compared (in the coin's common scale):
 *
 *   equal            the pair is done (freed once every order is final)
 *   unequal, retry   the short leg again for the missing qty (up to the
 *                    pair's size), at the walked price plus a growing
 *                    allowance, never past slip_cap from the leg's
 *                    decision price; retry_max times
 *   else             unwind the excess on the long leg's venue (opposite
 *                    side), unwind_max times; an excess below both venues'
 *                    minimums is written off as dust; otherwise the pair
 *                    is stuck (the operator's)
 *
 * A retry or unwind whose book is not usable now is deferred to the next
 * housekeeping turn; a retry deferred past leg_timeout gives way to the
 * unwind.
 *
 * Unhedged exposure per coin: the net qty bought (+) or sold (-) across
 * both venues by every fill (fees aside), with the time it left zero. No
 * entry on a coin while it is not zero (stratd.c). When it returns to zero
 * the episode's length is added to the coin's unhedged_ns and kept in
 * unhedged_max_ns when the longest; stratd publishes the totals over every
 * coin, open episodes included, as the gauges unhedged_ns and
 * unhedged_max_ns (strat_unhedged_time).
 *
 * Inventory view per venue and asset: the starting balance, the fills
 * (and fees), what live orders reserve (cash for buys with their fee, coin
 * for sells) and what live buys would bring in. An order's hold follows its
 * state: the whole qty until the verdict, approved - filled while it
 * works, nothing once final.
 *
 * Every change is an undo-journaled store (strat_set); each input message
 * is one transaction, committed before its ring commit, and each intent
 * pushed is a transaction of its own that records the ring position first,
 * so a restart knows whether the push happened (strat_recover).
 *
 * Hot path: no allocation, no text, no system call.
 */
#include <string.h>
#include "kimp/risk.h"
#include "stratd.h"

static struct kimp_strat_inv *inv(struct stratd *s, unsigned venue, unsigned asset)
{
	return &s->st->inv[venue][asset];
}

static const struct strat_pair_conf *pconf(const struct stratd *s,
					   const struct kimp_strat_pair *p)
{
	return &s->conf->pair[p->inst];
}

struct kimp_strat_pair *strat_pair_find(struct stratd *s, uint64_t pair_id)
{
	if (!pair_id)
		return NULL;
	for (uint32_t i = 0; i < KIMP_STRAT_PAIRS; i++)
		if (s->st->pair[i].pair_id == pair_id)
			return &s->st->pair[i];
	return NULL;
}

void strat_model_get(const struct kimp_strat_state *st, uint32_t inst, struct strat_model *m)
{
	const struct kimp_strat_coin *c = &st->coin[inst];

	m->n = c->n;
	m->mean = kimp_strat_f64(c->mean);
	m->var = kimp_strat_f64(c->var);
	m->first_ns = (uint64_t)c->first_ns;
	m->last_ns = (uint64_t)c->last_ns;
}

void strat_model_put(struct stratd *s, uint32_t inst, const struct strat_model *m)
{
	struct kimp_strat_coin *c = &s->st->coin[inst];

	strat_set(s, &c->n, m->n);
	strat_set(s, &c->mean, kimp_strat_bits(m->mean));
	strat_set(s, &c->var, kimp_strat_bits(m->var));
	strat_set(s, &c->first_ns, (int64_t)m->first_ns);
	strat_set(s, &c->last_ns, (int64_t)m->last_ns);
}

static int64_t holding(const struct kimp_strat_inv *i)
{
	return i->start + i->fills;
}

void strat_room(const struct stratd *s, const struct strat_pair_conf *pc,
		struct strat_room room[2])
{
	const struct kimp_strat_state *st = s->st;

	for (unsigned dir = KIMP_STRAT_SELL_KRW; dir <= KIMP_STRAT_BUY_KRW; dir++) {
		int sl = dir == KIMP_STRAT_SELL_KRW ? 0 : 1, bl = 1 - sl;
		const struct strat_venue_conf *sv = &pc->leg[sl], *bv = &pc->leg[bl];
		const struct kimp_strat_inv *si = &st->inv[sv->venue][pc->inst];
		const struct kimp_strat_inv *bi = &st->inv[bv->venue][pc->inst];
		const struct kimp_strat_inv *cash = &st->inv[bv->venue][0];
		struct strat_room *r = &room[dir - 1];
		int64_t in = holding(bi) + bi->incoming;

		r->sell_qty = holding(si) - si->resv - sv->band_min;
		r->buy_qty = bv->band_max == STRATD_INF ? STRATD_INF : bv->band_max - in;
		r->buy_cash = holding(cash) - cash->resv - s->conf->cash_floor[bv->venue];
		r->sell_head = STRATD_INF;   /* riskd's position_min is in band_min */
		r->buy_head = bv->risk_pos_max == STRATD_INF ? STRATD_INF : bv->risk_pos_max - in;
		if (r->sell_qty < 0)
			r->sell_qty = 0;
		if (r->buy_qty < 0)
			r->buy_qty = 0;
		if (r->buy_cash < 0)
			r->buy_cash = 0;
		if (r->buy_head < 0)
			r->buy_head = 0;
	}
}

uint64_t strat_ring_room(struct stratd *s)
{
	/* acquire: pairs with the consumer's release of tail */
	uint64_t tail = atomic_load_explicit(&s->ring->tail, memory_order_acquire);

	s->prod.tail_cache = tail;
	return s->prod.mask + 1 - (s->prod.head - tail);
}

/* ---- holds: what a live order reserves and would bring in --------------- */

struct hold {
	int64_t cash;       /* quote reserved (buys), px_dec */
	int64_t coin;       /* coin reserved (sells), qty_dec */
	int64_t incoming;   /* coin a buy would bring, qty_dec */
};

static int64_t live_qty(const struct kimp_strat_order *o)
{
	int64_t base;

	switch (o->state) {
	case KIMP_STRAT_ORD_QUEUED:
	case KIMP_STRAT_ORD_SENT:
		base = o->qty;
		break;
	case KIMP_STRAT_ORD_WORKING:
		base = o->approved;
		break;
	case KIMP_STRAT_ORD_TIMEOUT:
		/* no verdict seen: it may still be approved for all of it */
		base = o->approved ? o->approved : o->client_oid ? 0 : o->qty;
		break;
	default:
		return 0;
	}
	return base > o->cum_qty ? base - o->cum_qty : 0;
}

static struct hold order_hold(const struct strat_venue_conf *v, const struct kimp_strat_order *o)
{
	struct hold h = { 0, 0, 0 };
	int64_t q = live_qty(o);

	if (!q)
		return h;
	if (o->side == KIMP_SIDE_BUY) {
		int64_t n = strat_notional(o->px, q, v->qty_dec, true);
		h.cash = n + (int64_t)(((__int128)n * v->fee_e8 + 99999999) / 100000000);
		h.incoming = q;
	} else {
		h.coin = q;
	}
	return h;
}

/* Move the inventory view from hold a to hold b of an order on (venue, inst). */
static void hold_move(struct stratd *s, const struct strat_venue_conf *v, uint32_t inst,
		      struct kimp_strat_order *o, const struct hold *a, const struct hold *b)
{
	strat_add(s, &inv(s, v->venue, 0)->resv, b->cash - a->cash);
	strat_add(s, &inv(s, v->venue, inst)->resv, b->coin - a->coin);
	strat_add(s, &inv(s, v->venue, inst)->incoming, b->incoming - a->incoming);
	strat_set(s, &o->resv, o->side == KIMP_SIDE_BUY ? b->cash : b->coin);
}

/* ---- orders ---------------------------------------------------------------- */

static bool ord_pending(int64_t st)
{
	return st == KIMP_STRAT_ORD_QUEUED || st == KIMP_STRAT_ORD_SENT ||
	       st == KIMP_STRAT_ORD_WORKING;
}

/* Queue a new order on leg li (journaled). NULL when the leg has no order slot left. */
static struct kimp_strat_order *order_queue(struct stratd *s, struct kimp_strat_pair *p, int li,
					    unsigned kind, unsigned side, int64_t px, int64_t qty,
					    int64_t max_slip, uint64_t ingress_tsc)
{
	struct kimp_strat_state *st = s->st;
	struct kimp_strat_leg *leg = &p->leg[li];
	const struct strat_venue_conf *v = &pconf(s, p)->leg[li];
	struct kimp_strat_order *o;
	struct hold none = { 0, 0, 0 }, h;

	bool reuse = false;

	/* a mend riskd refused (never approved, nothing held) gives its slot
	 * to the next one: refusals for now must not use up the leg's slots */
	if (leg->norders > 0) {
		const struct kimp_strat_order *l = &leg->ord[leg->norders - 1];
		reuse = l->kind != KIMP_INTENT_ENTRY && l->state == KIMP_STRAT_ORD_REJECTED &&
			!l->approved && !l->client_oid && !l->cum_qty;
	}
	if (!reuse && leg->norders >= KIMP_STRAT_ORDERS)
		return NULL;
	o = &leg->ord[reuse ? leg->norders - 1 : leg->norders];
	strat_setu(s, &o->intent_id, st->next_intent_id);
	strat_setu(s, &st->next_intent_id, st->next_intent_id + 1);
	strat_setu(s, &o->client_oid, 0);
	strat_set(s, &o->kind, kind);
	strat_set(s, &o->side, side);
	strat_set(s, &o->px, px);
	strat_set(s, &o->qty, qty);
	strat_set(s, &o->max_slip_px, max_slip);
	strat_set(s, &o->approved, 0);
	strat_set(s, &o->cum_qty, 0);
	strat_set(s, &o->notional, 0);
	strat_set(s, &o->state, KIMP_STRAT_ORD_QUEUED);
	strat_set(s, &o->reason, 0);
	strat_set(s, &o->resv, 0);
	strat_set(s, &o->sent_ns, (int64_t)s->now);
	strat_setu(s, &o->decision_tsc, s->turn_tsc ? s->turn_tsc : kimp_rdtsc());
	strat_setu(s, &o->ingress_tsc, ingress_tsc);
	h = order_hold(v, o);
	hold_move(s, v, (uint32_t)p->inst, o, &none, &h);
	if (!reuse)
		strat_set(s, &leg->norders, leg->norders + 1);
	strat_add(s, &st->queued, 1);
	return o;
}

struct kimp_strat_pair *strat_pair_open(struct stratd *s, uint32_t inst,
					const struct strat_decision *d)
{
	struct kimp_strat_state *st = s->st;
	const struct strat_pair_conf *pc = &s->conf->pair[inst];
	struct kimp_strat_coin *coin = &st->coin[inst];
	struct kimp_strat_pair *p = NULL;

	for (uint32_t i = 0; i < KIMP_STRAT_PAIRS && !p; i++)
		if (!st->pair[i].pair_id)
			p = &st->pair[i];
	if (!p)
		return NULL;
	strat_setu(s, &p->pair_id, st->next_pair_id);
	strat_setu(s, &st->next_pair_id, st->next_pair_id + 1);
	strat_set(s, &p->inst, inst);
	strat_set(s, &p->dir, d->dir);
	strat_set(s, &p->state, KIMP_STRAT_PAIR_OPEN);
	strat_set(s, &p->target, d->qty);
	strat_set(s, &p->opened_ns, (int64_t)s->now);
	strat_set(s, &p->mend_since_ns, 0);
	strat_set(s, &p->prem, kimp_strat_bits(d->prem));
	strat_set(s, &p->dev, kimp_strat_bits(d->dev));
	strat_setu(s, &p->ingress_tsc, s->ev_tsc);
	strat_set(s, &p->retry_off, 0);
	strat_set(s, &p->dust, 0);
	strat_set(s, &p->mend_after_ns, 0);
	for (int l = 0; l < 2; l++) {
		struct kimp_strat_leg *leg = &p->leg[l];
		strat_set(s, &leg->venue, pc->leg[l].venue);
		strat_set(s, &leg->side, d->side[l]);
		strat_set(s, &leg->decision_px, d->worst[l]);
		strat_set(s, &leg->filled, 0);
		strat_set(s, &leg->notional, 0);
		strat_set(s, &leg->fee_quote, 0);
		strat_set(s, &leg->fee_base, 0);
		strat_set(s, &leg->norders, 0);
		strat_set(s, &leg->retries, 0);
		strat_set(s, &leg->unwinds, 0);
	}
	/* leg 0 first: intent ids increase in the order they go out */
	for (int l = 0; l < 2; l++)
		order_queue(s, p, l, KIMP_INTENT_ENTRY, d->side[l], d->px[l], d->leg_qty[l],
			    d->slip_px[l], s->ev_tsc);
	strat_add(s, &st->pairs_open, 1);
	strat_add(s, &st->cnt.entries, 1);
	strat_add(s, &coin->entries, 1);
	strat_set(s, &coin->last_entry_ns, (int64_t)s->now);
	return p;
}

/* ---- pushing intents --------------------------------------------------------- */

/* The QUEUED order with the lowest intent id. */
static struct kimp_strat_order *next_queued(struct stratd *s, struct kimp_strat_pair **pp,
					    int *li)
{
	struct kimp_strat_order *best = NULL;

	for (uint32_t i = 0; i < KIMP_STRAT_PAIRS; i++) {
		struct kimp_strat_pair *p = &s->st->pair[i];
		if (!p->pair_id)
			continue;
		for (int l = 0; l < 2; l++)
			for (int64_t k = 0; k < p->leg[l].norders; k++) {
				struct kimp_strat_order *o = &p->leg[l].ord[k];
				if (o->state == KIMP_STRAT_ORD_QUEUED &&
				    (!best || o->intent_id < best->intent_id)) {
					best = o;
					*pp = p;
					*li = l;
				}
			}
	}
	return best;
}

uint32_t strat_flush(struct stratd *s)
{
	struct kimp_strat_state *st = s->st;
	uint32_t n = 0;

	while (st->queued > 0) {
		struct kimp_strat_pair *p = NULL;
		int li = 0;
		struct kimp_strat_order *o = next_queued(s, &p, &li);
		uint8_t *slot;

		if (!o) {
			/* the count disagrees with the orders: trust the orders */
			strat_set(s, &st->queued, 0);
			strat_commit(s);
			break;
		}
		slot = shm_ring_reserve(&s->prod);
		if (!slot) {
			shm_counter_add(s->m.ring_full, 1);
			break;
		}
		/* the position first: a restart that finds the ring past it keeps
		 * this transaction (strat_recover) */
		strat_setu(s, &st->pushed, st->pushed + 1);
		strat_set(s, &o->state, KIMP_STRAT_ORD_SENT);
		strat_set(s, &o->sent_ns, (int64_t)s->now);
		strat_add(s, &st->queued, -1);
		strat_add(s, &st->cnt.intents, 1);

		struct kimp_intent in;
		memset(&in, 0, sizeof(in));
		in.h.type = KIMP_MSG_INTENT;
		in.h.venue = (uint8_t)p->leg[li].venue;
		in.h.inst = (uint32_t)p->inst;
		in.h.ingress_tsc = o->ingress_tsc;
		in.intent_id = o->intent_id;
		in.pair_id = p->pair_id;
		in.px = o->px;
		in.qty = o->qty;
		in.max_slip_px = o->max_slip_px;
		in.decision_tsc = o->decision_tsc;
		in.side = (uint8_t)o->side;
		in.tif = KIMP_TIF_IOC;
		in.leg = (uint8_t)li;
		in.leg_count = o->kind == KIMP_INTENT_ENTRY ? 2 : 1;
		in.strategy = (uint32_t)p->inst;
		in.kind = (uint8_t)o->kind;
		/* an entry is decided only on a market message's turn
		 * (strat_on_md): its decision_tsc is when that message was taken */
		in.strat_deq_tsc = o->kind == KIMP_INTENT_ENTRY ? o->decision_tsc : 0;
		in.strat_pub_tsc = kimp_rdtsc();
		memcpy(slot + SHM_RING_MARK_BYTES, (const uint8_t *)&in + SHM_RING_MARK_BYTES,
		       sizeof(in) - SHM_RING_MARK_BYTES);
		shm_ring_publish(&s->prod);
		strat_commit(s);

		n++;
		shm_counter_add(s->m.intents, 1);
		if (o->kind >= 0 && o->kind < 3)
			shm_counter_add(s->m.intents_kind[o->kind], 1);
		uint64_t now = kimp_rdtsc();
		if (o->ingress_tsc && now > o->ingress_tsc)
			shm_hist_record_ticks(s->m.tick_to_intent, s->cal, now - o->ingress_tsc);
		if (s->turn_tsc && o->kind == KIMP_INTENT_ENTRY && now > s->turn_tsc)
			shm_hist_record_ticks(s->m.event_to_intent, s->cal, now - s->turn_tsc);
	}
	return n;
}

/* ---- fills and exposure ---------------------------------------------------- */

static void exposure_add(struct stratd *s, uint32_t inst, int64_t d)
{
	struct kimp_strat_coin *c = &s->st->coin[inst];
	int64_t was = c->unhedged, now = was + d;

	if (!d)
		return;
	strat_set(s, &c->unhedged, now);
	if (!now) {
		/* the episode ends: its length into the totals */
		if (c->unhedged_since > 0 && (int64_t)s->now > c->unhedged_since) {
			int64_t ep = (int64_t)s->now - c->unhedged_since;

			strat_add(s, &c->unhedged_ns, ep);
			if (ep > c->unhedged_max_ns)
				strat_set(s, &c->unhedged_max_ns, ep);
		}
		strat_set(s, &c->unhedged_since, 0);
	} else if (!was) {
		strat_set(s, &c->unhedged_since, (int64_t)s->now);
	}
}

/*
 * Unhedged time over every coin at s->now: the episodes that ended plus
 * the ones still open (their age so far), summed into *total; the longest
 * single episode, ended or still open, into *longest. Reads the state
 * only; nothing is journaled.
 */
void strat_unhedged_time(const struct stratd *s, int64_t *total, int64_t *longest)
{
	int64_t sum = 0, max = 0;

	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct kimp_strat_coin *c = &s->st->coin[i];
		int64_t open = c->unhedged_since > 0 && (int64_t)s->now > c->unhedged_since
				       ? (int64_t)s->now - c->unhedged_since : 0;

		sum += c->unhedged_ns + open;
		if (c->unhedged_max_ns > max)
			max = c->unhedged_max_ns;
		if (open > max)
			max = open;
	}
	*total = sum;
	*longest = max;
}

static void apply_fill(struct stratd *s, struct kimp_strat_pair *p, int li,
		       struct kimp_strat_order *o, int64_t dq, int64_t px, int64_t fee,
		       unsigned fee_asset)
{
	const struct strat_pair_conf *pc = pconf(s, p);
	const struct strat_venue_conf *v = &pc->leg[li];
	struct kimp_strat_leg *leg = &p->leg[li];
	uint32_t inst = (uint32_t)p->inst;
	int64_t n = strat_notional(px, dq, v->qty_dec, false);
	int64_t sign = o->side == leg->side ? 1 : -1;
	bool buy = o->side == KIMP_SIDE_BUY;
	struct hold a = order_hold(v, o), b;

	strat_set(s, &o->cum_qty, o->cum_qty + dq);
	strat_add(s, &o->notional, n);
	strat_add(s, &leg->filled, sign * dq);
	strat_add(s, &leg->notional, sign * n);
	strat_add(s, &inv(s, v->venue, inst)->fills, buy ? dq : -dq);
	strat_add(s, &inv(s, v->venue, 0)->fills, buy ? -n : n);
	if (fee > 0) {
		if (fee_asset == 1) {
			strat_add(s, &inv(s, v->venue, inst)->fills, -fee);
			strat_add(s, &leg->fee_base, fee);
		} else {
			strat_add(s, &inv(s, v->venue, 0)->fills, -fee);
			strat_add(s, &leg->fee_quote, fee);
		}
	}
	b = order_hold(v, o);
	hold_move(s, v, inst, o, &a, &b);
	exposure_add(s, inst, strat_qty_scale(buy ? dq : -dq, v->qty_dec, pc->qty_dec));
	strat_add(s, &s->st->cnt.fills, 1);
	strat_add(s, &s->st->coin[inst].fills, 1);
	shm_counter_add(s->m.fills, 1);
}

/* ---- mending ---------------------------------------------------------------- */

/* Read the leg's book and check it is usable now. */
static bool leg_book(struct stratd *s, const struct strat_venue_conf *v, uint32_t inst,
		     struct kimp_book *b)
{
	if (strat_book_read(s, v->venue, inst, b))
		return false;
	if (b->px_dec != v->px_dec || b->qty_dec != v->qty_dec)
		return false;
	return strat_book_fresh(s, b);
}

static const struct kimp_level *levels_for(const struct kimp_book *b, unsigned side, uint32_t *n)
{
	if (side == KIMP_SIDE_SELL) {
		*n = b->nbids > KIMP_BOOK_LEVELS ? KIMP_BOOK_LEVELS : b->nbids;
		return b->bids;
	}
	*n = b->nasks > KIMP_BOOK_LEVELS ? KIMP_BOOK_LEVELS : b->nasks;
	return b->asks;
}

/* a (common scale) on leg li's venue, on its step, at or above its minimum qty; 0 if not. */
static int64_t leg_qty(const struct strat_pair_conf *pc, int li, int64_t a)
{
	const struct strat_venue_conf *v = &pc->leg[li];
	int64_t q = strat_qty_scale(a, pc->qty_dec, v->qty_dec);

	if (v->rules.step > 0)
		q -= q % v->rules.step;
	if (q <= 0 || q < v->rules.min_qty)
		return 0;
	return q;
}

static bool notional_ok(const struct strat_venue_conf *v, int64_t px, int64_t q)
{
	return !v->rules.min_notional ||
	       strat_notional(px, q, v->qty_dec, false) >= v->rules.min_notional;
}

enum {
	MEND_QUEUED = 0,  /* an order is queued */
	MEND_WAIT = 1,    /* the book is not usable now: later */
	MEND_NO = 2,      /* not this way (cap passed, no order slot) */
	MEND_DUST = 3,    /* below the venue's minimum qty or notional */
};

/* Retry the short leg li for a (common scale). */
static int mend_retry(struct stratd *s, struct kimp_strat_pair *p, int li, int64_t a)
{
	const struct strat_pair_conf *pc = pconf(s, p);
	const struct strat_venue_conf *v = &pc->leg[li];
	struct kimp_strat_leg *leg = &p->leg[li];
	struct kimp_book *b = &s->bk[li];
	struct strat_walk w;
	const struct kimp_level *lv;
	uint32_t n = 0;
	int64_t q = leg_qty(pc, li, a), dpx = leg->decision_px, cap, lim, d;
	unsigned side = (unsigned)leg->side;

	if (!q)
		return MEND_DUST;
	if (!leg_book(s, v, (uint32_t)p->inst, b))
		return MEND_WAIT;
	lv = levels_for(b, side, &n);
	strat_walk(lv, n, q, v->qty_dec, &w);
	if (!w.qty)
		return MEND_WAIT;
	d = (int64_t)((__int128)dpx * s->conf->slip_cap_e8 / 100000000);
	lim = strat_limit_px(&v->rules, v->px_dec, (int)side, w.worst,
			     pc->slip_e8 * (leg->retries + 2));
	if (side == KIMP_SIDE_BUY) {
		cap = strat_tick_floor(&v->rules, v->px_dec, dpx + d);
		if (!cap || w.worst > cap)
			return MEND_NO;
		if (lim > cap)
			lim = cap;
	} else {
		cap = strat_tick_ceil(&v->rules, v->px_dec, dpx - d > 0 ? dpx - d : 1);
		if (!cap || w.worst < cap)
			return MEND_NO;
		if (lim < cap)
			lim = cap;
	}
	if (!lim)
		return MEND_NO;
	if (!notional_ok(v, lim, q))
		return MEND_DUST;
	if (!order_queue(s, p, li, KIMP_INTENT_RETRY, side, lim, q,
			 cap > dpx ? cap - dpx : dpx - cap, s->ev_tsc))
		return MEND_NO;
	strat_add(s, &leg->retries, 1);
	strat_add(s, &s->st->cnt.retries, 1);
	strat_add(s, &s->st->coin[p->inst].retries, 1);
	return MEND_QUEUED;
}

/* Unwind a (common scale) of the long leg li on its venue, opposite side. */
static int mend_unwind(struct stratd *s, struct kimp_strat_pair *p, int li, int64_t a)
{
	const struct strat_pair_conf *pc = pconf(s, p);
	const struct strat_venue_conf *v = &pc->leg[li];
	struct kimp_strat_leg *leg = &p->leg[li];
	struct kimp_book *b = &s->bk[li];
	struct strat_walk w;
	const struct kimp_level *lv;
	uint32_t n = 0;
	int64_t q = leg_qty(pc, li, a), lim;
	unsigned side = leg->side == KIMP_SIDE_BUY ? KIMP_SIDE_SELL : KIMP_SIDE_BUY;

	if (!q)
		return MEND_DUST;
	if (!leg_book(s, v, (uint32_t)p->inst, b))
		return MEND_WAIT;
	lv = levels_for(b, side, &n);
	strat_walk(lv, n, q, v->qty_dec, &w);
	if (!w.qty)
		return MEND_WAIT;
	lim = strat_limit_px(&v->rules, v->px_dec, (int)side, w.worst,
			     pc->slip_e8 * (leg->unwinds + 2));
	if (!lim)
		return MEND_NO;
	if (!notional_ok(v, lim, q))
		return MEND_DUST;
	if (!order_queue(s, p, li, KIMP_INTENT_UNWIND, side, lim, q,
			 lim > w.worst ? lim - w.worst : w.worst - lim, s->ev_tsc))
		return MEND_NO;
	strat_add(s, &leg->unwinds, 1);
	strat_add(s, &s->st->cnt.unwinds, 1);
	strat_add(s, &s->st->coin[p->inst].unwinds, 1);
	return MEND_QUEUED;
}

static void pair_free(struct stratd *s, struct kimp_strat_pair *p)
{
	struct kimp_strat_coin *c = &s->st->coin[p->inst];

	strat_add(s, &s->st->cnt.pairs_done, 1);
	strat_add(s, &c->pairs_done, 1);
	if (p->mend_since_ns) {
		strat_add(s, &c->pairs_mended, 1);
		shm_counter_add(s->m.pairs_mended, 1);
	}
	strat_set(s, &p->state, KIMP_STRAT_PAIR_FREE);
	strat_setu(s, &p->pair_id, 0);
	strat_add(s, &s->st->pairs_open, -1);
	shm_counter_add(s->m.pairs_done, 1);
}

static void pair_stuck(struct stratd *s, struct kimp_strat_pair *p)
{
	if (p->state == KIMP_STRAT_PAIR_STUCK)
		return;
	strat_set(s, &p->state, KIMP_STRAT_PAIR_STUCK);
	strat_add(s, &s->st->cnt.pairs_stuck, 1);
	strat_add(s, &s->st->coin[p->inst].pairs_stuck, 1);
	shm_counter_add(s->m.pairs_stuck, 1);
}

void strat_pair_step(struct stratd *s, struct kimp_strat_pair *p)
{
	const struct strat_pair_conf *pc = pconf(s, p);
	bool settled = true;
	int64_t d, a;
	int x, y, r;

	for (int l = 0; l < 2; l++)
		for (int64_t k = 0; k < p->leg[l].norders; k++) {
			int64_t st = p->leg[l].ord[k].state;
			if (ord_pending(st))
				return;
			if (st == KIMP_STRAT_ORD_TIMEOUT)
				settled = false;
		}
	d = strat_qty_scale(p->leg[0].filled, pc->leg[0].qty_dec, pc->qty_dec) -
	    strat_qty_scale(p->leg[1].filled, pc->leg[1].qty_dec, pc->qty_dec) - p->dust;
	if (!d) {
		if (settled)
			pair_free(s, p);
		return;
	}
	if (p->state == KIMP_STRAT_PAIR_STUCK)
		return;
	if (p->mend_after_ns && s->now < (uint64_t)p->mend_after_ns) {
		shm_counter_add(s->m.deferred, 1);
		return;
	}
	if (!p->mend_since_ns)
		strat_set(s, &p->mend_since_ns, (int64_t)s->now);
	strat_set(s, &p->state, KIMP_STRAT_PAIR_MENDING);
	x = d > 0 ? 0 : 1;      /* the long leg */
	y = 1 - x;              /* the short leg */
	a = d > 0 ? d : -d;

	/* a retry brings the short leg up to the pair's size, no further: an
	 * excess over it (a late fill) is unwound */
	int64_t fy = strat_qty_scale(p->leg[y].filled, pc->leg[y].qty_dec, pc->qty_dec);
	int64_t ra = p->target - fy < a ? p->target - fy : a;
	if (s->conf->policy == STRAT_POLICY_RETRY && !p->retry_off && ra > 0 &&
	    p->leg[y].retries < (int64_t)s->conf->retry_max) {
		r = mend_retry(s, p, y, ra);
		if (r == MEND_QUEUED)
			return;
		if (r == MEND_WAIT &&
		    s->now - (uint64_t)p->mend_since_ns < s->conf->leg_timeout_ns) {
			shm_counter_add(s->m.deferred, 1);
			return;
		}
		strat_set(s, &p->retry_off, 1);
	}
	r = p->leg[x].unwinds < (int64_t)s->conf->unwind_max ? mend_unwind(s, p, x, a) : MEND_NO;
	if (r == MEND_QUEUED)
		return;
	if (r == MEND_WAIT) {
		shm_counter_add(s->m.deferred, 1);
		return;
	}
	if (r == MEND_DUST || !leg_qty(pc, x, a)) {
		/* below what the venue takes: written off */
		int64_t sa = p->leg[x].side == KIMP_SIDE_BUY ? a : -a;
		struct kimp_strat_coin *c = &s->st->coin[p->inst];
		strat_add(s, &c->dust, sa);
		exposure_add(s, (uint32_t)p->inst, -sa);
		strat_add(s, &s->st->cnt.dust, 1);
		shm_counter_add(s->m.dust, 1);
		/* the legs count as equal from here: the dust is the coin's */
		strat_add(s, &p->dust, d);
		if (settled)
			pair_free(s, p);
		return;
	}
	pair_stuck(s, p);
}

/* ---- verdicts and reports ------------------------------------------------------ */

/*
 * riskd refused a mend for a reason that passes by itself
 * (kimp_risk_reason_passes), while the pair has been mending for less than
 * leg_timeout: past that, refusals count as attempts again, so a pair riskd
 * keeps refusing still ends (unwound or stuck).
 */
static bool mend_refused_for_now(const struct stratd *s, const struct kimp_strat_pair *p,
				 int64_t reason)
{
	if (reason < 0 || !kimp_risk_reason_passes((unsigned)reason))
		return false;
	return !p->mend_since_ns || s->now < (uint64_t)p->mend_since_ns ||
	       s->now - (uint64_t)p->mend_since_ns < s->conf->leg_timeout_ns;
}

/* How long a mend riskd refused for now waits: 1 s (an order-rate
 * second passes), at most a quarter of leg_timeout. */
static uint64_t mend_pace_ns(const struct stratd *s)
{
	uint64_t q = s->conf->leg_timeout_ns / 4;

	return q < 1000000000ull ? q : 1000000000ull;
}

void strat_on_verdict(struct stratd *s, const struct kimp_verdict *v)
{
	struct kimp_strat_pair *p = strat_pair_find(s, v->pair_id);
	struct kimp_strat_order *o = NULL;
	struct kimp_strat_leg *leg;
	struct hold a, b;
	bool paced = false;

	shm_counter_add(s->m.verdicts, 1);
	if (v->verdict >= 1 && v->verdict <= 3)
		shm_counter_add(s->m.verdict_kind[v->verdict], 1);
	if (!p || v->leg > 1) {
		shm_counter_add(s->m.unknown, 1);
		return;
	}
	leg = &p->leg[v->leg];
	for (int64_t k = 0; k < leg->norders && !o; k++)
		if (leg->ord[k].intent_id == v->intent_id)
			o = &leg->ord[k];
	if (!o) {
		shm_counter_add(s->m.unknown, 1);
		return;
	}
	/* one verdict per intent: anything else is a repeat */
	if (!(o->state == KIMP_STRAT_ORD_SENT ||
	      (o->state == KIMP_STRAT_ORD_TIMEOUT && !o->approved && !o->client_oid))) {
		shm_counter_add(s->m.dups, 1);
		return;
	}
	const struct strat_venue_conf *vc = &pconf(s, p)->leg[v->leg];
	a = order_hold(vc, o);
	if ((v->verdict == KIMP_VERDICT_APPROVED || v->verdict == KIMP_VERDICT_TRIMMED) &&
	    v->qty > 0) {
		strat_set(s, &o->approved, v->qty < o->qty ? v->qty : o->qty);
		if (!o->client_oid)
			strat_setu(s, &o->client_oid, v->client_oid);
		else if (o->client_oid != v->client_oid)
			shm_counter_add(s->m.cross_oid, 1);
		if (o->state == KIMP_STRAT_ORD_SENT)
			strat_set(s, &o->state, KIMP_STRAT_ORD_WORKING);
		if (v->verdict == KIMP_VERDICT_TRIMMED || v->qty < o->qty)
			strat_add(s, &s->st->cnt.trims, 1);
		strat_set(s, &o->reason, v->reason);
	} else {
		strat_set(s, &o->state, KIMP_STRAT_ORD_REJECTED);
		strat_set(s, &o->reason, v->reason);
		strat_add(s, &s->st->cnt.rejects, 1);
		if (o->kind != KIMP_INTENT_ENTRY && mend_refused_for_now(s, p, v->reason)) {
			/* it never reached the market and riskd will take it
			 * later: the attempt is given back, and the mend waits
			 * for the next housekeeping turn instead of spending the
			 * leg's attempts within the same second */
			strat_add(s, o->kind == KIMP_INTENT_RETRY ? &leg->retries : &leg->unwinds,
				  -1);
			strat_set(s, &p->mend_after_ns, (int64_t)(s->now + mend_pace_ns(s)));
			paced = true;
		}
	}
	b = order_hold(vc, o);
	hold_move(s, vc, (uint32_t)p->inst, o, &a, &b);
	strat_add(s, &s->st->cnt.verdicts, 1);
	if (paced)
		shm_counter_add(s->m.deferred, 1);
	else
		strat_pair_step(s, p);
	strat_commit(s);
}

static bool report_final(unsigned st)
{
	return st == KIMP_ORD_FILLED || st == KIMP_ORD_CANCELLED || st == KIMP_ORD_REJECTED ||
	       st == KIMP_ORD_EXPIRED;
}

void strat_on_report(struct stratd *s, const struct kimp_exec_report *r)
{
	struct kimp_strat_pair *p = strat_pair_find(s, r->pair_id);
	struct kimp_strat_order *o = NULL;
	struct kimp_strat_leg *leg;
	bool changed = false;

	shm_counter_add(s->m.reports, 1);
	if (!p || r->leg > 1 || !r->client_oid) {
		shm_counter_add(s->m.unknown, 1);
		return;
	}
	leg = &p->leg[r->leg];
	for (int64_t k = 0; k < leg->norders && !o; k++)
		if (leg->ord[k].client_oid == r->client_oid)
			o = &leg->ord[k];
	if (!o && leg->norders > 0) {
		/* a report before its verdict: the leg's latest order, if it is
		 * waiting for one and the side agrees */
		struct kimp_strat_order *c = &leg->ord[leg->norders - 1];
		if (!c->client_oid && c->side == r->side &&
		    (c->state == KIMP_STRAT_ORD_SENT || c->state == KIMP_STRAT_ORD_TIMEOUT)) {
			o = c;
			strat_setu(s, &o->client_oid, r->client_oid);
			changed = true;
		}
	}
	if (!o) {
		shm_counter_add(s->m.unknown, 1);
		return;
	}
	const struct strat_venue_conf *vc = &pconf(s, p)->leg[r->leg];
	int64_t dq = r->cum_qty - o->cum_qty;
	if (dq > 0) {
		if (dq != r->last_qty)
			shm_counter_add(s->m.fill_mismatch, 1);
		apply_fill(s, p, r->leg, o, dq, r->last_px, r->fee, r->fee_asset);
		changed = true;
	}
	bool paced = false;
	if (report_final(r->state) && o->state != KIMP_STRAT_ORD_DONE &&
	    o->state != KIMP_STRAT_ORD_REJECTED) {
		struct hold a = order_hold(vc, o), b;
		strat_set(s, &o->state, KIMP_STRAT_ORD_DONE);
		b = order_hold(vc, o);
		hold_move(s, vc, (uint32_t)p->inst, o, &a, &b);
		changed = true;
		/* a mend that ended with nothing filled: the book it was priced
		 * on did not hold, so the next one waits for the next
		 * housekeeping turn (a newer book) rather than chasing the same
		 * prices at once */
		paced = o->kind != KIMP_INTENT_ENTRY && !o->cum_qty;
	}
	if (!changed) {
		shm_counter_add(s->m.dups, 1);
		return;
	}
	strat_add(s, &s->st->cnt.reports, 1);
	if (paced)
		shm_counter_add(s->m.deferred, 1);
	else
		strat_pair_step(s, p);
	strat_commit(s);
}

/* ---- housekeeping and recovery ----------------------------------------------- */

void strat_legs_housekeep(struct stratd *s)
{
	struct kimp_strat_state *st = s->st;

	for (uint32_t i = 0; i < KIMP_STRAT_PAIRS; i++) {
		struct kimp_strat_pair *p = &st->pair[i];
		bool changed = false;

		if (!p->pair_id || p->state == KIMP_STRAT_PAIR_STUCK)
			continue;
		for (int l = 0; l < 2; l++)
			for (int64_t k = 0; k < p->leg[l].norders; k++) {
				struct kimp_strat_order *o = &p->leg[l].ord[k];
				if ((o->state == KIMP_STRAT_ORD_SENT ||
				     o->state == KIMP_STRAT_ORD_WORKING) &&
				    s->now > (uint64_t)o->sent_ns &&
				    s->now - (uint64_t)o->sent_ns >= s->conf->leg_timeout_ns) {
					strat_set(s, &o->state, KIMP_STRAT_ORD_TIMEOUT);
					strat_add(s, &st->cnt.timeouts, 1);
					shm_counter_add(s->m.timeouts, 1);
					changed = true;
				}
			}
		if (changed || p->state == KIMP_STRAT_PAIR_MENDING) {
			s->ev_tsc = 0;
			strat_pair_step(s, p);
			strat_commit(s);
		}
	}
}

int strat_recover(struct stratd *s)
{
	struct kimp_strat_state *st = s->st;
	struct shm_undo *u = &st->undo;
	uint64_t n = atomic_load_explicit(&u->n, memory_order_acquire);
	uint64_t head = s->prod.head, committed = st->pushed;
	uint64_t off = offsetof(struct kimp_strat_state, pushed);

	if (n > SHM_UNDO_MAX)
		n = SHM_UNDO_MAX;
	for (uint64_t i = 0; i < n; i++)
		if (u->ent[i].off == off) {
			committed = (uint64_t)u->ent[i].old;
			break;
		}
	if (head < committed)
		return -EPROTO;
	if (n && head > committed) {
		/* the intent went out: the transaction stands as it is */
		st->pushed = head;
		shm_undo_commit(u);
		st->cnt.recover_forward++;
		return 1;
	}
	if (n) {
		shm_undo_recover(u, st, sizeof(*st));
		st->cnt.recover_back++;
	}
	if (head != st->pushed)
		return -EPROTO;
	return 0;
}
