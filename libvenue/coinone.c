/* SPDX-License-Identifier: MIT */
/*
 * Coinone market data (shared/docs/venues/exchanges-kr.md, sections 0 and
 * 3.1, 3.5-3.6): the venue's facts, its symbols (QUOTE-TARGET, "KRW-BTC",
 * ours: the venue names a market by its two currencies), the subscribe
 * messages (one topic a message: ws_subscribe returns one per part), and
 * the decoder of its WebSocket messages.
 *
 * Decoded, with DEFAULT or SHORT keys alike:
 *   DATA ORDERBOOK  VD_BOOK: 16 levels a side, the whole book every frame;
 *                   asks come worst to best on the wire (H9) and are
 *                   delivered best first (a side in either direction is
 *                   accepted and normalized; a side that is not strictly
 *                   ordered is VD_E_SHAPE); first_id = last_id = the
 *                   frame's id (ms time + 3-digit counter, bigger is newer,
 *                   not consecutive: the caller drops a frame whose id is
 *                   not above the last one's)
 *   DATA TRADE      VD_TRADE: is_seller_maker true = the buyer took
 *   DATA TICKER     VD_TICKER: last price, best bid/ask (null: 0)
 *   CONNECTED, SUBSCRIBED, UNSUBSCRIBED, PONG   VD_CONTROL
 *   ERROR           VD_VENUE_ERROR: err_code the number, err_name the message
 * Other channels (CHART, MYORDER, MYASSET) and response types: VD_E_TYPE.
 *
 * Keys may come in any order: the channel and the market are found by a
 * pass that stops as soon as it has them (in the venue's order they are
 * the first keys, so the pass reads two keys); the main pass then reads
 * every value. No tree, no allocation, no strtod.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "jscan.h"

#define CO_NS_PER_S 1000000000ull

/* ---- symbols and requests ------------------------------------------------ */

/* An upper-case currency code of n bytes (BTC, USDT, 1INCH). */
static bool co_word_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* KRW-BTC for base (target) BTC, quote KRW. */
static int co_symbol(const char *base, const char *quote, char *out, size_t cap)
{
	size_t nb = base ? strlen(base) : 0, nq = quote ? strlen(quote) : 0;

	if (!co_word_n(base, nb) || !co_word_n(quote, nq))
		return -EINVAL;
	if (nq + 1 + nb >= cap || nq + 1 + nb > INT_MAX)
		return -ENOSPC;
	memcpy(out, quote, nq);
	out[nq] = '-';
	memcpy(out + nq + 1, base, nb);
	out[nq + 1 + nb] = '\0';
	return (int)(nq + 1 + nb);
}

/* KRW-BTC -> base BTC, quote KRW (each cap bytes with its NUL). */
static int co_split(const char *name, size_t len, char *base, char *quote, size_t cap)
{
	const char *dash = memchr(name, '-', len);
	size_t nq, nb;

	if (!dash)
		return -EINVAL;
	nq = (size_t)(dash - name);
	nb = len - nq - 1;
	if (nq >= cap || nb >= cap || !co_word_n(name, nq) || !co_word_n(dash + 1, nb))
		return -EINVAL;
	memcpy(quote, name, nq);
	quote[nq] = '\0';
	memcpy(base, dash + 1, nb);
	base[nb] = '\0';
	return 0;
}

/* One public socket carries every topic: wss://stream.coinone.co.kr/ */
static int co_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			const struct venue_sub *sub, char *out, size_t cap)
{
	if (cap < 2)
		return -ENOSPC;
	out[0] = '/';
	out[1] = '\0';
	return 1;
}

struct co_out {
	char *p;
	size_t len, cap;
};

