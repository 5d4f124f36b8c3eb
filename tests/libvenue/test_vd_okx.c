/* SPDX-License-Identifier: MIT */
/*
 * libvenue/okx.c: the venue table, symbols, subscribe / unsubscribe
 * requests, the decoders against the OKX captures in the fixtures (exact
 * values at the scales set), every prefix of them, reordered keys, the book
 * sequence cases (chain, idle heartbeat, reset, gap ids), the checksum
 * against testvectors-okx-checksum.jsonl, and each way a message can be
 * refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
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
static const struct venue_md *md = &venue_md_okx;

enum { BTC, ETH };          /* BTC-USDT 2/8, ETH-USDT 2/4 */

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_OKX);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 100), BTC);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "USDT", 2, 4, 101), ETH);
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

TestSuite(vd_okx, .init = setup, .fini = teardown);

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

static int snap(uint32_t sym, const char *s)
{
	size_t n = strlen(s);

	free(buf);
	buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, s, n);
	return md->decode_snapshot(&tab, sym, (const uint8_t *)buf, n, &m);
}

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

static void assert_lv(const struct vd_level *l, int64_t px, int64_t qty)
{
	cr_assert_eq(l->px, px, "px %lld, want %lld", (long long)l->px, (long long)px);
	cr_assert_eq(l->qty, qty, "qty %lld, want %lld", (long long)l->qty, (long long)qty);
}

/* A refusal leaves nothing that looks like data. */
static void assert_refused(int r, int want)
{
	cr_assert_eq(r, want, "got %d (%s), want %d", r, r < 0 ? vd_err_name((unsigned)-r) : "ok",
		     want);
	cr_assert_eq(m.kind, VD_NONE);
	cr_assert_eq(m.nbids + m.nasks, 0u);
}

/* ---- the table ----------------------------------------------------------- */

Test(vd_okx, table)
{
	cr_assert_eq(venue_md_get(KIMP_VENUE_OKX), md);
	cr_assert_eq(venue_md_by_name("okx"), md);
	cr_assert_eq(md->book_mode, VENUE_BOOK_WS);
	cr_assert_str_eq(md->ping_text, "ping");
	cr_assert(md->ping_every_ns > 0 && md->ping_every_ns < 30000000000ull);
	cr_assert_eq(md->checksum_depth, 25u);
	cr_assert_not_null(md->ws_unsubscribe);
	cr_assert_not_null(md->book_checksum);
	cr_assert_not_null(md->decode_snapshot);
	cr_assert_str_eq(md->quote, "USDT");
	cr_assert_str_eq(tab.sym[BTC].name, "BTC-USDT");
}

Test(vd_okx, symbols)
{
	char out[VENUE_SYM_MAX], b[12], q[12];

	cr_assert_eq(md->symbol("BTC", "USDT", out, sizeof(out)), 8);
	cr_assert_str_eq(out, "BTC-USDT");
	cr_assert_eq(md->symbol("btc", "USDT", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BTC", "", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BTC", "USDT", out, 9), 8);        /* boundary: NUL fits */
	cr_assert_eq(md->symbol("BTC", "USDT", out, 8), -ENOSPC);
	/* the longest base and quote a table takes make 23 bytes: they fit */
	cr_assert_geq(venue_symtab_add(&tab, "ABCDEFGHIJK", "USDTUSDTUSD", 2, 2, 1), 0);
	cr_assert_eq(venue_symtab_add(&tab, "ABCDEFGHIJKL", "USDT", 2, 2, 1), -EINVAL);
	cr_assert_eq(venue_symtab_add(&tab, "SOL", "USDT-SWAP", 2, 2, 1), -EINVAL);
	cr_assert_eq(md->split("BTC-USDT", 8, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "BTC");
	cr_assert_str_eq(q, "USDT");
	cr_assert_eq(md->split("BTCUSDT", 7, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("BTC-USDT-SWAP", 13, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("-USDT", 5, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("BTC-USDT", 8, b, q, 4), -EINVAL);   /* USDT needs 5 */
	cr_assert_eq(md->split("BTC-USD", 7, b, q, 4), 0);
}

Test(vd_okx, inst_rules)
{
	struct venue_inst_rules r;

	cr_assert_eq(md->inst_rules("BTC", "USDT", 2, 8, &r), 0);
	cr_assert_eq(r.tick, 10);
	cr_assert_eq(r.step, 1);
	cr_assert_eq(r.min_qty, 1000);
	cr_assert_eq(r.max_notional, 100000000);
	cr_assert_eq(r.min_notional, 0);
	cr_assert_eq(md->inst_rules("BTC", "USDT", 0, 8, &r), -ERANGE);   /* tick 0.1 */
	cr_assert_eq(md->inst_rules("BTC", "USDT", 1, 8, &r), 0);
	cr_assert_eq(md->inst_rules("BTC", "USDT", 2, 7, &r), -ERANGE);   /* lot 1e-8 */
	cr_assert_eq(md->inst_rules("DOGE", "USDT", 5, 0, &r), -ENOENT);
	cr_assert_eq(md->inst_rules("BTC", "KRW", 0, 8, &r), -ENOENT);
}

/* ---- requests ------------------------------------------------------------ */

Test(vd_okx, ws_target)
{
	uint32_t syms[30] = { BTC, ETH };
	struct venue_sub sub = { .book = true };
	char out[64];

	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, sizeof(out)), 13);
	cr_assert_str_eq(out, "/ws/v5/public");
	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, 14), 13);
	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, 13), -ENOSPC);
	cr_assert_eq(md->ws_target(&tab, syms, 29, &sub, out, sizeof(out)), 13);
	cr_assert_eq(md->ws_target(&tab, syms, 30, &sub, out, sizeof(out)), -E2BIG);
	sub.book = false;
	sub.trades = true;
	cr_assert_eq(md->ws_target(&tab, syms, 30, &sub, out, sizeof(out)), 13);
	syms[0] = 7;
	cr_assert_eq(md->ws_target(&tab, syms, 1, &sub, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->ws_target(&tab, syms, 0, &sub, out, sizeof(out)), -EINVAL);
}

