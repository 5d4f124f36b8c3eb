/* SPDX-License-Identifier: MIT */
/*
 * exsim's server: what a venue file plugs into.
 *
 * Each enabled venue gets a TLS REST listener (http_server), a TLS
 * WebSocket listener and, when the venue has one, a second WebSocket
 * listener for its order API. The server owns the connection slots, runs
 * the market step timer and calls the venue's publish after every step,
 * keeps the deferred jobs (order-path latency, delayed responses) and
 * applies faults.
 *
 * A venue file is a struct sim_venue_ops and the functions it names; it
 * keeps its private state in v->priv (made in setup) and its per-connection
 * state in c->vs (SIM_WS_VSTATE bytes, zeroed at accept).
 */
#ifndef KIMP_SIM_SERVER_H
#define KIMP_SIM_SERVER_H

#include "sim.h"
#include "kimp/httpconn.h"
#include "kimp/net.h"
#include "kimp/wsconn.h"

struct sim_server;
struct sim_venue;

enum sim_ws_kind {
	SIM_WS_MARKET = 0,      /* public market data */
	SIM_WS_PRIVATE,         /* private order/asset stream (Upbit /private) */
	SIM_WS_API,             /* order API (Binance ws-api) */
};

#define SIM_WS_CHANNELS 8
#define SIM_WS_VSTATE   512
#define SIM_WS_MAX_MSG  (256 * 1024)

/* One WebSocket connection. */
struct sim_ws {
	struct ws_conn ws;
	struct sim_venue *v;
	uint64_t serial;        /* changes every time the slot is reused */
	uint8_t kind;           /* enum sim_ws_kind */
	bool in_use;
	bool open;              /* handshake done, not closed */
	int8_t acct;            /* authenticated account, or -1 */
	uint8_t format;         /* venue's choice (Upbit DEFAULT/SIMPLE, ...) */
	/* per channel, a bitmap of the venue's instruments (vidx) */
	uint32_t sub[SIM_WS_CHANNELS];
	uint64_t opened_ns;
	/* incoming message rate, for venues that limit it */
	uint64_t rate_sec;      /* second the counters below belong to */
	uint32_t msgs_this_sec;
	uint64_t rate_min;
	uint32_t msgs_this_min;
	uint64_t sent;          /* messages sent */
	uint8_t path[128];      /* the upgrade's request target, NUL-terminated */
	uint8_t vs[SIM_WS_VSTATE] __attribute__((aligned(16)));
};

/* A deferred job: order-path latency, delayed or late responses. */
#define SIM_JOB_DATA 1024
struct sim_job {
	void (*fn)(struct sim_venue *v, struct sim_job *j);
	struct sim_venue *v;    /* whose job it is */
	uint64_t due_ns;
	/* the requester, to answer: one of these (check they are still it) */
	struct http_sconn *sc;
	uint64_t sc_serial;
	struct sim_ws *ws;
	uint64_t ws_serial;
	uint32_t len;
	uint8_t data[SIM_JOB_DATA] __attribute__((aligned(16)));
};

struct sim_venue_ops {
	const char *name;               /* "upbit" */
	enum sim_venue_kind kind;       /* KRW or USDT */
	bool has_api;                   /* a separate WebSocket order-API listener */
	/* add instruments (sim_market_add_inst) and set x->rules[v->idx]; 0 or -errno */
	int (*setup)(struct sim_venue *v);
	/* a REST request: reply with sim_rest_* (now or from a job) */
	void (*rest)(struct sim_venue *v, struct http_sconn *sc,
		     const struct net_http_parser *req);
	/*
	 * A WebSocket upgrade on the market listener (api false) or the API
	 * listener: set c->kind, check auth; 0 accepts, else an HTTP status
	 * (ws_conn_reject_body(&c->ws, ...) for a body).
	 */
	unsigned (*ws_upgrade)(struct sim_venue *v, struct sim_ws *c, bool api,
			       const struct ws_hs_request *req, const char *head,
			       size_t len);
	void (*ws_open)(struct sim_venue *v, struct sim_ws *c);             /* optional */
	void (*ws_message)(struct sim_venue *v, struct sim_ws *c, unsigned opcode,
			   uint8_t *data, size_t len);
	void (*ws_close)(struct sim_venue *v, struct sim_ws *c);            /* optional */
	/* after every market step: publish what changed (and drain) */
	void (*publish)(struct sim_venue *v, uint64_t now_ms);
	/*
	 * Publish now what publish holds back (batched diffs, books waiting
	 * for the publish grid) as well as what changed, and drain: after it
	 * every subscriber has been sent the books as their views hold them.
	 * The server calls it when the market pauses and, while paused, after
	 * anything (an order) changed a book.
	 */
	void (*flush)(struct sim_venue *v, uint64_t now_ms);
	/* once, after the books are built: take each instrument's first view */
	void (*start)(struct sim_venue *v);
	/* the matching engine's events for this venue's accounts */
	void (*on_order)(struct sim_venue *v, const struct sim_order *o,
			 const struct sim_fill *f);
	void (*on_balance)(struct sim_venue *v, const struct sim_account *a, unsigned asset);
	/* once a second: keepalives, rate windows (optional) */
	void (*tick)(struct sim_venue *v, uint64_t now_ns);
};

