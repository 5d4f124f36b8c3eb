/* SPDX-License-Identifier: MIT */
/*
 * libvenue/upbit.c: the venue table, symbols, the request array, and the
 * decoder against every Upbit fixture line (values checked against sim's
 * independent JSON reader, jsonr, and against literals), every error it
 * documents, truncation at every byte, keys in reverse order, spaces
 * everywhere, the *_LIST wrapping and the SIMPLE keys.
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

#define CAP 64
#define TOKS 2048
#define BIG 65536
#define JS_DEPTH_MAX_TEST 32   /* libvenue/jscan.h JS_DEPTH_MAX */

static struct venue_symtab tab;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_UPBIT);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 8, 8, 101), 0);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "KRW", 8, 8, 102), 1);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 8, 8, 103), 2);
	cr_assert_eq(venue_symtab_add(&tab, "XRP", "KRW", 0, 4, 104), 3);
}

TestSuite(vd_upbit, .init = setup);

/* ---- decoding helpers -------------------------------------------------- */

/* A decoded message with its own level arrays and input copy. */
struct dm {
	struct vd_msg m;
	struct vd_level b[CAP], a[CAP];
	char *buf;
	int err;
};

/* Decode p[0..n) from an exact-size copy (reads past the end show under ASan). */
static int dm_dec_cap(struct dm *d, const char *p, size_t n, uint32_t cap)
{
	free(d->buf);
	d->buf = malloc(n ? n : 1);
	cr_assert_not_null(d->buf);
	memcpy(d->buf, p, n);
	memset(&d->m, 0x5a, sizeof(d->m));   /* stale data the decoder must clear */
	d->m.bids = d->b;
	d->m.asks = d->a;
	d->m.cap = cap;
	d->err = venue_md_upbit.decode(&tab, (const uint8_t *)d->buf, n, &d->m);
	if (d->err) {
		cr_assert_lt(d->err, 0);
		cr_assert_lt(-d->err, VD_E_MAX, "a known error");
		cr_assert_eq(d->m.kind, VD_NONE, "an error leaves nothing to mistake for data");
		cr_assert_eq(d->m.nbids + d->m.nasks, 0);
	}
	return d->err;
}

static int dm_dec(struct dm *d, const char *s)
{
	return dm_dec_cap(d, s, strlen(s), CAP);
}

static void dm_free(struct dm *d)
{
	free(d->buf);
	d->buf = NULL;
}

/* One-shot: the error of decoding s (0 when it decodes). */
static int dec_err(const char *s)
{
	struct dm *d = calloc(1, sizeof(*d));
	int e = dm_dec(d, s);
	dm_free(d);
	free(d);
	return e;
}

static bool slice_is(const char *p, uint32_t n, const char *s)
{
	return p && n == strlen(s) && !memcmp(p, s, n);
}

/* Two decodes carry the same data (pointers may differ, contents not). */
static void assert_same(const struct dm *x, const struct dm *y, const char *what)
{
	const struct vd_msg *a = &x->m, *b = &y->m;

	cr_assert_eq(x->err, y->err, "%s: error %d vs %d", what, x->err, y->err);
	cr_assert_eq(a->kind, b->kind, "%s", what);
	cr_assert_eq(a->venue, b->venue, "%s", what);
	cr_assert_eq(a->snapshot, b->snapshot, "%s", what);
	cr_assert_eq(a->aggressor, b->aggressor, "%s", what);
	cr_assert_eq(a->sym, b->sym, "%s", what);
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
	cr_assert_eq(a->err_code, b->err_code, "%s", what);
	cr_assert_eq(a->sym_name_len, b->sym_name_len, "%s", what);
	if (a->sym_name_len)
		cr_assert(!memcmp(a->sym_name, b->sym_name, a->sym_name_len), "%s", what);
	cr_assert_eq(a->err_name_len, b->err_name_len, "%s", what);
	if (a->err_name_len)
		cr_assert(!memcmp(a->err_name, b->err_name, a->err_name_len), "%s", what);
	for (uint32_t i = 0; i < a->nbids; i++) {
		cr_assert_eq(x->b[i].px, y->b[i].px, "%s: bid %u", what, i);
		cr_assert_eq(x->b[i].qty, y->b[i].qty, "%s: bid %u", what, i);
	}
	for (uint32_t i = 0; i < a->nasks; i++) {
		cr_assert_eq(x->a[i].px, y->a[i].px, "%s: ask %u", what, i);
		cr_assert_eq(x->a[i].qty, y->a[i].qty, "%s: ask %u", what, i);
	}
}

/* s with the first 'from' replaced by 'to' (malloc'd). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s), nf = strlen(from), nt = strlen(to);
	char *r;

	cr_assert_not_null(at, "'%s' is in '%s'", from, s);
	r = malloc(n - nf + nt + 1);
	cr_assert_not_null(r);
	memcpy(r, s, (size_t)(at - s));
	memcpy(r + (at - s), to, nt);
	strcpy(r + (at - s) + nt, at + nf);
	return r;
}

static int subst_err(const char *s, const char *from, const char *to)
{
	char *v = subst(s, from, to);
	int e = dec_err(v);
	free(v);
	return e;
}

/* ---- an independent reading of the fixtures (sim's jsonr) ------------------ */

struct ref {
	const char *src;
	struct jr_tok tok[TOKS];
	int obj;                 /* the message object (inside a *_LIST array) */
};

static void ref_load(struct ref *r, const char *line)
{
	r->src = line;
	cr_assert_gt(jr_parse(line, strlen(line), r->tok, TOKS), 0, "jsonr parses %s", line);
	r->obj = r->tok[0].type == JR_ARR ? jr_at(r->tok, 0, 0) : 0;
	cr_assert_eq(r->tok[r->obj].type, JR_OBJ);
}

/* The value token of the DEFAULT or SIMPLE key in obj, or -1. */
static int ref_get(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = jr_get(r->src, r->tok, obj, dkey);
	return i >= 0 ? i : jr_get(r->src, r->tok, obj, skey);
}

/* A number at 8 decimals (the table's scales for the fixtures' symbols). */
static int64_t ref_fx(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = ref_get(r, obj, dkey, skey);
	sim_fx v;

	cr_assert_geq(i, 0, "%s present", dkey);
	cr_assert_eq(jr_fx(r->src, &r->tok[i], &v), 0, "%s is a decimal", dkey);
	return v;
}

static int64_t ref_i64(const struct ref *r, int obj, const char *dkey, const char *skey)
{
	int i = ref_get(r, obj, dkey, skey);
	int64_t v;

	cr_assert_geq(i, 0, "%s present", dkey);
	cr_assert_eq(jr_i64(r->src, &r->tok[i], &v), 0, "%s is an integer", dkey);
	return v;
}

static bool ref_is(const struct ref *r, int obj, const char *dkey, const char *skey,
		   const char *val)
{
	int i = ref_get(r, obj, dkey, skey);
	return i >= 0 && jr_eq(r->src, &r->tok[i], val);
}

static uint32_t ref_sym(const struct ref *r)
{
	int i = ref_get(r, r->obj, "code", "cd");
	char name[32];

	cr_assert_geq(jr_str(r->src, &r->tok[i], name, sizeof(name)), 0);
	return venue_symtab_find(&tab, name, strlen(name));
}

/* Count the fixture's lines. */
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

/* ---- the venue's facts ------------------------------------------------- */

Test(vd_upbit, table_holds_upbits_facts)
{
	const struct venue_md *v = &venue_md_upbit;

	cr_assert_eq(venue_md_get(KIMP_VENUE_UPBIT), v);
	cr_assert_eq(venue_md_by_name("upbit"), v);
	cr_assert_eq(v->venue, KIMP_VENUE_UPBIT);
	cr_assert_str_eq(v->name, "upbit");
	cr_assert_str_eq(v->ws_url, "wss://api.upbit.com");
	cr_assert_str_eq(v->rest_url, "https://api.upbit.com");
	cr_assert_str_eq(v->quote, "KRW");
	cr_assert_eq(v->book_mode, VENUE_BOOK_FULL);
	cr_assert(v->binary_frames, "H1: data comes in binary frames");
	cr_assert_str_eq(v->ping_text, "PING");
	cr_assert_eq(v->ping_every_ns, 20000000000ull);
	cr_assert_lt(v->ping_every_ns, 60000000000ull, "idle sockets die at ~60 s");
	cr_assert_eq(v->conn_life_ns, 0);
	cr_assert_eq(v->stale_after_ns, 10000000000ull);
	cr_assert_eq(v->streams_max, 0);
	cr_assert_eq(v->snapshot_limit, 0);
	cr_assert_not_null(v->symbol);
	cr_assert_not_null(v->ws_target);
	cr_assert_not_null(v->ws_subscribe);
	cr_assert_not_null(v->snapshot_target);
	cr_assert_not_null(v->split);
	cr_assert_not_null(v->decode);
	cr_assert_null(v->decode_snapshot);
}

