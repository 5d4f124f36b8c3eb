/* SPDX-License-Identifier: MIT */
/*
 * exsim's Coinone (sim/venue_coinone.c), end to end: an in-process exsim
 * (simtest.h) with a coinone venue and TLS clients that talk to it as a
 * Coinone client would (suite exsim_coinone).
 *
 * The scenario loader does not know coinone yet (sim/scenario.c's venue
 * table; see /work/notes/venue_coinone.md): co_start adds the venue and
 * its accounts to the loaded scenario before the server starts, unless the
 * loader already has it.
 *
 * Captures are read at test time (test_fixture_line, lines from 0).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/sign.h"
#include "../testutil.h"
#include "shape.h"
#include "simtest.h"

#define KEY    "exsimCoinoneAccessToken00000000000000000"
#define SECRET "exsimCoinoneSecretKey0000000000000000000"
/* testvectors-kr-auth.jsonl's fake credentials: a second account */
#define VKEY    "test-access-key-0123456789"
#define VSECRET "test-secret-key-0123456789"

/* ---- setup ------------------------------------------------------------------------ */

static void add_account(struct sim_scenario *sc, const char *key, const char *secret)
{
	struct sim_account_cfg *a = &sc->accounts[sc->naccounts++];

	memset(a, 0, sizeof(*a));
	snprintf(a->venue, sizeof(a->venue), "coinone");
	snprintf(a->key, sizeof(a->key), "%s", key);
	snprintf(a->secret, sizeof(a->secret), "%s", secret);
	a->nbal = 0;
	snprintf(a->bal[a->nbal].asset, 12, "KRW");
	a->bal[a->nbal++].amount = 1000000000LL * SIM_SCALE;
	snprintf(a->bal[a->nbal].asset, 12, "USDT");
	a->bal[a->nbal++].amount = 1000000LL * SIM_SCALE;
	for (uint32_t i = 0; i < sc->ncoins && a->nbal < SIM_MAX_ASSETS; i++) {
		memcpy(a->bal[a->nbal].asset, sc->coins[i].name, sizeof(a->bal[0].asset));
		a->bal[a->nbal].asset[sizeof(a->bal[0].asset) - 1] = '\0';
		a->bal[a->nbal++].amount = 100000LL * SIM_SCALE;
	}
}

/* simtest_start with a coinone venue (and both accounts) added to the scenario. */
static void co_start(struct simtest *t, bool rate_limits)
{
	struct net_tls_conf cc;
	struct sim_server_cfg cfg;
	struct sim_venue_cfg *v = NULL;
	char err[512];

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-simtest-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	cr_assert_eq(sim_scenario_load(&t->sc, NULL, err, sizeof(err)), 0, "%s", err);
	for (uint32_t i = 0; i < t->sc.nvenues; i++)
		if (!strcmp(t->sc.venues[i].name, "coinone"))
			v = &t->sc.venues[i];
	if (!v) {
		cr_assert_lt(t->sc.nvenues, SIM_MAX_VENUES);
		v = &t->sc.venues[t->sc.nvenues++];
		memset(v, 0, sizeof(*v));
		snprintf(v->name, sizeof(v->name), "coinone");
		v->order_latency_ns = 1000000;
		v->publish_ns = t->sc.step_ns;
		v->depth = 30;
		v->maker_fee = 0.0002;
		v->taker_fee = 0.0002;
	}
	v->enabled = true;
	v->rate_limits = rate_limits;
	add_account(&t->sc, KEY, SECRET);
	add_account(&t->sc, VKEY, VSECRET);
	snprintf(t->sc.state_dir, sizeof(t->sc.state_dir), "%s", t->dir);
	snprintf(t->sc.ledger_path, sizeof(t->sc.ledger_path), "%s/ledger.jsonl", t->dir);
	for (uint32_t i = 0; i < t->sc.nvenues; i++)
		t->sc.venues[i].rest_port = t->sc.venues[i].ws_port = t->sc.venues[i].api_port = 0;
	t->sc.control_port = 0;
	cr_assert_eq(sim_certs_ensure(t->dir, &t->certs, err, sizeof(err)), 0, "certs: %s", err);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = &t->sc;
	cfg.ca_path = t->certs.ca;
	cfg.cert_path = t->certs.cert;
	cfg.key_path = t->certs.key;
	cfg.max_ws = 32;
	cfg.max_rest = 8;
	cr_assert_eq(sim_server_new(&t->s, &cfg, err, sizeof(err)), 0, "server: %s", err);
	t->l = sim_server_loop(t->s);
	memset(&cc, 0, sizeof(cc));
	cc.role = NET_TLS_CLIENT;
	cc.ca_file = t->certs.ca;
	cr_assert_eq(net_tls_ctx_create(&cc, &t->cli, err, sizeof(err)), 0, "%s", err);
}

