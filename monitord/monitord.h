/* SPDX-License-Identifier: MIT */
/*
 * monitord: the engine's observation and operator endpoint. Not on the hot
 * path: its own io_uring loop (libnet), its own core or none.
 *
 *   listen (HTTP, loopback, plain TCP)
 *     GET  /metrics                 Prometheus text format 0.0.4 (prom.c)
 *     GET  /health                  200 every process alive and beating, else 503
 *     GET  /api/status|positions|orders|executions|premium|books|stats|
 *          feeds|latency|config     JSON, from kimpctl's view functions
 *     POST /api/control/kill|pause|resume   Authorization: Bearer TOKEN
 *                                   (200 riskd acted, 504 it did not within
 *                                   control_wait, 409 another is in flight)
 *     GET  /, /FILE                 static files of the www directory
 *   GET  /ws (on listen; also on ws_listen when set): a WebSocket with a
 *        JSON snapshot every push_every
 *
 * The views attach each segment read-only for the length of one request;
 * /api/status is kimpctl status --json (kimpctl_view_status). Control maps
 * riskd's control region writable and posts the request
 * (kimpctl_risk_post); a 1 ms loop timer polls riskd's done counter and
 * answers late (200, or 504 after control_wait), the loop serving the rest
 * meanwhile; one request in flight at a time, another gets 409.
 * monitord's own segment ([monitord] name) holds its metrics region
 * (requests, errors, pushes, log drain counters, heartbeat) and its log
 * ring. The log drain (logs.c) runs on a loop timer every log_drain_every.
 */
#ifndef MONITORD_H
#define MONITORD_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <netinet/in.h>
#include "kimp/config.h"
#include "kimp/metrics.h"
#include "kimp/segment.h"
#include "kimpctl.h"

#define MON_TOKEN_MAX   256
#define MON_PROCS_MAX   8
#define MON_WS_MAX      16
#define MON_REPLY_CAP   (4u << 20)   /* one reply: the largest view */
#define MON_WWW_MAX     512
#define MON_PATH_MAX    512          /* log_dir */

struct mon_conf {
	char name[SHM_NAME_MAX];            /* own segment */
	struct sockaddr_in listen;
	struct sockaddr_in ws_listen;       /* a WebSocket listener of its own (ws_own) */
	bool ws_own;                        /* false: /ws only on listen */
	char token[MON_TOKEN_MAX];          /* "" : control disabled */
	const char *token_src;              /* where it came from, for the log */
	uint64_t push_every_ns;
	uint64_t heartbeat_timeout_ns;      /* /health: a beat older is hung */
	uint64_t control_wait_ns;           /* how long a control request waits for riskd */
	char www[MON_WWW_MAX];
	unsigned nprocs;
	char procs[MON_PROCS_MAX][SHM_NAME_MAX]; /* sections whose name = segment */
	/* the log drain (logs.c) */
	char log_dir[MON_PATH_MAX];         /* "" : off */
	uint64_t log_max_bytes;             /* a file is rotated before it passes this */
	uint64_t log_keep;                  /* rotated files kept: .1 .. .log_keep */
	uint64_t log_drain_every_ns;
};

/*
 * [monitord] of c into *out; 'exe' (argv[0] resolved) finds the default
 * www directory. 0, or -EINVAL with the message in err. Cold.
 */
int mon_conf_load(const struct kimp_conf *c, const char *exe, struct mon_conf *out, char *err,
		  size_t errlen) kimp_cold;

/* Constant-time comparison of a presented token with the configured one. */
bool mon_token_eq(const char *want, const char *got, size_t got_len);

/*
 * Prometheus text format 0.0.4 of every metrics region of every segment
 * (k's shm directories) into f: one family per metric name, label proc;
 * histograms in seconds on fixed edges (MON_PROM_EDGES). 0 or -ENOMEM.
 */
int mon_prom_write(struct kimpctl *k, FILE *f);

/* /health into f as JSON: true when every proc is alive and beating. */
bool mon_health(struct kimpctl *k, const struct mon_conf *mc, FILE *f);

/*
 * The log drain (logs.c): every process's log ring (region "log" of the
 * segments of [monitord] procs, and monitord's own) formatted into
 * LOG_DIR/PROC.ring.log, rotated at log_max_bytes, log_keep kept. Segments
 * that appear, vanish or are recreated later are followed.
 */
struct mon_log_stats {
	uint64_t records;      /* drained and written */
	uint64_t lost;         /* the writers' sequence gaps */
	uint64_t bytes;        /* written to the files */
	uint64_t rotations;
	uint64_t errors;       /* failed opens, writes, renames */
};

/* monitord's metrics counters the drain adds to too (each may be NULL). */
struct mon_log_counters {
	_Atomic uint64_t *records, *lost, *bytes, *rotations, *errors;
};

struct mon_logs;
/*
 * The drain of mc's processes (segment names from k->conf, k->shm's
 * directories). *out NULL when mc->log_dir is "" (off). 0 or -ENOMEM. The
 * caller owns *out (mon_logs_close). Cold.
 */
int mon_logs_open(struct mon_logs **out, const struct kimpctl *k, const struct mon_conf *mc,
		  const struct mon_log_counters *c) kimp_cold;
/*
 * One turn: look for new, vanished and recreated segments, then up to a
 * bounded number of records per source into the files, flushed. Returns the
 * records drained. Never fails: errors are counted and said (stderr, once
 * a minute at most).
 */
unsigned mon_logs_drain(struct mon_logs *l);
/* The drain's counts so far. Owned by l. */
const struct mon_log_stats *mon_logs_stats(const struct mon_logs *l);
void mon_logs_close(struct mon_logs *l) kimp_cold;

struct mon;
/* Open the segment, the loop and the listeners. 0 or -errno with err. Cold. */
int mon_open(struct mon **out, struct kimpctl *k, const struct mon_conf *mc, char *err,
	     size_t errlen) kimp_cold;
/* Run until *stop. */
void mon_run(struct mon *m, volatile sig_atomic_t *stop);
uint16_t mon_http_port(const struct mon *m);
uint16_t mon_ws_port(const struct mon *m);
void mon_close(struct mon *m) kimp_cold;

#endif
