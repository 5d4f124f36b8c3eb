/* SPDX-License-Identifier: MIT */
/*
 * orderd's core, with no network: the order state machine (fsm.c), the
 * write-ahead journal (journal.c), the order table (table.c) and the rate
 * buckets (rate.c). The daemon (orderd.c, session.c) drives them; tests use
 * them directly.
 */
#ifndef KIMP_ORDERD_CORE_H
#define KIMP_ORDERD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "kimp/compiler.h"
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/seqlock.h"
#include "kimp/venue_ord.h"

/* ---- state machine (fsm.c) ---------------------------------------------------- */

/*
 * What happened to an order. The transition table (fsm.c) names the next
 * state for every (state, event); a cell that is not allowed yields
 * FSM_INVALID: the caller counts it, logs it and leaves the order as it was.
 */
enum fsm_event {
	FE_SEND = 0,            /* its bytes were handed to a channel */
	FE_SEND_FAILED,         /* proven not sent (no channel took it) */
	FE_ACK,                 /* the venue has it, resting or working (new/wait) */
	FE_PARTIAL,             /* a fill, some left */
	FE_FILLED,              /* filled in full */
	FE_CANCEL_SENT,         /* we sent a cancel */
	FE_CANCELLED,           /* the venue cancelled it (by us or itself) */
	FE_CANCEL_REJECTED,     /* the cancel was refused (order final or unknown there) */
	FE_REJECTED,            /* the venue refused it: nothing happened */
	FE_EXPIRED,             /* IOC/FOK remainder expired */
	FE_AMBIGUOUS,           /* timeout, dropped response, disconnect, 5xx after send */
	FE_NOT_FOUND,           /* a query: the venue never had it (after the grace time) */
	FE_MAX
};

#define FSM_INVALID 0xffu

/* The state after ev in state s, or FSM_INVALID. */
uint8_t fsm_next(uint8_t s, enum fsm_event ev);
/* A state no event moves on from except a later fill (FILLED, CANCELLED,
 * REJECTED, EXPIRED). */
bool fsm_final(uint8_t s);
const char *fsm_event_name(unsigned ev);

/*
 * The event a venue report of state 'vs' (enum kimp_order_state: ACKED,
 * PARTIAL, FILLED, CANCELLED, EXPIRED, REJECTED) with cum_qty 'cum' means
 * for an order of quantity 'qty' (PARTIAL with cum == qty is FILLED).
 */
enum fsm_event fsm_event_of(uint8_t vs, int64_t cum, int64_t qty);

/* ---- journal (journal.c) -------------------------------------------------------- */

/*
 * The write-ahead journal: an append-only file of 128-byte records, each
 * with a CRC32C and a sequence number, written through a shared mapping
 * (a store, no system call: a crashed orderd loses nothing the kernel has;
 * the sync policy decides what a power loss may lose). Every order is
 * written before its bytes leave; every state change after it happens.
 *
 * Files: DIR/NAME.journal is the current one; when it fills, it is renamed
 * DIR/NAME.journal.N (N counting up) and the new file starts with a
 * snapshot of every order that is not final, so replaying the current file
 * alone rebuilds the table.
 */
enum jr_type {
	JR_NONE = 0,
	JR_START = 1,           /* a run began (pid, the journal file number) */
	JR_ORDER = 2,           /* an order taken from riskd, before any byte is sent */
	JR_SENT = 3,            /* handed to a channel: chan, req_id, sent time */
	JR_STATE = 4,           /* a state change or fill: the whole report */
	JR_OID = 5,             /* the venue's order id */
	JR_CANCEL = 6,          /* a cancel sent */
	JR_SNAP = 7,            /* snapshot of a non-final order (the first records of a file) */
	JR_CLOCK = 8,           /* a venue's clock offset changed */
	JR_TYPE_MAX
};