/* ---- JSON in tests ------------------------------------------------------------------ */

static struct jr_tok jt[SHAPE_TOKENS];

/* The value at path ("order.status", "asks.0.price") as a malloc'd copy; NULL: absent. */
static char *jget(const char *json, const char *path)
{
	char seg[64], *out;
	const char *p = path;
	int cur = 0;

	if (!json || jr_parse(json, strlen(json), jt, SHAPE_TOKENS) < 1)
		return NULL;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		cr_assert_lt(n, sizeof(seg));
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (jt[cur].type == JR_ARR)
			cur = jr_at(jt, cur, (uint32_t)atoi(seg));
		else
			cur = jr_get(json, jt, cur, seg);
		if (cur < 0)
			return NULL;
		p += n + (dot ? 1 : 0);
	}
	out = calloc(1, jt[cur].len + 1);
	cr_assert_not_null(out);
	if (jt[cur].type == JR_STR)
		jr_str(json, &jt[cur], out, jt[cur].len + 1);
	else
		memcpy(out, json + jt[cur].start, jt[cur].len);
	return out;
}

/* Whether json has a value at path (jget's copy freed). */
static bool has(const char *json, const char *path)
{
	char *v = jget(json, path);
	bool ok = v != NULL;

	free(v);
	return ok;
}

#define assert_field(json, path, want)                                                  \
	do {                                                                            \
		char *v_ = jget(json, path);                                            \
		cr_assert(v_ && !strcmp(v_, want), "%s: '%s', want '%s' in %s", path,   \
			  v_ ? v_ : "(absent)", want, json);                            \
		free(v_);                                                               \
	} while (0)

static void assert_shape(const char *fixture, unsigned line, const char *ours)
{
	char *cap = test_fixture_line(fixture, line), why[512];

	cr_assert_not_null(cap, "%s line %u", fixture, line);
	cr_assert(json_same_shape(cap, ours, why, sizeof(why)), "%s:%u: %s\nours: %s", fixture,
		  line, why, ours);
	free(cap);
}

/* ---- signing ----------------------------------------------------------------------- */

static unsigned nonce_seq;

static void uuid4(char out[37])
{
	unsigned n = ++nonce_seq;

	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012x", (unsigned)getpid(), n & 0xffff,
		 (n >> 4) & 0xfff, n & 0xfff, n);
}

/* "X-COINONE-PAYLOAD: ..\r\nX-COINONE-SIGNATURE: ..\r\n" for payload json. */
static void sign_headers(const char *json, const char *secret, char *out, size_t cap)
{
	char b64[4096], sig[VENUE_HEX_LEN(VENUE_SHA512_LEN)];

	cr_assert_gt(venue_b64_encode(json, strlen(json), b64, sizeof(b64)), 0);
	cr_assert_eq(venue_hmac_sha512(secret, strlen(secret), b64, strlen(b64), VENUE_HEX, sig,
				       sizeof(sig)), 128);
	snprintf(out, cap, "X-COINONE-PAYLOAD: %s\r\nX-COINONE-SIGNATURE: %s\r\n", b64, sig);
}

/* A signed POST of {access_token, nonce, <fields>}: fields "" or "\"k\":v,...". */
static struct simtest_resp *co_post(struct simtest *t, struct simtest_http *h, const char *path,
				    const char *fields)
{
	char json[2048], hdr[4608], nonce[37];

	uuid4(nonce);
	snprintf(json, sizeof(json), "{\"access_token\":\"" KEY "\",\"nonce\":\"%s\"%s%s}", nonce,
		 fields[0] ? "," : "", fields);
	sign_headers(json, SECRET, hdr, sizeof(hdr));
	return simtest_http_on(t, h, "POST", path, hdr, json);
}

/* The body's error_code (or "" when it has none), as a static string. */
static const char *code_of(const struct simtest_resp *r)
{
	static char c[32];
	char *v = jget(r->body, "error_code");

	snprintf(c, sizeof(c), "%s", v ? v : "");
	free(v);
	return c;
}

static struct simtest_ws *priv_ws(struct simtest *t, const char *key, const char *secret)
{
	char json[512], hdr[2048], nonce[37];

	uuid4(nonce);
	snprintf(json, sizeof(json), "{\"access_token\":\"%s\",\"nonce\":\"%s\",\"timestamp\":%llu}",
		 key, nonce, (unsigned long long)(sim_now_real_ns() / 1000000));
	sign_headers(json, secret, hdr, sizeof(hdr));
	return simtest_ws_open(t, "coinone", false, "/v1/private", hdr);
}