/* Fault state of one venue (fault.c). */
struct sim_fault_state {
	uint64_t stall_until_ns;
	uint64_t delay_until_ns, delay_ns;
	uint64_t burst429_until_ns;
	uint32_t gap, malformed, truncate, drop_response, http5xx;
	int64_t skew_ms;
	/* ban: armed by the fault, started by the next request (ban_ns long) */
	bool ban_armed;
	uint64_t ban_ns, ban_until_ns;
	uint64_t applied[SIM_FAULT_KIND_COUNT];        /* how many took effect */
};

struct sim_venue {
	const struct sim_venue_ops *ops;
	const struct sim_venue_cfg *cfg;
	struct sim_server *srv;
	struct sim_market *m;
	struct sim_exch *x;
	uint8_t idx;                    /* index in the scenario's venues */
	uint32_t ninst;
	uint16_t inst[SIM_VENUE_INSTS]; /* market instrument ids, by vidx */
	struct http_server *rest;
	struct net_listener *ws_l, *api_l;
	uint16_t rest_port, ws_port, api_port;
	struct sim_fault_state fs;
	void *priv;
	uint64_t published;             /* market messages sent */
	/* answers sent with status 429 / 418 (REST, WS API, refused upgrades):
	 * sim_venue_answered counts them, GET /status shows them */
	uint64_t sent_429, sent_418;
};

/* The venue table: every venue exsim speaks (venue_*.c). */
extern const struct sim_venue_ops sim_venue_upbit;
extern const struct sim_venue_ops sim_venue_bithumb;
extern const struct sim_venue_ops sim_venue_coinone;
extern const struct sim_venue_ops sim_venue_binance;
extern const struct sim_venue_ops sim_venue_bybit;
extern const struct sim_venue_ops sim_venue_okx;
const struct sim_venue_ops *sim_venue_find(const char *name);

/*
 * Binance (venue_binance.c), for its tests. sim_binance_set_conn_life sets
 * how long a WebSocket connection lives before serverShutdown and the close
 * (default 24 h, the venue's). The signature checkers are the ones the
 * venue uses: REST, HMAC-SHA256 hex 'sig' over the query then the body
 * (a "signature" parameter in either left out); WS API, over the params
 * object's members but "signature", sorted by name, joined as k=v with raw
 * values (sim_binance_ws_payload writes that payload: its length, -ENOBUFS,
 * -EINVAL for params that are not an object, -ENOMEM).
 */
void sim_binance_set_conn_life(struct sim_venue *v, uint64_t ns);
bool sim_binance_sig_rest_ok(const char *secret, size_t slen, const char *query, size_t qlen,
			     const char *body, size_t blen, const char *sig, size_t siglen);
int sim_binance_ws_payload(const char *params, size_t len, char *out, size_t cap);
bool sim_binance_sig_ws_ok(const char *secret, size_t slen, const char *params, size_t len,
			   const char *sig, size_t siglen);

/* ---- for venue files ----------------------------------------------------- */

/* The venue's wall clock in ms (with any clock-skew fault applied). */
uint64_t sim_venue_now_ms(const struct sim_venue *v);
/* Real time, ns (CLOCK_REALTIME). */
uint64_t sim_now_real_ns(void);
struct sim_inst *sim_venue_inst(struct sim_venue *v, unsigned vidx);
/* The venue's instrument by its symbol, exactly as the venue writes it; NULL if none. */
struct sim_inst *sim_venue_inst_sym(struct sim_venue *v, const char *sym, size_t len);

/* Iterate the venue's open WebSocket connections: c = NULL to start. */
struct sim_ws *sim_venue_next_ws(struct sim_venue *v, struct sim_ws *c);

/*
 * Send one message on a connection (0 or -errno). sim_ws_send_md is for
 * market data: it honours the stall, malformed and truncate faults and
 * counts the message.
 */
int sim_ws_send(struct sim_ws *c, unsigned opcode, const void *data, size_t len);
int sim_ws_send_md(struct sim_ws *c, unsigned opcode, const void *data, size_t len);
/*
 * Uncork (kimp/wsconn.h): 0 or -errno; frames that cannot be queued cut the
 * connection off as a slow consumer, as venues do, rather than leave a gap.
 */
int sim_ws_uncork(struct sim_ws *c);
/* Close with a WebSocket close code. */
void sim_ws_close(struct sim_ws *c, unsigned code);

