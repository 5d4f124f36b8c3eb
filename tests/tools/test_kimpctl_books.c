/* SPDX-License-Identifier: MIT */
/*
 * kimpctl books end to end: build a book table like feedd's in a segment of
 * a private directory, run the built binary on it (build/kimpctl, or
 * $KIMPCTL) and check every value it prints.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/book.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/tsc.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"

static struct tenv env;
static char cfg[128];
static char seg_name[SHM_NAME_MAX];

#define NBOOKS     4
#define SLOT_BUSY  2
#define AGE0_S     60ull   /* book 0's last update is at least this old */
#define STATUS0_S  120ull
#define SEC        1000000000ull

/* ---- fixture -------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "open %s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void level(struct kimp_level *l, int64_t px, int64_t qty)
{
	l->px = px;
	l->qty = qty;
}

/* A fresh segment seg_name with nothing in it; the caller detaches. */
static void make_seg(struct shm_seg *s)
{
	cr_assert_eq(shm_seg_create(s, seg_name, 1 << 20, &env.o), 0, "%s", shm_last_error());
}

/*
 * The table the tests read:
 *  0  upbit inst 7, live, 3 bids and 4 asks, px_dec 2, qty_dec 4
 *  1  binance inst 8, stale (quiet), one bid, no asks, never received, dec 8
 *  2  a record whose writer died mid-write: its sequence stays odd
 *  3  never written: all zeros
 */
static void make_books(void)
{
	struct kimp_book b;
	struct shm_seqtab *t;
	struct shm_seg s;
	uint64_t now = kimp_mono_ns();

	cr_assert_gt(now, STATUS0_S * SEC, "CLOCK_MONOTONIC is past %llu s",
		     (unsigned long long)STATUS0_S);
	make_seg(&s);
	cr_assert_eq(shm_seqtab_create(&s, KIMP_BOOK_REGION, sizeof(struct kimp_book),
				       NBOOKS, &t), 0, "%s", shm_last_error());

	memset(&b, 0, sizeof(b));
	b.venue = KIMP_VENUE_UPBIT;
	b.status = KIMP_BOOK_LIVE;
	b.reason = KIMP_BOOK_R_NONE;
	b.inst = 7;
	b.px_dec = 2;
	b.qty_dec = 4;
	b.slot = 0;
	b.venue_ts_ns = 1700000000123456789;
	b.recv_mono_ns = now - AGE0_S * SEC;
	b.status_mono_ns = now - STATUS0_S * SEC;
	b.update_count = 42;
	b.update_id = 1001;
	b.nbids = 3;
	level(&b.bids[0], 10025, 25000);   /* 100.25 x 2.5 */
	level(&b.bids[1], 10000, 10000);   /* 100    x 1 */
	level(&b.bids[2], 9950, 1);        /* 99.5   x 0.0001 */
	b.nasks = 4;
	level(&b.asks[0], 10050, 15000);   /* 100.5  x 1.5 */
	level(&b.asks[1], 10075, 30000);   /* 100.75 x 3 */
	level(&b.asks[2], 10100, 123456);  /* 101    x 12.3456 */
	level(&b.asks[3], 10200, 70000);   /* 102    x 7: past --depth 3 */
	/* past nbids: must never be printed */
	level(&b.bids[3], 7777, 7777);
	shm_seqtab_write(t, 0, &b);

	memset(&b, 0, sizeof(b));
	b.venue = KIMP_VENUE_BINANCE;
	b.status = KIMP_BOOK_STALE;
	b.reason = KIMP_BOOK_R_QUIET;
	b.inst = 8;
	b.px_dec = 8;
	b.qty_dec = 8;
	b.slot = 1;
	b.update_count = 5;
	b.nbids = 1;
	level(&b.bids[0], 1, 12300000000); /* 0.00000001 x 123 */
	shm_seqtab_write(t, 1, &b);

	memset(&b, 0, sizeof(b));
	b.venue = KIMP_VENUE_UPBIT;
	b.inst = 99;
	b.slot = SLOT_BUSY;
	shm_seqtab_write(t, SLOT_BUSY, &b);
	/* a writer that died mid-write leaves its record's sequence odd */
	shm_seq_write_begin(shm_seqtab_lock(t, SLOT_BUSY));

	shm_seg_detach(&s);
}

