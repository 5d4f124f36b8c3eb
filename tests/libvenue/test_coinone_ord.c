/* SPDX-License-Identifier: MIT */
/*
 * libvenue/coinone_ord.c: the table, keys, both Coinone vectors of
 * testvectors-kr-auth.jsonl (the REST place-order payload and signature,
 * reproduced byte for byte by the builder; the private WebSocket's
 * handshake headers), the request bytes of each order type and operation
 * against bytes made here independently (snprintf, venue_b64_encode, the
 * one-shot HMAC), every Coinone REST and error capture parsed to its
 * values and outcome, the rate headers from real response bytes, the
 * private stream's subscription and messages, malformed input, and the
 * boundaries (buffer sizes, client id case, scales).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "../../sim/sim.h"
#include "../testutil.h"

#define C (&venue_ord_coinone)
#define HOST "api.coinone.co.kr"
#define AKEY "test-access-key-0123456789"
#define SECRET "test-secret-key-0123456789"
#define NONCE "3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b"
#define NOW_MS 1790134177753ll
#define REQ_CAP 8192
#define TOKS 512

enum { S_BTC = 0, S_USDT, S_XRP };

static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_COINONE);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 0, 8, 1), S_BTC);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 0, 4, 2), S_USDT);
	cr_assert_eq(venue_symtab_add(&tab, "XRP", "KRW", 1, 4, 3), S_XRP);
	cr_assert_eq(C->key_init(&keys, AKEY, SECRET, strlen(SECRET), NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = C;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.now_ns = NOW_MS * 1000000;
	ctx.rng[0] = 1;
	ctx.rng[1] = 2;
	ctx.fixed_nonce = NONCE;
}

TestSuite(coinone_ord, .init = setup);

/* ---- helpers -------------------------------------------------------------------- */

/* A string field of a fixture line's JSON (jsonr), malloc'd. */
static char *vec_field(const char *line, const char *key)
{
	struct jr_tok tok[64];
	int i;
	char *out = malloc(4096);

	cr_assert_gt(jr_parse(line, strlen(line), tok, 64), 0);
	i = jr_get(line, tok, 0, key);
	cr_assert_geq(i, 0, "%s", key);
	cr_assert_geq(jr_str(line, &tok[i], out, 4096), 0);
	return out;
}

/* The Coinone line of testvectors-kr-auth.jsonl whose case starts with 'what'. */
static char *vector(const char *what)
{
	for (unsigned i = 0;; i++) {
		char *l = test_fixture_line("testvectors-kr-auth.jsonl", i);
		cr_assert_not_null(l, "the %s vector", what);
		if (strstr(l, "\"exchange\":\"coinone\"") && strstr(l, what))
			return l;
		free(l);
	}
}

/* The request coinone_ord must write for body JSON 'json' to 'path'. */
static char *ref_request(const char *path, const char *json)
{
	char b64[4096], sig[VENUE_HEX_LEN(VENUE_SHA512_LEN)], *out = malloc(REQ_CAP);
	int nb;

	cr_assert_not_null(out);
	nb = venue_b64_encode(json, strlen(json), b64, sizeof(b64));
	cr_assert_gt(nb, 0);
	cr_assert_eq(venue_hmac_sha512(SECRET, strlen(SECRET), b64, (size_t)nb, VENUE_HEX, sig,
				       sizeof(sig)), 128);
	snprintf(out, REQ_CAP,
		 "POST %s HTTP/1.1\r\nHost: " HOST "\r\nContent-Type: application/json\r\n"
		 "Accept: application/json\r\nX-COINONE-PAYLOAD: %s\r\nX-COINONE-SIGNATURE: %s\r\n"
		 "Content-Length: %zu\r\n\r\n%s", path, b64, sig, strlen(json), json);
	return out;
}

static int build(enum vo_op op, const struct vo_order *o, char *buf, size_t cap)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	cr_assert_eq(C->rest_tmpl(&ctx, op, HOST, &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, cap), 0);
	err = C->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	err = net_http_req_finish(&r);
	if (err > 0 && (size_t)err < cap)
		buf[err] = 0;
	return err;
}

/* op's request for o is exactly the one made here from 'fields' (after the nonce). */
static void expect(enum vo_op op, const struct vo_order *o, const char *path, const char *fields)
{
	char json[2048], buf[REQ_CAP], *want;
	struct jr_tok tok[TOKS];
	int n;

	snprintf(json, sizeof(json), "{\"access_token\":\"" AKEY "\",\"nonce\":\"" NONCE "\"%s}",
		 fields);
	cr_assert_gt(jr_parse(json, strlen(json), tok, TOKS), 0, "the body is JSON");
	want = ref_request(path, json);
	n = build(op, o, buf, sizeof(buf));
	cr_assert_gt(n, 0, "built: %d", n);
	cr_assert_str_eq(buf, want);
	free(want);
}

static struct vo_order order(uint32_t sym, uint8_t side, uint8_t type, uint8_t tif, int64_t px,
			     int64_t qty)
{
	return (struct vo_order){ .coid = 1734000000001ull, .sym = sym, .side = side,
				  .type = type, .tif = tif, .px = px, .qty = qty };
}

