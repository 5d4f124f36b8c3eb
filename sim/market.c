/* SPDX-License-Identifier: MIT */
/*
 * The market: a price model and the books it moves.
 *
 * Model (doubles, one step of sc->step_ns at a time):
 *   - each coin's global mid in USDT: a geometric random walk with the
 *     coin's annualised volatility;
 *   - the KRW per USDT rate: the same with sc->usdkrw_vol;
 *   - one premium common to every KRW venue: Ornstein-Uhlenbeck around
 *     premium.mean (exact discretisation) plus Poisson jumps of normal size;
 *   - per (KRW venue, coin) a small AR(1) noise of krw_vol_bps per step
 *     that reverts with a time constant of about a second.
 * Fair mid of an instrument: global mid on a USDT venue; global mid x rate
 * x (1 + premium) x (1 + noise) on a KRW venue; rate x (1 + 0.3 premium)
 * for KRW-USDT (see fair()).
 *
 * Books (ticks of 1e-8): the inside quotes are 1-3 ticks apart (sticky,
 * redrawn now and then) around the fair mid. Deeper levels are one tick
 * apart with a gap now and then when a step moves the price about a tick;
 * when it moves many ticks (Binance BTCUSDT at 0.01) they are spaced about
 * a quarter of a typical step's move apart, so that a step changes a few
 * levels, not hundreds. Each step every side is moved toward its new
 * inside quote: levels better than it go, new levels appear at the inside,
 * the far end is refilled to depth, a few levels change size, and now and
 * then another participant trades at the top. In load mode (load_rate > 0)
 * a step that left both tops alone resizes one, so every step changes
 * every top (one bookTicker per instrument per step). Every change goes through
 * sim_inst_set, which keeps the side sorted, records the change
 * (deduplicated by side and price) and advances update_id by one. The work
 * per step is proportional to the levels that change: a side's levels sit
 * in a window that slides in a larger buffer, so the top can be added or
 * removed without moving the rest.
 *
 * Randomness: one xoshiro stream for the rate, one for the premium, one
 * per coin and one per instrument (derived from its venue and symbol, so
 * adding an instrument never changes another's book). now_ms only stamps.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define YEAR_S           (365.0 * 86400.0)
#define DAY_MS           86400000ull
#define DEF_STEP_NS      10000000ull
#define DEF_DEPTH_USDT   50000.0
#define TOP_LEVELS       5          /* the top this many levels hold depth_usdt */
#define SIDE_CAP         (3 * SIM_BOOK_MAX + 4)
#define CHG_CAP          (4 * SIM_BOOK_MAX)
#define CHG_HASH_SLOTS   8192u      /* a power of two >= 2 * CHG_CAP */
#define TRADE_CAP        1024u
#define TRADE_P          0.15       /* a market trade per step and instrument */
#define TRADE_SHARE      0.2        /* ...of up to this share of the level */
#define RESIZE_P         0.3        /* a random level resized, per step and side */
#define RESIZE_TOP       10         /* ...mostly among the top this many */
#define SPREAD_REDRAW_P  0.05       /* the spread (1-3 ticks) is redrawn */
#define GAP_P            0.1        /* a dense book skips a tick or two */
#define NOISE_TAU_S      1.0        /* KRW venue noise reversion time */
#define FX_PREMIUM_SHARE 0.3
#define LOGN_SIGMA       0.8
#define MOVES_PER_LEVEL  4.0        /* a typical step moves about 4 levels */

#define STREAM_FX        0x5f78ull
#define STREAM_PREMIUM   0x5f70ull
#define STREAM_COIN      0x1000ull
#define STREAM_INST      0x2000ull

_Static_assert((CHG_HASH_SLOTS & (CHG_HASH_SLOTS - 1)) == 0, "hash slots: a power of two");
_Static_assert(CHG_HASH_SLOTS >= 2 * CHG_CAP, "hash load at most one half");

/* Level sizes: a lognormal of mean 1 by its 256 quantiles (one draw each). */
static double logn_tab[256];
static bool logn_ready;

static double norm_cdf(double x)
{
	return 0.5 * erfc(-x * M_SQRT1_2);
}

static void logn_init(void)
{
	double sum = 0;

	if (logn_ready)
		return;
	for (int i = 0; i < 256; i++) {
		double p = (i + 0.5) / 256.0, lo = -10, hi = 10;

		for (int k = 0; k < 100; k++) {
			double mid = 0.5 * (lo + hi);

			if (norm_cdf(mid) < p)
				lo = mid;
			else
				hi = mid;
		}
		logn_tab[i] = exp(LOGN_SIGMA * 0.5 * (lo + hi));
		sum += logn_tab[i];
	}
	for (int i = 0; i < 256; i++)
		logn_tab[i] *= 256.0 / sum;
	logn_ready = true;
}