static void co_put(struct co_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define CO_LIT(o, lit) co_put(o, lit, sizeof(lit) - 1)

/* The channels of sub in the order their parts are sent; their count. */
static unsigned co_channels(const struct venue_sub *sub, const char *ch[3])
{
	unsigned n = 0;

	if (sub->book)
		ch[n++] = "ORDERBOOK";
	if (sub->trades)
		ch[n++] = "TRADE";
	if (sub->ticker)
		ch[n++] = "TICKER";
	return n;
}

/*
 * Part 'part' of the requests: symbol part / nch, channel part % nch, as
 * {"request_type":<rt>,"channel":<ch>,"topic":{"quote_currency":..,
 * "target_currency":..}[,"format":"SHORT"]} (sub->simple asks for the
 * SHORT keys). 0 past the last part; -EINVAL when there is nothing to ask
 * for or a symbol index is not in t; -ENOSPC.
 */
static int co_request(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
		      const struct venue_sub *sub, const char *rt, const char *const *ch,
		      unsigned nch, unsigned part, bool fmt, char *out, size_t cap)
{
	struct co_out o = { .p = out, .cap = cap };
	const struct venue_sym *s;

	if (!n || !nch)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return -EINVAL;
	if (part / nch >= n)
		return 0;
	s = &t->sym[syms[part / nch]];
	CO_LIT(&o, "{\"request_type\":\"");
	co_put(&o, rt, strlen(rt));
	CO_LIT(&o, "\",\"channel\":\"");
	co_put(&o, ch[part % nch], strlen(ch[part % nch]));
	CO_LIT(&o, "\",\"topic\":{\"quote_currency\":\"");
	co_put(&o, s->quote, strlen(s->quote));
	CO_LIT(&o, "\",\"target_currency\":\"");
	co_put(&o, s->base, strlen(s->base));
	CO_LIT(&o, "\"}");
	if (fmt && sub->simple)
		CO_LIT(&o, ",\"format\":\"SHORT\"");
	CO_LIT(&o, "}");
	if (o.len >= cap || o.len > INT_MAX)
		return -ENOSPC;
	out[o.len] = '\0';
	return (int)o.len;
}

/* One topic a message (3.1): part k is symbol k / nch, channel k % nch. */
static int co_subscribe(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
			size_t cap)
{
	const char *ch[3];
	unsigned nch = co_channels(sub, ch);

	return co_request(t, syms, n, sub, "SUBSCRIBE", ch, nch, part, true, out, cap);
}

/* Every book frame is the whole book: no REST snapshot is needed. */
static int co_snapshot_target(const struct venue_symtab *t, uint32_t sym, uint32_t limit,
			      char *out, size_t cap)
{
	return -ENOTSUP;
}

/* ---- decoder -------------------------------------------------------------- */

enum co_type { T_NONE = 0, T_BOOK, T_TRADE, T_TICKER, T_CONTROL, T_ERROR };

/* Top-level keys. */
enum { H_UNKNOWN = 0, H_R, H_C, H_D, H_EC, H_MSG, H_N };

/* Keys of a data object, DEFAULT and SHORT spellings alike. */
enum co_key {
	K_UNKNOWN = 0,
	K_QC, K_TC, K_T, K_I,                 /* any */
	K_A, K_B,                             /* orderbook */
	K_P, K_Q, K_SM,                       /* trade */
	K_LA, K_ABP, K_ABQ, K_BBP, K_BBQ,     /* ticker */
	K_N
};

#define KB(k) (1u << (k))
#define KEQ(p, lit) (!memcmp((p), lit, sizeof(lit) - 1))

static const uint32_t co_need[] = {
	[T_BOOK] = KB(K_QC) | KB(K_TC) | KB(K_T) | KB(K_I) | KB(K_A) | KB(K_B),
	[T_TRADE] = KB(K_QC) | KB(K_TC) | KB(K_T) | KB(K_I) | KB(K_P) | KB(K_Q) | KB(K_SM),
	[T_TICKER] = KB(K_QC) | KB(K_TC) | KB(K_T) | KB(K_LA),
};

static unsigned co_head_key(const char *p, uint32_t len)
{
	switch (len) {
	case 1:
		return p[0] == 'r' ? H_R : p[0] == 'c' ? H_C : p[0] == 'd' ? H_D : H_UNKNOWN;
	case 4:
		return KEQ(p, "data") ? H_D : H_UNKNOWN;
	case 7:
		return KEQ(p, "channel") ? H_C : KEQ(p, "message") ? H_MSG : H_UNKNOWN;
	case 10:
		return KEQ(p, "error_code") ? H_EC : H_UNKNOWN;
	case 13:
		return KEQ(p, "response_type") ? H_R : H_UNKNOWN;
	}
	return H_UNKNOWN;
}

static unsigned co_key(const char *p, uint32_t len)
{
	switch (len) {
	case 1:
		switch (p[0]) {
		case 't': return K_T;
		case 'i': return K_I;
		case 'a': return K_A;
		case 'b': return K_B;
		case 'p': return K_P;
		case 'q': return K_Q;
		}
		return K_UNKNOWN;
	case 2:
		return KEQ(p, "qc") ? K_QC : KEQ(p, "tc") ? K_TC : KEQ(p, "sm") ? K_SM
		       : KEQ(p, "la") ? K_LA : KEQ(p, "id") ? K_I : K_UNKNOWN;
	case 3:
		return KEQ(p, "abp") ? K_ABP : KEQ(p, "abq") ? K_ABQ : KEQ(p, "bbp") ? K_BBP
		       : KEQ(p, "bbq") ? K_BBQ : KEQ(p, "qty") ? K_Q : K_UNKNOWN;
	case 4:
		return KEQ(p, "asks") ? K_A : KEQ(p, "bids") ? K_B : KEQ(p, "last") ? K_LA
		       : K_UNKNOWN;
	case 5:
		return KEQ(p, "price") ? K_P : K_UNKNOWN;
	case 9:
		return KEQ(p, "timestamp") ? K_T : K_UNKNOWN;
	case 12:
		return KEQ(p, "ask_best_qty") ? K_ABQ : KEQ(p, "bid_best_qty") ? K_BBQ : K_UNKNOWN;
	case 14:
		return KEQ(p, "quote_currency") ? K_QC : KEQ(p, "ask_best_price") ? K_ABP
		       : KEQ(p, "bid_best_price") ? K_BBP : K_UNKNOWN;
	case 15:
		return KEQ(p, "target_currency") ? K_TC : KEQ(p, "is_seller_maker") ? K_SM
		       : K_UNKNOWN;
	}
	return K_UNKNOWN;
}

/* One message being decoded. */
struct co {
	const struct venue_symtab *t;
	struct vd_msg *m;
	const struct venue_sym *sym;
	uint8_t type;                 /* enum co_type */
};

/* A value of the wrong type at j: VD_E_SHAPE, or VD_E_SYNTAX if it is broken. */
static kimp_cold int co_wrong_type(struct js *j)
{
	int err = js_skip(j);
	return err ? err : -VD_E_SHAPE;
}

static inline int co_str(struct js *j, struct js_str *s)
{
	if (kimp_likely(js_peek(j) == '"'))
		return js_string(j, s);
	return co_wrong_type(j);
}

/* A price or size: fixed point at dec, not negative. */
static inline int co_fixed(struct js *j, unsigned dec, int64_t *v)
{
	int err = js_fixed_inline(j, dec, v);
	if (kimp_unlikely(!err && *v < 0))
		err = -VD_E_NUMBER;
	return err;
}

/* As co_fixed, null as 0 (the ticker's best prices may be null). */
static int co_fixed_null(struct js *j, unsigned dec, int64_t *v)
{
	if (js_peek(j) == 'n') {
		*v = 0;
		return js_null(j);
	}
	return co_fixed(j, dec, v);
}

/*
 * The top-level object from its '{' (j is a copy): response_type and
 * channel, as string slices; stops once it has both. A repeated one or
 * one that is not a string is VD_E_SHAPE.
 */
static int co_head(struct js j, struct js_str *rt, struct js_str *ch)
{
	struct js_str k;
	bool first = true, done, has_r = false, has_c = false;
	int err;

	j.p++;
	for (;;) {
		if ((err = js_key(&j, &k, &first, &done)))
			return err;
		if (done)
			return 0;
		unsigned id = k.escaped ? H_UNKNOWN : co_head_key(k.p, k.len);
		if (id == H_R || id == H_C) {
			bool *has = id == H_R ? &has_r : &has_c;
			if (*has)
				return -VD_E_SHAPE;
			*has = true;
			err = co_str(&j, id == H_R ? rt : ch);
		} else {
			err = js_skip(&j);
		}
		if (err)
			return err;
		if (has_r && has_c)
			return 0;
	}
}

/* The message type from response_type and channel. */
static int co_type_of(const struct js_str *rt, const struct js_str *ch)
{
	if (!rt->p)
		return -VD_E_SHAPE;
	if (JS_IS(rt, "DATA")) {
		if (!ch->p)
			return -VD_E_SHAPE;
		if (JS_IS(ch, "ORDERBOOK"))
			return T_BOOK;
		if (JS_IS(ch, "TRADE"))
			return T_TRADE;
		if (JS_IS(ch, "TICKER"))
			return T_TICKER;
		return -VD_E_TYPE;      /* CHART, MYORDER, MYASSET, ... */
	}
	if (JS_IS(rt, "CONNECTED") || JS_IS(rt, "SUBSCRIBED") || JS_IS(rt, "UNSUBSCRIBED") ||
	    JS_IS(rt, "PONG"))
		return T_CONTROL;
	if (JS_IS(rt, "ERROR"))
		return T_ERROR;
	return -VD_E_TYPE;
}

/*
 * The market of the data object at j (a copy, at its '{'): quote and
 * target currency, found by a pass that stops once it has both. Sets
 * sym_name to the target currency as the message spelled it.
 */
static int co_market(struct co *u, struct js j)
{
	struct js_str k, qc = { 0 }, tc = { 0 };
	bool first = true, done;
	char name[VENUE_SYM_MAX];
	uint32_t i;
	int err;

	j.p++;
	while (!qc.p || !tc.p) {
		if ((err = js_key(&j, &k, &first, &done)))
			return err;
		if (done)
			return -VD_E_SHAPE;      /* a market currency is missing */
		unsigned id = k.escaped ? K_UNKNOWN : co_key(k.p, k.len);
		if (id == K_QC || id == K_TC) {
			struct js_str *s = id == K_QC ? &qc : &tc;
			if (s->p)
				return -VD_E_SHAPE;
			err = co_str(&j, s);
			if (!err && !s->len)
				return -VD_E_SHAPE;
		} else {
			err = js_skip(&j);
		}
		if (err)
			return err;
	}
	u->m->sym_name = tc.p;
	u->m->sym_name_len = tc.len;
	if (qc.escaped || tc.escaped || (size_t)qc.len + 1 + tc.len >= sizeof(name))
		return -VD_E_SYMBOL;
	memcpy(name, qc.p, qc.len);
	name[qc.len] = '-';
	memcpy(name + qc.len + 1, tc.p, tc.len);
	i = venue_symtab_find(u->t, name, (size_t)qc.len + 1 + tc.len);
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	u->m->sym = i;
	u->sym = &u->t->sym[i];
	return 0;
}

/* One level {"price"|"p":..,"qty"|"q":..}, both required. */
static int co_level(struct js *j, unsigned pd, unsigned qd, struct vd_level *l)
{
	struct js_str k;
	bool first = true, done;
	unsigned seen = 0;
	int err;

	if (kimp_unlikely(js_peek(j) != '{'))
		return co_wrong_type(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		unsigned id = k.escaped ? K_UNKNOWN : co_key(k.p, k.len);
		if (id != K_P && id != K_Q) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (kimp_unlikely(seen & KB(id)))
			return -VD_E_SHAPE;
		seen |= KB(id);
		if ((err = co_fixed(j, id == K_P ? pd : qd, id == K_P ? &l->px : &l->qty)))
			return err;
	}
	return seen == (KB(K_P) | KB(K_Q)) ? 0 : -VD_E_SHAPE;
}

/* The level as the venue writes it ({"p":..,"q":..} or the long keys), or false. */
static inline bool co_level_fast(struct js *j, bool short_keys, unsigned pd, unsigned qd,
				 struct vd_level *l)
{
	static const char sp[] = "{\"p\":", sq[] = ",\"q\":", lp[] = "{\"price\":",
			  lq[] = ",\"qty\":";
	const uint8_t *p0 = j->p;
	const char *a = short_keys ? sp : lp, *b = short_keys ? sq : lq;
	size_t na = short_keys ? sizeof(sp) - 1 : sizeof(lp) - 1;
	size_t nb = short_keys ? sizeof(sq) - 1 : sizeof(lq) - 1;

	if (j->end - j->p < (ptrdiff_t)na || memcmp(j->p, a, na))
		return false;
	j->p += na;
	if (js_fixed_inline(j, pd, &l->px))
		goto undo;
	if (j->end - j->p < (ptrdiff_t)nb || memcmp(j->p, b, nb))
		goto undo;
	j->p += nb;
	if (js_fixed_inline(j, qd, &l->qty))
		goto undo;
	if (j->p < j->end && *j->p == '}' && (l->px | l->qty) >= 0) {
		j->p++;
		return true;
	}
undo:
	j->p = p0;
	return false;
}

/* out[0..n) reversed. */
static void co_reverse(struct vd_level *out, uint32_t n)
{
	for (uint32_t i = 0; i < n / 2; i++) {
		struct vd_level x = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = x;
	}
}

/*
 * One side's array into out (m->cap levels), best first: levels with a
 * zero price or size dropped; the side strictly ordered one way or the
 * other (asks come worst to best, H9; either is taken) or VD_E_SHAPE;
 * more elements than m->cap VD_E_DEPTH.
 */
static int co_side(struct co *u, struct js *j, bool ask, struct vd_level *out, uint32_t *nout)
{
	struct vd_msg *m = u->m;
	const unsigned pd = u->sym->px_dec, qd = u->sym->qty_dec;
	uint32_t n = 0, k = 0;
	bool first = true, done, short_keys, up = false;
	int err;

	if (kimp_unlikely(js_peek(j) != '['))
		return co_wrong_type(j);
	j->p++;
	short_keys = j->end - j->p >= 4 && !memcmp(j->p, "{\"p\"", 4);
	for (;;) {
		struct vd_level l;
		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (kimp_unlikely(n++ >= m->cap))
			return -VD_E_DEPTH;
		if (!co_level_fast(j, short_keys, pd, qd, &l) && (err = co_level(j, pd, qd, &l)))
			return err;
		if (!l.px || !l.qty)
			continue;
		if (k == 1)
			up = l.px > out[0].px;
		if (k && (l.px == out[k - 1].px || (l.px > out[k - 1].px) != up))
			return -VD_E_SHAPE;
		out[k++] = l;
	}
	if (k > 1 && up != ask)
		co_reverse(out, k);
	*nout = k;
	return 0;
}

/* is_seller_maker: true = the seller rested, the buyer took. */
static int co_maker(struct co *u, struct js *j)
{
	bool sm;
	int err = js_bool(j, &sm);

	if (!err)
		u->m->aggressor = sm ? KIMP_SIDE_BUY : KIMP_SIDE_SELL;
	return err;
}

/* A key of a data object whose meaning depends on the type. */
static int co_field(struct co *u, struct js *j, unsigned id)
{
	struct vd_msg *m = u->m;
	const unsigned pd = u->sym->px_dec, qd = u->sym->qty_dec;

	switch (u->type) {
	case T_BOOK:
		switch (id) {
		case K_A:
			return co_side(u, j, true, m->asks, &m->nasks);
		case K_B:
			return co_side(u, j, false, m->bids, &m->nbids);
		case K_I: {
			int err = js_u64(j, &m->last_id);
			m->first_id = m->last_id;
			return err;
		}
		}
		break;
	case T_TRADE:
		switch (id) {
		case K_P:
			return co_fixed(j, pd, &m->px);
		case K_Q:
			return co_fixed(j, qd, &m->qty);
		case K_SM:
			return co_maker(u, j);
		case K_I:
			return js_u64(j, &m->trade_id);
		}
		break;
	case T_TICKER:
		switch (id) {
		case K_LA:
			return co_fixed(j, pd, &m->px);
		case K_ABP:
			return co_fixed_null(j, pd, &m->ask.px);
		case K_ABQ:
			return co_fixed_null(j, qd, &m->ask.qty);
		case K_BBP:
			return co_fixed_null(j, pd, &m->bid.px);
		case K_BBQ:
			return co_fixed_null(j, qd, &m->bid.qty);
		case K_I:
			return js_u64(j, &m->last_id);
		}
		break;
	}
	return js_skip(j);   /* volumes, OHLC, yesterday's: checked only */
}

/* The data object of a DATA message, its '{' next. */
static int co_data(struct co *u, struct js *j)
{
	struct vd_msg *m = u->m;
	struct js_str k;
	bool first = true, done;
	uint32_t seen = 0;
	int err;

	if (js_peek(j) != '{')
		return co_wrong_type(j);
	if ((err = co_market(u, *j)))
		return err;
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		unsigned id = k.escaped ? K_UNKNOWN : co_key(k.p, k.len);
		if (id == K_UNKNOWN) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (kimp_unlikely(seen & KB(id)))
			return -VD_E_SHAPE;
		seen |= KB(id);
		if (id == K_QC || id == K_TC)
			err = js_skip(j);       /* read by co_market */
		else if (id == K_T)
			err = js_ms_ns(j, &m->venue_ts_ns);
		else
			err = co_field(u, j, id);
		if (err)
			return err;
	}
	if ((seen & co_need[u->type]) != co_need[u->type])
		return -VD_E_SHAPE;
	if (u->type == T_TRADE)
		m->trade_ts_ns = m->venue_ts_ns;
	return 0;
}

