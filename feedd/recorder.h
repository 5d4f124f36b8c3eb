/* SPDX-License-Identifier: MIT */
/*
 * feedd's recorder: every WebSocket frame feedd receives, written to a
 * capture (include/kimp/capture.h) that exsim replays, off the hot loop.
 *
 *   hot loop ──recorder_put──> byte ring (SPSC) ──> writer thread ──> path
 *                                                     │ rotates by size:
 *                                                     └ path.1 .. path.keep
 *
 * recorder_put copies a small fixed header and the raw payload into the
 * ring and returns; it never waits, allocates, formats text or makes a
 * system call, except one futex wake when the writer said it sleeps and the
 * ring is an eighth full. A full ring drops the frame and counts it. The
 * writer takes what is queued at least every RECORDER_FLUSH_NS, escapes
 * and formats the frames (kimp_capture_format), writes them in large
 * batches, and rotates the file when the next line would take it past
 * max_bytes: path.(keep-1) -> path.keep ... path -> path.1 (the old
 * path.keep falls off), then a new path with the header line.
 *
 * A write error (or a failed rotation) is counted, its message stored
 * (recorder_error) and passed once to conf.on_error, and the recorder stops
 * writing: frames queued then are discarded (lost), later puts are refused
 * (dropped). The hot loop is never blocked by it.
 *
 * Threads: one producer (the hot loop: recorder_put, recorder_stats,
 * recorder_error, and recorder_open/close around them) and the writer
 * thread the recorder owns.
 */
#ifndef KIMP_FEEDD_RECORDER_H
#define KIMP_FEEDD_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/capture.h"
#include "kimp/compiler.h"

struct recorder;

#define RECORDER_RING_MIN   256ull
#define RECORDER_RING_MAX   (1ull << 40)
#define RECORDER_KEEP_MAX   100000u
#define RECORDER_FRAME_DEF  (1u << 20)  /* max_frame when 0 (if the ring holds it) */
#define RECORDER_FLUSH_NS   10000000    /* the writer's longest sleep */

struct recorder_conf {
	const char *path;       /* the capture (appended to if it is one); read at open */
	uint64_t max_bytes;     /* rotate before a line takes the file past this; 0:
				 * never. A file holds at least one frame, so one
				 * longer than this makes a file of its own. */
	uint32_t keep;          /* rotated files kept, path.1 (newest) .. path.keep;
				 * 0: the full file is deleted */
	uint64_t ring_bytes;    /* the ring, rounded up to a power of two, at least
				 * RECORDER_RING_MIN; allocated and touched at open */
	uint64_t max_frame;     /* the largest payload recorded (larger ones are
				 * dropped); 0: RECORDER_FRAME_DEF or what the ring
				 * holds; at most ring/2 - 32 */
	bool start_paused;      /* the writer waits for recorder_resume (or close)
				 * before taking anything from the ring */
	/* Called once, on the writer thread, with the first write error's message. */
	void (*on_error)(void *ctx, const char *msg);
	void *ctx;
	/*
	 * TODO: the CPUs the writer thread may run on (feedd will pass its
	 * housekeeping set so the writer keeps off the hot loop's core). For now
	 * the writer is pinned to nothing and inherits the opener's affinity.
	 */
};

/*
 * Counters, each a relaxed atomic read (no lock): readable from the hot
 * loop at any time. frames + dropped is every put; frames is written +
 * lost + rejected + the frames still in the ring or the writer's buffer.
 */
struct recorder_stats {
	uint64_t frames;        /* accepted by recorder_put */
	uint64_t bytes;         /* their payload bytes */
	uint64_t dropped;       /* refused by recorder_put (ring full, too big, bad
				 * venue or opcode, stopped after a write error) */
	uint64_t written;       /* frames written to the capture files */
	uint64_t written_bytes; /* their lines' bytes (header lines not counted) */
	uint64_t lost;          /* accepted, then discarded after a write error */
	uint64_t rejected;      /* accepted, but the venue has a character a capture
				 * cannot hold (not a-z 0-9 _ -) */
	uint64_t rotations;
	uint64_t write_errors;  /* 0 or 1: the recorder stops at the first */
	uint64_t queued;        /* bytes in the ring */
};

/*
 * Open (or create) conf->path, allocate the ring and the writer's buffer and
 * start the writer thread. *out is the recorder (owned by the caller until
 * recorder_close). 0, or -errno with a message naming the path in err:
 * -EINVAL for a bad conf or a file that is not a capture, -ENOMEM, the
 * error creating the file, or pthread_create's.
 */
int recorder_open(struct recorder **out, const struct recorder_conf *conf, char *err,
		  size_t errlen) kimp_cold;

/*
 * Queue one received frame (opcode KIMP_CAP_OP_TEXT or _BINARY, venue a
 * NUL-terminated name) for the capture; payload[0..len) is copied, so the
 * caller keeps it. 0, or (the frame is dropped and counted):
 *   -ENOBUFS  the ring has no room for it now
 *   -EMSGSIZE len is over max_frame
 *   -EINVAL   the venue is empty or longer than 15, or a bad opcode
 *   -EIO      the recorder stopped after a write error
 * The hot loop's thread only. Never waits.
 */
int recorder_put(struct recorder *r, uint64_t t_ns, const char *venue, unsigned opcode,
		 const void *payload, size_t len);

/* A paused writer (conf.start_paused) starts taking frames. */
void recorder_resume(struct recorder *r) kimp_cold;

/* The counters now (see struct recorder_stats). */
void recorder_stats(const struct recorder *r, struct recorder_stats *st);

/*
 * The first write error's message ("PATH: cannot write: why" and the like),
 * or NULL while there is none. Owned by r; valid until recorder_close.
 */
const char *recorder_error(const struct recorder *r);

/*
 * Resume the writer if paused, let it write everything queued, join it,
 * close the file and free r (NULL is fine). 0, or the first write error
 * (-errno) if there was one.
 */
int recorder_close(struct recorder *r) kimp_cold;

#endif