/* status + extra header lines + body through libnet's parser, then rest_parse. */
struct reply {
	char raw[8192];
	struct net_http_parser msg;
	struct net_http_str body;
};

static void reply_make(struct reply *r, uint16_t status, const char *hdrs, const char *body)
{
	int n = snprintf(r->raw, sizeof(r->raw), "HTTP/1.1 %u X\r\n%sContent-Length: %zu\r\n\r\n%s",
			 status, hdrs ? hdrs : "", strlen(body), body);

	cr_assert_eq(net_http_parser_init(&r->msg, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&r->msg, r->raw, (size_t)n), NET_HTTP_DONE);
	r->body = net_http_body(&r->msg);
}

static int parse(enum vo_op op, const struct vo_order *o, uint16_t status, const char *hdrs,
		 const char *body, struct vo_event *ev)
{
	struct reply *r = malloc(sizeof(*r));
	int err;

	reply_make(r, status, hdrs, body);
	memset(ev, 0x5a, sizeof(*ev));
	err = C->rest_parse(&ctx, op, o, r->msg.status, &r->msg, (const uint8_t *)r->body.p,
			    r->body.len, ev);
	free(r);
	if (err) {
		cr_assert_lt(err, 0);
		cr_assert_lt(-err, VD_E_MAX);
		cr_assert_eq(ev->kind, VO_EV_NONE);
	}
	return err;
}

static int wsp(const char *s, struct vo_event *ev)
{
	memset(ev, 0x5a, sizeof(*ev));
	return C->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)s, strlen(s), ev);
}

/* ---- the table ------------------------------------------------------------------- */

Test(coinone_ord, table_endpoints_channels_flags_rates)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_COINONE), C);
	cr_assert_eq(venue_ord_by_name("coinone"), C);
	cr_assert_str_eq(C->rest_url, "https://api.coinone.co.kr");
	cr_assert_str_eq(C->priv_url, "wss://stream.coinone.co.kr/v1/private");
	cr_assert_null(C->wsapi_url);
	for (int op = VO_OP_PLACE; op <= VO_OP_KEEPALIVE; op++) {
		if (op == VO_OP_TIME) {
			cr_assert_eq(C->chans[op], 0);
			continue;
		}
		cr_assert_eq(vo_fast_chan(C, (enum vo_op)op), VO_CH_REST);
	}
	cr_assert_eq(C->chans[VO_OP_SUBSCRIBE], VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(C->chans[VO_OP_LOGIN], 0, "auth is in the upgrade");
	cr_assert_not(C->cancel_async);
	cr_assert(C->market_buy_by_quote);
	cr_assert_eq(C->hash_sha, VENUE_SHA512);
	cr_assert_gt(C->ping_every_ns, 0);
	cr_assert_leq(C->conn_life_ns, 30ull * 60 * 1000000000, "within the 30-min PING rule");
	cr_assert_str_eq(C->ws_path(VO_CH_PRIV), "/v1/private");
	cr_assert_null(C->ws_path(VO_CH_REST));
	/* 40/s orders, 80/s the rest */
	cr_assert_eq(C->nrates, 2);
	cr_assert_eq(C->rates[0].limit, 40);
	cr_assert_eq(C->rates[1].limit, 80);
	cr_assert_eq(C->rates[0].window_ns, 1000000000ull);
	for (int op = VO_OP_PLACE; op <= VO_OP_OPEN; op++) {
		cr_assert_eq(C->cost((enum vo_op)op, VO_CH_REST, 0), 1);
		cr_assert_eq(C->cost((enum vo_op)op, VO_CH_REST, 1), 0);
	}
	cr_assert_eq(C->cost(VO_OP_KEEPALIVE, VO_CH_REST, 1), 1);
	cr_assert_eq(C->cost(VO_OP_SUBSCRIBE, VO_CH_PRIV, 0), 0);
	cr_assert_eq(C->connect_cost(VO_CH_PRIV, 0), 0);
	cr_assert_str_eq(C->err_name(104), "order_not_found");
	cr_assert_null(C->err_name(99));
}

Test(coinone_ord, key_init_refuses_bad_keys)
{
	struct vo_keys k;

	cr_assert_eq(C->key_init(&k, "", SECRET, 3, NULL), -EINVAL);
	cr_assert_eq(C->key_init(&k, NULL, SECRET, 3, NULL), -EINVAL);
	cr_assert_eq(C->key_init(&k, "a\"b", SECRET, 3, NULL), -EINVAL);
	cr_assert_eq(C->key_init(&k, "a b", SECRET, 3, NULL), -EINVAL);
	cr_assert_eq(C->key_init(&k, AKEY, SECRET, 0, NULL), -EINVAL);
	char big[VO_API_KEY_MAX + 1];
	memset(big, 'a', sizeof(big));
	big[VO_API_KEY_MAX - 1] = 0;
	cr_assert_eq(C->key_init(&k, big, SECRET, 3, NULL), 0, "127 bytes fit");
	big[VO_API_KEY_MAX - 1] = 'a';
	big[VO_API_KEY_MAX] = 0;
	cr_assert_eq(C->key_init(&k, big, SECRET, 3, NULL), -EINVAL, "128 do not");
}

