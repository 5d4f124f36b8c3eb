/* SPDX-License-Identifier: MIT */
/*
 * The shared book table: one record per (venue, instrument) that a feedd
 * serves, written by that feedd alone and read by stratd, riskd, kimpctl and
 * monitord. Each record sits behind its own seqlock (kimp/seqlock.h) in a
 * seqtab region named KIMP_BOOK_REGION of the feedd's segment, so a reader
 * copies a whole consistent book or retries.
 *
 * A record holds the top KIMP_BOOK_LEVELS levels a side, best first, prices
 * and sizes int64 fixed point with the record's px_dec / qty_dec decimals,
 * the book's status and why, the venue's time of the last update, the local
 * time it was received and how many updates it has taken. A reader must not
 * act on a book whose status is not KIMP_BOOK_LIVE (ARCHITECTURE section 8):
 * feedd marks it stale when its feed is down, out of sync or quiet longer
 * than the venue allows, and resyncing while it rebuilds it.
 *
 * The record is part of the shared-memory layout: a change bumps
 * SHM_LAYOUT_VERSION (kimp/segment.h).
 */
#ifndef KIMP_BOOK_H
#define KIMP_BOOK_H

#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/msg.h"
#include "kimp/seqlock.h"

#define KIMP_BOOK_REGION "books"
#define KIMP_BOOK_LEVELS 32

/* Why a book is not live (kimp_book.reason, kimp_md_status.reason). */
enum kimp_book_reason {
	KIMP_BOOK_R_NONE = 0,
	KIMP_BOOK_R_START = 1,       /* not yet synced since start */
	KIMP_BOOK_R_FEED_DOWN = 2,   /* its connection is down */
	KIMP_BOOK_R_GAP = 3,         /* update ids skipped: resyncing */
	KIMP_BOOK_R_CROSSED = 4,     /* best bid >= best ask: resyncing */
	KIMP_BOOK_R_QUIET = 5,       /* no update for longer than the venue allows */
	KIMP_BOOK_R_RECONNECT = 6,   /* a new connection: resyncing */
	KIMP_BOOK_R_SNAPSHOT = 7,    /* the snapshot request failed: retrying */
	KIMP_BOOK_R_MAX
};

struct kimp_level {
	int64_t px;
	int64_t qty;
};
KIMP_ASSERT_SIZE(struct kimp_level, 16);

struct kimp_book {
	uint8_t venue;           /* enum kimp_venue */
	uint8_t status;          /* enum kimp_book_status */
	uint16_t reason;         /* enum kimp_book_reason (NONE when live) */
	uint32_t inst;           /* engine-wide instrument id */
	uint8_t nbids, nasks;    /* levels filled, each <= KIMP_BOOK_LEVELS */
	uint8_t px_dec, qty_dec; /* fixed-point decimals of px and qty */
	uint32_t slot;           /* this record's index in the table */
	int64_t venue_ts_ns;     /* venue's time of the last update, UTC ns (0: none) */
	uint64_t recv_tsc;       /* ingress TSC of the last update */
	uint64_t recv_mono_ns;   /* CLOCK_MONOTONIC when the last update arrived */
	uint64_t update_count;   /* updates applied since feedd started */
	uint64_t update_id;      /* the venue's last update id (Binance u), 0: none */
	uint64_t status_mono_ns; /* CLOCK_MONOTONIC of the last status change */
	struct kimp_level bids[KIMP_BOOK_LEVELS]; /* best (highest) first */
	struct kimp_level asks[KIMP_BOOK_LEVELS]; /* best (lowest) first */
};
KIMP_ASSERT_SIZE(struct kimp_book, 64 + 2 * 16 * KIMP_BOOK_LEVELS);
KIMP_ASSERT_ALIGN(struct kimp_book, 8);
KIMP_ASSERT_OFFSET(struct kimp_book, venue_ts_ns, 16);
KIMP_ASSERT_OFFSET(struct kimp_book, status_mono_ns, 56);
KIMP_ASSERT_OFFSET(struct kimp_book, bids, 64);

const char *kimp_book_status_name(unsigned status);
const char *kimp_book_reason_name(unsigned reason);

#endif
