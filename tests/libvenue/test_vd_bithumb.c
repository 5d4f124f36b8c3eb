/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bithumb.c: the venue table, symbols, the request array, the
 * decoder (Upbit's, with Bithumb's flavour) against every Bithumb fixture
 * line, the microsecond / millisecond orderbook timestamps at their
 * boundary, errors, depth and scale limits, truncation at every byte, and
 * the KRW tick table (which differs from Upbit's below 100 KRW).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "../testutil.h"

#define CAP 64

static struct venue_symtab tab;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BITHUMB);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 0, 4, 101), 0);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "KRW", 0, 4, 102), 1);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 2, 4, 103), 2);
}

TestSuite(vd_bithumb, .init = setup);

struct dm {
	struct vd_msg m;
	struct vd_level b[CAP], a[CAP];
	char *buf;
};

/* Decode s[0..n) from an exact-size copy with capacity cap. */
static int dec_n(struct dm *d, const char *s, size_t n, uint32_t cap)
{
	int err;

	free(d->buf);
	d->buf = malloc(n ? n : 1);
	cr_assert_not_null(d->buf);
	memcpy(d->buf, s, n);
	memset(&d->m, 0x5a, sizeof(d->m));
	d->m.bids = d->b;
	d->m.asks = d->a;
	d->m.cap = cap;
	err = venue_md_bithumb.decode(&tab, (const uint8_t *)d->buf, n, &d->m);
	if (err)
		cr_assert_eq(d->m.kind, VD_NONE);
	else
		cr_assert_eq(d->m.venue, KIMP_VENUE_BITHUMB);
	return err;
}

static int dec(struct dm *d, const char *s)
{
	return dec_n(d, s, strlen(s), CAP);
}

static void dm_free(struct dm *d)
{
	free(d->buf);
	d->buf = NULL;
}

static bool slice_is(const char *p, uint32_t n, const char *s)
{
	return p && n == strlen(s) && !memcmp(p, s, n);
}

/* ---- the table ------------------------------------------------------------ */

Test(vd_bithumb, table_holds_bithumbs_facts)
{
	const struct venue_md *v = &venue_md_bithumb;

	cr_assert_eq(venue_md_get(KIMP_VENUE_BITHUMB), v);
	cr_assert_eq(venue_md_by_name("bithumb"), v);
	cr_assert_eq(v->venue, KIMP_VENUE_BITHUMB);
	cr_assert_str_eq(v->ws_url, "wss://ws-api.bithumb.com");
	cr_assert_str_eq(v->rest_url, "https://api.bithumb.com");
	cr_assert_str_eq(v->quote, "KRW");
	cr_assert_eq(v->book_mode, VENUE_BOOK_FULL);
	cr_assert(v->binary_frames);
	cr_assert_str_eq(v->ping_text, "PING");
	cr_assert(v->ping_every_ns > 0 && v->ping_every_ns <= 30000000000ull);
	cr_assert_str_eq(v->taker_fee, "0.0025");
	cr_assert_str_eq(v->maker_fee, "0.0025");
	cr_assert_null(v->decode_snapshot);
	cr_assert_null(v->ws_unsubscribe);
	cr_assert_null(v->book_checksum);
}

