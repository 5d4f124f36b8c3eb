/* SPDX-License-Identifier: MIT */
/*
 * exsim's Upbit-like core (sim/venue_upbit.c): Upbit and Bithumb, which
 * mirrors Upbit's API (shared/docs/venues/exchanges-kr.md sections 1 and
 * 2), run on one implementation: the WebSocket request protocol (ticket,
 * types, format, PING/UP, errors then close, idle cut), the JWT auth with
 * query_hash, nonces, request-rate windows, the order path (latency jobs,
 * post-only phantoms, fills kept for trades[]), the REST handlers and the
 * publishing loop. What differs is a struct upl_variant: paths, flag
 * spellings, depths, formats, limits, and the formatters of every message
 * and reply. venue_upbit.c holds Upbit's variant, venue_bithumb.c
 * Bithumb's.
 *
 * Ownership: the core allocates the venue state (struct upbit) in
 * upl_new and keeps it in v->priv (the server frees it); a variant is a
 * static const table of its venue file. Formatters write with jw_* into the
 * writer they are given and never allocate.
 */
#ifndef KIMP_SIM_VENUE_UPBITLIKE_H
#define KIMP_SIM_VENUE_UPBITLIKE_H

#include "server.h"

#define UPL_NS_PER_MS   1000000ull
#define UPL_KST_MS      (9LL * 3600 * 1000)
#define UPL_GROUPS      8               /* rate-limit groups a variant may have */
#define UPL_DEPTH_N     4               /* orderbook depths a code may ask for (.N) */
#define UPL_TOKS        4096
#define UPL_NONCES      16384u
#define UPL_FILLS       16384u
#define UPL_META        16384u
#define UPL_PHANTOMS    256u
#define UPL_OPEN_MAX    4096u
#define UPL_TICKET_MAX  63
#define UPL_MSG_MAX     (64 * 1024)
#define UPL_REPLY_MAX   (512 * 1024)
#define UPL_QS_MAX      8192
#define UPL_IDSTR       40              /* an order or trade id string, with NUL */

/* Channels: c->sub[] indexes. */
enum { CH_BOOK = 0, CH_TRADE, CH_TICKER, CH_MYORDER, CH_MYASSET, CH_N };

/* Formats: bit 0 SIMPLE keys, bit 1 a JSON array around each message. */
enum { FMT_DEFAULT = 0, FMT_SIMPLE = 1, FMT_JSON_LIST = 2, FMT_SIMPLE_LIST = 3, FMT_N };

/* The documented error names (Upbit 1.6, 1.1; Bithumb 2.5 uses the same). */
enum upb_err {
	E_VALIDATION = 0, E_INVALID_PARAM, E_CREATE_BID, E_CREATE_ASK, E_TIF, E_POST_ONLY,
	E_NOTFOUNDMARKET, E_FUNDS_BID, E_FUNDS_ASK, E_MIN_BID, E_MIN_ASK, E_PRICE_BID,
	E_PRICE_ASK, E_OVER_BID, E_OVER_ASK, E_DUP_ID, E_NOT_FOUND, E_NO_TOKEN, E_JWT,
	E_KEY, E_QUERY, E_NONCE, E_TOO_MANY, E_BLOCKED, E_N
};

/* Per WebSocket connection, in c->vs. */
struct upb_conn {
	uint8_t depth[SIM_VENUE_INSTS]; /* orderbook depth index per instrument */
	bool closing;                   /* an error went out: the close follows */
	bool ping_on;                   /* {"status":"UP"} every 10 s */
	bool myorder_all;               /* myOrder without codes: every market */
	bool corked;                    /* inside a publish burst */
	uint64_t next_up_ns;
	uint64_t act_sum, act_ns;       /* frames both ways when last seen to change */
	char ticket[UPL_TICKET_MAX + 1];
};
KIMP_STATIC_ASSERT(sizeof(struct upb_conn) <= SIM_WS_VSTATE, "per-connection state fits");

/* One fill of one of our orders, for trades[]. */
struct upb_fill {
	uint64_t order_id;              /* 0: free */
	uint8_t side;                   /* the order's */
	struct sim_fill f;
};

/* What the engine does not keep of an order. */
struct upb_meta {
	uint64_t order_id;
	uint8_t smp;                    /* index into the smp names, 0: none */
};

/* A rate window of one requester and group. */
struct upb_win {
	uint64_t start_ms;
	uint32_t used;
};

struct upl_group {
	const char *name;
	uint32_t per_sec;
};

struct upl_variant;

