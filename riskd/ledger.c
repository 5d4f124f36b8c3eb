/* SPDX-License-Identifier: MIT */
/*
 * The ledger: positions, cash, fees and PnL from execution reports, marks
 * from the books, the KRW/USDT rate, the day, loss and drawdown.
 *
 * Average cost: a fill that adds to a position (or opens one) adds its
 * notional to the cost; one that reduces it takes the reduced share of
 * the cost out (truncated); one that flips it closes the old position and
 * opens the rest at its share of the notional. Whatever the fill's cash
 * flow and the change of cost do not cancel is realized. So, per venue,
 * realized - sum(cost) == cash - cash_start at every step whatever the
 * rounding, and realized + unrealized == (cash - cash_start) +
 * sum((hold - start) * mark) exactly (the test identity). Quote fees are
 * realized losses; a base fee takes coin out of the position at no
 * proceeds.
 *
 * Every store goes through the state region's undo journal; nothing here
 * commits.
 */
#include <string.h>
#include "kimp/order.h"
#include "riskd.h"

#define J(f, v)  shm_undo_set(u, st, (int64_t *)&(f), (int64_t)(v))
#define JA(f, d) shm_undo_add(u, st, (int64_t *)&(f), (int64_t)(d))

static const int64_t p10[19] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
};

static inline __int128 p10x(unsigned d)
{
	__int128 r = 1;
	while (d--)
		r *= 10;
	return r;
}

static inline int64_t sat(__int128 x)
{
	return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x;
}

int64_t risk_notional(int64_t px, int64_t qty, unsigned qty_dec)
{
	return sat((__int128)px * qty / p10[qty_dec > 18 ? 18 : qty_dec]);
}

int64_t risk_fee(int64_t notional, int64_t fee_e8)
{
	if (notional <= 0 || fee_e8 <= 0)
		return 0;
	return sat(((__int128)notional * fee_e8 + 99999999) / 100000000);
}

int64_t risk_rescale(int64_t x, unsigned from, unsigned to)
{
	if (to >= from)
		return sat((__int128)x * p10x(to - from));
	return sat((__int128)x / p10x(from - to));
}

int64_t risk_to_krw(const struct kimp_risk_state *st, unsigned v, int64_t quote)
{
	const struct kimp_risk_venue_info *vi = &st->venue_info[v];

	if (vi->krw)
		return risk_rescale(quote, vi->px_dec, KIMP_RISK_KRW_DEC);
	return sat((__int128)quote * st->lim.rate /
		   p10x(vi->px_dec + KIMP_RISK_RATE_DEC - KIMP_RISK_KRW_DEC));
}

int64_t risk_reserve(const struct risk_core *rc, unsigned v, int64_t px, int64_t qty)
{
	int64_t n = risk_notional(px, qty, rc->st->venue_info[v].qty_dec);

	return n + risk_fee(n, rc->conf->trade.venue[v].taker_fee_e8);
}

/* ---- the region --------------------------------------------------------------- */

static void seed_venue(struct kimp_risk_state *st, const struct riskd_conf *c, unsigned v)
{
	const struct kimp_trade_venue *tv = &c->trade.venue[v];
	struct kimp_risk_venue_info *vi = &st->venue_info[v];

	snprintf(vi->name, sizeof(vi->name), "%s", tv->name);
	snprintf(vi->quote, sizeof(vi->quote), "%s", tv->quote);
	vi->px_dec = tv->px_dec;
	vi->qty_dec = tv->qty_dec;
	vi->krw = !strcmp(tv->quote, "KRW");
	st->venue[v].cash = st->venue[v].cash_start = tv->balance_quote;
	for (uint32_t i = 1; i < KIMP_RISK_INSTS; i++)
		if (tv->inst[i].listed)
			st->pos[v][i].hold = st->pos[v][i].start = tv->inst[i].balance;
	atomic_signal_fence(memory_order_seq_cst);
	vi->present = 1;
}

