/* SPDX-License-Identifier: MIT */
/*
 * kimpctl status: the engine's processes as the supervisor runs them.
 *
 *   kimpctl status [--json] [--proc NAME]
 *   kimpctl status --proc NAME --gauge GAUGE
 *   kimpctl status --conf
 *
 * For each process of [supervisor] procs (exsim when [supervisor] exsim is
 * true, then feedd stratd riskd orderd monitord by default): its pid and
 * whether it lives, the CPU it last ran on (/proc/PID/stat field 39) and the
 * CPUs it may run on, its heartbeat age, start time and wait mode (gauge
 * wait_mode of its metrics region), and what the supervisor says of it in
 * RUN_DIR/state: state, restarts, the last restart's cause.
 *
 * The state file (written by deploy/kimp, replaced atomically by rename):
 * '#' comment lines, then one line per process of space-separated key=value
 * fields, values without spaces:
 *
 *   proc=feedd pid=1234 state=up restarts=2 cause=signal:KILL at=1700000000 wait=hybrid
 *
 *   state    starting | up | backoff | failed | stopped
 *   restarts restarts since `up`
 *   cause    the last restart's cause ("-" none): exit:N, signal:NAME,
 *            hung:AGE, exsim-restarted, manual
 *   at       unix seconds of the last restart (0 none)
 *   wait     the wait mode the supervisor passed (spin, hybrid, "-" none)
 *
 * Unknown keys are skipped, so the supervisor may add fields.
 *
 * --conf checks the [supervisor] section and prints the supervisor's
 * settings as key=value lines (durations in ns), for deploy/kimp: one
 * parser for the configuration, this one.
 *
 * Exit status: 0 when every listed process is alive and (but exsim, which
 * has no heartbeat) beat within [supervisor] heartbeat_timeout; 1 otherwise;
 * 2 a usage or configuration error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/tsc.h"
#include "kimpctl.h"
#include "views.h"

#define ST_PROCS_MAX 8
#define ST_NAME      16
#define ST_PATH      256
#define NS_MS        UINT64_C(1000000)
#define NS_S         UINT64_C(1000000000)

static const char *const known_procs[] = {
	"exsim", "feedd", "stratd", "riskd", "orderd", "monitord",
};

static const char *const sup_keys[] = {
	"run_dir", "procs", "bin_dir", "heartbeat_timeout", "restart_backoff_min",
	"restart_backoff_max", "restart_max", "restart_window", "hugepages", "wait",
	"exsim", "exsim_scenario", "stop_grace", "drain_timeout", "log_max_mb", "poll",
	"cpu.*", NULL,
};

/* The [supervisor] section and what it needs of the daemons' sections. */
struct sup_conf {
	char run_dir[ST_PATH];
	const char *bin_dir, *wait, *exsim_scenario;
	uint64_t hb_timeout_ns, backoff_min_ns, backoff_max_ns, restart_max, window_ns;
	uint64_t hugepages, stop_grace_ns, drain_timeout_ns, log_max_mb, poll_ns;
	bool exsim;
	unsigned nprocs;
	struct sup_proc {
		char name[ST_NAME];
		char seg[SHM_NAME_MAX];   /* its section's name key; exsim: none */
		int64_t cpu;              /* -1: none */
		bool wait_key;            /* its section sets its wait strategy */
	} p[ST_PROCS_MAX];
};

/* One process as status sees it. */
struct st_proc {
	const struct sup_proc *sp;
	bool have_seg, have_m;
	pid_t pid;                /* the metrics writer, else the supervisor's */
	bool alive;
	int64_t cpu;              /* last ran on, -1 unknown */
	char allowed[64];         /* Cpus_allowed_list, "" unknown */
	uint64_t hb_ns, start_real_ns;
	int64_t wait_gauge;       /* -1: no gauge */
	bool fresh, up;
	/* from the state file */
	bool in_state;
	pid_t st_pid;
	char st_state[ST_NAME], cause[64], st_wait[ST_NAME];
	uint64_t restarts, at;
};

