/* SPDX-License-Identifier: MIT */
/*
 * orderd's configuration (orderd/conf.c): defaults, every key read, every
 * bad value named by file, line and key, the secret rules (missing,
 * insecure file mode, paper needs none), the printout never showing a
 * secret, and the keys page.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../orderd/orderd.h"
#include "../testutil.h"

TestSuite(orderd_conf);

static struct orderd_conf C;
static char err[768];

/* BASE has 8 lines: the extra text starts on line 9. */
#define BASE "[engine]\ncoins = BTC ETH XRP USDT\n[venue.upbit]\nquote = KRW\n" \
	     "coins = BTC ETH XRP USDT\n[venue.binance]\nquote = USDT\ncoins = BTC ETH XRP\n"
#define L(n) (8 + (n))

static int load(const char *extra)
{
	char text[8192];
	struct kimp_conf *kc = NULL;
	int e;

	err[0] = 0;
	snprintf(text, sizeof(text), "%s%s", BASE, extra);
	e = kimp_conf_parse("od.conf", text, &kc, err, sizeof(err));
	cr_assert_eq(e, 0, "%s", err);
	e = orderd_conf_load(kc, &C, err, sizeof(err));
	kimp_conf_free(kc);
	return e;
}

static void bad(const char *extra, unsigned line, const char *key)
{
	char want[160];

	cr_assert_eq(load(extra), -EINVAL, "accepted:\n%s", extra);
	snprintf(want, sizeof(want), "od.conf:%u: key '%s'", line, key);
	cr_assert(strstr(err, want), "got '%s', want '%s'", err, want);
}

static void init(void)
{
	unsetenv("KIMP_UPBIT_SECRET");
	unsetenv("KIMP_BINANCE_SECRET");
	unsetenv("OD_TEST_SECRET");
}

Test(orderd_conf, defaults, .init = init)
{
	cr_assert_eq(load(""), 0, "%s", err);
	cr_assert_str_eq(C.name, "orderd");
	cr_assert_str_eq(C.riskd, "riskd");
	cr_assert_str_eq(C.feedd, "feedd");
	cr_assert_eq(C.cpu, ~0u);
	cr_assert_eq(C.wait, SHM_WAIT_HYBRID);
	cr_assert_eq(C.spin_ns, 50000);
	cr_assert_eq(C.idle_wait_ns, 1000000);
	cr_assert_eq(C.ring_slots, 4096);
	cr_assert_eq(C.table_slots, 65536);
	cr_assert_str_eq(C.journal_dir, "/var/lib/kimp/journal");
	cr_assert_eq(C.journal_file_mb, 256);
	cr_assert_eq(C.journal_sync, JR_SYNC_NONE);
	cr_assert_eq(C.journal_sync_interval_ns, 10000000);
	cr_assert_str_eq(C.coid_prefix, "kimp");
	cr_assert_eq(C.report_backlog, 65536);
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++) {
		const struct orderd_venue_conf *vc = &C.venue[v];
		if (!vc->vo)
			continue;
		char env[64];
		size_t k = (size_t)snprintf(env, sizeof(env), "KIMP_%s_SECRET", vc->vo->name);
		for (size_t i = 5; i < k; i++)
			env[i] = (char)(env[i] >= 'a' && env[i] <= 'z' ? env[i] - 32 : env[i]);
		cr_assert_eq(vc->mode, KIMP_ORD_OFF);
		cr_assert_str_eq(vc->secret_env, env);
		cr_assert_eq(vc->recv_window_ns, 5000000000ull);
		cr_assert_eq(vc->timeout_ns, 5000000000ull);
		cr_assert_eq(vc->query_delay_ns, 200000000ull);
		cr_assert_eq(vc->query_every_ns, 1000000000ull);
		cr_assert_eq(vc->unknown_grace_ns, 10000000000ull);
		cr_assert_eq(vc->keepalive_ns, 10000000000ull);
		cr_assert_eq(vc->time_sync_ns, 30000000000ull);
		cr_assert_eq(vc->rest_conns, 2);
		cr_assert_eq(vc->rest_pipeline, 1, "no pipelining unless asked for");
		cr_assert_float_eq(vc->rate_share, 0.9, 1e-12);
		cr_assert(vc->rate_limits, "rate_limits defaults to true");
		cr_assert_eq(vc->rate_edge_ns, 5000000ull);
		cr_assert_eq(vc->backoff_min_ns, 100000000ull);
		cr_assert_eq(vc->backoff_max_ns, 30000000000ull);
		cr_assert_str_eq(vc->ca_file, "");
	}
	cr_assert_not_null(C.venue[KIMP_VENUE_UPBIT].vo);
	cr_assert_not_null(C.venue[KIMP_VENUE_BINANCE].vo);
}

