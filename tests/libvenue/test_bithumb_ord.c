/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bithumb_ord.c: the table and rates, keys, the HS256 JWT with
 * its timestamp against the Bithumb case of testvectors-kr-auth.jsonl, the
 * request bytes of each order type and operation against bytes made here
 * independently (venue_sha512_hex and the one-shot venue_jwt_sign), every
 * Bithumb REST capture, the v1 myOrder capture, v2 myOrder messages
 * (DEFAULT and SIMPLE keys) through each state, myAsset, errors and their
 * outcomes, x-ratelimit-remaining, the private stream's upgrade and
 * subscription, refusals, boundaries and truncations.
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

#define B (&venue_ord_bithumb)
#define HOST "api.bithumb.com"
#define AKEY "test-access-key-0123456789"
#define SECRET "test-secret-key-0123456789"
#define NONCE "3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b"
#define NOW_MS 1790133505546ll
#define TOKS 512
#define REQ_CAP 8192
#define ERRB(name) "{\"error\":{\"name\":\"" name "\",\"message\":\"m\"}}"

enum { S_BTC = 0, S_USDT, S_GMT };

static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BITHUMB);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 0, 8, 1), S_BTC);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 2, 4, 2), S_USDT);
	cr_assert_eq(venue_symtab_add(&tab, "GMT", "KRW", 2, 4, 3), S_GMT);
	cr_assert_eq(B->key_init(&keys, AKEY, SECRET, strlen(SECRET), NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = B;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.now_ns = NOW_MS * 1000000;
	ctx.rng[0] = 1;
	ctx.rng[1] = 2;
	ctx.fixed_nonce = NONCE;
}

TestSuite(bithumb_ord, .init = setup);

/* ---- references made here ------------------------------------------------------ */

static void ref_token(const char *qs, char *out, size_t cap)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)], payload[1024];

	if (qs) {
		cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
		snprintf(payload, sizeof(payload),
			 "{\"access_key\":\"%s\",\"nonce\":\"%s\",\"timestamp\":%lld,"
			 "\"query_hash\":\"%s\",\"query_hash_alg\":\"SHA512\"}", AKEY, NONCE,
			 NOW_MS, hash);
	} else {
		snprintf(payload, sizeof(payload),
			 "{\"access_key\":\"%s\",\"nonce\":\"%s\",\"timestamp\":%lld}", AKEY,
			 NONCE, NOW_MS);
	}
	cr_assert_gt(venue_jwt_sign(VENUE_SHA256, SECRET, strlen(SECRET), hdr, sizeof(hdr) - 1,
				    payload, strlen(payload), out, cap), 0);
}

static char *ref_request(const char *line, const char *qs, const char *body)
{
	char jwt[2048], *out = malloc(REQ_CAP);
	int n;

	cr_assert_not_null(out);
	ref_token(qs, jwt, sizeof(jwt));
	n = snprintf(out, REQ_CAP, "%s HTTP/1.1\r\nHost: " HOST "\r\n%sAccept: application/json\r\n"
		     "Authorization: Bearer %s\r\n", line,
		     body ? "Content-Type: application/json; charset=utf-8\r\n" : "", jwt);
	if (body)
		snprintf(out + n, REQ_CAP - (size_t)n, "Content-Length: %zu\r\n\r\n%s",
			 strlen(body), body);
	else
		snprintf(out + n, REQ_CAP - (size_t)n, "\r\n");
	return out;
}

static int build(enum vo_op op, const struct vo_order *o, char *buf, size_t cap)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	cr_assert_eq(B->rest_tmpl(&ctx, op, HOST, &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, cap), 0);
	err = B->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	err = net_http_req_finish(&r);
	if (err > 0 && (size_t)err < cap)
		buf[err] = 0;
	return err;
}

