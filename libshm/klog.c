/* SPDX-License-Identifier: MIT */
/*
 * The per-process binary log (kimp/log.h): the writer, kept in this
 * process's statics (one log per process), and the reader's formatter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "kimp/log.h"
#include "kimp/tsc.h"
#include "shm_internal.h"

static const struct kimp_log_event_info events[KIMP_LOGE_MAX] = {
	[KIMP_LOGE_NONE] = { "(no event)", { NULL } },
	[KIMP_LOGE_RING_FULL] = { "ring full: message held", { "ring", "held", NULL } },
	[KIMP_LOGE_GAP] = { "stream sequence gap", { "venue", "inst", "expected", "got" } },
	[KIMP_LOGE_PARSE] = { "venue message unreadable, skipped", { "venue", "chan", "count",
								      NULL } },
	[KIMP_LOGE_REJECT] = { "order refused", { "venue", "client_oid", "reason", NULL } },
	[KIMP_LOGE_STATE] = { "order state", { "venue", "client_oid", "from", "to" } },
};

static const struct kimp_log_event_info unknown_event = { "unknown event",
							  { "a0", "a1", "a2", "a3" } };

static struct {
	struct shm_ring_prod prod;
	bool open;
	char proc[SHM_NAME_MAX];
	uint64_t seq;
	uint64_t dropped;
} lg;

/* The thread that opened the log: the ring's one producer. */
static __thread bool log_writer;

const struct kimp_log_event_info *kimp_log_event_info(uint32_t code)
{
	return code > KIMP_LOGE_NONE && code < KIMP_LOGE_MAX ? &events[code] : &unknown_event;
}

const char *kimp_log_level_name(unsigned level)
{
	static const char *const n[] = { "ERR", "WARN", "INFO", "DEBUG" };

	return level < KIMP_ARRAY_SIZE(n) ? n[level] : "?";
}

int kimp_log_open(struct shm_seg *seg, const char *proc, uint32_t slots)
{
	struct shm_ring *r;
	int e;

	kimp_log_close();
	e = shm_ring_lookup(seg, KIMP_LOG_REGION, &r);
	if (e == -ENOENT)
		e = shm_ring_create(seg, KIMP_LOG_REGION, sizeof(struct kimp_log_rec),
				    slots ? slots : KIMP_LOG_SLOTS, SHM_RING_CONFLATE, NULL, &r);
	if (!e && r->slot_size != sizeof(struct kimp_log_rec))
		e = shm_fail(-EPROTO, "log ring '%s': slots of %u bytes, a log record is %zu",
			     KIMP_LOG_REGION, r->slot_size, sizeof(struct kimp_log_rec));
	if (!e)
		e = shm_ring_producer(r, &lg.prod);
	if (e)
		return e;
	snprintf(lg.proc, sizeof(lg.proc), "%s", proc);
	lg.open = true;
	log_writer = true;
	return 0;
}

size_t kimp_log_bytes(uint32_t slots)
{
	return shm_ring_bytes(sizeof(struct kimp_log_rec), slots ? slots : KIMP_LOG_SLOTS);
}

void kimp_log_close(void)
{
	lg.open = false;
	log_writer = false;
}

uint64_t kimp_log_dropped(void)
{
	return lg.dropped;
}

/* The next slot, or NULL (counted) when the ring is full or not ours. */
static struct kimp_log_rec *rec_next(unsigned level, unsigned kind)
{
	uint64_t seq;
	struct kimp_log_rec *r;

	if (!log_writer)
		return NULL;           /* another thread: the statics are not its */
	seq = ++lg.seq;                /* drops too: a gap in seq is a loss */
	if (!lg.open) {
		lg.dropped++;
		return NULL;
	}
	r = shm_ring_reserve(&lg.prod);
	if (kimp_unlikely(!r)) {
		lg.dropped++;
		return NULL;
	}
	r->real_ns = (int64_t)kimp_real_ns();
	r->level = (uint8_t)level;
	r->kind = (uint8_t)kind;
	r->seq = seq;
	return r;
}

void kimp_log_event(unsigned level, uint32_t code, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3)
{
	struct kimp_log_rec *r = rec_next(level, KIMP_LOGK_EVENT);

	if (!r)
		return;
	r->len = 0;
	r->code = code;
	r->arg[0] = a0;
	r->arg[1] = a1;
	r->arg[2] = a2;
	r->arg[3] = a3;
	shm_ring_publish(&lg.prod);
}

static void ring_text(unsigned level, const char *text, size_t n)
{
	struct kimp_log_rec *r = rec_next(level, KIMP_LOGK_TEXT);

	if (!r)
		return;
	if (n > KIMP_LOG_TEXT)
		n = KIMP_LOG_TEXT;
	memcpy(r->text, text, n);
	r->len = (uint16_t)n;
	r->code = 0;
	memset(r->arg, 0, sizeof(r->arg));
	shm_ring_publish(&lg.prod);
}

static size_t vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

void kimp_log(unsigned level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", lg.proc[0] ? lg.proc : program_invocation_short_name, buf);
	ring_text(level, buf, n);
}

void kimp_log_ring_only(unsigned level, const char *fmt, ...)
{
	char buf[KIMP_LOG_TEXT + 1];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ring_text(level, buf, n);
}

/* Append to buf[*n..len) what fits, keeping it NUL-terminated. */
static void put(char *buf, size_t len, size_t *n, const char *s, size_t sl)
{
	size_t room = *n < len ? len - 1 - *n : 0;

	if (sl > room)
		sl = room;
	memcpy(buf + *n, s, sl);
	*n += sl;
	buf[*n] = '\0';
}

size_t kimp_log_format(const struct kimp_log_rec *r, const char *proc, char *buf, size_t len)
{
	char head[96], num[48];
	time_t secs = (time_t)(r->real_ns / 1000000000);
	long us = (long)(r->real_ns % 1000000000 / 1000);
	struct tm tm;
	size_t n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (r->real_ns < 0 || !gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, r->real_ns < 0 ? 0L : us, proc, kimp_log_level_name(r->level));
	put(buf, len, &n, head, strlen(head));
	if (r->kind == KIMP_LOGK_EVENT) {
		const struct kimp_log_event_info *ev = kimp_log_event_info(r->code);

		put(buf, len, &n, ev->msg, strlen(ev->msg));
		for (unsigned i = 0; i < 4 && ev->arg[i]; i++) {
			int k = snprintf(num, sizeof(num), " %s=%" PRIu64, ev->arg[i], r->arg[i]);

			put(buf, len, &n, num, (size_t)k < sizeof(num) ? (size_t)k : sizeof(num) - 1);
		}
	} else {
		size_t tl = r->len < KIMP_LOG_TEXT ? r->len : KIMP_LOG_TEXT;

		/* the text is the writer's: keep it on one line */
		for (size_t i = 0; i < tl; i++) {
			char c = r->text[i];

			if ((unsigned char)c < 0x20 || c == 0x7f)
				c = '?';
			put(buf, len, &n, &c, 1);
		}
	}
	put(buf, len, &n, "\n", 1);
	return n;
}
