/* SPDX-License-Identifier: MIT */
/*
 * The decode bench (C side): its configuration, the inputs (cases) built
 * from the venue captures at run time, and what was measured. main.c runs
 * it, cases.c builds the inputs, check.c compares the decoders' output,
 * report.c prints the table and writes the JSON (bench/results/README.md).
 */
#ifndef KIMP_BENCH_DECODE_DBENCH_H
#define KIMP_BENCH_DECODE_DBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/venue.h"
#include "dref.h"

/*
 * The parsers timed. The last two only parse (cJSON: parse and free the
 * tree; simdjson: parse) and fill nothing: they say how much of each
 * reference's time is the parse and how much the fill (lookups, numbers).
 */
enum db_parser {
	DB_OURS, DB_CJSON, DB_SIMD,
	DB_CJSON_PARSE, DB_SIMD_PARSE,
	DB_NPARSERS
};
#define DB_NDECODERS (DB_SIMD + 1)   /* the ones that fill the message */

#define DB_MAX_CASES     48
#define DB_MAX_SKIPS     32
#define DB_MAX_ROUNDS    101
#define DB_LEVELS_CAP    8192     /* levels a side a message may carry (feedd's figure) */
#define DB_LEVELS_MAX    5000     /* the most an enlarged input may ask for (REST's limit) */
#define DB_PX_DEC        8
#define DB_QTY_DEC       8
#define DB_DISTURBED     1.05

/* The goal: ours this many times faster than cJSON, and faster than simdjson. */
#define DB_GOAL_CJSON    5.0
#define DB_GOAL_SIMD     1.0

struct db_cfg {
	bool ci;
	int cpu;                  /* pinned to it, or -1 */
	unsigned rounds;
	uint64_t round_ns;        /* time one parser spends on one case in a round */
	unsigned diff_levels;     /* levels a side of the enlarged depthUpdate */
	unsigned snap_levels;     /* levels a side of the enlarged REST snapshot */
	const char *only;         /* run only cases whose name holds this */
	const char *fixtures;     /* directory of the captures */
	const char *json_path;
	const char *commit;
};

struct db_case {
	char name[64];            /* "upbit.orderbook.default" */
	enum kimp_venue venue;
	uint8_t kind;             /* the enum vd_kind every decoder must give */
	bool snapshot;            /* a REST snapshot: decode_snapshot for sym */
	bool optional;            /* a shape ours may refuse: skipped, not failed, then */
	bool probe;               /* not a message type of the goal: the same message with
				     its keys in an order the venue does not send */
	uint32_t sym;
	uint8_t *buf;             /* the message, then dref_simd_padding() zero bytes */
	size_t len;
	char file[64];            /* the capture it came from */
	unsigned line;            /* its line there, from 1 */
	char how[200];            /* "real line", or how it was derived from that line */
	uint32_t nbids, nasks;    /* levels as decoded */
	/* measured */
	uint64_t iters[DB_NPARSERS];  /* messages each parser decodes per round */
	unsigned rounds;
	double ns[DB_NPARSERS][DB_MAX_ROUNDS];  /* CPU ns per message, each round */
	double wall[DB_NPARSERS][DB_MAX_ROUNDS];/* wall ns per message, each round */
	double med[DB_NPARSERS];                /* the median of ns over rounds */
	double med_wall[DB_NPARSERS];           /* the median of wall over rounds */
	unsigned disturbed;                     /* parser rounds whose wall time passed their
						   CPU time by DB_DISTURBED or more (another
						   task had the CPU meanwhile) */
};

struct db_skip {
	char name[64];
	char why[256];
};

/* One number lexeme through the double path against its exact fixed point. */
struct db_prec {
	const char *lexeme;
	const char *what;
	unsigned dec;             /* 0: an integer id */
	bool exact_ok;            /* the exact value fits int64 / uint64 */
	int64_t exact;            /* ids: as uint64 bits */
	bool dbl_ok;
	int64_t dbl;
};

#define DB_MAX_PREC 8

struct db_run {
	const struct db_cfg *cfg;
	struct venue_symtab *tab[KIMP_VENUE_MAX];   /* by enum kimp_venue; NULL: unused */
	struct dref_tab *rtab[KIMP_VENUE_MAX];
	struct vd_level *bids, *asks;    /* DB_LEVELS_CAP each */
	struct db_case *cases;           /* DB_MAX_CASES */
	unsigned ncases;
	struct db_skip skips[DB_MAX_SKIPS];
	unsigned nskips;
	struct db_prec prec[DB_MAX_PREC];
	unsigned nprec;
	double wall_s;
};

extern const char *const db_parser_name[DB_NPARSERS];

/* The table index of a venue: its enum kimp_venue. */
static inline unsigned db_vi(enum kimp_venue v)
{
	return (unsigned)v;
}

/* cases.c: every case from the captures into r->cases (skips noted). 0 or -errno (said). */
int db_cases_build(struct db_run *r);
void db_cases_free(struct db_run *r);
void db_skip(struct db_run *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* check.c */
/* Run parser p once on c into m (reset first): 0 or -enum vd_err. */
int db_decode(const struct db_run *r, const struct db_case *c, enum db_parser p,
	      struct vd_msg *m);
/*
 * Parser p decodes c n times into m (reset before each, as feedd does):
 * the thread's CPU time for it in ns (CLOCK_THREAD_CPUTIME_ID: what the
 * decoding cost, whoever else ran on the CPU meanwhile), the wall time in
 * *wall_ns (CLOCK_MONOTONIC), the calls that failed in *errors.
 */
uint64_t db_time(const struct db_run *r, const struct db_case *c, enum db_parser p,
		 struct vd_msg *m, uint64_t n, uint64_t *errors, uint64_t *wall_ns);
/* m and want equal in every field the decoders fill; else 1 and what differs in why. */
int db_msg_diff(const struct vd_msg *m, const struct vd_msg *want, char *why, size_t len);
/* The lexemes of the precision note, through strtod and exactly. */
void db_precision(struct db_run *r);

/* report.c */
void db_print(const struct db_run *r);
int db_json(const struct db_run *r);

#endif
