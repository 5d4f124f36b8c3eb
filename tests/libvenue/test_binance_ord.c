/* SPDX-License-Identifier: MIT */
/*
 * libvenue/binance_ord.c: the Binance order-entry table. Signing against the
 * official HMAC vectors; the exact bytes of every WebSocket API and REST
 * request, their signatures checked independently and by exsim's own
 * checkers; every captured reply and user-data event parsed with its fields
 * and outcome; error mapping; malformed and truncated input; the clock
 * offset; and a child under seccomp proving build and parse make no system
 * call and allocate nothing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue_ord.h"
#include "../testutil.h"
#include "../jail.h"
#include "../../sim/server.h"
#include "../sim/simtest.h"

#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define APIKEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define NOW_MS 1747385641636ll
#define NOW_MS_S "1747385641636"

static const struct venue_ord *vo = &venue_ord_binance;
static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;
static struct vo_event ev;
static char *buf;           /* the last parsed input, exactly its length, for ASan */

/* BTCUSDT 2/8, BNBUSDT 2/3, ETHBTC 8/8 (price / quantity decimals) */
enum { BTCUSDT, BNBUSDT, ETHBTC };

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_BINANCE);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 1), BTCUSDT);
	cr_assert_eq(venue_symtab_add(&tab, "BNB", "USDT", 2, 3, 2), BNBUSDT);
	cr_assert_eq(venue_symtab_add(&tab, "ETH", "BTC", 8, 8, 3), ETHBTC);
	cr_assert_eq(vo->key_init(&keys, APIKEY, SECRET, strlen(SECRET), NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = vo;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.recv_window_ms = 5000;
	ctx.now_ns = NOW_MS * 1000000;
	memset(&ev, 0x5a, sizeof(ev));      /* the parser must fill what it reports */
	buf = NULL;
}

static void teardown(void)
{
	free(buf);
	buf = NULL;
}

TestSuite(binance_ord, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------------ */

static int ws(const char *s)
{
	size_t n = strlen(s);

	free(buf);
	buf = malloc(n ? n : 1);
	memcpy(buf, s, n);
	return vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)buf, n, &ev);
}

static int ws_fixture(const char *file, unsigned line)
{
	char *s = test_fixture_line(file, line);
	int r;

	cr_assert_not_null(s, "%s line %u", file, line);
	r = ws(s);
	free(s);
	return r;
}

/* A raw HTTP response parsed, kept in rbuf for the accessors. */
static char rbuf[8192];
static struct net_http_parser resp;

static void http_response(const char *head, const char *body)
{
	int n = snprintf(rbuf, sizeof(rbuf), "%sContent-Length: %zu\r\n\r\n%s", head,
			 strlen(body), body);

	cr_assert_lt((size_t)n, sizeof(rbuf));
	cr_assert_eq(net_http_parser_init(&resp, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&resp, rbuf, (size_t)n), NET_HTTP_DONE);
}

static int rest(enum vo_op op, const struct vo_order *o, const char *head, const char *body)
{
	struct net_http_str b;

	http_response(head, body);
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

/*
 * A signed WS API request: exactly head + <hex> + "}}" where hex is the
 * HMAC of payload (computed here), and exsim's checker accepts it.
 */
static void check_ws(const char *out, int n, const char *head, const char *payload)
{
	char want[2048], sig[65];
	const char *params, *sp;

	hmac_hex(payload, sig);
	snprintf(want, sizeof(want), "%s%s\"}}", head, sig);
	cr_assert_eq(n, (int)strlen(want), "length %d: %.*s", n, n > 0 ? n : 0, out);
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got  %.*s\nwant %s", n, out, want);
	/* the venue's own check, over the params object as sent */
	params = strstr(out, "\"params\":") + 9;
	sp = strstr(out, "\"signature\":\"") + 13;
	cr_assert(sim_binance_sig_ws_ok(SECRET, strlen(SECRET), params,
					(size_t)(out + n - 1 - params), sp, 64));
	char pl[1024];
	int pn = sim_binance_ws_payload(params, (size_t)(out + n - 1 - params), pl, sizeof(pl));
	cr_assert_eq(pn, (int)strlen(payload));
	cr_assert_eq(memcmp(pl, payload, (size_t)pn), 0, "exsim's payload %s", pl);
}

static int build(enum vo_op op, const struct vo_order *o, uint64_t id, char *out, size_t cap)
{
	return vo->ws_build(&ctx, VO_CH_WSAPI, op, o, id, out, cap);
}

/* ---- the table ------------------------------------------------------------------ */

Test(binance_ord, table_facts)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_BINANCE), vo);
	cr_assert_eq(venue_ord_by_name("binance"), vo);
	cr_assert_str_eq(vo->rest_url, "https://api.binance.com");
	cr_assert_str_eq(vo->wsapi_url, "wss://ws-api.binance.com:443/ws-api/v3");
	cr_assert_null(vo->priv_url);
	cr_assert(vo->user_data_on_wsapi);
	cr_assert_not(vo->cancel_async);
	cr_assert_not(vo->market_buy_by_quote);
	cr_assert_eq(vo->hash_sha, VENUE_SHA256);
	cr_assert_eq(vo->ping_every_ns, 20000000000ull);
	cr_assert_eq(vo->conn_life_ns, 24ull * 3600 * 1000000000ull);
	const uint8_t both = VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_REST);
	cr_assert_eq(vo->chans[VO_OP_PLACE], both);
	cr_assert_eq(vo->chans[VO_OP_CANCEL], both);
	cr_assert_eq(vo->chans[VO_OP_QUERY], both);
	cr_assert_eq(vo->chans[VO_OP_TIME], both);
	cr_assert_eq(vo->chans[VO_OP_SUBSCRIBE], VO_CHBIT(VO_CH_WSAPI));
	cr_assert_eq(vo->chans[VO_OP_OPEN], VO_CHBIT(VO_CH_REST));
	cr_assert_eq(vo->chans[VO_OP_KEEPALIVE], VO_CHBIT(VO_CH_REST));
	cr_assert_eq(vo_fast_chan(vo, VO_OP_PLACE), VO_CH_WSAPI);
	cr_assert_eq(vo_fast_chan(vo, VO_OP_OPEN), VO_CH_REST);
	cr_assert_str_eq(vo->ws_path(VO_CH_WSAPI), "/ws-api/v3");
	cr_assert_null(vo->ws_path(VO_CH_PRIV));
	char h[64];
	cr_assert_eq(vo->ws_headers(&ctx, VO_CH_WSAPI, h, sizeof(h)), 0);
}

Test(binance_ord, rate_rules_and_costs)
{
	cr_assert_eq(vo->nrates, 4);
	cr_assert_leq(vo->nrates, VO_RATE_RULES);
	const struct vo_rate_rule *r = vo->rates;
	cr_assert_str_eq(r[0].name, "REQUEST_WEIGHT");
	cr_assert_eq(r[0].limit, 6000);
	cr_assert_eq(r[0].window_ns, 60000000000ull);
	cr_assert_eq(r[0].scope, VO_RS_IP);
	cr_assert_not(r[0].unfilled);
	cr_assert_eq(r[1].limit, 100);
	cr_assert_eq(r[1].window_ns, 10000000000ull);
	cr_assert_eq(r[1].scope, VO_RS_ACCOUNT);
	cr_assert(r[1].unfilled);
	cr_assert_eq(r[2].limit, 200000);
	cr_assert_eq(r[2].window_ns, 86400000000000ull);
	cr_assert_eq(r[2].scope, VO_RS_ACCOUNT);
	cr_assert(r[2].unfilled);
	cr_assert_str_eq(r[3].name, "RAW_REQUESTS");
	cr_assert_eq(r[3].limit, 300000);
	cr_assert_eq(r[3].window_ns, 300000000000ull);
	cr_assert_eq(r[3].scope, VO_RS_IP);
	/* weight as exsim charges it */
	static const uint16_t w[VO_OP_N] = { 0, 1, 1, 4, 80, 1, 1, 2 };
	for (unsigned ch = VO_CH_REST; ch <= VO_CH_WSAPI; ch++)
		for (unsigned op = VO_OP_PLACE; op < VO_OP_N; op++) {
			cr_assert_eq(vo->cost(op, ch, 0), w[op], "op %u ch %u", op, ch);
			cr_assert_eq(vo->cost(op, ch, 1), op == VO_OP_PLACE);
			cr_assert_eq(vo->cost(op, ch, 2), op == VO_OP_PLACE);
			cr_assert_eq(vo->cost(op, ch, 3), 1);
			cr_assert_eq(vo->cost(op, ch, 4), 0, "no rule 4");
		}
	cr_assert_eq(vo->cost(VO_OP_NONE, VO_CH_REST, 0), 0);
	cr_assert_eq(vo->cost(VO_OP_N, VO_CH_REST, 0), 0);
	cr_assert_eq(vo->cost(VO_OP_PLACE, VO_CH_PRIV, 0), 0);
	cr_assert_eq(vo->connect_cost(VO_CH_WSAPI, 0), 2);
	for (unsigned rule = 1; rule < 4; rule++)
		cr_assert_eq(vo->connect_cost(VO_CH_WSAPI, rule), 0);
	cr_assert_eq(vo->connect_cost(VO_CH_REST, 0), 0);
}

Test(binance_ord, err_names)
{
	cr_assert_str_eq(vo->err_name(-1021), "INVALID_TIMESTAMP");
	cr_assert_str_eq(vo->err_name(-2010), "NEW_ORDER_REJECTED");
	cr_assert_str_eq(vo->err_name(-1003), "TOO_MANY_REQUESTS");
	cr_assert_null(vo->err_name(0));
	cr_assert_null(vo->err_name(-9999));
}

/* ---- keys and signing ----------------------------------------------------------------- */

static char *jfield(const char *line, const char *key)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	cr_assert_not_null(p, "%s in %s", key, line);
	p += strlen(pat);
	e = strchr(p, '"');
	cr_assert_not_null(e);
	return strndup(p, (size_t)(e - p));
}

Test(binance_ord, hmac_vectors)
{
	unsigned nbn = 0;

	for (unsigned i = 0;; i++) {
		char *line = test_fixture_line("testvectors-hmac.jsonl", i);
		if (!line)
			break;
		if (!strstr(line, "\"exchange\":\"binance\"")) {
			free(line);
			continue;
		}
		char *secret = jfield(line, "secret"), *payload = jfield(line, "payload");
		char *want = jfield(line, "expected"), out[65];
		struct vo_keys k;
		struct vo_ctx c = { .keys = &k };

		cr_assert_eq(vo->key_init(&k, APIKEY, secret, strlen(secret), NULL), 0);
		cr_assert_eq(vo->sign_payload(&c, payload, strlen(payload), out, sizeof(out)), 64);
		cr_assert_str_eq(out, want, "line %u", i);
		/* one byte short of the NUL */
		cr_assert_eq(vo->sign_payload(&c, payload, strlen(payload), out, 64), -ENOBUFS);
		nbn++;
		free(secret);
		free(payload);
		free(want);
		free(line);
	}
	cr_assert_eq(nbn, 6, "five official vectors and the derived userDataStream one");
}

