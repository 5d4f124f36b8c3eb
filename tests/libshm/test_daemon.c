/* SPDX-License-Identifier: MIT */
/* A daemon's common start-up steps (kimp/daemon.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/daemon.h"

Test(daemon, parse_uint_bounds)
{
	unsigned v = 7;

	cr_assert_eq(kimp_parse_uint("4095", 4095, &v), 0);
	cr_assert_eq(v, 4095);
	cr_assert_eq(kimp_parse_uint("0", 4095, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(kimp_parse_uint("4096", 4095, &v), -EINVAL);
	cr_assert_eq(kimp_parse_uint("", 4095, &v), -EINVAL);
	cr_assert_eq(kimp_parse_uint("1x", 4095, &v), -EINVAL);
	cr_assert_eq(kimp_parse_uint("-1", 4095, &v), -EINVAL);
	cr_assert_eq(v, 0);
}

Test(daemon, shm_opts_from_the_shm_section)
{
	struct kimp_conf *c = NULL;
	struct shm_opts o;
	char err[256];

	cr_assert_eq(kimp_conf_parse("d.conf", "[shm]\nshm_dir = /tmp/x\nhugepages = false\n", &c,
				     err, sizeof(err)), 0);
	cr_assert_eq(kimp_shm_opts_conf(c, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(o.shm_dir, "/tmp/x");
	cr_assert_not(o.allow_hugetlbfs);
	kimp_conf_free(c);
	cr_assert_eq(kimp_conf_parse("d.conf", "[shm]\nhugepages = maybe\n", &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_shm_opts_conf(c, &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "d.conf:2: key 'shm.hugepages'"), "%s", err);
	kimp_conf_free(c);
}

static void no_usage(FILE *o)
{
	(void)o;
}

/* getopt keeps state: start it again for each command line. */
extern int optind;

/* The command line argv[0..argc) (literals: copied, getopt may permute). */
static int parse(struct kimp_daemon_args *a, int argc, const char *const *argv)
{
	static char buf[8][16];
	char *v[9] = { NULL };

	cr_assert_leq(argc, 8);
	for (int i = 0; i < argc; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", argv[i]);
		v[i] = buf[i];
	}
	optind = 0;
	return kimp_daemon_args(argc, v, "t", no_usage, a);
}

Test(daemon, args_parse_config_cpu_check_and_refuse_the_rest)
{
	struct kimp_daemon_args a;
	const char *const run[] = { "t", "-c", "k.conf", "--cpu", "3", NULL };
	const char *const chk[] = { "t", "--config", "k.conf", "--check", NULL };
	const char *const cpu_max[] = { "t", "-c", "k", "--cpu", "4095", NULL };
	const char *const cpu_over[] = { "t", "-c", "k", "--cpu", "4096", NULL };
	const char *const none[] = { "t", "--check", NULL };
	const char *const extra[] = { "t", "-c", "k", "more", NULL };
	const char *const help[] = { "t", "-h", NULL };

	cr_assert_eq(parse(&a, 5, run), -1, "go on");
	cr_assert_str_eq(a.cfg, "k.conf");
	cr_assert_eq(a.cpu, 3);
	cr_assert_not(a.check);
	cr_assert_eq(parse(&a, 4, chk), -1);
	cr_assert(a.check);
	cr_assert_eq(a.cpu, ~0u, "no --cpu");
	cr_assert_eq(parse(&a, 5, cpu_max), -1);
	cr_assert_eq(a.cpu, 4095);
	cr_assert_eq(parse(&a, 5, cpu_over), 2);
	cr_assert_eq(parse(&a, 2, none), 2, "no config");
	cr_assert_eq(parse(&a, 4, extra), 2);
	cr_assert_eq(parse(&a, 2, help), 0);
}
