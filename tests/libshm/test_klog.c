/* SPDX-License-Identifier: MIT */
/*
 * The per-process binary log (kimp/log.h): text and event records through
 * the "log" ring as a reader sees them, the copy on stderr, drops when full
 * or from another thread, formatting, and an event written in a seccomp
 * jail (no syscall) without an allocation.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/log.h"
#include "kimp/ring.h"
#include "../jail.h"
#include "../testutil.h"

TENV_SEG_FIXTURE("klog", 4 << 20)

static void fini(void)
{
	kimp_log_close();
	teardown();
}

TestSuite(klog, .init = setup, .fini = fini);

/* The reader's side of the ring. */
static void reader(struct shm_ring_cons *c)
{
	struct shm_ring *r;

	cr_assert_eq(shm_ring_lookup(&seg, KIMP_LOG_REGION, &r), 0, "%s", shm_last_error());
	cr_assert_eq(r->slot_size, sizeof(struct kimp_log_rec));
	cr_assert_eq(shm_ring_consumer(r, c), 0);
}

/* Run fn with stderr sent to a file; its text into out. */
static void with_stderr(void (*fn)(void), char *out, size_t len)
{
	char path[128];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/stderr", env.dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	saved = dup(2);
	cr_assert_geq(saved, 0);
	cr_assert_eq(dup2(fd, 2), 2);
	fn();
	fflush(stderr);
	cr_assert_eq(dup2(saved, 2), 2);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	cr_assert_geq(n, 0);
	out[n] = '\0';
	close(fd);
}

static void say_two(void)
{
	kimp_log(KIMP_LOG_WARN, "upbit: reconnect %d after %s", 3, "EOF");
	kimp_log_ring_only(KIMP_LOG_INFO, "ring only %u", 7u);
}

Test(klog, text_goes_to_the_ring_and_stderr)
{
	const struct kimp_log_rec *rec;
	struct shm_ring_cons c;
	char err[512], line[512];

	cr_assert_eq(kimp_log_open(&seg, "orderd", 0), 0, "%s", shm_last_error());
	reader(&c);
	with_stderr(say_two, err, sizeof(err));
	cr_assert_str_eq(err, "orderd: upbit: reconnect 3 after EOF\n");

	rec = shm_ring_peek(&c);
	cr_assert_not_null(rec);
	cr_assert_eq(rec->kind, KIMP_LOGK_TEXT);
	cr_assert_eq(rec->level, KIMP_LOG_WARN);
	cr_assert_eq(rec->seq, 1);
	cr_assert_eq(rec->len, strlen("upbit: reconnect 3 after EOF"));
	cr_assert(!memcmp(rec->text, "upbit: reconnect 3 after EOF", rec->len));
	cr_assert_gt(rec->real_ns, (int64_t)1600000000 * 1000000000);
	kimp_log_format(rec, "orderd", line, sizeof(line));
	cr_assert_eq(strlen(line), strlen("2026-01-01T00:00:00.000000Z ") +
		     strlen("orderd WARN upbit: reconnect 3 after EOF\n"), "%s", line);
	cr_assert(strstr(line, "Z orderd WARN upbit: reconnect 3 after EOF\n"), "%s", line);
	shm_ring_commit(&c);

	rec = shm_ring_peek(&c);
	cr_assert_not_null(rec);
	cr_assert_eq(rec->level, KIMP_LOG_INFO);
	cr_assert_eq(rec->seq, 2);
	cr_assert(!memcmp(rec->text, "ring only 7", rec->len));
	shm_ring_commit(&c);
	cr_assert_null(shm_ring_peek(&c));
	cr_assert_eq(kimp_log_dropped(), 0);
}

Test(klog, events_render_from_the_table)
{
	struct kimp_log_rec r = { .real_ns = 1700000000123456789, .level = KIMP_LOG_ERR,
				  .kind = KIMP_LOGK_EVENT, .code = KIMP_LOGE_REJECT,
				  .arg = { 4, 123456789012345ull, 2, 99 } };
	const struct kimp_log_rec *rec;
	struct shm_ring_cons c;
	char line[256];

	kimp_log_format(&r, "orderd", line, sizeof(line));
	cr_assert_str_eq(line, "2023-11-14T22:13:20.123456Z orderd ERR order refused venue=4 "
			 "client_oid=123456789012345 reason=2\n");
	r.code = 999;
	kimp_log_format(&r, "x", line, sizeof(line));
	cr_assert_str_eq(line, "2023-11-14T22:13:20.123456Z x ERR unknown event a0=4 "
			 "a1=123456789012345 a2=2 a3=99\n");
	/* cut to the buffer, still terminated */
	kimp_log_format(&r, "x", line, 20);
	cr_assert_str_eq(line, "2023-11-14T22:13:20");

	cr_assert_eq(kimp_log_open(&seg, "feedd", 0), 0);
	reader(&c);
	kimp_log_event(KIMP_LOG_WARN, KIMP_LOGE_GAP, 1, 2, 100, 105);
	rec = shm_ring_peek(&c);
	cr_assert_not_null(rec);
	cr_assert_eq(rec->kind, KIMP_LOGK_EVENT);
	cr_assert_eq(rec->code, KIMP_LOGE_GAP);
	cr_assert_eq(rec->arg[3], 105);
	kimp_log_format(rec, "feedd", line, sizeof(line));
	cr_assert(strstr(line, " feedd WARN stream sequence gap venue=1 inst=2 expected=100 "
			 "got=105\n"), "%s", line);
	cr_assert_str_eq(kimp_log_level_name(KIMP_LOG_DEBUG), "DEBUG");
	cr_assert_str_eq(kimp_log_level_name(9), "?");
}

