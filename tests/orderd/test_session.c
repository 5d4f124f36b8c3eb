/* SPDX-License-Identifier: MIT */
/*
 * orderd's sessions (orderd/session.c) against exsim (odtest.h): what the
 * channels do when they are full.
 *
 *   ws-api window   Binance with a slow order path (2 s): 4 x OD_WS_INFLIGHT
 *                   orders pushed at once, so their replies come back at
 *                   once. Without a window orderd put them all on the
 *                   ws-api, exsim could not queue ~2 MiB of replies and cut
 *                   the connection (the 1006 of the order bench; a real
 *                   venue cuts a slow reader too). Now the ws-api never
 *                   holds more than OD_WS_INFLIGHT requests awaiting a
 *                   reply; the rest go to REST or are refused before send
 *                   (SEND_FAILED), counted in binance.wsapi_full; the
 *                   connection stays up and every order on it is answered.
 *   REST pipeline   Upbit with one connection and rest_pipeline = 4: orders
 *                   go out pipelined; the first one's reply is dropped by
 *                   exsim, so it times out and the ones pipelined behind it
 *                   end -ECONNABORTED: every one of them is UNKNOWN, never
 *                   sent again, and settled by query (the first found, the
 *                   others never placed).
 */
#include "odtest.h"
#include "kimp/config.h"
#include "kimp/tradeconf.h"
#include "kimp/venue_ord.h"
#include "../../orderd/orderd.h"

TestSuite(orderd_session, .timeout = 240);

static const char market[] =
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n";

/* The venue's BTC rules (decimals, tick) from the same trading config as odtest's. */
static void rules_of(unsigned venue, unsigned *px_dec, unsigned *qty_dec,
		     struct venue_inst_rules *rules)
{
	struct kimp_conf *kc = NULL;
	static struct kimp_trade_conf tc;
	char err[256];

