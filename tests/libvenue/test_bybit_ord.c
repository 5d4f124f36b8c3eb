/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bybit_ord.c: the Bybit order-entry table. Signing against the
 * derived HMAC vectors; the exact bytes of the WebSocket auth, order and
 * subscribe messages and of the REST requests, their signatures recomputed
 * independently from what a server parses; every captured reply and push
 * parsed with its fields; error codes to outcomes and flags; rate
 * observations; malformed and truncated input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue_ord.h"
#include "../testutil.h"

#define SECRET "TESTSECRET"
#define APIKEY "XXXXXXXXXX"
#define NOW_MS 1662350395000ll

static const struct venue_ord *vo = &venue_ord_bybit;
static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;
static struct vo_event ev;
static char *buf;

enum { BTCUSDT, ETHUSDT, DOGEUSDT };

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BYBIT);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 6, 1), BTCUSDT);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "USDT", 2, 5, 2), ETHUSDT);
	cr_assert_eq(venue_symtab_add(&tab, "DOGE", "USDT", 5, 0, 3), DOGEUSDT);
	cr_assert_eq(vo->key_init(&keys, APIKEY, SECRET, strlen(SECRET), NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = vo;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.recv_window_ms = 5000;
	ctx.now_ns = NOW_MS * 1000000;
	memset(&ev, 0x5a, sizeof(ev));
	buf = NULL;
}

static void teardown(void)
{
	free(buf);
	buf = NULL;
}

TestSuite(bybit_ord, .init = setup, .fini = teardown);

static int ws_ch(enum vo_chan ch, const char *s, size_t n)
{
	free(buf);
	buf = malloc(n ? n : 1);
	memcpy(buf, s, n);
	return vo->ws_parse(&ctx, ch, (const uint8_t *)buf, n, &ev);
}

static int ws(const char *s)
{
	return ws_ch(VO_CH_WSAPI, s, strlen(s));
}

static int wsp(const char *s)
{
	return ws_ch(VO_CH_PRIV, s, strlen(s));
}

static char *fx(const char *file, unsigned n)
{
	char *l = test_fixture_line(file, n);

	cr_assert_not_null(l, "%s line %u", file, n + 1);
	return l;
}

static char rbuf[8192];
static struct net_http_parser resp;

static int rest(enum vo_op op, const struct vo_order *o, const char *head, const char *body)
{
	int n = snprintf(rbuf, sizeof(rbuf), "%sContent-Length: %zu\r\n\r\n%s", head,
			 strlen(body), body);
	struct net_http_str b;

	cr_assert_lt((size_t)n, sizeof(rbuf));
	cr_assert_eq(net_http_parser_init(&resp, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&resp, rbuf, (size_t)n), NET_HTTP_DONE);
	b = net_http_body(&resp);
	return vo->rest_parse(&ctx, op, o, resp.status, &resp, (const uint8_t *)b.p, b.len, &ev);
}

static struct vo_order limit(uint8_t side, uint8_t tif)
{
	return (struct vo_order){ .coid = 42, .sym = BTCUSDT, .side = side, .type = VO_LIMIT,
				  .tif = tif, .px = 6500012, .qty = 150000 };
}

static void hmac_hex(const char *payload, char out[65])
{
	cr_assert_eq(venue_hmac_sha256(SECRET, strlen(SECRET), payload, strlen(payload),
				       VENUE_HEX, out, 65), 64);
}

static char jbuf[2048];

/* The string value of key in a flat JSON line (test helper, no escapes). */
static const char *jfield(const char *l, const char *key)
{
	char k[64];
	const char *p, *e;

	snprintf(k, sizeof(k), "\"%s\":\"", key);
	p = strstr(l, k);
	cr_assert_not_null(p, "%s in %s", key, l);
	p += strlen(k);
	e = strchr(p, '"');
	memcpy(jbuf, p, (size_t)(e - p));
	jbuf[e - p] = 0;
	return jbuf;
}

/* ---- table, keys, signing ---------------------------------------------------------- */

Test(bybit_ord, table_facts)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_BYBIT), vo);
	cr_assert_eq(venue_ord_by_name("bybit"), vo);
	cr_assert_eq(vo_fast_chan(vo, VO_OP_PLACE), VO_CH_WSAPI);
	cr_assert_eq(vo_fast_chan(vo, VO_OP_CANCEL), VO_CH_WSAPI);
	cr_assert_eq(vo_fast_chan(vo, VO_OP_QUERY), VO_CH_REST);
	cr_assert_eq(vo->chans[VO_OP_LOGIN], VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(vo->chans[VO_OP_SUBSCRIBE], VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(vo->user_data_on_wsapi, false);
	cr_assert_eq(vo->cancel_async, true);
	cr_assert_str_eq(vo->ws_path(VO_CH_WSAPI), "/v5/trade");
	cr_assert_str_eq(vo->ws_path(VO_CH_PRIV), "/v5/private");
	cr_assert_null(vo->ws_path(VO_CH_REST));
	char h[8] = "x";
	cr_assert_eq(vo->ws_headers(&ctx, VO_CH_PRIV, h, sizeof(h)), 0);
	cr_assert_str_eq(vo->err_name(10006), "TOO_MANY_VISITS");
	cr_assert_null(vo->err_name(1));
}

Test(bybit_ord, rate_rules_and_costs)
{
	cr_assert_eq(vo->nrates, 4u);
	cr_assert_eq(vo->rates[0].limit, 600u);
	cr_assert_eq(vo->rates[0].window_ns, 5000000000ull);
	cr_assert_eq(vo->rates[1].limit, 20u);
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_REST, 0), 1);
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_WSAPI, 0), 0);   /* WS: not the HTTP IP limit */
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_WSAPI, 1), 1);
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_REST, 2), 0);
	cr_assert_eq(vo->cost(VO_OP_CANCEL, VO_CH_WSAPI, 2), 1);
	cr_assert_eq(vo->cost(VO_OP_QUERY, VO_CH_REST, 3), 1);
	cr_assert_eq(vo->cost(VO_OP_OPEN, VO_CH_REST, 3), 1);
	cr_assert_eq(vo->cost(VO_OP_TIME, VO_CH_REST, 1), 0);
	cr_assert_eq(vo->cost(VO_OP_SUBSCRIBE, VO_CH_PRIV, 0), 0);
	cr_assert_eq(vo->connect_cost(VO_CH_WSAPI, 0), 0);
}

