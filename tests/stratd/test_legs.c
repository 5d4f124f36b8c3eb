/* SPDX-License-Identifier: MIT */
/*
 * stratd/legs.c: a pair's two legs through verdicts and reports, and the
 * leg-failure policy when they end unequal (one leg rejected, one leg
 * partially filled, both partially filled) under retry and under unwind;
 * the unhedged exposure and its timer; the inventory view; repeats.
 *
 * stratd runs in process on the harness's segments (sdtest.h). The entry
 * comes through the md path; verdicts and reports are handed to the
 * handlers with the test's clock in s.now (and through the rings where the
 * ring path is what is tested).
 *
 * The entry: the premium jumps from 2% to 3%, so stratd sells 0.1 BTC on
 * upbit (leg 0, bid 100,939,000 KRW, limit 100,889,000) and buys 0.1 on
 * binance (leg 1, ask 70000.10 USDT, limit 70035.10).
 */
#include <criterion/criterion.h>
#include "sdtest.h"
#include "kimp/risk.h"

static struct sdt T;
static struct kimp_intent E[2];         /* the entry's intents */
static uint64_t now0;

#define Q01     10000000ll               /* 0.1 BTC */
#define UB_BID  (100939000ll * SD_E8)
#define UB_ASK  (100940000ll * SD_E8)
#define BN_ASK  (7000010ll * 1000000)    /* 70000.10 */

static void teardown(void)
{
	sdt_fini(&T);
}

static void open_with(const char *extra_stratd)
{
	sdt_init(&T, extra_stratd, NULL, NULL);
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, 1, "the first sample warms the model");
	cr_assert_not(sdt_intent(&T, &E[0]), "no entry on an empty model");
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert(sdt_intent(&T, &E[0]), "an entry when the premium jumps");
	cr_assert(sdt_intent(&T, &E[1]), "both legs");
	now0 = T.clock + 1000;
	T.s.now = now0;
}

/* riskd's verdict on an intent: 'reason' when rejected. */
static void verdict_why(const struct kimp_intent *in, unsigned kind, int64_t qty, uint64_t oid,
			int64_t reason)
{
	struct kimp_verdict v;
	memset(&v, 0, sizeof(v));
	v.h.type = KIMP_MSG_VERDICT;
	v.h.venue = in->h.venue;
	v.h.inst = in->h.inst;
	v.intent_id = in->intent_id;
	v.pair_id = in->pair_id;
	v.client_oid = kind == KIMP_VERDICT_REJECTED ? 0 : oid;
	v.qty = kind == KIMP_VERDICT_REJECTED ? 0 : qty;
	v.px = in->px;
	v.verdict = (uint8_t)kind;
	v.leg = in->leg;
	v.reason = kind == KIMP_VERDICT_REJECTED ? (uint8_t)reason : 0;
	v.kind = in->kind;
	strat_on_verdict(&T.s, &v);
	strat_flush(&T.s);
}

/* A verdict; a rejection for the balance (a reason that does not pass). */
static void verdict(const struct kimp_intent *in, unsigned kind, int64_t qty, uint64_t oid)
{
	verdict_why(in, kind, qty, oid, KIMP_RISK_BALANCE);
}

/* Refused by riskd for 'reason'. */
static void refused(const struct kimp_intent *in, int64_t reason)
{
	verdict_why(in, KIMP_VERDICT_REJECTED, 0, 0, reason);
}

static void report(const struct kimp_intent *in, uint64_t oid, int64_t px, int64_t last,
		   int64_t cum, unsigned state, int64_t fee, unsigned fee_asset)
{
	struct kimp_exec_report r;
	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = in->h.venue;
	r.h.inst = in->h.inst;
	r.client_oid = oid;
	r.last_px = px;
	r.last_qty = last;
	r.cum_qty = cum;
	r.leaves_qty = in->qty - cum;
	r.fee = fee;
	r.fee_asset = (uint8_t)fee_asset;
	r.state = (uint8_t)state;
	r.side = in->side;
	r.leg = in->leg;
	r.pair_id = in->pair_id;
	strat_on_report(&T.s, &r);
	strat_flush(&T.s);
}

