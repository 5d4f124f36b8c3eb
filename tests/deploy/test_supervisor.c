/* SPDX-License-Identifier: MIT */
/*
 * The supervisor (deploy/kimp) end to end: the real script runs exsim and
 * the real daemons from deploy/kimp-sim.conf (its run_dir, shm_dir, segment
 * names and knobs rewritten for a temp directory), and the tests kill,
 * stop and restart them, then check what the supervisor did: its state
 * file, its log, and what is left after `down`.
 *
 * Programs: the script's bin_dir is the directory of $FEEDD (default
 * build/bin; exsim beside it one level up, as `make` builds them); kimpctl
 * is $KIMPCTL (default build/kimpctl).
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/segment.h"
#include "kimp/tsc.h"
#include "../testutil.h"
#include "suptest.h"

#define DEADLINE_NS (60ull * 1000000000ull)
#define NPROCS      5

static const char *const procs[NPROCS] = { "exsim", "feedd", "stratd", "riskd", "orderd" };

static char dir[64], conf[128], run_dir[128], shm_dir[128], script[PATH_MAX];
static char out[65536], err[65536];
static bool started;
static char huge_dir[224];  /* non-empty: [shm] hugepages = true, hugetlbfs here */
static long huge_total0 = -1; /* nr_hugepages to restore at the end, or -1 */
static bool mounted_hugetlbfs(const char *path);
static void set_nr_hugepages(long n);

/* ---- the configuration --------------------------------------------------- */

/*
 * deploy/kimp-sim.conf with: run_dir, shm_dir, bin_dir, the scenario and the
 * procs of this test; each segment name NAME as NAME-PID; sup_extra lines at
 * the end of [supervisor].
 */