/* error_code: a number (or a numeric string), into err_code. */
static int co_err_code(struct co *u, struct js *j)
{
	int64_t v;
	int err = js_i64(j, &v);

	if (err)
		return err;
	if (v < INT32_MIN || v > INT32_MAX)
		return -VD_E_NUMBER;
	u->m->err_code = (int32_t)v;
	return 0;
}

/* The top-level object, its '{' next; the type known. */
static int co_object(struct co *u, struct js *j)
{
	struct vd_msg *m = u->m;
	struct js_str k, s;
	bool first = true, done;
	unsigned seen = 0;
	int err;

	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		unsigned id = k.escaped ? H_UNKNOWN : co_head_key(k.p, k.len);
		if (id == H_UNKNOWN) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (seen & KB(id))
			return -VD_E_SHAPE;
		seen |= KB(id);
		switch (id) {
		case H_D:
			err = u->type <= T_TICKER ? co_data(u, j) : js_skip(j);
			break;
		case H_EC:
			err = u->type == T_ERROR ? co_err_code(u, j) : js_skip(j);
			break;
		case H_MSG:
			if (u->type != T_ERROR) {
				err = js_skip(j);
			} else if (!(err = co_str(j, &s))) {
				m->err_name = s.p;
				m->err_name_len = s.len;
			}
			break;
		default:
			err = js_skip(j);       /* response_type, channel: read before */
		}
		if (err)
			return err;
	}
	if (u->type <= T_TICKER && !(seen & KB(H_D)))
		return -VD_E_SHAPE;
	if (u->type == T_ERROR && !(seen & KB(H_EC)))
		return -VD_E_SHAPE;
	return 0;
}

