/* SPDX-License-Identifier: MIT */
/*
 * feed_bench: feedd's sustained ingest rate with no loss, and its
 * completion-to-publish latency, fed over TLS by exsim at requested rates
 * (feed_bench.h has the picture). A rate that loses messages, or that
 * exsim cannot deliver, is reported, never failed: the run fails only when
 * something breaks (exsim or feedd does not start or dies, the books never
 * go live).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../common/bench_util.h"
#include "feed_bench.h"

static const char default_rates[] = "100k,300k,500k,1M,max";
static const char ci_rates[] = "100k,max";

/*
 * In-flight allowance at a window's end, per venue: published since exsim
 * started minus received since feedd started (feedd is exsim's only
 * client) may be this many messages, plus what exsim publishes in
 * FB_SLACK_MS at the window's rate, plus half of how far feedd's count
 * moved while exsim answered /status at the window's edges (when exsim
 * answered is known that well). 100 ms is about what exsim's send buffer
 * and the loopback socket buffers hold at these rates: a feedd further
 * behind than that is one exsim is about to cut off as slow, and a stall
 * shorter than that (another task on its CPU) loses nothing.
 */
#define FB_SLACK_MIN  1000
#define FB_SLACK_MS   100
/* After the pause: feedd idle when nothing moved for this long. */
#define FB_IDLE_NS    200000000ull
#define FB_IDLE_MAX_NS 15000000000ull

static void usage(FILE *f)
{
	fprintf(f,
"usage: feed_bench --exsim PATH --feedd PATH [options]\n"
"  --exsim PATH      the exsim binary (required)\n"
"  --feedd PATH      the feedd binary (required)\n"
"  --ci              short form: rates %s, 3 windows of 1 s after 1 s of warm-up\n"
"  --rates LIST      messages/s asked of exsim, both venues together: numbers\n"
"                    with k or M, quiet (load_rate 0) or max (exsim's largest\n"
"                    load_rate) (default %s)\n"
"  --rounds N        measurement windows per rate (default 5)\n"
"  --window MS       one window (default 3000)\n"
"  --warmup MS       after every book is live, before the first window\n"
"                    (default 2000)\n"
"  --cpus A,B        exsim's (and this process's) CPU, feedd's CPU (default\n"
"                    0,1; with one CPU online nothing is pinned)\n"
"  --feed top|full   Upbit's orderbook: top (default) one level (KRW-X.1),\n"
"                    full the 30-level book (about 1.8 KB a message); Binance\n"
"                    is the same in both: depth@100ms diffs, bookTicker, trade\n"
"  --conns N         feedd's connections per venue (default 1)\n"
"  --ring-slots N    feedd's md ring (default 65536)\n"
"  --spin            feedd spins on its loop (default: it waits)\n"
"  --coins LIST      exsim's coins (default: the scenario's [coin.*], else\n"
"                    BTC,ETH,XRP); feedd takes them on both venues, and\n"
"                    KRW-USDT on Upbit\n"
"  --scenario FILE   base scenario; a copy with [exsim] load_rate set per rate\n"
"                    runs\n"
"  --timeout S       exsim up; feedd's segment up and every book live (default 30)\n"
"  --json PATH       write every figure as JSON to PATH\n"
"  --commit STR      source revision, recorded in the JSON\n",
		ci_rates, default_rates);
}

/* ---- options ------------------------------------------------------------------------- */

static void cfg_defaults(void *cv, bool ci)
{
	struct fb_cfg *c = cv;

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	bx_parse_rates(ci ? ci_rates : default_rates, c->rate, FB_MAX_RATES, &c->nrates);
	c->rounds = ci ? 3 : 5;
	c->window_ns = (ci ? 1000 : 3000) * 1000000ull;
	c->warm_ns = (ci ? 1000 : 2000) * 1000000ull;
	c->cpu[0] = 0;
	c->cpu[1] = 1;
	c->start_timeout_s = 30;
	c->upbit_depth = 1;
	c->conns = 1;
	c->ring_slots = 65536;
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_EXSIM, OPT_FEEDD, OPT_RATES, OPT_ROUNDS, OPT_WINDOW, OPT_WARMUP,
	OPT_CPUS, OPT_FEED, OPT_CONNS, OPT_RING, OPT_SPIN, OPT_COINS, OPT_SCENARIO,
	OPT_TIMEOUT, OPT_JSON, OPT_COMMIT,
};

