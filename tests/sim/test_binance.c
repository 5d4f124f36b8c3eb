/* SPDX-License-Identifier: MIT */
/*
 * exsim's Binance spot (sim/venue_binance.c), end to end against an
 * in-process exsim (simtest.h) with TLS clients that verify its CA:
 *
 *   binance_sig    the official HMAC test vectors through exsim's checkers
 *   binance_md     market streams: shapes, control messages, the official
 *                  local order book procedure, the gap fault, limits,
 *                  connection life, determinism
 *   binance_rest   REST: public endpoints, signed order paths, every
 *                  signature failure, filters, 429 / 418, faults
 *   binance_wsapi  the WebSocket API: responses, errors, user data
 *                  streams (executionReport against the ledger), logon
 *
 * Every message kind is compared with the captures in
 * shared/fixtures/venues/binance-*.jsonl by json_same_shape (shape.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include "kimp/sign.h"
#include "simtest.h"
#include "shape.h"
#include "../testutil.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Binance alone: these tests need no other venue. */
#define SCN_NO_UPBIT "[venue.upbit]\nenabled = false\n"

#define TOKS 32768

struct jdoc {
	const char *s;
	int n;
	struct jr_tok *t;
};

static struct jr_tok doc_toks[4][TOKS];

/* Parse s with token set 'slot' (0..3): a few documents may be open at once. */
static struct jdoc jd(const char *s, int slot)
{
	struct jdoc d = { s, 0, doc_toks[slot] };

	d.n = jr_parse(s, strlen(s), d.t, TOKS);
	cr_assert_geq(d.n, 1, "JSON: %.300s", s);
	return d;
}

/* Member k of object token o, or -1. */
static int jm(const struct jdoc *d, int o, const char *k)
{
	return o < 0 ? -1 : jr_get(d->s, d->t, o, k);
}

static int64_t ji(const struct jdoc *d, int o, const char *k)
{
	int i = jm(d, o, k);
	int64_t v = 0;

	cr_assert_geq(i, 0, "member %s in %.300s", k, d->s);
	cr_assert_eq(jr_i64(d->s, &d->t[i], &v), 0, "integer %s in %.300s", k, d->s);
	return v;
}

static sim_fx jfx(const struct jdoc *d, int o, const char *k)
{
	int i = jm(d, o, k);
	sim_fx v = 0;

	cr_assert_geq(i, 0, "member %s in %.300s", k, d->s);
	cr_assert_eq(jr_fx(d->s, &d->t[i], &v), 0, "decimal %s in %.300s", k, d->s);
	return v;
}

/* A string member into a static buffer ("" when absent or not a string). */
static const char *js(const struct jdoc *d, int o, const char *k)
{
	static char buf[8][512];
	static int next;
	char *out = buf[next++ & 7];
	int i = jm(d, o, k);

	out[0] = '\0';
	if (i >= 0 && d->t[i].type == JR_STR)
		jr_str(d->s, &d->t[i], out, 512);
	return out;
}

/* The text of token i (a container's whole text), malloc'd. */
static char *jtext(const struct jdoc *d, int i)
{
	char *s;

	cr_assert_geq(i, 0);
	s = strndup(d->s + d->t[i].start, d->t[i].len);
	cr_assert_not_null(s);
	return s;
}

static void shape_ok(const char *capture, const char *ours, unsigned flags)
{
	char why[512];

	cr_assert_not_null(capture);
	cr_assert_not_null(ours);
	cr_assert(json_same_shape_f(capture, ours, flags, why, sizeof(why)),
		  "%s\n capture: %.400s\n ours:    %.600s", why, capture, ours);
}

/* Fixture line n of file, member path "a.b" of it ("" for the whole), malloc'd. */
static char *fixture(const char *file, unsigned n, const char *path)
{
	char *line = test_fixture_line(file, n), *out;
	struct jdoc d;
	int i = 0;
	char key[64];

	cr_assert_not_null(line, "%s line %u", file, n);
	if (!*path)
		return line;
	d = jd(line, 3);
	while (*path) {
		const char *dot = strchr(path, '.');
		size_t l = dot ? (size_t)(dot - path) : strlen(path);

		memcpy(key, path, l);
		key[l] = '\0';
		i = jm(&d, i, key);
		cr_assert_geq(i, 0, "%s line %u: %s", file, n, key);
		path += l + (dot ? 1 : 0);
	}
	out = jtext(&d, i);
	free(line);
	return out;
}

/*
 * The REST and WS API documentation examples print origQuoteOrderQty with
 * 6 places ("0.000000"); the live venue prints 8 like every other decimal
 * (public captures of live responses: "origQuoteOrderQty":"0.00000000").
 */
static char *fix_oqoq(char *s)
{
	static const char from[] = "\"origQuoteOrderQty\":\"0.000000\"";
	static const char to[] = "\"origQuoteOrderQty\":\"0.00000000\"";
	char *p = strstr(s, from), *out;
	size_t n = strlen(s);

	if (!p)
		return s;
	out = malloc(n + 3);
	cr_assert_not_null(out);
	memcpy(out, s, (size_t)(p - s));
	memcpy(out + (p - s), to, sizeof(to) - 1);
	strcpy(out + (p - s) + sizeof(to) - 1, p + sizeof(from) - 1);
	free(s);
	return out;
}

static uint64_t wall_ms(void)
{
	return sim_now_real_ns() / 1000000ull;
}

static const struct sim_account_cfg *bn_account(const struct simtest *t)
{
	for (uint32_t i = 0; i < t->sc.naccounts; i++)
		if (!strcmp(t->sc.accounts[i].venue, "binance"))
			return &t->sc.accounts[i];
	cr_assert_fail("no binance account in the scenario");
	return NULL;
}

static void hmac_hex(const char *secret, const char *msg, size_t n, char out[65])
{
	cr_assert_eq(venue_hmac_sha256(secret, strlen(secret), msg, n, VENUE_HEX, out, 65), 64);
}

static char *xsprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xsprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&s, fmt, ap), 0);
	va_end(ap);
	return s;
}

/*
 * A REST request as a Binance client sends it: params (no timestamp) get
 * "&timestamp=<ts>" (unless ts is 0) and "&signature=<hmac>" (unless
 * secret is NULL), in the query or in a form body; key NULL: no
 * X-MBX-APIKEY header.
 */
static struct simtest_http *H;         /* a keep-alive client, or NULL: one per request */

static struct simtest_resp *rest_signed_x(struct simtest *t, const char *method,
					  const char *path, const char *params, bool body,
					  const char *key, const char *secret, uint64_t ts)
{
	char sig[65], *p, *full, *hdr, *target;
	struct simtest_resp *r;

	p = ts ? xsprintf("%s%s%s%" PRIu64, params, *params ? "&" : "", "timestamp=", ts)
	       : strdup(params);
	if (secret) {
		hmac_hex(secret, p, strlen(p), sig);
		full = xsprintf("%s%ssignature=%s", p, *p ? "&" : "", sig);
	} else {
		full = strdup(p);
	}
	hdr = xsprintf("%s%s%s%s", key ? "X-MBX-APIKEY: " : "", key ? key : "", key ? "\r\n" : "",
		       body ? "Content-Type: application/x-www-form-urlencoded\r\n" : "");
	target = body ? strdup(path) : xsprintf("%s?%s", path, full);
	r = H ? simtest_http_on(t, H, method, target, *hdr ? hdr : NULL, body ? full : NULL)
	      : simtest_http(t, "binance", method, target, *hdr ? hdr : NULL, body ? full : NULL);
	free(p);
	free(full);
	free(hdr);
	free(target);
	return r;
}

static struct simtest_resp *rest_signed(struct simtest *t, const char *method,
					const char *path, const char *params)
{
	const struct sim_account_cfg *a = bn_account(t);

	return rest_signed_x(t, method, path, params, false, a->key, a->secret, wall_ms());
}

static struct simtest_resp *rest_get(struct simtest *t, const char *target)
{
	return H ? simtest_http_on(t, H, "GET", target, NULL, NULL)
		 : simtest_http(t, "binance", "GET", target, NULL, NULL);
}

/* A response header's value (lowercase name) as an integer; -1 when absent. */
static int64_t hdr_i64(const struct simtest_resp *r, const char *name)
{
	char v[64];

	if (!simtest_resp_header(r, name, v, sizeof(v)))
		return -1;
	return strtoll(v, NULL, 10);
}

/* A REST error: the status, the code, the shape of binance-errors.jsonl. */
static void rest_err(struct simtest_resp *r, unsigned status, int code)
{
	char *cap = fixture("binance-errors.jsonl", 0, "");
	struct jdoc d;

	cr_assert_eq(r->status, status, "status %u: %s", r->status, r->body);
	d = jd(r->body, 0);
	cr_assert_eq(ji(&d, 0, "code"), code, "%s", r->body);
	cr_assert_gt(strlen(js(&d, 0, "msg")), 0);
	shape_ok(cap, r->body, 0);
	cr_assert_geq(hdr_i64(r, "x-mbx-used-weight-1m"), 0, "the weight header is on every reply");
	free(cap);
}

/* ---- WebSocket helpers --------------------------------------------------------- */

/*
 * The market listener takes 5 messages a second per connection: after
 * every 4th, let the wall clock reach the next second (running the loop).
 */
static void md_pace(struct simtest *t, struct simtest_ws *c, unsigned *sent)
{
	uint64_t sec = net_now_ns() / 1000000000ull;

	if (++*sent % 4)
		return;
	while (net_now_ns() / 1000000000ull == sec && !c->closed)
		net_loop_run(t->l, 1000000ull);
}

/* Run until a message at index >= from holds needle: its index, or -1. */
static int ws_find(struct simtest *t, struct simtest_ws *c, uint32_t from, const char *needle)
{
	for (;;) {
		for (uint32_t i = from; i < c->kept; i++)
			if (strstr(c->msg[i], needle))
				return (int)i;
		from = c->kept > from ? c->kept : from;
		if (c->kept >= SIMTEST_MAX_MSGS || !simtest_ws_wait(t, c, c->nmsg + 1))
			return -1;
	}
}

/* One WS API request with id "<id>": the reply's text (the client's copy). */
static const char *api_call(struct simtest *t, struct simtest_ws *c, const char *id,
			    const char *json)
{
	char needle[96];
	int i;

	snprintf(needle, sizeof(needle), "{\"id\":\"%s\",", id);
	cr_assert_eq(simtest_ws_text(c, json), 0);
	i = ws_find(t, c, 0, needle);
	cr_assert_geq(i, 0, "a reply to %s", json);
	return c->msg[i];
}

