/* SPDX-License-Identifier: MIT */
/*
 * Bybit v5 spot market data (shared/docs/venues/exchanges-global.md 2.1,
 * 2.2 and 4): the venue's facts, its symbols (BTCUSDT), the public spot
 * WebSocket (/v5/public/spot, topics subscribed by message, at most 10 args
 * a message), the REST book snapshot target, and the decoders.
 *
 * Decoded (keys in any order: spot writes "ts" before "type"):
 *   orderbook.{50,200,1000,full}.S  {"topic","type","ts","data":{"s","b","a","u","seq"},"cts"}
 *       type snapshot                VD_BOOK, snapshot set, first_id = last_id = u
 *       type delta                   VD_DIFF, first_id = last_id = u, resync when u == 1
 *                                    (the venue restarted its sequence: the book
 *                                    must be synced afresh)
 *   orderbook.1.S snapshot           VD_BBO (top of book, last_id 0: its u is its
 *                                    own, not the depth book's); its deltas
 *                                    (sent until 2024) are VD_E_TYPE: they would
 *                                    patch the full book with another sequence
 *   publicTrade.S                    VD_TRADE: the last (newest) trade of data[]
 *                                    (one message may hold up to 1024; struct
 *                                    vd_msg carries one)
 *   tickers.S                        VD_TICKER: lastPrice (spot tickers have no bid/ask)
 *   {"success":true,"op":..}         VD_CONTROL (subscribe, ping, auth replies);
 *   {"op":"pong","args":[..]}        VD_CONTROL; req_id from "req_id" when digits
 *   {"success":false,"ret_msg":..}   VD_VENUE_ERROR (err_name = ret_msg)
 *   requests we send ({"op":"subscribe","args"..} with no "success")  VD_E_TYPE
 *
 * The topic gives the symbol and so the scales. In the venue's key order it
 * comes before "data", which is then read in place; otherwise "data" is
 * stepped over (checked), kept as a slice and read once the object is over.
 * Book levels come as [["px","qty"],...]: bids falling, asks rising; in a
 * snapshot empty levels are dropped and the order is checked.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "jscan.h"

#define BY_NS_PER_S     1000000000ull
#define BY_ARGS_PER_MSG 10u         /* spot: <= 10 args a subscribe request [2.2] */
#define BY_ARGS_CHARS   21000u      /* args text a connection may have [2.2] */
#define BY_SNAPSHOT_MAX 1000u       /* /v5/market/orderbook limit 1..1000 [2.2] */
#define BY_DEPTH_DEFAULT 50u

/* ---- symbols ------------------------------------------------------------- */

static bool by_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* BTCUSDT for base BTC, quote USDT: upper-case letters and digits only [4]. */
static int by_symbol(const char *base, const char *quote, char *out, size_t cap)
{
	size_t nb, nq;

	if (!base || !quote || !out)
		return -EINVAL;
	nb = strlen(base);
	nq = strlen(quote);
	if (!by_word(base, nb) || !by_word(quote, nq))
		return -EINVAL;
	if (nb + nq >= cap || nb + nq > INT_MAX)
		return -ENOSPC;
	memcpy(out, base, nb);
	memcpy(out + nb, quote, nq);
	out[nb + nq] = '\0';
	return (int)(nb + nq);
}

/* The quotes split() knows (none is the tail of another). */
static const char *const by_quotes[] = { "USDT", "USDC", "USDE", "BTC", "ETH", "EUR", "BRL" };

/* BTCUSDT -> BTC, USDT (each cap bytes with its NUL). */
static int by_split(const char *name, size_t len, char *base, char *quote, size_t cap)
{
	if (!name || !base || !quote || !by_word(name, len))
		return -EINVAL;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(by_quotes); i++) {
		size_t nq = strlen(by_quotes[i]);
		if (len <= nq || memcmp(name + len - nq, by_quotes[i], nq))
			continue;
		if (len - nq >= cap || nq >= cap)
			return -EINVAL;
		memcpy(base, name, len - nq);
		base[len - nq] = '\0';
		memcpy(quote, by_quotes[i], nq + 1);
		return 0;
	}
	return -EINVAL;
}

/* ---- requests ------------------------------------------------------------ */

struct by_out {
	char *p;
	size_t len, cap;
};

