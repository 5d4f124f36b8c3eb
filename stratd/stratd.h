/* SPDX-License-Identifier: MIT */
/*
 * stratd: the premium strategy. One process, one thread on the hot path:
 * md events (feedd's ring) in, the books read from feedd's table, linked
 * pairs of intents out on its own `intents` ring; riskd's verdicts and
 * orderd's execution reports in, retries and unwinds of failed legs out.
 *
 *   conf.c     [stratd] and [pair.COIN] keys, on top of tradeconf
 *   premium.c  pure functions: book walking, both premium directions, the
 *              running mean and deviation, the entry rule, sizing, rounding
 *   legs.c     the pairs in flight: legs, verdicts, reports, the leg-failure
 *              policy, unhedged exposure, inventory; every change through
 *              the undo journal; pushing intents exactly once
 *   stratd.c   the segment, the inputs (attached when they appear), the md
 *              path, housekeeping, the loop
 *
 * Everything is allocated at startup (stratd_open). The message paths
 * (stratd_poll and what it calls) allocate nothing, take no lock, format no
 * text and make no system call (the clock is the TSC with the segment's
 * calibration); errors there are counters.
 */
#ifndef KIMP_STRATD_H
#define KIMP_STRATD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kimp/book.h"
#include "kimp/config.h"
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/strat.h"
#include "kimp/tradeconf.h"
#include "kimp/venue.h"
#include "kimp/wait.h"

#define STRATD_INF INT64_MAX    /* "no bound" for int64 limits */

/* ---- configuration --------------------------------------------------------- */

enum strat_policy {
	STRAT_POLICY_RETRY = 0,  /* retry the missing qty within the cap, then unwind */
	STRAT_POLICY_UNWIND = 1, /* unwind the excess at once */
};

/* One venue of a pair: leg 0 is the KRW venue, leg 1 the USDT venue. */
struct strat_venue_conf {
	uint8_t venue;              /* enum kimp_venue */
	uint8_t px_dec, qty_dec;    /* the venue's scales (tradeconf) */
	bool trading;
	char name[16];
	struct venue_inst_rules rules; /* the coin's rules on this venue */
	int64_t fee_e8;             /* taker fee, 1e-8 units */
	double fee;                 /* the same as a fraction */
	int64_t band_min;           /* coin holdings kept at least, qty_dec */
	int64_t band_max;           /* coin holdings at most (STRATD_INF: none) */
	int64_t risk_pos_max;       /* [risk.NAME] position bound, qty_dec (STRATD_INF) */
	int64_t risk_notional_max;  /* [risk.NAME] max order notional, px_dec (STRATD_INF) */
};

struct strat_pair_conf {
	bool on;                    /* a [pair.COIN] section */
	bool enabled;               /* both venues trading: intents allowed */
	uint32_t inst;              /* the coin's engine inst id */
	char coin[12];
	uint32_t rate_inst;         /* the rate book's inst on the KRW venue, 0: fixed */
	double rate;                /* the fixed rate (quote of leg 0 per quote of leg 1) */
	uint8_t qty_dec;            /* common qty scale: the finer of the two venues */
	int64_t step;               /* common step: the coarser of the two (their lcm) */
	int64_t clip;               /* largest pair, common scale */
	int64_t min_size;           /* smallest pair, common scale */
	double margin;              /* premium fraction kept over costs */
	double entry_sigma;         /* deviations the premium must be off its mean */
	int64_t slip_e8;            /* IOC limit allowance over the walked price, 1e-8 */
	uint64_t half_life_ns;      /* model half-life */
	uint64_t warmup_ns;         /* model span before the first entry */
	uint64_t warmup_n;          /* samples before the first entry */
	struct strat_venue_conf leg[2];
};

