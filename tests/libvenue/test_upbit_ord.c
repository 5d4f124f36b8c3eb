/* SPDX-License-Identifier: MIT */
/*
 * libvenue/upbit_ord.c: the table, keys, the JWT against every Upbit case
 * of testvectors-kr-auth.jsonl, the request bytes of each order type and
 * operation against bytes made here independently (sim's JSON reader,
 * venue_sha512_hex, the one-shot venue_jwt_sign), every Upbit order,
 * myOrder, myAsset and error capture parsed to its values, the outcome of
 * each error status, Remaining-Req from real response bytes, the private
 * stream's upgrade and subscription, truncations and malformed input,
 * scale and length boundaries, a jail proving that building and parsing
 * make no system call and allocate nothing, and a round trip against an
 * in-process exsim (tests/sim/simtest.h) over real TLS connections.
 *
 * The myOrder capture is an SGD market (the global site's doc example):
 * the test table carries SGD-XRP at 8 decimals so its fields are checked
 * at a known scale; a table without it gives VENUE_SYM_NONE and the same
 * values (upbit_ord's 8-decimal default), also checked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "../../sim/sim.h"
#include "../testutil.h"
#include "../jail.h"
#include "../sim/simtest.h"

#define U (&venue_ord_upbit)
#define HOST "api.upbit.com"
#define AKEY "test-access-key-0123456789"
#define SECRET "test-secret-key-0123456789"
#define NONCE "3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b"
#define NOW_MS 1790000000123ll
#define TOKS 512
#define REQ_CAP 8192

enum { S_BTC = 0, S_USDT, S_XRP, S_SGD };

static struct venue_symtab tab, tab_krw;
static struct vo_keys keys;
static struct vo_ctx ctx;

static void setup(void)
{
	venue_symtab_init(&tab, KIMP_VENUE_UPBIT);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 8, 8, 1), S_BTC);
	cr_assert_eq(venue_symtab_add(&tab, "USDT", "KRW", 8, 8, 2), S_USDT);
	cr_assert_eq(venue_symtab_add(&tab, "XRP", "KRW", 1, 4, 3), S_XRP);
	cr_assert_eq(venue_symtab_add(&tab, "XRP", "SGD", 8, 8, 4), S_SGD);
	venue_symtab_init(&tab_krw, KIMP_VENUE_UPBIT);
	cr_assert_eq(venue_symtab_add(&tab_krw, "BTC", "KRW", 8, 8, 1), 0);
	cr_assert_eq(U->key_init(&keys, AKEY, SECRET, strlen(SECRET), NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = U;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.now_ns = NOW_MS * 1000000;
	ctx.rng[0] = 1;
	ctx.rng[1] = 2;
	ctx.fixed_nonce = NONCE;
}

TestSuite(upbit_ord, .init = setup);

/* ---- independent references ------------------------------------------------ */

/* The HS512 token for payload JSON p, signed here with the one-shot path. */
static void ref_jwt(const char *payload, char *out, size_t cap)
{
	static const char hdr[] = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	int n = venue_jwt_sign(VENUE_SHA512, SECRET, strlen(SECRET), hdr, sizeof(hdr) - 1,
			       payload, strlen(payload), out, cap);

	cr_assert_gt(n, 0);
}

/* The token of a request whose query-hash input is qs (NULL: none). */
static void ref_token(const char *qs, char *out, size_t cap)
{
	char hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)], payload[1024];

	if (qs) {
		cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
		snprintf(payload, sizeof(payload),
			 "{\"access_key\":\"%s\",\"nonce\":\"%s\",\"query_hash\":\"%s\","
			 "\"query_hash_alg\":\"SHA512\"}", AKEY, NONCE, hash);
	} else {
		snprintf(payload, sizeof(payload), "{\"access_key\":\"%s\",\"nonce\":\"%s\"}",
			 AKEY, NONCE);
	}
	ref_jwt(payload, out, cap);
}

/* The whole request as upbit_ord must write it. */
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
		n += snprintf(out + n, REQ_CAP - (size_t)n, "Content-Length: %zu\r\n\r\n%s",
			      strlen(body), body);
	else
		snprintf(out + n, REQ_CAP - (size_t)n, "\r\n");
	return out;
}

/* ---- building ------------------------------------------------------------------ */

static int build(enum vo_op op, const struct vo_order *o, char *buf, size_t cap)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	int err;

	cr_assert_eq(U->rest_tmpl(&ctx, op, HOST, &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, cap), 0);
	err = U->rest_build(&ctx, op, o, &r);
	if (err)
		return err;
	err = net_http_req_finish(&r);
	if (err > 0 && (size_t)err < cap)
		((char *)buf)[err] = 0;
	return err;
}

static void expect_request(enum vo_op op, const struct vo_order *o, const char *line,
			   const char *qs, const char *body)
{
	char *want = ref_request(line, qs, body), buf[REQ_CAP];
	int n = build(op, o, buf, sizeof(buf));

	cr_assert_gt(n, 0, "built: %d", n);
	buf[n] = 0;
	cr_assert_str_eq(buf, want);
	if (body) {
		struct jr_tok tok[TOKS];
		cr_assert_gt(jr_parse(body, strlen(body), tok, TOKS), 0, "the body is JSON");
	}
	free(want);
}

static struct vo_order order(uint32_t sym, uint8_t side, uint8_t type, uint8_t tif, int64_t px,
			     int64_t qty)
{
	return (struct vo_order){ .coid = 1734000000001ull, .sym = sym, .side = side,
				  .type = type, .tif = tif, .px = px, .qty = qty };
}

/* ---- the table ----------------------------------------------------------------- */

Test(upbit_ord, table_names_endpoints_channels_and_flags)
{
	cr_assert_eq(venue_ord_get(KIMP_VENUE_UPBIT), U);
	cr_assert_eq(venue_ord_by_name("upbit"), U);
	cr_assert_str_eq(U->rest_url, "https://api.upbit.com");
	cr_assert_str_eq(U->priv_url, "wss://api.upbit.com/websocket/v1/private");
	cr_assert_null(U->wsapi_url);
	for (int op = VO_OP_PLACE; op <= VO_OP_KEEPALIVE; op++) {
		if (op == VO_OP_TIME) {
			cr_assert_eq(U->chans[op], 0);
			continue;
		}
		cr_assert_eq(U->chans[op], VO_CHBIT(VO_CH_REST), "op %d on REST", op);
		cr_assert_eq(vo_fast_chan(U, (enum vo_op)op), VO_CH_REST);
	}
	cr_assert_eq(U->chans[VO_OP_SUBSCRIBE], VO_CHBIT(VO_CH_PRIV));
	cr_assert_eq(vo_fast_chan(U, VO_OP_TIME), -1);
	cr_assert(U->cancel_async);
	cr_assert(U->market_buy_by_quote);
	cr_assert_not(U->user_data_on_wsapi);
	cr_assert_eq(U->hash_sha, VENUE_SHA512);
	cr_assert_gt(U->ping_every_ns, 0);
	cr_assert_leq(U->ping_every_ns, 30000000000ull, "pings at most 30 s apart (1.5, 4.3)");
	cr_assert_eq(U->conn_life_ns, 0);
	cr_assert_str_eq(U->ws_path(VO_CH_PRIV), "/websocket/v1/private");
	cr_assert_null(U->ws_path(VO_CH_REST));
	cr_assert_null(U->ws_path(VO_CH_WSAPI));
}

Test(upbit_ord, rates_and_costs)
{
	cr_assert_eq(U->nrates, 3);
	cr_assert_str_eq(U->rates[0].name, "order");
	cr_assert_eq(U->rates[0].limit, 8, "the doc's conflict: budget 8/s");
	cr_assert_str_eq(U->rates[1].name, "default");
	cr_assert_eq(U->rates[1].limit, 30);
	cr_assert_str_eq(U->rates[2].name, "websocket-connect");
	cr_assert_eq(U->rates[2].limit, 5);
	for (unsigned i = 0; i < U->nrates; i++) {
		cr_assert_eq(U->rates[i].scope, VO_RS_ACCOUNT);
		cr_assert_eq(U->rates[i].window_ns, 1000000000ull);
		cr_assert_not(U->rates[i].unfilled);
	}
	for (int op = 0; op < VO_OP_N; op++)
		for (int ch = 0; ch < VO_CH_N; ch++)
			for (unsigned rule = 0; rule < U->nrates; rule++) {
				uint16_t want = 0;

				if (ch == VO_CH_REST && op == VO_OP_PLACE)
					want = rule == 0;
				else if (ch == VO_CH_REST && (op == VO_OP_CANCEL || op == VO_OP_QUERY ||
							      op == VO_OP_OPEN ||
							      op == VO_OP_KEEPALIVE))
					want = rule == 1;
				cr_assert_eq(U->cost((enum vo_op)op, (enum vo_chan)ch, rule), want,
					     "op %d ch %d rule %u", op, ch, rule);
			}
	cr_assert_eq(U->connect_cost(VO_CH_PRIV, 2), 1);
	cr_assert_eq(U->connect_cost(VO_CH_PRIV, 0), 0);
	cr_assert_eq(U->connect_cost(VO_CH_REST, 2), 0);
}

/* ---- keys ----------------------------------------------------------------------- */

Test(upbit_ord, key_init_checks_the_access_key_and_secret)
{
	struct vo_keys k;
	char key[VO_API_KEY_MAX + 1];

	cr_assert_eq(U->key_init(&k, AKEY, SECRET, strlen(SECRET), NULL), 0);
	cr_assert_str_eq(k.api_key, AKEY);
	cr_assert_eq(k.api_key_len, strlen(AKEY));
	cr_assert_eq(k.hmac.alg, VENUE_SHA512);
	cr_assert_eq(k.pass_len, 0);
	memset(key, 'a', sizeof(key));
	key[VO_API_KEY_MAX - 1] = 0;               /* 127: the longest */
	cr_assert_eq(U->key_init(&k, key, SECRET, 1, NULL), 0);
	key[VO_API_KEY_MAX - 1] = 'a';
	key[VO_API_KEY_MAX] = 0;                   /* 128: too long */
	cr_assert_eq(U->key_init(&k, key, SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, "", SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, NULL, SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, "a\"b", SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, "a\\b", SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, "a b", SECRET, 1, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, AKEY, SECRET, 0, NULL), -EINVAL);
	cr_assert_eq(U->key_init(&k, AKEY, NULL, 4, NULL), -EINVAL);
}

Test(upbit_ord, no_keys_no_request)
{
	char buf[REQ_CAP], out[2048];
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 1);

	ctx.keys = NULL;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(build(VO_OP_KEEPALIVE, NULL, buf, sizeof(buf)), -EINVAL);
	cr_assert_eq(U->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out)), -EINVAL);
	cr_assert_eq(U->sign_payload(&ctx, "a=b", 3, out, sizeof(out)), -EINVAL);
}

/* ---- the test vectors (testvectors-kr-auth.jsonl) -------------------------------- */

static void vec_str(const char *src, const struct jr_tok *t, const char *key, char *out,
		    size_t cap)
{
	int k = jr_get(src, t, 0, key);

	cr_assert_geq(k, 0, "vector has %s", key);
	cr_assert_geq(jr_str(src, &t[k], out, cap), 0);
}

/* The payload JSON of a token. */
static void jwt_payload(const char *tok, char *out, size_t cap)
{
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	int n;

	cr_assert_not_null(d2);
	n = venue_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), out, cap - 1);
	cr_assert_geq(n, 0);
	out[n] = 0;
}

