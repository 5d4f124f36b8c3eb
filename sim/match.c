/* SPDX-License-Identifier: MIT */
/*
 * exsim's accounts, orders and matching engine.
 *
 * Orders match against the simulated market's books (market.c). A taker
 * walks the opposite side best first while the price is within its limit,
 * taking liquidity level by level through sim_inst_set (so the public book
 * shows it) and printing one public trade per level through sim_inst_trade.
 *
 * Our resting orders are NOT in the public book: a GTC or post-only
 * remainder rests in the order table only, invisible to the simulated crowd
 * and to every venue's public depth. It fills, as a maker and at its own
 * price, when a later market step moves the opposite best across it
 * (sim_exch_after_step), taking what the crossing levels hold out of the
 * book. Our own orders never match each other.
 *
 * Money: per account and asset, free and locked. An order locks at entry (a
 * buy: quote, plus the taker fee on lock_fee venues; a sell: base), each
 * fill settles from that lock, and when the order ends (filled, cancelled,
 * expired) what is left of its lock goes back to free exactly: an account's
 * locked[asset] is always the sum of its open orders' o->locked. Every
 * change calls ops->on_balance and sim_ledger_balance with the deltas, and
 * no balance ever goes below zero (asserted: an engine bug must not quietly
 * make money up in the ground truth).
 *
 * Fees are charged per fill and rounded UP to 1e-8: the venue never
 * under-charges (the single exception is in fill(): dust the account does
 * not have).
 *
 * Storage: x->orders holds SIM_MAX_ORDERS, made at init. Once every slot has
 * been used, a new order takes the next closed slot in slot order (a sweep
 * that visits the oldest first; an order that stayed open through a whole
 * sweep waits for the next one). Lookups of the order that was there then
 * fail, like a venue that has forgotten an old order. Rejected orders are
 * stored too (cid_forever venues must remember their client ids) but get no
 * id or uuid and are never returned by the lookups, like a venue that never
 * created them. Lookups by id, uuid and client id go through chained hash
 * tables over the slots; open orders are kept in a list, oldest first, that
 * cancels and the maker pass scan linearly (there are few).
 *
 * Callbacks (ops->on_order, ops->on_balance) must not call sim_exch_*. An
 * order event comes before the balance changes it causes.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define NBUCKET    (1u << 16)
#define RATE_ONE   10000000000LL        /* fee rates in 1e-10 */
#define FX_SANE    1000000000000000000LL /* 1e10 units: larger is a bad param */

/* A chained hash over the order slots: slot + 1, 0 ends a chain. */
struct idx_tab {
	uint32_t head[NBUCKET];
	uint32_t next[SIM_MAX_ORDERS];
};

/* One level of a planned taker walk. */
struct leg {
	sim_fx px;
	sim_fx take;            /* what we take */
	sim_fx left;            /* what the level keeps */
};

struct walk {
	uint32_t n;             /* legs in idx->leg */
	sim_fx qty, quote;      /* totals */
	bool whole;             /* the order completes */
};

/* What an order locks at entry. */
struct need {
	unsigned asset;
	sim_fx notional;        /* a buy's quote for the fills (limit x qty, ...) */
	sim_fx reserve;         /* a buy's fee reserve (lock_fee) */
	sim_fx amount;          /* locked: notional + reserve, or base */
};

