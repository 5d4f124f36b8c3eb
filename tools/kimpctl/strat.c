/* SPDX-License-Identifier: MIT */
/*
 * kimpctl strat: the operator's view of stratd's state region
 * (kimp/strat.h): per coin the premium model (mean, deviation, samples) and
 * the last premiums, the unhedged exposure with its age, the inventory view
 * per venue, the pairs in flight with both legs and every order each leg
 * made, and the counters.
 *
 * The segment is attached read-only and the state copied out before it is
 * printed (stratd may be writing: one read may mix two updates, never a
 * torn word). Prices and sizes are exact decimals from their fixed-point
 * integers; the premium model is stratd's own doubles, printed with 10
 * significant digits (strings in JSON).
 *
 * The state records no venue scales: prices and sizes are at each venue's
 * px_dec / qty_dec from the configuration (tradeconf, the same file stratd
 * reads). Without a usable configuration the defaults (8) are used and the
 * output says so ("scales").
 */
#include <emmintrin.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/risk.h"
#include "kimp/strat.h"
#include "kimp/tradeconf.h"
#include "kimp/venue.h"
#include "kimpctl.h"
#include "views.h"

#define STRAT_DEFAULT_SEG "stratd"
#define STRAT_DEC_DEFAULT 8   /* [venue.NAME] px_dec / qty_dec when not set */
#define CELL TBL_CELL

static const char strat_usage[] =
	"  strat [SEGMENT] [--json]    stratd's state: premium model per coin,\n"
	"                              unhedged exposure and its age, inventory per\n"
	"                              venue, pairs in flight with their legs,\n"
	"                              counters (SEGMENT default " STRAT_DEFAULT_SEG ")\n";

/* What the view prints. */
struct strat_view {
	const char *name;
	struct shm_seg seg;
	struct kimp_strat_state *st;   /* a copy (owned) */
	const struct shm_metrics *m;   /* NULL: no metrics region */
	struct kimp_trade_conf *tc;    /* the scales and names; NULL: defaults (owned) */
	char tc_why[300];              /* why tc is NULL */
	uint64_t now;                  /* CLOCK_MONOTONIC */
};

/* ---- names and scales ----------------------------------------------------- */

static const char *venue_label(char *buf, size_t len, int64_t vi)
{
	const struct venue_md *md = vi >= 0 && vi < KIMP_VENUE_MAX ?
				    venue_md_get((enum kimp_venue)vi) : NULL;

	if (md && md->name)
		return md->name;
	snprintf(buf, len, "%" PRId64, vi);
	return buf;
}

static const char *coin_label(char *buf, size_t len, const struct strat_view *v, int64_t inst)
{
	if (v->tc && inst >= 1 && inst <= (int64_t)v->tc->ncoins)
		return v->tc->coins[inst - 1];
	snprintf(buf, len, "#%" PRId64, inst);
	return buf;
}

/* True when the configuration has the venue's scales. */
static bool conf_venue(const struct strat_view *v, int64_t vi)
{
	return v->tc && vi > 0 && vi < KIMP_VENUE_MAX && v->tc->venue[vi].present;
}

static unsigned px_dec(const struct strat_view *v, int64_t vi)
{
	return conf_venue(v, vi) ? v->tc->venue[vi].px_dec : STRAT_DEC_DEFAULT;
}

static unsigned qty_dec(const struct strat_view *v, int64_t vi)
{
	return conf_venue(v, vi) ? v->tc->venue[vi].qty_dec : STRAT_DEC_DEFAULT;
}

static const char *quote_label(const struct strat_view *v, int64_t vi)
{
	const struct venue_md *md = vi > 0 && vi < KIMP_VENUE_MAX ?
				    venue_md_get((enum kimp_venue)vi) : NULL;

	if (conf_venue(v, vi))
		return v->tc->venue[vi].quote;
	return md && md->quote ? md->quote : "quote";
}

/* A coin's scale: its own, within what an int64 decimal can hold. */
static unsigned coin_dec(const struct kimp_strat_coin *c)
{
	return c->qty_dec >= 0 && c->qty_dec <= VENUE_DEC_MAX ? (unsigned)c->qty_dec :
	       VENUE_DEC_MAX + 1;
}

static const char *side_name(int64_t s)
{
	return s == KIMP_SIDE_BUY ? "buy" : s == KIMP_SIDE_SELL ? "sell" : "?";
}

