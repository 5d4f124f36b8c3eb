/* SPDX-License-Identifier: MIT */
/*
 * riskd test helpers: a configuration from text, a state region in
 * process memory, a fake clock (1 TSC tick = 1 ns) and a table of book tops
 * the tests set, so the ledger and the limits run without any process.
 *
 * The base configuration (RT_BASE): coins BTC ETH XRP USDT; upbit (KRW,
 * px_dec 2, qty_dec 8, fee 0.05%), binance (USDT, px_dec 2, qty_dec 5,
 * coins BTC ETH, fee 0.1%); balances below. Tests add [riskd] and
 * [risk.NAME] keys (RT_STD: a fixed rate, no rate limits, no breaker).
 */
#ifndef KIMP_TESTS_RTEST_H
#define KIMP_TESTS_RTEST_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/config.h"
#include "kimp/risk.h"
#include "../../riskd/riskd.h"

#define UP KIMP_VENUE_UPBIT
#define BN KIMP_VENUE_BINANCE
#define BTC 1u
#define ETH 2u
#define XRP 3u
#define USDT 4u
#define BUY KIMP_SIDE_BUY
#define SELL KIMP_SIDE_SELL

#define RT_NOW 1000000000000ull            /* the fake clock: 1000 s */
#define RT_REAL 1700000000000000000ull     /* creation time (real ns) */

#define RT_BASE                                                                    \
	"[engine]\ncoins = BTC ETH XRP USDT\n"                                     \
	"[venue.upbit]\npx_dec = 2\nqty_dec = 8\n"                                 \
	"[venue.binance]\ncoins = BTC ETH\npx_dec = 2\nqty_dec = 5\n"              \
	"[balance.upbit]\nKRW = 1000000000\nBTC = 2\nUSDT = 10000\n"               \
	"[balance.binance]\nUSDT = 1000000\nBTC = 2\nETH = 10\n"

/* a fixed rate, no order-rate limits, no breaker */
#define RT_RATE "[riskd]\nrate = 1400\n"
#define RT_NORATES                                                                 \
	"[risk.upbit]\nrate_second = 0\nrate_minute = 0\n"                         \
	"[risk.binance]\nrate_second = 0\nrate_minute = 0\n"
#define RT_NOBREAKER "[riskd]\nbreaker_count = 0\n"
#define RT_STD RT_RATE RT_NORATES RT_NOBREAKER

/* upbit KRW prices at 2 decimals, binance USDT prices at 2 decimals */
#define KRW(x) ((int64_t)(x) * 100)
#define USD(x) ((int64_t)(x) * 100)
#define UQ(x) ((int64_t)((x) * 100000000.0 + 0.5))  /* upbit qty */
#define BQ(x) ((int64_t)((x) * 100000.0 + 0.5))     /* binance qty */

struct rt {
	struct riskd_conf conf;
	struct kimp_risk_state *st;
	size_t st_size;
	struct kimp_tsc_cal cal;
	struct risk_top books[KIMP_RISK_VENUES][KIMP_RISK_INSTS];
	bool have[KIMP_RISK_VENUES][KIMP_RISK_INSTS];
	struct risk_core rc;
	uint64_t next_id;
	uint64_t now;
};

static inline int rt_book_fn(void *ctx, unsigned v, uint32_t i, struct risk_top *out)
{
	struct rt *t = ctx;

	if (v >= KIMP_RISK_VENUES || i >= KIMP_RISK_INSTS || !t->have[v][i])
		return -ENOENT;
	*out = t->books[v][i];
	return 0;
}

/* Load RT_BASE + extra into c: 0 or -EINVAL with err. */
static inline int rt_conf(struct riskd_conf *c, const char *extra, char *err, size_t errlen)
{
	struct kimp_conf *kc = NULL;
	size_t n = strlen(RT_BASE) + strlen(extra) + 1;
	char *text = malloc(n);
	int e;

	snprintf(text, n, "%s%s", RT_BASE, extra);
	e = kimp_conf_parse("rt.conf", text, &kc, err, errlen);
	if (!e)
		e = riskd_conf_load(kc, c, err, errlen);
	kimp_conf_free(kc);
	free(text);
	return e;
}

static inline void rt_setbook(struct rt *t, unsigned v, uint32_t i, int64_t bid, int64_t ask)
{
	t->books[v][i] = (struct risk_top){ .bid_px = bid, .bid_qty = 1000000000, .ask_px = ask,
					    .ask_qty = 1000000000, .recv_tsc = t->now,
					    .status = KIMP_BOOK_LIVE };
	t->have[v][i] = true;
}

static inline void rt_init(struct rt *t, const char *extra)
{
	char err[512] = "";

	memset(t, 0, sizeof(*t));
	cr_assert_eq(rt_conf(&t->conf, extra, err, sizeof(err)), 0, "%s", err);
	t->conf.order_slots = 64;
	t->st_size = kimp_risk_state_bytes(t->conf.order_slots);
	t->st = aligned_alloc(64, (t->st_size + 63) & ~(size_t)63);
	cr_assert_not_null(t->st);
	risk_state_seed(t->st, t->st_size, &t->conf, RT_REAL);
	t->cal = (struct kimp_tsc_cal){ .tsc_hz = 1000000000ull, .mult = 1, .shift = 0 };
	t->rc = (struct risk_core){ .conf = &t->conf, .st = t->st, .cal = &t->cal,
				    .book = rt_book_fn, .book_ctx = t };
	t->now = RT_NOW;
	t->next_id = 1000;
	rt_setbook(t, UP, BTC, KRW(139999000), KRW(140001000));
	rt_setbook(t, UP, ETH, KRW(4199000), KRW(4201000));
	rt_setbook(t, UP, XRP, KRW(2999), KRW(3001));
	rt_setbook(t, UP, USDT, 139950, 140050);
	rt_setbook(t, BN, BTC, USD(99990), USD(100010));
	rt_setbook(t, BN, ETH, USD(2999), USD(3001));
}

