/* SPDX-License-Identifier: MIT */
/*
 * A verified message stream through a ring, for the ring tests: the producer
 * writes message i (test_fill) with a random mix of single and batch calls;
 * the consumer checks every word of every message.
 */
#ifndef KIMP_TEST_RING_STREAM_H
#define KIMP_TEST_RING_STREAM_H

#include "kimp/ring.h"
#include "../testutil.h"

struct stream_cfg {
	uint64_t n;             /* messages in all */
	unsigned max_batch;     /* 1: single calls only */
	unsigned seed;
};

static inline unsigned stream_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

/* Produce messages p->head .. n-1 (a restarted producer resumes there). */
static inline void stream_produce(struct shm_ring_prod *p, const struct stream_cfg *c)
{
	unsigned seed = c->seed, spins = 0;

	while (p->head < c->n) {
		unsigned want = c->max_batch > 1 ? 1 + stream_rand(&seed) % c->max_batch : 1;
		if (want > c->n - p->head)
			want = (unsigned)(c->n - p->head);
		if (want == 1) {
			void *slot = shm_ring_reserve(p);
			if (!slot) {
				test_backoff(&spins);
				continue;
			}
			test_fill(slot, p->slot_size, p->head);
			shm_ring_publish(p);
			continue;
		}
		void *first;
		uint32_t got = shm_ring_reserve_batch(p, &first, want);
		if (!got) {
			test_backoff(&spins);
			continue;
		}
		for (uint32_t k = 0; k < got; k++)
			test_fill((uint8_t *)first + (size_t)k * p->slot_size, p->slot_size,
				  p->head + k);
		shm_ring_publish_n(p, got);
	}
}

/*
 * Consume up to message n-1, checking each. Returns 0, or 1 + the index of
 * the first bad message.
 */
static inline uint64_t stream_consume(struct shm_ring_cons *c, const struct stream_cfg *cfg)
{
	unsigned seed = cfg->seed * 7u + 1u, spins = 0;

	while (c->tail < cfg->n) {
		unsigned want = cfg->max_batch > 1 ? 1 + stream_rand(&seed) % cfg->max_batch : 1;
		if (want == 1) {
			const void *m = shm_ring_peek(c);
			if (!m) {
				test_backoff(&spins);
				continue;
			}
			if (test_check(m, c->slot_size, c->tail))
				return c->tail + 1;
			shm_ring_commit(c);
			continue;
		}
		const void *first;
		uint32_t got = shm_ring_peek_batch(c, &first, want);
		if (!got) {
			test_backoff(&spins);
			continue;
		}
		for (uint32_t k = 0; k < got; k++)
			if (test_check((const uint8_t *)first + (size_t)k * c->slot_size,
				       c->slot_size, c->tail + k))
				return c->tail + k + 1;
		shm_ring_commit_n(c, got);
	}
	return 0;
}

#endif