/*
 * A REST reply: status, extra header lines ("Name: value\r\n..." or NULL)
 * and a JSON body (NULL: empty); from on_request or later (a job). 0 or
 * -errno (-ENOTCONN: the requester went away). The delay fault delays
 * jobs (sim_defer): a venue defers what it wants delayed.
 */
int sim_rest_reply(struct sim_venue *v, struct http_sconn *sc, unsigned status,
		   const char *headers, const char *body, size_t body_len);

/*
 * A job to run after delay_ns (0: on the next loop turn), holding a copy of
 * data[0..len) (len <= SIM_JOB_DATA). sc or ws (either may be NULL) is who
 * to answer; the job records their serials. 0, -ENOSPC (the job pool is
 * full), -EMSGSIZE.
 */
int sim_defer(struct sim_venue *v, uint64_t delay_ns,
	      void (*fn)(struct sim_venue *v, struct sim_job *j), struct http_sconn *sc,
	      struct sim_ws *ws, const void *data, size_t len);
/* The job's requester is still the same connection. */
bool sim_job_sc_live(const struct sim_job *j);
bool sim_job_ws_live(const struct sim_job *j);

/* ---- faults (fault.c) ------------------------------------------------------- */

/* Apply a fault to one venue now (scripted at its time, or from control). */
void sim_fault_apply(struct sim_venue *v, const struct sim_fault *f, uint64_t now_ns);
/* Consume one of a counted fault (gap, malformed, ...): true when it applies. */
bool sim_fault_take(struct sim_venue *v, enum sim_fault_kind k);
bool sim_fault_stalled(const struct sim_venue *v, uint64_t now_ns);
bool sim_fault_429(const struct sim_venue *v, uint64_t now_ns);
/* Extra response delay now (the delay fault), ns. */
uint64_t sim_fault_delay(const struct sim_venue *v, uint64_t now_ns);
/*
 * The ban fault, asked once per request: true when the request is to be
 * answered 418, with *left_ns how long the ban still runs (at least 1 ms).
 * An armed ban starts here, at the request, and lasts its duration; every
 * request before its end is banned.
 */
bool sim_fault_banned(struct sim_venue *v, uint64_t now_ns, uint64_t *left_ns);
/* Count an answer sent with this status (429 and 418 are kept). */
void sim_venue_answered(struct sim_venue *v, unsigned status);
/*
 * GET /status's per-venue extras, each starting with a comma:
 * "sent_429", "sent_418", "ban_armed", "ban_left_ms", "rate_limits".
 */
void sim_fault_status(const struct sim_venue *v, struct jw *w, uint64_t now_ns);

/* ---- the server ------------------------------------------------------------- */

struct sim_server_cfg {
	const struct sim_scenario *sc;
	const char *ca_path, *cert_path, *key_path;
	uint32_t max_ws;                /* WebSocket slots, all venues (0: 128) */
	uint32_t max_rest;              /* REST slots per venue (0: 32) */
	/* per-connection send queue (0: 1 MiB); the loop pre-faults it for
	 * every slot: (max_ws + venues x max_rest + 24) of it in RAM, about
	 * 216 MiB at the defaults with two venues */
	uint32_t tx_size;
};

int sim_server_new(struct sim_server **out, const struct sim_server_cfg *cfg,
		   char *err, size_t errlen);
void sim_server_free(struct sim_server *s);
/* Run until sim_server_stop (or a signal handler calls it). */
int sim_server_run(struct sim_server *s);
void sim_server_stop(struct sim_server *s);
/* Write where each venue listens, one line each, and a JSON file. */
void sim_server_print(const struct sim_server *s, FILE *f);

/* For tests and the venue files. */
struct sim_market *sim_server_market(struct sim_server *s);
struct sim_exch *sim_server_exch(struct sim_server *s);
struct sim_venue *sim_server_venue(struct sim_server *s, const char *name);
struct net_loop *sim_server_loop(struct sim_server *s);
uint16_t sim_server_control_port(const struct sim_server *s);
uint64_t sim_server_steps(const struct sim_server *s);
/* How many times the step timer has fired (paused or not). */
uint64_t sim_server_clock_ticks(const struct sim_server *s);

/*
 * Pause (control's POST /pause) or resume (POST /resume) the market. Paused:
 * no market steps (so no book changes, trades or opportunity moves from the
 * model), after every venue flushed what it held back; a replay holds its
 * frames. Connections, keepalives, orders and scripted faults go on; a book
 * an order changes while paused is published at once. Resuming goes on from
 * where the market stopped (the paused time is not caught up). Both are
 * idempotent.
 */
void sim_server_pause(struct sim_server *s);
void sim_server_resume(struct sim_server *s);
bool sim_server_paused(const struct sim_server *s);

#endif
