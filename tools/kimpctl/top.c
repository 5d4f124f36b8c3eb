/* SPDX-License-Identifier: MIT */
/*
 * kimpctl top: a live terminal view of the engine, one frame every
 * --interval (default 1s), redrawn in place (ANSI clear) when stdout is a
 * terminal, appended otherwise; --once prints one frame and exits.
 *
 * A frame: per venue feedd's message rate and its books' largest age
 * (feedd's gauges VENUE.msgs_per_s and book.VENUE.COIN.age_ms); per coin
 * stratd's premium against its mean and entry band; riskd's mode, PnL,
 * positions and open orders; orderd's open orders; and the latency of the
 * tick-to-order path: orderd's tick_to_order_ns (feedd's receipt of the
 * market data to the order handed to the kernel, over every venue, and
 * VENUE.tick_to_order_ns per venue), then its stages: stratd's
 * tick_to_intent_ns, riskd's intent_to_order_ns and orderd's
 * VENUE.intent_to_send_ns (p50/p99/p99.9).
 *
 * Segment names come from the configuration's [feedd], [stratd], [riskd]
 * and [orderd] name keys (defaults the section names). A missing segment
 * is a line saying so: top keeps running.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimpctl.h"
#include "views.h"

#define TOP_INTERVAL_DEFAULT_NS 1000000000ull
#define TOP_INTERVAL_MIN_NS     10000000ull    /* 10ms */
#define TOP_VENUES 16

static const char top_usage[] =
	"  top [--once] [--interval D] live view: feed rates and book ages per venue,\n"
	"                              premium per coin against its mean, positions,\n"
	"                              PnL, open orders, tick-to-order latency\n"
	"                              (D default 1s; --once: one frame, for scripts)\n";

static volatile sig_atomic_t top_stop;

static void top_sig(int sig)
{
	(void)sig;
	top_stop = 1;
}

static const char *seg_of(const struct kimpctl *k, const char *section)
{
	const char *s = kimp_conf_get(k->conf, section, "name");

	return s && *s ? s : section;
}

/* The metrics region "metrics" of segment 'name' attached into seg, or NULL. */
static const struct shm_metrics *metrics_open(struct kimpctl *k, const char *name,
					      struct shm_seg *seg)
{
	const struct shm_metrics *m;

	if (shm_seg_attach(seg, name, &k->shm))
		return NULL;
	m = kimpctl_metrics(seg, "metrics");
	if (!m)
		shm_seg_detach(seg);
	return m;
}

static void metric_name(char *buf, const char *s)
{
	snprintf(buf, SHM_METRIC_NAME + 1, "%.*s", SHM_METRIC_NAME, s);
}

/* "p50 1.2 us  p99 ...  (n)" of a histogram, or "no samples". */
static void hist_line(FILE *f, const char *label, const struct shm_hist *h,
		      struct shm_hist_snap *snap)
{
	char a[32], b[32], c[32];

	shm_hist_snapshot(h, snap);
	if (!snap->count) {
		fprintf(f, "  %-34s no samples\n", label);
		return;
	}
	fprintf(f, "  %-34s p50 %-9s p99 %-9s p99.9 %-9s n %" PRIu64 "\n", label,
		fmt_ns(a, sizeof(a), shm_hist_quantile(snap, 0.5)),
		fmt_ns(b, sizeof(b), shm_hist_quantile(snap, 0.99)),
		fmt_ns(c, sizeof(c), shm_hist_quantile(snap, 0.999)), snap->count);
}

struct feed_venue {
	char name[SHM_METRIC_NAME + 1];
	int64_t rate, age_ms;
	unsigned books;
};

