/* SPDX-License-Identifier: MIT */
/*
 * SPSC ring set-up: creation, lookup and attach. The hot path is inline in
 * include/kimp/ring.h.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kimp/ring.h"
#include "shm_internal.h"

/* slots start on a line pair after the header; one empty pair after them */
#define RING_SLOTS_OFF shm_align_up(sizeof(struct shm_ring), KIMP_FALSE_SHARING)

size_t shm_ring_bytes(uint32_t slot_size, uint32_t slot_count)
{
	return RING_SLOTS_OFF + (size_t)slot_size * slot_count + KIMP_FALSE_SHARING;
}

static int ring_shape_ok(uint32_t slot_size, uint32_t slot_count)
{
	if (!slot_size || slot_size % KIMP_CACHELINE)
		return shm_fail(-EINVAL, "ring slot size %u is not a multiple of %d",
				slot_size, KIMP_CACHELINE);
	if (slot_count < 2 || !kimp_is_pow2(slot_count))
		return shm_fail(-EINVAL, "ring slot count %u is not a power of two >= 2",
				slot_count);
	return 0;
}

/* A random salt with its high bit set: no position + 1 below 2^63 maps to 0. */
static uint64_t ring_salt(void)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = kimp_rdtsc() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32;
	return v | (1ull << 63);
}

int shm_ring_create(struct shm_seg *seg, const char *name, uint32_t slot_size,
		    uint32_t slot_count, uint32_t flags, struct shm_doorbell *bell,
		    struct shm_ring **out)
{
	struct shm_ring *r;
	void *mem;
	int err;

	err = ring_shape_ok(slot_size, slot_count);
	if (err)
		return err;
	if (bell && ((uint8_t *)bell < seg->base || (uint8_t *)bell >= seg->base + seg->size))
		return shm_fail(-EINVAL, "ring '%s': doorbell outside the segment", name);
	err = shm_region_add(seg, name, shm_ring_bytes(slot_size, slot_count),
			     SHM_REGION_RING, &mem);
	if (err)
		return err;
	r = mem;
	r->slot_size = slot_size;
	r->slot_count = slot_count;
	r->flags = flags;
	r->salt = ring_salt();
	r->bell_off = bell ? (int64_t)((uint8_t *)bell - (uint8_t *)r)
			   : (int64_t)offsetof(struct shm_ring, bell);
	snprintf(r->name, sizeof(r->name), "%s", name);
	/* release: the shape is complete before the magic says so */
	atomic_store_explicit((_Atomic uint32_t *)&r->magic, SHM_RING_MAGIC,
			      memory_order_release);
	*out = r;
	return 0;
}

int shm_ring_check(const struct shm_ring *r, uint64_t region_size)
{
	if (region_size < sizeof(*r) || r->magic != SHM_RING_MAGIC)
		return shm_fail(-EPROTO, "not a ring (bad magic)");
	if (ring_shape_ok(r->slot_size, r->slot_count))
		return -EPROTO;
	if (shm_ring_bytes(r->slot_size, r->slot_count) > region_size)
		return shm_fail(-EPROTO, "ring '%s': %u x %u bytes do not fit its region",
				r->name, r->slot_count, r->slot_size);
	if (r->bell_off % 8)
		return shm_fail(-EPROTO, "ring '%s': misaligned doorbell", r->name);
	if (!(r->salt >> 63))
		return shm_fail(-EPROTO, "ring '%s': bad salt", r->name);
	/*
	 * The ring may be live: only judge head against a tail that did not
	 * move while head was read. A ring whose tail keeps moving is being
	 * consumed, which is evidence enough.
	 */
	for (int tries = 0; tries < 16; tries++) {
		uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
		uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
		if (atomic_load_explicit(&r->tail, memory_order_acquire) != t)
			continue;
		if (h - t > r->slot_count)
			return shm_fail(-EPROTO, "ring '%s': head %llu and tail %llu are "
					"inconsistent", r->name, (unsigned long long)h,
					(unsigned long long)t);
		return 0;
	}
	return 0;
}

int shm_ring_lookup(const struct shm_seg *seg, const char *name, struct shm_ring **out)
{
	const struct shm_region_ent *e = shm_region_find(seg, name);
	int err;

	if (!e)
		return shm_fail(-ENOENT, "ring '%s' not found in %s", name, seg->path);
	if (e->kind != SHM_REGION_RING)
		return shm_fail(-EPROTO, "region '%s' in %s is not a ring", name, seg->path);
	struct shm_ring *r = shm_region_ptr(seg, e);
	err = shm_ring_check(r, e->size);
	if (err)
		return err;
	uint8_t *bell = (uint8_t *)r + r->bell_off;
	if (bell < seg->base || bell + sizeof(struct shm_doorbell) > seg->base + seg->size)
		return shm_fail(-EPROTO, "ring '%s': doorbell outside the segment", name);
	*out = r;
	return 0;
}

int shm_ring_producer(struct shm_ring *r, struct shm_ring_prod *p)
{
	int err = shm_ring_check(r, shm_ring_bytes(r->slot_size, r->slot_count));

	if (err)
		return err;
	memset(p, 0, sizeof(*p));
	p->r = r;
	p->slots = (uint8_t *)r + RING_SLOTS_OFF;
	p->mask = r->slot_count - 1;
	p->slot_size = r->slot_size;
	p->conflate = r->flags & SHM_RING_CONFLATE;
	p->bell = shm_ring_doorbell(r);
	p->salt = r->salt;
	/* resume at the last publish; acquire pairs with commit's release */
	p->head = atomic_load_explicit(&r->head, memory_order_acquire);
	p->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	/* a producer that died between a slot's mark and head: step over the
	 * slots it did publish, or they would be written again under a reader */
	while (p->head - p->tail_cache < r->slot_count &&
	       atomic_load_explicit(shm_ring_slot_mark(p->slots, p->mask, p->slot_size,
						       p->head), memory_order_acquire) ==
	       shm_ring_mark(p->salt, p->head))
		p->head++;
	atomic_store_explicit(&r->head, p->head, memory_order_release);
	atomic_store_explicit(&r->producer_pid, getpid(), memory_order_relaxed);
	atomic_fetch_add_explicit(&r->producer_attaches, 1, memory_order_relaxed);
	return 0;
}

int shm_ring_consumer(struct shm_ring *r, struct shm_ring_cons *c)
{
	int err = shm_ring_check(r, shm_ring_bytes(r->slot_size, r->slot_count));

	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->slots = (uint8_t *)r + RING_SLOTS_OFF;
	c->mask = r->slot_count - 1;
	c->slot_size = r->slot_size;
	c->salt = r->salt;
	/* resume at the last commit: what was peeked but not committed comes again */
	c->tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	atomic_store_explicit(&r->consumer_pid, getpid(), memory_order_relaxed);
	atomic_fetch_add_explicit(&r->consumer_attaches, 1, memory_order_relaxed);
	return 0;
}

void shm_doorbell_wake(struct shm_doorbell *b)
{
	/* release: a futex wait that has not started yet sees the change and
	 * returns at once */
	atomic_fetch_add_explicit(&b->seq, 1, memory_order_release);
	atomic_fetch_add_explicit(&b->wakes, 1, memory_order_relaxed);
	syscall(SYS_futex, &b->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
}
