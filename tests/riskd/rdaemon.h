/* SPDX-License-Identifier: MIT */
/*
 * riskd's peers for the daemon tests: the test makes stratd's segment with
 * an intents ring, orderd's with a rep.riskd ring and feedd's with a book
 * table it writes, all in a private segment directory, and a riskd
 * configuration naming them (RT_BASE + limits + [shm]). It then acts as
 * stratd (intents in, verdicts out), orderd (orders out, reports in) and
 * feedd (books).
 */
#ifndef KIMP_TESTS_RDAEMON_H
#define KIMP_TESTS_RDAEMON_H

#include <stdatomic.h>
#include <unistd.h>
#include "kimp/book.h"
#include "kimp/ring.h"
#include "kimp/seqlock.h"
#include "../testutil.h"
#include "rtest.h"

#define RP_SLOTS 1024
#define RP_DEADLINE_NS (60ull * 1000000000ull) /* a hang guard, not a timing bound */

struct rpeer {
	struct tenv env;
	char rname[SHM_NAME_MAX], sname[SHM_NAME_MAX], oname[SHM_NAME_MAX], fname[SHM_NAME_MAX];
	struct shm_seg sseg, oseg, fseg;
	struct shm_ring *intents_r, *reports_r;
	struct shm_ring_prod intents, reports;
	struct shm_seqtab *books;
	char text[8192];
	struct riskd_conf conf;
	uint64_t next_id;
	/* riskd's outputs, as their consumer */
	struct shm_seg rseg;
	bool rseg_att;
	struct shm_ring *orders_r, *verdicts_r;
	struct shm_ring_cons orders, verdicts;
	struct kimp_risk_state *st;
	struct kimp_risk_control *ctl;
};

struct rp_book {
	unsigned venue;
	uint32_t inst;
	int64_t bid, ask;
	uint8_t px_dec, qty_dec;
};

static const struct rp_book rp_books[] = {
	{ UP, BTC, KRW(139999000), KRW(140001000), 2, 8 },
	{ UP, ETH, KRW(4199000), KRW(4201000), 2, 8 },
	{ UP, USDT, 139950, 140050, 2, 8 },
	{ BN, BTC, USD(99990), USD(100010), 2, 5 },
	{ BN, ETH, USD(2999), USD(3001), 2, 5 },
};

/* Write book k of rp_books at slot k (its status and sides as given). */
static inline void rp_write_book(struct rpeer *p, unsigned k, unsigned status, int64_t bid,
				 int64_t ask)
{
	static struct kimp_book rec;

	memset(&rec, 0, sizeof(rec));
	rec.venue = (uint8_t)rp_books[k].venue;
	rec.inst = rp_books[k].inst;
	rec.status = (uint8_t)status;
	rec.px_dec = rp_books[k].px_dec;
	rec.qty_dec = rp_books[k].qty_dec;
	rec.slot = k;
	rec.nbids = rec.nasks = 1;
	rec.bids[0] = (struct kimp_level){ bid, 1000000000 };
	rec.asks[0] = (struct kimp_level){ ask, 1000000000 };
	rec.recv_tsc = kimp_rdtsc();
	rec.recv_mono_ns = kimp_mono_ns();
	rec.update_count = 1;
	shm_seqtab_write(p->books, k, &rec);
}

/*
 * A private directory, the three peer segments, and the configuration
 * text: names carry 'tag' and the pid; 'extra' adds keys.
 */
