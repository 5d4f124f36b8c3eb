/* SPDX-License-Identifier: MIT */
/*
 * exsim's control endpoints for end-to-end book checks (sim/server.c):
 * POST /pause, POST /resume and GET /book, against an in-process exsim
 * (simtest.h).
 *
 *   - paused, the books stand still while the loop runs on, and move again
 *     after a resume; both are idempotent and /status says which it is;
 *   - what was held back goes out at the pause: a Binance diff client that
 *     read everything holds ids up to exactly GET /book's update_id, and
 *     its book is GET /book's, level for level; an Upbit orderbook client's
 *     last frame is GET /book's levels and ts;
 *   - an order that takes liquidity while paused is published at once;
 *   - bad requests: 404 for an unknown venue or symbol, 400 for a bad depth
 *     or parameter, 409 while a replay is the market data, which a pause
 *     also holds.
 *
 * "Read everything" is exact, not timed: the loop runs until the client has
 * received as many messages as exsim sent on its connection. "The loop
 * runs on" is counted in firings of exsim's step timer.
 */
#include <inttypes.h>
#include "kimp/sign.h"
#include "simtest.h"

#define TOKS 16384

static struct simtest T;
static uint64_t T_start_ns;     /* before exsim started */

static void start(void)
{
	T_start_ns = net_now_ns();
	simtest_start(&T, NULL);
}

static void stop(void)
{
	simtest_stop(&T);
}

TestSuite(sim_control, .init = start, .fini = stop);

/* ---- running the loop ------------------------------------------------------------- */

struct ticks_arg {
	struct simtest *t;
	uint64_t until;
};

static bool ticks_done(void *arg)
{
	struct ticks_arg *a = arg;

	return sim_server_clock_ticks(a->t->s) >= a->until;
}

/* Run the loop until exsim's step timer has fired n more times. */
static void run_ticks(struct simtest *t, uint64_t n)
{
	struct ticks_arg a = { t, sim_server_clock_ticks(t->s) + n };

	cr_assert(simtest_run_until(t, ticks_done, &a), "the step timer fires");
}

struct msteps_arg {
	struct sim_market *m;
	uint64_t until;
};

static bool msteps_done(void *arg)
{
	struct msteps_arg *a = arg;

	return a->m->steps >= a->until;
}

/* Run until the market model has taken n more steps (simtest_steps counts skipped ones too). */
static void run_msteps(struct simtest *t, uint64_t n)
{
	struct msteps_arg a = { sim_server_market(t->s), sim_server_market(t->s)->steps + n };

	cr_assert(simtest_run_until(t, msteps_done, &a), "the market steps");
}

/* Messages exsim sent on the venue's WebSocket connections. */
static uint64_t sent_on(struct simtest *t, const char *venue)
{
	struct sim_venue *v = sim_server_venue(t->s, venue);
	struct sim_ws *c = NULL;
	uint64_t n = 0;

	while ((c = sim_venue_next_ws(v, c)))
		n += c->sent;
	return n;
}

struct drain_arg {
	struct simtest *t;
	const char *venue;
	struct simtest_ws *c;
};

static bool drained(void *arg)
{
	struct drain_arg *a = arg;

	return a->c->closed || sent_on(a->t, a->venue) == a->c->nmsg;
}

/* Run until client c (the venue's only connection) has read all exsim sent it. */
static void drain(struct simtest *t, const char *venue, struct simtest_ws *c)
{
	struct drain_arg a = { t, venue, c };

	cr_assert(simtest_run_until(t, drained, &a), "read %u of %" PRIu64, c->nmsg,
		  sent_on(t, venue));
	cr_assert_not(c->closed, "the connection stays open");
	cr_assert_lt(c->nmsg, SIMTEST_MAX_MSGS, "every message kept");
}

struct inst_arg {
	struct sim_inst *in;
	uint64_t id;
	uint64_t ts;
};

static struct sim_inst *inst(struct simtest *t, const char *venue, const char *sym)
{
	struct sim_inst *in = sim_venue_inst_sym(sim_server_venue(t->s, venue), sym, strlen(sym));

	cr_assert_not_null(in, "%s %s", venue, sym);
	return in;
}

/* Binance: the book changed since its last diff point. */
static bool binance_held_back(void *arg)
{
	struct sim_inst *in = arg;

	return in->update_id != in->view.update_id;
}

