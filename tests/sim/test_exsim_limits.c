/* SPDX-License-Identifier: MIT */
/*
 * exsim's switches for orderd's tests and benches: a venue's
 * 'rate_limits = false' (nothing counted, nothing refused), the 'ban'
 * fault (the next request and every one for 'duration' after it answered
 * 418), and GET /status's per-venue counts of the 429s and 418s sent.
 *
 *   exsim_limits_conf    the scenario key and the fault's keys
 *   exsim_limits_fault   sim_fault_banned and the status extras on a hand-made venue
 *   exsim_limits         end to end on an in-process exsim (simtest.h)
 *
 * No test asserts how long anything took: a ban's end is watched by asking
 * again (each look runs the loop) until the answer changes, under
 * simtest's deadline.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/sign.h"
#include "../testutil.h"
#include "shape.h"
#include "simtest.h"

#define MS UINT64_C(1000000)
#define S  UINT64_C(1000000000)

/* ---- JSON ----------------------------------------------------------------------------- */

#define TOKS 4096
static struct jr_tok toks[TOKS];

/* Integer member k of the object at token o of json (parsed into toks). */
static int64_t j_i64(const char *json, int o, const char *k)
{
	int i = jr_get(json, toks, o, k);
	int64_t v = -1;

	cr_assert_geq(i, 0, "member %s in %.400s", k, json);
	cr_assert_eq(jr_i64(json, &toks[i], &v), 0, "integer %s in %.400s", k, json);
	return v;
}

static bool j_true(const char *json, int o, const char *k)
{
	int i = jr_get(json, toks, o, k);

	cr_assert_geq(i, 0, "member %s in %.400s", k, json);
	cr_assert(toks[i].type == JR_TRUE || toks[i].type == JR_FALSE, "%s is a bool", k);
	return toks[i].type == JR_TRUE;
}

/* GET /status, the venue's object in it: the body (free it), *obj its token. */
static char *status_of(struct simtest *t, const char *venue, int *obj)
{
	struct simtest_resp *r = simtest_control(t, "GET", "/status");
	char *body;
	int vs;

	cr_assert_eq(r->status, 200, "%s", r->body);
	body = strdup(r->body);
	cr_assert_not_null(body);
	simtest_resp_free(r);
	cr_assert_geq(jr_parse(body, strlen(body), toks, TOKS), 1, "%s", body);
	vs = jr_get(body, toks, 0, "venues");
	cr_assert_geq(vs, 0);
	for (uint32_t i = 0; i < toks[vs].size; i++) {
		int o = jr_at(toks, vs, i), n = jr_get(body, toks, o, "name");

		if (n >= 0 && jr_eq(body, &toks[n], venue)) {
			*obj = o;
			return body;
		}
	}
	cr_assert_fail("no venue %s in %s", venue, body);
	return NULL;
}

/* One integer of the venue's status. */
static int64_t status_i64(struct simtest *t, const char *venue, const char *key)
{
	int o;
	char *b = status_of(t, venue, &o);
	int64_t v = j_i64(b, o, key);

	free(b);
	return v;
}

/* The venue's faults_applied count for kind k. */
static int64_t status_applied(struct simtest *t, const char *venue, enum sim_fault_kind k)
{
	int o, a;
	char *b = status_of(t, venue, &o);
	int64_t v = -1;

	a = jr_get(b, toks, o, "faults_applied");
	cr_assert_geq(a, 0);
	cr_assert_eq(toks[a].size, SIM_FAULT_KIND_COUNT - 1, "one count per kind: %s", b);
	cr_assert_eq(jr_i64(b, &toks[jr_at(toks, a, (uint32_t)k - 1)], &v), 0);
	free(b);
	return v;
}

static struct simtest_resp *control_fault(struct simtest *t, const char *query)
{
	char target[256];

	snprintf(target, sizeof(target), "/fault?%s", query);
	return simtest_control(t, "POST", target);
}

static int64_t hdr_i64(const struct simtest_resp *r, const char *name)
{
	char v[64];

	if (!simtest_resp_header(r, name, v, sizeof(v)))
		return -1;
	return strtoll(v, NULL, 10);
}

static char *hdr_str(const struct simtest_resp *r, const char *name)
{
	static char v[256];

	return simtest_resp_header(r, name, v, sizeof(v)) ? v : NULL;
}

