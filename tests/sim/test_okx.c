/* SPDX-License-Identifier: MIT */
/*
 * exsim's OKX v5 spot (sim/venue_okx.c), end to end against an in-process
 * exsim with TLS clients that verify its CA (simtest.h), as an OKX client
 * sees it: the public WebSocket (subscribe, errors, keepalive, the books
 * seqId chain, checksum, gap fault, heartbeat), REST (public endpoints,
 * signed order round trip, every auth failure, rate limits, faults) and the
 * private WebSocket (login, orders channel, order operations).
 *
 * The scenario loader does not know OKX yet: okx_start adds the venue and
 * an account to the default scenario before the server is made.
 */
#include <inttypes.h>
#include <time.h>
#include "kimp/sign.h"
#include "simtest.h"

#define OKX_KEY    "exsimOkxApiKey000000000000000000"
#define OKX_SECRET "exsimOkxSecretKey000000000000000"
#define OKX_PASS   "exsimOkxPassphrase1"
#define TOKS       16384

/* ---- helpers ------------------------------------------------------------------ */

static void okx_start(struct simtest *t)
{
	struct net_tls_conf cc;
	struct sim_server_cfg cfg;
	struct sim_venue_cfg *vc = NULL;
	struct sim_account_cfg *ac;
	char err[512];

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-simtest-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	cr_assert_eq(sim_scenario_load(&t->sc, NULL, err, sizeof(err)), 0, "%s", err);
	for (uint32_t i = 0; i < t->sc.nvenues; i++) {
		if (!strcmp(t->sc.venues[i].name, "okx"))
			vc = &t->sc.venues[i];
		else
			t->sc.venues[i].enabled = false;
	}
	if (!vc) {
		cr_assert_lt(t->sc.nvenues, SIM_MAX_VENUES);
		vc = &t->sc.venues[t->sc.nvenues++];
		memset(vc, 0, sizeof(*vc));
		snprintf(vc->name, sizeof(vc->name), "okx");
		vc->order_latency_ns = 1000000;
		vc->publish_ns = t->sc.step_ns;
		vc->depth = 50;
		vc->maker_fee = 0.0008;
		vc->taker_fee = 0.001;
		vc->rate_limits = true;
	}
	vc->enabled = true;
	cr_assert_lt(t->sc.naccounts, SIM_MAX_ACCOUNTS);
	ac = &t->sc.accounts[t->sc.naccounts++];
	memset(ac, 0, sizeof(*ac));
	snprintf(ac->venue, sizeof(ac->venue), "okx");
	snprintf(ac->key, sizeof(ac->key), "%s", OKX_KEY);
	snprintf(ac->secret, sizeof(ac->secret), "%s", OKX_SECRET);
	ac->nbal = 4;
	snprintf(ac->bal[0].asset, sizeof(ac->bal[0].asset), "USDT");
	ac->bal[0].amount = 1000000 * SIM_SCALE;
	snprintf(ac->bal[1].asset, sizeof(ac->bal[1].asset), "BTC");
	ac->bal[1].amount = 10 * SIM_SCALE;
	snprintf(ac->bal[2].asset, sizeof(ac->bal[2].asset), "ETH");
	ac->bal[2].amount = 100 * SIM_SCALE;
	snprintf(ac->bal[3].asset, sizeof(ac->bal[3].asset), "XRP");
	ac->bal[3].amount = 100000 * SIM_SCALE;
	snprintf(t->sc.state_dir, sizeof(t->sc.state_dir), "%s", t->dir);
	snprintf(t->sc.ledger_path, sizeof(t->sc.ledger_path), "%s/ledger.jsonl", t->dir);
	for (uint32_t i = 0; i < t->sc.nvenues; i++)
		t->sc.venues[i].rest_port = t->sc.venues[i].ws_port =
			t->sc.venues[i].api_port = 0;
	t->sc.control_port = 0;
	cr_assert_eq(sim_certs_ensure(t->dir, &t->certs, err, sizeof(err)), 0, "certs: %s", err);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = &t->sc;
	cfg.ca_path = t->certs.ca;
	cfg.cert_path = t->certs.cert;
	cfg.key_path = t->certs.key;
	cfg.max_ws = 16;
	cfg.max_rest = 8;
	cr_assert_eq(sim_server_new(&t->s, &cfg, err, sizeof(err)), 0, "server: %s", err);
	t->l = sim_server_loop(t->s);
	memset(&cc, 0, sizeof(cc));
	cc.role = NET_TLS_CLIENT;
	cc.ca_file = t->certs.ca;
	cr_assert_eq(net_tls_ctx_create(&cc, &t->cli, err, sizeof(err)), 0, "%s", err);
}

static struct simtest T;

static void okx_setup(void)
{
	okx_start(&T);
}

static void okx_teardown(void)
{
	simtest_stop(&T);
	unsetenv("EXSIM_OKX_CHECKSUM");
	unsetenv("EXSIM_OKX_IDLE_MS");
	unsetenv("EXSIM_OKX_LIFE_MS");
}

struct jdoc {
	const char *s;
	int n;
	struct jr_tok *t;
};

static struct jr_tok doc_toks[4][TOKS];

static struct jdoc jd(const char *s, int slot)
{
	struct jdoc d = { s, 0, doc_toks[slot] };

	d.n = jr_parse(s, strlen(s), d.t, TOKS);
	cr_assert_geq(d.n, 1, "JSON: %.300s", s);
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
	char *b = buf[next++ & 7];
	int i = jm(d, o, k);

	b[0] = '\0';
	if (i >= 0 && d->t[i].type == JR_STR)
		jr_str(d->s, &d->t[i], b, 512);
	return b;
}

/* data[0] of a message. */
static int jdata0(const struct jdoc *d)
{
	int a = jm(d, 0, "data");

	cr_assert_geq(a, 0, "data in %.300s", d->s);
	return jr_at(d->t, a, 0);
}

/* Run until a message from index 'from' on contains 'needle': its index, or -1. */
struct want_str {
	struct simtest_ws *c;
	uint32_t from;
	const char *needle;
	int found;
};

