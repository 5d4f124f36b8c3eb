/* SPDX-License-Identifier: MIT */
/*
 * ring_bench: kimp ring vs ck_ring vs pipe, 64- and 128-byte messages,
 * between two processes on two cores. Several rounds, transports
 * interleaved; the report is the median over rounds of every figure.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "bench.h"
#include "../common/bench_util.h"

const size_t bench_sizes[BENCH_NSIZES] = { 64, 128 };

static const struct transport *const bench_tps[TP_NR] = {
	[TP_KIMP] = &tp_kimp,
	[TP_CK] = &tp_ck,
	[TP_PIPE] = &tp_pipe,
};

static const char *const bench_test_names[T_NR] = {
	[T_PINGPONG] = "ping-pong",
	[T_ONEWAY] = "one-way",
	[T_TPUT] = "throughput",
	[T_TPUT_BATCH] = "throughput (batch)",
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: ring_bench [options]\n"
"  --ci              short form: 3 rounds of 50000, 50000 and 4000000\n"
"  --rounds N        rounds, transports interleaved (default 5)\n"
"  --pingpong N      ping-pong round trips per round (default 200000)\n"
"  --oneway N        timestamped one-way messages per round (default 200000)\n"
"  --throughput N    throughput messages per round (default 20000000)\n"
"  --warmup N        unmeasured ping-pong round trips per ring before the\n"
"                    first round (default 200000)\n"
"  --pipe-div L,T    the pipe does 1/L of the latency and 1/T of the\n"
"                    throughput messages (default 4,10: a syscall each)\n"
"  --slots N         ring slots, a power of two (default 4096)\n"
"  --batch N         batch size of the batch API (default 64)\n"
"  --gap-ns N        one-way: pause after each ack (default 2000)\n"
"  --cpus A,B        measuring and peer CPU (default 0,1)\n"
"  --timeout S       seconds one test may take (default 120)\n"
"  --json PATH       write every figure as JSON to PATH\n"
"  --commit STR      source revision, recorded in the JSON\n");
}

static void cfg_defaults(void *cv, bool ci)
{
	struct bench_cfg *c = cv;
	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->rounds = ci ? 3 : 5;
	c->pp_n = ci ? 50000 : 200000;
	c->ow_n = ci ? 50000 : 200000;
	c->tput_n = ci ? 4000000 : 20000000;
	c->warmup_n = 200000;
	c->pipe_lat_div = 4;
	c->pipe_tput_div = 10;
	c->slots = 4096;
	c->batch = BENCH_BATCH;
	c->gap_ns = 2000;
	c->timeout_s = 120;
	c->cpu[0] = 0;
	c->cpu[1] = 1;
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_ROUNDS, OPT_PP, OPT_OW, OPT_TPUT, OPT_WARMUP, OPT_PIPE_DIV,
	OPT_SLOTS, OPT_BATCH, OPT_GAP, OPT_CPUS, OPT_TIMEOUT, OPT_JSON, OPT_COMMIT,
};

static const struct option bench_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "pingpong", required_argument, NULL, OPT_PP },
	{ "oneway", required_argument, NULL, OPT_OW },
	{ "throughput", required_argument, NULL, OPT_TPUT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "pipe-div", required_argument, NULL, OPT_PIPE_DIV },
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "gap-ns", required_argument, NULL, OPT_GAP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(void *cv, int opt, const char *arg)
{
	struct bench_cfg *c = cv;
	uint64_t v = 0, pair[2];
	int err = 0;

	switch (opt) {
	case OPT_CI:
		return 0;   /* taken in the first pass */
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, 1000, &v);
		c->rounds = (unsigned int)v;
		break;
	case OPT_PP:
		err = bu_parse_u64(arg, 100, 1ull << 30, &c->pp_n);
		break;
	case OPT_OW:
		err = bu_parse_u64(arg, 100, 1ull << 30, &c->ow_n);
		break;
	case OPT_TPUT:
		err = bu_parse_u64(arg, 1000, 1ull << 40, &c->tput_n);
		break;
	case OPT_WARMUP:
		err = bu_parse_u64(arg, 100, 1ull << 30, &c->warmup_n);
		break;
	case OPT_PIPE_DIV:
		err = bu_parse_pair(arg, 1, 1000, pair);
		c->pipe_lat_div = (unsigned int)pair[0];
		c->pipe_tput_div = (unsigned int)pair[1];
		break;
	case OPT_SLOTS:
		err = bu_parse_u64(arg, 2, 1u << 24, &v);
		if (!err && !kimp_is_pow2(v))
			err = -EINVAL;
		c->slots = (uint32_t)v;
		break;
	case OPT_BATCH:
		err = bu_parse_u64(arg, 1, 1u << 24, &v);
		c->batch = (uint32_t)v;
		break;
	case OPT_GAP:
		err = bu_parse_u64(arg, 0, 1000000000, &c->gap_ns);
		break;
	case OPT_CPUS:
		err = bu_parse_pair(arg, 0, CPU_SETSIZE - 1, pair);
		c->cpu[0] = (int)pair[0];
		c->cpu[1] = (int)pair[1];
		if (!err && c->cpu[0] == c->cpu[1])
			err = -EINVAL;
		break;
	case OPT_TIMEOUT:
		err = bu_parse_u64(arg, 1, 86400, &v);
		c->timeout_s = (unsigned int)v;
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

