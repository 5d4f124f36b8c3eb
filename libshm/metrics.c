/* SPDX-License-Identifier: MIT */
/*
 * Per-process metrics regions and histogram reading. Recording is inline in
 * include/kimp/metrics.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "shm_internal.h"

void shm_hist_init(struct shm_hist *h)
{
	memset(h, 0, sizeof(*h));
	atomic_store_explicit(&h->min, UINT64_MAX, memory_order_relaxed);
}

void shm_hist_snap_clear(struct shm_hist_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->min = UINT64_MAX;
}

void shm_hist_snapshot(const struct shm_hist *h, struct shm_hist_snap *out)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < SHM_HIST_BUCKETS; i++) {
		out->buckets[i] = atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
		n += out->buckets[i];
	}
	/* the buckets are the truth; count may be a record ahead or behind */
	out->count = n;
	out->sum = atomic_load_explicit(&h->sum, memory_order_relaxed);
	out->min = atomic_load_explicit(&h->min, memory_order_relaxed);
	out->max = atomic_load_explicit(&h->max, memory_order_relaxed);
}

void shm_hist_merge(struct shm_hist_snap *into, const struct shm_hist_snap *from)
{
	for (uint32_t i = 0; i < SHM_HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t shm_hist_quantile(const struct shm_hist_snap *s, double q)
{
	uint64_t rank, seen = 0, v;

	if (!s->count)
		return 0;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	rank = (uint64_t)(q * (double)s->count);
	if ((double)rank < q * (double)s->count)
		rank++;
	if (!rank)
		rank = 1;
	for (uint32_t i = 0; i < SHM_HIST_BUCKETS; i++) {
		seen += s->buckets[i];
		if (seen >= rank) {
			v = shm_hist_bucket_high(i);
			if (v > s->max)
				v = s->max;
			if (v < s->min)
				v = s->min;
			return v;
		}
	}
	return s->max;
}

/* ---- region layout ------------------------------------------------------- */

struct metrics_layout {
	uint64_t counters_off, gauges_off, hists_off, names_off, total;
};

static void metrics_layout(uint32_t nc, uint32_t ng, uint32_t nh, struct metrics_layout *l)
{
	uint64_t off = sizeof(struct shm_metrics);

	l->counters_off = off;
	off = shm_align_up(off + (uint64_t)nc * 8, KIMP_CACHELINE);
	l->gauges_off = off;
	off = shm_align_up(off + (uint64_t)ng * 8, KIMP_CACHELINE);
	l->hists_off = off;
	off += (uint64_t)nh * sizeof(struct shm_hist);
	l->names_off = off;
	off += (uint64_t)(nc + ng + nh) * SHM_METRIC_NAME;
	l->total = off;
}

size_t shm_metrics_bytes(uint32_t max_counters, uint32_t max_gauges, uint32_t max_hists)
{
	struct metrics_layout l;

	metrics_layout(max_counters, max_gauges, max_hists, &l);
	return l.total;
}

int shm_metrics_create(struct shm_seg *seg, const char *name, const char *proc,
		       uint32_t max_counters, uint32_t max_gauges, uint32_t max_hists,
		       struct shm_metrics **out)
{
	struct metrics_layout l;
	struct shm_metrics *m;
	void *mem;
	int err;

	metrics_layout(max_counters, max_gauges, max_hists, &l);
	err = shm_region_add(seg, name, l.total, SHM_REGION_METRICS, &mem);
	if (err)
		return err;
	m = mem;
	m->max_counters = max_counters;
	m->max_gauges = max_gauges;
	m->max_hists = max_hists;
	m->counters_off = l.counters_off;
	m->gauges_off = l.gauges_off;
	m->hists_off = l.hists_off;
	m->names_off = l.names_off;
	snprintf(m->proc, sizeof(m->proc), "%s", proc);
	/* release: the layout is complete before the magic says so */
	atomic_store_explicit((_Atomic uint32_t *)&m->magic, SHM_METRICS_MAGIC,
			      memory_order_release);
	*out = m;
	return 0;
}

int shm_metrics_check(const struct shm_metrics *m, uint64_t region_size)
{
	struct metrics_layout l;

	if (region_size < sizeof(*m) || m->magic != SHM_METRICS_MAGIC)
		return shm_fail(-EPROTO, "not a metrics region (bad magic)");
	metrics_layout(m->max_counters, m->max_gauges, m->max_hists, &l);
	if (l.total > region_size || l.counters_off != m->counters_off ||
	    l.gauges_off != m->gauges_off || l.hists_off != m->hists_off ||
	    l.names_off != m->names_off ||
	    atomic_load(&m->ncounters) > m->max_counters ||
	    atomic_load(&m->ngauges) > m->max_gauges ||
	    atomic_load(&m->nhists) > m->max_hists)
		return shm_fail(-EPROTO, "metrics region '%s': corrupt layout", m->proc);
	return 0;
}

int shm_metrics_lookup(const struct shm_seg *seg, const char *name, struct shm_metrics **out)
{
	const struct shm_region_ent *e = shm_region_find(seg, name);
	int err;

	if (!e)
		return shm_fail(-ENOENT, "metrics '%s' not found in %s", name, seg->path);
	if (e->kind != SHM_REGION_METRICS)
		return shm_fail(-EPROTO, "region '%s' in %s is not a metrics region", name,
				seg->path);
	err = shm_metrics_check(shm_region_ptr(seg, e), e->size);
	if (err)
		return err;
	*out = shm_region_ptr(seg, e);
	return 0;
}

void shm_metrics_claim(struct shm_metrics *m)
{
	atomic_store_explicit(&m->pid, getpid(), memory_order_relaxed);
	atomic_store_explicit(&m->start_real_ns, kimp_real_ns(), memory_order_relaxed);
	atomic_store_explicit(&m->heartbeat_ns, kimp_mono_ns(), memory_order_relaxed);
}

static char *name_at(const struct shm_metrics *m, uint32_t slot)
{
	return (char *)m + m->names_off + (uint64_t)slot * SHM_METRIC_NAME;
}

/*
 * Find 'name' among the first n names from 'base', or add it at n. Returns
 * its index, or -1 when full or the name does not fit.
 */
static int metric_slot(struct shm_metrics *m, _Atomic uint32_t *n, uint32_t max,
		       uint32_t base, const char *name)
{
	uint32_t cur = atomic_load_explicit(n, memory_order_acquire);

	if (strlen(name) >= SHM_METRIC_NAME)
		return -1;
	for (uint32_t i = 0; i < cur; i++)
		if (!strcmp(name_at(m, base + i), name))
			return (int)i;
	if (cur >= max)
		return -1;
	snprintf(name_at(m, base + cur), SHM_METRIC_NAME, "%s", name);
	/* release: pairs with readers' acquire load of the count */
	atomic_store_explicit(n, cur + 1, memory_order_release);
	return (int)cur;
}

_Atomic uint64_t *shm_metrics_counter(struct shm_metrics *m, const char *name)
{
	int i = metric_slot(m, &m->ncounters, m->max_counters, 0, name);

	return i < 0 ? NULL : (_Atomic uint64_t *)((uint8_t *)m + m->counters_off) + i;
}

_Atomic int64_t *shm_metrics_gauge(struct shm_metrics *m, const char *name)
{
	int i = metric_slot(m, &m->ngauges, m->max_gauges, m->max_counters, name);

	return i < 0 ? NULL : (_Atomic int64_t *)((uint8_t *)m + m->gauges_off) + i;
}

struct shm_hist *shm_metrics_hist(struct shm_metrics *m, const char *name)
{
	uint32_t before = atomic_load_explicit(&m->nhists, memory_order_acquire);
	int i = metric_slot(m, &m->nhists, m->max_hists,
			    m->max_counters + m->max_gauges, name);
	struct shm_hist *h;

	if (i < 0)
		return NULL;
	h = (struct shm_hist *)((uint8_t *)m + m->hists_off) + i;
	if ((uint32_t)i == before)
		atomic_store_explicit(&h->min, UINT64_MAX, memory_order_relaxed);
	return h;
}

const char *shm_metrics_counter_name(const struct shm_metrics *m, uint32_t i)
{
	return name_at(m, i);
}

const char *shm_metrics_gauge_name(const struct shm_metrics *m, uint32_t i)
{
	return name_at(m, m->max_counters + i);
}

const char *shm_metrics_hist_name(const struct shm_metrics *m, uint32_t i)
{
	return name_at(m, m->max_counters + m->max_gauges + i);
}

const _Atomic uint64_t *shm_metrics_counter_at(const struct shm_metrics *m, uint32_t i)
{
	return (const _Atomic uint64_t *)((const uint8_t *)m + m->counters_off) + i;
}

const _Atomic int64_t *shm_metrics_gauge_at(const struct shm_metrics *m, uint32_t i)
{
	return (const _Atomic int64_t *)((const uint8_t *)m + m->gauges_off) + i;
}

const struct shm_hist *shm_metrics_hist_at(const struct shm_metrics *m, uint32_t i)
{
	return (const struct shm_hist *)((const uint8_t *)m + m->hists_off) + i;
}
