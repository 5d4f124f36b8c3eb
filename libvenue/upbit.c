/* SPDX-License-Identifier: MIT */
/*
 * Upbit market data (shared/docs/venues/exchanges-kr.md, section 0 and 1.1):
 * the venue's facts, its symbols (QUOTE-BASE), the request array sent once
 * the socket is open, and the decoder of its WebSocket messages.
 *
 * Decoded: orderbook, trade and ticker messages with DEFAULT or SIMPLE
 * keys, bare or wrapped in the *_LIST formats' one-element array;
 * {"status":"UP"} (the answer to a text PING); {"error":{...}}.
 *
 * Keys may come in any order. Prices and sizes need the symbol's scales and
 * a key's meaning needs the message type, so the decoder reads type and
 * code as they come; if a key that needs them comes first, one cheap pass
 * over the top-level object (js_key + js_skip) finds them, and the main
 * pass goes on where it was. The venue's own order (type, code first) never
 * takes the second pass.
 *
 * The hot path is the venue's own layout: once the type is known, the next
 * key is first tried as the literal ,"key": the venue sends next (a guess
 * that costs a few word compares), orderbook units are matched whole, and
 * numbers take jscan's inline paths, each call site with its own branch
 * history. Anything else (spaces, another order, escapes, errors) reads the
 * general way, with the same results and the same errors.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "jscan.h"
#include "upbit_share.h"

#define UB_NS_PER_S 1000000000ull

/* ---- symbols and requests ------------------------------------------------ */

/* An upper-case currency code (BTC, USDT, 1INCH): its length, 0 if not one. */
static size_t ub_word(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n;
}

/* KRW-BTC for base BTC, quote KRW (upbit_share.h: Bithumb too). */
int ub_symbol(const char *base, const char *quote, char *out, size_t cap)
{
	size_t nb = base ? ub_word(base) : 0, nq = quote ? ub_word(quote) : 0;

	if (!nb || !nq)
		return -EINVAL;
	if (nq + 1 + nb >= cap || nq + 1 + nb > INT_MAX)
		return -ENOSPC;
	memcpy(out, quote, nq);
	out[nq] = '-';
	memcpy(out + nq + 1, base, nb);
	out[nq + 1 + nb] = '\0';
	return (int)(nq + 1 + nb);
}

static bool ub_word_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* KRW-BTC -> base BTC, quote KRW (each cap bytes with its NUL). */
int ub_split(const char *name, size_t len, char *base, char *quote, size_t cap)
{
	const char *dash = memchr(name, '-', len);
	size_t nq, nb;

	if (!dash)
		return -EINVAL;
	nq = (size_t)(dash - name);
	nb = len - nq - 1;
	if (nq >= cap || nb >= cap || !ub_word_n(name, nq) || !ub_word_n(dash + 1, nb))
		return -EINVAL;
	memcpy(quote, name, nq);
	quote[nq] = '\0';
	memcpy(base, dash + 1, nb);
	base[nb] = '\0';
	return 0;
}

/* One socket carries every market: the target does not depend on the set. */
int ub_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			const struct venue_sub *sub, char *out, size_t cap)
{
	static const char target[] = "/websocket/v1";

	if (cap < sizeof(target))
		return -ENOSPC;
	memcpy(out, target, sizeof(target));
	return (int)sizeof(target) - 1;
}

/* An output buffer that counts what did not fit. */
struct ub_out {
	char *p;
	size_t len, cap;
};

