/* SPDX-License-Identifier: MIT */
/*
 * libvenue order entry: what orderd needs to trade on a venue, as a table
 * (struct venue_ord) plus a few small functions per venue, so nothing in
 * orderd names a venue. A venue file provides:
 *
 *   channels   REST (always), a WebSocket order API where the venue has one
 *              (Binance ws-api: orders, queries, time and the user data
 *              stream on one connection), a private stream where it has a
 *              separate one (Upbit /websocket/v1/private, myOrder)
 *   builders   request bytes for each operation (enum vo_op) on each
 *              channel, signed: REST straight into libnet's request
 *              builder (kimp/http.h), WebSocket messages into a buffer
 *   parsers    every response and private-stream message into one
 *              normalized event (struct vo_event): an order's state with
 *              cumulative fills, an error with its outcome (definite or
 *              ambiguous), server time, rate-limit observations
 *   rates      the venue's published limits (struct vo_rate_rule) and the
 *              cost of each operation in each, corrected at run time by
 *              what responses report (struct vo_rate_obs)
 *
 * Client order ids. The engine's 64-bit client_oid goes to the venue as
 * the configured prefix followed by its decimal digits ("kimp1734..."):
 * Binance newClientOrderId (^[a-zA-Z0-9-_]{1,36}$), Upbit identifier (unique
 * forever per account). vo_cid_format writes it, vo_cid_parse reads it
 * back; a client id without our prefix parses to 0 (someone else's order).
 *
 * Hot path: building and parsing allocate nothing, lock nothing, make no
 * system call and never use printf; numbers are written from fixed point
 * with the venue's decimals. Key setup (venue_ord.key_init) is cold.
 */
#ifndef KIMP_VENUE_ORD_H
#define KIMP_VENUE_ORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue.h"

#define VO_PREFIX_MAX   12      /* client id prefix: 1..12 of [A-Za-z0-9] */
#define VO_CID_MAX      36      /* a client id text with its NUL (prefix + 20 digits) */
#define VO_OID_MAX      48      /* a venue order id text with its NUL (Upbit uuid: 36) */
#define VO_API_KEY_MAX  128     /* an API key (not secret) with its NUL */
#define VO_PASS_MAX     64      /* a passphrase (OKX, later) with its NUL */
#define VO_RATE_RULES   6       /* rate rules a venue may have */
#define VO_RATE_OBS     4       /* observations one response may carry */

/* ---- operations and channels -------------------------------------------- */

enum vo_chan {
	VO_CH_REST = 0,
	VO_CH_WSAPI = 1,        /* WebSocket order API (Binance ws-api) */
	VO_CH_PRIV = 2,         /* private stream on its own connection (Upbit) */
	VO_CH_N
};

enum vo_op {
	VO_OP_NONE = 0,
	VO_OP_PLACE = 1,        /* new order */
	VO_OP_CANCEL = 2,       /* cancel one order by client id */
	VO_OP_QUERY = 3,        /* one order's state by client id */
	VO_OP_OPEN = 4,         /* list open orders (all instruments) */
	VO_OP_TIME = 5,         /* server time */
	VO_OP_KEEPALIVE = 6,    /* the light request that keeps a connection warm */
	VO_OP_SUBSCRIBE = 7,    /* private stream / user data subscription */
	VO_OP_LOGIN = 8,        /* authenticate a WebSocket channel after its open
				   (Bybit auth, OKX login): sent before SUBSCRIBE
				   and before any order on a channel whose
				   chans[VO_OP_LOGIN] bit is set */
	VO_OP_N
};

/* Which channels carry an operation: bit (1 << enum vo_chan). */
#define VO_CHBIT(ch) (1u << (ch))

/* ---- keys and context ---------------------------------------------------- */

/*
 * One account's credentials, set up once by venue_ord.key_init. Holds the
 * secret's HMAC pads: orderd keeps it in locked memory excluded from core
 * dumps (mlock, MADV_DONTDUMP) and never copies it elsewhere.
 */
struct vo_keys {
	struct venue_hmac_key hmac;
	char api_key[VO_API_KEY_MAX];
	uint32_t api_key_len;
	char pass[VO_PASS_MAX];
	uint32_t pass_len;
};

/*
 * What the builders and parsers need besides the order: set up at startup
 * by orderd (and by tests), changed only by orderd's own thread.
 */
struct vo_ctx {
	const struct venue_ord *vo;
	const struct venue_symtab *syms;   /* the venue's instruments (vo_order.sym) */
	const struct vo_keys *keys;
	char prefix[VO_PREFIX_MAX + 1];    /* client id prefix */
	uint32_t prefix_len;
	uint32_t recv_window_ms;           /* Binance recvWindow (0: leave it out) */
	int64_t offset_ns;                 /* server clock - our CLOCK_REALTIME */
	int64_t now_ns;                    /* tests: a fixed CLOCK_REALTIME (0: the clock) */
	uint64_t rng[2];                   /* nonces (Upbit JWT uuid); seeded at startup */
	const char *fixed_nonce;           /* tests and kimpctl sign: use this nonce */
};

