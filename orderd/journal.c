/* SPDX-License-Identifier: MIT */
/*
 * The write-ahead journal (core.h): 128-byte records with a CRC32C and a
 * sequence number, appended through a MAP_SHARED mapping of a file that
 * was preallocated (sparse) to its full size.
 *
 * Appending. The record's bytes 4..128 are copied into the mapping, the
 * CRC32C of them computed, and the CRC word (bytes 0..4) stored last with
 * a release store: a reader (replay in another process, kimpctl) that
 * sees the CRC sees the body; a process killed in the middle leaves a
 * record whose CRC word is still 0 (the slot was zero), which fails its
 * check. No system call: the page cache holds the record once the store
 * is done, so any crash of orderd loses nothing; a power loss may lose
 * what the sync policy did not push yet.
 *
 * The end. journal_open and journal_replay walk the records while each
 * is valid (known type, version 1, CRC right) and its seq continues the
 * previous one. The first record that is not valid ends the journal:
 *   - it and everything after it are zero: a clean end;
 *   - it is not zero but everything after it is: a torn tail (a record
 *     cut by a crash): open zeroes it and appends there, replay reports
 *     *torn;
 *   - something non-zero follows it: damage in the middle (lost pages
 *     after a power loss with sync none/interval, a foreign file, a disk
 *     error): replay stops there and reports *torn; open refuses
 *     (-EUCLEAN, with the record and offset) rather than overwrite what
 *     follows. The operator looks at it (kimpctl journal) and moves it
 *     aside.
 *
 * Files and rotation. DIR/NAME.journal is current; full ones are renamed
 * DIR/NAME.journal.N (N = the file's number, 1 for the first). A rotation
 * is crash-safe: the new file is written as DIR/NAME.journal.new (the
 * snapshot of live orders first, synced when the policy syncs), then the
 * current one is renamed .N, then .new renamed current. journal_open
 * finishes or undoes a rotation that a crash cut: a .new beside a current
 * file is an unfinished one (removed: the current file still holds
 * everything); a .new with no current file is a finished one that lacks
 * only its last rename (done). Sequence numbers continue across files:
 * an empty current file continues from the last record of the newest .N.
 *
 * One process at a time: the current file is flock'ed (a second orderd on
 * the same journal gets -EBUSY).
 *
 * Sync policies: NONE (no msync: the page cache), INTERVAL (a background
 * thread msyncs what was appended every interval: the only thread of
 * orderd, never on the order path; stopped around a rotation), ALWAYS
 * (journal_commit msyncs, MS_SYNC, what was appended since the last
 * commit: the daemon calls it before the bytes of an order leave).
 *
 * journal_open does not append anything: the daemon appends its JR_START.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "kimp/venue.h"
#include "core.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define JR_REC          ((size_t)sizeof(struct jr_rec))
#define JR_VERSION      1
#define JR_DEFAULT_SIZE ((size_t)256 << 20)
#define JR_MIN_RECS     2
#define JR_PATH_MAX     320
#define JR_DEFAULT_SYNC_NS 10000000ull

KIMP_STATIC_ASSERT(sizeof(((struct jr_rec *)0)->u) == 96, "the union is the record's tail");
KIMP_ASSERT_OFFSET(struct jr_rec, seq, 8);
KIMP_ASSERT_OFFSET(struct jr_rec, client_oid, 24);
KIMP_ASSERT_OFFSET(struct jr_rec, u, 32);

/* ---- CRC32C ------------------------------------------------------------------ */

#define CRC32C_POLY 0x82f63b78u  /* reflected Castagnoli */

static uint32_t crc_tab[8][256];
static bool crc_hw;

/* Slicing-by-8 tables and the CPU check, before main (and before any test). */
__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t jr_crc32c_sw(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = ~0u;

	while (n && ((uintptr_t)b & 7)) {
		c = (c >> 8) ^ crc_tab[0][(c ^ *b++) & 0xff];
		n--;
	}
	while (n >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		w ^= c;  /* little-endian: the CRC folds into the low word */
		c = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
		    crc_tab[5][(w >> 16) & 0xff] ^ crc_tab[4][(w >> 24) & 0xff] ^
		    crc_tab[3][(w >> 32) & 0xff] ^ crc_tab[2][(w >> 40) & 0xff] ^
		    crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
		b += 8;
		n -= 8;
	}
	while (n--)
		c = (c >> 8) ^ crc_tab[0][(c ^ *b++) & 0xff];
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw_run(const uint8_t *b, size_t n)
{
	uint64_t c = ~0u;

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		c = _mm_crc32_u64(c, w);
		b += 8;
		n -= 8;
	}
	while (n--)
		c = _mm_crc32_u8((uint32_t)c, *b++);
	return ~(uint32_t)c;
}
#endif

