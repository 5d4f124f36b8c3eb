/* SPDX-License-Identifier: MIT */
/*
 * Every check of an intent, the decision, and what taking it changes; the
 * modes (kill, pause, resume, breaker).
 *
 * Order of the checks (the first that fails is the verdict's reason):
 *   DUPLICATE, VENUE_DISABLED, INST_DISABLED, BAD_INTENT, KILLED, BREAKER,
 *   PAUSED / LOSS_LIMIT / DRAWDOWN (entries; hedges are checked below),
 *   STALE, TICK, STEP, PRICE_BAND, SLIPPAGE, SELF_CROSS, OPEN_ORDERS,
 *   RATE_SECOND..RATE_DAY, QTY_MIN, NOTIONAL_MIN, then the limits that trim:
 *   the hedge's reduction while paused, QTY_MAX, NOTIONAL_MAX, POSITION,
 *   NET_EXPOSURE, BALANCE. A trim takes the size down to the largest step
 *   multiple the tightest of them allows; below the minimum quantity or
 *   notional it is a rejection for that limit. RING_FULL is the caller's.
 *
 * Open orders count against the limits as if they filled: a buy's
 * position and net exposure include the open buys, a sell's the open
 * sells; cash reserved by open buys is not available.
 */
#include <string.h>
#include "riskd.h"

#define J(f, v)  shm_undo_set(u, st, (int64_t *)&(f), (int64_t)(v))
#define JA(f, d) shm_undo_add(u, st, (int64_t *)&(f), (int64_t)(d))

static void reject(struct risk_decision *d, unsigned reason, int64_t limit, int64_t value)
{
	d->verdict = KIMP_VERDICT_REJECTED;
	d->reason = (uint16_t)reason;
	d->qty = 0;
	d->limit = limit;
	d->value = value;
}

void risk_decision_reject(struct risk_decision *d, unsigned reason, int64_t limit, int64_t value)
{
	reject(d, reason, limit, value);
}

static inline int64_t floor_step(int64_t q, int64_t step)
{
	return q <= 0 ? 0 : q - q % step;
}

static inline int64_t p10(unsigned d)
{
	int64_t r = 1;
	while (d--)
		r *= 10;
	return r;
}

/* The tightest trim so far. */
struct trim {
	int64_t allowed;
	unsigned reason;
	int64_t limit, value;
};

static void consider(struct trim *t, int64_t allowed, unsigned reason, int64_t limit,
		     int64_t value)
{
	if (allowed < t->allowed) {
		t->allowed = allowed;
		t->reason = reason;
		t->limit = limit;
		t->value = value;
	}
}

/* The reason a pause gives, with its limit and value. */
static unsigned pause_why(const struct risk_core *rc, int64_t *limit, int64_t *value)
{
	const struct kimp_risk_limits *lim = &rc->st->lim;

	if (lim->pause_reasons & KIMP_RISK_PAUSE_LOSS) {
		*limit = rc->conf->loss_limit;
		*value = lim->day_start_pnl - lim->pnl;
		return KIMP_RISK_LOSS_LIMIT;
	}
	if (lim->pause_reasons & KIMP_RISK_PAUSE_DRAWDOWN) {
		*limit = rc->conf->drawdown_limit;
		*value = lim->day_peak_pnl - lim->pnl;
		return KIMP_RISK_DRAWDOWN;
	}
	*limit = *value = 0;
	return KIMP_RISK_PAUSED;
}

/* Net position of coin i across venues and the open orders' sizes, in coin units. */
static void net_of(const struct kimp_risk_state *st, uint32_t i, int64_t *net, int64_t *obuy,
		   int64_t *osell)
{
	*net = *obuy = *osell = 0;
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++) {
		const struct kimp_risk_pos *p = &st->pos[v][i];
		unsigned qd = st->venue_info[v].qty_dec;
		if (!st->venue_info[v].present)
			continue;
		*net += risk_rescale(p->hold - p->start, qd, KIMP_RISK_COIN_DEC);
		*obuy += risk_rescale(p->open_buy, qd, KIMP_RISK_COIN_DEC);
		*osell += risk_rescale(p->open_sell, qd, KIMP_RISK_COIN_DEC);
	}
}

