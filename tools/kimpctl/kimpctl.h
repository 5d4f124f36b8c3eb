/* SPDX-License-Identifier: MIT */
/*
 * kimpctl internals: the command table, the shared context, and the output
 * helpers every command uses for its text and --json forms.
 */
#ifndef KIMPCTL_H
#define KIMPCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "kimp/config.h"
#include "kimp/metrics.h"
#include "kimp/segment.h"

/* Exit statuses. */
#define KIMPCTL_OK    0
#define KIMPCTL_FAIL  1  /* the command ran and something failed */
#define KIMPCTL_USAGE 2  /* bad command line or configuration */

/* What every command gets. */
struct kimpctl {
	struct kimp_conf *conf;     /* never NULL: empty when there is no file */
	const char *conf_path;      /* NULL when running on defaults */
	struct shm_opts shm;        /* strings owned by conf */
};

/*
 * A command. run() gets argv[0] == name and returns an exit status. To add
 * one: a file that defines it, a declaration below, a line in main.c's table.
 */
struct kimpctl_cmd {
	const char *name;
	const char *usage;          /* lines for the help text, "  name ARGS  what\n" */
	int (*run)(struct kimpctl *k, int argc, char **argv);
};

extern const struct kimpctl_cmd kimpctl_cmd_shm;
extern const struct kimpctl_cmd kimpctl_cmd_books;
extern const struct kimpctl_cmd kimpctl_cmd_risk;
extern const struct kimpctl_cmd kimpctl_cmd_kill;
extern const struct kimpctl_cmd kimpctl_cmd_pause;
extern const struct kimpctl_cmd kimpctl_cmd_resume;
extern const struct kimpctl_cmd kimpctl_cmd_strat;
extern const struct kimpctl_cmd kimpctl_cmd_positions;
extern const struct kimpctl_cmd kimpctl_cmd_orders;
extern const struct kimpctl_cmd kimpctl_cmd_stats;
extern const struct kimpctl_cmd kimpctl_cmd_top;
extern const struct kimpctl_cmd kimpctl_cmd_journal;
extern const struct kimpctl_cmd kimpctl_cmd_sign;
extern const struct kimpctl_cmd kimpctl_cmd_reset;
extern const struct kimpctl_cmd kimpctl_cmd_status;

void kimpctl_usage(FILE *f);
/* "kimpctl: <cmd>: <fmt>" on stderr; returns 'status' for tail calls. */
int kimpctl_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- conf.c --------------------------------------------------------------- */

/*
 * Load 'path' (-c), else $KIMP_CONFIG, else an empty configuration. 0 or
 * -errno with the message in err.
 */
int kimpctl_conf_load(const char *path, struct kimp_conf **out, const char **used,
		      char *err, size_t errlen);

/*
 * [shm] hugetlbfs, shm_dir and hugepages over shm_opts_default(). The
 * strings in *o are owned by c. 0 or -EINVAL with the message in err.
 */
int kimpctl_shm_opts(const struct kimp_conf *c, struct shm_opts *o, char *err,
		     size_t errlen);

struct kimp_trade_conf;

/*
 * The trading configuration of k->conf (venue scales and names), malloc'd,
 * or NULL with the reason in why: no configuration file, out of memory, or
 * the loader's error. The caller frees it.
 */
struct kimp_trade_conf *kimpctl_trade_conf(struct kimpctl *k, char *why, size_t whylen);

/* ---- ctl.c: a request to a daemon through its control region ------------ */

#define KIMPCTL_WAIT_MAX_NS 3600000000000ull   /* --wait at most 3600s */

/* "N" then ns, us, ms or s, at most KIMPCTL_WAIT_MAX_NS: 0, or -EINVAL. */
int kimpctl_parse_wait(const char *s, uint64_t *out);

