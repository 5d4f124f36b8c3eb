/* SPDX-License-Identifier: MIT */
/*
 * exsim, the exchange simulator: the types its modules share.
 *
 *   rng.c       xoshiro256** streams and normal variates (deterministic)
 *   market.c    the price model (global mid random walks, the KRW/USDT rate,
 *               a mean-reverting premium with jumps) and the books it moves
 *   oppo.c      the opportunity log: when a fee-covering premium deviation
 *               with enough quantity existed
 *   match.c     accounts, orders, matching against the books, fees
 *   ledger.c    ground truth: every order, fill, fee and balance change
 *   trace.c     the latency trace (--trace): market frames sent, orders
 *               received, with their TSC
 *   scenario.c  the scenario file (market, venues, accounts, faults)
 *   fault.c     scripted and run-time faults
 *   certs.c     the CA and server certificate exsim makes (or reuses)
 *   jsonw.c     JSON writing, with each venue's number formats
 *   jsonr.c     a small JSON reader for requests (not a hot path)
 *   server.c    listeners (REST, WebSocket, control), connection slots,
 *               the step and publish timers, deferred order handling
 *   replay.c    replays a recorded capture
 *   venue_*.c   one file per venue: its table and its few functions
 *   main.c      wires the above
 *
 * Units: every price, quantity and amount inside exsim is an int64 count of
 * 1e-8 (SIM_SCALE per unit), whatever the venue's own decimals; notional
 * (price x quantity) is computed in __int128 and brought back to 1e-8.
 * Venue formats are applied only when writing JSON.
 *
 * exsim is one thread around one net_loop. Storage is made at startup.
 */
#ifndef KIMP_SIM_H
#define KIMP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_SCALE       100000000LL     /* 1e-8 units per unit */
typedef int64_t sim_fx;

#define SIM_MAX_VENUES   6
#define SIM_MAX_COINS    16
#define SIM_MAX_INSTS    64              /* per exchange, all venues */
#define SIM_VENUE_INSTS  32              /* per venue (subscription bitmaps) */
#define SIM_MAX_ACCOUNTS 16              /* all venues */
#define SIM_MAX_ASSETS   24
#define SIM_BOOK_MAX     1000            /* levels a side */
#define SIM_SYM_MAX      24
#define SIM_CID_MAX      72              /* client order id, with NUL */
#define SIM_KEY_MAX      128             /* API key or secret, with NUL */

/* (a * b) / SIM_SCALE, truncated toward zero: price x quantity = notional. */
static inline sim_fx sim_mul(sim_fx a, sim_fx b)
{
	return (sim_fx)(((__int128)a * b) / SIM_SCALE);
}

/* (a * SIM_SCALE) / b, truncated: notional / price = quantity. */
static inline sim_fx sim_div(sim_fx a, sim_fx b)
{
	return (sim_fx)(((__int128)a * SIM_SCALE) / b);
}

/* ---- rng.c ------------------------------------------------------------------ */

struct sim_rng {
	uint64_t s[4];
};

/* Seed from (seed, stream): distinct streams are independent. */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_u64(struct sim_rng *r);
double sim_rng_unit(struct sim_rng *r);          /* [0, 1) */
double sim_rng_normal(struct sim_rng *r);        /* N(0, 1) */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n); /* [0, n) */

/* ---- the scenario (scenario.c fills it; everything else reads it) ----------- */

enum sim_venue_kind { SIM_KRW = 0, SIM_USDT = 1 };

struct sim_coin_cfg {
	char name[12];          /* "BTC" */
	double start_usdt;      /* global mid at start, USDT */
	double vol;             /* annualised volatility of the global mid */
	double krw_vol_bps;     /* extra per-venue noise on a KRW venue (bp, per step) */
	double depth_usdt;      /* notional near the top of each book side, USDT */
};

struct sim_premium_cfg {
	double mean;            /* long-run premium, e.g. 0.02 = 2% */
	double vol;             /* per sqrt(second) */
	double revert;          /* mean reversion rate, 1/s */
	double jump_rate;       /* jumps per second */
	double jump_size;       /* jump standard deviation */
};

/* One venue, as the scenario configures it. */
struct sim_venue_cfg {
	char name[16];          /* "upbit", "binance" */
	bool enabled;
	uint16_t rest_port;     /* 0: any free port */
	uint16_t ws_port;
	uint16_t api_port;      /* WebSocket API (Binance), 0: any */
	uint64_t order_latency_ns;      /* order path: arrival to matching */
	uint64_t publish_ns;    /* book publishing period (Upbit 100 ms grid) */
	uint32_t depth;         /* levels a side in the simulated book */
	double maker_fee;       /* 0.0005 = 0.05% */
	double taker_fee;
	uint64_t recv_window_ms;        /* Binance default recvWindow */
	bool rate_limits;       /* false: no request/order rate limits (benches) */
};

