/* SPDX-License-Identifier: MIT */
/*
 * Network bench: WebSocket over TLS on loopback, our client against
 * libwebsockets, and HTTP request/response round trips over a warm TLS
 * keep-alive connection, our client against curl and Python's http.client.
 *
 * Processes: the parent orchestrates and never measures; one server process
 * (libnet, pinned to CPU a) serves every client; each client run is a
 * process of its own pinned to CPU b (a fork for ours, an exec for the
 * references) that reports on a pipe: one result line (WS, see wire.h) or
 * one round-trip time in ns per line (HTTP).
 */
#ifndef KIMP_BENCH_NET_H
#define KIMP_BENCH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/compiler.h"

#define NB_MAX_ROUNDS 50
#define NB_HTTP_PATH  "/api/v3/time"
/* A client that got less of its CPU than this shared it (steal, others). */
#define NB_SHARE_OK   0.95

struct nb_cfg {
	unsigned rounds;
	uint64_t ws_n;           /* messages per WS run */
	uint64_t http_n;         /* measured round trips, our client and curl */
	uint64_t http_warm;      /* unmeasured round trips first, per connection */
	uint64_t py_n;           /* measured round trips, Python (slower) */
	int cpu[2];              /* server, client */
	unsigned timeout_s;      /* one client run */
	bool ci;
	bool no_lws, no_refs;
	const char *lws_bin;
	const char *json_path;
	const char *commit;
};

struct nb_certs {
	char dir[64];
	char ca[96], cert[96], key[96];
};

/* ---- WebSocket clients ------------------------------------------------- */

enum nb_ws_kind { WS_KIMP_SPIN, WS_KIMP_BLOCK, WS_LWS, WS_NR };

/* One WS run, as the client and the server saw it. */
struct nb_ws_fig {
	double mps;              /* messages per second, message 0 to n-1 */
	double cpu_ns;           /* client CPU (user + sys) per message */
	double usr_ns, sys_ns;   /* its split, per message (getrusage) */
	double share;            /* client CPU time / wall time */
	double srv_stall;        /* share of the server's streaming time spent
				  * with its send queue full (client-bound) */
	double vcsw, ivcsw;      /* client context switches per 1000 messages */
	uint64_t steal_ms;       /* hypervisor steal on the two CPUs */
	uint64_t others_ms[2];   /* other tasks on the server's, client's CPU */
	uint64_t run_ms;         /* the whole run, process start to exit */
	unsigned disturbed;      /* medians: rounds disturbed (nb_disturbed) */
	bool ok;
};

/* ---- HTTP clients ------------------------------------------------------ */

/* kimp: kimp/httpconn.h's client; kimp raw: a net_stream, net_http_req and
 * net_http_parser, without the connection layer. */
enum nb_http_kind { H_KIMP_SPIN, H_KIMP_BLOCK, H_KIMP_RAW, H_CURL, H_PYTHON, H_NR };

struct nb_lat {
	double p50, p99, p999, max, mean;
	uint64_t n;
};

struct nb_http_fig {
	struct nb_lat rtt;       /* microseconds */
	uint64_t steal_ms, others_ms[2], run_ms;
	unsigned disturbed;
	bool ok;
};

/* ---- the server process ------------------------------------------------ */

struct nb_server {
	pid_t pid;
	int res_fd;              /* per WS connection: struct nb_srv_ws */
	uint16_t ws_port, http_port;
};

/* What the server says after each WS connection. */
struct nb_srv_ws {
	uint64_t sent;           /* data messages queued */
	uint64_t wall_ns;        /* first message queued to the marker queued */
	uint64_t stall_ns;       /* of which the send queue was full */
	int32_t err;             /* 0, or what ended the stream early */
	uint32_t pad;
};

struct nb_run_info {
	char ws_cipher[WS_NR][64];
	char http_cipher[64];
	unsigned loop_flags;     /* io_uring setup flags of our client's loop */
};

/* ---- proc.c: processes, pipes, clocks ----------------------------------- */

int nb_pin(int cpu);
int nb_signals(void);