static int parse_args(struct bench_cfg *c, int argc, char **argv)
{
	const struct bu_args a = {
		.prog = "ring_bench", .opts = bench_opts, .first_opt = OPT_CI, .cfg = c,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	int err = bu_parse_args(&a, argc, argv);

	if (err)
		return err;
	if (c->batch > c->slots) {
		fprintf(stderr, "ring_bench: --batch %u is larger than --slots %u\n",
			c->batch, c->slots);
		return -EINVAL;
	}
	return 0;
}

/* ---- one round ------------------------------------------------------------ */

static uint64_t warmup(uint64_t n)
{
	return n / 10 > 1000 ? n / 10 : 1000;
}

static const char *bench_strerror(int err)
{
	return err == -EBADMSG ? "messages failed verification" : strerror(-err);
}

static int run_one(const struct bench_env *env, unsigned int set, enum bench_tp tp,
		   unsigned int si, enum bench_test kind, struct bench_run *r, uint64_t n)
{
	const struct transport *t = bench_tps[tp];
	int err;

	r->n = n;
	r->warm = (kind == T_PINGPONG || kind == T_ONEWAY) ? warmup(n) : 0;
	r->chan = env->chan[set][tp][si];
	r->size = bench_sizes[si];
	err = bench_run_test(t, kind, r);
	if (err)
		fprintf(stderr, "ring_bench: FAILED: %s, %zu-byte messages, %s: %s "
			"(%llu bad messages)\n", t->name, r->size, bench_test_names[kind],
			bench_strerror(err), (unsigned long long)r->errors);
	return err;
}

static double mmsg_per_s(const struct bench_run *r)
{
	double s = (double)r->ticks / (double)r->cal->tsc_hz;

	return s > 0 ? (double)r->n / s / 1e6 : NAN;
}

static int run_cell(const struct bench_env *env, unsigned int round, enum bench_tp tp,
		    unsigned int si, struct bench_run *r, struct bench_fig *f)
{
	const struct bench_cfg *c = env->cfg;
	unsigned int ldiv = tp == TP_PIPE ? c->pipe_lat_div : 1;
	unsigned int tdiv = tp == TP_PIPE ? c->pipe_tput_div : 1;
	unsigned int set = round % env->nsets;
	int err;

	err = run_one(env, set, tp, si, T_PINGPONG, r, c->pp_n / ldiv);
	if (err)
		return err;
	bench_lat_from_ticks(&f->pp, r->samples, r->n, env->cal, 2);
	f->cpu_share = r->cpu_share;
	f->steal_ms = r->steal_ms;

	err = run_one(env, set, tp, si, T_ONEWAY, r, c->ow_n / ldiv);
	if (err)
		return err;
	bench_lat_from_ticks(&f->ow, r->samples, r->n, env->cal, 1);
	f->ow_negative = r->negative;
	f->cpu_share = bench_dmin(f->cpu_share, r->cpu_share);
	f->steal_ms += r->steal_ms;

	err = run_one(env, set, tp, si, T_TPUT, r, c->tput_n / tdiv);
	if (err)
		return err;
	f->mps = mmsg_per_s(r);
	f->cpu_share = bench_dmin(f->cpu_share, r->cpu_share);
	f->steal_ms += r->steal_ms;

	f->mps_batch = NAN;
	if (!bench_tps[tp]->main[T_TPUT_BATCH])
		return 0;
	err = run_one(env, set, tp, si, T_TPUT_BATCH, r, c->tput_n / tdiv);
	if (err)
		return err;
	f->mps_batch = mmsg_per_s(r);
	f->cpu_share = bench_dmin(f->cpu_share, r->cpu_share);
	f->steal_ms += r->steal_ms;
	return 0;
}

static void progress(unsigned int round, enum bench_tp tp, unsigned int si,
		     const struct bench_fig *f)
{
	fprintf(stderr, "  round %u %-8s %3zu B: ping-pong p50 %7.1f ns, one-way p50 "
		"%7.1f ns, %6.2f Mmsg/s", round + 1, bench_tps[tp]->name,
		bench_sizes[si], f->pp.p50, f->ow.p50, f->mps);
	if (!isnan(f->mps_batch))
		fprintf(stderr, ", batch %6.2f Mmsg/s", f->mps_batch);
	if (!bench_tps[tp]->blocking && f->cpu_share < BENCH_SHARE_OK)
		fprintf(stderr, " [disturbed: got %.0f%% of a CPU]", f->cpu_share * 100);
	if (f->steal_ms)
		fprintf(stderr, " [hypervisor stole ~%llu ms]", (unsigned long long)f->steal_ms);
	fputc('\n', stderr);
}

/*
 * Unmeasured: in trials the first test of a run came out slower than the
 * same test later (an idle vCPU takes a while to get going), so spin both
 * ways for a while first.
 */
static int run_warmup(const struct bench_env *env, struct bench_run *r)
{
	int err = 0;

	for (int tp = TP_KIMP; tp <= TP_CK && !err; tp++)
		err = run_one(env, 0, tp, 0, T_PINGPONG, r, env->cfg->warmup_n);
	return err;
}

static int run_rounds(const struct bench_env *env, uint64_t *samples,
		      struct bench_fig *figs)
{
	struct bench_run r = {
		.cfg = env->cfg,
		.ctl = env->ctl,
		.cal = env->cal,
		.samples = samples,
		.gap_ticks = (uint64_t)((double)env->cfg->gap_ns * (double)env->cal->tsc_hz / 1e9),
	};
	int err;

	err = run_warmup(env, &r);
	if (err)
		return err;
	for (unsigned int round = 0; round < env->cfg->rounds; round++) {
		for (int tp = 0; tp < TP_NR; tp++) {
			for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
				struct bench_fig *f = &figs[bench_fig_idx(round, tp, si)];

				err = run_cell(env, round, tp, si, &r, f);
				if (err)
					return err;
				progress(round, tp, si, f);
			}
		}
	}
	return 0;
}

