/* SPDX-License-Identifier: MIT */
/*
 * The order bench: what orderd costs per order, in two parts.
 *
 *   in process  (inproc.c, tlsmem.c) per venue and channel, on one pinned
 *               core, the work orderd does between popping riskd's order
 *               and handing the bytes to the socket, without the socket:
 *               the JR_ORDER journal append (orderd/core.h, a temp file,
 *               sync none), the request built and signed by the venue's
 *               table (kimp/venue_ord.h), the WebSocket frame where the
 *               channel has one, and the TLS record encryption of those
 *               bytes (libnet's TLS engine over a memory pair, the suite
 *               the engine prefers). Each piece timed with the TSC, and
 *               the whole. Plus journal_sync = always (append + msync).
 *   reference   (python.c) ../shared/baselines/python_pipeline.py per tick,
 *               and a snippet of ours timing only its order build,
 *               serialize and sign lines; both pinned to the same core.
 *   daemon      (daemon.c) the real orderd against exsim (rate limits off
 *               in the scenario), the bench playing riskd: a paced run
 *               read back from orderd's own intent-to-send histograms, and
 *               a closed loop (at most a window of orders per venue
 *               between the push and the order's final report, so orderd
 *               is never offered what it would have to refuse) counted as
 *               orders sent per second and as orders in exsim's ledger per
 *               second, with the CPU share of orderd, exsim and the bench.
 *   report.c    the table on stdout and the JSON (bench/results/README.md)
 */
#ifndef KIMP_BENCH_ORDER_OBENCH_H
#define KIMP_BENCH_ORDER_OBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define OB_PROG        "order_bench"
#define OB_MAX_ROUNDS  51
#define OB_MAX_PY      15
#define OB_MAX_RUNS    9
#define OB_ITERS_MAX   10000000ull
#define OB_GOAL_MIN    10000.0    /* the original requirement, orders/s */
#define OB_GOAL        100000.0   /* the aim */

/* The in-process cases: a venue's order placement on one channel. */
enum ob_case {
	OB_UPBIT_REST = 0,     /* Upbit POST /v1/orders, JWT HS512 + SHA-512 query_hash */
	OB_BINANCE_WSAPI,      /* Binance ws-api order.place, HMAC-SHA256 (the fast path) */
	OB_BINANCE_REST,       /* Binance POST /api/v3/order, HMAC-SHA256 (the fallback) */
	OB_NCASES
};

/* The timed pieces of one order, in path order; total is from the first to the last. */
enum ob_piece {
	OB_P_JOURNAL = 0,      /* JR_ORDER record filled and appended */
	OB_P_BUILD,            /* the request built and signed (bytes ready) */
	OB_P_FRAME,            /* WebSocket frame header + client mask (ws channels) */
	OB_P_TLS,              /* TLS record sealed (net_tls_write to a memory sink) */
	OB_P_TOTAL,            /* all of the above */
	OB_NPIECES
};

extern const char *const ob_case_name[OB_NCASES];
extern const char *const ob_case_what[OB_NCASES];
extern const char *const ob_piece_name[OB_NPIECES];

struct ob_cfg {
	bool ci;
	int cpu[2];               /* in process: cpu[0]; daemon: orderd cpu[0], exsim cpu[1] */
	unsigned rounds;
	uint64_t iters;           /* timed orders per case and round */
	uint64_t warmup;
	uint64_t sync_iters;      /* journal_sync = always: appends per round */
	const char *journal_dir;  /* where the temp journals go */
	bool no_tls;
	/* the reference */
	const char *baselines;
	const char *python;
	uint64_t py_iters;
	unsigned py_runs;
	bool no_python;
	/* the daemon part */
	const char *exsim;
	const char *orderd;
	const char *orderd_wait;  /* [orderd] wait: hybrid (its default) or spin */
	bool no_daemon;
	unsigned runs;            /* paced + closed-loop runs (a fresh exsim and orderd each) */
	uint64_t paced_rate;      /* orders/s of the paced run */
	double paced_s;
	double load_s;            /* the closed loop's length */
	uint64_t window[2];       /* orders outstanding at most, per venue (bx order) */
	uint64_t rest_pipeline;   /* [order.NAME] rest_pipeline given to orderd */
	uint64_t upbit_conns;     /* [order.upbit] rest_conns given to orderd */
	unsigned start_timeout_s;
	const char *json_path;
	const char *commit;
};

/* Figures of one set of samples, ns. */
struct ob_stats {
	double p50, p99, p999, max, mean;
};

struct ob_case_res {
	bool ok;                  /* ran (the venue's table has the builder) */
	char skip[160];           /* why not */
	unsigned rounds;
	struct ob_stats round[OB_MAX_ROUNDS][OB_NPIECES];
	struct ob_stats med[OB_NPIECES];
	uint64_t bytes;           /* request bytes (the last one built) */
	uint64_t tls_bytes;       /* ciphertext bytes of it */
	double minflt[OB_MAX_ROUNDS]; /* minor page faults per timed order, by round */
	double minflt_med;
	char sample[1200];        /* the last request, as sent (printable) */
};

struct ob_sync_res {
	bool ok;
	char skip[160];
	unsigned rounds;
	struct ob_stats round[OB_MAX_ROUNDS];
	struct ob_stats med;
	uint64_t iters;
	char fs[32];              /* the journal directory's file system */
};

