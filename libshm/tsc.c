/* SPDX-License-Identifier: MIT */
/*
 * TSC calibration against CLOCK_MONOTONIC.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include "kimp/tsc.h"
#include "shm_internal.h"

uint64_t kimp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t kimp_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool tsc_invariant(void)
{
#if defined(__x86_64__)
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000007, &a, &b, &c, &d))
		return false;
	return d & (1u << 8);
#else
	return false;
#endif
}

/*
 * One (tsc, mono) pair: the clock read bracketed by two TSC reads; keep the
 * tightest of a few tries and take the midpoint.
 */
static void tsc_pair(uint64_t *tsc, uint64_t *mono)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		uint64_t t0 = kimp_rdtscp();
		uint64_t m = kimp_mono_ns();
		uint64_t t1 = kimp_rdtscp();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*mono = m;
		}
	}
}

int kimp_tsc_calibrate(struct kimp_tsc_cal *c, uint64_t window_ns)
{
	uint64_t t0, m0, t1, m1;
	struct timespec ts;

	memset(c, 0, sizeof(*c));
	if (window_ns < 1000000)
		window_ns = 1000000;
	tsc_pair(&t0, &m0);
	ts.tv_sec = (time_t)(window_ns / 1000000000ull);
	ts.tv_nsec = (long)(window_ns % 1000000000ull);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	tsc_pair(&t1, &m1);

	c->shift = 32;
	if (t1 <= t0 || m1 <= m0) {
		/* no usable TSC: ticks are nanoseconds */
		c->flags = KIMP_TSC_FALLBACK;
		c->tsc_hz = 1000000000ull;
		c->mult = 1ull << c->shift;
		c->tsc0 = c->mono0_ns = 0;
		c->calib_ns = m1 - m0;
		return 0;
	}
	c->tsc_hz = (uint64_t)((unsigned __int128)(t1 - t0) * 1000000000ull / (m1 - m0));
	c->mult = (uint64_t)(((unsigned __int128)(m1 - m0) << c->shift) / (t1 - t0));
	c->tsc0 = t1;
	c->mono0_ns = m1;
	c->calib_ns = m1 - m0;
	if (tsc_invariant())
		c->flags |= KIMP_TSC_INVARIANT;
	return 0;
}
