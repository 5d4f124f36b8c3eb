/* SPDX-License-Identifier: MIT */
/*
 * libvenue/okx_ord.c: keys, the signed REST requests (the OKX vectors of
 * testvectors-hmac.jsonl reproduced through the builders), WS login, order
 * and cancel messages with instIdCode, the parsers against the OKX
 * fixtures (replies, pushes, control), error outcomes and refusals.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/venue_ord.h"
#include "../testutil.h"

#define SECRET "22582BD0CFF14C41EDBF1AB98506286D"

static const struct venue_ord *vo = &venue_ord_okx;
static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;
static struct vo_event ev;

enum { BTC, ETH };

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_OKX);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 1), BTC);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "USDT", 2, 0, 2), ETH);
	tab.sym[BTC].code = 123456;
	cr_assert_eq(vo->key_init(&keys, "key-1", SECRET, strlen(SECRET), "pass-1"), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = vo;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "b");
	ctx.prefix_len = 1;
	ctx.now_ns = 1607418537715ll * 1000000;   /* 2020-12-08T09:08:57.715Z */
}

TestSuite(okx_ord, .init = setup);

static int wsp(const char *s)
{
	return vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)s, strlen(s), &ev);
}

static int rp(enum vo_op op, const struct vo_order *o, uint16_t st, const char *s)
{
	return vo->rest_parse(&ctx, op, o, st, NULL, (const uint8_t *)s, s ? strlen(s) : 0, &ev);
}

static char *line(const char *file, unsigned n)
{
	char *l = test_fixture_line(file, n);

	cr_assert_not_null(l, "%s line %u", file, n + 1);
	return l;
}

/* A request built for op into buf: its length. */
static int build(enum vo_op op, const struct vo_order *o, char *buf, size_t cap)
{
	static struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	cr_assert_eq(vo->rest_tmpl(&ctx, op, "www.okx.com", &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, cap), 0);
	err = vo->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	return net_http_req_finish(&r);
}

/* ---- table, keys, signing ------------------------------------------------------- */

Test(okx_ord, table)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_OKX), vo);
	cr_assert_eq(venue_ord_by_name("okx"), vo);
	cr_assert(vo->user_data_on_wsapi);
	cr_assert_null(vo->priv_url);
	cr_assert_eq(vo->chans[VO_OP_LOGIN], VO_CHBIT(VO_CH_WSAPI));
	cr_assert_eq(vo_fast_chan(vo, VO_OP_PLACE), VO_CH_WSAPI);
	cr_assert_eq(vo_fast_chan(vo, VO_OP_QUERY), VO_CH_REST);
	cr_assert_str_eq(vo->ws_path(VO_CH_WSAPI), "/ws/v5/private");
	cr_assert_null(vo->ws_path(VO_CH_PRIV));
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_WSAPI, 0), 1);
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_REST, 0), 1);
	cr_assert_eq(vo->cost(VO_OP_CANCEL, VO_CH_REST, 0), 0);
	cr_assert_eq(vo->cost(VO_OP_CANCEL, VO_CH_WSAPI, 1), 1);
	cr_assert_eq(vo->rates[0].limit, 60u);
	cr_assert_eq(vo->rates[0].window_ns, 2000000000ull);
	cr_assert_str_eq(vo->err_name(51008), "INSUFFICIENT_BALANCE");
	cr_assert_null(vo->err_name(12345));
}