static void expect_request(enum vo_op op, const struct vo_order *o, const char *line,
			   const char *qs, const char *body)
{
	char *want = ref_request(line, qs, body), buf[REQ_CAP];
	int n = build(op, o, buf, sizeof(buf));

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

/* ---- the table, keys, the vector --------------------------------------------------- */

Test(bithumb_ord, table_endpoints_channels_and_rates)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_BITHUMB), B);
	cr_assert_eq(venue_ord_by_name("bithumb"), B);
	cr_assert_str_eq(B->rest_url, "https://api.bithumb.com");
	cr_assert_null(B->wsapi_url);
	cr_assert_str_eq(B->priv_url, "wss://ws-api.bithumb.com/websocket/v2/private");
	for (int op = VO_OP_PLACE; op <= VO_OP_OPEN; op++)
		cr_assert_eq(B->chans[op], VO_CHBIT(VO_CH_REST));
	cr_assert_eq(B->chans[VO_OP_KEEPALIVE], VO_CHBIT(VO_CH_REST) | VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(B->chans[VO_OP_SUBSCRIBE], VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(B->chans[VO_OP_LOGIN], 0);
	cr_assert_eq(B->chans[VO_OP_TIME], 0);
	cr_assert(B->cancel_async);
	cr_assert(B->market_buy_by_quote);
	cr_assert_not(B->user_data_on_wsapi);
	cr_assert_eq(B->hash_sha, VENUE_SHA256);
	cr_assert_str_eq(B->ws_path(VO_CH_PRIV), "/websocket/v2/private");
	cr_assert_null(B->ws_path(VO_CH_WSAPI));
	cr_assert_eq(B->nrates, 3);
	/* a place costs one order and one private unit; the rest a private unit */
	for (unsigned r = 0; r < B->nrates; r++) {
		bool ord = !strcmp(B->rates[r].name, "order"),
		     priv = !strcmp(B->rates[r].name, "private");
		cr_assert_eq(B->cost(VO_OP_PLACE, VO_CH_REST, r), ord || priv);
		cr_assert_eq(B->cost(VO_OP_CANCEL, VO_CH_REST, r), priv);
		cr_assert_eq(B->cost(VO_OP_QUERY, VO_CH_REST, r), priv);
		cr_assert_eq(B->cost(VO_OP_OPEN, VO_CH_REST, r), priv);
		cr_assert_eq(B->cost(VO_OP_KEEPALIVE, VO_CH_REST, r), priv);
		cr_assert_eq(B->cost(VO_OP_SUBSCRIBE, VO_CH_PRIV, r), 0);
		cr_assert_eq(B->connect_cost(VO_CH_PRIV, r),
			     !strcmp(B->rates[r].name, "websocket-connect"));
		cr_assert_eq(B->connect_cost(VO_CH_REST, r), 0);
		cr_assert_eq(B->rates[r].window_ns, 1000000000ull);
		cr_assert_eq(B->rates[r].limit, ord ? 10u : priv ? 140u : 10u);
	}
	cr_assert_str_eq(B->err_name(1000 + 24), "order_not_found");
	cr_assert_null(B->err_name(999));
	cr_assert_null(B->err_name(1999));
}

Test(bithumb_ord, key_init_checks_key_and_secret)
{
	struct vo_keys k;

	cr_assert_eq(B->key_init(&k, "", SECRET, 5, NULL), -EINVAL);
	cr_assert_eq(B->key_init(&k, NULL, SECRET, 5, NULL), -EINVAL);
	cr_assert_eq(B->key_init(&k, "a\"b", SECRET, 5, NULL), -EINVAL);
	cr_assert_eq(B->key_init(&k, "a b", SECRET, 5, NULL), -EINVAL);
	cr_assert_eq(B->key_init(&k, "ab", SECRET, 0, NULL), -EINVAL);
	cr_assert_eq(B->key_init(&k, "ab", NULL, 5, NULL), -EINVAL);
	char big[VO_API_KEY_MAX + 1];
	memset(big, 'k', sizeof(big));
	big[VO_API_KEY_MAX] = 0;
	cr_assert_eq(B->key_init(&k, big, SECRET, 5, NULL), -EINVAL);
	big[VO_API_KEY_MAX - 1] = 0;                  /* the longest that fits */
	cr_assert_eq(B->key_init(&k, big, SECRET, 5, NULL), 0);
	cr_assert_eq(k.api_key_len, VO_API_KEY_MAX - 1);
}

static void vec_str(const char *src, const struct jr_tok *t, const char *key, char *out,
		    size_t cap)
{
	int k = jr_get(src, t, 0, key);

	cr_assert_geq(k, 0, "vector has %s", key);
	cr_assert_geq(jr_str(src, &t[k], out, cap), 0);
}

Test(bithumb_ord, the_bithumb_auth_vector)
{
	static char qs[1024], akey[256], secret[256], nonce[64], want[2048], out[2048];
	struct jr_tok t[TOKS];
	struct vo_keys k;
	unsigned cases = 0;
	char *line;

	for (unsigned i = 0; (line = test_fixture_line("testvectors-kr-auth.jsonl", i)); i++) {
		cr_assert_gt(jr_parse(line, strlen(line), t, TOKS), 0);
		if (!jr_eq(line, &t[jr_get(line, t, 0, "exchange")], "bithumb")) {
			free(line);
			continue;
		}
		vec_str(line, t, "query_string", qs, sizeof(qs));
		vec_str(line, t, "secret", secret, sizeof(secret));
		vec_str(line, t, "expected_jwt", want, sizeof(want));
		cr_assert_not_null(strstr(line, "\\\"access_key\\\":\\\"test-access-key-0123456789"));
		strcpy(akey, "test-access-key-0123456789");
		strcpy(nonce, "3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b");
		cr_assert_not_null(strstr(line, "\\\"timestamp\\\":1790133505546"));
		cr_assert_eq(B->key_init(&k, akey, secret, strlen(secret), NULL), 0);
		ctx.keys = &k;
		ctx.fixed_nonce = nonce;
		ctx.now_ns = 1790133505546ll * 1000000;
		cr_assert_eq(B->sign_payload(&ctx, qs, strlen(qs), out, sizeof(out)),
			     (int)strlen(want));
		cr_assert_str_eq(out, want);
		cr_assert_eq(B->sign_payload(&ctx, qs, strlen(qs), out, strlen(want)), -ENOSPC);
		cr_assert_eq(B->sign_payload(&ctx, qs, strlen(qs), out, strlen(want) + 1),
			     (int)strlen(want));       /* boundary: the NUL just fits */
		cases++;
		free(line);
	}
	cr_assert_eq(cases, 1);
	ctx.keys = NULL;
	cr_assert_eq(B->sign_payload(&ctx, "a=1", 3, out, sizeof(out)), -EINVAL);
}

/* ---- requests ------------------------------------------------------------------------ */

Test(bithumb_ord, place_limit_each_tif)
{
	struct vo_order o = order(S_USDT, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_GTC, 140000, 100000);

	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-USDT&side=ask&volume=10&price=1400&order_type=limit"
		       "&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-USDT\",\"side\":\"ask\",\"volume\":\"10\",\"price\":\"1400\","
		       "\"order_type\":\"limit\",\"client_order_id\":\"kimp1734000000001\"}");
	o.tif = KIMP_TIF_IOC;
	o.side = KIMP_SIDE_BUY;
	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-USDT&side=bid&volume=10&price=1400&order_type=limit"
		       "&time_in_force=ioc&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-USDT\",\"side\":\"bid\",\"volume\":\"10\",\"price\":\"1400\","
		       "\"order_type\":\"limit\",\"time_in_force\":\"ioc\","
		       "\"client_order_id\":\"kimp1734000000001\"}");
	o.tif = KIMP_TIF_FOK;
	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-USDT&side=bid&volume=10&price=1400&order_type=limit"
		       "&time_in_force=fok&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-USDT\",\"side\":\"bid\",\"volume\":\"10\",\"price\":\"1400\","
		       "\"order_type\":\"limit\",\"time_in_force\":\"fok\","
		       "\"client_order_id\":\"kimp1734000000001\"}");
	o.type = VO_POST_ONLY;
	o.tif = KIMP_TIF_GTC;
	o.px = 139950;                       /* 1399.5 */
	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-USDT&side=bid&volume=10&price=1399.5&order_type=limit"
		       "&time_in_force=post_only&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-USDT\",\"side\":\"bid\",\"volume\":\"10\",\"price\":\"1399.5\","
		       "\"order_type\":\"limit\",\"time_in_force\":\"post_only\","
		       "\"client_order_id\":\"kimp1734000000001\"}");
}