struct sim_account_cfg {
	char venue[16];
	char key[SIM_KEY_MAX];
	char secret[SIM_KEY_MAX];
	/* starting balances: asset name and amount, 1e-8 units */
	uint32_t nbal;
	struct {
		char asset[12];
		sim_fx amount;
	} bal[SIM_MAX_ASSETS];
};

enum sim_fault_kind {
	SIM_FAULT_NONE = 0,
	SIM_FAULT_DISCONNECT,   /* close every connection of the venue (or one kind) */
	SIM_FAULT_STALL,        /* connections stay open, no data for 'duration' */
	SIM_FAULT_GAP,          /* skip update ids in the next depth diff (Binance) */
	SIM_FAULT_MALFORMED,    /* the next 'count' market messages are not JSON */
	SIM_FAULT_TRUNCATE,     /* the next 'count' market messages are cut short */
	SIM_FAULT_DROP_RESPONSE,/* the next 'count' orders are accepted, no response */
	SIM_FAULT_DELAY,        /* add 'delay' to every response for 'duration' */
	SIM_FAULT_HTTP_5XX,     /* the next 'count' REST requests get 503 (orders: after matching) */
	SIM_FAULT_BURST_429,    /* every REST/API request gets 429 for 'duration' */
	SIM_FAULT_CLOCK_SKEW,   /* the venue's clock is off by 'skew_ms' from now on */
	SIM_FAULT_BAN,          /* the next request gets 418, and all for 'duration' after */
	SIM_FAULT_KIND_COUNT,
};

struct sim_fault {
	enum sim_fault_kind kind;
	char venue[16];         /* "" = every venue */
	uint64_t at_ns;         /* since start (scripted); 0 = now (run time) */
	uint64_t duration_ns;
	uint64_t delay_ns;
	uint32_t count;
	int64_t skew_ms;
};

#define SIM_MAX_FAULTS 64

struct sim_scenario {
	char path[256];         /* "" when the built-in defaults are used */
	uint64_t seed;
	uint64_t step_ns;       /* model step (default 10 ms) */
	double usdkrw_start;    /* KRW per USDT at start */
	double usdkrw_vol;      /* annualised */
	struct sim_premium_cfg premium;
	uint32_t ncoins;
	struct sim_coin_cfg coins[SIM_MAX_COINS];
	uint32_t nvenues;
	struct sim_venue_cfg venues[SIM_MAX_VENUES];
	uint32_t naccounts;
	struct sim_account_cfg accounts[SIM_MAX_ACCOUNTS];
	uint32_t nfaults;
	struct sim_fault faults[SIM_MAX_FAULTS];
	/* load: market messages per second per venue, 0 = natural rate */
	uint64_t load_rate;
	/* opportunity log: margin above fees, and the reference size in USDT */
	double oppo_margin;
	double oppo_size_usdt;
	/* files */
	char state_dir[256];    /* certificates, ledger, listen file */
	char ledger_path[256];  /* "" = state_dir/ledger.jsonl */
	char replay_path[256];  /* "" = no replay */
	char trace_path[256];   /* "" = no trace (trace.c) */
	double replay_speed;    /* 1 = recorded pace; 0 = as fast as possible */
	bool control;           /* the run-time control listener */
	uint16_t control_port;
};

/*
 * Load 'path' (NULL: defaults only). 0, or -EINVAL with "FILE:LINE: key
 * 'section.key': why" in err. Unknown sections and keys are errors.
 */
int sim_scenario_load(struct sim_scenario *sc, const char *path, char *err,
		      size_t errlen);
/* The built-in defaults: BTC, ETH, XRP on upbit and binance, seed 1. */
void sim_scenario_defaults(struct sim_scenario *sc);
/* Parse one fault from "kind=gap venue=binance count=1 ..." (control). */
int sim_fault_parse(struct sim_fault *f, const char *text, char *err, size_t errlen);
const char *sim_fault_name(enum sim_fault_kind k);

/* ---- books and instruments (market.c) ------------------------------------------ */

enum sim_side { SIM_BID = 0, SIM_ASK = 1 };     /* book side; order side BUY = BID */

struct sim_level {
	sim_fx px;
	sim_fx qty;
};