Test(okx_ord, key_init)
{
	struct vo_keys k;

	cr_assert_eq(vo->key_init(&k, "key", "s", 1, NULL), -EINVAL);   /* passphrase needed */
	cr_assert_eq(vo->key_init(&k, "key", "s", 1, ""), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "key", "s", 1, "a\"b"), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "", "s", 1, "p"), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "key", "s", 0, "p"), -EINVAL);
	cr_assert_eq(k.api_key_len, 0u);
	{
		char p[VO_PASS_MAX + 1];
		memset(p, 'p', sizeof(p));
		p[VO_PASS_MAX - 1] = 0;                 /* 63: fits */
		cr_assert_eq(vo->key_init(&k, "key", "s", 1, p), 0);
		cr_assert_eq(k.pass_len, VO_PASS_MAX - 1);
		p[VO_PASS_MAX - 1] = 'p';
		p[VO_PASS_MAX] = 0;                     /* 64: does not */
		cr_assert_eq(vo->key_init(&k, "key", "s", 1, p), -EINVAL);
	}
}

/* The OKX vectors of testvectors-hmac.jsonl through kimpctl sign's path. */
Test(okx_ord, hmac_vectors)
{
	unsigned found = 0;

	for (unsigned i = 0;; i++) {
		char *l = test_fixture_line("testvectors-hmac.jsonl", i), *p, *e, *payload;
		char out[64], want[64];
		size_t n = 0;

		if (!l)
			break;
		if (!strstr(l, "\"exchange\":\"okx\"")) {
			free(l);
			continue;
		}
		cr_assert_not_null(strstr(l, "\"secret\":\"" SECRET "\""));
		p = strstr(l, "\"payload\":\"") + 11;
		payload = malloc(strlen(p) + 1);
		for (; *p != '"' || p[-1] == '\\'; p++)   /* unescape \" */
			if (!(*p == '\\' && p[1] == '"'))
				payload[n++] = *p;
		payload[n] = 0;
		p = strstr(l, "\"expected\":\"") + 12;
		e = strchr(p, '"');
		memcpy(want, p, (size_t)(e - p));
		want[e - p] = 0;
		cr_assert_eq(vo->sign_payload(&ctx, payload, n, out, sizeof(out)), 44);
		cr_assert_str_eq(out, want, "%s", payload);
		found++;
		free(payload);
		free(l);
	}
	cr_assert_eq(found, 3u);
}

/* ---- REST requests ------------------------------------------------------------------ */

