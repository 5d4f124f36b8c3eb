/* SPDX-License-Identifier: MIT */
/*
 * riskd's shared memory: the state region (positions, cash, fees, PnL, the
 * order table, limit state, counters), the control region (kimpctl ->
 * riskd commands) and the reason codes every verdict carries.
 *
 * riskd is the only writer of the state region; kimpctl and monitord read
 * it from outside (a read may see a half-made update, as with any unlocked
 * shared counter: read twice when it matters). Every field riskd changes
 * while running is an 8-byte word written through the undo journal
 * (kimp/undo.h) that sits inside the region, so a riskd killed half way
 * through a message is put back to the state before that message on its
 * next start.
 *
 * Units. Each venue has its own scales ([venue.NAME] px_dec / qty_dec,
 * copied into kimp_risk_state.venue_info): "px" is a price at the venue's
 * px_dec decimals, "qty" a size at its qty_dec decimals, "quote" an amount
 * of the venue's quote currency at px_dec decimals. Totals across venues
 * are "krw": KRW with KIMP_RISK_KRW_DEC decimals. Net exposure across
 * venues is "coin": coin units with KIMP_RISK_COIN_DEC decimals. Times are
 * "mono": CLOCK_MONOTONIC ns as riskd's segment calibration converts its
 * TSC (kimp/tsc.h), or "real": CLOCK_REALTIME ns.
 *
 * The layout is part of the shared-memory layout: a change bumps
 * KIMP_RISK_VERSION (riskd refuses a state region of another version).
 */
#ifndef KIMP_RISK_H
#define KIMP_RISK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/msg.h"
#include "kimp/tradeconf.h"
#include "kimp/undo.h"
#include "kimp/venue_id.h"

/* ---- names ---------------------------------------------------------------- */

#define KIMP_RISK_SEGMENT   "riskd"     /* default segment name ([riskd] name) */
#define KIMP_RISK_STATE     "state"     /* region: struct kimp_risk_state */
#define KIMP_RISK_CONTROL   "control"   /* region: struct kimp_risk_control */
#define KIMP_RISK_METRICS   "metrics"   /* region: riskd's metrics */
#define KIMP_RISK_ORDERS    "orders"    /* ring, riskd -> orderd: struct kimp_order */
#define KIMP_RISK_VERDICTS  "verdicts"  /* ring, riskd -> stratd: struct kimp_verdict */
#define KIMP_RISK_INTENTS   "intents"   /* ring in stratd's segment: struct kimp_intent */
#define KIMP_RISK_REPORTS   "rep.riskd" /* ring in orderd's segment: kimp_exec_report */

#define KIMP_RISK_MAGIC     0x4b534952u /* "RISK" */
#define KIMP_RISK_CTL_MAGIC 0x4c544352u /* "RCTL" */
#define KIMP_RISK_VERSION   1u

#define KIMP_RISK_VENUES    KIMP_VENUE_MAX  /* indexed by enum kimp_venue */
#define KIMP_RISK_INSTS     KIMP_COINS_MAX  /* indexed by engine inst id (1..) */
#define KIMP_RISK_KRW_DEC   4               /* decimals of "krw" amounts */
#define KIMP_RISK_COIN_DEC  8               /* decimals of "coin" amounts */
#define KIMP_RISK_RATE_DEC  8               /* decimals of the KRW/USDT rate */
#define KIMP_RISK_BREAKER_MAX 64            /* events the breaker remembers */

/* ---- reasons -------------------------------------------------------------- */

/*
 * Why an intent was rejected or trimmed (kimp_verdict.reason). The
 * verdict's limit and value are in the check's own unit:
 *   QTY_*: qty; NOTIONAL_*: quote; TICK: limit tick, value px; STEP: limit
 *   step, value qty; POSITION: holdings qty after the order; NET_EXPOSURE:
 *   coin; BALANCE: buys quote (available, needed incl. fee), sells qty
 *   (available, asked); OPEN_ORDERS: orders; RATE_*: orders in the window
 *   with this one; PRICE_BAND: limit the band in px, value |px - mid|;
 *   SLIPPAGE: limit the cap in px, value how far past the touch;
 *   LOSS_LIMIT / DRAWDOWN: krw; BREAKER: limit the mono ns it ends, value
 *   now; DUPLICATE: limit the last id seen, value the intent's; SELF_CROSS:
 *   limit our resting opposite price, value px; STALE: limit the max age
 *   ns, value the age (-1: no book, -2 not live, -3 no KRW/USDT rate);
 *   RING_FULL: the ring's slots. The rest: 0, 0.
 */
