/* SPDX-License-Identifier: MIT */
/*
 * exsim's Bybit v5 spot (sim/venue_bybit.c), end to end against an
 * in-process exsim with TLS clients that verify its CA. The scenario
 * parser does not know bybit yet (sim/scenario.c's venue table), so these
 * tests add the venue and its account to the loaded scenario themselves
 * (by_start) before the server is made.
 *
 * Shapes are compared with shared/fixtures/venues/bybit-*.jsonl
 * (json_same_shape, shape.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include "kimp/sign.h"
#include "simtest.h"
#include "shape.h"
#include "../testutil.h"

#define BY_KEY    "exsimBybitApiKey00000000"
#define BY_SECRET "exsimBybitSecretKey0000000000000000000000"
#define TOKS      16384

static struct jr_tok toks[2][TOKS];

/* ---- the server with bybit -------------------------------------------------- */

/* simtest_start with only bybit enabled (and its account); rate_limits as given. */
static void by_start(struct simtest *t, bool rate_limits)
{
	struct net_tls_conf cc;
	struct sim_server_cfg cfg;
	struct sim_venue_cfg *v;
	struct sim_account_cfg *a;
	char err[512];

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-simtest-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	cr_assert_eq(sim_scenario_load(&t->sc, NULL, err, sizeof(err)), 0, "%s", err);
	snprintf(t->sc.state_dir, sizeof(t->sc.state_dir), "%s", t->dir);
	snprintf(t->sc.ledger_path, sizeof(t->sc.ledger_path), "%s/ledger.jsonl", t->dir);
	v = NULL;
	for (uint32_t i = 0; i < t->sc.nvenues; i++) {
		t->sc.venues[i].enabled = false;
		t->sc.venues[i].rest_port = t->sc.venues[i].ws_port = t->sc.venues[i].api_port = 0;
		if (!strcmp(t->sc.venues[i].name, "bybit"))
			v = &t->sc.venues[i];
	}
	if (!v) {       /* a scenario table that does not list bybit yet */
		cr_assert_lt(t->sc.nvenues, SIM_MAX_VENUES);
		v = &t->sc.venues[t->sc.nvenues++];
	}
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "bybit");
	v->enabled = true;
	v->order_latency_ns = 1000000;
	v->publish_ns = t->sc.step_ns;
	v->depth = 200;
	v->maker_fee = 0.001;
	v->taker_fee = 0.001;
	v->recv_window_ms = 5000;
	v->rate_limits = rate_limits;
	memset(t->sc.accounts, 0, sizeof(t->sc.accounts));
	t->sc.naccounts = 1;
	a = &t->sc.accounts[0];
	snprintf(a->venue, sizeof(a->venue), "bybit");
	snprintf(a->key, sizeof(a->key), "%s", BY_KEY);
	snprintf(a->secret, sizeof(a->secret), "%s", BY_SECRET);
	a->nbal = 4;
	snprintf(a->bal[0].asset, sizeof(a->bal[0].asset), "USDT");
	a->bal[0].amount = 1000000 * SIM_SCALE;
	snprintf(a->bal[1].asset, sizeof(a->bal[1].asset), "BTC");
	a->bal[1].amount = 10 * SIM_SCALE;
	snprintf(a->bal[2].asset, sizeof(a->bal[2].asset), "ETH");
	a->bal[2].amount = 285 * SIM_SCALE;
	snprintf(a->bal[3].asset, sizeof(a->bal[3].asset), "XRP");
	a->bal[3].amount = 400000 * SIM_SCALE;
	t->sc.control = false;
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

/* ---- JSON ---------------------------------------------------------------------- */

struct jdoc {
	const char *s;
	struct jr_tok *t;
};

static struct jdoc jd(const char *s, int slot)
{
	struct jdoc d = { s, toks[slot] };

	cr_assert_geq(jr_parse(s, strlen(s), d.t, TOKS), 1, "JSON: %.300s", s);
	return d;
}

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

static bool jb(const struct jdoc *d, int o, const char *k)
{
	int i = jm(d, o, k);

	cr_assert_geq(i, 0, "member %s in %.300s", k, d->s);
	return d->t[i].type == JR_TRUE;
}

/* Fixture line n (from 0) of file has the shape of ours. */
static void shape_ok(const char *file, unsigned line, const char *ours)
{
	char *cap = test_fixture_line(file, line), why[512];

	cr_assert_not_null(cap, "%s line %u", file, line);
	cr_assert(json_same_shape_f(cap, ours, 0, why, sizeof(why)),
		  "%s\n capture: %.400s\n ours:    %.600s", why, cap, ours);
	free(cap);
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

static uint64_t wall_ms(void)
{
	return sim_now_real_ns() / 1000000ull;
}

static void hmac_hex(const char *secret, const char *msg, char out[65])
{
	cr_assert_eq(venue_hmac_sha256(secret, strlen(secret), msg, strlen(msg), VENUE_HEX, out,
				       65), 64);
}

/* ---- REST ------------------------------------------------------------------------ */

/*
 * A signed request as a Bybit client makes it: GET signs the query, POST
 * the JSON body; ts 0 = now; rw NULL = no X-BAPI-RECV-WINDOW header.
 */
static struct simtest_resp *rest_x(struct simtest *t, const char *method, const char *path,
				   const char *params, const char *key, const char *secret,
				   uint64_t ts, const char *rw)
{
	bool get = !strcmp(method, "GET");
	char sig[65], *pre, *hdr, *target;
	struct simtest_resp *r;

	if (!ts)
		ts = wall_ms();
	pre = xsprintf("%" PRIu64 "%s%s%s", ts, key, rw ? rw : "", params);
	hmac_hex(secret, pre, sig);
	hdr = xsprintf("X-BAPI-API-KEY: %s\r\nX-BAPI-TIMESTAMP: %" PRIu64 "\r\nX-BAPI-SIGN: %s\r\n"
		       "%s%s%s%s", key, ts, sig, rw ? "X-BAPI-RECV-WINDOW: " : "", rw ? rw : "",
		       rw ? "\r\n" : "", get ? "" : "Content-Type: application/json\r\n");
	target = get && *params ? xsprintf("%s?%s", path, params) : strdup(path);
	r = simtest_http(t, "bybit", method, target, hdr, get ? NULL : params);
	free(pre);
	free(hdr);
	free(target);
	return r;
}

static struct simtest_resp *rest(struct simtest *t, const char *method, const char *path,
				 const char *params)
{
	return rest_x(t, method, path, params, BY_KEY, BY_SECRET, 0, "5000");
}

/* retCode of a wrapper reply (HTTP status checked) */
static int64_t ret_code(struct simtest_resp *r, unsigned status)
{
	struct jdoc d;

	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, status, "status %u: %s", r->status, r->body);
	d = jd(r->body, 1);
	cr_assert_geq(jm(&d, 0, "retMsg"), 0, "%s", r->body);
	cr_assert_geq(jm(&d, 0, "time"), 0, "%s", r->body);
	return ji(&d, 0, "retCode");
}