Test(upbit_ord, every_upbit_auth_vector)
{
	static char secret[256], akey[256], nonce[64], want[2048], payload[4096], tmp[4096];
	struct jr_tok t[TOKS];
	unsigned cases = 0;
	char *line;

	for (unsigned i = 0; (line = test_fixture_line("testvectors-kr-auth.jsonl", i)); i++) {
		char name[128], got[2048];
		struct vo_keys k;
		int n;

		cr_assert_gt(jr_parse(line, strlen(line), t, TOKS), 0);
		if (!jr_eq(line, &t[jr_get(line, t, 0, "exchange")], "upbit")) {
			free(line);
			continue;
		}
		cases++;
		vec_str(line, t, "case", name, sizeof(name));
		if (!strcmp(name, "query-hash-array-params-unencoded-brackets")) {
			/* the hash rides in the token sign_payload makes */
			char hash[256];

			vec_str(line, t, "payload", payload, sizeof(payload));
			vec_str(line, t, "expected", hash, sizeof(hash));
			n = U->sign_payload(&ctx, payload, strlen(payload), got, sizeof(got));
			cr_assert_gt(n, 0);
			cr_assert_eq((size_t)n, strlen(got));
			cr_assert_geq(venue_jwt_verify(got, (size_t)n, SECRET, strlen(SECRET), tmp,
						       sizeof(tmp), NULL), 0);
			snprintf(want, sizeof(want), "\"query_hash\":\"%s\",\"query_hash_alg\":\"SHA512\"}",
				 hash);
			cr_assert_not_null(strstr(tmp, want), "%s in %s", want, tmp);
			free(line);
			continue;
		}
		vec_str(line, t, "secret", secret, sizeof(secret));
		vec_str(line, t, "jwt_payload_json", payload, sizeof(payload));
		vec_str(line, t, "expected_jwt", want, sizeof(want));
		{
			/* the vector's own access key and nonce */
			struct jr_tok pt[64];

			cr_assert_gt(jr_parse(payload, strlen(payload), pt, 64), 0);
			vec_str(payload, pt, "access_key", akey, sizeof(akey));
			vec_str(payload, pt, "nonce", nonce, sizeof(nonce));
		}
		cr_assert_eq(U->key_init(&k, akey, secret, strlen(secret), NULL), 0);
		ctx.keys = &k;
		ctx.fixed_nonce = nonce;
		if (!strcmp(name, "rest-jwt-hs256-post-order-body")) {
			/* HS256: the same payload with a SHA-256 key (upbit_ord signs HS512) */
			cr_assert_eq(venue_hmac_key_init(&k.hmac, VENUE_SHA256, secret,
							 strlen(secret)), 0);
		} else {
			cr_assert(!strcmp(name, "rest-jwt-hs512-post-order-body") ||
				  !strcmp(name, "rest-or-private-ws-jwt-hs512-no-params"),
				  "unknown Upbit case %s", name);
		}
		if (jr_get(line, t, 0, "query_string") >= 0) {
			vec_str(line, t, "query_string", tmp, sizeof(tmp));
			n = U->sign_payload(&ctx, tmp, strlen(tmp), got, sizeof(got));
		} else {
			n = U->sign_payload(&ctx, NULL, 0, got, sizeof(got));
			/* the private upgrade carries the same token */
			char hdr[2048], whdr[2200];

			snprintf(whdr, sizeof(whdr), "Authorization: Bearer %s\r\n", want);
			cr_assert_eq(U->ws_headers(&ctx, VO_CH_PRIV, hdr, sizeof(hdr)),
				     (int)strlen(whdr));
			cr_assert_str_eq(hdr, whdr);
		}
		cr_assert_eq(n, (int)strlen(want), "%s", name);
		cr_assert_str_eq(got, want, "%s", name);
		jwt_payload(got, tmp, sizeof(tmp));
		cr_assert_str_eq(tmp, payload);
		ctx.keys = &keys;
		ctx.fixed_nonce = NONCE;
		free(line);
	}
	cr_assert_eq(cases, 4, "every Upbit case seen");
}

Test(upbit_ord, sign_payload_boundaries_and_fresh_nonces)
{
	char a[2048], b[2048], pa[1024], pb[1024];
	int n;

	n = U->sign_payload(&ctx, "a=1", 3, a, sizeof(a));
	cr_assert_gt(n, 0);
	cr_assert_eq(U->sign_payload(&ctx, "a=1", 3, b, (size_t)n + 1), n, "exact room");
	cr_assert_eq(U->sign_payload(&ctx, "a=1", 3, b, (size_t)n), -ENOSPC, "no room for the NUL");
	/* without a fixed nonce every token has a new one */
	ctx.fixed_nonce = NULL;
	cr_assert_gt(U->sign_payload(&ctx, NULL, 0, a, sizeof(a)), 0);
	cr_assert_gt(U->sign_payload(&ctx, NULL, 0, b, sizeof(b)), 0);
	jwt_payload(a, pa, sizeof(pa));
	jwt_payload(b, pb, sizeof(pb));
	cr_assert_str_neq(pa, pb);
	cr_assert_eq(strlen(pa), strlen("{\"access_key\":\"" AKEY "\",\"nonce\":\"" NONCE "\"}"));
	cr_assert_eq(venue_jwt_verify(a, strlen(a), SECRET, strlen(SECRET), pb, sizeof(pb), NULL),
		     (int)strlen(pa));
}

/* ---- request bytes ---------------------------------------------------------------- */

#define CID "kimp1734000000001"

Test(upbit_ord, place_limit_gtc)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC,
				  100000000ll * 100000000, 1000000);

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-BTC&side=bid&volume=0.01&price=100000000&ord_type=limit"
		       "&identifier=" CID,
		       "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"volume\":\"0.01\","
		       "\"price\":\"100000000\",\"ord_type\":\"limit\",\"identifier\":\"" CID "\"}");
}

Test(upbit_ord, place_limit_ioc)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_IOC,
				  140000000ll * 100000000, 123456789);

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-BTC&side=ask&volume=1.23456789&price=140000000&ord_type=limit"
		       "&time_in_force=ioc&identifier=" CID,
		       "{\"market\":\"KRW-BTC\",\"side\":\"ask\",\"volume\":\"1.23456789\","
		       "\"price\":\"140000000\",\"ord_type\":\"limit\",\"time_in_force\":\"ioc\","
		       "\"identifier\":\"" CID "\"}");
}

Test(upbit_ord, place_limit_fok)
{
	struct vo_order o = order(S_USDT, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_FOK,
				  13755 * 10000000ll, 10 * 100000000ll);

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-USDT&side=bid&volume=10&price=1375.5&ord_type=limit"
		       "&time_in_force=fok&identifier=" CID,
		       "{\"market\":\"KRW-USDT\",\"side\":\"bid\",\"volume\":\"10\","
		       "\"price\":\"1375.5\",\"ord_type\":\"limit\",\"time_in_force\":\"fok\","
		       "\"identifier\":\"" CID "\"}");
}

Test(upbit_ord, place_post_only)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_SELL, VO_POST_ONLY, KIMP_TIF_GTC,
				  150000000ll * 100000000, 50000000);
	const char *qs = "market=KRW-BTC&side=ask&volume=0.5&price=150000000&ord_type=limit"
			 "&time_in_force=post_only&identifier=" CID;
	const char *body = "{\"market\":\"KRW-BTC\",\"side\":\"ask\",\"volume\":\"0.5\","
			   "\"price\":\"150000000\",\"ord_type\":\"limit\","
			   "\"time_in_force\":\"post_only\",\"identifier\":\"" CID "\"}";

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders", qs, body);
	/* a limit with tif post-only says the same */
	o = order(S_BTC, KIMP_SIDE_SELL, VO_LIMIT, KIMP_TIF_POST_ONLY, 150000000ll * 100000000,
		  50000000);
	expect_request(VO_OP_PLACE, &o, "POST /v1/orders", qs, body);
}

Test(upbit_ord, place_market_buy_by_total)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_IOC, 0, 0);

	o.quote_qty = 6000 * 100000000ll;
	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-BTC&side=bid&price=6000&ord_type=price&identifier=" CID,
		       "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"price\":\"6000\","
		       "\"ord_type\":\"price\",\"identifier\":\"" CID "\"}");
}

Test(upbit_ord, place_market_sell)
{
	struct vo_order o = order(S_USDT, KIMP_SIDE_SELL, VO_MARKET, KIMP_TIF_GTC, 0, 537759400);

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-USDT&side=ask&volume=5.377594&ord_type=market&identifier=" CID,
		       "{\"market\":\"KRW-USDT\",\"side\":\"ask\",\"volume\":\"5.377594\","
		       "\"ord_type\":\"market\",\"identifier\":\"" CID "\"}");
}

Test(upbit_ord, cancel_and_query_by_identifier_and_by_uuid)
{
	struct vo_order o = { .coid = 1734000000001ull, .sym = S_BTC };
	static const char uuid[] = "cdd92199-2897-4e14-9448-f923320408ad";

	expect_request(VO_OP_CANCEL, &o, "DELETE /v1/order?identifier=" CID, "identifier=" CID,
		       NULL);
	expect_request(VO_OP_QUERY, &o, "GET /v1/order?identifier=" CID, "identifier=" CID, NULL);
	o.oid = uuid;
	o.oid_len = sizeof(uuid) - 1;
	expect_request(VO_OP_CANCEL, &o, "DELETE /v1/order?uuid=cdd92199-2897-4e14-9448-f923320408ad",
		       "uuid=cdd92199-2897-4e14-9448-f923320408ad", NULL);
	expect_request(VO_OP_QUERY, &o, "GET /v1/order?uuid=cdd92199-2897-4e14-9448-f923320408ad",
		       "uuid=cdd92199-2897-4e14-9448-f923320408ad", NULL);
}

Test(upbit_ord, open_orders_and_keepalive)
{
	expect_request(VO_OP_OPEN, NULL, "GET /v1/orders/open?state=wait&limit=100",
		       "state=wait&limit=100", NULL);
	expect_request(VO_OP_KEEPALIVE, NULL, "GET /v1/accounts", NULL, NULL);
}

Test(upbit_ord, no_origin_header_and_fresh_nonce_per_request)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 100000000, 1);
	char a[REQ_CAP], b[REQ_CAP];
	int na, nb;

	ctx.fixed_nonce = NULL;
	na = build(VO_OP_PLACE, &o, a, sizeof(a));
	nb = build(VO_OP_PLACE, &o, b, sizeof(b));
	cr_assert_gt(na, 0);
	cr_assert_gt(nb, 0);
	a[na] = b[nb] = 0;
	cr_assert_null(strcasestr(a, "\r\nOrigin:"));
	cr_assert_str_neq(a, b, "each request has its own nonce");
}

Test(upbit_ord, rest_tmpl_only_for_rest_operations)
{
	struct net_http_tmpl t;

	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_TIME, HOST, &t), -EINVAL);
	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_SUBSCRIBE, HOST, &t), -EINVAL);
	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_NONE, HOST, &t), -EINVAL);
	cr_assert_lt(U->rest_tmpl(&ctx, VO_OP_PLACE, "", &t), 0, "the template's own check");
}

