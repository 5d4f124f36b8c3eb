/* SPDX-License-Identifier: MIT */
/*
 * kimpctl shm: list, inspect and remove shared-memory segments.
 *
 * ls reads each file's header with pread and never maps it, so a foreign or
 * half-written file is listed as invalid instead of failing the listing.
 * inspect attaches read-only; every offset it follows is bounds-checked
 * first, because the memory it reads may be corrupt.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/seqlock.h"
#include "kimpctl.h"
#include "views.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

static const char *const kind_names[] = {
	[SHM_REGION_RAW] = "RAW",
	[SHM_REGION_RING] = "RING",
	[SHM_REGION_SEQTAB] = "SEQTAB",
	[SHM_REGION_METRICS] = "METRICS",
};

static const char *kind_name(uint32_t kind)
{
	return kind < KIMP_ARRAY_SIZE(kind_names) ? kind_names[kind] : "UNKNOWN";
}

static const char *backing_name(uint32_t backing)
{
	switch (backing) {
	case SHM_BACK_HUGETLBFS:
		return "hugetlbfs";
	case SHM_BACK_SHM:
		return "shm";
	default:
		return "unknown";
	}
}

/* ---- shm ls --------------------------------------------------------------- */

enum row_state { ROW_OK, ROW_INCOMPATIBLE, ROW_INVALID };

/* One file named kimp-* in a segment directory. */
struct seg_row {
	char name[NAME_MAX + 1];    /* without the prefix: what inspect takes */
	char path[PATH_MAX];
	const char *backing;        /* of the directory it was found in */
	uint64_t file_size;
	bool sized;                 /* file_size is known: a regular file */
	enum row_state state;
	char why[512];              /* ROW_INVALID, ROW_INCOMPATIBLE */
	struct shm_seg_hdr hdr;     /* ROW_OK; magic and version otherwise */
};

struct seg_rows {
	struct seg_row *v;
	size_t n, cap;
};

