/* SPDX-License-Identifier: MIT */
/*
 * Per-process metrics in shared memory: counters, gauges and latency
 * histograms. One process writes its region; kimpctl and monitord read it
 * from outside. Recording is a few relaxed stores: no syscall, no lock, no
 * read-modify-write instruction (there is a single writer).
 *
 * Histograms are log-linear (HdrHistogram-like): values below 128 have a
 * bucket each; above, every power of two is split into 64 linear buckets, so
 * a bucket is at most 1/64 (1.6%) of its value wide, from 1 ns to 2^40 ns
 * (18 minutes; larger values land in the last bucket). Values are
 * nanoseconds by convention.
 */
#ifndef KIMP_METRICS_H
#define KIMP_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/segment.h"
#include "kimp/tsc.h"

#define SHM_METRIC_NAME   48
#define SHM_HIST_SUB_BITS 6
#define SHM_HIST_SUB      (1u << SHM_HIST_SUB_BITS)     /* 64 per octave */
#define SHM_HIST_EXACT    (2u * SHM_HIST_SUB)           /* 0..127 exact */
#define SHM_HIST_MAX_BITS 40
#define SHM_HIST_BUCKETS  (SHM_HIST_EXACT + (SHM_HIST_MAX_BITS - 7) * SHM_HIST_SUB)

/* A histogram. Lives in shared memory; one writer. */
struct shm_hist {
	_Atomic uint64_t count;
	_Atomic uint64_t sum;
	_Atomic uint64_t min;     /* UINT64_MAX while empty */
	_Atomic uint64_t max;
	uint8_t pad[32];
	_Atomic uint64_t buckets[SHM_HIST_BUCKETS];
};
KIMP_ASSERT_OFFSET(struct shm_hist, buckets, 64);

static inline uint32_t shm_hist_index(uint64_t v)
{
	if (v < SHM_HIST_EXACT)
		return (uint32_t)v;
	if (v >= (1ull << SHM_HIST_MAX_BITS))
		v = (1ull << SHM_HIST_MAX_BITS) - 1;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);          /* 7..39 */
	unsigned sub = (unsigned)(v >> (e - SHM_HIST_SUB_BITS)) & (SHM_HIST_SUB - 1);
	return ((e - 5u) << SHM_HIST_SUB_BITS) + sub;
}

/* Smallest and largest value that land in bucket i. */
static inline uint64_t shm_hist_bucket_low(uint32_t i)
{
	if (i < SHM_HIST_EXACT)
		return i;
	unsigned e = (i >> SHM_HIST_SUB_BITS) + 5u;
	uint64_t sub = i & (SHM_HIST_SUB - 1);
	return (SHM_HIST_SUB + sub) << (e - SHM_HIST_SUB_BITS);
}

static inline uint64_t shm_hist_bucket_high(uint32_t i)
{
	if (i < SHM_HIST_EXACT)
		return i;
	unsigned e = (i >> SHM_HIST_SUB_BITS) + 5u;
	return shm_hist_bucket_low(i) + (1ull << (e - SHM_HIST_SUB_BITS)) - 1;
}

#define shm_relaxed_add(p, n) \
	atomic_store_explicit((p), atomic_load_explicit((p), memory_order_relaxed) + (n), \
			      memory_order_relaxed)

/* Record one value. Single writer. */
static inline void shm_hist_record(struct shm_hist *h, uint64_t v)
{
	shm_relaxed_add(&h->buckets[shm_hist_index(v)], 1);
	shm_relaxed_add(&h->count, 1);
	shm_relaxed_add(&h->sum, v);
	if (v < atomic_load_explicit(&h->min, memory_order_relaxed))
		atomic_store_explicit(&h->min, v, memory_order_relaxed);
	if (v > atomic_load_explicit(&h->max, memory_order_relaxed))
		atomic_store_explicit(&h->max, v, memory_order_relaxed);
}

/* Record a TSC delta, converted to ns with the segment's calibration. */
static inline void shm_hist_record_ticks(struct shm_hist *h, const struct kimp_tsc_cal *c,
					 uint64_t ticks)
{
	shm_hist_record(h, kimp_tsc_to_ns_delta(c, ticks));
}

void shm_hist_init(struct shm_hist *h);