/* Upbit: the live book's top 30 is not what its last frame showed. */
static bool upbit_held_back(void *arg)
{
	struct sim_inst *in = arg;

	for (int side = 0; side < 2; side++) {
		const struct sim_book_side *s = &in->book.side[side];
		uint32_t n = s->n < 30 ? s->n : 30;

		if (n != in->view.n[side] ||
		    memcmp(s->lv, in->view.lv[side], n * sizeof(*s->lv)))
			return true;
	}
	return false;
}

/* The view moved from the given id and time. */
static bool view_moved(void *arg)
{
	struct inst_arg *a = arg;

	return a->in->view.update_id != a->id || a->in->view.ts_ms != a->ts;
}

/* ---- GET /book -------------------------------------------------------------------- */

struct vbook {
	uint64_t id, ts;
	uint32_t n[2];
	struct sim_level lv[2][SIM_BOOK_MAX];
};

static struct jr_tok toks[TOKS];

static void levels_of(const char *s, int arr, struct sim_level *out, uint32_t *n)
{
	cr_assert_geq(arr, 0);
	cr_assert_eq(toks[arr].type, JR_ARR);
	*n = toks[arr].size;
	cr_assert_leq(*n, SIM_BOOK_MAX);
	for (uint32_t i = 0; i < *n; i++) {
		int l = jr_at(toks, arr, i);

		cr_assert_eq(toks[l].size, 2, "[px, qty]");
		cr_assert_eq(toks[jr_at(toks, l, 0)].type, JR_STR, "prices are strings");
		cr_assert_eq(toks[jr_at(toks, l, 1)].type, JR_STR, "quantities are strings");
		cr_assert_eq(jr_fx(s, &toks[jr_at(toks, l, 0)], &out[i].px), 0);
		cr_assert_eq(jr_fx(s, &toks[jr_at(toks, l, 1)], &out[i].qty), 0);
		cr_assert_gt(out[i].qty, 0);
	}
}

/* A 200 GET /book reply's fields, checked for shape, venue and symbol. */
static void parse_book(const char *body, const char *venue, const char *sym, struct vbook *b)
{
	int n = jr_parse(body, strlen(body), toks, TOKS);
	char str[64];
	int64_t v;

	cr_assert_geq(n, 1, "JSON: %.300s", body);
	cr_assert_eq(toks[0].type, JR_OBJ);
	cr_assert_eq(toks[0].size, 6, "venue, symbol, update_id, ts_ms, bids, asks: %.300s", body);
	cr_assert_geq(jr_str(body, &toks[jr_get(body, toks, 0, "venue")], str, sizeof(str)), 0);
	cr_assert_str_eq(str, venue);
	cr_assert_geq(jr_str(body, &toks[jr_get(body, toks, 0, "symbol")], str, sizeof(str)), 0);
	cr_assert_str_eq(str, sym);
	cr_assert_eq(jr_i64(body, &toks[jr_get(body, toks, 0, "update_id")], &v), 0);
	b->id = (uint64_t)v;
	cr_assert_eq(jr_i64(body, &toks[jr_get(body, toks, 0, "ts_ms")], &v), 0);
	b->ts = (uint64_t)v;
	levels_of(body, jr_get(body, toks, 0, "bids"), b->lv[SIM_BID], &b->n[SIM_BID]);
	levels_of(body, jr_get(body, toks, 0, "asks"), b->lv[SIM_ASK], &b->n[SIM_ASK]);
	for (uint32_t i = 1; i < b->n[SIM_BID]; i++)
		cr_assert_gt(b->lv[SIM_BID][i - 1].px, b->lv[SIM_BID][i].px, "bids best first");
	for (uint32_t i = 1; i < b->n[SIM_ASK]; i++)
		cr_assert_lt(b->lv[SIM_ASK][i - 1].px, b->lv[SIM_ASK][i].px, "asks best first");
}

/* GET target (200 expected): the body, malloc'd; the parsed book into b. */
static char *get_book(struct simtest *t, const char *venue, const char *sym, const char *extra,
		      struct vbook *b)
{
	char target[256];
	struct simtest_resp *r;
	char *body, ct[64];

	snprintf(target, sizeof(target), "/book?venue=%s&symbol=%s%s", venue, sym, extra);
	r = simtest_control(t, "GET", target);
	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, 200, "%s: %u %s", target, r->status, r->body);
	cr_assert_not_null(simtest_resp_header(r, "content-type", ct, sizeof(ct)));
	cr_assert_str_eq(ct, "application/json");
	body = strdup(r->body);
	cr_assert_not_null(body);
	simtest_resp_free(r);
	parse_book(body, venue, sym, b);
	return body;
}

