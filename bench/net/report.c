/* SPDX-License-Identifier: MIT */
/*
 * The report: medians over rounds, two tables (WebSocket rate and CPU per
 * message; HTTP round-trip percentiles), the ratios against libwebsockets,
 * the issue's goal, and every figure as JSON.
 */
#include <errno.h>
#include <liburing.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "net_bench.h"
#include "../common/bench_util.h"

#define GOAL_RATE 2.0
/* Who set the rate (see bound_note): the server waited for the client at
 * least CLIENT_BOUND of the time, or less than SERVER_BOUND; a client with
 * a CPU share of CLIENT_BUSY or more had no time to spare. */
#define CLIENT_BOUND 0.20
#define SERVER_BOUND 0.05
#define CLIENT_BUSY  0.90

static const char *const goal_name =
	"our client >= 2x the libwebsockets message rate at lower CPU per message";

/* ---- medians ------------------------------------------------------------------- */

static const size_t ws_fields[] = {
	offsetof(struct nb_ws_fig, mps), offsetof(struct nb_ws_fig, cpu_ns),
	offsetof(struct nb_ws_fig, usr_ns), offsetof(struct nb_ws_fig, sys_ns),
	offsetof(struct nb_ws_fig, share), offsetof(struct nb_ws_fig, srv_stall),
	offsetof(struct nb_ws_fig, vcsw), offsetof(struct nb_ws_fig, ivcsw),
};

static const size_t http_fields[] = {
	offsetof(struct nb_http_fig, rtt.p50), offsetof(struct nb_http_fig, rtt.p99),
	offsetof(struct nb_http_fig, rtt.p999), offsetof(struct nb_http_fig, rtt.max),
	offsetof(struct nb_http_fig, rtt.mean),
};

static double *field(void *base, size_t off)
{
	return (double *)(void *)((uint8_t *)base + off);
}

void nb_medians(struct nb_results *r)
{
	double v[NB_MAX_ROUNDS];
	unsigned n = r->rounds_done;

	for (int k = 0; k < WS_NR; k++) {
		struct nb_ws_fig *m = &r->ws_med[k];

		memset(m, 0, sizeof(*m));
		for (size_t i = 0; i < KIMP_ARRAY_SIZE(ws_fields); i++) {
			for (unsigned rd = 0; rd < n; rd++)
				v[rd] = r->ws[rd][k].ok ? *field(&r->ws[rd][k], ws_fields[i]) : NAN;
			*field(m, ws_fields[i]) = bu_median(v, n);
		}
		for (unsigned rd = 0; rd < n; rd++) {
			m->steal_ms += r->ws[rd][k].steal_ms;
			m->others_ms[0] += r->ws[rd][k].others_ms[0];
			m->others_ms[1] += r->ws[rd][k].others_ms[1];
			m->run_ms += r->ws[rd][k].run_ms;
			m->disturbed += r->ws[rd][k].ok &&
				nb_disturbed(r->ws[rd][k].others_ms, r->ws[rd][k].run_ms);
			m->ok |= r->ws[rd][k].ok;
		}
	}
	for (int k = 0; k < H_NR; k++) {
		struct nb_http_fig *m = &r->http_med[k];

		memset(m, 0, sizeof(*m));
		for (size_t i = 0; i < KIMP_ARRAY_SIZE(http_fields); i++) {
			for (unsigned rd = 0; rd < n; rd++)
				v[rd] = r->http[rd][k].ok ? *field(&r->http[rd][k], http_fields[i])
							  : NAN;
			*field(m, http_fields[i]) = bu_median(v, n);
		}
		for (unsigned rd = 0; rd < n; rd++) {
			m->steal_ms += r->http[rd][k].steal_ms;
			m->others_ms[0] += r->http[rd][k].others_ms[0];
			m->others_ms[1] += r->http[rd][k].others_ms[1];
			m->run_ms += r->http[rd][k].run_ms;
			m->disturbed += r->http[rd][k].ok &&
				nb_disturbed(r->http[rd][k].others_ms, r->http[rd][k].run_ms);
			m->ok |= r->http[rd][k].ok;
			if (r->http[rd][k].ok)
				m->rtt.n = r->http[rd][k].rtt.n;
		}
	}
}

