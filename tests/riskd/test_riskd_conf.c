/* SPDX-License-Identifier: MIT */
/*
 * riskd's configuration (riskd/conf.c): defaults, every key read, the
 * venue's rules merged with ours, the limits printed, and every bad value
 * named by file, line and key.
 */
#include <stdio.h>
#include "rtest.h"

TestSuite(riskd_conf);

static struct riskd_conf C;
static char err[512];

/* RT_BASE has 17 lines: the extra text starts on line 18. */
#define L(n) (17 + (n))

static int load(const char *extra)
{
	err[0] = 0;
	return rt_conf(&C, extra, err, sizeof(err));
}

/* The extra text fails with "rt.conf:LINE: key 'KEY'". */
static void bad(const char *extra, unsigned line, const char *key)
{
	char want[128];

	cr_assert_eq(load(extra), -EINVAL, "accepted:\n%s", extra);
	snprintf(want, sizeof(want), "rt.conf:%u: key '%s'", line, key);
	cr_assert(strstr(err, want), "got '%s', want '%s'", err, want);
}

Test(riskd_conf, defaults)
{
	cr_assert_eq(load(""), 0, "%s", err);
	cr_assert_str_eq(C.name, "riskd");
	cr_assert_str_eq(C.stratd, "stratd");
	cr_assert_str_eq(C.orderd, "orderd");
	cr_assert_eq(C.nfeeds, 1);
	cr_assert_str_eq(C.feeds[0], "feedd");
	cr_assert_eq(C.orders_slots, 4096);
	cr_assert_eq(C.verdicts_slots, 4096);
	cr_assert_eq(C.order_slots, 4096);
	cr_assert_eq(C.wait, SHM_WAIT_HYBRID);
	cr_assert_eq(C.idle_wait_ns, 1000000);
	cr_assert_eq(C.housekeeping_ns, 10000000);
	cr_assert_eq(C.fixed_rate, 0);
	cr_assert_eq(C.rate_venue, UP, "the KRW venue that lists USDT");
	cr_assert_eq(C.rate_inst, USDT);
	cr_assert_eq(C.loss_limit, 0);
	cr_assert_eq(C.breaker_count, 5);
	cr_assert_eq(C.breaker_window_ns, 10000000000ull);
	cr_assert_eq(C.breaker_cooldown_ns, 60000000000ull);
	cr_assert_eq(C.net_exposure[BTC], RISKD_NONE_MAX);
	const struct risk_venue_conf *u = &C.venue[UP], *b = &C.venue[BN];
	cr_assert(u->enabled && b->enabled);
	cr_assert(u->inst_on[BTC] && u->inst_on[USDT] && !b->inst_on[USDT] && !b->inst_on[XRP]);
	cr_assert_eq(u->max_open_orders, 32);
	cr_assert_eq(u->rate_max[KIMP_RISK_W_SECOND], 10);
	cr_assert_eq(u->rate_max[KIMP_RISK_W_MINUTE], 300);
	cr_assert_eq(u->rate_max[KIMP_RISK_W_DAY], 0);
	cr_assert_eq(u->price_band_bps, 200);
	cr_assert_eq(u->slippage_bps, 50);
	cr_assert_eq(u->max_quote_age_ns, 2000000000ull);
	/* the venue's rules: upbit 5,000..1,000,000,000 KRW; binance 5 USDT, BTC step 0.00001 */
	cr_assert_eq(u->notional_min[BTC], KRW(5000));
	cr_assert_eq(u->notional_max[BTC], KRW(1000000000));
	cr_assert_eq(u->qty_min[BTC], 1);
	cr_assert_eq(u->qty_max[BTC], RISKD_NONE_MAX);
	cr_assert_eq(b->notional_min[ETH], USD(5));
	cr_assert_eq(b->notional_max[ETH], RISKD_NONE_MAX);
	cr_assert_eq(b->qty_min[ETH], 10);
	cr_assert_eq(u->pos_min[BTC], RISKD_NONE_MIN);
	cr_assert_eq(u->pos_max[BTC], RISKD_NONE_MAX);
}

