/* SPDX-License-Identifier: MIT */
/*
 * libvenue market data: what the engine knows about each venue's public
 * feed, as a table plus a few small functions per venue, and the decoders
 * that turn the venue's bytes into a normalized message (struct vd_msg)
 * with prices and sizes in int64 fixed point at the instrument's scale.
 *
 * Decoders parse the known shapes directly (no JSON tree, no strtod): keys
 * are matched as they come, values the engine does not need are skipped
 * but still checked, numbers (quoted or bare, with exponents, trailing
 * zeros and long fractions) go straight to fixed point, ids stay exact as
 * uint64. A message that is malformed or not of a known shape returns a
 * negative enum vd_err and leaves nothing the caller could mistake for
 * data: the caller counts the kind and skips the message.
 *
 * Nothing here allocates, locks, formats text or makes a system call on
 * the decode path; the symbol table is built at startup.
 */
#ifndef KIMP_VENUE_H
#define KIMP_VENUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/venue_id.h"

/* ---- symbols ----------------------------------------------------------- */

#define VENUE_SYM_MAX      24     /* a venue symbol with its NUL */
#define VENUE_SYMS_MAX     512    /* instruments per venue table */
#define VENUE_SYM_NONE     UINT32_MAX
#define VENUE_DEC_MAX      18     /* decimals a scale may have */

struct venue_sym {
	char name[VENUE_SYM_MAX];  /* as the venue spells it (KRW-BTC, BTCUSDT) */
	char base[12];             /* the coin (BTC) */
	char quote[12];            /* KRW, USDT */
	uint8_t px_dec;            /* decimals of fixed-point prices */
	uint8_t qty_dec;           /* decimals of fixed-point sizes */
	uint32_t inst;             /* engine-wide instrument id (caller's) */
	uint32_t user;             /* caller's (feedd: its book slot) */
	uint64_t code;             /* the venue's numeric instrument id where its
				      orders need one (OKX instIdCode), 0 unknown;
				      the caller sets it after venue_symtab_add */
};

/*
 * A venue's instruments, looked up by name without regard to ASCII case
 * (Binance stream names are lower case, its payloads upper case). Caller
 * storage; fill it at startup.
 */
struct venue_symtab {
	uint8_t venue;             /* enum kimp_venue */
	uint32_t n;
	struct venue_sym sym[VENUE_SYMS_MAX];
	uint16_t hash[2 * VENUE_SYMS_MAX]; /* open addressing: index + 1, 0 empty */
};

void venue_symtab_init(struct venue_symtab *t, enum kimp_venue v);
/*
 * Add the instrument base/quote (the venue's symbol made by the venue's
 * rule) with its scales. Its index, or -EEXIST, -ENOSPC, -EINVAL (a scale
 * above VENUE_DEC_MAX, a name that does not fit, a venue without a rule).
 */
int venue_symtab_add(struct venue_symtab *t, const char *base, const char *quote,
		     uint8_t px_dec, uint8_t qty_dec, uint32_t inst) kimp_cold;
/* The index of name[0..len), or VENUE_SYM_NONE. */
uint32_t venue_symtab_find(const struct venue_symtab *t, const char *name, size_t len);

/* ---- decoded messages -------------------------------------------------- */

enum vd_kind {
	VD_NONE = 0,
	VD_BOOK,        /* a whole book (Upbit orderbook, Binance partial depth) */
	VD_DIFF,        /* changed levels, qty 0 = remove (Binance depthUpdate) */
	VD_SNAPSHOT,    /* a REST depth snapshot (Binance /api/v3/depth) */
	VD_BBO,         /* best bid and ask only (Binance bookTicker) */
	VD_TRADE,       /* one public trade */
	VD_TICKER,      /* a ticker: last price, best bid/ask where given */
	VD_CONTROL,     /* a subscribe reply, keepalive, status: no data */
	VD_SHUTDOWN,    /* the venue will close this connection soon */
	VD_VENUE_ERROR, /* the venue reported an error (text in err_*) */
	VD_KIND_MAX
};

/* Why a message was refused: counted by kind, the message skipped. */
enum vd_err {
	VD_OK = 0,
	VD_E_SYNTAX = 1,   /* not well-formed JSON, or truncated */
	VD_E_SHAPE = 2,    /* a field missing, repeated or of the wrong type */
	VD_E_NUMBER = 3,   /* not a number, out of range, finer than the scale */
	VD_E_SYMBOL = 4,   /* an instrument not in the table */
	VD_E_TYPE = 5,     /* a message or stream type the decoder does not know */
	VD_E_DEPTH = 6,    /* more levels than the caller's arrays hold */
	VD_E_MAX
};

struct vd_level {
	int64_t px;
	int64_t qty;
};

/*
 * The caller sets bids, asks and cap (levels each array holds) once; the
 * decoder fills the rest. Levels are best first for VD_BOOK and
 * VD_SNAPSHOT, in the venue's order for VD_DIFF. Padded empty levels
 * (price or size 0) are dropped from VD_BOOK and VD_SNAPSHOT (qty 0 in a
 * VD_DIFF means remove and is kept).
 */