Test(upbit_ord, build_refuses_what_upbit_cannot_say)
{
	char buf[REQ_CAP];
	struct vo_order ok = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 100, 1), o;

	cr_assert_gt(build(VO_OP_PLACE, &ok, buf, sizeof(buf)), 0);
	cr_assert_eq(build(VO_OP_PLACE, NULL, buf, sizeof(buf)), -EINVAL);
	o = ok, o.coid = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "coid 0");
	o = ok, o.sym = 4;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "sym past the table");
	o = ok, o.side = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "side");
	o = ok, o.side = 3;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "side");
	o = ok, o.type = 3;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "type");
	o = ok, o.tif = 4;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "tif");
	o = ok, o.px = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "px 0");
	o = ok, o.qty = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "qty 0");
	o = ok, o.qty = -1;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "qty < 0");
	o = ok, o.type = VO_MARKET, o.quote_qty = 0;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "market buy needs a total");
	o.quote_qty = 1;
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0);
	o = ok, o.type = VO_MARKET, o.side = KIMP_SIDE_SELL, o.qty = 0, o.quote_qty = 5;
	cr_assert_eq(build(VO_OP_PLACE, &o, buf, sizeof(buf)), -EINVAL, "market sell needs qty");
	/* cancel and query */
	cr_assert_eq(build(VO_OP_CANCEL, NULL, buf, sizeof(buf)), -EINVAL);
	o = ok, o.coid = 0;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL, "no id at all");
	/* operations REST does not carry */
	struct net_http_tmpl t;
	struct net_http_req r;

	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_QUERY, HOST, &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, sizeof(buf)), 0);
	cr_assert_eq(U->rest_build(&ctx, VO_OP_TIME, &ok, &r), -EINVAL);
	cr_assert_eq(U->rest_build(&ctx, VO_OP_SUBSCRIBE, &ok, &r), -EINVAL);
}

Test(upbit_ord, oid_length_and_characters)
{
	char buf[REQ_CAP], oid[VO_OID_MAX + 1], want[128];
	struct vo_order o = { .coid = 5, .sym = S_BTC, .oid = oid };
	int n;

	memset(oid, 'a', sizeof(oid));
	o.oid_len = VO_OID_MAX - 1;                /* 47: the longest */
	n = build(VO_OP_QUERY, &o, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	snprintf(want, sizeof(want), "GET /v1/order?uuid=%.*s HTTP/1.1\r\n", VO_OID_MAX - 1, oid);
	cr_assert_eq(memcmp(buf, want, strlen(want)), 0);
	o.oid_len = VO_OID_MAX;
	cr_assert_eq(build(VO_OP_QUERY, &o, buf, sizeof(buf)), -EINVAL);
	o.oid_len = 4;
	oid[2] = '&';
	cr_assert_eq(build(VO_OP_CANCEL, &o, buf, sizeof(buf)), -EINVAL, "& in an id");
	oid[2] = ' ';
	cr_assert_eq(build(VO_OP_CANCEL, &o, buf, sizeof(buf)), -EINVAL, "space in an id");
	o.oid_len = 0;                             /* empty: by identifier */
	n = build(VO_OP_QUERY, &o, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq(memcmp(buf, "GET /v1/order?identifier=kimp5 ", 31), 0);
}

Test(upbit_ord, client_id_prefix_and_length_boundaries)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 100, 1);
	char buf[REQ_CAP], cid[VO_CID_MAX], line[512];
	struct vo_event ev;

	/* the longest prefix and the largest coid: 32 characters */
	strcpy(ctx.prefix, "abcdefghijkl");
	ctx.prefix_len = VO_PREFIX_MAX;
	o.coid = UINT64_MAX;
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "\"identifier\":\"abcdefghijkl18446744073709551615\"}"));
	/* and back from a reply */
	snprintf(line, sizeof(line), "{\"uuid\":\"u\",\"state\":\"wait\",\"market\":\"KRW-BTC\","
		 "\"identifier\":\"abcdefghijkl18446744073709551615\"}");
	cr_assert_eq(U->rest_parse(&ctx, VO_OP_QUERY, NULL, 200, NULL, (const uint8_t *)line,
				   strlen(line), &ev), 0);
	cr_assert_eq(ev.coid, UINT64_MAX);
	/* someone else's prefix, or ours with a leading zero: not ours */
	vo_cid_format(&ctx, 1, cid);
	cr_assert_str_eq(cid, "abcdefghijkl1");
	snprintf(line, sizeof(line), "{\"uuid\":\"u\",\"state\":\"wait\",\"identifier\":\"kimp1\"}");
	cr_assert_eq(U->rest_parse(&ctx, VO_OP_QUERY, NULL, 200, NULL, (const uint8_t *)line,
				   strlen(line), &ev), 0);
	cr_assert_eq(ev.coid, 0);
	snprintf(line, sizeof(line),
		 "{\"uuid\":\"u\",\"state\":\"wait\",\"identifier\":\"abcdefghijkl01\"}");
	cr_assert_eq(U->rest_parse(&ctx, VO_OP_QUERY, NULL, 200, NULL, (const uint8_t *)line,
				   strlen(line), &ev), 0);
	cr_assert_eq(ev.coid, 0);
	/* a one-letter prefix, coid 1 */
	strcpy(ctx.prefix, "k");
	ctx.prefix_len = 1;
	o.coid = 1;
	cr_assert_gt(build(VO_OP_PLACE, &o, buf, sizeof(buf)), 0);
	cr_assert_not_null(strstr(buf, "\"identifier\":\"k1\"}"));
}

Test(upbit_ord, numbers_at_the_symbols_scales)
{
	/* KRW-XRP at px_dec 1, qty_dec 4: the smallest units */
	struct vo_order o = order(S_XRP, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 1, 1);

	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-XRP&side=bid&volume=0.0001&price=0.1&ord_type=limit&identifier=" CID,
		       "{\"market\":\"KRW-XRP\",\"side\":\"bid\",\"volume\":\"0.0001\","
		       "\"price\":\"0.1\",\"ord_type\":\"limit\",\"identifier\":\"" CID "\"}");
	o.px = 31415;
	o.qty = 123450000;
	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-XRP&side=bid&volume=12345&price=3141.5&ord_type=limit&identifier=" CID,
		       "{\"market\":\"KRW-XRP\",\"side\":\"bid\",\"volume\":\"12345\","
		       "\"price\":\"3141.5\",\"ord_type\":\"limit\",\"identifier\":\"" CID "\"}");
	o.px = INT64_MAX;
	o.qty = INT64_MAX;
	expect_request(VO_OP_PLACE, &o, "POST /v1/orders",
		       "market=KRW-XRP&side=bid&volume=922337203685477.5807&price=922337203685477580.7"
		       "&ord_type=limit&identifier=" CID,
		       "{\"market\":\"KRW-XRP\",\"side\":\"bid\",\"volume\":\"922337203685477.5807\","
		       "\"price\":\"922337203685477580.7\",\"ord_type\":\"limit\",\"identifier\":\""
		       CID "\"}");
}

Test(upbit_ord, a_request_buffer_too_small_is_enospc)
{
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC, 100, 1);
	struct net_http_tmpl t;
	struct net_http_req r;
	char buf[REQ_CAP];
	int full, err;
	size_t cap;

	full = build(VO_OP_PLACE, &o, buf, sizeof(buf));
	cr_assert_gt(full, 0);
	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_PLACE, HOST, &t), 0);
	/* the smallest buffer the builder starts in */
	for (cap = 1; net_http_req_start(&r, &t, buf, cap); cap++)
		;
	err = U->rest_build(&ctx, VO_OP_PLACE, &o, &r);
	cr_assert_eq(err, -ENOSPC);
	/* a query whose token does not fit either */
	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_QUERY, HOST, &t), 0);
	for (cap = 1; net_http_req_start(&r, &t, buf, cap); cap++)
		;
	cr_assert_eq(U->rest_build(&ctx, VO_OP_QUERY, &o, &r), -ENOSPC);
	cr_assert_eq(U->rest_tmpl(&ctx, VO_OP_KEEPALIVE, HOST, &t), 0);
	cr_assert_eq(net_http_req_start(&r, &t, buf, cap + 40), 0);
	cr_assert_eq(U->rest_build(&ctx, VO_OP_KEEPALIVE, NULL, &r), -ENOSPC);
}

/* ---- REST replies --------------------------------------------------------------- */

static int parse(enum vo_op op, const struct vo_order *o, uint16_t status, const char *body,
		 struct vo_event *ev)
{
	size_t n = strlen(body);
	uint8_t *copy = malloc(n ? n : 1);   /* exact size: overreads show under ASan */
	int err;

	cr_assert_not_null(copy);
	memcpy(copy, body, n);
	memset(ev, 0x5a, sizeof(*ev));
	err = U->rest_parse(&ctx, op, o, status, NULL, copy, n, ev);
	if (err) {
		cr_assert_lt(err, 0);
		cr_assert_lt(-err, VD_E_MAX, "a vd_err");
		cr_assert_eq(ev->kind, VO_EV_NONE, "an error leaves nothing to mistake for data");
	} else {
		/* text fields point into the input: keep them readable */
		if (ev->msg) {
			cr_assert(ev->msg >= (const char *)copy &&
				  ev->msg + ev->msg_len <= (const char *)copy + n);
			ev->msg = body + (ev->msg - (const char *)copy);
		}
	}
	free(copy);
	return err;
}

static char *rest_line(unsigned i)
{
	char *l = test_fixture_line("upbit-rest-order.jsonl", i);

	cr_assert_not_null(l, "upbit-rest-order.jsonl line %u", i);
	return l;
}

#define E8 100000000ll

Test(upbit_ord, rest_order_captures)
{
	struct vo_order o = { .coid = 77, .sym = S_BTC };
	struct vo_event ev;
	char *l;

	/* 1: POST /v1/orders 201, limit sell resting */
	l = rest_line(0);
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 201, l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.http_status, 201);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_str_eq(ev.oid, "cdd92199-2897-4e14-9448-f923320408ad");
	cr_assert_eq(ev.coid, 0, "no identifier, no order given");
	cr_assert_eq(ev.px, 140000000 * E8);
	cr_assert_eq(ev.qty, E8);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.cum_quote, 0);
	cr_assert_eq(ev.cum_fee, 0);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	cr_assert_eq(ev.fee_asset, 0);
	cr_assert_eq(ev.outcome, VO_OUT_NONE);
	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, l, &ev), 0);
	cr_assert_eq(ev.coid, 77, "the order asked about, when the reply names none");
	free(l);

	/* 2: the cancel-accepted order (asynchronous: still wait) */
	l = rest_line(1);
	cr_assert_eq(parse(VO_OP_CANCEL, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 140000000 * E8);
	cr_assert_eq(ev.qty, E8);
	free(l);

	/* 3: a market sell done, funds from trades[], a fee finer than 1e-8 */
	l = rest_line(2);
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, l, &ev), 0);
	cr_assert_eq(ev.sym, S_USDT);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.px, 0, "a market order has no unit price");
	cr_assert_eq(ev.qty, 537759400);
	cr_assert_eq(ev.cum_qty, 537759400);
	cr_assert_eq(ev.cum_quote, 739419175000ll, "7394.19175");
	cr_assert_eq(ev.cum_fee, 369709588, "3.697095875 rounded half up at 8 decimals");
	cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	cr_assert_str_eq(ev.oid, "3b67e543-8ad3-48d0-8451-0dad315cae73");
	free(l);

	/* 4: a limit buy waiting, trades[] empty */
	l = rest_line(3);
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.px, 155772000 * E8);
	cr_assert_eq(ev.qty, 10000);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.cum_quote, 0);
	free(l);

	/* 5: a market buy by total, ended cancel with dust (and the +09:0 typo) */
	l = rest_line(4);
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, l, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.px, 0, "price is the total, not a unit price");
	cr_assert_eq(ev.qty, 0);
	cr_assert_eq(ev.cum_qty, 3736);
	cr_assert_eq(ev.cum_quote, 599979184000ll);
	cr_assert_eq(ev.cum_fee, 299989592);
	free(l);
	cr_assert_null(test_fixture_line("upbit-rest-order.jsonl", 5), "no line left unchecked");
}

