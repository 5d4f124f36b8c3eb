/* SPDX-License-Identifier: MIT */
/*
 * The opportunity log (sim/oppo.c): books built by hand with a known
 * premium deviation open and close exactly one opportunity in the ledger;
 * thin books and a missing KRW-USDT book open none; a long run of the
 * model opens and closes them in pairs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "../../sim/sim.h"

#define S SIM_SCALE

TestSuite(oppo);

static struct sim_scenario sc;
static struct sim_market m;
static struct sim_exch x;
static struct sim_inst *krw, *usdt, *fx;
static char path[64];

/* upbit KRW-BTC and KRW-USDT, binance BTCUSDT; taker fees 0.05% and 0.1%. */
static void setup(bool with_fx)
{
	sim_scenario_defaults(&sc);
	sc.oppo_margin = 0.001;
	sc.oppo_size_usdt = 10000;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	krw = sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW");
	usdt = sim_market_add_inst(&m, 1, 0, "BTCUSDT", "BTC", "USDT");
	cr_assert(krw && usdt);
	krw->tick = 1000 * S;
	usdt->tick = S / 100;
	if (with_fx) {
		fx = sim_market_add_inst(&m, 0, SIM_COIN_FX, "KRW-USDT", "USDT", "KRW");
		cr_assert_not_null(fx);
		fx->tick = S;
		sim_inst_set(fx, SIM_BID, 1379 * S, 100000 * S);
		sim_inst_set(fx, SIM_ASK, 1381 * S, 100000 * S);
	}
	memset(&x, 0, sizeof(x));
	x.m = &m;
	x.rules[0].taker_fee = 0.0005;
	x.rules[1].taker_fee = 0.001;
	snprintf(path, sizeof(path), "/tmp/oppotest-XXXXXX");
	cr_assert_geq(mkstemp(path), 0);
}

static void teardown(void)
{
	sim_market_free(&m);
	unlink(path);
}

static void clear(struct sim_inst *in)
{
	for (unsigned side = 0; side < 2; side++)
		while (in->book.side[side].n)
			sim_inst_set(in, side, in->book.side[side].lv[0].px, 0);
}

/* Five levels a side, 'q' base units each, one tick apart around mid. */
static void book(struct sim_inst *in, double mid, double q)
{
	sim_fx t = in->tick, c = (sim_fx)llround(mid * S) / t * t;

	clear(in);
	for (int i = 0; i < 5; i++) {
		sim_inst_set(in, SIM_BID, c - (sim_fx)i * t, (sim_fx)llround(q * S));
		sim_inst_set(in, SIM_ASK, c + (sim_fx)(i + 1) * t, (sim_fx)llround(q * S));
	}
}

/* The KRW book at a premium over BTCUSDT's 100000 at KRW-USDT's 1380. */
static void premium(double p)
{
	book(krw, 100000.0 * 1380.0 * (1 + p), 1.0);
}

static uint64_t now_ms = 1700000000000ull;

static void run(struct sim_oppo *o, unsigned steps)
{
	for (unsigned i = 0; i < steps; i++) {
		m.t_s += 0.01;
		now_ms += 10;
		sim_oppo_step(o, now_ms);
	}
}

struct ev {
	char what[8], dir[12], coin[8], krw_venue[12], usdt_venue[12], qty[32];
	double peak_dev, dev;
	int64_t open_ms, duration_ms;
	bool final;
};

static int jstr(const char *line, const struct jr_tok *t, const char *k, char *out, size_t n)
{
	int i = jr_get(line, t, 0, k);

	return i < 0 ? -1 : jr_str(line, &t[i], out, n);
}

static double jnum(const char *line, const struct jr_tok *t, const char *k)
{
	int i = jr_get(line, t, 0, k);

	return i < 0 ? NAN : strtod(line + t[i].start, NULL);
}