Test(bybit_ord, hmac_vectors)
{
	for (unsigned i = 0;; i++) {
		char *l = test_fixture_line("testvectors-hmac.jsonl", i);
		char out[80], payload[1024], want[80];
		struct vo_keys k;
		struct vo_ctx c = ctx;
		size_t o = 0;

		if (!l)
			break;
		if (!strstr(l, "\"exchange\":\"bybit\"")) {
			free(l);
			continue;
		}
		/* the payload with its \" escapes undone */
		const char *p = strstr(l, "\"payload\":\"") + 11;
		for (; *p && !(p[0] == '"' && p[-1] != '\\'); p++)
			if (!(p[0] == '\\' && p[1] == '"'))
				payload[o++] = *p;
		payload[o] = 0;
		cr_assert_eq(strlen(jfield(l, "expected")), 64u);
		memcpy(want, jbuf, 65);
		cr_assert_eq(vo->key_init(&k, "XXXXXXXXXX", "TESTSECRET", 10, NULL), 0);
		c.keys = &k;
		cr_assert_eq(vo->sign_payload(&c, payload, strlen(payload), out, sizeof(out)), 64);
		cr_assert_str_eq(out, want, "%s", l);
		free(l);
	}
	cr_assert_eq(vo->sign_payload(&ctx, "x", 1, (char[64]){ 0 }, 64), -ENOBUFS);
	cr_assert_eq(vo->sign_payload(&ctx, NULL, 1, (char[80]){ 0 }, 80), -EINVAL);
}

Test(bybit_ord, key_init_refuses)
{
	struct vo_keys k;
	char big[VO_API_KEY_MAX + 1];

	cr_assert_eq(vo->key_init(&k, "", SECRET, 10, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "a b", SECRET, 10, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "a\"b", SECRET, 10, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "ab", SECRET, 0, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "ab", NULL, 10, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "ab", SECRET, 10, "pass"), -EINVAL);
	memset(big, 'k', sizeof(big));
	big[VO_API_KEY_MAX - 1] = 0;            /* 127 chars: fits */
	cr_assert_eq(vo->key_init(&k, big, SECRET, 10, NULL), 0);
	big[VO_API_KEY_MAX - 1] = 'k';
	big[VO_API_KEY_MAX] = 0;                /* 128: does not */
	cr_assert_eq(vo->key_init(&k, big, SECRET, 10, NULL), -EINVAL);
}

/* ---- WebSocket requests ------------------------------------------------------------- */

static char out[2048];

static int build(enum vo_chan ch, enum vo_op op, const struct vo_order *o, uint64_t id)
{
	memset(out, 0, sizeof(out));
	return vo->ws_build(&ctx, ch, op, o, id, out, sizeof(out));
}

Test(bybit_ord, ws_login_both_channels_match_the_vector)
{
	char sig[65], want[512];

	/* expires = now + recv window = 1662350400000: the derived vector's */
	ctx.recv_window_ms = 5000;
	hmac_hex("GET/realtime1662350400000", sig);
	cr_assert_str_eq(sig, "0275f66dd946f3d1fc4b8958ea3f134c6702284d719ff4acb110e927415cca6e");
	snprintf(want, sizeof(want), "{\"op\":\"auth\",\"args\":[\"%s\",1662350400000,\"%s\"]}",
		 APIKEY, sig);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_LOGIN, NULL, 9), (int)strlen(want));
	cr_assert_str_eq(out, want);
	snprintf(want, sizeof(want),
		 "{\"req_id\":\"9\",\"op\":\"auth\",\"args\":[\"%s\",1662350400000,\"%s\"]}", APIKEY,
		 sig);
	cr_assert_eq(build(VO_CH_PRIV, VO_OP_LOGIN, NULL, 9), (int)strlen(want));
	cr_assert_str_eq(out, want);
	/* recv window 0 means the default 5000 */
	ctx.recv_window_ms = 0;
	cr_assert_eq(build(VO_CH_PRIV, VO_OP_LOGIN, NULL, 9), (int)strlen(want));
	cr_assert_str_eq(out, want);
	/* the clock offset moves expires */
	ctx.offset_ns = 1000000;
	build(VO_CH_WSAPI, VO_OP_LOGIN, NULL, 1);
	cr_assert_not_null(strstr(out, ",1662350400001,"));
}

Test(bybit_ord, ws_place_limit_tifs)
{
	static const struct {
		uint8_t type, tif;
		const char *word;
	} c[] = {
		{ VO_LIMIT, KIMP_TIF_GTC, "GTC" }, { VO_LIMIT, KIMP_TIF_IOC, "IOC" },
		{ VO_LIMIT, KIMP_TIF_FOK, "FOK" }, { VO_LIMIT, KIMP_TIF_POST_ONLY, "PostOnly" },
		{ VO_POST_ONLY, KIMP_TIF_GTC, "PostOnly" },
	};
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		struct vo_order o = limit(KIMP_SIDE_BUY, c[i].tif);
		char want[1024];

		o.type = c[i].type;
		snprintf(want, sizeof(want),
			 "{\"reqId\":\"77\",\"header\":{\"X-BAPI-TIMESTAMP\":\"1662350395000\","
			 "\"X-BAPI-RECV-WINDOW\":\"5000\"},\"op\":\"order.create\",\"args\":[{"
			 "\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
			 "\"orderType\":\"Limit\",\"qty\":\"0.15\",\"price\":\"65000.12\","
			 "\"timeInForce\":\"%s\",\"orderLinkId\":\"kimp42\"}]}",
			 c[i].word);
		cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 77), (int)strlen(want));
		cr_assert_str_eq(out, want);
	}
}