Test(vd_okx, subscribe)
{
	static const char want[] =
		"{\"id\":\"77\",\"op\":\"subscribe\",\"args\":["
		"{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
		"{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},"
		"{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},"
		"{\"channel\":\"tickers\",\"instId\":\"BTC-USDT\"},"
		"{\"channel\":\"books\",\"instId\":\"ETH-USDT\"},"
		"{\"channel\":\"bbo-tbt\",\"instId\":\"ETH-USDT\"},"
		"{\"channel\":\"trades\",\"instId\":\"ETH-USDT\"},"
		"{\"channel\":\"tickers\",\"instId\":\"ETH-USDT\"}]}";
	uint32_t syms[] = { BTC, ETH };
	struct venue_sub sub = { .book = true, .bbo = true, .trades = true, .ticker = true };
	char out[1024];
	int n = md->ws_subscribe(&tab, syms, 2, &sub, 77, 0, out, sizeof(out));

	cr_assert_eq(n, (int)strlen(want));
	cr_assert_str_eq(out, want);
	/* boundaries of the buffer: the NUL must fit */
	cr_assert_eq(md->ws_subscribe(&tab, syms, 2, &sub, 77, 0, out, (size_t)n + 1), n);
	cr_assert_eq(md->ws_subscribe(&tab, syms, 2, &sub, 77, 0, out, (size_t)n), -ENOSPC);
	/* one message: part 1 is none */
	cr_assert_eq(md->ws_subscribe(&tab, syms, 2, &sub, 77, 1, out, sizeof(out)), 0);
	/* ticket 0: no id */
	sub = (struct venue_sub){ .trades = true };
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"op\":\"subscribe\",\"args\":["
			      "{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"}]}");
	/* nothing asked, a symbol outside the table */
	sub = (struct venue_sub){ 0 };
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &sub, 1, 0, out, sizeof(out)), -EINVAL);
	sub.ticker = true;
	syms[0] = 9;
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &sub, 1, 0, out, sizeof(out)), -EINVAL);
}

Test(vd_okx, subscribe_channels)
{
	uint32_t syms[] = { BTC };
	struct venue_sub sub = { .book = true, .bbo = true };
	char out[512];

	sub.depth = 5;
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"books5\""));
	sub.depth = 1;                 /* the book is bbo-tbt: not asked twice */
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"op\":\"subscribe\",\"args\":["
			      "{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"}]}");
	sub.depth = 0;
	sub.speed_ms = 10;
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"books-l2-tbt\""));
	sub.depth = 50;
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"books50-l2-tbt\""));
	sub.speed_ms = 100;            /* 50 levels only tick by tick */
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), -EINVAL);
	sub.depth = 20;
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), -EINVAL);
	sub.depth = 400;
	sub.speed_ms = 1000;
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &sub, 0, 0, out, sizeof(out)), -EINVAL);
}

Test(vd_okx, unsubscribe)
{
	uint32_t syms[30] = { ETH };
	struct venue_sub sub = { .book = true, .bbo = true, .trades = true };
	char out[256];

	cr_assert_gt(md->ws_unsubscribe(&tab, syms, 1, &sub, 5, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"id\":\"5\",\"op\":\"unsubscribe\",\"args\":["
			      "{\"channel\":\"books\",\"instId\":\"ETH-USDT\"}]}");
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 1, &sub, 5, 1, out, sizeof(out)), 0);
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 29, &sub, 5, 0, out, sizeof(out)), -ENOSPC);
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 30, &sub, 5, 0, out, sizeof(out)), -E2BIG);
	sub.book = false;
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 1, &sub, 5, 0, out, sizeof(out)), -EINVAL);
}

