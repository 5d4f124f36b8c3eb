/* SPDX-License-Identifier: MIT */
/*
 * kimpctl configuration: which file, and the [shm] keys as struct shm_opts.
 */
#include <errno.h>
#include <stdlib.h>
#include "kimpctl.h"

int kimpctl_conf_load(const char *path, struct kimp_conf **out, const char **used,
		      char *err, size_t errlen)
{
	if (!path || !*path)
		path = getenv("KIMP_CONFIG");
	if (path && *path) {
		*used = path;
		return kimp_conf_load(path, out, err, errlen);
	}
	*used = NULL;
	return kimp_conf_parse("(defaults)", "", out, err, errlen);
}

int kimpctl_shm_opts(const struct kimp_conf *c, struct shm_opts *o, char *err,
		     size_t errlen)
{
	int ret;

	shm_opts_default(o);
	ret = kimp_conf_str(c, "shm", "hugetlbfs", o->hugetlbfs_dir, &o->hugetlbfs_dir,
			    err, errlen);
	if (!ret)
		ret = kimp_conf_str(c, "shm", "shm_dir", o->shm_dir, &o->shm_dir,
				    err, errlen);
	if (!ret)
		ret = kimp_conf_bool(c, "shm", "hugepages", o->allow_hugetlbfs,
				     &o->allow_hugetlbfs, err, errlen);
	return ret;
}
