/* SPDX-License-Identifier: MIT */
/*
 * Wait strategies. The hybrid consumer sleeps with no timeout, so a lost
 * wake-up would hang the test (Criterion's watchdog fails it) instead of
 * being hidden by a periodic wake.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include "kimp/ring.h"
#include "kimp/wait.h"
#include "ring_stream.h"
#include "../testutil.h"

TENV_SEG_FIXTURE("wait", 4 << 20)

TestSuite(wait, .init = setup, .fini = teardown, .timeout = 300);

static bool ring_ready(void *ctx)
{
	return shm_ring_ready(ctx);
}

/* A random pause: mostly nothing, sometimes a spin, rarely a real sleep. */
static void random_pause(unsigned *seed)
{
	unsigned r = stream_rand(seed);

	if (r % 8 == 0) {
		for (unsigned i = stream_rand(seed) % 2000; i; i--)
			kimp_cpu_relax();
	}
	if (r % 512 == 0)
		usleep(stream_rand(seed) % 100);
}

static void paused_producer(struct shm_ring *r, uint64_t n, unsigned seed)
{
	struct shm_ring_prod p;
	unsigned spins = 0;

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	while (p.head < n) {
		void *slot = shm_ring_reserve(&p);
		if (!slot) {
			test_backoff(&spins);
			continue;
		}
		test_fill(slot, p.slot_size, p.head);
		shm_ring_publish(&p);
		random_pause(&seed);
	}
}

/* Hybrid consumer with random pauses; returns 0 or 1 + bad index. */
static uint64_t hybrid_consumer(struct shm_ring *r, struct shm_doorbell *bell,
				uint64_t n, unsigned seed, struct shm_waiter *w)
{
	struct shm_ring_cons c;

	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	/* spin budgets from 0 to ~2 us, so it sleeps often */
	cr_assert_eq(shm_waiter_init(w, bell, SHM_WAIT_HYBRID, stream_rand(&seed) % 2000, 0,
				     shm_seg_tsc(&seg)), 0);
	while (c.tail < n) {
		const void *m = shm_ring_peek(&c);
		if (!m) {
			shm_wait_idle(w, ring_ready, &c);
			continue;
		}
		shm_wait_busy(w);
		if (test_check(m, c.slot_size, c.tail))
			return c.tail + 1;
		shm_ring_commit(&c);
		random_pause(&seed);
	}
	shm_waiter_fini(w);
	return 0;
}

Test(wait, hybrid_stress_two_processes_no_lost_wakeup)
{
	uint64_t n = test_scaled(300000);
	struct shm_waiter *w = test_shared_alloc(sizeof(*w));
	struct shm_ring *r;
	pid_t pid;

	cr_assert_eq(shm_ring_create(&seg, "hy", 64, 16, 0, NULL, &r), 0);
	/* the consumer is the child, so the parent can read its statistics */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(hybrid_consumer(r, shm_ring_doorbell(r), n, 3, w) ? 1 : 0);
	paused_producer(r, n, 5);
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_gt(w->sleeps, 0, "the consumer slept");
	cr_assert_gt(atomic_load(&r->bell.wakes), 0, "and was woken");
	cr_assert_eq(w->timeouts, 0);
	cr_log_info("sleeps %llu, aborted %llu, wakes %llu", (unsigned long long)w->sleeps,
		    (unsigned long long)w->aborted,
		    (unsigned long long)atomic_load(&r->bell.wakes));
}

struct prod_arg {
	struct shm_ring *r;
	uint64_t n;
	unsigned seed;
};

static void *producer_thread(void *arg)
{
	struct prod_arg *a = arg;

	paused_producer(a->r, a->n, a->seed);
	return NULL;
}

Test(wait, hybrid_stress_two_threads_no_lost_wakeup)
{
	struct shm_waiter w;
	struct prod_arg a = { .n = test_scaled(200000), .seed = 9 };
	pthread_t t;

	cr_assert_eq(shm_ring_create(&seg, "hyt", 64, 8, 0, NULL, &a.r), 0);
	cr_assert_eq(pthread_create(&t, NULL, producer_thread, &a), 0);
	uint64_t bad = hybrid_consumer(a.r, shm_ring_doorbell(a.r), a.n, 4, &w);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(bad, 0);
	cr_assert_gt(w.sleeps, 0);
	cr_assert_eq(w.timeouts, 0);
}

/* Two rings, one doorbell: the consumer sleeps until either has input. */
struct two {
	struct shm_ring_cons c[2];
};

static bool two_ready(void *ctx)
{
	struct two *t = ctx;

	return shm_ring_ready(&t->c[0]) || shm_ring_ready(&t->c[1]);
}

