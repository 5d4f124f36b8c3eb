/* SPDX-License-Identifier: MIT */
/*
 * Captured opportunities (sim/oppo.c, sim_oppo_fill): books built by hand
 * open one sell_krw opportunity on upbit KRW-BTC / binance BTCUSDT, and
 * fills handed to sim_oppo_fill as the matching engine hands them decide
 * whether it was captured: both legs, the way it pays, while open or
 * within the grace after the close (both sides of that boundary); one leg,
 * the wrong way, or before it opened is not. The ledger's close event says
 * which, and is written once that is known.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../sim/sim.h"

#define S SIM_SCALE

TestSuite(oppo_capture);

static struct sim_scenario sc;
static struct sim_market m;
static struct sim_exch x;
static struct sim_inst *krw, *usdt, *fx;
static struct sim_ledger *lg;
static struct sim_oppo *o;
static char path[64];
static uint64_t now_ms;

static void clear(struct sim_inst *in)
{
	for (unsigned side = 0; side < 2; side++)
		while (in->book.side[side].n)
			sim_inst_set(in, side, in->book.side[side].lv[0].px, 0);
}

/* Five levels a side, 1 base unit each, one tick apart around mid. */
static void book(struct sim_inst *in, double mid)
{
	sim_fx t = in->tick, c = (sim_fx)llround(mid * S) / t * t;

	clear(in);
	for (int i = 0; i < 5; i++) {
		sim_inst_set(in, SIM_BID, c - (sim_fx)i * t, S);
		sim_inst_set(in, SIM_ASK, c + (sim_fx)(i + 1) * t, S);
	}
}

/* The KRW book at a premium over BTCUSDT's 100000 at KRW-USDT's 1380. */
static void premium(double p)
{
	book(krw, 100000.0 * 1380.0 * (1 + p));
}

static void run(unsigned steps)
{
	for (unsigned i = 0; i < steps; i++) {
		m.t_s += 0.01;
		now_ms += 10;
		sim_oppo_step(o, now_ms);
	}
}

/* upbit KRW-BTC and KRW-USDT, binance BTCUSDT; the mean settled at 2%. */
static void setup(void)
{
	int fd;

	now_ms = 1700000000000ull;
	sim_scenario_defaults(&sc);
	sc.oppo_margin = 0.001;
	sc.oppo_size_usdt = 10000;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	krw = sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW");
	usdt = sim_market_add_inst(&m, 1, 0, "BTCUSDT", "BTC", "USDT");
	fx = sim_market_add_inst(&m, 0, SIM_COIN_FX, "KRW-USDT", "USDT", "KRW");
	cr_assert(krw && usdt && fx);
	krw->tick = 1000 * S;
	usdt->tick = S / 100;
	fx->tick = S;
	sim_inst_set(fx, SIM_BID, 1379 * S, 100000 * S);
	sim_inst_set(fx, SIM_ASK, 1381 * S, 100000 * S);
	memset(&x, 0, sizeof(x));
	x.m = &m;
	x.rules[0].taker_fee = 0.0005;
	x.rules[1].taker_fee = 0.001;
	snprintf(path, sizeof(path), "/tmp/oppocap-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	lg = sim_ledger_open(path);
	cr_assert_not_null(lg);
	book(usdt, 100000.0);
	premium(0.02);
	o = sim_oppo_new(&x, lg);
	cr_assert_not_null(o);
	run(1000);
	cr_assert_eq(sim_oppo_count(o), 0);
}

static void teardown(void)
{
	if (o)
		sim_oppo_free(o);
	o = NULL;
	if (lg)
		sim_ledger_close(lg);
	lg = NULL;
	sim_market_free(&m);
	unlink(path);
}

/* A fill at ts_ms of an order on in, buying (SIM_BID) or selling (SIM_ASK). */
static void fill(const struct sim_inst *in, unsigned side, uint64_t ts_ms)
{
	struct sim_order ord;
	struct sim_fill f;

	memset(&ord, 0, sizeof(ord));
	memset(&f, 0, sizeof(f));
	ord.inst = in->id;
	ord.side = (uint8_t)side;
	f.ts_ms = ts_ms;
	f.qty = S / 100;
	sim_oppo_fill(o, &ord, &f);
}

/* The close events in the ledger so far: how many, and the last one's captured. */
static unsigned closes(bool *captured, int64_t *close_ms)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	unsigned n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct jr_tok t[64];
		int i;

		line[strcspn(line, "\n")] = 0;
		cr_assert_gt(jr_parse(line, strlen(line), t, 64), 0, "not JSON: %s", line);
		i = jr_get(line, t, 0, "what");
		if (i < 0 || !jr_eq(line, &t[i], "close"))
			continue;
		n++;
		i = jr_get(line, t, 0, "captured");
		cr_assert_geq(i, 0, "no captured in %s", line);
		cr_assert(t[i].type == JR_TRUE || t[i].type == JR_FALSE, "%s", line);
		if (captured)
			*captured = t[i].type == JR_TRUE;
		i = jr_get(line, t, 0, "close_ms");
		cr_assert_geq(i, 0);
		if (close_ms)
			*close_ms = strtoll(line + t[i].start, NULL, 10);
	}
	fclose(f);
	return n;
}

/* Open a sell_krw opportunity: the time it opened. */
static uint64_t open_one(void)
{
	uint64_t t;

	premium(0.03);
	run(1);
	t = now_ms;
	cr_assert_eq(sim_oppo_count(o), 1);
	return t;
}

/* Close it: the time it closed. */
static uint64_t close_it(void)
{
	premium(0.02);
	run(1);
	return now_ms;
}

