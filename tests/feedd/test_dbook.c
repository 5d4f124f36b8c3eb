/* SPDX-License-Identifier: MIT */
/*
 * dbook: the local depth book and its snapshot + U/u diff sync. Every test
 * builds struct vd_msg values by hand, drives the book with explicit times,
 * and checks the outcomes and the book level for level.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "../../feedd/dbook.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- helpers ------------------------------------------------------------------ */

#define LV(...) ((struct vd_level[]){ __VA_ARGS__ })
#define SIDE(...) LV(__VA_ARGS__), (uint32_t)(sizeof(LV(__VA_ARGS__)) / sizeof(struct vd_level))
#define NONE NULL, 0

static struct vd_msg msg(uint8_t kind, uint64_t first, uint64_t last, struct vd_level *bids,
			 uint32_t nb, struct vd_level *asks, uint32_t na)
{
	return (struct vd_msg){ .kind = kind, .sym = 0, .first_id = first, .last_id = last,
				.bids = bids, .nbids = nb, .asks = asks, .nasks = na,
				.cap = nb > na ? nb : na };
}

static struct vd_msg dmsg(uint64_t U, uint64_t u, struct vd_level *bids, uint32_t nb,
			  struct vd_level *asks, uint32_t na)
{
	return msg(VD_DIFF, U, u, bids, nb, asks, na);
}

static struct vd_msg smsg(uint64_t last, struct vd_level *bids, uint32_t nb,
			  struct vd_level *asks, uint32_t na)
{
	return msg(VD_SNAPSHOT, last, last, bids, nb, asks, na);
}

static struct dbook_conf conf(void)
{
	return (struct dbook_conf){ .cap = 5000, .buf_diffs = 64, .buf_levels = 1024,
				    .backoff_min_ns = 100 * MS, .backoff_max_ns = 3200 * MS,
				    .stable_ns = 10 * SEC };
}

static unsigned chg;

static int diff(struct dbook *b, uint64_t now, struct vd_msg m)
{
	return dbook_diff(b, &m, now, &chg);
}

static int snap(struct dbook *b, uint64_t now, struct vd_msg m)
{
	return dbook_snapshot(b, &m, now, &chg);
}

#define EXPECT_RES(got, want)                                                          \
	do {                                                                           \
		int res_ = (got);                                                      \
		cr_assert_eq(res_, (want), "%s:%d: got %s, want %s", __FILE__, __LINE__, \
			     dbook_res_name((unsigned)res_), dbook_res_name(want));     \
	} while (0)

/* The book must be exactly these levels, best first (counts included). */
static void expect_side(const struct kimp_level *got, unsigned ngot, const struct vd_level *want,
			unsigned nwant, const char *side, int line)
{
	cr_assert_eq(ngot, nwant, "line %d: %s has %u levels, want %u", line, side, ngot, nwant);
	for (unsigned i = 0; i < nwant; i++) {
		cr_assert_eq(got[i].px, want[i].px, "line %d: %s[%u].px %ld, want %ld", line,
			     side, i, (long)got[i].px, (long)want[i].px);
		cr_assert_eq(got[i].qty, want[i].qty, "line %d: %s[%u].qty %ld, want %ld", line,
			     side, i, (long)got[i].qty, (long)want[i].qty);
	}
}

static void expect_book_(const struct dbook *b, const struct vd_level *bids, unsigned nb,
			 const struct vd_level *asks, unsigned na, int line)
{
	static struct kimp_level gb[6000], ga[6000];
	unsigned ngb, nga;

	dbook_top(b, gb, &ngb, ga, &nga, 6000);
	expect_side(gb, ngb, bids, nb, "bids", line);
	expect_side(ga, nga, asks, na, "asks", line);
}
#define EXPECT_BOOK(b, ...) expect_book_((b), __VA_ARGS__, __LINE__)

/* Start a sync at now and send the first request at once. */
static void start(struct dbook *b, uint64_t now)
{
	dbook_resync(b, now, KIMP_BOOK_R_START);
	cr_assert_eq(dbook_snapshot_due(b), now, "the first request goes at once");
	dbook_snapshot_sent(b, now);
	cr_assert_eq(dbook_snapshot_due(b), 0, "in flight: nothing more wanted");
}

/* A live book: bids 100 x1, 99 x2, 98 x3; asks 101 x1, 102 x2; id 100. */
static void live_book(struct dbook *b, uint64_t now)
{
	start(b, now);
	EXPECT_RES(snap(b, now, smsg(100, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }),
				   SIDE({ 101, 1 }, { 102, 2 }))), DB_LIVE);
	cr_assert(dbook_live(b));
	cr_assert_eq(dbook_local_id(b), 100);
}

/* ---- setup -------------------------------------------------------------------- */

Test(dbook, init_rejects_bad_conf)
{
	struct dbook b;
	struct dbook_conf c;

#define BAD(field, val)                                                   \
	do {                                                              \
		c = conf();                                               \
		c.field = (val);                                          \
		cr_assert_eq(dbook_init(&b, &c, 1), -EINVAL, #field);     \
		cr_assert_null(b.mem, "a failed init leaves nothing");    \
		dbook_fini(&b);                                           \
	} while (0)
	BAD(cap, 0);
	BAD(cap, DBOOK_CAP_MAX + 1);
	BAD(buf_diffs, 0);
	BAD(buf_diffs, DBOOK_BUF_DIFFS_MAX + 1);
	BAD(buf_levels, 0);
	BAD(buf_levels, DBOOK_BUF_LEVELS_MAX + 1);
	BAD(backoff_min_ns, 0);
	BAD(backoff_max_ns, 99 * MS);
#undef BAD
	c = conf();
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	dbook_fini(&b);
	dbook_fini(&b); /* twice is harmless */
}

Test(dbook, init_out_of_memory)
{
	struct dbook b;
	struct dbook_conf c = conf();
	struct rlimit old, lim;
	unsigned long vm_pages = 0;
	FILE *f;
	int e;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("no address-space cap under a sanitizer");
#endif
	f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &vm_pages), 1);
	fclose(f);
	cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	/* room for 64 MiB more; the book wants 2 x 64 MiB of sides */
	lim.rlim_cur = vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (64u << 20);
	c.cap = DBOOK_CAP_MAX;
	cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
	e = dbook_init(&b, &c, 1);
	setrlimit(RLIMIT_AS, &old);
	cr_assert_eq(e, -ENOMEM);
	cr_assert_null(b.mem);
	dbook_fini(&b);
}

