/* SPDX-License-Identifier: MIT */
/*
 * net_bench: WebSocket over TLS on loopback, messages per second and CPU per
 * message received by our client and by libwebsockets' from the same
 * server; HTTP round trips over a warm TLS keep-alive connection, our client
 * against curl and Python's http.client. Several rounds, clients
 * interleaved (each round starts with a different one); the report is the
 * median over rounds of every figure.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net_bench.h"
#include "../common/bench_util.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: net_bench [options]\n"
"  --ci              short form: 3 rounds of 200000 messages, 5000 round trips\n"
"  --rounds N        rounds, clients interleaved (default 5)\n"
"  --ws-msgs N       messages per WebSocket run (default 1000000)\n"
"  --http N          measured round trips per HTTP run (default 20000)\n"
"  --http-warm N     unmeasured round trips first (default 1000)\n"
"  --python N        measured round trips for Python (default 5000)\n"
"  --cpus A,B        server and client CPU (default 0,1)\n"
"  --timeout S       seconds one client run may take (default 120)\n"
"  --lws PATH        the libwebsockets client (default: net_bench_lws beside\n"
"                    this binary)\n"
"  --no-lws          skip libwebsockets\n"
"  --no-refs         skip curl and Python\n"
"  --json PATH       write every figure as JSON to PATH\n"
"  --commit STR      source revision, recorded in the JSON\n");
}

static void cfg_defaults(void *cv, bool ci)
{
	struct nb_cfg *c = cv;
	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->rounds = ci ? 3 : 5;
	c->ws_n = ci ? 200000 : 1000000;
	c->http_n = ci ? 5000 : 20000;
	c->http_warm = ci ? 500 : 1000;
	c->py_n = ci ? 2000 : 5000;
	c->cpu[0] = 0;
	c->cpu[1] = 1;
	c->timeout_s = 120;
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_ROUNDS, OPT_WS, OPT_HTTP, OPT_HTTP_WARM, OPT_PY, OPT_CPUS,
	OPT_TIMEOUT, OPT_LWS, OPT_NO_LWS, OPT_NO_REFS, OPT_JSON, OPT_COMMIT,
};

static const struct option nb_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "ws-msgs", required_argument, NULL, OPT_WS },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "http-warm", required_argument, NULL, OPT_HTTP_WARM },
	{ "python", required_argument, NULL, OPT_PY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "lws", required_argument, NULL, OPT_LWS },
	{ "no-lws", no_argument, NULL, OPT_NO_LWS },
	{ "no-refs", no_argument, NULL, OPT_NO_REFS },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(void *cv, int opt, const char *arg)
{
	struct nb_cfg *c = cv;
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case OPT_CI:
		return 0;   /* taken in the first pass */
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, NB_MAX_ROUNDS, &v);
		c->rounds = (unsigned)v;
		break;
	case OPT_WS:
		err = bu_parse_u64(arg, 1000, 1ull << 32, &c->ws_n);
		break;
	case OPT_HTTP:
		err = bu_parse_u64(arg, 100, 1ull << 24, &c->http_n);
		break;
	case OPT_HTTP_WARM:
		err = bu_parse_u64(arg, 0, 1ull << 24, &c->http_warm);
		break;
	case OPT_PY:
		err = bu_parse_u64(arg, 100, 1ull << 24, &c->py_n);
		break;
	case OPT_CPUS:
		err = bu_parse_cpus(arg, c->cpu);
		break;
	case OPT_TIMEOUT:
		err = bu_parse_u64(arg, 1, 86400, &v);
		c->timeout_s = (unsigned)v;
		break;
	case OPT_LWS:
		c->lws_bin = arg;
		break;
	case OPT_NO_LWS:
		c->no_lws = true;
		break;
	case OPT_NO_REFS:
		c->no_refs = true;
		break;
	case OPT_JSON:
		c->json_path = arg;
		break;
	case OPT_COMMIT:
		c->commit = arg;
		break;
	default:
		return -EINVAL;
	}
	return err;
}

/* net_bench_lws beside our own binary. */
static const char *lws_default(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n <= 0)
		return "net_bench_lws";
	path[n] = 0;
	slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, 32, "net_bench_lws");
	return path;
}

