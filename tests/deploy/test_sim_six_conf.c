/* SPDX-License-Identifier: MIT */
/*
 * deploy/kimp-sim-six.conf, the engine against exsim's six venues
 * (sim/scenarios/six.scn): every daemon takes it (--check, with the
 * supervisor's placeholders filled in as deploy/kimp would), it covers
 * every venue in every daemon's sections, and it agrees with its
 * scenario (venues on, accounts' keys and balances). A secret missing for
 * one of the new venues fails orderd's check, naming it.
 *
 * Programs: $FEEDD, $STRATD, $RISKD, $ORDERD (default build/bin/NAME) and
 * monitord beside feedd.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "../testutil.h"
#include "suptest.h"

#define SIX_CONF "deploy/kimp-sim-six.conf"
#define SIX_SCN  "sim/scenarios/six.scn"
#define NVENUES  6

static const char *const venues[NVENUES] = { "upbit", "bithumb", "coinone",
					     "binance", "bybit", "okx" };
static const char *const quotes[NVENUES] = { "KRW", "KRW", "KRW", "USDT", "USDT", "USDT" };

static char dir[64], conf[128];
static char out[65536], err[65536];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimp-six");
	snprintf(conf, sizeof(conf), "%s/kimp.conf", dir);
}

static void teardown(void)
{
	test_rmtree(dir);
}

/* line with every "@NAME@" replaced: RUN_DIR, EXSIM_CA, ports numbered from 20000. */
static void fill(const char *line, FILE *o, unsigned *port)
{
	const char *p = line;

	while (*p) {
		const char *at = strchr(p, '@'), *end = at ? strchr(at + 1, '@') : NULL;
		char name[64];

		if (!at || !end || (size_t)(end - at) >= sizeof(name)) {
			fputs(p, o);
			return;
		}
		fwrite(p, 1, (size_t)(at - p), o);
		snprintf(name, sizeof(name), "%.*s", (int)(end - at - 1), at + 1);
		if (!strcmp(name, "RUN_DIR"))
			fputs(dir, o);
		else if (!strcmp(name, "EXSIM_CA"))
			fprintf(o, "%s/ca.pem", dir);
		else
			fprintf(o, "%u", (*port)++);
		p = end + 1;
	}
}

/* The config as the supervisor's effective copy: placeholders filled, this test's segments. */
static void write_conf(void)
{
	char line[1024], ca[128];
	unsigned port = 20000;
	FILE *in = fopen(SIX_CONF, "r"), *o;

	cr_assert_not_null(in, SIX_CONF ": cannot read");
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	test_write_text(ca, "not read by --check\n");
	o = fopen(conf, "w");
	cr_assert_not_null(o);
	while (fgets(line, sizeof(line), in)) {
		char key[64], val[256] = "";

		if (sscanf(line, " %63[a-z_] = %255s", key, val) == 2 && sup_is_seg_name(val)) {
			fprintf(o, "%s = %s-%d\n", key, val, (int)getpid());
			continue;
		}
		fill(line, o, &port);
	}
	fclose(in);
	cr_assert_eq(fclose(o), 0);
	cr_assert_gt(port, 20000, "no placeholder filled: the file is not the sim config");
}

/* The daemon NAME's path: $ENV or build/bin/NAME; monitord beside feedd. */
static void daemon_path(const char *name, char *path, size_t n)
{
	char env[16], feedd[PATH_MAX];
	size_t i;

	if (!strcmp(name, "monitord")) {
		snprintf(feedd, sizeof(feedd), "%s", test_bin("FEEDD", "build/bin/feedd"));
		snprintf(path, n, "%s/monitord", dirname(feedd));
		return;
	}
	for (i = 0; name[i] && i < sizeof(env) - 1; i++)
		env[i] = (char)(name[i] - 'a' + 'A');
	env[i] = 0;
	snprintf(feedd, sizeof(feedd), "build/bin/%s", name);
	snprintf(path, n, "%s", test_bin(env, feedd));
}

