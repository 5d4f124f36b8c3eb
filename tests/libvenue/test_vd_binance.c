/* SPDX-License-Identifier: MIT */
/*
 * libvenue/binance.c: the venue table, symbols, request targets, and the
 * decoders against the captured Binance messages in the fixtures (exact
 * values at the scales set), every prefix of them, reordered keys, the
 * combined form both ways round, and each way a message can be refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "../testutil.h"

#define LV 64

static struct venue_symtab tab;
static struct vd_level bids[LV], asks[LV];
static struct vd_msg m;
static char *buf;           /* the last input, exactly its length, for ASan */
static const struct venue_md *md = &venue_md_binance;

/* Table indices of the standard table. */
enum { BTCUSDT, BNBUSDT, BNBBTC, ETHUSDT };

static void tab_add(const char *base, const char *quote, uint8_t px, uint8_t qty, int want)
{
	cr_assert_eq(venue_symtab_add(&tab, base, quote, px, qty, 100 + (uint32_t)want), want,
		     "add %s%s", base, quote);
}

/* BTCUSDT, BNBUSDT, BNBBTC, ETHUSDT, all at 8 / 8 decimals. */
static void tab_std(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BINANCE);
	tab_add("BTC", "USDT", 8, 8, BTCUSDT);
	tab_add("BNB", "USDT", 8, 8, BNBUSDT);
	tab_add("BNB", "BTC", 8, 8, BNBBTC);
	tab_add("ETH", "USDT", 8, 8, ETHUSDT);
}

static void setup(void)
{
	tab_std();
	memset(&m, 0x5a, sizeof(m));   /* the decoder must fill what it reports */
	m.bids = bids;
	m.asks = asks;
	m.cap = LV;
	buf = NULL;
}

static void teardown(void)
{
	free(buf);
	buf = NULL;
}

TestSuite(vd_binance, .init = setup, .fini = teardown);

/* A table of one symbol (raw partial depth takes it). */
static void tab_one(const char *base, const char *quote, uint8_t px, uint8_t qty)
{
	venue_symtab_init(&tab, KIMP_VENUE_BINANCE);
	tab_add(base, quote, px, qty, 0);
}

/* Decode s[0..n) from a heap copy of exactly n bytes. */
static int dec_n(const char *s, size_t n)
{
	free(buf);
	buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, s, n);
	return md->decode(&tab, (const uint8_t *)buf, n, &m);
}

static int dec(const char *s)
{
	return dec_n(s, strlen(s));
}

static int snap_n(uint32_t sym, const char *s, size_t n)
{
	free(buf);
	buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, s, n);
	return md->decode_snapshot(&tab, sym, (const uint8_t *)buf, n, &m);
}

static int snap(uint32_t sym, const char *s)
{
	return snap_n(sym, s, strlen(s));
}

/* A fixture line that must exist (the caller frees it). */
static char *line(const char *file, unsigned n)
{
	char *l = test_fixture_line(file, n);

	cr_assert_not_null(l, "%s line %u", file, n + 1);
	return l;
}

static void assert_name(const char *p, uint32_t len, const char *want)
{
	cr_assert_not_null(p);
	cr_assert_eq(len, strlen(want), "name length %u, want %s", len, want);
	cr_assert_eq(memcmp(p, want, len), 0, "name %.*s, want %s", (int)len, p, want);
}

static void assert_lv(const struct vd_level *l, int64_t px, int64_t qty, const char *what,
		      unsigned i)
{
	cr_assert_eq(l->px, px, "%s[%u].px %lld, want %lld", what, i, (long long)l->px,
		     (long long)px);
	cr_assert_eq(l->qty, qty, "%s[%u].qty %lld, want %lld", what, i, (long long)l->qty,
		     (long long)qty);
}

static void assert_err(int ret, int want, const char *s)
{
	cr_assert_eq(ret, -want, "%s: %d (%s), want -%s", s, ret, vd_err_name((unsigned)-ret),
		     vd_err_name((unsigned)want));
	cr_assert_eq(m.kind, VD_NONE, "%s: nothing left that looks like data", s);
	cr_assert_eq(m.nbids + m.nasks, 0u, "%s", s);
}

static void dec_err(const char *s, int want)
{
	assert_err(dec(s), want, s);
}

/*
 * The members of the JSON object text s in reverse order (a malloc'd
 * string): strings and nesting respected, nothing else changed.
 */
static char *reversed(const char *s)
{
	size_t n = strlen(s), nm = 0, i;
	size_t start[64], end[64];
	int depth = 0;
	bool str = false;
	char *out = malloc(n + 1), *o = out;

	cr_assert_not_null(out);
	cr_assert_eq(s[0], '{');
	start[0] = 1;
	for (i = 1; i < n; i++) {
		char c = s[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"') {
			str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		} else if (c == '}' || (c == ',' && !depth)) {
			cr_assert_lt(nm, 64u);
			end[nm++] = i;
			if (c == '}')
				break;
			start[nm] = i + 1;
		}
	}
	*o++ = '{';
	for (size_t k = nm; k-- > 0;) {
		memcpy(o, s + start[k], end[k] - start[k]);
		o += end[k] - start[k];
		if (k)
			*o++ = ',';
	}
	*o++ = '}';
	*o = '\0';
	return out;
}

/* What a decode reported, kept to compare with another decode. */
struct got {
	struct vd_msg m;
	struct vd_level b[LV], a[LV];
	char sym_name[64], err_name[256];
};

static void keep(struct got *g)
{
	g->m = m;
	memcpy(g->b, bids, sizeof(bids));
	memcpy(g->a, asks, sizeof(asks));
	snprintf(g->sym_name, sizeof(g->sym_name), "%.*s", (int)m.sym_name_len,
		 m.sym_name ? m.sym_name : "");
	snprintf(g->err_name, sizeof(g->err_name), "%.*s", (int)m.err_name_len,
		 m.err_name ? m.err_name : "");
}

static void assert_same(const struct got *x, const struct got *y, const char *what)
{
	const struct vd_msg *a = &x->m, *b = &y->m;

	cr_assert_eq(a->kind, b->kind, "%s: kind", what);
	cr_assert_eq(a->venue, b->venue, "%s", what);
	cr_assert_eq(a->sym, b->sym, "%s: sym", what);
	cr_assert_eq(a->aggressor, b->aggressor, "%s", what);
	cr_assert_eq(a->venue_ts_ns, b->venue_ts_ns, "%s", what);
	cr_assert_eq(a->trade_ts_ns, b->trade_ts_ns, "%s", what);
	cr_assert_eq(a->first_id, b->first_id, "%s", what);
	cr_assert_eq(a->last_id, b->last_id, "%s", what);
	cr_assert_eq(a->trade_id, b->trade_id, "%s", what);
	cr_assert_eq(a->px, b->px, "%s", what);
	cr_assert_eq(a->qty, b->qty, "%s", what);
	cr_assert_eq(a->bid.px, b->bid.px, "%s", what);
	cr_assert_eq(a->bid.qty, b->bid.qty, "%s", what);
	cr_assert_eq(a->ask.px, b->ask.px, "%s", what);
	cr_assert_eq(a->ask.qty, b->ask.qty, "%s", what);
	cr_assert_eq(a->nbids, b->nbids, "%s", what);
	cr_assert_eq(a->nasks, b->nasks, "%s", what);
	cr_assert_eq(memcmp(x->b, y->b, a->nbids * sizeof(x->b[0])), 0, "%s: bids", what);
	cr_assert_eq(memcmp(x->a, y->a, a->nasks * sizeof(x->a[0])), 0, "%s: asks", what);
	cr_assert_eq(a->req_id, b->req_id, "%s", what);
	cr_assert_eq(a->err_code, b->err_code, "%s", what);
	cr_assert_str_eq(x->sym_name, y->sym_name, "%s", what);
	cr_assert_str_eq(x->err_name, y->err_name, "%s", what);
}

