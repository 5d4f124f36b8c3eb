/* SPDX-License-Identifier: MIT */
/*
 * Runner for the mini Criterion stand-in: every test in its own forked
 * process, the suite's init and fini around it, an alarm as the deadlock
 * watchdog (the suite's timeout, default 300 s), and a closing
 * "N passed, N failed, N skipped" line. Usage: kimp-tsan-tests [SUITE...]
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "criterion/criterion.h"

#define MAX_TESTS  256
#define MAX_SUITES 32
#define SKIP_EXIT  77

struct mc_test {
	const char *suite, *name;
	void (*fn)(void);
};

static struct mc_test tests[MAX_TESTS];
static int ntests;
static struct {
	const char *name;
	const struct mc_suite_cfg *cfg;
} suites[MAX_SUITES];
static int nsuites;
static int expect_failed;

void mc_register_suite(const char *suite, const struct mc_suite_cfg *cfg)
{
	if (nsuites < MAX_SUITES)
		suites[nsuites++] = (typeof(suites[0])){ suite, cfg };
}

void mc_register_test(const char *suite, const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (struct mc_test){ suite, name, fn };
}

void mc_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: assertion failed: %s", file, line, expr);
	if (fmt[0]) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	if (fatal)
		_exit(1);
	expect_failed = 1;
}

void mc_log(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void mc_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("  skipped: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	_exit(SKIP_EXIT);
}

static const struct mc_suite_cfg *suite_cfg(const char *name)
{
	static const struct mc_suite_cfg none;

	for (int i = 0; i < nsuites; i++)
		if (!strcmp(suites[i].name, name))
			return suites[i].cfg;
	return &none;
}

static bool wanted(const char *suite, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], suite))
			return true;
	return false;
}

static int run_one(const struct mc_test *t)
{
	const struct mc_suite_cfg *cfg = suite_cfg(t->suite);
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		alarm(cfg->timeout ? cfg->timeout : 300);
		if (cfg->init)
			cfg->init();
		t->fn();
		if (cfg->fini)
			cfg->fini();
		fflush(stdout);
		_exit(expect_failed);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(st),
		WTERMSIG(st) == SIGALRM ? " (timeout: deadlock?)" : "");
	return 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		const struct mc_test *t = &tests[i];
		if (!wanted(t->suite, argc, argv))
			continue;
		printf("[RUN ] %s::%s\n", t->suite, t->name);
		int rc = run_one(t);
		if (rc == SKIP_EXIT) {
			skipped++;
			printf("[SKIP] %s::%s\n", t->suite, t->name);
		} else if (rc) {
			failed++;
			printf("[FAIL] %s::%s\n", t->suite, t->name);
		} else {
			passed++;
			printf("[PASS] %s::%s\n", t->suite, t->name);
		}
	}
	printf("tsan: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
