/* SPDX-License-Identifier: MIT */
/*
 * The strat bench's world: a private segment directory and, in it,
 *
 *   sbf<pid>  feedd (the bench): the book table (5 books, scales 8/8) and
 *             the md ring (64-byte slots, conflating, as feedd makes it)
 *   sbo<pid>  orderd (the bench): rep.riskd and rep.stratd
 *   sbv<pid>  stratd's riskd (the bench): verdicts, for stratd's pairs
 *   sbi<pid>  riskd's stratd (the bench): intents, for riskd
 *   sbs<pid>  the real stratd's (stratd_open): intents, state, metrics
 *   sbr<pid>  the real riskd's (riskd_open): orders, verdicts, state, ...
 *
 * Each daemon gets inputs of its own, so the two are measured apart: the
 * bench writes the books and the md events stratd reads, and the intents
 * riskd reads; it reads what each daemon puts out. Both daemons load the
 * same configuration text (below), as they would one kimp.conf.
 *
 * Books: upbit BTC at 98,000,000 KRW (1000 KRW tick), binance BTC at
 * 70000.00 / 70000.10 USDT, upbit USDT at 1399.5 / 1400.5 KRW (the rate),
 * upbit ETH at 4,900,000 / 4,901,000 KRW, binance ETH at 3500.00 / 3500.01
 * USDT; 10 levels a side. Each book has its own clock (recv_mono_ns),
 * 100 us on per write, so a pair's book time moves only with its own
 * events (stratd's model samples on book time).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/tsc.h"
#include "sbench.h"

#define E8          100000000ll
#define BOOK_STEP   100000ull       /* a book's clock per write: 100 us */
#define RING_SLOTS  1024u

enum { SEG_FEEDD = 0, SEG_ORDERD, SEG_VERDICTS, SEG_INTENTS, SEG_STRATD, SEG_RISKD };
static const char seg_prefix[SB_NSEGS][4] = { "sbf", "sbo", "sbv", "sbi", "sbs", "sbr" };

static const struct { uint8_t venue; uint32_t inst; } book_id[SB_NBOOKS] = {
	[SB_UB_BTC] = { KIMP_VENUE_UPBIT, 1 },   [SB_BN_BTC] = { KIMP_VENUE_BINANCE, 1 },
	[SB_UB_USDT] = { KIMP_VENUE_UPBIT, 4 },  [SB_UB_ETH] = { KIMP_VENUE_UPBIT, 2 },
	[SB_BN_ETH] = { KIMP_VENUE_BINANCE, 2 },
};

/* for the signal handler */
static struct sb_world *volatile the_world;

static const char conf_fmt[] =
	"[engine]\ncoins = BTC ETH XRP USDT\n"
	"[venue.upbit]\ncoins = BTC ETH USDT\n"
	"[venue.binance]\ncoins = BTC ETH\n"
	"[balance.upbit]\nKRW = 10000000000\nBTC = 10\nETH = 100\n"
	"[balance.binance]\nUSDT = 10000000\nBTC = 10\n"
	"[stratd]\nname = %s\nfeedd = %s\nriskd = %s\norderd = %s\n"
	"heartbeat = 10s\nquote_age = 3600s\ncooldown = 0\nleg_timeout = 3600s\nmax_pairs = 4\n"
	"margin = 0.001\nslippage = 0.0005\nentry_sigma = 2\n"
	"[pair.BTC]\nkrw = upbit\nusdt = binance\nclip = 0.1\nmin_size = 0.001\n"
	"half_life = 50ms\nwarmup = 0\nwarmup_samples = 100\n"
	"[pair.ETH]\nkrw = upbit\nusdt = binance\nclip = 1\nmin_size = 0.01\n"
	"half_life = 2592000s\nwarmup = 0\nwarmup_samples = 1\n"
	"[riskd]\nname = %s\nstratd = %s\norderd = %s\nfeedd = %s\nhousekeeping = 10s\n"
	"net_exposure.BTC = 1000\nnet_exposure.ETH = 100000\n"
	"[risk.upbit]\nrate_second = 1000000000\nrate_minute = 1000000000\n"
	"rate_hour = 1000000000\nrate_day = 1000000000\nmax_quote_age = 60s\n"
	"position_max.BTC = 1000\nposition_max.ETH = 100000\n"
	"[risk.binance]\nrate_second = 1000000000\nrate_minute = 1000000000\n"
	"rate_hour = 1000000000\nrate_day = 1000000000\nmax_quote_age = 60s\n"
	"position_max.BTC = 1000\nposition_max.ETH = 100000\n";

