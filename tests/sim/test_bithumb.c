/* SPDX-License-Identifier: MIT */
/*
 * exsim's Bithumb (sim/venue_bithumb.c on the Upbit-like core), end to
 * end: an in-process exsim (simtest.h) with the bithumb venue turned on by
 * a [venue.bithumb] section, and TLS clients that talk to it as a Bithumb
 * client would (suite exsim_bithumb): the public WebSocket (camelCase
 * flags, 15-level full books with microsecond timestamps, SIMPLE/DEFAULT,
 * PING/UP, errors), the JWT with its timestamp, the v2 order API, the
 * private WebSocket v2 (myOrder/myAsset), the per-IP rate limits and the
 * server's faults.
 *
 * Captures are read at test time (test_fixture_line, lines from 0).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kimp/sign.h"
#include "../testutil.h"
#include "shape.h"
#include "simtest.h"
#include "venuetest.h"

#define KEY    "exsimBithumbAccessKey00000000000000000000"
#define SECRET "exsimBithumbSecretKey00000000000000000000"
#define VKEY    "test-access-key-0123456789"
#define VSECRET "test-secret-key-0123456789"

#define VENUE_ON "[venue.bithumb]\nenabled = true\n"

/* ---- JSON in tests ------------------------------------------------------------------ */

static struct jr_tok jt[SHAPE_TOKENS];

/* The value at path ("error.name", "trades.0.price") in json: malloc'd, NULL if absent. */
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
		else if (jt[cur].type == JR_OBJ)
			cur = jr_get(json, jt, cur, seg);
		else
			cur = -1;
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

static bool jis(const char *json, const char *path, const char *want)
{
	char *v = jget(json, path);
	bool ok = want ? v && !strcmp(v, want) : !v;

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

/*
 * The same, every number on both sides read as a real: for messages whose
 * numbers are the market's (a zero change prints 0, a whole size 1), the
 * keys and the kinds of value are what is compared.
 */
static char *reals(const char *json)
{
	static struct jr_tok t[SHAPE_TOKENS];
	size_t n = strlen(json), o = 0, at = 0;
	int nt = jr_parse(json, n, t, SHAPE_TOKENS);
	char *out = calloc(1, 4 * n + 16);

	cr_assert_not_null(out);
	cr_assert_gt(nt, 0, "not JSON: %s", json);
	for (int i = 0; i < nt; i++) {
		if (t[i].type != JR_NUM)
			continue;
		memcpy(out + o, json + at, t[i].start - at);
		o += t[i].start - at;
		memcpy(out + o, "1.5", 3);
		o += 3;
		at = t[i].start + t[i].len;
	}
	memcpy(out + o, json + at, n - at + 1);
	return out;
}

static void assert_shape_real(const char *fixture, unsigned line, const char *ours)
{
	char *cap = test_fixture_line(fixture, line), why[512], *a, *b;

	cr_assert_not_null(cap, "%s line %u", fixture, line);
	a = reals(cap);
	b = reals(ours);
	cr_assert(json_same_shape(a, b, why, sizeof(why)), "%s:%u: %s\nours: %s", fixture,
		  line, why, ours);
	free(a);
	free(b);
	free(cap);
}

static sim_fx fx(const char *s)
{
	sim_fx v = 0;

	cr_assert_not_null(s);
	cr_assert_eq(sim_parse_fx(s, strlen(s), &v), 0, "'%s' is a number", s);
	return v;
}

/* ---- auth ------------------------------------------------------------------------------ */

static unsigned nonce_seq;
static const char *cur_key = KEY, *cur_secret = SECRET;
static int64_t ts_off_ms;               /* added to the JWT timestamp */
static bool ts_omit;                    /* leave the timestamp out */

static uint64_t wall_ms(void)
{
	return sim_now_real_ns() / 1000000ull;
}

/*
 * A Bithumb JWT (alg HS256 or HS512): access_key, nonce (NULL: fresh),
 * timestamp (ms, now + ts_off_ms; none when ts_omit), and query_hash /
 * query_hash_alg of qs when qs is not NULL.
 */
static void make_jwt(char *out, size_t cap, enum venue_hash alg, const char *key,
		     const char *secret, const char *nonce, const char *qs)
{
	char payload[768], hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)], fresh[64], ts[48] = "";
	int n;

	if (!nonce) {
		snprintf(fresh, sizeof(fresh), "7b2d4c1e-9b7d-4c1e-8a2f-%012u", ++nonce_seq);
		nonce = fresh;
	}
	if (!ts_omit)
		snprintf(ts, sizeof(ts), ",\"timestamp\":%lld",
			 (long long)((int64_t)wall_ms() + ts_off_ms));
	if (qs) {
		cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
		snprintf(payload, sizeof(payload),
			 "{\"access_key\":\"%s\",\"nonce\":\"%s\"%s,\"query_hash\":\"%s\","
			 "\"query_hash_alg\":\"SHA512\"}", key, nonce, ts, hash);
	} else {
		snprintf(payload, sizeof(payload), "{\"access_key\":\"%s\",\"nonce\":\"%s\"%s}",
			 key, nonce, ts);
	}
	n = venue_jwt_sign(alg, secret, strlen(secret), NULL, 0, payload, strlen(payload), out,
			   cap);
	cr_assert_gt(n, 0);
}

static void auth_hdr(char *out, size_t cap, const char *qs)
{
	char tok[1024];

	make_jwt(tok, sizeof(tok), VENUE_SHA256, cur_key, cur_secret, NULL, qs);
	snprintf(out, cap, "Authorization: Bearer %s\r\n", tok);
}

static struct simtest_resp *call(struct simtest *t, struct simtest_http *h, const char *method,
				 const char *path, const char *query)
{
	char hdr[1200], target[1024];

	auth_hdr(hdr, sizeof(hdr), query);
	snprintf(target, sizeof(target), "%s%s%s", path, query ? "?" : "", query ? query : "");
	return simtest_http_on(t, h, method, target, hdr, NULL);
}

static struct simtest_resp *post(struct simtest *t, struct simtest_http *h, const char *path,
				 const char *body, const char *qs)
{
	char hdr[1400];

	auth_hdr(hdr, sizeof(hdr), qs);
	strcat(hdr, "Content-Type: application/json; charset=utf-8\r\n");
	return simtest_http_on(t, h, "POST", path, hdr, body);
}

/*
 * POST /v2/orders with these parameters (NULL: left out), body and
 * query-hash input in the same order, as the client builds them.
 */
static struct simtest_resp *order(struct simtest *t, struct simtest_http *h, const char *market,
				  const char *side, const char *volume, const char *price,
				  const char *order_type, const char *tif, const char *cid)
{
	const char *k[] = { "market", "side", "volume", "price", "order_type", "time_in_force",
			    "client_order_id" };
	const char *v[] = { market, side, volume, price, order_type, tif, cid };
	char body[1024] = "{", qs[1024] = "";
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
	r = post(t, h, "/v2/orders", body, qs);
	cr_assert_eq(r->err, 0);
	return r;
}

/* A limit buy of 0.01 BTC at 1,000,000 KRW: valid, rests far under the market. */
static struct simtest_resp *resting_bid(struct simtest *t, struct simtest_http *h,
					const char *cid)
{
	return order(t, h, "KRW-BTC", "bid", "0.01", "1000000", "limit", NULL, cid);
}

static void expect_error(struct simtest_resp *r, unsigned status, const char *name)
{
	char *msg;

	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, status, "status %u, want %u: %s", r->status, status, r->body);
	assert_field(r->body, "error.name", name);
	msg = jget(r->body, "error.message");
	cr_assert_not_null(msg, "%s", r->body);
	free(msg);
}

/* ---- clients and servers ---------------------------------------------------------------- */

static struct simtest_http *client(struct simtest *t)
{
	return track(simtest_http_client(t, "bithumb"));
}

static void stop(struct simtest *t)
{
	close_clients(t);
	simtest_stop(t);
	cur_key = KEY;
	cur_secret = SECRET;
	ts_off_ms = 0;
	ts_omit = false;
}

/* A server with the bithumb venue on (and extra scenario text after it). */
static void start(struct simtest *t, const char *extra)
{
	char sc[4096];

	snprintf(sc, sizeof(sc), "%s%s", VENUE_ON, extra ? extra : "");
	simtest_start(t, sc);
}

static struct sim_venue *bithumb(struct simtest *t)
{
	struct sim_venue *v = sim_server_venue(t->s, "bithumb");

	cr_assert_not_null(v);
	return v;
}

static void apply_fault(struct simtest *t, enum sim_fault_kind k, uint32_t count,
			uint64_t duration_ns)
{
	struct sim_fault f = { .kind = k, .count = count, .duration_ns = duration_ns };

	snprintf(f.venue, sizeof(f.venue), "bithumb");
	sim_fault_apply(bithumb(t), &f, net_now_ns());
}

/* ---- WebSocket helpers ---------------------------------------------------------------- */

static struct simtest_ws *ws_pub(struct simtest *t)
{
	return simtest_ws_open(t, "bithumb", false, "/websocket/v1", NULL);
}