struct stratd_conf {
	char name[SHM_NAME_MAX];    /* own segment and process name ("stratd") */
	char feedd[SHM_NAME_MAX];   /* feedd's segment (md ring, books) */
	char riskd[SHM_NAME_MAX];   /* riskd's segment (verdicts) */
	char orderd[SHM_NAME_MAX];  /* orderd's segment (rep.stratd) */
	uint32_t ring_slots;        /* intents ring slots, a power of two */
	unsigned cpu;               /* [stratd] cpu, ~0u: not pinned by the config */
	enum shm_wait_mode wait;
	uint64_t idle_wait_ns;      /* longest sleep on the md doorbell */
	uint64_t spin_ns;           /* hybrid: spin this long before sleeping */
	uint64_t heartbeat_ns;      /* housekeeping and heartbeat period */
	uint64_t quote_age_ns;      /* no intent on a book older than this */
	uint64_t leg_timeout_ns;    /* an order with no outcome after this: timed out */
	uint64_t cooldown_ns;       /* between entries on one coin */
	uint32_t max_pairs;         /* pairs in flight at most */
	enum strat_policy policy;
	uint32_t retry_max;         /* retries of a missing leg */
	uint32_t unwind_max;        /* unwind attempts of an excess */
	int64_t slip_cap_e8;        /* retries: no further than this from the decision px */
	int64_t cash_floor[KIMP_VENUE_MAX]; /* quote kept at least, px_dec */
	uint32_t npairs;
	struct kimp_trade_conf trade;
	struct strat_pair_conf pair[KIMP_COINS_MAX]; /* by engine inst id */
	uint64_t fp;                /* fingerprint of the pairs (state refuses others) */
};

/*
 * Read stratd's configuration from c: tradeconf (venues, rules, fees,
 * balances), [stratd], [pair.COIN], and the [risk.NAME] position bounds
 * stratd sizes within. 0, or -EINVAL with "FILE:LINE: key 'sec.key': why"
 * in err. out owns nothing of c.
 */
int stratd_conf_load(const struct kimp_conf *c, struct stratd_conf *out, char *err,
		     size_t errlen) kimp_cold;

/* Print the parameters (startup). */
void stratd_conf_print(const struct stratd_conf *c, FILE *f) kimp_cold;

/* ---- premium.c: pure functions -------------------------------------------- */

/* 10^n for n <= 18. */
int64_t strat_p10(unsigned n);

/* One side of a book walked for a quantity. */
struct strat_walk {
	int64_t qty;        /* what the levels supply, at most the asked qty */
	int64_t worst;      /* the price of the last level used, 0: none */
	int64_t notional;   /* sum px * q / 10^qty_dec, px_dec (floor) */
	double vwap;        /* sum px * q / sum q, in px units (0: none) */
	uint32_t levels;    /* levels used */
};

/*
 * Walk levels (best first) for qty: what they supply, the volume-weighted
 * price and the worst level used. Levels with px or qty <= 0 end the walk.
 */
void strat_walk(const struct kimp_level *lv, uint32_t n, int64_t qty, unsigned qty_dec,
		struct strat_walk *w);

/* The qty of levels at or better than limit: asks px <= limit, bids px >= limit. */
int64_t strat_depth_at(const struct kimp_level *lv, uint32_t n, bool asks, int64_t limit);

/* Price units: the tick at px, and px rounded down / up to it (0 when no tick). */
int64_t strat_tick_floor(const struct venue_inst_rules *r, unsigned px_dec, int64_t px);
int64_t strat_tick_ceil(const struct venue_inst_rules *r, unsigned px_dec, int64_t px);

/*
 * The IOC limit for a walked worst price with an allowance slip_e8 (1e-8
 * units): a buy at worst * (1 + slip) rounded down to the tick, a sell at
 * worst * (1 - slip) rounded up: toward passive, so never past the
 * allowance, and still at or through worst (book prices sit on the tick
 * grid). 0 when the instrument has no tick.
 */
int64_t strat_limit_px(const struct venue_inst_rules *r, unsigned px_dec, int side,
		       int64_t worst, int64_t slip_e8);

/* Convert a qty between scales (to a coarser one: rounded down). */
int64_t strat_qty_scale(int64_t q, unsigned from_dec, unsigned to_dec);

/* Notional px * q / 10^qty_dec at px_dec, rounded up (ceil) or down. */
int64_t strat_notional(int64_t px, int64_t q, unsigned qty_dec, bool up);

/* The running model of the mid premium (process-private copy). */
struct strat_model {
	int64_t n;
	double mean, var;
	uint64_t first_ns, last_ns;
};

/*
 * Add sample x taken at book time t_ns: a time-decayed EWMA whose weight
 * halves every half_life_ns (alpha = 1 - 2^(-dt/half_life); mean += alpha *
 * (x - mean); var = (1 - alpha) * (var + alpha * (x - mean_old)^2)). The
 * first sample sets the mean. A sample not newer than the last is ignored:
 * returns false (so a repeat changes nothing).
 */
bool strat_model_update(struct strat_model *m, double x, uint64_t t_ns, uint64_t half_life_ns);

