/* SPDX-License-Identifier: MIT */
/*
 * stratd: the premium strategy of kimp. Wires the modules: configuration,
 * the segment and its inputs, the loop. See stratd.h.
 *
 *   stratd -c FILE [--cpu N]      run
 *   stratd -c FILE --check        check the configuration, print it, exit
 */
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
	fputs("usage: stratd -c FILE [--cpu N] [--wait spin|hybrid] [--check]\n"
	      "  -c, --config FILE   the configuration ([engine], [venue.NAME], [balance.NAME],\n"
	      "                      [stratd], [pair.COIN], [risk.NAME], [shm])\n"
	      "      --cpu N         pin the loop to CPU N\n"
	      "      --wait MODE     the idle loop: spin or hybrid (over [stratd] wait)\n"
	      "      --check         check the configuration, print the parameters and exit\n",
	      o);
}

int main(int argc, char **argv)
{
	static struct stratd_conf conf;
	struct kimp_daemon_args args;
	char err[512] = "";
	int c;

	c = kimp_daemon_args(argc, argv, "stratd", usage, &args);
	if (c >= 0)
		return c;

	struct kimp_conf *kc = NULL;
	struct shm_opts so;
	if (kimp_conf_load(args.cfg, &kc, err, sizeof(err)) ||
	    stratd_conf_load(kc, &conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(kc, &so, err, sizeof(err))) {
		fprintf(stderr, "stratd: %s\n", err);
		kimp_conf_free(kc);
		return 2;
	}
	/* the paths point into kc: keep it for the run */
	if (args.wait_set)
		conf.wait = args.wait;
	if (args.check) {
		stratd_conf_print(&conf, stdout);
		printf("stratd: %s: %u pair(s) ok\n", args.cfg, conf.npairs);
		kimp_conf_free(kc);
		return 0;
	}
	stratd_conf_print(&conf, stderr);
	kimp_pin_cpu("stratd", args.cpu == ~0u ? conf.cpu : args.cpu);

	kimp_stop_signals(on_signal);

	if (stratd_open(&sd, &conf, &so, err, sizeof(err))) {
		fprintf(stderr, "stratd: %s\n", err);
		kimp_conf_free(kc);
		return 1;
	}
	kimp_daemon_publish_wait("stratd", sd.metrics, conf.wait);
	fprintf(stderr, "stratd: %s: %u pair(s), segment %s, next intent id %llu, %lld pair(s) "
			"in flight, wait %s\n",
		args.cfg, conf.npairs, conf.name, (unsigned long long)sd.st->next_intent_id,
		(long long)sd.st->pairs_open, shm_wait_mode_name(conf.wait));
	stratd_attach(&sd);
	stratd_run(&sd);
	stratd_close(&sd);
	kimp_conf_free(kc);
	fprintf(stderr, "stratd: stopped\n");
	return 0;
}
