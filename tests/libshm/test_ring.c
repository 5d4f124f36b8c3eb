/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include "kimp/ring.h"
#include "ring_stream.h"
#include "../testutil.h"

TENV_SEG_FIXTURE("ring", 64 << 20)

TestSuite(ring, .init = setup, .fini = teardown);
TestSuite(ring_threads, .init = setup, .fini = teardown, .timeout = 600);
TestSuite(ring_proc, .init = setup, .fini = teardown, .timeout = 600);

static struct shm_ring *mkring(const char *name, uint32_t size, uint32_t count, uint32_t flags)
{
	struct shm_ring *r;

	cr_assert_eq(shm_ring_create(&seg, name, size, count, flags, NULL, &r), 0, "%s",
		     shm_last_error());
	return r;
}

static const uint32_t slot_sizes[] = { 64, 128, 192, 256, 320, 448, 512, 1024, 4096 };

Test(ring, bad_shapes_are_refused)
{
	struct shm_ring *r;

	cr_assert_eq(shm_ring_create(&seg, "a", 65, 8, 0, NULL, &r), -EINVAL);
	cr_assert_eq(shm_ring_create(&seg, "b", 0, 8, 0, NULL, &r), -EINVAL);
	cr_assert_eq(shm_ring_create(&seg, "c", 64, 12, 0, NULL, &r), -EINVAL);
	cr_assert_eq(shm_ring_create(&seg, "d", 64, 1, 0, NULL, &r), -EINVAL);
	cr_assert(strstr(shm_last_error(), "power of two"), "%s", shm_last_error());
}

Test(ring, indices_and_slots_are_on_separate_line_pairs)
{
	struct shm_ring *r = mkring("layout", 64, 16, 0);
	struct shm_ring_prod p;

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq((uintptr_t)&r->head % KIMP_FALSE_SHARING, 0);
	cr_assert_eq((uintptr_t)&r->tail % KIMP_FALSE_SHARING, 0);
	cr_assert_eq((uintptr_t)p.slots % KIMP_FALSE_SHARING, 0);
	cr_assert_geq((uintptr_t)p.slots, (uintptr_t)(r + 1), "slots after the header");
}

Test(ring, empty_full_and_wraparound_for_every_slot_size)
{
	for (size_t s = 0; s < KIMP_ARRAY_SIZE(slot_sizes); s++) {
		for (uint32_t count = 2; count <= 64; count *= 2) {
			char name[32];
			struct shm_ring *r;
			struct shm_ring_prod p;
			struct shm_ring_cons c;
			uint32_t sz = slot_sizes[s];
			uint64_t next = 0;

			snprintf(name, sizeof(name), "r%u-%u", sz, count);
			r = mkring(name, sz, count, 0);
			cr_assert_eq(shm_ring_producer(r, &p), 0);
			cr_assert_eq(shm_ring_consumer(r, &c), 0);
			cr_assert_null(shm_ring_peek(&c), "new ring is empty");
			/* ten laps: fill to full, drain to empty */
			for (int lap = 0; lap < 10; lap++) {
				for (uint32_t i = 0; i < count; i++) {
					void *slot = shm_ring_reserve(&p);
					cr_assert_not_null(slot, "size %u count %u lap %d", sz, count, lap);
					test_fill(slot, sz, next + i);
					shm_ring_publish(&p);
				}
				cr_assert_null(shm_ring_reserve(&p), "full after %u", count);
				cr_assert_eq(shm_ring_depth(r), count);
				for (uint32_t i = 0; i < count; i++) {
					const void *m = shm_ring_peek(&c);
					cr_assert_not_null(m);
					cr_assert_eq(test_check(m, sz, next), 0,
						     "size %u msg %llu", sz, (unsigned long long)next);
					shm_ring_commit(&c);
					next++;
				}
				cr_assert_null(shm_ring_peek(&c), "empty after draining");
			}
			cr_assert_eq(r->overruns, 0, "not a conflating ring");
		}
	}
}

