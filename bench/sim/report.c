/* SPDX-License-Identifier: MIT */
/*
 * sim_bench's summary on stdout and its JSON (bench/results/README.md
 * describes the fields).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sim_bench.h"
#include "../common/bench_util.h"

/* The figure: publishing at least this many messages/s across connections. */
#define SB_GOAL_MPS 1000000.0
/* Received below this share of what exsim counted as published: say so. */
#define SB_LOST_NOTE 0.98
static const char goal_name[] =
	"exsim publishes at least 1,000,000 market messages per second across connections";

static void rate_str(uint64_t rate, char *buf, size_t len)
{
	if (rate == SB_RATE_MAX)
		snprintf(buf, len, "max");
	else if (rate == SB_RATE_QUIET)
		snprintf(buf, len, "quiet");
	else
		snprintf(buf, len, "%llu", (unsigned long long)rate);
}

/* The best median rate any requested rate reached, and at which. */
static double best_mps(const struct sb_results *r, int *at)
{
	double best = NAN;

	*at = -1;
	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct sb_rate_res *rr = &r->res[i];

		if (!rr->ok || !rr->rounds_done || isnan(rr->med.mps))
			continue;
		if (isnan(best) || rr->med.mps > best) {
			best = rr->med.mps;
			*at = (int)i;
		}
	}
	return best;
}

/* Which side ran out of CPU: "exsim", "client", "both" or "neither". */
static const char *bound(const struct sb_round *m)
{
	bool e = m->exsim_share >= SB_BOUND_SHARE, c = m->client_share >= SB_BOUND_SHARE;

	return e && c ? "both" : e ? "exsim" : c ? "client" : "neither";
}

/* ---- the summary ------------------------------------------------------------------------ */

/* A right-aligned number in a cell of 'width', or "-" when it is not known. */
static void cell(double v, int width, int decimals)
{
	if (isnan(v) || isinf(v))
		printf("%*s", width, "-");
	else
		printf("%*.*f", width, decimals, v);
}

/* What the table implies: who was the limit, and messages that never came. */
static void notes(const struct sb_results *r)
{
	bool head = false;

	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct sb_rate_res *rr = &r->res[i];
		const struct sb_round *m = &rr->med;
		const char *b;
		char name[24];

		if (!rr->rounds_done)
			continue;
		rate_str(rr->rate, name, sizeof(name));
		b = bound(m);
		if (strcmp(b, "neither")) {
			printf("%s  %-9s %s used %.0f%%/%.0f%% of a core (exsim/client): %s\n",
			       head ? "" : "\nnotes\n", name, !strcmp(b, "both") ? "both sides" : b,
			       m->exsim_share * 100, m->client_share * 100,
			       !strcmp(b, "client") ? "the client, not exsim, was the limit" :
			       "the rate is what exsim could do");
			head = true;
		}
		if (rr->got_vs_published < SB_LOST_NOTE) {
			printf("%s  %-9s of the messages exsim counted as published, %.1f%% arrived "
			       "(median %.0f vs %.0f msg/s); no connection was closed for the "
			       "rest\n", head ? "" : "\nnotes\n", name, rr->got_vs_published * 100,
			       m->published_mps, m->mps);
			head = true;
		}
	}
}