struct ob_py_run {
	uint64_t ticks, orders;
	double p50_us, p99_us, p999_us;
	double wall_s;
};

struct ob_py_res {
	bool ran, ok;
	unsigned runs;
	struct ob_py_run pipe[OB_MAX_PY];     /* python_pipeline.py, per tick */
	struct ob_py_run sign[OB_MAX_PY];     /* ours: its order build+serialize+sign lines */
	double pipe_p50, pipe_p99, pipe_p999; /* medians over runs, us */
	double sign_p50, sign_p99, sign_p999;
	char version[64];
};

/* ---- the daemon part ----------------------------------------------------------- */

#define OB_NVENUES 2          /* binance, upbit (bx_venue order) */

struct ob_run_res {
	bool ok;
	/* paced: orderd's intent-to-send histogram over the paced window, per venue */
	uint64_t paced_orders[OB_NVENUES];
	double its_p50[OB_NVENUES], its_p99[OB_NVENUES], its_p999[OB_NVENUES];
	uint64_t its_count[OB_NVENUES];
	/* closed loop */
	double load_wall_s;
	uint64_t pushed, sent, acked, rejected, local_rejects, other_reports;
	uint64_t done;             /* orders that reached a final state (or UNKNOWN) */
	uint64_t unknown;          /* UNKNOWN reports (no usable reply) */
	uint64_t ledger;           /* orders exsim's ledger gained */
	double sent_per_s, ledger_per_s, done_per_s;
	double orderd_cpu_ns, exsim_cpu_ns;   /* per sent order */
	double orderd_cpu_share, exsim_cpu_share, bench_cpu_share;
	uint64_t idle_waits;       /* loop turns with every window full and nothing back */
	uint64_t ws_full;          /* orderd's binance.wsapi_full: ws-api sends refused at its cap */
	uint64_t ws_slow_closed;   /* exsim cut a connection for not reading (-1: unknown) */
	uint64_t reconnects;       /* orderd's venue reconnects during the loop */
	uint64_t v_sent[OB_NVENUES], v_local_rej[OB_NVENUES], v_done[OB_NVENUES];
};

struct ob_daemon_res {
	bool ran, ok;
	char skip[200];
	unsigned runs;
	struct ob_run_res run[OB_MAX_RUNS];
	/* medians over runs */
	double its_p50[OB_NVENUES], its_p99[OB_NVENUES], its_p999[OB_NVENUES];
	double sent_per_s, ledger_per_s, done_per_s, orderd_cpu_ns, exsim_cpu_ns;
	double orderd_cpu_share, exsim_cpu_share, bench_cpu_share;
	double local_rejects;
	unsigned clean_runs;       /* runs with no refusal, cut or reconnect: the medians' runs */
	char exsim_ready[256];
	char its_metric[2][64];    /* the histogram names read */
	char notes[1024];          /* what limited the flood, as seen */
};

struct ob_results {
	const struct ob_cfg *cfg;
	double tsc_ghz;
	double timer_ns;           /* an empty span (rdtscp to rdtscp) */
	char tls_suite[64];
	struct ob_case_res c[OB_NCASES];
	struct ob_sync_res sync;
	struct ob_py_res py;
	struct ob_daemon_res d;
};

/* ---- inproc.c ---------------------------------------------------------------------- */

/* Every case, cfg->rounds rounds, into r (c[], sync, tsc_ghz, timer_ns, tls_suite).
 * 0, or -errno when something that should work did not (said on stderr). */
int ob_inproc_run(const struct ob_cfg *cfg, struct ob_results *r);

/* ---- tlsmem.c ------------------------------------------------------------------------ */

struct ob_tls;
/* A client TLS session to a server in this process, handshake done; its
 * writes go to a sink that counts bytes. 0 or -errno (said on stderr). */
int ob_tls_open(struct ob_tls **out, char *suite, size_t cap);
/* Seal len bytes as the client would send them: 0 or -errno. */
int ob_tls_write(struct ob_tls *t, const void *p, size_t len);
/* Ciphertext bytes written so far. */
uint64_t ob_tls_out(const struct ob_tls *t);
void ob_tls_close(struct ob_tls *t);

/* ---- python.c -------------------------------------------------------------------------- */

void ob_python_script(const struct ob_cfg *cfg, char *buf, size_t len);
/* One run of the pipeline, and one of our snippet, pinned to cfg->cpu[0]. */
int ob_python_pipe(const struct ob_cfg *cfg, struct ob_py_run *out);
int ob_python_sign(const struct ob_cfg *cfg, struct ob_py_run *out);
void ob_python_version(const struct ob_cfg *cfg, char *buf, size_t len);

/* ---- daemon.c ---------------------------------------------------------------------------- */

/* cfg->runs runs of exsim + orderd: 0, or -errno (a failure, said on stderr). */
int ob_daemon_run(const struct ob_cfg *cfg, struct ob_daemon_res *d);

/* ---- report.c ----------------------------------------------------------------------------- */

void ob_stats_of(uint64_t *s, uint64_t n, double ns_per_tick, struct ob_stats *out);
void ob_stats_median(const struct ob_stats *v, unsigned n, size_t stride, struct ob_stats *out);
void ob_print(FILE *f, const struct ob_results *r);
void ob_json(FILE *f, const void *arg);

#endif