Test(upbit_ord, rest_order_states)
{
	static const struct {
		const char *state, *ev;
		uint8_t want;
	} c[] = {
		{ "wait", "0", KIMP_ORD_ACKED },
		{ "wait", "0.5", KIMP_ORD_PARTIAL },
		{ "watch", "0", KIMP_ORD_ACKED },
		{ "done", "1", KIMP_ORD_FILLED },
		{ "cancel", "0", KIMP_ORD_CANCELLED },
		{ "cancel", "0.5", KIMP_ORD_CANCELLED },
		{ "prevented", "0", KIMP_ORD_CANCELLED },
	};
	char line[512];
	struct vo_event ev;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(line, sizeof(line), "{\"market\":\"KRW-BTC\",\"uuid\":\"x\",\"side\":\"bid\","
			 "\"ord_type\":\"limit\",\"price\":\"100\",\"state\":\"%s\",\"volume\":\"1\","
			 "\"executed_volume\":\"%s\",\"executed_funds\":\"50\",\"paid_fee\":\"0.025\","
			 "\"identifier\":\"kimp9\"}", c[i].state, c[i].ev);
		cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), 0, "%s", line);
		cr_assert_eq(ev.state, c[i].want, "%s/%s", c[i].state, c[i].ev);
		cr_assert_eq(ev.coid, 9);
		cr_assert_eq(ev.cum_quote, 50 * E8, "executed_funds when given");
		cr_assert_eq(ev.cum_fee, 2500000);
	}
}

Test(upbit_ord, amounts_finer_than_the_scale_round_half_up)
{
	static const struct {
		const char *v;
		int64_t fee, qty;       /* at px_dec 1, at qty_dec 4 */
	} c[] = {
		{ "0.05", 1, 500 },
		{ "0.0499999", 0, 500 },
		{ "0.00005", 0, 1 },
		{ "0.000049", 0, 0 },
		{ "5E-5", 0, 1 },
		{ "1.16539E8", 1165390000, 1165390000000ll },
		{ "0E-8", 0, 0 },
		{ "0.96", 10, 9600 },
		{ "9.95", 100, 99500 },
		{ "123.456789", 1235, 1234568 },
	};
	char line[512];
	struct vo_event ev;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(line, sizeof(line), "{\"market\":\"KRW-XRP\",\"uuid\":\"x\",\"state\":\"wait\","
			 "\"paid_fee\":\"%s\",\"volume\":%s}", c[i].v, c[i].v);
		cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), 0, "%s", line);
		cr_assert_eq(ev.sym, S_XRP);
		cr_assert_eq(ev.cum_fee, c[i].fee, "%s at 1 decimal: %" PRId64, c[i].v, ev.cum_fee);
		cr_assert_eq(ev.qty, c[i].qty, "%s at 4 decimals: %" PRId64, c[i].v, ev.qty);
	}
	/* too large for int64 at the scale, negative, not a number */
	static const char *const bad[] = { "\"1e30\"", "\"-1\"", "-0.5", "\"abc\"", "\"1.\"",
					   "\"01\"", "\"1e\"", "\" 1\"", "\"1\\u0030\"",
					   "922337203685477580.8", "1E-99999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"market\":\"KRW-XRP\",\"uuid\":\"x\",\"state\":\"wait\","
			 "\"paid_fee\":%s}", bad[i]);
		int err = parse(VO_OP_QUERY, NULL, 200, line, &ev);

		if (!strcmp(bad[i], "1E-99999999")) {
			cr_assert_eq(err, 0, "a tiny number rounds to 0");
			cr_assert_eq(ev.cum_fee, 0);
			continue;
		}
		cr_assert_eq(err, -VD_E_NUMBER, "%s: %d", bad[i], err);
	}
	/* the largest that fits, rounded up into the limit, and past it */
	snprintf(line, sizeof(line), "{\"market\":\"KRW-XRP\",\"uuid\":\"x\",\"state\":\"wait\","
		 "\"paid_fee\":\"922337203685477580.74\"}");
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), 0);
	cr_assert_eq(ev.cum_fee, INT64_MAX);
	snprintf(line, sizeof(line), "{\"market\":\"KRW-XRP\",\"uuid\":\"x\",\"state\":\"wait\","
		 "\"paid_fee\":\"922337203685477580.75\"}");
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), -VD_E_NUMBER);
}

Test(upbit_ord, an_unknown_market_keeps_8_decimals)
{
	struct vo_order o = { .coid = 3, .sym = S_XRP };
	const char *l = "{\"market\":\"KRW-DOGE\",\"uuid\":\"x\",\"state\":\"wait\","
			"\"price\":\"0.12345678\","
			"\"volume\":\"1.5\",\"ord_type\":\"limit\"}";
	struct vo_event ev;

	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE, "the reply's market wins over the order's");
	cr_assert_eq(ev.px, 12345678);
	cr_assert_eq(ev.qty, 150000000);
	/* no market in the reply: the order's symbol and scales */
	l = "{\"uuid\":\"x\",\"state\":\"wait\",\"price\":\"0.15\",\"volume\":\"1.5\"}";
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, l, &ev), 0);
	cr_assert_eq(ev.sym, S_XRP);
	cr_assert_eq(ev.px, 2, "0.15 at 1 decimal");
	cr_assert_eq(ev.qty, 15000);
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, l, &ev), 0);
	cr_assert_eq(ev.sym, VENUE_SYM_NONE);
	cr_assert_eq(ev.px, 15000000);
}

Test(upbit_ord, order_objects_refused)
{
	static const char *const c[][2] = {
		{ "{\"state\":\"wait\"}", "no uuid" },
		{ "{\"uuid\":\"x\"}", "no state" },
		{ "{\"uuid\":\"x\",\"state\":\"gone\"}", "unknown state" },
		{ "{\"uuid\":\"x\",\"state\":\"trade\",\"state\":\"wait\"}", "state twice" },
		{ "{\"uuid\":1,\"state\":\"wait\"}", "uuid a number" },
		{ "{\"uuid\":\"\",\"state\":\"wait\"}", "uuid empty" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"side\":\"buy\"}", "side" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"side\":1}", "side a number" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"price\":true}", "price a bool" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"price\":{}}", "price an object" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"market\":5}", "market a number" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"ord_type\":[]}", "ord_type an array" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"identifier\":7}", "identifier a number" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"trades\":{}}", "trades an object" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"trades\":[1]}", "a trade a number" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"trades\":[{\"funds\":\"x\"}]}", "funds" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"trades\":[{\"funds\":\"1\",\"funds\":\"2\"}]}",
		  "funds twice" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"is_maker\":1}", "is_maker" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"trade_uuid\":1}", "trade_uuid" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\"} x", "trailing bytes" },
		{ "[{\"uuid\":\"x\",\"state\":\"wait\"}]", "an array" },
		{ "\"wait\"", "a string" },
		{ "", "empty" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"timestamp\":\"soon\"}", "timestamp" },
		{ "{\"uuid\":\"x\",\"state\":\"wait\",\"timestamp\":9223372036855}", "timestamp range" },
	};
	struct vo_event ev;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		cr_assert_lt(parse(VO_OP_QUERY, NULL, 200, c[i][0], &ev), 0, "%s", c[i][1]);
	/* the boundaries: a 47-character uuid is kept, 48 is refused */
	char line[256], id[64];

	memset(id, 'b', sizeof(id));
	snprintf(line, sizeof(line), "{\"uuid\":\"%.47s\",\"state\":\"wait\"}", id);
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), 0);
	cr_assert_eq(strlen(ev.oid), 47);
	snprintf(line, sizeof(line), "{\"uuid\":\"%.48s\",\"state\":\"wait\"}", id);
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200, line, &ev), -VD_E_SHAPE);
	/* the largest timestamp that fits in ns, and one past it */
	cr_assert_eq(parse(VO_OP_QUERY, NULL, 200,
			   "{\"uuid\":\"x\",\"state\":\"wait\",\"timestamp\":9223372036854}", &ev), 0);
	cr_assert_eq(ev.venue_ts_ns, 9223372036854000000ll);
}

Test(upbit_ord, keepalive_and_open_replies_on_rest_parse)
{
	struct vo_event ev;

	cr_assert_eq(parse(VO_OP_KEEPALIVE, NULL, 200, "[{\"currency\":\"KRW\",\"balance\":\"1.0\"}]",
			   &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(parse(VO_OP_OPEN, NULL, 200, "[]", &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(parse(VO_OP_KEEPALIVE, NULL, 200, "[", &ev), -VD_E_SYNTAX);
	cr_assert_eq(parse(VO_OP_TIME, NULL, 200, "{}", &ev), -VD_E_TYPE);
}

/* ---- errors ------------------------------------------------------------------------ */

static const char *code_name(int32_t code)
{
	const char *n = U->err_name(code);

	return n ? n : "(none)";
}

Test(upbit_ord, error_captures)
{
	static const struct {
		uint16_t status;        /* 0: a private-stream error frame */
		const char *name;
		uint8_t outcome;
	} want[] = {
		{ 0, "NO_TICKET", 0 }, { 0, "INVALID_PARAM", 0 }, { 0, "WRONG_FORMAT", 0 },
		{ 400, "invalid_parameter", VO_OUT_REJECTED },
		{ 400, "invalid_time_in_force", VO_OUT_REJECTED },
		{ 400, "invalid_price_bid", VO_OUT_REJECTED },
		{ 400, "invalid_price_ask", VO_OUT_REJECTED },
		{ 400, "over_krw_funds_bid", VO_OUT_REJECTED },
		{ 400, "over_krw_funds_ask", VO_OUT_REJECTED },
		{ 400, "insufficient_funds_bid", VO_OUT_REJECTED },
		{ 400, "insufficient_funds_ask", VO_OUT_REJECTED },
		{ 400, "notfoundmarket", VO_OUT_REJECTED },
		{ 403, "market_offline", VO_OUT_REJECTED },
		{ 404, "order_not_found", VO_OUT_NOT_FOUND },
		{ 404, NULL, VO_OUT_REJECTED },         /* {"name":404}: a number */
	};
	struct vo_event ev;
	char *l;
	unsigned i;

	for (i = 0; (l = test_fixture_line("upbit-errors.jsonl", i)); i++) {
		cr_assert_lt(i, sizeof(want) / sizeof(want[0]), "a line the test knows");
		/* every line as a frame of the private stream */
		cr_assert_eq(U->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)l, strlen(l), &ev), 0);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
		if (want[i].name) {
			cr_assert_str_eq(code_name(ev.code), want[i].name);
			cr_assert_geq(ev.code, 1000);
			cr_assert_eq(ev.msg_len, strlen(want[i].name));
			cr_assert_eq(memcmp(ev.msg, want[i].name, ev.msg_len), 0);
		} else {
			cr_assert_eq(ev.code, 404);
			cr_assert_null(U->err_name(404));
			cr_assert_eq(ev.msg_len, strlen("Code not found"));
		}
		if (!want[i].status) {
			free(l);
			continue;
		}
		/* REST: a query (order_not_found: no such order) */
		cr_assert_eq(parse(VO_OP_QUERY, NULL, want[i].status, l, &ev), 0);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.http_status, want[i].status);
		cr_assert_eq(ev.outcome, want[i].outcome, "%s", l);
		cr_assert_eq(ev.flags, 0, "none of these sticks or limits");
		if (want[i].name)
			cr_assert_str_eq(code_name(ev.code), want[i].name);
		/* a new order: refused; a cancel: refused, or final/unknown for not found */
		cr_assert_eq(parse(VO_OP_PLACE, NULL, want[i].status, l, &ev), 0);
		cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
		cr_assert_eq(parse(VO_OP_CANCEL, NULL, want[i].status, l, &ev), 0);
		cr_assert_eq(ev.outcome, want[i].outcome == VO_OUT_NOT_FOUND ?
			     VO_OUT_CANCEL_REJECTED : VO_OUT_REJECTED);
		free(l);
	}
	cr_assert_eq(i, sizeof(want) / sizeof(want[0]), "every line seen");
}

#define ERRB(name) "{\"error\":{\"name\":\"" name "\",\"message\":\"m\"}}"

Test(upbit_ord, auth_rate_ban_and_server_errors)
{
	static const struct {
		uint16_t status;
		const char *body;
		uint8_t outcome, flags;
	} c[] = {
		{ 401, ERRB("jwt_verification"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("invalid_query_payload"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("expired_access_key"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("no_authorization_ip"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("no_authorization_token"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("invalid_access_key"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 403, ERRB("out_of_scope"), VO_OUT_REJECTED, VO_F_AUTH },
		{ 401, ERRB("nonce_used"), VO_OUT_REJECTED, 0 },
		{ 400, ERRB("duplicated_identifier"), VO_OUT_UNKNOWN, 0 },
		{ 400, ERRB("under_min_total_bid"), VO_OUT_REJECTED, 0 },
		{ 400, ERRB("validation_error"), VO_OUT_REJECTED, 0 },
		{ 429, ERRB("too_many_requests"), VO_OUT_UNKNOWN, VO_F_RATE },
		{ 429, "", VO_OUT_UNKNOWN, VO_F_RATE },
		{ 418, ERRB("too_many_requests"), VO_OUT_UNKNOWN, VO_F_BAN },
		{ 500, ERRB("server_error"), VO_OUT_UNKNOWN, 0 },
		{ 503, "", VO_OUT_UNKNOWN, 0 },
		{ 502, "<html>bad gateway</html>", VO_OUT_UNKNOWN, 0 },
		{ 200, ERRB("server_error"), VO_OUT_UNKNOWN, 0 },
		{ 400, ERRB("something_new"), VO_OUT_REJECTED, 0 },
	};
	struct vo_event ev;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_assert_eq(parse(VO_OP_PLACE, NULL, c[i].status, c[i].body, &ev), 0, "%s",
			     c[i].body);
		cr_assert_eq(ev.kind, VO_EV_ERROR);
		cr_assert_eq(ev.outcome, c[i].outcome, "%u %s", c[i].status, c[i].body);
		cr_assert_eq(ev.flags, c[i].flags, "%u %s", c[i].status, c[i].body);
		if (c[i].flags & VO_F_RATE)
			cr_assert_eq(ev.retry_at_ms, (uint64_t)(NOW_MS / 1000 + 1) * 1000,
				     "the next second");
		else
			cr_assert_eq(ev.retry_at_ms, 0, "the ban's end is unknown without Retry-After");
	}
	/* names: a stable code per name, an unknown one kept as text */
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 400, ERRB("something_new"), &ev), 0);
	cr_assert_eq(ev.code, 1999);
	cr_assert_null(U->err_name(ev.code));
	cr_assert_eq(memcmp(ev.msg, "something_new", ev.msg_len), 0);
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 503, "", &ev), 0);
	cr_assert_eq(ev.code, 0);
	cr_assert_null(ev.msg);
	cr_assert_str_eq(U->err_name(1000), "validation_error");
	cr_assert_null(U->err_name(999));
	cr_assert_null(U->err_name(0));
	for (int32_t k = 1000; U->err_name(k); k++) {
		char b[256];

		snprintf(b, sizeof(b), ERRB("%s"), U->err_name(k));
		cr_assert_eq(parse(VO_OP_QUERY, NULL, 400, b, &ev), 0);
		cr_assert_eq(ev.code, k, "%s round trips", b);
	}
	/* a 4xx whose body is not the venue's is refused, never guessed */
	cr_assert_lt(parse(VO_OP_PLACE, NULL, 400, "<html>", &ev), 0);
	cr_assert_lt(parse(VO_OP_PLACE, NULL, 400, "", &ev), 0);
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 400, "{\"error\":{\"message\":\"m\"}}", &ev),
		     -VD_E_SHAPE, "no name");
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 400, "{\"error\":\"x\"}", &ev), -VD_E_SHAPE);
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 400, "{\"error\":{\"name\":-4}}", &ev),
		     -VD_E_NUMBER);
	cr_assert_eq(parse(VO_OP_PLACE, NULL, 400, "{\"error\":{\"name\":\"x\",\"message\":1}}",
			   &ev), -VD_E_SHAPE);
}

