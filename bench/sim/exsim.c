/* SPDX-License-Identifier: MIT */
/*
 * exsim as the bench drives it: the load scenario for one rate, the
 * process (pinned, its stdout on a pipe read until "exsim: ready"), its
 * CPU time, its control listener's /status, and nothing left behind when
 * the bench stops or is interrupted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kimp/compiler.h"
#include "../common/bench_util.h"
#include "sim_bench.h"


static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int sb_signals(void)
{
	return bu_signals("sim_bench");
}

int sb_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* ---- the temp dir and the scenario ---------------------------------------------- */

int sb_exsim_dir(struct sb_exsim *x)
{
	memset(x, 0, sizeof(*x));
	x->out_fd = -1;
	snprintf(x->dir, sizeof(x->dir), "/tmp/kimp-simbench-XXXXXX");
	if (!mkdtemp(x->dir)) {
		x->dir[0] = 0;
		return -errno;
	}
	return 0;
}

void sb_exsim_dir_free(struct sb_exsim *x)
{
	char cmd[128];

	if (!x->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd))
		fprintf(stderr, "sim_bench: could not remove %s\n", x->dir);
	x->dir[0] = 0;
}

/* "[exsim]" (spaces allowed inside and around the brackets). */
static bool is_section(const char *line, const char *name, bool *any)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strlen(name);

	*any = *p == '[';
	if (!*any)
		return false;
	p += 1 + strspn(p + 1, " \t");
	if (strncmp(p, name, n))
		return false;
	p += n;
	p += strspn(p, " \t");
	return *p == ']';
}

static bool is_key(const char *line, const char *key)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strlen(key);

	return !strncmp(p, key, n) && (p[n] == ' ' || p[n] == '\t' || p[n] == '=');
}

/*
 * The base scenario with [exsim] load_rate set: an existing load_rate line
 * in [exsim] is replaced, a missing one goes right after the section
 * header, a missing section at the end.
 */
static int copy_scenario(FILE *in, FILE *out, uint64_t load_rate)
{
	char line[1024];
	bool in_exsim = false, done = false, any;

	while (fgets(line, sizeof(line), in)) {
		if (is_section(line, "exsim", &any)) {
			in_exsim = true;
			fputs(line, out);
			if (!strchr(line, '\n'))
				fputc('\n', out);
			fprintf(out, "load_rate = %" PRIu64 "\n", load_rate);
			done = true;
			continue;
		}
		if (any)
			in_exsim = false;
		if (in_exsim && is_key(line, "load_rate"))
			continue;
		fputs(line, out);
	}
	if (ferror(in))
		return -EIO;
	if (!done)
		fprintf(out, "\n[exsim]\nload_rate = %" PRIu64 "\n", load_rate);
	return 0;
}

static int write_scenario(const struct sb_cfg *c, struct sb_exsim *x, uint64_t load_rate)
{
	FILE *in = NULL, *out;
	int err = 0;

	snprintf(x->scn, sizeof(x->scn), "%s/load-%" PRIu64 ".scn", x->dir, load_rate);
	if (c->scenario) {
		in = fopen(c->scenario, "r");
		if (!in) {
			err = -errno;
			fprintf(stderr, "sim_bench: scenario %s: %s\n", c->scenario, strerror(errno));
			return err;
		}
	}
	out = fopen(x->scn, "w");
	if (!out) {
		err = -errno;
		goto out_in;
	}
	fprintf(out, "# sim_bench: %s with load_rate %" PRIu64 "\n",
		c->scenario ? c->scenario : "built-in defaults", load_rate);
	if (in)
		err = copy_scenario(in, out, load_rate);
	else
		fprintf(out, "[exsim]\nload_rate = %" PRIu64 "\n", load_rate);
	if (ferror(out) && !err)
		err = -EIO;
	if (fclose(out) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "sim_bench: write %s: %s\n", x->scn, strerror(-err));
out_in:
	if (in)
		fclose(in);
	return err;
}

/* ---- exsim's announcement ----------------------------------------------------------- */