void risk_state_seed(struct kimp_risk_state *st, uint64_t size, const struct riskd_conf *c,
		     uint64_t real_ns)
{
	memset(st, 0, size);
	st->version = KIMP_RISK_VERSION;
	st->size = kimp_risk_state_bytes(c->order_slots);
	st->order_slots = c->order_slots;
	st->created_real_ns = real_ns;
	st->ncoins = c->trade.ncoins;
	st->breaker_max = KIMP_RISK_BREAKER_MAX;
	for (uint32_t i = 0; i < c->trade.ncoins; i++)
		memcpy(st->coins[i], c->trade.coins[i], sizeof(st->coins[i]));
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		if (c->trade.venue[v].present)
			seed_venue(st, c, v);
	st->lim.client_oid_base = (real_ns / 1000000000ull) << 32;
	st->lim.next_client_oid = st->lim.client_oid_base;
	st->lim.day = (int64_t)(real_ns / 86400000000000ull);
	st->lim.rate = c->fixed_rate;
	st->lim.mode = KIMP_RISK_RUNNING;
	/* the magic last: a region without it was never finished */
	atomic_signal_fence(memory_order_seq_cst);
	__atomic_store_n(&st->magic, KIMP_RISK_MAGIC, __ATOMIC_RELEASE);
}

int risk_state_check(const struct kimp_risk_state *st, uint64_t size, const struct riskd_conf *c,
		     char *err, size_t errlen)
{
	if (st->magic != KIMP_RISK_MAGIC || st->version != KIMP_RISK_VERSION) {
		snprintf(err, errlen, "state region: version %u, this riskd has %u", st->version,
			 KIMP_RISK_VERSION);
		return -EPROTO;
	}
	if (st->order_slots != c->order_slots || st->size != kimp_risk_state_bytes(c->order_slots) ||
	    st->size > size) {
		snprintf(err, errlen, "state region: made for %llu order slots, configured %llu",
			 (unsigned long long)st->order_slots, (unsigned long long)c->order_slots);
		return -EPROTO;
	}
	if (st->ncoins != c->trade.ncoins) {
		snprintf(err, errlen, "state region: made for %u coins, engine.coins has %u",
			 st->ncoins, c->trade.ncoins);
		return -EPROTO;
	}
	for (uint32_t i = 0; i < c->trade.ncoins; i++)
		if (strncmp(st->coins[i], c->trade.coins[i], sizeof(st->coins[i]))) {
			snprintf(err, errlen, "state region: coin %u is %.12s, engine.coins says %s",
				 i + 1, st->coins[i], c->trade.coins[i]);
			return -EPROTO;
		}
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++) {
		const struct kimp_trade_venue *tv = &c->trade.venue[v];
		const struct kimp_risk_venue_info *vi = &st->venue_info[v];
		if (!tv->present || !vi->present)
			continue;
		if (vi->px_dec != tv->px_dec || vi->qty_dec != tv->qty_dec ||
		    strncmp(vi->quote, tv->quote, sizeof(vi->quote))) {
			snprintf(err, errlen, "state region: %s was %s px_dec %u qty_dec %u, now %s "
				 "px_dec %u qty_dec %u", tv->name, vi->quote, vi->px_dec, vi->qty_dec,
				 tv->quote, tv->px_dec, tv->qty_dec);
			return -EPROTO;
		}
	}
	return 0;
}

unsigned risk_state_add_venues(struct kimp_risk_state *st, const struct riskd_conf *c)
{
	unsigned n = 0;

	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		if (c->trade.venue[v].present && !st->venue_info[v].present) {
			seed_venue(st, c, v);
			n++;
		}
	return n;
}

struct kimp_risk_order *risk_order_find(struct kimp_risk_state *st, uint64_t client_oid)
{
	uint64_t base = st->lim.client_oid_base;
	struct kimp_risk_order *o;

	if (client_oid < base || !st->order_slots)
		return NULL;
	o = &st->order[(client_oid - base) % st->order_slots];
	return o->client_oid == client_oid ? o : NULL;
}

/* ---- positions ------------------------------------------------------------------- */

/* The cost basis of position Q (cost C) after a fill of signed dq with notional N. */
static int64_t cost_after(int64_t Q, int64_t C, int64_t dq, int64_t N)
{
	int64_t aq, ad;

	if (!Q || (Q > 0) == (dq > 0))
		return C + (dq > 0 ? N : -N);
	aq = Q < 0 ? -Q : Q;
	ad = dq < 0 ? -dq : dq;
	if (ad <= aq)
		return C - (int64_t)((__int128)C * ad / aq);
	/* flipped: the rest opens at its share of the notional */
	int64_t open = (int64_t)((__int128)N * (ad - aq) / ad);
	return dq > 0 ? open : -open;
}

