/* SPDX-License-Identifier: MIT */
/*
 * The recorder (recorder.h): a single-producer single-consumer byte ring
 * from the hot loop to a writer thread that formats captures, batches the
 * writes and rotates the files.
 *
 * The ring holds records, each a struct rec_hdr and the raw payload, padded
 * to 8 bytes, always contiguous: a record that does not fit before the end
 * of the ring is put at its start, after a skip record (len REC_SKIP) that
 * tells the writer to go back there. max_frame is at most half the ring, so
 * any record fits an empty ring. head and tail count bytes and never wrap.
 *
 * The doorbell (the idea of include/kimp/wait.h, made cheaper for the
 * producer): the writer reads seq, exchanges sleeping to 1, re-checks the
 * ring and sleeps on seq with FUTEX_WAIT for at most RECORDER_FLUSH_NS. A
 * put stores head and, only when a relaxed load finds sleeping set and the
 * ring is at least an eighth full, exchanges sleeping to 0, bumps seq and
 * wakes the writer. So the hot loop makes no system call while the ring has
 * room to spare (a quiet feed's frames wait for the writer's next turn, at
 * most RECORDER_FLUSH_NS, and go out in one batch), and a busy one costs a
 * memcpy, a few stores and a load. Without a fence between the store of head
 * and the load of sleeping, the load can pass the store, so a wake can be
 * missed when a put lands in the few nanoseconds the writer takes to
 * announce its sleep: the bounded sleep covers that too. close and resume
 * always ring.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "kimp/capture.h"
#include "kimp/compiler.h"
#include "recorder.h"

#define REC_SKIP        UINT32_MAX
#define REC_ALIGN       8u
#define REC_SIZE(len)   ((sizeof(struct rec_hdr) + (uint64_t)(len) + REC_ALIGN - 1) & \
			 ~(uint64_t)(REC_ALIGN - 1))
#define REC_FRAME_MAX   (1ull << 31)            /* keeps len clear of REC_SKIP */
#define WRITER_BUF_MIN  (256u << 10)            /* bytes formatted before a write */
#define NAME_MAX_EXTRA  16                      /* ".N" on a rotated file's name */

/* One frame in the ring; its payload follows. */
struct rec_hdr {
	uint32_t len;                   /* payload bytes, or REC_SKIP */
	uint8_t opcode;
	uint8_t vlen;                   /* venue bytes (no NUL in the ring) */
	uint16_t pad;
	uint64_t t_ns;
	char venue[KIMP_CAP_VENUE_MAX];
};
KIMP_ASSERT_SIZE(struct rec_hdr, 32);
KIMP_STATIC_ASSERT(sizeof(struct rec_hdr) % REC_ALIGN == 0, "records stay aligned");
KIMP_STATIC_ASSERT(RECORDER_RING_MIN % REC_ALIGN == 0 &&
		   RECORDER_RING_MIN / 2 > sizeof(struct rec_hdr), "the smallest ring holds a frame");

struct recorder {
	/* The producer's line: written by the hot loop only. */
	struct {
		_Atomic uint64_t head;  /* bytes published */
		uint64_t tail_cache;    /* the tail last seen */
		_Atomic uint64_t frames, bytes, dropped;
		/* constant after open */
		uint8_t *ring;
		uint64_t cap, mask, max_frame;
		uint64_t wake_bytes;    /* wake a sleeping writer from this many queued */
	} kimp_aligned(KIMP_FALSE_SHARING) p;
	/* The writer's line. */
	struct {
		_Atomic uint64_t tail;  /* bytes consumed */
		_Atomic uint64_t written, written_bytes, lost, rejected, rotations, write_errors;
	} kimp_aligned(KIMP_FALSE_SHARING) c;
	/* The doorbell and the state flags: written rarely. */
	struct {
		_Atomic uint32_t seq;           /* futex word: bumped on every wake */
		_Atomic uint32_t sleeping;      /* the writer said it is about to sleep */
		_Atomic uint32_t stopped;       /* a write error: puts are refused */
		_Atomic uint32_t failed;        /* errmsg is set */
		_Atomic uint32_t paused;
		_Atomic uint32_t closing;
	} kimp_aligned(KIMP_FALSE_SHARING) s;
	/* The writer thread's own state (set up at open, read after join). */
	struct {
		int fd;                 /* the current file, -1 after a failed rotation */
		uint64_t file_bytes;    /* its size */
		char *buf;              /* lines formatted, not yet written */
		size_t cap, len;
		uint64_t frames;        /* lines in buf */
		int err;                /* the first write error */
	} w;
	/* Configuration. */
	uint64_t max_bytes;
	uint32_t keep;
	void (*on_error)(void *ctx, const char *msg);
	void *ctx;
	pthread_t thread;
	char path[PATH_MAX];
	char errmsg[PATH_MAX + 256];
};