/* ---- the table, symbols and targets ------------------------------------------ */

Test(vd_binance, table_facts)
{
	cr_assert_eq(md->venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(venue_md_get(KIMP_VENUE_BINANCE), md);
	cr_assert_eq(venue_md_by_name("binance"), md);
	cr_assert_str_eq(md->name, "binance");
	cr_assert_str_eq(md->ws_url, "wss://stream.binance.com:9443");
	cr_assert_str_eq(md->rest_url, "https://api.binance.com");
	cr_assert_str_eq(md->quote, "USDT");
	cr_assert_eq(md->book_mode, VENUE_BOOK_DIFF);
	cr_assert_not(md->binary_frames);
	cr_assert_null(md->ping_text);
	cr_assert_eq(md->ping_every_ns, 0);
	cr_assert_eq(md->conn_life_ns, 24ull * 3600 * 1000000000ull);
	cr_assert_eq(md->stale_after_ns, 5ull * 1000000000ull);
	cr_assert_eq(md->streams_max, 1024u);
	cr_assert_eq(md->snapshot_limit, 1000u);
	cr_assert_not_null(md->symbol);
	cr_assert_not_null(md->ws_target);
	cr_assert_not_null(md->ws_subscribe);
	cr_assert_not_null(md->snapshot_target);
	cr_assert_not_null(md->split);
	cr_assert_not_null(md->decode);
	cr_assert_not_null(md->decode_snapshot);
}

Test(vd_binance, symbol_edge_cases)
{
	char out[16];

	cr_assert_eq(md->symbol("BTC", "USDT", out, sizeof(out)), 7);
	cr_assert_str_eq(out, "BTCUSDT");
	cr_assert_eq(md->symbol("1000SATS", "USDT", out, sizeof(out)), 12);
	cr_assert_str_eq(out, "1000SATSUSDT");
	cr_assert_eq(md->symbol("BTC", "USDT", out, 8), 7, "exactly fits with its NUL");
	cr_assert_eq(md->symbol("BTC", "USDT", out, 7), -ENOSPC);
	cr_assert_eq(md->symbol("BTC", "USDT", out, 0), -ENOSPC);
	cr_assert_eq(md->symbol("", "USDT", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BTC", "", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("btc", "USDT", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BTC", "usdt", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BT-C", "USDT", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol(NULL, "USDT", out, sizeof(out)), -EINVAL);
	/* the table takes Binance's rule and finds the lower-case stream spelling */
	cr_assert_eq(venue_symtab_find(&tab, "btcusdt", 7), (uint32_t)BTCUSDT);
	cr_assert_str_eq(tab.sym[BNBBTC].name, "BNBBTC");
	cr_assert_eq(venue_symtab_add(&tab, "eth", "USDT", 8, 8, 0), -EINVAL);
}

Test(vd_binance, split)
{
	char b[8], q[8];

	cr_assert_eq(md->split("BTCUSDT", 7, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "BTC");
	cr_assert_str_eq(q, "USDT");
	cr_assert_eq(md->split("BNBFDUSD", 8, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "BNB");
	cr_assert_str_eq(q, "FDUSD");
	cr_assert_eq(md->split("ETHBTCxx", 6, b, q, sizeof(b)), 0, "len, not the NUL");
	cr_assert_str_eq(b, "ETH");
	cr_assert_str_eq(q, "BTC");
	cr_assert_eq(md->split("USDT", 4, b, q, sizeof(b)), -EINVAL, "no base");
	cr_assert_eq(md->split("btcusdt", 7, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("BTCXYZ", 6, b, q, sizeof(b)), -EINVAL, "unknown quote");
	cr_assert_eq(md->split("LONGNAMEUSDT", 12, b, q, sizeof(b)), -EINVAL, "base too long");
}

static const struct venue_sub sub_all = { .book = true, .bbo = true, .trades = true,
					   .ticker = true, .speed_ms = 100 };

Test(vd_binance, ws_target_exact)
{
	char out[512];
	uint32_t two[] = { BTCUSDT, ETHUSDT };
	const char *want = "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/"
			   "btcusdt@trade/ethusdt@depth@100ms/ethusdt@bookTicker/ethusdt@trade";
	int n = md->ws_target(&tab, two, 2, &sub_all, out, sizeof(out));

	cr_assert_eq(n, (int)strlen(want));
	cr_assert_str_eq(out, want);

	struct venue_sub s = { .book = true, .speed_ms = 1000 };
	cr_assert_eq(md->ws_target(&tab, two, 1, &s, out, sizeof(out)), 29);
	cr_assert_str_eq(out, "/stream?streams=btcusdt@depth");
	s.speed_ms = 0;
	cr_assert_gt(md->ws_target(&tab, &two[1], 1, &s, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/stream?streams=ethusdt@depth@100ms");
	s = (struct venue_sub){ .bbo = true, .trades = true, .ticker = true };
	cr_assert_gt(md->ws_target(&tab, two, 1, &s, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/stream?streams=btcusdt@bookTicker/btcusdt@trade");

	/* the NUL must fit too */
	cr_assert_eq(md->ws_target(&tab, two, 2, &sub_all, out, strlen(want)), -ENOSPC);
	cr_assert_eq(md->ws_target(&tab, two, 2, &sub_all, out, strlen(want) + 1),
		     (int)strlen(want));
	cr_assert_eq(md->ws_target(&tab, two, 2, &sub_all, out, 3), -ENOSPC);
}

Test(vd_binance, ws_target_refuses)
{
	char out[64];
	uint32_t one = BTCUSDT, bad = 4;
	struct venue_sub none = { .ticker = true };
	struct venue_sub slow = { .book = true, .speed_ms = 250 };

	cr_assert_eq(md->ws_target(&tab, &one, 0, &sub_all, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, &one, 1, &none, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, &one, 1, &slow, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, &bad, 1, &sub_all, out, sizeof(out)), -EINVAL);
}

Test(vd_binance, ws_target_streams_max)
{
	static uint32_t syms[1025];
	static char out[1025 * 32];
	struct venue_sub bbo = { .bbo = true };
	int n;

	/* 341 x 3 = 1023 streams fit, 342 x 3 = 1026 do not */
	n = md->ws_target(&tab, syms, 341, &sub_all, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_eq(md->ws_target(&tab, syms, 342, &sub_all, out, sizeof(out)), -E2BIG);
	/* exactly 1024 is the limit */
	n = md->ws_target(&tab, syms, 1024, &bbo, out, sizeof(out));
	cr_assert_eq(n, (int)(16 + 1024 * 19 - 1), "1024 x btcusdt@bookTicker and 1023 /");
	cr_assert_eq(md->ws_target(&tab, syms, 1025, &bbo, out, sizeof(out)), -E2BIG);
	cr_assert_eq(md->ws_target(&tab, syms, 1025, &bbo, out, 4), -E2BIG,
		     "too many streams before too small a buffer");
}

Test(vd_binance, ws_subscribe_is_nothing)
{
	char out[8] = "x";
	uint32_t one = BTCUSDT;

	cr_assert_eq(md->ws_subscribe(&tab, &one, 1, &sub_all, 1, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "");
}

Test(vd_binance, snapshot_target_exact)
{
	char out[64];

	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 1000, out, sizeof(out)), 39);
	cr_assert_str_eq(out, "/api/v3/depth?symbol=BTCUSDT&limit=1000");
	cr_assert_eq(md->snapshot_target(&tab, BNBBTC, 5000, out, sizeof(out)), 38);
	cr_assert_str_eq(out, "/api/v3/depth?symbol=BNBBTC&limit=5000");
	cr_assert_eq(md->snapshot_target(&tab, ETHUSDT, 0, out, sizeof(out)), 39);
	cr_assert_str_eq(out, "/api/v3/depth?symbol=ETHUSDT&limit=1000", "0: the default");
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 5001, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, 4, 100, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 1000, out, 39), -ENOSPC);
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 1000, out, 40), 39);
}

/* ---- the fixtures, exact ---------------------------------------------------------- */

static void assert_bbo(unsigned sym, uint64_t u, int64_t b, int64_t bq, int64_t a, int64_t aq)
{
	cr_assert_eq(m.kind, VD_BBO);
	cr_assert_eq(m.venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(m.sym, sym);
	cr_assert_eq(m.last_id, u);
	cr_assert_eq(m.first_id, u);
	cr_assert_eq(m.venue_ts_ns, 0, "spot bookTicker has no time");
	assert_lv(&m.bid, b, bq, "bid", 0);
	assert_lv(&m.ask, a, aq, "ask", 0);
	cr_assert_eq(m.nbids + m.nasks, 0u);
	assert_name(m.sym_name, m.sym_name_len, tab.sym[sym].name);
}

Test(vd_binance, fixture_bookticker)
{
	char *l = line("binance-bookTicker.jsonl", 0);
	cr_assert_eq(dec(l), 0);
	assert_bbo(BNBUSDT, 400900217, 2535190000, 3121000000, 2536520000, 4066000000);
	free(l);

	l = line("binance-bookTicker.jsonl", 1);
	cr_assert_eq(dec(l), 0);
	assert_bbo(BTCUSDT, 34698491814, 2007854000000, 431000, 2007891000000, 3497000);
	free(l);

	/* the all-market stream, combined */
	l = line("binance-bookTicker.jsonl", 2);
	cr_assert_eq(dec(l), 0);
	assert_bbo(BTCUSDT, 19575390521, 2901090000000, 1394302000, 2901091000000, 399953000);
	free(l);
}

/* The REST /api/v3/ticker/bookTicker body is not a stream message. */
Test(vd_binance, rest_bookticker_is_not_a_stream_message)
{
	char *l = test_fixture_line("binance-bookTicker.jsonl", 3);

	if (l) {
		dec_err(l, VD_E_TYPE);
		free(l);
	}
	dec_err("{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"1.00000000\",\"bidQty\":\"2.00000000\","
		"\"askPrice\":\"3.00000000\",\"askQty\":\"4.00000000\"}",
		VD_E_TYPE);
}

Test(vd_binance, fixture_depth_update)
{
	char *l = line("binance-depthUpdate.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.sym, (uint32_t)BNBBTC);
	cr_assert_eq(m.venue_ts_ns, 1672515782136LL * 1000000);
	cr_assert_eq(m.first_id, 157);
	cr_assert_eq(m.last_id, 160);
	cr_assert_eq(m.nbids, 1u);
	cr_assert_eq(m.nasks, 1u);
	assert_lv(&bids[0], 240000, 1000000000, "bids", 0);
	assert_lv(&asks[0], 260000, 10000000000, "asks", 0);
	assert_name(m.sym_name, m.sym_name_len, "BNBBTC");
	free(l);
}

Test(vd_binance, fixture_depth_update_real)
{
	static const struct vd_level wb[] = {
		{ 5726183000000, 96000 },   { 5726501000000, 523762000 },
		{ 5726166000000, 91000 },   { 5725130000000, 3018000 },
		{ 5724966000000, 4961000 }, { 5724936000000, 0 },
		{ 5724879000000, 0 },       { 5724517000000, 43654000 },
		{ 5719785000000, 811363000 }, { 5719699000000, 0 },
		{ 5718539000000, 0 },       { 5716501000000, 1000000 },
		{ 5715897000000, 0 },       { 3300000000000, 2095952000 },
	};
	static const struct vd_level wa[] = {
		{ 5726503000000, 3705000 },  { 5726671000000, 10000 },
		{ 5727941000000, 43654000 }, { 5728215000000, 74283000 },
		{ 5728245000000, 11479000 }, { 5728450000000, 13960000 },
		{ 5729180000000, 3024000 },
	};
	char *l = line("binance-depthUpdate.jsonl", 1);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.sym, (uint32_t)BTCUSDT);
	cr_assert_eq(m.venue_ts_ns, 1723025111169LL * 1000000);
	cr_assert_eq(m.first_id, 49981777515ull);
	cr_assert_eq(m.last_id, 49981777539ull);
	cr_assert_eq(m.nbids, KIMP_ARRAY_SIZE(wb), "wire order, removals (qty 0) kept");
	cr_assert_eq(m.nasks, KIMP_ARRAY_SIZE(wa));
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(wb); i++)
		assert_lv(&bids[i], wb[i].px, wb[i].qty, "bids", i);
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(wa); i++)
		assert_lv(&asks[i], wa[i].px, wa[i].qty, "asks", i);

	/* the caller's arrays hold 14 bids: 13 is too few */
	m.cap = 14;
	cr_assert_eq(dec(l), 0);
	m.cap = 13;
	assert_err(dec(l), VD_E_DEPTH, "cap 13");
	m.cap = 6;
	assert_err(dec(l), VD_E_DEPTH, "cap 6");
	free(l);
}

Test(vd_binance, combined_depth_update)
{
	const char *s = "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
			"\"E\":1700000000123,\"s\":\"BTCUSDT\",\"U\":10,\"u\":10,"
			"\"b\":[[\"100.5\",\"0\"]],\"a\":[]}}";

	cr_assert_eq(dec(s), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.sym, (uint32_t)BTCUSDT);
	cr_assert_eq(m.first_id, 10, "U == u is one update");
	cr_assert_eq(m.last_id, 10);
	cr_assert_eq(m.venue_ts_ns, 1700000000123LL * 1000000);
	cr_assert_eq(m.nbids, 1u);
	cr_assert_eq(m.nasks, 0u);
	assert_lv(&bids[0], 10050000000, 0, "bids", 0);
	/* the 1 s stream is the same kind */
	cr_assert_eq(dec("{\"stream\":\"btcusdt@depth\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,"
			 "\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[],\"a\":[]}}"),
		     0);
	cr_assert_eq(m.kind, VD_DIFF);
}

Test(vd_binance, fixture_depth_partial)
{
	char *l = line("binance-depthPartial.jsonl", 1);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.sym, (uint32_t)ETHUSDT, "the symbol comes from the stream name");
	cr_assert_eq(m.last_id, 17044571457ull);
	cr_assert_eq(m.first_id, 17044571457ull);
	cr_assert_eq(m.venue_ts_ns, 0);
	cr_assert_eq(m.nbids, 2u);
	cr_assert_eq(m.nasks, 2u);
	assert_lv(&bids[0], 178200000000, 648300000, "bids", 0);
	assert_lv(&bids[1], 178195000000, 3000000, "bids", 1);
	assert_lv(&asks[0], 178201000000, 1546080000, "asks", 0);
	assert_lv(&asks[1], 178202000000, 780000, "asks", 1);
	assert_name(m.sym_name, m.sym_name_len, "ethusdt");
	m.cap = 1;
	assert_err(dec(l), VD_E_DEPTH, "cap 1");
	free(l);
}

Test(vd_binance, fixture_depth_partial_raw_needs_one_symbol)
{
	char *l = line("binance-depthPartial.jsonl", 0);

	/* no symbol in a raw partial depth: which of four books is it? */
	assert_err(dec(l), VD_E_SYMBOL, l);
	cr_assert_eq(m.sym, VENUE_SYM_NONE);
	cr_assert_null(m.sym_name);

	tab_one("BNB", "BTC", 8, 8);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.sym, 0u);
	cr_assert_eq(m.last_id, 160);
	cr_assert_eq(m.first_id, 160);
	cr_assert_eq(m.nbids, 1u);
	cr_assert_eq(m.nasks, 1u);
	assert_lv(&bids[0], 240000, 1000000000, "bids", 0);
	assert_lv(&asks[0], 260000, 10000000000, "asks", 0);
	free(l);
}

Test(vd_binance, fixture_snapshot)
{
	char *l = line("binance-depthSnapshot-rest.jsonl", 0);

	cr_assert_eq(snap(BNBBTC, l), 0);
	cr_assert_eq(m.kind, VD_SNAPSHOT);
	cr_assert_eq(m.venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(m.sym, (uint32_t)BNBBTC);
	cr_assert_eq(m.last_id, 1027024);
	cr_assert_eq(m.first_id, 1027024);
	cr_assert_eq(m.nbids, 1u);
	cr_assert_eq(m.nasks, 1u);
	assert_lv(&bids[0], 400000000, 43100000000, "bids", 0);
	assert_lv(&asks[0], 400000200, 1200000000, "asks", 0);
	free(l);

	l = line("binance-depthSnapshot-rest.jsonl", 1);
	cr_assert_eq(snap(BTCUSDT, l), 0);
	cr_assert_eq(m.kind, VD_SNAPSHOT);
	cr_assert_eq(m.sym, (uint32_t)BTCUSDT);
	cr_assert_eq(m.last_id, 33933317943ull);
	cr_assert_eq(m.first_id, 33933317943ull);
	cr_assert_eq(m.nbids, 3u);
	cr_assert_eq(m.nasks, 3u);
	assert_lv(&bids[0], 2317142000000, 3000000, "bids", 0);
	assert_lv(&bids[1], 2317116000000, 70000, "bids", 1);
	assert_lv(&bids[2], 2310922000000, 50000, "bids", 2);
	assert_lv(&asks[0], 2317168000000, 67000, "asks", 0);
	assert_lv(&asks[1], 2317169000000, 47000, "asks", 1);
	assert_lv(&asks[2], 2322458000000, 4353000, "asks", 2);
	m.cap = 2;
	assert_err(snap(BTCUSDT, l), VD_E_DEPTH, "cap 2");
	m.cap = 3;
	cr_assert_eq(snap(BTCUSDT, l), 0);
	assert_err(snap(4, l), VD_E_SYMBOL, "sym outside the table");
	free(l);
}

Test(vd_binance, fixture_trade)
{
	char *l = line("binance-trade.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.sym, (uint32_t)BNBBTC);
	cr_assert_eq(m.trade_id, 12345);
	cr_assert_eq(m.px, 100000);
	cr_assert_eq(m.qty, 10000000000);
	cr_assert_eq(m.trade_ts_ns, 1672515782136LL * 1000000);
	cr_assert_eq(m.venue_ts_ns, 1672515782136LL * 1000000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_SELL, "m true: the buyer made, the taker sold");
	cr_assert_eq(m.bid.px + m.bid.qty + m.ask.px + m.ask.qty, 0);
	assert_name(m.sym_name, m.sym_name_len, "BNBBTC");
	free(l);

	l = line("binance-trade.jsonl", 1);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_TRADE, "aggTrade");
	cr_assert_eq(m.sym, (uint32_t)BNBBTC);
	cr_assert_eq(m.trade_id, 12345, "the aggregate id");
	cr_assert_eq(m.px, 100000);
	cr_assert_eq(m.qty, 10000000000);
	cr_assert_eq(m.trade_ts_ns, 1672515782136LL * 1000000);
	cr_assert_eq(m.venue_ts_ns, 1672515782136LL * 1000000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_SELL);
	free(l);
}

Test(vd_binance, combined_trades_buyer_taker_and_big_ids)
{
	cr_assert_eq(dec("{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":2,"
			 "\"s\":\"ETHUSDT\",\"t\":18446744073709551615,\"p\":\"1782.01\","
			 "\"q\":\"0.5\",\"b\":88,\"a\":50,\"T\":1,\"m\":false,\"M\":true}}"),
		     0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.sym, (uint32_t)ETHUSDT);
	cr_assert_eq(m.trade_id, UINT64_MAX, "exact, not through a double");
	cr_assert_eq(m.px, 178201000000);
	cr_assert_eq(m.qty, 50000000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_BUY);
	cr_assert_eq(m.trade_ts_ns, 1000000);
	cr_assert_eq(m.venue_ts_ns, 2000000);

	cr_assert_eq(dec("{\"stream\":\"btcusdt@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":3,"
			 "\"s\":\"BTCUSDT\",\"a\":9007199254740993,\"p\":\"20000\",\"q\":\"1\","
			 "\"f\":100,\"l\":105,\"T\":3,\"m\":true,\"M\":true}}"),
		     0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.trade_id, 9007199254740993ull, "above 2^53");
	cr_assert_eq(m.px, 2000000000000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_SELL);
}

Test(vd_binance, fixture_control_replies)
{
	static const struct {
		unsigned line;
		uint64_t id;
	} r[] = { { 1, 1 }, { 3, 312 }, { 5, 3 }, { 7, 5 } };

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(r); i++) {
		char *l = line("binance-ws-control.jsonl", r[i].line);
		cr_assert_eq(dec(l), 0, "%s", l);
		cr_assert_eq(m.kind, VD_CONTROL, "%s", l);
		cr_assert_eq(m.req_id, r[i].id, "%s", l);
		cr_assert_eq(m.sym, VENUE_SYM_NONE);
		free(l);
	}
	/* the requests themselves are not something a stream sends */
	for (unsigned n = 0; n < 8; n += 2) {
		char *l = line("binance-ws-control.jsonl", n);
		dec_err(l, VD_E_TYPE);
		free(l);
	}
	cr_assert_eq(dec("{\"result\":true,\"id\":2}"), 0);
	cr_assert_eq(m.req_id, 2);
	cr_assert_eq(dec("{\"result\":null,\"id\":\"abc-1\"}"), 0);
	cr_assert_eq(m.kind, VD_CONTROL);
	cr_assert_eq(m.req_id, 0, "a string id is none we sent");
	cr_assert_eq(dec("{\"id\":null,\"result\":null}"), 0);
	cr_assert_eq(m.req_id, 0);
	dec_err("{\"result\":null,\"id\":-1}", VD_E_NUMBER);
	dec_err("{\"result\":null,\"id\":true}", VD_E_SHAPE);
}

Test(vd_binance, fixture_server_shutdown)
{
	for (unsigned n = 8; n <= 9; n++) {
		char *l = line("binance-ws-control.jsonl", n);
		cr_assert_eq(dec(l), 0, "%s", l);
		cr_assert_eq(m.kind, VD_SHUTDOWN);
		cr_assert_eq(m.venue_ts_ns, 1770123456789LL * 1000000);
		free(l);
	}
	cr_assert_eq(dec("{\"e\":\"serverShutdown\"}"), 0);
	cr_assert_eq(m.kind, VD_SHUTDOWN);
}

Test(vd_binance, venue_errors)
{
	char *l = line("binance-errors.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_VENUE_ERROR);
	cr_assert_eq(m.err_code, -1121);
	assert_name(m.err_name, m.err_name_len, "Invalid symbol.");
	free(l);

	const char *s = "{\"code\":2,\"msg\":\"Invalid request: unknown variant\"}";
	cr_assert_eq(dec(s), 0);
	cr_assert_eq(m.kind, VD_VENUE_ERROR);
	cr_assert_eq(m.err_code, 2);
	assert_name(m.err_name, m.err_name_len, "Invalid request: unknown variant");
	cr_assert_eq(m.req_id, 0);

	/* with an id, even first (a reply-shaped start) */
	cr_assert_eq(dec("{\"id\":7,\"code\":0,\"msg\":\"Unknown property\"}"), 0);
	cr_assert_eq(m.kind, VD_VENUE_ERROR);
	cr_assert_eq(m.err_code, 0);
	cr_assert_eq(m.req_id, 7);
	assert_name(m.err_name, m.err_name_len, "Unknown property");

	dec_err("{\"code\":2}", VD_E_SHAPE);
	dec_err("{\"msg\":\"x\"}", VD_E_SHAPE);
	dec_err("{\"code\":2147483648,\"msg\":\"x\"}", VD_E_NUMBER);
	dec_err("{\"code\":true,\"msg\":\"x\"}", VD_E_SHAPE);
	dec_err("{\"code\":1,\"msg\":5}", VD_E_SHAPE);
}

/* User-data and WS-API messages reuse the letters: none is market data. */
Test(vd_binance, other_binance_messages_never_look_like_market_data)
{
	static const char *const files[] = {
		"binance-executionReport.jsonl", "binance-userdata-other.jsonl",
		"binance-wsapi.jsonl", "binance-rest-order.jsonl",
	};
	unsigned total = 0;

	for (unsigned f = 0; f < KIMP_ARRAY_SIZE(files); f++) {
		char *l;
		for (unsigned n = 0; (l = test_fixture_line(files[f], n)); n++, total++) {
			int ret = dec(l);
			cr_assert(ret < 0 || m.kind == VD_CONTROL || m.kind == VD_VENUE_ERROR,
				  "%s:%u decoded as %s", files[f], n + 1, vd_kind_name(m.kind));
			free(l);
		}
	}
	cr_assert_gt(total, 20u);
	/* a raw executionReport names its type: not one of ours */
	char *l = line("binance-executionReport.jsonl", 1);
	dec_err(l, VD_E_TYPE);
	free(l);
}

/* ---- every prefix, reordered keys, the combined form ------------------------------- */

struct fx {
	const char *file;
	unsigned line;
	int snapshot_sym;    /* decode_snapshot with this symbol; -1: decode */
	bool one;            /* a table of BNBBTC only */
};

static const struct fx all_lines[] = {
	{ "binance-bookTicker.jsonl", 0, -1, false },
	{ "binance-bookTicker.jsonl", 1, -1, false },
	{ "binance-bookTicker.jsonl", 2, -1, false },
	{ "binance-depthUpdate.jsonl", 0, -1, false },
	{ "binance-depthUpdate.jsonl", 1, -1, false },
	{ "binance-depthPartial.jsonl", 0, -1, true },
	{ "binance-depthPartial.jsonl", 1, -1, false },
	{ "binance-depthSnapshot-rest.jsonl", 0, BNBBTC, false },
	{ "binance-depthSnapshot-rest.jsonl", 1, BTCUSDT, false },
	{ "binance-trade.jsonl", 0, -1, false },
	{ "binance-trade.jsonl", 1, -1, false },
	{ "binance-ws-control.jsonl", 1, -1, false },
	{ "binance-ws-control.jsonl", 5, -1, false },
	{ "binance-ws-control.jsonl", 8, -1, false },
	{ "binance-ws-control.jsonl", 9, -1, false },
	{ "binance-errors.jsonl", 0, -1, false },
};

static int fx_dec(const struct fx *f, const char *s, size_t n)
{
	return f->snapshot_sym >= 0 ? snap_n((uint32_t)f->snapshot_sym, s, n) : dec_n(s, n);
}

Test(vd_binance, every_prefix_is_an_error)
{
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(all_lines); i++) {
		const struct fx *f = &all_lines[i];
		char *l = line(f->file, f->line);
		size_t n = strlen(l);
		if (f->one)
			tab_one("BNB", "BTC", 8, 8);
		cr_assert_eq(fx_dec(f, l, n), 0, "%s:%u whole", f->file, f->line + 1);
		for (size_t k = 0; k < n; k++) {
			int ret = fx_dec(f, l, k);
			cr_assert(ret < 0 && ret > -VD_E_MAX, "%s:%u cut at %zu: %d", f->file,
				  f->line + 1, k, ret);
			cr_assert_eq(m.kind, VD_NONE);
		}
		if (f->one)
			tab_std();
		free(l);
	}
}

Test(vd_binance, keys_reversed_decode_the_same)
{
	static struct got a, b;

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(all_lines); i++) {
		const struct fx *f = &all_lines[i];
		char *l = line(f->file, f->line), *r = reversed(l);
		if (f->one)
			tab_one("BNB", "BTC", 8, 8);
		cr_assert_eq(fx_dec(f, l, strlen(l)), 0, "%s", l);
		keep(&a);
		cr_assert_eq(fx_dec(f, r, strlen(r)), 0, "%s", r);
		keep(&b);
		assert_same(&a, &b, r);
		if (!strncmp(l, "{\"stream\"", 9)) {
			/* data before stream, with the payload reversed as well */
			char *d = strstr(l, ",\"data\":");
			cr_assert_not_null(d);
			char *inner = strndup(d + 8, strlen(d + 8) - 1);
			char *ri = reversed(inner);
			char *s;
			cr_assert_gt(asprintf(&s, "{\"data\":%s,%.*s}", ri, (int)(d - l - 1), l + 1),
				     0);
			cr_assert_eq(fx_dec(f, s, strlen(s)), 0, "%s", s);
			keep(&b);
			assert_same(&a, &b, s);
			free(s);
			free(ri);
			free(inner);
		}
		if (f->one)
			tab_std();
		free(r);
		free(l);
	}
}

Test(vd_binance, other_orders_and_spacing)
{
	static struct got a, b;
	const char *wire = "{\"u\":7,\"s\":\"BTCUSDT\",\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\","
			   "\"A\":\"3\"}";
	const char *late_sym = "{\"u\":7,\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\","
			       "\"s\":\"BTCUSDT\"}";
	const char *spaced = " {\n \"u\" : 7 ,\t\"s\" : \"BTCUSDT\" , \"b\" : \"1.5\" ,"
			     " \"B\" : 2 , \"a\" : \"1.6\" , \"A\" : 3.0 }\r\n";

	cr_assert_eq(dec(wire), 0);
	keep(&a);
	cr_assert_eq(dec(late_sym), 0, "the symbol after the prices");
	keep(&b);
	assert_same(&a, &b, late_sym);
	cr_assert_eq(dec(spaced), 0, "spaces, bare numbers");
	keep(&b);
	assert_same(&a, &b, spaced);

	/* a depthUpdate that starts like a bookTicker */
	cr_assert_eq(dec("{\"u\":160,\"U\":157,\"s\":\"BNBBTC\",\"b\":[[\"0.0024\",\"10\"]],"
			 "\"a\":[],\"E\":1,\"e\":\"depthUpdate\"}"),
		     0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.first_id, 157);
	cr_assert_eq(m.last_id, 160);
	cr_assert_eq(m.nbids, 1u);
	/* a trade with its symbol last */
	cr_assert_eq(dec("{\"e\":\"trade\",\"p\":\"2\",\"q\":\"1\",\"t\":5,\"T\":1,\"E\":1,"
			 "\"m\":false,\"s\":\"ETHUSDT\"}"),
		     0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.sym, (uint32_t)ETHUSDT);
	cr_assert_eq(m.px, 200000000);
	/* exponent forms go through the general number reader */
	cr_assert_eq(dec("{\"u\":7,\"s\":\"BTCUSDT\",\"b\":\"1.5E0\",\"B\":2e0,\"a\":\"16e-1\","
			 "\"A\":\"0.3E1\"}"),
		     0);
	keep(&b);
	assert_same(&a, &b, "exponents");
}

Test(vd_binance, stream_names)
{
	const char *part = "{\"lastUpdateId\":1,\"bids\":[[\"2\",\"1\"]],\"asks\":[[\"3\",\"1\"]]}";
	static const struct {
		const char *stream;
		int want;
	} s[] = {
		{ "btcusdt@depth5", 0 },
		{ "btcusdt@depth10@100ms", 0 },
		{ "btcusdt@depth20@1000ms", 0 },
		{ "btcusdt@depth15", VD_E_TYPE },
		{ "btcusdt@depth20@250ms", VD_E_TYPE },
		{ "btcusdt@depth@250ms", VD_E_TYPE },
		{ "btcusdt@kline_1m", VD_E_TYPE },
		{ "btcusdt@ticker", VD_E_TYPE },
		{ "btcusdt", VD_E_TYPE },
		{ "!miniTicker@arr", VD_E_TYPE },
		{ "xrpusdt@depth5", VD_E_SYMBOL },
	};
	char msg[256];

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(s); i++) {
		snprintf(msg, sizeof(msg), "{\"stream\":\"%s\",\"data\":%s}", s[i].stream, part);
		if (!s[i].want) {
			cr_assert_eq(dec(msg), 0, "%s", msg);
			cr_assert_eq(m.kind, VD_BOOK);
			cr_assert_eq(m.sym, (uint32_t)BTCUSDT);
			cr_assert_eq(m.nbids, 1u);
		} else {
			dec_err(msg, s[i].want);
		}
	}
	dec_err("{\"stream\":\"xrpusdt@depth5\",\"data\":{}}", VD_E_SYMBOL);
	assert_name(m.sym_name, m.sym_name_len, "xrpusdt");
}

/* ---- refusals ------------------------------------------------------------------- */

#define BT(u, s, b, B, a, A) \
	"{\"u\":" u ",\"s\":" s ",\"b\":" b ",\"B\":" B ",\"a\":" a ",\"A\":" A "}"

Test(vd_binance, broken_numbers)
{
	dec_err(BT("1", "\"BTCUSDT\"", "\"25.35x\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"1e\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"1.\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\".5\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"01.5\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"-1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"1\"", "\"99999999999999999999\"", "\"2\"", "\"1\""),
		VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "25.3.5", "\"1\"", "\"2\"", "\"1\""), VD_E_SYNTAX);
	dec_err(BT("1", "\"BTCUSDT\"", "-", "\"1\"", "\"2\"", "\"1\""), VD_E_SYNTAX);
	dec_err(BT("18446744073709551616", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""),
		VD_E_NUMBER);
	dec_err(BT("1.5", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("\"x\"", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err("{\"e\":\"trade\",\"E\":-5,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
		"\"T\":1,\"m\":true}",
		VD_E_NUMBER);
	dec_err("{\"e\":\"trade\",\"E\":99999999999999,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\","
		"\"q\":\"1\",\"T\":1,\"m\":true}",
		VD_E_NUMBER);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
		"\"b\":[[\"1\",\"-0.5\"]],\"a\":[]}",
		VD_E_NUMBER);
	/* the longest that fits at 8 decimals, and one place more */
	cr_assert_eq(dec(BT("1", "\"BTCUSDT\"", "\"92233720368.54775807\"", "\"1\"", "\"2\"",
			    "\"1\"")),
		     0);
	cr_assert_eq(m.bid.px, INT64_MAX);
	dec_err(BT("1", "\"BTCUSDT\"", "\"92233720368.54775808\"", "\"1\"", "\"2\"", "\"1\""),
		VD_E_NUMBER);
}

Test(vd_binance, finer_than_scale)
{
	tab_one("BTC", "USDT", 2, 5);
	cr_assert_eq(dec(BT("1", "\"BTCUSDT\"", "\"25.35000000\"", "\"0.00431000\"",
			    "\"25.36\"", "\"7\"")),
		     0);
	cr_assert_eq(m.bid.px, 2535);
	cr_assert_eq(m.bid.qty, 431);
	cr_assert_eq(m.ask.px, 2536);
	cr_assert_eq(m.ask.qty, 700000);
	dec_err(BT("1", "\"BTCUSDT\"", "\"25.351\"", "\"1\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"25.35000001\"", "\"1\"", "\"2\"", "\"1\""),
		VD_E_NUMBER);
	dec_err(BT("1", "\"BTCUSDT\"", "\"1\"", "\"0.000001\"", "\"2\"", "\"1\""), VD_E_NUMBER);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
		"\"b\":[[\"57261.835\",\"1\"]],\"a\":[]}",
		VD_E_NUMBER);
	assert_err(snap(0, "{\"lastUpdateId\":1,\"bids\":[],\"asks\":[[\"1.001\",\"1\"]]}"),
		   VD_E_NUMBER, "snapshot");
}

Test(vd_binance, wrong_types)
{
	dec_err(BT("true", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SHAPE);
	dec_err(BT("1", "5", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SHAPE);
	dec_err(BT("1", "\"BTCUSDT\"", "[]", "\"1\"", "\"2\"", "\"1\""), VD_E_SHAPE);
	dec_err(BT("1", "\"BTCUSDT\"", "[[\"1\",\"2\"]]", "\"1\"", "\"2\"", "\"1\""),
		VD_E_SHAPE);
	dec_err(BT("1", "\"BTCUSDT\"", "null", "\"1\"", "\"2\"", "\"1\""), VD_E_SHAPE);
	/* depthUpdate's b and a are level arrays */
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":\"1\","
		"\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[\"1\"],"
		"\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
		"\"b\":[[\"1\"]],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
		"\"b\":[[\"1\",true]],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
		"\"T\":1,\"m\":\"true\"}",
		VD_E_SHAPE);
	dec_err("{\"e\":5,\"E\":1}", VD_E_SHAPE);
	dec_err("{\"stream\":5,\"data\":{}}", VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"data\":[]}", VD_E_SHAPE);
	dec_err("{\"data\":\"x\",\"stream\":\"btcusdt@depth5\"}", VD_E_SHAPE);
	dec_err("[1,2]", VD_E_TYPE);
	dec_err("\"x\"", VD_E_TYPE);
	dec_err("{}", VD_E_TYPE);
	dec_err("", VD_E_SYNTAX);
	dec_err("{\"result\":null,\"id\":1}x", VD_E_SYNTAX);
	dec_err("{\"u\":1,}", VD_E_SYNTAX);
	dec_err("{\"u\" 1}", VD_E_SYNTAX);
	dec_err(BT("1", "\"BTC\x01USDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SYNTAX);
	dec_err(BT("1", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\"") "{}", VD_E_SYNTAX);
	/* extra elements in a level (old payloads) are skipped */
	cr_assert_eq(dec("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
			 "\"b\":[[\"1\",\"2\",[]]],\"a\":[]}"),
		     0);
	assert_lv(&bids[0], 100000000, 200000000, "bids", 0);
}

Test(vd_binance, missing_keys)
{
	dec_err("{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\"}", VD_E_SHAPE);
	dec_err("{\"s\":\"BTCUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}", VD_E_TYPE);
	dec_err("{\"u\":1,\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}", VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"u\":2,\"b\":[],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"U\":1,\"u\":2,\"b\":[[\"1\",\"1\"]],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
		"\"T\":1}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"aggTrade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\",\"q\":\"1\","
		"\"T\":1,\"m\":true}",
		VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"data\":{\"lastUpdateId\":1,\"bids\":[]}}",
		VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\"}", VD_E_SHAPE);
	dec_err("{\"data\":{\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}}", VD_E_SHAPE);
	dec_err("{\"result\":null}", VD_E_SHAPE);
	dec_err("{\"id\":1}", VD_E_TYPE);
	assert_err(snap(0, "{\"lastUpdateId\":1,\"bids\":[]}"), VD_E_SHAPE, "snapshot asks");
	assert_err(snap(0, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}"), VD_E_TYPE,
		   "an error body");
}

Test(vd_binance, repeated_keys)
{
	dec_err("{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\","
		"\"A\":\"1\"}",
		VD_E_SHAPE);
	dec_err("{\"u\":1,\"s\":\"BTCUSDT\",\"s\":\"BTCUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\","
		"\"A\":\"1\"}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"u\":3,"
		"\"b\":[],\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"e\":\"trade\",\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"1\","
		"\"q\":\"1\",\"T\":1,\"m\":true}",
		VD_E_SHAPE);
	dec_err("{\"m\":true,\"s\":\"BTCUSDT\",\"s\":\"BTCUSDT\",\"e\":\"trade\"}", VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"stream\":\"btcusdt@depth5\",\"data\":{}}",
		VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"data\":{\"lastUpdateId\":1,\"bids\":[],"
		"\"asks\":[]},\"data\":{}}",
		VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"data\":{\"lastUpdateId\":1,\"lastUpdateId\":1,"
		"\"bids\":[],\"asks\":[]}}",
		VD_E_SHAPE);
	assert_err(snap(0, "{\"lastUpdateId\":1,\"bids\":[],\"bids\":[],\"asks\":[]}"),
		   VD_E_SHAPE, "snapshot bids twice");
	dec_err("{\"result\":null,\"id\":1,\"id\":2}", VD_E_SHAPE);
	dec_err("{\"code\":1,\"code\":1,\"msg\":\"x\"}", VD_E_SHAPE);
}

Test(vd_binance, unknown_symbol)
{
	dec_err(BT("1", "\"XRPUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SYMBOL);
	cr_assert_eq(m.sym, VENUE_SYM_NONE);
	assert_name(m.sym_name, m.sym_name_len, "XRPUSDT");
	dec_err("{\"e\":\"trade\",\"p\":\"1\",\"s\":\"XRPUSDT\"}", VD_E_SYMBOL);
	assert_name(m.sym_name, m.sym_name_len, "XRPUSDT");
	dec_err("{\"stream\":\"!bookTicker\",\"data\":" BT("1", "\"DOGEUSDT\"", "\"1\"", "\"1\"",
							    "\"2\"", "\"1\"") "}",
		VD_E_SYMBOL);
	dec_err(BT("1", "\"BTC\\u0055SDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SYMBOL);
	/* the payload's symbol must be the stream's */
	dec_err("{\"stream\":\"ethusdt@bookTicker\",\"data\":" BT("1", "\"BTCUSDT\"", "\"1\"",
								  "\"1\"", "\"2\"", "\"1\"") "}",
		VD_E_SHAPE);
	cr_assert_eq(dec("{\"stream\":\"btcusdt@bookTicker\",\"data\":" BT("1", "\"btcusdt\"",
									   "\"1\"", "\"1\"",
									   "\"2\"", "\"1\"") "}"),
		     0, "the case does not matter");
}

Test(vd_binance, unknown_event)
{
	dec_err("{\"e\":\"kline\",\"E\":1,\"s\":\"BTCUSDT\",\"k\":{}}", VD_E_TYPE);
	dec_err("{\"e\":\"24hrTicker\",\"E\":1,\"s\":\"BTCUSDT\",\"b\":\"1\",\"a\":\"2\"}",
		VD_E_TYPE);
	dec_err("{\"s\":\"BTCUSDT\",\"e\":\"executionReport\",\"u\":1}", VD_E_TYPE);
	dec_err("{\"x\":1}", VD_E_TYPE);
	/* the stream says one thing, the payload another */
	dec_err("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"aggTrade\",\"E\":1,"
		"\"s\":\"BTCUSDT\",\"a\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}}",
		VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"data\":{\"e\":\"depthUpdate\",\"lastUpdateId\":1,"
		"\"bids\":[],\"asks\":[]}}",
		VD_E_SHAPE);
	/* bookTicker with a futures-style event type is still a bookTicker */
	cr_assert_eq(dec("{\"e\":\"bookTicker\",\"u\":1,\"E\":5,\"s\":\"BTCUSDT\",\"b\":\"1\","
			 "\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}"),
		     0);
	cr_assert_eq(m.kind, VD_BBO);
	cr_assert_eq(m.venue_ts_ns, 5000000);
}

Test(vd_binance, u_below_U)
{
	dec_err("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":161,\"u\":160,\"b\":[],"
		"\"a\":[]}",
		VD_E_SHAPE);
	dec_err("{\"u\":160,\"U\":161,\"b\":[],\"a\":[],\"E\":1,\"s\":\"BTCUSDT\","
		"\"e\":\"depthUpdate\"}",
		VD_E_SHAPE);
}

Test(vd_binance, book_sides_in_order_and_padding_dropped)
{
	const char *pfx = "{\"stream\":\"btcusdt@depth5\",\"data\":";
	char s[512];

	snprintf(s, sizeof(s), "%s{\"lastUpdateId\":9,\"bids\":[[\"3\",\"1\"],[\"2\",\"0\"],"
		 "[\"1\",\"1\"],[\"0\",\"0\"]],\"asks\":[[\"4\",\"1\"],[\"5\",\"0.00\"],[\"6\",\"2\"]]}}",
		 pfx);
	cr_assert_eq(dec(s), 0);
	cr_assert_eq(m.nbids, 2u, "zero levels dropped");
	cr_assert_eq(m.nasks, 2u);
	assert_lv(&bids[1], 100000000, 100000000, "bids", 1);
	assert_lv(&asks[1], 600000000, 200000000, "asks", 1);
	m.cap = 2;
	cr_assert_eq(dec(s), 0, "dropped levels do not count against cap");

	snprintf(s, sizeof(s), "%s{\"lastUpdateId\":9,\"bids\":[[\"1\",\"1\"],[\"2\",\"1\"]],"
		 "\"asks\":[]}}", pfx);
	dec_err(s, VD_E_SHAPE);
	snprintf(s, sizeof(s), "%s{\"lastUpdateId\":9,\"bids\":[],"
		 "\"asks\":[[\"2\",\"1\"],[\"1\",\"1\"]]}}", pfx);
	dec_err(s, VD_E_SHAPE);
	snprintf(s, sizeof(s), "%s{\"lastUpdateId\":9,\"bids\":[[\"2\",\"1\"],[\"2\",\"1\"]],"
		 "\"asks\":[]}}", pfx);
	dec_err(s, VD_E_SHAPE);
	assert_err(snap(0, "{\"lastUpdateId\":1,\"bids\":[[\"1\",\"1\"],[\"1.5\",\"1\"]],"
			   "\"asks\":[]}"),
		   VD_E_SHAPE, "snapshot bids rising");
	assert_err(snap(0, "{\"lastUpdateId\":1,\"bids\":[],"
			   "\"asks\":[[\"1.5\",\"1\"],[\"1.4\",\"1\"]]}"),
		   VD_E_SHAPE, "snapshot asks falling");
	/* a diff keeps the wire order: no ordering there */
	cr_assert_eq(dec("{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,"
			 "\"b\":[[\"1\",\"1\"],[\"2\",\"0\"]],\"a\":[]}"),
		     0);
	cr_assert_eq(m.nbids, 2u);
}

Test(vd_binance, snapshot_extras)
{
	cr_assert_eq(snap(BTCUSDT, "{\"lastUpdateId\":5,\"bids\":[],\"asks\":[],\"x\":[1,{}]}"), 0,
		     "unknown keys skipped");
	cr_assert_eq(m.kind, VD_SNAPSHOT);
	cr_assert_eq(m.nbids + m.nasks, 0u);
	assert_err(snap(BTCUSDT, "[]"), VD_E_TYPE, "array");
	assert_err(snap(BTCUSDT, "{\"lastUpdateId\":5,\"bids\":[],\"asks\":[]} x"), VD_E_SYNTAX,
		   "trailing");
	assert_err(snap(BTCUSDT, "{\"lastUpdateId\":5,\"bids\":{},\"asks\":[]}"), VD_E_SHAPE,
		   "bids object");
}

/* A 5000-level snapshot side (Binance's largest) decodes whole. */
Test(vd_binance, snapshot_5000_levels)
{
	static struct vd_level b[5000], a[5000];
	size_t cap = 5000 * 2 * 40 + 64, o = 0;
	char *s = malloc(cap);

	cr_assert_not_null(s);
	o += (size_t)snprintf(s + o, cap - o, "{\"lastUpdateId\":77,\"bids\":[");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s[\"%d.%08d\",\"0.%08d\"]", i ? "," : "",
				      60000 - i, 12345678 - i, i + 1);
	o += (size_t)snprintf(s + o, cap - o, "],\"asks\":[");
	for (int i = 0; i < 5000; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s[\"%d.%08d\",\"%d.00000000\"]",
				      i ? "," : "", 60001 + i, i, i + 1);
	o += (size_t)snprintf(s + o, cap - o, "]}");
	m.bids = b;
	m.asks = a;
	m.cap = 5000;
	cr_assert_eq(snap(BTCUSDT, s), 0);
	cr_assert_eq(m.nbids, 5000u);
	cr_assert_eq(m.nasks, 5000u);
	assert_lv(&b[0], 6000012345678, 1, "bids", 0);
	assert_lv(&b[4999], 5500112340679, 5000, "bids", 4999);
	assert_lv(&a[4999], 6500000004999, 500000000000, "asks", 4999);
	m.cap = 4999;
	assert_err(snap(BTCUSDT, s), VD_E_DEPTH, "4999");
	free(s);
}

Test(vd_binance, more_refusals)
{
	const char *pfx = "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"a\":[],";
	char s[256];

	/* ids: JSON has no leading zeros; 0 itself is fine */
	dec_err(BT("0123", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\""), VD_E_SYNTAX);
	cr_assert_eq(dec(BT("0", "\"BTCUSDT\"", "\"1\"", "\"1\"", "\"2\"", "\"1\"")), 0);
	cr_assert_eq(m.last_id, 0);
	/* level arrays */
	snprintf(s, sizeof(s), "%s\"b\":[[\"1\",\"2\"] [\"3\",\"4\"]]}", pfx);
	dec_err(s, VD_E_SYNTAX);
	snprintf(s, sizeof(s), "%s\"b\":[[\"1\",\"2\",]]}", pfx);
	dec_err(s, VD_E_SYNTAX);
	snprintf(s, sizeof(s), "%s\"b\":[[\"1\" \"2\"]]}", pfx);
	dec_err(s, VD_E_SYNTAX);
	snprintf(s, sizeof(s), "%s\"b\":[[\"1\",\"2\"}]}", pfx);
	dec_err(s, VD_E_SYNTAX);
	/* a trade's price or size below zero */
	dec_err("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"-1\",\"q\":\"1\","
		"\"T\":1,\"m\":true}",
		VD_E_NUMBER);
	dec_err("{\"e\":\"aggTrade\",\"E\":1,\"s\":\"BTCUSDT\",\"a\":1,\"p\":\"1\",\"q\":-1,"
		"\"T\":1,\"m\":true}",
		VD_E_NUMBER);
	/* serverShutdown by its stream must still say what it is */
	dec_err("{\"stream\":\"!serverShutdown\",\"data\":{\"E\":1}}", VD_E_SHAPE);
	dec_err("{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"trade\",\"E\":1}}", VD_E_SHAPE);
	dec_err("{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":\"x\"}}",
		VD_E_NUMBER);
	/* "e" that is not a string, found by the cheap pass */
	dec_err("{\"x\":1,\"e\":5}", VD_E_SHAPE);
	dec_err("{\"x\":1,\"s\":[]}", VD_E_SHAPE);
	dec_err("{\"x\":1,\"e\":\"trade\",\"y\":tru}", VD_E_SYNTAX);
	/* other wrapper keys are skipped, but must be JSON */
	cr_assert_eq(dec("{\"x\":{\"y\":[1]},\"stream\":\"btcusdt@depth5\",\"data\":"
			 "{\"lastUpdateId\":1,\"bids\":[],\"asks\":[]}}"),
		     0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(dec("{\"x\":1,\"data\":{\"lastUpdateId\":1,\"bids\":[],\"asks\":[]},"
			 "\"stream\":\"ethusdt@depth5\"}"),
		     0);
	cr_assert_eq(m.sym, (uint32_t)ETHUSDT);
	dec_err("{\"x\":1,\"data\":{}}", VD_E_SHAPE);
	dec_err("{\"stream\":\"btcusdt@depth5\",\"x\":[1,],\"data\":{\"lastUpdateId\":1,"
		"\"bids\":[],\"asks\":[]}}",
		VD_E_SYNTAX);
	/* a book level at price 0 is padding too */
	cr_assert_eq(snap(BTCUSDT, "{\"lastUpdateId\":1,\"bids\":[[\"2\",\"1\"],[\"0\",\"5\"]],"
				   "\"asks\":[]}"),
		     0);
	cr_assert_eq(m.nbids, 1u);
	/* the rest of the calls refuse what they cannot use */
	char b[8], q[8], out[64];
	uint32_t one = BTCUSDT;
	cr_assert_eq(md->split(NULL, 0, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, &one, 1, &sub_all, NULL, 64), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, &one, 1, NULL, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 100, NULL, 64), -EINVAL);
}

/* The cheap pass skims values: brackets and quotes inside strings, every cut. */
Test(vd_binance, the_cheap_pass)
{
	cr_assert_eq(dec("{\"x\":\"a\\\"]}[{,\",\"y\":[{\"z\":\"]\\\\\"},[]],\"n\":-1.5e3,"
			 "\"t\":5,\"e\":\"trade\",\"E\":1,\"p\":\"2\",\"q\":\"1\",\"T\":1,"
			 "\"m\":false,\"s\":\"ETHUSDT\"}"),
		     0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.trade_id, 5);
	cr_assert_eq(m.px, 200000000);
	/* broken JSON is counted as broken, not as an unknown type */
	dec_err("{\"x\":[1,,2],\"y\":1}", VD_E_SYNTAX);
	dec_err("{\"x\":[1,2}", VD_E_SYNTAX);
	dec_err("{\"x\":\"\\q\",\"u\":1}", VD_E_SYNTAX);
	dec_err("{\"x\":1,\"e\":\"trade\",\"y\":tru}", VD_E_SYNTAX);
	dec_err("{\"x\":,\"e\":\"trade\"}", VD_E_SYNTAX);

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(all_lines); i++) {
		const struct fx *f = &all_lines[i];
		char *l = line(f->file, f->line), *r = reversed(l);
		size_t n = strlen(r);
		if (f->one)
			tab_one("BNB", "BTC", 8, 8);
		for (size_t k = 0; k < n; k++) {
			int ret = fx_dec(f, r, k);
			cr_assert(ret < 0 && ret > -VD_E_MAX, "%s cut at %zu: %d", r, k, ret);
		}
		if (f->one)
			tab_std();
		free(r);
		free(l);
	}
}