Test(dbook, idle_until_started)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_state(&b), DBOOK_IDLE);
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_START);
	cr_assert_eq(dbook_snapshot_due(&b), 0, "idle wants no snapshot");
	dbook_snapshot_sent(&b, 5);
	cr_assert_eq(dbook_stats(&b)->snap_req, 0, "a request while idle is not counted");
	EXPECT_RES(diff(&b, 5, dmsg(1, 2, SIDE({ 10, 1 }), NONE)), DB_IGNORED);
	EXPECT_RES(snap(&b, 5, smsg(1, SIDE({ 10, 1 }), NONE)), DB_IGNORED);
	cr_assert_eq(dbook_stats(&b)->ignored, 2);
	EXPECT_BOOK(&b, NONE, NONE);
	dbook_fini(&b);
}

/* ---- sync --------------------------------------------------------------------- */

Test(dbook, snapshot_then_buffer_goes_live)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1000);
	cr_assert_eq(dbook_state(&b), DBOOK_SYNC);
	EXPECT_RES(diff(&b, 1001, dmsg(99, 101, SIDE({ 100, 5 }), NONE)), DB_BUFFERED);
	cr_assert_eq(chg, 0);
	EXPECT_RES(diff(&b, 1002, dmsg(102, 103, SIDE({ 97, 4 }), SIDE({ 101, 0 }, { 103, 7 }))),
		   DB_BUFFERED);
	EXPECT_BOOK(&b, NONE, NONE); /* nothing exposed while syncing */
	EXPECT_RES(snap(&b, 1003, smsg(100, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }),
				      SIDE({ 101, 1 }, { 102, 2 }))), DB_LIVE);
	cr_assert_eq(chg, DB_TOP_BIDS | DB_TOP_ASKS);
	cr_assert(dbook_live(&b));
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_NONE);
	cr_assert_eq(dbook_local_id(&b), 103);
	EXPECT_BOOK(&b, SIDE({ 100, 5 }, { 99, 2 }, { 98, 3 }, { 97, 4 }),
		    SIDE({ 102, 2 }, { 103, 7 }));
	cr_assert_eq(dbook_snapshot_due(&b), 0, "live wants no snapshot");
	const struct dbook_stats *st = dbook_stats(&b);
	cr_assert_eq(st->applied, 2);
	cr_assert_eq(st->buffered, 2);
	cr_assert_eq(st->lives, 1);
	cr_assert_eq(st->snap_req, 1);
	dbook_fini(&b);
}

Test(dbook, snapshot_older_than_first_buffered_diff)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t due;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1000);
	EXPECT_RES(diff(&b, 1001, dmsg(105, 106, SIDE({ 100, 5 }), NONE)), DB_BUFFERED);
	EXPECT_RES(diff(&b, 1002, dmsg(107, 108, SIDE({ 99, 6 }), NONE)), DB_BUFFERED);
	/* lastUpdateId + 1 = 104 < 105: events 104 are missing from both */
	EXPECT_RES(snap(&b, 2000, smsg(103, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_TOO_OLD);
	cr_assert_eq(chg, 0);
	cr_assert_not(dbook_live(&b));
	EXPECT_BOOK(&b, NONE, NONE);
	cr_assert_eq(dbook_stats(&b)->too_old, 1);
	due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 2000 + c.backoff_min_ns, "a refetch waits for the backoff");
	cr_assert_leq(due, 2000 + c.backoff_min_ns, "the first retry's ceiling is the floor");
	/* diffs keep being buffered while waiting */
	EXPECT_RES(diff(&b, 3000, dmsg(109, 109, NONE, SIDE({ 101, 3 }))), DB_BUFFERED);
	dbook_snapshot_sent(&b, due);
	cr_assert_eq(dbook_stats(&b)->snap_req, 2);
	/* lastUpdateId + 1 = 105 = first U: usable */
	EXPECT_RES(snap(&b, due + 1, smsg(104, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_LIVE);
	cr_assert_eq(dbook_local_id(&b), 109);
	EXPECT_BOOK(&b, SIDE({ 100, 5 }, { 99, 6 }), SIDE({ 101, 3 }));
	cr_assert_eq(dbook_stats(&b)->applied, 3);
	dbook_fini(&b);
}

Test(dbook, snapshot_newer_than_buffered_diffs)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1000);
	EXPECT_RES(diff(&b, 1, dmsg(101, 102, SIDE({ 50, 1 }), NONE)), DB_BUFFERED);
	EXPECT_RES(diff(&b, 2, dmsg(103, 104, SIDE({ 51, 1 }), NONE)), DB_BUFFERED);
	EXPECT_RES(diff(&b, 3, dmsg(105, 106, SIDE({ 52, 1 }), NONE)), DB_BUFFERED);
	EXPECT_RES(diff(&b, 4, dmsg(107, 109, SIDE({ 100, 9 }), SIDE({ 103, 1 }))), DB_BUFFERED);
	EXPECT_RES(diff(&b, 5, dmsg(110, 111, SIDE({ 98, 0 }), NONE)), DB_BUFFERED);
	/* 106 covers the first three; 107..109 straddles 107 */
	EXPECT_RES(snap(&b, 6, smsg(106, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }),
				   SIDE({ 101, 1 }, { 102, 2 }))), DB_LIVE);
	cr_assert_eq(dbook_local_id(&b), 111);
	EXPECT_BOOK(&b, SIDE({ 100, 9 }, { 99, 2 }), SIDE({ 101, 1 }, { 102, 2 }, { 103, 1 }));
	cr_assert_eq(dbook_stats(&b)->buf_dropped, 3);
	cr_assert_eq(dbook_stats(&b)->applied, 2);
	dbook_fini(&b);
}

