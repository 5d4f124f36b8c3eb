/* SPDX-License-Identifier: MIT */
/*
 * feedd end to end against exsim, both real processes over TLS: books equal
 * exsim's level for level after a long stream, a gap exsim injects is
 * detected and resynced, a stall marks books stale and recovery clears it,
 * a disconnect is survived with no manual step, a planned reconnect leaves
 * no hole, every frame is recorded when asked, and a diff that changes only
 * levels below the recorded top still moves the record's update id.
 */
#include "fdtest.h"
#include "kimp/msg.h"
#include "../../libvenue/jscan.h"
#include "../../sim/replay.h"

#define INST_BTC 1
#define INST_ETH 2
#define INST_XRP 3
#define INST_USDT 4

struct exbook {
	uint64_t update_id;
	int64_t ts_ms;
	uint32_t nb, na;
	struct vd_level bids[256], asks[256];
};

static void parse_levels(struct js *j, struct vd_level *l, uint32_t *n, uint32_t cap)
{
	bool first = true, done = false;
	*n = 0;
	cr_assert_eq(js_expect(j, '['), 0);
	for (;;) {
		cr_assert_eq(js_elem(j, &first, &done), 0);
		if (done)
			break;
		bool f2 = true, d2 = false;
		struct vd_level v;
		cr_assert_eq(js_expect(j, '['), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert_eq(js_fixed(j, 8, &v.px), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert_eq(js_fixed(j, 8, &v.qty), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert(d2);
		if (*n < cap)
			l[(*n)++] = v;
	}
}

/* GET /book from exsim's control port. */
static void exsim_book(struct fdt *t, const char *venue, const char *sym, struct exbook *b)
{
	static char body[1 << 20];
	char target[128];
	snprintf(target, sizeof(target), "/book?venue=%s&symbol=%s", venue, sym);
	cr_assert_eq(fdt_ctl(t, "GET", target, body, sizeof(body)), 200, "%s", body);
	struct js j;
	struct js_str k;
	bool first = true, done = false;
	memset(b, 0, sizeof(*b));
	js_init(&j, body, strlen(body));
	cr_assert_eq(js_expect(&j, '{'), 0);
	for (;;) {
		cr_assert_eq(js_key(&j, &k, &first, &done), 0, "%s", body);
		if (done)
			break;
		if (JS_IS(&k, "update_id"))
			cr_assert_eq(js_u64(&j, &b->update_id), 0);
		else if (JS_IS(&k, "ts_ms"))
			cr_assert_eq(js_i64(&j, &b->ts_ms), 0);
		else if (JS_IS(&k, "bids"))
			parse_levels(&j, b->bids, &b->nb, 256);
		else if (JS_IS(&k, "asks"))
			parse_levels(&j, b->asks, &b->na, 256);
		else
			cr_assert_eq(js_skip(&j), 0);
	}
}

struct want_status {
	unsigned venue, inst, status;
};

static bool book_status_is(struct fdt *t, const void *arg)
{
	const struct want_status *w = arg;
	struct kimp_book b;
	fdt_book(t, w->venue, w->inst, &b);
	return b.status == w->status;
}

static bool all_live(struct fdt *t, const void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.status != KIMP_BOOK_LIVE)
			return false;
	}
	return true;
}

struct want_count {
	const char *name;
	uint64_t atleast;
};

static bool counter_reaches(struct fdt *t, const void *arg)
{
	const struct want_count *w = arg;
	return fdt_counter(t, w->name) >= w->atleast;
}

struct want_updates {
	uint64_t atleast;
};

static bool every_book_updated(struct fdt *t, const void *arg)
{
	const struct want_updates *w = arg;
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.update_count < w->atleast)
			return false;
	}
	return true;
}

struct want_book {
	unsigned venue, inst;
	const struct exbook *ex;
};

/* feedd's book caught up with what exsim published last. */
static bool caught_up(struct fdt *t, const void *arg)
{
	const struct want_book *w = arg;
	struct kimp_book b;
	fdt_book(t, w->venue, w->inst, &b);
	if (b.status != KIMP_BOOK_LIVE)
		return false;
	if (w->venue == KIMP_VENUE_BINANCE)
		return b.update_id >= w->ex->update_id;
	return b.venue_ts_ns >= w->ex->ts_ms * 1000000;
}