/* Would px cross one of our open orders on the other side? Its price in *their. */
static bool self_cross(const struct kimp_risk_state *st, unsigned v, uint32_t i, unsigned side,
		       int64_t px, int64_t *their)
{
	const struct kimp_risk_pos *p = &st->pos[v][i];

	if (!(side == KIMP_SIDE_BUY ? p->n_sell : p->n_buy))
		return false;
	for (uint64_t k = 0; k < st->order_slots; k++) {
		const struct kimp_risk_order *o = &st->order[k];
		if (!o->open || o->venue != (int64_t)v || o->inst != (int64_t)i ||
		    o->side == (int64_t)side)
			continue;
		if (side == KIMP_SIDE_BUY ? px >= o->px : px <= o->px) {
			*their = o->px;
			return true;
		}
	}
	return false;
}

/* The largest step multiple a buy of venue v at px may have with 'avail' quote. */
static int64_t buy_room(const struct risk_core *rc, unsigned v, int64_t px, int64_t step,
			int64_t avail)
{
	int64_t fee = rc->conf->trade.venue[v].taker_fee_e8;
	__int128 q;
	int64_t qq;

	if (avail <= 0)
		return 0;
	q = (__int128)avail * p10(rc->st->venue_info[v].qty_dec) * 100000000 /
	    ((__int128)px * (100000000 + fee));
	qq = q > INT64_MAX ? INT64_MAX : (int64_t)q;
	qq = floor_step(qq, step);
	while (qq > 0 && risk_reserve(rc, v, px, qq) > avail)
		qq -= step;
	return qq;
}