Test(binance_ord, key_init_refuses)
{
	struct vo_keys k;
	char big[VO_API_KEY_MAX + 1];

	cr_assert_eq(vo->key_init(&k, NULL, SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "", SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "a\"b", SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "a\\b", SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "a b", SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "abc", NULL, 4, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "abc", SECRET, 0, NULL), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "abc", SECRET, 4, "pass"), -EINVAL);
	cr_assert_eq(vo->key_init(&k, "abc", SECRET, 4, ""), 0);
	/* the key's length: VO_API_KEY_MAX - 1 fits, VO_API_KEY_MAX does not */
	memset(big, 'K', sizeof(big));
	big[VO_API_KEY_MAX - 1] = 0;
	cr_assert_eq(vo->key_init(&k, big, SECRET, 4, NULL), 0);
	cr_assert_eq(k.api_key_len, VO_API_KEY_MAX - 1);
	big[VO_API_KEY_MAX - 1] = 'K';
	big[VO_API_KEY_MAX] = 0;
	cr_assert_eq(vo->key_init(&k, big, SECRET, 4, NULL), -EINVAL);
	cr_assert_eq(k.api_key_len, 0, "wiped on failure");
	struct vo_ctx c = { 0 };
	char out[65];
	cr_assert_eq(vo->sign_payload(&c, "x", 1, out, sizeof(out)), -EINVAL, "no keys");
}

/* ---- WebSocket API requests ------------------------------------------------------------ */

#define P_HEAD(id, m) "{\"id\":" id ",\"method\":\"" m "\",\"params\":{\"apiKey\":\"" APIKEY "\","
#define PL_KEY "apiKey=" APIKEY "&"

Test(binance_ord, ws_place_limit_ioc_gtc_fok)
{
	static const char *const tifs[] = { "GTC", "IOC", "FOK" };
	char out[1024], head[1024], pl[1024];

	for (uint8_t t = KIMP_TIF_GTC; t <= KIMP_TIF_FOK; t++) {
		struct vo_order o = limit(t == KIMP_TIF_IOC ? KIMP_SIDE_BUY : KIMP_SIDE_SELL, t);
		const char *side = t == KIMP_TIF_IOC ? "BUY" : "SELL";
		int n = build(VO_OP_PLACE, &o, 7, out, sizeof(out));

		snprintf(head, sizeof(head),
			 P_HEAD("7", "order.place") "\"newClientOrderId\":\"kimp42\","
			 "\"newOrderRespType\":\"FULL\",\"price\":\"65000.12\","
			 "\"quantity\":\"0.0015\",\"recvWindow\":5000,\"side\":\"%s\","
			 "\"symbol\":\"BTCUSDT\",\"timeInForce\":\"%s\",\"timestamp\":" NOW_MS_S ","
			 "\"type\":\"LIMIT\",\"signature\":\"", side, tifs[t]);
		snprintf(pl, sizeof(pl),
			 PL_KEY "newClientOrderId=kimp42&newOrderRespType=FULL&price=65000.12&"
			 "quantity=0.0015&recvWindow=5000&side=%s&symbol=BTCUSDT&timeInForce=%s&"
			 "timestamp=" NOW_MS_S "&type=LIMIT", side, tifs[t]);
		check_ws(out, n, head, pl);
	}
}

Test(binance_ord, ws_place_limit_maker)
{
	char out[1024];
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);

	o.type = VO_POST_ONLY;
	int n = build(VO_OP_PLACE, &o, 8, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("8", "order.place") "\"newClientOrderId\":\"kimp42\","
		 "\"newOrderRespType\":\"FULL\",\"price\":\"65000.12\",\"quantity\":\"0.0015\","
		 "\"recvWindow\":5000,\"side\":\"BUY\",\"symbol\":\"BTCUSDT\","
		 "\"timestamp\":" NOW_MS_S ",\"type\":\"LIMIT_MAKER\",\"signature\":\"",
		 PL_KEY "newClientOrderId=kimp42&newOrderRespType=FULL&price=65000.12&"
		 "quantity=0.0015&recvWindow=5000&side=BUY&symbol=BTCUSDT&timestamp=" NOW_MS_S
		 "&type=LIMIT_MAKER");
	/* a VO_LIMIT with the post-only tif says the same */
	char out2[1024];
	o.type = VO_LIMIT;
	o.tif = KIMP_TIF_POST_ONLY;
	cr_assert_eq(build(VO_OP_PLACE, &o, 8, out2, sizeof(out2)), n);
	cr_assert_eq(memcmp(out, out2, (size_t)n), 0);
}

Test(binance_ord, ws_place_market)
{
	char out[1024];
	struct vo_order o = { .coid = 1734000000123ull, .sym = BTCUSDT, .side = KIMP_SIDE_SELL,
			      .type = VO_MARKET, .qty = 2500000, .px = 777 };

	/* a sell by quantity (px is not sent) */
	int n = build(VO_OP_PLACE, &o, 11, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("11", "order.place") "\"newClientOrderId\":\"kimp1734000000123\","
		 "\"newOrderRespType\":\"FULL\",\"quantity\":\"0.025\",\"recvWindow\":5000,"
		 "\"side\":\"SELL\",\"symbol\":\"BTCUSDT\",\"timestamp\":" NOW_MS_S ","
		 "\"type\":\"MARKET\",\"signature\":\"",
		 PL_KEY "newClientOrderId=kimp1734000000123&newOrderRespType=FULL&quantity=0.025&"
		 "recvWindow=5000&side=SELL&symbol=BTCUSDT&timestamp=" NOW_MS_S "&type=MARKET");
	/* a buy by quantity */
	o.side = KIMP_SIDE_BUY;
	n = build(VO_OP_PLACE, &o, 12, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("12", "order.place") "\"newClientOrderId\":\"kimp1734000000123\","
		 "\"newOrderRespType\":\"FULL\",\"quantity\":\"0.025\",\"recvWindow\":5000,"
		 "\"side\":\"BUY\",\"symbol\":\"BTCUSDT\",\"timestamp\":" NOW_MS_S ","
		 "\"type\":\"MARKET\",\"signature\":\"",
		 PL_KEY "newClientOrderId=kimp1734000000123&newOrderRespType=FULL&quantity=0.025&"
		 "recvWindow=5000&side=BUY&symbol=BTCUSDT&timestamp=" NOW_MS_S "&type=MARKET");
	/* a buy by quote (quote_qty wins over qty) */
	o.quote_qty = 10050;
	n = build(VO_OP_PLACE, &o, 13, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("13", "order.place") "\"newClientOrderId\":\"kimp1734000000123\","
		 "\"newOrderRespType\":\"FULL\",\"quoteOrderQty\":\"100.5\",\"recvWindow\":5000,"
		 "\"side\":\"BUY\",\"symbol\":\"BTCUSDT\",\"timestamp\":" NOW_MS_S ","
		 "\"type\":\"MARKET\",\"signature\":\"",
		 PL_KEY "newClientOrderId=kimp1734000000123&newOrderRespType=FULL&"
		 "quoteOrderQty=100.5&recvWindow=5000&side=BUY&symbol=BTCUSDT&timestamp=" NOW_MS_S
		 "&type=MARKET");
	/* quote only with no qty: a buy goes, a sell cannot be said */
	o.qty = 0;
	cr_assert_gt(build(VO_OP_PLACE, &o, 13, out, sizeof(out)), 0);
	o.side = KIMP_SIDE_SELL;
	cr_assert_eq(build(VO_OP_PLACE, &o, 13, out, sizeof(out)), -EINVAL);
}

Test(binance_ord, ws_cancel_status_time_ping)
{
	char out[1024];
	struct vo_order o = { .coid = 42, .sym = ETHBTC };

	int n = build(VO_OP_CANCEL, &o, 21, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("21", "order.cancel") "\"origClientOrderId\":\"kimp42\",\"recvWindow\":5000,"
		 "\"symbol\":\"ETHBTC\",\"timestamp\":" NOW_MS_S ",\"signature\":\"",
		 PL_KEY "origClientOrderId=kimp42&recvWindow=5000&symbol=ETHBTC&timestamp=" NOW_MS_S);
	n = build(VO_OP_QUERY, &o, 22, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("22", "order.status") "\"origClientOrderId\":\"kimp42\",\"recvWindow\":5000,"
		 "\"symbol\":\"ETHBTC\",\"timestamp\":" NOW_MS_S ",\"signature\":\"",
		 PL_KEY "origClientOrderId=kimp42&recvWindow=5000&symbol=ETHBTC&timestamp=" NOW_MS_S);
	/* by the venue's id when known */
	o.oid = "12569099453";
	o.oid_len = 11;
	n = build(VO_OP_CANCEL, &o, 23, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("23", "order.cancel") "\"orderId\":\"12569099453\",\"recvWindow\":5000,"
		 "\"symbol\":\"ETHBTC\",\"timestamp\":" NOW_MS_S ",\"signature\":\"",
		 PL_KEY "orderId=12569099453&recvWindow=5000&symbol=ETHBTC&timestamp=" NOW_MS_S);
	/* no recvWindow when the context has none */
	ctx.recv_window_ms = 0;
	n = build(VO_OP_QUERY, &o, 24, out, sizeof(out));
	check_ws(out, n,
		 P_HEAD("24", "order.status") "\"orderId\":\"12569099453\","
		 "\"symbol\":\"ETHBTC\",\"timestamp\":" NOW_MS_S ",\"signature\":\"",
		 PL_KEY "orderId=12569099453&symbol=ETHBTC&timestamp=" NOW_MS_S);
	n = build(VO_OP_TIME, NULL, 25, out, sizeof(out));
	cr_assert_eq(n, (int)strlen("{\"id\":25,\"method\":\"time\"}"));
	cr_assert_eq(memcmp(out, "{\"id\":25,\"method\":\"time\"}", (size_t)n), 0);
	n = build(VO_OP_KEEPALIVE, NULL, 18446744073709551615ull, out, sizeof(out));
	cr_assert_eq(n, (int)strlen("{\"id\":18446744073709551615,\"method\":\"ping\"}"));
	cr_assert_eq(memcmp(out, "{\"id\":18446744073709551615,\"method\":\"ping\"}", (size_t)n), 0);
}

Test(binance_ord, ws_subscribe_matches_the_derived_vector)
{
	char out[1024];
	const char *want = "{\"id\":3,\"method\":\"userDataStream.subscribe.signature\","
			   "\"params\":{\"apiKey\":\"" APIKEY "\",\"timestamp\":1747385641636,"
			   "\"signature\":\"681110a6057ad58657af22f5640fab9dd17418834cdfccdc81be8b0f7b2cde3e\"}}";

	/* recvWindow is never sent here: the vector signs apiKey and timestamp only */
	int n = build(VO_OP_SUBSCRIBE, NULL, 3, out, sizeof(out));
	cr_assert_eq(n, (int)strlen(want));
	cr_assert_eq(memcmp(out, want, (size_t)n), 0, "%.*s", n, out);
	check_ws(out, n, "{\"id\":3,\"method\":\"userDataStream.subscribe.signature\","
		 "\"params\":{\"apiKey\":\"" APIKEY "\",\"timestamp\":1747385641636,\"signature\":\"",
		 PL_KEY "timestamp=1747385641636");
}