Test(klog, long_text_is_cut_and_kept_on_one_line)
{
	char big[400], line[512];
	const struct kimp_log_rec *rec;
	struct shm_ring_cons c;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[5] = '\n';
	cr_assert_eq(kimp_log_open(&seg, "riskd", 0), 0);
	reader(&c);
	kimp_log_ring_only(KIMP_LOG_INFO, "%s", big);
	rec = shm_ring_peek(&c);
	cr_assert_not_null(rec);
	cr_assert_eq(rec->len, KIMP_LOG_TEXT);
	kimp_log_format(rec, "riskd", line, sizeof(line));
	cr_assert(strstr(line, " riskd INFO aaaaa?aaa"), "%s", line);
	cr_assert_eq(strchr(line, '\n'), line + strlen(line) - 1, "one line");
}

Test(klog, full_ring_drops_and_counts_never_blocks)
{
	struct shm_ring_cons c;
	struct shm_ring *r;

	cr_assert_eq(kimp_log_open(&seg, "stratd", 4), 0, "%s", shm_last_error());
	reader(&c);
	for (unsigned i = 0; i < 6; i++)
		kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, i, 0, 0, 0);
	cr_assert_eq(kimp_log_dropped(), 2);
	cr_assert_eq(shm_ring_lookup(&seg, KIMP_LOG_REGION, &r), 0);
	cr_assert_eq(atomic_load(&r->overruns), 2);
	for (unsigned i = 0; i < 4; i++) {
		const struct kimp_log_rec *rec = shm_ring_peek(&c);

		cr_assert_not_null(rec);
		cr_assert_eq(rec->arg[0], i, "the oldest kept, the newest dropped");
		cr_assert_eq(rec->seq, i + 1);
		shm_ring_commit(&c);
	}
	/* room again: the next record goes, its seq says what was lost */
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 77, 0, 0, 0);
	const struct kimp_log_rec *rec = shm_ring_peek(&c);
	cr_assert_not_null(rec);
	cr_assert_eq(rec->arg[0], 77);
	cr_assert_eq(rec->seq, 7);
}

static void *other_thread(void *arg)
{
	(void)arg;
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 1, 2, 3, 4);
	kimp_log_ring_only(KIMP_LOG_INFO, "not the writer");
	return NULL;
}

Test(klog, only_the_opening_thread_writes_the_ring)
{
	struct shm_ring_cons c;
	pthread_t th;

	cr_assert_eq(kimp_log_open(&seg, "orderd", 0), 0);
	reader(&c);
	cr_assert_eq(pthread_create(&th, NULL, other_thread, NULL), 0);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_null(shm_ring_peek(&c), "a second producer would break the ring");
	cr_assert_eq(kimp_log_dropped(), 0, "the writer's count is the writer's");

	/* closed: nothing goes to the ring */
	kimp_log_close();
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 1, 2, 3, 4);
	cr_assert_null(shm_ring_peek(&c));
}

Test(klog, reopen_resumes_the_same_ring)
{
	struct shm_ring_cons c;

	cr_assert_eq(kimp_log_open(&seg, "orderd", 8), 0);
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 1, 0, 0, 0);
	/* a restart: the ring is found, not made again, and resumes after the last */
	cr_assert_eq(kimp_log_open(&seg, "orderd", 8), 0);
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 2, 0, 0, 0);
	reader(&c);
	const struct kimp_log_rec *a = shm_ring_peek(&c);
	cr_assert_not_null(a);
	cr_assert_eq(a->arg[0], 1);
	shm_ring_commit(&c);
	const struct kimp_log_rec *b = shm_ring_peek(&c);
	cr_assert_not_null(b);
	cr_assert_eq(b->arg[0], 2);
}

Test(klog, a_log_region_of_another_shape_is_refused)
{
	struct shm_ring *r;
	char err[512];

	cr_assert_eq(shm_ring_create(&seg, KIMP_LOG_REGION, 128, 4, 0, NULL, &r), 0);
	cr_assert_eq(kimp_log_open(&seg, "orderd", 0), -EPROTO);
	cr_assert(strstr(shm_last_error(), "slots of 128 bytes, a log record is 256"), "%s",
		  shm_last_error());
	/* the log still goes to stderr, and nothing to that ring */
	with_stderr(say_two, err, sizeof(err));
	cr_assert(strstr(err, ": upbit: reconnect 3 after EOF\n"), "%s", err);
}

Test(klog, event_makes_no_syscall_and_no_allocation)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	struct mallinfo2 before, after;
	pid_t pid;

	cr_assert_eq(kimp_log_open(&seg, "feedd", 1024), 0);
	kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, 0, 0, 0, 0); /* first touch */
	before = mallinfo2();
	for (unsigned i = 0; i < 100; i++)
		kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, i, 0, 0, 0);
	after = mallinfo2();
	cr_assert_eq(after.uordblks, before.uordblks);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (test_jail())
			_exit(2);
		/* past the ring's size: writes and drops both */
		for (unsigned i = 0; i < 2000; i++)
			kimp_log_event(KIMP_LOG_INFO, KIMP_LOGE_STATE, i, 0, 0, 0);
		syscall(SYS_exit, kimp_log_dropped() ? 0 : 3);
	}
	int rc = test_wait_child(pid);
	cr_assert_neq(rc, 128 + SIGSYS, "an event made a syscall");
	cr_assert_eq(rc, 0, "child exit %d", rc);
}