enum kimp_risk_reason {
	KIMP_RISK_OK = 0,
	KIMP_RISK_VENUE_DISABLED = 1,
	KIMP_RISK_INST_DISABLED = 2,
	KIMP_RISK_BAD_INTENT = 3,
	KIMP_RISK_QTY_MIN = 4,
	KIMP_RISK_QTY_MAX = 5,
	KIMP_RISK_NOTIONAL_MIN = 6,
	KIMP_RISK_NOTIONAL_MAX = 7,
	KIMP_RISK_TICK = 8,
	KIMP_RISK_STEP = 9,
	KIMP_RISK_POSITION = 10,
	KIMP_RISK_NET_EXPOSURE = 11,
	KIMP_RISK_BALANCE = 12,
	KIMP_RISK_OPEN_ORDERS = 13,
	KIMP_RISK_RATE_SECOND = 14,
	KIMP_RISK_RATE_MINUTE = 15,
	KIMP_RISK_RATE_HOUR = 16,
	KIMP_RISK_RATE_DAY = 17,
	KIMP_RISK_PRICE_BAND = 18,
	KIMP_RISK_SLIPPAGE = 19,
	KIMP_RISK_LOSS_LIMIT = 20,
	KIMP_RISK_DRAWDOWN = 21,
	KIMP_RISK_BREAKER = 22,
	KIMP_RISK_DUPLICATE = 23,
	KIMP_RISK_SELF_CROSS = 24,
	KIMP_RISK_STALE = 25,
	KIMP_RISK_KILLED = 26,
	KIMP_RISK_PAUSED = 27,
	KIMP_RISK_RING_FULL = 28,
	KIMP_RISK_REASON_MAX
};
#define KIMP_RISK_REASON_SLOTS 32   /* counter arrays in the state */
KIMP_STATIC_ASSERT(KIMP_RISK_REASON_MAX <= KIMP_RISK_REASON_SLOTS, "reason counters");

/* The reason's name ("QTY_MAX"), "?" when out of range. Static storage. */
static inline const char *kimp_risk_reason_name(unsigned r)
{
	static const char *const names[KIMP_RISK_REASON_MAX] = {
		"OK", "VENUE_DISABLED", "INST_DISABLED", "BAD_INTENT", "QTY_MIN", "QTY_MAX",
		"NOTIONAL_MIN", "NOTIONAL_MAX", "TICK", "STEP", "POSITION", "NET_EXPOSURE",
		"BALANCE", "OPEN_ORDERS", "RATE_SECOND", "RATE_MINUTE", "RATE_HOUR", "RATE_DAY",
		"PRICE_BAND", "SLIPPAGE", "LOSS_LIMIT", "DRAWDOWN", "BREAKER", "DUPLICATE",
		"SELF_CROSS", "STALE", "KILLED", "PAUSED", "RING_FULL",
	};
	return r < KIMP_RISK_REASON_MAX ? names[r] : "?";
}

/*
 * A refusal that passes by itself, with time and no change to the intent:
 * an order-rate window, the breaker's cooldown, a stale book, the open-order
 * count, the order ring, our own resting order in the way. stratd waits and
 * tries a mend again after one of these rather than giving it up.
 */
static inline bool kimp_risk_reason_passes(unsigned r)
{
	switch (r) {
	case KIMP_RISK_RATE_SECOND:
	case KIMP_RISK_RATE_MINUTE:
	case KIMP_RISK_RATE_HOUR:
	case KIMP_RISK_RATE_DAY:
	case KIMP_RISK_BREAKER:
	case KIMP_RISK_STALE:
	case KIMP_RISK_OPEN_ORDERS:
	case KIMP_RISK_RING_FULL:
	case KIMP_RISK_SELF_CROSS:
		return true;
	default:
		return false;
	}
}

/* ---- modes ---------------------------------------------------------------- */

/*
 * The trading mode, most severe first when several hold: halted (killed:
 * nothing new; one ORDER_CANCEL_ALL pushed on entering), breaker (venue
 * rejects or unknown outcomes, not orderd's own refusals: as paused, until
 * it ends by itself), paused (new exposure refused; RETRY / UNWIND intents
 * that reduce |net exposure| still pass), running.
 */