/* The timestamp is the context's clock plus the offset, in ms, truncated. */
static int64_t ts_sent(int64_t now_ns, int64_t off_ns)
{
	char out[1024];
	const char *p;

	ctx.now_ns = now_ns;
	ctx.offset_ns = off_ns;
	cr_assert_gt(build(VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)), 0);
	p = strstr(out, "\"timestamp\":");
	cr_assert_not_null(p);
	return strtoll(p + 12, NULL, 10);
}

Test(binance_ord, clock_offset_applied_at_its_boundaries)
{
	const int64_t now = NOW_MS * 1000000;

	cr_assert_eq(ts_sent(now, 0), NOW_MS);
	cr_assert_eq(ts_sent(now, -1), NOW_MS - 1, "a negative offset of 1 ns");
	cr_assert_eq(ts_sent(now, -1000000), NOW_MS - 1);
	cr_assert_eq(ts_sent(now, -1000001), NOW_MS - 2);
	cr_assert_eq(ts_sent(now, 999999), NOW_MS);
	cr_assert_eq(ts_sent(now, 1000000), NOW_MS + 1);
	cr_assert_eq(ts_sent(now, -250000000000ll), NOW_MS - 250000, "server 250 s behind");
	/* REST too */
	struct net_http_tmpl t;
	struct net_http_req r;
	char rb[2048];
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_OPEN, "api.binance.com", &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rb, sizeof(rb)), 0);
	ctx.offset_ns = -3000000;
	cr_assert_eq(vo->rest_build(&ctx, VO_OP_OPEN, NULL, &r), 0);
	cr_assert_gt(net_http_req_finish(&r), 0);
	cr_assert_not_null(strstr(rb, "timestamp=1747385641633&"));
	/* a clock before the epoch cannot be said */
	ctx.now_ns = 1;
	ctx.offset_ns = -2000000;
	cr_assert_eq(build(VO_OP_SUBSCRIBE, NULL, 1, rb, sizeof(rb)), -EINVAL);
}

Test(binance_ord, ws_build_refuses)
{
	char out[1024];
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC), b;

	b = o; b.side = 0;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "side");
	b = o; b.side = 3;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "side");
	b = o; b.type = 3;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "type");
	b = o; b.tif = 4;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "tif");
	b = o; b.px = 0;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "price 0");
	b = o; b.px = 1;
	cr_assert_gt(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), 0, "price 1 unit");
	b = o; b.qty = 0;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "qty 0");
	b = o; b.qty = -1;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "qty < 0");
	b = o; b.type = VO_POST_ONLY; b.px = -5;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "maker price");
	b = o; b.type = VO_MARKET; b.qty = 0;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "market nothing");
	b = o; b.sym = tab.n;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "symbol");
	b.sym = tab.n - 1;
	cr_assert_gt(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), 0, "last symbol");
	b = o; b.coid = 0;
	cr_assert_eq(build(VO_OP_PLACE, &b, 1, out, sizeof(out)), -EINVAL, "coid 0");
	cr_assert_eq(build(VO_OP_CANCEL, &b, 1, out, sizeof(out)), -EINVAL, "cancel coid 0");
	cr_assert_eq(build(VO_OP_PLACE, NULL, 1, out, sizeof(out)), -EINVAL, "no order");
	cr_assert_eq(build(VO_OP_QUERY, NULL, 1, out, sizeof(out)), -EINVAL, "no target");
	cr_assert_eq(build(VO_OP_OPEN, NULL, 1, out, sizeof(out)), -EINVAL, "REST only");
	cr_assert_eq(build(VO_OP_NONE, NULL, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(build(VO_OP_N, NULL, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_REST, VO_OP_PLACE, &o, 1, out, sizeof(out)),
		     -EINVAL, "not a WebSocket channel");
	cr_assert_eq(vo->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	/* oid: digits, 20 at most */
	b = o;
	b.oid = "12345678901234567890";
	b.oid_len = 20;
	cr_assert_gt(build(VO_OP_CANCEL, &b, 1, out, sizeof(out)), 0, "20 digits");
	b.oid = "123456789012345678901";
	b.oid_len = 21;
	cr_assert_eq(build(VO_OP_CANCEL, &b, 1, out, sizeof(out)), -EINVAL, "21 digits");
	b.oid = "12a";
	b.oid_len = 3;
	cr_assert_eq(build(VO_OP_QUERY, &b, 1, out, sizeof(out)), -EINVAL, "not digits");
	/* recvWindow: 60000 at most */
	ctx.recv_window_ms = 60000;
	cr_assert_gt(build(VO_OP_PLACE, &o, 1, out, sizeof(out)), 0);
	ctx.recv_window_ms = 60001;
	cr_assert_eq(build(VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	ctx.recv_window_ms = 5000;
	/* no keys */
	ctx.keys = NULL;
	cr_assert_eq(build(VO_OP_PLACE, &o, 1, out, sizeof(out)), -EINVAL);
	cr_assert_eq(build(VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)), -EINVAL);
	cr_assert_gt(build(VO_OP_TIME, NULL, 1, out, sizeof(out)), 0, "time needs no key");
}

/* Every capacity short of the message is -ENOSPC and writes nothing past it. */
Test(binance_ord, ws_build_capacity_boundary)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_IOC), t = { .coid = 9, .sym = 0 };
	struct {
		enum vo_op op;
		const struct vo_order *o;
	} cases[] = {
		{ VO_OP_PLACE, &o }, { VO_OP_CANCEL, &t }, { VO_OP_QUERY, &t },
		{ VO_OP_SUBSCRIBE, NULL }, { VO_OP_TIME, NULL }, { VO_OP_KEEPALIVE, NULL },
	};
	char full[1024], out[1100];

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(cases); i++) {
		int n = build(cases[i].op, cases[i].o, 5, full, sizeof(full));

		cr_assert_gt(n, 0);
		for (int cap = 0; cap <= n; cap++) {
			memset(out, '#', sizeof(out));
			int r = build(cases[i].op, cases[i].o, 5, out, (size_t)cap);

			if (cap == n) {
				cr_assert_eq(r, n, "op %d: exactly enough", cases[i].op);
				cr_assert_eq(memcmp(out, full, (size_t)n), 0);
			} else {
				cr_assert_eq(r, -ENOSPC, "op %d cap %d", cases[i].op, cap);
			}
			for (size_t k = (size_t)cap; k < sizeof(out); k++)
				cr_assert_eq(out[k], '#', "op %d cap %d: byte %zu written",
					     cases[i].op, cap, k);
		}
	}
}

/* ---- REST requests ------------------------------------------------------------------ */

static char rq[4096];

static int rest_req(enum vo_op op, const struct vo_order *o)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	memset(rq, 0, sizeof(rq));
	err = vo->rest_tmpl(&ctx, op, "api.binance.com", &t);
	if (err)
		return err;
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq) - 1), 0);
	err = vo->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	return net_http_req_finish(&r);
}

/* The request is line + query (signed) + rest; exsim's checker accepts the signature. */
static void check_rest(int n, const char *method_path, const char *query, const char *rest)
{
	char want[4096], sig[65];

	if (query) {
		hmac_hex(query, sig);
		snprintf(want, sizeof(want), "%s?%s&signature=%s HTTP/1.1\r\n%s", method_path,
			 query, sig, rest);
		/* the venue's own check */
		cr_assert(sim_binance_sig_rest_ok(SECRET, strlen(SECRET), query, strlen(query), NULL,
						  0, sig, 64));
	} else {
		snprintf(want, sizeof(want), "%s HTTP/1.1\r\n%s", method_path, rest);
	}
	cr_assert_eq(n, (int)strlen(want), "got %d\n%s\nwant\n%s", n, rq, want);
	cr_assert_str_eq(rq, want);
	/* and a server parses it as that */
	struct net_http_parser p;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_REQUEST, NULL), 0);
	cr_assert_eq(net_http_parse(&p, rq, (size_t)n), NET_HTTP_DONE);
	if (query) {
		struct net_http_str q = net_http_query(&p), k = net_http_header(&p, "X-MBX-APIKEY");
		const char *s = strstr(q.p, "signature=") + 10;
		cr_assert(sim_binance_sig_rest_ok(SECRET, strlen(SECRET), q.p, q.len, NULL, 0, s,
						  64));
		cr_assert_eq(k.len, strlen(APIKEY));
		cr_assert_eq(memcmp(k.p, APIKEY, k.len), 0);
	}
}

#define HOSTKEY "Host: api.binance.com\r\nX-MBX-APIKEY: " APIKEY "\r\n"

Test(binance_ord, rest_place)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);

	check_rest(rest_req(VO_OP_PLACE, &o), "POST /api/v3/order",
		   "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0015&"
		   "price=65000.12&newClientOrderId=kimp42&newOrderRespType=FULL&recvWindow=5000&"
		   "timestamp=" NOW_MS_S, HOSTKEY "Content-Length: 0\r\n\r\n");
	o.type = VO_POST_ONLY;
	o.side = KIMP_SIDE_SELL;
	check_rest(rest_req(VO_OP_PLACE, &o), "POST /api/v3/order",
		   "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.0015&price=65000.12&"
		   "newClientOrderId=kimp42&newOrderRespType=FULL&recvWindow=5000&"
		   "timestamp=" NOW_MS_S, HOSTKEY "Content-Length: 0\r\n\r\n");
	o.type = VO_MARKET;
	o.side = KIMP_SIDE_BUY;
	o.quote_qty = 1234567;
	check_rest(rest_req(VO_OP_PLACE, &o), "POST /api/v3/order",
		   "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=12345.67&"
		   "newClientOrderId=kimp42&newOrderRespType=FULL&recvWindow=5000&"
		   "timestamp=" NOW_MS_S, HOSTKEY "Content-Length: 0\r\n\r\n");
	o.side = KIMP_SIDE_SELL;
	o.tif = KIMP_TIF_FOK;   /* ignored for MARKET */
	check_rest(rest_req(VO_OP_PLACE, &o), "POST /api/v3/order",
		   "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.0015&"
		   "newClientOrderId=kimp42&newOrderRespType=FULL&recvWindow=5000&"
		   "timestamp=" NOW_MS_S, HOSTKEY "Content-Length: 0\r\n\r\n");
	o = limit(KIMP_SIDE_BUY, KIMP_TIF_IOC);
	o.sym = BNBUSDT;
	o.qty = 7;
	ctx.recv_window_ms = 0;
	check_rest(rest_req(VO_OP_PLACE, &o), "POST /api/v3/order",
		   "symbol=BNBUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.007&"
		   "price=65000.12&newClientOrderId=kimp42&newOrderRespType=FULL&"
		   "timestamp=" NOW_MS_S, HOSTKEY "Content-Length: 0\r\n\r\n");
}