uint32_t jr_crc32c_hw(const void *p, size_t n)
{
#if defined(__x86_64__)
	if (crc_hw)
		return crc_hw_run(p, n);
#endif
	return jr_crc32c_sw(p, n);
}

bool jr_crc32c_hw_ok(void)
{
	return crc_hw;
}

uint32_t jr_crc32c(const void *p, size_t n)
{
#if defined(__x86_64__)
	if (kimp_likely(crc_hw))
		return crc_hw_run(p, n);
#endif
	return jr_crc32c_sw(p, n);
}

/* ---- records ------------------------------------------------------------------ */

static const char *const type_names[JR_TYPE_MAX] = {
	[JR_NONE] = "NONE",   [JR_START] = "START", [JR_ORDER] = "ORDER",
	[JR_SENT] = "SENT",   [JR_STATE] = "STATE", [JR_OID] = "OID",
	[JR_CANCEL] = "CANCEL", [JR_SNAP] = "SNAP", [JR_CLOCK] = "CLOCK",
};

const char *jr_type_name(unsigned t)
{
	return t < JR_TYPE_MAX ? type_names[t] : "?";
}

static uint32_t rec_crc(const struct jr_rec *r)
{
	return jr_crc32c((const uint8_t *)r + 4, JR_REC - 4);
}

bool jr_rec_ok(const struct jr_rec *r)
{
	return r->type > JR_NONE && r->type < JR_TYPE_MAX && r->version == JR_VERSION &&
	       r->crc == rec_crc(r);
}

static bool zero(const uint8_t *p, size_t n)
{
	for (; n && ((uintptr_t)p & 7); n--)
		if (*p++)
			return false;
	for (; n >= 8; n -= 8, p += 8)
		if (*(const uint64_t *)(const void *)p)
			return false;
	for (; n; n--)
		if (*p++)
			return false;
	return true;
}

void jr_snap_from_entry(struct jr_rec *r, const struct kimp_ord_entry *e)
{
	memset(r, 0, sizeof(*r));
	r->type = JR_SNAP;
	r->client_oid = e->client_oid;
	r->u.o.intent_id = e->intent_id;
	r->u.o.pair_id = e->pair_id;
	r->u.o.px = e->px;
	r->u.o.qty = e->qty;
	r->u.o.ring_seq = e->ring_seq;
	r->u.o.ingress_tsc = e->ingress_tsc;
	r->u.o.inst = e->inst;
	r->u.o.strategy = e->strategy;
	r->u.o.venue = e->venue;
	r->u.o.side = e->side;
	r->u.o.tif = e->tif;
	r->u.o.type = e->type;
	r->u.o.leg = e->leg;
	r->u.o.kind = e->kind;
	r->u.o.state = e->state;
	r->u.o.fee_asset = e->fee_asset;
	r->u.o.cum_qty = e->cum_qty;
	r->u.o.cum_quote = e->cum_quote;
	r->u.o.cum_fee = e->cum_fee;
	r->u.o.reject_code = e->reject_code;
	r->u.o.flags = e->flags;
}

/*
 * Walk the records of map[0..size). each (may be NULL) gets a copy of
 * every valid one. Fills the scan's end (offset of the first record that
 * is not valid, or size), torn (bytes other than zero at or after the
 * end) and damaged (bytes other than zero after the record at the end).
 * fd >= 0 lets the search for data after the end skip holes.
 */
struct jr_scan {
	size_t end;
	long count;
	uint64_t first_seq, last_seq;
	bool torn, damaged;
};

static void scan(const uint8_t *map, size_t size, int fd,
		 void (*each)(void *arg, const struct jr_rec *r), void *arg, struct jr_scan *s)
{
	size_t off = 0, rest;

	memset(s, 0, sizeof(*s));
	for (; off + JR_REC <= size; off += JR_REC) {
		struct jr_rec r;
		/* acquire: pairs with the release store of the CRC in append */
		r.crc = __atomic_load_n((const uint32_t *)(const void *)(map + off), __ATOMIC_ACQUIRE);
		memcpy((uint8_t *)&r + 4, map + off + 4, JR_REC - 4);
		if (!jr_rec_ok(&r) || !r.seq || (s->count && r.seq != s->last_seq + 1))
			break;
		if (!s->count)
			s->first_seq = r.seq;
		s->last_seq = r.seq;
		s->count++;
		if (each)
			each(arg, &r);
	}
	s->end = off;
	if (off >= size)
		return;
	rest = off + JR_REC <= size ? off + JR_REC : size;
	if (fd >= 0 && rest < size) {
		/* skip a hole (never written: zero) without faulting it in */
		off_t d = lseek(fd, (off_t)rest, SEEK_DATA);

		if (d < 0 && errno == ENXIO)
			rest = size;
		else if (d > (off_t)rest)
			rest = (size_t)d < size ? (size_t)d : size;
	}
	s->damaged = !zero(map + rest, size - rest);
	s->torn = s->damaged || !zero(map + s->end, (off + JR_REC <= size ? JR_REC : size - off));
}