static void by_put(struct by_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void by_puts(struct by_out *o, const char *s)
{
	by_put(o, s, strlen(s));
}

/* The book topic's depth for sub: "50" (default), "200", "1000", or NULL. */
static const char *by_depth(const struct venue_sub *sub)
{
	switch (sub->depth) {
	case 0:
	case 50:
		return "50";
	case 200:
		return "200";
	case 1000:
		return "1000";
	}
	return NULL;
}

/* Topics per symbol for sub (book, bbo, trades, ticker), or -EINVAL. */
static int by_per(const struct venue_sub *sub, bool book_only)
{
	if (sub->book && !by_depth(sub))
		return -EINVAL;
	if (book_only)
		return sub->book ? 1 : -EINVAL;
	return sub->book + sub->bbo + sub->trades + sub->ticker;
}

/* Topic i (of per a symbol) of syms into o. */
static void by_topic_put(struct by_out *o, const struct venue_symtab *t, const uint32_t *syms,
			 const struct venue_sub *sub, bool book_only, uint32_t i)
{
	const unsigned per = (unsigned)by_per(sub, book_only);
	const char *name = t->sym[syms[i / per]].name;
	unsigned k = i % per, w = 0;

	if (sub->book && k == w++) {
		by_puts(o, "orderbook.");
		by_puts(o, by_depth(sub));
		by_puts(o, ".");
	} else if (!book_only && sub->bbo && k == w++) {
		by_puts(o, "orderbook.1.");
	} else if (!book_only && sub->trades && k == w++) {
		by_puts(o, "publicTrade.");
	} else {
		by_puts(o, "tickers.");
	}
	by_puts(o, name);
}

static bool by_syms_ok(const struct venue_symtab *t, const uint32_t *syms, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return false;
	return n > 0;
}

/* The spot public stream: everything is subscribed by message. */
static kimp_cold int by_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
				  const struct venue_sub *sub, char *out, size_t cap)
{
	static const char path[] = "/v5/public/spot";
	struct by_out o = { .p = out, .cap = cap };
	int per;

	if (!t || !syms || !sub || !out || !by_syms_ok(t, syms, n))
		return -EINVAL;
	per = by_per(sub, false);
	if (per <= 0)
		return -EINVAL;
	/* the args text one connection may subscribe */
	size_t chars = 0;
	for (uint32_t i = 0; i < n * (uint32_t)per; i++) {
		struct by_out c = { .p = NULL, .cap = 0 };
		by_topic_put(&c, t, syms, sub, false, i);
		chars += c.len + 3;      /* quotes and comma */
	}
	if (chars > BY_ARGS_CHARS)
		return -E2BIG;
	if (sizeof(path) > cap)
		return -ENOSPC;
	by_put(&o, path, sizeof(path) - 1);
	out[o.len] = '\0';
	return (int)o.len;
}

/* {"req_id":"<ticket>","op":"<op>","args":[...10 at most...]} */
static int by_op_msg(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
		     const struct venue_sub *sub, bool book_only, const char *op, uint64_t ticket,
		     unsigned part, char *out, size_t cap)
{
	struct by_out o = { .p = out, .cap = cap };
	char id[24];
	uint64_t total, from;
	int per;

	if (!t || !syms || !sub || !out || !by_syms_ok(t, syms, n))
		return -EINVAL;
	per = by_per(sub, book_only);
	if (per <= 0)
		return -EINVAL;
	total = (uint64_t)n * (uint64_t)per;
	from = (uint64_t)part * BY_ARGS_PER_MSG;
	if (from >= total) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)ticket);
	by_puts(&o, "{\"req_id\":\"");
	by_puts(&o, id);
	by_puts(&o, "\",\"op\":\"");
	by_puts(&o, op);
	by_puts(&o, "\",\"args\":[");
	for (uint64_t i = from; i < total && i < from + BY_ARGS_PER_MSG; i++) {
		if (i > from)
			by_put(&o, ",", 1);
		by_put(&o, "\"", 1);
		by_topic_put(&o, t, syms, sub, book_only, (uint32_t)i);
		by_put(&o, "\"", 1);
	}
	by_puts(&o, "]}");
	if (o.len >= cap || o.len > INT_MAX)
		return -ENOSPC;
	out[o.len] = '\0';
	return (int)o.len;
}

