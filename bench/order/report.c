/* SPDX-License-Identifier: MIT */
/*
 * The order bench's figures: quantiles of a round's samples, medians over
 * rounds, the table on stdout and the JSON (bench/results/README.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "obench.h"
#include "../common/bench_util.h"

static const char *const venue_names[OB_NVENUES] = { "binance", "upbit" };

void ob_stats_of(uint64_t *s, uint64_t n, double nspt, struct ob_stats *out)
{
	double sum = 0;

	qsort(s, n, sizeof(s[0]), bu_u64_cmp);
	for (uint64_t i = 0; i < n; i++)
		sum += (double)s[i];
	out->p50 = (double)bu_quantile(s, n, 0.5) * nspt;
	out->p99 = (double)bu_quantile(s, n, 0.99) * nspt;
	out->p999 = (double)bu_quantile(s, n, 0.999) * nspt;
	out->max = (double)s[n - 1] * nspt;
	out->mean = sum / (double)n * nspt;
}

/* v[0], v[stride], ... (byte stride): the median of each field. */
void ob_stats_median(const struct ob_stats *v, unsigned n, size_t stride, struct ob_stats *out)
{
	double a[5][OB_MAX_ROUNDS];

	for (unsigned i = 0; i < n; i++) {
		const struct ob_stats *s =
			(const struct ob_stats *)(const void *)((const char *)v + i * stride);

		a[0][i] = s->p50;
		a[1][i] = s->p99;
		a[2][i] = s->p999;
		a[3][i] = s->max;
		a[4][i] = s->mean;
	}
	out->p50 = bu_median(a[0], n);
	out->p99 = bu_median(a[1], n);
	out->p999 = bu_median(a[2], n);
	out->max = bu_median(a[3], n);
	out->mean = bu_median(a[4], n);
}

/* ---- stdout ------------------------------------------------------------------------------- */

