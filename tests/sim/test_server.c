/* SPDX-License-Identifier: MIT */
/*
 * exsim's server: the control listener, faults applied at run time,
 * deferred jobs in due order, connection slots running out.
 */
#include <criterion/criterion.h>
#include "simtest.h"
#include "../../sim/replay.h"
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
	uint8_t big[SIM_JOB_DATA + 1] = { 0 };
	int ret = 0;
	unsigned n = 0;

	cr_assert_eq(sim_defer(v, 0, record, NULL, NULL, big, sizeof(big)), -EMSGSIZE);
	nseen = 0;
	cr_assert_eq(sim_defer(v, 0, record, NULL, NULL, big, SIM_JOB_DATA), 0, "exactly full fits");
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

Test(sim_server, malformed_fault_sends_exactly_one_bad_message)
{
	struct simtest_ws *bn = simtest_ws_open(&T, "binance", false,
						"/ws/btcusdt@bookTicker", NULL);
	struct simtest_resp *r;
	uint32_t bad = 0;

	cr_assert(simtest_ws_wait(&T, bn, 1));
	r = simtest_control(&T, "POST", "/fault?kind=malformed&venue=binance&count=1");
	cr_assert_eq(r->status, 200, "%s", r->body);
	simtest_resp_free(r);
	cr_assert(simtest_ws_wait(&T, bn, bn->nmsg + 20));
	for (uint32_t i = 0; i < bn->kept; i++) {
		struct jr_tok tok[64];

		if (jr_parse(bn->msg[i], bn->len[i], tok, 64) < 0)
			bad++;
	}
	cr_assert_eq(bad, 1, "one message was not JSON");
	simtest_ws_free(&T, bn);
}

/* ---- a scripted fault, and a replay: their own servers --------------------------------- */

Test(sim_server_script, a_scripted_disconnect_fires_at_its_time)
{
	struct simtest t;
	struct simtest_ws *c;

	simtest_start(&t, "[fault.drop]\nat = 2s\nkind = disconnect\nvenue = binance\n");
	c = simtest_ws_open(&t, "binance", false, "/ws/btcusdt@trade", NULL);
	cr_assert_eq(sim_server_venue(t.s, "binance")->fs.applied[SIM_FAULT_DISCONNECT], 0,
		     "not before its time");
	cr_assert(simtest_ws_wait_close(&t, c), "dropped when the scenario said");
	cr_assert_eq(c->close_code, WS_CLOSE_ABNORMAL);
	cr_assert_eq(sim_server_venue(t.s, "binance")->fs.applied[SIM_FAULT_DISCONNECT], 1);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}

Test(sim_server_script, a_capture_is_replayed_verbatim_to_its_venue)
{
	static const char *const frames[] = {
		"{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"1.00000000\"}",
		"not json\nwith a newline and a \\ backslash",
		"{\"e\":\"trade\",\"t\":2}",
	};
	struct simtest t;
	struct simtest_ws *bn, *up;
	char path[128], scn[256], err[256], scratch[1024];
	char dir[] = "/tmp/kimp-replay-XXXXXX";
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.txt", dir);
	fd = sim_capture_create(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(sim_capture_append(fd, scratch, sizeof(scratch),
						1700000000000000000ull + i * 1000000ull, "binance",
						i == 1 ? SIM_CAP_OP_BINARY : SIM_CAP_OP_TEXT,
						frames[i], strlen(frames[i])), 0);
	close(fd);
	snprintf(scn, sizeof(scn), "[exsim]\nreplay = %s\nreplay_speed = 0\n", path);
	simtest_start(&t, scn);
	up = simtest_ws_open(&t, "upbit", false, "/websocket/v1", NULL);
	bn = simtest_ws_open(&t, "binance", false, "/ws/btcusdt@bookTicker", NULL);
	cr_assert(simtest_ws_wait(&t, bn, 3));
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(bn->len[i], strlen(frames[i]));
		cr_assert_eq(memcmp(bn->msg[i], frames[i], bn->len[i]), 0, "frame %u", i);
		cr_assert_eq(bn->op[i], i == 1 ? WS_OP_BINARY : WS_OP_TEXT);
	}
	cr_assert(simtest_steps(&t, 20));
	cr_assert_eq(bn->nmsg, 3, "only the capture: the model's books are not published");
	cr_assert_eq(up->nmsg, 0, "another venue's frames go nowhere else");
	simtest_ws_free(&t, bn);
	simtest_ws_free(&t, up);
	simtest_stop(&t);
	snprintf(scn, sizeof(scn), "rm -rf '%s'", dir);
	cr_expect_eq(system(scn), 0);
}
