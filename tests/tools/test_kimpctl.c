/* SPDX-License-Identifier: MIT */
/*
 * kimpctl end to end: build a segment in a private directory, run the built
 * binary against it (build/kimpctl, or $KIMPCTL) and check what it says.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"

static struct tenv env;
static char cfg[128];

/* What the fixture puts in segment t1. */
#define MD_SLOTS     1024
#define ORDER_SLOTS  256
#define MD_PUBLISHED 3
#define BOOK_ODD_REC 5

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0, "open %s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void make_t1(void)
{
	struct shm_ring *md, *orders;
	struct shm_ring_prod prod;
	struct shm_metrics *m;
	struct shm_seqtab *t;
	struct shm_hist *h;
	struct shm_seg s;
	char msg[64] = { 0 };

	cr_assert_eq(shm_seg_create(&s, "t1", 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(shm_ring_create(&s, "md", 64, MD_SLOTS, SHM_RING_CONFLATE, NULL, &md), 0);
	/* a second ring on md's doorbell: inspect must follow bell_off */
	cr_assert_eq(shm_ring_create(&s, "orders", 128, ORDER_SLOTS, 0,
				     shm_ring_doorbell(md), &orders), 0);
	cr_assert_eq(shm_seqtab_create(&s, "book", 56, 16, &t), 0);
	cr_assert_eq(shm_metrics_create(&s, "feedd.m", "feedd", 8, 4, 2, &m), 0);

	cr_assert_eq(shm_ring_producer(md, &prod), 0);
	for (int i = 0; i < MD_PUBLISHED; i++)
		cr_assert_eq(shm_ring_push(&prod, msg, sizeof(msg)), 0);
	/* a writer that died mid-write leaves its record's sequence odd */
	shm_seq_write_begin(shm_seqtab_lock(t, BOOK_ODD_REC));

	shm_metrics_claim(m);
	shm_counter_add(shm_metrics_counter(m, "rx_msgs"), 42);
	shm_counter_add(shm_metrics_counter(m, "we\"ird\\name"), 1);
	shm_gauge_set(shm_metrics_gauge(m, "depth"), -7);
	h = shm_metrics_hist(m, "tick_to_order");
	cr_assert_not_null(h);
	for (uint64_t v = 1; v <= 1000; v++)
		shm_hist_record(h, v * 100);
	shm_seg_detach(&s);
}

static void setup(void)
{
	char text[512];

	tenv_init(&env);
	make_t1();
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	/* both directories the same: ls must list each file once */
	snprintf(text, sizeof(text),
		 "# kimpctl test\n[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n",
		 env.dir, env.dir);
	write_file(cfg, text);
}

static void teardown(void)
{
	tenv_fini(&env);
}

TestSuite(kimpctl, .init = setup, .fini = teardown);

/* ---- running the binary --------------------------------------------------- */

static struct run r;

/* Run kimpctl with the args; $KIMP_CONFIG is env_conf (or unset). Fills r. */
static void run_env(const char *env_conf, const char *const *args)
{
	ctl_run(&r, env.dir, env_conf, args);
}

#define assert_status(n) ctl_assert_status(r, n)

#define RUN(...) run_env(NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_CFG(...) RUN("-c", cfg, __VA_ARGS__)

/* The line of text that starts with 'start', copied into buf; NULL if none. */
static const char *line_starting(const char *text, const char *start, char *buf, size_t len)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, start, strlen(start)))
			continue;
		size_t n = strcspn(p, "\n");
		snprintf(buf, len, "%.*s", (int)n, p);
		return buf;
	}
	return NULL;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && !strcmp(s + n - m, end);
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * The text block of one region: from its "region NAME (KIND)" title to the
 * next title. Owned by a static buffer.
 */
static const char *region_block(const char *text, const char *title)
{
	static char buf[16384];
	const char *p = strstr(text, title), *end;

	cr_assert_not_null(p, "no '%s' in:\n%s", title, text);
	end = strstr(p + strlen(title), "\n    region ");
	snprintf(buf, sizeof(buf), "%.*s", (int)(end ? end - p : (ptrdiff_t)strlen(p)), p);
	return buf;
}

