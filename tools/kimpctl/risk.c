/* SPDX-License-Identifier: MIT */
/*
 * kimpctl risk: the operator's view of riskd's state region (kimp/risk.h):
 * the trading mode, PnL in KRW, the KRW/USDT rate, each venue's cash, fees
 * and positions, the counters, the ids and the open orders.
 *
 * kimpctl kill | pause | resume: a command to riskd through its control
 * region. The request counter is incremented (atomic fetch_add: several
 * requesters never lose one), then kimpctl waits, bounded, for riskd's done
 * counter to reach it. A riskd that is not running does not act in time:
 * kimpctl says so and exits 1, and the request stays recorded for riskd to
 * act on when it starts.
 *
 * The view attaches read-only and copies the state out before printing it
 * (riskd may be writing: one read may mix two updates, never a torn word).
 * Amounts are exact decimals from their fixed-point integers at the scale
 * riskd recorded (venue_info px_dec / qty_dec, KIMP_RISK_*_DEC): no floating
 * point for money (only ages are rounded, by fmt_ns). Ids pass 2^53: they
 * are strings in JSON (a double would round them). Venues riskd has no
 * entry for, and positions with nothing in them, are left out.
 *
 * Also the helpers strat.c shares (kimpctl.h): fmt_dec, the argument
 * parser, the bounds-checked region lookup and the text tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/metrics.h"
#include "kimp/risk.h"
#include "kimp/venue.h"
#include "kimpctl.h"
#include "views.h"

#define RISK_WAIT_DEFAULT_NS 5000000000ull     /* kill/pause/resume: 5 s */
#define CELL TBL_CELL

static const char risk_usage[] =
	"  risk [SEGMENT] [--json]     riskd's state: mode, PnL in KRW, the KRW/USDT\n"
	"                              rate, cash, fees and positions per venue,\n"
	"                              counters, rejects by reason, open orders\n"
	"                              (SEGMENT default " KIMP_RISK_SEGMENT ")\n";

static const char kill_usage[] =
	"  kill [SEGMENT] [--wait DURATION]\n"
	"                              halt riskd: nothing new, cancel-all to orderd;\n"
	"                              waits for riskd (default 5s, up to 3600s);\n"
	"                              exit 1 when riskd did not act in time (the\n"
	"                              request stays: riskd acts when it starts)\n";

static const char pause_usage[] =
	"  pause [SEGMENT] [--wait DURATION]\n"
	"                              pause riskd: no new exposure, hedging allowed\n";

static const char resume_usage[] =
	"  resume [SEGMENT] [--wait DURATION]\n"
	"                              clear a kill and an operator pause (a loss or\n"
	"                              drawdown pause stays while the limit is hit)\n";

/* ---- shared helpers (kimpctl.h) ------------------------------------------- */

const char *fmt_dec(char *buf, size_t len, int64_t v, unsigned dec)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char digits[24];
	int n, ip, end;

	if (dec > VENUE_DEC_MAX) {
		snprintf(buf, len, "%" PRId64 "e-%u", v, dec);
		return buf;
	}
	/* at least dec + 1 digits: the integer part is never empty */
	n = snprintf(digits, sizeof(digits), "%0*" PRIu64, (int)dec + 1, mag);
	ip = n - (int)dec;
	end = n;
	while (end > ip && digits[end - 1] == '0')
		end--;
	snprintf(buf, len, "%s%.*s%s%.*s", v < 0 ? "-" : "", ip, digits, end > ip ? "." : "",
		 end - ip, digits + ip);
	return buf;
}

int kimpctl_seg_args(int argc, char **argv, const char *usage, const char *def,
		     const char **name, bool *json, bool *done)
{
	bool opts = true;

	*name = NULL;
	*json = false;
	*done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			printf("usage:\n%s", usage);
			*done = true;
			return KIMPCTL_OK;
		} else if (opts && !strcmp(a, "--")) {
			opts = false;
		} else if (opts && !strcmp(a, "--json")) {
			*json = true;
		} else if (opts && a[0] == '-' && a[1]) {
			return kimpctl_usage_err(argv[0], usage, "unknown option '%s'", a);
		} else if (*name) {
			return kimpctl_usage_err(argv[0], usage, "unexpected '%s' (one SEGMENT only)", a);
		} else {
			*name = a;
		}
	}
	if (!*name)
		*name = def;
	return KIMPCTL_OK;
}

int kimpctl_region(const struct shm_seg *seg, const char *cmd, const char *name,
		   const char *region, size_t min, void **out, uint64_t *size)
{
	const struct shm_region_ent *e = shm_region_find(seg, region);

	if (!e)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s' (%s) has no region '%s'", cmd,
				   name, seg->path, region);
	/* the memory may be corrupt: follow no offset before checking it */
	if (e->off < sizeof(struct shm_seg_hdr) || e->off > seg->size ||
	    e->size > seg->size - e->off)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' lies outside "
				   "the segment", cmd, name, region);
	if (e->size < min)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' is %" PRIu64
				   " bytes, this kimpctl reads %zu (another build?)", cmd, name,
				   region, e->size, min);
	*out = shm_region_ptr(seg, e);
	*size = e->size;
	return KIMPCTL_OK;
}

void tbl_init(struct tbl *t, const char *const *hdr, unsigned ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < TBL_COLS ? ncols : TBL_COLS;
	tbl_row(t);
	for (unsigned c = 0; c < t->ncols; c++)
		tbl_set(t, c, "%s", hdr[c]);
}

void tbl_row(struct tbl *t)
{
	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		unsigned cap = t->cap ? 2 * t->cap : 8;
		void *p = realloc(t->cell, (size_t)cap * t->ncols * TBL_CELL);

		if (!p) {
			t->oom = true;
			return;
		}
		t->cell = p;
		t->cap = cap;
	}
	for (unsigned c = 0; c < t->ncols; c++)
		snprintf(t->cell[(size_t)t->nrows * t->ncols + c], TBL_CELL, "-");
	t->nrows++;
}