static const uint8_t co_kind[] = {
	[T_BOOK] = VD_BOOK, [T_TRADE] = VD_TRADE, [T_TICKER] = VD_TICKER,
	[T_CONTROL] = VD_CONTROL, [T_ERROR] = VD_VENUE_ERROR,
};

/*
 * One WebSocket message into m: 0, or -enum vd_err with m->kind VD_NONE
 * (m->sym_name still names the target currency read, for VD_E_SYMBOL).
 * Pointers left in m (sym_name, err_name) point into p.
 */
static int co_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	struct co u = { .t = t, .m = m };
	struct js_str rt = { 0 }, ch = { 0 };
	struct js j;
	int err;

	vd_msg_reset(m);
	m->venue = KIMP_VENUE_COINONE;
	js_init(&j, p, len);
	if (kimp_unlikely(js_peek(&j) != '{')) {
		err = js_skip(&j);
		if (!err)
			err = js_end(&j);
		if (!err)
			err = -VD_E_SHAPE;      /* JSON, but not an object */
		goto fail;
	}
	if ((err = co_head(j, &rt, &ch)))
		goto fail;
	if ((err = co_type_of(&rt, &ch)) < 0)
		goto fail;
	u.type = (uint8_t)err;
	if ((err = co_object(&u, &j)) || (err = js_end(&j)))
		goto fail;
	m->kind = co_kind[u.type];
	return 0;