/* ---- medians ---------------------------------------------------------------- */

static const size_t fig_fields[] = {
	offsetof(struct bench_fig, pp.p50), offsetof(struct bench_fig, pp.p99),
	offsetof(struct bench_fig, pp.p999), offsetof(struct bench_fig, pp.max),
	offsetof(struct bench_fig, ow.p50), offsetof(struct bench_fig, ow.p99),
	offsetof(struct bench_fig, ow.p999), offsetof(struct bench_fig, ow.max),
	offsetof(struct bench_fig, mps), offsetof(struct bench_fig, mps_batch),
};

static double *fig_field(struct bench_fig *f, size_t off)
{
	return (double *)(void *)((uint8_t *)f + off);
}

static int medians(const struct bench_cfg *c, struct bench_fig *figs,
		   struct bench_fig *med)
{
	double *v = calloc(c->rounds, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (int tp = 0; tp < TP_NR; tp++) {
		for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
			struct bench_fig *m = &med[bench_fig_idx(0, tp, si)];

			for (size_t k = 0; k < KIMP_ARRAY_SIZE(fig_fields); k++) {
				for (unsigned int rd = 0; rd < c->rounds; rd++)
					v[rd] = *fig_field(&figs[bench_fig_idx(rd, tp, si)],
							   fig_fields[k]);
				*fig_field(m, fig_fields[k]) = bench_median(v, c->rounds);
			}
			m->ow_negative = m->steal_ms = 0;
			m->cpu_share = 1.0;
			for (unsigned int rd = 0; rd < c->rounds; rd++) {
				const struct bench_fig *f = &figs[bench_fig_idx(rd, tp, si)];

				m->ow_negative += f->ow_negative;
				m->cpu_share = bench_dmin(m->cpu_share, f->cpu_share);
				m->steal_ms += f->steal_ms;
			}
		}
	}
	free(v);
	return 0;
}

