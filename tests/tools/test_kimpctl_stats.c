/* SPDX-License-Identifier: MIT */
/*
 * kimpctl stats: every metrics region of every segment of the directory,
 * counters, gauges and histograms with their percentiles; a corrupt region
 * is said and exits 1.
 */
#include <inttypes.h>
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

TestSuite(kimpctl_stats, .init = setup, .fini = teardown);

static void two_segments(void)
{
	struct shm_metrics *m;
	struct shm_hist *h;

	fx_feed(&x);
	fx_risk(&x);
	m = fx_metrics(&x.rs, "riskd");
	*shm_metrics_counter(m, "intents") = 77;
	h = shm_metrics_hist(m, "intent_to_order_ns");
	for (uint64_t v = 1; v <= 1000; v++)
		shm_hist_record(h, v * 1000);
}

Test(kimpctl_stats, json_every_region)
{
	two_segments();
	FX_RUN(&x, "stats", "--json");
	ctl_assert_status(x.r, 0);
	assert_json(x.r.out);
	compact(x.r.out);
	assert_has(x.r.out, "\"proc\":\"feedd\"");
	assert_has(x.r.out, "\"proc\":\"riskd\"");
	assert_has(x.r.out, "\"md.events\":1234");
	assert_has(x.r.out, "\"upbit.msgs_per_s\":420");
	assert_has(x.r.out, "\"intents\":77");
	assert_has(x.r.out, "\"intent_to_order_ns\":{\"count\":1000,");
	/* p50 of 1..1000 us within the histogram's 1.6% */
	uint64_t p50 = number_after(x.r.out, "\"p50_ns\":");
	cr_assert(p50 >= 500000 && p50 <= 508000, "p50 %" PRIu64, p50);
	assert_has(x.r.out, "\"max_ns\":1000000");
	/* the segment without a metrics region (orderd) is not listed */
	cr_assert_lt(strstr(x.r.out, "\"proc\":\"feedd\""), strstr(x.r.out, "\"proc\":\"riskd\""));
}

Test(kimpctl_stats, text)
{
	two_segments();
	FX_RUN(&x, "stats");
	ctl_assert_status(x.r, 0);
	squeeze(x.r.out);
	assert_has(x.r.out, "/metrics\n");
	assert_has(x.r.out, "intent_to_order_ns count 1000 p50 ");
	assert_has(x.r.out, "p99.9 ");
}

Test(kimpctl_stats, empty_directory_and_usage)
{
	FX_RUN(&x, "stats", "--json");
	ctl_assert_status(x.r, 0);
	assert_json(x.r.out);
	compact(x.r.out);
	assert_has(x.r.out, "\"regions\":[]");
	FX_RUN(&x, "stats", "extra");
	ctl_assert_status(x.r, 2);
	assert_has(x.r.err, "stats: unexpected 'extra'");
}

Test(kimpctl_stats, corrupt_region_is_said)
{
	struct shm_metrics *m;

	two_segments();
	cr_assert_eq(shm_metrics_lookup(&x.fs, "metrics", &m), 0);
	m->magic = 0;
	FX_RUN(&x, "stats", "--json");
	ctl_assert_status(x.r, 1);
	assert_json(x.r.out);
	assert_has(x.r.out, "\"error\"");
	assert_has(x.r.out, "\"intents\": 77");
}
