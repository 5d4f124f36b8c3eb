/* SPDX-License-Identifier: MIT */
/*
 * The strat bench: what stratd's md path (event in, intents out) and
 * riskd's intent path (intent in, verdict and order out) cost per message,
 * measured in one thread on one pinned core by calling the daemons' own
 * poll functions on real state in real segments, beside the reference
 * Python pipeline in the same run.
 *
 *   world.c   a private segment directory; feedd's book table and md ring,
 *             orderd's report rings and the two stand-in inputs, made here;
 *             a real stratd and a real riskd opened on them (stratd_open,
 *             riskd_open) from one configuration text
 *   strat.c   stratd's two paths: an event with the premium at its mean
 *             (no trade) and one that opens a pair (two intents)
 *   risk.c    riskd's two paths: an intent approved, one rejected
 *   python.c  the reference pipeline, a child pinned to the same core
 *   main.c    options, the rounds, the timing
 *   report.c  the table on stdout and the JSON (bench/results/README.md)
 */
#ifndef KIMP_BENCH_STRAT_SBENCH_H
#define KIMP_BENCH_STRAT_SBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kimp/book.h"
#include "kimp/config.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "../../riskd/riskd.h"
#include "../../stratd/stratd.h"

#define SB_MAX_ROUNDS  101
#define SB_MAX_PY      15
#define SB_ITERS_MAX   10000000ull

/* The measured paths, in the order the table lists them. */
enum sb_path {
	SB_STRAT_MEAN = 0,   /* stratd: an md event, premium within a deviation of its mean */
	SB_STRAT_ENTRY,      /* stratd: an md event that opens a pair: two intents */
	SB_RISK_APPROVED,    /* riskd: an intent every check passes: verdict + order */
	SB_RISK_REJECTED,    /* riskd: an intent rejected at the last check: verdict */
	SB_NPATHS
};

extern const char *const sb_path_name[SB_NPATHS];
extern const char *const sb_path_what[SB_NPATHS];

struct sb_cfg {
	bool ci;
	int cpu;                  /* the core everything runs on */
	unsigned rounds;
	uint64_t iters;           /* timed calls per path and round */
	uint64_t warmup;          /* untimed calls before them */
	const char *baselines;    /* directory of python_pipeline.py */
	const char *python;       /* the interpreter */
	uint64_t py_iters;        /* ticks per Python run */
	unsigned py_runs;
	bool no_python;
	const char *tmp_parent;   /* where the private segment directory goes */
	const char *json_path;
	const char *commit;
};

/* Figures of one set of samples, ns. */
struct sb_stats {
	double p50, p99, p999, max, mean;
};

struct sb_path_res {
	unsigned rounds;
	struct sb_stats round[SB_MAX_ROUNDS];
	double wall_ms[SB_MAX_ROUNDS];     /* the round, untimed work included */
	double others_ms[SB_MAX_ROUNDS];   /* wall - this thread's CPU time: others had the core */
	struct sb_stats med;               /* medians over rounds */
	uint64_t calls;                    /* timed calls, every one checked */
};

struct sb_py_run {
	uint64_t ticks, orders;
	double p50_us, p99_us, p999_us;
	double wall_s;
};

/* ---- world.c --------------------------------------------------------------------- */

/* Book slots of the bench's feedd table. */
enum { SB_UB_BTC = 0, SB_BN_BTC, SB_UB_USDT, SB_UB_ETH, SB_BN_ETH, SB_NBOOKS };

#define SB_NSEGS 6

struct sb_world {
	char dir[128];                       /* private segment directory */
	struct shm_opts so;
	char seg[SB_NSEGS][SHM_NAME_MAX];    /* feedd, orderd, stand-ins, stratd, riskd */
	char path[SB_NSEGS][256];            /* their files (removed by the signal handler) */
	bool made[SB_NSEGS];
	char conf_text[4096];
	struct kimp_conf *kc;
	/* feedd (the bench): books and md */
	struct shm_seg fseg;
	bool fseg_on;
	struct shm_seqtab *books;
	struct shm_ring *md;
	struct shm_ring_prod mdp;
	struct kimp_book rec[SB_NBOOKS];
	uint64_t book_ns[SB_NBOOKS];         /* each book's own clock (recv_mono_ns) */
	/* orderd (the bench): reports to riskd and to stratd */
	struct shm_seg oseg;
	bool oseg_on;
	struct shm_ring_prod rep_risk, rep_strat;
	/* stratd's riskd (the bench): verdicts */
	struct shm_seg vseg;
	bool vseg_on;
	struct shm_ring_prod verdicts_in;
	/* riskd's stratd (the bench): intents */
	struct shm_seg iseg;
	bool iseg_on;
	struct shm_ring_prod intents_in;
	/* the daemons */
	struct stratd_conf sconf;
	struct stratd s;
	bool s_on;
	struct shm_ring_cons s_intents;      /* stratd's intents, read as riskd would */
	struct riskd_conf rconf;
	struct riskd d;
	bool d_on;
	struct shm_ring_cons d_orders;       /* riskd's orders, read as orderd would */
	struct shm_ring_cons d_verdicts;     /* riskd's verdicts, read as stratd would */
	uint64_t next_intent_id, next_pair_id;
};

