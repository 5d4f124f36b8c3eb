/* SPDX-License-Identifier: MIT */
/*
 * kimpctl status end to end: daemon-shaped segments built by hand (a
 * metrics region whose writer is this test, or a dead pid), a supervisor
 * state file written by hand, the built binary run on them (build/kimpctl,
 * or $KIMPCTL); and status --conf, the supervisor's view of [supervisor].
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimp/segment.h"
#include "kimp/tsc.h"
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"

#define SEC     UINT64_C(1000000000)
#define NSEGS   2

static struct tenv env;
static char cfg[128];
static char names[NSEGS][SHM_NAME_MAX];    /* feedd's and stratd's segments */
static struct shm_seg segs[NSEGS];
static bool made[NSEGS];
static struct run r;

/*
 * [supervisor] with run_dir = the test's directory, procs = feedd stratd,
 * the segment names unique to this test; 'extra' after it (more sections,
 * or keys of [supervisor] when it starts with a key).
 */
static void write_cfg(const char *sup_extra, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "[shm]\nhugetlbfs = %s\nshm_dir = %s\nhugepages = no\n"
		 "[feedd]\nname = %s\n[stratd]\nname = %s\n"
		 "[supervisor]\nrun_dir = %s\nheartbeat_timeout = 1800s\n%s\n%s%s",
		 env.dir, env.dir, names[0], names[1], env.dir, sup_extra,
		 strstr(sup_extra, "procs =") ? "" : "procs = feedd stratd\n", extra);
	test_write_file(cfg, text, strlen(text));
}

static void run(const char *const *args)
{
	ctl_run_conf(&r, env.dir, cfg, args);
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })
#define assert_status(n) ctl_assert_status(r, n)

/* Segment i with a metrics region: writer pid, heartbeat 'age' ago (0: never), wait gauge (-1 none). */
static struct shm_metrics *make_seg(unsigned i, pid_t pid, uint64_t age, int wait)
{
	struct shm_metrics *m;

	cr_assert_eq(shm_seg_create(&segs[i], names[i], 1 << 20, &env.o), 0, "%s",
		     shm_last_error());
	made[i] = true;
	cr_assert_eq(shm_metrics_create(&segs[i], "metrics", i ? "stratd" : "feedd", 4, 4, 1, &m),
		     0);
	shm_metrics_claim(m);
	atomic_store(&m->pid, pid);
	/* claim beats once: age 0 takes that back */
	shm_metrics_heartbeat(m, age ? kimp_mono_ns() - age : 0);
	cr_assert_not_null(shm_metrics_gauge(m, "other"));
	if (wait >= 0)
		shm_gauge_set(shm_metrics_gauge(m, "wait_mode"), wait);
	return m;
}

/* A pid that was this test's child and is gone. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(test_wait_child(pid), 0);
	return pid;
}

static void write_state(const char *text)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/state", env.dir);
	test_write_file(path, text, strlen(text));
}

static void setup(void)
{
	tenv_init(&env);
	for (unsigned i = 0; i < NSEGS; i++)
		snprintf(names[i], sizeof(names[i]), "kst%u-%d", i, (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	memset(made, 0, sizeof(made));
	write_cfg("", "");
}

static void teardown(void)
{
	for (unsigned i = 0; i < NSEGS; i++) {
		if (!made[i])
			continue;
		shm_seg_detach(&segs[i]);
		cr_expect_eq(shm_seg_remove(names[i], &env.o), 0);
	}
	unlink(cfg);
	tenv_fini(&env);
}

TestSuite(kimpctl_status, .init = setup, .fini = teardown);

/* ---- status ----------------------------------------------------------------- */