Test(bithumb_ord, place_market_buy_by_total_and_sell_by_volume)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_IOC, 0, 0);

	o.quote_qty = 10000;
	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-BTC&side=bid&price=10000&order_type=price"
		       "&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"price\":\"10000\","
		       "\"order_type\":\"price\",\"client_order_id\":\"kimp1734000000001\"}");
	o = order(S_BTC, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_GTC, 0, 12345);
	expect_request(VO_OP_PLACE, &o, "POST /v2/orders",
		       "market=KRW-BTC&side=ask&volume=0.00012345&order_type=market"
		       "&client_order_id=kimp1734000000001",
		       "{\"market\":\"KRW-BTC\",\"side\":\"ask\",\"volume\":\"0.00012345\","
		       "\"order_type\":\"market\",\"client_order_id\":\"kimp1734000000001\"}");
}

Test(bithumb_ord, cancel_query_open_keepalive)
{
	struct vo_order o = { .coid = 42, .sym = S_BTC };

	expect_request(VO_OP_CANCEL, &o, "DELETE /v2/order?client_order_id=kimp42",
		       "client_order_id=kimp42", NULL);
	expect_request(VO_OP_QUERY, &o, "GET /v1/order?client_order_id=kimp42",
		       "client_order_id=kimp42", NULL);
	o.oid = "C0101000000001799625";
	o.oid_len = 20;
	expect_request(VO_OP_CANCEL, &o, "DELETE /v2/order?order_id=C0101000000001799625",
		       "order_id=C0101000000001799625", NULL);
	expect_request(VO_OP_QUERY, &o, "GET /v1/order?uuid=C0101000000001799625",
		       "uuid=C0101000000001799625", NULL);
	expect_request(VO_OP_OPEN, NULL, "GET /v1/orders?state=wait&limit=100",
		       "state=wait&limit=100", NULL);
	expect_request(VO_OP_KEEPALIVE, NULL, "GET /v1/accounts", NULL, NULL);
}

