/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bybit.c: the venue table, symbols, the subscribe and unsubscribe
 * messages (10 args a part), the REST snapshot target, and the decoders
 * against every line of the Bybit market-data fixtures (exact values at
 * the scales set), reordered keys, every prefix of them, the book-sync
 * fields (u, resync on u == 1, gaps left to feedd), and each way a message
 * is refused.
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
static char *buf;
static const struct venue_md *md = &venue_md_bybit;

enum { BTCUSDT, ETHUSDT };

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BYBIT);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 6, 1), BTCUSDT);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "USDT", 2, 5, 2), ETHUSDT);
	memset(&m, 0x5a, sizeof(m));
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

TestSuite(vd_bybit, .init = setup, .fini = teardown);

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
	memcpy(buf, s, n);
	return md->decode_snapshot(&tab, sym, (const uint8_t *)buf, n, &m);
}

static char *line(const char *file, unsigned n)
{
	char *l = test_fixture_line(file, n);

	cr_assert_not_null(l, "%s line %u", file, n + 1);
	return l;
}

static int dec_line(const char *file, unsigned n)
{
	char *l = line(file, n);
	int r = dec(l);

	free(l);
	return r;
}

static void assert_err(int ret, int want, const char *s)
{
	cr_assert_eq(ret, -want, "%s: %d (%s), want -%s", s, ret, vd_err_name((unsigned)-ret),
		     vd_err_name((unsigned)want));
	cr_assert_eq(m.kind, VD_NONE, "%s", s);
	cr_assert_eq(m.nbids + m.nasks, 0u, "%s", s);
}

static void dec_err(const char *s, int want)
{
	assert_err(dec(s), want, s);
}

static void assert_lv(const struct vd_level *l, int64_t px, int64_t qty)
{
	cr_assert_eq(l->px, px, "px %lld want %lld", (long long)l->px, (long long)px);
	cr_assert_eq(l->qty, qty, "qty %lld want %lld", (long long)l->qty, (long long)qty);
}

/* ---- table, symbols, requests ---------------------------------------------- */

Test(vd_bybit, table_facts)
{
	cr_assert_eq(venue_md_get(KIMP_VENUE_BYBIT), md);
	cr_assert_eq(venue_md_by_name("bybit"), md);
	cr_assert_eq(md->book_mode, VENUE_BOOK_WS);
	cr_assert_str_eq(md->quote, "USDT");
	cr_assert_str_eq(md->ping_text, "{\"op\":\"ping\"}");
	cr_assert_eq(md->ping_every_ns, 20000000000ull);
	cr_assert_not_null(md->ws_unsubscribe);
	cr_assert_null(md->book_checksum);
	cr_assert_eq(md->binary_frames, false);
}