Test(oppo_capture, both_legs_while_open, .init = setup, .fini = teardown)
{
	bool cap = false;
	int64_t cms = 0;
	uint64_t t = open_one(), tc;

	run(5);
	fill(krw, SIM_ASK, now_ms);     /* sell on the KRW venue */
	cr_expect_eq(sim_oppo_captured(o), 0, "one leg is not a capture");
	run(5);
	fill(usdt, SIM_BID, now_ms);    /* buy on the USDT venue */
	cr_expect_eq(sim_oppo_captured(o), 1);
	fill(usdt, SIM_BID, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 1, "counted once");
	cr_expect_eq(closes(NULL, NULL), 0, "still open");
	tc = close_it();
	cr_assert_eq(closes(&cap, &cms), 1, "captured: written at the close");
	cr_expect(cap);
	cr_expect_eq(cms, (int64_t)tc);
	cr_expect_gt(tc, t);
}

Test(oppo_capture, one_leg_is_not_a_capture, .init = setup, .fini = teardown)
{
	bool cap = true;
	uint64_t tc;

	open_one();
	fill(krw, SIM_ASK, now_ms);
	fill(krw, SIM_ASK, now_ms);
	tc = close_it();
	cr_expect_eq(closes(NULL, NULL), 0, "waits out the grace");
	/* the grace: a step at close + grace still waits, the one after settles */
	run((unsigned)(SIM_OPPO_GRACE_MS / 10));
	cr_expect_eq(now_ms, tc + SIM_OPPO_GRACE_MS);
	cr_expect_eq(closes(NULL, NULL), 0);
	run(1);
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
	cr_expect_eq(sim_oppo_captured(o), 0);
}

Test(oppo_capture, the_wrong_way_is_not_a_capture, .init = setup, .fini = teardown)
{
	bool cap = true;

	open_one();
	fill(krw, SIM_BID, now_ms);     /* buy KRW, sell USDT: buy_krw's way */
	fill(usdt, SIM_ASK, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 0);
	close_it();
	run((unsigned)(SIM_OPPO_GRACE_MS / 10) + 1);
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
}

Test(oppo_capture, fills_before_it_opened_do_not_count, .init = setup, .fini = teardown)
{
	uint64_t before = now_ms;

	fill(krw, SIM_ASK, before);
	fill(usdt, SIM_BID, before);
	open_one();
	cr_expect_eq(sim_oppo_captured(o), 0);
	fill(krw, SIM_ASK, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 0, "the USDT leg filled before it opened");
	fill(usdt, SIM_BID, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 1);
}

/* A leg that fills after the close, at close + grace: captured; one ms later: not. */
Test(oppo_capture, grace_boundary_inside, .init = setup, .fini = teardown)
{
	bool cap = false;
	uint64_t tc;

	open_one();
	fill(krw, SIM_ASK, now_ms);
	tc = close_it();
	fill(usdt, SIM_BID, tc + SIM_OPPO_GRACE_MS);
	cr_expect_eq(sim_oppo_captured(o), 1);
	cr_assert_eq(closes(&cap, NULL), 1, "written by the capturing fill");
	cr_expect(cap);
}

Test(oppo_capture, grace_boundary_outside, .init = setup, .fini = teardown)
{
	bool cap = true;
	uint64_t tc;

	open_one();
	fill(krw, SIM_ASK, now_ms);
	tc = close_it();
	fill(usdt, SIM_BID, tc + SIM_OPPO_GRACE_MS + 1);
	cr_expect_eq(sim_oppo_captured(o), 0);
	run((unsigned)(SIM_OPPO_GRACE_MS / 10) + 1);
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
}

/* Grace 0: the close is written at once, and a leg after it is too late. */
Test(oppo_capture, no_grace, .init = setup, .fini = teardown)
{
	bool cap = true;
	uint64_t tc;

	sim_oppo_set_grace(o, 0);
	open_one();
	fill(krw, SIM_ASK, now_ms);
	tc = close_it();
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
	fill(usdt, SIM_BID, tc);
	cr_expect_eq(sim_oppo_captured(o), 0);
}

/* Reopened within the grace: the last one is settled (not captured) first. */
Test(oppo_capture, reopened_within_the_grace, .init = setup, .fini = teardown)
{
	bool cap = true;

	open_one();
	fill(krw, SIM_ASK, now_ms);
	close_it();
	run(2);
	premium(0.03);
	run(1);
	cr_expect_eq(sim_oppo_count(o), 2);
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
	fill(usdt, SIM_BID, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 0, "the KRW leg filled before this one opened");
	fill(krw, SIM_ASK, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 1);
}

/* Freed within the grace: the close is written as it stands. */
Test(oppo_capture, freed_within_the_grace, .init = setup, .fini = teardown)
{
	bool cap = true;

	open_one();
	close_it();
	cr_expect_eq(closes(NULL, NULL), 0);
	sim_oppo_free(o);
	o = NULL;
	cr_assert_eq(closes(&cap, NULL), 1);
	cr_expect_not(cap);
}

/* A fill on an instrument of no pair, and NULL arguments: nothing. */
Test(oppo_capture, unrelated_and_null, .init = setup, .fini = teardown)
{
	open_one();
	fill(fx, SIM_ASK, now_ms);
	fill(fx, SIM_BID, now_ms);
	cr_expect_eq(sim_oppo_captured(o), 0);
	sim_oppo_fill(NULL, NULL, NULL);
	sim_oppo_fill(o, NULL, NULL);
	sim_oppo_set_grace(NULL, 5);
	cr_expect_eq(sim_oppo_captured(NULL), 0);
	cr_expect_eq(sim_oppo_captured(o), 0);
}
