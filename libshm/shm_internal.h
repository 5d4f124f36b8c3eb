/* SPDX-License-Identifier: MIT */
/* libshm private helpers. */
#ifndef KIMP_SHM_INTERNAL_H
#define KIMP_SHM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* Set shm_last_error() and return err (a -errno). */
int shm_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True the first time 'bit' is asked for in this process. */
bool shm_once(unsigned bit);

#define SHM_ONCE_FALLBACK 0x1u
#define SHM_ONCE_MLOCK    0x2u
#define SHM_ONCE_TSC      0x4u
#define SHM_ONCE_HUGEPAGE 0x8u

static inline uint64_t shm_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}


#endif
