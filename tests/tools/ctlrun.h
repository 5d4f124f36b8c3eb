/* SPDX-License-Identifier: MIT */
/*
 * Running the real kimpctl binary from a test: its path ($KIMPCTL, else
 * build/kimpctl), its exit status, stdout and stderr, and the text helpers
 * the kimpctl tests read its output with.
 */
#ifndef KIMP_TESTS_CTLRUN_H
#define KIMP_TESTS_CTLRUN_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../testutil.h"

struct run {
	int status;
	char out[65536];
	char err[8192];
};

static inline const char *kimpctl_path(void)
{
	const char *p = getenv("KIMPCTL");

	return p && *p ? p : "build/kimpctl";
}

/* path's whole content into buf (NUL-terminated), then remove path. */
static inline void ctl_slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0, "open %s", path);
	n = read(fd, buf, len - 1);
	cr_assert_geq(n, 0);
	cr_assert_lt((size_t)n, len - 1, "%s: more output than the test expects", path);
	buf[n] = 0;
	close(fd);
	unlink(path);
}

/*
 * Run kimpctl with the NULL-terminated args (at most 15), its output
 * captured through files in dir; $KIMP_CONFIG is env_conf, or unset when
 * NULL. Fills *r.
 */
static inline void ctl_run(struct run *r, const char *dir, const char *env_conf,
			   const char *const *args)
{
	char outp[128], errp[128];
	const char *argv[16];
	size_t n = 0;
	pid_t pid;

	argv[n++] = kimpctl_path();
	cr_assert_eq(access(argv[0], X_OK), 0,
		     "%s: %s (run `make all` first, or set KIMPCTL)", argv[0], strerror(errno));
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		if (env_conf)
			setenv("KIMP_CONFIG", env_conf, 1);
		else
			unsetenv("KIMP_CONFIG");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	r->status = test_wait_child(pid);
	ctl_slurp(outp, r->out, sizeof(r->out));
	ctl_slurp(errp, r->err, sizeof(r->err));
}

/* ctl_run with "-c cfg" before the NULL-terminated args (at most 13). */
static inline void ctl_run_conf(struct run *r, const char *dir, const char *cfg,
				const char *const *args)
{
	const char *argv[16] = { "-c", cfg };
	size_t n = 2;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	ctl_run(r, dir, NULL, argv);
}

#define ctl_assert_status(r, n) \
	cr_assert_eq((r).status, n, "exit %d, not %d; stderr:\n%s\nstdout:\n%s", (r).status, n, \
		     (r).err, (r).out)
#define assert_has(text, needle) \
	cr_assert_not_null(strstr(text, needle), "no '%s' in:\n%s", needle, text)
#define assert_lacks(text, needle) \
	cr_assert_null(strstr(text, needle), "'%s' in:\n%s", needle, text)

/* Runs of spaces squeezed to one, in place. */
static inline char *squeeze(char *s)
{
	char *w = s;

	for (const char *p = s; *p; p++)
		if (*p != ' ' || w == s || w[-1] != ' ')
			*w++ = *p;
	*w = 0;
	return s;
}

/* Every space and newline dropped, in place (JSON whose strings hold none). */
static inline char *compact(char *s)
{
	char *w = s;

	for (const char *p = s; *p; p++)
		if (*p != ' ' && *p != '\n')
			*w++ = *p;
	*w = 0;
	return s;
}

/* The number that follows 'key' in s. */
static inline uint64_t number_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	cr_assert_not_null(p, "no '%s' in:\n%s", key, s);
	return strtoull(p + strlen(key), NULL, 10);
}

#endif
