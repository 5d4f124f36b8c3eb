/* SPDX-License-Identifier: MIT */
/*
 * How kimpctl asks a daemon to do something: a pair of counters in the
 * daemon's control region. kimpctl increments the request counter (atomic
 * fetch_add: several requesters never lose one), then waits, bounded, for
 * the daemon's done counter to reach the value it made. A daemon that is
 * not running does not act in time: kimpctl says so, names what it found
 * of the daemon (alive and stuck, or gone) and exits 1; the request stays
 * recorded for the daemon to act on when it starts.
 *
 * Used by kill, pause and resume (riskd) and reset (orderd).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "kimp/tsc.h"
#include "kimpctl.h"

#define CTL_POLL_NS 10000000ull       /* 10 ms between looks */

int kimpctl_parse_wait(const char *s, uint64_t *out)
{
	static const struct { const char *unit; uint64_t mul; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			return -EINVAL;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(units); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		if (__builtin_mul_overflow(v, units[i].mul, &v) || v > KIMPCTL_WAIT_MAX_NS)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}

int kimpctl_usage_err(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kimpctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", usage);
	return KIMPCTL_USAGE;
}

int kimpctl_ctl_args(int argc, char **argv, const char *usage, const char **pos,
		     unsigned npos, const char *what, uint64_t *wait_ns, bool *done)
{
	const char *cmd = argv[0], *wv;
	bool opts = true;
	unsigned n = 0;

	*done = false;
	for (unsigned i = 0; i < npos; i++)
		pos[i] = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			printf("usage:\n%s", usage);
			*done = true;
			return KIMPCTL_OK;
		} else if (opts && !strcmp(a, "--")) {
			opts = false;
		} else if (opts && (!strcmp(a, "--wait") || !strncmp(a, "--wait=", 7))) {
			wv = a[6] ? a + 7 : i + 1 < argc ? argv[++i] : NULL;
			if (!wv)
				return kimpctl_usage_err(cmd, usage, "--wait needs a duration");
			if (kimpctl_parse_wait(wv, wait_ns))
				return kimpctl_usage_err(cmd, usage, "--wait '%s': not a duration "
							 "0s..3600s (a whole number and ns, us, ms "
							 "or s)", wv);
		} else if (opts && a[0] == '-' && a[1]) {
			return kimpctl_usage_err(cmd, usage, "unknown option '%s'", a);
		} else if (n == npos) {
			return kimpctl_usage_err(cmd, usage, "unexpected '%s' (%s)", a, what);
		} else {
			pos[n++] = a;
		}
	}
	return KIMPCTL_OK;
}

/*
 * Why the daemon did not act, from its metrics region's pid when there is
 * one: true when that daemon is alive (it acts when it gets to it).
 */
static bool ctl_why(char *buf, size_t len, const struct shm_seg *seg,
		    const struct kimpctl_req *rq)
{
	const struct shm_metrics *m = kimpctl_metrics(seg, rq->metrics);
	pid_t pid = m ? atomic_load(&m->pid) : 0;

	if (pid > 0 && pid_alive(pid)) {
		snprintf(buf, len, "%s (pid %d) is alive but did not act (stuck or busy)",
			 rq->daemon, (int)pid);
		return true;
	}
	if (pid > 0)
		snprintf(buf, len, "%s is not running (its last pid %d is gone)", rq->daemon,
			 (int)pid);
	else
		snprintf(buf, len, "%s is not running", rq->daemon);
	return false;
}

uint64_t kimpctl_request_post(const struct kimpctl_req *rq)
{
	/* pairs with the daemon's acquire load of the request */
	return atomic_fetch_add_explicit(rq->req, 1, memory_order_acq_rel) + 1;
}

bool kimpctl_request_done(const struct kimpctl_req *rq, uint64_t target)
{
	/* pairs with the daemon's release store after its state is committed */
	return atomic_load_explicit(rq->done, memory_order_acquire) >= target;
}

int kimpctl_request_late(const struct shm_seg *seg, const struct kimpctl_req *rq,
			 uint64_t target)
{
	uint64_t done = atomic_load_explicit(rq->done, memory_order_acquire);
	char why[128], dur[32];
	bool alive = ctl_why(why, sizeof(why), seg, rq);

	return kimpctl_err(KIMPCTL_FAIL, "%s: %s did not act within %s: %s. The request stays "
			   "recorded in segment '%s' (%s requested %" PRIu64 ", done %" PRIu64
			   "): %s acts on it %s", rq->cmd, rq->daemon,
			   fmt_ns(dur, sizeof(dur), rq->wait_ns), why, rq->segment, rq->cmd,
			   target, done, rq->daemon, alive ? "when it gets to it" : "when it starts");
}

int kimpctl_request_wait(const struct shm_seg *seg, const struct kimpctl_req *rq,
			 uint64_t target)
{
	const struct timespec poll = { 0, CTL_POLL_NS };
	uint64_t deadline, now;

	deadline = kimp_mono_ns() + rq->wait_ns;
	for (;;) {
		if (kimpctl_request_done(rq, target))
			return KIMPCTL_OK;
		now = kimp_mono_ns();
		if (now >= deadline)
			break;
		if (deadline - now < CTL_POLL_NS) {
			const struct timespec last = { 0, (long)(deadline - now) };
			nanosleep(&last, NULL);
		} else {
			nanosleep(&poll, NULL);
		}
	}
	return kimpctl_request_late(seg, rq, target);
}

int kimpctl_request(const struct shm_seg *seg, const struct kimpctl_req *rq)
{
	return kimpctl_request_wait(seg, rq, kimpctl_request_post(rq));
}
