/* SPDX-License-Identifier: MIT */
/*
 * The cJSON reference decoder: what a cJSON user writes to get libvenue's
 * normalized message. cJSON_ParseWithLength builds the tree, the fields are
 * looked up by name (cJSON_GetObjectItemCaseSensitive), numbers come as
 * double (bare numbers from valuedouble, string numbers through strtod),
 * are scaled to the symbol's decimals and rounded with llround, ids and
 * timestamps are valuedouble cast to integers (cJSON keeps no integer
 * wider than int), and the tree is freed with cJSON_Delete. The symbol
 * name is copied out of the tree before it is freed.
 *
 * Precision: a double holds 53 bits, so a scaled value above 2^53
 * (9.007e15: 90,071,992.5 at 8 decimals) or an id above 2^53 is exact only
 * when its low digits happen to fit; the bench's precision note shows
 * lexemes of the venues' forms where it is not.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "kimp/venue.h"
#include "dref.h"

#define NAME_MAX_LEN 63

static char sym_copy[NAME_MAX_LEN + 1];

static const double pow10_dbl[19] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
	1e15, 1e16, 1e17, 1e18,
};

const char *dref_cjson_version(void)
{
	return cJSON_Version();
}

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A number, bare or in a string, as fixed point at dec decimals. */
static int fixed(const cJSON *it, unsigned dec, int64_t *out)
{
	double d, v;

	if (cJSON_IsNumber(it)) {
		d = it->valuedouble;
	} else if (cJSON_IsString(it)) {
		char *end;

		d = strtod(it->valuestring, &end);
		if (end == it->valuestring || *end)
			return -DREF_E_NUMBER;
	} else {
		return -DREF_E_SHAPE;
	}
	v = d * pow10_dbl[dec];
	if (!(fabs(v) < 9.2e18))
		return -DREF_E_NUMBER;
	*out = llround(v);
	return 0;
}

static int u64(const cJSON *it, uint64_t *out)
{
	if (!cJSON_IsNumber(it))
		return -DREF_E_SHAPE;
	if (!(it->valuedouble >= 0 && it->valuedouble < 1.8446744073709552e19))
		return -DREF_E_NUMBER;
	*out = (uint64_t)it->valuedouble;
	return 0;
}

/* Milliseconds since the epoch as ns. */
static int ms_ns(const cJSON *it, int64_t *ns)
{
	if (!cJSON_IsNumber(it))
		return -DREF_E_SHAPE;
	if (!(it->valuedouble >= 0 && it->valuedouble < 9.2e12))
		return -DREF_E_NUMBER;
	*ns = (int64_t)it->valuedouble * 1000000;
	return 0;
}

/* Bithumb's "timestamp": ms below 1e14, microseconds from there on. */
static int ms_us_ns(const cJSON *it, int64_t *ns)
{
	if (!cJSON_IsNumber(it))
		return -DREF_E_SHAPE;
	if (!(it->valuedouble >= 0 && it->valuedouble < 9.2e15))
		return -DREF_E_NUMBER;
	if (it->valuedouble < 1e14)
		*ns = (int64_t)it->valuedouble * 1000000;
	else
		*ns = (int64_t)it->valuedouble * 1000;
	return 0;
}

/* A string of digits (Coinone's ids, OKX's ids and times) as uint64: strtoull. */
static int u64_str(const cJSON *it, uint64_t *out)
{
	char *end;

	if (cJSON_IsNumber(it))
		return u64(it, out);
	if (!cJSON_IsString(it))
		return -DREF_E_SHAPE;
	if (it->valuestring[0] < '0' || it->valuestring[0] > '9')
		return -DREF_E_NUMBER;
	errno = 0;
	*out = strtoull(it->valuestring, &end, 10);
	return *end || errno ? -DREF_E_NUMBER : 0;
}