/* feedd's per-venue gauges into v (at most TOP_VENUES): the count. */
static unsigned feed_venues(const struct shm_metrics *m, struct feed_venue *v)
{
	char n[SHM_METRIC_NAME + 1];
	unsigned nv = 0;
	uint32_t ng = atomic_load_explicit(&m->ngauges, memory_order_acquire);

	for (uint32_t i = 0; i < ng && i < m->max_gauges; i++) {
		int64_t val = atomic_load_explicit(shm_metrics_gauge_at(m, i), memory_order_relaxed);
		char *dot, *venue = n;
		bool rate;
		unsigned j;

		metric_name(n, shm_metrics_gauge_name(m, i));
		dot = strchr(n, '.');
		if (!dot)
			continue;
		rate = !strcmp(dot, ".msgs_per_s");
		if (!rate) {
			size_t len = strlen(n);

			/* book.VENUE.COIN.age_ms */
			if (strncmp(n, "book.", 5) || len < 7 || strcmp(n + len - 7, ".age_ms"))
				continue;
			venue = n + 5;
			dot = strchr(venue, '.');
			if (!dot)
				continue;
		}
		*dot = 0;
		for (j = 0; j < nv && strcmp(v[j].name, venue); j++)
			;
		if (j == nv) {
			if (nv == TOP_VENUES)
				continue;
			memset(&v[nv], 0, sizeof(v[nv]));
			v[nv].age_ms = -1;
			snprintf(v[nv].name, sizeof(v[nv].name), "%s", venue);
			nv++;
		}
		if (rate) {
			v[j].rate = val;
		} else {
			v[j].books++;
			if (val > v[j].age_ms)
				v[j].age_ms = val;
		}
	}
	return nv;
}

int kimpctl_view_feeds(struct kimpctl *k, FILE *f, bool json)
{
	struct feed_venue v[TOP_VENUES];
	const char *seg = seg_of(k, "feedd");
	const struct shm_metrics *m;
	struct shm_seg s;
	unsigned nv;
	struct out o;
	int64_t hb;

	m = metrics_open(k, seg, &s);
	if (!m)
		return kimpctl_err(KIMPCTL_FAIL, "feeds: segment '%s': no metrics region (%s)",
				   seg, shm_last_error());
	nv = feed_venues(m, v);
	hb = (int64_t)atomic_load_explicit(&m->heartbeat_ns, memory_order_relaxed);
	out_init(&o, f, json);
	if (json) {
		out_obj_begin(&o, NULL, NULL);
		out_str(&o, "segment", seg);
		out_pid(&o, "pid", atomic_load_explicit(&m->pid, memory_order_relaxed));
		out_age(&o, "heartbeat_age_ns", kimp_mono_ns(), hb);
		out_arr_begin(&o, "venues");
		for (unsigned j = 0; j < nv; j++) {
			out_obj_begin(&o, NULL, NULL);
			out_str(&o, "venue", v[j].name);
			out_i64(&o, "msgs_per_s", v[j].rate);
			out_u64(&o, "books", v[j].books);
			if (v[j].age_ms >= 0)
				out_u64(&o, "max_book_age_ns", (uint64_t)v[j].age_ms * 1000000u);
			else
				out_null(&o, "max_book_age_ns");
			out_obj_end(&o);
		}
		out_arr_end(&o);
		out_obj_end(&o);
		out_finish(&o);
	} else {
		fprintf(f, "FEEDS (%s)\n", seg);
		fprintf(f, "  %-12s %10s %6s %12s\n", "VENUE", "MSGS/S", "BOOKS", "MAX_AGE");
		for (unsigned j = 0; j < nv; j++) {
			char age[32];

			if (v[j].age_ms >= 0)
				fmt_ns(age, sizeof(age), (uint64_t)v[j].age_ms * 1000000u);
			else
				snprintf(age, sizeof(age), "-");
			fprintf(f, "  %-12s %10" PRId64 " %6u %12s\n", v[j].name, v[j].rate,
				v[j].books, age);
		}
		if (!nv)
			fprintf(f, "  no venues\n");
	}
	shm_seg_detach(&s);
	return KIMPCTL_OK;
}

static void premium(struct kimpctl *k, FILE *f)
{
	struct kimpctl_prem rows[32];
	const char *seg = seg_of(k, "stratd");
	unsigned n;

	fprintf(f, "PREMIUM (%s; %% of the USDT price)\n", seg);
	if (kimpctl_premium_rows(k, seg, rows, KIMP_ARRAY_SIZE(rows), &n)) {
		fprintf(f, "  no state\n");
		return;
	}
	fprintf(f, "  %-8s %9s %9s %9s %21s %9s\n", "COIN", "PREMIUM", "MEAN", "VS_MEAN",
		"ENTRY_BAND", "SAMPLES");
	for (unsigned i = 0; i < n; i++) {
		const struct kimpctl_prem *r = &rows[i];

		if (!r->samples) {
			fprintf(f, "  %-8s %9s\n", r->coin, "-");
			continue;
		}
		fprintf(f, "  %-8s %8.3f%% %8.3f%% %+8.3f%% %9.3f%%..%8.3f%% %9" PRId64 "\n",
			r->coin, 100 * r->premium, 100 * r->mean, 100 * (r->premium - r->mean),
			100 * r->band_low, 100 * r->band_high, r->samples);
	}
	if (!n)
		fprintf(f, "  no coins\n");
}

