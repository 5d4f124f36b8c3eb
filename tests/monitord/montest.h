/* SPDX-License-Identifier: MIT */
/*
 * The real monitord binary ($MONITORD, default build/bin/monitord) for the
 * monitord tests: started on a config, its start-up lines read until it
 * listens, stopped with SIGTERM.
 */
#ifndef KIMP_TEST_MONTEST_H
#define KIMP_TEST_MONTEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "../testutil.h"

struct montest {
	pid_t pid;
	int out;                 /* its stdout and stderr */
	uint16_t http_port, ws_port;
	char log[16384];         /* what it printed up to "listening" */
};

static inline void montest_start(struct montest *mt, const char *cfg)
{
	const char *argv[] = { test_bin("MONITORD", "build/bin/monitord"), "-c", cfg, NULL };

	cr_assert_eq(access(argv[0], X_OK), 0, "%s: %s (run `make all`, or set MONITORD)",
		     argv[0], strerror(errno));
	mt->log[0] = 0;
	mt->pid = test_spawn(argv, &mt->out);
	cr_assert(test_read_until(mt->out, "monitord: listening", mt->log, sizeof(mt->log)),
		  "monitord did not start:\n%s", mt->log);
	mt->http_port = test_port_after(mt->log, "listening http");
	mt->ws_port = test_port_after(mt->log, " ws ");
	cr_assert(mt->http_port && mt->ws_port, "%s", mt->log);
}

static inline void montest_stop(struct montest *mt)
{
	if (mt->pid > 0) {
		kill(mt->pid, SIGTERM);
		test_wait_child(mt->pid);
		close(mt->out);
	}
	mt->pid = -1;
}

#endif
