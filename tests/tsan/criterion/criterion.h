/* SPDX-License-Identifier: MIT */
/*
 * A minimal stand-in for the part of Criterion's API the libshm tests use,
 * so the same test files run under ThreadSanitizer: Criterion 2.4 aborts at
 * start-up under TSan ("Could not initialize inheritable arena", upstream
 * issue Snaipe/Criterion#274). Used only by `make check`; see runner.c.
 */
#ifndef KIMP_MINI_CRITERION_H
#define KIMP_MINI_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct mc_suite_cfg {
	void (*init)(void);
	void (*fini)(void);
	unsigned timeout;
};

void mc_register_suite(const char *suite, const struct mc_suite_cfg *cfg);
void mc_register_test(const char *suite, const char *name, void (*fn)(void));
void mc_fail(bool fatal, const char *file, int line, const char *expr,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void mc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mc_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TestSuite(suite, ...)                                                    \
	static const struct mc_suite_cfg mc_suite_##suite = { __VA_ARGS__ };     \
	__attribute__((constructor)) static void mc_reg_suite_##suite(void)      \
	{                                                                        \
		mc_register_suite(#suite, &mc_suite_##suite);                    \
	}

#define Test(suite, name, ...)                                                   \
	static void mc_test_##suite##_##name(void);                              \
	__attribute__((constructor)) static void mc_reg_##suite##_##name(void)   \
	{                                                                        \
		mc_register_test(#suite, #name, mc_test_##suite##_##name);       \
	}                                                                        \
	static void mc_test_##suite##_##name(void)

#define mc_check(fatal, cond, ...)                                               \
	do {                                                                     \
		if (!(cond))                                                     \
			mc_fail(fatal, __FILE__, __LINE__, #cond, "" __VA_ARGS__); \
	} while (0)

#define cr_assert(cond, ...)          mc_check(true, cond, __VA_ARGS__)
#define cr_assert_eq(a, b, ...)       mc_check(true, (a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...)      mc_check(true, (a) != (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...)       mc_check(true, (a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...)      mc_check(true, (a) >= (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...)       mc_check(true, (a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...)      mc_check(true, (a) <= (b), __VA_ARGS__)
#define cr_assert_null(p, ...)        mc_check(true, (p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...)    mc_check(true, (p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...)   mc_check(true, !strcmp((a), (b)), __VA_ARGS__)
#define cr_assert_fail(...)           mc_fail(true, __FILE__, __LINE__, "fail", "" __VA_ARGS__)
#define cr_expect_eq(a, b, ...)       mc_check(false, (a) == (b), __VA_ARGS__)
#define cr_log_info(...)              mc_log(__VA_ARGS__)
#define cr_skip_test(...)             mc_skip("" __VA_ARGS__)

#endif
