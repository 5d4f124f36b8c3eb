/* SPDX-License-Identifier: MIT */
/*
 * feedd's recorder (feedd/recorder.c): frames put come back byte for byte
 * through sim's capture reader; a wrapping ring under load; rotation by size
 * with the oldest files deleted; a full ring drops and counts; close drains;
 * open errors name the path; a write error or a failed rotation mid-run is
 * counted, reported once and hangs nothing.
 *
 * Nothing waits for time to pass: a paused writer (conf.start_paused) keeps
 * the ring as the test filled it, and waits are on the recorder's counters,
 * with a deadline that only turns a hang into a failure.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../testutil.h"
#include "../../feedd/recorder.h"
#include "../../sim/replay.h"

#define HANG_NS (60ull * 1000000000ull)        /* a hang guard, not a timing bound */
#define HDR_LINE (KIMP_CAP_HEADER_LEN + 1)

static char dir[64];
static char path[128];
static char err[1024];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kimp-rec-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/feed.cap", dir);
	err[0] = 0;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(recorder, .init = setup, .fini = teardown, .timeout = 120);

static struct recorder_conf conf_for(const char *p)
{
	struct recorder_conf c = {
		.path = p,
		.max_bytes = 0,
		.keep = 3,
		.ring_bytes = 64 << 10,
	};
	return c;
}

static struct recorder *open_ok(const struct recorder_conf *c)
{
	struct recorder *r = NULL;

