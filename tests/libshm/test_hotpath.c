/* SPDX-License-Identifier: MIT */
/*
 * The hot path makes no syscall and allocates nothing. A child process runs
 * ring, seqlock, histogram, counter and TSC operations under a seccomp
 * filter that kills it on any syscall but exit and exit_group (strict mode
 * would do, but on x86 it also turns rdtsc off); the heap's in-use bytes are
 * compared before and after.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/seqlock.h"
#include "kimp/wait.h"
#include "../testutil.h"
#include "../jail.h"

TENV_SEG_FIXTURE("hot", 4 << 20)

TestSuite(hotpath, .init = setup, .fini = teardown);

struct hot {
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	struct shm_waiter w;
	struct shm_seqtab *t;
	struct shm_hist *h;
	_Atomic uint64_t *ctr;
	const struct kimp_tsc_cal *cal;
};

static bool never_ready(void *ctx)
{
	return false;
}

/* Everything a daemon's loop does per message, many times over. */
static uint64_t hot_loop(struct hot *x, int rounds)
{
	uint64_t sum = 0, rec[8] = { 0 };

	for (int i = 0; i < rounds; i++) {
		uint64_t t0 = kimp_rdtsc();
		void *slot = shm_ring_reserve(&x->p);
		if (slot) {
			test_fill(slot, 64, (uint64_t)i);
			shm_ring_publish(&x->p);
		}
		void *first;
		uint32_t n = shm_ring_reserve_batch(&x->p, &first, 4);
		if (n) {
			memset(first, 0, (size_t)n * 64);
			shm_ring_publish_n(&x->p, n);
		}
		const void *cf;
		n = shm_ring_peek_batch(&x->c, &cf, 8);
		sum += n;
		shm_ring_commit_n(&x->c, n);
		const void *m = shm_ring_peek(&x->c);
		if (m)
			shm_ring_commit(&x->c);
		shm_wait_busy(&x->w);
		shm_wait_idle(&x->w, never_ready, NULL); /* within its spin budget */
		rec[0] = (uint64_t)i;
		shm_seqtab_write(x->t, 0, rec);
		if (shm_seqtab_read(x->t, 0, rec, 4) == 0)
			sum += rec[0];
		shm_counter_add(x->ctr, 1);
		shm_hist_record_ticks(x->h, x->cal, kimp_rdtscp() - t0);
	}
	return sum;
}

static void hot_setup(struct hot *x)
{
	struct shm_ring *r;
	struct shm_metrics *m;

	cr_assert_eq(shm_ring_create(&seg, "r", 64, 64, SHM_RING_CONFLATE, NULL, &r), 0);
	cr_assert_eq(shm_ring_producer(r, &x->p), 0);
	cr_assert_eq(shm_ring_consumer(r, &x->c), 0);
	/* hybrid: the producer checks the armed doorbell on every publish */
	cr_assert_eq(shm_waiter_init(&x->w, shm_ring_doorbell(r), SHM_WAIT_HYBRID,
				     10000000000ull, 0, shm_seg_tsc(&seg)), 0);
	cr_assert_eq(shm_seqtab_create(&seg, "t", 64, 1, &x->t), 0);
	cr_assert_eq(shm_metrics_create(&seg, "m", "test", 4, 4, 4, &m), 0);
	x->ctr = shm_metrics_counter(m, "c");
	x->h = shm_metrics_hist(m, "h");
	x->cal = shm_seg_tsc(&seg);
	cr_assert(x->ctr && x->h);
}


Test(hotpath, jail_kills_a_syscall)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (test_jail())
			_exit(2);
		getppid(); /* any syscall */
		syscall(SYS_exit, 0);
	}
	cr_assert_eq(test_wait_child(pid), 128 + SIGSYS, "the jail works");
}

Test(hotpath, no_syscall_in_a_seccomp_jail)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	struct hot x;
	pid_t pid;

	hot_setup(&x);
	hot_loop(&x, 1000); /* first touch outside the jail */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (test_jail())
			_exit(2);
		uint64_t sum = hot_loop(&x, 200000);
		syscall(SYS_exit, sum ? 0 : 3);
	}
	int rc = test_wait_child(pid);
	cr_assert_neq(rc, 128 + SIGSYS, "a syscall on the hot path killed the child");
	cr_assert_eq(rc, 0, "child exit %d", rc);
}

Test(hotpath, no_allocation)
{
	struct hot x;

	hot_setup(&x);
	hot_loop(&x, 1000);
	struct mallinfo2 before = mallinfo2();
	hot_loop(&x, 200000);
	struct mallinfo2 after = mallinfo2();
	cr_assert_eq(after.uordblks, before.uordblks, "heap bytes in use changed");
	cr_assert_eq(after.hblkhd, before.hblkhd, "mmapped heap blocks changed");
}