void risk_check(const struct risk_core *rc, const struct kimp_intent *in, uint64_t now_tsc,
		uint64_t now_ns, struct risk_decision *d)
{
	const struct riskd_conf *c = rc->conf;
	const struct kimp_risk_state *st = rc->st;
	const struct kimp_risk_limits *lim = &st->lim;
	unsigned v = in->h.venue, side = in->side;
	uint32_t i = in->h.inst;
	int64_t px = in->px, qty = in->qty, pl = 0, pv = 0;
	struct risk_top t;

	*d = (struct risk_decision){ .verdict = KIMP_VERDICT_APPROVED, .reason = KIMP_RISK_OK,
				     .qty = qty };
	if (in->intent_id <= lim->last_intent_id)
		return reject(d, KIMP_RISK_DUPLICATE, (int64_t)lim->last_intent_id,
			      (int64_t)in->intent_id);
	if (!v || v >= KIMP_RISK_VENUES || !c->trade.venue[v].present ||
	    !st->venue_info[v].present || !c->venue[v].enabled)
		return reject(d, KIMP_RISK_VENUE_DISABLED, 0, 0);

	const struct kimp_trade_venue *tv = &c->trade.venue[v];
	const struct risk_venue_conf *vc = &c->venue[v];
	const struct kimp_risk_venue *ve = &st->venue[v];
	unsigned qd = tv->qty_dec;
	bool buy = side == KIMP_SIDE_BUY;

	if (!i || i >= KIMP_RISK_INSTS || !tv->inst[i].listed || !vc->inst_on[i])
		return reject(d, KIMP_RISK_INST_DISABLED, 0, 0);
	if ((side != KIMP_SIDE_BUY && side != KIMP_SIDE_SELL) || in->tif > KIMP_TIF_POST_ONLY ||
	    in->kind > KIMP_INTENT_UNWIND || qty <= 0 || px <= 0 ||
	    (in->leg_count != 1 && in->leg_count != 2) || in->leg > 1 ||
	    (in->leg_count == 2) != (in->kind == KIMP_INTENT_ENTRY))
		/* an entry is leg 0 or 1 of 2; a retry or an unwind is one leg
		 * (leg_count 1) of the pair it mends, either leg */
		return reject(d, KIMP_RISK_BAD_INTENT, 0, 0);
	if (lim->killed)
		return reject(d, KIMP_RISK_KILLED, 0, 0);

	/* the breaker, like a pause, stops new exposure only: a pair left half
	 * filled must still be mended, or its coin stays unhedged */
	bool breaker = lim->breaker_until > 0 && (uint64_t)lim->breaker_until > now_ns;
	bool paused = lim->pause_reasons != 0 || breaker;
	unsigned why = KIMP_RISK_OK;
	if (lim->pause_reasons) {
		why = pause_why(rc, &pl, &pv);
	} else if (breaker) {
		why = KIMP_RISK_BREAKER;
		pl = lim->breaker_until;
		pv = (int64_t)now_ns;
	}
	if (paused && in->kind == KIMP_INTENT_ENTRY)
		return reject(d, why, pl, pv);

	/* the book: live and fresh */
	int64_t age_max = (int64_t)vc->max_quote_age_ns;
	if (!rc->book || rc->book(rc->book_ctx, v, i, &t))
		return reject(d, KIMP_RISK_STALE, age_max, -1);
	if (t.status != KIMP_BOOK_LIVE || t.bid_px <= 0 || t.ask_px <= 0)
		return reject(d, KIMP_RISK_STALE, age_max, -2);
	int64_t age = now_tsc > t.recv_tsc ?
		(int64_t)kimp_tsc_to_ns_delta(rc->cal, now_tsc - t.recv_tsc) : 0;
	if (age > age_max)
		return reject(d, KIMP_RISK_STALE, age_max, age);
	if (!st->venue_info[v].krw && lim->rate <= 0)
		return reject(d, KIMP_RISK_STALE, age_max, -3);

	/* the venue's grid */
	const struct venue_inst_rules *ru = &tv->inst[i].rules;
	int64_t tick = venue_tick(ru, px, tv->px_dec);
	if (tick <= 0 || px % tick)
		return reject(d, KIMP_RISK_TICK, tick, px);
	if (ru->step <= 0 || qty % ru->step)
		return reject(d, KIMP_RISK_STEP, ru->step, qty);

	/* fat finger and slippage against the live book */
	int64_t mid = (int64_t)(((__int128)t.bid_px + t.ask_px) / 2);
	if (vc->price_band_bps) {
		int64_t band = (int64_t)((__int128)mid * (int64_t)vc->price_band_bps / 10000);
		int64_t dev = px > mid ? px - mid : mid - px;
		if (dev > band)
			return reject(d, KIMP_RISK_PRICE_BAND, band, dev);
	}
	int64_t touch = buy ? t.ask_px : t.bid_px;
	int64_t cap = (int64_t)((__int128)touch * (int64_t)vc->slippage_bps / 10000);
	int64_t over = buy ? px - t.ask_px : t.bid_px - px;
	if (over > cap)
		return reject(d, KIMP_RISK_SLIPPAGE, cap, over);

	int64_t their;
	if (self_cross(st, v, i, side, px, &their))
		return reject(d, KIMP_RISK_SELF_CROSS, their, px);

	/* open orders: the venue's count and a free slot in the table */
	if (vc->max_open_orders && (uint64_t)ve->open_orders >= vc->max_open_orders)
		return reject(d, KIMP_RISK_OPEN_ORDERS, (int64_t)vc->max_open_orders,
			      ve->open_orders + 1);
	const struct kimp_risk_order *slot =
		&st->order[(lim->next_client_oid - lim->client_oid_base) % st->order_slots];
	if (slot->open)
		return reject(d, KIMP_RISK_OPEN_ORDERS, (int64_t)st->order_slots,
			      (int64_t)st->order_slots + 1);

	for (unsigned w = 0; w < KIMP_RISK_WINDOWS; w++) {
		if (!vc->rate_max[w])
			continue;
		uint64_t n = risk_rate_count(&ve->rate[w], risk_window_ns(w), now_ns) + 1;
		if (n > vc->rate_max[w])
			return reject(d, KIMP_RISK_RATE_SECOND + w, (int64_t)vc->rate_max[w],
				      (int64_t)n);
	}

	/* minimums of what was asked */
	int64_t qmin = vc->qty_min[i], nmin = vc->notional_min[i], nmax = vc->notional_max[i];
	__int128 scale = p10(qd);
	if (qty < qmin)
		return reject(d, KIMP_RISK_QTY_MIN, qmin, qty);
	if (nmin && (__int128)px * qty < (__int128)nmin * scale)
		return reject(d, KIMP_RISK_NOTIONAL_MIN, nmin, risk_notional(px, qty, qd));

	/* the limits that trim */
	struct trim tr = { .allowed = qty, .reason = KIMP_RISK_OK };
	const struct kimp_risk_pos *p = &st->pos[v][i];
	int64_t step = ru->step, net, obuy, osell;
	net_of(st, i, &net, &obuy, &osell);
	if (paused) {
		/* a hedge: only what brings |net exposure| toward zero, open orders included */
		int64_t red = buy ? -(net + obuy) : net - osell;
		if (red <= 0)
			return reject(d, why, pl, pv);
		consider(&tr, floor_step(risk_rescale(red, KIMP_RISK_COIN_DEC, qd), step), why, red,
			 risk_rescale(qty, qd, KIMP_RISK_COIN_DEC));
	}
	if (qty > vc->qty_max[i])
		consider(&tr, floor_step(vc->qty_max[i], step), KIMP_RISK_QTY_MAX, vc->qty_max[i],
			 qty);
	if (nmax != RISKD_NONE_MAX && (__int128)px * qty > (__int128)nmax * scale) {
		__int128 a = (__int128)nmax * scale / px;
		consider(&tr, floor_step(a > INT64_MAX ? INT64_MAX : (int64_t)a, step),
			 KIMP_RISK_NOTIONAL_MAX, nmax, risk_notional(px, qty, qd));
	}
	if (buy && vc->pos_max[i] != RISKD_NONE_MAX) {
		int64_t proj = p->hold + p->open_buy + qty;
		if (proj > vc->pos_max[i])
			consider(&tr, floor_step(vc->pos_max[i] - p->hold - p->open_buy, step),
				 KIMP_RISK_POSITION, vc->pos_max[i], proj);
	}
	if (!buy && vc->pos_min[i] != RISKD_NONE_MIN) {
		int64_t proj = p->hold - p->open_sell - qty;
		if (proj < vc->pos_min[i])
			consider(&tr, floor_step(p->hold - p->open_sell - vc->pos_min[i], step),
				 KIMP_RISK_POSITION, vc->pos_min[i], proj);
	}
	int64_t nl = c->net_exposure[i];
	if (nl != RISKD_NONE_MAX) {
		int64_t qc = risk_rescale(qty, qd, KIMP_RISK_COIN_DEC);
		int64_t proj = buy ? net + obuy + qc : net - osell - qc;
		if (buy && proj > nl)
			consider(&tr, floor_step(risk_rescale(nl - net - obuy, KIMP_RISK_COIN_DEC, qd),
						 step), KIMP_RISK_NET_EXPOSURE, nl, proj);
		if (!buy && proj < -nl)
			consider(&tr, floor_step(risk_rescale(net - osell + nl, KIMP_RISK_COIN_DEC, qd),
						 step), KIMP_RISK_NET_EXPOSURE, -nl, proj);
	}
	if (buy) {
		int64_t avail = ve->cash - ve->reserved, need = risk_reserve(rc, v, px, qty);
		if (need > avail)
			consider(&tr, buy_room(rc, v, px, step, avail), KIMP_RISK_BALANCE, avail, need);
	} else {
		int64_t avail = p->hold - p->open_sell;
		if (qty > avail)
			consider(&tr, floor_step(avail, step), KIMP_RISK_BALANCE, avail, qty);
	}
	if (tr.allowed < qty) {
		int64_t q = floor_step(tr.allowed, step);
		if (q <= 0 || q < qmin || (nmin && (__int128)px * q < (__int128)nmin * scale))
			return reject(d, tr.reason, tr.limit, tr.value);
		d->verdict = KIMP_VERDICT_TRIMMED;
		d->reason = (uint16_t)tr.reason;
		d->qty = q;
		d->limit = tr.limit;
		d->value = tr.value;
	}
}

