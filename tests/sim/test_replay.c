/* SPDX-License-Identifier: MIT */
/*
 * Captures (sim/replay.c): frames written and read back byte for byte
 * (every escaped byte, binary zeros, a real Upbit message), the line
 * format, bad lines rejected with FILE:LINE, and the replay's pace.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../testutil.h"
#include "../../sim/replay.h"

static char dir[64];
static char path[128];
static char err[512];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimp-cap");
	snprintf(path, sizeof(path), "%s/t.cap", dir);
	err[0] = 0;
}

static void teardown(void)
{
	test_rmtree(dir);
}

TestSuite(replay, .init = setup, .fini = teardown);

static void put(const char *text, size_t len)
{
	test_write_file(path, text, len);
}

static char *slurp(size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 20);

	cr_assert_not_null(f);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

struct want {
	uint64_t t;
	const char *venue;
	unsigned op;
	const void *p;
	size_t n;
};

Test(replay, write_then_read_back)
{
	static const char escaped[] = "a\\b\nc\rd\\\\n\r\n\\";
	uint8_t every[256], zeros[64] = { 0 }, buf[8192];
	char *upbit = test_fixture_line("upbit-orderbook.jsonl", 0);
	char scratch[SIM_CAP_LINE_MAX(4096)];
	struct sim_capture c;
	struct sim_frame f;
	int fd, ret;

	cr_assert_not_null(upbit);
	for (unsigned i = 0; i < 256; i++)
		every[i] = (uint8_t)i;
	const struct want w[] = {
		{ 1746601573804000000ull, "upbit", SIM_CAP_OP_TEXT, upbit, strlen(upbit) },
		{ 1746601573804000001ull, "binance", SIM_CAP_OP_TEXT, escaped, sizeof(escaped) - 1 },
		{ 1746601573805000000ull, "upbit", SIM_CAP_OP_BINARY, every, sizeof(every) },
		{ 1746601573805000000ull, "bithumb_v2", SIM_CAP_OP_BINARY, zeros, sizeof(zeros) },
		{ 1746601573805000000ull, "x", SIM_CAP_OP_TEXT, "", 0 },
		{ 0, "okx-ws", SIM_CAP_OP_TEXT, " lead and trail ", 16 },
		{ UINT64_MAX, "upbit", SIM_CAP_OP_TEXT, "last", 4 },
	};
	const size_t nw = sizeof(w) / sizeof(w[0]);

	fd = sim_capture_create(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	for (size_t i = 0; i < nw; i++)
		cr_assert_eq(sim_capture_append(fd, scratch, sizeof(scratch), w[i].t, w[i].venue,
						w[i].op, w[i].p, w[i].n), 0, "frame %zu", i);
	cr_assert_eq(close(fd), 0);

	ret = sim_capture_open(&c, path, err, sizeof(err));
	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_eq(c.nframes, nw);
	cr_assert_eq(c.first_ns, w[0].t);
	cr_assert_eq(c.max_payload, strlen(upbit));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nw; i++) {
			memset(&f, 0xa5, sizeof(f));
			ret = sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err));
			cr_assert_eq(ret, 1, "frame %zu: %d %s", i, ret, err);
			cr_assert_eq(f.t_ns, w[i].t, "frame %zu", i);
			cr_assert_str_eq(f.venue, w[i].venue);
			cr_assert_eq(f.opcode, w[i].op);
			cr_assert_eq(f.len, w[i].n, "frame %zu", i);
			cr_assert_eq(memcmp(buf, w[i].p, w[i].n), 0, "frame %zu bytes", i);
			cr_assert_eq(f.line, i + 2);
		}
		cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 0);
		cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 0);
		sim_capture_rewind(&c);
	}
	sim_capture_close(&c);
	free(upbit);
}

Test(replay, the_line_format)
{
	static const uint8_t payload[] = { '{', '\\', '\n', '\r', 0, 0xff, '}' };
	static const char want[] = "1234 upbit b {\\\\\\n\\r\0\xff}\n";
	char out[64];
	ssize_t n;

	n = sim_capture_format(out, sizeof(out), 1234, "upbit", SIM_CAP_OP_BINARY, payload,
			       sizeof(payload));
	cr_assert_eq(n, (ssize_t)sizeof(want) - 1);
	cr_assert_eq(memcmp(out, want, sizeof(want) - 1), 0);
	n = sim_capture_format(out, sizeof(out), 0, "a", SIM_CAP_OP_TEXT, "", 0);
	cr_assert_eq(n, 7);
	cr_assert_eq(memcmp(out, "0 a t \n", 7), 0);
}

Test(replay, format_never_writes_past_cap)
{
	static const char payload[] = "x\\y\nz";
	char out[64];
	ssize_t full = sim_capture_format(out, sizeof(out), 99, "upbit", SIM_CAP_OP_TEXT,
					  payload, 5);

	cr_assert_eq(full, (ssize_t)strlen("99 upbit t x\\\\y\\nz\n"));
	cr_assert_leq((size_t)full, SIM_CAP_LINE_MAX(5));
	for (size_t cap = 0; cap < (size_t)full; cap++) {
		memset(out, '#', sizeof(out));
		cr_assert_eq(sim_capture_format(out, cap, 99, "upbit", SIM_CAP_OP_TEXT, payload, 5),
			     -ENOBUFS, "cap %zu", cap);
		for (size_t i = cap; i < sizeof(out); i++)
			cr_assert_eq(out[i], '#', "cap %zu: byte %zu written", cap, i);
	}
	cr_assert_eq(sim_capture_format(out, (size_t)full, 99, "upbit", SIM_CAP_OP_TEXT,
					payload, 5), full);
}

Test(replay, format_rejects_bad_venues_and_opcodes)
{
	char out[64];

	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "", 1, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "Upbit", 1, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "up bit", 1, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "a23456789012345", 1, "x", 1), 22);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "a234567890123456", 1, "x", 1),
		     -EINVAL);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "upbit", 0, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_format(out, sizeof(out), 1, "upbit", 9, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_append(-1, out, sizeof(out), 1, "upbit", 9, "x", 1), -EINVAL);
	cr_assert_eq(sim_capture_append(-1, out, 4, 1, "upbit", 1, "x", 1), -ENOBUFS);
	cr_assert_eq(sim_capture_append(-1, out, sizeof(out), 1, "upbit", 1, "x", 1), -EBADF);
}

Test(replay, create_appends_to_an_existing_capture)
{
	char scratch[128], *text;
	size_t len;
	int fd;

	fd = sim_capture_create(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(sim_capture_append(fd, scratch, sizeof(scratch), 1, "upbit", 1, "a", 1), 0);
	close(fd);
	fd = sim_capture_create(path, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(sim_capture_append(fd, scratch, sizeof(scratch), 2, "upbit", 1, "b", 1), 0);
	close(fd);
	text = slurp(&len);
	cr_assert_str_eq(text, "# kimp capture v1\n1 upbit t a\n2 upbit t b\n");
	free(text);
}

Test(replay, create_refuses_what_is_not_a_capture)
{
	char want[256];

	put("{\"not\":\"a capture\"}\n", 21);
	cr_assert_eq(sim_capture_create(path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: not a capture: the first line is not "
		 "'# kimp capture v1'", path);
	cr_assert_str_eq(err, want);
	put("# kimp", 6);
	cr_assert_eq(sim_capture_create(path, err, sizeof(err)), -EINVAL, "a short file");
	snprintf(want, sizeof(want), "%s/no/such/dir.cap", dir);
	cr_assert_eq(sim_capture_create(want, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open: No such file or directory"), "%s", err);
}

/* A capture of text must fail to open with "path:line: msg". */
static void open_fails(const char *text, size_t len, unsigned line, const char *msg)
{
	struct sim_capture c;
	char want[512];
	int ret;

	put(text, len);
	err[0] = 0;
	ret = sim_capture_open(&c, path, err, sizeof(err));
	cr_assert_null(c.buf, "a failed open holds nothing");
	sim_capture_close(&c);
	cr_assert_eq(ret, -EINVAL, "<%s> gave %d", text, ret);
	if (line)
		snprintf(want, sizeof(want), "%s:%u: %s", path, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", path, msg);
	cr_assert_str_eq(err, want);
}

#define H "# kimp capture v1\n1 upbit t {}\n"
#define OPEN_FAILS(text, line, msg) open_fails(text, sizeof(text) - 1, line, msg)

Test(replay, bad_lines_name_the_file_and_line)
{
	static const char bad_time[] = "expected the receive time (unix ns) and a space";
	static const char bad_venue[] = "expected a venue name (1 to 15 of a-z 0-9 _ -) after "
					"the time";
	static const char bad_op[] = "expected t (text) or b (binary) after the venue";

	OPEN_FAILS("", 1, "not a capture: the first line is not '# kimp capture v1'");
	OPEN_FAILS("# kimp capture v2\n", 1,
		   "not a capture: the first line is not '# kimp capture v1'");
	OPEN_FAILS("# kimp capture v1 \n", 1,
		   "not a capture: the first line is not '# kimp capture v1'");
	OPEN_FAILS(H "\n", 3, bad_time);
	OPEN_FAILS(H "upbit t {}\n", 3, bad_time);
	OPEN_FAILS(H "-1 upbit t {}\n", 3, bad_time);
	OPEN_FAILS(H "18446744073709551616 upbit t {}\n", 3, bad_time);
	OPEN_FAILS(H "12x upbit t {}\n", 3, bad_time);
	OPEN_FAILS(H "12  upbit t {}\n", 3, bad_venue);
	OPEN_FAILS(H "12 Upbit t {}\n", 3, bad_venue);
	OPEN_FAILS(H "12 upbit\n", 3, bad_venue);
	OPEN_FAILS(H "12 a234567890123456 t {}\n", 3, bad_venue);
	OPEN_FAILS(H "12 upbit x {}\n", 3, bad_op);
	OPEN_FAILS(H "12 upbit tt {}\n", 3, bad_op);
	OPEN_FAILS(H "12 upbit \n", 3, bad_op);
	OPEN_FAILS(H "12 upbit t {\\x}\n", 3, "unknown escape '\\x' (only \\\\ \\n \\r)");
	OPEN_FAILS(H "12 upbit t {\\\x01}\n", 3, "unknown escape '\\?' (only \\\\ \\n \\r)");
	OPEN_FAILS(H "12 upbit t {}\\\n", 3, "a backslash ends the line (write \\\\ for one)");
	OPEN_FAILS(H "12 upbit t {}\r\n", 3, "a raw carriage return (written \\r in a "
		   "capture; did the file go through a CRLF conversion?)");
	OPEN_FAILS(H "# a comment\n12 upbit t ok\n13 upbit q\n", 5, bad_op);
}

Test(replay, missing_file)
{
	struct sim_capture c;
	char want[256];

	snprintf(want, sizeof(want), "%s/none.cap", dir);
	cr_assert_eq(sim_capture_open(&c, want, err, sizeof(err)), -ENOENT);
	sim_capture_close(&c);
	cr_assert(strstr(err, "none.cap: cannot open: No such file or directory"), "%s", err);
	cr_assert_eq(sim_capture_open(&c, dir, err, sizeof(err)), -EINVAL);
	sim_capture_close(&c);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	cr_assert_str_eq(err, want);
}

Test(replay, comments_empty_frames_and_no_final_newline)
{
	static const char text[] = "# kimp capture v1\n# recorded by hand\n5 upbit t\n"
				   "6 upbit b \n# done\n7 binance t tail";
	struct sim_capture c;
	struct sim_frame f;
	char buf[16];

	put(text, sizeof(text) - 1);
	cr_assert_eq(sim_capture_open(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nframes, 3);
	cr_assert_eq(c.first_ns, 5);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 1);
	cr_assert(f.t_ns == 5 && f.len == 0 && f.opcode == SIM_CAP_OP_TEXT && f.line == 3);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 1);
	cr_assert(f.t_ns == 6 && f.len == 0 && f.opcode == SIM_CAP_OP_BINARY && f.line == 4);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 1);
	cr_assert(f.t_ns == 7 && f.len == 4 && !memcmp(buf, "tail", 4) && f.line == 6);
	cr_assert_str_eq(f.venue, "binance");
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 0);
	sim_capture_close(&c);
}

