/* SPDX-License-Identifier: MIT */
/*
 * Captured opportunities end to end: an in-process exsim (simtest.h) with
 * a quiet premium is pushed into a sell_krw opportunity on every coin (the
 * model's premium raised by hand, then the market paused so it stays
 * open), and orders go through the venues' real signed order endpoints
 * (Upbit POST /v1/orders with a JWT, Binance POST /api/v3/order with an
 * HMAC): BTC both legs the way it pays (captured), ETH both legs the other
 * way, XRP one leg (neither captured). /status counts them
 * ("opportunities", "opportunities_captured") and each close event in the
 * ledger says "captured".
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/sign.h"
#include "simtest.h"

#define UP_KEY    "exsimUpbitAccessKey000000000000000000000"
#define UP_SECRET "exsimUpbitSecretKey000000000000000000000"
#define BN_KEY    "exsimBinanceApiKey0000000000000000000000000000000000000000000000"
#define BN_SECRET "exsimBinanceSecretKey0000000000000000000000000000000000000000000"

/* A premium that moves only when the test moves it. */
#define QUIET "[market]\npremium_vol = 0\njump_rate = 0\njump_size = 0\n"

TestSuite(sim_capture, .timeout = 60);

/* ---- orders through the venues' endpoints ------------------------------------------ */

static unsigned nonce_seq;

/* Upbit: POST /v1/orders, the JSON body and its query hash in the JWT. */
static void upbit_order(struct simtest *t, const char *market, const char *side,
			const char *volume, const char *price, const char *ord_type)
{
	char body[512] = "{", qs[512] = "", payload[800], jwt[1200], hdr[1400], nonce[64];
	char hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)];
	const char *k[] = { "market", "side", "volume", "price", "ord_type" };
	const char *v[] = { market, side, volume, price, ord_type };
	struct simtest_resp *r;

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (!v[i])
			continue;
		snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"%s\":\"%s\"",
			 body[1] ? "," : "", k[i], v[i]);
		snprintf(qs + strlen(qs), sizeof(qs) - strlen(qs), "%s%s=%s", qs[0] ? "&" : "",
			 k[i], v[i]);
	}
	strcat(body, "}");
	snprintf(nonce, sizeof(nonce), "7a1c2a4e-9b7d-4c1e-8a2f-%012u", ++nonce_seq);
	cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
	snprintf(payload, sizeof(payload),
		 "{\"access_key\":\"%s\",\"nonce\":\"%s\",\"query_hash\":\"%s\","
		 "\"query_hash_alg\":\"SHA512\"}", UP_KEY, nonce, hash);
	cr_assert_gt(venue_jwt_sign(VENUE_SHA512, UP_SECRET, strlen(UP_SECRET), NULL, 0, payload,
				    strlen(payload), jwt, sizeof(jwt)), 0);
	snprintf(hdr, sizeof(hdr),
		 "Authorization: Bearer %s\r\nContent-Type: application/json; charset=utf-8\r\n",
		 jwt);
	r = simtest_http(t, "upbit", "POST", "/v1/orders", hdr, body);
	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, 201, "upbit %s %s: %u %s", market, side, r->status, r->body);
	simtest_resp_free(r);
}

/* Binance: POST /api/v3/order, a MARKET order signed in the query. */
static void binance_order(struct simtest *t, const char *symbol, const char *side,
			  const char *qty)
{
	char params[512], sig[65], target[700];
	struct simtest_resp *r;

	snprintf(params, sizeof(params),
		 "symbol=%s&side=%s&type=MARKET&quantity=%s&newOrderRespType=FULL&timestamp=%" PRIu64,
		 symbol, side, qty, (uint64_t)(sim_now_real_ns() / 1000000ull));
	cr_assert_eq(venue_hmac_sha256(BN_SECRET, strlen(BN_SECRET), params, strlen(params),
				       VENUE_HEX, sig, sizeof(sig)), 64);
	snprintf(target, sizeof(target), "/api/v3/order?%s&signature=%s", params, sig);
	r = simtest_http(t, "binance", "POST", target, "X-MBX-APIKEY: " BN_KEY "\r\n", NULL);
	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, 200, "binance %s %s: %u %s", symbol, side, r->status, r->body);
	cr_assert_not_null(strstr(r->body, "\"status\":\"FILLED\""), "%s", r->body);
	simtest_resp_free(r);
}

/* ---- what exsim says ----------------------------------------------------------------- */

/* A number at the top level of GET /status. */
static uint64_t status_u64(struct simtest *t, const char *key)
{
	struct simtest_resp *r = simtest_control(t, "GET", "/status");
	static struct jr_tok tok[4096];
	uint64_t v;
	int i;

	cr_assert_eq(r->status, 200);
	cr_assert_gt(jr_parse(r->body, r->body_len, tok, 4096), 0, "%s", r->body);
	i = jr_get(r->body, tok, 0, key);
	cr_assert_geq(i, 0, "no %s in %s", key, r->body);
	cr_assert_eq(tok[i].type, JR_NUM);
	v = strtoull(r->body + tok[i].start, NULL, 10);
	simtest_resp_free(r);
	return v;
}

