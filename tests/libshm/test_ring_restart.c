/* SPDX-License-Identifier: MIT */
/*
 * SIGKILL a ring's consumer or producer in the middle of a stream and start
 * a new one: nothing is lost, and only messages after the last commit are
 * delivered again.
 *
 * Half the kills land at random points, reached by watching the ring's
 * indices (never by sleeping). The other half land in the window that
 * matters: the child parks after it has processed a batch but before it
 * commits it (consumer), or after it wrote slots but before it published
 * them (producer), and the parent kills it there.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include "kimp/ring.h"
#include "ring_stream.h"
#include "../testutil.h"

#define MAX_BATCH 16
#define KILLS     12

struct ctl {
	_Atomic uint64_t park_at;   /* park once the batch reaches this index */
	_Atomic int parked;
};

TENV_SEG_FIXTURE("restart", 8 << 20)

TestSuite(ring_restart, .init = setup, .fini = teardown, .timeout = 600);

/* Random kill points, increasing, inside (0, n). */
static void kill_points(uint64_t *at, int k, uint64_t n, unsigned seed)
{
	for (int i = 0; i < k; i++)
		at[i] = (n / (uint64_t)(k + 1)) * (uint64_t)(i + 1) +
			stream_rand(&seed) % (n / (uint64_t)(2 * k + 2));
}

static __attribute__((noreturn)) void park(struct ctl *ctl)
{
	atomic_store(&ctl->parked, 1);
	for (;;)
		kimp_cpu_relax();
}

/* Even kills park in the window; odd ones are random. */
static void arm(struct ctl *ctl, int kill, const uint64_t *at)
{
	atomic_store(&ctl->parked, 0);
	atomic_store(&ctl->park_at, kill < KILLS && kill % 2 == 0 ? at[kill] : UINT64_MAX);
}

static bool time_to_kill(struct ctl *ctl, int kill, const uint64_t *at, _Atomic uint64_t *idx)
{
	if (kill >= KILLS)
		return false;
	if (kill % 2 == 0)
		return atomic_load(&ctl->parked);
	return atomic_load(idx) >= at[kill];
}

/* A consumer that logs every delivery, then commits; exits 0 at the end. */
static void consumer_child(struct shm_ring *r, uint64_t n, _Atomic uint8_t *delivered,
			   struct ctl *ctl, unsigned seed)
{
	struct shm_ring_cons c;
	unsigned spins = 0;

	if (shm_ring_consumer(r, &c))
		_exit(2);
	while (c.tail < n) {
		const void *first;
		uint32_t got = shm_ring_peek_batch(&c, &first, 1 + stream_rand(&seed) % MAX_BATCH);
		if (!got) {
			test_backoff(&spins);
			continue;
		}
		for (uint32_t k = 0; k < got; k++) {
			if (test_check((const uint8_t *)first + (size_t)k * c.slot_size,
				       c.slot_size, c.tail + k))
				_exit(3);
			atomic_fetch_add_explicit(&delivered[c.tail + k], 1, memory_order_relaxed);
		}
		if (c.tail + got > atomic_load(&ctl->park_at))
			park(ctl); /* processed, not committed */
		shm_ring_commit_n(&c, got);
	}
	_exit(0);
}

static pid_t spawn_consumer(struct shm_ring *r, uint64_t n, _Atomic uint8_t *delivered,
			    struct ctl *ctl, unsigned seed)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		consumer_child(r, n, delivered, ctl, seed);
	return pid;
}

