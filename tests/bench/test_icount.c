/* SPDX-License-Identifier: MIT */
/*
 * The instruction-count bench (bench/icount):
 *
 *   gate_*    bench/icount/gate on fabricated callgrind outputs and
 *             baselines in a temp dir: at the threshold passes, just over
 *             fails (only with --ci), fewer never fails, a stage not in
 *             the baseline and a baseline stage not run are reported and
 *             not failed, a stage that did not finish fails, a bad
 *             baseline is refused, --update rewrites the baseline, the
 *             JSON has its fields, runs that differ are said and judged
 *             on their median.
 *   driver_*  build/<O>/bench/icount_bench run natively: every stage does
 *             its work and checks it; no captures, a capture the decoder
 *             refuses, bad options: it fails.
 *   run_*     bench/icount/run end to end under valgrind on the ring stage
 *             against a baseline it beats and one it does not.
 *
 * The tests run from the checkout (make test's directory); the driver is
 * found beside the test binary (BUILD/tests/kimp-tests ->
 * BUILD/bench/icount_bench, which the Makefile builds first).
 */
#include <limits.h>
#include <libgen.h>
#include "../testutil.h"

#define OUT_CAP 65536

static char tmp[128];

static void setup(void)
{
	test_mkdtemp(tmp, sizeof(tmp), "kimp-icount-test");
}

static void teardown(void)
{
	test_rmtree(tmp);
}

TestSuite(icount, .init = setup, .fini = teardown, .timeout = 120);

/* Run cmd with sh -c, stdout and stderr into out: the exit status (128 + signal). */
static int sh(const char *cmd, char *out, size_t cap)
{
	char full[4096];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	out[0] = 0;
	while (n + 1 < cap) {
		size_t r = fread(out + n, 1, cap - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = 0;
	st = pclose(p);
	cr_assert_neq(st, -1, "pclose");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
	static char buf[OUT_CAP];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static char *slurp_out(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/out.json", tmp);
	return slurp(path);
}

static char *slurp_base(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/base.json", tmp);
	return slurp(path);
}

/* A stage's fabricated results: the driver's line and callgrind's output of run k. */
static void fake_stage(const char *name, unsigned long long iters, unsigned k,
		       unsigned long long ir)
{
	char text[1024], file[256];

	snprintf(file, sizeof(file), "%s.out", name);
	snprintf(text, sizeof(text), "ICOUNT stage=%s iters=%llu ok=1 produced=%llu\n", name,
		 iters, iters);
	put_file(tmp, file, text);
	snprintf(file, sizeof(file), "%s.%u.cg", name, k);
	snprintf(text, sizeof(text),
		 "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\npid: 1\n"
		 "cmd:  icount_bench %s\npart: 1\n\npositions: line\nevents: Ir\n"
		 "summary: %llu\n\nfl=(1) main.c\nfn=(1) icount_stage_run\n40 %llu\n\n"
		 "totals: %llu\n", name, ir, ir, ir);
	put_file(tmp, file, text);
}

static void fake_baseline(const char *text)
{
	put_file(tmp, "base.json", text);
}

/* bench/icount/gate TMP TMP/base.json ARGS: its exit status, output in out. */
static int gate(const char *args, char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "bench/icount/gate %s %s/base.json --json %s/out.json %s",
		 tmp, tmp, tmp, args);
	return sh(cmd, out, OUT_CAP);
}

static const char base_a[] =
	"{\"threshold_pct\": 10, \"stages\": {\"a\": {\"ir_per_op\": 1000}}}";

/* ---- the gate ------------------------------------------------------------------------- */

Test(icount, gate_passes_at_the_threshold)
{
	static char out[OUT_CAP];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1100000);       /* 1100.0: +10.00% exactly */
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "+10.00%  ok"), "%s", out);
	cr_assert(strstr(out, "icount: PASS"), "%s", out);
}

