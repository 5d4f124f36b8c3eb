/* SPDX-License-Identifier: MIT */
/*
 * Lock-free single-producer single-consumer ring in shared memory.
 *
 * Fixed-size slots (a power-of-two count; slot size a multiple of 64 bytes,
 * set per ring). Free-running 64-bit positions, masked on access.
 *
 * The first 8 bytes of every slot belong to the ring: publish stores there
 * the slot's mark, (position + 1) ^ salt, with release; the consumer loads
 * it with acquire and the slot is ready when it equals the mark it expects.
 * So a waiting consumer pulls one cache line per message, the slot itself,
 * and never the producer's index. The salt is random per ring with its high
 * bit set, so neither a zeroed slot, nor a stale mark from the previous lap,
 * nor a value a producer wrote there by mistake reads as ready. Producers
 * write bytes 8 and up only (struct kimp_msg_hdr starts with this word).
 *
 * The producer also stores its position (head) after each publish, on a
 * line pair of its own that no one polls (tools and a restarted producer
 * read it); the consumer's committed position (tail) sits on another and is
 * the consumer's commit point. The producer keeps a cached copy of tail and
 * re-reads the shared one only when the copy says full.
 *
 * Restart: a consumer resumes at its last commit and sees again what it had
 * peeked but not committed; a producer resumes at its last publish (head,
 * then past any slot already marked, should it have died between the mark
 * and head), so a slot it had reserved but not published is written again.
 *
 * Zero-copy use:
 *   producer: p = shm_ring_reserve(&prod); fill bytes 8..; shm_ring_publish(&prod);
 *   consumer: m = shm_ring_peek(&cons); use *m; shm_ring_commit(&cons);
 * and the batch forms shm_ring_reserve_batch / publish_n and
 * shm_ring_peek_batch / commit_n, which touch the shared tail once per batch.
 * In a tight loop keep the handle in a local: slot stores go through char
 * pointers, which may alias anything, so a handle reached through memory is
 * reloaded after every one.
 *
 * Full is a status, never an error: reserve returns NULL. A ring created with
 * SHM_RING_CONFLATE (market data) also counts that as an overrun; the
 * producer flags its next message (KIMP_MSG_F_GAP in msg.h) so the consumer
 * knows to re-read the book table.
 */
#ifndef KIMP_RING_H
#define KIMP_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/segment.h"

#define SHM_RING_MAGIC    0x474e4952u /* "RING" */
#define SHM_RING_CONFLATE 0x1u        /* producer drops on full and counts it */
#define SHM_RING_MARK_BYTES 8         /* the ring's part of every slot */

/*
 * Doorbell for the hybrid wait strategy. Lives in shared memory; one per
 * consuming process (several rings may share one, when they live in the same
 * segment).
 */
struct shm_doorbell {
	_Atomic uint32_t seq;      /* futex word: bumped on every wake */
	_Atomic uint32_t sleeping; /* the consumer said it is about to sleep */
	_Atomic uint32_t armed;    /* the consumer waits in hybrid mode */
	int32_t waiter_pid;
	_Atomic uint64_t wakes;    /* futex wakes made by producers */
	uint8_t pad[KIMP_FALSE_SHARING - 24];
};
KIMP_ASSERT_SIZE(struct shm_doorbell, 128);

/* Ring header. Lives in shared memory, followed by the slots. */
struct shm_ring {
	/* config: written once at creation, read-only afterwards */
	uint32_t magic;
	uint32_t slot_size;
	uint32_t slot_count;
	uint32_t flags;
	int64_t bell_off;         /* doorbell, relative to this header */
	uint64_t salt;            /* slot marks are (position + 1) ^ salt */
	char name[SHM_NAME_MAX];
	uint8_t pad0[KIMP_FALSE_SHARING - 64];
	/* producer-written, polled by no one */
	_Atomic uint64_t head;    /* messages published */
	uint8_t pad1[KIMP_FALSE_SHARING - 8];
	/* consumer-written */
	_Atomic uint64_t tail;    /* messages committed */
	uint8_t pad2[KIMP_FALSE_SHARING - 8];
	/* producer-written, rarely: stats and owners */
	_Atomic uint64_t overruns;
	_Atomic int32_t producer_pid;
	_Atomic int32_t consumer_pid;
	_Atomic uint64_t producer_attaches;
	_Atomic uint64_t consumer_attaches;
	uint8_t pad3[KIMP_FALSE_SHARING - 32];
	struct shm_doorbell bell; /* the default doorbell */
	/* slots follow, 128-byte aligned, with one empty line pair after them */
};
KIMP_ASSERT_OFFSET(struct shm_ring, head, 128);
KIMP_ASSERT_OFFSET(struct shm_ring, tail, 256);
KIMP_ASSERT_OFFSET(struct shm_ring, overruns, 384);
KIMP_ASSERT_OFFSET(struct shm_ring, bell, 512);
KIMP_ASSERT_SIZE(struct shm_ring, 640);

