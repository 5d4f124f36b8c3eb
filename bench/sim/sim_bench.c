/* SPDX-License-Identifier: MIT */
/*
 * sim_bench: exsim's market-data publishing rate across connections, at
 * requested rates from quiet to flat out ("max"), with exsim's and the
 * client's CPU per message. For each rate: exsim started afresh on a load
 * scenario, N connections per venue, a warm-up, then several back-to-back
 * measurement windows; the report is the median over windows. A rate that
 * is not delivered is reported, never failed: the run fails only when
 * something breaks (exsim does not start, a connection fails or closes, a
 * message is not JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sim_bench.h"
#include "../common/bench_util.h"

static const char default_rates[] = "quiet,10k,100k,1M,max";
static const char default_coins[] = "BTC,ETH,XRP";

static void usage(FILE *f)
{
	fprintf(f,
"usage: sim_bench --exsim PATH [options]\n"
"  --exsim PATH      the exsim binary (required)\n"
"  --ci              short form: 3 windows of 1 s after 1 s of warm-up, per rate\n"
"  --rates LIST      messages/s asked, all connections together: numbers with\n"
"                    k or M; quiet (load_rate 0: the model's own messages) or\n"
"                    max (exsim's largest load_rate) (default %s)\n"
"  --conns N         connections per venue (default 4)\n"
"  --feed top|full   top (default): Binance bookTicker and trade, Upbit's\n"
"                    one-level orderbook (KRW-X.1) and trade; full: Binance\n"
"                    depth@100ms too and Upbit's 30-level books\n"
"  --rounds N        measurement windows per rate (default 5)\n"
"  --window MS       one window (default 3000)\n"
"  --warmup MS       before the first window (default 2000)\n"
"  --cpus A,B        exsim's and the client's CPU (default 0,1; with one CPU\n"
"                    online nothing is pinned)\n"
"  --coins LIST      the scenario's coins, subscribed on both venues\n"
"                    (default %s)\n"
"  --scenario FILE   base scenario; a copy with [exsim] load_rate set per rate\n"
"                    runs (relative paths in it would resolve against the\n"
"                    copy's temp dir); default: a scenario of only that key\n"
"  --timeout S       exsim up, and every connection receiving (default 30)\n"
"  --json PATH       write every figure as JSON to PATH\n"
"  --commit STR      source revision, recorded in the JSON\n",
		default_rates, default_coins);
}

/* ---- options ------------------------------------------------------------------------- */

static int parse_rates(struct sb_cfg *c, const char *s)
{
	return bx_parse_rates(s, c->rate, SB_MAX_RATES, &c->nrates);
}

static int parse_coins(struct sb_cfg *c, const char *s)
{
	return bx_parse_coins(s, c->coins, &c->ncoins);
}

static void cfg_defaults(void *cv, bool ci)
{
	struct sb_cfg *c = cv;
	memset(c, 0, sizeof(*c));
	c->ci = ci;
	parse_rates(c, default_rates);
	parse_coins(c, default_coins);
	c->conns = 4;
	c->rounds = ci ? 3 : 5;
	c->window_ns = (ci ? 1000 : 3000) * 1000000ull;
	c->warm_ns = (ci ? 1000 : 2000) * 1000000ull;
	c->cpu[0] = 0;
	c->cpu[1] = 1;
	c->start_timeout_s = 30;
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_EXSIM, OPT_RATES, OPT_CONNS, OPT_ROUNDS, OPT_WINDOW, OPT_WARMUP,
	OPT_CPUS, OPT_COINS, OPT_SCENARIO, OPT_TIMEOUT, OPT_JSON, OPT_COMMIT,
	OPT_FEED,
};

static const struct option sb_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "exsim", required_argument, NULL, OPT_EXSIM },
	{ "rates", required_argument, NULL, OPT_RATES },
	{ "conns", required_argument, NULL, OPT_CONNS },
	{ "feed", required_argument, NULL, OPT_FEED },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "cpus", required_argument, NULL, OPT_CPUS },
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
	struct sb_cfg *c = cv;
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case OPT_CI:
		return 0;   /* taken in the first pass */
	case OPT_EXSIM:
		c->exsim = arg;
		break;
	case OPT_RATES:
		err = parse_rates(c, arg);
		break;
	case OPT_FEED:
		if (!strcmp(arg, "full"))
			c->full_feed = true;
		else if (!strcmp(arg, "top"))
			c->full_feed = false;
		else
			err = -EINVAL;
		break;
	case OPT_CONNS:
		err = bu_parse_u64(arg, 1, SB_MAX_CONNS, &v);
		c->conns = (unsigned)v;
		break;
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, SB_MAX_ROUNDS, &v);
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
	case OPT_COINS:
		err = parse_coins(c, arg);
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