/* ---- the vectors ------------------------------------------------------------------- */

Test(coinone_ord, rest_vector_is_what_the_builder_writes)
{
	char *l = vector("rest-v2.1-place-order"), *pj = vec_field(l, "payload_json");
	char *pl = vec_field(l, "x_coinone_payload"), *sig = vec_field(l, "expected_x_coinone_signature");
	char out[4096], want[4096], buf[REQ_CAP];
	struct vo_order o = order(S_USDT, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1400, 100000);

	/* kimpctl sign: the payload as given */
	snprintf(want, sizeof(want), "X-COINONE-PAYLOAD: %s\nX-COINONE-SIGNATURE: %s", pl, sig);
	cr_assert_eq(C->sign_payload(&ctx, pj, strlen(pj), out, sizeof(out)), (int)strlen(want));
	cr_assert_str_eq(out, want);
	cr_assert_eq(C->sign_payload(&ctx, pj, strlen(pj), out, strlen(want) + 1),
		     (int)strlen(want));
	cr_assert_lt(C->sign_payload(&ctx, pj, strlen(pj), out, strlen(want)), 0);
	cr_assert_eq(C->sign_payload(&ctx, pj, 0, out, sizeof(out)), -EINVAL);
	/* the builder: client id "arb-000003" is prefix "arb-00000" + 3 */
	strcpy(ctx.prefix, "arb-00000");
	ctx.prefix_len = 9;
	o.coid = 3;
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "X-COINONE-PAYLOAD: %s\r\nX-COINONE-SIGNATURE: %s\r\n", pl, sig);
	cr_assert_not_null(strstr(buf, want), "%s", buf);
	cr_assert_not_null(strstr(buf, pj), "the body is the payload");
	free(l);
	free(pj);
	free(pl);
	free(sig);
}

Test(coinone_ord, private_ws_vector_is_the_upgrade_headers)
{
	char *l = vector("private-ws-handshake"), *sec = vec_field(l, "secret");
	char *pj = vec_field(l, "payload_json"), *pl = vec_field(l, "x_coinone_payload");
	char *sig = vec_field(l, "expected_x_coinone_signature");
	char *ak = strstr(pj, "5a3e35e4-0778-4619-a117-7c60740b22a2");
	char out[2048], want[2048];
	struct vo_keys k;
	int n;

	cr_assert_not_null(ak);
	cr_assert_eq(C->key_init(&k, "5a3e35e4-0778-4619-a117-7c60740b22a2", sec, strlen(sec),
				 NULL), 0);
	ctx.keys = &k;
	snprintf(want, sizeof(want), "X-COINONE-PAYLOAD: %s\r\nX-COINONE-SIGNATURE: %s\r\n", pl, sig);
	n = C->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out));
	cr_assert_eq(n, (int)strlen(want));
	cr_assert_str_eq(out, want);
	cr_assert_eq(C->ws_headers(&ctx, VO_CH_PRIV, out, strlen(want) + 1), n);
	cr_assert_eq(C->ws_headers(&ctx, VO_CH_PRIV, out, strlen(want)), -ENOSPC);
	cr_assert_eq(C->ws_headers(&ctx, VO_CH_REST, out, sizeof(out)), 0);
	ctx.keys = NULL;
	cr_assert_eq(C->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out)), -EINVAL);
	free(l);
	free(sec);
	free(pj);
	free(pl);
	free(sig);
}

/* ---- building ----------------------------------------------------------------------- */

Test(coinone_ord, place_each_order_type)
{
	struct vo_order o;

	o = order(S_BTC, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_GTC, 116450000, 150000);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"SELL\",\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\","
	       "\"type\":\"LIMIT\",\"price\":\"116450000\",\"qty\":\"0.0015\",\"post_only\":false,"
	       "\"user_order_id\":\"kimp1734000000001\"");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_POST_ONLY, KIMP_TIF_GTC, 6881, 123456);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\","
	       "\"type\":\"LIMIT\",\"price\":\"688.1\",\"qty\":\"12.3456\",\"post_only\":true,"
	       "\"user_order_id\":\"kimp1734000000001\"");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_POST_ONLY, 6881, 123456);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\","
	       "\"type\":\"LIMIT\",\"price\":\"688.1\",\"qty\":\"12.3456\",\"post_only\":true,"
	       "\"user_order_id\":\"kimp1734000000001\"");
	/* IOC buy: MARKET, amount = 688.1 x 12.3456 = 8495.00736, down to 8495.0 */
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 6881, 123456);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\","
	       "\"type\":\"MARKET\",\"amount\":\"8495\",\"limit_price\":\"688.1\","
	       "\"user_order_id\":\"kimp1734000000001\"");
	/* IOC sell: MARKET qty, limit_price the floor */
	o = order(S_XRP, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC, 6881, 123456);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"SELL\",\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\","
	       "\"type\":\"MARKET\",\"qty\":\"12.3456\",\"limit_price\":\"688.1\","
	       "\"user_order_id\":\"kimp1734000000001\"");
	/* market buy by quote, market sell by size (no limit) */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_GTC, 0, 0);
	o.quote_qty = 1000000;
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\","
	       "\"type\":\"MARKET\",\"amount\":\"1000000\",\"user_order_id\":\"kimp1734000000001\"");
	o = order(S_BTC, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_GTC, 0, 100000);
	expect(VO_OP_PLACE, &o, "/v2.1/order",
	       ",\"side\":\"SELL\",\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\","
	       "\"type\":\"MARKET\",\"qty\":\"0.001\",\"user_order_id\":\"kimp1734000000001\"");
}

