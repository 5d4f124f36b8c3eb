/* SPDX-License-Identifier: MIT */
/*
 * The exsim program itself (build/exsim, or $EXSIM): what it prints, how it
 * fails on bad input, that a client verifying its CA gets in, and that it
 * stops cleanly on SIGTERM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../testutil.h"

static const char *exsim_path(void)
{
	const char *p = getenv("EXSIM");

	return p ? p : "build/exsim";
}

struct proc {
	pid_t pid;
	int out;                /* its stdout and stderr */
	char dir[64];
};

static void spawn(struct proc *p, const char *const *args)
{
	int fds[2];
	const char *argv[16];
	int n = 0;

	cr_assert_eq(pipe(fds), 0);
	argv[n++] = exsim_path();
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (!p->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
}

/* Read output into all until a line starts with 'want' (or EOF): true when found. */
static bool read_until(struct proc *p, const char *want, char *all, size_t cap)
{
	size_t len = strlen(all), wl = strlen(want);

	for (;;) {
		ssize_t r;

		for (const char *l = all; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, want, wl) && strchr(l, '\n'))
				return true;
		if (len + 1 >= cap)
			return false;
		r = read(p->out, all + len, cap - 1 - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
		all[len] = '\0';
	}
}

static int finish(struct proc *p)
{
	int st;

	close(p->out);
	cr_assert_eq(waitpid(p->pid, &st, 0), p->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void tmpdir(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/kimp-exsim-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rmdir_all(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(exsim, prints_where_each_venue_listens_and_stops_on_sigterm)
{
	struct proc p;
	char dir[64], all[8192] = "", ledger[128];
	const char *args[] = { "--state", dir, NULL };

	tmpdir(dir, sizeof(dir));
	spawn(&p, args);
	cr_assert(read_until(&p, "exsim: ready", all, sizeof(all)), "output: %s", all);
	cr_assert_not_null(strstr(all, "exsim: ca "), "%s", all);
	cr_assert_not_null(strstr(all, "exsim: upbit rest https://localhost:"), "%s", all);
	cr_assert_not_null(strstr(all, "exsim: binance rest https://localhost:"), "%s", all);
	cr_assert_not_null(strstr(all, " api wss://localhost:"), "Binance's order API: %s", all);
	cr_assert_not_null(strstr(all, "exsim: control http://127.0.0.1:"), "%s", all);
	snprintf(ledger, sizeof(ledger), "%s/ca.pem", dir);
	cr_assert_eq(access(ledger, R_OK), 0, "the CA is published in the state dir");
	cr_assert_eq(kill(p.pid, SIGTERM), 0);
	cr_assert_eq(finish(&p), 0, "a clean exit on SIGTERM");
	snprintf(ledger, sizeof(ledger), "%s/ledger.jsonl", dir);
	cr_assert_eq(access(ledger, R_OK), 0, "the ledger is where the state dir says");
	rmdir_all(dir);
}

Test(exsim, a_bad_scenario_names_file_line_and_key)
{
	struct proc p;
	char dir[64], scn[128], all[4096] = "";
	const char *args[] = { "--scenario", scn, "--state", dir, NULL };
	FILE *f;

	tmpdir(dir, sizeof(dir));
	snprintf(scn, sizeof(scn), "%s/bad.scn", dir);
	f = fopen(scn, "w");
	cr_assert_not_null(f);
	fputs("[exsim]\nseed = 3\n\n[market]\npremium_mean = lots\n", f);
	fclose(f);
	spawn(&p, args);
	read_until(&p, "\x01", all, sizeof(all));
	cr_assert_eq(finish(&p), 1);
	cr_assert_not_null(strstr(all, "bad.scn:5"), "file and line: %s", all);
	cr_assert_not_null(strstr(all, "premium_mean"), "the key: %s", all);
	rmdir_all(dir);
}

Test(exsim, bad_arguments_are_usage_errors)
{
	struct proc p;
	char all[4096] = "";
	const char *args[] = { "--seed", "twelve", NULL };
	const char *args2[] = { "--frobnicate", NULL };

	spawn(&p, args);
	read_until(&p, "\x01", all, sizeof(all));
	cr_assert_eq(finish(&p), 2);
	cr_assert_not_null(strstr(all, "--seed 'twelve'"), "%s", all);
	all[0] = '\0';
	spawn(&p, args2);
	read_until(&p, "\x01", all, sizeof(all));
	cr_assert_eq(finish(&p), 2);
	cr_assert_not_null(strstr(all, "usage: exsim"), "%s", all);
}

Test(exsim, a_missing_replay_file_is_named)
{
	struct proc p;
	char dir[64], all[4096] = "";
	const char *args[] = { "--state", dir, "--replay", "/nonexistent/cap.txt", NULL };

	tmpdir(dir, sizeof(dir));
	spawn(&p, args);
	read_until(&p, "\x01", all, sizeof(all));
	cr_assert_eq(finish(&p), 1);
	cr_assert_not_null(strstr(all, "/nonexistent/cap.txt"), "%s", all);
	rmdir_all(dir);
}
