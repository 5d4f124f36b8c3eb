/* SPDX-License-Identifier: MIT */
/*
 * libvenue/coinone.c: the venue table, symbols, the one-topic subscribe
 * messages, and the decoder against every Coinone fixture line (book
 * levels checked against sim's independent JSON reader, jsonr, and
 * literals), asks delivered best first, DEFAULT and SHORT keys, control
 * and error responses, every error kind the decoder gives, truncation at
 * every byte, keys in reverse order, depth and scale boundaries, and the
 * trading rules (tick bands at their edges).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "../../sim/sim.h"
#include "../testutil.h"

#define V (&venue_md_coinone)
#define CAP 64
#define TOKS 2048

enum { S_BTC = 0, S_XRP, S_USDT };

static struct venue_symtab tab, coarse;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_COINONE);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 8, 8, 1), S_BTC);
	cr_assert_eq(venue_symtab_add(&tab, "XRP", "KRW", 8, 8, 2), S_XRP);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 8, 8, 3), S_USDT);
	venue_symtab_init(&coarse, KIMP_VENUE_COINONE);
	cr_assert_eq(venue_symtab_add(&coarse, "XRP", "KRW", 1, 8, 2), 0);
	cr_assert_eq(venue_symtab_add(&coarse, "BTC", "KRW", 0, 8, 1), 1);
}

TestSuite(vd_coinone, .init = setup);

/* ---- helpers ----------------------------------------------------------------- */

struct dm {
	struct vd_msg m;
	struct vd_level b[CAP], a[CAP];
	char *buf;
	int err;
};

/* Decode p[0..n) with table t from an exact-size copy (overreads show under ASan). */
static int dm_dec_t(struct dm *d, const struct venue_symtab *t, const char *p, size_t n,
		    uint32_t cap)
{
	free(d->buf);
	d->buf = malloc(n ? n : 1);
	cr_assert_not_null(d->buf);
	memcpy(d->buf, p, n);
	memset(&d->m, 0x5a, sizeof(d->m));
	d->m.bids = d->b;
	d->m.asks = d->a;
	d->m.cap = cap;
	d->err = V->decode(t, (const uint8_t *)d->buf, n, &d->m);
	if (d->err) {
		cr_assert_lt(d->err, 0);
		cr_assert_lt(-d->err, VD_E_MAX, "a known error");
		cr_assert_eq(d->m.kind, VD_NONE, "an error leaves nothing to mistake for data");
		cr_assert_eq(d->m.nbids + d->m.nasks, 0);
	} else {
		cr_assert_eq(d->m.venue, KIMP_VENUE_COINONE);
	}
	return d->err;
}

static int dm_dec(struct dm *d, const char *s)
{
	return dm_dec_t(d, &tab, s, strlen(s), CAP);
}

static void dm_free(struct dm *d)
{
	free(d->buf);
	d->buf = NULL;
}

static int dec_err_t(const struct venue_symtab *t, const char *s, uint32_t cap)
{
	struct dm *d = calloc(1, sizeof(*d));
	int e = dm_dec_t(d, t, s, strlen(s), cap);
	dm_free(d);
	free(d);
	return e;
}

static int dec_err(const char *s)
{
	return dec_err_t(&tab, s, CAP);
}

static bool slice_is(const char *p, uint32_t n, const char *s)
{
	return p && n == strlen(s) && !memcmp(p, s, n);
}

static unsigned fixture_lines(const char *file)
{
	unsigned n = 0;
	char *l;

	while ((l = test_fixture_line(file, n))) {
		free(l);
		n++;
	}
	cr_assert_gt(n, 0, "%s has lines", file);
	return n;
}

/* s with the first 'from' replaced by 'to' (malloc'd). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s), nf = strlen(from), nt = strlen(to);
	char *r;

	cr_assert_not_null(at, "'%s' in the message", from);
	r = malloc(n - nf + nt + 1);
	cr_assert_not_null(r);
	memcpy(r, s, (size_t)(at - s));
	memcpy(r + (at - s), to, nt);
	strcpy(r + (at - s) + nt, at + nf);
	return r;
}

/* ---- the independent reading (jsonr) --------------------------------------------- */

struct ref {
	const char *src;
	struct jr_tok tok[TOKS];
	int data;
};

static void ref_load(struct ref *r, const char *line)
{
	r->src = line;
	cr_assert_gt(jr_parse(line, strlen(line), r->tok, TOKS), 0);
	r->data = jr_get(line, r->tok, 0, "data");
	if (r->data < 0)
		r->data = jr_get(line, r->tok, 0, "d");
}

