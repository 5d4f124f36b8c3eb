/* SPDX-License-Identifier: MIT */
/*
 * One test = one fork: the child pins itself to the peer core, runs the
 * transport's peer side and exits; the parent runs the measuring side.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "../common/bench_util.h"

/* For the signal handler: whom to kill and what to remove on the way out. */
static volatile pid_t bench_child;
static char bench_unlink_path[256];

int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return 0;
}

void bench_abort_unlink(const char *path)
{
	snprintf(bench_unlink_path, sizeof(bench_unlink_path), "%s", path ? path : "");
}

static void bench_say(const char *s)
{
	ssize_t kimp_unused n = write(STDERR_FILENO, s, strlen(s));
}

/* Timeout (SIGALRM) or interrupted: leave nothing spinning, nothing behind. */
static void bench_on_signal(int sig)
{
	if (bench_child > 0) {
		kill(bench_child, SIGKILL);
		waitpid(bench_child, NULL, 0);
	}
	if (bench_unlink_path[0])
		unlink(bench_unlink_path);
	bench_say(sig == SIGALRM ? "ring_bench: test timed out, aborting\n"
				 : "ring_bench: interrupted\n");
	_exit(sig == SIGALRM ? 3 : 128 + sig);
}

static const int bench_sigs[] = { SIGALRM, SIGINT, SIGTERM, SIGHUP };

int bench_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bench_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bench_sigs); i++)
		if (sigaction(bench_sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

static void bench_signals_default(void)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bench_sigs); i++)
		signal(bench_sigs[i], SIG_DFL);
}

/* Parent: wait for the child to attach, then let it go. */
int bench_start_main(struct bench_run *r)
{
	struct bench_ctl *c = r->ctl;
	int32_t err;

	while (!atomic_load_explicit(&c->ready, memory_order_acquire)) {
		err = atomic_load_explicit(&c->peer_err, memory_order_relaxed);
		if (err)
			return err;
		kimp_cpu_relax();
	}
	r->t_start = kimp_rdtsc();
	atomic_store_explicit(&c->go, 1, memory_order_release);
	return 0;
}

/* Child: say it is attached and wait for the parent. */
void bench_start_peer(struct bench_run *r)
{
	struct bench_ctl *c = r->ctl;

	atomic_store_explicit(&c->ready, 1, memory_order_release);
	while (!atomic_load_explicit(&c->go, memory_order_acquire))
		kimp_cpu_relax();
}

struct bench_clock {
	uint64_t cpu_ns, wall_ns;
};

static void bench_clock_now(struct bench_clock *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	c->cpu_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	c->wall_ns = kimp_mono_ns();
}

/*
 * Share of the CPU this process got since 'since': CPU time over wall time.
 * A spinning side that gets less than all of it shared its core with
 * another task, or the hypervisor took the vCPU away.
 */
static double bench_share(const struct bench_clock *since)
{
	struct bench_clock now;

	bench_clock_now(&now);
	if (now.wall_ns <= since->wall_ns)
		return 1.0;
	return (double)(now.cpu_ns - since->cpu_ns) / (double)(now.wall_ns - since->wall_ns);
}

static __attribute__((noreturn)) void bench_child_main(const struct transport *t,
							enum bench_test kind,
							struct bench_run *r, pid_t parent)
{
	struct bench_clock clk;
	int err;

	bench_signals_default();
	/* never outlive the parent: a spinning orphan would skew everything */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	err = bench_pin(r->cfg->cpu[1]);
	if (err) {
		fprintf(stderr, "ring_bench: pin child to CPU %d: %s\n",
			r->cfg->cpu[1], strerror(-err));
		goto fail;
	}
	alarm(r->cfg->timeout_s);
	bench_clock_now(&clk);
	err = t->peer[kind](r);
	if (err)
		goto fail;
	atomic_store_explicit(&r->ctl->peer_share, (uint64_t)(bench_share(&clk) * 1e6),
			      memory_order_relaxed);
	atomic_store_explicit(&r->ctl->peer_errors, r->errors, memory_order_relaxed);
	_exit(r->errors ? 2 : 0);
fail:
	atomic_store_explicit(&r->ctl->peer_err, err ? err : -EIO, memory_order_release);
	_exit(1);
}

