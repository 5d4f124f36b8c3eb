/* SPDX-License-Identifier: MIT */
/*
 * feed_bench's summary on stdout and its JSON (bench/results/README.md
 * describes the fields).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../common/bench_util.h"
#include "feed_bench.h"

/* The figure: feedd takes this many messages/s on one core with no loss. */
#define FB_GOAL_MPS 1000000.0
/* A side that used this share of its CPU or more was the limit. */
#define FB_BOUND_SHARE 0.9
static const char goal_name[] =
	"feedd ingests at least 1,000,000 market messages per second on one core with no loss";

const char *const fb_hist_names[FB_NHIST] = {
	"cqe_to_publish_ns", "binance.cqe_to_publish_ns", "upbit.cqe_to_publish_ns",
};

static const char *const ev_names[FB_EV_MAX] = { "top", "trade", "status", "other" };

static void rate_str(uint64_t rate, char *buf, size_t len)
{
	if (rate == BX_RATE_MAX)
		snprintf(buf, len, "max");
	else if (rate == BX_RATE_QUIET)
		snprintf(buf, len, "quiet");
	else
		snprintf(buf, len, "%llu", (unsigned long long)rate);
}

/* The best median rate of a rate with no loss, and at which. */
static double best_mps(const struct fb_results *r, int *at)
{
	double best = NAN;

	*at = -1;
	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct fb_rate_res *rr = &r->res[i];

		if (!rr->no_loss || isnan(rr->med.mps))
			continue;
		if (isnan(best) || rr->med.mps > best) {
			best = rr->med.mps;
			*at = (int)i;
		}
	}
	return best;
}

/* The highest rate feedd's measured CPU cost would give on a whole core. */
static double capacity(const struct fb_rate_res *rr)
{
	return bu_ratio(1e9, rr->med.feedd_ns_per_msg);
}

/* Which side ran out of CPU: "exsim", "feedd", "both" or "neither". */
static const char *bound(const struct fb_round *m)
{
	bool e = m->exsim_share >= FB_BOUND_SHARE, f = m->feedd_share >= FB_BOUND_SHARE;

	return e && f ? "both" : e ? "exsim" : f ? "feedd" : "neither";
}

/* What kept the best rate with no loss where it was. */
static const char *limit(const struct fb_results *r, int at)
{
	const struct fb_rate_res *b = &r->res[at];

	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct fb_rate_res *rr = &r->res[i];

		if ((int)i != at && rr->rounds_done && !rr->no_loss && rr->med.mps > b->med.mps)
			return "a higher rate ran and lost messages (see notes)";
	}
	if (isnan(b->asked_mps) || b->med.published_mps < 0.95 * b->asked_mps)
		return "exsim published no more on its core; feedd kept up with all of it";
	return "no higher rate was asked";
}

/* ---- the summary ------------------------------------------------------------------------ */

static void cell(double v, int width, int decimals)
{
	if (isnan(v) || isinf(v))
		printf("%*s", width, "-");
	else
		printf("%*.*f", width, decimals, v);
}

