/* SPDX-License-Identifier: MIT */
/*
 * orderd_step, the turn orderd_run repeats: the idle work (heartbeat,
 * keepalives, deadlines, reconciliation) runs on a turn with nothing to do,
 * and on a busy turn once OD_IDLE_EVERY_NS has passed since it last ran, so
 * a sustained load never starves it (a busy orderd that stopped beating
 * would be killed by the supervisor as hung). An orderd opened in this
 * process against exsim (odtest.h); the load is orders for a venue it does
 * not trade, refused locally, more than one turn takes.
 */
#include "odtest.h"
#include "../testutil.h"
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "../../orderd/orderd.h"

TestSuite(orderd_step, .timeout = 120);

static const char quiet[] =
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n";

static struct orderd_conf conf;
static struct orderd d;
static struct orderd_keys keys;

static uint64_t beat(void)
{
	return atomic_load_explicit(&d.m->heartbeat_ns, memory_order_relaxed);
}

Test(orderd_step, idle_work_runs_on_busy_turns_once_due)
{
	struct odt t;
	struct kimp_conf *kc = NULL;
	struct shm_opts so;
	char path[160], err[768];

	odt_init(&t);
	odt_exsim(&t, quiet);
	odt_riskd(&t);
	odt_conf(&t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, NULL, path, sizeof(path));
	cr_assert_eq(kimp_conf_load(path, &kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_conf_load(kc, &conf, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kimp_shm_opts_conf(kc, &so, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_keys_load(&conf, &keys, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_open(&d, &conf, &keys, &so, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(shm_seg_attach(&t.od, t.od_name, &t.so), 0);
	t.od_att = true;
	struct shm_ring *r1, *r2;
	cr_assert_eq(shm_ring_lookup(&t.od, KIMP_ORD_REP_RISKD, &r1), 0);
	cr_assert_eq(shm_ring_lookup(&t.od, KIMP_ORD_REP_STRATD, &r2), 0);
	cr_assert_eq(shm_ring_consumer(r1, &t.rep), 0);
	cr_assert_eq(shm_ring_consumer(r2, &t.rep2), 0);
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (!d.st->venue[KIMP_VENUE_BINANCE].ready || !d.have_orders) {
		orderd_step(&d);
		odt_poll(&t);
		cr_assert_lt(kimp_mono_ns(), end, "never ready");
	}
	/* the default period, in TSC ticks */
	uint64_t every = d.idle_every_ticks;
	cr_assert_gt(every, 0);
	uint64_t every_ns = kimp_tsc_to_ns_delta(d.cal, every);
	cr_assert(every_ns + 1000 >= OD_IDLE_EVERY_NS && every_ns <= OD_IDLE_EVERY_NS + 1000,
		  "%llu ns", (unsigned long long)every_ns);

	/* three turns' worth of orders orderd refuses at once (Upbit is off) */
	for (unsigned i = 0; i < 3 * 64 + 10; i++)
		odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_UPBIT, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC,
			 1, 1, 0);
	uint64_t rej0 = odt_counter(&t, "local_rejects");

	/* busy, not due: the idle work waits (the next beat is due at once) */
	d.next_slow_ns = d.next_scan_ns = 0;
	uint64_t hb = beat();
	d.idle_every_ticks = UINT64_MAX / 4;
	d.last_idle_tsc = kimp_rdtsc();
	cr_assert(orderd_step(&d));
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 64);
	cr_assert_eq(beat(), hb, "the idle work ran on a busy turn before it was due");

	/* busy, due (exactly the period ago): it runs, and the orders still
	 * wait; the period starts again from that turn */
	d.idle_every_ticks = every;
	uint64_t t0 = kimp_rdtsc();
	d.last_idle_tsc = t0 - every;
	cr_assert(orderd_step(&d));
	uint64_t t1 = kimp_rdtsc();
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 128);
	cr_assert_neq(beat(), hb, "a busy turn never ran the due idle work");
	cr_assert_gt(shm_ring_depth(t.orders_r), 0, "not a busy ring any more");
	cr_assert(d.last_idle_tsc >= t0 && d.last_idle_tsc <= t1);

	/* the rest, then an idle turn: the idle work runs, whatever the period */
	d.idle_every_ticks = UINT64_MAX / 4;
	while (orderd_step(&d)) {
		odt_poll(&t);
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");
	}
	cr_assert_eq(odt_counter(&t, "local_rejects"), rej0 + 3 * 64 + 10);
	d.next_slow_ns = d.next_scan_ns = 0;
	hb = beat();
	while (orderd_step(&d))
		cr_assert_lt(kimp_mono_ns(), end, "orderd stays busy");
	cr_assert_neq(beat(), hb, "an idle turn did not run the idle work");

	orderd_close(&d);
	orderd_keys_free(&keys);
	kimp_conf_free(kc);
	odt_fini(&t);
}