/* Milliseconds, bare or as a string of digits, as ns. */
static int ms_str_ns(const cJSON *it, int64_t *ns)
{
	uint64_t v;
	int err;

	if (cJSON_IsNumber(it))
		return ms_ns(it, ns);
	err = u64_str(it, &v);
	if (err)
		return err;
	if (v > INT64_MAX / 1000000)
		return -DREF_E_NUMBER;
	*ns = (int64_t)v * 1000000;
	return 0;
}

static bool str_is(const cJSON *it, const char *s)
{
	return cJSON_IsString(it) && !strcmp(it->valuestring, s);
}

/* The symbol named by name[0..n): its index in m->sym, its name copied out. */
static int symbol(const struct dref_tab *t, const char *name, size_t n, struct dref_msg *m)
{
	size_t c = n < NAME_MAX_LEN ? n : NAME_MAX_LEN;

	memcpy(sym_copy, name, c);
	sym_copy[c] = 0;
	m->sym_name = sym_copy;
	m->sym_name_len = (uint32_t)c;
	m->sym = venue_symtab_find(t->tab, name, n);
	return m->sym == DREF_SYM_NONE ? -DREF_E_SYMBOL : 0;
}

static int symbol_of(const struct dref_tab *t, const cJSON *it, struct dref_msg *m)
{
	if (!cJSON_IsString(it))
		return -DREF_E_SHAPE;
	return symbol(t, it->valuestring, strlen(it->valuestring), m);
}

static int level(const struct dref_tab *t, const struct dref_msg *m, const cJSON *px,
		 const cJSON *qty, struct dref_level *l)
{
	int err = fixed(px, t->px_dec[m->sym], &l->px);

	return err ? err : fixed(qty, t->qty_dec[m->sym], &l->qty);
}

/* ---- Upbit ------------------------------------------------------------------------------ */

struct upkeys {
	const char *type, *code, *tms, *st, *obu, *ap, *as, *bp, *bs;
	const char *tp, *tv, *ab, *ttms, *sid, *bap, *bas, *bbp, *bbs;
};

static const struct upkeys up_default = {
	"type", "code", "timestamp", "stream_type", "orderbook_units", "ask_price", "ask_size",
	"bid_price", "bid_size", "trade_price", "trade_volume", "ask_bid", "trade_timestamp",
	"sequential_id", "best_ask_price", "best_ask_size", "best_bid_price", "best_bid_size",
};
static const struct upkeys up_simple = {
	"ty", "cd", "tms", "st", "obu", "ap", "as", "bp", "bs", "tp", "tv", "ab", "ttms", "sid",
	"bap", "bas", "bbp", "bbs",
};

static int up_book(const struct dref_tab *t, const struct upkeys *k, const cJSON *o,
		   struct dref_msg *m)
{
	const cJSON *units = get(o, k->obu), *u;
	int err;

	if (!cJSON_IsArray(units))
		return -DREF_E_SHAPE;
	m->kind = DREF_BOOK;
	cJSON_ArrayForEach(u, units) {
		struct dref_level a, b;

		err = level(t, m, get(u, k->ap), get(u, k->as), &a);
		if (!err)
			err = level(t, m, get(u, k->bp), get(u, k->bs), &b);
		if (err)
			return err;
		if (a.px && a.qty) {
			if (m->nasks >= m->cap)
				return -DREF_E_DEPTH;
			m->asks[m->nasks++] = a;
		}
		if (b.px && b.qty) {
			if (m->nbids >= m->cap)
				return -DREF_E_DEPTH;
			m->bids[m->nbids++] = b;
		}
	}
	return 0;
}

static int up_trade(const struct dref_tab *t, const struct upkeys *k, const cJSON *o,
		    struct dref_msg *m)
{
	const cJSON *ab = get(o, k->ab);
	int err;