Test(binance_ord, rest_cancel_query_open_time_ping)
{
	struct vo_order o = { .coid = 77, .sym = ETHBTC };

	check_rest(rest_req(VO_OP_CANCEL, &o), "DELETE /api/v3/order",
		   "symbol=ETHBTC&origClientOrderId=kimp77&recvWindow=5000&timestamp=" NOW_MS_S,
		   HOSTKEY "\r\n");
	check_rest(rest_req(VO_OP_QUERY, &o), "GET /api/v3/order",
		   "symbol=ETHBTC&origClientOrderId=kimp77&recvWindow=5000&timestamp=" NOW_MS_S,
		   HOSTKEY "\r\n");
	o.oid = "4293153";
	o.oid_len = 7;
	check_rest(rest_req(VO_OP_QUERY, &o), "GET /api/v3/order",
		   "symbol=ETHBTC&orderId=4293153&recvWindow=5000&timestamp=" NOW_MS_S,
		   HOSTKEY "\r\n");
	check_rest(rest_req(VO_OP_OPEN, NULL), "GET /api/v3/openOrders",
		   "recvWindow=5000&timestamp=" NOW_MS_S, HOSTKEY "\r\n");
	check_rest(rest_req(VO_OP_TIME, NULL), "GET /api/v3/time", NULL,
		   "Host: api.binance.com\r\n\r\n");
	check_rest(rest_req(VO_OP_KEEPALIVE, NULL), "GET /api/v3/ping", NULL,
		   "Host: api.binance.com\r\n\r\n");
}

Test(binance_ord, rest_build_refuses)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_GTC);
	struct net_http_tmpl t;
	struct net_http_req r;
	char small[512];

	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_SUBSCRIBE, "h", &t), -EINVAL, "WS API only");
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_NONE, "h", &t), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_PLACE, NULL, &t), -EINVAL);
	cr_assert_eq(rest_req(VO_OP_SUBSCRIBE, NULL), -EINVAL);
	o.tif = 9;
	cr_assert_eq(rest_req(VO_OP_PLACE, &o), -EINVAL);
	cr_assert_eq(rest_req(VO_OP_CANCEL, NULL), -EINVAL);
	ctx.recv_window_ms = 60001;
	cr_assert_eq(rest_req(VO_OP_OPEN, NULL), -EINVAL);
	ctx.recv_window_ms = 5000;
	/* a request that does not fit: -ENOSPC */
	o.tif = KIMP_TIF_GTC;
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_PLACE, "api.binance.com", &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), -ENOBUFS);
	char *big = malloc(NET_HTTP_BODY_STAGE + 400);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_QUERY, "api.binance.com", &t), 0);
	size_t cap = 0;
	while (net_http_req_start(&r, &t, big, cap))
		cap++;
	cr_assert_eq(vo->rest_build(&ctx, VO_OP_QUERY, &o, &r), -ENOSPC, "cap %zu", cap);
	free(big);
	/* signed templates need the key, unsigned ones do not */
	ctx.keys = NULL;
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_PLACE, "h", &t), -EINVAL);
	cr_assert_eq(vo->rest_tmpl(&ctx, VO_OP_TIME, "h", &t), 0);
}

/* ---- WebSocket API replies ------------------------------------------------------------ */

static void assert_obs(unsigned i, unsigned rule, uint32_t value)
{
	cr_assert_gt(ev.rate.n, i);
	cr_assert_eq(ev.rate.v[i].rule, rule, "obs %u", i);
	cr_assert_eq(ev.rate.v[i].is_left, 0);
	cr_assert_eq(ev.rate.v[i].value, value, "obs %u", i);
}

Test(binance_ord, wsapi_fixture_replies)
{
	const char *f = "binance-wsapi.jsonl";

	/* 2: RESULT of a LIMIT order, someone else's client id */
	cr_assert_eq(ws_fixture(f, 1), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.http_status, 200);
	cr_assert_eq(ev.req_id, 0, "a string id is not ours");
	cr_assert_eq(ev.sym, BTCUSDT);
	cr_assert_eq(ev.coid, 0);
	cr_assert_str_eq(ev.oid, "12510053279");
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 10);
	cr_assert_eq(ev.qty, 1000000000);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.cum_quote, 0);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.venue_ts_ns, 1655716096505ll * 1000000);
	cr_assert_eq(ev.rate.n, 3);
	assert_obs(0, 1, 12);
	assert_obs(1, 2, 4043);
	assert_obs(2, 0, 321);
	/* 3: -2010 */
	cr_assert_eq(ws_fixture(f, 2), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.http_status, 400);
	cr_assert_eq(ev.code, -2010);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.msg_len, strlen("Account has insufficient balance for requested action."));
	cr_assert_eq(memcmp(ev.msg, "Account has insufficient", 24), 0);
	cr_assert_eq(ev.rate.n, 3);
	assert_obs(2, 0, 322);
	/* 4: 418, banned until retryAfter */
	cr_assert_eq(ws_fixture(f, 3), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.http_status, 418);
	cr_assert_eq(ev.code, -1003);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, VO_F_BAN);
	cr_assert_eq(ev.retry_at_ms, 1659146400000ull);
	cr_assert_eq(ev.server_ms, 1659142907531ll);
	cr_assert_eq(ev.rate.n, 1);
	assert_obs(0, 0, 2411);
	/* 5: serverShutdown */
	cr_assert_eq(ws_fixture(f, 4), 0);
	cr_assert_eq(ev.kind, VO_EV_STREAM_END);
	cr_assert_eq(ev.venue_ts_ns, 1770123456789ll * 1000000);
	/* 9: session.logon's result: nothing for orders */
	cr_assert_eq(ws_fixture(f, 8), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.http_status, 200);
	/* 11: ACK */
	cr_assert_eq(ws_fixture(f, 10), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, "12569099453");
	cr_assert_eq(ev.side, 0, "ACK has no side");
	cr_assert_eq(ev.qty, 0);
	cr_assert_eq(ev.venue_ts_ns, 1660801715639ll * 1000000);
	cr_assert_eq(ev.rate.n, 3);
	/* 12: RESULT */
	cr_assert_eq(ws_fixture(f, 11), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.px, 2341610);
	cr_assert_eq(ev.qty, 847000);
	/* 13: FULL, filled in two fills, fees in BNB */
	cr_assert_eq(ws_fixture(f, 12), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.cum_qty, 847000);
	cr_assert_eq(ev.cum_quote, 19834, "198.335215 to the cent, nearest");
	cr_assert_eq(ev.flags, VO_F_CUM_FEE | VO_F_FEE_OTHER);
	cr_assert_eq(ev.cum_fee, 0);
	cr_assert_eq(ev.trade_id, 1650422482);
	cr_assert_eq(ev.venue_ts_ns, 1660801715793ll * 1000000);
	/* 15, 17: subscribed */
	cr_assert_eq(ws_fixture(f, 14), 0);
	cr_assert_eq(ev.kind, VO_EV_SUBSCRIBED);
	cr_assert_eq(ws_fixture(f, 16), 0);
	cr_assert_eq(ev.kind, VO_EV_SUBSCRIBED);
	/* requests are not what the venue sends */
	static const unsigned req[] = { 0, 5, 6, 7, 9, 13, 15, 17 };
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(req); i++) {
		cr_assert_eq(ws_fixture(f, req[i]), -VD_E_TYPE, "line %u", req[i] + 1);
		cr_assert_eq(ev.kind, VO_EV_NONE);
	}
	cr_assert_null(test_fixture_line(f, 18), "every line covered");
}