Test(bithumb_ord, build_refuses_what_bithumb_cannot_say)
{
	struct net_http_tmpl t;
	char buf[REQ_CAP];
	struct vo_order o;

	cr_assert_eq(B->rest_tmpl(&ctx, VO_OP_TIME, HOST, &t), -EINVAL);
	cr_assert_eq(B->rest_tmpl(&ctx, VO_OP_SUBSCRIBE, HOST, &t), -EINVAL);
	o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 0, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* px 0 */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 0);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* qty 0 */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, 9, 1, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* tif */
	o = order(S_BTC, 0, VO_LIMIT, KIMP_TIF_GTC, 1, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* side */
	o = order(S_BTC, KIMP_SIDE_BUY, 7, KIMP_TIF_GTC, 1, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* type */
	o = order(3, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* symbol */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_GTC, 0, 1);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* no total */
	o = order(S_BTC, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_GTC, 0, 0);
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);     /* no volume */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 1);
	o.coid = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(build(VO_OP_CANCEL, &o, buf, sizeof(buf)), -EINVAL);     /* no id at all */
	cr_assert_eq(build(VO_OP_PLACE, NULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(build(VO_OP_QUERY, NULL, buf, sizeof(buf)), -EINVAL);
	o.oid = "C01/../x";
	o.oid_len = 8;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);     /* oid chars */
	char oid[VO_OID_MAX + 1];
	memset(oid, 'C', sizeof(oid));
	o.oid = oid;
	o.oid_len = VO_OID_MAX;                                              /* too long */
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	o.oid_len = VO_OID_MAX - 1;                                          /* longest */
	cr_assert_gt(build(VO_OP_QUERY, &o, buf, sizeof(buf)), 0);
	/* no keys, and a request buffer too small */
	o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 1);
	{
		struct net_http_req r;
		size_t cap;

		cr_assert_eq(B->rest_tmpl(&ctx, VO_OP_PLACE, HOST, &t), 0);
		for (cap = 1; net_http_req_start(&r, &t, buf, cap); cap++)
			;       /* the smallest buffer the builder starts in */
		cr_assert_eq(B->rest_build(&ctx, VO_OP_PLACE, &o, &r), -ENOSPC);
	}
	ctx.keys = NULL;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(build(VO_OP_KEEPALIVE, NULL, buf, sizeof(buf)), -EINVAL);
}

/* ---- REST replies ---------------------------------------------------------------------- */

static int parse_h(enum vo_op op, const struct vo_order *o, uint16_t status,
		   const struct net_http_parser *h, const char *body, struct vo_event *ev)
{
	size_t n = strlen(body);
	uint8_t *copy = malloc(n ? n : 1);
	int err;

	cr_assert_not_null(copy);
	memcpy(copy, body, n);
	memset(ev, 0x5a, sizeof(*ev));
	err = B->rest_parse(&ctx, op, o, status, h, copy, n, ev);
	if (err) {
		cr_assert_lt(-err, VD_E_MAX);
		cr_assert_eq(ev->kind, VO_EV_NONE);
	} else if (ev->msg) {
		cr_assert(ev->msg >= (const char *)copy &&
			  ev->msg + ev->msg_len <= (const char *)copy + n);
		ev->msg = body + (ev->msg - (const char *)copy);
	}
	free(copy);
	return err;
}

static int parse(enum vo_op op, const struct vo_order *o, uint16_t status, const char *body,
		 struct vo_event *ev)
{
	return parse_h(op, o, status, NULL, body, ev);
}

Test(bithumb_ord, rest_captures)
{
	struct vo_order o = { .coid = 77, .sym = S_BTC };
	struct vo_event ev;
	char *l = test_fixture_line("bithumb-rest-order.jsonl", 0);

	/* GET /v1/order: done, one trade */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_str_eq(ev.oid, "C0101000000001799231");
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_eq(ev.px, 83000000);
	cr_assert_eq(ev.qty, 100000000);
	cr_assert_eq(ev.cum_qty, 100000000);
	cr_assert_eq(ev.cum_quote, 83000000);
	cr_assert_eq(ev.cum_fee, 207500);
	cr_assert(ev.flags & VO_F_CUM_FEE);
	cr_assert_eq(ev.coid, 77);                 /* not in the object: the request's */
	free(l);
	/* DELETE /v2/order: taken */
	l = test_fixture_line("bithumb-rest-order.jsonl", 2);
	cr_assert_eq(parse(VO_OP_CANCEL, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "C0101000000001799625");
	cr_assert_eq(ev.coid, 77);
	/* the same reply to a query is not an order state */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, l, &ev), -VD_E_SHAPE);
	free(l);
	/* the batch replies are not ours to read */
	for (unsigned i = 3; i < 5; i++) {
		l = test_fixture_line("bithumb-rest-order.jsonl", i);
		cr_assert_lt(parse(VO_OP_PLACE, &o, 201, l, &ev), 0, "line %u", i);
		free(l);
	}
}