static void assert_same_book(struct fdt *t, unsigned venue, unsigned inst, const char *vname,
			     const char *sym)
{
	struct exbook ex;
	struct kimp_book b;
	exsim_book(t, vname, sym, &ex);
	struct want_book w = { venue, inst, &ex };
	cr_assert(fdt_wait(t, caught_up, &w), "%s %s never caught up with exsim (update %llu, "
		  "ts %lld ms): %s", vname, sym, (unsigned long long)ex.update_id,
		  (long long)ex.ts_ms, fdt_books_str(t));
	fdt_book(t, venue, inst, &b);
	if (venue == KIMP_VENUE_BINANCE)
		cr_assert_eq(b.update_id, ex.update_id, "%s: update ids", sym);
	else
		cr_assert_eq(b.venue_ts_ns, ex.ts_ms * 1000000, "%s: book times", sym);
	uint32_t nb = ex.nb < KIMP_BOOK_LEVELS ? ex.nb : KIMP_BOOK_LEVELS;
	uint32_t na = ex.na < KIMP_BOOK_LEVELS ? ex.na : KIMP_BOOK_LEVELS;
	cr_assert_eq(b.nbids, nb, "%s %s: bid levels %u vs exsim's %u", vname, sym, b.nbids, ex.nb);
	cr_assert_eq(b.nasks, na, "%s %s: ask levels %u vs exsim's %u", vname, sym, b.nasks, ex.na);
	for (uint32_t i = 0; i < nb; i++) {
		cr_assert_eq(b.bids[i].px, ex.bids[i].px, "%s %s bid %u px", vname, sym, i);
		cr_assert_eq(b.bids[i].qty, ex.bids[i].qty, "%s %s bid %u qty", vname, sym, i);
	}
	for (uint32_t i = 0; i < na; i++) {
		cr_assert_eq(b.asks[i].px, ex.asks[i].px, "%s %s ask %u px", vname, sym, i);
		cr_assert_eq(b.asks[i].qty, ex.asks[i].qty, "%s %s ask %u qty", vname, sym, i);
	}
}

static void assert_all_same(struct fdt *t)
{
	cr_assert_eq(fdt_ctl(t, "POST", "/pause", NULL, 0), 200);
	assert_same_book(t, KIMP_VENUE_BINANCE, INST_BTC, "binance", "BTCUSDT");
	assert_same_book(t, KIMP_VENUE_BINANCE, INST_ETH, "binance", "ETHUSDT");
	assert_same_book(t, KIMP_VENUE_BINANCE, INST_XRP, "binance", "XRPUSDT");
	assert_same_book(t, KIMP_VENUE_UPBIT, INST_BTC, "upbit", "KRW-BTC");
	assert_same_book(t, KIMP_VENUE_UPBIT, INST_ETH, "upbit", "KRW-ETH");
	assert_same_book(t, KIMP_VENUE_UPBIT, INST_XRP, "upbit", "KRW-XRP");
	assert_same_book(t, KIMP_VENUE_UPBIT, INST_USDT, "upbit", "KRW-USDT");
	cr_assert_eq(fdt_ctl(t, "POST", "/resume", NULL, 0), 200);
}

/* Cleanup runs even when a test fails: processes, segment, files. */
static struct fdt T;

static void setup(void)
{
	fdt_init(&T);
}

static void teardown(void)
{
	fdt_fini(&T);
}

static const char *fast_market =
	"[exsim]\nstep = 2ms\n[venue.upbit]\npublish = 10ms\n[venue.binance]\npublish = 10ms\n";

Test(feedd_e2e, books_equal_exsims_after_a_long_stream, .timeout = 180, .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	struct want_updates u = { 100 };
	cr_assert(fdt_wait(&T, every_book_updated, &u), "the stream stopped");
	assert_all_same(&T);
	cr_expect_eq(fdt_counter(&T, "binance.gaps"), 0);
	cr_expect_eq(fdt_counter(&T, "upbit.decode_err.syntax") +
		     fdt_counter(&T, "binance.decode_err.syntax") +
		     fdt_counter(&T, "upbit.decode_err.number") +
		     fdt_counter(&T, "binance.decode_err.number"), 0, "decode errors");
}

