/* SPDX-License-Identifier: MIT */
/* A daemon's common start-up steps (kimp/daemon.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kimp/daemon.h"
#include "../testutil.h"

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

Test(daemon, cpu_key_bounds_and_absence)
{
	struct kimp_conf *c = NULL;
	unsigned cpu = 7;
	char err[256];

	cr_assert_eq(kimp_conf_parse("d.conf", "[stratd]\nname = s\n[riskd]\ncpu = 0\n"
				     "[orderd]\ncpu = 4095\n[feedd]\ncpu = 4096\n[x]\ncpu = one\n",
				     &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_cpu(c, "stratd", &cpu, err, sizeof(err)), 0);
	cr_assert_eq(cpu, ~0u, "absent: not pinned by the config");
	cr_assert_eq(kimp_conf_cpu(c, "riskd", &cpu, err, sizeof(err)), 0);
	cr_assert_eq(cpu, 0);
	cr_assert_eq(kimp_conf_cpu(c, "orderd", &cpu, err, sizeof(err)), 0);
	cr_assert_eq(cpu, 4095);
	cr_assert_eq(kimp_conf_cpu(c, "feedd", &cpu, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "d.conf:8: key 'feedd.cpu'"), "%s", err);
	cr_assert_eq(kimp_conf_cpu(c, "x", &cpu, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "d.conf:10: key 'x.cpu'"), "%s", err);
	kimp_conf_free(c);
}

static void no_usage(FILE *o)
{
	(void)o;
}

/* getopt keeps state (optind, from unistd.h): start it again for each command line. */

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

Test(daemon, args_wait_overrides_and_refuses_an_unknown_mode)
{
	struct kimp_daemon_args a;
	const char *const spin[] = { "t", "-c", "k", "--wait", "spin", NULL };
	const char *const hybrid[] = { "t", "-c", "k", "--wait=hybrid", NULL };
	const char *const none[] = { "t", "-c", "k", NULL };
	const char *const bad[] = { "t", "-c", "k", "--wait", "sleepy", NULL };
	const char *const empty[] = { "t", "-c", "k", "--wait", "", NULL };
	const char *const missing[] = { "t", "-c", "k", "--wait", NULL };

	cr_assert_eq(parse(&a, 5, spin), -1);
	cr_assert(a.wait_set);
	cr_assert_eq(a.wait, SHM_WAIT_SPIN);
	cr_assert_eq(parse(&a, 4, hybrid), -1);
	cr_assert(a.wait_set);
	cr_assert_eq(a.wait, SHM_WAIT_HYBRID);
	cr_assert_eq(parse(&a, 3, none), -1);
	cr_assert_not(a.wait_set, "no --wait: the configuration decides");
	cr_assert_eq(parse(&a, 5, bad), 2);
	cr_assert_eq(parse(&a, 5, empty), 2);
	cr_assert_eq(parse(&a, 4, missing), 2);
}

Test(daemon, wait_arg_for_a_daemon_with_its_own_parser)
{
	enum shm_wait_mode m = SHM_WAIT_HYBRID;

	cr_assert_eq(kimp_daemon_wait_arg("t", "spin", &m), 0);
	cr_assert_eq(m, SHM_WAIT_SPIN);
	cr_assert_eq(kimp_daemon_wait_arg("t", "hybrid", &m), 0);
	cr_assert_eq(m, SHM_WAIT_HYBRID);
	cr_assert_eq(kimp_daemon_wait_arg("t", "Spin", &m), -EINVAL);
	cr_assert_eq(m, SHM_WAIT_HYBRID, "unchanged on error");
}

Test(daemon, publish_wait_sets_the_gauge_and_survives_a_full_table)
{
	struct tenv env;
	struct shm_seg seg;
	struct shm_metrics *m, *full;
	char name[SHM_NAME_MAX];
	_Atomic int64_t *g;

	snprintf(name, sizeof(name), "tdw%d", (int)getpid());
	tenv_init_seg(&env, &seg, name, 1 << 20);
	cr_assert_eq(shm_metrics_create(&seg, "metrics", "t", 4, 4, 1, &m), 0);
	kimp_daemon_publish_wait("t", m, SHM_WAIT_SPIN);
	cr_assert_not_null(g = shm_metrics_gauge(m, "wait_mode"));
	cr_assert_eq(atomic_load(g), 1);
	kimp_daemon_publish_wait("t", m, SHM_WAIT_HYBRID);
	cr_assert_eq(atomic_load(g), 0, "the same gauge again after a restart");
	cr_assert_eq(m->ngauges, 1);
	/* a table with no room for it: said, nothing written, no crash */
	cr_assert_eq(shm_metrics_create(&seg, "full", "t", 1, 1, 1, &full), 0);
	cr_assert_not_null(shm_metrics_gauge(full, "other"));
	kimp_daemon_publish_wait("t", full, SHM_WAIT_SPIN);
	cr_assert_eq(full->ngauges, 1);
	kimp_daemon_publish_wait("t", NULL, SHM_WAIT_SPIN);
	shm_seg_detach(&seg);
	cr_assert_eq(shm_seg_remove(name, &env.o), 0);
	tenv_fini(&env);
}