/* What else ran on our CPUs during a run (see nb_cpu_delta). */
struct nb_cpu_snap {
	uint64_t steal_ms;       /* both CPUs */
	uint64_t busy_ms[2];     /* server's and client's CPU, any task */
	uint64_t children_ms;    /* our reaped children (the clients) */
	uint64_t self_ms;        /* this process */
	uint64_t server_ms;      /* the server process */
	uint64_t wall_ms;        /* CLOCK_MONOTONIC */
};
/* A run is disturbed when others took this long from one of our CPUs,
 * and this share of the run's time (a quiet machine shows a few ms). */
#define NB_OTHERS_MS    20
#define NB_OTHERS_SHARE 0.05

void nb_cpu_snap(const int cpu[2], pid_t server, struct nb_cpu_snap *s);
/*
 * Steal on both CPUs, and the busy time of each CPU that was not ours
 * (server and parent on cpu[0], the client on cpu[1]): other tasks, and
 * interrupt work charged to no task (a few ms on a quiet machine).
 */
void nb_cpu_delta(const struct nb_cpu_snap *a, const struct nb_cpu_snap *b,
		  uint64_t *steal_ms, uint64_t others_ms[2], uint64_t *wall_ms);
bool nb_disturbed(const uint64_t others_ms[2], uint64_t wall_ms);
/*
 * Run fn(arg, fd) in a child pinned to cpu, or exec argv there (fn NULL)
 * with its stdout on the pipe; collect everything it writes, up to
 * timeout_s. *out is malloc'd and NUL-terminated (caller frees). 0 when the
 * child exited 0, -ETIMEDOUT, -ECHILD (it failed: its stderr says why),
 * -errno.
 */
int nb_spawn(int cpu, unsigned timeout_s, int (*fn)(void *arg, int fd), void *arg,
	     const char *const argv[], char **out, size_t *out_len);
/* The child to kill on SIGINT/SIGTERM (the server), 0 for none. */
void nb_set_server_pid(pid_t pid);
void nb_reap(pid_t pid);

/* ---- certs.c ------------------------------------------------------------- */

int nb_certs_make(struct nb_certs *c);
void nb_certs_free(struct nb_certs *c);

/* ---- server.c ------------------------------------------------------------ */

int nb_server_start(const struct nb_cfg *cfg, const struct nb_certs *certs,
		    struct nb_server *s);
/* The record of the connection that just ended (waits up to timeout_s). */
int nb_server_ws_result(struct nb_server *s, unsigned timeout_s, struct nb_srv_ws *out);
/* Drop records of connections that ended after their run gave up on them. */
void nb_server_drain(struct nb_server *s);
void nb_server_stop(struct nb_server *s);

/* ---- ws_client.c --------------------------------------------------------- */

int nb_ws_run(const struct nb_cfg *cfg, const struct nb_certs *certs,
	      struct nb_server *srv, enum nb_ws_kind kind, struct nb_ws_fig *f,
	      struct nb_run_info *info);
extern const char *const nb_ws_names[WS_NR];

/* ---- http_client.c -------------------------------------------------------- */

int nb_http_run(const struct nb_cfg *cfg, const struct nb_certs *certs,
		const struct nb_server *srv, enum nb_http_kind kind,
		struct nb_http_fig *f, struct nb_run_info *info);
/* The kinds this machine can run (curl and python3 may be missing). */
bool nb_http_available(const struct nb_cfg *cfg, enum nb_http_kind kind);
extern const char *const nb_http_names[H_NR];

/* ---- stats (main.c) -------------------------------------------------------- */

void nb_lat_from(struct nb_lat *l, uint64_t *ns, uint64_t n);

/* ---- report.c --------------------------------------------------------------- */

struct nb_results {
	const struct nb_cfg *cfg;
	unsigned rounds_done;
	struct nb_ws_fig ws[NB_MAX_ROUNDS][WS_NR];
	struct nb_http_fig http[NB_MAX_ROUNDS][H_NR];
	struct nb_ws_fig ws_med[WS_NR];
	struct nb_http_fig http_med[H_NR];
	bool ws_ran[WS_NR], http_ran[H_NR];
	struct nb_run_info info;
};

void nb_medians(struct nb_results *r);
void nb_print(const struct nb_results *r);
int nb_json(const struct nb_results *r);

#endif