Test(vd_upbit, symbol_is_quote_dash_base)
{
	char out[VENUE_SYM_MAX];

	cr_assert_eq(venue_md_upbit.symbol("BTC", "KRW", out, sizeof(out)), 7);
	cr_assert_str_eq(out, "KRW-BTC");
	cr_assert_eq(venue_md_upbit.symbol("1INCH", "USDT", out, sizeof(out)), 10);
	cr_assert_str_eq(out, "USDT-1INCH");
	/* exactly fits: 7 bytes and the NUL */
	cr_assert_eq(venue_md_upbit.symbol("BTC", "KRW", out, 8), 7);
	cr_assert_str_eq(out, "KRW-BTC");
}

Test(vd_upbit, symbol_refuses_what_upbit_does_not_spell)
{
	char out[VENUE_SYM_MAX];

	cr_assert_eq(venue_md_upbit.symbol("", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("BTC", "", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("btc", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("BTC", "krw", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("Btc", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("B-C", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("BT C", "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol(NULL, "KRW", out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("BTC", NULL, out, sizeof(out)), -EINVAL);
	cr_assert_eq(venue_md_upbit.symbol("BTC", "KRW", out, 7), -ENOSPC, "no room for the NUL");
	cr_assert_eq(venue_md_upbit.symbol("BTC", "KRW", out, 0), -ENOSPC);
	/* the table takes the venue's rule, so a lower-case coin is refused there too */
	cr_assert_eq(venue_symtab_add(&tab, "doge", "KRW", 8, 8, 1), -EINVAL);
}

Test(vd_upbit, split_inverts_symbol)
{
	char base[16], quote[16];

	cr_assert_eq(venue_md_upbit.split("KRW-BTC", 7, base, quote, sizeof(base)), 0);
	cr_assert_str_eq(base, "BTC");
	cr_assert_str_eq(quote, "KRW");
	cr_assert_eq(venue_md_upbit.split("USDT-1INCHxyz", 10, base, quote, sizeof(base)), 0,
		     "only len bytes are read");
	cr_assert_str_eq(base, "1INCH");
	cr_assert_str_eq(quote, "USDT");
	cr_assert_eq(venue_md_upbit.split("KRWBTC", 6, base, quote, sizeof(base)), -EINVAL);
	cr_assert_eq(venue_md_upbit.split("KRW-", 4, base, quote, sizeof(base)), -EINVAL);
	cr_assert_eq(venue_md_upbit.split("-BTC", 4, base, quote, sizeof(base)), -EINVAL);
	cr_assert_eq(venue_md_upbit.split("KRW-BTC-X", 9, base, quote, sizeof(base)), -EINVAL);
	cr_assert_eq(venue_md_upbit.split("krw-btc", 7, base, quote, sizeof(base)), -EINVAL);
	cr_assert_eq(venue_md_upbit.split("KRW-BTC", 7, base, quote, 3), -EINVAL,
		     "a part that does not fit with its NUL");
	cr_assert_eq(venue_md_upbit.split("KRW-BTC", 7, base, quote, 4), 0);
}

Test(vd_upbit, one_target_for_every_market_and_no_snapshot)
{
	char out[64];
	uint32_t s = 0;
	struct venue_sub sub = { .book = true };

	cr_assert_eq(venue_md_upbit.ws_target(&tab, &s, 1, &sub, out, sizeof(out)), 13);
	cr_assert_str_eq(out, "/websocket/v1");
	cr_assert_eq(venue_md_upbit.ws_target(&tab, &s, 1, &sub, out, 14), 13);
	cr_assert_eq(venue_md_upbit.ws_target(&tab, &s, 1, &sub, out, 13), -ENOSPC);
	cr_assert_eq(venue_md_upbit.snapshot_target(&tab, 0, 100, out, sizeof(out)), -ENOTSUP);
}

/* ---- the request array -------------------------------------------------- */

static void assert_subscribe(const uint32_t *syms, uint32_t n, struct venue_sub sub,
			     uint64_t ticket, const char *want)
{
	char out[1024];
	size_t len = strlen(want);

	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, syms, n, &sub, ticket, 0, out, sizeof(out)),
		     (int)len, "%s", out);
	cr_assert_str_eq(out, want);
	/* exactly enough room (with the NUL), and one byte less */
	memset(out, 0, sizeof(out));
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, syms, n, &sub, ticket, 0, out, len + 1),
		     (int)len);
	cr_assert_str_eq(out, want);
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, syms, n, &sub, ticket, 0, out, len),
		     -ENOSPC);
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, syms, n, &sub, ticket, 0, out, 0), -ENOSPC);
}

Test(vd_upbit, subscribe_book_and_trades_with_depth)
{
	uint32_t syms[] = { 0, 1 };

	assert_subscribe(syms, 2, (struct venue_sub){ .book = true, .trades = true, .depth = 15 },
			 42,
			 "[{\"ticket\":\"kimp-42\"},"
			 "{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.15\",\"KRW-ETH.15\"]},"
			 "{\"type\":\"trade\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]},"
			 "{\"format\":\"DEFAULT\"}]");
}

Test(vd_upbit, subscribe_everything_simple)
{
	uint32_t syms[] = { 2, 0 };

	assert_subscribe(syms, 2,
			 (struct venue_sub){ .book = true, .bbo = true, .trades = true,
					     .ticker = true, .simple = true },
			 UINT64_MAX,
			 "[{\"ticket\":\"kimp-18446744073709551615\"},"
			 "{\"type\":\"orderbook\",\"codes\":[\"KRW-USDT\",\"KRW-BTC\"]},"
			 "{\"type\":\"trade\",\"codes\":[\"KRW-USDT\",\"KRW-BTC\"]},"
			 "{\"type\":\"ticker\",\"codes\":[\"KRW-USDT\",\"KRW-BTC\"]},"
			 "{\"format\":\"SIMPLE\"}]");
}

Test(vd_upbit, subscribe_depth_suffixes)
{
	uint32_t s = 0;
	static const struct {
		uint32_t depth;
		const char *code;
	} cases[] = {
		{ 1, "KRW-BTC.1" }, { 5, "KRW-BTC.5" }, { 15, "KRW-BTC.15" }, { 30, "KRW-BTC.30" },
		{ 0, "KRW-BTC" }, { 2, "KRW-BTC" }, { 10, "KRW-BTC" }, { 20, "KRW-BTC" },
		{ 50, "KRW-BTC" }, { 1000, "KRW-BTC" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256];
		snprintf(want, sizeof(want),
			 "[{\"ticket\":\"kimp-0\"},{\"type\":\"orderbook\",\"codes\":[\"%s\"]},"
			 "{\"format\":\"DEFAULT\"}]",
			 cases[i].code);
		assert_subscribe(&s, 1, (struct venue_sub){ .book = true, .depth = cases[i].depth },
				 0, want);
	}
}

Test(vd_upbit, subscribe_ticker_only_has_no_suffix)
{
	uint32_t s = 1;

	assert_subscribe(&s, 1, (struct venue_sub){ .ticker = true, .depth = 5 }, 7,
			 "[{\"ticket\":\"kimp-7\"},{\"type\":\"ticker\",\"codes\":[\"KRW-ETH\"]},"
			 "{\"format\":\"DEFAULT\"}]");
}

