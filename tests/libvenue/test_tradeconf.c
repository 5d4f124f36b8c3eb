/* SPDX-License-Identifier: MIT */
/* Trading configuration (libvenue/tradeconf.c) and the venues' trading rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/tradeconf.h"

static char err[512];
static struct kimp_trade_conf T;

static int load(const char *text)
{
	struct kimp_conf *c = NULL;
	int e;

	err[0] = 0;
	cr_assert_eq(kimp_conf_parse("t.conf", text, &c, err, sizeof(err)), 0, "%s", err);
	e = kimp_trade_conf_load(c, &T, err, sizeof(err));
	kimp_conf_free(c);
	return e;
}

static const char *base_conf =
	"[engine]\ncoins = BTC ETH XRP USDT\n"
	"[venue.upbit]\n"
	"[venue.binance]\ncoins = BTC ETH XRP\n"
	"[balance.upbit]\nKRW = 1380000000\nBTC = 10\nUSDT = 1000.5\n"
	"[balance.binance]\nUSDT = 1000000\nETH = 285\n";

Test(tradeconf, defaults_come_from_libvenue)
{
	cr_assert_eq(load(base_conf), 0, "%s", err);
	cr_assert_eq(T.ncoins, 4);
	cr_assert_eq(kimp_trade_inst_id(&T, "XRP"), 3);
	cr_assert_eq(kimp_trade_inst_id(&T, "DOGE"), 0);

	const struct kimp_trade_venue *u = &T.venue[KIMP_VENUE_UPBIT];
	cr_assert(u->present && u->trading);
	cr_assert_str_eq(u->quote, "KRW");
	cr_assert_eq(u->px_dec, 8);
	cr_assert_eq(u->taker_fee_e8, 50000);
	cr_assert_float_eq(u->taker_fee, 0.0005, 1e-12);
	for (uint32_t i = 1; i <= 4; i++)
		cr_assert(u->inst[i].listed, "upbit inst %u", i);
	cr_assert_str_eq(u->inst[1].sym, "KRW-BTC");
	cr_assert_str_eq(u->inst[4].sym, "KRW-USDT");
	cr_assert_eq(u->balance_quote, 138000000000000000);
	cr_assert_eq(u->inst[1].balance, 1000000000);
	cr_assert_eq(u->inst[4].balance, 100050000000);
	cr_assert_eq(u->inst[1].rules.min_notional, 5000 * 100000000ll);
	cr_assert_eq(u->inst[1].rules.step, 1);

	const struct kimp_trade_venue *b = &T.venue[KIMP_VENUE_BINANCE];
	cr_assert(b->present);
	cr_assert_eq(b->taker_fee_e8, 100000);
	cr_assert_not(b->inst[4].listed);
	cr_assert_str_eq(b->inst[1].sym, "BTCUSDT");
	cr_assert_eq(b->inst[1].rules.tick, 1000000);      /* 0.01 */
	cr_assert_eq(b->inst[1].rules.step, 1000);         /* 0.00001 */
	cr_assert_eq(b->inst[3].rules.tick, 10000);        /* XRP 0.0001 */
	cr_assert_eq(b->inst[3].rules.step, 10000000);     /* XRP 0.1 */
	cr_assert_eq(b->inst[1].rules.min_notional, 500000000); /* 5 USDT */
	cr_assert_eq(b->balance_quote, 100000000000000);
	cr_assert_eq(b->inst[2].balance, 28500000000);
	cr_assert_eq(b->inst[1].balance, 0);
	cr_assert_not(T.venue[KIMP_VENUE_BYBIT].present);
}

