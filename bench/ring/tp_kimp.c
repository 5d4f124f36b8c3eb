/* SPDX-License-Identifier: MIT */
/*
 * kimp's ring, zero-copy: messages are built in the slot and read in place.
 * One segment for the run; per channel set and message size two rings: "ab"
 * parent to child (ping-pong only), "ba" child to parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/ring.h"
#include "bench.h"

struct kimp_chan {
	struct shm_ring *ab;
	struct shm_ring *ba;
};

static size_t kimp_seg_bytes(const struct bench_env *env)
{
	size_t per_set = 0;

	for (int i = 0; i < BENCH_NSIZES; i++) {
		size_t one = shm_ring_bytes((uint32_t)bench_sizes[i], env->cfg->slots);

		per_set += 2 * ((one + SHM_REGION_ALIGN - 1) & ~(size_t)(SHM_REGION_ALIGN - 1));
	}
	return per_set * env->nsets + SHM_REGION_ALIGN;
}

static int kimp_ring(struct bench_env *env, const char *dir, unsigned int set,
		     uint32_t size, struct shm_ring **out)
{
	char name[SHM_NAME_MAX];
	int err;

	snprintf(name, sizeof(name), "%s%u-%u", dir, size, set);
	err = shm_ring_create(&env->seg, name, size, env->cfg->slots, 0, NULL, out);
	if (err)
		fprintf(stderr, "ring_bench: ring %s: %s\n", name, shm_last_error());
	return err;
}

static int kimp_init(struct bench_env *env)
{
	int err;

	shm_opts_default(&env->opts);
	/* the same 4 KiB shared pages ck_ring's buffers get: compare rings, not TLBs */
	env->opts.allow_hugetlbfs = false;
	snprintf(env->seg_name, sizeof(env->seg_name), "bench-%d", (int)getpid());
	err = shm_seg_create(&env->seg, env->seg_name, kimp_seg_bytes(env), &env->opts);
	if (err) {
		fprintf(stderr, "ring_bench: segment %s: %s\n", env->seg_name,
			shm_last_error());
		return err;
	}
	env->seg_made = true;
	bench_abort_unlink(env->seg.path);
	env->cal = shm_seg_tsc(&env->seg);

	for (unsigned int set = 0; set < env->nsets; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			struct kimp_chan *ch = calloc(1, sizeof(*ch));
			uint32_t sz = (uint32_t)bench_sizes[i];

			if (!ch)
				return -ENOMEM;
			env->chan[set][TP_KIMP][i] = ch;
			err = kimp_ring(env, "ab", set, sz, &ch->ab);
			if (!err)
				err = kimp_ring(env, "ba", set, sz, &ch->ba);
			if (err)
				return err;
		}
	}
	return 0;
}

static void kimp_fini(struct bench_env *env)
{
	int err;

	for (unsigned int set = 0; set < BENCH_MAX_SETS; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			free(env->chan[set][TP_KIMP][i]);
			env->chan[set][TP_KIMP][i] = NULL;
		}
	}
	if (!env->seg_made)
		return;
	shm_seg_detach(&env->seg);
	err = shm_seg_remove(env->seg_name, &env->opts);
	if (err)
		fprintf(stderr, "ring_bench: remove segment %s: %s\n", env->seg_name,
			shm_last_error());
	bench_abort_unlink(NULL);
	env->seg_made = false;
}

static int kimp_attach(struct shm_ring *tx_ring, struct shm_ring_prod *tx,
		       struct shm_ring *rx_ring, struct shm_ring_cons *rx)
{
	int err = 0;

	if (tx_ring)
		err = shm_ring_producer(tx_ring, tx);
	if (!err && rx_ring)
		err = shm_ring_consumer(rx_ring, rx);
	if (err)
		fprintf(stderr, "ring_bench: attach: %s\n", shm_last_error());
	return err;
}

BENCH_INLINE void *kimp_reserve(struct shm_ring_prod *tx)
{
	void *p;

	while (!(p = shm_ring_reserve(tx)))
		kimp_cpu_relax();
	return p;
}

BENCH_INLINE const void *kimp_peek(struct shm_ring_cons *rx)
{
	const void *m;

	while (!(m = shm_ring_peek(rx)))
		kimp_cpu_relax();
	return m;
}

/* ---- ping-pong ----------------------------------------------------------- */

BENCH_INLINE int kimp_pp_main_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_prod tx;
	struct shm_ring_cons rx;
	uint64_t total = r->warm + r->n, errors = 0;
	int err;

	err = kimp_attach(ch->ab, &tx, ch->ba, &rx);
	if (!err)
		err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t t0 = kimp_rdtsc();

		msg_fill(kimp_reserve(&tx), size, i);
		shm_ring_publish(&tx);
		const void *m = kimp_peek(&rx);
		uint64_t t1 = kimp_rdtscp();

		errors += !msg_ok(m, size, i);
		shm_ring_commit(&rx);
		if (i >= r->warm)
			r->samples[i - r->warm] = t1 - t0;
	}
	r->errors = errors;
	return 0;
}

BENCH_INLINE int kimp_pp_peer_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_prod tx;
	struct shm_ring_cons rx;
	uint64_t total = r->warm + r->n, errors = 0;
	int err;

	err = kimp_attach(ch->ba, &tx, ch->ab, &rx);
	if (err)
		return err;
	bench_start_peer(r);
	for (uint64_t i = 0; i < total; i++) {
		const void *m = kimp_peek(&rx);

		/* echo the payload; the mark word is each ring's own */
		memcpy((uint8_t *)kimp_reserve(&tx) + SHM_RING_MARK_BYTES,
		       (const uint8_t *)m + SHM_RING_MARK_BYTES, size - SHM_RING_MARK_BYTES);
		shm_ring_publish(&tx);
		errors += !msg_ok(m, size, i);
		shm_ring_commit(&rx);
	}
	r->errors = errors;
	return 0;
}