/* ---- WebSocket ------------------------------------------------------------------ */

/* The first message at or after *from that contains needle (waiting for it); NULL at the deadline. */
static const char *ws_find(struct simtest *t, struct simtest_ws *w, uint32_t *from,
			   const char *needle)
{
	for (;;) {
		for (; *from < w->kept; (*from)++)
			if (strstr(w->msg[*from], needle))
				return w->msg[(*from)++];
		if (w->closed || !simtest_ws_wait(t, w, w->nmsg + 1))
			return NULL;
	}
}

static struct simtest_ws *ws_trade_authed(struct simtest *t)
{
	struct simtest_ws *w = simtest_ws_open(t, "bybit", true, "/v5/trade", NULL);
	uint64_t exp = wall_ms() + 10000;
	char pre[64], sig[65], *m;
	uint32_t at = 0;
	struct jdoc d;

	snprintf(pre, sizeof(pre), "GET/realtime%" PRIu64, exp);
	hmac_hex(BY_SECRET, pre, sig);
	m = xsprintf("{\"op\":\"auth\",\"args\":[\"%s\",%" PRIu64 ",\"%s\"]}", BY_KEY, exp, sig);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(t, w, &at, "\"auth\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 0, "%s", d.s);
	shape_ok("bybit-ws-trade.jsonl", 1, d.s);
	return w;
}

static char *order_create(const char *req_id, uint64_t ts, const char *body)
{
	return xsprintf("{\"reqId\":\"%s\",\"header\":{\"X-BAPI-TIMESTAMP\":\"%" PRIu64 "\","
			"\"X-BAPI-RECV-WINDOW\":\"5000\"},\"op\":\"order.create\",\"args\":[%s]}",
			req_id, ts ? ts : wall_ms(), body);
}

/* The best ask (or bid) of BTCUSDT from the REST book, 1e-8. */
static sim_fx best(struct simtest *t, bool ask)
{
	struct simtest_resp *r = simtest_http(t, "bybit", "GET",
					      "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1",
					      NULL, NULL);
	struct jdoc d;
	int res, side, lv;
	sim_fx px;

	cr_assert_eq(ret_code(r, 200), 0);
	d = jd(r->body, 0);
	res = jm(&d, 0, "result");
	side = jm(&d, res, ask ? "a" : "b");
	lv = jr_at(d.t, jr_at(d.t, side, 0), 0);
	cr_assert_eq(jr_fx(d.s, &d.t[lv], &px), 0);
	simtest_resp_free(r);
	return px;
}

/* ---- tests: public stream ------------------------------------------------------- */

/* A local book of one side: best first. */
struct lbook {
	uint32_t n;
	sim_fx px[1100], qty[1100];
};

static void lb_set(struct lbook *b, bool bid, sim_fx px, sim_fx qty)
{
	uint32_t i = 0;

	while (i < b->n && (bid ? b->px[i] > px : b->px[i] < px))
		i++;
	if (i < b->n && b->px[i] == px) {
		if (!qty) {
			memmove(&b->px[i], &b->px[i + 1], (b->n - i - 1) * sizeof(sim_fx));
			memmove(&b->qty[i], &b->qty[i + 1], (b->n - i - 1) * sizeof(sim_fx));
			b->n--;
		} else {
			b->qty[i] = qty;
		}
		return;
	}
	cr_assert_neq(qty, 0, "a delete of a level not in the book");
	cr_assert_lt(b->n, 1100u);
	memmove(&b->px[i + 1], &b->px[i], (b->n - i) * sizeof(sim_fx));
	memmove(&b->qty[i + 1], &b->qty[i], (b->n - i) * sizeof(sim_fx));
	b->px[i] = px;
	b->qty[i] = qty;
	b->n++;
}

/* Apply a book message's levels (a snapshot resets first): returns its u. */
static uint64_t lb_apply(struct lbook bk[2], const char *msg)
{
	struct jdoc d = jd(msg, 0);
	int data = jm(&d, 0, "data");
	bool snap = !strcmp(js(&d, 0, "type"), "snapshot");

	if (snap)
		bk[0].n = bk[1].n = 0;
	for (int s = 0; s < 2; s++) {
		int arr = jm(&d, data, s ? "a" : "b");

		cr_assert_geq(arr, 0);
		for (uint32_t i = 0; i < d.t[arr].size; i++) {
			int lv = jr_at(d.t, arr, i);
			sim_fx px, qty;

			cr_assert_eq(jr_fx(d.s, &d.t[jr_at(d.t, lv, 0)], &px), 0);
			cr_assert_eq(jr_fx(d.s, &d.t[jr_at(d.t, lv, 1)], &qty), 0);
			lb_set(&bk[s], s == 0, px, qty);
		}
	}
	return (uint64_t)ji(&d, data, "u");
}

Test(exsim_bybit, subscribe_snapshot_then_deltas_continue_the_book)
{
	static struct lbook a[2], b2[2];
	struct simtest t;
	struct simtest_ws *w, *w2;
	uint32_t at = 0, at2 = 0, deltas = 0;
	uint64_t u = 0;
	const char *m;
	struct jdoc d;

	by_start(&t, true);
	w = simtest_ws_open(&t, "bybit", false, "/v5/public/spot", NULL);
	simtest_ws_text(w, "{\"req_id\":\"10001\",\"op\":\"subscribe\","
			   "\"args\":[\"orderbook.50.BTCUSDT\",\"publicTrade.BTCUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(jb(&d, 0, "success"));
	cr_assert_str_eq(js(&d, 0, "req_id"), "10001");
	shape_ok("bybit-ws-control.jsonl", 10, d.s);
	m = ws_find(&t, w, &at, "\"snapshot\"");
	cr_assert_not_null(m);
	shape_ok("bybit-orderbook.jsonl", 1, m);
	cr_assert_lt(strstr(m, "\"ts\""), strstr(m, "\"type\""), "spot: ts before type");
	u = lb_apply(a, m);
	cr_assert_gt(u, 1);
	cr_assert_eq(a[0].n, 50u);
	while (deltas < 20) {
		m = ws_find(&t, w, &at, "\"orderbook.50.BTCUSDT\"");
		cr_assert_not_null(m);
		if (deltas == 0)
			shape_ok("bybit-orderbook.jsonl", 2, m);
		cr_assert_eq(lb_apply(a, m), u + 1, "u goes up by one");
		u++;
		deltas++;
	}
	/* a trade printed in the meantime has the spot capture's shape */
	m = ws_find(&t, w, &(uint32_t){ 0 }, "\"publicTrade.BTCUSDT\"");
	if (m)
		shape_ok("bybit-publicTrade.jsonl", 1, m);
	/* paused (every topic flushed), a second subscriber's snapshot is the same book at the same u */
	sim_server_pause(t.s);
	simtest_ws_text(w, "{\"op\":\"ping\",\"req_id\":\"sync\"}");
	{
		uint32_t sync = at;

		cr_assert_not_null(ws_find(&t, w, &sync, "\"sync\""));
		for (uint32_t i = at; i < sync; i++) {
			if (!strstr(w->msg[i], "\"orderbook.50.BTCUSDT\""))
				continue;
			cr_assert_eq(lb_apply(a, w->msg[i]), u + 1);
			u++;
		}
	}
	w2 = simtest_ws_open(&t, "bybit", false, "/v5/public/spot", NULL);
	simtest_ws_text(w2, "{\"op\":\"subscribe\",\"args\":[\"orderbook.50.BTCUSDT\"]}");
	m = ws_find(&t, w2, &at2, "\"snapshot\"");
	cr_assert_not_null(m);
	cr_assert_eq(lb_apply(b2, m), u, "the snapshot's u is the last delta's");
	for (int s = 0; s < 2; s++) {
		cr_assert_eq(a[s].n, b2[s].n);
		cr_assert_eq(memcmp(a[s].px, b2[s].px, a[s].n * sizeof(sim_fx)), 0);
		cr_assert_eq(memcmp(a[s].qty, b2[s].qty, a[s].n * sizeof(sim_fx)), 0);
	}
	simtest_ws_free(&t, w);
	simtest_ws_free(&t, w2);
	simtest_stop(&t);
}

Test(exsim_bybit, subscribe_errors_and_ping)
{
	struct simtest t;
	struct simtest_ws *w;
	uint32_t at = 0;
	struct jdoc d;
	char *m;

	by_start(&t, true);
	w = simtest_ws_open(&t, "bybit", false, "/v5/public/spot", NULL);
	simtest_ws_text(w, "{\"op\":\"ping\"}");
	d = jd(ws_find(&t, w, &at, "pong"), 0);
	shape_ok("bybit-ws-control.jsonl", 2, d.s);
	simtest_ws_text(w, "{\"req_id\":\"\",\"op\":\"ping\"}");
	d = jd(ws_find(&t, w, &at, "pong"), 0);
	shape_ok("bybit-ws-control.jsonl", 3, d.s);
	/* 10 args is the limit: 10 pass, 11 do not */
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[\"tickers.BTCUSDT\",\"tickers.ETHUSDT\","
			   "\"tickers.XRPUSDT\",\"publicTrade.BTCUSDT\",\"publicTrade.ETHUSDT\","
			   "\"publicTrade.XRPUSDT\",\"orderbook.1.BTCUSDT\",\"orderbook.1.ETHUSDT\","
			   "\"orderbook.1.XRPUSDT\",\"orderbook.200.ETHUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(jb(&d, 0, "success"), "%s", d.s);
	m = xsprintf("{\"op\":\"subscribe\",\"args\":[%s\"orderbook.50.XRPUSDT\"]}",
		     "\"orderbook.50.BTCUSDT\",\"orderbook.200.BTCUSDT\",\"orderbook.1000.BTCUSDT\","
		     "\"orderbook.50.ETHUSDT\",\"orderbook.1000.ETHUSDT\",\"orderbook.200.XRPUSDT\","
		     "\"orderbook.1000.XRPUSDT\",\"tickers.BTCUSDT\",\"tickers.ETHUSDT\",");
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"), "11 args: %s", d.s);
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[\"orderbook.7.BTCUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"));
	cr_assert(strstr(js(&d, 0, "ret_msg"), "Invalid topic"));
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[\"tickers.DOGEUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"));
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[\"tickers.BTCUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"));
	cr_assert(strstr(js(&d, 0, "ret_msg"), "already subscribed"));
	simtest_ws_text(w, "{\"op\":\"unsubscribe\",\"args\":[\"tickers.BTCUSDT\"],\"req_id\":\"u\"}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"unsubscribe\""), 0);
	cr_assert(jb(&d, 0, "success"));
	simtest_ws_text(w, "{\"op\":\"unsubscribe\",\"args\":[\"tickers.BTCUSDT\"]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"unsubscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"));
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[]}");
	d = jd(ws_find(&t, w, &at, "\"op\":\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"));
	simtest_ws_text(w, "not json");
	d = jd(ws_find(&t, w, &at, "invalid json"), 0);
	cr_assert(!jb(&d, 0, "success"));
	simtest_ws_text(w, "{\"op\":\"launch\"}");
	d = jd(ws_find(&t, w, &at, "handler not found"), 0);
	cr_assert(!jb(&d, 0, "success"));
	/* orderbook.1 is snapshot only */
	cr_assert_not_null(ws_find(&t, w, &at, "\"orderbook.1.BTCUSDT\""));
	for (uint32_t i = 0; i < w->kept; i++)
		if (strstr(w->msg[i], "\"orderbook.1."))
			cr_assert(strstr(w->msg[i], "\"snapshot\""));
	simtest_ws_free(&t, w);
	simtest_stop(&t);
}

