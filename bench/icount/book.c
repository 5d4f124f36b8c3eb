/* SPDX-License-Identifier: MIT */
/*
 * The book stage: feedd's depth book (feedd/dbook.h) applying one decoded
 * Binance diff, and when its top changed, copying the top
 * KIMP_BOOK_LEVELS a side out (what feedd's diff path does before it
 * writes the book record).
 *
 * Input: the BTCUSDT depthUpdate of the capture, decoded by libvenue. The
 * book is made live from a snapshot of that diff's levels with every size
 * one unit more (best first, lastUpdateId = U - 1), then every operation
 * applies the diff
 * with its ids moved on to follow the book's (U = local id + 1, u as far
 * past it as in the capture) and its sizes alternating between the
 * captured ones and those plus one unit, so every level changes and both
 * tops move on every diff. The clock is a counter (dbook is pure). Each
 * diff must be applied, change both tops and leave the captured best
 * prices on top with the sizes it set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/venue.h"
#include "../../feedd/dbook.h"
#include "icount.h"

#define LEVELS_CAP 256

struct book_st {
	struct venue_symtab tab;
	struct dbook db;
	bool db_on;
	struct vd_msg diff[2], snap;
	struct vd_level lv[2][2][LEVELS_CAP];     /* [variant][bids, asks] */
	struct vd_level sb[LEVELS_CAP], sa[LEVELS_CAP];
	struct vd_level best_b, best_a;    /* the captured diff's best live levels */
	struct kimp_level top_b[KIMP_BOOK_LEVELS], top_a[KIMP_BOOK_LEVELS];
	unsigned nb, na, changed;
	int res;
	uint64_t span;          /* u - U of the captured diff */
	uint64_t now;
};

static int cmp_desc(const void *a, const void *b)
{
	int64_t x = ((const struct vd_level *)a)->px, y = ((const struct vd_level *)b)->px;

	return (x < y) - (x > y);
}

static int cmp_asc(const void *a, const void *b)
{
	return -cmp_desc(a, b);
}

/* The non-zero levels of n, sorted best first, into out: their number. */
static uint32_t live_levels(const struct vd_level *in, uint32_t n, struct vd_level *out,
			    bool bids)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (in[i].qty)
			out[k++] = in[i];
	qsort(out, k, sizeof(*out), bids ? cmp_desc : cmp_asc);
	return k;
}