Test(vd_bithumb, symbol_split_and_target)
{
	char out[VENUE_SYM_MAX], b[12], q[12];

	cr_assert_eq(venue_md_bithumb.symbol("BTC", "KRW", out, sizeof(out)), 7);
	cr_assert_str_eq(out, "KRW-BTC");
	cr_assert_eq(venue_md_bithumb.symbol("BTC", "KRW", out, 8), 7);      /* boundary */
	cr_assert_eq(venue_md_bithumb.symbol("BTC", "KRW", out, 7), -ENOSPC);
	cr_assert_eq(venue_md_bithumb.symbol("btc", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_bithumb.split("KRW-USDT", 8, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "USDT");
	cr_assert_str_eq(q, "KRW");
	cr_assert_eq(venue_md_bithumb.split("KRWUSDT", 7, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(venue_md_bithumb.ws_target(&tab, NULL, 0, NULL, out, sizeof(out)), 13);
	cr_assert_str_eq(out, "/websocket/v1");
	cr_assert_eq(venue_md_bithumb.snapshot_target(&tab, 0, 15, out, sizeof(out)), -ENOTSUP);
}

Test(vd_bithumb, subscribe_is_one_request_array)
{
	uint32_t syms[] = { 0, 2 };
	struct venue_sub sub = { .book = true, .trades = true, .ticker = true, .depth = 15 };
	char out[512];
	int n;

	n = venue_md_bithumb.ws_subscribe(&tab, syms, 2, &sub, 7, 0, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_str_eq(out,
			 "[{\"ticket\":\"kimp-7\"},{\"type\":\"orderbook\",\"codes\":"
			 "[\"KRW-BTC.15\",\"KRW-USDT.15\"]},{\"type\":\"trade\",\"codes\":"
			 "[\"KRW-BTC\",\"KRW-USDT\"]},{\"type\":\"ticker\",\"codes\":"
			 "[\"KRW-BTC\",\"KRW-USDT\"]},{\"format\":\"DEFAULT\"}]");
	cr_assert_eq(n, (int)strlen(out));
	/* no snake_case flags (silently ignored by Bithumb) and no second part */
	cr_assert_null(strstr(out, "is_only"));
	cr_assert_eq(venue_md_bithumb.ws_subscribe(&tab, syms, 2, &sub, 7, 1, out, sizeof(out)),
		     0);
	cr_assert_eq(venue_md_bithumb.ws_subscribe(&tab, syms, 2, &sub, 7, 0, out, (size_t)n),
		     -ENOSPC);
	cr_assert_eq(venue_md_bithumb.ws_subscribe(&tab, syms, 2, &sub, 7, 0, out,
						   (size_t)n + 1), n);
}

/* ---- fixtures ------------------------------------------------------------- */

static unsigned lines_of(const char *file)
{
	unsigned n = 0;
	char *l;

	while ((l = test_fixture_line(file, n))) {
		free(l);
		n++;
	}
	return n;
}

Test(vd_bithumb, orderbook_fixture_lines)
{
	struct dm d = { 0 };
	unsigned n = lines_of("bithumb-orderbook.jsonl");

	cr_assert_geq(n, 4);
	for (unsigned i = 0; i < n; i++) {
		char *l = test_fixture_line("bithumb-orderbook.jsonl", i);

		cr_assert_eq(dec(&d, l), 0, "line %u", i);
		cr_assert_eq(d.m.kind, VD_BOOK);
		cr_assert_neq(d.m.sym, VENUE_SYM_NONE);
		/* every book time in ms or us lands in 2024..2027 */
		cr_assert(d.m.venue_ts_ns > 1700000000000000000ll &&
			  d.m.venue_ts_ns < 1830000000000000000ll, "line %u", i);
		free(l);
	}
	/* (1) the official 15-level example, ms timestamp */
	char *l = test_fixture_line("bithumb-orderbook.jsonl", 0);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.sym, 0);
	cr_assert_eq(d.m.nasks, 15);
	cr_assert_eq(d.m.nbids, 15);
	cr_assert_eq(d.m.asks[0].px, 478800);
	cr_assert_eq(d.m.asks[0].qty, 43478);
	cr_assert_eq(d.m.bids[0].px, 478300);
	cr_assert_eq(d.m.bids[0].qty, 56370);
	cr_assert_eq(d.m.asks[14].px, 497900);
	cr_assert_eq(d.m.bids[14].px, 469000);
	cr_assert_eq(d.m.venue_ts_ns, 1725930007672ll * 1000000);
	cr_assert_eq(d.m.snapshot, 0);
	free(l);
	/* (2) a probe SNAPSHOT, microseconds */
	l = test_fixture_line("bithumb-orderbook.jsonl", 1);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.sym, 1);
	cr_assert_eq(d.m.snapshot, 1);
	cr_assert_eq(d.m.venue_ts_ns, 1790133505546514ll * 1000);
	cr_assert_eq(d.m.bids[0].qty, 30120);
	free(l);
	/* (4) a live level with size 0 is dropped */
	l = test_fixture_line("bithumb-orderbook.jsonl", 3);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.nasks, 2);
	cr_assert_eq(d.m.nbids, 3);
	cr_assert_eq(d.m.asks[1].px, 116209000);
	cr_assert_eq(d.m.asks[1].qty, 1);
	free(l);
	dm_free(&d);
}

Test(vd_bithumb, trade_fixture_lines)
{
	struct dm d = { 0 };
	char *l = test_fixture_line("bithumb-trade.jsonl", 0);

	cr_assert_eq(lines_of("bithumb-trade.jsonl"), 2);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_TRADE);
	cr_assert_eq(d.m.px, 489700);
	cr_assert_eq(d.m.qty, 14825);
	cr_assert_eq(d.m.aggressor, KIMP_SIDE_BUY);
	cr_assert_eq(d.m.trade_id, 17259299343730000ull);
	/* trade_time 09:58:54 is KST: the time comes from trade_timestamp */
	cr_assert_eq(d.m.trade_ts_ns, 1725929934373ll * 1000000);
	cr_assert_eq(d.m.venue_ts_ns, 1725929934483ll * 1000000);
	cr_assert_eq(d.m.bid.px, 0);
	free(l);
	l = test_fixture_line("bithumb-trade.jsonl", 1);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.trade_id, 1079953210371761700ull);   /* above 2^53, exact */
	cr_assert_eq(d.m.px, 116208000);
	cr_assert_eq(d.m.qty, 9);
	free(l);
	dm_free(&d);
}