static void setup(void)
{
	char text[512];

	tenv_init(&env);
	snprintf(seg_name, sizeof(seg_name), "books-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	snprintf(text, sizeof(text), "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n",
		 env.dir, env.dir);
	write_file(cfg, text);
}

static void teardown(void)
{
	int err = shm_seg_remove(seg_name, &env.o);

	cr_expect(err == 0 || err == -ENOENT, "remove %s: %s", seg_name, strerror(-err));
	unlink(cfg);
	tenv_fini(&env);
}

TestSuite(kimpctl_books, .init = setup, .fini = teardown);

/* ---- running the binary --------------------------------------------------- */

static struct run r;

/* Run kimpctl -c cfg with the NULL-terminated args. Fills r. */
static void run(const char *const *args)
{
	ctl_run_conf(&r, env.dir, cfg, args);
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

#define assert_status(n) ctl_assert_status(r, n)

/* ---- reading what it printed ---------------------------------------------- */

/* Line 'n' (from 0) of text, squeezed, into buf; NULL past the end. */
static char *line_at(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p || !*p)
		return NULL;
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return squeeze(buf);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}


/* ---- text ----------------------------------------------------------------- */

/* "<n> s" at the start of p: n, which must be at least 'min' seconds. */
static void assert_age_s(const char *p, uint64_t min)
{
	char *end;
	double v = strtod(p, &end);

	cr_assert(end != p && !strncmp(end, " s ", 3), "an age in seconds: '%s'", p);
	cr_assert_geq(v, (double)min, "age %f below %llu s", v, (unsigned long long)min);
}

