/* SPDX-License-Identifier: MIT */
/*
 * Rate buckets (core.h): one per venue rule, fixed windows like the
 * venue's own counters, so orderd never draws a 429 by its own doing.
 *
 * Windows. Rule i's windows are aligned on the venue clock: window k is
 * [k * w, (k + 1) * w) with w = window_ns in ms and now_ms the venue's time
 * (our clock plus the offset). budget = floor(limit x share), at least 1.
 *
 * The refill and the edge. Our estimate of the venue clock may be ahead
 * of the venue's own: at our boundary the venue may not have refilled
 * yet. So a new window's refill happens only once now_ms >= boundary +
 * edge_ms; until then requests keep counting in the old window (and are
 * held if it is spent). Those requests may equally have landed in the
 * venue's new window, so they are remembered (edge_used) and the refill
 * starts the new window from them:
 *
 *     used = edge_used + inflight        at the refill
 *
 * where inflight counts the units of requests still unanswered (sent
 * before the refill: they may be counted in the new window too).
 *
 * In flight. orate_take adds a request's units to inflight and counts it
 * in 'pending'; orate_observe is called once per such request when it
 * ends (with the reply's observations, or an empty one when no reply came:
 * timeout, disconnect) and releases ceil(inflight / pending) units of each
 * rule (replies carry no cost: the average; exact once all are answered).
 * A request never answered within 60 s is forgotten (all of inflight then,
 * a safety net for a missed call).
 *
 * Observations. The venue's figure counts everything it processed up to
 * and including that request; what we sent after it and is still
 * unanswered may not be in it. So an observation sets
 *
 *     used = venue_used + inflight       (after this reply's release)
 *
 * where venue_used = value, or limit - value for a "left" figure (Upbit
 * Remaining-Req sec=N). It may lower used (the venue counted less: Binance
 * returns an order's unit when it fills; another window's count) or raise
 * it (another process on the same key or IP): never below what the venue
 * reports. A reply to a request sent before our latest refill may describe
 * the old window: the first 'pending at the refill' replies after a refill
 * are not used for that rule (replies arrive roughly in order; this only
 * errs on the side of our own count).
 *
 * take is all-or-nothing: every rule the operation costs (venue_ord.cost)
 * must have room; else nothing is taken, each rule short of room counts a
 * denial, and the wait is the longest until a refill. A cost above the
 * budget passes on an empty window when it is within the limit.
 *
 * 429 (orate_limited): nothing until retry_at_ms (Retry-After wins, even
 * outside the bounds below), or, when the venue gave no time, our own
 * backoff: backoff_min, doubling to backoff_max, back to backoff_min after
 * a minute with no 429 (the bounds are [order.NAME] backoff_min and
 * backoff_max through orate_set_backoff; 1 s and 60 s until it is called).
 * 418 (orate_banned): nothing until retry_at_ms (60 s when not given); a
 * ban is never shortened. Both make take return the
 * wait. The daemon mirrors backoff_until_ms and banned_until_ms into its
 * kimp_ord_venue (the shared rule array r[] is kept here).
 */
#include <errno.h>
#include <string.h>
#include "core.h"

#define ORATE_BACKOFF_MIN_MS 1000       /* until orate_set_backoff */
#define ORATE_BACKOFF_MAX_MS 60000
#define ORATE_QUIET_MS       60000      /* no 429 this long after a backoff: a new episode */
#define ORATE_BAN_MS         60000      /* a 418 that gives no time */
#define ORATE_FORGET_MS      60000

static inline int64_t win_ms(const struct kimp_ord_rate *r)
{
	int64_t w = (int64_t)(r->window_ns / 1000000);

	return w > 0 ? w : 1;
}

static inline int64_t win_of(int64_t now, int64_t w)
{
	int64_t m = now % w;

	return now - (m < 0 ? m + w : m);
}