Test(vd_upbit, subscribe_refuses_nothing_to_ask_for)
{
	char out[256];
	uint32_t s = 0, bad = 99;
	struct venue_sub book = { .book = true }, none = { 0 }, bbo = { .bbo = true };

	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, &s, 0, &book, 1, 0, out, sizeof(out)),
		     -EINVAL, "no symbols");
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, &s, 1, &none, 1, 0, out, sizeof(out)),
		     -EINVAL, "no stream");
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, &s, 1, &bbo, 1, 0, out, sizeof(out)),
		     -EINVAL, "Upbit has no BBO stream of its own");
	cr_assert_eq(venue_md_upbit.ws_subscribe(&tab, &bad, 1, &book, 1, 0, out, sizeof(out)),
		     -EINVAL, "a symbol not in the table");
}

/* ---- the fixtures --------------------------------------------------------- */

/* Levels of side 'ask' of the reference, zeros dropped, against the decode. */
static void assert_levels(const struct ref *r, const struct dm *d, bool ask, const char *what)
{
	int units = ref_get(r, r->obj, "orderbook_units", "obu");
	const struct vd_level *got = ask ? d->a : d->b;
	uint32_t n = ask ? d->m.nasks : d->m.nbids, k = 0;

	cr_assert_geq(units, 0);
	for (uint32_t i = 0; i < r->tok[units].size; i++) {
		int u = jr_at(r->tok, units, i);
		int64_t px = ask ? ref_fx(r, u, "ask_price", "ap") : ref_fx(r, u, "bid_price", "bp");
		int64_t q = ask ? ref_fx(r, u, "ask_size", "as") : ref_fx(r, u, "bid_size", "bs");
		if (!px || !q)
			continue;
		cr_assert_lt(k, n, "%s: %s level %u kept", what, ask ? "ask" : "bid", i);
		cr_assert_eq(got[k].px, px, "%s: %s %u price", what, ask ? "ask" : "bid", k);
		cr_assert_eq(got[k].qty, q, "%s: %s %u size", what, ask ? "ask" : "bid", k);
		k++;
	}
	cr_assert_eq(k, n, "%s: %s level count", what, ask ? "ask" : "bid");
}

static void check_book_line(const char *line, unsigned i)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct dm *d = calloc(1, sizeof(*d));
	char what[64];

	snprintf(what, sizeof(what), "upbit-orderbook.jsonl:%u", i + 1);
	ref_load(r, line);
	cr_assert_eq(dm_dec(d, line), 0, "%s: %s", what, vd_err_name((unsigned)-d->err));
	cr_assert_eq(d->m.kind, VD_BOOK, "%s", what);
	cr_assert_eq(d->m.venue, KIMP_VENUE_UPBIT);
	cr_assert_eq(d->m.sym, ref_sym(r), "%s", what);
	cr_assert(slice_is(d->m.sym_name, d->m.sym_name_len, "KRW-BTC"), "%s", what);
	cr_assert_geq(d->m.sym_name, d->buf, "sym_name points into the input");
	cr_assert_lt(d->m.sym_name, d->buf + strlen(line));
	cr_assert_eq(d->m.venue_ts_ns, ref_i64(r, r->obj, "timestamp", "tms") * 1000000,
		     "%s", what);
	cr_assert_eq(d->m.snapshot, ref_is(r, r->obj, "stream_type", "st", "SNAPSHOT"), "%s",
		     what);
	cr_assert_eq(d->m.trade_ts_ns, 0);
	cr_assert_eq(d->m.px, 0);
	cr_assert_eq(d->m.trade_id, 0);
	assert_levels(r, d, true, what);
	assert_levels(r, d, false, what);
	dm_free(d);
	free(d);
	free(r);
}

Test(vd_upbit, orderbook_fixture_lines_decode_to_their_values)
{
	unsigned n = fixture_lines("upbit-orderbook.jsonl");

	for (unsigned i = 0; i < n; i++) {
		char *line = test_fixture_line("upbit-orderbook.jsonl", i);
		check_book_line(line, i);
		free(line);
	}
}

Test(vd_upbit, orderbook_fixture_literals)
{
	struct dm *d = calloc(1, sizeof(*d));
	char *l;

	/* line 1: the official 30-level DEFAULT example */
	l = test_fixture_line("upbit-orderbook.jsonl", 0);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.nasks, 30);
	cr_assert_eq(d->m.nbids, 30);
	cr_assert_eq(d->m.snapshot, 1);
	cr_assert_eq(d->m.sym, 0);
	cr_assert_eq(d->m.venue_ts_ns, 1746601573804000000LL);
	cr_assert_eq(d->a[0].px, 13700200000000000LL);
	cr_assert_eq(d->a[0].qty, 10623869);
	cr_assert_eq(d->b[0].px, 13700100000000000LL);
	cr_assert_eq(d->b[0].qty, 3656812);
	cr_assert_eq(d->a[2].qty, 554330, "0.0055433");
	cr_assert_eq(d->a[11].qty, 100000, "0.001");
	cr_assert_eq(d->a[29].px, 13713700000000000LL);
	cr_assert_eq(d->b[29].px, 13686100000000000LL);
	cr_assert_eq(d->b[29].qty, 31730166);
	free(l);
	/* line 2: SIMPLE_LIST, no stream type */
	l = test_fixture_line("upbit-orderbook.jsonl", 1);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.nasks, 3);
	cr_assert_eq(d->m.nbids, 3);
	cr_assert_eq(d->m.snapshot, 0);
	cr_assert_eq(d->m.venue_ts_ns, 1751855921432000000LL);
	cr_assert_eq(d->a[2].px, 14890000000000000LL);
	cr_assert_eq(d->b[2].qty, 4667566);
	free(l);
	/* lines 3, 4: exponent prices, trailing-zero sizes, SNAPSHOT then REALTIME */
	l = test_fixture_line("upbit-orderbook.jsonl", 2);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.nasks, 2);
	cr_assert_eq(d->a[0].px, 11653900000000000LL, "1.16539E8");
	cr_assert_eq(d->b[1].px, 11653700000000000LL, "1.16537E8");
	cr_assert_eq(d->a[1].qty, 77720, "0.00077720");
	cr_assert_eq(d->m.snapshot, 1);
	free(l);
	l = test_fixture_line("upbit-orderbook.jsonl", 3);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.snapshot, 0);
	cr_assert_eq(d->b[0].qty, 6612366);
	free(l);
	dm_free(d);
	free(d);
}

Test(vd_upbit, trade_fixture_lines_decode_to_their_values)
{
	unsigned n = fixture_lines("upbit-trade.jsonl");
	struct ref *r = calloc(1, sizeof(*r));
	struct dm *d = calloc(1, sizeof(*d));

	for (unsigned i = 0; i < n; i++) {
		char *line = test_fixture_line("upbit-trade.jsonl", i);
		int o;
		ref_load(r, line);
		o = r->obj;
		cr_assert_eq(dm_dec(d, line), 0, "line %u: %s", i + 1,
			     vd_err_name((unsigned)-d->err));
		cr_assert_eq(d->m.kind, VD_TRADE);
		cr_assert_eq(d->m.venue, KIMP_VENUE_UPBIT);
		cr_assert_eq(d->m.sym, ref_sym(r));
		cr_assert_neq(d->m.sym, VENUE_SYM_NONE);
		cr_assert_eq(d->m.px, ref_fx(r, o, "trade_price", "tp"));
		cr_assert_eq(d->m.qty, ref_fx(r, o, "trade_volume", "tv"));
		cr_assert_eq(d->m.trade_id, (uint64_t)ref_i64(r, o, "sequential_id", "sid"));
		cr_assert_eq(d->m.trade_ts_ns, ref_i64(r, o, "trade_timestamp", "ttms") * 1000000);
		cr_assert_eq(d->m.venue_ts_ns, ref_i64(r, o, "timestamp", "tms") * 1000000);
		cr_assert_eq(d->m.aggressor, ref_is(r, o, "ask_bid", "ab", "ASK") ? KIMP_SIDE_SELL
										   : KIMP_SIDE_BUY);
		cr_assert_eq(d->m.snapshot, ref_is(r, o, "stream_type", "st", "SNAPSHOT"));
		if (ref_get(r, o, "best_ask_price", "bap") >= 0) {
			cr_assert_eq(d->m.ask.px, ref_fx(r, o, "best_ask_price", "bap"));
			cr_assert_eq(d->m.ask.qty, ref_fx(r, o, "best_ask_size", "bas"));
			cr_assert_eq(d->m.bid.px, ref_fx(r, o, "best_bid_price", "bbp"));
			cr_assert_eq(d->m.bid.qty, ref_fx(r, o, "best_bid_size", "bbs"));
		} else {
			cr_assert_eq(d->m.ask.px | d->m.ask.qty | d->m.bid.px | d->m.bid.qty, 0);
		}
		cr_assert_eq(d->m.nbids + d->m.nasks, 0);
		free(line);
	}
	dm_free(d);
	free(d);
	free(r);
}

