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

static int upbit(const struct dref_tab *t, const cJSON *o, struct dref_msg *m)
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
	m->venue = KIMP_VENUE_UPBIT;
	if ((err = symbol_of(t, get(o, k->code), m)) ||
	    (err = ms_ns(get(o, k->tms), &m->venue_ts_ns)))
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

/* ---- entry points ------------------------------------------------------------------------- */

int dref_cjson_decode(const struct dref_tab *t, enum kimp_venue v, const uint8_t *p,
		      size_t len, struct dref_msg *m)
{
	cJSON *root = cJSON_ParseWithLength((const char *)p, len);
	int err;

	if (!root)
		return -DREF_E_SYNTAX;
	err = v == KIMP_VENUE_UPBIT ? upbit(t, root, m) : binance(t, root, m);
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