static bool want_str_done(void *arg)
{
	struct want_str *w = arg;

	for (uint32_t i = w->from; i < w->c->kept; i++) {
		if (strstr(w->c->msg[i], w->needle)) {
			w->found = (int)i;
			return true;
		}
	}
	return w->c->closed;
}

static int wait_msg(struct simtest_ws *c, uint32_t from, const char *needle)
{
	struct want_str w = { c, from, needle, -1 };

	simtest_run_until(&T, want_str_done, &w);
	return w.found;
}

static void iso_now(char *out, size_t cap, int64_t off_ms)
{
	uint64_t ms = sim_now_real_ns() / 1000000ull + (uint64_t)off_ms;
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);

	cr_assert(n > 0 && n + 6 <= cap);
	snprintf(out + n, cap - n, ".%03uZ", (unsigned)(ms % 1000 % 1000));
}

static void sign_b64(const char *secret, const char *msg, char *out, size_t cap)
{
	cr_assert_gt(venue_hmac_sha256(secret, strlen(secret), msg, strlen(msg), VENUE_B64, out,
				       cap), 0);
}

/* The four OK-ACCESS headers for a request, with each part overridable. */
struct auth {
	const char *key, *pass, *secret;
	int64_t off_ms;
	bool bad_ts, no_key, no_pass, no_sign, no_ts;
};

static void auth_headers(const struct auth *a, const char *method, const char *target,
			 const char *body, char *out, size_t cap)
{
	char ts[40], sig[64], pre[4096];
	int n = 0;

	iso_now(ts, sizeof(ts), a->off_ms);
	if (a->bad_ts)
		snprintf(ts, sizeof(ts), "1597026383085");
	snprintf(pre, sizeof(pre), "%s%s%s%s", ts, method, target, body ? body : "");
	sign_b64(a->secret ? a->secret : OKX_SECRET, pre, sig, sizeof(sig));
	out[0] = '\0';
	if (!a->no_key)
		n += snprintf(out + n, cap - (size_t)n, "OK-ACCESS-KEY: %s\r\n",
			      a->key ? a->key : OKX_KEY);
	if (!a->no_sign)
		n += snprintf(out + n, cap - (size_t)n, "OK-ACCESS-SIGN: %s\r\n", sig);
	if (!a->no_ts)
		n += snprintf(out + n, cap - (size_t)n, "OK-ACCESS-TIMESTAMP: %s\r\n", ts);
	if (!a->no_pass)
		n += snprintf(out + n, cap - (size_t)n, "OK-ACCESS-PASSPHRASE: %s\r\n",
			      a->pass ? a->pass : OKX_PASS);
	snprintf(out + n, cap - (size_t)n, "Content-Type: application/json\r\n");
}

static struct simtest_resp *okx_req(struct simtest_http *h, const struct auth *a,
				    const char *method, const char *target, const char *body)
{
	static const struct auth def;
	char hdr[1024];

	auth_headers(a ? a : &def, method, target, body, hdr, sizeof(hdr));
	return simtest_http_on(&T, h, method, target, hdr, body);
}

/* "code" of a REST body. */
static const char *rcode(const struct simtest_resp *r)
{
	struct jdoc d = jd(r->body, 3);

	return js(&d, 0, "code");
}

static const char *rscode(const struct simtest_resp *r)
{
	struct jdoc d = jd(r->body, 3);

	return js(&d, jdata0(&d), "sCode");
}

