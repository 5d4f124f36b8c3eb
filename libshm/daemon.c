/* SPDX-License-Identifier: MIT */
/* A daemon's common start-up steps (kimp/daemon.h). */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/daemon.h"

int kimp_daemon_args(int argc, char **argv, const char *prog, void (*usage)(FILE *o),
		     struct kimp_daemon_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*a = (struct kimp_daemon_args){ .cpu = ~0u, .wait = SHM_WAIT_HYBRID };
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->cfg = optarg; break;
		case 'k': a->check = true; break;
		case 'w':
			if (kimp_daemon_wait_arg(prog, optarg, &a->wait))
				return 2;
			a->wait_set = true;
			break;
		case 'C':
			if (kimp_parse_uint(optarg, 4095, &a->cpu)) {
				fprintf(stderr, "%s: --cpu: '%s' is not a CPU number\n", prog, optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!a->cfg) {
		usage(stderr);
		return 2;
	}
	return -1;
}

int kimp_daemon_wait_arg(const char *prog, const char *s, enum shm_wait_mode *out)
{
	if (shm_wait_mode_parse(s, out)) {
		fprintf(stderr, "%s: --wait: '%s' is not spin or hybrid\n", prog, s);
		return -EINVAL;
	}
	return 0;
}

void kimp_daemon_publish_wait(const char *prog, struct shm_metrics *m, enum shm_wait_mode mode)
{
	_Atomic int64_t *g = m ? shm_metrics_gauge(m, "wait_mode") : NULL;

	if (!g) {
		fprintf(stderr, "%s: cannot publish gauge wait_mode (%s)\n", prog,
			m ? "the gauge table is full" : "no metrics region");
		return;
	}
	shm_gauge_set(g, mode == SHM_WAIT_SPIN ? 1 : 0);
}

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

int kimp_conf_cpu(const struct kimp_conf *c, const char *section, unsigned *cpu, char *err,
		  size_t errlen)
{
	uint64_t v;
	int e;

	*cpu = ~0u;
	if (!kimp_conf_get(c, section, "cpu"))
		return 0;
	if ((e = kimp_conf_u64_in(c, section, "cpu", 0, 0, 4095, &v, err, errlen)))
		return e;
	*cpu = (unsigned)v;
	return 0;
}
