/* SPDX-License-Identifier: MIT */
/*
 * riskd's paths. The timed call is riskd_poll, the daemon's own loop turn:
 * the outbox check, its two inputs (reports empty, one intent), and the
 * intent's transaction: every check against the state and the live book,
 * the journal, the commit, the order and the verdict published, the
 * intents ring committed. Its housekeeping timer is held off while a round
 * is timed and run at the start of each round instead.
 *
 *   approved  buy 0.01 BTC on binance at the ask (IOC, an entry leg):
 *             every check passes, limits set so each one runs (rates,
 *             positions, net exposure, balance, price band, slippage,
 *             quote age): the order and an APPROVED verdict. Afterwards
 *             (untimed) the bench reads both and sends riskd an EXPIRED
 *             report with nothing filled (what an IOC that missed gets),
 *             which closes the order and frees its reservation: every
 *             call decides from the same state.
 *   rejected  sell 0.1 ETH on binance, where nothing is held: every check
 *             but the last passes, the balance rejects it (BALANCE): the
 *             verdict alone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tsc.h"
#include "sbench.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EPROTO)

#define E8  100000000ll
#define BTC 1u
#define ETH 2u

static struct kimp_intent sent;

int sb_risk_call(struct sb_world *w)
{
	return (int)riskd_poll(&w->d);
}

int sb_risk_setup(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen)
{
	struct kimp_intent *in = &sent;
	bool ok = p == SB_RISK_APPROVED;

	(void)i;
	memset(in, 0, sizeof(*in));
	in->h.type = KIMP_MSG_INTENT;
	in->h.venue = KIMP_VENUE_BINANCE;
	in->h.inst = ok ? BTC : ETH;
	in->h.ingress_tsc = kimp_rdtsc();
	in->intent_id = w->next_intent_id++;
	in->pair_id = w->next_pair_id++;
	in->px = ok ? w->rec[SB_BN_BTC].asks[0].px : w->rec[SB_BN_ETH].bids[0].px;
	in->qty = ok ? E8 / 100 : E8 / 10;
	in->max_slip_px = 0;
	in->decision_tsc = kimp_rdtsc();
	in->side = ok ? KIMP_SIDE_BUY : KIMP_SIDE_SELL;
	in->tif = KIMP_TIF_IOC;
	in->leg = 1;
	in->leg_count = 2;
	in->strategy = in->h.inst;
	in->kind = KIMP_INTENT_ENTRY;
	if (shm_ring_push(&w->intents_in, in, sizeof(*in)))
		return ERR("riskd left intents on its ring");
	return 0;
}

/* An EXPIRED report with nothing filled for the order: it closes. */
static int expire(struct sb_world *w, const struct kimp_order *o, char *err, size_t errlen)
{
	const struct kimp_risk_state *st = w->d.st;
	struct kimp_exec_report r;
	uint32_t n;

	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = o->h.venue;
	r.h.inst = o->h.inst;
	r.client_oid = o->client_oid;
	r.exec_id = o->client_oid;
	r.state = KIMP_ORD_EXPIRED;
	r.side = o->side;
	r.leg = o->leg;
	r.pair_id = o->pair_id;
	if (shm_ring_push(&w->rep_risk, &r, sizeof(r)))
		return ERR("riskd's reports ring is full");
	n = riskd_poll(&w->d);
	if (n != 1)
		return ERR("riskd took %u messages, not the report", n);
	if (st->venue[o->h.venue].open_orders || st->venue[o->h.venue].reserved)
		return ERR("the expired order left state behind (open orders %lld, reserved %lld)",
			   (long long)st->venue[o->h.venue].open_orders,
			   (long long)st->venue[o->h.venue].reserved);
	return 0;
}

int sb_risk_check(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen)
{
	struct kimp_verdict v;
	struct kimp_order o;
	bool ok = p == SB_RISK_APPROVED;

	(void)i;
	if (shm_ring_pop(&w->d_verdicts, &v, sizeof(v)))
		return ERR("riskd made no verdict");
	if (v.h.type != KIMP_MSG_VERDICT || v.intent_id != sent.intent_id)
		return ERR("the verdict is not the intent's (type %u, intent %llu)", v.h.type,
			   (unsigned long long)v.intent_id);
	if (ok ? v.verdict != KIMP_VERDICT_APPROVED || v.qty != sent.qty
	       : v.verdict != KIMP_VERDICT_REJECTED || v.reason != KIMP_RISK_BALANCE)
		return ERR("verdict %u reason %s (limit %lld, value %lld), not %s", v.verdict,
			   kimp_risk_reason_name(v.reason), (long long)v.limit, (long long)v.value,
			   ok ? "approved as asked" : "rejected for the balance");
	if (!ok)
		return shm_ring_peek(&w->d_orders) ? ERR("a rejected intent made an order") : 0;
	if (shm_ring_pop(&w->d_orders, &o, sizeof(o)))
		return ERR("the approved intent made no order");
	if (o.h.type != KIMP_MSG_ORDER_NEW || o.client_oid != v.client_oid || o.qty != sent.qty ||
	    o.px != sent.px)
		return ERR("the order is not the verdict's (type %u, oid %llu / %llu)", o.h.type,
			   (unsigned long long)o.client_oid, (unsigned long long)v.client_oid);
	return expire(w, &o, err, errlen);
}

void sb_risk_round_begin(struct sb_world *w)
{
	for (int b = 0; b < SB_NBOOKS; b++)
		sb_book_touch(w, b);
	w->d.next_hk_tsc = 0;
	riskd_poll(&w->d);          /* housekeeping, now: the rate, marks, PnL */
	w->d.next_hk_tsc = UINT64_MAX;
}

void sb_risk_round_end(struct sb_world *w)
{
	w->d.next_hk_tsc = 0;
}

int sb_risk_prepare(struct sb_world *w, enum sb_path p, char *err, size_t errlen)
{
	int e = 0;

	(void)p;
	sb_risk_round_begin(w);
	if (w->d.st->lim.rate <= 0)
		e = ERR("riskd has no KRW/USDT rate after housekeeping (its books?)");
	sb_risk_round_end(w);
	return e;
}