/* The docs' spot order body, signed: the rest-post vector. */
Test(okx_ord, rest_place_signed)
{
	struct vo_order o = { .coid = 15, .sym = BTC, .side = KIMP_SIDE_BUY, .type = VO_LIMIT,
			      .tif = KIMP_TIF_GTC, .px = 215, .qty = 200000000 };
	char buf[4096];
	int n = build(VO_OP_PLACE, &o, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert_eq(strncmp(buf, "POST /api/v5/trade/order HTTP/1.1\r\n", 35), 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "\r\n\r\n{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\","
				       "\"clOrdId\":\"b15\",\"side\":\"buy\",\"ordType\":\"limit\","
				       "\"px\":\"2.15\",\"sz\":\"2\"}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "OK-ACCESS-KEY: key-1\r\n"));
	cr_assert_not_null(strstr(buf, "OK-ACCESS-PASSPHRASE: pass-1\r\n"));
	cr_assert_not_null(strstr(buf, "OK-ACCESS-TIMESTAMP: 2020-12-08T09:08:57.715Z\r\n"));
	cr_assert_not_null(strstr(buf, "Content-Type: application/json\r\n"));
	/* the sign of ts + POST + /api/v5/trade/order + body, as the vector says */
	cr_assert_not_null(strstr(buf, "OK-ACCESS-SIGN: dI6rrL9rXW/HdaPKJ/6LC1OgvH4/PYju6R3CqixMTNQ=\r\n"),
			   "%s", buf);
}

Test(okx_ord, rest_other_ops)
{
	struct vo_order o = { .coid = 7, .sym = BTC, .oid = "2510789768709120", .oid_len = 16 };
	char buf[4096];
	int n;

	n = build(VO_OP_QUERY, &o, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert_eq(strncmp(buf, "GET /api/v5/trade/order?instId=BTC-USDT&ordId=2510789768709120 "
			     "HTTP/1.1\r\n", 72), 0, "%s", buf);
	cr_assert_not_null(strstr(buf, "OK-ACCESS-SIGN: "));
	o.oid = NULL;
	o.oid_len = 0;
	n = build(VO_OP_CANCEL, &o, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert_not_null(strstr(buf, "POST /api/v5/trade/cancel-order HTTP/1.1\r\n"));
	cr_assert_not_null(strstr(buf, "{\"instId\":\"BTC-USDT\",\"clOrdId\":\"b7\"}"), "%s", buf);
	n = build(VO_OP_OPEN, NULL, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert_not_null(strstr(buf, "GET /api/v5/trade/orders-pending?instType=SPOT HTTP/1.1"));
	n = build(VO_OP_TIME, NULL, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	buf[n] = 0;
	cr_assert_not_null(strstr(buf, "GET /api/v5/public/time HTTP/1.1"));
	cr_assert_null(strstr(buf, "OK-ACCESS"));
	/* refusals */
	o.oid = "12a";
	o.oid_len = 3;
	cr_assert_eq(build(VO_OP_CANCEL, &o, buf, sizeof(buf)), -EINVAL);
	o.oid = NULL;
	o.oid_len = 0;
	o.coid = 0;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	o.coid = 1;
	o.sym = 9;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_SUBSCRIBE, "h", &(struct net_http_tmpl){ 0 }),
		     -EINVAL);
	/* a buffer too small for the head */
	o.sym = BTC;
	{
		static struct net_http_tmpl t;
		struct net_http_req r;
		char small[2300];
		cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_QUERY, "www.okx.com", &t), 0);
		cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
		cr_assert_eq(vo->rest_build(&ctx, VO_OP_QUERY, &o, &r), 0);
		cr_assert_gt(net_http_req_finish(&r), 0);
	}
}

Test(okx_ord, place_types)
{
	struct vo_order o = { .coid = 9, .sym = BTC, .side = KIMP_SIDE_SELL, .type = VO_LIMIT,
			      .px = 3000012, .qty = 150000 };
	char out[512];
	static const struct {
		uint8_t type, tif;
		const char *want;
	} cases[] = {
		{ VO_LIMIT, KIMP_TIF_GTC, "\"ordType\":\"limit\"" },
		{ VO_LIMIT, KIMP_TIF_IOC, "\"ordType\":\"ioc\"" },
		{ VO_LIMIT, KIMP_TIF_FOK, "\"ordType\":\"fok\"" },
		{ VO_LIMIT, KIMP_TIF_POST_ONLY, "\"ordType\":\"post_only\"" },
		{ VO_POST_ONLY, KIMP_TIF_GTC, "\"ordType\":\"post_only\"" },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(cases); i++) {
		o.type = cases[i].type;
		o.tif = cases[i].tif;
		cr_assert_gt(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1512, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, cases[i].want), "%s", out);
		cr_assert_not_null(strstr(out, "\"px\":\"30000.12\",\"sz\":\"0.0015\""), "%s", out);
	}
	o.tif = 9;
	o.type = VO_LIMIT;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	o.tif = KIMP_TIF_GTC;
	o.px = 0;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	/* market: sell by base, buy by quote (the default), or by base with tgtCcy */
	o.type = VO_MARKET;
	cr_assert_gt(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"ordType\":\"market\",\"sz\":\"0.0015\"}"), "%s", out);
	o.side = KIMP_SIDE_BUY;
	o.quote_qty = 2500;
	cr_assert_gt(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"sz\":\"25\",\"tgtCcy\":\"quote_ccy\"}"), "%s", out);
	o.quote_qty = 0;
	cr_assert_gt(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "\"sz\":\"0.0015\",\"tgtCcy\":\"base_ccy\"}"), "%s", out);
	o.qty = 0;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	o.qty = 1;
	o.side = 0;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	o.side = KIMP_SIDE_BUY;
	o.coid = 0;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
}