/* The opportunity events in the ledger, parsed (every line must be JSON). */
static unsigned read_events(struct ev *out, unsigned cap)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	unsigned n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct jr_tok t[64];
		char ev[32];
		int i;

		line[strcspn(line, "\n")] = 0;
		cr_assert_gt(jr_parse(line, strlen(line), t, 64), 0, "not JSON: %s", line);
		cr_assert_gt(jstr(line, t, "ev", ev, sizeof(ev)), 0);
		if (strcmp(ev, "opportunity"))
			continue;
		cr_assert_lt(n, cap);
		memset(&out[n], 0, sizeof(out[n]));
		cr_assert_gt(jstr(line, t, "what", out[n].what, sizeof(out[n].what)), 0, "%s", line);
		cr_assert_gt(jstr(line, t, "dir", out[n].dir, sizeof(out[n].dir)), 0);
		cr_assert_gt(jstr(line, t, "coin", out[n].coin, sizeof(out[n].coin)), 0);
		cr_assert_gt(jstr(line, t, "krw_venue", out[n].krw_venue, 12), 0);
		cr_assert_gt(jstr(line, t, "usdt_venue", out[n].usdt_venue, 12), 0);
		cr_assert_gt(jstr(line, t, "qty", out[n].qty, sizeof(out[n].qty)), 0);
		out[n].open_ms = (int64_t)jnum(line, t, "open_ms");
		out[n].dev = jnum(line, t, "dev");
		if (!strcmp(out[n].what, "close")) {
			out[n].peak_dev = jnum(line, t, "peak_dev");
			out[n].duration_ms = (int64_t)jnum(line, t, "duration_ms");
			i = jr_get(line, t, 0, "final");
			cr_assert_geq(i, 0);
			out[n].final = t[i].type == JR_TRUE;
		}
		n++;
	}
	fclose(f);
	return n;
}

Test(oppo, one_open_one_close)
{
	struct sim_ledger *lg;
	struct sim_oppo *o;
	struct ev e[8];
	uint64_t t_open;

	setup(true);
	lg = sim_ledger_open(path);
	cr_assert_not_null(lg);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	o = sim_oppo_new(&x, lg);
	cr_assert_not_null(o);
	run(o, 1000);                   /* the mean settles at 2% */
	cr_expect_eq(sim_oppo_count(o), 0, "no deviation, no opportunity");
	premium(0.03);                  /* +1% over the mean: sell KRW, buy USDT */
	t_open = now_ms + 10;
	run(o, 50);
	cr_expect_eq(sim_oppo_count(o), 1);
	premium(0.02);
	run(o, 100);
	cr_expect_eq(sim_oppo_count(o), 1);
	sim_oppo_free(o);
	sim_ledger_close(lg);

	cr_assert_eq(read_events(e, 8), 2);
	cr_expect_str_eq(e[0].what, "open");
	cr_expect_str_eq(e[1].what, "close");
	for (int i = 0; i < 2; i++) {
		cr_expect_str_eq(e[i].dir, "sell_krw");
		cr_expect_str_eq(e[i].coin, "BTC");
		cr_expect_str_eq(e[i].krw_venue, "upbit");
		cr_expect_str_eq(e[i].usdt_venue, "binance");
		cr_expect_eq(e[i].open_ms, (int64_t)t_open);
	}
	cr_expect_eq(e[1].duration_ms, 500);
	cr_expect_not(e[1].final);
	/* 3% - 2%, less half a tick of each book: a little under 1% */
	cr_expect(e[0].dev > 0.0099 && e[0].dev < 0.01, "dev %f", e[0].dev);
	cr_expect(e[1].peak_dev >= e[0].dev - 1e-9, "the peak is the largest seen");
	cr_expect(e[1].dev < 0.0025, "closed below the threshold");
	/* both books hold 1 BTC at the walked price; 0.1 BTC was the reference */
	cr_expect_str_eq(e[0].qty, "1.00000000");
	teardown();
}