Test(ring, batches_stop_at_the_wrap_and_at_full)
{
	struct shm_ring *r = mkring("batch", 64, 8, 0);
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	const void *cf;
	void *pf;

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	cr_assert_eq(shm_ring_reserve_batch(&p, &pf, 5), 5);
	for (int i = 0; i < 5; i++)
		test_fill((uint8_t *)pf + i * 64, 64, (uint64_t)i);
	shm_ring_publish_n(&p, 5);
	cr_assert_eq(shm_ring_peek_batch(&c, &cf, 3), 3);
	shm_ring_commit_n(&c, 3);
	/* head at 5, tail at 3: 6 free, but only 3 before the wrap */
	cr_assert_eq(shm_ring_reserve_batch(&p, &pf, 6), 3);
	for (int i = 0; i < 3; i++)
		test_fill((uint8_t *)pf + i * 64, 64, (uint64_t)(5 + i));
	shm_ring_publish_n(&p, 3);
	cr_assert_eq(shm_ring_reserve_batch(&p, &pf, 8), 3, "3 left after the wrap");
	for (int i = 0; i < 3; i++)
		test_fill((uint8_t *)pf + i * 64, 64, (uint64_t)(8 + i));
	shm_ring_publish_n(&p, 3);
	cr_assert_eq(shm_ring_reserve_batch(&p, &pf, 1), 0, "full");
	/* consumer: 5 before the wrap, then 3 */
	cr_assert_eq(shm_ring_peek_batch(&c, &cf, 100), 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(test_check((const uint8_t *)cf + i * 64, 64, (uint64_t)(3 + i)), 0);
	shm_ring_commit_n(&c, 5);
	cr_assert_eq(shm_ring_peek_batch(&c, &cf, 100), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(test_check((const uint8_t *)cf + i * 64, 64, (uint64_t)(8 + i)), 0);
	shm_ring_commit_n(&c, 3);
	cr_assert_eq(shm_ring_peek_batch(&c, &cf, 100), 0, "empty");
}

Test(ring, random_batches_in_one_process)
{
	for (size_t s = 0; s < KIMP_ARRAY_SIZE(slot_sizes); s++) {
		char name[32];
		struct shm_ring_prod p;
		struct shm_ring_cons c;
		struct shm_ring *r;
		unsigned seed = 42;
		uint64_t n = 100000;

		snprintf(name, sizeof(name), "rb%u", slot_sizes[s]);
		r = mkring(name, slot_sizes[s], 32, 0);
		cr_assert_eq(shm_ring_producer(r, &p), 0);
		cr_assert_eq(shm_ring_consumer(r, &c), 0);
		while (c.tail < n) {
			void *pf;
			const void *cf;
			uint32_t k = shm_ring_reserve_batch(&p, &pf, 1 + stream_rand(&seed) % 40);
			for (uint32_t i = 0; i < k; i++)
				test_fill((uint8_t *)pf + (size_t)i * p.slot_size, p.slot_size,
					  p.head + i);
			shm_ring_publish_n(&p, k);
			k = shm_ring_peek_batch(&c, &cf, 1 + stream_rand(&seed) % 40);
			for (uint32_t i = 0; i < k; i++)
				cr_assert_eq(test_check((const uint8_t *)cf + (size_t)i * c.slot_size,
							c.slot_size, c.tail + i), 0);
			shm_ring_commit_n(&c, k);
		}
	}
}

Test(ring, conflating_ring_counts_overruns)
{
	struct shm_ring *r = mkring("md", 64, 4, SHM_RING_CONFLATE);
	struct shm_ring_prod p;
	uint8_t msg[64] = { 0 };

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), -EAGAIN);
	cr_assert_eq(r->overruns, 3);

	struct shm_ring *o = mkring("orders", 64, 4, 0);
	cr_assert_eq(shm_ring_producer(o, &p), 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), -EAGAIN);
	cr_assert_eq(o->overruns, 0, "order-path rings do not count overruns");
}

Test(ring, uncommitted_message_is_delivered_again_to_a_new_consumer)
{
	struct shm_ring *r = mkring("again", 64, 8, 0);
	struct shm_ring_prod p;
	struct shm_ring_cons c1, c2;
	const void *m;

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	for (uint64_t i = 0; i < 3; i++) {
		test_fill(shm_ring_reserve(&p), 64, i);
		shm_ring_publish(&p);
	}
	cr_assert_eq(shm_ring_consumer(r, &c1), 0);
	m = shm_ring_peek(&c1);
	cr_assert_eq(test_check(m, 64, 0), 0);
	shm_ring_commit(&c1);
	m = shm_ring_peek(&c1);
	cr_assert_eq(test_check(m, 64, 1), 0);
	/* c1 "dies" without committing message 1 */
	cr_assert_eq(shm_ring_consumer(r, &c2), 0);
	cr_assert_eq(test_check(shm_ring_peek(&c2), 64, 1), 0, "1 again, not 0 or 2");
	cr_assert_eq(r->consumer_attaches, 2);
}