fail:
	m->kind = VD_NONE;
	m->nbids = m->nasks = 0;
	return err;
}

/* ---- trading rules (3.6) ---------------------------------------------------- */

/*
 * The range_units example table (the same as /public/v2/range_units gives
 * for KRW pairs), as units of 1e-8 KRW from the band's floor.
 */
static const struct {
	int64_t from, tick;
} co_krw_ticks[] = {
	{ 100000000000000, 100000000000 },  /* >= 1,000,000: 1,000 */
	{ 50000000000000, 50000000000 },    /* >= 500,000: 500 */
	{ 10000000000000, 10000000000 },    /* >= 100,000: 100 */
	{ 5000000000000, 5000000000 },      /* >= 50,000: 50 */
	{ 1000000000000, 1000000000 },      /* >= 10,000: 10 */
	{ 500000000000, 500000000 },        /* >= 5,000: 5 */
	{ 100000000000, 100000000 },        /* >= 1,000: 1 */
	{ 10000000000, 10000000 },          /* >= 100: 0.1 */
	{ 1000000000, 1000000 },            /* >= 10: 0.01 */
	{ 100000000, 100000 },              /* >= 1: 0.001 */
	{ 0, 10000 },                       /* below 1: 0.0001 */
};

static const int64_t co_p10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
				   100000000 };