bool risk_take(struct risk_core *rc, const struct kimp_intent *in, const struct risk_decision *d,
	       uint64_t now_ns, uint64_t now_tsc, struct kimp_order *o, struct kimp_verdict *vd)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_limits *lim = &st->lim;
	bool ok = d->verdict != KIMP_VERDICT_REJECTED;
	uint64_t oid = 0;

	if (in->intent_id > lim->last_intent_id)
		J(lim->last_intent_id, in->intent_id);
	JA(lim->intents, 1);
	if (!ok) {
		JA(lim->rejected, 1);
		JA(lim->rejects[d->reason % KIMP_RISK_REASON_SLOTS], 1);
	} else if (d->verdict == KIMP_VERDICT_TRIMMED) {
		JA(lim->trimmed, 1);
		JA(lim->trims[d->reason % KIMP_RISK_REASON_SLOTS], 1);
	} else {
		JA(lim->approved, 1);
	}
	if (ok) {
		unsigned v = in->h.venue, side = in->side;
		uint32_t i = in->h.inst;
		bool buy = side == KIMP_SIDE_BUY;
		struct kimp_risk_venue *ve = &st->venue[v];
		struct kimp_risk_pos *p = &st->pos[v][i];
		int64_t res = buy ? risk_reserve(rc, v, in->px, d->qty) : 0;

		oid = lim->next_client_oid;
		J(lim->next_client_oid, oid + 1);
		struct kimp_risk_order *ord =
			&st->order[(oid - lim->client_oid_base) % st->order_slots];
		J(ord->client_oid, oid);
		J(ord->intent_id, in->intent_id);
		J(ord->pair_id, in->pair_id);
		J(ord->px, in->px);
		J(ord->qty, d->qty);
		J(ord->cum_qty, 0);
		J(ord->reserved, res);
		J(ord->state, KIMP_ORD_NEW);
		J(ord->open, 1);
		J(ord->venue, v);
		J(ord->inst, i);
		J(ord->side, side);
		J(ord->kind, in->kind);
		J(ord->leg, in->leg);
		J(ord->created_ns, now_ns);
		J(ord->updated_ns, now_ns);
		JA(ve->open_orders, 1);
		JA(ve->orders, 1);
		if (res)
			JA(ve->reserved, res);
		JA(*(buy ? &p->n_buy : &p->n_sell), 1);
		JA(*(buy ? &p->open_buy : &p->open_sell), d->qty);
		for (unsigned w = 0; w < KIMP_RISK_WINDOWS; w++)
			risk_rate_add(u, st, &ve->rate[w], risk_window_ns(w), now_ns);

		memset(o, 0, sizeof(*o));
		o->h.type = KIMP_MSG_ORDER_NEW;
		o->h.venue = in->h.venue;
		o->h.inst = in->h.inst;
		o->h.ingress_tsc = in->h.ingress_tsc;
		o->h.venue_ts_ns = in->h.venue_ts_ns;
		o->client_oid = oid;
		o->intent_id = in->intent_id;
		o->pair_id = in->pair_id;
		o->px = in->px;
		o->qty = d->qty;
		o->risk_tsc = now_tsc;
		o->side = in->side;
		o->tif = in->tif;
		o->leg = in->leg;
		o->kind = in->kind;
		o->strategy = in->strategy;
		o->strat_deq_tsc = in->strat_deq_tsc;
		o->strat_pub_tsc = in->strat_pub_tsc;
		o->risk_deq_tsc = now_tsc;
	}
	memset(vd, 0, sizeof(*vd));
	vd->h.type = KIMP_MSG_VERDICT;
	vd->h.venue = in->h.venue;
	vd->h.inst = in->h.inst;
	vd->h.ingress_tsc = in->h.ingress_tsc;
	vd->h.venue_ts_ns = in->h.venue_ts_ns;
	vd->intent_id = in->intent_id;
	vd->pair_id = in->pair_id;
	vd->client_oid = oid;
	vd->qty = ok ? d->qty : 0;
	vd->px = in->px;
	vd->limit = d->limit;
	vd->value = d->value;
	vd->verdict = d->verdict;
	vd->leg = in->leg;
	vd->reason = d->reason;
	vd->kind = in->kind;
	return ok;
}

