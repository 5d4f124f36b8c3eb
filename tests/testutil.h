/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the Criterion tests: a private segment directory per
 * test, a log sink that captures libshm's cold-path messages, and a scale
 * divisor for slow builds (KIMP_TEST_SCALE=8 under TSan).
 */
#ifndef KIMP_TESTUTIL_H
#define KIMP_TESTUTIL_H

#include <criterion/criterion.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/segment.h"

struct tenv {
	char dir[64];          /* private segment directory under /dev/shm */
	struct shm_opts o;
	char log[4096];        /* captured libshm messages */
	int nlog;
};

static inline void tenv_log(void *ctx, const char *msg)
{
	struct tenv *e = ctx;
	size_t used = strlen(e->log);

	snprintf(e->log + used, sizeof(e->log) - used, "%s\n", msg);
	e->nlog++;
}

/* Segments go to a fresh directory; huge pages off unless a test says so. */
static inline void tenv_init(struct tenv *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/dev/shm/kimptest-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir), "mkdtemp");
	shm_opts_default(&e->o);
	e->o.shm_dir = e->dir;
	e->o.hugetlbfs_dir = e->dir;
	e->o.allow_hugetlbfs = false;
	e->o.calib_window_ns = 2000000;
	shm_set_log(tenv_log, e);
	shm_log_reset_once();
}

static inline void tenv_fini(struct tenv *e)
{
	char cmd[128];

	shm_set_log(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	cr_expect_eq(system(cmd), 0);
}

/* tenv_init, then a fresh segment 'name' of 'size' bytes in it. */
static inline void tenv_init_seg(struct tenv *e, struct shm_seg *s, const char *name,
				 size_t size)
{
	tenv_init(e);
	cr_assert_eq(shm_seg_create(s, name, size, &e->o), 0, "%s", shm_last_error());
}

static inline void tenv_fini_seg(struct tenv *e, struct shm_seg *s)
{
	shm_seg_detach(s);
	tenv_fini(e);
}

/*
 * The fixture most test files use: a private directory and one segment,
 * fresh for every test, as 'env' and 'seg', with setup() and teardown() for
 * TestSuite(..., .init = setup, .fini = teardown).
 */
#define TENV_SEG_FIXTURE(segname, size)                                  \
	static struct tenv env;                                          \
	static struct shm_seg seg;                                       \
	static void setup(void)                                          \
	{                                                                \
		tenv_init_seg(&env, &seg, segname, size);                \
	}                                                                \
	static void teardown(void)                                       \
	{                                                                \
		tenv_fini_seg(&env, &seg);                               \
	}

/* n divided by $KIMP_TEST_SCALE (at least 1). */
static inline uint64_t test_scaled(uint64_t n)
{
	const char *s = getenv("KIMP_TEST_SCALE");
	uint64_t d = s ? strtoull(s, NULL, 10) : 1;

	if (!d)
		d = 1;
	return n / d ? n / d : 1;
}

/* Anonymous shared memory that survives fork (test bookkeeping). */
static inline void *test_shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED, "mmap %zu", n);
	return p;
}

/* Wait for a child: its exit code, or 128 + signal. */
static inline int test_wait_child(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Spin politely: on 2 cores, the other side may be descheduled. */
static inline void test_backoff(unsigned *spins)
{
	if (++*spins < 256) {
		__builtin_ia32_pause();
		return;
	}
	*spins = 0;
	sched_yield();
}

/*
 * Read a line (a child's first output, e.g. the port it listens on) from fd
 * into buf, NUL-terminated: up to the newline, however many writes it took.
 */
static inline void test_read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	while (n < len - 1 && !strchr(buf, '\n')) {
		ssize_t r = read(fd, buf + n, len - 1 - n);
		cr_assert_gt(r, 0, "the child printed a line");
		n += (size_t)r;
		buf[n] = 0;
	}
}

/* Deterministic payload word for message i, word w. */
static inline uint64_t test_word(uint64_t i, uint64_t w)
{
	return (i + 1) * 0x9e3779b97f4a7c15ull ^ (w * 0xbf58476d1ce4e5b9ull);
}

