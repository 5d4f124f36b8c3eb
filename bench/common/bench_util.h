/* SPDX-License-Identifier: MIT */
/*
 * Small helpers the benches share: JSON output, quantiles over sorted
 * samples, ratios, option parsing, the CPU's name. Not hot-path code.
 */
#ifndef KIMP_BENCH_UTIL_H
#define KIMP_BENCH_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A JSON string, escaped. */
void bu_json_str(FILE *f, const char *s);
/* A JSON number with three decimals, or null for NaN and infinities. */
void bu_json_num(FILE *f, double v);
/* sep, then `"key": ` and v as bu_json_num writes it. */
void bu_json_kv(FILE *f, const char *sep, const char *key, double v);
/*
 * Open a results object: `{`, then "bench": name, "format": 1, "date_utc"
 * (now) and "git_commit": commit (a JSON string), one a line; the caller
 * goes on from after the commit's closing quote.
 */
void bu_json_head(FILE *f, const char *name, const char *commit);
/* a / b, or NaN when b is not positive or either is NaN. */
double bu_ratio(double a, double b);
/* qsort comparators. */
/* CLOCK_MONOTONIC in ns. */
uint64_t bu_mono_ns(void);

int bu_dbl_cmp(const void *a, const void *b);
int bu_u64_cmp(const void *a, const void *b);
/* The median of v[0..n) leaving out NaNs (v is reordered), or NaN when none. */
double bu_median(double *v, unsigned n);
/* The sample of rank ceil(q * n) in s[0..n), sorted ascending; n > 0. */
uint64_t bu_quantile(const uint64_t *s, uint64_t n, double q);
/* A decimal in [min, max]: 0 or -EINVAL. */
int bu_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "A,B", each in [min, max]: 0 or -EINVAL. */
int bu_parse_pair(const char *s, uint64_t min, uint64_t max, uint64_t out[2]);
/* "A,B", two different CPU numbers: 0 or -EINVAL. */
int bu_parse_cpus(const char *s, int cpu[2]);
/*
 * Open the results' machine object: `  "machine": {"nproc": N, "cpu_model":
 * "...", "kernel": "..."`. The caller adds its own fields and closes it.
 */
void bu_json_machine_open(FILE *f);
/* "model name" from /proc/cpuinfo, or "unknown". */
void bu_cpu_model(char *buf, size_t len);

/*
 * The option loop every bench runs: --ci is looked for first (the defaults
 * depend on it), then each option goes to parse (0 or -errno); -h prints
 * the usage and exits; a bad value names its option (opts[i].val must be
 * first_opt + i); a stray argument is an error. 0 or -EINVAL.
 */
struct bu_args {
	const char *prog;
	const struct option *opts;
	int first_opt;
	void *cfg;
	void (*defaults)(void *cfg, bool ci);
	int (*parse)(void *cfg, int opt, const char *arg);
	void (*usage)(FILE *f);
};
int bu_parse_args(const struct bu_args *a, int argc, char **argv);

/*
 * SIGINT, SIGTERM and SIGHUP kill the children registered with bu_child
 * (SIGKILL), say "<prog>: interrupted" and exit 128 + the signal; SIGPIPE
 * is ignored. bu_signals_default undoes it (in a child after fork).
 */
#define BU_CHILDREN 4
int bu_signals(const char *prog);
void bu_signals_default(void);
/* Child slot 0..BU_CHILDREN-1 holds pid (0: none). */
void bu_child(unsigned slot, pid_t pid);
/* Say how a reaped child ended: "PROG: WHAT exited with status N" or "died of signal N". */
void bu_child_said(const char *prog, const char *what, int status);
/*
 * Is the child *pid (in slot) still running? When it has ended: how is
 * said, *pid becomes 0 and the slot is cleared.
 */
bool bu_child_alive(const char *prog, const char *what, pid_t *pid, unsigned slot);
/*
 * Stop the child *pid (in slot): SIGTERM, then up to grace_ns for it to go
 * (tick(arg) between looks, when not NULL: drain its output), then SIGKILL.
 * An unclean end is said; *pid becomes 0 and the slot is cleared.
 */
void bu_child_stop(const char *prog, const char *what, pid_t *pid, unsigned slot,
		   uint64_t grace_ns, void (*tick)(void *arg), void *arg);
/*
 * fn (NULL: none) runs in the handler after the children are killed, before
 * the exit: it must be async-signal-safe (unlink a file the run made).
 */
void bu_signal_cleanup(void (*fn)(void));

/*
 * From /proc/stat (clock-tick resolution): the busy time (user to softirq)
 * of cpu[0] and cpu[1], and the hypervisor's steal on both, in ms; zeros
 * when unknown.
 */
void bu_cpu_stat(const int cpu[2], uint64_t busy_ms[2], uint64_t *steal_ms);
/* Pin the calling thread to cpu: 0 or -errno. */
int bu_pin(int cpu);
/* utime + stime of a process from /proc/PID/stat, in ns; 0 when unknown. */
uint64_t bu_proc_cpu_ns(pid_t pid);

/*
 * Write a results file through PATH.tmp and a rename, so a reader never
 * sees half of it: write(f, arg) produces the content. 0 or -errno, said
 * on stderr as "<prog>: write PATH: ...".
 */
int bu_json_file(const char *prog, const char *path, void (*write)(FILE *f, const void *arg),
		 const void *arg);

#endif