Test(coinone_ord, place_refuses_what_the_venue_cannot_say)
{
	char buf[REQ_CAP];
	struct vo_order o;

	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_FOK, 6881, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no FOK");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, 9, 6881, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no price");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 6881, 0);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no size");
	o = order(S_XRP, 0, VO_LIMIT, KIMP_TIF_GTC, 6881, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no side");
	o = order(7, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 6881, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no such symbol");
	o = order(S_XRP, KIMP_SIDE_BUY, 7, KIMP_TIF_GTC, 6881, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no such type");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_GTC, 0, 10000);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "market buy needs quote");
	o = order(S_XRP, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_GTC, 0, 0);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "market sell needs size");
	/* an IOC buy worth less than one unit of the quote */
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 1, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 1, 10000);
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0, "0.1 KRW at 1 decimal: 1 unit");
	o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 6881, 10000);
	o.coid = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "no client id");
	cr_assert_eq(C->rest_build(&ctx, VO_OP_PLACE, NULL, NULL), -EINVAL);
	/* user_order_id is lower case only (3.3) */
	o.coid = 5;
	strcpy(ctx.prefix, "Kimp");
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "upper-case prefix");
	strcpy(ctx.prefix, "kimp");
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0);
	/* the request buffer: too small is -ENOSPC from finish or build, never a cut request */
	int n = build(VO_OP_PLACE, &o, buf, sizeof(buf));
	struct net_http_tmpl t;
	struct net_http_req r;
	char small[REQ_CAP];
	cr_assert_eq(C->rest_tmpl(&ctx, VO_OP_PLACE, HOST, &t), 0);
	cr_assert_eq(net_http_tmpl_body_stage(&t, 256), 0);
	unsigned whole = 0;
	for (size_t cap = 256; cap < (size_t)n + 300; cap++) {
		if (net_http_req_start(&r, &t, small, cap))
			continue;
		int e = C->rest_build(&ctx, VO_OP_PLACE, &o, &r);
		if (!e)
			e = net_http_req_finish(&r);
		cr_assert(e == n || e == -ENOSPC || e == -ENOBUFS, "cap %zu: %d", cap, e);
		if (e == n) {
			cr_assert(!memcmp(small, buf, (size_t)n), "cap %zu", cap);
			whole++;
		}
	}
	cr_assert_gt(whole, 0);
	cr_assert_eq(C->rest_tmpl(&ctx, VO_OP_TIME, HOST, &t), -EINVAL);
}

Test(coinone_ord, cancel_query_open_keepalive)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 0);
	char buf[REQ_CAP];

	expect(VO_OP_CANCEL, &o, "/v2.1/order/cancel",
	       ",\"user_order_id\":\"kimp1734000000001\",\"quote_currency\":\"KRW\","
	       "\"target_currency\":\"BTC\"");
	expect(VO_OP_QUERY, &o, "/v2.1/order/detail",
	       ",\"user_order_id\":\"kimp1734000000001\",\"quote_currency\":\"KRW\","
	       "\"target_currency\":\"BTC\"");
	o.oid = "0f1c26d0-1e4d-11e9-9ec7-00e04c3600d7";
	o.oid_len = (uint32_t)strlen(o.oid);
	expect(VO_OP_CANCEL, &o, "/v2.1/order/cancel",
	       ",\"order_id\":\"0f1c26d0-1e4d-11e9-9ec7-00e04c3600d7\",\"quote_currency\":\"KRW\","
	       "\"target_currency\":\"BTC\"");
	expect(VO_OP_OPEN, NULL, "/v2.1/order/active_orders", "");
	expect(VO_OP_KEEPALIVE, NULL, "/v2.1/account/balance/all", "");
	o.oid = "0f1c\"26d0";
	o.oid_len = (uint32_t)strlen(o.oid);
	cr_assert_eq(build(VO_OP_CANCEL, &o, buf, sizeof(buf)), -EINVAL, "an id we cannot send");
	o.oid = NULL;
	o.oid_len = 0;
	o.coid = 0;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	o.coid = 1;
	o.sym = 9;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	ctx.keys = NULL;
	cr_assert_eq(build(VO_OP_OPEN, NULL, buf, sizeof(buf)), -EINVAL, "no keys");
}

