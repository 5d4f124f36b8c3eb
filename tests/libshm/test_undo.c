/* SPDX-License-Identifier: MIT */
/* The undo journal (kimp/undo.h, libshm/undo.c). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/undo.h"

struct region {
	struct shm_undo u;
	int64_t f[64];
};

Test(undo, commit_keeps_abort_restores)
{
	static struct region r;
	memset(&r, 0, sizeof(r));
	r.f[1] = 5;
	shm_undo_set(&r.u, &r, &r.f[0], 7);
	shm_undo_add(&r.u, &r, &r.f[1], -2);
	cr_assert_eq(r.f[0], 7);
	cr_assert_eq(r.f[1], 3);
	shm_undo_commit(&r.u);
	cr_assert_eq(r.u.n, 0);
	cr_assert_eq(r.u.commits, 1);
	shm_undo_set(&r.u, &r, &r.f[0], 100);
	shm_undo_set(&r.u, &r, &r.f[0], 200);   /* the same field twice */
	shm_undo_add(&r.u, &r, &r.f[2], 9);
	shm_undo_abort(&r.u, &r);
	cr_assert_eq(r.f[0], 7);
	cr_assert_eq(r.f[1], 3);
	cr_assert_eq(r.f[2], 0);
	cr_assert_eq(r.u.n, 0);
}

/* A child dies (SIGKILL) at every point of a transaction; recovery gives back the state before it. */
Test(undo, a_process_killed_mid_transaction_is_undone)
{
	size_t sz = sizeof(struct region);
	for (int stop = 0; stop <= 6; stop++) {
		struct region *r = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		cr_assert_neq(r, MAP_FAILED);
		memset(r, 0, sz);
		for (int i = 0; i < 6; i++)
			r->f[i] = 10 * i;
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			for (int i = 0; i < 6; i++) {
				if (i == stop)
					kill(getpid(), SIGKILL);
				shm_undo_add(&r->u, r, &r->f[i], 1000);
			}
			kill(getpid(), SIGKILL);  /* never committed */
			_exit(0);
		}
		int st;
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFSIGNALED(st));
		uint64_t undone = shm_undo_recover(&r->u, r, sz);
		cr_assert_eq(undone, (uint64_t)(stop < 6 ? stop : 6));
		for (int i = 0; i < 6; i++)
			cr_assert_eq(r->f[i], 10 * i, "stop %d field %d", stop, i);
		cr_assert_eq(shm_undo_recover(&r->u, r, sz), 0);
		munmap(r, sz);
	}
}

Test(undo, recover_skips_entries_outside_the_region)
{
	static struct region r;
	memset(&r, 0, sizeof(r));
	r.u.ent[0].off = sizeof(r) - 4;   /* would write past the end */
	r.u.ent[0].old = 1;
	r.u.ent[1].off = offsetof(struct region, f[3]);
	r.u.ent[1].old = 42;
	r.u.n = 2;
	cr_assert_eq(shm_undo_recover(&r.u, &r, sizeof(r)), 1);
	cr_assert_eq(r.f[3], 42);
}

Test(undo, too_many_stores_in_one_transaction_abort, .signal = SIGABRT)
{
	static struct region r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i <= SHM_UNDO_MAX; i++)
		shm_undo_add(&r.u, &r, &r.f[i % 64], 1);
}