/* A response from raw bytes, parsed by libnet's parser; then rest_parse. */
static int parse_raw(enum vo_op op, const char *raw, struct vo_event *ev,
		     struct net_http_parser *p)
{
	static char buf[4096];
	struct net_http_str b;
	size_t n = strlen(raw);

	memcpy(buf, raw, n + 1);
	cr_assert_eq(net_http_parser_init(p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(p, buf, n), NET_HTTP_DONE);
	b = net_http_body(p);
	return U->rest_parse(&ctx, op, NULL, p->status, p, (const uint8_t *)(b.p ? b.p : ""),
			     b.len, ev);
}

Test(upbit_ord, remaining_req_and_retry_after_from_the_headers)
{
	static const char ok[] = "{\"uuid\":\"x\",\"state\":\"wait\"}";
	static const char tm[] = ERRB("too_many_requests");
	struct net_http_parser p;
	struct vo_event ev;
	char raw[1024];

	snprintf(raw, sizeof(raw), "HTTP/1.1 201 Created\r\nRemaining-Req: group=order; min=480; "
		 "sec=7\r\nContent-Length: %zu\r\n\r\n%s", strlen(ok), ok);
	cr_assert_eq(parse_raw(VO_OP_PLACE, raw, &ev, &p), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_str_eq(U->rates[ev.rate.v[0].rule].name, "order");
	cr_assert_eq(ev.rate.v[0].is_left, 1);
	cr_assert_eq(ev.rate.v[0].value, 7);

	snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nremaining-req: group=default; min=1800; "
		 "sec=0\r\nContent-Length: %zu\r\n\r\n%s", strlen(ok), ok);
	cr_assert_eq(parse_raw(VO_OP_QUERY, raw, &ev, &p), 0);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_str_eq(U->rates[ev.rate.v[0].rule].name, "default");
	cr_assert_eq(ev.rate.v[0].value, 0);

	/* a group that is not one of the table's, a header without sec: nothing */
	snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nRemaining-Req: group=market; min=600; sec=9\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(ok), ok);
	cr_assert_eq(parse_raw(VO_OP_QUERY, raw, &ev, &p), 0);
	cr_assert_eq(ev.rate.n, 0);
	snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nRemaining-Req: group=order; min=600\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(ok), ok);
	cr_assert_eq(parse_raw(VO_OP_QUERY, raw, &ev, &p), 0);
	cr_assert_eq(ev.rate.n, 0);

	/* 429 and 418 with Retry-After (exsim sends it with its 418) */
	snprintf(raw, sizeof(raw), "HTTP/1.1 429 Too Many Requests\r\nRemaining-Req: group=order; "
		 "min=480; sec=0\r\nRetry-After: 2\r\nContent-Length: %zu\r\n\r\n%s", strlen(tm), tm);
	cr_assert_eq(parse_raw(VO_OP_PLACE, raw, &ev, &p), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN, "a 429 on a new order does not prove a refusal");
	cr_assert_eq(ev.flags, VO_F_RATE);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 2000);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].value, 0);
	snprintf(raw, sizeof(raw), "HTTP/1.1 418 I'm a teapot\r\nRetry-After: 64\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(tm), tm);
	cr_assert_eq(parse_raw(VO_OP_QUERY, raw, &ev, &p), 0);
	cr_assert_eq(ev.flags, VO_F_BAN);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.retry_at_ms, (uint64_t)NOW_MS + 64000);
	/* a Retry-After that is a date: unknown end */
	snprintf(raw, sizeof(raw), "HTTP/1.1 418 I'm a teapot\r\nRetry-After: Wed, 21 Oct 2015 "
		 "07:28:00 GMT\r\nContent-Length: %zu\r\n\r\n%s", strlen(tm), tm);
	cr_assert_eq(parse_raw(VO_OP_QUERY, raw, &ev, &p), 0);
	cr_assert_eq(ev.retry_at_ms, 0);
	/* exsim's bare 503 */
	cr_assert_eq(parse_raw(VO_OP_PLACE, "HTTP/1.1 503 Service Unavailable\r\nRemaining-Req: "
			       "group=order; min=480; sec=5\r\nContent-Length: 0\r\n\r\n", &ev, &p), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);
	cr_assert_eq(ev.rate.n, 1);
	cr_assert_eq(ev.rate.v[0].value, 5);
}

/* ---- open orders ----------------------------------------------------------------- */

struct seen {
	unsigned n;
	struct vo_event ev[8];
};

static void collect(void *arg, const struct vo_event *ev)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->ev[s->n] = *ev;
	s->n++;
}

Test(upbit_ord, open_orders_list)
{
	char *a = rest_line(0), *b = rest_line(3), body[4096];
	struct seen s = { 0 };
	int n;

	snprintf(body, sizeof(body), " [ %s , %s ] ", a, b);
	n = U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body), collect, &s);
	cr_assert_eq(n, 2);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.ev[0].kind, VO_EV_ORDER);
	cr_assert_str_eq(s.ev[0].oid, "cdd92199-2897-4e14-9448-f923320408ad");
	cr_assert_eq(s.ev[0].state, KIMP_ORD_ACKED);
	cr_assert_eq(s.ev[1].px, 155772000 * E8);
	cr_assert_eq(s.ev[1].http_status, 200);

	memset(&s, 0, sizeof(s));
	cr_assert_eq(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)"[]", 2, collect, &s), 0);
	cr_assert_eq(s.n, 0);
	/* a bad element anywhere: nothing handed out */
	snprintf(body, sizeof(body), "[%s,{\"uuid\":\"x\",\"state\":\"?\"}]", a);
	cr_assert_eq(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body),
					collect, &s), -VD_E_SHAPE);
	cr_assert_eq(s.n, 0);
	snprintf(body, sizeof(body), "[%s,7]", a);
	cr_assert_eq(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body),
					collect, &s), -VD_E_SHAPE);
	snprintf(body, sizeof(body), "[%s", a);
	cr_assert_eq(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)body, strlen(body),
					collect, &s), -VD_E_SYNTAX);
	cr_assert_lt(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)a, strlen(a), collect, &s),
		     0, "an object is not a list");
	cr_assert_eq(s.n, 0);
	/* an error reply: its event, and never an empty list */
	cr_assert_eq(U->rest_parse_list(&ctx, 429, NULL, (const uint8_t *)ERRB("too_many_requests"),
					strlen(ERRB("too_many_requests")), collect, &s), -VD_E_TYPE);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.ev[0].kind, VO_EV_ERROR);
	cr_assert_eq(s.ev[0].flags, VO_F_RATE);
	free(a);
	free(b);
}

/* ---- the private stream ------------------------------------------------------------- */

static int wsp(const char *msg, struct vo_event *ev)
{
	size_t n = strlen(msg);
	uint8_t *copy = malloc(n ? n : 1);
	int err;

	memcpy(copy, msg, n);
	memset(ev, 0x5a, sizeof(*ev));
	err = U->ws_parse(&ctx, VO_CH_PRIV, copy, n, ev);
	if (err)
		cr_assert_eq(ev->kind, VO_EV_NONE);
	else if (ev->msg)
		ev->msg = msg + (ev->msg - (const char *)copy);
	free(copy);
	return err;
}