Test(vd_okx, snapshot_target)
{
	char out[128];

	cr_assert_gt(md->snapshot_target(&tab, ETH, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/api/v5/market/books?instId=ETH-USDT&sz=400");
	cr_assert_gt(md->snapshot_target(&tab, BTC, 400, out, sizeof(out)), 0);
	cr_assert_gt(md->snapshot_target(&tab, BTC, 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/api/v5/market/books?instId=BTC-USDT&sz=1");
	cr_assert_eq(md->snapshot_target(&tab, BTC, 401, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, 2, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, BTC, 1, out, 41), -ENOSPC);
	cr_assert_eq(md->snapshot_target(&tab, BTC, 1, out, 42), 41);
}

/* ---- fixtures: books ----------------------------------------------------- */

Test(vd_okx, books_snapshot_doc)
{
	char *l = line("okx-books.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.venue, KIMP_VENUE_OKX);
	cr_assert_eq(m.snapshot, 1);
	cr_assert_eq(m.sym, BTC);
	assert_name(m.sym_name, m.sym_name_len, "BTC-USDT");
	cr_assert_eq(m.first_id, 123456u);
	cr_assert_eq(m.last_id, 123456u);
	cr_assert_eq(m.checksum, 0);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.venue_ts_ns, 1597026383085000000ll);
	cr_assert_eq(m.nasks, 8u);
	cr_assert_eq(m.nbids, 8u);
	assert_lv(&m.asks[0], 847698, 41500000000ll);
	assert_lv(&m.asks[7], 850696, 10000000000ll);
	assert_lv(&m.bids[0], 847697, 25600000000ll);
	assert_lv(&m.bids[7], 844600, 9500000000ll);
	free(l);
}

Test(vd_okx, books_update_doc)
{
	char *l = line("okx-books.jsonl", 1);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.snapshot, 0);
	cr_assert_eq(m.first_id, 123457u);   /* prevSeqId + 1 */
	cr_assert_eq(m.last_id, 123457u);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.nasks, 8u);
	cr_assert_eq(m.nbids, 8u);
	assert_lv(&m.asks[1], 847700, 700000000);
	assert_lv(&m.bids[3], 847530, 100000000);
	free(l);
}

Test(vd_okx, books_l2_tbt_real)
{
	char *l = line("okx-books.jsonl", 2);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.snapshot, 1);
	cr_assert_eq(m.last_id, 0u);        /* 2022: no seqId yet */
	cr_assert_eq(m.checksum, 144433427);
	cr_assert_eq(m.nasks, 3u);
	assert_lv(&m.asks[0], 4366610, 109431286);
	assert_lv(&m.bids[2], 4366200, 245065);
	free(l);
	l = line("okx-books.jsonl", 3);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.checksum, 796530682);
	cr_assert_eq(m.first_id, 0u);
	cr_assert_eq(m.last_id, 0u);
	cr_assert_eq(m.nasks, 1u);
	cr_assert_eq(m.nbids, 1u);
	assert_lv(&m.asks[0], 4373620, 13580000);
	assert_lv(&m.bids[0], 4367560, 5000000);
	cr_assert_eq(m.venue_ts_ns, 1646314295200000000ll);
	free(l);
}

Test(vd_okx, bbo_and_books5)
{
	char *l = line("okx-bbo-books5.jsonl", 0);

	/* the docs' examples are a swap: not in a spot table */
	assert_refused(dec(l), -VD_E_SYMBOL);
	assert_name(m.sym_name, m.sym_name_len, "BCH-USDT-SWAP");
	free(l);
	l = line("okx-bbo-books5.jsonl", 1);
	assert_refused(dec(l), -VD_E_SYMBOL);
	free(l);
	l = line("okx-bbo-books5.jsonl", 2);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_BBO);
	cr_assert_eq(m.sym, BTC);
	assert_lv(&m.bid, 3177460, 33922110);
	assert_lv(&m.ask, 3177470, 14368878);
	cr_assert_eq(m.nbids + m.nasks, 0u);
	cr_assert_eq(m.last_id, 0u);
	cr_assert_eq(m.venue_ts_ns, 1654032991947000000ll);
	free(l);
}

/* Fixture line n of file with every BCH-USDT-SWAP as ETH-USDT (the caller frees it). */
static char *as_spot(const char *file, unsigned n)
{
	char *l = line(file, n), *out = malloc(strlen(l) + 1), *o = out;
	const char *p = l, *q;

	cr_assert_not_null(out);
	while ((q = strstr(p, "BCH-USDT-SWAP"))) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, "ETH-USDT", 8);
		o += 8;
		p = q + 13;
	}
	strcpy(o, p);
	free(l);
	return out;
}

Test(vd_okx, bbo_books5_spot)
{
	/* the docs' lines with a spot instrument */
	char *l = as_spot("okx-bbo-books5.jsonl", 1);

	cr_assert_eq(dec(l), 0, "%s", l);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.snapshot, 1);
	cr_assert_eq(m.sym, ETH);
	cr_assert_eq(m.nasks, 5u);
	cr_assert_eq(m.nbids, 5u);
	assert_lv(&m.asks[4], 11110, 672720000);
	assert_lv(&m.bids[4], 11101, 650900000);
	cr_assert_eq(m.last_id, 363996337u);
	free(l);
	l = as_spot("okx-bbo-books5.jsonl", 0);
	cr_assert_eq(dec(l), 0, "%s", l);
	cr_assert_eq(m.kind, VD_BBO);
	cr_assert_eq(m.last_id, 363996337u);
	assert_lv(&m.ask, 11106, 551540000);
	free(l);
}

