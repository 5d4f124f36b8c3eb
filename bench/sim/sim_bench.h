/* SPDX-License-Identifier: MIT */
/*
 * exsim load bench: how many market messages per second exsim publishes,
 * across connections, at requested rates from quiet to flat out, and what
 * each message costs exsim and the client in CPU.
 *
 * Processes: for each rate, exsim (exec'd, pinned to CPU a) runs a load
 * scenario; this process is the client (pinned to CPU b): one net_loop
 * with N TLS WebSocket connections per venue, each subscribed to every
 * instrument's market data, counting messages and bytes. After a warm-up,
 * several back-to-back measurement windows (rounds); the report is the
 * median over rounds. exsim is stopped and started afresh for each rate.
 *
 *   sim_bench.c  options, the rates and their rounds, main
 *   exsim.c      exsim through bench/common/exsim.c, with this bench's settings
 *   client.c     the WebSocket connections and their counters
 *   report.c     the summary and the JSON
 */
#ifndef KIMP_BENCH_SIM_H
#define KIMP_BENCH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../common/bench_exsim.h"

#define SB_MAX_RATES    16
#define SB_MAX_ROUNDS   50
#define SB_MAX_CONNS    32              /* per venue */
#define SB_MAX_COINS    BX_MAX_COINS
#define SB_NVENUES      BX_NVENUES      /* binance, upbit */
#define SB_RATE_QUIET   BX_RATE_QUIET   /* load_rate 0: the model's own rate */
#define SB_RATE_MAX     BX_RATE_MAX     /* the largest load_rate exsim takes */
/* load_rate written for "max": exsim's upper bound, far beyond one thread */
#define SB_LOAD_RATE_MAX BX_LOAD_RATE_MAX

enum sb_venue { SB_BINANCE = BX_BINANCE, SB_UPBIT = BX_UPBIT };

struct sb_cfg {
	unsigned nrates;
	uint64_t rate[SB_MAX_RATES];    /* messages/s asked, all connections,
					 * or SB_RATE_QUIET, SB_RATE_MAX */
	unsigned conns;                 /* connections per venue */
	unsigned rounds;
	uint64_t warm_ns, window_ns;
	int cpu[2];                     /* exsim, client */
	bool pin;                       /* 2+ CPUs: pinned to cpu[] */
	unsigned start_timeout_s;       /* exsim up and every connection receiving */
	unsigned ncoins;
	char coins[SB_MAX_COINS][12];   /* "BTC" */
	const char *exsim;
	const char *scenario;           /* base scenario, or NULL: our own text */
	const char *json_path;
	const char *commit;
	bool ci;
	bool full_feed;                 /* depth and whole books too, not just the tops */
};

/* ---- exsim.c: exsim as bench/common/exsim.c runs it, with sim_bench's settings ---- */

/* bx_exsim_start with c's binary, scenario, CPU and timeout. */
int sb_exsim_start(const struct sb_cfg *c, struct bx_exsim *x, uint64_t load_rate);

/* /proc/stat: steal on both CPUs, busy time of each (ms, 10 ms resolution). */
struct sb_sys {
	uint64_t steal_ms;
	uint64_t busy_ms[2];
};
void sb_sys_snap(const int cpu[2], struct sb_sys *s);

/* ---- client.c ------------------------------------------------------------------ */

struct sb_count {
	uint64_t msgs, bytes, bad;
};

struct sb_client;

/*
 * Connect cfg->conns connections to each venue of x, subscribed to every
 * coin's market data, and run the loop until every one has received a
 * message (up to timeout). 0, or -errno with the reason on stderr.
 */
int sb_client_start(const struct sb_cfg *c, const struct bx_exsim *x,
		    struct sb_client **out);
/* Run the loop until deadline_ns (CLOCK_MONOTONIC). 0, or -errno when a
 * connection failed or closed (the reason on stderr). */
int sb_client_run(struct sb_client *cl, uint64_t deadline_ns);
/* Counters since the start, per venue. */
void sb_client_counts(const struct sb_client *cl, struct sb_count out[SB_NVENUES]);
/* The first malformed message, escaped and cut short ("" when none). */
const char *sb_client_bad_sample(const struct sb_client *cl);
const char *sb_client_cipher(const struct sb_client *cl);
unsigned sb_client_loop_flags(const struct sb_client *cl);
/* Close every connection (briefly runs the loop) and free. NULL is fine. */
void sb_client_free(struct sb_client *cl);

/* ---- sim_bench.c: the figures ---------------------------------------------------- */

/* One measurement window. */
struct sb_round {
	uint64_t wall_ns;
	struct sb_count cnt[SB_NVENUES];        /* deltas over the window */
	uint64_t exsim_cpu_ns, client_cpu_ns;
	uint64_t steal_ms, others_ms[2];        /* on exsim's, the client's CPU */
	bool have_published;
	uint64_t published[SB_NVENUES];         /* exsim's own count, delta */
	/* derived */
	double mps, mps_venue[SB_NVENUES], mbps, bytes_per_msg;
	double exsim_ns_per_msg, client_ns_per_msg;
	double exsim_share, client_share;
	double published_mps;                   /* NaN when not known */
	double got_vs_published;                /* received / published */
};

/* A side that used this share of its CPU or more was the limit. */
#define SB_BOUND_SHARE 0.9

/* One rate: its rounds and their medians. */
struct sb_rate_res {
	uint64_t rate;                  /* asked, all connections (or quiet, max) */
	uint64_t load_rate;             /* written into the scenario */
	double asked_mps;               /* NaN for quiet and max */
	bool ok;
	char error[160];
	unsigned rounds_done;
	struct sb_round round[SB_MAX_ROUNDS];
	struct sb_round med;            /* derived fields only, medians */
	uint64_t bad;                   /* malformed messages, whole run */
	char bad_sample[128];
	uint64_t slow_closed;
	char ready_line[256];
	/* every window together: received / exsim's published (NaN: unknown) */
	double got_vs_published;
};

struct sb_results {
	const struct sb_cfg *cfg;
	unsigned nrates_done;
	struct sb_rate_res res[SB_MAX_RATES];
	char cipher[64];
	unsigned loop_flags;
};

/* load_rate for an asked total rate (per venue, as exsim reads it). */
uint64_t sb_load_rate(const struct sb_cfg *c, uint64_t rate);

/* ---- report.c ------------------------------------------------------------------- */

void sb_print(const struct sb_results *r);
int sb_json(const struct sb_results *r);

#endif
