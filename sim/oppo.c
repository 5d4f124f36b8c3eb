/* SPDX-License-Identifier: MIT */
/*
 * The opportunity log: ground truth for "was there a premium trade worth
 * taking, and when".
 *
 * For each coin and each (KRW venue, USDT venue) pair of its instruments,
 * after every market step:
 *   - q = oppo_size_usdt at the USDT book's mid, in base units;
 *   - sell_krw: buy q on the USDT venue's asks, sell q on the KRW venue's
 *     bids; buy_krw: the other way round. Each walks the books for q; KRW
 *     amounts become USDT at the mid of the KRW venue's KRW-USDT book. The
 *     executable premium of a direction is the KRW leg over the USDT leg,
 *     minus one;
 *   - the reference is an EWMA of the mid premium (half-life OPPO_HALF_LIFE_S
 *     of model time), taken before the current observation so a jump shows
 *     whole. Deviation: sell_krw premium - mean, mean - buy_krw premium
 *     (the crossing cost is in it: at rest both are about minus half the
 *     spreads);
 *   - a direction is open while its deviation exceeds both venues' taker
 *     fees plus oppo_margin and both books hold q (within the walked
 *     prices, by construction of the walk).
 * An opening and a closing are written to the ledger as "opportunity"
 * events (with the open time, duration, peak deviation and the quantity
 * available at the walked prices); opened ones are counted.
 *
 * Captured: an opportunity is captured when, while it is open or within
 * the grace after it closed (sim_oppo_set_grace, default
 * SIM_OPPO_GRACE_MS), orders filled on both of its legs the way it pays:
 * for sell_krw a sell on the KRW venue and a buy on the USDT venue, for
 * buy_krw the other way round (sim_oppo_fill, from the matching engine's
 * fills, stamped with the fill's venue time). The close event says so
 * ("captured": true|false); it is written when the answer is known: at
 * the close when already captured, else at the capturing fill or when the
 * grace has run out, so a close may be written a little after its
 * close_ms. Captured ones are counted.
 *
 * This runs once per step over a handful of pairs, and once per fill over
 * them; it allocates only in sim_oppo_new and formats text only when an
 * opportunity opens or closes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define OPPO_HALF_LIFE_S 60.0

enum { DIR_SELL_KRW = 0, DIR_BUY_KRW = 1 };

static const char *const dir_names[2] = { "sell_krw", "buy_krw" };

enum { LEG_KRW = 0, LEG_USDT = 1 };

struct oppo_dir {
	bool open;
	bool closing;           /* closed, its legs may still fill within the grace */
	bool captured;
	uint64_t open_ms;
	uint64_t close_ms;      /* closing: when it closed */
	double peak_dev;
	double close_dev;       /* closing: the deviation and threshold at the close */
	double close_thr;
	sim_fx qty;             /* available quantity at the peak */
};

struct oppo_pair {
	uint16_t krw, usdt, fx; /* instrument ids */
	bool have_mean;
	double mean;            /* EWMA of the mid premium */
	double last_t;          /* model time of the last update */
	struct oppo_dir dir[2];
	/* venue time of the last fill of each leg the way each direction
	 * trades it ([dir][LEG_*]); 0: none */
	uint64_t fill_ms[2][2];
};

struct sim_oppo {
	const struct sim_exch *x;
	struct sim_ledger *lg;
	uint64_t count;
	uint64_t captured;
	uint64_t grace_ms;
	uint32_t npairs;
	struct oppo_pair pair[];
};

static const struct sim_inst *fx_inst(const struct sim_market *m, unsigned venue)
{
	for (uint32_t i = 0; i < m->ninsts; i++)
		if (m->inst[i].venue == venue && m->inst[i].coin == SIM_COIN_FX)
			return &m->inst[i];
	return NULL;
}

/* Visit every pair (out NULL: just count them). */
static uint32_t find_pairs(const struct sim_market *m, struct oppo_pair *out)
{
	const struct sim_scenario *sc = m->sc;
	uint32_t n = 0;

	for (uint32_t a = 0; a < m->ninsts; a++) {
		const struct sim_inst *k = &m->inst[a], *fx;

		if (k->coin < 0 || sim_venue_name_kind(sc->venues[k->venue].name) != SIM_KRW)
			continue;
		fx = fx_inst(m, k->venue);
		if (!fx)        /* no KRW-USDT book on that venue: nothing to convert at */
			continue;
		for (uint32_t b = 0; b < m->ninsts; b++) {
			const struct sim_inst *u = &m->inst[b];

			if (u->coin != k->coin ||
			    sim_venue_name_kind(sc->venues[u->venue].name) != SIM_USDT)
				continue;
			if (out) {
				out[n].krw = k->id;
				out[n].usdt = u->id;
				out[n].fx = fx->id;
			}
			n++;
		}
	}
	return n;
}