/* The core's state of one venue (v->priv). */
struct upbit {
	const struct upl_variant *var;
	struct upb_win rl[SIM_MAX_ACCOUNTS + 1][UPL_GROUPS]; /* [SIM_MAX_ACCOUNTS]: the IP */
	struct upb_win ws_conn[SIM_MAX_ACCOUNTS + 1];        /* upgrades */
	/* the IP's block (418), one per venue: every client is on loopback */
	uint64_t strike_ms;
	uint32_t strikes;
	uint32_t blocks;
	uint64_t blocked_until_ms;
	bool unlimited;                 /* the scenario's rate_limits = false */
	/* nonces seen: two generations of open-addressed hashes */
	uint64_t nonce[2][UPL_NONCES];
	uint32_t nonce_n;
	uint8_t nonce_gen;
	/* orders */
	struct upb_fill fills[UPL_FILLS];
	uint32_t fill_next;
	struct upb_meta meta[UPL_META];
	uint8_t cur_smp;                /* smp_type of the order being submitted */
	struct sim_order phantom[UPL_PHANTOMS];  /* post-only orders that would take */
	uint32_t phantom_next;
	uint64_t phantom_seq;
	uint64_t last_done_id;
	/* market data */
	uint32_t dirty;                 /* books changed since the last grid publish */
	sim_fx acc_ask[SIM_VENUE_INSTS], acc_bid[SIM_VENUE_INSTS];
	struct sim_trade last[SIM_VENUE_INSTS];
	/* private events */
	uint32_t asset_dirty[SIM_MAX_ACCOUNTS];
	bool asset_pending[SIM_MAX_ACCOUNTS];
	/* scratch */
	struct jr_tok tok[UPL_TOKS];
	struct sim_order *open[UPL_OPEN_MAX];
	char msg[UPL_MSG_MAX];
	char reply[UPL_REPLY_MAX];
	char qs[UPL_QS_MAX];
};

/* One REST request being answered. */
struct upb_req {
	struct sim_venue *v;
	struct upbit *u;
	struct http_sconn *sc;
	const struct net_http_parser *p;
	struct net_http_str query;      /* .p NULL: none */
	struct net_http_str body;
	uint8_t group;
	uint8_t who;                    /* rate-limit requester: account or SIM_MAX_ACCOUNTS */
	int acct;                       /* authenticated account, or -1 */
	uint64_t now_ms;
	const struct upl_route *rt;
};

/* A REST route; id_key / cid_key: the parameters naming an order. */
struct upl_route {
	const char *path;
	uint8_t method;
	uint8_t group;
	bool pub;
	void (*fn)(struct upb_req *r);
	const char *id_key, *cid_key;
};

/* Order figures an order object shows (fee reserve, lock). */
struct ord_nums {
	sim_fx reserved, remaining_fee, locked;
};

/* A venue's differences from the core. */
struct upl_variant {
	const char *ws_pub, *ws_priv;   /* upgrade paths */
	const char *snap_key, *rt_key;  /* is_only_snapshot / is_only_realtime spelling */
	uint8_t depths[UPL_DEPTH_N];    /* .N depths; an unknown N gets the last */
	uint8_t nfmt;                   /* formats accepted: DEFAULT, SIMPLE[, the lists] */
	bool list_method;               /* LIST_SUBSCRIPTIONS */
	bool level_one;                 /* grouping level 1 is raw (Bithumb); else 0 */
	uint32_t msg_sec, msg_min;      /* client messages per connection (0: none) */
	uint32_t conn_sec;              /* upgrades a second */
	bool jwt_ts;                    /* the JWT carries a required ms timestamp */
	uint64_t jwt_ts_window_ms;      /* how far it may be from the venue clock */
	bool blocks;                    /* repeated 429s escalate to 418 blocks */
	bool rl_per_ip;                 /* request windows per IP, not per account */
	/* REST */
	const struct upl_group *groups; /* [ngroups] */
	uint8_t ngroups, order_group;
	const struct upl_route *routes;
	uint8_t nroutes;
	const char *ord_type_key, *cid_key, *smp_key;  /* new-order body keys (smp: NULL none) */
	uint8_t cid_max;                /* client id length */
	bool cid_strict;                /* [A-Za-z0-9_-] only */
	bool cid_idempotent;            /* a repeated client id returns its order */
	unsigned new_status;            /* a new order's HTTP status */
	/* the rate-limit header lines of a reply to requester who in group g */
	void (*limit_hdr)(struct upbit *u, unsigned who, unsigned g, char *out, size_t cap);
	/* order ids: the id string of o; the order an id string names (any account) */
	void (*id_str)(const struct sim_venue *v, const struct sim_order *o,
		       char out[UPL_IDSTR]);
	struct sim_order *(*find_id)(struct sim_venue *v, const char *id);
	/* formatters */
	void (*book)(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		     unsigned fmt, unsigned depth, uint64_t ts_ms, const char *stream);
	void (*trade)(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		      const struct sim_trade *t, unsigned fmt, const char *stream, uint64_t now);
	void (*ticker)(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		       const struct sim_trade *t, unsigned fmt, const char *stream, uint64_t now);
	void (*myorder)(struct jw *w, struct sim_venue *v, const struct sim_order *o,
			const struct sim_fill *f, const char *state, unsigned fmt);
	void (*myasset)(struct jw *w, struct sim_venue *v, const struct sim_account *a,
			uint32_t assets, unsigned fmt);
	/* REST order objects: fresh = a new or cancel-accepted order's number forms */
	void (*order_obj)(struct sim_venue *v, struct jw *w, const struct sim_order *o,
			  bool fresh, bool trades);
	void (*new_reply)(struct sim_venue *v, struct jw *w, const struct sim_order *o);
	void (*cancel_reply)(struct sim_venue *v, struct jw *w, const struct sim_order *o);
};