static int ref_get(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = jr_get(r->src, r->tok, obj, dkey);
	return i >= 0 ? i : jr_get(r->src, r->tok, obj, skey);
}

static int64_t ref_fx(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = ref_get(r, obj, dkey, skey);
	sim_fx v;

	cr_assert_geq(i, 0, "%s present", dkey);
	cr_assert_eq(jr_fx(r->src, &r->tok[i], &v), 0);
	return v;
}

static uint64_t ref_id(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = ref_get(r, obj, dkey, skey);
	char s[32];

	cr_assert_geq(i, 0);
	cr_assert_gt(jr_str(r->src, &r->tok[i], s, sizeof(s)), 0);
	return strtoull(s, NULL, 10);
}

/* A book line: every level, asks reversed to best first, ids and time. */
static void check_book_line(const char *line)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct dm d = { 0 };
	int asks, bids;
	uint32_t na, nb;

	ref_load(r, line);
	cr_assert_eq(dm_dec(&d, line), 0, "decodes: %s", line);
	cr_assert_eq(d.m.kind, VD_BOOK);
	cr_assert_eq(d.m.snapshot, 0);
	asks = ref_get(r, r->data, "asks", "a");
	bids = ref_get(r, r->data, "bids", "b");
	na = r->tok[asks].size;
	nb = r->tok[bids].size;
	cr_assert_eq(d.m.nasks, na);
	cr_assert_eq(d.m.nbids, nb);
	for (uint32_t i = 0; i < na; i++) {
		int lv = jr_at(r->tok, asks, na - 1 - i);   /* the wire's last is the best */
		cr_assert_eq(d.a[i].px, ref_fx(r, lv, "price", "p"), "ask %u", i);
		cr_assert_eq(d.a[i].qty, ref_fx(r, lv, "qty", "q"), "ask %u", i);
		if (i)
			cr_assert_gt(d.a[i].px, d.a[i - 1].px, "asks best (lowest) first");
	}
	for (uint32_t i = 0; i < nb; i++) {
		int lv = jr_at(r->tok, bids, i);
		cr_assert_eq(d.b[i].px, ref_fx(r, lv, "price", "p"), "bid %u", i);
		cr_assert_eq(d.b[i].qty, ref_fx(r, lv, "qty", "q"), "bid %u", i);
		if (i)
			cr_assert_lt(d.b[i].px, d.b[i - 1].px, "bids best (highest) first");
	}
	cr_assert_lt(d.b[0].px, d.a[0].px, "not crossed");
	cr_assert_eq(d.m.last_id, ref_id(r, r->data, "id", "i"));
	cr_assert_eq(d.m.first_id, d.m.last_id);
	int64_t ms;
	cr_assert_eq(jr_i64(r->src, &r->tok[ref_get(r, r->data, "timestamp", "t")], &ms), 0);
	cr_assert_eq(d.m.venue_ts_ns, ms * 1000000);
	dm_free(&d);
	free(r);
}

/* ---- the venue's facts --------------------------------------------------------- */

Test(vd_coinone, table_holds_the_venues_facts)
{
	cr_assert_eq(venue_md_get(KIMP_VENUE_COINONE), V);
	cr_assert_eq(venue_md_by_name("coinone"), V);
	cr_assert_str_eq(V->name, "coinone");
	cr_assert_str_eq(V->ws_url, "wss://stream.coinone.co.kr");
	cr_assert_str_eq(V->rest_url, "https://api.coinone.co.kr");
	cr_assert_str_eq(V->quote, "KRW");
	cr_assert_eq(V->book_mode, VENUE_BOOK_FULL, "H7: the whole book every frame");
	cr_assert_not(V->binary_frames, "H2: text frames");
	cr_assert_str_eq(V->ping_text, "{\"request_type\":\"PING\"}");
	cr_assert_gt(V->ping_every_ns, 0);
	cr_assert_lt(V->ping_every_ns, 60000000000ull, "an unsubscribed socket died at ~60 s");
	cr_assert_null(V->ws_unsubscribe, "FULL mode: no resubscribe for a snapshot");
	cr_assert_null(V->book_checksum);
	cr_assert_not_null(V->decode);
	cr_assert_not_null(V->inst_rules);
	int64_t f;
	cr_assert_eq(venue_fixed(V->taker_fee, 8, &f), 0);
	cr_assert_eq(venue_fixed(V->maker_fee, 8, &f), 0);
	char out[8];
	cr_assert_eq(V->snapshot_target(&tab, 0, 16, out, sizeof(out)), -ENOTSUP);
}