Test(exsim_bybit, gap_fault_skips_one_u)
{
	struct simtest t;
	struct simtest_ws *w;
	struct sim_fault f = { .kind = SIM_FAULT_GAP, .count = 1 };
	uint32_t at = 0;
	uint64_t u, u2;
	const char *m;

	by_start(&t, true);
	w = simtest_ws_open(&t, "bybit", false, "/v5/public/spot", NULL);
	simtest_ws_text(w, "{\"op\":\"subscribe\",\"args\":[\"orderbook.200.BTCUSDT\"]}");
	m = ws_find(&t, w, &at, "\"snapshot\"");
	cr_assert_not_null(m);
	{
		struct jdoc d = jd(m, 0);

		u = (uint64_t)ji(&d, jm(&d, 0, "data"), "u");
	}
	sim_fault_apply(sim_server_venue(t.s, "bybit"), &f, net_now_ns());
	m = ws_find(&t, w, &at, "\"delta\"");
	cr_assert_not_null(m);
	{
		struct jdoc d = jd(m, 0);

		u2 = (uint64_t)ji(&d, jm(&d, 0, "data"), "u");
	}
	cr_assert_eq(u2, u + 2, "one u skipped");
	m = ws_find(&t, w, &at, "\"delta\"");
	cr_assert_not_null(m);
	{
		struct jdoc d = jd(m, 0);

		cr_assert_eq((uint64_t)ji(&d, jm(&d, 0, "data"), "u"), u2 + 1, "once");
	}
	simtest_ws_free(&t, w);
	simtest_stop(&t);
}

