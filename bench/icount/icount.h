/* SPDX-License-Identifier: MIT */
/*
 * The instruction-count bench's driver: one stage of the engine's hot path
 * run over a fixed replayed input, each operation through
 * icount_stage_run, the one function callgrind collects in
 * (`valgrind --tool=callgrind --collect-atstart=no
 * --toggle-collect=icount_stage_run`): its Ir over the run divided by the
 * operations is the stage's instructions per operation. Everything else
 * (loading the captures, building the input of each operation, reading
 * and checking what it produced, putting the state back) runs outside it
 * and is not counted.
 *
 *   main.c     options, the warm-up, the run, the checks, the result line
 *   decode.c   libvenue's market-data decoders on the venue captures
 *   book.c     feedd's depth book (dbook) applying decoded diffs
 *   engine.c   stratd's md path and riskd's intent path (the strat
 *              bench's world: bench/strat/world.c, strat.c, risk.c)
 *   encode.c   orderd's request build + sign (each venue's order entry)
 *   ring.c     push + pop of one md message on an shm ring
 *
 * The result line on stdout, read by bench/icount/gate:
 *   ICOUNT stage=NAME iters=N ok=1 produced=M
 */
#ifndef KIMP_BENCH_ICOUNT_ICOUNT_H
#define KIMP_BENCH_ICOUNT_ICOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IC_PROG       "icount_bench"
#define IC_ITERS_MAX  10000000ull
#define IC_ERR_MAX    512

/* What a stage's functions share: its state and the error text. */
struct ic_run {
	const char *fixtures;     /* directory of the venue captures */
	const char *tmp_parent;   /* where private segment directories go */
	uint64_t iters;           /* counted operations */
	uint64_t produced;        /* outputs the stage checked (decoded, signed, ...) */
	void *st;                 /* the stage's own state (open allocates, close frees) */
	char err[IC_ERR_MAX];
};

/*
 * One stage. open makes its state and input (0 or -errno, err said);
 * before (may be NULL) sets up operation i outside the count; op is the
 * counted operation (0 or -errno); after (may be NULL) reads and checks
 * what op i produced, counts it in produced, and puts the state back;
 * close frees everything (also after a failed open).
 */
struct ic_stage {
	const char *name;
	const char *what;
	uint64_t iters;           /* the default number of counted operations */
	int (*open)(struct ic_run *r);
	int (*before)(struct ic_run *r, uint64_t i);
	int (*op)(struct ic_run *r, uint64_t i);
	int (*after)(struct ic_run *r, uint64_t i);
	void (*close)(struct ic_run *r);
};

/*
 * The counted span: s->op(r, i), nothing else. Never inlined nor cloned,
 * so callgrind finds it by this name. Returns what op returns.
 */
int icount_stage_run(const struct ic_stage *s, struct ic_run *r, uint64_t i);

/* Every stage, in the table's order (decode.c ... ring.c each add theirs). */
extern const struct ic_stage ic_decode_stages[];
extern const unsigned ic_decode_nstages;
extern const struct ic_stage ic_book_stage;
extern const struct ic_stage ic_premium_stage;
extern const struct ic_stage ic_risk_stage;
extern const struct ic_stage ic_encode_stages[];
extern const unsigned ic_encode_nstages;
extern const struct ic_stage ic_ring_stage;

/* Set r->err from a format; returns err (for `return ic_fail(r, -EPROTO, ...)`). */
int ic_fail(struct ic_run *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The longest line of the capture file (in r->fixtures) that starts with
 * prefix and holds holds (NULL: anything): a malloc'd copy without its
 * newline into *out, its length in *len (the caller frees). 0, -ENOENT
 * (no such line) or -errno (said).
 */
int ic_capture_line(struct ic_run *r, const char *file, const char *prefix, const char *holds,
		    char **out, size_t *len);

#endif