static int book_open(struct ic_run *r)
{
	const struct venue_md *md = venue_md_get(KIMP_VENUE_BINANCE);
	const struct dbook_conf dc = {
		.cap = 5000, .buf_diffs = 64, .buf_levels = 8192,
		.backoff_min_ns = 1000000000ull, .backoff_max_ns = 10000000000ull,
	};
	struct book_st *s = calloc(1, sizeof(*s));
	struct vd_msg *d;
	size_t len;
	char *line = NULL;
	unsigned ch = 0;
	int e;

	r->st = s;
	if (!s)
		return ic_fail(r, -ENOMEM, "out of memory");
	if (!md || !md->decode)
		return ic_fail(r, -ENOSYS, "libvenue has no Binance decoder");
	venue_symtab_init(&s->tab, KIMP_VENUE_BINANCE);
	if ((e = venue_symtab_add(&s->tab, "BTC", "USDT", 8, 8, 1)) < 0)
		return ic_fail(r, e, "venue_symtab_add BTCUSDT: %s", strerror(-e));
	e = ic_capture_line(r, "binance-depthUpdate.jsonl", "{\"e\":\"depthUpdate\"", NULL, &line,
			    &len);
	if (e)
		return e;
	d = &s->diff[0];
	*d = (struct vd_msg){ .cap = LEVELS_CAP, .bids = s->lv[0][0], .asks = s->lv[0][1] };
	vd_msg_reset(d);
	e = md->decode(&s->tab, (const uint8_t *)line, len, d);
	free(line);
	if (e || d->kind != VD_DIFF || !d->nbids || !d->nasks)
		return ic_fail(r, -EPROTO, "binance-depthUpdate.jsonl: the longest depthUpdate "
			       "is not a BTCUSDT diff with both sides (%s)",
			       e ? vd_err_name((unsigned)-e) : vd_kind_name(d->kind));
	s->span = d->last_id - d->first_id;
	/* the second variant: every size one unit more */
	s->diff[1] = *d;
	s->diff[1].bids = s->lv[1][0];
	s->diff[1].asks = s->lv[1][1];
	for (uint32_t k = 0; k < d->nbids; k++)
		s->lv[1][0][k] = (struct vd_level){ d->bids[k].px, d->bids[k].qty + 1 };
	for (uint32_t k = 0; k < d->nasks; k++)
		s->lv[1][1][k] = (struct vd_level){ d->asks[k].px, d->asks[k].qty + 1 };
	/* the captured best levels: what every diff leaves on top */
	live_levels(d->bids, d->nbids, s->sb, true);
	live_levels(d->asks, d->nasks, s->sa, false);
	s->best_b = s->sb[0];
	s->best_a = s->sa[0];
	/* the snapshot: the second variant's levels, so the first diff changes them */
	s->snap = s->diff[1];
	s->snap.kind = VD_SNAPSHOT;
	s->snap.bids = s->sb;
	s->snap.asks = s->sa;
	s->snap.nbids = live_levels(s->diff[1].bids, d->nbids, s->sb, true);
	s->snap.nasks = live_levels(s->diff[1].asks, d->nasks, s->sa, false);
	s->snap.first_id = s->snap.last_id = d->first_id - 1;
	if ((e = dbook_init(&s->db, &dc, 1)))
		return ic_fail(r, e, "dbook_init: %s", strerror(-e));
	s->db_on = true;
	s->now = 1000000000000ull;
	dbook_resync(&s->db, s->now, KIMP_BOOK_R_START);
	dbook_snapshot_sent(&s->db, s->now);
	e = dbook_snapshot(&s->db, &s->snap, s->now, &ch);
	if (e != DB_LIVE)
		return ic_fail(r, -EPROTO, "the snapshot did not make the book live: %s",
			       dbook_res_name((unsigned)e));
	return 0;
}

static int book_before(struct ic_run *r, uint64_t i)
{
	struct book_st *s = r->st;
	struct vd_msg *d = &s->diff[i & 1];

	d->first_id = dbook_local_id(&s->db) + 1;
	d->last_id = d->first_id + s->span;
	s->now += 1000;
	s->changed = 0;
	s->nb = s->na = 0;
	return 0;
}

static int book_op(struct ic_run *r, uint64_t i)
{
	struct book_st *s = r->st;

	s->res = dbook_diff(&s->db, &s->diff[i & 1], s->now, &s->changed);
	if (s->changed)
		dbook_top(&s->db, s->top_b, &s->nb, s->top_a, &s->na, KIMP_BOOK_LEVELS);
	return 0;
}

static int book_after(struct ic_run *r, uint64_t i)
{
	struct book_st *s = r->st;
	const struct vd_level *b0 = &s->best_b, *a0 = &s->best_a;
	int64_t plus = (int64_t)(i & 1);

	if (s->res != DB_APPLIED)
		return ic_fail(r, -EPROTO, "diff %llu: %s, not applied", (unsigned long long)i,
			       dbook_res_name((unsigned)s->res));
	if (s->changed != (DB_TOP_BIDS | DB_TOP_ASKS) || !s->nb || !s->na)
		return ic_fail(r, -EPROTO, "diff %llu changed the tops %#x (%u/%u levels), not "
			       "both", (unsigned long long)i, s->changed, s->nb, s->na);
	if (s->top_b[0].px != b0->px || s->top_b[0].qty != b0->qty + plus ||
	    s->top_a[0].px != a0->px || s->top_a[0].qty != a0->qty + plus)
		return ic_fail(r, -EPROTO, "diff %llu left another top", (unsigned long long)i);
	r->produced++;
	return 0;
}

static void book_close(struct ic_run *r)
{
	struct book_st *s = r->st;

	if (s && s->db_on)
		dbook_fini(&s->db);
	free(s);
	r->st = NULL;
}

const struct ic_stage ic_book_stage = {
	.name = "book", .what = "feedd's dbook applies a decoded Binance diff, tops copied out",
	.iters = 2000, .open = book_open, .before = book_before, .op = book_op,
	.after = book_after, .close = book_close,
};