/* ---- fixtures: trades, tickers, control ---------------------------------- */

Test(vd_okx, trades)
{
	char *l = line("okx-trades.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.sym, BTC);
	cr_assert_eq(m.px, 4221990);
	cr_assert_eq(m.qty, 12060306);
	cr_assert_eq(m.aggressor, KIMP_SIDE_BUY);
	cr_assert_eq(m.trade_id, 130639474u);
	cr_assert_eq(m.trade_ts_ns, 1630048897897000000ll);
	cr_assert_eq(m.venue_ts_ns, 1630048897897000000ll);
	free(l);
	l = line("okx-trades.jsonl", 1);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.trade_id, 314161276u);
	cr_assert_eq(m.px, 4347410);
	cr_assert_eq(m.qty, 373695);
	free(l);
}

Test(vd_okx, trades_several)
{
	/* the newest (last) is the message; every one is checked */
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":["
			 "{\"instId\":\"BTC-USDT\",\"tradeId\":\"1\",\"px\":\"1\",\"sz\":\"1\","
			 "\"side\":\"buy\",\"ts\":\"1\"},"
			 "{\"instId\":\"BTC-USDT\",\"tradeId\":\"2\",\"px\":\"2\",\"sz\":\"3\","
			 "\"side\":\"sell\",\"ts\":\"2\"}]}"), 0);
	cr_assert_eq(m.trade_id, 2u);
	cr_assert_eq(m.px, 200);
	cr_assert_eq(m.aggressor, KIMP_SIDE_SELL);
	assert_refused(dec("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":["
			   "{\"tradeId\":\"1\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"},"
			   "{\"tradeId\":\"2\",\"px\":\"2\",\"sz\":\"3\",\"side\":\"up\",\"ts\":\"2\"}]}"),
		       -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":["
			   "{\"tradeId\":\"1\",\"px\":\"1\",\"side\":\"buy\",\"ts\":\"1\"}]}"),
		       -VD_E_SHAPE);
}

Test(vd_okx, tickers)
{
	char *l = line("okx-tickers.jsonl", 0);

	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.kind, VD_TICKER);
	cr_assert_eq(m.px, 999999);
	cr_assert_eq(m.qty, 0);
	assert_lv(&m.bid, 888888, 500000000);
	assert_lv(&m.ask, 999999, 1100000000);
	cr_assert_eq(m.venue_ts_ns, 1597026383085000000ll);
	free(l);
	l = line("okx-tickers.jsonl", 1);
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.px, 2993400);
	assert_lv(&m.ask, 2993410, 30918743);
	free(l);
	/* an empty side comes as "" */
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"tickers\",\"instId\":\"BTC-USDT\"},\"data\":[{"
			 "\"last\":\"5\",\"bidPx\":\"\",\"bidSz\":\"\",\"askPx\":\"6\",\"askSz\":\"1\","
			 "\"ts\":\"1\"}]}"), 0);
	assert_lv(&m.bid, 0, 0);
	assert_lv(&m.ask, 600, 100000000);
}

Test(vd_okx, control_fixture)
{
	static const struct {
		int r;
		uint8_t kind;
		int32_t code;
		uint64_t id;
	} want[] = {
		{ -VD_E_TYPE, 0, 0, 0 },            /* login request */
		{ 0, VD_CONTROL, 0, 0 },            /* login ok */
		{ 0, VD_VENUE_ERROR, 60009, 0 },    /* login failed */
		{ -VD_E_TYPE, 0, 0, 0 },            /* subscribe request */
		{ 0, VD_CONTROL, 0, 0 },
		{ -VD_E_TYPE, 0, 0, 0 },            /* unsubscribe request */
		{ 0, VD_CONTROL, 0, 0 },
		{ 0, VD_SHUTDOWN, 64008, 0 },       /* notice */
		{ -VD_E_TYPE, 0, 0, 0 },            /* books subscribe request */
		{ 0, VD_CONTROL, 0, 1512 },
		{ 0, VD_VENUE_ERROR, 60012, 1512 },
		{ 0, VD_CONTROL, 0, 0 },            /* channel-conn-count */
		{ 0, VD_VENUE_ERROR, 0, 0 },        /* channel-conn-count-error */
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(want); i++) {
		char *l = line("okx-ws-control.jsonl", i);
		int r = dec(l);

		cr_assert_eq(r, want[i].r, "line %u: %d", i + 1, r);
		cr_assert_eq(m.kind, want[i].kind, "line %u", i + 1);
		if (!r) {
			cr_assert_eq(m.err_code, want[i].code, "line %u", i + 1);
			cr_assert_eq(m.req_id, want[i].id, "line %u", i + 1);
			cr_assert_eq(m.sym, VENUE_SYM_NONE);
		}
		free(l);
	}
	cr_assert_null(test_fixture_line("okx-ws-control.jsonl", KIMP_ARRAY_SIZE(want)));
	{
		char *l = line("okx-ws-control.jsonl", 2);
		cr_assert_eq(dec(l), 0);
		assert_name(m.err_name, m.err_name_len, "Login failed.");
		free(l);
	}
}