static uint32_t crc32_ieee(const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= (uint8_t)s[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

/* A local OKX book from books messages, as a client keeps it. */
#define LB_MAX 512
struct lbook {
	char px[2][LB_MAX][32], sz[2][LB_MAX][32];
	uint32_t n[2];
	int64_t seq;
};

static double dv(const char *s)
{
	return strtod(s, NULL);
}

static void lb_apply(struct lbook *b, const struct jdoc *d, int data, unsigned side)
{
	int arr = jm(d, data, side ? "asks" : "bids");

	cr_assert_geq(arr, 0);
	for (uint32_t i = 0; i < d->t[arr].size; i++) {
		int lv = jr_at(d->t, arr, i);
		char px[32], sz[32];
		uint32_t k = 0;

		jr_str(d->s, &d->t[jr_at(d->t, lv, 0)], px, sizeof(px));
		jr_str(d->s, &d->t[jr_at(d->t, lv, 1)], sz, sizeof(sz));
		while (k < b->n[side] && (side ? dv(b->px[side][k]) < dv(px)
					       : dv(b->px[side][k]) > dv(px)))
			k++;
		if (k < b->n[side] && !strcmp(b->px[side][k], px)) {
			if (!strcmp(sz, "0")) {
				memmove(b->px[side][k], b->px[side][k + 1], (b->n[side] - k - 1) * 32);
				memmove(b->sz[side][k], b->sz[side][k + 1], (b->n[side] - k - 1) * 32);
				b->n[side]--;
			} else {
				strcpy(b->sz[side][k], sz);
			}
			continue;
		}
		cr_assert_str_neq(sz, "0", "a delete of an absent level %s", px);
		cr_assert_lt(b->n[side], LB_MAX);
		memmove(b->px[side][k + 1], b->px[side][k], (b->n[side] - k) * 32);
		memmove(b->sz[side][k + 1], b->sz[side][k], (b->n[side] - k) * 32);
		strcpy(b->px[side][k], px);
		strcpy(b->sz[side][k], sz);
		b->n[side]++;
	}
}

static int32_t lb_checksum(const struct lbook *b)
{
	char s[8192];
	size_t n = 0;

	for (uint32_t i = 0; i < 25; i++)
		for (unsigned side = 0; side < 2; side++)
			if (i < b->n[side])
				n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s:%s", n ? ":" : "",
						      b->px[side][i], b->sz[side][i]);
	return (int32_t)crc32_ieee(s, n);
}

static struct simtest_ws *pub_books(const char *inst)
{
	struct simtest_ws *c = simtest_ws_open(&T, "okx", false, "/ws/v5/public", NULL);
	char sub[256];

	snprintf(sub, sizeof(sub), "{\"id\":\"7\",\"op\":\"subscribe\",\"args\":[{\"channel\":"
		 "\"books\",\"instId\":\"%s\"}]}", inst);
	simtest_ws_text(c, sub);
	return c;
}

/* ---- the public WebSocket ---------------------------------------------------------- */

TestSuite(exsim_okx, .init = okx_setup, .fini = okx_teardown);

Test(exsim_okx, subscribe_snapshot_then_chained_updates)
{
	struct simtest_ws *c = pub_books("BTC-USDT");
	struct lbook *lb = calloc(1, sizeof(*lb));
	int ev, snap, seen = 0;

	ev = wait_msg(c, 0, "\"event\":\"subscribe\"");
	cr_assert_geq(ev, 0);
	{
		struct jdoc d = jd(c->msg[ev], 0);

		cr_expect_str_eq(js(&d, 0, "id"), "7");
		cr_expect_str_eq(js(&d, jm(&d, 0, "arg"), "channel"), "books");
		cr_expect_eq(strlen(js(&d, 0, "connId")), 8);
	}
	snap = wait_msg(c, 0, "\"action\":\"snapshot\"");
	cr_assert_gt(snap, ev, "the snapshot follows the subscribe event");
	{
		struct jdoc d = jd(c->msg[snap], 0);
		int d0 = jdata0(&d);

		cr_assert_eq(ji(&d, d0, "prevSeqId"), -1);
		cr_expect_eq(ji(&d, d0, "checksum"), 0, "no checksum unless asked");
		lb_apply(lb, &d, d0, 0);
		lb_apply(lb, &d, d0, 1);
		lb->seq = ji(&d, d0, "seqId");
		cr_assert_gt(lb->n[0], 0);
		cr_assert_gt(lb->n[1], 0);
	}
	for (uint32_t i = (uint32_t)snap + 1; seen < 5;) {
		int k = wait_msg(c, i, "\"action\":\"update\"");
		struct jdoc d;
		int d0;

		cr_assert_geq(k, 0, "updates come");
		d = jd(c->msg[k], 0);
		d0 = jdata0(&d);
		cr_assert_eq(ji(&d, d0, "prevSeqId"), lb->seq, "the chain holds: %s", c->msg[k]);
		cr_assert_gt(ji(&d, d0, "seqId"), lb->seq);
		lb_apply(lb, &d, d0, 0);
		lb_apply(lb, &d, d0, 1);
		lb->seq = ji(&d, d0, "seqId");
		cr_assert(dv(lb->px[0][0]) < dv(lb->px[1][0]), "the book is not crossed");
		i = (uint32_t)k + 1;
		seen++;
	}
	free(lb);
	simtest_ws_free(&T, c);
}

Test(exsim_okx, rest_books_chain_with_ws_updates)
{
	struct simtest_ws *c = pub_books("ETH-USDT");
	struct simtest_resp *r;
	int k;

	cr_assert_geq(wait_msg(c, 0, "\"action\":\"update\""), 0);
	r = simtest_http(&T, "okx", "GET", "/api/v5/market/books?instId=ETH-USDT&sz=400", NULL,
			 NULL);
	cr_assert_eq(r->status, 200);
	{
		struct jdoc d = jd(r->body, 1);
		int d0 = jdata0(&d);
		int64_t seq = ji(&d, d0, "seqId");
		uint32_t from = c->kept;

		cr_expect_str_eq(js(&d, 0, "code"), "0");
		cr_assert_leq(d.t[jm(&d, d0, "asks")].size, 400);
		/* an update after the REST snapshot chains from it or from later */
		k = wait_msg(c, from, "\"action\":\"update\"");
		cr_assert_geq(k, 0);
		{
			struct jdoc u = jd(c->msg[k], 2);
			int u0 = jdata0(&u);

			cr_expect_geq(ji(&u, u0, "prevSeqId"), seq);
			cr_expect_gt(ji(&u, u0, "seqId"), seq);
		}
	}
	simtest_resp_free(r);
	simtest_ws_free(&T, c);
}

Test(exsim_okx, control_errors_and_ping)
{
	struct simtest_ws *c = simtest_ws_open(&T, "okx", false, "/ws/v5/public", NULL);
	int k;

	simtest_ws_text(c, "ping");
	k = wait_msg(c, 0, "pong");
	cr_assert_geq(k, 0);
	cr_expect_str_eq(c->msg[k], "pong");
	simtest_ws_text(c, "{\"op\": \"subscribe\", \"argss\":[}");
	k = wait_msg(c, 0, "60012");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"event\":\"error\""));
	simtest_ws_text(c, "{\"id\":\"9\",\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
		        "\"instId\":\"BTC-USD-191227\"}]}");
	k = wait_msg(c, 0, "60018");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"id\":\"9\""));
	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books-l2-tbt\","
		        "\"instId\":\"BTC-USDT\"}]}");
	cr_assert_geq(wait_msg(c, 0, "64003"), 0);
	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[]}");
	cr_assert_geq(wait_msg(c, 0, "60013"), 0);
	simtest_ws_text(c, "{\"op\":\"login\",\"args\":[]}");
	k = wait_msg(c, 0, "\"Invalid request: {\\\"op\\\":\\\"login\\\"");
	cr_assert_geq(k, 0, "login is a private op");
	simtest_ws_text(c, "{\"id\":\"bad-id!\",\"op\":\"subscribe\",\"args\":[]}");
	cr_assert_geq(wait_msg(c, (uint32_t)k + 1, "60013"), 0);
	/* orders is a private channel */
	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\","
		        "\"instType\":\"SPOT\"}]}");
	cr_assert_geq(wait_msg(c, (uint32_t)k + 2, "60018"), 0);
	cr_expect_not(c->closed);
	simtest_ws_free(&T, c);
}

