/* SPDX-License-Identifier: MIT */
/*
 * Captures, the writing side (libvenue/capture.c), where tests/sim/
 * test_replay.c does not reach: KIMP_CAP_LINE_MAX is exact for the worst
 * frame, an empty payload may be NULL, create wants the whole header line,
 * and its open and write errors name the path.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/capture.h"
#include "../testutil.h"

static char dir[64];
static char path[128];
static char err[512];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimp-capture");
	snprintf(path, sizeof(path), "%s/t.cap", dir);
	err[0] = 0;
}

static void teardown(void)
{
	test_rmtree(dir);
}

TestSuite(capture, .init = setup, .fini = teardown);

static void put(const char *text, size_t len)
{
	test_write_file(path, text, len);
}

static void file_is(const char *want)
{
	char buf[256] = { 0 };
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	cr_assert_eq(n, strlen(want), "<%s>", buf);
	cr_assert_str_eq(buf, want);
}

Test(capture, line_max_is_exact_for_the_worst_frame)
{
	static char out[KIMP_CAP_LINE_MAX(64) + 8];
	uint8_t payload[64];

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = "\\\n\r"[i % 3];
	/* the longest time, the longest venue, every byte escaped */
	cr_assert_eq(kimp_capture_format(out, sizeof(out), UINT64_MAX, "a23456789012345",
					 KIMP_CAP_OP_BINARY, payload, sizeof(payload)),
		     (ssize_t)KIMP_CAP_LINE_MAX(sizeof(payload)));
	cr_assert_eq(memcmp(out, "18446744073709551615 a23456789012345 b \\\\\\n\\r", 45), 0);
	cr_assert_eq(out[KIMP_CAP_LINE_MAX(sizeof(payload)) - 1], '\n');
	cr_assert_eq(kimp_capture_format(out, KIMP_CAP_LINE_MAX(sizeof(payload)) - 1,
					 UINT64_MAX, "a23456789012345", KIMP_CAP_OP_BINARY,
					 payload, sizeof(payload)), -ENOBUFS);
	/* and the fixed part alone: cap 0 writes nothing */
	cr_assert_eq(kimp_capture_format(out, 0, 1, "x", KIMP_CAP_OP_TEXT, "", 0), -ENOBUFS);
	cr_assert_eq(kimp_capture_format(out, 6, 1, "x", KIMP_CAP_OP_TEXT, "", 0), -ENOBUFS);
	cr_assert_eq(kimp_capture_format(out, 7, 1, "x", KIMP_CAP_OP_TEXT, "", 0), 7);
}

Test(capture, an_empty_payload_may_be_null)
{
	char out[32];

	cr_assert_eq(kimp_capture_format(out, sizeof(out), 5, "x", KIMP_CAP_OP_BINARY, NULL, 0), 7);
	cr_assert_eq(memcmp(out, "5 x b \n", 7), 0);
}

Test(capture, create_wants_the_whole_header_line)
{
	char scratch[64];
	int fd;

	put("# kimp capture v1", 17);
	cr_assert_eq(kimp_capture_create(path, err, sizeof(err)), -EINVAL, "no newline");
	put("# kimp capture v1\r\n", 19);
	cr_assert_eq(kimp_capture_create(path, err, sizeof(err)), -EINVAL, "CRLF");
	put("# kimp capture v1\n# a note\n", 27);
	fd = kimp_capture_create(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(kimp_capture_append(fd, scratch, sizeof(scratch), 7, "upbit",
					 KIMP_CAP_OP_TEXT, "\\", 1), 0);
	cr_assert_eq(close(fd), 0);
	file_is("# kimp capture v1\n# a note\n7 upbit t \\\\\n");
}

Test(capture, create_and_append_report_errors_with_the_path)
{
	char scratch[64], want[256];
	int fd;

	/* a write that fails: the header on a full device */
	cr_assert_eq(kimp_capture_create("/dev/full", err, sizeof(err)), -ENOSPC);
	cr_assert_str_eq(err, "/dev/full: cannot write: No space left on device");
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(kimp_capture_append(fd, scratch, sizeof(scratch), 1, "upbit",
					 KIMP_CAP_OP_TEXT, "x", 1), -ENOSPC);
	close(fd);
	/* a directory */
	cr_assert_eq(kimp_capture_create(dir, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), "%s: cannot open: Is a directory", dir);
	cr_assert_str_eq(err, want);
	/* no message buffer is fine */
	snprintf(want, sizeof(want), "%s/no/such.cap", dir);
	cr_assert_eq(kimp_capture_create(want, NULL, 0), -ENOENT);
	put("{}", 2);
	cr_assert_eq(kimp_capture_create(path, NULL, 0), -EINVAL);
}