static void rec_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rec_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A counter with one writer: a load and a store, no read-modify-write. */
static inline void counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void bell_ring(struct recorder *r)
{
	/* release: a writer that sees the new seq sees what was stored before */
	atomic_fetch_add_explicit(&r->s.seq, 1, memory_order_release);
	syscall(SYS_futex, &r->s.seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * The writer said it sleeps and the ring, head bytes published, looked full
 * enough with the tail last seen: check with the writer's tail (stable while
 * it sleeps) and wake it (once, whoever gets the exchange).
 */
static void bell_wake(struct recorder *r, uint64_t head) __attribute__((noinline, cold));
static void bell_wake(struct recorder *r, uint64_t head)
{
	/* acquire: pairs with the writer's release of tail in drain */
	r->p.tail_cache = atomic_load_explicit(&r->c.tail, memory_order_acquire);
	if (head - r->p.tail_cache < r->p.wake_bytes)
		return;
	/* acq_rel: pairs with the writer's exchange in writer_sleep */
	if (atomic_exchange_explicit(&r->s.sleeping, 0, memory_order_acq_rel))
		bell_ring(r);
}

/* ---- the producer ------------------------------------------------------------ */

int recorder_put(struct recorder *r, uint64_t t_ns, const char *venue, unsigned opcode,
		 const void *payload, size_t len)
{
	uint64_t head = atomic_load_explicit(&r->p.head, memory_order_relaxed);
	uint64_t need, pos, to_end, total;
	size_t vlen = strnlen(venue, KIMP_CAP_VENUE_MAX);
	struct rec_hdr *h;
	int ret;

	if (kimp_unlikely(!vlen || vlen >= KIMP_CAP_VENUE_MAX ||
			  (opcode != KIMP_CAP_OP_TEXT && opcode != KIMP_CAP_OP_BINARY))) {
		ret = -EINVAL;
		goto drop;
	}
	if (kimp_unlikely(len > r->p.max_frame)) {
		ret = -EMSGSIZE;
		goto drop;
	}
	if (kimp_unlikely(atomic_load_explicit(&r->s.stopped, memory_order_relaxed))) {
		ret = -EIO;
		goto drop;
	}
	need = REC_SIZE(len);
	pos = head & r->p.mask;
	to_end = r->p.cap - pos;
	total = need <= to_end ? need : to_end + need;
	if (head + total - r->p.tail_cache > r->p.cap) {
		/* acquire: pairs with the writer's release of tail in drain, so
		 * it is done reading the bytes we are about to reuse */
		r->p.tail_cache = atomic_load_explicit(&r->c.tail, memory_order_acquire);
		if (head + total - r->p.tail_cache > r->p.cap) {
			ret = -ENOBUFS;
			goto drop;
		}
	}
	if (need > to_end) {
		/* to_end >= 8: pos and cap are multiples of 8 */
		h = (struct rec_hdr *)(void *)(r->p.ring + pos);
		h->len = REC_SKIP;
		pos = 0;
	}
	h = (struct rec_hdr *)(void *)(r->p.ring + pos);
	h->len = (uint32_t)len;
	h->opcode = (uint8_t)opcode;
	h->vlen = (uint8_t)vlen;
	h->t_ns = t_ns;
	memcpy(h->venue, venue, vlen);
	if (len)
		memcpy(h + 1, payload, len);
	head += total;
	/* release: pairs with the writer's acquire of head in drain */
	atomic_store_explicit(&r->p.head, head, memory_order_release);
	counter_add(&r->p.frames, 1);
	counter_add(&r->p.bytes, len);
	if (atomic_load_explicit(&r->s.sleeping, memory_order_relaxed) &&
	    head - r->p.tail_cache >= r->p.wake_bytes)
		bell_wake(r, head);
	return 0;

drop:
	counter_add(&r->p.dropped, 1);
	return ret;
}

void recorder_stats(const struct recorder *r, struct recorder_stats *st)
{
	/* tail first: it never passes head, so the difference is never negative */
	uint64_t tail = atomic_load_explicit(&r->c.tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->p.head, memory_order_relaxed);

	st->frames = atomic_load_explicit(&r->p.frames, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&r->p.bytes, memory_order_relaxed);
	st->dropped = atomic_load_explicit(&r->p.dropped, memory_order_relaxed);
	st->written = atomic_load_explicit(&r->c.written, memory_order_relaxed);
	st->written_bytes = atomic_load_explicit(&r->c.written_bytes, memory_order_relaxed);
	st->lost = atomic_load_explicit(&r->c.lost, memory_order_relaxed);
	st->rejected = atomic_load_explicit(&r->c.rejected, memory_order_relaxed);
	st->rotations = atomic_load_explicit(&r->c.rotations, memory_order_relaxed);
	st->write_errors = atomic_load_explicit(&r->c.write_errors, memory_order_relaxed);
	st->queued = head - tail;
}

const char *recorder_error(const struct recorder *r)
{
	/* acquire: pairs with the release in writer_fail, after errmsg was written */
	return atomic_load_explicit(&r->s.failed, memory_order_acquire) ? r->errmsg : NULL;
}

/* ---- the writer ---------------------------------------------------------------- */

static void writer_fail(struct recorder *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The first write error stops the recorder; later ones are not counted. */
static void writer_fail(struct recorder *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->w.err)
		return;
	r->w.err = err;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	counter_add(&r->c.write_errors, 1);
	atomic_store_explicit(&r->s.stopped, 1, memory_order_relaxed);
	/* release: pairs with the acquire in recorder_error */
	atomic_store_explicit(&r->s.failed, 1, memory_order_release);
	if (r->on_error)
		r->on_error(r->ctx, r->errmsg);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the lines in the buffer. 0, or the error (the lines are lost). */
static int writer_flush(struct recorder *r)
{
	int ret = 0;

	if (!r->w.len)
		return 0;
	if (r->w.err)
		ret = r->w.err;
	else if ((ret = write_all(r->w.fd, r->w.buf, r->w.len)))
		writer_fail(r, ret, "%s: cannot write: %s", r->path, strerror(-ret));
	if (ret) {
		counter_add(&r->c.lost, r->w.frames);
	} else {
		r->w.file_bytes += r->w.len;
		counter_add(&r->c.written, r->w.frames);
		counter_add(&r->c.written_bytes, r->w.len);
	}
	r->w.len = 0;
	r->w.frames = 0;
	return ret;
}

/* path.i, or path itself for i == 0. */
static void rotated_name(const struct recorder *r, char *out, size_t len, uint32_t i)
{
	if (i)
		snprintf(out, len, "%s.%u", r->path, i);
	else
		snprintf(out, len, "%s", r->path);
}

/*
 * Close the full file, shift path.(keep-1) .. path to path.keep .. path.1
 * (what was path.keep is replaced), open a new path with the header. 0 or
 * the error (reported; the recorder has stopped).
 */
static int writer_rotate(struct recorder *r)
{
	char from[PATH_MAX + NAME_MAX_EXTRA], to[PATH_MAX + NAME_MAX_EXTRA];
	char msg[sizeof(r->errmsg)];
	struct stat st;
	int fd, ret;

	fd = r->w.fd;
	r->w.fd = -1;
	if (close(fd)) {
		ret = -errno;
		writer_fail(r, ret, "%s: cannot close: %s", r->path, strerror(-ret));
		return ret;
	}
	if (!r->keep && unlink(r->path) && errno != ENOENT) {
		ret = -errno;
		writer_fail(r, ret, "%s: cannot delete: %s", r->path, strerror(-ret));
		return ret;
	}
	for (uint32_t i = r->keep; i > 0; i--) {
		rotated_name(r, from, sizeof(from), i - 1);
		rotated_name(r, to, sizeof(to), i);
		/* ENOENT: fewer files than keep so far */
		if (rename(from, to) && errno != ENOENT) {
			ret = -errno;
			writer_fail(r, ret, "%s: cannot rename to %s: %s", from, to,
				    strerror(-ret));
			return ret;
		}
	}
	fd = kimp_capture_create(r->path, msg, sizeof(msg));
	if (fd < 0) {
		writer_fail(r, fd, "%s", msg);
		return fd;
	}
	r->w.fd = fd;
	r->w.file_bytes = fstat(fd, &st) ? KIMP_CAP_HEADER_LEN + 1 : (uint64_t)st.st_size;
	counter_add(&r->c.rotations, 1);
	return 0;
}

/* Format one frame into the buffer, writing and rotating as needed. */
static void writer_emit(struct recorder *r, const struct rec_hdr *h)
{
	char venue[KIMP_CAP_VENUE_MAX];
	size_t pre = r->w.len;
	ssize_t n;

	memcpy(venue, h->venue, h->vlen);
	venue[h->vlen] = 0;
	n = kimp_capture_format(r->w.buf + pre, r->w.cap - pre, h->t_ns, venue, h->opcode,
				h + 1, h->len);
	if (n == -ENOBUFS) {
		/* the buffer holds any frame when empty (KIMP_CAP_LINE_MAX(max_frame)) */
		if (writer_flush(r))
			goto lost;
		pre = 0;
		n = kimp_capture_format(r->w.buf, r->w.cap, h->t_ns, venue, h->opcode, h + 1,
					h->len);
	}
	if (n < 0) {
		counter_add(&r->c.rejected, 1);
		return;
	}
	/* the file holds a frame already, and this line would take it past max */
	if (r->max_bytes && r->w.file_bytes + pre > KIMP_CAP_HEADER_LEN + 1 &&
	    r->w.file_bytes + pre + (uint64_t)n > r->max_bytes) {
		r->w.len = pre;
		if (writer_flush(r) || writer_rotate(r))
			goto lost;
		memmove(r->w.buf, r->w.buf + pre, (size_t)n);
		pre = 0;
	}
	r->w.len = pre + (size_t)n;
	r->w.frames++;
	return;

lost:
	counter_add(&r->c.lost, 1);
}

/* Take every record published so far. True if there was any. */
static bool writer_drain(struct recorder *r)
{
	/* acquire: pairs with the release of head in recorder_put */
	uint64_t head = atomic_load_explicit(&r->p.head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->c.tail, memory_order_relaxed);
	bool any = tail != head;

	while (tail != head) {
		uint64_t pos = tail & r->p.mask;
		const struct rec_hdr *h = (const void *)(r->p.ring + pos);

		if (h->len == REC_SKIP) {
			tail += r->p.cap - pos;
		} else {
			if (r->w.err)
				counter_add(&r->c.lost, 1);
			else
				writer_emit(r, h);
			tail += REC_SIZE(h->len);
		}
		/* release: pairs with the acquire of tail in recorder_put */
		atomic_store_explicit(&r->c.tail, tail, memory_order_release);
	}
	return any;
}

/* Something to do: closing, or records to take while not paused. */
static bool writer_ready(struct recorder *r)
{
	if (atomic_load_explicit(&r->s.closing, memory_order_acquire))
		return true;
	if (atomic_load_explicit(&r->s.paused, memory_order_acquire))
		return false;
	return atomic_load_explicit(&r->p.head, memory_order_acquire) !=
	       atomic_load_explicit(&r->c.tail, memory_order_relaxed);
}

static void writer_sleep(struct recorder *r)
{
	struct timespec ts = { 0, RECORDER_FLUSH_NS };
	/* read seq before announcing: a wake after this changes it */
	uint32_t seq = atomic_load_explicit(&r->s.seq, memory_order_acquire);

	/* acq_rel: pairs with the exchange in bell_wake */
	atomic_exchange_explicit(&r->s.sleeping, 1, memory_order_acq_rel);
	if (!writer_ready(r))
		syscall(SYS_futex, &r->s.seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	atomic_store_explicit(&r->s.sleeping, 0, memory_order_relaxed);
}

static void *writer_main(void *arg)
{
	struct recorder *r = arg;

	for (;;) {
		bool closing = atomic_load_explicit(&r->s.closing, memory_order_acquire);

		if (!closing && atomic_load_explicit(&r->s.paused, memory_order_acquire)) {
			writer_sleep(r);
			continue;
		}
		if (writer_drain(r))
			continue;
		writer_flush(r);
		/* closing was seen before a drain found nothing: every put is in */
		if (closing)
			break;
		writer_sleep(r);
	}
	if (r->w.fd >= 0 && close(r->w.fd)) {
		int ret = -errno;

		writer_fail(r, ret, "%s: cannot close: %s", r->path, strerror(-ret));
	}
	r->w.fd = -1;
	return NULL;
}

/* ---- open and close -------------------------------------------------------------- */

static int conf_check(const struct recorder_conf *c, const char *path, uint64_t *cap,
		      uint64_t *max_frame, char *err, size_t errlen)
{
	uint64_t limit;

	if (!*path) {
		rec_err(err, errlen, "recorder: no capture path");
		return -EINVAL;
	}
	if (strlen(path) >= PATH_MAX) {
		rec_err(err, errlen, "%.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	if (c->ring_bytes < RECORDER_RING_MIN || c->ring_bytes > RECORDER_RING_MAX) {
		rec_err(err, errlen, "%s: ring_bytes %llu is not in [%llu, %llu]", path,
			(unsigned long long)c->ring_bytes, RECORDER_RING_MIN, RECORDER_RING_MAX);
		return -EINVAL;
	}
	*cap = c->ring_bytes;
	if (!kimp_is_pow2(*cap))
		*cap = 1ull << (64 - __builtin_clzll(*cap));
	limit = *cap / 2 - sizeof(struct rec_hdr);
	if (limit > REC_FRAME_MAX)
		limit = REC_FRAME_MAX;
	if (c->max_frame > limit) {
		rec_err(err, errlen, "%s: max_frame %llu is over %llu, what a ring of %llu "
			"bytes holds", path, (unsigned long long)c->max_frame,
			(unsigned long long)limit, (unsigned long long)*cap);
		return -EINVAL;
	}
	*max_frame = c->max_frame ? c->max_frame :
		     limit < RECORDER_FRAME_DEF ? limit : RECORDER_FRAME_DEF;
	if (c->max_bytes && c->max_bytes <= KIMP_CAP_HEADER_LEN + 1) {
		rec_err(err, errlen, "%s: max_bytes %llu leaves no room after the header",
			path, (unsigned long long)c->max_bytes);
		return -EINVAL;
	}
	if (c->keep > RECORDER_KEEP_MAX) {
		rec_err(err, errlen, "%s: keep %u is over %u", path, c->keep, RECORDER_KEEP_MAX);
		return -EINVAL;
	}
	return 0;
}

int recorder_open(struct recorder **out, const struct recorder_conf *conf, char *err,
		  size_t errlen)
{
	const char *path = conf->path ? conf->path : "";
	uint64_t cap, max_frame;
	sigset_t all, old;
	struct recorder *r;
	struct stat st;
	int ret;

	*out = NULL;
	ret = conf_check(conf, path, &cap, &max_frame, err, errlen);
	if (ret)
		return ret;
	r = aligned_alloc(KIMP_FALSE_SHARING, sizeof(*r));
	if (!r) {
		rec_err(err, errlen, "%s: no memory for the recorder", path);
		return -ENOMEM;
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->max_bytes = conf->max_bytes;
	r->keep = conf->keep;
	r->on_error = conf->on_error;
	r->ctx = conf->ctx;
	r->p.cap = cap;
	r->p.mask = cap - 1;
	r->p.max_frame = max_frame;
	r->p.wake_bytes = cap / 8;
	atomic_store_explicit(&r->s.paused, conf->start_paused, memory_order_relaxed);
	/* populated now: the hot loop never faults a page in */
	r->p.ring = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->p.ring == MAP_FAILED) {
		ret = -errno;
		rec_err(err, errlen, "%s: no memory for a ring of %llu bytes: %s", path,
			(unsigned long long)cap, strerror(-ret));
		goto free_r;
	}
	r->w.cap = KIMP_CAP_LINE_MAX(max_frame);
	if (r->w.cap < WRITER_BUF_MIN)
		r->w.cap = WRITER_BUF_MIN;
	r->w.buf = malloc(r->w.cap);
	if (!r->w.buf) {
		ret = -ENOMEM;
		rec_err(err, errlen, "%s: no memory for a buffer of %zu bytes", path, r->w.cap);
		goto unmap_ring;
	}
	r->w.fd = kimp_capture_create(path, err, errlen);
	if (r->w.fd < 0) {
		ret = r->w.fd;
		goto free_buf;
	}
	if (fstat(r->w.fd, &st)) {
		ret = -errno;
		rec_err(err, errlen, "%s: %s", path, strerror(-ret));
		goto close_fd;
	}
	r->w.file_bytes = (uint64_t)st.st_size;
	/* the writer takes no signal (SIGXFSZ included: a write then fails) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&r->thread, NULL, writer_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		rec_err(err, errlen, "%s: cannot start the writer thread: %s", path,
			strerror(-ret));
		goto close_fd;
	}
	pthread_setname_np(r->thread, "recorder");
	*out = r;
	return 0;

close_fd:
	close(r->w.fd);
free_buf:
	free(r->w.buf);
unmap_ring:
	munmap(r->p.ring, cap);
free_r:
	free(r);
	return ret;
}

void recorder_resume(struct recorder *r)
{
	atomic_store_explicit(&r->s.paused, 0, memory_order_release);
	bell_ring(r);
}

int recorder_close(struct recorder *r)
{
	int ret;

	if (!r)
		return 0;
	atomic_store_explicit(&r->s.paused, 0, memory_order_release);
	/* release: the writer that sees it sees every put before it */
	atomic_store_explicit(&r->s.closing, 1, memory_order_release);
	bell_ring(r);
	pthread_join(r->thread, NULL);
	ret = r->w.err;
	free(r->w.buf);
	munmap(r->p.ring, r->p.cap);
	free(r);
	return ret;
}
