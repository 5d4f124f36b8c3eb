/* SPDX-License-Identifier: MIT */
/*
 * The order table (orderd/table.c) over a real seqlock table in a private
 * segment: insert, find, commit and read back through shm_seqtab_read;
 * slot reuse oldest final first; a table full of live orders; many coids
 * sharing hash runs; otable_each_live; and find/insert/commit with no
 * allocation and no system call (a seccomp jail).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "../testutil.h"
#include "../jail.h"
#include "../../orderd/core.h"

#define BASE (1700000000ull << 32)

static struct tenv env;
static struct shm_seg seg;
static char seg_name[SHM_NAME_MAX];
static struct shm_seqtab *tab;
static struct otable t;

/* A segment with a table of 'count' entries. */
static void make(uint32_t count)
{
	size_t bytes = shm_seqtab_bytes(sizeof(struct kimp_ord_entry), count);

	snprintf(seg_name, sizeof(seg_name), "otab%d", (int)getpid());
	tenv_init_seg(&env, &seg, seg_name, bytes + (1 << 20));
	cr_assert_eq(shm_seqtab_create(&seg, KIMP_ORD_TABLE, sizeof(struct kimp_ord_entry), count,
				       &tab), 0, "%s", shm_last_error());
}

static void teardown(void)
{
	otable_free(&t);
	if (seg_name[0]) {
		shm_seg_detach(&seg);
		cr_expect_eq(shm_seg_remove(seg_name, &env.o), 0);
		tenv_fini(&env);
		seg_name[0] = 0;
	}
}

TestSuite(otable, .fini = teardown);

static struct kimp_ord_entry rd(uint32_t slot)
{
	struct kimp_ord_entry e;

	cr_assert_eq(shm_seqtab_read(tab, slot, &e, 100), 0);
	return e;
}

static struct kimp_ord_entry *add(uint64_t coid, uint8_t state)
{
	struct kimp_ord_entry *e = otable_insert(&t, coid);

	cr_assert_not_null(e, "insert %llu", (unsigned long long)coid);
	e->state = state;
	e->qty = (int64_t)(coid & 0xffff);
	otable_commit(&t, e);
	return e;
}

static uint32_t slot_of(const struct kimp_ord_entry *e)
{
	return (uint32_t)(e - t.e);
}

Test(otable, init_checks)
{
	make(8);
	cr_assert_eq(otable_init(&t, NULL, 8), -EINVAL);
	cr_assert_eq(otable_init(&t, tab, 0), -EINVAL);
	cr_assert_eq(otable_init(&t, tab, 9), -EINVAL, "more slots than the table");
	cr_assert_eq(otable_init(&t, tab, 8), 0);
	cr_assert_eq(t.slots, 8);
	cr_assert_eq(t.hmask + 1, 16, "2 x pow2 >= slots");
	otable_free(&t);
	cr_assert_eq(otable_init(&t, tab, 5), 0, "fewer slots than the table is fine");
	cr_assert_eq(t.hmask + 1, 16);
}

Test(otable, init_wrong_record_size)
{
	struct shm_seqtab *other;

	make(8);
	cr_assert_eq(shm_seqtab_create(&seg, "small", 64, 8, &other), 0);
	cr_assert_eq(otable_init(&t, other, 8), -EINVAL);
}

Test(otable, init_clears_a_previous_run)
{
	struct kimp_ord_entry e = { .client_oid = 99, .state = KIMP_ORD_ACKED };

	make(4);
	shm_seqtab_write(tab, 2, &e);
	cr_assert_eq(otable_init(&t, tab, 4), 0);
	cr_assert_eq(rd(2).client_oid, 0);
}

