/* SPDX-License-Identifier: MIT */
/*
 * Small compiler and CPU helpers shared by every kimp component.
 */
#ifndef KIMP_COMPILER_H
#define KIMP_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#define KIMP_CACHELINE 64
/* Pad shared indices to two lines: the adjacent-line prefetcher pulls pairs. */
#define KIMP_FALSE_SHARING 128

#define kimp_likely(x)   __builtin_expect(!!(x), 1)
#define kimp_unlikely(x) __builtin_expect(!!(x), 0)
#define kimp_cold        __attribute__((cold))
#define kimp_aligned(n)  __attribute__((aligned(n)))
#define kimp_unused      __attribute__((unused))

#define KIMP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define KIMP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Compile-time layout pins for structs that live in shared memory. */
#define KIMP_ASSERT_SIZE(type, n) \
	_Static_assert(sizeof(type) == (n), #type " must be " #n " bytes")
#define KIMP_ASSERT_OFFSET(type, field, n) \
	_Static_assert(offsetof(type, field) == (n), #type "." #field " must be at " #n)
#define KIMP_ASSERT_ALIGN(type, n) \
	_Static_assert(_Alignof(type) == (n), #type " must be aligned to " #n)

static inline void kimp_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static inline int kimp_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

#endif
