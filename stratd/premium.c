/* SPDX-License-Identifier: MIT */
/*
 * The premium, from executable prices: book walking, both directions, the
 * running mean and deviation, the entry rule, the size and its rounding.
 * Pure functions of their arguments (no state, no clock), run on the hot
 * path: no allocation, no text, no system call.
 *
 * Direction SELL_KRW sells the coin on the KRW venue (leg 0, at its bids)
 * and buys it on the USDT venue (leg 1, at its asks); BUY_KRW the reverse.
 * The premium of a pair of prices is p0 / (p1 * rate) - 1, prices in units.
 *
 * Entry rule for a direction, with mean m and deviation sd of the mid
 * premium p_mid, and the executable premium p_x of the size:
 *   dev  = p_mid - m (SELL_KRW) or m - p_mid (BUY_KRW)
 *   slip = p_mid - p_x (SELL_KRW) or p_x - p_mid (BUY_KRW): what walking
 *          the books for the size costs against the mids
 *   enter when dev >= entry_sigma * sd and dev >= fee0 + fee1 + slip + margin
 * (both boundaries inclusive).
 */
#include <math.h>
#include <string.h>
#include "stratd.h"

static const int64_t p10_tab[19] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
};

int64_t strat_p10(unsigned n)
{
	return n < 19 ? p10_tab[n] : 0;
}

static const char *const why_names[STRAT_WHY_MAX] = {
	"ok", "disabled", "book", "age", "unhedged", "cooldown", "pairs", "ring",
	"warmup", "sigma", "edge", "size",
};

const char *strat_why_name(unsigned why)
{
	return why < STRAT_WHY_MAX ? why_names[why] : "?";
}

static const char *const bound_names[STRAT_BOUND_MAX] = {
	"clip", "depth", "sell_inventory", "buy_inventory", "cash", "headroom", "venue",
};

const char *strat_bound_name(unsigned b)
{
	return b < STRAT_BOUND_MAX ? bound_names[b] : "?";
}

void strat_walk(const struct kimp_level *lv, uint32_t n, int64_t qty, unsigned qty_dec,
		struct strat_walk *w)
{
	__int128 sum = 0;
	int64_t rem = qty;

	memset(w, 0, sizeof(*w));
	for (uint32_t i = 0; i < n && rem > 0; i++) {
		int64_t px = lv[i].px, q = lv[i].qty;
		if (px <= 0 || q <= 0)
			break;
		if (q > rem)
			q = rem;
		sum += (__int128)px * q;
		rem -= q;
		w->qty += q;
		w->worst = px;
		w->levels++;
	}
	if (w->qty) {
		w->notional = (int64_t)(sum / strat_p10(qty_dec));
		w->vwap = (double)sum / (double)w->qty;
	}
}

int64_t strat_depth_at(const struct kimp_level *lv, uint32_t n, bool asks, int64_t limit)
{
	int64_t q = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (lv[i].px <= 0 || lv[i].qty <= 0)
			break;
		if (asks ? lv[i].px > limit : lv[i].px < limit)
			break;
		q = lv[i].qty > STRATD_INF - q ? STRATD_INF : q + lv[i].qty;
	}
	return q;
}

int64_t strat_tick_floor(const struct venue_inst_rules *r, unsigned px_dec, int64_t px)
{
	int64_t t = venue_tick(r, px, px_dec);

	if (t <= 0 || px <= 0)
		return 0;
	return px - px % t;
}

int64_t strat_tick_ceil(const struct venue_inst_rules *r, unsigned px_dec, int64_t px)
{
	int64_t c = px;

	if (px <= 0)
		return 0;
	/* a banded tick: the rounded price may sit in a coarser band */
	for (int i = 0; i < 4; i++) {
		int64_t t = venue_tick(r, c, px_dec);
		if (t <= 0)
			return 0;
		if (c % t == 0)
			return c;
		c += t - c % t;
	}
	return c;
}

int64_t strat_limit_px(const struct venue_inst_rules *r, unsigned px_dec, int side,
		       int64_t worst, int64_t slip_e8)
{
	int64_t d = (int64_t)((__int128)worst * slip_e8 / 100000000);

	if (worst <= 0)
		return 0;
	if (side == KIMP_SIDE_BUY)
		return strat_tick_floor(r, px_dec, worst + d);
	return strat_tick_ceil(r, px_dec, worst - d > 0 ? worst - d : 1);
}

