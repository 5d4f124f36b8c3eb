/* SPDX-License-Identifier: MIT */
/*
 * feedd: market data for kimp. Wires the modules: configuration, the feeds,
 * the loop. See feedd.h.
 *
 *   feedd -c FILE [--cpu N]       run
 *   feedd -c FILE --check         check the configuration and exit
 *   feedd --decode VENUE [--px-dec N] [--qty-dec N]
 *                                 raw messages (or capture lines) on stdin,
 *                                 normalized events as JSON lines on stdout
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "kimp/tsc.h"
#include "feedd.h"

static volatile sig_atomic_t stop_req;

static void on_signal(int sig)
{
	(void)sig;
	stop_req = 1;
}

static void usage(FILE *o)
{
	fputs("usage: feedd -c FILE [--cpu N] [--wait spin|hybrid] [--check]\n"
	      "       feedd --decode VENUE [--px-dec N] [--qty-dec N] < messages\n"
	      "  -c, --config FILE   the configuration ([engine], [feedd], [venue.NAME])\n"
	      "      --cpu N         pin the loop to CPU N\n"
	      "      --wait MODE     spin (never sleep) or hybrid (sleep in io_uring): over\n"
	      "                      [feedd] spin\n"
	      "      --check         check the configuration and exit\n"
	      "      --decode VENUE  decode raw messages (one per line) from stdin\n",
	      o);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "wait", required_argument, NULL, 'w' },
		{ "decode", required_argument, NULL, 'd' },
		{ "px-dec", required_argument, NULL, 'p' },
		{ "qty-dec", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = NULL, *decode = NULL;
	unsigned cpu = ~0u, px_dec = 8, qty_dec = 8;
	bool check = false, wait_set = false;
	enum shm_wait_mode wait = SHM_WAIT_HYBRID;
	char err[512] = "";
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg = optarg; break;
		case 'k': check = true; break;
		case 'd': decode = optarg; break;
		case 'w':
			if (kimp_daemon_wait_arg("feedd", optarg, &wait))
				return 2;
			wait_set = true;
			break;
		case 'C':
			if (kimp_parse_uint(optarg, 4095, &cpu)) {
				fprintf(stderr, "feedd: --cpu: '%s' is not a CPU number\n", optarg);
				return 2;
			}
			break;
		case 'p':
		case 'q':
			if (kimp_parse_uint(optarg, VENUE_DEC_MAX, c == 'p' ? &px_dec : &qty_dec)) {
				fprintf(stderr, "feedd: --%s: 0..%d\n", c == 'p' ? "px-dec" : "qty-dec",
					VENUE_DEC_MAX);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "feedd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (decode) {
		if (feedd_decode_stream(decode, stdin, stdout, px_dec, qty_dec, err, sizeof(err))) {
			fprintf(stderr, "feedd: %s\n", err);
			return 2;
		}
		return 0;
	}
	if (!cfg) {
		usage(stderr);
		return 2;
	}

	struct kimp_conf *kc = NULL;
	static struct feedd_conf conf;
	struct shm_opts so;
	if (kimp_conf_load(cfg, &kc, err, sizeof(err)) ||
	    feedd_conf_load(kc, &conf, err, sizeof(err)) ||
	    kimp_shm_opts_conf(kc, &so, err, sizeof(err))) {
		fprintf(stderr, "feedd: %s\n", err);
		kimp_conf_free(kc);
		return 2;
	}
	/* the paths point into kc: keep it for the run */
	if (wait_set)
		conf.spin = wait == SHM_WAIT_SPIN;
	if (check) {
		printf("feedd: %s: %u venue(s) ok\n", cfg, conf.nfeeds);
		kimp_conf_free(kc);
		return 0;
	}
	kimp_pin_cpu("feedd", cpu == ~0u ? conf.cpu : cpu);

	kimp_stop_signals(on_signal);

	static struct feedd fd;
	if (feedd_open(&fd, &conf, &so, err, sizeof(err))) {
		fprintf(stderr, "feedd: %s\n", err);
		return 1;
	}
	if (feedd_start(&fd, err, sizeof(err))) {
		fprintf(stderr, "feedd: %s\n", err);
		feedd_close(&fd);
		return 1;
	}
	kimp_daemon_publish_wait("feedd", fd.metrics, conf.spin ? SHM_WAIT_SPIN : SHM_WAIT_HYBRID);
	fprintf(stderr, "feedd: %s: %u venue(s), %u book(s), segment %s, loop %s\n", cfg,
		conf.nfeeds, fd.nbooks, conf.name, conf.spin ? "spinning" : "waiting");
	while (!stop_req) {
		int n = feedd_poll(&fd, conf.spin ? 0 : 50000000ull);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "feedd: loop: %s\n", strerror(-n));
			break;
		}
	}
	feedd_close(&fd);
	kimp_conf_free(kc);
	fprintf(stderr, "feedd: stopped\n");
	return 0;
}
