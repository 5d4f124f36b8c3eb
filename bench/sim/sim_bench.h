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
 *   exsim.c      the scenario, spawning exsim, its CPU time and /status
 *   client.c     the WebSocket connections and their counters
 *   report.c     the summary and the JSON
 */
#ifndef KIMP_BENCH_SIM_H
#define KIMP_BENCH_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_MAX_RATES    16
#define SB_MAX_ROUNDS   50
#define SB_MAX_CONNS    32              /* per venue */
#define SB_MAX_COINS    16
#define SB_NVENUES      2               /* binance, upbit */
#define SB_RATE_QUIET   0               /* load_rate 0: the model's own rate */
#define SB_RATE_MAX     UINT64_MAX      /* the largest load_rate exsim takes */
/* load_rate written for "max": exsim's upper bound, far beyond one thread */
#define SB_LOAD_RATE_MAX 100000000ull

enum sb_venue { SB_BINANCE = 0, SB_UPBIT = 1 };
extern const char *const sb_venue_names[SB_NVENUES];

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

/* ---- exsim.c ---------------------------------------------------------------- */

struct sb_exsim {
	pid_t pid;
	int out_fd;                     /* its stdout, non-blocking after ready */
	char dir[64];                   /* our temp dir: scenario, state */
	char scn[128];                  /* the scenario written for this rate */
	char ca[300];
	uint16_t ws_port[SB_NVENUES];
	uint16_t control_port;          /* 0: none announced */
	char ready_line[256];
};

/* exsim's counters from its control listener's /status. */
struct sb_status {
	bool ok;
	uint64_t published[SB_NVENUES]; /* market messages sent */
	uint64_t ws_slow_closed;
};

/* Make the temp dir (state, scenarios). 0 or -errno. */
int sb_exsim_dir(struct sb_exsim *x);
/* Remove it and what is in it. */
void sb_exsim_dir_free(struct sb_exsim *x);
/*
 * Write the scenario for load_rate (the base scenario with its load_rate
 * set, or a minimal one), start exsim on cpu (-1: anywhere), read its
 * stdout until "exsim: ready" (up to timeout_s). 0, or -errno with the
 * reason on stderr; exsim is stopped on failure.
 */
int sb_exsim_start(const struct sb_cfg *c, struct sb_exsim *x, uint64_t load_rate);
/* Forward whatever exsim printed since, without blocking. */
void sb_exsim_drain(struct sb_exsim *x);
/* exsim still runs. */
bool sb_exsim_alive(struct sb_exsim *x);
/* SIGTERM, then SIGKILL after 3 s; reaped. Safe to call twice. */
void sb_exsim_stop(struct sb_exsim *x);
/* utime + stime from /proc/PID/stat, ns (clock-tick resolution). */
uint64_t sb_proc_cpu_ns(pid_t pid);
/* GET /status from the control listener (plain HTTP, 127.0.0.1). */
void sb_exsim_status(const struct sb_exsim *x, struct sb_status *st);
int sb_signals(void);
int sb_pin(int cpu);

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
int sb_client_start(const struct sb_cfg *c, const struct sb_exsim *x,
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
double sb_median(double *v, unsigned n);

/* ---- report.c ------------------------------------------------------------------- */

void sb_print(const struct sb_results *r);
int sb_json(const struct sb_results *r);

#endif