/* ---- WebSocket requests ------------------------------------------------------------- */

Test(okx_ord, ws_login)
{
	char out[512];
	int n;

	ctx.now_ns = 1538054050123ll * 1000000;
	n = vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_LOGIN, NULL, 0, out, sizeof(out));
	cr_assert_gt(n, 0);
	out[n] = 0;
	cr_assert_str_eq(out, "{\"op\":\"login\",\"args\":[{\"apiKey\":\"key-1\",\"passphrase\":"
			      "\"pass-1\",\"timestamp\":\"1538054050\",\"sign\":"
			      "\"+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M=\"}]}");
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_LOGIN, NULL, 0, out, (size_t)n), n);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_LOGIN, NULL, 0, out, (size_t)n - 1),
		     -ENOSPC);
	ctx.keys = NULL;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_LOGIN, NULL, 0, out, sizeof(out)), -EINVAL);
}

Test(okx_ord, ws_order_cancel_subscribe)
{
	struct vo_order o = { .coid = 42, .sym = BTC, .side = KIMP_SIDE_BUY, .type = VO_LIMIT,
			      .px = 100, .qty = 100000000 };
	char out[512];
	int n;

	n = vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1512, out, sizeof(out));
	cr_assert_gt(n, 0);
	out[n] = 0;
	cr_assert_str_eq(out, "{\"id\":\"1512\",\"op\":\"order\",\"args\":[{\"instIdCode\":123456,"
			      "\"tdMode\":\"cash\",\"clOrdId\":\"b42\",\"side\":\"buy\","
			      "\"ordType\":\"limit\",\"px\":\"1\",\"sz\":\"1\"}]}");
	o.oid = "2510789768709120";
	o.oid_len = 16;
	n = vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_CANCEL, &o, 1514, out, sizeof(out));
	cr_assert_gt(n, 0);
	out[n] = 0;
	cr_assert_str_eq(out, "{\"id\":\"1514\",\"op\":\"cancel-order\",\"args\":[{\"instIdCode\":"
			      "123456,\"ordId\":\"2510789768709120\"}]}");
	n = vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_SUBSCRIBE, NULL, 3, out, sizeof(out));
	cr_assert_gt(n, 0);
	out[n] = 0;
	cr_assert_str_eq(out, "{\"id\":\"3\",\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\","
			      "\"instType\":\"SPOT\"}]}");
	n = vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_KEEPALIVE, NULL, 3, out, sizeof(out));
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(out, "ping", 4), 0);
	/* instIdCode unknown: refused (REST can still say instId) */
	o.sym = ETH;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_CANCEL, &o, 1, out, sizeof(out)), -EINVAL);
	o.sym = BTC;
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_QUERY, &o, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_REST, VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_WSAPI, VO_OP_CANCEL, &o, 1, out, 20), -ENOSPC);
	cr_assert_eq(vo->ws_headers(&ctx, VO_CH_WSAPI, out, sizeof(out)), 0);
}

/* ---- parsing: fixtures ------------------------------------------------------------- */

Test(okx_ord, ws_trade_fixture)
{
	char *l;

	l = line("okx-ws-trade.jsonl", 0);      /* a request */
	cr_assert_eq(wsp(l), -VD_E_TYPE);
	free(l);
	l = line("okx-ws-trade.jsonl", 1);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.req_id, 1512u);
	cr_assert_str_eq(ev.oid, "12345689");
	cr_assert_eq(ev.coid, 0u);
	cr_assert_eq(ev.venue_ts_ns, 1695190491421000000ll);
	free(l);
	l = line("okx-ws-trade.jsonl", 2);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.code, 51008);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.msg_len, strlen("Order failed. Insufficient USDT balance in account"));
	free(l);
	l = line("okx-ws-trade.jsonl", 3);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.code, 60013);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	free(l);
	l = line("okx-ws-trade.jsonl", 4);
	cr_assert_eq(wsp(l), -VD_E_TYPE);
	free(l);
	l = line("okx-ws-trade.jsonl", 5);
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_CANCEL_PENDING);
	cr_assert_eq(ev.req_id, 1514u);
	cr_assert_str_eq(ev.oid, "2510789768709120");
	free(l);
}