/* A control request expected to answer status, with 'needle' in its text. */
static void ctl_expect(struct simtest *t, const char *method, const char *target,
		       unsigned status, const char *needle)
{
	struct simtest_resp *r = simtest_control(t, method, target);

	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, status, "%s %s: %u %s", method, target, r->status, r->body);
	cr_assert_not_null(strstr(r->body, needle), "%s %s: '%s' in %s", method, target, needle,
			   r->body);
	simtest_resp_free(r);
}

static bool status_paused(struct simtest *t)
{
	struct simtest_resp *r = simtest_control(t, "GET", "/status");
	bool paused = strstr(r->body, "\"paused\":true") != NULL;

	cr_assert_eq(r->status, 200);
	cr_assert(paused || strstr(r->body, "\"paused\":false"), "%s", r->body);
	simtest_resp_free(r);
	return paused;
}

/* The view equals the live book's top 'levels' (what is published is all there is). */
static void view_is_book(const struct sim_inst *in, uint32_t levels, const struct vbook *b)
{
	for (int side = 0; side < 2; side++) {
		const struct sim_book_side *s = &in->book.side[side];
		uint32_t n = s->n < levels ? s->n : levels;

		cr_assert_eq(b->n[side], n, "side %d: %u levels, the book has %u", side,
			     b->n[side], n);
		for (uint32_t i = 0; i < n; i++) {
			cr_assert_eq(b->lv[side][i].px, s->lv[i].px, "side %d level %u", side, i);
			cr_assert_eq(b->lv[side][i].qty, s->lv[i].qty, "side %d level %u", side, i);
		}
	}
}

/* ---- a local book from Binance diffs ------------------------------------------------ */

struct lbook {
	uint32_t n[2];
	struct sim_level lv[2][4 * SIM_BOOK_MAX];
};

static struct lbook local;

static void lbook_set(struct lbook *b, unsigned side, sim_fx px, sim_fx qty)
{
	uint32_t i;

	for (i = 0; i < b->n[side] && b->lv[side][i].px != px; i++)
		;
	if (i < b->n[side]) {
		if (qty)
			b->lv[side][i].qty = qty;
		else
			b->lv[side][i] = b->lv[side][--b->n[side]];
		return;
	}
	if (!qty)
		return;
	cr_assert_lt(b->n[side], 4 * SIM_BOOK_MAX);
	b->lv[side][b->n[side]].px = px;
	b->lv[side][b->n[side]].qty = qty;
	b->n[side]++;
}

