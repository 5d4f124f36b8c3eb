/* SPDX-License-Identifier: MIT */
/*
 * Reconnect pacing for one host: exponential backoff with full jitter, and a
 * budget of new connections per window.
 *
 *   delay = uniform random in [0, min(cap, base * 2^attempt)]
 *
 * 'attempt' counts failures since the last reset; it resets when a
 * connection stays up for the stable period, so a host that flaps keeps
 * backing off while one that recovered starts again from base. The budget
 * is a sliding window: at most 'budget' connection attempts in any
 * 'window_ns' (a minute by default); when it is spent, the next attempt is
 * allowed once the oldest one leaves the window.
 *
 * Pure: every function takes the time as a uint64 nanosecond argument (any
 * monotonic clock, the caller reads it) and nothing reads a clock, sleeps or
 * allocates. The jitter comes from a PRNG seeded at init, so a fixed seed
 * gives a fixed sequence. One struct per host, one thread per struct.
 *
 * Use:
 *   retry_at = 0;
 *   loop: if (now >= retry_at && !net_backoff_attempt(&b, now, &retry_at))
 *             connect...;            (on -EAGAIN, retry_at is the budget's time)
 *         on connected:   net_backoff_up(&b, now);
 *         on failure/drop: retry_at = net_backoff_down(&b, now);
 */
#ifndef KIMP_BACKOFF_H
#define KIMP_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/compiler.h"

#define NET_BACKOFF_BUDGET_MAX 64          /* attempts remembered per window */
#define NET_BACKOFF_WINDOW_DEFAULT 60000000000ull /* one minute */

struct net_backoff_conf {
	uint64_t base_ns;   /* ceiling of the first delay; > 0 */
	uint64_t cap_ns;    /* no delay is longer; >= base_ns */
	uint64_t stable_ns; /* up this long resets the backoff; 0: any success */
	uint32_t budget;    /* attempts per window, 1..NET_BACKOFF_BUDGET_MAX;
			       0: unlimited */
	uint64_t window_ns; /* the budget's window; 0: one minute */
};

struct net_backoff {
	struct net_backoff_conf c;
	uint64_t rng;          /* splitmix64 state */
	uint64_t up_since;     /* valid while up */
	uint32_t attempt;      /* failures since the last reset */
	bool up;
	uint32_t head, count;  /* ring of the latest attempt times */
	uint64_t stamps[NET_BACKOFF_BUDGET_MAX];
};

/* Set up b for conf with PRNG seed. 0 or -EINVAL for a bad conf. */
int net_backoff_init(struct net_backoff *b, const struct net_backoff_conf *conf,
		     uint64_t seed) kimp_cold;

/*
 * Ask to start a connection attempt at now. 0: go (the attempt is counted
 * in the budget), or -EAGAIN: the budget is spent, and *retry_at_ns (if not
 * NULL) says when the next one is allowed.
 */
int net_backoff_attempt(struct net_backoff *b, uint64_t now_ns, uint64_t *retry_at_ns);

/* The attempt succeeded: the connection is up since now. */
void net_backoff_up(struct net_backoff *b, uint64_t now_ns);

/*
 * The attempt failed or the connection went down at now. Resets the backoff
 * first if the connection had been up for the stable period, then draws the
 * delay and counts the failure. Returns the time of the earliest next
 * attempt: now + delay, or later if the budget says so.
 */
uint64_t net_backoff_down(struct net_backoff *b, uint64_t now_ns);

/* Draw a delay for the current attempt count, without counting a failure. */
uint64_t net_backoff_delay(struct net_backoff *b);

/* The current ceiling, min(cap, base * 2^attempt). */
uint64_t net_backoff_ceiling(const struct net_backoff *b);

/* When the budget allows the next attempt: now if it allows one now. */
uint64_t net_backoff_budget_next(const struct net_backoff *b, uint64_t now_ns);

static inline uint32_t net_backoff_attempts(const struct net_backoff *b)
{
	return b->attempt;
}

/* A uniform random number in [0, bound] from the PRNG (tests, jitter). */
uint64_t net_backoff_rand(struct net_backoff *b, uint64_t bound);

#endif