/* ---- modes --------------------------------------------------------------------- */

unsigned risk_mode_at(const struct kimp_risk_state *st, uint64_t now_ns)
{
	const struct kimp_risk_limits *lim = &st->lim;

	if (lim->killed)
		return KIMP_RISK_HALTED;
	if (lim->breaker_until > 0 && (uint64_t)lim->breaker_until > now_ns)
		return KIMP_RISK_MODE_BREAKER;
	if (lim->pause_reasons)
		return KIMP_RISK_MODE_PAUSED;
	return KIMP_RISK_RUNNING;
}

void risk_mode_update(struct risk_core *rc, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	unsigned m = risk_mode_at(st, now_ns);

	if ((int64_t)m != st->lim.mode)
		J(st->lim.mode, m);
}

void risk_kill(struct risk_core *rc, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;

	if (!st->lim.killed)
		J(st->lim.killed, 1);
	if (!st->lim.cancel_all_pending)
		J(st->lim.cancel_all_pending, 1);
	JA(st->lim.kills, 1);
	risk_mode_update(rc, now_ns);
}

void risk_pause(struct risk_core *rc, int64_t reasons, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;

	if ((st->lim.pause_reasons | reasons) != st->lim.pause_reasons)
		J(st->lim.pause_reasons, st->lim.pause_reasons | reasons);
	if (reasons & KIMP_RISK_PAUSE_OPERATOR)
		JA(st->lim.pauses, 1);
	risk_mode_update(rc, now_ns);
}