static int lv_desc(const void *a, const void *b)
{
	sim_fx x = ((const struct sim_level *)a)->px, y = ((const struct sim_level *)b)->px;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int lv_asc(const void *a, const void *b)
{
	return -lv_desc(a, b);
}

/* [["px","qty"],...] array token arr of s into side. */
static void lbook_apply(struct lbook *b, const char *s, int arr, unsigned side)
{
	cr_assert_geq(arr, 0);
	for (uint32_t i = 0; i < toks[arr].size; i++) {
		int l = jr_at(toks, arr, i);
		sim_fx px, qty;

		cr_assert_eq(jr_fx(s, &toks[jr_at(toks, l, 0)], &px), 0);
		cr_assert_eq(jr_fx(s, &toks[jr_at(toks, l, 1)], &qty), 0);
		lbook_set(b, side, px, qty);
	}
}

static void lbook_same(struct lbook *b, const struct vbook *v)
{
	qsort(b->lv[SIM_BID], b->n[SIM_BID], sizeof(struct sim_level), lv_desc);
	qsort(b->lv[SIM_ASK], b->n[SIM_ASK], sizeof(struct sim_level), lv_asc);
	for (int side = 0; side < 2; side++) {
		cr_assert_eq(b->n[side], v->n[side], "side %d: local %u levels, exsim %u", side,
			     b->n[side], v->n[side]);
		for (uint32_t i = 0; i < b->n[side]; i++) {
			cr_assert_eq(b->lv[side][i].px, v->lv[side][i].px, "side %d level %u", side,
				     i);
			cr_assert_eq(b->lv[side][i].qty, v->lv[side][i].qty, "side %d level %u",
				     side, i);
		}
	}
}

/* A REST depth snapshot into b: its lastUpdateId. */
static uint64_t rest_snapshot(struct simtest *t, struct lbook *b)
{
	struct simtest_resp *r = simtest_http(t, "binance", "GET",
					      "/api/v3/depth?symbol=BTCUSDT&limit=5000", NULL,
					      NULL);
	int64_t id;

	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_geq(jr_parse(r->body, r->body_len, toks, TOKS), 1);
	cr_assert_eq(jr_i64(r->body, &toks[jr_get(r->body, toks, 0, "lastUpdateId")], &id), 0);
	memset(b, 0, sizeof(*b));
	lbook_apply(b, r->body, jr_get(r->body, toks, 0, "bids"), SIM_BID);
	lbook_apply(b, r->body, jr_get(r->body, toks, 0, "asks"), SIM_ASK);
	simtest_resp_free(r);
	return (uint64_t)id;
}

/* A signed Binance REST order (the scenario's default account), its reply. */
static struct simtest_resp *binance_order(struct simtest *t, const char *params)
{
	const struct sim_account_cfg *a = NULL;
	char q[512], hdr[256], target[700], sig[65];

	for (uint32_t i = 0; i < t->sc.naccounts && !a; i++)
		if (!strcmp(t->sc.accounts[i].venue, "binance"))
			a = &t->sc.accounts[i];
	cr_assert_not_null(a);
	snprintf(q, sizeof(q), "%s&timestamp=%" PRIu64, params,
		 (uint64_t)(sim_now_real_ns() / 1000000ull));
	cr_assert_eq(venue_hmac_sha256(a->secret, strlen(a->secret), q, strlen(q), VENUE_HEX, sig,
				       sizeof(sig)), 64);
	snprintf(target, sizeof(target), "/api/v3/order?%s&signature=%s", q, sig);
	snprintf(hdr, sizeof(hdr), "X-MBX-APIKEY: %s\r\n", a->key);
	return simtest_http(t, "binance", "POST", target, hdr, NULL);
}

/* ---- pause and resume ------------------------------------------------------------- */

Test(sim_control, pause_stops_the_books_and_resume_restarts_them)
{
	struct sim_market *m = sim_server_market(T.s);
	struct sim_inst *bi = inst(&T, "binance", "BTCUSDT"), *ui = inst(&T, "upbit", "KRW-BTC");
	static struct vbook b1, b2, u1, u2;
	char *bb1, *bb2, *ub1, *ub2;
	uint64_t steps, msteps, trades;
	struct inst_arg moved;

	cr_assert(simtest_steps(&T, 20));
	cr_assert_not(status_paused(&T), "running at start");
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	cr_assert(status_paused(&T));
	cr_assert(sim_server_paused(T.s));
	steps = sim_server_steps(T.s);
	msteps = m->steps;
	trades = bi->next_trade_id + ui->next_trade_id;
	bb1 = get_book(&T, "binance", "BTCUSDT", "", &b1);
	ub1 = get_book(&T, "upbit", "KRW-BTC", "", &u1);
	run_ticks(&T, 10);
	bb2 = get_book(&T, "binance", "BTCUSDT", "", &b2);
	ub2 = get_book(&T, "upbit", "KRW-BTC", "", &u2);
	cr_assert_eq(sim_server_steps(T.s), steps, "no market step while paused");
	cr_assert_eq(m->steps, msteps);
	cr_assert_eq(bi->next_trade_id + ui->next_trade_id, trades, "no trades");
	cr_assert_str_eq(bb1, bb2, "the Binance book stands still");
	cr_assert_str_eq(ub1, ub2, "the Upbit book stands still");
	cr_assert_eq(b1.id, b2.id);
	cr_assert_gt(b1.id, 0, "Binance has update ids");
	cr_assert_eq(u1.id, 0, "Upbit has none");
	cr_assert_eq(u1.ts, u2.ts);
	/* what the pause published is the whole book: the view is the live book */
	view_is_book(bi, SIM_BOOK_MAX, &b1);
	view_is_book(ui, 30, &u1);
	cr_assert_eq(b1.id, bi->update_id);

	ctl_expect(&T, "POST", "/resume", 200, "running");
	cr_assert_not(status_paused(&T));
	moved = (struct inst_arg){ .in = bi, .id = b1.id, .ts = b1.ts };
	cr_assert(simtest_run_until(&T, view_moved, &moved), "Binance publishes again");
	moved = (struct inst_arg){ .in = ui, .id = u1.id, .ts = u1.ts };
	cr_assert(simtest_run_until(&T, view_moved, &moved), "Upbit publishes again");
	cr_assert_gt(m->steps, msteps, "the market steps again");
	free(bb2);
	bb2 = get_book(&T, "binance", "BTCUSDT", "", &b2);
	cr_assert_gt(b2.id, b1.id, "the Binance book moved on");
	cr_assert_gt(b2.ts, b1.ts);
	free(ub2);
	ub2 = get_book(&T, "upbit", "KRW-BTC", "", &u2);
	cr_assert_gt(u2.ts, u1.ts, "a newer Upbit frame");
	free(bb1);
	free(bb2);
	free(ub1);
	free(ub2);
}

/*
 * The market's clock leaves the pause out: exsim counts a step for every
 * step period since it started, but for those it spent paused. Paused
 * between a and b (at least), the steps can be no more than the periods
 * from our start to now, less b - a; counting the paused ones would pass
 * that by the 30 or more periods the pause lasted.
 */
Test(sim_control, resume_goes_on_from_where_it_stopped)
{
	uint64_t step_ns = T.sc.step_ns ? T.sc.step_ns : 10000000ull, a, b, now;

	cr_assert(simtest_steps(&T, 5));
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	a = net_now_ns();
	run_ticks(&T, 30);      /* paused, the timer fires every step period */
	b = net_now_ns();
	ctl_expect(&T, "POST", "/resume", 200, "running");
	cr_assert(simtest_steps(&T, 3), "it steps on");
	now = net_now_ns();
	cr_assert_geq(b - a, 29 * step_ns);
	cr_assert_leq(sim_server_steps(T.s), (now - T_start_ns - (b - a)) / step_ns + 1,
		      "paused periods are not caught up (%" PRIu64 " steps in %" PRIu64
		      " ms, %" PRIu64 " ms of it paused)",
		      sim_server_steps(T.s), (now - T_start_ns) / 1000000, (b - a) / 1000000);
}

Test(sim_control, pause_and_resume_are_idempotent)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws/btcusdt@depth@100ms",
					       NULL);
	static struct vbook b1, b2;
	uint32_t got;
	char *s1, *s2;

	ctl_expect(&T, "POST", "/resume", 200, "running");      /* not paused: nothing to do */
	cr_assert_not(status_paused(&T));
	cr_assert(simtest_ws_wait(&T, c, 2), "diffs flow");
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	drain(&T, "binance", c);
	got = c->nmsg;
	s1 = get_book(&T, "binance", "BTCUSDT", "", &b1);
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	cr_assert(status_paused(&T), "still paused");
	run_ticks(&T, 5);
	drain(&T, "binance", c);
	cr_assert_eq(c->nmsg, got, "a second pause publishes nothing more");
	s2 = get_book(&T, "binance", "BTCUSDT", "", &b2);
	cr_assert_str_eq(s1, s2);
	ctl_expect(&T, "POST", "/resume", 200, "running");
	ctl_expect(&T, "POST", "/resume", 200, "running");
	cr_assert_not(status_paused(&T));
	cr_assert(simtest_ws_wait(&T, c, got + 2), "diffs flow again");
	free(s1);
	free(s2);
	simtest_ws_free(&T, c);
}