	cr_assert_eq(recorder_open(&r, c, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(r);
	return r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait until the writer has dealt with n frames (written, lost or rejected). */
static void wait_done(struct recorder *r, uint64_t n, struct recorder_stats *st)
{
	uint64_t deadline = now_ns() + HANG_NS;

	for (;;) {
		recorder_stats(r, st);
		if (st->written + st->lost + st->rejected >= n && !st->queued)
			return;
		cr_assert_lt(now_ns(), deadline, "the writer took %llu of %llu frames",
			     (unsigned long long)(st->written + st->lost + st->rejected),
			     (unsigned long long)n);
		sched_yield();
	}
}

/* ---- a sequence of frames, and reading it back ------------------------------ */

/* Frame i of a sequence: every byte value shows up, the escaped ones too. */
static size_t seq_frame(uint64_t i, size_t max, uint8_t *p, const char **venue,
			unsigned *op)
{
	size_t n = max ? (size_t)(i * 7919 % (max + 1)) : 0;

	for (size_t j = 0; j < n; j++)
		p[j] = (uint8_t)(i * 31 + j * 7);
	*venue = i % 3 ? "upbit" : "binance_fut-2";
	*op = i % 2 ? KIMP_CAP_OP_BINARY : KIMP_CAP_OP_TEXT;
	return n;
}

static uint64_t seq_time(uint64_t i)
{
	return 1746601573804000000ull + i * 1000;
}

/* Frames first .. first+n-1 of the sequence are next in c. */
static void expect_seq(struct sim_capture *c, uint64_t first, uint64_t n, size_t max)
{
	uint8_t want[4096], got[4096];
	struct sim_frame f;

	for (uint64_t i = first; i < first + n; i++) {
		const char *venue;
		unsigned op;
		size_t len = seq_frame(i, max, want, &venue, &op);
		int ret = sim_capture_next(c, &f, got, sizeof(got), err, sizeof(err));

		cr_assert_eq(ret, 1, "frame %llu: %d %s", (unsigned long long)i, ret, err);
		cr_assert_eq(f.t_ns, seq_time(i), "frame %llu", (unsigned long long)i);
		cr_assert_str_eq(f.venue, venue);
		cr_assert_eq(f.opcode, op);
		cr_assert_eq(f.len, len, "frame %llu", (unsigned long long)i);
		cr_assert_eq(memcmp(got, want, len), 0, "frame %llu bytes", (unsigned long long)i);
	}
}

static void put_seq(struct recorder *r, uint64_t first, uint64_t n, size_t max)
{
	uint8_t p[4096];

	for (uint64_t i = first; i < first + n; i++) {
		const char *venue;
		unsigned op;
		size_t len = seq_frame(i, max, p, &venue, &op);

		cr_assert_eq(recorder_put(r, seq_time(i), venue, op, p, len), 0,
			     "frame %llu", (unsigned long long)i);
	}
}

static void open_cap(struct sim_capture *c, const char *p, uint64_t nframes)
{
	cr_assert_eq(sim_capture_open(c, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nframes, nframes, "%s holds %llu frames", p,
		     (unsigned long long)c->nframes);
}

static bool exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

static uint64_t file_size(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "%s", p);
	return (uint64_t)st.st_size;
}

/* ---- round trips --------------------------------------------------------------- */

Test(recorder, frames_come_back_byte_exact)
{
	static const char specials[] = "a\\b\nc\rd\0e\\\\n\r\n\\";
	char *upbit = test_fixture_line("upbit-orderbook.jsonl", 0);
	uint8_t every[256], buf[8192];
	struct recorder_conf c = conf_for(path);
	struct recorder_stats st;
	struct sim_capture cap;
	struct sim_frame f;
	struct recorder *r;

	cr_assert_not_null(upbit);
	for (unsigned i = 0; i < 256; i++)
		every[i] = (uint8_t)i;
	const struct {
		uint64_t t;
		const char *venue;
		unsigned op;
		const void *p;
		size_t n;
	} w[] = {
		{ 1746601573804000000ull, "upbit", KIMP_CAP_OP_TEXT, upbit, strlen(upbit) },
		{ 1746601573804000001ull, "binance", KIMP_CAP_OP_BINARY, every, sizeof(every) },
		{ 1746601573804000002ull, "a23456789012345", KIMP_CAP_OP_TEXT, specials,
		  sizeof(specials) - 1 },
		{ 1746601573804000003ull, "upbit", KIMP_CAP_OP_TEXT, NULL, 0 },
		{ 0, "x", KIMP_CAP_OP_BINARY, "\0", 1 },
		{ UINT64_MAX, "upbit", KIMP_CAP_OP_TEXT, "last", 4 },
	};
	const size_t nw = sizeof(w) / sizeof(w[0]);

	r = open_ok(&c);
	for (size_t i = 0; i < nw; i++)
		cr_assert_eq(recorder_put(r, w[i].t, w[i].venue, w[i].op, w[i].p, w[i].n), 0,
			     "frame %zu", i);
	recorder_stats(r, &st);
	cr_assert_eq(st.frames, nw);
	cr_assert_eq(st.dropped, 0);
	wait_done(r, nw, &st);
	cr_assert_eq(st.written, nw);
	cr_assert_eq(st.lost + st.rejected + st.rotations + st.write_errors, 0);
	cr_assert_eq(st.written_bytes, file_size(path) - HDR_LINE);
	cr_assert_null(recorder_error(r));
	cr_assert_eq(recorder_close(r), 0);

	open_cap(&cap, path, nw);
	for (size_t i = 0; i < nw; i++) {
		cr_assert_eq(sim_capture_next(&cap, &f, buf, sizeof(buf), err, sizeof(err)), 1,
			     "%s", err);
		cr_assert_eq(f.t_ns, w[i].t, "frame %zu", i);
		cr_assert_str_eq(f.venue, w[i].venue);
		cr_assert_eq(f.opcode, w[i].op, "frame %zu", i);
		cr_assert_eq(f.len, w[i].n, "frame %zu", i);
		cr_assert(!w[i].n || !memcmp(buf, w[i].p, w[i].n), "frame %zu bytes", i);
	}
	cr_assert_eq(sim_capture_next(&cap, &f, buf, sizeof(buf), err, sizeof(err)), 0);
	sim_capture_close(&cap);
	free(upbit);
}

Test(recorder, close_drains_everything_queued)
{
	struct recorder_conf c = conf_for(path);
	struct recorder_stats st;
	struct sim_capture cap;
	struct recorder *r;

	c.ring_bytes = 1 << 20;
	c.start_paused = true;
	r = open_ok(&c);
	put_seq(r, 0, 2000, 300);
	recorder_stats(r, &st);
	cr_assert_eq(st.frames, 2000);
	cr_assert_gt(st.queued, 2000 * 32, "every frame is still in the ring");
	cr_assert_eq(st.written, 0, "a paused writer writes nothing");
	cr_assert_eq(file_size(path), HDR_LINE);
	cr_assert_eq(recorder_close(r), 0);

	open_cap(&cap, path, 2000);
	expect_seq(&cap, 0, 2000, 300);
	sim_capture_close(&cap);
}

Test(recorder, a_small_ring_wraps_under_load)
{
	const uint64_t n = test_scaled(20000);
	struct recorder_conf c = conf_for(path);
	uint64_t refused = 0;
	struct recorder_stats st;
	struct sim_capture cap;
	struct recorder *r;
	uint8_t p[512];

	c.ring_bytes = 1024;             /* max_frame 480: records up to 512 bytes */
	r = open_ok(&c);
	for (uint64_t i = 0; i < n; i++) {
		const char *venue;
		unsigned op;
		size_t len = seq_frame(i, 400, p, &venue, &op);
		unsigned spins = 0;
		int ret;

		/* the writer is running: a full ring empties without our help */
		while ((ret = recorder_put(r, seq_time(i), venue, op, p, len)) == -ENOBUFS) {
			refused++;
			test_backoff(&spins);
		}
		cr_assert_eq(ret, 0, "frame %llu", (unsigned long long)i);
	}
	recorder_stats(r, &st);
	cr_assert_eq(st.frames, n);
	cr_assert_eq(st.dropped, refused);
	cr_assert_leq(st.queued, 1024);
	cr_assert_eq(recorder_close(r), 0);

	open_cap(&cap, path, n);
	expect_seq(&cap, 0, n, 400);
	sim_capture_close(&cap);
}

Test(recorder, appends_to_an_existing_capture)
{
	struct recorder_conf c = conf_for(path);
	struct sim_capture cap;
	struct recorder *r;

	r = open_ok(&c);
	put_seq(r, 0, 10, 50);
	cr_assert_eq(recorder_close(r), 0);
	r = open_ok(&c);
	put_seq(r, 10, 10, 50);
	cr_assert_eq(recorder_close(r), 0);
	open_cap(&cap, path, 20);
	expect_seq(&cap, 0, 20, 50);
	sim_capture_close(&cap);
}

/* ---- the ring full ------------------------------------------------------------------ */

Test(recorder, a_full_ring_drops_and_counts)
{
	struct recorder_conf c = conf_for(path);
	struct recorder_stats st;
	struct sim_capture cap;
	uint64_t k = 0, dropped;
	struct recorder *r;
	uint8_t p[128];
	int ret;

	c.ring_bytes = 256;              /* max_frame 96 */
	c.start_paused = true;
	r = open_ok(&c);
	/* fill it: the writer takes nothing */
	for (;;) {
		const char *venue;
		unsigned op;
		size_t len = seq_frame(k, 40, p, &venue, &op);

		ret = recorder_put(r, seq_time(k), venue, op, p, len);
		if (ret)
			break;
		k++;
		cr_assert_leq(k, 256 / 32, "more records than a 256-byte ring holds");
	}
	cr_assert_eq(ret, -ENOBUFS);
	cr_assert_geq(k, 2);
	for (int i = 0; i < 5; i++) {
		const char *venue;
		unsigned op;
		size_t len = seq_frame(k, 40, p, &venue, &op);

		cr_assert_eq(recorder_put(r, seq_time(k), venue, op, p, len), -ENOBUFS,
			     "still full");
	}
	recorder_stats(r, &st);
	cr_assert_eq(st.frames, k);
	cr_assert_eq(st.dropped, 6);
	cr_assert_gt(st.queued, 0);
	cr_assert_leq(st.queued, 256);
	/* refused whatever room there is: too big, a bad venue or opcode */
	cr_assert_eq(recorder_put(r, 1, "upbit", KIMP_CAP_OP_TEXT, p, 97), -EMSGSIZE);
	cr_assert_eq(recorder_put(r, 1, "", KIMP_CAP_OP_TEXT, p, 1), -EINVAL);
	cr_assert_eq(recorder_put(r, 1, "a234567890123456", KIMP_CAP_OP_TEXT, p, 1), -EINVAL);
	cr_assert_eq(recorder_put(r, 1, "upbit", 0, p, 1), -EINVAL);
	cr_assert_eq(recorder_put(r, 1, "upbit", 9, p, 1), -EINVAL);
	recorder_stats(r, &st);
	cr_assert_eq(st.dropped, 11);
	cr_assert_eq(st.frames, k);

	/* let it drain, then the ring takes frames again (wrapping now) */
	recorder_resume(r);
	wait_done(r, k, &st);
	cr_assert_eq(st.written, k);
	put_seq(r, k, 3, 90);
	dropped = st.dropped;
	recorder_stats(r, &st);
	cr_assert_eq(st.dropped, dropped);
	cr_assert_eq(recorder_close(r), 0);

	open_cap(&cap, path, k + 3);
	expect_seq(&cap, 0, k, 40);
	expect_seq(&cap, k, 3, 90);
	sim_capture_close(&cap);
}

Test(recorder, a_venue_a_capture_cannot_hold_is_rejected_by_the_writer)
{
	struct recorder_conf c = conf_for(path);
	struct recorder_stats st;
	struct sim_capture cap;
	struct recorder *r;

	r = open_ok(&c);
	put_seq(r, 0, 2, 20);
	cr_assert_eq(recorder_put(r, 1, "Upbit", KIMP_CAP_OP_TEXT, "x", 1), 0);
	cr_assert_eq(recorder_put(r, 1, "up bit", KIMP_CAP_OP_TEXT, "x", 1), 0);
	put_seq(r, 2, 2, 20);
	wait_done(r, 6, &st);
	cr_assert_eq(st.written, 4);
	cr_assert_eq(st.rejected, 2);
	cr_assert_eq(st.write_errors, 0);
	cr_assert_eq(recorder_close(r), 0);
	open_cap(&cap, path, 4);
	expect_seq(&cap, 0, 4, 20);
	sim_capture_close(&cap);
}

/* ---- rotation ------------------------------------------------------------------------ */

/* Frame i of the fixed-size sequence: every line is LINE bytes. */
#define LINE 27                 /* "1000000 upbit t frame-0000\n" */

static void put_fixed(struct recorder *r, unsigned first, unsigned n)
{
	char p[16];

	for (unsigned i = first; i < first + n; i++) {
		snprintf(p, sizeof(p), "frame-%04u", i);
		cr_assert_eq(recorder_put(r, 1000000 + i, "upbit", KIMP_CAP_OP_TEXT, p, 10), 0);
	}
}

/* The file holds frames first .. first+n-1 of the fixed sequence, nothing else. */
static void expect_fixed(const char *p, unsigned first, unsigned n)
{
	struct sim_capture cap;
	struct sim_frame f;
	char buf[64], want[16];

	open_cap(&cap, p, n);
	for (unsigned i = first; i < first + n; i++) {
		cr_assert_eq(sim_capture_next(&cap, &f, buf, sizeof(buf), err, sizeof(err)), 1);
		snprintf(want, sizeof(want), "frame-%04u", i);
		cr_assert_eq(f.t_ns, 1000000 + i, "%s: frame %u", p, i);
		cr_assert(f.len == 10 && !memcmp(buf, want, 10), "%s: frame %u", p, i);
	}
	sim_capture_close(&cap);
	cr_assert_eq(file_size(p), HDR_LINE + n * LINE, "%s", p);
}

Test(recorder, rotates_by_size_and_keeps_the_newest)
{
	struct recorder_conf c = conf_for(path);
	const unsigned per_file = 4, total = 30, keep = 3;
	struct recorder_stats st;
	char name[160];
	struct recorder *r;
	unsigned files, last;

	c.max_bytes = HDR_LINE + per_file * LINE + LINE - 1;  /* a fifth line would pass it */
	c.keep = keep;
	/* something from an earlier run where the next rotated file goes */
	snprintf(name, sizeof(name), "%s.1", path);
	FILE *old = fopen(name, "w");
	cr_assert_not_null(old);
	fputs("old\n", old);
	fclose(old);

	r = open_ok(&c);
	put_fixed(r, 0, total);
	wait_done(r, total, &st);
	files = (total + per_file - 1) / per_file;      /* 8: 7 full, one of 2 */
	cr_assert_eq(st.rotations, files - 1);
	cr_assert_eq(st.written, total);
	cr_assert_eq(st.write_errors, 0);
	cr_assert_eq(recorder_close(r), 0);

	/* path is the newest (the last 2 frames), path.1 .. path.3 full, older gone */
	last = (files - 1) * per_file;
	expect_fixed(path, last, total - last);
	for (unsigned i = 1; i <= keep; i++) {
		snprintf(name, sizeof(name), "%s.%u", path, i);
		cr_assert_leq(file_size(name), c.max_bytes);
		expect_fixed(name, last - i * per_file, per_file);
	}
	snprintf(name, sizeof(name), "%s.%u", path, keep + 1);
	cr_assert_not(exists(name), "%s was deleted", name);
}

Test(recorder, keep_0_deletes_and_a_big_frame_gets_a_file_of_its_own)
{
	struct recorder_conf c = conf_for(path);
	struct recorder_stats st;
	struct sim_capture cap;
	struct sim_frame f;
	char name[160], big[300], buf[300];
	struct recorder *r;

	memset(big, 'z', sizeof(big));
	c.max_bytes = HDR_LINE + 2 * LINE;
	c.keep = 0;
	r = open_ok(&c);
	put_fixed(r, 0, 1);
	cr_assert_eq(recorder_put(r, 5, "upbit", KIMP_CAP_OP_TEXT, big, sizeof(big)), 0);
	cr_assert_eq(recorder_put(r, 6, "upbit", KIMP_CAP_OP_TEXT, big, sizeof(big)), 0);
	wait_done(r, 3, &st);
	cr_assert_eq(st.rotations, 2);
	cr_assert_eq(recorder_close(r), 0);
	snprintf(name, sizeof(name), "%s.1", path);
	cr_assert_not(exists(name));
	/* the last big frame alone, past max_bytes */
	open_cap(&cap, path, 1);
	cr_assert_eq(sim_capture_next(&cap, &f, buf, sizeof(buf), err, sizeof(err)), 1);
	cr_assert(f.t_ns == 6 && f.len == sizeof(big) && !memcmp(buf, big, sizeof(big)));
	sim_capture_close(&cap);
	cr_assert_gt(file_size(path), c.max_bytes);
}

/* ---- errors ----------------------------------------------------------------------------- */

static void open_fails(const struct recorder_conf *c, int want, const char *msg)
{
	static char not_null;
	struct recorder *r = (struct recorder *)(void *)&not_null;
	int ret;

	err[0] = 0;
	ret = recorder_open(&r, c, err, sizeof(err));
	cr_assert_eq(ret, want, "%s: %d (%s)", msg, ret, err);
	cr_assert_null(r);
	cr_assert(strstr(err, msg), "<%s> lacks <%s>", err, msg);
}

Test(recorder, open_errors_name_the_path)
{
	struct recorder_conf c;
	char p[160], msg[256];

	snprintf(p, sizeof(p), "%s/no/such/dir.cap", dir);
	c = conf_for(p);
	snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", p);
	open_fails(&c, -ENOENT, msg);

	c = conf_for(dir);
	snprintf(msg, sizeof(msg), "%s: cannot open: Is a directory", dir);
	open_fails(&c, -EISDIR, msg);

	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"not\":\"a capture\"}\n", f);
	fclose(f);
	c = conf_for(path);
	snprintf(msg, sizeof(msg), "%s:1: not a capture", path);
	open_fails(&c, -EINVAL, msg);
	cr_assert_eq(file_size(path), 20, "left as it was");

	snprintf(p, sizeof(p), "%s/ok.cap", dir);
	c = conf_for(p);
	c.ring_bytes = 255;
	snprintf(msg, sizeof(msg), "%s: ring_bytes 255 is not in [256, ", p);
	open_fails(&c, -EINVAL, msg);
	c = conf_for(p);
	c.ring_bytes = 1000;
	c.max_frame = 1024 / 2 - 32 + 1;
	snprintf(msg, sizeof(msg), "%s: max_frame 481 is over 480, what a ring of 1024", p);
	open_fails(&c, -EINVAL, msg);
	c = conf_for(p);
	c.max_bytes = HDR_LINE;
	snprintf(msg, sizeof(msg), "%s: max_bytes 18 leaves no room", p);
	open_fails(&c, -EINVAL, msg);
	c = conf_for(p);
	c.keep = RECORDER_KEEP_MAX + 1;
	snprintf(msg, sizeof(msg), "%s: keep %u is over", p, RECORDER_KEEP_MAX + 1);
	open_fails(&c, -EINVAL, msg);
	c = conf_for(NULL);
	open_fails(&c, -EINVAL, "recorder: no capture path");
	cr_assert_not(exists(p), "no file for a bad conf");
	cr_assert_eq(recorder_close(NULL), 0);
}

static int errors_reported;
static char reported[1024];

static void on_error(void *ctx, const char *msg)
{
	cr_assert_eq(ctx, &errors_reported);
	errors_reported++;
	snprintf(reported, sizeof(reported), "%s", msg);
}

Test(recorder, a_write_error_is_counted_reported_once_and_hangs_nothing)
{
	struct recorder_conf c = conf_for(path);
	struct rlimit was, lim;
	struct recorder_stats st;
	struct recorder *r;
	char want[256];
	uint64_t deadline;

	c.start_paused = true;
	c.on_error = on_error;
	c.ctx = &errors_reported;
	r = open_ok(&c);
	/* the file may not grow past 4 KiB: the batch of ~20 KiB fails part way */
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	put_seq(r, 0, 100, 200);
	recorder_resume(r);
	deadline = now_ns() + HANG_NS;
	while (!recorder_error(r)) {
		cr_assert_lt(now_ns(), deadline, "no write error");
		sched_yield();
	}
	snprintf(want, sizeof(want), "%s: cannot write: File too large", path);
	cr_assert_str_eq(recorder_error(r), want);
	/* stopped: puts are refused, never blocked */
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(recorder_put(r, 1, "upbit", KIMP_CAP_OP_TEXT, "x", 1), -EIO);
	wait_done(r, 100, &st);
	cr_assert_eq(st.write_errors, 1);
	cr_assert_eq(st.frames, 100);
	cr_assert_eq(st.dropped, 1000);
	cr_assert_eq(st.written + st.lost, 100);
	cr_assert_gt(st.lost, 0);
	cr_assert_eq(recorder_close(r), -EFBIG);
	cr_assert_eq(errors_reported, 1);
	cr_assert_str_eq(reported, want);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
}

Test(recorder, a_failed_rotation_is_a_write_error)
{
	struct recorder_conf c;
	struct recorder_stats st;
	struct recorder *r;
	char sub[96], p[128], want[256];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(mkdir(sub, 0755), 0);
	snprintf(p, sizeof(p), "%s/feed.cap", sub);
	c = conf_for(p);
	c.max_bytes = HDR_LINE + 4 * LINE;
	c.start_paused = true;
	r = open_ok(&c);
	put_fixed(r, 0, 10);
	/* the directory goes: the open file takes 4 frames, the next one is nowhere */
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(rmdir(sub), 0);
	recorder_resume(r);
	wait_done(r, 10, &st);
	cr_assert_eq(st.written, 4);
	cr_assert_eq(st.lost, 6);
	cr_assert_eq(st.rotations, 0);
	cr_assert_eq(st.write_errors, 1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", p);
	cr_assert_str_eq(recorder_error(r), want);
	cr_assert_eq(recorder_put(r, 1, "upbit", KIMP_CAP_OP_TEXT, "x", 1), -EIO);
	cr_assert_eq(recorder_close(r), -ENOENT);
}