/* Warm: at least warmup_n samples over at least warmup_ns of book time. */
bool strat_model_warm(const struct strat_model *m, uint64_t warmup_ns, uint64_t warmup_n);

/* Why no entry was made (counted); STRAT_WHY_OK when one was. */
enum strat_why {
	STRAT_WHY_OK = 0,
	STRAT_WHY_DISABLED,   /* a venue is not trading */
	STRAT_WHY_BOOK,       /* a book not live, unreadable or empty on a side */
	STRAT_WHY_AGE,        /* a book older than quote_age */
	STRAT_WHY_UNHEDGED,   /* the coin has unhedged exposure */
	STRAT_WHY_COOLDOWN,
	STRAT_WHY_PAIRS,      /* max_pairs in flight */
	STRAT_WHY_RING,       /* no room for two intents */
	STRAT_WHY_WARMUP,
	STRAT_WHY_SIGMA,      /* deviation under entry_sigma deviations */
	STRAT_WHY_EDGE,       /* deviation under fees + slippage + margin */
	STRAT_WHY_SIZE,       /* the bounds leave less than the minimums */
	STRAT_WHY_MAX
};
const char *strat_why_name(unsigned why);

/* Which bound set a pair's size. */
enum strat_bound {
	STRAT_BOUND_CLIP = 0,
	STRAT_BOUND_DEPTH,    /* book depth at the limit price */
	STRAT_BOUND_SELL_INV, /* coin free on the selling venue (band minimum) */
	STRAT_BOUND_BUY_INV,  /* room on the buying venue (band maximum) */
	STRAT_BOUND_CASH,     /* cash on the buying venue */
	STRAT_BOUND_HEADROOM, /* risk position bound or max notional */
	STRAT_BOUND_VENUE,    /* the venue's max qty or notional */
	STRAT_BOUND_MAX
};
const char *strat_bound_name(unsigned b);

/*
 * Room for one direction, computed by the caller from the inventory view
 * and risk limits, in each venue's own scales; STRATD_INF for none.
 */
struct strat_room {
	int64_t sell_qty;        /* coin the selling venue may give up */
	int64_t buy_qty;         /* coin the buying venue may take in */
	int64_t buy_cash;        /* cash the buying venue may spend (px_dec) */
	int64_t sell_head;       /* risk headroom to sell on the selling venue */
	int64_t buy_head;        /* to buy on the buying venue */
};

struct strat_eval_in {
	const struct strat_pair_conf *pc;
	const struct kimp_book *book[2];   /* leg 0 (KRW venue), leg 1 (USDT venue) */
	double rate;                       /* leg 0 quote per leg 1 quote */
	struct strat_model model;
	struct strat_room room[2];         /* by direction - 1 */
};

/* The decision for one coin at one event. */
struct strat_decision {
	unsigned dir;            /* enum kimp_strat_dir, 0: none */
	unsigned why;            /* enum strat_why for the best direction */
	unsigned bound;          /* enum strat_bound that set qty */
	int64_t qty;             /* common scale */
	int64_t leg_qty[2];      /* each venue's scale */
	int64_t px[2];           /* the IOC limits */
	int64_t worst[2];        /* the walked worst prices (decision prices) */
	int64_t slip_px[2];      /* px - worst, as max_slip_px */
	uint8_t side[2];         /* enum kimp_side of each leg */
	double vwap[2];
	double prem_mid;         /* mid premium (the model's sample) */
	double prem_exec[2];     /* executable premium for the clip, by direction - 1 */
	double prem;             /* executable premium of the decided size */
	double dev, cost;        /* deviation and costs of the decided direction */
};

/* Mid premium of two books at rate: mid0 / (mid1 * rate) - 1 (NAN: a side empty). */
double strat_mid_premium(const struct kimp_book *b0, const struct kimp_book *b1, double rate);

/* Mid price of a book in units (NAN when a side is empty). */
double strat_book_mid(const struct kimp_book *b);

/*
 * Decide one coin: both directions from walked prices, the entry rule,
 * the size (clip, depth at the limit prices, room, headroom, venue
 * maximums), prices on the ticks, qty on the common step, both legs at or
 * above the venues' minimums. 0 with out->dir set, or 0 with dir 0 and
 * out->why saying why not. Pure.
 */
int strat_decide(const struct strat_eval_in *in, struct strat_decision *out);

