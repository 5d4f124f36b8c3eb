/* SPDX-License-Identifier: MIT */
/*
 * Futex waits on libnet's loop (kimp/netfutex.h): the probe against
 * liburing's own, a forked producer ringing a ring's doorbell (hybrid
 * consumer, shared memory mapped by both processes) completing the loop's
 * wait, -EAGAIN for a word that already changed, cancellation, argument
 * errors, and the fallback when the loop is told not to use futex waits.
 *
 * The loop runs until a condition holds, each turn a bounded wait, under a
 * generous turn budget; nothing sleeps to synchronise. The tests that need
 * the kernel's IORING_OP_FUTEX_WAIT skip on a kernel without it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/net.h"
#include "kimp/netfutex.h"
#include "kimp/ring.h"
#include "kimp/wait.h"
#include "../testutil.h"
#include "../../libnet/loop_int.h"

#define MS 1000000ull

static struct tenv env;
static struct shm_seg seg;
static char segname[64];
static struct net_loop *loop;

static void setup(void)
{
	snprintf(segname, sizeof(segname), "netfutex-%d", (int)getpid());
	tenv_init_seg(&env, &seg, segname, 1 << 20);
	cr_assert_eq(net_loop_new(&loop, NULL), 0);
}

static void teardown(void)
{
	net_loop_free(loop);
	shm_seg_detach(&seg);
	cr_expect_eq(shm_seg_remove(segname, &env.o), 0);
	tenv_fini(&env);
}

TestSuite(netfutex, .init = setup, .fini = teardown, .timeout = 60);

struct got {
	int res;
	unsigned calls;
};

static void on_wait(struct net_futex_wait *w, int res)
{
	struct got *g = w->arg;

	g->res = res;
	g->calls++;
}

/* Run the loop until g has a result (each turn at most 100 ms). */
static void run_until(struct got *g, unsigned calls)
{
	for (unsigned turns = 0; g->calls < calls && turns < 600; turns++)
		cr_assert_geq(net_loop_run(loop, 100 * MS), 0);
	cr_assert_eq(g->calls, calls, "the wait completed");
}

/* The kernel's answer, from liburing's own probe. */
static bool kernel_has_futex(void)
{
	struct io_uring_probe *p = io_uring_get_probe();
	bool ok = p && io_uring_opcode_supported(p, NET_IORING_OP_FUTEX_WAIT);

	if (p)
		io_uring_free_probe(p);
	return ok;
}

static void need_futex(void)
{
	if (!net_loop_has_futex(loop))
		cr_skip_test("the kernel has no IORING_OP_FUTEX_WAIT");
}

Test(netfutex, the_probe_agrees_with_the_kernel)
{
	cr_assert_eq(net_loop_has_futex(loop), kernel_has_futex());
	cr_assert_eq(net_loop_has_futex(loop), kernel_has_futex(), "cached, same answer");
}

/* ---- a forked producer rings the doorbell ---------------------------------------- */