/* Approve an intent for all of it and fill q of it (IOC: the rest expires). */
static void fill(const struct kimp_intent *in, uint64_t oid, int64_t px, int64_t q)
{
	verdict(in, KIMP_VERDICT_APPROVED, in->qty, oid);
	if (q)
		report(in, oid, px, q, q, q == in->qty ? KIMP_ORD_FILLED : KIMP_ORD_PARTIAL, 0, 0);
	if (q < in->qty)
		report(in, oid, 0, 0, q, KIMP_ORD_EXPIRED, 0, 0);
}

static const struct kimp_strat_coin *coin(void)
{
	return &T.s.st->coin[1];
}

static const struct kimp_strat_inv *inv(unsigned v, unsigned a)
{
	return &T.s.st->inv[v][a];
}

TestSuite(legs, .fini = teardown);

Test(legs, an_entry_is_a_linked_pair_of_ioc_intents)
{
	open_with(NULL);
	const struct kimp_strat_state *st = T.s.st;
	cr_assert_eq(E[0].intent_id, st->id_base, "ids start at (seconds at creation) << 32");
	cr_assert_eq(E[1].intent_id, E[0].intent_id + 1);
	cr_assert_eq(st->id_base >> 32, st->created_real_ns / 1000000000ull);
	cr_assert_eq(E[0].pair_id, st->id_base);
	cr_assert_eq(E[1].pair_id, E[0].pair_id);
	for (int l = 0; l < 2; l++) {
		cr_assert_eq(E[l].h.type, KIMP_MSG_INTENT);
		cr_assert_eq(E[l].h.inst, 1);
		cr_assert_eq(E[l].leg, l);
		cr_assert_eq(E[l].leg_count, 2);
		cr_assert_eq(E[l].kind, KIMP_INTENT_ENTRY);
		cr_assert_eq(E[l].tif, KIMP_TIF_IOC);
		cr_assert_eq(E[l].qty, Q01);
		cr_assert_eq(E[l].strategy, 1);
		cr_assert_neq(E[l].h.ingress_tsc, 0, "the md event's ingress TSC is carried");
		cr_assert_neq(E[l].decision_tsc, 0);
	}
	cr_assert_eq(E[0].h.venue, KIMP_VENUE_UPBIT);
	cr_assert_eq(E[0].side, KIMP_SIDE_SELL);
	cr_assert_eq(E[0].px, 100889000ll * SD_E8, "100,939,000 - 0.05%%, up to 1000 KRW");
	cr_assert_eq(E[0].max_slip_px, 50000ll * SD_E8);
	cr_assert_eq(E[1].h.venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(E[1].side, KIMP_SIDE_BUY);
	cr_assert_eq(E[1].px, 7003510ll * 1000000, "70000.10 + 0.05%%, down to 0.01");
	cr_assert_eq(E[1].max_slip_px, 3500ll * 1000000);

	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->state, KIMP_STRAT_PAIR_OPEN);
	cr_assert_eq(p->dir, KIMP_STRAT_SELL_KRW);
	cr_assert_eq(p->target, Q01);
	cr_assert_eq(p->leg[0].decision_px, UB_BID);
	cr_assert_eq(p->leg[1].decision_px, BN_ASK);
	cr_assert_eq(p->leg[0].ord[0].state, KIMP_STRAT_ORD_SENT);
	cr_assert_eq(st->pairs_open, 1);
	cr_assert_eq(st->queued, 0);
	cr_assert_eq(st->pushed, 2);
	cr_assert_eq(st->cnt.entries, 1);
	/* reservations: the coin sold on upbit, the cash with its fee on binance */
	cr_assert_eq(inv(KIMP_VENUE_UPBIT, 1)->resv, Q01);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 1)->incoming, Q01);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 0)->resv, 700351000000ll + 700351000ll,
		     "7003.51 USDT and its 0.1%% fee");
	cr_assert_eq(p->leg[1].ord[0].resv, inv(KIMP_VENUE_BINANCE, 0)->resv);
}

