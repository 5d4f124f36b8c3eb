/* SPDX-License-Identifier: MIT */
/*
 * monitord's log drain: the one consumer of every process's binary log
 * ring (kimp/log.h, region "log" of the process's own segment), formatting
 * each record with kimp_log_format into LOG_DIR/PROC.ring.log, rotated by
 * size.
 *
 * Sources: the processes of [monitord] procs (segment: their section's
 * name key) and monitord's own segment. Each is attached writable (a
 * consumer commits the ring's tail) for as long as it lasts: a segment
 * that is not there yet is looked for again every turn; one that vanishes
 * (removed) is drained of what the mapping still holds, then let go; one
 * recreated under the same name (a daemon restarted on a fresh segment) is
 * told by its file's identity (device and inode: the old file cannot be
 * reused while it is mapped here) and attached anew. A mapping stays valid
 * after its file is removed, so a vanished segment never faults.
 *
 * Losses: records carry the writer's sequence number, drops counted too,
 * so a gap is a loss: the file says "N records lost" (with the ring's own
 * drop count, its overruns) and log_lost counts it. The first record after
 * an attach, and one whose number went back (a restarted writer: its
 * numbers start again from 1), set the expectation without a loss.
 *
 * Writes are stdio-buffered and flushed once per turn. A write error (disk
 * full, the directory gone or unwritable) is counted (log_errors) and said
 * on stderr at most once a minute; the records of that turn are dropped and
 * the drain goes on. Each turn drains at most MON_LOG_BUDGET records per
 * source, so the loop is never held long.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "kimp/log.h"
#include "kimp/ring.h"
#include "kimp/tsc.h"
#include "monitord.h"

#define MON_LOG_BUDGET   2048u          /* records per source per turn */
#define MON_LOG_LINE     1024u
#define MON_LOG_SAY_NS   60000000000ull /* an error said at most this often */
#define MON_LOG_SOURCES  (MON_PROCS_MAX + 1)

struct mon_log_src {
	char proc[SHM_NAME_MAX];     /* the file: PROC.ring.log */
	char seg_name[SHM_NAME_MAX];
	struct shm_seg seg;          /* writable; base NULL: not attached */
	dev_t dev;                   /* the segment file mapped */
	ino_t ino;
	struct shm_ring *ring;       /* NULL: the segment has no log (yet) */
	struct shm_ring_cons cons;
	uint64_t next_seq;           /* the writer's next number; 0: not known */
	FILE *f;                     /* the open log file, or NULL */
	uint64_t fsize;
	dev_t fdev;
	ino_t fino;
	bool failed;                 /* this turn's writes failed: drop the rest */
};

struct mon_logs {
	char dir[MON_PATH_MAX];
	uint64_t max_bytes, keep;
	struct shm_opts so;          /* writable, never locked */
	unsigned nsrc;
	struct mon_log_src src[MON_LOG_SOURCES];
	struct mon_log_stats st;
	struct mon_log_counters c;   /* each NULL or monitord's metrics */
	uint64_t said_ns;            /* when an error was last said */
	uint64_t unsaid;             /* errors since */
	char line[MON_LOG_LINE];
};

/* ---- counting and saying --------------------------------------------------- */

static void count(_Atomic uint64_t *c, uint64_t *local, uint64_t n)
{
	*local += n;
	if (c)
		shm_counter_add(c, n);
}

/* A write error: counted; said on stderr when none was this last minute. */
static void fail(struct mon_logs *l, struct mon_log_src *s, const char *what, int err)
{
	uint64_t now = kimp_mono_ns();

	count(l->c.errors, &l->st.errors, 1);
	l->unsaid++;
	if (l->said_ns && now - l->said_ns < MON_LOG_SAY_NS)
		return;
	fprintf(stderr, "monitord: log drain: %s/%s.ring.log: %s: %s (%" PRIu64 " write error%s "
		"since last said; records are dropped until it works, said again in a minute "
		"at most)\n", l->dir, s->proc, what, strerror(err), l->unsaid,
		l->unsaid == 1 ? "" : "s");
	l->said_ns = now ? now : 1;
	l->unsaid = 0;
}

/* ---- files -------------------------------------------------------------------- */

static void path_of(const struct mon_logs *l, const struct mon_log_src *s, unsigned n,
		    char *buf, size_t len)
{
	if (n)
		snprintf(buf, len, "%s/%s.ring.log.%u", l->dir, s->proc, n);
	else
		snprintf(buf, len, "%s/%s.ring.log", l->dir, s->proc);
}

static void file_close(struct mon_log_src *s)
{
	if (s->f)
		fclose(s->f);
	s->f = NULL;
	s->fsize = 0;
}

