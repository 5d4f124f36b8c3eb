/* SPDX-License-Identifier: MIT */
/*
 * The ledger: exsim's ground truth, one JSON object per line (the format
 * is in sim.h). The first line names the format,
 *   {"ev":"ledger","t":<ns>,"version":1}
 * and sim_ledger_close writes a last one with the counts,
 *   {"ev":"summary","t":<ns>,"orders":N,"rejects":N,"fills":N,
 *    "cancels":N,"expires":N,"balances":N,"events":N}
 * ("orders" are the accepted ones, "rejects" the refused ones).
 *
 * Lines are built with jw in a stack buffer and written with one fwrite,
 * then flushed, so a reader tailing the file sees every event whole and at
 * once. The order path is not the market-data hot path, so stdio is fine
 * here. A write error is counted, never fatal: the simulation goes on.
 *
 * A ledger opened with no path counts events and writes nothing (tests,
 * oppo without a file). Every function takes a NULL ledger as a no-op.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sim.h"

#define LEDGER_VERSION 1
#define LINE_MAX_BYTES 2048     /* a cid escapes to at most 6 x 71 bytes */

struct sim_ledger {
	FILE *f;                /* NULL: discard */
	uint64_t orders, rejects, fills, cancels, expires, balances, events;
	uint64_t write_errors;
};

static const char *const reject_names[SIM_REJ_COUNT] = {
	[SIM_OK] = "",
	[SIM_REJ_FUNDS] = "funds",
	[SIM_REJ_TICK] = "tick",
	[SIM_REJ_STEP] = "step",
	[SIM_REJ_MIN_QTY] = "min_qty",
	[SIM_REJ_MAX_QTY] = "max_qty",
	[SIM_REJ_MIN_NOTIONAL] = "min_notional",
	[SIM_REJ_MAX_NOTIONAL] = "max_notional",
	[SIM_REJ_PRICE_RANGE] = "price_range",
	[SIM_REJ_WOULD_TAKE] = "would_take",
	[SIM_REJ_FOK] = "fok",
	[SIM_REJ_DUP_CID] = "dup_cid",
	[SIM_REJ_NO_MARKET] = "no_market",
	[SIM_REJ_BAD_PARAM] = "bad_param",
	[SIM_REJ_TOO_MANY_ORDERS] = "too_many_orders",
};

const char *sim_reject_name(unsigned r)
{
	return r < SIM_REJ_COUNT ? reject_names[r] : "unknown";
}