/* "kimpctl: CMD: <fmt>" then the usage on stderr; returns KIMPCTL_USAGE. */
int kimpctl_usage_err(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A command's "[ARG...] [--wait DURATION] [-h]": up to npos positional
 * arguments into pos[] (the rest NULL; 'what' says in the error which
 * ones, "one SEGMENT only"), --wait into *wait_ns (left as it is when not
 * given). KIMPCTL_OK with *done false: go on; with *done true: the help
 * was printed; KIMPCTL_USAGE: the error was said.
 */
int kimpctl_ctl_args(int argc, char **argv, const char *usage, const char **pos,
		     unsigned npos, const char *what, uint64_t *wait_ns, bool *done);

struct kimpctl_req {
	const char *cmd;            /* "kill", "reset" */
	const char *daemon;         /* "riskd", "orderd" */
	const char *segment;        /* the segment's name, for the message */
	const char *metrics;        /* the daemon's metrics region (its pid) */
	_Atomic uint64_t *req, *done;
	uint64_t wait_ns;
};

/*
 * Increment *rq->req and wait up to rq->wait_ns for *rq->done to reach it.
 * KIMPCTL_OK when the daemon acted; KIMPCTL_FAIL with the reason said (the
 * daemon alive but busy, or not running) and the request left recorded.
 */
int kimpctl_request(const struct shm_seg *seg, const struct kimpctl_req *rq);

/*
 * kimpctl_request in parts, for a caller that cannot sleep (monitord's
 * loop): post increments *rq->req and returns the value *rq->done must
 * reach; done says whether it has; late says (kimpctl_err) that the daemon
 * did not act within rq->wait_ns and why, and returns KIMPCTL_FAIL.
 */
uint64_t kimpctl_request_post(const struct kimpctl_req *rq);
bool kimpctl_request_done(const struct kimpctl_req *rq, uint64_t target);
/* Sleep-poll (10 ms) up to rq->wait_ns for done: KIMPCTL_OK, or late's KIMPCTL_FAIL. */
int kimpctl_request_wait(const struct shm_seg *seg, const struct kimpctl_req *rq,
			 uint64_t target);
int kimpctl_request_late(const struct shm_seg *seg, const struct kimpctl_req *rq,
			 uint64_t target);

/* ---- out.c: one emitter, two forms ---------------------------------------- */

/*
 * Text form: "key  value" lines, indented by nesting, titles for objects.
 * JSON form: the same keys and nesting as a JSON document. Typed helpers
 * print a human form in text (sizes, durations, times, pids) and the raw
 * number in JSON.
 */
struct out {
	FILE *f;
	bool json;
	unsigned depth;
	bool first;                 /* json: nothing yet at this depth */
};

void out_init(struct out *o, FILE *f, bool json);
void out_finish(struct out *o);
/* key NULL inside arrays; title is the text form's heading (or NULL: key). */
void out_obj_begin(struct out *o, const char *key, const char *title);
void out_obj_end(struct out *o);
void out_arr_begin(struct out *o, const char *key);
void out_arr_end(struct out *o);
void out_str(struct out *o, const char *key, const char *s);
/* A string of at most max bytes, maybe not NUL-terminated (shared memory). */
void out_strn(struct out *o, const char *key, const char *s, size_t max);
void out_u64(struct out *o, const char *key, uint64_t v);
void out_i64(struct out *o, const char *key, int64_t v);
void out_bool(struct out *o, const char *key, bool v);
void out_hex(struct out *o, const char *key, uint64_t v);
void out_bytes(struct out *o, const char *key, uint64_t v);
/* Nanoseconds; name the key "..._ns" (the text form drops the suffix). */
void out_ns(struct out *o, const char *key, uint64_t ns);
void out_null(struct out *o, const char *key);
void out_time(struct out *o, const char *key, uint64_t real_ns);
/* JSON adds "<key>_alive". */
void out_pid(struct out *o, const char *key, pid_t pid);
/* names[i] names bit i; text "0x3 (A|B)", JSON ["A", "B"]. */
void out_flags(struct out *o, const char *key, uint64_t v, const char *const *names,
	       unsigned nnames);
/* count and p50/p90/p99/p99.9/max: one line in text, an object in JSON. */
void out_hist(struct out *o, const char *key, const struct shm_hist_snap *s);

/* A JSON string literal for s (at most max bytes), invalid UTF-8 replaced. */
void json_string(FILE *f, const char *s, size_t max);
/* s with control characters replaced by '?' (text form). */
void text_string(FILE *f, const char *s, size_t max);

/* Human forms, into buf; each returns buf. */
const char *fmt_bytes(char *buf, size_t len, uint64_t v);
const char *fmt_ns(char *buf, size_t len, uint64_t ns);
const char *fmt_utc(char *buf, size_t len, uint64_t real_ns, bool iso);
/* "1234 (alive)", "1234 (dead)", or "-" for no pid. */
const char *fmt_pid(char *buf, size_t len, pid_t pid);
bool pid_alive(pid_t pid);

/* ---- risk.c: helpers strat.c shares -------------------------------------- */

/*
 * v / 10^dec exactly into buf, the fraction without trailing zeros
 * ("100.25", "-0.5", "3"); a dec past VENUE_DEC_MAX as the raw integer with
 * its exponent ("12e-40"). Returns buf.
 */
const char *fmt_dec(char *buf, size_t len, int64_t v, unsigned dec);

/*
 * "[SEGMENT] [--json] [-h]" for the command argv[0] (usage: its help text):
 * *name (default 'def') and *json. KIMPCTL_OK with *done false: go on;
 * KIMPCTL_OK with *done true: the help was printed, exit; KIMPCTL_USAGE: the
 * error was said.
 */
int kimpctl_seg_args(int argc, char **argv, const char *usage, const char *def,
		     const char **name, bool *json, bool *done);

/*
 * Region 'region' of the attached segment 'seg' (named 'name'), checked to
 * lie inside the segment and to hold at least 'min' bytes: 0 with *out (into
 * the mapping) and *size, or KIMPCTL_FAIL with the error said.
 */
int kimpctl_region(const struct shm_seg *seg, const char *cmd, const char *name,
		   const char *region, size_t min, void **out, uint64_t *size);

/* The metrics region 'region' of seg (a daemon's pid, heartbeat), or NULL. */
const struct shm_metrics *kimpctl_metrics(const struct shm_seg *seg, const char *region);

/* An amount at 'dec' decimals, exact (a string in JSON). */
void out_dec(struct out *o, const char *key, int64_t v, unsigned dec);
/* a - b at 'dec' decimals; null when it overflows. */
void out_diff(struct out *o, const char *key, int64_t a, int64_t b, unsigned dec);
/* An id (may pass 2^53, which a JSON double rounds): a string in JSON. */
void out_id(struct out *o, const char *key, uint64_t id);
/* A null for a "..._ns" key (the text form drops the suffix, as out_ns). */
void out_ns_null(struct out *o, const char *key);
/* now - mono_ns ("_ns" key), 0 when in the future; null when mono_ns <= 0. */
void out_age(struct out *o, const char *key, uint64_t now, int64_t mono_ns);
/* The same as a table cell ("-" when never). Returns buf. */
const char *fmt_age(char *buf, size_t len, uint64_t now, int64_t mono_ns);

/*
 * A text table: a header row, then rows of cells, printed with columns
 * aligned (two spaces apart, left-aligned). Cells are copied; an allocation
 * failure is remembered and reported by tbl_print.
 */
#define TBL_CELL 48
#define TBL_COLS 24                 /* columns at most */
struct tbl {
	unsigned ncols, nrows, cap; /* nrows counts the header */
	char (*cell)[TBL_CELL];     /* nrows * ncols, owned */
	bool oom;
};

/* ncols at most TBL_COLS (more are dropped). */
void tbl_init(struct tbl *t, const char *const *hdr, unsigned ncols);
/* Start a row: every cell "-" until set. */
void tbl_row(struct tbl *t);
/* Set cell 'col' of the last row. */
void tbl_set(struct tbl *t, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print with 'indent' before each line; frees t. -ENOMEM when a row was lost. */
int tbl_print(struct tbl *t, FILE *f, const char *indent);
/*
 * Text form only: 'title' at the emitter's depth, t below it one level
 * deeper (or "title  none" when t has no rows). Frees t. KIMPCTL_OK, or
 * KIMPCTL_FAIL when a row was lost (said).
 */
int out_tbl(struct out *o, const char *title, struct tbl *t);

#endif