/* The venue's clock now, ms since the epoch (ctx's clock plus the offset). */
int64_t vo_server_ms(const struct vo_ctx *c);
/* A fresh random UUID v4 text (36 chars + NUL) from c->rng (or fixed_nonce). */
void vo_nonce_uuid(struct vo_ctx *c, char out[37]);
/* Seed c->rng from getrandom (cold). */
void vo_ctx_seed(struct vo_ctx *c) kimp_cold;

/* prefix + decimal coid into out[0..VO_CID_MAX): the length (no NUL counted). */
int vo_cid_format(const struct vo_ctx *c, uint64_t coid, char *out);
/* The coid of client id s[0..n) with our prefix, or 0 when it is not ours. */
uint64_t vo_cid_parse(const struct vo_ctx *c, const char *s, size_t n);
/* A prefix is 1..VO_PREFIX_MAX of [A-Za-z0-9]. */
bool vo_prefix_ok(const char *p);

/* ---- orders and events --------------------------------------------------- */

enum vo_type {
	VO_LIMIT = 0,           /* price and qty; tif GTC / IOC / FOK */
	VO_MARKET = 1,          /* sell: qty; buy: quote_qty (or qty where the venue allows) */
	VO_POST_ONLY = 2,       /* limit that must rest (Binance LIMIT_MAKER, Upbit post_only) */
};

/* An order or the target of a cancel / query, as the builders see it. */
struct vo_order {
	uint64_t coid;          /* our client order id */
	uint32_t sym;           /* index in ctx->syms */
	uint8_t side;           /* enum kimp_side */
	uint8_t type;           /* enum vo_type */
	uint8_t tif;            /* enum kimp_tif (VO_LIMIT) */
	uint8_t pad;
	int64_t px;             /* at the symbol's px_dec */
	int64_t qty;            /* at qty_dec */
	int64_t quote_qty;      /* VO_MARKET buy: quote to spend, at px_dec */
	const char *oid;        /* cancel/query: the venue's order id when known, else NULL */
	uint32_t oid_len;
};

/* What an error means for the request's order (vo_event.outcome). */
enum vo_outcome {
	VO_OUT_NONE = 0,
	VO_OUT_REJECTED = 1,    /* definite: the venue refused it and did nothing */
	VO_OUT_UNKNOWN = 2,     /* it may or may not have happened: settle by query */
	VO_OUT_NOT_FOUND = 3,   /* (query, cancel) the venue has no such order */
	VO_OUT_CANCEL_REJECTED = 4, /* (cancel) refused: the order is final or unknown there */
};

/* vo_event.flags */
#define VO_F_RATE       0x01u   /* over a rate limit (429): back off until retry_at_ms */
#define VO_F_BAN        0x02u   /* banned (418): stop the venue until retry_at_ms, alert */
#define VO_F_CLOCK      0x04u   /* our timestamp was outside the window (-1021): resync */
#define VO_F_AUTH       0x08u   /* key, signature or permission: the session sticky-fails */
#define VO_F_CUM_FEE    0x10u   /* cum_fee is the order's whole fee so far */
#define VO_F_LAST       0x20u   /* last_px/last_qty/last_fee describe this event's one fill */
#define VO_F_MAKER      0x40u   /* that fill was maker */
#define VO_F_FEE_OTHER  0x80u   /* the fee is in neither base nor quote (not counted) */

enum vo_ev_kind {
	VO_EV_NONE = 0,
	VO_EV_ORDER = 1,        /* an order's state as the venue sees it (fields below) */
	VO_EV_ERROR = 2,        /* the request failed: outcome, flags, code, msg */
	VO_EV_TIME = 3,         /* server_ms */
	VO_EV_SUBSCRIBED = 4,   /* the private stream / user data subscription is live */
	VO_EV_CONTROL = 5,      /* a reply or event with no order effect (pong, balances) */
	VO_EV_STREAM_END = 6,   /* the venue ends the stream or connection soon */
	VO_EV_LOGIN = 7,        /* the channel's VO_OP_LOGIN succeeded (a failed
				   one is VO_EV_ERROR with VO_F_AUTH) */
	VO_EV_KIND_MAX
};

/* A rate-limit reading from a response: rule index in venue_ord.rates. */
struct vo_rate_obs {
	uint8_t n;
	struct {
		uint8_t rule;
		uint8_t is_left;        /* value is what is left (Upbit sec=), else what is used */
		uint32_t value;
	} v[VO_RATE_OBS];
};