Test(legs, both_legs_filled_close_the_pair_and_move_the_inventory)
{
	open_with(NULL);
	uint64_t pid = E[0].pair_id;
	verdict(&E[0], KIMP_VERDICT_APPROVED, Q01, 501);
	verdict(&E[1], KIMP_VERDICT_APPROVED, Q01, 502);
	/* upbit: quote fee 0.05% of 10,093,900 KRW; binance: base fee 0.0001 BTC */
	report(&E[0], 501, UB_BID, Q01, Q01, KIMP_ORD_FILLED, 504695000000ll, 0);
	cr_assert_eq(coin()->unhedged, -Q01, "sold on one venue only so far");
	cr_assert_eq(coin()->unhedged_since, (int64_t)now0);
	report(&E[1], 502, BN_ASK, Q01, Q01, KIMP_ORD_FILLED, 10000, 1);
	cr_assert_eq(coin()->unhedged, 0, "fees aside, hedged");
	cr_assert_eq(coin()->unhedged_since, 0);
	cr_assert_null(strat_pair_find(&T.s, pid), "the pair is done");
	cr_assert_eq(T.s.st->pairs_open, 0);
	cr_assert_eq(coin()->pairs_done, 1);
	cr_assert_eq(coin()->pairs_mended, 0);
	cr_assert_eq(T.s.st->cnt.fills, 2);
	cr_assert_eq(inv(KIMP_VENUE_UPBIT, 1)->fills, -Q01);
	cr_assert_eq(inv(KIMP_VENUE_UPBIT, 0)->fills, 1009390000000000ll - 504695000000ll);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 1)->fills, Q01 - 10000);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 0)->fills, -700001000000ll);
	for (unsigned v = 1; v < KIMP_STRAT_VENUES; v++)
		for (unsigned a = 0; a < KIMP_STRAT_ASSETS; a++) {
			cr_assert_eq(inv(v, a)->resv, 0, "venue %u asset %u", v, a);
			cr_assert_eq(inv(v, a)->incoming, 0, "venue %u asset %u", v, a);
		}
}

/*
 * A leg-failure case: leg 0 fills f0, leg 1 fills f1 (rej: leg 1 is
 * rejected by riskd instead). Checks the mend the policy makes and closes
 * the pair with it.
 */
static void failure_case(bool retry, int64_t f0, int64_t f1, bool rej)
{
	open_with(retry ? "leg_policy = retry\n" : "leg_policy = unwind\n");
	uint64_t pid = E[0].pair_id;
	struct kimp_intent m;

	fill(&E[0], 601, UB_BID, f0);
	cr_assert_eq(coin()->unhedged, -f0);
	cr_assert_eq(coin()->unhedged_since, f0 ? (int64_t)now0 : 0);
	T.s.now = now0 + 5000000;   /* 5 ms later */
	if (rej)
		verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	else
		fill(&E[1], 602, BN_ASK, f1);
	int64_t d = f0 - f1;    /* sold on upbit more than bought on binance */
	cr_assert_eq(coin()->unhedged, -d);
	cr_assert_eq(coin()->unhedged_since, (int64_t)now0, "the timer runs from the first fill");
	const struct kimp_strat_pair *p = sdt_pair(&T, pid);
	cr_assert_eq(p->state, KIMP_STRAT_PAIR_MENDING);
	cr_assert_eq(p->mend_since_ns, (int64_t)now0 + 5000000);

	/* the unhedged exposure is visible in the metrics, with its age */
	T.s.now = now0 + 1500000000ull;
	strat_housekeep(&T.s);
	cr_assert_eq(atomic_load(T.s.m.unhedged_qty[1]), -d);
	cr_assert_eq(atomic_load(T.s.m.unhedged_ms[1]), 1500);

	cr_assert(sdt_intent(&T, &m), "a mending intent");
	cr_assert_eq(m.pair_id, pid);
	cr_assert_eq(m.leg_count, 1);
	cr_assert_eq(m.tif, KIMP_TIF_IOC);
	cr_assert_gt(m.intent_id, E[1].intent_id);
	if (retry) {
		/* the missing qty on binance again, at 70000.10 + 0.1% = 70070.10,
		 * within 0.3% of the decision price (70210.10) */
		cr_assert_eq(m.kind, KIMP_INTENT_RETRY);
		cr_assert_eq(m.leg, 1);
		cr_assert_eq(m.h.venue, KIMP_VENUE_BINANCE);
		cr_assert_eq(m.side, KIMP_SIDE_BUY);
		cr_assert_eq(m.qty, d);
		cr_assert_eq(m.px, 7007010ll * 1000000);
		cr_assert_eq(m.max_slip_px, 21000ll * 1000000);
		cr_assert_eq(p->leg[1].retries, 1);
	} else {
		/* the excess back on upbit: buy at 100,940,000 + 0.1% -> 101,040,000 */
		cr_assert_eq(m.kind, KIMP_INTENT_UNWIND);
		cr_assert_eq(m.leg, 0);
		cr_assert_eq(m.h.venue, KIMP_VENUE_UPBIT);
		cr_assert_eq(m.side, KIMP_SIDE_BUY);
		cr_assert_eq(m.qty, d);
		cr_assert_eq(m.px, 101040000ll * SD_E8);
		cr_assert_eq(p->leg[0].unwinds, 1);
	}
	struct kimp_intent extra;
	cr_assert_not(sdt_intent(&T, &extra), "one mend at a time");

	/* the mend fills: hedged again, the pair done and counted as mended */
	T.s.now = now0 + 2000000000ull;
	fill(&m, 603, retry ? BN_ASK : UB_ASK, m.qty);
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->unhedged_since, 0);
	cr_assert_null(strat_pair_find(&T.s, pid));
	cr_assert_eq(coin()->pairs_done, 1);
	cr_assert_eq(coin()->pairs_mended, 1);
	cr_assert_eq(retry ? coin()->retries : coin()->unwinds, 1);
	strat_housekeep(&T.s);
	cr_assert_eq(atomic_load(T.s.m.unhedged_ms[1]), 0);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 0)->resv, 0);
	cr_assert_eq(inv(KIMP_VENUE_UPBIT, 0)->resv, 0);
	cr_assert_eq(inv(KIMP_VENUE_UPBIT, 1)->resv, 0);
}

