/* SPDX-License-Identifier: MIT */
/*
 * Wait strategies for a consumer whose inputs are empty.
 *
 *   spin:   pause loop, never sleeps; for isolated cores.
 *   hybrid: spin for a bounded time, then sleep on the consumer's futex
 *           doorbell. The producer rings the doorbell only when the consumer
 *           has said it sleeps, so a busy pipeline makes no syscalls.
 *
 * No lost wake-up, with no fence: the consumer reads the doorbell's
 * sequence, exchanges sleeping to 1, and re-checks its inputs; the producer
 * stores head, then (if the doorbell is armed) exchanges sleeping to 0. Two
 * read-modify-writes of one variable are ordered: either the producer's comes
 * second and reads the 1, so it bumps the sequence (a futex wait that has not
 * started yet then returns at once) and wakes the consumer; or the consumer's
 * comes second, reads from the producer's release, and its re-check sees the
 * message. Only a hybrid consumer arms its doorbell (at init, long before its
 * first sleep, which is after a spin budget); a producer sees the arming
 * within the store-buffer drain time.
 *
 * Usage in a consumer loop:
 *   for (;;) {
 *       if (poll_inputs()) { shm_wait_busy(&w); continue; }
 *       shm_wait_idle(&w, inputs_ready, ctx);
 *   }
 */
#ifndef KIMP_WAIT_H
#define KIMP_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/ring.h"
#include "kimp/tsc.h"

enum shm_wait_mode {
	SHM_WAIT_SPIN = 0,
	SHM_WAIT_HYBRID = 1,
};

/* Process-private. */
struct shm_waiter {
	struct shm_doorbell *bell;
	enum shm_wait_mode mode;
	uint32_t idle;            /* idle calls since the last busy one */
	uint64_t spin_start;      /* TSC of the first idle call */
	uint64_t spin_ticks;      /* spin this long before sleeping */
	int64_t timeout_ns;       /* longest sleep; <= 0 sleeps until woken */
	/* local statistics */
	uint64_t sleeps;          /* futex waits entered */
	uint64_t timeouts;        /* futex waits that ended by timeout */
	uint64_t aborted;         /* sleeps skipped: the re-check found input */
};

/*
 * Set up a waiter on 'bell'. In hybrid mode this arms the doorbell, so
 * producers start checking it. spin_ns: how long to spin before sleeping.
 * timeout_ns: the longest single sleep (use the heartbeat period), or <= 0.
 */
int shm_waiter_init(struct shm_waiter *w, struct shm_doorbell *bell,
		    enum shm_wait_mode mode, uint64_t spin_ns, int64_t timeout_ns,
		    const struct kimp_tsc_cal *cal) kimp_cold;

/* Disarm the doorbell (the consumer is going away or switching to spin). */
void shm_waiter_fini(struct shm_waiter *w) kimp_cold;

/* Parse "spin" / "hybrid": 0 or -EINVAL. */
int shm_wait_mode_parse(const char *s, enum shm_wait_mode *out);
const char *shm_wait_mode_name(enum shm_wait_mode m);

/*
 * Sleep on the doorbell unless 'ready' (called after sleeping was
 * announced) finds input. Returns true if it slept.
 */
bool shm_wait_sleep(struct shm_waiter *w, bool (*ready)(void *), void *ctx);

/* The consumer found work: restart the spin budget. */
static inline void shm_wait_busy(struct shm_waiter *w)
{
	w->idle = 0;
}

/* The consumer found nothing: pause, or sleep once the spin budget is used. */
static inline void shm_wait_idle(struct shm_waiter *w, bool (*ready)(void *), void *ctx)
{
	if (w->mode == SHM_WAIT_SPIN) {
		kimp_cpu_relax();
		return;
	}
	if (w->idle++ == 0) {
		w->spin_start = kimp_rdtsc();
		kimp_cpu_relax();
		return;
	}
	if (kimp_rdtsc() - w->spin_start < w->spin_ticks) {
		kimp_cpu_relax();
		return;
	}
	shm_wait_sleep(w, ready, ctx);
	w->idle = 0;
}

#endif