/* mkdir -p of l->dir (errors are left to the open that follows). */
static void dir_make(const struct mon_logs *l)
{
	char p[MON_PATH_MAX];

	snprintf(p, sizeof(p), "%s", l->dir);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		mkdir(p, 0755);
		*c = '/';
	}
	mkdir(p, 0755);
}

/*
 * The file ready for appending: opened when closed, reopened when the
 * file at its path is no longer the one held (moved away by hand or by
 * `kimp logs --rotate`). 0 or -errno (counted, said).
 */
static int file_ready(struct mon_logs *l, struct mon_log_src *s)
{
	char path[MON_PATH_MAX + 64];
	struct stat st;

	path_of(l, s, 0, path, sizeof(path));
	if (s->f) {
		if (!stat(path, &st) && st.st_dev == s->fdev && st.st_ino == s->fino)
			return 0;
		file_close(s);
	}
	s->f = fopen(path, "ae");
	if (!s->f && errno == ENOENT) {
		dir_make(l);
		s->f = fopen(path, "ae");
	}
	if (!s->f || fstat(fileno(s->f), &st)) {
		int e = errno;

		file_close(s);
		fail(l, s, "open", e);
		return -e;
	}
	s->fsize = (uint64_t)st.st_size;
	s->fdev = st.st_dev;
	s->fino = st.st_ino;
	return 0;
}

/*
 * NAME.ring.log -> .1, .1 -> .2 ... .keep-1 -> .keep (the oldest is
 * replaced: removed), then a fresh file. keep 0: the file is removed.
 */
static int rotate(struct mon_logs *l, struct mon_log_src *s)
{
	char from[MON_PATH_MAX + 64], to[MON_PATH_MAX + 64];
	int e = 0;

	if (s->f && fflush(s->f))
		e = errno;
	file_close(s);
	if (e) {
		fail(l, s, "write", e);
		return -e;
	}
	for (unsigned i = (unsigned)l->keep; i > 1; i--) {
		path_of(l, s, i - 1, from, sizeof(from));
		path_of(l, s, i, to, sizeof(to));
		if (rename(from, to) && errno != ENOENT)
			e = errno;
	}
	path_of(l, s, 0, from, sizeof(from));
	if (l->keep) {
		path_of(l, s, 1, to, sizeof(to));
		if (rename(from, to))
			e = errno;
	} else if (unlink(from)) {
		e = errno;
	}
	if (e) {
		fail(l, s, "rotate", e);
		return -e;
	}
	count(l->c.rotations, &l->st.rotations, 1);
	return file_ready(l, s);
}

/* One line into s's file, rotating first when it would pass max_bytes. */
static void put_line(struct mon_logs *l, struct mon_log_src *s, const char *line, size_t n)
{
	if (s->failed)
		return;
	if (s->f && s->fsize && s->fsize + n > l->max_bytes && rotate(l, s)) {
		s->failed = true;
		return;
	}
	if (fwrite(line, 1, n, s->f) != n) {
		fail(l, s, "write", errno ? errno : EIO);
		s->failed = true;
		return;
	}
	s->fsize += n;
	count(l->c.bytes, &l->st.bytes, n);
}

/* ---- sources --------------------------------------------------------------- */

static void src_detach(struct mon_log_src *s)
{
	if (s->seg.base)
		shm_seg_detach(&s->seg);
	s->ring = NULL;
	s->next_seq = 0;
}