Test(kimpctl_status, all_up_and_beating_exits_0)
{
	char want[128];

	make_seg(0, getpid(), SEC, 1);
	make_seg(1, getpid(), 2 * SEC, 0);
	RUN("status", "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"ok\":true");
	assert_has(r.out, "\"supervisor_state\":false");
	snprintf(want, sizeof(want), "\"name\":\"feedd\",\"segment\":\"%s\",\"state\":\"up\","
		 "\"up\":true,\"pid\":%d,\"alive\":true,\"cpu\":", names[0], (int)getpid());
	assert_has(r.out, want);
	assert_has(r.out, "\"wait\":\"spin\"");
	assert_has(r.out, "\"wait\":\"hybrid\"");
	assert_has(r.out, "\"heartbeat_fresh\":true");
	assert_lacks(r.out, "\"cpu\":null");
	assert_lacks(r.out, "\"cpus_allowed\":null");
	assert_has(r.out, "\"restarts\":0,\"last_cause\":null");
	cr_assert_geq(number_after(r.out, "\"heartbeat_age_ns\":"), SEC);
	cr_assert_lt(number_after(r.out, "\"heartbeat_age_ns\":"), 1800 * SEC);
	RUN("status");
	assert_status(0);
	squeeze(r.out);
	snprintf(want, sizeof(want), "feedd up %d yes ", (int)getpid());
	assert_has(r.out, want);
	assert_has(r.out, "NAME STATE PID ALIVE CPU ALLOWED HEARTBEAT STARTED WAIT RESTARTS LAST CAUSE");
}

Test(kimpctl_status, a_stale_heartbeat_exits_1)
{
	/* heartbeat_timeout 1800 s: 1799 s is fresh, 1801 s is not */
	make_seg(0, getpid(), 1799 * SEC, 1);
	make_seg(1, getpid(), 1801 * SEC, 1);
	RUN("status", "--json");
	assert_status(1);
	compact(r.out);
	assert_has(r.out, "\"ok\":false");
	assert_has(r.out, "\"name\":\"feedd\",");
	assert_has(r.out, "\"state\":\"stale\",\"up\":false");
	RUN("status", "--proc", "feedd");
	assert_status(0);
	RUN("status", "--proc", "stratd");
	assert_status(1);
}

Test(kimpctl_status, never_beaten_is_not_up)
{
	make_seg(0, getpid(), 0, -1);
	RUN("status", "--proc", "feedd", "--json");
	assert_status(1);
	compact(r.out);
	assert_has(r.out, "\"heartbeat_age_ns\":null,\"heartbeat_fresh\":false");
	assert_has(r.out, "\"wait\":null");
}

Test(kimpctl_status, a_dead_writer_and_a_missing_segment_are_down)
{
	make_seg(0, dead_pid(), SEC, 1);
	RUN("status", "--json");
	assert_status(1);
	compact(r.out);
	assert_has(r.out, "\"state\":\"down\",\"up\":false");
	assert_has(r.out, "\"alive\":false,\"cpu\":null,\"cpus_allowed\":null");
	assert_has(r.out, "\"heartbeat_fresh\":false");
	/* stratd: no segment at all */
	assert_has(r.out, "\"name\":\"stratd\",");
	assert_has(r.out, "\"pid\":null,\"alive\":false");
}

Test(kimpctl_status, the_supervisor_state_file)
{
	char text[512];
	pid_t dead = dead_pid();

	make_seg(0, dead, SEC, -1);
	/* feedd restarted by the supervisor, its new pid (this test) not yet in the metrics */
	snprintf(text, sizeof(text),
		 "# kimp supervisor state\n"
		 "proc=feedd pid=%d state=up restarts=3 cause=signal:KILL at=1700000000 wait=spin "
		 "future=1\n"
		 "proc=stratd pid=%d state=failed restarts=5 cause=exit:1 at=1700000100 wait=-\n"
		 "proc=nobody pid=1 state=up\n",
		 (int)getpid(), (int)dead);
	write_state(text);
	RUN("status", "--json");
	assert_status(1);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"supervisor_state\":true");
	snprintf(text, sizeof(text), "\"pid\":%d,\"alive\":true", (int)getpid());
	assert_has(r.out, text);
	/* the heartbeat is the dead writer's: not fresh */
	assert_has(r.out, "\"heartbeat_fresh\":false");
	assert_has(r.out, "\"wait\":\"spin\",\"restarts\":3,\"last_cause\":\"signal:KILL\","
			  "\"last_restart\":\"2023-11-14T22:13:20.000Z\"");
	assert_has(r.out, "\"state\":\"failed\"");
	assert_has(r.out, "\"restarts\":5,\"last_cause\":\"exit:1\"");
	assert_lacks(r.out, "nobody");
	RUN("status");
	squeeze(r.out);
	assert_has(r.out, "stratd failed - no - - - - - 5 exit:1");
}