void ob_print(FILE *f, const struct ob_results *r)
{
	const struct ob_cfg *c = r->cfg;

	fprintf(f, "\nin process, one core (CPU %d), ns, medians over %u rounds of %llu orders"
		" (TSC %.3f GHz, an empty span %.0f ns, TLS %s)\n", c->cpu[0], c->rounds,
		(unsigned long long)c->iters, r->tsc_ghz, r->timer_ns,
		c->no_tls ? "left out" : r->tls_suite);
	fprintf(f, "  %-15s %-11s %9s %9s %9s %9s\n", "case", "piece", "p50", "p99", "p99.9",
		"mean");
	for (unsigned i = 0; i < OB_NCASES; i++) {
		const struct ob_case_res *cr = &r->c[i];

		if (!cr->ok) {
			fprintf(f, "  %-15s skipped: %s\n", ob_case_name[i], cr->skip);
			continue;
		}
		for (unsigned p = 0; p < OB_NPIECES; p++) {
			const struct ob_stats *s = &cr->med[p];

			if (p == OB_P_FRAME && i != OB_BINANCE_WSAPI)
				continue;
			if (p == OB_P_TLS && c->no_tls)
				continue;
			fprintf(f, "  %-15s %-11s %9.0f %9.0f %9.0f %9.0f\n", p ? "" : ob_case_name[i],
				ob_piece_name[p], s->p50, s->p99, s->p999, s->mean);
		}
		fprintf(f, "  %-15s request %llu bytes, %llu on the wire after TLS; %.4f minor page "
			"faults an order\n", "", (unsigned long long)cr->bytes,
			(unsigned long long)cr->tls_bytes, cr->minflt_med);
	}
	if (r->sync.ok)
		fprintf(f, "  %-15s %-11s %9.0f %9.0f %9.0f %9.0f  (%llu a round, %s)\n",
			"journal.always", "append+msync", r->sync.med.p50, r->sync.med.p99,
			r->sync.med.p999, r->sync.med.mean, (unsigned long long)r->sync.iters,
			r->sync.fs);
	if (r->py.ok) {
		const struct ob_py_res *py = &r->py;

		fprintf(f, "\nreference (Python %s, CPU %d), us, medians over %u run(s)\n",
			py->version, c->cpu[0], py->runs);
		fprintf(f, "  %-44s %9.2f %9.2f %9.2f\n",
			"python_pipeline.py per tick (p50 p99 p99.9)", py->pipe_p50, py->pipe_p99,
			py->pipe_p999);
		fprintf(f, "  %-44s %9.2f %9.2f %9.2f\n", "ours: its order build+serialize+sign lines",
			py->sign_p50, py->sign_p99, py->sign_p999);
		if (r->c[OB_BINANCE_REST].ok)
			fprintf(f, "  binance.rest build_sign p50 vs those lines: %.1fx faster\n",
				bu_ratio(py->sign_p50 * 1000, r->c[OB_BINANCE_REST].med[OB_P_BUILD].p50));
	}
	if (r->d.ran) {
		const struct ob_daemon_res *d = &r->d;

		fprintf(f, "\norderd against exsim (orderd CPU %d wait %s, exsim CPU %d), medians over "
			"%u run(s)\n", c->cpu[0], c->orderd_wait, c->cpu[1], d->runs);
		if (!d->ok && d->skip[0])
			fprintf(f, "  not measured: %s\n", d->skip);
		for (unsigned v = 0; v < OB_NVENUES && d->runs; v++)
			fprintf(f, "  intent-to-send %-8s at %llu/s: p50 %.0f ns  p99 %.0f ns  "
				"p99.9 %.0f ns\n", venue_names[v], (unsigned long long)c->paced_rate,
				d->its_p50[v], d->its_p99[v], d->its_p999[v]);
		if (d->runs) {
			fprintf(f, "  closed loop, at most %llu Binance and %llu Upbit orders outstanding "
				"(Upbit %llu REST conns x pipeline %llu):\n", (unsigned long long)c->window[0],
				(unsigned long long)c->window[1], (unsigned long long)c->upbit_conns,
				(unsigned long long)c->rest_pipeline);
			fprintf(f, "  sustained: %.0f orders sent/s, %.0f orders/s in exsim's ledger, %.0f "
				"done/s (median of %u clean run(s) of %u; refused locally: median %.0f)\n",
				d->sent_per_s, d->ledger_per_s, d->done_per_s, d->clean_runs, d->runs,
				d->local_rejects);
			fprintf(f, "  CPU share: orderd %.2f, exsim %.2f, this bench %.2f (exsim's core); "
				"CPU per order sent: orderd %.0f ns, exsim %.0f ns\n", d->orderd_cpu_share,
				d->exsim_cpu_share, d->bench_cpu_share, d->orderd_cpu_ns, d->exsim_cpu_ns);
			fprintf(f, "  goal: well beyond %.0f/s, toward %.0f/s (not gated): %.2fx the "
				"first, %.2fx the second\n", OB_GOAL_MIN, OB_GOAL,
				d->sent_per_s / OB_GOAL_MIN, d->sent_per_s / OB_GOAL);
		}
		if (d->notes[0])
			fprintf(f, "  notes: %s\n", d->notes);
	}
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void stats_json(FILE *f, const struct ob_stats *s)
{
	fputs("{", f);
	bu_json_kv(f, "", "p50_ns", s->p50);
	bu_json_kv(f, ", ", "p99_ns", s->p99);
	bu_json_kv(f, ", ", "p99_9_ns", s->p999);
	bu_json_kv(f, ", ", "max_ns", s->max);
	bu_json_kv(f, ", ", "mean_ns", s->mean);
	fputs("}", f);
}

static void case_json(FILE *f, const struct ob_results *r, unsigned i)
{
	const struct ob_case_res *cr = &r->c[i];

	fprintf(f, "    {\"case\": ");
	bu_json_str(f, ob_case_name[i]);
	fprintf(f, ", \"what\": ");
	bu_json_str(f, ob_case_what[i]);
	fprintf(f, ", \"ok\": %s", cr->ok ? "true" : "false");
	if (!cr->ok) {
		fprintf(f, ", \"skipped\": ");
		bu_json_str(f, cr->skip);
		fputs("}", f);
		return;
	}
	fprintf(f, ", \"request_bytes\": %llu, \"tls_bytes\": %llu", (unsigned long long)cr->bytes,
		(unsigned long long)cr->tls_bytes);
	bu_json_kv(f, ", ", "minor_faults_per_order", cr->minflt_med);
	fputs(", \"request\": ", f);
	bu_json_str(f, cr->sample);
	fputs(",\n     \"median\": {", f);
	for (unsigned p = 0; p < OB_NPIECES; p++) {
		fprintf(f, "%s\"%s\": ", p ? ", " : "", ob_piece_name[p]);
		stats_json(f, &cr->med[p]);
	}
	fputs("},\n     \"rounds\": [", f);
	for (unsigned k = 0; k < cr->rounds; k++) {
		fprintf(f, "%s\n       {", k ? "," : "");
		for (unsigned p = 0; p < OB_NPIECES; p++) {
			fprintf(f, "%s\"%s\": ", p ? ", " : "", ob_piece_name[p]);
			stats_json(f, &cr->round[k][p]);
		}
		fputs("}", f);
	}
	fputs("]}", f);
}

static void py_runs_json(FILE *f, const struct ob_py_run *v, unsigned n)
{
	fputs("[", f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s{\"ticks\": %llu", i ? ", " : "", (unsigned long long)v[i].ticks);
		bu_json_kv(f, ", ", "p50_us", v[i].p50_us);
		bu_json_kv(f, ", ", "p99_us", v[i].p99_us);
		bu_json_kv(f, ", ", "p99_9_us", v[i].p999_us);
		bu_json_kv(f, ", ", "wall_s", v[i].wall_s);
		fputs("}", f);
	}
	fputs("]", f);
}

static void venues_json(FILE *f, const double *p50, const double *p99, const double *p999)
{
	fputs("{", f);
	for (unsigned v = 0; v < OB_NVENUES; v++) {
		fprintf(f, "%s\"%s\": {", v ? ", " : "", venue_names[v]);
		bu_json_kv(f, "", "p50_ns", p50[v]);
		bu_json_kv(f, ", ", "p99_ns", p99[v]);
		bu_json_kv(f, ", ", "p99_9_ns", p999[v]);
		fputs("}", f);
	}
	fputs("}", f);
}

static void daemon_json(FILE *f, const struct ob_results *r)
{
	const struct ob_daemon_res *d = &r->d;
	const struct ob_cfg *c = r->cfg;

	fprintf(f, ",\n  \"daemon\": {\"ran\": %s, \"ok\": %s", d->ran ? "true" : "false",
		d->ok ? "true" : "false");
	if (d->skip[0]) {
		fprintf(f, ", \"not_measured\": ");
		bu_json_str(f, d->skip);
	}
	fprintf(f, ", \"orderd_cpu\": %d, \"exsim_cpu\": %d, \"orderd_wait\": \"%s\", "
		"\"paced_rate\": %llu", c->cpu[0], c->cpu[1], c->orderd_wait,
		(unsigned long long)c->paced_rate);
	bu_json_kv(f, ", ", "paced_s", c->paced_s);
	bu_json_kv(f, ", ", "load_s", c->load_s);
	fprintf(f, ", \"window\": {\"binance\": %llu, \"upbit\": %llu}, \"rest_pipeline\": %llu"
		", \"upbit_rest_conns\": %llu", (unsigned long long)c->window[0],
		(unsigned long long)c->window[1], (unsigned long long)c->rest_pipeline,
		(unsigned long long)c->upbit_conns);
	fprintf(f, ", \"exsim_ready\": ");
	bu_json_str(f, d->exsim_ready);
	fprintf(f, ", \"intent_to_send_metrics\": [");
	bu_json_str(f, d->its_metric[0]);
	fputs(", ", f);
	bu_json_str(f, d->its_metric[1]);
	fprintf(f, "], \"notes\": ");
	bu_json_str(f, d->notes);
	fputs(",\n    \"median\": {\"intent_to_send\": ", f);
	venues_json(f, d->its_p50, d->its_p99, d->its_p999);
	bu_json_kv(f, ", ", "sent_per_s", d->sent_per_s);
	bu_json_kv(f, ", ", "ledger_per_s", d->ledger_per_s);
	bu_json_kv(f, ", ", "done_per_s", d->done_per_s);
	bu_json_kv(f, ", ", "local_rejects", d->local_rejects);
	fprintf(f, ", \"clean_runs\": %u", d->clean_runs);
	bu_json_kv(f, ", ", "bench_cpu_share", d->bench_cpu_share);
	bu_json_kv(f, ", ", "orderd_cpu_ns_per_order", d->orderd_cpu_ns);
	bu_json_kv(f, ", ", "exsim_cpu_ns_per_order", d->exsim_cpu_ns);
	bu_json_kv(f, ", ", "orderd_cpu_share", d->orderd_cpu_share);
	bu_json_kv(f, ", ", "exsim_cpu_share", d->exsim_cpu_share);
	fputs("},\n    \"runs\": [", f);
	for (unsigned i = 0; i < d->runs; i++) {
		const struct ob_run_res *u = &d->run[i];

		fprintf(f, "%s\n      {\"ok\": %s, \"intent_to_send\": ", i ? "," : "",
			u->ok ? "true" : "false");
		venues_json(f, u->its_p50, u->its_p99, u->its_p999);
		fprintf(f, ", \"paced_orders\": {\"binance\": %llu, \"upbit\": %llu}"
			", \"histogram_counts\": {\"binance\": %llu, \"upbit\": %llu}",
			(unsigned long long)u->paced_orders[0], (unsigned long long)u->paced_orders[1],
			(unsigned long long)u->its_count[0], (unsigned long long)u->its_count[1]);
		bu_json_kv(f, ",\n       ", "load_wall_s", u->load_wall_s);
		fprintf(f, ", \"pushed\": %llu, \"sent\": %llu, \"done\": %llu, \"acked\": %llu"
			", \"rejected\": %llu, \"unknown\": %llu"
			", \"local_rejects\": %llu, \"other_reports\": %llu, \"ledger\": %llu"
			", \"idle_waits\": %llu, \"wsapi_full\": %llu, \"exsim_slow_closed\": %lld"
			", \"reconnects\": %llu",
			(unsigned long long)u->pushed, (unsigned long long)u->sent,
			(unsigned long long)u->done, (unsigned long long)u->acked,
			(unsigned long long)u->rejected, (unsigned long long)u->unknown,
			(unsigned long long)u->local_rejects, (unsigned long long)u->other_reports,
			(unsigned long long)u->ledger, (unsigned long long)u->idle_waits,
			(unsigned long long)u->ws_full, (long long)u->ws_slow_closed,
			(unsigned long long)u->reconnects);
		fprintf(f, ", \"done_by_venue\": {\"binance\": %llu, \"upbit\": %llu}",
			(unsigned long long)u->v_done[0], (unsigned long long)u->v_done[1]);
		fprintf(f, ", \"sent_by_venue\": {\"binance\": %llu, \"upbit\": %llu}"
			", \"local_rejects_by_venue\": {\"binance\": %llu, \"upbit\": %llu}",
			(unsigned long long)u->v_sent[0], (unsigned long long)u->v_sent[1],
			(unsigned long long)u->v_local_rej[0], (unsigned long long)u->v_local_rej[1]);
		bu_json_kv(f, ", ", "sent_per_s", u->sent_per_s);
		bu_json_kv(f, ", ", "ledger_per_s", u->ledger_per_s);
		bu_json_kv(f, ", ", "done_per_s", u->done_per_s);
		bu_json_kv(f, ", ", "bench_cpu_share", u->bench_cpu_share);
		bu_json_kv(f, ", ", "orderd_cpu_ns_per_order", u->orderd_cpu_ns);
		bu_json_kv(f, ", ", "exsim_cpu_ns_per_order", u->exsim_cpu_ns);
		bu_json_kv(f, ", ", "orderd_cpu_share", u->orderd_cpu_share);
		bu_json_kv(f, ", ", "exsim_cpu_share", u->exsim_cpu_share);
		fputs("}", f);
	}
	fputs("]}", f);
}

void ob_json(FILE *f, const void *arg)
{
	const struct ob_results *r = arg;
	const struct ob_cfg *c = r->cfg;
	const struct ob_py_res *py = &r->py;

	bu_json_head(f, "order", c->commit);
	fputs(",\n", f);
	bu_json_machine_open(f);
	fprintf(f, ", \"cpus\": [%d, %d]", c->cpu[0], c->cpu[1]);
	bu_json_kv(f, ", ", "tsc_ghz", r->tsc_ghz);
	bu_json_kv(f, ", ", "empty_span_ns", r->timer_ns);
	fputs("},\n  \"config\": {", f);
	fprintf(f, "\"ci\": %s, \"rounds\": %u, \"iters\": %llu, \"warmup\": %llu, "
		"\"sync_iters\": %llu, \"journal_dir\": ", c->ci ? "true" : "false", c->rounds,
		(unsigned long long)c->iters, (unsigned long long)c->warmup,
		(unsigned long long)c->sync_iters);
	bu_json_str(f, c->journal_dir);
	fprintf(f, ", \"tls\": ");
	bu_json_str(f, c->no_tls ? "left out" : r->tls_suite);
	fprintf(f, ", \"py_iters\": %llu, \"py_runs\": %u, \"runs\": %u}",
		(unsigned long long)c->py_iters, c->py_runs, c->runs);
	fputs(",\n  \"inproc\": [\n", f);
	for (unsigned i = 0; i < OB_NCASES; i++) {
		case_json(f, r, i);
		fputs(i + 1 < OB_NCASES ? ",\n" : "\n", f);
	}
	fputs("  ],\n  \"journal_always\": {", f);
	fprintf(f, "\"ok\": %s, \"fs\": ", r->sync.ok ? "true" : "false");
	bu_json_str(f, r->sync.fs);
	fprintf(f, ", \"iters\": %llu", (unsigned long long)r->sync.iters);
	if (r->sync.ok) {
		fputs(", \"median\": ", f);
		stats_json(f, &r->sync.med);
	}
	fputs("},\n  \"python\": {", f);
	fprintf(f, "\"ran\": %s, \"version\": ", py->ran ? "true" : "false");
	bu_json_str(f, py->version);
	fputs(", \"pipeline\": \"python_pipeline.py per tick (the baseline)\"", f);
	fputs(", \"sign_lines\": \"ours: the pipeline's order build+serialize+sign lines alone\"",
	      f);
	fputs(",\n    \"median\": {\"pipeline\": {", f);
	bu_json_kv(f, "", "p50_us", py->pipe_p50);
	bu_json_kv(f, ", ", "p99_us", py->pipe_p99);
	bu_json_kv(f, ", ", "p99_9_us", py->pipe_p999);
	fputs("}, \"sign_lines\": {", f);
	bu_json_kv(f, "", "p50_us", py->sign_p50);
	bu_json_kv(f, ", ", "p99_us", py->sign_p99);
	bu_json_kv(f, ", ", "p99_9_us", py->sign_p999);
	fputs("}},\n    \"pipeline_runs\": ", f);
	py_runs_json(f, py->pipe, py->runs);
	fputs(",\n    \"sign_lines_runs\": ", f);
	py_runs_json(f, py->sign, py->runs);
	fputs("}", f);
	daemon_json(f, r);
	fputs(",\n  \"goal\": {\"text\": \"sustained signed orders per second to exsim: well "
	      "beyond 10,000/s, toward 100,000/s (reported, not gated)\"", f);
	bu_json_kv(f, ", ", "min_per_s", OB_GOAL_MIN);
	bu_json_kv(f, ", ", "aim_per_s", OB_GOAL);
	bu_json_kv(f, ", ", "measured_per_s", r->d.runs ? r->d.sent_per_s : NAN);
	fputs("}\n}\n", f);
}