int64_t strat_qty_scale(int64_t q, unsigned from_dec, unsigned to_dec)
{
	if (q == STRATD_INF)
		return q;
	if (to_dec >= from_dec) {
		int64_t m = strat_p10(to_dec - from_dec);
		if (q > STRATD_INF / m)
			return STRATD_INF;
		if (q < -(STRATD_INF / m))
			return -STRATD_INF;
		return q * m;
	}
	return q / strat_p10(from_dec - to_dec);
}

int64_t strat_notional(int64_t px, int64_t q, unsigned qty_dec, bool up)
{
	__int128 p = (__int128)px * q, d = strat_p10(qty_dec);
	__int128 v = p / d;

	if (up && p % d > 0)
		v++;
	return v > STRATD_INF ? STRATD_INF : (int64_t)v;
}

bool strat_model_update(struct strat_model *m, double x, uint64_t t_ns, uint64_t half_life_ns)
{
	if (!m->n) {
		m->n = 1;
		m->mean = x;
		m->var = 0;
		m->first_ns = m->last_ns = t_ns;
		return true;
	}
	if (t_ns <= m->last_ns)
		return false;
	double a = half_life_ns ? 1.0 - exp2(-(double)(t_ns - m->last_ns) / (double)half_life_ns)
				: 1.0;
	double d = x - m->mean;
	m->mean += a * d;
	m->var = (1.0 - a) * (m->var + a * d * d);
	m->n++;
	m->last_ns = t_ns;
	return true;
}

bool strat_model_warm(const struct strat_model *m, uint64_t warmup_ns, uint64_t warmup_n)
{
	return m->n > 0 && (uint64_t)m->n >= warmup_n && m->last_ns - m->first_ns >= warmup_ns;
}

double strat_book_mid(const struct kimp_book *b)
{
	if (!b->nbids || !b->nasks || b->bids[0].px <= 0 || b->asks[0].px <= 0)
		return NAN;
	return ((double)b->bids[0].px + (double)b->asks[0].px) * 0.5 /
	       (double)strat_p10(b->px_dec);
}

double strat_mid_premium(const struct kimp_book *b0, const struct kimp_book *b1, double rate)
{
	return strat_book_mid(b0) / (strat_book_mid(b1) * rate) - 1.0;
}

/* A leg's side of the book: a sell walks the bids, a buy the asks. */
static const struct kimp_level *side_levels(const struct kimp_book *b, int side, uint32_t *n)
{
	if (side == KIMP_SIDE_SELL) {
		*n = b->nbids > KIMP_BOOK_LEVELS ? KIMP_BOOK_LEVELS : b->nbids;
		return b->bids;
	}
	*n = b->nasks > KIMP_BOOK_LEVELS ? KIMP_BOOK_LEVELS : b->nasks;
	return b->asks;
}

static void dir_sides(unsigned dir, uint8_t side[2])
{
	side[0] = dir == KIMP_STRAT_SELL_KRW ? KIMP_SIDE_SELL : KIMP_SIDE_BUY;
	side[1] = dir == KIMP_STRAT_SELL_KRW ? KIMP_SIDE_BUY : KIMP_SIDE_SELL;
}

/* Premium of two walks (leg 0 over leg 1 at rate); NAN when one is empty. */
static double walk_premium(const struct strat_pair_conf *pc, const struct strat_walk w[2],
			   double rate)
{
	if (!w[0].qty || !w[1].qty)
		return NAN;
	double p0 = w[0].vwap / (double)strat_p10(pc->leg[0].px_dec);
	double p1 = w[1].vwap / (double)strat_p10(pc->leg[1].px_dec);
	return p0 / (p1 * rate) - 1.0;
}

/* Walk both legs for q (common scale). */
static void walk_both(const struct strat_eval_in *in, const uint8_t side[2], int64_t q,
		      struct strat_walk w[2])
{
	const struct strat_pair_conf *pc = in->pc;

	for (int l = 0; l < 2; l++) {
		uint32_t n;
		const struct kimp_level *lv = side_levels(in->book[l], side[l], &n);
		strat_walk(lv, n, strat_qty_scale(q, pc->qty_dec, pc->leg[l].qty_dec),
			   pc->leg[l].qty_dec, &w[l]);
	}
}

/* Lower *q to v (common scale) when v is smaller, naming the bound. */
static void bound(int64_t *q, unsigned *why, int64_t v, unsigned b)
{
	if (v < *q) {
		*q = v;
		*why = b;
	}
}

/* The qty of leg l (venue scale) whose notional at px stays within max, common scale. */
static int64_t notional_cap(const struct strat_pair_conf *pc, int l, int64_t px, int64_t max)
{
	const struct strat_venue_conf *v = &pc->leg[l];

	if (max == STRATD_INF || max <= 0 || px <= 0)
		return STRATD_INF;
	__int128 qv = (__int128)max * strat_p10(v->qty_dec) / px;
	if (qv > STRATD_INF)
		return STRATD_INF;
	return strat_qty_scale((int64_t)qv, v->qty_dec, pc->qty_dec);
}