/* Does some line of 'text' read "<indent>key<spaces>value"? */
static bool has_field(const char *text, const char *key, const char *value)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *q = p + strspn(p, " ");
		if (strncmp(q, key, strlen(key)) || q[strlen(key)] != ' ')
			continue;
		q += strlen(key);
		q += strspn(q, " ");
		if (!strncmp(q, value, strlen(value)) &&
		    (q[strlen(value)] == '\n' || !q[strlen(value)]))
			return true;
	}
	return false;
}

#define assert_field(text, key, value) \
	cr_assert(has_field(text, key, value), "no '%s  %s' in:\n%s", key, value, text)

#define assert_has(text, needle) \
	cr_assert_not_null(strstr(text, needle), "no '%s' in:\n%s", needle, text)

Test(kimpctl, json_validator_rejects_what_it_should)
{
	cr_assert(json_valid("{\"a\": [1, -2, \"x\\\"y\", true, null, {}], \"b\": {}}"));
	cr_assert_not(json_valid("{\"a\": 1,}"));
	cr_assert_not(json_valid("{\"a\": \"x\"y\"}"));
	cr_assert_not(json_valid("{\"a\": 01}"));
	cr_assert_not(json_valid("{\"a\": 1} x"));
	cr_assert_not(json_valid("{\"a\": \"tab\there\"}"));
	cr_assert_not(json_valid("[1 2]"));
}

/* ---- the commands --------------------------------------------------------- */

Test(kimpctl, ls_lists_the_segment_once)
{
	char line[512], alive[64];

	RUN_CFG("shm", "ls");
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	cr_assert_not_null(line_starting(r.out, "NAME ", line, sizeof(line)), "%s", r.out);
	cr_assert_not_null(line_starting(r.out, "t1 ", line, sizeof(line)), "%s", r.out);
	cr_assert_eq(count_of(r.out, "\nt1 "), 1, "listed once:\n%s", r.out);
	snprintf(alive, sizeof(alive), " %d (alive) ", getpid());
	assert_has(line, alive);
	assert_has(line, " shm ");
	assert_has(line, " UTC ");
	/* the last two columns: regions and layout version */
	snprintf(alive, sizeof(alive), " 4 %u", SHM_LAYOUT_VERSION);
	cr_assert(ends_with(squeeze(line), alive), "regions 4, layout %u: '%s'",
		  SHM_LAYOUT_VERSION, line);
}

Test(kimpctl, ls_json)
{
	char want[64];

	RUN_CFG("shm", "ls", "--json");
	assert_status(0);
	assert_json(r.out);
	cr_assert_eq(count_of(r.out, "\"name\": \"t1\""), 1, "%s", r.out);
	assert_has(r.out, "\"status\": \"ok\"");
	assert_has(r.out, "\"backing\": \"shm\"");
	assert_has(r.out, "\"regions\": 4");
	snprintf(want, sizeof(want), "\"layout_version\": %u", SHM_LAYOUT_VERSION);
	assert_has(r.out, want);
	snprintf(want, sizeof(want), "\"creator_pid\": %d", getpid());
	assert_has(r.out, want);
	assert_has(r.out, "\"creator_pid_alive\": true");
}

Test(kimpctl, ls_reports_foreign_files_as_invalid)
{
	char path[128], line[512];

	snprintf(path, sizeof(path), "%s/" SHM_FILE_PREFIX "junk", env.dir);
	write_file(path, "not a segment");
	snprintf(path, sizeof(path), "%s/" SHM_FILE_PREFIX "subdir", env.dir);
	cr_assert_eq(mkdir(path, 0700), 0);

	RUN_CFG("shm", "ls");
	assert_status(0);
	cr_assert_not_null(line_starting(r.out, "junk ", line, sizeof(line)), "%s", r.out);
	assert_has(line, "invalid: 13 bytes is too small for a kimp segment");
	cr_assert_not_null(line_starting(r.out, "subdir ", line, sizeof(line)), "%s", r.out);
	assert_has(line, "invalid: not a regular file");
	cr_assert_not_null(line_starting(r.out, "t1 ", line, sizeof(line)), "%s", r.out);

	RUN_CFG("shm", "ls", "--json");
	assert_status(0);
	assert_json(r.out);
	cr_assert_eq(count_of(r.out, "\"status\": \"invalid\""), 2, "%s", r.out);

	RUN_CFG("shm", "inspect", "junk");
	assert_status(1);
	assert_has(r.err, "too small for a kimp segment");
	cr_assert_eq(rmdir(path), 0);
}