Test(icount, gate_fails_just_over_the_threshold_with_ci)
{
	static char out[OUT_CAP];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1100100);       /* 1100.1: +10.01% */
	cr_assert_eq(gate("--ci", out), 1, "%s", out);
	cr_assert(strstr(out, "REGRESSED"), "%s", out);
	cr_assert(strstr(out, "icount: FAIL: 1 stage(s) more than 10% above the baseline: a"),
		  "%s", out);
}

Test(icount, gate_reports_a_regression_without_ci_and_passes)
{
	static char out[OUT_CAP];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 2000000);
	cr_assert_eq(gate("", out), 0, "%s", out);
	cr_assert(strstr(out, "REGRESSED"), "%s", out);
	cr_assert(strstr(out, "not gated without --ci"), "%s", out);
}

/*
 * The counts depend on the CPU's code paths: a baseline taken on another
 * machine reports a regression without failing; on the same one it fails.
 */
Test(icount, gate_does_not_gate_a_baseline_from_another_machine)
{
	static char out[OUT_CAP];

	fake_baseline("{\"threshold_pct\": 10, \"machine\": \"cpu A | avx2\", "
		      "\"stages\": {\"a\": {\"ir_per_op\": 1000}}}");
	fake_stage("a", 1000, 1, 2000000);
	cr_assert_eq(setenv("ICOUNT_MACHINE", "cpu B | sse4_2", 1), 0);
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "the baseline was taken on another machine (cpu A | avx2; "
			      "this one: cpu B | sse4_2)"), "%s", out);
	cr_assert(strstr(out, "regression (not gated on another machine)"), "%s", out);
	cr_assert(strstr(slurp_out(), "\"gated\": false"), "%s", slurp_out());

	cr_assert_eq(setenv("ICOUNT_MACHINE", "cpu A | avx2", 1), 0);
	cr_assert_eq(gate("--ci", out), 1, "%s", out);
	cr_assert_null(strstr(out, "another machine"), "%s", out);
	cr_assert(strstr(slurp_out(), "\"gated\": true"), "%s", slurp_out());

	/* --update records the machine */
	cr_assert_eq(gate("--update", out), 0, "%s", out);
	cr_assert(strstr(slurp_base(), "\"machine\": \"cpu A | avx2\""), "%s", slurp_base());
	unsetenv("ICOUNT_MACHINE");
}

Test(icount, gate_fewer_instructions_never_fail)
{
	static char out[OUT_CAP];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1000);          /* 1.0: -99.9% */
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "-99.90%  improved"), "%s", out);
	fake_stage("a", 1000, 1, 900000);        /* -10% exactly: ok, not improved */
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "-10.00%  ok"), "%s", out);
}

Test(icount, gate_threshold_zero_fails_any_increase)
{
	static char out[OUT_CAP];

	fake_baseline("{\"threshold_pct\": 0, \"stages\": {\"a\": {\"ir_per_op\": 1000}}}");
	fake_stage("a", 1000, 1, 1000000);
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	fake_stage("a", 1000, 1, 1000100);       /* 1000.1 */
	cr_assert_eq(gate("--ci", out), 1, "%s", out);
}

Test(icount, gate_reports_a_stage_missing_from_the_baseline)
{
	static char out[OUT_CAP];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1000000);
	fake_stage("b", 10, 1, 123450);          /* not in the baseline */
	cr_assert_eq(gate("--ci --stages 'a b'", out), 0, "%s", out);
	cr_assert(strstr(out, "new: not in the baseline"), "%s", out);
	cr_assert(strstr(out, "1 stage(s) not in the baseline (reported): b"), "%s", out);
	cr_assert(strstr(out, "12345.0"), "%s", out);
}

Test(icount, gate_reports_a_baseline_stage_not_run)
{
	static char out[OUT_CAP];

	fake_baseline("{\"threshold_pct\": 10, \"stages\": {\"a\": {\"ir_per_op\": 1000}, "
		      "\"gone\": {\"ir_per_op\": 5}}}");
	fake_stage("a", 1000, 1, 1000000);
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "1 baseline stage(s) not run (reported): gone"), "%s", out);
	cr_assert(strstr(out, "missing: in the baseline, not run"), "%s", out);
}