static void notes(const struct fb_results *r)
{
	bool head = false;

	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct fb_rate_res *rr = &r->res[i];
		const struct fb_round *m = &rr->med;
		char name[24];

		if (!rr->rounds_done)
			continue;
		rate_str(rr->rate, name, sizeof(name));
		printf("%s  %-9s binance %.0f + upbit %.0f msg/s; exsim CPU %.0f%%, feedd CPU %.0f%% "
		       "(%s bound); drain thread CPU %.1f%%; books live after %.2f s\n",
		       head ? "" : "\nnotes\n", name, m->mps_venue[BX_BINANCE],
		       m->mps_venue[BX_UPBIT], m->exsim_share * 100, m->feedd_share * 100,
		       bound(m), m->drain_share * 100, rr->live_s);
		if (m->others_share[0] >= 0.05 || m->others_share[1] >= 0.05)
			printf("  %-9s other tasks took %.0f%% of exsim's CPU and %.0f%% of feedd's "
			       "(median over windows; exsim's includes this bench)\n", "",
			       m->others_share[0] * 100, m->others_share[1] * 100);
		head = true;
		if (rr->exact_done)
			printf("  %-9s exact count after exsim's pause (feedd idle after %.2f s): "
			       "binance %llu published / %llu received, upbit %llu / %llu; ring "
			       "%llu events, %llu drained\n", "", rr->settle_s,
			       (unsigned long long)rr->total_pub[BX_BINANCE],
			       (unsigned long long)rr->total_recv[BX_BINANCE],
			       (unsigned long long)rr->total_pub[BX_UPBIT],
			       (unsigned long long)rr->total_recv[BX_UPBIT],
			       (unsigned long long)rr->total_events,
			       (unsigned long long)rr->total_drained);
		if (!rr->no_loss)
			printf("  %-9s LOSS: %s\n", "", rr->loss_why[0] ? rr->loss_why : rr->error);
	}
}

void fb_print(const struct fb_results *r)
{
	const struct fb_cfg *c = r->cfg;
	double best, cap = NAN;
	int at;

	printf("\nkimp feedd ingest bench%s: feedd fed by exsim over TLS (binance + upbit, %u coins, "
	       "Upbit %s), median of %u windows of %.1f s\n", c->ci ? " (--ci)" : "", c->ncoins,
	       c->upbit_depth == 1 ? "top of book" : "30-level books", c->rounds,
	       (double)c->window_ns / 1e9);
	if (c->pin)
		printf("  feedd pinned to CPU %d alone; exsim and this bench (md ring drain) share "
		       "CPU %d\n", c->cpu[1], c->cpu[0]);
	else
		printf("  one CPU: exsim, feedd and this bench share it\n");
	printf("  %-9s %10s %11s %7s %6s %7s %9s %9s %7s %7s %7s  %s\n", "asked/s", "got msg/s",
	       "published/s", "got/pub", "feedd", "ns/msg", "capacity", "events/s", "p50 us",
	       "p99 us", "p999 us", "no loss");
	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct fb_rate_res *rr = &r->res[i];
		const struct fb_round *m = &rr->med;
		char name[24];

		rate_str(rr->rate, name, sizeof(name));
		if (!rr->rounds_done) {
			printf("  %-9s failed: %s\n", name, rr->error);
			continue;
		}
		printf("  %-9s", name);
		cell(m->mps, 11, 0);
		cell(m->published_mps, 12, 0);
		cell(bu_ratio(m->mps, m->published_mps), 8, 4);
		cell(m->feedd_share * 100, 6, 0);
		printf("%%");
		cell(m->feedd_ns_per_msg, 7, 0);
		cell(capacity(rr), 10, 0);
		cell(m->events_ps, 10, 0);
		cell(m->lat[0].p50 / 1000, 8, 1);
		cell(m->lat[0].p99 / 1000, 8, 1);
		cell(m->lat[0].p999 / 1000, 8, 1);
		printf("  %s%s\n", rr->no_loss ? "yes" : "NO", rr->ok ? "" : " (failed)");
	}
	printf("  (got: messages feedd received, both venues; published/s: exsim's own count;\n"
	       "   feedd: its CPU time (user + sys) / wall time, one core = 100%%; ns/msg: that\n"
	       "   CPU per message; capacity: 1e9 / ns/msg, what a whole core would take at that\n"
	       "   cost; events/s: md ring events drained; p50/p99/p999: cqe_to_publish_ns, the\n"
	       "   completion that carried the bytes to the event on the md ring, all venues;\n"
	       "   no loss: every window ending within the in-flight slack, no decode error,\n"
	       "   gap, resync, reconnect or ring drop, and the exact totals equal after the\n"
	       "   pause)\n");
	notes(r);
	best = best_mps(r, &at);
	if (at >= 0)
		cap = capacity(&r->res[at]);
	printf("\nheadline: ");
	if (isnan(best)) {
		printf("no rate ran with no loss\n");
	} else {
		char name[24];

		rate_str(r->res[at].rate, name, sizeof(name));
		printf("%.0f msg/s sustained with no loss (asked %s), feedd at %.0f%% of its core; "
		       "at its measured %.0f ns/msg a whole core would take about %.0f msg/s\n", best,
		       name, r->res[at].med.feedd_share * 100, r->res[at].med.feedd_ns_per_msg, cap);
	}
	printf("\ngoal (reported only; it never fails the run)\n  %s: %s", goal_name,
	       isnan(best) ? "not measured" : best >= FB_GOAL_MPS ? "met" :
	       "NOT met as measured");
	if (!isnan(best) && best < FB_GOAL_MPS)
		printf(" (best %.0f msg/s: %s)", best, limit(r, at));
	printf("\n");
	fflush(stdout);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_u(FILE *f, const char *sep, const char *key, uint64_t v)
{
	fprintf(f, "%s\"%s\": %llu", sep, key, (unsigned long long)v);
}