Test(kimpctl, inspect_shows_header_and_every_region)
{
	char want[64], hdr[4096];
	const char *b;

	RUN_CFG("shm", "inspect", "t1");
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	cr_assert_eq(strncmp(r.out, "segment t1\n", 11), 0, "%s", r.out);
	assert_field(r.out, "magic", "0x4d48535f504d494b");
	snprintf(want, sizeof(want), "%u", SHM_LAYOUT_VERSION);
	assert_field(r.out, "layout_version", want);
	assert_field(r.out, "backing", "shm");
	assert_field(r.out, "page_size", "4096 (4 KiB)");
	snprintf(want, sizeof(want), "%d (alive)", getpid());
	assert_field(r.out, "creator_pid", want);
	assert_field(r.out, "nregions", "4");
	/* the header ends where the regions start */
	snprintf(hdr, sizeof(hdr), "%.*s", (int)(strstr(r.out, "\n  regions\n") - r.out), r.out);
	cr_assert(has_field(hdr, "flags", "0x1 (INVARIANT)") ||
		  has_field(hdr, "flags", "0x2 (FALLBACK)") ||
		  has_field(hdr, "flags", "0x0 (none)"), "tsc flags:\n%s", hdr);
	assert_has(hdr, "\n  tsc\n");

	b = region_block(r.out, "region md (RING)");
	assert_field(b, "slot_size", "64");
	assert_field(b, "slot_count", "1024");
	assert_field(b, "flags", "0x1 (conflate)");
	assert_field(b, "head", "3");
	assert_field(b, "tail", "0");
	assert_field(b, "depth", "3");
	assert_field(b, "overruns", "0");
	snprintf(want, sizeof(want), "%d (alive)", getpid());
	assert_field(b, "producer_pid", want);
	assert_field(b, "consumer_pid", "-");
	assert_field(b, "producer_attaches", "1");
	assert_field(b, "shared", "no");
	assert_field(b, "armed", "no");

	b = region_block(r.out, "region orders (RING)");
	assert_field(b, "slot_size", "128");
	assert_field(b, "slot_count", "256");
	assert_field(b, "flags", "0x0 (none)");
	assert_field(b, "depth", "0");
	assert_field(b, "shared", "yes");

	b = region_block(r.out, "region book (SEQTAB)");
	assert_field(b, "rec_size", "56");
	assert_field(b, "stride", "64");
	assert_field(b, "count", "16");
	assert_field(b, "writing", "1");

	b = region_block(r.out, "region feedd.m (METRICS)");
	assert_field(b, "proc", "feedd");
	assert_field(b, "rx_msgs", "42");
	assert_field(b, "we\"ird\\name", "1");
	assert_field(b, "depth", "-7");
	assert_has(b, "counters (2 of 8)");
	assert_has(b, "gauges (1 of 4)");
	assert_has(b, "histograms (1 of 2)");
	assert_has(b, "tick_to_order");
	assert_has(b, "count 1000 ");
	assert_has(b, "max 100 us");
	cr_assert_null(strstr(r.out, "error"), "%s", r.out);
}