static void risk(struct kimpctl *k, FILE *f)
{
	struct kimpctl_risk_sum s;
	const char *seg = seg_of(k, "riskd");

	fprintf(f, "RISK (%s)\n", seg);
	if (kimpctl_risk_summary(k, seg, &s)) {
		fprintf(f, "  no state\n");
		return;
	}
	fprintf(f, "  mode %s  pnl %.0f KRW (realized %.0f, unrealized %.0f)  open orders %"
		PRId64 "  fills %" PRId64 "\n", s.mode, s.total, s.realized, s.unrealized,
		s.open_orders, s.fills);
	if (!s.npos) {
		fprintf(f, "  no positions\n");
		return;
	}
	fprintf(f, "  %-10s %-8s %16s %16s\n", "VENUE", "COIN", "HOLD", "UNREALIZED");
	for (unsigned i = 0; i < s.npos; i++)
		fprintf(f, "  %-10s %-8s %16.8g %16.2f\n", s.pos[i].venue, s.pos[i].coin,
			s.pos[i].hold, s.pos[i].unrealized);
}

/* The stages of the tick-to-order path: section, histogram name suffix. */
static const struct { const char *sec, *suffix; } stages[] = {
	{ "stratd", "tick_to_intent_ns" },
	{ "riskd", "intent_to_order_ns" },
	{ "orderd", "intent_to_send_ns" },
};

/* Coarse edges of the JSON form's buckets, ns. */
static const uint64_t lat_edges[] = {
	1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 2000000,
	5000000, 10000000, 100000000, 1000000000,
};

static void hist_json(struct out *o, const char *proc, const char *name,
		      const struct shm_hist_snap *snap)
{
	uint64_t cum = 0;
	uint32_t b = 0;

	out_obj_begin(o, NULL, NULL);
	out_str(o, "proc", proc);
	out_str(o, "name", name);
	out_hist(o, "hist", snap);
	out_arr_begin(o, "buckets");
	for (size_t e = 0; e < KIMP_ARRAY_SIZE(lat_edges); e++) {
		for (; b < SHM_HIST_BUCKETS && shm_hist_bucket_high(b) <= lat_edges[e]; b++)
			cum += snap->buckets[b];
		out_obj_begin(o, NULL, NULL);
		out_u64(o, "le_ns", lat_edges[e]);
		out_u64(o, "count", cum);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_obj_end(o);
}

/* Histograms of segment 'sec''s metrics whose name ends with 'suffix'. */
static void latency_of(struct kimpctl *k, struct out *o, const char *sec, const char *suffix,
		       struct shm_hist_snap *snap)
{
	const char *seg = seg_of(k, sec);
	char n[SHM_METRIC_NAME + 1], label[SHM_NAME_MAX + SHM_METRIC_NAME + 4];
	const struct shm_metrics *m;
	struct shm_seg s;
	size_t sl = strlen(suffix);
	bool any = false;

	m = metrics_open(k, seg, &s);
	if (!m) {
		if (!o->json)
			fprintf(o->f, "  %-34s no metrics (%s)\n", sec, seg);
		return;
	}
	uint32_t nh = atomic_load_explicit(&m->nhists, memory_order_acquire);
	for (uint32_t i = 0; i < nh && i < m->max_hists; i++) {
		size_t len;

		metric_name(n, shm_metrics_hist_name(m, i));
		len = strlen(n);
		if (len < sl || strcmp(n + len - sl, suffix))
			continue;
		any = true;
		if (o->json) {
			shm_hist_snapshot(shm_metrics_hist_at(m, i), snap);
			hist_json(o, sec, n, snap);
			continue;
		}
		snprintf(label, sizeof(label), "%s %s", sec, n);
		hist_line(o->f, label, shm_metrics_hist_at(m, i), snap);
	}
	if (!any && !o->json)
		fprintf(o->f, "  %-34s no %s histogram\n", sec, suffix);
	shm_seg_detach(&s);
}

int kimpctl_view_latency(struct kimpctl *k, FILE *f, bool json)
{
	struct shm_hist_snap *snap = malloc(sizeof(*snap));
	struct out o;

	if (!snap)
		return kimpctl_err(KIMPCTL_FAIL, "latency: out of memory");
	out_init(&o, f, json);
	if (json) {
		out_obj_begin(&o, NULL, NULL);
		out_arr_begin(&o, "tick_to_order");
	} else {
		fprintf(f, "TICK TO ORDER (feedd receipt to order sent, then by stage)\n");
	}
	latency_of(k, &o, "orderd", "tick_to_order_ns", snap);
	if (json) {
		out_arr_end(&o);
		out_arr_begin(&o, "stages");
	}
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(stages); i++)
		latency_of(k, &o, stages[i].sec, stages[i].suffix, snap);
	if (json) {
		out_arr_end(&o);
		out_obj_end(&o);
		out_finish(&o);
	}
	free(snap);
	return KIMPCTL_OK;
}

