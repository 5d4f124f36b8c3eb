/* SPDX-License-Identifier: MIT */
/*
 * Fixed-size binary messages exchanged over the rings. Every message starts
 * with struct kimp_msg_hdr; prices and quantities are int64 fixed point with
 * the instrument's scale (never floating point). The ingress TSC is taken when
 * feedd reaps the completion that carried the market event and is carried
 * unchanged through every hop, so every stage can measure from the tick.
 *
 * These structs live in shared memory: any change to them bumps
 * SHM_LAYOUT_VERSION (include/kimp/segment.h). Each is 64 or 128 bytes, a
 * whole number of ring slots, 8-byte aligned, with its size, alignment and
 * field offsets pinned below.
 */
#ifndef KIMP_MSG_H
#define KIMP_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/ring.h"

enum kimp_msg_type {
	KIMP_MSG_NONE = 0,
	/* feedd -> stratd (md ring; conflatable) */
	KIMP_MSG_MD_TOP = 1,      /* best bid/ask changed */
	KIMP_MSG_MD_TRADE = 2,    /* a public trade */
	KIMP_MSG_MD_STATUS = 3,   /* book status changed (live/stale/resyncing) */
	/* stratd -> riskd (intent ring) */
	KIMP_MSG_INTENT = 16,
	/* riskd -> stratd (verdict ring): every intent's outcome */
	KIMP_MSG_VERDICT = 17,
	/* riskd -> orderd (order ring) */
	KIMP_MSG_ORDER_NEW = 32,
	KIMP_MSG_ORDER_CANCEL = 33,
	KIMP_MSG_ORDER_CANCEL_ALL = 34, /* kill switch: cancel every open order */
	/* orderd -> riskd, orderd -> stratd (report rings) */
	KIMP_MSG_EXEC_REPORT = 48,
	KIMP_MSG_TYPE_MAX
};

/*
 * Common header, 32 bytes.
 *
 *   seq:   the message's sequence on its ring. This word is the ring's slot
 *          mark (include/kimp/ring.h): publish writes it, a producer never
 *          does; the consumer reads the 1-based sequence as
 *          shm_ring_seq(&cons) at peek time.
 *   flags: KIMP_MSG_F_GAP on the first message a conflating producer
 *          publishes after it dropped some (the ring counts them as
 *          overruns): the consumer re-reads the book table.
 */
struct kimp_msg_hdr {
	uint64_t seq;           /* ring-owned: see above */
	uint16_t type;          /* enum kimp_msg_type */
	uint8_t venue;          /* enum kimp_venue */
	uint8_t flags;          /* KIMP_MSG_F_* */
	uint32_t inst;          /* instrument id (engine-wide) */
	uint64_t ingress_tsc;   /* TSC when the causing market bytes were reaped */
	int64_t venue_ts_ns;    /* the venue's timestamp of the event, UTC ns */
};
KIMP_ASSERT_SIZE(struct kimp_msg_hdr, 32);
KIMP_ASSERT_ALIGN(struct kimp_msg_hdr, 8);
KIMP_STATIC_ASSERT(sizeof(((struct kimp_msg_hdr *)0)->seq) == SHM_RING_MARK_BYTES,
		   "the header's first word is the ring's slot mark");
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, seq, 0);
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, type, 8);
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, venue, 10);
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, inst, 12);
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, ingress_tsc, 16);
KIMP_ASSERT_OFFSET(struct kimp_msg_hdr, venue_ts_ns, 24);

#define KIMP_MSG_F_GAP 0x01u    /* messages were dropped before this one */

enum kimp_side {
	KIMP_SIDE_BUY = 1,
	KIMP_SIDE_SELL = 2,
};

enum kimp_book_status {
	KIMP_BOOK_EMPTY = 0,
	KIMP_BOOK_LIVE = 1,
	KIMP_BOOK_STALE = 2,
	KIMP_BOOK_RESYNCING = 3,
};

/* Best bid and ask with sizes, 64 bytes. */
struct kimp_md_top {
	struct kimp_msg_hdr h;
	int64_t bid_px;
	int64_t bid_qty;
	int64_t ask_px;
	int64_t ask_qty;
};
KIMP_ASSERT_SIZE(struct kimp_md_top, 64);
KIMP_ASSERT_ALIGN(struct kimp_md_top, 8);
KIMP_ASSERT_OFFSET(struct kimp_md_top, bid_px, 32);
KIMP_ASSERT_OFFSET(struct kimp_md_top, ask_qty, 56);