static const struct option fb_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "exsim", required_argument, NULL, OPT_EXSIM },
	{ "feedd", required_argument, NULL, OPT_FEEDD },
	{ "rates", required_argument, NULL, OPT_RATES },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "feed", required_argument, NULL, OPT_FEED },
	{ "conns", required_argument, NULL, OPT_CONNS },
	{ "ring-slots", required_argument, NULL, OPT_RING },
	{ "spin", no_argument, NULL, OPT_SPIN },
	{ "coins", required_argument, NULL, OPT_COINS },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(void *cv, int opt, const char *arg)
{
	struct fb_cfg *c = cv;
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case OPT_CI:
	case OPT_SPIN:
		if (opt == OPT_SPIN)
			c->spin = true;
		return 0;
	case OPT_EXSIM:
		c->exsim = arg;
		break;
	case OPT_FEEDD:
		c->feedd = arg;
		break;
	case OPT_RATES:
		err = bx_parse_rates(arg, c->rate, FB_MAX_RATES, &c->nrates);
		break;
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, FB_MAX_ROUNDS, &v);
		c->rounds = (unsigned)v;
		break;
	case OPT_WINDOW:
		err = bu_parse_u64(arg, 100, 600000, &v);
		c->window_ns = v * 1000000ull;
		break;
	case OPT_WARMUP:
		err = bu_parse_u64(arg, 0, 600000, &v);
		c->warm_ns = v * 1000000ull;
		break;
	case OPT_CPUS:
		err = bu_parse_cpus(arg, c->cpu);
		break;
	case OPT_FEED:
		if (!strcmp(arg, "top"))
			c->upbit_depth = 1;
		else if (!strcmp(arg, "full"))
			c->upbit_depth = 30;
		else
			err = -EINVAL;
		break;
	case OPT_CONNS:
		err = bu_parse_u64(arg, 1, 8, &v);
		c->conns = (unsigned)v;
		break;
	case OPT_RING:
		err = bu_parse_u64(arg, 64, 1u << 24, &v);
		if (!err && (v & (v - 1)))
			err = -EINVAL;
		c->ring_slots = (unsigned)v;
		break;
	case OPT_COINS:
		err = bx_parse_coins(arg, c->coins, &c->ncoins);
		c->coins_given = true;
		break;
	case OPT_SCENARIO:
		c->scenario = arg;
		break;
	case OPT_TIMEOUT:
		err = bu_parse_u64(arg, 1, 3600, &v);
		c->start_timeout_s = (unsigned)v;
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

static int need_exe(const char *what, const char *path, const char *make)
{
	if (!path) {
		fprintf(stderr, FB_PROG ": --%s PATH is required\n", what);
		usage(stderr);
		return -EINVAL;
	}
	if (access(path, X_OK)) {
		fprintf(stderr, FB_PROG ": %s is not an executable (make %s)\n", path, make);
		return -ENOENT;
	}
	return 0;
}

