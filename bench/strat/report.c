/* SPDX-License-Identifier: MIT */
/*
 * strat_bench's table on stdout and its JSON (bench/results/README.md
 * describes the fields).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tsc.h"
#include "sbench.h"
#include "../common/bench_util.h"

static double ratio(const struct sb_run *r, unsigned p, bool p99)
{
	return p99 ? bu_ratio(r->py_med.p99, r->path[p].med.p99)
		   : bu_ratio(r->py_med.p50, r->path[p].med.p50);
}

/* stratd.entry and riskd.approved for each of its two intents: medians summed. */
static double pipeline_p50(const struct sb_run *r)
{
	return r->path[SB_STRAT_ENTRY].med.p50 + 2 * r->path[SB_RISK_APPROVED].med.p50;
}

static double others_total(const struct sb_path_res *pr)
{
	double s = 0;

	for (unsigned k = 0; k < pr->rounds; k++)
		s += pr->others_ms[k];
	return s;
}

static uint64_t why_total(const struct sb_run *r)
{
	uint64_t n = 0;

	for (unsigned y = 0; y < STRAT_WHY_MAX; y++)
		n += r->why_mean[y];
	return n;
}

/* "12.3x", or "-" when there is no figure to divide */
static const char *times(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1fx", x);
	return buf;
}