enum sim_venue_kind sim_venue_name_kind(const char *name)
{
	static const char *const krw[] = { "upbit", "bithumb", "coinone" };

	for (size_t i = 0; name && i < sizeof(krw) / sizeof(krw[0]); i++)
		if (!strcmp(name, krw[i]))
			return SIM_KRW;
	return SIM_USDT;
}

static double step_dt(const struct sim_scenario *sc)
{
	return (double)(sc->step_ns ? sc->step_ns : DEF_STEP_NS) * 1e-9;
}

static inline bool better(unsigned side, sim_fx a, sim_fx b)
{
	return side == SIM_BID ? a > b : a < b;
}

static inline uint32_t eff_depth(const struct sim_inst *in)
{
	return in->depth && in->depth <= SIM_BOOK_MAX ? in->depth : SIM_BOOK_MAX;
}

/* ---- ticks ------------------------------------------------------------------ */

sim_fx sim_inst_tick_at(const struct sim_inst *in, sim_fx px)
{
	sim_fx t = in->tick;

	if (!t && in->tick_fn)
		t = in->tick_fn(px);
	return t > 0 ? t : 1;
}

sim_fx sim_inst_round_px(const struct sim_inst *in, sim_fx px, unsigned side)
{
	sim_fx t = sim_inst_tick_at(in, px), r = px % t;

	if (r < 0)
		r += t;
	if (!r)
		return px;
	return side == SIM_BID ? px - r : px - r + t;
}

/* ---- one side of a book ------------------------------------------------------- */

