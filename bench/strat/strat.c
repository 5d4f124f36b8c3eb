/* SPDX-License-Identifier: MIT */
/*
 * stratd's paths. The timed call is stratd_poll, the daemon's own loop
 * turn: the clock, its three inputs (verdicts and reports empty, one md
 * event), and whatever the event makes it do, up to the intents on the
 * ring and the transaction committed. Its housekeeping timer is held off
 * while a round is timed and run at the start of each round instead.
 *
 *   mean   MD_TOP on upbit BTC. The BTC model (half-life 50 ms of book
 *          time, entry at 2 deviations) has learnt a premium that moves
 *          one tick either side of its level, and each event moves it to
 *          the other side: the premium sits within a deviation of its
 *          mean, the model takes the sample, no trade (the common case).
 *   entry  MD_TOP on upbit ETH. The ETH model (half-life 30 days: it
 *          barely moves) learnt the premium at ~0.01%; the book now holds
 *          it ~1% above: both directions walked, the entry rule passes,
 *          the pair sized and opened, two IOC intents pushed. Afterwards
 *          (untimed) the bench reads both intents off stratd's ring and
 *          sends a rejection for each through stratd's verdicts input, so
 *          stratd frees the pair and its reservations: every call opens
 *          the pair from the same state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tsc.h"
#include "sbench.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EPROTO)

#define E8     100000000ll
#define BTC    1u   /* engine inst ids: BTC ETH XRP USDT */
#define ETH    2u

#define MEAN_WARM 10000   /* events that teach the BTC model its mean and deviation */

static uint64_t evals0, entries0;
static int64_t samples0;
static unsigned mean_side;

