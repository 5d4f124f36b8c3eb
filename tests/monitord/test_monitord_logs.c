/* SPDX-License-Identifier: MIT */
/*
 * monitord's log drain end to end: this process is a real log writer
 * (kimp_log_open on a feedd-named segment in a private directory, then
 * kimp_log / kimp_log_event), the real binary ($MONITORD, else
 * build/bin/monitord) is the consumer, and the test waits, with a
 * deadline, for what it should write to LOG_DIR/feedd.ring.log: the line
 * with its proc and level, an event with its argument names, rotation at
 * the size boundary and the keep count, a loss line on a sequence gap, a
 * segment that appears later or is recreated, an unwritable directory
 * (counted, said, /health still answered), and the configuration's checks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "kimp/log.h"
#include "kimp/tsc.h"
#include "../testutil.h"
#include "montest.h"
#include "../tools/jsoncheck.h"

#define DEADLINE_NS (20ull * 1000000000ull)

static struct tenv env;
static char cfg[160], segf[SHM_NAME_MAX], segm[SHM_NAME_MAX], logdir[128];
static struct shm_seg fs;
static struct montest M = { .pid = -1 };

static void write_cfg(const char *dir, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n"
		 "[feedd]\nname = %s\n"
		 "[monitord]\nname = %s\nlisten = 127.0.0.1:0\nws_listen = 127.0.0.1:0\n"
		 "token_env = KIMP_TEST_NO_SUCH_VAR\nwww = monitord/www\nprocs = feedd\n"
		 "%s\nlog_dir = \"%s\"\n%s", env.dir, env.dir, segf, segm,
		 /* fast turns, unless the test sets its own */
		 strstr(extra, "log_drain_every") ? "# drain: below" : "log_drain_every = 5ms",
		 dir, extra);
	test_write_text(cfg, text);
}

static void start(void)
{
	montest_start(&M, cfg);
}

static void stop(void)
{
	montest_stop(&M);
}

