/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets in tests/fuzz/targets/ (built with clang
 * by `make fuzz`, never by the gcc build): the entry point's prototype, a
 * check that turns a broken promise into a crash libFuzzer keeps, and the
 * checks of what a decoder or parser hands back (every promise in the
 * headers that can be tested from outside: ranges, NUL-termination,
 * pointers into the input).
 *
 * Inputs to the libvenue targets start with a selector byte or two (which
 * function, which caller buffer size, which HTTP status...), then the
 * bytes under test; tests/fuzz/run writes its seeds the same way.
 */
#ifndef KIMP_FUZZ_H
#define KIMP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A promise broken: say which and abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                 \
			abort();                                                  \
		}                                                                 \
	} while (0)

/* p[0..n) lies inside base[0..len) (or p is NULL). */
static inline int fuzz_inside(const void *p, size_t n, const void *base, size_t len)
{
	const uint8_t *a = p, *b = base;

	return !p || (a >= b && a <= b + len && n <= (size_t)(b + len - a));
}

/*
 * A heap copy of p[0..n) of exactly n bytes (1 when n is 0), so that ASan
 * catches a read past the end. The caller frees it.
 */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/* The same with a NUL after the n bytes (n + 1 bytes). */
static inline char *fuzz_strdup(const uint8_t *p, size_t n)
{
	char *b = malloc(n + 1);

	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	b[n] = 0;
	return b;
}

#endif