static void json_lat(FILE *f, const struct fb_lat *l, bool with_count)
{
	fputc('{', f);
	if (with_count)
		json_u(f, "", "count", l->count);
	bu_json_kv(f, with_count ? ", " : "", "p50_ns", l->p50);
	bu_json_kv(f, ", ", "p99_ns", l->p99);
	bu_json_kv(f, ", ", "p999_ns", l->p999);
	bu_json_kv(f, ", ", "max_ns", l->max);
	fputc('}', f);
}

static void json_lats(FILE *f, const struct fb_lat *l, bool with_count)
{
	fputc('{', f);
	for (int h = 0; h < FB_NHIST; h++) {
		fprintf(f, "%s\"%s\": ", h ? ", " : "", fb_hist_names[h]);
		json_lat(f, &l[h], with_count);
	}
	fputc('}', f);
}

static void json_ctr(FILE *f, const struct fb_ctr *x)
{
	fputc('{', f);
	for (int v = 0; v < FB_NVENUES; v++) {
		const struct fb_venue_ctr *c = &x->v[v];

		fprintf(f, "\"%s\": {", bx_venue_names[v]);
		json_u(f, "", "msgs", c->msgs);
		json_u(f, ", ", "bytes", c->bytes);
		json_u(f, ", ", "control", c->control);
		json_u(f, ", ", "decode_errors", c->decode_err);
		json_u(f, ", ", "gaps", c->gaps);
		json_u(f, ", ", "resyncs", c->resyncs);
		json_u(f, ", ", "reconnects", c->reconnects);
		json_u(f, ", ", "idle_drops", c->idle_drops);
		json_u(f, ", ", "crossed", c->crossed);
		json_u(f, ", ", "stale_marks", c->stale_marks);
		json_u(f, ", ", "snapshot_failures", c->snap_fail);
		fputs("}, ", f);
	}
	json_u(f, "", "md_events", x->events);
	json_u(f, ", ", "md_ring_full", x->ring_full);
	json_u(f, ", ", "ring_overruns", x->overruns);
	json_u(f, ", ", "md_status_changes", x->status_changes);
	fputc('}', f);
}

static void json_drain(FILE *f, const struct fb_drain_ctr *d, bool with_max)
{
	fputc('{', f);
	json_u(f, "", "events", d->events);
	for (int k = 0; k < FB_EV_MAX; k++)
		json_u(f, ", ", ev_names[k], d->by_type[k]);
	json_u(f, ", ", "gap_flags", d->gap_flags);
	json_u(f, ", ", "batches", d->batches);
	if (with_max)
		json_u(f, ", ", "max_batch", d->max_batch);
	bu_json_kv(f, ", ", "cpu_ms", (double)d->cpu_ns / 1e6);
	fputc('}', f);
}

