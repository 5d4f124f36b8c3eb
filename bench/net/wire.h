/* SPDX-License-Identifier: MIT */
/*
 * What the bench server streams, shared by the server, our client and the
 * libwebsockets client (which includes nothing else from kimp).
 *
 * A stream is NB_MSG_SIZE-byte binary messages with sequence numbers 0 ..
 * n-1, then one text message "done <n>" (the marker), then a close 1000.
 * Message layout, little-endian words:
 *
 *   [0..8)    sequence number
 *   [8..92)   filler derived from the sequence (byte k = seq * 31 + k)
 *   [92..100) sequence xor NB_MSG_KEY
 *
 * Receivers check the length, the first and the last word (a dropped,
 * repeated, torn or misplaced message fails), not the filler: checking every
 * byte would measure memcmp, not the client.
 *
 * The result line a WS client process prints (one line, on stdout):
 *
 *   msgs=N bad=B wall_ns=W cpu_ns=C usr_ns=U sys_ns=S vcsw=V ivcsw=I cipher=NAME
 *
 * Everything spans from the arrival of message 0 to that of message n-1:
 * CLOCK_MONOTONIC, the client's process CPU time (CLOCK_PROCESS_CPUTIME_ID,
 * user + sys), its user/sys split and context switches (getrusage).
 */
#ifndef KIMP_BENCH_NET_WIRE_H
#define KIMP_BENCH_NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define NB_MSG_SIZE 100
#define NB_MSG_KEY  0x9e3779b97f4a7c15ull
#define NB_WS_PATH  "/stream"
#define NB_MARKER   "done "

static inline void nb_msg_fill(uint8_t *m, uint64_t seq)
{
	uint64_t last = seq ^ NB_MSG_KEY;

	memcpy(m, &seq, 8);
	for (size_t k = 8; k < NB_MSG_SIZE - 8; k++)
		m[k] = (uint8_t)(seq * 31u + k);
	memcpy(m + NB_MSG_SIZE - 8, &last, 8);
}

static inline bool nb_msg_ok(const uint8_t *m, size_t len, uint64_t seq)
{
	uint64_t first, last;

	if (len != NB_MSG_SIZE)
		return false;
	memcpy(&first, m, 8);
	memcpy(&last, m + NB_MSG_SIZE - 8, 8);
	return first == seq && last == (seq ^ NB_MSG_KEY);
}

static inline uint64_t nb_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* What a client keeps while it counts a stream. */
struct nb_count {
	uint64_t want;              /* n */
	uint64_t got, bad;
	uint64_t t0, c0;            /* wall and CPU at message 0 */
	uint64_t t1, c1;            /* ... and at message n-1 */
	struct rusage ru0, ru1;
	bool marker, marker_bad;
};

/* One message arrived: count it, check it, stamp the first and the last. */
static inline void nb_count_msg(struct nb_count *c, bool binary, const uint8_t *m,
				size_t len)
{
	if (!binary) {
		char want[32];
		int n = snprintf(want, sizeof(want), NB_MARKER "%llu",
				 (unsigned long long)c->want);

		c->marker = true;
		c->marker_bad = len != (size_t)n || memcmp(m, want, len) != 0;
		return;
	}
	if (c->got == 0) {
		c->t0 = nb_clock_ns(CLOCK_MONOTONIC);
		getrusage(RUSAGE_SELF, &c->ru0);
		c->c0 = nb_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	}
	if (!nb_msg_ok(m, len, c->got))
		c->bad++;
	if (++c->got == c->want) {
		c->c1 = nb_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		getrusage(RUSAGE_SELF, &c->ru1);
		c->t1 = nb_clock_ns(CLOCK_MONOTONIC);
	}
}

static inline uint64_t nb_tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
}

/* The result line (see the top of this file); cipher as the client saw it. */
static inline void nb_count_print(FILE *f, const struct nb_count *c, const char *cipher)
{
	fprintf(f, "msgs=%llu bad=%llu wall_ns=%llu cpu_ns=%llu usr_ns=%llu sys_ns=%llu "
		"vcsw=%ld ivcsw=%ld cipher=%s\n", (unsigned long long)c->got,
		(unsigned long long)c->bad, (unsigned long long)(c->t1 - c->t0),
		(unsigned long long)(c->c1 - c->c0),
		(unsigned long long)(nb_tv_ns(&c->ru1.ru_utime) - nb_tv_ns(&c->ru0.ru_utime)),
		(unsigned long long)(nb_tv_ns(&c->ru1.ru_stime) - nb_tv_ns(&c->ru0.ru_stime)),
		c->ru1.ru_nvcsw - c->ru0.ru_nvcsw, c->ru1.ru_nivcsw - c->ru0.ru_nivcsw,
		cipher && *cipher ? cipher : "-");
}

#endif