static void row_invalid(struct seg_row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void row_invalid(struct seg_row *r, const char *fmt, ...)
{
	va_list ap;

	r->state = ROW_INVALID;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* Judge the header of an open file. */
static void row_judge(struct seg_row *r, int fd, const char *file)
{
	const char *msg;
	size_t flen = strlen(file);
	ssize_t n;

	memset(&r->hdr, 0, sizeof(r->hdr));
	n = pread(fd, &r->hdr, sizeof(r->hdr), 0);
	if (n < 0) {
		row_invalid(r, "cannot read: %s", strerror(errno));
		return;
	}
	/* magic and version come first in every layout */
	if ((size_t)n >= offsetof(struct shm_seg_hdr, hdr_size) &&
	    r->hdr.magic == SHM_MAGIC && r->hdr.layout_version != SHM_LAYOUT_VERSION) {
		r->state = ROW_INCOMPATIBLE;
		snprintf(r->why, sizeof(r->why), "layout version %u, this build uses %u",
			 r->hdr.layout_version, SHM_LAYOUT_VERSION);
		return;
	}
	if (!shm_hdr_check(&r->hdr, r->file_size, file)) {
		r->state = ROW_OK;
		return;
	}
	/* the row names the file already: drop the "file: " in front */
	msg = shm_last_error();
	if (!strncmp(msg, file, flen) && !strncmp(msg + flen, ": ", 2))
		msg += flen + 2;
	row_invalid(r, "%s", msg);
}

static void row_read(struct seg_row *r, int dfd, const char *file)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO someone named kimp-* must not hang the listing */
	int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		row_invalid(r, "cannot open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &st))
		row_invalid(r, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		row_invalid(r, "not a regular file");
	if (r->state != ROW_INVALID) {
		r->file_size = (uint64_t)st.st_size;
		r->sized = true;
		row_judge(r, fd, file);
	}
	close(fd);
}

static struct seg_row *rows_add(struct seg_rows *rows)
{
	struct seg_row *v;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 8;
		v = realloc(rows->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		rows->v = v;
		rows->cap = cap;
	}
	v = &rows->v[rows->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* Add a row for every kimp-* file in 'dir'. A missing directory is empty. */
static int scan_dir(struct seg_rows *rows, const char *dir, const char *backing)
{
	const size_t plen = strlen(SHM_FILE_PREFIX);
	struct dirent *de;
	struct seg_row *r;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((errno = 0, de = readdir(d))) {
		if (strncmp(de->d_name, SHM_FILE_PREFIX, plen))
			continue;
		r = rows_add(rows);
		if (!r) {
			ret = -ENOMEM;
			goto close_dir;
		}
		snprintf(r->name, sizeof(r->name), "%s", de->d_name + plen);
		snprintf(r->path, sizeof(r->path), "%s/%s", dir, de->d_name);
		r->backing = backing;
		row_read(r, dirfd(d), de->d_name);
	}
	if (errno)
		ret = -errno;
close_dir:
	closedir(d);
	return ret;
}

static int row_cmp(const void *a, const void *b)
{
	const struct seg_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->backing, y->backing);
}

/* Scan both directories, once each even when they are the same. */
static int scan_all(const struct kimpctl *k, struct seg_rows *rows)
{
	const char *dirs[2] = { k->shm.hugetlbfs_dir, k->shm.shm_dir };
	struct stat st[2];
	struct statfs fs;
	int status = KIMPCTL_OK, err;

	for (int i = 0; i < 2; i++) {
		if (!dirs[i] || stat(dirs[i], &st[i]))
			continue;
		if (i == 1 && dirs[0] && !stat(dirs[0], &st[0]) &&
		    st[0].st_dev == st[1].st_dev && st[0].st_ino == st[1].st_ino)
			continue;
		/* name the backing by what the directory is, not by its role */
		bool huge = !statfs(dirs[i], &fs) &&
			    (unsigned long)fs.f_type == HUGETLBFS_MAGIC;
		err = scan_dir(rows, dirs[i], huge ? "hugetlbfs" : "shm");
		if (err == -ENOMEM)
			return kimpctl_err(KIMPCTL_FAIL, "shm ls: out of memory");
		if (err)
			status = kimpctl_err(KIMPCTL_FAIL, "shm ls: cannot list %s: %s",
					     dirs[i], strerror(-err));
	}
	if (rows->n)
		qsort(rows->v, rows->n, sizeof(*rows->v), row_cmp);
	return status;
}

static void ls_json_row(struct out *o, const struct seg_row *r)
{
	static const char *const states[] = { "ok", "incompatible", "invalid" };

	out_obj_begin(o, NULL, NULL);
	out_str(o, "name", r->name);
	out_str(o, "path", r->path);
	out_str(o, "backing", r->backing);
	if (r->sized)
		out_u64(o, "file_size", r->file_size);
	else
		out_null(o, "file_size");
	out_str(o, "status", states[r->state]);
	if (r->state != ROW_OK)
		out_str(o, "error", r->why);
	if (r->state == ROW_INCOMPATIBLE) {
		out_u64(o, "layout_version", r->hdr.layout_version);
		out_u64(o, "this_layout_version", SHM_LAYOUT_VERSION);
	}
	if (r->state == ROW_OK) {
		out_u64(o, "layout_version", r->hdr.layout_version);
		out_u64(o, "size", r->hdr.size);
		out_time(o, "created", r->hdr.created_real_ns);
		out_u64(o, "created_real_ns", r->hdr.created_real_ns);
		out_pid(o, "creator_pid", r->hdr.creator_pid);
		out_u64(o, "regions", r->hdr.nregions);
	}
	out_obj_end(o);
}

static void ls_json(const struct kimpctl *k, const struct seg_rows *rows)
{
	struct out o;

	out_init(&o, stdout, true);
	out_obj_begin(&o, NULL, NULL);
	out_str(&o, "hugetlbfs_dir", k->shm.hugetlbfs_dir);
	out_str(&o, "shm_dir", k->shm.shm_dir);
	out_arr_begin(&o, "segments");
	for (size_t i = 0; i < rows->n; i++)
		ls_json_row(&o, &rows->v[i]);
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
}

static void ls_text_row(const struct seg_row *r, int w)
{
	char size[32], created[64], pid[32];

	/* file names are anyone's: no control characters to the terminal */
	text_string(stdout, r->name, strlen(r->name));
	printf("%*s  %-9s  %-9s  ", w - (int)strlen(r->name), "", r->backing,
	       r->sized ? fmt_bytes(size, sizeof(size), r->file_size) : "-");
	if (r->state == ROW_INVALID) {
		fputs("invalid: ", stdout);
		text_string(stdout, r->why, strlen(r->why));
		fputc('\n', stdout);
		return;
	}
	if (r->state == ROW_INCOMPATIBLE) {
		printf("%-27s  %-16s  %-7s  %u INCOMPATIBLE (this build: %u)\n", "-", "-",
		       "-", r->hdr.layout_version, SHM_LAYOUT_VERSION);
		return;
	}
	printf("%-27s  %-16s  %-7u  %u\n",
	       fmt_utc(created, sizeof(created), r->hdr.created_real_ns, false),
	       fmt_pid(pid, sizeof(pid), r->hdr.creator_pid), r->hdr.nregions,
	       r->hdr.layout_version);
}

static void ls_text(const struct kimpctl *k, const struct seg_rows *rows)
{
	int w = 4;

	if (!rows->n) {
		printf("no kimp segments in %s or %s\n", k->shm.hugetlbfs_dir, k->shm.shm_dir);
		return;
	}
	for (size_t i = 0; i < rows->n; i++)
		if ((int)strlen(rows->v[i].name) > w)
			w = (int)strlen(rows->v[i].name);
	printf("%-*s  %-9s  %-9s  %-27s  %-16s  %-7s  %s\n", w, "NAME", "BACKING", "SIZE",
	       "CREATED", "CREATOR", "REGIONS", "LAYOUT");
	for (size_t i = 0; i < rows->n; i++)
		ls_text_row(&rows->v[i], w);
}

static int shm_ls(struct kimpctl *k, bool json)
{
	struct seg_rows rows = { 0 };
	int status = scan_all(k, &rows);

	if (json)
		ls_json(k, &rows);
	else
		ls_text(k, &rows);
	free(rows.v);
	return status;
}

int kimpctl_seg_names(const struct kimpctl *k, struct kimpctl_seg_name **out, size_t *n)
{
	struct seg_rows rows = { 0 };
	struct kimpctl_seg_name *v;
	int status = scan_all(k, &rows);

	*out = NULL;
	*n = 0;
	v = calloc(rows.n ? rows.n : 1, sizeof(*v));
	if (!v) {
		free(rows.v);
		return kimpctl_err(KIMPCTL_FAIL, "out of memory");
	}
	/* sorted by name: a name in both directories is listed once */
	for (size_t i = 0; i < rows.n; i++) {
		const struct seg_row *r = &rows.v[i];
		size_t len = strlen(r->name);

		if (r->state != ROW_OK || len >= sizeof(v->name) ||
		    (*n && !strcmp(v[*n - 1].name, r->name)))
			continue;
		memcpy(v[*n].name, r->name, len + 1);
		(*n)++;
	}
	free(rows.v);
	*out = v;
	return status;
}

/* ---- shm inspect ---------------------------------------------------------- */

/* Region payloads: print what the region holds, or 0 / -EPROTO with *why. */

static void print_doorbell(struct out *o, const struct shm_doorbell *b, bool own)
{
	out_obj_begin(o, "doorbell", NULL);
	out_bool(o, "shared", !own);
	out_bool(o, "armed", atomic_load_explicit(&b->armed, memory_order_relaxed));
	out_bool(o, "sleeping", atomic_load_explicit(&b->sleeping, memory_order_relaxed));
	out_u64(o, "wakes", atomic_load_explicit(&b->wakes, memory_order_relaxed));
	out_pid(o, "waiter_pid", b->waiter_pid);
	out_obj_end(o);
}

static int print_ring(struct out *o, const struct shm_seg *seg,
		      const struct shm_region_ent *e, const char **why)
{
	static const char *const flag_names[] = { "conflate" };
	const struct shm_ring *r = shm_region_ptr(seg, e);
	uint64_t head, tail;
	int64_t bell;

	if (shm_ring_check(r, e->size)) {
		*why = shm_last_error();
		return -EPROTO;
	}
	/* the doorbell may be another ring's: it must lie in the segment */
	bell = (int64_t)e->off + r->bell_off;
	if (bell < (int64_t)sizeof(struct shm_seg_hdr) ||
	    (uint64_t)bell + sizeof(struct shm_doorbell) > seg->size) {
		*why = "doorbell outside the segment";
		return -EPROTO;
	}
	out_u64(o, "slot_size", r->slot_size);
	out_u64(o, "slot_count", r->slot_count);
	out_flags(o, "flags", r->flags, flag_names, KIMP_ARRAY_SIZE(flag_names));
	/* tail first: head only grows, so depth is never negative */
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	head = atomic_load_explicit(&r->head, memory_order_acquire);
	out_u64(o, "head", head);
	out_u64(o, "tail", tail);
	out_u64(o, "depth", head - tail);
	out_u64(o, "overruns", atomic_load_explicit(&r->overruns, memory_order_relaxed));
	out_pid(o, "producer_pid", atomic_load_explicit(&r->producer_pid, memory_order_relaxed));
	out_pid(o, "consumer_pid", atomic_load_explicit(&r->consumer_pid, memory_order_relaxed));
	out_u64(o, "producer_attaches",
		atomic_load_explicit(&r->producer_attaches, memory_order_relaxed));
	out_u64(o, "consumer_attaches",
		atomic_load_explicit(&r->consumer_attaches, memory_order_relaxed));
	print_doorbell(o, (const struct shm_doorbell *)(seg->base + bell),
		       r->bell_off == (int64_t)offsetof(struct shm_ring, bell));
	return 0;
}

static int print_seqtab(struct out *o, const struct shm_seg *seg,
			const struct shm_region_ent *e, const char **why)
{
	char name[SHM_NAME_MAX + 1];
	struct shm_seqtab *t;
	uint64_t odd = 0;

	snprintf(name, sizeof(name), "%.*s", SHM_NAME_MAX, e->name);
	if (shm_seqtab_lookup(seg, name, &t)) {
		*why = shm_last_error();
		return -EPROTO;
	}
	for (uint32_t i = 0; i < t->count; i++)
		odd += atomic_load_explicit(&shm_seqtab_lock(t, i)->seq,
					    memory_order_relaxed) & 1;
	out_u64(o, "rec_size", t->rec_size);
	out_u64(o, "stride", t->stride);
	out_u64(o, "count", t->count);
	/* odd sequences: a write in progress, or a writer that died in one */
	out_u64(o, "writing", odd);
	return 0;
}

typedef const char *(*metric_name_fn)(const struct shm_metrics *m, uint32_t i);

/* The i-th name, NUL-terminated whatever the memory holds. */
static const char *metric_name(char *buf, const struct shm_metrics *m, metric_name_fn fn,
			       uint32_t i)
{
	snprintf(buf, SHM_METRIC_NAME + 1, "%.*s", SHM_METRIC_NAME, fn(m, i));
	return buf;
}

static void metrics_title(char *buf, size_t len, const char *what, uint32_t n, uint32_t max)
{
	snprintf(buf, len, "%s (%u of %u)", what, n, max);
}

static int print_hists(struct out *o, const struct shm_metrics *m, uint32_t n)
{
	char name[SHM_METRIC_NAME + 1], title[64];
	struct shm_hist_snap *snap = malloc(sizeof(*snap));

	if (!snap)
		return -ENOMEM;
	metrics_title(title, sizeof(title), "histograms", n, m->max_hists);
	out_obj_begin(o, "histograms", title);
	for (uint32_t i = 0; i < n; i++) {
		shm_hist_snapshot(shm_metrics_hist_at(m, i), snap);
		out_hist(o, metric_name(name, m, shm_metrics_hist_name, i), snap);
	}
	out_obj_end(o);
	free(snap);
	return 0;
}

int kimpctl_out_metrics(struct out *o, const struct shm_metrics *m, uint64_t region_size,
			const char **why)
{
	char name[SHM_METRIC_NAME + 1], title[64];
	uint32_t nc, ng, nh;
	uint64_t hb, now;

	if (shm_metrics_check(m, region_size)) {
		*why = shm_last_error();
		return -EPROTO;
	}
	/* acquire: pairs with the release that publishes each name */
	nc = atomic_load_explicit(&m->ncounters, memory_order_acquire);
	ng = atomic_load_explicit(&m->ngauges, memory_order_acquire);
	nh = atomic_load_explicit(&m->nhists, memory_order_acquire);
	hb = atomic_load_explicit(&m->heartbeat_ns, memory_order_relaxed);
	now = kimp_mono_ns();

	out_strn(o, "proc", m->proc, sizeof(m->proc));
	out_pid(o, "pid", atomic_load_explicit(&m->pid, memory_order_relaxed));
	out_time(o, "started", atomic_load_explicit(&m->start_real_ns, memory_order_relaxed));
	if (hb)
		out_ns(o, "heartbeat_age_ns", now > hb ? now - hb : 0);
	else if (o->json)
		out_null(o, "heartbeat_age_ns");
	else
		out_str(o, "heartbeat_age", "never");

	metrics_title(title, sizeof(title), "counters", nc, m->max_counters);
	out_obj_begin(o, "counters", title);
	for (uint32_t i = 0; i < nc; i++)
		out_u64(o, metric_name(name, m, shm_metrics_counter_name, i),
			atomic_load_explicit(shm_metrics_counter_at(m, i), memory_order_relaxed));
	out_obj_end(o);

	metrics_title(title, sizeof(title), "gauges", ng, m->max_gauges);
	out_obj_begin(o, "gauges", title);
	for (uint32_t i = 0; i < ng; i++)
		out_i64(o, metric_name(name, m, shm_metrics_gauge_name, i),
			atomic_load_explicit(shm_metrics_gauge_at(m, i), memory_order_relaxed));
	out_obj_end(o);

	if (print_hists(o, m, nh)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return 0;
}

static bool region_in_bounds(const struct shm_seg *seg, const struct shm_region_ent *e)
{
	return e->off >= sizeof(struct shm_seg_hdr) && e->off <= seg->size &&
	       e->size <= seg->size - e->off;
}

/* One directory entry. 0, or -EPROTO when it is corrupt. */
static int print_region(struct out *o, const struct shm_seg *seg,
			const struct shm_region_ent *e)
{
	char name[SHM_NAME_MAX + 1], title[SHM_NAME_MAX + 32];
	const char *why = NULL;
	int err = 0;

	snprintf(name, sizeof(name), "%.*s", SHM_NAME_MAX, e->name);
	snprintf(title, sizeof(title), "region %s (%s)", name, kind_name(e->kind));
	out_obj_begin(o, NULL, title);
	out_str(o, "name", name);
	out_str(o, "kind", kind_name(e->kind));
	out_u64(o, "offset", e->off);
	out_bytes(o, "size", e->size);
	if (!region_in_bounds(seg, e)) {
		why = "region lies outside the segment";
		err = -EPROTO;
	} else if (e->kind == SHM_REGION_RING) {
		err = print_ring(o, seg, e, &why);
	} else if (e->kind == SHM_REGION_SEQTAB) {
		err = print_seqtab(o, seg, e, &why);
	} else if (e->kind == SHM_REGION_METRICS) {
		err = kimpctl_out_metrics(o, shm_region_ptr(seg, e), e->size, &why);
	}
	if (err)
		out_str(o, "error", why);
	out_obj_end(o);
	return err;
}

static void print_header(struct out *o, const struct shm_seg *seg, uint32_t nregions)
{
	static const char *const tsc_flags[] = { "INVARIANT", "FALLBACK" };
	const struct shm_seg_hdr *h = seg->hdr;

	out_strn(o, "name", h->name, sizeof(h->name));
	out_str(o, "path", seg->path);
	out_hex(o, "magic", h->magic);
	out_u64(o, "layout_version", h->layout_version);
	out_bytes(o, "size", h->size);
	out_str(o, "backing", backing_name(h->backing));
	out_bytes(o, "page_size", h->page_size);
	out_time(o, "created", h->created_real_ns);
	if (o->json)
		out_u64(o, "created_real_ns", h->created_real_ns);
	out_pid(o, "creator_pid", h->creator_pid);
	out_pid(o, "dir_lock_pid", (pid_t)h->dir_lock);
	out_u64(o, "nregions", nregions);
	out_bytes(o, "used", h->alloc_off);

	out_obj_begin(o, "tsc", NULL);
	out_u64(o, "tsc_hz", h->tsc.tsc_hz);
	out_flags(o, "flags", h->tsc.flags, tsc_flags, KIMP_ARRAY_SIZE(tsc_flags));
	out_ns(o, "calib_ns", h->tsc.calib_ns);
	out_obj_end(o);
}

static int shm_inspect(struct kimpctl *k, const char *name, bool json)
{
	char title[SHM_NAME_MAX + 16];
	struct shm_seg seg;
	struct out o;
	uint32_t n;
	int bad = 0;

	if (shm_seg_attach(&seg, name, &k->shm))
		return kimpctl_err(KIMPCTL_FAIL, "shm inspect: %s", shm_last_error());
	/* acquire: pairs with the release that publishes each directory entry */
	n = atomic_load_explicit((_Atomic uint32_t *)&seg.hdr->nregions,
				 memory_order_acquire);
	if (n > SHM_MAX_REGIONS)
		n = SHM_MAX_REGIONS;

	snprintf(title, sizeof(title), "segment %s", name);
	out_init(&o, stdout, json);
	out_obj_begin(&o, NULL, title);
	print_header(&o, &seg, n);
	out_arr_begin(&o, "regions");
	for (uint32_t i = 0; i < n; i++)
		bad |= print_region(&o, &seg, &seg.hdr->dir[i]) != 0;
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
	shm_seg_detach(&seg);
	return bad ? KIMPCTL_FAIL : KIMPCTL_OK;
}

/* ---- shm rm --------------------------------------------------------------- */

static int shm_rm(struct kimpctl *k, int n, char **names)
{
	int status = KIMPCTL_OK;
	char path[256];

	for (int i = 0; i < n; i++) {
		if (shm_seg_path(names[i], &k->shm, path, sizeof(path)))
			snprintf(path, sizeof(path), "?");
		int err = shm_seg_remove(names[i], &k->shm);
		if (err == -ENOENT)
			status = kimpctl_err(KIMPCTL_FAIL, "shm rm: %s: no such segment "
					     "in %s or %s", names[i], k->shm.hugetlbfs_dir,
					     k->shm.shm_dir);
		else if (err)
			status = kimpctl_err(KIMPCTL_FAIL, "shm rm: %s", shm_last_error());
		else
			printf("removed %s (%s)\n", names[i], path);
	}
	return status;
}

/* ---- dispatch ------------------------------------------------------------- */

static const char shm_usage[] =
	"  shm ls [--json]             list kimp segments in both directories\n"
	"  shm inspect [--json] NAME   header, regions, rings, tables and metrics\n"
	"  shm rm NAME...              remove segments\n";

/*
 * Take --json (where allowed) out of argv[1..], leaving the operands in
 * argv[1..*nargs]. -EINVAL for an unknown option, with the message said.
 */
static int sub_args(int argc, char **argv, bool json_ok, bool *json, int *nargs)
{
	bool opts = true;
	int n = 0;

	*json = false;
	for (int i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && json_ok && !strcmp(argv[i], "--json")) {
			*json = true;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			kimpctl_err(0, "shm %s: unknown option '%s'", argv[0], argv[i]);
			return -EINVAL;
		} else {
			argv[1 + n++] = argv[i];
		}
	}
	*nargs = n;
	return 0;
}

static int shm_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int shm_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kimpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", shm_usage);
	return KIMPCTL_USAGE;
}

static int shm_run(struct kimpctl *k, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	bool json;
	int n;

	if (!strcmp(sub, "help") || !strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		printf("usage:\n%s", shm_usage);
		return KIMPCTL_OK;
	}
	if (!*sub)
		return shm_usage_err("shm: subcommand missing");
	if (strcmp(sub, "ls") && strcmp(sub, "inspect") && strcmp(sub, "rm"))
		return shm_usage_err("shm: unknown subcommand '%s'", sub);
	if (sub_args(argc - 1, argv + 1, strcmp(sub, "rm") != 0, &json, &n))
		return KIMPCTL_USAGE;
	argv += 2;

	if (!strcmp(sub, "ls"))
		return n ? shm_usage_err("shm ls: unexpected '%s'", argv[0]) : shm_ls(k, json);
	if (!strcmp(sub, "inspect"))
		return n == 1 ? shm_inspect(k, argv[0], json) :
			shm_usage_err("shm inspect: %s", n ? "one NAME only" : "NAME missing");
	return n ? shm_rm(k, n, argv) : shm_usage_err("shm rm: %s", "NAME missing");
}

const struct kimpctl_cmd kimpctl_cmd_shm = {
	.name = "shm",
	.usage = shm_usage,
	.run = shm_run,
};