Test(bybit_ord, ws_place_market_by_quote_and_base)
{
	struct vo_order o = { .coid = 7, .sym = ETHUSDT, .side = KIMP_SIDE_BUY, .type = VO_MARKET,
			      .quote_qty = 1050 };

	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), 0);
	cr_assert_not_null(strstr(out, "\"side\":\"Buy\",\"orderType\":\"Market\",\"qty\":\"10.5\","
				       "\"marketUnit\":\"quoteCoin\",\"orderLinkId\":\"kimp7\"}"), "%s", out);
	cr_assert_null(strstr(out, "price"));
	cr_assert_null(strstr(out, "timeInForce"));
	o.quote_qty = 0;
	o.qty = 123;
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), 0);
	cr_assert_not_null(strstr(out, "\"qty\":\"0.00123\",\"marketUnit\":\"baseCoin\""), "%s", out);
	o.side = KIMP_SIDE_SELL;
	o.quote_qty = 1050;     /* a sell goes by base whatever */
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), 0);
	cr_assert_not_null(strstr(out, "\"side\":\"Sell\",\"orderType\":\"Market\",\"qty\":\"0.00123\","
				       "\"marketUnit\":\"baseCoin\""), "%s", out);
	o.qty = 0;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
}

Test(bybit_ord, ws_cancel_subscribe_ping)
{
	struct vo_order o = limit(KIMP_SIDE_SELL, KIMP_TIF_GTC);

	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_CANCEL, &o, 5), 0);
	cr_assert_str_eq(out, "{\"reqId\":\"5\",\"header\":{\"X-BAPI-TIMESTAMP\":\"1662350395000\","
			      "\"X-BAPI-RECV-WINDOW\":\"5000\"},\"op\":\"order.cancel\",\"args\":[{"
			      "\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"orderLinkId\":\"kimp42\"}]}");
	o.oid = "1321003749386327552";
	o.oid_len = 19;
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_CANCEL, &o, 5), 0);
	cr_assert_not_null(strstr(out, "\"orderId\":\"1321003749386327552\"}]}"));
	cr_assert_gt(build(VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 12), 0);
	cr_assert_str_eq(out, "{\"req_id\":\"12\",\"op\":\"subscribe\",\"args\":[\"order.spot\","
			      "\"execution.spot\"]}");
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_KEEPALIVE, NULL, 3), 0);
	cr_assert_str_eq(out, "{\"op\":\"ping\"}");
	cr_assert_gt(build(VO_CH_PRIV, VO_OP_KEEPALIVE, NULL, 3), 0);
	cr_assert_str_eq(out, "{\"req_id\":\"3\",\"op\":\"ping\"}");
}

Test(bybit_ord, ws_build_refuses)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);

	cr_assert_eq(build(VO_CH_REST, VO_OP_PLACE, &o, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_PRIV, VO_OP_PLACE, &o, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_SUBSCRIBE, NULL, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_QUERY, &o, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, NULL, 1), -EINVAL);
	o.sym = 9;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	o = limit(0, KIMP_TIF_GTC);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	o = limit(KIMP_SIDE_BUY, 9);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	o.px = 0;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	o.coid = 0;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_CANCEL, &o, 1), -EINVAL);
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	o.type = 9;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	o.oid = "a\"b";
	o.oid_len = 3;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_CANCEL, &o, 1), -EINVAL);
	/* recv window boundary: 60000 taken, 60001 refused */
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	ctx.recv_window_ms = 60000;
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), 0);
	ctx.recv_window_ms = 60001;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_LOGIN, NULL, 1), -EINVAL);
	ctx.recv_window_ms = 5000;
	ctx.keys = NULL;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_LOGIN, NULL, 1), -EINVAL);
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), -EINVAL);
	ctx.keys = &keys;
	/* a clock before the epoch */
	ctx.now_ns = 0;
	ctx.offset_ns = -(int64_t)NOW_MS * 2000000;
	cr_assert_eq(build(VO_CH_WSAPI, VO_OP_LOGIN, NULL, 1), -EINVAL);
}

Test(bybit_ord, ws_build_capacity_boundary)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	int n = build(VO_CH_WSAPI, VO_OP_PLACE, &o, 77);

	cr_assert_gt(n, 0);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 77, out, (size_t)n), n);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 77, out, (size_t)n - 1),
		     -ENOSPC);
	n = build(VO_CH_PRIV, VO_OP_LOGIN, NULL, 1);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_PRIV, VO_OP_LOGIN, NULL, 1, out, (size_t)n), n);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_PRIV, VO_OP_LOGIN, NULL, 1, out, (size_t)n - 1),
		     -ENOSPC);
}

/* ---- REST requests ------------------------------------------------------------------ */

static char rq[4096];

static int rest_req(enum vo_op op, const struct vo_order *o)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	memset(rq, 0, sizeof(rq));
	err = vo->rest_tmpl(&ctx, op, "api.bybit.com", &t);
	if (err)
		return err;
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq) - 1), 0);
	err = vo->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	return net_http_req_finish(&r);
}

static struct net_http_parser sreq;