/* The index of the first message from 'from' containing needle, or -1 (after waiting). */
static int find_msg(struct simtest *t, struct simtest_ws *c, uint32_t from, const char *needle)
{
	for (int round = 0; round < 200; round++) {
		for (uint32_t i = from; i < c->kept; i++)
			if (strstr(c->msg[i], needle))
				return (int)i;
		if (c->closed || !simtest_ws_wait(t, c, c->nmsg + 1))
			break;
	}
	for (uint32_t i = from; i < c->kept; i++)
		if (strstr(c->msg[i], needle))
			return (int)i;
	return -1;
}

/* The best bid and ask of BTC now, from the REST book. */
static void best(struct simtest *t, sim_fx *bid, sim_fx *ask)
{
	struct simtest_resp *r = simtest_http(t, "coinone", "GET", "/public/v2/orderbook/KRW/BTC",
					      NULL, NULL);
	char *b = jget(r->body, "bids.0.price"), *a = jget(r->body, "asks.0.price");

	cr_assert(b && a, "%s", r->body);
	cr_assert_eq(sim_parse_fx(b, strlen(b), bid), 0);
	cr_assert_eq(sim_parse_fx(a, strlen(a), ask), 0);
	free(b);
	free(a);
	simtest_resp_free(r);
}

/* ---- public WebSocket ------------------------------------------------------------- */

Test(exsim_coinone, connected_subscribe_ack_and_whole_books)
{
	struct simtest t;
	struct simtest_ws *c;
	int i, j;
	char *id1, *id2, *a0, *a1;
	sim_fx p0, p1;

	co_start(&t, true);
	c = simtest_ws_open(&t, "coinone", false, "/", NULL);
	cr_assert(simtest_ws_wait(&t, c, 1));
	cr_assert_eq(c->op[0], WS_OP_TEXT);
	assert_shape("coinone-ws-control.jsonl", 0, c->msg[0]);
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"ORDERBOOK\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}}");
	i = find_msg(&t, c, 1, "SUBSCRIBED");
	cr_assert_eq(i, 1);
	assert_shape("coinone-ws-control.jsonl", 2, c->msg[1]);
	i = find_msg(&t, c, 2, "\"ORDERBOOK\",\"data\"");
	cr_assert_geq(i, 2);
	assert_shape("coinone-orderbook.jsonl", 0, c->msg[i]);
	/* 16 levels at most; asks worst to best: prices fall along the array */
	cr_assert_null(jget(c->msg[i], "data.asks.16"));
	cr_assert_null(jget(c->msg[i], "data.bids.16"));
	a0 = jget(c->msg[i], "data.asks.0.price");
	a1 = jget(c->msg[i], "data.asks.1.price");
	cr_assert(a0 && a1);
	cr_assert_eq(sim_parse_fx(a0, strlen(a0), &p0), 0);
	cr_assert_eq(sim_parse_fx(a1, strlen(a1), &p1), 0);
	cr_assert_gt(p0, p1, "asks worst to best: %s then %s", a0, a1);
	free(a0);
	free(a1);
	/* ids only grow */
	j = find_msg(&t, c, (uint32_t)i + 1, "\"ORDERBOOK\",\"data\"");
	cr_assert_gt(j, i);
	id1 = jget(c->msg[i], "data.id");
	id2 = jget(c->msg[j], "data.id");
	cr_assert(id1 && id2 && strlen(id1) >= 16);
	cr_assert_gt(strtoull(id2, NULL, 10), strtoull(id1, NULL, 10));
	free(id1);
	free(id2);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

Test(exsim_coinone, short_format_trades_and_tickers)
{
	struct simtest t;
	struct simtest_ws *c;
	int i;

	co_start(&t, true);
	c = simtest_ws_open(&t, "coinone", false, "/", NULL);
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"ORDERBOOK\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"},"
			   "\"format\":\"SHORT\"}");
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TICKER\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"},"
			   "\"format\":\"SHORT\"}");
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}}");
	i = find_msg(&t, c, 0, "\"c\":\"ORDERBOOK\"");
	cr_assert_geq(i, 0);
	assert_shape("coinone-orderbook.jsonl", 1, c->msg[i]);
	i = find_msg(&t, c, 0, "\"c\":\"TICKER\"");
	cr_assert_geq(i, 0);
	assert_shape("coinone-ticker.jsonl", 1, c->msg[i]);
	i = find_msg(&t, c, 0, "\"response_type\":\"DATA\",\"channel\":\"TRADE\"");
	cr_assert_geq(i, 0, "a trade prints");
	assert_shape("coinone-trade.jsonl", 0, c->msg[i]);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