Test(bithumb_ord, place_reply_is_an_ack_with_the_ids)
{
	struct vo_order o = { .coid = 77, .sym = S_BTC };
	struct vo_event ev;

	cr_assert_eq(parse(VO_OP_PLACE, &o, 201,
			   "{\"client_order_id\":\"kimp1734000000001\",\"order_id\":"
			   "\"C0101000007410713262\",\"market\":\"KRW-BTC\",\"side\":\"bid\","
			   "\"order_type\":\"limit\",\"created_at\":\"2026-01-06T12:08:11+09:00\"}",
			   &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.coid, 1734000000001ull);
	cr_assert_str_eq(ev.oid, "C0101000007410713262");
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	/* someone else's client id, and a market not ours */
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "{\"client_order_id\":\"other-1\","
			   "\"order_id\":\"C1\",\"market\":\"KRW-EGG\"}", &ev), 0);
	cr_assert_eq(ev.coid, 0);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE);
	/* refusals */
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "{\"client_order_id\":\"kimp1\"}", &ev),
		     -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "{\"order_id\":7}", &ev), -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "{\"order_id\":\"C1\",\"order_id\":\"C2\"}",
			   &ev), -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "{\"order_id\":\"C1\",\"side\":\"up\"}", &ev),
		     -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, "[1]", &ev), -VD_E_TYPE);
	cr_assert_lt(parse(VO_OP_PLACE, &o, 201, "{\"order_id\":", &ev), 0);
	char big[128];
	snprintf(big, sizeof(big), "{\"order_id\":\"%0*d\"}", VO_OID_MAX - 1, 1);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, big, &ev), 0);            /* longest */
	snprintf(big, sizeof(big), "{\"order_id\":\"%0*d\"}", VO_OID_MAX, 1);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, big, &ev), -VD_E_SHAPE);  /* too long */
}

Test(bithumb_ord, order_states)
{
	struct vo_order o = { .coid = 5, .sym = S_GMT };
	struct vo_event ev;

	/* done with volume left: an IOC that filled in part */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"done\","
			   "\"market\":\"KRW-GMT\",\"ord_type\":\"limit\",\"price\":\"1055\","
			   "\"volume\":\"16\",\"remaining_volume\":\"11\",\"executed_volume\":\"5\","
			   "\"executed_funds\":\"5275\",\"paid_fee\":\"13.1875\"}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.cum_qty, 50000);
	cr_assert_eq(ev.cum_quote, 527500);
	cr_assert_eq(ev.cum_fee, 1319);             /* 13.1875 rounded to 2 decimals */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"cancel\","
			   "\"executed_volume\":\"0\"}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"wait\"}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	/* filled in part, no funds given: only an ack (fills come whole later) */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"wait\","
			   "\"executed_volume\":\"1\"}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.cum_qty, 0);
	/* a market buy: no unit price */
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"done\","
			   "\"ord_type\":\"price\",\"price\":\"10000\",\"executed_volume\":\"1\","
			   "\"trades\":[{\"funds\":\"4000\"},{\"funds\":\"5999.99\"}]}", &ev), 0);
	cr_assert_eq(ev.px, 0);
	cr_assert_eq(ev.cum_quote, 999999);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"gone\"}", &ev),
		     -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"wait\","
			   "\"volume\":\"-1\"}", &ev), -VD_E_NUMBER);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, "{\"uuid\":\"C1\",\"state\":\"wait\","
			   "\"trades\":{}}", &ev), -VD_E_SHAPE);
}

static void collect(void *arg, const struct vo_event *ev)
{
	struct vo_event *out = arg;
	unsigned i = 0;

	while (out[i].kind)
		i++;
	cr_assert_lt(i, 7);
	out[i] = *ev;
}

#define BADL "[{\"uuid\":\"a\",\"state\":\"wait\"},1]"

Test(bithumb_ord, open_orders_list)
{
	struct vo_event got[8];
	char *l = test_fixture_line("bithumb-rest-order.jsonl", 1);

	memset(got, 0, sizeof(got));
	cr_assert_eq(B->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)l, strlen(l), collect,
					got), 2);
	cr_assert_str_eq(got[0].oid, "C0101000000001799625");
	cr_assert_eq(got[0].state, KIMP_ORD_ACKED);
	cr_assert_eq(got[0].side, KIMP_SIDE_SELL);
	cr_assert_eq(got[0].px, 84001000);
	cr_assert_eq(got[0].qty, 20000000);
	cr_assert_eq(got[1].sym, S_GMT);
	cr_assert_eq(got[1].state, KIMP_ORD_PARTIAL);
	cr_assert_eq(got[1].cum_qty, 50000);
	cr_assert_eq(got[1].cum_quote, 527500);
	cr_assert_eq(got[1].cum_fee, 52);
	free(l);
	memset(got, 0, sizeof(got));
	cr_assert_eq(B->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"[]", 2, collect, got),
		     0);
	/* one bad element: nothing handed over */
	cr_assert_eq(B->rest_parse_list(&ctx, 200, NULL,
					(const uint8_t *)BADL, strlen(BADL),
					collect, got), -VD_E_SHAPE);
	cr_assert_eq(got[0].kind, VO_EV_NONE);
	/* an error reply: its event, and no list */
	static const char e[] = ERRB("jwt_verification");
	cr_assert_eq(B->rest_parse_list(&ctx, 401, NULL, (const uint8_t *)e, strlen(e), collect,
					got), -VD_E_TYPE);
	cr_assert_eq(got[0].kind, VO_EV_ERROR);
	cr_assert(got[0].flags & VO_F_AUTH);
}

/* ---- errors ---------------------------------------------------------------------------- */