Test(vd_upbit, trade_fixture_literals)
{
	struct dm *d = calloc(1, sizeof(*d));
	char *l = test_fixture_line("upbit-trade.jsonl", 0);

	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.px, 10984700000000000LL, "109847000.0");
	cr_assert_eq(d->m.qty, 509799);
	cr_assert_eq(d->m.aggressor, KIMP_SIDE_SELL, "ASK: the taker sold");
	cr_assert_eq(d->m.trade_id, 17877285547970000ull, "H4: above 2^53, exact");
	cr_assert_eq(d->m.trade_ts_ns, 1787728554797000000LL);
	cr_assert_eq(d->m.venue_ts_ns, 1787728554853000000LL);
	cr_assert_eq(d->m.ask.px, 10986700000000000LL);
	cr_assert_eq(d->m.ask.qty, 995450);
	cr_assert_eq(d->m.bid.qty, 15836730);
	free(l);
	l = test_fixture_line("upbit-trade.jsonl", 1);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.sym, 1, "KRW-ETH");
	cr_assert_eq(d->m.aggressor, KIMP_SIDE_BUY);
	free(l);
	l = test_fixture_line("upbit-trade.jsonl", 2);
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.px, 10669100000000000LL, "106691000.00000000");
	cr_assert_eq(d->m.trade_id, 17883351803770004ull);
	free(l);
	dm_free(d);
	free(d);
}

Test(vd_upbit, ticker_fixture_lines_decode_to_their_values)
{
	unsigned n = fixture_lines("upbit-ticker.jsonl");
	struct ref *r = calloc(1, sizeof(*r));
	struct dm *d = calloc(1, sizeof(*d));

	for (unsigned i = 0; i < n; i++) {
		char *line = test_fixture_line("upbit-ticker.jsonl", i);
		int o;
		ref_load(r, line);
		o = r->obj;
		cr_assert_eq(dm_dec(d, line), 0, "line %u: %s", i + 1,
			     vd_err_name((unsigned)-d->err));
		cr_assert_eq(d->m.kind, VD_TICKER);
		cr_assert_eq(d->m.sym, ref_sym(r));
		cr_assert_eq(d->m.px, ref_fx(r, o, "trade_price", "tp"));
		cr_assert_eq(d->m.qty, 0);
		cr_assert_eq(d->m.trade_ts_ns, ref_i64(r, o, "trade_timestamp", "ttms") * 1000000);
		cr_assert_eq(d->m.venue_ts_ns, ref_i64(r, o, "timestamp", "tms") * 1000000);
		cr_assert_eq(d->m.snapshot, ref_is(r, o, "stream_type", "st", "SNAPSHOT"));
		cr_assert_eq(d->m.aggressor, 0);
		cr_assert_eq(d->m.trade_id, 0);
		free(line);
	}
	dm_free(d);
	free(d);
	free(r);
}

Test(vd_upbit, ticker_fixture_literals)
{
	struct dm *d = calloc(1, sizeof(*d));
	char *l = test_fixture_line("upbit-ticker.jsonl", 1);

	/* acc_trade_price 95078733694.3792000000000000 is skipped, not refused */
	cr_assert_eq(dm_dec(d, l), 0);
	cr_assert_eq(d->m.px, 15820100000000000LL);
	cr_assert_eq(d->m.trade_ts_ns, 1758875205145000000LL);
	cr_assert_eq(d->m.venue_ts_ns, 1758875205276000000LL);
	cr_assert_eq(d->m.snapshot, 1);
	free(l);
	dm_free(d);
	free(d);
}

Test(vd_upbit, status_up_is_control)
{
	unsigned n = fixture_lines("upbit-ws-control.jsonl");
	struct dm *d = calloc(1, sizeof(*d));
	bool seen = false;

	for (unsigned i = 0; i < n; i++) {
		char *l = test_fixture_line("upbit-ws-control.jsonl", i);
		if (strstr(l, "\"status\"")) {
			cr_assert_eq(dm_dec(d, l), 0, "%s", l);
			cr_assert_eq(d->m.kind, VD_CONTROL);
			cr_assert_eq(d->m.venue, KIMP_VENUE_UPBIT);
			cr_assert_eq(d->m.sym, VENUE_SYM_NONE);
			seen = true;
		} else {
			/* our own request arrays, never sent to us */
			cr_assert_eq(dm_dec(d, l), -VD_E_SHAPE, "%s", l);
		}
		free(l);
	}
	cr_assert(seen);
	cr_assert_eq(dm_dec(d, "[{\"status\":\"UP\"}]"), 0);
	cr_assert_eq(d->m.kind, VD_CONTROL);
	cr_assert_eq(dm_dec(d, " { \"status\" : \"UP\" } \r\n"), 0);
	cr_assert_eq(d->m.kind, VD_CONTROL);
	dm_free(d);
	free(d);
}

Test(vd_upbit, ws_errors_are_venue_errors_with_their_names)
{
	static const char *const names[] = { "NO_TICKET", "INVALID_PARAM", "WRONG_FORMAT" };
	unsigned n = fixture_lines("upbit-errors.jsonl");
	struct dm *d = calloc(1, sizeof(*d));

	for (unsigned i = 0; i < 3; i++) {
		char *l = test_fixture_line("upbit-errors.jsonl", i);
		cr_assert_eq(dm_dec(d, l), 0, "%s", l);
		cr_assert_eq(d->m.kind, VD_VENUE_ERROR);
		cr_assert(slice_is(d->m.err_name, d->m.err_name_len, names[i]), "line %u", i + 1);
		cr_assert_geq(d->m.err_name, d->buf, "err_name points into the input");
		cr_assert_lt(d->m.err_name, d->buf + strlen(l));
		cr_assert_eq(d->m.err_code, 0);
		free(l);
	}
	/* the REST error bodies have the same shape */
	for (unsigned i = 3; i < n; i++) {
		char *l = test_fixture_line("upbit-errors.jsonl", i);
		cr_assert_eq(dm_dec(d, l), 0, "%s", l);
		cr_assert_eq(d->m.kind, VD_VENUE_ERROR);
		cr_assert_gt(d->m.err_name_len, 0);
		free(l);
	}
	/* the quotation API's numeric name */
	cr_assert_eq(dm_dec(d, "{\"error\":{\"name\":404,\"message\":\"Code not found\"}}"), 0);
	cr_assert_eq(d->m.kind, VD_VENUE_ERROR);
	cr_assert_eq(d->m.err_code, 404);
	cr_assert(slice_is(d->m.err_name, d->m.err_name_len, "404"));
	cr_assert_eq(dm_dec(d, "{\"error\":{\"name\":\"NO_TYPE\"}}"), 0, "message is optional");
	cr_assert(slice_is(d->m.err_name, d->m.err_name_len, "NO_TYPE"));
	dm_free(d);
	free(d);
}

/* ---- every prefix, every byte -------------------------------------------- */

static void assert_prefixes_fail(const char *line, const char *what)
{
	struct dm *d = calloc(1, sizeof(*d));
	size_t n = strlen(line);

	cr_assert_eq(dm_dec(d, line), 0, "%s decodes whole", what);
	for (size_t len = 0; len < n; len++)
		cr_assert_neq(dm_dec_cap(d, line, len, CAP), 0, "%s cut at %zu decoded", what, len);
	dm_free(d);
	free(d);
}

static const char *const data_files[] = {
	"upbit-orderbook.jsonl", "upbit-trade.jsonl", "upbit-ticker.jsonl",
};

