/* SPDX-License-Identifier: MIT */
/*
 * The scenario file (sim/scenario.c): the built-in defaults, every file in
 * sim/scenarios, each section's keys and checks, and run-time fault text.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../sim/sim.h"

static char dir[64];
static char path[128];
static char err[512];
static struct sim_scenario sc;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kimp-scn-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.scn", dir);
	err[0] = 0;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(scenario, .init = setup, .fini = teardown);

static void put(const char *name, const char *text, mode_t mode)
{
	char p[192];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(p, mode), 0);
}

/* Load text as dir/t.scn; it must load. */
static void load_ok(const char *text)
{
	int ret;

	put("t.scn", text, 0644);
	ret = sim_scenario_load(&sc, path, err, sizeof(err));
	cr_assert_eq(ret, 0, "load: %d %s", ret, err);
}

/* Load text as dir/t.scn; it must fail with -EINVAL and "t.scn:LINE: msg". */
static void load_fails(const char *text, unsigned line, const char *msg)
{
	char want[512];
	int ret;

	put("t.scn", text, 0644);
	err[0] = 0;
	ret = sim_scenario_load(&sc, path, err, sizeof(err));
	cr_assert_eq(ret, -EINVAL, "<%s> gave %d (%s)", text, ret, err);
	snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	cr_assert_str_eq(err, want);
}

static sim_fx bal(const struct sim_account_cfg *a, const char *asset)
{
	for (uint32_t i = 0; i < a->nbal; i++)
		if (!strcmp(a->bal[i].asset, asset))
			return a->bal[i].amount;
	return -1;
}

/* ---- defaults ------------------------------------------------------------------ */

Test(scenario, defaults)
{
	sim_scenario_defaults(&sc);
	cr_assert_str_eq(sc.path, "");
	cr_assert_eq(sc.seed, 1);
	cr_assert_eq(sc.step_ns, 10000000);
	cr_assert_eq(sc.usdkrw_start, 1380.0);
	cr_assert_eq(sc.premium.mean, 0.02);
	cr_assert_eq(sc.premium.vol, 0.0003);
	cr_assert_eq(sc.premium.revert, 0.05);
	cr_assert_eq(sc.premium.jump_rate, 0.01);
	cr_assert_eq(sc.premium.jump_size, 0.003);
	cr_assert_eq(sc.ncoins, 3);
	cr_assert_str_eq(sc.coins[0].name, "BTC");
	cr_assert_eq(sc.coins[0].start_usdt, 100000.0);
	cr_assert_str_eq(sc.coins[1].name, "ETH");
	cr_assert_eq(sc.coins[1].start_usdt, 3500.0);
	cr_assert_str_eq(sc.coins[2].name, "XRP");
	cr_assert_eq(sc.coins[2].start_usdt, 2.5);

	cr_assert_eq(sc.nvenues, 6);
	cr_assert_str_eq(sc.venues[0].name, "upbit");
	cr_assert(sc.venues[0].enabled);
	cr_assert_eq(sc.venues[0].maker_fee, 0.0005);
	cr_assert_eq(sc.venues[0].taker_fee, 0.0005);
	cr_assert_eq(sc.venues[0].publish_ns, 100000000);
	cr_assert_eq(sc.venues[0].depth, 30);
	cr_assert_str_eq(sc.venues[1].name, "binance");
	cr_assert_eq(sc.venues[1].maker_fee, 0.001);
	cr_assert_eq(sc.venues[1].taker_fee, 0.001);
	cr_assert_eq(sc.venues[1].publish_ns, sc.step_ns);
	cr_assert_eq(sc.venues[1].depth, 100);
	cr_assert_eq(sc.venues[1].recv_window_ms, 5000);
	/* the later four exist, off until a scenario's section turns them on */
	static const char *const later[] = { "bithumb", "coinone", "bybit", "okx" };
	for (unsigned v = 2; v < 6; v++) {
		cr_assert_str_eq(sc.venues[v].name, later[v - 2]);
		cr_assert(!sc.venues[v].enabled, "%s", later[v - 2]);
	}
	for (unsigned v = 0; v < 6; v++)
		cr_assert(!sc.venues[v].rest_port && !sc.venues[v].ws_port &&
			  !sc.venues[v].api_port);

	cr_assert_eq(sc.naccounts, 6);
	cr_assert_str_eq(sc.accounts[0].venue, "upbit");
	cr_assert_str_eq(sc.accounts[0].key, "exsimUpbitAccessKey000000000000000000000");
	cr_assert_str_eq(sc.accounts[0].secret, "exsimUpbitSecretKey000000000000000000000");
	cr_assert_eq(bal(&sc.accounts[0], "KRW"), 1380000000LL * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[0], "USDT"), 1000000LL * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[0], "BTC"), 10 * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[0], "ETH"), 285 * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[0], "XRP"), 400000 * SIM_SCALE);
	cr_assert_str_eq(sc.accounts[1].venue, "binance");
	cr_assert_eq(strlen(sc.accounts[1].key), 64);
	cr_assert_eq(strlen(sc.accounts[1].secret), 64);
	cr_assert_eq(bal(&sc.accounts[1], "KRW"), -1, "no KRW on a USDT venue");
	cr_assert_eq(bal(&sc.accounts[1], "USDT"), 1000000LL * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[1], "BTC"), 10 * SIM_SCALE);

	cr_assert_eq(sc.nfaults, 0);
	cr_assert(sc.control);
	cr_assert_eq(sc.control_port, 0);
	cr_assert_eq(sc.replay_speed, 1.0);
	cr_assert_str_eq(sc.ledger_path, "");
	cr_assert_str_eq(sc.replay_path, "");
}