Test(kimpctl_books, text_one_line_per_book)
{
	static const char pre0[] = "0 upbit 7 live none ";
	static const char post0[] = " s 42 1001 2.5 100.25 100.5 1.5 0.25";
	char line[512];

	make_books();
	RUN("books", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	cr_assert_not_null(line_at(r.out, 0, line, sizeof(line)));
	cr_assert(!strncmp(line, "segment books-", 14) && strstr(line, ": 4 books"), "%s", line);
	cr_assert_str_eq(line_at(r.out, 1, line, sizeof(line)),
			 "SLOT VENUE INST STATUS REASON AGE UPDATES UPDATE_ID BID_QTY BID ASK "
			 "ASK_QTY SPREAD");

	cr_assert_not_null(line_at(r.out, 2, line, sizeof(line)));
	cr_assert(!strncmp(line, pre0, strlen(pre0)), "'%s'", line);
	assert_age_s(line + strlen(pre0), AGE0_S);
	cr_assert(strlen(line) > strlen(post0) &&
		  !strcmp(line + strlen(line) - strlen(post0), post0), "'%s'", line);

	/* no asks: no ask, no spread; never received: age never */
	cr_assert_str_eq(line_at(r.out, 3, line, sizeof(line)),
			 "1 binance 8 stale quiet never 5 0 123 0.00000001 - - -");
	/* the odd sequence: busy, nothing of the record shown */
	cr_assert_str_eq(line_at(r.out, 4, line, sizeof(line)),
			 "2 - - busy - - - - - - - - -");
	cr_assert_str_eq(line_at(r.out, 5, line, sizeof(line)),
			 "3 0 0 empty none never 0 0 - - - - -");
	cr_assert_null(line_at(r.out, 6, line, sizeof(line)), "%s", r.out);
}

Test(kimpctl_books, depth_shows_levels_best_first)
{
	static const char *const want[] = {
		"LEVEL BID_QTY BID ASK ASK_QTY",
		"1 2.5 100.25 100.5 1.5",
		"2 1 100 100.75 3",
		"3 0.0001 99.5 101 12.3456",
	};
	const char *body;
	char line[512];
	int n;

	make_books();
	RUN("books", seg_name, "--depth", "3");
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	cr_assert_not_null(line_at(r.out, 2, line, sizeof(line)));
	cr_assert(!strncmp(line, "0 upbit 7 live", 14), "%s", line);
	/* level lines are indented under their book */
	cr_assert_not_null(strstr(r.out, "\n      LEVEL"), "%s", r.out);
	for (n = 0; n < 4; n++)
		cr_assert_str_eq(line_at(r.out, 3 + n, line, sizeof(line)) + 1, want[n],
				 "level line %d:\n%s", n, r.out);
	/* the 4th ask and anything past nbids stay out (the title has a pid) */
	body = strchr(r.out, '\n');
	cr_assert_null(strstr(body, "102"), "%s", r.out);
	cr_assert_null(strstr(body, "77.77"), "%s", r.out);

	cr_assert(!strncmp(line_at(r.out, 7, line, sizeof(line)), "1 binance", 9), "%s", r.out);
	cr_assert_str_eq(line_at(r.out, 8, line, sizeof(line)), " " "LEVEL BID_QTY BID ASK ASK_QTY");
	cr_assert_str_eq(line_at(r.out, 9, line, sizeof(line)), " 1 123 0.00000001 - -");
	/* busy and empty books have no level lines */
	cr_assert(!strncmp(line_at(r.out, 10, line, sizeof(line)), "2 - - busy", 10), "%s", r.out);
	cr_assert(!strncmp(line_at(r.out, 11, line, sizeof(line)), "3 0 0 empty", 11), "%s", r.out);
	cr_assert_null(line_at(r.out, 12, line, sizeof(line)), "%s", r.out);
	cr_assert_eq(count_of(r.out, "LEVEL"), 2, "%s", r.out);

	/* --depth=N says the same */
	RUN("books", "--depth=1", seg_name);
	assert_status(0);
	cr_assert_eq(count_of(r.out, "LEVEL"), 2, "%s", r.out);
	cr_assert_str_eq(line_at(r.out, 4, line, sizeof(line)), " 1 2.5 100.25 100.5 1.5");
	cr_assert_null(strstr(r.out, "100.75"), "%s", r.out);
}

/* ---- JSON ----------------------------------------------------------------- */

Test(kimpctl_books, json_every_value)
{
	char want[256];
	const char *b1;

	make_books();
	RUN("books", "--json", seg_name, "--depth", "3");
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	assert_json(r.out);
	compact(r.out);

	snprintf(want, sizeof(want), "{\"segment\":\"%s\",\"path\":\"%s/" SHM_FILE_PREFIX
		 "%s\",\"region\":\"books\",\"count\":4,\"depth\":3,\"books\":[", seg_name,
		 env.dir, seg_name);
	cr_assert(!strncmp(r.out, want, strlen(want)), "'%s' in:\n%s", want, r.out);

	assert_has(r.out, "{\"slot\":0,\"venue\":\"upbit\",\"venue_id\":1,\"inst\":7,"
		   "\"status\":\"live\",\"reason\":\"none\",\"age_ns\":");
	cr_assert_geq(number_after(r.out, "\"age_ns\":"), AGE0_S * SEC);
	cr_assert_geq(number_after(r.out, "\"status_age_ns\":"), STATUS0_S * SEC);
	assert_has(r.out, "\"venue_time\":\"2023-11-14T22:13:20.123Z\","
		   "\"venue_ts_ns\":1700000000123456789,\"update_count\":42,"
		   "\"update_id\":1001,\"px_dec\":2,\"qty_dec\":4,\"nbids\":3,\"nasks\":4,"
		   "\"bid\":{\"px\":\"100.25\",\"qty\":\"2.5\"},"
		   "\"ask\":{\"px\":\"100.5\",\"qty\":\"1.5\"},\"spread\":\"0.25\","
		   "\"bids\":[{\"px\":\"100.25\",\"qty\":\"2.5\"},{\"px\":\"100\",\"qty\":\"1\"},"
		   "{\"px\":\"99.5\",\"qty\":\"0.0001\"}],"
		   "\"asks\":[{\"px\":\"100.5\",\"qty\":\"1.5\"},{\"px\":\"100.75\",\"qty\":\"3\"},"
		   "{\"px\":\"101\",\"qty\":\"12.3456\"}]}");

	b1 = strstr(r.out, "{\"slot\":1,");
	cr_assert_not_null(b1, "%s", r.out);
	assert_has(b1, "{\"slot\":1,\"venue\":\"binance\",\"venue_id\":4,\"inst\":8,"
		   "\"status\":\"stale\",\"reason\":\"quiet\",\"age_ns\":null,\"status_age_ns\":null,"
		   "\"venue_time\":null,\"venue_ts_ns\":0,\"update_count\":5,\"update_id\":0,"
		   "\"px_dec\":8,\"qty_dec\":8,\"nbids\":1,\"nasks\":0,"
		   "\"bid\":{\"px\":\"0.00000001\",\"qty\":\"123\"},\"ask\":null,\"spread\":null,"
		   "\"bids\":[{\"px\":\"0.00000001\",\"qty\":\"123\"}],\"asks\":[]}");
	assert_has(r.out, "{\"slot\":2,\"status\":\"busy\"}");
	assert_has(r.out, "{\"slot\":3,\"venue\":\"0\",\"venue_id\":0,\"inst\":0,"
		   "\"status\":\"empty\",\"reason\":\"none\",\"age_ns\":null");
	cr_assert(!strcmp(r.out + strlen(r.out) - 3, "}]}"), "%s", r.out);

	/* without --depth: best levels only */
	RUN("books", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"depth\":0,");
	assert_has(r.out, "\"spread\":\"0.25\"}");
	cr_assert_null(strstr(r.out, "\"bids\""), "%s", r.out);
}

/* ---- odd records ---------------------------------------------------------- */

Test(kimpctl_books, odd_values_are_shown_as_they_are)
{
	struct kimp_book b;
	struct shm_seqtab *t;
	struct shm_seg s;

	make_seg(&s);
	cr_assert_eq(shm_seqtab_create(&s, KIMP_BOOK_REGION, sizeof(struct kimp_book), 2, &t), 0);
	/* crossed: a negative spread; a venue libvenue has no table for */
	memset(&b, 0, sizeof(b));
	b.venue = KIMP_VENUE_SIM;
	b.status = KIMP_BOOK_RESYNCING;
	b.reason = KIMP_BOOK_R_CROSSED;
	b.inst = 3;
	b.nbids = b.nasks = 1;
	level(&b.bids[0], 1010, 5);
	level(&b.asks[0], 1005, 1);
	b.px_dec = 1;
	b.update_id = UINT64_MAX;
	shm_seqtab_write(t, 0, &b);
	/* corrupt: more levels than a record holds, decimals no venue has */
	memset(&b, 0, sizeof(b));
	b.venue = 200;
	b.status = 77;
	b.reason = 999;
	b.nbids = 200;
	for (int i = 0; i < KIMP_BOOK_LEVELS; i++)
		level(&b.bids[i], 1000 - i, 1);
	b.px_dec = 40;
	b.qty_dec = 18;
	b.update_count = UINT64_MAX;
	shm_seqtab_write(t, 1, &b);
	shm_seg_detach(&s);

	RUN("books", seg_name, "--depth", "32");
	assert_status(0);
	assert_has(r.out, "resyncing");
	squeeze(r.out);
	assert_has(r.out, "\n0 7 3 resyncing crossed never 0 18446744073709551615 5 101 "
		   "100.5 1 -0.5\n");
	assert_has(r.out, "\n1 200 0 ? ? never 18446744073709551615 0 0.000000000000000001 "
		   "1000e-40 - - -\n");
	/* 32 levels, not 200 */
	assert_has(r.out, "\n 32 0.000000000000000001 969e-40 - -\n");
	cr_assert_null(strstr(r.out, "\n 33 "), "%s", r.out);

	RUN("books", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"venue\":\"7\",\"venue_id\":7,");
	assert_has(r.out, "\"spread\":\"-0.5\"");
	assert_has(r.out, "\"status\":\"?\",\"reason\":\"?\"");
	assert_has(r.out, "\"bid\":{\"px\":\"1000e-40\",\"qty\":\"0.000000000000000001\"}");
}

/* ---- errors --------------------------------------------------------------- */

Test(kimpctl_books, missing_segment_is_named)
{
	RUN("books", "nosuch");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "kimpctl: books: segment 'nosuch' not found");

	/* the default is feedd's */
	RUN("books");
	assert_status(1);
	assert_has(r.err, "segment 'feedd' not found");
	RUN("books", "--json");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
}

