/* SPDX-License-Identifier: MIT */
/*
 * kimpctl journal end to end: journals written with orderd's journal code
 * in a private directory, printed by the built binary (build/kimpctl, or
 * $KIMPCTL) as text and JSON lines; torn tails, rotated files, and the
 * errors with their exit codes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"
#include "../../orderd/core.h"

#define REC 128

static char dir[64];
static char cur[256];
static struct run r;

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimpctljr");
	snprintf(cur, sizeof(cur), "%s/orderd.journal", dir);
}

static void teardown(void)
{
	test_rmtree(dir);
}

TestSuite(kimpctl_journal, .init = setup, .fini = teardown);

static void run(const char *const *args)
{
	ctl_run(&r, dir, NULL, args);
}

/* START, ORDER, SENT, STATE (filled) of one order; then rotate when asked. */
static void write_journal(size_t recs, bool rotate)
{
	struct journal_cfg c = { .dir = dir, .name = "orderd", .file_size = recs * REC };
	struct journal j;
	struct jr_rec rec;
	char msg[256];

	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), 0, "%s", msg);
	memset(&rec, 0, sizeof(rec));
	rec.type = JR_START;
	rec.u.run.pid = 777;
	rec.u.run.file_no = j.file_no;
	cr_assert_eq(journal_append(&j, &rec), 1);

	memset(&rec, 0, sizeof(rec));
	rec.type = JR_ORDER;
	rec.client_oid = (1700000000ull << 32) + 1;
	rec.u.o.venue = KIMP_VENUE_BINANCE;
	rec.u.o.side = KIMP_SIDE_BUY;
	rec.u.o.tif = KIMP_TIF_IOC;
	rec.u.o.px = 4200000;
	rec.u.o.qty = 150;
	cr_assert_eq(journal_append(&j, &rec), 2);

	memset(&rec, 0, sizeof(rec));
	rec.type = JR_SENT;
	rec.client_oid = (1700000000ull << 32) + 1;
	rec.u.s.venue = KIMP_VENUE_BINANCE;
	rec.u.s.chan = VO_CH_WSAPI;
	rec.u.s.req_id = 9;
	cr_assert_eq(journal_append(&j, &rec), 3);

	memset(&rec, 0, sizeof(rec));
	rec.type = JR_STATE;
	rec.client_oid = (1700000000ull << 32) + 1;
	rec.u.st.venue = KIMP_VENUE_BINANCE;
	rec.u.st.state = KIMP_ORD_FILLED;
	rec.u.st.prev_state = KIMP_ORD_SENT;
	rec.u.st.event = FE_FILLED;
	rec.u.st.cum_qty = 150;
	rec.u.st.last_qty = 150;
	rec.u.st.last_px = 4199999;
	cr_assert_eq(journal_append(&j, &rec), 4);
	if (rotate)
		cr_assert_eq(journal_rotate(&j, NULL, NULL), 0);
	journal_close(&j);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(kimpctl_journal, text)
{
	write_journal(64, false);
	run((const char *[]){ "journal", cur, NULL });
	ctl_assert_status(r, 0);
	cr_assert_eq(count_lines(r.out), 4, "%s", r.out);
	squeeze(r.out);
	assert_has(r.out, "seq=1 type=START time=");
	assert_has(r.out, "pid=777 file_no=1");
	assert_has(r.out, "seq=2 type=ORDER");
	assert_has(r.out, "coid=7301444403200000001");
	assert_has(r.out, "venue=binance");
	assert_has(r.out, "side=BUY tif=IOC");
	assert_has(r.out, "px=4200000 qty=150");
	assert_has(r.out, "seq=3 type=SENT");
	assert_has(r.out, "chan=WSAPI req_id=9");
	assert_has(r.out, "seq=4 type=STATE");
	assert_has(r.out, "state=FILLED prev_state=SENT event=FILLED");
	assert_has(r.out, "last_px=4199999 last_qty=150");
	assert_lacks(r.out, "torn");
	cr_assert_str_empty(r.err);
}