/* ---- what the clients hold after a pause -------------------------------------------- */

Test(sim_control, binance_diff_clients_hold_exactly_the_paused_book)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false,
					       "/stream?streams=btcusdt@depth@100ms/btcusdt@depth",
					       NULL);
	struct sim_inst *in = inst(&T, "binance", "BTCUSDT");
	static struct vbook b;
	uint64_t snap, last_u[2] = { 0, 0 }, last_E = 0, before;
	uint32_t applied = 0;
	char *body;

	cr_assert(simtest_ws_wait(&T, c, 1), "diffs flow");
	snap = rest_snapshot(&T, &local);
	run_msteps(&T, 30);
	/* a diff is being held back (the 100 ms batch): the pause must send it */
	cr_assert(simtest_run_until(&T, binance_held_back, in));
	before = in->view.update_id;
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	drain(&T, "binance", c);
	for (uint32_t i = 0; i < c->kept; i++) {
		const char *s = c->msg[i];
		char stream[64];
		int data, k;
		uint64_t U, u;
		int64_t x;

		cr_assert_geq(jr_parse(s, c->len[i], toks, TOKS), 1, "%s", s);
		cr_assert_geq(jr_str(s, &toks[jr_get(s, toks, 0, "stream")], stream,
				     sizeof(stream)), 0);
		k = !strcmp(stream, "btcusdt@depth@100ms") ? 1 : 0;
		cr_assert(k || !strcmp(stream, "btcusdt@depth"), "%s", stream);
		data = jr_get(s, toks, 0, "data");
		cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, data, "U")], &x), 0);
		U = (uint64_t)x;
		cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, data, "u")], &x), 0);
		u = (uint64_t)x;
		if (last_u[k])
			cr_assert_eq(U, last_u[k] + 1, "%s: U follows the last u", stream);
		last_u[k] = u;
		if (k) {
			cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, data, "E")], &x), 0);
			last_E = (uint64_t)x;
			if (u > snap) {
				cr_assert(applied || U <= snap + 1, "the first diff straddles the "
					  "snapshot");
				lbook_apply(&local, s, jr_get(s, toks, data, "b"), SIM_BID);
				lbook_apply(&local, s, jr_get(s, toks, data, "a"), SIM_ASK);
				applied++;
			}
		}
	}
	cr_assert_gt(applied, 1, "diffs after the snapshot");
	body = get_book(&T, "binance", "BTCUSDT", "", &b);
	cr_assert_gt(b.id, before, "the pause published the held-back diff");
	cr_assert_eq(b.id, in->update_id, "everything changed is published");
	cr_assert_eq(last_u[1], b.id, "100 ms stream: ids up to exactly update_id");
	cr_assert_eq(last_u[0], b.id, "1000 ms stream: the same");
	cr_assert_eq(last_E, b.ts, "ts_ms is the last diff's E");
	lbook_same(&local, &b);
	view_is_book(in, SIM_BOOK_MAX, &b);
	cr_assert_gt(b.n[SIM_BID], 30, "every level by default, not a frame's few");
	/* and nothing more comes while paused */
	run_ticks(&T, 5);
	drain(&T, "binance", c);
	cr_assert_eq(c->kept, c->nmsg);
	cr_assert_eq(last_u[1], in->update_id);
	free(body);
	simtest_ws_free(&T, c);
}