static struct simtest_ws *ws_priv(struct simtest *t)
{
	char hdr[1200], tok[1024];

	/* the doc's spelling: a lowercase authorization header */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, cur_key, cur_secret, NULL, NULL);
	snprintf(hdr, sizeof(hdr), "authorization: Bearer %s\r\n", tok);
	return simtest_ws_open(t, "bithumb", false, "/websocket/v2/private", hdr);
}

/* Send a request and expect the named error (binary), then the server's close (1000). */
static void expect_ws_error(struct simtest *t, struct simtest_ws *c, const char *req,
			    const char *name)
{
	uint32_t from = c->kept;
	int i;

	subscribe(c, req);
	i = ws_wait_for(t, c, from, "\"error\"", NULL);
	cr_assert_geq(i, 0, "an error for %s", req);
	assert_field(c->msg[i], "error.name", name);
	cr_assert(!jis(c->msg[i], "error.message", NULL));
	cr_assert_eq(c->op[i], WS_OP_BINARY);
	cr_assert(simtest_ws_wait_close(t, c), "the server closes after %s", name);
	cr_assert_eq(c->close_code, WS_CLOSE_NORMAL);
}

/* An upgrade whose refusal we read, on an HTTP client to the WebSocket listener. */
static struct simtest_resp *raw_upgrade(struct simtest *t, const char *path, const char *auth)
{
	struct simtest_http *h = track(simtest_http_port(t, bithumb(t)->ws_port, true));
	char hdr[2048];

	snprintf(hdr, sizeof(hdr),
		 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s",
		 auth ? auth : "");
	return simtest_http_on(t, h, "GET", path, hdr, NULL);
}

static unsigned units_of(const char *msg, const char *key)
{
	char path[64];
	unsigned n = 0;

	for (;; n++) {
		snprintf(path, sizeof(path), "%s.%u", key, n);
		if (jis(msg, path, NULL))
			return n;
	}
}

/*
 * A book frame as Bithumb prints it: totals are the sums of the units'
 * sizes, every size has at most 4 decimals, prices are plain numbers.
 */
static void assert_book(const char *msg, const char *units, const char *ap, const char *as,
			const char *bs, const char *tas, const char *tbs)
{
	unsigned n = units_of(msg, units);
	sim_fx sa = 0, sb = 0;
	char path[96], *v;

	for (unsigned i = 0; i < n; i++) {
		const char *keys[] = { as, bs };

		for (int s = 0; s < 2; s++) {
			const char *dot;

			snprintf(path, sizeof(path), "%s.%u.%s", units, i, keys[s]);
			v = jget(msg, path);
			cr_assert_not_null(v, "%s in %s", path, msg);
			dot = strchr(v, '.');
			cr_assert(!dot || strlen(dot + 1) <= 4, "4 decimals at most: %s", v);
			cr_assert(!strchr(v, 'E') && !strchr(v, 'e'), "plain: %s", v);
			if (s)
				sb += fx(v);
			else
				sa += fx(v);
			free(v);
		}
		snprintf(path, sizeof(path), "%s.%u.%s", units, i, ap);
		v = jget(msg, path);
		cr_assert(v && !strchr(v, 'E'), "plain price: %s", v);
		free(v);
	}
	v = jget(msg, tas);
	cr_assert_eq(fx(v), sa, "%s is the sum of the units: %s", tas, msg);
	free(v);
	v = jget(msg, tbs);
	cr_assert_eq(fx(v), sb, "%s is the sum of the units: %s", tbs, msg);
	free(v);
}

/* ==== markets and public REST ================================================================= */

Test(exsim_bithumb, instruments_rules_and_the_bithumb_tick_table)
{
	/* 2.6: each boundary, both sides; under 100 KRW it is not Upbit's */
	static const struct {
		const char *px, *tick;
	} table[] = {
		{ "2000000", "1000" }, { "1000000", "1000" }, { "999999", "500" },
		{ "500000", "500" }, { "499999", "100" }, { "100000", "100" }, { "99999", "50" },
		{ "50000", "50" }, { "49999", "10" }, { "10000", "10" }, { "9999", "5" },
		{ "5000", "5" }, { "4999", "1" }, { "100", "1" }, { "99.99", "0.01" },
		{ "10", "0.01" }, { "9.999", "0.001" }, { "1", "0.001" }, { "0.9999", "0.0001" },
		{ "0.001", "0.0001" },
	};
	const char *syms[] = { "KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-USDT" };
	struct simtest t;
	struct sim_venue *v;
	struct sim_inst *in;
	const struct sim_venue_rules *ru;

	start(&t, NULL);
	v = bithumb(&t);
	cr_assert_eq(v->ninst, 4);
	for (size_t i = 0; i < 4; i++) {
		in = sim_venue_inst_sym(v, syms[i], strlen(syms[i]));
		cr_assert_not_null(in, "%s", syms[i]);
		cr_assert_str_eq(in->quote, "KRW");
		cr_assert_eq(in->min_notional, fx("5000"));
		cr_assert_not_null(in->tick_fn);
	}
	cr_assert_eq(sim_venue_inst_sym(v, "KRW-USDT", 8)->coin, SIM_COIN_FX);
	cr_assert_null(sim_venue_inst_sym(v, "krw-btc", 7));
	in = sim_venue_inst_sym(v, "KRW-BTC", 7);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		cr_assert_eq(in->tick_fn(fx(table[i].px)), fx(table[i].tick), "tick at %s",
			     table[i].px);
	/* KRW-USDT: 1 KRW at ~1,380 (2.7) */
	cr_assert_eq(sim_venue_inst_sym(v, "KRW-USDT", 8)->tick_fn(fx("1380")), fx("1"));
	ru = &sim_server_exch(t.s)->rules[v->idx];
	cr_assert_float_eq(ru->maker_fee, 0.0025, 1e-12);
	cr_assert_float_eq(ru->taker_fee, 0.0025, 1e-12);
	cr_assert_eq(ru->fee_rule, SIM_FEE_QUOTE);
	cr_assert(ru->cid_forever);
	stop(&t);
}

Test(exsim_bithumb, public_rest_markets_and_book)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char *ts;

	start(&t, NULL);
	h = client(&t);
	r = simtest_http_on(&t, h, "GET", "/v1/market/all", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "0.market", "KRW-BTC");
	assert_field(r->body, "3.market", "KRW-USDT");
	cr_assert(jis(r->body, "4", NULL));
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-remaining"), "149");
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-replenish-rate"), "150");
	cr_assert_null(hdr_of(r, "remaining-req"), "no Upbit header");
	simtest_resp_free(r);

	r = simtest_http_on(&t, h, "GET", "/v1/orderbook?markets=KRW-BTC", NULL, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "0.market", "KRW-BTC");
	cr_assert_eq(units_of(r->body, "0.orderbook_units"), 15);
	ts = jget(r->body, "0.timestamp");
	cr_assert_eq(strlen(ts), 13, "REST book timestamps are ms (2.5): %s", ts);
	free(ts);
	assert_book(r->body, "0.orderbook_units", "ask_price", "ask_size", "bid_size",
		    "0.total_ask_size", "0.total_bid_size");
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-remaining"), "148");
	simtest_resp_free(r);

	/* an unknown code: the public error with a number for a name */
	r = simtest_http_on(&t, h, "GET", "/v1/orderbook?markets=KRW-NOPE", NULL, NULL);
	assert_shape("bithumb-errors.jsonl", 4, r->body);
	assert_field(r->body, "error.name", "404");
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/v1/nothing", NULL, NULL);
	cr_assert_eq(r->status, 404);
	cr_assert_not_null(hdr_of(r, "x-ratelimit-remaining"));
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "POST", "/v1/market/all", NULL, "{}");
	cr_assert_eq(r->status, 405);
	simtest_resp_free(r);
	/* the v1 order path is not served here (v2 only) */
	r = call(&t, h, "POST", "/v1/orders", NULL);
	cr_assert_eq(r->status, 405, "%s", r->body);
	simtest_resp_free(r);
	stop(&t);
}

/* ==== public WebSocket ===================================================================== */

