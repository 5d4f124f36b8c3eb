/* SPDX-License-Identifier: MIT */
/*
 * The report: a table of medians, kimp against ck_ring, the two targets,
 * and every figure as JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench.h"
#include "../common/bench_util.h"

#define TARGET_MMSG 50.0

static const char *const tp_names[TP_NR] = {
	[TP_KIMP] = "kimp",
	[TP_CK] = "ck_ring",
	[TP_PIPE] = "pipe",
};

static const char *const target1_name =
	"kimp ring one-way p50 no slower than ck_ring's in the same run";
static const char *const target2_name =
	">= 50 M 64-byte messages/s in the throughput test";

static const struct bench_fig *med_of(const struct bench_fig *med, int tp, unsigned int si)
{
	return &med[bench_fig_idx(0, tp, si)];
}

/* Target 1, per size and per way of measuring one-way latency. */
struct t1_cell {
	double kimp, ck;
	bool met;
};

struct targets {
	struct t1_cell t1[BENCH_NSIZES][2];   /* [size][ping-pong, timestamped] */
	bool t1_met;
	unsigned int t1_n_met;
	double t2_batch, t2_single;
	bool t2_met;
};

static const char *const t1_way[2] = { "ping-pong", "timestamped" };

static void targets_eval(const struct bench_fig *med, struct targets *t)
{
	memset(t, 0, sizeof(*t));
	t->t1_met = true;
	for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
		const struct bench_fig *k = med_of(med, TP_KIMP, si);
		const struct bench_fig *c = med_of(med, TP_CK, si);
		double kv[2] = { k->pp.p50, k->ow.p50 }, cv[2] = { c->pp.p50, c->ow.p50 };

		for (int w = 0; w < 2; w++) {
			struct t1_cell *cell = &t->t1[si][w];

			cell->kimp = kv[w];
			cell->ck = cv[w];
			cell->met = kv[w] <= cv[w];
			t->t1_n_met += cell->met;
			t->t1_met = t->t1_met && cell->met;
		}
	}
	t->t2_batch = med_of(med, TP_KIMP, 0)->mps_batch;
	t->t2_single = med_of(med, TP_KIMP, 0)->mps;
	t->t2_met = t->t2_batch >= TARGET_MMSG;
}

static const char *verdict(bool met)
{
	return met ? "MET" : "NOT MET";
}

/* ---- text --------------------------------------------------------------- */

static void put_num(double v, int width, int prec)
{
	if (isnan(v))
		printf(" %*s", width, "-");
	else
		printf(" %*.*f", width, v >= 100000 ? 0 : prec, v);
}

static void put_lat(const struct bench_lat *l)
{
	put_num(l->p50, 7, 1);
	put_num(l->p99, 7, 1);
	put_num(l->p999, 8, 1);
	put_num(l->max, 9, 0);
}

static void print_table(const struct bench_cfg *c, const struct bench_fig *med)
{
	printf("\nkimp ring bench: medians of %u round%s%s; one-way latency in ns, "
	       "throughput in Mmsg/s\n\n", c->rounds, c->rounds == 1 ? "" : "s",
	       c->ci ? " (--ci)" : "");
	printf("%-9s %4s | %-33s | %-33s | %s\n", "", "", "ping-pong one-way (RTT/2)",
	       "timestamped one-way", "throughput");
	printf("%-9s %4s | %7s %7s %8s %9s | %7s %7s %8s %9s | %7s %7s\n",
	       "transport", "size", "p50", "p99", "p99.9", "max", "p50", "p99", "p99.9",
	       "max", "single", "batch");
	for (int tp = 0; tp < TP_NR; tp++) {
		for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
			const struct bench_fig *f = med_of(med, tp, si);

			printf("%-9s %4zu |", tp_names[tp], bench_sizes[si]);
			put_lat(&f->pp);
			printf(" |");
			put_lat(&f->ow);
			printf(" |");
			put_num(f->mps, 7, 2);
			put_num(f->mps_batch, 7, 2);
			printf("\n");
		}
	}
}

