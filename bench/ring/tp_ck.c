/* SPDX-License-Identifier: MIT */
/*
 * Concurrency Kit's ck_ring, SPSC, typed: the whole message is copied in by
 * enqueue and out by dequeue. Ring headers and buffers live in one shared
 * anonymous mapping per channel set and message size, made before any fork.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ck_ring.h>
#include "bench.h"

CK_RING_PROTOTYPE(msg64, msg64)
CK_RING_PROTOTYPE(msg128, msg128)

#define CK_PAGE 4096ul

struct ck_chan {
	struct ck_ring *ab;
	struct ck_ring *ba;
	void *ab_buf;
	void *ba_buf;
	void *base;
	size_t len;
};

/* Per ring: a page for the header, then the slots from a page boundary. */
static size_t ck_ring_len(size_t size, uint32_t slots)
{
	return CK_PAGE + ((size * slots + CK_PAGE - 1) & ~(CK_PAGE - 1));
}

static int ck_chan_map(struct ck_chan *ch, size_t size, uint32_t slots)
{
	size_t one = ck_ring_len(size, slots);
	uint8_t *p;

	ch->len = 2 * one;
	p = mmap(NULL, ch->len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* as the kimp segment on /dev/shm does; a no-op where shmem THP is off */
	madvise(p, ch->len, MADV_HUGEPAGE);
	ch->base = p;
	ch->ab = (struct ck_ring *)p;
	ch->ab_buf = p + CK_PAGE;
	ch->ba = (struct ck_ring *)(p + one);
	ch->ba_buf = p + one + CK_PAGE;
	ck_ring_init(ch->ab, slots);
	ck_ring_init(ch->ba, slots);
	return 0;
}

static void ck_fini(struct bench_env *env)
{
	for (unsigned int set = 0; set < BENCH_MAX_SETS; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			struct ck_chan *ch = env->chan[set][TP_CK][i];

			if (ch && ch->base)
				munmap(ch->base, ch->len);
			free(ch);
			env->chan[set][TP_CK][i] = NULL;
		}
	}
}

static int ck_init(struct bench_env *env)
{
	for (unsigned int set = 0; set < env->nsets; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			struct ck_chan *ch = calloc(1, sizeof(*ch));
			int err;

			if (!ch)
				return -ENOMEM;
			env->chan[set][TP_CK][i] = ch;
			err = ck_chan_map(ch, bench_sizes[i], env->cfg->slots);
			if (err) {
				fprintf(stderr, "ring_bench: ck_ring mapping: %s\n",
					strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* The typed calls for a constant size; the branch folds away. */
BENCH_INLINE bool ck_enq(struct ck_ring *r, void *buf, void *m, size_t size)
{
	if (size == 64)
		return ck_ring_enqueue_spsc_msg64(r, buf, m);
	return ck_ring_enqueue_spsc_msg128(r, buf, m);
}

BENCH_INLINE bool ck_deq(struct ck_ring *r, void *buf, void *m, size_t size)
{
	if (size == 64)
		return ck_ring_dequeue_spsc_msg64(r, buf, m);
	return ck_ring_dequeue_spsc_msg128(r, buf, m);
}

BENCH_INLINE void ck_send(struct ck_ring *r, void *buf, void *m, size_t size)
{
	while (!ck_enq(r, buf, m, size))
		kimp_cpu_relax();
}

BENCH_INLINE void ck_recv(struct ck_ring *r, void *buf, void *m, size_t size)
{
	while (!ck_deq(r, buf, m, size))
		kimp_cpu_relax();
}

/* ---- ping-pong ----------------------------------------------------------- */

BENCH_INLINE int ck_pp_main_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 out = { 0 }, in;
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t t0 = kimp_rdtsc();

		msg_fill(&out, size, i);
		ck_send(ch->ab, ch->ab_buf, &out, size);
		ck_recv(ch->ba, ch->ba_buf, &in, size);
		uint64_t t1 = kimp_rdtscp();

		errors += !msg_ok(&in, size, i);
		if (i >= r->warm)
			r->samples[i - r->warm] = t1 - t0;
	}
	r->errors = errors;
	return 0;
}

BENCH_INLINE int ck_pp_peer_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 m = { 0 };

	bench_start_peer(r);
	for (uint64_t i = 0; i < total; i++) {
		ck_recv(ch->ab, ch->ab_buf, &m, size);
		ck_send(ch->ba, ch->ba_buf, &m, size);
		errors += !msg_ok(&m, size, i);
	}
	r->errors = errors;
	return 0;
}

/* ---- timestamped one-way --------------------------------------------------- */

BENCH_INLINE int ck_ow_main_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 m = { 0 };
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		ck_recv(ch->ba, ch->ba_buf, &m, size);
		uint64_t t1 = kimp_rdtscp();

		bench_ow_sample(r, i, msg_stamp_of(&m), t1);
		errors += !msg_ok(&m, size, i);
		bench_ack(r, i + 1);
	}
	r->errors = errors;
	return 0;
}

BENCH_INLINE int ck_ow_peer_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	uint64_t total = r->warm + r->n;
	struct msg128 m = { 0 };

	bench_start_peer(r);
	for (uint64_t i = 0; i < total; i++) {
		bench_wait_ack(r, i);
		msg_fill(&m, size, i);
		msg_stamp(&m, kimp_rdtsc());
		ck_send(ch->ba, ch->ba_buf, &m, size);
	}
	return 0;
}

/* ---- throughput ------------------------------------------------------------ */

BENCH_INLINE int ck_tput_main_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	uint64_t errors = 0;
	struct msg128 m = { 0 };
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < r->n; i++) {
		ck_recv(ch->ba, ch->ba_buf, &m, size);
		errors += !msg_ok(&m, size, i);
	}
	r->ticks = kimp_rdtscp() - r->t_start;
	r->errors = errors;
	return 0;
}

BENCH_INLINE int ck_tput_peer_sz(struct bench_run *r, size_t size)
{
	struct ck_chan *ch = r->chan;
	struct msg128 m = { 0 };

	bench_start_peer(r);
	for (uint64_t i = 0; i < r->n; i++) {
		msg_fill(&m, size, i);
		ck_send(ch->ba, ch->ba_buf, &m, size);
	}
	return 0;
}

BENCH_BY_SIZE(ck_pp_main)
BENCH_BY_SIZE(ck_pp_peer)
BENCH_BY_SIZE(ck_ow_main)
BENCH_BY_SIZE(ck_ow_peer)
BENCH_BY_SIZE(ck_tput_main)
BENCH_BY_SIZE(ck_tput_peer)

const struct transport tp_ck = {
	.name = "ck_ring",
	.init = ck_init,
	.fini = ck_fini,
	.main = {
		[T_PINGPONG] = ck_pp_main,
		[T_ONEWAY] = ck_ow_main,
		[T_TPUT] = ck_tput_main,
	},
	.peer = {
		[T_PINGPONG] = ck_pp_peer,
		[T_ONEWAY] = ck_ow_peer,
		[T_TPUT] = ck_tput_peer,
	},
};
