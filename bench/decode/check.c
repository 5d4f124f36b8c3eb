/* SPDX-License-Identifier: MIT */
/*
 * One decode by any of the three parsers, the field by field comparison
 * that makes the timing honest (every parser must give the same values on
 * every input), and the precision note: number lexemes of the venues' forms
 * through the double path (strtod or a bare JSON number, scaled, llround)
 * against their exact fixed point.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/msg.h"
#include "dbench.h"

/* ---- struct dref_msg is struct vd_msg ----------------------------------------------------- */

#define PIN(f) KIMP_STATIC_ASSERT(offsetof(struct dref_msg, f) == offsetof(struct vd_msg, f) && \
				  sizeof(((struct dref_msg *)0)->f) ==                    \
				  sizeof(((struct vd_msg *)0)->f), "dref_msg." #f)
PIN(kind); PIN(venue); PIN(snapshot); PIN(aggressor); PIN(sym); PIN(venue_ts_ns);
PIN(trade_ts_ns); PIN(first_id); PIN(last_id); PIN(trade_id); PIN(px); PIN(qty); PIN(bid);
PIN(ask); PIN(nbids); PIN(nasks); PIN(cap); PIN(bids); PIN(asks); PIN(req_id); PIN(sym_name);
PIN(sym_name_len); PIN(err_name); PIN(err_name_len); PIN(err_code); PIN(checksum); PIN(resync);
KIMP_STATIC_ASSERT(sizeof(struct dref_msg) == sizeof(struct vd_msg), "dref_msg size");
KIMP_STATIC_ASSERT(sizeof(struct dref_level) == sizeof(struct vd_level) &&
		   offsetof(struct dref_level, qty) == offsetof(struct vd_level, qty),
		   "dref_level");
KIMP_STATIC_ASSERT(DREF_BOOK == VD_BOOK && DREF_DIFF == VD_DIFF &&
		   DREF_SNAPSHOT == VD_SNAPSHOT && DREF_BBO == VD_BBO &&
		   DREF_TRADE == VD_TRADE && DREF_TICKER == VD_TICKER, "kinds");
KIMP_STATIC_ASSERT(DREF_E_SYNTAX == VD_E_SYNTAX && DREF_E_SHAPE == VD_E_SHAPE &&
		   DREF_E_NUMBER == VD_E_NUMBER && DREF_E_SYMBOL == VD_E_SYMBOL &&
		   DREF_E_TYPE == VD_E_TYPE && DREF_E_DEPTH == VD_E_DEPTH, "errors");
KIMP_STATIC_ASSERT(DREF_SIDE_BUY == KIMP_SIDE_BUY && DREF_SIDE_SELL == KIMP_SIDE_SELL, "sides");
KIMP_STATIC_ASSERT(DREF_SYM_NONE == VENUE_SYM_NONE && DREF_SYMS_MAX == VENUE_SYMS_MAX, "syms");
KIMP_STATIC_ASSERT(__builtin_types_compatible_p(__typeof__(venue_symtab_find), dref_find_fn),
		   "venue_symtab_find's type");

const char *const db_parser_name[DB_NPARSERS] = {
	"ours", "cjson", "simdjson", "cjson_parse_only", "simdjson_parse_only",
};

int db_decode(const struct db_run *r, const struct db_case *c, enum db_parser p,
	      struct vd_msg *m)
{
	const struct venue_md *md = venue_md_get(c->venue);
	const struct venue_symtab *t = r->tab[db_vi(c->venue)];
	const struct dref_tab *rt = r->rtab[db_vi(c->venue)];
	struct dref_msg *dm = (struct dref_msg *)m;