Test(icount, gate_fails_a_stage_that_did_not_finish)
{
	static char out[OUT_CAP];
	char path[256];

	fake_baseline(base_a);
	/* the driver printed no result line (its checks failed) */
	fake_stage("a", 1000, 1, 1000000);
	put_file(tmp, "a.out", "");
	cr_assert_eq(gate("", out), 1, "%s", out);
	cr_assert(strstr(out, "FAILED: the driver did not finish"), "%s", out);
	/* a result line whose outputs fall short of its operations */
	put_file(tmp, "a.out", "ICOUNT stage=a iters=1000 ok=1 produced=999\n");
	cr_assert_eq(gate("", out), 1, "%s", out);
	cr_assert(strstr(out, "did 1000 operations and checked 999 outputs"), "%s", out);
	/* callgrind's output without its totals */
	fake_stage("a", 1000, 1, 1000000);
	put_file(tmp, "a.1.cg", "events: Ir\nfn=(1) main\n1 5\n");
	cr_assert_eq(gate("", out), 1, "%s", out);
	cr_assert(strstr(out, "no totals or summary line"), "%s", out);
	/* none at all */
	snprintf(path, sizeof(path), "%s/a.1.cg", tmp);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(gate("", out), 1, "%s", out);
	cr_assert(strstr(out, "no callgrind output"), "%s", out);
	/* counted nothing: the toggle never matched */
	fake_stage("a", 1000, 1, 0);
	cr_assert_eq(gate("", out), 1, "%s", out);
	cr_assert(strstr(out, "counted nothing"), "%s", out);
}

Test(icount, gate_refuses_a_bad_baseline)
{
	static char out[OUT_CAP];

	fake_stage("a", 1000, 1, 1000000);
	fake_baseline("{\"threshold_pct\": 10, \"stages\": {");
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	fake_baseline("{\"threshold_pct\": -1, \"stages\": {}}");
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	cr_assert(strstr(out, "threshold_pct must be a number in 0-1000"), "%s", out);
	fake_baseline("{\"threshold_pct\": 1000.5, \"stages\": {}}");
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	fake_baseline("{\"threshold_pct\": 1000, \"stages\": {\"a\": {\"ir_per_op\": 1}}}");
	cr_assert_eq(gate("--ci", out), 1, "%s", out);     /* 1000x: +99900% > 1000% */
	fake_baseline("{\"threshold_pct\": 1000, \"stages\": {\"a\": {\"ir_per_op\": 100}}}");
	cr_assert_eq(gate("--ci", out), 0, "%s", out);     /* +900% */
	fake_baseline("{\"threshold_pct\": \"10\", \"stages\": {}}");
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	fake_baseline("{\"threshold_pct\": 10, \"stages\": {\"a\": {\"ir_per_op\": 0}}}");
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	cr_assert(strstr(out, "stages.a.ir_per_op must be a number above 0"), "%s", out);
	/* no baseline at all: refused, unless updating */
	char path[256];
	snprintf(path, sizeof(path), "%s/base.json", tmp);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(gate("--ci", out), 2, "%s", out);
	cr_assert(strstr(out, "no such file"), "%s", out);
	cr_assert_eq(gate("--update", out), 0, "%s", out);
	snprintf(path, sizeof(path), "%s/base.json", tmp);
	cr_assert(strstr(slurp(path), "\"ir_per_op\": 1000.0"), "%s", slurp(path));
}

Test(icount, gate_threshold_boundary_1000_fails_above)
{
	static char out[OUT_CAP];

	fake_baseline("{\"threshold_pct\": 1000, \"stages\": {\"a\": {\"ir_per_op\": 1}}}");
	fake_stage("a", 1000, 1, 11000);         /* 11.0: +1000% exactly */
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	fake_stage("a", 1000, 1, 11001);
	cr_assert_eq(gate("--ci", out), 1, "%s", out);
}

