/* SPDX-License-Identifier: MIT */
/*
 * kimpctl's views as functions that write into any FILE*: the commands call
 * them with stdout, monitord with a memory stream (open_memstream) for its
 * JSON API. All of them live in libkimpctl.a (every tools/kimpctl source but
 * main.c).
 *
 * Each view attaches what it reads (as k->shm says), prints one document
 * (text or JSON) into f, detaches, and returns a KIMPCTL_* status. Errors
 * are said through kimpctl_err(), which the program provides: kimpctl's
 * main.c writes them to stderr, monitord keeps the last one for its reply.
 * Nothing is printed to f on an error that happened before the document
 * started; a document cut short by an error later is still closed.
 */
#ifndef KIMPCTL_VIEWS_H
#define KIMPCTL_VIEWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kimpctl.h"

/* riskd's whole state (kimpctl risk). */
int kimpctl_view_risk(struct kimpctl *k, const char *seg, FILE *f, bool json);
/* riskd's PnL, cash and positions per venue (kimpctl positions). */
int kimpctl_view_positions(struct kimpctl *k, const char *seg, FILE *f, bool json);
/* stratd's state (kimpctl strat). */
int kimpctl_view_strat(struct kimpctl *k, const char *seg, FILE *f, bool json);
/*
 * Per coin the last mid premium, the model's mean and deviation and the
 * entry band mean +- entry_sigma * deviation (entry_sigma from [pair.COIN]
 * or [stratd], default 2), from stratd's segment (monitord's /api/premium).
 */
int kimpctl_view_premium(struct kimpctl *k, const char *seg, FILE *f, bool json);
/* feedd's book table, 'depth' levels a side (kimpctl books). */
int kimpctl_view_books(struct kimpctl *k, const char *seg, unsigned depth, FILE *f, bool json);

/* What kimpctl_view_orders shows. */
enum kimpctl_orders_what {
	KIMPCTL_ORDERS_ALL,         /* open orders, then the recent final ones */
	KIMPCTL_ORDERS_FILLS,       /* orders with a fill (cum_qty > 0): executions */
};
/* orderd's order table (kimpctl orders; /api/orders and /api/executions). */
int kimpctl_view_orders(struct kimpctl *k, const char *seg, enum kimpctl_orders_what what,
			FILE *f, bool json);
/* Every metrics region of every kimp segment in the shm directories (kimpctl stats). */
int kimpctl_view_stats(struct kimpctl *k, FILE *f, bool json);

/*
 * The engine's processes as the supervisor runs them (kimpctl status, and
 * monitord's /api/status): pid, alive, the CPU it last ran on and its
 * affinity, heartbeat age, start, wait mode, restarts and the last cause.
 * KIMPCTL_OK when every process is up and beating; KIMPCTL_FAIL when one is
 * not (the document printed all the same); KIMPCTL_USAGE when [supervisor]
 * is refused (said, nothing printed).
 */
int kimpctl_view_status(struct kimpctl *k, FILE *f, bool json);

/*
 * [supervisor] run_dir of c, or its default (/run/kimp as root, else
 * $XDG_RUNTIME_DIR/kimp, else /tmp/kimp-UID), into buf (len bytes). A
 * relative run_dir is taken relative to the configuration file's directory
 * (made absolute), as deploy/kimp takes it. The supervisor's logs are in
 * RUN_DIR/logs. 0, or -EINVAL with "FILE:LINE:
 * key 'supervisor.run_dir': ..." in err (empty, too long, a newline).
 */
int kimpctl_run_dir(const struct kimp_conf *c, char *buf, size_t len, char *err, size_t errlen);

/*
 * riskd's kill, pause or resume ('cmd') on segment 'seg': requested and
 * waited for up to wait_ns, riskd's answer written to f as a line of text.
 * KIMPCTL_OK when riskd acted; KIMPCTL_FAIL (said); KIMPCTL_USAGE for
 * another cmd.
 */
int kimpctl_risk_control(struct kimpctl *k, const char *seg, const char *cmd,
			 uint64_t wait_ns, FILE *f);