struct sim_match_idx {
	struct idx_tab by_id, by_uuid, by_cid;
	uint32_t reuse_at;      /* where the reuse sweep goes on */
	uint32_t nopen;
	uint32_t open[SIM_MAX_ORDERS];  /* slots of open orders, oldest first */
	uint32_t nopen_ai[SIM_MAX_ACCOUNTS][SIM_MAX_INSTS];
	uint32_t cand[SIM_MAX_ORDERS];  /* sim_exch_after_step's crossed orders */
	struct leg leg[SIM_BOOK_MAX];
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static uint32_t bucket_id(unsigned venue, uint64_t id)
{
	return (uint32_t)mix64(((uint64_t)venue << 56) ^ id) & (NBUCKET - 1);
}

static uint32_t bucket_str(unsigned k, const char *s)
{
	return (uint32_t)(str_hash(s) ^ mix64(k)) & (NBUCKET - 1);
}

static void tab_add(struct idx_tab *t, uint32_t b, uint32_t slot)
{
	t->next[slot] = t->head[b];
	t->head[b] = slot + 1;
}

static void tab_del(struct idx_tab *t, uint32_t b, uint32_t slot)
{
	uint32_t *p = &t->head[b];

	while (*p) {
		if (*p == slot + 1) {
			*p = t->next[slot];
			return;
		}
		p = &t->next[*p - 1];
	}
}

static uint64_t now_ms(const struct sim_exch *x)
{
	return x->m ? x->m->now_ms : 0;
}

static unsigned order_venue(const struct sim_exch *x, const struct sim_order *o)
{
	return x->acct[o->acct].venue;
}

/* A fee rate (0.0005) in 1e-10. */
static int64_t rate_e10(double r)
{
	return (int64_t)(r * (double)RATE_ONE + 0.5);
}

/* amount x rate, rounded up to 1e-8: the venue never under-charges. */
static sim_fx fee_up(sim_fx amount, int64_t rate)
{
	__int128 p = (__int128)amount * rate;

	return (sim_fx)((p + RATE_ONE - 1) / RATE_ONE);
}

static sim_fx step_down(const struct sim_inst *in, sim_fx q)
{
	return in->step > 0 ? q - q % in->step : q;
}

static sim_fx fx_min(sim_fx a, sim_fx b)
{
	return a < b ? a : b;
}

/*
 * A version-4-looking uuid made from (venue, id) alone, so runs and tests
 * are reproducible: 8-4-4-4-12 lower-case hex, version 4, variant 10xx.
 */
static void make_uuid(char out[40], unsigned venue, uint64_t id)
{
	uint64_t hi = mix64(((uint64_t)venue << 56) ^ id ^ 0x5555aaaa00000000ull);
	uint64_t lo = mix64(hi ^ id);

	hi = (hi & ~0xf000ull) | 0x4000ull;
	lo = (lo & ~(3ull << 62)) | (2ull << 62);
	snprintf(out, 40, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
		 (unsigned)(hi >> 16) & 0xffffu, (unsigned)hi & 0xffffu,
		 (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffull));
}

/* ---- events ---------------------------------------------------------------- */

/* Move an account's balance of 'asset' by the deltas, and tell everyone. */
static void bal(struct sim_exch *x, struct sim_account *a, unsigned asset, sim_fx dfree,
		sim_fx dlocked)
{
	if (!dfree && !dlocked)
		return;
	a->free[asset] += dfree;
	a->locked[asset] += dlocked;
	assert(a->free[asset] >= 0 && a->locked[asset] >= 0);
	a->balance_ts_ms = now_ms(x);
	sim_ledger_balance(x->ledger, x, a, asset, dfree, dlocked);
	if (x->ops && x->ops->on_balance)
		x->ops->on_balance(x->ctx, a, asset);
}

static void order_ev(struct sim_exch *x, const struct sim_order *o, const char *what)
{
	sim_ledger_order(x->ledger, x, o, what);
	if (x->ops && x->ops->on_order)
		x->ops->on_order(x->ctx, o, NULL);
}

/* ---- storage ------------------------------------------------------------- */

static void order_index(struct sim_exch *x, uint32_t slot)
{
	struct sim_match_idx *ix = x->idx;
	const struct sim_order *o = &x->orders[slot];
	unsigned v = order_venue(x, o);

	if (o->id) {
		tab_add(&ix->by_id, bucket_id(v, o->id), slot);
		tab_add(&ix->by_uuid, bucket_str(v, o->uuid), slot);
	}
	if (o->cid[0])
		tab_add(&ix->by_cid, bucket_str(o->acct, o->cid), slot);
}

static void order_unindex(struct sim_exch *x, uint32_t slot)
{
	struct sim_match_idx *ix = x->idx;
	const struct sim_order *o = &x->orders[slot];
	unsigned v = order_venue(x, o);

	if (o->id) {
		tab_del(&ix->by_id, bucket_id(v, o->id), slot);
		tab_del(&ix->by_uuid, bucket_str(v, o->uuid), slot);
	}
	if (o->cid[0])
		tab_del(&ix->by_cid, bucket_str(o->acct, o->cid), slot);
}

/* A free slot (zeroed), or -1 when every stored order is open. */
static int slot_get(struct sim_exch *x)
{
	struct sim_match_idx *ix = x->idx;
	uint32_t s;

	if (x->norders < SIM_MAX_ORDERS) {
		s = x->norders++;
		goto got;
	}
	for (uint32_t n = 0; n < SIM_MAX_ORDERS; n++) {
		s = ix->reuse_at;
		ix->reuse_at = (s + 1) % SIM_MAX_ORDERS;
		if (!x->orders[s].open) {
			order_unindex(x, s);
			goto got;
		}
	}
	return -1;
got:
	memset(&x->orders[s], 0, sizeof(x->orders[s]));
	return (int)s;
}

static void open_add(struct sim_exch *x, struct sim_order *o)
{
	struct sim_match_idx *ix = x->idx;

	ix->open[ix->nopen++] = (uint32_t)(o - x->orders);
	ix->nopen_ai[o->acct][o->inst]++;
	o->open = true;
}

static void open_del(struct sim_exch *x, struct sim_order *o)
{
	struct sim_match_idx *ix = x->idx;
	uint32_t slot = (uint32_t)(o - x->orders);

	for (uint32_t i = 0; i < ix->nopen; i++) {
		if (ix->open[i] != slot)
			continue;
		memmove(&ix->open[i], &ix->open[i + 1],
			(ix->nopen - i - 1) * sizeof(ix->open[0]));
		ix->nopen--;
		ix->nopen_ai[o->acct][o->inst]--;
		break;
	}
	o->open = false;
}

/* ---- setup ----------------------------------------------------------------- */

/*
 * x is zeroed and set up; rules are all zero until the venues set them.
 * Set x->ops and x->ctx after. 0 or -ENOMEM; sim_exch_free undoes it.
 */
int sim_exch_init(struct sim_exch *x, struct sim_market *m, struct sim_ledger *lg)
{
	memset(x, 0, sizeof(*x));
	x->m = m;
	x->ledger = lg;
	x->orders = calloc(SIM_MAX_ORDERS, sizeof(*x->orders));
	if (!x->orders)
		goto fail;
	x->idx = calloc(1, sizeof(*x->idx));
	if (!x->idx)
		goto free_orders;
	for (unsigned v = 0; v < SIM_MAX_VENUES; v++) {
		x->next_order_id[v] = 1;
		x->next_exec_id[v] = 1;
	}
	return 0;

free_orders:
	free(x->orders);
	x->orders = NULL;
fail:
	return -ENOMEM;
}

void sim_exch_free(struct sim_exch *x)
{
	free(x->idx);
	free(x->orders);
	x->idx = NULL;
	x->orders = NULL;
	x->norders = 0;
}

static int venue_index(const struct sim_scenario *sc, const char *name)
{
	for (uint32_t v = 0; v < sc->nvenues && v < SIM_MAX_VENUES; v++)
		if (!strcmp(sc->venues[v].name, name))
			return (int)v;
	return -1;
}

static bool rules_ok(const struct sim_venue_rules *ru)
{
	return ru->maker_fee >= 0 && ru->maker_fee < 1 && ru->taker_fee >= 0 &&
	       ru->taker_fee < 1 && (ru->fee_rule == SIM_FEE_QUOTE ||
				     ru->fee_rule == SIM_FEE_RECEIVED);
}

/* One account from its configuration into *a (not yet added). 0 or -errno. */
static int account_make(struct sim_exch *x, const struct sim_scenario *sc,
			const struct sim_account_cfg *cfg, struct sim_account *a)
{
	size_t klen = strnlen(cfg->key, SIM_KEY_MAX);
	size_t slen = strnlen(cfg->secret, SIM_KEY_MAX);
	int v = venue_index(sc, cfg->venue);

	if (v < 0 || klen == SIM_KEY_MAX || slen == SIM_KEY_MAX || !klen ||
	    cfg->nbal > SIM_MAX_ASSETS || !rules_ok(&x->rules[v]))
		return -EINVAL;
	if (sim_exch_account_by_key(x, (unsigned)v, cfg->key, klen))
		return -EEXIST;
	memset(a, 0, sizeof(*a));
	a->id = (uint8_t)x->naccts;
	a->venue = (uint8_t)v;
	memcpy(a->key, cfg->key, klen + 1);
	memcpy(a->secret, cfg->secret, slen + 1);
	a->secret_len = slen;
	for (uint32_t j = 0; j < cfg->nbal; j++) {
		int id = sim_asset_id(cfg->bal[j].asset);

		if (id < 0 || id >= SIM_MAX_ASSETS)
			return -ENOSPC;
		if (cfg->bal[j].amount < 0 || cfg->bal[j].amount > FX_SANE)
			return -EINVAL;
		a->free[id] += cfg->bal[j].amount;
	}
	return 0;
}

/*
 * Add the scenario's accounts, in order (account id = index), after the
 * venues set their rules. Starting balances go to the ledger as balance
 * events from zero (no on_balance: nobody is connected yet). 0, or
 * -EINVAL (unknown venue, bad key, negative balance, bad fee rules),
 * -EEXIST (a key twice on one venue), -ENOSPC (too many accounts or
 * assets); on error no account of this call is kept.
 */
int sim_exch_accounts(struct sim_exch *x, const struct sim_scenario *sc)
{
	uint32_t start = x->naccts;
	int err = 0;

	for (uint32_t i = 0; i < sc->naccounts; i++) {
		struct sim_account a;

		if (x->naccts == SIM_MAX_ACCOUNTS) {
			err = -ENOSPC;
			goto undo;
		}
		err = account_make(x, sc, &sc->accounts[i], &a);
		if (err)
			goto undo;
		x->acct[x->naccts++] = a;
	}
	for (uint32_t i = start; i < x->naccts; i++)
		for (unsigned k = 0; k < SIM_MAX_ASSETS; k++)
			if (x->acct[i].free[k])
				sim_ledger_balance(x->ledger, x, &x->acct[i], k,
						   x->acct[i].free[k], 0);
	return 0;

undo:
	memset(&x->acct[start], 0, (x->naccts - start) * sizeof(x->acct[0]));
	x->naccts = start;
	return err;
}

/* The account of 'venue' whose key is key[0..len) (not NUL-terminated), or NULL. */
struct sim_account *sim_exch_account_by_key(struct sim_exch *x, unsigned venue,
					    const char *key, size_t len)
{
	for (uint32_t i = 0; i < x->naccts; i++) {
		struct sim_account *a = &x->acct[i];

		if (a->venue == venue && strlen(a->key) == len && !memcmp(a->key, key, len))
			return a;
	}
	return NULL;
}

/* ---- the walk -------------------------------------------------------------- */

/*
 * Plan a taker walk of the side opposite 'side' for target (base, or quote
 * when by_quote) at prices no worse than limit (0: any), into ix->leg.
 * Changes nothing. By quote, each level gives remaining quote / price
 * rounded down to the step; the order is whole when the quote is spent to
 * a dust that buys no step where liquidity is left.
 */
static void walk_plan(struct sim_match_idx *ix, const struct sim_inst *in, unsigned side,
		      sim_fx limit, bool by_quote, sim_fx target, struct walk *w)
{
	const struct sim_book_side *bs = &in->book.side[side ^ 1];
	sim_fx rem = target;
	bool left = false;

	memset(w, 0, sizeof(*w));
	for (uint32_t i = 0; i < bs->n && rem > 0; i++) {
		const struct sim_level *lv = &bs->lv[i];
		sim_fx take, q;

		if (limit && (side == SIM_BID ? lv->px > limit : lv->px < limit))
			break;
		if (lv->qty <= 0 || lv->px <= 0)
			continue;
		take = fx_min(lv->qty, by_quote ? step_down(in, sim_div(rem, lv->px)) : rem);
		if (take <= 0) {
			left = true;
			continue;
		}
		q = sim_mul(lv->px, take);
		ix->leg[w->n++] = (struct leg){ .px = lv->px, .take = take, .left = lv->qty - take };
		if (take < lv->qty)
			left = true;
		rem -= by_quote ? q : take;
		w->qty += take;
		w->quote += q;
	}
	w->whole = rem == 0 || (by_quote && left && w->n);
}

/*
 * The quote a buy still needs for its notional after a fill of (qty,
 * quote): a limit's price x remaining quantity, else what was locked for
 * the notional less what the fills spent.
 */
static sim_fx buy_need_after(const struct sim_order *o, sim_fx qty, sim_fx quote,
			     sim_fx lock_notional)
{
	sim_fx n;

	if (o->type == SIM_ORD_LIMIT)
		return sim_mul(o->px, o->qty - o->filled - qty);
	n = lock_notional - o->filled_quote - quote;
	return n > 0 ? n : 0;
}

/*
 * One fill of o: qty at px, as maker or taker; last: it completes the
 * order. Prints the public trade, settles, reports. lock_notional: see
 * buy_need_after (unused for limit orders).
 */
static void fill(struct sim_exch *x, struct sim_order *o, struct sim_inst *in, sim_fx px,
		 sim_fx qty, bool maker, bool last, sim_fx lock_notional)
{
	struct sim_account *a = &x->acct[o->acct];
	const struct sim_venue_rules *ru = &x->rules[a->venue];
	int64_t rate = rate_e10(maker ? ru->maker_fee : ru->taker_fee);
	unsigned qa = in->quote_asset, ba = in->base_asset;
	sim_fx quote = sim_mul(px, qty);
	sim_fx dq_free = 0, dq_locked = 0, db_free = 0, db_locked = 0;
	struct sim_fill f = {
		.px = px, .qty = qty, .quote = quote, .maker = maker, .ts_ms = now_ms(x),
	};

	if (o->side == SIM_BID && ru->fee_rule == SIM_FEE_RECEIVED) {
		f.fee = fee_up(qty, rate);
		f.fee_asset = (uint8_t)ba;
		dq_locked = -quote;
		db_free = qty - f.fee;
	} else if (o->side == SIM_BID) {
		/*
		 * The fee comes from what the lock holds beyond the notional the
		 * rest of the order needs (the lock_fee reserve, or savings from
		 * better prices), else from free. Only when both lack it (per-fill
		 * rounding outran the reserve by a few 1e-8, or a venue that does
		 * not lock fees) is the fee cut to what the account has: the one
		 * case where the venue under-charges.
		 */
		sim_fx fee = fee_up(quote, rate);
		sim_fx spare = o->locked - quote - buy_need_after(o, qty, quote, lock_notional);
		sim_fx from_lock = spare > 0 ? fx_min(fee, spare) : 0;
		sim_fx from_free = fx_min(fee - from_lock, a->free[qa]);

		f.fee = from_lock + from_free;
		f.fee_asset = (uint8_t)qa;
		dq_locked = -(quote + from_lock);
		dq_free = -from_free;
		db_free = qty;
	} else {
		f.fee = fee_up(quote, rate);
		f.fee_asset = (uint8_t)qa;
		db_locked = -qty;
		dq_free = quote - f.fee;
	}
	o->locked += o->side == SIM_BID ? dq_locked : db_locked;
	o->filled += qty;
	o->filled_quote += quote;
	o->fee += f.fee;
	o->fee_asset = f.fee_asset;
	o->ntrades++;
	o->updated_ms = f.ts_ms;
	o->status = last ? SIM_ST_FILLED : SIM_ST_PARTIAL;

	/* the id sim_inst_trade gives the trade it is about to print */
	f.trade_id = in->next_trade_id ? in->next_trade_id : 1;
	sim_inst_trade(in, px, qty, maker ? o->side ^ 1u : o->side, f.ts_ms);
	f.exec_id = x->next_exec_id[a->venue]++;
	x->stats_fills++;
	sim_ledger_fill(x->ledger, x, o, &f);
	if (x->ops && x->ops->on_order)
		x->ops->on_order(x->ctx, o, &f);
	bal(x, a, qa, dq_free, dq_locked);
	bal(x, a, ba, db_free, db_locked);
}

/*
 * End o with 'status': off the open list, its lock back to free. what:
 * the event to report ("cancel", "expire"), or NULL (a fill reported it).
 */
static void order_end(struct sim_exch *x, struct sim_order *o, uint8_t status,
		      const char *what)
{
	const struct sim_inst *in = &x->m->inst[o->inst];
	unsigned asset = o->side == SIM_BID ? in->quote_asset : in->base_asset;
	sim_fx rel = o->locked;

	if (o->open)
		open_del(x, o);
	o->locked = 0;
	o->status = status;
	o->updated_ms = now_ms(x);
	if (what)
		order_ev(x, o, what);
	bal(x, &x->acct[o->acct], asset, rel, -rel);
}

/* ---- checks ---------------------------------------------------------------- */

static bool params_ok(const struct sim_order_req *r)
{
	if (r->side > SIM_ASK || r->type > SIM_ORD_BEST || r->tif > SIM_POST_ONLY)
		return false;
	if (!memchr(r->cid, '\0', sizeof(r->cid)))
		return false;
	if (r->px < 0 || r->qty < 0 || r->quote_qty < 0 || r->px > FX_SANE ||
	    r->qty > FX_SANE || r->quote_qty > FX_SANE)
		return false;
	switch (r->type) {
	case SIM_ORD_LIMIT:
		return r->px > 0 && r->qty > 0 && !r->quote_qty &&
		       (__int128)r->px * r->qty / SIM_SCALE <= FX_SANE;
	/* a market order never rests: GTC means "none given" and acts as IOC */
	case SIM_ORD_MARKET:
		return !r->px && r->qty > 0 && !r->quote_qty && r->tif != SIM_POST_ONLY;
	case SIM_ORD_MARKET_QUOTE:
		return !r->px && !r->qty && r->quote_qty > 0 && r->tif != SIM_POST_ONLY;
	case SIM_ORD_BEST:
		if (r->px || (r->tif != SIM_IOC && r->tif != SIM_FOK))
			return false;
		if (r->side == SIM_BID)
			return r->quote_qty > 0 && !r->qty;
		return r->qty > 0 && !r->quote_qty;
	default:
		return false;
	}
}

/* cid_forever: any stored order of the account with cid; else an open one. */
static bool cid_taken(const struct sim_exch *x, unsigned acct, const char *cid, bool forever)
{
	const struct idx_tab *t = &x->idx->by_cid;

	for (uint32_t s = t->head[bucket_str(acct, cid)]; s; s = t->next[s - 1]) {
		const struct sim_order *o = &x->orders[s - 1];

		if (o->acct == acct && !strcmp(o->cid, cid) && (forever || o->open))
			return true;
	}
	return false;
}

static bool by_quote(const struct sim_order_req *r)
{
	return r->type == SIM_ORD_MARKET_QUOTE || (r->type == SIM_ORD_BEST && r->side == SIM_BID);
}

static const struct sim_level *best(const struct sim_inst *in, unsigned side)
{
	const struct sim_book_side *bs = &in->book.side[side];

	return bs->n ? &bs->lv[0] : NULL;
}

/* Tick, step, quantity and notional bounds, post-only. */
static enum sim_reject check_rules(const struct sim_inst *in, const struct sim_order_req *r)
{
	const struct sim_level *opp = best(in, r->side ^ 1u);
	__int128 notional = -1;