Test(okx_ord, ws_control_fixture)
{
	static const struct {
		int r;
		uint8_t kind;
		int32_t code;
	} want[] = {
		{ -VD_E_TYPE, 0, 0 }, { 0, VO_EV_LOGIN, 0 }, { 0, VO_EV_ERROR, 60009 },
		{ -VD_E_TYPE, 0, 0 }, { 0, VO_EV_CONTROL, 0 }, { -VD_E_TYPE, 0, 0 },
		{ 0, VO_EV_CONTROL, 0 }, { 0, VO_EV_STREAM_END, 64008 }, { -VD_E_TYPE, 0, 0 },
		{ 0, VO_EV_CONTROL, 0 }, { 0, VO_EV_ERROR, 60012 }, { 0, VO_EV_CONTROL, 0 },
		{ 0, VO_EV_ERROR, 0 },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(want); i++) {
		char *l = line("okx-ws-control.jsonl", i);
		int r = wsp(l);

		cr_assert_eq(r, want[i].r, "line %u: %d", i + 1, r);
		cr_assert_eq(ev.kind, want[i].kind, "line %u", i + 1);
		if (!r)
			cr_assert_eq(ev.code, want[i].code, "line %u", i + 1);
		free(l);
	}
	{
		char *l = line("okx-ws-control.jsonl", 2);
		cr_assert_eq(wsp(l), 0);
		cr_assert(ev.flags & VO_F_AUTH);
		cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
		free(l);
	}
	cr_assert_eq(wsp("{\"event\":\"subscribe\",\"arg\":{\"channel\":\"orders\",\"instType\":\"SPOT\"},"
			 "\"connId\":\"x\",\"id\":\"3\"}"), 0);
	cr_assert_eq(ev.kind, VO_EV_SUBSCRIBED);
	cr_assert_eq(ev.req_id, 3u);
	cr_assert_eq(wsp("pong"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	/* login refusals as exsim words them: all sticky auth, the clock ones also clock */
	cr_assert_eq(wsp("{\"event\":\"error\",\"code\":\"60024\",\"msg\":\"x\"}"), 0);
	cr_assert_eq(ev.flags, VO_F_AUTH);
	cr_assert_eq(wsp("{\"event\":\"error\",\"code\":\"60006\",\"msg\":\"x\"}"), 0);
	cr_assert_eq(ev.flags, VO_F_AUTH | VO_F_CLOCK);
	cr_assert_eq(wsp("{\"event\":\"login\",\"code\":\"60009\",\"msg\":\"x\"}"), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert(ev.flags & VO_F_AUTH);
}

Test(okx_ord, orders_push)
{
	char *l = line("okx-orders-fills.jsonl", 0);

	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.sym, BTC);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_str_eq(ev.oid, "452197707845865472");
	cr_assert_eq(ev.coid, 0u);                  /* clOrdId "" */
	cr_assert_eq(ev.px, 3152710);
	cr_assert_eq(ev.qty, 100000);
	cr_assert_eq(ev.cum_qty, 100000);
	cr_assert_eq(ev.cum_quote, 3153);           /* 0.001 * 31527.1 = 31.5271 -> 31.53 */
	cr_assert(ev.flags & VO_F_CUM_FEE);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.cum_fee, 3);                /* 0.02522168 up to 0.03 */
	cr_assert(ev.flags & VO_F_LAST);
	cr_assert(ev.flags & VO_F_MAKER);
	cr_assert_eq(ev.last_px, 3152710);
	cr_assert_eq(ev.last_qty, 100000);
	cr_assert_eq(ev.last_fee, 3);
	cr_assert_eq(ev.trade_id, 242589207u);
	cr_assert_eq(ev.venue_ts_ns, 1654084353264000000ll);
	free(l);
	l = line("okx-orders-fills.jsonl", 1);      /* fills (VIP4): not used */
	cr_assert_eq(wsp(l), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	free(l);
}

Test(okx_ord, orders_push_ours)
{
	static const char msg[] =
		"{\"arg\":{\"channel\":\"orders\",\"instType\":\"SPOT\"},\"data\":[{\"instId\":"
		"\"BTC-USDT\",\"ordId\":\"1\",\"clOrdId\":\"b77\",\"px\":\"\",\"sz\":\"20\","
		"\"side\":\"buy\",\"ordType\":\"market\",\"tgtCcy\":\"\",\"state\":\"partially_filled\","
		"\"accFillSz\":\"0.5\",\"avgPx\":\"30.005\",\"fillSz\":\"0\",\"tradeId\":\"\","
		"\"fee\":\"-0.0005\",\"feeCcy\":\"BTC\",\"uTime\":\"5\"}]}";

	cr_assert_eq(wsp(msg), 0);
	cr_assert_eq(ev.coid, 77u);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.qty, 0);                    /* 20 USDT: a market buy by quote */
	cr_assert_eq(ev.px, 0);
	cr_assert_eq(ev.cum_qty, 50000000);
	cr_assert_eq(ev.cum_quote, 1500);           /* 0.5 * 30.005 = 15.0025 -> 15.00 */
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.cum_fee, 50000);
	cr_assert_eq(ev.flags & VO_F_LAST, 0);
	cr_assert_eq(ev.venue_ts_ns, 5000000);
}