Test(icount, gate_update_rewrites_the_baseline)
{
	static char out[OUT_CAP];
	char path[256];
	const char *b;

	fake_baseline("{\"threshold_pct\": 25, \"note\": \"keep me\", "
		      "\"stages\": {\"a\": {\"ir_per_op\": 1000}}}");
	fake_stage("a", 1000, 1, 5000000);       /* regressed: updating gates nothing */
	cr_assert_eq(gate("--ci --update", out), 0, "%s", out);
	cr_assert(strstr(out, "rewritten (1 stages)"), "%s", out);
	snprintf(path, sizeof(path), "%s/base.json", tmp);
	b = slurp(path);
	cr_assert(strstr(b, "\"threshold_pct\": 25"), "%s", b);
	cr_assert(strstr(b, "\"note\": \"keep me\""), "%s", b);
	cr_assert(strstr(b, "\"ir_per_op\": 5000.0"), "%s", b);
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	/* a failed stage leaves the baseline alone */
	put_file(tmp, "a.out", "");
	cr_assert_eq(gate("--update", out), 1, "%s", out);
	cr_assert(strstr(slurp(path), "\"ir_per_op\": 5000.0"));
}

Test(icount, gate_json_has_its_fields)
{
	static char out[OUT_CAP];
	char path[256];
	const char *j;

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1250000);
	cr_assert_eq(gate("--ci --commit abc123 --valgrind valgrind-3.19.0", out), 1, "%s", out);
	snprintf(path, sizeof(path), "%s/out.json", tmp);
	j = slurp(path);
	cr_assert(strstr(j, "\"bench\": \"icount\""), "%s", j);
	cr_assert(strstr(j, "\"git_commit\": \"abc123\""), "%s", j);
	cr_assert(strstr(j, "\"threshold_pct\": 10.0"), "%s", j);
	cr_assert(strstr(j, "\"ir_per_op\": 1250.0"), "%s", j);
	cr_assert(strstr(j, "\"baseline_ir_per_op\": 1000.0"), "%s", j);
	cr_assert(strstr(j, "\"change_pct\": 25.0"), "%s", j);
	cr_assert(strstr(j, "\"status\": \"regressed\""), "%s", j);
	cr_assert(strstr(j, "\"passed\": false"), "%s", j);
	cr_assert(strstr(j, "\"deterministic\": true"), "%s", j);
}

Test(icount, gate_runs_that_differ_are_said_and_judged_on_the_median)
{
	static char out[OUT_CAP];
	char path[256];

	fake_baseline(base_a);
	fake_stage("a", 1000, 1, 1000000);
	fake_stage("a", 1000, 2, 1050000);
	fake_stage("a", 1000, 3, 9000000);       /* one outlier: the median is 1050 */
	cr_assert_eq(gate("--ci", out), 0, "%s", out);
	cr_assert(strstr(out, "1050.0"), "%s", out);
	cr_assert(strstr(out, "runs differ: 1000000 1050000 9000000"), "%s", out);
	snprintf(path, sizeof(path), "%s/out.json", tmp);
	cr_assert(strstr(slurp(path), "\"deterministic\": false"));
}

Test(icount, gate_refuses_bad_arguments)
{
	static char out[OUT_CAP];
	char cmd[512];

	fake_baseline(base_a);
	cr_assert_eq(gate("--nonsense", out), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "bench/icount/gate %s/nodir %s/base.json", tmp, tmp);
	cr_assert_eq(sh(cmd, out, OUT_CAP), 2, "%s", out);
	/* a directory with no stage results */
	cr_assert_eq(gate("", out), 2, "%s", out);
	cr_assert(strstr(out, "no stage results"), "%s", out);
}