static const char status_usage[] =
	"  status [--json] [--proc NAME]\n"
	"                              the processes: pid, cpu, heartbeat, wait mode,\n"
	"                              restarts (exit 1 unless all up and beating)\n"
	"  status --proc NAME --gauge G  gauge G of NAME's metrics (exit 1 when absent)\n"
	"  status --conf               check [supervisor], print its settings as key=value\n";

/* ---- the configuration ----------------------------------------------------- */

static bool known_proc(const char *s)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(known_procs); i++)
		if (!strcmp(s, known_procs[i]))
			return true;
	return false;
}

/* run_dir's default: /run/kimp as root, else $XDG_RUNTIME_DIR/kimp, else /tmp/kimp-UID. */
static void default_run_dir(char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(buf, len, "/run/kimp");
	else if (x && *x)
		snprintf(buf, len, "%s/kimp", x);
	else
		snprintf(buf, len, "/tmp/kimp-%u", (unsigned)geteuid());
}

/* "FILE:LINE: key 'supervisor.KEY': WHY" into err. */
static int key_err(const struct kimp_conf *c, const char *key, char *err, size_t errlen,
		   const char *why, const char *val)
{
	snprintf(err, errlen, "%s:%u: key 'supervisor.%s': '%s' %s", kimp_conf_name(c),
		 kimp_conf_line(c, "supervisor", key), key, val, why);
	return -EINVAL;
}

static int add_proc(struct sup_conf *s, const struct kimp_conf *c, const char *name,
		    char *err, size_t errlen)
{
	struct sup_proc *p;
	char key[32];
	uint64_t cpu;
	int e;

	for (unsigned i = 0; i < s->nprocs; i++)
		if (!strcmp(s->p[i].name, name))
			return key_err(c, "procs", err, errlen, "is listed twice", name);
	if (s->nprocs == ST_PROCS_MAX)
		return key_err(c, "procs", err, errlen, "is one too many", name);
	p = &s->p[s->nprocs];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->cpu = -1;
	if (strcmp(name, "exsim")) {
		e = kimp_conf_segment(c, name, "name", name, p->seg, err, errlen);
		if (e)
			return e;
		p->wait_key = kimp_conf_get(c, name, !strcmp(name, "feedd") ? "spin" : "wait");
		if (kimp_conf_get(c, name, "cpu")) {
			e = kimp_conf_u64_in(c, name, "cpu", 0, 0, 4095, &cpu, err, errlen);
			if (e)
				return e;
			p->cpu = (int64_t)cpu;
		}
	}
	snprintf(key, sizeof(key), "cpu.%s", name);
	if (p->cpu < 0 && kimp_conf_get(c, "supervisor", key)) {
		e = kimp_conf_u64_in(c, "supervisor", key, 0, 0, 4095, &cpu, err, errlen);
		if (e)
			return e;
		p->cpu = (int64_t)cpu;
	}
	s->nprocs++;
	return 0;
}

int kimpctl_run_dir(const struct kimp_conf *c, char *buf, size_t len, char *err, size_t errlen)
{
	char def_run[ST_PATH];
	const char *run_dir;
	int e;

	default_run_dir(def_run, sizeof(def_run));
	e = kimp_conf_str(c, "supervisor", "run_dir", def_run, &run_dir, err, errlen);
	if (e)
		return e;
	if (!*run_dir || strlen(run_dir) >= ST_PATH - 16 || strlen(run_dir) >= len ||
	    strchr(run_dir, '\n'))
		return key_err(c, "run_dir", err, errlen, "is empty or too long", run_dir);
	if (run_dir[0] != '/' && kimp_conf_line(c, "supervisor", "run_dir")) {
		/* relative to the file's directory, as deploy/kimp has it */
		const char *name = kimp_conf_name(c), *slash = name ? strrchr(name, '/') : NULL;
		char dir[ST_PATH], *abs;
		int n;

		n = slash ? snprintf(dir, sizeof(dir), "%.*s", (int)(slash - name), name)
			  : snprintf(dir, sizeof(dir), ".");
		if (n <= 0 || (size_t)n >= sizeof(dir) || !(abs = realpath(slash == name ? "/" : dir, NULL)))
			return key_err(c, "run_dir", err, errlen,
				       "is relative, and the file's directory cannot be resolved",
				       run_dir);
		n = snprintf(buf, len, "%s/%s", strcmp(abs, "/") ? abs : "", run_dir);
		free(abs);
		if (n < 0 || (size_t)n >= len || (size_t)n >= ST_PATH - 16)
			return key_err(c, "run_dir", err, errlen, "is empty or too long", run_dir);
		return 0;
	}
	snprintf(buf, len, "%s", run_dir);
	return 0;
}