Test(binance_ord, wsapi_our_replies)
{
	/* a numeric id comes back in req_id; our client id parses to our coid */
	cr_assert_eq(ws("{\"id\":9000000000000000001,\"status\":200,\"result\":{\"symbol\":"
			"\"BTCUSDT\",\"orderId\":5,\"orderListId\":-1,\"clientOrderId\":\"kimp42\","
			"\"transactTime\":1}}"), 0);
	cr_assert_eq(ev.req_id, 9000000000000000001ull);
	cr_assert_eq(ev.coid, 42);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	/* a cancel result: the order's own id is origClientOrderId */
	cr_assert_eq(ws("{\"id\":4,\"status\":200,\"result\":{\"symbol\":\"BNBUSDT\","
			"\"origClientOrderId\":\"kimp43\",\"orderId\":77,\"orderListId\":-1,"
			"\"clientOrderId\":\"Xyz0123456789abcdefghi\",\"transactTime\":1700000000001,"
			"\"price\":\"600.50000000\",\"origQty\":\"1.00000000\",\"executedQty\":"
			"\"0.25000000\",\"origQuoteOrderQty\":\"0.00000000\",\"cummulativeQuoteQty\":"
			"\"150.12500000\",\"status\":\"CANCELED\",\"timeInForce\":\"GTC\",\"type\":"
			"\"LIMIT\",\"side\":\"BUY\",\"selfTradePreventionMode\":\"EXPIRE_MAKER\"},"
			"\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
			"\"intervalNum\":1,\"limit\":6000,\"count\":7}]}"), 0);
	cr_assert_eq(ev.req_id, 4);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.coid, 43);
	cr_assert_eq(ev.sym, BNBUSDT);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.px, 60050);
	cr_assert_eq(ev.qty, 1000);
	cr_assert_eq(ev.cum_qty, 250);
	cr_assert_eq(ev.cum_quote, 15013, "150.125 rounds half up");
	cr_assert_str_eq(ev.oid, "77");
	cr_assert_eq(ev.venue_ts_ns, 1700000000001ll * 1000000);
	cr_assert_eq(ev.rate.n, 1);
	assert_obs(0, 0, 7);
	/* an order.status result: updateTime is the venue's time */
	cr_assert_eq(ws("{\"id\":5,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":8,"
			"\"orderListId\":-1,\"clientOrderId\":\"kimp44\",\"price\":\"100.00\","
			"\"origQty\":\"0.5\",\"executedQty\":\"0.2\",\"cummulativeQuoteQty\":\"20.00\","
			"\"status\":\"PARTIALLY_FILLED\",\"timeInForce\":\"GTC\",\"type\":\"LIMIT\","
			"\"side\":\"SELL\",\"stopPrice\":\"0\",\"icebergQty\":\"0\",\"time\":10,"
			"\"updateTime\":20,\"isWorking\":true,\"workingTime\":10}}"), 0);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.coid, 44);
	cr_assert_eq(ev.cum_qty, 20000000);
	cr_assert_eq(ev.cum_quote, 2000);
	cr_assert_eq(ev.venue_ts_ns, 20 * 1000000);
	cr_assert_eq(ev.flags, 0, "no fills: no fee information");
	/* FULL with one fill in the quote: VO_F_LAST too */
	cr_assert_eq(ws("{\"id\":6,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":9,"
			"\"clientOrderId\":\"kimp45\",\"transactTime\":3,\"price\":\"0.00000000\","
			"\"origQty\":\"0.01000000\",\"executedQty\":\"0.01000000\","
			"\"cummulativeQuoteQty\":\"650.00120000\",\"status\":\"FILLED\",\"side\":\"BUY\","
			"\"fills\":[{\"price\":\"65000.12\",\"qty\":\"0.01\",\"commission\":"
			"\"0.65000120\",\"commissionAsset\":\"USDT\",\"tradeId\":31}]}}"), 0);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE | VO_F_LAST);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.cum_fee, 66, "0.6500012 USDT rounds up to 0.66");
	cr_assert_eq(ev.last_fee, 66);
	cr_assert_eq(ev.last_px, 6500012);
	cr_assert_eq(ev.last_qty, 1000000);
	cr_assert_eq(ev.trade_id, 31);
	cr_assert_eq(ev.cum_quote, 65000);
	/* FULL in the base asset; fills that mix assets count none */
	cr_assert_eq(ws("{\"id\":6,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":9,"
			"\"clientOrderId\":\"kimp45\",\"status\":\"FILLED\",\"fills\":["
			"{\"price\":\"1\",\"qty\":\"1\",\"commission\":\"0.00000001\","
			"\"commissionAsset\":\"BTC\",\"tradeId\":1},{\"price\":\"1\",\"qty\":\"1\","
			"\"commission\":\"0.00000002\",\"commissionAsset\":\"BTC\",\"tradeId\":2}]}}"),
		     0);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.cum_fee, 3);
	cr_assert_eq(ev.trade_id, 2);
	cr_assert_eq(ev.last_qty, 0, "two fills: no single last fill");
	cr_assert_eq(ws("{\"id\":6,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":9,"
			"\"clientOrderId\":\"kimp45\",\"status\":\"FILLED\",\"fills\":["
			"{\"price\":\"1\",\"qty\":\"1\",\"commission\":\"0.1\","
			"\"commissionAsset\":\"BTC\",\"tradeId\":1},{\"price\":\"1\",\"qty\":\"1\","
			"\"commission\":\"0.2\",\"commissionAsset\":\"USDT\",\"tradeId\":2}]}}"), 0);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE | VO_F_FEE_OTHER);
	cr_assert_eq(ev.cum_fee, 0);
	/* time, ping, a list, statuses */
	cr_assert_eq(ws("{\"id\":7,\"status\":200,\"result\":{\"serverTime\":1700000000123},"
			"\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
			"\"MINUTE\",\"intervalNum\":1,\"limit\":6000,\"count\":3}]}"), 0);
	cr_assert_eq(ev.kind, VO_EV_TIME);
	cr_assert_eq(ev.server_ms, 1700000000123ll);
	cr_assert_eq(ev.req_id, 7);
	cr_assert_eq(ws("{\"id\":8,\"status\":200,\"result\":{}}"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.req_id, 8);
	cr_assert_eq(ws("{\"id\":8,\"status\":200,\"result\":[]}"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	static const struct {
		const char *s;
		uint8_t st;
	} sts[] = {
		{ "NEW", KIMP_ORD_ACKED }, { "PENDING_NEW", KIMP_ORD_ACKED },
		{ "PARTIALLY_FILLED", KIMP_ORD_PARTIAL }, { "FILLED", KIMP_ORD_FILLED },
		{ "CANCELED", KIMP_ORD_CANCELLED }, { "PENDING_CANCEL", KIMP_ORD_CANCEL_PENDING },
		{ "EXPIRED", KIMP_ORD_EXPIRED }, { "EXPIRED_IN_MATCH", KIMP_ORD_EXPIRED },
		{ "REJECTED", KIMP_ORD_REJECTED },
	};
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(sts); i++) {
		char m[256];
		snprintf(m, sizeof(m), "{\"id\":1,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\","
			 "\"orderId\":1,\"clientOrderId\":\"kimp1\",\"status\":\"%s\"}}", sts[i].s);
		cr_assert_eq(ws(m), 0, "%s", sts[i].s);
		cr_assert_eq(ev.state, sts[i].st, "%s", sts[i].s);
	}
	/* all four rate rules, and a fifth reading dropped */
	cr_assert_eq(ws("{\"id\":1,\"status\":200,\"result\":{},\"rateLimits\":["
			"{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\",\"intervalNum\":5,"
			"\"limit\":300000,\"count\":11},"
			"{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"SECOND\",\"intervalNum\":1,"
			"\"limit\":1,\"count\":1},"
			"{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
			"\"limit\":100,\"count\":4294967296},"
			"{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
			"\"limit\":200000,\"count\":9},"
			"{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
			"\"limit\":6000,\"count\":8},"
			"{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
			"\"limit\":6000,\"count\":99}]}"), 0);
	cr_assert_eq(ev.rate.n, VO_RATE_OBS);
	assert_obs(0, 3, 11);
	assert_obs(1, 1, UINT32_MAX);
	assert_obs(2, 2, 9);
	assert_obs(3, 0, 8);
}

Test(binance_ord, wsapi_error_outcomes)
{
	static const struct {
		unsigned status;
		int code;
		uint8_t outcome, flags;
	} c[] = {
		{ 400, -1013, VO_OUT_REJECTED, 0 },
		{ 400, -2010, VO_OUT_REJECTED, 0 },
		{ 400, -1100, VO_OUT_REJECTED, 0 },
		{ 400, -1101, VO_OUT_REJECTED, 0 },
		{ 400, -1102, VO_OUT_REJECTED, 0 },
		{ 400, -1103, VO_OUT_REJECTED, 0 },
		{ 400, -1104, VO_OUT_REJECTED, 0 },
		{ 400, -1105, VO_OUT_REJECTED, 0 },
		{ 400, -1106, VO_OUT_REJECTED, 0 },
		{ 400, -1111, VO_OUT_REJECTED, 0 },
		{ 400, -1121, VO_OUT_REJECTED, 0 },
		{ 429, -1015, VO_OUT_REJECTED, VO_F_RATE },
		{ 400, -1021, VO_OUT_REJECTED, VO_F_CLOCK },
		{ 400, -1022, VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, -2014, VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, -2015, VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, -1002, VO_OUT_REJECTED, VO_F_AUTH },
		{ 429, -1003, VO_OUT_REJECTED, VO_F_RATE },
		{ 418, -1003, VO_OUT_REJECTED, VO_F_BAN },
		{ 400, -2013, VO_OUT_NOT_FOUND, 0 },
		{ 400, -2026, VO_OUT_NOT_FOUND, 0 },
		{ 400, -2011, VO_OUT_CANCEL_REJECTED, 0 },
		{ 503, -1007, VO_OUT_UNKNOWN, 0 },
		{ 400, -1007, VO_OUT_UNKNOWN, 0 },
		{ 400, -1006, VO_OUT_UNKNOWN, 0 },
		{ 500, -1000, VO_OUT_UNKNOWN, 0 },
		{ 503, -1008, VO_OUT_UNKNOWN, 0 },
		{ 599, -1001, VO_OUT_UNKNOWN, 0 },
		{ 499, -1099, VO_OUT_REJECTED, 0 },
		{ 200, -1, VO_OUT_UNKNOWN, 0 },
	};
	char m[512];

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		snprintf(m, sizeof(m), "{\"id\":%zu,\"status\":%u,\"error\":{\"code\":%d,"
			 "\"msg\":\"x\"}}", i + 1, c[i].status, c[i].code);
		cr_assert_eq(ws(m), 0, "%s", m);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.req_id, i + 1);
		cr_assert_eq(ev.http_status, c[i].status);
		cr_assert_eq(ev.code, c[i].code);
		cr_assert_eq(ev.outcome, c[i].outcome, "%s: outcome %u", m, ev.outcome);
		cr_assert_eq(ev.flags, c[i].flags, "%s: flags %x", m, ev.flags);
	}
	/* 429 with data.retryAfter as exsim writes it */
	cr_assert_eq(ws("{\"id\":1,\"status\":429,\"error\":{\"code\":-1003,\"msg\":\"Too much "
			"request weight used\",\"data\":{\"serverTime\":1700000000000,\"retryAfter\":"
			"1700000060000}},\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\","
			"\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":6000,\"count\":6001}]}"), 0);
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, 1700000060000ull);
	cr_assert_eq(ev.server_ms, 1700000000000ll);
	assert_obs(0, 0, 6001);
	/* the error's code must be an int32 */
	cr_assert_eq(ws("{\"id\":1,\"status\":400,\"error\":{\"code\":-2147483648,\"msg\":\"\"}}"), 0);
	cr_assert_eq(ev.code, INT32_MIN);
	cr_assert_eq(ws("{\"id\":1,\"status\":400,\"error\":{\"code\":-2147483649,\"msg\":\"\"}}"),
		     -VD_E_NUMBER);
}

/* ---- user data --------------------------------------------------------------------------- */

Test(binance_ord, execution_report_fixtures)
{
	const char *f = "binance-executionReport.jsonl";

	/* 1: NEW on ETHBTC, wrapped as the ws-api sends it */
	cr_assert_eq(ws_fixture(f, 0), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.sym, ETHBTC);
	cr_assert_eq(ev.coid, 0);
	cr_assert_str_eq(ev.oid, "4293153");
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 10264410);
	cr_assert_eq(ev.qty, 100000000);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.venue_ts_ns, 1499405658657ll * 1000000);
	cr_assert_eq(ev.http_status, 0);
	cr_assert_eq(ev.req_id, 0);
	/* 2: NEW on BNBUSDT (bare, the older stream form) */
	cr_assert_eq(ws_fixture(f, 1), 0);
	cr_assert_eq(ev.sym, BNBUSDT);
	cr_assert_eq(ev.px, 112522);
	cr_assert_eq(ev.qty, 7);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	/* 3: its fill, maker, fee in BNB = the base, rounded up to 0.001 */
	cr_assert_eq(ws_fixture(f, 2), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_MAKER);
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.last_qty, 7);
	cr_assert_eq(ev.last_px, 112522);
	cr_assert_eq(ev.last_fee, 1);
	cr_assert_eq(ev.cum_qty, 7);
	cr_assert_eq(ev.cum_quote, 788);
	cr_assert_eq(ev.trade_id, 1251701408);
	cr_assert_str_eq(ev.oid, "9639329831");
	cr_assert_eq(ev.venue_ts_ns, 1760946670456ll * 1000000);
	/* 4: a taker fill on BTCUSDT, fee in BNB: another asset */
	cr_assert_eq(ws_fixture(f, 3), 0);
	cr_assert_eq(ev.sym, BTCUSDT);
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_FEE_OTHER);
	cr_assert_eq(ev.last_fee, 0);
	cr_assert_eq(ev.last_qty, 6000);
	cr_assert_eq(ev.last_px, 8588889);
	cr_assert_eq(ev.px, 8589344);
	cr_assert_eq(ev.cum_quote, 515);
	cr_assert_eq(ev.trade_id, 5662542871ull);
	/* 5: {"stream","data"} form, NEW, N = BTC */
	cr_assert_eq(ws_fixture(f, 4), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.qty, 28400);
	/* 6: its fill, fee in BTC */
	cr_assert_eq(ws_fixture(f, 5), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.flags, VO_F_LAST);
	cr_assert_eq(ev.fee_asset, 1);
	cr_assert_eq(ev.last_fee, 29);
	cr_assert_eq(ev.last_qty, 28600);
	cr_assert_eq(ev.cum_quote, 1500);
	cr_assert_eq(ev.trade_id, 726946523);
	cr_assert_null(test_fixture_line(f, 6), "every line covered");
}

/* exsim's executionReport for a cancel: c is the cancel's id, C the order's. */
#define ER_CANCEL "{\"subscriptionId\":3,\"event\":{\"e\":\"executionReport\",\"E\":1700000000050," \
	"\"s\":\"BTCUSDT\",\"c\":\"Zx9cancelid\",\"S\":\"SELL\",\"o\":\"LIMIT\",\"f\":\"GTC\"," \
	"\"q\":\"0.50000000\",\"p\":\"70000.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\"," \
	"\"g\":-1,\"C\":\"kimp1734000000001\",\"x\":\"CANCELED\",\"X\":\"CANCELED\",\"r\":\"NONE\"," \
	"\"i\":31,\"l\":\"0.00000000\",\"z\":\"0.10000000\",\"L\":\"0.00000000\",\"n\":\"0\"," \
	"\"N\":null,\"T\":1700000000049,\"t\":-1,\"I\":9,\"w\":false,\"m\":false,\"M\":false," \
	"\"O\":1700000000000,\"Z\":\"7000.00000000\",\"Y\":\"0.00000000\",\"Q\":\"0.00000000\"," \
	"\"W\":1700000000000,\"V\":\"EXPIRE_MAKER\"}}"