struct kv {
	const char *k, *v;
	bool num;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/*
 * A signed WS API request: params kv[0..n) plus apiKey and timestamp,
 * signed over the sorted k=v payload with raw values [1.5].
 */
static char *api_signed_x(const char *id, const char *method, const struct kv *kv, int n,
			  const char *key, const char *secret, uint64_t ts)
{
	struct kv all[40];
	char tsbuf[24], sig[65], payload[4096], params[4096];
	size_t pl = 0, ql = 0;
	int m = 0;

	cr_assert_lt(n, 36);
	for (int i = 0; i < n; i++)
		all[m++] = kv[i];
	snprintf(tsbuf, sizeof(tsbuf), "%" PRIu64, ts);
	if (key)
		all[m++] = (struct kv){ "apiKey", key, false };
	if (ts)
		all[m++] = (struct kv){ "timestamp", tsbuf, true };
	qsort(all, (size_t)m, sizeof(all[0]), kv_cmp);
	for (int i = 0; i < m; i++) {
		pl += (size_t)snprintf(payload + pl, sizeof(payload) - pl, "%s%s=%s", i ? "&" : "",
				       all[i].k, all[i].v);
		ql += (size_t)snprintf(params + ql, sizeof(params) - ql,
				       all[i].num ? "%s\"%s\":%s" : "%s\"%s\":\"%s\"", i ? "," : "",
				       all[i].k, all[i].v);
	}
	if (secret) {
		hmac_hex(secret, payload, pl, sig);
		ql += (size_t)snprintf(params + ql, sizeof(params) - ql, "%s\"signature\":\"%s\"",
				       m ? "," : "", sig);
	}
	return xsprintf("{\"id\":\"%s\",\"method\":\"%s\",\"params\":{%s}}", id, method, params);
}

static char *api_signed(const struct simtest *t, const char *id, const char *method,
			const struct kv *kv, int n)
{
	const struct sim_account_cfg *a = bn_account(t);

	return api_signed_x(id, method, kv, n, a->key, a->secret, wall_ms());
}

/* A WS API error reply: status and code, and the envelope's shape. */
static void api_err(const char *reply, unsigned status, int code)
{
	struct jdoc d = jd(reply, 0);
	int e = jm(&d, 0, "error");

	cr_assert_eq(ji(&d, 0, "status"), status, "%s", reply);
	cr_assert_geq(e, 0, "%s", reply);
	cr_assert_eq(ji(&d, e, "code"), code, "%s", reply);
}

/* ---- binance_sig: the official vectors through exsim's checkers ------------------------ */

TestSuite(binance_sig);

static void vector(unsigned line, char *secret, char *payload, char *expected)
{
	char *l = test_fixture_line("testvectors-hmac.jsonl", line);
	struct jdoc d;

	cr_assert_not_null(l);
	d = jd(l, 0);
	cr_assert_str_eq(js(&d, 0, "exchange"), "binance");
	strcpy(secret, js(&d, 0, "secret"));
	strcpy(payload, js(&d, 0, "payload"));
	strcpy(expected, js(&d, 0, "expected"));
	free(l);
}

Test(binance_sig, rest_vectors)
{
	char secret[128], payload[512], expected[80], q[700], upper[80];

	for (unsigned line = 0; line < 2; line++) {
		vector(line, secret, payload, expected);
		cr_assert(sim_binance_sig_rest_ok(secret, strlen(secret), payload, strlen(payload),
						  NULL, 0, expected, strlen(expected)),
			  "vector %u", line + 1);
		/* the signature may sit in the query it signs, in any case */
		for (size_t i = 0; i <= strlen(expected); i++)
			upper[i] = (char)(expected[i] >= 'a' && expected[i] <= 'f' ? expected[i] - 32
										  : expected[i]);
		snprintf(q, sizeof(q), "%s&signature=%s", payload, upper);
		cr_assert(sim_binance_sig_rest_ok(secret, strlen(secret), q, strlen(q), NULL, 0,
						  expected, strlen(expected)));
		/* one flipped character, or another secret, fails */
		payload[0] = 'S';
		cr_assert_not(sim_binance_sig_rest_ok(secret, strlen(secret), payload,
						      strlen(payload), NULL, 0, expected,
						      strlen(expected)));
		cr_assert_not(sim_binance_sig_rest_ok("x", 1, q, strlen(q), NULL, 0, expected,
						      strlen(expected)));
	}
}

Test(binance_sig, rest_vector_query_plus_body)
{
	char secret[128], payload[512], expected[80], body[700];
	const char *split;

	vector(2, secret, payload, expected);
	split = strstr(payload, "GTCquantity");
	cr_assert_not_null(split, "vector 3 joins the query and the body with no '&'");
	split += 3;
	cr_assert(sim_binance_sig_rest_ok(secret, strlen(secret), payload,
					  (size_t)(split - payload), split, strlen(split), expected,
					  strlen(expected)));
	/* the signature as the body's last parameter is left out of the payload */
	snprintf(body, sizeof(body), "%s&signature=%s", split, expected);
	cr_assert(sim_binance_sig_rest_ok(secret, strlen(secret), payload,
					  (size_t)(split - payload), body, strlen(body), expected,
					  strlen(expected)));
	/* an '&' between them is another payload */
	snprintf(body, sizeof(body), "&%s", split);
	cr_assert_not(sim_binance_sig_rest_ok(secret, strlen(secret), payload,
					      (size_t)(split - payload), body, strlen(body),
					      expected, strlen(expected)));
}

/* The signed order.place requests of binance-wsapi.jsonl (lines 6 and 7) and vectors 4, 5. */
Test(binance_sig, ws_vectors)
{
	static const unsigned req_line[2] = { 5, 6 }, vec_line[2] = { 3, 4 };

	for (int k = 0; k < 2; k++) {
		char secret[128], payload[512], expected[80], built[1024];
		char *req = test_fixture_line("binance-wsapi.jsonl", req_line[k]);
		struct jdoc d;
		char *params;
		int p;

		vector(vec_line[k], secret, payload, expected);
		cr_assert_not_null(req);
		d = jd(req, 0);
		p = jm(&d, 0, "params");
		params = jtext(&d, p);
		cr_assert_str_eq(js(&d, p, "signature"), expected);
		cr_assert_gt(sim_binance_ws_payload(params, strlen(params), built, sizeof(built)), 0);
		cr_assert_str_eq(built, payload, "the sorted payload of vector %d", vec_line[k] + 1);
		cr_assert(sim_binance_sig_ws_ok(secret, strlen(secret), params, strlen(params),
						expected, strlen(expected)));
		cr_assert_not(sim_binance_sig_ws_ok("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65X",
						    47, params, strlen(params), expected,
						    strlen(expected)));
		cr_assert_eq(sim_binance_ws_payload(params, strlen(params), built, 16), -ENOBUFS);
		free(params);
		free(req);
	}
	{
		char secret[128], payload[512], expected[80];
		const char *params = "{\"timestamp\":1747385641636,\"apiKey\":"
				     "\"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\"}";
		char built[256];

		vector(11, secret, payload, expected);
		cr_assert_gt(sim_binance_ws_payload(params, strlen(params), built, sizeof(built)), 0);
		cr_assert_str_eq(built, payload);
		cr_assert(sim_binance_sig_ws_ok(secret, strlen(secret), params, strlen(params),
						expected, strlen(expected)));
	}
	cr_assert_eq(sim_binance_ws_payload("[1]", 3, (char[8]){ 0 }, 8), -EINVAL);
	cr_assert_lt(sim_binance_ws_payload("{", 1, (char[8]){ 0 }, 8), 0);
}

/* ---- binance_md: market streams ------------------------------------------------------- */

static struct simtest T;

/* Before simtest_stop: the client is closed and freed after the loop goes. */
static void h_close(void)
{
	if (H)
		simtest_http_free(&T, H);
	H = NULL;
}

static void md_setup(void)
{
	simtest_start(&T, SCN_NO_UPBIT);
	H = NULL;
}

static void md_teardown(void)
{
	h_close();
	simtest_stop(&T);
}

TestSuite(binance_md, .init = md_setup, .fini = md_teardown);

/* Every raw stream kind has the captures' shape. */
Test(binance_md, raw_stream_shapes)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false,
					       "/ws/btcusdt@bookTicker/btcusdt@depth@100ms/"
					       "btcusdt@trade/btcusdt@aggTrade/btcusdt@depth5@100ms/"
					       "ethusdt@depth20@100ms/xrpusdt@depth",
					       NULL);
	char *bt = fixture("binance-bookTicker.jsonl", 1, "");
	char *du = fixture("binance-depthUpdate.jsonl", 1, "");
	char *dp = fixture("binance-depthPartial.jsonl", 1, "data");
	char *tr = fixture("binance-trade.jsonl", 0, "");
	char *ag = fixture("binance-trade.jsonl", 1, "");
	int i;

	i = ws_find(&T, c, 0, "{\"u\":");
	cr_assert_geq(i, 0);
	shape_ok(bt, c->msg[i], SHAPE_DECIMALS);
	cr_assert(strstr(c->msg[i], "\"s\":\"BTCUSDT\""));
	i = ws_find(&T, c, 0, "\"e\":\"depthUpdate\",\"E\":");
	cr_assert_geq(i, 0);
	shape_ok(du, c->msg[i], SHAPE_DECIMALS);
	i = ws_find(&T, c, 0, "\"e\":\"trade\"");
	cr_assert_geq(i, 0);
	shape_ok(tr, c->msg[i], 0);
	i = ws_find(&T, c, 0, "\"e\":\"aggTrade\"");
	cr_assert_geq(i, 0);
	shape_ok(ag, c->msg[i], 0);
	i = ws_find(&T, c, 0, "{\"lastUpdateId\":");
	cr_assert_geq(i, 0);
	shape_ok(dp, c->msg[i], SHAPE_DECIMALS);
	/* depth5 holds 5 levels a side; depth20 20; the 1000 ms diff is XRPUSDT's */
	{
		struct jdoc d = jd(c->msg[i], 0);
		uint32_t nb = d.t[jm(&d, 0, "bids")].size, na = d.t[jm(&d, 0, "asks")].size;

		cr_assert((nb == 5 && na == 5) || (nb == 20 && na == 20), "%u %u", nb, na);
	}
	cr_assert_geq(ws_find(&T, c, 0, "\"s\":\"XRPUSDT\",\"U\":"), 0);
	simtest_ws_free(&T, c);
	free(bt);
	free(du);
	free(dp);
	free(tr);
	free(ag);
}

/* /stream?streams=: every message wrapped as {"stream","data"} with the stream's name. */
Test(binance_md, combined_streams)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false,
					       "/stream?streams=btcusdt@bookTicker/"
					       "ethusdt@depth@100ms/btcusdt@depth10", NULL);
	char *bt = fixture("binance-bookTicker.jsonl", 2, "");
	char *du = fixture("binance-depthUpdate.jsonl", 1, "");
	char *dp = fixture("binance-depthPartial.jsonl", 1, "");
	char *data;
	struct jdoc d;
	int i;

	i = ws_find(&T, c, 0, "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":");
	cr_assert_geq(i, 0);
	shape_ok(bt, c->msg[i], SHAPE_DECIMALS);
	i = ws_find(&T, c, 0, "{\"stream\":\"ethusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\"");
	cr_assert_geq(i, 0);
	d = jd(c->msg[i], 0);
	data = jtext(&d, jm(&d, 0, "data"));
	shape_ok(du, data, SHAPE_DECIMALS);
	cr_assert(strstr(data, "\"s\":\"ETHUSDT\""));
	free(data);
	i = ws_find(&T, c, 0, "{\"stream\":\"btcusdt@depth10\",\"data\":{\"lastUpdateId\":");
	cr_assert_geq(i, 0);
	shape_ok(dp, c->msg[i], SHAPE_DECIMALS);
	for (uint32_t k = 0; k < c->kept; k++)
		cr_assert(!strncmp(c->msg[k], "{\"stream\":", 10), "%s", c->msg[k]);
	simtest_ws_free(&T, c);
	free(bt);
	free(du);
	free(dp);
}

/* SUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY, UNSUBSCRIBE on /ws. */
Test(binance_md, control_messages)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws", NULL);
	char *ok = fixture("binance-ws-control.jsonl", 1, "");
	char *list = fixture("binance-ws-control.jsonl", 5, "");
	unsigned sent = 0;
	int i;

	simtest_ws_text(c, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\","
			   "\"ethusdt@trade\"],\"id\":1}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":1}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":null,\"id\":1}");
	shape_ok(ok, c->msg[i], 0);
	cr_assert_geq(ws_find(&T, c, 0, "{\"u\":"), 0, "raw bookTicker after SUBSCRIBE");
	simtest_ws_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":3}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":[\"btcusdt@bookTicker\",\"ethusdt@trade\"],\"id\":3}");
	shape_ok(list, c->msg[i], 0);
	simtest_ws_text(c, "{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true],\"id\":\"s5\"}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":\"s5\"}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":null,\"id\":\"s5\"}");
	cr_assert_geq(ws_find(&T, c, (uint32_t)i, "{\"stream\":\"btcusdt@bookTicker\",\"data\":"), 0);
	simtest_ws_text(c, "{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":2}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":2}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":true,\"id\":2}");
	simtest_ws_text(c, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\"],\"id\":312}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":312}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":null,\"id\":312}");
	simtest_ws_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":4}");
	md_pace(&T, c, &sent);
	i = ws_find(&T, c, 0, "\"id\":4}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":[\"ethusdt@trade\"],\"id\":4}");
	simtest_ws_free(&T, c);
	free(ok);
	free(list);
}

/* Every control error: {"error":{"code","msg"},"id"}, and the connection stays. */
Test(binance_md, control_errors)
{
	static const struct {
		const char *req, *id;
		int code;
	} cases[] = {
		{ "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@nope\"],\"id\":11}", "11", 2 },
		{ "{\"method\":\"SUBSCRIBE\",\"params\":[\"BTCUSDT@trade\"],\"id\":12}", "12", 2 },
		{ "{\"method\":\"SUBSCRIBE\",\"params\":[\"dogeusdt@trade\"],\"id\":13}", "13", 2 },
		{ "{\"method\":\"SUBSCRIBE\",\"params\":\"btcusdt@trade\",\"id\":14}", "14", 2 },
		{ "{\"method\":\"SUBSCRIB\",\"params\":[],\"id\":15}", "15", 2 },
		{ "{\"params\":[],\"id\":16}", "16", 2 },
		{ "{\"method\":\"SET_PROPERTY\",\"params\":[\"fast\",true],\"id\":17}", "17", 0 },
		{ "{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",1],\"id\":18}", "18", 1 },
		{ "{\"method\":\"SET_PROPERTY\",\"params\":[1,true],\"id\":19}", "19", 2 },
		{ "{\"method\":\"GET_PROPERTY\",\"params\":[],\"id\":20}", "20", 2 },
		{ "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1.5}", "null", 2 },
		{ "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":\"has space\"}", "null", 2 },
		{ "{\"method\":\"LIST_SUBSCRIPTIONS\"}", "null", 2 },
		{ "{\"method\":", "null", 3 },
	};
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws", NULL);
	uint32_t from = 0;
	unsigned sent = 0;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char needle[32];
		struct jdoc d;
		int i;

		snprintf(needle, sizeof(needle), "},\"id\":%s}", cases[k].id);
		simtest_ws_text(c, cases[k].req);
		i = ws_find(&T, c, from, needle);
		cr_assert_geq(i, 0, "a reply to %s", cases[k].req);
		d = jd(c->msg[i], 0);
		cr_assert_eq(ji(&d, jm(&d, 0, "error"), "code"), cases[k].code, "%s -> %s",
			     cases[k].req, c->msg[i]);
		from = (uint32_t)i + 1;
		md_pace(&T, c, &sent);
	}
	{
		int i;

		cr_assert_eq(ws_conn_send(&c->w, WS_OP_BINARY, "{}", 2), 0);
		i = ws_find(&T, c, from, "},\"id\":null}");
		cr_assert_geq(i, 0);
		cr_assert(strstr(c->msg[i], "{\"error\":{\"code\":3,"), "%s", c->msg[i]);
	}
	cr_assert_not(c->closed);
	simtest_ws_free(&T, c);
}