Test(orderd_conf, every_key, .init = init)
{
	char dir[128], sf[192], text[4096];

	test_mkdtemp(dir, sizeof(dir), "odconf");
	snprintf(sf, sizeof(sf), "%s/secret", dir);
	test_write_file(sf, "s3cret\n", 7);
	cr_assert_eq(chmod(sf, 0600), 0);
	snprintf(text, sizeof(text),
		 "[orderd]\nname = od1\nriskd = rk1\nfeedd = fd1\ncpu = 3\nwait = spin\nspin = 10us\n"
		 "idle_wait = 2ms\nring_slots = 1024\ntable_slots = 1000\njournal_dir = %s/j\n"
		 "journal_file_mb = 8\njournal_sync = interval\njournal_sync_interval = 5ms\n"
		 "coid_prefix = abc9\nreport_backlog = 128\n"
		 "[order.binance]\nmode = live\nrest_url = https://localhost:4431\n"
		 "wsapi_url = wss://localhost:4432/ws-api/v3\nprivate_url = wss://localhost:4433\n"
		 "ca_file = /tmp/ca.pem\napi_key = KEY1\nsecret_file = %s\nsecret_env = OD_X\n"
		 "recv_window = 3000ms\ntimeout = 2s\nquery_delay = 50ms\nquery_every = 500ms\n"
		 "unknown_grace = 4s\nkeepalive = 1s\ntime_sync = 5s\nrest_conns = 3\n"
		 "rate_share = 0.5\nrate_edge = 1ms\nbackoff_min = 10ms\nbackoff_max = 1s\n"
		 "rate_limits = false\n[order.upbit]\nmode = paper\n",
		 dir, sf);
	cr_assert_eq(load(text), 0, "%s", err);
	cr_assert_str_eq(C.name, "od1");
	cr_assert_str_eq(C.riskd, "rk1");
	cr_assert_str_eq(C.feedd, "fd1");
	cr_assert_eq(C.cpu, 3);
	cr_assert_eq(C.wait, SHM_WAIT_SPIN);
	cr_assert_eq(C.spin_ns, 10000);
	cr_assert_eq(C.idle_wait_ns, 2000000);
	cr_assert_eq(C.ring_slots, 1024);
	cr_assert_eq(C.table_slots, 1000);
	cr_assert_eq(C.journal_file_mb, 8);
	cr_assert_eq(C.journal_sync, JR_SYNC_INTERVAL);
	cr_assert_eq(C.journal_sync_interval_ns, 5000000);
	cr_assert_str_eq(C.coid_prefix, "abc9");
	cr_assert_eq(C.report_backlog, 128);
	const struct orderd_venue_conf *b = &C.venue[KIMP_VENUE_BINANCE];
	cr_assert_eq(b->mode, KIMP_ORD_LIVE);
	cr_assert_str_eq(b->rest.host, "localhost");
	cr_assert_eq(b->rest.port, 4431);
	cr_assert(b->rest.tls);
	cr_assert_eq(b->wsapi.port, 4432);
	cr_assert_str_eq(b->wsapi.path, "/ws-api/v3");
	cr_assert_eq(b->priv.port, 4433);
	cr_assert_str_eq(b->ca_file, "/tmp/ca.pem");
	cr_assert_str_eq(b->api_key, "KEY1");
	cr_assert_str_eq(b->secret_file, sf);
	cr_assert_str_eq(b->secret_env, "OD_X");
	cr_assert_eq(b->recv_window_ns, 3000000000ull);
	cr_assert_eq(b->timeout_ns, 2000000000ull);
	cr_assert_eq(b->query_delay_ns, 50000000ull);
	cr_assert_eq(b->query_every_ns, 500000000ull);
	cr_assert_eq(b->unknown_grace_ns, 4000000000ull);
	cr_assert_eq(b->keepalive_ns, 1000000000ull);
	cr_assert_eq(b->time_sync_ns, 5000000000ull);
	cr_assert_eq(b->rest_conns, 3);
	cr_assert_float_eq(b->rate_share, 0.5, 1e-12);
	cr_assert_not(b->rate_limits);
	cr_assert(C.venue[KIMP_VENUE_UPBIT].rate_limits);
	cr_assert_eq(b->rate_edge_ns, 1000000ull);
	cr_assert_eq(b->backoff_min_ns, 10000000ull);
	cr_assert_eq(b->backoff_max_ns, 1000000000ull);
	cr_assert_eq(C.venue[KIMP_VENUE_UPBIT].mode, KIMP_ORD_PAPER);

	/* the printout: the file's path, never the secret */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	orderd_conf_print(&C, f);
	fclose(f);
	cr_assert(strstr(buf, "binance: live"), "%s", buf);
	cr_assert(strstr(buf, sf), "%s", buf);
	cr_assert_null(strstr(buf, "s3cret"), "%s", buf);
	cr_assert(strstr(buf, "binance: rate_limits = false: orderd does not limit itself (bench "
			  "only); WARNING"), "%s", buf);
	free(buf);
	test_rmtree(dir);
}