static const char *kind_name(int64_t k)
{
	static const char *const n[] = { "entry", "retry", "unwind" };
	return k >= 0 && k < (int64_t)KIMP_ARRAY_SIZE(n) ? n[k] : "?";
}

/* ---- floating point (the model only) -------------------------------------- */

/* 10 significant digits: "0.0213", "1350.5", "nan". */
static const char *fmt_f64(char *buf, size_t len, double d)
{
	snprintf(buf, len, "%.10g", d);
	return buf;
}

static void out_f64(struct out *o, const char *key, int64_t bits)
{
	char buf[CELL];

	out_str(o, key, fmt_f64(buf, sizeof(buf), kimp_strat_f64(bits)));
}

/* The deviation from the stored variance (the SSE2 instruction: no libm). */
static double deviation(int64_t var_bits)
{
	double var = kimp_strat_f64(var_bits);

	if (var == 0)
		return 0;
	if (!(var > 0))
		return __builtin_nan(""); /* a negative or NaN variance: no deviation */
	return _mm_cvtsd_f64(_mm_sqrt_sd(_mm_set_sd(var), _mm_set_sd(var)));
}

/* ---- reading -------------------------------------------------------------- */

static int state_find(const struct shm_seg *seg, const char *name,
		      const struct kimp_strat_state **out)
{
	const struct kimp_strat_state *st;
	uint64_t size;
	void *p;

	if (kimpctl_region(seg, "strat", name, KIMP_STRAT_STATE_REGION, sizeof(*st), &p, &size))
		return KIMPCTL_FAIL;
	st = p;
	if (st->magic != KIMP_STRAT_MAGIC)
		return kimpctl_err(KIMPCTL_FAIL, "strat: segment '%s': region '%s' is not "
				   "stratd's state (magic 0x%016" PRIx64 ", stratd's is 0x%016llx)%s",
				   name, KIMP_STRAT_STATE_REGION, st->magic,
				   (unsigned long long)KIMP_STRAT_MAGIC,
				   st->magic ? "" : ": stratd is making it, or died doing so");
	if (st->version != KIMP_STRAT_VERSION)
		return kimpctl_err(KIMPCTL_FAIL, "strat: segment '%s': region '%s' is version %"
				   PRIu32 ", this kimpctl reads version %u (a stratd of another "
				   "build?)", name, KIMP_STRAT_STATE_REGION, st->version,
				   KIMP_STRAT_VERSION);
	if (st->size != sizeof(*st))
		return kimpctl_err(KIMPCTL_FAIL, "strat: segment '%s': region '%s' has a state "
				   "of %" PRIu32 " bytes, this kimpctl reads %zu (a stratd of "
				   "another build?)", name, KIMP_STRAT_STATE_REGION, st->size,
				   sizeof(*st));
	*out = st;
	return KIMPCTL_OK;
}

static int view_open(struct kimpctl *k, const char *name, struct strat_view *v)
{
	const struct kimp_strat_state *st = NULL;

	memset(v, 0, sizeof(*v));
	v->name = name;
	if (shm_seg_attach(&v->seg, name, &k->shm))
		return kimpctl_err(KIMPCTL_FAIL, "strat: %s", shm_last_error());
	if (state_find(&v->seg, name, &st))
		goto detach;
	v->st = malloc(sizeof(*v->st));
	if (!v->st) {
		kimpctl_err(KIMPCTL_FAIL, "strat: out of memory");
		goto detach;
	}
	memcpy(v->st, st, sizeof(*v->st));
	v->m = kimpctl_metrics(&v->seg, KIMP_STRAT_METRICS_REGION);
	v->tc = kimpctl_trade_conf(k, v->tc_why, sizeof(v->tc_why));
	v->now = kimp_mono_ns();
	return KIMPCTL_OK;
detach:
	shm_seg_detach(&v->seg);
	return KIMPCTL_FAIL;
}

static void view_close(struct strat_view *v)
{
	free(v->tc);
	free(v->st);
	shm_seg_detach(&v->seg);
}

/* ---- the top -------------------------------------------------------------- */