Test(dbook, first_diff_straddles_snapshot_id)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	/* U = 95 <= lastUpdateId + 1 = 101 <= u = 105 */
	EXPECT_RES(diff(&b, 2, dmsg(95, 105, SIDE({ 100, 7 }), NONE)), DB_BUFFERED);
	EXPECT_RES(snap(&b, 3, smsg(100, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_LIVE);
	cr_assert_eq(dbook_local_id(&b), 105);
	EXPECT_BOOK(&b, SIDE({ 100, 7 }), SIDE({ 101, 1 }));
	/* live: a diff that straddles the local id is applied too */
	EXPECT_RES(diff(&b, 4, dmsg(104, 110, SIDE({ 100, 8 }), NONE)), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_BIDS);
	cr_assert_eq(dbook_local_id(&b), 110);
	/* and a diff that ends exactly at the local id is stale */
	EXPECT_RES(diff(&b, 5, dmsg(105, 110, SIDE({ 100, 1 }), NONE)), DB_STALE);
	cr_assert_eq(chg, 0);
	EXPECT_BOOK(&b, SIDE({ 100, 8 }), SIDE({ 101, 1 }));
	dbook_fini(&b);
}

Test(dbook, snapshot_without_buffer_goes_live_and_next_diff_is_checked)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(snap(&b, 2, smsg(100, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_LIVE);
	EXPECT_RES(diff(&b, 3, dmsg(101, 101, SIDE({ 99, 1 }), NONE)), DB_APPLIED);
	EXPECT_RES(diff(&b, 4, dmsg(103, 104, SIDE({ 98, 1 }), NONE)), DB_GAP);
	dbook_fini(&b);
}

Test(dbook, gap_mid_stream_resyncs)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t due;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	live_book(&b, 1 * SEC);
	EXPECT_RES(diff(&b, 2 * SEC, dmsg(101, 102, SIDE({ 99, 5 }), NONE)), DB_APPLIED);
	/* 103 is missing */
	EXPECT_RES(diff(&b, 2 * SEC + 1, dmsg(104, 105, SIDE({ 97, 1 }), NONE)), DB_GAP);
	cr_assert_eq(chg, DB_TOP_BIDS | DB_TOP_ASKS, "the published book goes away");
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_GAP);
	cr_assert_eq(dbook_local_id(&b), 0);
	EXPECT_BOOK(&b, NONE, NONE);
	cr_assert_eq(dbook_stats(&b)->gaps, 1);
	due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 2 * SEC + 1 + c.backoff_min_ns,
		      "live for less than stable_ns: the retry waits");
	/* the book stays out of sight whatever diffs come */
	EXPECT_RES(diff(&b, 2 * SEC + 2, dmsg(106, 106, SIDE({ 96, 1 }), NONE)), DB_BUFFERED);
	EXPECT_BOOK(&b, NONE, NONE);
	cr_assert_not(dbook_live(&b));
	dbook_snapshot_sent(&b, due);
	/* the gapping diff was kept: a snapshot at 103 continues with it */
	EXPECT_RES(snap(&b, due + 1, smsg(103, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_LIVE);
	cr_assert_eq(dbook_local_id(&b), 106);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 97, 1 }, { 96, 1 }), SIDE({ 101, 1 }));
	dbook_fini(&b);
}

Test(dbook, out_of_order_arrival)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	live_book(&b, 1);
	EXPECT_RES(diff(&b, 2, dmsg(101, 102, SIDE({ 99, 5 }), NONE)), DB_APPLIED);
	EXPECT_RES(diff(&b, 3, dmsg(103, 104, SIDE({ 99, 6 }), NONE)), DB_APPLIED);
	/* an older one after a newer one: dropped */
	EXPECT_RES(diff(&b, 4, dmsg(101, 102, SIDE({ 99, 1 }), SIDE({ 101, 0 }))), DB_STALE);
	cr_assert_eq(chg, 0);
	EXPECT_RES(diff(&b, 5, dmsg(103, 104, SIDE({ 99, 1 }), NONE)), DB_STALE);
	cr_assert_eq(dbook_stats(&b)->stale, 2);
	cr_assert_eq(dbook_local_id(&b), 104);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 99, 6 }, { 98, 3 }), SIDE({ 101, 1 }, { 102, 2 }));
	cr_assert(dbook_live(&b));
	/* one that skips ahead: a gap */
	EXPECT_RES(diff(&b, 6, dmsg(106, 107, SIDE({ 99, 1 }), NONE)), DB_GAP);
	cr_assert_not(dbook_live(&b));
	dbook_fini(&b);
}

Test(dbook, crossed_after_diff_resyncs)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	live_book(&b, 1);
	/* bid at the best ask: crossed (>=) */
	EXPECT_RES(diff(&b, 2, dmsg(101, 101, SIDE({ 101, 1 }), NONE)), DB_CROSSED);
	cr_assert_eq(chg, DB_TOP_BIDS | DB_TOP_ASKS);
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_CROSSED);
	cr_assert_eq(dbook_stats(&b)->crossed, 1);
	cr_assert_eq(dbook_stats(&b)->applied, 1, "it was applied, then found crossed");
	EXPECT_BOOK(&b, NONE, NONE);
	cr_assert_gt(dbook_snapshot_due(&b), 2);
	dbook_snapshot_sent(&b, dbook_snapshot_due(&b));
	/* a fresh snapshot that covers it brings the book back */
	EXPECT_RES(snap(&b, 3 * SEC, smsg(101, SIDE({ 100, 1 }), SIDE({ 102, 1 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }), SIDE({ 102, 1 }));
	/* an ask under the best bid crosses too */
	EXPECT_RES(diff(&b, 3 * SEC + 1, dmsg(102, 102, NONE, SIDE({ 99, 1 }))), DB_CROSSED);
	dbook_fini(&b);
}

Test(dbook, crossed_snapshot_or_replay_resyncs)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t due;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(diff(&b, 2, dmsg(101, 101, SIDE({ 90, 1 }), NONE)), DB_BUFFERED);
	EXPECT_RES(snap(&b, 3, smsg(100, SIDE({ 101, 1 }), SIDE({ 101, 1 }))), DB_CROSSED);
	cr_assert_eq(chg, 0, "nothing had been published");
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_CROSSED);
	EXPECT_BOOK(&b, NONE, NONE);
	due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 3 + c.backoff_min_ns);
	dbook_snapshot_sent(&b, due);
	/* the buffer survived; a replayed diff that crosses throws it again */
	EXPECT_RES(diff(&b, due, dmsg(102, 102, NONE, SIDE({ 99, 1 }))), DB_BUFFERED);
	EXPECT_RES(snap(&b, due + 1, smsg(100, SIDE({ 99, 1 }), SIDE({ 101, 1 }))), DB_CROSSED);
	cr_assert_eq(chg, 0);
	cr_assert_eq(dbook_stats(&b)->crossed, 2);
	cr_assert_not(dbook_live(&b));
	EXPECT_BOOK(&b, NONE, NONE);
	uint64_t t = due + 1;
	due = dbook_snapshot_due(&b);
	cr_assert_geq(due, t + c.backoff_min_ns);
	dbook_snapshot_sent(&b, due);
	/* the crossing diff (102) was kept: a snapshot at 101 continues with it */
	EXPECT_RES(snap(&b, due + 1, smsg(101, SIDE({ 98, 1 }), SIDE({ 100, 1 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 98, 1 }), SIDE({ 99, 1 }, { 100, 1 }));
	cr_assert_eq(dbook_local_id(&b), 102);
	dbook_fini(&b);
}

Test(dbook, gap_inside_the_buffer_keeps_the_rest)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t due;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(diff(&b, 2, dmsg(101, 102, SIDE({ 90, 1 }), NONE)), DB_BUFFERED);
	EXPECT_RES(diff(&b, 3, dmsg(105, 106, SIDE({ 91, 1 }), SIDE({ 110, 1 }))), DB_BUFFERED);
	EXPECT_RES(diff(&b, 4, dmsg(107, 108, SIDE({ 92, 1 }), NONE)), DB_BUFFERED);
	/* 101..102 applies, then 103..104 is missing */
	EXPECT_RES(snap(&b, 5, smsg(100, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_GAP);
	cr_assert_eq(chg, 0);
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_GAP);
	cr_assert_eq(dbook_stats(&b)->gaps, 1);
	EXPECT_BOOK(&b, NONE, NONE);
	due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 5 + c.backoff_min_ns);
	dbook_snapshot_sent(&b, due);
	/* 105.. were kept: a snapshot at 104 continues with them */
	EXPECT_RES(snap(&b, due, smsg(104, SIDE({ 100, 1 }), SIDE({ 101, 1 }))), DB_LIVE);
	cr_assert_eq(dbook_local_id(&b), 108);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 92, 1 }, { 91, 1 }), SIDE({ 101, 1 }, { 110, 1 }));
	dbook_fini(&b);
}

