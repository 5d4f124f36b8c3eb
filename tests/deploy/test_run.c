/* SPDX-License-Identifier: MIT */
/*
 * The whole engine as an operator runs it, with the real programs:
 *
 *   run_dashboard  deploy/kimp up on deploy/kimp-sim.conf (run_dir,
 *                  shm_dir, segment names and monitord's ports rewritten for
 *                  a temp directory; exsim and monitord among the
 *                  processes), monitord's /health 200, then the dashboard
 *                  in headless Chromium shows live numbers from the engine:
 *                  every daemon alive with its pid, both venues' feeds with
 *                  a message rate, the premium chart with points for every
 *                  coin of the scenario; a screenshot is kept in
 *                  BUILD/artifacts/dashboard.png. Then deploy/kimp down
 *                  leaves no process and no segment.
 *   make_run       deploy/run BUILD CONFIG with DURATION set and stdout not
 *                  a terminal (what `make run DURATION=N` runs): exit 0, a
 *                  summary line for trades, pairs, PnL per currency,
 *                  opportunities, unhedged time, tick-to-order and restarts,
 *                  each with its numbers, and nothing left behind.
 *
 * Programs: bin_dir is the directory of $FEEDD (default build/bin; exsim
 * one level up); kimpctl is $KIMPCTL (default build/kimpctl), and BUILD is
 * its directory; monitord is BUILD/bin/monitord ($MONITORD must agree).
 * Chromium: $CHROMIUM, else /usr/bin/chromium (skipped when there is none).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/tsc.h"
#include "../testutil.h"
#include "suptest.h"

#define DEADLINE_NS (90ull * 1000000000ull)

static const char *const daemons[] = { "feedd", "stratd", "riskd", "orderd" };
#define NDAEMONS (sizeof(daemons) / sizeof(daemons[0]))

static char dir[64], conf[128], run_dir[128], shm_dir[128], script[PATH_MAX];
static char build[PATH_MAX], bin[PATH_MAX];
static char out[1 << 16], err[1 << 16];
static bool started;

/* ---- the configuration and the programs --------------------------------------- */

/*
 * deploy/kimp-sim.conf with this test's run_dir, shm_dir, bin_dir and
 * scenario, every process (monitord too), each segment NAME as NAME-PID,
 * monitord on ports the kernel picks.
 */
static void write_conf(void)
{
	char scn[PATH_MAX], line[1024], sec[64] = "";
	FILE *in = fopen("deploy/kimp-sim.conf", "r"), *o;

	cr_assert_not_null(in, "deploy/kimp-sim.conf: %s", strerror(errno));
	cr_assert_not_null(realpath("sim/scenarios/default.scn", scn));
	o = fopen(conf, "w");
	cr_assert_not_null(o);
	while (fgets(line, sizeof(line), in)) {
		char key[64], val[256] = "";

		if (line[0] == '[') {
			if (!strcmp(sec, "[supervisor]"))
				fprintf(o, "run_dir = %s\nbin_dir = %s\nexsim_scenario = %s\n"
					   "procs = feedd stratd riskd orderd monitord\n\n",
					run_dir, bin, scn);
			snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(line, "\n"), line);
		}
		if (sscanf(line, " %63[a-z_] = %255s", key, val) >= 1 && strchr(line, '=')) {
			if (!strcmp(sec, "[supervisor]") &&
			    (!strcmp(key, "run_dir") || !strcmp(key, "bin_dir") ||
			     !strcmp(key, "exsim_scenario") || !strcmp(key, "procs")))
				continue;
			if (!strcmp(sec, "[shm]") && !strcmp(key, "shm_dir")) {
				fprintf(o, "shm_dir = %s\nhugetlbfs = %s\n", shm_dir, shm_dir);
				continue;
			}
			if (!strcmp(sec, "[monitord]") && !strcmp(key, "listen")) {
				fputs("listen = 127.0.0.1:0\nws_listen = 127.0.0.1:0\n", o);
				continue;
			}
			if (sup_is_seg_name(val)) {
				fprintf(o, "%s = %s-%d\n", key, val, (int)getpid());
				continue;
			}
		}
		fputs(line, o);
	}
	fclose(in);
	cr_assert_eq(fclose(o), 0);
}

/* argv with extra environment "K=V" (or NULL); status, output in out/err. */
static int run(const char *const *argv, const char *env)
{
	return sup_run(dir, argv, env, out, err, sizeof(out));
}