static kimp_cold int by_ws_subscribe(const struct venue_symtab *t, const uint32_t *syms,
				     uint32_t n, const struct venue_sub *sub, uint64_t ticket,
				     unsigned part, char *out, size_t cap)
{
	return by_op_msg(t, syms, n, sub, false, "subscribe", ticket, part, out, cap);
}

/* The book topics of syms only (a fresh snapshot: unsubscribe, subscribe). */
static kimp_cold int by_ws_unsubscribe(const struct venue_symtab *t, const uint32_t *syms,
				       uint32_t n, const struct venue_sub *sub, uint64_t ticket,
				       unsigned part, char *out, size_t cap)
{
	return by_op_msg(t, syms, n, sub, true, "unsubscribe", ticket, part, out, cap);
}

/* /v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=50 (0: snapshot_limit). */
static kimp_cold int by_snapshot_target(const struct venue_symtab *t, uint32_t sym,
					uint32_t limit, char *out, size_t cap)
{
	int n;

	if (!t || !out || sym >= t->n || limit > BY_SNAPSHOT_MAX)
		return -EINVAL;
	if (!limit)
		limit = venue_md_bybit.snapshot_limit;
	n = snprintf(out, cap, "/v5/market/orderbook?category=spot&symbol=%s&limit=%u",
		     t->sym[sym].name, limit);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= cap ? -ENOSPC : n;
}

/* ---- decoding ------------------------------------------------------------ */

enum by_kind { BK_NONE = 0, BK_BOOK, BK_BBO, BK_TRADE, BK_TICKER };

/* Top-level keys seen (each at most once). */
enum {
	BS_TOPIC = 1u << 0, BS_TYPE = 1u << 1, BS_TS = 1u << 2, BS_CTS = 1u << 3,
	BS_DATA = 1u << 4, BS_SUCCESS = 1u << 5, BS_RETMSG = 1u << 6, BS_OP = 1u << 7,
	BS_REQID = 1u << 8,
};

struct by_ctx {
	const struct venue_symtab *t;
	struct vd_msg *m;
	uint8_t kind;            /* enum by_kind */
	int8_t snapshot;         /* -1 unknown, 0 delta, 1 snapshot */
	bool data_read;
	uint32_t sym;
	unsigned pdec, qdec;
	uint64_t u;
	int64_t ts, cts;
};

#define BY_ONCE(seen, bit)                                                                \
	do {                                                                              \
		if ((seen) & (bit))                                                       \
			return -VD_E_SHAPE;                                               \
		(seen) |= (bit);                                                          \
	} while (0)

/* A value of the wrong type: VD_E_SHAPE if it is well-formed, else its error. */
static int by_wrong(struct js *j)
{
	int err = js_skip(j);

	return err ? err : -VD_E_SHAPE;
}

static int by_str(struct js *j, struct js_str *s)
{
	if (js_peek(j) != '"')
		return by_wrong(j);
	return js_string(j, s);
}

/* A bare or quoted unsigned integer. */
static int by_u64(struct js *j, uint64_t *out)
{
	int c = js_peek(j);

	if (c == '"' || c == '-' || js_is_digit((uint8_t)c))
		return js_u64(j, out);
	return by_wrong(j);
}

static int by_ms(struct js *j, int64_t *ns)
{
	int c = js_peek(j);

	if (c == '"' || c == '-' || js_is_digit((uint8_t)c))
		return js_ms_ns(j, ns);
	return by_wrong(j);
}

/* A price or size (quoted or bare) at dec decimals. */
static int by_num(struct js *j, unsigned dec, int64_t *out)
{
	int c = js_peek(j);

	if (c == '"' || c == '-' || js_is_digit((uint8_t)c))
		return js_fixed(j, dec, out);
	return by_wrong(j);
}

/* The symbol a topic ends with (after its last '.'), into c (VD_E_SYMBOL if unknown). */
static int by_topic_sym(struct by_ctx *c, const char *p, size_t n)
{
	uint32_t i;

	c->m->sym_name = p;
	c->m->sym_name_len = (uint32_t)n;
	i = venue_symtab_find(c->t, p, n);
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	c->sym = i;
	c->pdec = c->t->sym[i].px_dec;
	c->qdec = c->t->sym[i].qty_dec;
	return 0;
}