static int parse_args(struct fb_cfg *c, int argc, char **argv)
{
	const struct bu_args a = {
		.prog = FB_PROG, .opts = fb_opts, .first_opt = OPT_CI, .cfg = c,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	int err = bu_parse_args(&a, argc, argv);

	if (err)
		return err;
	if ((err = need_exe("exsim", c->exsim, "build/exsim")) ||
	    (err = need_exe("feedd", c->feedd, "build/bin/feedd")))
		return err;
	if (c->scenario && access(c->scenario, R_OK)) {
		fprintf(stderr, FB_PROG ": scenario %s: %s\n", c->scenario, strerror(errno));
		return -ENOENT;
	}
	if (!c->coins_given) {
		err = bx_scenario_coins(c->scenario, c->coins, &c->ncoins);
		if (err) {
			fprintf(stderr, FB_PROG ": the coins of scenario %s: %s\n", c->scenario,
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* ---- figures ---------------------------------------------------------------------------- */

/* exsim's load_rate is per venue: the asked total split over the two. */
uint64_t fb_load_rate(uint64_t rate)
{
	if (rate == BX_RATE_MAX)
		return BX_LOAD_RATE_MAX;
	if (rate == BX_RATE_QUIET)
		return 0;
	return (rate + FB_NVENUES - 1) / FB_NVENUES;
}

uint64_t fb_slack(uint64_t pub, uint64_t wall_ns, uint64_t spread)
{
	double per_s = wall_ns ? (double)pub * 1e9 / (double)wall_ns : 0;

	return FB_SLACK_MIN + (uint64_t)(per_s * FB_SLACK_MS / 1000.0) + (spread + 1) / 2;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t sub0(uint64_t b, uint64_t a)
{
	return b > a ? b - a : 0;
}

/* Everything read at a window's edge. */
struct snap {
	uint64_t t_ns;
	uint64_t recv[FB_NVENUES];      /* feedd's msgs, about when exsim answered */
	uint64_t spread[FB_NVENUES];    /* how far it moved during the request */
	struct fb_ctr ctr;
	struct bx_status st;
	struct fb_drain_ctr drain;
	uint64_t feedd_ns, exsim_ns;
	uint64_t busy_ms[2], steal_ms;
	struct shm_hist_snap h[FB_NHIST];
};

struct run {
	const struct fb_cfg *c;
	struct bx_exsim *x;
	struct fb_feedd f;
	struct fb_drain d;
	/* at the first window's start and the last one's end */
	uint64_t slow[2], reconn[2];
};

static uint64_t reconnects(const struct fb_ctr *x)
{
	uint64_t n = 0;

	for (int v = 0; v < FB_NVENUES; v++)
		n += x->v[v].reconnects;
	return n;
}

static void take_snap(struct run *u, struct snap *s)
{
	struct fb_ctr before;

	s->t_ns = clock_ns(CLOCK_MONOTONIC);
	/* feedd's count on both sides of exsim's: the mean is when exsim answered */
	fb_counters(&u->f, &before);
	bx_exsim_status(u->x, &s->st);
	fb_counters(&u->f, &s->ctr);
	for (int v = 0; v < FB_NVENUES; v++) {
		s->recv[v] = (before.v[v].msgs + s->ctr.v[v].msgs) / 2;
		s->spread[v] = s->ctr.v[v].msgs - before.v[v].msgs;
	}
	fb_drain_read(&u->d, &s->drain);
	fb_hists(&u->f, s->h);
	s->feedd_ns = bu_proc_cpu_ns(u->f.pid);
	s->exsim_ns = bu_proc_cpu_ns(u->x->pid);
	bu_cpu_stat(u->c->cpu, s->busy_ms, &s->steal_ms);
}

static void lat_from(const struct shm_hist_snap *h, struct fb_lat *l)
{
	l->count = h->count;
	if (!h->count) {
		l->p50 = l->p99 = l->p999 = l->max = NAN;
		return;
	}
	l->p50 = (double)shm_hist_quantile(h, 0.5);
	l->p99 = (double)shm_hist_quantile(h, 0.99);
	l->p999 = (double)shm_hist_quantile(h, 0.999);
	l->max = (double)h->max;
}

static void ctr_diff(const struct fb_ctr *b, const struct fb_ctr *a, struct fb_ctr *o)
{
	for (int v = 0; v < FB_NVENUES; v++) {
		const struct fb_venue_ctr *x = &b->v[v], *y = &a->v[v];
		struct fb_venue_ctr *z = &o->v[v];

		z->msgs = sub0(x->msgs, y->msgs);
		z->bytes = sub0(x->bytes, y->bytes);
		z->control = sub0(x->control, y->control);
		z->decode_err = sub0(x->decode_err, y->decode_err);
		z->gaps = sub0(x->gaps, y->gaps);
		z->resyncs = sub0(x->resyncs, y->resyncs);
		z->reconnects = sub0(x->reconnects, y->reconnects);
		z->crossed = sub0(x->crossed, y->crossed);
		z->stale_marks = sub0(x->stale_marks, y->stale_marks);
		z->snap_fail = sub0(x->snap_fail, y->snap_fail);
		z->idle_drops = sub0(x->idle_drops, y->idle_drops);
	}
	o->events = sub0(b->events, a->events);
	o->ring_full = sub0(b->ring_full, a->ring_full);
	o->status_changes = sub0(b->status_changes, a->status_changes);
	o->overruns = sub0(b->overruns, a->overruns);
}

static void drain_diff(const struct fb_drain_ctr *b, const struct fb_drain_ctr *a,
		       struct fb_drain_ctr *o)
{
	o->events = sub0(b->events, a->events);
	for (int k = 0; k < FB_EV_MAX; k++)
		o->by_type[k] = sub0(b->by_type[k], a->by_type[k]);
	o->gap_flags = sub0(b->gap_flags, a->gap_flags);
	o->batches = sub0(b->batches, a->batches);
	o->cpu_ns = sub0(b->cpu_ns, a->cpu_ns);
	o->max_batch = 0;
}

/* Anything that is a loss whatever the counts: errors, drops, gaps, reconnects. */
static bool clean(const struct fb_ctr *x, const struct fb_drain_ctr *d)
{
	for (int v = 0; v < FB_NVENUES; v++)
		if (x->v[v].decode_err || x->v[v].gaps || x->v[v].resyncs ||
		    x->v[v].reconnects || x->v[v].idle_drops)
			return false;
	return !x->ring_full && !x->overruns && !d->gap_flags;
}

static void round_from(const struct fb_cfg *c, const struct snap *a, const struct snap *b,
		       struct fb_round *r)
{
	static struct shm_hist_snap d;
	uint64_t recv = 0, pub = 0, bytes = 0;
	double wall_s;
	bool within = true;

	r->wall_ns = b->t_ns - a->t_ns;
	wall_s = (double)r->wall_ns / 1e9;
	ctr_diff(&b->ctr, &a->ctr, &r->ctr);
	drain_diff(&b->drain, &a->drain, &r->drain);
	r->have_published = a->st.ok && b->st.ok;
	for (int v = 0; v < FB_NVENUES; v++) {
		r->recv[v] = sub0(b->recv[v], a->recv[v]);
		r->mps_venue[v] = (double)r->recv[v] / wall_s;
		recv += r->recv[v];
		bytes += r->ctr.v[v].bytes;
		if (!r->have_published)
			continue;
		r->published[v] = sub0(b->st.published[v], a->st.published[v]);
		pub += r->published[v];
		r->behind[v] = (int64_t)r->published[v] - (int64_t)r->recv[v];
		r->inflight[v] = (int64_t)b->st.published[v] - (int64_t)b->recv[v];
		r->slack[v] = fb_slack(r->published[v], r->wall_ns, a->spread[v] + b->spread[v]);
		if ((uint64_t)llabs(r->inflight[v]) > r->slack[v])
			within = false;
	}
	r->feedd_cpu_ns = sub0(b->feedd_ns, a->feedd_ns);
	r->exsim_cpu_ns = sub0(b->exsim_ns, a->exsim_ns);
	r->steal_ms = sub0(b->steal_ms, a->steal_ms);
	if (c->pin) {
		/* this process shares exsim's CPU: it counts as "others" there */
		uint64_t ours[2] = { r->exsim_cpu_ns / 1000000, r->feedd_cpu_ns / 1000000 };

		for (int i = 0; i < 2; i++)
			r->others_ms[i] = sub0(sub0(b->busy_ms[i], a->busy_ms[i]), ours[i]);
	}
	for (int i = 0; i < FB_NHIST; i++) {
		fb_hist_diff(&b->h[i], &a->h[i], &d);
		lat_from(&d, &r->lat[i]);
	}
	r->mps = (double)recv / wall_s;
	r->published_mps = r->have_published ? (double)pub / wall_s : NAN;
	r->mbps = (double)bytes / 1e6 / wall_s;
	r->feedd_share = (double)r->feedd_cpu_ns / (double)r->wall_ns;
	r->feedd_ns_per_msg = bu_ratio((double)r->feedd_cpu_ns, (double)recv);
	r->exsim_share = (double)r->exsim_cpu_ns / (double)r->wall_ns;
	r->drain_share = (double)r->drain.cpu_ns / (double)r->wall_ns;
	r->events_ps = (double)r->drain.events / wall_s;
	for (int i = 0; i < 2; i++)
		r->others_share[i] = c->pin ? (double)r->others_ms[i] / 1e3 / wall_s : NAN;
	r->lossless = r->have_published && within && clean(&r->ctr, &r->drain) &&
		      r->books_live == r->books;
}

#define MED(field)                                                      \
	do {                                                            \
		for (unsigned i = 0; i < n; i++)                        \
			v[i] = rr->round[i].field;                      \
		rr->med.field = bu_median(v, n);                        \
	} while (0)

static void medians(struct fb_rate_res *rr)
{
	double v[FB_MAX_ROUNDS];
	unsigned n = rr->rounds_done;

	memset(&rr->med, 0, sizeof(rr->med));
	MED(mps);
	MED(mps_venue[BX_BINANCE]);
	MED(mps_venue[BX_UPBIT]);
	MED(published_mps);
	MED(mbps);
	MED(feedd_share);
	MED(feedd_ns_per_msg);
	MED(exsim_share);
	MED(drain_share);
	MED(events_ps);
	MED(others_share[0]);
	MED(others_share[1]);
	for (int h = 0; h < FB_NHIST; h++) {
		MED(lat[h].p50);
		MED(lat[h].p99);
		MED(lat[h].p999);
		MED(lat[h].max);
	}
}

static void us(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", ns / 1000.0);
}

static void progress(const char *name, unsigned i, const struct fb_round *r)
{
	char p50[16], p99[16], p999[16];

	us(p50, sizeof(p50), r->lat[0].p50);
	us(p99, sizeof(p99), r->lat[0].p99);
	us(p999, sizeof(p999), r->lat[0].p999);
	fprintf(stderr, "  %-5s window %u  %9.0f msg/s (binance %.0f, upbit %.0f) published %9.0f"
		"  in flight %lld/%lld  feedd CPU %3.0f%% %5.0f ns/msg  cqe->pub us p50 %s p99 %s "
		"p999 %s  %s", name, i + 1, r->mps, r->mps_venue[BX_BINANCE],
		r->mps_venue[BX_UPBIT], r->published_mps, (long long)r->inflight[BX_BINANCE],
		(long long)r->inflight[BX_UPBIT], r->feedd_share * 100, r->feedd_ns_per_msg, p50,
		p99, p999, r->lossless ? "ok" : "LOSS");
	if (r->steal_ms)
		fprintf(stderr, " [steal %llu ms]", (unsigned long long)r->steal_ms);
	if (r->others_ms[0] >= 20 || r->others_ms[1] >= 20)
		fprintf(stderr, " [others took %llu/%llu ms of exsim's/feedd's CPU]",
			(unsigned long long)r->others_ms[0], (unsigned long long)r->others_ms[1]);
	fputc('\n', stderr);
}

/* ---- one rate ------------------------------------------------------------------------------- */

static void fail(struct fb_rate_res *rr, const char *what, int err)
{
	rr->ok = false;
	snprintf(rr->error, sizeof(rr->error), "%s: %s", what, strerror(-err));
}

static int check_alive(struct run *u, struct fb_rate_res *rr)
{
	bx_exsim_drain(u->x);
	fb_feedd_drain(&u->f);
	if (!bx_exsim_alive(u->x)) {
		fail(rr, "exsim ended", -ECHILD);
		return -ECHILD;
	}
	if (!fb_feedd_alive(&u->f)) {
		fail(rr, "feedd ended", -ECHILD);
		return -ECHILD;
	}
	return 0;
}

/* Until every book is live (up to the timeout). */
static int wait_live(struct run *u, struct fb_rate_res *rr)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t deadline = t0 + (uint64_t)u->c->start_timeout_s * 1000000000ull;
	unsigned live = 0, total = 0;
	int err;

	for (;;) {
		live = fb_books_live(&u->f, &total);
		if (live == total)
			break;
		if ((err = check_alive(u, rr)))
			return err;
		if (clock_ns(CLOCK_MONOTONIC) >= deadline) {
			fprintf(stderr, FB_PROG ": %u of %u books live after %u s\n", live, total,
				u->c->start_timeout_s);
			rr->ok = false;
			snprintf(rr->error, sizeof(rr->error), "%u of %u books live after %u s",
				 live, total, u->c->start_timeout_s);
			return -ETIMEDOUT;
		}
		sleep_ns(10000000);
	}
	rr->live_s = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return 0;
}

/* Sleep until t (CLOCK_MONOTONIC), checking both processes every 100 ms. */
static int wait_until(struct run *u, struct fb_rate_res *rr, uint64_t t)
{
	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		int err;

		if (now >= t)
			return 0;
		sleep_ns(t - now < 100000000ull ? t - now : 100000000ull);
		if ((err = check_alive(u, rr)))
			return err;
	}
}

static int measure(struct run *u, struct fb_rate_res *rr, const char *name)
{
	static struct snap s[3];
	struct snap *first = &s[0], *a = &s[1], *b = &s[2], *t;
	static struct shm_hist_snap d;
	int err;

	if ((err = wait_until(u, rr, clock_ns(CLOCK_MONOTONIC) + u->c->warm_ns)))
		return err;
	take_snap(u, a);
	fb_drain_take_max(&u->d);
	*first = *a;
	u->slow[0] = u->slow[1] = a->st.ws_slow_closed;
	u->reconn[0] = u->reconn[1] = reconnects(&a->ctr);
	for (unsigned i = 0; i < u->c->rounds; i++) {
		struct fb_round *r = &rr->round[i];

		if ((err = wait_until(u, rr, a->t_ns + u->c->window_ns)))
			return err;
		take_snap(u, b);
		memset(r, 0, sizeof(*r));
		r->books_live = fb_books_live(&u->f, &r->books);
		round_from(u->c, a, b, r);
		r->drain.max_batch = fb_drain_take_max(&u->d);
		rr->rounds_done = i + 1;
		u->slow[1] = b->st.ws_slow_closed;
		u->reconn[1] = reconnects(&b->ctr);
		progress(name, i, r);
		t = a;
		a = b;
		b = t;
	}
	ctr_diff(&a->ctr, &first->ctr, &rr->span_ctr);
	drain_diff(&a->drain, &first->drain, &rr->span_drain);
	for (int h = 0; h < FB_NHIST; h++) {
		fb_hist_diff(&a->h[h], &first->h[h], &d);
		lat_from(&d, &rr->span_lat[h]);
	}
	return 0;
}

/*
 * The exact count: exsim paused, wait until feedd has read everything
 * (its counts, exsim's and the drained events all still for FB_IDLE_NS),
 * then every message exsim published since it started against every one
 * feedd received since it started: feedd is exsim's only client.
 */
static void exact_check(struct run *u, struct fb_rate_res *rr)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), still_since = t0, last_key = UINT64_MAX;
	struct bx_status st;
	struct fb_ctr x;
	struct fb_drain_ctr dr;
	int err = bx_exsim_post(u->x, "/pause");

	if (err) {
		fprintf(stderr, FB_PROG ": POST /pause to exsim: %s\n", strerror(-err));
		return;
	}
	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC), key;

		fb_counters(&u->f, &x);
		bx_exsim_status(u->x, &st);
		fb_drain_read(&u->d, &dr);
		if (!st.ok)
			return;
		key = x.v[0].msgs + 3 * x.v[1].msgs + 5 * st.published[0] + 7 * st.published[1] +
		      11 * dr.events + 13 * x.events;
		if (key != last_key || dr.events != x.events) {
			last_key = key;
			still_since = now;
		} else if (now - still_since >= FB_IDLE_NS) {
			break;
		}
		if (now - t0 >= FB_IDLE_MAX_NS) {
			fprintf(stderr, FB_PROG ": feedd did not go idle within %.0f s of exsim's "
				"pause\n", FB_IDLE_MAX_NS / 1e9);
			return;
		}
		sleep_ns(20000000);
	}
	rr->settle_s = (double)(still_since - t0) / 1e9;
	for (int v = 0; v < FB_NVENUES; v++) {
		rr->total_pub[v] = st.published[v];
		rr->total_recv[v] = x.v[v].msgs;
		rr->total_control[v] = x.v[v].control;
	}
	rr->total_events = x.events;
	rr->total_drained = dr.events;
	rr->slow_closed = st.ws_slow_closed;
	rr->slow_phase[0] = u->slow[0];
	rr->slow_phase[1] = sub0(u->slow[1], u->slow[0]);
	rr->slow_phase[2] = sub0(st.ws_slow_closed, u->slow[1]);
	rr->reconn_phase[0] = u->reconn[0];
	rr->reconn_phase[1] = sub0(u->reconn[1], u->reconn[0]);
	rr->reconn_phase[2] = sub0(reconnects(&x), u->reconn[1]);
	rr->exact_done = true;
}

