// SPDX-License-Identifier: MIT
/*
 * The simdjson reference decoder (DOM API): one dom::parser for the process,
 * reused by every call so its buffers stay allocated and warm (simdjson's
 * best case), the input given with its padding so it is never copied. The
 * fields are looked up by name (element[key]), numbers come as double
 * (get_double for bare numbers, strtod on get_c_str for string numbers),
 * scaled to the symbol's decimals and rounded with llround, as the cJSON
 * reference does; ids and timestamps come exact from get_uint64/get_int64.
 */
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <simdjson.h>
#include "dref.h"

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

simdjson::dom::parser *parser;
simdjson::error_code last_error = simdjson::SUCCESS;

const double pow10_dbl[19] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
	1e15, 1e16, 1e17, 1e18,
};

/* The member key of o into out: false when o has none. */
inline bool get(const element &o, std::string_view key, element &out)
{
	return !o[key].get(out);
}

/* A number, bare or in a string, as fixed point at dec decimals. */
int fixed(const element &it, unsigned dec, int64_t *out)
{
	double d;

	if (it.is_number()) {
		if (it.get_double().get(d))
			return -DREF_E_NUMBER;
	} else if (it.is_string()) {
		const char *s, *end;
		char *e;

		if (it.get_c_str().get(s))
			return -DREF_E_SHAPE;
		d = strtod(s, &e);
		end = e;
		if (end == s || *end)
			return -DREF_E_NUMBER;
	} else {
		return -DREF_E_SHAPE;
	}
	double v = d * pow10_dbl[dec];
	if (!(std::fabs(v) < 9.2e18))
		return -DREF_E_NUMBER;
	*out = std::llround(v);
	return 0;
}

int fixed_key(const element &o, std::string_view key, unsigned dec, int64_t *out)
{
	element it;

	return get(o, key, it) ? fixed(it, dec, out) : -DREF_E_SHAPE;
}

int u64_key(const element &o, std::string_view key, uint64_t *out)
{
	element it;

	if (!get(o, key, it))
		return -DREF_E_SHAPE;
	return it.get_uint64().get(*out) ? -DREF_E_NUMBER : 0;
}

int ms_ns_key(const element &o, std::string_view key, int64_t *ns)
{
	element it;
	int64_t ms;

	if (!get(o, key, it))
		return -DREF_E_SHAPE;
	if (it.get_int64().get(ms) || ms < 0 || ms > INT64_MAX / 1000000)
		return -DREF_E_NUMBER;
	*ns = ms * 1000000;
	return 0;
}

/* Bithumb's "timestamp": ms below 1e14, microseconds from there on. */
int ms_us_ns_key(const element &o, std::string_view key, int64_t *ns)
{
	element it;
	int64_t v;

	if (!get(o, key, it))
		return -DREF_E_SHAPE;
	if (it.get_int64().get(v) || v < 0 || v > INT64_MAX / 1000)
		return -DREF_E_NUMBER;
	*ns = v < 100000000000000 ? v * 1000000 : v * 1000;
	return 0;
}

