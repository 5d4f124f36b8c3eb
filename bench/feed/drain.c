/* SPDX-License-Identifier: MIT */
/*
 * The md ring's consumer, as stratd will be: a thread that takes whatever
 * feedd published in batches (peek_batch, commit_n: the shared tail is
 * touched once a batch), counts the events by type and the gap flags, and
 * naps 200 us when the ring is empty, so it costs little CPU and is never
 * the bottleneck: a nap is 200 events at 1M a second, against a ring of
 * tens of thousands of slots. Its counters are read from the bench's main
 * thread with relaxed loads.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "kimp/msg.h"
#include "feed_bench.h"

#define DRAIN_BATCH   4096
#define DRAIN_NAP_NS  200000

static void add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void *drain_main(void *arg)
{
	struct fb_drain *d = arg;
	struct shm_ring_cons cons = d->cons;
	const struct timespec nap = { 0, DRAIN_NAP_NS };

	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		uint64_t by_type[FB_EV_MAX] = { 0 }, gaps = 0;
		const void *first;
		uint32_t n = shm_ring_peek_batch(&cons, &first, DRAIN_BATCH);

		if (!n) {
			nanosleep(&nap, NULL);
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct kimp_msg_hdr *h = (const void *)((const uint8_t *)first +
							(size_t)i * cons.slot_size);

			switch (h->type) {
			case KIMP_MSG_MD_TOP:
				by_type[FB_EV_TOP]++;
				break;
			case KIMP_MSG_MD_TRADE:
				by_type[FB_EV_TRADE]++;
				break;
			case KIMP_MSG_MD_STATUS:
				by_type[FB_EV_STATUS]++;
				break;
			default:
				by_type[FB_EV_OTHER]++;
				break;
			}
			gaps += h->flags & KIMP_MSG_F_GAP ? 1 : 0;
		}
		shm_ring_commit_n(&cons, n);
		for (int k = 0; k < FB_EV_MAX; k++)
			if (by_type[k])
				add(&d->by_type[k], by_type[k]);
		if (gaps)
			add(&d->gap_flags, gaps);
		add(&d->events, n);
		add(&d->batches, 1);
		if (n > atomic_load_explicit(&d->max_batch, memory_order_relaxed))
			atomic_store_explicit(&d->max_batch, n, memory_order_relaxed);
	}
	return NULL;
}

int fb_drain_start(struct fb_drain *d, struct shm_ring *ring)
{
	int err;

	memset(d, 0, sizeof(*d));
	err = shm_ring_consumer(ring, &d->cons);
	if (err)
		return err;
	err = -pthread_create(&d->th, NULL, drain_main, d);
	if (err)
		return err;
	d->running = true;
	if (pthread_getcpuclockid(d->th, &d->clock))
		d->clock = (clockid_t)-1;
	return 0;
}

void fb_drain_read(struct fb_drain *d, struct fb_drain_ctr *o)
{
	struct timespec ts;

	memset(o, 0, sizeof(*o));
	o->events = atomic_load_explicit(&d->events, memory_order_relaxed);
	for (int k = 0; k < FB_EV_MAX; k++)
		o->by_type[k] = atomic_load_explicit(&d->by_type[k], memory_order_relaxed);
	o->gap_flags = atomic_load_explicit(&d->gap_flags, memory_order_relaxed);
	o->batches = atomic_load_explicit(&d->batches, memory_order_relaxed);
	o->max_batch = atomic_load_explicit(&d->max_batch, memory_order_relaxed);
	if (d->running && d->clock != (clockid_t)-1 && !clock_gettime(d->clock, &ts))
		o->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fb_drain_take_max(struct fb_drain *d)
{
	return atomic_exchange_explicit(&d->max_batch, 0, memory_order_relaxed);
}

void fb_drain_stop(struct fb_drain *d)
{
	if (!d->running)
		return;
	atomic_store_explicit(&d->stop, 1, memory_order_relaxed);
	pthread_join(d->th, NULL);
	d->running = false;
}