/* Read and check [supervisor]. 0, or -EINVAL with "FILE:LINE: key ..." in err. */
static int sup_conf_load(const struct kimp_conf *c, struct sup_conf *s, char *err, size_t errlen)
{
	const char *sec = "supervisor", *procs;
	char list[256];
	int e;

	memset(s, 0, sizeof(*s));
	e = kimp_conf_check_keys(c, sec, sup_keys, err, errlen);
	if (!e)
		e = kimpctl_run_dir(c, s->run_dir, sizeof(s->run_dir), err, errlen);
	if (!e)
		e = kimp_conf_str(c, sec, "procs", "exsim feedd stratd riskd orderd monitord", &procs,
				  err, errlen);
	if (!e)
		e = kimp_conf_str(c, sec, "bin_dir", "", &s->bin_dir, err, errlen);
	if (!e)
		e = kimp_conf_str(c, sec, "wait", "auto", &s->wait, err, errlen);
	if (!e)
		e = kimp_conf_str(c, sec, "exsim_scenario", "", &s->exsim_scenario, err, errlen);
	if (!e)
		e = kimp_conf_bool(c, sec, "exsim", false, &s->exsim, err, errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "heartbeat_timeout", 5 * NS_S, 10 * NS_MS, 3600 * NS_S,
				    &s->hb_timeout_ns, err, errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "restart_backoff_min", 500 * NS_MS, 0, 3600 * NS_S,
				    &s->backoff_min_ns, err, errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "restart_backoff_max", 30 * NS_S, s->backoff_min_ns,
				    3600 * NS_S, &s->backoff_max_ns, err, errlen);
	if (!e)
		e = kimp_conf_u64_in(c, sec, "restart_max", 5, 0, 1000, &s->restart_max, err,
				     errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "restart_window", 300 * NS_S, NS_S, 86400 * NS_S,
				    &s->window_ns, err, errlen);
	if (!e)
		e = kimp_conf_u64_in(c, sec, "hugepages", 0, 0, 1u << 20, &s->hugepages, err,
				     errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "stop_grace", 5 * NS_S, 0, 600 * NS_S, &s->stop_grace_ns,
				    err, errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "drain_timeout", 10 * NS_S, 0, 600 * NS_S,
				    &s->drain_timeout_ns, err, errlen);
	if (!e)
		e = kimp_conf_u64_in(c, sec, "log_max_mb", 64, 1, 1u << 20, &s->log_max_mb, err,
				     errlen);
	if (!e)
		e = kimp_conf_ns_in(c, sec, "poll", 200 * NS_MS, 10 * NS_MS, 60 * NS_S, &s->poll_ns,
				    err, errlen);
	if (e)
		return e;
	if (strcmp(s->wait, "auto") && strcmp(s->wait, "spin") && strcmp(s->wait, "hybrid"))
		return key_err(c, "wait", err, errlen, "is not auto, spin or hybrid", s->wait);
	if (strlen(procs) >= sizeof(list))
		return key_err(c, "procs", err, errlen, "is too long", "...");
	snprintf(list, sizeof(list), "%s", procs);
	/* exsim first, and only when [supervisor] exsim says so */
	if (s->exsim && (e = add_proc(s, c, "exsim", err, errlen)))
		return e;
	for (char *save = NULL, *w = strtok_r(list, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (!known_proc(w))
			return key_err(c, "procs", err, errlen,
				       "is not one of exsim feedd stratd riskd orderd monitord", w);
		if (!strcmp(w, "exsim"))
			continue;
		e = add_proc(s, c, w, err, errlen);
		if (e)
			return e;
	}
	if (!s->nprocs)
		return key_err(c, "procs", err, errlen, "names no process", procs);
	return 0;
}

static void print_conf(const struct sup_conf *s, const struct kimpctl *k, FILE *f)
{
	fprintf(f, "run_dir=%s\nbin_dir=%s\nwait=%s\nexsim=%d\nexsim_scenario=%s\n", s->run_dir,
		s->bin_dir, s->wait, s->exsim, s->exsim_scenario);
	fprintf(f, "heartbeat_timeout_ns=%" PRIu64 "\nrestart_backoff_min_ns=%" PRIu64
		   "\nrestart_backoff_max_ns=%" PRIu64 "\nrestart_max=%" PRIu64
		   "\nrestart_window_ns=%" PRIu64 "\nhugepages=%" PRIu64 "\nstop_grace_ns=%" PRIu64
		   "\ndrain_timeout_ns=%" PRIu64 "\nlog_max_mb=%" PRIu64 "\npoll_ns=%" PRIu64 "\n",
		s->hb_timeout_ns, s->backoff_min_ns, s->backoff_max_ns, s->restart_max, s->window_ns,
		s->hugepages, s->stop_grace_ns, s->drain_timeout_ns, s->log_max_mb, s->poll_ns);
	fprintf(f, "shm_dir=%s\nhugetlbfs=%s\nshm_hugepages=%d\n", k->shm.shm_dir,
		k->shm.hugetlbfs_dir, k->shm.allow_hugetlbfs);
	fputs("procs=", f);
	for (unsigned i = 0; i < s->nprocs; i++)
		fprintf(f, "%s%s", i ? " " : "", s->p[i].name);
	fputc('\n', f);
	for (unsigned i = 0; i < s->nprocs; i++) {
		const struct sup_proc *p = &s->p[i];

		fprintf(f, "proc.%s.segment=%s\nproc.%s.wait_key=%d\n", p->name, p->seg, p->name,
			p->wait_key);
		if (p->cpu >= 0)
			fprintf(f, "proc.%s.cpu=%" PRId64 "\n", p->name, p->cpu);
		else
			fprintf(f, "proc.%s.cpu=\n", p->name);
	}
}

/* ---- the state file --------------------------------------------------------- */

/* Fill the st_proc whose name the line's proc= gives. */
static void state_line(char *line, struct st_proc *ps, unsigned n)
{
	struct st_proc *p = NULL;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		char *v = strchr(w, '=');

		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(w, "proc")) {
			p = NULL;
			for (unsigned i = 0; i < n; i++)
				if (!strcmp(ps[i].sp->name, v))
					p = &ps[i];
			if (p)
				p->in_state = true;
		} else if (!p) {
			continue;
		} else if (!strcmp(w, "pid")) {
			p->st_pid = (pid_t)strtol(v, NULL, 10);
		} else if (!strcmp(w, "state")) {
			snprintf(p->st_state, sizeof(p->st_state), "%s", v);
		} else if (!strcmp(w, "restarts")) {
			p->restarts = strtoull(v, NULL, 10);
		} else if (!strcmp(w, "cause")) {
			snprintf(p->cause, sizeof(p->cause), "%s", strcmp(v, "-") ? v : "");
		} else if (!strcmp(w, "at")) {
			p->at = strtoull(v, NULL, 10);
		} else if (!strcmp(w, "wait")) {
			snprintf(p->st_wait, sizeof(p->st_wait), "%s", strcmp(v, "-") ? v : "");
		}
	}
}

