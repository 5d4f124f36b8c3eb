/* SPDX-License-Identifier: MIT */
/*
 * stratd's persistent state: the region KIMP_STRAT_STATE_REGION of its
 * segment (default name "stratd"), written by stratd alone and read by
 * kimpctl and monitord. A restarted stratd finds it where it left it.
 *
 *   coin[inst]        per engine instrument (the coin of a pair): the
 *                     premium model (time-decayed mean and deviation), the
 *                     last premiums seen, the unhedged exposure and its
 *                     start, per-coin counters
 *   inv[venue][asset] the inventory view per venue: asset 0 is the venue's
 *                     quote currency (cash), asset i the engine instrument
 *                     i: the starting balance, the fills since, what the
 *                     orders in flight reserve and what they would bring in
 *   pair[]            the pairs in flight: both legs, every order each leg
 *                     made (the entry, retries, unwinds), fills, states
 *   next_intent_id, next_pair_id, pushed, counters
 *
 * Crash atomicity: every field below that changes after creation is an
 * 8-byte word changed through the undo journal `undo` (kimp/undo.h) that
 * sits in the same region, one transaction per input message (or per
 * intent pushed). Doubles are stored as their bit patterns in int64 words
 * (kimp_strat_f64 / kimp_strat_bits).
 *
 * Scales: prices at the venue's px_dec, sizes at the venue's qty_dec (the
 * tradeconf values of that venue); a pair's target, a coin's unhedged
 * exposure and dust are at the coin's qty_dec (coin[].qty_dec: the finer
 * of its two venues' qty_dec). Notionals are in the venue's quote currency
 * at its px_dec (px * qty / 10^qty_dec). Times are CLOCK_MONOTONIC ns
 * unless named otherwise.
 *
 * The layout is versioned by KIMP_STRAT_VERSION (and SHM_LAYOUT_VERSION for
 * the segment); a stratd of another version refuses the segment.
 */
#ifndef KIMP_STRAT_H
#define KIMP_STRAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/undo.h"

#define KIMP_STRAT_STATE_REGION   "state"
#define KIMP_STRAT_INTENTS_REGION "intents"   /* ring of struct kimp_intent, 128 B slots */
#define KIMP_STRAT_METRICS_REGION "metrics"

#define KIMP_STRAT_MAGIC   0x5441525453504d4bULL /* "KMPSTRAT" little-endian */
#define KIMP_STRAT_VERSION 1u

#define KIMP_STRAT_COINS   32  /* by engine inst id (KIMP_COINS_MAX); 0 unused */
#define KIMP_STRAT_VENUES  8   /* by enum kimp_venue (KIMP_VENUE_MAX) */
#define KIMP_STRAT_ASSETS  32  /* inv[][0]: the venue's quote; inv[][i]: inst i */
#define KIMP_STRAT_PAIRS   64  /* pairs in flight at most */
#define KIMP_STRAT_ORDERS  8   /* orders per leg: the entry, retries, unwinds */

/* Which way a pair trades the premium (kimp_strat_pair.dir). */
enum kimp_strat_dir {
	KIMP_STRAT_SELL_KRW = 1, /* sell on the KRW venue, buy on the USDT venue */
	KIMP_STRAT_BUY_KRW = 2,  /* buy on the KRW venue, sell on the USDT venue */
};

/* A pair slot (kimp_strat_pair.state); pair_id 0 is a free slot. */
enum kimp_strat_pair_state {
	KIMP_STRAT_PAIR_FREE = 0,
	KIMP_STRAT_PAIR_OPEN = 1,    /* the entry legs are in flight */
	KIMP_STRAT_PAIR_MENDING = 2, /* the legs ended unequal: a retry or unwind */
	KIMP_STRAT_PAIR_STUCK = 3,   /* cannot be mended here: the operator's */
};