static void ub_put(struct ub_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define UB_LIT(o, lit) ub_put(o, lit, sizeof(lit) - 1)

static void ub_put_u64(struct ub_out *o, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ub_put(o, d + i, sizeof(d) - i);
}

static void ub_put_type(struct ub_out *o, const char *type, const struct venue_symtab *t,
			const uint32_t *syms, uint32_t n, const char *suffix)
{
	UB_LIT(o, ",{\"type\":\"");
	ub_put(o, type, strlen(type));
	UB_LIT(o, "\",\"codes\":[");
	for (uint32_t i = 0; i < n; i++) {
		const char *name = t->sym[syms[i]].name;
		if (i)
			UB_LIT(o, ",");
		UB_LIT(o, "\"");
		ub_put(o, name, strlen(name));
		ub_put(o, suffix, strlen(suffix));
		UB_LIT(o, "\"");
	}
	UB_LIT(o, "]}");
}

/*
 * The whole request in one message (H11: a later request replaces the
 * set): ticket, orderbook (codes with a .N depth suffix for depth 1, 5, 15
 * or 30), trade, ticker, format. Upbit has no separate BBO stream (sub->bbo
 * is served by the book and the trades' best_* fields). -EINVAL when there
 * is nothing to ask for or a symbol index is not in t.
 */
int ub_subscribe(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
			size_t cap)
{
	struct ub_out o = { .p = out, .cap = cap };
	char suffix[4] = "";

	if (!n || !(sub->book || sub->trades || sub->ticker))
		return -EINVAL;
	if (part)
		return 0;       /* one request array carries everything */
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return -EINVAL;
	switch (sub->depth) {
	case 1: case 5:
		suffix[0] = '.';
		suffix[1] = (char)('0' + sub->depth);
		break;
	case 15: case 30:
		suffix[0] = '.';
		suffix[1] = (char)('0' + sub->depth / 10);
		suffix[2] = (char)('0' + sub->depth % 10);
		break;
	}
	UB_LIT(&o, "[{\"ticket\":\"kimp-");
	ub_put_u64(&o, ticket);
	UB_LIT(&o, "\"}");
	if (sub->book)
		ub_put_type(&o, "orderbook", t, syms, n, suffix);
	if (sub->trades)
		ub_put_type(&o, "trade", t, syms, n, "");
	if (sub->ticker)
		ub_put_type(&o, "ticker", t, syms, n, "");
	if (sub->simple)
		UB_LIT(&o, ",{\"format\":\"SIMPLE\"}]");
	else
		UB_LIT(&o, ",{\"format\":\"DEFAULT\"}]");
	if (o.len >= cap || o.len > INT_MAX)
		return -ENOSPC;
	out[o.len] = '\0';
	return (int)o.len;
}

/* Every book frame is the whole book: no REST snapshot. */
int ub_snapshot_target(const struct venue_symtab *t, uint32_t sym, uint32_t limit,
			      char *out, size_t cap)
{
	return -ENOTSUP;
}

/* ---- decoder -------------------------------------------------------------- */

/* enum ub_type (T_BOOK, T_TRADE, T_TICKER) is in upbit_share.h. */

/* Top-level keys, DEFAULT and SIMPLE spellings alike. */
enum ub_key {
	K_UNKNOWN = 0,
	K_TYPE, K_CODE, K_TMS, K_ST, K_STATUS, K_ERROR,  /* any message */
	K_TAS, K_TBS, K_LV, K_OBU,                       /* orderbook */
	K_TP, K_TTMS,                                    /* trade and ticker */
	K_TV, K_AB, K_SID, K_BAP, K_BAS, K_BBP, K_BBS,   /* trade */
	K_N
};

#define KB(k) (1u << (k))

static const uint32_t ub_need[] = {
	[T_BOOK] = KB(K_TYPE) | KB(K_CODE) | KB(K_TMS) | KB(K_OBU),
	[T_TRADE] = KB(K_TYPE) | KB(K_CODE) | KB(K_TMS) | KB(K_TP) | KB(K_TTMS) | KB(K_TV) |
		    KB(K_AB) | KB(K_SID),
	[T_TICKER] = KB(K_TYPE) | KB(K_CODE) | KB(K_TMS) | KB(K_TP) | KB(K_TTMS),
};

static const uint8_t ub_kind[] = {
	[T_BOOK] = VD_BOOK, [T_TRADE] = VD_TRADE, [T_TICKER] = VD_TICKER,
};

#define KEQ(p, lit) (!memcmp((p), lit, sizeof(lit) - 1))

/* Length first, then a byte or a memcmp: no string chains. */
static inline unsigned ub_key_id(const char *p, uint32_t len)
{
	switch (len) {
	case 2:
		switch (p[0]) {
		case 't':
			return p[1] == 'y' ? K_TYPE : p[1] == 'p' ? K_TP : p[1] == 'v' ? K_TV
										: K_UNKNOWN;
		case 'c':
			return p[1] == 'd' ? K_CODE : K_UNKNOWN;
		case 's':
			return p[1] == 't' ? K_ST : K_UNKNOWN;
		case 'a':
			return p[1] == 'b' ? K_AB : K_UNKNOWN;
		case 'l':
			return p[1] == 'v' ? K_LV : K_UNKNOWN;
		}
		return K_UNKNOWN;
	case 3:
		switch (p[0]) {
		case 't':
			return KEQ(p, "tms") ? K_TMS : KEQ(p, "tas") ? K_TAS
			       : KEQ(p, "tbs") ? K_TBS : K_UNKNOWN;
		case 'o':
			return KEQ(p, "obu") ? K_OBU : K_UNKNOWN;
		case 's':
			return KEQ(p, "sid") ? K_SID : K_UNKNOWN;
		case 'b':
			return KEQ(p, "bap") ? K_BAP : KEQ(p, "bas") ? K_BAS
			       : KEQ(p, "bbp") ? K_BBP : KEQ(p, "bbs") ? K_BBS : K_UNKNOWN;
		}
		return K_UNKNOWN;
	case 4:
		return KEQ(p, "type") ? K_TYPE : KEQ(p, "code") ? K_CODE
		       : KEQ(p, "ttms") ? K_TTMS : K_UNKNOWN;
	case 5:
		return KEQ(p, "level") ? K_LV : KEQ(p, "error") ? K_ERROR : K_UNKNOWN;
	case 6:
		return KEQ(p, "status") ? K_STATUS : K_UNKNOWN;
	case 7:
		return KEQ(p, "ask_bid") ? K_AB : K_UNKNOWN;
	case 9:
		return KEQ(p, "timestamp") ? K_TMS : K_UNKNOWN;
	case 11:
		return KEQ(p, "stream_type") ? K_ST : KEQ(p, "trade_price") ? K_TP : K_UNKNOWN;
	case 12:
		return KEQ(p, "trade_volume") ? K_TV : K_UNKNOWN;
	case 13:
		return KEQ(p, "sequential_id") ? K_SID : KEQ(p, "best_ask_size") ? K_BAS
		       : KEQ(p, "best_bid_size") ? K_BBS : K_UNKNOWN;
	case 14:
		if (p[0] == 't')
			return KEQ(p, "total_ask_size") ? K_TAS
			       : KEQ(p, "total_bid_size") ? K_TBS : K_UNKNOWN;
		return KEQ(p, "best_ask_price") ? K_BAP : KEQ(p, "best_bid_price") ? K_BBP
		       : K_UNKNOWN;
	case 15:
		return KEQ(p, "orderbook_units") ? K_OBU
		       : KEQ(p, "trade_timestamp") ? K_TTMS : K_UNKNOWN;
	}
	return K_UNKNOWN;
}

/*
 * The venue's key order (the DEFAULT and SIMPLE forms of each type, after
 * the type key): the decoder first tries the next one as a literal
 * ,"key": at the cursor, and reads the key the general way when it is not
 * there. A guess only: any order decodes the same.
 */
#define KL(k) UB_KL(k)         /* struct ub_klit: upbit_share.h */

static const struct ub_klit ub_book_keys[2][7] = {
	{ KL("code"), KL("timestamp"), KL("total_ask_size"), KL("total_bid_size"),
	  KL("orderbook_units"), KL("stream_type"), KL("level") },
	{ KL("cd"), KL("tms"), KL("tas"), KL("tbs"), KL("obu"), KL("st"), KL("lv") },
};

static const struct ub_klit ub_trade_keys[2][17] = {
	{ KL("code"), KL("timestamp"), KL("trade_date"), KL("trade_time"),
	  KL("trade_timestamp"), KL("trade_price"), KL("trade_volume"), KL("ask_bid"),
	  KL("prev_closing_price"), KL("change"), KL("change_price"), KL("sequential_id"),
	  KL("best_ask_price"), KL("best_ask_size"), KL("best_bid_price"), KL("best_bid_size"),
	  KL("stream_type") },
	{ KL("cd"), KL("tms"), KL("td"), KL("ttm"), KL("ttms"), KL("tp"), KL("tv"), KL("ab"),
	  KL("pcp"), KL("c"), KL("cp"), KL("sid"), KL("bap"), KL("bas"), KL("bbp"), KL("bbs"),
	  KL("st") },
};

static const struct ub_klit ub_ticker_keys[2][32] = {
	{ KL("code"), KL("opening_price"), KL("high_price"), KL("low_price"),
	  KL("trade_price"), KL("prev_closing_price"), KL("acc_trade_price"), KL("change"),
	  KL("change_price"), KL("signed_change_price"), KL("change_rate"),
	  KL("signed_change_rate"), KL("ask_bid"), KL("trade_volume"), KL("acc_trade_volume"),
	  KL("trade_date"), KL("trade_time"), KL("trade_timestamp"), KL("acc_ask_volume"),
	  KL("acc_bid_volume"), KL("highest_52_week_price"), KL("highest_52_week_date"),
	  KL("lowest_52_week_price"), KL("lowest_52_week_date"), KL("market_state"),
	  KL("is_trading_suspended"), KL("delisting_date"), KL("market_warning"),
	  KL("timestamp"), KL("acc_trade_price_24h"), KL("acc_trade_volume_24h"),
	  KL("stream_type") },
	{ KL("cd"), KL("op"), KL("hp"), KL("lp"), KL("tp"), KL("pcp"), KL("atp"), KL("c"),
	  KL("cp"), KL("scp"), KL("cr"), KL("scr"), KL("ab"), KL("tv"), KL("atv"), KL("tdt"),
	  KL("ttm"), KL("ttms"), KL("aav"), KL("abv"), KL("h52wp"), KL("h52wdt"), KL("l52wp"),
	  KL("l52wdt"), KL("ms"), KL("its"), KL("dd"), KL("mw"), KL("tms"), KL("atp24h"),
	  KL("atv24h"), KL("st") },
};

/* Upbit's own flavour of the decoder (upbit_share.h). */
static const struct ub_flavour ub_upbit = {
	.venue = KIMP_VENUE_UPBIT,
	.tms_auto_us = false,
	.seq = {
		[T_BOOK] = { { ub_book_keys[0], 7 }, { ub_book_keys[1], 7 } },
		[T_TRADE] = { { ub_trade_keys[0], 17 }, { ub_trade_keys[1], 17 } },
		[T_TICKER] = { { ub_ticker_keys[0], 32 }, { ub_ticker_keys[1], 32 } },
	},
};

/* The literal l at p (32 bytes readable): four masked word compares. */
static inline bool ub_klit_at(const uint8_t *p, const uint8_t *end, const struct ub_klit *l)
{
#if JS_SWAR
	const uint8_t *s = (const uint8_t *)l->s;
	uint64_t d = 0;

	if (end - p < 32)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		int rem = (int)l->len - 8 * (int)i;
		uint64_t m = rem >= 8 ? ~0ULL : rem <= 0 ? 0 : ~0ULL >> (64 - 8 * rem);
		uint64_t w = i < 3 ? js_load8(s + 8 * i) : js_load8(s + 23) >> 8;
		d |= (js_load8(p + 8 * i) ^ w) & m;
	}
	return !d;
#else
	return end - p >= l->len && !memcmp(p, l->s, l->len);
#endif
}