/* ---- the goal ---------------------------------------------------------------------- */

struct goal_cell {
	double rate_x;     /* our msgs/s / lws msgs/s */
	double cpu_x;      /* our CPU/msg / lws CPU/msg */
	bool rate_met, cpu_met, met;
};

struct goal {
	bool judged;       /* libwebsockets measured */
	enum nb_ws_kind headline;   /* our faster mode */
	struct goal_cell mode[2];   /* spin, blocking */
	bool met;          /* judged on the headline mode */
};

static void goal_eval(const struct nb_results *r, struct goal *g)
{
	const struct nb_ws_fig *lws = &r->ws_med[WS_LWS];

	memset(g, 0, sizeof(*g));
	g->headline = r->ws_med[WS_KIMP_BLOCK].mps > r->ws_med[WS_KIMP_SPIN].mps
		? WS_KIMP_BLOCK : WS_KIMP_SPIN;
	g->judged = lws->ok && r->ws_ran[WS_LWS];
	for (int k = WS_KIMP_SPIN; k <= WS_KIMP_BLOCK; k++) {
		struct goal_cell *c = &g->mode[k];

		c->rate_x = bu_ratio(r->ws_med[k].mps, lws->mps);
		c->cpu_x = bu_ratio(r->ws_med[k].cpu_ns, lws->cpu_ns);
		c->rate_met = c->rate_x >= GOAL_RATE;
		c->cpu_met = c->cpu_x < 1.0;
		c->met = g->judged && c->rate_met && c->cpu_met;
	}
	g->met = g->mode[g->headline].met;
}