/*
 * A process-private copy of a histogram, for reading and merging. About
 * 18 KB: keep it off small stacks.
 */
struct shm_hist_snap {
	uint64_t count, sum, min, max;
	uint64_t buckets[SHM_HIST_BUCKETS];
};

/* Copy a live histogram (written concurrently: counts may be a few apart). */
void shm_hist_snapshot(const struct shm_hist *h, struct shm_hist_snap *out);
void shm_hist_snap_clear(struct shm_hist_snap *s);
void shm_hist_merge(struct shm_hist_snap *into, const struct shm_hist_snap *from);
/*
 * The value at quantile q (0 < q <= 1): the largest value of the bucket that
 * holds the sample of rank ceil(q * count), clamped to [min, max]. 0 when
 * empty.
 */
uint64_t shm_hist_quantile(const struct shm_hist_snap *s, double q);

/* ---- the per-process metrics region ------------------------------------- */

#define SHM_METRICS_MAGIC 0x5352544du /* "MTRS" */

/* Region header. Lives in shared memory; names and values follow it. */
struct shm_metrics {
	uint32_t magic;
	uint32_t max_counters;
	uint32_t max_gauges;
	uint32_t max_hists;
	_Atomic uint32_t ncounters;  /* published with release after the name */
	_Atomic uint32_t ngauges;
	_Atomic uint32_t nhists;
	_Atomic int32_t pid;         /* the writer */
	char proc[SHM_NAME_MAX];     /* the writer's name */
	_Atomic uint64_t start_real_ns;
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC of the last beat */
	uint64_t counters_off;       /* from this header */
	uint64_t gauges_off;
	uint64_t hists_off;
	uint64_t names_off;          /* counter, then gauge, then hist names */
	uint8_t pad[16];
};
KIMP_ASSERT_SIZE(struct shm_metrics, 128);

size_t shm_metrics_bytes(uint32_t max_counters, uint32_t max_gauges, uint32_t max_hists);

/* Create region 'name' in 'seg' for process 'proc'. */
int shm_metrics_create(struct shm_seg *seg, const char *name, const char *proc,
		       uint32_t max_counters, uint32_t max_gauges, uint32_t max_hists,
		       struct shm_metrics **out) kimp_cold;
int shm_metrics_lookup(const struct shm_seg *seg, const char *name,
		       struct shm_metrics **out) kimp_cold;
int shm_metrics_check(const struct shm_metrics *m, uint64_t region_size) kimp_cold;

/*
 * Register (or, after a restart, find again) a metric by name. The returned
 * pointer is into shared memory, valid while the segment is mapped; values
 * survive a restart of the writer. NULL when the table is full or the name
 * is too long.
 */
_Atomic uint64_t *shm_metrics_counter(struct shm_metrics *m, const char *name) kimp_cold;
_Atomic int64_t *shm_metrics_gauge(struct shm_metrics *m, const char *name) kimp_cold;
struct shm_hist *shm_metrics_hist(struct shm_metrics *m, const char *name) kimp_cold;

/* The writer claims the region: records its pid and start time. */
void shm_metrics_claim(struct shm_metrics *m) kimp_cold;

/* Readers: the i-th name and value. */
const char *shm_metrics_counter_name(const struct shm_metrics *m, uint32_t i);
const char *shm_metrics_gauge_name(const struct shm_metrics *m, uint32_t i);
const char *shm_metrics_hist_name(const struct shm_metrics *m, uint32_t i);
const _Atomic uint64_t *shm_metrics_counter_at(const struct shm_metrics *m, uint32_t i);
const _Atomic int64_t *shm_metrics_gauge_at(const struct shm_metrics *m, uint32_t i);
const struct shm_hist *shm_metrics_hist_at(const struct shm_metrics *m, uint32_t i);

/* Hot-path recording. Single writer. */
static inline void shm_counter_add(_Atomic uint64_t *c, uint64_t n)
{
	shm_relaxed_add(c, n);
}

static inline void shm_gauge_set(_Atomic int64_t *g, int64_t v)
{
	atomic_store_explicit(g, v, memory_order_relaxed);
}

static inline void shm_metrics_heartbeat(struct shm_metrics *m, uint64_t mono_ns)
{
	atomic_store_explicit(&m->heartbeat_ns, mono_ns, memory_order_relaxed);
}

#endif
