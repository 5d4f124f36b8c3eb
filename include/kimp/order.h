/* SPDX-License-Identifier: MIT */
/*
 * orderd's shared memory: segment "orderd" (the [orderd] name) with
 *
 *   rep.riskd, rep.stratd  rings of struct kimp_exec_report (orderd ->
 *                          riskd, stratd): a report for every state change
 *                          and every fill, the same report on both
 *   state                  struct kimp_ord_state: per-venue status (mode,
 *                          readiness, clock offset, rate buckets, bans),
 *                          counters, the journal's position
 *   table                  a seqlock table (kimp/seqlock.h) of struct
 *                          kimp_ord_entry: every order orderd knows that is
 *                          not final, and the most recent final ones
 *   control                struct kimp_ord_control: kimpctl -> orderd
 *                          requests (reset a venue's sticky failure)
 *   metrics                counters and latency histograms
 *
 * orderd is the only writer. Its truth is the journal (orderd/journal.c):
 * on every start orderd rebuilds the table from it, so the table and the
 * state are a view for kimpctl and monitord; the one word a restart reads
 * back is kimp_ord_state.rep_pub_jseq (the last journal record whose
 * reports are on both rings), so reports cut off by a crash are sent again
 * (consumers drop repeats by cum_qty and state).
 *
 * The venue's own order ids appear only here and in the journal: messages
 * to the rest of the engine carry client_oid.
 *
 * The layout is part of the shared-memory layout: a change bumps
 * KIMP_ORD_VERSION (orderd refuses a state region of another version).
 */
#ifndef KIMP_ORDER_H
#define KIMP_ORDER_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/msg.h"
#include "kimp/venue_id.h"

#define KIMP_ORD_SEGMENT     "orderd"
#define KIMP_ORD_STATE       "state"
#define KIMP_ORD_TABLE       "table"
#define KIMP_ORD_METRICS     "metrics"
#define KIMP_ORD_CONTROL     "control"
#define KIMP_ORD_REP_RISKD   "rep.riskd"
#define KIMP_ORD_REP_STRATD  "rep.stratd"

#define KIMP_ORD_MAGIC       0x4452524fu  /* "ORRD" */
#define KIMP_ORD_VERSION     2u           /* 2: kimp_ord_entry ingress_tsc, ring_seq, strategy */
#define KIMP_ORD_RATE_RULES  6            /* = VO_RATE_RULES */
#define KIMP_ORD_OID_MAX     48           /* = VO_OID_MAX */

/*
 * reject_code of a report for an order orderd refused itself (never sent):
 * 1..99. Venue codes are the venue's numbers (Binance -2010) or libvenue's
 * numbers for named errors (Upbit, 1000 and up: venue_ord.err_name).
 */
enum kimp_ord_rej {
	KIMP_OREJ_NONE = 0,
	KIMP_OREJ_NOT_READY = 1,     /* the venue is reconciling or not connected */
	KIMP_OREJ_RATE = 2,          /* no rate budget now */
	KIMP_OREJ_DUPLICATE = 3,     /* client_oid already used (never reported: orderd
					drops such an order, counted dup_oid, since a report
					would name the order that owns the id) */
	KIMP_OREJ_BAD_ORDER = 4,     /* the order cannot be said on this venue */
	KIMP_OREJ_VENUE_OFF = 5,     /* the venue is not traded ([order.NAME] mode off) */
	KIMP_OREJ_BANNED = 6,        /* the venue banned us (418) until a time */
	KIMP_OREJ_TABLE_FULL = 7,    /* no free order slot */
	KIMP_OREJ_SEND_FAILED = 8,   /* no channel took the bytes (proven unsent) */
	KIMP_OREJ_NOT_FOUND = 9,     /* unknown outcome settled: the venue never had it */
	KIMP_OREJ_UNKNOWN_INST = 10, /* no symbol for the instrument on this venue */
	KIMP_OREJ_MAX
};

/* The name ("NOT_READY"), "?" out of range. */
const char *kimp_ord_rej_name(unsigned r);

/* Whether a reject_code is orderd's own refusal (1..99: never sent) rather
 * than the venue's. */
static inline bool kimp_ord_rej_local(int32_t code)
{
	return code > 0 && code < 100;
}
/* The name of a state ("CANCEL_PENDING"), "?" out of range. */
const char *kimp_ord_state_name(unsigned s);

/* How a venue is traded. */
enum kimp_ord_mode {
	KIMP_ORD_OFF = 0,
	KIMP_ORD_LIVE = 1,
	KIMP_ORD_PAPER = 2,          /* fills against the live book table, no keys */
};

/* kimp_ord_entry.flags */
#define KIMP_ORDF_RECONCILE  0x0001u  /* must be queried before the venue is ready */
#define KIMP_ORDF_QUERYING   0x0002u  /* a query is in flight */
#define KIMP_ORDF_FEE_EST    0x0004u  /* a fee was estimated from the rate (no venue figure) */
#define KIMP_ORDF_CANCEL_ASK 0x0008u  /* a cancel was asked for (kept across states) */
#define KIMP_ORDF_PAPER      0x0010u