/* One order of a leg (kimp_strat_order.state). */
enum kimp_strat_ord_state {
	KIMP_STRAT_ORD_NONE = 0,
	KIMP_STRAT_ORD_QUEUED = 1,   /* decided, not yet on the intents ring */
	KIMP_STRAT_ORD_SENT = 2,     /* on the ring, no verdict yet */
	KIMP_STRAT_ORD_WORKING = 3,  /* approved (or trimmed): at the venue */
	KIMP_STRAT_ORD_DONE = 4,     /* final report: filled, cancelled, expired, refused */
	KIMP_STRAT_ORD_REJECTED = 5, /* refused by riskd (reason in .reason) */
	KIMP_STRAT_ORD_TIMEOUT = 6,  /* no outcome within leg_timeout: the policy went
					on; a late report still counts */
};

/* Bits of a double kept in an int64 word, and back. */
static inline int64_t kimp_strat_bits(double d)
{
	int64_t v;
	memcpy(&v, &d, sizeof(v));
	return v;
}

static inline double kimp_strat_f64(int64_t v)
{
	double d;
	memcpy(&d, &v, sizeof(d));
	return d;
}

/*
 * One order a leg made: an intent and what became of it. 128 bytes.
 * Entries of a leg past its norders are left over from an earlier pair in
 * the slot: ignore them.
 */
struct kimp_strat_order {
	uint64_t intent_id;
	uint64_t client_oid;     /* riskd's, from the verdict (or the first report); 0 unknown */
	int64_t kind;            /* enum kimp_intent_kind */
	int64_t side;            /* enum kimp_side of this order (an unwind is opposite) */
	int64_t px;              /* limit price, venue px_dec */
	int64_t qty;             /* asked, venue qty_dec */
	int64_t max_slip_px;     /* as sent in the intent, px_dec */
	int64_t approved;        /* the verdict's qty (0 until then, and when rejected) */
	int64_t cum_qty;         /* filled so far (the largest cum_qty reported), qty_dec */
	int64_t notional;        /* sum of fill px * qty / 10^qty_dec, px_dec */
	int64_t state;           /* enum kimp_strat_ord_state */
	int64_t reason;          /* the verdict's reason (enum kimp_risk_reason) */
	int64_t resv;            /* reservation left: cash (px_dec) for a buy, coin
				    (qty_dec) for a sell */
	int64_t sent_ns;         /* queued at (then: pushed at) */
	uint64_t decision_tsc;   /* as sent */
	uint64_t ingress_tsc;    /* of the market event that caused it */
};
KIMP_ASSERT_SIZE(struct kimp_strat_order, 128);

/*
 * One leg: leg 0 on the KRW venue, leg 1 on the USDT venue. The current
 * (latest) order is ord[norders - 1]. filled and notional are net in the
 * leg's own side: an unwind's fills take them back down.
 */
struct kimp_strat_leg {
	int64_t venue;           /* enum kimp_venue */
	int64_t side;            /* enum kimp_side of the entry */
	int64_t decision_px;     /* the walked worst price at decision, px_dec */
	int64_t filled;          /* net qty done in the leg's side, venue qty_dec */
	int64_t notional;        /* net, px_dec */
	int64_t fee_quote;       /* fees paid in the quote, px_dec */
	int64_t fee_base;        /* fees paid in the coin, qty_dec */
	int64_t norders;         /* orders made: the attempts (entry + retries + unwinds) */
	int64_t retries;
	int64_t unwinds;
	int64_t pad[6];
	struct kimp_strat_order ord[KIMP_STRAT_ORDERS];
};
KIMP_ASSERT_SIZE(struct kimp_strat_leg, 128 + 128 * KIMP_STRAT_ORDERS);
KIMP_ASSERT_OFFSET(struct kimp_strat_leg, ord, 128);