Test(exsim_coinone, request_errors_ping_and_unknown_pairs)
{
	struct simtest t;
	struct simtest_ws *c;
	int i;

	co_start(&t, true);
	c = simtest_ws_open(&t, "coinone", false, "/", NULL);
	cr_assert(simtest_ws_wait(&t, c, 1));
	simtest_ws_text(c, "not json");
	cr_assert(simtest_ws_wait(&t, c, 2));
	assert_field(c->msg[1], "error_code", "160010");
	simtest_ws_text(c, "{\"request_type\":\"subscribe\",\"channel\":\"ORDERBOOK\"}");
	cr_assert(simtest_ws_wait(&t, c, 3));
	assert_field(c->msg[2], "error_code", "160011");
	assert_field(c->msg[2], "field", "request_type");
	assert_shape("coinone-ws-control.jsonl", 8, c->msg[2]);
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"orderbook\"}");
	cr_assert(simtest_ws_wait(&t, c, 4));
	assert_field(c->msg[3], "field", "channel");
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\",\"format\":"
			   "\"short\",\"topic\":{\"quote_currency\":\"KRW\","
			   "\"target_currency\":\"BTC\"}}");
	cr_assert(simtest_ws_wait(&t, c, 5));
	assert_field(c->msg[4], "field", "format");
	/* a private channel on the public socket */
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYASSET\"}");
	cr_assert(simtest_ws_wait(&t, c, 6));
	assert_field(c->msg[5], "field", "channel");
	/* no topic: 160012 without an ack */
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\"}");
	cr_assert(simtest_ws_wait(&t, c, 7));
	assert_field(c->msg[6], "error_code", "160012");
	/* an unknown pair: acked, then 160012 */
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"TRADE\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"NOPE\"}}");
	cr_assert(simtest_ws_wait(&t, c, 9));
	assert_field(c->msg[7], "response_type", "SUBSCRIBED");
	assert_field(c->msg[8], "error_code", "160012");
	assert_shape("coinone-ws-control.jsonl", 7, c->msg[8]);
	simtest_ws_text(c, "{\"request_type\":\"PING\"}");
	i = find_msg(&t, c, 9, "PONG");
	cr_assert_geq(i, 0);
	assert_shape("coinone-ws-control.jsonl", 6, c->msg[i]);
	/* unsubscribe is acked and the socket stays */
	simtest_ws_text(c, "{\"request_type\":\"UNSUBSCRIBE\",\"channel\":\"ORDERBOOK\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"XRP\"}}");
	i = find_msg(&t, c, 9, "UNSUBSCRIBED");
	cr_assert_geq(i, 0);
	assert_shape("coinone-ws-control.jsonl", 4, c->msg[i]);
	cr_assert_not(c->closed);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

Test(exsim_coinone, twenty_connections_then_4290)
{
	struct simtest t;
	struct simtest_ws *c[21];

	co_start(&t, true);
	for (int i = 0; i < 20; i++) {
		c[i] = simtest_ws_open(&t, "coinone", false, "/", NULL);
		cr_assert(simtest_ws_wait(&t, c[i], 1), "connection %d: CONNECTED", i + 1);
		cr_assert_not(c[i]->closed);
	}
	c[20] = simtest_ws_connect(&t, "coinone", false, "/", NULL);
	cr_assert(simtest_ws_wait_close(&t, c[20]));
	cr_assert_eq(c[20]->close_code, 4290);
	cr_assert_eq(c[20]->nmsg, 0);
	for (int i = 0; i < 21; i++)
		simtest_ws_free(&t, c[i]);
	simtest_stop(&t);
}

/* ---- public REST -------------------------------------------------------------------- */

Test(exsim_coinone, public_rest_markets_book_range_units_ticker)
{
	struct simtest t;
	struct simtest_resp *r;
	char v[64];

	co_start(&t, true);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/range_units/KRW/XRP", NULL, NULL);
	cr_assert_eq(r->status, 200);
	assert_shape("coinone-rest.jsonl", 5, r->body);
	assert_field(r->body, "range_price_units.4.price_unit", "1");
	cr_assert_not_null(simtest_resp_header(r, "public-ratelimit-remaining", v, sizeof(v)));
	simtest_resp_free(r);
	/* BTC (about 138,000,000 KRW) steps 10,000 from 10,000,000 */
	r = simtest_http(&t, "coinone", "GET", "/public/v2/range_units/KRW/BTC", NULL, NULL);
	assert_field(r->body, "range_price_units.11.price_unit", "10000");
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/orderbook/KRW/BTC?size=5", NULL, NULL);
	assert_field(r->body, "result", "success");
	cr_assert(has(r->body, "bids.4.price"));
	cr_assert_null(jget(r->body, "bids.5.price"));
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/orderbook/KRW/BTC?size=7", NULL, NULL);
	cr_assert_str_eq(code_of(r), "107");
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/orderbook/KRW/NOPE", NULL, NULL);
	cr_assert_eq(r->status, 200);
	assert_shape("coinone-errors.jsonl", 0, r->body);
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/markets/KRW", NULL, NULL);
	assert_field(r->body, "markets.0.min_order_amount", "5000.0");
	assert_field(r->body, "markets.0.qty_unit", "0.00000001");
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/markets/USDT", NULL, NULL);
	assert_field(r->body, "markets", "[]");
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/ticker_new/KRW/BTC", NULL, NULL);
	assert_field(r->body, "tickers.0.target_currency", "btc");
	simtest_resp_free(r);
	r = simtest_http(&t, "coinone", "GET", "/public/v2/nothing", NULL, NULL);
	cr_assert_eq(r->status, 404);
	simtest_resp_free(r);
	simtest_stop(&t);
}