	m->kind = DREF_TRADE;
	if ((err = fixed(get(o, k->tp), t->px_dec[m->sym], &m->px)) ||
	    (err = fixed(get(o, k->tv), t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns(get(o, k->ttms), &m->trade_ts_ns)) ||
	    (err = u64(get(o, k->sid), &m->trade_id)))
		return err;
	if (str_is(ab, "ASK"))
		m->aggressor = DREF_SIDE_SELL;
	else if (str_is(ab, "BID"))
		m->aggressor = DREF_SIDE_BUY;
	else
		return -DREF_E_SHAPE;
	if (get(o, k->bap) &&
	    ((err = level(t, m, get(o, k->bap), get(o, k->bas), &m->ask)) ||
	     (err = level(t, m, get(o, k->bbp), get(o, k->bbs), &m->bid))))
		return err;
	return 0;
}

static int up_ticker(const struct dref_tab *t, const struct upkeys *k, const cJSON *o,
		     struct dref_msg *m)
{
	int err;

	m->kind = DREF_TICKER;
	if ((err = fixed(get(o, k->tp), t->px_dec[m->sym], &m->px)) ||
	    (err = ms_ns(get(o, k->ttms), &m->trade_ts_ns)))
		return err;
	return 0;
}

/* Upbit, and Bithumb (v: its protocol, with its timestamps in ms or us). */
static int upbit(const struct dref_tab *t, enum kimp_venue v, const cJSON *o, struct dref_msg *m)
{
	const struct upkeys *k = &up_default;
	const cJSON *type, *st;
	int err;

	/* SIMPLE_LIST / JSON_LIST: the message alone in an array */
	if (cJSON_IsArray(o)) {
		o = o->child;
		if (!o || o->next)
			return -DREF_E_SHAPE;
	}
	if (!cJSON_IsObject(o))
		return -DREF_E_SHAPE;
	type = get(o, k->type);
	if (!type) {
		k = &up_simple;
		type = get(o, k->type);
	}
	if (!cJSON_IsString(type))
		return -DREF_E_TYPE;
	m->venue = (uint8_t)v;
	if ((err = symbol_of(t, get(o, k->code), m)) ||
	    (err = v == KIMP_VENUE_BITHUMB ? ms_us_ns(get(o, k->tms), &m->venue_ts_ns) :
					     ms_ns(get(o, k->tms), &m->venue_ts_ns)))
		return err;
	st = get(o, k->st);
	m->snapshot = str_is(st, "SNAPSHOT");
	if (!strcmp(type->valuestring, "orderbook"))
		return up_book(t, k, o, m);
	if (!strcmp(type->valuestring, "trade"))
		return up_trade(t, k, o, m);
	if (!strcmp(type->valuestring, "ticker"))
		return up_ticker(t, k, o, m);
	return -DREF_E_TYPE;
}

/* ---- Binance -------------------------------------------------------------------------------- */

/* [["px","qty"],...] into l (n levels); drop: skip levels with a zero price or size */
static int bn_levels(const struct dref_tab *t, const struct dref_msg *m, const cJSON *a,
		     struct dref_level *l, uint32_t *n, bool drop)
{
	const cJSON *pair;

