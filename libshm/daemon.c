/* SPDX-License-Identifier: MIT */
/* A daemon's common start-up steps (kimp/daemon.h). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/daemon.h"

int kimp_parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int kimp_shm_opts_conf(const struct kimp_conf *c, struct shm_opts *o, char *err, size_t errlen)
{
	shm_opts_default(o);
	if (kimp_conf_str(c, "shm", "hugetlbfs", o->hugetlbfs_dir, &o->hugetlbfs_dir, err,
			  errlen) ||
	    kimp_conf_str(c, "shm", "shm_dir", o->shm_dir, &o->shm_dir, err, errlen) ||
	    kimp_conf_bool(c, "shm", "hugepages", o->allow_hugetlbfs, &o->allow_hugetlbfs, err,
			   errlen))
		return -EINVAL;
	return 0;
}

void kimp_pin_cpu(const char *prog, unsigned cpu)
{
	cpu_set_t set;

	if (cpu == ~0u)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "%s: cannot pin to CPU %u: %s (running unpinned)\n", prog, cpu,
			strerror(errno));
}

void kimp_stop_signals(void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