Test(vd_okx, pong_and_events)
{
	cr_assert_eq(dec("pong"), 0);
	cr_assert_eq(m.kind, VD_CONTROL);
	cr_assert_eq(m.venue, KIMP_VENUE_OKX);
	assert_refused(dec("pon"), -VD_E_SYNTAX);
	assert_refused(dec("pongg"), -VD_E_SYNTAX);
	assert_refused(dec("\"pong\""), -VD_E_TYPE);
	/* another notice is not a shutdown */
	cr_assert_eq(dec("{\"event\":\"notice\",\"code\":\"64009\",\"msg\":\"x\"}"), 0);
	cr_assert_eq(m.kind, VD_CONTROL);
	cr_assert_eq(m.err_code, 64009);
	cr_assert_eq(dec("{\"event\":\"error\",\"code\":60012,\"msg\":\"x\",\"id\":\"abc\"}"), 0);
	cr_assert_eq(m.kind, VD_VENUE_ERROR);
	cr_assert_eq(m.req_id, 0u);        /* not one of ours */
	assert_refused(dec("{\"event\":\"error\",\"msg\":\"x\"}"), -VD_E_SHAPE);
	assert_refused(dec("{\"event\":\"notice\"}"), -VD_E_SHAPE);
	assert_refused(dec("{\"event\":\"mystery\"}"), -VD_E_TYPE);
	assert_refused(dec("{\"event\":1}"), -VD_E_SHAPE);
	assert_refused(dec("{\"event\":\"error\",\"code\":\"99999999999\"}"), -VD_E_NUMBER);
	assert_refused(dec("{\"event\":\"subscribe\",\"data\":[]}"), -VD_E_SHAPE);
	assert_refused(dec("{\"event\":\"subscribe\",\"event\":\"subscribe\"}"), -VD_E_SHAPE);
}

/* ---- book sequence ------------------------------------------------------- */

static const char *book_msg(char *out, size_t cap, const char *action, long long prev,
			    long long seq, const char *levels)
{
	snprintf(out, cap,
		 "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"%s\","
		 "\"data\":[{%s,\"ts\":\"1\",\"checksum\":0,\"prevSeqId\":%lld,\"seqId\":%lld}]}",
		 action, levels, prev, seq);
	return out;
}

#define LVLS "\"asks\":[[\"2\",\"1\",\"0\",\"1\"]],\"bids\":[[\"1\",\"0\",\"0\",\"1\"]]"
#define EMPTY "\"asks\":[],\"bids\":[]"

Test(vd_okx, seq_chain)
{
	char b[512];

	/* the docs' worked example: (-1,10) (10,15) (15,15) (15,3) (3,5) */
	cr_assert_eq(dec(book_msg(b, sizeof(b), "snapshot", -1, 10, LVLS)), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.first_id, 10u);
	cr_assert_eq(m.last_id, 10u);
	cr_assert_eq(m.nbids, 0u);          /* a size 0 in a whole book is dropped */
	cr_assert_eq(m.nasks, 1u);
	cr_assert_eq(dec(book_msg(b, sizeof(b), "update", 10, 15, LVLS)), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.first_id, 11u);
	cr_assert_eq(m.last_id, 15u);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.nbids, 1u);          /* kept in a diff: remove */
	assert_lv(&m.bids[0], 100, 0);
	/* idle: no levels, first_id past last_id (stale at 15, a gap behind it) */
	cr_assert_eq(dec(book_msg(b, sizeof(b), "update", 15, 15, EMPTY)), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.nbids + m.nasks, 0u);
	cr_assert_eq(m.first_id, 16u);
	cr_assert_eq(m.last_id, 15u);
	cr_assert_eq(m.resync, 0);
	/* reset */
	cr_assert_eq(dec(book_msg(b, sizeof(b), "update", 15, 3, LVLS)), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.resync, 1);
	cr_assert_eq(m.last_id, 3u);
	cr_assert_eq(dec(book_msg(b, sizeof(b), "update", 3, 5, LVLS)), 0);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.first_id, 4u);
	cr_assert_eq(m.last_id, 5u);
	/* a gap: the ids say so (20 does not follow 5) */
	cr_assert_eq(dec(book_msg(b, sizeof(b), "update", 20, 25, LVLS)), 0);
	cr_assert_eq(m.first_id, 21u);
	cr_assert_eq(m.resync, 0);
}

