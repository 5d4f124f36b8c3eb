/* SPDX-License-Identifier: MIT */
/*
 * kimpctl journal FILE [--json]: print an orderd write-ahead journal file
 * (DIR/NAME.journal or a rotated DIR/NAME.journal.N), one record a line:
 * key=value text, or JSON lines (64-bit numbers as strings). A torn tail
 * (a record cut by a crash, or damage) is said on a last line. The work is
 * orderd's journal_print (orderd/journal.c); this is the command line.
 *
 * Exit: 0 printed (a torn tail included), 1 the file is missing,
 * unreadable or not a journal, 2 usage.
 */
#include <errno.h>
#include <string.h>
#include "../../orderd/core.h"
#include "kimpctl.h"

static const char journal_usage[] =
	"  journal FILE [--json]       print an orderd journal file, one record a\n"
	"                              line (JSON lines with --json)\n";

static int journal_run(struct kimpctl *k, int argc, char **argv)
{
	const char *path;
	bool json, done;
	long n;
	int status;

	(void)k;
	status = kimpctl_seg_args(argc, argv, journal_usage, NULL, &path, &json, &done);
	if (status || done)
		return status;
	if (!path) {
		kimpctl_err(KIMPCTL_USAGE, "journal: a FILE is needed");
		fprintf(stderr, "usage:\n%s", journal_usage);
		return KIMPCTL_USAGE;
	}
	n = journal_print(path, stdout, json);
	if (n == -EBADMSG || n == -EINVAL)
		return kimpctl_err(KIMPCTL_FAIL, "journal: %s: not an orderd journal file", path);
	if (n < 0)
		return kimpctl_err(KIMPCTL_FAIL, "journal: %s: %s", path, strerror((int)-n));
	if (fflush(stdout) || ferror(stdout))
		return kimpctl_err(KIMPCTL_FAIL, "journal: writing the output: %s", strerror(errno));
	return KIMPCTL_OK;
}

const struct kimpctl_cmd kimpctl_cmd_journal = {
	.name = "journal",
	.usage = journal_usage,
	.run = journal_run,
};