/* ---- auth ---------------------------------------------------------------------------- */

Test(exsim_coinone, every_auth_failure)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char json[512], hdr[2048], b64[1024];
	const char *body = "{}";

	co_start(&t, true);
	h = simtest_http_client(&t, "coinone");
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", NULL, body);
	cr_assert_str_eq(code_of(r), "120");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all",
			    "X-COINONE-PAYLOAD: e30=\r\n", body);
	cr_assert_str_eq(code_of(r), "121");
	simtest_resp_free(r);
	/* no access_token */
	sign_headers("{\"nonce\":\"3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b\"}", SECRET, hdr,
		     sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "11");
	simtest_resp_free(r);
	/* an unknown access token */
	sign_headers("{\"access_token\":\"nobody\",\"nonce\":\"3f1c2a4e-9b7d-4c1e-8a2f-"
		     "5d6e7f809a1b\"}", SECRET, hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "12");
	simtest_resp_free(r);
	/* signed with the wrong secret */
	sign_headers("{\"access_token\":\"" KEY "\",\"nonce\":\"3f1c2a4e-9b7d-4c1e-8a2f-"
		     "5d6e7f809a1b\"}", "wrong", hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "123");
	simtest_resp_free(r);
	/* not base64 */
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all",
			    "X-COINONE-PAYLOAD: !!!!\r\nX-COINONE-SIGNATURE: 00\r\n", body);
	cr_assert_str_eq(code_of(r), "120");
	simtest_resp_free(r);
	/* nonce: missing, v2's integer, not a v4 uuid */
	sign_headers("{\"access_token\":\"" KEY "\"}", SECRET, hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "122");
	simtest_resp_free(r);
	sign_headers("{\"access_token\":\"" KEY "\",\"nonce\":17}", SECRET, hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "133");
	simtest_resp_free(r);
	sign_headers("{\"access_token\":\"" KEY "\",\"nonce\":\"3f1c2a4e-9b7d-1c1e-8a2f-"
		     "5d6e7f809a1b\"}", SECRET, hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "133");
	simtest_resp_free(r);
	/* a good one, then the same nonce again */
	snprintf(json, sizeof(json), "{\"access_token\":\"" KEY "\",\"nonce\":\"3f1c2a4e-9b7d-"
		 "4c1e-8a2f-5d6e7f809a1b\"}");
	sign_headers(json, SECRET, hdr, sizeof(hdr));
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	assert_field(r->body, "result", "success");
	cr_assert(has(r->body, "balances.0.available"));
	cr_assert_not_null(simtest_resp_header(r, "private-ratelimit-remaining", b64,
					       sizeof(b64)));
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "POST", "/v2.1/account/balance/all", hdr, body);
	cr_assert_str_eq(code_of(r), "132");
	simtest_resp_free(r);
	/* GET on a private path */
	r = simtest_http_on(&t, h, "GET", "/v2.1/account/balance/all", NULL, NULL);
	cr_assert_eq(r->status, 405);
	simtest_resp_free(r);
	simtest_http_free(&t, h);
	simtest_stop(&t);
}

/* The kr-auth vector's own headers authenticate (its fake account exists here). */
Test(exsim_coinone, the_kr_auth_vector_places_its_order)
{
	struct simtest t;
	struct simtest_resp *r;
	char *vec = test_fixture_line("testvectors-kr-auth.jsonl", 5), *pl, *sig, *json;
	char hdr[2048];

	cr_assert_not_null(vec);
	cr_assert(strstr(vec, "rest-v2.1-place-order"), "line 5 is the REST vector: %s", vec);
	pl = jget(vec, "x_coinone_payload");
	sig = jget(vec, "expected_x_coinone_signature");
	json = jget(vec, "payload_json");
	cr_assert(pl && sig && json);
	co_start(&t, true);
	snprintf(hdr, sizeof(hdr), "X-COINONE-PAYLOAD: %s\r\nX-COINONE-SIGNATURE: %s\r\n", pl,
		 sig);
	r = simtest_http(&t, "coinone", "POST", "/v2.1/order", hdr, json);
	assert_field(r->body, "result", "success");
	assert_shape("coinone-rest.jsonl", 0, r->body);
	simtest_resp_free(r);
	free(pl);
	free(sig);
	free(json);
	free(vec);
	simtest_stop(&t);
}

/* ---- orders --------------------------------------------------------------------------- */