enum kimp_risk_mode {
	KIMP_RISK_RUNNING = 0,
	KIMP_RISK_MODE_PAUSED = 1,
	KIMP_RISK_HALTED = 2,
	KIMP_RISK_MODE_BREAKER = 3,
};

static inline const char *kimp_risk_mode_name(unsigned m)
{
	static const char *const names[] = { "running", "paused", "halted", "breaker" };
	return m < KIMP_ARRAY_SIZE(names) ? names[m] : "?";
}

/* kimp_risk_limits.pause_reasons */
#define KIMP_RISK_PAUSE_OPERATOR 0x1  /* kimpctl pause or SIGUSR2 */
#define KIMP_RISK_PAUSE_LOSS     0x2  /* the daily loss reached loss_limit */
#define KIMP_RISK_PAUSE_DRAWDOWN 0x4  /* the drawdown reached drawdown_limit */

/* Order-rate windows, in kimp_risk_venue.rate[] */
enum kimp_risk_window {
	KIMP_RISK_W_SECOND = 0,
	KIMP_RISK_W_MINUTE = 1,
	KIMP_RISK_W_HOUR = 2,
	KIMP_RISK_W_DAY = 3,
	KIMP_RISK_WINDOWS
};

/* ---- state region --------------------------------------------------------- */

/*
 * One order-rate window of one venue: the window is cut into
 * KIMP_RISK_RATE_BUCKETS buckets of window/KIMP_RISK_RATE_BUCKETS ns; the
 * orders of the current bucket and of the KIMP_RISK_RATE_BUCKETS before it
 * are counted, which covers at least the last whole window (a rate is
 * never exceeded over any sliding window; it may refuse up to one bucket
 * early). 128 bytes.
 */
#define KIMP_RISK_RATE_BUCKETS 10
struct kimp_risk_rate {
	int64_t bucket;          /* index (mono ns / bucket ns) of the newest bucket */
	int64_t count[KIMP_RISK_RATE_BUCKETS + 1]; /* orders, by bucket index % 11 */
	int64_t pad[4];
};
KIMP_ASSERT_SIZE(struct kimp_risk_rate, 128);

/*
 * One coin on one venue, 128 bytes. The traded position is hold - start;
 * its cost basis is average cost: buys add their quote cost, a reduction
 * takes its share of the cost out, and realized takes what is left, so
 * realized - cost == cash - cash_start for the venue (fees included), and
 * realized + unrealized == (cash - cash_start) + sum (hold - start) * mark
 * exactly, with (hold - start) * mark truncated to the quote's decimals.
 */
struct kimp_risk_pos {
	int64_t hold;            /* qty: holdings now (starting balance + fills - base fees) */
	int64_t start;           /* qty: holdings when the state was made (tradeconf) */
	int64_t cost;            /* quote: cost basis of hold - start (signed) */
	int64_t realized;        /* quote: realized PnL, quote fees included */
	int64_t unrealized;      /* quote: (hold - start) * mark - cost, at the last mark */
	int64_t mark;            /* px: the last mark (mid of the live book; 0 none yet) */
	int64_t mark_ns;         /* mono: when the mark was taken */
	int64_t fee_base;        /* qty: fees paid in the coin */
	int64_t fee_quote;       /* quote: fees paid in the quote for this coin's fills */
	int64_t open_buy;        /* qty: leaves of open buy orders */
	int64_t open_sell;       /* qty: leaves of open sell orders */
	int64_t n_buy;           /* open buy orders */
	int64_t n_sell;          /* open sell orders */
	int64_t bought;          /* qty: filled buys */
	int64_t sold;            /* qty: filled sells */
	int64_t fills;           /* fills applied */
};
KIMP_ASSERT_SIZE(struct kimp_risk_pos, 128);

