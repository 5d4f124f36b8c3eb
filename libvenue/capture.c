/* SPDX-License-Identifier: MIT */
/*
 * Captures (kimp/capture.h): formatting a frame as a line, and the file
 * I/O that creates a capture and appends to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/capture.h"

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

ssize_t kimp_capture_format(char *out, size_t cap, uint64_t t_ns, const char *venue,
			    unsigned opcode, const void *payload, size_t len)
{
	const uint8_t *s = payload;
	char digits[20];
	size_t o = 0, nd = 0, nv = strlen(venue);

	if (!nv || nv >= KIMP_CAP_VENUE_MAX ||
	    (opcode != KIMP_CAP_OP_TEXT && opcode != KIMP_CAP_OP_BINARY))
		return -EINVAL;
	for (size_t i = 0; i < nv; i++)
		if (!kimp_capture_venue_char(venue[i]))
			return -EINVAL;
	do {
		digits[nd++] = (char)('0' + t_ns % 10);
		t_ns /= 10;
	} while (t_ns);
	/* the fixed part: time, venue, opcode, three spaces and the newline */
	if (cap < nd + nv + 5)
		return -ENOBUFS;
	while (nd)
		out[o++] = digits[--nd];
	out[o++] = ' ';
	memcpy(out + o, venue, nv);
	o += nv;
	out[o++] = ' ';
	out[o++] = opcode == KIMP_CAP_OP_TEXT ? 't' : 'b';
	out[o++] = ' ';
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = s[i];
		char esc = ch == '\\' ? '\\' : ch == '\n' ? 'n' : ch == '\r' ? 'r' : 0;

		/* room for this byte (two if escaped) and the newline */
		if (o + (esc ? 2 : 1) + 1 > cap)
			return -ENOBUFS;
		if (esc) {
			out[o++] = '\\';
			out[o++] = esc;
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o++] = '\n';
	return (ssize_t)o;
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

int kimp_capture_create(const char *path, char *err, size_t errlen)
{
	char head[KIMP_CAP_HEADER_LEN + 1];
	struct stat st;
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		cap_err(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		cap_err(err, errlen, "%s: %s", path, strerror(-ret));
		goto close_fd;
	}
	if (!st.st_size) {
		ret = write_all(fd, KIMP_CAP_HEADER "\n", KIMP_CAP_HEADER_LEN + 1);
		if (ret)
			cap_err(err, errlen, "%s: cannot write: %s", path, strerror(-ret));
		else
			return fd;
		goto close_fd;
	}
	/* check what is there with a second, readable descriptor */
	ret = open(path, O_RDONLY | O_CLOEXEC);
	if (ret >= 0) {
		ssize_t r = pread(ret, head, sizeof(head), 0);

		close(ret);
		ret = 0;
		if (r == (ssize_t)sizeof(head) &&
		    !memcmp(head, KIMP_CAP_HEADER "\n", sizeof(head)))
			return fd;
	}
	ret = -EINVAL;
	cap_err(err, errlen, "%s:1: not a capture: the first line is not '%s'", path,
		KIMP_CAP_HEADER);
close_fd:
	close(fd);
	return ret;
}

int kimp_capture_append(int fd, char *scratch, size_t cap, uint64_t t_ns, const char *venue,
			unsigned opcode, const void *payload, size_t len)
{
	ssize_t n = kimp_capture_format(scratch, cap, t_ns, venue, opcode, payload, len);

	if (n < 0)
		return (int)n;
	return write_all(fd, scratch, (size_t)n);
}