Test(ring, restarted_producer_resumes_at_last_publish)
{
	struct shm_ring *r = mkring("prodagain", 64, 8, 0);
	struct shm_ring_prod p1, p2;
	struct shm_ring_cons c;

	cr_assert_eq(shm_ring_producer(r, &p1), 0);
	test_fill(shm_ring_reserve(&p1), 64, 0);
	shm_ring_publish(&p1);
	memset(shm_ring_reserve(&p1), 0xee, 64); /* reserved, never published */
	cr_assert_eq(shm_ring_producer(r, &p2), 0);
	cr_assert_eq(p2.head, 1);
	test_fill(shm_ring_reserve(&p2), 64, 1);
	shm_ring_publish(&p2);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	cr_assert_eq(test_check(shm_ring_peek(&c), 64, 0), 0);
	shm_ring_commit(&c);
	cr_assert_eq(test_check(shm_ring_peek(&c), 64, 1), 0, "the torn reserve is gone");
	shm_ring_commit(&c);
	cr_assert_null(shm_ring_peek(&c));
}

Test(ring, a_slot_is_ready_only_when_publish_marks_it)
{
	struct shm_ring *r = mkring("mark", 64, 4, 0);
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	uint64_t *slot;

	cr_assert(r->salt >> 63, "salt has its high bit set");
	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	slot = shm_ring_reserve(&p);
	/* what a careless producer might write there: not a mark */
	slot[0] = 1;
	cr_assert_null(shm_ring_peek(&c));
	slot[0] = 0;
	cr_assert_null(shm_ring_peek(&c));
	test_fill(slot, 64, 0);
	shm_ring_publish(&p);
	cr_assert_eq(shm_ring_peek(&c), (const void *)slot);
	cr_assert_eq(shm_ring_seq(&c), 1);
	cr_assert_eq(slot[0], shm_ring_mark(r->salt, 0));
	shm_ring_commit(&c);
	/* a whole lap later the old mark in slot 0 does not read as position 4 */
	for (uint64_t i = 1; i < 4; i++) {
		test_fill(shm_ring_reserve(&p), 64, i);
		shm_ring_publish(&p);
		cr_assert_not_null(shm_ring_peek(&c));
		shm_ring_commit(&c);
	}
	cr_assert_eq(shm_ring_reserve(&p), (void *)slot, "position 4 reuses slot 0");
	cr_assert_null(shm_ring_peek(&c), "the lap-old mark is stale");
	cr_assert_neq(shm_ring_mark(r->salt, 4), shm_ring_mark(r->salt, 0));
}

Test(ring, producer_dead_between_mark_and_head_resumes_past_its_marks)
{
	struct shm_ring *r = mkring("half", 64, 8, 0);
	struct shm_ring_prod p1, p2;
	struct shm_ring_cons c;
	void *first;

	cr_assert_eq(shm_ring_producer(r, &p1), 0);
	test_fill(shm_ring_reserve(&p1), 64, 0);
	shm_ring_publish(&p1);
	cr_assert_eq(shm_ring_reserve_batch(&p1, &first, 3), 3);
	for (int k = 0; k < 3; k++)
		test_fill((uint8_t *)first + k * 64, 64, (uint64_t)(1 + k));
	shm_ring_publish_n(&p1, 3);
	/* as if it died after marking 1..3 but before storing head */
	atomic_store(&r->head, 1);
	cr_assert_eq(shm_ring_producer(r, &p2), 0);
	cr_assert_eq(p2.head, 4, "stepped over the slots already published");
	cr_assert_eq(atomic_load(&r->head), 4);
	test_fill(shm_ring_reserve(&p2), 64, 4);
	shm_ring_publish(&p2);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	for (uint64_t i = 0; i < 5; i++) {
		const void *m = shm_ring_peek(&c);
		cr_assert_not_null(m, "message %llu", (unsigned long long)i);
		cr_assert_eq(test_check(m, 64, i), 0, "message %llu", (unsigned long long)i);
		shm_ring_commit(&c);
	}
	cr_assert_null(shm_ring_peek(&c));
}

Test(ring, push_leaves_the_mark_to_the_ring)
{
	struct shm_ring *r = mkring("push", 64, 4, 0);
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	uint64_t msg[8], out[8];

	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	for (int i = 0; i < 8; i++)
		msg[i] = 100u + (uint64_t)i;
	msg[0] = shm_ring_mark(r->salt, 1); /* a forged mark for the next slot */
	cr_assert_eq(shm_ring_push(&p, msg, sizeof(msg)), 0);
	cr_assert_eq(shm_ring_pop(&c, out, sizeof(out)), 0);
	cr_assert_eq(out[0], shm_ring_mark(r->salt, 0), "the ring wrote its own mark");
	cr_assert_eq(memcmp(out + 1, msg + 1, 56), 0);
	cr_assert_eq(shm_ring_pop(&c, out, sizeof(out)), -EAGAIN, "the forgery was not copied");
}

