/* SPDX-License-Identifier: MIT */
/*
 * feedd ingest bench: how many market messages per second feedd takes in
 * over TLS with no loss, and what its completion-to-publish latency is.
 *
 * Processes: for each rate, exsim (exec'd, pinned to CPU a) runs the load
 * scenario with its load_rate set for that rate; feedd (exec'd, pinned to
 * CPU b) is configured with both venues on exsim (exsim's CA, WebSocket
 * and REST listeners, exsim's coins) and a segment of its own. This
 * process (pinned to CPU a, beside exsim, so feedd's core is feedd's)
 * attaches to feedd's segment, drains its md ring the whole time as stratd
 * will (a thread, batch peeks), waits until every book is live, warms up,
 * then measures several back-to-back windows: feedd's per-venue message
 * counters against exsim's per-venue published counts, feedd's error
 * counters, the ring's drops, feedd's and exsim's CPU, and the
 * cqe_to_publish_ns histograms (the difference of snapshots at the
 * window's edges). At the end exsim is paused and, once feedd has nothing
 * left to read, the totals since the start are compared exactly. Both
 * processes are stopped and the segment removed before the next rate.
 *
 *   main.c    options, the rates and their windows, main
 *   feedd.c   feedd's configuration, its process, its segment (books,
 *             metrics, histograms)
 *   drain.c   the md ring consumer thread
 *   report.c  the summary and the JSON
 */
#ifndef KIMP_BENCH_FEED_H
#define KIMP_BENCH_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/seqlock.h"
#include "kimp/segment.h"
#include "../common/bench_exsim.h"

#define FB_PROG         "feed_bench"
#define FB_MAX_RATES    16
#define FB_MAX_ROUNDS   50
#define FB_NVENUES      BX_NVENUES
#define FB_FEEDD_SLOT   1               /* feedd's bu_child slot */
/* the histograms read: all venues together, then one per venue */
#define FB_NHIST        (1 + FB_NVENUES)

struct fb_cfg {
	unsigned nrates;
	uint64_t rate[FB_MAX_RATES];    /* messages/s asked, both venues together,
					 * or BX_RATE_QUIET, BX_RATE_MAX */
	unsigned rounds;
	uint64_t warm_ns, window_ns;
	int cpu[2];                     /* exsim (and this process), feedd */
	bool pin;                       /* 2+ CPUs: pinned to cpu[] */
	unsigned start_timeout_s;       /* exsim up; every book live */
	unsigned ncoins;                /* exsim's coins */
	char coins[BX_MAX_COINS][12];
	bool coins_given;               /* --coins, else from the scenario */
	unsigned upbit_depth;           /* 1 (top) or 30 (full) */
	unsigned conns;                 /* feedd connections per venue */
	unsigned ring_slots;
	bool spin;                      /* feedd spins on its loop */
	const char *exsim;
	const char *feedd;
	const char *scenario;           /* base scenario, or NULL */
	const char *json_path;
	const char *commit;
	bool ci;
};

/* ---- feedd.c --------------------------------------------------------------------- */

/* What one reading of feedd's metrics gives, per venue. */
struct fb_venue_ctr {
	uint64_t msgs, bytes, control;
	uint64_t decode_err;            /* every <venue>.decode_err.* */
	uint64_t gaps, resyncs, reconnects, crossed, stale_marks, snap_fail, idle_drops;
};

struct fb_ctr {
	struct fb_venue_ctr v[FB_NVENUES];
	uint64_t events, ring_full, status_changes;
	uint64_t overruns;              /* the ring's own count */
};

struct fb_feedd {
	pid_t pid;
	int err_fd;                     /* its stderr, forwarded to ours */
	char line[512];                 /* a partial line from it */
	size_t line_len;
	bool ready;                     /* it said "feedd: ... venue(s), ..." */
	char seg_name[SHM_NAME_MAX];
	char conf_path[128];
	bool attached;
	struct shm_opts so;
	struct shm_seg seg;
	struct shm_seqtab *books;
	struct shm_ring *ring;
	struct shm_metrics *metrics;
	/* counters found by name (NULL: feedd does not have it: reads 0) */
	const _Atomic uint64_t *c_events, *c_ring_full, *c_status;
	struct {
		const _Atomic uint64_t *msgs, *bytes, *control, *gaps, *resyncs, *reconnects;
		const _Atomic uint64_t *crossed, *stale_marks, *snap_fail, *idle_drops;
		const _Atomic uint64_t *decode_err[16];
		unsigned ndecode_err;
	} vc[FB_NVENUES];
	const struct shm_hist *hist[FB_NHIST];
};

/*
 * Write feedd's configuration for exsim x into x's dir, start feedd (pinned
 * to c->cpu[1] when c->pin), attach to its segment and find the book
 * table, the md ring and the metrics (up to c->start_timeout_s). 0, or
 * -errno with the reason on stderr; feedd is stopped on failure.
 */
int fb_feedd_start(const struct fb_cfg *c, const struct bx_exsim *x, unsigned run,
		   struct fb_feedd *f);