Test(riskd_conf, every_key_is_read)
{
	cr_assert_eq(load("[riskd]\nname = rk1\nstratd = st1\norderd = od1\nfeedd = fa, fb\n"
			  "orders_slots = 256\nverdicts_slots = 512\norder_slots = 1000\n"
			  "wait = spin\nidle_wait = 200us\nspin = 0\nhousekeeping = 5ms\n"
			  "rate = 1380.5\nloss_limit = 2000000.5\ndrawdown_limit = 1000000\n"
			  "breaker_count = 64\nbreaker_window = 2s\nbreaker_cooldown = 5s\n"
			  "net_exposure.BTC = 0.25\nnet_exposure.USDT = 1000\n"
			  "[risk.upbit]\nenabled = false\ndisable = ETH, XRP\nqty_min.BTC = 0.0001\n"
			  "qty_max.BTC = 0.5\nnotional_min = 10000\nnotional_max = 50000000\n"
			  "position_min.BTC = 0.5\nposition_max.BTC = 3\nmax_open_orders = 4\n"
			  "rate_second = 5\nrate_minute = 100\nrate_hour = 1000\nrate_day = 5000\n"
			  "price_band_bps = 150\nmax_slippage_bps = 30\nmax_quote_age = 500ms\n"
			  "[risk.binance]\nnotional_max = 100000\nnotional_min = 0.5\n"),
		     0, "%s", err);
	cr_assert_str_eq(C.name, "rk1");
	cr_assert_str_eq(C.stratd, "st1");
	cr_assert_str_eq(C.orderd, "od1");
	cr_assert_eq(C.nfeeds, 2);
	cr_assert_str_eq(C.feeds[1], "fb");
	cr_assert_eq(C.orders_slots, 256);
	cr_assert_eq(C.verdicts_slots, 512);
	cr_assert_eq(C.order_slots, 1000);
	cr_assert_eq(C.wait, SHM_WAIT_SPIN);
	cr_assert_eq(C.idle_wait_ns, 200000);
	cr_assert_eq(C.spin_ns, 0);
	cr_assert_eq(C.housekeeping_ns, 5000000);
	cr_assert_eq(C.fixed_rate, 138050000000ll);
	cr_assert_eq(C.rate_venue, 0);
	cr_assert_eq(C.loss_limit, 20000005000ll);
	cr_assert_eq(C.drawdown_limit, 10000000000ll);
	cr_assert_eq(C.breaker_count, 64);
	cr_assert_eq(C.breaker_window_ns, 2000000000ull);
	cr_assert_eq(C.breaker_cooldown_ns, 5000000000ull);
	cr_assert_eq(C.net_exposure[BTC], 25000000);
	cr_assert_eq(C.net_exposure[USDT], 100000000000ll);
	cr_assert_eq(C.net_exposure[ETH], RISKD_NONE_MAX);
	const struct risk_venue_conf *u = &C.venue[UP], *b = &C.venue[BN];
	cr_assert_not(u->enabled);
	cr_assert(u->inst_on[BTC] && !u->inst_on[ETH] && !u->inst_on[XRP] && u->inst_on[USDT]);
	cr_assert_eq(u->qty_min[BTC], UQ(0.0001));
	cr_assert_eq(u->qty_max[BTC], UQ(0.5));
	cr_assert_eq(u->qty_max[ETH], RISKD_NONE_MAX);
	cr_assert_eq(u->notional_min[BTC], KRW(10000));
	cr_assert_eq(u->notional_max[BTC], KRW(50000000));
	cr_assert_eq(u->pos_min[BTC], UQ(0.5));
	cr_assert_eq(u->pos_max[BTC], UQ(3));
	cr_assert_eq(u->max_open_orders, 4);
	cr_assert_eq(u->rate_max[0], 5);
	cr_assert_eq(u->rate_max[1], 100);
	cr_assert_eq(u->rate_max[2], 1000);
	cr_assert_eq(u->rate_max[3], 5000);
	cr_assert_eq(u->price_band_bps, 150);
	cr_assert_eq(u->slippage_bps, 30);
	cr_assert_eq(u->max_quote_age_ns, 500000000ull);
	/* ours looser than the venue's: the venue's stands */
	cr_assert_eq(b->notional_min[BTC], USD(5));
	cr_assert_eq(b->notional_max[BTC], USD(100000));
}