static const char *verdict(bool judged, bool met)
{
	return !judged ? "NOT JUDGED" : met ? "MET" : "NOT MET";
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* ---- text ---------------------------------------------------------------------------- */

static void put_num(double v, int width, int prec)
{
	if (isnan(v))
		printf(" %*s", width, "-");
	else
		printf(" %*.*f", width, prec, v);
}

static void print_ws(const struct nb_results *r)
{
	const struct nb_cfg *c = r->cfg;

	printf("\nWebSocket over TLS, server -> client, %d-byte binary messages, %llu per run; "
	       "medians of %u round%s%s\n\n", 100, (unsigned long long)c->ws_n, r->rounds_done,
	       r->rounds_done == 1 ? "" : "s", c->ci ? " (--ci)" : "");
	printf("%-18s | %10s | %7s %7s %7s | %6s | %12s | %12s | %s\n", "client", "msgs/s",
	       "CPU ns", "usr", "sys", "CPU", "ctxsw/1k msg", "server queue", "disturbed");
	printf("%-18s | %10s | %7s %7s %7s | %6s | %5s %6s | %12s | %s\n", "", "", "per msg", "",
	       "", "share", "vol", "invol", "full", "rounds");
	for (int k = 0; k < WS_NR; k++) {
		const struct nb_ws_fig *f = &r->ws_med[k];

		printf("%-18s |", nb_ws_names[k]);
		if (!r->ws_ran[k] || !f->ok) {
			printf(" %10s |\n", r->ws_ran[k] || k != WS_LWS ? "failed" : "skipped");
			continue;
		}
		put_num(f->mps, 10, 0);
		printf(" |");
		put_num(f->cpu_ns, 7, 0);
		put_num(f->usr_ns, 7, 0);
		put_num(f->sys_ns, 7, 0);
		printf(" |");
		put_num(f->share * 100, 5, 0);
		printf("%% |");
		put_num(f->vcsw, 5, 1);
		put_num(f->ivcsw, 6, 2);
		printf(" |");
		put_num(f->srv_stall * 100, 11, 0);
		printf("%% | %u/%u\n", f->disturbed, r->rounds_done);
	}
}

static void print_http(const struct nb_results *r)
{
	bool any = false;

	for (int k = 0; k < H_NR; k++)
		any |= r->http_ran[k];
	if (!any)
		return;
	printf("\nHTTP/1.1 GET round trip over one warm TLS keep-alive connection, "
	       "microseconds; medians of %u round%s\n\n", r->rounds_done,
	       r->rounds_done == 1 ? "" : "s");
	printf("%-18s | %8s %8s %8s %9s | %8s | %6s | %s\n", "client", "p50", "p99", "p99.9",
	       "max", "mean", "n", "disturbed");
	for (int k = 0; k < H_NR; k++) {
		const struct nb_http_fig *f = &r->http_med[k];

		printf("%-18s |", nb_http_names[k]);
		if (!r->http_ran[k] || !f->ok) {
			printf(" %8s |\n", r->http_ran[k] ? "failed" : "skipped");
			continue;
		}
		put_num(f->rtt.p50, 8, 1);
		put_num(f->rtt.p99, 8, 1);
		put_num(f->rtt.p999, 8, 1);
		put_num(f->rtt.max, 9, 1);
		printf(" |");
		put_num(f->rtt.mean, 8, 1);
		printf(" | %6llu | %u/%u\n", (unsigned long long)f->rtt.n, f->disturbed,
		       r->rounds_done);
	}
}

/*
 * Who set a client's rate. A blocking client with idle CPU while the server
 * seldom waited: the server. Both busy: both run near their limits. (A
 * spinning client's CPU share says nothing; its blocking twin answers.)
 */
static void bound_note(const struct nb_results *r, int k)
{
	const struct nb_ws_fig *f = &r->ws_med[k];

	if (!r->ws_ran[k] || !f->ok || f->srv_stall >= CLIENT_BOUND)
		return;
	if (f->share < CLIENT_BUSY && f->srv_stall < SERVER_BOUND)
		printf("note: the server seldom waited for %s (%.0f%% of the time) and %s "
		       "left %.0f%% of its CPU idle:\n  the server set that rate; the client "
		       "could go faster\n", nb_ws_names[k], f->srv_stall * 100,
		       nb_ws_names[k], (1 - f->share) * 100);
	else if (f->share >= CLIENT_BUSY)
		printf("note: %s used %.0f%% of its CPU and the server waited for it %.0f%% "
		       "of the time:\n  both sides run near their limits, the server only "
		       "a little faster than the client\n", nb_ws_names[k], f->share * 100,
		       f->srv_stall * 100);
}

/* Some client had more than half of its rounds disturbed. */
static bool mostly_disturbed(const struct nb_results *r)
{
	for (int k = 0; k < WS_NR; k++)
		if (r->ws_ran[k] && 2 * r->ws_med[k].disturbed > r->rounds_done)
			return true;
	for (int k = 0; k < H_NR; k++)
		if (r->http_ran[k] && 2 * r->http_med[k].disturbed > r->rounds_done)
			return true;
	return false;
}

static void print_notes(const struct nb_results *r)
{
	const struct nb_cfg *c = r->cfg;
	uint64_t steal = 0, others[2] = { 0, 0 }, run = 0;

	for (int k = 0; k < WS_NR; k++) {
		steal += r->ws_med[k].steal_ms;
		others[0] += r->ws_med[k].others_ms[0];
		others[1] += r->ws_med[k].others_ms[1];
		run += r->ws_med[k].run_ms;
	}
	for (int k = 0; k < H_NR; k++) {
		steal += r->http_med[k].steal_ms;
		others[0] += r->http_med[k].others_ms[0];
		others[1] += r->http_med[k].others_ms[1];
		run += r->http_med[k].run_ms;
	}
	printf("\nserver: libnet (io_uring, wolfSSL) on CPU %d, spinning while a connection "
	       "is open; clients on CPU %d\n", c->cpu[0], c->cpu[1]);
	printf("TLS: WebSocket kimp %s, libwebsockets %s; HTTP kimp %s\n",
	       r->info.ws_cipher[WS_KIMP_SPIN][0] ? r->info.ws_cipher[WS_KIMP_SPIN] : "-",
	       r->info.ws_cipher[WS_LWS][0] ? r->info.ws_cipher[WS_LWS] : "-",
	       r->info.http_cipher[0] ? r->info.http_cipher : "-");
	printf("our client's io_uring setup flags: %s%s%s%s%s\n",
	       r->info.loop_flags & IORING_SETUP_SINGLE_ISSUER ? "SINGLE_ISSUER " : "",
	       r->info.loop_flags & IORING_SETUP_DEFER_TASKRUN ? "DEFER_TASKRUN " : "",
	       r->info.loop_flags & IORING_SETUP_COOP_TASKRUN ? "COOP_TASKRUN " : "",
	       r->info.loop_flags & IORING_SETUP_TASKRUN_FLAG ? "TASKRUN_FLAG" : "",
	       r->info.loop_flags ? "" : "none");
	printf("CPU per message: the client process's CPU time (user + sys) from message 0 "
	       "to the last, over the messages;\n  a spinning client burns its CPU by "
	       "design, so its CPU per message is its wall time per message\n");
	printf("server queue full: share of the server's streaming time its send queue "
	       "was full, waiting for the client\n");
	printf("disturbed: rounds in which other tasks took %d ms and %.0f%% of the run or "
	       "more from the server's or the client's CPU\n", NB_OTHERS_MS,
	       NB_OTHERS_SHARE * 100);
	for (int k = WS_KIMP_BLOCK; k < WS_NR; k++)
		bound_note(r, k);
	if (nb_disturbed(others, run))
		printf("note: other tasks took ~%llu ms of the server's CPU %d and ~%llu ms of "
		       "the client's CPU %d during the runs\n  (/proc/stat less our own "
		       "processes); the progress lines on stderr say which runs were "
		       "disturbed,\n  %s\n", (unsigned long long)others[0], c->cpu[0],
		       (unsigned long long)others[1], c->cpu[1],
		       mostly_disturbed(r) ? "MOST ROUNDS WERE DISTURBED: these medians are "
		       "not clean, rerun on a quiet machine" : "the medians absorb single ones");
	if (steal)
		printf("note: the hypervisor stole ~%llu ms from CPUs %d/%d during the "
		       "runs (/proc/stat); the progress lines on stderr say which\n",
		       (unsigned long long)steal, c->cpu[0], c->cpu[1]);
}

static void print_compare(const struct nb_results *r, const struct goal *g)
{
	const struct nb_http_fig *h = r->http_med;

	if (g->judged) {
		printf("\nkimp / libwebsockets (rate: above 1 is faster; CPU per message: below "
		       "1 is cheaper)\n");
		for (int k = WS_KIMP_SPIN; k <= WS_KIMP_BLOCK; k++)
			printf("  %-16s rate %.2fx, CPU per message %.2fx\n", nb_ws_names[k],
			       g->mode[k].rate_x, g->mode[k].cpu_x);
	}
	if (h[H_KIMP_SPIN].ok && (h[H_CURL].ok || h[H_PYTHON].ok)) {
		printf("\nHTTP p50 round trip, reference / kimp (spin) (above 1: kimp is "
		       "faster)\n");
		if (h[H_CURL].ok)
			printf("  curl %.2fx", bu_ratio(h[H_CURL].rtt.p50, h[H_KIMP_SPIN].rtt.p50));
		if (h[H_PYTHON].ok)
			printf("  python http.client %.2fx",
			       bu_ratio(h[H_PYTHON].rtt.p50, h[H_KIMP_SPIN].rtt.p50));
		if (h[H_KIMP_BLOCK].ok)
			printf("  kimp (blocking) %.2fx",
			       bu_ratio(h[H_KIMP_BLOCK].rtt.p50, h[H_KIMP_SPIN].rtt.p50));
		if (h[H_KIMP_RAW].ok)
			printf("  kimp raw (spin) %.2fx",
			       bu_ratio(h[H_KIMP_RAW].rtt.p50, h[H_KIMP_SPIN].rtt.p50));
		printf("\n");
	}
}

static void print_goal(const struct nb_results *r, const struct goal *g)
{
	const struct nb_ws_fig *lws = &r->ws_med[WS_LWS];

	printf("\ngoal (reported only; it never fails the run)\n");
	printf("  %-10s %s\n", verdict(g->judged, g->met), goal_name);
	if (!g->judged) {
		printf("             libwebsockets was not measured\n");
		return;
	}
	for (int k = WS_KIMP_SPIN; k <= WS_KIMP_BLOCK; k++) {
		const struct goal_cell *c = &g->mode[k];
		const struct nb_ws_fig *f = &r->ws_med[k];

		printf("             %-16s%s %.0f vs %.0f msg/s = %.2fx (>= %.0fx: %s); "
		       "%.0f vs %.0f CPU ns/msg (lower: %s)  %s\n", nb_ws_names[k],
		       k == (int)g->headline ? "*" : " ", f->mps, lws->mps, c->rate_x,
		       GOAL_RATE, yes(c->rate_met), f->cpu_ns, lws->cpu_ns, yes(c->cpu_met),
		       verdict(true, c->met));
	}
	printf("             * headline: our faster mode, on which the goal is judged\n");
}

void nb_print(const struct nb_results *r)
{
	struct goal g;

	goal_eval(r, &g);
	printf("\nkimp net bench%s\n", r->cfg->ci ? " (--ci)" : "");
	print_ws(r);
	print_http(r);
	print_notes(r);
	print_compare(r, &g);
	print_goal(r, &g);
	fflush(stdout);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_ws(FILE *f, int k, const struct nb_ws_fig *x)
{
	fputs("{\"client\": ", f);
	bu_json_str(f, nb_ws_names[k]);
	fprintf(f, ", \"ok\": %s", x->ok ? "true" : "false");
	bu_json_kv(f, ", ", "msgs_per_s", x->ok ? x->mps : NAN);
	bu_json_kv(f, ", ", "cpu_ns_per_msg", x->ok ? x->cpu_ns : NAN);
	bu_json_kv(f, ", ", "usr_ns_per_msg", x->ok ? x->usr_ns : NAN);
	bu_json_kv(f, ", ", "sys_ns_per_msg", x->ok ? x->sys_ns : NAN);
	bu_json_kv(f, ", ", "cpu_share", x->ok ? x->share : NAN);
	bu_json_kv(f, ", ", "vol_ctxsw_per_1k_msgs", x->ok ? x->vcsw : NAN);
	bu_json_kv(f, ", ", "invol_ctxsw_per_1k_msgs", x->ok ? x->ivcsw : NAN);
	bu_json_kv(f, ", ", "server_queue_full_share", x->ok ? x->srv_stall : NAN);
	fprintf(f, ", \"steal_ms\": %llu, \"others_ms\": [%llu, %llu]}",
		(unsigned long long)x->steal_ms, (unsigned long long)x->others_ms[0],
		(unsigned long long)x->others_ms[1]);
}

static void json_http(FILE *f, int k, const struct nb_http_fig *x)
{
	fputs("{\"client\": ", f);
	bu_json_str(f, nb_http_names[k]);
	fprintf(f, ", \"ok\": %s, \"n\": %llu", x->ok ? "true" : "false",
		(unsigned long long)x->rtt.n);
	bu_json_kv(f, ", ", "p50_us", x->ok ? x->rtt.p50 : NAN);
	bu_json_kv(f, ", ", "p99_us", x->ok ? x->rtt.p99 : NAN);
	bu_json_kv(f, ", ", "p99_9_us", x->ok ? x->rtt.p999 : NAN);
	bu_json_kv(f, ", ", "max_us", x->ok ? x->rtt.max : NAN);
	bu_json_kv(f, ", ", "mean_us", x->ok ? x->rtt.mean : NAN);
	fprintf(f, ", \"steal_ms\": %llu, \"others_ms\": [%llu, %llu]}",
		(unsigned long long)x->steal_ms, (unsigned long long)x->others_ms[0],
		(unsigned long long)x->others_ms[1]);
}

static void json_set(FILE *f, const struct nb_results *r, const struct nb_ws_fig *ws,
		     const struct nb_http_fig *http, const char *ind)
{
	bool first = true;

	fprintf(f, "{\n%s  \"websocket\": [", ind);
	for (int k = 0; k < WS_NR; k++) {
		if (!r->ws_ran[k])
			continue;
		fprintf(f, "%s\n%s    ", first ? "" : ",", ind);
		json_ws(f, k, &ws[k]);
		first = false;
	}
	fprintf(f, "\n%s  ],\n%s  \"http\": [", ind, ind);
	first = true;
	for (int k = 0; k < H_NR; k++) {
		if (!r->http_ran[k])
			continue;
		fprintf(f, "%s\n%s    ", first ? "" : ",", ind);
		json_http(f, k, &http[k]);
		first = false;
	}
	fprintf(f, "\n%s  ]\n%s}", ind, ind);
}

static void json_machine(FILE *f)
{
	bu_json_machine_open(f);
	fputs("},\n", f);
}

static void json_config(FILE *f, const struct nb_results *r)
{
	const struct nb_cfg *c = r->cfg;

	fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, \"ws_msgs_per_run\": %llu, "
		"\"msg_size\": 100, \"http_round_trips\": %llu, \"http_warmup\": %llu, "
		"\"python_round_trips\": %llu, \"cpus\": {\"server\": %d, \"client\": %d}, "
		"\"client_loop_flags\": %u, \"tls\": {\"ws_kimp\": ",
		c->ci ? "ci" : "full", r->rounds_done, (unsigned long long)c->ws_n,
		(unsigned long long)c->http_n, (unsigned long long)c->http_warm,
		(unsigned long long)c->py_n, c->cpu[0], c->cpu[1], r->info.loop_flags);
	bu_json_str(f, r->info.ws_cipher[WS_KIMP_SPIN]);
	fputs(", \"ws_libwebsockets\": ", f);
	bu_json_str(f, r->info.ws_cipher[WS_LWS]);
	fputs(", \"http_kimp\": ", f);
	bu_json_str(f, r->info.http_cipher);
	fputs("}},\n", f);
}

static void json_goal(FILE *f, const struct nb_results *r)
{
	struct goal g;

	goal_eval(r, &g);
	fputs("  \"goal\": {\"name\": ", f);
	bu_json_str(f, goal_name);
	fprintf(f, ", \"judged\": %s, \"met\": %s, \"headline\": ", g.judged ? "true" : "false",
		g.met ? "true" : "false");
	bu_json_str(f, nb_ws_names[g.headline]);
	fputs(", \"modes\": [", f);
	for (int k = WS_KIMP_SPIN; k <= WS_KIMP_BLOCK; k++) {
		fprintf(f, "%s{\"client\": ", k ? ", " : "");
		bu_json_str(f, nb_ws_names[k]);
		bu_json_kv(f, ", ", "rate_vs_libwebsockets", g.mode[k].rate_x);
		bu_json_kv(f, ", ", "cpu_per_msg_vs_libwebsockets", g.mode[k].cpu_x);
		fprintf(f, ", \"met\": %s}", g.mode[k].met ? "true" : "false");
	}
	fputs("]}\n", f);
}

static void json_write(FILE *f, const struct nb_results *r)
{
	bu_json_head(f, "net", r->cfg->commit);
	fputs(",\n  \"units\": {\"ws_rate\": \"messages per second\", \"ws_cpu\": "
	      "\"client CPU ns (user + sys) per message\", \"http\": \"microseconds per "
	      "round trip\"},\n", f);
	json_machine(f);
	json_config(f, r);
	fputs("  \"rounds\": [", f);
	for (unsigned rd = 0; rd < r->rounds_done; rd++) {
		fprintf(f, "%s\n    {\"round\": %u, \"results\": ", rd ? "," : "", rd + 1);
		json_set(f, r, r->ws[rd], r->http[rd], "    ");
		fputc('}', f);
	}
	fputs("\n  ],\n  \"median\": ", f);
	json_set(f, r, r->ws_med, r->http_med, "  ");
	fputs(",\n", f);
	json_goal(f, r);
	fputs("}\n", f);
}

static void json_write_v(FILE *f, const void *r)
{
	json_write(f, r);
}

int nb_json(const struct nb_results *r)
{
	return bu_json_file("net_bench", r->cfg->json_path, json_write_v, r);
}