static void json_figs(FILE *f, const struct fb_round *x)
{
	bu_json_kv(f, "", "msgs_per_s", x->mps);
	fputs(", \"msgs_per_s_by_venue\": {", f);
	bu_json_kv(f, "", "binance", x->mps_venue[BX_BINANCE]);
	bu_json_kv(f, ", ", "upbit", x->mps_venue[BX_UPBIT]);
	fputc('}', f);
	bu_json_kv(f, ", ", "exsim_published_per_s", x->published_mps);
	bu_json_kv(f, ", ", "received_vs_published", bu_ratio(x->mps, x->published_mps));
	bu_json_kv(f, ", ", "mb_per_s", x->mbps);
	bu_json_kv(f, ", ", "feedd_cpu_share", x->feedd_share);
	bu_json_kv(f, ", ", "feedd_cpu_ns_per_msg", x->feedd_ns_per_msg);
	bu_json_kv(f, ", ", "exsim_cpu_share", x->exsim_share);
	bu_json_kv(f, ", ", "drain_cpu_share", x->drain_share);
	bu_json_kv(f, ", ", "md_events_per_s", x->events_ps);
	fputs(", \"others_cpu_share\": [", f);
	bu_json_num(f, x->others_share[0]);
	fputs(", ", f);
	bu_json_num(f, x->others_share[1]);
	fputc(']', f);
	fputs(", \"cqe_to_publish\": ", f);
	json_lats(f, x->lat, false);
}

static void json_round(FILE *f, const struct fb_rate_res *rr, unsigned i)
{
	const struct fb_round *x = &rr->round[i];

	fprintf(f, "{\"round\": %u, ", i + 1);
	bu_json_kv(f, "", "wall_s", (double)x->wall_ns / 1e9);
	fprintf(f, ", \"lossless\": %s, \"received\": {\"binance\": %llu, \"upbit\": %llu}, "
		"\"published\": ", x->lossless ? "true" : "false",
		(unsigned long long)x->recv[BX_BINANCE], (unsigned long long)x->recv[BX_UPBIT]);
	if (x->have_published)
		fprintf(f, "{\"binance\": %llu, \"upbit\": %llu}, \"behind\": {\"binance\": %lld, "
			"\"upbit\": %lld}, \"in_flight\": {\"binance\": %lld, \"upbit\": %lld}",
			(unsigned long long)x->published[BX_BINANCE],
			(unsigned long long)x->published[BX_UPBIT], (long long)x->behind[BX_BINANCE],
			(long long)x->behind[BX_UPBIT], (long long)x->inflight[BX_BINANCE],
			(long long)x->inflight[BX_UPBIT]);
	else
		fputs("null, \"behind\": null, \"in_flight\": null", f);
	fprintf(f, ", \"slack\": {\"binance\": %llu, \"upbit\": %llu}, \"books_live\": %u, "
		"\"books\": %u,\n          ", (unsigned long long)x->slack[BX_BINANCE],
		(unsigned long long)x->slack[BX_UPBIT], x->books_live, x->books);
	json_figs(f, x);
	fputs(",\n          \"cqe_to_publish_counts\": {", f);
	for (int h = 0; h < FB_NHIST; h++)
		fprintf(f, "%s\"%s\": %llu", h ? ", " : "", fb_hist_names[h],
			(unsigned long long)x->lat[h].count);
	fputs("},\n          \"counters\": ", f);
	json_ctr(f, &x->ctr);
	fputs(",\n          \"drain\": ", f);
	json_drain(f, &x->drain, true);
	fprintf(f, ",\n          \"feedd_cpu_ms\": %.3f, \"exsim_cpu_ms\": %.3f, \"steal_ms\": %llu, "
		"\"others_ms\": [%llu, %llu]}", (double)x->feedd_cpu_ns / 1e6,
		(double)x->exsim_cpu_ns / 1e6, (unsigned long long)x->steal_ms,
		(unsigned long long)x->others_ms[0], (unsigned long long)x->others_ms[1]);
}