Test(upbit_ord, private_upgrade_and_subscription)
{
	char out[256], hdr[2048], jwt[2048], want[2200];
	int n;

	ref_token(NULL, jwt, sizeof(jwt));
	snprintf(want, sizeof(want), "Authorization: Bearer %s\r\n", jwt);
	n = U->ws_headers(&ctx, VO_CH_PRIV, hdr, sizeof(hdr));
	cr_assert_eq(n, (int)strlen(want));
	cr_assert_str_eq(hdr, want);
	cr_assert_eq(U->ws_headers(&ctx, VO_CH_PRIV, hdr, (size_t)n + 1), n, "exact room");
	cr_assert_eq(U->ws_headers(&ctx, VO_CH_PRIV, hdr, (size_t)n), -ENOSPC);
	cr_assert_eq(U->ws_headers(&ctx, VO_CH_REST, hdr, sizeof(hdr)), 0);
	cr_assert_eq(U->ws_headers(&ctx, VO_CH_WSAPI, hdr, sizeof(hdr)), 0);

	n = U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out));
	cr_assert_str_eq(out, "[{\"ticket\":\"" NONCE "\"},{\"type\":\"myOrder\"},"
			 "{\"format\":\"DEFAULT\"}]");
	cr_assert_eq(n, (int)strlen(out));
	cr_assert_eq(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, (size_t)n + 1), n);
	cr_assert_eq(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, (size_t)n),
		     -ENOSPC);
	cr_assert_eq(U->ws_build(&ctx, VO_CH_WSAPI, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	cr_assert_eq(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_PLACE, NULL, 1, out, sizeof(out)),
		     -EINVAL);
	/* what exsim checks: an array of objects, a ticket, myOrder without codes */
	struct jr_tok t[64];

	cr_assert_gt(jr_parse(out, (size_t)n, t, 64), 0);
	cr_assert_eq(t[0].type, JR_ARR);
	cr_assert_lt(jr_get(out, t, jr_at(t, 0, 1), "codes"), 0);
	/* a fresh ticket per subscription */
	char o2[256];

	ctx.fixed_nonce = NULL;
	cr_assert_gt(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out, sizeof(out)), 0);
	cr_assert_gt(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, o2, sizeof(o2)), 0);
	cr_assert_str_neq(out, o2);
}

static void expect_sgd_capture(const struct vo_event *ev, uint32_t sym)
{
	cr_assert_eq(ev->kind, VO_EV_ORDER);
	cr_assert_eq(ev->sym, sym);
	cr_assert_eq(ev->state, KIMP_ORD_PARTIAL, "trade with volume remaining");
	cr_assert_eq(ev->side, KIMP_SIDE_BUY);
	cr_assert_str_eq(ev->oid, "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
	cr_assert_eq(ev->coid, 0, "no identifier in the capture");
	cr_assert_eq(ev->flags, VO_F_LAST | VO_F_CUM_FEE, "a taker fill? is_maker absent: not maker");
	cr_assert_eq(ev->last_px, 145300, "0.001453");
	cr_assert_eq(ev->last_qty, 3092589129839369ll);
	cr_assert_eq(ev->last_fee, 0, "no trade_fee in the capture");
	cr_assert_eq(ev->trade_id, 0, "no trade_uuid in the capture");
	cr_assert_eq(ev->px, 0, "price is the fill's in a trade");
	cr_assert_eq(ev->qty, 0);
	cr_assert_eq(ev->cum_qty, 3092589129839369ll);
	cr_assert_eq(ev->cum_quote, 4493532005657ll, "44935.32005656603 rounded");
	cr_assert_eq(ev->cum_fee, 2246766003ll, "22.467660028283017 rounded");
	cr_assert_eq(ev->venue_ts_ns, 1710751597500ll * 1000000, "timestamp (no trade_timestamp)");
	cr_assert_eq(ev->http_status, 0);
	cr_assert_eq(ev->fee_asset, 0);
}

/* DEFAULT keys to SIMPLE ones (1.5), each "key": exactly. */
static char *to_simple(const char *s)
{
	static const char *const k[][2] = {
		{ "type", "ty" }, { "code", "cd" }, { "uuid", "uid" }, { "ask_bid", "ab" },
		{ "order_type", "ot" }, { "state", "s" }, { "trade_uuid", "tuid" },
		{ "price", "p" }, { "avg_price", "ap" }, { "volume", "v" },
		{ "remaining_volume", "rv" }, { "executed_volume", "ev" },
		{ "trades_count", "tc" }, { "reserved_fee", "rsf" }, { "remaining_fee", "rmf" },
		{ "paid_fee", "pf" }, { "locked", "l" }, { "executed_funds", "ef" },
		{ "time_in_force", "tif" }, { "trade_fee", "tf" }, { "is_maker", "im" },
		{ "identifier", "id" }, { "smp_type", "smpt" }, { "prevented_volume", "pv" },
		{ "prevented_locked", "pl" }, { "trade_timestamp", "ttms" },
		{ "order_timestamp", "otms" }, { "timestamp", "tms" }, { "stream_type", "st" },
	};
	char *out = strdup(s);

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		char from[64], to[64], *p;

		snprintf(from, sizeof(from), "\"%s\":", k[i][0]);
		snprintf(to, sizeof(to), "\"%s\":", k[i][1]);
		while ((p = strstr(out, from))) {
			memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
			memcpy(p, to, strlen(to));
		}
	}
	return out;
}

Test(upbit_ord, myorder_capture_default_and_simple)
{
	char *l = test_fixture_line("upbit-myorder.jsonl", 0), *s;
	struct vo_event ev;

	cr_assert_not_null(l);
	cr_assert_eq(wsp(l, &ev), 0);
	expect_sgd_capture(&ev, S_SGD);
	s = to_simple(l);
	cr_assert_not_null(strstr(s, "\"ty\":\"myOrder\""));
	cr_assert_null(strstr(s, "\"volume\":"));
	cr_assert_eq(wsp(s, &ev), 0);
	expect_sgd_capture(&ev, S_SGD);
	/* a table without the SGD market: not ours, the same figures at 8 decimals */
	ctx.syms = &tab_krw;
	cr_assert_eq(wsp(l, &ev), 0);
	expect_sgd_capture(&ev, VENUE_SYM_NONE);
	cr_assert_null(test_fixture_line("upbit-myorder.jsonl", 1));
	free(s);
	free(l);
}

/* exsim's myOrder writer: every field, nulls, Java double forms. */
#define MO_HEAD "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\"," \
		"\"uuid\":\"0a1b2c3d-0000-4000-8000-000000000001\","

Test(upbit_ord, myorder_events_as_exsim_writes_them)
{
	struct vo_event ev;
	const char *trade_fill =
		MO_HEAD "\"ask_bid\":\"ASK\",\"order_type\":\"limit\",\"state\":\"trade\","
		"\"trade_uuid\":\"7e57e57e-0000-4000-8000-000000000009\",\"price\":1.4E8,"
		"\"avg_price\":1.4E8,\"volume\":0.5,\"remaining_volume\":0.0,\"executed_volume\":1.0,"
		"\"trades_count\":2,\"reserved_fee\":70000.0,\"remaining_fee\":0.0,\"paid_fee\":70000.0,"
		"\"locked\":0.0,\"executed_funds\":1.4E8,\"time_in_force\":null,\"trade_fee\":35000.0,"
		"\"is_maker\":true,\"identifier\":\"kimp42\",\"smp_type\":null,\"prevented_volume\":0.0,"
		"\"prevented_locked\":0.0,\"trade_timestamp\":1710751597400,"
		"\"order_timestamp\":1710751590000,\"timestamp\":1710751597500,"
		"\"stream_type\":\"REALTIME\"}";
	const char *wait_buy =
		MO_HEAD "\"ask_bid\":\"BID\",\"order_type\":\"price\",\"state\":\"wait\","
		"\"trade_uuid\":null,\"price\":10000.0,\"avg_price\":0.0,\"volume\":null,"
		"\"remaining_volume\":null,\"executed_volume\":0.0,\"trades_count\":0,"
		"\"reserved_fee\":5.0,\"remaining_fee\":5.0,\"paid_fee\":0.0,\"locked\":10005.0,"
		"\"executed_funds\":0.0,\"time_in_force\":null,\"trade_fee\":null,\"is_maker\":null,"
		"\"identifier\":\"kimp43\",\"smp_type\":null,\"prevented_volume\":0.0,"
		"\"prevented_locked\":0.0,\"trade_timestamp\":null,\"order_timestamp\":1710751590000,"
		"\"timestamp\":1710751590001,\"stream_type\":\"REALTIME\"}";
	const char *partial_buy =
		MO_HEAD "\"ask_bid\":\"BID\",\"order_type\":\"price\",\"state\":\"trade\","
		"\"trade_uuid\":\"7e57e57e-0000-4000-8000-00000000000a\",\"price\":1.4E8,"
		"\"avg_price\":1.4E8,\"volume\":5.0E-5,\"remaining_volume\":null,"
		"\"executed_volume\":5.0E-5,\"trades_count\":1,\"reserved_fee\":5.0,"
		"\"remaining_fee\":1.5,\"paid_fee\":3.5,\"locked\":3005.0,\"executed_funds\":7000.0,"
		"\"time_in_force\":null,\"trade_fee\":3.5,\"is_maker\":false,\"identifier\":\"kimp43\","
		"\"smp_type\":null,\"prevented_volume\":0.0,\"prevented_locked\":0.0,"
		"\"trade_timestamp\":1710751590002,\"order_timestamp\":1710751590000,"
		"\"timestamp\":1710751590003,\"stream_type\":\"REALTIME\"}";

	cr_assert_eq(wsp(trade_fill, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED, "remaining_volume 0");
	cr_assert_eq(ev.side, KIMP_SIDE_SELL);
	cr_assert_eq(ev.coid, 42);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_MAKER | VO_F_CUM_FEE);
	cr_assert_eq(ev.last_px, 140000000 * E8);
	cr_assert_eq(ev.last_qty, 50000000);
	cr_assert_eq(ev.last_fee, 35000 * E8);
	cr_assert_neq(ev.trade_id, 0);
	cr_assert_eq(ev.cum_qty, E8);
	cr_assert_eq(ev.cum_quote, 140000000 * E8);
	cr_assert_eq(ev.cum_fee, 70000 * E8);
	cr_assert_eq(ev.venue_ts_ns, 1710751597400ll * 1000000, "the fill's time");
	uint64_t tid = ev.trade_id;
	char *s = to_simple(trade_fill);

	cr_assert_eq(wsp(s, &ev), 0);
	cr_assert_eq(ev.trade_id, tid, "the same fill, the same id");
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_MAKER | VO_F_CUM_FEE);
	free(s);

	cr_assert_eq(wsp(wait_buy, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.side, KIMP_SIDE_BUY);
	cr_assert_eq(ev.coid, 43);
	cr_assert_eq(ev.px, 0, "ord_type price: no unit price");
	cr_assert_eq(ev.qty, 0);
	cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	cr_assert_eq(ev.venue_ts_ns, 1710751590001ll * 1000000);

	cr_assert_eq(wsp(partial_buy, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_PARTIAL, "remaining_volume null: not known to be done");
	cr_assert_eq(ev.flags, VO_F_LAST | VO_F_CUM_FEE);
	cr_assert_eq(ev.last_qty, 5000);
	cr_assert_eq(ev.last_fee, 350000000);
	cr_assert_eq(ev.cum_quote, 7000 * E8);

	/* the order's own ends */
	static const struct {
		const char *state;
		uint8_t want;
	} ends[] = { { "done", KIMP_ORD_FILLED }, { "cancel", KIMP_ORD_CANCELLED },
		     { "prevented", KIMP_ORD_CANCELLED }, { "watch", KIMP_ORD_ACKED } };
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		char m[512];

		snprintf(m, sizeof(m), MO_HEAD "\"ask_bid\":\"ASK\",\"order_type\":\"limit\","
			 "\"state\":\"%s\",\"price\":1.4E8,\"volume\":1.0,\"remaining_volume\":0.0,"
			 "\"executed_volume\":1.0,\"paid_fee\":70000.0,\"executed_funds\":1.4E8,"
			 "\"identifier\":\"kimp42\",\"timestamp\":1}", ends[i].state);
		cr_assert_eq(wsp(m, &ev), 0);
		cr_assert_eq(ev.state, ends[i].want == KIMP_ORD_ACKED ? KIMP_ORD_PARTIAL :
			     ends[i].want, "%s", ends[i].state);
		cr_assert_eq(ev.px, 140000000 * E8);
		cr_assert_eq(ev.qty, E8);
		cr_assert_eq(ev.flags, VO_F_CUM_FEE);
	}
}