/* One side: best first (bids descending, asks ascending); n levels. */
struct sim_book_side {
	uint32_t n;
	struct sim_level *lv;   /* SIM_BOOK_MAX, made at startup */
	/*
	 * market.c: lv points into base[0..cap) and moves in it, so that adding
	 * or removing the best level is O(1) (readers use lv[0..n) only).
	 * base NULL: lv is a plain array of at least depth + 1 levels.
	 */
	struct sim_level *base;
	uint32_t cap;
};

struct sim_book {
	struct sim_book_side side[2];
};

/* A level whose quantity changed (qty 0: removed), in this publish period. */
struct sim_change {
	uint8_t side;
	sim_fx px;
	sim_fx qty;
};

/* A trade printed in this publish period. */
struct sim_trade {
	uint64_t id;            /* per instrument, from 1 */
	sim_fx px;
	sim_fx qty;
	uint8_t taker_side;     /* SIM_BID: taker bought */
	uint64_t ts_ms;
};

#define SIM_COIN_FX (-1)        /* the instrument is the KRW-USDT rate */

/*
 * A book as its venue last published it (control's GET /book reports it):
 * the venue's publish takes it with sim_inst_view whenever a frame of the
 * book goes out (or would, were anyone subscribed), so between frames it
 * lags the live book. Levels best first, at most SIM_BOOK_MAX a side, in
 * storage made with the instrument (lv NULL: an instrument made by hand,
 * which keeps no view).
 */
struct sim_book_view {
	uint64_t update_id;     /* the venue's id of that state (Binance u), or 0 */
	uint64_t ts_ms;         /* venue time of that frame */
	uint32_t n[2];
	struct sim_level *lv[2];
};

struct sim_inst {
	uint16_t id;            /* index in the market's instrument table */
	uint8_t venue;          /* index in the scenario's venues */
	uint8_t vidx;           /* index among the venue's instruments */
	int16_t coin;           /* index in the scenario's coins, or SIM_COIN_FX */
	char sym[SIM_SYM_MAX];  /* as the venue writes it: "KRW-BTC", "BTCUSDT" */
	char base[12], quote[12];
	uint8_t base_asset, quote_asset; /* asset ids (sim_asset_id) */
	/* rules; the venue file sets them */
	sim_fx tick;            /* 0: tick_fn */
	sim_fx (*tick_fn)(sim_fx px);
	sim_fx step;            /* quantity step */
	sim_fx min_qty, max_qty;
	sim_fx min_notional, max_notional; /* quote units; 0 = none */
	uint8_t px_decimals, qty_decimals; /* as the venue prints them */
	uint32_t depth;         /* levels kept a side */
	/* state */
	struct sim_book book;
	uint64_t update_id;     /* id of the last change (Binance U/u space) */
	uint64_t first_id;      /* id of the first change since the last drain, 0: none */
	uint32_t nchg;
	struct sim_change *chg; /* changes since the last drain (deduplicated) */
	uint32_t chg_cap;
	uint32_t ntrades;
	struct sim_trade *trades;
	uint32_t trade_cap;
	uint64_t next_trade_id;
	bool top_changed;       /* best bid or ask (price or size) changed */
	uint64_t book_ts_ms;    /* venue time of the last change */
	/* day statistics for tickers */
	sim_fx open_px, high_px, low_px, last_px, prev_close;
	sim_fx acc_volume, acc_quote;
	uint8_t last_taker;
	/*
	 * market.c: an index of chg by (side, price) for deduplication (open
	 * addressing, chg index + 1, 0 empty; chg_hmask + 1 slots; NULL: a
	 * linear search), and what did not fit since the last drain: when
	 * chg_lost is not 0 the change log is incomplete (update ids still
	 * advanced), so a diff publisher must make its consumers resync.
	 */
	uint32_t *chg_hash;
	uint32_t chg_hmask;
	uint32_t chg_lost;
	uint32_t trade_lost;
	struct sim_book_view view;      /* as last published (see above) */
};

struct sim_market {
	const struct sim_scenario *sc;
	uint64_t steps;
	double t_s;             /* model time, seconds */
	double usdkrw;          /* the rate */
	double premium;         /* the common premium */
	double mid_usdt[SIM_MAX_COINS];
	double krw_noise[SIM_MAX_VENUES][SIM_MAX_COINS];
	struct sim_rng rng_fx, rng_prem;
	struct sim_rng rng_coin[SIM_MAX_COINS];
	struct sim_rng rng_inst[SIM_MAX_INSTS];
	uint32_t ninsts;
	struct sim_inst inst[SIM_MAX_INSTS];
	uint64_t now_ms;        /* venue time of the current step */
};

