/* SPDX-License-Identifier: MIT */
/*
 * stratd: the premium strategy of kimp. Wires the modules: configuration,
 * the segment and its inputs, the loop. See stratd.h.
 *
 *   stratd -c FILE [--cpu N]      run
 *   stratd -c FILE --check        check the configuration, print it, exit
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "stratd.h"

static struct stratd sd;

static void on_signal(int sig)
{
	(void)sig;
	sd.stop = 1;
}

static void usage(FILE *o)
{
	fputs("usage: stratd -c FILE [--cpu N] [--check]\n"
	      "  -c, --config FILE   the configuration ([engine], [venue.NAME], [balance.NAME],\n"
	      "                      [stratd], [pair.COIN], [risk.NAME], [shm])\n"
	      "      --cpu N         pin the loop to CPU N\n"
	      "      --check         check the configuration, print the parameters and exit\n",
	      o);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct stratd_conf conf;
	const char *cfg = NULL;
	unsigned cpu = ~0u;
	bool check = false;
	char err[512] = "";
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg = optarg; break;
		case 'k': check = true; break;
		case 'C':
			if (kimp_parse_uint(optarg, 4095, &cpu)) {
				fprintf(stderr, "stratd: --cpu: '%s' is not a CPU number\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "stratd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!cfg) {
		usage(stderr);
		return 2;
	}

	struct kimp_conf *kc = NULL;
	struct shm_opts so;
	if (kimp_conf_load(cfg, &kc, err, sizeof(err)) ||
	    stratd_conf_load(kc, &conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(kc, &so, err, sizeof(err))) {
		fprintf(stderr, "stratd: %s\n", err);
		kimp_conf_free(kc);
		return 2;
	}
	/* the paths point into kc: keep it for the run */
	if (check) {
		stratd_conf_print(&conf, stdout);
		printf("stratd: %s: %u pair(s) ok\n", cfg, conf.npairs);
		kimp_conf_free(kc);
		return 0;
	}
	stratd_conf_print(&conf, stderr);
	kimp_pin_cpu("stratd", cpu);

	kimp_stop_signals(on_signal);

	if (stratd_open(&sd, &conf, &so, err, sizeof(err))) {
		fprintf(stderr, "stratd: %s\n", err);
		kimp_conf_free(kc);
		return 1;
	}
	fprintf(stderr, "stratd: %s: %u pair(s), segment %s, next intent id %llu, %lld pair(s) "
			"in flight, wait %s\n",
		cfg, conf.npairs, conf.name, (unsigned long long)sd.st->next_intent_id,
		(long long)sd.st->pairs_open, shm_wait_mode_name(conf.wait));
	stratd_attach(&sd);
	stratd_run(&sd);
	stratd_close(&sd);
	kimp_conf_free(kc);
	fprintf(stderr, "stratd: stopped\n");
	return 0;
}