Test(feedd_e2e, a_gap_is_detected_and_resynced, .timeout = 180, .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, NULL, NULL, false, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	uint64_t snaps = fdt_counter(&T, "binance.snapshots");
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=gap&venue=binance&count=1", NULL, 0), 200);
	struct want_count g = { "binance.gaps", 1 };
	cr_assert(fdt_wait(&T, counter_reaches, &g), "the gap was not seen");
	struct want_count s = { "binance.snapshots", snaps + 1 };
	cr_assert(fdt_wait(&T, counter_reaches, &s), "no new snapshot after the gap");
	cr_assert(fdt_wait(&T, all_live, NULL), "the book did not come back");
	cr_assert_eq(fdt_ctl(&T, "POST", "/pause", NULL, 0), 200);
	assert_same_book(&T, KIMP_VENUE_BINANCE, INST_BTC, "binance", "BTCUSDT");
	assert_same_book(&T, KIMP_VENUE_BINANCE, INST_ETH, "binance", "ETHUSDT");
	assert_same_book(&T, KIMP_VENUE_BINANCE, INST_XRP, "binance", "XRPUSDT");
}

Test(feedd_e2e, a_stall_marks_books_stale_and_recovery_clears_it, .timeout = 180, .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, "stale_after = 300ms\n", NULL, true, false);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=stall&venue=upbit&duration=2s", NULL, 0),
		     200);
	struct want_status st = { KIMP_VENUE_UPBIT, INST_BTC, KIMP_BOOK_STALE };
	cr_assert(fdt_wait(&T, book_status_is, &st), "the stalled book never went stale");
	struct kimp_book b;
	fdt_book(&T, KIMP_VENUE_UPBIT, INST_BTC, &b);
	cr_assert_eq(b.reason, KIMP_BOOK_R_QUIET);
	cr_assert(fdt_wait(&T, all_live, NULL), "the stale flag never cleared");
	fdt_book(&T, KIMP_VENUE_UPBIT, INST_BTC, &b);
	cr_assert_eq(b.reason, KIMP_BOOK_R_NONE);
	cr_assert_geq(fdt_counter(&T, "upbit.stale_marks"), 4, "every upbit book was marked");
}

Test(feedd_e2e, a_disconnect_is_survived, .timeout = 180, .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	uint64_t c_up = fdt_counter(&T, "upbit.connects");
	uint64_t c_bn = fdt_counter(&T, "binance.connects");
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=disconnect&venue=binance", NULL, 0), 200);
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=disconnect&venue=upbit", NULL, 0), 200);
	struct want_count a = { "binance.connects", c_bn + 1 }, b = { "upbit.connects", c_up + 1 };
	cr_assert(fdt_wait(&T, counter_reaches, &a), "binance never reconnected");
	cr_assert(fdt_wait(&T, counter_reaches, &b), "upbit never reconnected");
	cr_assert_geq(fdt_counter(&T, "binance.reconnects"), 1);
	cr_assert(fdt_wait(&T, all_live, NULL), "books did not come back");
	assert_all_same(&T);
}

Test(feedd_e2e, a_planned_reconnect_leaves_no_hole, .timeout = 180, .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, "rotate_after = 1s\n", "rotate_after = 1s\n", true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	uint64_t changes = fdt_counter(&T, "md.status_changes");
	struct want_count a = { "binance.rotations", 2 }, b = { "upbit.rotations", 2 };
	cr_assert(fdt_wait(&T, counter_reaches, &a), "binance never rotated");
	cr_assert(fdt_wait(&T, counter_reaches, &b), "upbit never rotated");
	cr_assert_eq(fdt_counter(&T, "md.status_changes"), changes,
		     "a book left the live state during a planned reconnect");
	cr_assert_eq(fdt_counter(&T, "binance.gaps"), 0);
	assert_all_same(&T);
}