	if (r->type == SIM_ORD_LIMIT) {
		sim_fx tick = sim_inst_tick_at(in, r->px);

		if (tick > 0 && r->px % tick)
			return SIM_REJ_TICK;
	}
	if (r->qty > 0) {
		if (in->step > 0 && r->qty % in->step)
			return SIM_REJ_STEP;
		if (in->min_qty > 0 && r->qty < in->min_qty)
			return SIM_REJ_MIN_QTY;
		if (in->max_qty > 0 && r->qty > in->max_qty)
			return SIM_REJ_MAX_QTY;
	}
	/* by base without a price: valued at the best opposite price, if any */
	if (r->type == SIM_ORD_LIMIT)
		notional = (__int128)r->px * r->qty / SIM_SCALE;
	else if (r->quote_qty > 0)
		notional = r->quote_qty;
	else if (opp)
		notional = (__int128)opp->px * r->qty / SIM_SCALE;
	if (notional >= 0 && in->min_notional > 0 && notional < in->min_notional)
		return SIM_REJ_MIN_NOTIONAL;
	if (notional >= 0 && in->max_notional > 0 && notional > in->max_notional)
		return SIM_REJ_MAX_NOTIONAL;
	if (r->tif == SIM_POST_ONLY && opp &&
	    (r->side == SIM_BID ? opp->px <= r->px : opp->px >= r->px))
		return SIM_REJ_WOULD_TAKE;
	return SIM_OK;
}

/* What the order must lock; w is its planned walk. */
static void order_need(const struct sim_venue_rules *ru, const struct sim_inst *in,
		       const struct sim_order_req *r, const struct walk *w, struct need *nd)
{
	memset(nd, 0, sizeof(*nd));
	if (r->side == SIM_ASK) {
		nd->asset = in->base_asset;
		nd->amount = r->type == SIM_ORD_MARKET_QUOTE ? w->qty : r->qty;
		return;
	}
	nd->asset = in->quote_asset;
	if (r->type == SIM_ORD_LIMIT)
		nd->notional = sim_mul(r->px, r->qty);
	else if (by_quote(r))
		nd->notional = r->quote_qty;
	else
		nd->notional = w->quote;        /* what the walk costs */
	if (ru->lock_fee)
		nd->reserve = fee_up(nd->notional, rate_e10(ru->taker_fee));
	nd->amount = nd->notional + nd->reserve;
}

/*
 * Every check, in the order the venues apply them; the walk is planned on
 * the way (FOK and funds need it). *fok_expire: an unfillable FOK on a
 * venue that expires them; it must still pass funds and the open-order
 * limit (it is accepted, then expires at once with nothing locked).
 */
static enum sim_reject check_order(struct sim_exch *x, const struct sim_order_req *r,
				   const struct sim_account *a, struct walk *w,
				   struct need *nd, bool *fok_expire)
{
	const struct sim_venue_rules *ru = &x->rules[a->venue];
	const struct sim_inst *in;
	const struct sim_level *opp;
	enum sim_reject rej;
	sim_fx limit = 0;