Test(exsim_bithumb, subscribe_snapshot_then_full_books_of_15_levels)
{
	struct simtest t;
	struct simtest_ws *c;
	char *ts;
	int i;

	start(&t, NULL);
	c = ws_pub(&t);
	subscribe(c, "[{\"ticket\":\"b\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"]},"
		     "{\"format\":\"DEFAULT\"}]");
	cr_assert(simtest_ws_wait(&t, c, 1));
	cr_assert_eq(c->op[0], WS_OP_BINARY, "Bithumb frames are binary (H1)");
	assert_field(c->msg[0], "type", "orderbook");
	assert_field(c->msg[0], "code", "KRW-BTC");
	assert_field(c->msg[0], "stream_type", "SNAPSHOT");
	assert_field(c->msg[0], "level", "1");
	cr_assert_eq(units_of(c->msg[0], "orderbook_units"), 15);
	assert_book(c->msg[0], "orderbook_units", "ask_price", "ask_size", "bid_size",
		    "total_ask_size", "total_bid_size");
	/* the probe's wire frames (lines 1 and 3) */
	assert_shape_real("bithumb-orderbook.jsonl", 3, c->msg[0]);
	ts = jget(c->msg[0], "timestamp");
	cr_assert_eq(strlen(ts), 16, "book timestamps are microseconds (H5): %s", ts);
	cr_assert_geq(strtoull(ts, NULL, 10) / 1000, wall_ms() - 600000);
	cr_assert_leq(strtoull(ts, NULL, 10) / 1000, wall_ms() + 1000);
	free(ts);
	i = ws_wait_for(&t, c, 1, "REALTIME", NULL);
	cr_assert_geq(i, 0);
	cr_assert_eq(units_of(c->msg[i], "orderbook_units"), 15);
	assert_shape_real("bithumb-orderbook.jsonl", 2, c->msg[i]);
	assert_book(c->msg[i], "orderbook_units", "ask_price", "ask_size", "bid_size",
		    "total_ask_size", "total_bid_size");
	ts = jget(c->msg[i], "timestamp");
	cr_assert_eq(strlen(ts), 16, "%s", ts);
	free(ts);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, simple_format_and_unknown_formats)
{
	struct simtest t;
	struct simtest_ws *c;
	char *ts;
	int i;

	start(&t, NULL);
	c = ws_pub(&t);
	subscribe(c, "[{\"ticket\":\"f\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-ETH.5\"]},"
		     "{\"format\":\"SIMPLE\"}]");
	cr_assert(simtest_ws_wait(&t, c, 1));
	assert_field(c->msg[0], "ty", "orderbook");
	assert_field(c->msg[0], "cd", "KRW-ETH");
	assert_field(c->msg[0], "st", "SNAPSHOT");
	assert_field(c->msg[0], "lv", "1");
	cr_assert_eq(units_of(c->msg[0], "obu"), 5);
	assert_book(c->msg[0], "obu", "ap", "as", "bs", "tas", "tbs");
	ts = jget(c->msg[0], "tms");
	cr_assert_eq(strlen(ts), 16, "%s", ts);
	free(ts);
	/* the SIMPLE keys are Upbit's (2.1); no SIMPLE book capture is stored
	 * (bithumb-orderbook.jsonl has the four DEFAULT frames) */
	cr_assert(jis(c->msg[0], "type", NULL) && jis(c->msg[0], "timestamp", NULL));
	i = ws_wait_for(&t, c, 1, "\"st\":\"REALTIME\"", NULL);
	cr_assert_geq(i, 0);
	simtest_ws_free(&t, c);

	/* only DEFAULT and SIMPLE: the list formats are Upbit's */
	c = ws_pub(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"f\"},{\"type\":\"orderbook\",\"codes\":"
			       "[\"KRW-BTC\"]},{\"format\":\"JSON_LIST\"}]", "WRONG_FORMAT");
	simtest_ws_free(&t, c);
	c = ws_pub(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"f\"},{\"type\":\"orderbook\",\"codes\":"
			       "[\"KRW-BTC\"]},{\"format\":\"SIMPLE_LIST\"}]", "WRONG_FORMAT");
	simtest_ws_free(&t, c);
	/* no LIST_SUBSCRIPTIONS method on Bithumb */
	c = ws_pub(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"f\"},{\"method\":\"LIST_SUBSCRIPTIONS\"}]",
			"WRONG_FORMAT");
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, camel_case_flags_and_snake_case_ignored)
{
	struct simtest t;
	struct simtest_ws *c;
	int i;

	start(&t, NULL);
	c = ws_pub(&t);
	/* isOnlySnapshot: one snapshot each, nothing after */
	subscribe(c, "[{\"ticket\":\"s\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.1\"],"
		     "\"isOnlySnapshot\":true},{\"type\":\"ticker\",\"codes\":[\"KRW-ETH\"],"
		     "\"isOnlySnapshot\":true}]");
	cr_assert(simtest_ws_wait(&t, c, 2));
	assert_field(c->msg[0], "stream_type", "SNAPSHOT");
	cr_assert_eq(units_of(c->msg[0], "orderbook_units"), 1);
	assert_field(c->msg[1], "type", "ticker");
	assert_field(c->msg[1], "stream_type", "SNAPSHOT");
	cr_assert(simtest_steps(&t, 40), "four publishes go by");
	cr_assert_eq(c->nmsg, 2, "nothing in real time after isOnlySnapshot");

	/* isOnlyRealtime: no snapshot, the next frame is REALTIME */
	subscribe(c, "[{\"ticket\":\"s\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"],"
		     "\"isOnlyRealtime\":true}]");
	i = ws_wait_for(&t, c, 2, "orderbook", NULL);
	cr_assert_eq(i, 2);
	assert_field(c->msg[i], "stream_type", "REALTIME");

	/* the snake_case spelling is silently ignored: snapshot and realtime */
	subscribe(c, "[{\"ticket\":\"s\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-ETH\"],"
		     "\"is_only_snapshot\":true}]");
	i = ws_wait_for(&t, c, (uint32_t)i + 1, "SNAPSHOT", "KRW-ETH");
	cr_assert_geq(i, 0);
	i = ws_wait_for(&t, c, (uint32_t)i + 1, "REALTIME", "KRW-ETH");
	cr_assert_geq(i, 0, "is_only_snapshot is not Bithumb's flag");
	subscribe(c, "[{\"ticket\":\"s\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-XRP\"],"
		     "\"is_only_realtime\":true}]");
	i = ws_wait_for(&t, c, (uint32_t)i + 1, "KRW-XRP", NULL);
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "stream_type", "SNAPSHOT");
	cr_assert_eq(ws_find(c, 0, "\"error\"", NULL), -1);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, depths_levels_and_replaced_sets)
{
	static const struct {
		const char *code;
		unsigned n;
	} depth[] = {
		{ "KRW-BTC.1", 1 }, { "KRW-BTC.5", 5 }, { "KRW-BTC.15", 15 },
		{ "KRW-BTC.30", 15 }, { "KRW-BTC.7", 15 },
	};
	struct simtest t;
	struct simtest_ws *c;
	char req[256];
	uint32_t from = 0;
	int i = 0;

	start(&t, NULL);
	c = ws_pub(&t);
	for (size_t k = 0; k < sizeof(depth) / sizeof(depth[0]); k++) {
		snprintf(req, sizeof(req), "[{\"ticket\":\"d\"},{\"type\":\"orderbook\","
			 "\"codes\":[\"%s\"],\"isOnlySnapshot\":true}]", depth[k].code);
		subscribe(c, req);
		i = ws_wait_for(&t, c, from, "SNAPSHOT", NULL);
		cr_assert_geq(i, 0, "%s", depth[k].code);
		cr_assert_eq(units_of(c->msg[i], "orderbook_units"), depth[k].n, "%s",
			     depth[k].code);
		from = (uint32_t)i + 1;
	}
	/* level 1 is raw; level 1000 is a valid grouping that sends nothing here;
	 * level 0 is raw too; unknown and lowercase codes are ignored (H11) */
	subscribe(c, "[{\"ticket\":\"l\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"],"
		     "\"level\":1000,\"isOnlySnapshot\":true},{\"type\":\"orderbook\",\"codes\":"
		     "[\"KRW-XRP\",\"krw-eth\",\"KRW-EGG\"],\"level\":1,\"isOnlySnapshot\":true}]");
	i = ws_wait_for(&t, c, from, "SNAPSHOT", NULL);
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "code", "KRW-XRP");
	from = (uint32_t)i + 1;
	subscribe(c, "[{\"ticket\":\"l\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-ETH\"],"
		     "\"level\":0}]");
	i = ws_wait_for(&t, c, from, "SNAPSHOT", NULL);
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "code", "KRW-ETH");
	cr_assert_eq(ws_find(c, 0, "\"error\"", NULL), -1);
	cr_assert_eq(ws_find(c, 0, "KRW-EGG", NULL), -1);
	/* the new request replaced the set: three more KRW-ETH frames, no BTC/XRP */
	from = (uint32_t)i;
	for (int k = 0; k < 3; k++) {
		i = ws_wait_for(&t, c, (uint32_t)i + 1, "REALTIME", "KRW-ETH");
		cr_assert_geq(i, 0);
	}
	cr_assert_eq(ws_find(c, from, "KRW-BTC", NULL), -1);
	cr_assert_eq(ws_find(c, from, "KRW-XRP", NULL), -1);
	/* level 7 is no grouping Bithumb knows: WRONG_FORMAT, then the close */
	expect_ws_error(&t, c, "[{\"ticket\":\"l\"},{\"type\":\"orderbook\",\"codes\":"
			       "[\"KRW-BTC\"],\"level\":7}]", "WRONG_FORMAT");
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, errors_then_close)
{
	static const struct { const char *req, *name; unsigned line; } cases[] = {
		{ "[{\"type\":\"trade\",\"codes\":[\"KRW-BTC\"]}]", "NO_TICKET", 0 },
		{ "[{\"ticket\":\"x\"},{\"type\":\"nope\",\"codes\":[\"KRW-BTC\"]}]",
		  "INVALID_PARAM", 1 },
		{ "{\"ticket\":\"x\"}", "WRONG_FORMAT", 2 },
		{ "[{\"ticket\":\"x\"},{\"type\":\"trade\",\"codes\":[\"KRW-BTC\"]},"
		  "{\"format\":\"XML\"}]", "WRONG_FORMAT", 2 },
		{ "[{\"ticket\":\"\"},{\"type\":\"trade\",\"codes\":[\"KRW-BTC\"]}]", "NO_TICKET", 0 },
		{ "[{\"ticket\":\"x\"},{\"type\":\"myOrder\"}]", "INVALID_AUTH", 0 },
		{ "not json", "WRONG_FORMAT", 2 },
		{ "[{\"ticket\":\"x\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"],"
		  "\"isOnlySnapshot\":\"yes\"}]", "WRONG_FORMAT", 2 },
	};
	struct simtest t;

	start(&t, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct simtest_ws *c = ws_pub(&t);
		int k;

		expect_ws_error(&t, c, cases[i].req, cases[i].name);
		k = ws_find(c, 0, "\"error\"", NULL);
		if (strcmp(cases[i].name, "INVALID_AUTH"))
			assert_shape("bithumb-errors.jsonl", cases[i].line, c->msg[k]);
		simtest_ws_free(&t, c);
	}
	stop(&t);
}