static void print_notes(const struct bench_cfg *c, const struct bench_env *env,
			const struct bench_fig *med)
{
	double share = 1.0;
	uint64_t neg = 0, steal = 0;

	for (int tp = 0; tp < TP_NR; tp++) {
		for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
			neg += med_of(med, tp, si)->ow_negative;
			steal += med_of(med, tp, si)->steal_ms;
			if (tp != TP_PIPE)
				share = bench_dmin(share, med_of(med, tp, si)->cpu_share);
		}
	}
	printf("\nping-pong %llu round trips, one-way %llu messages (%llu ns apart after "
	       "each ack), throughput %llu messages per round;\npipe: 1/%u of the "
	       "latency and 1/%u of the throughput messages; %u slots, batch %u;\n"
	       "TSC %.1f MHz%s; segment on %s\n",
	       (unsigned long long)c->pp_n, (unsigned long long)c->ow_n,
	       (unsigned long long)c->gap_ns, (unsigned long long)c->tput_n,
	       c->pipe_lat_div, c->pipe_tput_div, c->slots, c->batch,
	       (double)env->cal->tsc_hz / 1e6,
	       env->cal->flags & KIMP_TSC_INVARIANT ? " (invariant)" : "",
	       env->seg.hdr->backing == SHM_BACK_HUGETLBFS ? "hugetlbfs" : "/dev/shm");
	if (neg)
		printf("warning: %llu one-way samples had the receive stamp before the "
		       "send stamp (TSCs not in sync?); counted as 0 ns\n",
		       (unsigned long long)neg);
	if (share < BENCH_SHARE_OK)
		printf("note: in some test a spinning side got only %.0f%% of its CPU "
		       "(other tasks or the hypervisor ran on CPU %d or %d);\nthe "
		       "progress lines on stderr say which rounds were disturbed, the "
		       "medians absorb single ones\n", share * 100, c->cpu[0], c->cpu[1]);
	if (steal)
		printf("note: the hypervisor stole ~%llu ms from CPUs %d/%d during the "
		       "tests (/proc/stat steal);\nthe progress lines on stderr say "
		       "which rounds\n", (unsigned long long)steal, c->cpu[0], c->cpu[1]);
}

static void print_compare(const struct bench_fig *med)
{
	printf("\nkimp vs ck_ring (kimp / ck_ring: below 1 is faster for latency, "
	       "above 1 for throughput)\n");
	for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
		const struct bench_fig *k = med_of(med, TP_KIMP, si);
		const struct bench_fig *c = med_of(med, TP_CK, si);

		printf("  %3zu B: ping-pong p50 %.3f, timestamped p50 %.3f, "
		       "throughput single %.3f, batch (kimp) / single (ck) %.3f\n",
		       bench_sizes[si], bu_ratio(k->pp.p50, c->pp.p50),
		       bu_ratio(k->ow.p50, c->ow.p50), bu_ratio(k->mps, c->mps),
		       bu_ratio(k->mps_batch, c->mps));
	}
}

static void print_targets(const struct targets *t)
{
	printf("\ntargets (reported only; they never fail the run)\n");
	printf("  %-7s %s (%u/%d)\n", verdict(t->t1_met), target1_name, t->t1_n_met,
	       BENCH_NSIZES * 2);
	for (unsigned int si = 0; si < BENCH_NSIZES; si++)
		for (int w = 0; w < 2; w++)
			printf("            %-11s %3zu B: kimp %7.1f ns, ck_ring %7.1f ns  %s\n",
			       t1_way[w], bench_sizes[si], t->t1[si][w].kimp,
			       t->t1[si][w].ck, verdict(t->t1[si][w].met));
	printf("  %-7s %s\n", verdict(t->t2_met), target2_name);
	printf("            kimp 64 B: batch API %.2f Mmsg/s (single-message API %.2f)\n",
	       t->t2_batch, t->t2_single);
}

void bench_print(const struct bench_cfg *cfg, const struct bench_env *env,
		 const struct bench_fig *med)
{
	struct targets t;

	targets_eval(med, &t);
	print_table(cfg, med);
	print_notes(cfg, env, med);
	print_compare(med);
	print_targets(&t);
	fflush(stdout);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_lat(FILE *f, const char *key, const struct bench_lat *l)
{
	fprintf(f, "\"%s\": {\"p50\": ", key);
	bu_json_num(f, l->p50);
	fputs(", \"p99\": ", f);
	bu_json_num(f, l->p99);
	fputs(", \"p99_9\": ", f);
	bu_json_num(f, l->p999);
	fputs(", \"max\": ", f);
	bu_json_num(f, l->max);
	fputc('}', f);
}

static void json_fig(FILE *f, int tp, unsigned int si, const struct bench_fig *x)
{
	fprintf(f, "{\"transport\": \"%s\", \"msg_size\": %zu, ", tp_names[tp],
		bench_sizes[si]);
	json_lat(f, "pingpong_oneway_ns", &x->pp);
	fputs(", ", f);
	json_lat(f, "timestamped_oneway_ns", &x->ow);
	fprintf(f, ", \"oneway_negative_samples\": %llu, \"cpu_share_min\": %.4f, "
		"\"steal_ms\": %llu, \"throughput_mmsg_s\": {\"single\": ",
		(unsigned long long)x->ow_negative, x->cpu_share,
		(unsigned long long)x->steal_ms);
	bu_json_num(f, x->mps);
	fputs(", \"batch\": ", f);
	bu_json_num(f, x->mps_batch);
	fputs("}}", f);
}

/* All transports and sizes of one round (or of the medians, round 0). */
static void json_figs(FILE *f, const struct bench_fig *figs, unsigned int round,
		      const char *indent)
{
	fputs("[", f);
	for (int tp = 0; tp < TP_NR; tp++) {
		for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
			fprintf(f, "%s\n%s  ", tp || si ? "," : "", indent);
			json_fig(f, tp, si, &figs[bench_fig_idx(round, tp, si)]);
		}
	}
	fprintf(f, "\n%s]", indent);
}