	if (!x->m || r->inst >= x->m->ninsts || x->m->inst[r->inst].venue != a->venue)
		return SIM_REJ_NO_MARKET;
	in = &x->m->inst[r->inst];
	if (!params_ok(r))
		return SIM_REJ_BAD_PARAM;
	if (r->cid[0] && cid_taken(x, r->acct, r->cid, ru->cid_forever))
		return SIM_REJ_DUP_CID;
	rej = check_rules(in, r);
	if (rej)
		return rej;

	/* best: a limit at the best opposite price (Upbit's 최유리 지정가) */
	opp = best(in, r->side ^ 1u);
	if (r->type == SIM_ORD_LIMIT)
		limit = r->px;
	else if (r->type == SIM_ORD_BEST && opp)
		limit = opp->px;
	if (r->tif != SIM_POST_ONLY)
		walk_plan(x->idx, in, r->side, limit, by_quote(r),
			  by_quote(r) ? r->quote_qty : r->qty, w);
	if (r->tif == SIM_FOK && !w->whole) {
		if (ru->fok_rejects)
			return SIM_REJ_FOK;
		*fok_expire = true;
	}
	order_need(ru, in, r, w, nd);
	if (a->free[nd->asset] < nd->amount)
		return SIM_REJ_FUNDS;
	if (ru->max_open && x->idx->nopen_ai[r->acct][r->inst] >= ru->max_open)
		return SIM_REJ_TOO_MANY_ORDERS;
	return SIM_OK;
}

static void order_from_req(struct sim_order *o, const struct sim_order_req *r, uint64_t ms)
{
	memcpy(o->cid, r->cid, sizeof(o->cid));
	o->cid[sizeof(o->cid) - 1] = '\0';
	o->inst = r->inst;
	o->acct = r->acct;
	o->side = r->side;
	o->type = r->type;
	o->tif = r->tif;
	o->px = r->px;
	o->qty = r->qty;
	o->quote_qty = r->quote_qty;
	o->recv_ns = r->recv_ns;
	o->created_ms = o->updated_ms = ms;
}

/* A rejection with no stored order (duplicate cid, storage full of open orders). */
static enum sim_reject reject_unstored(struct sim_exch *x, const struct sim_order_req *r,
				       enum sim_reject rej)
{
	struct sim_order tmp;

