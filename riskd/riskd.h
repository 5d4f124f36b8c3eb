/* SPDX-License-Identifier: MIT */
/*
 * riskd: pre-trade risk. The only road from stratd to orderd: every intent
 * is approved, trimmed or rejected against the limits below, and every
 * approved one becomes an order. Positions, cash, fees, PnL, the order
 * table and the limit state live in riskd's state region
 * (include/kimp/risk.h) and are changed only through its undo journal, so
 * a restart resumes them exactly.
 *
 *   conf.c     [riskd] and [risk.NAME]: limits, segments, waiting
 *   ledger.c   execution reports -> positions, cash, fees, PnL; marks;
 *              the day; loss and drawdown -> pause
 *   ratelim.c  order-rate windows
 *   limits.c   every check of an intent; the verdict and the order; modes
 *              (kill, pause, resume, breaker)
 *   riskd.c    the segment, the rings, the loop, control, housekeeping
 *
 * ledger.c and limits.c work on a struct risk_core: the configuration, the
 * state region and a book source (a function), so they run without any
 * other process. They journal every store (shm_undo_*) and never commit:
 * the caller commits once per message.
 */
#ifndef KIMP_RISKD_H
#define KIMP_RISKD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kimp/config.h"
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/ring.h"
#include "kimp/risk.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/tradeconf.h"
#include "kimp/tsc.h"
#include "kimp/undo.h"
#include "kimp/wait.h"

#define RISKD_FEEDS_MAX 4           /* feedd segments whose books riskd reads */
#define RISKD_NONE_MAX  INT64_MAX   /* an upper bound that is not set */
#define RISKD_NONE_MIN  INT64_MIN   /* a lower bound that is not set */

/* ---- configuration ---------------------------------------------------------- */

/*
 * One venue's limits ([risk.NAME]), merged with the venue's own rules
 * (tradeconf): qty_min/notional_min are the larger, qty_max/notional_max
 * the smaller of the two. Per instrument arrays are by engine inst id.
 */
struct risk_venue_conf {
	bool enabled;                      /* traded: [venue] trading and [risk] enabled */
	bool inst_on[KIMP_RISK_INSTS];     /* listed and not in [risk.NAME] disable */
	int64_t qty_min[KIMP_RISK_INSTS];  /* qty; at least the step */
	int64_t qty_max[KIMP_RISK_INSTS];  /* qty; RISKD_NONE_MAX: none */
	int64_t notional_min[KIMP_RISK_INSTS]; /* quote; 0: none */
	int64_t notional_max[KIMP_RISK_INSTS]; /* quote; RISKD_NONE_MAX: none */
	int64_t pos_min[KIMP_RISK_INSTS];  /* qty: holdings floor; RISKD_NONE_MIN: none */
	int64_t pos_max[KIMP_RISK_INSTS];  /* qty: holdings ceiling; RISKD_NONE_MAX: none */
	uint64_t max_open_orders;          /* 0: none */
	uint64_t rate_max[KIMP_RISK_WINDOWS]; /* orders per window; 0: none */
	uint64_t price_band_bps;           /* |px - mid| <= mid * bps / 10000; 0: none */
	uint64_t slippage_bps;             /* past the touch <= touch * bps / 10000 */
	uint64_t max_quote_age_ns;         /* the book's last update at most this old */
};

struct riskd_conf {
	char name[SHM_NAME_MAX];           /* riskd's segment (and process) name */
	char stratd[SHM_NAME_MAX];         /* segment with the intents ring */
	char orderd[SHM_NAME_MAX];         /* segment with the rep.riskd ring */
	uint32_t nfeeds;
	char feeds[RISKD_FEEDS_MAX][SHM_NAME_MAX]; /* segments with a books table */
	uint32_t orders_slots;             /* orders ring slots (power of two) */
	uint32_t verdicts_slots;           /* verdicts ring slots (power of two) */
	uint64_t order_slots;              /* order table entries */
	unsigned cpu;                      /* [riskd] cpu, ~0u: not pinned by the config */
	enum shm_wait_mode wait;
	uint64_t idle_wait_ns;             /* longest sleep when idle (other inputs, timers) */
	uint64_t spin_ns;                  /* hybrid: spin this long before sleeping */
	uint64_t housekeeping_ns;          /* marks, control, heartbeat, day, breaker */
	int64_t fixed_rate;                /* KRW per USDT (RATE_DEC); 0: from rate_venue */
	uint8_t rate_venue;                /* the KRW venue whose USDT book is the rate */
	uint32_t rate_inst;                /* USDT's inst id */
	int64_t loss_limit;                /* krw: daily loss that pauses; 0: none */
	int64_t drawdown_limit;            /* krw: drawdown from the day's peak; 0: none */
	uint64_t breaker_count;            /* rejects/errors that trip it; 0: off */
	uint64_t breaker_window_ns;
	uint64_t breaker_cooldown_ns;
	int64_t net_exposure[KIMP_RISK_INSTS]; /* coin: |sum over venues| bound; NONE_MAX */
	struct kimp_trade_conf trade;
	struct risk_venue_conf venue[KIMP_RISK_VENUES];
};