/* Keys of one orderbook unit: bit 1 set for a size, bit 0 for the bid. */
enum { U_AP = 0, U_BP = 1, U_AS = 2, U_BS = 3, U_UNKNOWN = 4 };

static inline unsigned ub_unit_key(const char *p, uint32_t len)
{
	unsigned side;

	switch (len) {
	case 2:
		side = p[0] == 'a' ? 0 : p[0] == 'b' ? 1 : 2;
		if (side < 2 && (p[1] == 'p' || p[1] == 's'))
			return side | (p[1] == 's' ? 2u : 0u);
		return U_UNKNOWN;
	case 8:
		return KEQ(p, "ask_size") ? U_AS : KEQ(p, "bid_size") ? U_BS : U_UNKNOWN;
	case 9:
		return KEQ(p, "ask_price") ? U_AP : KEQ(p, "bid_price") ? U_BP : U_UNKNOWN;
	}
	return U_UNKNOWN;
}

/* One message being decoded. */
struct ub {
	const struct ub_flavour *fl;  /* the venue's flavour (Upbit's, Bithumb's) */
	const struct venue_symtab *t;
	struct vd_msg *m;
	const uint8_t *obj;           /* just past the top-level '{' */
	const uint8_t *end;
	const struct venue_sym *sym;  /* the code's entry, once known */
	uint32_t seen;                /* KB(key) of each top-level key read */
	uint8_t type;                 /* enum ub_type */
	bool has_code;
	bool simple;                  /* SIMPLE keys (the type key was "ty") */
	bool pre;                     /* the pre-pass ran */
	struct ub_seq seq;            /* the keys expected next, from seq.k[pos] */
	uint32_t pos;
	bool ready;                   /* type and symbol known */
};