void tbl_set(struct tbl *t, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (t->oom || !t->nrows || col >= t->ncols)
		return;
	va_start(ap, fmt);
	vsnprintf(t->cell[(size_t)(t->nrows - 1) * t->ncols + col], TBL_CELL, fmt, ap);
	va_end(ap);
}

int tbl_print(struct tbl *t, FILE *f, const char *indent)
{
	int w[TBL_COLS] = { 0 };
	int err = t->oom ? -ENOMEM : 0;

	for (unsigned r = 0; !err && r < t->nrows; r++)
		for (unsigned c = 0; c < t->ncols; c++) {
			int n = (int)strlen(t->cell[(size_t)r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (unsigned r = 0; !err && r < t->nrows; r++) {
		fputs(indent, f);
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = t->cell[(size_t)r * t->ncols + c];

			/* cells may hold names from shared memory */
			text_string(f, s, TBL_CELL);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s", w[c] - (int)strlen(s) + 2, "");
		}
		fputc('\n', f);
	}
	free(t->cell);
	memset(t, 0, sizeof(*t));
	return err;
}

int out_tbl(struct out *o, const char *title, struct tbl *t)
{
	char indent[64];
	unsigned d = 2 * (o->depth + 1);

	if (t->nrows < 2 && !t->oom) {
		out_str(o, title, "none");
		free(t->cell);
		memset(t, 0, sizeof(*t));
		return KIMPCTL_OK;
	}
	snprintf(indent, sizeof(indent), "%*s", (int)(d < sizeof(indent) ? d : 0), "");
	fprintf(o->f, "%*s%s\n", (int)(2 * o->depth), "", title);
	if (tbl_print(t, o->f, indent))
		return kimpctl_err(KIMPCTL_FAIL, "out of memory");
	return KIMPCTL_OK;
}

/* ---- names ---------------------------------------------------------------- */

static const char *side_name(int64_t s)
{
	return s == KIMP_SIDE_BUY ? "buy" : s == KIMP_SIDE_SELL ? "sell" : "?";
}

static const char *kind_name(int64_t k)
{
	static const char *const n[] = { "entry", "retry", "unwind" };
	return k >= 0 && k < (int64_t)KIMP_ARRAY_SIZE(n) ? n[k] : "?";
}

static const char *ord_state_name(int64_t s)
{
	static const char *const n[] = { "new", "sent", "acked", "partial", "filled",
					  "cancel_pending", "cancelled", "rejected", "expired",
					  "unknown" };
	return s >= 0 && s < (int64_t)KIMP_ARRAY_SIZE(n) ? n[s] : "?";
}

static const char *const pause_names[] = { "operator", "loss", "drawdown" };

/* ---- reading -------------------------------------------------------------- */

/* What the view prints: copies and pointers into the mapping. */
struct risk_view {
	const char *name;
	struct shm_seg seg;
	struct kimp_risk_state *st;          /* a copy of the fixed part (owned) */
	const struct kimp_risk_order *order; /* the order table, in the mapping */
	uint64_t order_slots;
	uint32_t ncoins;                     /* clamped to the position table */
	const struct kimp_risk_control *ctl; /* NULL: no control region */
	const struct shm_metrics *m;         /* NULL: no metrics region */
	uint64_t now;                        /* CLOCK_MONOTONIC */
};

/*
 * riskd's state region, its magic, version and order table checked: 0 with
 * *out (into the mapping) and *slots, or KIMPCTL_FAIL with the error said.
 */
static int state_find(const struct shm_seg *seg, const char *cmd, const char *name,
		      const struct kimp_risk_state **out, uint64_t *slots)
{
	const struct kimp_risk_state *st;
	uint64_t size, fit;
	void *p;

	if (kimpctl_region(seg, cmd, name, KIMP_RISK_STATE, sizeof(*st), &p, &size))
		return KIMPCTL_FAIL;
	st = p;
	if (st->magic != KIMP_RISK_MAGIC)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' is not riskd's "
				   "state (magic 0x%08" PRIx32 ", riskd's is 0x%08x)%s", cmd,
				   name, KIMP_RISK_STATE, st->magic, KIMP_RISK_MAGIC,
				   st->magic ? "" : ": riskd is making it, or died doing so");
	if (st->version != KIMP_RISK_VERSION)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' is version %"
				   PRIu32 ", this kimpctl reads version %u (a riskd of another "
				   "build?)", cmd, name, KIMP_RISK_STATE, st->version,
				   KIMP_RISK_VERSION);
	fit = (size - sizeof(*st)) / sizeof(struct kimp_risk_order);
	if (st->order_slots > fit)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' says %" PRIu64
				   " order slots, its %" PRIu64 " bytes hold %" PRIu64, cmd, name,
				   KIMP_RISK_STATE, st->order_slots, size, fit);
	*out = st;
	*slots = st->order_slots;
	return KIMPCTL_OK;
}

/* riskd's control region, checked: 0 with *out, or KIMPCTL_FAIL (said). */
static int control_find(const struct shm_seg *seg, const char *cmd, const char *name,
			struct kimp_risk_control **out)
{
	struct kimp_risk_control *c;
	uint64_t size;
	void *p;

	if (kimpctl_region(seg, cmd, name, KIMP_RISK_CONTROL, sizeof(*c), &p, &size))
		return KIMPCTL_FAIL;
	c = p;
	if (c->magic != KIMP_RISK_CTL_MAGIC)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' is not riskd's "
				   "control region (magic 0x%08" PRIx32 ", riskd's is 0x%08x)",
				   cmd, name, KIMP_RISK_CONTROL, c->magic, KIMP_RISK_CTL_MAGIC);
	if (c->version != KIMP_RISK_VERSION)
		return kimpctl_err(KIMPCTL_FAIL, "%s: segment '%s': region '%s' is version %"
				   PRIu32 ", this kimpctl reads version %u (a riskd of another "
				   "build?)", cmd, name, KIMP_RISK_CONTROL, c->version,
				   KIMP_RISK_VERSION);
	*out = c;
	return KIMPCTL_OK;
}