Test(vd_bybit, symbols_and_split)
{
	char out[VENUE_SYM_MAX], b[12], q[12];

	cr_assert_eq(md->symbol("BTC", "USDT", out, sizeof(out)), 7);
	cr_assert_str_eq(out, "BTCUSDT");
	cr_assert_eq(md->symbol("btc", "USDT", out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->symbol("BTC", "", out, sizeof(out)), -EINVAL);
	/* the output boundary: 7 chars need 8 bytes */
	cr_assert_eq(md->symbol("BTC", "USDT", out, 8), 7);
	cr_assert_eq(md->symbol("BTC", "USDT", out, 7), -ENOSPC);
	cr_assert_eq(md->split("ETHUSDT", 7, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "ETH");
	cr_assert_str_eq(q, "USDT");
	cr_assert_eq(md->split("USDT", 4, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("BTCKRW", 6, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(md->split("btcusdt", 7, b, q, sizeof(b)), -EINVAL);
	/* a base of 11 chars fits the table, 12 do not */
	cr_assert_geq(venue_symtab_add(&tab, "ABCDEFGHIJK", "USDT", 2, 2, 9), 0);
	cr_assert_eq(venue_symtab_add(&tab, "ABCDEFGHIJKL", "USDT", 2, 2, 9), -EINVAL);
}

Test(vd_bybit, ws_target_path_and_args_budget)
{
	struct venue_sub sub = { .book = true, .trades = true };
	uint32_t syms[] = { BTCUSDT, ETHUSDT };
	char out[64];

	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, sizeof(out)), 15);
	cr_assert_str_eq(out, "/v5/public/spot");
	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, 16), 15);
	cr_assert_eq(md->ws_target(&tab, syms, 2, &sub, out, 15), -ENOSPC);
	cr_assert_eq(md->ws_target(&tab, syms, 0, &sub, out, sizeof(out)), -EINVAL);
	uint32_t bad = 7;
	cr_assert_eq(md->ws_target(&tab, &bad, 1, &sub, out, sizeof(out)), -EINVAL);
	struct venue_sub none = { 0 };
	cr_assert_eq(md->ws_target(&tab, syms, 1, &none, out, sizeof(out)), -EINVAL);
	struct venue_sub odd = { .book = true, .depth = 25 };
	cr_assert_eq(md->ws_target(&tab, syms, 1, &odd, out, sizeof(out)), -EINVAL);

	/* 21,000 chars of args a connection: "orderbook.50.BTCUSDT" is 20 + 3 */
	static uint32_t many[1000];
	for (unsigned i = 0; i < 1000; i++)
		many[i] = BTCUSDT;
	struct venue_sub b = { .book = true };
	cr_assert_eq(md->ws_target(&tab, many, 913, &b, out, sizeof(out)), 15);  /* 20999 */
	cr_assert_eq(md->ws_target(&tab, many, 914, &b, out, sizeof(out)), -E2BIG);
}

Test(vd_bybit, subscribe_parts_of_ten)
{
	struct venue_sub sub = { .book = true, .bbo = true, .trades = true, .ticker = true };
	uint32_t syms[] = { BTCUSDT, ETHUSDT, BTCUSDT };
	char out[1024];

	cr_assert_eq(md->ws_subscribe(&tab, syms, 2, &sub, 7, 0, out, sizeof(out)),
		     (int)strlen("{\"req_id\":\"7\",\"op\":\"subscribe\",\"args\":["
				 "\"orderbook.50.BTCUSDT\",\"orderbook.1.BTCUSDT\","
				 "\"publicTrade.BTCUSDT\",\"tickers.BTCUSDT\","
				 "\"orderbook.50.ETHUSDT\",\"orderbook.1.ETHUSDT\","
				 "\"publicTrade.ETHUSDT\",\"tickers.ETHUSDT\"]}"));
	cr_assert_str_eq(out, "{\"req_id\":\"7\",\"op\":\"subscribe\",\"args\":["
			      "\"orderbook.50.BTCUSDT\",\"orderbook.1.BTCUSDT\","
			      "\"publicTrade.BTCUSDT\",\"tickers.BTCUSDT\","
			      "\"orderbook.50.ETHUSDT\",\"orderbook.1.ETHUSDT\","
			      "\"publicTrade.ETHUSDT\",\"tickers.ETHUSDT\"]}");
	cr_assert_eq(md->ws_subscribe(&tab, syms, 2, &sub, 7, 1, out, sizeof(out)), 0);
	/* 12 args: 10 then 2 */
	cr_assert_gt(md->ws_subscribe(&tab, syms, 3, &sub, 8, 0, out, sizeof(out)), 0);
	unsigned commas = 0;
	for (char *p = out; *p; p++)
		commas += *p == ',';
	cr_assert_eq(commas, 2 + 9, "%s", out);
	cr_assert_gt(md->ws_subscribe(&tab, syms, 3, &sub, 9, 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"req_id\":\"9\",\"op\":\"subscribe\",\"args\":["
			      "\"publicTrade.BTCUSDT\",\"tickers.BTCUSDT\"]}");
	cr_assert_eq(md->ws_subscribe(&tab, syms, 3, &sub, 9, 2, out, sizeof(out)), 0);
	/* exactly 10 args: one part */
	struct venue_sub two = { .book = true, .trades = true };
	uint32_t five[] = { 0, 1, 0, 1, 0 };
	cr_assert_gt(md->ws_subscribe(&tab, five, 5, &two, 1, 0, out, sizeof(out)), 0);
	cr_assert_eq(md->ws_subscribe(&tab, five, 5, &two, 1, 1, out, sizeof(out)), 0);
	/* depth choices */
	struct venue_sub d200 = { .book = true, .depth = 200 };
	cr_assert_gt(md->ws_subscribe(&tab, syms, 1, &d200, 1, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"req_id\":\"1\",\"op\":\"subscribe\",\"args\":[\"orderbook.200.BTCUSDT\"]}");
	/* capacity boundary */
	int n = md->ws_subscribe(&tab, syms, 1, &d200, 1, 0, out, sizeof(out));
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &d200, 1, 0, out, (size_t)n + 1), n);
	cr_assert_eq(md->ws_subscribe(&tab, syms, 1, &d200, 1, 0, out, (size_t)n), -ENOSPC);
	cr_assert_eq(md->ws_subscribe(&tab, syms, 0, &d200, 1, 0, out, sizeof(out)), -EINVAL);
}

Test(vd_bybit, unsubscribe_book_only)
{
	struct venue_sub sub = { .book = true, .trades = true, .ticker = true };
	uint32_t syms[] = { ETHUSDT };
	char out[256];

	cr_assert_gt(md->ws_unsubscribe(&tab, syms, 1, &sub, 3, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"req_id\":\"3\",\"op\":\"unsubscribe\",\"args\":[\"orderbook.50.ETHUSDT\"]}");
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 1, &sub, 3, 1, out, sizeof(out)), 0);
	struct venue_sub nobook = { .trades = true };
	cr_assert_eq(md->ws_unsubscribe(&tab, syms, 1, &nobook, 3, 0, out, sizeof(out)), -EINVAL);
}

