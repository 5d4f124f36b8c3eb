/* SPDX-License-Identifier: MIT */
/*
 * exsim as a bench drives it: the load scenario for one rate (a base
 * scenario with its [exsim] load_rate set), the process (pinned, its stdout
 * on a pipe read until "exsim: ready", what it announced: CA, listener
 * ports), its control listener (GET /status, POST /pause and /resume), and
 * nothing left behind when the bench stops or is interrupted (exsim dies
 * with the bench: PR_SET_PDEATHSIG, and bu_signals kills child slot 0).
 * The requested rates and their names ("quiet", "100k", "1M", "max"), the
 * coin list and the CPU pair. Not hot-path code; libc only.
 */
#ifndef KIMP_BENCH_EXSIM_H
#define KIMP_BENCH_EXSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BX_NVENUES      2               /* binance, upbit */
#define BX_RATE_QUIET   0               /* load_rate 0: the model's own rate */
#define BX_RATE_MAX     UINT64_MAX      /* the largest load_rate exsim takes */
/* load_rate written for "max": exsim's upper bound, far beyond one thread */
#define BX_LOAD_RATE_MAX 100000000ull
#define BX_MAX_COINS    16
#define BX_EXSIM_SLOT   0               /* exsim's bu_child slot */

enum bx_venue { BX_BINANCE = 0, BX_UPBIT = 1 };
extern const char *const bx_venue_names[BX_NVENUES];

/* How to run exsim. The strings are the caller's and must outlive the run. */
struct bx_exsim_cfg {
	const char *prog;               /* names the bench in messages */
	const char *exsim;              /* the binary */
	const char *scenario;           /* base scenario, or NULL: our own text */
	int cpu;                        /* pinned there, or -1: anywhere */
	unsigned start_timeout_s;       /* until "exsim: ready" */
};

struct bx_exsim {
	const char *prog;
	pid_t pid;
	int out_fd;                     /* its stdout, non-blocking after ready */
	char dir[64];                   /* our temp dir: scenario, state */
	char scn[128];                  /* the scenario written for this rate */
	char ca[300];
	uint16_t ws_port[BX_NVENUES];
	uint16_t rest_port[BX_NVENUES];
	uint16_t control_port;          /* 0: none announced */
	char ready_line[256];
};

/* exsim's counters from its control listener's /status. */
struct bx_status {
	bool ok;
	bool paused;
	uint64_t published[BX_NVENUES]; /* market messages handed to a connection */
	uint64_t ws_conns[BX_NVENUES];  /* WebSocket connections open */
	uint64_t ws_slow_closed;        /* cut off for not keeping up */
};

/*
 * Make the temp dir /tmp/kimp-TAG-XXXXXX (state, scenarios) and clear *x.
 * 0 or -errno.
 */
int bx_exsim_dir(struct bx_exsim *x, const char *tag);
/* Remove it and what is in it. */
void bx_exsim_dir_free(struct bx_exsim *x);
/*
 * Write the scenario for load_rate (the base scenario with its load_rate
 * set, or a minimal one), start exsim as c says, read its stdout until
 * "exsim: ready" (up to c->start_timeout_s). 0, or -errno with the reason
 * on stderr; exsim is stopped on failure.
 */
int bx_exsim_start(struct bx_exsim *x, const struct bx_exsim_cfg *c, uint64_t load_rate);
/* Forward whatever exsim printed since, without blocking. */
void bx_exsim_drain(struct bx_exsim *x);
/* exsim still runs (says on stderr how it ended when it does not). */
bool bx_exsim_alive(struct bx_exsim *x);
/* SIGTERM, then SIGKILL after 3 s; reaped. Safe to call twice. */
void bx_exsim_stop(struct bx_exsim *x);
/* GET /status from the control listener (plain HTTP, 127.0.0.1); st->ok false on failure. */
void bx_exsim_status(const struct bx_exsim *x, struct bx_status *st);
/* POST PATH ("/pause", "/resume") to the control listener: 0 or -errno (-EPROTO: not 200). */
int bx_exsim_post(const struct bx_exsim *x, const char *path);

/* ---- rates, coins, CPUs ----------------------------------------------------------- */

/* "quiet", "max", or a number with an optional k or M: 0 or -EINVAL. */
int bx_parse_rate(const char *s, uint64_t *out);
/* A comma-separated list of rates into out[max]: 0 or -EINVAL. */
int bx_parse_rates(const char *s, uint64_t *out, unsigned max, unsigned *n);
/* "quiet", "max", "1M", "100k" or the number. */
void bx_rate_name(uint64_t rate, char *buf, size_t len);
/* "BTC,eth" into upper-case coins[BX_MAX_COINS][12]: 0 or -EINVAL. */
int bx_parse_coins(const char *s, char (*coins)[12], unsigned *n);
/*
 * The coins exsim serves with scenario path (NULL: built-in): its [coin.NAME]
 * sections in file order, or exsim's defaults BTC, ETH, XRP when it has
 * none. 0, or -errno (the file cannot be read, a name is not a coin's).
 */
int bx_scenario_coins(const char *path, char (*coins)[12], unsigned *n);

#endif