/*
 * One response or stream message, normalized. Amounts are fixed point at
 * the symbol's scales: px, last_px at px_dec; qty, cum_qty, last_qty at
 * qty_dec; cum_quote at px_dec; fees at the fee asset's scale (quote:
 * px_dec, base: qty_dec). Text fields point into the input and are valid
 * only while it is.
 */
struct vo_event {
	uint8_t kind;           /* enum vo_ev_kind */
	uint8_t state;          /* VO_EV_ORDER: enum kimp_order_state the venue reports
				   (ACKED, PARTIAL, FILLED, CANCELLED, EXPIRED, REJECTED) */
	uint8_t outcome;        /* VO_EV_ERROR: enum vo_outcome */
	uint8_t side;           /* enum kimp_side, 0 unknown */
	uint8_t fee_asset;      /* 0 quote, 1 base */
	uint8_t flags;          /* VO_F_* */
	uint16_t http_status;   /* REST status, WS API "status"; 0 on stream events */
	uint32_t sym;           /* VENUE_SYM_NONE when not given or not ours */
	int32_t code;           /* error: the venue's number, or vo_err_code of its name */
	uint64_t req_id;        /* WS API: the request id echoed back (0: none) */
	uint64_t coid;          /* our client order id (0: not ours / not given) */
	char oid[VO_OID_MAX];   /* the venue's order id, NUL-terminated ("" unknown) */
	int64_t px, qty;        /* the order's price and quantity (0 unknown) */
	int64_t cum_qty;        /* filled so far */
	int64_t cum_quote;      /* quote filled so far (sum of px * qty) */
	int64_t cum_fee;        /* with VO_F_CUM_FEE */
	int64_t last_px, last_qty, last_fee; /* with VO_F_LAST */
	uint64_t trade_id;      /* with VO_F_LAST: the fill's id (0 unknown) */
	int64_t venue_ts_ns;    /* the venue's event time, UTC ns (0: none) */
	int64_t server_ms;      /* VO_EV_TIME; also an error's serverTime if given */
	uint64_t retry_at_ms;   /* VO_F_RATE / VO_F_BAN: epoch ms to wait until (0: unknown) */
	const char *msg;        /* error text or name, into the input (NULL: none) */
	uint32_t msg_len;
	struct vo_rate_obs rate;
};

static inline void vo_event_reset(struct vo_event *e)
{
	*e = (struct vo_event){ .sym = VENUE_SYM_NONE };
}

/* ---- rate limits ----------------------------------------------------------- */

enum vo_rate_scope { VO_RS_IP = 0, VO_RS_ACCOUNT = 1 };

/*
 * One published limit: at most 'limit' units per window of window_ns,
 * windows aligned on the venue's clock (a minute starts at :00). unfilled:
 * Binance ORDERS, where an order's unit comes back at its first fill or
 * its rejection (the venue's count, reported back, says so).
 */
struct vo_rate_rule {
	const char *name;       /* "REQUEST_WEIGHT", "ORDERS 10s", "order" */
	uint8_t scope;          /* enum vo_rate_scope */
	bool unfilled;
	uint32_t limit;
	uint64_t window_ns;
};

/* ---- the venue table ------------------------------------------------------- */

struct venue_ord {
	uint8_t venue;                  /* enum kimp_venue */
	const char *name;               /* "upbit" */
	/* production endpoints (config may point elsewhere: exsim) */
	const char *rest_url;           /* "https://api.upbit.com" */
	const char *wsapi_url;          /* "wss://ws-api.binance.com:443/ws-api/v3", or NULL */
	const char *priv_url;           /* "wss://api.upbit.com/websocket/v1/private", or NULL */
	/* which channels carry each operation (VO_CHBIT); the first set bit
	 * in the order WSAPI, REST is the fast path */
	uint8_t chans[VO_OP_N];
	bool user_data_on_wsapi;        /* fills come on the ws-api connection (Binance) */
	bool cancel_async;              /* a cancel's reply is not the final state (Upbit) */
	bool market_buy_by_quote;       /* VO_MARKET buys need quote_qty (Upbit 'price') */
	uint32_t hash_sha;              /* enum venue_hash of the secret's HMAC */
	uint64_t ping_every_ns;         /* WebSocket keepalive on its channels */
	uint64_t conn_life_ns;          /* the venue closes connections after (0: never) */

	/* rate rules and the cost of each operation on each channel in each */
	const struct vo_rate_rule *rates;
	uint32_t nrates;
	uint16_t (*cost)(enum vo_op op, enum vo_chan ch, unsigned rule);
	/* units the venue charges to open a connection of ch (Binance ws-api: 2
	 * REQUEST_WEIGHT), by rule */
	uint16_t (*connect_cost)(enum vo_chan ch, unsigned rule);