Test(kimpctl_books, segment_without_book_table)
{
	struct shm_seg s;
	char want[128];

	make_seg(&s);
	shm_seg_detach(&s);
	RUN("books", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: books: segment '%s' has no book table "
		 "(region 'books')", seg_name);
	assert_has(r.err, want);
}

Test(kimpctl_books, books_region_of_another_kind)
{
	struct shm_seg s;
	void *p;

	make_seg(&s);
	cr_assert_eq(shm_region_add(&s, KIMP_BOOK_REGION, 4096, SHM_REGION_RAW, &p), 0);
	shm_seg_detach(&s);
	RUN("books", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "region 'books'");
	assert_has(r.err, "is not a valid seqlock table");
}

Test(kimpctl_books, books_table_of_another_record_size)
{
	struct shm_seqtab *t;
	struct shm_seg s;
	char want[128];

	make_seg(&s);
	cr_assert_eq(shm_seqtab_create(&s, KIMP_BOOK_REGION, 56, 4, &t), 0);
	shm_seg_detach(&s);
	RUN("books", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "region 'books' holds records of 56 bytes, a book is %zu",
		 sizeof(struct kimp_book));
	assert_has(r.err, want);
}

Test(kimpctl_books, region_outside_the_segment)
{
	struct shm_region_ent *e;
	struct shm_seqtab *t;
	struct shm_seg s;

	make_seg(&s);
	cr_assert_eq(shm_seqtab_create(&s, KIMP_BOOK_REGION, sizeof(struct kimp_book), 1, &t), 0);
	e = (struct shm_region_ent *)shm_region_find(&s, KIMP_BOOK_REGION);
	e->off = s.size - 64;
	shm_seg_detach(&s);
	RUN("books", seg_name);
	assert_status(1);
	assert_has(r.err, "region 'books' lies outside the segment");
}