Test(kimpctl, inspect_json_matches_the_segment)
{
	struct shm_hist_snap *snap = malloc(sizeof(*snap));
	struct shm_metrics *m;
	struct shm_seg s;
	char want[128];

	RUN_CFG("shm", "inspect", "--json", "t1");
	assert_status(0);
	assert_json(r.out);
	assert_has(r.out, "\"name\": \"t1\"");
	assert_has(r.out, "\"magic\": \"0x4d48535f504d494b\"");
	assert_has(r.out, "\"name\": \"md\"");
	assert_has(r.out, "\"kind\": \"RING\"");
	assert_has(r.out, "\"slot_count\": 1024");
	assert_has(r.out, "\"slot_count\": 256");
	assert_has(r.out, "\"depth\": 3");
	assert_has(r.out, "\"flags\": [\"conflate\"]");
	assert_has(r.out, "\"kind\": \"SEQTAB\"");
	assert_has(r.out, "\"writing\": 1");
	assert_has(r.out, "\"rx_msgs\": 42");
	assert_has(r.out, "\"we\\\"ird\\\\name\": 1");
	assert_has(r.out, "\"depth\": -7");
	assert_has(r.out, "\"count\": 1000");

	/* the quantiles are libshm's, computed from the same buckets */
	cr_assert_not_null(snap);
	cr_assert_eq(shm_seg_attach(&s, "t1", &env.o), 0);
	cr_assert_eq(shm_metrics_lookup(&s, "feedd.m", &m), 0);
	shm_hist_snapshot(shm_metrics_hist_at(m, 0), snap);
	snprintf(want, sizeof(want), "\"p50_ns\": %llu",
		 (unsigned long long)shm_hist_quantile(snap, 0.5));
	assert_has(r.out, want);
	snprintf(want, sizeof(want), "\"p99_9_ns\": %llu",
		 (unsigned long long)shm_hist_quantile(snap, 0.999));
	assert_has(r.out, want);
	assert_has(r.out, "\"max_ns\": 100000");
	shm_seg_detach(&s);
	free(snap);
}

Test(kimpctl, inspect_reports_corrupt_regions_and_goes_on)
{
	struct shm_region_ent *e;
	struct shm_seg s;
	const char *b;

	cr_assert_eq(shm_seg_attach(&s, "t1", &env.o), 0);
	((struct shm_ring *)shm_region_ptr(&s, shm_region_find(&s, "md")))->magic = 0;
	e = (struct shm_region_ent *)shm_region_find(&s, "book");
	e->off = s.size;
	shm_seg_detach(&s);

	RUN_CFG("shm", "inspect", "t1");
	assert_status(1);
	b = region_block(r.out, "region md (RING)");
	assert_field(b, "error", "not a ring (bad magic)");
	b = region_block(r.out, "region book (SEQTAB)");
	assert_field(b, "error", "region lies outside the segment");
	b = region_block(r.out, "region orders (RING)");
	assert_field(b, "slot_count", "256");
	b = region_block(r.out, "region feedd.m (METRICS)");
	assert_field(b, "rx_msgs", "42");

	RUN_CFG("shm", "inspect", "--json", "t1");
	assert_status(1);
	assert_json(r.out);
	assert_has(r.out, "\"error\": \"not a ring (bad magic)\"");
}

Test(kimpctl, rm_removes_and_reports_missing_ones)
{
	char path[128];
	struct shm_seg s;

	snprintf(path, sizeof(path), "%s/" SHM_FILE_PREFIX "t1", env.dir);
	cr_assert_eq(access(path, F_OK), 0);
	RUN_CFG("shm", "rm", "t1");
	assert_status(0);
	assert_has(r.out, "removed t1");
	assert_has(r.out, path);
	cr_assert_eq(access(path, F_OK), -1, "the file is gone");

	RUN_CFG("shm", "rm", "t1");
	assert_status(1);
	assert_has(r.err, "t1: no such segment");

	/* a missing name fails the command but the rest are still removed */
	cr_assert_eq(shm_seg_create(&s, "t2", 4096, &env.o), 0, "%s", shm_last_error());
	shm_seg_detach(&s);
	RUN_CFG("shm", "rm", "nope", "t2");
	assert_status(1);
	assert_has(r.err, "nope: no such segment");
	assert_has(r.out, "removed t2");
	cr_assert_eq(shm_seg_attach(&s, "t2", &env.o), -ENOENT);

	RUN_CFG("shm", "ls");
	assert_status(0);
	cr_assert_null(strstr(r.out, "t1"), "%s", r.out);
}