Test(exsim_bybit, upgrade_paths)
{
	struct simtest t;
	struct simtest_ws *w;

	by_start(&t, true);
	w = simtest_ws_connect(&t, "bybit", false, "/v5/trade", NULL);
	cr_assert(!w->opened, "the order API is on its own listener");
	simtest_ws_free(&t, w);
	w = simtest_ws_connect(&t, "bybit", true, "/v5/public/spot", NULL);
	cr_assert(!w->opened);
	simtest_ws_free(&t, w);
	w = simtest_ws_connect(&t, "bybit", true, "/v5/private?max_active_time=29s", NULL);
	cr_assert(!w->opened, "below 30 s");
	simtest_ws_free(&t, w);
	w = simtest_ws_connect(&t, "bybit", true, "/v5/private?max_active_time=601s", NULL);
	cr_assert(!w->opened, "above 600 s");
	simtest_ws_free(&t, w);
	w = simtest_ws_open(&t, "bybit", true, "/v5/private?max_active_time=30s", NULL);
	simtest_ws_free(&t, w);
	w = simtest_ws_open(&t, "bybit", true, "/v5/private?max_active_time=10m", NULL);
	simtest_ws_free(&t, w);
	w = simtest_ws_open(&t, "bybit", false, "/v5/private", NULL);
	simtest_ws_free(&t, w);
	simtest_stop(&t);
}

/* ---- tests: REST ------------------------------------------------------------------ */