/* Cash for buying qv at px on leg l: the notional rounded up plus the fee. */
static int64_t cash_for(const struct strat_venue_conf *v, int64_t px, int64_t qv)
{
	int64_t n = strat_notional(px, qv, v->qty_dec, true);
	__int128 f = ((__int128)n * v->fee_e8 + 99999999) / 100000000;
	return n + (int64_t)f;
}

/* The largest common qty whose purchase on leg l at px fits cash. */
static int64_t cash_cap(const struct strat_pair_conf *pc, int l, int64_t px, int64_t cash)
{
	const struct strat_venue_conf *v = &pc->leg[l];

	if (cash == STRATD_INF)
		return STRATD_INF;
	if (cash <= 0 || px <= 0)
		return 0;
	/* the exact bound, then a few units less for the rounding up of the
	 * notional and of the fee */
	__int128 n = (__int128)cash * 100000000 / (100000000 + v->fee_e8);
	__int128 qv = n * strat_p10(v->qty_dec) / px;
	if (qv > STRATD_INF)
		qv = STRATD_INF;
	int64_t q = (int64_t)qv;
	for (int i = 0; i < 4 && q > 0 && cash_for(v, px, q) > cash; i++)
		q--;
	if (q > 0 && cash_for(v, px, q) > cash) {
		/* with two units kept, notional + fee < (n + 1) * (1 + fee) + 1
		 * <= cash + fee, an integer below cash + 1 */
		n = cash > 2 ? (__int128)(cash - 2) * 100000000 / (100000000 + v->fee_e8) : 0;
		q = (int64_t)(n * strat_p10(v->qty_dec) / px);
	}
	return strat_qty_scale(q, v->qty_dec, pc->qty_dec);
}

/* Size, prices and the entry rule of one direction. */
static unsigned decide_dir(const struct strat_eval_in *in, unsigned dir, double dev,
			   struct strat_decision *out)
{
	const struct strat_pair_conf *pc = in->pc;
	const struct strat_room *rm = &in->room[dir - 1];
	int sl = dir == KIMP_STRAT_SELL_KRW ? 0 : 1, bl = 1 - sl; /* selling, buying leg */
	uint8_t side[2];
	struct strat_walk w[2];
	int64_t lim[2], q = pc->clip, minq;
	unsigned b = STRAT_BOUND_CLIP;

	dir_sides(dir, side);
	/* bounds that do not depend on the book */
	bound(&q, &b, strat_qty_scale(rm->sell_qty, pc->leg[sl].qty_dec, pc->qty_dec),
	      STRAT_BOUND_SELL_INV);
	bound(&q, &b, strat_qty_scale(rm->buy_qty, pc->leg[bl].qty_dec, pc->qty_dec),
	      STRAT_BOUND_BUY_INV);
	bound(&q, &b, strat_qty_scale(rm->sell_head, pc->leg[sl].qty_dec, pc->qty_dec),
	      STRAT_BOUND_HEADROOM);
	bound(&q, &b, strat_qty_scale(rm->buy_head, pc->leg[bl].qty_dec, pc->qty_dec),
	      STRAT_BOUND_HEADROOM);
	for (int l = 0; l < 2; l++)
		if (pc->leg[l].rules.max_qty > 0)
			bound(&q, &b, strat_qty_scale(pc->leg[l].rules.max_qty,
						      pc->leg[l].qty_dec, pc->qty_dec),
			      STRAT_BOUND_VENUE);
	out->bound = b;
	if (q <= 0)
		return STRAT_WHY_SIZE;