/*
 * Read [riskd] and every [risk.NAME] (and, through kimp_trade_conf_load,
 * [engine], [venue.NAME], [balance.NAME]) from c. 0, or -EINVAL with
 * "FILE:LINE: key 'sec.key': why" in err.
 */
int riskd_conf_load(const struct kimp_conf *c, struct riskd_conf *out, char *err,
		    size_t errlen) kimp_cold;

/* Print the limits in force, one venue and one coin a line, to f. */
void riskd_conf_print(const struct riskd_conf *c, FILE *f) kimp_cold;

/* ---- core: state, books ------------------------------------------------------ */

/* The top of one book, as a book source gives it. */
struct risk_top {
	int64_t bid_px, bid_qty;
	int64_t ask_px, ask_qty;
	uint64_t recv_tsc;                 /* ingress TSC of the book's last update */
	uint32_t status;                   /* enum kimp_book_status */
	uint32_t pad;
};

/*
 * A book source: fill *out with a consistent copy of the top of (venue,
 * inst): 0, or -ENOENT (no such book), -EAGAIN (its writer is busy).
 * Called on the hot path: no syscall.
 */
typedef int (*risk_book_fn)(void *ctx, unsigned venue, uint32_t inst, struct risk_top *out);

struct risk_core {
	const struct riskd_conf *conf;
	struct kimp_risk_state *st;        /* the state region */
	const struct kimp_tsc_cal *cal;    /* TSC -> ns */
	risk_book_fn book;
	void *book_ctx;
};

/* ---- ledger.c ----------------------------------------------------------------- */

/* px * qty / 10^qty_dec, truncated (quote at px_dec); exact in 128 bits. */
int64_t risk_notional(int64_t px, int64_t qty, unsigned qty_dec);
/* The fee at rate fee_e8 (1e-8 units) on a notional, rounded up. */
int64_t risk_fee(int64_t notional, int64_t fee_e8);
/* x with 'from' decimals as 'to' decimals, truncated toward zero. */
int64_t risk_rescale(int64_t x, unsigned from, unsigned to);
/* A quote amount of venue v in krw (KRW venues rescaled, USDT at the rate). */
int64_t risk_to_krw(const struct kimp_risk_state *st, unsigned v, int64_t quote);
/* What an order of venue v reserves of its quote: notional + taker fee. */
int64_t risk_reserve(const struct risk_core *rc, unsigned v, int64_t px, int64_t qty);

/*
 * Make a fresh state region of 'size' bytes (zeroed) for conf: scales,
 * coins, balances from tradeconf, client_oid base from real_ns, the day.
 * The magic is stored last. Cold.
 */
void risk_state_seed(struct kimp_risk_state *st, uint64_t size, const struct riskd_conf *c,
		     uint64_t real_ns) kimp_cold;
/*
 * A state region found at start: 0 when it fits conf (version, size, order
 * slots, coins, each venue's scales), -EPROTO with why in err. Cold.
 */
int risk_state_check(const struct kimp_risk_state *st, uint64_t size,
		     const struct riskd_conf *c, char *err, size_t errlen) kimp_cold;

/*
 * Seed the venues conf has and the region has not yet (a venue added to
 * the configuration): their scales and balances. Returns how many. Cold.
 */
unsigned risk_state_add_venues(struct kimp_risk_state *st, const struct riskd_conf *c) kimp_cold;

/* The order riskd made with this client_oid, or NULL. Points into st. */
struct kimp_risk_order *risk_order_find(struct kimp_risk_state *st, uint64_t client_oid);

/*
 * Apply one fill to the position of (v, i): side, price, quantity, and
 * its fee (fee_asset 0: quote, 1: base). Journaled.
 */
void risk_fill(struct risk_core *rc, unsigned v, uint32_t i, unsigned side, int64_t px,
	       int64_t qty, int64_t fee, unsigned fee_asset);