/* Sync policy ([orderd] journal_sync). */
enum jr_sync {
	JR_SYNC_NONE = 0,       /* the page cache: survives any crash of orderd, not a power loss */
	JR_SYNC_INTERVAL = 1,   /* a background thread msyncs every journal_sync_interval */
	JR_SYNC_ALWAYS = 2,     /* msync before the bytes of an order leave (blocking: slow) */
};

/* One record, 128 bytes. */
struct jr_rec {
	uint32_t crc;           /* CRC32C of bytes 4..128; written last */
	uint16_t type;          /* enum jr_type */
	uint16_t version;       /* 1 */
	uint64_t seq;           /* 1, 2, ... across files */
	int64_t real_ns;        /* when written */
	uint64_t client_oid;
	union {
		struct {                /* JR_ORDER, JR_SNAP (SNAP: with the state fields) */
			uint64_t intent_id, pair_id;
			int64_t px, qty;
			uint64_t ring_seq;      /* position in riskd's orders ring */
			uint64_t ingress_tsc;
			uint32_t inst, strategy;
			uint8_t venue, side, tif, type, leg, kind, state, fee_asset;
			int64_t cum_qty, cum_quote, cum_fee;
			int32_t reject_code;
			uint16_t flags;
			uint8_t pad[2];
		} o;
		struct {                /* JR_SENT, JR_CANCEL */
			uint64_t req_id;
			int64_t sent_real_ns;
			uint8_t chan, venue;
		} s;
		struct {                /* JR_STATE: everything the report carries */
			int64_t last_px, last_qty, last_fee;
			int64_t cum_qty, cum_quote, cum_fee, leaves_qty;
			uint64_t exec_id;
			int32_t reject_code;
			uint8_t state, prev_state, event, fee_asset;
			uint8_t venue, side, leg, kind;
			uint16_t flags;
		} st;
		struct {                /* JR_OID */
			uint8_t venue, len;
			char oid[KIMP_ORD_OID_MAX];
		} id;
		struct {                /* JR_START, JR_CLOCK */
			uint64_t pid;
			uint64_t file_no;
			int64_t offset_ns;
			uint8_t venue;
		} run;
		uint8_t raw[96];
	} u;
};
KIMP_ASSERT_SIZE(struct jr_rec, 128);

struct journal {
	int fd;
	uint8_t *map;
	size_t size;            /* bytes mapped (the file's size) */
	size_t off;             /* next record's offset */
	uint64_t seq;           /* last seq written */
	uint64_t file_no;
	enum jr_sync sync;
	uint64_t sync_interval_ns;
	char dir[192];
	char name[32];
	/* the interval syncer thread (JR_SYNC_INTERVAL) */
	void *syncer;
	/* statistics */
	uint64_t records, syncs, rotations;
	size_t touched;         /* bytes from the start known faulted in (journal_prefault) */
};

struct journal_cfg {
	const char *dir;        /* directory, made 0700 if missing */
	const char *name;       /* file stem (the segment name) */
	size_t file_size;       /* bytes per file (rounded to records; 0: 256 MiB) */
	enum jr_sync sync;
	uint64_t sync_interval_ns;
};

/*
 * Open the current file (created if missing), find its end (the first
 * record that is zero or fails its CRC) and continue from there. 0, or
 * -errno with msg[0..cap) saying what and which path.
 */
int journal_open(struct journal *j, const struct journal_cfg *cfg, char *msg,
		 size_t cap) kimp_cold;
/* (H3) j must not move while open (the INTERVAL thread holds its address);
 * journal_open appends nothing (the daemon writes its JR_START); -EBUSY when
 * another process has the journal open, -EUCLEAN when valid records follow a
 * bad one (damage: the operator looks at it). */
void journal_close(struct journal *j) kimp_cold;

/*
 * Append r (type, client_oid and the union filled by the caller; crc,
 * version, seq and real_ns are set here): its seq, or 0 when the file is
 * full and the caller must journal_rotate first. No system call unless
 * the policy is ALWAYS (then journal_commit does one).
 */