Test(legs, one_leg_rejected_retry) { failure_case(true, Q01, 0, true); }
Test(legs, one_leg_rejected_unwind) { failure_case(false, Q01, 0, true); }
Test(legs, one_leg_partially_filled_retry) { failure_case(true, Q01, 4000000, false); }
Test(legs, one_leg_partially_filled_unwind) { failure_case(false, Q01, 4000000, false); }
Test(legs, both_legs_partially_filled_retry) { failure_case(true, 7000000, 4000000, false); }
Test(legs, both_legs_partially_filled_unwind) { failure_case(false, 7000000, 4000000, false); }

Test(legs, the_short_leg_overfilled_side_is_unwound_on_its_own_venue)
{
	/* leg 1 (buy on binance) filled more than leg 0: sell the excess there */
	open_with("leg_policy = unwind\n");
	struct kimp_intent m;
	fill(&E[0], 601, UB_BID, 3000000);
	fill(&E[1], 602, BN_ASK, Q01);
	cr_assert_eq(coin()->unhedged, Q01 - 3000000);
	cr_assert(sdt_intent(&T, &m));
	cr_assert_eq(m.kind, KIMP_INTENT_UNWIND);
	cr_assert_eq(m.leg, 1);
	cr_assert_eq(m.h.venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(m.side, KIMP_SIDE_SELL);
	cr_assert_eq(m.qty, 7000000);
	/* sell at the bid 70000.00 - 0.1% = 69930.00 */
	cr_assert_eq(m.px, 6993000ll * 1000000);
}

Test(legs, retries_run_out_then_the_excess_is_unwound)
{
	open_with("retry_max = 2\n");
	struct kimp_intent r1, r2, u;
	fill(&E[0], 601, UB_BID, Q01);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &r1));
	cr_assert_eq(r1.kind, KIMP_INTENT_RETRY);
	verdict(&r1, KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &r2));
	cr_assert_eq(r2.kind, KIMP_INTENT_RETRY);
	/* more aggressive each time: + 0.15% -> 70105.10 */
	cr_assert_eq(r2.px, 7010510ll * 1000000);
	cr_assert_gt(r2.px, r1.px);
	fill(&r2, 701, BN_ASK, 2000000);         /* part of it */
	cr_assert(sdt_intent(&T, &u));
	cr_assert_eq(u.kind, KIMP_INTENT_UNWIND, "retry_max reached");
	cr_assert_eq(u.leg, 0);
	cr_assert_eq(u.qty, Q01 - 2000000);
	fill(&u, 702, UB_ASK, u.qty);
	cr_assert_null(strat_pair_find(&T.s, E[0].pair_id));
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(coin()->retries, 2);
	cr_assert_eq(coin()->unwinds, 1);
	cr_assert_eq(T.s.st->cnt.rejects, 2);
}

