/* SPDX-License-Identifier: MIT */
/*
 * What the supervisor tests (test_supervisor.c) and the whole-engine tests
 * (test_run.c) share: running the deploy scripts with their output
 * captured, and reading what the supervisor leaves in its run_dir.
 */
#ifndef KIMP_TEST_SUPTEST_H
#define KIMP_TEST_SUPTEST_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../testutil.h"

/* The segment names of kimp-sim.conf, rewritten NAME-PID by the tests. */
static inline bool sup_is_seg_name(const char *v)
{
	static const char *const segs[] = { "feedd", "stratd", "riskd", "orderd", "monitord" };

	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (!strcmp(v, segs[i]))
			return true;
	return false;
}

/* File 'path' into buf (NUL-terminated; empty when it cannot be read). */
static inline void sup_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t r = fd < 0 ? 0 : read(fd, buf, len - 1);

	buf[r > 0 ? r : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/*
 * argv (NULL-terminated) with stdin from /dev/null, extra environment
 * "K=V" (or NULL), stdout and stderr through files in dir into out and err
 * (each of cap bytes). Its exit status.
 */
static inline int sup_run(const char *dir, const char *const *argv, const char *env, char *out,
			  char *err, size_t cap)
{
	char op[160], ep[160];
	pid_t pid;
	int st;

	snprintf(op, sizeof(op), "%s/out", dir);
	snprintf(ep, sizeof(ep), "%s/err", dir);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int nul = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || nul < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
		    dup2(nul, 0) < 0)
			_exit(126);
		if (env)
			putenv((char *)env);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	st = test_wait_child(pid);
	sup_read_file(op, out, cap);
	sup_read_file(ep, err, cap);
	return st;
}

/* RUN_DIR/name into buf (empty when absent). */
static inline const char *sup_slurp(const char *run_dir, const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", run_dir, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* Field 'key' of proc's line in RUN_DIR/state, into v; false when absent. */
static inline bool sup_state_field(const char *run_dir, const char *proc, const char *key,
				   char *v, size_t len)
{
	static char st[8192];
	char want[64], k[64];
	const char *l, *p;

	sup_slurp(run_dir, "state", st, sizeof(st));
	snprintf(want, sizeof(want), "proc=%s ", proc);
	for (l = st; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, want, strlen(want)))
			break;
	if (!l || !*l)
		return false;
	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(l, k);
	if (!p || (strchr(l, '\n') && p > strchr(l, '\n')))
		return false;
	p += strlen(k);
	snprintf(v, len, "%.*s", (int)strcspn(p, " \n"), p);
	return true;
}

/* proc's pid in RUN_DIR/state (0: none). */
static inline pid_t sup_state_pid(const char *run_dir, const char *proc)
{
	char v[32];

	return sup_state_field(run_dir, proc, "pid", v, sizeof(v)) ? (pid_t)atoi(v) : 0;
}

#endif