/* Upbit DEFAULT frames: numbers, prices as Java doubles, thin sides padded with 0. */
Test(sim_control, upbit_client_last_frame_is_the_paused_book)
{
	struct simtest_ws *c = simtest_ws_open(&T, "upbit", false, "/websocket/v1", NULL);
	struct sim_inst *in = inst(&T, "upbit", "KRW-BTC");
	static struct vbook b;
	const char *s;
	char st[32];
	int units;
	int64_t ts;
	uint32_t n[2] = { 0, 0 };
	char *body;

	cr_assert_eq(simtest_ws_text(c, "[{\"ticket\":\"ctl\"},{\"type\":\"orderbook\","
				     "\"codes\":[\"KRW-BTC\"]}]"), 0);
	cr_assert(simtest_ws_wait(&T, c, 1), "the snapshot");
	run_msteps(&T, 25);
	cr_assert_gt(c->nmsg, 1, "grid frames");
	/* the book moved since its last frame: the pause must publish it */
	cr_assert(simtest_run_until(&T, upbit_held_back, in));
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	drain(&T, "upbit", c);
	s = c->msg[c->kept - 1];
	cr_assert_eq(c->op[c->kept - 1], WS_OP_BINARY);
	cr_assert_geq(jr_parse(s, c->len[c->kept - 1], toks, TOKS), 1, "%s", s);
	cr_assert_geq(jr_str(s, &toks[jr_get(s, toks, 0, "stream_type")], st, sizeof(st)), 0);
	cr_assert_str_eq(st, "REALTIME", "the pause sent a frame");
	cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, 0, "timestamp")], &ts), 0);
	body = get_book(&T, "upbit", "KRW-BTC", "", &b);
	cr_assert_eq(b.ts, (uint64_t)ts, "ts_ms is the last frame's timestamp");
	cr_assert_eq(b.id, 0);
	/* GET /book's parse used toks: parse the frame again */
	cr_assert_geq(jr_parse(s, c->len[c->kept - 1], toks, TOKS), 1);
	units = jr_get(s, toks, 0, "orderbook_units");
	for (uint32_t i = 0; i < toks[units].size; i++) {
		static const char *const k[2][2] = { { "bid_price", "bid_size" },
						     { "ask_price", "ask_size" } };
		int u = jr_at(toks, units, i);

		for (int side = 0; side < 2; side++) {
			sim_fx px, qty;

			cr_assert_eq(jr_fx(s, &toks[jr_get(s, toks, u, k[side][0])], &px), 0);
			cr_assert_eq(jr_fx(s, &toks[jr_get(s, toks, u, k[side][1])], &qty), 0);
			if (!px)
				continue;       /* a thinner side's padding */
			cr_assert_lt(n[side], b.n[side], "side %d: more levels than GET /book", side);
			cr_assert_eq(px, b.lv[side][n[side]].px, "side %d unit %u", side, i);
			cr_assert_eq(qty, b.lv[side][n[side]].qty, "side %d unit %u", side, i);
			n[side]++;
		}
	}
	cr_assert_eq(n[SIM_BID], b.n[SIM_BID], "every bid level");
	cr_assert_eq(n[SIM_ASK], b.n[SIM_ASK], "every ask level");
	cr_assert_eq(b.n[SIM_BID], 30, "the published 30 by default");
	view_is_book(in, 30, &b);
	free(body);
	simtest_ws_free(&T, c);
}