/* ---- levels ------------------------------------------------------------------- */

Test(dbook, removal_of_absent_levels_is_harmless)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	live_book(&b, 1);
	EXPECT_RES(diff(&b, 2, dmsg(101, 101, SIDE({ 95, 0 }, { 100, 0 }, { 100, 0 }),
				   SIDE({ 150, 0 }, { 100, 0 }))), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_BIDS, "only the bid at 100 was there");
	EXPECT_BOOK(&b, SIDE({ 99, 2 }, { 98, 3 }), SIDE({ 101, 1 }, { 102, 2 }));
	EXPECT_RES(diff(&b, 3, dmsg(102, 102, SIDE({ 1, 0 }), SIDE({ 1000, 0 }))), DB_APPLIED);
	cr_assert_eq(chg, 0, "nothing changed");
	/* the same size again is no change either */
	EXPECT_RES(diff(&b, 4, dmsg(103, 103, SIDE({ 99, 2 }), NONE)), DB_APPLIED);
	cr_assert_eq(chg, 0);
	/* remove a whole side and put it back */
	EXPECT_RES(diff(&b, 5, dmsg(104, 104, NONE, SIDE({ 101, 0 }, { 102, 0 }))), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_ASKS);
	EXPECT_BOOK(&b, SIDE({ 99, 2 }, { 98, 3 }), NONE);
	EXPECT_RES(diff(&b, 6, dmsg(105, 105, NONE, SIDE({ 105, 4 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 99, 2 }, { 98, 3 }), SIDE({ 105, 4 }));
	cr_assert(dbook_live(&b));
	dbook_fini(&b);
}

Test(dbook, full_side_evicts_the_worst)
{
	struct dbook b;
	struct dbook_conf c = conf();

	c.cap = 3;
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	/* a snapshot deeper than the cap keeps the best 3 */
	EXPECT_RES(snap(&b, 2, smsg(100, SIDE({ 100, 1 }, { 90, 2 }, { 80, 3 }, { 70, 4 }),
				   SIDE({ 110, 1 }, { 120, 2 }, { 130, 3 }, { 140, 4 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 90, 2 }, { 80, 3 }), SIDE({ 110, 1 }, { 120, 2 }, { 130, 3 }));
	/* worse than every kept level: dropped */
	EXPECT_RES(diff(&b, 3, dmsg(101, 101, SIDE({ 75, 9 }), SIDE({ 135, 9 }))), DB_APPLIED);
	cr_assert_eq(chg, 0);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 90, 2 }, { 80, 3 }), SIDE({ 110, 1 }, { 120, 2 }, { 130, 3 }));
	/* better than the worst: the worst goes */
	EXPECT_RES(diff(&b, 4, dmsg(102, 102, SIDE({ 85, 5 }), SIDE({ 115, 5 }))), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_BIDS | DB_TOP_ASKS);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 90, 2 }, { 85, 5 }), SIDE({ 110, 1 }, { 115, 5 }, { 120, 2 }));
	/* a new best: the worst goes */
	EXPECT_RES(diff(&b, 5, dmsg(103, 103, SIDE({ 105, 6 }), SIDE({ 108, 6 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 105, 6 }, { 100, 1 }, { 90, 2 }), SIDE({ 108, 6 }, { 110, 1 }, { 115, 5 }));
	/* room again: a removal, then a deep level is kept */
	EXPECT_RES(diff(&b, 6, dmsg(104, 104, SIDE({ 100, 0 }, { 70, 1 }), SIDE({ 110, 0 }, { 200, 1 }))),
		   DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 105, 6 }, { 90, 2 }, { 70, 1 }), SIDE({ 108, 6 }, { 115, 5 }, { 200, 1 }));
	/* an update in place on a full side moves nothing */
	EXPECT_RES(diff(&b, 7, dmsg(105, 105, SIDE({ 90, 3 }), SIDE({ 115, 0 }, { 115, 4 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 105, 6 }, { 90, 3 }, { 70, 1 }), SIDE({ 108, 6 }, { 115, 4 }, { 200, 1 }));
	dbook_fini(&b);
}

Test(dbook, full_side_inserts_at_every_place)
{
	struct dbook b;
	struct dbook_conf c = conf();

	c.cap = 4;
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(snap(&b, 2, smsg(100, SIDE({ 40, 1 }, { 30, 1 }, { 20, 1 }, { 10, 1 }),
				   SIDE({ 50, 1 }, { 60, 1 }, { 70, 1 }, { 80, 1 }))), DB_LIVE);
	EXPECT_RES(diff(&b, 3, dmsg(101, 101, SIDE({ 15, 2 }), SIDE({ 75, 2 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 40, 1 }, { 30, 1 }, { 20, 1 }, { 15, 2 }),
		    SIDE({ 50, 1 }, { 60, 1 }, { 70, 1 }, { 75, 2 }));
	EXPECT_RES(diff(&b, 4, dmsg(102, 102, SIDE({ 35, 3 }), SIDE({ 55, 3 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 40, 1 }, { 35, 3 }, { 30, 1 }, { 20, 1 }),
		    SIDE({ 50, 1 }, { 55, 3 }, { 60, 1 }, { 70, 1 }));
	EXPECT_RES(diff(&b, 5, dmsg(103, 103, SIDE({ 45, 4 }), SIDE({ 49, 4 }))), DB_APPLIED);
	EXPECT_BOOK(&b, SIDE({ 45, 4 }, { 40, 1 }, { 35, 3 }, { 30, 1 }),
		    SIDE({ 49, 4 }, { 50, 1 }, { 55, 3 }, { 60, 1 }));
	dbook_fini(&b);
}

Test(dbook, unsorted_snapshot_is_sorted)
{
	struct dbook b;
	struct dbook_conf c = conf();

	c.cap = 3;
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(snap(&b, 2, smsg(100, SIDE({ 97, 4 }, { 100, 1 }, { 95, 0 }, { 98, 3 }, { 99, 2 }),
				   SIDE({ 103, 3 }, { 101, 1 }, { 101, 5 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }), SIDE({ 101, 5 }, { 103, 3 }));
	dbook_fini(&b);
}

Test(dbook, changes_below_the_published_top_are_not_flagged)
{
	static struct vd_level bids[KIMP_BOOK_LEVELS + 8], asks[KIMP_BOOK_LEVELS + 8];
	struct dbook b;
	struct dbook_conf c = conf();
	unsigned n = KIMP_BOOK_LEVELS + 8;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	for (unsigned i = 0; i < n; i++) {
		bids[i] = (struct vd_level){ 1000 - 10 * (int64_t)i, 1 };
		asks[i] = (struct vd_level){ 1010 + 10 * (int64_t)i, 1 };
	}
	start(&b, 1);
	EXPECT_RES(snap(&b, 2, smsg(100, bids, n, asks, n)), DB_LIVE);
	/* the 33rd level and below: not in the published top */
	int64_t deep_bid = bids[KIMP_BOOK_LEVELS].px, deep_ask = asks[KIMP_BOOK_LEVELS].px;
	EXPECT_RES(diff(&b, 3, dmsg(101, 101, SIDE({ deep_bid, 5 }, { deep_bid - 5, 1 }),
				   SIDE({ deep_ask, 0 }))), DB_APPLIED);
	cr_assert_eq(chg, 0);
	/* the 32nd: in it */
	int64_t last_bid = bids[KIMP_BOOK_LEVELS - 1].px;
	EXPECT_RES(diff(&b, 4, dmsg(102, 102, SIDE({ last_bid, 5 }), NONE)), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_BIDS);
	/* a new level just under the 32nd is not in the top */
	EXPECT_RES(diff(&b, 5, dmsg(103, 103, NONE, SIDE({ asks[KIMP_BOOK_LEVELS - 1].px + 1, 1 }))),
		   DB_APPLIED);
	cr_assert_eq(chg, 0);
	/* one just above it pushes the 32nd out */
	EXPECT_RES(diff(&b, 5, dmsg(104, 104, NONE, SIDE({ asks[KIMP_BOOK_LEVELS - 2].px + 1, 1 }))),
		   DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_ASKS);
	/* removing a top level pulls one in */
	EXPECT_RES(diff(&b, 6, dmsg(105, 105, SIDE({ bids[0].px, 0 }), NONE)), DB_APPLIED);
	cr_assert_eq(chg, DB_TOP_BIDS);
	dbook_fini(&b);
}

Test(dbook, top_with_n_larger_than_the_book)
{
	struct dbook b;
	struct dbook_conf c = conf();
	struct kimp_level tb[8], ta[8];
	unsigned nb = 99, na = 99;

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	dbook_top(&b, tb, &nb, ta, &na, 8);
	cr_assert_eq(nb, 0);
	cr_assert_eq(na, 0);
	live_book(&b, 1);
	memset(tb, 0x5a, sizeof(tb));
	dbook_top(&b, tb, &nb, ta, &na, 8);
	cr_assert_eq(nb, 3);
	cr_assert_eq(na, 2);
	cr_assert_eq(tb[0].px, 100);
	cr_assert_eq(tb[2].px, 98);
	cr_assert_eq(tb[2].qty, 3);
	cr_assert_eq(tb[3].px, 0x5a5a5a5a5a5a5a5a, "nothing written past the book");
	cr_assert_eq(ta[1].px, 102);
	dbook_top(&b, tb, &nb, ta, &na, 2);
	cr_assert_eq(nb, 2);
	cr_assert_eq(na, 2);
	cr_assert_eq(tb[1].px, 99);
	dbook_top(&b, tb, &nb, ta, &na, 1);
	cr_assert_eq(nb, 1);
	cr_assert_eq(tb[0].px, 100);
	cr_assert_eq(ta[0].px, 101);
	dbook_top(&b, tb, &nb, ta, &na, 0);
	cr_assert_eq(nb, 0);
	cr_assert_eq(na, 0);
	dbook_fini(&b);
}

/* ---- the sync buffer ---------------------------------------------------------- */

Test(dbook, buffer_overflow_by_diffs_starts_over)
{
	struct dbook b;
	struct dbook_conf c = conf();

	c.buf_diffs = 4;
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	for (uint64_t id = 101; id <= 104; id++)
		EXPECT_RES(diff(&b, id, dmsg(id, id, SIDE({ (int64_t)id - 100, 1 }), NONE)),
			   DB_BUFFERED);
	EXPECT_RES(diff(&b, 105, dmsg(105, 105, SIDE({ 50, 1 }), NONE)), DB_OVERFLOW);
	cr_assert_eq(chg, 0);
	cr_assert_eq(dbook_stats(&b)->overflows, 1);
	cr_assert_eq(dbook_snapshot_due(&b), 0, "the request in flight stays so");
	EXPECT_RES(diff(&b, 106, dmsg(106, 106, SIDE({ 51, 1 }), NONE)), DB_BUFFERED);
	/* the buffer starts at 105 now: a snapshot at 100 is too old for it */
	EXPECT_RES(snap(&b, 107, smsg(100, SIDE({ 60, 1 }), SIDE({ 70, 1 }))), DB_TOO_OLD);
	uint64_t due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 107 + c.backoff_min_ns, "the next request waits for the backoff");
	dbook_snapshot_sent(&b, due);
	EXPECT_RES(snap(&b, due, smsg(104, SIDE({ 60, 1 }), SIDE({ 70, 1 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 60, 1 }, { 51, 1 }, { 50, 1 }), SIDE({ 70, 1 }));
	cr_assert_eq(dbook_local_id(&b), 106);
	dbook_fini(&b);
}

Test(dbook, buffer_overflow_by_levels)
{
	struct dbook b;
	struct dbook_conf c = conf();

	c.buf_levels = 4;
	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 1);
	EXPECT_RES(diff(&b, 2, dmsg(101, 101, SIDE({ 1, 1 }, { 2, 1 }), SIDE({ 10, 1 }))),
		   DB_BUFFERED);
	/* 3 + 2 > 4: dropped, and this one starts the new buffer */
	EXPECT_RES(diff(&b, 3, dmsg(102, 102, SIDE({ 3, 1 }), SIDE({ 11, 1 }))), DB_OVERFLOW);
	/* one that could never fit: dropped, the buffer left empty */
	EXPECT_RES(diff(&b, 4, dmsg(103, 103, SIDE({ 4, 1 }, { 5, 1 }, { 6, 1 }),
				   SIDE({ 12, 1 }, { 13, 1 }))), DB_OVERFLOW);
	cr_assert_eq(dbook_stats(&b)->overflows, 2);
	EXPECT_RES(diff(&b, 5, dmsg(104, 104, SIDE({ 7, 1 }), NONE)), DB_BUFFERED);
	/* the buffer is [104]: a snapshot at 102 misses 103 */
	EXPECT_RES(snap(&b, 6, smsg(102, SIDE({ 8, 1 }), SIDE({ 20, 1 }))), DB_TOO_OLD);
	dbook_snapshot_sent(&b, dbook_snapshot_due(&b));
	EXPECT_RES(snap(&b, 7, smsg(103, SIDE({ 8, 1 }), SIDE({ 20, 1 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 8, 1 }, { 7, 1 }), SIDE({ 20, 1 }));
	dbook_fini(&b);
}

/* ---- requests and backoff ----------------------------------------------------- */

Test(dbook, late_and_duplicate_snapshots_are_ignored)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	dbook_resync(&b, 1, KIMP_BOOK_R_START);
	/* not requested yet */
	EXPECT_RES(snap(&b, 2, smsg(100, SIDE({ 1, 1 }), SIDE({ 2, 1 }))), DB_IGNORED);
	cr_assert_not(dbook_live(&b));
	dbook_snapshot_sent(&b, 2);
	dbook_snapshot_sent(&b, 2); /* a second send while one is out is not counted */
	cr_assert_eq(dbook_stats(&b)->snap_req, 1);
	/* not a snapshot: ignored, the request still out */
	EXPECT_RES(snap(&b, 3, dmsg(100, 100, SIDE({ 1, 1 }), NONE)), DB_IGNORED);
	EXPECT_RES(diff(&b, 3, smsg(100, SIDE({ 1, 1 }), NONE)), DB_IGNORED);
	EXPECT_RES(snap(&b, 4, smsg(100, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }),
				   SIDE({ 101, 1 }, { 102, 2 }))), DB_LIVE);
	/* a duplicate: the book stays */
	EXPECT_RES(snap(&b, 5, smsg(200, SIDE({ 50, 1 }), SIDE({ 60, 1 }))), DB_IGNORED);
	cr_assert_eq(chg, 0);
	cr_assert(dbook_live(&b));
	cr_assert_eq(dbook_local_id(&b), 100);
	EXPECT_BOOK(&b, SIDE({ 100, 1 }, { 99, 2 }, { 98, 3 }), SIDE({ 101, 1 }, { 102, 2 }));
	/* the reply to a request given up on */
	EXPECT_RES(diff(&b, 6, dmsg(102, 102, NONE, NONE)), DB_GAP);
	uint64_t due = dbook_snapshot_due(&b);
	dbook_snapshot_sent(&b, due);
	dbook_snapshot_failed(&b, due + 1);
	EXPECT_RES(snap(&b, due + 2, smsg(200, SIDE({ 50, 1 }), SIDE({ 60, 1 }))), DB_IGNORED);
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_stats(&b)->ignored, 5);
	dbook_fini(&b);
}

Test(dbook, snapshot_failure_retries_after_backoff)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 10);
	dbook_snapshot_failed(&b, 20);
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_SNAPSHOT);
	cr_assert_eq(dbook_stats(&b)->snap_fail, 1);
	cr_assert_eq(dbook_snapshot_due(&b), 20 + c.backoff_min_ns);
	dbook_snapshot_failed(&b, 30); /* none in flight: nothing happens */
	cr_assert_eq(dbook_stats(&b)->snap_fail, 1);
	cr_assert_eq(dbook_snapshot_due(&b), 20 + c.backoff_min_ns);
	dbook_snapshot_sent(&b, 20 + c.backoff_min_ns);
	EXPECT_RES(snap(&b, 21 + c.backoff_min_ns, smsg(5, SIDE({ 1, 1 }), SIDE({ 2, 1 }))),
		   DB_LIVE);
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_NONE);
	dbook_snapshot_failed(&b, 40); /* live: nothing happens */
	cr_assert(dbook_live(&b));
	dbook_fini(&b);
}

Test(dbook, resync_while_a_request_is_out_waits_for_it)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	start(&b, 10);
	EXPECT_RES(diff(&b, 11, dmsg(90, 95, SIDE({ 1, 1 }), NONE)), DB_BUFFERED);
	dbook_resync(&b, 12, KIMP_BOOK_R_RECONNECT);
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_RECONNECT);
	cr_assert_eq(dbook_snapshot_due(&b), 0, "one request at a time");
	EXPECT_RES(diff(&b, 13, dmsg(101, 101, SIDE({ 3, 1 }), NONE)), DB_BUFFERED);
	/* the old buffer went with the resync: 100 fits the new one */
	EXPECT_RES(snap(&b, 14, smsg(100, SIDE({ 2, 1 }), SIDE({ 9, 1 }))), DB_LIVE);
	EXPECT_BOOK(&b, SIDE({ 3, 1 }, { 2, 1 }), SIDE({ 9, 1 }));
	/* a resync while waiting for a backoff keeps the time it had */
	EXPECT_RES(diff(&b, 15, dmsg(103, 103, NONE, NONE)), DB_GAP);
	uint64_t due = dbook_snapshot_due(&b);
	cr_assert_geq(due, 15 + c.backoff_min_ns);
	dbook_resync(&b, 16, KIMP_BOOK_R_RECONNECT);
	cr_assert_eq(dbook_snapshot_due(&b), due);
	cr_assert_eq(dbook_stats(&b)->resyncs, 4); /* START, RECONNECT, GAP, RECONNECT */
	dbook_fini(&b);
}