Test(exsim_coinone, limit_order_round_trip_with_myorder_and_myasset)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *p;
	char f[512], *id;
	sim_fx bid, ask;
	int i;

	co_start(&t, true);
	p = priv_ws(&t, KEY, SECRET);
	cr_assert(simtest_ws_wait(&t, p, 1));
	assert_field(p->msg[0], "response_type", "CONNECTED");
	simtest_ws_text(p, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYORDER\","
			   "\"topic\":[{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}]}");
	simtest_ws_text(p, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYASSET\"}");
	cr_assert_geq(find_msg(&t, p, 1, "\"SUBSCRIBED\",\"channel\":\"MYASSET\""), 0);
	h = simtest_http_client(&t, "coinone");
	best(&t, &bid, &ask);
	/* a buy 10% under the bid rests */
	snprintf(f, sizeof(f), "\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":"
		 "\"BTC\",\"type\":\"LIMIT\",\"price\":\"%lld\",\"qty\":\"0.01\",\"post_only\":"
		 "true,\"user_order_id\":\"rt-1\"", (long long)((bid * 9 / 10) / SIM_SCALE / 10000
								* 10000));
	r = co_post(&t, h, "/v2.1/order", f);
	assert_field(r->body, "result", "success");
	cr_assert_not_null(simtest_resp_header(r, "private-order-ratelimit-remaining", f,
					       sizeof(f)));
	id = jget(r->body, "order_id");
	cr_assert_not_null(id);
	simtest_resp_free(r);
	i = find_msg(&t, p, 1, "\"status\":\"wait\"");
	cr_assert_geq(i, 0);
	assert_field(p->msg[i], "data.side", "BID");
	assert_field(p->msg[i], "data.user_order_id", "rt-1");
	i = find_msg(&t, p, 1, "\"channel\":\"MYASSET\",\"data\"");
	cr_assert_geq(i, 0);
	assert_shape("coinone-myasset.jsonl", 0, p->msg[i]);
	/* detail by user_order_id, active list */
	r = co_post(&t, h, "/v2.1/order/detail", "\"user_order_id\":\"rt-1\","
		    "\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"");
	assert_field(r->body, "order.status", "LIVE");
	assert_field(r->body, "order.order_id", id);
	assert_shape("coinone-rest.jsonl", 2, r->body);
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/active_orders", "\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"BTC\"");
	assert_field(r->body, "active_orders.0.order_id", id);
	simtest_resp_free(r);
	/* cancel by order_id, then it is CANCELED and cannot be cancelled again */
	snprintf(f, sizeof(f), "\"order_id\":\"%s\",\"quote_currency\":\"KRW\","
		 "\"target_currency\":\"BTC\"", id);
	r = co_post(&t, h, "/v2.1/order/cancel", f);
	assert_field(r->body, "result", "success");
	assert_field(r->body, "canceled_qty", "0.01");
	assert_shape("coinone-rest.jsonl", 1, r->body);
	simtest_resp_free(r);
	cr_assert_geq(find_msg(&t, p, 1, "\"status\":\"cancel\""), 0);
	r = co_post(&t, h, "/v2.1/order/detail", f);
	assert_field(r->body, "order.status", "CANCELED");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/cancel", f);
	cr_assert_str_eq(code_of(r), "117");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/active_orders", "");
	assert_field(r->body, "active_orders", "[]");
	simtest_resp_free(r);
	free(id);
	simtest_http_free(&t, h);
	simtest_ws_free(&t, p);
	simtest_stop(&t);
}