/* Orders go on while paused; what one takes from a book is published at once. */
Test(sim_control, an_order_while_paused_is_published_at_once)
{
	struct simtest_ws *c = simtest_ws_open(&T, "binance", false, "/ws/btcusdt@depth@100ms",
					       NULL);
	struct sim_inst *in = inst(&T, "binance", "BTCUSDT");
	static struct vbook b1, b2;
	uint64_t msteps = sim_server_market(T.s)->steps, U, u;
	struct simtest_resp *r;
	const char *s;
	char *x1, *x2;
	int64_t x;

	cr_assert(simtest_ws_wait(&T, c, 1), "diffs flow");
	ctl_expect(&T, "POST", "/pause", 200, "paused");
	drain(&T, "binance", c);
	x1 = get_book(&T, "binance", "BTCUSDT", "", &b1);
	msteps = sim_server_market(T.s)->steps;
	r = binance_order(&T, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01");
	cr_assert_eq(r->status, 200, "%s", r->body);
	cr_assert_not_null(strstr(r->body, "\"status\":\"FILLED\""), "%s", r->body);
	simtest_resp_free(r);
	drain(&T, "binance", c);
	x2 = get_book(&T, "binance", "BTCUSDT", "", &b2);
	cr_assert_eq(sim_server_market(T.s)->steps, msteps, "still paused");
	cr_assert_gt(b2.id, b1.id, "the order took from the book");
	cr_assert_eq(b2.id, in->update_id);
	cr_assert(b2.lv[SIM_ASK][0].px > b1.lv[SIM_ASK][0].px ||
		  b2.lv[SIM_ASK][0].qty < b1.lv[SIM_ASK][0].qty, "the best ask was taken");
	s = c->msg[c->kept - 1];
	cr_assert_geq(jr_parse(s, c->len[c->kept - 1], toks, TOKS), 1);
	cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, 0, "U")], &x), 0);
	U = (uint64_t)x;
	cr_assert_eq(jr_i64(s, &toks[jr_get(s, toks, 0, "u")], &x), 0);
	u = (uint64_t)x;
	cr_assert_eq(U, b1.id + 1, "the order's diff follows the pause's");
	cr_assert_eq(u, b2.id);
	view_is_book(in, SIM_BOOK_MAX, &b2);
	free(x1);
	free(x2);
	simtest_ws_free(&T, c);
}

/* ---- GET /book: depth and errors -------------------------------------------------- */

Test(sim_control, book_depth_limits_the_levels)
{
	static struct vbook b, all;
	char *s1, *s2;

	ctl_expect(&T, "POST", "/pause", 200, "paused");
	s1 = get_book(&T, "binance", "BTCUSDT", "&depth=5", &b);
	s2 = get_book(&T, "binance", "BTCUSDT", "", &all);
	cr_assert_eq(b.n[SIM_BID], 5);
	cr_assert_eq(b.n[SIM_ASK], 5);
	cr_assert_eq(b.id, all.id);
	cr_assert_eq(b.ts, all.ts);
	cr_assert_eq(memcmp(b.lv[SIM_BID], all.lv[SIM_BID], 5 * sizeof(struct sim_level)), 0);
	cr_assert_eq(memcmp(b.lv[SIM_ASK], all.lv[SIM_ASK], 5 * sizeof(struct sim_level)), 0);
	free(s1);
	free(s2);
	/* more than there is: all of it; the parameters in any order */
	s1 = get_book(&T, "binance", "BTCUSDT", "&depth=5000", &b);
	cr_assert_eq(b.n[SIM_BID], all.n[SIM_BID]);
	free(s1);
	s1 = get_book(&T, "upbit", "KRW-ETH", "&depth=1", &b);
	cr_assert_eq(b.n[SIM_BID], 1);
	cr_assert_eq(b.n[SIM_ASK], 1);
	free(s1);
	ctl_expect(&T, "GET", "/book?depth=2&symbol=KRW%2DUSDT&venue=upbit", 200, "\"KRW-USDT\"");
}