Test(dbook, halt_stops_until_resync)
{
	struct dbook b;
	struct dbook_conf c = conf();

	cr_assert_eq(dbook_init(&b, &c, 1), 0);
	live_book(&b, 10);
	dbook_halt(&b, 20, KIMP_BOOK_R_FEED_DOWN);
	cr_assert_not(dbook_live(&b));
	cr_assert_eq(dbook_state(&b), DBOOK_IDLE);
	cr_assert_eq(dbook_reason(&b), KIMP_BOOK_R_FEED_DOWN);
	cr_assert_eq(dbook_snapshot_due(&b), 0);
	EXPECT_BOOK(&b, NONE, NONE);
	EXPECT_RES(diff(&b, 21, dmsg(101, 101, SIDE({ 1, 1 }), NONE)), DB_IGNORED);
	/* live for less than stable_ns: the backoff was not reset */
	dbook_resync(&b, 30, KIMP_BOOK_R_RECONNECT);
	cr_assert_eq(dbook_snapshot_due(&b), 30 + c.backoff_min_ns);
	dbook_snapshot_sent(&b, 30 + c.backoff_min_ns);
	/* a halt with a request out forgets it */
	dbook_halt(&b, 40, KIMP_BOOK_R_FEED_DOWN);
	EXPECT_RES(snap(&b, 41, smsg(100, SIDE({ 1, 1 }), SIDE({ 2, 1 }))), DB_IGNORED);
	dbook_resync(&b, 50, KIMP_BOOK_R_RECONNECT);
	cr_assert_gt(dbook_snapshot_due(&b), 0, "a new request is wanted");
	dbook_fini(&b);
}