Test(legs, a_retry_past_the_slippage_cap_gives_way_to_the_unwind)
{
	open_with(NULL);
	struct kimp_intent u;
	fill(&E[0], 601, UB_BID, Q01);
	/* binance's asks move 0.31% up: past the cap of 0.3% from 70000.10 */
	sdt_levels(&T, SD_BN_BTC, 7021000ll * 1000000, 7021800ll * 1000000, 1000000, SD_E8, 10);
	sdt_write(&T, SD_BN_BTC);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	cr_assert_eq(u.kind, KIMP_INTENT_UNWIND);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->retry_off, 1);
	cr_assert_eq(coin()->retries, 0);

	/* just inside the cap (70210.10): a retry capped there */
	sdt_fini(&T);
	open_with(NULL);
	fill(&E[0], 601, UB_BID, Q01);
	sdt_levels(&T, SD_BN_BTC, 7020000ll * 1000000, 7021010ll * 1000000, 1000000, SD_E8, 10);
	sdt_write(&T, SD_BN_BTC);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	cr_assert_eq(u.kind, KIMP_INTENT_RETRY);
	cr_assert_eq(u.px, 7021010ll * 1000000, "at the cap, not past it");
}

Test(legs, a_mend_waits_for_a_usable_book)
{
	open_with(NULL);
	struct kimp_intent m;
	fill(&E[0], 601, UB_BID, Q01);
	T.rec[SD_BN_BTC].status = KIMP_BOOK_STALE;
	sdt_write(&T, SD_BN_BTC);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert_not(sdt_intent(&T, &m), "no retry on a stale book");
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->state, KIMP_STRAT_PAIR_MENDING);
	T.rec[SD_BN_BTC].status = KIMP_BOOK_LIVE;
	sdt_write(&T, SD_BN_BTC);
	strat_housekeep(&T.s);
	cr_assert(sdt_intent(&T, &m), "the housekeeping retries it");
	cr_assert_eq(m.kind, KIMP_INTENT_RETRY);
}

Test(legs, a_retry_deferred_past_leg_timeout_gives_way_to_the_unwind)
{
	open_with("leg_timeout = 2s\n");
	struct kimp_intent m;
	fill(&E[0], 601, UB_BID, Q01);
	T.rec[SD_BN_BTC].status = KIMP_BOOK_STALE;
	sdt_write(&T, SD_BN_BTC);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert_not(sdt_intent(&T, &m));
	T.s.now = now0 + 2000000000ull - 1;
	strat_housekeep(&T.s);
	cr_assert_not(sdt_intent(&T, &m), "still waiting");
	T.s.now = now0 + 2000000000ull;
	/* the upbit book must be fresh for the unwind: stamp it now */
	T.clock = T.s.now;
	sdt_write(&T, SD_UB_BTC);
	strat_housekeep(&T.s);
	cr_assert(sdt_intent(&T, &m));
	cr_assert_eq(m.kind, KIMP_INTENT_UNWIND);
}

/*
 * riskd refusing a mend for a reason that passes by itself (an order-rate
 * window here) costs the leg no attempt, and the mend waits for the next
 * housekeeping turn: stratd used to send the next one at once, into the same
 * second, and spend retry_max and unwind_max there, leaving the pair stuck
 * and its coin unhedged (the chaos suite's fault run). Past leg_timeout of
 * mending, refusals count again, so the pair still ends.
 */