/* ---- REST replies --------------------------------------------------------------------- */

Test(coinone_ord, rest_fixture_lines_parse_to_their_values)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 0);
	struct vo_event ev;
	char *l;

	l = test_fixture_line("coinone-rest.jsonl", 0);       /* place */
	cr_assert_eq(parse(VO_OP_PLACE, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "0f512287-1e4d-11e9-9ec7-00e04c3600d7");
	cr_assert_eq(ev.coid, o.coid);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_eq(ev.cum_qty, 0);
	free(l);

	l = test_fixture_line("coinone-rest.jsonl", 1);       /* cancel */
	cr_assert_eq(parse(VO_OP_CANCEL, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 26231000);
	cr_assert_eq(ev.qty, 500000);
	cr_assert_eq(ev.cum_qty, 300000);
	cr_assert_eq(ev.cum_quote, 78693);             /* 26231000 x 0.003 */
	cr_assert_eq(ev.cum_fee, 26231);
	cr_assert(ev.flags & VO_F_CUM_FEE);
	cr_assert_eq(ev.venue_ts_ns, 1650525935ll * 1000000000, "H5: seconds");
	free(l);

	l = test_fixture_line("coinone-rest.jsonl", 2);       /* detail, limit, cancelled */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_eq(ev.px, 100000);
	cr_assert_eq(ev.qty, 100000000);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.venue_ts_ns, 1680055490000ll * 1000000);
	cr_assert_eq(ev.coid, o.coid, "the request's when the reply has none");
	free(l);

	l = test_fixture_line("coinone-rest.jsonl", 3);       /* market buy, dust left */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_EXPIRED);
	cr_assert_eq(ev.px, 0);
	cr_assert_eq(ev.qty, 0);
	cr_assert_eq(ev.cum_qty, 3337895);
	cr_assert_eq(ev.cum_quote, 1000000, "999999.963 to the unit");
	cr_assert_eq(ev.cum_fee, 2000, "1999.9999 to the unit");
	free(l);

	l = test_fixture_line("coinone-rest.jsonl", 4);       /* market sell, filled */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.cum_qty, 100000);
	cr_assert_eq(ev.cum_quote, 36680);              /* average x executed */
	cr_assert_eq(ev.cum_fee, 73);
	free(l);

	/* range_units and the markets list are not order replies */
	l = test_fixture_line("coinone-rest.jsonl", 5);
	cr_assert_eq(parse(VO_OP_KEEPALIVE, NULL, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_lt(parse(VO_OP_QUERY, &o, 200, NULL, l, &ev), 0);
	free(l);
}

Test(coinone_ord, error_lines_and_their_outcomes)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 0);
	struct vo_event ev;
	char *l;

	static const struct {
		unsigned line;
		int32_t code;
		uint8_t outcome, flags;
	} want[] = {
		{ 0, 108, VO_OUT_REJECTED, 0 },
		{ 1, 107, VO_OUT_REJECTED, 0 },
		{ 2, 4, VO_OUT_REJECTED, VO_F_RATE },
		{ 3, 105, VO_OUT_REJECTED, 0 },
		{ 4, 105, VO_OUT_REJECTED, 0 },        /* legacy errorCode */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		l = test_fixture_line("coinone-errors.jsonl", want[i].line);
		cr_assert_eq(parse(VO_OP_PLACE, &o, 200, NULL, l, &ev), 0, "line %u", want[i].line);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.code, want[i].code);
		cr_assert_eq(ev.outcome, want[i].outcome);
		cr_assert_eq(ev.flags, want[i].flags);
		cr_assert_not_null(ev.msg);
		cr_assert_eq(ev.http_status, 200);
		free(l);
	}
	l = test_fixture_line("coinone-errors.jsonl", 2);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 200, NULL, l, &ev), 0);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)(NOW_MS / 1000 + 1) * 1000, "the next second");
	free(l);
	/* the codes that say more than "refused" */
	static const struct {
		const char *body;
		enum vo_op op;
		uint8_t outcome, flags;
	} codes[] = {
		{ "{\"result\":\"error\",\"error_code\":\"104\",\"error_msg\":\"x\"}", VO_OP_QUERY,
		  VO_OUT_NOT_FOUND, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"104\",\"error_msg\":\"x\"}", VO_OP_CANCEL,
		  VO_OUT_CANCEL_REJECTED, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"104\",\"error_msg\":\"x\"}", VO_OP_PLACE,
		  VO_OUT_REJECTED, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"312\"}", VO_OP_PLACE, VO_OUT_UNKNOWN, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"12\"}", VO_OP_PLACE, VO_OUT_REJECTED,
		  VO_F_AUTH },
		{ "{\"result\":\"error\",\"error_code\":\"123\"}", VO_OP_QUERY, VO_OUT_REJECTED,
		  VO_F_AUTH },
		{ "{\"result\":\"error\",\"error_code\":\"131\"}", VO_OP_PLACE, VO_OUT_REJECTED, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"163\"}", VO_OP_PLACE, VO_OUT_REJECTED, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"310\"}", VO_OP_PLACE, VO_OUT_REJECTED, 0 },
		{ "{\"result\":\"error\",\"error_code\":\"99999\"}", VO_OP_PLACE, VO_OUT_UNKNOWN, 0 },
		{ "{\"result\":\"error\",\"error_code\":777}", VO_OP_PLACE, VO_OUT_UNKNOWN, 0 },
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_assert_eq(parse(codes[i].op, &o, 200, NULL, codes[i].body, &ev), 0, "%zu", i);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.outcome, codes[i].outcome, "%zu", i);
		cr_assert_eq(ev.flags, codes[i].flags, "%zu", i);
	}
	/* exsim's cancel of a final order; its over-limit and ban answers */
	cr_assert_eq(parse(VO_OP_CANCEL, &o, 200, NULL, "{\"result\":\"error\",\"error_code\":\"116\"}",
			   &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED);
	cr_assert_eq(parse(VO_OP_CANCEL, &o, 200, NULL, "{\"result\":\"error\",\"error_code\":\"117\"}",
			   &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED);
	l = test_fixture_line("coinone-errors.jsonl", 2);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 429, NULL, l, &ev), 0);
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 418, "Retry-After: 30\r\n", l, &ev), 0);
	cr_assert_eq(ev.flags, VO_F_BAN);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 30000);
	free(l);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 418, NULL, "", &ev), 0);
	cr_assert_eq(ev.flags, VO_F_BAN);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 60000);
	/* statuses that say enough without a body of the venue's */
	cr_assert_eq(parse(VO_OP_PLACE, &o, 429, NULL, "<html>", &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert(ev.flags & VO_F_RATE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 502, NULL, "", &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.http_status, 502);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 404, NULL, "<html>", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL, "{\"order_id\":\"x\"}", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL, "{\"result\":\"maybe\"}", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL, "{\"result\":\"error\"}", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL,
			   "{\"result\":\"error\",\"error_code\":\"x1\"}", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL, "{\"result\":\"success\"}", &ev), 0,
		     "a place without an order id");
	cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL,
			   "{\"result\":\"success\",\"order_id\":\"a\",\"order_id\":\"b\"}", &ev), 0);
	/* a success body in an error status is not believed */
	char *ok = test_fixture_line("coinone-rest.jsonl", 0);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 400, NULL, ok, &ev), 0);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 503, NULL, ok, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	/* every truncation of a reply is refused */
	size_t n = strlen(ok);
	for (size_t i = 0; i < n; i++) {
		char *cut = strndup(ok, i);
		cr_assert_lt(parse(VO_OP_PLACE, &o, 200, NULL, cut, &ev), 0, "cut at %zu", i);
		free(cut);
	}
	free(ok);
}