/* More than 1024 streams on one connection: code 4, nothing subscribed. */
Test(binance_md, too_many_streams)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws", NULL);
	size_t cap = 1100 * 20 + 64, n = 0;
	char *req = malloc(cap);
	int i;

	n += (size_t)snprintf(req + n, cap - n, "{\"method\":\"SUBSCRIBE\",\"id\":9,\"params\":[");
	for (int k = 0; k < 1025; k++)
		n += (size_t)snprintf(req + n, cap - n, "%s\"btcusdt@trade\"", k ? "," : "");
	snprintf(req + n, cap - n, "]}");
	simtest_ws_text(c, req);
	i = ws_find(&T, c, 0, "\"id\":9}");
	cr_assert_geq(i, 0);
	cr_assert(strstr(c->msg[i], "{\"error\":{\"code\":4,"), "%s", c->msg[i]);
	simtest_ws_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":10}");
	i = ws_find(&T, c, 0, "\"id\":10}");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(c->msg[i], "{\"result\":[],\"id\":10}");
	free(req);
	simtest_ws_free(&T, c);
}

/* More than 5 incoming messages in a second close the connection (1008). */
Test(binance_md, incoming_rate_limit)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws", NULL);

	/* 11 sent at once span at most two seconds: one of them gets 6 */
	for (int k = 0; k < 11; k++)
		simtest_ws_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}");
	cr_assert(simtest_ws_wait_close(&T, c));
	cr_assert_eq(c->close_code, WS_CLOSE_POLICY);
	simtest_ws_free(&T, c);
}

/* A refused client's stream is down (its buffer can go). */
static bool ws_idle(void *arg)
{
	return ((struct simtest_ws *)arg)->w.state == WS_CONN_IDLE;
}

/* Unknown paths and unknown streams in the URL are refused at the upgrade. */
Test(binance_md, upgrade_refusals)
{
	static const char *const bad[] = {
		"/ws/btcusdt@nope", "/ws/ethbtc@trade", "/stream?streams=btcusdt@trade/x@y",
		"/websocket", "/ws-api/v3",
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct simtest_ws *c = simtest_ws_connect(&T, "binance", false, bad[k], NULL);

		cr_assert_not(c->opened, "%s is refused", bad[k]);
		simtest_run_until(&T, ws_idle, c);
		simtest_ws_free(&T, c);
	}
	{
		struct simtest_ws *c = simtest_ws_connect(&T, "binance", true, "/ws/btcusdt@trade",
							  NULL);

		cr_assert_not(c->opened, "the API listener serves /ws-api/v3 only");
		simtest_run_until(&T, ws_idle, c);
		simtest_ws_free(&T, c);
	}
}

/* ---- the official local order book procedure [1.2] ------------------------------------ */

struct lbook {
	uint32_t n[2];
	struct sim_level lv[2][4096];
};

static void lbook_set(struct lbook *b, unsigned side, sim_fx px, sim_fx qty)
{
	for (uint32_t i = 0; i < b->n[side]; i++) {
		if (b->lv[side][i].px != px)
			continue;
		if (qty) {
			b->lv[side][i].qty = qty;
		} else {
			b->lv[side][i] = b->lv[side][--b->n[side]];
		}
		return;
	}
	if (qty) {      /* a delete of a level we do not hold is harmless */
		cr_assert_lt(b->n[side], 4096u);
		b->lv[side][b->n[side]].px = px;
		b->lv[side][b->n[side]++].qty = qty;
	}
}

static void lbook_levels(struct lbook *b, const struct jdoc *d, int arr, unsigned side)
{
	for (uint32_t i = 0; i < d->t[arr].size; i++) {
		int l = jr_at(d->t, arr, i);
		sim_fx px, qty;

		cr_assert_eq(jr_fx(d->s, &d->t[jr_at(d->t, l, 0)], &px), 0);
		cr_assert_eq(jr_fx(d->s, &d->t[jr_at(d->t, l, 1)], &qty), 0);
		lbook_set(b, side, px, qty);
	}
}

static int lv_cmp(const void *a, const void *b)
{
	sim_fx x = ((const struct sim_level *)a)->px, y = ((const struct sim_level *)b)->px;

	return x < y ? -1 : x > y;
}

static bool lbook_same(struct lbook *a, struct lbook *b, char *why, size_t n)
{
	for (unsigned s = 0; s < 2; s++) {
		if (a->n[s] != b->n[s]) {
			snprintf(why, n, "side %u: %u levels vs %u", s, a->n[s], b->n[s]);
			return false;
		}
		qsort(a->lv[s], a->n[s], sizeof(a->lv[s][0]), lv_cmp);
		qsort(b->lv[s], b->n[s], sizeof(b->lv[s][0]), lv_cmp);
		for (uint32_t i = 0; i < a->n[s]; i++) {
			if (a->lv[s][i].px != b->lv[s][i].px || a->lv[s][i].qty != b->lv[s][i].qty) {
				snprintf(why, n, "side %u level %u differs", s, i);
				return false;
			}
		}
	}
	return true;
}

/* A REST snapshot into b: its lastUpdateId. */
static uint64_t snapshot(struct simtest *t, struct lbook *b)
{
	struct simtest_resp *r = rest_get(t, "/api/v3/depth?symbol=BTCUSDT&limit=5000");
	struct jdoc d;
	uint64_t id;

	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 1);
	memset(b->n, 0, sizeof(b->n));
	lbook_levels(b, &d, jm(&d, 0, "bids"), SIM_BID);
	lbook_levels(b, &d, jm(&d, 0, "asks"), SIM_ASK);
	id = (uint64_t)ji(&d, 0, "lastUpdateId");
	simtest_resp_free(r);
	return id;
}

static struct lbook book_a, book_b;

Test(binance_md, local_book_from_snapshot_and_diffs)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws/btcusdt@depth@100ms",
					       NULL);
	uint64_t local, prev_u = 0, later = 0, steps0 = sim_server_steps(T.s);
	uint32_t next = 0, applied = 0, direct = 0, synced = 0, first_idx;
	char why[128];
	int i;

	if (!H)
		H = simtest_http_client(&T, "binance");
	/* 1. buffer; 2. snapshot; 3. again while it is older than the first U */
	i = ws_find(&T, c, 0, "\"e\":\"depthUpdate\"");
	cr_assert_geq(i, 0);
	{
		struct jdoc d = jd(c->msg[i], 0);
		uint64_t first_U = (uint64_t)ji(&d, 0, "U");

		do
			local = snapshot(&T, &book_a);
		while (local < first_U);
	}
	/* 4. drop what the snapshot holds; the first kept one straddles it */
	for (;;) {
		struct jdoc d;

		cr_assert(next < c->kept || simtest_ws_wait(&T, c, c->nmsg + 1));
		if (next >= c->kept)
			continue;
		d = jd(c->msg[next], 0);
		if ((uint64_t)ji(&d, 0, "u") <= local) {
			next++;
			continue;
		}
		cr_assert_leq((uint64_t)ji(&d, 0, "U"), local + 1, "%s", c->msg[next]);
		break;
	}
	first_idx = next;
	/*
	 * 5, 6: apply every diff. Every few diffs take another snapshot: when
	 * our id reaches its lastUpdateId exactly, the books must be equal;
	 * when a diff straddles it, the snapshot synced by the same procedure
	 * (and that diff) must equal ours after the diff.
	 */
	while (applied < 40 || direct + synced < 4 || !direct) {
		struct jdoc d;
		uint64_t U, u;

		cr_assert_lt(applied, 600u, "%u exact and %u synced snapshots in 600 diffs", direct,
			     synced);
		if (next >= c->kept) {
			cr_assert(simtest_ws_wait(&T, c, c->nmsg + 1), "diffs keep coming");
			continue;
		}
		d = jd(c->msg[next++], 0);
		U = (uint64_t)ji(&d, 0, "U");
		u = (uint64_t)ji(&d, 0, "u");
		cr_assert_leq(U, u);
		cr_assert_leq(U, local + 1, "no gap: U %" PRIu64 " after %" PRIu64, U, local);
		if (next - 1 > first_idx)
			cr_assert_eq(U, prev_u + 1, "each U follows the previous u");
		lbook_levels(&book_a, &d, jm(&d, 0, "b"), SIM_BID);
		lbook_levels(&book_a, &d, jm(&d, 0, "a"), SIM_ASK);
		local = prev_u = u;
		applied++;
		if (later && u > later) {
			cr_assert_leq(U, later + 1, "the snapshot's next diff straddles it");
			lbook_levels(&book_b, &d, jm(&d, 0, "b"), SIM_BID);
			lbook_levels(&book_b, &d, jm(&d, 0, "a"), SIM_ASK);
			cr_assert(lbook_same(&book_a, &book_b, why, sizeof(why)),
				  "at %" PRIu64 ", synced from %" PRIu64 ": %s", local, later, why);
			synced++;
			later = 0;
		}
		/* right after a diff, a snapshot usually lands between two steps */
		if (!later && next == c->kept && applied % 3 == 0) {
			later = snapshot(&T, &book_b);
			cr_assert_geq(later, local, "a later snapshot is not older");
			if (later == local) {
				cr_assert(lbook_same(&book_a, &book_b, why, sizeof(why)),
					  "local book at %" PRIu64 ": %s", local, why);
				direct++;
				later = 0;
			}
		}
	}
	cr_assert_geq(sim_server_steps(T.s) - steps0, 300u, "hundreds of steps");
	simtest_ws_free(&T, c);
}

/* The gap fault breaks U/u continuity exactly once; the stream goes on after it. */
Test(binance_md, gap_fault_breaks_continuity_once)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws/ethusdt@depth@100ms",
					       NULL);
	struct sim_venue *v = sim_server_venue(T.s, "binance");
	struct sim_fault f = { .kind = SIM_FAULT_GAP, .count = 1 };
	uint64_t prev_u = 0;
	uint32_t breaks = 0, seen = 0;

	cr_assert(simtest_ws_wait(&T, c, 5));
	sim_fault_apply(v, &f, net_now_ns());
	cr_assert(simtest_ws_wait(&T, c, 30));
	for (uint32_t i = 0; i < c->kept; i++) {
		struct jdoc d = jd(c->msg[i], 0);
		uint64_t U = (uint64_t)ji(&d, 0, "U"), u = (uint64_t)ji(&d, 0, "u");

		if (seen++ && U != prev_u + 1) {
			cr_assert_gt(U, prev_u + 1, "ids skip forward");
			breaks++;
		}
		prev_u = u;
	}
	cr_assert_eq(breaks, 1u);
	cr_assert_eq(v->fs.gap, 0u, "the fault was spent");
	simtest_ws_free(&T, c);
}

/* A change log that lost changes cannot make a diff: readers see one gap too. */
Test(binance_md, lost_changes_break_continuity_once)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws/xrpusdt@depth@100ms",
					       NULL);
	struct sim_inst *in = sim_venue_inst_sym(sim_server_venue(T.s, "binance"), "XRPUSDT", 7);
	uint64_t prev_u = 0;
	uint32_t breaks = 0, seen = 0;

	cr_assert_not_null(in);
	cr_assert(simtest_ws_wait(&T, c, 5));
	/* a change, and the log that should hold it full (as market.c marks it) */
	{
		const struct sim_book_side *bs = &in->book.side[SIM_BID];

		cr_assert_gt(bs->n, 1u);
		sim_inst_set(in, SIM_BID, bs->lv[bs->n - 1].px, bs->lv[bs->n - 1].qty + in->step);
		in->chg_lost = 1;
	}
	cr_assert(simtest_ws_wait(&T, c, 30));
	for (uint32_t i = 0; i < c->kept; i++) {
		struct jdoc d = jd(c->msg[i], 0);
		uint64_t U = (uint64_t)ji(&d, 0, "U"), u = (uint64_t)ji(&d, 0, "u");

		if (seen++ && U != prev_u + 1) {
			cr_assert_gt(U, prev_u + 1);
			breaks++;
		}
		prev_u = u;
	}
	cr_assert_eq(breaks, 1u);
	simtest_ws_free(&T, c);
}