Test(exsim_okx, unknown_path_refused)
{
	struct simtest_ws *c = simtest_ws_connect(&T, "okx", false, "/ws/v5/nope", NULL);

	cr_expect_not(c->opened);
	simtest_ws_free(&T, c);
}

Test(exsim_okx, channels_shapes)
{
	struct simtest_ws *c = simtest_ws_open(&T, "okx", false, "/ws/v5/public", NULL);
	int k;

	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"bbo-tbt\",\"instId\":"
		        "\"BTC-USDT\"},{\"channel\":\"books5\",\"instId\":\"BTC-USDT\"},"
		        "{\"channel\":\"tickers\",\"instId\":\"BTC-USDT\"},{\"channel\":\"trades\","
		        "\"instId\":\"BTC-USDT\"}]}");
	k = wait_msg(c, 0, "\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},\"data\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);

		cr_expect_eq(d.t[jm(&d, d0, "asks")].size, 1);
		cr_expect_eq(d.t[jr_at(d.t, jm(&d, d0, "asks"), 0)].size, 4);
		cr_expect_geq(jm(&d, d0, "seqId"), 0);
		cr_expect_lt(jm(&d, 0, "action"), 0);
	}
	k = wait_msg(c, 0, "\"channel\":\"books5\",\"instId\":\"BTC-USDT\"},\"data\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);

		cr_expect_eq(d.t[jm(&d, d0, "bids")].size, 5);
		cr_expect_str_eq(js(&d, d0, "instId"), "BTC-USDT");
	}
	k = wait_msg(c, 0, "\"channel\":\"tickers\",\"instId\":\"BTC-USDT\"},\"data\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);

		cr_expect_str_eq(js(&d, d0, "instType"), "SPOT");
		cr_expect(dv(js(&d, d0, "bidPx")) < dv(js(&d, d0, "askPx")));
	}
	k = wait_msg(c, 0, "\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);
		const char *side = js(&d, d0, "side");

		cr_expect(!strcmp(side, "buy") || !strcmp(side, "sell"));
		cr_expect_gt(strlen(js(&d, d0, "tradeId")), 0);
	}
	/* unsubscribe: the event, then no more of that channel */
	simtest_ws_text(c, "{\"op\":\"unsubscribe\",\"args\":[{\"channel\":\"trades\","
		        "\"instId\":\"BTC-USDT\"}]}");
	k = wait_msg(c, 0, "\"event\":\"unsubscribe\"");
	cr_assert_geq(k, 0);
	cr_assert(simtest_steps(&T, 30));
	for (uint32_t i = (uint32_t)k + 1; i < c->kept; i++)
		cr_expect_null(strstr(c->msg[i], "\"channel\":\"trades\""));
	simtest_ws_free(&T, c);
}

Test(exsim_okx, gap_fault_breaks_the_chain)
{
	struct simtest_ws *c = pub_books("BTC-USDT");
	struct sim_fault f = { .kind = SIM_FAULT_GAP, .count = 1 };
	int64_t seq;
	int k;

	k = wait_msg(c, 0, "\"action\":\"update\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);

		seq = ji(&d, jdata0(&d), "seqId");
	}
	sim_fault_apply(sim_server_venue(T.s, "okx"), &f, net_now_ns());
	k = wait_msg(c, (uint32_t)k + 1, "\"action\":\"update\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);

		cr_expect_neq(ji(&d, jdata0(&d), "prevSeqId"), seq, "an update was skipped");
	}
	simtest_ws_free(&T, c);
}

/* Tests that set an EXSIM_OKX_* knob before the server is made. */
TestSuite(exsim_okx_knobs, .fini = okx_teardown);

Test(exsim_okx_knobs, idle_heartbeat)
{
	struct simtest_ws *c;
	int k;

	setenv("EXSIM_OKX_IDLE_MS", "1000", 1);
	okx_start(&T);
	c = pub_books("BTC-USDT");
	cr_assert_geq(wait_msg(c, 0, "\"action\":\"snapshot\""), 0);
	sim_server_pause(T.s);
	k = wait_msg(c, 0, "\"asks\":[],\"bids\":[]");
	cr_assert_geq(k, 0, "a heartbeat comes while the book is idle");
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);

		cr_expect_str_eq(js(&d, 0, "action"), "update");
		cr_expect_eq(ji(&d, d0, "prevSeqId"), ji(&d, d0, "seqId"));
	}
	simtest_ws_free(&T, c);
}

Test(exsim_okx_knobs, checksum_when_asked)
{
	struct simtest_ws *c;
	struct lbook *lb = calloc(1, sizeof(*lb));
	int k, n = 0;

	setenv("EXSIM_OKX_CHECKSUM", "1", 1);
	okx_start(&T);
	c = pub_books("XRP-USDT");
	for (uint32_t i = 0; n < 4; n++) {
		struct jdoc d;
		int d0;

		k = wait_msg(c, i, "\"channel\":\"books\",\"instId\":\"XRP-USDT\"},\"action\"");
		cr_assert_geq(k, 0);
		d = jd(c->msg[k], 0);
		d0 = jdata0(&d);
		lb_apply(lb, &d, d0, 0);
		lb_apply(lb, &d, d0, 1);
		cr_assert_eq(ji(&d, d0, "checksum"), lb_checksum(lb), "checksum of %s", c->msg[k]);
		cr_assert_neq(ji(&d, d0, "checksum"), 0);
		i = (uint32_t)k + 1;
	}
	free(lb);
	simtest_ws_free(&T, c);
}