static void json_exact(FILE *f, const struct fb_rate_res *rr)
{
	fprintf(f, "{\"done\": %s", rr->exact_done ? "true" : "false");
	if (rr->exact_done) {
		bu_json_kv(f, ", ", "settle_s", rr->settle_s);
		fputs(", \"published\": {", f);
		json_u(f, "", "binance", rr->total_pub[BX_BINANCE]);
		json_u(f, ", ", "upbit", rr->total_pub[BX_UPBIT]);
		fputs("}, \"received\": {", f);
		json_u(f, "", "binance", rr->total_recv[BX_BINANCE]);
		json_u(f, ", ", "upbit", rr->total_recv[BX_UPBIT]);
		fputs("}, \"received_control\": {", f);
		json_u(f, "", "binance", rr->total_control[BX_BINANCE]);
		json_u(f, ", ", "upbit", rr->total_control[BX_UPBIT]);
		fputc('}', f);
		json_u(f, ", ", "md_events", rr->total_events);
		json_u(f, ", ", "drained", rr->total_drained);
		json_u(f, ", ", "ws_slow_closed", rr->slow_closed);
		fprintf(f, ", \"ws_slow_closed_by_phase\": [%llu, %llu, %llu], "
			"\"reconnects_by_phase\": [%llu, %llu, %llu]",
			(unsigned long long)rr->slow_phase[0], (unsigned long long)rr->slow_phase[1],
			(unsigned long long)rr->slow_phase[2], (unsigned long long)rr->reconn_phase[0],
			(unsigned long long)rr->reconn_phase[1],
			(unsigned long long)rr->reconn_phase[2]);
	}
	fputc('}', f);
}

static void json_rate(FILE *f, const struct fb_rate_res *rr)
{
	char name[24];

	rate_str(rr->rate, name, sizeof(name));
	fputs("    {\"rate\": ", f);
	bu_json_str(f, name);
	bu_json_kv(f, ", ", "asked_msgs_per_s", rr->asked_mps);
	fprintf(f, ", \"load_rate\": %llu, \"ok\": %s, \"error\": ",
		(unsigned long long)rr->load_rate, rr->ok ? "true" : "false");
	if (rr->ok)
		fputs("null", f);
	else
		bu_json_str(f, rr->error);
	fputs(", \"exsim_ready\": ", f);
	bu_json_str(f, rr->ready_line);
	bu_json_kv(f, ", ", "books_live_after_s", rr->live_s);
	fprintf(f, ",\n      \"no_loss\": %s, \"loss\": ", rr->no_loss ? "true" : "false");
	if (rr->no_loss)
		fputs("null", f);
	else
		bu_json_str(f, rr->loss_why[0] ? rr->loss_why : rr->error);
	fprintf(f, ", \"windows_lossless\": %u, \"cpu_bound\": ", rr->windows_lossless);
	if (rr->rounds_done)
		bu_json_str(f, bound(&rr->med));
	else
		fputs("null", f);
	bu_json_kv(f, ", ", "feedd_capacity_msgs_per_s", capacity(rr));
	fputs(",\n      \"exact\": ", f);
	json_exact(f, rr);
	fputs(",\n      \"median\": {", f);
	if (rr->rounds_done)
		json_figs(f, &rr->med);
	fputs("},\n      \"all_windows\": {\"cqe_to_publish\": ", f);
	json_lats(f, rr->span_lat, true);
	fputs(",\n        \"counters\": ", f);
	json_ctr(f, &rr->span_ctr);
	fputs(",\n        \"drain\": ", f);
	json_drain(f, &rr->span_drain, false);
	fputs("},\n      \"rounds\": [", f);
	for (unsigned i = 0; i < rr->rounds_done; i++) {
		fputs(i ? ",\n        " : "\n        ", f);
		json_round(f, rr, i);
	}
	fputs("\n      ]}", f);
}

