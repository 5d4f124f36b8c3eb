/* SPDX-License-Identifier: MIT */
/*
 * stratd test harness: a private segment directory; the test plays feedd
 * (a `books` table and an `md` ring), riskd (`verdicts`) and orderd
 * (`rep.stratd`) in segments of its own, and reads stratd's `intents`.
 * In-process tests drive a struct stratd directly (their own clock in
 * s.now); the e2e test runs the stratd binary on the same segments.
 *
 * Books (slot: venue inst): 0 upbit BTC, 1 binance BTC, 2 upbit USDT,
 * 3 upbit ETH, 4 binance ETH. Scales 8/8 everywhere. Upbit's BTC tick is
 * 1000 KRW above 1,000,000 KRW; Binance's 0.01 USDT, step 0.00001 BTC.
 */
#ifndef KIMP_TESTS_SDTEST_H
#define KIMP_TESTS_SDTEST_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kimp/book.h"
#include "kimp/config.h"
#include "kimp/msg.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/strat.h"
#include "kimp/tsc.h"
#include "../testutil.h"
#include "../../stratd/stratd.h"

#define SD_E8 100000000ll        /* 1 at 8 decimals */
#define SD_NBOOKS 5

enum { SD_UB_BTC = 0, SD_BN_BTC = 1, SD_UB_USDT = 2, SD_UB_ETH = 3, SD_BN_ETH = 4 };

struct sdt {
	struct tenv env;
	char feedd[32], riskd[32], orderd[32], stratd[32];
	struct shm_seg fseg, rseg, oseg;
	struct shm_seqtab *books;
	struct shm_ring *md, *verd, *rep;
	struct shm_ring_prod mdp, vp, rp;
	struct kimp_book rec[SD_NBOOKS];   /* what the table holds */
	uint64_t clock;                    /* book time: recv_mono_ns of the next write */
	struct kimp_conf *kc;
	struct stratd_conf conf;
	struct stratd s;
	bool open;
	struct shm_ring_cons in;           /* stratd's intents, as riskd reads them */
	bool in_on;
	char conf_text[8192];
};

struct sdt_book_id {
	uint8_t venue;
	uint32_t inst;
};

static inline const struct sdt_book_id *sdt_book_id(int slot)
{
	static const struct sdt_book_id ids[SD_NBOOKS] = {
		{ KIMP_VENUE_UPBIT, 1 }, { KIMP_VENUE_BINANCE, 1 }, { KIMP_VENUE_UPBIT, 4 },
		{ KIMP_VENUE_UPBIT, 2 }, { KIMP_VENUE_BINANCE, 2 },
	};
	return &ids[slot];
}

/*
 * The configuration text: base keys, then extra lines in [stratd] and
 * [pair.BTC] (a base key of [stratd] that extra_stratd sets is left out).
 */
static inline void sdt_conf_text(struct sdt *t, const char *extra_stratd, const char *extra_pair,
				 const char *extra)
{
	static const char *const base[] = {
		"quote_age = 10s", "cooldown = 0", "warmup = 0", "warmup_samples = 1",
		"entry_sigma = 0", "margin = 0.001", "slippage = 0.0005", "half_life = 60s",
		"leg_timeout = 3600s", "max_pairs = 8", NULL,
	};
	char sd[1024] = "";
	size_t n = 0;

	for (int i = 0; base[i]; i++) {
		char key[32];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(base[i], " "), base[i]);
		const char *p = extra_stratd ? strstr(extra_stratd, key) : NULL;
		if (p && (p == extra_stratd || p[-1] == '\n') && p[strlen(key)] == ' ')
			continue;
		n += (size_t)snprintf(sd + n, sizeof(sd) - n, "%s\n", base[i]);
	}
	snprintf(t->conf_text, sizeof(t->conf_text),
		 "[engine]\ncoins = BTC ETH XRP USDT\n"
		 "[venue.upbit]\ncoins = BTC ETH USDT\n"
		 "[venue.binance]\ncoins = BTC ETH\n"
		 "[balance.upbit]\nKRW = 10000000000\nBTC = 10\nETH = 100\n"
		 "[balance.binance]\nUSDT = 10000000\nBTC = 10\nETH = 100\n"
		 "[shm]\nshm_dir = %s\nhugetlbfs = %s\nhugepages = false\n"
		 "[stratd]\nname = %s\nfeedd = %s\nriskd = %s\norderd = %s\n%s%s\n"
		 "[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0.1\nmin_size = 0.0001\n%s\n"
		 "%s\n",
		 t->env.dir, t->env.dir, t->stratd, t->feedd, t->riskd, t->orderd, sd,
		 extra_stratd ? extra_stratd : "", extra_pair ? extra_pair : "",
		 extra ? extra : "");
}

