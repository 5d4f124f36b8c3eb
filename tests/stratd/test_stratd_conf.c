/* SPDX-License-Identifier: MIT */
/* stratd/conf.c: [stratd], [pair.COIN] and the [risk.NAME] bounds it reads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/config.h"
#include "../../stratd/stratd.h"

static char err[512];
static struct stratd_conf C;

static const char *base =
	"[engine]\ncoins = BTC ETH XRP USDT\n"                      /* 1-2 */
	"[venue.upbit]\ncoins = BTC ETH USDT\n"                      /* 3-4 */
	"[venue.binance]\ncoins = BTC ETH\n"                         /* 5-6 */
	"[balance.upbit]\nKRW = 1000000\nBTC = 1\n"                  /* 7-9 */
	"[balance.binance]\nUSDT = 1000\n";                          /* 10-11 */
/* the text given to load() starts at line 12 */

static int load(const char *text)
{
	char buf[4096];
	struct kimp_conf *c = NULL;
	int e;

	snprintf(buf, sizeof(buf), "%s%s", base, text);
	err[0] = 0;
	cr_assert_eq(kimp_conf_parse("s.conf", buf, &c, err, sizeof(err)), 0, "%s", err);
	e = stratd_conf_load(c, &C, err, sizeof(err));
	kimp_conf_free(c);
	return e;
}

#define PAIR "[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0.01\n"   /* lines 12-15 */

static void bad(const char *text, const char *where)
{
	cr_assert_eq(load(text), -EINVAL, "accepted:\n%s", text);
	cr_assert(strstr(err, where), "'%s' does not say '%s'", err, where);
}