static inline void rp_init(struct rpeer *p, const char *tag, const char *extra)
{
	char err[512] = "";
	int pid = getpid();

	memset(p, 0, sizeof(*p));
	tenv_init(&p->env);
	snprintf(p->rname, sizeof(p->rname), "%srk-%d", tag, pid);
	snprintf(p->sname, sizeof(p->sname), "%sst-%d", tag, pid);
	snprintf(p->oname, sizeof(p->oname), "%sod-%d", tag, pid);
	snprintf(p->fname, sizeof(p->fname), "%sfd-%d", tag, pid);
	cr_assert_eq(shm_seg_create(&p->sseg, p->sname, 1 << 20, &p->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_ring_create(&p->sseg, KIMP_RISK_INTENTS, 128, RP_SLOTS, 0, NULL,
				     &p->intents_r), 0);
	cr_assert_eq(shm_ring_producer(p->intents_r, &p->intents), 0);
	cr_assert_eq(shm_seg_create(&p->oseg, p->oname, 1 << 20, &p->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_ring_create(&p->oseg, KIMP_RISK_REPORTS, 128, RP_SLOTS, 0, NULL,
				     &p->reports_r), 0);
	cr_assert_eq(shm_ring_producer(p->reports_r, &p->reports), 0);
	cr_assert_eq(shm_seg_create(&p->fseg, p->fname, 1 << 20, &p->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_seqtab_create(&p->fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book), 8,
				       &p->books), 0);
	for (unsigned k = 0; k < KIMP_ARRAY_SIZE(rp_books); k++)
		rp_write_book(p, k, KIMP_BOOK_LIVE, rp_books[k].bid, rp_books[k].ask);
	snprintf(p->text, sizeof(p->text),
		 "%s[riskd]\nname = %s\nstratd = %s\norderd = %s\nfeedd = %s\nrate = 1400\n"
		 "orders_slots = %u\nverdicts_slots = %u\norder_slots = 256\nwait = spin\n"
		 "idle_wait = 100us\nhousekeeping = 2ms\n"
		 "[risk.upbit]\nrate_second = 0\nrate_minute = 0\nmax_quote_age = 3600s\n"
		 "[risk.binance]\nrate_second = 0\nrate_minute = 0\nmax_quote_age = 3600s\n"
		 "%s[shm]\nshm_dir = %s\nhugepages = false\n",
		 RT_BASE, p->rname, p->sname, p->oname, p->fname, RP_SLOTS, RP_SLOTS,
		 extra ? extra : "", p->env.dir);
	struct kimp_conf *kc = NULL;
	cr_assert_eq(kimp_conf_parse("rp.conf", p->text, &kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_conf_load(kc, &p->conf, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(kc);
	p->next_id = 5000;
}

/* Attach riskd's segment as its outputs' consumer (when it exists): true once attached. */
static inline bool rp_attach_riskd(struct rpeer *p)
{
	const struct shm_region_ent *e;

	if (p->rseg_att)
		return true;
	if (shm_seg_attach(&p->rseg, p->rname, &p->env.o))
		return false;
	if (shm_ring_lookup(&p->rseg, KIMP_RISK_ORDERS, &p->orders_r) ||
	    shm_ring_lookup(&p->rseg, KIMP_RISK_VERDICTS, &p->verdicts_r) ||
	    !(e = shm_region_find(&p->rseg, KIMP_RISK_CONTROL))) {
		shm_seg_detach(&p->rseg);
		return false;
	}
	p->ctl = shm_region_ptr(&p->rseg, e);
	e = shm_region_find(&p->rseg, KIMP_RISK_STATE);
	cr_assert_not_null(e);
	p->st = shm_region_ptr(&p->rseg, e);
	cr_assert_eq(shm_ring_consumer(p->orders_r, &p->orders), 0);
	cr_assert_eq(shm_ring_consumer(p->verdicts_r, &p->verdicts), 0);
	p->rseg_att = true;
	return true;
}

static inline void rp_detach_riskd(struct rpeer *p)
{
	if (p->rseg_att)
		shm_seg_detach(&p->rseg);
	p->rseg_att = false;
}

/* Remove everything rp_init made (once; a suite's .fini may call it again). */
static inline void rp_fini(struct rpeer *p)
{
	if (!p->env.dir[0])
		return;
	rp_detach_riskd(p);
	shm_seg_detach(&p->sseg);
	shm_seg_detach(&p->oseg);
	shm_seg_detach(&p->fseg);
	shm_seg_remove(p->rname, &p->env.o);
	shm_seg_remove(p->sname, &p->env.o);
	shm_seg_remove(p->oname, &p->env.o);
	shm_seg_remove(p->fname, &p->env.o);
	tenv_fini(&p->env);
	p->env.dir[0] = 0;
}

/* Push an intent (as stratd): its id; 0 when the ring is full. */
static inline uint64_t rp_intent(struct rpeer *p, unsigned v, uint32_t i, unsigned side,
				 int64_t px, int64_t qty, unsigned kind)
{
	struct kimp_intent in;

	memset(&in, 0, sizeof(in));
	in.h.type = KIMP_MSG_INTENT;
	in.h.venue = (uint8_t)v;
	in.h.inst = i;
	in.h.ingress_tsc = 4242;
	in.intent_id = p->next_id;
	in.pair_id = p->next_id / 2;
	in.px = px;
	in.qty = qty;
	in.side = (uint8_t)side;
	in.tif = KIMP_TIF_IOC;
	in.leg_count = kind == KIMP_INTENT_ENTRY ? 2 : 1;
	in.kind = (uint8_t)kind;
	in.decision_tsc = kimp_rdtsc();
	if (shm_ring_push(&p->intents, &in, sizeof(in)))
		return 0;
	return p->next_id++;
}

/* Push an execution report (as orderd): 0 or -EAGAIN. */
static inline int rp_report(struct rpeer *p, uint64_t oid, unsigned state, int64_t cum,
			    int64_t last_px, int64_t last_qty, int64_t fee, unsigned fee_asset)
{
	struct kimp_exec_report r;

	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.client_oid = oid;
	r.state = (uint8_t)state;
	r.cum_qty = cum;
	r.last_px = last_px;
	r.last_qty = last_qty;
	r.fee = fee;
	r.fee_asset = (uint8_t)fee_asset;
	return shm_ring_push(&p->reports, &r, sizeof(r));
}

/* Pop one message of riskd's ring (128 bytes): true when one was there. */
static inline bool rp_pop(struct shm_ring_cons *c, void *out)
{
	return shm_ring_pop(c, out, 128) == 0;
}

#endif