	memset(&tmp, 0, sizeof(tmp));
	order_from_req(&tmp, r, now_ms(x));
	tmp.status = SIM_ST_REJECTED;
	tmp.reject = (uint8_t)rej;
	x->stats_rejects++;
	order_ev(x, &tmp, "rejected");
	return rej;
}

/*
 * See sim.h. *out (when accepted or stored as rejected) points into
 * x->orders and stays valid until the slot is reused (after the order
 * ends, once storage is full). A DUP_CID rejection, or one because every
 * stored order is open (TOO_MANY_ORDERS), is reported with a transient
 * order and *out NULL; so is an unknown account (BAD_PARAM, no events:
 * there is nobody to attribute it to).
 *
 * Statuses at return: FILLED; EXPIRED (an IOC/FOK/market remainder, or an
 * unfillable FOK on a venue that expires them; a by-quote order is FILLED
 * when what is left of its quote buys no step, EXPIRED when the book ran
 * out first); NEW or PARTIAL with open set (a resting limit).
 */
enum sim_reject sim_exch_submit(struct sim_exch *x, const struct sim_order_req *r,
				struct sim_order **out)
{
	struct sim_account *a;
	struct sim_order *o;
	struct walk w = { 0 };
	struct need nd = { 0 };
	bool fok_expire = false;
	enum sim_reject rej;
	int slot;