Test(scenario, default_state_dir_follows_xdg_runtime_dir)
{
	char want[64];

	cr_assert_eq(setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1), 0);
	sim_scenario_defaults(&sc);
	cr_assert_str_eq(sc.state_dir, "/run/user/4242/kimp-exsim");
	cr_assert_eq(unsetenv("XDG_RUNTIME_DIR"), 0);
	sim_scenario_defaults(&sc);
	snprintf(want, sizeof(want), "/tmp/kimp-exsim-%u", (unsigned)getuid());
	cr_assert_str_eq(sc.state_dir, want);
	cr_assert_eq(setenv("XDG_RUNTIME_DIR", "relative", 1), 0);
	sim_scenario_defaults(&sc);
	cr_assert_str_eq(sc.state_dir, want, "a relative XDG_RUNTIME_DIR is ignored");
}

Test(scenario, null_path_is_the_defaults)
{
	struct sim_scenario def;

	memset(&sc, 0x5a, sizeof(sc));
	cr_assert_eq(sim_scenario_load(&sc, NULL, err, sizeof(err)), 0);
	sim_scenario_defaults(&def);
	cr_assert_eq(memcmp(&sc, &def, sizeof(sc)), 0);
}

/* ---- the shipped scenarios ---------------------------------------------------- */

Test(scenario, every_shipped_scenario_loads)
{
	glob_t g;
	size_t seen = 0;

	cr_assert_eq(glob("sim/scenarios/*.scn", 0, NULL, &g), 0, "run from the repo root");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int ret = sim_scenario_load(&sc, g.gl_pathv[i], err, sizeof(err));

		cr_expect_eq(ret, 0, "%s: %s", g.gl_pathv[i], err);
		cr_expect_str_eq(sc.path, g.gl_pathv[i]);
		seen++;
	}
	globfree(&g);
	cr_assert_geq(seen, 4, "default, quiet, load and faults");
}

Test(scenario, default_scn_is_the_defaults)
{
	struct sim_scenario def;

	cr_assert_eq(sim_scenario_load(&sc, "sim/scenarios/default.scn", err, sizeof(err)), 0,
		     "%s", err);
	sim_scenario_defaults(&def);
	memcpy(def.path, sc.path, sizeof(def.path));
	cr_assert_eq(memcmp(&sc, &def, sizeof(sc)), 0,
		     "default.scn must write out exactly the built-in defaults");
}

Test(scenario, faults_scn_has_every_kind_in_time_order)
{
	bool seen[SIM_FAULT_KIND_COUNT] = { false };

	cr_assert_eq(sim_scenario_load(&sc, "sim/scenarios/faults.scn", err, sizeof(err)), 0,
		     "%s", err);
	for (uint32_t i = 0; i < sc.nfaults; i++) {
		seen[sc.faults[i].kind] = true;
		if (i)
			cr_assert_leq(sc.faults[i - 1].at_ns, sc.faults[i].at_ns);
	}
	for (int k = SIM_FAULT_NONE + 1; k < SIM_FAULT_KIND_COUNT; k++)
		cr_expect(seen[k], "faults.scn has no %s fault", sim_fault_name(k));
}