const char *sim_ord_status_name(unsigned s)
{
	static const char *const names[] = {
		[SIM_ST_NEW] = "new",           [SIM_ST_PARTIAL] = "partial",
		[SIM_ST_FILLED] = "filled",     [SIM_ST_CANCELED] = "canceled",
		[SIM_ST_EXPIRED] = "expired",   [SIM_ST_REJECTED] = "rejected",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static const char *type_name(unsigned t)
{
	static const char *const names[] = {
		[SIM_ORD_LIMIT] = "limit", [SIM_ORD_MARKET] = "market",
		[SIM_ORD_MARKET_QUOTE] = "market_quote", [SIM_ORD_BEST] = "best",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

static const char *tif_name(unsigned t)
{
	static const char *const names[] = {
		[SIM_GTC] = "gtc", [SIM_IOC] = "ioc", [SIM_FOK] = "fok",
		[SIM_POST_ONLY] = "post_only",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

int sim_fx_str(sim_fx v, char *out)
{
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char tmp[24];
	int n = 0, len = 0;

	/* the 8 decimals, then the integer part, backwards */
	for (int i = 0; i < 8; i++) {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	}
	tmp[n++] = '.';
	do {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ,"k":"<amount>" */
static void put_fx(struct jw *w, const char *k, sim_fx v)
{
	char s[24];
	int n = sim_fx_str(v, s);

	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_raw(w, "\"", 1);
	jw_raw(w, s, (size_t)n);
	jw_raw(w, "\"", 1);
}

static void put_str(struct jw *w, const char *k, const char *v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_str(w, v);
}

static void put_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_u64(w, v);
}

/*
 * ,"md_age_us":{"VENUE":N,...}: for every venue of the scenario, how long
 * before the order arrived (recv_ns) it last sent a market frame; -1 when
 * it never did. An order sent on a feed older than the engine's stale_after
 * was sent on a stale book (the chaos suite checks it).
 */
static void put_md_age(struct jw *w, const struct sim_exch *x, uint64_t recv_ns)
{
	const struct sim_scenario *sc = x && x->m ? x->m->sc : NULL;
	unsigned n = sc ? sc->nvenues : 0;

	if (!n)
		return;
	jw_raw(w, ",", 1);
	jw_key(w, "md_age_us");
	jw_raw(w, "{", 1);
	for (unsigned v = 0; v < n && v < SIM_MAX_VENUES; v++) {
		uint64_t t = x->md_sent_ns[v];

		if (v)
			jw_raw(w, ",", 1);
		jw_key(w, sc->venues[v].name);
		if (!t)
			jw_i64(w, -1);
		else
			jw_i64(w, t > recv_ns ? 0 : (int64_t)((recv_ns - t) / 1000));
	}
	jw_raw(w, "}", 1);
}

/* {"ev":"<ev>","t":<ns> */
static void put_head(struct jw *w, const char *ev)
{
	jw_raw(w, "{", 1);
	jw_key(w, "ev");
	jw_str(w, ev);
	put_u64(w, "t", real_ns());
}

/* The venue's name, or its index when the exchange has no scenario (tests). */
static void put_venue(struct jw *w, const struct sim_exch *x, unsigned venue)
{
	const struct sim_scenario *sc = x && x->m ? x->m->sc : NULL;

	if (sc && venue < sc->nvenues)
		put_str(w, "venue", sc->venues[venue].name);
	else
		put_u64(w, "venue", venue);
}

static void put_asset(struct jw *w, const char *k, unsigned asset)
{
	const char *name = sim_asset_name(asset);

	if (name)
		put_str(w, k, name);
	else
		put_u64(w, k, asset);
}

/* What every order, fill, cancel and expire line starts with. */
static void put_order_head(struct jw *w, const struct sim_exch *x,
			   const struct sim_order *o, const char *ev)
{
	const struct sim_inst *in = NULL;
	unsigned venue = 0;

	if (x && o->acct < x->naccts)
		venue = x->acct[o->acct].venue;
	if (x && x->m && o->inst < x->m->ninsts)
		in = &x->m->inst[o->inst];
	put_head(w, ev);
	put_venue(w, x, venue);
	put_u64(w, "acct", o->acct);
	put_str(w, "cid", o->cid);
	put_u64(w, "id", o->id);
	put_str(w, "uuid", o->uuid);
	if (in)
		put_str(w, "sym", in->sym);
	else
		put_u64(w, "sym", o->inst);
	put_str(w, "side", o->side == SIM_BID ? "buy" : "sell");
}

static void emit(struct sim_ledger *lg, struct jw *w)
{
	jw_raw(w, "}\n", 2);
	if (!jw_done(w)) {
		lg->write_errors++;
		return;
	}
	if (fwrite(w->p, 1, w->len, lg->f) != w->len || fflush(lg->f))
		lg->write_errors++;
}


/*
 * path NULL or "": a ledger that counts and discards. Else the file is
 * created or truncated (one run, one ledger). Returns the ledger (the
 * caller owns it until sim_ledger_close), or NULL with errno set.
 */
struct sim_ledger *sim_ledger_open(const char *path)
{
	struct sim_ledger *lg = calloc(1, sizeof(*lg));
	char buf[128];
	struct jw w;

	if (!lg)
		return NULL;
	if (!path || !*path)
		return lg;
	lg->f = fopen(path, "w");
	if (!lg->f)
		goto free_lg;
	jw_init(&w, buf, sizeof(buf));
	put_head(&w, "ledger");
	put_u64(&w, "version", LEDGER_VERSION);
	emit(lg, &w);
	return lg;

free_lg: {
		int e = errno;

		free(lg);
		errno = e;
	}
	return NULL;
}

/* Writes the summary line, closes the file and frees lg. */
void sim_ledger_close(struct sim_ledger *lg)
{
	char buf[256];
	struct jw w;

	if (!lg)
		return;
	if (lg->f) {
		jw_init(&w, buf, sizeof(buf));
		put_head(&w, "summary");
		put_u64(&w, "orders", lg->orders);
		put_u64(&w, "rejects", lg->rejects);
		put_u64(&w, "fills", lg->fills);
		put_u64(&w, "cancels", lg->cancels);
		put_u64(&w, "expires", lg->expires);
		put_u64(&w, "balances", lg->balances);
		put_u64(&w, "events", lg->events);
		emit(lg, &w);
		fclose(lg->f);
	}
	free(lg);
}

/*
 * An order event. what: "accepted" or "rejected" write an "order" line
 * with that result; anything else ("cancel", "expire") is the line's ev,
 * with the order's state (status, filled, fee) at that point.
 */
void sim_ledger_order(struct sim_ledger *lg, const struct sim_exch *x,
		      const struct sim_order *o, const char *what)
{
	bool entry = !strcmp(what, "accepted") || !strcmp(what, "rejected");
	char buf[LINE_MAX_BYTES];
	struct jw w;

	if (!lg)
		return;
	if (!strcmp(what, "accepted"))
		lg->orders++;
	else if (!strcmp(what, "rejected"))
		lg->rejects++;
	else if (!strcmp(what, "cancel"))
		lg->cancels++;
	else if (!strcmp(what, "expire"))
		lg->expires++;
	else
		lg->events++;
	if (!lg->f)
		return;
	jw_init(&w, buf, sizeof(buf));
	put_order_head(&w, x, o, entry ? "order" : what);
	put_str(&w, "type", type_name(o->type));
	put_str(&w, "tif", tif_name(o->tif));
	put_fx(&w, "px", o->px);
	put_fx(&w, "qty", o->qty);
	put_fx(&w, "quote_qty", o->quote_qty);
	if (entry) {
		put_str(&w, "result", what);
		put_str(&w, "reject", sim_reject_name(o->reject));
		put_md_age(&w, x, o->recv_ns);
	}
	put_str(&w, "status", sim_ord_status_name(o->status));
	if (!entry) {
		put_fx(&w, "filled", o->filled);
		put_fx(&w, "filled_quote", o->filled_quote);
		put_fx(&w, "fee", o->fee);
		put_asset(&w, "fee_asset", o->fee_asset);
	}
	emit(lg, &w);
}

void sim_ledger_fill(struct sim_ledger *lg, const struct sim_exch *x,
		     const struct sim_order *o, const struct sim_fill *f)
{
	char buf[LINE_MAX_BYTES];
	struct jw w;

	if (!lg)
		return;
	lg->fills++;
	if (!lg->f)
		return;
	jw_init(&w, buf, sizeof(buf));
	put_order_head(&w, x, o, "fill");
	put_u64(&w, "trade_id", f->trade_id);
	put_u64(&w, "exec_id", f->exec_id);
	put_fx(&w, "px", f->px);
	put_fx(&w, "qty", f->qty);
	put_fx(&w, "quote", f->quote);
	put_fx(&w, "fee", f->fee);
	put_asset(&w, "fee_asset", f->fee_asset);
	jw_raw(&w, ",", 1);
	jw_key(&w, "maker");
	jw_lit(&w, f->maker ? "true" : "false");
	put_str(&w, "status", sim_ord_status_name(o->status));
	emit(lg, &w);
}

void sim_ledger_balance(struct sim_ledger *lg, const struct sim_exch *x,
			const struct sim_account *a, unsigned asset, sim_fx dfree,
			sim_fx dlocked)
{
	char buf[512];
	struct jw w;

	if (!lg)
		return;
	lg->balances++;
	if (!lg->f)
		return;
	jw_init(&w, buf, sizeof(buf));
	put_head(&w, "balance");
	put_venue(&w, x, a->venue);
	put_u64(&w, "acct", a->id);
	put_asset(&w, "asset", asset);
	put_fx(&w, "free", asset < SIM_MAX_ASSETS ? a->free[asset] : 0);
	put_fx(&w, "locked", asset < SIM_MAX_ASSETS ? a->locked[asset] : 0);
	put_fx(&w, "delta_free", dfree);
	put_fx(&w, "delta_locked", dlocked);
	emit(lg, &w);
}

/*
 * json: the members after "ev" and "t", without braces ('"a":1,"b":"x"');
 * a leading comma is accepted. NULL or "" writes just ev and t. Not
 * checked: the caller writes valid JSON.
 */
void sim_ledger_event(struct sim_ledger *lg, const char *ev, const char *json)
{
	char buf[256];
	struct jw w;

	if (!lg)
		return;
	lg->events++;
	if (!lg->f)
		return;
	while (json && (*json == ',' || *json == ' '))
		json++;
	jw_init(&w, buf, sizeof(buf));
	put_head(&w, ev);
	if (json && *json) {
		jw_raw(&w, ",", 1);
		if (!jw_done(&w)) {
			lg->write_errors++;
			return;
		}
		/* the caller's text may be long: straight through, one flush */
		if (fputs(w.p, lg->f) < 0 || fputs(json, lg->f) < 0 ||
		    fputs("}\n", lg->f) < 0 || fflush(lg->f))
			lg->write_errors++;
		return;
	}
	emit(lg, &w);
}