/* The connection's life ends with serverShutdown (raw, combined, API) and a close. */
Test(binance_md, connection_life_server_shutdown)
{
	struct sim_venue *v = sim_server_venue(T.s, "binance");
	struct simtest_ws *raw, *comb, *api;
	char *f_raw = fixture("binance-ws-control.jsonl", 8, "");
	char *f_comb = fixture("binance-ws-control.jsonl", 9, "");
	char *f_api = fixture("binance-wsapi.jsonl", 4, "");

	raw = simtest_ws_open(&T, "binance", false, "/ws", NULL);
	comb = simtest_ws_open(&T, "binance", false, "/stream", NULL);
	api = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	sim_binance_set_conn_life(v, 1);
	cr_assert(simtest_ws_wait_close(&T, raw));
	cr_assert(simtest_ws_wait_close(&T, comb));
	cr_assert(simtest_ws_wait_close(&T, api));
	cr_assert_eq(raw->close_code, WS_CLOSE_GOING_AWAY);
	cr_assert_geq(raw->kept, 1u);
	shape_ok(f_raw, raw->msg[raw->kept - 1], 0);
	cr_assert(strstr(raw->msg[raw->kept - 1], "\"e\":\"serverShutdown\""));
	shape_ok(f_comb, comb->msg[comb->kept - 1], 0);
	cr_assert(strstr(comb->msg[comb->kept - 1], "\"stream\":\"!serverShutdown\""));
	shape_ok(f_api, api->msg[api->kept - 1], 0);
	simtest_ws_free(&T, raw);
	simtest_ws_free(&T, comb);
	simtest_ws_free(&T, api);
	free(f_raw);
	free(f_comb);
	free(f_api);
}

/* ---- determinism: the same seed, the same market ------------------------------------ */

static char *bt_run[3][80];

static void collect_book_tickers(const char *scenario, char **out, int n)
{
	struct simtest t;
	struct simtest_ws *c;

	simtest_start(&t, scenario);
	c = simtest_ws_open(&t, "binance", false, "/ws/btcusdt@bookTicker", NULL);
	cr_assert(simtest_ws_wait(&t, c, (uint32_t)n));
	for (int i = 0; i < n; i++)
		out[i] = strdup(c->msg[i]);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

static uint64_t bt_u(const char *m)
{
	return strtoull(m + 5, NULL, 10);     /* {"u":N,... */
}

/* How many messages of a and b agree once aligned on their first common u. */
static int aligned_equal(char **a, char **b, int n, int *compared)
{
	int ia = 0, ib = 0, eq = 0;

	while (ia < n && ib < n && bt_u(a[ia]) != bt_u(b[ib])) {
		if (bt_u(a[ia]) < bt_u(b[ib]))
			ia++;
		else
			ib++;
	}
	*compared = 0;
	for (; ia < n && ib < n; ia++, ib++, (*compared)++)
		eq += !strcmp(a[ia], b[ib]);
	return eq;
}

TestSuite(binance_det);

Test(binance_det, same_seed_same_book_tickers)
{
	int cmp, eq;

	collect_book_tickers("[exsim]\nseed = 7\n" SCN_NO_UPBIT, bt_run[0], 80);
	collect_book_tickers("[exsim]\nseed = 7\n" SCN_NO_UPBIT, bt_run[1], 80);
	collect_book_tickers("[exsim]\nseed = 8\n" SCN_NO_UPBIT, bt_run[2], 80);
	eq = aligned_equal(bt_run[0], bt_run[1], 80, &cmp);
	cr_assert_geq(cmp, 40, "the runs overlap (%d messages)", cmp);
	cr_assert_eq(eq, cmp, "seed 7 twice: %d of %d bookTickers agree", eq, cmp);
	eq = aligned_equal(bt_run[0], bt_run[2], 80, &cmp);
	cr_assert_lt(eq, cmp > 0 ? cmp : 1, "another seed, another market");
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < 80; i++)
			free(bt_run[r][i]);
}

/* ---- binance_rest ----------------------------------------------------------------------- */

/*
 * One keep-alive client for the whole test: a client's close may wait for
 * its deadline timer, so none is closed before the loop is freed.
 */
static void rest_setup(void)
{
	simtest_start(&T, SCN_NO_UPBIT);
	H = simtest_http_client(&T, "binance");
}

static void rest_teardown(void)
{
	h_close();
	simtest_stop(&T);
}

TestSuite(binance_rest, .init = rest_setup, .fini = rest_teardown);

/* sim_fx as the venue prints it ("12.34000000"), in one of a few static buffers. */
static const char *fxs(sim_fx v)
{
	static char buf[8][32];
	static int next;
	char *out = buf[next++ & 7];

	sim_fx_str(v, out);
	return out;
}

static void top(struct simtest *t, const char *sym, sim_fx *bid, sim_fx *ask)
{
	char target[96];
	struct simtest_resp *r;
	struct jdoc d;

	snprintf(target, sizeof(target), "/api/v3/ticker/bookTicker?symbol=%s", sym);
	r = rest_get(t, target);
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 2);
	*bid = jfx(&d, 0, "bidPrice");
	*ask = jfx(&d, 0, "askPrice");
	cr_assert_gt(*bid, 0);
	cr_assert_gt(*ask, *bid);
	simtest_resp_free(r);
}

static struct simtest_resp *place(struct simtest *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct simtest_resp *place(struct simtest *t, const char *fmt, ...)
{
	struct simtest_resp *r;
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&p, fmt, ap), 0);
	va_end(ap);
	r = rest_signed(t, "POST", "/api/v3/order", p);
	free(p);
	return r;
}

static int64_t weight(struct simtest_resp *r)
{
	int64_t w = hdr_i64(r, "x-mbx-used-weight-1m");

	cr_assert_geq(w, 0, "X-MBX-USED-WEIGHT-1M on every response");
	return w;
}

static const char *const filter_line[][2] = {
	{ "PRICE_FILTER", "0" }, { "PERCENT_PRICE_BY_SIDE", "2" }, { "LOT_SIZE", "3" },
	{ "NOTIONAL", "5" }, { "MARKET_LOT_SIZE", "7" }, { "MAX_NUM_ORDERS", "8" },
};

Test(binance_rest, public_endpoints)
{
	struct simtest_resp *r;
	struct jdoc d;
	int syms;

	r = rest_get(&T, "/api/v3/ping");
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(r->body, "{}");
	cr_assert_geq(weight(r), 1);
	simtest_resp_free(r);

	r = rest_get(&T, "/api/v3/time");
	d = jd(r->body, 0);
	cr_assert_lt(llabs(ji(&d, 0, "serverTime") - (int64_t)wall_ms()), 2000);
	simtest_resp_free(r);

	r = rest_get(&T, "/api/v3/exchangeInfo");
	cr_assert_eq(r->status, 200);
	d = jd(r->body, 0);
	{
		int rl = jm(&d, 0, "rateLimits");
		static const char *const want[4][3] = {
			{ "REQUEST_WEIGHT", "MINUTE", "6000" }, { "ORDERS", "SECOND", "100" },
			{ "ORDERS", "DAY", "200000" }, { "RAW_REQUESTS", "MINUTE", "300000" },
		};

		cr_assert_eq(d.t[rl].size, 4u);
		for (int k = 0; k < 4; k++) {
			int e = jr_at(d.t, rl, (uint32_t)k);

			cr_assert_str_eq(js(&d, e, "rateLimitType"), want[k][0]);
			cr_assert_str_eq(js(&d, e, "interval"), want[k][1]);
			cr_assert_eq(ji(&d, e, "limit"), strtoll(want[k][2], NULL, 10));
		}
	}
	syms = jm(&d, 0, "symbols");
	cr_assert_eq(d.t[syms].size, 3u);
	for (uint32_t k = 0; k < 3; k++) {
		static const char *const want[3][3] = {
			{ "BTCUSDT", "0.01000000", "0.00001000" },
			{ "ETHUSDT", "0.01000000", "0.00010000" },
			{ "XRPUSDT", "0.00010000", "0.10000000" },
		};
		int sy = jr_at(d.t, syms, k), fl = jm(&d, sy, "filters");

		cr_assert_str_eq(js(&d, sy, "symbol"), want[k][0]);
		cr_assert_str_eq(js(&d, sy, "status"), "TRADING");
		cr_assert_str_eq(js(&d, sy, "quoteAsset"), "USDT");
		for (uint32_t f = 0; f < d.t[fl].size; f++) {
			int fo = jr_at(d.t, fl, f);
			const char *type = js(&d, fo, "filterType");
			char *ours = jtext(&d, fo), *cap = NULL;

			for (size_t m = 0; m < sizeof(filter_line) / sizeof(filter_line[0]); m++)
				if (!strcmp(filter_line[m][0], type))
					cap = fixture("binance-filters.jsonl",
						      (unsigned)atoi(filter_line[m][1]), "");
			cr_assert_not_null(cap, "filter %s is one of the venue's", type);
			shape_ok(cap, ours, 0);
			if (!strcmp(type, "PRICE_FILTER"))
				cr_assert_str_eq(js(&d, fo, "tickSize"), want[k][1]);
			if (!strcmp(type, "LOT_SIZE"))
				cr_assert_str_eq(js(&d, fo, "stepSize"), want[k][2]);
			if (!strcmp(type, "NOTIONAL"))
				cr_assert_str_eq(js(&d, fo, "minNotional"), "5.00000000");
			free(cap);
			free(ours);
		}
	}
	simtest_resp_free(r);

	r = rest_get(&T, "/api/v3/exchangeInfo?symbol=ETHUSDT");
	d = jd(r->body, 0);
	cr_assert_eq(d.t[jm(&d, 0, "symbols")].size, 1u);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22,%22XRPUSDT%22%5D");
	d = jd(r->body, 0);
	cr_assert_eq(d.t[jm(&d, 0, "symbols")].size, 2u, "%s", r->body);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/exchangeInfo?symbol=LTCBTC");
	rest_err(r, 400, -1121);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/exchangeInfo?symbols=BTCUSDT");
	rest_err(r, 400, -1100);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/ticker/bookTicker?symbols=%5B%22BTCUSDT%22,%22LTCBTC%22%5D");
	rest_err(r, 400, -1121);
	simtest_resp_free(r);

	r = rest_get(&T, "/api/v3/ticker/bookTicker");
	d = jd(r->body, 0);
	cr_assert_eq(d.t[0].type, JR_ARR);
	cr_assert_eq(d.t[0].size, 3u);
	simtest_resp_free(r);

	r = rest_get(&T, "/api/v3/nothing");
	cr_assert_eq(r->status, 404);
	simtest_resp_free(r);
	r = simtest_http_on(&T, H, "PUT", "/api/v3/order", NULL, NULL);
	cr_assert_eq(r->status, 405);
	simtest_resp_free(r);
}

/* /api/v3/depth: the capture's shape, levels by limit, weights 5/25/50/250. */
Test(binance_rest, depth_snapshot)
{
	static const struct {
		const char *limit;
		int64_t w;
		uint32_t n;
	} cases[] = { { "5", 5, 5 }, { "100", 5, 100 }, { "101", 25, 100 }, { "500", 25, 100 },
		      { "1000", 50, 100 }, { "5000", 250, 100 }, { "9999", 250, 100 } };
	char *cap = fixture("binance-depthSnapshot-rest.jsonl", 1, "");
	struct simtest_resp *r;
	int64_t w0;

	r = rest_get(&T, "/api/v3/ping");
	w0 = weight(r);
	simtest_resp_free(r);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char target[96];
		struct jdoc d;
		int64_t w;

		snprintf(target, sizeof(target), "/api/v3/depth?symbol=BTCUSDT&limit=%s",
			 cases[k].limit);
		r = rest_get(&T, target);
		cr_assert_eq(r->status, 200, "%s", r->body);
		shape_ok(cap, r->body, SHAPE_DECIMALS);
		d = jd(r->body, 0);
		cr_assert_eq(d.t[jm(&d, 0, "bids")].size, cases[k].n);
		cr_assert_eq(d.t[jm(&d, 0, "asks")].size, cases[k].n);
		w = weight(r);
		if (w > w0)     /* (a new minute starts the count again) */
			cr_assert_eq(w - w0, cases[k].w, "limit %s", cases[k].limit);
		w0 = w;
		simtest_resp_free(r);
	}
	r = rest_get(&T, "/api/v3/depth?symbol=BTCUSDT&limit=abc");
	rest_err(r, 400, -1100);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/depth?symbol=BTCUSDT&limit=0");
	rest_err(r, 400, -1100);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/depth?limit=10");
	rest_err(r, 400, -1102);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/depth?symbol=btcusdt");
	rest_err(r, 400, -1121);
	simtest_resp_free(r);
	free(cap);
}