/* RUN_DIR/state into ps. true when the file was there. */
static bool state_read(const char *run_dir, struct st_proc *ps, unsigned n)
{
	char path[ST_PATH + 16], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", run_dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#')
			state_line(line, ps, n);
	fclose(f);
	return true;
}

/* ---- /proc ------------------------------------------------------------------ */

/* Field 39 of /proc/PID/stat (the CPU it last ran on), -1 when unknown. */
static int64_t proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p, *save = NULL;
	size_t n;
	FILE *f;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');   /* the command name may hold spaces and ')' */
	if (!p)
		return -1;
	for (char *w = strtok_r(p + 1, " \n", &save); w; w = strtok_r(NULL, " \n", &save), field++)
		if (field == 39)
			return strtoll(w, NULL, 10);
	return -1;
}

/* Cpus_allowed_list of /proc/PID/status into buf ("" when unknown). */
static void proc_allowed(pid_t pid, char *buf, size_t len)
{
	static const char key[] = "Cpus_allowed_list:";
	char path[64], line[512];
	FILE *f;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, sizeof(key) - 1))
			continue;
		char *v = line + sizeof(key) - 1;

		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

/* ---- gathering ---------------------------------------------------------------- */

/* The metrics of p's segment (pid, heartbeat, start, wait_mode, gauge 'gauge'). */
static void gather_metrics(struct kimpctl *k, struct st_proc *p, const char *gauge,
			   bool *have_gauge, int64_t *gauge_v)
{
	const struct shm_metrics *m;
	struct shm_seg seg;

	if (!p->sp->seg[0] || shm_seg_attach(&seg, p->sp->seg, &k->shm))
		return;
	p->have_seg = true;
	m = kimpctl_metrics(&seg, "metrics");
	if (m) {
		uint32_t ng = atomic_load_explicit(&m->ngauges, memory_order_acquire);

		p->have_m = true;
		p->pid = atomic_load_explicit(&m->pid, memory_order_relaxed);
		p->hb_ns = atomic_load_explicit(&m->heartbeat_ns, memory_order_relaxed);
		p->start_real_ns = atomic_load_explicit(&m->start_real_ns, memory_order_relaxed);
		if (ng > m->max_gauges)
			ng = m->max_gauges;
		for (uint32_t i = 0; i < ng; i++) {
			const char *name = shm_metrics_gauge_name(m, i);
			int64_t v = atomic_load_explicit(shm_metrics_gauge_at(m, i),
							 memory_order_relaxed);

			if (!strncmp(name, "wait_mode", SHM_METRIC_NAME))
				p->wait_gauge = v;
			if (gauge && !strncmp(name, gauge, SHM_METRIC_NAME)) {
				*have_gauge = true;
				*gauge_v = v;
			}
		}
	}
	shm_seg_detach(&seg);
}