const struct shm_metrics *kimpctl_metrics(const struct shm_seg *seg, const char *region)
{
	const struct shm_region_ent *e = shm_region_find(seg, region);
	struct shm_metrics *m;

	if (!e || e->off < sizeof(struct shm_seg_hdr) || e->off > seg->size ||
	    e->size > seg->size - e->off || e->size < sizeof(*m) ||
	    shm_metrics_lookup(seg, region, &m))
		return NULL;
	return m;
}

/* Attach 'name' (as k->shm says) and fill v. KIMPCTL_OK or the status (said). */
static int view_open(struct kimpctl *k, const char *cmd, const char *name, struct risk_view *v)
{
	const struct kimp_risk_state *st = NULL;
	struct kimp_risk_control *ctl = NULL;

	memset(v, 0, sizeof(*v));
	v->name = name;
	if (shm_seg_attach(&v->seg, name, &k->shm))
		return kimpctl_err(KIMPCTL_FAIL, "%s: %s", cmd, shm_last_error());
	if (state_find(&v->seg, cmd, name, &st, &v->order_slots))
		goto detach;
	if (shm_region_find(&v->seg, KIMP_RISK_CONTROL)) {
		if (control_find(&v->seg, cmd, name, &ctl))
			goto detach;
		v->ctl = ctl;
	}
	v->m = kimpctl_metrics(&v->seg, KIMP_RISK_METRICS);
	v->st = malloc(sizeof(*v->st));
	if (!v->st) {
		kimpctl_err(KIMPCTL_FAIL, "%s: out of memory", cmd);
		goto detach;
	}
	memcpy(v->st, st, sizeof(*v->st));
	v->order = st->order;
	v->ncoins = v->st->ncoins < KIMP_RISK_INSTS - 1 ? v->st->ncoins : KIMP_RISK_INSTS - 1;
	v->now = kimp_mono_ns();
	return KIMPCTL_OK;
detach:
	shm_seg_detach(&v->seg);
	return KIMPCTL_FAIL;
}

static void view_close(struct risk_view *v)
{
	free(v->st);
	shm_seg_detach(&v->seg);
}

/* ---- formatting ----------------------------------------------------------- */

/* A name of at most max bytes from shared memory, "" when empty. */
static const char *shm_name(char *buf, size_t len, const char *s, size_t max)
{
	snprintf(buf, len, "%.*s", (int)strnlen(s, max), s);
	return buf;
}

static const char *coin_name(char *buf, size_t len, const struct risk_view *v, uint32_t inst)
{
	if (inst >= 1 && inst <= v->ncoins && v->st->coins[inst - 1][0])
		return shm_name(buf, len, v->st->coins[inst - 1], sizeof(v->st->coins[0]));
	snprintf(buf, len, "#%" PRIu32, inst);
	return buf;
}

static const char *venue_label(char *buf, size_t len, const struct risk_view *v, int64_t vi)
{
	if (vi >= 0 && vi < KIMP_RISK_VENUES && v->st->venue_info[vi].name[0])
		return shm_name(buf, len, v->st->venue_info[vi].name,
				sizeof(v->st->venue_info[0].name));
	snprintf(buf, len, "%" PRId64, vi);
	return buf;
}

/* a - b, or false on overflow. */
static bool sub_ok(int64_t a, int64_t b, int64_t *out)
{
	return !__builtin_sub_overflow(a, b, out);
}

void out_dec(struct out *o, const char *key, int64_t v, unsigned dec)
{
	char buf[CELL];

	out_str(o, key, fmt_dec(buf, sizeof(buf), v, dec));
}

void out_diff(struct out *o, const char *key, int64_t a, int64_t b, unsigned dec)
{
	int64_t d;

	if (sub_ok(a, b, &d))
		out_dec(o, key, d, dec);
	else
		out_null(o, key);
}

void out_id(struct out *o, const char *key, uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, id);
	out_str(o, key, buf);
}

void out_ns_null(struct out *o, const char *key)
{
	size_t n = strlen(key);
	char buf[64];

	if (o->json || n < 4 || n >= sizeof(buf) || strcmp(key + n - 3, "_ns")) {
		out_null(o, key);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(n - 3), key);
	out_null(o, buf);
}

void out_age(struct out *o, const char *key, uint64_t now, int64_t mono_ns)
{
	if (mono_ns <= 0)
		out_ns_null(o, key);
	else
		out_ns(o, key, now > (uint64_t)mono_ns ? now - (uint64_t)mono_ns : 0);
}

const char *fmt_age(char *buf, size_t len, uint64_t now, int64_t mono_ns)
{
	if (mono_ns <= 0)
		snprintf(buf, len, "-");
	else
		fmt_ns(buf, len, now > (uint64_t)mono_ns ? now - (uint64_t)mono_ns : 0);
	return buf;
}

/* "halted", "paused (operator|loss)", "breaker (12.0 s left)", "running". */
static const char *mode_desc(char *buf, size_t len, const struct kimp_risk_state *st,
			     uint64_t now)
{
	const struct kimp_risk_limits *l = &st->lim;
	size_t n = (size_t)snprintf(buf, len, "%s", kimp_risk_mode_name((unsigned)l->mode));
	char d[32];

	if (l->mode == KIMP_RISK_MODE_PAUSED && n < len) {
		const char *sep = " (";
		for (unsigned i = 0; i < KIMP_ARRAY_SIZE(pause_names); i++)
			if ((l->pause_reasons & (1 << i)) && n < len) {
				n += (size_t)snprintf(buf + n, len - n, "%s%s", sep,
						      pause_names[i]);
				sep = "|";
			}
		if (*sep == '|' && n < len)
			snprintf(buf + n, len - n, ")");
	} else if (l->mode == KIMP_RISK_MODE_BREAKER && n < len) {
		if (l->breaker_until > 0 && (uint64_t)l->breaker_until > now)
			snprintf(buf + n, len - n, " (%s left)",
				 fmt_ns(d, sizeof(d), (uint64_t)l->breaker_until - now));
		else
			snprintf(buf + n, len - n, " (ended)");
	}
	return buf;
}