Test(exsim_okx_knobs, checksum_fault_corrupts)
{
	struct simtest_ws *c;
	struct lbook *lb = calloc(1, sizeof(*lb));
	int k, bad = 0;

	setenv("EXSIM_OKX_CHECKSUM", "bad:2", 1);
	okx_start(&T);
	c = pub_books("XRP-USDT");
	for (uint32_t i = 0, n = 0; n < 4; n++) {
		struct jdoc d;
		int d0;

		k = wait_msg(c, i, "\"channel\":\"books\",\"instId\":\"XRP-USDT\"},\"action\"");
		cr_assert_geq(k, 0);
		d = jd(c->msg[k], 0);
		d0 = jdata0(&d);
		lb_apply(lb, &d, d0, 0);
		lb_apply(lb, &d, d0, 1);
		if (n < 2)
			cr_expect_neq(ji(&d, d0, "checksum"), lb_checksum(lb));
		else
			cr_expect_eq(ji(&d, d0, "checksum"), lb_checksum(lb));
		bad += ji(&d, d0, "checksum") != lb_checksum(lb);
		i = (uint32_t)k + 1;
	}
	cr_expect_eq(bad, 2, "exactly the next 2 books messages");
	free(lb);
	simtest_ws_free(&T, c);
}

Test(exsim_okx_knobs, notice_64008_then_close)
{
	struct simtest_ws *c;
	int k;

	setenv("EXSIM_OKX_LIFE_MS", "1000", 1);
	okx_start(&T);
	c = pub_books("BTC-USDT");
	k = wait_msg(c, 0, "\"code\":\"64008\"");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"event\":\"notice\""));
	cr_assert(simtest_ws_wait_close(&T, c));
	simtest_ws_free(&T, c);
}

/* ---- REST ----------------------------------------------------------------------------- */

Test(exsim_okx, rest_public)
{
	struct simtest_resp *r;

	r = simtest_http(&T, "okx", "GET", "/api/v5/public/time", NULL, NULL);
	cr_assert_eq(r->status, 200);
	{
		struct jdoc d = jd(r->body, 0);
		uint64_t ts = strtoull(js(&d, jdata0(&d), "ts"), NULL, 10);

		cr_expect_str_eq(js(&d, 0, "code"), "0");
		cr_expect_gt(ts, 1600000000000ull);
	}
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/instruments?instType=SPOT&instId=BTC-USDT",
			 NULL, NULL);
	cr_assert_eq(r->status, 200);
	{
		struct jdoc d = jd(r->body, 0);
		int d0 = jdata0(&d);

		cr_expect_eq(d.t[jm(&d, 0, "data")].size, 1);
		cr_expect_eq(ji(&d, d0, "instIdCode"), 10001);
		cr_expect_str_eq(js(&d, d0, "tickSz"), "0.1");
		cr_expect_str_eq(js(&d, d0, "lotSz"), "0.00000001");
		cr_expect_str_eq(js(&d, d0, "minSz"), "0.00001");
		cr_expect_str_eq(js(&d, d0, "state"), "live");
	}
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/instruments?instType=SPOT", NULL, NULL);
	{
		struct jdoc d = jd(r->body, 0);

		cr_expect_eq(d.t[jm(&d, 0, "data")].size, 3);
	}
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/instruments", NULL, NULL);
	cr_expect_str_eq(rcode(r), "50014");
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/market/books?instId=BTC-USDT&sz=400", NULL,
			 NULL);
	cr_expect_str_eq(rcode(r), "0");
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/market/books?instId=BTC-USDT&sz=401", NULL,
			 NULL);
	cr_expect_str_eq(rcode(r), "51000", "sz 401 is past the 400 cap");
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/market/books?instId=BTC-USDT", NULL, NULL);
	{
		struct jdoc d = jd(r->body, 0);

		cr_expect_eq(d.t[jm(&d, jdata0(&d), "bids")].size, 1, "sz defaults to 1");
	}
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/market/books?instId=NOPE-USDT", NULL, NULL);
	cr_expect_str_eq(rcode(r), "51001");
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/nope", NULL, NULL);
	cr_expect_eq(r->status, 404);
	simtest_resp_free(r);
}

/* The best ask (buy: 1) or bid of an instrument, from the REST book. */
static double best(const char *inst, bool ask)
{
	char target[128];
	struct simtest_resp *r;
	double px;

	snprintf(target, sizeof(target), "/api/v5/market/books?instId=%s&sz=1", inst);
	r = simtest_http(&T, "okx", "GET", target, NULL, NULL);
	{
		struct jdoc d = jd(r->body, 1);
		int side = jm(&d, jdata0(&d), ask ? "asks" : "bids");
		char buf[32];

		jr_str(d.s, &d.t[jr_at(d.t, jr_at(d.t, side, 0), 0)], buf, sizeof(buf));
		px = dv(buf);
	}
	simtest_resp_free(r);
	return px;
}

