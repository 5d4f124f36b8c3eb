/* SPDX-License-Identifier: MIT */
/*
 * Helpers the benches share (bench_util.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

void bu_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void bu_json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}

void bu_json_kv(FILE *f, const char *sep, const char *key, double v)
{
	fprintf(f, "%s\"%s\": ", sep, key);
	bu_json_num(f, v);
}

void bu_json_head(FILE *f, const char *name, const char *commit)
{
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{\n  \"bench\": ", f);
	bu_json_str(f, name);
	fprintf(f, ",\n  \"format\": 1,\n  \"date_utc\": \"%s\",\n  \"git_commit\": ", date);
	bu_json_str(f, commit);
}

double bu_ratio(double a, double b)
{
	return b > 0 && !isnan(a) && !isnan(b) ? a / b : NAN;
}

int bu_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int bu_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

double bu_median(double *v, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	if (!k)
		return NAN;
	qsort(v, k, sizeof(*v), bu_dbl_cmp);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

uint64_t bu_quantile(const uint64_t *s, uint64_t n, double q)
{
	double exact = q * (double)n;
	uint64_t rank = (uint64_t)exact;

	if ((double)rank < exact)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return s[rank - 1];
}

int bu_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

void bu_cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = 0;
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

int bu_parse_pair(const char *s, uint64_t min, uint64_t max, uint64_t out[2])
{
	char buf[64], *comma;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	comma = strchr(buf, ',');
	if (!comma)
		return -EINVAL;
	*comma = 0;
	if (bu_parse_u64(buf, min, max, &out[0]) || bu_parse_u64(comma + 1, min, max, &out[1]))
		return -EINVAL;
	return 0;
}

int bu_parse_cpus(const char *s, int cpu[2])
{
	uint64_t v[2];

	if (bu_parse_pair(s, 0, CPU_SETSIZE - 1, v) || v[0] == v[1])
		return -EINVAL;
	cpu[0] = (int)v[0];
	cpu[1] = (int)v[1];
	return 0;
}

void bu_json_machine_open(FILE *f)
{
	struct utsname u;
	char model[256], kernel[512];

	bu_cpu_model(model, sizeof(model));
	if (uname(&u))
		snprintf(kernel, sizeof(kernel), "unknown");
	else
		snprintf(kernel, sizeof(kernel), "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpu_model\": ",
		sysconf(_SC_NPROCESSORS_ONLN));
	bu_json_str(f, model);
	fputs(", \"kernel\": ", f);
	bu_json_str(f, kernel);
}

/* ---- options ---------------------------------------------------------------- */

int bu_parse_args(const struct bu_args *a, int argc, char **argv)
{
	bool ci = false;
	int opt, err;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--ci"))
			ci = true;
	a->defaults(a->cfg, ci);
	while ((opt = getopt_long(argc, argv, "h", a->opts, NULL)) != -1) {
		if (opt == 'h') {
			a->usage(stdout);
			exit(0);
		}
		err = a->parse(a->cfg, opt, optarg);
		if (err) {
			if (opt != '?')
				fprintf(stderr, "%s: bad value '%s' for --%s\n", a->prog, optarg,
					a->opts[opt - a->first_opt].name);
			a->usage(stderr);
			return err;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", a->prog, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---- signals ---------------------------------------------------------------- */

static const int bu_sigs[] = { SIGINT, SIGTERM, SIGHUP };
static volatile pid_t bu_children[BU_CHILDREN];
static char bu_bye[64];
static void (*volatile bu_cleanup)(void);

static void bu_on_signal(int sig)
{
	ssize_t n;

	for (unsigned i = 0; i < BU_CHILDREN; i++)
		if (bu_children[i] > 0)
			kill(bu_children[i], SIGKILL);
	if (bu_cleanup)
		bu_cleanup();
	n = write(STDERR_FILENO, bu_bye, strlen(bu_bye));
	(void)n;
	_exit(128 + sig);
}

int bu_signals(const char *prog)
{
	struct sigaction sa;

	snprintf(bu_bye, sizeof(bu_bye), "%s: interrupted\n", prog);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bu_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(bu_sigs) / sizeof(bu_sigs[0]); i++)
		if (sigaction(bu_sigs[i], &sa, NULL))
			return -errno;
	/* a child that dies must not kill us through its pipe */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void bu_signals_default(void)
{
	for (size_t i = 0; i < sizeof(bu_sigs) / sizeof(bu_sigs[0]); i++)
		signal(bu_sigs[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

void bu_signal_cleanup(void (*fn)(void))
{
	bu_cleanup = fn;
}

void bu_child(unsigned slot, pid_t pid)
{
	if (slot < BU_CHILDREN)
		bu_children[slot] = pid;
}

void bu_child_said(const char *prog, const char *what, int status)
{
	if (WIFEXITED(status))
		fprintf(stderr, "%s: %s exited with status %d\n", prog, what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "%s: %s died of signal %d%s\n", prog, what, WTERMSIG(status),
			WCOREDUMP(status) ? " (core dumped)" : "");
}

bool bu_child_alive(const char *prog, const char *what, pid_t *pid, unsigned slot)
{
	int status;
	pid_t r;

	if (*pid <= 0)
		return false;
	r = waitpid(*pid, &status, WNOHANG);
	if (r == 0)
		return true;
	if (r == *pid) {
		bu_child_said(prog, what, status);
		*pid = 0;
		bu_child(slot, 0);
	}
	return false;
}

void bu_child_stop(const char *prog, const char *what, pid_t *pid, unsigned slot,
		   uint64_t grace_ns, void (*tick)(void *arg), void *arg)
{
	uint64_t deadline = bu_mono_ns() + grace_ns;
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(*pid, &status, WNOHANG);

		if (r == *pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				bu_child_said(prog, what, status);
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (tick)
			tick(arg);
		if (bu_mono_ns() >= deadline) {
			fprintf(stderr, "%s: %s ignored SIGTERM for %.0f s; killing it\n", prog, what,
				(double)grace_ns / 1e9);
			kill(*pid, SIGKILL);
			while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(10000);
	}
	*pid = 0;
	bu_child(slot, 0);
}

uint64_t bu_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- /proc ------------------------------------------------------------------- */

void bu_cpu_stat(const int cpu[2], uint64_t busy_ms[2], uint64_t *steal_ms)
{
	uint64_t v[8];
	char line[512];
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	busy_ms[0] = busy_ms[1] = 0;
	*steal_ms = 0;
	if (!f || hz <= 0) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		int id;

		if (sscanf(line, "cpu%d %n", &id, &n) != 1 || (id != cpu[0] && id != cpu[1]))
			continue;
		/* user nice system idle iowait irq softirq steal */
		if (sscanf(line + n, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3],
			   &v[4], &v[5], &v[6], &v[7]) != 8)
			continue;
		*steal_ms += v[7] * 1000 / (uint64_t)hz;
		busy_ms[id == cpu[1]] = (v[0] + v[1] + v[2] + v[5] + v[6]) * 1000 / (uint64_t)hz;
	}
	fclose(f);
}

int bu_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

uint64_t bu_proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	if (hz <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');   /* the name may hold spaces */
	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime" */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (ut + st) * (1000000000ull / (uint64_t)hz);
}

/* ---- results ----------------------------------------------------------------- */

int bu_json_file(const char *prog, const char *path, void (*write)(FILE *f, const void *arg),
		 const void *arg)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	f = fopen(tmp, "w");
	if (!f) {
		err = -errno;
		goto out;
	}
	write(f, arg);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
out:
	if (err)
		fprintf(stderr, "%s: write %s: %s\n", prog, path, strerror(-err));
	return err;
}
