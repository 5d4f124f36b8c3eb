/* SPDX-License-Identifier: MIT */
/*
 * Crash-atomic updates of state in shared memory: an undo journal.
 *
 * A daemon whose state lives in a segment (riskd's positions, stratd's
 * pairs) changes several 8-byte fields for one message. If it dies half way
 * (SIGKILL, a crash), the next run must find the state as it was before that
 * message, so the message, delivered again by its ring, is applied once.
 *
 *   shm_undo_set(u, base, &field, v)   log field's old value, then store v
 *   shm_undo_commit(u)                 the message is applied: forget the log
 *   shm_undo_recover(u, base)          at start: put back what a dead run
 *                                      logged but never committed
 *
 * The journal sits in the same region as the fields (offsets from base, so
 * the region may map anywhere). One writer; readers of the fields may see a
 * half-made update, as with any unlocked shared counter. The log entry and
 * the count are stored before the field (program order, with compiler
 * fences): a process that dies leaves its executed stores visible, so
 * either the entry is counted and restores the old value, or the field was
 * never touched. It protects against a process dying, not the machine:
 * segments do not outlive a reboot anyway.
 *
 * A transaction may log at most SHM_UNDO_MAX stores; more is a bug in the
 * caller and aborts.
 */
#ifndef KIMP_UNDO_H
#define KIMP_UNDO_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include "kimp/compiler.h"

#define SHM_UNDO_MAX 126

struct shm_undo_ent {
	uint64_t off;           /* from base */
	int64_t old;
};

/* In shared memory: 2 KiB. */
struct shm_undo {
	_Atomic uint64_t n;     /* entries to undo; 0: nothing in flight */
	uint64_t commits;       /* transactions committed (a gauge for tests) */
	struct shm_undo_ent ent[SHM_UNDO_MAX];
};
KIMP_ASSERT_SIZE(struct shm_undo, 16 + 16 * SHM_UNDO_MAX);

/* Store v into *field (inside the region at base), logging the old value. */
static inline void shm_undo_set(struct shm_undo *u, void *base, int64_t *field, int64_t v)
{
	uint64_t n = atomic_load_explicit(&u->n, memory_order_relaxed);

	if (kimp_unlikely(n >= SHM_UNDO_MAX))
		abort();
	u->ent[n].off = (uint64_t)((char *)field - (char *)base);
	u->ent[n].old = *field;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&u->n, n + 1, memory_order_release);
	atomic_signal_fence(memory_order_seq_cst);
	*field = v;
}

/* *field += d, logged. */
static inline void shm_undo_add(struct shm_undo *u, void *base, int64_t *field, int64_t d)
{
	shm_undo_set(u, base, field, *field + d);
}

/* Unsigned fields: the same, through the int64 view. */
static inline void shm_undo_setu(struct shm_undo *u, void *base, uint64_t *field, uint64_t v)
{
	shm_undo_set(u, base, (int64_t *)(void *)field, (int64_t)v);
}

/* The transaction's stores are all done: it now survives a crash. */
static inline void shm_undo_commit(struct shm_undo *u)
{
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&u->n, 0, memory_order_release);
	u->commits++;
}

/* Drop what was stored since the last commit (the message is refused). */
void shm_undo_abort(struct shm_undo *u, void *base);

/*
 * At start, before anything reads the state: undo what a dead run left
 * half done. Returns how many stores were undone (0: the state was clean).
 */
uint64_t shm_undo_recover(struct shm_undo *u, void *base, uint64_t region_size) kimp_cold;

#endif