/* ---- runtime --------------------------------------------------------------- */

/* An input ring in another process's segment, attached when it appears. */
struct strat_input {
	const char *seg_name;
	const char *ring_name;
	struct shm_seg seg;
	bool seg_open;
	bool ready;              /* ring found, consumer attached */
	struct shm_ring *ring;
	struct shm_ring_cons cons;
	bool said_waiting;
};

struct strat_metrics {
	_Atomic uint64_t *md_events, *md_dups, *md_gaps, *md_unknown, *book_fail;
	_Atomic uint64_t *evals, *entries, *why[STRAT_WHY_MAX];
	_Atomic uint64_t *intents, *intents_kind[3], *ring_full;
	_Atomic uint64_t *verdicts, *verdict_kind[4], *reports, *fills;
	_Atomic uint64_t *dups, *unknown, *fill_mismatch, *timeouts, *deferred;
	_Atomic uint64_t *pairs_done, *pairs_mended, *pairs_stuck, *dust, *cross_oid;
	_Atomic int64_t *pairs_open;
	_Atomic int64_t *unhedged_ns, *unhedged_max_ns; /* every coin (strat_unhedged_time) */
	_Atomic int64_t *unhedged_qty[KIMP_STRAT_COINS], *unhedged_ms[KIMP_STRAT_COINS];
	_Atomic int64_t *prem_ppm[KIMP_STRAT_COINS], *mean_ppm[KIMP_STRAT_COINS];
	_Atomic int64_t *sd_ppm[KIMP_STRAT_COINS];
	struct shm_hist *tick_to_intent;   /* ingress TSC -> intent pushed */
	struct shm_hist *event_to_intent;  /* md event taken -> intent pushed */
};

struct stratd {
	const struct stratd_conf *conf;
	struct shm_seg seg;
	bool seg_open;
	struct kimp_strat_state *st;     /* shared */
	struct shm_ring *ring;           /* intents */
	struct shm_ring_prod prod;
	struct shm_metrics *metrics;
	const struct kimp_tsc_cal *cal;
	struct strat_input md, verdicts, reports;
	struct shm_seqtab *books;        /* feedd's table (in md.seg) */
	int16_t slot[KIMP_STRAT_VENUES][KIMP_STRAT_COINS]; /* book slot, -1 none */
	uint32_t affects[KIMP_STRAT_VENUES][KIMP_STRAT_COINS]; /* coins an event there moves */
	uint32_t all_coins;              /* every coin with a pair (bit inst) */
	uint64_t md_next_seq;            /* the md sequence expected next (0: any) */
	struct kimp_book bk[3];          /* scratch: leg 0, leg 1, rate */
	uint64_t now;                    /* CLOCK_MONOTONIC ns of this turn */
	uint64_t ev_tsc;                 /* ingress TSC of the message being handled */
	uint64_t turn_tsc;               /* TSC when it was taken */
	uint64_t next_house_ns;
	uint64_t next_attach_ns;
	uint64_t next_rescan_ns;         /* a missing book re-reads the table at most then */
	struct shm_waiter waiter;
	bool waiter_on;
	struct strat_metrics m;
	struct shm_opts so;
	volatile int stop;
};

/*
 * Make (or find again) the segment conf->name with the intents ring, the
 * state and the metrics, recover the state (undo what a dead run left half
 * done, or keep it when its intent was pushed), load the starting balances.
 * Inputs are attached later (stratd_attach). so is copied; conf must stay
 * until stratd_close. s->st and the ring pointers point into the mapping
 * and are valid until stratd_close. 0 or -errno with a message in err; on
 * failure everything is released.
 */
int stratd_open(struct stratd *s, const struct stratd_conf *conf, const struct shm_opts *so,
		char *err, size_t errlen) kimp_cold;

/* Try to attach every input not yet attached (logs once per input while it waits). */
void stratd_attach(struct stratd *s) kimp_cold;

/*
 * One turn: verdicts, reports, md events (each in batches), the intents
 * waiting for room, housekeeping when due. Returns the messages handled.
 * Hot path: no syscall once every input is attached.
 */
int stratd_poll(struct stratd *s);

/* Poll until stop, waiting (spin or hybrid) when idle. */
void stratd_run(struct stratd *s);

/* Detach everything. The segment stays. */
void stratd_close(struct stratd *s) kimp_cold;

/* The clock of the hot path: CLOCK_MONOTONIC ns from the TSC. */
uint64_t stratd_clock(const struct stratd *s);