void risk_resume(struct risk_core *rc, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;

	if (st->lim.killed)
		J(st->lim.killed, 0);
	if (st->lim.pause_reasons)
		J(st->lim.pause_reasons, 0);
	if (st->lim.day_peak_pnl != st->lim.pnl)
		J(st->lim.day_peak_pnl, st->lim.pnl);
	JA(st->lim.resumes, 1);
	risk_mode_update(rc, now_ns);
}

void risk_breaker_event(struct risk_core *rc, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_limits *lim = &st->lim;
	uint64_t n = (uint64_t)lim->breaker_events, want = rc->conf->breaker_count;

	J(st->breaker_ev[n % KIMP_RISK_BREAKER_MAX], now_ns);
	J(lim->breaker_events, n + 1);
	if (!want || n + 1 < want)
		return;
	uint64_t oldest = (uint64_t)st->breaker_ev[(n + 1 - want) % KIMP_RISK_BREAKER_MAX];
	if (now_ns - oldest > rc->conf->breaker_window_ns)
		return;
	if (!(lim->breaker_until > 0 && (uint64_t)lim->breaker_until > now_ns))
		JA(lim->breaker_trips, 1);
	J(lim->breaker_until, now_ns + rc->conf->breaker_cooldown_ns);
	risk_mode_update(rc, now_ns);
}

void risk_cancel_all_msg(struct kimp_order *o, uint64_t now_tsc)
{
	memset(o, 0, sizeof(*o));
	o->h.type = KIMP_MSG_ORDER_CANCEL_ALL;
	o->risk_tsc = now_tsc;
}
