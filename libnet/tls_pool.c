/* SPDX-License-Identifier: MIT */
/*
 * The memory wolfSSL allocates, from size-class free lists, so that the
 * steady state makes no system allocation: this wolfSSL build mallocs and
 * frees one I/O buffer per TLS record each way, and after the first records
 * those come back from here.
 *
 * Free lists are per thread (a context and its sessions belong to one
 * thread), so nothing is locked. Each block carries a small header with a
 * tag and its class; a block without the tag was allocated before the pool
 * was installed and goes back to free(). Blocks above the largest class go
 * to malloc. Under a sanitizer the pool stays out of the way, so ASan still
 * sees every wolfSSL buffer.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/memory.h>
#include "kimp/tls.h"
#include "tls_int.h"

#define POOL_TAG   0x4c4f4f50u /* "POOL" */
#define BIG_CLASS  0xffu
#define HDR        16u

static const uint32_t class_size[] = { 128, 512, 2048, 8192, 20480, 36864 };
#define NCLASS (sizeof(class_size) / sizeof(class_size[0]))

struct blk_hdr {
	uint32_t tag;
	uint32_t cls;
	struct blk_hdr *next; /* on a free list */
};
_Static_assert(sizeof(struct blk_hdr) == HDR, "the header keeps 16-byte alignment");

static __thread struct blk_hdr *free_list[NCLASS];
static _Atomic uint64_t pool_grows, pool_reuses, pool_big;

static int class_of(size_t n)
{
	for (unsigned i = 0; i < NCLASS; i++)
		if (n <= class_size[i])
			return (int)i;
	return -1;
}

static kimp_unused void *pool_malloc(size_t n)
{
	int c = class_of(n);
	struct blk_hdr *h;

	if (c < 0) {
		h = malloc(HDR + n);
		if (!h)
			return NULL;
		h->cls = BIG_CLASS;
		atomic_fetch_add_explicit(&pool_big, 1, memory_order_relaxed);
	} else if ((h = free_list[c])) {
		free_list[c] = h->next;
		atomic_fetch_add_explicit(&pool_reuses, 1, memory_order_relaxed);
	} else {
		h = malloc(HDR + class_size[c]);
		if (!h)
			return NULL;
		h->cls = (uint32_t)c;
		atomic_fetch_add_explicit(&pool_grows, 1, memory_order_relaxed);
	}
	h->tag = POOL_TAG;
	return (uint8_t *)h + HDR;
}

static kimp_unused void pool_free(void *p)
{
	struct blk_hdr *h;

	if (!p)
		return;
	h = (struct blk_hdr *)((uint8_t *)p - HDR);
	if (h->tag != POOL_TAG) {
		free(p); /* from before the pool was installed */
		return;
	}
	h->tag = 0;
	if (h->cls == BIG_CLASS) {
		free(h);
		return;
	}
	h->next = free_list[h->cls];
	free_list[h->cls] = h;
}

static kimp_unused void *pool_realloc(void *p, size_t n)
{
	struct blk_hdr *h;
	size_t have;
	void *q;

	if (!p)
		return pool_malloc(n);
	h = (struct blk_hdr *)((uint8_t *)p - HDR);
	if (h->tag != POOL_TAG)
		return realloc(p, n);
	if (h->cls != BIG_CLASS && n <= class_size[h->cls])
		return p;
	q = pool_malloc(n);
	if (!q)
		return NULL;
	/* a big block's size is not kept: copy what the new one can hold of
	 * the old, which is all of it, since the new one is larger */
	have = h->cls == BIG_CLASS ? n : class_size[h->cls];
	memcpy(q, p, have < n ? have : n);
	pool_free(p);
	return q;
}

void net_tls_pool_install(void)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	wolfSSL_Malloc_cb mf;
	wolfSSL_Free_cb ff;
	wolfSSL_Realloc_cb rf;

	/* only over the defaults: a caller's own hooks (tests) stay */
	if (wolfSSL_GetAllocators(&mf, &ff, &rf) == 0 && !mf && !ff && !rf)
		wolfSSL_SetAllocators(pool_malloc, pool_free, pool_realloc);
#endif
}

void net_tls_pool_stats(uint64_t *grows, uint64_t *reuses, uint64_t *big)
{
	*grows = atomic_load_explicit(&pool_grows, memory_order_relaxed);
	*reuses = atomic_load_explicit(&pool_reuses, memory_order_relaxed);
	*big = atomic_load_explicit(&pool_big, memory_order_relaxed);
}