static void write_conf(const char *sup_extra)
{
	char bin[PATH_MAX], feedd[PATH_MAX], scn[PATH_MAX], line[1024], sec[64] = "";
	FILE *in = fopen("deploy/kimp-sim.conf", "r"), *o;

	cr_assert_not_null(in, "deploy/kimp-sim.conf: %s", strerror(errno));
	cr_assert_not_null(realpath(test_bin("FEEDD", "build/bin/feedd"), feedd), "no feedd");
	snprintf(bin, sizeof(bin), "%s", dirname(feedd));
	cr_assert_not_null(realpath("sim/scenarios/default.scn", scn));
	o = fopen(conf, "w");
	cr_assert_not_null(o);
	while (fgets(line, sizeof(line), in)) {
		char key[64], val[256] = "";

		if (line[0] == '[') {
			if (!strcmp(sec, "[supervisor]")) /* leaving it: this test's keys */
				fprintf(o, "run_dir = %s\nbin_dir = %s\nexsim_scenario = %s\n"
					   "procs = feedd stratd riskd orderd\nheartbeat_timeout = 3s\n"
					   "restart_backoff_min = 10ms\nrestart_backoff_max = 100ms\n"
					   "poll = 50ms\n%s\n",
					run_dir, bin, scn, sup_extra);
			snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(line, "\n"), line);
		}
		if (sscanf(line, " %63[a-z_] = %255s", key, val) >= 1 && strchr(line, '=')) {
			/* of [supervisor], only exsim and hugepages (unless the
			 * test sets it) are the file's */
			if (!strcmp(sec, "[supervisor]") && strcmp(key, "exsim") &&
			    (strcmp(key, "hugepages") || strstr(sup_extra, "hugepages")))
				continue;
			if (!strcmp(sec, "[shm]") && !strcmp(key, "shm_dir")) {
				fprintf(o, "shm_dir = %s\nhugetlbfs = %s\n", shm_dir,
					*huge_dir ? huge_dir : shm_dir);
				continue;
			}
			if (!strcmp(sec, "[shm]") && !strcmp(key, "hugepages") && *huge_dir) {
				fputs("hugepages = true\n", o);
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

/* ---- running the script -------------------------------------------------- */

/* deploy/kimp -c conf ARGS...: its exit status; its output in out and err. */
static int kimp(const char *const *args)
{
	const char *argv[16] = { script, "-c", conf };
	size_t n = 3;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	return sup_run(dir, argv, NULL, out, err, sizeof(out));
}

#define KIMP(...) kimp((const char *const[]){ __VA_ARGS__, NULL })

static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	if (pid <= 0 || kill(pid, 0))
		return false;
	/* an orphan nobody has reaped yet is dead */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z';
}

/* Segment files left in shm_dir. */
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

/* `kimp up`, every process started and up. */
static void up(pid_t pids[NPROCS])
{
	int st = KIMP("up");

	cr_assert_eq(st, 0, "kimp up: %d\n%s\n%s", st, out, err);
	started = true;
	for (unsigned i = 0; i < NPROCS; i++) {
		pids[i] = sup_state_pid(run_dir, procs[i]);
		cr_assert(alive(pids[i]), "%s not alive after up", procs[i]);
	}
}

/*
 * Until proc runs with a pid other than old and kimp status says every
 * process is up and beating; then its pid.
 */
static pid_t wait_restarted(const char *proc, pid_t old)
{
	uint64_t end = kimp_mono_ns() + DEADLINE_NS;
	char log[65536];

	for (;;) {
		pid_t p = sup_state_pid(run_dir, proc);

		if (p > 0 && p != old && alive(p) && KIMP("status") == 0)
			return p;
		cr_assert_lt(kimp_mono_ns(), end, "%s not restarted; supervisor.log:\n%s", proc,
			     sup_slurp(run_dir, "supervisor.log", log, sizeof(log)));
		usleep(20000);
	}
}

static void setup(void)
{
	char *kc = getenv("KIMPCTL"), abs[PATH_MAX];

	test_mkdtemp(dir, sizeof(dir), "kimp-sup");
	snprintf(conf, sizeof(conf), "%s/kimp.conf", dir);
	snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
	snprintf(shm_dir, sizeof(shm_dir), "%s/shm", dir);
	cr_assert_eq(mkdir(shm_dir, 0700), 0);
	cr_assert_not_null(realpath("deploy/kimp", script), "deploy/kimp");
	cr_assert_not_null(realpath(kc && *kc ? kc : "build/kimpctl", abs), "no kimpctl");
	setenv("KIMPCTL", abs, 1);
	unsetenv("KIMP_CONFIG");
	started = false;
	huge_dir[0] = 0;
	write_conf("");
}

static void teardown(void)
{
	if (started) {
		int st = KIMP("down");

		cr_expect_eq(st, 0, "kimp down: %d\n%s", st, err);
	}
	/* a huge-page test that failed half-way: the machine as it was */
	if (*huge_dir && mounted_hugetlbfs(huge_dir))
		umount2(huge_dir, MNT_DETACH);
	if (huge_total0 >= 0)
		set_nr_hugepages(huge_total0);
	huge_total0 = -1;
	test_rmtree(dir);
}

TestSuite(supervisor, .init = setup, .fini = teardown, .timeout = 300);

/* ---- crashes, hangs, shutdown ---------------------------------------------- */

Test(supervisor, a_killed_daemon_is_restarted_alone)
{
	pid_t pids[NPROCS];
	char log[65536], want[128], v[64];

	up(pids);
	for (unsigned k = 1; k < NPROCS; k++) {
		cr_assert_eq(kill(pids[k], SIGKILL), 0);
		pids[k] = wait_restarted(procs[k], pids[k]);
		for (unsigned i = 0; i < NPROCS; i++)
			cr_assert_eq(sup_state_pid(run_dir, procs[i]), pids[i], "%s's pid changed after %s's restart",
				     procs[i], procs[k]);
		cr_assert(sup_state_field(run_dir, procs[k], "cause", v, sizeof(v)));
		cr_assert_str_eq(v, "signal:KILL");
		cr_assert(sup_state_field(run_dir, procs[k], "restarts", v, sizeof(v)));
		cr_assert_str_eq(v, "1");
		snprintf(want, sizeof(want), "%s: signal:KILL: restarting in", procs[k]);
		cr_assert_not_null(strstr(sup_slurp(run_dir, "supervisor.log", log, sizeof(log)), want),
				   "no '%s' in:\n%s", want, log);
	}
	/* kimp status: the supervisor's view, then kimpctl's; every one up */
	cr_assert_eq(KIMP("status"), 0, "%s\n%s", out, err);
	cr_assert_not_null(strstr(out, "proc=riskd"), "%s", out);
	cr_assert_not_null(strstr(out, "signal:KILL"), "%s", out);
}

Test(supervisor, a_hung_daemon_is_killed_and_restarted)
{
	pid_t pids[NPROCS], p;
	char log[65536], v[64];

	up(pids);
	cr_assert_eq(kill(pids[2], SIGSTOP), 0, "stratd");
	p = wait_restarted("stratd", pids[2]);
	cr_assert_neq(p, pids[2]);
	cr_assert_not(alive(pids[2]), "the hung stratd is gone");
	for (unsigned i = 0; i < NPROCS; i++)
		if (i != 2)
			cr_assert_eq(sup_state_pid(run_dir, procs[i]), pids[i], "%s's pid changed", procs[i]);
	cr_assert(sup_state_field(run_dir, "stratd", "cause", v, sizeof(v)));
	cr_assert_eq(strncmp(v, "hung:", 5), 0, "cause %s", v);
	cr_assert_not_null(strstr(sup_slurp(run_dir, "supervisor.log", log, sizeof(log)),
				  "stratd: hung: no heartbeat for"), "%s", log);
}

Test(supervisor, down_leaves_no_process_and_no_segment)
{
	pid_t pids[NPROCS], watcher;
	char buf[64];

	up(pids);
	cr_assert_gt(segments_left(), 0);
	watcher = (pid_t)atoi(sup_slurp(run_dir, "supervisor.pid", buf, sizeof(buf)));
	cr_assert(alive(watcher));
	cr_assert_eq(KIMP("down"), 0, "%s", err);
	started = false;
	cr_assert_not(alive(watcher), "the supervisor");
	for (unsigned i = 0; i < NPROCS; i++)
		cr_assert_not(alive(pids[i]), "%s (%d) still running", procs[i], (int)pids[i]);
	cr_assert_eq(segments_left(), 0, "segments left in %s", shm_dir);
	cr_assert_not_null(strstr(err, "down: riskd killed: cancel-all sent"), "%s", err);
	cr_assert_not_null(strstr(err, "down: stopped, segments removed"), "%s", err);
	/* after down: status says so, and fails */
	cr_assert_eq(KIMP("status"), 1);
	cr_assert_not_null(strstr(out, "supervisor  not running"), "%s", out);
}

Test(supervisor, past_the_restart_cap_a_process_stays_down)
{
	pid_t pids[NPROCS];
	char v[64], log[65536];
	uint64_t end;

	write_conf("restart_max = 2\nrestart_window = 600s");
	up(pids);
	/* restart_max restarts are made... */
	for (unsigned n = 1; n <= 2; n++) {
		cr_assert_eq(kill(pids[1], SIGKILL), 0);
		pids[1] = wait_restarted("feedd", pids[1]);
		cr_assert(sup_state_field(run_dir, "feedd", "restarts", v, sizeof(v)));
		cr_assert_eq(atoi(v), (int)n);
	}
	/* ...and the next death is one too many */
	cr_assert_eq(kill(pids[1], SIGKILL), 0);
	end = kimp_mono_ns() + DEADLINE_NS;
	while (!sup_state_field(run_dir, "feedd", "state", v, sizeof(v)) || strcmp(v, "failed")) {
		cr_assert_lt(kimp_mono_ns(), end, "feedd never FAILED:\n%s",
			     sup_slurp(run_dir, "supervisor.log", log, sizeof(log)));
		usleep(20000);
	}
	cr_assert(sup_state_field(run_dir, "feedd", "restarts", v, sizeof(v)));
	cr_assert_str_eq(v, "2");
	cr_assert(sup_state_field(run_dir, "feedd", "pid", v, sizeof(v)));
	cr_assert_str_eq(v, "0");
	cr_assert_not_null(strstr(sup_slurp(run_dir, "supervisor.log", log, sizeof(log)),
				  "feedd: signal:KILL: FAILED: 2 restarts"), "%s", log);
	cr_assert_eq(KIMP("status"), 1);
	cr_assert_not_null(strstr(out, "FAILED: feedd"), "%s", out);
	/* the others run on */
	for (unsigned i = 0; i < NPROCS; i++)
		if (i != 1)
			cr_assert(alive(pids[i]), "%s", procs[i]);
	/* an operator's restart brings it back */
	cr_assert_eq(KIMP("restart", "feedd"), 0, "%s", err);
	wait_restarted("feedd", 0);
}

/* ---- the command line ------------------------------------------------------- */

Test(supervisor, restart_and_logs)
{
	pid_t pids[NPROCS], p;
	char v[64];

	up(pids);
	cr_assert_eq(KIMP("restart", "riskd"), 0, "%s", err);
	p = wait_restarted("riskd", pids[3]);
	cr_assert_neq(p, pids[3]);
	cr_assert(sup_state_field(run_dir, "riskd", "cause", v, sizeof(v)));
	cr_assert_str_eq(v, "manual");
	cr_assert_eq(sup_state_pid(run_dir, "orderd"), pids[4]);
	cr_assert_eq(KIMP("restart", "nosuch"), 2);
	cr_assert_not_null(strstr(err, "'nosuch' is not one of"), "%s", err);
	cr_assert_eq(KIMP("logs", "riskd"), 0, "%s", err);
	cr_assert_not_null(strstr(out, "---- "), "%s", out);
	cr_assert_eq(KIMP("logs"), 0);
	cr_assert_not_null(strstr(out, "riskd: restart asked by the operator"), "%s", out);
	cr_assert_eq(KIMP("logs", "--rotate"), 0, "%s", err);
	cr_assert_eq(KIMP("up"), 2, "a second up");
	cr_assert_not_null(strstr(err, "already up"), "%s", err);
}

Test(supervisor, a_bad_key_names_file_line_key)
{
	char want[256];

	write_conf("restart_mx = 3");
	cr_assert_eq(KIMP("up"), 2);
	snprintf(want, sizeof(want), "%s:", conf);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_not_null(strstr(err, "key 'supervisor.restart_mx': unknown key"), "%s", err);
	write_conf("");
	cr_assert_eq(KIMP("bogus"), 2);
	cr_assert_eq(KIMP("restart", "feedd"), 2, "no supervisor running");
	cr_assert_not_null(strstr(err, "the supervisor is not running"), "%s", err);
}

/* Every daemon runs with the wait mode the supervisor chose and says so (gauge wait_mode). */
static void assert_wait(const char *mode, unsigned want)
{
	char needle[64];
	unsigned n = 0;

	cr_assert_eq(KIMP("status", "--json"), 0, "%s\n%s", out, err);
	snprintf(needle, sizeof(needle), "\"wait\": \"%s\"", mode);
	for (const char *p = out; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	cr_assert_eq(n, want, "%u daemons with %s, not %u:\n%s", n, needle, want, out);
}

Test(supervisor, the_wait_mode_reaches_every_daemon)
{
	pid_t pids[NPROCS];

	up(pids);
	assert_wait("hybrid", 4);
	cr_assert_eq(KIMP("down"), 0, "%s", err);
	started = false;
	write_conf("wait = spin");
	up(pids);
	assert_wait("spin", 4);
}

/* exsim restarted on new ports: feedd and orderd follow it, stratd and riskd run on. */
Test(supervisor, a_killed_exsim_takes_feedd_and_orderd_along)
{
	pid_t pids[NPROCS];
	char v[64];

	up(pids);
	cr_assert_eq(kill(pids[0], SIGKILL), 0);
	wait_restarted("exsim", pids[0]);
	wait_restarted("feedd", pids[1]);
	wait_restarted("orderd", pids[4]);
	cr_assert_eq(sup_state_pid(run_dir, "stratd"), pids[2]);
	cr_assert_eq(sup_state_pid(run_dir, "riskd"), pids[3]);
	cr_assert(sup_state_field(run_dir, "exsim", "cause", v, sizeof(v)));
	cr_assert_str_eq(v, "signal:KILL");
	cr_assert(sup_state_field(run_dir, "feedd", "cause", v, sizeof(v)));
	cr_assert_str_eq(v, "exsim-restarted");
	cr_assert(sup_state_field(run_dir, "orderd", "cause", v, sizeof(v)));
	cr_assert_str_eq(v, "exsim-restarted");
}

/* ---- huge pages (root only) ------------------------------------------------ */

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	fclose(f);
	return v;
}

static bool mounted_hugetlbfs(const char *path)
{
	char line[1024], want[256];
	bool yes = false;
	FILE *f = fopen("/proc/mounts", "r");

	cr_assert_not_null(f);
	snprintf(want, sizeof(want), " %s hugetlbfs ", path);
	while (fgets(line, sizeof(line), f))
		yes |= strstr(line, want) != NULL;
	fclose(f);
	return yes;
}

/* Segment files in d whose name has 'part'. */
static int files_in(const char *d, const char *part)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	if (!dp)
		return 0;
	while ((e = readdir(dp)))
		n += e->d_name[0] != '.' && strstr(e->d_name, part);
	closedir(dp);
	return n;
}

static void set_nr_hugepages(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fprintf(f, "%ld\n", n);
		fclose(f);
	}
}