Test(exsim_bithumb, ping_is_answered_up_then_every_10_s_and_idle_is_cut_at_60_s)
{
	struct simtest t;
	struct simtest_ws *quiet, *c;
	struct sim_venue *v;
	uint64_t now;
	uint32_t n;

	start(&t, NULL);
	v = bithumb(&t);
	c = ws_pub(&t);
	quiet = ws_pub(&t);
	cr_assert_eq(simtest_ws_text(c, "PING"), 0);
	cr_assert(simtest_ws_wait(&t, c, 1));
	cr_assert_str_eq(c->msg[0], "{\"status\":\"UP\"}");
	assert_shape("bithumb-ws-control.jsonl", 2, c->msg[0]);
	n = c->nmsg;
	now = net_now_ns();
	/* the tick before the 10 s are up sends nothing; after, one more */
	sim_venue_bithumb.tick(v, now + 5000000000ull);
	sim_venue_bithumb.tick(v, now + 10500000000ull);
	cr_assert(simtest_ws_wait(&t, c, n + 1));
	cr_assert_str_eq(c->msg[n], "{\"status\":\"UP\"}");
	/* a minute of ticks: the silent one is dropped, the PING-ing one is not */
	for (uint64_t s = 11; s <= 72; s++)
		sim_venue_bithumb.tick(v, now + s * 1000000000ull);
	cr_assert(simtest_ws_wait_close(&t, quiet), "the silent connection is dropped");
	cr_assert_eq(quiet->close_code, WS_CLOSE_ABNORMAL, "%u", quiet->close_code);
	cr_assert(!c->closed);
	simtest_ws_free(&t, quiet);
	simtest_ws_free(&t, c);
	stop(&t);
}

/* trade_date / trade_time are the KST (UTC+9) of trade_timestamp (H6). */
static void assert_kst(const char *msg, const char *dkey, const char *tkey, bool sep)
{
	char *ms = jget(msg, "trade_timestamp"), *d = jget(msg, dkey);
	char *tm = jget(msg, tkey), want_d[16], want_t[16];
	time_t s = (time_t)(strtoull(ms, NULL, 10) / 1000 + 9 * 3600);
	struct tm g;

	gmtime_r(&s, &g);
	strftime(want_d, sizeof(want_d), sep ? "%Y-%m-%d" : "%Y%m%d", &g);
	strftime(want_t, sizeof(want_t), sep ? "%H:%M:%S" : "%H%M%S", &g);
	cr_assert_str_eq(d, want_d);
	cr_assert_str_eq(tm, want_t);
	cr_assert_eq(strlen(ms), 13, "trade timestamps are ms: %s", ms);
	free(ms);
	free(d);
	free(tm);
}

Test(exsim_bithumb, trades_and_tickers_in_kst)
{
	struct simtest t;
	struct simtest_ws *c;
	struct simtest_http *h;
	struct simtest_resp *r;
	int i;

	start(&t, NULL);
	c = ws_pub(&t);
	subscribe(c, "[{\"ticket\":\"t\"},{\"type\":\"trade\",\"codes\":[\"KRW-BTC\"]},"
		     "{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\"]}]");
	cr_assert(simtest_ws_wait(&t, c, 1));
	assert_field(c->msg[0], "type", "ticker");
	assert_shape_real("bithumb-ticker.jsonl", 0, c->msg[0]);
	/* a trade of ours prints on the public stream too */
	h = client(&t);
	r = order(&t, h, "KRW-BTC", "bid", NULL, "20000", "price", NULL, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	i = ws_wait_for(&t, c, 0, "\"trade\"", "REALTIME");
	cr_assert_geq(i, 0);
	cr_assert_eq(c->op[i], WS_OP_BINARY);
	assert_shape_real("bithumb-trade.jsonl", 0, c->msg[i]);
	assert_kst(c->msg[i], "trade_date", "trade_time", true);
	assert_field(c->msg[i], "ask_bid", "BID");
	i = ws_wait_for(&t, c, 1, "\"ticker\"", "REALTIME");
	cr_assert_geq(i, 0);
	assert_shape_real("bithumb-ticker.jsonl", 0, c->msg[i]);
	assert_kst(c->msg[i], "trade_date", "trade_time", false);
	simtest_ws_free(&t, c);
	stop(&t);
}

/* ==== auth ==================================================================================== */

Test(exsim_bithumb, every_rest_auth_failure)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char tok[1024], hdr[1200];

	start(&t, NULL);
	h = client(&t);

	r = simtest_http_on(&t, h, "GET", "/v1/accounts", NULL, NULL);
	expect_error(r, 401, "no_authorization_token");
	cr_assert_not_null(hdr_of(r, "x-ratelimit-remaining"));
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/v1/accounts", "Authorization: Basic Zm9vOmJhcg==\r\n",
			    NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/v1/accounts", "Authorization: Bearer not-a-jwt\r\n",
			    NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);

	/* signed with another secret */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, "another-secret", NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/accounts", hdr, NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);

	/* alg none */
	{
		char pl[256], h64[128], p64[512];
		const char *head = "{\"alg\":\"none\",\"typ\":\"JWT\"}";

		snprintf(pl, sizeof(pl), "{\"access_key\":\"" KEY "\",\"nonce\":\"alg-none\","
			 "\"timestamp\":%llu}", (unsigned long long)wall_ms());
		cr_assert_gt(venue_b64url_encode(head, strlen(head), h64, sizeof(h64)), 0);
		cr_assert_gt(venue_b64url_encode(pl, strlen(pl), p64, sizeof(p64)), 0);
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s.%s.\r\n", h64, p64);
		r = simtest_http_on(&t, h, "GET", "/v1/accounts", hdr, NULL);
		expect_error(r, 401, "jwt_verification");
		simtest_resp_free(r);
	}

	/* an access key nobody has */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, "nobody-has-this-key", SECRET, NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/accounts", hdr, NULL);
	expect_error(r, 401, "invalid_access_key");
	simtest_resp_free(r);

	/* no timestamp: Bithumb requires it (2.3) */
	ts_omit = true;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	ts_omit = false;
	/* the timestamp window: 60 s either way of the venue clock, each side */
	ts_off_ms = -65000;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	ts_off_ms = 65000;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	ts_off_ms = -55000;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	ts_off_ms = 55000;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	ts_off_ms = 0;
	/* a timestamp as a numeric string is read too */
	{
		char pl[256];

		snprintf(pl, sizeof(pl), "{\"access_key\":\"" KEY "\",\"nonce\":\"ts-string\","
			 "\"timestamp\":\"%llu\"}", (unsigned long long)wall_ms());
		cr_assert_gt(venue_jwt_sign(VENUE_SHA256, SECRET, strlen(SECRET), NULL, 0, pl,
					    strlen(pl), tok, sizeof(tok)), 0);
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
		r = simtest_http_on(&t, h, "GET", "/v1/accounts", hdr, NULL);
		cr_assert_eq(r->status, 200, "%s", r->body);
		simtest_resp_free(r);
	}

	/* parameters but no query_hash; the hash of another query */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/orders/chance?market=KRW-BTC", hdr, NULL);
	expect_error(r, 401, "invalid_query_payload");
	simtest_resp_free(r);
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, NULL, "market=KRW-ETH");
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/orders/chance?market=KRW-BTC", hdr, NULL);
	expect_error(r, 401, "invalid_query_payload");
	simtest_resp_free(r);

	/* the right hash: HS256 (the documented one) and HS512 are accepted */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, NULL, "market=KRW-BTC");
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/orders/chance?market=KRW-BTC", hdr, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	/* the same token again: its nonce is spent */
	r = simtest_http_on(&t, h, "GET", "/v1/orders/chance?market=KRW-BTC", hdr, NULL);
	expect_error(r, 401, "nonce_used");
	simtest_resp_free(r);
	make_jwt(tok, sizeof(tok), VENUE_SHA512, KEY, SECRET, NULL, "market=KRW-BTC");
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = simtest_http_on(&t, h, "GET", "/v1/orders/chance?market=KRW-BTC", hdr, NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "bid_fee", "0.0025");
	simtest_resp_free(r);

	/* a POST hashes its JSON body's k=v in body order */
	auth_hdr(hdr, sizeof(hdr), "market=KRW-BTC&side=bid");
	r = simtest_http_on(&t, h, "POST", "/v2/orders", hdr,
			    "{\"market\":\"KRW-ETH\",\"side\":\"bid\"}");
	expect_error(r, 401, "invalid_query_payload");
	simtest_resp_free(r);
	stop(&t);
}