/* ---- the core's ops (a venue's sim_venue_ops names them) ------------------- */

/*
 * Allocate the venue state for variant var into v->priv (the server frees
 * it). 0 or -ENOMEM. The venue's setup then adds its instruments.
 */
int upl_new(struct sim_venue *v, const struct upl_variant *var);
void upl_rest(struct sim_venue *v, struct http_sconn *sc, const struct net_http_parser *p);
unsigned upl_ws_upgrade(struct sim_venue *v, struct sim_ws *c, bool api,
			const struct ws_hs_request *req, const char *head, size_t len);
void upl_ws_message(struct sim_venue *v, struct sim_ws *c, unsigned opcode, uint8_t *data,
		    size_t len);
void upl_publish(struct sim_venue *v, uint64_t now_ms);
void upl_flush(struct sim_venue *v, uint64_t now_ms);
void upl_start(struct sim_venue *v);
void upl_on_order(struct sim_venue *v, const struct sim_order *o, const struct sim_fill *f);
void upl_on_balance(struct sim_venue *v, const struct sim_account *a, unsigned asset);
void upl_tick(struct sim_venue *v, uint64_t now_ns);

/*
 * REST handlers a variant's routes name: a new order (the body's keys per
 * the variant; matched after the order latency), one order (rt->id_key or
 * rt->cid_key) and its cancel, the open orders (state/states[], page,
 * limit, order_by), order chance, accounts, the market list and the book.
 */
void upl_h_order_new(struct upb_req *r);
void upl_h_order_get(struct upb_req *r);
void upl_h_order_cancel(struct upb_req *r);
void upl_h_open(struct upb_req *r);
void upl_h_chance(struct upb_req *r);
void upl_h_accounts(struct upb_req *r);
void upl_h_markets(struct upb_req *r);
void upl_h_book(struct upb_req *r);

/* ---- helpers for variants (no allocation) ---------------------------------- */

/* Requests left in group g's current second for requester who. */
uint32_t upl_rl_left(struct upbit *u, unsigned who, unsigned g);
/* A venue timestamp (ms) with the clock-skew fault applied. */
uint64_t upl_vts(const struct sim_venue *v, uint64_t ms);
/* The KRW rules of an instrument (tick function, 1e-8 steps, 5,000 KRW minimum). */
void upl_inst_rules(const struct sim_venue *v, struct sim_inst *in, sim_fx (*tick)(sim_fx),
		    unsigned depth_def);
/* The middle of the book (or whichever side exists, or the last trade). */
sim_fx upl_inst_mid(const struct sim_inst *in);
/* "yyyy-MM-dd" / "yyyyMMdd" and "HH:mm:ss" / "HHmmss" of ms (add an offset for KST), quoted. */
void upl_jw_date(struct jw *w, uint64_t ms, bool sep);
void upl_jw_time(struct jw *w, uint64_t ms, bool sep);
/* "2025-08-09T16:52:49+09:00" (micro: with ".597000"), KST, quoted. */
void upl_jw_kst(struct jw *w, uint64_t ms, bool micro);
/* A NumberString: "0.0001" (dot0: "1.0" for whole values). */
void upl_jw_sfx(struct jw *w, sim_fx v, bool dot0);
/* "RISE" / "EVEN" / "FALL", quoted. */
const char *upl_change_of(sim_fx px, sim_fx prev);
bool upl_by_quote(const struct sim_order *o);
const char *upl_ord_type_name(const struct sim_order *o);
const char *upl_tif_name(const struct sim_order *o);
const char *upl_ord_state(const struct sim_order *o);
void upl_ord_nums(const struct sim_venue *v, const struct sim_order *o, struct ord_nums *n);
/* The order's fills kept (oldest first): call with *i = 0 until it returns NULL. */
const struct upb_fill *upl_next_fill(const struct sim_venue *v, const struct sim_order *o,
				     uint32_t *i);

#endif