Test(exsim_bybit, public_rest)
{
	struct simtest t;
	struct simtest_resp *r;
	struct jdoc d;
	int res;

	by_start(&t, true);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/time", NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 0);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/instruments-info?category=spot&symbol=BTCUSDT",
			 NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 0);
	shape_ok("bybit-rest.jsonl", 2, r->body);
	d = jd(r->body, 0);
	res = jm(&d, 0, "result");
	cr_assert_eq(d.t[jm(&d, res, "list")].size, 1u);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/instruments-info?category=spot", NULL, NULL);
	d = jd(r->body, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "list")].size, 3u);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/instruments-info?category=linear", NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1",
			 NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 0);
	shape_ok("bybit-rest.jsonl", 1, r->body);
	simtest_resp_free(r);
	/* limit 1..1000 */
	r = simtest_http(&t, "bybit", "GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1000",
			 NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 0);
	d = jd(r->body, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "b")].size, 200u, "the whole simulated depth");
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1001",
			 NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=0",
			 NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/orderbook?category=spot&symbol=NOPE", NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/nothing", NULL, NULL);
	cr_assert_eq(r->status, 404);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "POST", "/v5/market/time", NULL, "{}");
	cr_assert_eq(r->status, 405);
	simtest_resp_free(r);
	simtest_stop(&t);
}

Test(exsim_bybit, signed_order_round_trip)
{
	struct simtest t;
	struct simtest_resp *r;
	char *body, oid[64];
	sim_fx bid;
	struct jdoc d;
	int res, list;

	by_start(&t, true);
	bid = best(&t, false);
	/* a buy well under the market rests */
	body = xsprintf("{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
			"\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"%" PRId64 "\","
			"\"timeInForce\":\"GTC\",\"orderLinkId\":\"t-rest-1\"}",
			(int64_t)(bid / SIM_SCALE) - 1000);
	r = rest(&t, "POST", "/v5/order/create", body);
	cr_assert_eq(ret_code(r, 200), 0, "%s", r->body);
	shape_ok("bybit-rest.jsonl", 0, r->body);
	d = jd(r->body, 0);
	snprintf(oid, sizeof(oid), "%s", js(&d, jm(&d, 0, "result"), "orderId"));
	cr_assert_str_eq(js(&d, jm(&d, 0, "result"), "orderLinkId"), "t-rest-1");
	{
		char v[32];

		cr_assert_not_null(simtest_resp_header(r, "x-bapi-limit", v, sizeof(v)));
		cr_assert_str_eq(v, "20");
		cr_assert_not_null(simtest_resp_header(r, "x-bapi-limit-status", v, sizeof(v)));
		cr_assert_not_null(simtest_resp_header(r, "x-bapi-limit-reset-timestamp", v,
						       sizeof(v)));
	}
	simtest_resp_free(r);
	free(body);
	/* the same link id again: never reused */
	body = xsprintf("{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
			"\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"%" PRId64 "\","
			"\"orderLinkId\":\"t-rest-1\"}", (int64_t)(bid / SIM_SCALE) - 1000);
	r = rest(&t, "POST", "/v5/order/create", body);
	cr_assert_eq(ret_code(r, 200), 170141);
	simtest_resp_free(r);
	free(body);
	/* query by link id and the open list */
	r = rest(&t, "GET", "/v5/order/realtime", "category=spot&orderLinkId=t-rest-1");
	cr_assert_eq(ret_code(r, 200), 0);
	d = jd(r->body, 0);
	list = jm(&d, jm(&d, 0, "result"), "list");
	cr_assert_eq(d.t[list].size, 1u);
	cr_assert_str_eq(js(&d, jr_at(d.t, list, 0), "orderStatus"), "New");
	cr_assert_str_eq(js(&d, jr_at(d.t, list, 0), "orderId"), oid);
	simtest_resp_free(r);
	r = rest(&t, "GET", "/v5/order/realtime", "category=spot&symbol=BTCUSDT");
	d = jd(r->body, 0);
	cr_assert_eq(d.t[jm(&d, jm(&d, 0, "result"), "list")].size, 1u);
	simtest_resp_free(r);
	/* locked in the wallet */
	r = rest(&t, "GET", "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDT");
	cr_assert_eq(ret_code(r, 200), 0);
	cr_assert(strstr(r->body, "\"coin\":\"USDT\""));
	cr_assert_null(strstr(r->body, "\"locked\":\"0\""), "%s", r->body);
	simtest_resp_free(r);
	r = rest(&t, "GET", "/v5/account/wallet-balance", "accountType=SPOT");
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = rest(&t, "GET", "/v5/account/fee-rate", "category=spot&symbol=ETHUSDT");
	cr_assert_eq(ret_code(r, 200), 0);
	shape_ok("bybit-rest.jsonl", 3, r->body);
	simtest_resp_free(r);
	/* cancel by orderId, then again */
	body = xsprintf("{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"orderId\":\"%s\"}", oid);
	r = rest(&t, "POST", "/v5/order/cancel", body);
	cr_assert_eq(ret_code(r, 200), 0, "%s", r->body);
	simtest_resp_free(r);
	r = rest(&t, "POST", "/v5/order/cancel", body);
	cr_assert_eq(ret_code(r, 200), 110001);
	simtest_resp_free(r);
	free(body);
	r = rest(&t, "GET", "/v5/order/realtime", "category=spot&orderLinkId=t-rest-1");
	d = jd(r->body, 0);
	res = jr_at(d.t, jm(&d, jm(&d, 0, "result"), "list"), 0);
	cr_assert_str_eq(js(&d, res, "orderStatus"), "Cancelled");
	cr_assert_str_eq(js(&d, res, "cancelType"), "CancelByUser");
	simtest_resp_free(r);
	/* a market buy by quote fills */
	r = rest(&t, "POST", "/v5/order/create",
		 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
		 "\"orderType\":\"Market\",\"qty\":\"100\",\"orderLinkId\":\"t-rest-2\"}");
	cr_assert_eq(ret_code(r, 200), 0, "%s", r->body);
	simtest_resp_free(r);
	r = rest(&t, "GET", "/v5/order/realtime", "category=spot&orderLinkId=t-rest-2");
	d = jd(r->body, 0);
	res = jr_at(d.t, jm(&d, jm(&d, 0, "result"), "list"), 0);
	cr_assert_str_eq(js(&d, res, "orderStatus"), "Filled", "%s", r->body);
	{
		sim_fx spent;

		cr_assert_eq(sim_parse_fx(js(&d, res, "cumExecValue"),
					  strlen(js(&d, res, "cumExecValue")), &spent), 0);
		cr_assert(spent > 99 * SIM_SCALE && spent <= 100 * SIM_SCALE, "%s", r->body);
	}
	simtest_resp_free(r);
	/* refusals as the venue words them */
	r = rest(&t, "POST", "/v5/order/create",
		 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
		 "\"orderType\":\"Limit\",\"qty\":\"0.0000001\",\"price\":\"1000\"}");
	cr_assert_eq(ret_code(r, 200), 170137);
	simtest_resp_free(r);
	r = rest(&t, "POST", "/v5/order/create",
		 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\","
		 "\"orderType\":\"Limit\",\"qty\":\"50\",\"price\":\"1000000\"}");
	cr_assert_eq(ret_code(r, 200), 170131);
	simtest_resp_free(r);
	r = rest(&t, "POST", "/v5/order/create",
		 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Up\","
		 "\"orderType\":\"Limit\",\"qty\":\"1\",\"price\":\"1000\"}");
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	r = rest(&t, "POST", "/v5/order/create", "not json");
	cr_assert_eq(ret_code(r, 200), 10001);
	simtest_resp_free(r);
	simtest_stop(&t);
}

