/* SPDX-License-Identifier: MIT */
/*
 * exsim: the exchange simulator. Wires the scenario, the certificates and
 * the server; the logic lives in the files named in sim.h.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/tls.h"
#include "server.h"

static struct sim_server *the_server;

static void on_signal(int sig)
{
	if (the_server)
		sim_server_stop(the_server);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exsim [--scenario FILE] [--seed N] [--state DIR] [--ledger FILE]\n"
		"             [--replay CAPTURE [--speed X]] [--listen-file FILE] [--trace FILE]\n"
		"\n"
		"Simulates Upbit, Bithumb, Coinone, Binance, Bybit and OKX over TLS on\n"
		"127.0.0.1 and prints where each venue listens and the CA to verify them\n"
		"with. Without --scenario the built-in defaults run (Upbit and Binance;\n"
		"sim/scenarios/default.scn spells them out).\n"
		"\n"
		"  --scenario FILE    market, venues, accounts and faults (sim/scenarios/README.md)\n"
		"  --seed N           override the scenario's seed\n"
		"  --state DIR        certificates and the ledger (default: the scenario's state_dir)\n"
		"  --ledger FILE      the ground-truth ledger (default: STATE/ledger.jsonl)\n"
		"  --replay CAPTURE   replay a recorded capture to market-data subscribers\n"
		"  --speed X          replay pace: 1 recorded, 2 twice as fast, 0 flat out\n"
		"  --listen-file FILE also write the listening lines there (for scripts)\n"
		"  --trace FILE       write the latency trace there: market frames sent and\n"
		"                     orders received, with the TSC (sim/sim.h, trace.c)\n");
}

static int ensure_dir(const char *dir)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'd' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "replay", required_argument, NULL, 'r' },
		{ "speed", required_argument, NULL, 'x' },
		{ "listen-file", required_argument, NULL, 'L' },
		{ "trace", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sim_scenario sc;
	const char *scenario = NULL, *seed = NULL, *state = NULL, *ledger = NULL;
	const char *replay = NULL, *speed = NULL, *listen_file = NULL, *trace = NULL;
	struct sim_trace *tr = NULL;
	struct sim_server_cfg cfg = { .sc = &sc };
	struct sim_certs certs;
	struct sigaction sa;
	char err[512];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': scenario = optarg; break;
		case 'S': seed = optarg; break;
		case 'd': state = optarg; break;
		case 'l': ledger = optarg; break;
		case 'r': replay = optarg; break;
		case 'x': speed = optarg; break;
		case 'L': listen_file = optarg; break;
		case 'T': trace = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exsim: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (sim_scenario_load(&sc, scenario, err, sizeof(err))) {
		fprintf(stderr, "exsim: %s\n", err);
		return 1;
	}
	if (seed) {
		char *end;

		errno = 0;
		sc.seed = strtoull(seed, &end, 0);
		if (errno || *end || end == seed) {
			fprintf(stderr, "exsim: --seed '%s': not a number\n", seed);
			return 2;
		}
	}
	if (state)
		snprintf(sc.state_dir, sizeof(sc.state_dir), "%s", state);
	if (ledger)
		snprintf(sc.ledger_path, sizeof(sc.ledger_path), "%s", ledger);
	else if (!sc.ledger_path[0] &&
		 (size_t)snprintf(sc.ledger_path, sizeof(sc.ledger_path), "%.240s/ledger.jsonl",
				  sc.state_dir) >= sizeof(sc.ledger_path)) {
		fprintf(stderr, "exsim: state directory path too long\n");
		return 2;
	}
	if (replay)
		snprintf(sc.replay_path, sizeof(sc.replay_path), "%s", replay);
	if (trace && (size_t)snprintf(sc.trace_path, sizeof(sc.trace_path), "%s", trace) >=
		     sizeof(sc.trace_path)) {
		fprintf(stderr, "exsim: --trace '%s': path too long\n", trace);
		return 2;
	}
	if (speed) {
		char *end;

		sc.replay_speed = strtod(speed, &end);
		if (*end || end == speed || sc.replay_speed < 0) {
			fprintf(stderr, "exsim: --speed '%s': not a non-negative number\n", speed);
			return 2;
		}
	}
	ret = ensure_dir(sc.state_dir);
	if (ret) {
		fprintf(stderr, "exsim: state directory '%s': %s\n", sc.state_dir, strerror(-ret));
		return 1;
	}
	if (sim_certs_ensure(sc.state_dir, &certs, err, sizeof(err))) {
		fprintf(stderr, "exsim: certificates: %s\n", err);
		return 1;
	}
	cfg.ca_path = certs.ca;
	cfg.cert_path = certs.cert;
	cfg.key_path = certs.key;
	net_tls_pool_install();
	ret = sim_server_new(&the_server, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "exsim: %s\n", err);
		return 1;
	}
	if (sc.trace_path[0]) {
		ret = sim_trace_open(&tr, sc.trace_path, &sc, 0);
		if (ret) {
			fprintf(stderr, "exsim: trace '%s': %s\n", sc.trace_path, strerror(-ret));
			sim_server_free(the_server);
			return 1;
		}
		sim_server_exch(the_server)->trace = tr;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (listen_file) {
		FILE *f = fopen(listen_file, "w");

		if (!f) {
			fprintf(stderr, "exsim: --listen-file '%s': %s\n", listen_file,
				strerror(errno));
			sim_trace_close(tr);
			sim_server_free(the_server);
			return 1;
		}
		sim_server_print(the_server, f);
		fprintf(f, "exsim: ready\n");
		fclose(f);
	}
	sim_server_print(the_server, stdout);
	printf("exsim: ready (seed %llu, %s)\n", (unsigned long long)sc.seed,
	       sc.path[0] ? sc.path : "built-in scenario");
	fflush(stdout);
	ret = sim_server_run(the_server);
	if (tr) {
		int te;

		sim_server_exch(the_server)->trace = NULL;
		te = sim_trace_close(tr);
		if (te)
			fprintf(stderr, "exsim: trace '%s': %s\n", sc.trace_path, strerror(-te));
		if (te && !ret)
			ret = te;
	}
	sim_server_free(the_server);
	if (ret) {
		fprintf(stderr, "exsim: loop: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
