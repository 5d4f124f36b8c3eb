/* SPDX-License-Identifier: MIT */
/*
 * Captures (replay.h): reading one back for replay, and the replay's pace.
 * Writing them is libvenue's (libvenue/capture.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "replay.h"

#define HEADER_LEN KIMP_CAP_HEADER_LEN

static void cap_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cap_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- reading ---------------------------------------------------------------- */

/*
 * Parse the frame in line p[0..n) (no newline). out NULL: only check it and
 * measure the payload. 0, -EINVAL or -EMSGSIZE with "FILE:LINE: why".
 */
static int parse_frame(const struct sim_capture *c, const char *p, size_t n, unsigned line,
		       struct sim_frame *f, uint8_t *out, size_t cap, char *err,
		       size_t errlen)
{
	size_t i = 0, v0, len = 0;
	uint64_t t = 0;

	if (i == n || p[i] < '0' || p[i] > '9')
		goto bad_time;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (t > (UINT64_MAX - d) / 10)
			goto bad_time;
		t = t * 10 + d;
	}
	if (i == n || p[i] != ' ')
		goto bad_time;
	v0 = ++i;
	while (i < n && kimp_capture_venue_char(p[i]))
		i++;
	if (i == v0 || i - v0 >= SIM_CAP_VENUE_MAX || i == n || p[i] != ' ') {
		cap_err(err, errlen, "%s:%u: expected a venue name (1 to %d of a-z 0-9 _ -) "
			"after the time", c->path, line, SIM_CAP_VENUE_MAX - 1);
		return -EINVAL;
	}
	memcpy(f->venue, p + v0, i - v0);
	f->venue[i - v0] = 0;
	i++;
	if (i == n || (p[i] != 't' && p[i] != 'b') || (i + 1 < n && p[i + 1] != ' ')) {
		cap_err(err, errlen, "%s:%u: expected t (text) or b (binary) after the venue",
			c->path, line);
		return -EINVAL;
	}
	f->opcode = p[i] == 't' ? SIM_CAP_OP_TEXT : SIM_CAP_OP_BINARY;
	i += 2;         /* past the opcode and the space (or the end of an empty frame) */
	for (; i < n; i++, len++) {
		uint8_t ch = (uint8_t)p[i];

		if (ch == '\r') {
			cap_err(err, errlen, "%s:%u: a raw carriage return (written \\r in a "
				"capture; did the file go through a CRLF conversion?)",
				c->path, line);
			return -EINVAL;
		}
		if (ch == '\\') {
			if (++i == n) {
				cap_err(err, errlen, "%s:%u: a backslash ends the line (write "
					"\\\\ for one)", c->path, line);
				return -EINVAL;
			}
			if (p[i] == 'n')
				ch = '\n';
			else if (p[i] == 'r')
				ch = '\r';
			else if (p[i] == '\\')
				ch = '\\';
			else {
				cap_err(err, errlen, "%s:%u: unknown escape '\\%c' (only \\\\ "
					"\\n \\r)", c->path, line,
					p[i] >= ' ' && p[i] < 0x7f ? p[i] : '?');
				return -EINVAL;
			}
		}
		if (out && len < cap)
			out[len] = ch;
	}
	f->t_ns = t;
	f->len = len;
	f->line = line;
	if (out && len > cap) {
		cap_err(err, errlen, "%s:%u: a frame of %zu bytes does not fit a buffer of "
			"%zu", c->path, line, len, cap);
		return -EMSGSIZE;
	}
	return 0;

bad_time:
	cap_err(err, errlen, "%s:%u: expected the receive time (unix ns) and a space",
		c->path, line);
	return -EINVAL;
}

/* The line at *off: its start and length (no newline); *off moves past it. */
static const char *next_line(const struct sim_capture *c, size_t *off, size_t *n)
{
	const char *p = c->buf + *off;
	const char *nl = memchr(p, '\n', c->len - *off);

	*n = nl ? (size_t)(nl - p) : c->len - *off;
	*off += *n + (nl ? 1 : 0);
	return p;
}

static int read_file(struct sim_capture *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		cap_err(err, errlen, "%s: cannot open: %s", c->path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		cap_err(err, errlen, "%s: %s", c->path, strerror(-ret));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		cap_err(err, errlen, "%s: not a regular file", c->path);
		goto close_fd;
	}
	c->buf = malloc((size_t)st.st_size + 1);
	if (!c->buf) {
		ret = -ENOMEM;
		cap_err(err, errlen, "%s: no memory for %lld bytes", c->path,
			(long long)st.st_size);
		goto close_fd;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, c->buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			cap_err(err, errlen, "%s: cannot read: %s", c->path, strerror(-ret));
			goto close_fd;
		}
		if (!r)
			break;          /* it shrank: take what there is */
		got += (size_t)r;
	}
	c->buf[got] = 0;
	c->len = got;
close_fd:
	close(fd);
	return ret;
}

int sim_capture_open(struct sim_capture *c, const char *path, char *err, size_t errlen)
{
	struct sim_frame f;
	size_t off = 0, n;
	const char *p;
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	ret = read_file(c, path, err, errlen);
	if (ret)
		goto free_buf;
	p = next_line(c, &off, &n);
	if (n != HEADER_LEN || memcmp(p, SIM_CAP_HEADER, HEADER_LEN)) {
		cap_err(err, errlen, "%s:1: not a capture: the first line is not '%s'",
			c->path, SIM_CAP_HEADER);
		ret = -EINVAL;
		goto free_buf;
	}
	c->body = off;
	for (unsigned line = 2; off < c->len; line++) {
		p = next_line(c, &off, &n);
		if (n && p[0] == '#')
			continue;
		ret = parse_frame(c, p, n, line, &f, NULL, 0, err, errlen);
		if (ret)
			goto free_buf;
		if (!c->nframes)
			c->first_ns = f.t_ns;
		c->nframes++;
		if (f.len > c->max_payload)
			c->max_payload = f.len;
	}
	sim_capture_rewind(c);
	return 0;

free_buf:
	sim_capture_close(c);
	return ret;
}

void sim_capture_close(struct sim_capture *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->off = c->body = 0;
}

void sim_capture_rewind(struct sim_capture *c)
{
	c->off = c->body;
	c->line = 2;
}

int sim_capture_next(struct sim_capture *c, struct sim_frame *f, void *buf, size_t cap,
		     char *err, size_t errlen)
{
	while (c->off < c->len) {
		unsigned line = c->line++;
		size_t n;
		const char *p = next_line(c, &c->off, &n);
		int ret;

		if (n && p[0] == '#')
			continue;
		ret = parse_frame(c, p, n, line, f, buf, cap, err, errlen);
		return ret ? ret : 1;
	}
	return 0;
}

/* ---- pace ----------------------------------------------------------------------- */

uint64_t sim_replay_due(uint64_t first_ns, uint64_t start_ns, double speed, uint64_t t_ns)
{
	uint64_t since, room = UINT64_MAX - start_ns;
	double d;

	if (!(speed > 0) || t_ns <= first_ns)
		return start_ns;
	since = t_ns - first_ns;
	if (speed == 1.0)
		return since > room ? UINT64_MAX : start_ns + since;
	d = (double)since / speed;
	/* (double)room may round up past room: compare before converting */
	if (d >= (double)room)
		return UINT64_MAX;
	return start_ns + (uint64_t)d;
}