/* A server's view of the request: its headers' signature recomputed. */
static void check_signed(int n, const char *method, const char *path, const char *payload)
{
	struct net_http_str ts, rw, sg, key, m;
	char pre[2048], sig[65];

	cr_assert_gt(n, 0, "%d", n);
	cr_assert_eq(net_http_parser_init(&sreq, NET_HTTP_REQUEST, NULL), 0);
	cr_assert_eq(net_http_parse(&sreq, rq, (size_t)n), NET_HTTP_DONE, "%s", rq);
	m = net_http_method_str(&sreq);
	cr_assert_eq(m.len, strlen(method));
	cr_assert_eq(memcmp(m.p, method, m.len), 0);
	m = net_http_path(&sreq);
	cr_assert_eq(m.len, strlen(path), "%.*s", (int)m.len, m.p);
	cr_assert_eq(memcmp(m.p, path, m.len), 0);
	ts = net_http_header(&sreq, "X-BAPI-TIMESTAMP");
	rw = net_http_header(&sreq, "X-BAPI-RECV-WINDOW");
	sg = net_http_header(&sreq, "X-BAPI-SIGN");
	key = net_http_header(&sreq, "X-BAPI-API-KEY");
	cr_assert(ts.p && rw.p && sg.p && key.p);
	cr_assert_eq(ts.len, 13u);
	cr_assert_eq(memcmp(ts.p, "1662350395000", 13), 0);
	cr_assert_eq(memcmp(key.p, APIKEY, key.len), 0);
	snprintf(pre, sizeof(pre), "%.*s%.*s%.*s%s", (int)ts.len, ts.p, (int)key.len, key.p,
		 (int)rw.len, rw.p, payload);
	hmac_hex(pre, sig);
	cr_assert_eq(sg.len, 64u);
	cr_assert_eq(memcmp(sg.p, sig, 64), 0, "sign over %s", pre);
}

Test(bybit_ord, rest_place_post_body_signed)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_POST_ONLY);
	static const char body[] = "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
				   "\"orderType\":\"Limit\",\"qty\":\"0.15\",\"price\":\"65000.12\","
				   "\"timeInForce\":\"PostOnly\",\"orderLinkId\":\"kimp42\"}";
	int n = rest_req(VO_OP_PLACE, &o);

	check_signed(n, "POST", "/v5/order/create", body);
	struct net_http_str b = net_http_body(&sreq), ct = net_http_header(&sreq, "Content-Type");
	cr_assert_eq(b.len, strlen(body));
	cr_assert_eq(memcmp(b.p, body, b.len), 0);
	cr_assert_eq(memcmp(ct.p, "application/json", ct.len), 0);
	/* the same body over the wire as in the WS request's args */
	cr_assert_gt(build(VO_CH_WSAPI, VO_OP_PLACE, &o, 1), 0);
	cr_assert_not_null(strstr(out, body));
}

Test(bybit_ord, rest_cancel_query_open_time)
{
	struct vo_order o = limit(KIMP_SIDE_SELL, KIMP_TIF_GTC);

	check_signed(rest_req(VO_OP_CANCEL, &o), "POST", "/v5/order/cancel",
		     "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"orderLinkId\":\"kimp42\"}");
	check_signed(rest_req(VO_OP_QUERY, &o), "GET", "/v5/order/realtime",
		     "category=spot&symbol=BTCUSDT&orderLinkId=kimp42");
	o.oid = "1321003749386327552";
	o.oid_len = 19;
	check_signed(rest_req(VO_OP_QUERY, &o), "GET", "/v5/order/realtime",
		     "category=spot&symbol=BTCUSDT&orderId=1321003749386327552");
	check_signed(rest_req(VO_OP_OPEN, NULL), "GET", "/v5/order/realtime",
		     "category=spot&openOnly=0&limit=50");
	int n = rest_req(VO_OP_TIME, NULL);
	cr_assert_gt(n, 0);
	cr_assert_eq(strncmp(rq, "GET /v5/market/time HTTP/1.1\r\nHost: api.bybit.com\r\n", 51), 0,
		     "%s", rq);
	cr_assert_null(strstr(rq, "X-BAPI"));
	cr_assert_gt(rest_req(VO_OP_KEEPALIVE, NULL), 0);
	/* recv window 0: 5000 sent and signed */
	ctx.recv_window_ms = 0;
	check_signed(rest_req(VO_OP_OPEN, NULL), "GET", "/v5/order/realtime",
		     "category=spot&openOnly=0&limit=50");
	struct net_http_str rw = net_http_header(&sreq, "X-BAPI-RECV-WINDOW");
	cr_assert_eq(memcmp(rw.p, "5000", 4), 0);
}

Test(bybit_ord, rest_build_refuses)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	struct net_http_tmpl t;

	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_SUBSCRIBE, "h", &t), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_LOGIN, "h", &t), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_PLACE, NULL, &t), -EINVAL);
	o.qty = 0;
	cr_assert_eq(rest_req(VO_OP_PLACE, &o), -EINVAL);
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	o.coid = 0;
	cr_assert_eq(rest_req(VO_OP_QUERY, &o), -EINVAL);
	cr_assert_eq(rest_req(VO_OP_CANCEL, NULL), -EINVAL);
	ctx.recv_window_ms = 60001;
	cr_assert_eq(rest_req(VO_OP_OPEN, NULL), -EINVAL);
	ctx.recv_window_ms = 5000;
	ctx.keys = NULL;
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_PLACE, "h", &t), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_TIME, "h", &t), 0);
	ctx.keys = &keys;
	/* a buffer too small for the request */
	struct net_http_req r;
	char small[200];
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_QUERY, "api.bybit.com", &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	int e = vo->rest_build(&ctx, VO_OP_QUERY, &o, &r);
	cr_assert(e == -ENOSPC || net_http_req_finish(&r) == -ENOBUFS);
}

/* ---- replies ---------------------------------------------------------------------- */