Test(oppo, buy_krw_when_the_premium_falls)
{
	struct sim_ledger *lg;
	struct sim_oppo *o;
	struct ev e[8];

	setup(true);
	lg = sim_ledger_open(path);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	o = sim_oppo_new(&x, lg);
	run(o, 500);
	premium(0.01);
	run(o, 20);
	premium(0.02);
	run(o, 20);
	cr_expect_eq(sim_oppo_count(o), 1);
	sim_oppo_free(o);
	sim_ledger_close(lg);
	cr_assert_eq(read_events(e, 8), 2);
	cr_expect_str_eq(e[0].what, "open");
	cr_expect_str_eq(e[0].dir, "buy_krw");
	cr_expect_str_eq(e[1].what, "close");
	cr_expect_eq(e[1].duration_ms, 200);
	teardown();
}

/* Under the threshold (fees 0.15% + margin 0.1%): nothing. */
Test(oppo, small_deviation_is_no_opportunity)
{
	struct sim_oppo *o;

	setup(true);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	o = sim_oppo_new(&x, NULL);
	run(o, 500);
	premium(0.0215);
	run(o, 100);
	cr_expect_eq(sim_oppo_count(o), 0);
	sc.oppo_margin = 0;
	x.rules[0].taker_fee = x.rules[1].taker_fee = 0;
	run(o, 1);
	cr_expect_eq(sim_oppo_count(o), 1, "the same deviation covers no fees and no margin");
	sim_oppo_free(o);
	teardown();
}

/* The USDT book holds less than the reference size: no opportunity. */
Test(oppo, thin_book)
{
	struct sim_oppo *o;

	setup(true);
	book(usdt, 100000.0, 0.015);    /* 5 x 0.015 = 0.075 BTC < 0.1 */
	premium(0.02);
	o = sim_oppo_new(&x, NULL);
	run(o, 500);
	premium(0.03);
	run(o, 100);
	cr_expect_eq(sim_oppo_count(o), 0);
	book(usdt, 100000.0, 0.025);    /* 0.125 BTC: enough */
	run(o, 1);
	cr_expect_eq(sim_oppo_count(o), 1);
	sim_oppo_free(o);
	teardown();
}

/* Without a KRW-USDT book on the KRW venue there is nothing to convert at. */
Test(oppo, no_fx_book)
{
	struct sim_oppo *o;

	setup(false);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	o = sim_oppo_new(&x, NULL);
	cr_assert_not_null(o);
	run(o, 100);
	premium(0.05);
	run(o, 100);
	cr_expect_eq(sim_oppo_count(o), 0);
	sim_oppo_free(o);
	teardown();
}

/* An empty side stops the pair for that step, and it goes on after. */
Test(oppo, empty_books)
{
	struct sim_oppo *o;

	setup(true);
	o = sim_oppo_new(&x, NULL);
	run(o, 10);
	cr_expect_eq(sim_oppo_count(o), 0);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	run(o, 100);
	clear(fx);
	premium(0.04);
	run(o, 10);
	cr_expect_eq(sim_oppo_count(o), 0, "no KRW-USDT mid");
	sim_inst_set(fx, SIM_BID, 1379 * S, 100000 * S);
	sim_inst_set(fx, SIM_ASK, 1381 * S, 100000 * S);
	run(o, 1);
	cr_expect_eq(sim_oppo_count(o), 1);
	sim_oppo_free(o);
	teardown();
}

/* Still open at the end: closed by sim_oppo_free with "final": true. */
Test(oppo, final_close)
{
	struct sim_ledger *lg;
	struct sim_oppo *o;
	struct ev e[4];

	setup(true);
	lg = sim_ledger_open(path);
	book(usdt, 100000.0, 1.0);
	premium(0.02);
	o = sim_oppo_new(&x, lg);
	run(o, 100);
	premium(0.03);
	run(o, 10);
	sim_oppo_free(o);
	sim_ledger_close(lg);
	cr_assert_eq(read_events(e, 4), 2);
	cr_expect_str_eq(e[1].what, "close");
	cr_expect(e[1].final);
	teardown();
}

Test(oppo, errors)
{
	static struct sim_exch none;

	errno = 0;
	cr_expect_null(sim_oppo_new(NULL, NULL));
	cr_expect_eq(errno, EINVAL);
	memset(&none, 0, sizeof(none));
	cr_expect_null(sim_oppo_new(&none, NULL), "an exchange without a market");
	cr_expect_eq(sim_oppo_count(NULL), 0);
	sim_oppo_step(NULL, 1);
	sim_oppo_free(NULL);
}