/* A public trade, 64 bytes. */
struct kimp_md_trade {
	struct kimp_msg_hdr h;
	int64_t px;
	int64_t qty;
	uint64_t trade_id;      /* venue trade id; ids above 2^53 kept exact */
	uint8_t aggressor;      /* enum kimp_side, 0 when unknown */
	uint8_t pad[7];
};
KIMP_ASSERT_SIZE(struct kimp_md_trade, 64);
KIMP_ASSERT_ALIGN(struct kimp_md_trade, 8);
KIMP_ASSERT_OFFSET(struct kimp_md_trade, trade_id, 48);

/* Book status change, 64 bytes. */
struct kimp_md_status {
	struct kimp_msg_hdr h;
	uint8_t status;         /* enum kimp_book_status */
	uint8_t prev_status;
	uint16_t reason;        /* why: feed down, gap, crossed, quiet */
	uint32_t book_slot;     /* index in the book table */
	uint64_t update_count;  /* the book's update count at the change */
	uint8_t pad[16];
};
KIMP_ASSERT_SIZE(struct kimp_md_status, 64);
KIMP_ASSERT_ALIGN(struct kimp_md_status, 8);
KIMP_ASSERT_OFFSET(struct kimp_md_status, update_count, 40);

enum kimp_tif {
	KIMP_TIF_GTC = 0,
	KIMP_TIF_IOC = 1,
	KIMP_TIF_FOK = 2,
	KIMP_TIF_POST_ONLY = 3,
};

/* What an intent is for (kimp_intent.kind, kimp_order.kind). */
enum kimp_intent_kind {
	KIMP_INTENT_ENTRY = 0,  /* a new pair: adds exposure */
	KIMP_INTENT_RETRY = 1,  /* the missing leg again, more aggressively */
	KIMP_INTENT_UNWIND = 2, /* undo the filled leg of a failed pair */
};

/*
 * One leg of a trade, stratd -> riskd, 128 bytes. A trade is always a linked
 * pair: both legs carry the same pair_id and leg 0 / leg 1 of leg_count 2.
 * A retry or an unwind is a single leg (leg_count 1) of the pair it mends.
 *
 * intent_id strictly increases over a stratd's life (its counter lives in
 * its segment and starts from the creation time), so riskd refuses any id
 * not above the last it saw: a repeat after a restart is harmless.
 */
struct kimp_intent {
	struct kimp_msg_hdr h;  /* venue and inst of this leg */
	uint64_t intent_id;     /* strictly increasing, see above */
	uint64_t pair_id;
	int64_t px;             /* limit price, instrument scale */
	int64_t qty;            /* instrument qty scale */
	int64_t max_slip_px;    /* how far the leg may be chased */
	uint64_t decision_tsc;  /* TSC when stratd decided */
	uint8_t side;           /* enum kimp_side */
	uint8_t tif;            /* enum kimp_tif */
	uint8_t leg;            /* 0 or 1 */
	uint8_t leg_count;      /* 2 for an entry, 1 for a retry or unwind */
	uint32_t strategy;      /* strategy / instrument-pair id */
	uint8_t kind;           /* enum kimp_intent_kind */
	uint8_t pad0[7];
	/* stage stamps (the e2e bench's breakdown; orderd records them) */
	uint64_t strat_deq_tsc; /* stratd took the md message that caused it off
				   its ring; 0 when the cause was not a market
				   message (a retry or an unwind) */
	uint64_t strat_pub_tsc; /* just before stratd published it */
	uint8_t pad[16];
};
KIMP_ASSERT_SIZE(struct kimp_intent, 128);
KIMP_ASSERT_ALIGN(struct kimp_intent, 8);
KIMP_ASSERT_OFFSET(struct kimp_intent, intent_id, 32);
KIMP_ASSERT_OFFSET(struct kimp_intent, side, 80);
KIMP_ASSERT_OFFSET(struct kimp_intent, kind, 88);
KIMP_ASSERT_OFFSET(struct kimp_intent, strat_deq_tsc, 96);
KIMP_ASSERT_OFFSET(struct kimp_intent, strat_pub_tsc, 104);

enum kimp_verdict_kind {
	KIMP_VERDICT_APPROVED = 1,
	KIMP_VERDICT_TRIMMED = 2,   /* approved for less than asked */
	KIMP_VERDICT_REJECTED = 3,
};

/*
 * riskd's answer to one intent, riskd -> stratd, 128 bytes. Every intent
 * gets exactly one. reason is an enum kimp_risk_reason (kimp/risk.h):
 * KIMP_RISK_OK when approved, else the check that failed (a trim names
 * the limit that trimmed it); limit is that check's bound and value what
 * the intent would have made of it, both in the check's own unit.
 */