Test(exsim_bybit, auth_failures)
{
	struct simtest t;
	struct simtest_resp *r;
	const char *q = "category=spot";
	uint64_t now;

	by_start(&t, true);
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, "unknownKey", BY_SECRET, 0, "5000");
	cr_assert_eq(ret_code(r, 200), 10003);
	simtest_resp_free(r);
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, "wrongSecret", 0, "5000");
	cr_assert_eq(ret_code(r, 200), 10004);
	cr_assert(strstr(r->body, "error sign!"));
	simtest_resp_free(r);
	/* the recv window: well inside passes, past it fails */
	now = wall_ms();
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, BY_SECRET, now - 3000, "5000");
	cr_assert_eq(ret_code(r, 200), 0);
	simtest_resp_free(r);
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, BY_SECRET, now - 6000, "5000");
	cr_assert_eq(ret_code(r, 200), 10002);
	simtest_resp_free(r);
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, BY_SECRET, now - 6000, "20000");
	cr_assert_eq(ret_code(r, 200), 0, "a wider window takes it");
	simtest_resp_free(r);
	/* no recvWindow header: 5000 by default, and "" in the signed string */
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, BY_SECRET, 0, NULL);
	cr_assert_eq(ret_code(r, 200), 0);
	simtest_resp_free(r);
	/* the future: up to 1 s ahead */
	r = rest_x(&t, "GET", "/v5/account/fee-rate", q, BY_KEY, BY_SECRET, wall_ms() + 5000, "5000");
	cr_assert_eq(ret_code(r, 200), 10002);
	simtest_resp_free(r);
	/* a signature over another body */
	{
		char sig[65], *pre, *hdr;
		uint64_t ts = wall_ms();

		pre = xsprintf("%" PRIu64 "%s5000{\"category\":\"spot\"}", ts, BY_KEY);
		hmac_hex(BY_SECRET, pre, sig);
		hdr = xsprintf("X-BAPI-API-KEY: %s\r\nX-BAPI-TIMESTAMP: %" PRIu64 "\r\n"
			       "X-BAPI-SIGN: %s\r\nX-BAPI-RECV-WINDOW: 5000\r\n", BY_KEY, ts, sig);
		r = simtest_http(&t, "bybit", "POST", "/v5/order/cancel-all", hdr,
				 "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\"}");
		cr_assert_eq(ret_code(r, 200), 10004);
		simtest_resp_free(r);
		r = simtest_http(&t, "bybit", "POST", "/v5/order/cancel-all", hdr,
				 "{\"category\":\"spot\"}");
		cr_assert_eq(ret_code(r, 200), 0, "%s", r->body);
		simtest_resp_free(r);
		free(pre);
		free(hdr);
	}
	r = simtest_http(&t, "bybit", "GET", "/v5/account/fee-rate?category=spot", NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 10003, "no key");
	simtest_resp_free(r);
	simtest_stop(&t);
}

Test(exsim_bybit, faults_ban_429_5xx)
{
	struct simtest t;
	struct simtest_resp *r;
	struct sim_venue *v;
	struct sim_fault f;

	by_start(&t, true);
	v = sim_server_venue(t.s, "bybit");
	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_HTTP_5XX;
	f.count = 1;
	sim_fault_apply(v, &f, net_now_ns());
	r = simtest_http(&t, "bybit", "GET", "/v5/market/time", NULL, NULL);
	cr_assert_eq(ret_code(r, 503), 10016);
	simtest_resp_free(r);
	r = simtest_http(&t, "bybit", "GET", "/v5/market/time", NULL, NULL);
	cr_assert_eq(ret_code(r, 200), 0, "one only");
	simtest_resp_free(r);
	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_BURST_429;
	f.duration_ns = 60000000000ull;
	sim_fault_apply(v, &f, net_now_ns());
	r = simtest_http(&t, "bybit", "GET", "/v5/market/time", NULL, NULL);
	cr_assert_eq(ret_code(r, 429), 10429);
	simtest_resp_free(r);
	cr_assert_geq(v->sent_429, 1u);
	v->fs.burst429_until_ns = 0;
	memset(&f, 0, sizeof(f));
	f.kind = SIM_FAULT_BAN;
	f.duration_ns = 60000000000ull;
	sim_fault_apply(v, &f, net_now_ns());
	r = simtest_http(&t, "bybit", "GET", "/v5/market/time", NULL, NULL);
	cr_assert_eq(ret_code(r, 403), 10403);
	simtest_resp_free(r);
	simtest_stop(&t);
}