static void gather(struct kimpctl *k, const struct sup_conf *s, struct st_proc *ps,
		   unsigned n, uint64_t now, const char *gauge, bool *have_gauge, int64_t *gauge_v)
{
	for (unsigned i = 0; i < n; i++) {
		struct st_proc *p = &ps[i];

		p->wait_gauge = -1;
		p->cpu = -1;
		gather_metrics(k, p, gauge, have_gauge, gauge_v);
	}
	for (unsigned i = 0; i < n; i++) {
		struct st_proc *p = &ps[i];
		bool is_exsim = !p->sp->seg[0];

		pid_t m_pid = p->pid;
		uint64_t age = now > p->hb_ns ? now - p->hb_ns : 0;

		/* the heartbeat is the metrics writer's, and counts while it lives */
		p->fresh = p->have_m && p->hb_ns && pid_alive(m_pid) && age <= s->hb_timeout_ns;
		/* before a restarted process claims the metrics: the supervisor's child */
		if (!pid_alive(p->pid) && p->st_pid > 0 && (is_exsim || pid_alive(p->st_pid)))
			p->pid = p->st_pid;
		p->alive = pid_alive(p->pid);
		if (p->alive) {
			p->cpu = proc_cpu(p->pid);
			proc_allowed(p->pid, p->allowed, sizeof(p->allowed));
		}
		p->up = p->alive && (is_exsim || p->fresh);
	}
}

/* ---- printing ------------------------------------------------------------------ */

static const char *wait_name(const struct st_proc *p)
{
	if (p->wait_gauge == 1)
		return "spin";
	if (p->wait_gauge == 0)
		return "hybrid";
	return p->st_wait[0] ? p->st_wait : NULL;
}

static const char *proc_state(const struct st_proc *p)
{
	if (p->st_state[0] && strcmp(p->st_state, "up"))
		return p->st_state;    /* starting, backoff, failed, stopped */
	if (!p->alive)
		return "down";
	return p->up ? "up" : "stale";
}