static uint64_t ctr(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* upbit BTC one tick above (side 0) or below (1) its level */
static void btc_side(struct sb_world *w, unsigned side)
{
	int64_t m = (side ? 97999000 : 98001000) * E8;

	sb_levels(w, SB_UB_BTC, m - 1000 * E8, m, 1000 * E8, E8, 10);
}

static void eth_at(struct sb_world *w, bool high)
{
	int64_t bid = (high ? 4949000 : 4900000) * E8;

	sb_levels(w, SB_UB_ETH, bid, bid + 1000 * E8, 1000 * E8, 10 * E8, 10);
}

uint64_t sb_strat_why(const struct sb_world *w, unsigned why)
{
	return why < STRAT_WHY_MAX ? ctr(w->s.m.why[why]) : 0;
}

int sb_strat_call(struct sb_world *w)
{
	return stratd_poll(&w->s);
}

int sb_strat_setup(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen)
{
	int slot = p == SB_STRAT_MEAN ? SB_UB_BTC : SB_UB_ETH;

	(void)i;
	if (p == SB_STRAT_MEAN)
		btc_side(w, mean_side ^= 1);
	sb_book_write(w, slot);
	if (sb_md_top(w, slot))
		return ERR("stratd left md events on its ring");
	evals0 = ctr(w->s.m.evals);
	entries0 = ctr(w->s.m.entries);
	samples0 = w->s.st->coin[p == SB_STRAT_MEAN ? BTC : ETH].n;
	return 0;
}

/* The pair's two intents, read off stratd's ring: 0 or -EPROTO. */
static int take_pair(struct sb_world *w, struct kimp_intent in[2], char *err, size_t errlen)
{
	for (int l = 0; l < 2; l++)
		if (shm_ring_pop(&w->s_intents, &in[l], sizeof(in[l])))
			return ERR("the entry made %d intent(s), not 2", l);
	if (shm_ring_peek(&w->s_intents))
		return ERR("the entry made more than 2 intents");
	for (int l = 0; l < 2; l++) {
		const struct kimp_intent *x = &in[l];
		if (x->h.type != KIMP_MSG_INTENT || x->kind != KIMP_INTENT_ENTRY || x->leg != l ||
		    x->leg_count != 2 || x->pair_id != in[0].pair_id || x->h.inst != ETH ||
		    x->h.venue != (l ? KIMP_VENUE_BINANCE : KIMP_VENUE_UPBIT) ||
		    x->side != (l ? KIMP_SIDE_BUY : KIMP_SIDE_SELL) || x->qty <= 0 || x->px <= 0)
			return ERR("intent %d is not the entry leg expected (type %u kind %u leg "
				   "%u/%u venue %u side %u)", l, x->h.type, x->kind, x->leg,
				   x->leg_count, x->h.venue, x->side);
	}
	return 0;
}

/* Reject both legs through stratd's verdicts input: the pair is freed. */
static int reject_pair(struct sb_world *w, const struct kimp_intent in[2], char *err,
		       size_t errlen)
{
	const struct kimp_strat_state *st = w->s.st;
	int n;

	for (int l = 0; l < 2; l++) {
		struct kimp_verdict v;

		memset(&v, 0, sizeof(v));
		v.h.type = KIMP_MSG_VERDICT;
		v.h.venue = in[l].h.venue;
		v.h.inst = in[l].h.inst;
		v.h.ingress_tsc = in[l].h.ingress_tsc;
		v.intent_id = in[l].intent_id;
		v.pair_id = in[l].pair_id;
		v.px = in[l].px;
		v.verdict = KIMP_VERDICT_REJECTED;
		v.leg = in[l].leg;
		v.reason = KIMP_RISK_BALANCE;
		v.kind = in[l].kind;
		if (shm_ring_push(&w->verdicts_in, &v, sizeof(v)))
			return ERR("stratd's verdicts ring is full");
	}
	n = stratd_poll(&w->s);
	if (n != 2)
		return ERR("stratd took %d of the 2 verdicts", n);
	if (st->pairs_open || st->queued || st->coin[ETH].unhedged)
		return ERR("the rejected pair left state behind (pairs open %lld, queued %lld, "
			   "unhedged %lld)", (long long)st->pairs_open, (long long)st->queued,
			   (long long)st->coin[ETH].unhedged);
	return 0;
}

int sb_strat_check(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen)
{
	uint64_t evals = ctr(w->s.m.evals) - evals0, entries = ctr(w->s.m.entries) - entries0;
	struct kimp_intent in[2];
	int e;

	(void)i;
	int64_t samples = w->s.st->coin[p == SB_STRAT_MEAN ? BTC : ETH].n - samples0;

	if (evals != 1 || samples != 1)
		return ERR("the event made %llu evaluations and %lld model samples, not 1 and 1",
			   (unsigned long long)evals, (long long)samples);
	if (p == SB_STRAT_MEAN) {
		if (entries || shm_ring_peek(&w->s_intents))
			return ERR("the premium at its mean made a trade");
		return 0;
	}
	if (entries != 1)
		return ERR("the event made %llu entries, not 1 (why: the last evaluation's "
			   "counters)", (unsigned long long)entries);
	if ((e = take_pair(w, in, err, errlen)))
		return e;
	return reject_pair(w, in, err, errlen);
}

void sb_strat_round_begin(struct sb_world *w)
{
	for (int b = 0; b < SB_NBOOKS; b++)
		sb_book_touch(w, b);
	w->s.next_house_ns = 0;
	stratd_poll(&w->s);         /* housekeeping, now */
	w->s.next_house_ns = UINT64_MAX;
}

void sb_strat_round_end(struct sb_world *w)
{
	w->s.next_house_ns = 0;
}

int sb_strat_prepare(struct sb_world *w, enum sb_path p, char *err, size_t errlen)
{
	int e;

	sb_strat_round_begin(w);
	if (p == SB_STRAT_MEAN) {
		/* the BTC model learns the level and its one-tick moves */
		for (int k = 0; k < MEAN_WARM; k++) {
			if ((e = sb_strat_setup(w, p, 0, err, errlen)))
				goto out;
			stratd_poll(&w->s);
			if ((e = sb_strat_check(w, p, 0, err, errlen)))
				goto out;
		}
	} else {
		/* one sample at the usual premium, then the book moves ~1% up */
		eth_at(w, false);
		sb_book_write(w, SB_UB_ETH);
		if (sb_md_top(w, SB_UB_ETH)) {
			e = ERR("the md ring is full");
			goto out;
		}
		stratd_poll(&w->s);
		if (w->s.st->coin[ETH].n < 1) {
			e = ERR("the ETH model took no sample (books not read?)");
			goto out;
		}
		eth_at(w, true);
		e = 0;
	}
out:
	sb_strat_round_end(w);
	return e;
}