void sb_print(const struct sb_results *r)
{
	const struct sb_cfg *c = r->cfg;
	double best;
	int at;

	printf("\nkimp exsim load bench%s: %u connections per venue (binance, upbit), "
	       "median of %u windows of %.1f s\n", c->ci ? " (--ci)" : "", c->conns, c->rounds,
	       (double)c->window_ns / 1e9);
	printf("  %-9s %11s %11s %7s %8s %11s %6s %11s %6s %11s\n", "asked/s", "got msg/s",
	       "got/asked", "MB/s", "B/msg", "exsim ns", "CPU", "client ns", "CPU",
	       "published/s");
	for (unsigned i = 0; i < r->nrates_done; i++) {
		const struct sb_rate_res *rr = &r->res[i];
		const struct sb_round *m = &rr->med;
		char name[24];

		rate_str(rr->rate, name, sizeof(name));
		if (!rr->rounds_done) {
			printf("  %-9s failed: %s\n", name, rr->error);
			continue;
		}
		printf("  %-9s", name);
		cell(m->mps, 12, 0);
		cell(bu_ratio(m->mps, rr->asked_mps), 12, 3);
		cell(m->mbps, 8, 1);
		cell(m->bytes_per_msg, 9, 0);
		cell(m->exsim_ns_per_msg, 12, 0);
		cell(m->exsim_share * 100, 5, 0);
		printf("%%");
		cell(m->client_ns_per_msg, 11, 0);
		cell(m->client_share * 100, 5, 0);
		printf("%%");
		cell(m->published_mps, 12, 0);
		printf("%s\n", rr->ok ? "" : "  (failed)");
	}
	printf("  (got: messages received, all connections; exsim ns, client ns: CPU time, user\n"
	       "   + sys, per message received; CPU: share of one core; published/s: exsim's own\n"
	       "   count; quiet: load_rate 0, the model's own messages)\n");
	notes(r);
	best = best_mps(r, &at);
	printf("\ngoal (reported only; it never fails the run)\n  %s: %s",
	       goal_name, isnan(best) ? "not measured" : best >= SB_GOAL_MPS ? "met" : "NOT met");
	if (!isnan(best)) {
		char name[24];

		rate_str(r->res[at].rate, name, sizeof(name));
		printf(" (best %.0f msg/s, asked %s)", best, name);
	}
	printf("\n");
	fflush(stdout);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void json_figs(FILE *f, const struct sb_rate_res *rr, const struct sb_round *x)
{
	bu_json_kv(f, "", "msgs_per_s", x->mps);
	fputs(", \"msgs_per_s_by_venue\": {", f);
	bu_json_kv(f, "", "binance", x->mps_venue[SB_BINANCE]);
	bu_json_kv(f, ", ", "upbit", x->mps_venue[SB_UPBIT]);
	fputc('}', f);
	bu_json_kv(f, ", ", "delivered_vs_asked", bu_ratio(x->mps, rr->asked_mps));
	bu_json_kv(f, ", ", "mb_per_s", x->mbps);
	bu_json_kv(f, ", ", "bytes_per_msg", x->bytes_per_msg);
	bu_json_kv(f, ", ", "exsim_cpu_ns_per_msg", x->exsim_ns_per_msg);
	bu_json_kv(f, ", ", "exsim_cpu_share", x->exsim_share);
	bu_json_kv(f, ", ", "client_cpu_ns_per_msg", x->client_ns_per_msg);
	bu_json_kv(f, ", ", "client_cpu_share", x->client_share);
	bu_json_kv(f, ", ", "exsim_published_per_s", x->published_mps);
	bu_json_kv(f, ", ", "delivered_vs_published", x->got_vs_published);
}


static void json_round(FILE *f, const struct sb_rate_res *rr, unsigned i)
{
	const struct sb_round *x = &rr->round[i];
	uint64_t msgs = 0, bytes = 0, bad = 0;

	for (int v = 0; v < SB_NVENUES; v++) {
		msgs += x->cnt[v].msgs;
		bytes += x->cnt[v].bytes;
		bad += x->cnt[v].bad;
	}
	fprintf(f, "{\"round\": %u, ", i + 1);
	bu_json_kv(f, "", "wall_s", (double)x->wall_ns / 1e9);
	fprintf(f, ", \"msgs\": %llu, \"bytes\": %llu, \"malformed\": %llu, ",
		(unsigned long long)msgs, (unsigned long long)bytes, (unsigned long long)bad);
	json_figs(f, rr, x);
	fprintf(f, ", \"exsim_cpu_ms\": %.3f, \"client_cpu_ms\": %.3f, \"steal_ms\": %llu, "
		"\"others_ms\": [%llu, %llu]}", (double)x->exsim_cpu_ns / 1e6,
		(double)x->client_cpu_ns / 1e6, (unsigned long long)x->steal_ms,
		(unsigned long long)x->others_ms[0], (unsigned long long)x->others_ms[1]);
}

static void json_rate(FILE *f, const struct sb_rate_res *rr)
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
	fprintf(f, ", \"malformed\": %llu, \"malformed_sample\": ", (unsigned long long)rr->bad);
	if (rr->bad_sample[0])
		bu_json_str(f, rr->bad_sample);
	else
		fputs("null", f);
	fprintf(f, ", \"ws_slow_closed\": %llu", (unsigned long long)rr->slow_closed);
	bu_json_kv(f, ", ", "delivered_vs_published", rr->got_vs_published);
	fputs(", \"cpu_bound\": ", f);
	if (rr->rounds_done)
		bu_json_str(f, bound(&rr->med));
	else
		fputs("null", f);
	fputs(",\n      \"median\": {", f);
	if (rr->rounds_done)
		json_figs(f, rr, &rr->med);
	fputs("},\n      \"rounds\": [", f);
	for (unsigned i = 0; i < rr->rounds_done; i++) {
		fputs(i ? ",\n        " : "\n        ", f);
		json_round(f, rr, i);
	}
	fputs("\n      ]}", f);
}