Test(exsim_coinone, market_orders_fill_and_post_only_that_would_take)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *p;
	char f[512];
	sim_fx bid, ask;

	co_start(&t, true);
	p = priv_ws(&t, KEY, SECRET);
	simtest_ws_text(p, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYORDER\","
			   "\"topic\":[{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}]}");
	cr_assert_geq(find_msg(&t, p, 0, "SUBSCRIBED"), 0);
	h = simtest_http_client(&t, "coinone");
	r = co_post(&t, h, "/v2.1/order", "\"side\":\"BUY\",\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"BTC\",\"type\":\"MARKET\",\"amount\":\"1000000\","
		    "\"user_order_id\":\"mkt-1\"");
	assert_field(r->body, "result", "success");
	simtest_resp_free(r);
	cr_assert_geq(find_msg(&t, p, 0, "\"status\":\"trade"), 0);
	r = co_post(&t, h, "/v2.1/order/detail", "\"user_order_id\":\"mkt-1\","
		    "\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"");
	assert_field(r->body, "order.type", "MARKET");
	assert_field(r->body, "order.original_amount", "1000000");
	assert_shape("coinone-rest.jsonl", 3, r->body);
	simtest_resp_free(r);
	/* a market sell with a limit_price far under the book fills */
	r = co_post(&t, h, "/v2.1/order", "\"side\":\"SELL\",\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"BTC\",\"type\":\"MARKET\",\"qty\":\"0.01\","
		    "\"limit_price\":\"1000000\",\"user_order_id\":\"mkt-2\"");
	assert_field(r->body, "result", "success");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/detail", "\"user_order_id\":\"mkt-2\","
		    "\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"");
	assert_field(r->body, "order.status", "FILLED");
	assert_field(r->body, "order.executed_qty", "0.01");
	assert_shape("coinone-rest.jsonl", 4, r->body);
	simtest_resp_free(r);
	/* post-only at the ask: created, then cancel_post_only */
	best(&t, &bid, &ask);
	snprintf(f, sizeof(f), "\"side\":\"BUY\",\"quote_currency\":\"KRW\",\"target_currency\":"
		 "\"BTC\",\"type\":\"LIMIT\",\"price\":\"%lld\",\"qty\":\"0.001\",\"post_only\":"
		 "true,\"user_order_id\":\"po-1\"", (long long)(ask / SIM_SCALE));
	r = co_post(&t, h, "/v2.1/order", f);
	assert_field(r->body, "result", "success");
	simtest_resp_free(r);
	cr_assert_geq(find_msg(&t, p, 0, "cancel_post_only"), 0);
	r = co_post(&t, h, "/v2.1/order/detail", "\"user_order_id\":\"po-1\","
		    "\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"");
	assert_field(r->body, "order.status", "CANCELED");
	simtest_resp_free(r);
	/* its user_order_id is spent */
	r = co_post(&t, h, "/v2.1/order", f);
	cr_assert_str_eq(code_of(r), "312");
	simtest_resp_free(r);
	simtest_http_free(&t, h);
	simtest_ws_free(&t, p);
	simtest_stop(&t);
}

Test(exsim_coinone, each_order_error_of_the_matrix)
{
	static const struct {
		const char *fields, *code;
	} cases[] = {
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"10\"", "163" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"10\",\"post_only\":false", "161" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"post_only\":false",
		  "162" },
		{ "\"side\":\"BUY\",\"type\":\"MARKET\"", "165" },
		{ "\"side\":\"SELL\",\"type\":\"MARKET\"", "162" },
		{ "\"side\":\"BUY\",\"type\":\"STOP_LIMIT\",\"price\":\"1000\",\"qty\":\"10\"",
		  "166" },
		{ "\"side\":\"BID\",\"type\":\"LIMIT\"", "107" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000.5\",\"qty\":\"10\","
		  "\"post_only\":false", "310" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"0.000000001\","
		  "\"post_only\":false", "311" },
		/* 4,999 KRW: under the minimum; 5,000: accepted (below) */
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"4.999\","
		  "\"post_only\":false", "306" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"10\","
		  "\"post_only\":false,\"user_order_id\":\"Upper\"", "314" },
		{ "\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"10\","
		  "\"post_only\":\"yes\"", "107" },
		{ "\"side\":\"SELL\",\"type\":\"LIMIT\",\"price\":\"100\",\"qty\":\"2000000\","
		  "\"post_only\":false", "103" },
	};
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char f[512];

	co_start(&t, true);
	h = simtest_http_client(&t, "coinone");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(f, sizeof(f), "\"quote_currency\":\"KRW\",\"target_currency\":\"USDT\",%s",
			 cases[i].fields);
		r = co_post(&t, h, "/v2.1/order", f);
		cr_assert_str_eq(code_of(r), cases[i].code, "case %zu: %s", i, r->body);
		cr_assert_eq(r->status, 200);
		simtest_resp_free(r);
	}
	/* the minimum itself, and an unknown target */
	r = co_post(&t, h, "/v2.1/order", "\"quote_currency\":\"KRW\",\"target_currency\":"
		    "\"USDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"5\","
		    "\"post_only\":false,\"user_order_id\":\"min-1\"");
	assert_field(r->body, "result", "success");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order", "\"quote_currency\":\"KRW\",\"target_currency\":"
		    "\"NOPE\",\"side\":\"BUY\",\"type\":\"LIMIT\"");
	cr_assert_str_eq(code_of(r), "108");
	simtest_resp_free(r);
	/* order_id and user_order_id: both, neither; an unknown one */
	r = co_post(&t, h, "/v2.1/order/detail", "\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"USDT\",\"order_id\":\"x\",\"user_order_id\":\"min-1\"");
	cr_assert_str_eq(code_of(r), "313");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/cancel", "\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"USDT\"");
	cr_assert_str_eq(code_of(r), "313");
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/detail", "\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"USDT\",\"user_order_id\":\"never\"");
	cr_assert_str_eq(code_of(r), "104");
	simtest_resp_free(r);
	/* trade fee */
	r = co_post(&t, h, "/v2.1/account/trade_fee/KRW/BTC", "");
	assert_field(r->body, "taker_fee_rate", "0.0002");
	simtest_resp_free(r);
	simtest_http_free(&t, h);
	simtest_stop(&t);
}