/* ---- books and md --------------------------------------------------------------- */

void sb_levels(struct sb_world *w, int slot, int64_t bid, int64_t ask, int64_t tick, int64_t qty,
	       int n)
{
	struct kimp_book *b = &w->rec[slot];

	b->nbids = b->nasks = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		b->bids[i] = (struct kimp_level){ bid - i * tick, qty };
		b->asks[i] = (struct kimp_level){ ask + i * tick, qty };
	}
	b->status = KIMP_BOOK_LIVE;
	b->reason = KIMP_BOOK_R_NONE;
}

void sb_book_touch(struct sb_world *w, int slot)
{
	struct kimp_book *b = &w->rec[slot];

	b->recv_mono_ns = w->book_ns[slot];
	b->recv_tsc = kimp_rdtsc();
	b->update_count++;
	shm_seqtab_write(w->books, (uint32_t)slot, b);
}

void sb_book_write(struct sb_world *w, int slot)
{
	w->book_ns[slot] += BOOK_STEP;
	sb_book_touch(w, slot);
}

int sb_md_top(struct sb_world *w, int slot)
{
	struct kimp_md_top m;

	memset(&m, 0, sizeof(m));
	m.h.type = KIMP_MSG_MD_TOP;
	m.h.venue = w->rec[slot].venue;
	m.h.inst = w->rec[slot].inst;
	m.h.ingress_tsc = kimp_rdtsc();
	m.bid_px = w->rec[slot].bids[0].px;
	m.bid_qty = w->rec[slot].bids[0].qty;
	m.ask_px = w->rec[slot].asks[0].px;
	m.ask_qty = w->rec[slot].asks[0].qty;
	return shm_ring_push(&w->mdp, &m, sizeof(m));
}

const struct kimp_tsc_cal *sb_cal(const struct sb_world *w, enum sb_path p)
{
	return p == SB_STRAT_MEAN || p == SB_STRAT_ENTRY ? w->s.cal : w->d.cal;
}

/* ---- segments ------------------------------------------------------------------- */

static int seg_make(struct sb_world *w, int k, struct shm_seg *seg, size_t size)
{
	int e = shm_seg_create(seg, w->seg[k], size, &w->so);

	if (e) {
		fprintf(stderr, "strat_bench: segment %s: %s\n", w->seg[k], shm_last_error());
		return e;
	}
	w->made[k] = true;
	shm_seg_path(w->seg[k], &w->so, w->path[k], sizeof(w->path[k]));
	return 0;
}

static int ring_make(struct shm_seg *seg, const char *name, uint32_t slot, uint32_t count,
		     uint32_t flags, struct shm_ring **r, struct shm_ring_prod *p)
{
	struct shm_ring *rr;
	int e = shm_ring_create(seg, name, slot, count, flags, NULL, &rr);

	if (!e)
		e = shm_ring_producer(rr, p);
	if (e)
		fprintf(stderr, "strat_bench: ring %s: %s\n", name, shm_last_error());
	if (r)
		*r = rr;
	return e;
}

