/* SPDX-License-Identifier: MIT */
/*
 * strat_bench: what stratd's md path (event to intents) and riskd's intent
 * path (intent to order) cost per message, and the reference Python
 * pipeline's per-tick latency in the same run.
 *
 * One thread, pinned to one core, runs both daemons in process on real
 * segments in a private directory (world.c) and calls each daemon's own
 * loop turn (stratd_poll, riskd_poll) with one input message waiting.
 * Each call is timed with the TSC (rdtscp on both sides; the calibration
 * of the daemon's own segment converts), one sample per call. Four paths
 * (sbench.h), each prepared once; then per round and path (the order
 * rotating by round): untimed warm-up calls, then the timed calls, every
 * one checked and the state put back (strat.c, risk.c). A round's figures
 * are its samples' p50, p99, p99.9, max and mean; the result is the median
 * of each over rounds. The Python pipeline runs between rounds, pinned to
 * the same core; its percentiles are the medians over its runs, and the
 * ratios are Python's / ours (above 1: ours is faster).
 *
 * Usage: strat_bench [--ci] [--cpu N] [--rounds N] [--iters N] [--warmup N]
 *                    [--python PATH] [--py-iters N] [--py-runs N] [--no-python]
 *                    [--tmp DIR] [--json PATH] [--commit ID]
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kimp/tsc.h"
#include "sbench.h"
#include "../common/bench_util.h"

const char *const sb_path_name[SB_NPATHS] = {
	"stratd.mean", "stratd.entry", "riskd.approved", "riskd.rejected",
};

const char *const sb_path_what[SB_NPATHS] = {
	"stratd_poll with an md event (upbit BTC top): the premium within a deviation of its "
	"mean; model sample, no trade",
	"stratd_poll with an md event (upbit ETH top): the premium ~1% off its mean; both "
	"directions walked, the pair sized and opened, 2 intents pushed",
	"riskd_poll with an intent (binance BTC buy 0.01 at the ask): every check passes; "
	"order and verdict pushed",
	"riskd_poll with an intent (binance ETH sell 0.1, none held): rejected at the last "
	"check (BALANCE); verdict pushed",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: strat_bench [--ci] [--cpu N] [--rounds N] [--iters N] [--warmup N]\n"
		"                   [--python PATH] [--py-iters N] [--py-runs N] [--no-python]\n"
		"                   [--tmp DIR] [--json PATH] [--commit ID]\n"
		"\n"
		"ns per message for stratd's md path and riskd's intent path, called in process on\n"
		"real segments, one thread on one core; the reference Python pipeline\n"
		"($KIMP_BASELINES/python_pipeline.py, default ../shared/baselines) in the same run.\n"
		"\n"
		"  --ci             the short form: 3 rounds of 5000 calls, Python once for 20000\n"
		"                   ticks (default 21 rounds of 100000 calls, Python 5 times 200000)\n"
		"  --cpu N          the core (default: the last one this process may use)\n"
		"  --rounds N       rounds (1-%d)\n"
		"  --iters N        timed calls per path and round\n"
		"  --warmup N       untimed calls before them (default iters / 10)\n"
		"  --python PATH    the interpreter (default /usr/bin/python3)\n"
		"  --py-iters N     ticks per Python run\n"
		"  --py-runs N      Python runs (1-%d)\n"
		"  --no-python      leave the Python pipeline out\n"
		"  --tmp DIR        where the private segment directory goes (default /dev/shm)\n"
		"  --json PATH      write the results there\n"
		"  --commit ID      the commit measured, for the results\n",
		SB_MAX_ROUNDS, SB_MAX_PY);
}

static int last_cpu(void)
{
	cpu_set_t set;
	int cpu = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	return cpu;
}

static void cfg_defaults(void *cv, bool ci)
{
	struct sb_cfg *c = cv;
	const char *b = getenv("KIMP_BASELINES");

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->cpu = last_cpu();
	c->rounds = ci ? 3 : 21;
	c->iters = ci ? 5000 : 100000;
	c->warmup = c->iters / 10;
	c->baselines = b && *b ? b : "../shared/baselines";
	c->python = "/usr/bin/python3";
	c->py_iters = ci ? 20000 : 200000;
	c->py_runs = ci ? 1 : 5;
	c->tmp_parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_CPU, OPT_ROUNDS, OPT_ITERS, OPT_WARMUP, OPT_PYTHON, OPT_PY_ITERS,
	OPT_PY_RUNS, OPT_NO_PYTHON, OPT_TMP, OPT_JSON, OPT_COMMIT,
};

static const struct option sb_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "iters", required_argument, NULL, OPT_ITERS },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "python", required_argument, NULL, OPT_PYTHON },
	{ "py-iters", required_argument, NULL, OPT_PY_ITERS },
	{ "py-runs", required_argument, NULL, OPT_PY_RUNS },
	{ "no-python", no_argument, NULL, OPT_NO_PYTHON },
	{ "tmp", required_argument, NULL, OPT_TMP },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool warmup_set;

static int parse_opt(void *cv, int opt, const char *arg)
{
	struct sb_cfg *c = cv;
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case OPT_CI:
		return 0;   /* taken in the first pass */
	case OPT_CPU:
		err = bu_parse_u64(arg, 0, CPU_SETSIZE - 1, &v);
		c->cpu = (int)v;
		break;
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, SB_MAX_ROUNDS, &v);
		c->rounds = (unsigned)v;
		break;
	case OPT_ITERS:
		err = bu_parse_u64(arg, 100, SB_ITERS_MAX, &v);
		c->iters = v;
		if (!warmup_set)
			c->warmup = v / 10;
		break;
	case OPT_WARMUP:
		err = bu_parse_u64(arg, 0, SB_ITERS_MAX, &v);
		c->warmup = v;
		warmup_set = true;
		break;
	case OPT_PYTHON:
		c->python = arg;
		break;
	case OPT_PY_ITERS:
		err = bu_parse_u64(arg, 1000, 100000000, &v);
		c->py_iters = v;
		break;
	case OPT_PY_RUNS:
		err = bu_parse_u64(arg, 1, SB_MAX_PY, &v);
		c->py_runs = (unsigned)v;
		break;
	case OPT_NO_PYTHON:
		c->no_python = true;
		break;
	case OPT_TMP:
		c->tmp_parent = arg;
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