Test(otable, insert_find_commit_readback)
{
	struct kimp_ord_entry *e, got;

	make(16);
	cr_assert_eq(otable_init(&t, tab, 16), 0);
	cr_assert_null(otable_find(&t, BASE + 1));
	e = otable_insert(&t, BASE + 1);
	cr_assert_not_null(e);
	cr_assert_eq(e->client_oid, BASE + 1);
	cr_assert_eq(e->state, KIMP_ORD_NEW);
	cr_assert_eq(t.live, 1);
	cr_assert_eq(otable_find(&t, BASE + 1), e);
	cr_assert_null(otable_insert(&t, BASE + 1), "already there");
	cr_assert_null(otable_insert(&t, 0), "0 is no client_oid");
	cr_assert_null(otable_find(&t, 0));

	/* not published before commit */
	cr_assert_eq(rd(slot_of(e)).client_oid, 0);
	e->px = 12345;
	e->qty = 7;
	e->venue = KIMP_VENUE_UPBIT;
	strcpy(e->oid, "abc-123");
	e->state = KIMP_ORD_SENT;
	otable_commit(&t, e);
	got = rd(slot_of(e));
	cr_assert_eq(memcmp(&got, e, sizeof(got)), 0, "the shared record is the private copy");

	e->state = KIMP_ORD_PARTIAL;
	e->cum_qty = 3;
	otable_commit(&t, e);
	got = rd(slot_of(e));
	cr_assert_eq(got.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(got.cum_qty, 3);
	cr_assert_eq(t.live, 1);
	e->state = KIMP_ORD_FILLED;
	otable_commit(&t, e);
	cr_assert_eq(t.live, 0);
	cr_assert_eq(t.ff_count, 1);
	cr_assert_eq(otable_find(&t, BASE + 1), e, "final orders are still found");
}

Test(otable, reuse_oldest_final_first)
{
	struct kimp_ord_entry *e[4];

	make(4);
	cr_assert_eq(otable_init(&t, tab, 4), 0);
	for (int i = 0; i < 4; i++)
		e[i] = add(BASE + (uint64_t)i, KIMP_ORD_ACKED);
	cr_assert_null(otable_insert(&t, BASE + 10), "all live");
	/* final in the order 2, 0, 3; 1 stays live */
	e[2]->state = KIMP_ORD_FILLED;
	otable_commit(&t, e[2]);
	e[0]->state = KIMP_ORD_CANCELLED;
	otable_commit(&t, e[0]);
	e[3]->state = KIMP_ORD_REJECTED;
	otable_commit(&t, e[3]);
	/* a second commit of a final order does not queue it twice */
	e[2]->state = KIMP_ORD_FILLED;
	otable_commit(&t, e[2]);
	cr_assert_eq(t.ff_count, 3);

	struct kimp_ord_entry *n = otable_insert(&t, BASE + 10);
	cr_assert_eq(n, e[2], "the oldest final slot");
	cr_assert_null(otable_find(&t, BASE + 2), "its old order left the index");
	cr_assert_eq(otable_find(&t, BASE + 10), n);
	cr_assert_eq(otable_insert(&t, BASE + 11), e[0]);
	cr_assert_eq(otable_insert(&t, BASE + 12), e[3]);
	cr_assert_null(otable_insert(&t, BASE + 13), "slot 1 is live");
	cr_assert_eq(otable_find(&t, BASE + 1), e[1]);
	cr_assert_eq(t.live, 4);
}

Test(otable, a_revived_order_is_not_reused)
{
	struct kimp_ord_entry *a, *b;

	make(2);
	cr_assert_eq(otable_init(&t, tab, 2), 0);
	a = add(BASE + 1, KIMP_ORD_CANCELLED);
	b = add(BASE + 2, KIMP_ORD_ACKED);
	cr_assert_eq(t.live, 1);
	/* the caller moved it out of a final state (not an FSM move, but the
	 * table must stay right) */
	a->state = KIMP_ORD_ACKED;
	otable_commit(&t, a);
	cr_assert_eq(t.live, 2);
	cr_assert_null(otable_insert(&t, BASE + 3));
	a->state = KIMP_ORD_FILLED;
	otable_commit(&t, a);
	cr_assert_eq(t.live, 1);
	cr_assert_eq(otable_insert(&t, BASE + 3), a);
	(void)b;
}

Test(otable, full_table_all_live)
{
	const uint32_t n = 1000;

	make(n);
	cr_assert_eq(otable_init(&t, tab, n), 0);
	for (uint32_t i = 0; i < n; i++)
		add(BASE + i, i & 1 ? KIMP_ORD_SENT : KIMP_ORD_UNKNOWN);
	cr_assert_eq(t.live, n);
	cr_assert_null(otable_insert(&t, BASE + n), "full");
	cr_assert_null(otable_insert(&t, BASE + n + 1));
	for (uint32_t i = 0; i < n; i++)
		cr_assert_not_null(otable_find(&t, BASE + i));
	/* one final: exactly one more fits */
	struct kimp_ord_entry *e = otable_find(&t, BASE + 500);
	e->state = KIMP_ORD_EXPIRED;
	otable_commit(&t, e);
	cr_assert_eq(otable_insert(&t, BASE + n), e);
	cr_assert_null(otable_insert(&t, BASE + n + 1));
}

Test(otable, many_coids_collide_and_leave)
{
	/* coids a real riskd makes (time << 32 + counter), other seconds, and
	 * multiples of the hash size: long probe runs, then deletions from
	 * their middle through reuse */
	const uint32_t n = 4096;
	uint64_t *ids = calloc(3 * n, sizeof(*ids));
	uint32_t k = 0;

	make(n);
	cr_assert_eq(otable_init(&t, tab, n), 0);
	for (uint32_t i = 0; i < n; i++)
		ids[k++] = BASE + i;
	for (uint32_t i = 0; i < n; i++)
		ids[k++] = ((1700000001ull + i) << 32) + 1;
	for (uint32_t i = 0; i < n; i++)
		ids[k++] = (uint64_t)(i + 1) << 13;

	/* round 1: fill with the first n, every third final */
	for (uint32_t i = 0; i < n; i++)
		add(ids[i], i % 3 ? KIMP_ORD_ACKED : KIMP_ORD_FILLED);
	/* round 2: the next ones take the final slots, oldest first */
	uint32_t finals = (n + 2) / 3;
	for (uint32_t i = 0; i < finals; i++) {
		struct kimp_ord_entry *e = otable_insert(&t, ids[n + i]);

		cr_assert_not_null(e, "%u", i);
		cr_assert_eq(slot_of(e), 3 * i, "oldest final first");
		e->state = KIMP_ORD_ACKED;
		otable_commit(&t, e);
	}
	cr_assert_null(otable_insert(&t, ids[2 * n]));
	/* every id is found exactly when it is in the table */
	for (uint32_t i = 0; i < n; i++) {
		struct kimp_ord_entry *e = otable_find(&t, ids[i]);

		if (i % 3)
			cr_assert(e && e->client_oid == ids[i], "%u", i);
		else
			cr_assert_null(e, "%u was reused", i);
	}
	for (uint32_t i = 0; i < finals; i++)
		cr_assert_not_null(otable_find(&t, ids[n + i]));
	for (uint32_t i = finals; i < n; i++)
		cr_assert_null(otable_find(&t, ids[n + i]));
	/* churn with the third set through one free slot at a time */
	uint32_t churned = 0, found = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct kimp_ord_entry *e = otable_find(&t, i < finals ? ids[n + i] : ids[i]);

		if (!e)
			continue;
		e->state = KIMP_ORD_CANCELLED;
		otable_commit(&t, e);
		struct kimp_ord_entry *f = otable_insert(&t, ids[2 * n + i]);
		cr_assert_eq(f, e, "%u", i);
		f->state = KIMP_ORD_ACKED;
		otable_commit(&t, f);
		cr_assert_eq(otable_find(&t, ids[2 * n + i]), f);
		churned++;
	}
	for (uint32_t i = 0; i < 3 * n; i++) {
		struct kimp_ord_entry *e = otable_find(&t, ids[i]);

		if (e)
			cr_assert_eq(e->client_oid, ids[i]);
		found += e && i >= 2 * n;
	}
	cr_assert_eq(found, churned);
	cr_assert_gt(churned, n / 2);
	cr_assert_eq(t.live, n);
	free(ids);
}