/* ---- set-up ----------------------------------------------------------------- */

static int env_init(struct bench_env *env, const struct bench_cfg *cfg)
{
	int err;

	memset(env, 0, sizeof(*env));
	env->cfg = cfg;
	env->nsets = cfg->rounds < BENCH_MAX_SETS ? cfg->rounds : BENCH_MAX_SETS;
	env->ctl = mmap(NULL, sizeof(*env->ctl), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (env->ctl == MAP_FAILED) {
		env->ctl = NULL;
		return -errno;
	}
	for (int tp = 0; tp < TP_NR; tp++) {
		err = bench_tps[tp]->init(env);
		if (err)
			return err;
	}
	if (!env->cal || !env->cal->tsc_hz) {
		fprintf(stderr, "ring_bench: no TSC calibration\n");
		return -EINVAL;
	}
	return 0;
}

static void env_fini(struct bench_env *env)
{
	for (int tp = TP_NR - 1; tp >= 0; tp--)
		bench_tps[tp]->fini(env);
	if (env->ctl)
		munmap(env->ctl, sizeof(*env->ctl));
	env->ctl = NULL;
}

static int check_cpus(const struct bench_cfg *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	if (n < 2) {
		fprintf(stderr, "ring_bench: needs 2 online CPUs, has %ld\n", n);
		return -ENODEV;
	}
	err = bench_pin(c->cpu[0]);
	if (err)
		fprintf(stderr, "ring_bench: pin to CPU %d: %s\n", c->cpu[0], strerror(-err));
	return err;
}

static uint64_t *samples_alloc(const struct bench_cfg *c)
{
	uint64_t n = c->pp_n > c->ow_n ? c->pp_n : c->ow_n;

	if (n < c->warmup_n)
		n = c->warmup_n;
	uint64_t *s = malloc(n * sizeof(*s));

	if (s)
		memset(s, 0, n * sizeof(*s));   /* fault it in now */
	return s;
}

int main(int argc, char **argv)
{
	struct bench_fig *figs = NULL, *med = NULL;
	struct bench_cfg cfg;
	struct bench_env env;
	uint64_t *samples = NULL;
	int err;

	err = parse_args(&cfg, argc, argv);
	if (err)
		return 2;
	err = check_cpus(&cfg);
	if (!err)
		err = bench_signals();
	if (err)
		return 1;

	err = env_init(&env, &cfg);
	if (err)
		goto out;
	samples = samples_alloc(&cfg);
	figs = calloc((size_t)cfg.rounds * TP_NR * BENCH_NSIZES, sizeof(*figs));
	med = calloc((size_t)TP_NR * BENCH_NSIZES, sizeof(*med));
	if (!samples || !figs || !med) {
		err = -ENOMEM;
		goto out;
	}

	fprintf(stderr, "ring_bench: %u rounds, CPUs %d and %d, TSC %.1f MHz\n",
		cfg.rounds, cfg.cpu[0], cfg.cpu[1], (double)env.cal->tsc_hz / 1e6);
	err = run_rounds(&env, samples, figs);
	if (!err)
		err = medians(&cfg, figs, med);
	if (err)
		goto out;
	bench_print(&cfg, &env, med);
	if (cfg.json_path)
		err = bench_json(&cfg, &env, figs, med);
out:
	if (err && err != -EBADMSG)
		fprintf(stderr, "ring_bench: %s\n", strerror(-err));
	env_fini(&env);
	free(samples);
	free(figs);
	free(med);
	return err ? 1 : 0;
}