	/* Set k up from the API key and secret (raw bytes) and passphrase
	 * (NULL when the venue has none). 0 or -EINVAL. Cold. */
	int (*key_init)(struct vo_keys *k, const char *api_key, const void *secret,
			size_t slen, const char *pass);

	/*
	 * REST: the method and path of op (for net_http_tmpl_init) and the
	 * fixed headers every request of op carries (Content-Type,
	 * X-MBX-APIKEY...) added to t by tmpl_init. Cold.
	 */
	int (*rest_tmpl)(const struct vo_ctx *c, enum vo_op op, const char *host,
			 struct net_http_tmpl *t);
	/*
	 * REST: write op's query, body and auth headers into r (started from
	 * op's template). o: the order (PLACE), the target (CANCEL, QUERY),
	 * NULL otherwise. 0, or -EINVAL (the order cannot be said on this
	 * venue), -ENOSPC.
	 */
	int (*rest_build)(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			  struct net_http_req *r);
	/*
	 * REST: parse op's response (status, headers through msg, body) into
	 * ev. o as given to rest_build. 0, or a negative enum vd_err (the
	 * body is not what the venue sends: the caller counts it and treats
	 * the request as ambiguous).
	 */
	int (*rest_parse)(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			  uint16_t status, const struct net_http_parser *msg,
			  const uint8_t *body, size_t len, struct vo_event *ev);
	/*
	 * REST VO_OP_OPEN: call each(arg, ev) for every order in the list
	 * (VO_EV_ORDER events). The count, or a negative enum vd_err.
	 */
	int (*rest_parse_list)(struct vo_ctx *c, uint16_t status,
			       const struct net_http_parser *msg, const uint8_t *body,
			       size_t len, void (*each)(void *arg, const struct vo_event *ev),
			       void *arg);

	/*
	 * WebSocket (WSAPI, or PRIV for SUBSCRIBE): the message for op with
	 * request id req_id into out[0..cap): its length, 0 when the venue
	 * needs none, -EINVAL, -ENOSPC.
	 */
	int (*ws_build)(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
			const struct vo_order *o, uint64_t req_id, char *out, size_t cap);
	/* WebSocket: the request target of ch ("/ws-api/v3?returnRateLimits=true") */
	const char *(*ws_path)(enum vo_chan ch);
	/*
	 * WebSocket: extra header lines for the upgrade of ch (Upbit private:
	 * "Authorization: Bearer <jwt>\r\n"), into out: the length, 0 for
	 * none, -ENOSPC.
	 */
	int (*ws_headers)(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap);
	/* WebSocket: parse one message of ch into ev. 0 or a negative enum vd_err. */
	int (*ws_parse)(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
			struct vo_event *ev);

	/*
	 * Operators (kimpctl sign): what the venue expects for payload[0..n)
	 * signed with k: Binance the hex HMAC-SHA256 of the payload as the
	 * signature parameter; Upbit the JWT (query_hash of the payload when
	 * n > 0) with c's nonce. NUL-terminated into out: the length or -errno.
	 */
	int (*sign_payload)(struct vo_ctx *c, const char *payload, size_t n, char *out,
			    size_t cap);
	/* The name of error code (as vo_event.code), or NULL. */
	const char *(*err_name)(int32_t code);
};

/* The table for v, or NULL when libvenue has no order entry for it. */
const struct venue_ord *venue_ord_get(enum kimp_venue v);
const struct venue_ord *venue_ord_by_name(const char *name);
/* "upbit, bithumb, ...": the venues with order entry, into buf (for messages). */
const char *venue_ord_names(char *buf, size_t cap) kimp_cold;

extern const struct venue_ord venue_ord_upbit;
extern const struct venue_ord venue_ord_bithumb;
extern const struct venue_ord venue_ord_coinone;
extern const struct venue_ord venue_ord_binance;
extern const struct venue_ord venue_ord_bybit;
extern const struct venue_ord venue_ord_okx;

/* The fast-path channel of op: the first of WSAPI, REST it has; -1 none. */
static inline int vo_fast_chan(const struct venue_ord *vo, enum vo_op op)
{
	if (vo->chans[op] & VO_CHBIT(VO_CH_WSAPI))
		return VO_CH_WSAPI;
	if (vo->chans[op] & VO_CHBIT(VO_CH_REST))
		return VO_CH_REST;
	if (vo->chans[op] & VO_CHBIT(VO_CH_PRIV))
		return VO_CH_PRIV;
	return -1;
}

/*
 * Helpers the venue files share (libvenue/venue_ord.c): fixed point as the
 * shortest decimal ("0.01", "100000000", trailing zeros dropped) into out
 * (at least 24 bytes): the length. Writes nothing else, never fails.
 */
int vo_put_fixed(char *out, int64_t v, unsigned dec);
int vo_put_u64(char *out, uint64_t v);

#endif
