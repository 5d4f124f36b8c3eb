/* SPDX-License-Identifier: MIT */
/*
 * order_bench: what orderd costs per order (obench.h). First the
 * in-process part (inproc.c) on cpu[0], rounds outermost; the reference
 * Python pipeline and our snippet of its signing lines between rounds of
 * nothing else, pinned to the same core; then the daemon part (daemon.c):
 * exsim and the real orderd, the bench playing riskd. A round's figures
 * are its samples' p50, p99, p99.9, max and mean; the result is the
 * median of each over rounds (runs for the daemon). Figures never fail the
 * run; the goal (well beyond 10,000 orders/s, toward 100,000) is printed
 * beside what was measured.
 *
 * Usage: order_bench [--ci] [--cpus A,B] [--rounds N] [--iters N] [--warmup N]
 *                    [--sync-iters N] [--journal-dir DIR] [--no-tls]
 *                    [--python PATH] [--py-iters N] [--py-runs N] [--no-python]
 *                    [--exsim PATH] [--orderd PATH] [--no-daemon] [--runs N]
 *                    [--paced-rate N] [--paced-s S] [--load-s S]
 *                    [--window-binance N] [--window-upbit N] [--rest-pipeline N]
 *                    [--upbit-conns N]
 *                    [--json PATH] [--commit ID] [--orderd-wait hybrid|spin]
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "obench.h"
#include "../common/bench_util.h"

enum {
	O_CI = 256, O_CPUS, O_ROUNDS, O_ITERS, O_WARMUP, O_SYNC_ITERS, O_JDIR, O_NO_TLS,
	O_PYTHON, O_PY_ITERS, O_PY_RUNS, O_NO_PYTHON, O_EXSIM, O_ORDERD, O_NO_DAEMON, O_RUNS,
	O_PACED_RATE, O_PACED_S, O_LOAD_S, O_JSON, O_COMMIT, O_WAIT, O_WIN_B, O_WIN_U, O_PIPE,
	O_UCONNS,
};

static const struct option opts[] = {
	{ "ci", no_argument, NULL, O_CI },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "rounds", required_argument, NULL, O_ROUNDS },
	{ "iters", required_argument, NULL, O_ITERS },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "sync-iters", required_argument, NULL, O_SYNC_ITERS },
	{ "journal-dir", required_argument, NULL, O_JDIR },
	{ "no-tls", no_argument, NULL, O_NO_TLS },
	{ "python", required_argument, NULL, O_PYTHON },
	{ "py-iters", required_argument, NULL, O_PY_ITERS },
	{ "py-runs", required_argument, NULL, O_PY_RUNS },
	{ "no-python", no_argument, NULL, O_NO_PYTHON },
	{ "exsim", required_argument, NULL, O_EXSIM },
	{ "orderd", required_argument, NULL, O_ORDERD },
	{ "no-daemon", no_argument, NULL, O_NO_DAEMON },
	{ "runs", required_argument, NULL, O_RUNS },
	{ "paced-rate", required_argument, NULL, O_PACED_RATE },
	{ "paced-s", required_argument, NULL, O_PACED_S },
	{ "load-s", required_argument, NULL, O_LOAD_S },
	{ "window-binance", required_argument, NULL, O_WIN_B },
	{ "window-upbit", required_argument, NULL, O_WIN_U },
	{ "rest-pipeline", required_argument, NULL, O_PIPE },
	{ "upbit-conns", required_argument, NULL, O_UCONNS },
	{ "json", required_argument, NULL, O_JSON },
	{ "commit", required_argument, NULL, O_COMMIT },
	{ "orderd-wait", required_argument, NULL, O_WAIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: order_bench [--ci] [--cpus A,B] [--rounds N] [--iters N] [--warmup N]\n"
		"                   [--sync-iters N] [--journal-dir DIR] [--no-tls]\n"
		"                   [--python PATH] [--py-iters N] [--py-runs N] [--no-python]\n"
		"                   [--exsim PATH] [--orderd PATH] [--no-daemon] [--runs N]\n"
		"                   [--paced-rate N] [--paced-s S] [--load-s S]\n"
		"                   [--window-binance N] [--window-upbit N] [--rest-pipeline N]\n"
		"                   [--upbit-conns N]\n"
		"                   [--json PATH] [--commit ID] [--orderd-wait hybrid|spin]\n"
		"\n"
		"What orderd costs per order. In process, on CPU A: journal append, request build\n"
		"and signing, WebSocket frame, TLS record sealing, per venue (ns p50/p99/p99.9),\n"
		"beside the reference Python pipeline ($KIMP_BASELINES/python_pipeline.py, default\n"
		"../shared/baselines). Then the real orderd (pinned to A) against exsim (pinned\n"
		"to B), the bench playing riskd: intent-to-send from orderd's own histograms at\n"
		"a paced rate, and sustained signed orders per second in a closed loop: per venue\n"
		"at most a window of orders between the push and the order's final report, so\n"
		"orderd sends every order it is offered (refusals are counted, and should be 0).\n"
		"\n"
		"  --ci             short: 3 rounds of 20000 orders, Python once, 1 daemon run\n"
		"                   of 2 s paced + 3 s closed loop (default 9 rounds of 200000,\n"
		"                   Python 3 times, 3 daemon runs of 5 s + 5 s)\n"
		"  --cpus A,B       the two CPUs (default 0,1)\n"
		"  --rounds N       in-process rounds (1-%d)\n"
		"  --iters N        timed orders per case and round\n"
		"  --warmup N       untimed orders before them (default iters / 10)\n"
		"  --sync-iters N   journal_sync = always: append+msync per round (0: skip)\n"
		"  --journal-dir D  where the temp journals go (default /var/tmp)\n"
		"  --no-tls         leave TLS record sealing out\n"
		"  --python PATH    the interpreter (default /usr/bin/python3)\n"
		"  --py-iters N     ticks per Python run\n"
		"  --py-runs N      Python runs (1-%d)\n"
		"  --no-python      leave the Python reference out\n"
		"  --exsim PATH     exsim binary (the daemon part)\n"
		"  --orderd PATH    orderd binary (the daemon part)\n"
		"  --no-daemon      leave the daemon part out\n"
		"  --runs N         daemon runs, each a fresh exsim and orderd (1-%d)\n"
		"  --paced-rate N   orders per second of the paced run (default 1000)\n"
		"  --paced-s S      paced run length, seconds\n"
		"  --load-s S       closed-loop length, seconds\n"
		"  --window-binance N  Binance orders outstanding at most (default 128; orderd\n"
		"                   keeps 256 ws-api requests in flight at most, and an order\n"
		"                   can be done, by its stream report, before its reply)\n"
		"  --window-upbit N    Upbit orders outstanding at most (default half of\n"
		"                   upbit-conns x rest-pipeline, for the same reason)\n"
		"  --rest-pipeline N   orderd's [order.NAME] rest_pipeline (default 8, 1..8)\n"
		"  --upbit-conns N  orderd's [order.upbit] rest_conns (default 8, 1..8)\n"
		"  --json PATH      write the results there\n"
		"  --commit ID      the commit measured, for the results\n"
		"  --orderd-wait W  orderd's [orderd] wait: hybrid (its default) or spin\n",
		OB_MAX_ROUNDS, OB_MAX_PY, OB_MAX_RUNS);
}

static void defaults(void *p, bool ci)
{
	struct ob_cfg *c = p;
	const char *b = getenv("KIMP_BASELINES");

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->cpu[0] = 0;
	c->cpu[1] = 1;
	c->rounds = ci ? 3 : 9;
	c->iters = ci ? 20000 : 200000;
	c->warmup = c->iters / 10;
	c->sync_iters = ci ? 200 : 2000;
	c->journal_dir = "/var/tmp";
	c->baselines = b && *b ? b : "../shared/baselines";
	c->python = "/usr/bin/python3";
	c->py_iters = ci ? 20000 : 200000;
	c->py_runs = ci ? 1 : 3;
	c->runs = ci ? 1 : 3;
	c->paced_rate = 1000;
	c->paced_s = ci ? 2 : 5;
	c->load_s = ci ? 3 : 5;
	c->window[0] = 128;
	c->window[1] = 0;       /* from the conns and the pipeline, after parsing */
	c->rest_pipeline = 8;
	c->upbit_conns = 8;
	c->start_timeout_s = 30;
	c->commit = "unknown";
	c->orderd_wait = "hybrid";
}

