/* SPDX-License-Identifier: MIT */
/*
 * dbook: the local depth book of one instrument on a venue whose book is a
 * REST snapshot plus a stream of diffs carrying first/last update ids
 * (U/u), and the state machine that keeps it in sync. Pure: no I/O, no
 * clock; the caller passes the monotonic time in and acts on what comes
 * back (send a snapshot request, republish the book, change its status).
 *
 * Sync (the generic U/u continuity rules, no venue facts):
 *
 *   SYNC   the book is empty and not live. Diffs are buffered (the first
 *          buffered U is what makes a snapshot usable). The caller sends a
 *          snapshot request when dbook_snapshot_due() says so.
 *          Snapshot with lastUpdateId + 1 < first buffered U: too old,
 *          dropped, another is asked for after a backoff. Otherwise
 *          book := snapshot, local id := lastUpdateId, buffered diffs with
 *          u <= local id are dropped and the rest applied under the live
 *          rule; the book is live.
 *   LIVE   every diff: u <= local id: stale, dropped (counted);
 *          U > local id + 1: gap, the book is thrown away, back to SYNC;
 *          else every level is set (qty 0 removes; removing an absent
 *          level is harmless) and local id := u. A book left crossed
 *          (best bid >= best ask) is thrown away too, back to SYNC.
 *   IDLE   after init and dbook_halt(): nothing wanted, everything ignored.
 *
 * When a diff throws the book away (gap, crossed), that diff and, during
 * the replay of a buffer, every buffered one after it start the new buffer:
 * they are genuine events, and keeping them makes the next snapshot more
 * likely to be usable. The continuity checks keep this sound.
 *
 * Snapshot requests are paced: the first request of a sync goes at once
 * while the backoff is reset; every further one (too old, failed, a book
 * that did not stay live for stable_ns) waits
 *
 *   delay = backoff_min + uniform[0, min(backoff_max, backoff_min * 2^(k-1)) - backoff_min]
 *
 * for the k-th consecutive retry: full jitter above a floor, so no
 * flapping book ever asks more often than once per backoff_min. The
 * backoff resets when a book has stayed live for stable_ns (0: any live
 * period resets it).
 *
 * Each side is a sorted array of at most conf.cap levels with the best
 * level at the END, so the frequent changes near the top move few entries;
 * a price is found by galloping from the end then binary search, compared
 * as int64. A full side drops a new level worse than every kept one and
 * evicts its worst level for a better one. Levels beyond the cap (and
 * beyond the snapshot's depth) are unknown until they change, so the deep
 * end of a side may miss levels; the top is exact.
 *
 * Memory: everything is allocated (and touched) by dbook_init; nothing on
 * the diff path allocates, makes a system call or divides. One dbook per
 * instrument, one thread.
 */
#ifndef KIMP_FEEDD_DBOOK_H
#define KIMP_FEEDD_DBOOK_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/book.h"
#include "kimp/compiler.h"
#include "kimp/venue.h"

/* Upper bounds dbook_init accepts (a typo in a config must not eat the RAM). */
#define DBOOK_CAP_MAX        (1u << 22)  /* levels a side */
#define DBOOK_BUF_DIFFS_MAX  (1u << 22)
#define DBOOK_BUF_LEVELS_MAX (1u << 24)

struct dbook_conf {
	uint32_t cap;            /* levels kept a side, 1..DBOOK_CAP_MAX (5000+) */
	uint32_t buf_diffs;      /* diffs buffered while syncing, >= 1 */
	uint32_t buf_levels;     /* their levels in all, >= 1 */
	uint64_t backoff_min_ns; /* floor and first ceiling of a retry delay, > 0 */
	uint64_t backoff_max_ns; /* the ceiling stops doubling here, >= min */
	uint64_t stable_ns;      /* live this long resets the backoff (0: any) */
};