/* Forward whatever feedd printed since, without blocking. */
void fb_feedd_drain(struct fb_feedd *f);
/* feedd still runs (says on stderr how it ended when it does not). */
bool fb_feedd_alive(struct fb_feedd *f);
/* SIGTERM, then SIGKILL after 3 s; reaped; detached; the segment removed. */
void fb_feedd_stop(struct fb_feedd *f);
/* Books in the table, and how many are live now. */
unsigned fb_books_live(struct fb_feedd *f, unsigned *total);
void fb_counters(const struct fb_feedd *f, struct fb_ctr *out);
/* Snapshots of the FB_NHIST histograms (empty for a missing one). */
void fb_hists(const struct fb_feedd *f, struct shm_hist_snap *out);
/* to = b - a, bucket by bucket, with min and max from the buckets. */
void fb_hist_diff(const struct shm_hist_snap *b, const struct shm_hist_snap *a,
		  struct shm_hist_snap *to);

/* ---- drain.c ---------------------------------------------------------------------- */

enum fb_ev { FB_EV_TOP, FB_EV_TRADE, FB_EV_STATUS, FB_EV_OTHER, FB_EV_MAX };

struct fb_drain_ctr {
	uint64_t events, by_type[FB_EV_MAX], gap_flags, batches, max_batch;
	uint64_t cpu_ns;                /* the thread's CPU time */
};

struct fb_drain {
	pthread_t th;
	bool running;
	struct shm_ring_cons cons;
	clockid_t clock;
	_Atomic int stop;
	_Atomic uint64_t events, by_type[FB_EV_MAX], gap_flags, batches, max_batch;
};

/* Attach as the ring's consumer and start the thread. 0 or -errno. */
int fb_drain_start(struct fb_drain *d, struct shm_ring *ring);
/* The counters so far (max_batch: the largest batch since the last take_max). */
void fb_drain_read(struct fb_drain *d, struct fb_drain_ctr *out);
/* The largest batch since the last call, and start again from 0. */
uint64_t fb_drain_take_max(struct fb_drain *d);
/* Stop and join the thread (safe when it did not start). */
void fb_drain_stop(struct fb_drain *d);

/* ---- main.c: the figures ------------------------------------------------------------- */

struct fb_lat {
	uint64_t count;
	double p50, p99, p999, max;     /* ns; NaN with no samples */
};

/* One measurement window. */
struct fb_round {
	uint64_t wall_ns;
	uint64_t recv[FB_NVENUES];      /* feedd's msgs, delta */
	bool have_published;
	uint64_t published[FB_NVENUES]; /* exsim's count, delta */
	int64_t behind[FB_NVENUES];     /* published - received, delta */
	int64_t inflight[FB_NVENUES];   /* published - received since both started,
					 * at the window's end */
	uint64_t slack[FB_NVENUES];     /* the in-flight allowance */
	struct fb_ctr ctr;              /* deltas */
	struct fb_drain_ctr drain;      /* deltas */
	unsigned books_live, books;     /* at the window's end */
	uint64_t feedd_cpu_ns, exsim_cpu_ns;
	uint64_t steal_ms, others_ms[2];
	struct fb_lat lat[FB_NHIST];
	bool lossless;
	/* derived */
	double mps, mps_venue[FB_NVENUES], published_mps, mbps;
	double feedd_share, feedd_ns_per_msg, exsim_share, drain_share, events_ps;
	double others_share[2];         /* others' CPU time / wall, on exsim's, feedd's CPU */
};

/* One rate: its windows and their medians. */
struct fb_rate_res {
	uint64_t rate;                  /* asked, both venues (or quiet, max) */
	uint64_t load_rate;             /* written into the scenario (per venue) */
	double asked_mps;               /* NaN for quiet and max */
	bool ok;                        /* measured: nothing broke */
	char error[200];
	unsigned rounds_done;
	struct fb_round round[FB_MAX_ROUNDS];
	struct fb_round med;            /* medians of the derived fields and latencies */
	double live_s;                  /* feedd start to every book live */
	char ready_line[256];
	/* every window together */
	struct fb_lat span_lat[FB_NHIST];
	struct fb_ctr span_ctr;
	struct fb_drain_ctr span_drain;
	/* the exact check: exsim paused, feedd idle, totals since both started */
	bool exact_done;
	uint64_t total_pub[FB_NVENUES], total_recv[FB_NVENUES], total_control[FB_NVENUES];
	uint64_t total_events, total_drained;
	double settle_s;                /* pause to feedd idle */
	uint64_t slow_closed;
	/* when things went wrong: before the first window (warm-up), during the
	 * windows, after them (the pause): exsim's slow cut-offs, feedd's reconnects */
	uint64_t slow_phase[3], reconn_phase[3];
	unsigned windows_lossless;
	bool no_loss;
	char loss_why[400];             /* "" when no_loss */
};

struct fb_results {
	const struct fb_cfg *cfg;
	unsigned nrates_done;
	struct fb_rate_res res[FB_MAX_RATES];
	char backing[32];               /* the segment's backing */
};

/* load_rate for an asked total rate (per venue, as exsim reads it). */
uint64_t fb_load_rate(uint64_t rate);
/*
 * The in-flight allowance for a window that published pub messages in
 * wall_ns, where feedd's count moved by spread messages (both edges
 * together) while exsim answered /status.
 */
uint64_t fb_slack(uint64_t pub, uint64_t wall_ns, uint64_t spread);

/* ---- report.c ------------------------------------------------------------------------ */

extern const char *const fb_hist_names[FB_NHIST];
void fb_print(const struct fb_results *r);
int fb_json(const struct fb_results *r);

#endif