struct kimp_verdict {
	struct kimp_msg_hdr h;  /* venue and inst of the leg */
	uint64_t intent_id;
	uint64_t pair_id;
	uint64_t client_oid;    /* the order made of it, 0 when rejected */
	int64_t qty;            /* approved qty (0 when rejected) */
	int64_t px;             /* the order's price */
	int64_t limit;
	int64_t value;
	uint8_t verdict;        /* enum kimp_verdict_kind */
	uint8_t leg;
	uint16_t reason;        /* enum kimp_risk_reason */
	uint8_t kind;           /* the intent's enum kimp_intent_kind */
	uint8_t pad[35];
};
KIMP_ASSERT_SIZE(struct kimp_verdict, 128);
KIMP_ASSERT_ALIGN(struct kimp_verdict, 8);
KIMP_ASSERT_OFFSET(struct kimp_verdict, intent_id, 32);
KIMP_ASSERT_OFFSET(struct kimp_verdict, verdict, 88);

/*
 * An approved order or a cancel, riskd -> orderd, 128 bytes. A cancel
 * names client_oid; KIMP_MSG_ORDER_CANCEL_ALL names nothing (venue 0: every
 * venue) and asks orderd to cancel every open order it knows.
 */
struct kimp_order {
	struct kimp_msg_hdr h;
	uint64_t client_oid;    /* assigned by riskd from its journalled counter */
	uint64_t intent_id;
	uint64_t pair_id;
	int64_t px;
	int64_t qty;
	uint64_t risk_tsc;      /* TSC when riskd approved */
	uint8_t side;
	uint8_t tif;
	uint8_t leg;
	uint8_t kind;           /* enum kimp_intent_kind */
	uint32_t strategy;
	/* stage stamps: the intent's two, copied by riskd, and riskd's own
	 * (0 on a cancel and on CANCEL_ALL) */
	uint64_t strat_deq_tsc; /* as in the intent */
	uint64_t strat_pub_tsc; /* as in the intent */
	uint64_t risk_deq_tsc;  /* riskd took the intent off its ring */
	uint64_t risk_pub_tsc;  /* just before riskd published this order */
	uint8_t pad[8];
};
KIMP_ASSERT_SIZE(struct kimp_order, 128);
KIMP_ASSERT_ALIGN(struct kimp_order, 8);
KIMP_ASSERT_OFFSET(struct kimp_order, client_oid, 32);
KIMP_ASSERT_OFFSET(struct kimp_order, side, 80);
KIMP_ASSERT_OFFSET(struct kimp_order, strategy, 84);
KIMP_ASSERT_OFFSET(struct kimp_order, strat_deq_tsc, 88);
KIMP_ASSERT_OFFSET(struct kimp_order, strat_pub_tsc, 96);
KIMP_ASSERT_OFFSET(struct kimp_order, risk_deq_tsc, 104);
KIMP_ASSERT_OFFSET(struct kimp_order, risk_pub_tsc, 112);

enum kimp_order_state {
	KIMP_ORD_NEW = 0,
	KIMP_ORD_SENT = 1,
	KIMP_ORD_ACKED = 2,
	KIMP_ORD_PARTIAL = 3,
	KIMP_ORD_FILLED = 4,
	KIMP_ORD_CANCEL_PENDING = 5,
	KIMP_ORD_CANCELLED = 6,
	KIMP_ORD_REJECTED = 7,
	KIMP_ORD_EXPIRED = 8,
	KIMP_ORD_UNKNOWN = 9,
};

/* Execution report, orderd -> riskd and stratd, 128 bytes. */
struct kimp_exec_report {
	struct kimp_msg_hdr h;
	uint64_t client_oid;
	uint64_t exec_id;       /* venue execution id, hashed to 64 bits if needed */
	int64_t last_px;        /* this fill */
	int64_t last_qty;
	int64_t cum_qty;        /* the order so far */
	int64_t leaves_qty;
	int64_t fee;            /* the fee of this report's fill (last_qty) only, in the
				   fee asset's scale; 0 when no new fill */
	uint8_t state;          /* enum kimp_order_state after this report */
	uint8_t side;
	uint8_t leg;
	uint8_t fee_asset;      /* 0 quote, 1 base */
	int32_t reject_code;    /* venue code when rejected */
	uint64_t pair_id;
	uint8_t pad[24];
};
KIMP_ASSERT_SIZE(struct kimp_exec_report, 128);
KIMP_ASSERT_ALIGN(struct kimp_exec_report, 8);
KIMP_ASSERT_OFFSET(struct kimp_exec_report, client_oid, 32);
KIMP_ASSERT_OFFSET(struct kimp_exec_report, state, 88);

#endif