static inline void sdt_load_conf(struct sdt *t)
{
	char err[512] = "";
	if (t->kc)
		kimp_conf_free(t->kc);
	t->kc = NULL;
	cr_assert_eq(kimp_conf_parse("sd.conf", t->conf_text, &t->kc, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(stratd_conf_load(t->kc, &t->conf, err, sizeof(err)), 0, "%s", err);
}

/* Write book slot's record (the levels in t->rec[slot]) at book time t->clock. */
static inline void sdt_write(struct sdt *t, int slot)
{
	struct kimp_book *b = &t->rec[slot];
	b->recv_mono_ns = t->clock;
	b->recv_tsc = kimp_rdtsc();
	b->update_count++;
	shm_seqtab_write(t->books, (uint32_t)slot, b);
}

/* Push an md event about book slot (type KIMP_MSG_MD_TOP unless given). */
static inline void sdt_md(struct sdt *t, int slot, unsigned type, unsigned flags)
{
	struct kimp_md_top m;
	memset(&m, 0, sizeof(m));
	m.h.type = (uint16_t)(type ? type : KIMP_MSG_MD_TOP);
	m.h.venue = t->rec[slot].venue;
	m.h.inst = t->rec[slot].inst;
	m.h.flags = (uint8_t)flags;
	m.h.ingress_tsc = kimp_rdtsc();
	m.bid_px = t->rec[slot].bids[0].px;
	m.ask_px = t->rec[slot].asks[0].px;
	cr_assert_eq(shm_ring_push(&t->mdp, &m, sizeof(m)), 0, "md ring full");
}

/* Set a book: n levels a side from best prices stepping by tick, qty each. */
static inline void sdt_levels(struct sdt *t, int slot, int64_t bid, int64_t ask, int64_t tick,
			      int64_t qty, int n)
{
	struct kimp_book *b = &t->rec[slot];
	b->nbids = b->nasks = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		b->bids[i] = (struct kimp_level){ bid - i * tick, qty };
		b->asks[i] = (struct kimp_level){ ask + i * tick, qty };
	}
	b->status = KIMP_BOOK_LIVE;
	b->reason = KIMP_BOOK_R_NONE;
}

/*
 * The standard market at KRW premium p (a fraction): USDT 1400 mid on upbit,
 * BTC 70000.00/70000.10 on binance, BTC on upbit at 98,000,070 * (1 + p)
 * rounded to 1000 KRW, 1000 KRW wide; 1 BTC per level, 10 levels.
 */
static inline int64_t sdt_krw_mid(double p)
{
	return (int64_t)llround(98000070.0 * (1.0 + p) / 1000.0) * 1000;
}

static inline void sdt_market(struct sdt *t, double p)
{
	sdt_levels(t, SD_UB_USDT, 1399500000ll * 100, 1400500000ll * 100, 50000000, 100000 * SD_E8,
		   10);
	sdt_levels(t, SD_BN_BTC, 7000000 * SD_E8 / 100, 7000010 * SD_E8 / 100, SD_E8 / 100, SD_E8,
		   10);
	int64_t m = sdt_krw_mid(p);
	sdt_levels(t, SD_UB_BTC, (m - 1000) * SD_E8, m * SD_E8, 1000 * SD_E8, SD_E8, 10);
	sdt_levels(t, SD_UB_ETH, 4900000 * SD_E8, 4901000 * SD_E8, 1000 * SD_E8, 10 * SD_E8, 10);
	sdt_levels(t, SD_BN_ETH, 3500 * SD_E8, 350001 * SD_E8 / 100, SD_E8 / 100, 10 * SD_E8, 10);
	for (int i = 0; i < SD_NBOOKS; i++)
		sdt_write(t, i);
}

/* Make the three producer segments (feedd, riskd, orderd) of this test. */
static inline void sdt_inputs(struct sdt *t)
{
	cr_assert_eq(shm_seg_create(&t->fseg, t->feedd, 4 << 20, &t->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_seqtab_create(&t->fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book),
				       SD_NBOOKS, &t->books), 0);
	cr_assert_eq(shm_ring_create(&t->fseg, "md", 64, 4096, SHM_RING_CONFLATE, NULL, &t->md), 0);
	cr_assert_eq(shm_ring_producer(t->md, &t->mdp), 0);
	cr_assert_eq(shm_seg_create(&t->rseg, t->riskd, 2 << 20, &t->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_ring_create(&t->rseg, "verdicts", 128, 1024, 0, NULL, &t->verd), 0);
	cr_assert_eq(shm_ring_producer(t->verd, &t->vp), 0);
	cr_assert_eq(shm_seg_create(&t->oseg, t->orderd, 2 << 20, &t->env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_ring_create(&t->oseg, "rep.stratd", 128, 1024, 0, NULL, &t->rep), 0);
	cr_assert_eq(shm_ring_producer(t->rep, &t->rp), 0);
	for (int i = 0; i < SD_NBOOKS; i++) {
		struct kimp_book *b = &t->rec[i];
		memset(b, 0, sizeof(*b));
		b->venue = sdt_book_id(i)->venue;
		b->inst = sdt_book_id(i)->inst;
		b->px_dec = b->qty_dec = 8;
		b->slot = (uint32_t)i;
		b->status = KIMP_BOOK_RESYNCING;
		sdt_write(t, i);
	}
}

static inline void sdt_names(struct sdt *t)
{
	static int n;
	int id = (int)getpid() * 100 + n++ % 100;
	snprintf(t->feedd, sizeof(t->feedd), "sdf%d", id);
	snprintf(t->riskd, sizeof(t->riskd), "sdr%d", id);
	snprintf(t->orderd, sizeof(t->orderd), "sdo%d", id);
	snprintf(t->stratd, sizeof(t->stratd), "sds%d", id);
}

/* stratd (in process) on the test's inputs; its intents read by the test. */
static inline void sdt_open(struct sdt *t)
{
	char err[512] = "";
	cr_assert_eq(stratd_open(&t->s, &t->conf, &t->env.o, err, sizeof(err)), 0, "%s", err);
	t->open = true;
	stratd_attach(&t->s);
	cr_assert(t->s.md.ready && t->s.verdicts.ready && t->s.reports.ready,
		  "stratd attached its inputs");
	cr_assert_eq(shm_ring_consumer(t->s.ring, &t->in), 0);
	t->in_on = true;
	t->s.now = t->clock;
}

static inline void sdt_close(struct sdt *t)
{
	if (t->open)
		stratd_close(&t->s);
	t->open = false;
}

/* Everything, for an in-process test. */
static inline void sdt_init(struct sdt *t, const char *extra_stratd, const char *extra_pair,
			    const char *extra)
{
	memset(t, 0, sizeof(*t));
	tenv_init(&t->env);
	sdt_names(t);
	t->clock = kimp_mono_ns();
	sdt_inputs(t);
	sdt_conf_text(t, extra_stratd, extra_pair, extra);
	sdt_load_conf(t);
	sdt_open(t);
}

static inline void sdt_fini(struct sdt *t)
{
	sdt_close(t);
	shm_seg_detach(&t->fseg);
	shm_seg_detach(&t->rseg);
	shm_seg_detach(&t->oseg);
	shm_seg_remove(t->feedd, &t->env.o);
	shm_seg_remove(t->riskd, &t->env.o);
	shm_seg_remove(t->orderd, &t->env.o);
	shm_seg_remove(t->stratd, &t->env.o);
	if (t->kc)
		kimp_conf_free(t->kc);
	tenv_fini(&t->env);
}

/* The next intent stratd pushed: true, or false when none. */
static inline bool sdt_intent(struct sdt *t, struct kimp_intent *out)
{
	return shm_ring_pop(&t->in, out, sizeof(*out)) == 0;
}

/* Poll stratd until it has nothing left to do (in-process). */
static inline void sdt_poll(struct sdt *t)
{
	for (int i = 0; i < 64; i++)
		if (!stratd_poll(&t->s))
			break;
}

static inline void sdt_verdict(struct sdt *t, const struct kimp_intent *in, unsigned kind,
			       int64_t qty, uint64_t oid, unsigned reason)
{
	struct kimp_verdict v;
	memset(&v, 0, sizeof(v));
	v.h.type = KIMP_MSG_VERDICT;
	v.h.venue = in->h.venue;
	v.h.inst = in->h.inst;
	v.h.ingress_tsc = in->h.ingress_tsc;
	v.intent_id = in->intent_id;
	v.pair_id = in->pair_id;
	v.client_oid = kind == KIMP_VERDICT_REJECTED ? 0 : oid;
	v.qty = kind == KIMP_VERDICT_REJECTED ? 0 : qty;
	v.px = in->px;
	v.verdict = (uint8_t)kind;
	v.leg = in->leg;
	v.reason = (uint16_t)reason;
	v.kind = in->kind;
	cr_assert_eq(shm_ring_push(&t->vp, &v, sizeof(v)), 0, "verdicts ring full");
}

/* A report: cum_qty so far (last fill of last_qty at px), state after it. */
static inline void sdt_report(struct sdt *t, const struct kimp_intent *in, uint64_t oid,
			      int64_t last_px, int64_t last_qty, int64_t cum, unsigned state,
			      int64_t fee, unsigned fee_asset)
{
	struct kimp_exec_report r;
	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = in->h.venue;
	r.h.inst = in->h.inst;
	r.client_oid = oid;
	r.exec_id = oid * 100 + (uint64_t)cum;
	r.last_px = last_px;
	r.last_qty = last_qty;
	r.cum_qty = cum;
	r.leaves_qty = in->qty > cum ? in->qty - cum : 0;
	r.fee = fee;
	r.state = (uint8_t)state;
	r.side = in->side;
	r.leg = in->leg;
	r.fee_asset = (uint8_t)fee_asset;
	r.pair_id = in->pair_id;
	cr_assert_eq(shm_ring_push(&t->rp, &r, sizeof(r)), 0, "reports ring full");
}

/* The pair slot with this id. */
static inline struct kimp_strat_pair *sdt_pair(struct sdt *t, uint64_t pair_id)
{
	struct kimp_strat_pair *p = strat_pair_find(&t->s, pair_id);
	cr_assert_not_null(p, "pair %llu in flight", (unsigned long long)pair_id);
	return p;
}

#define EQ(field, what) cr_assert_eq(a->field, b->field, "%s: " #field " %lld != %lld", what, \
				     (long long)a->field, (long long)b->field)

/*
 * Two states agree but for clocks, TSCs, the ids' base (ids compare
 * relative to it), the md ring's salt and the recovery counters.
 */
static inline void sdt_same_state(const struct kimp_strat_state *a, const struct kimp_strat_state *b)
{
	char w[64];

	cr_assert_eq(a->next_intent_id - a->id_base, b->next_intent_id - b->id_base);
	cr_assert_eq(a->next_pair_id - a->id_base, b->next_pair_id - b->id_base);
	EQ(pushed, "state");
	EQ(pairs_open, "state");
	EQ(queued, "state");
	for (size_t i = 0; i < offsetof(struct kimp_strat_counters, recover_back) / 8; i++)
		cr_assert_eq(((const int64_t *)&a->cnt)[i], ((const int64_t *)&b->cnt)[i],
			     "counter %zu", i);
	for (int c = 0; c < KIMP_STRAT_COINS; c++) {
		snprintf(w, sizeof(w), "coin %d", c);
		EQ(coin[c].n, w);
		EQ(coin[c].mean, w);
		EQ(coin[c].var, w);
		EQ(coin[c].first_ns, w);
		EQ(coin[c].last_ns, w);
		EQ(coin[c].md_seq, w);
		EQ(coin[c].prem_mid, w);
		EQ(coin[c].prem_sell, w);
		EQ(coin[c].prem_buy, w);
		EQ(coin[c].rate, w);
		EQ(coin[c].unhedged, w);
		cr_assert_eq(!a->coin[c].unhedged_since, !b->coin[c].unhedged_since, "%s", w);
		EQ(coin[c].dust, w);
		EQ(coin[c].entries, w);
		EQ(coin[c].pairs_done, w);
		EQ(coin[c].pairs_mended, w);
		EQ(coin[c].pairs_stuck, w);
		EQ(coin[c].retries, w);
		EQ(coin[c].unwinds, w);
		EQ(coin[c].fills, w);
	}
	cr_assert_eq(memcmp(a->inv, b->inv, sizeof(a->inv)), 0, "inventory");
	for (int i = 0; i < KIMP_STRAT_PAIRS; i++) {
		const struct kimp_strat_pair *p = &a->pair[i], *q = &b->pair[i];
		snprintf(w, sizeof(w), "pair slot %d", i);
		cr_assert_eq(!p->pair_id, !q->pair_id, "%s", w);
		if (!p->pair_id)
			continue;
		cr_assert_eq(p->pair_id - a->id_base, q->pair_id - b->id_base, "%s", w);
		EQ(pair[i].inst, w);
		EQ(pair[i].dir, w);
		EQ(pair[i].state, w);
		EQ(pair[i].target, w);
		EQ(pair[i].prem, w);
		EQ(pair[i].dev, w);
		EQ(pair[i].retry_off, w);
		EQ(pair[i].dust, w);
		for (int l = 0; l < 2; l++) {
			EQ(pair[i].leg[l].venue, w);
			EQ(pair[i].leg[l].side, w);
			EQ(pair[i].leg[l].decision_px, w);
			EQ(pair[i].leg[l].filled, w);
			EQ(pair[i].leg[l].notional, w);
			EQ(pair[i].leg[l].fee_quote, w);
			EQ(pair[i].leg[l].fee_base, w);
			EQ(pair[i].leg[l].norders, w);
			EQ(pair[i].leg[l].retries, w);
			EQ(pair[i].leg[l].unwinds, w);
			for (int k = 0; k < p->leg[l].norders; k++) {
				const struct kimp_strat_order *o = &p->leg[l].ord[k];
				const struct kimp_strat_order *u = &q->leg[l].ord[k];
				cr_assert_eq(o->intent_id - a->id_base, u->intent_id - b->id_base);
				cr_assert(o->client_oid == u->client_oid && o->kind == u->kind &&
					  o->side == u->side && o->px == u->px && o->qty == u->qty &&
					  o->max_slip_px == u->max_slip_px &&
					  o->approved == u->approved && o->cum_qty == u->cum_qty &&
					  o->notional == u->notional && o->state == u->state &&
					  o->reason == u->reason && o->resv == u->resv,
					  "%s leg %d order %d", w, l, k);
			}
		}
	}
}

#endif
