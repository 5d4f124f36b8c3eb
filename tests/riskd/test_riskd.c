/* SPDX-License-Identifier: MIT */
/*
 * riskd's daemon in this process (riskd/riskd.c): its segment, the rings
 * it makes and the ones it attaches to (late too), transactions that
 * survive a restart (skip what was applied, publish what was committed),
 * control requests, full rings, books from a feedd table.
 */
#include "rdaemon.h"

static struct rpeer P;
static struct riskd D;

/* after a failed test too: nothing left behind */
static void teardown(void)
{
	riskd_close(&D);
	rp_fini(&P);
}

TestSuite(riskd_daemon, .fini = teardown);

static void open_riskd(void)
{
	char err[512] = "";

	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	riskd_attach_inputs(&D);
	cr_assert(rp_attach_riskd(&P));
}

static void close_riskd(void)
{
	rp_detach_riskd(&P);
	riskd_close(&D);
}

static struct kimp_verdict verdict(void)
{
	struct kimp_verdict v;

	cr_assert(rp_pop(&P.verdicts, &v), "a verdict");
	cr_assert_eq(v.h.type, KIMP_MSG_VERDICT);
	return v;
}

static struct kimp_order order(void)
{
	struct kimp_order o;

	cr_assert(rp_pop(&P.orders, &o), "an order");
	return o;
}

Test(riskd_daemon, an_intent_becomes_a_verdict_and_an_order_and_a_report_a_position)
{
	rp_init(&P, "a", NULL);
	open_riskd();
	cr_assert(D.created);
	cr_assert(D.have_intents && D.have_reports);
	uint64_t id = rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	struct kimp_verdict v = verdict();
	cr_assert_eq(v.intent_id, id);
	cr_assert_eq(v.verdict, KIMP_VERDICT_APPROVED);
	cr_assert_eq(v.qty, BQ(0.1));
	cr_assert_eq(v.h.ingress_tsc, 4242, "the ingress TSC goes through");
	struct kimp_order o = order();
	cr_assert_eq(o.h.type, KIMP_MSG_ORDER_NEW);
	cr_assert_eq(o.client_oid, v.client_oid);
	cr_assert_eq(o.client_oid, D.st->lim.client_oid_base);
	cr_assert_eq(o.intent_id, id);
	cr_assert_eq(o.h.venue, BN);
	cr_assert_eq(o.h.inst, BTC);
	cr_assert_eq(o.px, USD(100000));
	cr_assert_eq(o.qty, BQ(0.1));
	cr_assert_eq(o.side, BUY);
	cr_assert_eq(o.h.ingress_tsc, 4242);
	cr_assert_not(rp_pop(&P.verdicts, &v));
	cr_assert_eq(D.st->lim.intents_done, 1);
	cr_assert_eq(atomic_load(&P.intents_r->tail), 1);

	cr_assert_eq(rp_report(&P, o.client_oid, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1),
			       USD(10), 0), 0);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(D.st->pos[BN][BTC].hold, BQ(2.1));
	cr_assert_eq(D.st->lim.reports_done, 1);
	cr_assert_eq(atomic_load(&P.reports_r->tail), 1);

	/* a rejected intent: a verdict and no order */
	id = rp_intent(&P, BN, BTC, BUY, USD(100000), 0, KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	v = verdict();
	cr_assert_eq(v.intent_id, id);
	cr_assert_eq(v.verdict, KIMP_VERDICT_REJECTED);
	cr_assert_eq(v.reason, KIMP_RISK_BAD_INTENT);
	cr_assert_eq(v.client_oid, 0);
	cr_assert_not(rp_pop(&P.orders, &o));
	/* a message that is not an intent is answered as a bad one */
	struct kimp_intent junk = { .h.type = KIMP_MSG_MD_TOP, .intent_id = P.next_id };
	cr_assert_eq(shm_ring_push(&P.intents, &junk, sizeof(junk)), 0);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(verdict().reason, KIMP_RISK_BAD_INTENT);
	cr_assert_eq(atomic_load(D.c_intents), 3);
	cr_assert_eq(atomic_load(D.c_approved), 1);
	cr_assert_eq(atomic_load(D.c_rejected), 2);
	cr_assert_eq(atomic_load(D.c_reason[KIMP_RISK_BAD_INTENT]), 2);
	cr_assert_eq(D.h_risk->count, 3);
	cr_assert_eq(D.h_intent_to_order->count, 1);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, a_restart_resumes_the_state_and_refuses_another_configuration)
{
	rp_init(&P, "b", NULL);
	open_riskd();
	for (int k = 0; k < 3; k++) {
		rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
		cr_assert_eq(riskd_drain(&D, 64), 1);
		struct kimp_order o = order();
		verdict();
		rp_report(&P, o.client_oid, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
		cr_assert_eq(riskd_drain(&D, 64), 1);
	}
	riskd_housekeep(&D);
	size_t n = D.st_size;
	struct kimp_risk_state *copy = malloc(n);
	memcpy(copy, D.st, n);
	uint64_t next = D.st->lim.next_client_oid;
	close_riskd();

	open_riskd();
	cr_assert_not(D.created);
	cr_assert_eq(D.recovered, 0);
	size_t u0 = offsetof(struct kimp_risk_state, undo), u1 = offsetof(struct kimp_risk_state, lim);
	cr_assert_eq(memcmp(copy, D.st, u0), 0, "the state is found as it was left");
	cr_assert_eq(memcmp((char *)copy + u1, (char *)D.st + u1, n - u1), 0,
		     "the state is found as it was left");
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(order().client_oid, next);
	cr_assert_eq(D.st->pos[BN][BTC].hold, BQ(2.3));
	close_riskd();
	free(copy);

	char err[512] = "";
	P.conf.order_slots = 512;
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "order slots") && strstr(err, "another configuration"), "%s", err);
	P.conf.order_slots = 256;
	P.conf.orders_slots = 2048;
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "ring orders") && strstr(err, "another size"), "%s", err);
	rp_fini(&P);
}