Test(kimpctl, rm_refuses_path_like_names)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/victim", env.dir);
	write_file(path, "x");
	RUN_CFG("shm", "rm", "../victim");
	assert_status(1);
	assert_has(r.err, "bad segment name");
	cr_assert_eq(access(path, F_OK), 0, "nothing outside the prefix is touched");
	unlink(path);
}

Test(kimpctl, other_layout_version_is_refused_and_listed_incompatible)
{
	uint32_t v = SHM_LAYOUT_VERSION + 76;
	char path[128], line[512], want[128];
	int fd;

	snprintf(path, sizeof(path), "%s/" SHM_FILE_PREFIX "t1", env.dir);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, &v, sizeof(v), offsetof(struct shm_seg_hdr, layout_version)),
		     (ssize_t)sizeof(v));
	close(fd);

	RUN_CFG("shm", "inspect", "t1");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "layout version %u", v);
	assert_has(r.err, want);
	snprintf(want, sizeof(want), "layout version %u", SHM_LAYOUT_VERSION);
	assert_has(r.err, want);

	RUN_CFG("shm", "ls");
	assert_status(0);
	cr_assert_not_null(line_starting(r.out, "t1 ", line, sizeof(line)), "%s", r.out);
	snprintf(want, sizeof(want), "%u INCOMPATIBLE (this build: %u)", v, SHM_LAYOUT_VERSION);
	assert_has(line, want);

	RUN_CFG("shm", "ls", "--json");
	assert_json(r.out);
	assert_has(r.out, "\"status\": \"incompatible\"");
	snprintf(want, sizeof(want), "\"layout_version\": %u", v);
	assert_has(r.out, want);
}

Test(kimpctl, config_from_environment_and_option)
{
	char line[512];

	run_env(cfg, (const char *const[]){ "shm", "ls", NULL });
	assert_status(0);
	cr_assert_not_null(line_starting(r.out, "t1 ", line, sizeof(line)),
			   "$KIMP_CONFIG is read:\n%s", r.out);

	run_env("/nonexistent/kimp.conf", (const char *const[]){ "-c", cfg, "shm", "ls", NULL });
	assert_status(0);
	cr_assert_not_null(line_starting(r.out, "t1 ", line, sizeof(line)), "%s", r.out);
}

Test(kimpctl, config_errors_exit_2_with_file_line_key)
{
	char bad[128], want[256];

	snprintf(bad, sizeof(bad), "%s/bad.conf", env.dir);
	write_file(bad, "[shm]\nhugepages = maybe\n");
	RUN("-c", bad, "shm", "ls");
	assert_status(2);
	snprintf(want, sizeof(want), "%s:2: key 'shm.hugepages': not a boolean", bad);
	assert_has(r.err, want);
	cr_assert_str_eq(r.out, "");

	write_file(bad, "[shm\n");
	RUN("-c", bad, "shm", "ls");
	assert_status(2);
	snprintf(want, sizeof(want), "%s:1: line is not 'key = value' or '[section]'", bad);
	assert_has(r.err, want);

	RUN("-c", "/nonexistent/kimp.conf", "shm", "ls");
	assert_status(2);
	assert_has(r.err, "/nonexistent/kimp.conf: cannot open: No such file or directory");
	unlink(bad);
}

Test(kimpctl, help_and_usage_errors)
{
	RUN("help");
	assert_status(0);
	cr_assert_eq(strncmp(r.out, "usage: kimpctl", 14), 0, "%s", r.out);
	assert_has(r.out, "shm inspect");
	cr_assert_str_eq(r.err, "");

	RUN("--help");
	assert_status(0);
	assert_has(r.out, "usage: kimpctl");

	RUN("frobnicate");
	assert_status(2);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "unknown command 'frobnicate'");
	assert_has(r.err, "usage: kimpctl");

	RUN_CFG("shm", "inspect");
	assert_status(2);
	assert_has(r.err, "NAME missing");

	RUN_CFG("shm", "ls", "--bogus");
	assert_status(2);
	assert_has(r.err, "unknown option '--bogus'");

	RUN_CFG("shm", "inspect", "absent");
	assert_status(1);
	assert_has(r.err, "segment 'absent' not found");
}