/* A value of the wrong type at j: VD_E_SHAPE, or VD_E_SYNTAX if it is broken. */
static kimp_cold int ub_wrong_type(struct js *j)
{
	int err = js_skip(j);
	return err ? err : -VD_E_SHAPE;
}

/* js_skip, with the common values (strings, bare numbers) inline. */
static inline int ub_skip(struct js *j)
{
	if (kimp_likely(j->p < j->end)) {
		struct js_str s;
		uint8_t c = *j->p;
		if (c == '"')
			return js_string(j, &s);
		if (js_is_digit(c) || c == '-')
			return js_number_inline(j);
	}
	return js_skip(j);
}

static inline int ub_str(struct js *j, struct js_str *s)
{
	if (kimp_likely(js_peek(j) == '"'))
		return js_string(j, s);
	return ub_wrong_type(j);
}

/* A price or size: fixed point at dec, not negative. */
static inline int ub_fixed(struct js *j, unsigned dec, int64_t *v)
{
	int err = js_fixed_inline(j, dec, v);
	if (kimp_unlikely(!err && *v < 0))
		err = -VD_E_NUMBER;
	return err;
}

static int ub_type(struct ub *u, struct js *j, bool simple)
{
	struct js_str s;
	int err = ub_str(j, &s);

	if (err)
		return err;
	if (JS_IS(&s, "orderbook"))
		u->type = T_BOOK;
	else if (JS_IS(&s, "trade"))
		u->type = T_TRADE;
	else if (JS_IS(&s, "ticker"))
		u->type = T_TICKER;
	else
		return -VD_E_TYPE;   /* candle.1s, myOrder, ... */
	u->simple = simple;
	u->seq = u->fl->seq[u->type][simple];
	u->pos = 0;
	u->ready = u->sym != NULL;
	return 0;
}

static int ub_code(struct ub *u, struct js *j)
{
	struct js_str s;
	int err = ub_str(j, &s);
	uint32_t i;

	if (err)
		return err;
	u->m->sym_name = s.p;
	u->m->sym_name_len = s.len;
	u->has_code = true;
	i = s.escaped ? VENUE_SYM_NONE : venue_symtab_find(u->t, s.p, s.len);
	if (i != VENUE_SYM_NONE) {
		u->m->sym = i;
		u->sym = &u->t->sym[i];
	}
	u->ready = u->type && u->sym;
	return 0;
}