/* The table's tick at px (px_dec <= 8), in px_dec decimals, at least 1. */
static int64_t co_tick_krw(int64_t px, unsigned px_dec)
{
	int64_t p8, t = 1;

	if (px_dec > 8)
		return 0;
	p8 = px > INT64_MAX / co_p10[8 - px_dec] ? INT64_MAX : px * co_p10[8 - px_dec];
	for (size_t i = 0; i < sizeof(co_krw_ticks) / sizeof(co_krw_ticks[0]); i++)
		if (p8 >= co_krw_ticks[i].from) {
			t = co_krw_ticks[i].tick;
			break;
		}
	t /= co_p10[8 - px_dec];
	return t > 0 ? t : 1;
}

/*
 * KRW markets (the only quote the venue has, 3.5): the banded tick, except
 * BTC whose live book and markets.price_unit move in 10,000 KRW (3.6: the
 * coarser unit is always a valid one); 1e-8 quantity; 5,000 KRW minimum
 * order. The per-pair range_units and qty_unit, when the configuration
 * gives them, take precedence.
 */
static int co_inst_rules(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			 struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (strcmp(quote, "KRW"))
		return -ENOENT;
	if (px_dec > 8 || qty_dec > 8)
		return -ERANGE;
	out->min_notional = 5000 * co_p10[px_dec];
	if (!strcmp(base, "BTC"))
		out->tick = 10000 * co_p10[px_dec];
	else
		out->tick_at = co_tick_krw;
	out->step = 1;  /* 1e-8, or the scale's unit when coarser */
	return 0;
}