/* ---- the view ------------------------------------------------------------- */

static void out_process(struct out *o, const struct risk_view *v)
{
	uint64_t hb;

	out_pid(o, "riskd_pid", v->m ? atomic_load(&v->m->pid) : 0);
	hb = v->m ? atomic_load(&v->m->heartbeat_ns) : 0;
	out_age(o, "heartbeat_age_ns", v->now, (int64_t)hb);
}

static void out_mode(struct out *o, const struct risk_view *v)
{
	const struct kimp_risk_limits *l = &v->st->lim;
	bool on = l->breaker_until > 0 && (uint64_t)l->breaker_until > v->now;
	char buf[96];

	out_obj_begin(o, "mode", NULL);
	out_str(o, "mode", kimp_risk_mode_name((unsigned)l->mode));
	out_str(o, "state", mode_desc(buf, sizeof(buf), v->st, v->now));
	out_bool(o, "killed", l->killed != 0);
	out_flags(o, "pause_reasons", (uint64_t)l->pause_reasons, pause_names,
		  KIMP_ARRAY_SIZE(pause_names));
	out_str(o, "breaker", on ? "on" : "off");
	if (on)
		out_ns(o, "breaker_left_ns", (uint64_t)l->breaker_until - v->now);
	else
		out_ns_null(o, "breaker_left_ns");
	if (o->json)
		out_i64(o, "breaker_until_mono_ns", l->breaker_until);
	out_i64(o, "breaker_trips", l->breaker_trips);
	out_i64(o, "breaker_events", l->breaker_events);
	out_obj_end(o);
}

static void out_commands(struct out *o, const struct risk_view *v)
{
	const struct kimp_risk_control *c = v->ctl;

	if (!c) {
		out_null(o, "commands");
		return;
	}
	out_obj_begin(o, "commands", NULL);
	out_u64(o, "kill_req", atomic_load(&c->kill_req));
	out_u64(o, "kill_done", atomic_load(&c->kill_done));
	out_u64(o, "pause_req", atomic_load(&c->pause_req));
	out_u64(o, "pause_done", atomic_load(&c->pause_done));
	out_u64(o, "resume_req", atomic_load(&c->resume_req));
	out_u64(o, "resume_done", atomic_load(&c->resume_done));
	out_obj_end(o);
}

static void out_pnl(struct out *o, const struct risk_view *v)
{
	const struct kimp_risk_limits *l = &v->st->lim;
	const unsigned dec = KIMP_RISK_KRW_DEC;
	char day[32];

	out_obj_begin(o, "pnl", "pnl (KRW)");
	out_str(o, "currency", "KRW");
	out_dec(o, "realized", l->realized, dec);
	out_dec(o, "unrealized", l->unrealized, dec);
	out_dec(o, "total", l->pnl, dec);
	if (l->day > 0 && l->day < 1000000) {
		time_t t = (time_t)l->day * 86400;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		out_str(o, "day", day);
	} else {
		out_null(o, "day");
	}
	out_dec(o, "day_start", l->day_start_pnl, dec);
	out_dec(o, "day_peak", l->day_peak_pnl, dec);
	out_diff(o, "day_pnl", l->pnl, l->day_start_pnl, dec);
	out_diff(o, "drawdown", l->day_peak_pnl, l->pnl, dec);
	out_obj_end(o);

	out_obj_begin(o, "rate", "rate (KRW per USDT)");
	if (l->rate)
		out_dec(o, "krw_per_usdt", l->rate, KIMP_RISK_RATE_DEC);
	else
		out_null(o, "krw_per_usdt");
	out_age(o, "age_ns", v->now, l->rate_ns);
	out_obj_end(o);
}

static bool pos_used(const struct kimp_risk_pos *p)
{
	static const struct kimp_risk_pos zero;

	return memcmp(p, &zero, sizeof(zero)) != 0;
}

static void pos_json(struct out *o, const struct risk_view *v, unsigned vi, uint32_t inst)
{
	const struct kimp_risk_pos *p = &v->st->pos[vi][inst];
	const struct kimp_risk_venue_info *in = &v->st->venue_info[vi];
	char buf[CELL];

	out_obj_begin(o, NULL, NULL);
	out_str(o, "coin", coin_name(buf, sizeof(buf), v, inst));
	out_u64(o, "inst", inst);
	out_dec(o, "hold", p->hold, in->qty_dec);
	out_dec(o, "start", p->start, in->qty_dec);
	out_diff(o, "traded", p->hold, p->start, in->qty_dec);
	out_dec(o, "cost", p->cost, in->px_dec);
	out_dec(o, "realized", p->realized, in->px_dec);
	out_dec(o, "unrealized", p->unrealized, in->px_dec);
	if (p->mark)
		out_dec(o, "mark", p->mark, in->px_dec);
	else
		out_null(o, "mark");
	out_age(o, "mark_age_ns", v->now, p->mark_ns);
	out_dec(o, "fee_base", p->fee_base, in->qty_dec);
	out_dec(o, "fee_quote", p->fee_quote, in->px_dec);
	out_dec(o, "open_buy", p->open_buy, in->qty_dec);
	out_dec(o, "open_sell", p->open_sell, in->qty_dec);
	out_i64(o, "open_buy_orders", p->n_buy);
	out_i64(o, "open_sell_orders", p->n_sell);
	out_dec(o, "bought", p->bought, in->qty_dec);
	out_dec(o, "sold", p->sold, in->qty_dec);
	out_i64(o, "fills", p->fills);
	out_obj_end(o);
}

enum { P_COIN, P_HOLD, P_START, P_TRADED, P_COST, P_REALIZED, P_UNREALIZED, P_MARK,
       P_MARK_AGE, P_OPEN_BUY, P_OPEN_SELL, P_FEE_BASE, P_FEE_QUOTE, P_FILLS, P_NCOLS };