Test(legs, a_mend_riskd_refuses_for_now_costs_no_attempt_and_waits)
{
	open_with("leg_policy = unwind\nunwind_max = 1\nleg_timeout = 2s\n");
	struct kimp_intent u, u2, u3;
	fill(&E[0], 601, UB_BID, Q01);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	cr_assert_eq(u.kind, KIMP_INTENT_UNWIND);
	uint64_t deferred = atomic_load(T.s.m.deferred);

	/* refused for the order rate: nothing at once, the attempt given back */
	refused(&u, KIMP_RISK_RATE_SECOND);
	cr_assert_not(sdt_intent(&T, &u2), "a mend sent in the same second");
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->state, KIMP_STRAT_PAIR_MENDING);
	cr_assert_eq(p->leg[0].unwinds, 0);
	cr_assert_eq(atomic_load(T.s.m.deferred), deferred + 1);
	int64_t norders = p->leg[0].norders;

	/* paced: a quarter of leg_timeout (0.5 s here; 1 s at most) */
	T.s.now = now0 + 500000000ull - 1;
	T.clock = T.s.now;
	sdt_write(&T, SD_UB_BTC);
	strat_housekeep(&T.s);
	cr_assert_not(sdt_intent(&T, &u2), "a refused mend came back before its pace");

	/* the next housekeeping turn after it sends it again, in the refused
	 * one's slot; riskd takes it */
	T.s.now = now0 + 1000000000ull;
	T.clock = T.s.now;
	sdt_write(&T, SD_UB_BTC);
	strat_housekeep(&T.s);
	cr_assert(sdt_intent(&T, &u2), "the housekeeping did not mend");
	cr_assert_eq(u2.kind, KIMP_INTENT_UNWIND);
	cr_assert_eq(u2.qty, Q01);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->leg[0].norders, norders,
		     "a refused mend kept its slot");

	/* past leg_timeout of mending, a refusal counts: unwind_max 1 spent, stuck */
	T.s.now = now0 + 2000000000ull;
	refused(&u2, KIMP_RISK_BREAKER);
	cr_assert_not(sdt_intent(&T, &u3));
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->state, KIMP_STRAT_PAIR_STUCK);
}

/*
 * A mend that ends with nothing filled (an IOC the book did not hold)
 * counts, and the next one waits for the next housekeeping turn, priced on
 * the book then, instead of chasing the same prices at once (three unwinds
 * expired within milliseconds during the chaos suite's feed stall, and the
 * pair stuck).
 */
Test(legs, a_mend_that_filled_nothing_waits_for_the_housekeeping)
{
	open_with("leg_policy = unwind\nunwind_max = 2\n");
	struct kimp_intent u, u2;
	fill(&E[0], 601, UB_BID, Q01);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	fill(&u, 602, 0, 0);                    /* approved, expired unfilled */
	cr_assert_not(sdt_intent(&T, &u2), "the next mend went out at once");
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->state, KIMP_STRAT_PAIR_MENDING);
	cr_assert_eq(p->leg[0].unwinds, 1, "an unfilled mend is an attempt");
	T.s.now = now0 + 1000000000ull;
	T.clock = T.s.now;
	sdt_write(&T, SD_UB_BTC);
	strat_housekeep(&T.s);
	cr_assert(sdt_intent(&T, &u2), "the housekeeping did not mend");
	cr_assert_eq(u2.kind, KIMP_INTENT_UNWIND);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->leg[0].unwinds, 2);
}

/* A refusal that will not pass by itself (the balance) counts at once, as before. */
Test(legs, a_mend_riskd_refuses_for_good_counts)
{
	open_with("leg_policy = unwind\nunwind_max = 1\n");
	struct kimp_intent u;
	fill(&E[0], 601, UB_BID, Q01);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	refused(&u, KIMP_RISK_BALANCE);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->state, KIMP_STRAT_PAIR_STUCK);
}

Test(legs, an_imbalance_below_both_minimums_is_dust)
{
	open_with(NULL);
	/* binance buys 0.00001 less: 0.7 USDT and 1000 KRW, below 5 USDT and 5000 KRW */
	fill(&E[0], 601, UB_BID, Q01);
	fill(&E[1], 602, BN_ASK, Q01 - 1000);
	struct kimp_intent m;
	cr_assert_not(sdt_intent(&T, &m), "nothing tradable");
	cr_assert_null(strat_pair_find(&T.s, E[0].pair_id), "closed");
	cr_assert_eq(coin()->dust, -1000, "sold 0.00001 more than bought, written off");
	cr_assert_eq(coin()->unhedged, 0);
	cr_assert_eq(T.s.st->cnt.dust, 1);
}

