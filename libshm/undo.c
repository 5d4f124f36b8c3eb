/* SPDX-License-Identifier: MIT */
/* The undo journal's cold half: abort and recovery. See kimp/undo.h. */
#include "kimp/undo.h"

static uint64_t undo_all(struct shm_undo *u, void *base, uint64_t region_size)
{
	uint64_t n = atomic_load_explicit(&u->n, memory_order_acquire);
	uint64_t done = 0;

	if (n > SHM_UNDO_MAX)
		n = SHM_UNDO_MAX;
	for (uint64_t i = n; i-- > 0;) {
		const struct shm_undo_ent *e = &u->ent[i];
		/* an entry pointing outside the region is not ours to write */
		if (region_size && (e->off > region_size || region_size - e->off < 8))
			continue;
		*(int64_t *)(void *)((char *)base + e->off) = e->old;
		done++;
	}
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&u->n, 0, memory_order_release);
	return done;
}

void shm_undo_abort(struct shm_undo *u, void *base)
{
	undo_all(u, base, 0);
}

uint64_t shm_undo_recover(struct shm_undo *u, void *base, uint64_t region_size)
{
	return undo_all(u, base, region_size);
}
