/* SPDX-License-Identifier: MIT */
/*
 * kimpctl reset VENUE end to end: an orderd-shaped segment (state and
 * control regions) made by hand in a private directory, the built binary
 * run on it, and a thread of this test playing orderd's idle path (clear
 * the venue's sticky flag, then publish reset_done) or nobody doing so.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/metrics.h"
#include "kimp/order.h"
#include "kimp/segment.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "ctlrun.h"

static struct tenv env;
static char cfg[128];
static char seg_name[SHM_NAME_MAX];
static struct run r;

static void run(const char *const *args)
{
	ctl_run_conf(&r, env.dir, cfg, args);
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })
#define assert_status(n) ctl_assert_status(r, n)

struct oseg {
	struct shm_seg seg;
	struct kimp_ord_state *st;
	struct kimp_ord_control *ctl;
};

/* upbit live and stopped (sticky), binance live and running, the rest off. */
static void make_orderd(struct oseg *s, bool control)
{
	void *p;

	cr_assert_eq(shm_seg_create(&s->seg, seg_name, 1 << 20, &env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_region_add(&s->seg, KIMP_ORD_STATE, sizeof(*s->st), SHM_REGION_RAW, &p),
		     0, "%s", shm_last_error());
	s->st = p;
	s->st->version = KIMP_ORD_VERSION;
	s->st->magic = KIMP_ORD_MAGIC;
	s->st->venue[KIMP_VENUE_UPBIT].mode = KIMP_ORD_LIVE;
	s->st->venue[KIMP_VENUE_UPBIT].sticky = 1;
	s->st->venue[KIMP_VENUE_BINANCE].mode = KIMP_ORD_LIVE;
	s->ctl = NULL;
	if (!control)
		return;
	cr_assert_eq(shm_region_add(&s->seg, KIMP_ORD_CONTROL, sizeof(*s->ctl), SHM_REGION_RAW,
				    &p), 0, "%s", shm_last_error());
	s->ctl = p;
	s->ctl->magic = KIMP_ORD_MAGIC;
	s->ctl->version = KIMP_ORD_VERSION;
	s->ctl->reset_req[KIMP_VENUE_UPBIT] = s->ctl->reset_done[KIMP_VENUE_UPBIT] = 6;
}

/* orderd's idle path, as orderd/orderd.c control() does it. */
struct actor {
	struct oseg *s;
	pthread_t th;
	atomic_bool stop;
	bool sticks_again;          /* the cause is still there: sticky at once */
};

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	struct kimp_ord_control *c = a->s->ctl;
	unsigned spins = 0;

	while (!atomic_load(&a->stop)) {
		for (unsigned v = 1; v < KIMP_VENUE_MAX; v++) {
			uint64_t rq = atomic_load_explicit((_Atomic uint64_t *)&c->reset_req[v],
							   memory_order_acquire);
			if (rq == c->reset_done[v])
				continue;
			a->s->st->venue[v].sticky = a->sticks_again;
			atomic_store_explicit((_Atomic uint64_t *)&c->reset_done[v], rq,
					      memory_order_release);
		}
		test_backoff(&spins);
	}
	return NULL;
}

static void actor_start(struct actor *a, struct oseg *s)
{
	a->s = s;
	atomic_store(&a->stop, false);
	cr_assert_eq(pthread_create(&a->th, NULL, actor_main, a), 0);
}

static void actor_stop(struct actor *a)
{
	atomic_store(&a->stop, true);
	cr_assert_eq(pthread_join(a->th, NULL), 0);
}

static void setup(void)
{
	char text[512];

	tenv_init(&env);
	snprintf(seg_name, sizeof(seg_name), "kreset-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	snprintf(text, sizeof(text), "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n",
		 env.dir, env.dir);
	test_write_file(cfg, text, strlen(text));
}

static void teardown(void)
{
	int err = shm_seg_remove(seg_name, &env.o);

	cr_expect(err == 0 || err == -ENOENT, "remove %s: %s", seg_name, strerror(-err));
	unlink(cfg);
	tenv_fini(&env);
}

TestSuite(kimpctl_reset, .init = setup, .fini = teardown);

