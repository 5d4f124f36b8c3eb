/* SPDX-License-Identifier: MIT */
/*
 * Seqlocks: a reader never returns a torn record, whatever the writer does.
 * Every record the writer writes has all its words equal (and a second
 * field derived from them), so a torn copy is visible in the copy itself.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include "kimp/seqlock.h"
#include "../testutil.h"

#define WORDS 40 /* 320 bytes: more than a few cache lines */

struct rec {
	uint64_t w[WORDS];
};

TENV_SEG_FIXTURE("seq", 1 << 20)

TestSuite(seqlock, .init = setup, .fini = teardown, .timeout = 300);

static void make_rec(struct rec *r, uint64_t k)
{
	for (int i = 0; i < WORDS; i++)
		r->w[i] = k * 0x100000001ull + (uint64_t)(i % 2);
}

/* The version the record holds, or UINT64_MAX when torn. */
static uint64_t rec_version(const struct rec *r)
{
	uint64_t k = r->w[0] / 0x100000001ull;
	struct rec want;

	make_rec(&want, k);
	return memcmp(&want, r, sizeof(want)) ? UINT64_MAX : k;
}

Test(seqlock, table_round_trip)
{
	struct shm_seqtab *t, *found;
	struct rec in, out;

	cr_assert_eq(shm_seqtab_create(&seg, "books", sizeof(struct rec), 10, &t), 0);
	cr_assert_eq(t->stride % 64, 0);
	cr_assert_eq(shm_seqtab_lookup(&seg, "books", &found), 0);
	cr_assert_eq(found, t);
	for (uint32_t i = 0; i < 10; i++) {
		make_rec(&in, i + 100);
		shm_seqtab_write(t, i, &in);
	}
	for (uint32_t i = 0; i < 10; i++) {
		cr_assert_eq(shm_seqtab_read(t, i, &out, 1), 0);
		cr_assert_eq(rec_version(&out), i + 100);
	}
	cr_assert_eq(shm_seqtab_create(&seg, "bad", 12, 10, &t), -EINVAL);
}

Test(seqlock, writer_dead_mid_write_then_restarted)
{
	struct shm_seqtab *t;
	struct rec in, out;

	cr_assert_eq(shm_seqtab_create(&seg, "pos", sizeof(struct rec), 1, &t), 0);
	make_rec(&in, 1);
	shm_seqtab_write(t, 0, &in);
	/* a writer dies between begin and end */
	shm_seq_write_begin(shm_seqtab_lock(t, 0));
	memset(shm_seqtab_data(t, 0), 0x5a, 16);
	cr_assert_eq(shm_seqtab_read(t, 0, &out, 1000), -EAGAIN, "never a torn record");
	/* the restarted writer rewrites it */
	make_rec(&in, 2);
	shm_seqtab_write(t, 0, &in);
	cr_assert_eq(atomic_load(&shm_seqtab_lock(t, 0)->seq) % 2, 0);
	cr_assert_eq(shm_seqtab_read(t, 0, &out, 1), 0);
	cr_assert_eq(rec_version(&out), 2);
}

struct hammer {
	struct shm_seqtab *t;
	uint64_t writes;
	_Atomic int done;
};

/* Version 1 is written before the reader starts; the writer goes on from 2. */
static void seed_rec(struct hammer *h)
{
	struct rec r;

	make_rec(&r, 1);
	shm_seqtab_write(h->t, 0, &r);
}

static void write_all(struct hammer *h)
{
	struct rec r;

	for (uint64_t k = 2; k <= h->writes; k++) {
		make_rec(&r, k);
		shm_seqtab_write(h->t, 0, &r);
	}
	atomic_store(&h->done, 1);
}

/* Read until the writer is done: counts of good reads, torn and backwards. */
static void read_all(struct hammer *h, uint64_t *good, uint64_t *torn, uint64_t *back)
{
	uint64_t last = 0;
	struct rec r;

	*good = *torn = *back = 0;
	while (!atomic_load(&h->done)) {
		if (shm_seqtab_read(h->t, 0, &r, 64))
			continue;
		uint64_t v = rec_version(&r);
		if (v == UINT64_MAX)
			(*torn)++;
		else if (v < last)
			(*back)++;
		else
			(*good)++;
		if (v != UINT64_MAX)
			last = v;
	}
}

static void *writer_thread(void *arg)
{
	write_all(arg);
	return NULL;
}

Test(seqlock, threads_never_see_a_torn_record)
{
	struct hammer h = { .writes = test_scaled(3000000) };
	uint64_t good, torn, back;
	pthread_t t;

	cr_assert_eq(shm_seqtab_create(&seg, "t", sizeof(struct rec), 1, &h.t), 0);
	seed_rec(&h);
	cr_assert_eq(pthread_create(&t, NULL, writer_thread, &h), 0);
	read_all(&h, &good, &torn, &back);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(torn, 0, "%llu torn reads", (unsigned long long)torn);
	cr_assert_eq(back, 0, "versions never go backwards");
	cr_assert_gt(good, 0);
	cr_log_info("%llu consistent reads", (unsigned long long)good);
}

Test(seqlock, processes_never_see_a_torn_record)
{
	struct hammer *h = test_shared_alloc(sizeof(*h));
	uint64_t *res = test_shared_alloc(3 * sizeof(uint64_t));
	pid_t pid;

	h->writes = test_scaled(3000000);
	cr_assert_eq(shm_seqtab_create(&seg, "p", sizeof(struct rec), 1, &h->t), 0);
	seed_rec(h);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		read_all(h, &res[0], &res[1], &res[2]);
		_exit(0);
	}
	write_all(h);
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_eq(res[1], 0, "%llu torn reads", (unsigned long long)res[1]);
	cr_assert_eq(res[2], 0, "versions never go backwards");
}