/*
 * The returned object is the caller's (sim_oppo_free); it keeps x and lg,
 * which must outlive it. Instruments added after this call are not
 * watched. lg may be NULL (nothing is written, opportunities are still
 * counted). NULL when x has no market or on no memory (errno set).
 */
struct sim_oppo *sim_oppo_new(const struct sim_exch *x, struct sim_ledger *lg)
{
	struct sim_oppo *o;
	uint32_t n;

	if (!x || !x->m || !x->m->sc) {
		errno = EINVAL;
		return NULL;
	}
	n = find_pairs(x->m, NULL);
	o = calloc(1, sizeof(*o) + n * sizeof(o->pair[0]));
	if (!o)
		return NULL;
	o->x = x;
	o->lg = lg;
	o->grace_ms = SIM_OPPO_GRACE_MS;
	o->npairs = find_pairs(x->m, o->pair);
	return o;
}

uint64_t sim_oppo_count(const struct sim_oppo *o)
{
	return o ? o->count : 0;
}

uint64_t sim_oppo_captured(const struct sim_oppo *o)
{
	return o ? o->captured : 0;
}

void sim_oppo_set_grace(struct sim_oppo *o, uint64_t grace_ms)
{
	if (o)
		o->grace_ms = grace_ms;
}

static double mid_of(const struct sim_inst *in)
{
	const struct sim_book_side *b = &in->book.side[SIM_BID], *a = &in->book.side[SIM_ASK];

	if (!b->n || !a->n)
		return 0;
	return ((double)b->lv[0].px + (double)a->lv[0].px) * 0.5 / (double)SIM_SCALE;
}

/*
 * Take q from 'side' of the book (SIM_ASK: buying): the quote amount in
 * *notional (units) and the worst price taken in *worst. False when the
 * side holds less than q.
 */
static bool walk(const struct sim_inst *in, unsigned side, sim_fx q, double *notional,
		 sim_fx *worst)
{
	const struct sim_book_side *s = &in->book.side[side];
	__int128 sum = 0;

	for (uint32_t i = 0; i < s->n && q > 0; i++) {
		sim_fx take = s->lv[i].qty < q ? s->lv[i].qty : q;

		sum += (__int128)s->lv[i].px * take;
		q -= take;
		*worst = s->lv[i].px;
	}
	*notional = (double)sum / ((double)SIM_SCALE * (double)SIM_SCALE);
	return q <= 0;
}

static void fmt_num(char *out, size_t cap, double v)
{
	snprintf(out, cap, "%.8f", v);
}