/*
 * Set the market up from the scenario; instruments come from
 * sim_market_add_inst (called by each venue's setup) and books are built
 * by sim_market_start. 0 or -ENOMEM.
 */
int sim_market_init(struct sim_market *m, const struct sim_scenario *sc);
void sim_market_free(struct sim_market *m);
/* A new instrument for venue 'venue' (coin index or SIM_COIN_FX). NULL when full. */
struct sim_inst *sim_market_add_inst(struct sim_market *m, uint8_t venue, int coin,
				     const char *sym, const char *base, const char *quote);
/* Build every book around its fair mid. */
void sim_market_start(struct sim_market *m, uint64_t now_ms);
/*
 * One model step of sc->step_ns: mids, rate and premium move, books follow
 * (changes and trades appended to each instrument). Deterministic: the
 * same scenario and the same sequence of calls (steps and takes) give the
 * same books, changes and trades. now_ms only stamps them.
 */
void sim_market_step(struct sim_market *m, uint64_t now_ms);
/* The fair mid of an instrument now (its quote currency). */
double sim_market_fair(const struct sim_market *m, const struct sim_inst *in);
/* Set a level's quantity (0 removes), recording the change. */
void sim_inst_set(struct sim_inst *in, unsigned side, sim_fx px, sim_fx qty);
/* Record a trade (the matching engine's fills print here too). */
void sim_inst_trade(struct sim_inst *in, sim_fx px, sim_fx qty, unsigned taker_side,
		    uint64_t ts_ms);
/* Forget the changes and trades since the last drain (after publishing). */
void sim_inst_drain(struct sim_inst *in);
/* Anything recorded since the last drain (changes, lost changes, trades)? */
bool sim_inst_pending(const struct sim_inst *in);
/*
 * Take the book as published now into in->view: the top 'levels' of each
 * side (0: every level), stamped with update_id and ts_ms. Copies, no
 * allocation; nothing when the instrument keeps no view.
 */
void sim_inst_view(struct sim_inst *in, uint32_t levels, uint64_t update_id, uint64_t ts_ms);
/* Round px to the instrument's tick (down for bids, up for asks). */
sim_fx sim_inst_round_px(const struct sim_inst *in, sim_fx px, unsigned side);
sim_fx sim_inst_tick_at(const struct sim_inst *in, sim_fx px);
/* Quantity available on 'side' at prices no worse than limit (0: any). */
sim_fx sim_book_avail(const struct sim_inst *in, unsigned side, sim_fx limit);
/* A venue's kind by its name: "upbit", "bithumb", "coinone" are KRW, others USDT. */
enum sim_venue_kind sim_venue_name_kind(const char *name);

/* ---- assets ---------------------------------------------------------------- */

/* The id of asset 'name' ("KRW", "BTC"), added on first use; -1 when full. */
int sim_asset_id(const char *name);
const char *sim_asset_name(unsigned id);

/* ---- accounts, orders and matching (match.c) ----------------------------------- */

enum sim_ord_type {
	SIM_ORD_LIMIT = 0,
	SIM_ORD_MARKET,         /* by base quantity */
	SIM_ORD_MARKET_QUOTE,   /* spend (buy) or receive (sell) this much quote */
	SIM_ORD_BEST,           /* Upbit 'best': IOC/FOK at the best prices */
};

enum sim_tif {
	SIM_GTC = 0,
	SIM_IOC,
	SIM_FOK,
	SIM_POST_ONLY,          /* Upbit post_only, Binance LIMIT_MAKER */
};

enum sim_ord_status {
	SIM_ST_NEW = 0,         /* resting, nothing filled */
	SIM_ST_PARTIAL,         /* resting, part filled */
	SIM_ST_FILLED,
	SIM_ST_CANCELED,        /* cancelled by request (maybe part filled) */
	SIM_ST_EXPIRED,         /* IOC/FOK remainder, market order leftover */
	SIM_ST_REJECTED,
};