Test(okx_ord, rest_replies)
{
	struct vo_order o = { .coid = 6, .sym = BTC, .side = KIMP_SIDE_BUY };
	char *l = line("okx-rest.jsonl", 1);

	cr_assert_eq(rp(VO_OP_PLACE, &o, 200, l), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "12345689");
	cr_assert_eq(ev.coid, 6u);                  /* "oktswap6" is not ours: ours kept */
	cr_assert_eq(ev.sym, BTC);
	cr_assert_eq(ev.http_status, 200);
	free(l);
	cr_assert_eq(rp(VO_OP_TIME, NULL, 200, "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":"
					       "\"1597026383085\"}]}"), 0);
	cr_assert_eq(ev.kind, VO_EV_TIME);
	cr_assert_eq(ev.server_ms, 1597026383085ll);
	cr_assert_eq(rp(VO_OP_KEEPALIVE, NULL, 200, "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"ts\":"
						    "\"1\"}]}"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	l = line("okx-orders-fills.jsonl", 0);      /* an order object as GET order gives it */
	{
		char *d = strstr(l, "\"data\":"), body[4096];
		snprintf(body, sizeof(body), "{\"code\":\"0\",\"msg\":\"\",%s", d);
		cr_assert_eq(rp(VO_OP_QUERY, &o, 200, body), 0);
		cr_assert_eq(ev.kind, VO_EV_ORDER);
		cr_assert_eq(ev.state, KIMP_ORD_FILLED);
		cr_assert_eq(ev.cum_qty, 100000);
	}
	free(l);
}

/* ---- errors and outcomes ------------------------------------------------------------- */

static void err_case(enum vo_op op, uint16_t st, const char *code, uint8_t outcome, uint8_t flags)
{
	char body[256];
	struct vo_order o = { .coid = 1, .sym = BTC };

	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"msg\":\"m\",\"data\":[]}", code);
	cr_assert_eq(rp(op, &o, st, body), 0, "%s", code);
	cr_assert_eq(ev.kind, VO_EV_ERROR, "%s", code);
	cr_assert_eq(ev.outcome, outcome, "%s: %u", code, ev.outcome);
	cr_assert_eq(ev.flags, flags, "%s: %x", code, ev.flags);
	cr_assert_eq(ev.code, atoi(code));
}

Test(okx_ord, outcomes)
{
	err_case(VO_OP_PLACE, 200, "51000", VO_OUT_REJECTED, 0);
	err_case(VO_OP_PLACE, 429, "50011", VO_OUT_REJECTED, VO_F_RATE);
	err_case(VO_OP_PLACE, 200, "50011", VO_OUT_REJECTED, VO_F_RATE);
	err_case(VO_OP_PLACE, 200, "50061", VO_OUT_REJECTED, VO_F_RATE);
	err_case(VO_OP_PLACE, 401, "50102", VO_OUT_REJECTED, VO_F_CLOCK);
	err_case(VO_OP_PLACE, 401, "50113", VO_OUT_REJECTED, VO_F_AUTH);
	err_case(VO_OP_PLACE, 401, "50105", VO_OUT_REJECTED, VO_F_AUTH);
	err_case(VO_OP_PLACE, 200, "59113", VO_OUT_REJECTED, VO_F_AUTH);
	err_case(VO_OP_PLACE, 200, "50004", VO_OUT_UNKNOWN, 0);
	err_case(VO_OP_PLACE, 503, "50001", VO_OUT_UNKNOWN, 0);
	err_case(VO_OP_PLACE, 429, "50013", VO_OUT_UNKNOWN, VO_F_RATE);
	err_case(VO_OP_PLACE, 500, "51000", VO_OUT_UNKNOWN, 0);
	err_case(VO_OP_CANCEL, 200, "51400", VO_OUT_CANCEL_REJECTED, 0);
	err_case(VO_OP_CANCEL, 200, "51401", VO_OUT_CANCEL_REJECTED, 0);
	err_case(VO_OP_QUERY, 200, "51603", VO_OUT_NOT_FOUND, 0);
	/* the retry time of a rate refusal: one 2 s window on */
	err_case(VO_OP_PLACE, 429, "50011", VO_OUT_REJECTED, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, 1607418537715ull + 2000);
	/* sCode decides over code */
	cr_assert_eq(rp(VO_OP_CANCEL, NULL, 200, "{\"code\":\"1\",\"msg\":\"\",\"data\":[{\"clOrdId\":"
						 "\"b5\",\"ordId\":\"9\",\"sCode\":\"51400\",\"sMsg\":\"gone\"}]}"), 0);
	cr_assert_eq(ev.code, 51400);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED);
	cr_assert_eq(ev.coid, 5u);
	cr_assert_eq(ev.msg_len, 4u);
	/* a proxy's page */
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 502, "<html>"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 429, NULL), 0);
	cr_assert(ev.flags & VO_F_RATE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 400, "<html>"), -VD_E_SYNTAX);
	cr_assert_eq(ev.kind, VO_EV_NONE);
}