Test(legs, a_pair_that_cannot_be_mended_is_stuck_and_blocks_its_coin)
{
	open_with("leg_policy = unwind\nunwind_max = 1\n");
	struct kimp_intent u;
	fill(&E[0], 601, UB_BID, Q01);
	verdict(&E[1], KIMP_VERDICT_REJECTED, 0, 0);
	cr_assert(sdt_intent(&T, &u));
	verdict(&u, KIMP_VERDICT_REJECTED, 0, 0);
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->state, KIMP_STRAT_PAIR_STUCK);
	cr_assert_eq(T.s.st->cnt.pairs_stuck, 1);
	cr_assert_eq(coin()->unhedged, -Q01, "the exposure stays, visible");
	/* a new opportunity on BTC: refused while it is unhedged */
	uint64_t before = atomic_load(T.s.m.why[STRAT_WHY_UNHEDGED]);
	T.clock += 1000000;
	sdt_market(&T, 0.04);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_not(sdt_intent(&T, &u));
	cr_assert_eq(atomic_load(T.s.m.why[STRAT_WHY_UNHEDGED]), before + 1);
}

Test(legs, an_order_without_an_outcome_times_out_at_leg_timeout)
{
	open_with("leg_timeout = 1s\n");
	struct kimp_intent m;
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	int64_t sent = p->leg[1].ord[0].sent_ns;
	fill(&E[0], 601, UB_BID, Q01);
	T.s.now = (uint64_t)sent + 1000000000ull - 1;
	T.clock = T.s.now;
	sdt_market(&T, 0.03);
	strat_housekeep(&T.s);
	cr_assert_eq(p->leg[1].ord[0].state, KIMP_STRAT_ORD_SENT, "not yet");
	cr_assert_not(sdt_intent(&T, &m));
	T.s.now = (uint64_t)sent + 1000000000ull;
	strat_housekeep(&T.s);
	cr_assert_eq(p->leg[1].ord[0].state, KIMP_STRAT_ORD_TIMEOUT);
	cr_assert_eq(T.s.st->cnt.timeouts, 1);
	cr_assert(sdt_intent(&T, &m), "the policy goes on");
	cr_assert_eq(m.kind, KIMP_INTENT_RETRY);
	/* the timed-out order still reserves its cash: it may yet fill */
	cr_assert_gt(p->leg[1].ord[0].resv, 0);
	/* its late verdict and fill still count: now leg 1 has too much */
	verdict(&E[1], KIMP_VERDICT_APPROVED, Q01, 602);
	report(&E[1], 602, BN_ASK, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	cr_assert_eq(p->leg[1].filled, Q01);
	cr_assert_eq(p->leg[1].ord[0].state, KIMP_STRAT_ORD_DONE);
	fill(&m, 603, BN_ASK, Q01);
	cr_assert_eq(coin()->unhedged, Q01, "bought twice on binance");
	struct kimp_intent u;
	cr_assert(sdt_intent(&T, &u));
	cr_assert_eq(u.kind, KIMP_INTENT_UNWIND);
	cr_assert_eq(u.h.venue, KIMP_VENUE_BINANCE);
	cr_assert_eq(u.side, KIMP_SIDE_SELL);
	cr_assert_eq(u.qty, Q01);
}

Test(legs, a_trimmed_leg_is_mended_for_what_was_cut)
{
	open_with(NULL);
	struct kimp_intent m;
	verdict(&E[1], KIMP_VERDICT_TRIMMED, 5000000, 602);
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->leg[1].ord[0].approved, 5000000);
	cr_assert_eq(inv(KIMP_VENUE_BINANCE, 1)->incoming, 5000000, "the hold follows the trim");
	cr_assert_eq(T.s.st->cnt.trims, 1);
	report(&E[1], 602, BN_ASK, 5000000, 5000000, KIMP_ORD_FILLED, 0, 0);
	fill(&E[0], 601, UB_BID, Q01);
	cr_assert(sdt_intent(&T, &m));
	cr_assert_eq(m.kind, KIMP_INTENT_RETRY);
	cr_assert_eq(m.qty, 5000000);
}