Test(binance_ord, execution_report_cancel_and_trade_of_ours)
{
	cr_assert_eq(ws(ER_CANCEL), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.coid, 1734000000001ull, "the order's id from C");
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.cum_qty, 10000000);
	cr_assert_eq(ev.cum_quote, 700000);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.venue_ts_ns, 1700000000049ll * 1000000);
	/* C set but not a cancel: c is the order's */
	cr_assert_eq(ws("{\"e\":\"executionReport\",\"E\":1,\"s\":\"BTCUSDT\",\"c\":\"kimp5\","
			"\"C\":\"kimp6\",\"x\":\"EXPIRED\",\"X\":\"EXPIRED\",\"i\":1,\"z\":\"0\","
			"\"Z\":\"0\"}"), 0);
	cr_assert_eq(ev.coid, 5);
	cr_assert_eq(ev.state, KIMP_ORD_EXPIRED);
	cr_assert_eq(ev.venue_ts_ns, 1000000, "E when there is no T");
	/* a cancel with C empty: c */
	cr_assert_eq(ws("{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"kimp5\",\"C\":\"\","
			"\"x\":\"CANCELED\",\"X\":\"CANCELED\",\"i\":1,\"z\":\"0\"}"), 0);
	cr_assert_eq(ev.coid, 5);
	cr_assert_eq(ev.venue_ts_ns, 0);
	/* a partial fill of ours in the quote asset, keys in another order */
	cr_assert_eq(ws("{\"event\":{\"t\":88,\"n\":\"0.0012345\",\"N\":\"USDT\",\"m\":true,"
			"\"l\":\"0.001\",\"L\":\"65000.12\",\"z\":\"0.002\",\"Z\":\"130.00024\","
			"\"X\":\"PARTIALLY_FILLED\",\"x\":\"TRADE\",\"i\":\"99\",\"c\":\"kimp7\","
			"\"s\":\"BTCUSDT\",\"e\":\"executionReport\",\"T\":5},\"subscriptionId\":0}"), 0);
	cr_assert_eq(ev.coid, 7);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_MAKER);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.last_fee, 1, "0.0012345 USDT rounds up to 0.01");
	cr_assert_eq(ev.last_qty, 100000);
	cr_assert_eq(ev.last_px, 6500012);
	cr_assert_eq(ev.cum_quote, 13000);
	cr_assert_eq(ev.trade_id, 88);
	cr_assert_str_eq(ev.oid, "99");
}

Test(binance_ord, userdata_other_fixtures)
{
	const char *f = "binance-userdata-other.jsonl";
	static const uint8_t want[] = { VO_EV_CONTROL, VO_EV_CONTROL, VO_EV_CONTROL,
					VO_EV_STREAM_END, VO_EV_CONTROL, VO_EV_CONTROL,
					VO_EV_CONTROL };
	static const int64_t e_ms[] = { 1564034571105, 1573200697110, 1564035303637,
					1728973001334, 1581557507324, 1728972148778,
					1735761723087 };

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(want); i++) {
		cr_assert_eq(ws_fixture(f, i), 0, "line %u", i + 1);
		cr_assert_eq(ev.kind, want[i], "line %u", i + 1);
		cr_assert_eq(ev.venue_ts_ns, e_ms[i] * 1000000, "line %u", i + 1);
		cr_assert_eq(ev.coid, 0);
	}
	cr_assert_null(test_fixture_line(f, KIMP_ARRAY_SIZE(want)), "every line covered");
	cr_assert_eq(ws("{\"subscriptionId\":0,\"event\":{\"e\":\"somethingNew\",\"E\":1}}"),
		     -VD_E_TYPE);
}

/* ---- REST replies --------------------------------------------------------------------- */

#define H200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

Test(binance_ord, rest_order_fixtures)
{
	const char *f = "binance-rest-order.jsonl";
	struct vo_order o = { .coid = 42, .sym = BTCUSDT, .side = KIMP_SIDE_SELL,
			      .type = VO_MARKET, .qty = 1000000000 };
	char *s;

	/* ACK, with the weight and order counts */
	s = test_fixture_line(f, 0);
	cr_assert_eq(rest(VO_OP_PLACE, &o, H200 "X-MBX-USED-WEIGHT-1M: 12\r\n"
			  "X-MBX-ORDER-COUNT-10S: 3\r\nX-MBX-ORDER-COUNT-1D: 40\r\n", s), 0);
	free(s);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.http_status, 200);
	cr_assert_eq(ev.coid, 0, "the body's client id, not ours");
	cr_assert_str_eq(ev.oid, "28");
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.venue_ts_ns, 1507725176595ll * 1000000);
	cr_assert_eq(ev.rate.n, 3);
	assert_obs(0, 0, 12);
	assert_obs(1, 1, 3);
	assert_obs(2, 2, 40);
	/* RESULT */
	s = test_fixture_line(f, 1);
	cr_assert_eq(rest(VO_OP_PLACE, &o, H200, s), 0);
	free(s);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.px, 0);
	cr_assert_eq(ev.qty, 1000000000);
	cr_assert_eq(ev.cum_qty, 1000000000);
	cr_assert_eq(ev.cum_quote, 1000);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.rate.n, 0);
	/* FULL: five fills in USDT summed, then rounded up once: 39.983 -> 39.99 */
	s = test_fixture_line(f, 2);
	cr_assert_eq(rest(VO_OP_PLACE, &o, H200, s), 0);
	free(s);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.cum_fee, 3999);
	cr_assert_eq(ev.trade_id, 60);
	cr_assert_null(test_fixture_line(f, 3), "every line covered");
}

Test(binance_ord, rest_errors_fixtures)
{
	const char *f = "binance-errors.jsonl";
	struct vo_order o = { .coid = 42, .sym = BNBUSDT, .side = KIMP_SIDE_BUY };
	static const struct {
		enum vo_op op;
		const char *head;
		int code;
		uint8_t outcome, flags;
	} c[] = {
		{ VO_OP_PLACE, "HTTP/1.1 400 Bad Request\r\n", -1121, VO_OUT_REJECTED, 0 },
		{ VO_OP_CANCEL, "HTTP/1.1 400 Bad Request\r\n", -1145, VO_OUT_REJECTED, 0 },
		{ VO_OP_CANCEL, "HTTP/1.1 400 Bad Request\r\n", -2011, VO_OUT_CANCEL_REJECTED, 0 },
		{ VO_OP_PLACE, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n", -1015,
		  VO_OUT_REJECTED, VO_F_RATE },
		{ VO_OP_PLACE, "HTTP/1.1 400 Bad Request\r\n", -2043, VO_OUT_REJECTED, 0 },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		char *s = test_fixture_line(f, i);

		cr_assert_eq(rest(c[i].op, &o, c[i].head, s), 0, "line %u", i + 1);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.code, c[i].code);
		cr_assert_eq(ev.outcome, c[i].outcome, "line %u", i + 1);
		cr_assert_eq(ev.flags, c[i].flags, "line %u", i + 1);
		cr_assert_eq(ev.coid, 42, "the request's order");
		cr_assert_eq(ev.sym, BNBUSDT);
		cr_assert_not_null(ev.msg);
		cr_assert_eq(ev.msg_len, strstr(s, "\"}") - strstr(s, "\"msg\":\"") - 7);
		/* Retry-After seconds as epoch ms on the venue's clock */
		cr_assert_eq(ev.retry_at_ms, i == 3 ? (uint64_t)NOW_MS + 7000 : 0);
		free(s);
	}
	cr_assert_null(test_fixture_line(f, KIMP_ARRAY_SIZE(c)), "every line covered");
}

Test(binance_ord, rest_error_statuses)
{
	struct vo_order o = { .coid = 42, .sym = BTCUSDT };

	/* 429 -1003: rate, retry from Retry-After (boundary: 0 s, and none) */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\n"
			  "X-MBX-USED-WEIGHT-1M: 6001\r\n",
			  "{\"code\":-1003,\"msg\":\"Too much request weight used\"}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS);
	assert_obs(0, 0, 6001);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 429 Too Many Requests\r\n",
			  "{\"code\":-1003,\"msg\":\"x\"}"), 0);
	cr_assert_eq(ev.retry_at_ms, 0, "unknown");
	/* 418 */
	ctx.offset_ns = -5000000;
	cr_assert_eq(rest(VO_OP_QUERY, &o, "HTTP/1.1 418 I'm a teapot\r\nRetry-After: 120\r\n",
			  "{\"code\":-1003,\"msg\":\"Way too much request weight used; IP banned "
			  "until 1659146400000.\"}"), 0);
	cr_assert_eq(ev.flags, VO_F_BAN);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS - 5 + 120000);
	/* -1021 on a place: a definite refusal, resync the clock */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 400 Bad Request\r\n",
			  "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the "
			  "recvWindow.\"}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, VO_F_CLOCK);
	/* -2013 on a query */
	cr_assert_eq(rest(VO_OP_QUERY, &o, "HTTP/1.1 400 Bad Request\r\n",
			  "{\"code\":-2013,\"msg\":\"Order does not exist.\"}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_NOT_FOUND);
	/* -2011 on a cancel */
	cr_assert_eq(rest(VO_OP_CANCEL, &o, "HTTP/1.1 400 Bad Request\r\n",
			  "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED);
	/* auth */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 401 Unauthorized\r\n",
			  "{\"code\":-2015,\"msg\":\"Invalid API-key, IP, or permissions for "
			  "action.\"}"), 0);
	cr_assert_eq(ev.flags, VO_F_AUTH);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	/* 5xx: unknown, with the venue's body or a proxy's page */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 503 Service Unavailable\r\n",
			  "{\"code\":-1007,\"msg\":\"Timeout waiting for response from backend "
			  "server. Send status unknown; execution status unknown.\"}"), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.code, -1007);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 502 Bad Gateway\r\n",
			  "<html>bad gateway</html>"), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.code, 0);
	cr_assert_null(ev.msg);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 500 Internal\r\n", ""), 0);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\n",
			  "<html/>"), 0);
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS - 5 + 2000);
	/* a 4xx whose body is not the venue's: not understood */
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 400 Bad Request\r\n", "<html/>"),
		     -VD_E_SYNTAX);
	cr_assert_eq(ev.kind, VO_EV_NONE);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 400 Bad Request\r\n", "{\"msg\":\"x\"}"),
		     -VD_E_SHAPE);
	cr_assert_eq(rest(VO_OP_PLACE, &o, "HTTP/1.1 400 Bad Request\r\n",
			  "{\"code\":\"-1\",\"msg\":\"x\"}"), -VD_E_SHAPE);
	/* a parser-less call still works (no headers read) */
	const char *b = "{\"code\":-2010,\"msg\":\"Duplicate order sent.\"}";
	cr_assert_eq(vo->rest_parse(&ctx, VO_OP_PLACE, NULL, 400, NULL, (const uint8_t *)b,
				    strlen(b), &ev), 0);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.coid, 0);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE);
}