static int parse_args(struct nb_cfg *c, int argc, char **argv)
{
	const struct bu_args a = {
		.prog = "net_bench", .opts = nb_opts, .first_opt = OPT_CI, .cfg = c,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	int err = bu_parse_args(&a, argc, argv);

	if (err)
		return err;
	if (!c->lws_bin)
		c->lws_bin = lws_default();
	if (!c->no_lws && access(c->lws_bin, X_OK)) {
		fprintf(stderr, "net_bench: %s is not an executable (make %s, or --no-lws)\n",
			c->lws_bin, "build/bench/net_bench_lws");
		return -ENOENT;
	}
	return 0;
}

/* ---- statistics ------------------------------------------------------------- */

/* Nearest rank on sorted samples. */

/* Sort n samples in ns; the summary in microseconds. */
void nb_lat_from(struct nb_lat *l, uint64_t *ns, uint64_t n)
{
	double sum = 0;

	l->n = n;
	if (!n) {
		l->p50 = l->p99 = l->p999 = l->max = l->mean = NAN;
		return;
	}
	qsort(ns, n, sizeof(*ns), bu_u64_cmp);
	for (uint64_t i = 0; i < n; i++)
		sum += (double)ns[i];
	l->p50 = (double)bu_quantile(ns, n, 0.50) / 1e3;
	l->p99 = (double)bu_quantile(ns, n, 0.99) / 1e3;
	l->p999 = (double)bu_quantile(ns, n, 0.999) / 1e3;
	l->max = (double)ns[n - 1] / 1e3;
	l->mean = sum / (double)n / 1e3;
}

/* ---- rounds ---------------------------------------------------------------------- */

static void disturbed(const uint64_t others_ms[2], uint64_t wall_ms, uint64_t steal_ms)
{
	if (nb_disturbed(others_ms, wall_ms))
		fprintf(stderr, " [other tasks took ~%llu/%llu ms of the server/client CPU]",
			(unsigned long long)others_ms[0], (unsigned long long)others_ms[1]);
	if (steal_ms)
		fprintf(stderr, " [hypervisor stole ~%llu ms]", (unsigned long long)steal_ms);
	fputc('\n', stderr);
}

static void ws_progress(unsigned round, enum nb_ws_kind k, const struct nb_ws_fig *f)
{
	fprintf(stderr, "  round %u ws   %-18s %9.0f msg/s  %6.0f CPU ns/msg  CPU %3.0f%%  "
		"server queue full %3.0f%%", round + 1, nb_ws_names[k], f->mps, f->cpu_ns,
		f->share * 100, f->srv_stall * 100);
	if (k == WS_KIMP_SPIN && f->share < NB_SHARE_OK)
		fprintf(stderr, " [disturbed: got %.0f%% of its CPU]", f->share * 100);
	disturbed(f->others_ms, f->run_ms, f->steal_ms);
}

static void http_progress(unsigned round, enum nb_http_kind k, const struct nb_http_fig *f)
{
	fprintf(stderr, "  round %u http %-18s p50 %7.1f us  p99 %7.1f us  p99.9 %7.1f us  "
		"max %8.1f us", round + 1, nb_http_names[k], f->rtt.p50, f->rtt.p99,
		f->rtt.p999, f->rtt.max);
	disturbed(f->others_ms, f->run_ms, f->steal_ms);
}

/* A reference that fails is reported and dropped; ours failing ends the run. */
static int run_rounds(const struct nb_cfg *c, const struct nb_certs *certs,
		      struct nb_server *srv, struct nb_results *r)
{
	struct nb_ws_fig warm;
	int err;

	for (int k = 0; k < WS_NR; k++)
		r->ws_ran[k] = k != WS_LWS || !c->no_lws;
	for (int k = 0; k < H_NR; k++)
		r->http_ran[k] = nb_http_available(c, k);

	/* unmeasured: an idle vCPU takes a while to get going */
	err = nb_ws_run(c, certs, srv, WS_KIMP_SPIN, &warm, &r->info);
	if (err)
		return err;
	if (r->ws_ran[WS_LWS] && nb_ws_run(c, certs, srv, WS_LWS, &warm, &r->info))
		r->ws_ran[WS_LWS] = false;

	for (unsigned rd = 0; rd < c->rounds; rd++) {
		for (int i = 0; i < WS_NR; i++) {
			int k = (int)((rd + (unsigned)i) % WS_NR);
			struct nb_ws_fig *f = &r->ws[rd][k];

			if (!r->ws_ran[k])
				continue;
			err = nb_ws_run(c, certs, srv, k, f, &r->info);
			if (err && k != WS_LWS)
				return err;
			if (err)
				r->ws_ran[k] = false;
			else
				ws_progress(rd, k, f);
		}
		for (int i = 0; i < H_NR; i++) {
			int k = (int)((rd + (unsigned)i) % H_NR);
			struct nb_http_fig *f = &r->http[rd][k];

			if (!r->http_ran[k])
				continue;
			err = nb_http_run(c, certs, srv, k, f, &r->info);
			if (err && k != H_CURL && k != H_PYTHON)
				return err;
			if (err)
				r->http_ran[k] = false;
			else
				http_progress(rd, k, f);
		}
		r->rounds_done = rd + 1;
	}
	return 0;
}

static int check_cpus(const struct nb_cfg *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	if (n < 2) {
		fprintf(stderr, "net_bench: needs 2 online CPUs, has %ld\n", n);
		return -ENODEV;
	}
	/* the parent only waits: keep it off the client's CPU */
	err = nb_pin(c->cpu[0]);
	if (err)
		fprintf(stderr, "net_bench: pin to CPU %d: %s\n", c->cpu[0], strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct nb_server srv = { .pid = 0, .res_fd = -1 };
	struct nb_certs certs = { .dir = "" };
	struct nb_results *r = NULL;
	struct nb_cfg cfg;
	int err;

	if (parse_args(&cfg, argc, argv))
		return 2;
	if (check_cpus(&cfg) || nb_signals())
		return 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->cfg = &cfg;
	err = nb_certs_make(&certs);
	if (err)
		goto out;
	err = nb_server_start(&cfg, &certs, &srv);
	if (err) {
		fprintf(stderr, "net_bench: server: %s\n", strerror(-err));
		goto out;
	}
	fprintf(stderr, "net_bench: %u rounds, server on CPU %d, clients on CPU %d, "
		"%llu messages per WS run, %llu round trips per HTTP run\n", cfg.rounds,
		cfg.cpu[0], cfg.cpu[1], (unsigned long long)cfg.ws_n,
		(unsigned long long)cfg.http_n);
	err = run_rounds(&cfg, &certs, &srv, r);
	nb_server_stop(&srv);
	if (err)
		goto out;
	nb_medians(r);
	nb_print(r);
	if (cfg.json_path)
		err = nb_json(r);
out:
	nb_server_stop(&srv);
	nb_certs_free(&certs);
	free(r);
	return err ? 1 : 0;
}