	if (!cJSON_IsArray(a))
		return -DREF_E_SHAPE;
	cJSON_ArrayForEach(pair, a) {
		struct dref_level v;
		int err;

		if (!cJSON_IsArray(pair) || !pair->child || !pair->child->next)
			return -DREF_E_SHAPE;
		err = level(t, m, pair->child, pair->child->next, &v);
		if (err)
			return err;
		if (drop && (!v.px || !v.qty))
			continue;
		if (*n >= m->cap)
			return -DREF_E_DEPTH;
		l[(*n)++] = v;
	}
	return 0;
}

static int bn_book(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
{
	int err;

	if ((err = u64(get(o, "lastUpdateId"), &m->last_id)))
		return err;
	m->first_id = m->last_id;
	if ((err = bn_levels(t, m, get(o, "bids"), m->bids, &m->nbids, true)))
		return err;
	return bn_levels(t, m, get(o, "asks"), m->asks, &m->nasks, true);
}

static int bn_event(const struct dref_tab *t, const cJSON *o, const char *e,
		    struct dref_msg *m)
{
	const cJSON *mk;
	int err;

	if ((err = symbol_of(t, get(o, "s"), m)) ||
	    (err = ms_ns(get(o, "E"), &m->venue_ts_ns)))
		return err;
	if (!strcmp(e, "depthUpdate")) {
		m->kind = DREF_DIFF;
		if ((err = u64(get(o, "U"), &m->first_id)) ||
		    (err = u64(get(o, "u"), &m->last_id)) ||
		    (err = bn_levels(t, m, get(o, "b"), m->bids, &m->nbids, false)))
			return err;
		return bn_levels(t, m, get(o, "a"), m->asks, &m->nasks, false);
	}
	if (strcmp(e, "trade") && strcmp(e, "aggTrade"))
		return -DREF_E_TYPE;
	m->kind = DREF_TRADE;
	mk = get(o, "m");
	if ((err = u64(get(o, e[0] == 't' ? "t" : "a"), &m->trade_id)) ||
	    (err = fixed(get(o, "p"), t->px_dec[m->sym], &m->px)) ||
	    (err = fixed(get(o, "q"), t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns(get(o, "T"), &m->trade_ts_ns)))
		return err;
	if (!cJSON_IsBool(mk))
		return -DREF_E_SHAPE;
	/* the buyer was the maker: the taker sold */
	m->aggressor = cJSON_IsTrue(mk) ? DREF_SIDE_SELL : DREF_SIDE_BUY;
	return 0;
}

static int binance(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
{
	const cJSON *data, *stream = NULL, *e;
	int err;

	if (!cJSON_IsObject(o))
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_BINANCE;
	data = get(o, "data");
	if (data) {
		stream = get(o, "stream");
		if (!cJSON_IsString(stream) || !cJSON_IsObject(data))
			return -DREF_E_SHAPE;
		o = data;
	}
	e = get(o, "e");
	if (e) {
		if (!cJSON_IsString(e))
			return -DREF_E_SHAPE;
		return bn_event(t, o, e->valuestring, m);
	}
	if (get(o, "lastUpdateId")) {
		/* partial depth: the symbol only in the stream name */
		const char *at = stream ? strchr(stream->valuestring, '@') : NULL;

		m->kind = DREF_BOOK;
		if (!stream)
			return -DREF_E_SYMBOL;
		if (!at)
			return -DREF_E_SHAPE;
		err = symbol(t, stream->valuestring, (size_t)(at - stream->valuestring), m);
		return err ? err : bn_book(t, o, m);
	}
	if (get(o, "u") && get(o, "b")) {
		m->kind = DREF_BBO;
		if ((err = symbol_of(t, get(o, "s"), m)) ||
		    (err = u64(get(o, "u"), &m->last_id)) ||
		    (err = level(t, m, get(o, "b"), get(o, "B"), &m->bid)))
			return err;
		m->first_id = m->last_id;
		return level(t, m, get(o, "a"), get(o, "A"), &m->ask);
	}
	return -DREF_E_TYPE;
}

/* ---- Coinone ------------------------------------------------------------------------------ */

/*
 * [{"price","qty"},...] (or {"p","q"}) into l, empty levels dropped, best
 * first: asks come worst to best (rising order is best first for asks,
 * falling for bids; a side in the other order is reversed).
 */
static int co_side(const struct dref_tab *t, const struct dref_msg *m, const cJSON *a,
		   bool shortk, bool ask, struct dref_level *l, uint32_t *n)
{
	const cJSON *u;

	if (!cJSON_IsArray(a))
		return -DREF_E_SHAPE;
	cJSON_ArrayForEach(u, a) {
		struct dref_level v;
		int err = level(t, m, get(u, shortk ? "p" : "price"), get(u, shortk ? "q" : "qty"),
				&v);

		if (err)
			return err;
		if (!v.px || !v.qty)
			continue;
		if (*n >= m->cap)
			return -DREF_E_DEPTH;
		l[(*n)++] = v;
	}
	if (*n > 1 && (l[1].px > l[0].px) != ask)
		for (uint32_t i = 0, j = *n - 1; i < j; i++, j--) {
			struct dref_level x = l[i];

			l[i] = l[j];
			l[j] = x;
		}
	return 0;
}

static int coinone(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
{
	const cJSON *rt, *ch, *d, *qc, *tc, *sm;
	bool sk;
	char name[NAME_MAX_LEN + 1];
	int err;

	if (!cJSON_IsObject(o))
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_COINONE;
	sk = !get(o, "response_type");
	rt = get(o, sk ? "r" : "response_type");
	ch = get(o, sk ? "c" : "channel");
	d = get(o, sk ? "d" : "data");
	if (!str_is(rt, "DATA") || !cJSON_IsString(ch))
		return -DREF_E_TYPE;
	if (!cJSON_IsObject(d))
		return -DREF_E_SHAPE;
	qc = get(d, sk ? "qc" : "quote_currency");
	tc = get(d, sk ? "tc" : "target_currency");
	if (!cJSON_IsString(qc) || !cJSON_IsString(tc))
		return -DREF_E_SHAPE;
	snprintf(name, sizeof(name), "%s-%s", qc->valuestring, tc->valuestring);
	/* sym_name: the target currency as spelled; the table's name is KRW-XRP */
	(void)symbol(t, tc->valuestring, strlen(tc->valuestring), m);
	m->sym = venue_symtab_find(t->tab, name, strlen(name));
	if (m->sym == DREF_SYM_NONE)
		return -DREF_E_SYMBOL;
	err = ms_ns(get(d, sk ? "t" : "timestamp"), &m->venue_ts_ns);
	if (err)
		return err;
	if (!strcmp(ch->valuestring, "ORDERBOOK")) {
		m->kind = DREF_BOOK;
		if ((err = u64_str(get(d, sk ? "i" : "id"), &m->last_id)) ||
		    (err = co_side(t, m, get(d, sk ? "a" : "asks"), sk, true, m->asks, &m->nasks)))
			return err;
		m->first_id = m->last_id;
		return co_side(t, m, get(d, sk ? "b" : "bids"), sk, false, m->bids, &m->nbids);
	}
	if (strcmp(ch->valuestring, "TRADE"))
		return -DREF_E_TYPE;
	m->kind = DREF_TRADE;
	sm = get(d, sk ? "sm" : "is_seller_maker");
	if ((err = u64_str(get(d, sk ? "i" : "id"), &m->trade_id)) ||
	    (err = fixed(get(d, sk ? "p" : "price"), t->px_dec[m->sym], &m->px)) ||
	    (err = fixed(get(d, sk ? "q" : "qty"), t->qty_dec[m->sym], &m->qty)))
		return err;
	if (!cJSON_IsBool(sm))
		return -DREF_E_SHAPE;
	/* the seller rested: the buyer took */
	m->aggressor = cJSON_IsTrue(sm) ? DREF_SIDE_BUY : DREF_SIDE_SELL;
	m->trade_ts_ns = m->venue_ts_ns;
	return 0;
}

/* ---- Bybit and OKX: [["px","qty",...],...] -------------------------------------------------- */

/* Both sides of a book message: drop, empty levels dropped (snapshots). */
static int pair_sides(const struct dref_tab *t, struct dref_msg *m, const cJSON *b,
		      const cJSON *a, bool drop)
{
	int err = bn_levels(t, m, b, m->bids, &m->nbids, drop);

	return err ? err : bn_levels(t, m, a, m->asks, &m->nasks, drop);
}

/* The symbol after the topic's last '.' (orderbook.50.BTCUSDT). */
static int by_topic(const struct dref_tab *t, const cJSON *topic, struct dref_msg *m)
{
	const char *dot;

	if (!cJSON_IsString(topic))
		return -DREF_E_SHAPE;
	dot = strrchr(topic->valuestring, '.');
	if (!dot)
		return -DREF_E_SHAPE;
	return symbol(t, dot + 1, strlen(dot + 1), m);
}

static int bybit(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
{
	const cJSON *topic, *type, *d, *cts, *last = NULL, *it, *side, *id;
	int err;

	if (!cJSON_IsObject(o))
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_BYBIT;
	topic = get(o, "topic");
	type = get(o, "type");
	d = get(o, "data");
	if (!cJSON_IsString(topic))
		return -DREF_E_TYPE;
	if ((err = by_topic(t, topic, m)))
		return err;
	if (!strncmp(topic->valuestring, "orderbook.", 10)) {
		bool snap = str_is(type, "snapshot");

		if (!snap && !str_is(type, "delta"))
			return -DREF_E_SHAPE;
		if (!cJSON_IsObject(d))
			return -DREF_E_SHAPE;
		cts = get(o, "cts");
		if ((err = ms_ns(cts ? cts : get(o, "ts"), &m->venue_ts_ns)) ||
		    (err = u64(get(d, "u"), &m->last_id)))
			return err;
		m->first_id = m->last_id;
		m->kind = snap ? DREF_BOOK : DREF_DIFF;
		m->snapshot = snap;
		m->resync = !snap && m->last_id == 1;
		return pair_sides(t, m, get(d, "b"), get(d, "a"), snap);
	}
	if (strncmp(topic->valuestring, "publicTrade.", 12))
		return -DREF_E_TYPE;
	/* the newest trade: the last of data[] */
	m->kind = DREF_TRADE;
	if ((err = ms_ns(get(o, "ts"), &m->venue_ts_ns)))
		return err;
	if (!cJSON_IsArray(d))
		return -DREF_E_SHAPE;
	cJSON_ArrayForEach(it, d)
		last = it;
	if (!cJSON_IsObject(last))
		return -DREF_E_SHAPE;
	side = get(last, "S");
	if ((err = fixed(get(last, "p"), t->px_dec[m->sym], &m->px)) ||
	    (err = fixed(get(last, "v"), t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns(get(last, "T"), &m->trade_ts_ns)))
		return err;
	if (str_is(side, "Buy"))
		m->aggressor = DREF_SIDE_BUY;
	else if (str_is(side, "Sell"))
		m->aggressor = DREF_SIDE_SELL;
	else
		return -DREF_E_SHAPE;
	/* digits on spot; the derivatives' uuids give 0 */
	id = get(last, "i");
	if (u64_str(id, &m->trade_id))
		m->trade_id = 0;
	return 0;
}

static int okx(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
{
	const cJSON *arg, *ch, *action, *data, *d, *it, *side, *prev, *seq;
	int err;

	if (!cJSON_IsObject(o))
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_OKX;
	arg = get(o, "arg");
	data = get(o, "data");
	if (!cJSON_IsObject(arg))
		return -DREF_E_TYPE;
	ch = get(arg, "channel");
	if (!cJSON_IsString(ch))
		return -DREF_E_SHAPE;
	if ((err = symbol_of(t, get(arg, "instId"), m)))
		return err;
	if (!cJSON_IsArray(data) || !data->child)
		return -DREF_E_SHAPE;
	if (!strcmp(ch->valuestring, "trades")) {
		/* the newest: the last element */
		d = NULL;
		cJSON_ArrayForEach(it, data)
			d = it;
		m->kind = DREF_TRADE;
		side = get(d, "side");
		if ((err = u64_str(get(d, "tradeId"), &m->trade_id)) ||
		    (err = fixed(get(d, "px"), t->px_dec[m->sym], &m->px)) ||
		    (err = fixed(get(d, "sz"), t->qty_dec[m->sym], &m->qty)) ||
		    (err = ms_str_ns(get(d, "ts"), &m->venue_ts_ns)))
			return err;
		if (str_is(side, "buy"))
			m->aggressor = DREF_SIDE_BUY;
		else if (str_is(side, "sell"))
			m->aggressor = DREF_SIDE_SELL;
		else
			return -DREF_E_SHAPE;
		m->trade_ts_ns = m->venue_ts_ns;
		return 0;
	}
	if (strcmp(ch->valuestring, "books") && strcmp(ch->valuestring, "books-l2-tbt") &&
	    strcmp(ch->valuestring, "books50-l2-tbt"))
		return -DREF_E_TYPE;
	d = data->child;
	if (d->next || !cJSON_IsObject(d))
		return -DREF_E_SHAPE;
	action = get(o, "action");
	prev = get(d, "prevSeqId");
	seq = get(d, "seqId");
	it = get(d, "checksum");
	if ((err = ms_str_ns(get(d, "ts"), &m->venue_ts_ns)))
		return err;
	if (it) {
		if (!cJSON_IsNumber(it))
			return -DREF_E_SHAPE;
		m->checksum = (int32_t)it->valuedouble;
	}
	if (str_is(action, "snapshot")) {
		m->kind = DREF_BOOK;
		m->snapshot = 1;
		if (seq && (err = u64(seq, &m->last_id)))
			return err;
		m->first_id = m->last_id;
		return pair_sides(t, m, get(d, "bids"), get(d, "asks"), true);
	}
	if (!str_is(action, "update"))
		return -DREF_E_SHAPE;
	m->kind = DREF_DIFF;
	if (!prev != !seq)
		return -DREF_E_SHAPE;
	if (seq) {
		if (!cJSON_IsNumber(prev) || !cJSON_IsNumber(seq) || prev->valuedouble < 0 ||
		    seq->valuedouble < 0)
			return -DREF_E_SHAPE;
		m->first_id = (uint64_t)prev->valuedouble + 1;
		m->last_id = (uint64_t)seq->valuedouble;
		m->resync = seq->valuedouble < prev->valuedouble;
	}
	return pair_sides(t, m, get(d, "bids"), get(d, "asks"), false);
}

/* ---- entry points ------------------------------------------------------------------------- */

int dref_cjson_decode(const struct dref_tab *t, enum kimp_venue v, const uint8_t *p,
		      size_t len, struct dref_msg *m)
{
	cJSON *root = cJSON_ParseWithLength((const char *)p, len);
	int err;

	if (!root)
		return -DREF_E_SYNTAX;
	switch (v) {
	case KIMP_VENUE_UPBIT:
	case KIMP_VENUE_BITHUMB:
		err = upbit(t, v, root, m);
		break;
	case KIMP_VENUE_BINANCE:
		err = binance(t, root, m);
		break;
	case KIMP_VENUE_COINONE:
		err = coinone(t, root, m);
		break;
	case KIMP_VENUE_BYBIT:
		err = bybit(t, root, m);
		break;
	case KIMP_VENUE_OKX:
		err = okx(t, root, m);
		break;
	default:
		err = -DREF_E_TYPE;
		break;
	}
	cJSON_Delete(root);
	return err;
}

int dref_cjson_parse_only(const uint8_t *p, size_t len)
{
	cJSON *root = cJSON_ParseWithLength((const char *)p, len);

	if (!root)
		return -DREF_E_SYNTAX;
	cJSON_Delete(root);
	return 0;
}

int dref_cjson_snapshot(const struct dref_tab *t, uint32_t sym, const uint8_t *p, size_t len,
			struct dref_msg *m)
{
	cJSON *root = cJSON_ParseWithLength((const char *)p, len);
	int err = -DREF_E_SHAPE;

	if (!root)
		return -DREF_E_SYNTAX;
	m->venue = KIMP_VENUE_BINANCE;
	m->kind = DREF_SNAPSHOT;
	m->sym = sym;
	if (cJSON_IsObject(root))
		err = bn_book(t, root, m);
	cJSON_Delete(root);
	return err;
}