Test(binance_ord, rest_ok_replies)
{
	cr_assert_eq(rest(VO_OP_TIME, NULL, H200 "X-MBX-USED-WEIGHT-1M: 1\r\n",
			  "{\"serverTime\":1499827319559}"), 0);
	cr_assert_eq(ev.kind, VO_EV_TIME);
	cr_assert_eq(ev.server_ms, 1499827319559ll);
	assert_obs(0, 0, 1);
	cr_assert_eq(rest(VO_OP_KEEPALIVE, NULL, H200, "{}"), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	/* a body of the wrong kind for the operation */
	cr_assert_eq(rest(VO_OP_TIME, NULL, H200, "{}"), -VD_E_SHAPE);
	cr_assert_eq(rest(VO_OP_PLACE, NULL, H200, "{\"serverTime\":1}"), -VD_E_SHAPE);
	cr_assert_eq(rest(VO_OP_OPEN, NULL, H200, "[]"), -VD_E_TYPE, "rest_parse_list");
	cr_assert_eq(rest(VO_OP_SUBSCRIBE, NULL, H200, "{}"), -VD_E_TYPE);
	cr_assert_eq(vo->rest_parse(&ctx, VO_OP_TIME, NULL, 200, NULL, NULL, 0, &ev),
		     -VD_E_SYNTAX);
}

struct list_acc {
	unsigned n;
	uint64_t coid[8];
	uint8_t state[8];
	uint8_t nobs;
};

static void list_each(void *arg, const struct vo_event *e)
{
	struct list_acc *a = arg;

	cr_assert_eq(e->kind, VO_EV_ORDER);
	cr_assert_lt(a->n, 8);
	a->coid[a->n] = e->coid;
	a->state[a->n] = e->state;
	a->nobs = e->rate.n;
	a->n++;
}

Test(binance_ord, rest_open_orders_list)
{
	const char *body = "[{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"orderListId\":-1,"
			   "\"clientOrderId\":\"kimp10\",\"price\":\"1.00\",\"origQty\":\"1\","
			   "\"executedQty\":\"0\",\"cummulativeQuoteQty\":\"0\",\"status\":\"NEW\","
			   "\"timeInForce\":\"GTC\",\"type\":\"LIMIT\",\"side\":\"BUY\","
			   "\"time\":1,\"updateTime\":2,\"isWorking\":true},"
			   "{\"symbol\":\"XRPUSDT\",\"orderId\":2,\"clientOrderId\":\"manual\","
			   "\"status\":\"NEW\"},"
			   "{\"symbol\":\"ETHBTC\",\"orderId\":3,\"clientOrderId\":\"kimp11\","
			   "\"executedQty\":\"0.5\",\"status\":\"PARTIALLY_FILLED\"}]";
	struct list_acc a = { 0 };

	http_response(H200 "X-MBX-USED-WEIGHT-1M: 86\r\n", body);
	struct net_http_str b = net_http_body(&resp);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, &resp, (const uint8_t *)b.p, b.len, list_each,
					 &a), 2, "the unknown symbol is left out");
	cr_assert_eq(a.n, 2);
	cr_assert_eq(a.coid[0], 10);
	cr_assert_eq(a.state[0], KIMP_ORD_ACKED);
	cr_assert_eq(a.coid[1], 11);
	cr_assert_eq(a.state[1], KIMP_ORD_PARTIAL);
	cr_assert_eq(a.nobs, 1);
	memset(&a, 0, sizeof(a));
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"[ ]", 3, list_each,
					 &a), 0);
	cr_assert_eq(a.n, 0);
	/* a broken list calls nobody */
	const char *bad = "[{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"kimp10\"},"
			  "{\"symbol\":\"BTCUSDT\",\"orderId\":{}}]";
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)bad, strlen(bad),
					 list_each, &a), -VD_E_SHAPE);
	cr_assert_eq(a.n, 0);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"[{}]", 4, list_each,
					 &a), -VD_E_SHAPE);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"{}", 2, list_each,
					 &a), -VD_E_SYNTAX);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"[] x", 4, list_each,
					 &a), -VD_E_SYNTAX);
	cr_assert_eq(vo->rest_parse_list(&ctx, 200, NULL, NULL, 0, list_each, &a), -VD_E_SYNTAX);
	cr_assert_eq(vo->rest_parse_list(&ctx, 400, NULL, (const uint8_t *)"[]", 2, list_each,
					 &a), -VD_E_TYPE, "an error is not a list");
	cr_assert_eq(a.n, 0);
}

/* ---- refusals ---------------------------------------------------------------------------- */

Test(binance_ord, malformed_messages)
{
	static const struct {
		const char *s;
		int err;
	} c[] = {
		{ "", -VD_E_SYNTAX },
		{ "   ", -VD_E_SYNTAX },
		{ "null", -VD_E_SYNTAX },
		{ "[1]", -VD_E_TYPE },
		{ "{}", -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":200}", -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":200,\"result\":{},\"error\":{\"code\":1,\"msg\":\"\"}}",
		  -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{}} x", -VD_E_SYNTAX },
		{ "{\"id\":1,\"id\":2,\"result\":{}}", 0 },     /* ids are not checked twice */
		{ "{\"id\":{},\"result\":{}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":\"200\",\"result\":{}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":1000,\"result\":{}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"status\":999,\"result\":{}}", 0 },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"symbol\":\"BTCUSDT\","
		  "\"orderId\":1,\"clientOrderId\":\"a\"}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"DOGEUSDT\",\"orderId\":1,"
		  "\"clientOrderId\":\"a\"}}", -VD_E_SYMBOL },
		{ "{\"id\":1,\"result\":{\"orderId\":1,\"clientOrderId\":\"a\"}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,"
		  "\"origClientOrderId\":\"kimp1\"}}", 0 },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":\"1a\","
		  "\"clientOrderId\":\"a\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":5}}",
		  -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"status\":\"SOMETHING\"}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"side\":\"LONG\"}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"price\":\"1.001\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"origQty\":\"0.000000001\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"executedQty\":null}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"cummulativeQuoteQty\":\"abc\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"transactTime\":-1}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"fills\":{}}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"fills\":[{\"price\":\"1\",\"qty\":\"1\",\"commission\":\"1\","
		  "\"commissionAsset\":\"USDT\"}]}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"fills\":[{\"price\":\"1\",\"qty\":\"1\",\"commissionAsset\":\"USDT\","
		  "\"tradeId\":1}]}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"clientOrderId\":\"a\","
		  "\"fills\":[1]}}", -VD_E_SYNTAX },
		{ "{\"id\":1,\"result\":{\"serverTime\":\"x\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"serverTime\":9223372036854775808}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"result\":{\"subscriptionId\":-1}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"status\":400,\"error\":{\"code\":-1,\"msg\":1}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":400,\"error\":{\"code\":-1.5,\"msg\":\"\"}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"status\":400,\"error\":{\"code\":-1,\"msg\":\"\",\"data\":1}}",
		  -VD_E_SHAPE },
		{ "{\"id\":1,\"status\":400,\"error\":{\"code\":-1,\"msg\":\"\",\"data\":"
		  "{\"retryAfter\":\"soon\"}}}", -VD_E_NUMBER },
		{ "{\"id\":1,\"status\":400,\"error\":{\"code\":-1,\"msg\":\"\",\"data\":null}}", 0 },
		{ "{\"id\":1,\"result\":{},\"rateLimits\":{}}", -VD_E_SYNTAX },
		{ "{\"id\":1,\"result\":{},\"rateLimits\":[{\"rateLimitType\":\"ORDERS\"}]}",
		  -VD_E_SHAPE },
		{ "{\"subscriptionId\":0,\"event\":{\"E\":1}}", -VD_E_SHAPE },
		{ "{\"subscriptionId\":0,\"event\":{\"e\":1}}", -VD_E_SHAPE },
		{ "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"s\":\"BTCUSDT\"}}",
		  -VD_E_SHAPE },
		{ "{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"a\",\"x\":\"NEW\","
		  "\"X\":\"NEW\",\"i\":1,\"z\":\"0.000000001\"}", -VD_E_NUMBER },
		{ "{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"a\",\"x\":\"NEW\","
		  "\"X\":\"NEW\",\"i\":1,\"z\":\"0\",\"m\":1}", -VD_E_SHAPE },
		{ "{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"a\",\"x\":\"TRADE\","
		  "\"X\":\"FILLED\",\"i\":1,\"z\":\"1\"}", -VD_E_SHAPE },
		{ "{\"e\":\"executionReport\",\"s\":\"ETHUSDT\",\"c\":\"a\",\"x\":\"NEW\","
		  "\"X\":\"NEW\",\"i\":1,\"z\":\"0\"}", -VD_E_SYMBOL },
		{ "{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"c\":\"a\",\"x\":\"NEW\","
		  "\"X\":\"NEW\",\"i\":1,\"z\":\"0\",\"E\":\"x\"}", -VD_E_NUMBER },
		{ "{\"e\":\"outboundAccountPosition\",\"E\":-5}", -VD_E_NUMBER },
		{ "{\"event\":{\"e\":\"serverShutdown\",\"E\":1},\"event\":{}}", -VD_E_SHAPE },
		{ "{\"id\":1,\"result\":{\"s\\u0079mbol\":\"BTCUSDT\"}}", 0 },  /* escaped key: not ours */
		{ "{\"id\":1,\"result\":{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]"
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}", -VD_E_SYNTAX },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		int r = ws(c[i].s);

		cr_assert_eq(r, c[i].err, "%s: %d, want %d", c[i].s, r, c[i].err);
		if (r)
			cr_assert_eq(ev.kind, VO_EV_NONE, "%s", c[i].s);
	}
	cr_assert_eq(vo->ws_parse(&ctx, VO_CH_REST, (const uint8_t *)"{}", 2, &ev), -VD_E_TYPE);
	cr_assert_eq(vo->ws_parse(&ctx, VO_CH_WSAPI, NULL, 0, &ev), -VD_E_SYNTAX);
}

/* Every prefix of every message is refused; single-byte damage never crashes. */
Test(binance_ord, truncated_and_damaged_inputs)
{
	static const char *const files[] = {
		"binance-wsapi.jsonl", "binance-executionReport.jsonl",
		"binance-userdata-other.jsonl", "binance-rest-order.jsonl", "binance-errors.jsonl",
	};
	static const char dmg[] = { '"', '}', ']', '{', ',', ':', 'x', '0', '-', '\\', ' ', 0 };
	unsigned msgs = 0;

	for (size_t f = 0; f < KIMP_ARRAY_SIZE(files); f++) {
		char *line;
		for (unsigned i = 0; (line = test_fixture_line(files[f], i)); i++) {
			size_t n = strlen(line);
			bool rest_body = f >= 3;

			for (size_t k = 0; k < n; k++) {
				char *p = malloc(k ? k : 1);
				memcpy(p, line, k);
				int r = rest_body
					? vo->rest_parse(&ctx, f == 3 ? VO_OP_PLACE : VO_OP_CANCEL,
							 NULL, f == 3 ? 200 : 400, NULL,
							 (const uint8_t *)p, k, &ev)
					: vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)p, k, &ev);
				cr_assert_lt(r, 0, "%s:%u cut at %zu", files[f], i + 1, k);
				cr_assert_eq(ev.kind, VO_EV_NONE);
				free(p);
			}
			for (size_t k = 0; k < n; k++)
				for (size_t d = 0; d < sizeof(dmg); d++) {
					char *p = malloc(n);
					memcpy(p, line, n);
					p[k] = dmg[d];
					int r = vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)p, n, &ev);
					cr_assert(r <= 0 && r > -VD_E_MAX);
					if (r)
						cr_assert_eq(ev.kind, VO_EV_NONE);
					free(p);
				}
			free(line);
			msgs++;
		}
	}
	cr_assert_eq(msgs, 18 + 6 + 7 + 3 + 5);
	/* the rest of our own messages too */
	const char *own[] = { ER_CANCEL };
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(own); i++)
		for (size_t k = 0; k < strlen(own[i]); k++) {
			char *p = malloc(k ? k : 1);
			memcpy(p, own[i], k);
			cr_assert_lt(vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)p, k, &ev), 0);
			free(p);
		}
}

