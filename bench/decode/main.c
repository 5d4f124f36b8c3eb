/* SPDX-License-Identifier: MIT */
/*
 * decode_bench: ns per message for libvenue's market-data decoders (ours),
 * cJSON and simdjson's DOM parser, each turning the same real venue
 * messages into the same struct vd_msg, in one run.
 *
 * Before anything is timed every parser decodes every input and must give
 * the values ours gives, field by field (a difference fails the run). Then
 * for each round, each input and each parser (the parser order rotating by
 * round), the parser decodes the input back to back for about --round-ms
 * (a count fixed per parser and input beforehand); the figure is the
 * thread's CPU time for the round / count (wall time is kept beside it: on
 * a shared machine other tasks take the CPU for a while, which CPU time
 * leaves out), the result the median over rounds, and the ratios
 * cJSON / ours and simdjson / ours of the medians. cJSON's and simdjson's
 * parse alone (no fill) are timed beside them, to show where their time
 * goes.
 *
 * Usage: decode_bench [--ci] [--cpu N] [--rounds N] [--round-ms N]
 *                     [--diff-levels N] [--snapshot-levels N] [--only TEXT]
 *                     [--json PATH] [--commit ID]
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dbench.h"
#include "../common/bench_util.h"

#define CALIB_MIN_NS 2000000ull     /* calibrate on at least this much decoding */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: decode_bench [--ci] [--cpu N] [--rounds N] [--round-ms N]\n"
		"                    [--diff-levels N] [--snapshot-levels N] [--only TEXT]\n"
		"                    [--json PATH] [--commit ID]\n"
		"\n"
		"ns per message for libvenue's decoders, cJSON and simdjson (DOM) on the venue\n"
		"captures in $KIMP_FIXTURES (default ../shared/fixtures/venues), every parser\n"
		"checked to give ours' values first.\n"
		"\n"
		"  --ci                 the short form: 5 rounds of 2 ms (default 21 of 10 ms)\n"
		"  --cpu N              pin to CPU N (default: not pinned)\n"
		"  --rounds N           rounds (1-%d)\n"
		"  --round-ms N         time each parser spends on each input in a round\n"
		"  --diff-levels N      levels a side of the enlarged depthUpdate (default 100)\n"
		"  --snapshot-levels N  levels a side of the enlarged REST snapshot (default 1000)\n"
		"  --only TEXT          only the inputs whose name holds TEXT\n"
		"  --json PATH          write the results there\n"
		"  --commit ID          the commit measured, for the results\n",
		DB_MAX_ROUNDS);
}

static void cfg_defaults(void *cv, bool ci)
{
	struct db_cfg *c = cv;
	const char *fx = getenv("KIMP_FIXTURES");

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->cpu = -1;
	c->rounds = ci ? 5 : 21;
	c->round_ns = (ci ? 2 : 10) * 1000000ull;
	c->diff_levels = 100;
	c->snap_levels = 1000;
	c->fixtures = fx && *fx ? fx : "../shared/fixtures/venues";
	c->commit = "unknown";
}

enum {
	OPT_CI = 256, OPT_CPU, OPT_ROUNDS, OPT_ROUND_MS, OPT_DIFF_LEVELS, OPT_SNAP_LEVELS,
	OPT_ONLY, OPT_JSON, OPT_COMMIT,
};