/*
 * A key that needs the type and the scales came before them: find type and
 * code in one pass over the top-level object, checking that neither is
 * repeated.
 */
static kimp_cold int ub_prepass(struct ub *u)
{
	struct js j = { .p = u->obj, .end = u->end };
	struct js_str k;
	bool first = true, done, ty = false, cd = false;
	int err;

	for (;;) {
		if ((err = js_key(&j, &k, &first, &done)))
			return err;
		if (done)
			return 0;
		unsigned id = k.escaped ? K_UNKNOWN : ub_key_id(k.p, k.len);
		if (id == K_TYPE) {
			if (ty)
				return -VD_E_SHAPE;
			ty = true;
			err = ub_type(u, &j, k.len == 2);
		} else if (id == K_CODE) {
			if (cd)
				return -VD_E_SHAPE;
			cd = true;
			err = ub_code(u, &j);
		} else {
			err = js_skip(&j);
		}
		if (err)
			return err;
	}
}

static kimp_cold int ub_resolve(struct ub *u)
{
	int err;

	if (!u->pre) {
		if ((err = ub_prepass(u)))
			return err;
		u->pre = true;
	}
	if (!u->type || !u->has_code)
		return -VD_E_SHAPE;
	if (!u->sym)
		return -VD_E_SYMBOL;
	u->ready = true;
	return 0;
}

/* stream_type: SNAPSHOT marks the message; REALTIME and others do not. */
static int ub_stream(struct ub *u, struct js *j)
{
	struct js_str s;
	int err = ub_str(j, &s);

	if (!err)
		u->m->snapshot = JS_IS(&s, "SNAPSHOT");
	return err;
}

/* ask_bid: ASK = the taker sold into the bid, BID = the taker bought. */
static int ub_side(struct ub *u, struct js *j)
{
	struct js_str s;
	int err = ub_str(j, &s);

	if (err)
		return err;
	if (JS_IS(&s, "ASK"))
		u->m->aggressor = KIMP_SIDE_SELL;
	else if (JS_IS(&s, "BID"))
		u->m->aggressor = KIMP_SIDE_BUY;
	else
		return -VD_E_SHAPE;
	return 0;
}

/* {"status":"UP"}: the keepalive answer. Another status is not known. */
static int ub_status(struct ub *u, struct js *j)
{
	struct js_str s;
	int err = ub_str(j, &s);

	if (err)
		return err;
	return JS_IS(&s, "UP") ? 0 : -VD_E_TYPE;
}

/*
 * {"error":{"name":"NO_TICKET","message":"..."}}: err_name points at the
 * name's raw bytes in the input. A numeric name (the quotation API's 404)
 * goes to err_code too, err_name pointing at its digits.
 */
static kimp_cold int ub_error(struct ub *u, struct js *j)
{
	struct vd_msg *m = u->m;
	struct js_str k, s;
	bool first = true, done, name = false;
	int err;

	if (js_peek(j) != '{')
		return ub_wrong_type(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (!JS_IS(&k, "name")) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (name)
			return -VD_E_SHAPE;
		name = true;
		if (js_peek(j) == '"') {
			if ((err = js_string(j, &s)))
				return err;
			m->err_name = s.p;
			m->err_name_len = s.len;
		} else {
			const uint8_t *p0 = j->p;
			int64_t v;
			if ((err = js_i64(j, &v)))
				return err;
			if (v < INT32_MIN || v > INT32_MAX)
				return -VD_E_NUMBER;
			m->err_code = (int32_t)v;
			m->err_name = (const char *)p0;
			m->err_name_len = (uint32_t)(j->p - p0);
		}
	}
	return name ? 0 : -VD_E_SHAPE;
}

/* One unit: the i-th best ask and bid, each price and size required. */
static inline int ub_unit(struct js *j, unsigned pd, unsigned qd, struct vd_level *a,
			  struct vd_level *b)
{
	int64_t *dst[4] = { &a->px, &b->px, &a->qty, &b->qty };
	struct js_str k;
	bool first = true, done;
	unsigned seen = 0;
	int err;

	if (kimp_unlikely(js_peek(j) != '{'))
		return ub_wrong_type(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		unsigned id = k.escaped ? U_UNKNOWN : ub_unit_key(k.p, k.len);
		if (kimp_unlikely(id == U_UNKNOWN)) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (kimp_unlikely(seen & (1u << id)))
			return -VD_E_SHAPE;
		seen |= 1u << id;
		if ((err = ub_fixed(j, id & 2 ? qd : pd, dst[id])))
			return err;
	}
	return seen == 15 ? 0 : -VD_E_SHAPE;
}