/* What a snapshot or a diff did (dbook_snapshot, dbook_diff). */
enum dbook_res {
	DB_IGNORED = 0,  /* not wanted: no sync pending (late, duplicate), idle,
			    or not the expected kind of message */
	DB_BUFFERED,     /* a diff kept for the snapshot to come */
	DB_APPLIED,      /* a diff applied to the live book */
	DB_LIVE,         /* the snapshot (and the buffer) made the book live */
	DB_STALE,        /* a diff at or below the local id: dropped */
	DB_GAP,          /* ids skipped: the book is thrown away, syncing */
	DB_CROSSED,      /* the book crossed: thrown away, syncing */
	DB_TOO_OLD,      /* the snapshot is older than the buffer: dropped,
			    another is due after a backoff */
	DB_OVERFLOW,     /* the sync buffer filled: dropped, it starts over
			    with this diff (if it fits alone) */
	DB_RES_MAX
};

/* Bits of *changed: the top KIMP_BOOK_LEVELS of that side changed. */
#define DB_TOP_BIDS 1u
#define DB_TOP_ASKS 2u

enum dbook_state {
	DBOOK_IDLE = 0,
	DBOOK_SYNC,
	DBOOK_LIVE,
};

struct dbook_stats {
	uint64_t applied;      /* diffs applied (live, and replayed from the buffer) */
	uint64_t stale;        /* live diffs dropped as stale */
	uint64_t gaps;         /* gaps seen (live or in a replayed buffer) */
	uint64_t crossed;      /* books thrown away as crossed */
	uint64_t too_old;      /* snapshots older than the buffer */
	uint64_t overflows;    /* sync buffers dropped as full */
	uint64_t snap_req;     /* snapshot requests sent (dbook_snapshot_sent) */
	uint64_t snap_fail;    /* of which failed (dbook_snapshot_failed) */
	uint64_t lives;        /* times the book became live */
	uint64_t resyncs;      /* times the book was thrown away for a new sync */
	uint64_t buffered;     /* diffs buffered */
	uint64_t buf_dropped;  /* buffered diffs the snapshot (or an earlier
				  buffered diff) already covered */
	uint64_t ignored;      /* snapshots and diffs ignored */
};

/* Private: one side, best level at lv[n - 1]. */
struct dbook_side {
	struct kimp_level *lv;
	uint32_t n;
	int64_t mask;          /* 0 bids, -1 asks: key = px ^ mask, ascending */
};

/* Private: one buffered diff, its levels at lev[off..off+nb+na). */
struct dbook_ent {
	uint64_t first_id, last_id;
	uint32_t off, nb, na;
};

/* Caller storage; every field is private (use the functions below). */
struct dbook {
	struct dbook_side bids, asks;
	uint8_t state;           /* enum dbook_state */
	bool inflight;           /* a snapshot request is out */
	uint16_t reason;         /* enum kimp_book_reason of the last resync */
	uint32_t cap;
	uint64_t local_id;
	uint64_t due_ns;         /* SYNC, !inflight: when to request */
	uint64_t live_since_ns;
	uint32_t tries;          /* requests since the backoff was reset */
	uint64_t rng;
	struct dbook_conf conf;
	/* the sync buffer */
	struct dbook_ent *ents;
	struct vd_level *lev;
	uint32_t nents, nlev;
	struct dbook_stats st;
	void *mem;
};

/*
 * Set up b for c, the backoff jitter seeded with seed (a fixed seed gives a
 * fixed sequence). Allocates and touches every array here, once. The book
 * starts IDLE: call dbook_resync(..., KIMP_BOOK_R_START) to start syncing.
 * 0, -EINVAL (a bound above), or -ENOMEM. On error b holds nothing to free.
 */
int dbook_init(struct dbook *b, const struct dbook_conf *c, uint64_t seed) kimp_cold;

/* Free what dbook_init allocated; b may be zeroed or failed to init. */
void dbook_fini(struct dbook *b) kimp_cold;

/*
 * Throw the book and the sync buffer away and start a sync at now, for
 * reason (enum kimp_book_reason: START, GAP, CROSSED, RECONNECT, ...). A
 * request already in flight stays so (its reply is judged by the rules);
 * a sync already waiting keeps its time; otherwise the request is due at
 * once if the backoff is reset (the book was live for stable_ns, or never
 * failed) or after a backoff delay.
 */
void dbook_resync(struct dbook *b, uint64_t now_ns, unsigned reason);