/* ---- timing ------------------------------------------------------------------------ */

struct path_ops {
	int (*prepare)(struct sb_world *, enum sb_path, char *, size_t);
	int (*setup)(struct sb_world *, enum sb_path, uint64_t, char *, size_t);
	int (*call)(struct sb_world *);
	int (*check)(struct sb_world *, enum sb_path, uint64_t, char *, size_t);
	void (*begin)(struct sb_world *);
	void (*end)(struct sb_world *);
};

static const struct path_ops strat_ops = {
	sb_strat_prepare, sb_strat_setup, sb_strat_call, sb_strat_check, sb_strat_round_begin,
	sb_strat_round_end,
};

static const struct path_ops risk_ops = {
	sb_risk_prepare, sb_risk_setup, sb_risk_call, sb_risk_check, sb_risk_round_begin,
	sb_risk_round_end,
};

static const struct path_ops *ops_of(enum sb_path p)
{
	return p == SB_STRAT_MEAN || p == SB_STRAT_ENTRY ? &strat_ops : &risk_ops;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stats_of(uint64_t *t, uint64_t n, double tsc_hz, struct sb_stats *s)
{
	double k = 1e9 / tsc_hz, sum = 0;

	qsort(t, n, sizeof(*t), bu_u64_cmp);
	for (uint64_t i = 0; i < n; i++)
		sum += (double)t[i];
	s->p50 = (double)bu_quantile(t, n, 0.50) * k;
	s->p99 = (double)bu_quantile(t, n, 0.99) * k;
	s->p999 = (double)bu_quantile(t, n, 0.999) * k;
	s->max = (double)t[n - 1] * k;
	s->mean = sum / (double)n * k;
}

/* One call: setup, (timed) call, check. The ticks in *dt. */
static int one(struct sb_world *w, const struct path_ops *o, enum sb_path p, uint64_t i,
	       uint64_t *dt, char *err, size_t errlen)
{
	uint64_t t0, t1;
	int e, n;

	if ((e = o->setup(w, p, i, err, errlen)))
		return e;
	t0 = kimp_rdtscp();
	n = o->call(w);
	t1 = kimp_rdtscp();
	*dt = t1 - t0;
	if (n != 1) {
		snprintf(err, errlen, "the poll handled %d messages, not the 1 waiting", n);
		return -EPROTO;
	}
	return o->check(w, p, i, err, errlen);
}

static int path_round(struct sb_world *w, struct sb_run *r, enum sb_path p, unsigned k,
		      uint64_t *ticks)
{
	const struct sb_cfg *cfg = r->cfg;
	const struct path_ops *o = ops_of(p);
	struct sb_path_res *pr = &r->path[p];
	uint64_t why0[STRAT_WHY_MAX], wall0, cpu0, wall, cpu, dt;
	char err[512] = "";
	int e = 0;

	o->begin(w);
	for (uint64_t i = 0; i < cfg->warmup && !e; i++)
		e = one(w, o, p, i, &dt, err, sizeof(err));
	for (unsigned y = 0; y < STRAT_WHY_MAX; y++)
		why0[y] = sb_strat_why(w, y);
	wall0 = clock_ns(CLOCK_MONOTONIC);
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t i = 0; i < cfg->iters && !e; i++)
		e = one(w, o, p, i, &ticks[i], err, sizeof(err));
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	wall = clock_ns(CLOCK_MONOTONIC) - wall0;
	o->end(w);
	if (e) {
		fprintf(stderr, "\nstrat_bench: %s, round %u: %s\n", sb_path_name[p], k + 1, err);
		return e;
	}
	if (p == SB_STRAT_MEAN)
		for (unsigned y = 0; y < STRAT_WHY_MAX; y++)
			r->why_mean[y] += sb_strat_why(w, y) - why0[y];
	stats_of(ticks, cfg->iters, (double)sb_cal(w, p)->tsc_hz, &pr->round[k]);
	pr->wall_ms[k] = (double)wall / 1e6;
	pr->others_ms[k] = wall > cpu ? (double)(wall - cpu) / 1e6 : 0;
	pr->calls += cfg->iters;
	pr->rounds = k + 1;
	return 0;
}