Test(netfutex, a_forked_producer_rings_the_doorbell_and_the_wait_completes)
{
	struct net_futex_wait w = { 0 };
	struct shm_ring *r;
	struct shm_ring_cons c;
	struct shm_doorbell *bell;
	struct shm_waiter sw;
	struct got g = { 0 };
	uint8_t msg[64] = { 0 };
	const uint8_t *m;
	uint32_t seq;
	int go[2], status;
	char byte = 'g';
	pid_t pid;

	need_futex();
	cr_assert_eq(shm_ring_create(&seg, "orders", 64, 16, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	bell = shm_ring_doorbell(r);
	/* a hybrid consumer arms its doorbell: producers ring it when it sleeps */
	cr_assert_eq(shm_waiter_init(&sw, bell, SHM_WAIT_HYBRID, 0, 0, shm_seg_tsc(&seg)), 0);
	cr_assert_eq(pipe(go), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* the producer: its own mapping of the segment, as another daemon's */
		struct shm_seg s2;
		struct shm_ring *r2;
		struct shm_ring_prod p;
		char b;

		close(go[1]);
		if (shm_seg_attach(&s2, segname, &env.o) || shm_ring_lookup(&s2, "orders", &r2) ||
		    shm_ring_producer(r2, &p))
			_exit(2);
		if (read(go[0], &b, 1) != 1)
			_exit(3);
		msg[8] = 42;
		if (shm_ring_push(&p, msg, sizeof(msg)))
			_exit(4);
		_exit(0);
	}
	close(go[0]);
	/* the sleep protocol (kimp/wait.h): sequence, announce, re-check, wait */
	seq = atomic_load_explicit(&bell->seq, memory_order_acquire);
	atomic_exchange_explicit(&bell->sleeping, 1, memory_order_acq_rel);
	cr_assert(!shm_ring_ready(&c), "nothing yet");
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(loop, &w, (const uint32_t *)&bell->seq, seq, on_wait), 0);
	cr_assert(net_futex_armed(&w));
	/* submitted (the kernel compares the word now), nothing completes */
	cr_assert_eq(net_loop_run(loop, 0), 0);
	cr_assert_eq(g.calls, 0);
	cr_assert(net_futex_armed(&w));
	/* now the producer publishes */
	cr_assert_eq(write(go[1], &byte, 1), 1);
	run_until(&g, 1);
	cr_assert_eq(g.res, 0, "woken (%d)", g.res);
	cr_assert(!net_futex_armed(&w));
	cr_assert_eq(atomic_load(&bell->wakes), 1, "the producer made one futex wake");
	cr_assert_neq(atomic_load(&bell->seq), seq);
	cr_assert_eq(atomic_load(&bell->sleeping), 0, "the producer took the sleeper's word");
	m = shm_ring_peek(&c);
	cr_assert_not_null(m, "the message is there");
	cr_assert_eq(m[8], 42);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "producer status %d", status);
	close(go[1]);
	shm_waiter_fini(&sw);
}

Test(netfutex, a_word_that_already_changed_completes_with_eagain)
{
	struct net_futex_wait w = { 0 };
	struct got g = { 0 };
	uint32_t *word;

	need_futex();
	cr_assert_eq(shm_region_add(&seg, "word", 64, SHM_REGION_RAW, (void **)&word), 0);
	*word = 7;
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(loop, &w, word, 6, on_wait), 0);
	run_until(&g, 1);
	cr_assert_eq(g.res, -EAGAIN);
	cr_assert(!net_futex_armed(&w));
	/* the same storage again, with the right value: it waits */
	cr_assert_eq(net_loop_futex_wait(loop, &w, word, 7, on_wait), 0);
	cr_assert_eq(net_loop_run(loop, 0), 0);
	cr_assert_eq(net_loop_run(loop, 10 * MS), 0, "a wait with nothing to wake it");
	cr_assert(net_futex_armed(&w));
	net_futex_cancel(&w);
	run_until(&g, 2);
	cr_assert_eq(g.res, -ECANCELED);
	cr_assert(net_loop_has_futex(loop), "an EAGAIN or a cancel keeps the support on");
}

Test(netfutex, the_doorbells_own_wake_completes_the_wait)
{
	struct net_futex_wait w = { 0 };
	struct shm_doorbell *bell;
	struct got g = { 0 };

	need_futex();
	/* the doorbell's own wake (shared FUTEX_WAKE) wakes the loop's wait */
	cr_assert_eq(shm_region_add(&seg, "bell", sizeof(*bell), SHM_REGION_RAW,
				    (void **)&bell), 0);
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(loop, &w, (const uint32_t *)&bell->seq,
					 atomic_load(&bell->seq), on_wait), 0);
	cr_assert_eq(net_loop_run(loop, 0), 0);
	shm_doorbell_wake(bell);
	run_until(&g, 1);
	cr_assert_eq(g.res, 0);
}

Test(netfutex, two_waits_on_one_loop_complete_separately)
{
	struct net_futex_wait w[2] = { { 0 }, { 0 } };
	struct got g[2] = { { 0 }, { 0 } };
	uint32_t *words;

	need_futex();
	cr_assert_eq(shm_region_add(&seg, "words", 64, SHM_REGION_RAW, (void **)&words), 0);
	for (int i = 0; i < 2; i++) {
		w[i].arg = &g[i];
		cr_assert_eq(net_loop_futex_wait(loop, &w[i], &words[i * 4], 0, on_wait), 0);
	}
	cr_assert_eq(net_loop_run(loop, 0), 0);
	net_futex_cancel(&w[1]);
	run_until(&g[1], 1);
	cr_assert_eq(g[1].res, -ECANCELED);
	cr_assert_eq(g[0].calls, 0, "the other still waits");
	cr_assert(net_futex_armed(&w[0]));
	net_futex_cancel(&w[0]);
	net_futex_cancel(&w[0]);        /* once is enough: a second does nothing */
	run_until(&g[0], 1);
	cr_assert_eq(g[0].res, -ECANCELED);
	net_futex_cancel(&w[0]);        /* not armed: nothing */
	cr_assert_eq(net_loop_run(loop, 10 * MS), 0);
	cr_assert_eq(g[0].calls, 1);
}