/* A linked pair of legs in flight. */
struct kimp_strat_pair {
	uint64_t pair_id;        /* 0: a free slot */
	int64_t inst;            /* the coin (engine inst id) */
	int64_t dir;             /* enum kimp_strat_dir */
	int64_t state;           /* enum kimp_strat_pair_state */
	int64_t target;          /* the pair's size, coin qty_dec */
	int64_t opened_ns;
	int64_t mend_since_ns;   /* the legs ended unequal at (0: not mending) */
	int64_t prem;            /* f64 bits: executable premium at decision */
	int64_t dev;             /* f64 bits: its deviation from the mean */
	uint64_t ingress_tsc;    /* of the market event that caused the entry */
	int64_t retry_off;       /* 1: retrying is out (cap passed, below minimums) */
	int64_t dust;            /* leg 0 - leg 1 written off as dust, coin qty_dec */
	int64_t mend_after_ns;   /* no mend before this (riskd refused one for now) */
	int64_t pad[3];
	struct kimp_strat_leg leg[2];
};
KIMP_ASSERT_OFFSET(struct kimp_strat_pair, leg, 128);
KIMP_ASSERT_SIZE(struct kimp_strat_pair, 128 + 2 * sizeof(struct kimp_strat_leg));

/* Per coin (engine inst id): the model, the exposure, counters. 256 bytes. */
struct kimp_strat_coin {
	/* written at creation: the pair this slot was made for */
	int64_t krw_venue;       /* enum kimp_venue, 0: no pair on this coin */
	int64_t usdt_venue;
	int64_t qty_dec;         /* the coin's common qty scale */
	/* the model: mid premium, EWMA with half-life, over book time */
	int64_t n;               /* samples */
	int64_t mean;            /* f64 bits: premium as a fraction (0.02 = 2%) */
	int64_t var;             /* f64 bits: its variance (deviation = sqrt) */
	int64_t first_ns;        /* book time of the first sample */
	int64_t last_ns;         /* book time of the last sample (the last update) */
	uint64_t md_seq;         /* the last md ring sequence applied to it */
	/* the last evaluation (f64 bits) */
	int64_t prem_mid;        /* mid premium */
	int64_t prem_sell;       /* executable, selling on the KRW venue (for the clip) */
	int64_t prem_buy;        /* executable, buying on the KRW venue */
	int64_t rate;            /* KRW per USDT used */
	/* exposure */
	int64_t unhedged;        /* net qty bought (+) or sold (-), both venues, coin qty_dec */
	int64_t unhedged_since;  /* when it left 0 (0: flat) */
	int64_t dust;            /* residue below both venues' minimums, written off */
	/* counters */
	int64_t last_entry_ns;
	int64_t entries;
	int64_t pairs_done;      /* ended with both legs equal */
	int64_t pairs_mended;    /* of those, after a retry or unwind */
	int64_t pairs_stuck;
	int64_t retries;
	int64_t unwinds;
	int64_t fills;
	/* exposure time: episodes (unhedged_since to flat again) that ended */
	int64_t unhedged_ns;     /* their total */
	int64_t unhedged_max_ns; /* the longest */
	int64_t pad[6];
};
KIMP_ASSERT_SIZE(struct kimp_strat_coin, 256);
KIMP_ASSERT_OFFSET(struct kimp_strat_coin, unhedged_ns, 192);

/*
 * Inventory of one asset on one venue. Holdings = start + fills; free to
 * sell = holdings - resv; a buy band checks holdings + incoming.
 */
struct kimp_strat_inv {
	int64_t start;           /* [balance.VENUE] at the last start */
	int64_t fills;           /* net change from fills and fees since creation */
	int64_t resv;            /* held for orders in flight that spend it */
	int64_t incoming;        /* what orders in flight would bring in */
};
KIMP_ASSERT_SIZE(struct kimp_strat_inv, 32);

/*
 * Counters journaled with the state (exact over crashes: a message
 * delivered again after a restart is not counted twice). Repeats, unknown
 * messages and the like are counted in the metrics region instead.
 */