/* ---- the driver ------------------------------------------------------------------------ */

static void build_dir(char *out, size_t cap)
{
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0);
	exe[n] = 0;
	/* BUILD/tests/kimp-tests */
	snprintf(out, cap, "%s", dirname(dirname(exe)));
}

static void driver(char *out, size_t cap)
{
	char b[PATH_MAX - 64];

	build_dir(b, sizeof(b));
	snprintf(out, cap, "%s/bench/icount_bench", b);
	cr_assert_eq(access(out, X_OK), 0, "%s is not built (make O=... %s)", out, out);
}

Test(icount, driver_every_stage_does_its_work)
{
	static char out[OUT_CAP], list[OUT_CAP];
	char bin[PATH_MAX], cmd[PATH_MAX + 256], want[256];
	unsigned n = 0;

	driver(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "TMPDIR=%s %s --list", tmp, bin);
	cr_assert_eq(sh(cmd, list, sizeof(list)), 0, "%s", list);
	for (char *save = NULL, *s = strtok_r(list, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
		snprintf(cmd, sizeof(cmd), "TMPDIR=%s %s --iters 3 --warmup 1 %s", tmp, bin, s);
		cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s: %s", s, out);
		snprintf(want, sizeof(want), "ICOUNT stage=%s iters=3 ok=1 produced=3\n", s);
		cr_assert(strstr(out, want), "%s: %s", s, out);
		n++;
	}
	/*
	 * the stages: 15 decoders (Upbit 2, Binance 3, Bithumb 2, Coinone 2,
	 * Bybit 3, OKX 3), book, premium, risk, 6 encoders (one a venue), ring
	 */
	cr_assert_eq(n, 25);
}

Test(icount, driver_default_iters_and_no_warmup)
{
	static char out[OUT_CAP];
	char bin[PATH_MAX], cmd[PATH_MAX + 256];

	driver(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "TMPDIR=%s %s --warmup 0 ring", tmp, bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "ICOUNT stage=ring iters=5000 ok=1 produced=5000"), "%s", out);
	snprintf(cmd, sizeof(cmd), "TMPDIR=%s %s --warmup 0 --iters 1 book", tmp, bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "ICOUNT stage=book iters=1 ok=1 produced=1"), "%s", out);
}

Test(icount, driver_fails_without_the_captures)
{
	static char out[OUT_CAP];
	char bin[PATH_MAX], cmd[PATH_MAX + 256];

	driver(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "KIMP_FIXTURES=%s/none %s --iters 3 decode.upbit.trade", tmp,
		 bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "set KIMP_FIXTURES"), "%s", out);
	cr_assert_null(strstr(out, "ICOUNT"), "%s", out);
}

Test(icount, driver_fails_when_the_decoder_gives_nothing)
{
	static char out[OUT_CAP];
	char bin[PATH_MAX], cmd[PATH_MAX + 256];

	driver(bin, sizeof(bin));
	/* a trade line of a symbol not in the table: the decoder refuses it */
	put_file(tmp, "upbit-trade.jsonl", "{\"type\":\"trade\",\"code\":\"KRW-NOPE\","
		 "\"trade_price\":1,\"trade_volume\":1}\n");
	snprintf(cmd, sizeof(cmd), "KIMP_FIXTURES=%s %s --iters 3 decode.upbit.trade", tmp, bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "refuses the line"), "%s", out);
	/* no line of the type at all */
	put_file(tmp, "binance-trade.jsonl", "{\"e\":\"aggTrade\"}\n");
	snprintf(cmd, sizeof(cmd), "KIMP_FIXTURES=%s %s --iters 3 decode.binance.trade", tmp,
		 bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "no line starts with"), "%s", out);
	/* the book's diff refused: the stage cannot run */
	put_file(tmp, "binance-depthUpdate.jsonl", "{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\"}\n");
	snprintf(cmd, sizeof(cmd), "KIMP_FIXTURES=%s %s --iters 3 book", tmp, bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert_null(strstr(out, "ICOUNT"), "%s", out);
}