Test(vd_bithumb, ticker_fixture_lines)
{
	struct dm d = { 0 };
	char *l = test_fixture_line("bithumb-ticker.jsonl", 0);

	cr_assert_eq(lines_of("bithumb-ticker.jsonl"), 2);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_TICKER);
	cr_assert_eq(d.m.px, 493100);
	cr_assert_eq(d.m.trade_ts_ns, 1725927377820ll * 1000000);
	cr_assert_eq(d.m.venue_ts_ns, 1725927377931ll * 1000000);
	free(l);
	l = test_fixture_line("bithumb-ticker.jsonl", 1);    /* delisting_date "" */
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_TICKER);
	cr_assert_eq(d.m.px, 116208000);
	free(l);
	dm_free(&d);
}

Test(vd_bithumb, control_error_and_legacy_lines)
{
	static const char *const names[] = { "NO_TICKET", "INVALID_PARAM", "WRONG_FORMAT",
					     "order_not_found" };
	struct dm d = { 0 };
	char *l;

	/* the requests we send are not messages we receive; UP is control */
	for (unsigned i = 0; i < 2; i++) {
		l = test_fixture_line("bithumb-ws-control.jsonl", i);
		cr_assert_lt(dec(&d, l), 0);
		free(l);
	}
	l = test_fixture_line("bithumb-ws-control.jsonl", 2);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_CONTROL);
	free(l);
	cr_assert_eq(lines_of("bithumb-errors.jsonl"), 5);
	for (unsigned i = 0; i < 4; i++) {
		l = test_fixture_line("bithumb-errors.jsonl", i);
		cr_assert_eq(dec(&d, l), 0);
		cr_assert_eq(d.m.kind, VD_VENUE_ERROR);
		cr_assert(slice_is(d.m.err_name, d.m.err_name_len, names[i]), "line %u", i);
		free(l);
	}
	l = test_fixture_line("bithumb-errors.jsonl", 4);
	cr_assert_eq(dec(&d, l), 0);
	cr_assert_eq(d.m.err_code, 404);
	free(l);
	for (unsigned i = 0; i < lines_of("bithumb-legacy-ws.jsonl"); i++) {
		l = test_fixture_line("bithumb-legacy-ws.jsonl", i);
		cr_assert_eq(dec(&d, l), -VD_E_TYPE, "legacy line %u", i);
		free(l);
	}
	dm_free(&d);
}

/* A prefix of a data line is never a message. */
Test(vd_bithumb, every_truncation_is_an_error)
{
	static const char *const files[] = { "bithumb-orderbook.jsonl", "bithumb-trade.jsonl",
					     "bithumb-ticker.jsonl" };
	struct dm d = { 0 };

	for (unsigned f = 0; f < 3; f++) {
		char *l = test_fixture_line(files[f], 0);
		size_t n = strlen(l);

		for (size_t k = 0; k < n; k++)
			cr_assert_lt(dec_n(&d, l, k, CAP), 0, "%s cut at %zu", files[f], k);
		free(l);
	}
	dm_free(&d);
}

/* ---- timestamps, limits, shapes ------------------------------------------- */

static int book_ts(struct dm *d, const char *ts)
{
	char s[512];

	snprintf(s, sizeof(s),
		 "{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"orderbook_units\":"
		 "[{\"ask_price\":2,\"bid_price\":1,\"ask_size\":1,\"bid_size\":1}],"
		 "\"timestamp\":%s}", ts);
	return dec(d, s);
}

