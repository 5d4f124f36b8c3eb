/* SPDX-License-Identifier: MIT */
/*
 * Hand-built segments for the kimpctl orders, positions, stats and top
 * tests: an orderd order table, a small riskd state, metrics regions; a
 * private segment directory and a configuration pointing at it.
 */
#ifndef KIMP_TESTS_SEGFIX_H
#define KIMP_TESTS_SEGFIX_H

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/risk.h"
#include "kimp/seqlock.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"

#define FX_SEC UINT64_C(1000000000)
#define FX_OID (1ull << 60)         /* client_oids past 2^53 */

struct fx {
	struct tenv env;
	char cfg[128];
	char risk[SHM_NAME_MAX], ord[SHM_NAME_MAX], feed[SHM_NAME_MAX], strat[SHM_NAME_MAX];
	struct shm_seg rs, os, fs;
	bool have_rs, have_os, have_fs;
	struct kimp_risk_state *st;
	struct shm_seqtab *tab;
	struct run r;
};

static inline void fx_write_cfg(struct fx *x, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n"
		 "[feedd]\nname = %s\n[stratd]\nname = %s\n[riskd]\nname = %s\n"
		 "[orderd]\nname = %s\n%s", x->env.dir, x->env.dir, x->feed, x->strat, x->risk,
		 x->ord, extra);
	test_write_text(x->cfg, text);
}

static inline void fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	tenv_init(&x->env);
	snprintf(x->risk, sizeof(x->risk), "fr-%d", (int)getpid());
	snprintf(x->ord, sizeof(x->ord), "fo-%d", (int)getpid());
	snprintf(x->feed, sizeof(x->feed), "ff-%d", (int)getpid());
	snprintf(x->strat, sizeof(x->strat), "fs-%d", (int)getpid());
	snprintf(x->cfg, sizeof(x->cfg), "%s/test.conf", x->env.dir);
	fx_write_cfg(x, "");
}

static inline void fx_fini(struct fx *x)
{
	if (x->have_rs)
		shm_seg_detach(&x->rs);
	if (x->have_os)
		shm_seg_detach(&x->os);
	if (x->have_fs)
		shm_seg_detach(&x->fs);
	shm_seg_remove(x->risk, &x->env.o);
	shm_seg_remove(x->ord, &x->env.o);
	shm_seg_remove(x->feed, &x->env.o);
	unlink(x->cfg);
	tenv_fini(&x->env);
}

static inline struct shm_metrics *fx_metrics(struct shm_seg *s, const char *proc)
{
	struct shm_metrics *m;

	cr_assert_eq(shm_metrics_create(s, "metrics", proc, 8, 8, 4, &m), 0, "%s",
		     shm_last_error());
	atomic_store(&m->pid, getpid());
	atomic_store(&m->heartbeat_ns, kimp_mono_ns() - FX_SEC);
	return m;
}

/* riskd: upbit (KRW, qty 8) holding 1.5 BTC, pnl 12345 KRW, running. */
static inline void fx_risk(struct fx *x)
{
	struct kimp_risk_state *st;
	void *p;

	cr_assert_eq(shm_seg_create(&x->rs, x->risk, 1 << 20, &x->env.o), 0, "%s",
		     shm_last_error());
	x->have_rs = true;
	cr_assert_eq(shm_region_add(&x->rs, KIMP_RISK_STATE, kimp_risk_state_bytes(4),
				    SHM_REGION_RAW, &p), 0);
	st = x->st = p;
	st->version = KIMP_RISK_VERSION;
	st->size = kimp_risk_state_bytes(4);
	st->order_slots = 4;
	st->ncoins = 1;
	strcpy(st->coins[0], "BTC");
	strcpy(st->venue_info[KIMP_VENUE_UPBIT].name, "upbit");
	strcpy(st->venue_info[KIMP_VENUE_UPBIT].quote, "KRW");
	st->venue_info[KIMP_VENUE_UPBIT].present = 1;
	st->venue_info[KIMP_VENUE_UPBIT].qty_dec = 8;
	st->lim.mode = KIMP_RISK_RUNNING;
	st->lim.pnl = 123450000;
	st->lim.realized = 100000000;
	st->lim.unrealized = 23450000;
	st->lim.intents = 99;                 /* in risk, not in positions */
	st->venue[KIMP_VENUE_UPBIT].cash = 7000000;
	st->venue[KIMP_VENUE_UPBIT].open_orders = 2;
	st->pos[KIMP_VENUE_UPBIT][1].hold = 150000000;
	st->pos[KIMP_VENUE_UPBIT][1].unrealized = 23450;
	st->magic = KIMP_RISK_MAGIC;
}

/* orderd: a table of 8 slots: an open ACKED order (slot 5), a FILLED one (slot 1). */
static inline void fx_orders(struct fx *x)
{
	struct kimp_ord_entry e;

	cr_assert_eq(shm_seg_create(&x->os, x->ord, 1 << 20, &x->env.o), 0, "%s",
		     shm_last_error());
	x->have_os = true;
	cr_assert_eq(shm_seqtab_create(&x->os, KIMP_ORD_TABLE, sizeof(e), 8, &x->tab), 0, "%s",
		     shm_last_error());
	memset(&e, 0, sizeof(e));
	e.client_oid = FX_OID + 4;
	e.venue = KIMP_VENUE_UPBIT;
	e.state = KIMP_ORD_FILLED;
	e.side = KIMP_SIDE_SELL;
	e.inst = 1;
	e.px = 5000000000;
	e.qty = 100000000;
	e.cum_qty = 100000000;
	e.updated_real_ns = 1700000001000000000;
	snprintf(e.oid, sizeof(e.oid), "venue-oid-4");
	shm_seqtab_write(x->tab, 1, &e);
	e.client_oid = FX_OID + 5;
	e.state = KIMP_ORD_ACKED;
	e.side = KIMP_SIDE_BUY;
	e.cum_qty = 0;
	e.updated_real_ns = 1700000000000000000;
	snprintf(e.oid, sizeof(e.oid), "venue-oid-5");
	shm_seqtab_write(x->tab, 5, &e);
}

/* feedd: metrics only: upbit 420 msgs/s, two books, the older 15 ms. */
static inline struct shm_metrics *fx_feed(struct fx *x)
{
	struct shm_metrics *m;

	cr_assert_eq(shm_seg_create(&x->fs, x->feed, 1 << 20, &x->env.o), 0, "%s",
		     shm_last_error());
	x->have_fs = true;
	m = fx_metrics(&x->fs, "feedd");
	*shm_metrics_gauge(m, "upbit.msgs_per_s") = 420;
	*shm_metrics_gauge(m, "book.upbit.BTC.age_ms") = 15;
	*shm_metrics_gauge(m, "book.upbit.ETH.age_ms") = 3;
	*shm_metrics_counter(m, "md.events") = 1234;
	return m;
}

static inline void fx_run(struct fx *x, const char *const *args)
{
	ctl_run_conf(&x->r, x->env.dir, x->cfg, args);
}

#define FX_RUN(x, ...) fx_run(x, (const char *const[]){ __VA_ARGS__, NULL })

#endif