/* Every venue's KIMP_<V>_SECRET set from six.scn, but 'skip' (NULL: none); OKX's passphrase. */
static void set_secrets(const char *skip)
{
	char e[256];
	struct kimp_conf *s;
	const char *sec;
	size_t it = 0;

	cr_assert_eq(kimp_conf_load(SIX_SCN, &s, e, sizeof(e)), 0, "%s", e);
	while ((sec = kimp_conf_next_section(s, &it))) {
		const char *v = kimp_conf_get(s, sec, "venue"), *k = kimp_conf_get(s, sec, "secret");
		char var[48];
		size_t n;

		if (strncmp(sec, "account.", 8) || !v || !k)
			continue;
		n = (size_t)snprintf(var, sizeof(var), "KIMP_");
		for (const char *p = v; *p && n < sizeof(var) - 8; p++)
			var[n++] = (char)(*p - 'a' + 'A');
		snprintf(var + n, sizeof(var) - n, "_SECRET");
		if (skip && !strcmp(v, skip))
			cr_assert_eq(unsetenv(var), 0);
		else
			cr_assert_eq(setenv(var, k, 1), 0);
	}
	kimp_conf_free(s);
	/* exsim's fixed OKX passphrase ([order.okx] passphrase_env) */
	cr_assert_eq(setenv("KIMP_OKX_PASSPHRASE", "exsimOkxPassphrase1", 1), 0);
}

/* NAME -c conf --check: its exit status (output in out, err). */
static int check(const char *name)
{
	char path[PATH_MAX];
	const char *argv[] = { path, "-c", conf, "--check", NULL };

	daemon_path(name, path, sizeof(path));
	return sup_run(dir, argv, NULL, out, err, sizeof(out));
}

TestSuite(sim_six_conf, .init = setup, .fini = teardown, .timeout = 60);

Test(sim_six_conf, every_daemon_checks_it)
{
	static const char *const daemons[] = { "feedd", "stratd", "riskd", "orderd", "monitord" };

	write_conf();
	set_secrets(NULL);
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		int st = check(daemons[i]);

		cr_assert_eq(st, 0, "%s --check on %s: exit %d\n%s%s", daemons[i], SIX_CONF, st, out,
			     err);
		if (!strcmp(daemons[i], "monitord"))
			continue;
		if (!strcmp(daemons[i], "feedd")) { /* feedd counts them */
			cr_expect(strstr(out, "6 venue(s) ok") || strstr(err, "6 venue(s) ok"),
				  "feedd --check:\n%s%s", out, err);
			continue;
		}
		/* stratd, riskd and orderd name every venue they set up */
		for (size_t v = 0; v < NVENUES; v++)
			cr_expect(strstr(out, venues[v]) || strstr(err, venues[v]),
				  "%s --check does not mention %s:\n%s%s", daemons[i], venues[v], out,
				  err);
	}
}

Test(sim_six_conf, a_missing_secret_of_a_new_venue_fails_orderd_naming_it)
{
	static const char *const news[] = { "bithumb", "coinone", "bybit", "okx" };

	write_conf();
	for (size_t i = 0; i < sizeof(news) / sizeof(news[0]); i++) {
		char sec[32];

		set_secrets(news[i]);
		cr_assert_neq(check("orderd"), 0, "orderd took the config without %s's secret",
			      news[i]);
		snprintf(sec, sizeof(sec), "order.%s", news[i]);
		cr_expect(strstr(err, sec), "orderd's error does not name [%s]:\n%s", sec, err);
	}
	set_secrets(NULL);
	cr_assert_eq(check("orderd"), 0, "%s", err);
}

/* section.key of c equals want (a NULL want: the key is absent). */
static void expect_val(const struct kimp_conf *c, const char *sec, const char *key,
		       const char *want)
{
	const char *v = kimp_conf_get(c, sec, key);

	if (!want) {
		cr_expect_null(v, "[%s] %s is set (%s)", sec, key, v);
		return;
	}
	cr_expect(v && !strcmp(v, want), "[%s] %s = %s, want %s", sec, key, v ? v : "(absent)",
		  want);
}