Test(sim_control, book_errors)
{
	/* 404: venues and symbols exsim does not run, in the venue's own spelling */
	ctl_expect(&T, "GET", "/book?venue=kraken&symbol=BTCUSDT", 404, "no venue 'kraken'");
	ctl_expect(&T, "GET", "/book?venue=kraken&symbol=BTCUSDT", 404, "binance");
	ctl_expect(&T, "GET", "/book?venue=Binance&symbol=BTCUSDT", 404, "no venue");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=KRW-BTC", 404, "no symbol 'KRW-BTC'");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=btcusdt", 404, "no symbol");
	ctl_expect(&T, "GET", "/book?venue=upbit&symbol=BTCUSDT", 404, "KRW-");
	ctl_expect(&T, "GET", "/book?venue=upbit&symbol=KRW-DOGE", 404, "no symbol");
	/* 400: what is missing or malformed */
	ctl_expect(&T, "GET", "/book?venue=binance", 400, "needs venue and symbol");
	ctl_expect(&T, "GET", "/book?symbol=BTCUSDT", 400, "needs venue and symbol");
	ctl_expect(&T, "GET", "/book", 400, "needs venue and symbol");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=", 400, "needs venue and symbol");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=0", 400, "depth '0'");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=-1", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=abc", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=5x", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=1.5", 400, "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&depth=99999999999", 400,
		   "depth");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTCUSDT&limit=5", 400,
		   "unknown parameter 'limit'");
	ctl_expect(&T, "GET", "/book?venue=binance&venue=upbit&symbol=BTCUSDT", 400,
		   "'venue' given twice");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTC%ZZUSDT", 400, "%-escape");
	ctl_expect(&T, "GET", "/book?venue=binance&symbol=BTC%2", 400, "%-escape");
	ctl_expect(&T, "GET",
		   "/book?venue=binance&symbol=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 400, "too long");
	/* the router: other methods and paths name every endpoint */
	ctl_expect(&T, "POST", "/book?venue=binance&symbol=BTCUSDT", 404, "GET /book?venue=");
	ctl_expect(&T, "GET", "/pause", 404, "POST /pause");
	ctl_expect(&T, "GET", "/resume", 404, "POST /resume");
	cr_assert_not(status_paused(&T), "a GET /pause does not pause");
}

/* ---- a replay ----------------------------------------------------------------------- */

Test(sim_control_replay, a_pause_holds_the_replay_and_book_is_refused)
{
	struct simtest t;
	struct simtest_ws *c;
	char dir[] = "/tmp/kimp-ctl-XXXXXX", path[128], scn[256];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.txt", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("# kimp capture v1\n"
	      "1700000000000000000 binance t {\"n\":1}\n"
	      "1700000000001000000 binance t {\"n\":2}\n", f);
	fclose(f);
	snprintf(scn, sizeof(scn), "[exsim]\nreplay = %s\nreplay_speed = 0\n", path);
	simtest_start(&t, scn);
	ctl_expect(&t, "POST", "/pause", 200, "paused");
	c = simtest_ws_open(&t, "binance", false, "/ws/btcusdt@trade", NULL);
	run_ticks(&t, 5);
	cr_assert_eq(c->nmsg, 0, "paused: the replay holds its frames");
	ctl_expect(&t, "GET", "/book?venue=binance&symbol=BTCUSDT", 409, "replaying");
	ctl_expect(&t, "POST", "/resume", 200, "running");
	cr_assert(simtest_ws_wait(&t, c, 2), "resumed: the frames go out");
	cr_assert_str_eq(c->msg[0], "{\"n\":1}");
	cr_assert_str_eq(c->msg[1], "{\"n\":2}");
	simtest_ws_free(&t, c);
	simtest_stop(&t);
	snprintf(scn, sizeof(scn), "rm -rf '%s'", dir);
	cr_expect_eq(system(scn), 0);
}