static void out_head(struct out *o, const struct strat_view *v, const char *conf_path)
{
	const struct kimp_strat_state *st = v->st;
	char buf[400];

	out_u64(o, "version", st->version);
	out_time(o, "created", st->created_real_ns);
	out_pid(o, "stratd_pid", v->m ? atomic_load(&v->m->pid) : 0);
	out_age(o, "heartbeat_age_ns", v->now, v->m ? (int64_t)atomic_load(&v->m->heartbeat_ns) : 0);
	if (v->tc)
		snprintf(buf, sizeof(buf), "from %s", conf_path);
	else
		snprintf(buf, sizeof(buf), "default (%d decimals): %s", STRAT_DEC_DEFAULT,
			 v->tc_why);
	out_str(o, "scales", buf);

	out_obj_begin(o, "ids", NULL);
	out_id(o, "id_base", st->id_base);
	out_id(o, "next_intent_id", st->next_intent_id);
	out_id(o, "next_pair_id", st->next_pair_id);
	out_u64(o, "pushed", st->pushed);
	out_hex(o, "md_salt", st->md_salt);
	out_hex(o, "conf_fp", st->conf_fp);
	out_obj_end(o);

	out_obj_begin(o, "counters", NULL);
	out_i64(o, "pairs_open", st->pairs_open);
	out_i64(o, "queued", st->queued);
	out_i64(o, "evals", st->cnt.evals);
	out_i64(o, "entries", st->cnt.entries);
	out_i64(o, "intents", st->cnt.intents);
	out_i64(o, "retries", st->cnt.retries);
	out_i64(o, "unwinds", st->cnt.unwinds);
	out_i64(o, "verdicts", st->cnt.verdicts);
	out_i64(o, "rejects", st->cnt.rejects);
	out_i64(o, "trims", st->cnt.trims);
	out_i64(o, "reports", st->cnt.reports);
	out_i64(o, "fills", st->cnt.fills);
	out_i64(o, "pairs_done", st->cnt.pairs_done);
	out_i64(o, "pairs_stuck", st->cnt.pairs_stuck);
	out_i64(o, "timeouts", st->cnt.timeouts);
	out_i64(o, "dust", st->cnt.dust);
	out_i64(o, "recover_back", st->cnt.recover_back);
	out_i64(o, "recover_forward", st->cnt.recover_forward);
	out_obj_end(o);
}

/* ---- coins ---------------------------------------------------------------- */

static void out_coin(struct out *o, const struct strat_view *v, uint32_t inst)
{
	const struct kimp_strat_coin *c = &v->st->coin[inst];
	unsigned dec = coin_dec(c);
	char a[CELL], b[CELL], cn[CELL], title[160];

	snprintf(title, sizeof(title), "%s (inst %" PRIu32 "): %s / %s",
		 coin_label(cn, sizeof(cn), v, inst), inst, venue_label(a, sizeof(a), c->krw_venue),
		 venue_label(b, sizeof(b), c->usdt_venue));
	out_obj_begin(o, NULL, title);
	if (o->json) {
		out_str(o, "coin", coin_label(cn, sizeof(cn), v, inst));
		out_u64(o, "inst", inst);
		out_str(o, "krw_venue", venue_label(a, sizeof(a), c->krw_venue));
		out_str(o, "usdt_venue", venue_label(b, sizeof(b), c->usdt_venue));
	}
	out_i64(o, "qty_dec", c->qty_dec);

	out_obj_begin(o, "model", "model (premium as a fraction: 0.02 = 2%)");
	out_i64(o, "samples", c->n);
	out_f64(o, "mean", c->mean);
	out_str(o, "deviation", fmt_f64(a, sizeof(a), deviation(c->var)));
	if (c->n > 0 && c->last_ns >= c->first_ns)
		out_ns(o, "span_ns", (uint64_t)(c->last_ns - c->first_ns));
	else
		out_ns_null(o, "span_ns");
	out_age(o, "last_sample_age_ns", v->now, c->n > 0 ? c->last_ns : 0);
	out_obj_end(o);

	out_obj_begin(o, "last", "last evaluation");
	out_f64(o, "prem_mid", c->prem_mid);
	out_f64(o, "prem_sell_krw", c->prem_sell);
	out_f64(o, "prem_buy_krw", c->prem_buy);
	out_f64(o, "rate", c->rate);
	out_obj_end(o);

	out_obj_begin(o, "exposure", "unhedged exposure (+ bought, - sold)");
	out_dec(o, "unhedged", c->unhedged, dec);
	out_age(o, "unhedged_age_ns", v->now, c->unhedged ? c->unhedged_since : 0);
	out_dec(o, "dust", c->dust, dec);
	out_obj_end(o);

	out_obj_begin(o, "counters", NULL);
	out_age(o, "last_entry_age_ns", v->now, c->last_entry_ns);
	out_i64(o, "entries", c->entries);
	out_i64(o, "pairs_done", c->pairs_done);
	out_i64(o, "pairs_mended", c->pairs_mended);
	out_i64(o, "pairs_stuck", c->pairs_stuck);
	out_i64(o, "retries", c->retries);
	out_i64(o, "unwinds", c->unwinds);
	out_i64(o, "fills", c->fills);
	out_obj_end(o);
	out_obj_end(o);
}

