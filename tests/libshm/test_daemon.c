/* SPDX-License-Identifier: MIT */
/* A daemon's common start-up steps (kimp/daemon.h). */
#include <criterion/criterion.h>
#include <errno.h>
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