/* The model's own jumps open opportunities; every one is closed once. */
Test(oppo, model_run)
{
	static const char *const coin[] = { "BTC", "ETH", "XRP" };
	struct sim_ledger *lg;
	struct sim_oppo *o;
	static struct ev e[4096];
	unsigned n, opens = 0, closes = 0;
	uint64_t count;

	sim_scenario_defaults(&sc);
	sc.seed = 5;
	sc.premium.jump_rate = 0.2;
	sc.premium.jump_size = 0.01;
	cr_assert_eq(sim_market_init(&m, &sc), 0);
	for (int c = 0; c < 3; c++) {
		char sym[16];
		struct sim_inst *in;

		snprintf(sym, sizeof(sym), "KRW-%s", coin[c]);
		in = sim_market_add_inst(&m, 0, c, sym, coin[c], "KRW");
		cr_assert_not_null(in);
		in->tick = c == 2 ? S : 1000 * S;
		snprintf(sym, sizeof(sym), "%sUSDT", coin[c]);
		in = sim_market_add_inst(&m, 1, c, sym, coin[c], "USDT");
		cr_assert_not_null(in);
		in->tick = c == 2 ? S / 10000 : S / 100;
		in->step = S / 100000;
	}
	fx = sim_market_add_inst(&m, 0, SIM_COIN_FX, "KRW-USDT", "USDT", "KRW");
	fx->tick = S;
	memset(&x, 0, sizeof(x));
	x.m = &m;
	x.rules[0].taker_fee = 0.0005;
	x.rules[1].taker_fee = 0.001;
	snprintf(path, sizeof(path), "/tmp/oppotest-XXXXXX");
	cr_assert_geq(mkstemp(path), 0);
	lg = sim_ledger_open(path);
	sim_market_start(&m, now_ms);
	o = sim_oppo_new(&x, lg);
	for (unsigned k = 0; k < 60000; k++) {      /* 10 minutes */
		now_ms += 10;
		sim_market_step(&m, now_ms);
		sim_oppo_step(o, now_ms);
		for (uint32_t i = 0; i < m.ninsts; i++)
			sim_inst_drain(&m.inst[i]);
	}
	count = sim_oppo_count(o);
	cr_expect_gt(count, 0, "jumps of 1%% every 5 s open some");
	sim_oppo_free(o);
	sim_ledger_close(lg);
	n = read_events(e, 4096);
	for (unsigned i = 0; i < n; i++) {
		opens += !strcmp(e[i].what, "open");
		closes += !strcmp(e[i].what, "close");
		cr_expect(strcmp(e[i].what, "open") || e[i].dev > 0.0025, "opened above the threshold");
	}
	cr_expect_eq(opens, count);
	cr_expect_eq(closes, opens, "each opened one closed once");
	teardown();
}

/* Out of memory (the address space capped at what the process uses). */
Test(oppo, no_memory)
{
	struct rlimit old, l;
	struct sim_oppo *o;
	void *hog = NULL;
	unsigned long pages = 0;
	FILE *f;
	int err;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("no address-space cap under a sanitizer");
#endif
	setup(true);
	f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
	l.rlim_max = old.rlim_max;
	l.rlim_cur = pages * (size_t)sysconf(_SC_PAGESIZE);
	cr_assert_eq(setrlimit(RLIMIT_AS, &l), 0);
	for (;;) {              /* and eat what malloc holds */
		void **p = malloc(64);

		if (!p)
			break;
		*p = hog;
		hog = p;
	}
	errno = 0;
	o = sim_oppo_new(&x, NULL);
	err = errno;
	while (hog) {
		void **p = hog;

		hog = *p;
		free(p);
	}
	setrlimit(RLIMIT_AS, &old);
	cr_expect_null(o);
	cr_expect_eq(err, ENOMEM);
	o = sim_oppo_new(&x, NULL);
	cr_expect_not_null(o, "fine again with memory");
	sim_oppo_free(o);
	teardown();
}