uint64_t journal_append(struct journal *j, struct jr_rec *r);
/*
 * Fault in the pages of the next 'ahead' bytes past the end (a write of
 * the zero already there), so appends on the order path take no page
 * fault. Idle path only: it may fault (and allocate file blocks). Returns
 * the bytes newly touched.
 */
size_t journal_prefault(struct journal *j, size_t ahead);
/* ALWAYS: msync what was appended since the last commit. Else nothing. 0 or -errno. */
int journal_commit(struct journal *j);
/*
 * The file is full (or asked): rename it NAME.journal.N, start a new one,
 * and call snap(arg, j) which appends JR_SNAP records of the live orders.
 * 0 or -errno. Cold.
 */
int journal_rotate(struct journal *j, void (*snap)(void *arg, struct journal *j),
		   void *arg) kimp_cold;

/*
 * Replay the file at path: call each(arg, rec) for every valid record in
 * order. Stops at the end or at the first record that is zero or fails its
 * CRC (a torn tail: reported through *torn when not NULL). The count of
 * records, or -errno.
 */
long journal_replay(const char *path, void (*each)(void *arg, const struct jr_rec *r),
		    void *arg, bool *torn) kimp_cold;

/*
 * Print path's records one per line (or as JSON lines) to out, for
 * kimpctl journal. The count of records or -errno.
 */
long journal_print(const char *path, FILE *out, bool json) kimp_cold;

const char *jr_type_name(unsigned t);

/*
 * (Additions, H3.) CRC32C (Castagnoli, as iSCSI/ext4: "123456789" ->
 * 0xE3069283) of p[0..n): the SSE4.2 crc32 instruction when the CPU has
 * it, else a table. _sw and _hw force one (tests); _hw is only valid when
 * jr_crc32c_hw_ok().
 */
uint32_t jr_crc32c(const void *p, size_t n);
uint32_t jr_crc32c_sw(const void *p, size_t n);
uint32_t jr_crc32c_hw(const void *p, size_t n);
bool jr_crc32c_hw_ok(void);
/* (Addition, H3.) r = a JR_SNAP of e (every field JR_ORDER has, ring_seq,
 * ingress_tsc and strategy included, plus the state), for journal_rotate's
 * callback. */
void jr_snap_from_entry(struct jr_rec *r, const struct kimp_ord_entry *e);
/* (Addition, H3.) Is r a record (known type, version 1, CRC right)? */
bool jr_rec_ok(const struct jr_rec *r);

/* ---- order table (table.c) -------------------------------------------------------- */

/*
 * Orders by client_oid: the records live in the shared seqlock table
 * (kimp_ord_entry); the index is an open-addressing hash in private
 * memory, rebuilt at start. A slot of a final order is reused, oldest
 * final first, when a new order needs one; slots of orders that are not
 * final are never reused.
 */
struct otable {
	struct shm_seqtab *tab;         /* slots */
	uint32_t slots;
	uint32_t *hash;                 /* 2 x pow2 >= slots: slot + 1, 0 empty */
	uint32_t hmask;
	uint32_t *final_fifo;           /* slots of final orders, oldest first */
	uint32_t ff_head, ff_count;
	uint32_t free_next;             /* slots never used: free_next .. slots */
	uint32_t live;                  /* orders not final */
	struct kimp_ord_entry *e;       /* private working copies, slots entries */
	uint8_t *sflags;                /* (addition, H3) per slot: live, queued for reuse */
};

/* Allocates the private arrays (cold). tab: the shared table, 'slots' records. */
int otable_init(struct otable *t, struct shm_seqtab *tab, uint32_t slots) kimp_cold;
void otable_free(struct otable *t) kimp_cold;
/* The entry of coid (the private copy), or NULL. */
struct kimp_ord_entry *otable_find(struct otable *t, uint64_t coid);
/* A new entry for coid: NULL when every slot holds a live order (or coid is there). */
struct kimp_ord_entry *otable_insert(struct otable *t, uint64_t coid);
/* Publish e's private copy to the shared table (seqlock write); call after
 * every change. A change into a final state queues the slot for reuse. */