/* Producer handle. Process-private. */
struct shm_ring_prod {
	uint64_t head;            /* local copy of what we published */
	uint64_t tail_cache;      /* last tail we saw */
	uint64_t mask;
	uint64_t salt;
	uint32_t slot_size;
	uint32_t conflate;
	uint8_t *slots;
	struct shm_ring *r;
	struct shm_doorbell *bell;
};

/* Consumer handle. Process-private. */
struct shm_ring_cons {
	uint64_t tail;            /* local copy of what we committed */
	uint64_t mask;
	uint64_t salt;
	uint32_t slot_size;
	uint32_t pad;
	uint8_t *slots;
	struct shm_ring *r;
};

static inline uint64_t shm_ring_mark(uint64_t salt, uint64_t pos)
{
	return (pos + 1) ^ salt;
}

static inline _Atomic uint64_t *shm_ring_slot_mark(uint8_t *slots, uint64_t mask,
						     uint32_t slot_size, uint64_t pos)
{
	return (_Atomic uint64_t *)(slots + (pos & mask) * slot_size);
}

/* Bytes a ring of this shape needs in a segment. */
size_t shm_ring_bytes(uint32_t slot_size, uint32_t slot_count);

/*
 * Create ring 'name' as a region of 'seg'. slot_size a non-zero multiple of
 * 64, slot_count a power of two >= 2. 'bell' NULL uses the ring's own
 * doorbell; otherwise it must lie in the same segment. -EINVAL for a bad
 * shape, and shm_region_add()'s errors.
 */
int shm_ring_create(struct shm_seg *seg, const char *name, uint32_t slot_size,
		    uint32_t slot_count, uint32_t flags,
		    struct shm_doorbell *bell, struct shm_ring **out) kimp_cold;

/* Find and validate ring 'name': -ENOENT, or -EPROTO if corrupt. */
int shm_ring_lookup(const struct shm_seg *seg, const char *name,
		    struct shm_ring **out) kimp_cold;

/* Validate a ring header found at 'r' in a region of 'region_size' bytes. */
int shm_ring_check(const struct shm_ring *r, uint64_t region_size) kimp_cold;

/*
 * Attach as the (only) producer or consumer, resuming at the shared index.
 * -EPROTO when the indices are inconsistent (tail > head or head - tail >
 * slot_count).
 */
int shm_ring_producer(struct shm_ring *r, struct shm_ring_prod *p) kimp_cold;
int shm_ring_consumer(struct shm_ring *r, struct shm_ring_cons *c) kimp_cold;

static inline struct shm_doorbell *shm_ring_doorbell(struct shm_ring *r)
{
	return (struct shm_doorbell *)((uint8_t *)r + r->bell_off);
}

/* Bump the doorbell's sequence and wake its sleeper. Out of line: rare. */
void shm_doorbell_wake(struct shm_doorbell *b);

/*
 * After a publish: wake the consumer if it said it sleeps. Only a consumer
 * in hybrid mode arms its doorbell, so a spinning pipeline pays one cached
 * load here.
 *
 * The exchange pairs with the consumer's exchange of sleeping in
 * shm_wait_sleep (see wait.h): both are read-modify-writes of one variable,
 * so one comes first; if the consumer's does, we read its 1 and wake it; if
 * ours does, the consumer's exchange reads from ours (release -> acquire)
 * and its re-check sees the head we stored before.
 */
static inline void shm_ring_maybe_wake(struct shm_doorbell *b)
{
	if (kimp_unlikely(atomic_load_explicit(&b->armed, memory_order_relaxed)) &&
	    atomic_exchange_explicit(&b->sleeping, 0, memory_order_acq_rel))
		shm_doorbell_wake(b);
}

/* ---- producer ---------------------------------------------------------- */

/* Next free slot, or NULL when full (counted as an overrun if conflating). */
static inline void *shm_ring_reserve(struct shm_ring_prod *p)
{
	if (kimp_unlikely(p->head - p->tail_cache > p->mask)) {
		/* acquire: pairs with the release store of tail in commit, so the
		 * consumer is done reading the slot we are about to reuse */
		p->tail_cache = atomic_load_explicit(&p->r->tail, memory_order_acquire);
		if (p->head - p->tail_cache > p->mask) {
			if (p->conflate)
				atomic_store_explicit(&p->r->overruns,
					atomic_load_explicit(&p->r->overruns, memory_order_relaxed) + 1,
					memory_order_relaxed);
			return NULL;
		}
	}
	return p->slots + (p->head & p->mask) * p->slot_size;
}

/* Publish the slot returned by the last reserve. */
static inline void shm_ring_publish(struct shm_ring_prod *p)
{
	/* release: pairs with the acquire load of the mark in peek; payload first */
	atomic_store_explicit(shm_ring_slot_mark(p->slots, p->mask, p->slot_size, p->head),
			      shm_ring_mark(p->salt, p->head), memory_order_release);
	/* no one polls head: it is for tools and for a restarted producer */
	atomic_store_explicit(&p->r->head, ++p->head, memory_order_release);
	shm_ring_maybe_wake(p->bell);
}