Test(upbit_ord, myasset_status_and_other_frames)
{
	char *l = test_fixture_line("upbit-myasset.jsonl", 0), *s;
	struct vo_event ev;

	cr_assert_not_null(l);
	cr_assert_eq(wsp(l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.venue_ts_ns, 1710146517267ll * 1000000);
	s = to_simple(l);
	cr_assert_eq(wsp(s, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	free(s);
	free(l);
	cr_assert_eq(wsp("{\"status\":\"UP\"}", &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	l = test_fixture_line("upbit-ws-control.jsonl", 2);
	cr_assert_str_eq(l, "{\"status\":\"UP\"}");
	cr_assert_eq(wsp(l, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	free(l);
	/* an error frame: the subscription is refused */
	cr_assert_eq(wsp("{\"error\":{\"name\":\"INVALID_AUTH\",\"message\":\"m\"}}", &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	cr_assert_eq(ev.flags, VO_F_AUTH);
	cr_assert_eq(wsp("{\"error\":{\"name\":\"TOO_MANY_REQUEST\",\"message\":\"m\"}}", &ev), 0);
	cr_assert_eq(ev.flags, VO_F_RATE);
	/* what the private stream does not carry */
	cr_assert_eq(wsp("{\"type\":\"ticker\",\"code\":\"KRW-BTC\"}", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("{\"status\":\"DOWN\"}", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("{}", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("[{\"type\":\"myOrder\"}]", &ev), -VD_E_TYPE);
	cr_assert_eq(wsp("{\"type\":7}", &ev), -VD_E_SHAPE);
	cr_assert_eq(wsp("{\"type\":\"myOrder\",\"code\":\"KRW-BTC\"}", &ev), -VD_E_SHAPE,
		     "no uuid");
	cr_assert_eq(wsp("PING", &ev), -VD_E_SYNTAX);
	/* channels without a stream here */
	cr_assert_eq(U->ws_parse(&ctx, VO_CH_WSAPI, (const uint8_t *)"{\"status\":\"UP\"}", 15, &ev),
		     -VD_E_TYPE);
}

/* ---- truncation: every prefix of every capture is refused, never read past ---- */

static void each_prefix(const char *line, bool rest, uint16_t status)
{
	size_t n = strlen(line);

	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		struct vo_event ev;
		int err;

		memcpy(p, line, k);
		if (rest)
			err = U->rest_parse(&ctx, VO_OP_QUERY, NULL, status, NULL, p, k, &ev);
		else
			err = U->ws_parse(&ctx, VO_CH_PRIV, p, k, &ev);
		free(p);
		/* a body cut short is never an order; only a 5xx/429 stands without one */
		cr_assert_lt(err, 0, "%s prefix %zu of %s", rest ? "rest" : "ws", k, line);
		cr_assert_eq(ev.kind, VO_EV_NONE);
	}
}

Test(upbit_ord, every_prefix_of_every_capture_is_refused)
{
	static const char *const files[] = { "upbit-rest-order.jsonl", "upbit-myorder.jsonl",
					     "upbit-myasset.jsonl", "upbit-errors.jsonl" };
	char *l;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (unsigned i = 0; (l = test_fixture_line(files[f], i)); i++) {
			bool rest = f == 0 || f == 3;

			each_prefix(l, rest, f == 3 ? 400 : 200);
			if (f == 3)
				each_prefix(l, false, 0);
			free(l);
		}
}

Test(upbit_ord, junk_and_deep_nesting_never_crash)
{
	static const char *const junk[] = {
		"{", "}", "[", "{\"", "{\"uuid\"", "{\"uuid\":", "{\"uuid\":}", "{,}", "{\"a\":1,}",
		"{\"a\" 1}", "nul", "tru", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}", "{\"a\":01}",
		"{\"a\":1e}", "{\"a\":-}", "\xff\xfe", "{\"error\":{\"name\":\"x\"", "{\"error\":[]}",
		"{\"trades\":[{]}", "{\"uuid\":\"x\",\"state\":\"wait\",\"trades\":[{\"funds\":1}",
	};
	struct vo_event ev;
	char deep[200];

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		cr_assert_lt(parse(VO_OP_QUERY, NULL, 200, junk[i], &ev), 0, "%s", junk[i]);
		cr_assert_lt(parse(VO_OP_QUERY, NULL, 400, junk[i], &ev), 0, "%s", junk[i]);
		cr_assert_lt(wsp(junk[i], &ev), 0, "%s", junk[i]);
	}
	memset(deep, '[', sizeof(deep));
	deep[sizeof(deep) - 1] = 0;
	char obj[256];

	snprintf(obj, sizeof(obj), "{\"x\":%s}", deep);
	cr_assert_lt(parse(VO_OP_QUERY, NULL, 200, obj, &ev), 0);
	cr_assert_lt(wsp(obj, &ev), 0);
	cr_assert_lt(U->rest_parse_list(&ctx, 200, NULL, (const uint8_t *)deep, strlen(deep), collect,
					&(struct seen){ 0 }), 0);
}

/* ---- the hot path: no system call, no allocation --------------------------------- */

#define JAIL_ROUNDS 50

static void noop_each(void *arg, const struct vo_event *ev)
{
	(*(unsigned *)arg)++;
}

Test(upbit_ord, build_and_parse_make_no_syscall_and_allocate_nothing)
{
	static char *lines[32];
	static size_t lens[32];
	unsigned nl = 0;
	static const char *const files[] = { "upbit-rest-order.jsonl", "upbit-myorder.jsonl",
					     "upbit-myasset.jsonl", "upbit-errors.jsonl" };
	static char raw[1024], list[4096];
	struct net_http_tmpl tm[VO_OP_N];
	struct net_http_parser hp;
	struct vo_order o = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_IOC, 100 * E8, 1000);
	static const char tmr[] = ERRB("too_many_requests");
	pid_t pid;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (unsigned i = 0; nl < 32 && (lines[nl] = test_fixture_line(files[f], i)); i++)
			lens[nl] = strlen(lines[nl]), nl++;
	cr_assert_geq(nl, 20);
	for (int op = VO_OP_PLACE; op <= VO_OP_KEEPALIVE; op++)
		if (op != VO_OP_TIME)
			cr_assert_eq(U->rest_tmpl(&ctx, (enum vo_op)op, HOST, &tm[op]), 0);
	snprintf(raw, sizeof(raw), "HTTP/1.1 429 Too Many Requests\r\nRemaining-Req: group=order; "
		 "min=480; sec=0\r\nRetry-After: 1\r\nContent-Length: %zu\r\n\r\n%s", strlen(tmr), tmr);
	cr_assert_eq(net_http_parser_init(&hp, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&hp, raw, strlen(raw)), NET_HTTP_DONE);
	snprintf(list, sizeof(list), "[%s,%s]", lines[0], lines[3]);
	ctx.fixed_nonce = NULL;         /* the real nonce path */

	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = 0;
		unsigned ok = 0, bad = 0, listed = 0;
		char buf[REQ_CAP], out[2048];
		struct vo_event ev;

		/* warm every path once outside the jail */
		for (int round = 0; round < JAIL_ROUNDS + 1; round++) {
			if (round == 1) {
				before = mallinfo2().uordblks;
				if (test_jail())
					_exit(2);
			}
			for (int op = VO_OP_PLACE; op <= VO_OP_KEEPALIVE; op++) {
				struct net_http_req r;

				if (op == VO_OP_TIME)
					continue;
				o.type = (uint8_t)(round % 3);
				o.quote_qty = 5000 * E8;
				if (net_http_req_start(&r, &tm[op], buf, sizeof(buf)) ||
				    U->rest_build(&ctx, (enum vo_op)op, &o, &r) ||
				    net_http_req_finish(&r) <= 0)
					syscall(SYS_exit, 5);
			}
			for (unsigned i = 0; i < nl; i++) {
				if (!U->rest_parse(&ctx, VO_OP_QUERY, &o, i > 5 ? 400 : 200, NULL,
						   (const uint8_t *)lines[i], lens[i], &ev))
					ok++;
				if (!U->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)lines[i], lens[i],
						 &ev))
					ok++;
				if (U->rest_parse(&ctx, VO_OP_QUERY, &o, 200, NULL,
						  (const uint8_t *)lines[i], lens[i] / 2, &ev) < 0)
					bad++;
			}
			if (U->rest_parse(&ctx, VO_OP_PLACE, &o, hp.status, &hp,
					  (const uint8_t *)net_http_body(&hp).p, net_http_body(&hp).len,
					  &ev) || !(ev.flags & VO_F_RATE))
				syscall(SYS_exit, 6);
			if (U->rest_parse_list(&ctx, 200, &hp, (const uint8_t *)list, strlen(list),
					       noop_each, &listed) != 2)
				syscall(SYS_exit, 7);
			if (U->ws_headers(&ctx, VO_CH_PRIV, out, sizeof(out)) <= 0 ||
			    U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, out,
					sizeof(out)) <= 0 ||
			    U->sign_payload(&ctx, "a=b", 3, out, sizeof(out)) <= 0)
				syscall(SYS_exit, 8);
		}
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, ok && bad && listed ? 0 : 4);
	}
	cr_assert_eq(test_wait_child(pid), 0,
		     "the order path made a syscall (SIGSYS = 159), allocated (3), parsed nothing "
		     "(4) or failed (5-8)");
	for (unsigned i = 0; i < nl; i++)
		free(lines[i]);
}

/* ---- against exsim: the bytes built here, exsim's answers parsed here ------------ */

#define XKEY    "exsimUpbitAccessKey000000000000000000000"  /* exsim's default account */
#define XSECRET "exsimUpbitSecretKey000000000000000000000"

struct xrt {
	struct simtest t;
	struct simtest_http *h;
	struct simtest_ws *ws;
	char host[32];
	struct net_http_parser p;
	char raw[1 << 16];
};

/* op on the REST connection, built by upbit_ord; the reply parsed by it into ev. */
static int x_call(struct xrt *x, enum vo_op op, const struct vo_order *o, struct vo_event *ev)
{
	struct net_http_tmpl tm;
	struct net_http_req *r;
	struct simtest_resp *resp = calloc(1, sizeof(*resp));
	struct net_http_str b;
	size_t n = 0;
	int err;

	cr_assert_not_null(resp);
	cr_assert_eq(U->rest_tmpl(&ctx, op, x->host, &tm), 0);
	r = http_client_req_begin(&x->h->c, &tm);
	cr_assert_not_null(r);
	cr_assert_eq(U->rest_build(&ctx, op, o, r), 0);
	x->h->resp = resp;
	x->h->done = false;
	cr_assert_eq(http_client_send(&x->h->c, 1), 0);
	simtest_run_until(&x->t, simtest_http_done, x->h);
	cr_assert(x->h->done);
	cr_assert_eq(resp->err, 0);
	/* the response again as bytes, for libnet's parser (headers as received) */
	n += (size_t)snprintf(x->raw, sizeof(x->raw), "HTTP/1.1 %u X\r\n", resp->status);
	for (const char *l = resp->headers; l && *l;) {
		const char *eol = strchr(l, '\n');

		memcpy(x->raw + n, l, (size_t)(eol - l));
		n += (size_t)(eol - l);
		memcpy(x->raw + n, "\r\n", 2);
		n += 2;
		l = eol + 1;
	}
	memcpy(x->raw + n, "\r\n", 2);
	n += 2;
	cr_assert_lt(n + resp->body_len, sizeof(x->raw));
	memcpy(x->raw + n, resp->body, resp->body_len);
	n += resp->body_len;
	simtest_resp_free(resp);
	cr_assert_eq(net_http_parser_init(&x->p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&x->p, x->raw, n), NET_HTTP_DONE);
	b = net_http_body(&x->p);
	err = U->rest_parse(&ctx, op, o, x->p.status, &x->p,
			    (const uint8_t *)(b.p ? b.p : ""), b.len, ev);
	cr_assert_eq(err, 0, "%u %.*s", x->p.status, (int)b.len, b.p ? b.p : "");
	return 0;
}

static bool x_has(const struct simtest_ws *c, uint32_t i, uint64_t coid, const char *state)
{
	char id[64], st[64];

	snprintf(id, sizeof(id), "\"identifier\":\"kimp%" PRIu64 "\"", coid);
	snprintf(st, sizeof(st), "\"state\":\"%s\"", state);
	return strstr(c->msg[i], id) && strstr(c->msg[i], st);
}

struct x_want {
	struct simtest_ws *c;
	uint64_t coid;
	const char *state;
};

static bool x_found(void *arg)
{
	struct x_want *w = arg;

	for (uint32_t i = 0; i < w->c->kept; i++)
		if (x_has(w->c, i, w->coid, w->state))
			return true;
	return w->c->closed;
}

/* The last myOrder event of coid in state, parsed by upbit_ord. */
static void x_myorder(struct xrt *x, uint64_t coid, const char *state, struct vo_event *ev)
{
	struct x_want w = { x->ws, coid, state };
	int last = -1;

	simtest_run_until(&x->t, x_found, &w);
	for (uint32_t i = 0; i < x->ws->kept; i++)
		if (x_has(x->ws, i, coid, state))
			last = (int)i;
	cr_assert_geq(last, 0, "myOrder kimp%" PRIu64 " %s", coid, state);
	cr_assert_eq(x->ws->op[last], WS_OP_BINARY, "H1: binary frames");
	cr_assert_eq(U->ws_parse(&ctx, VO_CH_PRIV, (const uint8_t *)x->ws->msg[last],
				 x->ws->len[last], ev), 0, "%s", x->ws->msg[last]);
}

static void x_count(void *arg, const struct vo_event *ev)
{
	if (ev->kind == VO_EV_ORDER && ev->coid == 1001)
		(*(unsigned *)arg)++;
}

Test(upbit_ord, round_trip_against_exsim)
{
	static struct xrt x;
	static struct vo_keys xk;
	struct vo_order rest = order(S_BTC, KIMP_SIDE_BUY, VO_LIMIT, KIMP_TIF_GTC,
				     1000000 * E8, 1000000);
	struct vo_order mkt = order(S_BTC, KIMP_SIDE_BUY, VO_MARKET, KIMP_TIF_GTC, 0, 0);
	struct vo_order bad = rest;
	char hdr[1000], sub[256], oid[VO_OID_MAX];
	struct vo_event ev, ws;
	unsigned listed = 0;
	struct net_http_str b;

	cr_assert_eq(U->key_init(&xk, XKEY, XSECRET, strlen(XSECRET), NULL), 0);
	ctx.keys = &xk;
	ctx.fixed_nonce = NULL;         /* exsim refuses a nonce twice */
	ctx.now_ns = 0;
	vo_ctx_seed(&ctx);
	simtest_start(&x.t, NULL);
	x.h = simtest_http_client(&x.t, "upbit");
	snprintf(x.host, sizeof(x.host), "localhost:%u", x.h->c.st.port);

	/* the private stream: the upgrade's token, then the subscription */
	cr_assert_gt(U->ws_headers(&ctx, VO_CH_PRIV, hdr, sizeof(hdr)), 0);
	x.ws = simtest_ws_open(&x.t, "upbit", false, U->ws_path(VO_CH_PRIV), hdr);
	cr_assert_gt(U->ws_build(&ctx, VO_CH_PRIV, VO_OP_SUBSCRIBE, NULL, 1, sub, sizeof(sub)), 0);
	cr_assert_eq(simtest_ws_text(x.ws, sub), 0);

	/* a limit buy far under the market rests */
	rest.coid = 1001;
	x_call(&x, VO_OP_PLACE, &rest, &ev);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.http_status, 201);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.coid, 1001);
	cr_assert_eq(ev.sym, S_BTC);
	cr_assert_eq(ev.px, 1000000 * E8);
	cr_assert_eq(ev.qty, 1000000);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.rate.n, 1, "Remaining-Req");
	cr_assert_str_eq(U->rates[ev.rate.v[0].rule].name, "order");
	cr_assert_lt(ev.rate.v[0].value, U->rates[0].limit);
	cr_assert_eq(strlen(ev.oid), 36);
	memcpy(oid, ev.oid, sizeof(oid));
	x_myorder(&x, 1001, "wait", &ws);
	cr_assert_eq(ws.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ws.oid, oid);
	cr_assert_eq(ws.px, 1000000 * E8);
	cr_assert_gt(ws.venue_ts_ns, 0);

	/* query by client id and by uuid, the open list, the keepalive */
	x_call(&x, VO_OP_QUERY, &rest, &ev);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_str_eq(ev.oid, oid);
	cr_assert_str_eq(U->rates[ev.rate.v[0].rule].name, "default");
	rest.oid = oid;
	rest.oid_len = (uint32_t)strlen(oid);
	x_call(&x, VO_OP_QUERY, &rest, &ev);
	cr_assert_eq(ev.coid, 1001);
	x_call(&x, VO_OP_OPEN, NULL, &ev);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	b = net_http_body(&x.p);
	cr_assert_eq(U->rest_parse_list(&ctx, x.p.status, &x.p, (const uint8_t *)b.p, b.len,
					x_count, &listed), 1);
	cr_assert_eq(listed, 1);
	x_call(&x, VO_OP_KEEPALIVE, NULL, &ev);
	cr_assert_eq(ev.kind, VO_EV_CONTROL);
	cr_assert_eq(ev.http_status, 200);

	/* cancel: the reply is the order still waiting; myOrder ends it */
	rest.oid = NULL;
	rest.oid_len = 0;
	x_call(&x, VO_OP_CANCEL, &rest, &ev);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	x_myorder(&x, 1001, "cancel", &ws);
	cr_assert_eq(ws.state, KIMP_ORD_CANCELLED);
	x_call(&x, VO_OP_QUERY, &rest, &ev);
	cr_assert_eq(ev.state, KIMP_ORD_CANCELLED);
	x_call(&x, VO_OP_CANCEL, &rest, &ev);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_eq(ev.http_status, 404);
	cr_assert_eq(ev.outcome, VO_OUT_CANCEL_REJECTED, "a final order's cancel");

	/* a market buy of 10,000 KRW fills; the stream and the query agree */
	mkt.coid = 1002;
	mkt.quote_qty = 10000 * E8;
	x_call(&x, VO_OP_PLACE, &mkt, &ev);
	cr_assert_eq(ev.kind, VO_EV_ORDER, "%u", ev.http_status);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED, "filled, but the reply has no funds: only acked");
	cr_assert_eq(ev.cum_qty, 0, "no fill at an unknown price");
	cr_assert_eq(ev.flags & VO_F_CUM_FEE, 0);
	x_myorder(&x, 1002, "trade", &ws);
	cr_assert(ws.flags & VO_F_LAST);
	cr_assert_gt(ws.last_px, 0);
	cr_assert_gt(ws.last_qty, 0);
	cr_assert_gt(ws.last_fee, 0);
	cr_assert_neq(ws.trade_id, 0);
	x_call(&x, VO_OP_QUERY, &mkt, &ev);
	cr_assert(ev.state == KIMP_ORD_FILLED || ev.state == KIMP_ORD_CANCELLED);
	cr_assert_eq(ev.px, 0);
	cr_assert_eq(ev.cum_qty, ws.cum_qty, "the last fill's figures");
	cr_assert_eq(ev.cum_quote, ws.cum_quote, "trades[].funds = executed_funds");
	cr_assert_eq(ev.cum_fee, ws.cum_fee);
	cr_assert_gt(ev.cum_quote, 0);
	cr_assert_leq(ev.cum_quote, 10000 * E8);

	/* refusals: a price off the tick, an unknown client id */
	bad.coid = 1003;
	bad.px = 1000001 * E8;
	x_call(&x, VO_OP_PLACE, &bad, &ev);
	cr_assert_eq(ev.kind, VO_EV_ERROR);
	cr_assert_str_eq(U->err_name(ev.code), "invalid_price_bid");
	cr_assert_eq(ev.outcome, VO_OUT_REJECTED);
	bad.coid = 999999;
	x_call(&x, VO_OP_QUERY, &bad, &ev);
	cr_assert_eq(ev.outcome, VO_OUT_NOT_FOUND);
	/* the identifier 1003 is spent even though the order failed */
	bad.coid = 1003;
	bad.px = 1000000 * E8;
	x_call(&x, VO_OP_PLACE, &bad, &ev);
	cr_assert_str_eq(U->err_name(ev.code), "duplicated_identifier");
	cr_assert_eq(ev.outcome, VO_OUT_UNKNOWN);

	simtest_ws_free(&x.t, x.ws);
	http_client_close(&x.h->c);
	simtest_bury(&x.t, x.h, x.h->buf, &x.h->c.st.tls);
	simtest_stop(&x.t);
}