Test(kimpctl_reset, clears_a_sticky_venue)
{
	struct actor a = { 0 };
	struct oseg s;

	make_orderd(&s, true);
	actor_start(&a, &s);
	RUN("reset", "upbit", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.out, "orderd: upbit: sticky failure cleared: reconnecting and "
			 "reconciling before new orders\n");
	cr_assert_str_eq(r.err, "");
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_UPBIT], 7);
	cr_assert_eq(s.ctl->reset_done[KIMP_VENUE_UPBIT], 7);
	cr_assert_eq(s.st->venue[KIMP_VENUE_UPBIT].sticky, 0);
	/* only the named venue was asked */
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_BINANCE], 0);

	/* a venue that was running: done, and said to have been a no-op */
	RUN("reset", "binance", seg_name, "--wait", "3600s");
	assert_status(0);
	cr_assert_str_eq(r.out, "orderd: binance was not stopped: nothing to reset\n");
	cr_assert_eq(s.ctl->reset_done[KIMP_VENUE_BINANCE], 1);

	/* the cause is still there: it stops again, and kimpctl says so */
	s.st->venue[KIMP_VENUE_UPBIT].sticky = 1;
	a.sticks_again = true;
	RUN("reset", "upbit", seg_name, "--wait=60000ms");
	assert_status(0);
	cr_assert_str_eq(r.out, "orderd: upbit: reset, but it stopped again at once: the cause is "
			 "still there (orderd's log says which)\n");
	cr_assert_eq(s.ctl->reset_done[KIMP_VENUE_UPBIT], 8);
	actor_stop(&a);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_reset, nobody_acting_exit_1_request_stays)
{
	struct oseg s;
	char want[512];

	make_orderd(&s, true);
	cr_assert_eq(shm_metrics_create(&s.seg, KIMP_ORD_METRICS, "orderd", 1, 1, 1,
					&(struct shm_metrics *){ NULL }), 0);
	RUN("reset", "upbit", seg_name, "--wait", "20ms");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: reset: orderd did not act within 20.0 ms: orderd is "
		 "not running. The request stays recorded in segment '%s' (reset requested 7, "
		 "done 6): orderd acts on it when it starts\n", seg_name);
	cr_assert_str_eq(r.err, want);
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_UPBIT], 7);
	cr_assert_eq(s.st->venue[KIMP_VENUE_UPBIT].sticky, 1);

	/* the default segment name is orderd's */
	RUN("reset", "upbit", "--wait", "0s");
	assert_status(1);
	assert_has(r.err, "kimpctl: reset: segment 'orderd' not found in ");
	assert_has(r.err, "(orderd makes it when it first starts); nothing was requested\n");
	shm_seg_detach(&s.seg);
}

Test(kimpctl_reset, venue_orderd_does_not_trade_is_refused)
{
	struct oseg s;

	make_orderd(&s, true);
	s.st->venue[KIMP_VENUE_BINANCE].mode = KIMP_ORD_OFF;
	RUN("reset", "binance", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.err, "kimpctl: reset: orderd does not trade binance (no "
			 "[order.binance] in its configuration, or mode = off); nothing was "
			 "requested\n");
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_BINANCE], 0);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_reset, regions_missing_or_foreign_are_refused)
{
	struct oseg s;
	char want[256];

	/* no control region */
	make_orderd(&s, false);
	RUN("reset", "upbit", seg_name);
	assert_status(1);
	assert_has(r.err, "has no region 'control'");
	shm_seg_detach(&s.seg);
	shm_seg_remove(seg_name, &env.o);

	/* a state region of another version: nothing is requested */
	make_orderd(&s, true);
	s.st->version = KIMP_ORD_VERSION + 1;
	RUN("reset", "upbit", seg_name);
	assert_status(1);
	assert_has(r.err, "region 'state' is not orderd's state of version");
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_UPBIT], 6);
	s.st->version = KIMP_ORD_VERSION;

	/* a control region that is not orderd's */
	s.ctl->magic = 0x12345678;
	RUN("reset", "upbit", seg_name);
	assert_status(1);
	snprintf(want, sizeof(want), "region 'control' is not orderd's control region of version "
		 "%u (magic 0x12345678", KIMP_ORD_VERSION);
	assert_has(r.err, want);
	cr_assert_eq(s.ctl->reset_req[KIMP_VENUE_UPBIT], 6);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_reset, usage_errors)
{
	RUN("reset");
	assert_status(2);
	assert_has(r.err, "kimpctl: reset: a VENUE is needed (one of upbit, bithumb, coinone, "
		   "binance, bybit, okx)\nusage:\n");
	RUN("reset", "kraken");
	assert_status(2);
	assert_has(r.err, "'kraken' is not a venue with order entry (one of upbit, bithumb, "
		   "coinone, binance, bybit, okx)");
	RUN("reset", "upbit", "seg", "extra");
	assert_status(2);
	assert_has(r.err, "unexpected 'extra' (one VENUE and one SEGMENT)");
	RUN("reset", "upbit", "--wait");
	assert_status(2);
	assert_has(r.err, "--wait needs a duration");
	RUN("reset", "upbit", "--wait", "3601s");
	assert_status(2);
	assert_has(r.err, "--wait '3601s': not a duration 0s..3600s");
	RUN("reset", "upbit", "--wait", "5m");
	assert_status(2);
	RUN("reset", "--now", "upbit");
	assert_status(2);
	assert_has(r.err, "unknown option '--now'");
	RUN("reset", "--help");
	assert_status(0);
	assert_has(r.out, "usage:\n  reset VENUE [SEGMENT] [--wait DURATION]\n");
	RUN("help");
	assert_status(0);
	assert_has(r.out, "  reset VENUE [SEGMENT] [--wait DURATION]\n");
}