Test(vd_bybit, snapshot_target)
{
	char out[128];

	cr_assert_gt(md->snapshot_target(&tab, ETHUSDT, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/v5/market/orderbook?category=spot&symbol=ETHUSDT&limit=50");
	cr_assert_gt(md->snapshot_target(&tab, BTCUSDT, 1000, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1000");
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 1001, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, 2, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(md->snapshot_target(&tab, BTCUSDT, 1, out, 10), -ENOSPC);
}

Test(vd_bybit, inst_rules)
{
	struct venue_inst_rules r;

	cr_assert_eq(md->inst_rules("BTC", "USDT", 2, 6, &r), 0);
	cr_assert_eq(r.tick, 10);
	cr_assert_eq(r.step, 1);
	cr_assert_eq(r.min_qty, 11);
	cr_assert_eq(r.min_notional, 500);
	cr_assert_eq(md->inst_rules("BTC", "USDT", 0, 6, &r), -ERANGE);   /* tick 0.1 at 0 dp */
	cr_assert_eq(md->inst_rules("BTC", "USDT", 2, 5, &r), -ERANGE);
	cr_assert_eq(md->inst_rules("ETH", "USDT", 2, 5, &r), -ENOENT);
	cr_assert_eq(r.min_notional, 500);
	cr_assert_eq(md->inst_rules("BTC", "KRW", 0, 8, &r), -ENOENT);
}

/* ---- the fixtures --------------------------------------------------------------- */

Test(vd_bybit, orderbook_fixture_snapshot_then_delta)
{
	/* line 2: the real spot snapshot u=2876700, 50 levels a side */
	cr_assert_eq(dec_line("bybit-orderbook.jsonl", 1), 0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.snapshot, 1);
	cr_assert_eq(m.venue, KIMP_VENUE_BYBIT);
	cr_assert_eq(m.sym, BTCUSDT);
	cr_assert_eq(m.first_id, 2876700u);
	cr_assert_eq(m.last_id, 2876700u);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.nbids, 50u);
	cr_assert_eq(m.nasks, 50u);
	assert_lv(&m.bids[0], 7584874, 67669);
	assert_lv(&m.bids[49], 7583713, 152844);
	assert_lv(&m.asks[0], 7584875, 747137);
	assert_lv(&m.asks[49], 7586481, 2018);
	cr_assert_eq(m.venue_ts_ns, 1731035685323ll * 1000000);    /* cts */
	/* line 3: its delta u=2876701: continues (first <= local + 1 <= last) */
	cr_assert_eq(dec_line("bybit-orderbook.jsonl", 2), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.snapshot, 0);
	cr_assert_eq(m.first_id, 2876701u);
	cr_assert_eq(m.last_id, 2876701u);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.nbids, 2u);
	cr_assert_eq(m.nasks, 5u);
	assert_lv(&m.bids[0], 7584862, 14895);
	assert_lv(&m.bids[1], 7583713, 0);          /* removal kept */
	assert_lv(&m.asks[2], 7585265, 0);
	assert_lv(&m.asks[4], 7585774, 49778);
}

Test(vd_bybit, orderbook_fixture_doc_delta_type_first)
{
	/* line 1: the doc's delta with type before ts, 3-decimal sizes */
	cr_assert_eq(dec_line("bybit-orderbook.jsonl", 0), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.last_id, 177400507u);
	cr_assert_eq(m.nbids, 5u);
	cr_assert_eq(m.nasks, 7u);
	assert_lv(&m.bids[0], 3024720, 30028000);
	assert_lv(&m.bids[4], 3024000, 0);
	assert_lv(&m.asks[6], 3025250, 4591000);
}

Test(vd_bybit, orderbook1_is_bbo_and_its_old_delta_refused)
{
	cr_assert_eq(dec_line("bybit-orderbook.jsonl", 3), 0);
	cr_assert_eq(m.kind, VD_BBO);
	/* orderbook.1's u (943951) is its own: not comparable with the depth book's */
	cr_assert_eq(m.last_id, 0u);
	assert_lv(&m.bid, 10628580, 794865);
	assert_lv(&m.ask, 10628590, 1269905);
	cr_assert_eq(m.nbids + m.nasks, 0u);
	/* line 5: a level-1 delta (2023): never patches the depth-50 book */
	assert_err(dec_line("bybit-orderbook.jsonl", 4), VD_E_TYPE, "ob1 delta");
	/* line 6, when present: orderbook.full delta */
	char *l = test_fixture_line("bybit-orderbook.jsonl", 5);
	if (l) {
		cr_assert_eq(dec(l), 0);
		cr_assert_eq(m.kind, VD_DIFF);
		free(l);
	}
}

Test(vd_bybit, public_trade_fixtures)
{
	/* line 1: doc (linear example, uuid id): no exact id */
	cr_assert_eq(dec_line("bybit-publicTrade.jsonl", 0), 0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.px, 1657850);
	cr_assert_eq(m.qty, 1000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_BUY);
	cr_assert_eq(m.trade_id, 0u);
	cr_assert_eq(m.trade_ts_ns, 1672304486865ll * 1000000);
	cr_assert_eq(m.venue_ts_ns, 1672304486868ll * 1000000);
	/* line 2: real spot, id above 2^53 exact, sizes at 6 dp */
	cr_assert_eq(dec_line("bybit-publicTrade.jsonl", 1), 0);
	cr_assert_eq(m.kind, VD_TRADE);
	cr_assert_eq(m.sym, BTCUSDT);
	cr_assert_eq(m.px, 11544070);
	cr_assert_eq(m.qty, 9030);
	cr_assert_eq(m.trade_id, 2290000000923750370ull);
	cr_assert_eq(m.trade_ts_ns, 1761583474343ll * 1000000);
}

Test(vd_bybit, trades_several_keep_the_last)
{
	cr_assert_eq(dec("{\"topic\":\"publicTrade.ETHUSDT\",\"ts\":5,\"type\":\"snapshot\",\"data\":["
			 "{\"i\":\"1\",\"T\":3,\"p\":\"2000.5\",\"v\":\"0.1\",\"S\":\"Buy\",\"s\":\"ETHUSDT\"},"
			 "{\"i\":\"2\",\"T\":4,\"p\":\"2000.4\",\"v\":\"0.2\",\"S\":\"Sell\",\"s\":\"ETHUSDT\"}]}"),
		     0);
	cr_assert_eq(m.sym, ETHUSDT);
	cr_assert_eq(m.trade_id, 2u);
	cr_assert_eq(m.px, 200040);
	cr_assert_eq(m.qty, 20000);
	cr_assert_eq(m.aggressor, KIMP_SIDE_SELL);
	dec_err("{\"topic\":\"publicTrade.ETHUSDT\",\"ts\":5,\"data\":[]}", VD_E_SHAPE);
	dec_err("{\"topic\":\"publicTrade.ETHUSDT\",\"ts\":5,\"data\":[{\"T\":3,\"p\":\"1\",\"v\":\"1\",\"S\":\"Up\"}]}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"publicTrade.ETHUSDT\",\"ts\":5,\"data\":[{\"T\":3,\"p\":\"1\",\"v\":\"1\",\"S\":\"Buy\",\"s\":\"BTCUSDT\"}]}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"publicTrade.ETHUSDT\",\"ts\":5,\"data\":[{\"T\":3,\"p\":\"1\",\"S\":\"Buy\"}]}",
		VD_E_SHAPE);
}

Test(vd_bybit, ticker)
{
	cr_assert_eq(dec("{\"topic\":\"tickers.BTCUSDT\",\"ts\":1673853746003,\"type\":\"snapshot\",\"cs\":2588407389,"
			 "\"data\":{\"symbol\":\"BTCUSDT\",\"lastPrice\":\"21109.77\",\"highPrice24h\":\"21426.99\","
			 "\"volume24h\":\"6780.866843\",\"usdIndexPrice\":\"21120.2400136\"}}"),
		     0);
	cr_assert_eq(m.kind, VD_TICKER);
	cr_assert_eq(m.px, 2110977);
	cr_assert_eq(m.bid.px + m.ask.px, 0);
	cr_assert_eq(m.venue_ts_ns, 1673853746003ll * 1000000);
	dec_err("{\"topic\":\"tickers.BTCUSDT\",\"ts\":1,\"data\":{\"symbol\":\"BTCUSDT\"}}", VD_E_SHAPE);
}

Test(vd_bybit, control_fixtures)
{
	/* requests (ours): 1, 7, 8, 9, 13 */
	static const unsigned req[] = { 0, 6, 7, 8, 12 };
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(req); i++)
		assert_err(dec_line("bybit-ws-control.jsonl", req[i]), VD_E_TYPE, "request");
	static const unsigned ctl[] = { 1, 2, 3, 4, 5, 9, 10, 11, 13 };
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(ctl); i++) {
		cr_assert_eq(dec_line("bybit-ws-control.jsonl", ctl[i]), 0, "line %u", ctl[i] + 1);
		cr_assert_eq(m.kind, VD_CONTROL, "line %u", ctl[i] + 1);
	}
	cr_assert_eq(dec_line("bybit-ws-control.jsonl", 10), 0);
	cr_assert_eq(m.req_id, 10001u);
	cr_assert_null(test_fixture_line("bybit-ws-control.jsonl", 14));
}