/* The median cost of an empty timed span (rdtscp to rdtscp), ns. */
static double timer_cost(const struct sb_world *w, uint64_t *ticks, uint64_t n)
{
	struct sb_stats s;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = kimp_rdtscp();
		ticks[i] = kimp_rdtscp() - t0;
	}
	stats_of(ticks, n, (double)w->s.cal->tsc_hz, &s);
	return s.p50;
}

static double med_of(const struct sb_path_res *pr, size_t off)
{
	double v[SB_MAX_ROUNDS];

	for (unsigned k = 0; k < pr->rounds; k++)
		v[k] = *(const double *)((const char *)&pr->round[k] + off);
	return bu_median(v, pr->rounds);
}

static void medians(struct sb_run *r)
{
	for (unsigned p = 0; p < SB_NPATHS; p++) {
		struct sb_path_res *pr = &r->path[p];

		pr->med.p50 = med_of(pr, offsetof(struct sb_stats, p50));
		pr->med.p99 = med_of(pr, offsetof(struct sb_stats, p99));
		pr->med.p999 = med_of(pr, offsetof(struct sb_stats, p999));
		pr->med.max = med_of(pr, offsetof(struct sb_stats, max));
		pr->med.mean = med_of(pr, offsetof(struct sb_stats, mean));
	}
	if (r->npy) {
		double a[SB_MAX_PY], b[SB_MAX_PY], c[SB_MAX_PY];

		for (unsigned i = 0; i < r->npy; i++) {
			a[i] = r->py[i].p50_us * 1000;
			b[i] = r->py[i].p99_us * 1000;
			c[i] = r->py[i].p999_us * 1000;
		}
		r->py_med.p50 = bu_median(a, r->npy);
		r->py_med.p99 = bu_median(b, r->npy);
		r->py_med.p999 = bu_median(c, r->npy);
	} else {
		r->py_med.p50 = r->py_med.p99 = r->py_med.p999 = NAN;
	}
	r->py_med.max = r->py_med.mean = NAN;
}