static void log_event(struct sim_oppo *o, const struct oppo_pair *p, unsigned d,
		      const char *what, double prem, double dev, double thr, bool final)
{
	const struct sim_market *m = o->x->m;
	const struct sim_scenario *sc = m->sc;
	const struct sim_inst *k = &m->inst[p->krw], *u = &m->inst[p->usdt];
	const struct oppo_dir *od = &p->dir[d];
	char json[704], qty[32], a[32], b[32], c[32], e[32];

	if (!o->lg)
		return;
	sim_fx_str(od->qty, qty);
	fmt_num(a, sizeof(a), prem);
	fmt_num(b, sizeof(b), p->mean);
	fmt_num(c, sizeof(c), dev);
	fmt_num(e, sizeof(e), thr);
	if (!strcmp(what, "open")) {
		snprintf(json, sizeof(json),
			 "\"what\":\"open\",\"coin\":\"%s\",\"krw_venue\":\"%s\","
			 "\"usdt_venue\":\"%s\",\"krw_sym\":\"%s\",\"usdt_sym\":\"%s\","
			 "\"dir\":\"%s\",\"open_ms\":%llu,\"prem\":%s,\"mean\":%s,"
			 "\"dev\":%s,\"threshold\":%s,\"qty\":\"%s\"",
			 sc->coins[k->coin].name, sc->venues[k->venue].name,
			 sc->venues[u->venue].name, k->sym, u->sym, dir_names[d],
			 (unsigned long long)od->open_ms, a, b, c, e, qty);
	} else {
		char peak[32];

		fmt_num(peak, sizeof(peak), od->peak_dev);
		snprintf(json, sizeof(json),
			 "\"what\":\"close\",\"coin\":\"%s\",\"krw_venue\":\"%s\","
			 "\"usdt_venue\":\"%s\",\"krw_sym\":\"%s\",\"usdt_sym\":\"%s\","
			 "\"dir\":\"%s\",\"open_ms\":%llu,\"close_ms\":%llu,"
			 "\"duration_ms\":%llu,\"peak_dev\":%s,\"dev\":%s,"
			 "\"threshold\":%s,\"qty\":\"%s\",\"captured\":%s,\"final\":%s",
			 sc->coins[k->coin].name, sc->venues[k->venue].name,
			 sc->venues[u->venue].name, k->sym, u->sym, dir_names[d],
			 (unsigned long long)od->open_ms, (unsigned long long)od->close_ms,
			 (unsigned long long)(od->close_ms > od->open_ms ?
					      od->close_ms - od->open_ms : 0),
			 peak, c, e, qty, od->captured ? "true" : "false",
			 final ? "true" : "false");
	}
	sim_ledger_event(o->lg, "opportunity", json);
}

/* A closing direction's answer is known: its close event, and it is done. */
static void settle(struct sim_oppo *o, struct oppo_pair *p, unsigned d)
{
	struct oppo_dir *od = &p->dir[d];

	log_event(o, p, d, "close", 0, od->close_dev, od->close_thr, false);
	od->closing = false;
}

/* Both legs filled the way direction d pays since it opened: captured. */
static void try_capture(struct sim_oppo *o, struct oppo_pair *p, unsigned d)
{
	struct oppo_dir *od = &p->dir[d];
	uint64_t k = p->fill_ms[d][LEG_KRW], u = p->fill_ms[d][LEG_USDT];

	if ((!od->open && !od->closing) || od->captured)
		return;
	if (!k || !u || k < od->open_ms || u < od->open_ms)
		return;
	if (od->closing && (k > od->close_ms + o->grace_ms || u > od->close_ms + o->grace_ms))
		return;
	od->captured = true;
	o->captured++;
	if (od->closing)
		settle(o, p, d);
}

/*
 * A fill of an order on inst (the order's side): the leg of every pair it
 * belongs to, in the direction that trades it that way. Called by the
 * matching engine's owner for every fill; no allocation, no text unless a
 * closing opportunity is settled by it.
 */
void sim_oppo_fill(struct sim_oppo *o, const struct sim_order *ord, const struct sim_fill *f)
{
	if (!o || !ord || !f)
		return;
	for (uint32_t i = 0; i < o->npairs; i++) {
		struct oppo_pair *p = &o->pair[i];
		unsigned leg, d;

		if (ord->inst == p->krw) {
			leg = LEG_KRW;
			d = ord->side == SIM_ASK ? DIR_SELL_KRW : DIR_BUY_KRW;
		} else if (ord->inst == p->usdt) {
			leg = LEG_USDT;
			d = ord->side == SIM_BID ? DIR_SELL_KRW : DIR_BUY_KRW;
		} else {
			continue;
		}
		if (f->ts_ms > p->fill_ms[d][leg])
			p->fill_ms[d][leg] = f->ts_ms;
		try_capture(o, p, d);
	}
}

static void update_dir(struct sim_oppo *o, struct oppo_pair *p, unsigned d, bool ok,
		       double prem, double dev, double thr, sim_fx avail, uint64_t now_ms)
{
	struct oppo_dir *od = &p->dir[d];
	bool on = ok && dev > thr;

	/* the grace ran out, or it opens again: the last one was not captured */
	if (od->closing && (on || now_ms > od->close_ms + o->grace_ms))
		settle(o, p, d);
	if (on && !od->open) {
		od->open = true;
		od->captured = false;
		od->open_ms = now_ms;
		od->peak_dev = dev;
		od->qty = avail;
		o->count++;
		log_event(o, p, d, "open", prem, dev, thr, false);
	} else if (on) {
		if (dev > od->peak_dev) {
			od->peak_dev = dev;
			od->qty = avail;
		}
	} else if (od->open) {
		od->open = false;
		od->close_ms = now_ms;
		od->close_dev = dev;
		od->close_thr = thr;
		od->closing = true;
		if (od->captured || !o->grace_ms)
			settle(o, p, d);
	}
}