Test(vd_bybit, venue_error_reply)
{
	cr_assert_eq(dec("{\"success\":false,\"ret_msg\":\"error:handler not found\",\"conn_id\":\"x\","
			 "\"req_id\":\"12\",\"op\":\"subscribe\"}"),
		     0);
	cr_assert_eq(m.kind, VD_VENUE_ERROR);
	cr_assert_eq(m.req_id, 12u);
	cr_assert_eq(m.err_name_len, strlen("error:handler not found"));
	cr_assert_eq(memcmp(m.err_name, "error:handler not found", m.err_name_len), 0);
}

/* ---- book sync fields ----------------------------------------------------------- */

Test(vd_bybit, delta_u1_sets_resync_snapshot_u1_does_not)
{
	cr_assert_eq(dec("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
			 "{\"s\":\"BTCUSDT\",\"b\":[],\"a\":[[\"1.5\",\"2\"]],\"u\":1,\"seq\":9}}"),
		     0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.resync, 1);
	cr_assert_eq(m.first_id, 1u);
	cr_assert_eq(dec("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
			 "{\"s\":\"BTCUSDT\",\"b\":[],\"a\":[],\"u\":2,\"seq\":9}}"),
		     0);
	cr_assert_eq(m.resync, 0);
	/* a snapshot with u = 1 (service restart) overwrites: it is a book, no flag */
	cr_assert_eq(dec("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"snapshot\",\"data\":"
			 "{\"s\":\"BTCUSDT\",\"b\":[[\"2\",\"1\"]],\"a\":[[\"3\",\"1\"]],\"u\":1,\"seq\":9}}"),
		     0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.resync, 0);
	cr_assert_eq(m.last_id, 1u);
}