/* ---- the hot path ------------------------------------------------------------------------ */

static const char *const hot_msgs[] = {
	ER_CANCEL,
	"{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1,\"s\":\"BTCUSDT\","
	"\"c\":\"kimp7\",\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"IOC\",\"q\":\"0.002\","
	"\"p\":\"65000.12\",\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\",\"i\":99,\"l\":\"0.001\","
	"\"z\":\"0.001\",\"L\":\"65000.12\",\"n\":\"0.065\",\"N\":\"USDT\",\"T\":2,\"t\":88,"
	"\"m\":false,\"Z\":\"65.00012\"}}",
	"{\"id\":6,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":9,"
	"\"clientOrderId\":\"kimp45\",\"transactTime\":3,\"price\":\"65000.12\","
	"\"origQty\":\"0.01\",\"executedQty\":\"0.01\",\"cummulativeQuoteQty\":\"650.0012\","
	"\"status\":\"FILLED\",\"side\":\"BUY\",\"fills\":[{\"price\":\"65000.12\",\"qty\":\"0.01\","
	"\"commission\":\"0.65\",\"commissionAsset\":\"USDT\",\"tradeId\":31}]},\"rateLimits\":["
	"{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":100,"
	"\"count\":1},{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
	"\"intervalNum\":1,\"limit\":6000,\"count\":3}]}",
	"{\"id\":1,\"status\":400,\"error\":{\"code\":-2010,\"msg\":\"Order would immediately "
	"match and take.\"}}",
	"{\"id\":7,\"status\":200,\"result\":{\"serverTime\":1700000000123}}",
};

static uint64_t hot_round(void)
{
	struct vo_order o = limit(KIMP_SIDE_BUY, KIMP_TIF_IOC), t = { .coid = 42, .sym = 0 };
	char out[1024];
	uint64_t sum = 0;
	int n;

	for (uint64_t id = 1; id <= 8; id++) {
		o.coid = id;
		o.type = (uint8_t)(id % 3);
		o.quote_qty = id & 1 ? 1000 : 0;
		n = build(VO_OP_PLACE, &o, id, out, sizeof(out));
		sum += n > 0 ? (uint64_t)n : 1000000;
		n = build(id & 1 ? VO_OP_CANCEL : VO_OP_QUERY, &t, id, out, sizeof(out));
		sum += n > 0 ? (uint64_t)n : 1000000;
		for (size_t m = 0; m < KIMP_ARRAY_SIZE(hot_msgs); m++) {
			struct vo_event e;
			if (vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)hot_msgs[m],
					 strlen(hot_msgs[m]), &e))
				return 0;
			sum += e.kind;
		}
	}
	return sum;
}

Test(binance_ord, build_and_parse_make_no_syscall_and_allocate_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	uint64_t want = hot_round();   /* warm, and the answer to compare */

	cr_assert_gt(want, 0, "every message parsed");
	cr_assert_lt(want, 1000000, "every request built");
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		if (test_jail())
			_exit(2);
		for (int i = 0; i < 200; i++)
			if (hot_round() != want)
				syscall(SYS_exit, 4);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, 0);
	}
	cr_assert_eq(test_wait_child(pid), 0,
		     "build/parse made a syscall (SIGSYS = 159), allocated (3) or changed (4)");
}

/* ---- against exsim --------------------------------------------------------------------- */

static struct simtest T;
static struct simtest_ws *api;
static uint32_t seen;
static struct vo_event got[16];
static unsigned ngot;

/* Send ws_build's request id, parse everything that arrives until its reply. */
static const struct vo_event *call(enum vo_op op, const struct vo_order *o, uint64_t id)
{
	char out[1024];
	int n = build(op, o, id, out, sizeof(out) - 1);

	cr_assert_gt(n, 0);
	out[n] = 0;
	cr_assert_eq(simtest_ws_text(api, out), 0);
	for (;;) {
		cr_assert(simtest_ws_wait(&T, api, seen + 1), "a reply to %s", out);
		cr_assert_lt(seen, SIMTEST_MAX_MSGS);
		cr_assert_lt(ngot, KIMP_ARRAY_SIZE(got));
		struct vo_event *e = &got[ngot++];
		int r = vo->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)api->msg[seen],
				     api->len[seen], e);
		cr_assert_eq(r, 0, "%s", api->msg[seen]);
		seen++;
		if (e->req_id == id && e->http_status)
			return e;
	}
}

/* The user-data events of coid received so far: the last one's state (0: none). */
static unsigned report_state(uint64_t coid)
{
	unsigned st = 0;

	for (unsigned i = 0; i < ngot; i++)
		if (!got[i].http_status && got[i].kind == VO_EV_ORDER && got[i].coid == coid)
			st = got[i].state + 100;
	return st;
}

Test(binance_ord, round_trip_against_exsim)
{
	struct simtest_resp *r;
	struct vo_keys k;
	const char *bp;
	double bid;

	simtest_start(&T, "[venue.upbit]\nenabled = false\n");
	const struct sim_account_cfg *a = NULL;
	for (uint32_t i = 0; i < T.sc.naccounts && !a; i++)
		if (!strcmp(T.sc.accounts[i].venue, "binance"))
			a = &T.sc.accounts[i];
	cr_assert_not_null(a);
	cr_assert_eq(vo->key_init(&k, a->key, a->secret, strlen(a->secret), NULL), 0);
	ctx.keys = &k;
	ctx.now_ns = 0;                 /* exsim checks the time: the real clock */
	r = simtest_http(&T, "binance", "GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL,
			 NULL);
	cr_assert_eq(r->status, 200);
	bp = strstr(r->body, "\"bidPrice\":\"");
	cr_assert_not_null(bp);
	bid = strtod(bp + 12, NULL);
	simtest_resp_free(r);
	cr_assert_gt(bid, 10000);
	api = simtest_ws_open(&T, "binance", true, vo->ws_path(VO_CH_WSAPI), NULL);
	seen = 0;
	ngot = 0;

	const struct vo_event *e = call(VO_OP_SUBSCRIBE, NULL, 1);
	cr_assert_eq(e->kind, VO_EV_SUBSCRIBED);
	e = call(VO_OP_TIME, NULL, 2);
	cr_assert_eq(e->kind, VO_EV_TIME);
	cr_assert_gt(e->server_ms, 1600000000000ll);
	/* a resting buy at 90% of the bid */
	struct vo_order o = { .coid = 1734000000042ull, .sym = BTCUSDT, .side = KIMP_SIDE_BUY,
			      .type = VO_LIMIT, .tif = KIMP_TIF_GTC,
			      .px = (int64_t)(bid * 0.9) * 100, .qty = 100000 };
	e = call(VO_OP_PLACE, &o, 3);
	cr_assert_eq(e->kind, VO_EV_ORDER, "code %d %.*s", e->code, (int)e->msg_len, e->msg);
	cr_assert_eq(e->coid, o.coid);
	cr_assert_eq(e->state, KIMP_ORD_ACKED);
	cr_assert_eq(e->px, o.px);
	cr_assert_eq(e->qty, o.qty);
	cr_assert_eq(e->flags, VO_F_CUM_FEE, "FULL, no fills yet");
	cr_assert_geq(e->rate.n, 3, "ORDERS and REQUEST_WEIGHT readings");
	cr_assert_eq(e->rate.v[0].rule, 1);
	cr_assert_eq(e->rate.v[0].value, 1);
	cr_assert_eq(e->rate.v[1].rule, 2);
	cr_assert_eq(e->rate.v[2].rule, 0);
	char oid[VO_OID_MAX];
	strcpy(oid, e->oid);
	cr_assert_gt(strlen(oid), 0);
	e = call(VO_OP_QUERY, &o, 4);
	cr_assert_eq(e->kind, VO_EV_ORDER);
	cr_assert_eq(e->coid, o.coid);
	cr_assert_eq(e->state, KIMP_ORD_ACKED);
	cr_assert_str_eq(e->oid, oid);
	cr_assert_eq(report_state(o.coid), KIMP_ORD_ACKED + 100, "executionReport NEW");
	e = call(VO_OP_CANCEL, &o, 5);
	cr_assert_eq(e->kind, VO_EV_ORDER);
	cr_assert_eq(e->coid, o.coid, "the order's id, not the cancel's");
	cr_assert_eq(e->state, KIMP_ORD_CANCELLED);
	/* the cancel's executionReport may follow its reply */
	if (report_state(o.coid) != KIMP_ORD_CANCELLED + 100)
		call(VO_OP_TIME, NULL, 6);
	cr_assert_eq(report_state(o.coid), KIMP_ORD_CANCELLED + 100, "executionReport CANCELED");
	/* by the venue's id: it is final now */
	o.oid = oid;
	o.oid_len = (uint32_t)strlen(oid);
	e = call(VO_OP_CANCEL, &o, 7);
	cr_assert_eq(e->kind, VO_EV_ERROR);
	cr_assert_eq(e->code, -2011);
	cr_assert_eq(e->outcome, VO_OUT_CANCEL_REJECTED);
	/* an order nobody placed */
	struct vo_order none = { .coid = 99, .sym = BTCUSDT };
	e = call(VO_OP_QUERY, &none, 8);
	cr_assert_eq(e->kind, VO_EV_ERROR);
	cr_assert_eq(e->code, -2013);
	cr_assert_eq(e->outcome, VO_OUT_NOT_FOUND);
	/* a post-only that would take: -2010, rejected */
	struct vo_order mk = o;
	mk.coid = 1734000000043ull;
	mk.oid = NULL;
	mk.oid_len = 0;
	mk.type = VO_POST_ONLY;
	mk.px = (int64_t)(bid * 1.05) * 100;
	e = call(VO_OP_PLACE, &mk, 9);
	cr_assert_eq(e->kind, VO_EV_ERROR);
	cr_assert_eq(e->code, -2010, "%.*s", (int)e->msg_len, e->msg);
	cr_assert_eq(e->outcome, VO_OUT_REJECTED);
	/* a stale timestamp: -1021 */
	ctx.offset_ns = -70000000000ll;
	mk.px = o.px;
	e = call(VO_OP_PLACE, &mk, 10);
	cr_assert_eq(e->kind, VO_EV_ERROR);
	cr_assert_eq(e->code, -1021);
	cr_assert_eq(e->flags, VO_F_CLOCK);
	cr_assert_eq(e->outcome, VO_OUT_REJECTED);
	ctx.keys = &keys;
	simtest_stop(&T);
}