/* Message i in a ring slot: word 0 is the ring's mark, so start at word 1. */
static inline void test_fill(void *slot, uint32_t size, uint64_t i)
{
	uint64_t *p = slot;

	p[1] = i;
	for (uint32_t w = 2; w < size / 8; w++)
		p[w] = test_word(i, w);
}

/* 0 if slot holds message i, else 1 + the first bad word. */
static inline uint32_t test_check(const void *slot, uint32_t size, uint64_t i)
{
	const uint64_t *p = slot;

	if (p[1] != i)
		return 2;
	for (uint32_t w = 2; w < size / 8; w++)
		if (p[w] != test_word(i, w))
			return w + 1;
	return 0;
}

/*
 * The venue captures in ../shared/fixtures/venues (or $KIMP_FIXTURES): line
 * 'n' (from 0) of file 'name' into a malloc'd NUL-terminated string (the
 * caller frees it), NULL when there is no such line. A missing fixture
 * directory fails the test: the fixtures are part of the build's inputs.
 */
static inline char *test_fixture_line(const char *name, unsigned n)
{
	const char *dir = getenv("KIMP_FIXTURES");
	char path[512], *line = NULL;
	size_t cap = 0;
	ssize_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "../shared/fixtures/venues", name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "fixture %s (set KIMP_FIXTURES to its directory)", path);
	for (unsigned i = 0; i <= n; i++) {
		len = getline(&line, &cap, f);
		if (len < 0)
			break;
	}
	fclose(f);
	if (len < 0) {
		free(line);
		return NULL;
	}
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	return line;
}

/* A fresh directory /tmp/<prefix>-XXXXXX into dir[n]. */
static inline void test_mkdtemp(char *dir, size_t n, const char *prefix)
{
	snprintf(dir, n, "/tmp/%s-XXXXXX", prefix);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp %s", dir);
}

/* Remove a directory made by test_mkdtemp, and all in it. */
static inline void test_rmtree(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* Write len bytes of text to path (created or truncated). */
static inline void test_write_file(const char *path, const void *text, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* A program's path from the environment variable env, else def. */
static inline const char *test_bin(const char *env, const char *def)
{
	const char *p = getenv(env);
	return p ? p : def;
}

/*
 * Start argv[0] (NULL-terminated argv) with its stdout and stderr on a
 * pipe (*out: the read end); it dies with the test (PR_SET_PDEATHSIG).
 */
static inline pid_t test_spawn(const char *const *argv, int *out)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

/* Write text (a C string) to path (created or truncated). */
static inline void test_write_text(const char *path, const char *text)
{
	test_write_file(path, text, strlen(text));
}

/*
 * Read fd into all[0..cap) (NUL-terminated, appending to what is there)
 * until a whole line starts with 'want': true, or false at end of input
 * or when all is full.
 */
static inline bool test_read_until(int fd, const char *want, char *all, size_t cap)
{
	size_t len = strlen(all), wl = strlen(want);
	for (;;) {
		for (const char *l = all; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, want, wl) && strchr(l, '\n'))
				return true;
		if (len + 1 >= cap)
			return false;
		ssize_t r = read(fd, all + len, cap - 1 - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
		all[len] = '\0';
	}
}

/* The port after "KEY ...:" in s (exsim's listen lines), or 0 when none. */
static inline uint16_t test_port_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	if (!p)
		return 0;
	p = strchr(p + strlen(key), ':');
	return p ? (uint16_t)atoi(p + 1) : 0;
}

/*
 * One HTTP/1.1 request with no body to 127.0.0.1:port (exsim's control
 * port): the status, the body in out (cut to cap; out may be NULL).
 */
static inline int test_http(uint16_t port, const char *method, const char *target, char *out,
			    size_t cap)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n", method, target);
	cr_assert_eq(write(s, req, (size_t)n), n);
	size_t len = 0;
	static char buf[1 << 20];
	ssize_t r;
	while ((r = read(s, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = 0;
	close(s);
	int status = 0;
	sscanf(buf, "HTTP/1.1 %d", &status);
	const char *body = strstr(buf, "\r\n\r\n");
	if (out && cap)
		snprintf(out, cap, "%s", body ? body + 4 : "");
	return status;
}

#endif