void sb_print(const struct sb_run *r)
{
	char a[32], b[32];
	const struct sb_cfg *cfg = r->cfg;
	uint64_t nwhy = why_total(r);

	printf("\nstrat: ns per call (a daemon's loop turn with one message waiting), median of "
	       "%u rounds of %" PRIu64 " (%s); CPU %d pinned; TSC %.3f GHz\n", cfg->rounds,
	       cfg->iters, cfg->ci ? "ci" : "full", cfg->cpu, (double)r->tsc_hz / 1e9);
	printf("%-16s %9s %9s %9s %10s %9s %12s %12s %10s\n", "path", "p50", "p99", "p99.9",
	       "max", "mean", "python/ours", "python/ours", "others_ms");
	printf("%-16s %9s %9s %9s %10s %9s %12s %12s %10s\n", "", "", "", "", "", "", "p50", "p99",
	       "");
	for (unsigned p = 0; p < SB_NPATHS; p++) {
		const struct sb_path_res *pr = &r->path[p];

		printf("%-16s %9.1f %9.1f %9.1f %10.1f %9.1f %12s %12s %10.1f\n",
		       sb_path_name[p], pr->med.p50, pr->med.p99, pr->med.p999, pr->med.max,
		       pr->med.mean, times(a, sizeof(a), ratio(r, p, false)),
		       times(b, sizeof(b), ratio(r, p, true)), others_total(pr));
	}
	if (r->npy)
		printf("python pipeline  %9.1f %9.1f %9.1f %10s %9s   (per tick, median of %u "
		       "run(s) of %" PRIu64 " ticks; %s)\n", r->py_med.p50, r->py_med.p99,
		       r->py_med.p999, "-", "-", r->npy, cfg->py_iters, cfg->python);
	else
		printf("python pipeline: left out (--no-python)\n");
	printf("event to orders: stratd.entry + 2 x riskd.approved = %.1f ns (medians summed, "
	       "not one span); python p50 / that: %s\n", pipeline_p50(r),
	       times(a, sizeof(a), bu_ratio(r->py_med.p50, pipeline_p50(r))));
	printf("every figure includes the timer: an empty rdtscp..rdtscp span costs %.1f ns\n",
	       r->timer_ns);
	printf("stratd.mean, why no entry:");
	for (unsigned y = 0; y < STRAT_WHY_MAX; y++)
		if (r->why_mean[y])
			printf(" %s %.1f%%", strat_why_name(y),
			       100.0 * (double)r->why_mean[y] / (double)nwhy);
	printf("\n");
	for (unsigned p = 0; p < SB_NPATHS; p++)
		printf("  %-15s %s\n", sb_path_name[p], sb_path_what[p]);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_stats(FILE *f, const struct sb_stats *s)
{
	bu_json_kv(f, "{", "p50_ns", s->p50);
	bu_json_kv(f, ", ", "p99_ns", s->p99);
	bu_json_kv(f, ", ", "p999_ns", s->p999);
	bu_json_kv(f, ", ", "max_ns", s->max);
	bu_json_kv(f, ", ", "mean_ns", s->mean);
}

static void json_path(FILE *f, const struct sb_run *r, unsigned p)
{
	const struct sb_path_res *pr = &r->path[p];
	bool strat = p == SB_STRAT_MEAN || p == SB_STRAT_ENTRY;

	fputs("    {\"name\": ", f);
	bu_json_str(f, sb_path_name[p]);
	fprintf(f, ", \"daemon\": \"%s\", \"entry\": \"%s\",\n     \"what\": ",
		strat ? "stratd" : "riskd", strat ? "stratd_poll" : "riskd_poll");
	bu_json_str(f, sb_path_what[p]);
	fprintf(f, ",\n     \"calls\": %" PRIu64 ", \"verified\": true,\n     \"rounds\": [", pr->calls);
	for (unsigned k = 0; k < pr->rounds; k++) {
		fputs(k ? ",\n       " : "\n       ", f);
		json_stats(f, &pr->round[k]);
		bu_json_kv(f, ", ", "wall_ms", pr->wall_ms[k]);
		bu_json_kv(f, ", ", "others_ms", pr->others_ms[k]);
		fputs("}", f);
	}
	fputs("],\n     \"median\": ", f);
	json_stats(f, &pr->med);
	fputs("},\n     \"ratio_vs_python\": ", f);
	bu_json_kv(f, "{", "p50", ratio(r, p, false));
	bu_json_kv(f, ", ", "p99", ratio(r, p, true));
	fputs("}}", f);
}

static void json_write(FILE *f, const void *arg)
{
	const struct sb_run *r = arg;
	const struct sb_cfg *cfg = r->cfg;
	char script[1024];
	unsigned k = 0;

	bu_json_head(f, "strat", cfg->commit);
	fputs(",\n  \"units\": {\"time\": \"ns per call of the daemon's loop turn with one "
	      "message waiting (TSC, one sample a call; python: per tick)\", \"ratio\": \"python's "
	      "figure / ours (above 1: ours is faster)\"},\n", f);
	bu_json_machine_open(f);
	fprintf(f, ", \"pinned_cpu\": %d, \"tsc_hz\": %" PRIu64 ", \"tsc_invariant\": %s, "
		"\"segments\": ", cfg->cpu, r->tsc_hz,
		r->tsc_flags & KIMP_TSC_INVARIANT ? "true" : "false");
	bu_json_str(f, r->backing);
	fprintf(f, "},\n  \"config\": {\"mode\": \"%s\", \"rounds\": %u, \"iters\": %" PRIu64
		", \"warmup\": %" PRIu64 ", \"python\": ", cfg->ci ? "ci" : "full", cfg->rounds,
		cfg->iters, cfg->warmup);
	if (cfg->no_python) {
		fputs("null", f);
	} else {
		sb_python_script(cfg, script, sizeof(script));
		fputs("{\"interpreter\": ", f);
		bu_json_str(f, cfg->python);
		fputs(", \"script\": ", f);
		bu_json_str(f, script);
		fprintf(f, ", \"ticks_per_run\": %" PRIu64 ", \"runs\": %u}", cfg->py_iters,
			cfg->py_runs);
	}
	fprintf(f, "},\n  \"wall_s\": %.1f,\n", r->wall_s);
	bu_json_kv(f, "  ", "timer_ns", r->timer_ns);
	fputs(",\n  \"paths\": [\n", f);
	for (unsigned p = 0; p < SB_NPATHS; p++) {
		json_path(f, r, p);
		fputs(p + 1 < SB_NPATHS ? ",\n" : "\n", f);
	}
	fputs("  ],\n  \"stratd_mean_why\": {", f);
	for (unsigned y = 0; y < STRAT_WHY_MAX; y++)
		if (r->why_mean[y])
			fprintf(f, "%s\"%s\": %" PRIu64, k++ ? ", " : "", strat_why_name(y),
				r->why_mean[y]);
	fputs("},\n  \"python\": ", f);
	if (!r->npy) {
		fputs("null", f);
	} else {
		fputs("{\"runs\": [", f);
		for (unsigned i = 0; i < r->npy; i++) {
			const struct sb_py_run *y = &r->py[i];

			fprintf(f, "%s{\"ticks\": %" PRIu64 ", \"orders\": %" PRIu64, i ? ", " : "",
				y->ticks, y->orders);
			bu_json_kv(f, ", ", "p50_us", y->p50_us);
			bu_json_kv(f, ", ", "p99_us", y->p99_us);
			bu_json_kv(f, ", ", "p999_us", y->p999_us);
			bu_json_kv(f, ", ", "wall_s", y->wall_s);
			fputs("}", f);
		}
		fputs("],\n    \"median\": ", f);
		bu_json_kv(f, "{", "p50_ns", r->py_med.p50);
		bu_json_kv(f, ", ", "p99_ns", r->py_med.p99);
		bu_json_kv(f, ", ", "p999_ns", r->py_med.p999);
		fputs("}}", f);
	}
	fputs(",\n  \"event_to_orders\": {\"what\": \"stratd.entry + 2 x riskd.approved, "
	      "medians summed (not one measured span)\"", f);
	bu_json_kv(f, ", ", "p50_ns", pipeline_p50(r));
	bu_json_kv(f, ", ", "ratio_vs_python_p50", bu_ratio(r->py_med.p50, pipeline_p50(r)));
	fputs("}\n}\n", f);
}

int sb_json(const struct sb_run *r)
{
	return bu_json_file("strat_bench", r->cfg->json_path, json_write, r);
}
