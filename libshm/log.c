/* SPDX-License-Identifier: MIT */
/*
 * Cold-path diagnostics for libshm: the last error's text per thread, and a
 * sink for messages said once at startup.
 */
#include <stdarg.h>
#include <stdio.h>
#include "kimp/segment.h"
#include "shm_internal.h"

static __thread char last_error[512];
static shm_log_fn log_fn;
static void *log_ctx;
static unsigned said_once;

const char *shm_last_error(void)
{
	return last_error;
}

int shm_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

void shm_set_log(shm_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void shm_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fn)
		log_fn(log_ctx, msg);
	else
		fprintf(stderr, "kimp: %s\n", msg);
}

bool shm_once(unsigned bit)
{
	if (said_once & bit)
		return false;
	said_once |= bit;
	return true;
}

void shm_log_reset_once(void)
{
	said_once = 0;
}