static int feedd_make(struct sb_world *w)
{
	uint64_t now = kimp_mono_ns();
	int e;

	if ((e = seg_make(w, SEG_FEEDD, &w->fseg, 4u << 20)))
		return e;
	w->fseg_on = true;
	if ((e = shm_seqtab_create(&w->fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book), SB_NBOOKS,
				   &w->books))) {
		fprintf(stderr, "strat_bench: book table: %s\n", shm_last_error());
		return e;
	}
	if ((e = ring_make(&w->fseg, "md", sizeof(struct kimp_md_top), 4096, SHM_RING_CONFLATE,
			   &w->md, &w->mdp)))
		return e;
	for (int i = 0; i < SB_NBOOKS; i++) {
		struct kimp_book *b = &w->rec[i];

		memset(b, 0, sizeof(*b));
		b->venue = book_id[i].venue;
		b->inst = book_id[i].inst;
		b->px_dec = b->qty_dec = 8;
		b->slot = (uint32_t)i;
		w->book_ns[i] = now;
	}
	sb_levels(w, SB_UB_USDT, 139950000000, 140050000000, 50000000, 100000 * E8, 10);
	sb_levels(w, SB_BN_BTC, 7000000000000, 7000010000000, E8 / 100, E8, 10);
	sb_levels(w, SB_UB_BTC, 97999000 * E8, 98000000 * E8, 1000 * E8, E8, 10);
	sb_levels(w, SB_UB_ETH, 4900000 * E8, 4901000 * E8, 1000 * E8, 10 * E8, 10);
	sb_levels(w, SB_BN_ETH, 3500 * E8, 350001000000, E8 / 100, 10 * E8, 10);
	for (int i = 0; i < SB_NBOOKS; i++)
		sb_book_touch(w, i);
	return 0;
}

static int inputs_make(struct sb_world *w)
{
	int e;

	if ((e = seg_make(w, SEG_ORDERD, &w->oseg, 2u << 20)))
		return e;
	w->oseg_on = true;
	if ((e = ring_make(&w->oseg, KIMP_RISK_REPORTS, 128, RING_SLOTS, 0, NULL, &w->rep_risk)) ||
	    (e = ring_make(&w->oseg, "rep.stratd", 128, RING_SLOTS, 0, NULL, &w->rep_strat)))
		return e;
	if ((e = seg_make(w, SEG_VERDICTS, &w->vseg, 2u << 20)))
		return e;
	w->vseg_on = true;
	if ((e = ring_make(&w->vseg, KIMP_RISK_VERDICTS, 128, RING_SLOTS, 0, NULL,
			   &w->verdicts_in)))
		return e;
	if ((e = seg_make(w, SEG_INTENTS, &w->iseg, 2u << 20)))
		return e;
	w->iseg_on = true;
	return ring_make(&w->iseg, KIMP_RISK_INTENTS, 128, RING_SLOTS, 0, NULL, &w->intents_in);
}

/* ---- the daemons ---------------------------------------------------------------- */

static int conf_load(struct sb_world *w)
{
	char err[512] = "";
	int e;

	snprintf(w->conf_text, sizeof(w->conf_text), conf_fmt, w->seg[SEG_STRATD],
		 w->seg[SEG_FEEDD], w->seg[SEG_VERDICTS], w->seg[SEG_ORDERD], w->seg[SEG_RISKD],
		 w->seg[SEG_INTENTS], w->seg[SEG_ORDERD], w->seg[SEG_FEEDD]);
	e = kimp_conf_parse("strat_bench.conf", w->conf_text, &w->kc, err, sizeof(err));
	if (!e)
		e = stratd_conf_load(w->kc, &w->sconf, err, sizeof(err));
	if (!e)
		e = riskd_conf_load(w->kc, &w->rconf, err, sizeof(err));
	if (e)
		fprintf(stderr, "strat_bench: the configuration: %s\n", err);
	return e;
}