static const char *vector_scenario =
	"[account.vec]\nvenue = bithumb\nkey = " VKEY "\nsecret = " VSECRET "\n"
	"balance.KRW = 100000000\nbalance.USDT = 1000\n";

/*
 * testvectors-kr-auth.jsonl's Bithumb vector (HS256 with timestamp) sent
 * verbatim: the venue's clock is set to the vector's time with the
 * clock-skew fault so the timestamp is fresh; off by more than the window,
 * the same token is refused.
 */
Test(exsim_bithumb, the_kr_auth_vector_places_its_order)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char *vec = NULL, *qs, *auth, *pl, *ts, body[512] = "{", hdr[1400];
	struct sim_fault f = { .kind = SIM_FAULT_CLOCK_SKEW };

	for (unsigned i = 0; i < 16 && !vec; i++) {
		char *l = test_fixture_line("testvectors-kr-auth.jsonl", i);

		cr_assert_not_null(l, "a Bithumb vector");
		if (jis(l, "exchange", "bithumb"))
			vec = l;
		else
			free(l);
	}
	qs = jget(vec, "query_string");
	auth = jget(vec, "authorization_header");
	pl = jget(vec, "jwt_payload_json");
	ts = jget(pl, "timestamp");
	/* the body: the query string's pairs, in its order, as strings */
	for (char *p = qs; *p;) {
		char *eq = strchr(p, '='), *amp = strchr(p, '&');
		size_t vl;

		cr_assert_not_null(eq);
		vl = amp ? (size_t)(amp - eq - 1) : strlen(eq + 1);
		snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"%.*s\":\"%.*s\"",
			 body[1] ? "," : "", (int)(eq - p), p, (int)vl, eq + 1);
		p = amp ? amp + 1 : eq + 1 + vl;
	}
	strcat(body, "}");
	snprintf(hdr, sizeof(hdr), "Authorization: %s\r\nContent-Type: application/json\r\n", auth);

	start(&t, vector_scenario);
	h = client(&t);
	/* now: the vector's timestamp is far in the past */
	r = simtest_http_on(&t, h, "POST", "/v2/orders", hdr, body);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	/* the venue clock at the vector's time: accepted */
	f.skew_ms = (int64_t)strtoull(ts, NULL, 10) - (int64_t)wall_ms();
	sim_fault_apply(bithumb(&t), &f, net_now_ns());
	r = simtest_http_on(&t, h, "POST", "/v2/orders", hdr, body);
	cr_assert_eq(r->status, 201, "%s", r->body);
	assert_field(r->body, "client_order_id", "arb-000002");
	assert_field(r->body, "market", "KRW-USDT");
	assert_field(r->body, "side", "ask");
	assert_field(r->body, "order_type", "limit");
	simtest_resp_free(r);
	free(vec);
	free(qs);
	free(auth);
	free(pl);
	free(ts);
	stop(&t);
}

Test(exsim_bithumb, private_websocket_upgrade_failures)
{
	struct simtest t;
	struct simtest_resp *r;
	struct simtest_ws *c;
	char tok[1024], hdr[1200];

	start(&t, NULL);
	r = raw_upgrade(&t, "/websocket/v2/private", NULL);
	expect_error(r, 401, "no_authorization_token");
	simtest_resp_free(r);
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, "wrong", NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = raw_upgrade(&t, "/websocket/v2/private", hdr);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	make_jwt(tok, sizeof(tok), VENUE_SHA256, "unknown-key", SECRET, NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = raw_upgrade(&t, "/websocket/v2/private", hdr);
	expect_error(r, 401, "invalid_access_key");
	simtest_resp_free(r);
	ts_omit = true;
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, NULL, NULL);
	ts_omit = false;
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = raw_upgrade(&t, "/websocket/v2/private", hdr);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	/* a good token opens it once; its nonce is then spent */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, "ws-nonce-1", NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	c = simtest_ws_connect(&t, "bithumb", false, "/websocket/v2/private", hdr);
	cr_assert(c->opened);
	r = raw_upgrade(&t, "/websocket/v2/private", hdr);
	expect_error(r, 401, "nonce_used");
	simtest_resp_free(r);
	/* the v1 private socket is not served (being retired, 2.3) */
	make_jwt(tok, sizeof(tok), VENUE_SHA256, KEY, SECRET, NULL, NULL);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n", tok);
	r = raw_upgrade(&t, "/websocket/v1/private", hdr);
	cr_assert_eq(r->status, 404);
	simtest_resp_free(r);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, private_request_errors)
{
	struct simtest t;
	struct simtest_ws *c;

	start(&t, NULL);
	c = ws_priv(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"x\"},{\"type\":\"myAsset\",\"codes\":[\"KRW-BTC\"]}]",
			"WRONG_FORMAT");
	simtest_ws_free(&t, c);
	c = ws_priv(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"x\"},{\"type\":\"myOrder\",\"codes\":\"KRW-BTC\"}]",
			"WRONG_FORMAT");
	simtest_ws_free(&t, c);
	c = ws_priv(&t);
	expect_ws_error(&t, c, "[{\"ticket\":\"x\"},{\"type\":\"myOrders\"}]", "INVALID_PARAM");
	simtest_ws_free(&t, c);
	stop(&t);
}

/* ==== orders ==================================================================================== */