Test(bithumb_ord, error_outcomes)
{
	static const struct {
		enum vo_op op;
		uint16_t status;
		const char *body;
		uint8_t outcome, flags;
		int32_t code;
	} c[] = {
		{ VO_OP_QUERY, 404, ERRB("order_not_found"), VO_OUT_NOT_FOUND, 0, 1024 },
		{ VO_OP_CANCEL, 404, ERRB("order_not_found"), VO_OUT_CANCEL_REJECTED, 0, 1024 },
		{ VO_OP_PLACE, 400, ERRB("insufficient_funds_bid"), VO_OUT_REJECTED, 0, 1007 },
		{ VO_OP_PLACE, 400, ERRB("cross_trading"), VO_OUT_REJECTED, 0, 1013 },
		{ VO_OP_PLACE, 400, ERRB("something_new"), VO_OUT_REJECTED, 0, 1999 },
		{ VO_OP_PLACE, 401, ERRB("jwt_verification"), VO_OUT_REJECTED, VO_F_AUTH, 1015 },
		{ VO_OP_PLACE, 401, ERRB("invalid_access_key"), VO_OUT_REJECTED, VO_F_AUTH, 1021 },
		{ VO_OP_PLACE, 401, ERRB("expired_jwt"), VO_OUT_REJECTED, VO_F_CLOCK, 1017 },
		{ VO_OP_PLACE, 401, ERRB("nonce_used"), VO_OUT_REJECTED, 0, 1018 },
		{ VO_OP_PLACE, 429, ERRB("too_many_requests"), VO_OUT_UNKNOWN, VO_F_RATE, 1025 },
		{ VO_OP_PLACE, 429, "", VO_OUT_UNKNOWN, VO_F_RATE, 0 },
		{ VO_OP_PLACE, 418, "", VO_OUT_UNKNOWN, VO_F_BAN, 0 },
		{ VO_OP_PLACE, 500, ERRB("server_error"), VO_OUT_UNKNOWN, 0, 1026 },
		{ VO_OP_PLACE, 503, "<html>", VO_OUT_UNKNOWN, 0, 0 },
		{ VO_OP_PLACE, 200, ERRB("server_error"), VO_OUT_UNKNOWN, 0, 1026 },
		{ VO_OP_QUERY, 200, "{\"error\":{\"name\":404,\"message\":\"Code not found\"}}",
		  VO_OUT_UNKNOWN, 0, 404 },
	};
	struct vo_order o = { .coid = 1, .sym = S_BTC };
	struct vo_event ev;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_assert_eq(parse(c[i].op, &o, c[i].status, c[i].body, &ev), 0, "case %zu", i);
		cr_assert_eq(ev.kind, VO_EV_ERROR, "case %zu", i);
		cr_assert_eq(ev.outcome, c[i].outcome, "case %zu", i);
		cr_assert_eq(ev.flags, c[i].flags, "case %zu", i);
		cr_assert_eq(ev.code, c[i].code, "case %zu", i);
		cr_assert_eq(ev.http_status, c[i].status);
		if (c[i].flags & VO_F_RATE)
			cr_assert_eq(ev.retry_at_ms, (uint64_t)(NOW_MS / 1000 + 1) * 1000);
	}
	/* the capture's lines as REST errors */
	char *l = test_fixture_line("bithumb-errors.jsonl", 3);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 404, l, &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_NOT_FOUND);
	cr_assert_eq(ev.msg_len, strlen("order_not_found"));
	free(l);
	/* a 4xx that is not the venue's error body is not understood */
	cr_assert_lt(parse(VO_OP_PLACE, &o, 400, "<html>", &ev), 0);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 400, "{\"error\":\"x\"}", &ev), -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 400, "{\"error\":{\"message\":\"x\"}}", &ev),
		     -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 400, "{\"error\":{\"name\":-1}}", &ev),
		     -VD_E_NUMBER);
	/* open and keepalive replies: checked JSON only */
	cr_assert_eq(parse(VO_OP_KEEPALIVE, NULL, 200, "[{\"currency\":\"KRW\"}]", &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_lt(parse(VO_OP_KEEPALIVE, NULL, 200, "[{", &ev), 0);
	cr_assert_eq(parse(VO_OP_TIME, NULL, 200, "{}", &ev), -VD_E_TYPE);
}

Test(bithumb_ord, ratelimit_headers_and_retry_after)
{
	static char raw[1024];
	static const char body[] = ERRB("too_many_requests");
	struct net_http_parser p;
	struct vo_event ev;
	unsigned r_priv = 1;

	cr_assert_str_eq(B->rates[r_priv].name, "private");
	snprintf(raw, sizeof(raw), "HTTP/1.1 429 Too Many\r\nx-ratelimit-remaining: 0\r\n"
		 "x-ratelimit-replenish-rate: 150\r\nRetry-After: 3\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(body), body);
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&p, raw, strlen(raw)), NET_HTTP_DONE);
	cr_assert_eq(parse_h(VO_OP_PLACE, NULL, 429, &p, body, &ev), 0);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].rule, r_priv);
	cr_assert_eq(ev.rate.v[0].is_left, 1);
	cr_assert_eq(ev.rate.v[0].value, 0);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 3000);
	snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nx-ratelimit-remaining: 139\r\n"
		 "Content-Length: 2\r\n\r\n[]");
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&p, raw, strlen(raw)), NET_HTTP_DONE);
	cr_assert_eq(parse_h(VO_OP_KEEPALIVE, NULL, 200, &p, "[]", &ev), 0);
	cr_assert_eq(ev.rate.v[0].value, 139);
}