Test(vd_upbit, every_truncation_is_an_error)
{
	for (size_t f = 0; f < sizeof(data_files) / sizeof(data_files[0]); f++) {
		unsigned n = fixture_lines(data_files[f]);
		for (unsigned i = 0; i < n; i++) {
			char *l = test_fixture_line(data_files[f], i);
			char what[64];
			snprintf(what, sizeof(what), "%s:%u", data_files[f], i + 1);
			assert_prefixes_fail(l, what);
			free(l);
		}
	}
	assert_prefixes_fail("{\"status\":\"UP\"}", "status");
	for (unsigned i = 0; i < 3; i++) {
		char *l = test_fixture_line("upbit-errors.jsonl", i);
		assert_prefixes_fail(l, "error");
		free(l);
	}
}

/* Every byte replaced by a few troublemakers: an answer, never a crash. */
Test(vd_upbit, every_byte_corrupted_gives_an_answer)
{
	static const char bad[] = { '"', '}', ']', ',', ':', '0', '-', 'e', '.', ' ', '\\', 1 };
	char *l = test_fixture_line("upbit-trade.jsonl", 0);
	size_t n = strlen(l);
	struct dm *d = calloc(1, sizeof(*d));
	char *v = malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(bad); k++) {
			memcpy(v, l, n + 1);
			v[i] = bad[k];
			if (!dm_dec_cap(d, v, n, CAP))
				cr_assert_eq(d->m.kind, VD_TRADE);
		}
	}
	free(v);
	free(l);
	dm_free(d);
	free(d);
}

/* ---- orders, spaces, lists ------------------------------------------------- */

struct sb {
	char *p;
	size_t n;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	cr_assert_lt(b->n + n, (size_t)BIG);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

#define SB_LIT(b, s) sb_put(b, s, strlen(s))

/* Rewrite value i: object members reversed (rev), spaces between all tokens (sp). */
static void emit(struct sb *o, const struct ref *r, int i, bool rev, bool sp)
{
	const struct jr_tok *t = &r->tok[i];
	const char *ws = sp ? " \n\t " : "";

	switch (t->type) {
	case JR_OBJ:
		SB_LIT(o, "{");
		for (uint32_t m = 0; m < t->size; m++) {
			int k = jr_member(r->tok, i, rev ? t->size - 1 - m : m);
			if (m)
				SB_LIT(o, ",");
			SB_LIT(o, ws);
			SB_LIT(o, "\"");
			sb_put(o, r->src + r->tok[k].start, r->tok[k].len);
			SB_LIT(o, "\"");
			SB_LIT(o, ws);
			SB_LIT(o, ":");
			SB_LIT(o, ws);
			emit(o, r, k + 1, rev, sp);
			SB_LIT(o, ws);
		}
		SB_LIT(o, "}");
		break;
	case JR_ARR:
		SB_LIT(o, "[");
		for (uint32_t e = 0; e < t->size; e++) {
			if (e)
				SB_LIT(o, ",");
			SB_LIT(o, ws);
			emit(o, r, jr_at(r->tok, i, e), rev, sp);
			SB_LIT(o, ws);
		}
		SB_LIT(o, "]");
		break;
	case JR_STR:
		SB_LIT(o, "\"");
		sb_put(o, r->src + t->start, t->len);
		SB_LIT(o, "\"");
		break;
	default:
		sb_put(o, r->src + t->start, t->len);
	}
}

static char *rewrite(const char *line, bool rev, bool sp)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct sb o = { .p = malloc(BIG) };

	ref_load(r, line);
	o.p[0] = '\0';
	emit(&o, r, 0, rev, sp);
	free(r);
	return o.p;
}

/* The line rewritten decodes exactly like the line. */
static void assert_rewrite_same(const char *line, bool rev, bool sp, const char *what)
{
	struct dm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char *v = rewrite(line, rev, sp);

	dm_dec(a, line);
	dm_dec(b, v);
	cr_assert_eq(a->err, 0, "%s", what);
	assert_same(a, b, what);
	free(v);
	dm_free(a);
	dm_free(b);
	free(a);
	free(b);
}

static void for_each_data_line(void (*fn)(const char *line, const char *what))
{
	for (size_t f = 0; f < sizeof(data_files) / sizeof(data_files[0]); f++) {
		unsigned n = fixture_lines(data_files[f]);
		for (unsigned i = 0; i < n; i++) {
			char *l = test_fixture_line(data_files[f], i);
			char what[64];
			snprintf(what, sizeof(what), "%s:%u", data_files[f], i + 1);
			fn(l, what);
			free(l);
		}
	}
}

static void reversed(const char *l, const char *what)
{
	assert_rewrite_same(l, true, false, what);
}

static void spaced(const char *l, const char *what)
{
	assert_rewrite_same(l, false, true, what);
	assert_rewrite_same(l, true, true, what);
}

Test(vd_upbit, keys_in_reverse_order_decode_the_same)
{
	for_each_data_line(reversed);
	assert_rewrite_same("{\"error\":{\"name\":\"NO_TICKET\",\"message\":\"x\"}}", true, false,
			    "error");
}

Test(vd_upbit, spaces_between_all_tokens_decode_the_same)
{
	for_each_data_line(spaced);
}

static void reversed_truncated(const char *l, const char *what)
{
	char *v = rewrite(l, true, false);
	assert_prefixes_fail(v, what);
	free(v);
}

Test(vd_upbit, reverse_order_truncations_are_errors)
{
	for_each_data_line(reversed_truncated);
}

static void listed(const char *l, const char *what)
{
	struct dm *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	size_t n = strlen(l);
	char *v = malloc(n + 8);

	if (l[0] == '[') {
		/* already a *_LIST line: unwrap it */
		memcpy(v, l + 1, n - 2);
		v[n - 2] = '\0';
	} else {
		snprintf(v, n + 8, "[ %s ]\n", l);
	}
	dm_dec(a, l);
	dm_dec(b, v);
	cr_assert_eq(a->err, 0, "%s", what);
	assert_same(a, b, what);
	free(v);
	dm_free(a);
	dm_free(b);
	free(a);
	free(b);
}

Test(vd_upbit, list_form_decodes_like_the_bare_message)
{
	for_each_data_line(listed);
}