Test(coinone_ord, rate_headers_are_read)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 0);
	struct vo_event ev;
	char *l = test_fixture_line("coinone-rest.jsonl", 0);

	cr_assert_eq(parse(VO_OP_PLACE, &o, 200,
			   "Private-Order-Ratelimit-Remaining: 37\r\nPrivate-Ratelimit-Remaining: 79\r\n",
			   l, &ev), 0);
	cr_assert_eq(ev.rate.n, 2);
	cr_assert_eq(ev.rate.v[0].rule, 0);
	cr_assert_eq(ev.rate.v[0].value, 37);
	cr_assert(ev.rate.v[0].is_left);
	cr_assert_eq(ev.rate.v[1].rule, 1);
	cr_assert_eq(ev.rate.v[1].value, 79);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 200, "Private-Ratelimit-Remaining: many\r\n", l, &ev), 0);
	cr_assert_eq(ev.rate.n, 0);
	free(l);
}

struct collect {
	unsigned n;
	struct vo_event ev[4];
};

static void each(void *arg, const struct vo_event *ev)
{
	struct collect *c = arg;

	if (c->n < 4)
		c->ev[c->n] = *ev;
	c->n++;
}

static int plist(uint16_t status, const char *body, struct collect *c)
{
	struct reply *r = malloc(sizeof(*r));
	int n;

	reply_make(r, status, "Private-Order-Ratelimit-Remaining: 30\r\n", body);
	memset(c, 0, sizeof(*c));
	n = C->rest_parse_list(&ctx, r->msg.status, &r->msg, (const uint8_t *)r->body.p,
			       r->body.len, each, c);
	free(r);
	return n;
}

