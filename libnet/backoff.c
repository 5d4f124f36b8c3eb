/* SPDX-License-Identifier: MIT */
/*
 * Reconnect backoff with full jitter and a sliding-window connection budget.
 * No clock reads, no allocation: see include/kimp/backoff.h.
 */
#include <errno.h>
#include <string.h>
#include "kimp/backoff.h"

int net_backoff_init(struct net_backoff *b, const struct net_backoff_conf *conf,
		     uint64_t seed)
{
	memset(b, 0, sizeof(*b));
	if (!conf->base_ns || conf->cap_ns < conf->base_ns ||
	    conf->budget > NET_BACKOFF_BUDGET_MAX)
		return -EINVAL;
	b->c = *conf;
	if (!b->c.window_ns)
		b->c.window_ns = NET_BACKOFF_WINDOW_DEFAULT;
	b->rng = seed;
	return 0;
}

/* splitmix64 (Steele, Lea, Flood 2014): one add and three mixes a draw. */
static uint64_t backoff_next64(struct net_backoff *b)
{
	uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound], without modulo bias (Lemire's multiply-shift with
 * rejection of the short first interval). */
uint64_t net_backoff_rand(struct net_backoff *b, uint64_t bound)
{
	uint64_t range = bound + 1, x, thresh;
	unsigned __int128 m;

	if (!range) /* bound == UINT64_MAX */
		return backoff_next64(b);
	x = backoff_next64(b);
	m = (unsigned __int128)x * range;
	if ((uint64_t)m < range) {
		thresh = -range % range;
		while ((uint64_t)m < thresh) {
			x = backoff_next64(b);
			m = (unsigned __int128)x * range;
		}
	}
	return (uint64_t)(m >> 64);
}

uint64_t net_backoff_ceiling(const struct net_backoff *b)
{
	uint64_t base = b->c.base_ns, cap = b->c.cap_ns;

	/* base << attempt would overflow, or pass cap: either way, cap */
	if (b->attempt >= 64 || base > (cap >> b->attempt))
		return cap;
	return base << b->attempt;
}

uint64_t net_backoff_delay(struct net_backoff *b)
{
	return net_backoff_rand(b, net_backoff_ceiling(b));
}

uint64_t net_backoff_budget_next(const struct net_backoff *b, uint64_t now_ns)
{
	uint64_t oldest;

	if (!b->c.budget || b->count < b->c.budget)
		return now_ns;
	oldest = b->stamps[b->head];
	/* a clock that went backwards counts the attempt as just made */
	if (now_ns >= oldest && now_ns - oldest >= b->c.window_ns)
		return now_ns;
	if (now_ns < oldest)
		return now_ns + b->c.window_ns;
	return oldest + b->c.window_ns;
}

int net_backoff_attempt(struct net_backoff *b, uint64_t now_ns, uint64_t *retry_at_ns)
{
	uint64_t next;

	if (!b->c.budget)
		return 0;
	next = net_backoff_budget_next(b, now_ns);
	if (next > now_ns) {
		if (retry_at_ns)
			*retry_at_ns = next;
		return -EAGAIN;
	}
	/* the ring holds the latest 'budget' attempts; head is the oldest */
	if (b->count < b->c.budget) {
		b->stamps[(b->head + b->count) % b->c.budget] = now_ns;
		b->count++;
	} else {
		b->stamps[b->head] = now_ns;
		b->head = (b->head + 1) % b->c.budget;
	}
	return 0;
}

void net_backoff_up(struct net_backoff *b, uint64_t now_ns)
{
	b->up = true;
	b->up_since = now_ns;
}

uint64_t net_backoff_down(struct net_backoff *b, uint64_t now_ns)
{
	uint64_t at, budget_at;

	if (b->up && now_ns >= b->up_since && now_ns - b->up_since >= b->c.stable_ns)
		b->attempt = 0;
	b->up = false;
	at = now_ns + net_backoff_delay(b);
	if (at < now_ns) /* overflow: the caller's clock is near its end */
		at = UINT64_MAX;
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	budget_at = net_backoff_budget_next(b, at);
	return budget_at > at ? budget_at : at;
}