	if (out)
		*out = NULL;
	if (r->acct >= x->naccts) {
		x->stats_rejects++;
		return SIM_REJ_BAD_PARAM;
	}
	a = &x->acct[r->acct];
	rej = check_order(x, r, a, &w, &nd, &fok_expire);
	if (rej == SIM_REJ_DUP_CID)
		return reject_unstored(x, r, rej);
	slot = slot_get(x);
	if (slot < 0)
		return reject_unstored(x, r, SIM_REJ_TOO_MANY_ORDERS);
	o = &x->orders[slot];
	order_from_req(o, r, now_ms(x));
	if (out)
		*out = o;
	if (rej) {
		o->status = SIM_ST_REJECTED;
		o->reject = (uint8_t)rej;
		order_index(x, (uint32_t)slot);
		x->stats_rejects++;
		order_ev(x, o, "rejected");
		return rej;
	}

	o->id = x->next_order_id[a->venue]++;
	make_uuid(o->uuid, a->venue, o->id);
	o->status = SIM_ST_NEW;
	o->fee_asset = (uint8_t)(r->side == SIM_BID &&
				 x->rules[a->venue].fee_rule == SIM_FEE_RECEIVED ?
				 x->m->inst[r->inst].base_asset : x->m->inst[r->inst].quote_asset);
	order_index(x, (uint32_t)slot);
	x->stats_orders++;
	order_ev(x, o, "accepted");
	if (fok_expire) {
		order_end(x, o, SIM_ST_EXPIRED, "expire");
		return SIM_OK;
	}
	o->reserved_fee = nd.reserve;
	o->locked = nd.amount;
	bal(x, a, nd.asset, -nd.amount, nd.amount);