static void json_config(FILE *f, const struct fb_results *r)
{
	const struct fb_cfg *c = r->cfg;

	bu_json_machine_open(f);
	fprintf(f, ", \"pinned\": %s, \"cpus\": ", c->pin ? "true" : "false");
	if (c->pin)
		fprintf(f, "{\"exsim\": %d, \"bench\": %d, \"feedd\": %d}", c->cpu[0], c->cpu[0],
			c->cpu[1]);
	else
		fputs("null", f);
	fputs(", \"segment_backing\": ", f);
	bu_json_str(f, r->backing[0] ? r->backing : "unknown");
	fputs("},\n", f);
	fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, ", c->ci ? "ci" : "full",
		c->rounds);
	bu_json_kv(f, "", "window_s", (double)c->window_ns / 1e9);
	bu_json_kv(f, ", ", "warmup_s", (double)c->warm_ns / 1e9);
	fprintf(f, ", \"feed\": \"%s\", \"upbit_depth\": %u, \"conns_per_venue\": %u, "
		"\"ring_slots\": %u, \"feedd_loop\": \"%s\", \"coins\": [",
		c->upbit_depth == 1 ? "top" : "full", c->upbit_depth, c->conns, c->ring_slots,
		c->spin ? "spin" : "wait");
	for (unsigned i = 0; i < c->ncoins; i++) {
		fputs(i ? ", " : "", f);
		bu_json_str(f, c->coins[i]);
	}
	fputs("],\n    \"scenario\": ", f);
	if (c->scenario)
		bu_json_str(f, c->scenario);
	else
		fputs("null", f);
	fprintf(f, ", \"load_rate_max\": %llu, \"slack\": \"per venue, at a window's end, "
		"on published since exsim started - received since feedd started: 1000 messages + "
		"100 ms of the window's published rate + half of feedd's count's move during the "
		"two /status requests\"},\n", (unsigned long long)BX_LOAD_RATE_MAX);
}

static void json_goal(FILE *f, const struct fb_results *r)
{
	double best;
	int at;
	char name[24] = "";

	best = best_mps(r, &at);
	if (at >= 0)
		rate_str(r->res[at].rate, name, sizeof(name));
	fputs("  \"goal\": {\"name\": ", f);
	bu_json_str(f, goal_name);
	bu_json_kv(f, ", ", "target_msgs_per_s", FB_GOAL_MPS);
	bu_json_kv(f, ", ", "best_no_loss_msgs_per_s", best);
	fputs(", \"best_at_rate\": ", f);
	if (at >= 0)
		bu_json_str(f, name);
	else
		fputs("null", f);
	bu_json_kv(f, ", ", "feedd_cpu_share_at_best", at >= 0 ? r->res[at].med.feedd_share : NAN);
	bu_json_kv(f, ", ", "feedd_capacity_at_best", at >= 0 ? capacity(&r->res[at]) : NAN);
	fprintf(f, ", \"judged\": %s, \"met\": %s}\n", isnan(best) ? "false" : "true",
		!isnan(best) && best >= FB_GOAL_MPS ? "true" : "false");
}

static void json_write(FILE *f, const struct fb_results *r)
{
	bu_json_head(f, "feed", r->cfg->commit);
	fputs(",\n  \"units\": {\"rate\": \"market messages per second feedd received, both "
	      "venues\", \"latency\": \"ns, cqe_to_publish_ns\", \"cpu_share\": \"CPU time / wall "
	      "time (1 = one core)\", \"mb\": \"1e6 payload bytes\"},\n", f);
	json_config(f, r);
	fputs("  \"rates\": [\n", f);
	for (unsigned i = 0; i < r->nrates_done; i++) {
		json_rate(f, &r->res[i]);
		fputs(i + 1 < r->nrates_done ? ",\n" : "\n", f);
	}
	fputs("  ],\n", f);
	json_goal(f, r);
	fputs("}\n", f);
}

static void json_write_v(FILE *f, const void *r)
{
	json_write(f, r);
}

int fb_json(const struct fb_results *r)
{
	return bu_json_file(FB_PROG, r->cfg->json_path, json_write_v, r);
}