Test(vd_okx, seq_refused)
{
	char b[512];

	/* a snapshot chains from nothing */
	assert_refused(dec(book_msg(b, sizeof(b), "snapshot", 7, 10, LVLS)), -VD_E_SHAPE);
	assert_refused(dec(book_msg(b, sizeof(b), "update", -1, 10, LVLS)), -VD_E_SHAPE);
	assert_refused(dec(book_msg(b, sizeof(b), "update", 1, -2, LVLS)), -VD_E_NUMBER);
	assert_refused(dec(book_msg(b, sizeof(b), "resend", 1, 2, LVLS)), -VD_E_SHAPE);
	/* one id without the other */
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			   "\"action\":\"update\",\"data\":[{" LVLS ",\"ts\":\"1\",\"seqId\":3}]}"),
		       -VD_E_SHAPE);
	/* no action on a books channel */
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			   "\"data\":[{" LVLS ",\"ts\":\"1\",\"prevSeqId\":1,\"seqId\":3}]}"),
		       -VD_E_SHAPE);
	/* two elements, none */
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			   "\"action\":\"update\",\"data\":[{" LVLS ",\"ts\":\"1\"},{" LVLS
			   ",\"ts\":\"1\"}]}"), -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			   "\"action\":\"update\",\"data\":[]}"), -VD_E_SHAPE);
	/* checksum outside int32 */
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			   "\"action\":\"update\",\"data\":[{" LVLS ",\"ts\":\"1\","
			   "\"checksum\":2147483648}]}"), -VD_E_NUMBER);
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
			 "\"action\":\"update\",\"data\":[{" LVLS ",\"ts\":\"1\","
			 "\"checksum\":-2147483648}]}"), 0);
	cr_assert_eq(m.checksum, INT32_MIN);
}

Test(vd_okx, reordered_keys)
{
	/* data first, then action, then arg */
	static const char re[] =
		"{\"data\":[{\"seqId\":9,\"prevSeqId\":-1,\"ts\":\"5\",\"checksum\":7,"
		"\"bids\":[[\"3\",\"1\"],[\"2\",\"1\"]],\"asks\":[[\"4\",\"1\",\"0\",\"2\"]]}],"
		"\"action\":\"snapshot\",\"arg\":{\"instId\":\"ETH-USDT\",\"channel\":\"books\"}}";

	cr_assert_eq(dec(re), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.sym, ETH);
	cr_assert_eq(m.last_id, 9u);
	cr_assert_eq(m.checksum, 7);
	cr_assert_eq(m.nbids, 2u);
	assert_lv(&m.bids[1], 200, 10000);
	/* action after data, arg first */
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"data\":[{"
			 LVLS ",\"ts\":\"1\",\"prevSeqId\":4,\"seqId\":6}],\"action\":\"update\"}"), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.first_id, 5u);
	/* spaces everywhere */
	cr_assert_eq(dec(" { \"arg\" : { \"channel\" : \"trades\" , \"instId\" : \"BTC-USDT\" } , "
			 "\"data\" : [ { \"tradeId\" : \"1\" , \"px\" : \"1\" , \"sz\" : \"1\" , "
			 "\"side\" : \"buy\" , \"ts\" : \"1\" } ] } "), 0);
	cr_assert_eq(m.kind, VD_TRADE);
}

/* ---- refusals -------------------------------------------------------------- */

Test(vd_okx, every_prefix_refused)
{
	static const char *const files[] = { "okx-books.jsonl", "okx-bbo-books5.jsonl",
					     "okx-trades.jsonl", "okx-tickers.jsonl",
					     "okx-ws-control.jsonl" };

	for (unsigned f = 0; f < KIMP_ARRAY_SIZE(files); f++)
		for (unsigned i = 0;; i++) {
			char *l = test_fixture_line(files[f], i);
			size_t n;

			if (!l)
				break;
			n = strlen(l);
			for (size_t k = 0; k < n; k++) {
				int r = dec_n(l, k);
				cr_assert_lt(r, 0, "%s:%u prefix %zu decoded", files[f], i + 1, k);
				cr_assert_eq(m.kind, VD_NONE);
			}
			free(l);
		}
}