/* Fail k times in a row from a fresh start; the delay of the k-th retry. */
static uint64_t kth_delay(uint64_t seed, unsigned k)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t now = 1000, d = 0;

	cr_assert_eq(dbook_init(&b, &c, seed), 0);
	start(&b, now);
	for (unsigned i = 1; i <= k; i++) {
		dbook_snapshot_failed(&b, now);
		d = dbook_snapshot_due(&b) - now;
		now += d;
		dbook_snapshot_sent(&b, now);
	}
	dbook_fini(&b);
	return d;
}

Test(dbook, backoff_doubles_up_to_the_cap)
{
	struct dbook_conf c = conf(); /* 100 ms .. 3.2 s */

	for (unsigned k = 1; k <= 10; k++) {
		uint64_t ceil = c.backoff_min_ns << (k - 1), lo = UINT64_MAX, hi = 0;

		if (ceil > c.backoff_max_ns)
			ceil = c.backoff_max_ns;
		for (uint64_t seed = 1; seed <= 200; seed++) {
			uint64_t d = kth_delay(seed * 7919, k);

			cr_assert_geq(d, c.backoff_min_ns, "retry %u: %lu below the floor", k,
				      (unsigned long)d);
			cr_assert_leq(d, ceil, "retry %u: %lu above its ceiling %lu", k,
				      (unsigned long)d, (unsigned long)ceil);
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		/* full jitter: the draws spread over the whole range */
		cr_assert_geq(hi, ceil - (ceil - c.backoff_min_ns) / 8, "retry %u: max %lu", k,
			      (unsigned long)hi);
		if (k > 1)
			cr_assert_leq(lo, c.backoff_min_ns + (ceil - c.backoff_min_ns) / 8,
				      "retry %u: min %lu", k, (unsigned long)lo);
	}
	/* a fixed seed gives a fixed sequence */
	cr_assert_eq(kth_delay(42, 5), kth_delay(42, 5));
}

Test(dbook, backoff_resets_after_stable)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t now = 1000;

	for (int stayed = 0; stayed < 2; stayed++) {
		cr_assert_eq(dbook_init(&b, &c, 3), 0);
		start(&b, now);
		for (int i = 0; i < 6; i++) { /* push the backoff up */
			dbook_snapshot_failed(&b, now);
			now = dbook_snapshot_due(&b);
			dbook_snapshot_sent(&b, now);
		}
		EXPECT_RES(snap(&b, now, smsg(100, SIDE({ 1, 1 }), SIDE({ 2, 1 }))), DB_LIVE);
		uint64_t gap_at = now + (stayed ? c.stable_ns : c.stable_ns - 1);
		EXPECT_RES(diff(&b, gap_at, dmsg(102, 102, NONE, NONE)), DB_GAP);
		if (stayed) {
			cr_assert_eq(dbook_snapshot_due(&b), gap_at,
				     "live for stable_ns: the retry goes at once");
			dbook_snapshot_sent(&b, gap_at);
			dbook_snapshot_failed(&b, gap_at);
			cr_assert_eq(dbook_snapshot_due(&b), gap_at + c.backoff_min_ns,
				     "and the next starts again from the floor");
		} else {
			cr_assert_geq(dbook_snapshot_due(&b), gap_at + c.backoff_min_ns,
				      "not stable yet: the retry waits");
		}
		dbook_fini(&b);
	}
}