/* ---- limits and faults ----------------------------------------------------------------- */

/* 40 orders a second: the last accepted one shows 0 left, the next is 429 error 4. */
Test(exsim_coinone, order_rate_limit_at_its_boundary)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char left[32] = "", prev[32] = "";
	bool limited = false;

	co_start(&t, true);
	h = simtest_http_client(&t, "coinone");
	for (int i = 0; i < 400 && !limited; i++) {
		r = co_post(&t, h, "/v2.1/order/cancel/all", "\"quote_currency\":\"KRW\","
			    "\"target_currency\":\"XRP\"");
		if (r->status == 429) {
			limited = true;
			cr_assert_str_eq(code_of(r), "4");
			cr_assert_str_eq(prev, "0", "the request before the 429 used the last one");
		} else {
			assert_field(r->body, "result", "success");
			cr_assert_not_null(simtest_resp_header(
				r, "private-order-ratelimit-remaining", left, sizeof(left)));
			snprintf(prev, sizeof(prev), "%s", left);
		}
		simtest_resp_free(r);
	}
	cr_assert(limited);
	simtest_http_free(&t, h);
	simtest_stop(&t);
}

Test(exsim_coinone, no_rate_limits_when_lifted)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	co_start(&t, false);
	h = simtest_http_client(&t, "coinone");
	for (int i = 0; i < 60; i++) {
		r = co_post(&t, h, "/v2.1/order/cancel/all", "\"quote_currency\":\"KRW\","
			    "\"target_currency\":\"XRP\"");
		cr_assert_eq(r->status, 200);
		simtest_resp_free(r);
	}
	simtest_http_free(&t, h);
	simtest_stop(&t);
}

Test(exsim_coinone, private_websocket_auth_failure_closes_4280)
{
	struct simtest t;
	struct simtest_ws *c;

	co_start(&t, true);
	c = simtest_ws_connect(&t, "coinone", false, "/v1/private",
			       "X-COINONE-PAYLOAD: e30=\r\nX-COINONE-SIGNATURE: 00\r\n");
	cr_assert(simtest_ws_wait_close(&t, c));
	cr_assert_eq(c->close_code, 4280);
	simtest_ws_free(&t, c);
	c = priv_ws(&t, KEY, "wrong-secret");
	cr_assert(simtest_ws_wait_close(&t, c));
	cr_assert_eq(c->close_code, 4280);
	simtest_ws_free(&t, c);
	/* MYORDER on the private socket needs a topic array */
	c = priv_ws(&t, KEY, SECRET);
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYORDER\"}");
	cr_assert_geq(find_msg(&t, c, 0, "160012"), 0);
	simtest_ws_text(c, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"ORDERBOOK\","
			   "\"topic\":{\"quote_currency\":\"KRW\",\"target_currency\":\"BTC\"}}");
	cr_assert_geq(find_msg(&t, c, 0, "\"field\":\"channel\""), 0);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

Test(exsim_coinone, faults_burst_429_http_5xx_and_ban)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char v[32];

	co_start(&t, true);
	h = simtest_http_client(&t, "coinone");
	r = simtest_control(&t, "POST", "/fault?kind=http_5xx&venue=coinone&count=1");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	/* the order is matched, the answer is 503 */
	r = co_post(&t, h, "/v2.1/order", "\"quote_currency\":\"KRW\",\"target_currency\":"
		    "\"USDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"price\":\"1000\",\"qty\":\"5\","
		    "\"post_only\":false,\"user_order_id\":\"f5xx-1\"");
	cr_assert_eq(r->status, 503);
	simtest_resp_free(r);
	r = co_post(&t, h, "/v2.1/order/detail", "\"quote_currency\":\"KRW\","
		    "\"target_currency\":\"USDT\",\"user_order_id\":\"f5xx-1\"");
	assert_field(r->body, "order.status", "LIVE");
	simtest_resp_free(r);
	r = simtest_control(&t, "POST", "/fault?kind=burst_429&venue=coinone&duration=60s");
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/public/v2/markets/KRW", NULL, NULL);
	cr_assert_eq(r->status, 429);
	cr_assert_str_eq(code_of(r), "4");
	simtest_resp_free(r);
	r = simtest_control(&t, "POST", "/fault?kind=burst_429&venue=coinone&duration=0s");
	simtest_resp_free(r);
	r = simtest_control(&t, "POST", "/fault?kind=ban&venue=coinone&duration=0s");
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/public/v2/markets/KRW", NULL, NULL);
	cr_assert_eq(r->status, 418);
	cr_assert_not_null(simtest_resp_header(r, "retry-after", v, sizeof(v)));
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/public/v2/markets/KRW", NULL, NULL);
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	simtest_http_free(&t, h);
	simtest_stop(&t);
}