Test(exsim_okx, rest_order_round_trip)
{
	struct simtest_http *h = simtest_http_client(&T, "okx");
	struct simtest_resp *r;
	char body[512], target[256], ord[32];
	double ask = best("BTC-USDT", true), bid = best("BTC-USDT", false);

	/* a buy through the ask fills as a taker */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":"
		 "\"t1\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"%.1f\",\"sz\":\"0.001\"}",
		 ask + 10);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_expect_str_eq(rcode(r), "0", "%s", r->body);
	cr_expect_str_eq(rscode(r), "0");
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=t1", NULL);
	{
		struct jdoc d = jd(r->body, 0);
		int d0 = jdata0(&d);

		cr_expect_str_eq(js(&d, d0, "state"), "filled", "%s", r->body);
		cr_expect_str_eq(js(&d, d0, "accFillSz"), "0.001");
		cr_expect_str_eq(js(&d, d0, "feeCcy"), "BTC", "a buy pays its fee in BTC");
		cr_expect_eq(js(&d, d0, "fee")[0], '-', "negative: charged");
	}
	simtest_resp_free(r);
	/* a buy well under the bid rests */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":"
		 "\"t2\",\"side\":\"buy\",\"ordType\":\"post_only\",\"px\":\"%.1f\",\"sz\":\"0.001\"}",
		 bid - 100);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "0", "%s", r->body);
	{
		struct jdoc d = jd(r->body, 0);

		snprintf(ord, sizeof(ord), "%s", js(&d, jdata0(&d), "ordId"));
		cr_expect_gt(strlen(ord), 0);
		cr_expect_str_eq(js(&d, jdata0(&d), "clOrdId"), "t2");
	}
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/trade/orders-pending?instType=SPOT", NULL);
	cr_expect(strstr(r->body, ord), "%s", r->body);
	cr_expect(strstr(r->body, "\"state\":\"live\""));
	simtest_resp_free(r);
	snprintf(target, sizeof(target), "/api/v5/trade/order?instId=BTC-USDT&ordId=%s", ord);
	r = okx_req(h, NULL, "GET", target, NULL);
	cr_expect(strstr(r->body, "\"ordType\":\"post_only\""), "%s", r->body);
	simtest_resp_free(r);
	/* the same clOrdId while t2 is live: 51016 */
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rcode(r), "1");
	cr_expect_str_eq(rscode(r), "51016", "%s", r->body);
	simtest_resp_free(r);
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"ordId\":\"%s\"}", ord);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/cancel-order", body);
	cr_expect_str_eq(rcode(r), "0", "%s", r->body);
	cr_expect_str_eq(rscode(r), "0");
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", target, NULL);
	cr_expect(strstr(r->body, "\"state\":\"canceled\""), "%s", r->body);
	simtest_resp_free(r);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/cancel-order", body);
	cr_expect_str_eq(rscode(r), "51400", "%s", r->body);
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=zz9", NULL);
	cr_expect_str_eq(rcode(r), "51603");
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/account/balance?ccy=BTC,USDT", NULL);
	{
		struct jdoc d = jd(r->body, 0);
		int det = jm(&d, jdata0(&d), "details");

		cr_expect_eq(d.t[det].size, 2, "%s", r->body);
		cr_expect(strstr(r->body, "\"ccy\":\"BTC\""));
	}
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/account/trade-fee?instType=SPOT&instId=BTC-USDT",
		    NULL);
	{
		struct jdoc d = jd(r->body, 0);

		cr_expect_str_eq(js(&d, jdata0(&d), "taker"), "-0.001", "%s", r->body);
		cr_expect_str_eq(js(&d, jdata0(&d), "maker"), "-0.0008");
	}
	simtest_resp_free(r);
	simtest_http_free(&T, h);
}

Test(exsim_okx, rest_order_refusals)
{
	struct simtest_http *h = simtest_http_client(&T, "okx");
	struct simtest_resp *r;
	double bid = best("BTC-USDT", false), ask = best("BTC-USDT", true);
	char body[512];

	r = okx_req(h, NULL, "POST", "/api/v5/trade/order",
		    "{\"tdMode\":\"cash\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"1\",\"sz\":\"1\"}");
	cr_expect_str_eq(rcode(r), "50014");
	simtest_resp_free(r);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", "not json");
	cr_expect_str_eq(rcode(r), "50002");
	simtest_resp_free(r);
	/* lot: 0.00000001 BTC is the step, minSz 0.00001: one under and at */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"buy\","
		 "\"ordType\":\"limit\",\"px\":\"%.1f\",\"sz\":\"0.00000999\"}", bid - 100);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "51020", "%s", r->body);
	simtest_resp_free(r);
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"buy\","
		 "\"ordType\":\"limit\",\"px\":\"%.1f\",\"sz\":\"0.00001\"}", bid - 100);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "0", "%s", r->body);
	simtest_resp_free(r);
	/* tick 0.1 */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"buy\","
		 "\"ordType\":\"limit\",\"px\":\"%.2f\",\"sz\":\"0.001\"}", bid - 100.05);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "51000", "%s", r->body);
	simtest_resp_free(r);
	/* price band */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"buy\","
		 "\"ordType\":\"ioc\",\"px\":\"%.1f\",\"sz\":\"0.001\"}", ask * 1.2);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "51006", "%s", r->body);
	simtest_resp_free(r);
	/* funds */
	snprintf(body, sizeof(body), "{\"instId\":\"ETH-USDT\",\"tdMode\":\"cash\",\"side\":\"sell\","
		 "\"ordType\":\"limit\",\"px\":\"%.2f\",\"sz\":\"200\"}",
		 best("ETH-USDT", true) + 10);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "51008", "%s", r->body);
	cr_expect(strstr(r->body, "Insufficient ETH"));
	simtest_resp_free(r);
	/* post-only that would take */
	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"side\":\"buy\","
		 "\"ordType\":\"post_only\",\"px\":\"%.1f\",\"sz\":\"0.001\"}", ask + 10);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_str_eq(rscode(r), "51511", "%s", r->body);
	simtest_resp_free(r);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order",
		    "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cross\",\"side\":\"buy\",\"ordType\":"
		    "\"limit\",\"px\":\"1\",\"sz\":\"1\"}");
	cr_expect_str_eq(rscode(r), "51000");
	simtest_resp_free(r);
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order",
		    "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"a-b\",\"side\":"
		    "\"buy\",\"ordType\":\"limit\",\"px\":\"1\",\"sz\":\"1\"}");
	cr_expect_str_eq(rscode(r), "51000", "clOrdId is alphanumeric");
	simtest_resp_free(r);
	/* a market buy spends quote by default */
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order",
		    "{\"instId\":\"ETH-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"m1\",\"side\":"
		    "\"buy\",\"ordType\":\"market\",\"sz\":\"100\"}");
	cr_expect_str_eq(rscode(r), "0", "%s", r->body);
	simtest_resp_free(r);
	r = okx_req(h, NULL, "GET", "/api/v5/trade/order?instId=ETH-USDT&clOrdId=m1", NULL);
	cr_expect(strstr(r->body, "\"tgtCcy\":\"quote_ccy\""), "%s", r->body);
	cr_expect(strstr(r->body, "\"state\":\"filled\""), "%s", r->body);
	simtest_resp_free(r);
	simtest_http_free(&T, h);
}