Test(replay, an_empty_capture_has_no_frames)
{
	struct sim_capture c;
	struct sim_frame f;
	char buf[4];

	put("# kimp capture v1\n", 18);
	cr_assert_eq(sim_capture_open(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.nframes, 0);
	cr_assert_eq(c.first_ns, 0);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 0);
	sim_capture_close(&c);
	put("# kimp capture v1", 17);
	cr_assert_eq(sim_capture_open(&c, path, err, sizeof(err)), 0, "no newline: %s", err);
	cr_assert_eq(c.nframes, 0);
	sim_capture_close(&c);
}

Test(replay, a_frame_too_big_for_the_buffer_is_skipped_with_a_message)
{
	static const char text[] = "# kimp capture v1\n1 upbit t 0123456789\n2 upbit t \\n\n";
	struct sim_capture c;
	struct sim_frame f;
	char buf[8], want[256];

	put(text, sizeof(text) - 1);
	cr_assert_eq(sim_capture_open(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.max_payload, 10);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), -EMSGSIZE);
	snprintf(want, sizeof(want), "%s:2: a frame of 10 bytes does not fit a buffer of 8",
		 path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(sim_capture_next(&c, &f, buf, sizeof(buf), err, sizeof(err)), 1);
	cr_assert(f.t_ns == 2 && f.len == 1 && buf[0] == '\n');
	sim_capture_close(&c);
}

