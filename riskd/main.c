/* SPDX-License-Identifier: MIT */
/*
 * riskd: pre-trade risk for kimp. Wires the modules: configuration, the
 * segment, the loop, the signals. See riskd.h.
 *
 *   riskd -c FILE [--cpu N]       run
 *   riskd -c FILE --check         check the configuration, print the limits, exit
 *
 * Signals: SIGUSR1 kills (halt, cancel every open order), SIGUSR2 pauses;
 * both go through the control region like kimpctl's requests. Resume is
 * kimpctl's alone. SIGINT / SIGTERM stop the loop; the state stays.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "riskd.h"

static volatile sig_atomic_t stop_req;
static volatile sig_atomic_t early_kill, early_pause; /* before the control region was mapped */
static struct kimp_risk_control *_Atomic g_ctl;

static void on_stop(int sig)
{
	(void)sig;
	stop_req = 1;
}

/* A request like kimpctl's: an atomic add on shared memory is async-signal-safe. */
static void on_usr(int sig)
{
	struct kimp_risk_control *c = atomic_load(&g_ctl);

	if (!c) {
		if (sig == SIGUSR1)
			early_kill = 1;
		else
			early_pause = 1;
		return;
	}
	atomic_fetch_add_explicit(sig == SIGUSR1 ? &c->kill_req : &c->pause_req, 1,
				  memory_order_acq_rel);
}

static void usage(FILE *o)
{
	fputs("usage: riskd -c FILE [--cpu N] [--wait spin|hybrid] [--check]\n"
	      "  -c, --config FILE   the configuration ([riskd], [risk.NAME], [engine], [venue.NAME],\n"
	      "                      [balance.NAME], [shm])\n"
	      "      --cpu N         pin the loop to CPU N\n"
	      "      --wait MODE     the idle loop: spin or hybrid (over [riskd] wait)\n"
	      "      --check         check the configuration, print the limits and exit\n"
	      "signals: SIGUSR1 kill, SIGUSR2 pause (resume: kimpctl resume)\n",
	      o);
}

int main(int argc, char **argv)
{
	static struct riskd_conf conf;
	static struct riskd d;
	struct kimp_daemon_args args;
	char err[512] = "";
	struct kimp_conf *kc = NULL;
	struct shm_opts so;
	int c, ret = 1;

	c = kimp_daemon_args(argc, argv, "riskd", usage, &args);
	if (c >= 0)
		return c;
	if (kimp_conf_load(args.cfg, &kc, err, sizeof(err)) ||
	    riskd_conf_load(kc, &conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(kc, &so, err, sizeof(err))) {
		fprintf(stderr, "riskd: %s\n", err);
		kimp_conf_free(kc);
		return 2;
	}
	/* so's paths point into kc: keep it for the run */
	if (args.wait_set)
		conf.wait = args.wait;
	riskd_conf_print(&conf, stdout);
	fflush(stdout);
	if (args.check) {
		printf("riskd: %s: ok\n", args.cfg);
		kimp_conf_free(kc);
		return 0;
	}
	kimp_pin_cpu("riskd", args.cpu == ~0u ? conf.cpu : args.cpu);

	kimp_stop_signals(on_stop);
	struct sigaction sa = { .sa_handler = on_usr };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	if (riskd_open(&d, &conf, &so, err, sizeof(err))) {
		fprintf(stderr, "riskd: %s\n", err);
		goto free_conf;
	}
	atomic_store(&g_ctl, d.ctl);
	kimp_daemon_publish_wait("riskd", d.m, conf.wait);
	/* a signal that came while the segment was being opened */
	if (early_kill)
		atomic_fetch_add(&d.ctl->kill_req, 1);
	if (early_pause)
		atomic_fetch_add(&d.ctl->pause_req, 1);
	riskd_attach_inputs(&d);
	fprintf(stderr, "riskd: %s state%s (%llu stores undone), mode %s, next client_oid %llu\n",
		d.created ? "new" : "resumed", d.created ? " seeded from the configuration" : "",
		(unsigned long long)d.recovered, kimp_risk_mode_name((unsigned)d.st->lim.mode),
		(unsigned long long)d.st->lim.next_client_oid);
	printf("riskd: ready: segment %s, loop %s\n", conf.name, shm_wait_mode_name(conf.wait));
	fflush(stdout);
	riskd_run(&d, &stop_req);
	atomic_store(&g_ctl, NULL);
	riskd_close(&d);
	fprintf(stderr, "riskd: stopped\n");
	ret = 0;
free_conf:
	kimp_conf_free(kc);
	return ret;
}