/* A uint64, bare or as a string of digits (Coinone's and OKX's ids and times). */
int u64s(const element &it, uint64_t *out)
{
	std::string_view s;
	uint64_t v = 0;

	if (it.is_number())
		return it.get_uint64().get(*out) ? -DREF_E_NUMBER : 0;
	if (it.get_string().get(s))
		return -DREF_E_SHAPE;
	if (s.empty() || s.size() > 20)
		return -DREF_E_NUMBER;
	for (char c : s) {
		unsigned d = (unsigned)(c - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -DREF_E_NUMBER;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int u64s_key(const element &o, std::string_view key, uint64_t *out)
{
	element it;

	return get(o, key, it) ? u64s(it, out) : -DREF_E_SHAPE;
}

/* Milliseconds, bare or as a string of digits, as ns. */
int ms_s_ns_key(const element &o, std::string_view key, int64_t *ns)
{
	uint64_t v;
	int err = u64s_key(o, key, &v);

	if (err)
		return err;
	if (v > INT64_MAX / 1000000)
		return -DREF_E_NUMBER;
	*ns = (int64_t)v * 1000000;
	return 0;
}

bool str_key(const element &o, std::string_view key, std::string_view &out)
{
	element it;

	return get(o, key, it) && !it.get_string().get(out);
}

int symbol(const struct dref_tab *t, std::string_view name, struct dref_msg *m)
{
	/* the view points into the parser's string buffer, valid until the next parse */
	m->sym_name = name.data();
	m->sym_name_len = (uint32_t)name.size();
	m->sym = venue_symtab_find(t->tab, name.data(), name.size());
	return m->sym == DREF_SYM_NONE ? -DREF_E_SYMBOL : 0;
}

int symbol_key(const struct dref_tab *t, const element &o, std::string_view key,
	       struct dref_msg *m)
{
	std::string_view s;

	return str_key(o, key, s) ? symbol(t, s, m) : -DREF_E_SHAPE;
}

int level(const struct dref_tab *t, const struct dref_msg *m, const element &o,
	  std::string_view kp, std::string_view kq, struct dref_level *l)
{
	int err = fixed_key(o, kp, t->px_dec[m->sym], &l->px);

	return err ? err : fixed_key(o, kq, t->qty_dec[m->sym], &l->qty);
}

/* ---- Upbit ------------------------------------------------------------------------------ */

struct upkeys {
	std::string_view type, code, tms, st, obu, ap, as, bp, bs;
	std::string_view tp, tv, ab, ttms, sid, bap, bas, bbp, bbs;
};

const upkeys up_default = {
	"type", "code", "timestamp", "stream_type", "orderbook_units", "ask_price", "ask_size",
	"bid_price", "bid_size", "trade_price", "trade_volume", "ask_bid", "trade_timestamp",
	"sequential_id", "best_ask_price", "best_ask_size", "best_bid_price", "best_bid_size",
};
const upkeys up_simple = {
	"ty", "cd", "tms", "st", "obu", "ap", "as", "bp", "bs", "tp", "tv", "ab", "ttms", "sid",
	"bap", "bas", "bbp", "bbs",
};

int up_book(const struct dref_tab *t, const upkeys &k, const element &o, struct dref_msg *m)
{
	simdjson::dom::array units;
	element it;

	if (!get(o, k.obu, it) || it.get_array().get(units))
		return -DREF_E_SHAPE;
	m->kind = DREF_BOOK;
	for (element u : units) {
		struct dref_level a, b;
		int err = level(t, m, u, k.ap, k.as, &a);

		if (!err)
			err = level(t, m, u, k.bp, k.bs, &b);
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

int up_trade(const struct dref_tab *t, const upkeys &k, const element &o, struct dref_msg *m)
{
	std::string_view ab;
	element it;
	int err;

	m->kind = DREF_TRADE;
	if ((err = fixed_key(o, k.tp, t->px_dec[m->sym], &m->px)) ||
	    (err = fixed_key(o, k.tv, t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns_key(o, k.ttms, &m->trade_ts_ns)) ||
	    (err = u64_key(o, k.sid, &m->trade_id)))
		return err;
	if (!str_key(o, k.ab, ab))
		return -DREF_E_SHAPE;
	if (ab == "ASK")
		m->aggressor = DREF_SIDE_SELL;
	else if (ab == "BID")
		m->aggressor = DREF_SIDE_BUY;
	else
		return -DREF_E_SHAPE;
	if (get(o, k.bap, it) &&
	    ((err = level(t, m, o, k.bap, k.bas, &m->ask)) ||
	     (err = level(t, m, o, k.bbp, k.bbs, &m->bid))))
		return err;
	return 0;
}

int up_ticker(const struct dref_tab *t, const upkeys &k, const element &o, struct dref_msg *m)
{
	int err;

	m->kind = DREF_TICKER;
	if ((err = fixed_key(o, k.tp, t->px_dec[m->sym], &m->px)) ||
	    (err = ms_ns_key(o, k.ttms, &m->trade_ts_ns)))
		return err;
	return 0;
}

/* Upbit, and Bithumb (v: its protocol, with its timestamps in ms or us). */
int upbit(const struct dref_tab *t, enum kimp_venue v, element o, struct dref_msg *m)
{
	const upkeys *k = &up_default;
	std::string_view type, st;
	int err;

	/* SIMPLE_LIST / JSON_LIST: the message alone in an array */
	if (o.type() == element_type::ARRAY) {
		simdjson::dom::array a;

		if (o.get_array().get(a) || a.size() != 1 || a.at(0).get(o))
			return -DREF_E_SHAPE;
	}
	if (o.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	if (!str_key(o, k->type, type)) {
		k = &up_simple;
		if (!str_key(o, k->type, type))
			return -DREF_E_TYPE;
	}
	m->venue = (uint8_t)v;
	if ((err = symbol_key(t, o, k->code, m)) ||
	    (err = v == KIMP_VENUE_BITHUMB ? ms_us_ns_key(o, k->tms, &m->venue_ts_ns) :
					     ms_ns_key(o, k->tms, &m->venue_ts_ns)))
		return err;
	m->snapshot = str_key(o, k->st, st) && st == "SNAPSHOT";
	if (type == "orderbook")
		return up_book(t, *k, o, m);
	if (type == "trade")
		return up_trade(t, *k, o, m);
	if (type == "ticker")
		return up_ticker(t, *k, o, m);
	return -DREF_E_TYPE;
}

/* ---- Binance -------------------------------------------------------------------------------- */

int bn_levels(const struct dref_tab *t, const struct dref_msg *m, const element &o,
	      std::string_view key, struct dref_level *l, uint32_t *n, bool drop)
{
	simdjson::dom::array a;
	element it;

	if (!get(o, key, it) || it.get_array().get(a))
		return -DREF_E_SHAPE;
	for (element pair : a) {
		simdjson::dom::array pa;
		element px, qty;
		struct dref_level v;
		int err;

		if (pair.get_array().get(pa) || pa.at(0).get(px) || pa.at(1).get(qty))
			return -DREF_E_SHAPE;
		if ((err = fixed(px, t->px_dec[m->sym], &v.px)) ||
		    (err = fixed(qty, t->qty_dec[m->sym], &v.qty)))
			return err;
		if (drop && (!v.px || !v.qty))
			continue;
		if (*n >= m->cap)
			return -DREF_E_DEPTH;
		l[(*n)++] = v;
	}
	return 0;
}

int bn_book(const struct dref_tab *t, const element &o, struct dref_msg *m)
{
	int err;

	if ((err = u64_key(o, "lastUpdateId", &m->last_id)))
		return err;
	m->first_id = m->last_id;
	if ((err = bn_levels(t, m, o, "bids", m->bids, &m->nbids, true)))
		return err;
	return bn_levels(t, m, o, "asks", m->asks, &m->nasks, true);
}

int bn_event(const struct dref_tab *t, const element &o, std::string_view e,
	     struct dref_msg *m)
{
	element mk;
	bool maker;
	int err;

	if ((err = symbol_key(t, o, "s", m)) || (err = ms_ns_key(o, "E", &m->venue_ts_ns)))
		return err;
	if (e == "depthUpdate") {
		m->kind = DREF_DIFF;
		if ((err = u64_key(o, "U", &m->first_id)) || (err = u64_key(o, "u", &m->last_id)) ||
		    (err = bn_levels(t, m, o, "b", m->bids, &m->nbids, false)))
			return err;
		return bn_levels(t, m, o, "a", m->asks, &m->nasks, false);
	}
	if (e != "trade" && e != "aggTrade")
		return -DREF_E_TYPE;
	m->kind = DREF_TRADE;
	if ((err = u64_key(o, e[0] == 't' ? "t" : "a", &m->trade_id)) ||
	    (err = fixed_key(o, "p", t->px_dec[m->sym], &m->px)) ||
	    (err = fixed_key(o, "q", t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns_key(o, "T", &m->trade_ts_ns)))
		return err;
	if (!get(o, "m", mk) || mk.get_bool().get(maker))
		return -DREF_E_SHAPE;
	/* the buyer was the maker: the taker sold */
	m->aggressor = maker ? DREF_SIDE_SELL : DREF_SIDE_BUY;
	return 0;
}

int binance(const struct dref_tab *t, element o, struct dref_msg *m)
{
	std::string_view stream, e;
	element data, it;
	bool combined = false;
	int err;

	if (o.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_BINANCE;
	if (get(o, "data", data)) {
		if (!str_key(o, "stream", stream) || data.type() != element_type::OBJECT)
			return -DREF_E_SHAPE;
		o = data;
		combined = true;
	}
	if (get(o, "e", it)) {
		if (it.get_string().get(e))
			return -DREF_E_SHAPE;
		return bn_event(t, o, e, m);
	}
	if (get(o, "lastUpdateId", it)) {
		/* partial depth: the symbol only in the stream name */
		m->kind = DREF_BOOK;
		if (!combined)
			return -DREF_E_SYMBOL;
		size_t at = stream.find('@');
		if (at == std::string_view::npos)
			return -DREF_E_SHAPE;
		err = symbol(t, stream.substr(0, at), m);
		return err ? err : bn_book(t, o, m);
	}
	if (get(o, "u", it) && get(o, "b", it)) {
		m->kind = DREF_BBO;
		if ((err = symbol_key(t, o, "s", m)) || (err = u64_key(o, "u", &m->last_id)) ||
		    (err = level(t, m, o, "b", "B", &m->bid)))
			return err;
		m->first_id = m->last_id;
		return level(t, m, o, "a", "A", &m->ask);
	}
	return -DREF_E_TYPE;
}

/* ---- Coinone ------------------------------------------------------------------------------ */

/*
 * [{"price","qty"},...] (or {"p","q"}) into l, empty levels dropped, best
 * first (asks come worst to best: a side in the other order is reversed).
 */
int co_side(const struct dref_tab *t, const struct dref_msg *m, const element &d,
	    std::string_view key, bool sk, bool ask, struct dref_level *l, uint32_t *n)
{
	simdjson::dom::array a;
	element it;

	if (!get(d, key, it) || it.get_array().get(a))
		return -DREF_E_SHAPE;
	for (element u : a) {
		struct dref_level v;
		int err = level(t, m, u, sk ? "p" : "price", sk ? "q" : "qty", &v);

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

int coinone(const struct dref_tab *t, const element &o, struct dref_msg *m)
{
	std::string_view rt, ch, qc, tc;
	element d, it;
	bool sk, sm;
	char name[64];
	int err;

	if (o.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_COINONE;
	sk = !get(o, "response_type", it);
	if (!str_key(o, sk ? "r" : "response_type", rt) || rt != "DATA" ||
	    !str_key(o, sk ? "c" : "channel", ch))
		return -DREF_E_TYPE;
	if (!get(o, sk ? "d" : "data", d) || d.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	if (!str_key(d, sk ? "qc" : "quote_currency", qc) ||
	    !str_key(d, sk ? "tc" : "target_currency", tc) || qc.size() + tc.size() + 2 > sizeof(name))
		return -DREF_E_SHAPE;
	memcpy(name, qc.data(), qc.size());
	name[qc.size()] = '-';
	memcpy(name + qc.size() + 1, tc.data(), tc.size());
	/* sym_name: the target currency as spelled; the table's name is KRW-XRP */
	m->sym_name = tc.data();
	m->sym_name_len = (uint32_t)tc.size();
	m->sym = venue_symtab_find(t->tab, name, qc.size() + 1 + tc.size());
	if (m->sym == DREF_SYM_NONE)
		return -DREF_E_SYMBOL;
	if ((err = ms_ns_key(d, sk ? "t" : "timestamp", &m->venue_ts_ns)))
		return err;
	if (ch == "ORDERBOOK") {
		m->kind = DREF_BOOK;
		if ((err = u64s_key(d, sk ? "i" : "id", &m->last_id)) ||
		    (err = co_side(t, m, d, sk ? "a" : "asks", sk, true, m->asks, &m->nasks)))
			return err;
		m->first_id = m->last_id;
		return co_side(t, m, d, sk ? "b" : "bids", sk, false, m->bids, &m->nbids);
	}
	if (ch != "TRADE")
		return -DREF_E_TYPE;
	m->kind = DREF_TRADE;
	if ((err = u64s_key(d, sk ? "i" : "id", &m->trade_id)) ||
	    (err = fixed_key(d, sk ? "p" : "price", t->px_dec[m->sym], &m->px)) ||
	    (err = fixed_key(d, sk ? "q" : "qty", t->qty_dec[m->sym], &m->qty)))
		return err;
	if (!get(d, sk ? "sm" : "is_seller_maker", it) || it.get_bool().get(sm))
		return -DREF_E_SHAPE;
	/* the seller rested: the buyer took */
	m->aggressor = sm ? DREF_SIDE_BUY : DREF_SIDE_SELL;
	m->trade_ts_ns = m->venue_ts_ns;
	return 0;
}

/* ---- Bybit and OKX ---------------------------------------------------------------------------- */

int pair_sides(const struct dref_tab *t, struct dref_msg *m, const element &d,
	       std::string_view kb, std::string_view ka, bool drop)
{
	int err = bn_levels(t, m, d, kb, m->bids, &m->nbids, drop);

	return err ? err : bn_levels(t, m, d, ka, m->asks, &m->nasks, drop);
}

int bybit(const struct dref_tab *t, const element &o, struct dref_msg *m)
{
	std::string_view topic, type, side, id;
	simdjson::dom::array a;
	element d, last, it;
	int err;

	if (o.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_BYBIT;
	if (!str_key(o, "topic", topic))
		return -DREF_E_TYPE;
	size_t dot = topic.rfind('.');
	if (dot == std::string_view::npos)
		return -DREF_E_SHAPE;
	if ((err = symbol(t, topic.substr(dot + 1), m)))
		return err;
	if (!get(o, "data", d))
		return -DREF_E_SHAPE;
	if (topic.substr(0, 10) == "orderbook.") {
		if (!str_key(o, "type", type) || (type != "snapshot" && type != "delta"))
			return -DREF_E_SHAPE;
		bool snap = type == "snapshot";
		if (d.type() != element_type::OBJECT)
			return -DREF_E_SHAPE;
		if ((err = ms_ns_key(o, get(o, "cts", it) ? "cts" : "ts", &m->venue_ts_ns)) ||
		    (err = u64_key(d, "u", &m->last_id)))
			return err;
		m->first_id = m->last_id;
		m->kind = snap ? DREF_BOOK : DREF_DIFF;
		m->snapshot = snap;
		m->resync = !snap && m->last_id == 1;
		return pair_sides(t, m, d, "b", "a", snap);
	}
	if (topic.substr(0, 12) != "publicTrade.")
		return -DREF_E_TYPE;
	/* the newest trade: the last of data[] */
	m->kind = DREF_TRADE;
	if ((err = ms_ns_key(o, "ts", &m->venue_ts_ns)))
		return err;
	if (d.get_array().get(a) || !a.size() || a.at(a.size() - 1).get(last))
		return -DREF_E_SHAPE;
	if ((err = fixed_key(last, "p", t->px_dec[m->sym], &m->px)) ||
	    (err = fixed_key(last, "v", t->qty_dec[m->sym], &m->qty)) ||
	    (err = ms_ns_key(last, "T", &m->trade_ts_ns)))
		return err;
	if (!str_key(last, "S", side))
		return -DREF_E_SHAPE;
	if (side == "Buy")
		m->aggressor = DREF_SIDE_BUY;
	else if (side == "Sell")
		m->aggressor = DREF_SIDE_SELL;
	else
		return -DREF_E_SHAPE;
	/* digits on spot; the derivatives' uuids give 0 */
	if (u64s_key(last, "i", &m->trade_id))
		m->trade_id = 0;
	return 0;
}

int okx(const struct dref_tab *t, const element &o, struct dref_msg *m)
{
	std::string_view ch, action, side;
	simdjson::dom::array data;
	element arg, d, it, prev, seq;
	int err;

	if (o.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	m->venue = KIMP_VENUE_OKX;
	if (!get(o, "arg", arg) || arg.type() != element_type::OBJECT)
		return -DREF_E_TYPE;
	if (!str_key(arg, "channel", ch))
		return -DREF_E_SHAPE;
	if ((err = symbol_key(t, arg, "instId", m)))
		return err;
	if (!get(o, "data", it) || it.get_array().get(data) || !data.size())
		return -DREF_E_SHAPE;
	if (ch == "trades") {
		/* the newest: the last element */
		if (data.at(data.size() - 1).get(d))
			return -DREF_E_SHAPE;
		m->kind = DREF_TRADE;
		if ((err = u64s_key(d, "tradeId", &m->trade_id)) ||
		    (err = fixed_key(d, "px", t->px_dec[m->sym], &m->px)) ||
		    (err = fixed_key(d, "sz", t->qty_dec[m->sym], &m->qty)) ||
		    (err = ms_s_ns_key(d, "ts", &m->venue_ts_ns)))
			return err;
		if (!str_key(d, "side", side))
			return -DREF_E_SHAPE;
		if (side == "buy")
			m->aggressor = DREF_SIDE_BUY;
		else if (side == "sell")
			m->aggressor = DREF_SIDE_SELL;
		else
			return -DREF_E_SHAPE;
		m->trade_ts_ns = m->venue_ts_ns;
		return 0;
	}
	if (ch != "books" && ch != "books-l2-tbt" && ch != "books50-l2-tbt")
		return -DREF_E_TYPE;
	if (data.size() != 1 || data.at(0).get(d) || d.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	if ((err = ms_s_ns_key(d, "ts", &m->venue_ts_ns)))
		return err;
	if (get(d, "checksum", it)) {
		int64_t c;

		if (it.get_int64().get(c))
			return -DREF_E_SHAPE;
		m->checksum = (int32_t)c;
	}
	bool has_prev = get(d, "prevSeqId", prev), has_seq = get(d, "seqId", seq);
	str_key(o, "action", action);
	if (action == "snapshot") {
		m->kind = DREF_BOOK;
		m->snapshot = 1;
		if (has_seq && seq.get_uint64().get(m->last_id))
			return -DREF_E_NUMBER;
		m->first_id = m->last_id;
		return pair_sides(t, m, d, "bids", "asks", true);
	}
	if (action != "update")
		return -DREF_E_SHAPE;
	m->kind = DREF_DIFF;
	if (has_prev != has_seq)
		return -DREF_E_SHAPE;
	if (has_seq) {
		int64_t p, q;

		if (prev.get_int64().get(p) || seq.get_int64().get(q) || p < 0 || q < 0)
			return -DREF_E_SHAPE;
		m->first_id = (uint64_t)p + 1;
		m->last_id = (uint64_t)q;
		m->resync = q < p;
	}
	return pair_sides(t, m, d, "bids", "asks", false);
}

int parse(const uint8_t *p, size_t len, element &root)
{
	last_error = parser->parse(p, len, false).get(root);
	return last_error ? -DREF_E_SYNTAX : 0;
}

} // namespace

/* ---- entry points ------------------------------------------------------------------------- */

extern "C" int dref_simd_init(void)
{
	if (!parser)
		parser = new (std::nothrow) simdjson::dom::parser();
	return parser ? 0 : -ENOMEM;
}

extern "C" void dref_simd_fini(void)
{
	delete parser;
	parser = nullptr;
}

extern "C" int dref_simd_decode(const struct dref_tab *t, enum kimp_venue v, const uint8_t *p,
				size_t len, struct dref_msg *m)
{
	element root;
	int err = parse(p, len, root);

	if (err)
		return err;
	switch (v) {
	case KIMP_VENUE_UPBIT:
	case KIMP_VENUE_BITHUMB:
		return upbit(t, v, root, m);
	case KIMP_VENUE_BINANCE:
		return binance(t, root, m);
	case KIMP_VENUE_COINONE:
		return coinone(t, root, m);
	case KIMP_VENUE_BYBIT:
		return bybit(t, root, m);
	case KIMP_VENUE_OKX:
		return okx(t, root, m);
	default:
		return -DREF_E_TYPE;
	}
}

extern "C" int dref_simd_snapshot(const struct dref_tab *t, uint32_t sym, const uint8_t *p,
				  size_t len, struct dref_msg *m)
{
	element root;
	int err = parse(p, len, root);

	if (err)
		return err;
	m->venue = KIMP_VENUE_BINANCE;
	m->kind = DREF_SNAPSHOT;
	m->sym = sym;
	if (root.type() != element_type::OBJECT)
		return -DREF_E_SHAPE;
	return bn_book(t, root, m);
}

extern "C" int dref_simd_parse_only(const uint8_t *p, size_t len)
{
	element root;

	return parse(p, len, root);
}

extern "C" size_t dref_simd_padding(void)
{
	return simdjson::SIMDJSON_PADDING;
}

extern "C" const char *dref_simd_version(void)
{
	/* SIMDJSON_VERSION is a bare token (3.0.1), not a string */
	static char v[16];

	snprintf(v, sizeof(v), "%d.%d.%d", (int)simdjson::SIMDJSON_VERSION_MAJOR,
		 (int)simdjson::SIMDJSON_VERSION_MINOR, (int)simdjson::SIMDJSON_VERSION_REVISION);
	return v;
}

extern "C" const char *dref_simd_impl(void)
{
	static std::string name;

	name = std::string(simdjson::get_active_implementation()->name());
	return name.c_str();
}

extern "C" const char *dref_simd_last_error(void)
{
	return simdjson::error_message(last_error);
}
