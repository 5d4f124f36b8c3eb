/* SPDX-License-Identifier: MIT */
/*
 * The premium and risk stages: a real stratd and a real riskd in this
 * process on segments in a private directory, the strat bench's world
 * (bench/strat/world.c, strat.c, risk.c: see bench/strat/sbench.h), each
 * operation one call of the daemon's own loop turn with one message
 * waiting on its input ring:
 *
 *   premium  stratd_poll on an MD_TOP of upbit BTC whose premium sits
 *            within a deviation of the model's mean: the books read, the
 *            premium of both directions, the model sampled, no trade (the
 *            common case; the strat bench's stratd.mean)
 *   risk     riskd_poll on a binance BTC buy intent every check passes:
 *            the order and the APPROVED verdict published, journaled and
 *            committed (the strat bench's riskd.approved)
 *
 * The event or intent is put on the ring before (not counted), and after
 * each call the bench's check reads what the daemon put out, verifies it
 * and puts the state back (the entry's pair rejected, the order expired),
 * so every call does the same work. Housekeeping is run once at the start
 * and held off for the run, as in a strat bench round.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../common/bench_util.h"
#include "../strat/sbench.h"
#include "icount.h"

struct eng_st {
	struct sb_world w;
	struct sb_cfg cfg;
	bool open;
	enum sb_path p;
	int handled;            /* what the last poll returned */
};

static int eng_open(struct ic_run *r, enum sb_path p)
{
	struct eng_st *s = calloc(1, sizeof(*s));
	bool strat = p == SB_STRAT_MEAN || p == SB_STRAT_ENTRY;
	int e;

	r->st = s;
	if (!s)
		return ic_fail(r, -ENOMEM, "out of memory");
	s->p = p;
	s->cfg.tmp_parent = r->tmp_parent;
	s->cfg.cpu = -1;
	if (bu_signals(IC_PROG))
		return ic_fail(r, -EINVAL, "cannot set the signal handlers");
	bu_signal_cleanup(sb_world_unlink);
	if ((e = sb_world_open(&s->w, &s->cfg)))
		return ic_fail(r, e, "the strat bench's world did not open (said above)");
	s->open = true;
	e = strat ? sb_strat_prepare(&s->w, p, r->err, sizeof(r->err)) :
		    sb_risk_prepare(&s->w, p, r->err, sizeof(r->err));
	if (e)
		return e;
	if (strat)
		sb_strat_round_begin(&s->w);
	else
		sb_risk_round_begin(&s->w);
	return 0;
}

static int eng_before(struct ic_run *r, uint64_t i)
{
	struct eng_st *s = r->st;

	s->handled = -1;
	return s->p == SB_STRAT_MEAN ? sb_strat_setup(&s->w, s->p, i, r->err, sizeof(r->err)) :
				       sb_risk_setup(&s->w, s->p, i, r->err, sizeof(r->err));
}

static int premium_op(struct ic_run *r, uint64_t i)
{
	struct eng_st *s = r->st;

	(void)i;
	s->handled = sb_strat_call(&s->w);
	return 0;
}

static int risk_op(struct ic_run *r, uint64_t i)
{
	struct eng_st *s = r->st;

	(void)i;
	s->handled = sb_risk_call(&s->w);
	return 0;
}

static int eng_after(struct ic_run *r, uint64_t i)
{
	struct eng_st *s = r->st;
	int e;

	if (s->handled != 1)
		return ic_fail(r, -EPROTO, "call %llu: the poll handled %d messages, not the 1 "
			       "waiting", (unsigned long long)i, s->handled);
	e = s->p == SB_STRAT_MEAN ? sb_strat_check(&s->w, s->p, i, r->err, sizeof(r->err)) :
				    sb_risk_check(&s->w, s->p, i, r->err, sizeof(r->err));
	if (!e)
		r->produced++;
	return e;
}

static void eng_close(struct ic_run *r)
{
	struct eng_st *s = r->st;

	if (s && s->open) {
		if (s->p == SB_STRAT_MEAN)
			sb_strat_round_end(&s->w);
		else
			sb_risk_round_end(&s->w);
		sb_world_close(&s->w);
	}
	free(s);
	r->st = NULL;
	bu_signal_cleanup(NULL);
}

static int premium_open(struct ic_run *r) { return eng_open(r, SB_STRAT_MEAN); }
static int risk_open(struct ic_run *r) { return eng_open(r, SB_RISK_APPROVED); }

const struct ic_stage ic_premium_stage = {
	.name = "premium",
	.what = "stratd_poll on an md event: books, premium, model sample, no trade",
	.iters = 1000, .open = premium_open, .before = eng_before, .op = premium_op,
	.after = eng_after, .close = eng_close,
};

const struct ic_stage ic_risk_stage = {
	.name = "risk",
	.what = "riskd_poll on an intent every check passes: verdict + order",
	.iters = 1000, .open = risk_open, .before = eng_before, .op = risk_op,
	.after = eng_after, .close = eng_close,
};
