/* SPDX-License-Identifier: MIT */
/*
 * feedd's configuration: defaults from the venue tables, every key read,
 * and errors that name the file, the line and the key.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "kimp/config.h"
#include "../../feedd/feedd.h"

static struct feedd_conf conf;

static int load(const char *text, char *err, size_t errlen)
{
	struct kimp_conf *c = NULL;
	int e = kimp_conf_parse("feedd.conf", text, &c, err, errlen);
	if (!e)
		e = feedd_conf_load(c, &conf, err, errlen);
	kimp_conf_free(c);
	return e;
}

Test(feedd_conf, defaults_come_from_the_venue_tables)
{
	char err[256] = "";
	cr_assert_eq(load("[engine]\ncoins = BTC ETH USDT\n[venue.upbit]\n[venue.binance]\n", err,
			  sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(conf.name, "feedd");
	cr_assert_eq(conf.ring_slots, 65536);
	cr_assert_eq(conf.nfeeds, 2);
	struct feed_conf *u = &conf.feeds[0], *b = &conf.feeds[1];
	cr_assert_eq(u->md, &venue_md_upbit);
	cr_assert_str_eq(u->quote, "KRW");
	cr_assert_eq(u->ncoins, 3, "KRW venues take USDT as a coin (the rate)");
	cr_assert_str_eq(u->coins[2], "USDT");
	cr_assert(u->ws.tls);
	cr_assert_str_eq(u->ws.host, "api.upbit.com");
	cr_assert_eq(u->ws.port, 443);
	cr_assert_eq(u->stale_after_ns, venue_md_upbit.stale_after_ns);
	cr_assert(u->sub.simple);
	cr_assert_eq(b->md, &venue_md_binance);
	cr_assert_str_eq(b->quote, "USDT");
	cr_assert_eq(b->ncoins, 2, "USDT is the quote on Binance, not a coin");
	cr_assert_str_eq(b->ws.host, "stream.binance.com");
	cr_assert_eq(b->ws.port, 9443);
	cr_assert_eq(b->snapshot_limit, 1000);
	cr_assert_lt(b->rotate_after_ns, venue_md_binance.conn_life_ns,
		     "the planned reconnect comes before the venue's");
	cr_assert_gt(b->rotate_after_ns, 0);
	cr_assert_eq(b->sub.speed_ms, 100);
}

Test(feedd_conf, keys_are_read)
{
	char err[256] = "";
	cr_assert_eq(load("[engine]\ncoins = BTC ETH XRP USDT\n"
			  "[feedd]\nname = fd1\nring_slots = 1024\nspin = true\n"
			  "capture = /tmp/x.cap\ncapture_max = 1048576\ncapture_keep = 3\n"
			  "[venue.binance]\nws_url = wss://localhost:9443/pre/\n"
			  "rest_url = http://127.0.0.1:8080\nca_file = /tmp/ca.pem\ncoins = ETH\n"
			  "stale_after = 250ms\nconns = 2\nspeed = 1s\nsnapshot_limit = 500\n"
			  "rotate_after = 3600s\npx_dec = 6\nqty_dec = 4\n",
			  err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(conf.name, "fd1");
	cr_assert_eq(conf.ring_slots, 1024);
	cr_assert(conf.spin);
	cr_assert_str_eq(conf.capture, "/tmp/x.cap");
	cr_assert_eq(conf.capture_keep, 3);
	struct feed_conf *b = &conf.feeds[0];
	cr_assert_str_eq(b->ws.host, "localhost");
	cr_assert_str_eq(b->ws.path, "/pre");
	cr_assert(!b->rest.tls);
	cr_assert_eq(b->rest.port, 8080);
	cr_assert_str_eq(b->ca_file, "/tmp/ca.pem");
	cr_assert_eq(b->ncoins, 1);
	cr_assert_str_eq(b->coins[0], "ETH");
	cr_assert_eq(b->stale_after_ns, 250000000ull);
	cr_assert_eq(b->conns, 2);
	cr_assert_eq(b->sub.speed_ms, 1000);
	cr_assert_eq(b->snapshot_limit, 500);
	cr_assert_eq(b->rotate_after_ns, 3600000000000ull);
	cr_assert_eq(b->px_dec, 6);
	cr_assert_eq(b->qty_dec, 4);
}

struct bad {
	const char *text;
	const char *want;
};

Test(feedd_conf, errors_name_file_line_and_key)
{
	static const struct bad cases[] = {
		{ "[venue.upbit]\n", "key 'engine.coins' is missing" },
		{ "[engine]\ncoins = btc\n[venue.upbit]\n", "feedd.conf:2: key 'engine.coins'" },
		{ "[engine]\ncoins = BTC BTC\n[venue.upbit]\n", "listed twice" },
		{ "[engine]\ncoins = BTC\n", "no [venue.NAME] section" },
		{ "[engine]\ncoins = BTC\n[venue.kraken]\n", "feedd.conf:3: section [venue.kraken]: no market data for venue 'kraken'" },
		{ "[engine]\ncoins = BTC\n[venue.upbit]\nws_url = ftp://x\n",
		  "feedd.conf:4: key 'venue.upbit.ws_url'" },
		{ "[engine]\ncoins = BTC\n[venue.upbit]\ncoins = ETH\n", "ETH is not in engine.coins" },
		{ "[engine]\ncoins = BTC\n[venue.upbit]\nstale_after = 0\n",
		  "key 'venue.upbit.stale_after'" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\nrotate_after = 90000s\n",
		  "feedd.conf:4: key 'venue.binance.rotate_after'" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\nspeed = 250ms\n",
		  "key 'venue.binance.speed'" },
		{ "[engine]\ncoins = BTC\n[venue.binance]\nsnapshot_limit = 9000\n",
		  "key 'venue.binance.snapshot_limit'" },
		{ "[engine]\ncoins = BTC\n[feedd]\nring_slots = 1000\n[venue.upbit]\n",
		  "feedd.conf:4: key 'feedd.ring_slots': a power of two" },
		{ "[engine]\ncoins = BTC\n[feedd]\nbogus = 1\n[venue.upbit]\n", "bogus" },
		{ "[engine]\ncoins = BTC\n[venue.upbit]\nformat = xml\n", "key 'venue.upbit.format'" },
		{ "[engine]\ncoins = BTC\n[venue.upbit]\nbackoff_min = 2s\nbackoff_max = 1s\n",
		  "key 'venue.upbit.backoff_max'" },
		{ "[engine]\ncoins = USDT\n[venue.binance]\n", "feedd.conf:3: section [venue.binance]: no coins" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		cr_assert_neq(load(cases[i].text, err, sizeof(err)), 0, "case %zu loaded", i);
		cr_expect_not_null(strstr(err, cases[i].want), "case %zu: '%s' lacks '%s'", i, err,
				   cases[i].want);
	}
}

Test(feedd_conf, urls)
{
	struct feed_url u;
	cr_assert_eq(feed_url_parse("wss://stream.binance.com:9443", &u), 0);
	cr_assert(u.tls);
	cr_assert_eq(u.port, 9443);
	cr_assert_str_eq(u.path, "");
	cr_assert_eq(feed_url_parse("ws://h/", &u), 0);
	cr_assert_eq(u.port, 80);
	cr_assert_str_eq(u.path, "");
	cr_assert_eq(feed_url_parse("https://h:1/a/b", &u), 0);
	cr_assert_str_eq(u.path, "/a/b");
	cr_assert_neq(feed_url_parse("wss://:9/", &u), 0);
	cr_assert_neq(feed_url_parse("wss://h:0", &u), 0);
	cr_assert_neq(feed_url_parse("wss://h:70000", &u), 0);
	cr_assert_neq(feed_url_parse("wss://h?x", &u), 0);
	cr_assert_neq(feed_url_parse("tcp://h", &u), 0);
}

Test(feedd_conf, the_trading_keys_stratd_and_riskd_read_are_accepted)
{
	char err[512] = "";

	cr_assert_eq(load("[engine]\ncoins = BTC\n[venue.binance]\ntaker_fee = 0.001\n"
			  "maker_fee = 0.001\ntrading = false\ntick.BTC = 0.01\nstep.BTC = 0.001\n"
			  "min_notional = 5\nmax_notional = 9\n", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(load("[engine]\ncoins = BTC\n[venue.binance]\ntick = 0.01\n", err,
			  sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "feedd.conf:4: key 'venue.binance.tick': unknown key");
}