Test(ring_restart, consumer_killed_resumes_at_last_commit)
{
	uint64_t n = test_scaled(2000000), at[KILLS], committed[KILLS];
	_Atomic uint8_t *delivered = test_shared_alloc(n);
	struct ctl *ctl = test_shared_alloc(sizeof(*ctl));
	struct shm_ring_prod p;
	struct shm_ring *r;
	unsigned spins = 0;
	int kills = 0;
	pid_t pid;

	cr_assert_eq(shm_ring_create(&seg, "cons", 64, 256, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_producer(r, &p), 0);
	kill_points(at, KILLS, n, 7);
	arm(ctl, 0, at);
	pid = spawn_consumer(r, n, delivered, ctl, 1);

	while (p.head < n || kills < KILLS) {
		if (time_to_kill(ctl, kills, at, &r->tail)) {
			kill(pid, SIGKILL);
			cr_assert_eq(test_wait_child(pid), 128 + SIGKILL, "killed, not finished");
			committed[kills] = atomic_load(&r->tail);
			kills++;
			arm(ctl, kills, at);
			pid = spawn_consumer(r, n, delivered, ctl, (unsigned)kills + 1);
		}
		void *slot = p.head < n ? shm_ring_reserve(&p) : NULL;
		if (!slot) {
			test_backoff(&spins);
			continue;
		}
		test_fill(slot, 64, p.head);
		shm_ring_publish(&p);
	}
	cr_assert_eq(test_wait_child(pid), 0, "the last consumer saw every message intact");
	cr_assert_eq(r->consumer_attaches, KILLS + 1);

	uint64_t again = 0;
	for (uint64_t i = 0; i < n; i++) {
		unsigned windows = 0;
		for (int k = 0; k < kills; k++)
			windows += i >= committed[k] && i < committed[k] + MAX_BATCH;
		cr_assert_geq(delivered[i], 1, "message %llu lost", (unsigned long long)i);
		cr_assert_leq(delivered[i], 1 + windows,
			      "message %llu delivered %u times, before the last commit",
			      (unsigned long long)i, delivered[i]);
		again += delivered[i] - 1u;
	}
	/* each parked kill left at least one processed, uncommitted message */
	cr_assert_geq(again, KILLS / 2, "only %llu delivered again", (unsigned long long)again);
	cr_log_info("%d consumer kills, %llu messages delivered again", kills,
		    (unsigned long long)again);
}

/* A producer resuming at the ring's head; parks with garbage in reserved slots. */
static void producer_child(struct shm_ring *r, uint64_t n, struct ctl *ctl, unsigned seed)
{
	struct shm_ring_prod p;
	unsigned spins = 0;

	if (shm_ring_producer(r, &p))
		_exit(2);
	while (p.head < n) {
		void *first;
		unsigned want = 1 + stream_rand(&seed) % MAX_BATCH;
		if (want > n - p.head)
			want = (unsigned)(n - p.head);
		uint32_t got = shm_ring_reserve_batch(&p, &first, want);
		if (!got) {
			test_backoff(&spins);
			continue;
		}
		if (p.head + got > atomic_load(&ctl->park_at)) {
			memset(first, 0xee, (size_t)got * p.slot_size);
			park(ctl); /* written, not published */
		}
		for (uint32_t k = 0; k < got; k++)
			test_fill((uint8_t *)first + (size_t)k * p.slot_size, p.slot_size,
				  p.head + k);
		shm_ring_publish_n(&p, got);
	}
	_exit(0);
}

static pid_t spawn_producer(struct shm_ring *r, uint64_t n, struct ctl *ctl, unsigned seed)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		producer_child(r, n, ctl, seed);
	return pid;
}

Test(ring_restart, producer_killed_resumes_at_last_publish)
{
	uint64_t n = test_scaled(2000000), at[KILLS];
	struct ctl *ctl = test_shared_alloc(sizeof(*ctl));
	struct shm_ring_cons c;
	struct shm_ring *r;
	unsigned spins = 0;
	int kills = 0;
	pid_t pid;

	cr_assert_eq(shm_ring_create(&seg, "prod", 128, 256, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	kill_points(at, KILLS, n, 11);
	arm(ctl, 0, at);
	pid = spawn_producer(r, n, ctl, 1);

	while (c.tail < n) {
		if (time_to_kill(ctl, kills, at, &r->head)) {
			kill(pid, SIGKILL);
			cr_assert_eq(test_wait_child(pid), 128 + SIGKILL, "killed, not finished");
			kills++;
			arm(ctl, kills, at);
			pid = spawn_producer(r, n, ctl, (unsigned)kills + 1);
		}
		const void *m = shm_ring_peek(&c);
		if (!m) {
			test_backoff(&spins);
			continue;
		}
		/* message i at position i: no gap, no repeat, no torn slot */
		cr_assert_eq(test_check(m, 128, c.tail), 0, "message %llu",
			     (unsigned long long)c.tail);
		shm_ring_commit(&c);
	}
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_eq(kills, KILLS, "every kill happened mid-stream");
	cr_assert_eq(r->producer_attaches, KILLS + 1);
	cr_assert_eq(atomic_load(&r->head), n, "nothing published twice");
}