/* The literal lit next at j: step over it. */
static inline bool ub_lit(struct js *j, const char *lit, size_t n)
{
	if (j->end - j->p < (ptrdiff_t)n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

#define UB_LIT_NEXT(j, lit) ub_lit(j, lit, sizeof(lit) - 1)

/*
 * A unit as the venue writes it (its keys in its order, no spaces), or
 * false with the cursor back where it was, for ub_unit to read (and give
 * the error, if any).
 */
static inline bool ub_unit_fast(struct js *j, bool simple, unsigned pd, unsigned qd,
				struct vd_level *a, struct vd_level *b)
{
	const uint8_t *p0 = j->p;

	if (simple ? !UB_LIT_NEXT(j, "{\"ap\":") : !UB_LIT_NEXT(j, "{\"ask_price\":"))
		return false;
	if (js_fixed_inline(j, pd, &a->px))
		goto undo;
	if (simple ? !UB_LIT_NEXT(j, ",\"bp\":") : !UB_LIT_NEXT(j, ",\"bid_price\":"))
		goto undo;
	if (js_fixed_inline(j, pd, &b->px))
		goto undo;
	if (simple ? !UB_LIT_NEXT(j, ",\"as\":") : !UB_LIT_NEXT(j, ",\"ask_size\":"))
		goto undo;
	if (js_fixed_inline(j, qd, &a->qty))
		goto undo;
	if (simple ? !UB_LIT_NEXT(j, ",\"bs\":") : !UB_LIT_NEXT(j, ",\"bid_size\":"))
		goto undo;
	if (js_fixed_inline(j, qd, &b->qty))
		goto undo;
	if (j->p < j->end && *j->p == '}' && (a->px | b->px | a->qty | b->qty) >= 0) {
		j->p++;
		return true;
	}
undo:
	j->p = p0;
	return false;
}

/*
 * orderbook_units into m->asks / m->bids, best first: levels with a zero
 * price or size dropped (H8), each side strictly ordered (asks up, bids
 * down) or VD_E_SHAPE, more units than m->cap VD_E_DEPTH.
 */
static int ub_units(struct ub *u, struct js *j)
{
	struct vd_msg *m = u->m;
	const unsigned pd = u->sym->px_dec, qd = u->sym->qty_dec;
	uint32_t n = 0, na = 0, nb = 0;
	bool first = true, done;
	int err;

	if (kimp_unlikely(js_peek(j) != '['))
		return ub_wrong_type(j);
	j->p++;
	for (;;) {
		struct vd_level a, b;
		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (kimp_unlikely(n++ >= m->cap))
			return -VD_E_DEPTH;
		if (!ub_unit_fast(j, u->simple, pd, qd, &a, &b) &&
		    (err = ub_unit(j, pd, qd, &a, &b)))
			return err;
		if (a.px && a.qty) {
			if (kimp_unlikely(na && a.px <= m->asks[na - 1].px))
				return -VD_E_SHAPE;
			m->asks[na++] = a;
		}
		if (b.px && b.qty) {
			if (kimp_unlikely(nb && b.px >= m->bids[nb - 1].px))
				return -VD_E_SHAPE;
			m->bids[nb++] = b;
		}
	}
	m->nasks = na;
	m->nbids = nb;
	return 0;
}

/* A key whose meaning depends on the type; type and symbol are known. */
static inline int ub_field(struct ub *u, struct js *j, unsigned id)
{
	struct vd_msg *m = u->m;
	const unsigned pd = u->sym->px_dec, qd = u->sym->qty_dec;

	switch (u->type) {
	case T_BOOK:
		switch (id) {
		case K_OBU:
			return ub_units(u, j);
		case K_TAS: case K_TBS: case K_LV:
			return js_number_inline(j);   /* checked, not kept */
		}
		break;
	case T_TRADE:
		switch (id) {
		case K_TP:
			return ub_fixed(j, pd, &m->px);
		case K_TV:
			return ub_fixed(j, qd, &m->qty);
		case K_AB:
			return ub_side(u, j);
		case K_TTMS:
			return js_ms_ns(j, &m->trade_ts_ns);
		case K_SID:
			return js_u64_inline(j, &m->trade_id);   /* above 2^53 (H4) */
		case K_BAP:
			return ub_fixed(j, pd, &m->ask.px);
		case K_BAS:
			return ub_fixed(j, qd, &m->ask.qty);
		case K_BBP:
			return ub_fixed(j, pd, &m->bid.px);
		case K_BBS:
			return ub_fixed(j, qd, &m->bid.qty);
		}
		break;
	case T_TICKER:
		switch (id) {
		case K_TP:
			return ub_fixed(j, pd, &m->px);
		case K_TTMS:
			return js_ms_ns(j, &m->trade_ts_ns);
		}
		break;
	}
	return ub_skip(j);   /* e.g. ticker's fractions and 0E-8 (H3): checked only */
}

/* What the keys read make of the message. */
static int ub_finish(struct ub *u)
{
	struct vd_msg *m = u->m;

	if (u->seen & (KB(K_ERROR) | KB(K_STATUS))) {
		if (u->seen == KB(K_ERROR))
			m->kind = VD_VENUE_ERROR;
		else if (u->seen == KB(K_STATUS))
			m->kind = VD_CONTROL;
		else
			return -VD_E_SHAPE;
		return 0;
	}
	if (!u->type || !u->has_code)
		return -VD_E_SHAPE;
	if (!u->sym)
		return -VD_E_SYMBOL;
	if ((u->seen & ub_need[u->type]) != ub_need[u->type])
		return -VD_E_SHAPE;
	m->kind = ub_kind[u->type];
	return 0;
}

/*
 * A timestamp in ms below 1e14, in microseconds from there (the flavour's
 * tms_auto_us): UTC ns, or VD_E_NUMBER (negative, out of range).
 */
static kimp_cold int ub_tms_auto(struct js *j, int64_t *ns)
{
	int64_t v;
	int err = js_i64(j, &v);

	if (err)
		return err;
	if (v < 0)
		return -VD_E_NUMBER;
	if (v >= 100000000000000ll)
		v = v > INT64_MAX / 1000 ? -1 : v * 1000;
	else
		v = v > INT64_MAX / 1000000 ? -1 : v * 1000000;
	if (v < 0)
		return -VD_E_NUMBER;
	*ns = v;
	return 0;
}

/* The top-level object, its '{' next. */
static int ub_object(struct ub *u, struct js *j)
{
	struct vd_msg *m = u->m;
	struct js_str k;
	bool first = true, done;
	int err;

	j->p++;
	u->obj = j->p;
	for (;;) {
		if (u->pos < u->seq.n && ub_klit_at(j->p, j->end, &u->seq.k[u->pos])) {
			k.p = (const char *)j->p + 2;          /* ,"key": */
			k.len = u->seq.k[u->pos].len - 4u;
			k.escaped = false;
			j->p += u->seq.k[u->pos++].len;
		} else {
			if ((err = js_key(j, &k, &first, &done)))
				return err;
			if (done)
				return ub_finish(u);
		}
		unsigned id = k.escaped ? K_UNKNOWN : ub_key_id(k.p, k.len);
		if (id == K_UNKNOWN) {
			if ((err = ub_skip(j)))
				return err;
			continue;
		}
		if (kimp_unlikely(u->seen & KB(id)))
			return -VD_E_SHAPE;
		u->seen |= KB(id);
		switch (id) {
		case K_TYPE:
			err = u->pre ? js_skip(j) : ub_type(u, j, k.len == 2);
			break;
		case K_CODE:
			err = u->pre ? js_skip(j) : ub_code(u, j);
			break;
		case K_TMS:
			if (kimp_unlikely(u->fl->tms_auto_us))
				err = ub_tms_auto(j, &m->venue_ts_ns);
			else
				err = js_ms_ns(j, &m->venue_ts_ns);
			break;
		case K_ST:
			err = ub_stream(u, j);
			break;
		case K_STATUS:
			err = ub_status(u, j);
			break;
		case K_ERROR:
			err = ub_error(u, j);
			break;
		default:
			if (kimp_unlikely(!u->ready) && (err = ub_resolve(u)))
				return err;
			err = ub_field(u, j, id);
		}
		if (err)
			return err;
	}
}

/* A message that is not an object (or [object]): VD_E_SHAPE if it is JSON. */
static kimp_cold int ub_not_object(struct js *j)
{
	int err = js_skip(j);
	if (!err)
		err = js_end(j);
	return err ? err : -VD_E_SHAPE;
}

/*
 * One WebSocket message into m: 0, or -enum vd_err with m->kind VD_NONE
 * (m->sym_name still names the code read, for VD_E_SYMBOL). Pointers left
 * in m (sym_name, err_name) point into p. f: the venue's flavour
 * (upbit_share.h; Upbit's own is ub_upbit).
 */
int ub_decode_as(const struct ub_flavour *f, const struct venue_symtab *t, const uint8_t *p,
		 size_t len, struct vd_msg *m)
{
	struct ub u = { .fl = f, .t = t, .m = m, .end = p + len };
	struct js j;
	bool list;
	int err;

	vd_msg_reset(m);
	m->venue = f->venue;
	js_init(&j, p, len);
	list = js_accept(&j, '[');   /* JSON_LIST / SIMPLE_LIST: [ message ] */
	if (kimp_unlikely(js_peek(&j) != '{')) {
		js_init(&j, p, len);
		err = ub_not_object(&j);
		goto fail;
	}
	if ((err = ub_object(&u, &j)))
		goto fail;
	if (list && !js_accept(&j, ']')) {
		/* more than one message in the array is not a shape we know */
		js_init(&j, p, len);
		err = ub_not_object(&j);
		goto fail;
	}
	if ((err = js_end(&j)))
		goto fail;
	return 0;
fail:
	m->kind = VD_NONE;
	m->nbids = m->nasks = 0;
	return err;
}

static int ub_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	return ub_decode_as(&ub_upbit, t, p, len, m);
}

/* ---- trading rules ---------------------------------------------------- */

/*
 * The KRW price unit per price band, in force since 2025-07-31
 * (venues/exchanges-kr.md 1.7), as units of 1e-8 KRW from the band's floor.
 */
static const struct ub_band ub_krw_ticks[] = {
	{ 100000000000000, 100000000000 },  /* >= 1,000,000: 1,000 */
	{ 50000000000000, 50000000000 },    /* >= 500,000: 500 */
	{ 10000000000000, 10000000000 },    /* >= 100,000: 100 */
	{ 5000000000000, 5000000000 },      /* >= 50,000: 50 */
	{ 1000000000000, 1000000000 },      /* >= 10,000: 10 */
	{ 500000000000, 500000000 },        /* >= 5,000: 5 */
	{ 10000000000, 100000000 },         /* >= 100: 1 */
	{ 1000000000, 10000000 },           /* >= 10: 0.1 */
	{ 100000000, 1000000 },             /* >= 1: 0.01 */
	{ 10000000, 100000 },               /* >= 0.1: 0.001 */
	{ 1000000, 10000 },                 /* >= 0.01: 0.0001 */
	{ 100000, 1000 },                   /* >= 0.001 */
	{ 10000, 100 },                     /* >= 0.0001 */
	{ 1000, 10 },                       /* >= 0.00001 */
};

static const int64_t ub_p10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
				   100000000 };