Test(vd_bybit, gaps_and_out_of_order_are_reported_as_given)
{
	/* the decoder reports u as is; feedd's rule decides (gap: 10 after 7; stale: 5) */
	static const unsigned us[] = { 7, 10, 5 };
	for (unsigned i = 0; i < 3; i++) {
		char s[256];
		snprintf(s, sizeof(s),
			 "{\"topic\":\"orderbook.200.ETHUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
			 "{\"s\":\"ETHUSDT\",\"b\":[[\"10\",\"0\"]],\"a\":[],\"u\":%u,\"seq\":1}}",
			 us[i]);
		cr_assert_eq(dec(s), 0);
		cr_assert_eq(m.first_id, us[i]);
		cr_assert_eq(m.last_id, us[i]);
		cr_assert_eq(m.sym, ETHUSDT);
	}
}

Test(vd_bybit, reordered_keys_data_before_topic)
{
	cr_assert_eq(dec("{\"data\":{\"u\":5,\"a\":[[\"3\",\"1\"]],\"b\":[[\"2\",\"1\"],[\"1\",\"0\"]],"
			 "\"s\":\"BTCUSDT\",\"seq\":1},\"cts\":7,\"type\":\"snapshot\",\"ts\":6,"
			 "\"topic\":\"orderbook.1000.BTCUSDT\"}"),
		     0);
	cr_assert_eq(m.kind, VD_BOOK);
	cr_assert_eq(m.nbids, 1u);      /* the empty level dropped */
	cr_assert_eq(m.nasks, 1u);
	cr_assert_eq(m.venue_ts_ns, 7000000);
	cr_assert_eq(m.last_id, 5u);
}