Test(kimpctl_status, exsim_is_up_while_its_process_lives)
{
	char text[256];

	write_cfg("exsim = true", "");
	make_seg(0, getpid(), SEC, 0);
	make_seg(1, getpid(), SEC, 0);
	snprintf(text, sizeof(text), "proc=exsim pid=%d state=up restarts=0 cause=- at=0\n",
		 (int)getpid());
	write_state(text);
	RUN("status", "--json");
	assert_status(0);
	compact(r.out);
	assert_has(r.out, "\"procs\":[{\"name\":\"exsim\",\"segment\":null,\"state\":\"up\"");
	snprintf(text, sizeof(text), "proc=exsim pid=%d state=up\n", (int)dead_pid());
	write_state(text);
	RUN("status", "--proc", "exsim");
	assert_status(1);
}

Test(kimpctl_status, proc_and_gauge)
{
	make_seg(0, getpid(), SEC, 1);
	RUN("status", "--proc", "feedd", "--gauge", "wait_mode");
	assert_status(0);
	cr_assert_str_eq(r.out, "1\n");
	RUN("status", "--proc", "feedd", "--gauge", "nothing");
	assert_status(1);
	assert_has(r.err, "no gauge 'nothing'");
	RUN("status", "--proc", "riskd");
	assert_status(2);
	assert_has(r.err, "--proc 'riskd'");
	RUN("status", "--gauge", "wait_mode");
	assert_status(2);
	RUN("status", "--proc");
	assert_status(2);
	RUN("status", "--bogus");
	assert_status(2);
	RUN("status", "--help");
	assert_status(0);
	assert_has(r.out, "status --conf");
}

/* ---- status --conf ------------------------------------------------------------ */

/*
 * A relative run_dir is the config file's directory joined with it, made
 * absolute (as deploy/kimp reads it), whatever directory kimpctl runs in.
 */
Test(kimpctl_status, relative_run_dir_is_relative_to_the_file)
{
	char text[512], path[256], want[512], *dir = realpath(env.dir, NULL);

	cr_assert_not_null(dir);
	snprintf(path, sizeof(path), "%s/rel.conf", env.dir);
	snprintf(text, sizeof(text), "[shm]\nshm_dir = %s\n[supervisor]\nrun_dir = run/here\n"
		 "procs = feedd\n", env.dir);
	test_write_file(path, text, strlen(text));
	cr_assert_neq(strcmp(dir, getcwd(want, sizeof(want))), 0, "the test runs elsewhere");
	ctl_run_conf(&r, env.dir, path, (const char *const[]){ "status", "--conf", NULL });
	assert_status(0);
	snprintf(want, sizeof(want), "run_dir=%s/run/here\n", dir);
	assert_has(r.out, want);
	free(dir);
}