Test(scenario, load_scn_sets_a_load_rate)
{
	cr_assert_eq(sim_scenario_load(&sc, "sim/scenarios/load.scn", err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(sc.load_rate, 1000000);
}

/* ---- [exsim] and [market] ------------------------------------------------------- */

Test(scenario, exsim_and_market_keys)
{
	char want[256];

	load_ok("[exsim]\n"
		"seed = 99\n"
		"step = 5ms\n"
		"state_dir = state\n"
		"ledger = /var/tmp/l.jsonl\n"
		"control = off\n"
		"control_port = 9100\n"
		"load_rate = 2000\n"
		"replay = cap/x.cap\n"
		"replay_speed = 0\n"
		"[market]\n"
		"usdkrw = 1400.5\n"
		"usdkrw_vol = 0.1\n"
		"premium_mean = -0.01\n"
		"premium_vol = 0.003\n"
		"premium_revert = 0.5\n"
		"jump_rate = 0\n"
		"jump_size = 0.01\n"
		"oppo_margin = 0.002\n"
		"oppo_size_usdt = 500\n");
	cr_assert_str_eq(sc.path, path);
	cr_assert_eq(sc.seed, 99);
	cr_assert_eq(sc.step_ns, 5000000);
	snprintf(want, sizeof(want), "%s/state", dir);
	cr_assert_str_eq(sc.state_dir, want, "relative to the file's directory");
	cr_assert_str_eq(sc.ledger_path, "/var/tmp/l.jsonl");
	cr_assert(!sc.control);
	cr_assert_eq(sc.control_port, 9100);
	cr_assert_eq(sc.load_rate, 2000);
	snprintf(want, sizeof(want), "%s/cap/x.cap", dir);
	cr_assert_str_eq(sc.replay_path, want);
	cr_assert_eq(sc.replay_speed, 0.0);
	cr_assert_eq(sc.usdkrw_start, 1400.5);
	cr_assert_eq(sc.usdkrw_vol, 0.1);
	cr_assert_eq(sc.premium.mean, -0.01);
	cr_assert_eq(sc.premium.vol, 0.003);
	cr_assert_eq(sc.premium.revert, 0.5);
	cr_assert_eq(sc.premium.jump_rate, 0.0);
	cr_assert_eq(sc.premium.jump_size, 0.01);
	cr_assert_eq(sc.oppo_margin, 0.002);
	cr_assert_eq(sc.oppo_size_usdt, 500.0);
	cr_assert_eq(sc.venues[1].publish_ns, 5000000, "binance publishes every step");
	cr_assert_eq(bal(&sc.accounts[0], "KRW"), 1400500000LL * SIM_SCALE,
		     "default accounts follow the rate");
}

Test(scenario, unknown_keys_and_sections)
{
	load_fails("[exsim]\nseed = 1\nsede = 2\n", 3, "key 'exsim.sede': unknown key");
	load_fails("[exsim]\nseed = 1\n[markte]\nusdkrw = 1\n", 4,
		   "key 'markte.usdkrw': unknown key (unknown section; sections are [exsim], "
		   "[market], [coin.NAME], [venue.NAME], [account.NAME] and [fault.NAME])");
	load_fails("seed = 1\n", 1,
		   "key 'seed': unknown key (keys go in a section; sections are [exsim], "
		   "[market], [coin.NAME], [venue.NAME], [account.NAME] and [fault.NAME])");
	load_fails("[coin.]\nvol = 1\n", 2,
		   "key 'coin..vol': unknown key (unknown section; sections are [exsim], "
		   "[market], [coin.NAME], [venue.NAME], [account.NAME] and [fault.NAME])");
	load_fails("[market]\nusdkrw = 1\n[coin.BTC]\nvol = 1\nprice = 3\n", 5,
		   "key 'coin.BTC.price': unknown key");
}

Test(scenario, value_errors)
{
	load_fails("[exsim]\nseed = -1\n", 2, "key 'exsim.seed': not a number: '-1'");
	load_fails("[exsim]\nstep = 10\n", 2,
		   "key 'exsim.step': 10ns is not in [100us, 10s]");
	load_fails("[exsim]\nstep = 11s\n", 2,
		   "key 'exsim.step': 11s is not in [100us, 10s]");
	load_fails("[exsim]\ncontrol_port = 65536\n", 2,
		   "key 'exsim.control_port': 65536 is not in [0, 65535]");
	load_fails("[exsim]\nstate_dir =\n", 2, "key 'exsim.state_dir': empty");
	load_fails("[exsim]\nreplay_speed = -1\n", 2,
		   "key 'exsim.replay_speed': -1 is not in [0, 1e+06]");
	load_fails("[market]\nusdkrw = 0\n", 2, "key 'market.usdkrw': 0 is not in (0, 1e+06]");
	load_fails("[market]\nusdkrw = inf\n", 2, "key 'market.usdkrw': not a finite number");
	load_fails("[market]\npremium_vol = x\n", 2,
		   "key 'market.premium_vol': not a number: 'x'");
	load_fails("[exsim]\ncontrol = maybe\n", 2, "key 'exsim.control': not a boolean "
		   "(true/false, yes/no, on/off, 1/0): 'maybe'");
}

Test(scenario, path_too_long_and_missing_file)
{
	char longpath[400];
	int ret;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	cr_assert_eq(sim_scenario_load(&sc, longpath, err, sizeof(err)), -ENAMETOOLONG);
	cr_assert(strstr(err, "path longer than 255 bytes"), "%s", err);
	ret = sim_scenario_load(&sc, "/nonexistent/x.scn", err, sizeof(err));
	cr_assert_eq(ret, -ENOENT);
	cr_assert_str_eq(err, "/nonexistent/x.scn: cannot open: No such file or directory");
}

Test(scenario, a_failed_load_leaves_the_scenario_alone)
{
	struct sim_scenario before;

	memset(&sc, 0x33, sizeof(sc));
	memcpy(&before, &sc, sizeof(sc));
	put("t.scn", "[exsim]\nseed = 5\n[market]\nusdkrw = -3\n", 0644);
	cr_assert_eq(sim_scenario_load(&sc, path, err, sizeof(err)), -EINVAL);
	cr_assert_eq(memcmp(&sc, &before, sizeof(sc)), 0);
}

/* ---- coins ------------------------------------------------------------------ */

Test(scenario, coins_replace_the_defaults_in_file_order)
{
	load_ok("[coin.SOL]\nstart_usdt = 180\nvol = 0.9\n"
		"[coin.BTC]\ndepth_usdt = 1000\n");
	cr_assert_eq(sc.ncoins, 2);
	cr_assert_str_eq(sc.coins[0].name, "SOL");
	cr_assert_eq(sc.coins[0].start_usdt, 180.0);
	cr_assert_eq(sc.coins[0].vol, 0.9);
	cr_assert_gt(sc.coins[0].depth_usdt, 0.0, "a new coin gets a default depth");
	cr_assert_str_eq(sc.coins[1].name, "BTC");
	cr_assert_eq(sc.coins[1].start_usdt, 100000.0, "built-in price kept");
	cr_assert_eq(sc.coins[1].depth_usdt, 1000.0);
	cr_assert_eq(bal(&sc.accounts[1], "SOL"), 5555 * SIM_SCALE,
		     "default accounts hold the file's coins");
	cr_assert_eq(bal(&sc.accounts[1], "ETH"), -1);
}

Test(scenario, coin_errors)
{
	load_fails("[coin.DOGE]\nvol = 1\n", 2,
		   "key 'coin.DOGE.start_usdt': required for a coin exsim has no built-in "
		   "price for (built in: BTC, ETH, XRP)");
	load_fails("[coin.btc]\nvol = 1\n", 2,
		   "section [coin.btc]: coin names are upper-case letters and digits ('BTC')");
	load_fails("[coin.KRW]\nstart_usdt = 1\n", 2,
		   "section [coin.KRW]: KRW is a quote currency, not a coin");
	load_fails("[coin.ABCDEFGHIJKL]\nstart_usdt = 1\n", 2,
		   "section [coin.ABCDEFGHIJKL]: coin name longer than 11 characters");
	load_fails("[coin.BTC]\nstart_usdt = 0\n", 2,
		   "key 'coin.BTC.start_usdt': 0 is not in (0, 1e+09]");
}

Test(scenario, at_most_max_coins)
{
	char text[4096];
	size_t n = 0;

	for (int i = 0; i <= SIM_MAX_COINS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[coin.C%d]\nstart_usdt = 1\n", i);
	load_fails(text, 2 * SIM_MAX_COINS + 2, "section [coin.C16]: more than 16 coins");
}

/* ---- venues ------------------------------------------------------------------ */

Test(scenario, venue_keys)
{
	load_ok("[venue.binance]\n"
		"enabled = no\n"
		"rest_port = 8443\n"
		"ws_port = 9443\n"
		"api_port = 9444\n"
		"order_latency = 250us\n"
		"publish = 100ms\n"
		"depth = 1000\n"
		"maker_fee = 0\n"
		"taker_fee = 0.0099\n"
		"recv_window = 10s\n");
	cr_assert(!sc.venues[1].enabled);
	cr_assert_eq(sc.venues[1].rest_port, 8443);
	cr_assert_eq(sc.venues[1].ws_port, 9443);
	cr_assert_eq(sc.venues[1].api_port, 9444);
	cr_assert_eq(sc.venues[1].order_latency_ns, 250000);
	cr_assert_eq(sc.venues[1].publish_ns, 100000000);
	cr_assert_eq(sc.venues[1].depth, 1000);
	cr_assert_eq(sc.venues[1].maker_fee, 0.0);
	cr_assert_eq(sc.venues[1].taker_fee, 0.0099);
	cr_assert_eq(sc.venues[1].recv_window_ms, 10000);
	cr_assert(sc.venues[0].enabled, "upbit untouched");
}

/* The later venues: a [venue.NAME] section turns one on, enabled = false keeps it off. */
Test(scenario, later_venues_on_by_section)
{
	load_ok("[venue.okx]\ndepth = 50\n[venue.bybit]\nenabled = false\n");
	cr_assert(sc.venues[5].enabled && sc.venues[5].depth == 50);
	cr_assert(!sc.venues[4].enabled);
	cr_assert(!sc.venues[2].enabled && !sc.venues[3].enabled);
	cr_assert(sc.venues[0].enabled && sc.venues[1].enabled);
}

Test(scenario, venue_errors)
{
	load_fails("[venue.bitmex]\ndepth = 5\n", 2,
		   "section [venue.bitmex]: unknown venue 'bitmex' (exsim speaks upbit, binance, "
		   "bithumb, coinone, bybit, okx)");
	load_fails("[venue.upbit]\ndepth = 0\n", 2,
		   "key 'venue.upbit.depth': 0 is not in [1, 1000]");
	load_fails("[venue.upbit]\ndepth = 1001\n", 2,
		   "key 'venue.upbit.depth': 1001 is not in [1, 1000]");
	load_fails("[venue.upbit]\nmaker_fee = 0.01\n", 2,
		   "key 'venue.upbit.maker_fee': 0.01 is not in [0, 0.01)");
	load_fails("[venue.upbit]\ntaker_fee = -0.0001\n", 2,
		   "key 'venue.upbit.taker_fee': -0.0001 is not in [0, 0.01)");
	load_fails("[venue.upbit]\nws_port = 70000\n", 2,
		   "key 'venue.upbit.ws_port': 70000 is not in [0, 65535]");
	load_fails("[venue.binance]\nrecv_window = 5000\n", 2,
		   "key 'venue.binance.recv_window': not a whole number of milliseconds "
		   "(write it with a unit: 5000ms)");
	load_fails("[venue.binance]\npublish = 1ms\n", 2,
		   "key 'venue.binance.publish': 1ms is shorter than the step 10ms");
	load_fails("[exsim]\nstep = 200ms\n", 2,
		   "key 'exsim.step': 200ms is longer than upbit's publish period 100ms "
		   "(set venue.upbit.publish)");
	load_fails("[exsim]\ncontrol_port = 9000\n[venue.upbit]\nrest_port = 9001\n"
		   "[venue.binance]\nws_port = 9001\n", 6,
		   "key 'venue.binance.ws_port': port 9001 is also venue.upbit.rest_port");
	load_fails("[exsim]\ncontrol_port = 9000\n[venue.upbit]\napi_port = 9000\n", 4,
		   "key 'venue.upbit.api_port': port 9000 is also exsim.control_port");
}

Test(scenario, disabled_venues_and_control_do_not_claim_ports)
{
	load_ok("[exsim]\ncontrol = false\ncontrol_port = 9000\n"
		"[venue.upbit]\nrest_port = 9000\n"
		"[venue.binance]\nenabled = false\nrest_port = 9000\n");
	cr_assert_eq(sc.venues[0].rest_port, 9000);
}

/* ---- accounts ------------------------------------------------------------------ */

Test(scenario, accounts_replace_the_defaults_with_exact_balances)
{
	load_ok("[account.a]\n"
		"venue = upbit\n"
		"key = AK1\n"
		"secret = SK1\n"
		"balance.KRW = 100000000\n"
		"balance.BTC = 1.5\n"
		"balance.XRP = 0.00000001\n"
		"balance.USDT = 1e-8\n"
		"[account.b]\n"
		"venue = binance\n"
		"key = AK2\n"
		"secret = SK2\n"
		"balance.ETH = 0.1\n");
	cr_assert_eq(sc.naccounts, 2);
	cr_assert_str_eq(sc.accounts[0].venue, "upbit");
	cr_assert_str_eq(sc.accounts[0].key, "AK1");
	cr_assert_str_eq(sc.accounts[0].secret, "SK1");
	cr_assert_eq(sc.accounts[0].nbal, 4);
	cr_assert_eq(bal(&sc.accounts[0], "KRW"), 100000000LL * SIM_SCALE);
	cr_assert_eq(bal(&sc.accounts[0], "BTC"), 150000000);
	cr_assert_eq(bal(&sc.accounts[0], "XRP"), 1);
	cr_assert_eq(bal(&sc.accounts[0], "USDT"), 1);
	cr_assert_eq(bal(&sc.accounts[1], "ETH"), 10000000, "0.1 exactly");
	cr_assert_eq(sc.accounts[1].nbal, 1);
}

Test(scenario, secret_file)
{
	char want[SIM_KEY_MAX];

	put("sk", "file-secret-123\n", 0600);
	load_ok("[account.a]\nvenue = binance\nkey = K\nsecret_file = sk\n");
	cr_assert_str_eq(sc.accounts[0].secret, "file-secret-123",
			 "relative to the scenario, newline dropped");
	snprintf(want, sizeof(want), "[account.a]\nvenue = binance\nkey = K\n"
		 "secret_file = %s/sk\n", dir);
	load_ok(want);
	cr_assert_str_eq(sc.accounts[0].secret, "file-secret-123", "an absolute path");
}

Test(scenario, secret_file_errors_name_the_key_and_the_path)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/nope': No such file "
		 "or directory", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = nope\n", 4, msg);

	put("open", "s3cret\n", 0640);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/open': group or "
		 "others may access it (mode 0640; chmod 600 it)", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = open\n", 4, msg);

	put("world", "s3cret\n", 0604);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/world': group or "
		 "others may access it (mode 0604; chmod 600 it)", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = world\n", 4, msg);

	put("empty", "\n", 0600);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/empty': empty", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = empty\n", 4, msg);

	put("two", "a b\n", 0600);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/two': not one line of "
		 "printable characters", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = two\n", 4, msg);

	put("lines", "abc\ndef\n", 0600);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/lines': not one line "
		 "of printable characters", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = lines\n", 4, msg);

	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/.': not a regular file",
		 dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = .\n", 4, msg);
}

Test(scenario, secret_file_too_long)
{
	char text[SIM_KEY_MAX + 8], msg[300];

	memset(text, 'x', SIM_KEY_MAX);
	text[SIM_KEY_MAX] = 0;
	put("long", text, 0600);
	snprintf(msg, sizeof(msg), "key 'account.a.secret_file': '%s/long': longer than "
		 "127 bytes", dir);
	load_fails("[account.a]\nvenue = binance\nkey = K\nsecret_file = long\n", 4, msg);
	text[SIM_KEY_MAX - 1] = 0;
	put("fits", text, 0600);
	load_ok("[account.a]\nvenue = binance\nkey = K\nsecret_file = fits\n");
	cr_assert_eq(strlen(sc.accounts[0].secret), SIM_KEY_MAX - 1);
}

Test(scenario, account_errors)
{
	load_fails("[account.a]\nkey = K\nsecret = S\n", 2, "key 'account.a.venue': required");
	load_fails("[account.a]\nvenue = kraken\nkey = K\nsecret = S\n", 2,
		   "key 'account.a.venue': unknown venue 'kraken' (exsim speaks upbit, binance, "
		   "bithumb, coinone, bybit, okx)");
	load_fails("[account.a]\nvenue = upbit\nsecret = S\n", 2, "key 'account.a.key': required");
	load_fails("[account.a]\nvenue = upbit\nkey = K\n", 2,
		   "key 'account.a.secret': required (or secret_file)");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\nsecret_file = f\n", 5,
		   "key 'account.a.secret_file': give secret or secret_file, not both");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\n"
		   "[account.b]\nvenue = upbit\nkey = K\nsecret = T\n", 7,
		   "key 'account.b.key': another account on upbit has this key");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\nbalance.BTC = 0.123456789\n",
		   5, "key 'account.a.balance.BTC': '0.123456789' has more than 8 decimals");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\nbalance.BTC = -1\n",
		   5, "key 'account.a.balance.BTC': '-1' is negative");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\nbalance.BTC = 1,5\n",
		   5, "key 'account.a.balance.BTC': '1,5' is not a decimal number");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\n"
		   "balance.KRW = 100000000000000000000\n",
		   5, "key 'account.a.balance.KRW': '100000000000000000000' is out of range");
	load_fails("[account.a]\nvenue = upbit\nkey = K\nsecret = S\nbalance.DOGE = 1\n",
		   5, "key 'account.a.balance.DOGE': unknown key (an account has venue, key, "
		   "secret or secret_file, and balance.ASSET for KRW, USDT and the scenario's "
		   "coins)");
}

