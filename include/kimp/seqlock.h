/* SPDX-License-Identifier: MIT */
/*
 * Seqlocks for tables that one process writes and others read (books,
 * positions). The writer makes the sequence odd, writes, and makes it even;
 * a reader copies the record out and retries when the sequence was odd or
 * changed under it, so it never returns a torn record.
 *
 * Data words are copied with 8-byte release stores and acquire loads (plain
 * moves on x86, no fence anywhere): a reader that sees any new word also sees
 * the odd sequence stored before it, so its final re-check of the sequence
 * fails. The race the protocol tolerates is therefore not undefined
 * behaviour, and TSan models all of it. Records are multiples of 8 bytes.
 *
 * A writer that died mid-write leaves the sequence odd: readers give up after
 * a bounded number of tries with -EAGAIN, and the restarted writer's next
 * write_begin keeps the sequence odd and its write_end makes it even again.
 */
#ifndef KIMP_SEQLOCK_H
#define KIMP_SEQLOCK_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/segment.h"

/* Lives in shared memory, at the start of each record. */
struct shm_seq {
	_Atomic uint64_t seq;
};

static inline void shm_seq_write_begin(struct shm_seq *s)
{
	uint64_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
	if (!(v & 1))
		atomic_store_explicit(&s->seq, v + 1, memory_order_relaxed);
	/* the data stores that follow are releases: the odd sequence goes first */
}

static inline void shm_seq_write_end(struct shm_seq *s)
{
	uint64_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
	/* release: pairs with the acquire load of seq at the start of a read */
	atomic_store_explicit(&s->seq, (v | 1) + 1, memory_order_release);
}

/*
 * Store 'len' bytes (a multiple of 8) into a seqlocked record, between
 * write_begin and write_end.
 */
static inline void shm_seq_store(void *dst, const void *src, size_t len)
{
	_Atomic uint64_t *d = dst;
	const uint64_t *s = src;
	for (size_t i = 0; i < len / 8; i++)
		/* release: pairs with the acquire load of this word in
		 * shm_seq_load; carries the odd sequence with it */
		atomic_store_explicit(&d[i], s[i], memory_order_release);
}

static inline void shm_seq_load(void *dst, const void *src, size_t len)
{
	uint64_t *d = dst;
	const _Atomic uint64_t *s = src;
	for (size_t i = 0; i < len / 8; i++)
		/* acquire: pairs with the release store in shm_seq_store; the
		 * sequence re-check cannot move above it */
		d[i] = atomic_load_explicit(&s[i], memory_order_acquire);
}

/*
 * One read attempt: copy 'len' bytes of 'src' to 'dst'. True if the copy is
 * consistent.
 */
static inline bool shm_seq_try_read(const struct shm_seq *s, void *dst,
				    const void *src, size_t len)
{
	/* acquire: pairs with the release store in write_end */
	uint64_t v0 = atomic_load_explicit(&s->seq, memory_order_acquire);
	if (v0 & 1)
		return false;
	shm_seq_load(dst, src, len);
	return atomic_load_explicit(&s->seq, memory_order_relaxed) == v0;
}

/* Read with up to 'tries' attempts: 0, or -EAGAIN (writer busy or dead). */
static inline int shm_seq_read(const struct shm_seq *s, void *dst, const void *src,
			       size_t len, unsigned tries)
{
	while (tries--) {
		if (shm_seq_try_read(s, dst, src, len))
			return 0;
		kimp_cpu_relax();
	}
	return -EAGAIN;
}

/*
 * A table of fixed-size records, each behind its own seqlock. Lives in
 * shared memory as one region: this header, then 'count' records of
 * 'stride' bytes (a multiple of 64), each a struct shm_seq then the data.
 */
#define SHM_SEQTAB_MAGIC 0x42415451u /* "QTAB" */

struct shm_seqtab {
	uint32_t magic;
	uint32_t rec_size;    /* data bytes per record, multiple of 8 */
	uint32_t stride;      /* bytes per record including its seq */
	uint32_t count;
	char name[SHM_NAME_MAX];
	uint8_t pad[16];
};
KIMP_ASSERT_SIZE(struct shm_seqtab, 64);

size_t shm_seqtab_bytes(uint32_t rec_size, uint32_t count);
int shm_seqtab_create(struct shm_seg *seg, const char *name, uint32_t rec_size,
		      uint32_t count, struct shm_seqtab **out) kimp_cold;
int shm_seqtab_lookup(const struct shm_seg *seg, const char *name,
		      struct shm_seqtab **out) kimp_cold;
/* Validate a table header in a region of 'region_size' bytes. */
int shm_seqtab_check(const struct shm_seqtab *t, uint64_t region_size) kimp_cold;

static inline struct shm_seq *shm_seqtab_lock(struct shm_seqtab *t, uint32_t i)
{
	return (struct shm_seq *)((uint8_t *)t + sizeof(*t) + (size_t)i * t->stride);
}

static inline void *shm_seqtab_data(struct shm_seqtab *t, uint32_t i)
{
	return (uint8_t *)shm_seqtab_lock(t, i) + sizeof(struct shm_seq);
}

/* Replace record i with 'src' (rec_size bytes). Single writer. */
static inline void shm_seqtab_write(struct shm_seqtab *t, uint32_t i, const void *src)
{
	struct shm_seq *s = shm_seqtab_lock(t, i);
	shm_seq_write_begin(s);
	shm_seq_store(shm_seqtab_data(t, i), src, t->rec_size);
	shm_seq_write_end(s);
}

/* Copy record i out: 0, or -EAGAIN after 'tries' inconsistent attempts. */
static inline int shm_seqtab_read(struct shm_seqtab *t, uint32_t i, void *dst,
				  unsigned tries)
{
	return shm_seq_read(shm_seqtab_lock(t, i), dst, shm_seqtab_data(t, i),
			    t->rec_size, tries);
}

#endif