Test(vd_coinone, symbols_and_split)
{
	char out[VENUE_SYM_MAX], b[12], q[12];

	cr_assert_eq(V->symbol("BTC", "KRW", out, sizeof(out)), 7);
	cr_assert_str_eq(out, "KRW-BTC");
	cr_assert_eq(V->symbol("btc", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(V->symbol("", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(V->symbol("B-C", "KRW", out, sizeof(out)), -EINVAL);
	/* the boundary: 7 bytes need 8 */
	cr_assert_eq(V->symbol("BTC", "KRW", out, 8), 7);
	cr_assert_eq(V->symbol("BTC", "KRW", out, 7), -ENOSPC);
	cr_assert_eq(V->split("KRW-BTC", 7, b, q, sizeof(b)), 0);
	cr_assert_str_eq(b, "BTC");
	cr_assert_str_eq(q, "KRW");
	cr_assert_eq(V->split("KRWBTC", 6, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(V->split("KRW-", 4, b, q, sizeof(b)), -EINVAL);
	cr_assert_eq(V->split("KRW-BTC", 7, b, q, 4), 0, "3 bytes + NUL fit 4");
	cr_assert_eq(V->split("KRW-USDT", 8, b, q, 4), -EINVAL, "4 bytes do not");
	/* a name of VENUE_SYM_MAX - 1 bytes is the longest the table takes */
	struct venue_symtab t;
	venue_symtab_init(&t, KIMP_VENUE_COINONE);
	cr_assert_eq(venue_symtab_add(&t, "ABCDEFGHIJK", "KRW", 8, 8, 1), 0);  /* 15 */
	cr_assert_eq(venue_symtab_add(&t, "ABCDEFGHIJKL", "KRW", 8, 8, 1), -EINVAL);
}

Test(vd_coinone, one_topic_per_subscribe_message)
{
	uint32_t syms[2] = { S_BTC, S_XRP };
	struct venue_sub sub = { .book = true, .trades = true, .ticker = true };
	char out[512];
	int n;

	cr_assert_eq(V->ws_target(&tab, syms, 2, &sub, out, sizeof(out)), 1);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(V->ws_target(&tab, syms, 2, &sub, out, 1), -ENOSPC);
	static const char *want[6] = {
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"ORDERBOOK\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}}",
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}}",
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TICKER\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}}",
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"ORDERBOOK\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}}",
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}}",
		"{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TICKER\",\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}}",
	};
	for (unsigned p = 0; p < 6; p++) {
		n = V->ws_subscribe(&tab, syms, 2, &sub, 7, p, out, sizeof(out));
		cr_assert_eq(n, (int)strlen(want[p]), "part %u", p);
		cr_assert_str_eq(out, want[p]);
	}
	cr_assert_eq(V->ws_subscribe(&tab, syms, 2, &sub, 7, 6, out, sizeof(out)), 0, "no part 6");
	/* the fixture's subscribe request is what part 0 writes for BTC's book */
	char *l = test_fixture_line("coinone-ws-control.jsonl", 1);
	struct venue_sub book = { .book = true };
	cr_assert_gt(V->ws_subscribe(&tab, syms, 1, &book, 1, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, l);
	free(l);
	/* SHORT: the fixture's TRADE request with its format */
	l = test_fixture_line("coinone-ws-control.jsonl", 3);
	struct venue_sub tr = { .trades = true, .simple = true };
	uint32_t xrp = S_XRP;
	cr_assert_gt(V->ws_subscribe(&tab, &xrp, 1, &tr, 1, 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, l);
	free(l);
	/* errors and the size boundary */
	struct venue_sub none = { 0 };
	cr_assert_eq(V->ws_subscribe(&tab, syms, 2, &none, 1, 0, out, sizeof(out)), -EINVAL);
	cr_assert_eq(V->ws_subscribe(&tab, syms, 0, &sub, 1, 0, out, sizeof(out)), -EINVAL);
	uint32_t bad = 99;
	cr_assert_eq(V->ws_subscribe(&tab, &bad, 1, &sub, 1, 0, out, sizeof(out)), -EINVAL);
	size_t len = strlen(want[0]);
	cr_assert_eq(V->ws_subscribe(&tab, syms, 2, &sub, 1, 0, out, len + 1), (int)len);
	cr_assert_eq(V->ws_subscribe(&tab, syms, 2, &sub, 1, 0, out, len), -ENOSPC);
}

/* ---- the fixtures ------------------------------------------------------------------ */

Test(vd_coinone, orderbook_fixture_lines_decode_best_first)
{
	unsigned n = fixture_lines("coinone-orderbook.jsonl");

	cr_assert_eq(n, 4, "the file holds 4 (the doc index says 5)");
	for (unsigned i = 0; i < n; i++) {
		char *line = test_fixture_line("coinone-orderbook.jsonl", i);
		check_book_line(line);
		free(line);
	}
}

Test(vd_coinone, orderbook_fixture_literals)
{
	struct dm d = { 0 };
	char *l = test_fixture_line("coinone-orderbook.jsonl", 1);   /* SHORT, 16 x 16 */

	cr_assert_eq(dm_dec_t(&d, &coarse, l, strlen(l), CAP), 0);
	cr_assert_eq(d.m.sym, 0);
	cr_assert(slice_is(d.m.sym_name, d.m.sym_name_len, "XRP"));
	cr_assert_eq(d.m.nasks, 16);
	cr_assert_eq(d.m.nbids, 16);
	cr_assert_eq(d.a[0].px, 6878);          /* 687.8: the wire's last ask */
	cr_assert_eq(d.a[0].qty, 554173430000ll);  /* 5541.7343 */
	cr_assert_eq(d.b[5].qty, 7115678279601ll); /* 71156.78279601 */
	cr_assert_eq(d.a[15].px, 6921);
	cr_assert_eq(d.m.last_id, 1693560323040001ull);
	cr_assert_eq(d.m.venue_ts_ns, 1693560323040ll * 1000000);
	/* depth: 16 levels fit 16, not 15 */
	cr_assert_eq(dm_dec_t(&d, &coarse, l, strlen(l), 16), 0);
	cr_assert_eq(dm_dec_t(&d, &coarse, l, strlen(l), 15), -VD_E_DEPTH);
	free(l);
	/* probe frame: BTC at 0 decimals */
	l = test_fixture_line("coinone-orderbook.jsonl", 2);
	cr_assert_eq(dm_dec_t(&d, &coarse, l, strlen(l), CAP), 0);
	cr_assert_eq(d.m.nasks, 4);
	cr_assert_eq(d.a[0].px, 116460000);
	cr_assert_eq(d.a[3].px, 116650000);
	cr_assert_eq(d.b[0].px, 116450000);
	cr_assert_eq(d.m.last_id, 1790134177435001ull);
	/* H10: the first frame's timestamp is ~10 s older than its id */
	cr_assert_eq(d.m.venue_ts_ns, 1790134167554ll * 1000000);
	free(l);
	dm_free(&d);
}

Test(vd_coinone, trade_fixture_lines)
{
	struct dm d = { 0 };
	char *l = test_fixture_line("coinone-trade.jsonl", 0);

	cr_assert_eq(fixture_lines("coinone-trade.jsonl"), 2);
	cr_assert_eq(dm_dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_TRADE);
	cr_assert_eq(d.m.sym, S_XRP);
	cr_assert_eq(d.m.px, 68830000000ll);
	cr_assert_eq(d.m.qty, 500000000000ll);
	cr_assert_eq(d.m.trade_id, 1693560450996001ull);
	cr_assert_eq(d.m.aggressor, KIMP_SIDE_BUY, "seller was maker: the buyer took");
	cr_assert_eq(d.m.trade_ts_ns, 1693560450996ll * 1000000);
	cr_assert_eq(d.m.venue_ts_ns, d.m.trade_ts_ns);
	free(l);
	l = test_fixture_line("coinone-trade.jsonl", 1);   /* SHORT */
	cr_assert_eq(dm_dec(&d, l), 0);
	cr_assert_eq(d.m.kind, VD_TRADE);
	cr_assert_eq(d.m.qty, 29074500000ll);
	cr_assert_eq(d.m.trade_id, 1693560563084003ull);
	cr_assert_eq(d.m.aggressor, KIMP_SIDE_SELL);
	free(l);
	dm_free(&d);
}

Test(vd_coinone, ticker_fixture_lines)
{
	struct dm d = { 0 };
	char *l;

	cr_assert_eq(fixture_lines("coinone-ticker.jsonl"), 2);
	for (unsigned i = 0; i < 2; i++) {
		l = test_fixture_line("coinone-ticker.jsonl", i);
		cr_assert_eq(dm_dec(&d, l), 0);
		cr_assert_eq(d.m.kind, VD_TICKER);
		cr_assert_eq(d.m.sym, S_XRP);
		cr_assert_eq(d.m.px, 68790000000ll);
		cr_assert_eq(d.m.bid.px, 68780000000ll);
		cr_assert_eq(d.m.bid.qty, 1386161790000ll);
		cr_assert_eq(d.m.ask.px, i ? 68830000000ll : 68790000000ll);
		free(l);
	}
	/* best prices may be null */
	l = test_fixture_line("coinone-ticker.jsonl", 0);
	char *s = subst(l, "\"ask_best_price\":\"687.9\"", "\"ask_best_price\":null");
	cr_assert_eq(dm_dec(&d, s), 0);
	cr_assert_eq(d.m.ask.px, 0);
	free(s);
	free(l);
	dm_free(&d);
}

Test(vd_coinone, control_and_error_lines)
{
	static const struct {
		unsigned line;
		int err;
		uint8_t kind;
	} want[] = {
		{ 0, 0, VD_CONTROL },           /* CONNECTED */
		{ 1, -VD_E_SHAPE, 0 },          /* our SUBSCRIBE request */
		{ 2, 0, VD_CONTROL },           /* SUBSCRIBED */
		{ 3, -VD_E_SHAPE, 0 },
		{ 4, 0, VD_CONTROL },           /* UNSUBSCRIBED */
		{ 5, -VD_E_SHAPE, 0 },          /* PING request */
		{ 6, 0, VD_CONTROL },           /* PONG */
		{ 7, 0, VD_VENUE_ERROR },
		{ 8, 0, VD_VENUE_ERROR },
		{ 9, 0, VD_VENUE_ERROR },
		{ 10, -VD_E_SHAPE, 0 },
		{ 11, -VD_E_SHAPE, 0 },
		{ 12, 0, VD_CONTROL },          /* SUBSCRIBED MYASSET */
	};
	struct dm d = { 0 };

	cr_assert_eq(fixture_lines("coinone-ws-control.jsonl"), 13);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *l = test_fixture_line("coinone-ws-control.jsonl", want[i].line);
		cr_assert_eq(dm_dec(&d, l), want[i].err, "line %u: %d", want[i].line, d.err);
		if (!want[i].err)
			cr_assert_eq(d.m.kind, want[i].kind, "line %u", want[i].line);
		free(l);
	}
	char *l = test_fixture_line("coinone-ws-control.jsonl", 7);
	cr_assert_eq(dm_dec(&d, l), 0);
	cr_assert_eq(d.m.err_code, 160012);
	cr_assert(slice_is(d.m.err_name, d.m.err_name_len, "Invalid Topic"));
	free(l);
	l = test_fixture_line("coinone-ws-control.jsonl", 8);
	cr_assert_eq(dm_dec(&d, l), 0);
	cr_assert_eq(d.m.err_code, 160011);
	free(l);
	/* private channels are not market data */
	for (unsigned i = 0; i < 2; i++) {
		l = test_fixture_line("coinone-myasset.jsonl", i);
		cr_assert_eq(dec_err(l), -VD_E_TYPE);
		free(l);
	}
	dm_free(&d);
}

/* ---- errors and variations ----------------------------------------------------------- */

static const char trade[] =
	"{\"response_type\":\"DATA\",\"channel\":\"TRADE\",\"data\":{\"quote_currency\":\"KRW\","
	"\"target_currency\":\"XRP\",\"id\":\"1693560450996001\",\"timestamp\":1693560450996,"
	"\"price\":\"688.3\",\"qty\":\"5000\",\"is_seller_maker\":true}}";

Test(vd_coinone, keys_in_any_order_decode_the_same)
{
	static const char rev[] =
		"{\"data\":{\"is_seller_maker\":true,\"qty\":\"5000\",\"price\":\"688.3\","
		"\"timestamp\":1693560450996,\"id\":\"1693560450996001\",\"target_currency\":\"XRP\","
		"\"quote_currency\":\"KRW\"},\"channel\":\"TRADE\",\"response_type\":\"DATA\"}";
	static const char spaced[] =
		" { \"response_type\" : \"DATA\" , \"channel\" : \"TRADE\" , \"data\" : { "
		"\"quote_currency\" : \"KRW\" , \"target_currency\" : \"XRP\" , \"id\" : "
		"\"1693560450996001\" , \"timestamp\" : 1693560450996 , \"price\" : \"688.3\" , "
		"\"qty\" : \"5000\" , \"is_seller_maker\" : true } } ";
	struct dm a = { 0 }, b = { 0 }, c = { 0 };

	cr_assert_eq(dm_dec(&a, trade), 0);
	cr_assert_eq(dm_dec(&b, rev), 0);
	cr_assert_eq(dm_dec(&c, spaced), 0);
	cr_assert_eq(a.m.px, b.m.px);
	cr_assert_eq(a.m.qty, b.m.qty);
	cr_assert_eq(a.m.trade_id, b.m.trade_id);
	cr_assert_eq(a.m.aggressor, b.m.aggressor);
	cr_assert_eq(a.m.trade_ts_ns, c.m.trade_ts_ns);
	cr_assert_eq(a.m.px, c.m.px);
	dm_free(&a);
	dm_free(&b);
	dm_free(&c);
	/* the book: levels best first whichever way the sides come */
	char *l = test_fixture_line("coinone-orderbook.jsonl", 2), *k;
	struct dm x = { 0 }, y = { 0 };
	cr_assert_eq(dm_dec(&x, l), 0);
	k = subst(l, "[{\"price\":\"116650000\",\"qty\":\"0.01198956\"},{\"price\":\"116640000\",\"qty\":\"0.000657\"},{\"price\":\"116470000\",\"qty\":\"0.00171821\"},{\"price\":\"116460000\",\"qty\":\"0.0232\"}]",
		  "[{\"qty\":\"0.0232\",\"price\":\"116460000\"},{\"price\":\"116470000\",\"qty\":\"0.00171821\"},{\"price\":\"116640000\",\"qty\":\"0.000657\"},{\"price\":\"116650000\",\"qty\":\"0.01198956\"}]");
	cr_assert_eq(dm_dec(&y, k), 0);
	cr_assert_eq(y.m.nasks, x.m.nasks);
	for (uint32_t i = 0; i < x.m.nasks; i++) {
		cr_assert_eq(x.a[i].px, y.a[i].px);
		cr_assert_eq(x.a[i].qty, y.a[i].qty);
	}
	free(k);
	free(l);
	dm_free(&x);
	dm_free(&y);
}

Test(vd_coinone, every_truncation_is_refused)
{
	char *l = test_fixture_line("coinone-orderbook.jsonl", 1);
	size_t n = strlen(l);
	struct dm d = { 0 };

	for (size_t i = 0; i < n; i++)
		cr_assert_neq(dm_dec_t(&d, &tab, l, i, CAP), 0, "cut at %zu", i);
	cr_assert_eq(dm_dec_t(&d, &tab, l, n, CAP), 0);
	for (size_t i = 0; i < sizeof(trade) - 1; i++)
		cr_assert_neq(dm_dec_t(&d, &tab, trade, i, CAP), 0, "cut at %zu", i);
	free(l);
	dm_free(&d);
}

Test(vd_coinone, malformed_messages_each_give_their_error)
{
	struct dm d = { 0 };
	char *s;

	cr_assert_eq(dec_err(""), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("{"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("[1,2]"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("\"PONG\""), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":1}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":\"PONG\",\"response_type\":\"PONG\"}"),
		     -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":\"HELLO\"}"), -VD_E_TYPE);
	cr_assert_eq(dec_err("{\"response_type\":\"DATA\",\"channel\":\"CHART\",\"data\":{}}"),
		     -VD_E_TYPE);
	cr_assert_eq(dec_err("{\"response_type\":\"DATA\",\"data\":{}}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":\"DATA\",\"channel\":\"TRADE\"}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":\"ERROR\",\"message\":\"x\"}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"response_type\":\"ERROR\",\"error_code\":99999999999}"),
		     -VD_E_NUMBER);
	cr_assert_eq(dec_err("{\"response_type\":\"PONG\"} x"), -VD_E_SYNTAX);
	/* an unknown market: named, refused */
	s = subst(trade, "\"XRP\"", "\"DOGE\"");
	cr_assert_eq(dm_dec(&d, s), -VD_E_SYMBOL);
	cr_assert(slice_is(d.m.sym_name, d.m.sym_name_len, "DOGE"));
	free(s);
	s = subst(trade, "\"quote_currency\":\"KRW\",", "");
	cr_assert_eq(dec_err(s), -VD_E_SHAPE, "no market");
	free(s);
	s = subst(trade, "\"quote_currency\":\"KRW\"", "\"quote_currency\":\"KRW\",\"qc\":\"KRW\"");
	cr_assert_eq(dec_err(s), -VD_E_SHAPE, "the quote twice");
	free(s);
	s = subst(trade, "\"qty\":\"5000\"", "\"qty\":\"5000\",\"q\":\"1\"");
	cr_assert_eq(dec_err(s), -VD_E_SHAPE, "the size twice");
	free(s);
	s = subst(trade, "\"qty\":\"5000\",", "");
	cr_assert_eq(dec_err(s), -VD_E_SHAPE, "no size");
	free(s);
	s = subst(trade, "\"5000\"", "\"-5000\"");
	cr_assert_eq(dec_err(s), -VD_E_NUMBER);
	free(s);
	s = subst(trade, "\"5000\"", "\"five\"");
	cr_assert_eq(dec_err(s), -VD_E_NUMBER);
	free(s);
	s = subst(trade, "true", "\"yes\"");
	cr_assert_eq(dec_err(s), -VD_E_SHAPE);
	free(s);
	s = subst(trade, "\"1693560450996001\"", "\"12a\"");
	cr_assert_eq(dec_err(s), -VD_E_NUMBER);
	free(s);
	s = subst(trade, "\"data\":{", "\"data\":[");
	cr_assert_neq(dec_err(s), 0);
	free(s);
	/* finer than the scale: 688.3 at 1 decimal takes, 688.35 does not */
	cr_assert_eq(dec_err_t(&coarse, trade, CAP), 0);
	s = subst(trade, "\"688.3\"", "\"688.35\"");
	cr_assert_eq(dec_err_t(&coarse, s, CAP), -VD_E_NUMBER);
	free(s);
	dm_free(&d);
}

Test(vd_coinone, book_order_and_levels)
{
	static const char hd[] =
		"{\"r\":\"DATA\",\"c\":\"ORDERBOOK\",\"d\":{\"qc\":\"KRW\",\"tc\":\"XRP\",\"t\":1,\"i\":\"5\",";
	char buf[512];
	struct dm d = { 0 };

	/* a side not strictly ordered */
	snprintf(buf, sizeof(buf), "%s\"a\":[{\"p\":\"3\",\"q\":\"1\"},{\"p\":\"2\",\"q\":\"1\"},{\"p\":\"4\",\"q\":\"1\"}],\"b\":[]}}", hd);
	cr_assert_eq(dec_err(buf), -VD_E_SHAPE);
	snprintf(buf, sizeof(buf), "%s\"a\":[{\"p\":\"3\",\"q\":\"1\"},{\"p\":\"3\",\"q\":\"2\"}],\"b\":[]}}", hd);
	cr_assert_eq(dec_err(buf), -VD_E_SHAPE, "one price twice");
	/* empty levels are dropped, the rest best first */
	snprintf(buf, sizeof(buf), "%s\"a\":[{\"p\":\"3\",\"q\":\"1\"},{\"p\":\"2.5\",\"q\":\"0\"},{\"p\":\"2\",\"q\":\"1\"}],\"b\":[{\"p\":\"1\",\"q\":\"2\"}]}}", hd);
	cr_assert_eq(dm_dec(&d, buf), 0);
	cr_assert_eq(d.m.nasks, 2);
	cr_assert_eq(d.a[0].px, 200000000);
	cr_assert_eq(d.a[1].px, 300000000);
	cr_assert_eq(d.m.nbids, 1);
	cr_assert_eq(d.m.last_id, 5);
	/* a level missing its size, a level not an object, sides missing */
	snprintf(buf, sizeof(buf), "%s\"a\":[{\"p\":\"3\"}],\"b\":[]}}", hd);
	cr_assert_eq(dec_err(buf), -VD_E_SHAPE);
	snprintf(buf, sizeof(buf), "%s\"a\":[3],\"b\":[]}}", hd);
	cr_assert_eq(dec_err(buf), -VD_E_SHAPE);
	snprintf(buf, sizeof(buf), "%s\"a\":[]}}", hd);
	cr_assert_eq(dec_err(buf), -VD_E_SHAPE);
	/* empty sides are a book (a halted market) */
	snprintf(buf, sizeof(buf), "%s\"a\":[],\"b\":[]}}", hd);
	cr_assert_eq(dm_dec(&d, buf), 0);
	cr_assert_eq(d.m.nasks + d.m.nbids, 0);
	/* cap 0: any level is too deep */
	snprintf(buf, sizeof(buf), "%s\"a\":[{\"p\":\"3\",\"q\":\"1\"}],\"b\":[]}}", hd);
	cr_assert_eq(dec_err_t(&tab, buf, 1), 0);
	cr_assert_eq(dec_err_t(&tab, buf, 0), -VD_E_DEPTH);
	/* an id above 2^53 stays exact; one above 2^64 is refused */
	snprintf(buf, sizeof(buf), "{\"r\":\"DATA\",\"c\":\"ORDERBOOK\",\"d\":{\"qc\":\"KRW\",\"tc\":\"XRP\",\"t\":1,\"i\":\"18446744073709551615\",\"a\":[],\"b\":[]}}");
	cr_assert_eq(dm_dec(&d, buf), 0);
	cr_assert_eq(d.m.last_id, UINT64_MAX);
	snprintf(buf, sizeof(buf), "{\"r\":\"DATA\",\"c\":\"ORDERBOOK\",\"d\":{\"qc\":\"KRW\",\"tc\":\"XRP\",\"t\":1,\"i\":\"18446744073709551616\",\"a\":[],\"b\":[]}}");
	cr_assert_eq(dec_err(buf), -VD_E_NUMBER);
	dm_free(&d);
}

Test(vd_coinone, ids_give_the_order_frames_came_in)
{
	char *a = test_fixture_line("coinone-orderbook.jsonl", 2);
	char *b = test_fixture_line("coinone-orderbook.jsonl", 3);
	struct dm x = { 0 }, y = { 0 };

	cr_assert_eq(dm_dec(&x, a), 0);
	cr_assert_eq(dm_dec(&y, b), 0);
	cr_assert_gt(y.m.last_id, x.m.last_id, "the later frame has the bigger id");
	free(a);
	free(b);
	dm_free(&x);
	dm_free(&y);
}

/* ---- trading rules ---------------------------------------------------------------------- */

Test(vd_coinone, inst_rules_tick_bands_at_their_edges)
{
	struct venue_inst_rules r;
	static const struct {
		int64_t px, tick;       /* at 4 decimals */
	} band[] = {
		{ 9999, 1 }, { 10000, 10 }, { 99999, 10 }, { 100000, 100 },
		{ 999999, 100 }, { 1000000, 1000 }, { 9999999, 1000 }, { 10000000, 10000 },
		{ 49999999, 10000 }, { 50000000, 50000 }, { 99999999, 50000 }, { 100000000, 100000 },
		{ 499999999, 100000 }, { 500000000, 500000 }, { 999999999, 500000 },
		{ 1000000000, 1000000 }, { 4999999999, 1000000 }, { 5000000000, 5000000 },
		{ 9999999999, 5000000 }, { 10000000000, 10000000 },
	};

	cr_assert_eq(V->inst_rules("XRP", "KRW", 4, 8, &r), 0);
	cr_assert_eq(r.tick, 0);
	cr_assert_not_null(r.tick_at);
	for (size_t i = 0; i < sizeof(band) / sizeof(band[0]); i++)
		cr_assert_eq(venue_tick(&r, band[i].px, 4), band[i].tick, "px %lld",
			     (long long)band[i].px);
	cr_assert_eq(r.min_notional, 50000000);
	cr_assert_eq(r.step, 1);
	/* coarser scales: the tick is at least one unit */
	cr_assert_eq(V->inst_rules("XRP", "KRW", 0, 4, &r), 0);
	cr_assert_eq(venue_tick(&r, 500, 0), 1);
	cr_assert_eq(venue_tick(&r, 5000, 0), 5);
	/* USDT sits in the 1,000-5,000 band: 1 KRW (3.7) */
	cr_assert_eq(V->inst_rules("USDT", "KRW", 2, 4, &r), 0);
	cr_assert_eq(venue_tick(&r, 140000, 2), 100);
	/* BTC: 10,000 KRW as the live book moves */
	cr_assert_eq(V->inst_rules("BTC", "KRW", 0, 8, &r), 0);
	cr_assert_eq(r.tick, 10000);
	cr_assert_eq(venue_tick(&r, 116450000, 0), 10000);
	/* scales and quotes */
	cr_assert_eq(V->inst_rules("XRP", "KRW", 8, 8, &r), 0);
	cr_assert_eq(V->inst_rules("XRP", "KRW", 9, 8, &r), -ERANGE);
	cr_assert_eq(V->inst_rules("XRP", "KRW", 8, 9, &r), -ERANGE);
	cr_assert_eq(V->inst_rules("XRP", "USDT", 8, 8, &r), -ENOENT);
}