Test(sim_six_conf, covers_every_venue_and_agrees_with_its_scenario)
{
	struct kimp_conf *c, *s;
	char e[256];
	bool traded[NVENUES] = { false };
	const char *sec;
	size_t it = 0;
	unsigned pairs = 0;

	cr_assert_eq(kimp_conf_load(SIX_CONF, &c, e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(kimp_conf_load(SIX_SCN, &s, e, sizeof(e)), 0, "%s", e);
	/* the config runs exsim on six.scn */
	expect_val(c, "supervisor", "exsim", "true");
	expect_val(c, "supervisor", "exsim_scenario", "../" SIX_SCN);
	/* every pair: a KRW venue against a USDT venue, both of the six */
	while ((sec = kimp_conf_next_section(c, &it))) {
		const char *k, *u;
		int ki = -1, ui = -1;

		if (strncmp(sec, "pair.", 5))
			continue;
		pairs++;
		k = kimp_conf_get(c, sec, "krw");
		u = kimp_conf_get(c, sec, "usdt");
		for (int v = 0; v < NVENUES; v++) {
			if (k && !strcmp(k, venues[v]))
				ki = v;
			if (u && !strcmp(u, venues[v]))
				ui = v;
		}
		cr_assert(ki >= 0 && ui >= 0, "[%s]: krw %s, usdt %s", sec, k, u);
		cr_expect_str_eq(quotes[ki], "KRW", "[%s] krw = %s is not a KRW venue", sec, k);
		cr_expect_str_eq(quotes[ui], "USDT", "[%s] usdt = %s is not a USDT venue", sec, u);
		traded[ki] = traded[ui] = true;
	}
	cr_expect_geq(pairs, 3);
	for (size_t v = 0; v < NVENUES; v++) {
		char vs[32], os[32], rs[32], bs[32], ss[32], as[32];
		const char *acc = NULL;
		size_t it2 = 0;

		snprintf(vs, sizeof(vs), "venue.%s", venues[v]);
		snprintf(os, sizeof(os), "order.%s", venues[v]);
		snprintf(rs, sizeof(rs), "risk.%s", venues[v]);
		snprintf(bs, sizeof(bs), "balance.%s", venues[v]);
		cr_expect(traded[v], "no [pair.*] trades %s", venues[v]);
		cr_expect_neq(kimp_conf_line(c, vs, ""), 0, "no [%s]", vs);
		cr_expect_neq(kimp_conf_line(c, bs, ""), 0, "no [%s]", bs);
		expect_val(c, os, "mode", "live");
		expect_val(c, rs, "enabled", "true");
		/* on in the scenario, with an account whose key orderd sends */
		expect_val(s, vs, "enabled", "true");
		while ((sec = kimp_conf_next_section(s, &it2)))
			if (!strncmp(sec, "account.", 8) && kimp_conf_get(s, sec, "venue") &&
			    !strcmp(kimp_conf_get(s, sec, "venue"), venues[v]) && !acc)
				acc = sec;
		cr_assert_not_null(acc, "six.scn has no account on %s", venues[v]);
		expect_val(c, os, "api_key", kimp_conf_get(s, acc, "key"));
		/* the balances stratd and riskd start from are exsim's */
		snprintf(as, sizeof(as), "%s", acc);
		for (const char *const *a = (const char *const[]){ "KRW", "USDT", "BTC", "ETH", "XRP",
								     NULL };
		     *a; a++) {
			snprintf(ss, sizeof(ss), "balance.%s", *a);
			if (kimp_conf_get(c, bs, *a))
				expect_val(s, as, ss, kimp_conf_get(c, bs, *a));
		}
		expect_val(c, bs, quotes[v], kimp_conf_get(s, as, "balance.KRW") &&
						     !strcmp(quotes[v], "KRW")
						     ? kimp_conf_get(s, as, "balance.KRW")
						     : kimp_conf_get(s, as, "balance.USDT"));
	}
	/* OKX's WebSocket orders name instIdCodes: one per coin it trades */
	expect_val(c, "venue.okx", "inst_code.BTC", "10001");
	expect_val(c, "venue.okx", "inst_code.ETH", "10002");
	expect_val(c, "venue.okx", "inst_code.XRP", "10003");
	/* Coinone refuses an upper-case client id prefix */
	sec = kimp_conf_get(c, "orderd", "coid_prefix");
	cr_assert_not_null(sec);
	for (const char *p = sec; *p; p++)
		cr_expect(!(*p >= 'A' && *p <= 'Z'), "coid_prefix %s has upper case", sec);
	kimp_conf_free(s);
	kimp_conf_free(c);
}