/* The feedd-named segment, with a log ring of 'slots' written by this process. */
static void writer(uint32_t slots)
{
	cr_assert_eq(shm_seg_create(&fs, segf, 4 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(kimp_log_open(&fs, "feedd", slots), 0, "%s", shm_last_error());
}

static void setup(void)
{
	tenv_init(&env);
	snprintf(segf, sizeof(segf), "lf-%d", (int)getpid());
	snprintf(segm, sizeof(segm), "lm-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	snprintf(logdir, sizeof(logdir), "%s/logs", env.dir);
	write_cfg(logdir, "");
}

static void teardown(void)
{
	stop();
	kimp_log_close();
	if (fs.base)
		shm_seg_detach(&fs);
	shm_seg_remove(segf, &env.o);
	shm_seg_remove(segm, &env.o);
	tenv_fini(&env);
}

TestSuite(monitord_logs, .init = setup, .fini = teardown, .timeout = 90);

/* ---- helpers --------------------------------------------------------------- */

static void nap(void)
{
	const struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/* The file LOGDIR/NAME (NAME "feedd.ring.log", ".1" ...) into buf: its size, or -1. */
static long slurp(const char *name, char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", logdir, name);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	fclose(f);
	return (long)n;
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", logdir, name);
	return !access(path, F_OK);
}

static char fbuf[1 << 16];

/* Wait until file NAME holds 'want'. */
static void wait_text(const char *name, const char *want)
{
	uint64_t end = kimp_mono_ns() + DEADLINE_NS;

	while (slurp(name, fbuf, sizeof(fbuf)) < 0 || !strstr(fbuf, want)) {
		cr_assert_lt(kimp_mono_ns(), end, "no '%s' in %s/%s after 20 s:\n%s", want, logdir,
			     name, fbuf);
		nap();
	}
}

/* Wait until file NAME is 'size' bytes long. */
static void wait_size(const char *name, long size)
{
	uint64_t end = kimp_mono_ns() + DEADLINE_NS;
	long got;

	while ((got = slurp(name, fbuf, sizeof(fbuf))) != size) {
		cr_assert_lt(kimp_mono_ns(), end, "%s is %ld bytes, not %ld, after 20 s:\n%s", name,
			     got, size, fbuf);
		nap();
	}
}

/* monitord's counter NAME in /metrics (-1: absent). */
static long long metric(const char *name)
{
	static char body[1 << 20];
	char key[128];
	const char *p;

	cr_assert_eq(test_http(M.http_port, "GET", "/metrics", body, sizeof(body)), 200);
	snprintf(key, sizeof(key), "kimp_%s_total{proc=\"monitord\"} ", name);
	p = strstr(body, key);
	return p ? atoll(p + strlen(key)) : -1;
}

static void wait_metric(const char *name, long long want)
{
	uint64_t end = kimp_mono_ns() + DEADLINE_NS;
	long long got;

	while ((got = metric(name)) < want) {
		cr_assert_lt(kimp_mono_ns(), end, "%s is %lld, not %lld, after 20 s", name, got,
			     want);
		nap();
	}
}

static unsigned count_of(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- lines --------------------------------------------------------------------- */

Test(monitord_logs, text_and_event_records_become_lines)
{
	static char body[1 << 16];

	writer(0);
	start();
	kimp_log(KIMP_LOG_INFO, "hello from the test %d", 42);
	kimp_log_event(KIMP_LOG_WARN, KIMP_LOGE_GAP, 1, 2, 100, 105);
	kimp_log(KIMP_LOG_ERR, "a line\nwith a newline");
	wait_text("feedd.ring.log", " feedd ERR a line?with a newline\n");
	cr_assert_not_null(strstr(fbuf, " feedd INFO hello from the test 42\n"), "%s", fbuf);
	cr_assert_not_null(strstr(fbuf, " feedd WARN stream sequence gap venue=1 inst=2 "
				  "expected=100 got=105\n"), "%s", fbuf);
	/* in the writer's order, one line each */
	cr_assert_lt(strstr(fbuf, "hello"), strstr(fbuf, "stream sequence gap"));
	cr_assert_eq(count_of(fbuf, "\n"), 3, "%s", fbuf);
	/* the line starts with its UTC time */
	cr_assert_eq(fbuf[4], '-');
	cr_assert_eq(fbuf[10], 'T');
	wait_metric("log_records", 3);
	cr_assert_eq(metric("log_lost"), 0);
	/* monitord's own log: a view's error goes to its ring, drained like the others */
	cr_assert_eq(test_http(M.http_port, "GET", "/api/premium", body, sizeof(body)), 503);
	wait_text("monitord.ring.log", " monitord WARN ");
	cr_assert_not_null(strstr(fbuf, "not found"), "%s", fbuf);
}

/* ---- rotation -------------------------------------------------------------------- */

/* The length of a feedd INFO line holding 'text'. */
static long line_len(const char *text)
{
	struct kimp_log_rec r;
	char line[512];

	memset(&r, 0, sizeof(r));
	r.real_ns = (int64_t)kimp_real_ns();
	r.level = KIMP_LOG_INFO;
	r.len = (uint16_t)strlen(text);
	memcpy(r.text, text, r.len);
	return (long)kimp_log_format(&r, "feedd", line, sizeof(line));
}

/* A record of fixed length naming its batch and number. */
static void rec(char batch, int i)
{
	kimp_log(KIMP_LOG_INFO, "batch %c record %d %s", batch, i,
		 "................................................................");
}

Test(monitord_logs, rotation_at_the_boundary_and_the_keep_count)
{
	char extra[128], sample[160];
	long L, max;

	snprintf(sample, sizeof(sample), "batch a record 0 %s",
		 "................................................................");
	L = line_len(sample);
	max = 3 * L;
	cr_assert_geq(max, 256);
	snprintf(extra, sizeof(extra), "log_max_bytes = %ld\nlog_keep = 2\n", max);
	write_cfg(logdir, extra);
	writer(0);
	start();
	/* exactly at max: not rotated */
	for (int i = 0; i < 3; i++)
		rec('a', i);
	wait_size("feedd.ring.log", max);
	cr_assert(!exists("feedd.ring.log.1"), "rotated at exactly log_max_bytes");
	cr_assert_eq(metric("log_rotations"), 0);
	/* one record over: rotated first, the record in a fresh file */
	rec('b', 0);
	wait_size("feedd.ring.log", L);
	cr_assert_eq(slurp("feedd.ring.log.1", fbuf, sizeof(fbuf)), max);
	cr_assert_eq(count_of(fbuf, "batch a"), 3, "%s", fbuf);
	slurp("feedd.ring.log", fbuf, sizeof(fbuf));
	cr_assert_not_null(strstr(fbuf, "batch b record 0"), "%s", fbuf);
	/* .1 -> .2 */
	rec('b', 1);
	rec('b', 2);
	rec('c', 0);
	wait_text("feedd.ring.log", "batch c record 0");
	cr_assert_eq(slurp("feedd.ring.log.2", fbuf, sizeof(fbuf)), max);
	cr_assert_eq(count_of(fbuf, "batch a"), 3, "%s", fbuf);
	cr_assert_eq(slurp("feedd.ring.log.1", fbuf, sizeof(fbuf)), max);
	cr_assert_eq(count_of(fbuf, "batch b"), 3, "%s", fbuf);
	/* keep 2: the oldest (batch a) goes */
	rec('c', 1);
	rec('c', 2);
	rec('d', 0);
	wait_text("feedd.ring.log", "batch d record 0");
	cr_assert(!exists("feedd.ring.log.3"), "more than log_keep files kept");
	slurp("feedd.ring.log.2", fbuf, sizeof(fbuf));
	cr_assert_eq(count_of(fbuf, "batch b"), 3, "%s", fbuf);
	slurp("feedd.ring.log.1", fbuf, sizeof(fbuf));
	cr_assert_eq(count_of(fbuf, "batch c"), 3, "%s", fbuf);
	wait_metric("log_rotations", 3);
	cr_assert_eq(metric("log_rotations"), 3);
	cr_assert_geq(metric("log_bytes"), 10 * L);
}

/* ---- losses ---------------------------------------------------------------------- */

Test(monitord_logs, a_gap_is_a_loss_line_and_counted)
{
	/* a ring of 4 slots, 10 records before anyone drains: 6 dropped */
	writer(4);
	for (int i = 1; i <= 10; i++)
		kimp_log(KIMP_LOG_INFO, "early %d", i);
	cr_assert_eq(kimp_log_dropped(), 6);
	start();
	wait_text("feedd.ring.log", "early 4\n");
	cr_assert_null(strstr(fbuf, "early 5"), "%s", fbuf);
	kimp_log(KIMP_LOG_INFO, "late");
	wait_text("feedd.ring.log", " feedd INFO late\n");
	cr_assert_not_null(strstr(fbuf, " feedd WARN monitord: ... 6 records lost (seq 5..10 "
				  "missing; the writer's ring has dropped 6 in all)\n"), "%s", fbuf);
	cr_assert_lt(strstr(fbuf, "records lost"), strstr(fbuf, "INFO late"));
	cr_assert_eq(metric("log_lost"), 6);
	cr_assert_eq(metric("log_records"), 5);
}

/* ---- segments that come and go ---------------------------------------------------- */

Test(monitord_logs, a_segment_made_after_start_is_picked_up)
{
	static char body[1 << 16];

	start();
	/* monitord runs without it, and says nothing is wrong */
	cr_assert(test_http(M.http_port, "GET", "/health", body, sizeof(body)) > 0);
	cr_assert(!exists("feedd.ring.log"));
	writer(0);
	kimp_log(KIMP_LOG_WARN, "born late");
	wait_text("feedd.ring.log", " feedd WARN born late\n");
}

Test(monitord_logs, a_recreated_segment_is_followed)
{
	static char body[1 << 16];

	writer(0);
	start();
	kimp_log(KIMP_LOG_INFO, "first life");
	wait_text("feedd.ring.log", "first life\n");
	/* the daemon goes, its segment removed; monitord holds on without faulting */
	kimp_log_close();
	shm_seg_detach(&fs);
	cr_assert_eq(shm_seg_remove(segf, &env.o), 0);
	cr_assert(test_http(M.http_port, "GET", "/health", body, sizeof(body)) > 0);
	/* and comes back on a fresh segment of the same name */
	writer(0);
	kimp_log(KIMP_LOG_INFO, "second life");
	wait_text("feedd.ring.log", "second life\n");
	cr_assert_null(strstr(fbuf, "records lost"), "%s", fbuf);
	cr_assert_eq(count_of(fbuf, "first life"), 1, "%s", fbuf);
	cr_assert_eq(kill(M.pid, 0), 0, "monitord died");
}

/* ---- write errors ------------------------------------------------------------------- */

Test(monitord_logs, an_unwritable_log_dir_is_counted_and_monitord_goes_on)
{
	static char body[1 << 16];
	char bad[160], file[140];
	int st;

	/* a directory under a regular file: no one can make it, root neither */
	snprintf(file, sizeof(file), "%s/plain-file", env.dir);
	test_write_text(file, "not a directory\n");
	snprintf(bad, sizeof(bad), "%s/logs", file);
	write_cfg(bad, "");
	writer(0);
	start();
	kimp_log(KIMP_LOG_INFO, "nowhere to go");
	wait_metric("log_errors", 1);
	cr_assert(test_read_until(M.out, "monitord: log drain: ", M.log, sizeof(M.log)),
		  "%s", M.log);
	cr_assert_not_null(strstr(M.log, "Not a directory"), "%s", M.log);
	/* the drain goes on: later records are drained (and dropped) too */
	kimp_log(KIMP_LOG_INFO, "still nowhere");
	wait_metric("log_records", 2);
	st = test_http(M.http_port, "GET", "/health", body, sizeof(body));
	cr_assert(st == 200 || st == 503, "%d", st);
	assert_json(body);
	cr_assert_eq(kill(M.pid, 0), 0, "monitord died");
}

/* ---- configuration ---------------------------------------------------------------- */

/* monitord --check on the config: its exit status, its output in out. */
static int check(char *out, size_t cap)
{
	const char *argv[] = { test_bin("MONITORD", "build/bin/monitord"), "-c", cfg, "--check",
			       NULL };
	int fd;
	pid_t pid = test_spawn(argv, &fd);

	out[0] = 0;
	test_read_until(fd, "never", out, cap);
	close(fd);
	return test_wait_child(pid);
}

Test(monitord_logs, configuration_keys_and_their_bounds)
{
	static const struct { const char *extra; int status; const char *said; } cases[] = {
		{ "log_max_bytes = 255\n", 2, "key 'monitord.log_max_bytes'" },
		{ "log_max_bytes = 256\n", 0, "256 bytes a file" },
		{ "log_max_bytes = 1125899906842624\n", 0, "1125899906842624 bytes a file" },
		{ "log_max_bytes = 1125899906842625\n", 2, "key 'monitord.log_max_bytes'" },
		{ "log_max_bytes = 12x\n", 2, "key 'monitord.log_max_bytes'" },
		{ "log_keep = 0\n", 0, " 0 kept" },
		{ "log_keep = 1000\n", 0, " 1000 kept" },
		{ "log_keep = 1001\n", 2, "key 'monitord.log_keep'" },
		{ "log_drain_every = 1ms\n", 0, "every 1 ms" },
		{ "log_drain_every = 999us\n", 2, "key 'monitord.log_drain_every'" },
		{ "log_drain_every = 10s\n", 0, "every 10000 ms" },
		{ "log_drain_every = 10001ms\n", 2, "key 'monitord.log_drain_every'" },
	};
	char out[4096], want[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_cfg(logdir, cases[i].extra);
		cr_assert_eq(check(out, sizeof(out)), cases[i].status, "%s: %s", cases[i].extra, out);
		cr_assert_not_null(strstr(out, cases[i].said), "%s: no '%s' in:\n%s", cases[i].extra,
				   cases[i].said, out);
		if (cases[i].status) {
			/* the file and the line of the key */
			snprintf(want, sizeof(want), "%s:16: key", cfg);
			cr_assert_not_null(strstr(out, want), "%s: no '%s' in:\n%s", cases[i].extra,
					   want, out);
		}
	}
	/* the defaults */
	write_cfg(logdir, "");
	cr_assert_eq(check(out, sizeof(out)), 0, "%s", out);
	snprintf(want, sizeof(want), "log drain into %s every 5 ms, 67108864 bytes a file, 5 kept",
		 logdir);
	cr_assert_not_null(strstr(out, want), "%s", out);
	/* empty: off */
	write_cfg("", "");
	cr_assert_eq(check(out, sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "log drain off"), "%s", out);
	/* no log_dir: the supervisor's run_dir/logs */
	{
		char text[1024];

		snprintf(text, sizeof(text),
			 "[shm]\nshm_dir = \"%s\"\n[supervisor]\nrun_dir = %s/run\n"
			 "[monitord]\nname = %s\nprocs = feedd\n", env.dir, env.dir, segm);
		test_write_text(cfg, text);
		cr_assert_eq(check(out, sizeof(out)), 0, "%s", out);
		snprintf(want, sizeof(want), "log drain into %s/run/logs every 100 ms", env.dir);
		cr_assert_not_null(strstr(out, want), "%s", out);
		/* a run_dir the supervisor would refuse: refused here too, named */
		snprintf(text, sizeof(text),
			 "[shm]\nshm_dir = \"%s\"\n[supervisor]\nrun_dir = \"\"\n"
			 "[monitord]\nname = %s\n", env.dir, segm);
		test_write_text(cfg, text);
		cr_assert_eq(check(out, sizeof(out)), 2, "%s", out);
		cr_assert_not_null(strstr(out, "key 'supervisor.run_dir'"), "%s", out);
	}
}

/* ---- kimp logs PROC --ring ------------------------------------------------------- */

/* deploy/kimp -c cfg ARGS...: its status, its output in out. */
static int kimp(char *out, size_t cap, const char *a1, const char *a2)
{
	const char *argv[] = { "deploy/kimp", "-c", cfg, "logs", a1, a2, NULL };
	int fd;
	pid_t pid = test_spawn(argv, &fd);

	out[0] = 0;
	test_read_until(fd, "never", out, cap);
	close(fd);
	return test_wait_child(pid);
}

Test(monitord_logs, kimp_logs_ring_shows_the_drained_file)
{
	char text[512], dir[160], path[200], out[4096];

	if (!getenv("KIMPCTL"))
		setenv("KIMPCTL", "build/kimpctl", 0);
	snprintf(dir, sizeof(dir), "%s/run", env.dir);
	snprintf(text, sizeof(text), "[shm]\nshm_dir = \"%s\"\n[supervisor]\nrun_dir = %s\n"
		 "[monitord]\nname = %s\nprocs = feedd\n", env.dir, dir, segm);
	test_write_text(cfg, text);
	/* nothing drained yet: said, with where it looked */
	cr_assert_eq(kimp(out, sizeof(out), "feedd", "--ring"), 2, "%s", out);
	cr_assert_not_null(strstr(out, "feedd.ring.log"), "%s", out);
	cr_assert_eq(kimp(out, sizeof(out), "--ring", NULL), 2, "%s", out);
	cr_assert_not_null(strstr(out, "--ring needs a PROC"), "%s", out);
	snprintf(path, sizeof(path), "%s/logs", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs/feedd.ring.log", dir);
	test_write_text(path, "2024-01-01T00:00:00.000000Z feedd INFO drained line\n");
	snprintf(path, sizeof(path), "%s/logs/feedd.log", dir);
	test_write_text(path, "stderr line\n");
	cr_assert_eq(kimp(out, sizeof(out), "feedd", "--ring"), 0, "%s", out);
	cr_assert_not_null(strstr(out, "feedd INFO drained line"), "%s", out);
	cr_assert_null(strstr(out, "stderr line"), "%s", out);
	/* without --ring: the supervisor's capture of stderr, as before */
	cr_assert_eq(kimp(out, sizeof(out), "feedd", NULL), 0, "%s", out);
	cr_assert_not_null(strstr(out, "stderr line"), "%s", out);
}