/* The segment's file now: 0 with its identity, or -ENOENT. */
static int seg_identity(const struct mon_logs *l, const struct mon_log_src *s, dev_t *dev,
			ino_t *ino)
{
	char path[256];
	struct stat st;

	if (shm_seg_path(s->seg_name, &l->so, path, sizeof(path)) || stat(path, &st))
		return -ENOENT;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* Attach the segment when it is there; find its log ring when it has one. */
static void src_attach(struct mon_logs *l, struct mon_log_src *s)
{
	struct shm_ring *r;
	struct stat st;

	if (!s->seg.base) {
		if (shm_seg_attach(&s->seg, s->seg_name, &l->so))
			return;            /* not there (yet), or not ours: next turn */
		if (stat(s->seg.path, &st)) {
			shm_seg_detach(&s->seg);
			return;
		}
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->ring = NULL;
	}
	if (s->ring)
		return;
	if (shm_ring_lookup(&s->seg, KIMP_LOG_REGION, &r) ||
	    r->slot_size != sizeof(struct kimp_log_rec) || shm_ring_consumer(r, &s->cons))
		return;                    /* no log yet (or not a log ring): next turn */
	s->ring = r;
	s->next_seq = 0;
}

/* "monitord: N records lost" in the writer's file, counted. */
static void say_lost(struct mon_logs *l, struct mon_log_src *s, const struct kimp_log_rec *at,
		     uint64_t lost)
{
	struct kimp_log_rec r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.real_ns = at->real_ns;
	r.level = KIMP_LOG_WARN;
	r.kind = KIMP_LOGK_TEXT;
	n = (size_t)snprintf(r.text, sizeof(r.text), "monitord: ... %" PRIu64 " records lost "
			     "(seq %" PRIu64 "..%" PRIu64 " missing; the writer's ring has "
			     "dropped %" PRIu64 " in all)", lost, s->next_seq, at->seq - 1,
			     atomic_load_explicit(&s->ring->overruns, memory_order_relaxed));
	r.len = (uint16_t)(n < sizeof(r.text) ? n : sizeof(r.text));
	count(l->c.lost, &l->st.lost, lost);
	n = kimp_log_format(&r, s->proc, l->line, sizeof(l->line));
	put_line(l, s, l->line, n);
}

/* Up to MON_LOG_BUDGET records of s into its file. Returns how many. */
static unsigned src_drain(struct mon_logs *l, struct mon_log_src *s)
{
	const struct kimp_log_rec *r;
	unsigned n = 0;

	if (!s->ring || !shm_ring_ready(&s->cons))
		return 0;
	s->failed = file_ready(l, s) != 0;
	while (n < MON_LOG_BUDGET && (r = shm_ring_peek(&s->cons))) {
		size_t len;

		if (s->next_seq && r->seq > s->next_seq)
			say_lost(l, s, r, r->seq - s->next_seq);
		s->next_seq = r->seq + 1;
		len = kimp_log_format(r, s->proc, l->line, sizeof(l->line));
		put_line(l, s, l->line, len);
		shm_ring_commit(&s->cons);
		n++;
	}
	count(l->c.records, &l->st.records, n);
	if (s->f && fflush(s->f)) {
		if (!s->failed)
			fail(l, s, "write", errno);
		clearerr(s->f);
		file_close(s);           /* reopened (and re-measured) next turn */
	}
	return n;
}

/* A segment removed, or replaced by a new one: let the old mapping go. */
static void src_check(struct mon_logs *l, struct mon_log_src *s)
{
	dev_t dev;
	ino_t ino;

	if (!s->seg.base)
		return;
	if (!seg_identity(l, s, &dev, &ino) && dev == s->dev && ino == s->ino)
		return;
	/* what the old writer left is still mapped: take it first */
	for (int i = 0; i < 4 && src_drain(l, s) == MON_LOG_BUDGET; i++)
		;
	src_detach(s);
}

unsigned mon_logs_drain(struct mon_logs *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->nsrc; i++) {
		struct mon_log_src *s = &l->src[i];

		src_check(l, s);
		src_attach(l, s);
		n += src_drain(l, s);
	}
	return n;
}

/* ---- open, close ------------------------------------------------------------- */

static void src_add(struct mon_logs *l, const char *proc, const char *seg)
{
	struct mon_log_src *s;

	for (unsigned i = 0; i < l->nsrc; i++)
		if (!strcmp(l->src[i].seg_name, seg))
			return;          /* one consumer per ring */
	if (l->nsrc == MON_LOG_SOURCES)
		return;
	s = &l->src[l->nsrc++];
	snprintf(s->proc, sizeof(s->proc), "%s", proc);
	snprintf(s->seg_name, sizeof(s->seg_name), "%s", seg);
}

int mon_logs_open(struct mon_logs **out, const struct kimpctl *k, const struct mon_conf *mc,
		  const struct mon_log_counters *c)
{
	struct mon_logs *l;

	*out = NULL;
	if (!mc->log_dir[0])
		return 0;                  /* off */
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->dir, sizeof(l->dir), "%s", mc->log_dir);
	l->max_bytes = mc->log_max_bytes;
	l->keep = mc->log_keep;
	l->so = k->shm;
	/* a consumer commits the ring's tail: writable; never pinned */
	l->so.readonly = false;
	l->so.mlock = false;
	if (c)
		l->c = *c;
	for (unsigned i = 0; i < mc->nprocs; i++) {
		const char *seg = kimp_conf_get(k->conf, mc->procs[i], "name");

		src_add(l, mc->procs[i], seg && *seg ? seg : mc->procs[i]);
	}
	src_add(l, "monitord", mc->name);
	dir_make(l);
	*out = l;
	return 0;
}

const struct mon_log_stats *mon_logs_stats(const struct mon_logs *l)
{
	return &l->st;
}

void mon_logs_close(struct mon_logs *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->nsrc; i++) {
		file_close(&l->src[i]);
		src_detach(&l->src[i]);
	}
	free(l);
}
