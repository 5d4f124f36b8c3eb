/* SPDX-License-Identifier: MIT */
/*
 * kimpctl configuration: which file, and the [shm] keys as struct shm_opts.
 */
#include <errno.h>
#include <stdlib.h>
#include "kimp/daemon.h"
#include "kimp/tradeconf.h"
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
	return kimp_shm_opts_conf(c, o, err, errlen);
}

struct kimp_trade_conf *kimpctl_trade_conf(struct kimpctl *k, char *why, size_t whylen)
{
	struct kimp_trade_conf *tc;
	char err[256];

	if (!k->conf_path) {
		snprintf(why, whylen, "no configuration file");
		return NULL;
	}
	tc = malloc(sizeof(*tc));
	if (!tc) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (kimp_trade_conf_load(k->conf, tc, err, sizeof(err))) {
		snprintf(why, whylen, "%s", err);
		free(tc);
		return NULL;
	}
	return tc;
}