Test(kimpctl_books, usage_errors)
{
	static const char *const bad_depth[] = { "33", "x", "-1", "", "3x" };

	make_books();
	for (size_t i = 0; i < sizeof(bad_depth) / sizeof(bad_depth[0]); i++) {
		RUN("books", seg_name, "--depth", bad_depth[i]);
		assert_status(2);
		cr_assert_str_eq(r.out, "");
		assert_has(r.err, "--depth '");
		assert_has(r.err, "not a number of levels 0..32");
		assert_has(r.err, "usage:");
	}
	RUN("books", seg_name, "--depth");
	assert_status(2);
	assert_has(r.err, "--depth needs a number");

	RUN("books", "--bogus");
	assert_status(2);
	assert_has(r.err, "unknown option '--bogus'");

	RUN("books", seg_name, "other");
	assert_status(2);
	assert_has(r.err, "unexpected 'other' (one SEGMENT only)");

	RUN("books", "--help");
	assert_status(0);
	assert_has(r.out, "books [SEGMENT] [--depth N] [--json]");

	RUN("help");
	assert_status(0);
	assert_has(r.out, "books [SEGMENT] [--depth N] [--json]");
	assert_has(r.out, "shm inspect");

	/* --depth 0 is no levels */
	RUN("books", seg_name, "--depth", "0");
	assert_status(0);
	cr_assert_null(strstr(r.out, "LEVEL"), "%s", r.out);
}