/* Where px goes: the index of the first level that is not better than px. */
static uint32_t side_find(const struct sim_book_side *s, unsigned side, sim_fx px)
{
	uint32_t lo, hi;

	if (!s->n || !better(side, s->lv[0].px, px))
		return 0;
	if (better(side, s->lv[s->n - 1].px, px))
		return s->n;
	lo = 1;
	hi = s->n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (better(side, s->lv[mid].px, px))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void side_recentre(struct sim_book_side *s)
{
	struct sim_level *to = s->base + (s->cap - s->n) / 2;

	memmove(to, s->lv, s->n * sizeof(*to));
	s->lv = to;
}

/* Insert at i, moving whichever part is shorter (caller keeps n < cap - 1). */
static void side_insert(struct sim_book_side *s, uint32_t i, sim_fx px, sim_fx qty)
{
	if (s->base && i < s->n - i) {
		if (s->lv == s->base)
			side_recentre(s);
		memmove(s->lv - 1, s->lv, i * sizeof(*s->lv));
		s->lv--;
	} else {
		if (s->base && s->lv + s->n == s->base + s->cap)
			side_recentre(s);
		memmove(s->lv + i + 1, s->lv + i, (s->n - i) * sizeof(*s->lv));
	}
	s->lv[i].px = px;
	s->lv[i].qty = qty;
	s->n++;
}

static void side_remove(struct sim_book_side *s, uint32_t i)
{
	if (s->base && i < s->n - 1 - i) {
		memmove(s->lv + 1, s->lv, i * sizeof(*s->lv));
		s->lv++;
	} else {
		memmove(s->lv + i, s->lv + i + 1, (s->n - 1 - i) * sizeof(*s->lv));
	}
	s->n--;
}

/* ---- the change log ----------------------------------------------------------- */

static inline uint32_t chg_home(const struct sim_inst *in, unsigned side, sim_fx px)
{
	uint64_t h = ((uint64_t)px ^ ((uint64_t)side << 63)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & in->chg_hmask;
}

static void chg_record(struct sim_inst *in, unsigned side, sim_fx px, sim_fx qty)
{
	struct sim_change *c;
	uint32_t j = 0;

	in->update_id++;
	if (!in->first_id)
		in->first_id = in->update_id;
	if (in->chg_hash) {
		for (j = chg_home(in, side, px); in->chg_hash[j];
		     j = (j + 1) & in->chg_hmask) {
			c = &in->chg[in->chg_hash[j] - 1];
			if (c->px == px && c->side == side) {
				c->qty = qty;
				return;
			}
		}
	} else {
		for (uint32_t i = 0; i < in->nchg; i++) {
			c = &in->chg[i];
			if (c->px == px && c->side == side) {
				c->qty = qty;
				return;
			}
		}
	}
	if (in->nchg >= in->chg_cap) {
		in->chg_lost++;
		return;
	}
	if (in->chg_hash)
		in->chg_hash[j] = in->nchg + 1;
	c = &in->chg[in->nchg++];
	c->side = (uint8_t)side;
	c->px = px;
	c->qty = qty;
}

static void chg_clear(struct sim_inst *in)
{
	if (in->chg_hash && in->nchg) {
		if ((uint64_t)in->nchg * 8 > in->chg_hmask) {
			memset(in->chg_hash, 0, ((size_t)in->chg_hmask + 1) * sizeof(uint32_t));
		} else {
			/* an entry sits after its home slot, never before; clearing
			 * others first may empty slots on its way, so do not stop there */
			for (uint32_t i = 0; i < in->nchg; i++) {
				const struct sim_change *c = &in->chg[i];
				uint32_t j = chg_home(in, c->side, c->px);

				while (in->chg_hash[j] != i + 1)
					j = (j + 1) & in->chg_hmask;
				in->chg_hash[j] = 0;
			}
		}
	}
	in->nchg = 0;
}

/*
 * A side is kept sorted best first and at most depth levels long: a level
 * that would land past the depth of a full side is not added (no record),
 * one pushed past it by an insert is removed (recorded, qty 0). qty < 0 or
 * side > SIM_ASK: nothing happens. Setting a level to what it holds is no
 * change and is not recorded.
 */
void sim_inst_set(struct sim_inst *in, unsigned side, sim_fx px, sim_fx qty)
{
	struct sim_book_side *s;
	uint32_t depth = eff_depth(in), i;

	if (side > SIM_ASK || qty < 0)
		return;
	s = &in->book.side[side];
	i = side_find(s, side, px);
	if (i < s->n && s->lv[i].px == px) {
		if (s->lv[i].qty == qty)
			return;
		if (qty)
			s->lv[i].qty = qty;
		else
			side_remove(s, i);
	} else {
		if (!qty || i >= depth)
			return;
		side_insert(s, i, px, qty);
	}
	if (!i)
		in->top_changed = true;
	chg_record(in, side, px, qty);
	while (s->n > depth) {
		sim_fx drop = s->lv[--s->n].px;

		chg_record(in, side, drop, 0);
	}
}

void sim_inst_trade(struct sim_inst *in, sim_fx px, sim_fx qty, unsigned taker_side,
		    uint64_t ts_ms)
{
	uint64_t id = in->next_trade_id ? in->next_trade_id : 1;

	in->next_trade_id = id + 1;
	if (in->ntrades < in->trade_cap) {
		struct sim_trade *t = &in->trades[in->ntrades++];

		t->id = id;
		t->px = px;
		t->qty = qty;
		t->taker_side = (uint8_t)taker_side;
		t->ts_ms = ts_ms;
	} else {
		in->trade_lost++;
	}
	if (!in->open_px)
		in->open_px = px;
	if (px > in->high_px)
		in->high_px = px;
	if (!in->low_px || px < in->low_px)
		in->low_px = px;
	in->last_px = px;
	/* a busy KRW day passes 2^63 1e-8 KRW: saturate, never wrap */
	if (__builtin_add_overflow(in->acc_volume, qty, &in->acc_volume))
		in->acc_volume = INT64_MAX;
	if (__builtin_add_overflow(in->acc_quote, sim_mul(px, qty), &in->acc_quote))
		in->acc_quote = INT64_MAX;
	in->last_taker = (uint8_t)taker_side;
}

void sim_inst_drain(struct sim_inst *in)
{
	chg_clear(in);
	in->ntrades = 0;
	in->first_id = 0;
	in->top_changed = false;
	in->chg_lost = 0;
	in->trade_lost = 0;
}

bool sim_inst_pending(const struct sim_inst *in)
{
	return in->first_id || in->nchg || in->chg_lost || in->ntrades || in->trade_lost ||
	       in->top_changed;
}

void sim_inst_view(struct sim_inst *in, uint32_t levels, uint64_t update_id, uint64_t ts_ms)
{
	struct sim_book_view *vw = &in->view;

	if (!vw->lv[SIM_BID] || !vw->lv[SIM_ASK])
		return;
	if (!levels || levels > SIM_BOOK_MAX)
		levels = SIM_BOOK_MAX;
	for (int side = 0; side < 2; side++) {
		const struct sim_book_side *s = &in->book.side[side];
		uint32_t n = s->n < levels ? s->n : levels;

		memcpy(vw->lv[side], s->lv, (size_t)n * sizeof(*s->lv));
		vw->n[side] = n;
	}
	vw->update_id = update_id;
	vw->ts_ms = ts_ms;
}

sim_fx sim_book_avail(const struct sim_inst *in, unsigned side, sim_fx limit)
{
	const struct sim_book_side *s;
	sim_fx sum = 0;

	if (side > SIM_ASK)
		return 0;
	s = &in->book.side[side];
	for (uint32_t i = 0; i < s->n; i++) {
		if (limit && better(side, limit, s->lv[i].px))
			break;
		sum += s->lv[i].qty;
	}
	return sum;
}

/* ---- the model -------------------------------------------------------------------- */

/*
 * KRW-USDT is not the bank rate: Korean demand for offshore crypto also
 * lifts USDT, so in practice USDT carries part of the kimchi premium. We
 * give it FX_PREMIUM_SHARE (0.3) of the common premium; the coin premium
 * an arbitrageur measures through the KRW-USDT book is then about 0.7 of
 * the model premium, as on the real venues.
 */
static double fair(const struct sim_market *m, const struct sim_inst *in,
		   enum sim_venue_kind kind)
{
	double mid;

	if (in->coin == SIM_COIN_FX)
		return m->usdkrw * (1.0 + FX_PREMIUM_SHARE * m->premium);
	if (in->coin < 0 || (uint32_t)in->coin >= m->sc->ncoins)
		return 0;
	mid = m->mid_usdt[in->coin];
	if (kind == SIM_USDT)
		return mid;
	return mid * m->usdkrw * (1.0 + m->premium) *
	       (1.0 + m->krw_noise[in->venue][in->coin]);
}

static enum sim_venue_kind inst_kind(const struct sim_market *m, const struct sim_inst *in)
{
	return sim_venue_name_kind(m->sc->venues[in->venue].name);
}

double sim_market_fair(const struct sim_market *m, const struct sim_inst *in)
{
	return fair(m, in, inst_kind(m, in));
}

/* Levels between two prices, in ticks: mostly 1 in a dense book, about g else. */
static uint64_t spacing(struct sim_rng *r, double g)
{
	if (g <= 1.0) {
		uint64_t u = sim_rng_u64(r);

		if ((double)(u >> 11) * 0x1.0p-53 < GAP_P)
			return 2 + (u & 1);
		return 1;
	}
	return 1 + (uint64_t)(-log1p(-sim_rng_unit(r)) * (g - 1.0));
}

/* The next price away from the inside, k ticks on; 0 when a bid would reach 0. */
static sim_fx next_away(const struct sim_inst *in, struct sim_rng *r, unsigned side,
			sim_fx p, double g)
{
	uint64_t k = spacing(r, g);
	sim_fx t, q;

	if (side == SIM_BID) {
		t = sim_inst_tick_at(in, p - 1);
		if (k > (uint64_t)(p / t))
			return 0;
		q = sim_inst_round_px(in, p - (sim_fx)k * t, SIM_BID);
		return q > 0 && q < p ? q : 0;
	}
	t = sim_inst_tick_at(in, p);
	if (k > (uint64_t)(p / t) + 1)
		k = (uint64_t)(p / t) + 1;
	q = sim_inst_round_px(in, p + (sim_fx)k * t, SIM_ASK);
	return q > p ? q : sim_inst_round_px(in, p + 1, SIM_ASK);
}

static sim_fx round_qty(const struct sim_inst *in, double q)
{
	sim_fx step = in->step > 0 ? in->step : 1;
	sim_fx v, lo = in->min_qty > step ? in->min_qty : step;

	if (!(q > 0))
		q = 0;
	if (q > 1e10)
		q = 1e10;
	v = (sim_fx)(q * (double)SIM_SCALE) / step * step;
	lo = (lo + step - 1) / step * step;
	if (v < lo)
		v = lo;
	if (in->max_qty >= lo && v > in->max_qty)
		v = in->max_qty / step * step;
	return v;
}

/* A level size around 'unit' base units: lognormal, mean about unit. */
static sim_fx level_qty(const struct sim_inst *in, struct sim_rng *r, double unit)
{
	uint64_t u = sim_rng_u64(r);
	double f = logn_tab[u & 255] * (0.875 + (double)((u >> 8) & 255) / 1024.0);

	return round_qty(in, unit * f);
}

/* Base units a level holds on average: depth_usdt over the top levels. */
static double level_unit(const struct sim_market *m, const struct sim_inst *in)
{
	const struct sim_scenario *sc = m->sc;
	double depth = 0;

	if (in->coin == SIM_COIN_FX) {
		for (uint32_t c = 0; c < sc->ncoins; c++)
			if (sc->coins[c].depth_usdt > depth)
				depth = sc->coins[c].depth_usdt;
		return (depth > 0 ? depth : DEF_DEPTH_USDT) / TOP_LEVELS;
	}
	depth = sc->coins[in->coin].depth_usdt;
	if (!(depth > 0))
		depth = DEF_DEPTH_USDT;
	if (!(m->mid_usdt[in->coin] > 0))
		return 0;
	return depth / m->mid_usdt[in->coin] / TOP_LEVELS;
}

/*
 * Move one side so that its best level is T: levels better than T go,
 * levels from T out to the old best appear (deepest first, so each lands
 * at the top), and the far end is refilled to depth.
 */
static void follow_side(struct sim_inst *in, struct sim_rng *r, unsigned side, sim_fx T,
			double g, double unit)
{
	struct sim_book_side *s = &in->book.side[side];
	uint32_t depth = eff_depth(in), k = 0;
	sim_fx add[SIM_BOOK_MAX];

	while (s->n && better(side, s->lv[0].px, T))
		sim_inst_set(in, side, s->lv[0].px, 0);
	if (!s->n || s->lv[0].px != T) {
		sim_fx p = T;

		while (p > 0 && k < depth && (!s->n || better(side, p, s->lv[0].px))) {
			add[k++] = p;
			p = next_away(in, r, side, p, g);
		}
		while (k) {
			k--;
			sim_inst_set(in, side, add[k], level_qty(in, r, unit));
		}
	}
	while (s->n < depth) {
		sim_fx p = s->n ? next_away(in, r, side, s->lv[s->n - 1].px, g) : T;

		if (p <= 0)
			break;
		sim_inst_set(in, side, p, level_qty(in, r, unit));
	}
}

/* The book's spread in ticks now (1-3), or a new one now and then. */
static unsigned spread_ticks(const struct sim_inst *in, struct sim_rng *r)
{
	const struct sim_book_side *b = &in->book.side[SIM_BID], *a = &in->book.side[SIM_ASK];
	uint64_t u = sim_rng_u64(r);
	sim_fx t, s;

	if (b->n && a->n && (double)(u >> 11) * 0x1.0p-53 >= SPREAD_REDRAW_P) {
		t = sim_inst_tick_at(in, b->lv[0].px);
		s = (a->lv[0].px - b->lv[0].px + t / 2) / t;
		return s < 1 ? 1 : s > 3 ? 3 : (unsigned)s;
	}
	return 1 + (unsigned)(u % 3);
}

/* Move the book to the instrument's fair mid; sig: its relative move per step. */
static void follow(const struct sim_market *m, struct sim_inst *in, struct sim_rng *r,
		   enum sim_venue_kind kind, double sig)
{
	double f = fair(m, in, kind), unit = level_unit(m, in), g;
	sim_fx fp, t, tb, ta;
	unsigned s;

	if (!(f > 0) || !(f < 9e10) || !(unit > 0))
		return;
	fp = (sim_fx)llround(f * (double)SIM_SCALE);
	t = sim_inst_tick_at(in, fp);
	if (fp < 4 * t)
		fp = 4 * t;
	g = f * sig / ((double)t / (double)SIM_SCALE) / MOVES_PER_LEVEL;
	if (!(g >= 1.0))
		g = 1.0;
	if (g > 1e9)
		g = 1e9;
	s = spread_ticks(in, r);
	/* bid and ask s ticks apart, their middle within half a tick of fp */
	tb = sim_inst_round_px(in, fp - (sim_fx)(s - 1) * t / 2, SIM_BID);
	ta = sim_inst_round_px(in, tb + (sim_fx)s * sim_inst_tick_at(in, tb), SIM_ASK);
	follow_side(in, r, SIM_BID, tb, g, unit);
	follow_side(in, r, SIM_ASK, ta, g, unit);
}

/* Another participant takes a little from the top of one side. */
static void market_trade(struct sim_inst *in, struct sim_rng *r, uint64_t now_ms)
{
	uint64_t u = sim_rng_u64(r);
	unsigned taker = u & 1 ? SIM_BID : SIM_ASK, side = taker == SIM_BID ? SIM_ASK : SIM_BID;
	struct sim_book_side *s = &in->book.side[side];
	struct sim_level top;
	sim_fx q;

	if ((double)(u >> 11) * 0x1.0p-53 >= TRADE_P || !s->n)
		return;
	top = s->lv[0];
	q = round_qty(in, (double)top.qty / SIM_SCALE * TRADE_SHARE * sim_rng_unit(r));
	/* take the whole level rather than leave less than the minimum, but
	 * never empty a side */
	if (top.qty - q < round_qty(in, 0))
		q = s->n > 1 ? top.qty : top.qty - round_qty(in, 0);
	if (q <= 0)
		return;
	sim_inst_trade(in, top.px, q, taker, now_ms);
	sim_inst_set(in, side, top.px, top.qty - q);
}

static void resize_some(struct sim_inst *in, struct sim_rng *r, double unit)
{
	for (unsigned side = SIM_BID; side <= SIM_ASK; side++) {
		struct sim_book_side *s = &in->book.side[side];
		uint64_t u = sim_rng_u64(r);
		uint32_t i, span;

		if ((double)(u >> 11) * 0x1.0p-53 >= RESIZE_P || !s->n)
			continue;
		span = (u & 3) ? (s->n < RESIZE_TOP ? s->n : RESIZE_TOP) : s->n;
		i = (uint32_t)sim_rng_below(r, span);
		sim_inst_set(in, side, s->lv[i].px, level_qty(in, r, unit));
	}
}

/* Load mode: the top must change every step; resize a best level if it did not. */
static void force_top(struct sim_inst *in, struct sim_rng *r, double unit,
		      const struct sim_level before[2], const uint32_t nbefore[2])
{
	unsigned side;
	struct sim_book_side *s;
	sim_fx q, step = in->step > 0 ? in->step : 1;

	for (side = SIM_BID; side <= SIM_ASK; side++) {
		s = &in->book.side[side];
		if (s->n != nbefore[side] || (s->n && (s->lv[0].px != before[side].px ||
						       s->lv[0].qty != before[side].qty)))
			return;
	}
	side = sim_rng_u64(r) & 1;
	s = &in->book.side[side];
	if (!s->n)
		s = &in->book.side[side ^= 1];
	if (!s->n)
		return;
	q = level_qty(in, r, unit);
	if (q == s->lv[0].qty)
		q += step;
	sim_inst_set(in, side, s->lv[0].px, q);
}

/* 0, or -EINVAL for no scenario or more coins or venues than the tables hold. */
int sim_market_init(struct sim_market *m, const struct sim_scenario *sc)
{
	if (!m || !sc || sc->ncoins > SIM_MAX_COINS || sc->nvenues > SIM_MAX_VENUES)
		return -EINVAL;
	logn_init();
	memset(m, 0, sizeof(*m));
	m->sc = sc;
	m->usdkrw = sc->usdkrw_start;
	m->premium = sc->premium.mean;
	sim_rng_seed(&m->rng_fx, sc->seed, STREAM_FX);
	sim_rng_seed(&m->rng_prem, sc->seed, STREAM_PREMIUM);
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		m->mid_usdt[c] = sc->coins[c].start_usdt;
		sim_rng_seed(&m->rng_coin[c], sc->seed, STREAM_COIN + c);
	}
	return 0;
}

static void inst_free(struct sim_inst *in)
{
	for (int side = 0; side < 2; side++) {
		struct sim_book_side *s = &in->book.side[side];

		free(s->base ? s->base : s->lv);
		s->base = s->lv = NULL;
		s->n = s->cap = 0;
	}
	free(in->chg);
	free(in->chg_hash);
	free(in->trades);
	free(in->view.lv[SIM_BID]);     /* one block for both sides */
	in->view.lv[SIM_BID] = in->view.lv[SIM_ASK] = NULL;
	in->view.n[SIM_BID] = in->view.n[SIM_ASK] = 0;
	in->chg = NULL;
	in->chg_hash = NULL;
	in->trades = NULL;
	in->nchg = in->chg_cap = in->ntrades = in->trade_cap = 0;
}

void sim_market_free(struct sim_market *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->ninsts; i++)
		inst_free(&m->inst[i]);
	m->ninsts = 0;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static bool copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : cap;

	if (!n || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/*
 * The instrument lives in m->inst (owned by the market until
 * sim_market_free). Its rules get neutral defaults (tick and step 1e-8,
 * the venue's depth) for the venue file to overwrite. NULL when the table
 * (or the venue's) is full, on bad arguments, a duplicate symbol on the
 * venue, a full asset table or no memory.
 */
struct sim_inst *sim_market_add_inst(struct sim_market *m, uint8_t venue, int coin,
				     const char *sym, const char *base, const char *quote)
{
	const struct sim_scenario *sc = m->sc;
	struct sim_inst *in;
	uint32_t nv = 0;
	int ba, qa;

	if (!sc || m->ninsts >= SIM_MAX_INSTS || venue >= sc->nvenues ||
	    (coin != SIM_COIN_FX && (coin < 0 || (uint32_t)coin >= sc->ncoins)) || !sym)
		return NULL;
	for (uint32_t i = 0; i < m->ninsts; i++) {
		if (m->inst[i].venue != venue)
			continue;
		if (!strcmp(m->inst[i].sym, sym))
			return NULL;
		nv++;
	}
	if (nv >= SIM_VENUE_INSTS)
		return NULL;
	in = &m->inst[m->ninsts];
	memset(in, 0, sizeof(*in));
	if (!copy_name(in->sym, sizeof(in->sym), sym) ||
	    !copy_name(in->base, sizeof(in->base), base) ||
	    !copy_name(in->quote, sizeof(in->quote), quote))
		goto bad;
	ba = sim_asset_id(base);
	qa = sim_asset_id(quote);
	if (ba < 0 || qa < 0)
		goto bad;
	for (int side = 0; side < 2; side++) {
		struct sim_book_side *s = &in->book.side[side];

		s->base = calloc(SIDE_CAP, sizeof(*s->base));
		if (!s->base)
			goto nomem;
		s->cap = SIDE_CAP;
		s->lv = s->base + SIDE_CAP / 2;
	}
	in->chg = calloc(CHG_CAP, sizeof(*in->chg));
	in->chg_hash = calloc(CHG_HASH_SLOTS, sizeof(*in->chg_hash));
	in->trades = calloc(TRADE_CAP, sizeof(*in->trades));
	in->view.lv[SIM_BID] = calloc(2 * SIM_BOOK_MAX, sizeof(struct sim_level));
	if (!in->chg || !in->chg_hash || !in->trades || !in->view.lv[SIM_BID])
		goto nomem;
	in->view.lv[SIM_ASK] = in->view.lv[SIM_BID] + SIM_BOOK_MAX;
	in->chg_cap = CHG_CAP;
	in->chg_hmask = CHG_HASH_SLOTS - 1;
	in->trade_cap = TRADE_CAP;
	in->id = (uint16_t)m->ninsts;
	in->venue = venue;
	in->vidx = (uint8_t)nv;
	in->coin = (int16_t)coin;
	in->base_asset = (uint8_t)ba;
	in->quote_asset = (uint8_t)qa;
	in->tick = 1;
	in->step = 1;
	in->depth = sc->venues[venue].depth;
	in->next_trade_id = 1;
	sim_rng_seed(&m->rng_inst[in->id], sc->seed,
		     STREAM_INST ^ ((uint64_t)venue << 56) ^ fnv1a(sym));
	m->ninsts++;
	return in;
nomem:
	inst_free(in);
bad:
	memset(in, 0, sizeof(*in));
	return NULL;
}

/* Relative move of an instrument's fair mid per step (for level spacing). */
static double inst_sig(const struct sim_market *m, const struct sim_inst *in,
		       enum sim_venue_kind kind, double sq_yr, double sq_dt)
{
	const struct sim_scenario *sc = m->sc;
	double fx = sc->usdkrw_vol * sq_yr, prem = sc->premium.vol * sq_dt, coin;

	if (in->coin == SIM_COIN_FX)
		return fx + FX_PREMIUM_SHARE * prem;
	coin = sc->coins[in->coin].vol * sq_yr;
	if (kind == SIM_USDT)
		return coin;
	return coin + fx + prem + sc->coins[in->coin].krw_vol_bps * 1e-4;
}

void sim_market_start(struct sim_market *m, uint64_t now_ms)
{
	double dt = step_dt(m->sc), sq_yr = sqrt(dt / YEAR_S), sq_dt = sqrt(dt);

	for (uint32_t i = 0; i < m->ninsts; i++) {
		struct sim_inst *in = &m->inst[i];
		enum sim_venue_kind kind = inst_kind(m, in);
		uint64_t id = in->update_id;

		if (!in->depth || in->depth > SIM_BOOK_MAX)
			in->depth = SIM_BOOK_MAX;
		for (int side = 0; side < 2; side++) {
			struct sim_book_side *s = &in->book.side[side];

			s->n = 0;
			if (s->base)
				s->lv = s->base + s->cap / 2;
		}
		follow(m, in, &m->rng_inst[i], kind, inst_sig(m, in, kind, sq_yr, sq_dt));
		/* the whole first book is one update */
		sim_inst_drain(in);
		in->update_id = id + 1;
		in->ntrades = 0;
		in->book_ts_ms = now_ms;
		in->open_px = in->high_px = in->low_px = in->last_px = in->prev_close =
			in->book.side[SIM_BID].n ? in->book.side[SIM_BID].lv[0].px : 0;
		in->acc_volume = in->acc_quote = 0;
	}
	m->now_ms = now_ms;
}

static void premium_step(struct sim_market *m, double dt)
{
	const struct sim_premium_cfg *p = &m->sc->premium;
	struct sim_rng *r = &m->rng_prem;
	double x = m->premium - p->mean, z = sim_rng_normal(r), u = sim_rng_unit(r);

	if (p->revert > 0) {
		double e = exp(-p->revert * dt);

		x = x * e + p->vol * sqrt((1.0 - e * e) / (2.0 * p->revert)) * z;
	} else {
		x += p->vol * sqrt(dt) * z;
	}
	if (p->jump_rate > 0) {
		/* Poisson(jump_rate dt) jumps by inversion */
		double lam = p->jump_rate * dt, pk = exp(-lam), cdf = pk;
		unsigned n = 0;

		while (u > cdf && n < 32) {
			n++;
			pk *= lam / n;
			cdf += pk;
		}
		while (n--)
			x += p->jump_size * sim_rng_normal(r);
	}
	m->premium = p->mean + x;
}

static void day_roll(struct sim_market *m)
{
	for (uint32_t i = 0; i < m->ninsts; i++) {
		struct sim_inst *in = &m->inst[i];

		in->prev_close = in->last_px;
		in->open_px = in->high_px = in->low_px = in->last_px;
		in->acc_volume = in->acc_quote = 0;
	}
}

void sim_market_step(struct sim_market *m, uint64_t now_ms)
{
	const struct sim_scenario *sc = m->sc;
	double dt = step_dt(sc), sq_yr = sqrt(dt / YEAR_S), sq_dt = sqrt(dt);
	double s, noise_keep = exp(-dt / NOISE_TAU_S);
	enum sim_venue_kind kind[SIM_MAX_VENUES];

	m->steps++;
	m->t_s += dt;
	s = sc->usdkrw_vol * sq_yr;
	m->usdkrw *= exp(s * sim_rng_normal(&m->rng_fx) - 0.5 * s * s);
	premium_step(m, dt);
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		s = sc->coins[c].vol * sq_yr;
		m->mid_usdt[c] *= exp(s * sim_rng_normal(&m->rng_coin[c]) - 0.5 * s * s);
	}
	if (m->now_ms && now_ms / DAY_MS != m->now_ms / DAY_MS)
		day_roll(m);
	for (uint32_t v = 0; v < sc->nvenues; v++)
		kind[v] = sim_venue_name_kind(sc->venues[v].name);
	for (uint32_t i = 0; i < m->ninsts; i++) {
		struct sim_inst *in = &m->inst[i];
		struct sim_rng *r = &m->rng_inst[i];
		struct sim_level before[2] = { { 0, 0 }, { 0, 0 } };
		uint32_t nbefore[2];
		uint64_t id = in->update_id;
		double unit;

		if (in->coin >= 0 && kind[in->venue] == SIM_KRW) {
			double *x = &m->krw_noise[in->venue][in->coin];

			*x = *x * noise_keep +
			     sc->coins[in->coin].krw_vol_bps * 1e-4 * sim_rng_normal(r);
		}
		for (int side = 0; side < 2; side++) {
			nbefore[side] = in->book.side[side].n;
			if (nbefore[side])
				before[side] = in->book.side[side].lv[0];
		}
		follow(m, in, r, kind[in->venue], inst_sig(m, in, kind[in->venue], sq_yr, sq_dt));
		unit = level_unit(m, in);
		if (unit > 0) {
			resize_some(in, r, unit);
			market_trade(in, r, now_ms);
			if (sc->load_rate)
				force_top(in, r, unit, before, nbefore);
		}
		if (in->update_id != id)
			in->book_ts_ms = now_ms;
	}
	m->now_ms = now_ms;
}