Test(bybit_ord, ws_trade_fixtures)
{
	char *l;

	/* 1, 3, 5, 7: requests */
	static const unsigned req[] = { 0, 2, 4, 6 };
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(req); i++) {
		l = fx("bybit-ws-trade.jsonl", req[i]);
		cr_assert_eq(ws(l), -VD_E_TYPE, "line %u", req[i] + 1);
		cr_assert_eq(ev.kind, VO_EV_NONE);
		free(l);
	}
	l = fx("bybit-ws-trade.jsonl", 1);
	cr_assert_eq(ws(l), 0);
	cr_assert_eq(ev.kind, VO_EV_LOGIN);
	free(l);
	/* 4: order.create accepted (a linear example; orderLinkId "") */
	l = fx("bybit-ws-trade.jsonl", 3);
	cr_assert_eq(ws(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "a4c1718e-fe53-4659-a118-1f6ecce04ad9");
	cr_assert_eq(ev.coid, 0u);
	cr_assert_eq(ev.req_id, 0u);    /* "test-005" is not one of ours */
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].rule, 1);
	cr_assert_eq(ev.rate.v[0].is_left, 1);
	cr_assert_eq(ev.rate.v[0].value, 9u);
	free(l);
	/* 6: a batch reply: not an operation we send */
	l = fx("bybit-ws-trade.jsonl", 5);
	cr_assert_eq(ws(l), -VD_E_TYPE);
	free(l);
}