static void unreal_update(struct risk_core *rc, unsigned v, uint32_t i)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_pos *p = &st->pos[v][i];
	int64_t q = p->hold - p->start;
	int64_t un = (q ? risk_notional(p->mark, q, st->venue_info[v].qty_dec) : 0) - p->cost;

	if (un != p->unrealized) {
		JA(st->venue[v].unrealized, un - p->unrealized);
		J(p->unrealized, un);
	}
}

void risk_fill(struct risk_core *rc, unsigned v, uint32_t i, unsigned side, int64_t px,
	       int64_t qty, int64_t fee, unsigned fee_asset)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_pos *p = &st->pos[v][i];
	struct kimp_risk_venue *ve = &st->venue[v];
	bool buy = side == KIMP_SIDE_BUY;
	int64_t dq = buy ? qty : -qty;
	int64_t n = risk_notional(px, qty, st->venue_info[v].qty_dec);
	int64_t cash_d = buy ? -n : n;
	int64_t c0 = p->cost, c1 = cost_after(p->hold - p->start, c0, dq, n);
	int64_t real_d = cash_d + (c1 - c0);
	int64_t hold = p->hold + dq;

	if (qty <= 0)
		return;
	if (fee > 0 && fee_asset == 0) {
		cash_d -= fee;
		real_d -= fee;
		JA(p->fee_quote, fee);
		JA(ve->fee_quote, fee);
	} else if (fee > 0) {
		/* coin out of the position at no proceeds: a long gives up its share of cost */
		int64_t q1 = hold - p->start;
		if (q1 > 0) {
			int64_t take = fee < q1 ? fee : q1;
			int64_t c2 = c1 - (int64_t)((__int128)c1 * take / q1);
			real_d += c2 - c1;
			c1 = c2;
		}
		hold -= fee;
		JA(p->fee_base, fee);
	}
	J(p->hold, hold);
	if (c1 != c0)
		J(p->cost, c1);
	if (real_d) {
		JA(p->realized, real_d);
		JA(ve->realized, real_d);
	}
	JA(ve->cash, cash_d);
	if (buy)
		JA(p->bought, qty);
	else
		JA(p->sold, qty);
	JA(p->fills, 1);
	JA(ve->fills, 1);
	if (!p->mark)
		J(p->mark, px);
	unreal_update(rc, v, i);
}

static bool final_state(int64_t s)
{
	return s == KIMP_ORD_FILLED || s == KIMP_ORD_CANCELLED || s == KIMP_ORD_REJECTED ||
	       s == KIMP_ORD_EXPIRED;
}

static inline int64_t leaves_of(const struct kimp_risk_order *o)
{
	return o->qty > o->cum_qty ? o->qty - o->cum_qty : 0;
}

void risk_apply_report(struct risk_core *rc, const struct kimp_exec_report *r, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_order *o;
	bool changed = false, fin;
	int64_t leaves0;

	JA(st->lim.reports, 1);
	o = risk_order_find(st, r->client_oid);
	if (!o) {
		JA(st->lim.unknown_reports, 1);
		return;
	}
	unsigned v = (unsigned)o->venue, side = (unsigned)o->side;
	uint32_t i = (uint32_t)o->inst;
	struct kimp_risk_pos *p = &st->pos[v][i];
	struct kimp_risk_venue *ve = &st->venue[v];
	bool buy = side == KIMP_SIDE_BUY;

	leaves0 = leaves_of(o);
	if (r->cum_qty > o->cum_qty) {
		int64_t d = r->cum_qty - o->cum_qty;
		if (r->last_qty != d)
			JA(st->lim.fill_gaps, 1);
		risk_fill(rc, v, i, side, r->last_px > 0 ? r->last_px : o->px, d, r->fee,
			  r->fee_asset);
		J(o->cum_qty, r->cum_qty);
		changed = true;
	}
	fin = final_state(r->state);
	if (o->open) {
		int64_t leaves1 = fin ? 0 : leaves_of(o);
		if (leaves1 != leaves0)
			JA(*(buy ? &p->open_buy : &p->open_sell), leaves1 - leaves0);
		if (buy) {
			int64_t res = leaves1 ? risk_reserve(rc, v, o->px, leaves1) : 0;
			if (res != o->reserved) {
				JA(ve->reserved, res - o->reserved);
				J(o->reserved, res);
			}
		}
		if (fin) {
			J(o->open, 0);
			JA(ve->open_orders, -1);
			JA(*(buy ? &p->n_buy : &p->n_sell), -1);
			changed = true;
		}
	}
	/* a final state does not go back to a live one (a late PARTIAL after a cancel) */
	if (r->state != o->state && !(final_state(o->state) && !fin)) {
		if (r->state == KIMP_ORD_REJECTED) {
			JA(ve->rejects, 1);
			/* the venue's rejects trip the breaker; orderd's own
			 * refusals (never sent) do not, for the venue said nothing */
			if (!kimp_ord_rej_local(r->reject_code))
				risk_breaker_event(rc, now_ns);
		} else if (r->state == KIMP_ORD_UNKNOWN) {
			JA(ve->errors, 1);
			risk_breaker_event(rc, now_ns);
		}
		J(o->state, r->state);
		changed = true;
	}
	if (changed)
		J(o->updated_ns, now_ns);
	else
		JA(st->lim.dup_reports, 1);
}

