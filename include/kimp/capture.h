/* SPDX-License-Identifier: MIT */
/*
 * Captures: the WebSocket frames a feed received, as feedd records them and
 * exsim replays them (sim/replay.h reads them back). A capture is a text
 * file:
 *
 *   # kimp capture v1
 *   <receive time, unix ns> <venue> <t|b> <payload>
 *   ...
 *
 * one frame per line after the header line. t is a text frame, b a binary
 * one. The payload is the frame's bytes as they came, except backslash,
 * newline and carriage return, written \\ \n \r; any other byte (NUL too)
 * is written as is. The venue is 1 to 15 of [a-z0-9_-]. A line starting
 * with '#' after the header is a comment. The last line may lack its
 * newline. Times need not increase.
 *
 * This is the writing side. Formatting a frame allocates nothing and makes
 * no system call; kimp_capture_create and kimp_capture_append do file I/O
 * and belong off the hot path (feedd's recorder calls the formatter on its
 * writer thread).
 */
#ifndef KIMP_CAPTURE_H
#define KIMP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KIMP_CAP_HEADER     "# kimp capture v1"
#define KIMP_CAP_HEADER_LEN (sizeof(KIMP_CAP_HEADER) - 1)   /* without the newline */
#define KIMP_CAP_VENUE_MAX  16          /* with the NUL */
#define KIMP_CAP_OP_TEXT    1           /* the WebSocket opcodes */
#define KIMP_CAP_OP_BINARY  2
/* The longest line (with its newline) a frame of n payload bytes makes. */
#define KIMP_CAP_LINE_MAX(n) (20 + 1 + (KIMP_CAP_VENUE_MAX - 1) + 3 + 2 * (size_t)(n) + 1)

/* A byte a capture's venue name may hold: [a-z0-9_-]. */
static inline bool kimp_capture_venue_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/*
 * One frame as a line (with its newline) into out[0..cap): the length, or
 * -ENOBUFS (cap < KIMP_CAP_LINE_MAX(len) is enough to be safe), -EINVAL for
 * a bad venue name or opcode. Nothing is written past cap; out is the
 * caller's, payload is only read (it may be NULL when len is 0).
 */
ssize_t kimp_capture_format(char *out, size_t cap, uint64_t t_ns, const char *venue,
			    unsigned opcode, const void *payload, size_t len);
/*
 * Open 'path' to append frames (O_APPEND): a new or empty file gets the
 * header line; an existing one must start with it. The fd (the caller
 * closes it), or -errno with "PATH: why" in err (err may be NULL): -EINVAL
 * when it is not a capture.
 */
int kimp_capture_create(const char *path, char *err, size_t errlen);
/*
 * Append one frame to fd, formatted in scratch[0..cap) (the caller's) and
 * written with one write(2) (more only if the kernel writes part of it). 0
 * or -errno (-ENOBUFS, -EINVAL as kimp_capture_format).
 */
int kimp_capture_append(int fd, char *scratch, size_t cap, uint64_t t_ns, const char *venue,
			unsigned opcode, const void *payload, size_t len);

#endif