struct oppo_ev {
	unsigned opens, closes;
	bool open_now;          /* opened and not closed yet */
	bool captured;          /* the last close's */
};

/* The sell_krw opportunity events of each coin (BTC, ETH, XRP) in the ledger. */
static void ledger_events(struct simtest *t, struct oppo_ev ev[3])
{
	static const char *const coins[3] = { "BTC", "ETH", "XRP" };
	char path[128], line[2048];
	FILE *f;

	memset(ev, 0, 3 * sizeof(*ev));
	snprintf(path, sizeof(path), "%s/ledger.jsonl", t->dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct jr_tok tk[64];
		int e, w, c, d, cap;

		line[strcspn(line, "\n")] = 0;
		cr_assert_gt(jr_parse(line, strlen(line), tk, 64), 0, "%s", line);
		e = jr_get(line, tk, 0, "ev");
		if (e < 0 || !jr_eq(line, &tk[e], "opportunity"))
			continue;
		w = jr_get(line, tk, 0, "what");
		c = jr_get(line, tk, 0, "coin");
		d = jr_get(line, tk, 0, "dir");
		cr_assert(w >= 0 && c >= 0 && d >= 0, "%s", line);
		if (!jr_eq(line, &tk[d], "sell_krw"))
			continue;
		for (unsigned k = 0; k < 3; k++) {
			if (!jr_eq(line, &tk[c], coins[k]))
				continue;
			if (jr_eq(line, &tk[w], "open")) {
				ev[k].opens++;
				ev[k].open_now = true;
			} else {
				cap = jr_get(line, tk, 0, "captured");
				cr_assert_geq(cap, 0, "%s", line);
				ev[k].closes++;
				ev[k].open_now = false;
				ev[k].captured = tk[cap].type == JR_TRUE;
			}
		}
	}
	fclose(f);
}

struct want {
	struct simtest *t;
	bool open;              /* every coin's sell_krw open, else every one closed */
};

static bool coins_are(void *arg)
{
	struct want *w = arg;
	struct oppo_ev ev[3];

	ledger_events(w->t, ev);
	for (unsigned k = 0; k < 3; k++)
		if (w->open ? !ev[k].open_now : (ev[k].open_now || !ev[k].closes))
			return false;
	return true;
}

Test(sim_capture, both_legs_the_way_it_pays_through_the_order_endpoints)
{
	struct simtest t;
	struct want w = { &t, true };
	struct oppo_ev ev[3];
	uint64_t opps;

	simtest_start(&t, QUIET);
	cr_assert(simtest_steps(&t, 200), "the market runs");
	cr_assert_eq(status_u64(&t, "opportunities"), 0, "a quiet market has none");
	/* the premium jumps 2%: selling on the KRW venue pays on every coin */
	sim_server_market(t.s)->premium += 0.02;
	cr_assert(simtest_run_until(&t, coins_are, &w), "no sell_krw opportunity opened");
	sim_server_pause(t.s);  /* it stays open while the orders go in */
	opps = status_u64(&t, "opportunities");
	cr_assert_geq(opps, 3);

	upbit_order(&t, "KRW-BTC", "ask", "0.01", NULL, "market");      /* BTC: the way it pays */
	cr_expect_eq(status_u64(&t, "opportunities_captured"), 0, "one leg");
	binance_order(&t, "BTCUSDT", "BUY", "0.01");
	cr_expect_eq(status_u64(&t, "opportunities_captured"), 1);
	upbit_order(&t, "KRW-ETH", "bid", NULL, "1000000", "price");    /* ETH: the other way */
	binance_order(&t, "ETHUSDT", "SELL", "0.2");
	upbit_order(&t, "KRW-XRP", "ask", "100", NULL, "market");       /* XRP: one leg */
	cr_expect_eq(status_u64(&t, "opportunities_captured"), 1);

	/* back down: every one closes; the grace runs out for the two not captured */
	sim_server_market(t.s)->premium -= 0.02;
	sim_server_resume(t.s);
	w.open = false;
	cr_assert(simtest_run_until(&t, coins_are, &w), "not every opportunity closed");
	ledger_events(&t, ev);
	cr_expect(ev[0].captured, "BTC: both legs, sell on upbit and buy on binance");
	cr_expect_not(ev[1].captured, "ETH: both legs, but buy_krw's way");
	cr_expect_not(ev[2].captured, "XRP: one leg");
	cr_expect_eq(status_u64(&t, "opportunities_captured"), 1);
	cr_expect_geq(status_u64(&t, "opportunities"), opps);
	simtest_stop(&t);
}