const struct venue_md venue_md_coinone = {
	.venue = KIMP_VENUE_COINONE,
	.name = "coinone",
	.ws_url = "wss://stream.coinone.co.kr",   /* the origin: ws_target adds "/" */
	.rest_url = "https://api.coinone.co.kr",
	.quote = "KRW",
	.book_mode = VENUE_BOOK_FULL,           /* H7: the whole book every frame */
	.binary_frames = false,                 /* H2: text frames */
	.ping_text = "{\"request_type\":\"PING\"}",  /* answered by PONG */
	/* the server closes 30 min after the last PING; a socket that never
	 * subscribed died at ~60 s in the probe: ping well inside both */
	.ping_every_ns = 20 * CO_NS_PER_S,
	.conn_life_ns = 0,
	.stale_after_ns = 10 * CO_NS_PER_S,     /* a quiet book sends nothing */
	.streams_max = 0,
	.snapshot_limit = 0,
	.symbol = co_symbol,
	.ws_target = co_ws_target,
	.ws_subscribe = co_subscribe,
	.ws_unsubscribe = NULL,
	.snapshot_target = co_snapshot_target,
	.split = co_split,
	.decode = co_decode,
	.decode_snapshot = NULL,
	.book_checksum = NULL,
	.checksum_depth = 0,
	/* UNCONFIRMED (3.6): the doc examples' fee_rate; the account's rate
	 * (/v2.1/account/trade_fee) belongs in the configuration */
	.taker_fee = "0.002",
	.maker_fee = "0.002",
	.inst_rules = co_inst_rules,
};
