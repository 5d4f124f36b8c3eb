/* SPDX-License-Identifier: MIT */
/*
 * dbook: a local depth book kept in sync from a snapshot plus U/u diffs.
 * See dbook.h for the rules; this file only says how.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dbook.h"

/* ---- sides ----------------------------------------------------------------- */

/*
 * The first index whose key is >= k (n when none): gallop from the best end,
 * where most changes land, then binary search what is left.
 */
static inline uint32_t side_find(const struct dbook_side *s, int64_t k)
{
	const struct kimp_level *lv = s->lv;
	int64_t m = s->mask;
	uint32_t n = s->n, lo, hi = n, j = 1;

	while (j <= n && (lv[n - j].px ^ m) >= k) {
		hi = n - j;
		j <<= 1;
	}
	lo = j <= n ? n - j + 1 : 0;
	while (lo < hi) {
		uint32_t mid = lo + ((hi - lo) >> 1);

		if ((lv[mid].px ^ m) < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Set the level at px to qty (<= 0 removes it). Returns 1 when the change
 * touched the side's top KIMP_BOOK_LEVELS (counted from the best), else 0.
 */
static inline unsigned side_set(struct dbook_side *s, uint32_t cap, int64_t px, int64_t qty)
{
	struct kimp_level *lv = s->lv;
	uint32_t n = s->n, i = side_find(s, px ^ s->mask);

	if (i < n && lv[i].px == px) {
		if (qty <= 0) {
			memmove(lv + i, lv + i + 1, (size_t)(n - i - 1) * sizeof(*lv));
			s->n = n - 1;
			return n - 1 - i < KIMP_BOOK_LEVELS;
		}
		if (lv[i].qty == qty)
			return 0;
		lv[i].qty = qty;
		return n - 1 - i < KIMP_BOOK_LEVELS;
	}
	if (qty <= 0)
		return 0;           /* removing an absent level: harmless */
	if (kimp_unlikely(n == cap)) {
		if (i == 0)
			return 0;   /* worse than every kept level: dropped */
		/* evict the worst (lv[0]); the new level goes just below i */
		memmove(lv, lv + 1, (size_t)(i - 1) * sizeof(*lv));
		lv[i - 1] = (struct kimp_level){ .px = px, .qty = qty };
		return n - i < KIMP_BOOK_LEVELS;
	}
	memmove(lv + i + 1, lv + i, (size_t)(n - i) * sizeof(*lv));
	lv[i] = (struct kimp_level){ .px = px, .qty = qty };
	s->n = n + 1;
	return n - i < KIMP_BOOK_LEVELS;
}

/*
 * Load a side from levels best first. The venue's order is checked (strictly
 * better first, sizes > 0) and copied reversed, the best cap kept; anything
 * else goes in level by level, which sorts it and drops what must go.
 */
static void side_load(struct dbook_side *s, uint32_t cap, const struct vd_level *lv, uint32_t n)
{
	uint32_t m = n < cap ? n : cap, i;
	int64_t mask = s->mask;

	for (i = 0; i < m; i++) {
		if (lv[i].qty <= 0)
			break;
		if (i && (lv[i - 1].px ^ mask) <= (lv[i].px ^ mask))
			break;
	}
	if (kimp_likely(i == m)) {
		for (i = 0; i < m; i++)
			s->lv[m - 1 - i] = (struct kimp_level){ .px = lv[i].px, .qty = lv[i].qty };
		s->n = m;
		return;
	}
	s->n = 0;
	for (i = 0; i < n; i++)
		side_set(s, cap, lv[i].px, lv[i].qty);
}

static void side_top(const struct dbook_side *s, struct kimp_level *out, unsigned *cnt,
		     unsigned n)
{
	unsigned m = s->n < n ? s->n : n, i;

	for (i = 0; i < m; i++)
		out[i] = s->lv[s->n - 1 - i];
	*cnt = m;
}

/* ---- the book ---------------------------------------------------------------- */

static inline unsigned apply(struct dbook *b, const struct vd_level *bids, uint32_t nb,
			     const struct vd_level *asks, uint32_t na)
{
	unsigned cb = 0, ca = 0;
	uint32_t i;

	for (i = 0; i < nb; i++)
		cb |= side_set(&b->bids, b->cap, bids[i].px, bids[i].qty);
	for (i = 0; i < na; i++)
		ca |= side_set(&b->asks, b->cap, asks[i].px, asks[i].qty);
	return (cb ? DB_TOP_BIDS : 0) | (ca ? DB_TOP_ASKS : 0);
}

static inline bool crossed(const struct dbook *b)
{
	const struct dbook_side *bs = &b->bids, *as = &b->asks;

	return bs->n && as->n && bs->lv[bs->n - 1].px >= as->lv[as->n - 1].px;
}

/* U is more than one past the local id: events were missed. */
static inline bool skips(uint64_t first_id, uint64_t local_id)
{
	return first_id > local_id && first_id - local_id > 1;
}

static void clear_book(struct dbook *b)
{
	b->bids.n = 0;
	b->asks.n = 0;
	b->local_id = 0;
}

/* ---- backoff ----------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The k-th consecutive retry's delay (k >= 1): see dbook.h. */
static uint64_t backoff_delay(struct dbook *b, uint32_t k)
{
	uint64_t min = b->conf.backoff_min_ns, max = b->conf.backoff_max_ns, ceil = max;
	uint32_t sh = k - 1;

	if (sh < 63 && min <= (max >> sh))
		ceil = min << sh;
	/* uniform in [0, ceil - min]: a multiply-high, no division */
	return min + (uint64_t)(((unsigned __int128)rng_next(&b->rng) * (ceil - min + 1)) >> 64);
}

/* Schedule the next request: at once while the backoff is reset. */
static void schedule(struct dbook *b, uint64_t now_ns)
{
	b->due_ns = b->tries ? now_ns + backoff_delay(b, b->tries) : now_ns;
	if (b->tries < 64)
		b->tries++;
}

/* Leaving LIVE at now: a book that stayed up long enough resets the backoff. */
static void leave_live(struct dbook *b, uint64_t now_ns)
{
	if (b->state == DBOOK_LIVE && now_ns - b->live_since_ns >= b->conf.stable_ns)
		b->tries = 0;
}

/* ---- the sync buffer --------------------------------------------------------- */

static void buf_store(struct dbook *b, const struct vd_msg *m)
{
	struct dbook_ent *e = &b->ents[b->nents++];

	*e = (struct dbook_ent){ .first_id = m->first_id, .last_id = m->last_id,
				 .off = b->nlev, .nb = m->nbids, .na = m->nasks };
	if (m->nbids)
		memcpy(b->lev + b->nlev, m->bids, (size_t)m->nbids * sizeof(*b->lev));
	if (m->nasks)
		memcpy(b->lev + b->nlev + m->nbids, m->asks, (size_t)m->nasks * sizeof(*b->lev));
	b->nlev += m->nbids + m->nasks;
	b->st.buffered++;
}

static int buf_push(struct dbook *b, const struct vd_msg *m)
{
	uint64_t nl = (uint64_t)m->nbids + m->nasks;

	if (kimp_likely(b->nents < b->conf.buf_diffs && nl <= b->conf.buf_levels - b->nlev)) {
		buf_store(b, m);
		return DB_BUFFERED;
	}
	b->st.overflows++;
	b->nents = 0;
	b->nlev = 0;
	if (nl <= b->conf.buf_levels)
		buf_store(b, m);
	return DB_OVERFLOW;
}

/* Keep buffered diffs [i, nents) as the new buffer. */
static void buf_keep_tail(struct dbook *b, uint32_t i)
{
	uint32_t off, j;

	if (i >= b->nents) {
		b->nents = 0;
		b->nlev = 0;
		return;
	}
	if (!i)
		return;
	off = b->ents[i].off;
	memmove(b->ents, b->ents + i, (size_t)(b->nents - i) * sizeof(*b->ents));
	b->nents -= i;
	memmove(b->lev, b->lev + off, (size_t)(b->nlev - off) * sizeof(*b->lev));
	b->nlev -= off;
	for (j = 0; j < b->nents; j++)
		b->ents[j].off -= off;
}

/* ---- state changes ----------------------------------------------------------- */

/* Throw the book away and sync again; the buffer is the caller's to set. */
static void to_sync(struct dbook *b, uint64_t now_ns, unsigned reason)
{
	bool waiting = b->state == DBOOK_SYNC;

	leave_live(b, now_ns);
	clear_book(b);
	b->reason = (uint16_t)reason;
	b->state = DBOOK_SYNC;
	b->st.resyncs++;
	if (!b->inflight && !waiting)
		schedule(b, now_ns);
}

void dbook_resync(struct dbook *b, uint64_t now_ns, unsigned reason)
{
	to_sync(b, now_ns, reason);
	b->nents = 0;
	b->nlev = 0;
}

void dbook_halt(struct dbook *b, uint64_t now_ns, unsigned reason)
{
	leave_live(b, now_ns);
	clear_book(b);
	b->reason = (uint16_t)reason;
	b->state = DBOOK_IDLE;
	b->inflight = false;
	b->nents = 0;
	b->nlev = 0;
}

void dbook_snapshot_sent(struct dbook *b, uint64_t now_ns)
{
	if (b->state != DBOOK_SYNC || b->inflight)
		return;
	b->inflight = true;
	b->st.snap_req++;
}

void dbook_snapshot_failed(struct dbook *b, uint64_t now_ns)
{
	if (!b->inflight)
		return;
	b->inflight = false;       /* in flight only ever while syncing */
	b->st.snap_fail++;
	b->reason = KIMP_BOOK_R_SNAPSHOT;
	schedule(b, now_ns);
}

/* A snapshot's replay broke at buffered diff i: sync again from there. */
static int replay_failed(struct dbook *b, uint64_t now_ns, uint32_t i, unsigned reason,
			 int res)
{
	clear_book(b);
	b->reason = (uint16_t)reason;
	b->st.resyncs++;
	buf_keep_tail(b, i);
	schedule(b, now_ns);
	return res;
}

int dbook_snapshot(struct dbook *b, const struct vd_msg *m, uint64_t now_ns, unsigned *changed)
{
	unsigned ch = 0;
	uint32_t i;
	int res;

	if (m->kind != VD_SNAPSHOT || !b->inflight) {
		b->st.ignored++;
		res = DB_IGNORED;
		goto out;
	}
	b->inflight = false;
	if (b->nents && skips(b->ents[0].first_id, m->last_id)) {
		b->st.too_old++;
		schedule(b, now_ns);
		res = DB_TOO_OLD;
		goto out;
	}
	side_load(&b->bids, b->cap, m->bids, m->nbids);
	side_load(&b->asks, b->cap, m->asks, m->nasks);
	b->local_id = m->last_id;
	if (crossed(b)) {
		b->st.crossed++;
		res = replay_failed(b, now_ns, 0, KIMP_BOOK_R_CROSSED, DB_CROSSED);
		goto out;
	}
	for (i = 0; i < b->nents; i++) {
		const struct dbook_ent *e = &b->ents[i];

		if (e->last_id <= b->local_id) {
			b->st.buf_dropped++;
			continue;
		}
		if (skips(e->first_id, b->local_id)) {
			b->st.gaps++;
			res = replay_failed(b, now_ns, i, KIMP_BOOK_R_GAP, DB_GAP);
			goto out;
		}
		apply(b, b->lev + e->off, e->nb, b->lev + e->off + e->nb, e->na);
		b->local_id = e->last_id;
		b->st.applied++;
		if (crossed(b)) {
			b->st.crossed++;
			res = replay_failed(b, now_ns, i, KIMP_BOOK_R_CROSSED, DB_CROSSED);
			goto out;
		}
	}
	b->nents = 0;
	b->nlev = 0;
	b->state = DBOOK_LIVE;
	b->reason = KIMP_BOOK_R_NONE;
	b->live_since_ns = now_ns;
	b->st.lives++;
	ch = DB_TOP_BIDS | DB_TOP_ASKS;
	res = DB_LIVE;
out:
	if (changed)
		*changed = ch;
	return res;
}

int dbook_diff(struct dbook *b, const struct vd_msg *m, uint64_t now_ns, unsigned *changed)
{
	unsigned ch = 0;
	int res;

	if (kimp_unlikely(m->kind != VD_DIFF)) {
		b->st.ignored++;
		res = DB_IGNORED;
	} else if (kimp_likely(b->state == DBOOK_LIVE)) {
		if (m->last_id <= b->local_id) {
			b->st.stale++;
			res = DB_STALE;
		} else if (kimp_unlikely(skips(m->first_id, b->local_id))) {
			b->st.gaps++;
			to_sync(b, now_ns, KIMP_BOOK_R_GAP);
			buf_push(b, m);
			ch = DB_TOP_BIDS | DB_TOP_ASKS;
			res = DB_GAP;
		} else {
			ch = apply(b, m->bids, m->nbids, m->asks, m->nasks);
			b->local_id = m->last_id;
			b->st.applied++;
			res = DB_APPLIED;
			if (kimp_unlikely(crossed(b))) {
				b->st.crossed++;
				to_sync(b, now_ns, KIMP_BOOK_R_CROSSED);
				buf_push(b, m);
				ch = DB_TOP_BIDS | DB_TOP_ASKS;
				res = DB_CROSSED;
			}
		}
	} else if (b->state == DBOOK_SYNC) {
		res = buf_push(b, m);
	} else {
		b->st.ignored++;
		res = DB_IGNORED;
	}
	if (changed)
		*changed = ch;
	return res;
}

void dbook_top(const struct dbook *b, struct kimp_level *bids, unsigned *nb,
	       struct kimp_level *asks, unsigned *na, unsigned n)
{
	side_top(&b->bids, bids, nb, n);
	side_top(&b->asks, asks, na, n);
}

/* ---- setup ------------------------------------------------------------------- */

int dbook_init(struct dbook *b, const struct dbook_conf *c, uint64_t seed)
{
	size_t side, lev, ents;
	char *p;
	int err = -EINVAL;

	memset(b, 0, sizeof(*b));
	if (!c->cap || c->cap > DBOOK_CAP_MAX || !c->buf_diffs ||
	    c->buf_diffs > DBOOK_BUF_DIFFS_MAX || !c->buf_levels ||
	    c->buf_levels > DBOOK_BUF_LEVELS_MAX || !c->backoff_min_ns ||
	    c->backoff_max_ns < c->backoff_min_ns)
		goto fail;
	side = (size_t)c->cap * sizeof(struct kimp_level);
	lev = (size_t)c->buf_levels * sizeof(struct vd_level);
	ents = (size_t)c->buf_diffs * sizeof(struct dbook_ent);
	err = -ENOMEM;
	p = malloc(2 * side + lev + ents);
	if (!p)
		goto fail;
	memset(p, 0, 2 * side + lev + ents);   /* fault the pages in now */
	b->mem = p;
	b->bids.lv = (struct kimp_level *)(void *)p;
	b->asks.lv = (struct kimp_level *)(void *)(p + side);
	b->asks.mask = -1;
	b->lev = (struct vd_level *)(void *)(p + 2 * side);
	b->ents = (struct dbook_ent *)(void *)(p + 2 * side + lev);
	b->conf = *c;
	b->cap = c->cap;
	b->rng = seed;
	b->state = DBOOK_IDLE;
	b->reason = KIMP_BOOK_R_START;
	return 0;
fail:
	memset(b, 0, sizeof(*b));
	return err;
}

void dbook_fini(struct dbook *b)
{
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

const char *dbook_res_name(unsigned res)
{
	static const char *const names[DB_RES_MAX] = {
		[DB_IGNORED] = "ignored",   [DB_BUFFERED] = "buffered",
		[DB_APPLIED] = "applied",   [DB_LIVE] = "live",
		[DB_STALE] = "stale",       [DB_GAP] = "gap",
		[DB_CROSSED] = "crossed",   [DB_TOO_OLD] = "too_old",
		[DB_OVERFLOW] = "overflow",
	};

	return res < DB_RES_MAX ? names[res] : "?";
}