/* The port of the first "wss://HOST:PORT" or "http://HOST:PORT" after key. */
static uint16_t url_port(const char *line, const char *key)
{
	const char *p = strstr(line, key), *colon;
	unsigned long v;
	char *end;

	if (!p)
		return 0;
	p += strlen(key);
	p = strstr(p, "://");
	if (!p)
		return 0;
	colon = strchr(p + 3, ':');
	if (!colon)
		return 0;
	v = strtoul(colon + 1, &end, 10);
	return v > 0 && v < 65536 && end != colon + 1 ? (uint16_t)v : 0;
}

/* src into dst[0..cap), cut short if it must be. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void parse_line(struct sb_exsim *x, const char *line)
{
	if (!strncmp(line, "exsim: ca ", 10) && strlen(line + 10) < sizeof(x->ca))
		copy_cut(x->ca, sizeof(x->ca), line + 10);
	else if (!strncmp(line, "exsim: binance ", 15))
		x->ws_port[SB_BINANCE] = url_port(line, " ws ");
	else if (!strncmp(line, "exsim: upbit ", 13))
		x->ws_port[SB_UPBIT] = url_port(line, " ws ");
	else if (!strncmp(line, "exsim: control ", 15))
		x->control_port = url_port(line, "control");
	else if (!strncmp(line, "exsim: ready", 12))
		copy_cut(x->ready_line, sizeof(x->ready_line), line);
}

/* Read lines until "exsim: ready", EOF or the deadline. */
static int read_ready(struct sb_exsim *x, uint64_t deadline)
{
	char buf[8192];
	size_t len = 0;

	while (!x->ready_line[0]) {
		uint64_t now = mono_ns();
		struct pollfd p = { .fd = x->out_fd, .events = POLLIN };
		char *nl;
		ssize_t n;
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			continue;
		if (len == sizeof(buf) - 1)
			len = 0;        /* a line this long is not one of ours */
		n = read(x->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ECHILD;
		len += (size_t)n;
		buf[len] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = 0;
			parse_line(x, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
	return 0;
}

static __attribute__((noreturn)) void child_main(const struct sb_cfg *c,
						 const struct sb_exsim *x, int out_fd,
						 pid_t parent)
{
	char state[96];
	const char *argv[] = { c->exsim, "--scenario", x->scn, "--state", state, NULL };
	int devnull;

	bu_signals_default();
	/* never outlive the bench */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	if (c->pin && sb_pin(c->cpu[0])) {
		fprintf(stderr, "sim_bench: pin exsim to CPU %d: %s\n", c->cpu[0],
			strerror(errno));
		_exit(1);
	}
	snprintf(state, sizeof(state), "%s/state", x->dir);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(1);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "sim_bench: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void say_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) != pid)
		return;
	if (WIFEXITED(status))
		fprintf(stderr, "sim_bench: exsim exited with status %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "sim_bench: exsim died of signal %d\n", WTERMSIG(status));
}

int sb_exsim_start(const struct sb_cfg *c, struct sb_exsim *x, uint64_t load_rate)
{
	pid_t parent = getpid(), pid;
	int pfd[2], err;

	x->pid = 0;
	x->out_fd = -1;
	x->ca[0] = x->ready_line[0] = 0;
	memset(x->ws_port, 0, sizeof(x->ws_port));
	x->control_port = 0;
	err = write_scenario(c, x, load_rate);
	if (err)
		return err;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(c, x, pfd[1], parent);
	}
	close(pfd[1]);
	x->pid = pid;
	bu_child(0, pid);
	x->out_fd = pfd[0];
	err = read_ready(x, mono_ns() + (uint64_t)c->start_timeout_s * 1000000000ull);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "sim_bench: exsim did not say \"exsim: ready\" within %u s\n",
			c->start_timeout_s);
		goto fail;
	}
	if (err) {
		usleep(100000);
		if (err == -ECHILD)
			fprintf(stderr, "sim_bench: exsim closed its stdout before "
				"\"exsim: ready\"\n");
		else
			fprintf(stderr, "sim_bench: reading exsim's stdout: %s\n",
				strerror(-err));
		say_exit(x->pid);
		goto fail;
	}
	if (!x->ca[0] || !x->ws_port[SB_BINANCE] || !x->ws_port[SB_UPBIT]) {
		fprintf(stderr, "sim_bench: exsim is ready but did not announce %s\n",
			!x->ca[0] ? "its CA (exsim: ca PATH)" :
			!x->ws_port[SB_BINANCE] ? "a binance ws listener" :
						  "an upbit ws listener");
		err = -EPROTO;
		goto fail;
	}
	fcntl(x->out_fd, F_SETFL, fcntl(x->out_fd, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	sb_exsim_stop(x);
	return err;
}

void sb_exsim_drain(struct sb_exsim *x)
{
	char buf[4096];
	ssize_t n;

	if (x->out_fd < 0)
		return;
	while ((n = read(x->out_fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
}

bool sb_exsim_alive(struct sb_exsim *x)
{
	int status;
	pid_t r;

	if (x->pid <= 0)
		return false;
	r = waitpid(x->pid, &status, WNOHANG);
	if (r == 0)
		return true;
	if (r == x->pid) {
		if (WIFEXITED(status))
			fprintf(stderr, "sim_bench: exsim exited with status %d\n",
				WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr, "sim_bench: exsim died of signal %d\n",
				WTERMSIG(status));
		x->pid = 0;
		bu_child(0, 0);
	}
	return false;
}

void sb_exsim_stop(struct sb_exsim *x)
{
	uint64_t deadline = mono_ns() + 3000000000ull;
	int status;

	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		while (waitpid(x->pid, &status, WNOHANG) == 0) {
			if (mono_ns() >= deadline) {
				fprintf(stderr, "sim_bench: exsim ignored SIGTERM; killing it\n");
				kill(x->pid, SIGKILL);
				while (waitpid(x->pid, &status, 0) < 0 && errno == EINTR)
					;
				break;
			}
			usleep(10000);
		}
		x->pid = 0;
		bu_child(0, 0);
	}
	sb_exsim_drain(x);
	if (x->out_fd >= 0)
		close(x->out_fd);
	x->out_fd = -1;
}

uint64_t sb_proc_cpu_ns(pid_t pid)
{
	return bu_proc_cpu_ns(pid);
}

void sb_sys_snap(const int cpu[2], struct sb_sys *s)
{
	bu_cpu_stat(cpu, s->busy_ms, &s->steal_ms);
}

/* ---- /status ------------------------------------------------------------------------- */

/* The number after "key": at or after p, before 'end' (NULL: anywhere). */
static bool json_u64_after(const char *p, const char *end, const char *key, uint64_t *out)
{
	const char *k = strstr(p, key);
	char *e;

	if (!k || (end && k > end))
		return false;
	k += strlen(key);
	k += strspn(k, " \t:");
	errno = 0;
	*out = strtoull(k, &e, 10);
	return e != k && !errno;
}

static void parse_status(const char *body, struct sb_status *st)
{
	bool got[SB_NVENUES] = { false, false };

	json_u64_after(body, NULL, "\"ws_slow_closed\"", &st->ws_slow_closed);
	for (int v = 0; v < SB_NVENUES; v++) {
		char name[32];
		const char *p, *next;

		snprintf(name, sizeof(name), "\"name\":\"%s\"", sb_venue_names[v]);
		p = strstr(body, name);
		if (!p)
			continue;
		next = strstr(p + 1, "\"name\":");
		got[v] = json_u64_after(p, next, "\"published\"", &st->published[v]);
	}
	st->ok = got[SB_BINANCE] && got[SB_UPBIT];
}

void sb_exsim_status(const struct sb_exsim *x, struct sb_status *st)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(x->control_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static const char req[] = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	struct timeval tv = { .tv_sec = 2 };
	static char buf[65536];
	size_t len = 0;
	char *body;
	int fd;

	memset(st, 0, sizeof(*st));
	if (!x->control_port)
		return;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = 0;
	if (strncmp(buf, "HTTP/1.1 200", 12))
		goto out;
	body = strstr(buf, "\r\n\r\n");
	if (body)
		parse_status(body + 4, st);
out:
	close(fd);
}
