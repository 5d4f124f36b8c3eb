/* SPDX-License-Identifier: MIT */
/*
 * Per-process binary log: a ring region "log" in the process's own segment
 * (one producer, the process's main thread; one consumer, monitord, which
 * formats the records and writes them to rotated files). Nothing here
 * blocks the writer: when the ring is full a record is dropped and counted
 * (the ring's overrun counter), never waited for.
 *
 * Two kinds of record:
 *   text   kimp_log(): a message formatted by the caller's thread. Cold
 *          paths only (start-up, reconnects, errors). It is also written to
 *          stderr, so a process without a monitord (or a test) still shows
 *          it, and the supervisor's capture of stderr is a second copy.
 *   event  kimp_log_event(): a code and four integers, nothing formatted:
 *          safe on a hot path (a few stores into the ring slot). The
 *          consumer renders it from the code's table entry (its message and
 *          argument names), "message name=value ...".
 *
 * A thread other than the one that opened the log (orderd's journal
 * syncer, say) must not write the ring (it has one producer): kimp_log from
 * such a thread goes to stderr only.
 */
#ifndef KIMP_LOG_H
#define KIMP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kimp/compiler.h"
#include "kimp/ring.h"
#include "kimp/segment.h"

#define KIMP_LOG_REGION "log"
#define KIMP_LOG_SLOTS  4096u      /* default ring size (1 MiB) */
#define KIMP_LOG_TEXT   192u       /* text bytes a record holds */

enum kimp_log_level {
	KIMP_LOG_ERR = 0,
	KIMP_LOG_WARN = 1,
	KIMP_LOG_INFO = 2,
	KIMP_LOG_DEBUG = 3,
};

enum kimp_log_kind {
	KIMP_LOGK_TEXT = 0,
	KIMP_LOGK_EVENT = 1,
};

/* One record: a ring slot of 256 bytes. */
struct kimp_log_rec {
	uint64_t mark;                 /* the ring's (kimp/ring.h) */
	int64_t real_ns;               /* CLOCK_REALTIME when written */
	uint8_t level;                 /* enum kimp_log_level */
	uint8_t kind;                  /* enum kimp_log_kind */
	uint16_t len;                  /* text bytes (text), 0 (event) */
	uint32_t code;                 /* enum kimp_log_event (event) */
	uint64_t seq;                  /* the writer's record number from 1, drops
	                                  counted too: a gap is a loss */
	uint64_t arg[4];               /* event arguments */
	char text[KIMP_LOG_TEXT];      /* not NUL-terminated when full */
};
KIMP_ASSERT_SIZE(struct kimp_log_rec, 256);
KIMP_ASSERT_OFFSET(struct kimp_log_rec, text, 64);

/*
 * Event codes. Add at the end; the table in libshm/klog.c gives each its
 * level, message and argument names (NULL: unused).
 */
enum kimp_log_event {
	KIMP_LOGE_NONE = 0,
	KIMP_LOGE_RING_FULL = 1,       /* a message was held: its ring is full */
	KIMP_LOGE_GAP = 2,             /* a sequence gap in a venue stream */
	KIMP_LOGE_PARSE = 3,           /* a venue message could not be read */
	KIMP_LOGE_REJECT = 4,          /* an order was refused */
	KIMP_LOGE_STATE = 5,           /* an order changed state */
	KIMP_LOGE_MAX
};

struct kimp_log_event_info {
	const char *msg;
	const char *arg[4];
};

/* The table entry of 'code' (a placeholder entry for an unknown code). */
const struct kimp_log_event_info *kimp_log_event_info(uint32_t code);

/* "ERR", "WARN", "INFO", "DEBUG" ("?" past them). */
const char *kimp_log_level_name(unsigned level);

/*
 * The writer. Open the log ring of 'seg' for process 'proc' (created with
 * 'slots' slots, a power of two >= 2, when the segment has none; 0:
 * KIMP_LOG_SLOTS) and make the calling thread its writer. Later kimp_log
 * calls on this thread write to the ring too. 0 or -errno (said through
 * shm_last_error); without a ring the log still goes to stderr.
 */
int kimp_log_open(struct shm_seg *seg, const char *proc, uint32_t slots) kimp_cold;

/* Bytes a log ring of 'slots' slots (0: KIMP_LOG_SLOTS) needs in a segment. */
size_t kimp_log_bytes(uint32_t slots);

/* Stop writing the ring (before the segment is detached). */
void kimp_log_close(void) kimp_cold;

/*
 * A text record: fmt formatted (cold), the text cut at KIMP_LOG_TEXT bytes
 * in the ring (whole on stderr, as "PROC: text\n"). Never blocks.
 */
void kimp_log(unsigned level, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	kimp_cold;

/* Written only to the ring, not stderr (the caller already said it there). */
void kimp_log_ring_only(unsigned level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3))) kimp_cold;

/*
 * An event record: no formatting, no syscall beyond what a ring publish
 * does (none, unless monitord sleeps on the doorbell: it does not). Hot
 * path safe. Dropped when the ring is full (counted), or from a thread that
 * is not the writer, or after kimp_log_close.
 */
void kimp_log_event(unsigned level, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3);

/* Records the writer dropped because the ring was full (or failed to open). */
uint64_t kimp_log_dropped(void);

/*
 * The reader (monitord, tests). Format one record as a line, "TIME PROC
 * LEVEL text\n" (TIME in UTC with microseconds), into buf (NUL-terminated,
 * cut to len). Returns the line's length.
 */
size_t kimp_log_format(const struct kimp_log_rec *r, const char *proc, char *buf, size_t len)
	kimp_cold;

#endif