/* The ledger's text (malloc'd). */
static char *ledger_text(const struct simtest *t)
{
	FILE *f = fopen(t->sc.ledger_path, "r");
	char *s;
	long n;

	cr_assert_not_null(f, "%s", t->sc.ledger_path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* ---- clients ----------------------------------------------------------------------------- */

static struct simtest_http *clients[8];
static unsigned nclients;

static struct simtest_http *client(struct simtest *t, const char *venue)
{
	cr_assert_lt(nclients, 8);
	clients[nclients] = simtest_http_client(t, venue);
	return clients[nclients++];
}

static bool http_closed(void *arg)
{
	return http_client_state(arg) == HTTP_CLIENT_IDLE;
}

static void stop(struct simtest *t)
{
	for (unsigned i = 0; i < nclients; i++) {
		http_client_close(&clients[i]->c);
		simtest_run_until(t, http_closed, &clients[i]->c);
		simtest_bury(t, clients[i], clients[i]->buf, &clients[i]->c.st.tls);
	}
	nclients = 0;
	simtest_stop(t);
}

static const struct sim_account_cfg *account(const struct simtest *t, const char *venue)
{
	for (uint32_t i = 0; i < t->sc.naccounts; i++)
		if (!strcmp(t->sc.accounts[i].venue, venue))
			return &t->sc.accounts[i];
	cr_assert_fail("no %s account", venue);
	return NULL;
}

/* ---- Upbit: a JWT-signed resting bid ---------------------------------------------------- */

static unsigned nonce_seq;

static struct simtest_resp *upbit_bid(struct simtest *t, struct simtest_http *h)
{
	const struct sim_account_cfg *a = account(t, "upbit");
	static const char body[] = "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"volume\":\"0.01\","
				   "\"price\":\"1000000\",\"ord_type\":\"limit\"}";
	static const char qs[] = "market=KRW-BTC&side=bid&volume=0.01&price=1000000&"
				 "ord_type=limit";
	char payload[640], hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)], tok[1024], hdr[1400];
	int n;

	cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
	snprintf(payload, sizeof(payload),
		 "{\"access_key\":\"%s\",\"nonce\":\"7d1c2a4e-9b7d-4c1e-8a2f-%012u\","
		 "\"query_hash\":\"%s\",\"query_hash_alg\":\"SHA512\"}", a->key, ++nonce_seq, hash);
	n = venue_jwt_sign(VENUE_SHA512, a->secret, strlen(a->secret), NULL, 0, payload,
			   strlen(payload), tok, sizeof(tok));
	cr_assert_gt(n, 0);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n"
		 "Content-Type: application/json; charset=utf-8\r\n", tok);
	return simtest_http_on(t, h, "POST", "/v1/orders", hdr, body);
}

/* ---- Binance: signed REST ------------------------------------------------------------------ */

static struct simtest_resp *binance_signed(struct simtest *t, struct simtest_http *h,
					   const char *method, const char *path,
					   const char *params)
{
	const struct sim_account_cfg *a = account(t, "binance");
	char p[512], sig[65], target[768], hdr[160];

	snprintf(p, sizeof(p), "%s&timestamp=%" PRIu64, params, sim_now_real_ns() / MS);
	cr_assert_eq(venue_hmac_sha256(a->secret, strlen(a->secret), p, strlen(p), VENUE_HEX, sig,
				       sizeof(sig)), 64);
	snprintf(target, sizeof(target), "%s?%s&signature=%s", path, p, sig);
	snprintf(hdr, sizeof(hdr), "X-MBX-APIKEY: %s\r\n", a->key);
	return simtest_http_on(t, h, method, target, hdr, NULL);
}

/* A resting BTCUSDT buy far under the market (half the best bid), ACK only. */
static struct simtest_resp *binance_rest_bid(struct simtest *t, struct simtest_http *h,
					     sim_fx px)
{
	char params[256], pxs[32];

	sim_fx_str(px, pxs);
	snprintf(params, sizeof(params), "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&"
		 "quantity=0.0002&price=%s&newOrderRespType=ACK", pxs);
	return binance_signed(t, h, "POST", "/api/v3/order", params);
}