/*
 * Apply an execution report: the fill it adds over the order's recorded
 * cum_qty (a repeat adds nothing), its fee with that fill, the order's
 * state (final states close it; a fill after a cancel still counts), venue
 * rejects and unknown outcomes to the breaker. Journaled; mono now_ns.
 */
void risk_apply_report(struct risk_core *rc, const struct kimp_exec_report *r, uint64_t now_ns);

/* Mark (v, i) at 'mark' (px): its unrealized PnL. Journaled. */
void risk_set_mark(struct risk_core *rc, unsigned v, uint32_t i, int64_t mark, uint64_t now_ns);

/*
 * Mark (v, i) from its book when live (mid): true when the mark changed.
 * Journaled.
 */
bool risk_mark_from_book(struct risk_core *rc, unsigned v, uint32_t i, uint64_t now_ns);

/* Take the KRW/USDT rate (fixed, or the rate book when live). Journaled. */
void risk_rate_refresh(struct risk_core *rc, uint64_t now_ns);

/*
 * Totals in krw, the day's peak, and loss / drawdown against their
 * limits: a breach sets its pause reason. Journaled.
 */
void risk_pnl_update(struct risk_core *rc);

/* A new UTC day (real ns / 86400 s): the day's start and peak. Journaled. */
void risk_day_roll(struct risk_core *rc, int64_t day);

/* ---- ratelim.c ------------------------------------------------------------------ */

/* Window lengths, by enum kimp_risk_window. */
uint64_t risk_window_ns(unsigned w);
/* Orders counted in r at mono now_ns (see struct kimp_risk_rate). */
uint64_t risk_rate_count(const struct kimp_risk_rate *r, uint64_t window_ns, uint64_t now_ns);
/* Count one order at now_ns. Journaled in u (base: the state region). */
void risk_rate_add(struct shm_undo *u, void *base, struct kimp_risk_rate *r,
		   uint64_t window_ns, uint64_t now_ns);

/* ---- limits.c ------------------------------------------------------------------- */

struct risk_decision {
	uint8_t verdict;                   /* enum kimp_verdict_kind */
	uint16_t reason;                   /* enum kimp_risk_reason */
	int64_t qty;                       /* approved (0 when rejected) */
	int64_t limit, value;              /* see enum kimp_risk_reason */
};

/*
 * Check an intent against every limit at now (the TSC, and the same as
 * mono ns). Reads the state and the books; changes nothing.
 */
void risk_check(const struct risk_core *rc, const struct kimp_intent *in, uint64_t now_tsc,
		uint64_t now_ns, struct risk_decision *d);

/* Turn d into a rejection for 'reason' (the caller's: RING_FULL). */
void risk_decision_reject(struct risk_decision *d, unsigned reason, int64_t limit,
			  int64_t value);

/*
 * Record a decision: the intent id, counters and, when approved, the order
 * (client_oid, table entry, open orders, reservations, rates), all
 * journaled. Fills *vd, and *o when approved (true returned). o and vd may
 * point into the state region (its outbox). The order carries the intent's
 * stage stamps and now_tsc as risk_deq_tsc (the intent's dequeue); the
 * caller stamps risk_pub_tsc just before it publishes.
 */
bool risk_take(struct risk_core *rc, const struct kimp_intent *in,
	       const struct risk_decision *d, uint64_t now_ns, uint64_t now_tsc,
	       struct kimp_order *o, struct kimp_verdict *vd);

/* The mode at now (killed, breaker, paused, running). */
unsigned risk_mode_at(const struct kimp_risk_state *st, uint64_t now_ns);
/* Store the mode at now into lim.mode when it changed. Journaled. */
void risk_mode_update(struct risk_core *rc, uint64_t now_ns);
/* Kill: halted, and an ORDER_CANCEL_ALL pending. Journaled. */
void risk_kill(struct risk_core *rc, uint64_t now_ns);
/* Pause for reason bits (KIMP_RISK_PAUSE_*). Journaled. */
void risk_pause(struct risk_core *rc, int64_t reasons, uint64_t now_ns);
/*
 * Resume: clear the kill and every pause reason, and start the drawdown
 * over from the current PnL (a daily loss still past its limit pauses
 * again at the next PnL update). Journaled.
 */
void risk_resume(struct risk_core *rc, uint64_t now_ns);
/* A venue reject or an unknown outcome: count it; trip the breaker. Journaled. */
void risk_breaker_event(struct risk_core *rc, uint64_t now_ns);
/* Build the ORDER_CANCEL_ALL message into *o. */
void risk_cancel_all_msg(struct kimp_order *o, uint64_t now_tsc);