static bool by_prefix(const struct js_str *s, const char *lit, size_t n)
{
	return s->len > n && !memcmp(s->p, lit, n);
}

/* "orderbook.<depth>.S", "publicTrade.S", "tickers.S". */
static int by_topic(struct by_ctx *c, const struct js_str *s)
{
	if (s->escaped)
		return -VD_E_TYPE;
	if (by_prefix(s, "orderbook.", 10)) {
		const char *d = s->p + 10, *e = s->p + s->len;
		const char *dot = memchr(d, '.', (size_t)(e - d));
		size_t dn;

		if (!dot || dot + 1 >= e)
			return -VD_E_TYPE;
		dn = (size_t)(dot - d);
		if (dn == 1 && d[0] == '1')
			c->kind = BK_BBO;
		else if ((dn == 2 && !memcmp(d, "50", 2)) || (dn == 3 && !memcmp(d, "200", 3)) ||
			 (dn == 4 && (!memcmp(d, "1000", 4) || !memcmp(d, "full", 4))))
			c->kind = BK_BOOK;
		else
			return -VD_E_TYPE;
		return by_topic_sym(c, dot + 1, (size_t)(e - dot - 1));
	}
	if (by_prefix(s, "publicTrade.", 12)) {
		c->kind = BK_TRADE;
		return by_topic_sym(c, s->p + 12, s->len - 12);
	}
	if (by_prefix(s, "tickers.", 8)) {
		c->kind = BK_TICKER;
		return by_topic_sym(c, s->p + 8, s->len - 8);
	}
	return -VD_E_TYPE;
}

/* A symbol inside data: it must be the topic's. */
static int by_same_sym(struct by_ctx *c, struct js *j)
{
	struct js_str s;
	int err = by_str(j, &s);

	if (err)
		return err;
	if (s.escaped || venue_symtab_find(c->t, s.p, s.len) != c->sym)
		return -VD_E_SHAPE;
	return 0;
}

/*
 * [["px","qty"],...] into out[0..cap): *np levels, in the venue's order.
 * Prices must be positive, sizes not negative; more than cap is VD_E_DEPTH.
 */
static int by_levels(struct js *j, unsigned pdec, unsigned qdec, struct vd_level *out,
		     uint32_t cap, uint32_t *np)
{
	bool first = true, done;
	uint32_t n = 0;
	int err;

	if (js_peek(j) != '[')
		return by_wrong(j);
	j->p++;
	for (;;) {
		bool f2 = false, d2;
		int64_t px, qty;

		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (js_peek(j) != '[')
			return by_wrong(j);
		j->p++;
		if ((err = by_num(j, pdec, &px)))
			return err;
		if (!js_accept(j, ','))
			return js_peek(j) == ']' ? -VD_E_SHAPE : -VD_E_SYNTAX;
		if ((err = by_num(j, qdec, &qty)))
			return err;
		/* anything after the pair is skipped (checked) */
		for (;;) {
			if ((err = js_elem(j, &f2, &d2)))
				return err;
			if (d2)
				break;
			if ((err = js_skip(j)))
				return err;
		}
		if (px <= 0 || qty < 0)
			return -VD_E_NUMBER;
		if (n >= cap)
			return -VD_E_DEPTH;
		out[n].px = px;
		out[n].qty = qty;
		n++;
	}
	*np = n;
	return 0;
}

/* A snapshot side: empty levels dropped, best first (bids falling, asks rising). */
static int by_compact(struct vd_level *l, uint32_t *np, bool bids)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < *np; i++) {
		if (!l[i].qty)
			continue;
		if (k && (bids ? l[i].px >= l[k - 1].px : l[i].px <= l[k - 1].px))
			return -VD_E_SHAPE;
		l[k++] = l[i];
	}
	*np = k;
	return 0;
}