/* One venue, 640 bytes. */
struct kimp_risk_venue {
	int64_t cash;            /* quote: holdings of the quote currency now */
	int64_t cash_start;      /* quote: when the state was made (tradeconf) */
	int64_t reserved;        /* quote: held back for open buys (leaves' notional + fee) */
	int64_t fee_quote;       /* quote: fees paid in the quote */
	int64_t realized;        /* quote: sum of the positions' realized */
	int64_t unrealized;      /* quote: sum of the positions' unrealized */
	int64_t open_orders;     /* orders not final */
	int64_t orders;          /* orders sent */
	int64_t fills;           /* fills applied */
	int64_t rejects;         /* orders the venue rejected */
	int64_t errors;          /* reports of an unknown outcome */
	int64_t pad[5];
	struct kimp_risk_rate rate[KIMP_RISK_WINDOWS]; /* orders sent, by window */
};
KIMP_ASSERT_SIZE(struct kimp_risk_venue, 640);
KIMP_ASSERT_OFFSET(struct kimp_risk_venue, rate, 128);

/*
 * One order riskd made, 128 bytes. Slot (client_oid - client_oid_base) %
 * order_slots; client_oid 0: never used. A slot is reused only when its
 * order is no longer open.
 */
struct kimp_risk_order {
	uint64_t client_oid;
	uint64_t intent_id;
	uint64_t pair_id;
	int64_t px;              /* px: the limit price */
	int64_t qty;             /* qty: approved */
	int64_t cum_qty;         /* qty: filled so far (the largest cum_qty reported) */
	int64_t reserved;        /* quote: reserved for its leaves (buys), 0 when closed */
	int64_t state;           /* enum kimp_order_state, the last reported (NEW at first) */
	int64_t open;            /* 1 while counted among the open orders */
	int64_t venue;           /* enum kimp_venue */
	int64_t inst;
	int64_t side;            /* enum kimp_side */
	int64_t kind;            /* enum kimp_intent_kind */
	int64_t leg;
	int64_t created_ns;      /* mono: approved */
	int64_t updated_ns;      /* mono: the last report applied */
};
KIMP_ASSERT_SIZE(struct kimp_risk_order, 128);

/* Limit state and the message cursors, 1024 bytes. */
struct kimp_risk_limits {
	int64_t mode;            /* enum kimp_risk_mode, as of the last change */
	int64_t killed;          /* 1 from a kill until a resume */
	int64_t pause_reasons;   /* KIMP_RISK_PAUSE_* */
	int64_t breaker_until;   /* mono: the breaker ends (0: never tripped) */
	int64_t breaker_trips;   /* times tripped */
	int64_t breaker_events;  /* rejects and errors counted, ever */
	int64_t day;             /* UTC day (real ns / 86400 s) the day values belong to */
	int64_t day_start_pnl;   /* krw: pnl when the day began */
	int64_t day_peak_pnl;    /* krw: highest pnl of the day */
	int64_t pnl;             /* krw: realized + unrealized, all venues */
	int64_t realized;        /* krw: realized, all venues */
	int64_t unrealized;      /* krw: unrealized, all venues */
	int64_t rate;            /* KRW per USDT, KIMP_RISK_RATE_DEC decimals (0: none yet) */
	int64_t rate_ns;         /* mono: when the rate was taken */
	uint64_t last_intent_id; /* the highest intent id seen */
	uint64_t next_client_oid;/* the next order's client_oid */
	uint64_t client_oid_base;/* (unix seconds at creation) << 32 */
	int64_t cancel_all_pending; /* 1: an ORDER_CANCEL_ALL is still to be pushed */
	int64_t cancel_alls;     /* ORDER_CANCEL_ALL pushed */
	uint64_t orders_target;  /* orders ring messages published once this state is out */
	uint64_t verdicts_target;/* verdicts ring messages, the same */
	uint64_t intents_done;   /* intents ring position applied */
	uint64_t intents_salt;   /* that ring's salt (another ring: positions restart) */
	uint64_t reports_done;   /* rep.riskd ring position applied */
	uint64_t reports_salt;
	int64_t intents;         /* intents handled */
	int64_t approved;        /* approved in full */
	int64_t trimmed;         /* approved for less */
	int64_t rejected;
	int64_t reports;         /* execution reports handled */
	int64_t dup_reports;     /* reports that changed nothing (repeats) */
	int64_t unknown_reports; /* reports for no order of ours */
	int64_t fill_gaps;       /* fills whose cum_qty jump was not their last_qty */
	int64_t kills, pauses, resumes; /* commands acted on */
	int64_t pad0[28];
	int64_t rejects[KIMP_RISK_REASON_SLOTS]; /* rejected intents by reason */
	int64_t trims[KIMP_RISK_REASON_SLOTS];   /* trimmed intents by reason */
};
KIMP_ASSERT_SIZE(struct kimp_risk_limits, 1024);
KIMP_ASSERT_OFFSET(struct kimp_risk_limits, last_intent_id, 112);
KIMP_ASSERT_OFFSET(struct kimp_risk_limits, rejects, 512);