Test(riskd_conf, a_rate_venue_by_name)
{
	cr_assert_eq(load("[riskd]\nrate_venue = upbit\n"), 0, "%s", err);
	cr_assert_eq(C.rate_venue, UP);
}

Test(riskd_conf, bad_values_name_file_line_and_key)
{
	bad("[riskd]\nsize = 5\n", L(2), "riskd.size");
	bad("[riskd]\nnet_exposure.DOGE = 1\n", L(2), "riskd.net_exposure.DOGE");
	bad("[riskd]\nname = bad/name\n", L(2), "riskd.name");
	bad("[riskd]\nstratd =\n", L(2), "riskd.stratd");
	bad("[riskd]\nfeedd = a b c d e\n", L(2), "riskd.feedd");
	bad("[riskd]\norders_slots = 1000\n", L(2), "riskd.orders_slots");
	bad("[riskd]\nverdicts_slots = 1\n", L(2), "riskd.verdicts_slots");
	bad("[riskd]\norder_slots = 8\n", L(2), "riskd.order_slots");
	bad("[riskd]\nwait = sleepy\n", L(2), "riskd.wait");
	bad("[riskd]\nidle_wait = 5 parsecs\n", L(2), "riskd.idle_wait");
	bad("[riskd]\nidle_wait = 2s\n", L(2), "riskd.idle_wait");
	bad("[riskd]\nhousekeeping = 100us\n", L(2), "riskd.housekeeping");
	bad("[riskd]\nrate = -1\n", L(2), "riskd.rate");
	bad("[riskd]\nrate = 0\n", L(2), "riskd.rate");
	bad("[riskd]\nrate = 1400\nrate_venue = upbit\n", L(3), "riskd.rate_venue");
	bad("[riskd]\nrate_venue = binance\n", L(2), "riskd.rate_venue");
	bad("[riskd]\nloss_limit = abc\n", L(2), "riskd.loss_limit");
	bad("[riskd]\ndrawdown_limit = 0.00001\n", L(2), "riskd.drawdown_limit");
	bad("[riskd]\nbreaker_count = 65\n", L(2), "riskd.breaker_count");
	bad("[riskd]\nbreaker_window = 0\n", L(2), "riskd.breaker_window");
	bad("[riskd]\nnet_exposure.BTC = -1\n", L(2), "riskd.net_exposure.BTC");
	bad("[risk.upbit]\nsize = 5\n", L(2), "risk.upbit.size");
	bad("[risk.binance]\nqty_max.XRP = 5\n", L(2), "risk.binance.qty_max.XRP");
	bad("[risk.upbit]\nenabled = maybe\n", L(2), "risk.upbit.enabled");
	bad("[risk.upbit]\ndisable = BTC DOGE\n", L(2), "risk.upbit.disable");
	bad("[risk.binance]\ndisable = USDT\n", L(2), "risk.binance.disable");
	bad("[risk.upbit]\nqty_max.BTC = 0\n", L(2), "risk.upbit.qty_max.BTC");
	bad("[risk.upbit]\nqty_max.BTC = 0.000000001\n", L(2), "risk.upbit.qty_max.BTC");
	bad("[risk.upbit]\nqty_min.BTC = 2\nqty_max.BTC = 1\n", L(3), "risk.upbit.qty_max.BTC");
	bad("[risk.binance]\nqty_max.BTC = 0.000001\n", L(2), "risk.binance.qty_max.BTC");
	bad("[risk.upbit]\nnotional_max = 1000\n", L(2), "risk.upbit.notional_max");
	bad("[risk.upbit]\nnotional_min = x\n", L(2), "risk.upbit.notional_min");
	bad("[risk.upbit]\nposition_min.BTC = 3\nposition_max.BTC = 2\n", L(3),
	    "risk.upbit.position_max.BTC");
	bad("[risk.upbit]\nposition_max.ETH = -1\n", L(2), "risk.upbit.position_max.ETH");
	bad("[risk.upbit]\nmax_open_orders = 5000\n", L(2), "risk.upbit.max_open_orders");
	bad("[risk.upbit]\nrate_day = -3\n", L(2), "risk.upbit.rate_day");
	bad("[risk.upbit]\nprice_band_bps = 10001\n", L(2), "risk.upbit.price_band_bps");
	bad("[risk.upbit]\nmax_slippage_bps = 1.5\n", L(2), "risk.upbit.max_slippage_bps");
	bad("[risk.upbit]\nmax_quote_age = 0\n", L(2), "risk.upbit.max_quote_age");
}