static int kimp(const char *cmd)
{
	const char *argv[] = { script, "-c", conf, cmd, NULL };

	return run(argv, NULL);
}

/* Processes whose command line mentions this test's directory (the engine's). */
static int procs_left(char *names, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	names[0] = 0;
	while ((e = readdir(d))) {
		char path[300], cmd[4096];
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = 0;
		if (strstr(cmd, dir)) {
			n++;
			snprintf(names + strlen(names), cap - strlen(names), "%s: %.200s\n",
				 e->d_name, cmd);
		}
	}
	closedir(d);
	return n;
}

static int segments_left(void)
{
	DIR *d = opendir(shm_dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Down leaves nothing: no process of the engine, no segment. */
static void assert_nothing_left(void)
{
	char names[8192];
	uint64_t end = kimp_mono_ns() + 10000000000ull;

	/* the supervisor's children are gone when down returns; their
	 * zombies are reaped by init a moment later */
	while (procs_left(names, sizeof(names)) && kimp_mono_ns() < end)
		usleep(20000);
	cr_assert_eq(procs_left(names, sizeof(names)), 0, "processes left:\n%s", names);
	cr_assert_eq(segments_left(), 0, "segments left in %s", shm_dir);
}

static void setup(void)
{
	char kc[PATH_MAX], fd[PATH_MAX], mon[PATH_MAX + 16], tmp[PATH_MAX];

	test_mkdtemp(dir, sizeof(dir), "kimp-run");
	snprintf(conf, sizeof(conf), "%s/kimp.conf", dir);
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	snprintf(shm_dir, sizeof(shm_dir), "%s/shm", dir);
	cr_assert_eq(mkdir(shm_dir, 0700), 0);
	cr_assert_not_null(realpath("deploy/kimp", script), "deploy/kimp");
	cr_assert_not_null(realpath(test_bin("KIMPCTL", "build/kimpctl"), kc), "no kimpctl");
	setenv("KIMPCTL", kc, 1);
	snprintf(tmp, sizeof(tmp), "%s", kc);
	snprintf(build, sizeof(build), "%s", dirname(tmp));
	cr_assert_not_null(realpath(test_bin("FEEDD", "build/bin/feedd"), fd), "no feedd");
	snprintf(bin, sizeof(bin), "%s", dirname(fd));
	snprintf(mon, sizeof(mon), "%s/monitord", bin);
	cr_assert_eq(access(mon, X_OK), 0, "%s: %s (run `make all`)", mon, strerror(errno));
	unsetenv("KIMP_CONFIG");
	unsetenv("DURATION");
	started = false;
	write_conf();
}

static void teardown(void)
{
	if (started) {
		int st = kimp("down");

		cr_expect_eq(st, 0, "kimp down: %d\n%s", st, err);
	}
	test_rmtree(dir);
}

/* ---- the dashboard on a running engine ------------------------------------------------ */

static const char *chromium(void)
{
	static const char *const paths[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser",
					     "/usr/bin/google-chrome" };
	const char *e = getenv("CHROMIUM");

	if (e && *e)
		return e;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

static int run_chromium(const char *const *args, char *buf, size_t cap)
{
	int fd;
	pid_t pid = test_spawn(args, &fd);
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(fd);
	return test_wait_child(pid);
}

/* monitord's HTTP port from its log ("monitord: listening http 127.0.0.1:PORT ws ..."). */
static uint16_t monitord_port(void)
{
	static char log[1 << 16];
	uint64_t end = kimp_mono_ns() + DEADLINE_NS;
	uint16_t port;

	while (!(port = test_port_after(sup_slurp(run_dir, "logs/monitord.log", log, sizeof(log)),
					"listening http"))) {
		cr_assert_lt(kimp_mono_ns(), end, "monitord never listened:\n%s", log);
		usleep(20000);
	}
	return port;
}

/* JSON text without the whitespace between tokens (strings kept as they are). */
static void compact(char *s)
{
	bool in = false;
	char *o = s;

	for (const char *p = s; *p; p++) {
		if (in) {
			*o++ = *p;
			if (*p == '\\' && p[1])
				*o++ = *++p;
			else if (*p == '"')
				in = false;
		} else if (!strchr(" \t\r\n", *p)) {
			in = *p == '"';
			*o++ = *p;
		}
	}
	*o = 0;
}

/* Is every coin's premium a number and every venue's feed rate above 0 in /api/snapshot? */
static bool engine_live(uint16_t port)
{
	static char body[1 << 20];

	if (test_http(port, "GET", "/api/snapshot", body, sizeof(body)) != 200)
		return false;
	compact(body);
	for (const char *v = "upbit\0binance\0"; *v; v += strlen(v) + 1) {
		char k[64];
		const char *p;

		snprintf(k, sizeof(k), "{\"venue\":\"%s\",\"msgs_per_s\":", v);
		if (!(p = strstr(body, k)) || atol(p + strlen(k)) <= 0)
			return false;
	}
	for (const char *coin = "BTC\0ETH\0XRP\0"; *coin; coin += 4) {
		char k[64];
		const char *p;

		snprintf(k, sizeof(k), "{\"coin\":\"%s\",\"krw_venue\"", coin);
		if (!(p = strstr(body, k)) || !(p = strstr(p, "\"premium\":")) ||
		    !strncmp(p + 10, "null", 4))
			return false;
	}
	return true;
}

/* The row of the table cell <td>first</td> in html (up to </tr>), into row. */
static bool row_of(const char *html, const char *table, const char *first, char *row, size_t cap)
{
	char t[64], c[64];
	const char *p, *e;

	snprintf(t, sizeof(t), "<table id=\"%s\">", table);
	snprintf(c, sizeof(c), "<tr><td>%s</td>", first);
	p = strstr(html, t);
	if (!p || !(p = strstr(p, c)) || !(e = strstr(p, "</tr>")))
		return false;
	snprintf(row, cap, "%.*s", (int)(e - p), p);
	return true;
}

/* The number in the row's second cell. */
static long second_cell(const char *row)
{
	const char *p = strstr(row, "</td><td>");

	cr_assert_not_null(p, "%s", row);
	return strtol(p + 9, NULL, 10);
}

TestSuite(run_dashboard, .init = setup, .fini = teardown, .timeout = 300);

Test(run_dashboard, live_numbers_from_the_engine_then_down_leaves_nothing)
{
	const char *chr = chromium();
	static char dom[1 << 20];
	char url[64], prof[160], shot[PATH_MAX + 64], art[PATH_MAX + 16], row[1024], want[64];
	char budget[] = "--virtual-time-budget=8000";
	const char *pts;
	uint64_t end;
	uint16_t port;
	int st;

	if (!chr)
		cr_skip_test("chromium is not installed (tools/install-deps installs it): "
			     "the dashboard is not tested against a running engine");
	st = kimp("up");
	started = true;
	cr_assert_eq(st, 0, "kimp up: %d\n%s\n%s", st, out, err);
	port = monitord_port();
	end = kimp_mono_ns() + DEADLINE_NS;
	while (test_http(port, "GET", "/health", NULL, 0) != 200) {
		cr_assert_lt(kimp_mono_ns(), end, "monitord's /health never 200");
		usleep(50000);
	}
	/* the dashboard is loaded once the engine has numbers to show */
	while (!engine_live(port)) {
		cr_assert_lt(kimp_mono_ns(), end, "no feed rates or premiums in /api/snapshot");
		usleep(100000);
	}

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	snprintf(prof, sizeof(prof), "--user-data-dir=%s/chromium", dir);
	{
		const char *argv[] = { chr, "--headless", "--no-sandbox", "--disable-gpu",
				       "--no-first-run", "--disable-extensions", prof, budget,
				       "--dump-dom", url, NULL };

		cr_assert_eq(run_chromium(argv, dom, sizeof(dom)), 0, "chromium failed:\n%s", dom);
	}
	cr_assert_null(strstr(dom, "no monitord"), "%s", dom);
	/* the process table: every daemon, with the pid the supervisor started, ok */
	for (size_t i = 0; i < NDAEMONS; i++) {
		cr_assert(row_of(dom, "health", daemons[i], row, sizeof(row)),
			  "no %s in the process table:\n%s", daemons[i], dom);
		cr_assert_eq(second_cell(row), (long)sup_state_pid(run_dir, daemons[i]), "%s: %s", daemons[i], row);
		cr_assert_not_null(strstr(row, "<span class=\"ok\">ok</span>"), "%s", row);
	}
	/* feed health: both venues, with a message rate */
	for (const char *v = "upbit\0binance\0"; *v; v += strlen(v) + 1) {
		cr_assert(row_of(dom, "feeds", v, row, sizeof(row)), "no %s feed:\n%s", v, dom);
		cr_assert_gt(second_cell(row), 0, "%s: no messages: %s", v, row);
	}
	/* the premium chart has points for every coin of the scenario, and the
	 * table a premium for each */
	pts = strstr(dom, "data-points=\"");
	cr_assert_not_null(pts, "the premium chart drew nothing:\n%s", dom);
	for (const char *coin = "BTC\0ETH\0XRP\0"; *coin; coin += 4) {
		const char *p;

		snprintf(want, sizeof(want), "%s:", coin);
		p = strstr(pts, want);
		cr_assert(p && p < strchr(pts + 13, '"'), "no %s in %.80s", coin, pts);
		cr_assert_gt(atoi(p + strlen(want)), 0, "no %s point: %.80s", coin, pts);
		cr_assert(row_of(dom, "premium", coin, row, sizeof(row)), "%s", dom);
		cr_assert(strstr(row, "%</td>") && !strstr(row, "<td>-</td><td>"),
			  "%s: no premium: %s", coin, row);
	}
	cr_assert_not_null(strstr(dom, "<b id=\"pnl-total\">"), "no PnL:\n%s", dom);

	/* a screenshot, kept as an artifact of the build */
	snprintf(art, sizeof(art), "%s/artifacts", build);
	mkdir(art, 0755);
	snprintf(shot, sizeof(shot), "--screenshot=%s/dashboard.png", art);
	{
		const char *argv[] = { chr, "--headless", "--no-sandbox", "--disable-gpu",
				       "--no-first-run", "--disable-extensions", prof, budget,
				       "--window-size=1000,1600", shot, url, NULL };
		struct stat sb;

		cr_assert_eq(run_chromium(argv, dom, sizeof(dom)), 0, "chromium failed:\n%s", dom);
		cr_assert_eq(stat(shot + strlen("--screenshot="), &sb), 0, "%s", shot);
		cr_assert_gt(sb.st_size, 1000);
	}
	cr_log_info("the live dashboard's screenshot: %s/dashboard.png", art);
	printf("run_dashboard: screenshot of the live dashboard in %s/dashboard.png\n", art);

	st = kimp("down");
	started = false;
	cr_assert_eq(st, 0, "kimp down: %d\n%s", st, err);
	assert_nothing_left();
}

/* ---- make run's script ------------------------------------------------------------------ */

/* The summary line starting with label (its first line): into line; false when none. */
static bool summary_line(const char *text, const char *label, char *line, size_t cap)
{
	const char *s = strstr(text, "==== summary");
	size_t n = strlen(label);

	for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, label, n) && l[n] == ' ') {
			snprintf(line, cap, "%.*s", (int)strcspn(l, "\n"), l);
			return true;
		}
	}
	return false;
}