struct live_seen {
	uint64_t sum;
	unsigned n;
};

static void live_cb(void *arg, struct kimp_ord_entry *e)
{
	struct live_seen *s = arg;

	s->sum += e->client_oid;
	s->n++;
	cr_assert_not(fsm_final(e->state));
}

Test(otable, each_live)
{
	struct live_seen s = { 0 };

	make(16);
	cr_assert_eq(otable_init(&t, tab, 16), 0);
	otable_each_live(&t, live_cb, &s);
	cr_assert_eq(s.n, 0);
	add(BASE + 1, KIMP_ORD_ACKED);
	add(BASE + 2, KIMP_ORD_FILLED);
	add(BASE + 3, KIMP_ORD_UNKNOWN);
	add(BASE + 4, KIMP_ORD_CANCEL_PENDING);
	add(BASE + 5, KIMP_ORD_REJECTED);
	otable_insert(&t, BASE + 6);  /* NEW, not committed yet: live */
	otable_each_live(&t, live_cb, &s);
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.sum, 4 * BASE + 1 + 3 + 4 + 6);
	cr_assert_eq(t.live, 4);
}

Test(otable, hot_path_no_allocation_no_syscall)
{
	const uint32_t n = 256;
	pid_t pid;

	make(n);
	cr_assert_eq(otable_init(&t, tab, n), 0);
	/* warm: every slot used once, half final (the reuse path) */
	for (uint32_t i = 0; i < n; i++)
		add(BASE + i, i & 1 ? KIMP_ORD_FILLED : KIMP_ORD_ACKED);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		uint64_t next = BASE + n;

		if (test_jail())
			_exit(2);
		for (uint32_t round = 0; round < 2000; round++) {
			struct kimp_ord_entry *e = otable_insert(&t, next);

			if (!e)
				syscall(SYS_exit, 4);
			e->state = KIMP_ORD_SENT;
			otable_commit(&t, e);
			if (otable_find(&t, next) != e || otable_find(&t, next + 999999))
				syscall(SYS_exit, 5);
			e->state = KIMP_ORD_FILLED;
			otable_commit(&t, e);
			next++;
		}
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, 0);
	}
	cr_assert_eq(test_wait_child(pid), 0, "a syscall (SIGSYS = 159), an allocation (3), "
		     "a full table (4) or a lost order (5)");
}