static const char *const pos_hdr[P_NCOLS] = {
	"COIN", "HOLD", "START", "TRADED", "COST", "REALIZED", "UNREALIZED", "MARK",
	"MARK_AGE", "OPEN_BUY(N)", "OPEN_SELL(N)", "FEE_BASE", "FEE_QUOTE", "FILLS",
};

static void pos_row(struct tbl *t, const struct risk_view *v, unsigned vi, uint32_t inst)
{
	const struct kimp_risk_pos *p = &v->st->pos[vi][inst];
	const struct kimp_risk_venue_info *in = &v->st->venue_info[vi];
	char a[CELL], b[CELL];
	int64_t d;

	tbl_row(t);
	tbl_set(t, P_COIN, "%s", coin_name(a, sizeof(a), v, inst));
	tbl_set(t, P_HOLD, "%s", fmt_dec(a, sizeof(a), p->hold, in->qty_dec));
	tbl_set(t, P_START, "%s", fmt_dec(a, sizeof(a), p->start, in->qty_dec));
	if (sub_ok(p->hold, p->start, &d))
		tbl_set(t, P_TRADED, "%s", fmt_dec(a, sizeof(a), d, in->qty_dec));
	tbl_set(t, P_COST, "%s", fmt_dec(a, sizeof(a), p->cost, in->px_dec));
	tbl_set(t, P_REALIZED, "%s", fmt_dec(a, sizeof(a), p->realized, in->px_dec));
	tbl_set(t, P_UNREALIZED, "%s", fmt_dec(a, sizeof(a), p->unrealized, in->px_dec));
	if (p->mark)
		tbl_set(t, P_MARK, "%s", fmt_dec(a, sizeof(a), p->mark, in->px_dec));
	tbl_set(t, P_MARK_AGE, "%s", fmt_age(a, sizeof(a), v->now, p->mark_ns));
	tbl_set(t, P_OPEN_BUY, "%s(%" PRId64 ")", fmt_dec(a, sizeof(a), p->open_buy, in->qty_dec),
		p->n_buy);
	tbl_set(t, P_OPEN_SELL, "%s(%" PRId64 ")",
		fmt_dec(b, sizeof(b), p->open_sell, in->qty_dec), p->n_sell);
	tbl_set(t, P_FEE_BASE, "%s", fmt_dec(a, sizeof(a), p->fee_base, in->qty_dec));
	tbl_set(t, P_FEE_QUOTE, "%s", fmt_dec(a, sizeof(a), p->fee_quote, in->px_dec));
	tbl_set(t, P_FILLS, "%" PRId64, p->fills);
}

static int out_venue(struct out *o, const struct risk_view *v, unsigned vi)
{
	const struct kimp_risk_venue_info *in = &v->st->venue_info[vi];
	const struct kimp_risk_venue *ve = &v->st->venue[vi];
	unsigned pd = in->px_dec, qd = in->qty_dec;
	char name[24], quote[16], title[96];
	struct tbl t;
	int status = KIMPCTL_OK;

	shm_name(name, sizeof(name), in->name, sizeof(in->name));
	shm_name(quote, sizeof(quote), in->quote, sizeof(in->quote));
	snprintf(title, sizeof(title), "%s (%s; px_dec %u, qty_dec %u)", name, quote, pd, qd);
	out_obj_begin(o, NULL, title);
	if (o->json) {
		out_str(o, "venue", name);
		out_u64(o, "venue_id", vi);
		out_str(o, "quote", quote);
		out_u64(o, "px_dec", pd);
		out_u64(o, "qty_dec", qd);
	}
	out_dec(o, "cash", ve->cash, pd);
	out_dec(o, "cash_start", ve->cash_start, pd);
	out_diff(o, "cash_change", ve->cash, ve->cash_start, pd);
	out_dec(o, "reserved", ve->reserved, pd);
	out_diff(o, "available", ve->cash, ve->reserved, pd);
	out_dec(o, "fees", ve->fee_quote, pd);
	out_dec(o, "realized", ve->realized, pd);
	out_dec(o, "unrealized", ve->unrealized, pd);
	out_i64(o, "open_orders", ve->open_orders);
	out_i64(o, "orders", ve->orders);
	out_i64(o, "fills", ve->fills);
	out_i64(o, "rejects", ve->rejects);
	out_i64(o, "errors", ve->errors);
	if (o->json) {
		out_arr_begin(o, "positions");
		for (uint32_t i = 1; i <= v->ncoins; i++)
			if (pos_used(&v->st->pos[vi][i]))
				pos_json(o, v, vi, i);
		out_arr_end(o);
	} else {
		tbl_init(&t, pos_hdr, P_NCOLS);
		for (uint32_t i = 1; i <= v->ncoins; i++)
			if (pos_used(&v->st->pos[vi][i]))
				pos_row(&t, v, vi, i);
		status = out_tbl(o, "positions", &t);
	}
	out_obj_end(o);
	return status;
}

static void out_counters(struct out *o, const struct risk_view *v)
{
	const struct kimp_risk_limits *l = &v->st->lim;

	out_obj_begin(o, "counters", NULL);
	out_i64(o, "intents", l->intents);
	out_i64(o, "approved", l->approved);
	out_i64(o, "trimmed", l->trimmed);
	out_i64(o, "rejected", l->rejected);
	out_i64(o, "reports", l->reports);
	out_i64(o, "dup_reports", l->dup_reports);
	out_i64(o, "unknown_reports", l->unknown_reports);
	out_i64(o, "fill_gaps", l->fill_gaps);
	out_i64(o, "cancel_alls", l->cancel_alls);
	out_bool(o, "cancel_all_pending", l->cancel_all_pending != 0);
	out_i64(o, "kills", l->kills);
	out_i64(o, "pauses", l->pauses);
	out_i64(o, "resumes", l->resumes);
	out_obj_end(o);
}

