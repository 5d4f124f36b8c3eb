/* SPDX-License-Identifier: MIT */
/*
 * Captures: the WebSocket frames a feed received, for exsim to replay
 * (feedd records them). The format and the writing side live in libvenue
 * (include/kimp/capture.h, which documents the format); this is the reading
 * side and the replay's pace. The SIM_CAP_* names and the sim_capture_
 * writers below are the libvenue ones under the simulator's names.
 *
 * Reading is a cold path (the whole file is read and checked at open).
 */
#ifndef KIMP_SIM_REPLAY_H
#define KIMP_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/capture.h"

#define SIM_CAP_HEADER     KIMP_CAP_HEADER
#define SIM_CAP_VENUE_MAX  KIMP_CAP_VENUE_MAX   /* with the NUL */
#define SIM_CAP_OP_TEXT    KIMP_CAP_OP_TEXT     /* the WebSocket opcodes */
#define SIM_CAP_OP_BINARY  KIMP_CAP_OP_BINARY
/* The longest line (with its newline) a frame of n payload bytes makes. */
#define SIM_CAP_LINE_MAX(n) KIMP_CAP_LINE_MAX(n)

/* A capture being read. Every field is private; the counts are for sizing. */
struct sim_capture {
	char path[256];         /* for messages (cut short if longer) */
	char *buf;              /* the whole file, owned */
	size_t len;
	size_t off;             /* the next line */
	size_t body;            /* the first line after the header */
	unsigned line;          /* the line at off */
	uint64_t nframes;       /* frames in the file */
	uint64_t first_ns;      /* the first frame's time (0: no frames) */
	size_t max_payload;     /* the largest payload, unescaped */
};

/* One frame: its payload went to the caller's buffer. */
struct sim_frame {
	uint64_t t_ns;          /* when it was received, unix ns */
	char venue[SIM_CAP_VENUE_MAX];
	unsigned opcode;        /* SIM_CAP_OP_TEXT or SIM_CAP_OP_BINARY */
	size_t len;             /* payload bytes */
	unsigned line;          /* where it is in the file */
};

/*
 * Read and check the whole of 'path'. 0, or -errno with "FILE:LINE: why"
 * (or "FILE: why") in err: -EINVAL for a line that is not a frame or a bad
 * header, -ENOMEM, or the error opening or reading it. The file's bytes
 * are owned by c until sim_capture_close; a failed open holds nothing (a
 * close after it is harmless).
 */
int sim_capture_open(struct sim_capture *c, const char *path, char *err, size_t errlen);
void sim_capture_close(struct sim_capture *c);
/*
 * The next frame, its payload unescaped into buf[0..cap): 1, 0 at the end,
 * or -EMSGSIZE ("FILE:LINE: ..." in err; the frame is skipped) when the
 * payload is longer than cap (c->max_payload always fits).
 */
int sim_capture_next(struct sim_capture *c, struct sim_frame *f, void *buf, size_t cap,
		     char *err, size_t errlen);
/* Back to the first frame. */
void sim_capture_rewind(struct sim_capture *c);

/* Writing: kimp_capture_format, _create and _append (kimp/capture.h). */
static inline ssize_t sim_capture_format(char *out, size_t cap, uint64_t t_ns,
					 const char *venue, unsigned opcode,
					 const void *payload, size_t len)
{
	return kimp_capture_format(out, cap, t_ns, venue, opcode, payload, len);
}

static inline int sim_capture_create(const char *path, char *err, size_t errlen)
{
	return kimp_capture_create(path, err, errlen);
}

static inline int sim_capture_append(int fd, char *scratch, size_t cap, uint64_t t_ns,
				     const char *venue, unsigned opcode, const void *payload,
				     size_t len)
{
	return kimp_capture_append(fd, scratch, cap, t_ns, venue, opcode, payload, len);
}

/*
 * When a frame received at t_ns is due, replaying from start_ns a capture
 * whose first frame was received at first_ns, at 'speed': 1 is the recorded
 * pace, 2 twice as fast, 0 (or less) as fast as possible (every frame is due
 * at start_ns). A frame from before first_ns is due at start_ns; a time
 * past the end of uint64 is UINT64_MAX.
 */
uint64_t sim_replay_due(uint64_t first_ns, uint64_t start_ns, double speed, uint64_t t_ns);

#endif