Test(vd_upbit, list_form_holds_one_message)
{
	char *l = test_fixture_line("upbit-trade.jsonl", 0);
	size_t n = strlen(l);
	char *two = malloc(2 * n + 4), *open = malloc(n + 2);

	snprintf(two, 2 * n + 4, "[%s,%s]", l, l);
	cr_assert_eq(dec_err(two), -VD_E_SHAPE, "two messages in one array");
	snprintf(two, 2 * n + 4, "[%s,%s", l, l);
	cr_assert_eq(dec_err(two), -VD_E_SYNTAX);
	snprintf(open, n + 2, "[%s", l);
	cr_assert_eq(dec_err(open), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("[]"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("[] x"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("[1]"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("[[{\"status\":\"UP\"}]]"), -VD_E_SHAPE);
	free(two);
	free(open);
	free(l);
}

/* ---- SIMPLE keys, written by hand ---------------------------------------- */

static const char SIMPLE_TRADE[] =
	"{\"ty\":\"trade\",\"cd\":\"KRW-BTC\",\"tms\":1787728554853,\"td\":\"2026-08-26\","
	"\"ttm\":\"07:15:54\",\"ttms\":1787728554797,\"tp\":1.09847E8,\"tv\":7.9276E-4,"
	"\"ab\":\"BID\",\"pcp\":1.09165E8,\"c\":\"RISE\",\"cp\":682000.0,"
	"\"sid\":17877285547970001,\"bap\":1.09867E8,\"bas\":5.0E-4,\"bbp\":1.09847E8,"
	"\"bbs\":0.1583673,\"st\":\"REALTIME\"}";

static const char SIMPLE_TICKER[] =
	"{\"ty\":\"ticker\",\"cd\":\"KRW-ETH\",\"op\":3.394E6,\"hp\":3.5E6,\"lp\":3.3E6,"
	"\"tp\":3427000,\"pcp\":3427000.00000000,\"atp\":1386929.37231066771348207123,"
	"\"c\":\"EVEN\",\"cp\":0E-8,\"scp\":0E-8,\"cr\":0,\"scr\":-0.0000063211,\"ab\":\"ASK\","
	"\"tv\":0.1,\"atv\":2.5,\"tdt\":\"20250926\",\"ttm\":\"082645\",\"ttms\":1758875205145,"
	"\"aav\":1,\"abv\":1.5,\"h52wp\":4E6,\"h52wdt\":\"2025-08-14\",\"l52wp\":2E6,"
	"\"l52wdt\":\"2024-10-10\",\"ms\":\"ACTIVE\",\"its\":false,\"dd\":null,\"mw\":\"NONE\","
	"\"tms\":1758875205276,\"atp24h\":331187169240.21526,\"atv24h\":2083.82485091,"
	"\"st\":\"SNAPSHOT\"}";

static const char SIMPLE_BOOK[] =
	"{\"ty\":\"orderbook\",\"cd\":\"KRW-BTC\",\"tms\":1790134742106,\"tas\":7.9276E-4,"
	"\"tbs\":0.5,\"obu\":[{\"ap\":1.16539E8,\"bp\":1.16538E8,\"as\":7.9276E-4,\"bs\":5.0E-4},"
	"{\"ap\":1.1654E8,\"bp\":0,\"as\":0.1,\"bs\":0}],\"st\":\"SNAPSHOT\",\"lv\":0}";

Test(vd_upbit, simple_keys_and_java_number_forms)
{
	struct dm *d = calloc(1, sizeof(*d));

	cr_assert_eq(dm_dec(d, SIMPLE_TRADE), 0);
	cr_assert_eq(d->m.kind, VD_TRADE);
	cr_assert_eq(d->m.px, 10984700000000000LL);
	cr_assert_eq(d->m.qty, 79276, "7.9276E-4");
	cr_assert_eq(d->m.aggressor, KIMP_SIDE_BUY);
	cr_assert_eq(d->m.trade_id, 17877285547970001ull, "not rounded to a double");
	cr_assert_eq(d->m.ask.qty, 50000, "5.0E-4");
	cr_assert_eq(d->m.bid.qty, 15836730);
	cr_assert_eq(d->m.snapshot, 0);

	cr_assert_eq(dm_dec(d, SIMPLE_TICKER), 0);
	cr_assert_eq(d->m.kind, VD_TICKER);
	cr_assert_eq(d->m.sym, 1);
	cr_assert_eq(d->m.px, 342700000000000LL);
	cr_assert_eq(d->m.snapshot, 1);
	cr_assert_eq(d->m.venue_ts_ns, 1758875205276000000LL);

	cr_assert_eq(dm_dec(d, SIMPLE_BOOK), 0);
	cr_assert_eq(d->m.kind, VD_BOOK);
	cr_assert_eq(d->m.nasks, 2);
	cr_assert_eq(d->m.nbids, 1, "the padded bid (0 / 0) is dropped");
	cr_assert_eq(d->a[0].px, 11653900000000000LL);
	cr_assert_eq(d->a[0].qty, 79276);
	cr_assert_eq(d->b[0].qty, 50000);
	cr_assert_eq(d->a[1].px, 11654000000000000LL);
	cr_assert_eq(d->a[1].qty, 10000000);
	dm_free(d);
	free(d);

	assert_rewrite_same(SIMPLE_TRADE, true, false, "simple trade reversed");
	assert_rewrite_same(SIMPLE_TICKER, true, true, "simple ticker reversed, spaced");
	assert_rewrite_same(SIMPLE_BOOK, true, false, "simple book reversed");
	assert_prefixes_fail(SIMPLE_TICKER, "simple ticker");
	assert_prefixes_fail(SIMPLE_BOOK, "simple book");
}

/* ---- errors ------------------------------------------------------------------ */

static const char BOOK[] =
	"{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1700000000000,"
	"\"total_ask_size\":1.5,\"total_bid_size\":2.5,\"orderbook_units\":["
	"{\"ask_price\":101,\"bid_price\":99,\"ask_size\":1,\"bid_size\":2},"
	"{\"ask_price\":102,\"bid_price\":98,\"ask_size\":0.5,\"bid_size\":0.25}],"
	"\"stream_type\":\"REALTIME\",\"level\":0}";

static const char TRADE[] =
	"{\"type\":\"trade\",\"code\":\"KRW-BTC\",\"timestamp\":1700000000100,"
	"\"trade_timestamp\":1700000000050,\"trade_price\":100.5,\"trade_volume\":0.25,"
	"\"ask_bid\":\"BID\",\"sequential_id\":9007199254740993,\"stream_type\":\"REALTIME\"}";

static const char TICKER[] =
	"{\"type\":\"ticker\",\"code\":\"KRW-ETH\",\"trade_price\":3427000,"
	"\"change_price\":0E-8,\"acc_trade_price\":95078733694.3792000000000000,"
	"\"trade_timestamp\":1700000000050,\"timestamp\":1700000000100,"
	"\"delisting_date\":null,\"is_trading_suspended\":false,\"stream_type\":\"SNAPSHOT\"}";

Test(vd_upbit, handmade_messages_decode)
{
	struct dm *d = calloc(1, sizeof(*d));

	cr_assert_eq(dm_dec(d, BOOK), 0);
	cr_assert_eq(d->m.nasks, 2);
	cr_assert_eq(d->a[1].qty, 50000000);
	cr_assert_eq(d->b[1].qty, 25000000);
	cr_assert_eq(dm_dec(d, TRADE), 0);
	cr_assert_eq(d->m.trade_id, 9007199254740993ull, "2^53 + 1");
	cr_assert_eq(d->m.px, 10050000000LL);
	cr_assert_eq(d->m.ask.px | d->m.ask.qty | d->m.bid.px | d->m.bid.qty, 0,
		     "no best_* fields: 0");
	cr_assert_eq(dm_dec(d, TICKER), 0);
	cr_assert_eq(d->m.px, 342700000000000LL);
	dm_free(d);
	free(d);
}

struct ecase {
	const char *msg;     /* BOOK, TRADE or TICKER */
	const char *from, *to;
	int err;
};

#define E(m, f, t, e) { m, f, t, -(e) }

static const struct ecase ecases[] = {
	/* broken JSON */
	E(BOOK, "\"ask_price\":101", "\"ask_price\":1.0.1", VD_E_SYNTAX),
	E(TRADE, "100.5", "100.", VD_E_SYNTAX),
	E(TRADE, "100.5", "0100", VD_E_SYNTAX),
	E(TRADE, "100.5", ".5", VD_E_SYNTAX),
	E(TRADE, "100.5", "1e", VD_E_SYNTAX),
	E(TRADE, "100.5", "+1", VD_E_SYNTAX),
	E(TRADE, "100.5", "-", VD_E_SYNTAX),
	E(TRADE, "1700000000100", "17000x", VD_E_SYNTAX),
	E(TRADE, "\"KRW-BTC\",", "\"KRW-BTC\" ", VD_E_SYNTAX),
	E(TRADE, "\"code\":", "\"code\" ", VD_E_SYNTAX),
	E(BOOK, "0.25}]", "0.25},]", VD_E_SYNTAX),
	E(BOOK, "\"bid_size\":2}", "\"bid_size\":2,}", VD_E_SYNTAX),
	E(TRADE, "REALTIME", "REAL\tTIME", VD_E_SYNTAX),
	E(TRADE, "REALTIME", "REAL\\xTIME", VD_E_SYNTAX),
	E(TRADE, "REALTIME\"}", "REALTIME\"}}", VD_E_SYNTAX),
	E(TICKER, "null", "nul", VD_E_SYNTAX),
	E(TICKER, "false", "fals", VD_E_SYNTAX),
	E(TICKER, "0E-8", "0E-", VD_E_SYNTAX),
	/* numbers that are not numbers, or do not fit */
	E(TRADE, "100.5", "\"abc\"", VD_E_NUMBER),
	E(TRADE, "100.5", "100.123456789", VD_E_NUMBER),
	E(TRADE, "0.25", "0.000000001", VD_E_NUMBER),
	E(TRADE, "100.5", "1e20", VD_E_NUMBER),
	E(TRADE, "100.5", "-100.5", VD_E_NUMBER),
	E(BOOK, "\"ask_size\":1", "\"ask_size\":-1", VD_E_NUMBER),
	E(TRADE, "1700000000100", "-1", VD_E_NUMBER),
	E(TRADE, "1700000000100", "1.5", VD_E_NUMBER),
	E(TRADE, "1700000000100", "9223372036855", VD_E_NUMBER),
	E(TRADE, "9007199254740993", "18446744073709551616", VD_E_NUMBER),
	E(TRADE, "9007199254740993", "-1", VD_E_NUMBER),
	E(TRADE, "9007199254740993", "1.5", VD_E_NUMBER),
	E(BOOK, "1.5", "\"x\"", VD_E_NUMBER),
	/* wrong types */
	E(TRADE, "\"KRW-BTC\"", "5", VD_E_SHAPE),
	E(TRADE, "\"trade\"", "null", VD_E_SHAPE),
	E(TRADE, "100.5", "true", VD_E_SHAPE),
	E(TRADE, "100.5", "[100.5]", VD_E_SHAPE),
	E(TRADE, "100.5", "{}", VD_E_SHAPE),
	E(TRADE, "1700000000100", "{}", VD_E_SHAPE),
	E(TRADE, "\"BID\"", "\"SELL\"", VD_E_SHAPE),
	E(TRADE, "\"BID\"", "1", VD_E_SHAPE),
	E(TRADE, "\"REALTIME\"", "1", VD_E_SHAPE),
	E(BOOK, "\"orderbook_units\":[", "\"orderbook_units\":{},\"x\":[", VD_E_SHAPE),
	E(BOOK, "\"orderbook_units\":[{", "\"orderbook_units\":[1,{", VD_E_SHAPE),
	E(BOOK, "1.5", "{}", VD_E_SHAPE),
	E(BOOK, "\"level\":0", "\"level\":\"0\"", 0),
	E(BOOK, "\"level\":0", "\"level\":[]", VD_E_SHAPE),
	/* missing fields */
	E(BOOK, "\"timestamp\":1700000000000,", "", VD_E_SHAPE),
	E(BOOK, "\"code\":\"KRW-BTC\",", "", VD_E_SHAPE),
	E(BOOK, "\"type\":\"orderbook\",", "", VD_E_SHAPE),
	E(BOOK, ",\"bid_size\":2", "", VD_E_SHAPE),
	E(TRADE, ",\"sequential_id\":9007199254740993", "", VD_E_SHAPE),
	E(TRADE, "\"ask_bid\":\"BID\",", "", VD_E_SHAPE),
	E(TRADE, "\"trade_volume\":0.25,", "", VD_E_SHAPE),
	E(TRADE, "\"trade_timestamp\":1700000000050,", "", VD_E_SHAPE),
	E(TICKER, "\"trade_price\":3427000,", "", VD_E_SHAPE),
	/* optional fields */
	E(BOOK, ",\"stream_type\":\"REALTIME\"", "", 0),
	E(BOOK, "\"total_ask_size\":1.5,\"total_bid_size\":2.5,", "", 0),
	E(TRADE, ",\"stream_type\":\"REALTIME\"", "", 0),
	/* repeated keys */
	E(TRADE, "\"code\":", "\"type\":\"trade\",\"code\":", VD_E_SHAPE),
	E(TRADE, "\"code\":", "\"ty\":\"trade\",\"code\":", VD_E_SHAPE),
	E(TRADE, "\"timestamp\":", "\"tms\":1,\"timestamp\":", VD_E_SHAPE),
	E(TRADE, "\"trade_price\":", "\"tp\":1,\"trade_price\":", VD_E_SHAPE),
	E(BOOK, "\"bid_price\":99", "\"bid_price\":99,\"bp\":99", VD_E_SHAPE),
	E(BOOK, "\"level\":0", "\"level\":0,\"orderbook_units\":[]", VD_E_SHAPE),
	/* repeated keys the pre-pass finds (a scaled value comes first) */
	E(TRADE, "{\"type\":\"trade\",", "{\"trade_price\":1,\"type\":\"trade\",\"ty\":\"trade\",",
	  VD_E_SHAPE),
	E(TRADE, "{\"type\":\"trade\",",
	  "{\"trade_price\":1,\"type\":\"trade\",\"cd\":\"KRW-BTC\",", VD_E_SHAPE),
	/* unknown symbols, types and statuses */
	E(TRADE, "KRW-BTC", "KRW-DOGE", VD_E_SYMBOL),
	E(TRADE, "{\"type\":\"trade\",\"code\":\"KRW-BTC\",",
	  "{\"trade_price\":1,\"code\":\"KRW-DOGE\",\"type\":\"trade\",", VD_E_SYMBOL),
	E(TRADE, "\"trade\"", "\"candle.1s\"", VD_E_TYPE),
	E(TRADE, "\"trade\"", "\"myOrder\"", VD_E_TYPE),
	E(TRADE, "{\"type\":\"trade\",", "{\"trade_price\":1,\"type\":\"myAsset\",", VD_E_TYPE),
	E(TRADE, "\"trade\"", "\"Trade\"", VD_E_TYPE),
	/* the pre-pass without what it looks for */
	E(TRADE, "\"type\":\"trade\",", "\"trade_volume\":1,", VD_E_SHAPE),
	E(TRADE, "{\"type\":\"trade\",\"code\":\"KRW-BTC\",", "{\"trade_price\":1,\"type\":\"trade\",",
	  VD_E_SHAPE),
	E(TRADE, "{\"type\":\"trade\",", "{\"trade_price\":1,\"type\":\"trade\",\"x\":[}",
	  VD_E_SYNTAX),
	/* an escaped key is not one of the venue's keys */
	E(TRADE, "\"type\":", "\"typ\\u0065\":", VD_E_SHAPE),
	/* control messages mixed with data */
	E(TRADE, "{", "{\"status\":\"UP\",", VD_E_SHAPE),
	E(TRADE, "{", "{\"error\":{\"name\":\"X\"},", VD_E_SHAPE),
	/* H3: the ticker's other numbers are checked, not scaled */
	E(TICKER, "0E-8", "1.00000000000000000001", 0),
	E(TICKER, "0E-8", "-1e400", 0),
	/* quoted numbers are numbers */
	E(TRADE, "100.5", "\"100.5\"", 0),
	E(TRADE, "1700000000100", "\"1700000000100\"", 0),
	E(TRADE, "9007199254740993", "\"9007199254740993\"", 0),
	E(TRADE, "9007199254740993", "18446744073709551615", 0),
};

Test(vd_upbit, every_documented_error)
{
	for (size_t i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		const struct ecase *c = &ecases[i];
		char *v = subst(c->msg, c->from, c->to);
		int e = dec_err(v);
		cr_assert_eq(e, c->err, "case %zu: %s -> %s: %s (%d), want %s", i, c->from, c->to,
			     vd_err_name((unsigned)-e), e, vd_err_name((unsigned)-c->err));
		free(v);
	}
}

/* A skipped value nested n deep in the ticker. */
static int nested_err(unsigned n)
{
	char deep[256] = "";
	int e;

	for (unsigned i = 0; i < n; i++)
		strcat(deep, "[");
	strcat(deep, "1");
	for (unsigned i = 0; i < n; i++)
		strcat(deep, "]");
	e = subst_err(TICKER, "null", deep);
	return e;
}

Test(vd_upbit, skipped_values_are_checked_to_the_depth_limit)
{
	cr_assert_eq(nested_err(JS_DEPTH_MAX_TEST), 0);
	cr_assert_eq(nested_err(JS_DEPTH_MAX_TEST + 1), -VD_E_SYNTAX);
}

Test(vd_upbit, unknown_symbol_names_the_code)
{
	struct dm *d = calloc(1, sizeof(*d));
	char *v = subst(TRADE, "KRW-BTC", "KRW-DOGE");

	cr_assert_eq(dm_dec(d, v), -VD_E_SYMBOL);
	cr_assert(slice_is(d->m.sym_name, d->m.sym_name_len, "KRW-DOGE"),
		  "sym_name is kept for the caller to add the symbol");
	cr_assert_eq(d->m.sym, VENUE_SYM_NONE);
	free(v);
	dm_free(d);
	free(d);
}

Test(vd_upbit, messages_that_are_not_objects)
{
	cr_assert_eq(dec_err(""), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("   "), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("{"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("{}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("\"PONG\""), -VD_E_SHAPE);
	cr_assert_eq(dec_err("5"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("null"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("PONG"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("5 5"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("{\"method\":\"LIST_SUBSCRIPTIONS\",\"result\":[],\"ticket\":\"t\"}"),
		     -VD_E_SHAPE);
}

Test(vd_upbit, status_and_error_shapes)
{
	cr_assert_eq(dec_err("{\"status\":\"DOWN\"}"), -VD_E_TYPE);
	cr_assert_eq(dec_err("{\"status\":1}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"status\":\"UP\",\"status\":\"UP\"}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"status\":\"UP\",\"note\":[1]}"), 0, "unknown keys are skipped");
	cr_assert_eq(dec_err("{\"error\":\"NO_TICKET\"}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"error\":{\"message\":\"x\"}}"), -VD_E_SHAPE, "no name");
	cr_assert_eq(dec_err("{\"error\":{\"name\":\"A\",\"name\":\"B\"}}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"error\":{\"name\":true}}"), -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"error\":{\"name\":2147483648}}"), -VD_E_NUMBER);
	cr_assert_eq(dec_err("{\"error\":{\"name\":-2147483648}}"), 0);
	cr_assert_eq(dec_err("{\"error\":{\"name\":\"X\",\"message\":\"a\\u00e9\"}}"), 0);
	cr_assert_eq(dec_err("{\"error\":{\"name\":\"X\",\"message\":\"a\\q\"}}"), -VD_E_SYNTAX);
	cr_assert_eq(dec_err("{\"error\":{\"name\":\"X\"},\"error\":{\"name\":\"Y\"}}"),
		     -VD_E_SHAPE);
	cr_assert_eq(dec_err("{\"error\":{\"name\":\"X\"}"), -VD_E_SYNTAX);
}

Test(vd_upbit, more_units_than_the_caller_holds)
{
	char *l = test_fixture_line("upbit-orderbook.jsonl", 0);
	struct dm *d = calloc(1, sizeof(*d));

	cr_assert_eq(dm_dec_cap(d, l, strlen(l), 30), 0);
	cr_assert_eq(dm_dec_cap(d, l, strlen(l), 29), -VD_E_DEPTH);
	cr_assert_eq(dm_dec_cap(d, BOOK, strlen(BOOK), 2), 0);
	cr_assert_eq(dm_dec_cap(d, BOOK, strlen(BOOK), 1), -VD_E_DEPTH);
	cr_assert_eq(dm_dec_cap(d, BOOK, strlen(BOOK), 0), -VD_E_DEPTH);
	/* units are counted, padded ones too */
	char *v = subst(BOOK, "{\"ask_price\":102,\"bid_price\":98,\"ask_size\":0.5,\"bid_size\":0.25}",
			"{\"ask_price\":0,\"bid_price\":0,\"ask_size\":0,\"bid_size\":0}");
	cr_assert_eq(dm_dec_cap(d, v, strlen(v), 1), -VD_E_DEPTH);
	cr_assert_eq(dm_dec_cap(d, v, strlen(v), 2), 0);
	cr_assert_eq(d->m.nasks, 1);
	free(v);
	free(l);
	dm_free(d);
	free(d);
}

Test(vd_upbit, a_side_out_of_order_is_refused)
{
	/* asks must rise, bids fall, strictly */
	cr_assert_eq(subst_err(BOOK, "\"ask_price\":102", "\"ask_price\":100"), -VD_E_SHAPE);
	cr_assert_eq(subst_err(BOOK, "\"ask_price\":102", "\"ask_price\":101"), -VD_E_SHAPE);
	cr_assert_eq(subst_err(BOOK, "\"bid_price\":98", "\"bid_price\":99.5"), -VD_E_SHAPE);
	cr_assert_eq(subst_err(BOOK, "\"bid_price\":98", "\"bid_price\":99"), -VD_E_SHAPE);
	/* a crossed pair inside one unit is the venue's business, not the shape's */
	cr_assert_eq(subst_err(BOOK, "\"bid_price\":99", "\"bid_price\":101.5"), 0);
	/* the order is checked among kept levels: a dropped level does not count */
	cr_assert_eq(subst_err(BOOK, "\"ask_price\":101,\"bid_price\":99,\"ask_size\":1",
			       "\"ask_price\":200,\"bid_price\":99,\"ask_size\":0"), 0);
}

Test(vd_upbit, zero_levels_are_dropped_side_by_side)
{
	struct dm *d = calloc(1, sizeof(*d));
	static const char thin[] =
		"{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1,\"orderbook_units\":["
		"{\"ask_price\":101,\"bid_price\":99,\"ask_size\":1,\"bid_size\":0},"
		"{\"ask_price\":0,\"bid_price\":98,\"ask_size\":3,\"bid_size\":2},"
		"{\"ask_price\":103,\"bid_price\":97,\"ask_size\":1,\"bid_size\":1},"
		"{\"ask_price\":0,\"bid_price\":0,\"ask_size\":0,\"bid_size\":0}]}";

	cr_assert_eq(dm_dec(d, thin), 0);
	cr_assert_eq(d->m.nasks, 2);
	cr_assert_eq(d->a[0].px, 10100000000LL);
	cr_assert_eq(d->a[1].px, 10300000000LL);
	cr_assert_eq(d->m.nbids, 2);
	cr_assert_eq(d->b[0].px, 9800000000LL);
	cr_assert_eq(d->b[1].px, 9700000000LL);
	cr_assert_eq(dm_dec(d, "{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1,"
			       "\"orderbook_units\":[]}"), 0, "an empty book is a book");
	cr_assert_eq(d->m.kind, VD_BOOK);
	cr_assert_eq(d->m.nasks + d->m.nbids, 0);
	dm_free(d);
	free(d);
}

Test(vd_upbit, numbers_finer_than_the_scale_are_refused)
{
	/* KRW-XRP has px_dec 0, qty_dec 4 in this table */
	char *x = subst(TRADE, "KRW-BTC", "KRW-XRP");
	struct dm *d = calloc(1, sizeof(*d));

	cr_assert_eq(subst_err(x, "100.5", "100.0"), 0);
	cr_assert_eq(subst_err(x, "100.5", "1.005E2"), -VD_E_NUMBER);
	cr_assert_eq(dec_err(x), -VD_E_NUMBER, "100.5 at 0 decimals");
	cr_assert_eq(subst_err(x, "0.25", "0.00001"), -VD_E_NUMBER);
	char *y = subst(x, "100.5", "1E3");
	cr_assert_eq(dm_dec(d, y), 0);
	cr_assert_eq(d->m.px, 1000);
	cr_assert_eq(d->m.qty, 2500);
	free(y);
	free(x);
	dm_free(d);
	free(d);
}

Test(vd_upbit, trailing_spaces_pass_and_garbage_does_not)
{
	char *v;

	v = subst(TRADE, "REALTIME\"}", "REALTIME\"} \r\n\t");
	cr_assert_eq(dec_err(v), 0);
	free(v);
	v = subst(TRADE, "REALTIME\"}", "REALTIME\"} x");
	cr_assert_eq(dec_err(v), -VD_E_SYNTAX);
	free(v);
	v = subst(TRADE, "REALTIME\"}", "REALTIME\"}{}");
	cr_assert_eq(dec_err(v), -VD_E_SYNTAX);
	free(v);
}

Test(vd_upbit, decode_clears_what_the_last_message_left)
{
	struct dm *d = calloc(1, sizeof(*d));

	cr_assert_eq(dm_dec(d, TRADE), 0);
	cr_assert_eq(d->m.kind, VD_TRADE);
	cr_assert_eq(dm_dec(d, "{\"status\":\"UP\"}"), 0);
	cr_assert_eq(d->m.kind, VD_CONTROL);
	cr_assert_eq(d->m.px, 0);
	cr_assert_eq(d->m.trade_id, 0);
	cr_assert_eq(d->m.venue_ts_ns, 0);
	cr_assert_eq(d->m.sym, VENUE_SYM_NONE);
	cr_assert_null(d->m.sym_name);
	cr_assert_null(d->m.err_name);
	cr_assert_eq(d->m.cap, CAP, "the caller's cap stays");
	cr_assert_eq(d->m.bids, d->b);
	cr_assert_eq(d->m.asks, d->a);
	dm_free(d);
	free(d);
}
