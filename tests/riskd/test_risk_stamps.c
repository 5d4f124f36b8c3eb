/* SPDX-License-Identifier: MIT */
/*
 * riskd's part of the stage stamps (kimp/msg.h): an approved order carries
 * the intent's strat_deq_tsc and strat_pub_tsc as they came (0 stays 0: a
 * retry or an unwind), risk_deq_tsc (the intent taken off the ring) and
 * risk_pub_tsc (stamped just before the publish), in that order. riskd in
 * this process (rdaemon.h).
 */
#include "rdaemon.h"

static struct rpeer P;
static struct riskd D;

static void teardown(void)
{
	riskd_close(&D);
	rp_fini(&P);
}

TestSuite(risk_stamps, .fini = teardown);

static void open_riskd(const char *tag)
{
	char err[512] = "";

	rp_init(&P, tag, NULL);
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	riskd_attach_inputs(&D);
	cr_assert(rp_attach_riskd(&P));
}

/* An intent to buy 0.1 BTC on Binance with stratd's two stamps. */
static void push(uint64_t deq, uint64_t pub, unsigned kind)
{
	struct kimp_intent in;

	memset(&in, 0, sizeof(in));
	in.h.type = KIMP_MSG_INTENT;
	in.h.venue = BN;
	in.h.inst = BTC;
	in.h.ingress_tsc = 4242;
	in.intent_id = P.next_id++;
	in.pair_id = in.intent_id;
	in.px = USD(100000);
	in.qty = BQ(0.1);
	in.side = BUY;
	in.tif = KIMP_TIF_IOC;
	in.leg_count = kind == KIMP_INTENT_ENTRY ? 2 : 1;
	in.kind = (uint8_t)kind;
	in.decision_tsc = kimp_rdtsc();
	in.strat_deq_tsc = deq;
	in.strat_pub_tsc = pub;
	cr_assert_eq(shm_ring_push(&P.intents, &in, sizeof(in)), 0);
}

/* Drain one intent: its order (approved), with the TSC before and after. */
static struct kimp_order take(uint64_t *t0, uint64_t *t1)
{
	struct kimp_order o;
	struct kimp_verdict v;

	*t0 = kimp_rdtsc();
	cr_assert_eq(riskd_drain(&D, 64), 1);
	*t1 = kimp_rdtsc();
	cr_assert(rp_pop(&P.verdicts, &v));
	cr_assert_eq(v.verdict, KIMP_VERDICT_APPROVED, "reason %u", v.reason);
	cr_assert(rp_pop(&P.orders, &o), "an order");
	cr_assert_eq(o.h.type, KIMP_MSG_ORDER_NEW);
	return o;
}

Test(risk_stamps, an_order_carries_stratds_stamps_and_riskds_own)
{
	uint64_t t0, t1;

	open_riskd("s");
	push(1111, 2222, KIMP_INTENT_ENTRY);
	struct kimp_order o = take(&t0, &t1);
	cr_assert_eq(o.strat_deq_tsc, 1111);
	cr_assert_eq(o.strat_pub_tsc, 2222);
	cr_assert(o.risk_deq_tsc >= t0 && o.risk_deq_tsc <= t1, "risk_deq outside the drain");
	cr_assert(o.risk_pub_tsc >= o.risk_deq_tsc && o.risk_pub_tsc <= t1,
		  "risk_pub not between the dequeue and the drain's end");
	cr_assert_eq(o.risk_deq_tsc, o.risk_tsc, "the dequeue is when riskd decided");
	cr_assert_eq(o.h.ingress_tsc, 4242);
}

Test(risk_stamps, an_unstamped_intent_stays_unstamped)
{
	uint64_t t0, t1;

	open_riskd("u");
	push(0, 3333, KIMP_INTENT_ENTRY);
	struct kimp_order o = take(&t0, &t1);
	cr_assert_eq(o.strat_deq_tsc, 0, "no market dequeue: none invented");
	cr_assert_eq(o.strat_pub_tsc, 3333);
	cr_assert_neq(o.risk_deq_tsc, 0);
	cr_assert_neq(o.risk_pub_tsc, 0);
}