/* ---- inventory ------------------------------------------------------------ */

static bool inv_used(const struct kimp_strat_inv *i)
{
	return i->start || i->fills || i->resv || i->incoming;
}

/* Coin 'inst' trades on venue vi in some pair. */
static bool coin_on(const struct strat_view *v, uint32_t inst, int64_t vi)
{
	const struct kimp_strat_coin *c = &v->st->coin[inst];

	return c->krw_venue && (c->krw_venue == vi || c->usdt_venue == vi);
}

static bool asset_shown(const struct strat_view *v, unsigned vi, uint32_t a)
{
	return a == 0 || inv_used(&v->st->inv[vi][a]) || (a < KIMP_STRAT_COINS && coin_on(v, a, vi));
}

static bool venue_shown(const struct strat_view *v, unsigned vi)
{
	for (uint32_t a = 0; a < KIMP_STRAT_ASSETS; a++)
		if (inv_used(&v->st->inv[vi][a]) || (a && a < KIMP_STRAT_COINS && coin_on(v, a, vi)))
			return true;
	return false;
}

/* holdings = start + fills; free = holdings - resv; false on overflow. */
static bool inv_sums(const struct kimp_strat_inv *i, int64_t *hold, int64_t *avail)
{
	return !__builtin_add_overflow(i->start, i->fills, hold) &&
	       !__builtin_sub_overflow(*hold, i->resv, avail);
}

static const char *asset_label(char *buf, size_t len, const struct strat_view *v, unsigned vi,
			       uint32_t a)
{
	return a ? coin_label(buf, len, v, a) : quote_label(v, vi);
}

enum { I_ASSET, I_START, I_FILLS, I_HOLD, I_RESV, I_FREE, I_INCOMING, I_NCOLS };

static const char *const inv_hdr[I_NCOLS] = {
	"ASSET", "START", "FILLS", "HOLD", "RESERVED", "FREE", "INCOMING",
};

static int out_inv_venue(struct out *o, const struct strat_view *v, unsigned vi)
{
	unsigned pd = px_dec(v, vi), qd = qty_dec(v, vi);
	char a[CELL], title[128];
	struct tbl t;
	int64_t hold, avail;
	int status;

	snprintf(title, sizeof(title), "%s (%s; px_dec %u, qty_dec %u%s)",
		 venue_label(a, sizeof(a), vi), quote_label(v, vi), pd, qd,
		 conf_venue(v, vi) ? "" : ", default scales");
	out_obj_begin(o, NULL, title);
	if (o->json) {
		out_str(o, "venue", venue_label(a, sizeof(a), vi));
		out_u64(o, "venue_id", vi);
		out_str(o, "quote", quote_label(v, vi));
		out_u64(o, "px_dec", pd);
		out_u64(o, "qty_dec", qd);
		out_str(o, "scales", conf_venue(v, vi) ? "config" : "default");
		out_arr_begin(o, "assets");
		for (uint32_t i = 0; i < KIMP_STRAT_ASSETS; i++) {
			const struct kimp_strat_inv *in = &v->st->inv[vi][i];
			unsigned d = i ? qd : pd;

			if (!asset_shown(v, vi, i))
				continue;
			out_obj_begin(o, NULL, NULL);
			out_str(o, "asset", asset_label(a, sizeof(a), v, vi, i));
			out_u64(o, "inst", i);
			out_dec(o, "start", in->start, d);
			out_dec(o, "fills", in->fills, d);
			if (inv_sums(in, &hold, &avail)) {
				out_dec(o, "hold", hold, d);
				out_dec(o, "free", avail, d);
			} else {
				out_null(o, "hold");
				out_null(o, "free");
			}
			out_dec(o, "reserved", in->resv, d);
			out_dec(o, "incoming", in->incoming, d);
			out_obj_end(o);
		}
		out_arr_end(o);
		out_obj_end(o);
		return KIMPCTL_OK;
	}
	tbl_init(&t, inv_hdr, I_NCOLS);
	for (uint32_t i = 0; i < KIMP_STRAT_ASSETS; i++) {
		const struct kimp_strat_inv *in = &v->st->inv[vi][i];
		unsigned d = i ? qd : pd;

		if (!asset_shown(v, vi, i))
			continue;
		tbl_row(&t);
		tbl_set(&t, I_ASSET, "%s", asset_label(a, sizeof(a), v, vi, i));
		tbl_set(&t, I_START, "%s", fmt_dec(a, sizeof(a), in->start, d));
		tbl_set(&t, I_FILLS, "%s", fmt_dec(a, sizeof(a), in->fills, d));
		if (inv_sums(in, &hold, &avail)) {
			tbl_set(&t, I_HOLD, "%s", fmt_dec(a, sizeof(a), hold, d));
			tbl_set(&t, I_FREE, "%s", fmt_dec(a, sizeof(a), avail, d));
		}
		tbl_set(&t, I_RESV, "%s", fmt_dec(a, sizeof(a), in->resv, d));
		tbl_set(&t, I_INCOMING, "%s", fmt_dec(a, sizeof(a), in->incoming, d));
	}
	status = out_tbl(o, "assets", &t);
	out_obj_end(o);
	return status;
}