Test(orderd_conf, bad_values, .init = init)
{
	bad("[orderd]\nbogus = 1\n", L(2), "orderd.bogus");
	bad("[orderd]\nname = a/b\n", L(2), "orderd.name");
	bad("[orderd]\ncpu = 4096\n", L(2), "orderd.cpu");
	bad("[orderd]\nwait = nap\n", L(2), "orderd.wait");
	bad("[orderd]\nspin = 2s\n", L(2), "orderd.spin");
	bad("[orderd]\nidle_wait = 999ns\n", L(2), "orderd.idle_wait");
	bad("[orderd]\nring_slots = 1000\n", L(2), "orderd.ring_slots");
	bad("[orderd]\nring_slots = 1\n", L(2), "orderd.ring_slots");
	bad("[orderd]\ntable_slots = 15\n", L(2), "orderd.table_slots");
	bad("[orderd]\njournal_dir =\n", L(2), "orderd.journal_dir");
	bad("[orderd]\njournal_file_mb = 0\n", L(2), "orderd.journal_file_mb");
	bad("[orderd]\njournal_sync = sometimes\n", L(2), "orderd.journal_sync");
	bad("[orderd]\njournal_sync_interval = 99us\n", L(2), "orderd.journal_sync_interval");
	bad("[orderd]\ncoid_prefix = a-b\n", L(2), "orderd.coid_prefix");
	bad("[orderd]\ncoid_prefix = abcdefghijklm\n", L(2), "orderd.coid_prefix");
	bad("[orderd]\nreport_backlog = 15\n", L(2), "orderd.report_backlog");
	bad("[order.upbit]\nmode = maybe\n", L(2), "order.upbit.mode");
	bad("[order.upbit]\nwhat = 1\n", L(2), "order.upbit.what");
	bad("[order.upbit]\nrest_url = ftp://x\n", L(2), "order.upbit.rest_url");
	bad("[order.upbit]\nrest_url = wss://x\n", L(2), "order.upbit.rest_url");
	bad("[order.upbit]\nprivate_url = https://x\n", L(2), "order.upbit.private_url");
	bad("[order.binance]\nwsapi_url = wss://x:0\n", L(2), "order.binance.wsapi_url");
	bad("[order.binance]\nrecv_window = 1500us\n", L(2), "order.binance.recv_window");
	bad("[order.binance]\nrecv_window = 61s\n", L(2), "order.binance.recv_window");
	bad("[order.binance]\ntimeout = 0ms\n", L(2), "order.binance.timeout");
	bad("[order.binance]\nquery_every = 9ms\n", L(2), "order.binance.query_every");
	/* the grace covers the receive window and a second */
	bad("[order.binance]\nunknown_grace = 5999ms\n", L(2), "order.binance.unknown_grace");
	cr_assert_eq(load("[order.binance]\nunknown_grace = 6s\n"), 0, "%s", err);
	bad("[order.binance]\nrecv_window = 2s\nunknown_grace = 2999ms\n", L(3),
	    "order.binance.unknown_grace");
	bad("[order.binance]\nrest_conns = 0\n", L(2), "order.binance.rest_conns");
	bad("[order.binance]\nrest_conns = 9\n", L(2), "order.binance.rest_conns");
	cr_assert_eq(load("[order.binance]\nrest_conns = 8\n"), 0, "%s", err);
	bad("[order.binance]\nrest_pipeline = 0\n", L(2), "order.binance.rest_pipeline");
	cr_assert_eq(load("[order.binance]\nrest_pipeline = 1\n"), 0, "%s", err);
	cr_assert_eq(C.venue[KIMP_VENUE_BINANCE].rest_pipeline, 1);
	cr_assert_eq(load("[order.upbit]\nrest_pipeline = 8\n"), 0, "%s", err);
	cr_assert_eq(C.venue[KIMP_VENUE_UPBIT].rest_pipeline, 8);
	bad("[order.upbit]\nrest_pipeline = 9\n", L(2), "order.upbit.rest_pipeline");
	bad("[order.binance]\nrate_share = 0\n", L(2), "order.binance.rate_share");
	bad("[order.binance]\nrate_share = 1.01\n", L(2), "order.binance.rate_share");
	cr_assert_eq(load("[order.binance]\nrate_share = 1\n"), 0, "%s", err);
	bad("[order.binance]\nrate_limits = maybe\n", L(2), "order.binance.rate_limits");
	cr_assert_eq(load("[order.binance]\nrate_limits = true\n"), 0, "%s", err);
	bad("[order.binance]\nrate_edge = 2s\n", L(2), "order.binance.rate_edge");
	bad("[order.binance]\nbackoff_min = 1s\nbackoff_max = 999ms\n", L(3),
	    "order.binance.backoff_max");
	bad("[order.binance]\nsecret_env =\n", L(2), "order.binance.secret_env");
	/* a live venue needs a key, and a traded one its [venue.NAME] */
	setenv("KIMP_UPBIT_SECRET", "x", 1);
	bad("[order.upbit]\nmode = live\n", L(2), "order.upbit.api_key");
	unsetenv("KIMP_UPBIT_SECRET");
	cr_assert_eq(load("[order.kraken]\nmode = live\n"), -EINVAL);
	cr_assert(strstr(err, "od.conf:9: section [order.kraken]"), "%s", err);
}