/*
 * A reply that says the order filled (executed_volume) without funds or
 * trades[] (POST /v1/orders, DELETE /v1/order) is only an acknowledgement:
 * a fill at an unknown price would be reported at 0 and the real one from
 * myOrder would then look like a repeat.
 */
Test(upbit_ord, filled_reply_without_funds_is_only_an_ack)
{
	static const char body[] =
		"{\"uuid\":\"0b1c2d3e-0000-4000-8000-000000000001\",\"side\":\"bid\","
		"\"ord_type\":\"limit\",\"price\":\"140000000\",\"state\":\"done\","
		"\"market\":\"KRW-BTC\",\"created_at\":\"2026-11-21T10:00:00+09:00\","
		"\"volume\":\"0.01\",\"remaining_volume\":\"0\",\"reserved_fee\":\"700\","
		"\"remaining_fee\":\"0\",\"paid_fee\":\"700\",\"locked\":\"0\","
		"\"executed_volume\":\"0.01\",\"trades_count\":1,\"identifier\":\"kimp5\"}";
	struct vo_order o = { .coid = 5, .sym = S_BTC };
	struct vo_event ev;

	cr_assert_eq(parse(VO_OP_PLACE, &o, 201, body, &ev), 0);
	cr_assert_eq(ev.kind, VO_EV_ORDER);
	cr_assert_eq(ev.state, KIMP_ORD_ACKED);
	cr_assert_eq(ev.cum_qty, 0);
	cr_assert_eq(ev.cum_quote, 0);
	cr_assert_eq(ev.flags & (VO_F_CUM_FEE | VO_F_LAST), 0);
	cr_assert_str_eq(ev.oid, "0b1c2d3e-0000-4000-8000-000000000001");

	/* the same with executed_funds is a whole fill */
	static const char body2[] =
		"{\"uuid\":\"0b1c2d3e-0000-4000-8000-000000000001\",\"side\":\"bid\","
		"\"ord_type\":\"limit\",\"price\":\"140000000\",\"state\":\"done\","
		"\"market\":\"KRW-BTC\",\"volume\":\"0.01\",\"remaining_volume\":\"0\","
		"\"paid_fee\":\"700\",\"executed_volume\":\"0.01\",\"executed_funds\":\"1400000\","
		"\"identifier\":\"kimp5\"}";
	cr_assert_eq(parse(VO_OP_QUERY, &o, 200, body2, &ev), 0);
	cr_assert_eq(ev.state, KIMP_ORD_FILLED);
	cr_assert_eq(ev.cum_qty, E8 / 100);
	cr_assert_eq(ev.cum_quote, 1400000 * E8);
	cr_assert(ev.flags & VO_F_CUM_FEE);
}