Test(legs, a_report_before_its_verdict_is_taken_once)
{
	open_with(NULL);
	report(&E[0], 601, UB_BID, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	const struct kimp_strat_pair *p = sdt_pair(&T, E[0].pair_id);
	cr_assert_eq(p->leg[0].ord[0].client_oid, 601);
	cr_assert_eq(p->leg[0].filled, Q01);
	verdict(&E[0], KIMP_VERDICT_APPROVED, Q01, 601);
	cr_assert_eq(p->leg[0].filled, Q01);
	fill(&E[1], 602, BN_ASK, Q01);
	cr_assert_null(strat_pair_find(&T.s, E[0].pair_id));
	cr_assert_eq(T.s.st->cnt.fills, 2);
}

/* The state but the journal's own bookkeeping. */
static bool same_state(const struct kimp_strat_state *a, const struct kimp_strat_state *b)
{
	size_t u = offsetof(struct kimp_strat_state, undo);
	return !memcmp(a, b, u) &&
	       !memcmp((const char *)a + u + sizeof(a->undo), (const char *)b + u + sizeof(b->undo),
		       sizeof(*a) - u - sizeof(a->undo));
}

Test(legs, repeated_verdicts_and_reports_change_nothing)
{
	static struct kimp_strat_state snap;
	open_with(NULL);
	verdict(&E[0], KIMP_VERDICT_APPROVED, Q01, 601);
	report(&E[0], 601, UB_BID, 4000000, 4000000, KIMP_ORD_PARTIAL, 100, 0);
	memcpy(&snap, T.s.st, sizeof(snap));
	uint64_t dups = atomic_load(T.s.m.dups);
	verdict(&E[0], KIMP_VERDICT_APPROVED, Q01, 601);
	verdict(&E[0], KIMP_VERDICT_REJECTED, 0, 0);
	report(&E[0], 601, UB_BID, 4000000, 4000000, KIMP_ORD_PARTIAL, 100, 0);
	report(&E[0], 601, UB_BID, 1000000, 1000000, KIMP_ORD_PARTIAL, 100, 0);   /* older */
	cr_assert(same_state(&snap, T.s.st), "a repeat changed the state");
	cr_assert_eq(atomic_load(T.s.m.dups), dups + 4);
	/* unknown ones are counted and change nothing */
	struct kimp_intent bogus = E[0];
	bogus.pair_id = 12345;
	verdict(&bogus, KIMP_VERDICT_APPROVED, Q01, 9);
	report(&bogus, 9, UB_BID, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	bogus = E[0];
	bogus.intent_id += 100;
	verdict(&bogus, KIMP_VERDICT_APPROVED, Q01, 9);
	cr_assert(same_state(&snap, T.s.st));
	cr_assert_geq(atomic_load(T.s.m.unknown), 3);
	/* a report that jumps two fills applies the difference once */
	report(&E[0], 601, UB_BID, 3000000, Q01, KIMP_ORD_FILLED, 0, 0);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->leg[0].filled, Q01);
	cr_assert_eq(atomic_load(T.s.m.fill_mismatch), 1);
	report(&E[0], 601, UB_BID, 3000000, Q01, KIMP_ORD_FILLED, 0, 0);
	cr_assert_eq(sdt_pair(&T, E[0].pair_id)->leg[0].filled, Q01);
}

Test(legs, repeats_through_the_rings_are_harmless)
{
	static struct kimp_strat_state snap;
	open_with(NULL);
	sdt_verdict(&T, &E[0], KIMP_VERDICT_APPROVED, Q01, 601, 0);
	sdt_verdict(&T, &E[1], KIMP_VERDICT_APPROVED, Q01, 602, 0);
	sdt_report(&T, &E[0], 601, UB_BID, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	sdt_poll(&T);
	memcpy(&snap, T.s.st, sizeof(snap));
	sdt_verdict(&T, &E[0], KIMP_VERDICT_APPROVED, Q01, 601, 0);
	sdt_report(&T, &E[0], 601, UB_BID, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	sdt_poll(&T);
	cr_assert(same_state(&snap, T.s.st));
	sdt_report(&T, &E[1], 602, BN_ASK, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	sdt_report(&T, &E[1], 602, BN_ASK, Q01, Q01, KIMP_ORD_FILLED, 0, 0);
	sdt_poll(&T);
	cr_assert_null(strat_pair_find(&T.s, E[0].pair_id));
	cr_assert_eq(coin()->pairs_done, 1);
	cr_assert_eq(T.s.st->cnt.fills, 2);
	cr_assert_eq(T.s.st->cnt.verdicts, 2);
}