struct vd_msg {
	uint8_t kind;            /* enum vd_kind */
	uint8_t venue;           /* enum kimp_venue */
	uint8_t snapshot;        /* the venue marked it a snapshot (Upbit SNAPSHOT) */
	uint8_t aggressor;       /* VD_TRADE: enum kimp_side of the taker, 0 unknown */
	uint32_t sym;            /* index in the symbol table, VENUE_SYM_NONE if none */
	int64_t venue_ts_ns;     /* event time, UTC ns (0: the message has none) */
	int64_t trade_ts_ns;     /* VD_TRADE / VD_TICKER: trade time, UTC ns */
	uint64_t first_id;       /* VD_DIFF: U; otherwise = last_id */
	uint64_t last_id;        /* VD_DIFF: u; VD_SNAPSHOT / partial: lastUpdateId;
				    VD_BBO: u; 0 when the venue gives none */
	uint64_t trade_id;       /* VD_TRADE: exact, above 2^53 too */
	int64_t px, qty;         /* VD_TRADE: the trade; VD_TICKER: last price, 0 */
	struct vd_level bid;     /* VD_BBO, and VD_TRADE/VD_TICKER where given */
	struct vd_level ask;     /* (0 / 0 when not given) */
	uint32_t nbids, nasks;
	uint32_t cap;            /* caller: levels each of bids/asks holds */
	struct vd_level *bids;   /* caller storage */
	struct vd_level *asks;
	uint64_t req_id;         /* VD_CONTROL: the request id it answers, 0 none */
	const char *sym_name;    /* the symbol as the message spelled it, where
				    one was read (also on VD_E_SYMBOL); points
				    into the input, NULL when none */
	uint32_t sym_name_len;
	const char *err_name;    /* VD_VENUE_ERROR: points into the input */
	uint32_t err_name_len;
	int32_t err_code;        /* VD_VENUE_ERROR: numeric code where given */
	int32_t checksum;        /* VD_BOOK / VD_DIFF: the venue's checksum of its
				    book after this message (OKX), 0 none: the
				    caller checks it with venue_md.book_checksum */
	uint8_t resync;          /* VD_DIFF: the venue says the sequence starts
				    over (OKX seqId < prevSeqId, Bybit u = 1): the
				    book must be synced afresh, not patched */
};

const char *vd_kind_name(unsigned kind);
const char *vd_err_name(unsigned err);

/* Reset everything but the caller's bids/asks/cap. */
static inline void vd_msg_reset(struct vd_msg *m)
{
	struct vd_level *b = m->bids, *a = m->asks;
	uint32_t cap = m->cap;
	*m = (struct vd_msg){ .sym = VENUE_SYM_NONE, .cap = cap, .bids = b, .asks = a };
}

/* ---- venues ------------------------------------------------------------ */

enum venue_book_mode {
	VENUE_BOOK_FULL = 1,   /* every frame is the whole book (Upbit) */
	VENUE_BOOK_DIFF = 2,   /* REST snapshot plus diff stream (Binance) */
	VENUE_BOOK_WS = 3,     /* the WebSocket sends a snapshot (VD_BOOK with
				  snapshot set) on subscribe, then diffs
				  (VD_DIFF, first_id/last_id chained); a new
				  snapshot is had by unsubscribing and
				  subscribing again (Bybit, OKX) */
};

/* Which streams a feed subscribes to. */
struct venue_sub {
	bool book;             /* the book (orderbook / diff depth) */
	bool bbo;              /* best bid/offer where separate (bookTicker) */
	bool trades;
	bool ticker;
	uint32_t depth;        /* levels wanted where the venue takes it (0: default) */
	uint32_t speed_ms;     /* diff speed where the venue offers a choice (100) */
	bool simple;           /* Upbit: the SIMPLE format */
};

/*
 * One venue's market-data facts and functions. Every string is the venue's;
 * nothing else in the engine names a venue.
 */
/*
 * Trading rules of one instrument, resolved once at startup (stratd and
 * riskd round and check every price and size against them). Prices at the
 * instrument's px_dec decimals, sizes at qty_dec, notionals in the quote
 * currency at px_dec.
 */
struct venue_inst_rules {
	int64_t tick;              /* a flat price unit, or 0: tick_at decides */
	/* the price unit at px (a banded table, Upbit KRW); NULL with a flat tick */
	int64_t (*tick_at)(int64_t px, unsigned px_dec);
	int64_t step;              /* quantity unit, 0: unknown (config must say) */
	int64_t min_qty, max_qty;  /* 0: none */
	int64_t min_notional;      /* 0: none */
	int64_t max_notional;      /* 0: none */
};

/* The price unit of r at px: > 0, or 0 when neither a flat tick nor a table. */
static inline int64_t venue_tick(const struct venue_inst_rules *r, int64_t px, unsigned px_dec)
{
	return r->tick ? r->tick : r->tick_at ? r->tick_at(px, px_dec) : 0;
}