Test(coinone_ord, open_orders_list)
{
	static const char body[] =
		"{\"result\":\"success\",\"error_code\":\"0\",\"active_orders\":["
		"{\"order_id\":\"a1\",\"type\":\"LIMIT\",\"quote_currency\":\"KRW\","
		"\"target_currency\":\"XRP\",\"side\":\"BUY\",\"price\":\"688.1\","
		"\"original_qty\":\"10\",\"remain_qty\":\"4\",\"executed_qty\":\"6\","
		"\"ordered_at\":1680051059000,\"user_order_id\":\"kimp42\"},"
		"{\"order_id\":\"a2\",\"type\":\"LIMIT\",\"quote_currency\":\"KRW\","
		"\"target_currency\":\"BTC\",\"side\":\"SELL\",\"price\":\"116450000\","
		"\"original_qty\":\"0.1\",\"remain_qty\":\"0.1\",\"executed_qty\":\"0\","
		"\"status\":\"LIVE\",\"user_order_id\":\"other7\"}]}";
	struct collect c;

	cr_assert_eq(plist(200, body, &c), 2);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.ev[0].oid, "a1");
	cr_assert_eq(c.ev[0].sym, S_XRP);
	cr_assert_eq(c.ev[0].coid, 42);
	cr_assert_eq(c.ev[0].state, KIMP_ORD_PARTIAL);
	cr_assert_eq(c.ev[0].cum_qty, 60000);
	cr_assert_eq(c.ev[0].px, 6881);
	cr_assert_eq(c.ev[0].rate.n, 1);
	cr_assert_eq(c.ev[1].coid, 0, "someone else's");
	cr_assert_eq(c.ev[1].state, KIMP_ORD_ACKED);
	cr_assert_eq(c.ev[1].sym, S_BTC);
	cr_assert_eq(plist(200, "{\"result\":\"success\",\"active_orders\":[]}", &c), 0);
	cr_assert_eq(c.n, 0);
	/* one bad element: nothing handed out */
	char *bad = strdup(body);
	memcpy(strstr(bad, "\"4\""), "\"x\"", 3);
	cr_assert_lt(plist(200, bad, &c), 0);
	cr_assert_eq(c.n, 0);
	free(bad);
	/* an error is handed out, never an empty list */
	char *l = test_fixture_line("coinone-errors.jsonl", 2);
	cr_assert_eq(plist(200, l, &c), -VD_E_TYPE);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.ev[0].kind, VO_EV_ERROR);
	free(l);
	cr_assert_eq(plist(503, "", &c), -VD_E_TYPE);
	cr_assert_eq(c.n, 1);
	cr_assert_lt(plist(200, "{\"result\":\"success\"}", &c), 0);
	cr_assert_lt(plist(200, "[]", &c), 0);
}

/* ---- the private stream ---------------------------------------------------------------- */

Test(coinone_ord, private_subscription_is_the_fixtures)
{
	struct venue_symtab one;
	char out[512], *l = test_fixture_line("coinone-ws-control.jsonl", 10);
	int n;

	venue_symtab_init(&one, KIMP_VENUE_COINONE);
	cr_assert_eq(venue_symtab_add(&one, "BTC", "KRW", 0, 8, 1), 0);
	ctx.syms = &one;
	n = C->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out));
	cr_assert_eq(n, (int)strlen(l));
	cr_assert_str_eq(out, l);
	cr_assert_eq(C->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, strlen(l) + 1), n);
	cr_assert_eq(C->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, strlen(l)),
		     -ENOSPC);
	cr_assert_eq(C->ws_build(&ctx, VO_CH_WSAPI, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	cr_assert_eq(C->ws_build(&ctx, VO_CH_PRIV, VO_OP_PLACE, NULL, 1, out, sizeof(out)), -EINVAL);
	ctx.syms = &tab;
	n = C->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out));
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(out, "{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}]}"));
	free(l);
}

Test(coinone_ord, private_control_and_asset_messages)
{
	struct vo_event ev;
	static const struct {
		unsigned line;
		int err;
		uint8_t kind;
	} want[] = {
		{ 0, 0, VO_EV_CONTROL }, { 2, 0, VO_EV_CONTROL }, { 4, 0, VO_EV_CONTROL },
		{ 5, -VD_E_TYPE, 0 }, { 6, 0, VO_EV_CONTROL }, { 7, 0, VO_EV_ERROR },
		{ 10, -VD_E_TYPE, 0 }, { 12, 0, VO_EV_CONTROL },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *l = test_fixture_line("coinone-ws-control.jsonl", want[i].line);
		cr_assert_eq(wsp(l, &ev), want[i].err, "line %u", want[i].line);
		if (!want[i].err)
			cr_assert_eq(ev.kind, want[i].kind, "line %u", want[i].line);
		free(l);
	}
	for (unsigned i = 0; i < 2; i++) {
		char *l = test_fixture_line("coinone-myasset.jsonl", i);
		cr_assert_eq(wsp(l, &ev), 0);
		cr_assert_eq(ev.kind, VO_EV_CONTROL);
		free(l);
	}
	cr_assert_eq(wsp("{\"response_type\":\"SUBSCRIBED\",\"channel\":\"MYORDER\",\"data\":{}}",
			 &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_SUBSCRIBED);
	cr_assert_eq(wsp("{\"response_type\":\"ERROR\",\"error_code\":160012,\"message\":\"Invalid Topic\"}",
			 &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.code, 160012);
	cr_assert_eq(wsp("{\"response_type\":\"ERROR\",\"error_code\":\"12\"}", &ev), 0);
	cr_assert(ev.flags & VO_F_AUTH);
	cr_assert_eq(wsp("{\"response_type\":7}", &ev), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"response_type\":\"DATA\",\"channel\":\"CHART\",\"data\":{}}", &ev),
		     -VD_E_TYPE);
	cr_assert_eq(wsp("{\"response_type\":\"DATA\",\"channel\":\"MYORDER\",\"data\":[]}", &ev),
		     -VD_E_SHAPE);
	cr_assert_eq(wsp("[1]", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("{", &ev), -VD_E_SYNTAX);
	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(C->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)"{}", 2, &ev), -VD_E_TYPE);
}