Test(stratd_conf, defaults)
{
	cr_assert_eq(load(PAIR), 0, "%s", err);
	cr_assert_str_eq(C.name, "stratd");
	cr_assert_str_eq(C.feedd, "feedd");
	cr_assert_str_eq(C.riskd, "riskd");
	cr_assert_str_eq(C.orderd, "orderd");
	cr_assert_eq(C.ring_slots, 1024);
	cr_assert_eq(C.wait, SHM_WAIT_HYBRID);
	cr_assert_eq(C.idle_wait_ns, 1000000);
	cr_assert_eq(C.quote_age_ns, 1000000000);
	cr_assert_eq(C.cooldown_ns, 1000000000);
	cr_assert_eq(C.max_pairs, 4);
	cr_assert_eq(C.policy, STRAT_POLICY_RETRY);
	cr_assert_eq(C.retry_max, 2);
	cr_assert_eq(C.unwind_max, 3);
	cr_assert_eq(C.slip_cap_e8, 300000);
	cr_assert_eq(C.npairs, 1);
	const struct strat_pair_conf *p = &C.pair[1];
	cr_assert(p->on && p->enabled);
	cr_assert_str_eq(p->coin, "BTC");
	cr_assert_eq(p->leg[0].venue, KIMP_VENUE_UPBIT);
	cr_assert_eq(p->leg[1].venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(p->rate_inst, 4, "the USDT book on upbit");
	cr_assert_eq(p->qty_dec, 8);
	cr_assert_eq(p->step, 1000, "binance's 0.00001 is the coarser step");
	cr_assert_eq(p->clip, 1000000);
	cr_assert_eq(p->min_size, 0);
	cr_assert_float_eq(p->margin, 0.001, 1e-15);
	cr_assert_float_eq(p->entry_sigma, 2.0, 0);
	cr_assert_eq(p->slip_e8, 50000);
	cr_assert_eq(p->half_life_ns, 60000000000ull);
	cr_assert_eq(p->warmup_ns, 30000000000ull);
	cr_assert_eq(p->warmup_n, 100);
	cr_assert_eq(p->leg[0].fee_e8, 50000);
	cr_assert_eq(p->leg[1].fee_e8, 100000);
	cr_assert_eq(p->leg[0].band_min, 0);
	cr_assert_eq(p->leg[0].band_max, STRATD_INF);
	cr_assert_eq(p->leg[1].risk_pos_max, STRATD_INF);
	cr_assert_not(C.pair[2].on);
}

Test(stratd_conf, every_key_set)
{
	cr_assert_eq(load("[stratd]\nname = s1\nfeedd = f1\nriskd = r1\norderd = o1\n"
			  "ring_slots = 64\nwait = spin\nidle_wait = 2ms\nspin = 10us\n"
			  "heartbeat = 5ms\nquote_age = 250ms\nleg_timeout = 3s\ncooldown = 0\n"
			  "max_pairs = 64\nleg_policy = unwind\nretry_max = 3\nunwind_max = 4\n"
			  "slip_cap = 0.01\nrate = 1400\nmargin = 0.002\nentry_sigma = 1.5\n"
			  "slippage = 0.001\nhalf_life = 10s\nwarmup = 1s\nwarmup_samples = 5\n"
			  "cash_floor.upbit = 500000\n"
			  "[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0.5\nmin_size = 0.001\n"
			  "margin = 0.003\nhalf_life = 20s\nband.upbit = 0.1 2\nband.binance = 0 3\n"
			  "[pair.ETH]\nkrw = upbit\nusdt = binance\nclip = 1\nrate = book\n"
			  "entry_sigma = 3\n"
			  "[risk.binance]\nposition_min.BTC = 0.5\nposition_max.BTC = 4\n"
			  "qty_max.BTC = 0.2\nnotional_max = 10000\ndisable = ETH\n"), 0, "%s", err);
	cr_assert_str_eq(C.name, "s1");
	cr_assert_str_eq(C.orderd, "o1");
	cr_assert_eq(C.ring_slots, 64);
	cr_assert_eq(C.wait, SHM_WAIT_SPIN);
	cr_assert_eq(C.heartbeat_ns, 5000000);
	cr_assert_eq(C.quote_age_ns, 250000000);
	cr_assert_eq(C.leg_timeout_ns, 3000000000ull);
	cr_assert_eq(C.cooldown_ns, 0);
	cr_assert_eq(C.max_pairs, 64);
	cr_assert_eq(C.policy, STRAT_POLICY_UNWIND);
	cr_assert_eq(C.retry_max, 3);
	cr_assert_eq(C.unwind_max, 4);
	cr_assert_eq(C.slip_cap_e8, 1000000);
	cr_assert_eq(C.cash_floor[KIMP_VENUE_UPBIT], 50000000000000);
	cr_assert_eq(C.npairs, 2);
	const struct strat_pair_conf *b = &C.pair[1], *e = &C.pair[2];
	cr_assert_eq(b->rate_inst, 0);
	cr_assert_float_eq(b->rate, 1400, 0);
	cr_assert_eq(e->rate_inst, 4, "the pair's own 'book' wins over [stratd]");
	cr_assert_float_eq(b->margin, 0.003, 1e-15);
	cr_assert_float_eq(e->margin, 0.002, 1e-15);
	cr_assert_float_eq(e->entry_sigma, 3, 0);
	cr_assert_float_eq(b->entry_sigma, 1.5, 0);
	cr_assert_eq(b->half_life_ns, 20000000000ull);
	cr_assert_eq(e->half_life_ns, 10000000000ull);
	cr_assert_eq(b->warmup_n, 5);
	cr_assert_eq(b->slip_e8, 100000);
	cr_assert_eq(b->clip, 50000000);
	cr_assert_eq(b->min_size, 100000);
	cr_assert_eq(b->leg[0].band_min, 10000000);
	cr_assert_eq(b->leg[0].band_max, 200000000);
	cr_assert_eq(b->leg[1].band_min, 50000000, "riskd's position_min is the stricter");
	cr_assert_eq(b->leg[1].band_max, 300000000);
	cr_assert_eq(b->leg[1].risk_pos_max, 400000000);
	cr_assert_eq(b->leg[1].rules.max_qty, 20000000);
	cr_assert_eq(b->leg[1].risk_notional_max, 1000000000000);
	cr_assert(b->enabled);
	cr_assert_not(e->enabled, "ETH is disabled on binance by riskd");
}

Test(stratd_conf, a_venue_not_trading_disables_its_pairs)
{
	cr_assert_eq(load("[risk.upbit]\nenabled = false\n" PAIR), 0, "%s", err);
	cr_assert_not(C.pair[1].enabled);
	char t[1024];
	snprintf(t, sizeof(t), "%s", PAIR);
	struct kimp_conf *c = NULL;
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "[engine]\ncoins = BTC USDT\n[venue.upbit]\ntrading = false\n"
		 "[venue.binance]\ncoins = BTC\n%s", t);
	cr_assert_eq(kimp_conf_parse("s.conf", buf, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stratd_conf_load(c, &C, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(c);
	cr_assert_not(C.pair[1].enabled);
}

Test(stratd_conf, bad_values_name_file_line_and_key)
{
	bad("[stratd]\nfoo = 1\n" PAIR, "s.conf:13: key 'stratd.foo': unknown key");
	bad("[stratd]\nname = a/b\n" PAIR, "s.conf:13: key 'stratd.name'");
	bad("[stratd]\nring_slots = 1000\n" PAIR, "s.conf:13: key 'stratd.ring_slots'");
	bad("[stratd]\nring_slots = 1\n" PAIR, "s.conf:13: key 'stratd.ring_slots'");
	bad("[stratd]\nwait = sleepy\n" PAIR, "s.conf:13: key 'stratd.wait'");
	bad("[stratd]\nidle_wait = 2s\n" PAIR, "s.conf:13: key 'stratd.idle_wait'");
	bad("[stratd]\nquote_age = soon\n" PAIR, "s.conf:13: key 'stratd.quote_age'");
	bad("[stratd]\nleg_policy = pray\n" PAIR, "s.conf:13: key 'stratd.leg_policy'");
	bad("[stratd]\nmax_pairs = 0\n" PAIR, "s.conf:13: key 'stratd.max_pairs'");
	bad("[stratd]\nmax_pairs = 65\n" PAIR, "s.conf:13: key 'stratd.max_pairs'");
	bad("[stratd]\nslip_cap = 0.2\n" PAIR, "s.conf:13: key 'stratd.slip_cap'");
	bad("[stratd]\nslippage = -0.001\n" PAIR, "s.conf:13: key 'stratd.slippage'");
	bad("[stratd]\nmargin = abc\n" PAIR, "s.conf:13: key 'stratd.margin'");
	bad("[stratd]\nentry_sigma = 101\n" PAIR, "s.conf:13: key 'stratd.entry_sigma'");
	bad("[stratd]\nhalf_life = 10us\n" PAIR, "s.conf:13: key 'stratd.half_life'");
	bad("[stratd]\nwarmup_samples = 0\n" PAIR, "s.conf:13: key 'stratd.warmup_samples'");
	bad("[stratd]\nrate = cheap\n" PAIR, "s.conf:13: key 'stratd.rate'");
	bad("[stratd]\nrate = -3\n" PAIR, "s.conf:13: key 'stratd.rate'");
	bad("[stratd]\ncash_floor.bybit = 5\n" PAIR, "key 'stratd.cash_floor.bybit'");
	bad("[stratd]\ncash_floor.upbit = lots\n" PAIR, "s.conf:13: key 'stratd.cash_floor.upbit'");
	bad("", "no [pair.COIN] section");
	bad("[pair.DOGE]\nkrw = upbit\n", "s.conf:12: section [pair.DOGE]");
	bad("[pair.XRP]\nkrw = upbit\nusdt = binance\nclip = 1\n",
	    "s.conf:13: key 'pair.XRP.krw': upbit does not list XRP");
	bad("[pair.BTC]\nusdt = binance\nclip = 1\n", "s.conf:12: key 'pair.BTC.krw': missing");
	bad("[pair.BTC]\nkrw = bybit\nusdt = binance\n", "s.conf:13: key 'pair.BTC.krw'");
	bad("[pair.BTC]\nkrw = upbit\nusdt = upbit\n", "s.conf:14: key 'pair.BTC.usdt'");
	bad("[pair.BTC]\nkrw = upbit\nusdt = binance\n", "s.conf:12: key 'pair.BTC.clip': missing");
	bad(PAIR "clip2 = 1\n", "s.conf:16: key 'pair.BTC.clip2': unknown key");
	bad("[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0\n", "s.conf:15: key 'pair.BTC.clip'");
	bad("[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0.000001\n",
	    "s.conf:15: key 'pair.BTC.clip': below the step");
	bad(PAIR "min_size = 0.02\n", "s.conf:15: key 'pair.BTC.clip'");
	bad(PAIR "min_size = 0.123456789\n", "s.conf:16: key 'pair.BTC.min_size'");
	bad(PAIR "band.upbit = 2 1\n", "s.conf:16: key 'pair.BTC.band.upbit'");
	bad(PAIR "band.upbit = 1\n", "s.conf:16: key 'pair.BTC.band.upbit'");
	bad(PAIR "band.bybit = 0 1\n", "s.conf:16: key 'pair.BTC.band.bybit': unknown key");
	bad(PAIR "rate = x\n", "s.conf:16: key 'pair.BTC.rate'");
	bad(PAIR "slippage = 1\n", "s.conf:16: key 'pair.BTC.slippage'");
	bad(PAIR "[risk.binance]\nposition_max.BTC = lots\n",
	    "s.conf:17: key 'risk.binance.position_max.BTC'");
	bad(PAIR "[risk.upbit]\nnotional_max = 0\n", "s.conf:17: key 'risk.upbit.notional_max'");
	bad(PAIR "[risk.upbit]\nenabled = maybe\n", "s.conf:17: key 'risk.upbit.enabled'");
	/* tradeconf's own errors come through */
	bad("[venue.upbit]\ntaker_fee = 1\n" PAIR, "key 'venue.upbit.taker_fee'");
}

Test(stratd_conf, rate_book_must_exist_on_the_krw_venue)
{
	struct kimp_conf *c = NULL;
	const char *t = "[engine]\ncoins = BTC USDT\n[venue.upbit]\ncoins = BTC\n"
			"[venue.binance]\ncoins = BTC\n" PAIR;   /* pair at line 7 */
	cr_assert_eq(kimp_conf_parse("s.conf", t, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stratd_conf_load(c, &C, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "s.conf:7: key 'pair.BTC.rate': no USDT book on upbit"), "%s", err);
	kimp_conf_free(c);
	/* a fixed rate needs no book */
	c = NULL;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%srate = 1400\n", t);
	cr_assert_eq(kimp_conf_parse("s.conf", buf, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stratd_conf_load(c, &C, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(c);
}

Test(stratd_conf, retry_and_unwind_limits_at_their_boundaries)
{
	cr_assert_eq(load("[stratd]\nretry_max = 3\nunwind_max = 4\n" PAIR), 0, "%s", err);
	bad("[stratd]\nretry_max = 4\n" PAIR, "s.conf:13: key 'stratd.retry_max'");
	bad("[stratd]\nretry_max = 3\nunwind_max = 5\n" PAIR, "s.conf:14: key 'stratd.unwind_max'");
	cr_assert_eq(load("[stratd]\nretry_max = 0\nunwind_max = 7\n" PAIR), 0, "%s", err);
	bad("[stratd]\nunwind_max = 0\n" PAIR, "s.conf:13: key 'stratd.unwind_max'");
}

Test(stratd_conf, print_names_every_parameter)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(load("[stratd]\ncash_floor.upbit = 100\n" PAIR "band.upbit = 0.5 1\n"
			  "[risk.binance]\nposition_max.BTC = 2\n"), 0, "%s", err);
	stratd_conf_print(&C, f);
	fclose(f);
	const char *want[] = {
		"segment stratd (intents ring 1024 slots)", "wait hybrid", "quote_age 1000 ms",
		"leg policy retry: retry_max 2 within slip_cap 0.003, unwind_max 3",
		"cash floor upbit 100 KRW", "pair BTC: upbit/binance, rate book, clip 0.01",
		"step 0.00001", "margin 0.001000", "upbit band 0.5..1",
		"binance band 0..none, risk position max 2",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(strstr(buf, want[i]), "no '%s' in:\n%s", want[i], buf);
	free(buf);
}