/* Why an order was refused; each venue maps these to its own error bodies. */
enum sim_reject {
	SIM_OK = 0,
	SIM_REJ_FUNDS,          /* insufficient balance */
	SIM_REJ_TICK,           /* price not on the tick */
	SIM_REJ_STEP,           /* quantity not on the step */
	SIM_REJ_MIN_QTY,
	SIM_REJ_MAX_QTY,
	SIM_REJ_MIN_NOTIONAL,
	SIM_REJ_MAX_NOTIONAL,
	SIM_REJ_PRICE_RANGE,    /* outside the venue's price band */
	SIM_REJ_WOULD_TAKE,     /* post-only that would match */
	SIM_REJ_FOK,            /* FOK that cannot fill whole (expired, not rejected, on most venues) */
	SIM_REJ_DUP_CID,
	SIM_REJ_NO_MARKET,
	SIM_REJ_BAD_PARAM,
	SIM_REJ_TOO_MANY_ORDERS,
	SIM_REJ_COUNT,
};

enum sim_fee_rule {
	SIM_FEE_QUOTE = 0,      /* always in the quote asset (Upbit, Bithumb) */
	SIM_FEE_RECEIVED,       /* in the asset received (Binance) */
};

/* How a venue runs its books and accounts. */
struct sim_venue_rules {
	double maker_fee, taker_fee;
	enum sim_fee_rule fee_rule;
	bool lock_fee;          /* a buy locks price x qty x (1 + taker fee) (Upbit) */
	bool cid_forever;       /* a client id may never repeat (Upbit), else not
				 * among open orders (Binance) */
	bool fok_rejects;       /* an unfillable FOK is rejected, not expired */
	uint32_t max_open;      /* open orders per account and instrument (0: none) */
};

struct sim_account {
	uint8_t id;
	uint8_t venue;
	char key[SIM_KEY_MAX];
	char secret[SIM_KEY_MAX];
	size_t secret_len;
	sim_fx free[SIM_MAX_ASSETS];
	sim_fx locked[SIM_MAX_ASSETS];
	uint64_t balance_ts_ms; /* last change */
};

struct sim_order {
	uint64_t id;            /* the venue's order id, from 1 per venue */
	char cid[SIM_CID_MAX];  /* the client's id ("" when none given) */
	char uuid[40];          /* a uuid made from (venue, id), for venues that use them */
	uint16_t inst;
	uint8_t acct;
	uint8_t side;           /* SIM_BID = buy */
	uint8_t type;           /* enum sim_ord_type */
	uint8_t tif;            /* enum sim_tif */
	uint8_t status;         /* enum sim_ord_status */
	uint8_t reject;         /* enum sim_reject */
	bool open;              /* resting on the book */
	sim_fx px;              /* limit price (0 for market) */
	sim_fx qty;             /* base quantity (0 for market by quote) */
	sim_fx quote_qty;       /* SIM_ORD_MARKET_QUOTE / Upbit 'price' orders */
	sim_fx filled;          /* base filled */
	sim_fx filled_quote;    /* quote filled */
	sim_fx fee;             /* paid so far */
	uint8_t fee_asset;
	sim_fx reserved_fee;    /* locked for fees at entry (lock_fee venues) */
	sim_fx locked;          /* still locked */
	uint32_t ntrades;
	uint64_t recv_ns;       /* arrival (CLOCK_REALTIME ns) */
	uint64_t created_ms, updated_ms;
};

/* One fill of one order. */
struct sim_fill {
	uint64_t trade_id;      /* the instrument's trade id */
	uint64_t exec_id;       /* per venue, from 1 */
	sim_fx px, qty, quote;
	sim_fx fee;
	uint8_t fee_asset;
	bool maker;
	uint64_t ts_ms;
};

/* An order as a venue decoded it, before checks. */
struct sim_order_req {
	uint16_t inst;
	uint8_t acct;
	uint8_t side, type, tif;
	sim_fx px, qty, quote_qty;
	char cid[SIM_CID_MAX];
	uint64_t recv_ns;
};

/* What the matching engine tells the venue layer. */
struct sim_match_ops {
	/* an order changed: accepted, filled (f set), cancelled, expired */
	void (*on_order)(void *ctx, const struct sim_order *o, const struct sim_fill *f);
	/* an account's balance of 'asset' changed */
	void (*on_balance)(void *ctx, const struct sim_account *a, unsigned asset);
};

#define SIM_MAX_ORDERS (1u << 16)       /* kept per exchange; oldest closed reused */

struct sim_ledger;
struct sim_match_idx;