static const char myorder_fill[] =
	"{\"r\":\"DATA\",\"c\":\"MYORDER\",\"d\":{\"qc\":\"KRW\",\"tc\":\"XRP\",\"oi\":\"o-1\","
	"\"t\":\"LIMIT\",\"st\":\"trade\",\"s\":\"BID\",\"op\":\"688.1\",\"oq\":\"10\",\"ti\":\"t-9\","
	"\"im\":true,\"ep\":\"688.1\",\"eq\":\"4\",\"ef\":\"0.55\",\"rq\":\"6\",\"ui\":\"kimp77\","
	"\"et\":1790134177000,\"ot\":1790134170000,\"ts\":1790134177001}}";

Test(coinone_ord, myorder_events)
{
	struct vo_event ev;
	char *s;

	cr_assert_eq(wsp(myorder_fill, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.sym, S_XRP);
	cr_assert_str_eq(ev.oid, "o-1");
	cr_assert_eq(ev.coid, 77);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 6881);
	cr_assert_eq(ev.qty, 100000);
	cr_assert_eq(ev.cum_qty, 40000, "order qty - remaining");
	cr_assert(ev.flags & VO_F_LAST);
	cr_assert(ev.flags & VO_F_MAKER);
	cr_assert_eq(ev.last_px, 6881);
	cr_assert_eq(ev.last_qty, 40000);
	cr_assert_eq(ev.last_fee, 6, "0.55 KRW to the unit of 0.1, half up");
	cr_assert_neq(ev.trade_id, 0);
	cr_assert_eq(ev.venue_ts_ns, 1790134177000ll * 1000000);
	/* the last fill: nothing remains */
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"rq\":\"6\""), "\"rq\":\"0\"", 8);
	cr_assert_eq(wsp(s, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.cum_qty, 100000);
	free(s);
	/* long keys, a cancel (eq is the cancelled size: no fill) */
	static const char cxl[] =
		"{\"response_type\":\"DATA\",\"channel\":\"MYORDER\",\"data\":{\"quote_currency\":\"KRW\","
		"\"target_currency\":\"XRP\",\"order_id\":\"o-1\",\"type\":\"LIMIT\",\"status\":\"cancel\","
		"\"side\":\"ASK\",\"order_price\":\"688.1\",\"order_qty\":\"10\",\"executed_qty\":\"6\","
		"\"remain_qty\":\"6\",\"user_order_id\":\"kimp77\",\"timestamp\":1790134177001}}";
	cr_assert_eq(wsp(cxl, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.cum_qty, 40000);
	cr_assert_not(ev.flags & VO_F_LAST);
	cr_assert_eq(ev.venue_ts_ns, 1790134177001ll * 1000000);
	/* a market buy has amounts only: no fill from here */
	static const char mbuy[] =
		"{\"r\":\"DATA\",\"c\":\"MYORDER\",\"d\":{\"qc\":\"KRW\",\"tc\":\"BTC\",\"oi\":\"o-2\","
		"\"t\":\"MARKET\",\"st\":\"trade_done\",\"s\":\"BID\",\"oa\":\"1000000\",\"ra\":\"0\","
		"\"ep\":\"116450000\",\"eq\":\"0.0085\",\"ef\":\"200\",\"ts\":1790134177001}}";
	cr_assert_eq(wsp(mbuy, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_not(ev.flags & VO_F_LAST);
	/* malformed */
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"st\":\"trade\""), "\"st\":\"smile\"", 12);
	cr_assert_eq(wsp(s, &ev), -VD_E_SHAPE);
	free(s);
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"im\":true"), "\"im\":\"no\"", 9);
	cr_assert_eq(wsp(s, &ev), -VD_E_SHAPE);
	free(s);
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"eq\":\"4\""), "\"eq\":\"-\"", 8);
	cr_assert_eq(wsp(s, &ev), -VD_E_NUMBER);
	free(s);
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"oi\":"), "\"xx\":", 5);
	cr_assert_eq(wsp(s, &ev), -VD_E_SHAPE, "no order id");
	free(s);
	size_t n = strlen(myorder_fill);
	for (size_t i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		cr_assert_lt(C->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)myorder_fill, i, &ev), 0,
			     "cut at %zu", i);
	}
	/* a market not in the table: the order still, at 8 decimals */
	s = strdup(myorder_fill);
	memcpy(strstr(s, "\"tc\":\"XRP\""), "\"tc\":\"ETH\"", 10);
	cr_assert_eq(wsp(s, &ev), 0);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE);
	cr_assert_eq(ev.cum_qty, 400000000);
	free(s);
}