Test(kimpctl_journal, json_lines)
{
	char *line, *save = NULL;
	unsigned n = 0;

	write_journal(64, false);
	run((const char *[]){ "journal", "--json", cur, NULL });
	ctl_assert_status(r, 0);
	assert_has(r.out, "\"seq\":\"4\",\"type\":\"STATE\"");
	assert_has(r.out, "\"coid\":\"7301444403200000001\"");
	assert_has(r.out, "\"state\":\"FILLED\"");
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_assert(json_valid(line), "not JSON: %s", line);
		n++;
	}
	cr_assert_eq(n, 4);
}

Test(kimpctl_journal, a_rotated_file)
{
	char rot[300];

	write_journal(64, true);
	snprintf(rot, sizeof(rot), "%s.1", cur);
	run((const char *[]){ "journal", rot, NULL });
	ctl_assert_status(r, 0);
	cr_assert_eq(count_lines(r.out), 4);
	/* the new current file: empty, printed as nothing */
	run((const char *[]){ "journal", cur, NULL });
	ctl_assert_status(r, 0);
	cr_assert_str_empty(r.out);
}

Test(kimpctl_journal, torn_tail)
{
	FILE *f;

	write_journal(64, false);
	f = fopen(cur, "r+");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 4 * REC + 20, SEEK_SET), 0);
	cr_assert_eq(fwrite("garbage", 1, 7, f), 7);
	cr_assert_eq(fclose(f), 0);
	run((const char *[]){ "journal", cur, NULL });
	ctl_assert_status(r, 0);
	cr_assert_eq(count_lines(r.out), 5);
	assert_has(r.out, "# torn: replay stops at record 4 (offset 512)");
	run((const char *[]){ "journal", cur, "--json", NULL });
	ctl_assert_status(r, 0);
	assert_has(r.out, "{\"torn\":true,\"offset\":512,\"record\":4,\"data_after\":false}");
}

Test(kimpctl_journal, missing_file)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/nope.journal", dir);
	run((const char *[]){ "journal", path, NULL });
	ctl_assert_status(r, 1);
	assert_has(r.err, path);
	assert_has(r.err, strerror(ENOENT));
	cr_assert_str_empty(r.out);
}

Test(kimpctl_journal, not_a_journal)
{
	char path[300], junk[4 * REC];

	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	test_write_file(path, "just some text\n", 15);
	run((const char *[]){ "journal", path, NULL });
	ctl_assert_status(r, 1);
	assert_has(r.err, path);
	assert_has(r.err, "not an orderd journal file");
	/* whole records of something else */
	memset(junk, 'z', sizeof(junk));
	test_write_file(path, junk, sizeof(junk));
	run((const char *[]){ "journal", "--json", path, NULL });
	ctl_assert_status(r, 1);
	assert_has(r.err, "not an orderd journal file");
	cr_assert_str_empty(r.out);
	/* a directory */
	run((const char *[]){ "journal", dir, NULL });
	ctl_assert_status(r, 1);
	assert_has(r.err, dir);
	assert_has(r.err, strerror(EISDIR));
}

Test(kimpctl_journal, usage)
{
	run((const char *[]){ "journal", NULL });
	ctl_assert_status(r, 2);
	assert_has(r.err, "a FILE is needed");
	assert_has(r.err, "journal FILE [--json]");
	run((const char *[]){ "journal", "--bogus", cur, NULL });
	ctl_assert_status(r, 2);
	assert_has(r.err, "unknown option '--bogus'");
	run((const char *[]){ "journal", cur, cur, NULL });
	ctl_assert_status(r, 2);
	run((const char *[]){ "journal", "-h", NULL });
	ctl_assert_status(r, 0);
	assert_has(r.out, "journal FILE [--json]");
	run((const char *[]){ "help", NULL });
	ctl_assert_status(r, 0);
	assert_has(r.out, "journal FILE [--json]");
}

Test(kimpctl_journal, output_error)
{
	char errp[128];
	pid_t pid;

	write_journal(64, false);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int o = open("/dev/full", O_WRONLY);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		unsetenv("KIMP_CONFIG");
		execl(kimpctl_path(), kimpctl_path(), "journal", cur, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(test_wait_child(pid), 1);
	ctl_slurp(errp, r.err, sizeof(r.err));
	assert_has(r.err, "journal: writing the output");
}