static const struct option db_opts[] = {
	{ "ci", no_argument, NULL, OPT_CI },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "round-ms", required_argument, NULL, OPT_ROUND_MS },
	{ "diff-levels", required_argument, NULL, OPT_DIFF_LEVELS },
	{ "snapshot-levels", required_argument, NULL, OPT_SNAP_LEVELS },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(void *cv, int opt, const char *arg)
{
	struct db_cfg *c = cv;
	uint64_t v = 0;
	int err = 0;

	switch (opt) {
	case OPT_CI:
		return 0;   /* taken in the first pass */
	case OPT_CPU:
		err = bu_parse_u64(arg, 0, CPU_SETSIZE - 1, &v);
		c->cpu = (int)v;
		break;
	case OPT_ROUNDS:
		err = bu_parse_u64(arg, 1, DB_MAX_ROUNDS, &v);
		c->rounds = (unsigned)v;
		break;
	case OPT_ROUND_MS:
		err = bu_parse_u64(arg, 1, 10000, &v);
		c->round_ns = v * 1000000ull;
		break;
	case OPT_DIFF_LEVELS:
		err = bu_parse_u64(arg, 1, DB_LEVELS_MAX, &v);
		c->diff_levels = (unsigned)v;
		break;
	case OPT_SNAP_LEVELS:
		err = bu_parse_u64(arg, 1, DB_LEVELS_MAX, &v);
		c->snap_levels = (unsigned)v;
		break;
	case OPT_ONLY:
		c->only = arg;
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

/* ---- set-up ---------------------------------------------------------------------------- */

static const char *const coins[] = {
	"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "AVAX", "LINK", "DOT", "BCH",
	"ETC", "XLM", "SUI", "SHIB", "NEAR", "APT", "ARB", "OP", "SAND", "BNB", "HBAR",
};

/* The venues measured, their names and quotes. */
static const struct {
	enum kimp_venue v;
	const char *name, *quote;
	bool snapshot;                  /* the bench times its REST snapshot decoder */
} db_venues[] = {
	{ KIMP_VENUE_UPBIT, "upbit", "KRW", false },
	{ KIMP_VENUE_BINANCE, "binance", "USDT", true },
	{ KIMP_VENUE_BITHUMB, "bithumb", "KRW", false },
	{ KIMP_VENUE_COINONE, "coinone", "KRW", false },
	{ KIMP_VENUE_BYBIT, "bybit", "USDT", false },
	{ KIMP_VENUE_OKX, "okx", "USDT", false },
};

/* The venue's decoders are there: 0, or -ENOSYS (said). */
static int have_decoders(unsigned i)
{
	const struct venue_md *md = venue_md_get(db_venues[i].v);
	const char *name = db_venues[i].name;

	if (!md || !md->decode || !md->symbol || (db_venues[i].snapshot && !md->decode_snapshot)) {
		fprintf(stderr, "decode_bench: libvenue has no %s decoder yet (venue_md_%s: "
			"%s is NULL)\n", name, name,
			!md ? "the table" : !md->symbol ? "symbol" : !md->decode ? "decode" :
			"decode_snapshot");
		return -ENOSYS;
	}
	return 0;
}

/* A venue's symbol table (every coin against its quote, 8 and 8 decimals) and its copy for the references. */
static int make_table(struct db_run *r, unsigned vi)
{
	enum kimp_venue v = db_venues[vi].v;
	struct venue_symtab *t = calloc(1, sizeof(*t));
	struct dref_tab *rt = calloc(1, sizeof(*rt));
	int n;

	r->tab[v] = t;
	r->rtab[v] = rt;
	if (!t || !rt)
		return -ENOMEM;
	venue_symtab_init(t, v);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(coins); i++) {
		n = venue_symtab_add(t, coins[i], db_venues[vi].quote, DB_PX_DEC, DB_QTY_DEC,
				     (uint32_t)i);
		if (n < 0)
			goto fail;
	}
	n = 0;
	if (v == KIMP_VENUE_UPBIT)
		n = venue_symtab_add(t, "USDT", "KRW", DB_PX_DEC, DB_QTY_DEC, 100);
	else if (v == KIMP_VENUE_BINANCE)
		n = venue_symtab_add(t, "BNB", "BTC", DB_PX_DEC, DB_QTY_DEC, 100);
	if (n < 0)
		goto fail;
	rt->tab = t;
	for (uint32_t i = 0; i < t->n; i++) {
		rt->px_dec[i] = t->sym[i].px_dec;
		rt->qty_dec[i] = t->sym[i].qty_dec;
	}
	return 0;
fail:
	fprintf(stderr, "decode_bench: venue_symtab_add for %s: %s\n", db_venues[vi].name,
		strerror(-n));
	return n;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "decode_bench: pin to CPU %d: %s\n", cpu, strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- the check --------------------------------------------------------------------------- */

static void drop_case(struct db_run *r, unsigned i)
{
	free(r->cases[i].buf);
	memmove(&r->cases[i], &r->cases[i + 1], (r->ncases - i - 1) * sizeof(r->cases[0]));
	r->ncases--;
	memset(&r->cases[r->ncases], 0, sizeof(r->cases[0]));
}

/*
 * Every parser on every input gives ours' values. An optional input ours
 * refuses is dropped (noted); anything else that fails or differs fails
 * the run: 0 or -EPROTO (said).
 */
static int check_all(struct db_run *r)
{
	struct vd_msg want = { .cap = DB_LEVELS_CAP }, got = { .cap = DB_LEVELS_CAP };
	struct vd_level *wb = calloc(DB_LEVELS_CAP, sizeof(*wb));
	struct vd_level *wa = calloc(DB_LEVELS_CAP, sizeof(*wa));
	int ret = 0;

	if (!wb || !wa) {
		ret = -ENOMEM;
		goto out;
	}
	want.bids = wb;
	want.asks = wa;
	got.bids = r->bids;
	got.asks = r->asks;
	for (unsigned i = 0; i < r->ncases;) {
		struct db_case *c = &r->cases[i];
		int err = db_decode(r, c, DB_OURS, &want);
		char why[256];

		if (err && c->optional) {
			db_skip(r, c->name, "ours refuses it (%s); a shape the decoder need "
				"not take", vd_err_name((unsigned)-err));
			drop_case(r, i);
			continue;
		}
		if (err || want.kind != c->kind) {
			fprintf(stderr, "decode_bench: %s (%s line %u): ours %s%s, not a %s\n",
				c->name, c->file, c->line, err ? "fails: " : "gives a ",
				err ? vd_err_name((unsigned)-err) : vd_kind_name(want.kind),
				vd_kind_name(c->kind));
			ret = -EPROTO;
			i++;
			continue;
		}
		c->nbids = want.nbids;
		c->nasks = want.nasks;
		for (unsigned p = DB_CJSON; p < DB_NDECODERS; p++) {
			err = db_decode(r, c, p, &got);
			if (err) {
				fprintf(stderr, "decode_bench: %s: the %s reference fails: %s%s%s\n",
					c->name, db_parser_name[p], vd_err_name((unsigned)-err),
					p == DB_SIMD ? " / simdjson: " : "",
					p == DB_SIMD ? dref_simd_last_error() : "");
				ret = -EPROTO;
			} else if (db_msg_diff(&got, &want, why, sizeof(why))) {
				fprintf(stderr, "decode_bench: %s (%s line %u): %s differs from "
					"ours: %s\n", c->name, c->file, c->line,
					db_parser_name[p], why);
				ret = -EPROTO;
			}
		}
		i++;
	}
	if (ret)
		fprintf(stderr, "decode_bench: the parsers do not agree: nothing timed\n");
out:
	free(wb);
	free(wa);
	return ret;
}

/* ---- timing ------------------------------------------------------------------------------- */

/* Messages a round of p on c decodes: about round_ns' worth. */
static int calibrate(const struct db_run *r, struct db_case *c, enum db_parser p,
		     struct vd_msg *m, uint64_t *iters)
{
	uint64_t n = 1, ns, errs, wall;

	for (;;) {
		ns = db_time(r, c, p, m, n, &errs, &wall);
		if (errs)
			return -EPROTO;
		if (ns >= CALIB_MIN_NS || n >= (1ull << 40))
			break;
		n *= 2;
	}
	*iters = (uint64_t)((double)n * (double)r->cfg->round_ns / (double)ns);
	if (*iters < 10)
		*iters = 10;
	return 0;
}

static double median(const double *v, unsigned n)
{
	double s[DB_MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bu_dbl_cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int measure(struct db_run *r)
{
	struct vd_msg m = { .cap = DB_LEVELS_CAP, .bids = r->bids, .asks = r->asks };
	const struct db_cfg *cfg = r->cfg;

	for (unsigned i = 0; i < r->ncases; i++) {
		for (unsigned p = 0; p < DB_NPARSERS; p++) {
			if (calibrate(r, &r->cases[i], p, &m, &r->cases[i].iters[p])) {
				fprintf(stderr, "decode_bench: %s: %s failed while calibrating\n",
					r->cases[i].name, db_parser_name[p]);
				return -EPROTO;
			}
		}
	}
	for (unsigned k = 0; k < cfg->rounds; k++) {
		for (unsigned i = 0; i < r->ncases; i++) {
			struct db_case *c = &r->cases[i];

			for (unsigned j = 0; j < DB_NPARSERS; j++) {
				unsigned p = (j + k) % DB_NPARSERS;
				uint64_t errs, wall;
				uint64_t ns = db_time(r, c, p, &m, c->iters[p], &errs, &wall);

				if (errs) {
					fprintf(stderr, "decode_bench: %s: %s failed %llu times in "
						"round %u\n", c->name, db_parser_name[p],
						(unsigned long long)errs, k + 1);
					return -EPROTO;
				}
				c->ns[p][k] = (double)ns / (double)c->iters[p];
				c->wall[p][k] = (double)wall / (double)c->iters[p];
				c->disturbed += (double)wall >= DB_DISTURBED * (double)ns;
			}
			c->rounds = k + 1;
		}
		fprintf(stderr, "\rdecode_bench: round %u/%u", k + 1, cfg->rounds);
	}
	fprintf(stderr, "\n");
	for (unsigned i = 0; i < r->ncases; i++)
		for (unsigned p = 0; p < DB_NPARSERS; p++) {
			struct db_case *c = &r->cases[i];

			c->med[p] = median(c->ns[p], c->rounds);
			c->med_wall[p] = median(c->wall[p], c->rounds);
		}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct db_cfg cfg;
	struct db_run r = { .cfg = &cfg };
	const struct bu_args a = {
		.prog = "decode_bench", .opts = db_opts, .first_opt = OPT_CI, .cfg = &cfg,
		.defaults = cfg_defaults, .parse = parse_opt, .usage = usage,
	};
	uint64_t t0 = now_ns();
	int err;

	if (bu_parse_args(&a, argc, argv))
		return 2;
	if (cfg.cpu >= 0 && pin(cfg.cpu))
		return 1;
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(db_venues); i++)
		if (have_decoders(i))
			return 1;
	err = dref_simd_init();
	if (err)
		goto out;
	r.bids = calloc(DB_LEVELS_CAP, sizeof(*r.bids));
	r.asks = calloc(DB_LEVELS_CAP, sizeof(*r.asks));
	if (!r.bids || !r.asks) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(db_venues); i++)
		if ((err = make_table(&r, i)))
			goto out;
	err = db_cases_build(&r);
	if (err)
		goto out;
	fprintf(stderr, "decode_bench: %u inputs from %s, %u rounds of %.0f ms a parser and "
		"input, %s\n", r.ncases, cfg.fixtures, cfg.rounds, (double)cfg.round_ns / 1e6,
		cfg.cpu >= 0 ? "pinned" : "not pinned");
	err = check_all(&r);
	if (err)
		goto out;
	db_precision(&r);
	err = measure(&r);
	if (err)
		goto out;
	r.wall_s = (double)(now_ns() - t0) / 1e9;
	db_print(&r);
	if (cfg.json_path)
		err = db_json(&r);
out:
	if (err == -ENOMEM)
		fprintf(stderr, "decode_bench: out of memory\n");
	db_cases_free(&r);
	for (unsigned i = 0; i < KIMP_VENUE_MAX; i++) {
		free(r.tab[i]);
		free(r.rtab[i]);
	}
	free(r.bids);
	free(r.asks);
	dref_simd_fini();
	return err ? 1 : 0;
}