/* ---- pairs ---------------------------------------------------------------- */

/*
 * A leg's net fill as coin units at 'dec' (+ bought, - sold): false when
 * the venue's scale is finer than the coin's or it overflows.
 */
static bool leg_signed(const struct strat_view *v, const struct kimp_strat_leg *l, unsigned dec,
		       __int128 *out)
{
	unsigned vd = qty_dec(v, l->venue);
	__int128 q = l->filled;

	if (vd > dec || dec > VENUE_DEC_MAX)
		return false;
	for (unsigned i = vd; i < dec; i++)
		q *= 10;
	*out = l->side == KIMP_SIDE_SELL ? -q : q;
	return true;
}

/* leg 0 + leg 1 in coin units: what the pair leaves unhedged. */
static void out_imbalance(struct out *o, const struct strat_view *v, const struct kimp_strat_pair *p,
			  unsigned dec)
{
	__int128 a, b, s;

	if (!leg_signed(v, &p->leg[0], dec, &a) || !leg_signed(v, &p->leg[1], dec, &b)) {
		out_null(o, "imbalance");
		return;
	}
	s = a + b;
	if (s > INT64_MAX || s < INT64_MIN)
		out_null(o, "imbalance");
	else
		out_dec(o, "imbalance", (int64_t)s, dec);
}

static unsigned leg_orders(const struct kimp_strat_leg *l)
{
	return l->norders > 0 ? (l->norders < KIMP_STRAT_ORDERS ? (unsigned)l->norders :
				 KIMP_STRAT_ORDERS) : 0;
}

/* The verdict's reason; NULL for none (0: approved in full, or no verdict yet). */
static const char *reason_label(const struct kimp_strat_order *r)
{
	if (!r->reason)
		return NULL;
	return r->reason > 0 && r->reason < KIMP_RISK_REASON_MAX ?
	       kimp_risk_reason_name((unsigned)r->reason) : "?";
}

static void order_json(struct out *o, const struct strat_view *v, const struct kimp_strat_order *r,
		       unsigned n, int64_t vi)
{
	unsigned pd = px_dec(v, vi), qd = qty_dec(v, vi);

	out_obj_begin(o, NULL, NULL);
	out_u64(o, "n", n);
	out_id(o, "intent_id", r->intent_id);
	if (r->client_oid)
		out_id(o, "client_oid", r->client_oid);
	else
		out_null(o, "client_oid");
	out_str(o, "kind", kind_name(r->kind));
	out_str(o, "side", side_name(r->side));
	out_dec(o, "px", r->px, pd);
	out_dec(o, "qty", r->qty, qd);
	out_dec(o, "max_slip_px", r->max_slip_px, pd);
	out_dec(o, "approved", r->approved, qd);
	out_dec(o, "filled", r->cum_qty, qd);
	out_dec(o, "notional", r->notional, pd);
	out_str(o, "state", kimp_strat_ord_state_name(r->state));
	if (reason_label(r))
		out_str(o, "reason", reason_label(r));
	else
		out_null(o, "reason");
	out_dec(o, "reserved", r->resv, r->side == KIMP_SIDE_BUY ? pd : qd);
	out_age(o, "age_ns", v->now, r->sent_ns);
	out_obj_end(o);
}