/* ACK, RESULT and FULL with the captures' field sets; fees in the received asset. */
Test(binance_rest, order_responses)
{
	char *ack = fixture("binance-rest-order.jsonl", 0, "");
	char *res = fix_oqoq(fixture("binance-rest-order.jsonl", 1, ""));
	char *full = fix_oqoq(fixture("binance-rest-order.jsonl", 2, ""));
	struct simtest_resp *r;
	sim_fx bid, ask, low;
	struct jdoc d;

	top(&T, "BTCUSDT", &bid, &ask);
	low = (bid * 9 / 10) / 1000000 * 1000000;
	r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00100&"
		      "price=%s&newOrderRespType=ACK", fxs(low));
	cr_assert_eq(r->status, 200, "%s", r->body);
	shape_ok(ack, r->body, SHAPE_DECIMALS);
	cr_assert_eq(hdr_i64(r, "x-mbx-order-count-10s"), 1);
	cr_assert_eq(hdr_i64(r, "x-mbx-order-count-1d"), 1);
	d = jd(r->body, 0);
	cr_assert_eq(strlen(js(&d, 0, "clientOrderId")), 22u, "a generated client id");
	simtest_resp_free(r);

	r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
		      "price=%s&newOrderRespType=RESULT&newClientOrderId=res-1", fxs(low));
	cr_assert_eq(r->status, 200, "%s", r->body);
	shape_ok(res, r->body, SHAPE_DECIMALS);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "status"), "NEW");
	cr_assert_str_eq(js(&d, 0, "clientOrderId"), "res-1");
	cr_assert_str_eq(js(&d, 0, "timeInForce"), "GTC");
	simtest_resp_free(r);

	/* a marketable limit buy: FULL by default, fees in BTC */
	r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.002&"
		      "price=%s", fxs(ask + 1000 * 1000000LL));
	cr_assert_eq(r->status, 200, "%s", r->body);
	shape_ok(full, r->body, SHAPE_DECIMALS);
	d = jd(r->body, 0);
	{
		int fills = jm(&d, 0, "fills");
		sim_fx sum = 0;

		cr_assert_gt(d.t[fills].size, 0u);
		for (uint32_t k = 0; k < d.t[fills].size; k++) {
			int f = jr_at(d.t, fills, k);

			cr_assert_str_eq(js(&d, f, "commissionAsset"), "BTC");
			/* 0.1%, rounded up to 1e-8 */
			cr_assert_eq(jfx(&d, f, "commission"), (jfx(&d, f, "qty") + 999) / 1000);
			sum += jfx(&d, f, "qty");
		}
		cr_assert_eq(sum, jfx(&d, 0, "executedQty"));
		cr_assert_eq(hdr_i64(r, "x-mbx-order-count-10s"), 2, "a filled order stops counting");
	}
	simtest_resp_free(r);

	/* a market sell by quantity: fees in USDT */
	r = place(&T, "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "type"), "MARKET");
	cr_assert_str_eq(js(&d, 0, "status"), "FILLED");
	cr_assert_str_eq(js(&d, jr_at(d.t, jm(&d, 0, "fills"), 0), "commissionAsset"), "USDT");
	simtest_resp_free(r);

	/* a market buy by quote */
	r = place(&T, "symbol=ETHUSDT&side=BUY&type=MARKET&quoteOrderQty=50&newOrderRespType=RESULT");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_eq(jfx(&d, 0, "origQuoteOrderQty"), 50 * SIM_SCALE);
	cr_assert_leq(jfx(&d, 0, "cummulativeQuoteQty"), 50 * SIM_SCALE);
	cr_assert_gt(jfx(&d, 0, "executedQty"), 0);
	simtest_resp_free(r);

	/* an FOK that cannot fill expires */
	r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=0.001&"
		      "price=%s&newOrderRespType=RESULT", fxs(low));
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "status"), "EXPIRED");
	cr_assert_eq(jfx(&d, 0, "executedQty"), 0);
	simtest_resp_free(r);

	/* LIMIT_MAKER: ACK by default; one that would take is refused */
	r = place(&T, "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.001&price=%s",
		  fxs(ask + 5000 * 1000000LL));
	cr_assert_eq(r->status, 200, "%s", r->body);
	shape_ok(ack, r->body, 0);
	simtest_resp_free(r);
	top(&T, "BTCUSDT", &bid, &ask);
	r = place(&T, "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.001&price=%s",
		  fxs(bid - 200 * 1000000LL));
	rest_err(r, 400, -2010);
	cr_assert(strstr(r->body, "Order would immediately match and take."));
	simtest_resp_free(r);
	free(ack);
	free(res);
	free(full);
}

/* Every way a signature or its timing can fail, and the forms that pass. */
Test(binance_rest, signature_failures)
{
	const struct sim_account_cfg *a = bn_account(&T);
	const char *q = "symbol=BTCUSDT&recvWindow=5000";
	struct simtest_resp *r;
	uint64_t now = wall_ms();

	r = rest_signed_x(&T, "GET", "/api/v3/account", "", false, a->key, a->secret, now);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, "wrong", wall_ms());
	rest_err(r, 400, -1022);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false,
			  "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
			  a->secret, wall_ms());
	rest_err(r, 401, -2015);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, NULL, a->secret, wall_ms());
	rest_err(r, 401, -2014);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, "", a->secret, wall_ms());
	rest_err(r, 401, -2014);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, a->secret,
			  wall_ms() + 3000);
	rest_err(r, 400, -1021);
	cr_assert(strstr(r->body, "1000ms ahead of the server's time"), "%s", r->body);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, a->secret,
			  wall_ms() - 8000);
	rest_err(r, 400, -1021);
	cr_assert(strstr(r->body, "outside of the recvWindow"), "%s", r->body);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", "symbol=BTCUSDT&recvWindow=20000",
			  false, a->key, a->secret, wall_ms() - 8000);
	cr_assert_eq(r->status, 200, "a wider recvWindow lets it in: %s", r->body);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", "symbol=BTCUSDT&recvWindow=60001",
			  false, a->key, a->secret, wall_ms());
	rest_err(r, 400, -1102);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", "symbol=BTCUSDT&recvWindow=5000.1234",
			  false, a->key, a->secret, wall_ms());
	rest_err(r, 400, -1111);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", "symbol=BTCUSDT&recvWindow=5000.125",
			  false, a->key, a->secret, wall_ms());
	cr_assert_eq(r->status, 200, "three decimals are fine: %s", r->body);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, a->secret, 0);
	rest_err(r, 400, -1102);
	cr_assert(strstr(r->body, "'timestamp'"), "%s", r->body);
	simtest_resp_free(r);
	{
		char many[1024];
		size_t n = 0;

		for (int k = 0; k < 50; k++)
			n += (size_t)snprintf(many + n, sizeof(many) - n, "%sp%d=1", k ? "&" : "", k);
		r = rest_signed_x(&T, "GET", "/api/v3/openOrders", many, false, a->key, a->secret,
				  wall_ms());
		rest_err(r, 400, -1101);
		simtest_resp_free(r);
	}
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", "symbol=BTCUSDT&timestamp=12ab",
			  false, a->key, a->secret, 0);
	rest_err(r, 400, -1100);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, NULL, wall_ms());
	rest_err(r, 400, -1102);
	cr_assert(strstr(r->body, "'signature'"), "%s", r->body);
	simtest_resp_free(r);
	/* microseconds */
	r = rest_signed_x(&T, "GET", "/api/v3/openOrders", q, false, a->key, a->secret,
			  wall_ms() * 1000 + 123);
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	/* everything in a form body */
	r = rest_signed_x(&T, "POST", "/api/v3/order/test",
			  "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=20", true, a->key,
			  a->secret, wall_ms());
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_str_eq(r->body, "{}");
	simtest_resp_free(r);
	/* the query and the body signed together, with no '&' between them */
	{
		char *body = xsprintf("quoteOrderQty=20&timestamp=%" PRIu64, wall_ms());
		const char *query = "symbol=BTCUSDT&side=BUY&type=MARKET";
		char *payload = xsprintf("%s%s", query, body), sig[65], *target, *hdr;

		hmac_hex(a->secret, payload, strlen(payload), sig);
		target = xsprintf("/api/v3/order/test?%s", query);
		hdr = xsprintf("X-MBX-APIKEY: %s\r\nContent-Type: "
			       "application/x-www-form-urlencoded\r\n", a->key);
		free(payload);
		payload = xsprintf("%s&signature=%s", body, sig);
		r = simtest_http_on(&T, H, "POST", target, hdr, payload);
		cr_assert_eq(r->status, 200, "%s", r->body);
		simtest_resp_free(r);
		/* a repeated parameter within one part is refused */
		free(target);
		target = xsprintf("/api/v3/order/test?%s&side=SELL", query);
		r = simtest_http_on(&T, H, "POST", target, hdr, payload);
		rest_err(r, 400, -1101);
		simtest_resp_free(r);
		free(body);
		free(payload);
		free(target);
		free(hdr);
	}
}