static sim_fx binance_low_px(struct simtest *t, struct simtest_http *h)
{
	struct simtest_resp *r = simtest_http_on(t, h, "GET",
						 "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL,
						 NULL);
	int i;
	sim_fx bid = 0;

	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_geq(jr_parse(r->body, strlen(r->body), toks, TOKS), 1);
	i = jr_get(r->body, toks, 0, "bidPrice");
	cr_assert_geq(i, 0);
	cr_assert_eq(jr_fx(r->body, &toks[i], &bid), 0);
	simtest_resp_free(r);
	return bid / 2 / 1000000 * 1000000;     /* on the 0.01 tick */
}

/* A Binance REST 418 from the ban: -1003, "IP banned until <ms>", Retry-After. */
static uint64_t expect_binance_ban(struct simtest_resp *r)
{
	const char *m;
	int i;
	int64_t code = 0;

	cr_assert_eq(r->status, 418, "%u: %s", r->status, r->body);
	cr_assert_geq(jr_parse(r->body, strlen(r->body), toks, TOKS), 1);
	i = jr_get(r->body, toks, 0, "code");
	cr_assert_geq(i, 0);
	cr_assert_eq(jr_i64(r->body, &toks[i], &code), 0);
	cr_assert_eq(code, -1003);
	m = strstr(r->body, "IP banned until ");
	cr_assert_not_null(m, "%s", r->body);
	cr_assert_geq(hdr_i64(r, "retry-after"), 1);
	return strtoull(m + 16, NULL, 10);
}

/* ==== exsim_limits_conf ================================================================== */

static char conf_dir[64];

static void conf_setup(void)
{
	snprintf(conf_dir, sizeof(conf_dir), "/tmp/kimp-exsimlim-XXXXXX");
	cr_assert_not_null(mkdtemp(conf_dir));
}

static void conf_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", conf_dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(exsim_limits_conf, .init = conf_setup, .fini = conf_teardown);

static struct sim_scenario csc;

static int load(const char *text, char *err, size_t errlen)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.scn", conf_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return sim_scenario_load(&csc, path, err, errlen);
}

