/* SPDX-License-Identifier: MIT */
/*
 * What every daemon's main.c does the same way at start-up: read a CPU
 * number, take the [shm] keys, pin itself, install the stop signals.
 * Cold path only.
 */
#ifndef KIMP_DAEMON_H
#define KIMP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "kimp/compiler.h"
#include "kimp/config.h"
#include "kimp/segment.h"

/* The command line every daemon takes. */
struct kimp_daemon_args {
	const char *cfg;        /* -c, --config FILE (required) */
	unsigned cpu;           /* --cpu N, ~0u when not given */
	bool check;             /* --check */
};

/*
 * Parse -c/--config FILE, --cpu N, --check and -h/--help into *a.
 * Returns -1 when the daemon should go on; otherwise the status main
 * returns: 0 after --help (usage on stdout), 2 after a usage error (said
 * on stderr as "PROG: ..." with usage). Cold.
 */
int kimp_daemon_args(int argc, char **argv, const char *prog, void (*usage)(FILE *o),
		     struct kimp_daemon_args *a) kimp_cold;

/* A decimal in [0, max]: 0, or -EINVAL. */
int kimp_parse_uint(const char *s, unsigned max, unsigned *out) kimp_cold;

/*
 * shm_opts_default() with [shm] hugetlbfs, shm_dir and hugepages of c over
 * it. The strings in *o point into c: keep c while o is used. 0, or -EINVAL
 * with "FILE:LINE: key 'shm.KEY': ..." in err.
 */
int kimp_shm_opts_conf(const struct kimp_conf *c, struct shm_opts *o, char *err,
		       size_t errlen) kimp_cold;

/*
 * Pin the calling thread to cpu (~0u: leave it); a failure is said on
 * stderr as "PROG: cannot pin ..." and the daemon runs unpinned.
 */
void kimp_pin_cpu(const char *prog, unsigned cpu) kimp_cold;

/* SIGINT and SIGTERM run fn; SIGPIPE is ignored (a dead peer is an error code). */
void kimp_stop_signals(void (*fn)(int)) kimp_cold;

#endif