/* ---- the private stream ------------------------------------------------------------------- */

static int wsp(const char *msg, struct vo_event *ev)
{
	size_t n = strlen(msg);
	uint8_t *copy = malloc(n ? n : 1);
	int err;

	cr_assert_not_null(copy);
	memcpy(copy, msg, n);
	memset(ev, 0x5a, sizeof(*ev));
	err = B->ws_parse(&ctx, VO_CH_PRIV, copy, n, ev);
	if (err)
		cr_assert_eq(ev->kind, VO_EV_NONE);
	ev->msg = NULL;
	free(copy);
	return err;
}

Test(bithumb_ord, private_upgrade_and_subscription)
{
	char out[2048], want[2048], hdr[2100];
	int n;

	ref_token(NULL, want, sizeof(want));
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", want);
	n = B->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out));
	cr_assert_eq(n, (int)strlen(hdr));
	cr_assert_str_eq(out, hdr);
	cr_assert_eq(B->ws_headers(&ctx, VO_CH_PRIV, out, (size_t)n), -ENOSPC);
	cr_assert_eq(B->ws_headers(&ctx, VO_CH_PRIV, out, (size_t)n + 1), n);
	cr_assert_eq(B->ws_headers(&ctx, VO_CH_REST, out, sizeof(out)), 0);
	n = B->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out));
	cr_assert_str_eq(out, "[{\"ticket\":\"" NONCE "\"},{\"type\":\"myOrder\"},"
			 "{\"format\":\"DEFAULT\"}]");
	cr_assert_eq(n, (int)strlen(out));
	cr_assert_eq(B->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, (size_t)n),
		     -ENOSPC);
	cr_assert_eq(B->ws_build(&ctx, VO_CH_PRIV, VO_OP_PLACE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	cr_assert_eq(B->ws_build(&ctx, VO_CH_WSAPI, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	ctx.keys = NULL;
	cr_assert_eq(B->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out)), -EINVAL);
}

Test(bithumb_ord, myorder_v1_capture)
{
	struct vo_event ev;
	char *l = test_fixture_line("bithumb-myorder-v1.jsonl", 0);

	cr_assert_eq(wsp(l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_str_eq(ev.oid, "C0101000000001818113");
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert(ev.flags & VO_F_LAST);
	cr_assert_eq(ev.last_px, 1927000);
	cr_assert_eq(ev.last_qty, 46970000);
	cr_assert_eq(ev.cum_qty, 46970000);
	cr_assert_eq(ev.cum_quote, 905112);          /* 905111.9 at 0 decimals */
	cr_assert_neq(ev.trade_id, 0);
	cr_assert_eq(ev.venue_ts_ns, 1727052318148ll * 1000000);
	free(l);
}

static const char V2_TRADE[] =
	"{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"order_id\":\"C0101000000001818113\","
	"\"client_order_id\":\"kimp9\",\"side\":\"sell\",\"order_type\":\"limit\","
	"\"state\":\"trade\",\"time_in_force\":\"ioc\",\"order_price\":\"1927000\","
	"\"order_quantity\":\"0.5\",\"trade_id\":\"C0101000000001744207\","
	"\"trade_price\":\"1926000\",\"trade_quantity\":\"0.2\",\"trade_amount\":\"385200\","
	"\"trade_timestamp\":1727052318148,\"executed_quantity\":\"0.3\","
	"\"remaining_quantity\":\"0.2\",\"executed_amount\":\"577900\",\"paid_fee\":\"1444.75\","
	"\"order_timestamp\":1727052318074,\"timestamp\":1727052318369,"
	"\"stream_type\":\"REALTIME\"}";

static const char V2_TRADE_SIMPLE[] =
	"{\"ty\":\"myOrder\",\"cd\":\"KRW-BTC\",\"oid\":\"C0101000000001818113\","
	"\"coid\":\"kimp9\",\"sd\":\"sell\",\"ot\":\"limit\",\"s\":\"trade\",\"tif\":\"ioc\","
	"\"op\":\"1927000\",\"oq\":\"0.5\",\"tid\":\"C0101000000001744207\","
	"\"tp\":\"1926000\",\"tq\":\"0.2\",\"ta\":\"385200\",\"ttms\":1727052318148,"
	"\"eq\":\"0.3\",\"rq\":\"0.2\",\"ea\":\"577900\",\"pf\":\"1444.75\","
	"\"otms\":1727052318074,\"tms\":1727052318369,\"st\":\"REALTIME\"}";

static void expect_v2_trade(const struct vo_event *ev)
{
	cr_assert_eq(ev->kind, VO_EV_ORDER);
	cr_assert_eq(ev->state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev->coid, 9);
	cr_assert_eq(ev->sym, S_BTC);
	cr_assert_eq(ev->side, KIMP_SIDE_SELL);
	cr_assert_eq(ev->px, 1927000);
	cr_assert_eq(ev->qty, 50000000);
	cr_assert(ev->flags & VO_F_LAST);
	cr_assert_eq(ev->last_px, 1926000);
	cr_assert_eq(ev->last_qty, 20000000);
	cr_assert_eq(ev->cum_qty, 30000000);
	cr_assert_eq(ev->cum_quote, 577900);
	cr_assert_eq(ev->cum_fee, 1445);
	cr_assert_neq(ev->trade_id, 0);
	cr_assert_eq(ev->venue_ts_ns, 1727052318148ll * 1000000);
}

Test(bithumb_ord, myorder_v2_default_and_simple)
{
	struct vo_event ev, ev2;

	cr_assert_eq(wsp(V2_TRADE, &ev), 0);
	expect_v2_trade(&ev);
	cr_assert_eq(wsp(V2_TRADE_SIMPLE, &ev2), 0);
	expect_v2_trade(&ev2);
	cr_assert_eq(ev.trade_id, ev2.trade_id);
	/* the last fill: nothing remains */
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"order_id\":\"C1\","
			 "\"side\":\"buy\",\"state\":\"trade\",\"trade_price\":\"1\","
			 "\"trade_quantity\":\"1\",\"executed_quantity\":\"1\","
			 "\"remaining_quantity\":\"0\",\"executed_amount\":\"1\","
			 "\"timestamp\":1}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	/* wait: fields without a value are left out on v2 */
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"order_id\":\"C1\","
			 "\"client_order_id\":\"kimp3\",\"side\":\"buy\",\"order_type\":\"limit\","
			 "\"state\":\"wait\",\"order_price\":\"100\",\"order_quantity\":\"1\","
			 "\"timestamp\":1727052318369}", &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.px, 100);
	cr_assert_eq(ev.qty, 100000000);
	cr_assert_eq(ev.coid, 3);
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"order_id\":\"C1\",\"state\":\"cancel\","
			 "\"cancel_type\":\"user\",\"executed_quantity\":\"0\",\"timestamp\":1}",
			 &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE);
	/* a stream message without a state is not an order event */
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"order_id\":\"C1\"}", &ev), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"order_id\":\"C1\",\"state\":\"trade\","
			 "\"trade_price\":\"x\"}", &ev), -VD_E_NUMBER);
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"order_id\":\"C1\",\"state\":\"trade\","
			 "\"trade_id\":5}", &ev), -VD_E_SHAPE);
}

