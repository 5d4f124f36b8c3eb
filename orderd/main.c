/* SPDX-License-Identifier: MIT */
/*
 * orderd: order entry for kimp. Wires the modules: configuration, keys,
 * the segment, the loop, the signals. See orderd.h.
 *
 *   orderd -c FILE [--cpu N]       run
 *   orderd -c FILE --check         check the configuration, print it (never a
 *                                  secret), exit
 *
 * SIGINT / SIGTERM stop the loop: the journal is closed, the sessions are
 * closed, and nothing is cancelled (open orders stay at the venue: the
 * supervisor decides).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "orderd.h"

static volatile sig_atomic_t stop_req;

static void on_stop(int sig)
{
	(void)sig;
	stop_req = 1;
}

static void usage(FILE *o)
{
	fputs("usage: orderd -c FILE [--cpu N] [--wait spin|hybrid] [--check]\n"
	      "  -c, --config FILE   the configuration ([orderd], [order.NAME], [engine], [venue.NAME],\n"
	      "                      [shm])\n"
	      "      --cpu N         pin the loop to CPU N (over [orderd] cpu)\n"
	      "      --wait MODE     the idle loop: spin or hybrid (over [orderd] wait)\n"
	      "      --check         check the configuration, print it and exit\n",
	      o);
}

int main(int argc, char **argv)
{
	static struct orderd_conf conf;
	static struct orderd d;
	static struct orderd_keys keys;
	struct kimp_daemon_args args;
	char err[768] = "";
	struct kimp_conf *kc = NULL;
	struct shm_opts so;
	int c, ret = 1;

	c = kimp_daemon_args(argc, argv, "orderd", usage, &args);
	if (c >= 0)
		return c;
	if (kimp_conf_load(args.cfg, &kc, err, sizeof(err)) ||
	    orderd_conf_load(kc, &conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(kc, &so, err, sizeof(err))) {
		fprintf(stderr, "orderd: %s\n", err);
		kimp_conf_free(kc);
		return 2;
	}
	if (args.wait_set)
		conf.wait = args.wait;
	orderd_conf_print(&conf, stdout);
	fflush(stdout);
	if (args.check) {
		printf("orderd: %s: ok\n", args.cfg);
		kimp_conf_free(kc);
		return 0;
	}
	kimp_pin_cpu("orderd", args.cpu == ~0u ? conf.cpu : args.cpu);
	kimp_stop_signals(on_stop);
	if (orderd_keys_load(&conf, &keys, err, sizeof(err))) {
		fprintf(stderr, "orderd: %s\n", err);
		goto free_conf;
	}
	if (orderd_open(&d, &conf, &keys, &so, err, sizeof(err))) {
		fprintf(stderr, "orderd: %s\n", err);
		goto free_keys;
	}
	kimp_daemon_publish_wait("orderd", d.m, conf.wait);
	printf("orderd: ready: segment %s, loop %s\n", conf.name, shm_wait_mode_name(conf.wait));
	fflush(stdout);
	orderd_run(&d, &stop_req);
	orderd_close(&d);
	fprintf(stderr, "orderd: stopped\n");
	ret = 0;
free_keys:
	orderd_keys_free(&keys);
free_conf:
	kimp_conf_free(kc);
	return ret;
}