enum { R_N, R_KIND, R_SIDE, R_PX, R_QTY, R_SLIP, R_APPROVED, R_FILLED, R_NOTIONAL, R_STATE,
       R_REASON, R_RESV, R_AGE, R_INTENT, R_OID, R_NCOLS };

static const char *const ord_hdr[R_NCOLS] = {
	"#", "KIND", "SIDE", "PX", "QTY", "MAX_SLIP", "APPROVED", "FILLED", "NOTIONAL", "STATE",
	"REASON", "RESERVED", "AGE", "INTENT_ID", "CLIENT_OID",
};

static void order_row(struct tbl *t, const struct strat_view *v, const struct kimp_strat_order *r,
		      unsigned n, int64_t vi)
{
	unsigned pd = px_dec(v, vi), qd = qty_dec(v, vi);
	char a[CELL];

	tbl_row(t);
	tbl_set(t, R_N, "%u", n);
	tbl_set(t, R_KIND, "%s", kind_name(r->kind));
	tbl_set(t, R_SIDE, "%s", side_name(r->side));
	tbl_set(t, R_PX, "%s", fmt_dec(a, sizeof(a), r->px, pd));
	tbl_set(t, R_QTY, "%s", fmt_dec(a, sizeof(a), r->qty, qd));
	tbl_set(t, R_SLIP, "%s", fmt_dec(a, sizeof(a), r->max_slip_px, pd));
	tbl_set(t, R_APPROVED, "%s", fmt_dec(a, sizeof(a), r->approved, qd));
	tbl_set(t, R_FILLED, "%s", fmt_dec(a, sizeof(a), r->cum_qty, qd));
	tbl_set(t, R_NOTIONAL, "%s", fmt_dec(a, sizeof(a), r->notional, pd));
	tbl_set(t, R_STATE, "%s", kimp_strat_ord_state_name(r->state));
	if (reason_label(r))
		tbl_set(t, R_REASON, "%s", reason_label(r));
	tbl_set(t, R_RESV, "%s", fmt_dec(a, sizeof(a), r->resv, r->side == KIMP_SIDE_BUY ? pd : qd));
	tbl_set(t, R_AGE, "%s", fmt_age(a, sizeof(a), v->now, r->sent_ns));
	tbl_set(t, R_INTENT, "%" PRIu64, r->intent_id);
	if (r->client_oid)
		tbl_set(t, R_OID, "%" PRIu64, r->client_oid);
}

static int out_leg(struct out *o, const struct strat_view *v, const struct kimp_strat_leg *l,
		   unsigned n)
{
	unsigned pd = px_dec(v, l->venue), qd = qty_dec(v, l->venue), no = leg_orders(l);
	char a[CELL], title[96];
	struct tbl t;
	int status = KIMPCTL_OK;

	snprintf(title, sizeof(title), "leg %u: %s %s", n, venue_label(a, sizeof(a), l->venue),
		 side_name(l->side));
	out_obj_begin(o, NULL, title);
	if (o->json) {
		out_u64(o, "leg", n);
		out_str(o, "venue", venue_label(a, sizeof(a), l->venue));
		out_str(o, "side", side_name(l->side));
	}
	out_dec(o, "decision_px", l->decision_px, pd);
	out_dec(o, "filled", l->filled, qd);
	out_dec(o, "notional", l->notional, pd);
	out_dec(o, "fee_quote", l->fee_quote, pd);
	out_dec(o, "fee_base", l->fee_base, qd);
	out_i64(o, "orders_made", l->norders);
	out_i64(o, "retries", l->retries);
	out_i64(o, "unwinds", l->unwinds);
	if (o->json) {
		out_arr_begin(o, "orders");
		for (unsigned i = 0; i < no; i++)
			order_json(o, v, &l->ord[i], i + 1, l->venue);
		out_arr_end(o);
	} else {
		tbl_init(&t, ord_hdr, R_NCOLS);
		for (unsigned i = 0; i < no; i++)
			order_row(&t, v, &l->ord[i], i + 1, l->venue);
		status = out_tbl(o, "orders", &t);
	}
	out_obj_end(o);
	return status;
}

