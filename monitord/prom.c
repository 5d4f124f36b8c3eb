/* SPDX-License-Identifier: MIT */
/*
 * /metrics: the Prometheus text exposition format, version 0.0.4.
 *
 * Every metrics region of every kimp segment, each metric a family named
 * kimp_<name> with the characters Prometheus does not allow in a name
 * replaced by '_', and the label proc = the region's writer. Counters get
 * the suffix _total, histograms (nanoseconds in shared memory) the suffix
 * _seconds and are given in seconds: cumulative _bucket{le="..."} on the
 * fixed edges below and le="+Inf", then _sum and _count (_count is the
 * +Inf bucket). All the lines of one family are together, after its HELP
 * and TYPE, as the format requires; a name that two types would share is
 * given to the first and the other dropped (counted in the comment).
 *
 * Per proc monitord adds kimp_up (1 when the writer's pid is alive) and
 * kimp_heartbeat_age_seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "monitord.h"
#include "views.h"

/* le edges, ns: 1us .. 10s */
static const uint64_t edges_ns[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
	5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
	2500000000ull, 5000000000ull, 10000000000ull,
};

enum { T_COUNTER, T_GAUGE, T_HIST, T_UP, T_AGE };

struct sample {
	char fam[SHM_METRIC_NAME + 32];
	char proc[SHM_NAME_MAX + 1];
	unsigned type;
	const struct shm_metrics *m;
	uint32_t i;
};

struct samples {
	struct sample *v;
	size_t n, cap;
};

static int add(struct samples *s, const char *raw, const char *suffix, unsigned type,
	       const struct shm_metrics *m, uint32_t i)
{
	struct sample *x;
	size_t n;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct sample *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	n = (size_t)snprintf(x->fam, sizeof(x->fam), "kimp_%.*s", SHM_METRIC_NAME, raw);
	if (n >= sizeof(x->fam))
		n = sizeof(x->fam) - 1;
	/* a histogram named "..._ns" is given in seconds */
	if (type == T_HIST && n > 3 && !strcmp(x->fam + n - 3, "_ns"))
		x->fam[n -= 3] = 0;
	for (size_t k = 5; k < n; k++) {
		char c = x->fam[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == ':'))
			x->fam[k] = '_';
	}
	snprintf(x->fam + n, sizeof(x->fam) - n, "%s", suffix);
	snprintf(x->proc, sizeof(x->proc), "%.*s", SHM_NAME_MAX, m->proc);
	x->type = type;
	x->m = m;
	x->i = i;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->fam, y->fam);

	if (c)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->proc, y->proc);
}

/* A label value: \ " and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void edge(FILE *f, uint64_t ns)
{
	char buf[32];
	size_t n;

	/* exact decimal seconds, no trailing zeros: 0.0000025, 1, 2.5 */
	snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
	n = strlen(buf);
	while (buf[n - 1] == '0')
		buf[--n] = 0;
	if (buf[n - 1] == '.')
		buf[--n] = 0;
	fputs(buf, f);
}

static void hist(FILE *f, const struct sample *x, struct shm_hist_snap *snap)
{
	uint64_t cum = 0;
	uint32_t b = 0;

	shm_hist_snapshot(shm_metrics_hist_at(x->m, x->i), snap);
	for (size_t e = 0; e < KIMP_ARRAY_SIZE(edges_ns); e++) {
		for (; b < SHM_HIST_BUCKETS && shm_hist_bucket_high(b) <= edges_ns[e]; b++)
			cum += snap->buckets[b];
		fprintf(f, "%s_bucket{proc=\"", x->fam);
		label(f, x->proc);
		fputs("\",le=\"", f);
		edge(f, edges_ns[e]);
		fprintf(f, "\"} %" PRIu64 "\n", cum);
	}
	for (; b < SHM_HIST_BUCKETS; b++)
		cum += snap->buckets[b];
	fprintf(f, "%s_bucket{proc=\"", x->fam);
	label(f, x->proc);
	fprintf(f, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
	fprintf(f, "%s_sum{proc=\"", x->fam);
	label(f, x->proc);
	fprintf(f, "\"} %.9f\n", (double)snap->sum / 1e9);
	fprintf(f, "%s_count{proc=\"", x->fam);
	label(f, x->proc);
	fprintf(f, "\"} %" PRIu64 "\n", cum);
}

static void sample(FILE *f, const struct sample *x, uint64_t now, struct shm_hist_snap *snap)
{
	uint64_t hb;

	if (x->type == T_HIST) {
		hist(f, x, snap);
		return;
	}
	fprintf(f, "%s{proc=\"", x->fam);
	label(f, x->proc);
	fputs("\"} ", f);
	switch (x->type) {
	case T_COUNTER:
		fprintf(f, "%" PRIu64 "\n", atomic_load_explicit(shm_metrics_counter_at(x->m, x->i),
								memory_order_relaxed));
		break;
	case T_GAUGE:
		fprintf(f, "%" PRId64 "\n", atomic_load_explicit(shm_metrics_gauge_at(x->m, x->i),
								memory_order_relaxed));
		break;
	case T_UP:
		fprintf(f, "%d\n", pid_alive(atomic_load_explicit(&x->m->pid,
								  memory_order_relaxed)) ? 1 : 0);
		break;
	default:
		hb = atomic_load_explicit(&x->m->heartbeat_ns, memory_order_relaxed);
		if (!hb)
			fputs("NaN\n", f);
		else
			fprintf(f, "%.9f\n", now > hb ? (double)(now - hb) / 1e9 : 0.0);
		break;
	}
}

static const char *const type_names[] = { "counter", "gauge", "histogram", "gauge", "gauge" };

static void help(FILE *f, const struct sample *x)
{
	static const char *const what[] = {
		"kimp counter", "kimp gauge", "kimp latency histogram (seconds)",
		"1 when the process that writes the metrics is alive",
		"seconds since the process's last heartbeat",
	};

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", x->fam, what[x->type], x->fam,
		type_names[x->type]);
}