/* ---- pace ------------------------------------------------------------------------- */

Test(replay, pace)
{
	const uint64_t first = 1746601573804000000ull, start = 5000000000ull;

	/* recorded pace: exact */
	cr_assert_eq(sim_replay_due(first, start, 1.0, first), start);
	cr_assert_eq(sim_replay_due(first, start, 1.0, first + 1), start + 1);
	cr_assert_eq(sim_replay_due(first, start, 1.0, first + 123456789012ull),
		     start + 123456789012ull);
	/* twice as fast, half as fast */
	cr_assert_eq(sim_replay_due(first, start, 2.0, first + 1000000000), start + 500000000);
	cr_assert_eq(sim_replay_due(first, start, 0.5, first + 1000000000), start + 2000000000);
	cr_assert_eq(sim_replay_due(first, start, 4.0, first + 3), start, "rounds down");
	/* as fast as possible */
	cr_assert_eq(sim_replay_due(first, start, 0.0, first + 1000000000), start);
	cr_assert_eq(sim_replay_due(first, start, -1.0, first + 1000000000), start);
	cr_assert_eq(sim_replay_due(first, start, __builtin_nan(""), first + 10), start);
	/* a frame from before the first is due at once */
	cr_assert_eq(sim_replay_due(first, start, 1.0, first - 1), start);
	cr_assert_eq(sim_replay_due(first, start, 3.0, 0), start);
	/* no wrap past the end of time */
	cr_assert_eq(sim_replay_due(0, UINT64_MAX - 5, 1.0, 10), UINT64_MAX);
	cr_assert_eq(sim_replay_due(0, UINT64_MAX - 5, 1.0, 5), UINT64_MAX);
	cr_assert_eq(sim_replay_due(0, UINT64_MAX - 5, 1.0, 4), UINT64_MAX - 1);
	cr_assert_eq(sim_replay_due(0, 1, 0.001, UINT64_MAX / 2), UINT64_MAX);
	cr_assert_eq(sim_replay_due(0, 0, 0.5, 1ull << 62), 1ull << 63);
}