Test(icount, driver_refuses_bad_options)
{
	static char out[OUT_CAP];
	char bin[PATH_MAX], cmd[PATH_MAX + 256];

	driver(bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "%s --iters 0 ring", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s --iters 10000001 ring", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s --warmup 10000001 ring", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s nosuchstage", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "no stage nosuchstage"), "%s", out);
	snprintf(cmd, sizeof(cmd), "%s", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s ring book", bin);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
}

/* ---- end to end, under valgrind ------------------------------------------------------------ */

/* valgrind cannot run a sanitized binary (make check builds everything so) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_SANITIZER()                                                        \
	do {                                                                          \
		test_rmtree(tmp);   /* a skipped test does not reach its fini */      \
		cr_skip_test("the driver is sanitized: valgrind cannot run it");       \
	} while (0)
#else
#define SKIP_UNDER_SANITIZER() do { } while (0)
#endif

Test(icount, run_gates_the_ring_stage_under_callgrind)
{
	static char out[OUT_CAP];
	char b[PATH_MAX], cmd[PATH_MAX + 512], path[256];
	const char *j;

	SKIP_UNDER_SANITIZER();
	build_dir(b, sizeof(b));
	cr_assert_eq(sh("valgrind --version", out, sizeof(out)), 0,
		     "valgrind is not installed (tools/install-deps): %s", out);
	/* a baseline the ring beats by far: passes, improved */
	fake_baseline("{\"threshold_pct\": 10, \"stages\": {\"ring\": {\"ir_per_op\": 100000}}}");
	snprintf(cmd, sizeof(cmd), "ICOUNT_RESULTS=%s/res TMPDIR=%s bench/icount/run %s --ci "
		 "--stage ring --baseline %s/base.json", tmp, tmp, b, tmp);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "improved"), "%s", out);
	cr_assert(strstr(out, "icount: elapsed"), "%s", out);
	snprintf(path, sizeof(path), "%s/res/icount-latest.json", tmp);
	j = slurp(path);
	cr_assert(strstr(j, "\"name\": \"ring\""), "%s", j);
	cr_assert(strstr(j, "\"iters\": 5000"), "%s", j);
	cr_assert(strstr(j, "\"passed\": true"), "%s", j);
	/* one it cannot meet: push + pop in under 2 instructions */
	fake_baseline("{\"threshold_pct\": 10, \"stages\": {\"ring\": {\"ir_per_op\": 1}}}");
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "REGRESSED"), "%s", out);
	/* the same without --ci: reported, exit 0 */
	snprintf(cmd, sizeof(cmd), "ICOUNT_RESULTS=%s/res TMPDIR=%s bench/icount/run %s "
		 "--stage ring --baseline %s/base.json", tmp, tmp, b, tmp);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 0, "%s", out);
	/* a stage the driver does not have */
	snprintf(cmd, sizeof(cmd), "ICOUNT_RESULTS=%s/res bench/icount/run %s --stage nope "
		 "--baseline %s/base.json", tmp, b, tmp);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "no stage nope"), "%s", out);
}

Test(icount, run_fails_a_stage_whose_driver_fails)
{
	static char out[OUT_CAP];
	char b[PATH_MAX], cmd[PATH_MAX + 512];

	SKIP_UNDER_SANITIZER();
	build_dir(b, sizeof(b));
	fake_baseline("{\"threshold_pct\": 10, \"stages\": {}}");
	snprintf(cmd, sizeof(cmd), "KIMP_FIXTURES=%s/none ICOUNT_RESULTS=%s/res bench/icount/run "
		 "%s --stage decode.upbit.trade --baseline %s/base.json", tmp, tmp, b, tmp);
	cr_assert_eq(sh(cmd, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "the driver exited with status 1"), "%s", out);
	cr_assert(strstr(out, "FAILED"), "%s", out);
}