Test(vd_bithumb, book_timestamp_ms_below_1e14_us_from_there)
{
	struct dm d = { 0 };

	cr_assert_eq(book_ts(&d, "9223372036854"), 0);                /* INT64_MAX ns in ms */
	cr_assert_eq(d.m.venue_ts_ns, 9223372036854ll * 1000000);
	cr_assert_eq(book_ts(&d, "9223372036855"), -VD_E_NUMBER);
	cr_assert_eq(book_ts(&d, "99999999999999"), -VD_E_NUMBER);   /* ms, past 2262 */
	cr_assert_eq(book_ts(&d, "100000000000000"), 0);
	cr_assert_eq(d.m.venue_ts_ns, 100000000000000ll * 1000);
	cr_assert_eq(book_ts(&d, "9223372036854775"), 0);             /* INT64_MAX / 1000 */
	cr_assert_eq(d.m.venue_ts_ns, 9223372036854775ll * 1000);
	cr_assert_eq(book_ts(&d, "9223372036854776"), -VD_E_NUMBER);
	cr_assert_eq(book_ts(&d, "-1"), -VD_E_NUMBER);
	cr_assert_eq(book_ts(&d, "0"), 0);
	cr_assert_eq(d.m.venue_ts_ns, 0);
	cr_assert_lt(book_ts(&d, "1.5"), 0);
	dm_free(&d);
}

static const char BOOK3[] =
	"{\"type\":\"orderbook\",\"code\":\"KRW-ETH\",\"orderbook_units\":["
	"{\"ask_price\":3715000,\"bid_price\":3714000,\"ask_size\":8.4592,\"bid_size\":3.012},"
	"{\"ask_price\":3716000,\"bid_price\":3713000,\"ask_size\":3.3766,\"bid_size\":15.399},"
	"{\"ask_price\":3717000,\"bid_price\":3712000,\"ask_size\":4.1755,\"bid_size\":1}],"
	"\"level\":1,\"timestamp\":1790133505546514,\"stream_type\":\"REALTIME\"}";

Test(vd_bithumb, depth_cap_at_its_boundary)
{
	struct dm d = { 0 };

	cr_assert_eq(dec_n(&d, BOOK3, strlen(BOOK3), 3), 0);
	cr_assert_eq(d.m.nasks, 3);
	cr_assert_eq(dec_n(&d, BOOK3, strlen(BOOK3), 2), -VD_E_DEPTH);
	cr_assert_eq(dec_n(&d, BOOK3, strlen(BOOK3), 0), -VD_E_DEPTH);
	dm_free(&d);
}

Test(vd_bithumb, scale_symbol_order_and_type_errors)
{
	struct dm d = { 0 };

	/* sizes at 4 decimals fit; a fifth decimal does not */
	cr_assert_eq(dec(&d, "{\"type\":\"trade\",\"code\":\"KRW-BTC\",\"trade_price\":1,"
			 "\"trade_volume\":0.0001,\"ask_bid\":\"ASK\",\"trade_timestamp\":1,"
			 "\"sequential_id\":1,\"timestamp\":1}"), 0);
	cr_assert_eq(d.m.qty, 1);
	cr_assert_eq(d.m.aggressor, KIMP_SIDE_SELL);
	cr_assert_eq(dec(&d, "{\"type\":\"trade\",\"code\":\"KRW-BTC\",\"trade_price\":1,"
			 "\"trade_volume\":0.00001,\"ask_bid\":\"ASK\",\"trade_timestamp\":1,"
			 "\"sequential_id\":1,\"timestamp\":1}"), -VD_E_NUMBER);
	/* a code not in the table, named back */
	cr_assert_eq(dec(&d, "{\"type\":\"ticker\",\"code\":\"KRW-EGG\",\"trade_price\":1,"
			 "\"trade_timestamp\":1,\"timestamp\":1}"), -VD_E_SYMBOL);
	cr_assert(slice_is(d.m.sym_name, d.m.sym_name_len, "KRW-EGG"));
	/* asks not ascending */
	cr_assert_eq(dec(&d, "{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"orderbook_units\":["
			 "{\"ask_price\":5,\"bid_price\":2,\"ask_size\":1,\"bid_size\":1},"
			 "{\"ask_price\":4,\"bid_price\":1,\"ask_size\":1,\"bid_size\":1}],"
			 "\"timestamp\":1}"), -VD_E_SHAPE);
	/* a required field missing, an unknown type, not JSON */
	cr_assert_eq(dec(&d, "{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1}"),
		     -VD_E_SHAPE);
	cr_assert_eq(dec(&d, "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\"}"), -VD_E_TYPE);
	cr_assert_eq(dec(&d, "{\"status\":\"DOWN\"}"), -VD_E_TYPE);
	cr_assert_eq(dec(&d, "{\"type\":\"trade\""), -VD_E_SYNTAX);
	cr_assert_lt(dec(&d, ""), 0);
	dm_free(&d);
}