static void json_machine(FILE *f, const struct bench_env *env)
{
	bu_json_machine_open(f);
	fprintf(f, ", \"tsc_hz\": %llu, \"tsc_invariant\": %s, \"segment_backing\": \"%s\"},\n",
		(unsigned long long)env->cal->tsc_hz,
		env->cal->flags & KIMP_TSC_INVARIANT ? "true" : "false",
		env->seg.hdr->backing == SHM_BACK_HUGETLBFS ? "hugetlbfs" : "shm");
}

static void json_config(FILE *f, const struct bench_cfg *c)
{
	fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, "
		"\"pingpong_round_trips\": %llu, \"oneway_msgs\": %llu, "
		"\"oneway_gap_ns\": %llu, \"throughput_msgs\": %llu, "
		"\"pipe_latency_divisor\": %u, \"pipe_throughput_divisor\": %u, "
		"\"slots\": %u, \"batch\": %u, \"cpus\": [%d, %d], \"channel_sets\": %u, "
		"\"warmup_round_trips\": %llu, "
		"\"warmup\": \"max(n/10, 1000) unmeasured before latency tests\"},\n",
		c->ci ? "ci" : "full", c->rounds, (unsigned long long)c->pp_n,
		(unsigned long long)c->ow_n, (unsigned long long)c->gap_ns,
		(unsigned long long)c->tput_n, c->pipe_lat_div, c->pipe_tput_div,
		c->slots, c->batch, c->cpu[0], c->cpu[1],
		c->rounds < BENCH_MAX_SETS ? c->rounds : BENCH_MAX_SETS,
		(unsigned long long)c->warmup_n);
}

static void json_targets(FILE *f, const struct bench_fig *med)
{
	struct targets t;

	targets_eval(med, &t);
	fputs("  \"targets\": [\n    {\"name\": ", f);
	bu_json_str(f, target1_name);
	fprintf(f, ", \"met\": %s, \"checks\": [", t.t1_met ? "true" : "false");
	for (unsigned int si = 0; si < BENCH_NSIZES; si++) {
		for (int w = 0; w < 2; w++) {
			fprintf(f, "%s{\"measure\": \"%s\", \"msg_size\": %zu, \"kimp_p50_ns\": ",
				si || w ? ", " : "", t1_way[w], bench_sizes[si]);
			bu_json_num(f, t.t1[si][w].kimp);
			fputs(", \"ck_ring_p50_ns\": ", f);
			bu_json_num(f, t.t1[si][w].ck);
			fprintf(f, ", \"met\": %s}", t.t1[si][w].met ? "true" : "false");
		}
	}
	fputs("]},\n    {\"name\": ", f);
	bu_json_str(f, target2_name);
	fprintf(f, ", \"met\": %s, \"kimp_64_batch_mmsg_s\": ", t.t2_met ? "true" : "false");
	bu_json_num(f, t.t2_batch);
	fputs(", \"kimp_64_single_mmsg_s\": ", f);
	bu_json_num(f, t.t2_single);
	fputs("}\n  ]\n", f);
}

static void json_write(FILE *f, const struct bench_cfg *c, const struct bench_env *env,
		       const struct bench_fig *figs, const struct bench_fig *med)
{
	bu_json_head(f, "ring", c->commit);
	fputs(",\n  \"units\": {\"latency\": \"ns, one-way\", \"throughput\": "
	      "\"million messages per second\"},\n", f);
	json_machine(f, env);
	json_config(f, c);
	fputs("  \"rounds\": [", f);
	for (unsigned int rd = 0; rd < c->rounds; rd++) {
		fprintf(f, "%s\n    {\"round\": %u, \"results\": ", rd ? "," : "", rd + 1);
		json_figs(f, figs, rd, "    ");
		fputc('}', f);
	}
	fputs("\n  ],\n  \"median\": ", f);
	json_figs(f, med, 0, "  ");
	fputs(",\n", f);
	json_targets(f, med);
	fputs("}\n", f);
}

struct json_args {
	const struct bench_cfg *cfg;
	const struct bench_env *env;
	const struct bench_fig *figs, *med;
};

static void json_write_v(FILE *f, const void *arg)
{
	const struct json_args *a = arg;

	json_write(f, a->cfg, a->env, a->figs, a->med);
}

int bench_json(const struct bench_cfg *cfg, const struct bench_env *env,
	       const struct bench_fig *figs, const struct bench_fig *med)
{
	const struct json_args a = { cfg, env, figs, med };

	return bu_json_file("ring_bench", cfg->json_path, json_write_v, &a);
}