Test(riskd_conf, sections_and_sources_that_do_not_exist)
{
	cr_assert_eq(load("[risk.bybit]\nenabled = true\n"), -EINVAL);
	cr_assert(strstr(err, "rt.conf:18: section [risk.bybit]"), "%s", err);
	cr_assert_eq(load("[risk.nosuch]\n"), -EINVAL);
	cr_assert(strstr(err, "rt.conf:18: section [risk.nosuch]"), "%s", err);

	/* a USDT venue and nothing that gives the rate */
	struct kimp_conf *kc = NULL;
	cr_assert_eq(kimp_conf_parse("r2.conf",
				     "[engine]\ncoins = BTC\n[venue.binance]\n"
				     "[venue.upbit]\n",
				     &kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_conf_load(kc, &C, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "r2.conf: key 'riskd.rate'"), "%s", err);
	kimp_conf_free(kc);
	/* only KRW and USDT quotes convert */
	cr_assert_eq(kimp_conf_parse("r3.conf",
				     "[engine]\ncoins = BTC ETH\n[venue.binance]\nquote = BTC\n"
				     "coins = ETH\ntick.ETH = 0.00001\nstep.ETH = 0.001\n",
				     &kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_conf_load(kc, &C, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "r3.conf:4: key 'venue.binance.quote'"), "%s", err);
	kimp_conf_free(kc);
	/* tradeconf's own errors come through */
	cr_assert_eq(load("[balance.upbit]\nDOGE = 5\n"), -EINVAL);
	cr_assert(strstr(err, "rt.conf:"), "%s", err);
}

Test(riskd_conf, the_limits_are_printed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(load("[riskd]\nrate = 1400\nloss_limit = 500000\n"
			  "net_exposure.BTC = 0.5\n[risk.upbit]\nqty_max.BTC = 0.25\n"
			  "disable = XRP\n"), 0, "%s", err);
	riskd_conf_print(&C, f);
	fclose(f);
	cr_assert(strstr(buf, "KRW/USDT rate fixed at 1400\n"), "%s", buf);
	cr_assert(strstr(buf, "daily loss limit 500000 KRW, drawdown limit none,"), "%s", buf);
	cr_assert(strstr(buf, "net exposure across venues: BTC 0.5 ETH none"), "%s", buf);
	cr_assert(strstr(buf, "venue upbit (KRW, px_dec 2, qty_dec 8): enabled, open orders 32, "
			      "rates 10/s 300/min none/h none/day, price band 200 bps, slippage "
			      "cap 50 bps, quote age 2s"), "%s", buf);
	cr_assert(strstr(buf, "upbit BTC: qty 0.00000001..0.25, notional 5000..1000000000 KRW, "
			      "holdings none..none, start 2\n"), "%s", buf);
	cr_assert(strstr(buf, "upbit XRP DISABLED:"), "%s", buf);
	cr_assert(strstr(buf, "binance ETH: qty 0.0001..none, notional 5..none USDT"), "%s", buf);
	cr_assert(strstr(buf, "binance USDT start 1000000\n"), "%s", buf);
	free(buf);
}