/* Add a reason to rr->loss_why ("; " between reasons). */
static __attribute__((format(printf, 2, 3))) void why(struct fb_rate_res *rr,
						      const char *fmt, ...)
{
	size_t len = strlen(rr->loss_why);
	va_list ap;

	if (len + 2 >= sizeof(rr->loss_why))
		return;
	snprintf(rr->loss_why + len, sizeof(rr->loss_why) - len, "%s", len ? "; " : "");
	len = strlen(rr->loss_why);
	va_start(ap, fmt);
	vsnprintf(rr->loss_why + len, sizeof(rr->loss_why) - len, fmt, ap);
	va_end(ap);
}

static void judge(struct fb_rate_res *rr)
{
	const struct fb_ctr *x = &rr->span_ctr;
	uint64_t dec = 0, gaps = 0, resyncs = 0, reconn = 0;

	rr->loss_why[0] = 0;
	rr->windows_lossless = 0;
	for (unsigned i = 0; i < rr->rounds_done; i++)
		rr->windows_lossless += rr->round[i].lossless;
	if (rr->windows_lossless < rr->rounds_done)
		why(rr, "%u windows ended more than the slack behind, or not clean",
		    rr->rounds_done - rr->windows_lossless);
	for (int v = 0; v < FB_NVENUES; v++) {
		dec += x->v[v].decode_err;
		gaps += x->v[v].gaps;
		resyncs += x->v[v].resyncs;
		reconn += x->v[v].reconnects;
	}
	if (dec)
		why(rr, "%llu decode errors", (unsigned long long)dec);
	if (gaps)
		why(rr, "%llu gaps", (unsigned long long)gaps);
	if (resyncs)
		why(rr, "%llu resyncs", (unsigned long long)resyncs);
	if (reconn)
		why(rr, "%llu reconnects", (unsigned long long)reconn);
	if (x->ring_full || x->overruns)
		why(rr, "%llu md ring drops",
		    (unsigned long long)(x->ring_full > x->overruns ? x->ring_full : x->overruns));
	if (rr->span_drain.gap_flags)
		why(rr, "%llu gap-flagged events", (unsigned long long)rr->span_drain.gap_flags);
	if (!rr->exact_done) {
		why(rr, "no exact count (exsim not paused, or feedd never idle)");
	} else {
		for (int v = 0; v < FB_NVENUES; v++) {
			if (rr->total_recv[v] < rr->total_pub[v])
				why(rr, "%s: %llu published, never received", bx_venue_names[v],
				    (unsigned long long)(rr->total_pub[v] - rr->total_recv[v]));
			else if (rr->total_recv[v] > rr->total_pub[v])
				why(rr, "%s: %llu received, never published", bx_venue_names[v],
				    (unsigned long long)(rr->total_recv[v] - rr->total_pub[v]));
		}
		if (rr->total_drained != rr->total_events)
			why(rr, "%llu events published on the ring and not drained",
			    (unsigned long long)sub0(rr->total_events, rr->total_drained));
		if (rr->slow_closed)
			why(rr, "exsim cut off %llu connections as slow (%llu/%llu/%llu before, "
			    "during, after the windows; feedd reconnected %llu/%llu/%llu times)",
			    (unsigned long long)rr->slow_closed,
			    (unsigned long long)rr->slow_phase[0],
			    (unsigned long long)rr->slow_phase[1],
			    (unsigned long long)rr->slow_phase[2],
			    (unsigned long long)rr->reconn_phase[0],
			    (unsigned long long)rr->reconn_phase[1],
			    (unsigned long long)rr->reconn_phase[2]);
	}
	rr->no_loss = rr->ok && rr->rounds_done && !rr->loss_why[0];
}