struct sim_exch {
	struct sim_market *m;
	struct sim_ledger *ledger;
	struct sim_venue_rules rules[SIM_MAX_VENUES];
	uint32_t naccts;
	struct sim_account acct[SIM_MAX_ACCOUNTS];
	struct sim_order *orders;       /* SIM_MAX_ORDERS */
	uint32_t norders;
	uint64_t next_order_id[SIM_MAX_VENUES];
	uint64_t next_exec_id[SIM_MAX_VENUES];
	const struct sim_match_ops *ops;
	void *ctx;
	uint64_t stats_orders, stats_fills, stats_rejects;
	/* CLOCK_REALTIME ns at which each venue (scenario order) last handed a
	 * market frame to a connection (server.c), 0 when never: the ledger's
	 * order line says how old every feed was when the order arrived */
	uint64_t md_sent_ns[SIM_MAX_VENUES];
	struct sim_trace *trace;        /* NULL: no trace (the default) */
	struct sim_match_idx *idx;      /* match.c's lookup tables, open list and
					 * scratch (made at init, private) */
};

int sim_exch_init(struct sim_exch *x, struct sim_market *m, struct sim_ledger *lg);
void sim_exch_free(struct sim_exch *x);
/* Add the scenario's accounts (after the venues set up their rules). */
int sim_exch_accounts(struct sim_exch *x, const struct sim_scenario *sc);
struct sim_account *sim_exch_account_by_key(struct sim_exch *x, unsigned venue,
					    const char *key, size_t len);
/*
 * Check and match an order now. Returns SIM_OK with *out the order (which
 * may already be filled, expired or resting), or a rejection (the order is
 * recorded as rejected in the ledger; *out is it, or NULL for a duplicate
 * client id). ops->on_order / on_balance are called for every change.
 */
enum sim_reject sim_exch_submit(struct sim_exch *x, const struct sim_order_req *r,
				struct sim_order **out);
/* Cancel an open order: 0, or -ENOENT when it is not open. */
int sim_exch_cancel(struct sim_exch *x, struct sim_order *o);
struct sim_order *sim_exch_find_id(struct sim_exch *x, unsigned venue, uint64_t id);
struct sim_order *sim_exch_find_cid(struct sim_exch *x, unsigned acct, const char *cid);
struct sim_order *sim_exch_find_uuid(struct sim_exch *x, unsigned venue, const char *uuid);
/* Open orders of an account (inst -1: all), into out[0..cap); returns the count. */
uint32_t sim_exch_open_orders(struct sim_exch *x, unsigned acct, int inst,
			      struct sim_order **out, uint32_t cap);
/* After a market step: resting orders the market crossed fill as makers. */
void sim_exch_after_step(struct sim_exch *x);

/* ---- ledger.c ----------------------------------------------------------------- */

/*
 * The ground truth, one JSON object per line, flushed at every write so
 * tests and the chaos suite read it while exsim runs:
 *   {"ev":"order","t":<ns>,"venue":..,"acct":..,"cid":..,"id":..,"sym":..,
 *    "side":"buy","type":..,"tif":..,"px":"..","qty":"..","quote_qty":"..",
 *    "result":"accepted"|"rejected","reject":".."}
 *   {"ev":"fill", ..., "px","qty","quote","fee","fee_asset","maker"}
 *   {"ev":"cancel"|"expire", ...}
 *   {"ev":"balance","t":..,"venue":..,"acct":..,"asset":..,"free":"..","locked":"..",
 *    "delta_free":"..","delta_locked":".."}
 *   {"ev":"opportunity", ...}  (see oppo.c)
 *   {"ev":"fault", ...}
 * Amounts are decimal strings with 8 decimals.
 */
struct sim_ledger *sim_ledger_open(const char *path);
void sim_ledger_close(struct sim_ledger *lg);
void sim_ledger_order(struct sim_ledger *lg, const struct sim_exch *x,
		      const struct sim_order *o, const char *what);
void sim_ledger_fill(struct sim_ledger *lg, const struct sim_exch *x,
		     const struct sim_order *o, const struct sim_fill *f);
void sim_ledger_balance(struct sim_ledger *lg, const struct sim_exch *x,
			const struct sim_account *a, unsigned asset, sim_fx dfree,
			sim_fx dlocked);
/* A free-form event: 'json' is the rest of the object after "ev" and "t". */
void sim_ledger_event(struct sim_ledger *lg, const char *ev, const char *json);
/* "-12.34000000" into out (>= 24 bytes); returns the length. */
int sim_fx_str(sim_fx v, char *out);
/* Names as the ledger writes them ("funds", "would_take"; "" for SIM_OK;
 * "partial", "expired"): static strings. */
const char *sim_reject_name(unsigned r);
const char *sim_ord_status_name(unsigned s);

/* ---- trace.c ------------------------------------------------------------------ */

