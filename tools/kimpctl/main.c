/* SPDX-License-Identifier: MIT */
/*
 * kimpctl: the operator's command line. main() parses the global options,
 * loads the configuration and hands the rest of the line to a command.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kimpctl.h"

static const struct kimpctl_cmd *const commands[] = {
	&kimpctl_cmd_shm,
	&kimpctl_cmd_books,
	&kimpctl_cmd_risk,
	&kimpctl_cmd_kill,
	&kimpctl_cmd_pause,
	&kimpctl_cmd_resume,
	&kimpctl_cmd_strat,
	&kimpctl_cmd_positions,
	&kimpctl_cmd_orders,
	&kimpctl_cmd_stats,
	&kimpctl_cmd_top,
	&kimpctl_cmd_journal,
	&kimpctl_cmd_sign,
	&kimpctl_cmd_reset,
	&kimpctl_cmd_status,
};

void kimpctl_usage(FILE *f)
{
	fputs("usage: kimpctl [-c CONFIG] COMMAND [ARGS...]\n"
	      "\n"
	      "options:\n"
	      "  -c, --config FILE   configuration file (default $KIMP_CONFIG,\n"
	      "                      else built-in defaults)\n"
	      "  -h, --help          show this help\n"
	      "\n"
	      "commands:\n", f);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(commands); i++)
		fputs(commands[i]->usage, f);
	fputs("  help                        show this help\n"
	      "\n"
	      "exit status: 0 done, 1 a command failed, 2 usage or configuration error\n",
	      f);
}

int kimpctl_err(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("kimpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static const struct kimpctl_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int setup(struct kimpctl *k, const char *conf_path)
{
	char err[512];

	if (kimpctl_conf_load(conf_path, &k->conf, &k->conf_path, err, sizeof(err)))
		return kimpctl_err(KIMPCTL_USAGE, "%s", err);
	if (kimpctl_shm_opts(k->conf, &k->shm, err, sizeof(err))) {
		kimp_conf_free(k->conf);
		return kimpctl_err(KIMPCTL_USAGE, "%s", err);
	}
	/* a tool observes: it maps read-only and never pins or faults in memory */
	k->shm.mlock = false;
	k->shm.readonly = true;
	return KIMPCTL_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct kimpctl_cmd *cmd;
	const char *conf_path = NULL;
	struct kimpctl k = { 0 };
	int c, status;

	/* '+': stop at the command, its options are its own */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			kimpctl_usage(stdout);
			return KIMPCTL_OK;
		default:
			kimpctl_usage(stderr);
			return KIMPCTL_USAGE;
		}
	}
	if (optind == argc) {
		kimpctl_usage(stderr);
		return KIMPCTL_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		kimpctl_usage(stdout);
		return KIMPCTL_OK;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		kimpctl_err(KIMPCTL_USAGE, "unknown command '%s'", argv[optind]);
		kimpctl_usage(stderr);
		return KIMPCTL_USAGE;
	}
	status = setup(&k, conf_path);
	if (status)
		return status;
	status = cmd->run(&k, argc - optind, argv + optind);
	kimp_conf_free(k.conf);
	return status;
}