/*
 * Throw the book and buffer away and stop (IDLE) for reason (FEED_DOWN):
 * no snapshot is wanted and diffs and snapshots are ignored until the next
 * dbook_resync. A request in flight is forgotten: a reply that still
 * comes is ignored, or taken for the next request's (the rules judge any
 * snapshot, so either is safe).
 */
void dbook_halt(struct dbook *b, uint64_t now_ns, unsigned reason);

/*
 * The monotonic ns at which the caller should send the next snapshot
 * request (it may be in the past; it is never 0), or 0: none wanted (live,
 * idle, or a request already in flight).
 */
static inline uint64_t dbook_snapshot_due(const struct dbook *b)
{
	if (b->state != DBOOK_SYNC || b->inflight)
		return 0;
	return b->due_ns ? b->due_ns : 1;
}

/*
 * The caller sent a snapshot request at now: it is in flight until
 * dbook_snapshot or dbook_snapshot_failed. Ignored unless syncing with no
 * request in flight.
 */
void dbook_snapshot_sent(struct dbook *b, uint64_t now_ns);

/*
 * The request in flight failed or was refused at now: the reason becomes
 * KIMP_BOOK_R_SNAPSHOT and a retry is due after a backoff delay. Ignored
 * when no request is in flight.
 */
void dbook_snapshot_failed(struct dbook *b, uint64_t now_ns);

/*
 * The reply to the request in flight: m a VD_SNAPSHOT, levels best first,
 * last_id = lastUpdateId; m is only read, during the call. Returns
 * DB_LIVE, DB_TOO_OLD, DB_GAP or DB_CROSSED (the replayed buffer broke:
 * syncing again, a retry due after a backoff), or DB_IGNORED (no request
 * in flight, idle, or not a VD_SNAPSHOT). *changed (may be NULL) gets the
 * DB_TOP_* bits of the sides whose top KIMP_BOOK_LEVELS changed.
 */
int dbook_snapshot(struct dbook *b, const struct vd_msg *m, uint64_t now_ns,
		   unsigned *changed);

/*
 * One diff (m a VD_DIFF: first_id = U, last_id = u, levels in the venue's
 * order, qty 0 removes); m is only read, during the call. Returns
 * DB_APPLIED, DB_STALE, DB_GAP or DB_CROSSED when live (the last two:
 * syncing now, the diff buffered for the next snapshot), DB_BUFFERED or
 * DB_OVERFLOW when syncing, DB_IGNORED when idle or not a VD_DIFF.
 * *changed (may be NULL) gets the DB_TOP_* bits of the sides whose top
 * KIMP_BOOK_LEVELS changed (both when a live book was thrown away), so
 * the caller copies the levels out only then (the local id moves with
 * every applied diff, top changed or not).
 */
int dbook_diff(struct dbook *b, const struct vd_msg *m, uint64_t now_ns,
	       unsigned *changed);

/*
 * The best n levels a side, best first, into the caller's bids[n] and
 * asks[n]; *nb and *na get how many were filled (fewer when the side is
 * shorter; 0 when not live).
 */
void dbook_top(const struct dbook *b, struct kimp_level *bids, unsigned *nb,
	       struct kimp_level *asks, unsigned *na, unsigned n);

/* Live: the book may be published as KIMP_BOOK_LIVE. */
static inline bool dbook_live(const struct dbook *b)
{
	return b->state == DBOOK_LIVE;
}

/* enum dbook_state. */
static inline unsigned dbook_state(const struct dbook *b)
{
	return b->state;
}

/* The local update id (the last u applied), 0 when not live. */
static inline uint64_t dbook_local_id(const struct dbook *b)
{
	return b->local_id;
}

/* enum kimp_book_reason of the last resync, halt or snapshot failure. */
static inline unsigned dbook_reason(const struct dbook *b)
{
	return b->reason;
}

/* The counters; the pointer is into b, valid as long as b. */
static inline const struct dbook_stats *dbook_stats(const struct dbook *b)
{
	return &b->st;
}

/* "applied", "gap", ...: a static string; "?" for an unknown value. */
const char *dbook_res_name(unsigned res) kimp_cold;

#endif