	for (uint32_t i = 0; i < w.n; i++) {
		const struct leg *l = &x->idx->leg[i];
		struct sim_inst *in = &x->m->inst[o->inst];

		sim_inst_set(in, o->side ^ 1u, l->px, l->left);
		fill(x, o, in, l->px, l->take, false, w.whole && i + 1 == w.n, nd.notional);
	}
	if (o->status == SIM_ST_FILLED)
		order_end(x, o, SIM_ST_FILLED, NULL);
	else if (o->type == SIM_ORD_LIMIT && (o->tif == SIM_GTC || o->tif == SIM_POST_ONLY))
		open_add(x, o);
	else
		order_end(x, o, SIM_ST_EXPIRED, "expire");
	return SIM_OK;
}

/* 0, or -ENOENT when o is not open (already ended). */
int sim_exch_cancel(struct sim_exch *x, struct sim_order *o)
{
	if (!o || !o->open)
		return -ENOENT;
	order_end(x, o, SIM_ST_CANCELED, "cancel");
	return 0;
}

/*
 * ---- lookups ------------------------------------------------------------------
 * Rejected orders are never found. The pointers are into x->orders: valid
 * until the slot is reused (the order ended and storage filled up since).
 */

struct sim_order *sim_exch_find_id(struct sim_exch *x, unsigned venue, uint64_t id)
{
	const struct idx_tab *t = &x->idx->by_id;