struct kimp_strat_counters {
	int64_t evals;           /* coin evaluations (one per coin an md event moved) */
	int64_t entries;         /* pairs opened */
	int64_t intents;         /* intents pushed */
	int64_t retries;         /* RETRY intents made */
	int64_t unwinds;         /* UNWIND intents made */
	int64_t verdicts;        /* verdicts applied */
	int64_t rejects;         /* of those, REJECTED */
	int64_t trims;           /* of those, TRIMMED */
	int64_t reports;         /* reports applied (a fill or a final state) */
	int64_t fills;           /* reports that added to cum_qty */
	int64_t pairs_done;      /* pairs closed with both legs equal */
	int64_t pairs_stuck;     /* pairs that could not be mended */
	int64_t timeouts;        /* orders given up waiting for (leg_timeout) */
	int64_t dust;            /* imbalances below the minimums written off */
	int64_t recover_back;    /* starts that undid a half-made transaction */
	int64_t recover_forward; /* starts that kept one whose intent was pushed */
	int64_t pad[16];
};
KIMP_ASSERT_SIZE(struct kimp_strat_counters, 256);

struct kimp_strat_state {
	/* written at creation */
	uint64_t magic;          /* KIMP_STRAT_MAGIC */
	uint32_t version;        /* KIMP_STRAT_VERSION */
	uint32_t size;           /* sizeof(struct kimp_strat_state) */
	uint64_t created_real_ns;/* CLOCK_REALTIME */
	uint64_t conf_fp;        /* fingerprint of the pairs it was made for */
	uint64_t id_base;        /* (unix seconds at creation) << 32 */
	uint64_t pad0[3];
	/* ids and positions: journaled */
	uint64_t next_intent_id; /* the next intent's id: from id_base, strictly up */
	uint64_t next_pair_id;   /* likewise */
	uint64_t pushed;         /* intents ring producer position as of the last
				    commit: a restart that finds the ring further
				    keeps the transaction that pushed */
	uint64_t md_salt;        /* the md ring this state consumed (its salt) */
	int64_t pairs_open;      /* pair slots in use */
	int64_t queued;          /* orders QUEUED, not yet pushed */
	int64_t pad1[2];
	struct kimp_strat_counters cnt;
	struct shm_undo undo;    /* the journal (2032 bytes) */
	uint8_t pad2[16];
	struct kimp_strat_coin coin[KIMP_STRAT_COINS];
	struct kimp_strat_inv inv[KIMP_STRAT_VENUES][KIMP_STRAT_ASSETS];
	struct kimp_strat_pair pair[KIMP_STRAT_PAIRS];
};
KIMP_ASSERT_OFFSET(struct kimp_strat_state, next_intent_id, 64);
KIMP_ASSERT_OFFSET(struct kimp_strat_state, cnt, 128);
KIMP_ASSERT_OFFSET(struct kimp_strat_state, undo, 384);
KIMP_ASSERT_OFFSET(struct kimp_strat_state, coin, 2432);
KIMP_ASSERT_OFFSET(struct kimp_strat_state, inv, 2432 + 256 * KIMP_STRAT_COINS);
KIMP_ASSERT_OFFSET(struct kimp_strat_state, pair,
		   2432 + 256 * KIMP_STRAT_COINS + 32 * KIMP_STRAT_VENUES * KIMP_STRAT_ASSETS);
KIMP_ASSERT_ALIGN(struct kimp_strat_state, 8);
KIMP_STATIC_ASSERT(offsetof(struct kimp_strat_state, pair) % 8 == 0, "8-byte words");

/* Names for tools (kimpctl): "open", "sell_krw", "working", ... */
static inline const char *kimp_strat_dir_name(int64_t d)
{
	return d == KIMP_STRAT_SELL_KRW ? "sell_krw" : d == KIMP_STRAT_BUY_KRW ? "buy_krw" : "?";
}

static inline const char *kimp_strat_pair_state_name(int64_t s)
{
	static const char *const n[] = { "free", "open", "mending", "stuck" };
	return s >= 0 && s < (int64_t)KIMP_ARRAY_SIZE(n) ? n[s] : "?";
}

static inline const char *kimp_strat_ord_state_name(int64_t s)
{
	static const char *const n[] = { "none", "queued", "sent", "working", "done",
					  "rejected", "timeout" };
	return s >= 0 && s < (int64_t)KIMP_ARRAY_SIZE(n) ? n[s] : "?";
}

#endif