/*
 * As root, `up` mounts hugetlbfs where [shm] hugetlbfs says, reserves the
 * [supervisor] hugepages it lacks, and the daemons' segments live there;
 * `down` removes them. The machine's huge page count is restored after.
 */
Test(supervisor, as_root_hugetlbfs_is_mounted_reserved_and_used)
{
	pid_t pids[NPROCS];
	char extra[64], log[65536], want[256], tag[32];

	if (geteuid())
		cr_skip_test("needs root (mount, nr_hugepages)");
	if (meminfo("Hugepagesize") != 2048)
		cr_skip_test("no 2 MiB huge pages here");
	long total0 = meminfo("HugePages_Total"), free0 = meminfo("HugePages_Free");
	long wanted = free0 + 64;  /* more than are free: the script must reserve */
	huge_total0 = total0;
	snprintf(huge_dir, sizeof(huge_dir), "%s/huge", dir);
	snprintf(extra, sizeof(extra), "hugepages = %ld", wanted);
	write_conf(extra);
	up(pids);
	bool mounted = mounted_hugetlbfs(huge_dir);
	long total1 = meminfo("HugePages_Total");
	sup_slurp(run_dir, "supervisor.log", log, sizeof(log));
	snprintf(tag, sizeof(tag), "-%d", (int)getpid());
	int segs = files_in(huge_dir, tag), fallback = files_in(shm_dir, tag);
	int st = KIMP("down");
	started = false;
	int left = files_in(huge_dir, tag);
	cr_assert(mounted, "hugetlbfs not mounted on %s:\n%s", huge_dir, log);
	snprintf(want, sizeof(want), "mounted hugetlbfs on %s", huge_dir);
	cr_assert_not_null(strstr(log, want), "%s", log);
	cr_assert_geq(total1, total0 + 64, "no pages reserved (%ld -> %ld):\n%s", total0, total1,
		      log);
	cr_assert_not_null(strstr(log, "reserved huge pages"), "%s", log);
	cr_assert_geq(segs, 4, "%d segments on hugetlbfs, %d in shm_dir:\n%s", segs, fallback,
		      log);
	cr_assert_eq(fallback, 0, "%d segments fell back to shm_dir:\n%s", fallback, log);
	cr_assert_eq(st, 0, "kimp down: %s", err);
	cr_assert_eq(left, 0, "down left %d segments on hugetlbfs", left);
}

/*
 * hugetlbfs cannot be mounted (its directory cannot be made): `up` says so
 * and the engine runs with its segments in shm_dir.
 */
Test(supervisor, as_root_no_hugetlbfs_falls_back_and_says_so)
{
	pid_t pids[NPROCS];
	char log[65536], want[512], tag[32], file[192];

	if (geteuid())
		cr_skip_test("needs root (mount)");
	snprintf(file, sizeof(file), "%s/not-a-dir", dir);
	test_write_text(file, "x");
	snprintf(huge_dir, sizeof(huge_dir), "%s/huge", file);
	write_conf("");
	up(pids);
	sup_slurp(run_dir, "supervisor.log", log, sizeof(log));
	snprintf(want, sizeof(want), "cannot mount hugetlbfs on %s: segments fall back to %s",
		 huge_dir, shm_dir);
	cr_assert_not_null(strstr(log, want), "%s", log);
	snprintf(tag, sizeof(tag), "-%d", (int)getpid());
	cr_assert_geq(files_in(shm_dir, tag), 4, "segments not in shm_dir");
	cr_assert_eq(KIMP("status"), 0, "%s", out);
}
