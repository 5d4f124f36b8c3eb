/* SPDX-License-Identifier: MIT */
/*
 * exsim's server: the control listener, faults applied at run time,
 * deferred jobs in due order, connection slots running out.
 */
#include <criterion/criterion.h>
#include "simtest.h"
#include "../testutil.h"

static struct simtest T;

static void start(void)
{
	simtest_start(&T, NULL);
}

static void stop(void)
{
	simtest_stop(&T);
}

TestSuite(sim_server, .init = start, .fini = stop);

Test(sim_server, status_names_every_venue_and_its_ports)
{
	struct simtest_resp *r = simtest_control(&T, "GET", "/status");
	struct sim_venue *up = sim_server_venue(T.s, "upbit");
	struct sim_venue *bn = sim_server_venue(T.s, "binance");
	char want[64];

	cr_assert_eq(r->err, 0);
	cr_assert_eq(r->status, 200);
	cr_assert_not_null(up);
	cr_assert_not_null(bn);
	snprintf(want, sizeof(want), "\"rest_port\":%u", up->rest_port);
	cr_assert_not_null(strstr(r->body, want), "%s in %s", want, r->body);
	snprintf(want, sizeof(want), "\"api_port\":%u", bn->api_port);
	cr_assert_not_null(strstr(r->body, want), "%s in %s", want, r->body);
	cr_assert_neq(bn->api_port, 0, "Binance has its order API listener");
	cr_assert_eq(up->api_port, 0, "Upbit has none");
	simtest_resp_free(r);
}

Test(sim_server, a_bad_fault_is_refused_with_the_reason)
{
	struct simtest_resp *r = simtest_control(&T, "POST", "/fault?kind=earthquake&venue=upbit");

	cr_assert_eq(r->status, 400);
	cr_assert_not_null(strstr(r->body, "earthquake"), "names the bad value: %s", r->body);
	simtest_resp_free(r);
	r = simtest_control(&T, "GET", "/nothing");
	cr_assert_eq(r->status, 404);
	simtest_resp_free(r);
}

Test(sim_server, disconnect_fault_drops_only_that_venues_connections)
{
	struct simtest_ws *bn = simtest_ws_open(&T, "binance", false,
						"/ws/btcusdt@bookTicker", NULL);
	struct simtest_ws *up = simtest_ws_open(&T, "upbit", false, "/websocket/v1", NULL);
	struct simtest_resp *r;

	cr_assert(simtest_ws_wait(&T, bn, 1), "bookTicker flows");
	r = simtest_control(&T, "POST", "/fault?kind=disconnect&venue=binance");
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	cr_assert(simtest_ws_wait_close(&T, bn), "the Binance client was dropped");
	cr_assert_eq(bn->close_code, WS_CLOSE_ABNORMAL, "no close frame: TCP just went");
	cr_assert_not(up->closed, "Upbit's connection stays");
	cr_assert_eq(sim_server_venue(T.s, "binance")->fs.applied[SIM_FAULT_DISCONNECT], 1);
	simtest_ws_free(&T, up);
	simtest_ws_free(&T, bn);
}

Test(sim_server, stall_fault_keeps_the_connection_and_stops_the_data)
{
	struct simtest_ws *bn = simtest_ws_open(&T, "binance", false,
						"/ws/btcusdt@bookTicker", NULL);
	struct simtest_resp *r;
	uint32_t before;

	cr_assert(simtest_ws_wait(&T, bn, 1));
	r = simtest_control(&T, "POST", "/fault?kind=stall&venue=binance&duration=60s");
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	/* whatever was in flight when the stall began may still land */
	cr_assert(simtest_steps(&T, 5));
	before = bn->nmsg;
	cr_assert(simtest_steps(&T, 50));
	cr_assert_eq(bn->nmsg, before, "nothing while stalled");
	cr_assert_not(bn->closed, "the connection stays open");
	simtest_ws_free(&T, bn);
}

/* ---- deferred jobs ---------------------------------------------------------------- */

static int order_seen[8];
static int nseen;

static void record(struct sim_venue *v, struct sim_job *j)
{
	order_seen[nseen++] = j->data[0];
}

static bool all_seen(void *arg)
{
	return nseen == *(int *)arg;
}

Test(sim_server, jobs_run_in_due_order_whatever_order_they_came_in)
{
	struct sim_venue *v = sim_server_venue(T.s, "upbit");
	const uint64_t ms = 1000000ull;
	uint8_t d;
	int want = 4;

	nseen = 0;
	d = 3;
	cr_assert_eq(sim_defer(v, 30 * ms, record, NULL, NULL, &d, 1), 0);
	d = 1;
	cr_assert_eq(sim_defer(v, 10 * ms, record, NULL, NULL, &d, 1), 0);
	d = 2;
	cr_assert_eq(sim_defer(v, 20 * ms, record, NULL, NULL, &d, 1), 0);
	d = 0;
	cr_assert_eq(sim_defer(v, 0, record, NULL, NULL, &d, 1), 0);
	cr_assert(simtest_run_until(&T, all_seen, &want));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(order_seen[i], i, "job %d ran in place %d", order_seen[i], i);
}

Test(sim_server, a_full_job_pool_is_a_status_not_a_crash)
{
	struct sim_venue *v = sim_server_venue(T.s, "upbit");
	uint8_t big[SIM_JOB_DATA] = { 0 };
	int ret = 0;
	unsigned n = 0;

	cr_assert_eq(sim_defer(v, 0, record, NULL, NULL, big, sizeof(big)), -EMSGSIZE);
	while (!ret && n < 100000) {
		ret = sim_defer(v, 3600ull * 1000000000ull, record, NULL, NULL, big, 8);
		n++;
	}
	cr_assert_eq(ret, -ENOSPC);
	cr_assert_gt(n, 1000, "a pool of thousands");
}

Test(sim_server, connection_slots_run_out_cleanly)
{
	struct simtest_ws *c[40];
	unsigned ok = 0, refused = 0;

	for (unsigned i = 0; i < 40; i++) {
		c[i] = simtest_ws_connect(&T, "binance", false, "/ws/btcusdt@trade", NULL);
		if (c[i]->opened)
			ok++;
		else
			refused++;
	}
	cr_assert_eq(ok, 32, "the test server has 32 slots");
	cr_assert_eq(refused, 8);
	for (unsigned i = 0; i < 40; i++)
		simtest_ws_free(&T, c[i]);
	/* and a slot is good again once freed */
	c[0] = simtest_ws_open(&T, "binance", false, "/ws/btcusdt@trade", NULL);
	simtest_ws_free(&T, c[0]);
}