/*
 * Up to 'want' free slots that are contiguous in memory (a batch stops at
 * the wrap). Returns how many; *first points at the first. Fill them, then
 * shm_ring_publish_n() with at most that many.
 */
static inline uint32_t shm_ring_reserve_batch(struct shm_ring_prod *p, void **first,
					      uint32_t want)
{
	uint64_t size = p->mask + 1;
	uint64_t free_ = size - (p->head - p->tail_cache);
	if (free_ < want) {
		/* acquire: pairs with the release store of tail in commit */
		p->tail_cache = atomic_load_explicit(&p->r->tail, memory_order_acquire);
		free_ = size - (p->head - p->tail_cache);
	}
	uint64_t idx = p->head & p->mask;
	uint64_t n = want < free_ ? want : free_;
	if (n > size - idx)
		n = size - idx;
	*first = p->slots + idx * p->slot_size;
	return (uint32_t)n;
}

static inline void shm_ring_publish_n(struct shm_ring_prod *p, uint32_t n)
{
	/* in order, so a producer that dies part-way leaves a published prefix */
	for (uint32_t k = 0; k < n; k++)
		/* release: pairs with the acquire load of the mark in peek_batch */
		atomic_store_explicit(shm_ring_slot_mark(p->slots, p->mask, p->slot_size,
							 p->head + k),
				      shm_ring_mark(p->salt, p->head + k), memory_order_release);
	p->head += n;
	atomic_store_explicit(&p->r->head, p->head, memory_order_release);
	shm_ring_maybe_wake(p->bell);
}

/*
 * Copying convenience: bytes 8..len of msg into the next slot (the first 8
 * are the ring's). 0, or -EAGAIN when full. 8 <= len <= slot_size.
 */
static inline int shm_ring_push(struct shm_ring_prod *p, const void *msg, size_t len)
{
	uint8_t *slot = shm_ring_reserve(p);
	if (!slot)
		return -EAGAIN;
	memcpy(slot + SHM_RING_MARK_BYTES, (const uint8_t *)msg + SHM_RING_MARK_BYTES,
	       len - SHM_RING_MARK_BYTES);
	shm_ring_publish(p);
	return 0;
}

/* ---- consumer ---------------------------------------------------------- */

/* The oldest uncommitted message, or NULL when empty. */
static inline const void *shm_ring_peek(struct shm_ring_cons *c)
{
	_Atomic uint64_t *m = shm_ring_slot_mark(c->slots, c->mask, c->slot_size, c->tail);

	/* acquire: pairs with the release store of the mark in publish */
	if (atomic_load_explicit(m, memory_order_acquire) != shm_ring_mark(c->salt, c->tail))
		return NULL;
	return m;
}

/* Done with the message from the last peek: the producer may reuse it. */
static inline void shm_ring_commit(struct shm_ring_cons *c)
{
	/* release: pairs with the acquire load of tail in reserve */
	atomic_store_explicit(&c->r->tail, ++c->tail, memory_order_release);
}

/* Up to 'max' contiguous messages; *first points at the oldest. */
static inline uint32_t shm_ring_peek_batch(struct shm_ring_cons *c, const void **first,
					   uint32_t max)
{
	uint64_t idx = c->tail & c->mask;
	uint64_t lim = c->mask + 1 - idx;
	uint32_t n = 0;

	if (lim > max)
		lim = max;
	/* acquire: pairs with the release stores of the marks in publish_n */
	while (n < lim &&
	       atomic_load_explicit(shm_ring_slot_mark(c->slots, c->mask, c->slot_size,
						       c->tail + n), memory_order_acquire) ==
	       shm_ring_mark(c->salt, c->tail + n))
		n++;
	*first = c->slots + idx * c->slot_size;
	return n;
}

/* The 1-based ring sequence of the message at the last peek. */
static inline uint64_t shm_ring_seq(const struct shm_ring_cons *c)
{
	return c->tail + 1;
}

static inline void shm_ring_commit_n(struct shm_ring_cons *c, uint32_t n)
{
	c->tail += n;
	/* release: pairs with the acquire load of tail in reserve/reserve_batch */
	atomic_store_explicit(&c->r->tail, c->tail, memory_order_release);
}

/* Copying convenience (the mark included): 0, or -EAGAIN when empty. */
static inline int shm_ring_pop(struct shm_ring_cons *c, void *out, size_t len)
{
	const void *m = shm_ring_peek(c);
	if (!m)
		return -EAGAIN;
	memcpy(out, m, len);
	shm_ring_commit(c);
	return 0;
}

/* True when a message is waiting. */
static inline bool shm_ring_ready(struct shm_ring_cons *c)
{
	return shm_ring_peek(c) != NULL;
}

/* Messages published and not yet committed, as seen from outside (tools). */
static inline uint64_t shm_ring_depth(const struct shm_ring *r)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	return h - t;
}

#endif
