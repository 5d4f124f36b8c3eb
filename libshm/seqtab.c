/* SPDX-License-Identifier: MIT */
/*
 * Seqlocked tables: creation and lookup. Reads and writes are inline in
 * include/kimp/seqlock.h.
 */
#include <errno.h>
#include <stdio.h>
#include "kimp/seqlock.h"
#include "shm_internal.h"

static uint32_t seqtab_stride(uint32_t rec_size)
{
	return (uint32_t)shm_align_up(sizeof(struct shm_seq) + rec_size, KIMP_CACHELINE);
}

size_t shm_seqtab_bytes(uint32_t rec_size, uint32_t count)
{
	return sizeof(struct shm_seqtab) + (size_t)seqtab_stride(rec_size) * count;
}

int shm_seqtab_create(struct shm_seg *seg, const char *name, uint32_t rec_size,
		      uint32_t count, struct shm_seqtab **out)
{
	struct shm_seqtab *t;
	void *mem;
	int err;

	if (!rec_size || rec_size % 8 || !count)
		return shm_fail(-EINVAL, "seqlock table '%s': record size %u must be a "
				"non-zero multiple of 8, count %u non-zero", name, rec_size,
				count);
	err = shm_region_add(seg, name, shm_seqtab_bytes(rec_size, count),
			     SHM_REGION_SEQTAB, &mem);
	if (err)
		return err;
	t = mem;
	t->rec_size = rec_size;
	t->stride = seqtab_stride(rec_size);
	t->count = count;
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* release: the shape is complete before the magic says so */
	atomic_store_explicit((_Atomic uint32_t *)&t->magic, SHM_SEQTAB_MAGIC,
			      memory_order_release);
	*out = t;
	return 0;
}

int shm_seqtab_check(const struct shm_seqtab *t, uint64_t region_size)
{
	if (region_size < sizeof(*t) || t->magic != SHM_SEQTAB_MAGIC ||
	    !t->rec_size || t->rec_size % 8 || t->stride != seqtab_stride(t->rec_size) ||
	    shm_seqtab_bytes(t->rec_size, t->count) > region_size)
		return shm_fail(-EPROTO, "not a valid seqlock table");
	return 0;
}

int shm_seqtab_lookup(const struct shm_seg *seg, const char *name, struct shm_seqtab **out)
{
	const struct shm_region_ent *e = shm_region_find(seg, name);
	struct shm_seqtab *t;

	if (!e)
		return shm_fail(-ENOENT, "table '%s' not found in %s", name, seg->path);
	t = shm_region_ptr(seg, e);
	if (e->kind != SHM_REGION_SEQTAB || shm_seqtab_check(t, e->size))
		return shm_fail(-EPROTO, "region '%s' in %s is not a valid seqlock table",
				name, seg->path);
	*out = t;
	return 0;
}