static sim_fx min_fx(sim_fx a, sim_fx b)
{
	return a < b ? a : b;
}

static void pair_step(struct sim_oppo *o, struct oppo_pair *p, uint64_t now_ms)
{
	const struct sim_market *m = o->x->m;
	const struct sim_scenario *sc = m->sc;
	const struct sim_inst *k = &m->inst[p->krw], *u = &m->inst[p->usdt];
	double fxm = mid_of(&m->inst[p->fx]), um = mid_of(u), km = mid_of(k);
	double cost, proc, prem[2], dev[2], pm, thr, alpha;
	sim_fx q, wa = 0, wb = 0, avail[2] = { 0, 0 };
	bool ok[2];

	if (!(fxm > 0) || !(um > 0) || !(km > 0))
		return;
	q = (sim_fx)llround(sc->oppo_size_usdt / um * (double)SIM_SCALE);
	if (q <= 0)
		return;
	/* sell KRW: buy on the USDT venue, sell on the KRW venue */
	ok[DIR_SELL_KRW] = walk(u, SIM_ASK, q, &cost, &wa) && walk(k, SIM_BID, q, &proc, &wb);
	prem[DIR_SELL_KRW] = ok[DIR_SELL_KRW] ? proc / fxm / cost - 1.0 : 0;
	if (ok[DIR_SELL_KRW])
		avail[DIR_SELL_KRW] = min_fx(sim_book_avail(u, SIM_ASK, wa),
					     sim_book_avail(k, SIM_BID, wb));
	/* buy KRW: buy on the KRW venue, sell on the USDT venue */
	ok[DIR_BUY_KRW] = walk(k, SIM_ASK, q, &cost, &wa) && walk(u, SIM_BID, q, &proc, &wb);
	prem[DIR_BUY_KRW] = ok[DIR_BUY_KRW] ? cost / fxm / proc - 1.0 : 0;
	if (ok[DIR_BUY_KRW])
		avail[DIR_BUY_KRW] = min_fx(sim_book_avail(k, SIM_ASK, wa),
					    sim_book_avail(u, SIM_BID, wb));

	pm = km / fxm / um - 1.0;
	if (!p->have_mean) {
		p->have_mean = true;
		p->mean = pm;
		p->last_t = m->t_s;
	}
	dev[DIR_SELL_KRW] = prem[DIR_SELL_KRW] - p->mean;
	dev[DIR_BUY_KRW] = p->mean - prem[DIR_BUY_KRW];
	thr = o->x->rules[k->venue].taker_fee + o->x->rules[u->venue].taker_fee +
	      sc->oppo_margin;
	for (unsigned d = 0; d < 2; d++)
		update_dir(o, p, d, ok[d], prem[d], dev[d], thr, avail[d], now_ms);
	if (m->t_s > p->last_t) {
		alpha = 1.0 - exp2(-(m->t_s - p->last_t) / OPPO_HALF_LIFE_S);
		p->mean += alpha * (pm - p->mean);
		p->last_t = m->t_s;
	}
}

void sim_oppo_step(struct sim_oppo *o, uint64_t now_ms)
{
	if (!o)
		return;
	for (uint32_t i = 0; i < o->npairs; i++)
		pair_step(o, &o->pair[i], now_ms);
}

/*
 * Opportunities still open are closed in the ledger ("final": true); those
 * closed but still within their grace are written as they stand.
 */
void sim_oppo_free(struct sim_oppo *o)
{
	if (!o)
		return;
	for (uint32_t i = 0; i < o->npairs; i++) {
		struct oppo_pair *p = &o->pair[i];

		for (unsigned d = 0; d < 2; d++) {
			struct oppo_dir *od = &p->dir[d];

			if (od->closing)
				settle(o, p, d);
			if (!od->open)
				continue;
			od->close_ms = o->x->m->now_ms;
			log_event(o, p, d, "close", 0, 0, 0, true);
			od->open = false;
		}
	}
	free(o);
}