/* px at 8 decimals (px_dec <= 8), INT64_MAX when it does not fit. */
static int64_t ub_p8(int64_t px, unsigned px_dec)
{
	return px > INT64_MAX / ub_p10[8 - px_dec] ? INT64_MAX : px * ub_p10[8 - px_dec];
}

/* The tick of bands at px (upbit_share.h: Bithumb's table too). */
int64_t ub_tick_bands(const struct ub_band *bands, size_t n, int64_t px, unsigned px_dec)
{
	int64_t p8, t = 1;

	if (px_dec > 8)
		return 0;
	p8 = ub_p8(px, px_dec);
	for (size_t i = 0; i < n; i++)
		if (p8 >= bands[i].from) {
			t = bands[i].tick;
			break;
		}
	t /= ub_p10[8 - px_dec];
	return t > 0 ? t : 1;
}

/* The table's tick at px (px_dec <= 8), in px_dec decimals, at least 1. */
static int64_t ub_tick_table(int64_t px, unsigned px_dec, bool usdt)
{
	/* KRW-USDT: 0.5 KRW from 1,000 to 10,000 KRW (the 2025-03-21 notice, 1.8) */
	static const struct ub_band usdt_band[] = { { 100000000000, 50000000 } };

	if (usdt && px_dec <= 8 && ub_p8(px, px_dec) >= 100000000000 &&
	    ub_p8(px, px_dec) < 1000000000000)
		return ub_tick_bands(usdt_band, 1, px, px_dec);
	return ub_tick_bands(ub_krw_ticks, sizeof(ub_krw_ticks) / sizeof(ub_krw_ticks[0]), px,
			     px_dec);
}