/*
 * A book that gaps a millisecond after every snapshot, for a simulated
 * minute: the requests are never closer than the floor, and the backoff
 * climbs to its cap since the book never stays live for stable_ns.
 */
Test(dbook, repeated_gaps_are_paced_by_the_backoff)
{
	struct dbook b;
	struct dbook_conf c = conf();
	uint64_t seq = 1000, t0 = 5 * SEC, last = 0, n = 0;

	/* room for the diffs of the longest wait */
	c.buf_diffs = c.buf_levels = 8192;

	cr_assert_eq(dbook_init(&b, &c, 99), 0);
	dbook_resync(&b, t0, KIMP_BOOK_R_START);
	for (uint64_t now = t0; now < t0 + 60 * SEC; now += MS) {
		uint64_t due = dbook_snapshot_due(&b);
		int r;

		if (due && now >= due) {
			if (n)
				cr_assert_geq(now - last, c.backoff_min_ns,
					      "request %lu only %lu ns after the last",
					      (unsigned long)n, (unsigned long)(now - last));
			dbook_snapshot_sent(&b, now);
			last = now;
			n++;
			/* the reply comes at once and is usable */
			EXPECT_RES(snap(&b, now, smsg(seq, SIDE({ 1, 1 }), SIDE({ 2, 1 }))), DB_LIVE);
		}
		if (dbook_live(&b)) {
			seq += 2; /* one event lost */
			r = diff(&b, now, dmsg(seq, seq, SIDE({ 1, 2 }), NONE));
			EXPECT_RES(r, DB_GAP);
		} else {
			seq++;
			r = diff(&b, now, dmsg(seq, seq, SIDE({ 1, 2 }), NONE));
			EXPECT_RES(r, DB_BUFFERED);
		}
	}
	cr_log_info("%lu snapshot requests in a minute of gaps", (unsigned long)n);
	cr_assert_eq(dbook_stats(&b)->snap_req, n);
	cr_assert_eq(dbook_stats(&b)->gaps, n);
	cr_assert_leq(n, 60 * SEC / c.backoff_min_ns + 1, "never faster than the floor");
	/* with the ceiling at its cap the requests average (min + max) / 2 apart */
	cr_assert_leq(n, 60 * SEC / ((c.backoff_min_ns + c.backoff_max_ns) / 4),
		      "the backoff grew: %lu requests", (unsigned long)n);
	cr_assert_geq(n, 60 * SEC / c.backoff_max_ns, "but it keeps trying");
	dbook_fini(&b);
}

/* ---- against a reference ------------------------------------------------------ */

/*
 * The reference: a quantity per price tick in a window, each side its own
 * range so the book never crosses; the same cap rule (a full side drops a
 * level worse than all it holds and evicts its worst for a better one).
 */
#define RPX0 1000
#define RN   400  /* bids 1000..1199, asks 1200..1399 */

struct ref {
	int64_t qty[RN];
	unsigned nb, na;
};

static bool ref_bid(int64_t px)
{
	return px < RPX0 + RN / 2;
}

static void ref_set(struct ref *r, unsigned cap, int64_t px, int64_t qty)
{
	bool bid = ref_bid(px);
	unsigned *n = bid ? &r->nb : &r->na;
	int64_t *q = &r->qty[px - RPX0];

	if (*q) {
		if (!qty)
			(*n)--;
		*q = qty;
		return;
	}
	if (!qty)
		return;
	if (*n == cap) {
		/* the worst kept: the lowest bid, the highest ask */
		int64_t w = -1;

		if (bid) {
			for (int64_t p = RPX0; p < RPX0 + RN / 2 && w < 0; p++)
				if (r->qty[p - RPX0])
					w = p;
			if (px < w)
				return;
		} else {
			for (int64_t p = RPX0 + RN - 1; p >= RPX0 + RN / 2 && w < 0; p--)
				if (r->qty[p - RPX0])
					w = p;
			if (px > w)
				return;
		}
		r->qty[w - RPX0] = 0;
		(*n)--;
	}
	*q = qty;
	(*n)++;
}