static int parse_secs(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0.2 && v <= 600))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse(void *p, int opt, const char *arg)
{
	struct ob_cfg *c = p;
	static bool warmup_set;
	uint64_t v;
	int e = 0;

	switch (opt) {
	case O_CI:
		break;
	case O_CPUS:
		e = bu_parse_cpus(arg, c->cpu);
		break;
	case O_ROUNDS:
		if (!(e = bu_parse_u64(arg, 1, OB_MAX_ROUNDS, &v)))
			c->rounds = (unsigned)v;
		break;
	case O_ITERS:
		if (!(e = bu_parse_u64(arg, 1, OB_ITERS_MAX, &c->iters)) && !warmup_set)
			c->warmup = c->iters / 10;
		break;
	case O_WARMUP:
		e = bu_parse_u64(arg, 0, OB_ITERS_MAX, &c->warmup);
		warmup_set = true;
		break;
	case O_SYNC_ITERS:
		e = bu_parse_u64(arg, 0, 1000000, &c->sync_iters);
		break;
	case O_JDIR:
		c->journal_dir = arg;
		break;
	case O_NO_TLS:
		c->no_tls = true;
		break;
	case O_PYTHON:
		c->python = arg;
		break;
	case O_PY_ITERS:
		e = bu_parse_u64(arg, 1000, 100000000, &c->py_iters);
		break;
	case O_PY_RUNS:
		if (!(e = bu_parse_u64(arg, 1, OB_MAX_PY, &v)))
			c->py_runs = (unsigned)v;
		break;
	case O_NO_PYTHON:
		c->no_python = true;
		break;
	case O_EXSIM:
		c->exsim = arg;
		break;
	case O_ORDERD:
		c->orderd = arg;
		break;
	case O_NO_DAEMON:
		c->no_daemon = true;
		break;
	case O_RUNS:
		if (!(e = bu_parse_u64(arg, 1, OB_MAX_RUNS, &v)))
			c->runs = (unsigned)v;
		break;
	case O_PACED_RATE:
		e = bu_parse_u64(arg, 1, 1000000, &c->paced_rate);
		break;
	case O_PACED_S:
		e = parse_secs(arg, &c->paced_s);
		break;
	case O_LOAD_S:
		e = parse_secs(arg, &c->load_s);
		break;
	case O_WIN_B:
		e = bu_parse_u64(arg, 1, 4000, &c->window[0]);
		break;
	case O_WIN_U:
		e = bu_parse_u64(arg, 1, 4000, &c->window[1]);
		break;
	case O_PIPE:
		e = bu_parse_u64(arg, 1, 8, &c->rest_pipeline);
		break;
	case O_UCONNS:
		e = bu_parse_u64(arg, 1, 8, &c->upbit_conns);
		break;
	case O_JSON:
		c->json_path = arg;
		break;
	case O_COMMIT:
		c->commit = arg;
		break;
	case O_WAIT:
		if (strcmp(arg, "spin") && strcmp(arg, "hybrid"))
			e = -EINVAL;
		c->orderd_wait = arg;
		break;
	default:
		e = -EINVAL;
	}
	return e;
}