Test(feedd_e2e, every_frame_is_recorded_and_replays, .timeout = 180, .init = setup, .fini = teardown)
{
	char extra[256], path[128];
	snprintf(path, sizeof(path), "%s/feed.cap", T.dir);
	snprintf(extra, sizeof(extra), "capture = %s\ncapture_max = 65536\ncapture_keep = 1000\n",
		 path);
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, extra, NULL, NULL, true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	struct want_updates u = { 20 };
	cr_assert(fdt_wait(&T, every_book_updated, &u));
	/* stop feedd: it drains the recorder */
	int st;
	kill(T.feedd, SIGTERM);
	cr_assert_eq(waitpid(T.feedd, &st, 0), T.feedd);
	T.feedd = 0;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	uint64_t received = fdt_counter(&T, "upbit.msgs") + fdt_counter(&T, "binance.msgs");
	uint64_t dropped = fdt_counter(&T, "upbit.capture_drops") +
			   fdt_counter(&T, "binance.capture_drops");
	cr_assert_eq(dropped, 0);
	/* every frame, in the files rotated at 64 KiB, read back with exsim's reader */
	uint64_t frames = 0, files = 0;
	static char payload[1 << 20];
	for (int i = 1000; i >= 0; i--) {
		char p[160], err[256];
		struct sim_capture c;
		struct sim_frame f;
		if (i)
			snprintf(p, sizeof(p), "%s.%d", path, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		if (access(p, F_OK))
			continue;
		cr_assert_eq(sim_capture_open(&c, p, err, sizeof(err)), 0, "%s", err);
		files++;
		int r;
		while ((r = sim_capture_next(&c, &f, payload, sizeof(payload), err, sizeof(err))) > 0) {
			cr_assert(!strcmp(f.venue, "upbit") || !strcmp(f.venue, "binance"));
			cr_assert_eq(f.opcode, !strcmp(f.venue, "upbit") ? 2u : 1u,
				     "upbit frames are binary, binance's text");
			frames++;
		}
		cr_assert_eq(r, 0, "%s", err);
		sim_capture_close(&c);
	}
	cr_assert_gt(files, 1, "the capture rotated");
	cr_assert_eq(frames, received, "every frame received was recorded");
}

Test(feedd_e2e, malformed_and_truncated_messages_are_counted_and_skipped, .timeout = 180,
     .init = setup, .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=malformed&venue=binance&count=5", NULL, 0),
		     200);
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=truncate&venue=binance&count=5", NULL, 0),
		     200);
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=malformed&venue=upbit&count=5", NULL, 0),
		     200);
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=truncate&venue=upbit&count=5", NULL, 0), 200);
	struct want_count b = { "binance.decode_err.syntax", 10 }, u = { "upbit.decode_err.syntax", 10 };
	cr_assert(fdt_wait(&T, counter_reaches, &b), "binance: %llu syntax errors counted",
		  (unsigned long long)fdt_counter(&T, "binance.decode_err.syntax"));
	cr_assert(fdt_wait(&T, counter_reaches, &u), "upbit: %llu syntax errors counted",
		  (unsigned long long)fdt_counter(&T, "upbit.decode_err.syntax"));
	/* nothing else went wrong, and once good messages follow the spoiled
	 * ones (the last ones published may have been spoiled), the books
	 * equal exsim's */
	cr_assert_eq(fdt_counter(&T, "binance.reconnects") + fdt_counter(&T, "upbit.reconnects"), 0);
	uint64_t least = UINT64_MAX;
	for (uint32_t i = 0; i < T.books->count; i++) {
		struct kimp_book bk;
		fdt_read(&T, i, &bk);
		if (bk.update_count < least)
			least = bk.update_count;
	}
	struct want_updates more = { least + 10 };
	cr_assert(fdt_wait(&T, every_book_updated, &more), "%s", fdt_books_str(&T));
	cr_assert(fdt_wait(&T, all_live, NULL), "%s", fdt_books_str(&T));
	assert_all_same(&T);
}

static bool metrics_claimed_by(struct fdt *t, const void *arg)
{
	return atomic_load(&t->m->pid) == *(const pid_t *)arg;
}

Test(feedd_e2e, a_killed_feedd_restarts_on_its_segment, .timeout = 180, .init = setup,
     .fini = teardown)
{
	fdt_exsim(&T, fast_market);
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	uint64_t head0 = atomic_load(&T.ring->head), msgs0 = fdt_counter(&T, "binance.msgs");
	int st;
	kill(T.feedd, SIGKILL);
	cr_assert_eq(waitpid(T.feedd, &st, 0), T.feedd);
	close(T.feedd_out);
	shm_seg_detach(&T.seg);
	T.attached = false;

	/* the same configuration: the same segment, found again */
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	pid_t pid = T.feedd;
	cr_assert(fdt_wait(&T, metrics_claimed_by, &pid), "the new feedd never claimed its metrics");
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book came back: %s", fdt_books_str(&T));
	cr_assert_geq(atomic_load(&T.ring->head), head0, "the md ring went on from where it was");
	cr_assert_geq(fdt_counter(&T, "binance.msgs"), msgs0, "counters survived the restart");
	struct want_updates u = { 5 };
	cr_assert(fdt_wait(&T, every_book_updated, &u));
	assert_all_same(&T);
}