Test(exsim_okx, rest_auth_failures)
{
	struct simtest_http *h = simtest_http_client(&T, "okx");
	const char *tg = "/api/v5/account/balance";
	struct {
		struct auth a;
		const char *code;
	} cases[] = {
		{ { .no_key = true }, "50103" },
		{ { .no_pass = true }, "50104" },
		{ { .no_sign = true }, "50106" },
		{ { .no_ts = true }, "50107" },
		{ { .bad_ts = true }, "50112" },
		{ { .off_ms = -31000 }, "50102" },
		{ { .off_ms = 31000 }, "50102" },
		{ { .key = "nobody" }, "50111" },
		{ { .pass = "wrong" }, "50105" },
		{ { .secret = "another-secret" }, "50113" },
		{ { .off_ms = -29000 }, "0" },
		{ { .off_ms = 29000 }, "0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct simtest_resp *r = okx_req(h, &cases[i].a, "GET", tg, NULL);

		cr_expect_str_eq(rcode(r), cases[i].code, "case %zu: %s", i, r->body);
		cr_expect_eq(r->status, strcmp(cases[i].code, "0") ? 401u : 200u, "case %zu", i);
		simtest_resp_free(r);
	}
	simtest_http_free(&T, h);
}

/* Wait for the start of a 2 s rate window, so a burst falls in one. */
static bool window_start(void *arg)
{
	(void)arg;
	return sim_now_real_ns() / 1000000ull % 2000 < 100;
}

Test(exsim_okx, rest_rate_limit_boundary)
{
	struct simtest_http *h = simtest_http_client(&T, "okx");
	const char *tg = "/api/v5/account/trade-fee?instType=SPOT";

	/* trade-fee: 5 requests / 2 s: the 5th passes, the 6th is refused */
	for (int attempt = 0; attempt < 5; attempt++) {
		struct simtest_resp *r[6];
		bool same_window;
		uint64_t w0;

		cr_assert(simtest_run_until(&T, window_start, NULL));
		w0 = sim_now_real_ns() / 2000000000ull;
		for (int i = 0; i < 6; i++)
			r[i] = okx_req(h, NULL, "GET", tg, NULL);
		same_window = sim_now_real_ns() / 2000000000ull == w0;
		if (same_window) {
			for (int i = 0; i < 5; i++)
				cr_expect_str_eq(rcode(r[i]), "0", "request %d", i + 1);
			cr_expect_eq(r[5]->status, 429);
			cr_expect_str_eq(rcode(r[5]), "50011");
		}
		for (int i = 0; i < 6; i++)
			simtest_resp_free(r[i]);
		if (same_window)
			break;
	}
	simtest_http_free(&T, h);
}

Test(exsim_okx, rest_faults)
{
	struct sim_venue *v = sim_server_venue(T.s, "okx");
	struct sim_fault f5 = { .kind = SIM_FAULT_HTTP_5XX, .count = 1 };
	struct sim_fault fb = { .kind = SIM_FAULT_BURST_429, .duration_ns = 60000000000ull };
	struct simtest_resp *r;

	sim_fault_apply(v, &f5, net_now_ns());
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/time", NULL, NULL);
	cr_expect_eq(r->status, 503);
	cr_expect_str_eq(rcode(r), "50001");
	simtest_resp_free(r);
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/time", NULL, NULL);
	cr_expect_eq(r->status, 200);
	simtest_resp_free(r);
	sim_fault_apply(v, &fb, net_now_ns());
	r = simtest_http(&T, "okx", "GET", "/api/v5/public/time", NULL, NULL);
	cr_expect_eq(r->status, 429);
	cr_expect_str_eq(rcode(r), "50011");
	simtest_resp_free(r);
}

Test(exsim_okx, rest_5xx_on_order_is_ambiguous)
{
	struct sim_venue *v = sim_server_venue(T.s, "okx");
	struct sim_fault f5 = { .kind = SIM_FAULT_HTTP_5XX, .count = 1 };
	struct simtest_http *h = simtest_http_client(&T, "okx");
	struct simtest_resp *r;
	char body[512];

	snprintf(body, sizeof(body), "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":"
		 "\"u5\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"%.1f\",\"sz\":\"0.001\"}",
		 best("BTC-USDT", false) - 100);
	sim_fault_apply(v, &f5, net_now_ns());
	r = okx_req(h, NULL, "POST", "/api/v5/trade/order", body);
	cr_expect_eq(r->status, 503);
	cr_expect_str_eq(rcode(r), "50004");
	simtest_resp_free(r);
	/* matched all the same */
	r = okx_req(h, NULL, "GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=u5", NULL);
	cr_expect(strstr(r->body, "\"state\":\"live\""), "%s", r->body);
	simtest_resp_free(r);
	simtest_http_free(&T, h);
}

/* ---- the private WebSocket ---------------------------------------------------------- */

static void login_msg(char *out, size_t cap, int64_t off_s, const char *pass, const char *secret)
{
	char ts[24], pre[64], sig[64];

	snprintf(ts, sizeof(ts), "%" PRId64,
		 (int64_t)(sim_now_real_ns() / 1000000000ull) + off_s);
	snprintf(pre, sizeof(pre), "%sGET/users/self/verify", ts);
	sign_b64(secret, pre, sig, sizeof(sig));
	snprintf(out, cap, "{\"op\":\"login\",\"args\":[{\"apiKey\":\"%s\",\"passphrase\":\"%s\","
		 "\"timestamp\":\"%s\",\"sign\":\"%s\"}]}", OKX_KEY, pass, ts, sig);
}

Test(exsim_okx, login_failures)
{
	struct simtest_ws *c = simtest_ws_open(&T, "okx", false, "/ws/v5/private", NULL);
	char m[512];

	login_msg(m, sizeof(m), 0, OKX_PASS, "wrong-secret");
	simtest_ws_text(c, m);
	cr_assert_geq(wait_msg(c, 0, "\"code\":\"60007\""), 0);
	login_msg(m, sizeof(m), -31, OKX_PASS, OKX_SECRET);
	simtest_ws_text(c, m);
	cr_assert_geq(wait_msg(c, 0, "\"code\":\"60006\""), 0);
	login_msg(m, sizeof(m), 0, "nope", OKX_SECRET);
	simtest_ws_text(c, m);
	cr_assert_geq(wait_msg(c, 0, "\"code\":\"60024\""), 0);
	simtest_ws_text(c, "{\"op\":\"login\",\"args\":[{\"apiKey\":\"x\",\"passphrase\":\"p\","
		        "\"timestamp\":\"1\",\"sign\":\"s\"}]}");
	cr_assert_geq(wait_msg(c, 0, "\"code\":\"60005\""), 0);
	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\","
		        "\"instType\":\"SPOT\"}]}");
	cr_assert_geq(wait_msg(c, 0, "\"code\":\"60011\""), 0);
	simtest_ws_text(c, "{\"id\":\"1\",\"op\":\"order\",\"args\":[{\"side\":\"buy\","
		        "\"instIdCode\":10001,\"tdMode\":\"cash\",\"ordType\":\"market\",\"sz\":\"10\"}]}");
	cr_assert_geq(wait_msg(c, 0, "Please log in"), 0);
	login_msg(m, sizeof(m), -29, OKX_PASS, OKX_SECRET);
	simtest_ws_text(c, m);
	cr_assert_geq(wait_msg(c, 0, "\"event\":\"login\",\"code\":\"0\""), 0,
		      "29 s old is still in the window");
	simtest_ws_free(&T, c);
}

