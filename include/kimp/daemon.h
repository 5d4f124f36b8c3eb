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
#include "kimp/metrics.h"
#include "kimp/segment.h"
#include "kimp/wait.h"

/* The command line every daemon takes. */
struct kimp_daemon_args {
	const char *cfg;        /* -c, --config FILE (required) */
	unsigned cpu;           /* --cpu N, ~0u when not given */
	bool check;             /* --check */
	bool wait_set;          /* --wait given: it overrides the configuration */
	enum shm_wait_mode wait; /* --wait spin|hybrid */
};

/*
 * Parse -c/--config FILE, --cpu N, --check, --wait spin|hybrid and
 * -h/--help into *a.
 * Returns -1 when the daemon should go on; otherwise the status main
 * returns: 0 after --help (usage on stdout), 2 after a usage error (said
 * on stderr as "PROG: ..." with usage). Cold.
 */
int kimp_daemon_args(int argc, char **argv, const char *prog, void (*usage)(FILE *o),
		     struct kimp_daemon_args *a) kimp_cold;

/*
 * --wait MODE for a daemon with its own parser (feedd): "spin" or "hybrid"
 * into *out, else "PROG: --wait: 'S' is not spin or hybrid" on stderr and
 * -EINVAL. Cold.
 */
int kimp_daemon_wait_arg(const char *prog, const char *s, enum shm_wait_mode *out) kimp_cold;

/*
 * Publish the loop's wait mode as gauge "wait_mode" of m (0 hybrid, 1 spin),
 * for kimpctl status and the supervisor. m NULL or a full gauge table: said
 * on stderr as "PROG: ..." and nothing else happens. Cold.
 */
void kimp_daemon_publish_wait(const char *prog, struct shm_metrics *m, enum shm_wait_mode mode)
	kimp_cold;

/*
 * The optional key 'cpu' of [section]: the CPU the daemon pins its loop to
 * (0..4095), or ~0u when the key is absent. 0, or -EINVAL with "FILE:LINE:
 * key 'SECTION.cpu': ..." in err. --cpu on the command line wins over it.
 */
int kimp_conf_cpu(const struct kimp_conf *c, const char *section, unsigned *cpu, char *err,
		  size_t errlen) kimp_cold;

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