static int riskd_up(struct sb_world *w)
{
	char err[512] = "";
	int e = riskd_open(&w->d, &w->rconf, &w->so, err, sizeof(err));

	if (e) {
		fprintf(stderr, "strat_bench: riskd_open: %s\n", err);
		return e;
	}
	w->d_on = true;
	w->made[SEG_RISKD] = true;
	shm_seg_path(w->seg[SEG_RISKD], &w->so, w->path[SEG_RISKD], sizeof(w->path[SEG_RISKD]));
	if (riskd_attach_inputs(&w->d)) {
		fprintf(stderr, "strat_bench: riskd did not attach every input\n");
		return -EPROTO;
	}
	if ((e = shm_ring_consumer(w->d.orders_r, &w->d_orders)) ||
	    (e = shm_ring_consumer(w->d.verdicts_r, &w->d_verdicts)))
		fprintf(stderr, "strat_bench: riskd's output rings: %s\n", shm_last_error());
	return e;
}

static int stratd_up(struct sb_world *w)
{
	char err[512] = "";
	int e = stratd_open(&w->s, &w->sconf, &w->so, err, sizeof(err));

	if (e) {
		fprintf(stderr, "strat_bench: stratd_open: %s\n", err);
		return e;
	}
	w->s_on = true;
	w->made[SEG_STRATD] = true;
	shm_seg_path(w->seg[SEG_STRATD], &w->so, w->path[SEG_STRATD], sizeof(w->path[SEG_STRATD]));
	stratd_attach(&w->s);
	if (!w->s.md.ready || !w->s.verdicts.ready || !w->s.reports.ready) {
		fprintf(stderr, "strat_bench: stratd did not attach every input\n");
		return -EPROTO;
	}
	e = shm_ring_consumer(w->s.ring, &w->s_intents);
	if (e)
		fprintf(stderr, "strat_bench: stratd's intents ring: %s\n", shm_last_error());
	return e;
}

int sb_world_open(struct sb_world *w, const struct sb_cfg *cfg)
{
	int e;

	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "%s/kimp-stratbench-XXXXXX", cfg->tmp_parent);
	if (!mkdtemp(w->dir)) {
		e = -errno;
		fprintf(stderr, "strat_bench: mkdtemp %s: %s\n", w->dir, strerror(errno));
		w->dir[0] = 0;
		return e;
	}
	the_world = w;
	shm_opts_default(&w->so);
	w->so.shm_dir = w->dir;
	w->so.hugetlbfs_dir = w->dir;
	w->so.allow_hugetlbfs = false;
	for (int k = 0; k < SB_NSEGS; k++)
		snprintf(w->seg[k], sizeof(w->seg[k]), "%s%d", seg_prefix[k], (int)getpid());
	w->next_intent_id = 1000;
	w->next_pair_id = 1000;
	if ((e = feedd_make(w)) || (e = inputs_make(w)) || (e = conf_load(w)) ||
	    (e = riskd_up(w)) || (e = stratd_up(w)))
		return e;
	return 0;
}

void sb_world_close(struct sb_world *w)
{
	if (w->s_on)
		stratd_close(&w->s);
	if (w->d_on)
		riskd_close(&w->d);
	w->s_on = w->d_on = false;
	if (w->fseg_on)
		shm_seg_detach(&w->fseg);
	if (w->oseg_on)
		shm_seg_detach(&w->oseg);
	if (w->vseg_on)
		shm_seg_detach(&w->vseg);
	if (w->iseg_on)
		shm_seg_detach(&w->iseg);
	w->fseg_on = w->oseg_on = w->vseg_on = w->iseg_on = false;
	for (int k = 0; k < SB_NSEGS; k++)
		if (w->made[k])
			shm_seg_remove(w->seg[k], &w->so);
	memset(w->made, 0, sizeof(w->made));
	if (w->kc)
		kimp_conf_free(w->kc);
	w->kc = NULL;
	if (w->dir[0] && rmdir(w->dir))
		fprintf(stderr, "strat_bench: rmdir %s: %s\n", w->dir, strerror(errno));
	w->dir[0] = 0;
	the_world = NULL;
}

void sb_world_unlink(void)
{
	struct sb_world *w = the_world;

	if (!w)
		return;
	for (int k = 0; k < SB_NSEGS; k++)
		if (w->path[k][0])
			unlink(w->path[k]);
	if (w->dir[0])
		rmdir(w->dir);
}