static inline void rt_fini(struct rt *t)
{
	free(t->st);
	t->st = NULL;
}

static inline struct kimp_intent rt_intent(struct rt *t, unsigned v, uint32_t i, unsigned side,
					   int64_t px, int64_t qty, unsigned kind)
{
	struct kimp_intent in;

	memset(&in, 0, sizeof(in));
	in.h.type = KIMP_MSG_INTENT;
	in.h.venue = (uint8_t)v;
	in.h.inst = i;
	in.intent_id = t->next_id++;
	in.pair_id = in.intent_id / 2;
	in.px = px;
	in.qty = qty;
	in.side = (uint8_t)side;
	in.tif = KIMP_TIF_IOC;
	in.leg = 0;
	in.leg_count = kind == KIMP_INTENT_ENTRY ? 2 : 1;
	in.kind = (uint8_t)kind;
	return in;
}

static inline struct risk_decision rt_check(struct rt *t, const struct kimp_intent *in)
{
	struct risk_decision d;

	risk_check(&t->rc, in, t->now, t->now, &d);
	return d;
}

/* Check and take (commit): the decision; *oid the order's client_oid (0 rejected). */
static inline struct risk_decision rt_send(struct rt *t, const struct kimp_intent *in,
					   uint64_t *oid)
{
	struct risk_decision d;
	struct kimp_order o;
	struct kimp_verdict vd;

	risk_check(&t->rc, in, t->now, t->now, &d);
	bool ok = risk_take(&t->rc, in, &d, t->now, t->now, &o, &vd);
	cr_assert_leq(atomic_load(&t->st->undo.n), SHM_UNDO_MAX);
	shm_undo_commit(&t->st->undo);
	cr_assert_eq(vd.intent_id, in->intent_id);
	cr_assert_eq(vd.verdict, d.verdict);
	cr_assert_eq(vd.reason, d.reason);
	if (ok) {
		cr_assert_eq(o.h.type, KIMP_MSG_ORDER_NEW);
		cr_assert_eq(o.qty, d.qty);
		cr_assert_eq(o.client_oid, vd.client_oid);
	}
	if (oid)
		*oid = ok ? o.client_oid : 0;
	return d;
}

/* An intent that must be approved as asked: its client_oid. */
static inline uint64_t rt_order(struct rt *t, unsigned v, uint32_t i, unsigned side, int64_t px,
				int64_t qty)
{
	struct kimp_intent in = rt_intent(t, v, i, side, px, qty, KIMP_INTENT_ENTRY);
	uint64_t oid;
	struct risk_decision d = rt_send(t, &in, &oid);

	cr_assert_eq(d.verdict, KIMP_VERDICT_APPROVED, "reason %s limit %lld value %lld",
		     kimp_risk_reason_name(d.reason), (long long)d.limit, (long long)d.value);
	return oid;
}

/* Apply a report and the PnL update, committed. */
static inline void rt_report(struct rt *t, uint64_t oid, unsigned state, int64_t cum,
			     int64_t last_px, int64_t last_qty, int64_t fee, unsigned fee_asset)
{
	struct kimp_exec_report r;

	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.client_oid = oid;
	r.state = (uint8_t)state;
	r.cum_qty = cum;
	r.last_px = last_px;
	r.last_qty = last_qty;
	r.fee = fee;
	r.fee_asset = (uint8_t)fee_asset;
	risk_apply_report(&t->rc, &r, t->now);
	risk_pnl_update(&t->rc);
	risk_mode_update(&t->rc, t->now);
	cr_assert_leq(atomic_load(&t->st->undo.n), SHM_UNDO_MAX);
	shm_undo_commit(&t->st->undo);
}

/* Expect a decision (evaluated once) to be verdict_ for reason_. */
#define rt_expect(d_, verdict_, reason_)                                                   \
	do {                                                                               \
		struct risk_decision rt_d_ = (d_);                                         \
		cr_expect(rt_d_.verdict == (verdict_) && rt_d_.reason == (reason_),       \
			  "line %d: got verdict %u reason %s (limit %lld value %lld qty "   \
			  "%lld), want verdict %u reason %s", __LINE__, rt_d_.verdict,      \
			  kimp_risk_reason_name(rt_d_.reason), (long long)rt_d_.limit,      \
			  (long long)rt_d_.value, (long long)rt_d_.qty,                     \
			  (unsigned)(verdict_), kimp_risk_reason_name(reason_));            \
	} while (0)

#define APPROVED KIMP_VERDICT_APPROVED
#define TRIMMED KIMP_VERDICT_TRIMMED
#define REJECTED KIMP_VERDICT_REJECTED

#endif