static int out_pair(struct out *o, const struct strat_view *v, const struct kimp_strat_pair *p)
{
	const struct kimp_strat_coin *c = p->inst > 0 && p->inst < KIMP_STRAT_COINS ?
					  &v->st->coin[p->inst] : NULL;
	unsigned dec = c ? coin_dec(c) : STRAT_DEC_DEFAULT;
	char a[CELL], title[160];
	int status = KIMPCTL_OK;

	snprintf(title, sizeof(title), "pair %" PRIu64 ": %s %s, %s", p->pair_id,
		 coin_label(a, sizeof(a), v, p->inst), kimp_strat_dir_name(p->dir),
		 kimp_strat_pair_state_name(p->state));
	out_obj_begin(o, NULL, title);
	if (o->json) {
		out_id(o, "pair_id", p->pair_id);
		out_str(o, "coin", coin_label(a, sizeof(a), v, p->inst));
		out_i64(o, "inst", p->inst);
		out_str(o, "dir", kimp_strat_dir_name(p->dir));
		out_str(o, "state", kimp_strat_pair_state_name(p->state));
	}
	out_dec(o, "target", p->target, dec);
	out_imbalance(o, v, p, dec);
	out_age(o, "age_ns", v->now, p->opened_ns);
	out_age(o, "mending_for_ns", v->now, p->mend_since_ns);
	out_f64(o, "premium", p->prem);
	out_f64(o, "deviation", p->dev);
	out_bool(o, "retry_off", p->retry_off != 0);
	out_dec(o, "dust", p->dust, dec);
	out_arr_begin(o, "legs");
	for (unsigned i = 0; i < 2; i++)
		if (out_leg(o, v, &p->leg[i], i))
			status = KIMPCTL_FAIL;
	out_arr_end(o);
	out_obj_end(o);
	return status;
}

/* ---- the command ---------------------------------------------------------- */

static int strat_print(FILE *f, const struct strat_view *v, bool json, const char *conf_path)
{
	char title[SHM_NAME_MAX + 300];
	int status = KIMPCTL_OK;
	unsigned n = 0;
	struct out o;

	out_init(&o, f, json);
	snprintf(title, sizeof(title), "stratd state: segment %s (%s)", v->name, v->seg.path);
	out_obj_begin(&o, NULL, json ? NULL : title);
	if (json) {
		out_str(&o, "segment", v->name);
		out_str(&o, "path", v->seg.path);
	}
	out_head(&o, v, conf_path);

	out_arr_begin(&o, "coins");
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++)
		if (v->st->coin[i].krw_venue)
			out_coin(&o, v, i);
	out_arr_end(&o);

	out_arr_begin(&o, "inventory");
	for (unsigned vi = 1; vi < KIMP_STRAT_VENUES; vi++)
		if (venue_shown(v, vi) && out_inv_venue(&o, v, vi))
			status = KIMPCTL_FAIL;
	out_arr_end(&o);

	for (unsigned i = 0; i < KIMP_STRAT_PAIRS; i++)
		n += v->st->pair[i].pair_id != 0;
	if (!n && !json) {
		out_str(&o, "pairs", "none in flight");
	} else {
		out_arr_begin(&o, "pairs");
		for (unsigned i = 0; i < KIMP_STRAT_PAIRS; i++)
			if (v->st->pair[i].pair_id && out_pair(&o, v, &v->st->pair[i]))
				status = KIMPCTL_FAIL;
		out_arr_end(&o);
	}
	out_obj_end(&o);
	out_finish(&o);
	return status;
}

int kimpctl_view_strat(struct kimpctl *k, const char *name, FILE *f, bool json)
{
	struct strat_view v;
	int status = view_open(k, name, &v);

	if (status)
		return status;
	status = strat_print(f, &v, json, k->conf_path);
	view_close(&v);
	return status;
}

/* entry_sigma of coin: [pair.COIN], else [stratd], else 2 (as stratd reads it). */
static double entry_sigma(const struct kimpctl *k, const char *coin)
{
	char sec[64];
	const char *s;
	char *end;
	double d;

	snprintf(sec, sizeof(sec), "pair.%s", coin);
	s = kimp_conf_get(k->conf, sec, "entry_sigma");
	if (!s)
		s = kimp_conf_get(k->conf, "stratd", "entry_sigma");
	if (!s)
		return 2;
	d = strtod(s, &end);
	return end != s && !*end && d >= 0 && d < 1e6 ? d : 2;
}