/* The order parameters and the symbol's filters. */
Test(binance_rest, order_rejections)
{
	struct {
		char *params;
		unsigned status;
		int code;
		const char *msg;
	} cases[32];
	sim_fx bid, ask;
	int n = 0;

	top(&T, "BTCUSDT", &bid, &ask);
#define CASE(st, c, m, ...)                                                             \
	cases[n++] = (typeof(cases[0])){ xsprintf(__VA_ARGS__), st, c, m }
	CASE(400, -1102, "'symbol'", "side=BUY&type=MARKET&quantity=0.001");
	CASE(400, -1121, "Invalid symbol.", "symbol=LTCBTC&side=BUY&type=MARKET&quantity=1");
	CASE(400, -1102, "'side'", "symbol=BTCUSDT&type=MARKET&quantity=0.001");
	CASE(400, -1117, "Invalid side.", "symbol=BTCUSDT&side=buy&type=MARKET&quantity=0.001");
	CASE(400, -1102, "'type'", "symbol=BTCUSDT&side=BUY&quantity=0.001");
	CASE(400, -1116, "Invalid orderType.", "symbol=BTCUSDT&side=BUY&type=STOP&quantity=0.001");
	CASE(400, -1102, "'timeInForce'", "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&"
		 "price=%s", fxs(bid));
	CASE(400, -1115, "Invalid timeInForce.", "symbol=BTCUSDT&side=BUY&type=LIMIT&"
		 "timeInForce=GTX&quantity=0.001&price=%s", fxs(bid));
	CASE(400, -1102, "'price'", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&"
		 "quantity=0.001");
	CASE(400, -1102, "'quantity'", "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&price=%s",
	     fxs(bid));
	CASE(400, -1102, "'quoteOrderQty'", "symbol=BTCUSDT&side=BUY&type=MARKET");
	CASE(400, -1106, "'timeInForce'", "symbol=BTCUSDT&side=BUY&type=MARKET&timeInForce=GTC&"
		 "quantity=0.001");
	CASE(400, -1106, "'timeInForce'", "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&"
		 "timeInForce=GTC&quantity=0.001&price=%s", fxs(bid));
	CASE(400, -1106, "'price'", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&price=1");
	CASE(400, -1106, "'quoteOrderQty'", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&"
		 "quoteOrderQty=10");
	CASE(400, -1106, "'icebergQty'", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&"
		 "quantity=0.001&price=%s&icebergQty=0.0001", fxs(bid));
	CASE(400, -1111, "'quantity'", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.000000001");
	CASE(400, -1100, "'quantity'", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1e-3");
	CASE(400, -1108, "'quantity'", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quantity=99999999999999999999");
	CASE(400, -1100, "'price'", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&"
		 "quantity=0.001&price=-5");
	CASE(400, -1100, "'newClientOrderId'", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quantity=0.001&newClientOrderId=a%%20b");
	CASE(400, -1100, "'newOrderRespType'", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quantity=0.001&newOrderRespType=ALL");
	CASE(400, -1130, "selfTradePreventionMode", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quantity=0.001&selfTradePreventionMode=MAYBE");
	CASE(400, -1013, "Filter failure: PRICE_FILTER", "symbol=BTCUSDT&side=BUY&type=LIMIT&"
		 "timeInForce=GTC&quantity=0.001&price=%s", fxs(bid - 1));
	CASE(400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE", "symbol=BTCUSDT&side=SELL&"
		 "type=LIMIT&timeInForce=GTC&quantity=0.001&price=%s", fxs(ask * 6 / 1000000 * 1000000LL));
	CASE(400, -1013, "Filter failure: LOT_SIZE", "symbol=BTCUSDT&side=BUY&type=LIMIT&"
		 "timeInForce=GTC&quantity=0.000015&price=%s", fxs(bid));
	CASE(400, -1013, "Filter failure: LOT_SIZE", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quantity=9001");
	CASE(400, -1013, "Filter failure: NOTIONAL", "symbol=BTCUSDT&side=BUY&type=LIMIT&"
		 "timeInForce=GTC&quantity=0.00001&price=%s", fxs(bid));
	CASE(400, -1013, "Filter failure: NOTIONAL", "symbol=BTCUSDT&side=BUY&type=MARKET&"
		 "quoteOrderQty=4.99");
	CASE(400, -2010, "Account has insufficient balance for requested action.",
	     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=50&price=%s", fxs(bid));
	CASE(400, -2010, "Account has insufficient balance for requested action.",
	     "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=11");
#undef CASE
	for (int k = 0; k < n; k++) {
		struct simtest_resp *r = place(&T, "%s", cases[k].params);

		rest_err(r, cases[k].status, cases[k].code);
		cr_assert(strstr(r->body, cases[k].msg), "%s -> %s", cases[k].params, r->body);
		cr_assert_eq(hdr_i64(r, "x-mbx-order-count-10s"), -1,
			     "no order count on a rejected order");
		simtest_resp_free(r);
		free(cases[k].params);
	}
	/* a client id is unique among open orders only */
	{
		sim_fx low = (bid * 9 / 10) / 1000000 * 1000000;
		struct simtest_resp *r;

		r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
			      "price=%s&newClientOrderId=dup", fxs(low));
		cr_assert_eq(r->status, 200, "%s", r->body);
		simtest_resp_free(r);
		r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
			      "price=%s&newClientOrderId=dup", fxs(low));
		rest_err(r, 400, -2010);
		cr_assert(strstr(r->body, "Duplicate order sent."), "%s", r->body);
		simtest_resp_free(r);
		r = rest_signed(&T, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=dup");
		cr_assert_eq(r->status, 200, "%s", r->body);
		simtest_resp_free(r);
		r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&"
			      "price=%s&newClientOrderId=dup", fxs(low));
		cr_assert_eq(r->status, 200, "once cancelled, the id is free: %s", r->body);
		simtest_resp_free(r);
	}
}

/* Queries and cancels: GET/DELETE order, openOrders, account, order/test. */
Test(binance_rest, queries_and_cancels)
{
	struct simtest_resp *r;
	sim_fx bid, ask, low;
	struct jdoc d;
	int64_t id;

	top(&T, "ETHUSDT", &bid, &ask);
	low = (bid * 9 / 10) / 1000000 * 1000000;
	r = place(&T, "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0100&"
		      "price=%s&newClientOrderId=q-1", fxs(low));
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	id = ji(&d, 0, "orderId");
	simtest_resp_free(r);
	r = place(&T, "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0100&"
		      "price=%s&newClientOrderId=q-2", fxs(low));
	simtest_resp_free(r);

	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=ETHUSDT&origClientOrderId=q-1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_eq(ji(&d, 0, "orderId"), id);
	cr_assert_str_eq(js(&d, 0, "status"), "NEW");
	cr_assert_eq(d.t[jm(&d, 0, "isWorking")].type, JR_TRUE);
	cr_assert_str_eq(js(&d, 0, "stopPrice"), "0.00000000");
	cr_assert_geq(ji(&d, 0, "updateTime"), ji(&d, 0, "time"));
	simtest_resp_free(r);
	{
		char *p = xsprintf("symbol=ETHUSDT&orderId=%" PRId64, id);

		r = rest_signed(&T, "GET", "/api/v3/order", p);
		cr_assert_eq(r->status, 200, "%s", r->body);
		simtest_resp_free(r);
		free(p);
	}
	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=ETHUSDT&orderId=999999");
	rest_err(r, 400, -2013);
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=q-1");
	rest_err(r, 400, -2013);
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=ETHUSDT");
	rest_err(r, 400, -1102);
	simtest_resp_free(r);

	r = rest_signed(&T, "GET", "/api/v3/openOrders", "symbol=ETHUSDT");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_eq(d.t[0].size, 2u);
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/openOrders", "");
	d = jd(r->body, 0);
	cr_assert_eq(d.t[0].size, 2u);
	simtest_resp_free(r);

	r = rest_signed(&T, "GET", "/api/v3/account", "");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, jm(&d, 0, "commissionRates"), "maker"), "0.00100000");
	cr_assert_str_eq(js(&d, jm(&d, 0, "commissionRates"), "taker"), "0.00100000");
	{
		int bal = jm(&d, 0, "balances");
		bool usdt = false;

		for (uint32_t k = 0; k < d.t[bal].size; k++) {
			int e = jr_at(d.t, bal, k);

			if (strcmp(js(&d, e, "asset"), "USDT"))
				continue;
			usdt = true;
			cr_assert_eq(jfx(&d, e, "locked"), 2 * sim_mul(low, SIM_SCALE / 100),
				     "two open buys lock their notional");
		}
		cr_assert(usdt);
	}
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/account/commission", "symbol=ETHUSDT");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, jm(&d, 0, "standardCommission"), "taker"), "0.00100000");
	simtest_resp_free(r);

	{
		char *p = xsprintf("symbol=ETHUSDT&orderId=%" PRId64 "&origClientOrderId=q-2", id);

		r = rest_signed(&T, "DELETE", "/api/v3/order", p);
		rest_err(r, 400, -2011);
		simtest_resp_free(r);
		free(p);
	}
	r = rest_signed(&T, "DELETE", "/api/v3/order",
			"symbol=ETHUSDT&origClientOrderId=q-1&newClientOrderId=c-1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "status"), "CANCELED");
	cr_assert_str_eq(js(&d, 0, "origClientOrderId"), "q-1");
	cr_assert_str_eq(js(&d, 0, "clientOrderId"), "c-1");
	simtest_resp_free(r);
	r = rest_signed(&T, "DELETE", "/api/v3/order", "symbol=ETHUSDT&origClientOrderId=q-1");
	rest_err(r, 400, -2011);
	simtest_resp_free(r);
	r = rest_signed(&T, "DELETE", "/api/v3/order", "symbol=ETHUSDT");
	rest_err(r, 400, -1102);
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=ETHUSDT&origClientOrderId=q-1");
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "status"), "CANCELED");
	simtest_resp_free(r);

	r = rest_signed(&T, "DELETE", "/api/v3/openOrders", "symbol=ETHUSDT");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_eq(d.t[0].size, 1u);
	cr_assert_str_eq(js(&d, jr_at(d.t, 0, 0), "origClientOrderId"), "q-2");
	simtest_resp_free(r);
	r = rest_signed(&T, "DELETE", "/api/v3/openOrders", "symbol=ETHUSDT");
	rest_err(r, 400, -2011);
	simtest_resp_free(r);

	/* order/test checks, places nothing */
	r = rest_signed(&T, "POST", "/api/v3/order/test", "symbol=ETHUSDT&side=BUY&type=LIMIT&"
			"timeInForce=GTC&quantity=0.01&price=1.001");
	rest_err(r, 400, -1013);
	simtest_resp_free(r);
	r = rest_signed(&T, "POST", "/api/v3/order/test", "symbol=ETHUSDT&side=BUY&type=MARKET&"
			"quantity=0.01&computeCommissionRates=true");
	cr_assert_eq(r->status, 200, "%s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, jm(&d, 0, "standardCommissionForOrder"), "maker"), "0.00100000");
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/openOrders", "symbol=ETHUSDT");
	cr_assert_str_eq(r->body, "[]");
	simtest_resp_free(r);
}

/* Over the weight limit: 429 -1003 with Retry-After; going on: 418 and a ban. */
Test(binance_rest, weight_429_then_418)
{
	struct simtest_resp *r = NULL;
	int n429 = 0, tries = 0;
	char ra[32];

	/* a minute boundary on the way starts the count again: go on until it holds */
	while (tries++ < 200) {
		r = rest_get(&T, "/api/v3/depth?symbol=BTCUSDT&limit=5000");
		if (r->status == 200) {
			n429 = 0;
		} else if (r->status == 429) {
			rest_err(r, 429, -1003);
			cr_assert_not_null(simtest_resp_header(r, "retry-after", ra, sizeof(ra)));
			cr_assert_geq(atoi(ra), 1);
			cr_assert_leq(atoi(ra), 60);
			n429++;
		} else {
			break;
		}
		simtest_resp_free(r);
		r = NULL;
	}
	cr_assert_not_null(r);
	cr_assert_eq(n429, 3, "three 429s before the ban");
	rest_err(r, 418, -1003);
	cr_assert(strstr(r->body, "IP banned until"), "%s", r->body);
	cr_assert_not_null(simtest_resp_header(r, "retry-after", ra, sizeof(ra)));
	cr_assert_geq(atoi(ra), 110, "the first ban is 2 minutes");
	cr_assert_leq(atoi(ra), 120);
	simtest_resp_free(r);
	/* banned: everything, the WS API too */
	r = rest_get(&T, "/api/v3/ping");
	rest_err(r, 418, -1003);
	simtest_resp_free(r);
	{
		struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
		const char *reply = api_call(&T, c, "b1", "{\"id\":\"b1\",\"method\":\"ping\"}");
		char *cap = fixture("binance-wsapi.jsonl", 3, "");
		struct jdoc d;

		api_err(reply, 418, -1003);
		shape_ok(cap, reply, 0);
		d = jd(reply, 0);
		cr_assert_gt(ji(&d, jm(&d, jm(&d, 0, "error"), "data"), "retryAfter"),
			     (int64_t)wall_ms() + 100000);
		free(cap);
		simtest_ws_free(&T, c);
	}
}

/* ORDERS 100 per 10 s: the 101st unfilled order is 429 -1015; fills do not count. */
Test(binance_rest, order_count_limit)
{
	static const char *const syms[3] = { "BTCUSDT", "ETHUSDT", "XRPUSDT" };
	sim_fx low[3], bid, ask;
	int64_t last = -1;
	int placed = 0;
	bool limited = false;

	for (int s = 0; s < 3; s++) {
		top(&T, syms[s], &bid, &ask);
		low[s] = bid / 2;
	}
	low[0] = low[0] / 1000000 * 1000000;
	low[1] = low[1] / 1000000 * 1000000;
	low[2] = low[2] / 10000 * 10000;
	/* one filled order first: counted, then uncounted at its fill */
	{
		struct simtest_resp *r = place(&T, "symbol=ETHUSDT&side=BUY&type=MARKET&"
					       "quoteOrderQty=10");

		cr_assert_eq(r->status, 200, "%s", r->body);
		cr_assert_eq(hdr_i64(r, "x-mbx-order-count-10s"), 0);
		cr_assert_eq(hdr_i64(r, "x-mbx-order-count-1d"), 0);
		simtest_resp_free(r);
	}
	/* a new 10 s window on the way starts over: go on until the limit shows */
	while (placed < 590 && !limited) {
		int s = placed % 3;
		struct simtest_resp *r;

		r = place(&T, "symbol=%s&side=BUY&type=LIMIT&timeInForce=GTC&quantity=%s&price=%s&"
			      "newOrderRespType=ACK", syms[s],
			  s == 0 ? "0.0002" : s == 1 ? "0.0100" : "10", fxs(low[s]));
		if (r->status == 429) {
			rest_err(r, 429, -1015);
			cr_assert(strstr(r->body, "100 orders per 10 SECOND"), "%s", r->body);
			cr_assert_geq(hdr_i64(r, "retry-after"), 1);
			cr_assert_leq(hdr_i64(r, "retry-after"), 10);
			limited = true;
		} else {
			cr_assert_eq(r->status, 200, "%s", r->body);
			last = hdr_i64(r, "x-mbx-order-count-10s");
			placed++;
		}
		simtest_resp_free(r);
	}
	cr_assert(limited, "the limit came within %d orders", placed);
	cr_assert_eq(last, 100, "the 100th was the last one in");
}

/* The 429 fault, the 5xx fault (after matching for orders), clock skew. */
Test(binance_rest, faults)
{
	struct sim_venue *v = sim_server_venue(T.s, "binance");
	const struct sim_account_cfg *a = bn_account(&T);
	struct sim_fault f;
	struct simtest_resp *r;
	sim_fx bid, ask;
	struct jdoc d;

	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_BURST_429;
	f.duration_ns = 30ull * 1000000000ull;
	sim_fault_apply(v, &f, net_now_ns());
	r = rest_get(&T, "/api/v3/ping");
	rest_err(r, 429, -1003);
	cr_assert_geq(hdr_i64(r, "retry-after"), 29);
	simtest_resp_free(r);
	{
		struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
		const char *reply = api_call(&T, c, "z1", "{\"id\":\"z1\",\"method\":\"time\"}");
		struct jdoc e = jd(reply, 0);

		api_err(reply, 429, -1003);
		cr_assert_geq(ji(&e, jm(&e, jm(&e, 0, "error"), "data"), "retryAfter"),
			      (int64_t)wall_ms() + 28000);
		simtest_ws_free(&T, c);
	}
	f.duration_ns = 0;              /* over */
	sim_fault_apply(v, &f, net_now_ns());
	r = rest_get(&T, "/api/v3/ping");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);

	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_HTTP_5XX;
	f.count = 1;
	sim_fault_apply(v, &f, net_now_ns());
	r = rest_get(&T, "/api/v3/ping");
	cr_assert_eq(r->status, 503);
	simtest_resp_free(r);
	r = rest_get(&T, "/api/v3/ping");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	top(&T, "BTCUSDT", &bid, &ask);
	sim_fault_apply(v, &f, net_now_ns());
	r = place(&T, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&"
		      "price=%s&newClientOrderId=amb-1", fxs(ask + 500 * 1000000LL));
	rest_err(r, 503, -1007);
	simtest_resp_free(r);
	r = rest_signed(&T, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=amb-1");
	cr_assert_eq(r->status, 200, "the ambiguous order was matched: %s", r->body);
	d = jd(r->body, 0);
	cr_assert_str_eq(js(&d, 0, "status"), "FILLED");
	simtest_resp_free(r);

	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_CLOCK_SKEW;
	f.skew_ms = -3000;
	sim_fault_apply(v, &f, net_now_ns());
	r = rest_get(&T, "/api/v3/time");
	d = jd(r->body, 0);
	cr_assert_lt(ji(&d, 0, "serverTime"), (int64_t)wall_ms() - 2500);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/account", "", false, a->key, a->secret, wall_ms());
	rest_err(r, 400, -1021);
	simtest_resp_free(r);
	r = rest_signed_x(&T, "GET", "/api/v3/account", "", false, a->key, a->secret,
			  wall_ms() - 3000);
	cr_assert_eq(r->status, 200, "a client that synced to the venue's clock: %s", r->body);
	simtest_resp_free(r);
}

/* ---- binance_wsapi ---------------------------------------------------------------------- */

TestSuite(binance_wsapi, .init = rest_setup, .fini = rest_teardown);

static char *envelope_fixture(unsigned line)
{
	return fix_oqoq(fixture("binance-wsapi.jsonl", line, ""));
}

Test(binance_wsapi, responses_and_rate_limits)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	struct simtest_ws *q = simtest_ws_open(&T, "binance", true,
					       "/ws-api/v3?returnRateLimits=false", NULL);
	const char *reply;
	struct jdoc d;
	static const char want[] = "{\"id\":\"p1\",\"status\":200,\"result\":{},\"rateLimits\":[{"
				   "\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
				   "\"intervalNum\":1,\"limit\":6000,\"count\":";

	reply = api_call(&T, c, "p1", "{\"id\":\"p1\",\"method\":\"ping\"}");
	cr_assert(!strncmp(reply, want, sizeof(want) - 1), "%s", reply);
	reply = api_call(&T, c, "p2", "{\"id\":\"p2\",\"method\":\"v3/time\","
				      "\"params\":{\"returnRateLimits\":false}}");
	d = jd(reply, 0);
	cr_assert_lt(llabs(ji(&d, jm(&d, 0, "result"), "serverTime") - (int64_t)wall_ms()), 2000);
	cr_assert_lt(jm(&d, 0, "rateLimits"), 0, "returnRateLimits=false: %s", reply);
	reply = api_call(&T, q, "p3", "{\"id\":\"p3\",\"method\":\"ping\"}");
	cr_assert_str_eq(reply, "{\"id\":\"p3\",\"status\":200,\"result\":{}}");
	reply = api_call(&T, q, "p4", "{\"id\":\"p4\",\"method\":\"ping\","
				      "\"params\":{\"returnRateLimits\":true}}");
	cr_assert(strstr(reply, "\"rateLimits\":["), "%s", reply);
	reply = api_call(&T, c, "p5", "{\"id\":\"p5\",\"method\":\"depth\","
				      "\"params\":{\"symbol\":\"BTCUSDT\",\"limit\":5}}");
	d = jd(reply, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "bids")].size, 5u);
	reply = api_call(&T, c, "p6", "{\"id\":\"p6\",\"method\":\"exchangeInfo\","
				      "\"params\":{\"symbols\":[\"XRPUSDT\"]}}");
	d = jd(reply, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "symbols")].size, 1u, "%s", reply);
	/* integer and null ids */
	cr_assert_eq(simtest_ws_text(c, "{\"id\":77,\"method\":\"ping\"}"), 0);
	cr_assert_geq(ws_find(&T, c, 0, "{\"id\":77,\"status\":200,"), 0);
	cr_assert_eq(simtest_ws_text(c, "{\"id\":null,\"method\":\"ping\"}"), 0);
	cr_assert_geq(ws_find(&T, c, 0, "{\"id\":null,\"status\":200,"), 0);
	simtest_ws_free(&T, c);
	simtest_ws_free(&T, q);
}