/*
 * kimpctl_risk_control in parts, for monitord's loop, which must not sleep:
 * post attaches riskd's segment writable and makes the request
 * (KIMPCTL_OK; else KIMPCTL_FAIL or KIMPCTL_USAGE said, nothing requested,
 * nothing attached); acted polls riskd's done counter (an atomic load);
 * end writes riskd's answer to f when it acted, else says (kimpctl_err)
 * that riskd did not act within wait_ns and why, and detaches: KIMPCTL_OK
 * or KIMPCTL_FAIL. A posted struct must not move (rq points into it) and
 * must be ended.
 */
struct kimpctl_risk_ctl {
	struct shm_seg seg;             /* riskd's, writable, from post to end */
	struct kimpctl_req rq;
	uint64_t target;                /* what riskd's done counter must reach */
	int what;
	char cmd[8];
	char name[SHM_NAME_MAX];
};
int kimpctl_risk_post(struct kimpctl *k, const char *seg, const char *cmd, uint64_t wait_ns,
		      struct kimpctl_risk_ctl *c);
bool kimpctl_risk_acted(const struct kimpctl_risk_ctl *c);
int kimpctl_risk_end(struct kimpctl_risk_ctl *c, bool acted, FILE *f);

/*
 * feedd's per venue message rate, book count and largest book age (its
 * gauges VENUE.msgs_per_s and book.VENUE.COIN.age_ms), segment [feedd] name.
 */
int kimpctl_view_feeds(struct kimpctl *k, FILE *f, bool json);
/*
 * The tick-to-order path: orderd's tick_to_order_ns (feedd's receipt of the
 * market data to the order sent; over all venues, then VENUE.tick_to_order_ns),
 * then its stages: stratd's tick_to_intent_ns, riskd's intent_to_order_ns,
 * orderd's VENUE.intent_to_send_ns. JSON: "tick_to_order" and "stages",
 * each histogram with cumulative counts on coarse edges.
 */
int kimpctl_view_latency(struct kimpctl *k, FILE *f, bool json);

/* ---- summaries for kimpctl top (plain numbers, no document) ------------- */

struct kimpctl_prem {
	char coin[16];
	int64_t samples;
	double premium, mean, deviation, band_low, band_high;  /* NaN: none yet */
};

/* Up to max coins of stratd's segment 'seg' into rows, *n of them. KIMPCTL_OK or FAIL (said). */
int kimpctl_premium_rows(struct kimpctl *k, const char *seg, struct kimpctl_prem *rows,
			 unsigned max, unsigned *n);

struct kimpctl_risk_sum {
	char mode[32];
	double realized, unrealized, total;      /* KRW */
	int64_t open_orders, fills;               /* over every venue */
	unsigned npos;                            /* positions with a holding */
	struct { char venue[16], coin[16]; double hold, unrealized; } pos[16];
};

/* riskd's segment 'seg' summed up. KIMPCTL_OK or FAIL (said). */
int kimpctl_risk_summary(struct kimpctl *k, const char *seg, struct kimpctl_risk_sum *s);

/* ---- out.c ----------------------------------------------------------------- */

/* A double: a JSON number (10 significant digits), null when not finite. */
void out_real(struct out *o, const char *key, double v);

/* ---- shm.c: the segments of the shm directories ------------------------- */

/* A segment name as kimpctl shm ls lists it (without SHM_FILE_PREFIX). */
struct kimpctl_seg_name {
	char name[SHM_NAME_MAX];
};

/*
 * The names of the valid segments (header checked) in k's hugetlbfs and
 * shm directories, sorted, into *out (malloc'd, the caller frees) and *n.
 * KIMPCTL_OK, or KIMPCTL_FAIL (said; *out may still hold what was found).
 */
int kimpctl_seg_names(const struct kimpctl *k, struct kimpctl_seg_name **out, size_t *n);

/*
 * The metrics region 'm' (checked with shm_metrics_check against
 * region_size) as kimpctl shm inspect prints it: proc, pid, started,
 * heartbeat age, counters, gauges, histograms (out_hist). 0, or -EPROTO
 * (corrupt) / -ENOMEM with *why set.
 */
int kimpctl_out_metrics(struct out *o, const struct shm_metrics *m, uint64_t region_size,
			const char **why);

#endif