/* Python run j goes before round (j * rounds / runs): spread over the run. */
static int python_before(struct sb_run *r, unsigned k)
{
	const struct sb_cfg *cfg = r->cfg;

	if (cfg->no_python)
		return 0;
	while (r->npy < cfg->py_runs && r->npy * cfg->rounds / cfg->py_runs <= k) {
		int e = sb_python_run(cfg, &r->py[r->npy]);
		if (e)
			return e;
		r->npy++;
	}
	return 0;
}

static int measure(struct sb_world *w, struct sb_run *r, uint64_t *ticks)
{
	const struct sb_cfg *cfg = r->cfg;
	int e;

	for (unsigned k = 0; k < cfg->rounds; k++) {
		if ((e = python_before(r, k)))
			return e;
		for (unsigned j = 0; j < SB_NPATHS; j++)
			if ((e = path_round(w, r, (enum sb_path)((j + k) % SB_NPATHS), k, ticks)))
				return e;
		fprintf(stderr, "\rstrat_bench: round %u/%u", k + 1, cfg->rounds);
	}
	fprintf(stderr, "\n");
	if ((e = python_before(r, cfg->rounds)))
		return e;
	medians(r);
	return 0;
}

static int python_present(const struct sb_cfg *cfg)
{
	char script[1024];

	if (cfg->no_python)
		return 0;
	sb_python_script(cfg, script, sizeof(script));
	if (access(script, R_OK)) {
		fprintf(stderr, "strat_bench: the reference pipeline %s: %s (set KIMP_BASELINES to "
			"its directory, or --no-python)\n", script, strerror(errno));
		return -ENOENT;
	}
	if (access(cfg->python, X_OK)) {
		fprintf(stderr, "strat_bench: the interpreter %s: %s (--python PATH, or "
			"--no-python)\n", cfg->python, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sb_cfg cfg;
	static struct sb_run r;
	struct sb_world *w = NULL;
	uint64_t *ticks = NULL;
	const struct bu_args a = {
		.prog = "strat_bench", .opts = sb_opts, .first_opt = OPT_CI, .cfg = &cfg,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	char err[512];
	int e;

	if (bu_parse_args(&a, argc, argv))
		return 2;
	r.cfg = &cfg;
	if (bu_signals("strat_bench"))
		return 1;
	bu_signal_cleanup(sb_world_unlink);
	if ((e = bu_pin(cfg.cpu))) {
		fprintf(stderr, "strat_bench: pin to CPU %d: %s\n", cfg.cpu, strerror(-e));
		return 1;
	}
	if (python_present(&cfg))
		return 1;
	w = calloc(1, sizeof(*w));
	ticks = calloc(cfg.iters > 100000 ? cfg.iters : 100000, sizeof(*ticks));
	if (!w || !ticks) {
		fprintf(stderr, "strat_bench: out of memory\n");
		e = -ENOMEM;
		goto out;
	}
	fprintf(stderr, "strat_bench: %u rounds of %llu calls a path (+%llu warm-up), CPU %d; "
		"Python %s\n", cfg.rounds, (unsigned long long)cfg.iters,
		(unsigned long long)cfg.warmup, cfg.cpu, cfg.no_python ? "left out" : "in the run");
	if ((e = sb_world_open(w, &cfg)))
		goto out;
	snprintf(r.backing, sizeof(r.backing), "%s (files, no huge pages)", w->dir);
	r.tsc_hz = w->s.cal->tsc_hz;
	r.tsc_flags = w->s.cal->flags;
	for (unsigned p = 0; p < SB_NPATHS; p++) {
		if ((e = ops_of(p)->prepare(w, p, err, sizeof(err)))) {
			fprintf(stderr, "strat_bench: preparing %s: %s\n", sb_path_name[p], err);
			goto out;
		}
	}
	r.timer_ns = timer_cost(w, ticks, 100000);
	if ((e = measure(w, &r, ticks)))
		goto out;
	r.wall_s = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	sb_print(&r);
	if (cfg.json_path)
		e = sb_json(&r);
out:
	if (w)
		sb_world_close(w);
	free(w);
	free(ticks);
	return e ? 1 : 0;
}