/* data of a book topic: {"s","b","a","u","seq"}. */
static int by_book_data(struct by_ctx *c, struct js *j)
{
	struct vd_msg *m = c->m;
	struct vd_level bbo_b[1], bbo_a[1];
	struct vd_level *bo = c->kind == BK_BBO ? bbo_b : m->bids;
	struct vd_level *ao = c->kind == BK_BBO ? bbo_a : m->asks;
	uint32_t cap = c->kind == BK_BBO ? 1 : m->cap, nb = 0, na = 0;
	bool first = true, done;
	unsigned seen = 0;
	struct js_str k;
	uint64_t seq;
	int err;

	if (js_peek(j) != '{')
		return by_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (JS_IS(&k, "b")) {
			BY_ONCE(seen, 1u);
			err = by_levels(j, c->pdec, c->qdec, bo, cap, &nb);
		} else if (JS_IS(&k, "a")) {
			BY_ONCE(seen, 2u);
			err = by_levels(j, c->pdec, c->qdec, ao, cap, &na);
		} else if (JS_IS(&k, "u")) {
			BY_ONCE(seen, 4u);
			err = by_u64(j, &c->u);
		} else if (JS_IS(&k, "s")) {
			BY_ONCE(seen, 8u);
			err = by_same_sym(c, j);
		} else if (JS_IS(&k, "seq")) {
			BY_ONCE(seen, 16u);
			err = by_u64(j, &seq);
		} else if (JS_IS(&k, "ts")) {           /* the REST snapshot's */
			BY_ONCE(seen, 32u);
			err = by_ms(j, &c->ts);
		} else if (JS_IS(&k, "cts")) {
			BY_ONCE(seen, 64u);
			err = by_ms(j, &c->cts);
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if ((seen & 7u) != 7u)
		return -VD_E_SHAPE;
	if (c->kind == BK_BBO) {
		m->bid = nb ? bbo_b[0] : (struct vd_level){ 0, 0 };
		m->ask = na ? bbo_a[0] : (struct vd_level){ 0, 0 };
		return 0;
	}
	m->nbids = nb;
	m->nasks = na;
	return 0;
}

/* One trade object of publicTrade's data[]: the fields the engine keeps. */
static int by_trade_one(struct by_ctx *c, struct js *j)
{
	struct vd_msg *m = c->m;
	bool first = true, done;
	unsigned seen = 0;
	struct js_str k, s;
	int err;

	if (js_peek(j) != '{')
		return by_wrong(j);
	j->p++;
	m->trade_id = 0;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (JS_IS(&k, "p")) {
			BY_ONCE(seen, 1u);
			err = by_num(j, c->pdec, &m->px);
			if (!err && m->px <= 0)
				err = -VD_E_NUMBER;
		} else if (JS_IS(&k, "v")) {
			BY_ONCE(seen, 2u);
			err = by_num(j, c->qdec, &m->qty);
			if (!err && m->qty <= 0)
				err = -VD_E_NUMBER;
		} else if (JS_IS(&k, "S")) {
			BY_ONCE(seen, 4u);
			err = by_str(j, &s);
			if (!err) {
				if (JS_IS(&s, "Buy"))
					m->aggressor = KIMP_SIDE_BUY;
				else if (JS_IS(&s, "Sell"))
					m->aggressor = KIMP_SIDE_SELL;
				else
					err = -VD_E_SHAPE;
			}
		} else if (JS_IS(&k, "T")) {
			BY_ONCE(seen, 8u);
			err = by_ms(j, &m->trade_ts_ns);
		} else if (JS_IS(&k, "s")) {
			BY_ONCE(seen, 16u);
			err = by_same_sym(c, j);
		} else if (JS_IS(&k, "i")) {
			/* digits on spot (exact as uint64); the derivatives' uuids give 0 */
			BY_ONCE(seen, 32u);
			err = by_str(j, &s);
			if (!err && !s.escaped && s.len && s.len <= 20) {
				uint64_t v = 0;
				bool ok = true;
				for (uint32_t i = 0; i < s.len && ok; i++) {
					unsigned d = (unsigned)(s.p[i] - '0');
					if (d > 9 || v > (UINT64_MAX - d) / 10)
						ok = false;
					else
						v = v * 10 + d;
				}
				m->trade_id = ok ? v : 0;
			}
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	return (seen & 15u) == 15u ? 0 : -VD_E_SHAPE;
}

/* publicTrade data: [{trade},...]: the last one is kept. */
static int by_trade_data(struct by_ctx *c, struct js *j)
{
	bool first = true, done;
	unsigned n = 0;
	int err;

	if (js_peek(j) != '[')
		return by_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if ((err = by_trade_one(c, j)))
			return err;
		n++;
	}
	return n ? 0 : -VD_E_SHAPE;
}

/* tickers data: {"symbol","lastPrice",...}. */
static int by_ticker_data(struct by_ctx *c, struct js *j)
{
	bool first = true, done;
	unsigned seen = 0;
	struct js_str k;
	int err;

	if (js_peek(j) != '{')
		return by_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (JS_IS(&k, "lastPrice")) {
			BY_ONCE(seen, 1u);
			err = by_num(j, c->pdec, &c->m->px);
			if (!err && c->m->px <= 0)
				err = -VD_E_NUMBER;
		} else if (JS_IS(&k, "symbol")) {
			BY_ONCE(seen, 2u);
			err = by_same_sym(c, j);
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	return seen & 1u ? 0 : -VD_E_SHAPE;
}

static int by_data(struct by_ctx *c, struct js *j)
{
	c->data_read = true;
	switch (c->kind) {
	case BK_BBO:
		if (c->snapshot == 0)
			return js_skip(j);      /* a level-1 delta: refused once checked */
		return by_book_data(c, j);
	case BK_BOOK:
		return by_book_data(c, j);
	case BK_TRADE:
		return by_trade_data(c, j);
	case BK_TICKER:
		return by_ticker_data(c, j);
	}
	return -VD_E_TYPE;
}

/* "req_id": digits as a number, anything else 0. */
static int by_req_id(struct js *j, uint64_t *out)
{
	struct js_str s;
	uint64_t v = 0;
	int err = by_str(j, &s);

	if (err)
		return err;
	if (s.escaped || !s.len || s.len > 19)
		return 0;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = v;
	return 0;
}

/* What the top-level keys said, once the object is over. */
static int by_finish(struct by_ctx *c, unsigned seen, bool success, const struct js_str *op)
{
	struct vd_msg *m = c->m;

	if (seen & BS_TOPIC) {
		if (!c->data_read)
			return -VD_E_SHAPE;
		m->sym = c->sym;
		switch (c->kind) {
		case BK_BOOK:
			if (c->snapshot < 0)
				return -VD_E_SHAPE;
			m->first_id = m->last_id = c->u;
			m->venue_ts_ns = seen & BS_CTS ? c->cts : c->ts;
			if (c->snapshot) {
				int err = by_compact(m->bids, &m->nbids, true);
				if (!err)
					err = by_compact(m->asks, &m->nasks, false);
				if (err)
					return err;
				m->kind = VD_BOOK;
				m->snapshot = 1;
			} else {
				m->kind = VD_DIFF;
				m->resync = c->u == 1;
			}
			return 0;
		case BK_BBO:
			if (c->snapshot != 1)
				return -VD_E_TYPE;
			/* orderbook.1 numbers its own u, not the depth book's:
			 * no id feedd could compare with the book's (0: none) */
			m->first_id = m->last_id = 0;
			m->venue_ts_ns = seen & BS_CTS ? c->cts : c->ts;
			m->kind = VD_BBO;
			return 0;
		case BK_TRADE:
			m->venue_ts_ns = c->ts;
			m->kind = VD_TRADE;
			return 0;
		case BK_TICKER:
			m->venue_ts_ns = c->ts;
			m->kind = VD_TICKER;
			return 0;
		}
		return -VD_E_TYPE;
	}
	if (seen & BS_DATA)
		return -VD_E_TYPE;      /* data without a topic: not a known message */
	if (seen & BS_SUCCESS) {
		m->kind = success ? VD_CONTROL : VD_VENUE_ERROR;
		return 0;
	}
	if ((seen & BS_OP) && JS_IS(op, "pong")) {
		m->kind = VD_CONTROL;
		return 0;
	}
	return -VD_E_TYPE;              /* a request ({"op":"subscribe"...}) or nothing known */
}

static int by_object(struct by_ctx *c, struct js *j)
{
	struct vd_msg *m = c->m;
	const uint8_t *data = NULL;
	struct js_str k, s, op = { 0 };
	bool first = true, done, success = false;
	unsigned seen = 0;
	int err, late = 0;

	if (js_peek(j) != '{')
		return by_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (JS_IS(&k, "topic")) {
			BY_ONCE(seen, BS_TOPIC);
			err = by_str(j, &s);
			if (!err && (err = by_topic(c, &s)) != 0 &&
			    (err == -VD_E_TYPE || err == -VD_E_SYMBOL)) {
				late = err;     /* the rest is still checked */
				err = 0;
			}
		} else if (JS_IS(&k, "type")) {
			BY_ONCE(seen, BS_TYPE);
			err = by_str(j, &s);
			if (!err)
				c->snapshot = JS_IS(&s, "snapshot") ? 1 : JS_IS(&s, "delta") ? 0 : -1;
		} else if (JS_IS(&k, "ts")) {
			BY_ONCE(seen, BS_TS);
			err = by_ms(j, &c->ts);
		} else if (JS_IS(&k, "cts")) {
			BY_ONCE(seen, BS_CTS);
			err = by_ms(j, &c->cts);
		} else if (JS_IS(&k, "data")) {
			BY_ONCE(seen, BS_DATA);
			if (c->kind != BK_NONE && !late) {
				err = by_data(c, j);
			} else {
				data = j->p;
				err = js_skip(j);
			}
		} else if (JS_IS(&k, "success")) {
			BY_ONCE(seen, BS_SUCCESS);
			err = js_bool(j, &success);
		} else if (JS_IS(&k, "ret_msg")) {
			BY_ONCE(seen, BS_RETMSG);
			err = by_str(j, &s);
			if (!err) {
				m->err_name = s.p;
				m->err_name_len = s.len;
			}
		} else if (JS_IS(&k, "op")) {
			BY_ONCE(seen, BS_OP);
			err = by_str(j, &op);
		} else if (JS_IS(&k, "req_id")) {
			BY_ONCE(seen, BS_REQID);
			err = by_req_id(j, &m->req_id);
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (late)
		return late;
	if (data && c->kind != BK_NONE) {
		struct js d = { .p = data, .end = j->end };
		if ((err = by_data(c, &d)))
			return err;
	}
	return by_finish(c, seen, success, &op);
}

static void by_reset(struct vd_msg *m)
{
	vd_msg_reset(m);
	m->venue = KIMP_VENUE_BYBIT;
}

/*
 * One WebSocket message p[0..len) into m (0), or -enum vd_err with m->kind
 * VD_NONE and no levels (sym_name kept where one was read). m's strings
 * point into p and live as long as it does.
 */
static int by_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	struct by_ctx c = { .t = t, .m = m, .snapshot = -1, .sym = VENUE_SYM_NONE };
	struct js j;
	int err;

	by_reset(m);
	js_init(&j, p, len);
	if (js_peek(&j) != '{') {
		err = js_skip(&j);
		if (!err)
			err = js_end(&j);
		err = err ? err : -VD_E_TYPE;
		goto fail;
	}
	err = by_object(&c, &j);
	if (!err)
		err = js_end(&j);
	if (err)
		goto fail;
	return 0;
fail: {
	const char *name = m->sym_name;
	uint32_t nlen = m->sym_name_len;

	by_reset(m);
	m->sym_name = name;
	m->sym_name_len = nlen;
	return err < 0 && err > -VD_E_MAX ? err : -VD_E_SHAPE;
}
}

/*
 * GET /v5/market/orderbook body for sym into m as VD_SNAPSHOT (0):
 * {"retCode":0,"retMsg","result":{"s","a","b","ts","u","seq","cts"},"time"}.
 * A non-zero retCode is VD_E_TYPE (a failed decode leaves nothing). Levels
 * best first, empty ones dropped. Cold: "result" is checked, then read.
 */
static int by_decode_snapshot(const struct venue_symtab *t, uint32_t sym, const uint8_t *p,
			      size_t len, struct vd_msg *m)
{
	struct by_ctx c = { .t = t, .m = m, .snapshot = 1, .sym = sym, .kind = BK_BOOK };
	const uint8_t *result = NULL;
	bool first = true, done;
	unsigned seen = 0;
	struct js_str k;
	int64_t code = -1;
	struct js j;
	int err;

	by_reset(m);
	if (!t || sym >= t->n) {
		err = -VD_E_SYMBOL;
		goto fail;
	}
	c.pdec = t->sym[sym].px_dec;
	c.qdec = t->sym[sym].qty_dec;
	js_init(&j, p, len);
	if (js_peek(&j) != '{') {
		err = js_skip(&j);
		if (!err)
			err = js_end(&j);
		err = err ? err : -VD_E_TYPE;
		goto fail;
	}
	j.p++;
	for (;;) {
		if ((err = js_key(&j, &k, &first, &done)))
			goto fail;
		if (done)
			break;
		if (JS_IS(&k, "retCode")) {
			int ch = js_peek(&j);
			if (seen & 1u)
				err = -VD_E_SHAPE;
			else if (ch == '-' || js_is_digit((uint8_t)ch))
				err = js_i64(&j, &code);
			else
				err = by_wrong(&j);
			seen |= 1u;
		} else if (JS_IS(&k, "result")) {
			if (seen & 2u) {
				err = -VD_E_SHAPE;
			} else if (js_peek(&j) == '{') {
				result = j.p;
				err = js_skip(&j);
			} else {
				err = by_wrong(&j);
			}
			seen |= 2u;
		} else {
			err = js_skip(&j);
		}
		if (err)
			goto fail;
	}
	if ((err = js_end(&j)))
		goto fail;
	if ((seen & 3u) != 3u) {
		err = -VD_E_SHAPE;
		goto fail;
	}
	if (code != 0) {
		err = -VD_E_TYPE;
		goto fail;
	}
	j.p = result;
	if ((err = by_book_data(&c, &j)) || (err = by_compact(m->bids, &m->nbids, true)) ||
	    (err = by_compact(m->asks, &m->nasks, false)))
		goto fail;
	m->kind = VD_SNAPSHOT;
	m->sym = sym;
	m->first_id = m->last_id = c.u;
	m->venue_ts_ns = c.cts ? c.cts : c.ts;
	return 0;
fail:
	by_reset(m);
	return err < 0 && err > -VD_E_MAX ? err : -VD_E_SHAPE;
}

/* ---- trading rules ---------------------------------------------------- */

/*
 * What instruments-info says for the spot USDT symbols known here
 * (shared/fixtures/venues/bybit-rest.jsonl line 3, 2025-10): priceFilter
 * tickSize, lotSizeFilter basePrecision (the size step) and minOrderQty.
 * Every spot USDT symbol has minOrderAmt 5 USDT; any other symbol takes its
 * tick and step from the configuration.
 */
static const struct {
	const char *base, *tick, *step, *min_qty;
} by_known_rules[] = {
	{ "BTC", "0.1", "0.000001", "0.000011" },
};

static int by_inst_rules(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			 struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (!base || !quote || strcmp(quote, "USDT"))
		return -ENOENT;
	if (venue_fixed("5", px_dec, &out->min_notional))
		return -ERANGE;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(by_known_rules); i++) {
		if (strcmp(by_known_rules[i].base, base))
			continue;
		if (venue_fixed(by_known_rules[i].tick, px_dec, &out->tick) ||
		    venue_fixed(by_known_rules[i].step, qty_dec, &out->step) ||
		    venue_fixed(by_known_rules[i].min_qty, qty_dec, &out->min_qty))
			return -ERANGE;
		return 0;
	}
	return -ENOENT;
}

const struct venue_md venue_md_bybit = {
	.venue = KIMP_VENUE_BYBIT,
	.name = "bybit",
	.ws_url = "wss://stream.bybit.com",
	.rest_url = "https://api.bybit.com",
	.quote = "USDT",
	.book_mode = VENUE_BOOK_WS,
	.binary_frames = false,
	/* the client pings (every 20 s recommended); no data and no ping for
	 * 10 min closes the connection [2.2] */
	.ping_text = "{\"op\":\"ping\"}",
	.ping_every_ns = 20 * BY_NS_PER_S,
	.conn_life_ns = 0,
	.stale_after_ns = 10 * BY_NS_PER_S,
	.streams_max = 0,               /* bounded by args text: ws_target says -E2BIG */
	.snapshot_limit = BY_DEPTH_DEFAULT,
	.symbol = by_symbol,
	.ws_target = by_ws_target,
	.ws_subscribe = by_ws_subscribe,
	.ws_unsubscribe = by_ws_unsubscribe,
	.snapshot_target = by_snapshot_target,
	.split = by_split,
	.decode = by_decode,
	.decode_snapshot = by_decode_snapshot,
	.book_checksum = NULL,
	.checksum_depth = 0,
	.taker_fee = "0.001",           /* [UNCONFIRMED] retail spot 0.1% / 0.1% [2.6] */
	.maker_fee = "0.001",
	.inst_rules = by_inst_rules,
};