Test(orderd_conf, no_venue_section)
{
	struct kimp_conf *kc = NULL;

	cr_assert_eq(kimp_conf_parse("od.conf", "[engine]\ncoins = BTC USDT\n[order.upbit]\n"
				     "mode = paper\n", &kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_conf_load(kc, &C, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "od.conf:4: key 'order.upbit.mode'") && strstr(err, "[venue.upbit]"),
		  "%s", err);
	kimp_conf_free(kc);
}

Test(orderd_conf, missing_secret, .init = init)
{
	cr_assert_eq(load("[order.upbit]\nmode = live\napi_key = K\n"), -EINVAL);
	cr_assert(strstr(err, "od.conf:10: key 'order.upbit.mode'"), "%s", err);
	cr_assert(strstr(err, "upbit") && strstr(err, "KIMP_UPBIT_SECRET") &&
		  strstr(err, "secret_file"), "%s", err);
	/* a secret file that is not there: named with its key and path */
	cr_assert_eq(load("[order.upbit]\nmode = live\napi_key = K\n"
			  "secret_file = /nonexistent/od-secret\n"), -EINVAL);
	cr_assert(strstr(err, "key 'order.upbit.secret_file'") &&
		  strstr(err, "/nonexistent/od-secret"), "%s", err);
	/* the variable named by secret_env is enough */
	setenv("OD_TEST_SECRET", "abc", 1);
	cr_assert_eq(load("[order.upbit]\nmode = live\napi_key = K\nsecret_env = OD_TEST_SECRET\n"),
		     0, "%s", err);
	/* an empty variable is no secret */
	setenv("OD_TEST_SECRET", "", 1);
	cr_assert_eq(load("[order.upbit]\nmode = live\napi_key = K\nsecret_env = OD_TEST_SECRET\n"),
		     -EINVAL);
	cr_assert(strstr(err, "OD_TEST_SECRET"), "%s", err);
}

Test(orderd_conf, insecure_secret_file, .init = init)
{
	char dir[128], sf[192], text[512];

	test_mkdtemp(dir, sizeof(dir), "odconf");
	snprintf(sf, sizeof(sf), "%s/secret", dir);
	test_write_file(sf, "s3cret\n", 7);
	snprintf(text, sizeof(text), "[order.upbit]\nmode = live\napi_key = K\nsecret_file = %s\n", sf);
	cr_assert_eq(chmod(sf, 0640), 0);
	cr_assert_eq(load(text), -EINVAL);
	cr_assert(strstr(err, "od.conf:12: key 'order.upbit.secret_file'") && strstr(err, sf) &&
		  strstr(err, "0640"), "%s", err);
	cr_assert_eq(chmod(sf, 0604), 0);
	cr_assert_eq(load(text), -EINVAL);
	cr_assert_eq(chmod(sf, 0400), 0);
	cr_assert_eq(load(text), 0, "%s", err);
	cr_assert_eq(chmod(sf, 0600), 0);
	cr_assert_eq(load(text), 0, "%s", err);
	/* a directory is not a secret file */
	snprintf(text, sizeof(text), "[order.upbit]\nmode = live\napi_key = K\nsecret_file = %s\n",
		 dir);
	chmod(dir, 0700);
	cr_assert_eq(load(text), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	test_rmtree(dir);
}

Test(orderd_conf, paper_needs_no_keys, .init = init)
{
	struct orderd_keys k;

	cr_assert_eq(load("[order.upbit]\nmode = paper\n[order.binance]\nmode = paper\n"), 0, "%s",
		     err);
	cr_assert_eq(C.venue[KIMP_VENUE_UPBIT].mode, KIMP_ORD_PAPER);
	cr_assert_eq(C.venue[KIMP_VENUE_BINANCE].mode, KIMP_ORD_PAPER);
	/* no live venue: the keys page is made and holds nothing */
	cr_assert_eq(orderd_keys_load(&C, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(k.k);
	cr_assert_eq(k.k[KIMP_VENUE_UPBIT].api_key_len, 0);
	orderd_keys_free(&k);
	cr_assert_null(k.k);
}

Test(orderd_conf, keys_loaded_and_wiped, .init = init)
{
	struct orderd_keys k;

	if (!venue_ord_upbit.key_init)
		cr_skip_test("libvenue's upbit key_init has not landed");
	setenv("OD_TEST_SECRET", "exsimUpbitSecretKey000000000000000000000", 1);
	cr_assert_eq(load("[order.upbit]\nmode = live\napi_key = exsimUpbitAccessKey000000000000000"
			  "000000\nsecret_env = OD_TEST_SECRET\n"), 0, "%s", err);
	cr_assert_eq(orderd_keys_load(&C, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(k.k[KIMP_VENUE_UPBIT].api_key, "exsimUpbitAccessKey000000000000000000000");
	/* the raw secret's scratch (after the keys, same page) is wiped */
	const char *raw = (const char *)k.k + sizeof(struct vo_keys) * KIMP_VENUE_MAX;
	for (size_t i = 0; i < 64; i++)
		cr_assert_eq(raw[i], 0);
	orderd_keys_free(&k);
}

Test(orderd_conf, url_parse)
{
	struct od_url u;

	cr_assert_eq(od_url_parse("https://api.upbit.com", &u), 0);
	cr_assert_str_eq(u.host, "api.upbit.com");
	cr_assert_eq(u.port, 443);
	cr_assert(u.tls);
	cr_assert_str_eq(u.path, "");
	cr_assert_eq(od_url_parse("ws://h:1/x?y", &u), 0);
	cr_assert_eq(u.port, 1);
	cr_assert(!u.tls);
	cr_assert_str_eq(u.path, "/x?y");
	cr_assert_eq(od_url_parse("wss://h:65535", &u), 0);
	cr_assert_eq(u.port, 65535);
	cr_assert_eq(od_url_parse("wss://h:65536", &u), -EINVAL);
	cr_assert_eq(od_url_parse("wss://:1", &u), -EINVAL);
	cr_assert_eq(od_url_parse("h:1", &u), -EINVAL);
	cr_assert_eq(od_url_parse("https://h:12x", &u), -EINVAL);
}