Test(bybit_ord, ws_our_replies)
{
	cr_assert_eq(ws("{\"reqId\":\"77\",\"retCode\":0,\"retMsg\":\"OK\",\"op\":\"order.create\","
			"\"data\":{\"orderId\":\"1321003749386327552\",\"orderLinkId\":\"kimp42\"},"
			"\"retExtInfo\":{},\"header\":{\"X-Bapi-Limit\":\"20\",\"X-Bapi-Limit-Status\":\"19\","
			"\"X-Bapi-Limit-Reset-Timestamp\":\"1711001595208\"},\"connId\":\"x\"}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.req_id, 77u);
	cr_assert_eq(ev.coid, 42u);
	cr_assert_str_eq(ev.oid, "1321003749386327552");
	cr_assert_eq(ws("{\"reqId\":\"78\",\"retCode\":0,\"retMsg\":\"OK\",\"op\":\"order.cancel\","
			"\"data\":{\"orderId\":\"1\",\"orderLinkId\":\"kimp42\"},\"header\":{}}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.req_id, 78u);
	cr_assert_eq(ev.rate.n, 0);
	/* refusals over the trade WS */
	cr_assert_eq(ws("{\"reqId\":\"79\",\"retCode\":170131,\"retMsg\":\"Insufficient balance.\","
			"\"op\":\"order.create\",\"data\":{},\"header\":{}}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.code, 170131);
	cr_assert_eq(ev.msg_len, strlen("Insufficient balance."));
	cr_assert_eq(ws("{\"reqId\":\"80\",\"retCode\":10006,\"retMsg\":\"Too many visits!\","
			"\"op\":\"order.create\",\"data\":{},\"header\":{\"X-Bapi-Limit-Status\":\"0\","
			"\"X-Bapi-Limit-Reset-Timestamp\":\"1662350396000\"}}"),
		     0);
	cr_assert_eq(ev.flags & VO_F_RATE, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, 1662350396000ull);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ws("{\"reqId\":\"81\",\"retCode\":10016,\"retMsg\":\"Internal\","
			"\"op\":\"order.create\",\"data\":{}}"),
		     0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ws("{\"reqId\":\"82\",\"retCode\":110001,\"retMsg\":\"Order does not exist\","
			"\"op\":\"order.cancel\",\"data\":{}}"),
		     0);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED);
	/* auth failures, both forms */
	cr_assert_eq(ws("{\"retCode\":10004,\"retMsg\":\"Invalid sign\",\"op\":\"auth\",\"connId\":\"x\"}"), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.flags & VO_F_AUTH, VO_F_AUTH);
	cr_assert_eq(ev.code, 10004);
	cr_assert_eq(wsp("{\"success\":false,\"ret_msg\":\"Invalid apikey\",\"retCode\":10003,"
			 "\"op\":\"auth\",\"conn_id\":\"x\"}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.flags & VO_F_AUTH, VO_F_AUTH);
	/* ping replies */
	cr_assert_eq(ws("{\"retCode\":0,\"retMsg\":\"OK\",\"op\":\"pong\",\"data\":[\"1711001595208\"],\"connId\":\"x\"}"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
}

Test(bybit_ord, private_control_fixtures)
{
	char *l;

	/* auth reply, pongs, subscribe replies */
	static const struct {
		unsigned line;
		uint8_t kind;
	} c[] = {
		{ 1, VO_EV_LOGIN }, { 2, VO_EV_CONTROL }, { 3, VO_EV_CONTROL },
		{ 4, VO_EV_CONTROL }, { 5, VO_EV_CONTROL }, { 9, VO_EV_SUBSCRIBED },
		{ 10, VO_EV_SUBSCRIBED }, { 11, VO_EV_SUBSCRIBED }, { 13, VO_EV_CONTROL },
	};
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		l = fx("bybit-ws-control.jsonl", c[i].line);
		cr_assert_eq(wsp(l), 0, "line %u", c[i].line + 1);
		cr_assert_eq(ev.kind, c[i].kind, "line %u", c[i].line + 1);
		free(l);
	}
	l = fx("bybit-ws-control.jsonl", 10);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.req_id, 10001u);
	free(l);
	static const unsigned req[] = { 0, 6, 7, 8, 12 };
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(req); i++) {
		l = fx("bybit-ws-control.jsonl", req[i]);
		cr_assert_eq(wsp(l), -VD_E_TYPE, "line %u", req[i] + 1);
		free(l);
	}
	cr_assert_eq(wsp("{\"success\":false,\"ret_msg\":\"error:topic\",\"op\":\"subscribe\",\"req_id\":\"4\"}"), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
}

Test(bybit_ord, private_stream_fixtures)
{
	char *l;

	/* subscribe requests: ours */
	static const unsigned req[] = { 0, 2, 4 };
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(req); i++) {
		l = fx("bybit-private-stream.jsonl", req[i]);
		cr_assert_eq(wsp(l), -VD_E_TYPE);
		free(l);
	}
	/* 2: an option order (not spot, not ours): control */
	l = fx("bybit-private-stream.jsonl", 1);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	free(l);
	/* 4: an execution: fills come from the order pushes */
	l = fx("bybit-private-stream.jsonl", 3);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.venue_ts_ns, 1746270400355ll * 1000000);
	free(l);
}

static const char spot_order[] =
	"{\"topic\":\"order.spot\",\"id\":\"x\",\"creationTime\":1700000000001,\"data\":[{"
	"\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"orderId\":\"1321003749386327552\","
	"\"orderLinkId\":\"kimp42\",\"side\":\"Buy\",\"orderType\":\"Limit\",\"price\":\"65000.12\","
	"\"qty\":\"0.15\",\"orderStatus\":\"PartiallyFilled\",\"cumExecQty\":\"0.05\","
	"\"cumExecValue\":\"3250.006\",\"cumFeeDetail\":{\"BTC\":\"0.0000051\"},"
	"\"leavesQty\":\"0.1\",\"avgPrice\":\"65000.12\",\"timeInForce\":\"GTC\","
	"\"createdTime\":\"1700000000000\",\"updatedTime\":\"1700000000001\"}]}";

Test(bybit_ord, order_push_of_ours)
{
	cr_assert_eq(wsp(spot_order), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.coid, 42u);
	cr_assert_eq(ev.sym, BTCUSDT);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_str_eq(ev.oid, "1321003749386327552");
	cr_assert_eq(ev.px, 6500012);
	cr_assert_eq(ev.qty, 150000);
	cr_assert_eq(ev.cum_qty, 50000);
	cr_assert_eq(ev.cum_quote, 325001);        /* 3250.006 to nearest cent */
	cr_assert_eq(ev.flags & VO_F_CUM_FEE, VO_F_CUM_FEE);
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.cum_fee, 6);               /* 0.0000051 BTC rounded up at 6 dp */
	cr_assert_eq(ev.venue_ts_ns, 1700000000001ll * 1000000);
	/* the states */
	static const struct {
		const char *s;
		uint8_t st;
	} sts[] = {
		{ "New", KIMP_ORD_ACKED }, { "Filled", KIMP_ORD_FILLED },
		{ "Cancelled", KIMP_ORD_CANCELLED }, { "PartiallyFilledCanceled", KIMP_ORD_CANCELLED },
		{ "Rejected", KIMP_ORD_REJECTED },
	};
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(sts); i++) {
		char m[2048];
		snprintf(m, sizeof(m), "{\"topic\":\"order.spot\",\"data\":[{\"category\":\"spot\","
			 "\"symbol\":\"ETHUSDT\",\"orderId\":\"9\",\"orderLinkId\":\"kimp5\",\"side\":\"Sell\","
			 "\"orderType\":\"Market\",\"price\":\"\",\"qty\":\"0.5\",\"orderStatus\":\"%s\","
			 "\"cumExecQty\":\"0\",\"cumExecValue\":\"0\",\"cumFeeDetail\":{}}]}", sts[i].s);
		cr_assert_eq(wsp(m), 0, "%s", sts[i].s);
		cr_assert_eq(ev.state, sts[i].st, "%s", sts[i].s);
		cr_assert_eq(ev.px, 0);
		cr_assert_eq(ev.qty, 50000);
		cr_assert_eq(ev.flags & VO_F_CUM_FEE, 0);
	}
	/* a market buy's qty (quote) is not read as a size; a fee in another coin */
	cr_assert_eq(wsp("{\"topic\":\"order.spot\",\"data\":[{\"category\":\"spot\",\"symbol\":\"DOGEUSDT\","
			 "\"orderId\":\"9\",\"orderLinkId\":\"kimp5\",\"side\":\"Buy\",\"orderType\":\"Market\","
			 "\"qty\":\"10.5\",\"orderStatus\":\"Filled\",\"cumExecQty\":\"52\","
			 "\"cumExecValue\":\"10.49\",\"cumFeeDetail\":{\"MNT\":\"0.01\"}}]}"),
		     0);
	cr_assert_eq(ev.qty, 0);
	cr_assert_eq(ev.cum_qty, 52);
	cr_assert_eq(ev.flags & VO_F_FEE_OTHER, VO_F_FEE_OTHER);
	cr_assert_eq(ev.cum_fee, 0);
	/* someone else's client id: not ours (coid 0) but still an order event */
	cr_assert_eq(wsp("{\"topic\":\"order.spot\",\"data\":[{\"category\":\"spot\",\"symbol\":\"ETHUSDT\","
			 "\"orderId\":\"9\",\"orderLinkId\":\"web-1\",\"orderStatus\":\"New\"}]}"),
		     0);
	cr_assert_eq(ev.coid, 0u);
	/* an instrument not in the table, then one of ours: the second is the event */
	cr_assert_eq(wsp("{\"topic\":\"order.spot\",\"data\":[{\"category\":\"spot\",\"symbol\":\"SOLUSDT\","
			 "\"orderId\":\"8\",\"orderLinkId\":\"kimp4\",\"orderStatus\":\"New\"},"
			 "{\"category\":\"spot\",\"symbol\":\"ETHUSDT\",\"orderId\":\"9\","
			 "\"orderLinkId\":\"kimp5\",\"orderStatus\":\"Filled\"}]}"),
		     0);
	cr_assert_eq(ev.coid, 5u);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
}

Test(bybit_ord, rest_fixtures)
{
	char *l = fx("bybit-rest.jsonl", 0);
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_POST_ONLY);

	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 200 OK\r\nX-Bapi-Limit: 20\r\n"
					    "X-Bapi-Limit-Status: 17\r\n", l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "1321003749386327552");
	cr_assert_eq(ev.coid, 42u);                 /* "spot-test-postonly" is not ours: the request's */
	cr_assert_eq(ev.http_status, 200);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].rule, 1);
	cr_assert_eq(ev.rate.v[0].value, 17u);
	cr_assert_eq(ev.server_ms, 1672211918471ll);
	free(l);
	/* line 5: the generic wrapper: a keepalive's answer */
	l = fx("bybit-rest.jsonl", 4);
	cr_assert_eq(rest(VO_OP_KEEPALIVE, NULL, "HTTP/1.1 200 OK\r\n", l), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	/* as a TIME answer: the reply's "time" */
	cr_assert_eq(rest(VO_OP_TIME, NULL, "HTTP/1.1 200 OK\r\n", l), 0);
	cr_assert_eq(ev.kind, VO_EV_TIME);
	cr_assert_eq(ev.server_ms, 1671017382656ll);
	free(l);
	/* the server time endpoint */
	cr_assert_eq(rest(VO_OP_TIME, NULL, "HTTP/1.1 200 OK\r\n",
			  "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeSecond\":\"1688639403\","
			  "\"timeNano\":\"1688639403423213947\"},\"retExtInfo\":{},\"time\":1688639403423}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_TIME);
	cr_assert_eq(ev.server_ms, 1688639403423ll);
	/* lines 3 and 4 (instruments, fee rate) are no answer to an operation of ours */
	l = fx("bybit-rest.jsonl", 3);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 200 OK\r\n", l), -VD_E_SHAPE);
	cr_assert_eq(ev.kind, VO_EV_NONE);
	free(l);
}

Test(bybit_ord, rest_query_and_not_found)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":[{\"category\":\"spot\","
		 "\"symbol\":\"BTCUSDT\",\"orderId\":\"11\",\"orderLinkId\":\"kimp42\",\"side\":\"Buy\","
		 "\"orderType\":\"Limit\",\"price\":\"65000.12\",\"qty\":\"0.15\",\"orderStatus\":\"Filled\","
		 "\"cumExecQty\":\"0.15\",\"cumExecValue\":\"9750.018\",\"cumFeeDetail\":{\"BTC\":\"0.00015\"}}],"
		 "\"nextPageCursor\":\"\",\"category\":\"spot\"},\"retExtInfo\":{},\"time\":1}");
	cr_assert_eq(rest(VO_OP_QUERY, &o, "HTTP/1.1 200 OK\r\n", body), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.cum_qty, 150000);
	cr_assert_eq(ev.cum_fee, 150);
	cr_assert_eq(rest(VO_OP_QUERY, &o, "HTTP/1.1 200 OK\r\n",
			  "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":[],\"nextPageCursor\":\"\","
			  "\"category\":\"spot\"},\"retExtInfo\":{},\"time\":1}"),
		     0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_NOT_FOUND);
	cr_assert_eq(ev.coid, 42u);
	cr_assert_eq(ev.code, 110001);
	/* the open list */
	int n = vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body), NULL, NULL);
	cr_assert_eq(n, 1);
	static const char rc[] = "{\"retCode\":10001,\"retMsg\":\"x\",\"result\":{}}";
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)rc, strlen(rc), NULL, NULL),
		     -VD_E_TYPE);
	cr_assert_eq(vo->rest_parse_list(&ctx, 400, NULL, (const uint8_t *)body, strlen(body), NULL,
					 NULL),
		     -VD_E_TYPE);
	static const char nl[] = "{\"retCode\":0,\"result\":{}}";
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)nl, strlen(nl), NULL, NULL),
		     -VD_E_SHAPE);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, NULL, 0, NULL, NULL), -VD_E_SYNTAX);
}

