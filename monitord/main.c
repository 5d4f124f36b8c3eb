/* SPDX-License-Identifier: MIT */
/*
 * monitord: metrics, JSON API, dashboard and WebSocket for kimp. Wires the
 * modules: configuration, the loop, the signals. See monitord.h.
 *
 *   monitord -c FILE [--cpu N]     run
 *   monitord -c FILE --check       check the configuration, print it, exit
 *
 * On start it prints "monitord: listening http 127.0.0.1:PORT ws
 * 127.0.0.1:PORT" on stdout (tests and the supervisor read the ports from
 * it). SIGINT / SIGTERM stop it.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "monitord.h"

static volatile sig_atomic_t stop_req;

static void on_stop(int sig)
{
	(void)sig;
	stop_req = 1;
}

static void usage(FILE *o)
{
	fputs("usage: monitord -c FILE [--cpu N] [--check]\n"
	      "  -c, --config FILE   the configuration ([monitord], [shm], the daemons' names)\n"
	      "      --cpu N         pin to CPU N\n"
	      "      --check         check the configuration, print it and exit\n",
	      o);
}

static void conf_print(const struct mon_conf *mc, FILE *f)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN + 8] = "(off)";

	inet_ntop(AF_INET, &mc->listen.sin_addr, a, sizeof(a));
	if (mc->ws_own) {
		inet_ntop(AF_INET, &mc->ws_listen.sin_addr, b, INET_ADDRSTRLEN);
		snprintf(b + strlen(b), sizeof(b) - strlen(b), ":%u", ntohs(mc->ws_listen.sin_port));
	}
	fprintf(f, "monitord: segment %s, listen %s:%u (with /ws), ws_listen %s, push_every %llu ms, "
		"www %s, control %s%s%s\n", mc->name, a, ntohs(mc->listen.sin_port), b,
		(unsigned long long)(mc->push_every_ns / 1000000),
		mc->www, mc->token[0] ? "enabled (token from " : "disabled (no token)",
		mc->token[0] ? mc->token_src : "", mc->token[0] ? ")" : "");
	if (mc->log_dir[0])
		fprintf(f, "monitord: log drain into %s every %llu ms, %llu bytes a file, %llu "
			"kept\n", mc->log_dir, (unsigned long long)(mc->log_drain_every_ns / 1000000),
			(unsigned long long)mc->log_max_bytes, (unsigned long long)mc->log_keep);
	else
		fputs("monitord: log drain off\n", f);
}

int main(int argc, char **argv)
{
	static struct mon_conf mc;
	struct kimp_daemon_args args;
	struct kimpctl k = { 0 };
	struct mon *m = NULL;
	char err[512] = "";
	int c, ret = 1;

	c = kimp_daemon_args(argc, argv, "monitord", usage, &args);
	if (c >= 0)
		return c;
	if (kimp_conf_load(args.cfg, &k.conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(k.conf, &k.shm, err, sizeof(err)) ||
	    mon_conf_load(k.conf, argv[0], &mc, err, sizeof(err))) {
		fprintf(stderr, "monitord: %s\n", err);
		kimp_conf_free(k.conf);
		return 2;
	}
	k.conf_path = args.cfg;
	/* the views observe: read-only maps, never pinned */
	k.shm.readonly = true;
	k.shm.mlock = false;
	conf_print(&mc, stdout);
	fflush(stdout);
	if (args.check) {
		printf("monitord: %s: ok\n", args.cfg);
		kimp_conf_free(k.conf);
		return 0;
	}
	kimp_pin_cpu("monitord", args.cpu);
	kimp_stop_signals(on_stop);
	if (mon_open(&m, &k, &mc, err, sizeof(err))) {
		fprintf(stderr, "monitord: %s\n", err);
		goto free_conf;
	}
	printf("monitord: listening http 127.0.0.1:%u ws 127.0.0.1:%u\n", mon_http_port(m),
	       mon_ws_port(m));
	fflush(stdout);
	mon_run(m, &stop_req);
	mon_close(m);
	fprintf(stderr, "monitord: stopped\n");
	ret = 0;
free_conf:
	kimp_conf_free(k.conf);
	return ret;
}