/* ---- marks, rate, PnL, day ----------------------------------------------------------- */

void risk_set_mark(struct risk_core *rc, unsigned v, uint32_t i, int64_t mark, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_pos *p = &st->pos[v][i];

	if (mark <= 0 || mark == p->mark)
		return;
	J(p->mark, mark);
	J(p->mark_ns, now_ns);
	unreal_update(rc, v, i);
}

/* The mid of a live book with both sides, or 0. */
static int64_t live_mid(const struct risk_core *rc, unsigned v, uint32_t i)
{
	struct risk_top t;

	if (!rc->book || rc->book(rc->book_ctx, v, i, &t) || t.status != KIMP_BOOK_LIVE ||
	    t.bid_px <= 0 || t.ask_px <= 0)
		return 0;
	return (int64_t)(((__int128)t.bid_px + t.ask_px) / 2);
}

bool risk_mark_from_book(struct risk_core *rc, unsigned v, uint32_t i, uint64_t now_ns)
{
	int64_t mid = live_mid(rc, v, i);

	if (!mid || mid == rc->st->pos[v][i].mark)
		return false;
	risk_set_mark(rc, v, i, mid, now_ns);
	return true;
}

void risk_rate_refresh(struct risk_core *rc, uint64_t now_ns)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	const struct riskd_conf *c = rc->conf;
	int64_t rate = c->fixed_rate;

	if (!rate && c->rate_venue) {
		int64_t mid = live_mid(rc, c->rate_venue, c->rate_inst);
		if (mid)
			rate = risk_rescale(mid, st->venue_info[c->rate_venue].px_dec,
					    KIMP_RISK_RATE_DEC);
	}
	if (rate > 0 && rate != st->lim.rate) {
		J(st->lim.rate, rate);
		J(st->lim.rate_ns, now_ns);
	}
}

void risk_pnl_update(struct risk_core *rc)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_limits *lim = &st->lim;
	const struct riskd_conf *c = rc->conf;
	int64_t rk = 0, uk = 0, pnl, reasons = lim->pause_reasons;

	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		if (st->venue_info[v].present) {
			rk += risk_to_krw(st, v, st->venue[v].realized);
			uk += risk_to_krw(st, v, st->venue[v].unrealized);
		}
	pnl = rk + uk;
	if (rk != lim->realized)
		J(lim->realized, rk);
	if (uk != lim->unrealized)
		J(lim->unrealized, uk);
	if (pnl != lim->pnl)
		J(lim->pnl, pnl);
	if (pnl > lim->day_peak_pnl)
		J(lim->day_peak_pnl, pnl);
	if (c->loss_limit && lim->day_start_pnl - pnl >= c->loss_limit)
		reasons |= KIMP_RISK_PAUSE_LOSS;
	if (c->drawdown_limit && lim->day_peak_pnl - pnl >= c->drawdown_limit)
		reasons |= KIMP_RISK_PAUSE_DRAWDOWN;
	if (reasons != lim->pause_reasons)
		J(lim->pause_reasons, reasons);
}

void risk_day_roll(struct risk_core *rc, int64_t day)
{
	struct kimp_risk_state *st = rc->st;
	struct shm_undo *u = &st->undo;
	struct kimp_risk_limits *lim = &st->lim;

	if (day == lim->day)
		return;
	J(lim->day, day);
	J(lim->day_start_pnl, lim->pnl);
	J(lim->day_peak_pnl, lim->pnl);
}