Test(netfutex, argument_errors)
{
	struct net_futex_wait w = { 0 };
	struct got g = { 0 };
	uint32_t *words;

	need_futex();
	cr_assert_eq(shm_region_add(&seg, "args", 64, SHM_REGION_RAW, (void **)&words), 0);
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(loop, &w, NULL, 0, on_wait), -EINVAL);
	cr_assert_eq(net_loop_futex_wait(loop, &w, words, 0, NULL), -EINVAL);
	cr_assert_eq(net_loop_futex_wait(loop, &w, (const uint32_t *)((char *)words + 2), 0,
					 on_wait), -EINVAL, "a misaligned word");
	cr_assert(!net_futex_armed(&w));
	cr_assert_eq(net_loop_futex_wait(loop, &w, words, 0, on_wait), 0);
	cr_assert_eq(net_loop_futex_wait(loop, &w, words, 0, on_wait), -EBUSY, "armed");
	net_futex_cancel(&w);
	run_until(&g, 1);
	cr_assert_eq(g.calls, 1, "refused calls queued nothing");
	cr_assert_eq(net_loop_run(loop, 10 * MS), 0);
	cr_assert_eq(g.calls, 1);
}

Test(netfutex, a_loop_without_futex_waits_refuses_them_and_times_out)
{
	struct net_futex_wait w = { 0 };
	struct got g = { 0 };
	uint32_t *word;

	cr_assert_eq(shm_region_add(&seg, "fallback", 64, SHM_REGION_RAW, (void **)&word), 0);
	net_loop_futex_disable(loop);
	cr_assert(!net_loop_has_futex(loop));
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(loop, &w, word, 0, on_wait), -EOPNOTSUPP);
	cr_assert(!net_futex_armed(&w));
	/* the caller's fallback: a timed run, which ends with nothing to do */
	cr_assert_eq(net_loop_run(loop, 5 * MS), 0);
	cr_assert_eq(g.calls, 0, "nothing was queued");
	net_futex_cancel(&w);
	cr_assert_eq(net_loop_run(loop, 0), 0);
}

Test(netfutex, a_wait_armed_when_the_loop_is_freed_calls_nothing)
{
	struct net_futex_wait w = { 0 };
	struct got g = { 0 };
	struct net_loop *l2;
	uint32_t *word;

	need_futex();
	cr_assert_eq(shm_region_add(&seg, "freed", 64, SHM_REGION_RAW, (void **)&word), 0);
	cr_assert_eq(net_loop_new(&l2, NULL), 0);
	w.arg = &g;
	cr_assert_eq(net_loop_futex_wait(l2, &w, word, 0, on_wait), 0);
	cr_assert_eq(net_loop_run(l2, 0), 0);
	net_loop_free(l2);
	cr_assert_eq(g.calls, 0);
}

Test(netfutex, a_kernel_that_refuses_the_operation_turns_the_support_off)
{
	struct net_futex_wait w = { .arg = NULL };
	struct got g = { 0 };
	uint32_t *word;

	need_futex();
	cr_assert_eq(shm_region_add(&seg, "refused", 64, SHM_REGION_RAW, (void **)&word), 0);
	/* a completion as a kernel that probes yes and refuses would give it */
	w.arg = &g;
	w.cb = on_wait;
	w.loop = loop;
	w.armed = true;
	net_futex_done(&w, -EINVAL);
	cr_assert_eq(g.res, -EINVAL);
	cr_assert(!net_futex_armed(&w));
	cr_assert(!net_loop_has_futex(loop), "falls back from now on");
	cr_assert_eq(net_loop_futex_wait(loop, &w, word, 0, on_wait), -EOPNOTSUPP);
}