/* The non-zero counts of by[] as "NAME  n" (text: "none" when all are 0). */
static void out_reasons(struct out *o, const char *key, const char *title, const int64_t *by)
{
	char name[32];
	bool any = false;

	for (unsigned r = 0; r < KIMP_RISK_REASON_SLOTS; r++)
		any |= by[r] != 0;
	if (!any && !o->json) {
		out_str(o, title, "none");
		return;
	}
	out_obj_begin(o, key, title);
	for (unsigned r = 0; r < KIMP_RISK_REASON_SLOTS; r++) {
		if (!by[r])
			continue;
		if (r < KIMP_RISK_REASON_MAX)
			snprintf(name, sizeof(name), "%s", kimp_risk_reason_name(r));
		else
			snprintf(name, sizeof(name), "reason_%u", r);
		out_i64(o, name, by[r]);
	}
	out_obj_end(o);
}

static void out_ids(struct out *o, const struct risk_view *v)
{
	const struct kimp_risk_limits *l = &v->st->lim;

	out_obj_begin(o, "ids", NULL);
	out_id(o, "last_intent_id", l->last_intent_id);
	out_id(o, "next_client_oid", l->next_client_oid);
	out_id(o, "client_oid_base", l->client_oid_base);
	out_obj_end(o);
}

/* Scales of an order's venue; 0, 0 for a venue riskd has no entry for. */
static void order_scales(const struct risk_view *v, int64_t vi, unsigned *pd, unsigned *qd)
{
	*pd = *qd = 0;
	if (vi >= 0 && vi < KIMP_RISK_VENUES) {
		*pd = v->st->venue_info[vi].px_dec;
		*qd = v->st->venue_info[vi].qty_dec;
	}
}

static void order_json(struct out *o, const struct risk_view *v, const struct kimp_risk_order *r)
{
	char buf[CELL];
	unsigned pd, qd;

	order_scales(v, r->venue, &pd, &qd);
	out_obj_begin(o, NULL, NULL);
	out_id(o, "client_oid", r->client_oid);
	out_id(o, "intent_id", r->intent_id);
	out_id(o, "pair_id", r->pair_id);
	out_str(o, "venue", venue_label(buf, sizeof(buf), v, r->venue));
	out_str(o, "coin", coin_name(buf, sizeof(buf), v, (uint32_t)r->inst));
	out_str(o, "side", side_name(r->side));
	out_str(o, "kind", kind_name(r->kind));
	out_i64(o, "leg", r->leg);
	out_dec(o, "px", r->px, pd);
	out_dec(o, "qty", r->qty, qd);
	out_dec(o, "filled", r->cum_qty, qd);
	out_diff(o, "leaves", r->qty, r->cum_qty, qd);
	out_dec(o, "reserved", r->reserved, pd);
	out_str(o, "state", ord_state_name(r->state));
	out_age(o, "age_ns", v->now, r->created_ns);
	out_obj_end(o);
}

enum { O_OID, O_VENUE, O_COIN, O_SIDE, O_KIND, O_LEG, O_PX, O_QTY, O_FILLED, O_RESERVED,
       O_STATE, O_AGE, O_INTENT, O_PAIR, O_NCOLS };

static const char *const ord_hdr[O_NCOLS] = {
	"CLIENT_OID", "VENUE", "COIN", "SIDE", "KIND", "LEG", "PX", "QTY", "FILLED", "RESERVED",
	"STATE", "AGE", "INTENT_ID", "PAIR_ID",
};

static void order_row(struct tbl *t, const struct risk_view *v, const struct kimp_risk_order *r)
{
	char a[CELL];
	unsigned pd, qd;

	order_scales(v, r->venue, &pd, &qd);
	tbl_row(t);
	tbl_set(t, O_OID, "%" PRIu64, r->client_oid);
	tbl_set(t, O_VENUE, "%s", venue_label(a, sizeof(a), v, r->venue));
	tbl_set(t, O_COIN, "%s", coin_name(a, sizeof(a), v, (uint32_t)r->inst));
	tbl_set(t, O_SIDE, "%s", side_name(r->side));
	tbl_set(t, O_KIND, "%s", kind_name(r->kind));
	tbl_set(t, O_LEG, "%" PRId64, r->leg);
	tbl_set(t, O_PX, "%s", fmt_dec(a, sizeof(a), r->px, pd));
	tbl_set(t, O_QTY, "%s", fmt_dec(a, sizeof(a), r->qty, qd));
	tbl_set(t, O_FILLED, "%s", fmt_dec(a, sizeof(a), r->cum_qty, qd));
	tbl_set(t, O_RESERVED, "%s", fmt_dec(a, sizeof(a), r->reserved, pd));
	tbl_set(t, O_STATE, "%s", ord_state_name(r->state));
	tbl_set(t, O_AGE, "%s", fmt_age(a, sizeof(a), v->now, r->created_ns));
	tbl_set(t, O_INTENT, "%" PRIu64, r->intent_id);
	tbl_set(t, O_PAIR, "%" PRIu64, r->pair_id);
}

static int out_orders(struct out *o, const struct risk_view *v)
{
	struct kimp_risk_order r;
	struct tbl t;

	if (o->json)
		out_arr_begin(o, "open_orders");
	else
		tbl_init(&t, ord_hdr, O_NCOLS);
	for (uint64_t i = 0; i < v->order_slots; i++) {
		memcpy(&r, &v->order[i], sizeof(r));
		if (!r.client_oid || !r.open)
			continue;
		if (o->json)
			order_json(o, v, &r);
		else
			order_row(&t, v, &r);
	}
	if (o->json) {
		out_arr_end(o);
		return KIMPCTL_OK;
	}
	return out_tbl(o, "open_orders", &t);
}