Test(wait, two_rings_share_a_doorbell)
{
	struct shm_doorbell *bell;
	struct shm_ring *r[2];
	struct prod_arg a[2];
	struct shm_waiter w;
	struct two t;
	pthread_t th[2];
	uint64_t n = test_scaled(100000);

	cr_assert_eq(shm_region_add(&seg, "bell", sizeof(*bell), SHM_REGION_RAW,
				    (void **)&bell), 0);
	for (int i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof(name), "in%d", i);
		cr_assert_eq(shm_ring_create(&seg, name, 64, 8, 0, bell, &r[i]), 0);
		cr_assert_eq(shm_ring_doorbell(r[i]), bell);
		cr_assert_eq(shm_ring_consumer(r[i], &t.c[i]), 0);
	}
	cr_assert_eq(shm_waiter_init(&w, bell, SHM_WAIT_HYBRID, 500, 0, shm_seg_tsc(&seg)), 0);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct prod_arg){ .r = r[i], .n = n, .seed = 20u + (unsigned)i };
		cr_assert_eq(pthread_create(&th[i], NULL, producer_thread, &a[i]), 0);
	}
	while (t.c[0].tail < n || t.c[1].tail < n) {
		bool busy = false;
		for (int i = 0; i < 2; i++) {
			const void *m = shm_ring_peek(&t.c[i]);
			if (!m)
				continue;
			cr_assert_eq(test_check(m, 64, t.c[i].tail), 0);
			shm_ring_commit(&t.c[i]);
			busy = true;
		}
		if (busy)
			shm_wait_busy(&w);
		else
			shm_wait_idle(&w, two_ready, &t);
	}
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_join(th[i], NULL), 0);
	cr_assert_gt(w.sleeps, 0);
	cr_assert_eq(w.timeouts, 0);
}

Test(wait, producer_makes_no_syscall_unless_the_consumer_sleeps)
{
	struct shm_ring *r;
	struct shm_ring_prod p;
	struct shm_waiter w;
	uint8_t msg[64] = { 0 };

	cr_assert_eq(shm_ring_create(&seg, "quiet", 64, 1024, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_producer(r, &p), 0);
	/* spin consumer: doorbell not armed */
	cr_assert_eq(shm_waiter_init(&w, shm_ring_doorbell(r), SHM_WAIT_SPIN, 0, 0,
				     shm_seg_tsc(&seg)), 0);
	cr_assert_eq(atomic_load(&r->bell.armed), 0);
	for (int i = 0; i < 500; i++)
		cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	/* hybrid consumer that is awake: armed, but not sleeping */
	cr_assert_eq(shm_waiter_init(&w, shm_ring_doorbell(r), SHM_WAIT_HYBRID, 1000, 0,
				     shm_seg_tsc(&seg)), 0);
	cr_assert_eq(atomic_load(&r->bell.armed), 1);
	for (int i = 0; i < 500; i++)
		cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	cr_assert_eq(atomic_load(&r->bell.wakes), 0, "no futex wake while nobody sleeps");
}

Test(wait, sleeping_consumer_is_woken_by_one_publish)
{
	struct shm_ring *r;
	struct shm_ring_prod p;
	uint8_t msg[64] = { [8] = 7 };
	pid_t pid;

	cr_assert_eq(shm_ring_create(&seg, "wake", 64, 8, 0, NULL, &r), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct shm_ring_cons c;
		struct shm_waiter w;
		if (shm_ring_consumer(r, &c) ||
		    shm_waiter_init(&w, shm_ring_doorbell(r), SHM_WAIT_HYBRID, 0, 0,
				    shm_seg_tsc(&seg)))
			_exit(2);
		while (!shm_ring_peek(&c))
			shm_wait_idle(&w, ring_ready, &c);
		_exit(((const uint8_t *)shm_ring_peek(&c))[8] == 7 ? 0 : 1);
	}
	/* wait until the child has said it sleeps: state, not time */
	while (!atomic_load(&r->bell.sleeping))
		sched_yield();
	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_eq(atomic_load(&r->bell.wakes), 1);
	cr_assert_eq(atomic_load(&r->bell.sleeping), 0);
}

Test(wait, timeout_bounds_a_sleep)
{
	struct shm_ring *r;
	struct shm_ring_cons c;
	struct shm_waiter w;

	cr_assert_eq(shm_ring_create(&seg, "tmo", 64, 8, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	cr_assert_eq(shm_waiter_init(&w, shm_ring_doorbell(r), SHM_WAIT_HYBRID, 0,
				     1000000, shm_seg_tsc(&seg)), 0);
	/* nothing will ever arrive: the sleep ends by its timeout */
	cr_assert(shm_wait_sleep(&w, ring_ready, &c));
	cr_assert_eq(w.sleeps, 1);
	cr_assert_eq(w.timeouts, 1);
}

Test(wait, mode_names)
{
	enum shm_wait_mode m;

	cr_assert_eq(shm_wait_mode_parse("spin", &m), 0);
	cr_assert_eq(m, SHM_WAIT_SPIN);
	cr_assert_eq(shm_wait_mode_parse("hybrid", &m), 0);
	cr_assert_eq(m, SHM_WAIT_HYBRID);
	cr_assert_eq(shm_wait_mode_parse("nap", &m), -EINVAL);
	cr_assert(strstr(shm_last_error(), "'nap'"));
	cr_assert_str_eq(shm_wait_mode_name(SHM_WAIT_HYBRID), "hybrid");
}