	if (!id)
		return NULL;
	for (uint32_t s = t->head[bucket_id(venue, id)]; s; s = t->next[s - 1]) {
		struct sim_order *o = &x->orders[s - 1];

		if (o->id == id && order_venue(x, o) == venue)
			return o;
	}
	return NULL;
}

/* The newest order of the account with that client id. */
struct sim_order *sim_exch_find_cid(struct sim_exch *x, unsigned acct, const char *cid)
{
	const struct idx_tab *t = &x->idx->by_cid;

	if (!cid || !cid[0])
		return NULL;
	for (uint32_t s = t->head[bucket_str(acct, cid)]; s; s = t->next[s - 1]) {
		struct sim_order *o = &x->orders[s - 1];

		if (o->acct == acct && o->status != SIM_ST_REJECTED && !strcmp(o->cid, cid))
			return o;
	}
	return NULL;
}

struct sim_order *sim_exch_find_uuid(struct sim_exch *x, unsigned venue, const char *uuid)
{
	const struct idx_tab *t = &x->idx->by_uuid;

	if (!uuid || !uuid[0])
		return NULL;
	for (uint32_t s = t->head[bucket_str(venue, uuid)]; s; s = t->next[s - 1]) {
		struct sim_order *o = &x->orders[s - 1];

		if (o->id && order_venue(x, o) == venue && !strcmp(o->uuid, uuid))
			return o;
	}
	return NULL;
}

/* Oldest first; returns how many were written (at most cap). */
uint32_t sim_exch_open_orders(struct sim_exch *x, unsigned acct, int inst,
			      struct sim_order **out, uint32_t cap)
{
	const struct sim_match_idx *ix = x->idx;
	uint32_t n = 0;

	for (uint32_t i = 0; i < ix->nopen && n < cap; i++) {
		struct sim_order *o = &x->orders[ix->open[i]];

		if (o->acct == acct && (inst < 0 || o->inst == (unsigned)inst))
			out[n++] = o;
	}
	return n;
}

/* ---- makers ---------------------------------------------------------------- */

static bool crossed(const struct sim_exch *x, const struct sim_order *o)
{
	const struct sim_level *opp = best(&x->m->inst[o->inst], o->side ^ 1u);

	return opp && (o->side == SIM_BID ? opp->px <= o->px : opp->px >= o->px);
}

/* Instrument, side, better price first, then older first. */
static int cand_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct sim_exch *x = ctx;
	const struct sim_order *a = &x->orders[*(const uint32_t *)pa];
	const struct sim_order *b = &x->orders[*(const uint32_t *)pb];

	if (a->inst != b->inst)
		return a->inst < b->inst ? -1 : 1;
	if (a->side != b->side)
		return a->side < b->side ? -1 : 1;
	if (a->px != b->px)
		return (a->side == SIM_BID) == (a->px > b->px) ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * Resting orders whose price the market's opposite best now crosses fill
 * as makers at their own price, for up to what the crossing levels hold
 * (taken out of the book): one fill and one public trade per order per
 * step, better-priced and older orders first.
 */
void sim_exch_after_step(struct sim_exch *x)
{
	struct sim_match_idx *ix = x->idx;
	uint32_t n = 0;

	for (uint32_t i = 0; i < ix->nopen; i++)
		if (crossed(x, &x->orders[ix->open[i]]))
			ix->cand[n++] = ix->open[i];
	if (!n)
		return;
	qsort_r(ix->cand, n, sizeof(ix->cand[0]), cand_cmp, x);
	for (uint32_t k = 0; k < n; k++) {
		struct sim_order *o = &x->orders[ix->cand[k]];
		struct sim_inst *in = &x->m->inst[o->inst];
		struct walk w;

		walk_plan(ix, in, o->side, o->px, false, o->qty - o->filled, &w);
		if (!w.n)
			continue;
		for (uint32_t i = 0; i < w.n; i++)
			sim_inst_set(in, o->side ^ 1u, ix->leg[i].px, ix->leg[i].left);
		fill(x, o, in, o->px, w.qty, true, o->filled + w.qty == o->qty, 0);
		if (o->status == SIM_ST_FILLED)
			order_end(x, o, SIM_ST_FILLED, NULL);
	}
}