/* One order, 192 bytes: a seqlock table record. */
struct kimp_ord_entry {
	uint64_t client_oid;
	uint64_t intent_id;
	uint64_t pair_id;
	int64_t px;
	int64_t qty;
	int64_t cum_qty;
	int64_t cum_quote;       /* quote filled, px_dec */
	int64_t cum_fee;         /* fee_asset's scale */
	int64_t created_real_ns; /* when riskd's order was taken */
	int64_t sent_real_ns;    /* when its bytes were handed to the socket (0: not yet) */
	int64_t updated_real_ns;
	uint64_t jseq;           /* journal record of the last change */
	uint8_t venue;
	uint8_t state;           /* enum kimp_order_state */
	uint8_t side;
	uint8_t tif;
	uint8_t type;            /* enum vo_type */
	uint8_t leg;
	uint8_t kind;            /* enum kimp_intent_kind */
	uint8_t fee_asset;       /* 0 quote, 1 base */
	uint32_t inst;
	int32_t reject_code;
	uint16_t flags;          /* KIMP_ORDF_* */
	uint8_t chan;            /* enum vo_chan it was sent on */
	uint8_t queries;         /* queries made while unknown */
	uint32_t pad0;
	/* where the order came from (as JR_ORDER journals them; JR_SNAP keeps them) */
	uint64_t ingress_tsc;    /* riskd's order's h.ingress_tsc: the causing market
				    bytes' TSC, carried into every report of the order */
	uint64_t ring_seq;       /* its position in riskd's `orders` ring (1-based) */
	uint32_t strategy;       /* riskd's order's strategy */
	uint32_t pad1;
	char oid[KIMP_ORD_OID_MAX]; /* the venue's order id ("" unknown) */
};
KIMP_ASSERT_SIZE(struct kimp_ord_entry, 192);
KIMP_ASSERT_OFFSET(struct kimp_ord_entry, venue, 96);
KIMP_ASSERT_OFFSET(struct kimp_ord_entry, ingress_tsc, 120);
KIMP_ASSERT_OFFSET(struct kimp_ord_entry, ring_seq, 128);
KIMP_ASSERT_OFFSET(struct kimp_ord_entry, strategy, 136);
KIMP_ASSERT_OFFSET(struct kimp_ord_entry, oid, 144);

/* One rate rule's bucket as orderd sees it. */
struct kimp_ord_rate {
	uint32_t limit;          /* the venue's limit per window */
	uint32_t budget;         /* what orderd allows itself (limit x share) */
	uint32_t used;           /* units spent in the current window */
	uint32_t pad;
	uint64_t window_ns;
	int64_t window_start_ms; /* venue clock */
	uint64_t denied;         /* requests held or refused for this rule */
};
KIMP_ASSERT_SIZE(struct kimp_ord_rate, 40);

struct kimp_ord_venue {
	uint8_t mode;            /* enum kimp_ord_mode */
	uint8_t ready;           /* reconciled and connected: new orders go */
	uint8_t chans_up;        /* VO_CHBIT of the channels open */
	uint8_t sticky;          /* a protocol/auth error stopped it until reset */
	uint8_t nrates;
	uint8_t pad0[3];
	int64_t offset_ns;       /* server clock - ours */
	uint64_t rtt_ns;         /* of the last time sync */
	int64_t banned_until_ms; /* 418: nothing goes until then (venue clock) */
	int64_t backoff_until_ms;/* 429: nothing goes until then */
	uint64_t open_orders;    /* non-final orders */
	uint64_t sent, acked, filled, cancelled, rejected, expired, unknown;
	uint64_t queries, settled_by_query, reconnects, r429, r418, clock_rejects;
	uint64_t time_syncs, local_rejects;
	struct kimp_ord_rate rate[KIMP_ORD_RATE_RULES];
};

struct kimp_ord_state {
	uint32_t magic;          /* KIMP_ORD_MAGIC, stored last */
	uint32_t version;        /* KIMP_ORD_VERSION */
	uint64_t size;
	uint64_t table_slots;
	int64_t created_real_ns;
	int64_t started_real_ns; /* this run */
	uint64_t restarts;       /* runs after the first on this segment */
	/* the journal */
	uint64_t jseq;           /* last record written */
	uint64_t rep_pub_jseq;   /* last record whose reports are on both rings */
	uint64_t journal_file;   /* number of the current file */
	char journal_path[256];
	/* counters */
	uint64_t orders_in;      /* riskd orders taken */
	uint64_t cancels_in;
	uint64_t duplicates;     /* orders whose client_oid was already journaled */
	uint64_t invalid_transitions;
	uint64_t stale_reports;  /* venue reports older than what is known */
	uint64_t foreign_reports;/* reports about orders that are not ours */
	uint64_t parse_errors;
	uint64_t reports_out;
	uint64_t report_backlog; /* reports waiting for ring room */
	struct kimp_ord_venue venue[KIMP_VENUE_MAX];
};

/*
 * kimpctl -> orderd. To reset venue v's sticky failure (a session stopped
 * after a protocol or auth error), kimpctl increments reset_req[v] and
 * waits until reset_done[v] equals it; orderd polls the words on its idle
 * path (never on the order path).
 */
struct kimp_ord_control {
	uint32_t magic;          /* KIMP_ORD_MAGIC */
	uint32_t version;
	_Alignas(64) uint64_t reset_req[KIMP_VENUE_MAX];
	_Alignas(64) uint64_t reset_done[KIMP_VENUE_MAX];
};

#endif
