/* SPDX-License-Identifier: MIT */
/*
 * Consumer wait strategies: spin, and hybrid (spin, then a futex doorbell).
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "kimp/wait.h"
#include "shm_internal.h"

int shm_waiter_init(struct shm_waiter *w, struct shm_doorbell *bell,
		    enum shm_wait_mode mode, uint64_t spin_ns, int64_t timeout_ns,
		    const struct kimp_tsc_cal *cal)
{
	if (mode != SHM_WAIT_SPIN && mode != SHM_WAIT_HYBRID)
		return shm_fail(-EINVAL, "unknown wait mode %d", (int)mode);
	memset(w, 0, sizeof(*w));
	w->bell = bell;
	w->mode = mode;
	w->timeout_ns = timeout_ns;
	/* ns -> ticks: ticks = ns * hz / 1e9 */
	w->spin_ticks = (uint64_t)((unsigned __int128)spin_ns * cal->tsc_hz / 1000000000ull);
	bell->waiter_pid = getpid();
	atomic_store_explicit(&bell->sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&bell->armed, mode == SHM_WAIT_HYBRID, memory_order_seq_cst);
	return 0;
}

void shm_waiter_fini(struct shm_waiter *w)
{
	if (w->bell)
		atomic_store_explicit(&w->bell->armed, 0, memory_order_seq_cst);
}

int shm_wait_mode_parse(const char *s, enum shm_wait_mode *out)
{
	if (!strcmp(s, "spin"))
		*out = SHM_WAIT_SPIN;
	else if (!strcmp(s, "hybrid"))
		*out = SHM_WAIT_HYBRID;
	else
		return shm_fail(-EINVAL, "unknown wait strategy '%s' (spin or hybrid)", s);
	return 0;
}

const char *shm_wait_mode_name(enum shm_wait_mode m)
{
	return m == SHM_WAIT_SPIN ? "spin" : m == SHM_WAIT_HYBRID ? "hybrid" : "?";
}

bool shm_wait_sleep(struct shm_waiter *w, bool (*ready)(void *), void *ctx)
{
	struct shm_doorbell *b = w->bell;
	struct timespec ts, *tsp = NULL;
	uint32_t seq;
	long rc;

	/* read the sequence before announcing: a wake after this changes it */
	seq = atomic_load_explicit(&b->seq, memory_order_acquire);
	/* acq_rel: pairs with the producer's exchange in shm_ring_maybe_wake */
	atomic_exchange_explicit(&b->sleeping, 1, memory_order_acq_rel);
	if (ready(ctx)) {
		atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
		w->aborted++;
		return false;
	}
	if (w->timeout_ns > 0) {
		ts.tv_sec = w->timeout_ns / 1000000000;
		ts.tv_nsec = w->timeout_ns % 1000000000;
		tsp = &ts;
	}
	w->sleeps++;
	rc = syscall(SYS_futex, &b->seq, FUTEX_WAIT, seq, tsp, NULL, 0);
	if (rc && errno == ETIMEDOUT)
		w->timeouts++;
	atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
	return true;
}
