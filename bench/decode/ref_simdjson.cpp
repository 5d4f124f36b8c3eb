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

int upbit(const struct dref_tab *t, element o, struct dref_msg *m)
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
	m->venue = KIMP_VENUE_UPBIT;
	if ((err = symbol_key(t, o, k->code, m)) || (err = ms_ns_key(o, k->tms, &m->venue_ts_ns)))
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
	return v == KIMP_VENUE_UPBIT ? upbit(t, root, m) : binance(t, root, m);
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