Test(exsim_limits_conf, rate_limits_default_true_and_set_per_venue)
{
	char err[512] = "";

	sim_scenario_defaults(&csc);
	cr_assert(csc.venues[0].rate_limits && csc.venues[1].rate_limits);
	cr_assert_eq(load("[venue.binance]\nrate_limits = false\n", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert(csc.venues[0].rate_limits, "upbit keeps its limits");
	cr_assert(!csc.venues[1].rate_limits);
	cr_assert_eq(load("[venue.upbit]\nrate_limits = off\n[venue.binance]\nrate_limits = yes\n",
			  err, sizeof(err)), 0, "%s", err);
	cr_assert(!csc.venues[0].rate_limits);
	cr_assert(csc.venues[1].rate_limits);
}

Test(exsim_limits_conf, rate_limits_must_be_a_boolean)
{
	char err[512] = "";

	cr_assert_neq(load("[venue.upbit]\nrate_limits = maybe\n", err, sizeof(err)), 0);
	cr_assert(strstr(err, "venue.upbit.rate_limits"), "%s", err);
}

Test(exsim_limits_conf, ban_needs_a_duration_and_takes_nothing_else)
{
	char err[512] = "";
	struct sim_fault f;

	cr_assert_neq(load("[fault.b]\nkind = ban\nvenue = upbit\n", err, sizeof(err)), 0);
	cr_assert(strstr(err, "key 'fault.b.duration': required by a ban fault"), "%s", err);
	cr_assert_neq(load("[fault.b]\nkind = ban\nduration = 1s\ncount = 2\n", err,
			   sizeof(err)), 0);
	cr_assert(strstr(err, "key 'fault.b.count': not used by a ban fault"), "%s", err);
	cr_assert_eq(load("[fault.b]\nat = 5s\nkind = ban\nvenue = binance\nduration = 90s\n",
			  err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(csc.nfaults, 1);
	cr_assert_eq(csc.faults[0].kind, SIM_FAULT_BAN);
	cr_assert_eq(csc.faults[0].duration_ns, 90 * S);
	cr_assert_eq(csc.faults[0].at_ns, 5 * S);
	cr_assert_str_eq(csc.faults[0].venue, "binance");
	cr_assert_str_eq(sim_fault_name(SIM_FAULT_BAN), "ban");
	/* a day at most, as for every duration; 0 allowed (one request) */
	cr_assert_eq(sim_fault_parse(&f, "kind=ban&venue=upbit&duration=0", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(f.duration_ns, 0);
	cr_assert_eq(sim_fault_parse(&f, "kind=ban&duration=86400s", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_neq(sim_fault_parse(&f, "kind=ban&duration=86401s", err, sizeof(err)), 0);
	cr_assert(strstr(err, "fault.duration"), "%s", err);
}

/* ==== exsim_limits_fault: fault.c on a hand-made venue ======================================= */

static struct sim_venue_cfg fvcfg;
static struct sim_venue fv;

static void fault_setup(void)
{
	memset(&fvcfg, 0, sizeof(fvcfg));
	snprintf(fvcfg.name, sizeof(fvcfg.name), "upbit");
	fvcfg.rate_limits = true;
	memset(&fv, 0, sizeof(fv));
	fv.cfg = &fvcfg;
}

TestSuite(exsim_limits_fault, .init = fault_setup);

Test(exsim_limits_fault, the_next_request_starts_the_ban)
{
	struct sim_fault f = { .kind = SIM_FAULT_BAN, .duration_ns = 2 * S };
	uint64_t left = 0;

	cr_assert(!sim_fault_banned(&fv, 1 * S, &left), "no ban before the fault");
	sim_fault_apply(&fv, &f, 10 * S);
	cr_assert(fv.fs.ban_armed);
	cr_assert_eq(fv.fs.applied[SIM_FAULT_BAN], 1);
	/* nothing asked for a while: the ban waits for the next request */
	cr_assert(sim_fault_banned(&fv, 50 * S, &left));
	cr_assert_eq(left, 2 * S, "the whole duration from that request");
	cr_assert(!fv.fs.ban_armed);
	cr_assert(sim_fault_banned(&fv, 52 * S - 1, &left), "the last ns of the ban");
	cr_assert_eq(left, MS, "at least 1 ms left is reported");
	cr_assert(!sim_fault_banned(&fv, 52 * S, &left), "over at its end");
	cr_assert(!sim_fault_banned(&fv, 53 * S, &left));
}

Test(exsim_limits_fault, a_zero_duration_bans_one_request)
{
	struct sim_fault f = { .kind = SIM_FAULT_BAN };
	uint64_t left = 0;

	sim_fault_apply(&fv, &f, 0);
	cr_assert(sim_fault_banned(&fv, 7 * S, &left));
	cr_assert_eq(left, MS);
	cr_assert(!sim_fault_banned(&fv, 7 * S, &left), "the same instant, the next request");
}

Test(exsim_limits_fault, rearming_replaces_the_duration_and_a_ban_in_force_stays)
{
	struct sim_fault f = { .kind = SIM_FAULT_BAN, .duration_ns = 10 * S };
	uint64_t left = 0;

	sim_fault_apply(&fv, &f, 0);
	f.duration_ns = 3 * S;
	sim_fault_apply(&fv, &f, 0);
	cr_assert(sim_fault_banned(&fv, 100 * S, &left));
	cr_assert_eq(left, 3 * S, "the later fault's duration");
	/* armed again during the ban: the next request starts a new one */
	f.duration_ns = 5 * S;
	sim_fault_apply(&fv, &f, 101 * S);
	cr_assert(sim_fault_banned(&fv, 102 * S, &left));
	cr_assert_eq(left, 5 * S);
	cr_assert(sim_fault_banned(&fv, 106 * S, &left));
	cr_assert(!sim_fault_banned(&fv, 107 * S, &left));
	cr_assert_eq(fv.fs.applied[SIM_FAULT_BAN], 3);
}

Test(exsim_limits_fault, answers_counted_and_status_extras)
{
	struct sim_fault f = { .kind = SIM_FAULT_BAN, .duration_ns = 1500 * MS };
	char buf[512];
	struct jw w;
	uint64_t left;

	sim_venue_answered(&fv, 200);
	sim_venue_answered(&fv, 429);
	sim_venue_answered(&fv, 429);
	sim_venue_answered(&fv, 418);
	sim_venue_answered(&fv, 503);
	cr_assert_eq(fv.sent_429, 2);
	cr_assert_eq(fv.sent_418, 1);
	jw_init(&w, buf, sizeof(buf));
	sim_fault_status(&fv, &w, 0);
	cr_assert_str_eq(jw_done(&w), ",\"sent_429\":2,\"sent_418\":1,\"ban_armed\":false,"
			 "\"ban_left_ms\":0,\"rate_limits\":true");
	sim_fault_apply(&fv, &f, 0);
	fvcfg.rate_limits = false;
	jw_init(&w, buf, sizeof(buf));
	sim_fault_status(&fv, &w, 0);
	cr_assert(strstr(jw_done(&w), "\"ban_armed\":true,\"ban_left_ms\":0,"
			 "\"rate_limits\":false"), "%s", buf);
	cr_assert(sim_fault_banned(&fv, 10 * S, &left));
	jw_init(&w, buf, sizeof(buf));
	sim_fault_status(&fv, &w, 10 * S + 1);
	cr_assert(strstr(jw_done(&w), "\"ban_armed\":false,\"ban_left_ms\":1500,"), "%s", buf);
	jw_init(&w, buf, sizeof(buf));
	sim_fault_status(&fv, &w, 11500 * MS);
	cr_assert(strstr(jw_done(&w), "\"ban_left_ms\":0,"), "%s", buf);
}

/* ==== exsim_limits: end to end ============================================================== */

/* Ask target again (running the loop a little between) until it is not 418. */
struct watch {
	struct simtest *t;
	struct simtest_http *h;
	const char *target;
	unsigned status;
};

Test(exsim_limits, binance_ban_from_control_on_rest_and_ws_api_counted_and_logged)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct simtest_ws *c;
	uint64_t until, wall;
	char *led, *cap;
	int i;

	simtest_start(&t, NULL);
	h = client(&t, "binance");
	r = simtest_http_on(&t, h, "GET", "/api/v3/ping", NULL, NULL);
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	cr_assert_eq(status_i64(&t, "binance", "sent_418"), 0);
	r = control_fault(&t, "kind=ban&venue=binance&duration=5s");
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	{
		int o;
		char *b = status_of(&t, "binance", &o);

		cr_assert(j_true(b, o, "ban_armed"), "%s", b);
		cr_assert_eq(j_i64(b, o, "ban_left_ms"), 0, "not started before a request");
		free(b);
	}
	cr_assert_eq(status_applied(&t, "binance", SIM_FAULT_BAN), 1);
	cr_assert_eq(status_applied(&t, "upbit", SIM_FAULT_BAN), 0);
	/* the next request, whatever it is: 418 */
	wall = sim_now_real_ns() / MS;
	r = simtest_http_on(&t, h, "GET", "/api/v3/ping", NULL, NULL);
	until = expect_binance_ban(r);
	cr_assert_geq(until, wall + 4000, "banned until about 5 s from the request");
	cr_assert_leq(until, sim_now_real_ns() / MS + 5000);
	cr_assert_geq(hdr_i64(r, "retry-after"), 4);
	cr_assert_leq(hdr_i64(r, "retry-after"), 5);
	cr_assert_not_null(hdr_str(r, "x-mbx-used-weight-1m"), "the weight header stays");
	simtest_resp_free(r);
	/* signed orders and unknown paths too */
	r = binance_rest_bid(&t, h, 5000000000000LL);
	expect_binance_ban(r);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/api/v3/nothing", NULL, NULL);
	expect_binance_ban(r);
	simtest_resp_free(r);
	/* the WS API: the documented 418 form, data.retryAfter the ban's end */
	c = simtest_ws_open(&t, "binance", true, "/ws-api/v3", NULL);
	cr_assert_eq(simtest_ws_text(c, "{\"id\":\"b1\",\"method\":\"ping\"}"), 0);
	cr_assert(simtest_ws_wait(&t, c, 1));
	cap = test_fixture_line("binance-wsapi.jsonl", 3);
	cr_assert_not_null(cap);
	{
		char why[256];

		cr_assert(json_same_shape_f(cap, c->msg[0], 0, why, sizeof(why)), "%s: %s", why,
			  c->msg[0]);
	}
	free(cap);
	cr_assert_geq(jr_parse(c->msg[0], c->len[0], toks, TOKS), 1);
	cr_assert_eq(j_i64(c->msg[0], 0, "status"), 418);
	i = jr_get(c->msg[0], toks, 0, "error");
	cr_assert_eq(j_i64(c->msg[0], i, "code"), -1003);
	i = jr_get(c->msg[0], toks, i, "data");
	/* the same end, to the ms (each answer rounds its own clock reading) */
	cr_assert_leq(llabs(j_i64(c->msg[0], i, "retryAfter") - (int64_t)until), 1, "%s",
		      c->msg[0]);
	simtest_ws_free(&t, c);
	/* Upbit is not banned */
	r = simtest_http(&t, "upbit", "GET", "/v1/market/all", NULL, NULL);
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	/* counted, shown, written to the ledger */
	{
		int o;
		char *b = status_of(&t, "binance", &o);

		cr_assert_eq(j_i64(b, o, "sent_418"), 4, "%s", b);
		cr_assert_eq(j_i64(b, o, "sent_429"), 0);
		cr_assert(!j_true(b, o, "ban_armed"));
		cr_assert_gt(j_i64(b, o, "ban_left_ms"), 0);
		cr_assert_leq(j_i64(b, o, "ban_left_ms"), 5000);
		free(b);
	}
	cr_assert_eq(status_i64(&t, "upbit", "sent_418"), 0);
	led = ledger_text(&t);
	cr_assert(strstr(led, "\"ev\":\"fault\"") && strstr(led, "\"venue\":\"binance\","
							    "\"kind\":\"ban\",\"at_ns\":0"),
		  "%s", led);
	cr_assert(strstr(led, "\"duration_ns\":5000000000"), "%s", led);
	free(led);
	stop(&t);
}

static bool watch_status_changes(void *arg)
{
	struct watch *w = arg;
	struct simtest_resp *r = simtest_http_on(w->t, w->h, "GET", w->target, NULL, NULL);

	w->status = r->status;
	simtest_resp_free(r);
	if (w->status == 418)
		net_loop_run(w->t->l, 5 * MS);
	return w->status != 418;
}

Test(exsim_limits, binance_short_ban_ends_and_requests_go_through_again)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct watch w;

	simtest_start(&t, NULL);
	h = client(&t, "binance");
	r = control_fault(&t, "kind=ban&venue=binance&duration=200ms");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/api/v3/time", NULL, NULL);
	expect_binance_ban(r);
	cr_assert_eq(hdr_i64(r, "retry-after"), 1, "rounded up to a whole second");
	simtest_resp_free(r);
	w = (struct watch){ &t, h, "/api/v3/time", 418 };
	cr_assert(simtest_run_until(&t, watch_status_changes, &w), "the ban ends");
	cr_assert_eq(w.status, 200);
	cr_assert_eq(status_i64(&t, "binance", "ban_left_ms"), 0);
	/* a zero duration: one request only */
	r = control_fault(&t, "kind=ban&venue=binance&duration=0ms");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/api/v3/time", NULL, NULL);
	expect_binance_ban(r);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/api/v3/time", NULL, NULL);
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	stop(&t);
}

Test(exsim_limits, upbit_ban_scripted_every_group_then_it_ends)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	struct watch w;
	int64_t ra;

	simtest_start(&t, "[fault.ban]\nkind = ban\nvenue = upbit\nduration = 300ms\n");
	/* the scripted fault applies at the first timer turn */
	while (status_applied(&t, "upbit", SIM_FAULT_BAN) == 0)
		cr_assert(simtest_steps(&t, 1));
	h = client(&t, "upbit");
	r = upbit_bid(&t, h);
	cr_assert_eq(r->status, 418, "%u: %s", r->status, r->body);
	cr_assert(strstr(r->body, "\"name\":\"too_many_requests\""), "%s", r->body);
	ra = hdr_i64(r, "retry-after");
	cr_assert_eq(ra, 1, "300 ms, rounded up");
	cr_assert_not_null(hdr_str(r, "remaining-req"));
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/v1/market/all", NULL, NULL);
	cr_assert_eq(r->status, 418, "public endpoints too");
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/v1/no/such/path", NULL, NULL);
	cr_assert_eq(r->status, 418, "unknown paths too");
	simtest_resp_free(r);
	cr_assert_eq(status_i64(&t, "upbit", "sent_418"), 3);
	cr_assert_eq(status_i64(&t, "binance", "sent_418"), 0);
	w = (struct watch){ &t, h, "/v1/market/all", 418 };
	cr_assert(simtest_run_until(&t, watch_status_changes, &w), "the ban ends");
	cr_assert_eq(w.status, 200);
	r = upbit_bid(&t, h);
	cr_assert_eq(r->status, 201, "%s", r->body);
	simtest_resp_free(r);
	stop(&t);
}

Test(exsim_limits, upbit_429s_are_counted_and_rate_limits_false_lifts_them)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	unsigned i;

	/* with the limits: the 9th order in a second is 429, counted */
	simtest_start(&t, NULL);
	h = client(&t, "upbit");
	for (i = 0; i < 20; i++) {
		r = upbit_bid(&t, h);
		if (r->status == 429)
			break;
		cr_assert_eq(r->status, 201, "%s", r->body);
		simtest_resp_free(r);
	}
	cr_assert_lt(i, 20, "a 429 came");
	simtest_resp_free(r);
	cr_assert_eq(status_i64(&t, "upbit", "sent_429"), 1);
	stop(&t);

	simtest_start(&t, "[venue.upbit]\nrate_limits = false\n");
	{
		int o;
		char *b = status_of(&t, "upbit", &o);

		cr_assert(!j_true(b, o, "rate_limits"));
		free(b);
		b = status_of(&t, "binance", &o);
		cr_assert(j_true(b, o, "rate_limits"));
		free(b);
	}
	h = client(&t, "upbit");
	for (i = 0; i < 40; i++) {
		r = upbit_bid(&t, h);
		cr_assert_eq(r->status, 201, "order %u: %s", i, r->body);
		cr_assert_str_eq(hdr_str(r, "remaining-req"), "group=order; min=480; sec=8",
				 "the budget stays whole");
		simtest_resp_free(r);
	}
	/* WebSocket upgrades are not limited either (5 a second with the limits) */
	for (i = 0; i < 8; i++) {
		struct simtest_ws *c = simtest_ws_open(&t, "upbit", false, "/websocket/v1", NULL);

		simtest_ws_free(&t, c);
	}
	cr_assert_eq(status_i64(&t, "upbit", "sent_429"), 0);
	stop(&t);
}

Test(exsim_limits, binance_rate_limits_false_no_weight_no_order_count)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	sim_fx px;
	unsigned i;

	simtest_start(&t, "[venue.binance]\nrate_limits = false\n");
	h = client(&t, "binance");
	/* 30 x 250 weight = 7,500 > 6,000 a minute */
	for (i = 0; i < 30; i++) {
		r = simtest_http_on(&t, h, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=5000", NULL,
				    NULL);
		cr_assert_eq(r->status, 200, "request %u: %.200s", i, r->body);
		cr_assert_eq(hdr_i64(r, "x-mbx-used-weight-1m"), 0, "nothing counted");
		simtest_resp_free(r);
	}
	/* 150 unfilled orders > 100 per 10 s */
	px = binance_low_px(&t, h);
	for (i = 0; i < 150; i++) {
		r = binance_rest_bid(&t, h, px);
		cr_assert_eq(r->status, 200, "order %u: %s", i, r->body);
		cr_assert_eq(hdr_i64(r, "x-mbx-order-count-10s"), 0);
		simtest_resp_free(r);
	}
	cr_assert_eq(status_i64(&t, "binance", "sent_429"), 0);
	cr_assert_eq(status_i64(&t, "binance", "sent_418"), 0);
	/* faults still apply */
	r = control_fault(&t, "kind=burst_429&venue=binance&duration=10s");
	cr_assert_eq(r->status, 200);
	simtest_resp_free(r);
	r = simtest_http_on(&t, h, "GET", "/api/v3/time", NULL, NULL);
	cr_assert_eq(r->status, 429);
	simtest_resp_free(r);
	cr_assert_eq(status_i64(&t, "binance", "sent_429"), 1);
	stop(&t);
}

Test(exsim_limits, binance_limits_on_429s_then_the_ban_are_counted)
{
	struct simtest t;
	struct simtest_http *h;
	struct simtest_resp *r;
	unsigned n429 = 0, i;

	simtest_start(&t, NULL);
	h = client(&t, "binance");
	for (i = 0; i < 100; i++) {
		r = simtest_http_on(&t, h, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=5000", NULL,
				    NULL);
		if (r->status == 418) {
			simtest_resp_free(r);
			break;
		}
		if (r->status == 429)
			n429++;
		else
			cr_assert_eq(r->status, 200);
		simtest_resp_free(r);
	}
	cr_assert_lt(i, 100, "banned in the end");
	cr_assert_eq(status_i64(&t, "binance", "sent_429"), n429);
	cr_assert_geq(n429, 3);
	cr_assert_eq(status_i64(&t, "binance", "sent_418"), 1);
	stop(&t);
}