static void orders(struct kimpctl *k, FILE *f)
{
	const char *seg = seg_of(k, "orderd");
	char n[SHM_METRIC_NAME + 1];
	const struct shm_metrics *m;
	struct shm_seg s;

	fprintf(f, "ORDERS (%s)\n", seg);
	m = metrics_open(k, seg, &s);
	if (!m) {
		fprintf(f, "  no metrics\n");
	} else {
		uint32_t ng = atomic_load_explicit(&m->ngauges, memory_order_acquire);

		for (uint32_t i = 0; i < ng && i < m->max_gauges; i++) {
			metric_name(n, shm_metrics_gauge_name(m, i));
			if (!strcmp(n, "open_orders") || !strcmp(n, "ready_venues"))
				fprintf(f, "  %-14s %" PRId64 "\n", n,
					atomic_load_explicit(shm_metrics_gauge_at(m, i),
							     memory_order_relaxed));
		}
		shm_seg_detach(&s);
	}
	kimpctl_view_latency(k, f, false);
}

static int frame(struct kimpctl *k, FILE *f, bool clear)
{
	struct timespec ts;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (clear)
		fputs("\033[H\033[2J", f);
	fprintf(f, "kimp top  %s\n", fmt_utc(when, sizeof(when),
		(uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, false));
	if (kimpctl_view_feeds(k, f, false))
		fprintf(f, "FEEDS (%s)\n  no metrics\n", seg_of(k, "feedd"));
	premium(k, f);
	risk(k, f);
	orders(k, f);
	fflush(f);
	return KIMPCTL_OK;
}

static int top_run(struct kimpctl *k, int argc, char **argv)
{
	uint64_t interval = TOP_INTERVAL_DEFAULT_NS;
	bool once = false, tty;
	struct sigaction sa = { .sa_handler = top_sig };
	int status = KIMPCTL_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage:\n%s", top_usage);
			return KIMPCTL_OK;
		} else if (!strcmp(a, "--once")) {
			once = true;
		} else if (!strcmp(a, "--interval") || !strncmp(a, "--interval=", 11)) {
			v = a[10] ? a + 11 : i + 1 < argc ? argv[++i] : NULL;
			if (!v || kimpctl_parse_wait(v, &interval) || interval < TOP_INTERVAL_MIN_NS) {
				kimpctl_err(KIMPCTL_USAGE, "top: --interval needs a duration of "
					    "10ms..3600s (a whole number and ns, us, ms or s)");
				fprintf(stderr, "usage:\n%s", top_usage);
				return KIMPCTL_USAGE;
			}
		} else {
			kimpctl_err(KIMPCTL_USAGE, "top: unexpected '%s'", a);
			fprintf(stderr, "usage:\n%s", top_usage);
			return KIMPCTL_USAGE;
		}
	}
	tty = isatty(STDOUT_FILENO);
	if (once)
		return frame(k, stdout, false);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!top_stop && !status) {
		struct timespec d = { (time_t)(interval / 1000000000u),
				      (long)(interval % 1000000000u) };

		status = frame(k, stdout, tty);
		if (!tty)
			fputc('\n', stdout);
		nanosleep(&d, NULL);
	}
	return status;
}

const struct kimpctl_cmd kimpctl_cmd_top = {
	.name = "top",
	.usage = top_usage,
	.run = top_run,
};