struct venue_md {
	uint8_t venue;               /* enum kimp_venue */
	const char *name;            /* "upbit": config sections, captures, JSON */
	const char *ws_url;          /* the production public WebSocket's origin
					(scheme, host, port): ws_target adds the rest */
	const char *rest_url;        /* the production REST base */
	const char *quote;           /* the quote currency of its spot books (KRW) */
	enum venue_book_mode book_mode;
	bool binary_frames;          /* data comes in binary frames (Upbit, H1) */
	const char *ping_text;       /* a text keepalive to send, or NULL */
	uint64_t ping_every_ns;      /* how often the client keeps alive (0: never) */
	uint64_t conn_life_ns;       /* the venue closes a connection after (0: never) */
	uint64_t stale_after_ns;     /* default quiet limit for a book */
	uint32_t streams_max;        /* streams per connection (0: no limit) */
	uint32_t snapshot_limit;     /* default REST snapshot depth (DIFF mode) */
	/* The venue symbol for base/quote: its length, or -ENOSPC / -EINVAL. */
	/* (split, the inverse, is below) */
	int (*symbol)(const char *base, const char *quote, char *out, size_t cap);
	/*
	 * The WebSocket request target (path and query) that carries 'sub'
	 * for syms[0..n) of t: its length, -ENOSPC, or -E2BIG when it would
	 * pass streams_max (split the symbols over connections).
	 */
	int (*ws_target)(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			 const struct venue_sub *sub, char *out, size_t cap);
	/*
	 * Part 'part' (0, 1, ...) of what to send once the socket is open
	 * (Upbit's request array, a fresh ticket from 'ticket'; Coinone one
	 * topic a message; Bybit at most 10 args a message): its length, 0
	 * when there is no such part (part 0: the venue needs none), or
	 * -ENOSPC.
	 */
	int (*ws_subscribe)(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			    const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
			    size_t cap);
	/*
	 * VENUE_BOOK_WS: part 'part' of the message(s) that end the book
	 * streams of syms[0..n) (sub.book only), sent before subscribing them
	 * again for a fresh snapshot. As ws_subscribe. NULL otherwise.
	 */
	int (*ws_unsubscribe)(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			      const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
			      size_t cap);
	/* The REST target of a depth snapshot of sym (DIFF mode), or -ENOTSUP. */
	int (*snapshot_target)(const struct venue_symtab *t, uint32_t sym, uint32_t limit,
			       char *out, size_t cap);
	/*
	 * The inverse of symbol: base and quote (each cap bytes) of the venue
	 * symbol name[0..len). 0 or -EINVAL. May be NULL.
	 */
	int (*split)(const char *name, size_t len, char *base, char *quote, size_t cap);
	/* Decode one WebSocket message: 0 (m filled) or -enum vd_err. */
	int (*decode)(const struct venue_symtab *t, const uint8_t *p, size_t len,
		      struct vd_msg *m);
	/* Decode a REST depth snapshot of sym: 0 (VD_SNAPSHOT) or -enum vd_err. */
	int (*decode_snapshot)(const struct venue_symtab *t, uint32_t sym, const uint8_t *p,
			       size_t len, struct vd_msg *m);
	/*
	 * The venue's checksum of a book (best first, at most the venue's
	 * depth of it read: OKX the top 25 a side) with prices at px_dec and
	 * sizes at qty_dec, to compare with vd_msg.checksum. NULL when the
	 * venue has none. Pure; writes its text on the stack.
	 */
	int32_t (*book_checksum)(const struct vd_level *bids, uint32_t nb,
				 const struct vd_level *asks, uint32_t na, unsigned px_dec,
				 unsigned qty_dec);
	uint32_t checksum_depth;     /* levels a side book_checksum reads (OKX 25) */

	/* ---- trading ---- */
	const char *taker_fee;       /* default fee rates, decimal strings ("0.0005") */
	const char *maker_fee;
	/*
	 * The venue's published rules for base/quote at the given scales
	 * (what its instrument endpoint would say for the symbols it lists):
	 * 0, or -ENOENT when the venue has no rule known here for that symbol
	 * (out keeps what is known venue-wide, such as the minimum notional;
	 * the configuration must give the rest), -ERANGE when a rule does not
	 * fit the scales.
	 */
	int (*inst_rules)(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			  struct venue_inst_rules *out);
};

/*
 * A decimal string ("0.0005", "1e-8", "5000") as fixed point with dec
 * decimals: 0, or -EINVAL (not a number, or finer than dec).
 */
int venue_fixed(const char *s, unsigned dec, int64_t *out);

/* The table for v, or NULL when libvenue has no market data for it. */
const struct venue_md *venue_md_get(enum kimp_venue v);
/* By name ("upbit"), or NULL. */
const struct venue_md *venue_md_by_name(const char *name);
/* "upbit, bithumb, ...": the venues with market data, into buf (for messages). */
const char *venue_md_names(char *buf, size_t cap) kimp_cold;

extern const struct venue_md venue_md_upbit;
extern const struct venue_md venue_md_bithumb;
extern const struct venue_md venue_md_coinone;
extern const struct venue_md venue_md_binance;
extern const struct venue_md venue_md_bybit;
extern const struct venue_md venue_md_okx;

#endif