Test(bithumb_ord, myasset_status_errors_and_other_frames)
{
	struct vo_event ev;

	for (unsigned i = 0; i < 2; i++) {
		char *l = test_fixture_line("bithumb-myasset.jsonl", i);
		cr_assert_eq(wsp(l, &ev), 0);
		cr_assert_eq(ev.kind, VO_EV_CONTROL);
		cr_assert_gt(ev.venue_ts_ns, 0);
		free(l);
	}
	cr_assert_eq(wsp("{\"status\":\"UP\"}", &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	for (unsigned i = 0; i < 3; i++) {
		char *l = test_fixture_line("bithumb-errors.jsonl", i);
		cr_assert_eq(wsp(l, &ev), 0);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
		cr_assert_eq(ev.flags, 0);
		free(l);
	}
	cr_assert_eq(wsp(ERRB("INVALID_AUTH"), &ev), 0);
	cr_assert_eq(ev.flags, VO_F_AUTH);
	cr_assert_eq(wsp(ERRB("TOO_MANY_REQUEST"), &ev), 0);
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(wsp("{\"type\":\"ticker\"}", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("{\"type\":5}", &ev), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"status\":\"0000\"}", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("[]", &ev), -VD_E_TYPE);
	cr_assert_lt(wsp("{\"type\":\"myOrder\"", &ev), 0);
	memset(&ev, 0x5a, sizeof(ev));
	cr_assert_eq(B->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)"{}", 2, &ev), -VD_E_TYPE);
}

/* Every prefix of every capture and message is refused, never crashes. */
Test(bithumb_ord, every_prefix_is_refused)
{
	static const char *const files[] = { "bithumb-rest-order.jsonl", "bithumb-myorder-v1.jsonl",
					     "bithumb-myasset.jsonl", "bithumb-errors.jsonl" };
	struct vo_order o = { .coid = 1, .sym = S_BTC };
	struct vo_event ev;

	for (size_t f = 0; f < 4; f++) {
		char *l;
		for (unsigned i = 0; (l = test_fixture_line(files[f], i)); i++) {
			size_t n = strlen(l);
			for (size_t k = 0; k < n; k++) {
				char c = l[k];
				l[k] = 0;
				cr_assert_lt(wsp(l, &ev), 0, "%s:%u cut %zu", files[f], i, k);
				cr_assert_lt(parse(VO_OP_QUERY, &o, 200, l, &ev), 0);
				l[k] = c;
			}
			free(l);
		}
	}
	cr_assert_lt(wsp(V2_TRADE + 1, &ev), 0);
}