static void proc_json(struct out *o, const struct st_proc *p, uint64_t now)
{
	const char *w = wait_name(p);

	out_obj_begin(o, NULL, NULL);
	out_str(o, "name", p->sp->name);
	if (p->sp->seg[0])
		out_str(o, "segment", p->sp->seg);
	else
		out_null(o, "segment");
	out_str(o, "state", proc_state(p));
	out_bool(o, "up", p->up);
	if (p->pid > 0)
		out_i64(o, "pid", p->pid);
	else
		out_null(o, "pid");
	out_bool(o, "alive", p->alive);
	if (p->cpu >= 0)
		out_i64(o, "cpu", p->cpu);
	else
		out_null(o, "cpu");
	if (p->allowed[0])
		out_str(o, "cpus_allowed", p->allowed);
	else
		out_null(o, "cpus_allowed");
	if (p->sp->cpu >= 0)
		out_i64(o, "cpu_configured", p->sp->cpu);
	else
		out_null(o, "cpu_configured");
	out_age(o, "heartbeat_age_ns", now, p->hb_ns > INT64_MAX ? 0 : (int64_t)p->hb_ns);
	out_bool(o, "heartbeat_fresh", p->fresh);
	out_time(o, "started", p->start_real_ns);
	if (w)
		out_str(o, "wait", w);
	else
		out_null(o, "wait");
	out_u64(o, "restarts", p->restarts);
	if (p->cause[0])
		out_str(o, "last_cause", p->cause);
	else
		out_null(o, "last_cause");
	if (p->at)
		out_time(o, "last_restart", p->at * NS_S);
	else
		out_null(o, "last_restart");
	out_obj_end(o);
}

static void proc_row(struct tbl *t, const struct st_proc *p, uint64_t now)
{
	char buf[64];
	const char *w = wait_name(p);

	tbl_row(t);
	tbl_set(t, 0, "%s", p->sp->name);
	tbl_set(t, 1, "%s", proc_state(p));
	if (p->pid > 0)
		tbl_set(t, 2, "%d", (int)p->pid);
	tbl_set(t, 3, "%s", p->alive ? "yes" : "no");
	if (p->cpu >= 0)
		tbl_set(t, 4, "%" PRId64, p->cpu);
	if (p->allowed[0])
		tbl_set(t, 5, "%s", p->allowed);
	if (p->sp->seg[0])
		tbl_set(t, 6, "%s", fmt_age(buf, sizeof(buf), now,
					    p->hb_ns > INT64_MAX ? 0 : (int64_t)p->hb_ns));
	if (p->start_real_ns)
		tbl_set(t, 7, "%s", fmt_utc(buf, sizeof(buf), p->start_real_ns, false));
	if (w)
		tbl_set(t, 8, "%s", w);
	tbl_set(t, 9, "%" PRIu64, p->restarts);
	if (p->cause[0])
		tbl_set(t, 10, "%s", p->cause);
}

static int status_print(FILE *f, const struct sup_conf *s, const struct st_proc *ps, unsigned n,
			bool have_state, uint64_t now, bool all_up, bool json)
{
	static const char *const hdr[] = {
		"NAME", "STATE", "PID", "ALIVE", "CPU", "ALLOWED", "HEARTBEAT", "STARTED", "WAIT",
		"RESTARTS", "LAST CAUSE",
	};
	struct out o;
	struct tbl t;
	int ret = KIMPCTL_OK;

	out_init(&o, f, json);
	out_obj_begin(&o, NULL, NULL);
	out_bool(&o, "ok", all_up);
	out_str(&o, "run_dir", s->run_dir);
	out_bool(&o, "supervisor_state", have_state);
	out_ns(&o, "heartbeat_timeout_ns", s->hb_timeout_ns);
	if (json) {
		out_arr_begin(&o, "procs");
		for (unsigned i = 0; i < n; i++)
			proc_json(&o, &ps[i], now);
		out_arr_end(&o);
	} else {
		tbl_init(&t, hdr, KIMP_ARRAY_SIZE(hdr));
		for (unsigned i = 0; i < n; i++)
			proc_row(&t, &ps[i], now);
		ret = out_tbl(&o, "processes", &t);
	}
	out_obj_end(&o);
	out_finish(&o);
	return ret;
}

