/* SPDX-License-Identifier: MIT */
/*
 * What every daemon's main.c does the same way at start-up: read a CPU
 * number, take the [shm] keys, pin itself, install the stop signals.
 * Cold path only.
 */
#ifndef KIMP_DAEMON_H
#define KIMP_DAEMON_H

#include <stddef.h>
#include "kimp/compiler.h"
#include "kimp/config.h"
#include "kimp/segment.h"

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