Test(binance_wsapi, request_errors)
{
	const struct sim_account_cfg *a = bn_account(&T);
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	char *cap = envelope_fixture(2);
	const struct kv acct[1] = { { "omitZeroBalances", "true", false } };
	const char *reply;
	char *req;
	int i;

	cr_assert_eq(simtest_ws_text(c, "{\"id\":\"bad id!\",\"method\":\"ping\"}"), 0);
	i = ws_find(&T, c, 0, "{\"id\":null,\"status\":400,");
	cr_assert_geq(i, 0);
	api_err(c->msg[i], 400, -1135);
	cr_assert_eq(simtest_ws_text(c, "not json"), 0);
	i = ws_find(&T, c, (uint32_t)i + 1, "{\"id\":null,\"status\":400,");
	api_err(c->msg[i], 400, -1135);
	cr_assert_eq(ws_conn_send(&c->w, WS_OP_BINARY, "{}", 2), 0);
	i = ws_find(&T, c, (uint32_t)i + 1, "{\"id\":null,\"status\":400,");
	api_err(c->msg[i], 400, -1135);
	reply = api_call(&T, c, "e0", "{\"id\":\"e0\",\"method\":\"time\","
				      "\"params\":{\"a\":\"1\",\"a\":\"2\"}}");
	api_err(reply, 400, -1101);
	reply = api_call(&T, c, "e1", "{\"id\":\"e1\",\"method\":\"order.fly\"}");
	api_err(reply, 400, -1020);
	reply = api_call(&T, c, "e2", "{\"id\":\"e2\"}");
	api_err(reply, 400, -1102);
	reply = api_call(&T, c, "e3", "{\"id\":\"e3\",\"method\":\"time\",\"params\":[1]}");
	api_err(reply, 400, -1135);
	req = api_signed_x("e4", "account.status", acct, 1, a->key, "wrong", wall_ms());
	reply = api_call(&T, c, "e4", req);
	api_err(reply, 400, -1022);
	shape_ok(cap, reply, 0);
	free(req);
	req = api_signed_x("e5", "account.status", acct, 1, NULL, a->secret, wall_ms());
	reply = api_call(&T, c, "e5", req);
	api_err(reply, 400, -1102);
	cr_assert(strstr(reply, "'apiKey'"), "%s", reply);
	free(req);
	req = api_signed_x("e6", "account.status", acct, 1, "nosuchkey", a->secret, wall_ms());
	reply = api_call(&T, c, "e6", req);
	api_err(reply, 401, -2015);
	free(req);
	req = api_signed_x("e7", "account.status", acct, 1, a->key, a->secret, wall_ms() - 9000);
	reply = api_call(&T, c, "e7", req);
	api_err(reply, 400, -1021);
	free(req);
	req = api_signed_x("e8", "account.status", acct, 1, a->key, a->secret, 0);
	reply = api_call(&T, c, "e8", req);
	api_err(reply, 400, -1102);
	free(req);
	req = api_signed_x("e9", "account.status", acct, 1, a->key, a->secret, wall_ms());
	reply = api_call(&T, c, "e9", req);
	cr_assert(strstr(reply, "\"status\":200"), "%s", reply);
	free(req);
	{
		const struct kv kv[2] = { { "symbol", "BTCUSDT", false }, { "orderId", "424242", true } };

		req = api_signed(&T, "e10", "order.status", kv, 2);
		api_err(api_call(&T, c, "e10", req), 400, -2013);
		free(req);
		req = api_signed(&T, "e11", "order.cancel", kv, 2);
		api_err(api_call(&T, c, "e11", req), 400, -2011);
		free(req);
	}
	{
		const struct kv kv[4] = { { "symbol", "BTCUSDT", false }, { "side", "BUY", false },
					  { "type", "MARKET", false }, { "quantity", "100", false } };

		req = api_signed(&T, "e12", "order.place", kv, 4);
		reply = api_call(&T, c, "e12", req);
		api_err(reply, 400, -2010);
		shape_ok(cap, reply, 0);
		free(req);
	}
	simtest_ws_free(&T, c);
	free(cap);
}

/* session.logon answers an HMAC key as the venue does; userDataStream.subscribe needs it. */
Test(binance_wsapi, session_logon_hmac)
{
	const struct sim_account_cfg *a = bn_account(&T);
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	const char *reply;
	char *req;
	struct jdoc d;

	req = api_signed(&T, "l1", "session.logon", NULL, 0);
	reply = api_call(&T, c, "l1", req);
	api_err(reply, 400, -4056);
	cr_assert(strstr(reply, "HMAC_SHA256 API key is not supported."), "%s", reply);
	free(req);
	req = api_signed_x("l2", "session.logon", NULL, 0, "unknownKey", a->secret, wall_ms());
	api_err(api_call(&T, c, "l2", req), 401, -2015);
	free(req);
	api_err(api_call(&T, c, "l3", "{\"id\":\"l3\",\"method\":\"session.logon\"}"), 400, -1102);
	api_err(api_call(&T, c, "l4", "{\"id\":\"l4\",\"method\":\"userDataStream.subscribe\"}"),
		401, -1002);
	reply = api_call(&T, c, "l5", "{\"id\":\"l5\",\"method\":\"session.status\"}");
	d = jd(reply, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "apiKey")].type, JR_NULL);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "userDataStream")].type, JR_FALSE);
	simtest_ws_free(&T, c);
}

/* order.place: ACK, RESULT, FULL as the WS API captures have them. */
Test(binance_wsapi, order_place_responses)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	char *ack = envelope_fixture(10), *res = envelope_fixture(11), *full12 = envelope_fixture(12);
	char *full = fix_oqoq(fixture("binance-rest-order.jsonl", 2, ""));
	char low_s[32], hi_s[32], *req, *part;
	sim_fx bid, ask;
	const char *reply;
	struct jdoc d, f;

	top(&T, "BTCUSDT", &bid, &ask);
	strcpy(low_s, fxs((bid * 9 / 10) / 1000000 * 1000000LL));
	strcpy(hi_s, fxs(ask + 300 * 1000000LL));
	{
		const struct kv kv[7] = {
			{ "symbol", "BTCUSDT", false }, { "side", "BUY", false },
			{ "type", "LIMIT", false }, { "timeInForce", "GTC", false },
			{ "quantity", "0.001", false }, { "price", low_s, false },
			{ "newOrderRespType", "ACK", false },
		};

		req = api_signed(&T, "o1", "order.place", kv, 7);
		reply = api_call(&T, c, "o1", req);
		shape_ok(ack, reply, 0);
		free(req);
	}
	{
		const struct kv kv[7] = {
			{ "symbol", "BTCUSDT", false }, { "side", "BUY", false },
			{ "type", "LIMIT", false }, { "timeInForce", "GTC", false },
			{ "quantity", "0.001", false }, { "price", low_s, false },
			{ "newOrderRespType", "RESULT", false },
		};

		req = api_signed(&T, "o2", "order.place", kv, 7);
		reply = api_call(&T, c, "o2", req);
		shape_ok(res, reply, SHAPE_DECIMALS);
		d = jd(reply, 0);
		cr_assert_eq(ji(&d, jr_at(d.t, jm(&d, 0, "rateLimits"), 0), "count"), 2,
			     "ORDERS 10 s counts both resting orders");
		free(req);
	}
	{
		const struct kv kv[6] = {
			{ "symbol", "BTCUSDT", false }, { "side", "BUY", false },
			{ "type", "LIMIT", false }, { "timeInForce", "IOC", false },
			{ "quantity", "0.002", false }, { "price", hi_s, false },
		};

		req = api_signed(&T, "o3", "order.place", kv, 6);
		reply = api_call(&T, c, "o3", req);
		d = jd(reply, 0);
		f = jd(full12, 1);
		part = jtext(&d, jm(&d, 0, "result"));
		shape_ok(full, part, SHAPE_DECIMALS);
		free(part);
		part = jtext(&d, jm(&d, 0, "rateLimits"));
		{
			char *fr = jtext(&f, jm(&f, 0, "rateLimits"));

			shape_ok(fr, part, 0);
			free(fr);
		}
		free(part);
		free(req);
	}
	simtest_ws_free(&T, c);
	free(ack);
	free(res);
	free(full12);
	free(full);
}