Test(vd_bybit, snapshot_order_checked)
{
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"snapshot\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"1\",\"1\"],[\"2\",\"1\"]],\"a\":[],\"u\":1}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"snapshot\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[],\"a\":[[\"2\",\"1\"],[\"2\",\"1\"]],\"u\":1}}",
		VD_E_SHAPE);
}

Test(vd_bybit, depth_cap_boundary)
{
	char *l = line("bybit-orderbook.jsonl", 1);

	m.cap = 50;
	cr_assert_eq(dec(l), 0);
	cr_assert_eq(m.nbids, 50u);
	m.cap = 49;
	assert_err(dec(l), VD_E_DEPTH, "cap 49");
	m.cap = 0;
	assert_err(dec(l), VD_E_DEPTH, "cap 0");
	/* a BBO needs no caller storage */
	cr_assert_eq(dec_line("bybit-orderbook.jsonl", 3), 0);
	free(l);
}

Test(vd_bybit, number_scale_boundary)
{
	/* sizes at 6 dp: 0.000001 is fine, 0.0000001 finer than the scale */
	cr_assert_eq(dec("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
			 "{\"s\":\"BTCUSDT\",\"b\":[[\"1.01\",\"0.000001\"]],\"a\":[],\"u\":3}}"),
		     0);
	assert_lv(&m.bids[0], 101, 1);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"1.01\",\"0.0000001\"]],\"a\":[],\"u\":3}}",
		VD_E_NUMBER);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"1.011\",\"1\"]],\"a\":[],\"u\":3}}",
		VD_E_NUMBER);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"0\",\"1\"]],\"a\":[],\"u\":3}}",
		VD_E_NUMBER);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"1\",\"-1\"]],\"a\":[],\"u\":3}}",
		VD_E_NUMBER);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":"
		"{\"s\":\"BTCUSDT\",\"b\":[[\"1\",\"abc\"]],\"a\":[],\"u\":3}}",
		VD_E_NUMBER);
}

Test(vd_bybit, refusals)
{
	dec_err("", VD_E_SYNTAX);
	dec_err("[]", VD_E_TYPE);
	dec_err("{}", VD_E_TYPE);
	dec_err("{\"topic\":\"orderbook.50.DOGEUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"b\":[],\"a\":[],\"u\":1}}",
		VD_E_SYMBOL);
	cr_assert_eq(m.sym_name_len, 8u);
	cr_assert_eq(memcmp(m.sym_name, "DOGEUSDT", 8), 0);
	dec_err("{\"topic\":\"kline.1.BTCUSDT\",\"ts\":1,\"data\":[]}", VD_E_TYPE);
	dec_err("{\"topic\":\"orderbook.25.BTCUSDT\",\"ts\":1,\"data\":{}}", VD_E_TYPE);
	dec_err("{\"topic\":\"orderbook.50.\",\"data\":{}}", VD_E_TYPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"partial\",\"data\":{\"b\":[],\"a\":[],\"u\":1}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\"}", VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"b\":[],\"a\":[]}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"b\":[],\"a\":[],\"u\":1,\"u\":2}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"topic\":\"x\"}", VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"s\":\"ETHUSDT\",\"b\":[],\"a\":[],\"u\":1}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"b\":[[\"1\"]],\"a\":[],\"u\":1}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":1,\"type\":\"delta\",\"data\":{\"b\":{},\"a\":[],\"u\":1}}",
		VD_E_SHAPE);
	dec_err("{\"topic\":\"orderbook.50.BTCUSDT\",\"ts\":-1,\"type\":\"delta\",\"data\":{\"b\":[],\"a\":[],\"u\":1}}",
		VD_E_NUMBER);
	dec_err("{\"data\":{},\"ts\":1}", VD_E_TYPE);
	dec_err("{\"op\":\"pong\"", VD_E_SYNTAX);
	/* an unknown topic with broken JSON after it is still a syntax error */
	dec_err("{\"topic\":\"kline.1.BTCUSDT\",\"data\":[}", VD_E_SYNTAX);
	dec_err("{\"op\":\"pong\"} x", VD_E_SYNTAX);
}

