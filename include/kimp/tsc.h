/* SPDX-License-Identifier: MIT */
/*
 * Time stamps: raw TSC reads on the hot path, converted to CLOCK_MONOTONIC
 * nanoseconds with one calibration that lives in the segment header, so every
 * process converts ticks the same way.
 */
#ifndef KIMP_TSC_H
#define KIMP_TSC_H

#include <stdint.h>
#include "kimp/compiler.h"

/*
 * Calibration record. Lives in shared memory (segment header); written once
 * by the creator, read-only afterwards.
 *   ns = mono0_ns + (((tsc - tsc0) * mult) >> shift)
 */
struct kimp_tsc_cal {
	uint64_t tsc_hz;     /* measured TSC frequency */
	uint64_t tsc0;       /* anchor: TSC value ... */
	uint64_t mono0_ns;   /* ... and the CLOCK_MONOTONIC time it matches */
	uint64_t mult;       /* ns per tick, fixed point with 'shift' bits */
	uint32_t shift;
	uint32_t flags;      /* KIMP_TSC_* */
	uint64_t calib_ns;   /* how long the calibration window was */
	uint64_t reserved[2];
};
KIMP_ASSERT_SIZE(struct kimp_tsc_cal, 64);

#define KIMP_TSC_INVARIANT 0x1u  /* cpuid says constant + nonstop TSC */
#define KIMP_TSC_FALLBACK  0x2u  /* no usable TSC: ticks are monotonic ns */

/* CLOCK_MONOTONIC in nanoseconds (vDSO, about 20 ns). */
uint64_t kimp_mono_ns(void);
/* CLOCK_REALTIME in nanoseconds. */
uint64_t kimp_real_ns(void);

static inline uint64_t kimp_rdtsc(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return kimp_mono_ns();
#endif
}

/* rdtscp waits for earlier instructions: use it to close a measured span. */
static inline uint64_t kimp_rdtscp(void)
{
#if defined(__x86_64__)
	unsigned int aux;
	return __builtin_ia32_rdtscp(&aux);
#else
	return kimp_rdtsc();
#endif
}

static inline uint64_t kimp_tsc_to_ns_delta(const struct kimp_tsc_cal *c, uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * c->mult) >> c->shift);
}

static inline uint64_t kimp_tsc_to_ns(const struct kimp_tsc_cal *c, uint64_t tsc)
{
	if (tsc >= c->tsc0)
		return c->mono0_ns + kimp_tsc_to_ns_delta(c, tsc - c->tsc0);
	return c->mono0_ns - kimp_tsc_to_ns_delta(c, c->tsc0 - tsc);
}

/*
 * Measure the TSC against CLOCK_MONOTONIC over about window_ns and fill *c.
 * Cold: sleeps for the window. Returns 0 or -errno.
 */
int kimp_tsc_calibrate(struct kimp_tsc_cal *c, uint64_t window_ns) kimp_cold;

#endif