/* What kimpctl needs to print the state without the configuration. */
struct kimp_risk_venue_info {
	char name[16];           /* "upbit"; "" when the venue is not configured */
	char quote[12];          /* "KRW" */
	uint8_t present;
	uint8_t px_dec;
	uint8_t qty_dec;
	uint8_t krw;             /* the quote is KRW (else USDT, converted at rate) */
};
KIMP_ASSERT_SIZE(struct kimp_risk_venue_info, 32);

/*
 * The state region. Made and seeded (balances from tradeconf) when first
 * created; found again and resumed after a restart.
 */
struct kimp_risk_state {
	/* written once at creation */
	uint32_t magic;          /* KIMP_RISK_MAGIC, stored last */
	uint32_t version;        /* KIMP_RISK_VERSION */
	uint64_t size;           /* region bytes used */
	uint64_t order_slots;    /* entries of order[] */
	uint64_t created_real_ns;
	uint32_t ncoins;         /* engine coins; coins[inst - 1] */
	uint32_t breaker_max;    /* KIMP_RISK_BREAKER_MAX */
	uint8_t pad0[24];
	char coins[KIMP_RISK_INSTS][12];
	struct kimp_risk_venue_info venue_info[KIMP_RISK_VENUES];
	/* the undo journal of everything below */
	struct shm_undo undo;
	uint8_t pad1[16];
	struct kimp_risk_limits lim;
	int64_t breaker_ev[KIMP_RISK_BREAKER_MAX]; /* mono of the last events, by count % 64 */
	/*
	 * The messages of the last transaction (not journaled: they matter
	 * only while a ring's head is below its target, see riskd.c).
	 */
	struct kimp_order out_order;
	struct kimp_verdict out_verdict;
	struct kimp_risk_venue venue[KIMP_RISK_VENUES];
	struct kimp_risk_pos pos[KIMP_RISK_VENUES][KIMP_RISK_INSTS]; /* [venue][inst] */
	struct kimp_risk_order order[];                /* order_slots entries */
};
KIMP_ASSERT_OFFSET(struct kimp_risk_state, coins, 64);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, venue_info, 448);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, undo, 704);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, lim, 2752);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, breaker_ev, 3776);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, out_order, 4288);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, out_verdict, 4416);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, venue, 4544);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, pos, 4544 + 640 * KIMP_RISK_VENUES);
KIMP_ASSERT_OFFSET(struct kimp_risk_state, order,
		   4544 + 640 * KIMP_RISK_VENUES + 128 * KIMP_RISK_VENUES * KIMP_RISK_INSTS);
KIMP_ASSERT_ALIGN(struct kimp_risk_state, 8);

/* Bytes of a state region with n order slots. */
static inline size_t kimp_risk_state_bytes(uint64_t order_slots)
{
	return sizeof(struct kimp_risk_state) + order_slots * sizeof(struct kimp_risk_order);
}

/* ---- control region ------------------------------------------------------- */

/*
 * Commands to riskd. A requester (kimpctl, riskd's own signal handler)
 * increments a *_req counter with an atomic fetch_add; riskd acts when a
 * request counter is above its done counter and then stores done = the
 * request count it acted on. With several pending at once riskd acts on
 * resume, then pause, then kill, so a kill always wins. 128 bytes.
 */
struct kimp_risk_control {
	uint32_t magic;          /* KIMP_RISK_CTL_MAGIC */
	uint32_t version;        /* KIMP_RISK_VERSION */
	uint64_t pad0[7];
	_Atomic uint64_t kill_req;   /* halt: nothing new, cancel every open order */
	_Atomic uint64_t kill_done;
	_Atomic uint64_t pause_req;  /* no new exposure; hedging allowed */
	_Atomic uint64_t pause_done;
	_Atomic uint64_t resume_req; /* clear kill and pause (not a loss limit still hit) */
	_Atomic uint64_t resume_done;
	uint64_t pad1[2];
};
KIMP_ASSERT_SIZE(struct kimp_risk_control, 128);
KIMP_ASSERT_OFFSET(struct kimp_risk_control, kill_req, 64);

#endif