Test(vd_bybit, every_prefix_of_every_line_is_refused_safely)
{
	static const char *const files[] = { "bybit-orderbook.jsonl", "bybit-publicTrade.jsonl",
					     "bybit-ws-control.jsonl" };
	for (unsigned f = 0; f < KIMP_ARRAY_SIZE(files); f++) {
		for (unsigned i = 0;; i++) {
			char *l = test_fixture_line(files[f], i);
			if (!l)
				break;
			size_t n = strlen(l);
			for (size_t k = 0; k < n; k++) {
				int r = dec_n(l, k);
				cr_assert_lt(r, 0, "%s:%u prefix %zu", files[f], i + 1, k);
				cr_assert_eq(m.kind, VD_NONE);
			}
			free(l);
		}
	}
}

/* ---- the REST snapshot ---------------------------------------------------------- */

Test(vd_bybit, rest_snapshot_fixture)
{
	char *l = line("bybit-rest.jsonl", 1);

	cr_assert_eq(snap(BTCUSDT, l), 0);
	cr_assert_eq(m.kind, VD_SNAPSHOT);
	cr_assert_eq(m.sym, BTCUSDT);
	cr_assert_eq(m.last_id, 230704u);
	cr_assert_eq(m.first_id, 230704u);
	cr_assert_eq(m.nbids, 1u);
	cr_assert_eq(m.nasks, 1u);
	assert_lv(&m.asks[0], 6555770, 16606555);
	assert_lv(&m.bids[0], 6548547, 47081829);
	cr_assert_eq(m.venue_ts_ns, 1716863718905ll * 1000000);
	/* prefixes */
	size_t n = strlen(l);
	for (size_t k = 0; k < n; k++) {
		free(buf);
		buf = malloc(k ? k : 1);
		memcpy(buf, l, k);
		cr_assert_lt(md->decode_snapshot(&tab, BTCUSDT, (const uint8_t *)buf, k, &m), 0);
		cr_assert_eq(m.kind, VD_NONE);
	}
	free(l);
}

Test(vd_bybit, rest_snapshot_refusals)
{
	assert_err(snap(5, "{}"), VD_E_SYMBOL, "sym");
	assert_err(snap(BTCUSDT, "{\"retCode\":10001,\"retMsg\":\"bad\",\"result\":{}}"), VD_E_TYPE,
		   "retCode");
	assert_err(snap(BTCUSDT, "{\"retCode\":0,\"retMsg\":\"OK\"}"), VD_E_SHAPE, "no result");
	assert_err(snap(BTCUSDT, "{\"retCode\":0,\"result\":{\"b\":[],\"a\":[]}}"), VD_E_SHAPE, "no u");
	assert_err(snap(BTCUSDT, "{\"retCode\":0,\"result\":[]}"), VD_E_SHAPE, "array");
	assert_err(snap(BTCUSDT, "{\"retCode\":\"0\",\"result\":{}}"), VD_E_SHAPE, "code string");
	assert_err(snap(BTCUSDT, "[1]"), VD_E_TYPE, "not an object");
	/* result before retCode works */
	cr_assert_eq(snap(BTCUSDT, "{\"result\":{\"s\":\"BTCUSDT\",\"b\":[[\"2\",\"1\"]],\"a\":[],\"u\":4},\"retCode\":0}"), 0);
	cr_assert_eq(m.last_id, 4u);
}
