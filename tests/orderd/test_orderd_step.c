/* SPDX-License-Identifier: MIT */
/*
 * orderd_step, the turn orderd_run repeats: the idle work (heartbeat,
 * keepalives, deadlines, reconciliation) runs on a turn with nothing to do,
 * and on a busy turn once OD_IDLE_EVERY_NS has passed since it last ran, so
 * a sustained load never starves it (a busy orderd that stopped beating
 * would be killed by the supervisor as hung). An orderd opened in this
 * process against exsim (odinproc.h); the load is orders for a venue it does
 * not trade, refused locally, more than one turn takes.
 */
#include "odinproc.h"

TestSuite(orderd_step, .timeout = 120);

static struct odt_inproc P;

static uint64_t beat(void)
{
	return atomic_load_explicit(&P.d.m->heartbeat_ns, memory_order_relaxed);
}

Test(orderd_step, idle_work_runs_on_busy_turns_once_due)
{
	struct odt t;

	odt_inproc_open(&t, &P, KIMP_VENUE_BINANCE, NULL);
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	/* the default period, in TSC ticks */
	uint64_t every = P.d.idle_every_ticks;
	cr_assert_gt(every, 0);
	uint64_t every_ns = kimp_tsc_to_ns_delta(P.d.cal, every);
	cr_assert(every_ns + 1000 >= OD_IDLE_EVERY_NS && every_ns <= OD_IDLE_EVERY_NS + 1000,
		  "%llu ns", (unsigned long long)every_ns);

	/* three turns' worth of orders orderd refuses at once (Upbit is off) */
	for (unsigned i = 0; i < 3 * 64 + 10; i++)
		odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_UPBIT, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC,
			 1, 1, 0);
	uint64_t rej0 = odt_counter(&t, "local_rejects");

	/* busy, not due: the idle work waits (the next beat is due at once) */
	P.d.next_slow_ns = P.d.next_scan_ns = 0;
	uint64_t hb = beat();
	P.d.idle_every_ticks = UINT64_MAX / 4;
	P.d.last_idle_tsc = kimp_rdtsc();
	cr_assert(orderd_step(&P.d));
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 64);
	cr_assert_eq(beat(), hb, "the idle work ran on a busy turn before it was due");

	/* busy, due (exactly the period ago): it runs, and the orders still
	 * wait; the period starts again from that turn */
	P.d.idle_every_ticks = every;
	uint64_t t0 = kimp_rdtsc();
	P.d.last_idle_tsc = t0 - every;
	cr_assert(orderd_step(&P.d));
	uint64_t t1 = kimp_rdtsc();
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 128);
	cr_assert_neq(beat(), hb, "a busy turn never ran the due idle work");
	cr_assert_gt(shm_ring_depth(t.orders_r), 0, "not a busy ring any more");
	cr_assert(P.d.last_idle_tsc >= t0 && P.d.last_idle_tsc <= t1);

	/* the rest, then an idle turn: the idle work runs, whatever the period */
	P.d.idle_every_ticks = UINT64_MAX / 4;
	while (orderd_step(&P.d)) {
		odt_poll(&t);
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");
	}
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 3 * 64 + 10);
	P.d.next_slow_ns = P.d.next_scan_ns = 0;
	hb = beat();
	while (orderd_step(&P.d))
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");
	cr_assert_neq(beat(), hb, "an idle turn did not run the idle work");

	odt_inproc_close(&t, &P);
}

/*
 * Hybrid wait: every sleep says so on riskd's doorbell, also when the futex
 * wait armed for an earlier sleep is still pending because network
 * completions ended that sleep; riskd's next publish then rings the armed
 * wait. Orderd used to leave the doorbell unsaid in that case, so riskd never
 * rang and an order waited for the next network completion or the 1 ms
 * idle_wait (the e2e bench's order hop: p50 745 us).
 */
Test(orderd_step, every_sleep_says_so_and_a_push_rings_the_armed_wait)
{
	struct odt t;

	odt_inproc_open(&t, &P, KIMP_VENUE_BINANCE, NULL);
	if (!net_loop_has_futex(P.d.loop)) {
		odt_inproc_close(&t, &P);
		cr_skip_test("the kernel has no IORING_OP_FUTEX_WAIT");
	}
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	struct shm_doorbell *b = shm_ring_doorbell(P.d.orders_r);
	while (orderd_step(&P.d))
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");

	/* the first sleep arms the wait and says so */
	cr_assert(orderd_sleep_prepare(&P.d));
	cr_assert(net_futex_armed(&P.d.fw));
	cr_assert_eq(atomic_load(&b->sleeping), 1);
	cr_assert_eq(atomic_load(&b->armed), 1);
	/* it ends on something else; the loop unsays it, as orderd_run does */
	atomic_store(&b->sleeping, 0);

	/* the next sleep: the wait is still armed, and it says so again */
	cr_assert(orderd_sleep_prepare(&P.d));
	cr_assert(net_futex_armed(&P.d.fw), "the armed wait was dropped");
	cr_assert_eq(atomic_load(&b->sleeping), 1, "a sleep with a wait armed was not said");

	/* riskd publishes: the doorbell rings, and the armed wait completes */
	odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_UPBIT, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC, 1, 1, 0);
	cr_assert_eq(atomic_load(&b->sleeping), 0, "the publish did not take the sleeper");
	while (net_futex_armed(&P.d.fw)) {
		net_loop_run(P.d.loop, 10 * 1000 * 1000);
		cr_assert_lt(kimp_mono_ns(), end, "the rung wait never completed");
	}

	/* an order ready: no sleep, nothing said */
	cr_assert_not(orderd_sleep_prepare(&P.d));
	cr_assert_eq(atomic_load(&b->sleeping), 0);
	while (orderd_step(&P.d))
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");
	odt_inproc_close(&t, &P);
}
