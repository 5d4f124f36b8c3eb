/* SPDX-License-Identifier: MIT */
/*
 * The order table (core.h). Each order has a slot: a private working copy
 * (t->e[slot], which orderd changes freely) and the shared record
 * (seqlock table, kimp_ord_entry) that otable_commit publishes. The index
 * from client_oid to slot is an open-addressing hash (linear probing, at
 * most half full, deletion by backward shift: no tombstones) in private
 * memory.
 *
 * Slots: first the never-used ones in order, then the slots of final
 * orders, oldest final first (a FIFO filled by otable_commit when an order
 * turns final). A slot whose order is not final is never taken: when all
 * are live, otable_insert returns NULL (KIMP_OREJ_TABLE_FULL).
 *
 * find, insert and commit allocate nothing, lock nothing and make no
 * system call (tests/orderd/test_otable.c proves it in a seccomp jail).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

#define SF_LIVE   0x01u  /* not final (counted in t->live) */
#define SF_QUEUED 0x02u  /* in the final FIFO */

/* murmur3's 64-bit finalizer: client_oids are (seconds << 32) + counter. */
static inline uint64_t coid_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

int otable_init(struct otable *t, struct shm_seqtab *tab, uint32_t slots)
{
	struct kimp_ord_entry z;
	uint64_t h = 1;

	memset(t, 0, sizeof(*t));
	if (!tab || !slots || slots > (1u << 30) || tab->count < slots ||
	    tab->rec_size != sizeof(struct kimp_ord_entry))
		return -EINVAL;
	while (h < slots)
		h <<= 1;
	h <<= 1;
	t->tab = tab;
	t->slots = slots;
	t->hmask = (uint32_t)h - 1;
	t->hash = calloc(h, sizeof(*t->hash));
	t->final_fifo = calloc(slots, sizeof(*t->final_fifo));
	t->e = calloc(slots, sizeof(*t->e));
	t->sflags = calloc(slots, 1);
	if (!t->hash || !t->final_fifo || !t->e || !t->sflags) {
		otable_free(t);
		return -ENOMEM;
	}
	/* the records of a previous run are not this run's: the journal is */
	memset(&z, 0, sizeof(z));
	for (uint32_t i = 0; i < tab->count; i++)
		shm_seqtab_write(tab, i, &z);
	return 0;
}

void otable_free(struct otable *t)
{
	free(t->hash);
	free(t->final_fifo);
	free(t->e);
	free(t->sflags);
	memset(t, 0, sizeof(*t));
}

struct kimp_ord_entry *otable_find(struct otable *t, uint64_t coid)
{
	uint32_t i = (uint32_t)coid_mix(coid) & t->hmask;

	if (kimp_unlikely(!coid))
		return NULL;
	for (;;) {
		uint32_t v = t->hash[i];

		if (!v)
			return NULL;
		if (t->e[v - 1].client_oid == coid)
			return &t->e[v - 1];
		i = (i + 1) & t->hmask;
	}
}

/* Take slot's entry (client_oid coid) out of the index. */
static void hash_remove(struct otable *t, uint64_t coid, uint32_t slot)
{
	uint32_t i = (uint32_t)coid_mix(coid) & t->hmask, j;

	while (t->hash[i] != slot + 1) {
		if (!t->hash[i])
			return;  /* not indexed */
		i = (i + 1) & t->hmask;
	}
	t->hash[i] = 0;
	/* backward shift: pull up every later entry of the run whose home is
	 * not in (i, j] */
	for (j = (i + 1) & t->hmask; t->hash[j]; j = (j + 1) & t->hmask) {
		uint32_t k = (uint32_t)coid_mix(t->e[t->hash[j] - 1].client_oid) & t->hmask;
		bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);

		if (stays)
			continue;
		t->hash[i] = t->hash[j];
		t->hash[j] = 0;
		i = j;
	}
}

/* The oldest final slot, out of the FIFO and the index; UINT32_MAX none. */
static uint32_t reuse_slot(struct otable *t)
{
	while (t->ff_count) {
		uint32_t s = t->final_fifo[t->ff_head];

		if (++t->ff_head == t->slots)
			t->ff_head = 0;
		t->ff_count--;
		t->sflags[s] &= (uint8_t)~SF_QUEUED;
		if (t->sflags[s] & SF_LIVE)
			continue;  /* made live again after it was queued */
		hash_remove(t, t->e[s].client_oid, s);
		return s;
	}
	return UINT32_MAX;
}

struct kimp_ord_entry *otable_insert(struct otable *t, uint64_t coid)
{
	struct kimp_ord_entry *e;
	uint32_t slot, i;

	if (kimp_unlikely(!coid) || otable_find(t, coid))
		return NULL;
	if (t->free_next < t->slots)
		slot = t->free_next++;
	else if ((slot = reuse_slot(t)) == UINT32_MAX)
		return NULL;
	e = &t->e[slot];
	memset(e, 0, sizeof(*e));
	e->client_oid = coid;
	e->state = KIMP_ORD_NEW;
	t->sflags[slot] = SF_LIVE;
	t->live++;
	for (i = (uint32_t)coid_mix(coid) & t->hmask; t->hash[i]; i = (i + 1) & t->hmask)
		;
	t->hash[i] = slot + 1;
	return e;
}

void otable_commit(struct otable *t, struct kimp_ord_entry *e)
{
	uint32_t slot = (uint32_t)(e - t->e);
	uint8_t *sf = &t->sflags[slot];

	if (fsm_final(e->state)) {
		if (*sf & SF_LIVE) {
			*sf &= (uint8_t)~SF_LIVE;
			t->live--;
		}
		if (!(*sf & SF_QUEUED)) {
			uint32_t tail = t->ff_head + t->ff_count;

			if (tail >= t->slots)
				tail -= t->slots;
			t->final_fifo[tail] = slot;
			t->ff_count++;
			*sf |= SF_QUEUED;
		}
	} else if (!(*sf & SF_LIVE)) {
		*sf |= SF_LIVE;
		t->live++;
	}
	shm_seqtab_write(t->tab, slot, e);
}

void otable_each_live(struct otable *t, void (*f)(void *arg, struct kimp_ord_entry *e),
		      void *arg)
{
	for (uint32_t i = 0; i < t->free_next; i++)
		if (t->sflags[i] & SF_LIVE)
			f(arg, &t->e[i]);
}