Test(tradeconf, upbit_krw_tick_table_bands_both_sides)
{
	cr_assert_eq(load(base_conf), 0, "%s", err);
	const struct venue_inst_rules *btc = &T.venue[KIMP_VENUE_UPBIT].inst[1].rules;
	const struct venue_inst_rules *usdt = &T.venue[KIMP_VENUE_UPBIT].inst[4].rules;
	const int64_t K = 100000000;  /* 1 KRW at 8 decimals */
	struct { int64_t px, tick; } v[] = {
		{ 1000000 * K, 1000 * K }, { 999999 * K, 500 * K }, { 500000 * K, 500 * K },
		{ 499999 * K, 100 * K }, { 100000 * K, 100 * K }, { 99999 * K, 50 * K },
		{ 50000 * K, 50 * K }, { 49999 * K, 10 * K }, { 10000 * K, 10 * K },
		{ 9999 * K, 5 * K }, { 5000 * K, 5 * K }, { 4999 * K, K }, { 100 * K, K },
		{ 99 * K, K / 10 }, { 10 * K, K / 10 }, { 9 * K, K / 100 }, { K, K / 100 },
		{ K - 1, K / 1000 }, { 1000, 10 }, { 999, 1 }, { 1, 1 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_eq(venue_tick(btc, v[i].px, 8), v[i].tick, "px %lld",
			     (long long)v[i].px);
	/* KRW-USDT: 0.5 KRW in the 1,000..10,000 band only */
	cr_assert_eq(venue_tick(usdt, 1380 * K, 8), K / 2);
	cr_assert_eq(venue_tick(usdt, 1000 * K, 8), K / 2);
	cr_assert_eq(venue_tick(usdt, 999 * K, 8), K);
	cr_assert_eq(venue_tick(usdt, 10000 * K, 8), 10 * K);
	/* at 0 decimals a fractional tick becomes the scale's unit */
	cr_assert_eq(venue_tick(btc, 50, 0), 1);
	cr_assert_eq(venue_tick(btc, 1380000, 0), 1000);
}

Test(tradeconf, overrides_and_trading_switch)
{
	cr_assert_eq(load("[engine]\ncoins = BTC SOLX\n"
			  "[venue.binance]\ntrading = false\ntaker_fee = 0.00075\n"
			  "tick.BTC = 0.1\ntick.SOLX = 0.001\nstep.SOLX = 0.01\n"
			  "min_notional = 10\nmax_notional = 100000\npx_dec = 4\nqty_dec = 6\n"), 0,
		     "%s", err);
	const struct kimp_trade_venue *b = &T.venue[KIMP_VENUE_BINANCE];
	cr_assert_not(b->trading);
	cr_assert_eq(b->taker_fee_e8, 75000);
	cr_assert_eq(b->inst[1].rules.tick, 1000);
	cr_assert_eq(b->inst[1].rules.step, 10);
	cr_assert_eq(b->inst[2].rules.tick, 10);
	cr_assert_eq(b->inst[2].rules.step, 10000);
	cr_assert_eq(b->inst[2].rules.min_qty, 10000);
	cr_assert_eq(b->inst[2].rules.min_notional, 100000);
	cr_assert_eq(b->inst[2].rules.max_notional, 1000000000);
}

struct bad {
	const char *text, *want;
};

Test(tradeconf, every_bad_value_names_file_line_and_key)
{
	static const struct bad bad[] = {
		{ "[venue.upbit]\n", "t.conf: key 'engine.coins': missing" },
		{ "[engine]\ncoins = btc\n", "t.conf:2: key 'engine.coins': upper-case" },
		{ "[engine]\ncoins = BTC\n[venue.kraken]\n", "t.conf:3: section [venue.kraken]: unknown venue 'kraken'" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\ncoins = ETH\n", "t.conf:4: key 'venue.binance.coins': ETH is not in engine.coins" },
		{ "[engine]\ncoins = BTC DOGX\n[venue.binance]\n", "t.conf:3: section [venue.binance]: no tick known for DOGXUSDT: set venue.binance.tick.DOGX" },
		{ "[engine]\ncoins = DOGX\n[venue.binance]\ntick.DOGX = 0.1\n", "t.conf:3: section [venue.binance]: no quantity step known for DOGXUSDT" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\ntick.BTC = 0.000000001\n", "t.conf:4: key 'venue.binance.tick.BTC': '0.000000001' is not a decimal >= 0 with at most 8 decimals" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\ntick.BTC = 0\n", "t.conf:4: key 'venue.binance.tick.BTC': must be above 0" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\nstep.BTC = -1\n", "t.conf:4: key 'venue.binance.step.BTC': '-1' is not a decimal" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\ntaker_fee = 0.2\n", "t.conf:4: key 'venue.binance.taker_fee': '0.2' is not a fee rate" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\nmaker_fee = x\n", "t.conf:4: key 'venue.binance.maker_fee': 'x' is not a fee rate" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\npx_dec = 19\n", "t.conf:4: key 'venue.binance.px_dec': at most 18 decimals" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\npx_dec = 1\n", "t.conf:3: section [venue.binance]: BTCUSDT's published tick or step is finer than px_dec 1" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\ntrading = maybe\n", "t.conf:4: key 'venue.binance.trading'" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\n[balance.binance]\nKRW = 5\n", "t.conf:5: key 'balance.binance.KRW': unknown key (an asset of binance: its quote USDT or one of its coins)" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\n[balance.binance]\nBTC = 1.123456789\n", "t.conf:5: key 'balance.binance.BTC': '1.123456789' is not a decimal >= 0 with at most 8 decimals" },
		{ "[engine]\ncoins = BTC\n[balance.upbit]\nKRW = 5\n", "t.conf:3: section [balance.upbit]: no [venue.upbit] section for it" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(load(bad[i].text), -EINVAL, "case %zu accepted", i);
		cr_assert(!strncmp(err, bad[i].want, strlen(bad[i].want)), "case %zu: got '%s', want '%s...'",
			  i, err, bad[i].want);
	}
}

Test(tradeconf, feedd_venue_keys_include_the_trading_keys)
{
	/* a [venue.X] section with every trading key passes feedd's key check */
	struct kimp_conf *c = NULL;
	cr_assert_eq(kimp_conf_parse("t.conf", "[venue.binance]\ntaker_fee = 0.001\nmaker_fee = 0.001\n"
				     "trading = true\ntick.BTC = 0.01\nstep.BTC = 0.001\n"
				     "min_notional = 5\nmax_notional = 9\n", &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_check_keys(c, "venue.binance", kimp_trade_venue_keys, err, sizeof(err)), 0,
		     "%s", err);
	kimp_conf_free(c);
}

/* inst_code.COIN: the venue's numeric instrument id (OKX instIdCode), 0 unset. */
Test(tradeconf, inst_code_per_coin)
{
	cr_assert_eq(load("[engine]\ncoins = BTC ETH USDT\n"
			  "[venue.binance]\ncoins = BTC ETH\ninst_code.BTC = 10459\n"
			  "tick.BTC = 0.01\nstep.BTC = 0.00001\n"),
		     0, "%s", err);
	cr_assert_eq(T.venue[KIMP_VENUE_BINANCE].inst[1].code, 10459);
	cr_assert_eq(T.venue[KIMP_VENUE_BINANCE].inst[2].code, 0);
	cr_assert_eq(load("[engine]\ncoins = BTC USDT\n"
			  "[venue.binance]\ncoins = BTC\ninst_code.BTC = -3\n"),
		     -EINVAL);
	cr_assert(strstr(err, "t.conf:") && strstr(err, "inst_code.BTC"), "%s", err);
}
