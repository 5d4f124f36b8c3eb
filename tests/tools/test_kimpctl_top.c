/* SPDX-License-Identifier: MIT */
/*
 * kimpctl top --once: one frame of the live view on hand-built segments:
 * feed rate and book age per venue, PnL and positions, open orders, the
 * tick-to-order stages; a missing daemon is a line, not a failure.
 */
#include "segfix.h"

static struct fx x;

static void setup(void)
{
	fx_init(&x);
}

static void teardown(void)
{
	fx_fini(&x);
}

TestSuite(kimpctl_top, .init = setup, .fini = teardown);

Test(kimpctl_top, once_shows_every_part)
{
	struct shm_metrics *m;

	fx_feed(&x);
	fx_risk(&x);
	m = fx_metrics(&x.rs, "riskd");
	shm_hist_record(shm_metrics_hist(m, "intent_to_order_ns"), 2000);
	fx_orders(&x);
	m = fx_metrics(&x.os, "orderd");
	*shm_metrics_gauge(m, "open_orders") = 1;
	shm_hist_record(shm_metrics_hist(m, "tick_to_order_ns"), 7000);
	shm_hist_record(shm_metrics_hist(m, "upbit.tick_to_order_ns"), 7000);
	FX_RUN(&x, "top", "--once");
	ctl_assert_status(x.r, 0);
	squeeze(x.r.out);
	assert_lacks(x.r.out, "\033[");               /* not a terminal: no clearing */
	assert_has(x.r.out, "FEEDS (");
	assert_has(x.r.out, " upbit 420 2 15.0 ms\n");
	assert_has(x.r.out, "PREMIUM (");
	assert_has(x.r.out, "no state");             /* no stratd segment */
	assert_has(x.r.out, "mode running pnl 12345 KRW (realized 10000, unrealized 2345)");
	assert_has(x.r.out, "open orders 2");
	assert_has(x.r.out, " upbit BTC 1.5 ");
	assert_has(x.r.out, "open_orders 1\n");
	assert_has(x.r.out, "TICK TO ORDER (feedd receipt to order sent, then by stage)");
	assert_has(x.r.out, "orderd tick_to_order_ns p50 7.00 us ");
	assert_has(x.r.out, "orderd upbit.tick_to_order_ns p50 7.00 us ");
	assert_has(x.r.out, "riskd intent_to_order_ns p50 2.00 us ");
	assert_has(x.r.out, "stratd no metrics");
}

Test(kimpctl_top, nothing_running_still_draws)
{
	FX_RUN(&x, "top", "--once");
	ctl_assert_status(x.r, 0);
	assert_has(x.r.out, "FEEDS (");
	assert_has(x.r.out, "no metrics");
}

Test(kimpctl_top, usage)
{
	FX_RUN(&x, "top", "--interval", "1ms");
	ctl_assert_status(x.r, 2);
	assert_has(x.r.err, "10ms..3600s");
	FX_RUN(&x, "top", "--interval", "abc");
	ctl_assert_status(x.r, 2);
	FX_RUN(&x, "top", "--bogus");
	ctl_assert_status(x.r, 2);
}

Test(kimpctl_top, interval_redraws_until_stopped)
{
	const char *argv[] = { kimpctl_path(), "-c", x.cfg, "top", "--interval", "10ms", NULL };
	char buf[65536];
	size_t len = 0;
	char *first;
	int fd;
	pid_t pid;

	pid = test_spawn(argv, &fd);
	/* two frames, then SIGTERM ends it with status 0 */
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		cr_assert_gt(n, 0, "top ended before a second frame");
		len += (size_t)n;
		buf[len] = 0;
		first = strstr(buf, "kimp top");
		if (first && strstr(first + 1, "kimp top"))
			break;
		cr_assert_lt(len, sizeof(buf) - 1);
	}
	kill(pid, SIGTERM);
	cr_assert_eq(test_wait_child(pid), 0);
	close(fd);
}