	/* the walk for that size sets the limits; depth and cash at them */
	walk_both(in, side, q, w);
	if (!w[0].qty || !w[1].qty)
		return STRAT_WHY_BOOK;
	for (int l = 0; l < 2; l++)
		lim[l] = strat_limit_px(&pc->leg[l].rules, pc->leg[l].px_dec, side[l], w[l].worst,
					pc->slip_e8);
	if (!lim[0] || !lim[1])
		return STRAT_WHY_BOOK;
	for (int l = 0; l < 2; l++) {
		uint32_t n;
		const struct kimp_level *lv = side_levels(in->book[l], side[l], &n);
		bound(&q, &b, strat_qty_scale(strat_depth_at(lv, n, side[l] == KIMP_SIDE_BUY,
							     lim[l]),
					      pc->leg[l].qty_dec, pc->qty_dec),
		      STRAT_BOUND_DEPTH);
	}
	bound(&q, &b, cash_cap(pc, bl, lim[bl], rm->buy_cash), STRAT_BOUND_CASH);
	/* notional maxima: at the highest price the final limits can take */
	for (int l = 0; l < 2; l++) {
		int64_t px = l == sl ? in->book[l]->bids[0].px : lim[l];
		if (pc->leg[l].rules.max_notional > 0)
			bound(&q, &b, notional_cap(pc, l, px, pc->leg[l].rules.max_notional),
			      STRAT_BOUND_VENUE);
		bound(&q, &b, notional_cap(pc, l, px, pc->leg[l].risk_notional_max),
		      STRAT_BOUND_HEADROOM);
	}
	q -= q % pc->step;
	out->bound = b;
	minq = pc->min_size > pc->step ? pc->min_size : pc->step;
	for (int l = 0; l < 2; l++) {
		int64_t m = strat_qty_scale(pc->leg[l].rules.min_qty, pc->leg[l].qty_dec,
					    pc->qty_dec);
		if (m > minq)
			minq = m;
	}
	if (q < minq || q <= 0)
		return STRAT_WHY_SIZE;

	/* the size decided: its own walk, limits and minimum notionals */
	walk_both(in, side, q, w);
	for (int l = 0; l < 2; l++) {
		const struct strat_venue_conf *v = &pc->leg[l];
		int64_t qv = strat_qty_scale(q, pc->qty_dec, v->qty_dec);
		if (w[l].qty != qv)
			return STRAT_WHY_BOOK;
		lim[l] = strat_limit_px(&v->rules, v->px_dec, side[l], w[l].worst, pc->slip_e8);
		if (v->rules.min_notional > 0 &&
		    strat_notional(lim[l], qv, v->qty_dec, false) < v->rules.min_notional)
			return STRAT_WHY_SIZE;
		out->leg_qty[l] = qv;
		out->px[l] = lim[l];
		out->worst[l] = w[l].worst;
		out->slip_px[l] = lim[l] > w[l].worst ? lim[l] - w[l].worst : w[l].worst - lim[l];
		out->side[l] = side[l];
		out->vwap[l] = w[l].vwap;
	}
	out->qty = q;
	out->prem = walk_premium(pc, w, in->rate);
	double slip = dir == KIMP_STRAT_SELL_KRW ? out->prem_mid - out->prem
						 : out->prem - out->prem_mid;
	out->dev = dev;
	out->cost = pc->leg[0].fee + pc->leg[1].fee + slip + pc->margin;
	if (!(dev >= out->cost))
		return STRAT_WHY_EDGE;
	return STRAT_WHY_OK;
}

int strat_decide(const struct strat_eval_in *in, struct strat_decision *out)
{
	const struct strat_pair_conf *pc = in->pc;
	struct strat_walk w[2];
	uint8_t side[2];

	memset(out, 0, sizeof(*out));
	out->prem_exec[0] = out->prem_exec[1] = NAN;
	out->prem_mid = strat_mid_premium(in->book[0], in->book[1], in->rate);
	if (!isfinite(out->prem_mid) || !(in->rate > 0)) {
		out->why = STRAT_WHY_BOOK;
		return 0;
	}
	/* both directions at the clip, for the record */
	for (unsigned dir = KIMP_STRAT_SELL_KRW; dir <= KIMP_STRAT_BUY_KRW; dir++) {
		dir_sides(dir, side);
		walk_both(in, side, pc->clip, w);
		out->prem_exec[dir - 1] = walk_premium(pc, w, in->rate);
	}
	if (!pc->enabled) {
		out->why = STRAT_WHY_DISABLED;
		return 0;
	}
	if (!strat_model_warm(&in->model, pc->warmup_ns, pc->warmup_n)) {
		out->why = STRAT_WHY_WARMUP;
		return 0;
	}
	double dev_sell = out->prem_mid - in->model.mean;
	double dev_buy = -dev_sell;
	unsigned dir = dev_sell >= dev_buy ? KIMP_STRAT_SELL_KRW : KIMP_STRAT_BUY_KRW;
	double dev = dir == KIMP_STRAT_SELL_KRW ? dev_sell : dev_buy;
	double sd = in->model.var > 0 ? sqrt(in->model.var) : 0.0;

	out->dev = dev;
	if (!(dev >= pc->entry_sigma * sd)) {
		out->why = STRAT_WHY_SIGMA;
		return 0;
	}
	out->why = decide_dir(in, dir, dev, out);
	if (out->why == STRAT_WHY_OK)
		out->dir = dir;
	return 0;
}