Test(exsim_okx, ws_order_and_orders_channel)
{
	struct simtest_ws *c = simtest_ws_open(&T, "okx", false, "/ws/v5/private", NULL);
	char m[512];
	int k;

	login_msg(m, sizeof(m), 0, OKX_PASS, OKX_SECRET);
	simtest_ws_text(c, m);
	k = wait_msg(c, 0, "\"event\":\"login\"");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"code\":\"0\""), "%s", c->msg[k]);
	simtest_ws_text(c, "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\","
		        "\"instType\":\"SPOT\"}]}");
	cr_assert_geq(wait_msg(c, 0, "\"event\":\"subscribe\""), 0);
	k = wait_msg(c, 0, "channel-conn-count");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"connCount\":\"1\""), "%s", c->msg[k]);
	/* a market buy of 100 USDT of BTC by instIdCode */
	simtest_ws_text(c, "{\"id\":\"1512\",\"op\":\"order\",\"args\":[{\"side\":\"buy\","
		        "\"instIdCode\":10001,\"tdMode\":\"cash\",\"ordType\":\"market\","
		        "\"sz\":\"100\",\"clOrdId\":\"w1\"}]}");
	k = wait_msg(c, 0, "\"op\":\"order\"");
	cr_assert_geq(k, 0);
	{
		struct jdoc d = jd(c->msg[k], 0);

		cr_expect_str_eq(js(&d, 0, "id"), "1512");
		cr_expect_str_eq(js(&d, 0, "code"), "0", "%s", c->msg[k]);
		cr_expect_str_eq(js(&d, jdata0(&d), "sCode"), "0");
		cr_expect_str_eq(js(&d, jdata0(&d), "clOrdId"), "w1");
		cr_expect_gt(strlen(js(&d, 0, "inTime")), 0);
	}
	k = wait_msg(c, 0, "\"state\":\"filled\"");
	cr_assert_geq(k, 0, "the orders channel shows the fill");
	{
		struct jdoc d = jd(c->msg[k], 0);
		int d0 = jdata0(&d);

		cr_expect_str_eq(js(&d, jm(&d, 0, "arg"), "channel"), "orders");
		cr_expect_str_eq(js(&d, d0, "clOrdId"), "w1");
		cr_expect_str_eq(js(&d, d0, "execType"), "T");
		cr_expect_str_eq(js(&d, d0, "fillFeeCcy"), "BTC");
		cr_expect_gt(strlen(js(&d, d0, "tradeId")), 0);
	}
	/* unknown instIdCode: an item error; no instIdCode: 60013 */
	simtest_ws_text(c, "{\"id\":\"2\",\"op\":\"order\",\"args\":[{\"side\":\"buy\","
		        "\"instIdCode\":99999,\"tdMode\":\"cash\",\"ordType\":\"market\",\"sz\":\"10\"}]}");
	k = wait_msg(c, 0, "\"sCode\":\"51001\"");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"code\":\"1\""));
	simtest_ws_text(c, "{\"id\":\"3\",\"op\":\"order\",\"args\":[{\"side\":\"buy\","
		        "\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"ordType\":\"market\","
		        "\"sz\":\"10\"}]}");
	k = wait_msg(c, 0, "\"code\":\"60013\"");
	cr_assert_geq(k, 0, "instId alone is not enough since 2026-03");
	cr_expect(strstr(c->msg[k], "\"data\":[]"));
	/* a resting sell, then cancel-order by clOrdId */
	snprintf(m, sizeof(m), "{\"id\":\"4\",\"op\":\"order\",\"args\":[{\"side\":\"sell\","
		 "\"instIdCode\":10001,\"tdMode\":\"cash\",\"ordType\":\"limit\",\"px\":\"%.1f\","
		 "\"sz\":\"0.001\",\"clOrdId\":\"w2\"}]}", best("BTC-USDT", true) + 100);
	simtest_ws_text(c, m);
	cr_assert_geq(wait_msg(c, 0, "\"state\":\"live\""), 0);
	simtest_ws_text(c, "{\"id\":\"5\",\"op\":\"cancel-order\",\"args\":[{\"instIdCode\":10001,"
		        "\"clOrdId\":\"w2\"}]}");
	k = wait_msg(c, 0, "\"op\":\"cancel-order\"");
	cr_assert_geq(k, 0);
	cr_expect(strstr(c->msg[k], "\"sCode\":\"0\""), "%s", c->msg[k]);
	cr_assert_geq(wait_msg(c, 0, "\"state\":\"canceled\""), 0);
	simtest_ws_text(c, "{\"id\":\"6\",\"op\":\"cancel-order\",\"args\":[{\"instIdCode\":10001,"
		        "\"clOrdId\":\"w2\"}]}");
	cr_assert_geq(wait_msg(c, 0, "\"sCode\":\"51400\""), 0);
	simtest_ws_free(&T, c);
}
