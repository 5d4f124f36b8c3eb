/* SPDX-License-Identifier: MIT */
/*
 * Order-rate windows (struct kimp_risk_rate): each window is cut into
 * KIMP_RISK_RATE_BUCKETS buckets; the count is the current bucket plus the
 * KIMP_RISK_RATE_BUCKETS before it, which spans at least one whole window
 * back from now. So an order is refused when the orders of the last
 * window (and up to one bucket more) reach the limit: the venue's sliding
 * window is never exceeded, at the price of refusing up to a bucket early.
 * Counts live in the state region and change through its undo journal.
 */
#include "riskd.h"

#define NB (KIMP_RISK_RATE_BUCKETS + 1)  /* buckets kept and counted */

static const uint64_t window_ns[KIMP_RISK_WINDOWS] = {
	1000000000ull, 60000000000ull, 3600000000000ull, 86400000000000ull,
};

uint64_t risk_window_ns(unsigned w)
{
	return w < KIMP_RISK_WINDOWS ? window_ns[w] : 0;
}

static inline int64_t bucket_of(uint64_t window, uint64_t now_ns)
{
	return (int64_t)(now_ns / (window / KIMP_RISK_RATE_BUCKETS));
}

uint64_t risk_rate_count(const struct kimp_risk_rate *r, uint64_t window, uint64_t now_ns)
{
	int64_t cur = bucket_of(window, now_ns), first;
	uint64_t n = 0;

	/* a clock that stepped back (never on one segment's calibration): count all */
	if (r->bucket > cur)
		cur = r->bucket;
	first = cur - KIMP_RISK_RATE_BUCKETS;
	for (int64_t k = r->bucket; k >= 0 && k >= first && k > r->bucket - NB; k--)
		n += (uint64_t)r->count[k % NB];
	return n;
}

void risk_rate_add(struct shm_undo *u, void *base, struct kimp_risk_rate *r, uint64_t window,
		   uint64_t now_ns)
{
	int64_t cur = bucket_of(window, now_ns);

	if (cur > r->bucket) {
		/* clear the buckets the window moved over (each at most once) */
		int64_t from = r->bucket + 1;
		if (cur - from >= NB)
			from = cur - NB + 1;
		for (int64_t k = from; k <= cur; k++)
			if (r->count[k % NB])
				shm_undo_set(u, base, &r->count[k % NB], 0);
		shm_undo_set(u, base, &r->bucket, cur);
	}
	shm_undo_add(u, base, &r->count[r->bucket % NB], 1);
}
