/* SPDX-License-Identifier: MIT */
/*
 * The e2e bench's stage breakdown in orderd (OD_STAGES): an order riskd
 * sends with every stage stamp gets one sample in each of the six
 * "stage.*" histograms, the stamped spans exactly as the stamps say; an
 * order missing any stamp (a retry or an unwind: stratd decided it on no
 * market message) is counted in stage_unstamped and recorded nowhere; a
 * stamp earlier than the one before it (clocks of two cores) records 0,
 * never a wrapped span. The real orderd against exsim (odtest.h), the
 * test playing riskd.
 */
#include "odtest.h"
#include "kimp/config.h"
#include "kimp/tradeconf.h"

TestSuite(stage_stamps, .timeout = 240);

static const char quiet[] =
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n";

static const char *const stage[6] = {
	"stage.md_ns", "stage.strat_ns", "stage.intent_hop_ns", "stage.risk_ns",
	"stage.order_hop_ns", "stage.encode_sign_ns",
};

static int64_t qty_small; /* 0.001 BTC at Binance's decimals */
static unsigned px_dec;    /* Binance's BTC price decimals */

static void up(struct odt *t)
{
	struct kimp_conf *kc = NULL;
	static struct kimp_trade_conf tc;
	char err[256];

	cr_assert_eq(kimp_conf_parse("t", "[engine]\ncoins = BTC ETH XRP USDT\n[venue.upbit]\n"
				     "quote = KRW\ncoins = BTC ETH XRP USDT\n[venue.binance]\n"
				     "quote = USDT\ncoins = BTC ETH XRP\n", &kc, err, sizeof(err)), 0);
	cr_assert_eq(kimp_trade_conf_load(kc, &tc, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(kc);
	px_dec = tc.venue[KIMP_VENUE_BINANCE].px_dec;
	qty_small = 1;
	for (unsigned i = 0; i + 3 < tc.venue[KIMP_VENUE_BINANCE].qty_dec; i++)
		qty_small *= 10;
	odt_init(t);
	odt_exsim(t, quiet);
	odt_riskd(t);
	odt_orderd(t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, NULL);
	cr_assert(odt_wait_ready(t, KIMP_VENUE_BINANCE), "never ready:\n%s", odt_out(t));
}

/*
 * An IOC buy at the best bid (it expires) carrying stamps st[0..4]:
 * ingress, strat_deq, strat_pub, risk_deq, risk_pub. Waits for its final
 * report: orderd has sent it and recorded what it records by then.
 */
static uint64_t push_stamped(struct odt *t, const uint64_t st[5])
{
	struct kimp_order o;
	int64_t bid = odt_best(t, "binance", "BTCUSDT", "bids", px_dec);

	memset(&o, 0, sizeof(o));
	o.h.type = KIMP_MSG_ORDER_NEW;
	o.h.venue = KIMP_VENUE_BINANCE;
	o.h.inst = 1;
	o.h.ingress_tsc = st[0];
	o.strat_deq_tsc = st[1];
	o.strat_pub_tsc = st[2];
	o.risk_deq_tsc = st[3];
	o.risk_pub_tsc = st[4];
	o.client_oid = t->next_coid++;
	o.intent_id = o.client_oid;
	o.pair_id = o.client_oid;
	o.px = bid;
	o.qty = qty_small;
	o.side = KIMP_SIDE_BUY;
	o.tif = KIMP_TIF_IOC;
	cr_assert_eq(shm_ring_push(&t->orders, &o, sizeof(o)), 0);
	t->orders_pushed++;
	const struct kimp_exec_report *r = odt_wait_state(t, o.client_oid, 0xff);
	cr_assert_not_null(r, "no final report (%s):\n%s", odt_reps_str(t, o.client_oid),
			   odt_out(t));
	cr_assert_neq(r->state, KIMP_ORD_REJECTED, "refused (code %d): never sent",
		      r->reject_code);
	return o.client_oid;
}

static struct shm_hist_snap snap; /* 18 KB: not on the stack */

static uint64_t count_of(struct odt *t, const char *name)
{
	cr_assert(odt_hist(t, name, &snap), "orderd has no histogram %s", name);
	return snap.count;
}

Test(stage_stamps, a_stamped_order_gets_one_sample_in_each_stage)
{
	struct odt t;

	up(&t);
	const struct kimp_tsc_cal *cal = shm_seg_tsc(&t.od);
	for (unsigned k = 0; k < 6; k++)
		cr_assert_eq(count_of(&t, stage[k]), 0, "%s before any order", stage[k]);
	cr_assert_eq(odt_counter(&t, "stage_unstamped"), 0);

	/* spans of 1000, 2000, 3000 and 4000 ticks, all before orderd takes it */
	uint64_t b = kimp_rdtsc() - 1000000;
	const uint64_t st[5] = { b, b + 1000, b + 3000, b + 6000, b + 10000 };
	push_stamped(&t, st);
	for (unsigned k = 0; k < 6; k++) {
		cr_assert_eq(count_of(&t, stage[k]), 1, "%s", stage[k]);
		if (k < 4) {
			uint64_t want = kimp_tsc_to_ns_delta(cal, 1000 * (k + 1));
			cr_assert_eq(snap.max, want, "%s: %llu ns, the stamps say %llu", stage[k],
				     (unsigned long long)snap.max, (unsigned long long)want);
		} else {
			cr_assert_gt(snap.max, 0, "%s: orderd's own span", stage[k]);
		}
	}
	/* order_hop: risk_pub to orderd's dequeue, at least the million ticks back */
	odt_hist(&t, "stage.order_hop_ns", &snap);
	cr_assert_geq(snap.max, kimp_tsc_to_ns_delta(cal, 1000000 - 10000));
	cr_assert_eq(odt_counter(&t, "stage_unstamped"), 0);
	odt_fini(&t);
}

Test(stage_stamps, an_order_missing_any_stamp_is_counted_not_recorded)
{
	struct odt t;

	up(&t);
	uint64_t b = kimp_rdtsc() - 1000000;
	/* each of the five stamps missing in turn */
	for (unsigned z = 0; z < 5; z++) {
		uint64_t st[5] = { b, b + 1000, b + 3000, b + 6000, b + 10000 };
		st[z] = 0;
		push_stamped(&t, st);
		cr_assert_eq(odt_counter(&t, "stage_unstamped"), z + 1, "stamp %u missing", z);
	}
	for (unsigned k = 0; k < 6; k++)
		cr_assert_eq(count_of(&t, stage[k]), 0, "%s took an unstamped order", stage[k]);
	/* and every stamp there (the boundary): recorded, not counted */
	const uint64_t st[5] = { b, b + 1, b + 2, b + 3, b + 4 };
	push_stamped(&t, st);
	cr_assert_eq(odt_counter(&t, "stage_unstamped"), 5);
	for (unsigned k = 0; k < 6; k++)
		cr_assert_eq(count_of(&t, stage[k]), 1, "%s", stage[k]);
	odt_fini(&t);
}

Test(stage_stamps, a_stamp_before_the_previous_one_records_zero)
{
	struct odt t;

	up(&t);
	uint64_t b = kimp_rdtsc() - 1000000;
	/* strat_pub before strat_deq; risk_deq equal to strat_pub */
	const uint64_t st[5] = { b, b + 5000, b + 4000, b + 4000, b + 9000 };
	push_stamped(&t, st);
	cr_assert(odt_hist(&t, "stage.strat_ns", &snap));
	cr_assert_eq(snap.count, 1);
	cr_assert_eq(snap.max, 0, "a backwards span wrapped: %llu ns",
		     (unsigned long long)snap.max);
	cr_assert(odt_hist(&t, "stage.intent_hop_ns", &snap));
	cr_assert_eq(snap.count, 1);
	cr_assert_eq(snap.max, 0);
	cr_assert(odt_hist(&t, "stage.md_ns", &snap));
	cr_assert_gt(snap.max, 0);
	odt_fini(&t);
}