static int premium_print(FILE *f, struct kimpctl *k, const struct strat_view *v, bool json)
{
	char title[SHM_NAME_MAX + 300], a[CELL], b[CELL], cn[CELL];
	struct out o;

	out_init(&o, f, json);
	snprintf(title, sizeof(title), "premium: segment %s (%s)", v->name, v->seg.path);
	out_obj_begin(&o, NULL, json ? NULL : title);
	if (json)
		out_str(&o, "segment", v->name);
	out_pid(&o, "stratd_pid", v->m ? atomic_load(&v->m->pid) : 0);
	out_age(&o, "heartbeat_age_ns", v->now,
		v->m ? (int64_t)atomic_load(&v->m->heartbeat_ns) : 0);
	out_arr_begin(&o, "coins");
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct kimp_strat_coin *c = &v->st->coin[i];
		double mean = kimp_strat_f64(c->mean), dev = deviation(c->var);
		double sig;

		if (!c->krw_venue)
			continue;
		const char *coin = coin_label(cn, sizeof(cn), v, i);

		sig = entry_sigma(k, coin);
		out_obj_begin(&o, NULL, coin);
		out_str(&o, "coin", coin);
		out_str(&o, "krw_venue", venue_label(a, sizeof(a), c->krw_venue));
		out_str(&o, "usdt_venue", venue_label(b, sizeof(b), c->usdt_venue));
		out_i64(&o, "samples", c->n);
		out_real(&o, "premium", c->n > 0 ? kimp_strat_f64(c->prem_mid) : __builtin_nan(""));
		out_real(&o, "prem_sell_krw", kimp_strat_f64(c->prem_sell));
		out_real(&o, "prem_buy_krw", kimp_strat_f64(c->prem_buy));
		out_real(&o, "mean", c->n > 0 ? mean : __builtin_nan(""));
		out_real(&o, "deviation", c->n > 0 ? dev : __builtin_nan(""));
		out_real(&o, "entry_sigma", sig);
		out_real(&o, "band_low", c->n > 0 ? mean - sig * dev : __builtin_nan(""));
		out_real(&o, "band_high", c->n > 0 ? mean + sig * dev : __builtin_nan(""));
		out_real(&o, "rate", kimp_strat_f64(c->rate));
		out_age(&o, "last_sample_age_ns", v->now, c->n > 0 ? c->last_ns : 0);
		out_dec(&o, "unhedged", c->unhedged, coin_dec(c));
		out_i64(&o, "entries", c->entries);
		out_obj_end(&o);
	}
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
	return KIMPCTL_OK;
}

int kimpctl_view_premium(struct kimpctl *k, const char *name, FILE *f, bool json)
{
	struct strat_view v;
	int status = view_open(k, name, &v);

	if (status)
		return status;
	status = premium_print(f, k, &v, json);
	view_close(&v);
	return status;
}

int kimpctl_premium_rows(struct kimpctl *k, const char *name, struct kimpctl_prem *rows,
			 unsigned max, unsigned *n)
{
	struct strat_view v;
	int status = view_open(k, name, &v);
	char cn[CELL];

	*n = 0;
	if (status)
		return status;
	for (uint32_t i = 1; i < KIMP_STRAT_COINS && *n < max; i++) {
		const struct kimp_strat_coin *c = &v.st->coin[i];
		struct kimpctl_prem *r = &rows[*n];
		double nan = __builtin_nan(""), sig;

		if (!c->krw_venue)
			continue;
		snprintf(r->coin, sizeof(r->coin), "%s", coin_label(cn, sizeof(cn), &v, i));
		sig = entry_sigma(k, r->coin);
		r->samples = c->n;
		r->premium = c->n > 0 ? kimp_strat_f64(c->prem_mid) : nan;
		r->mean = c->n > 0 ? kimp_strat_f64(c->mean) : nan;
		r->deviation = c->n > 0 ? deviation(c->var) : nan;
		r->band_low = r->mean - sig * r->deviation;
		r->band_high = r->mean + sig * r->deviation;
		(*n)++;
	}
	view_close(&v);
	return KIMPCTL_OK;
}

static int strat_run(struct kimpctl *k, int argc, char **argv)
{
	const char *name;
	bool json, done;
	int status;

	status = kimpctl_seg_args(argc, argv, strat_usage, STRAT_DEFAULT_SEG, &name, &json,
				  &done);
	if (status || done)
		return status;
	return kimpctl_view_strat(k, name, stdout, json);
}

const struct kimpctl_cmd kimpctl_cmd_strat = {
	.name = "strat",
	.usage = strat_usage,
	.run = strat_run,
};