Test(vd_okx, refusals)
{
#define BK(x) "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"snapshot\"," \
	      "\"data\":[{" x ",\"ts\":\"1\",\"prevSeqId\":-1,\"seqId\":1}]}"
	assert_refused(dec(""), -VD_E_SYNTAX);
	assert_refused(dec("[1]"), -VD_E_TYPE);
	assert_refused(dec("{}"), -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"}}"), -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"candle1m\",\"instId\":\"BTC-USDT\"},\"data\":[]}"),
		       -VD_E_TYPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\"},\"data\":[]}"), -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":[],\"data\":[]}"), -VD_E_SHAPE);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"XRP-USDT\"},\"data\":[]}"),
		       -VD_E_SYMBOL);
	assert_name(m.sym_name, m.sym_name_len, "XRP-USDT");
	/* a broken body after an unknown symbol is counted as broken */
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"XRP-USDT\"},\"data\":[}"),
		       -VD_E_SYNTAX);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC\\u002dUSDT\"},"
			   "\"data\":[]}"), -VD_E_SYMBOL);
	assert_refused(dec(BK("\"asks\":[[\"2\",\"1\"],[\"2\",\"1\"]],\"bids\":[]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":[],\"bids\":[[\"1\",\"1\"],[\"2\",\"1\"]]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":[[\"0\",\"1\"]],\"bids\":[]")), -VD_E_NUMBER);
	assert_refused(dec(BK("\"asks\":[[\"1\",\"-1\"]],\"bids\":[]")), -VD_E_NUMBER);
	assert_refused(dec(BK("\"asks\":[[\"1.001\",\"1\"]],\"bids\":[]")), -VD_E_NUMBER);
	assert_refused(dec(BK("\"asks\":[[\"1\",\"0.000000001\"]],\"bids\":[]")), -VD_E_NUMBER);
	assert_refused(dec(BK("\"asks\":[[\"x\",\"1\"]],\"bids\":[]")), -VD_E_NUMBER);
	assert_refused(dec(BK("\"asks\":[[\"1\"]],\"bids\":[]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":[[\"1\",\"1\",]],\"bids\":[]")), -VD_E_SYNTAX);
	assert_refused(dec(BK("\"asks\":[\"1\"],\"bids\":[]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":{},\"bids\":[]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":[],\"asks\":[],\"bids\":[]")), -VD_E_SHAPE);
	assert_refused(dec(BK("\"asks\":[]")), -VD_E_SHAPE);
	/* junk after the message */
	assert_refused(dec("{\"event\":\"login\"} x"), -VD_E_SYNTAX);
	assert_refused(dec("{\"event\":\"login\",\"event\":\"login\"}"), -VD_E_SHAPE);
	/* 1.5 at scale 2 is fine; a 4-decimal size on ETH (qty 4) too, 5 not */
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"ETH-USDT\"},\"action\":"
			 "\"snapshot\",\"data\":[{\"asks\":[[\"1.5\",\"0.0001\"]],\"bids\":[],"
			 "\"ts\":\"1\"}]}"), 0);
	assert_refused(dec("{\"arg\":{\"channel\":\"books\",\"instId\":\"ETH-USDT\"},\"action\":"
			   "\"snapshot\",\"data\":[{\"asks\":[[\"1.5\",\"0.00001\"]],\"bids\":[],"
			   "\"ts\":\"1\"}]}"), -VD_E_NUMBER);
#undef BK
}

Test(vd_okx, depth_cap)
{
	char *l = line("okx-books.jsonl", 0);   /* 8 levels a side */

	m.cap = 8;
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.nasks, 8u);
	m.cap = 7;
	assert_refused(dec(l), -VD_E_DEPTH);
	m.cap = 0;
	assert_refused(dec(l), -VD_E_DEPTH);
	free(l);
	/* bbo-tbt: one level a side, whatever the caller's cap */
	cr_assert_eq(dec("{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},\"data\":[{"
			 "\"asks\":[],\"bids\":[[\"1\",\"2\"]],\"ts\":\"1\",\"seqId\":4}]}"), 0);
	cr_assert_eq(m.kind, VD_BBO);
	assert_lv(&m.bid, 100, 200000000);
	assert_lv(&m.ask, 0, 0);
	cr_assert_eq(m.last_id, 4u);
	assert_refused(dec("{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},\"data\":[{"
			   "\"asks\":[],\"bids\":[[\"2\",\"2\"],[\"1\",\"2\"]],\"ts\":\"1\"}]}"),
		       -VD_E_DEPTH);
}

/* ---- REST snapshot ----------------------------------------------------------- */

Test(vd_okx, rest_snapshot)
{
	char *l = line("okx-rest.jsonl", 2);

	cr_assert_eq(snap(BTC, l), 0);
	cr_assert_eq(m.kind, VD_SNAPSHOT);
	cr_assert_eq(m.sym, BTC);
	cr_assert_eq(m.last_id, 3235851742u);
	cr_assert_eq(m.first_id, 3235851742u);
	cr_assert_eq(m.nasks, 1u);
	assert_lv(&m.asks[0], 4100680, 60038921);
	assert_lv(&m.bids[0], 4100630, 30178218);
	free(l);
	l = line("okx-rest.jsonl", 3);
	cr_assert_eq(snap(BTC, l), 0);
	cr_assert_eq(m.last_id, 0u);
	cr_assert_eq(m.nbids, 3u);
	assert_lv(&m.bids[2], 2969000, 39370474);
	free(l);
	l = line("okx-rest.jsonl", 1);          /* an order reply */
	assert_refused(snap(BTC, l), -VD_E_SHAPE);
	free(l);
	l = line("okx-rest.jsonl", 0);          /* an order body */
	assert_refused(snap(BTC, l), -VD_E_SHAPE);
	free(l);
	assert_refused(snap(BTC, "{\"code\":\"51001\",\"msg\":\"x\",\"data\":[]}"), -VD_E_TYPE);
	assert_refused(snap(BTC, "{\"code\":\"0\",\"msg\":\"\"}"), -VD_E_SHAPE);
	assert_refused(snap(7, "{}"), -VD_E_SYMBOL);
	assert_refused(snap(BTC, "[]"), -VD_E_TYPE);
	assert_refused(snap(BTC, "{\"code\":\"0\",\"data\":[{\"asks\":[[\"2\",\"1\"],[\"1\",\"1\"]],"
				 "\"bids\":[],\"ts\":\"1\"}]}"), -VD_E_SHAPE);
}