void otable_commit(struct otable *t, struct kimp_ord_entry *e);
/* Call f for every non-final order (any order of slots). */
void otable_each_live(struct otable *t, void (*f)(void *arg, struct kimp_ord_entry *e),
		      void *arg);

/* ---- rate buckets (rate.c) ---------------------------------------------------------- */

/*
 * One venue's limits (venue_ord.rates), each a bucket of 'budget' units
 * (limit x share) that refills at the start of each of the venue's windows
 * (aligned on the venue's clock: ours plus the offset), like the venue's
 * own counters. Responses that report the venue's count set ours (plus
 * what we sent since). A 429 stops everything until its retry time (or a
 * backoff); a 418 until the ban ends.
 */
struct orate {
	const struct venue_ord *vo;
	struct kimp_ord_rate *r;        /* the shared view (state region), nrates */
	uint32_t nrates;
	uint32_t inflight[KIMP_ORD_RATE_RULES]; /* sent, not yet counted by a reply */
	int64_t edge_ms;                /* do not count on a refill until this long after the boundary */
	int64_t backoff_until_ms, banned_until_ms;
	uint64_t backoff_ms;            /* the next 429 backoff (doubles, capped) */
	/* (additions, H3; see rate.c) */
	uint32_t pending;               /* requests that took units, no reply yet */
	uint32_t old[KIMP_ORD_RATE_RULES];      /* replies still due from before a refill */
	uint32_t edge_used[KIMP_ORD_RATE_RULES];/* units taken since the boundary, before the refill */
	int64_t edge_win_ms[KIMP_ORD_RATE_RULES];/* the window edge_used belongs to */
	int64_t last_reply_ms;          /* last reply (or first pending request) */
	uint64_t backoff_min_ms, backoff_max_ms; /* (addition) the 429 backoff's bounds */
};

#define ORATE_BACKOFF_CAP_MS (86400ull * 1000) /* the largest backoff_max taken: a day */

/* share: the fraction of each limit to use (0 < share <= 1). */
int orate_init(struct orate *o, const struct venue_ord *vo, struct kimp_ord_rate *shared,
	       double share, int64_t edge_ms) kimp_cold;
/*
 * Can op go on ch now (venue clock now_ms)? Takes the units and returns 0;
 * or returns how many ms until it could (nothing taken).
 */
int64_t orate_take(struct orate *o, enum vo_op op, enum vo_chan ch, int64_t now_ms);
/* A connection of ch is being opened: charge its cost (may overdraw). */
void orate_connect(struct orate *o, enum vo_chan ch, int64_t now_ms);
/* A reply to a request that took units came: fold its observations in.
 * (H3) Call it exactly once per request orate_take charged, when it ends:
 * obs NULL (or n 0) when no reply came (timeout, disconnect). */
void orate_observe(struct orate *o, const struct vo_rate_obs *obs, int64_t now_ms);
/*
 * (Addition.) The bounds of our own 429 backoff (used when the venue gives
 * no retry time): the first is min_ms, each next one doubles up to max_ms
 * ([order.NAME] backoff_min / backoff_max). orate_init sets 1 s and 60 s.
 * 0, or -EINVAL (min_ms 0, max_ms below min_ms or above ORATE_BACKOFF_CAP_MS:
 * nothing changed). Resets the doubling to min_ms.
 */
int orate_set_backoff(struct orate *o, uint64_t min_ms, uint64_t max_ms) kimp_cold;
/* 429 (retry_at_ms 0 or past: back off by our own doubling; a retry time
 * wins over the bounds) / 418. */
void orate_limited(struct orate *o, uint64_t retry_at_ms, int64_t now_ms);
void orate_banned(struct orate *o, uint64_t retry_at_ms, int64_t now_ms);

#endif