/*
 * One rate: exsim, feedd, the drain, the books live, the windows, the
 * exact count, everything stopped. 0, or -errno (rr->error says what broke).
 */
static int run_rate(const struct fb_cfg *c, struct bx_exsim *x, struct fb_results *res,
		    unsigned idx)
{
	struct fb_rate_res *rr = &res->res[idx];
	const struct bx_exsim_cfg xc = {
		.prog = FB_PROG, .exsim = c->exsim, .scenario = c->scenario,
		.cpu = c->pin ? c->cpu[0] : -1, .start_timeout_s = c->start_timeout_s,
	};
	struct run u = { .c = c, .x = x };
	char name[24];
	int err;

	bx_rate_name(rr->rate, name, sizeof(name));
	rr->load_rate = fb_load_rate(rr->rate);
	rr->asked_mps = rr->rate == BX_RATE_MAX || rr->rate == BX_RATE_QUIET ? NAN :
			(double)(rr->load_rate * FB_NVENUES);
	rr->ok = true;
	err = bx_exsim_start(x, &xc, rr->load_rate);
	if (err) {
		fail(rr, "exsim did not start", err);
		return err;
	}
	snprintf(rr->ready_line, sizeof(rr->ready_line), "%s", x->ready_line);
	err = fb_feedd_start(c, x, idx, &u.f);
	if (err) {
		fail(rr, "feedd did not start", err);
		goto out_exsim;
	}
	if (!res->backing[0])
		snprintf(res->backing, sizeof(res->backing), "%s",
			 u.f.seg.hdr->backing == SHM_BACK_HUGETLBFS ? "hugetlbfs" : "shm");
	err = fb_drain_start(&u.d, u.f.ring);
	if (err) {
		fail(rr, "draining the md ring", err);
		goto out_feedd;
	}
	err = wait_live(&u, rr);
	if (!err)
		err = measure(&u, rr, name);
	if (!err)
		exact_check(&u, rr);
	if (rr->rounds_done)
		medians(rr);
	judge(rr);
	fb_drain_stop(&u.d);
out_feedd:
	fb_feedd_stop(&u.f);
out_exsim:
	bx_exsim_stop(x);
	return err;
}