/* ---- checksum ------------------------------------------------------------------ */

/* [["px","sz"],...] after "key":[ in s, at the scales, into out: the count. */
static uint32_t vec_levels(const char *s, const char *key, struct vd_level *out, uint32_t cap,
			   unsigned pd, unsigned qd)
{
	char pat[32], num[64];
	const char *p;
	uint32_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":[", key);
	p = strstr(s, pat);
	cr_assert_not_null(p, "%s", key);
	p += strlen(pat);
	while (*p == '[') {
		const char *e;
		for (unsigned f = 0; f < 2; f++) {
			cr_assert_eq(*++p, '"');
			e = strchr(++p, '"');
			cr_assert_lt((size_t)(e - p), sizeof(num));
			memcpy(num, p, (size_t)(e - p));
			num[e - p] = 0;
			cr_assert_lt(n, cap);
			cr_assert_eq(venue_fixed(num, f ? qd : pd, f ? &out[n].qty : &out[n].px), 0,
				     "%s", num);
			p = e + 1;     /* at ',' or ']' */
		}
		cr_assert_eq(*p, ']');
		n++;
		p++;
		if (*p == ',')
			p++;
	}
	return n;
}

static long long vec_expected(const char *s)
{
	const char *p = strstr(s, "\"expected_checksum\":");

	cr_assert_not_null(p);
	return strtoll(p + 20, NULL, 10);
}

Test(vd_okx, checksum_vectors)
{
	unsigned i;

	for (i = 0;; i++) {
		char *l = test_fixture_line("testvectors-okx-checksum.jsonl", i);
		uint32_t nb, na;

		if (!l)
			break;
		nb = vec_levels(l, "bids", bids, LV, 2, 4);
		na = vec_levels(l, "asks", asks, LV, 2, 4);
		cr_assert_eq(md->book_checksum(bids, nb, asks, na, 2, 4), (int32_t)vec_expected(l),
			     "vector %u", i + 1);
		free(l);
	}
	cr_assert_eq(i, 4u);
}

Test(vd_okx, checksum_depth_and_scale)
{
	char *l = line("testvectors-okx-checksum.jsonl", 0);   /* 26 levels a side */
	uint32_t nb = vec_levels(l, "bids", bids, LV, 2, 4), na = vec_levels(l, "asks", asks, LV, 2, 4);
	int32_t want = (int32_t)vec_expected(l);
	struct vd_level b8[LV], a8[LV];

	cr_assert_eq(nb, 26u);
	/* only 25 a side count: the 26th changes nothing, the 25th does */
	cr_assert_eq(md->book_checksum(bids, 25, asks, 25, 2, 4), want);
	bids[25].qty++;
	cr_assert_eq(md->book_checksum(bids, nb, asks, na, 2, 4), want);
	bids[24].qty++;
	cr_assert_neq(md->book_checksum(bids, nb, asks, na, 2, 4), want);
	bids[24].qty--;
	/* the same book at 8 decimals: the shortest decimal is the same text */
	for (uint32_t i = 0; i < nb; i++)
		b8[i] = (struct vd_level){ bids[i].px * 1000000, bids[i].qty * 10000 };
	for (uint32_t i = 0; i < na; i++)
		a8[i] = (struct vd_level){ asks[i].px * 1000000, asks[i].qty * 10000 };
	cr_assert_eq(md->book_checksum(b8, nb, a8, na, 8, 8), want);
	/* an empty book: CRC-32 of nothing */
	cr_assert_eq(md->book_checksum(bids, 0, asks, 0, 2, 4), 0);
	free(l);
}

/* The decoder side of a checksum check: the message's checksum against the book. */
Test(vd_okx, checksum_mismatch_detected)
{
	static const char msg[] =
		"{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"snapshot\","
		"\"data\":[{\"asks\":[[\"3366.8\",\"9\",\"0\",\"1\"],[\"3368\",\"8\",\"0\",\"1\"]],"
		"\"bids\":[[\"3366.1\",\"7\",\"0\",\"1\"],[\"3366\",\"6\",\"0\",\"1\"]],\"ts\":\"1\","
		"\"checksum\":-1881014294,\"prevSeqId\":-1,\"seqId\":1}]}";
	char *bad = strdup(msg), *p;

	cr_assert_eq(dec(msg), 0);
	cr_assert_eq(m.checksum, -1881014294);
	cr_assert_eq(md->book_checksum(m.bids, m.nbids, m.asks, m.nasks, 2, 8), m.checksum);
	p = strstr(bad, "\"9\"");
	p[1] = '8';
	cr_assert_eq(dec(bad), 0);
	cr_assert_neq(md->book_checksum(m.bids, m.nbids, m.asks, m.nasks, 2, 8), m.checksum);
	free(bad);
}