Test(kimpctl_status, conf_defaults_and_what_the_script_needs)
{
	char want[256];

	write_cfg("", "[orderd]\ncpu = 3\nwait = spin\n");
	RUN("status", "--conf");
	assert_status(0);
	snprintf(want, sizeof(want), "run_dir=%s\n", env.dir);
	assert_has(r.out, want);
	assert_has(r.out, "heartbeat_timeout_ns=1800000000000\n");
	assert_has(r.out, "restart_backoff_min_ns=500000000\n");
	assert_has(r.out, "restart_backoff_max_ns=30000000000\n");
	assert_has(r.out, "restart_max=5\nrestart_window_ns=300000000000\n");
	assert_has(r.out, "wait=auto\nexsim=0\n");
	assert_has(r.out, "procs=feedd stratd\n");
	snprintf(want, sizeof(want), "proc.feedd.segment=%s\nproc.feedd.wait_key=0\nproc.feedd.cpu=\n",
		 names[0]);
	assert_has(r.out, want);
	snprintf(want, sizeof(want), "shm_dir=%s\n", env.dir);
	assert_has(r.out, want);
	/* all six, exsim first whatever procs says; cpu from the section or [supervisor] cpu.NAME */
	write_cfg("exsim = true\nprocs = feedd exsim stratd riskd orderd monitord\ncpu.feedd = 2\n"
		  "cpu.orderd = 5\n",
		  "[orderd]\ncpu = 3\nwait = spin\n[feedd]\nspin = true\n");
	RUN("status", "--conf");
	assert_status(0);
	assert_has(r.out, "exsim=1\n");
	assert_has(r.out, "procs=exsim feedd stratd riskd orderd monitord\n");
	assert_has(r.out, "proc.feedd.wait_key=1\nproc.feedd.cpu=2\n");
	assert_has(r.out, "proc.orderd.segment=orderd\nproc.orderd.wait_key=1\nproc.orderd.cpu=3\n");
	assert_has(r.out, "proc.riskd.segment=riskd\nproc.riskd.wait_key=0\n");
	assert_has(r.out, "proc.exsim.segment=\n");
}

/* A [supervisor] line that --conf (and so status) refuses, naming file, line, key. */
static void refused(const char *line, const char *key, const char *why)
{
	char want[256];

	write_cfg(line, "");
	RUN("status", "--conf");
	assert_status(2);
	/* [supervisor] starts on line 9; run_dir, heartbeat_timeout, then 'line' on 12 */
	snprintf(want, sizeof(want), "%s:12: key 'supervisor.%s'", cfg, key);
	assert_has(r.err, want);
	assert_has(r.err, why);
	RUN("status");
	assert_status(2);
}

Test(kimpctl_status, conf_refuses_bad_keys)
{
	refused("bogus = 1", "bogus", "unknown key");
	refused("wait = fast", "wait", "'fast' is not auto, spin or hybrid");
	refused("restart_max = 1001", "restart_max", "out of range");
	refused("restart_max = x", "restart_max", "");
	refused("cpu.feedd = 4096", "cpu.feedd", "out of range");
	refused("exsim = perhaps", "exsim", "");
	refused("restart_backoff_max = 1ms", "restart_backoff_max", "out of range");
}

Test(kimpctl_status, conf_limits_at_their_boundaries)
{
	write_cfg("restart_max = 1000\ncpu.feedd = 4095\n", "");
	RUN("status", "--conf");
	assert_status(0);
	assert_has(r.out, "restart_max=1000\n");
	assert_has(r.out, "proc.feedd.cpu=4095\n");
	write_cfg("restart_max = 0\n", "");
	RUN("status", "--conf");
	assert_status(0);
}

Test(kimpctl_status, conf_heartbeat_timeout_boundary)
{
	char text[1024];

	snprintf(text, sizeof(text), "[shm]\nshm_dir = %s\n[supervisor]\nheartbeat_timeout = 10ms\n",
		 env.dir);
	test_write_file(cfg, text, strlen(text));
	RUN("status", "--conf");
	assert_status(0);
	assert_has(r.out, "heartbeat_timeout_ns=10000000\n");
	snprintf(text, sizeof(text), "[shm]\nshm_dir = %s\n[supervisor]\nheartbeat_timeout = 9ms\n",
		 env.dir);
	test_write_file(cfg, text, strlen(text));
	RUN("status", "--conf");
	assert_status(2);
	assert_has(r.err, ":4: key 'supervisor.heartbeat_timeout'");
}

Test(kimpctl_status, conf_refuses_bad_procs)
{
	refused("procs = feedd feedd", "procs", "'feedd' is listed twice");
	refused("procs = feedd kimpd", "procs", "'kimpd' is not one of");
	refused("procs = exsim", "procs", "names no process");
}