/* ---- the command ---------------------------------------------------------------- */

/* "kimpctl: status: ARG: WHY" and the usage on stderr. */
static int usage_err(const char *arg, const char *why)
{
	fprintf(stderr, "kimpctl: status: %s: %s\nusage:\n%s", arg, why, status_usage);
	return KIMPCTL_USAGE;
}

/*
 * The processes of s (only 'only' when not NULL) gathered and printed into
 * f. KIMPCTL_OK when every one is up, KIMPCTL_FAIL when one is not (the
 * document printed) or the table lost a row, KIMPCTL_USAGE when 'only' is
 * not one of them (said). With gauge: nothing printed, the gauge's value
 * into *gauge_v (*have_gauge).
 */
static int status_doc(struct kimpctl *k, const struct sup_conf *s, FILE *f, bool json,
		      const char *only, const char *gauge, bool *have_gauge, int64_t *gauge_v)
{
	struct st_proc ps[ST_PROCS_MAX];
	bool have_state, all_up = true;
	unsigned n = 0;
	uint64_t now;
	int status;

	memset(ps, 0, sizeof(ps));
	for (unsigned i = 0; i < s->nprocs; i++)
		if (!only || !strcmp(only, s->p[i].name))
			ps[n++].sp = &s->p[i];
	if (!n)
		return kimpctl_err(KIMPCTL_USAGE, "status: --proc '%s': not one of the processes of "
				   "[supervisor] procs", only);
	have_state = state_read(s->run_dir, ps, n);
	now = kimp_mono_ns();
	gather(k, s, ps, n, now, gauge, have_gauge, gauge_v);
	if (gauge)
		return KIMPCTL_OK;
	for (unsigned i = 0; i < n; i++)
		all_up &= ps[i].up;
	status = status_print(f, s, ps, n, have_state, now, all_up, json);
	if (status)
		return status;
	return all_up ? KIMPCTL_OK : KIMPCTL_FAIL;
}

int kimpctl_view_status(struct kimpctl *k, FILE *f, bool json)
{
	static struct sup_conf s;
	char err[512];

	if (sup_conf_load(k->conf, &s, err, sizeof(err)))
		return kimpctl_err(KIMPCTL_USAGE, "status: %s", err);
	return status_doc(k, &s, f, json, NULL, NULL, NULL, NULL);
}

static int status_run(struct kimpctl *k, int argc, char **argv)
{
	static struct sup_conf s;
	const char *only = NULL, *gauge = NULL;
	bool json = false, conf = false, have_gauge = false;
	int64_t gauge_v = 0;
	char err[512];
	int status;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage:\n%s", status_usage);
			return KIMPCTL_OK;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--conf")) {
			conf = true;
		} else if (!strcmp(a, "--proc") || !strcmp(a, "--gauge")) {
			if (i + 1 == argc)
				return usage_err(a, "needs a value");
			*(a[2] == 'p' ? &only : &gauge) = argv[++i];
		} else {
			return usage_err(a, "unexpected");
		}
	}
	if (gauge && !only)
		return usage_err("--gauge", "needs --proc");
	if (sup_conf_load(k->conf, &s, err, sizeof(err)))
		return kimpctl_err(KIMPCTL_USAGE, "status: %s", err);
	if (conf) {
		print_conf(&s, k, stdout);
		return KIMPCTL_OK;
	}
	status = status_doc(k, &s, stdout, json, only, gauge, &have_gauge, &gauge_v);
	if (!gauge || status)
		return status;
	if (!have_gauge)
		return kimpctl_err(KIMPCTL_FAIL, "status: %s: no gauge '%s'", only, gauge);
	printf("%" PRId64 "\n", gauge_v);
	return KIMPCTL_OK;
}

const struct kimpctl_cmd kimpctl_cmd_status = {
	.name = "status",
	.usage = status_usage,
	.run = status_run,
};