Test(exsim_bithumb, limit_order_round_trip_with_myorder_and_myasset)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *c;
	char *oid, q[128];
	int i;

	start(&t, NULL);
	c = ws_priv(&t);
	subscribe(c, "[{\"ticket\":\"p\"},{\"type\":\"myOrder\"},{\"type\":\"myAsset\"}]");
	h = client(&t);

	r = resting_bid(&t, h, "ord-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	assert_field(r->body, "client_order_id", "ord-1");
	assert_field(r->body, "market", "KRW-BTC");
	assert_field(r->body, "side", "bid");
	assert_field(r->body, "order_type", "limit");
	cr_assert(jis(r->body, "state", NULL), "the v2 reply has no state: %s", r->body);
	cr_assert(strstr(r->body, "+09:00\""), "KST created_at: %s", r->body);
	oid = jget(r->body, "order_id");
	cr_assert(oid && strlen(oid) == 20 && !strncmp(oid, "C0101", 5), "%s", oid);
	cr_assert_eq(strspn(oid + 5, "0123456789"), 15, "%s", oid);
	simtest_resp_free(r);

	i = ws_wait_for(&t, c, 0, "\"myOrder\"", "ord-1");
	cr_assert_geq(i, 0, "myOrder for ord-1");
	cr_assert_eq(c->op[i], WS_OP_BINARY);
	assert_field(c->msg[i], "state", "wait");
	assert_field(c->msg[i], "order_id", oid);
	assert_field(c->msg[i], "client_order_id", "ord-1");
	assert_field(c->msg[i], "side", "buy");
	assert_field(c->msg[i], "order_type", "limit");
	assert_field(c->msg[i], "code", "KRW-BTC");
	assert_field(c->msg[i], "order_price", "1000000");
	assert_field(c->msg[i], "order_quantity", "0.01");
	assert_field(c->msg[i], "stream_type", "REALTIME");
	cr_assert(jis(c->msg[i], "uuid", NULL) && jis(c->msg[i], "ask_bid", NULL),
		  "v2 names, not v1: %s", c->msg[i]);
	cr_assert(jis(c->msg[i], "trade_id", NULL), "no trade: no trade fields");
	cr_assert(jis(c->msg[i], "trades_count", NULL), "v2 has no trades_count");
	i = ws_wait_for(&t, c, 0, "\"myAsset\"", "\"KRW\"");
	cr_assert_geq(i, 0, "myAsset for KRW");
	assert_shape("bithumb-myasset.jsonl", 0, c->msg[i]);
	/* 10,000 KRW + the 0.25% fee it reserves */
	assert_field(c->msg[i], "assets.0.locked", "10025");

	r = call(&t, h, "GET", "/v1/order", "client_order_id=ord-1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "uuid", oid);
	assert_field(r->body, "state", "wait");
	assert_field(r->body, "ord_type", "limit");
	assert_field(r->body, "price", "1000000");
	assert_field(r->body, "volume", "0.01");
	assert_field(r->body, "reserved_fee", "25");
	assert_field(r->body, "locked", "10025");
	cr_assert(jis(r->body, "trades", "[]"));
	simtest_resp_free(r);
	snprintf(q, sizeof(q), "uuid=%s", oid);
	r = call(&t, h, "GET", "/v1/order", q);
	assert_field(r->body, "client_order_id", "ord-1");
	simtest_resp_free(r);

	r = call(&t, h, "GET", "/v1/orders", "state=wait&limit=100");
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "0.uuid", oid);
	cr_assert(jis(r->body, "1", NULL));
	{
		/* the capture's orders have no client id */
		char *m = drop_key(r->body, "client_order_id");

		assert_shape("bithumb-rest-order.jsonl", 1, m);
		free(m);
	}
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "market=KRW-ETH&state=wait");
	cr_assert_str_eq(r->body, "[]");
	simtest_resp_free(r);

	/* cancel: accepted with the order's ids, then the order ends cancel */
	snprintf(q, sizeof(q), "order_id=%s", oid);
	r = call(&t, h, "DELETE", "/v2/order", q);
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "order_id", oid);
	assert_field(r->body, "client_order_id", "ord-1");
	{
		char *m = drop_key(r->body, "client_order_id");

		assert_shape("bithumb-rest-order.jsonl", 2, m);
		free(m);
	}
	simtest_resp_free(r);
	i = ws_wait_for(&t, c, 0, "\"cancel\"", "ord-1");
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "cancel_type", "user");
	r = call(&t, h, "GET", "/v1/order", "client_order_id=ord-1");
	assert_field(r->body, "state", "cancel");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "state=wait");
	cr_assert_str_eq(r->body, "[]");
	simtest_resp_free(r);
	r = call(&t, h, "DELETE", "/v2/order", q);
	expect_error(r, 404, "order_not_found");
	assert_shape("bithumb-errors.jsonl", 3, r->body);
	simtest_resp_free(r);
	r = call(&t, h, "DELETE", "/v2/order", "client_order_id=never-was");
	expect_error(r, 404, "order_not_found");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/order", "uuid=C0101999999999999999");
	expect_error(r, 404, "order_not_found");
	simtest_resp_free(r);
	/* the v1 parameter name is not the v2 cancel's */
	snprintf(q, sizeof(q), "uuid=%s", oid);
	r = call(&t, h, "DELETE", "/v2/order", q);
	cr_assert_eq(r->status, 400, "%s", r->body);
	simtest_resp_free(r);
	free(oid);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, orders_that_fill_against_the_book)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *c;
	char *ask, *n, px[32];
	int i;

	start(&t, NULL);
	c = ws_priv(&t);
	subscribe(c, "[{\"ticket\":\"p\"},{\"type\":\"myOrder\",\"codes\":[\"KRW-BTC\"]},"
		     "{\"type\":\"myAsset\"}]");
	h = client(&t);

	/* a limit buy at the best ask takes it */
	r = simtest_http_on(&t, h, "GET", "/v1/orderbook?markets=KRW-BTC", NULL, NULL);
	ask = jget(r->body, "0.orderbook_units.0.ask_price");
	snprintf(px, sizeof(px), "%lld", (long long)(fx(ask) / SIM_SCALE));
	free(ask);
	simtest_resp_free(r);
	r = order(&t, h, "KRW-BTC", "bid", "0.0001", px, "limit", NULL, "take-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	i = ws_wait_for(&t, c, 0, "\"trade_id\"", "take-1");
	cr_assert_geq(i, 0, "a fill of take-1");
	cr_assert(!jis(c->msg[i], "trade_price", NULL));
	assert_field(c->msg[i], "trade_quantity", "0.0001");
	cr_assert(!jis(c->msg[i], "trade_timestamp", NULL));
	cr_assert(!jis(c->msg[i], "paid_fee", NULL));
	cr_assert_geq(ws_wait_for(&t, c, 0, "\"done\"", "take-1"), 0);
	r = call(&t, h, "GET", "/v1/order", "client_order_id=take-1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "state", "done");
	assert_field(r->body, "executed_volume", "0.0001");
	assert_field(r->body, "remaining_volume", "0");
	assert_field(r->body, "trades.0.side", "bid");
	{
		char *m = drop_key(r->body, "client_order_id");

		assert_shape("bithumb-rest-order.jsonl", 0, m);
		free(m);
	}
	n = jget(r->body, "trades.0.uuid");
	cr_assert(n && !strncmp(n, "C0101", 5), "%s", n);
	free(n);
	simtest_resp_free(r);

	/* a market buy by KRW total: order_type price */
	r = order(&t, h, "KRW-BTC", "bid", NULL, "10000", "price", NULL, "buy-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	assert_field(r->body, "order_type", "price");
	simtest_resp_free(r);
	i = ws_wait_for(&t, c, 0, "\"trade_id\"", "buy-1");
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "order_type", "price");
	assert_field(c->msg[i], "order_amount", "10000");
	cr_assert(jis(c->msg[i], "order_quantity", NULL));
	cr_assert_geq(ws_wait_for(&t, c, (uint32_t)i, "\"myAsset\"", "\"BTC\""), 0);
	r = call(&t, h, "GET", "/v1/order", "client_order_id=buy-1");
	n = jget(r->body, "trades.0.funds");
	cr_assert(fx(n) > 0 && fx(n) <= fx("10000"), "%s", r->body);
	free(n);
	simtest_resp_free(r);

	/* a market sell by volume */
	r = order(&t, h, "KRW-BTC", "ask", "0.0001", NULL, "market", NULL, "sell-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	i = ws_wait_for(&t, c, 0, "\"done\"", "sell-1");
	cr_assert_geq(i, 0);
	assert_field(c->msg[i], "side", "sell");
	r = call(&t, h, "GET", "/v1/order", "client_order_id=sell-1");
	assert_field(r->body, "trades.0.side", "ask");
	assert_field(r->body, "executed_volume", "0.0001");
	cr_assert(jis(r->body, "price", NULL), "a market sell has no price");
	simtest_resp_free(r);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, a_repeated_client_order_id_returns_its_order)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	char *oid, *created;
	const char *cid36 = "abcdefghij-ABCDEFGHIJ_0123456789-xyz";

	start(&t, NULL);
	h = client(&t);
	r = resting_bid(&t, h, "idem-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	oid = jget(r->body, "order_id");
	created = jget(r->body, "created_at");
	simtest_resp_free(r);
	/* the same id again, even with another body: the same order's reply */
	r = order(&t, h, "KRW-ETH", "ask", "1", "90000000", "limit", NULL, "idem-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	assert_field(r->body, "order_id", oid);
	assert_field(r->body, "market", "KRW-BTC");
	assert_field(r->body, "side", "bid");
	assert_field(r->body, "created_at", created);
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "state=wait");
	assert_field(r->body, "0.uuid", oid);
	cr_assert(jis(r->body, "1", NULL), "one order: %s", r->body);
	simtest_resp_free(r);
	/* after its cancel too */
	{
		char q[64];

		snprintf(q, sizeof(q), "order_id=%s", oid);
		r = call(&t, h, "DELETE", "/v2/order", q);
		cr_assert_eq(r->status, 200);
		simtest_resp_free(r);
	}
	r = resting_bid(&t, h, "idem-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	assert_field(r->body, "order_id", oid);
	simtest_resp_free(r);

	/* client_order_id: 1-36 of [A-Za-z0-9_-] (2.2), each side of each limit */
	r = resting_bid(&t, h, cid36);
	cr_assert_eq(r->status, 201, "36 characters: %s", r->body);
	assert_field(r->body, "client_order_id", cid36);
	simtest_resp_free(r);
	r = resting_bid(&t, h, "abcdefghij-ABCDEFGHIJ_0123456789-xyz1");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	r = resting_bid(&t, h, "a");
	cr_assert_eq(r->status, 201, "1 character: %s", r->body);
	simtest_resp_free(r);
	r = resting_bid(&t, h, "");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	r = resting_bid(&t, h, "has.dot");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	r = resting_bid(&t, h, "has space");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	free(oid);
	free(created);
	stop(&t);
}

Test(exsim_bithumb, order_errors)
{
	static const struct {
		const char *market, *side, *volume, *price, *type, *tif;
		unsigned status;
		const char *name;
	} cases[] = {
		{ NULL, "bid", "0.01", "1000000", "limit", NULL, 400, "validation_error" },
		{ "KRW-NOPE", "bid", "0.01", "1000000", "limit", NULL, 400, "notfoundmarket" },
		{ "KRW-BTC", "buy", "0.01", "1000000", "limit", NULL, 400, "invalid_parameter" },
		{ "KRW-BTC", "bid", "0.01", "1000000", "stop", NULL, 400, "invalid_parameter" },
		{ "KRW-BTC", "bid", "0.01", NULL, "limit", NULL, 400, "validation_error" },
		{ "KRW-BTC", "bid", "abc", "1000000", "limit", NULL, 400, "invalid_parameter" },
		/* the tick at 1,000,000+ is 1,000 KRW */
		{ "KRW-BTC", "bid", "0.01", "1000500", "limit", NULL, 400, "invalid_price_bid" },
		/* 5,000 KRW minimum, each side of it */
		{ "KRW-BTC", "bid", "0.004999", "1000000", "limit", NULL, 400,
		  "under_min_total_bid" },
		{ "KRW-BTC", "bid", NULL, "4999", "price", NULL, 400, "under_min_total_bid" },
		{ "KRW-BTC", "bid", "0.01", "1000000", "limit", "gtc", 400,
		  "invalid_time_in_force" },
	};
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	start(&t, NULL);
	h = client(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = order(&t, h, cases[i].market, cases[i].side, cases[i].volume, cases[i].price,
			  cases[i].type, cases[i].tif, NULL);
		cr_assert_eq(r->status, cases[i].status, "case %zu: %s", i, r->body);
		assert_field(r->body, "error.name", cases[i].name);
		simtest_resp_free(r);
	}
	/* the other side of the minimum */
	r = order(&t, h, "KRW-BTC", "bid", "0.005", "1000000", "limit", NULL, NULL);
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	/* the v1 key ord_type is not the v2 body's */
	r = post(&t, h, "/v2/orders",
		 "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"volume\":\"0.01\",\"price\":\"1000000\","
		 "\"ord_type\":\"limit\"}",
		 "market=KRW-BTC&side=bid&volume=0.01&price=1000000&ord_type=limit");
	cr_assert_eq(r->status, 400, "%s", r->body);
	simtest_resp_free(r);
	/* FOK that cannot fill and post_only that would take both end cancel */
	r = order(&t, h, "KRW-BTC", "bid", "0.01", "1000000", "limit", "fok", "fok-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/order", "client_order_id=fok-1");
	assert_field(r->body, "state", "cancel");
	simtest_resp_free(r);
	stop(&t);
}

Test(exsim_bithumb, insufficient_funds)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	start(&t, "[account.poor]\nvenue = bithumb\nkey = " KEY "\nsecret = " SECRET "\n"
		  "balance.KRW = 10000\nbalance.BTC = 0.0001\n");
	h = client(&t);
	r = order(&t, h, "KRW-BTC", "bid", "0.02", "1000000", "limit", NULL, NULL);
	expect_error(r, 400, "insufficient_funds_bid");
	simtest_resp_free(r);
	r = order(&t, h, "KRW-BTC", "ask", "0.001", "500000000", "limit", NULL, NULL);
	expect_error(r, 400, "insufficient_funds_ask");
	simtest_resp_free(r);
	r = order(&t, h, "KRW-BTC", "bid", "0.005", "1000000", "limit", NULL, NULL);
	cr_assert_eq(r->status, 201, "10,000 KRW covers 5,000 and its fee: %s", r->body);
	simtest_resp_free(r);
	stop(&t);
}