static unsigned list_n;
static uint64_t list_coid[4];

static void list_each(void *arg, const struct vo_event *e)
{
	(void)arg;
	cr_assert_eq(e->kind, VO_EV_ORDER);
	if (list_n < 4)
		list_coid[list_n] = e->coid;
	list_n++;
}

Test(bybit_ord, rest_open_list_skips_other_instruments)
{
	static const char body[] =
		"{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":["
		"{\"symbol\":\"ETHUSDT\",\"orderId\":\"1\",\"orderLinkId\":\"kimp1\",\"orderStatus\":\"New\"},"
		"{\"symbol\":\"SOLUSDT\",\"orderId\":\"2\",\"orderLinkId\":\"kimp2\",\"orderStatus\":\"New\"},"
		"{\"symbol\":\"BTCUSDT\",\"orderId\":\"3\",\"orderLinkId\":\"kimp3\",\"orderStatus\":\"PartiallyFilled\"}],"
		"\"nextPageCursor\":\"\"},\"time\":1}";

	list_n = 0;
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body),
					 list_each, NULL),
		     2);
	cr_assert_eq(list_n, 2u);
	cr_assert_eq(list_coid[0], 1u);
	cr_assert_eq(list_coid[1], 3u);
	/* a broken element later: nothing handed out */
	list_n = 0;
	static const char bad[] =
		"{\"retCode\":0,\"result\":{\"list\":[{\"symbol\":\"ETHUSDT\",\"orderId\":\"1\","
		"\"orderStatus\":\"New\"},{\"symbol\":\"ETHUSDT\",\"orderId\":\"1\",\"orderStatus\":\"Weird\"}]}}";
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)bad, strlen(bad),
					 list_each, NULL),
		     -VD_E_SHAPE);
	cr_assert_eq(list_n, 0u);
}