Test(riskd_daemon, a_message_applied_but_not_committed_is_skipped_after_a_restart)
{
	rp_init(&P, "c", NULL);
	open_riskd();
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	struct kimp_order o = order();
	verdict();
	rp_report(&P, o.client_oid, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	close_riskd();
	/* as if riskd died after its commits but before the rings' */
	atomic_store(&P.intents_r->tail, 0);
	atomic_store(&P.reports_r->tail, 0);

	open_riskd();
	cr_assert_eq(atomic_load(&P.intents_r->tail), 1);
	cr_assert_eq(atomic_load(&P.reports_r->tail), 1);
	cr_assert_eq(atomic_load(D.c_skipped), 2);
	cr_assert_eq(riskd_drain(&D, 64), 0);
	struct kimp_verdict v;
	cr_assert_not(rp_pop(&P.verdicts, &v), "no second verdict");
	cr_assert_not(rp_pop(&P.orders, &o), "no second order");
	cr_assert_eq(D.st->pos[BN][BTC].hold, BQ(2.1), "the fill counted once");
	cr_assert_eq(D.st->lim.intents, 1);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, what_was_committed_but_not_published_goes_out_at_start)
{
	rp_init(&P, "d", NULL);
	open_riskd();
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	struct kimp_order o = order();
	struct kimp_verdict v = verdict();
	close_riskd();
	/* as if the next transaction died between its commit and its publishes */
	cr_assert(rp_attach_riskd(&P));
	o.client_oid = 777;
	v.intent_id = 888;
	P.st->out_order = o;
	P.st->out_verdict = v;
	P.st->lim.orders_target++;
	P.st->lim.verdicts_target++;
	rp_detach_riskd(&P);

	open_riskd();
	cr_assert_eq(order().client_oid, 777);
	cr_assert_eq(verdict().intent_id, 888);
	cr_assert_eq(atomic_load(D.c_outbox), 2);
	close_riskd();
	open_riskd();
	cr_assert_not(rp_pop(&P.orders, &o), "published once");
	cr_assert_not(rp_pop(&P.verdicts, &v));
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, kill_pause_and_resume_through_the_control_region)
{
	rp_init(&P, "e", NULL);
	open_riskd();
	atomic_fetch_add(&P.ctl->kill_req, 1);
	riskd_housekeep(&D);
	cr_assert_eq(atomic_load(&P.ctl->kill_done), 1);
	cr_assert_eq(D.st->lim.killed, 1);
	cr_assert_eq(D.st->lim.mode, KIMP_RISK_HALTED);
	struct kimp_order o = order();
	cr_assert_eq(o.h.type, KIMP_MSG_ORDER_CANCEL_ALL);
	cr_assert_eq(o.h.venue, 0);
	cr_assert_eq(D.st->lim.cancel_alls, 1);
	cr_assert_eq(D.st->lim.cancel_all_pending, 0);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	cr_assert_eq(verdict().reason, KIMP_RISK_KILLED);

	atomic_fetch_add(&P.ctl->resume_req, 1);
	riskd_housekeep(&D);
	cr_assert_eq(atomic_load(&P.ctl->resume_done), 1);
	cr_assert_eq(D.st->lim.mode, KIMP_RISK_RUNNING);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	cr_assert_eq(verdict().verdict, KIMP_VERDICT_APPROVED);
	order();

	atomic_fetch_add(&P.ctl->pause_req, 1);
	riskd_housekeep(&D);
	cr_assert_eq(atomic_load(&P.ctl->pause_done), 1);
	cr_assert_eq(D.st->lim.mode, KIMP_RISK_MODE_PAUSED);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	cr_assert_eq(verdict().reason, KIMP_RISK_PAUSED);

	/* resume and kill both pending: the kill wins */
	atomic_fetch_add(&P.ctl->kill_req, 1);
	atomic_fetch_add(&P.ctl->resume_req, 1);
	riskd_housekeep(&D);
	cr_assert_eq(D.st->lim.mode, KIMP_RISK_HALTED);
	cr_assert_eq(order().h.type, KIMP_MSG_ORDER_CANCEL_ALL);
	/* a kill is state: it survives a restart */
	close_riskd();
	open_riskd();
	cr_assert_eq(D.st->lim.mode, KIMP_RISK_HALTED);
	riskd_housekeep(&D);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	cr_assert_eq(verdict().reason, KIMP_RISK_KILLED);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, full_rings_stall_or_reject_and_the_cancel_all_waits_for_room)
{
	rp_init(&P, "f", NULL);
	P.conf.orders_slots = 16;
	P.conf.verdicts_slots = 16;
	open_riskd();
	for (int k = 0; k < 16; k++)
		rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.001), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 16);
	/* the verdicts ring is full: the intent waits in its ring */
	uint64_t id = rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.001), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 0);
	cr_assert_geq(atomic_load(D.c_stalls), 1);
	cr_assert_eq(atomic_load(&P.intents_r->tail), 16);
	/* room for a verdict, none for an order: RING_FULL */
	struct kimp_verdict v = verdict();
	cr_assert_eq(riskd_drain(&D, 64), 1);
	for (int k = 0; k < 15; k++)
		v = verdict();
	v = verdict();
	cr_assert_eq(v.intent_id, id);
	cr_assert_eq(v.verdict, KIMP_VERDICT_REJECTED);
	cr_assert_eq(v.reason, KIMP_RISK_RING_FULL);
	cr_assert_eq(v.limit, 16);
	/* a kill while the orders ring is full: the cancel-all goes once there is room */
	atomic_fetch_add(&P.ctl->kill_req, 1);
	riskd_housekeep(&D);
	cr_assert_eq(D.st->lim.cancel_all_pending, 1);
	struct kimp_order o = order();
	cr_assert_eq(o.h.type, KIMP_MSG_ORDER_NEW);
	riskd_drain(&D, 64);
	cr_assert_eq(D.st->lim.cancel_all_pending, 0);
	for (int k = 0; k < 16; k++)
		o = order();
	cr_assert_eq(o.h.type, KIMP_MSG_ORDER_CANCEL_ALL);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, inputs_that_come_late_are_attached_and_a_new_ring_starts_over)
{
	rp_init(&P, "g", NULL);
	/* stratd and feedd not there yet */
	shm_seg_detach(&P.sseg);
	cr_assert_eq(shm_seg_remove(P.sname, &P.env.o), 0);
	shm_seg_detach(&P.fseg);
	cr_assert_eq(shm_seg_remove(P.fname, &P.env.o), 0);
	char err[512] = "";
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_attach_inputs(&D), 2);
	cr_assert_not(D.have_intents);
	cr_assert(D.have_reports);
	cr_assert(rp_attach_riskd(&P));

	cr_assert_eq(shm_seg_create(&P.sseg, P.sname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_ring_create(&P.sseg, KIMP_RISK_INTENTS, 128, RP_SLOTS, 0, NULL,
				     &P.intents_r), 0);
	cr_assert_eq(shm_ring_producer(P.intents_r, &P.intents), 0);
	riskd_housekeep(&D);
	cr_assert(D.have_intents);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	struct kimp_verdict v = verdict();
	cr_assert_eq(v.reason, KIMP_RISK_STALE, "no books yet");
	cr_assert_eq(v.value, -1);

	cr_assert_eq(shm_seg_create(&P.fseg, P.fname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_seqtab_create(&P.fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book), 8,
				       &P.books), 0);
	for (unsigned k = 0; k < KIMP_ARRAY_SIZE(rp_books); k++)
		rp_write_book(&P, k, KIMP_BOOK_LIVE, rp_books[k].bid, rp_books[k].ask);
	riskd_housekeep(&D);
	cr_assert_eq(D.books_missing, 1, "upbit XRP has no book");
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(verdict().verdict, KIMP_VERDICT_APPROVED);
	close_riskd();

	/* stratd's segment made again: its ring starts at 0, and so does riskd */
	shm_seg_detach(&P.sseg);
	cr_assert_eq(shm_seg_remove(P.sname, &P.env.o), 0);
	cr_assert_eq(shm_seg_create(&P.sseg, P.sname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_ring_create(&P.sseg, KIMP_RISK_INTENTS, 128, RP_SLOTS, 0, NULL,
				     &P.intents_r), 0);
	cr_assert_eq(shm_ring_producer(P.intents_r, &P.intents), 0);
	open_riskd();
	cr_assert_eq(D.st->lim.intents_done, 0);
	cr_assert_eq(D.st->lim.intents_salt, P.intents_r->salt);
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(verdict().verdict, KIMP_VERDICT_APPROVED);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, books_and_marks_come_from_the_feedd_table)
{
	rp_init(&P, "h", NULL);
	open_riskd();
	struct risk_top t;
	cr_assert_eq(riskd_book(&D, BN, BTC, &t), 0);
	cr_assert_eq(t.bid_px, USD(99990));
	cr_assert_eq(t.ask_px, USD(100010));
	cr_assert_eq(t.status, KIMP_BOOK_LIVE);
	cr_assert_eq(riskd_book(&D, UP, XRP, &t), -ENOENT);
	cr_assert_eq(riskd_book(&D, 99, XRP, &t), -ENOENT);

	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	struct kimp_order o = order();
	verdict();
	rp_report(&P, o.client_oid, KIMP_ORD_FILLED, BQ(0.1), USD(100000), BQ(0.1), 0, 0);
	riskd_drain(&D, 64);
	/* the book moves: housekeeping marks the position at its mid */
	rp_write_book(&P, 3, KIMP_BOOK_LIVE, USD(100990), USD(101010));
	riskd_housekeep(&D);
	cr_assert_eq(D.st->pos[BN][BTC].mark, USD(101000));
	cr_assert_eq(D.st->pos[BN][BTC].unrealized, USD(100));
	cr_assert_eq(D.st->lim.pnl, 100ll * 1400 * 10000);
	/* stale: no intent, and the mark stays where it was */
	rp_write_book(&P, 3, KIMP_BOOK_STALE, USD(90000), USD(90010));
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	riskd_drain(&D, 64);
	struct kimp_verdict v = verdict();
	cr_assert_eq(v.reason, KIMP_RISK_STALE);
	cr_assert_eq(v.value, -2);
	riskd_housekeep(&D);
	cr_assert_eq(D.st->pos[BN][BTC].mark, USD(101000));
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, peers_made_again_while_it_runs_are_attached_anew)
{
	rp_init(&P, "i", NULL);
	open_riskd();
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(verdict().verdict, KIMP_VERDICT_APPROVED);
	order();
	/* stratd's and feedd's segments removed and made again */
	shm_seg_detach(&P.sseg);
	cr_assert_eq(shm_seg_remove(P.sname, &P.env.o), 0);
	cr_assert_eq(shm_seg_create(&P.sseg, P.sname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_ring_create(&P.sseg, KIMP_RISK_INTENTS, 128, RP_SLOTS, 0, NULL,
				     &P.intents_r), 0);
	cr_assert_eq(shm_ring_producer(P.intents_r, &P.intents), 0);
	shm_seg_detach(&P.fseg);
	cr_assert_eq(shm_seg_remove(P.fname, &P.env.o), 0);
	cr_assert_eq(shm_seg_create(&P.fseg, P.fname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_seqtab_create(&P.fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book), 8,
				       &P.books), 0);
	for (unsigned k = 0; k < KIMP_ARRAY_SIZE(rp_books); k++)
		rp_write_book(&P, k, KIMP_BOOK_LIVE, rp_books[k].bid + 100, rp_books[k].ask + 100);
	D.next_slow_tsc = 0;
	riskd_housekeep(&D);
	cr_assert(D.have_intents);
	cr_assert_eq(D.st->lim.intents_salt, P.intents_r->salt);
	struct risk_top t;
	cr_assert_eq(riskd_book(&D, BN, BTC, &t), 0);
	cr_assert_eq(t.bid_px, USD(99990) + 100, "the new table's book");
	rp_intent(&P, BN, BTC, BUY, USD(100000), BQ(0.1), KIMP_INTENT_ENTRY);
	cr_assert_eq(riskd_drain(&D, 64), 1);
	cr_assert_eq(verdict().verdict, KIMP_VERDICT_APPROVED);
	close_riskd();
	rp_fini(&P);
}

Test(riskd_daemon, a_segment_it_cannot_use_is_refused_saying_why)
{
	char err[512] = "";
	struct shm_opts o;
	struct shm_seg s;
	void *p;

	rp_init(&P, "k", NULL);
	/* nowhere to put it */
	o = P.env.o;
	o.shm_dir = o.hugetlbfs_dir = "/nonexistent/kimp";
	cr_assert_lt(riskd_open(&D, &P.conf, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "segment"), "%s", err);

	/* a state region too small for the configuration, never finished */
	cr_assert_eq(shm_seg_create(&s, P.rname, 4 << 20, &P.env.o), 0);
	cr_assert_eq(shm_region_add(&s, KIMP_RISK_STATE, 4096, SHM_REGION_RAW, &p), 0);
	shm_seg_detach(&s);
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "state region of 4096 bytes"), "%s", err);
	cr_assert_eq(shm_seg_remove(P.rname, &P.env.o), 0);

	/* a control region of something else */
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	D.ctl->magic = 0xdead;
	riskd_close(&D);
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "control region"), "%s", err);
	rp_fini(&P);
}

Test(riskd_daemon, a_peer_ring_of_another_shape_is_not_taken)
{
	char err[512] = "";

	rp_init(&P, "l", NULL);
	shm_seg_detach(&P.sseg);
	cr_assert_eq(shm_seg_remove(P.sname, &P.env.o), 0);
	cr_assert_eq(shm_seg_create(&P.sseg, P.sname, 1 << 20, &P.env.o), 0);
	cr_assert_eq(shm_ring_create(&P.sseg, KIMP_RISK_INTENTS, 64, 64, 0, NULL, &P.intents_r), 0);
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_attach_inputs(&D), 1);
	cr_assert_not(D.have_intents);
	cr_assert(D.have_reports);
	riskd_close(&D);
	rp_fini(&P);
}