Test(vd_bithumb, simple_keys_and_any_key_order_decode_the_same)
{
	struct dm d = { 0 };

	cr_assert_eq(dec(&d, "{\"ty\":\"orderbook\",\"cd\":\"KRW-ETH\",\"tas\":1,\"tbs\":1,"
			 "\"obu\":[{\"ap\":3715000,\"bp\":3714000,\"as\":8.4592,\"bs\":3.012}],"
			 "\"lv\":1,\"tms\":1790133505546514,\"st\":\"SNAPSHOT\"}"), 0);
	cr_assert_eq(d.m.kind, VD_BOOK);
	cr_assert_eq(d.m.snapshot, 1);
	cr_assert_eq(d.m.asks[0].qty, 84592);
	cr_assert_eq(d.m.venue_ts_ns, 1790133505546514ll * 1000);
	/* timestamp and units before type and code */
	cr_assert_eq(dec(&d, "{\"timestamp\":1725930007672,\"orderbook_units\":[{\"bid_size\":1,"
			 "\"bid_price\":1,\"ask_size\":2,\"ask_price\":2}],\"code\":\"KRW-BTC\","
			 "\"type\":\"orderbook\"}"), 0);
	cr_assert_eq(d.m.asks[0].px, 2);
	cr_assert_eq(d.m.asks[0].qty, 20000);
	cr_assert_eq(d.m.venue_ts_ns, 1725930007672ll * 1000000);
	dm_free(&d);
}

/* ---- trading rules --------------------------------------------------------- */

static int64_t tick(const struct venue_inst_rules *r, const char *px, unsigned dec)
{
	int64_t v;

	cr_assert_eq(venue_fixed(px, dec, &v), 0, "%s", px);
	return venue_tick(r, v, dec);
}

Test(vd_bithumb, krw_tick_table_at_every_band_edge)
{
	struct venue_inst_rules r;
	static const struct {
		const char *px, *tick;
	} t[] = {
		{ "1000000", "1000" }, { "999999", "500" }, { "500000", "500" },
		{ "499999", "100" }, { "100000", "100" }, { "99999", "50" }, { "50000", "50" },
		{ "49999", "10" }, { "10000", "10" }, { "9999", "5" }, { "5000", "5" },
		{ "4999", "1" }, { "100", "1" }, { "99.99", "0.01" }, { "10", "0.01" },
		{ "9.999", "0.001" }, { "1", "0.001" }, { "0.9999", "0.0001" },
		{ "0.0001", "0.0001" },
	};

	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "KRW", 8, 8, &r), 0);
	cr_assert_eq(r.tick, 0);
	cr_assert_eq(r.min_notional, 500000000000ll);    /* 5,000 KRW */
	cr_assert_eq(r.max_notional, 0);
	cr_assert_eq(r.step, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t want;

		cr_assert_eq(venue_fixed(t[i].tick, 8, &want), 0);
		cr_assert_eq(tick(&r, t[i].px, 8), want, "tick at %s", t[i].px);
	}
	/* Upbit's differs below 100 KRW: 0.1 at 10..100 there, 0.01 here */
	struct venue_inst_rules u;
	cr_assert_eq(venue_md_upbit.inst_rules("BTC", "KRW", 8, 8, &u), 0);
	cr_assert_neq(tick(&u, "50", 8), tick(&r, "50", 8));
	/* a coarse scale: the tick is at least one unit */
	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "KRW", 0, 4, &r), 0);
	cr_assert_eq(tick(&r, "50", 0), 1);
	cr_assert_eq(tick(&r, "1000000", 0), 1000);
}

Test(vd_bithumb, rules_for_other_quotes_and_scales)
{
	struct venue_inst_rules r;

	cr_assert_eq(venue_md_bithumb.inst_rules("ETH", "BTC", 8, 8, &r), 0);
	cr_assert_eq(r.tick, 1);
	cr_assert_eq(r.min_notional, 50000);
	cr_assert_eq(venue_md_bithumb.inst_rules("ETH", "BTC", 7, 8, &r), -ERANGE);
	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "USDT", 2, 8, &r), -ENOENT);
	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "KRW", 9, 8, &r), -ERANGE);
	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "KRW", 8, 9, &r), -ERANGE);
	cr_assert_eq(venue_md_bithumb.inst_rules("BTC", "KRW", 8, 8, &r), 0);   /* boundary */
}