/* ---- stratd.c: the md path and housekeeping -------------------------------- */

/* Re-read the book table's directory: (venue, inst) -> slot. */
void strat_books_rescan(struct stratd *s);

/* Handle one md event with ring sequence seq (s->now set). */
void strat_on_md(struct stratd *s, const struct kimp_msg_hdr *h, uint64_t seq);

/*
 * Evaluate one coin now (s->now set): sample the model, decide, open a pair
 * and push its legs when every gate holds; one transaction. md_seq: the
 * md event's ring sequence (an event already applied to the coin is
 * skipped), 0 for none (no repeat check).
 */
void strat_eval_coin(struct stratd *s, uint32_t inst, uint64_t md_seq);

/* Timeouts, deferred mends, gauges, heartbeat, attaching (s->now set). */
void strat_housekeep(struct stratd *s);

/*
 * Copy the book of (venue, inst) into b: 0, or -ENOENT (no such book),
 * -EAGAIN (the writer is busy or dead).
 */
int strat_book_read(struct stratd *s, unsigned venue, unsigned inst, struct kimp_book *b);

/* A book usable for an intent now: live, both sides, fresh within quote_age. */
bool strat_book_fresh(const struct stratd *s, const struct kimp_book *b);

/* ---- legs.c: pairs, legs, exposure ---------------------------------------- */

/* The undo-journaled stores (on s->st). */
static inline void strat_set(struct stratd *s, int64_t *f, int64_t v)
{
	if (*f != v)
		shm_undo_set(&s->st->undo, s->st, f, v);
}

static inline void strat_setu(struct stratd *s, uint64_t *f, uint64_t v)
{
	strat_set(s, (int64_t *)(void *)f, (int64_t)v);
}

static inline void strat_add(struct stratd *s, int64_t *f, int64_t d)
{
	if (d)
		shm_undo_set(&s->st->undo, s->st, f, *f + d);
}

/* The transaction is whole: it survives a crash from here on. */
static inline void strat_commit(struct stratd *s)
{
	shm_undo_commit(&s->st->undo);
}

/* The model of coin inst, as stored. */
void strat_model_get(const struct kimp_strat_state *st, uint32_t inst, struct strat_model *m);
/* Store it (journaled). */
void strat_model_put(struct stratd *s, uint32_t inst, const struct strat_model *m);

/* Unhedged time over every coin now: total (open episodes so far included)
 * and the longest episode, ns (legs.c). */
void strat_unhedged_time(const struct stratd *s, int64_t *total, int64_t *longest);

/* Room for both directions of pair pc from the inventory view. */
void strat_room(const struct stratd *s, const struct strat_pair_conf *pc,
		struct strat_room room[2]);

/* Free intents slots on the ring now. */
uint64_t strat_ring_room(struct stratd *s);

/*
 * Open a pair from a decision: ids, legs, orders QUEUED, reservations,
 * counters (journaled, not committed). The pair, or NULL when no slot.
 */
struct kimp_strat_pair *strat_pair_open(struct stratd *s, uint32_t inst,
					const struct strat_decision *d);

/*
 * Push every QUEUED order, lowest intent id first, each in its own
 * transaction recording the ring position (so a restart knows whether it
 * went out). Stops when the ring is full (counted). Returns intents pushed.
 */
uint32_t strat_flush(struct stratd *s);

/* Apply a verdict / an execution report (one transaction each, committed). */
void strat_on_verdict(struct stratd *s, const struct kimp_verdict *v);
void strat_on_report(struct stratd *s, const struct kimp_exec_report *r);

/*
 * Look at a pair whose orders may all have ended: free it when its legs
 * are equal and settled, else mend it by the policy (journaled, not
 * committed).
 */
void strat_pair_step(struct stratd *s, struct kimp_strat_pair *p);

/* Time out orders older than leg_timeout, retry deferred mends (committed). */
void strat_legs_housekeep(struct stratd *s);

/*
 * At start, after the ring producer is attached: finish or undo what a
 * dead run left in the journal. Returns 1 when kept (its intent was
 * pushed), 0 when undone or clean, -EPROTO when the ring is behind the
 * state (not ours).
 */
int strat_recover(struct stratd *s) kimp_cold;

/* The pair with this id, or NULL. */
struct kimp_strat_pair *strat_pair_find(struct stratd *s, uint64_t pair_id);

#endif