Test(okx_ord, refusals)
{
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\",\"data\":[]}"), -VD_E_SHAPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\"}"), -VD_E_SHAPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 400, "{\"code\":\"0\",\"data\":[{\"ordId\":\"1\"}]}"),
		     -VD_E_SHAPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\",\"data\":[{\"ordId\":\"1\"},"
						"{\"ordId\":\"2\"}]}"), -VD_E_SHAPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"x\",\"data\":[]}"), -VD_E_NUMBER);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\",\"data\":[{\"ordId\":\"a1\"}]}"),
		     -VD_E_NUMBER);
	cr_assert_eq(rp(VO_OP_OPEN, NULL, 200, "{}"), -VD_E_TYPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "[]"), -VD_E_TYPE);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\",\"data\":[]} x"), -VD_E_SYNTAX);
	cr_assert_eq(rp(VO_OP_PLACE, NULL, 200, "{\"code\":\"0\",\"code\":\"0\",\"data\":[]}"),
		     -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"arg\":{\"channel\":\"orders\"},\"data\":[{\"instId\":\"XRP-USDT\","
			 "\"ordId\":\"1\",\"state\":\"live\"}]}"), -VD_E_SYMBOL);
	cr_assert_eq(wsp("{\"arg\":{\"channel\":\"orders\"},\"data\":[{\"instId\":\"BTC-USDT\","
			 "\"ordId\":\"1\",\"state\":\"odd\"}]}"), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"arg\":{\"channel\":\"orders\"},\"data\":[{\"instId\":\"BTC-USDT\","
			 "\"ordId\":\"1\",\"state\":\"live\",\"sz\":\"0.000000001\"}]}"), -VD_E_NUMBER);
	cr_assert_eq(wsp("{\"arg\":{\"channel\":\"orders\"},\"data\":[]}"), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"arg\":{\"channel\":\"balance\"},\"data\":[]}"), -VD_E_TYPE);
	cr_assert_eq(wsp("{\"event\":\"error\"}"), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"event\":\"other\"}"), -VD_E_TYPE);
	cr_assert_eq(wsp("{\"id\":\"1\",\"op\":\"amend-order\",\"code\":\"0\",\"data\":[]}"),
		     -VD_E_TYPE);
	cr_assert_eq(wsp("{\"id\":\"1\",\"op\":\"order\",\"code\":\"0\",\"data\":[{\"ordId\":\"1\"}]"),
		     -VD_E_SYNTAX);
	cr_assert_eq(wsp(""), -VD_E_SYNTAX);
	cr_assert_eq(wsp("{}"), -VD_E_SHAPE);
	cr_assert_eq(vo->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)"{}", 2, &ev), -VD_E_TYPE);
	cr_assert_eq(ev.kind, VO_EV_NONE);
}