/* The reference's best n levels a side, best first. */
static void ref_top(const struct ref *r, struct vd_level *bids, unsigned *nb,
		    struct vd_level *asks, unsigned *na, unsigned n)
{
	*nb = *na = 0;
	for (int64_t p = RPX0 + RN / 2 - 1; p >= RPX0 && *nb < n; p--)
		if (r->qty[p - RPX0])
			bids[(*nb)++] = (struct vd_level){ p, r->qty[p - RPX0] };
	for (int64_t p = RPX0 + RN / 2; p < RPX0 + RN && *na < n; p++)
		if (r->qty[p - RPX0])
			asks[(*na)++] = (struct vd_level){ p, r->qty[p - RPX0] };
}

static bool same_top(const struct vd_level *a, unsigned na, const struct vd_level *b,
		     unsigned nb)
{
	unsigned n = KIMP_BOOK_LEVELS;

	na = na < n ? na : n;
	nb = nb < n ? nb : n;
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_stream(unsigned cap, uint64_t seed, unsigned ndiffs)
{
	static struct vd_level sb[RN], sa[RN], db[64], da[64], rb[RN], ra[RN], pb[RN], pa[RN];
	static struct kimp_level gb[RN], ga[RN];
	static struct ref r;
	struct dbook b;
	struct dbook_conf c = conf();
	unsigned nsb = 0, nsa = 0, nrb, nra, npb, npa, ngb, nga;
	uint64_t s = seed, id = 5000;
	bool used[RN];

	c.cap = cap;
	memset(&r, 0, sizeof(r));
	cr_assert_eq(dbook_init(&b, &c, seed), 0);
	/* a snapshot of some levels, best first, and the reference the same */
	for (int64_t p = RPX0 + RN / 2 - 1; p >= RPX0; p--)
		if (rnd(&s) % 3 == 0 && nsb < cap)
			sb[nsb++] = (struct vd_level){ p, (int64_t)(rnd(&s) % 1000) + 1 };
	for (int64_t p = RPX0 + RN / 2; p < RPX0 + RN; p++)
		if (rnd(&s) % 3 == 0 && nsa < cap)
			sa[nsa++] = (struct vd_level){ p, (int64_t)(rnd(&s) % 1000) + 1 };
	for (unsigned i = 0; i < nsb; i++)
		ref_set(&r, cap, sb[i].px, sb[i].qty);
	for (unsigned i = 0; i < nsa; i++)
		ref_set(&r, cap, sa[i].px, sa[i].qty);
	start(&b, 1);
	EXPECT_RES(snap(&b, 2, smsg(id, sb, nsb, sa, nsa)), DB_LIVE);
	ref_top(&r, pb, &npb, pa, &npa, RN);
	for (unsigned k = 0; k < ndiffs; k++) {
		unsigned nb = (unsigned)(rnd(&s) % 9), na = (unsigned)(rnd(&s) % 9);

		/* distinct prices within a diff, clustered near the top half the time */
		memset(used, 0, sizeof(used));
		for (unsigned i = 0; i < nb + na; i++) {
			bool bid = i < nb;
			int64_t off, px, qty;

			do {
				off = (int64_t)(rnd(&s) % (rnd(&s) & 1 ? 20 : RN / 2));
				px = bid ? RPX0 + RN / 2 - 1 - off : RPX0 + RN / 2 + off;
			} while (used[px - RPX0]);
			used[px - RPX0] = true;
			qty = rnd(&s) % 3 == 0 ? 0 : (int64_t)(rnd(&s) % 1000) + 1;
			if (bid)
				db[i] = (struct vd_level){ px, qty };
			else
				da[i - nb] = (struct vd_level){ px, qty };
			ref_set(&r, cap, px, qty);
		}
		EXPECT_RES(diff(&b, 3 + k, dmsg(id + 1, id + 1 + k % 3, db, nb, da, na)),
			   DB_APPLIED);
		id += 1 + k % 3;
		/* every level, both sides */
		dbook_top(&b, gb, &ngb, ga, &nga, RN);
		ref_top(&r, rb, &nrb, ra, &nra, RN);
		cr_assert_eq(ngb, nrb, "diff %u: %u bids, the reference %u", k, ngb, nrb);
		cr_assert_eq(nga, nra, "diff %u: %u asks, the reference %u", k, nga, nra);
		for (unsigned i = 0; i < nrb; i++)
			cr_assert(gb[i].px == rb[i].px && gb[i].qty == rb[i].qty,
				  "diff %u: bid %u %ld x %ld, the reference %ld x %ld", k, i,
				  (long)gb[i].px, (long)gb[i].qty, (long)rb[i].px, (long)rb[i].qty);
		for (unsigned i = 0; i < nra; i++)
			cr_assert(ga[i].px == ra[i].px && ga[i].qty == ra[i].qty,
				  "diff %u: ask %u %ld x %ld, the reference %ld x %ld", k, i,
				  (long)ga[i].px, (long)ga[i].qty, (long)ra[i].px, (long)ra[i].qty);
		/* the flags say exactly whether the published top changed */
		cr_assert_eq(!!(chg & DB_TOP_BIDS), !same_top(pb, npb, rb, nrb),
			     "diff %u: bid flag %u", k, chg);
		cr_assert_eq(!!(chg & DB_TOP_ASKS), !same_top(pa, npa, ra, nra),
			     "diff %u: ask flag %u", k, chg);
		memcpy(pb, rb, nrb * sizeof(*rb));
		memcpy(pa, ra, nra * sizeof(*ra));
		npb = nrb;
		npa = nra;
	}
	cr_assert_eq(dbook_local_id(&b), id);
	cr_assert_eq(dbook_stats(&b)->applied, ndiffs);
	dbook_fini(&b);
}

Test(dbook, random_stream_matches_a_reference)
{
	random_stream(5000, 0x1234567, 20000);
}

Test(dbook, random_stream_with_a_small_cap_matches_a_reference)
{
	random_stream(40, 0xabcdef1, 20000);
	random_stream(3, 0x5eed, 5000);
}

Test(dbook, result_names)
{
	cr_assert_str_eq(dbook_res_name(DB_IGNORED), "ignored");
	cr_assert_str_eq(dbook_res_name(DB_LIVE), "live");
	cr_assert_str_eq(dbook_res_name(DB_OVERFLOW), "overflow");
	cr_assert_str_eq(dbook_res_name(DB_RES_MAX), "?");
	for (unsigned i = 0; i < DB_RES_MAX; i++)
		cr_assert_not_null(dbook_res_name(i));
}