Test(exsim_bithumb, open_orders_chance_and_accounts)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	start(&t, NULL);
	h = client(&t);
	for (int i = 1; i <= 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "o-%d", i);
		r = resting_bid(&t, h, id);
		cr_assert_eq(r->status, 201);
		simtest_resp_free(r);
	}
	r = call(&t, h, "GET", "/v1/orders", NULL);
	assert_field(r->body, "0.client_order_id", "o-3");
	assert_field(r->body, "2.client_order_id", "o-1");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "market=KRW-BTC&order_by=asc");
	assert_field(r->body, "0.client_order_id", "o-1");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "state=wait&limit=2&page=2");
	assert_field(r->body, "0.client_order_id", "o-1");
	cr_assert(jis(r->body, "1", NULL));
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "states[]=wait");
	assert_field(r->body, "2.client_order_id", "o-1");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "limit=100");
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "limit=101");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "state=done");
	expect_error(r, 400, "invalid_parameter");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/orders", "market=KRW-NOPE");
	expect_error(r, 400, "notfoundmarket");
	simtest_resp_free(r);

	r = call(&t, h, "GET", "/v1/orders/chance", "market=KRW-BTC");
	cr_assert_eq(r->status, 200, "%s", r->body);
	/* (the chance example is not among the stored captures) */
	assert_field(r->body, "bid_fee", "0.0025");
	assert_field(r->body, "maker_ask_fee", "0.0025");
	assert_field(r->body, "market.id", "KRW-BTC");
	assert_field(r->body, "market.bid.min_total", "5000");
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	assert_field(r->body, "0.currency", "KRW");
	cr_assert_not_null(strstr(r->body, "\"currency\":\"BTC\""));
	simtest_resp_free(r);
	stop(&t);
}

/* ==== rate limits ================================================================================= */

/*
 * Requests of one kind until one is refused: the refusal. *run is the
 * number accepted since the last window opened (a reply showing
 * x-ratelimit-remaining = per_sec - 1 starts a window), so a second
 * boundary crossed on the way starts the count again.
 */
static struct simtest_resp *until_refused(struct simtest *t, struct simtest_http *h,
					  unsigned per_sec, bool orders, unsigned *run,
					  unsigned *last_left)
{
	for (unsigned n = 0; n < 20 * per_sec; n++) {
		struct simtest_resp *r = orders ? resting_bid(t, h, NULL) :
					 call(t, h, "GET", "/v1/accounts", NULL);
		char *left;

		if (r->status != 200 && r->status != 201)
			return r;
		left = hdr_of(r, "x-ratelimit-remaining");
		cr_assert_not_null(left);
		*last_left = (unsigned)atoi(left);
		if (*last_left == per_sec - 1)
			*run = 0;
		(*run)++;
		cr_assert_str_eq(hdr_of(r, "x-ratelimit-replenish-rate"), orders ? "140" : "140");
		simtest_resp_free(r);
	}
	cr_assert_fail("never refused");
	return NULL;
}

Test(exsim_bithumb, per_ip_request_budgets_then_429_without_escalation)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	unsigned run = 0, left = 0, n429 = 0;

	start(&t, "[account.a0]\nvenue = bithumb\nkey = " KEY "\nsecret = " SECRET "\n"
		  "balance.KRW = 10000000000\n"
		  "[account.a1]\nvenue = bithumb\nkey = key-a1\nsecret = secret-a1\n"
		  "balance.KRW = 10000000000\n");
	h = client(&t);
	/* other private: 140 a second, the 141st refused */
	r = until_refused(&t, h, 140, false, &run, &left);
	expect_error(r, 429, "too_many_requests");
	cr_assert_eq(run, 140, "140 in the window, then 429 (%u)", run);
	cr_assert_eq(left, 0);
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-remaining"), "0");
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-replenish-rate"), "140");
	simtest_resp_free(r);
	/* the budget is the IP's: another account is refused too, unless the
	 * window has just turned (then it is the first of a new one) */
	cur_key = "key-a1";
	cur_secret = "secret-a1";
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert(r->status == 429 || !strcmp(hdr_of(r, "x-ratelimit-remaining"), "139"),
		  "%u %s", r->status, r->body);
	simtest_resp_free(r);
	cur_key = KEY;
	cur_secret = SECRET;
	/* other categories have their own budgets */
	r = simtest_http_on(&t, h, "GET", "/v1/market/all", NULL, NULL);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-remaining"), "149");
	cr_assert_str_eq(hdr_of(r, "x-ratelimit-replenish-rate"), "150");
	simtest_resp_free(r);
	/* orders: 140 a second of their own */
	r = until_refused(&t, h, 140, true, &run, &left);
	expect_error(r, 429, "too_many_requests");
	cr_assert_eq(run, 140, "%u", run);
	simtest_resp_free(r);
	/* no block follows (none is published): more 429s, never a 418 */
	for (int k = 0; k < 20; k++) {
		r = call(&t, h, "GET", "/v1/accounts", NULL);
		cr_assert(r->status == 429 || r->status == 200, "%u", r->status);
		n429 += r->status == 429;
		simtest_resp_free(r);
	}
	(void)n429;
	stop(&t);
}

Test(exsim_bithumb, no_rate_limits_when_lifted)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	simtest_start(&t, "[venue.bithumb]\nenabled = true\nrate_limits = false\n");
	h = client(&t);
	for (int i = 0; i < 160; i++) {
		r = call(&t, h, "GET", "/v1/accounts", NULL);
		cr_assert_eq(r->status, 200, "request %d: %s", i, r->body);
		simtest_resp_free(r);
	}
	stop(&t);
}

Test(exsim_bithumb, websocket_connects_10_a_second_per_ip)
{
	struct simtest t;
	struct simtest_ws *c[10];
	struct simtest_resp *r;
	char hdr[1200];

	start(&t, NULL);
	for (int i = 0; i < 10; i++)
		c[i] = ws_pub(&t);
	r = raw_upgrade(&t, "/websocket/v1", NULL);
	cr_assert_eq(r->status, 429, "%u", r->status);
	assert_field(r->body, "error.name", "too_many_requests");
	simtest_resp_free(r);
	/* private upgrades count against the same IP budget (2.1) */
	auth_hdr(hdr, sizeof(hdr), NULL);
	r = raw_upgrade(&t, "/websocket/v2/private", hdr);
	cr_assert_eq(r->status, 429, "%u %d %s", r->status, r->err, r->body);
	simtest_resp_free(r);
	for (int i = 0; i < 10; i++)
		simtest_ws_free(&t, c[i]);
	stop(&t);
}