/* Every rate; one that broke is reported and the next one runs. */
static int run_all(const struct fb_cfg *c, struct bx_exsim *x, struct fb_results *r)
{
	int first = 0;

	for (unsigned i = 0; i < c->nrates; i++) {
		struct fb_rate_res *rr = &r->res[i];
		int err;

		rr->rate = c->rate[i];
		r->nrates_done = i + 1;
		err = run_rate(c, x, r, i);
		if (err && !first)
			first = err;
		if (err && !rr->ready_line[0])
			break;          /* exsim did not start: the next would not either */
	}
	return first;
}

static int setup_cpus(struct fb_cfg *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	c->pin = n >= 2;
	if (!c->pin) {
		fprintf(stderr, FB_PROG ": one CPU online: exsim, feedd and the bench share it, "
			"nothing pinned\n");
		return 0;
	}
	/* beside exsim: feedd's CPU is feedd's */
	err = bu_pin(c->cpu[0]);
	if (err)
		fprintf(stderr, FB_PROG ": pin to CPU %d: %s\n", c->cpu[0], strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct bx_exsim x = { .out_fd = -1 };
	struct fb_results *r = NULL;
	struct fb_cfg cfg;
	int err, jerr = 0;

	if (parse_args(&cfg, argc, argv))
		return 2;
	if (setup_cpus(&cfg) || bu_signals(FB_PROG))
		return 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->cfg = &cfg;
	err = bx_exsim_dir(&x, "feedbench");
	if (err) {
		fprintf(stderr, FB_PROG ": temp dir: %s\n", strerror(-err));
		goto out;
	}
	if (cfg.pin)
		fprintf(stderr, FB_PROG ": exsim and the bench on CPU %d, feedd on CPU %d; ",
			cfg.cpu[0], cfg.cpu[1]);
	else
		fprintf(stderr, FB_PROG ": ");
	fprintf(stderr, "%u windows of %.1f s after %.1f s of warm-up per rate\n", cfg.rounds,
		(double)cfg.window_ns / 1e9, (double)cfg.warm_ns / 1e9);
	err = run_all(&cfg, &x, r);
	fb_print(r);
	if (cfg.json_path)
		jerr = fb_json(r);
out:
	bx_exsim_stop(&x);
	bx_exsim_dir_free(&x);
	free(r);
	return err || jerr ? 1 : 0;
}