/* ---- paths and errors ----------------------------------------------------------- */

static void say(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, cap, fmt, ap);
	va_end(ap);
}

static int path_of(char *out, const struct journal *j, const char *suffix)
{
	int n = snprintf(out, JR_PATH_MAX, "%s/%s.journal%s", j->dir, j->name, suffix);

	return n < 0 || n >= JR_PATH_MAX ? -ENAMETOOLONG : 0;
}

static int path_rot(char *out, const struct journal *j, uint64_t n)
{
	char sfx[32];

	snprintf(sfx, sizeof(sfx), ".%" PRIu64, n);
	return path_of(out, j, sfx);
}

static bool name_ok(const char *s)
{
	if (!s[0] || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* The highest N of the files NAME.journal.N in j->dir (0: none). */
static int newest_rotated(const struct journal *j, uint64_t *out, char *msg, size_t cap)
{
	char stem[64];
	size_t sl;
	struct dirent *d;
	DIR *dir = opendir(j->dir);

	*out = 0;
	if (!dir) {
		int e = -errno;

		say(msg, cap, "journal: %s: %s", j->dir, strerror(-e));
		return e;
	}
	snprintf(stem, sizeof(stem), "%s.journal.", j->name);
	sl = strlen(stem);
	while ((d = readdir(dir))) {
		const char *p = d->d_name + sl;
		char *end;
		unsigned long long n;

		if (strncmp(d->d_name, stem, sl) || *p < '0' || *p > '9')
			continue;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (!*end && !errno && n > *out)
			*out = n;
	}
	closedir(dir);
	return 0;
}

static void last_seq_cb(void *arg, const struct jr_rec *r)
{
	*(uint64_t *)arg = r->seq;
}

/* ---- the interval syncer and private state --------------------------------------- */

struct jr_priv {
	size_t commit_off;              /* ALWAYS: synced up to here */
	/* INTERVAL */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running, stop;
	size_t synced_off;              /* the thread's own */
	struct journal *j;
};

static long page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? p : 4096;
}

/* msync map[from..to) (from rounded down to a page). 0 or -errno. */
static int sync_range(uint8_t *map, size_t from, size_t to)
{
	size_t start = from & ~((size_t)page_size() - 1);

	if (to <= from)
		return 0;
	return msync(map + start, to - start, MS_SYNC) ? -errno : 0;
}

static void *syncer_main(void *arg)
{
	struct jr_priv *p = arg;
	struct journal *j = p->j;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts;
		size_t off;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(j->sync_interval_ns / 1000000000ull);
		ts.tv_nsec += (long)(j->sync_interval_ns % 1000000000ull);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		/* acquire: pairs with the release store of off in append */
		off = __atomic_load_n(&j->off, __ATOMIC_ACQUIRE);
		if (off > p->synced_off && !sync_range(j->map, p->synced_off, off)) {
			p->synced_off = off;
			__atomic_fetch_add(&j->syncs, 1, __ATOMIC_RELAXED);
		}
	}
	/* what was appended before the stop goes down too */
	{
		size_t off = __atomic_load_n(&j->off, __ATOMIC_ACQUIRE);

		if (off > p->synced_off && !sync_range(j->map, p->synced_off, off)) {
			p->synced_off = off;
			__atomic_fetch_add(&j->syncs, 1, __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int syncer_start(struct journal *j)
{
	struct jr_priv *p = j->syncer;
	pthread_condattr_t ca;
	int e;

	if (j->sync != JR_SYNC_INTERVAL || p->running)
		return 0;
	p->stop = false;
	p->synced_off = j->off;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	e = pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (e)
		return -e;
	pthread_mutex_init(&p->mu, NULL);
	e = pthread_create(&p->thread, NULL, syncer_main, p);
	if (e) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		return -e;
	}
	p->running = true;
	return 0;
}

static void syncer_stop(struct journal *j)
{
	struct jr_priv *p = j->syncer;

	if (!p || !p->running)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	p->running = false;
}

/* ---- open / close ------------------------------------------------------------------ */

/* Open (creating when 'create') and lock path; map it (size: its own, or
 * 'want' for a new empty file). */
static int map_file(const char *path, size_t want, bool trunc, int *fdp, uint8_t **mapp,
		    size_t *sizep, char *msg, size_t cap)
{
	struct stat st;
	void *m;
	int fd, e;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0600);
	if (fd < 0) {
		e = -errno;
		say(msg, cap, "journal: %s: %s", path, strerror(-e));
		return e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		say(msg, cap, "journal: %s: %s", path,
		    e == -EBUSY ? "in use by another process (locked)" : strerror(-e));
		goto close_fd;
	}
	if (fstat(fd, &st)) {
		e = -errno;
		say(msg, cap, "journal: %s: %s", path, strerror(-e));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		e = -EINVAL;
		say(msg, cap, "journal: %s: not a regular file", path);
		goto close_fd;
	}
	if (st.st_size == 0) {
		if (ftruncate(fd, (off_t)want)) {
			e = -errno;
			say(msg, cap, "journal: %s: preallocating %zu bytes: %s", path, want,
			    strerror(-e));
			goto close_fd;
		}
		st.st_size = (off_t)want;
	}
	if ((size_t)st.st_size % JR_REC || (size_t)st.st_size < JR_MIN_RECS * JR_REC) {
		e = -EINVAL;
		say(msg, cap, "journal: %s: not a journal (its size %lld is not a whole number "
		    "of %zu-byte records)", path, (long long)st.st_size, JR_REC);
		goto close_fd;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		e = -errno;
		say(msg, cap, "journal: %s: mmap: %s", path, strerror(-e));
		goto close_fd;
	}
	*fdp = fd;
	*mapp = m;
	*sizep = (size_t)st.st_size;
	return 0;
close_fd:
	close(fd);
	return e;
}

/* Finish or undo a rotation a crash cut (see the top of the file). */
static int fix_rotation(const struct journal *j, char *msg, size_t cap)
{
	char cur[JR_PATH_MAX], tmp[JR_PATH_MAX];
	struct stat st;

	if (path_of(cur, j, "") || path_of(tmp, j, ".new"))
		return -ENAMETOOLONG;
	if (lstat(tmp, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!lstat(cur, &st)) {
		if (unlink(tmp)) {
			int e = -errno;

			say(msg, cap, "journal: %s: removing an unfinished rotation: %s", tmp,
			    strerror(-e));
			return e;
		}
		return 0;
	}
	if (rename(tmp, cur)) {
		int e = -errno;

		say(msg, cap, "journal: %s -> %s: finishing a rotation: %s", tmp, cur, strerror(-e));
		return e;
	}
	return 0;
}

int journal_open(struct journal *j, const struct journal_cfg *cfg, char *msg, size_t cap)
{
	char cur[JR_PATH_MAX], rot[JR_PATH_MAX];
	struct jr_scan s;
	struct stat st;
	uint64_t newest;
	size_t want;
	int e;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if (!cfg || !cfg->dir || !cfg->dir[0] || !cfg->name || !name_ok(cfg->name)) {
		say(msg, cap, "journal: a directory and a name of [A-Za-z0-9._-] (not "
		    "starting with '.') are needed (name '%s')", cfg && cfg->name ? cfg->name : "");
		return -EINVAL;
	}
	if (strlen(cfg->dir) >= sizeof(j->dir) || strlen(cfg->name) >= sizeof(j->name)) {
		say(msg, cap, "journal: %s/%s: directory (%zu) or name (%zu) too long", cfg->dir,
		    cfg->name, sizeof(j->dir) - 1, sizeof(j->name) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(j->dir, cfg->dir);
	strcpy(j->name, cfg->name);
	want = cfg->file_size ? cfg->file_size / JR_REC * JR_REC : JR_DEFAULT_SIZE;
	if (want < JR_MIN_RECS * JR_REC) {
		say(msg, cap, "journal: %s: file size %zu is below %zu bytes", j->dir,
		    cfg->file_size, JR_MIN_RECS * JR_REC);
		return -EINVAL;
	}
	if (cfg->sync > JR_SYNC_ALWAYS) {
		say(msg, cap, "journal: %s: unknown sync policy %d", j->dir, (int)cfg->sync);
		return -EINVAL;
	}
	j->sync = cfg->sync;
	j->sync_interval_ns = cfg->sync_interval_ns ? cfg->sync_interval_ns : JR_DEFAULT_SYNC_NS;

	if (mkdir(j->dir, 0700) && errno != EEXIST) {
		e = -errno;
		say(msg, cap, "journal: %s: %s", j->dir, strerror(-e));
		return e;
	}
	if (stat(j->dir, &st)) {
		e = -errno;
		say(msg, cap, "journal: %s: %s", j->dir, strerror(-e));
		return e;
	}
	if (!S_ISDIR(st.st_mode)) {
		say(msg, cap, "journal: %s: not a directory", j->dir);
		return -ENOTDIR;
	}
	if (path_of(cur, j, ".new") || path_of(cur, j, "")) {
		say(msg, cap, "journal: %s/%s: path too long", j->dir, j->name);
		return -ENAMETOOLONG;
	}
	e = fix_rotation(j, msg, cap);
	if (e)
		return e;
	e = newest_rotated(j, &newest, msg, cap);
	if (e)
		return e;
	j->file_no = newest + 1;

	j->syncer = calloc(1, sizeof(struct jr_priv));
	if (!j->syncer) {
		say(msg, cap, "journal: %s: out of memory", cur);
		return -ENOMEM;
	}
	((struct jr_priv *)j->syncer)->j = j;
	e = map_file(cur, want, false, &j->fd, &j->map, &j->size, msg, cap);
	if (e)
		goto free_priv;

	scan(j->map, j->size, j->fd, NULL, NULL, &s);
	if (s.damaged) {
		e = -EUCLEAN;
		say(msg, cap, "journal: %s: damaged at record %zu (offset %zu): data follows the "
		    "first bad record; move the file aside and inspect it (kimpctl journal)",
		    cur, s.end / JR_REC, s.end);
		goto unmap;
	}
	if (s.torn)  /* a record cut by a crash: the next append goes there */
		memset(j->map + s.end, 0, JR_REC);
	j->off = s.end;
	j->seq = s.last_seq;
	if (!s.count && newest) {
		uint64_t last = 0;
		long n;

		if (path_rot(rot, j, newest)) {
			e = -ENAMETOOLONG;
			goto unmap;
		}
		n = journal_replay(rot, last_seq_cb, &last, NULL);
		if (n < 0) {
			e = (int)n;
			say(msg, cap, "journal: %s: reading the last sequence number: %s", rot,
			    strerror(-e));
			goto unmap;
		}
		j->seq = last;
	}
	((struct jr_priv *)j->syncer)->commit_off = j->off;
	e = syncer_start(j);
	if (e) {
		say(msg, cap, "journal: %s: starting the sync thread: %s", cur, strerror(-e));
		goto unmap;
	}
	return 0;
unmap:
	munmap(j->map, j->size);
	close(j->fd);
free_priv:
	free(j->syncer);
	j->syncer = NULL;
	j->map = NULL;
	j->fd = -1;
	j->size = j->off = 0;
	return e;
}

void journal_close(struct journal *j)
{
	if (!j->map)
		return;
	syncer_stop(j);
	if (j->sync != JR_SYNC_NONE && !sync_range(j->map, 0, j->off))
		j->syncs++;
	munmap(j->map, j->size);
	close(j->fd);
	free(j->syncer);
	j->syncer = NULL;
	j->map = NULL;
	j->fd = -1;
	j->size = j->off = 0;  /* a later append finds it full */
}

/* ---- the hot path ------------------------------------------------------------------ */

uint64_t journal_append(struct journal *j, struct jr_rec *r)
{
	struct timespec ts;
	uint8_t *dst;

	if (kimp_unlikely(j->off + JR_REC > j->size))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);  /* vDSO: no system call */
	r->version = JR_VERSION;
	r->seq = j->seq + 1;
	r->real_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	r->crc = rec_crc(r);
	dst = j->map + j->off;
	memcpy(dst + 4, (const uint8_t *)r + 4, JR_REC - 4);
	/* release: the body above is visible before the CRC that validates it
	 * (pairs with the acquire load in scan) */
	__atomic_store_n((uint32_t *)(void *)dst, r->crc, __ATOMIC_RELEASE);
	j->seq++;
	j->records++;
	/* release: pairs with the acquire load in the syncer thread */
	__atomic_store_n(&j->off, j->off + JR_REC, __ATOMIC_RELEASE);
	return j->seq;
}

size_t journal_prefault(struct journal *j, size_t ahead)
{
	size_t from, to, n = 0;

	if (!j->map)
		return 0;
	from = j->off & ~(size_t)4095;
	if (j->touched > from)
		from = j->touched;
	to = (j->off + ahead + 4095) & ~(size_t)4095;
	if (to > j->size)
		to = j->size;
	for (size_t x = from; x < to; x += 4096) {
		volatile uint8_t *b = j->map + x;

		/* the only writer rewrites a byte with what it holds (zero past
		 * the end): the page is faulted in writable, nothing changes */
		*b = *b;
		n += 4096;
	}
	if (to > j->touched)
		j->touched = to;
	return n;
}

int journal_commit(struct journal *j)
{
	struct jr_priv *p = j->syncer;
	int e;

	if (j->sync != JR_SYNC_ALWAYS || !p || j->off <= p->commit_off)
		return 0;
	e = sync_range(j->map, p->commit_off, j->off);
	if (e)
		return e;
	p->commit_off = j->off;
	j->syncs++;
	return 0;
}

/* ---- rotation ------------------------------------------------------------------------ */

int journal_rotate(struct journal *j, void (*snap)(void *arg, struct journal *j), void *arg)
{
	char cur[JR_PATH_MAX], tmp[JR_PATH_MAX], rot[JR_PATH_MAX];
	struct jr_priv *p = j->syncer;
	int old_fd = j->fd, e;
	uint8_t *old_map = j->map;
	size_t old_size = j->size, old_off = j->off;
	uint64_t old_seq = j->seq, old_records = j->records, old_no = j->file_no;
	struct stat st;

	if (!j->map)
		return -EBADF;
	if (path_of(cur, j, "") || path_of(tmp, j, ".new") || path_rot(rot, j, old_no))
		return -ENAMETOOLONG;
	if (!lstat(rot, &st))
		return -EEXIST;
	syncer_stop(j);
	if (j->sync != JR_SYNC_NONE && !sync_range(old_map, 0, old_off))
		j->syncs++;

	e = map_file(tmp, old_size, true, &j->fd, &j->map, &j->size, NULL, 0);
	if (e) {
		unlink(tmp);  /* it may have been made before it failed */
		goto restart;
	}
	j->off = 0;
	j->touched = 0;
	j->file_no = old_no + 1;
	if (snap)
		snap(arg, j);
	if (j->off + JR_REC > j->size) {
		e = -ENOSPC;  /* the snapshot may not have fit */
		goto undo;
	}
	if (j->sync != JR_SYNC_NONE && (e = sync_range(j->map, 0, j->off)))
		goto undo;
	if (rename(cur, rot)) {
		e = -errno;
		goto undo;
	}
	if (rename(tmp, cur)) {
		/* journal_open finishes this rotation (a .new and no current
		 * file); we go on writing the new file */
		e = -errno;
		goto done;
	}
	e = 0;
	if (j->sync != JR_SYNC_NONE) {
		int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
done:
	munmap(old_map, old_size);
	close(old_fd);
	j->rotations++;
	p->commit_off = j->off;
	goto restart;
undo:
	munmap(j->map, j->size);
	close(j->fd);
	unlink(tmp);
	j->fd = old_fd;
	j->map = old_map;
	j->size = old_size;
	j->off = old_off;
	j->touched = 0;
	j->seq = old_seq;
	j->records = old_records;
	j->file_no = old_no;
restart:
	{
		int e2 = syncer_start(j);

		if (!e)
			e = e2;
	}
	return e;
}

/* ---- replay and print ------------------------------------------------------------------ */

/* Map path read-only: 0 with *mapp (NULL for an empty file) and *sizep. */
static int map_ro(const char *path, int *fdp, const uint8_t **mapp, size_t *sizep)
{
	struct stat st;
	void *m = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto close_fd;
	}
	if ((size_t)st.st_size % JR_REC) {
		e = -EINVAL;
		goto close_fd;
	}
	if (st.st_size) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			e = -errno;
			goto close_fd;
		}
	}
	*fdp = fd;
	*mapp = m;
	*sizep = (size_t)st.st_size;
	return 0;
close_fd:
	close(fd);
	return e;
}

static long replay_scan(const char *path, void (*each)(void *arg, const struct jr_rec *r),
			void *arg, struct jr_scan *s)
{
	const uint8_t *map = NULL;
	size_t size = 0;
	int fd = -1, e = map_ro(path, &fd, &map, &size);

	if (e)
		return e;
	scan(map, size, fd, each, arg, s);
	if (map)
		munmap((void *)map, size);
	close(fd);
	return s->count;
}

long journal_replay(const char *path, void (*each)(void *arg, const struct jr_rec *r),
		    void *arg, bool *torn)
{
	struct jr_scan s;
	long n = replay_scan(path, each, arg, &s);

	if (n >= 0 && torn)
		*torn = s.torn;
	return n;
}

static const char *venue_str(char *buf, size_t len, unsigned v)
{
	const struct venue_md *md = v && v < KIMP_VENUE_MAX ? venue_md_get((enum kimp_venue)v) : NULL;

	if (md && md->name)
		return md->name;
	snprintf(buf, len, "%u", v);
	return buf;
}

static const char *pick(const char *const *names, size_t n, unsigned v, char *buf, size_t len)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

static const char *const side_names[] = { [KIMP_SIDE_BUY] = "BUY", [KIMP_SIDE_SELL] = "SELL" };
static const char *const tif_names[] = {
	[KIMP_TIF_GTC] = "GTC", [KIMP_TIF_IOC] = "IOC", [KIMP_TIF_FOK] = "FOK",
	[KIMP_TIF_POST_ONLY] = "POST_ONLY",
};
static const char *const otype_names[] = {
	[VO_LIMIT] = "LIMIT", [VO_MARKET] = "MARKET", [VO_POST_ONLY] = "POST_ONLY",
};
static const char *const kind_names[] = {
	[KIMP_INTENT_ENTRY] = "ENTRY", [KIMP_INTENT_RETRY] = "RETRY",
	[KIMP_INTENT_UNWIND] = "UNWIND",
};
static const char *const chan_names[] = {
	[VO_CH_REST] = "REST", [VO_CH_WSAPI] = "WSAPI", [VO_CH_PRIV] = "PRIV",
};
static const char *const fee_names[] = { "QUOTE", "BASE" };

#define NAME(tab, v) pick(tab, KIMP_ARRAY_SIZE(tab), (v), nb[nbi++ & 7], sizeof(nb[0]))

/* One line of key=value (text) or one JSON object. */
struct pr {
	FILE *f;
	bool json;
	bool first;
};

static void key(struct pr *p, const char *k)
{
	if (p->json)
		fprintf(p->f, "%s\"%s\":", p->first ? "" : ",", k);
	else
		fprintf(p->f, "%s%s=", p->first ? "" : " ", k);
	p->first = false;
}

/* 64-bit values are strings in JSON (exact past 2^53). */
static void pu64(struct pr *p, const char *k, uint64_t v)
{
	key(p, k);
	fprintf(p->f, p->json ? "\"%" PRIu64 "\"" : "%" PRIu64, v);
}

static void pi64(struct pr *p, const char *k, int64_t v)
{
	key(p, k);
	fprintf(p->f, p->json ? "\"%" PRId64 "\"" : "%" PRId64, v);
}

static void pint(struct pr *p, const char *k, long long v)
{
	key(p, k);
	fprintf(p->f, "%lld", v);
}

static void pstr(struct pr *p, const char *k, const char *s)
{
	key(p, k);
	fprintf(p->f, p->json ? "\"%s\"" : "%s", s);
}

/* Bytes from a file: JSON-escaped, or control characters and spaces as '?'. */
static void pbytes(struct pr *p, const char *k, const char *s, size_t n)
{
	key(p, k);
	if (p->json)
		fputc('"', p->f);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!p->json)
			fputc(c > 0x20 && c < 0x7f ? c : '?', p->f);
		else if (c == '"' || c == '\\')
			fprintf(p->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(p->f, "\\u%04x", c);
		else
			fputc(c, p->f);
	}
	if (p->json)
		fputc('"', p->f);
}

static void ptime(struct pr *p, const char *k, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	char buf[64];
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	if (!gmtime_r(&sec, &tm)) {
		pi64(p, k, ns);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	key(p, k);
	fprintf(p->f, p->json ? "\"%s.%09ldZ\"" : "%s.%09ldZ", buf, frac);
}

static void print_rec(void *arg, const struct jr_rec *r)
{
	struct pr *p = arg;
	char nb[8][24];
	unsigned nbi = 0;

	p->first = true;
	if (p->json)
		fputc('{', p->f);
	pu64(p, "seq", r->seq);
	pstr(p, "type", jr_type_name(r->type));
	ptime(p, "time", r->real_ns);
	pi64(p, "real_ns", r->real_ns);
	pu64(p, "coid", r->client_oid);
	switch (r->type) {
	case JR_ORDER:
	case JR_SNAP:
		pu64(p, "intent_id", r->u.o.intent_id);
		pu64(p, "pair_id", r->u.o.pair_id);
		pstr(p, "venue", venue_str(nb[nbi++ & 7], sizeof(nb[0]), r->u.o.venue));
		pint(p, "inst", r->u.o.inst);
		pstr(p, "side", NAME(side_names, r->u.o.side));
		pstr(p, "tif", NAME(tif_names, r->u.o.tif));
		pstr(p, "otype", NAME(otype_names, r->u.o.type));
		pint(p, "leg", r->u.o.leg);
		pstr(p, "kind", NAME(kind_names, r->u.o.kind));
		pi64(p, "px", r->u.o.px);
		pi64(p, "qty", r->u.o.qty);
		pu64(p, "ring_seq", r->u.o.ring_seq);
		pu64(p, "ingress_tsc", r->u.o.ingress_tsc);
		pint(p, "strategy", r->u.o.strategy);
		pstr(p, "state", kimp_ord_state_name(r->u.o.state));
		pi64(p, "cum_qty", r->u.o.cum_qty);
		pi64(p, "cum_quote", r->u.o.cum_quote);
		pi64(p, "cum_fee", r->u.o.cum_fee);
		pstr(p, "fee_asset", NAME(fee_names, r->u.o.fee_asset));
		pint(p, "reject_code", r->u.o.reject_code);
		if (r->u.o.reject_code > 0 && r->u.o.reject_code < KIMP_OREJ_MAX)
			pstr(p, "reject", kimp_ord_rej_name((unsigned)r->u.o.reject_code));
		pint(p, "flags", r->u.o.flags);
		break;
	case JR_SENT:
	case JR_CANCEL:
		pstr(p, "venue", venue_str(nb[nbi++ & 7], sizeof(nb[0]), r->u.s.venue));
		pstr(p, "chan", NAME(chan_names, r->u.s.chan));
		pu64(p, "req_id", r->u.s.req_id);
		ptime(p, "sent", r->u.s.sent_real_ns);
		pi64(p, "sent_real_ns", r->u.s.sent_real_ns);
		break;
	case JR_STATE:
		pstr(p, "venue", venue_str(nb[nbi++ & 7], sizeof(nb[0]), r->u.st.venue));
		pstr(p, "state", kimp_ord_state_name(r->u.st.state));
		pstr(p, "prev_state", kimp_ord_state_name(r->u.st.prev_state));
		pstr(p, "event", fsm_event_name(r->u.st.event));
		pstr(p, "side", NAME(side_names, r->u.st.side));
		pint(p, "leg", r->u.st.leg);
		pstr(p, "kind", NAME(kind_names, r->u.st.kind));
		pi64(p, "last_px", r->u.st.last_px);
		pi64(p, "last_qty", r->u.st.last_qty);
		pi64(p, "last_fee", r->u.st.last_fee);
		pi64(p, "cum_qty", r->u.st.cum_qty);
		pi64(p, "cum_quote", r->u.st.cum_quote);
		pi64(p, "cum_fee", r->u.st.cum_fee);
		pi64(p, "leaves_qty", r->u.st.leaves_qty);
		pstr(p, "fee_asset", NAME(fee_names, r->u.st.fee_asset));
		pu64(p, "exec_id", r->u.st.exec_id);
		pint(p, "reject_code", r->u.st.reject_code);
		if (r->u.st.reject_code > 0 && r->u.st.reject_code < KIMP_OREJ_MAX)
			pstr(p, "reject", kimp_ord_rej_name((unsigned)r->u.st.reject_code));
		pint(p, "flags", r->u.st.flags);
		break;
	case JR_OID:
		pstr(p, "venue", venue_str(nb[nbi++ & 7], sizeof(nb[0]), r->u.id.venue));
		pbytes(p, "oid", r->u.id.oid,
		       r->u.id.len < KIMP_ORD_OID_MAX ? r->u.id.len : KIMP_ORD_OID_MAX);
		break;
	case JR_START:
	case JR_CLOCK:
		pu64(p, "pid", r->u.run.pid);
		pu64(p, "file_no", r->u.run.file_no);
		pi64(p, "offset_ns", r->u.run.offset_ns);
		pstr(p, "venue", venue_str(nb[nbi++ & 7], sizeof(nb[0]), r->u.run.venue));
		break;
	default:
		break;
	}
	fputs(p->json ? "}\n" : "\n", p->f);
}

long journal_print(const char *path, FILE *out, bool json)
{
	struct pr p = { .f = out, .json = json };
	struct jr_scan s;
	long n = replay_scan(path, print_rec, &p, &s);

	if (n < 0)
		return n;
	if (!n && s.torn)
		return -EBADMSG;  /* garbage from the first record on: not a journal */
	if (s.torn && json)
		fprintf(out, "{\"torn\":true,\"offset\":%zu,\"record\":%zu,\"data_after\":%s}\n",
			s.end, s.end / JR_REC, s.damaged ? "true" : "false");
	else if (s.torn)
		fprintf(out, "# torn: replay stops at record %zu (offset %zu)%s\n", s.end / JR_REC,
			s.end, s.damaged ? "; data follows it (damage)" : "");
	return n;
}