Test(exsim_bithumb, private_upgrades_share_the_ip_budget)
{
	struct simtest t;
	struct simtest_ws *c[10];
	struct simtest_resp *r;

	start(&t, NULL);
	for (int i = 0; i < 10; i++)
		c[i] = ws_priv(&t);
	r = raw_upgrade(&t, "/websocket/v1", NULL);
	cr_assert_eq(r->status, 429, "%u %d", r->status, r->err);
	simtest_resp_free(r);
	for (int i = 0; i < 10; i++)
		simtest_ws_free(&t, c[i]);
	stop(&t);
}

/* ==== faults ==================================================================================== */

Test(exsim_bithumb, http_5xx_comes_after_matching)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;

	start(&t, NULL);
	h = client(&t);
	apply_fault(&t, SIM_FAULT_HTTP_5XX, 1, 0);
	r = resting_bid(&t, h, "amb-1");
	cr_assert_eq(r->status, 503);
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/order", "client_order_id=amb-1");
	cr_assert_eq(r->status, 200, "the ambiguous order exists: %s", r->body);
	assert_field(r->body, "state", "wait");
	simtest_resp_free(r);
	/* and its retry with the same id answers it (idempotent) */
	r = resting_bid(&t, h, "amb-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	apply_fault(&t, SIM_FAULT_HTTP_5XX, 1, 0);
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 503);
	simtest_resp_free(r);
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	stop(&t);
}

Test(exsim_bithumb, burst_429_dropped_responses_and_ban)
{
	struct simtest t;
	struct simtest_http *h, *h2;
	struct simtest_resp *r, pending = { 0 };
	struct simtest_ws *c;
	char hdr[1400];
	const char *body = "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"volume\":\"0.01\","
			   "\"price\":\"1000000\",\"order_type\":\"limit\","
			   "\"client_order_id\":\"drop-1\"}";

	start(&t, NULL);
	h = client(&t);
	apply_fault(&t, SIM_FAULT_BURST_429, 0, 60 * 1000000000ull);
	r = simtest_http_on(&t, h, "GET", "/v1/market/all", NULL, NULL);
	expect_error(r, 429, "too_many_requests");
	simtest_resp_free(r);
	r = resting_bid(&t, h, "burst-1");
	expect_error(r, 429, "too_many_requests");
	simtest_resp_free(r);
	apply_fault(&t, SIM_FAULT_BURST_429, 0, 0);
	r = call(&t, h, "GET", "/v1/order", "client_order_id=burst-1");
	expect_error(r, 404, "order_not_found");
	simtest_resp_free(r);

	/* matched, never answered: the private stream tells */
	c = ws_priv(&t);
	subscribe(c, "[{\"ticket\":\"p\"},{\"type\":\"myOrder\"}]");
	apply_fault(&t, SIM_FAULT_DROP_RESPONSE, 1, 0);
	auth_hdr(hdr, sizeof(hdr), "market=KRW-BTC&side=bid&volume=0.01&price=1000000&"
		 "order_type=limit&client_order_id=drop-1");
	send_nowait(h, "POST", "/v2/orders", hdr, body, &pending);
	cr_assert_geq(ws_wait_for(&t, c, 0, "\"myOrder\"", "drop-1"), 0);
	h2 = client(&t);
	r = call(&t, h2, "GET", "/v1/order", "client_order_id=drop-1");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	cr_assert(!h->done, "no answer to the dropped order");
	http_client_close(&h->c);
	simtest_run_until(&t, simtest_http_done, h);
	cr_assert_neq(pending.err, 0);
	free(pending.body);
	free(pending.headers);

	/* the ban: 418 with Retry-After on everything, until it ends */
	apply_fault(&t, SIM_FAULT_BAN, 0, 60 * 1000000000ull);
	r = simtest_http_on(&t, h2, "GET", "/v1/market/all", NULL, NULL);
	cr_assert_eq(r->status, 418, "%u %s", r->status, r->body);
	cr_assert_not_null(hdr_of(r, "retry-after"));
	simtest_resp_free(r);
	r = call(&t, h2, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 418);
	simtest_resp_free(r);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, clock_skew_moves_venue_time_and_the_jwt_window)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *c;
	struct sim_fault f = { .kind = SIM_FAULT_CLOCK_SKEW, .skew_ms = 3600000 };
	uint64_t before = wall_ms();
	char *ts;

	start(&t, NULL);
	h = client(&t);
	sim_fault_apply(bithumb(&t), &f, net_now_ns());
	r = simtest_http_on(&t, h, "GET", "/v1/orderbook?markets=KRW-BTC", NULL, NULL);
	ts = jget(r->body, "0.timestamp");
	cr_assert_geq(strtoull(ts, NULL, 10), before + 3600000 - 60000);
	free(ts);
	simtest_resp_free(r);
	/* the client's clock is now an hour behind the venue's */
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	expect_error(r, 401, "jwt_verification");
	simtest_resp_free(r);
	ts_off_ms = 3600000;
	r = call(&t, h, "GET", "/v1/accounts", NULL);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	ts_off_ms = 0;
	/* the WebSocket book's microseconds move too */
	c = ws_pub(&t);
	subscribe(c, "[{\"ticket\":\"k\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"]}]");
	cr_assert(simtest_ws_wait(&t, c, 1));
	ts = jget(c->msg[0], "timestamp");
	cr_assert_geq(strtoull(ts, NULL, 10) / 1000, before + 3600000 - 600000, "%s", ts);
	free(ts);
	simtest_ws_free(&t, c);
	stop(&t);
}

Test(exsim_bithumb, malformed_truncated_and_stalled_market_frames)
{
	struct simtest t;
	struct simtest_ws *c;
	uint32_t from;
	int i;

	start(&t, NULL);
	c = ws_pub(&t);
	subscribe(c, "[{\"ticket\":\"m\"},{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC\"]}]");
	cr_assert(simtest_ws_wait(&t, c, 1));
	apply_fault(&t, SIM_FAULT_MALFORMED, 1, 0);
	from = c->kept;
	cr_assert(simtest_ws_wait(&t, c, from + 2));
	cr_assert_lt(jr_parse(c->msg[from], c->len[from], jt, SHAPE_TOKENS), 1,
		     "the next frame is not JSON: %s", c->msg[from]);
	cr_assert_gt(jr_parse(c->msg[from + 1], c->len[from + 1], jt, SHAPE_TOKENS), 0);
	apply_fault(&t, SIM_FAULT_TRUNCATE, 1, 0);
	from = c->kept;
	cr_assert(simtest_ws_wait(&t, c, from + 2));
	cr_assert_lt(jr_parse(c->msg[from], c->len[from], jt, SHAPE_TOKENS), 1,
		     "cut short: %s", c->msg[from]);
	/* a stall: the connection stays open and quiet, PING is still answered */
	apply_fault(&t, SIM_FAULT_STALL, 0, 60 * 1000000000ull);
	from = c->nmsg;
	cr_assert(simtest_steps(&t, 40));
	cr_assert_leq(c->nmsg, from + 1, "at most a frame already on its way");
	cr_assert(!c->closed);
	i = ws_find(c, from, "orderbook", NULL);
	(void)i;
	/* a disconnect closes it */
	{
		struct simtest_resp *r = simtest_control(&t, "POST",
							 "/fault?kind=disconnect&venue=bithumb");

		cr_assert_eq(r->status, 200, "%u %s", r->status, r->body);
		simtest_resp_free(r);
	}
	cr_assert(simtest_ws_wait_close(&t, c));
	simtest_ws_free(&t, c);
	stop(&t);
}

/* ==== shapes of private messages =============================================================== */

Test(exsim_bithumb, simple_myorder_and_myasset_keys)
{
	static const char *const simple_keys[] = {
		"ty", "cd", "oid", "coid", "sd", "ot", "s", "tid", "tp", "tq", "ta", "ttms", "eq",
		"ea", "pf", "otms", "tms", "st",
	};
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *s;
	int i;

	start(&t, NULL);
	s = ws_priv(&t);
	subscribe(s, "[{\"ticket\":\"p\"},{\"type\":\"myOrder\"},{\"type\":\"myAsset\"},"
		     "{\"format\":\"SIMPLE\"}]");
	h = client(&t);
	r = order(&t, h, "KRW-BTC", "ask", "0.0002", NULL, "market", NULL, "mo-1");
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	i = ws_wait_for(&t, s, 0, "\"tid\"", "mo-1");
	cr_assert_geq(i, 0);
	for (size_t k = 0; k < sizeof(simple_keys) / sizeof(simple_keys[0]); k++)
		cr_assert(!jis(s->msg[i], simple_keys[k], NULL), "SIMPLE myOrder has %s: %s",
			  simple_keys[k], s->msg[i]);
	assert_field(s->msg[i], "sd", "sell");
	assert_field(s->msg[i], "ty", "myOrder");
	i = ws_wait_for(&t, s, 0, "\"myAsset\"", "\"BTC\"");
	cr_assert_geq(i, 0);
	assert_field(s->msg[i], "ty", "myAsset");
	simtest_ws_free(&t, s);
	stop(&t);
}
