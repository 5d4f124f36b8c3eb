/* SPDX-License-Identifier: MIT */
/*
 * icount_bench: run one stage of the engine's hot path over a fixed
 * replayed input, each operation through icount_stage_run, so that
 * callgrind (bench/icount/run) counts the stage's instructions and
 * nothing else. Native runs do the same work and checks: they are how the
 * tests prove every stage does its work.
 *
 * Usage: icount_bench [--iters N] [--warmup N] STAGE
 *        icount_bench --list
 *
 * Order of a run: open (the input from the captures, the state), warm-up
 * operations (op called directly, not counted: first-call costs such as
 * the dynamic linker's symbol binding and cold branches stay out of the
 * count), then N counted operations, each between its untimed before and
 * after (the check). The run fails (exit 1, said on stderr) when open
 * fails, an operation fails, or the stage did not produce one checked
 * output per operation. On success one line on stdout:
 *
 *   ICOUNT stage=NAME iters=N ok=1 produced=N
 *
 * Exit status: 0, 1 (the stage failed), 2 (usage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../common/bench_util.h"
#include "icount.h"

#define WARMUP_DEFAULT 64

__attribute__((noipa)) int icount_stage_run(const struct ic_stage *s, struct ic_run *r,
					     uint64_t i)
{
	return s->op(r, i);
}

int ic_fail(struct ic_run *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

int ic_capture_line(struct ic_run *r, const char *file, const char *prefix, const char *holds,
		    char **out, size_t *len)
{
	char path[1024], *line = NULL, *best = NULL;
	size_t cap = 0, best_len = 0, plen = strlen(prefix);
	ssize_t n;
	int err = 0;
	FILE *f;

	*out = NULL;
	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", r->fixtures, file);
	f = fopen(path, "r");
	if (!f)
		return ic_fail(r, -errno, "capture %s: %s (set KIMP_FIXTURES to their directory)",
			       path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (strncmp(line, prefix, plen) || (holds && !strstr(line, holds)) ||
		    (size_t)n <= best_len)
			continue;
		free(best);
		best = strdup(line);
		if (!best) {
			err = ic_fail(r, -ENOMEM, "out of memory");
			goto out;
		}
		best_len = (size_t)n;
	}
	if (ferror(f))
		err = ic_fail(r, -EIO, "capture %s: read error", path);
	else if (!best)
		err = ic_fail(r, -ENOENT, "capture %s: no line starts with %s%s%s", path, prefix,
			      holds ? " and holds " : "", holds ? holds : "");
out:
	free(line);
	fclose(f);
	if (err) {
		free(best);
		return err;
	}
	*out = best;
	*len = best_len;
	return 0;
}

/* ---- the stage table ------------------------------------------------------------------- */

#define NSTAGES_MAX 32

static unsigned all_stages(const struct ic_stage **v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ic_decode_nstages; i++)
		v[n++] = &ic_decode_stages[i];
	v[n++] = &ic_book_stage;
	v[n++] = &ic_premium_stage;
	v[n++] = &ic_risk_stage;
	for (unsigned i = 0; i < ic_encode_nstages; i++)
		v[n++] = &ic_encode_stages[i];
	v[n++] = &ic_ring_stage;
	return n;
}

static void usage(FILE *f)
{
	const struct ic_stage *v[NSTAGES_MAX];
	unsigned n = all_stages(v);

	fprintf(f,
		"usage: " IC_PROG " [--iters N] [--warmup N] STAGE\n"
		"       " IC_PROG " --list\n"
		"\n"
		"Runs STAGE's operations over a fixed input from the venue captures\n"
		"($KIMP_FIXTURES, default ../shared/fixtures/venues), each through\n"
		"icount_stage_run (what callgrind counts), and checks every output.\n"
		"\n"
		"  --iters N    counted operations (1-%llu; default: the stage's)\n"
		"  --warmup N   uncounted operations first (0-%llu; default %d)\n"
		"  --list       the stages, one a line, and exit\n"
		"\n"
		"stages:\n", IC_ITERS_MAX, IC_ITERS_MAX, WARMUP_DEFAULT);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "  %-28s %s (%llu)\n", v[i]->name, v[i]->what,
			(unsigned long long)v[i]->iters);
}

/* One operation: before, op (counted or not), after. 0 or -errno (r->err said). */
static int one(const struct ic_stage *s, struct ic_run *r, uint64_t i, bool counted)
{
	int e = 0;

	if (s->before && (e = s->before(r, i)))
		return e;
	e = counted ? icount_stage_run(s, r, i) : s->op(r, i);
	if (e)
		return r->err[0] ? e : ic_fail(r, e, "operation %llu failed: %s",
					     (unsigned long long)i, strerror(-e));
	if (s->after)
		e = s->after(r, i);
	return e;
}

static int run_stage(const struct ic_stage *s, struct ic_run *r, uint64_t warmup)
{
	uint64_t i;
	int e;

	e = s->open(r);
	if (e)
		goto out;
	for (i = 0; i < warmup; i++)
		if ((e = one(s, r, i, false)))
			goto out;
	r->produced = 0;
	for (i = 0; i < r->iters; i++)
		if ((e = one(s, r, warmup + i, true)))
			goto out;
	if (r->produced != r->iters)
		e = ic_fail(r, -EPROTO, "%llu operations produced %llu checked outputs: the stage "
			    "did not do its work", (unsigned long long)r->iters,
			    (unsigned long long)r->produced);
out:
	s->close(r);
	return e;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iters", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ic_stage *v[NSTAGES_MAX], *s = NULL;
	unsigned n = all_stages(v);
	struct ic_run r;
	uint64_t iters = 0, warmup = WARMUP_DEFAULT;
	const char *fx = getenv("KIMP_FIXTURES"), *tmp = getenv("TMPDIR");
	bool list = false;
	int c, e;

	memset(&r, 0, sizeof(r));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (bu_parse_u64(optarg, 1, IC_ITERS_MAX, &iters)) {
				fprintf(stderr, IC_PROG ": --iters: not a number in 1-%llu: %s\n",
					IC_ITERS_MAX, optarg);
				return 2;
			}
			break;
		case 'w':
			if (bu_parse_u64(optarg, 0, IC_ITERS_MAX, &warmup)) {
				fprintf(stderr, IC_PROG ": --warmup: not a number in 0-%llu: %s\n",
					IC_ITERS_MAX, optarg);
				return 2;
			}
			break;
		case 'l':
			list = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (list) {
		for (unsigned i = 0; i < n; i++)
			printf("%s\n", v[i]->name);
		return 0;
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(v[i]->name, argv[optind]))
			s = v[i];
	if (!s) {
		fprintf(stderr, IC_PROG ": no stage %s (--list names them)\n", argv[optind]);
		return 2;
	}
	r.fixtures = fx && *fx ? fx : "../shared/fixtures/venues";
	r.tmp_parent = tmp && *tmp ? tmp : "/tmp";
	r.iters = iters ? iters : s->iters;
	e = run_stage(s, &r, warmup);
	if (e) {
		fprintf(stderr, IC_PROG ": %s: %s\n", s->name, r.err[0] ? r.err : strerror(-e));
		return 1;
	}
	printf("ICOUNT stage=%s iters=%llu ok=1 produced=%llu\n", s->name,
	       (unsigned long long)r.iters, (unsigned long long)r.produced);
	return 0;
}