static int64_t ub_tick_krw(int64_t px, unsigned px_dec)
{
	return ub_tick_table(px, px_dec, false);
}

static int64_t ub_tick_krw_usdt(int64_t px, unsigned px_dec)
{
	return ub_tick_table(px, px_dec, true);
}

/*
 * KRW markets: the banded tick, 1e-8 quantity, 5,000 KRW minimum and
 * 1,000,000,000 KRW maximum per order (1.7). Other quotes are not traded
 * here yet.
 */
static int ub_inst_rules(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			 struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (strcmp(quote, "KRW"))
		return -ENOENT;
	if (px_dec > 8 || qty_dec > 8)
		return -ERANGE;
	out->tick_at = strcmp(base, "USDT") ? ub_tick_krw : ub_tick_krw_usdt;
	out->step = 1;  /* 1e-8, or the scale's unit when coarser */
	out->min_notional = 5000 * ub_p10[px_dec];
	out->max_notional = 1000000000 * ub_p10[px_dec];
	return 0;
}

const struct venue_md venue_md_upbit = {
	.venue = KIMP_VENUE_UPBIT,
	.name = "upbit",
	.ws_url = "wss://api.upbit.com",   /* the origin: ws_target adds the path */
	.rest_url = "https://api.upbit.com",
	.quote = "KRW",
	.book_mode = VENUE_BOOK_FULL,
	.binary_frames = true,                  /* H1 */
	.ping_text = "PING",                    /* answered by {"status":"UP"} */
	.ping_every_ns = 20 * UB_NS_PER_S,      /* idle sockets die at ~60 s on the wire */
	.conn_life_ns = 0,
	.stale_after_ns = 10 * UB_NS_PER_S,     /* a quiet book sends nothing */
	.streams_max = 0,
	.snapshot_limit = 0,
	.symbol = ub_symbol,
	.ws_target = ub_ws_target,
	.ws_subscribe = ub_subscribe,
	.snapshot_target = ub_snapshot_target,
	.split = ub_split,
	.decode = ub_decode,
	.decode_snapshot = NULL,
	.taker_fee = "0.0005",
	.maker_fee = "0.0005",
	.inst_rules = ub_inst_rules,
};