/* The top KIMP_BOOK_LEVELS a side (what feedd's record holds) are the same. */
static bool same_top(const struct exbook *a, const struct exbook *b)
{
	uint32_t anb = a->nb < KIMP_BOOK_LEVELS ? a->nb : KIMP_BOOK_LEVELS;
	uint32_t ana = a->na < KIMP_BOOK_LEVELS ? a->na : KIMP_BOOK_LEVELS;
	uint32_t bnb = b->nb < KIMP_BOOK_LEVELS ? b->nb : KIMP_BOOK_LEVELS;
	uint32_t bna = b->na < KIMP_BOOK_LEVELS ? b->na : KIMP_BOOK_LEVELS;

	return anb == bnb && ana == bna &&
	       !memcmp(a->bids, b->bids, anb * sizeof(a->bids[0])) &&
	       !memcmp(a->asks, b->asks, ana * sizeof(a->asks[0]));
}

/* exsim's market steps so far (GET /status). */
static uint64_t exsim_steps(struct fdt *t)
{
	static char body[8192];
	cr_assert_eq(fdt_ctl(t, "GET", "/status", body, sizeof(body)), 200, "%s", body);
	const char *p = strstr(body, "\"steps\":");
	cr_assert_not_null(p, "%s", body);
	return strtoull(p + 8, NULL, 10);
}

static bool steps_reach(struct fdt *t, const void *arg)
{
	return exsim_steps(t) >= *(const uint64_t *)arg;
}

/* Prices that stay put and deep books: steps that change only deep levels are common. */
static const char *deep_market =
	"[exsim]\nstep = 50ms\n[coin.BTC]\nvol = 0\n[coin.ETH]\nvol = 0\n[coin.XRP]\nvol = 0\n"
	"[venue.binance]\npublish = 50ms\ndepth = 1000\n";

/*
 * A diff that changes only levels below the top the record holds still
 * moves the record's update id (and times): feedd once applied such a diff
 * but left the record at the update before it, so a reader (and
 * a_disconnect_is_survived, once, on a loaded machine where exsim's steps
 * were few) saw a book behind the venue's for as long as no diff changed
 * the top. Each cycle lets one 50 ms step follow a 100 ms diff point and
 * pauses: exsim's flush is then a diff of that one step, which in this
 * market often changes deep levels only; the cycles go on until three did.
 */
Test(feedd_e2e, a_diff_below_the_recorded_top_still_moves_the_update_id, .timeout = 180,
     .init = setup, .fini = teardown)
{
	static const char *const syms[3] = { "BTCUSDT", "ETHUSDT", "XRPUSDT" };
	static const unsigned insts[3] = { INST_BTC, INST_ETH, INST_XRP };
	unsigned seen = 0, cycles;

	fdt_exsim(&T, deep_market);
	fdt_feedd(&T, NULL, NULL, NULL, false, true);
	cr_assert(fdt_wait(&T, all_live, NULL), "not every book went live: %s", fdt_books_str(&T));
	for (cycles = 0; cycles < 200 && seen < 3; cycles++) {
		static struct exbook before[3], after;
		struct want_count d = { "binance.msgs.diff", fdt_counter(&T, "binance.msgs.diff") + 1 };

		/* just past a diff point */
		cr_assert(fdt_wait(&T, counter_reaches, &d), "the diffs stopped");
		cr_assert(fdt_wait(&T, all_live, NULL), "%s", fdt_books_str(&T));
		for (int k = 0; k < 3; k++)
			exsim_book(&T, "binance", syms[k], &before[k]);
		/* one more step: what it changed is held until the next diff point */
		uint64_t steps = exsim_steps(&T) + 1;
		cr_assert(fdt_wait(&T, steps_reach, &steps), "exsim stopped stepping");
		cr_assert_eq(fdt_ctl(&T, "POST", "/pause", NULL, 0), 200);
		for (int k = 0; k < 3; k++) {
			exsim_book(&T, "binance", syms[k], &after);
			if (after.update_id > before[k].update_id && same_top(&before[k], &after))
				seen++;
			assert_same_book(&T, KIMP_VENUE_BINANCE, insts[k], "binance", syms[k]);
		}
		cr_assert_eq(fdt_ctl(&T, "POST", "/resume", NULL, 0), 200);
	}
	cr_assert_geq(seen, 1, "no diff in %u cycles changed only levels below the top", cycles);
}