Test(bybit_ord, rest_error_outcomes_and_flags)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	static const struct {
		enum vo_op op;
		int code;
		uint8_t outcome, flags;
	} c[] = {
		{ VO_OP_PLACE, 10001, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 10002, VO_OUT_REJECTED, VO_F_CLOCK },
		{ VO_OP_PLACE, 10003, VO_OUT_REJECTED, VO_F_AUTH },
		{ VO_OP_PLACE, 10004, VO_OUT_REJECTED, VO_F_AUTH },
		{ VO_OP_PLACE, 10005, VO_OUT_REJECTED, VO_F_AUTH },
		{ VO_OP_PLACE, 10010, VO_OUT_REJECTED, VO_F_AUTH },
		{ VO_OP_PLACE, 10006, VO_OUT_REJECTED, VO_F_RATE },
		{ VO_OP_PLACE, 170005, VO_OUT_REJECTED, VO_F_RATE },
		{ VO_OP_PLACE, 10016, VO_OUT_UNKNOWN, 0 },
		{ VO_OP_PLACE, 170141, VO_OUT_UNKNOWN, 0 },
		{ VO_OP_PLACE, 110007, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 170131, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 170134, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 170136, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 170140, VO_OUT_REJECTED, 0 },
		{ VO_OP_PLACE, 170193, VO_OUT_REJECTED, 0 },
		{ VO_OP_CANCEL, 110001, VO_OUT_CANCEL_REJECTED, 0 },
		{ VO_OP_CANCEL, 170213, VO_OUT_CANCEL_REJECTED, 0 },
		{ VO_OP_QUERY, 110001, VO_OUT_NOT_FOUND, 0 },
	};
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		char body[128];
		snprintf(body, sizeof(body), "{\"retCode\":%d,\"retMsg\":\"m\",\"result\":{},"
					     "\"retExtInfo\":{},\"time\":1}", c[i].code);
		cr_assert_eq(rest(c[i].op, &o, "HTTP/1.1 200 OK\r\n", body), 0);
		cr_assert_eq(ev.kind, VO_EV_ERROR, "%d", c[i].code);
		cr_assert_eq(ev.code, c[i].code);
		cr_assert_eq(ev.outcome, c[i].outcome, "%d: %u", c[i].code, ev.outcome);
		cr_assert_eq(ev.flags, c[i].flags, "%d: %x", c[i].code, ev.flags);
		cr_assert_eq(ev.coid, 42u);
		cr_assert_eq(ev.msg_len, 1u);
	}
	/* 10006 with the reset header: retry then */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 200 OK\r\nX-Bapi-Limit-Status: 0\r\n"
					    "X-Bapi-Limit-Reset-Timestamp: 1662350396000\r\n",
			  "{\"retCode\":10006,\"retMsg\":\"Too many visits!\",\"result\":{}}"),
		     0);
	cr_assert_eq(ev.retry_at_ms, 1662350396000ull);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].value, 0u);
}

Test(bybit_ord, rest_error_statuses)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);

	/* 403 "access too frequent" (not JSON): the IP limit, stop for 10 min */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 403 Forbidden\r\n", "access too frequent"), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.flags & (VO_F_RATE | VO_F_BAN), VO_F_RATE | VO_F_BAN);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 600000);
	cr_assert_eq(ev.code, 0);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 429 Too Many\r\n", ""), 0);
	cr_assert_eq(ev.flags & VO_F_RATE, VO_F_RATE);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 502 Bad Gateway\r\n", "<html>"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(rest(VO_OP_CANCEL, &o, "HTTP/1.1 503 X\r\n",
			  "{\"retCode\":10016,\"retMsg\":\"busy\",\"result\":{}}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.code, 10016);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 401 X\r\n",
			  "{\"retCode\":10003,\"retMsg\":\"API key is invalid.\",\"result\":{}}"), 0);
	cr_assert_eq(ev.flags & VO_F_AUTH, VO_F_AUTH);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 302 Found\r\n", "moved"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	/* a 200 whose body is not the venue's: the caller's ambiguity */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 200 OK\r\n", "<html>"), -VD_E_SYNTAX);
	cr_assert_eq(ev.kind, VO_EV_NONE);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 200 OK\r\n", "{\"result\":{}}"), -VD_E_SHAPE);
	cr_assert_eq(rest(VO_OP_OPEN, &o, "HTTP/1.1 200 OK\r\n", "{}"), -VD_E_TYPE);
}

Test(bybit_ord, malformed_and_truncated)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"op\":1}", "{\"op\":\"order.create\",\"retCode\":\"0\"}",
		"{\"op\":\"order.create\",\"retCode\":0,\"data\":[]}",
		"{\"op\":\"order.create\",\"retCode\":0,\"data\":{}}",
		"{\"topic\":\"order.spot\",\"data\":{}}", "{\"topic\":\"order.spot\",\"data\":[]}",
		"{\"topic\":\"position\",\"data\":[]}",
		"{\"topic\":\"order.spot\",\"data\":[{\"symbol\":\"BTCUSDT\",\"orderId\":\"1\",\"orderStatus\":\"Odd\"}]}",
		"{\"topic\":\"order.spot\",\"data\":[{\"symbol\":\"BTCUSDT\",\"orderId\":\"1\",\"orderStatus\":\"New\",\"qty\":\"0.0000001\"}]}",
		"{\"op\":\"pong\",\"op\":\"pong\"}", "{\"op\":\"pong\"} x", "{\"op\":\"auth\"}",
	};
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(bad); i++) {
		cr_assert_lt(wsp(bad[i]), 0, "%s", bad[i]);
		cr_assert_eq(ev.kind, VO_EV_NONE, "%s", bad[i]);
	}
	cr_assert_eq(vo->ws_parse(&ctx, VO_CH_REST, (const uint8_t *)"{}", 2, &ev), -VD_E_TYPE);
	cr_assert_eq(vo->ws_parse(&ctx, VO_CH_PRIV, NULL, 0, &ev), -VD_E_SYNTAX);
	/* every prefix of every message parsed above */
	static const char *const files[] = { "bybit-ws-trade.jsonl", "bybit-ws-control.jsonl",
					     "bybit-private-stream.jsonl" };
	for (unsigned f = 0; f < KIMP_ARRAY_SIZE(files); f++) {
		for (unsigned i = 0;; i++) {
			char *l = test_fixture_line(files[f], i);
			if (!l)
				break;
			for (size_t k = 0; k < strlen(l); k++) {
				cr_assert_lt(ws_ch(VO_CH_PRIV, l, k), 0, "%s:%u %zu", files[f], i, k);
				cr_assert_eq(ev.kind, VO_EV_NONE);
			}
			free(l);
		}
	}
	for (size_t k = 0; k < strlen(spot_order); k++)
		cr_assert_lt(ws_ch(VO_CH_PRIV, spot_order, k), 0);
}