/* The ledger's lines (the whole file, re-read each time). */
static char *ledger_text(void)
{
	FILE *f = fopen(T.sc.ledger_path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", T.sc.ledger_path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* The last ledger line of event ev whose members match every "k=v" in want[]; malloc'd. */
static char *ledger_find(const char *ev, const char *const *want, int n)
{
	char *all = ledger_text(), *line, *save = NULL, *found = NULL;

	for (line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct jdoc d = jd(line, 2);
		bool ok = !strcmp(js(&d, 0, "ev"), ev);

		for (int k = 0; ok && k < n; k++) {
			const char *eq = strchr(want[k], '=');
			char key[32];
			int i;

			memcpy(key, want[k], (size_t)(eq - want[k]));
			key[eq - want[k]] = '\0';
			i = jm(&d, 0, key);
			ok = i >= 0 && d.t[i].len == strlen(eq + 1) &&
			     !memcmp(line + d.t[i].start, eq + 1, d.t[i].len);
		}
		if (ok) {
			free(found);
			found = strdup(line);
		}
	}
	free(all);
	return found;
}

/*
 * An order through the WS API, seen on a userDataStream subscription:
 * NEW, TRADE executionReports and outboundAccountPosition with the
 * captures' shapes, every fill as the ledger has it; a cancel reports the
 * cancel's client id and the original; unsubscribing ends the stream.
 */
Test(binance_wsapi, user_data_stream_and_ledger)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	const struct kv sub[1] = { { "returnRateLimits", "false", true } };
	char *f_sub = fixture("binance-wsapi.jsonl", 16, "");
	char *f_new = fixture("binance-executionReport.jsonl", 1, "");
	char *f_trade = fixture("binance-executionReport.jsonl", 2, "");
	char *f_oap = fixture("binance-userdata-other.jsonl", 5, "");
	char *f_end = fixture("binance-userdata-other.jsonl", 3, "");
	char *w_new = xsprintf("{\"subscriptionId\":0,\"event\":%s}", f_new);
	char *w_trade = xsprintf("{\"subscriptionId\":0,\"event\":%s}", f_trade);
	char hi_s[32], low_s[32], *req;
	const char *reply;
	sim_fx bid, ask, filled = 0;
	int i, trades = 0, oap;
	int64_t order_id;
	struct jdoc d;

	req = api_signed(&T, "u1", "userDataStream.subscribe.signature", sub, 1);
	reply = api_call(&T, c, "u1", req);
	cr_assert_str_eq(reply, "{\"id\":\"u1\",\"status\":200,\"result\":{\"subscriptionId\":0}}");
	shape_ok(f_sub, reply, 0);
	free(req);
	req = api_signed(&T, "u2", "userDataStream.subscribe.signature", NULL, 0);
	api_err(api_call(&T, c, "u2", req), 400, -2035);
	free(req);

	top(&T, "BTCUSDT", &bid, &ask);
	strcpy(hi_s, fxs(ask + 300 * 1000000LL));
	strcpy(low_s, fxs((bid * 9 / 10) / 1000000 * 1000000LL));
	{
		const struct kv kv[7] = {
			{ "symbol", "BTCUSDT", false }, { "side", "BUY", false },
			{ "type", "LIMIT", false }, { "timeInForce", "IOC", false },
			{ "quantity", "0.003", false }, { "price", hi_s, false },
			{ "newClientOrderId", "ud-1", false },
		};

		req = api_signed(&T, "o1", "order.place", kv, 7);
		reply = api_call(&T, c, "o1", req);
		d = jd(reply, 0);
		order_id = ji(&d, jm(&d, 0, "result"), "orderId");
		free(req);
	}
	/* NEW, then the fills, then the balances, all before the reply */
	i = ws_find(&T, c, 0, "\"e\":\"executionReport\"");
	cr_assert_geq(i, 0);
	shape_ok(w_new, c->msg[i], SHAPE_DECIMALS);
	d = jd(c->msg[i], 0);
	{
		int ev = jm(&d, 0, "event");

		cr_assert_str_eq(js(&d, ev, "x"), "NEW");
		cr_assert_str_eq(js(&d, ev, "c"), "ud-1");
		cr_assert_eq(ji(&d, ev, "i"), order_id);
		cr_assert_eq(ji(&d, ev, "t"), -1);
		cr_assert_str_eq(js(&d, ev, "n"), "0");
		cr_assert_eq(d.t[jm(&d, ev, "N")].type, JR_NULL);
	}
	for (uint32_t k = (uint32_t)i + 1; k < c->kept; k++) {
		const char *m = c->msg[k];
		int ev;
		char *fill, want_id[32], want_tid[32];
		const char *want[2] = { want_id, want_tid };
		struct jdoc l;

		if (!strstr(m, "\"x\":\"TRADE\""))
			continue;
		shape_ok(w_trade, m, SHAPE_DECIMALS);
		d = jd(m, 0);
		ev = jm(&d, 0, "event");
		cr_assert_str_eq(js(&d, ev, "N"), "BTC", "the fee is in the asset received");
		cr_assert_eq(d.t[jm(&d, ev, "m")].type, JR_FALSE, "a taker");
		filled += jfx(&d, ev, "l");
		cr_assert_eq(jfx(&d, ev, "z"), filled);
		snprintf(want_id, sizeof(want_id), "id=%" PRId64, order_id);
		snprintf(want_tid, sizeof(want_tid), "trade_id=%" PRId64, ji(&d, ev, "t"));
		fill = ledger_find("fill", want, 2);
		cr_assert_not_null(fill, "the ledger has fill %s %s", want_id, want_tid);
		l = jd(fill, 1);
		cr_assert_eq(jfx(&l, 0, "px"), jfx(&d, ev, "L"));
		cr_assert_eq(jfx(&l, 0, "qty"), jfx(&d, ev, "l"));
		cr_assert_eq(jfx(&l, 0, "fee"), jfx(&d, ev, "n"));
		cr_assert_str_eq(js(&l, 0, "fee_asset"), js(&d, ev, "N"));
		cr_assert_str_eq(js(&l, 0, "cid"), "ud-1");
		free(fill);
		trades++;
	}
	cr_assert_gt(trades, 0);
	cr_assert_eq(filled, 300000, "0.003 filled in all");
	{
		char want_id[32];
		const char *want[2] = { want_id, "result=accepted" };
		char *order;

		snprintf(want_id, sizeof(want_id), "id=%" PRId64, order_id);
		order = ledger_find("order", want, 2);
		cr_assert_not_null(order);
		free(order);
	}
	oap = ws_find(&T, c, 0, "\"e\":\"outboundAccountPosition\"");
	cr_assert_geq(oap, 0);
	shape_ok(f_oap, c->msg[oap], SHAPE_DECIMALS);
	d = jd(c->msg[oap], 0);
	{
		int B = jm(&d, jm(&d, 0, "event"), "B");

		cr_assert_geq(d.t[B].size, 2u, "BTC and USDT moved");
		for (uint32_t k = 0; k < d.t[B].size; k++) {
			int e = jr_at(d.t, B, k);
			char want_asset[32];
			const char *want[2] = { want_asset, "venue=binance" };
			char *bal;
			struct jdoc l;

			snprintf(want_asset, sizeof(want_asset), "asset=%s", js(&d, e, "a"));
			bal = ledger_find("balance", want, 2);
			cr_assert_not_null(bal);
			l = jd(bal, 1);
			cr_assert_eq(jfx(&l, 0, "free"), jfx(&d, e, "f"), "%s vs %s", bal, c->msg[oap]);
			cr_assert_eq(jfx(&l, 0, "locked"), jfx(&d, e, "l"));
			free(bal);
		}
	}

	/* a cancel: c is the cancel's id, C the order's */
	{
		const struct kv kv[7] = {
			{ "symbol", "BTCUSDT", false }, { "side", "BUY", false },
			{ "type", "LIMIT", false }, { "timeInForce", "GTC", false },
			{ "quantity", "0.001", false }, { "price", low_s, false },
			{ "newClientOrderId", "ud-2", false },
		};
		const struct kv cx[3] = { { "symbol", "BTCUSDT", false },
					  { "origClientOrderId", "ud-2", false },
					  { "newClientOrderId", "cx-2", false } };

		req = api_signed(&T, "o2", "order.place", kv, 7);
		api_call(&T, c, "o2", req);
		free(req);
		req = api_signed(&T, "o3", "order.cancel", cx, 3);
		reply = api_call(&T, c, "o3", req);
		d = jd(reply, 0);
		cr_assert_str_eq(js(&d, jm(&d, 0, "result"), "status"), "CANCELED");
		free(req);
		i = ws_find(&T, c, 0, "\"x\":\"CANCELED\"");
		cr_assert_geq(i, 0);
		d = jd(c->msg[i], 0);
		cr_assert_str_eq(js(&d, jm(&d, 0, "event"), "c"), "cx-2");
		cr_assert_str_eq(js(&d, jm(&d, 0, "event"), "C"), "ud-2");
		cr_assert_eq(d.t[jm(&d, jm(&d, 0, "event"), "w")].type, JR_FALSE);
	}

	/* unsubscribe: {}, then eventStreamTerminated; no more events */
	reply = api_call(&T, c, "x1", "{\"id\":\"x1\",\"method\":\"userDataStream.unsubscribe\","
				      "\"params\":{\"subscriptionId\":0}}");
	cr_assert(!strncmp(reply, "{\"id\":\"x1\",\"status\":200,\"result\":{}", 34), "%s", reply);
	i = ws_find(&T, c, 0, "\"e\":\"eventStreamTerminated\"");
	cr_assert_geq(i, 0);
	shape_ok(f_end, c->msg[i], 0);
	api_err(api_call(&T, c, "x2", "{\"id\":\"x2\",\"method\":\"userDataStream.unsubscribe\"}"),
		400, -2036);
	{
		uint32_t before;
		const struct kv kv[4] = { { "symbol", "BTCUSDT", false }, { "side", "SELL", false },
					  { "type", "MARKET", false }, { "quantity", "0.001", false } };

		simtest_ws_forget(c);
		req = api_signed(&T, "o4", "order.place", kv, 4);
		api_call(&T, c, "o4", req);
		free(req);
		before = c->kept;
		for (uint32_t k = 0; k < before; k++)
			cr_assert_null(strstr(c->msg[k], "subscriptionId"), "%s", c->msg[k]);
	}
	simtest_ws_free(&T, c);
	free(f_sub);
	free(f_new);
	free(f_trade);
	free(f_oap);
	free(f_end);
	free(w_new);
	free(w_trade);
}

/* The drop fault: the order is matched (its events come), its reply never does. */
Test(binance_wsapi, drop_response_fault)
{
	struct sim_venue *v = sim_server_venue(T.s, "binance");
	struct simtest_ws *c = simtest_ws_open(&T, "binance", true, "/ws-api/v3", NULL);
	struct sim_fault f = { .kind = SIM_FAULT_DROP_RESPONSE, .count = 1 };
	const struct kv kv[5] = { { "symbol", "ETHUSDT", false }, { "side", "BUY", false },
				  { "type", "MARKET", false }, { "quoteOrderQty", "20", false },
				  { "newClientOrderId", "dr-1", false } };
	const struct kv st[2] = { { "symbol", "ETHUSDT", false },
				  { "origClientOrderId", "dr-1", false } };
	char *req;
	const char *reply;
	struct jdoc d;

	req = api_signed(&T, "u1", "userDataStream.subscribe.signature", NULL, 0);
	api_call(&T, c, "u1", req);
	free(req);
	sim_fault_apply(v, &f, net_now_ns());
	req = api_signed(&T, "d1", "order.place", kv, 5);
	cr_assert_eq(simtest_ws_text(c, req), 0);
	free(req);
	cr_assert_geq(ws_find(&T, c, 0, "\"e\":\"outboundAccountPosition\""), 0);
	req = api_signed(&T, "d2", "order.status", st, 2);
	reply = api_call(&T, c, "d2", req);
	free(req);
	d = jd(reply, 0);
	cr_assert_str_eq(js(&d, jm(&d, 0, "result"), "clientOrderId"), "dr-1");
	for (uint32_t k = 0; k < c->kept; k++)
		cr_assert_null(strstr(c->msg[k], "\"id\":\"d1\""), "no reply: %s", c->msg[k]);
	cr_assert_eq(v->fs.drop_response, 0u);
	simtest_ws_free(&T, c);
}