Test(scenario, at_most_max_accounts)
{
	char text[8192];
	size_t n = 0;

	for (int i = 0; i <= SIM_MAX_ACCOUNTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[account.a%d]\nvenue = upbit\nkey = K%d\nsecret = S\n", i, i);
	load_fails(text, 4 * SIM_MAX_ACCOUNTS + 2, "section [account.a16]: more than 16 accounts");
}

/* ---- faults ------------------------------------------------------------------ */

Test(scenario, faults_sorted_by_time_stable)
{
	load_ok("[fault.late]\nat = 5s\nkind = gap\nvenue = binance\ncount = 3\n"
		"[fault.first]\nat = 1s\nkind = stall\nduration = 2s\n"
		"[fault.also_late]\nat = 5s\nkind = delay\nvenue = upbit\nduration = 1s\n"
		"delay = 20ms\n"
		"[fault.skew]\nkind = clock_skew\nvenue = binance\nskew = -1500\n");
	cr_assert_eq(sc.nfaults, 4);
	cr_assert_eq(sc.faults[0].kind, SIM_FAULT_CLOCK_SKEW);
	cr_assert_eq(sc.faults[0].at_ns, 0, "no 'at': at the start");
	cr_assert_eq(sc.faults[0].skew_ms, -1500);
	cr_assert_eq(sc.faults[1].kind, SIM_FAULT_STALL);
	cr_assert_str_eq(sc.faults[1].venue, "", "every venue");
	cr_assert_eq(sc.faults[1].duration_ns, 2000000000);
	cr_assert_eq(sc.faults[2].kind, SIM_FAULT_GAP, "file order at equal times");
	cr_assert_eq(sc.faults[2].count, 3);
	cr_assert_str_eq(sc.faults[2].venue, "binance");
	cr_assert_eq(sc.faults[3].kind, SIM_FAULT_DELAY);
	cr_assert_eq(sc.faults[3].delay_ns, 20000000);
	cr_assert_eq(sc.faults[3].at_ns, 5000000000);
}

Test(scenario, fault_errors)
{
	load_fails("[fault.x]\nat = 1s\n", 2,
		   "key 'fault.x.kind': required (disconnect, stall, gap, malformed, truncate, "
		   "drop_response, delay, http_5xx, burst_429, clock_skew, ban)");
	load_fails("[fault.x]\nkind = explode\n", 2,
		   "key 'fault.x.kind': unknown fault 'explode' (disconnect, stall, gap, "
		   "malformed, truncate, drop_response, delay, http_5xx, burst_429, "
		   "clock_skew, ban)");
	load_fails("[fault.x]\nkind = none\n", 2,
		   "key 'fault.x.kind': unknown fault 'none' (disconnect, stall, gap, "
		   "malformed, truncate, drop_response, delay, http_5xx, burst_429, "
		   "clock_skew, ban)");
	load_fails("[fault.x]\nkind = gap\nvenue = kraken\n", 3,
		   "key 'fault.x.venue': unknown venue 'kraken' (exsim speaks upbit, binance, "
		   "bithumb, coinone, bybit, okx; "
		   "leave it out for every venue)");
	load_fails("[fault.x]\nkind = stall\n", 2,
		   "key 'fault.x.duration': required by a stall fault");
	load_fails("[fault.x]\nkind = delay\nduration = 1s\n", 2,
		   "key 'fault.x.delay': required by a delay fault");
	load_fails("[fault.x]\nkind = gap\nduration = 1s\n", 3,
		   "key 'fault.x.duration': not used by a gap fault");
	load_fails("[fault.x]\nkind = disconnect\ncount = 2\n", 3,
		   "key 'fault.x.count': not used by a disconnect fault");
	load_fails("[fault.x]\nkind = gap\ncount = 0\n", 3,
		   "key 'fault.x.count': 0 is not in [1, 1000000]");
	load_fails("[fault.x]\nkind = clock_skew\nskew = 1.5\n", 3,
		   "key 'fault.x.skew': '1.5' is not a whole number of milliseconds within a day");
	load_fails("[fault.x]\nkind = clock_skew\nskew = 86400001\n", 3,
		   "key 'fault.x.skew': '86400001' is not a whole number of milliseconds "
		   "within a day");
	load_fails("[fault.x]\nkind = clock_skew\nskew = ms\n", 3,
		   "key 'fault.x.skew': 'ms' is not a whole number of milliseconds");
	load_fails("[fault.x]\nkind = delay\nduration = 1s\ndelay = 61s\n", 4,
		   "key 'fault.x.delay': 61s is not in [0ns, 60s]");
	load_fails("[fault.x]\nkind = gap\nat = soon\n", 3,
		   "key 'fault.x.at': not a duration (a number with unit ns, us, ms or s): 'soon'");
}

Test(scenario, at_most_max_faults)
{
	char text[8192];
	size_t n = 0;

	for (int i = 0; i <= SIM_MAX_FAULTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[fault.f%d]\nkind = gap\n", i);
	load_fails(text, 2 * SIM_MAX_FAULTS + 2, "section [fault.f64]: more than 64 faults");
}

/* ---- run-time faults -------------------------------------------------------------- */

static void parse_ok(struct sim_fault *f, const char *text)
{
	int ret;

	err[0] = 0;
	ret = sim_fault_parse(f, text, err, sizeof(err));
	cr_assert_eq(ret, 0, "<%s>: %d %s", text, ret, err);
}

static void parse_fails(const char *text, const char *msg)
{
	struct sim_fault f;
	int ret;

	err[0] = 0;
	ret = sim_fault_parse(&f, text, err, sizeof(err));
	cr_assert_eq(ret, -EINVAL, "<%s> gave %d", text ? text : "(null)", ret);
	cr_assert_str_eq(err, msg);
}

Test(scenario, fault_parse_query_and_words)
{
	struct sim_fault f;

	parse_ok(&f, "kind=gap&venue=binance&count=1");
	cr_assert_eq(f.kind, SIM_FAULT_GAP);
	cr_assert_str_eq(f.venue, "binance");
	cr_assert_eq(f.count, 1);
	cr_assert_eq(f.at_ns, 0, "run time: now");

	parse_ok(&f, "kind=stall venue=upbit duration=2s");
	cr_assert_eq(f.kind, SIM_FAULT_STALL);
	cr_assert_str_eq(f.venue, "upbit");
	cr_assert_eq(f.duration_ns, 2000000000);

	parse_ok(&f, "  kind=delay&duration=500ms  delay=25ms\n");
	cr_assert_eq(f.kind, SIM_FAULT_DELAY);
	cr_assert_str_eq(f.venue, "", "no venue: every venue");
	cr_assert_eq(f.delay_ns, 25000000);

	parse_ok(&f, "kind=clock_skew&venue=bin%61nce&skew=-250");
	cr_assert_str_eq(f.venue, "binance", "percent-escapes decoded");
	cr_assert_eq(f.skew_ms, -250);

	parse_ok(&f, "kind=stall&duration=0");
	cr_assert_eq(f.duration_ns, 0, "a zero duration ends a stall");

	parse_ok(&f, "kind=malformed");
	cr_assert_eq(f.count, 1, "count defaults to 1");
}

Test(scenario, fault_parse_every_kind_by_name)
{
	for (int k = SIM_FAULT_NONE + 1; k < SIM_FAULT_KIND_COUNT; k++) {
		struct sim_fault f;
		char text[128];

		snprintf(text, sizeof(text), "kind=%s%s", sim_fault_name(k),
			 k == SIM_FAULT_STALL || k == SIM_FAULT_BURST_429 ||
			 k == SIM_FAULT_BAN ? "&duration=1s" :
			 k == SIM_FAULT_DELAY ? "&duration=1s&delay=1ms" :
			 k == SIM_FAULT_CLOCK_SKEW ? "&skew=100" : "");
		parse_ok(&f, text);
		cr_assert_eq(f.kind, (enum sim_fault_kind)k, "%s", text);
	}
	cr_assert_str_eq(sim_fault_name(SIM_FAULT_NONE), "none");
	cr_assert_str_eq(sim_fault_name(SIM_FAULT_KIND_COUNT), "unknown");
	cr_assert_str_eq(sim_fault_name((enum sim_fault_kind)-1), "unknown");
}

Test(scenario, fault_parse_errors)
{
	parse_fails("", "no fault given (kind=gap venue=binance count=1 ...)");
	parse_fails(NULL, "no fault given (kind=gap venue=binance count=1 ...)");
	parse_fails(" & ", "no fault given (kind=gap venue=binance count=1 ...)");
	parse_fails("kind", "'kind' is not key=value");
	parse_fails("kind=gap&=3", "'=3' is not key=value");
	parse_fails("kind=gap&#count=3", "'#count=3' is not key=value");
	parse_fails("kind=gap [x=3", "'[x=3' is not key=value");
	parse_fails("venue=upbit", "key 'fault.kind': required (disconnect, stall, gap, "
		    "malformed, truncate, drop_response, delay, http_5xx, burst_429, "
		    "clock_skew, ban)");
	parse_fails("kind=boom", "key 'fault.kind': unknown fault 'boom' (disconnect, stall, "
		    "gap, malformed, truncate, drop_response, delay, http_5xx, burst_429, "
		    "clock_skew, ban)");
	parse_fails("kind=gap&at=5s", "key 'fault.at': a run-time fault applies now; 'at' is "
		    "for scenario files");
	parse_fails("kind=gap&colour=red", "key 'fault.colour': unknown key");
	parse_fails("kind=gap&count=x", "key 'fault.count': not a number: 'x'");
	parse_fails("kind=gap&kind=stall", "key 'fault.kind': duplicate, first set on line 2");
	parse_fails("kind=gap&venue=Up%20bit", "key 'fault.venue': 'Up bit' is not a venue name");
	parse_fails("kind=gap&venue=up%0Abit", "'venue=up%0Abit': the value holds a control "
		    "character or a quote");
	parse_fails("kind=gap&venue=%22x", "'venue=%22x': the value holds a control "
		    "character or a quote");
	parse_fails("kind=gap&venue=averyveryverylongname", "key 'fault.venue': longer than "
		    "15 bytes");
	parse_fails("kind=stall&venue=upbit", "key 'fault.duration': required by a stall fault");
}

Test(scenario, fault_parse_too_long)
{
	char text[2048];

	memset(text, 0, sizeof(text));
	strcpy(text, "kind=gap&venue=");
	memset(text + strlen(text), 'a', 1500);
	parse_fails(text, "fault text longer than 480 bytes");
}