static void py_medians(struct ob_py_res *py)
{
	double a[OB_MAX_PY], b[OB_MAX_PY], cc[OB_MAX_PY];

	for (unsigned i = 0; i < py->runs; i++) {
		a[i] = py->pipe[i].p50_us;
		b[i] = py->pipe[i].p99_us;
		cc[i] = py->pipe[i].p999_us;
	}
	py->pipe_p50 = bu_median(a, py->runs);
	py->pipe_p99 = bu_median(b, py->runs);
	py->pipe_p999 = bu_median(cc, py->runs);
	for (unsigned i = 0; i < py->runs; i++) {
		a[i] = py->sign[i].p50_us;
		b[i] = py->sign[i].p99_us;
		cc[i] = py->sign[i].p999_us;
	}
	py->sign_p50 = bu_median(a, py->runs);
	py->sign_p99 = bu_median(b, py->runs);
	py->sign_p999 = bu_median(cc, py->runs);
}

static int run_python(const struct ob_cfg *cfg, struct ob_py_res *py)
{
	char script[1024];
	int e;

	ob_python_script(cfg, script, sizeof(script));
	if (access(script, R_OK)) {
		fprintf(stderr, OB_PROG ": no reference pipeline at %s (KIMP_BASELINES; "
			"--no-python leaves it out)\n", script);
		return -ENOENT;
	}
	py->ran = true;
	ob_python_version(cfg, py->version, sizeof(py->version));
	for (unsigned i = 0; i < cfg->py_runs; i++) {
		e = ob_python_pipe(cfg, &py->pipe[i]);
		if (!e)
			e = ob_python_sign(cfg, &py->sign[i]);
		if (e)
			return e;
		py->runs = i + 1;
	}
	py_medians(py);
	py->ok = true;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ob_cfg cfg;
	static struct ob_results res;
	const struct bu_args args = {
		.prog = OB_PROG, .opts = opts, .first_opt = O_CI, .cfg = &cfg,
		.defaults = defaults, .parse = parse, .usage = usage,
	};
	int err;

	if (bu_parse_args(&args, argc, argv))
		return 2;
	if (!cfg.window[1]) {
		cfg.window[1] = cfg.upbit_conns * cfg.rest_pipeline / 2;
		if (!cfg.window[1])
			cfg.window[1] = 1;
	}
	if (!cfg.no_daemon && (!cfg.exsim || !cfg.orderd)) {
		fprintf(stderr, OB_PROG ": the daemon part needs --exsim and --orderd "
			"(or --no-daemon)\n");
		return 2;
	}
	if (bu_signals(OB_PROG))
		return 1;
	res.cfg = &cfg;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(OB_PROG ": in process on CPU %d: %u rounds of %llu orders per case\n", cfg.cpu[0],
	       cfg.rounds, (unsigned long long)cfg.iters);
	err = ob_inproc_run(&cfg, &res);
	if (err)
		return 1;
	if (!cfg.no_python) {
		printf(OB_PROG ": the Python reference, %u run(s) of %llu ticks\n", cfg.py_runs,
		       (unsigned long long)cfg.py_iters);
		if (run_python(&cfg, &res.py))
			return 1;
	}
	if (!cfg.no_daemon) {
		printf(OB_PROG ": orderd on CPU %d against exsim on CPU %d, %u run(s)\n", cfg.cpu[0],
		       cfg.cpu[1], cfg.runs);
		err = ob_daemon_run(&cfg, &res.d);
		if (err && err != -ENOSYS) {
			if (cfg.json_path)
				bu_json_file(OB_PROG, cfg.json_path, ob_json, &res);
			return 1;
		}
	}
	ob_print(stdout, &res);
	if (cfg.json_path && bu_json_file(OB_PROG, cfg.json_path, ob_json, &res))
		return 1;
	return 0;
}