/* Make everything and open both daemons: 0 or -errno (said on stderr). */
int sb_world_open(struct sb_world *w, const struct sb_cfg *cfg);
/* Close the daemons, remove every segment and the directory. */
void sb_world_close(struct sb_world *w);
/* Async-signal-safe: unlink the segment files and the directory (interrupted runs). */
void sb_world_unlink(void);

/* Write book slot (its levels in w->rec[slot]): its clock one step on, recv_tsc now. */
void sb_book_write(struct sb_world *w, int slot);
/* Rewrite a book as it is (recv_tsc now, its clock unchanged): riskd's age gate. */
void sb_book_touch(struct sb_world *w, int slot);
/* Push an MD_TOP event about book slot: 0, or -EAGAIN when the ring is full. */
int sb_md_top(struct sb_world *w, int slot);
/* Set n levels a side from best prices stepping by tick, qty each; live. */
void sb_levels(struct sb_world *w, int slot, int64_t bid, int64_t ask, int64_t tick, int64_t qty,
	       int n);

/* The TSC calibration each daemon converts with (its own segment's). */
const struct kimp_tsc_cal *sb_cal(const struct sb_world *w, enum sb_path p);

/* ---- strat.c / risk.c: the paths ------------------------------------------------ */

/*
 * Each path: prepare (untimed; the state where the path's work happens),
 * then per call: setup (untimed: the input message on the daemon's input
 * ring), the timed poll, check-and-reset (untimed: the outputs read and
 * verified, the state brought back so every call does the same work).
 * Each returns 0, or -EPROTO with what went wrong in err.
 */
int sb_strat_prepare(struct sb_world *w, enum sb_path p, char *err, size_t errlen);
int sb_strat_setup(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen);
int sb_strat_call(struct sb_world *w);
int sb_strat_check(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen);
void sb_strat_round_begin(struct sb_world *w);
void sb_strat_round_end(struct sb_world *w);
/* Why the no-trade path made no trade, for the report (enum strat_why counters). */
uint64_t sb_strat_why(const struct sb_world *w, unsigned why);

int sb_risk_prepare(struct sb_world *w, enum sb_path p, char *err, size_t errlen);
int sb_risk_setup(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen);
int sb_risk_call(struct sb_world *w);
int sb_risk_check(struct sb_world *w, enum sb_path p, uint64_t i, char *err, size_t errlen);
void sb_risk_round_begin(struct sb_world *w);
void sb_risk_round_end(struct sb_world *w);

/* ---- python.c -------------------------------------------------------------------- */

/* Run the pipeline once (pinned to cfg->cpu): 0 or -errno (said on stderr). */
int sb_python_run(const struct sb_cfg *cfg, struct sb_py_run *out);
/* The script's path (baselines/python_pipeline.py). */
void sb_python_script(const struct sb_cfg *cfg, char *buf, size_t len);

/* ---- report.c -------------------------------------------------------------------- */

struct sb_run {
	const struct sb_cfg *cfg;
	struct sb_path_res path[SB_NPATHS];
	uint64_t why_mean[STRAT_WHY_MAX];    /* no-trade path: why no entry, over the timed calls */
	struct sb_py_run py[SB_MAX_PY];
	unsigned npy;
	struct sb_stats py_med;              /* ns; max and mean unknown (NaN) */
	double timer_ns;                     /* median cost of an empty timed span */
	uint64_t tsc_hz;
	uint32_t tsc_flags;
	char backing[160];                   /* where the segments lived */
	double wall_s;
};

void sb_print(const struct sb_run *r);
int sb_json(const struct sb_run *r);

#endif