static int list(const char *s)
{
	return vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)s, strlen(s), NULL, NULL);
}

static void count_each(void *arg, const struct vo_event *e)
{
	cr_assert_eq(e->kind, VO_EV_ORDER);
	cr_assert_eq(e->sym, BTC);
	++*(unsigned *)arg;
}

Test(okx_ord, open_list)
{
	char *l = line("okx-orders-fills.jsonl", 0), body[8192];
	char *d = strstr(l, "\"data\":[") + 8;
	unsigned n = 0;
	int r;

	/* two of ours and one of another instrument */
	snprintf(body, sizeof(body), "{\"code\":\"0\",\"msg\":\"\",\"data\":[%.*s,"
		 "{\"instId\":\"XRP-USDT\",\"ordId\":\"5\",\"state\":\"live\"},%.*s]}",
		 (int)(strlen(d) - 2), d, (int)(strlen(d) - 2), d);
	r = vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body), NULL, NULL);
	cr_assert_eq(r, 2, "%d", r);
	r = vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body), count_each, &n);
	cr_assert_eq(r, 2);
	cr_assert_eq(n, 2u);
	cr_assert_eq(list("{\"code\":\"0\",\"data\":[]}"), 0);
	cr_assert_eq(list("{\"code\":\"50011\",\"data\":[]}"), -VD_E_TYPE);
	cr_assert_eq(list("{\"code\":\"0\",\"data\":[{\"instId\":\"BTC-USDT\"}]}"), -VD_E_SHAPE);
	cr_assert_eq(list("{\"code\":\"0\",\"data\":[1]}"), -VD_E_SHAPE);
	cr_assert_eq(list("{\"code\":\"0\",\"data\":{}}"), -VD_E_SHAPE);
	cr_assert_eq(list("{\"code\":\"0\",\"data\":[]"), -VD_E_SYNTAX);
	cr_assert_eq(vo->rest_parse_list(&ctx, 429, NULL, (const uint8_t *)"{}", 2, NULL, NULL),
		     -VD_E_TYPE);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, NULL, 0, NULL, NULL), -VD_E_SYNTAX);
	free(l);
}
