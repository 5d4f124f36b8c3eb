/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include "kimp/tsc.h"

Test(tsc, conversion_arithmetic)
{
	/* a 2.5 GHz counter: 0.4 ns per tick */
	struct kimp_tsc_cal c = { .tsc_hz = 2500000000ull, .tsc0 = 1000, .mono0_ns = 5000,
				  .shift = 32 };

	c.mult = (uint64_t)((4ull << 32) / 10);
	cr_assert_eq(kimp_tsc_to_ns(&c, 1000), 5000);
	cr_assert_eq(kimp_tsc_to_ns(&c, 1000 + 2500000000ull), 5000 + 1000000000ull - 1,
		     "one second, within a tick of rounding");
	cr_assert_eq(kimp_tsc_to_ns_delta(&c, 25), 9, "25 ticks are 10 ns, rounded down");
	/* before the anchor: 1000 ticks back, the delta rounded down */
	uint64_t before = kimp_tsc_to_ns(&c, 0);
	cr_assert(before == 4600 || before == 4601, "%llu", (unsigned long long)before);
}

Test(tsc, calibration_agrees_with_the_monotonic_clock)
{
	struct kimp_tsc_cal c;

	cr_assert_eq(kimp_tsc_calibrate(&c, 5000000), 0);
	cr_assert(c.tsc_hz > 100000000ull && c.tsc_hz < 20000000000ull, "hz %llu",
		  (unsigned long long)c.tsc_hz);
	/* a TSC read between two clock reads converts to a time between them,
	 * give or take a microsecond of calibration error */
	uint64_t m0 = kimp_mono_ns();
	uint64_t ns = kimp_tsc_to_ns(&c, kimp_rdtsc());
	uint64_t m1 = kimp_mono_ns();
	cr_assert(ns + 1000 >= m0 && ns <= m1 + 1000, "%llu not in [%llu, %llu]",
		  (unsigned long long)ns, (unsigned long long)m0, (unsigned long long)m1);
}