static int bench_reap(pid_t pid, int err)
{
	int status;

	if (err)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			bench_child = 0;
			return err ? err : -errno;
		}
	}
	bench_child = 0;
	if (err)
		return err;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return -EBADMSG;    /* the child's verification failed */
	return -ECHILD;
}

/*
 * Steal time of the two CPUs, in ms: the hypervisor ran something else on
 * them, which the guest's CPU times cannot show. 0 when unknown.
 */
static uint64_t bench_steal_ms(const int cpu[2])
{
	uint64_t busy[2], steal;

	bu_cpu_stat(cpu, busy, &steal);
	return steal;
}

static void bench_ctl_reset(struct bench_ctl *c)
{
	atomic_store(&c->ready, 0);
	atomic_store(&c->go, 0);
	atomic_store(&c->peer_err, 0);
	atomic_store(&c->peer_errors, 0);
	atomic_store(&c->peer_share, 0);
	atomic_store(&c->ack, 0);
}

/*
 * Run one test. 0, or -errno; -EBADMSG when a message failed verification
 * on either side (counted in r->errors).
 */
int bench_run_test(const struct transport *t, enum bench_test kind,
		   struct bench_run *r)
{
	pid_t parent = getpid(), pid;
	struct bench_clock clk;
	uint64_t steal = bench_steal_ms(r->cfg->cpu);
	double share;
	int err = 0;

	bench_ctl_reset(r->ctl);
	r->errors = r->negative = r->ticks = r->t_start = 0;
	if (t->open) {
		err = t->open(r);
		if (err)
			return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto close;
	}
	if (pid == 0)
		bench_child_main(t, kind, r, parent);
	bench_child = pid;
	alarm(r->cfg->timeout_s);
	bench_clock_now(&clk);
	err = t->main[kind](r);
	share = bench_share(&clk);
	alarm(0);
	err = bench_reap(pid, err);
	r->errors += atomic_load(&r->ctl->peer_errors);
	r->cpu_share = (double)atomic_load(&r->ctl->peer_share) / 1e6;
	if (share < r->cpu_share)
		r->cpu_share = share;
	r->steal_ms = bench_steal_ms(r->cfg->cpu) - steal;
	if (!err && r->errors)
		err = -EBADMSG;
close:
	if (t->close)
		t->close(r);
	return err;
}

/* ---- statistics ---------------------------------------------------------- */

/* Nearest rank on sorted samples. */

static double ticks_ns(const struct kimp_tsc_cal *cal, uint64_t ticks, unsigned int div)
{
	/* exact to the tick: ticks * 10^9 / hz, no fixed-point rounding */
	return (double)ticks * 1e9 / (double)cal->tsc_hz / div;
}

/* Sort n tick samples; quantiles in ns, each divided by 'div' (2 for RTT). */
void bench_lat_from_ticks(struct bench_lat *l, uint64_t *ticks, uint64_t n,
			  const struct kimp_tsc_cal *cal, unsigned int div)
{
	if (!n) {
		l->p50 = l->p99 = l->p999 = l->max = NAN;
		return;
	}
	qsort(ticks, n, sizeof(*ticks), bu_u64_cmp);
	l->p50 = ticks_ns(cal, bu_quantile(ticks, n, 0.50), div);
	l->p99 = ticks_ns(cal, bu_quantile(ticks, n, 0.99), div);
	l->p999 = ticks_ns(cal, bu_quantile(ticks, n, 0.999), div);
	l->max = ticks_ns(cal, ticks[n - 1], div);
}

/* Median of the values that are not NaN; NaN when there are none. Sorts v. */
double bench_median(double *v, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	if (!k)
		return NAN;
	qsort(v, k, sizeof(*v), bu_dbl_cmp);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}