/* Every metric of the metrics regions of one attached segment. */
static int collect(struct samples *s, const struct shm_seg *seg)
{
	const struct shm_seg_hdr *h = seg->hdr;
	uint32_t nr = atomic_load_explicit((_Atomic uint32_t *)&h->nregions, memory_order_acquire);

	for (uint32_t r = 0; r < nr && r < SHM_MAX_REGIONS; r++) {
		const struct shm_region_ent *e = &h->dir[r];
		const struct shm_metrics *m;
		char name[SHM_NAME_MAX + 1];
		uint32_t n;
		int err = 0;

		if (e->kind != SHM_REGION_METRICS)
			continue;
		snprintf(name, sizeof(name), "%.*s", SHM_NAME_MAX, e->name);
		m = kimpctl_metrics(seg, name);
		if (!m)
			continue;
		err |= add(s, "up", "", T_UP, m, 0);
		err |= add(s, "heartbeat_age", "_seconds", T_AGE, m, 0);
		n = atomic_load_explicit(&m->ncounters, memory_order_acquire);
		for (uint32_t i = 0; i < n && i < m->max_counters; i++)
			err |= add(s, shm_metrics_counter_name(m, i), "_total", T_COUNTER, m, i);
		n = atomic_load_explicit(&m->ngauges, memory_order_acquire);
		for (uint32_t i = 0; i < n && i < m->max_gauges; i++)
			err |= add(s, shm_metrics_gauge_name(m, i), "", T_GAUGE, m, i);
		n = atomic_load_explicit(&m->nhists, memory_order_acquire);
		for (uint32_t i = 0; i < n && i < m->max_hists; i++)
			err |= add(s, shm_metrics_hist_name(m, i), "_seconds", T_HIST, m, i);
		if (err)
			return -ENOMEM;
	}
	return 0;
}

int mon_prom_write(struct kimpctl *k, FILE *f)
{
	struct kimpctl_seg_name *names = NULL;
	struct shm_hist_snap *snap = malloc(sizeof(*snap));
	struct samples s = { 0 };
	struct shm_seg *segs = NULL;
	size_t nnames = 0, nsegs = 0, dropped = 0;
	const struct sample *fam = NULL, *last = NULL;
	uint64_t now;
	int ret = 0;

	if (!snap)
		return -ENOMEM;
	kimpctl_seg_names(k, &names, &nnames);
	segs = calloc(nnames ? nnames : 1, sizeof(*segs));
	if (!segs) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		if (shm_seg_attach(&segs[nsegs], names[i].name, &k->shm))
			continue;
		if (collect(&s, &segs[nsegs++])) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), cmp);
	now = kimp_mono_ns();
	for (size_t i = 0; i < s.n; i++) {
		const struct sample *x = &s.v[i];

		if (!fam || strcmp(fam->fam, x->fam)) {
			fam = x;
			help(f, x);
		} else if (fam->type != x->type || !strcmp(last->proc, x->proc)) {
			/* the name of another type, or a proc's second region of the name */
			dropped++;
			continue;
		}
		sample(f, x, now, snap);
		last = x;
	}
	if (dropped)
		fprintf(f, "# monitord: %zu samples dropped (a name of two types, or a proc twice)\n",
			dropped);
out:
	for (size_t i = 0; i < nsegs; i++)
		shm_seg_detach(&segs[i]);
	free(segs);
	free(s.v);
	free(names);
	free(snap);
	return ret;
}