/* ---- tests: the order WebSocket and the private stream ------------------------------------ */

Test(exsim_bybit, trade_ws_auth_and_orders)
{
	struct simtest t;
	struct simtest_ws *w;
	uint32_t at = 0;
	struct jdoc d;
	char pre[64], sig[65], *m;
	uint64_t exp;

	by_start(&t, true);
	w = simtest_ws_open(&t, "bybit", true, "/v5/trade", NULL);
	simtest_ws_text(w, "{\"op\":\"ping\"}");
	d = jd(ws_find(&t, w, &at, "pong"), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 0);
	/* an order before auth */
	m = order_create("pre-auth", 0, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
			 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"1000\"}");
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "pre-auth"), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10003);
	/* a wrong sign, an expired one, then the right one, then again */
	exp = wall_ms() + 10000;
	m = xsprintf("{\"op\":\"auth\",\"args\":[\"%s\",%" PRIu64 ",\"%064d\"]}", BY_KEY, exp, 0);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"auth\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10004);
	exp = wall_ms() - 1;
	snprintf(pre, sizeof(pre), "GET/realtime%" PRIu64, exp);
	hmac_hex(BY_SECRET, pre, sig);
	m = xsprintf("{\"op\":\"auth\",\"args\":[\"%s\",%" PRIu64 ",\"%s\"]}", BY_KEY, exp, sig);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"auth\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10001, "expired");
	m = xsprintf("{\"op\":\"auth\",\"args\":[\"nobody\",%" PRIu64 ",\"%s\"]}", exp + 20000, sig);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"auth\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10003);
	simtest_ws_free(&t, w);
	w = ws_trade_authed(&t);
	at = w->kept;
	m = xsprintf("{\"op\":\"auth\",\"args\":[\"%s\",%" PRIu64 ",\"%s\"]}", BY_KEY, exp, sig);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"auth\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 20001);
	/* order.create: the ack with the rate header */
	m = order_create("c-1", 0, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
			 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"90000\","
			 "\"orderLinkId\":\"ws-1\"}");
	simtest_ws_text(w, m);
	d = jd(ws_find(&t, w, &at, "\"c-1\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 0, "%s", d.s);
	/* the capture's order id is a derivatives uuid: spot's are numbers (bybit-rest.jsonl) */
	cr_assert_eq(strspn(js(&d, jm(&d, 0, "data"), "orderId"), "0123456789"), 19);
	cr_assert_geq(jm(&d, 0, "connId"), 0);
	cr_assert_geq(jm(&d, 0, "retExtInfo"), 0);
	cr_assert_str_eq(js(&d, 0, "reqId"), "c-1");
	cr_assert_geq(jm(&d, jm(&d, 0, "header"), "Traceid"), 0);
	cr_assert_geq(jm(&d, jm(&d, 0, "header"), "Timenow"), 0);
	cr_assert_str_eq(js(&d, jm(&d, 0, "data"), "orderLinkId"), "ws-1");
	cr_assert_str_eq(js(&d, jm(&d, 0, "header"), "X-Bapi-Limit"), "20");
	/* the same reqId again */
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"c-1\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 20006);
	/* the header's timestamp passes the time rule */
	m = order_create("c-old", wall_ms() - 60000, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
			 "\"side\":\"Buy\",\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"1000\"}");
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"c-old\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10002);
	/* cancel by link id */
	m = xsprintf("{\"reqId\":\"x-1\",\"header\":{\"X-BAPI-TIMESTAMP\":\"%" PRIu64 "\"},"
		     "\"op\":\"order.cancel\",\"args\":[{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
		     "\"orderLinkId\":\"ws-1\"}]}", wall_ms());
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"x-1\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 0, "%s", d.s);
	cr_assert_str_eq(js(&d, 0, "op"), "order.cancel");
	simtest_ws_text(w, "{\"reqId\":\"b-1\",\"op\":\"order.amend\",\"args\":[{}]}");
	d = jd(ws_find(&t, w, &at, "\"b-1\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 10404);
	simtest_ws_free(&t, w);
	simtest_stop(&t);
}

Test(exsim_bybit, create_limit_20_per_second_shared)
{
	struct simtest t;
	struct simtest_ws *w;
	uint32_t at = 0, ok = 0, limited = 0;
	char id[16], *m;

	by_start(&t, true);
	w = ws_trade_authed(&t);
	at = w->kept;
	/* 21 creates sent at once: the venue sees them within the same second */
	for (int i = 0; i < 21; i++) {
		snprintf(id, sizeof(id), "rl-%d", i);
		m = order_create(id, 0, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\","
				 "\"orderType\":\"Limit\",\"qty\":\"0.01\",\"price\":\"1000\"}");
		simtest_ws_text(w, m);
		free(m);
	}
	cr_assert(simtest_ws_wait(&t, w, w->nmsg + 21));
	for (uint32_t i = at; i < w->kept; i++) {
		struct jdoc d = jd(w->msg[i], 0);
		int64_t code = ji(&d, 0, "retCode");

		ok += code == 0;
		limited += code == 10006;
		if (code == 10006)
			cr_assert_str_eq(js(&d, jm(&d, 0, "header"), "X-Bapi-Limit-Status"), "0");
	}
	cr_assert_eq(ok + limited, 21u);
	cr_assert_geq(limited, 1u, "the 21st in a second is refused");
	cr_assert_leq(ok, 20u);
	simtest_ws_free(&t, w);
	simtest_stop(&t);
}

Test(exsim_bybit, private_stream_orders_fills_and_ledger)
{
	struct simtest t;
	struct simtest_ws *p, *w;
	uint32_t at = 0, pat = 0;
	char pre[64], sig[65], *m, path[320], *ledger;
	uint64_t exp = wall_ms() + 10000;
	const char *ev;
	struct jdoc d;
	FILE *f;
	size_t n;

	by_start(&t, true);
	p = simtest_ws_open(&t, "bybit", true, "/v5/private", NULL);
	simtest_ws_text(p, "{\"op\":\"subscribe\",\"args\":[\"order.spot\"]}");
	d = jd(ws_find(&t, p, &pat, "\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"), "not before auth");
	snprintf(pre, sizeof(pre), "GET/realtime%" PRIu64, exp);
	hmac_hex(BY_SECRET, pre, sig);
	m = xsprintf("{\"req_id\":\"10001\",\"op\":\"auth\",\"args\":[\"%s\",%" PRIu64 ",\"%s\"]}",
		     BY_KEY, exp, sig);
	simtest_ws_text(p, m);
	free(m);
	d = jd(ws_find(&t, p, &pat, "\"auth\""), 0);
	cr_assert(jb(&d, 0, "success"), "%s", d.s);
	simtest_ws_text(p, "{\"op\":\"subscribe\",\"args\":[\"order\",\"execution.spot\"]}");
	d = jd(ws_find(&t, p, &pat, "\"subscribe\""), 0);
	cr_assert(!jb(&d, 0, "success"), "no mix of all-in-one and spot");
	simtest_ws_text(p, "{\"op\":\"subscribe\",\"args\":[\"order.spot\",\"execution.spot\","
			   "\"execution.fast.spot\",\"wallet\"]}");
	d = jd(ws_find(&t, p, &pat, "\"subscribe\""), 0);
	cr_assert(jb(&d, 0, "success"));
	shape_ok("bybit-ws-control.jsonl", 9, d.s);
	simtest_ws_text(p, "{\"req_id\":\"test\",\"op\":\"ping\"}");
	d = jd(ws_find(&t, p, &pat, "\"pong\""), 0);
	shape_ok("bybit-ws-control.jsonl", 5, d.s);
	/* a marketable IOC buy through the order WebSocket */
	w = ws_trade_authed(&t);
	at = w->kept;
	m = xsprintf("{\"reqId\":\"f-1\",\"header\":{\"X-BAPI-TIMESTAMP\":\"%" PRIu64 "\"},"
		     "\"op\":\"order.create\",\"args\":[{\"category\":\"spot\",\"symbol\":\"BTCUSDT\","
		     "\"side\":\"Buy\",\"orderType\":\"Limit\",\"qty\":\"0.001\",\"price\":\"%" PRId64
		     "\",\"timeInForce\":\"IOC\",\"orderLinkId\":\"fill-1\"}]}", wall_ms(),
		     (int64_t)(best(&t, true) / SIM_SCALE) + 50);
	simtest_ws_text(w, m);
	free(m);
	d = jd(ws_find(&t, w, &at, "\"f-1\""), 0);
	cr_assert_eq(ji(&d, 0, "retCode"), 0, "%s", d.s);
	ev = ws_find(&t, p, &pat, "\"execution.spot\"");
	cr_assert_not_null(ev);
	d = jd(ev, 0);
	cr_assert_str_eq(js(&d, jr_at(d.t, jm(&d, 0, "data"), 0), "orderLinkId"), "fill-1");
	cr_assert_str_eq(js(&d, jr_at(d.t, jm(&d, 0, "data"), 0), "feeCurrency"), "BTC",
			 "a buy pays its fee in the base");
	/* the capture is a linear fill (uuid ids): the same keys, spot's values */
	{
		static const char *const keys[] = { "category", "symbol", "execFee", "execId",
			"execPrice", "execQty", "execType", "execValue", "feeRate", "orderId",
			"orderLinkId", "orderPrice", "orderQty", "orderType", "side", "execTime",
			"isMaker", "seq", "leavesQty", "feeCurrency", "markPrice", "extraFees" };
		int e = jr_at(d.t, jm(&d, 0, "data"), 0);

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			cr_assert_geq(jm(&d, e, keys[i]), 0, "%s in %s", keys[i], ev);
	}
	pat = 0;
	ev = ws_find(&t, p, &pat, "\"Filled\"");
	cr_assert_not_null(ev);
	cr_assert(strstr(ev, "\"topic\":\"order.spot\""));
	cr_assert(strstr(ev, "\"fill-1\""));
	cr_assert_not_null(ws_find(&t, p, &(uint32_t){ 0 }, "\"execution.fast.spot\""));
	cr_assert_not_null(ws_find(&t, p, &(uint32_t){ 0 }, "\"wallet\""));
	/* the ledger has the order and its fill */
	snprintf(path, sizeof(path), "%s/ledger.jsonl", t.dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	ledger = calloc(1, 1 << 20);
	n = fread(ledger, 1, (1 << 20) - 1, f);
	fclose(f);
	ledger[n] = '\0';
	cr_assert(strstr(ledger, "\"fill-1\""));
	cr_assert(strstr(ledger, "\"ev\":\"fill\""));
	free(ledger);
	simtest_ws_free(&t, w);
	simtest_ws_free(&t, p);
	simtest_stop(&t);
}