static void json_config(FILE *f, const struct sb_results *r)
{
	const struct sb_cfg *c = r->cfg;

	bu_json_machine_open(f);
	fprintf(f, ", \"pinned\": %s, \"cpus\": ", c->pin ? "true" : "false");
	if (c->pin)
		fprintf(f, "{\"exsim\": %d, \"client\": %d}},\n", c->cpu[0], c->cpu[1]);
	else
		fputs("null},\n", f);
	fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, ", c->ci ? "ci" : "full",
		c->rounds);
	bu_json_kv(f, "", "window_s", (double)c->window_ns / 1e9);
	bu_json_kv(f, ", ", "warmup_s", (double)c->warm_ns / 1e9);
	fprintf(f, ", \"feed\": \"%s\"", c->full_feed ? "full" : "top");
	fprintf(f, ", \"conns_per_venue\": %u, \"conns_total\": %u, \"coins\": [", c->conns,
		c->conns * SB_NVENUES);
	for (unsigned i = 0; i < c->ncoins; i++) {
		fputs(i ? ", " : "", f);
		bu_json_str(f, c->coins[i]);
	}
	fputs("],\n    \"subscriptions\": {\"binance\": \"combined stream: <coin>usdt@bookTicker, "
	      "@trade, @depth@100ms\", \"upbit\": \"/websocket/v1: orderbook, trade of KRW-<coin> "
	      "and KRW-USDT, SIMPLE\"},\n", f);
	fputs("    \"scenario\": ", f);
	if (c->scenario)
		bu_json_str(f, c->scenario);
	else
		fputs("null", f);
	fprintf(f, ", \"load_rate_max\": %llu, \"client_loop\": \"blocking (1 ms)\", "
		"\"client_loop_flags\": %u, \"tls\": ", (unsigned long long)SB_LOAD_RATE_MAX,
		r->loop_flags);
	bu_json_str(f, r->cipher);
	fputs("},\n", f);
}

static void json_goal(FILE *f, const struct sb_results *r)
{
	double best;
	int at;
	char name[24] = "";

	best = best_mps(r, &at);
	if (at >= 0)
		rate_str(r->res[at].rate, name, sizeof(name));
	fputs("  \"goal\": {\"name\": ", f);
	bu_json_str(f, goal_name);
	bu_json_kv(f, ", ", "target_msgs_per_s", SB_GOAL_MPS);
	bu_json_kv(f, ", ", "best_msgs_per_s", best);
	fputs(", \"best_at_rate\": ", f);
	if (at >= 0)
		bu_json_str(f, name);
	else
		fputs("null", f);
	fprintf(f, ", \"judged\": %s, \"met\": %s}\n", isnan(best) ? "false" : "true",
		!isnan(best) && best >= SB_GOAL_MPS ? "true" : "false");
}

static void json_write(FILE *f, const struct sb_results *r)
{
	bu_json_head(f, "sim", r->cfg->commit);
	fputs(",\n  \"units\": {\"rate\": \"market messages per second, all connections\", "
	      "\"cpu\": \"CPU ns (user + sys) per message received\", \"cpu_share\": "
	      "\"CPU time / wall time (1 = one core)\", \"mb\": \"1e6 payload bytes\"},\n", f);
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

int sb_json(const struct sb_results *r)
{
	return bu_json_file("sim_bench", r->cfg->json_path, json_write_v, r);
}