	vd_msg_reset(m);
	switch (p) {
	case DB_OURS:
		return c->snapshot ? md->decode_snapshot(t, c->sym, c->buf, c->len, m) :
				     md->decode(t, c->buf, c->len, m);
	case DB_CJSON:
		return c->snapshot ? dref_cjson_snapshot(rt, c->sym, c->buf, c->len, dm) :
				     dref_cjson_decode(rt, c->venue, c->buf, c->len, dm);
	case DB_SIMD:
		return c->snapshot ? dref_simd_snapshot(rt, c->sym, c->buf, c->len, dm) :
				     dref_simd_decode(rt, c->venue, c->buf, c->len, dm);
	case DB_CJSON_PARSE:
	case DB_SIMD_PARSE:
	case DB_NPARSERS:
		break;
	}
	return -EINVAL;
}

/* ---- comparison ---------------------------------------------------------------------------- */

#define SAME(f, fmt)                                                                    \
	do {                                                                             \
		if (m->f != w->f) {                                                      \
			snprintf(why, len, #f " %" fmt " where ours has %" fmt, m->f, w->f); \
			return 1;                                                        \
		}                                                                        \
	} while (0)

static int same_str(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (!a || !b)
		return !a && !b;
	return alen == blen && !memcmp(a, b, alen);
}

static int same_levels(const char *side, const struct vd_level *a, const struct vd_level *b,
		       uint32_t n, char *why, size_t len)
{
	for (uint32_t i = 0; i < n; i++) {
		if (a[i].px != b[i].px || a[i].qty != b[i].qty) {
			snprintf(why, len, "%s[%u] %" PRId64 " x %" PRId64 " where ours has %"
				 PRId64 " x %" PRId64, side, i, a[i].px, a[i].qty, b[i].px,
				 b[i].qty);
			return 1;
		}
	}
	return 0;
}

int db_msg_diff(const struct vd_msg *m, const struct vd_msg *w, char *why, size_t len)
{
	SAME(kind, "u");
	SAME(venue, "u");
	SAME(snapshot, "u");
	SAME(aggressor, "u");
	SAME(sym, PRIu32);
	SAME(venue_ts_ns, PRId64);
	SAME(trade_ts_ns, PRId64);
	SAME(first_id, PRIu64);
	SAME(last_id, PRIu64);
	SAME(trade_id, PRIu64);
	SAME(px, PRId64);
	SAME(qty, PRId64);
	SAME(bid.px, PRId64);
	SAME(bid.qty, PRId64);
	SAME(ask.px, PRId64);
	SAME(ask.qty, PRId64);
	SAME(nbids, PRIu32);
	SAME(nasks, PRIu32);
	SAME(req_id, PRIu64);
	SAME(err_code, PRId32);
	SAME(checksum, PRId32);
	SAME(resync, "u");
	if (!same_str(m->sym_name, m->sym_name_len, w->sym_name, w->sym_name_len)) {
		snprintf(why, len, "sym_name '%.*s' where ours has '%.*s'",
			 m->sym_name ? (int)m->sym_name_len : 6,
			 m->sym_name ? m->sym_name : "(none)",
			 w->sym_name ? (int)w->sym_name_len : 6,
			 w->sym_name ? w->sym_name : "(none)");
		return 1;
	}
	if (!same_str(m->err_name, m->err_name_len, w->err_name, w->err_name_len)) {
		snprintf(why, len, "err_name differs");
		return 1;
	}
	return same_levels("bids", m->bids, w->bids, w->nbids, why, len) ||
	       same_levels("asks", m->asks, w->asks, w->nasks, why, len);
}

/* ---- precision ---------------------------------------------------------------------------- */

static const struct {
	const char *lexeme, *what;
	unsigned dec;
} prec_lexemes[] = {
	{ "0.10623869", "an Upbit size (bare number)", DB_QTY_DEC },
	{ "57261.83000000", "a Binance price (string)", DB_PX_DEC },
	{ "137002000", "a KRW-BTC price, 1.37e16 at 8 decimals (trailing zeros)", DB_PX_DEC },
	{ "90071993.00000001", "just above 2^53 at 8 decimals", DB_QTY_DEC },
	{ "250000000.12345678", "a meme-coin size with 8 decimals", DB_QTY_DEC },
	{ "17877285547970000", "an Upbit sequential_id (captured)", 0 },
	{ "17877285547970001", "the next sequential_id", 0 },
	{ "1079953210371761733", "a Bithumb-sized sequential_id", 0 },
};

/* The exact value of a plain decimal lexeme at dec decimals (false: it does not fit). */
static bool exact_fixed(const char *s, unsigned dec, int64_t *out)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool point = false;

	for (; *s; s++) {
		if (*s == '.') {
			point = true;
			continue;
		}
		if (point && frac == dec)
			return false;      /* finer than the scale */
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		frac += point;
	}
	for (; frac < dec; frac++) {
		if (v > UINT64_MAX / 10)
			return false;
		v *= 10;
	}
	if (dec && v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

void db_precision(struct db_run *r)
{
	r->nprec = 0;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(prec_lexemes) && r->nprec < DB_MAX_PREC; i++) {
		struct db_prec *p = &r->prec[r->nprec++];
		double d = strtod(prec_lexemes[i].lexeme, NULL);

		p->lexeme = prec_lexemes[i].lexeme;
		p->what = prec_lexemes[i].what;
		p->dec = prec_lexemes[i].dec;
		p->exact_ok = exact_fixed(p->lexeme, p->dec, &p->exact);
		if (p->dec) {
			double v = d * pow(10, p->dec);

			p->dbl_ok = isfinite(v) && fabs(v) < 9.2e18;
			p->dbl = p->dbl_ok ? llround(v) : 0;
		} else {
			p->dbl_ok = d >= 0 && d < 1.8e19;
			p->dbl = p->dbl_ok ? (int64_t)(uint64_t)d : 0;
		}
	}
}

/* ---- the timed loop ------------------------------------------------------------------------- */

static volatile uint64_t db_sink;

#define LOOP(call)                                                       \
	for (uint64_t i = 0; i < n; i++) {                               \
		vd_msg_reset(m);                                         \
		int e_ = (call);                                         \
		errs += e_ != 0;                                         \
		acc += (uint64_t)m->px + m->nbids + m->nasks;            \
	}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t db_time(const struct db_run *r, const struct db_case *c, enum db_parser p,
		 struct vd_msg *m, uint64_t n, uint64_t *errors, uint64_t *wall_ns)
{
	const struct venue_md *md = venue_md_get(c->venue);
	const struct venue_symtab *t = r->tab[db_vi(c->venue)];
	const struct dref_tab *rt = r->rtab[db_vi(c->venue)];
	struct dref_msg *dm = (struct dref_msg *)m;
	const uint8_t *buf = c->buf;
	size_t len = c->len;
	uint64_t errs = 0, acc = 0, w0, c0, cpu;

	w0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	switch (p) {
	case DB_OURS:
		if (c->snapshot)
			LOOP(md->decode_snapshot(t, c->sym, buf, len, m))
		else
			LOOP(md->decode(t, buf, len, m))
		break;
	case DB_CJSON:
		if (c->snapshot)
			LOOP(dref_cjson_snapshot(rt, c->sym, buf, len, dm))
		else
			LOOP(dref_cjson_decode(rt, c->venue, buf, len, dm))
		break;
	case DB_SIMD:
		if (c->snapshot)
			LOOP(dref_simd_snapshot(rt, c->sym, buf, len, dm))
		else
			LOOP(dref_simd_decode(rt, c->venue, buf, len, dm))
		break;
	case DB_CJSON_PARSE:
		LOOP(dref_cjson_parse_only(buf, len))
		break;
	case DB_SIMD_PARSE:
		LOOP(dref_simd_parse_only(buf, len))
		break;
	case DB_NPARSERS:
		break;
	}
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	*wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
	db_sink += acc;
	*errors = errs;
	return cpu;
}