static int parse_args(struct sb_cfg *c, int argc, char **argv)
{
	const struct bu_args a = {
		.prog = "sim_bench", .opts = sb_opts, .first_opt = OPT_CI, .cfg = c,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	int err = bu_parse_args(&a, argc, argv);

	if (err)
		return err;
	if (!c->exsim) {
		fprintf(stderr, "sim_bench: --exsim PATH is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (access(c->exsim, X_OK)) {
		fprintf(stderr, "sim_bench: %s is not an executable (make build/exsim)\n",
			c->exsim);
		return -ENOENT;
	}
	if (c->scenario && access(c->scenario, R_OK)) {
		fprintf(stderr, "sim_bench: scenario %s: %s\n", c->scenario, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* ---- figures ---------------------------------------------------------------------------- */

/*
 * exsim's load_rate is market messages per second per venue, on top of the
 * model's own, as one consumer of that venue's whole feed sees them
 * (sim/scenarios/load.scn): every connection gets them all. An asked total
 * across connections is split over the venues and their connections.
 */
uint64_t sb_load_rate(const struct sb_cfg *c, uint64_t rate)
{
	uint64_t conns = (uint64_t)c->conns * SB_NVENUES;

	if (rate == SB_RATE_MAX)
		return SB_LOAD_RATE_MAX;
	if (rate == SB_RATE_QUIET)
		return 0;
	return (rate + conns - 1) / conns;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Everything read at a window's edge. */
struct snap {
	uint64_t t_ns, exsim_ns, client_ns;
	struct sb_count cnt[SB_NVENUES];
	struct sb_sys sys;
	struct bx_status st;
};

static void take_snap(const struct sb_cfg *c, const struct bx_exsim *x,
		      const struct sb_client *cl, struct snap *s)
{
	s->t_ns = clock_ns(CLOCK_MONOTONIC);
	sb_client_counts(cl, s->cnt);
	s->client_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	s->exsim_ns = bu_proc_cpu_ns(x->pid);
	sb_sys_snap(c->cpu, &s->sys);
	bx_exsim_status(x, &s->st);
}

static uint64_t sub0(uint64_t b, uint64_t a)
{
	return b > a ? b - a : 0;
}

static void round_from(const struct sb_cfg *c, const struct snap *a, const struct snap *b,
		       struct sb_round *r)
{
	uint64_t msgs = 0, bytes = 0, pub = 0;
	double wall_s;

	memset(r, 0, sizeof(*r));
	r->wall_ns = b->t_ns - a->t_ns;
	wall_s = (double)r->wall_ns / 1e9;
	for (int v = 0; v < SB_NVENUES; v++) {
		r->cnt[v].msgs = b->cnt[v].msgs - a->cnt[v].msgs;
		r->cnt[v].bytes = b->cnt[v].bytes - a->cnt[v].bytes;
		r->cnt[v].bad = b->cnt[v].bad - a->cnt[v].bad;
		r->mps_venue[v] = (double)r->cnt[v].msgs / wall_s;
		msgs += r->cnt[v].msgs;
		bytes += r->cnt[v].bytes;
	}
	r->exsim_cpu_ns = sub0(b->exsim_ns, a->exsim_ns);
	r->client_cpu_ns = sub0(b->client_ns, a->client_ns);
	r->steal_ms = sub0(b->sys.steal_ms, a->sys.steal_ms);
	if (c->pin) {
		uint64_t ours[2] = { r->exsim_cpu_ns / 1000000, r->client_cpu_ns / 1000000 };

		for (int i = 0; i < 2; i++)
			r->others_ms[i] = sub0(sub0(b->sys.busy_ms[i], a->sys.busy_ms[i]), ours[i]);
	}
	r->have_published = a->st.ok && b->st.ok;
	if (r->have_published)
		for (int v = 0; v < SB_NVENUES; v++) {
			r->published[v] = sub0(b->st.published[v], a->st.published[v]);
			pub += r->published[v];
		}
	r->mps = (double)msgs / wall_s;
	r->mbps = (double)bytes / 1e6 / wall_s;
	r->bytes_per_msg = bu_ratio((double)bytes, (double)msgs);
	r->exsim_ns_per_msg = bu_ratio((double)r->exsim_cpu_ns, (double)msgs);
	r->client_ns_per_msg = bu_ratio((double)r->client_cpu_ns, (double)msgs);
	r->exsim_share = (double)r->exsim_cpu_ns / (double)r->wall_ns;
	r->client_share = (double)r->client_cpu_ns / (double)r->wall_ns;
	r->published_mps = r->have_published ? (double)pub / wall_s : NAN;
	r->got_vs_published = bu_ratio(r->mps, r->published_mps);
}

#define MED(field)                                                      \
	do {                                                            \
		for (unsigned i = 0; i < n; i++)                        \
			v[i] = rr->round[i].field;                      \
		rr->med.field = bu_median(v, n);                        \
	} while (0)

static void medians(struct sb_rate_res *rr)
{
	double v[SB_MAX_ROUNDS];
	unsigned n = rr->rounds_done;

	memset(&rr->med, 0, sizeof(rr->med));
	MED(mps);
	MED(mps_venue[SB_BINANCE]);
	MED(mps_venue[SB_UPBIT]);
	MED(mbps);
	MED(bytes_per_msg);
	MED(exsim_ns_per_msg);
	MED(client_ns_per_msg);
	MED(exsim_share);
	MED(client_share);
	MED(published_mps);
	MED(got_vs_published);
}

/* Received / published over every window exsim's counts covered. */
static double got_vs_published(const struct sb_rate_res *rr)
{
	uint64_t got = 0, pub = 0;

	for (unsigned i = 0; i < rr->rounds_done; i++) {
		const struct sb_round *x = &rr->round[i];

		if (!x->have_published)
			continue;
		for (int v = 0; v < SB_NVENUES; v++) {
			got += x->cnt[v].msgs;
			pub += x->published[v];
		}
	}
	return bu_ratio((double)got, (double)pub);
}

static void progress(const char *name, unsigned i, const struct sb_round *r)
{
	fprintf(stderr, "  %-5s window %u  %10.0f msg/s (binance %.0f, upbit %.0f)  %7.1f MB/s  "
		"exsim %5.0f ns/msg CPU %3.0f%%  client %5.0f ns/msg CPU %3.0f%%", name, i + 1,
		r->mps, r->mps_venue[SB_BINANCE], r->mps_venue[SB_UPBIT], r->mbps,
		r->exsim_ns_per_msg, r->exsim_share * 100, r->client_ns_per_msg,
		r->client_share * 100);
	if (r->steal_ms)
		fprintf(stderr, " [steal %llu ms]", (unsigned long long)r->steal_ms);
	if (r->others_ms[0] >= 20 || r->others_ms[1] >= 20)
		fprintf(stderr, " [others took %llu/%llu ms of exsim's/the client's CPU]",
			(unsigned long long)r->others_ms[0], (unsigned long long)r->others_ms[1]);
	fputc('\n', stderr);
}

/* ---- one rate ------------------------------------------------------------------------------- */

static void fail(struct sb_rate_res *rr, const char *what, int err)
{
	rr->ok = false;
	snprintf(rr->error, sizeof(rr->error), "%s: %s", what, strerror(-err));
}

static int measure(const struct sb_cfg *c, struct bx_exsim *x, struct sb_client *cl,
		   struct sb_rate_res *rr, const char *name)
{
	struct snap a, b;
	int err;

	err = sb_client_run(cl, clock_ns(CLOCK_MONOTONIC) + c->warm_ns);
	if (err) {
		fail(rr, "during the warm-up", err);
		return err;
	}
	take_snap(c, x, cl, &a);
	for (unsigned i = 0; i < c->rounds; i++) {
		err = sb_client_run(cl, a.t_ns + c->window_ns);
		if (err) {
			fail(rr, "during a window", err);
			return err;
		}
		take_snap(c, x, cl, &b);
		round_from(c, &a, &b, &rr->round[i]);
		rr->rounds_done = i + 1;
		progress(name, i, &rr->round[i]);
		bx_exsim_drain(x);
		if (!bx_exsim_alive(x)) {
			fail(rr, "exsim", -ECHILD);
			return -ECHILD;
		}
		a = b;
	}
	return 0;
}

/* What exsim says about the connections it cut off, on a failed rate. */
static void say_slow(struct sb_rate_res *rr, const char *name)
{
	size_t n = strlen(rr->error);

	if (!rr->slow_closed)
		return;
	snprintf(rr->error + n, sizeof(rr->error) - n, " (exsim cut off %llu as slow consumers)",
		 (unsigned long long)rr->slow_closed);
	fprintf(stderr, "sim_bench: %s: exsim's /status counts %llu connections cut off as "
		"slow consumers (ws_slow_closed)\n", name, (unsigned long long)rr->slow_closed);
}

/*
 * One rate: exsim started, the client connected, measured, both stopped.
 * 0, or -errno (rr->error says what broke).
 */
static int run_rate(const struct sb_cfg *c, struct bx_exsim *x, struct sb_results *r,
		    struct sb_rate_res *rr)
{
	struct sb_client *cl = NULL;
	struct sb_count cnt[SB_NVENUES];
	struct bx_status st;
	char name[24];
	int err;

	bx_rate_name(rr->rate, name, sizeof(name));
	rr->load_rate = sb_load_rate(c, rr->rate);
	rr->asked_mps = rr->rate == SB_RATE_MAX || rr->rate == SB_RATE_QUIET ? NAN :
			(double)(rr->load_rate * c->conns * SB_NVENUES);
	rr->ok = true;
	rr->got_vs_published = NAN;
	err = sb_exsim_start(c, x, rr->load_rate);
	if (err) {
		fail(rr, "exsim did not start", err);
		return err;
	}
	snprintf(rr->ready_line, sizeof(rr->ready_line), "%s", x->ready_line);
	err = sb_client_start(c, x, &cl);
	if (err) {
		fail(rr, "connecting", err);
		goto out_status;
	}
	if (!r->cipher[0]) {
		snprintf(r->cipher, sizeof(r->cipher), "%s", sb_client_cipher(cl));
		r->loop_flags = sb_client_loop_flags(cl);
	}
	err = measure(c, x, cl, rr, name);
	sb_client_counts(cl, cnt);
	for (int v = 0; v < SB_NVENUES; v++)
		rr->bad += cnt[v].bad;
	snprintf(rr->bad_sample, sizeof(rr->bad_sample), "%s", sb_client_bad_sample(cl));
	if (!err && rr->bad) {
		fprintf(stderr, "sim_bench: %s: %llu messages were not JSON; the first: %s\n", name,
			(unsigned long long)rr->bad, rr->bad_sample);
		rr->ok = false;
		snprintf(rr->error, sizeof(rr->error), "%llu malformed messages",
			 (unsigned long long)rr->bad);
		err = -EBADMSG;
	}
	if (rr->rounds_done)
		medians(rr);
	rr->got_vs_published = got_vs_published(rr);
out_status:
	bx_exsim_status(x, &st);
	rr->slow_closed = st.ws_slow_closed;
	if (err)
		say_slow(rr, name);
	sb_client_free(cl);
	bx_exsim_stop(x);
	return err;
}

/*
 * Every rate. A rate that broke is reported and the next one runs; one
 * whose exsim did not start ends the run (the next would not either).
 */
static int run_all(const struct sb_cfg *c, struct bx_exsim *x, struct sb_results *r)
{
	int first = 0;

	for (unsigned i = 0; i < c->nrates; i++) {
		struct sb_rate_res *rr = &r->res[i];
		int err;

		rr->rate = c->rate[i];
		r->nrates_done = i + 1;
		err = run_rate(c, x, r, rr);
		if (err && !first)
			first = err;
		if (err && !rr->ready_line[0])
			break;          /* exsim did not start */
	}
	return first;
}

static int setup_cpus(struct sb_cfg *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	c->pin = n >= 2;
	if (!c->pin) {
		fprintf(stderr, "sim_bench: one CPU online: exsim and the client share it, "
			"nothing pinned\n");
		return 0;
	}
	err = bu_pin(c->cpu[1]);
	if (err)
		fprintf(stderr, "sim_bench: pin to CPU %d: %s\n", c->cpu[1], strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct bx_exsim x = { .out_fd = -1 };
	struct sb_results *r = NULL;
	struct sb_cfg cfg;
	int err, jerr = 0;

	if (parse_args(&cfg, argc, argv))
		return 2;
	if (setup_cpus(&cfg) || bu_signals("sim_bench"))
		return 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return 1;
	r->cfg = &cfg;
	err = bx_exsim_dir(&x, "simbench");
	if (err) {
		fprintf(stderr, "sim_bench: temp dir: %s\n", strerror(-err));
		goto out;
	}
	if (cfg.pin)
		fprintf(stderr, "sim_bench: exsim on CPU %d, client on CPU %d; ", cfg.cpu[0],
			cfg.cpu[1]);
	else
		fprintf(stderr, "sim_bench: ");
	fprintf(stderr, "%u connections per venue, %u windows of %.1f s after %.1f s of "
		"warm-up per rate\n", cfg.conns, cfg.rounds, (double)cfg.window_ns / 1e9,
		(double)cfg.warm_ns / 1e9);
	err = run_all(&cfg, &x, r);
	sb_print(r);
	if (cfg.json_path)
		jerr = sb_json(r);
out:
	bx_exsim_stop(&x);
	bx_exsim_dir_free(&x);
	free(r);
	return err || jerr ? 1 : 0;
}