static int risk_print(FILE *f, const struct risk_view *v, bool json)
{
	struct out o;
	char title[SHM_NAME_MAX + 300];
	int status = KIMPCTL_OK;

	out_init(&o, f, json);
	snprintf(title, sizeof(title), "riskd state: segment %s (%s)", v->name, v->seg.path);
	out_obj_begin(&o, NULL, json ? NULL : title);
	if (json) {
		out_str(&o, "segment", v->name);
		out_str(&o, "path", v->seg.path);
	}
	out_u64(&o, "version", v->st->version);
	out_time(&o, "created", v->st->created_real_ns);
	out_process(&o, v);
	out_mode(&o, v);
	out_commands(&o, v);
	out_pnl(&o, v);
	out_arr_begin(&o, "venues");
	for (unsigned vi = 0; vi < KIMP_RISK_VENUES; vi++)
		if (v->st->venue_info[vi].present && out_venue(&o, v, vi))
			status = KIMPCTL_FAIL;
	out_arr_end(&o);
	out_counters(&o, v);
	out_reasons(&o, "rejects", "rejects (by reason)", v->st->lim.rejects);
	out_reasons(&o, "trims", "trims (by reason)", v->st->lim.trims);
	out_ids(&o, v);
	if (out_orders(&o, v))
		status = KIMPCTL_FAIL;
	out_obj_end(&o);
	out_finish(&o);
	return status;
}

/* positions: the process, PnL and rate, and per venue its cash and positions */
static int positions_print(FILE *f, const struct risk_view *v, bool json)
{
	struct out o;
	char title[SHM_NAME_MAX + 300];
	int status = KIMPCTL_OK;

	out_init(&o, f, json);
	snprintf(title, sizeof(title), "riskd positions: segment %s (%s)", v->name, v->seg.path);
	out_obj_begin(&o, NULL, json ? NULL : title);
	if (json) {
		out_str(&o, "segment", v->name);
		out_str(&o, "path", v->seg.path);
	}
	out_process(&o, v);
	out_str(&o, "mode", kimp_risk_mode_name((unsigned)v->st->lim.mode));
	out_pnl(&o, v);
	out_arr_begin(&o, "venues");
	for (unsigned vi = 0; vi < KIMP_RISK_VENUES; vi++)
		if (v->st->venue_info[vi].present && out_venue(&o, v, vi))
			status = KIMPCTL_FAIL;
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
	return status;
}

/* risk_print or positions_print of segment 'name' into f. */
static int risk_view(struct kimpctl *k, const char *cmd, const char *name, FILE *f, bool json,
		     int (*print)(FILE *, const struct risk_view *, bool))
{
	struct risk_view v;
	int status = view_open(k, cmd, name, &v);

	if (status)
		return status;
	status = print(f, &v, json);
	view_close(&v);
	return status;
}

int kimpctl_view_risk(struct kimpctl *k, const char *name, FILE *f, bool json)
{
	return risk_view(k, "risk", name, f, json, risk_print);
}

int kimpctl_view_positions(struct kimpctl *k, const char *name, FILE *f, bool json)
{
	return risk_view(k, "positions", name, f, json, positions_print);
}

/* v / 10^dec as a double (a display figure only). */
static double dec_f(int64_t v, unsigned dec)
{
	double d = (double)v;

	while (dec--)
		d /= 10;
	return d;
}

int kimpctl_risk_summary(struct kimpctl *k, const char *name, struct kimpctl_risk_sum *s)
{
	struct risk_view v;
	int status = view_open(k, "top", name, &v);
	const struct kimp_risk_limits *l;
	char buf[CELL];

	memset(s, 0, sizeof(*s));
	if (status)
		return status;
	l = &v.st->lim;
	snprintf(s->mode, sizeof(s->mode), "%s", kimp_risk_mode_name((unsigned)l->mode));
	s->realized = dec_f(l->realized, KIMP_RISK_KRW_DEC);
	s->unrealized = dec_f(l->unrealized, KIMP_RISK_KRW_DEC);
	s->total = dec_f(l->pnl, KIMP_RISK_KRW_DEC);
	for (unsigned vi = 0; vi < KIMP_RISK_VENUES; vi++) {
		const struct kimp_risk_venue_info *in = &v.st->venue_info[vi];

		if (!in->present)
			continue;
		s->open_orders += v.st->venue[vi].open_orders;
		s->fills += v.st->venue[vi].fills;
		for (uint32_t i = 1; i <= v.ncoins; i++) {
			const struct kimp_risk_pos *p = &v.st->pos[vi][i];

			if (!p->hold || s->npos >= KIMP_ARRAY_SIZE(s->pos))
				continue;
			snprintf(s->pos[s->npos].venue, sizeof(s->pos[0].venue), "%s",
				 venue_label(buf, sizeof(buf), &v, vi));
			snprintf(s->pos[s->npos].coin, sizeof(s->pos[0].coin), "%s",
				 coin_name(buf, sizeof(buf), &v, i));
			s->pos[s->npos].hold = dec_f(p->hold, in->qty_dec);
			s->pos[s->npos].unrealized = dec_f(p->unrealized, in->px_dec);
			s->npos++;
		}
	}
	view_close(&v);
	return KIMPCTL_OK;
}

static int risk_run(struct kimpctl *k, int argc, char **argv)
{
	const char *name;
	bool json, done;
	int status;

	status = kimpctl_seg_args(argc, argv, risk_usage, KIMP_RISK_SEGMENT, &name, &json, &done);
	if (status || done)
		return status;
	return kimpctl_view_risk(k, name, stdout, json);
}

static const char positions_usage[] =
	"  positions [SEGMENT] [--json]\n"
	"                              riskd's positions, cash and PnL per venue\n"
	"                              (a part of `risk`; SEGMENT default "
	KIMP_RISK_SEGMENT ")\n";

static int positions_run(struct kimpctl *k, int argc, char **argv)
{
	const char *name;
	bool json, done;
	int status;

	status = kimpctl_seg_args(argc, argv, positions_usage, KIMP_RISK_SEGMENT, &name, &json,
				  &done);
	if (status || done)
		return status;
	return kimpctl_view_positions(k, name, stdout, json);
}

const struct kimpctl_cmd kimpctl_cmd_positions = {
	.name = "positions",
	.usage = positions_usage,
	.run = positions_run,
};

const struct kimpctl_cmd kimpctl_cmd_risk = {
	.name = "risk",
	.usage = risk_usage,
	.run = risk_run,
};

/* ---- kill, pause, resume -------------------------------------------------- */