/* ---- timestamped one-way --------------------------------------------------- */

BENCH_INLINE int kimp_ow_main_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_cons rx;
	uint64_t total = r->warm + r->n, errors = 0;
	int err;

	err = kimp_attach(NULL, NULL, ch->ba, &rx);
	if (!err)
		err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		const void *m = kimp_peek(&rx);
		uint64_t t1 = kimp_rdtscp();

		bench_ow_sample(r, i, msg_stamp_of(m), t1);
		errors += !msg_ok(m, size, i);
		shm_ring_commit(&rx);
		bench_ack(r, i + 1);
	}
	r->errors = errors;
	return 0;
}

BENCH_INLINE int kimp_ow_peer_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_prod tx;
	uint64_t total = r->warm + r->n;
	int err;

	err = kimp_attach(ch->ba, &tx, NULL, NULL);
	if (err)
		return err;
	bench_start_peer(r);
	for (uint64_t i = 0; i < total; i++) {
		void *p;

		bench_wait_ack(r, i);
		p = kimp_reserve(&tx);
		msg_fill(p, size, i);
		msg_stamp(p, kimp_rdtsc());
		shm_ring_publish(&tx);
	}
	return 0;
}

/* ---- throughput, one message per call -------------------------------------- */

BENCH_INLINE int kimp_tput_main_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_cons rx;
	uint64_t errors = 0;
	int err;

	err = kimp_attach(NULL, NULL, ch->ba, &rx);
	if (!err)
		err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < r->n; i++) {
		errors += !msg_ok(kimp_peek(&rx), size, i);
		shm_ring_commit(&rx);
	}
	r->ticks = kimp_rdtscp() - r->t_start;
	r->errors = errors;
	return 0;
}

BENCH_INLINE int kimp_tput_peer_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	struct shm_ring_prod tx;
	int err;

	err = kimp_attach(ch->ba, &tx, NULL, NULL);
	if (err)
		return err;
	bench_start_peer(r);
	for (uint64_t i = 0; i < r->n; i++) {
		msg_fill(kimp_reserve(&tx), size, i);
		shm_ring_publish(&tx);
	}
	return 0;
}

/* ---- throughput, batches: one index update per batch ------------------------ */

BENCH_INLINE int kimp_tputb_main_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	uint32_t batch = r->cfg->batch;
	struct shm_ring_cons rx;
	uint64_t errors = 0, i = 0;
	int err;

	err = kimp_attach(NULL, NULL, ch->ba, &rx);
	if (!err)
		err = bench_start_main(r);
	if (err)
		return err;
	while (i < r->n) {
		const void *first;
		uint32_t k = shm_ring_peek_batch(&rx, &first, batch);

		if (!k) {
			kimp_cpu_relax();
			continue;
		}
		for (uint32_t j = 0; j < k; j++)
			errors += !msg_ok((const uint8_t *)first + j * size, size, i + j);
		shm_ring_commit_n(&rx, k);
		i += k;
	}
	r->ticks = kimp_rdtscp() - r->t_start;
	r->errors = errors + (i - r->n);
	return 0;
}

BENCH_INLINE int kimp_tputb_peer_sz(struct bench_run *r, size_t size)
{
	struct kimp_chan *ch = r->chan;
	uint32_t batch = r->cfg->batch;
	struct shm_ring_prod tx;
	uint64_t i = 0;
	int err;

	err = kimp_attach(ch->ba, &tx, NULL, NULL);
	if (err)
		return err;
	bench_start_peer(r);
	while (i < r->n) {
		uint32_t want = r->n - i < batch ? (uint32_t)(r->n - i) : batch;
		void *first;
		uint32_t k = shm_ring_reserve_batch(&tx, &first, want);

		if (!k) {
			kimp_cpu_relax();
			continue;
		}
		for (uint32_t j = 0; j < k; j++)
			msg_fill((uint8_t *)first + j * size, size, i + j);
		shm_ring_publish_n(&tx, k);
		i += k;
	}
	return 0;
}

BENCH_BY_SIZE(kimp_pp_main)
BENCH_BY_SIZE(kimp_pp_peer)
BENCH_BY_SIZE(kimp_ow_main)
BENCH_BY_SIZE(kimp_ow_peer)
BENCH_BY_SIZE(kimp_tput_main)
BENCH_BY_SIZE(kimp_tput_peer)
BENCH_BY_SIZE(kimp_tputb_main)
BENCH_BY_SIZE(kimp_tputb_peer)

const struct transport tp_kimp = {
	.name = "kimp",
	.init = kimp_init,
	.fini = kimp_fini,
	.main = {
		[T_PINGPONG] = kimp_pp_main,
		[T_ONEWAY] = kimp_ow_main,
		[T_TPUT] = kimp_tput_main,
		[T_TPUT_BATCH] = kimp_tputb_main,
	},
	.peer = {
		[T_PINGPONG] = kimp_pp_peer,
		[T_ONEWAY] = kimp_ow_peer,
		[T_TPUT] = kimp_tput_peer,
		[T_TPUT_BATCH] = kimp_tputb_peer,
	},
};