/* ---- riskd.c: the daemon ------------------------------------------------------- */

struct riskd_feed {
	struct shm_seg seg;
	bool attached;
	uint64_t ino;                      /* its file, to notice a segment made again */
	struct shm_seqtab *books;
};

struct riskd_bookref {
	struct shm_seqtab *t;              /* NULL: not found yet */
	uint32_t slot;
};

struct riskd {
	const struct riskd_conf *conf;
	struct shm_opts so;
	struct shm_seg seg;
	bool seg_open;
	struct kimp_risk_state *st;
	uint64_t st_size;
	struct kimp_risk_control *ctl;
	struct shm_ring *orders_r, *verdicts_r;
	struct shm_ring_prod orders, verdicts;
	struct shm_metrics *m;
	const struct kimp_tsc_cal *cal;
	struct risk_core rc;
	bool created;                      /* the state was made by this run */
	uint64_t recovered;                /* stores undone at start */
	/* inputs */
	struct shm_seg strat_seg, ord_seg;
	bool strat_att, ord_att;
	uint64_t strat_ino, ord_ino;       /* their files, to notice a segment made again */
	struct shm_ring *intents_r, *reports_r;
	struct shm_ring_cons intents, reports;
	bool have_intents, have_reports;
	struct riskd_feed feeds[RISKD_FEEDS_MAX];
	struct riskd_bookref bookmap[KIMP_RISK_VENUES][KIMP_RISK_INSTS];
	uint32_t books_missing;            /* traded (venue, inst) without a book yet */
	/* waiting and timers */
	struct shm_waiter w;
	bool waiter_on;
	uint64_t next_hk_tsc, hk_ticks;
	uint64_t next_slow_tsc;            /* segment checks and book mapping, once a second */
	uint32_t said;                     /* RISKD_SAID_*: "waiting for" said once */
	/* metrics */
	_Atomic uint64_t *c_intents, *c_approved, *c_trimmed, *c_rejected, *c_reports;
	_Atomic uint64_t *c_stalls, *c_cancel_all, *c_outbox, *c_skipped, *c_reason[KIMP_RISK_REASON_MAX];
	_Atomic int64_t *g_mode, *g_pnl, *g_day_pnl, *g_open, *g_rate;
	struct shm_hist *h_risk, *h_intent_to_order;
};

#define RISKD_SAID_INTENTS 0x1u
#define RISKD_SAID_REPORTS 0x2u
#define RISKD_SAID_FEEDS   0x4u

/*
 * Open riskd's segment (conf->name under so): the state region (found
 * again and recovered, or made and seeded), control, the orders and
 * verdicts rings, metrics; then flush what the last run committed but did
 * not publish. Inputs are attached later (riskd_attach_inputs). 0 or
 * -errno with a message in err. Cold.
 */
int riskd_open(struct riskd *d, const struct riskd_conf *conf, const struct shm_opts *so,
	       char *err, size_t errlen) kimp_cold;

/*
 * Attach whatever input is still missing (stratd's intents, orderd's
 * reports, feedd's books) and map the books. Says once on stderr what it
 * waits for. Returns how many inputs are still missing. Cold.
 */
int riskd_attach_inputs(struct riskd *d) kimp_cold;

/*
 * The hot path: apply waiting reports, then intents (each a transaction:
 * journal, commit, publish, ring commit), and a pending cancel-all. At
 * most 'max' messages. No syscall, no allocation. Returns how many.
 */
uint32_t riskd_drain(struct riskd *d, uint32_t max);

/*
 * Housekeeping (cold, may make syscalls): heartbeat, inputs, control
 * requests, the rate, marks, the day, PnL, mode, gauges.
 */
void riskd_housekeep(struct riskd *d) kimp_cold;

/* One loop turn: drain, housekeeping when due. Returns messages handled. */
uint32_t riskd_poll(struct riskd *d);

/* Loop until *stop: poll, wait (spin or hybrid) when idle. */
void riskd_run(struct riskd *d, const volatile sig_atomic_t *stop) kimp_cold;

/* Detach from everything. The segment stays. */
void riskd_close(struct riskd *d) kimp_cold;

/* The book source over feedd's tables (ctx: struct riskd). */
int riskd_book(void *ctx, unsigned venue, uint32_t inst, struct risk_top *out);

#endif