/*
 * The latency trace (exsim --trace PATH, [exsim] trace = PATH): what the
 * engine's wire-to-wire latency is measured from, as exsim sees it. A
 * binary file of fixed 64-byte records, little-endian, this machine's
 * TSC (kimp_rdtsc, the clock the engine stamps): record 0 is the header
 * (struct sim_trace_hdr), then one struct sim_trace_rec per event:
 *   SIM_TRACE_MD     a market frame handed to a connection (TSC just
 *                    before the send; one per connection it goes to)
 *   SIM_TRACE_ORDER  an order request received and parsed (TSC when the
 *                    bytes that completed it were reaped), with its
 *                    client order id
 * Records go through a buffer written out when full and at close; a
 * write error is kept (sim_trace_error) and what follows is dropped.
 * Off (x->trace NULL) it costs the hooks one branch.
 */
#define SIM_TRACE_MAGIC   "KIMPTRC1"
#define SIM_TRACE_VERSION 1u
#define SIM_TRACE_MD      1u
#define SIM_TRACE_ORDER   2u
#define SIM_TRACE_CID     40            /* cid bytes kept (longer ones cut) */
#define SIM_TRACE_BUF     4096          /* records buffered by default */

struct sim_trace_hdr {
	char magic[8];          /* SIM_TRACE_MAGIC, no NUL */
	uint32_t version;       /* SIM_TRACE_VERSION */
	uint32_t rec_size;      /* 64 */
	uint64_t tsc_hz;        /* measured at open: ticks per second */
	uint64_t start_tsc;     /* the TSC at ... */
	uint64_t start_real_ns; /* ... this CLOCK_REALTIME */
	uint8_t venue_id[8];    /* scenario venue index -> enum kimp_venue */
	uint8_t pad[16];
};

struct sim_trace_rec {
	uint8_t kind;           /* SIM_TRACE_* */
	uint8_t venue;          /* enum kimp_venue (0: not one the engine knows) */
	uint8_t cid_len;        /* ORDER: the cid's whole length (may exceed SIM_TRACE_CID) */
	uint8_t pad[5];
	uint64_t tsc;
	uint64_t seq;           /* 1, 2, ... in the order recorded */
	char cid[SIM_TRACE_CID]; /* ORDER: the client order id, NUL-padded */
};

struct sim_trace;

/*
 * Create (truncate) path and write the header: venues named as in sc
 * (upbit, binance) get their enum kimp_venue. buf_recs records are
 * buffered (0: SIM_TRACE_BUF). *out is the caller's until sim_trace_close.
 * 0 or -errno (-EINVAL for an empty path). Cold: it calibrates the TSC.
 */
int sim_trace_open(struct sim_trace **out, const char *path, const struct sim_scenario *sc,
		   uint32_t buf_recs);
/* Record a market frame of scenario venue idx at tsc. No syscall unless the buffer is full. */
void sim_trace_md(struct sim_trace *t, unsigned idx, uint64_t tsc);
/* Record an order of scenario venue idx received at tsc with client id cid ("" none). */
void sim_trace_order(struct sim_trace *t, unsigned idx, uint64_t tsc, const char *cid);
/* Write out what is buffered: 0 or the first write error (-errno), kept. */
int sim_trace_flush(struct sim_trace *t);
/* Records taken so far (written or buffered), and the first error (0: none). */
uint64_t sim_trace_count(const struct sim_trace *t);
int sim_trace_error(const struct sim_trace *t);
/* Flush, close and free t (NULL is fine): 0 or the first error. */
int sim_trace_close(struct sim_trace *t);

/* ---- oppo.c ------------------------------------------------------------------- */

/*
 * After each step, for each coin and each (KRW venue, USDT venue) pair:
 * the executable premium both ways for oppo_size_usdt (walking the books,
 * converted at the KRW-USDT book's mid), its running mean, and whether the
 * deviation covers both taker fees plus oppo_margin with at least the
 * reference size available. An opportunity is logged when it opens and
 * when it closes (with its peak, duration and whether it was captured).
 */
struct sim_oppo;
struct sim_oppo *sim_oppo_new(const struct sim_exch *x, struct sim_ledger *lg);
void sim_oppo_free(struct sim_oppo *o);
void sim_oppo_step(struct sim_oppo *o, uint64_t now_ms);
uint64_t sim_oppo_count(const struct sim_oppo *o);

/*
 * Captured opportunities: both legs filled the way the opportunity pays
 * (sell_krw: a sell on the KRW venue and a buy on the USDT venue; buy_krw
 * the reverse) while it was open or within the grace after it closed.
 * sim_oppo_fill takes every fill of the matching engine (o, ord, f may be
 * NULL: nothing); the fill's ts_ms is its time. The close event in the
 * ledger carries "captured" and is written once that is known (at most
 * the grace after the close). The grace is SIM_OPPO_GRACE_MS until set.
 */