Test(ring, lookup_validates_the_header)
{
	struct shm_ring *r = mkring("valid", 128, 16, 0), *found;
	void *raw;

	cr_assert_eq(shm_ring_lookup(&seg, "valid", &found), 0);
	cr_assert_eq(found, r);
	cr_assert_eq(shm_ring_lookup(&seg, "missing", &found), -ENOENT);
	cr_assert_eq(shm_region_add(&seg, "notring", 4096, SHM_REGION_RAW, &raw), 0);
	cr_assert_eq(shm_ring_lookup(&seg, "notring", &found), -EPROTO);
	atomic_store(&r->tail, 100); /* tail beyond head */
	cr_assert_eq(shm_ring_lookup(&seg, "valid", &found), -EPROTO);
	cr_assert(strstr(shm_last_error(), "inconsistent"), "%s", shm_last_error());
	struct shm_ring_cons c;
	cr_assert_eq(shm_ring_consumer(r, &c), -EPROTO);
}

/* ---- two threads -------------------------------------------------------- */

struct thread_arg {
	struct shm_ring *r;
	struct stream_cfg cfg;
};

static void *producer_thread(void *arg)
{
	struct thread_arg *a = arg;
	struct shm_ring_prod p;

	if (shm_ring_producer(a->r, &p))
		return (void *)1;
	stream_produce(&p, &a->cfg);
	return NULL;
}

static void run_threads(uint32_t size, uint32_t count, uint64_t n, unsigned max_batch)
{
	char name[32];
	struct thread_arg a;
	struct shm_ring_cons c;
	pthread_t t;
	void *ret;

	snprintf(name, sizeof(name), "t%u-%u-%u", size, count, max_batch);
	a.r = mkring(name, size, count, 0);
	a.cfg = (struct stream_cfg){ .n = n, .max_batch = max_batch, .seed = size + count };
	cr_assert_eq(shm_ring_consumer(a.r, &c), 0);
	cr_assert_eq(pthread_create(&t, NULL, producer_thread, &a), 0);
	uint64_t bad = stream_consume(&c, &a.cfg);
	cr_assert_eq(pthread_join(t, &ret), 0);
	cr_assert_null(ret);
	cr_assert_eq(bad, 0, "message %llu corrupt (slot %u)", (unsigned long long)(bad - 1), size);
	cr_assert_eq(shm_ring_depth(a.r), 0);
	cr_assert_eq(atomic_load(&a.r->tail), n);
}

Test(ring_threads, twenty_million_64_byte_messages_single_calls)
{
	run_threads(64, 1024, test_scaled(20000000), 1);
}

Test(ring_threads, twenty_million_64_byte_messages_batches)
{
	run_threads(64, 1024, test_scaled(20000000), 64);
}

Test(ring_threads, every_slot_size_small_ring)
{
	for (size_t s = 0; s < KIMP_ARRAY_SIZE(slot_sizes); s++)
		run_threads(slot_sizes[s], 8, test_scaled(300000), 5);
}

/* ---- two processes ------------------------------------------------------ */

static void run_procs(uint32_t size, uint32_t count, uint64_t n, unsigned max_batch)
{
	char name[32];
	struct stream_cfg cfg = { .n = n, .max_batch = max_batch, .seed = size * 3 + count };
	struct shm_ring_cons c;
	struct shm_ring *r;
	pid_t pid;

	snprintf(name, sizeof(name), "p%u-%u-%u", size, count, max_batch);
	r = mkring(name, size, count, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct shm_ring_prod p;
		if (shm_ring_producer(r, &p))
			_exit(2);
		stream_produce(&p, &cfg);
		_exit(0);
	}
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	uint64_t bad = stream_consume(&c, &cfg);
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_eq(bad, 0, "message %llu corrupt (slot %u)", (unsigned long long)(bad - 1), size);
	cr_assert_eq(atomic_load(&r->head), n);
	cr_assert_eq(atomic_load(&r->tail), n);
	cr_assert_neq(r->producer_pid, r->consumer_pid, "two processes");
}

Test(ring_proc, twenty_million_64_byte_messages_single_calls)
{
	run_procs(64, 4096, test_scaled(20000000), 1);
}

Test(ring_proc, twenty_million_64_byte_messages_batches)
{
	run_procs(64, 4096, test_scaled(20000000), 64);
}

Test(ring_proc, every_slot_size)
{
	for (size_t s = 0; s < KIMP_ARRAY_SIZE(slot_sizes); s++) {
		run_procs(slot_sizes[s], 64, test_scaled(500000), 1);
		run_procs(slot_sizes[s], 16, test_scaled(500000), 24);
	}
}