TestSuite(make_run, .init = setup, .fini = teardown, .timeout = 300);

Test(make_run, a_timed_run_ends_with_a_measured_summary)
{
	static const char *const labels[] = { "trades", "pairs", "pnl KRW", "pnl USDT",
					      "pnl total", "opportunities", "unhedged",
					      "tick->order", "restarts" };
	char runner[PATH_MAX], line[1024];
	const char *argv[] = { runner, build, conf, NULL };
	int st;

	cr_assert_not_null(realpath("deploy/run", runner));
	st = run(argv, "DURATION=3");
	cr_assert_eq(st, 0, "deploy/run: %d\n%s\n%s", st, out, err);
	cr_assert_not_null(strstr(out, "run: dashboard http://127.0.0.1:"), "%s", out);
	cr_assert_not_null(strstr(out, "run: Ctrl-C stops (or after 3s)"), "%s", out);
	cr_assert_not_null(strstr(out, "==== summary: "), "no summary:\n%s\n%s", out, err);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		cr_assert(summary_line(out, labels[i], line, sizeof(line)), "no '%s' line:\n%s",
			  labels[i], out);
		cr_assert_null(strchr(line + strlen(labels[i]), '?'), "not measured: %s\n%s", line,
			       out);
		cr_assert(strpbrk(line + strlen(labels[i]), "0123456789") ||
			  strstr(line, "no orders sent") || strstr(line, "none"),
			  "no numbers: %s", line);
	}
	/* and no restarts in a clean run */
	cr_assert(summary_line(out, "restarts", line, sizeof(line)));
	cr_assert_not_null(strstr(line, "none"), "%s", line);
	cr_assert_not_null(strstr(err, "down: stopped, segments removed"), "%s", err);
	assert_nothing_left();
}
