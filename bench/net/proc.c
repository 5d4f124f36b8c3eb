/* SPDX-License-Identifier: MIT */
/*
 * Processes: pinning, client children whose output comes back on a pipe,
 * a timeout for each, and nothing left behind when the bench is stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../common/bench_util.h"
#include "net_bench.h"
#include "wire.h"

/* For the signal handler: whom to kill on the way out. */

int nb_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int nb_signals(void)
{
	return bu_signals("net_bench");
}

void nb_set_server_pid(pid_t pid)
{
	bu_child(1, pid);
}

void nb_reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}


/*
 * From /proc/stat (10 ms resolution): the hypervisor's steal on the two
 * CPUs and the busy time (user to softirq) of each; from getrusage and
 * /proc/PID/stat, the CPU time of this process, of our children reaped so
 * far (the clients) and of the server.
 */
void nb_cpu_snap(const int cpu[2], pid_t server, struct nb_cpu_snap *s)
{
	struct rusage ru;

	memset(s, 0, sizeof(*s));
	s->wall_ms = nb_clock_ns(CLOCK_MONOTONIC) / 1000000;
	if (!getrusage(RUSAGE_CHILDREN, &ru))
		s->children_ms = (nb_tv_ns(&ru.ru_utime) + nb_tv_ns(&ru.ru_stime)) / 1000000;
	if (!getrusage(RUSAGE_SELF, &ru))
		s->self_ms = (nb_tv_ns(&ru.ru_utime) + nb_tv_ns(&ru.ru_stime)) / 1000000;
	if (server > 0)
		s->server_ms = bu_proc_cpu_ns(server) / 1000000;
	bu_cpu_stat(cpu, s->busy_ms, &s->steal_ms);
}

void nb_cpu_delta(const struct nb_cpu_snap *a, const struct nb_cpu_snap *b,
		  uint64_t *steal_ms, uint64_t others_ms[2], uint64_t *wall_ms)
{
	uint64_t ours[2] = {
		(b->server_ms - a->server_ms) + (b->self_ms - a->self_ms),
		b->children_ms - a->children_ms,
	};

	*steal_ms = b->steal_ms - a->steal_ms;
	*wall_ms = b->wall_ms - a->wall_ms;
	for (int i = 0; i < 2; i++) {
		uint64_t busy = b->busy_ms[i] - a->busy_ms[i];

		others_ms[i] = busy > ours[i] ? busy - ours[i] : 0;
	}
}

bool nb_disturbed(const uint64_t others_ms[2], uint64_t wall_ms)
{
	for (int i = 0; i < 2; i++)
		if (others_ms[i] >= NB_OTHERS_MS &&
		    (double)others_ms[i] >= NB_OTHERS_SHARE * (double)wall_ms)
			return true;
	return false;
}

static __attribute__((noreturn)) void child_main(int cpu, unsigned timeout_s,
						 int (*fn)(void *, int), void *arg,
						 const char *const argv[], int fd, pid_t parent)
{
	int err;

	bu_signals_default();
	/* never outlive the parent: a spinning orphan would skew what follows */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	err = nb_pin(cpu);
	if (err) {
		fprintf(stderr, "net_bench: pin to CPU %d: %s\n", cpu, strerror(-err));
		_exit(1);
	}
	alarm(timeout_s);
	if (!fn) {
		if (dup2(fd, STDOUT_FILENO) < 0)
			_exit(1);
		execv(argv[0], (char *const *)argv); /* execv does not write them */
		fprintf(stderr, "net_bench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	err = fn(arg, fd);
	_exit(err ? 1 : 0);
}

/* Read the pipe to EOF or the deadline. 0, -ETIMEDOUT or -errno. */
static int collect(int fd, uint64_t deadline_ns, char **out, size_t *out_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		uint64_t now = nb_clock_ns(CLOCK_MONOTONIC);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (now >= deadline_ns) {
			err = -ETIMEDOUT;
			break;
		}
		r = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			continue;
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	*out = buf;
	*out_len = len;
	return err;
}

int nb_spawn(int cpu, unsigned timeout_s, int (*fn)(void *arg, int fd), void *arg,
	     const char *const argv[], char **out, size_t *out_len)
{
	pid_t parent = getpid(), pid;
	int pfd[2], status, err;

	*out = NULL;
	*out_len = 0;
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
		child_main(cpu, timeout_s, fn, arg, argv, pfd[1], parent);
	}
	bu_child(0, pid);
	close(pfd[1]);
	err = collect(pfd[0], nb_clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_s * 1000000000ull
		      + 2000000000ull, out, out_len);
	close(pfd[0]);
	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	bu_child(0, 0);
	if (err)
		return err;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return -ETIMEDOUT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}