enum ctl_what { CTL_KILL, CTL_PAUSE, CTL_RESUME };

/* What riskd says after acting, from its state when readable. */
static void ctl_said(FILE *f, const struct shm_seg *seg, const char *cmd, const char *name,
		     enum ctl_what what)
{
	const struct kimp_risk_state *st;
	uint64_t slots;
	char mode[96];

	if (!shm_region_find(seg, KIMP_RISK_STATE) || state_find(seg, cmd, name, &st, &slots)) {
		fprintf(f, "riskd: %s done\n", cmd);
		return;
	}
	mode_desc(mode, sizeof(mode), st, kimp_mono_ns());
	switch (what) {
	case CTL_KILL:
		if (st->lim.mode != KIMP_RISK_HALTED)
			fprintf(f, "riskd: kill done, but the mode is %s\n", mode);
		else
			fprintf(f, "riskd: halted (kill): no new orders; %s\n",
			       st->lim.cancel_all_pending ?
			       "cancel-all queued for orderd (its ring is full: riskd retries)" :
			       "cancel-all sent to orderd");
		break;
	case CTL_PAUSE:
		if (st->lim.mode != KIMP_RISK_MODE_PAUSED)
			fprintf(f, "riskd: pause done; the mode is %s\n", mode);
		else
			fprintf(f, "riskd: %s: no new exposure, hedging allowed\n", mode);
		break;
	case CTL_RESUME:
		if (st->lim.mode != KIMP_RISK_RUNNING)
			fprintf(f, "riskd: resume done, but still %s\n", mode);
		else
			fprintf(f, "riskd: running (resumed)\n");
		break;
	}
	fflush(f);
}

static int ctl_run(struct kimpctl *k, int argc, char **argv)
{
	const char *cmd = argv[0], *usage, *name;
	uint64_t wait_ns = RISK_WAIT_DEFAULT_NS;
	bool done;
	int status;

	usage = !strcmp(cmd, "kill") ? kill_usage : !strcmp(cmd, "pause") ? pause_usage :
		resume_usage;
	status = kimpctl_ctl_args(argc, argv, usage, &name, 1, "one SEGMENT only", &wait_ns, &done);
	if (status || done)
		return status;
	return kimpctl_risk_control(k, name ? name : KIMP_RISK_SEGMENT, cmd, wait_ns, stdout);
}

int kimpctl_risk_post(struct kimpctl *k, const char *name, const char *cmd, uint64_t wait_ns,
		      struct kimpctl_risk_ctl *c)
{
	struct shm_opts opts = k->shm;
	struct kimp_risk_control *ctl;
	enum ctl_what what;
	int status;

	memset(c, 0, sizeof(*c));
	if (strcmp(cmd, "kill") && strcmp(cmd, "pause") && strcmp(cmd, "resume"))
		return kimpctl_err(KIMPCTL_USAGE, "%s: not a riskd command (kill, pause, resume)",
				   cmd);
	what = !strcmp(cmd, "kill") ? CTL_KILL : !strcmp(cmd, "pause") ? CTL_PAUSE : CTL_RESUME;
	snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
	snprintf(c->name, sizeof(c->name), "%.*s", (int)sizeof(c->name) - 1, name);
	/* a command writes: the one place kimpctl maps a segment writable */
	opts.readonly = false;
	status = shm_seg_attach(&c->seg, name, &opts);
	if (status)
		return kimpctl_err(KIMPCTL_FAIL, "%s: %s%s; nothing was requested", cmd,
				   shm_last_error(), status == -ENOENT ?
				   " (riskd makes it when it first starts)" : "");
	status = control_find(&c->seg, cmd, name, &ctl);
	if (status) {
		shm_seg_detach(&c->seg);
		return status;
	}
	c->what = what;
	c->rq.cmd = c->cmd;
	c->rq.daemon = "riskd";
	c->rq.segment = c->name;
	c->rq.metrics = KIMP_RISK_METRICS;
	c->rq.req = what == CTL_KILL ? &ctl->kill_req : what == CTL_PAUSE ? &ctl->pause_req :
		    &ctl->resume_req;
	c->rq.done = what == CTL_KILL ? &ctl->kill_done : what == CTL_PAUSE ? &ctl->pause_done :
		     &ctl->resume_done;
	c->rq.wait_ns = wait_ns;
	c->target = kimpctl_request_post(&c->rq);
	return KIMPCTL_OK;
}

bool kimpctl_risk_acted(const struct kimpctl_risk_ctl *c)
{
	return kimpctl_request_done(&c->rq, c->target);
}

int kimpctl_risk_end(struct kimpctl_risk_ctl *c, bool acted, FILE *f)
{
	int status = KIMPCTL_OK;

	if (!c->seg.base)
		return KIMPCTL_FAIL;
	if (acted)
		ctl_said(f, &c->seg, c->cmd, c->name, (enum ctl_what)c->what);
	else
		status = kimpctl_request_late(&c->seg, &c->rq, c->target);
	shm_seg_detach(&c->seg);
	return status;
}

int kimpctl_risk_control(struct kimpctl *k, const char *name, const char *cmd,
			 uint64_t wait_ns, FILE *f)
{
	static struct kimpctl_risk_ctl c;
	int status = kimpctl_risk_post(k, name, cmd, wait_ns, &c);

	if (status)
		return status;
	status = kimpctl_request_wait(&c.seg, &c.rq, c.target);
	if (status) {
		shm_seg_detach(&c.seg);     /* the wait said why */
		return status;
	}
	return kimpctl_risk_end(&c, true, f);
}

const struct kimpctl_cmd kimpctl_cmd_kill = {
	.name = "kill",
	.usage = kill_usage,
	.run = ctl_run,
};

const struct kimpctl_cmd kimpctl_cmd_pause = {
	.name = "pause",
	.usage = pause_usage,
	.run = ctl_run,
};

const struct kimpctl_cmd kimpctl_cmd_resume = {
	.name = "resume",
	.usage = resume_usage,
	.run = ctl_run,
};