static inline uint32_t sat_add(uint32_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

int orate_init(struct orate *o, const struct venue_ord *vo, struct kimp_ord_rate *shared,
	       double share, int64_t edge_ms)
{
	memset(o, 0, sizeof(*o));
	if (!vo || !shared || vo->nrates > KIMP_ORD_RATE_RULES || (vo->nrates && !vo->rates) ||
	    (vo->nrates && !vo->cost) || !(share > 0 && share <= 1) || edge_ms < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < vo->nrates; i++)
		if (!vo->rates[i].limit || vo->rates[i].window_ns < 1000000)
			return -EINVAL;
	o->vo = vo;
	o->r = shared;
	o->nrates = vo->nrates;
	o->edge_ms = edge_ms;
	o->backoff_min_ms = ORATE_BACKOFF_MIN_MS;
	o->backoff_max_ms = ORATE_BACKOFF_MAX_MS;
	o->backoff_ms = ORATE_BACKOFF_MIN_MS;
	memset(shared, 0, sizeof(*shared) * KIMP_ORD_RATE_RULES);
	for (uint32_t i = 0; i < o->nrates; i++) {
		const struct vo_rate_rule *rr = &vo->rates[i];
		/* the epsilon keeps 100 x 0.29 at 29, not 28.999... */
		double b = (double)rr->limit * share + 1e-9;  /* truncated below: floor */

		shared[i].limit = rr->limit;
		shared[i].budget = b < 1 ? 1 : b > rr->limit ? rr->limit : (uint32_t)b;
		shared[i].window_ns = rr->window_ns;
		shared[i].window_start_ms = INT64_MIN;
		o->edge_win_ms[i] = INT64_MIN;
	}
	return 0;
}

/* Forget requests never answered (a missed orate_observe). */
static void forget(struct orate *o, int64_t now)
{
	if (o->pending && now - o->last_reply_ms > ORATE_FORGET_MS) {
		o->pending = 0;
		memset(o->inflight, 0, sizeof(o->inflight));
		memset(o->old, 0, sizeof(o->old));
	}
}

/*
 * Bring rule i to now: the refill when a boundary has passed by edge_ms.
 * Returns the start of the venue's window now is in (> window_start_ms
 * while in the edge before the refill).
 */
static int64_t roll(struct orate *o, unsigned i, int64_t now)
{
	struct kimp_ord_rate *r = &o->r[i];
	int64_t cur = win_of(now, win_ms(r));

	if (cur > r->window_start_ms && now - cur >= o->edge_ms) {
		uint32_t carried = o->edge_win_ms[i] == cur ? o->edge_used[i] : 0;

		r->window_start_ms = cur;
		r->used = sat_add(carried, o->inflight[i]);
		o->old[i] = o->pending;
		o->edge_used[i] = 0;
		o->edge_win_ms[i] = INT64_MIN;
	}
	return cur;
}

/* Units c on rule i now (cur from roll): counted in the window and, in the
 * edge before a refill, for the new one too. */
static void charge(struct orate *o, unsigned i, int64_t cur, uint32_t c)
{
	struct kimp_ord_rate *r = &o->r[i];

	r->used = sat_add(r->used, c);
	if (cur > r->window_start_ms) {
		if (o->edge_win_ms[i] != cur) {
			o->edge_win_ms[i] = cur;
			o->edge_used[i] = 0;
		}
		o->edge_used[i] = sat_add(o->edge_used[i], c);
	}
}

int64_t orate_take(struct orate *o, enum vo_op op, enum vo_chan ch, int64_t now_ms)
{
	int64_t wait = 0, cur[KIMP_ORD_RATE_RULES];
	uint16_t cost[KIMP_ORD_RATE_RULES];
	bool any = false;

	if (kimp_unlikely(now_ms < o->banned_until_ms))
		return o->banned_until_ms - now_ms;
	if (kimp_unlikely(now_ms < o->backoff_until_ms))
		return o->backoff_until_ms - now_ms;
	forget(o, now_ms);
	for (unsigned i = 0; i < o->nrates; i++) {
		struct kimp_ord_rate *r = &o->r[i];

		cost[i] = o->vo->cost(op, ch, i);
		if (!cost[i])
			continue;
		cur[i] = roll(o, i, now_ms);
		if ((uint64_t)r->used + cost[i] <= r->budget ||
		    (!r->used && cost[i] <= r->limit))
			continue;
		/* the next refill: of the window now is in when it has not
		 * happened yet (the edge), else of the next one */
		{
			int64_t at = (cur[i] > r->window_start_ms ? cur[i] : cur[i] + win_ms(r)) +
				     o->edge_ms;
			int64_t w = at - now_ms > 0 ? at - now_ms : 1;

			if (w > wait)
				wait = w;
		}
		r->denied++;
	}
	if (wait)
		return wait;
	for (unsigned i = 0; i < o->nrates; i++) {
		if (!cost[i])
			continue;
		charge(o, i, cur[i], cost[i]);
		o->inflight[i] = sat_add(o->inflight[i], cost[i]);
		any = true;
	}
	if (any && !o->pending++)
		o->last_reply_ms = now_ms;
	return 0;
}

void orate_connect(struct orate *o, enum vo_chan ch, int64_t now_ms)
{
	if (!o->vo || !o->vo->connect_cost)
		return;
	for (unsigned i = 0; i < o->nrates; i++) {
		uint16_t c = o->vo->connect_cost(ch, i);

		if (c)
			charge(o, i, roll(o, i, now_ms), c);
	}
}

void orate_observe(struct orate *o, const struct vo_rate_obs *obs, int64_t now_ms)
{
	bool skip[KIMP_ORD_RATE_RULES] = { false };

	for (unsigned i = 0; i < o->nrates; i++)
		roll(o, i, now_ms);
	/* this request is answered: release its share of what is in flight */
	if (o->pending) {
		for (unsigned i = 0; i < o->nrates; i++) {
			uint32_t dec = (o->inflight[i] + o->pending - 1) / o->pending;

			o->inflight[i] -= dec < o->inflight[i] ? dec : o->inflight[i];
		}
		o->pending--;
	}
	o->last_reply_ms = now_ms;
	for (unsigned i = 0; i < o->nrates; i++) {
		skip[i] = o->old[i] > 0;  /* sent before the refill: maybe the old window */
		if (o->old[i])
			o->old[i]--;
	}
	if (!obs)
		return;
	for (unsigned n = 0; n < obs->n && n < VO_RATE_OBS; n++) {
		unsigned k = obs->v[n].rule;
		struct kimp_ord_rate *r;
		uint32_t venue_used;

		if (k >= o->nrates || skip[k])
			continue;
		r = &o->r[k];
		if (obs->v[n].is_left)
			venue_used = obs->v[n].value >= r->limit ? 0 : r->limit - obs->v[n].value;
		else
			venue_used = obs->v[n].value;
		r->used = sat_add(venue_used, o->inflight[k]);
	}
}

int orate_set_backoff(struct orate *o, uint64_t min_ms, uint64_t max_ms)
{
	/* the cap keeps now + backoff and the doubling far from overflow */
	if (!min_ms || max_ms < min_ms || max_ms > ORATE_BACKOFF_CAP_MS)
		return -EINVAL;
	o->backoff_min_ms = min_ms;
	o->backoff_max_ms = max_ms;
	o->backoff_ms = min_ms;
	return 0;
}

void orate_limited(struct orate *o, uint64_t retry_at_ms, int64_t now_ms)
{
	int64_t until;

	if (retry_at_ms > (uint64_t)now_ms && retry_at_ms < (uint64_t)INT64_MAX) {
		until = (int64_t)retry_at_ms;
	} else {
		/* a minute since the last backoff ended: a new episode */
		if (o->backoff_until_ms && now_ms - o->backoff_until_ms > ORATE_QUIET_MS)
			o->backoff_ms = o->backoff_min_ms;
		until = now_ms + (int64_t)o->backoff_ms;
		o->backoff_ms = o->backoff_ms * 2 > o->backoff_max_ms ? o->backoff_max_ms :
			       o->backoff_ms * 2;
	}
	if (until > o->backoff_until_ms)
		o->backoff_until_ms = until;
}

void orate_banned(struct orate *o, uint64_t retry_at_ms, int64_t now_ms)
{
	int64_t until = retry_at_ms > (uint64_t)now_ms && retry_at_ms < (uint64_t)INT64_MAX ?
			(int64_t)retry_at_ms : now_ms + ORATE_BAN_MS;

	if (until > o->banned_until_ms)
		o->banned_until_ms = until;
}