#define SIM_OPPO_GRACE_MS 1000
void sim_oppo_fill(struct sim_oppo *o, const struct sim_order *ord, const struct sim_fill *f);
uint64_t sim_oppo_captured(const struct sim_oppo *o);
void sim_oppo_set_grace(struct sim_oppo *o, uint64_t grace_ms);

/* ---- jsonw.c ------------------------------------------------------------------ */

/* An output buffer; writes past cap set 'over' and are dropped. */
struct jw {
	char *p;
	size_t cap, len;
	bool over;
};

static inline void jw_init(struct jw *w, char *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->over = false;
}

void jw_raw(struct jw *w, const char *s, size_t n);
void jw_lit(struct jw *w, const char *s);                /* strlen */
void jw_str(struct jw *w, const char *s);                /* "escaped" */
void jw_key(struct jw *w, const char *k);                /* "k": */
void jw_i64(struct jw *w, int64_t v);
void jw_u64(struct jw *w, uint64_t v);
/* Fixed decimals: 12.5 with d=8 -> 12.50000000 (Binance strings, unquoted here). */
void jw_fx(struct jw *w, sim_fx v, unsigned decimals);
/* Shortest decimal with no trailing zeros: 0.0055433, 137002000. */
void jw_fx_short(struct jw *w, sim_fx v);
/*
 * As Java's Double.toString prints it (Upbit DEFAULT numbers): 1.16539E8,
 * 7.9276E-4, 0.02054761, 137002000.0 -> "1.37002E8".
 */
void jw_fx_java(struct jw *w, sim_fx v);
/* A NUL-terminated result, or NULL when it overflowed. */
const char *jw_done(struct jw *w);

/* ---- jsonr.c ------------------------------------------------------------------ */

enum jr_type { JR_NONE = 0, JR_OBJ, JR_ARR, JR_STR, JR_NUM, JR_TRUE, JR_FALSE, JR_NULL };

/* A token: a value in the source text (strings without their quotes, still escaped). */
struct jr_tok {
	uint8_t type;
	uint32_t start, len;    /* the value's text */
	uint32_t size;          /* object: members; array: elements */
	uint32_t end;           /* index of the token after this value's subtree */
};

/*
 * Tokenise src[0..len) into tok[0..cap): returns the token count, or
 * -EINVAL (not JSON, or trailing bytes), -ENOBUFS (too many tokens).
 * Depth is limited to 32.
 */
int jr_parse(const char *src, size_t len, struct jr_tok *tok, uint32_t cap);
/* In object token 'obj', the value of key k: token index, or -1. */
int jr_get(const char *src, const struct jr_tok *tok, int obj, const char *k);
/* The i-th element of array token 'arr', or -1. */
int jr_at(const struct jr_tok *tok, int arr, uint32_t i);
/* Object member iteration: key token of member i (value is key + 1). */
int jr_member(const struct jr_tok *tok, int obj, uint32_t i);
bool jr_eq(const char *src, const struct jr_tok *t, const char *s);
/* Unescaped string into out[0..cap) (NUL-terminated): length or -1. */
int jr_str(const char *src, const struct jr_tok *t, char *out, size_t cap);
/* A decimal ("0.1", "1E-8", 12) as 1e-8 fixed point; -EINVAL, -ERANGE, or
 * -EDOM when it has more than 8 decimals that are not zero. Takes strings too. */
int jr_fx(const char *src, const struct jr_tok *t, sim_fx *out);
int jr_i64(const char *src, const struct jr_tok *t, int64_t *out);
/* The same decimal rules on plain text (query strings, form values). */
int sim_parse_fx(const char *s, size_t n, sim_fx *out);

/* ---- certs.c ------------------------------------------------------------------ */

/*
 * Make (or reuse, when present, readable and valid for another day) in dir:
 * ca.pem + ca.key (the CA clients verify against) and server.pem +
 * server.key (CN localhost, SAN DNS:localhost, IP:127.0.0.1, signed by the
 * CA), all with wolfSSL. Paths into out (each >= 300 bytes). 0 or -errno
 * with a message in err.
 */
struct sim_certs {
	char ca[300], ca_key[300], cert[300], key[300];
	bool reused;
};
int sim_certs_ensure(const char *dir, struct sim_certs *out, char *err, size_t errlen);

#endif