	cr_assert_eq(kimp_conf_parse("t", "[engine]\ncoins = BTC ETH XRP USDT\n[venue.upbit]\n"
				     "quote = KRW\ncoins = BTC ETH XRP USDT\n[venue.binance]\n"
				     "quote = USDT\ncoins = BTC ETH XRP\n", &kc, err, sizeof(err)), 0);
	cr_assert_eq(kimp_trade_conf_load(kc, &tc, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(kc);
	*px_dec = tc.venue[venue].px_dec;
	*qty_dec = tc.venue[venue].qty_dec;
	*rules = tc.venue[venue].inst[1].rules;
}

/* Half the best bid, on the tick: a buy that never fills. */
static int64_t half_bid(struct odt *t, unsigned venue, const char *name, const char *sym,
			unsigned px_dec, const struct venue_inst_rules *r)
{
	int64_t q = odt_best(t, name, sym, "bids", px_dec) / 2;
	int64_t tick = r->tick_at ? r->tick_at(q, px_dec) : r->tick;

	(void)venue;
	if (tick <= 0)
		tick = 1;
	return q / tick * tick;
}

static int64_t qty_milli(unsigned qty_dec)
{
	int64_t q = 1;

	for (unsigned i = 0; i + 3 < qty_dec; i++)
		q *= 10; /* 0.001 */
	return q;
}

static bool is_final(unsigned s)
{
	return s == KIMP_ORD_FILLED || s == KIMP_ORD_CANCELLED || s == KIMP_ORD_REJECTED ||
	       s == KIMP_ORD_EXPIRED;
}

/* exsim's count of connections it cut for not reading their replies. */
static uint64_t slow_closed(struct odt *t)
{
	static char body[1 << 16];
	const char *p;

	cr_assert_eq(odt_ctl(t, "GET", "/status", body, sizeof(body)), 200);
	p = strstr(body, "\"ws_slow_closed\":");
	cr_assert_not_null(p, "%s", body);
	return strtoull(p + strlen("\"ws_slow_closed\":"), NULL, 10);
}

/* ---- the ws-api window ------------------------------------------------------------------ */

#define WIN_ORDERS (OD_WS_INFLIGHT * 4)

Test(orderd_session, wsapi_holds_at_most_its_window_and_stays_up)
{
	static uint64_t coid[WIN_ORDERS];
	struct odt t;
	struct venue_inst_rules ru;
	unsigned pd, qd, on_ws = 0, on_rest = 0, refused = 0;
	const unsigned bn = KIMP_VENUE_BINANCE;
	char scn[1024];

	rules_of(bn, &pd, &qd, &ru);
	/* the order path holds every order 2 s: replies wait, requests pile up */
	snprintf(scn, sizeof(scn), "%s[venue.binance]\norder_latency = 2s\nrate_limits = false\n",
		 market);
	odt_init(&t);
	odt_exsim(&t, scn);
	odt_riskd(&t);
	odt_orderd(&t, 1u << bn, NULL, NULL, "rate_limits = false\n");
	cr_assert(odt_wait_ready(&t, bn), "never ready:\n%s", odt_out(&t));
	uint64_t reconnects = t.st->venue[bn].reconnects;
	int64_t px = half_bid(&t, bn, "binance", "BTCUSDT", pd, &ru);

	for (unsigned i = 0; i < WIN_ORDERS; i++)
		coid[i] = odt_push(&t, KIMP_MSG_ORDER_NEW, bn, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC, px,
				   qty_milli(qd), 0);
	/* every order answered, refused before send, or gone UNKNOWN (the connection lost) */
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	for (unsigned i = 0; i < WIN_ORDERS;) {
		const struct kimp_exec_report *l;

		odt_poll(&t);
		l = odt_last(&t, coid[i]);
		if (l && (is_final(l->state) || l->state == KIMP_ORD_UNKNOWN)) {
			i++;
			continue;
		}
		cr_assert(odt_alive(&t), "orderd died:\n%s", odt_out(&t));
		cr_assert_lt(kimp_mono_ns(), end, "order %u: %s\n%s", i, odt_reps_str(&t, coid[i]),
			     odt_out(&t));
		usleep(1000);
	}
	/* the replies came back at once (each waited 2 s): the venue held them all */
	cr_assert_eq(slow_closed(&t), 0, "exsim cut orderd's ws-api for not reading its replies "
		     "(1006):\n%s", odt_out(&t));
	cr_assert_eq(t.st->venue[bn].reconnects, reconnects, "the ws-api was lost:\n%s",
		     odt_out(&t));
	for (unsigned i = 0; i < WIN_ORDERS; i++) {
		const struct kimp_exec_report *r = odt_wait_state(&t, coid[i], 0xff);
		struct kimp_ord_entry e;

		cr_assert_not_null(r, "order %u never settled (%s)", i, odt_reps_str(&t, coid[i]));
		cr_assert(odt_entry(&t, coid[i], &e));
		if (r->state == KIMP_ORD_REJECTED && r->reject_code == KIMP_OREJ_SEND_FAILED) {
			refused++;
			cr_assert_eq(odt_ledger_count(&t, coid[i], "\"ev\":\"order\"", NULL, 0), 0);
			continue;
		}
		/* answered by the venue, never UNKNOWN: the connection held */
		cr_assert_eq(r->state, KIMP_ORD_EXPIRED, "order %u: %s", i, odt_reps_str(&t, coid[i]));
		for (uint32_t k = 0; k < t.nreps; k++)
			cr_assert(t.reps[k].client_oid != coid[i] ||
				  t.reps[k].state != KIMP_ORD_UNKNOWN, "order %u went UNKNOWN", i);
		if (e.chan == VO_CH_WSAPI)
			on_ws++;
		else
			on_rest++;
		cr_assert_eq(odt_ledger_count(&t, coid[i], "\"ev\":\"order\"", NULL, 0), 1);
	}
	/* the window: never more than OD_WS_INFLIGHT on the ws-api at once (all
	 * were in flight together: each waited 2 s at the venue) */
	cr_assert_leq(on_ws, OD_WS_INFLIGHT, "%u orders in flight on the ws-api", on_ws);
	cr_assert_geq(on_ws, OD_WS_INFLIGHT - 8, "the ws-api took only %u", on_ws);
	cr_assert_eq(on_ws + on_rest + refused, WIN_ORDERS);
	cr_assert_gt(refused + on_rest, 0);
	cr_assert_geq(odt_counter(&t, "binance.wsapi_full"), (uint64_t)(refused + on_rest),
		      "wsapi_full %llu", (unsigned long long)odt_counter(&t, "binance.wsapi_full"));
	/* and it goes on: a new order takes the ws-api again */
	uint64_t c = odt_push(&t, KIMP_MSG_ORDER_NEW, bn, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC, px,
			      qty_milli(qd), 0);
	cr_assert_not_null(odt_wait_state(&t, c, KIMP_ORD_EXPIRED), "%s\n%s", odt_reps_str(&t, c),
			   odt_out(&t));
	odt_fini(&t);
}

/* ---- the REST pipeline ---------------------------------------------------------------- */

#define PIPE_ORDERS 4

Test(orderd_session, rest_pipeline_failure_leaves_every_order_unknown)
{
	uint64_t coid[PIPE_ORDERS];
	struct odt t;
	struct venue_inst_rules ru;
	unsigned pd, qd;
	const unsigned up = KIMP_VENUE_UPBIT;

	rules_of(up, &pd, &qd, &ru);
	odt_init(&t);
	odt_exsim(&t, market);
	odt_riskd(&t);
	odt_orderd(&t, 1u << up, NULL,
		   "rest_conns = 1\nrest_pipeline = 4\ntimeout = 1s\nrate_limits = false\n", NULL);
	cr_assert(odt_wait_ready(&t, up), "never ready:\n%s", odt_out(&t));
	/* the first order's reply never comes: the server holds the ones behind it */
	cr_assert_eq(odt_ctl(&t, "POST", "/fault?kind=drop_response&venue=upbit&count=1", NULL, 0),
		     200);
	int64_t px = half_bid(&t, up, "upbit", "KRW-BTC", pd, &ru);
	for (unsigned i = 0; i < PIPE_ORDERS; i++)
		coid[i] = odt_push(&t, KIMP_MSG_ORDER_NEW, up, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC, px,
				   qty_milli(qd), 0);
	/* all four went out on the one connection (a pipeline of 1 would refuse 3) */
	for (unsigned i = 0; i < PIPE_ORDERS; i++)
		cr_assert_not_null(odt_wait_state(&t, coid[i], KIMP_ORD_SENT), "order %u: %s\n%s", i,
				   odt_reps_str(&t, coid[i]), odt_out(&t));
	/* the behind ones: no reply (-ECONNABORTED), UNKNOWN, then settled as never placed */
	for (unsigned i = 1; i < PIPE_ORDERS; i++) {
		cr_assert_not_null(odt_wait_state(&t, coid[i], KIMP_ORD_UNKNOWN), "order %u: %s\n%s",
				   i, odt_reps_str(&t, coid[i]), odt_out(&t));
		const struct kimp_exec_report *r = odt_wait_state(&t, coid[i], 0xff);
		cr_assert_not_null(r, "order %u never settled: %s\n%s", i, odt_reps_str(&t, coid[i]),
				   odt_out(&t));
		cr_assert_eq(r->state, KIMP_ORD_REJECTED, "order %u: %s", i,
			     odt_reps_str(&t, coid[i]));
		cr_assert_eq(r->reject_code, KIMP_OREJ_NOT_FOUND, "order %u: %s", i,
			     odt_reps_str(&t, coid[i]));
	}
	/* the first: placed at the venue, its reply dropped; known from the stream or a query */
	const struct kimp_exec_report *f = odt_wait_state(&t, coid[0], KIMP_ORD_ACKED);
	cr_assert_not_null(f, "%s\n%s", odt_reps_str(&t, coid[0]), odt_out(&t));
	/* no order was sent twice, and the behind ones never reached the venue */
	cr_assert_eq(odt_ledger_count(&t, coid[0], "\"ev\":\"order\"", NULL, 0), 1);
	for (unsigned i = 1; i < PIPE_ORDERS; i++)
		cr_assert_eq(odt_ledger_count(&t, coid[i], "\"ev\":\"order\"", NULL, 0), 0,
			     "order %u reached the venue", i);
	for (unsigned i = 0; i < PIPE_ORDERS; i++) {
		const struct kimp_exec_report *l = odt_last(&t, coid[i]);
		cr_assert(l && (is_final(l->state) || l->state == KIMP_ORD_ACKED), "%s",
			  odt_reps_str(&t, coid[i]));
	}
	odt_fini(&t);
}
