/* SPDX-License-Identifier: MIT */
/*
 * orderd: order entry. Takes riskd's orders (ring `orders` in riskd's
 * segment), journals them (core.h), signs and sends them to the venue
 * through libvenue's order tables (kimp/venue_ord.h: nothing here names a
 * venue), follows every order to a final state and reports each state
 * change and fill to riskd and stratd (rings rep.riskd, rep.stratd in its
 * own segment, kimp/order.h).
 *
 *   conf.c     [orderd] and [order.NAME] (plus the engine's trading config
 *              through tradeconf); the secrets, into locked memory
 *   orderd.c   the segment, the journal replay, the order path, venue
 *              events -> state machine -> journal -> reports, the loop
 *   session.c  per live venue: REST pool, ws-api, private stream, redial,
 *              keepalives, deadlines, queries, time sync, reconciliation,
 *              rate limits, bans, sticky failures; paper venues
 *
 * One thread: the order path, the network loop and the idle work all run
 * on it. Cold paths may log with fprintf(stderr); the order path never
 * does.
 */
#ifndef KIMP_ORDERD_H
#define KIMP_ORDERD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "kimp/config.h"
#include "kimp/httpconn.h"
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/net.h"
#include "kimp/netfutex.h"
#include "kimp/order.h"
#include "kimp/redial.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/tls.h"
#include "kimp/tradeconf.h"
#include "kimp/venue_ord.h"
#include "kimp/wait.h"
#include "kimp/wsconn.h"
#include "core.h"

#define OD_URL_MAX      256
#define OD_PATH_MAX     256
#define OD_REST_MAX     8           /* rest_conns at most */
#define OD_REQS         4096        /* in-flight requests per venue (power of two) */
#define OD_WORK         4096        /* cancels and queries waiting per venue (power of two) */
#define OD_WS_MSG_MAX   (256 * 1024) /* largest WebSocket message taken */
/*
 * Requests awaiting their reply on one WebSocket channel at most. Replies
 * (with the execution reports they bring, ~2 KiB an order on Binance) are
 * what the venue queues for us: a venue cuts a reader whose queue it cannot
 * hold (exsim at 1 MiB), so beyond this the channel takes no more requests.
 */
/* Under load the idle work still runs this often (orderd_run). */
#define OD_IDLE_EVERY_NS 200000ull
#define OD_WS_INFLIGHT  256
#define OD_DUP_LOG_NS   1000000000ull /* duplicate client_oids: one log line a second at most */
/*
 * The e2e bench's stage breakdown, recorded when an order is handed to the
 * kernel (histograms "stage.<name>_ns", global): md (feedd's reap to
 * stratd's dequeue), strat, intent_hop, risk, order_hop (riskd's publish to
 * orderd's dequeue), encode_sign (the dequeue to the send).
 */
#define OD_STAGES       6

/* ---- configuration (conf.c) ----------------------------------------------------- */

struct od_url {
	bool tls;
	uint16_t port;
	char host[128];
	char path[OD_PATH_MAX];     /* "" when the URL has none */
};

/* A URL: http(s)://host[:port][/path], ws(s)://... 0 or -EINVAL. */
int od_url_parse(const char *s, struct od_url *u) kimp_cold;

/* One [order.NAME]. Durations in ns. */
struct orderd_venue_conf {
	bool present;               /* an [order.NAME] section */
	uint8_t mode;               /* enum kimp_ord_mode */
	const struct venue_ord *vo;
	char rest_url[OD_URL_MAX], wsapi_url[OD_URL_MAX], priv_url[OD_URL_MAX];
	struct od_url rest, wsapi, priv;   /* parsed; wsapi/priv host "" when none */
	char ca_file[OD_URL_MAX];   /* "" system store */
	char api_key[VO_API_KEY_MAX];
	char secret_file[OD_URL_MAX];   /* "" none */
	char secret_env[64];
	char pass_file[OD_URL_MAX]; /* passphrase (OKX): a 0600 file, "" none */
	char pass_env[64];          /* ... else this environment variable (unset: none) */
	uint64_t recv_window_ns, timeout_ns, query_delay_ns, query_every_ns;
	uint64_t unknown_grace_ns, keepalive_ns, time_sync_ns;
	uint64_t rate_edge_ns, backoff_min_ns, backoff_max_ns;
	uint32_t rest_conns;
	uint32_t rest_pipeline;     /* REST requests in flight per connection (1..HTTP_CLIENT_PIPELINE_MAX) */
	double rate_share;
	bool rate_limits;           /* false (bench only): no budget of our own; 429/418 still honoured */
};

struct orderd_conf {
	char name[SHM_NAME_MAX];        /* own segment */
	char riskd[SHM_NAME_MAX];       /* segment with the `orders` ring */
	char feedd[SHM_NAME_MAX];       /* segment with the book table (paper) */
	unsigned cpu;                   /* ~0u: not pinned */
	enum shm_wait_mode wait;
	uint64_t spin_ns, idle_wait_ns;
	uint32_t ring_slots;            /* rep rings (power of two) */
	uint32_t table_slots;
	char journal_dir[192];
	uint64_t journal_file_mb;
	enum jr_sync journal_sync;
	uint64_t journal_sync_interval_ns;
	char coid_prefix[VO_PREFIX_MAX + 1];
	uint32_t report_backlog;        /* reports kept while a ring is full */
	struct kimp_trade_conf trade;
	struct orderd_venue_conf venue[KIMP_VENUE_MAX];
};

/*
 * Read [orderd], every [order.NAME] and the trading config from c. A live
 * venue must have its secret (the file is checked: a regular file, mode
 * 0600 or stricter; or the environment variable); nothing secret is kept
 * in out. 0, or -EINVAL with "FILE:LINE: key 'sec.key': why" in err.
 */
int orderd_conf_load(const struct kimp_conf *c, struct orderd_conf *out, char *err,
		     size_t errlen) kimp_cold;
/* The resolved configuration, never a secret, to f. */
void orderd_conf_print(const struct orderd_conf *c, FILE *f) kimp_cold;

/*
 * The keys of every live venue: one struct vo_keys per venue in a
 * page-aligned mapping that is mlock'd (a refusal is said on stderr, not
 * fatal) and excluded from core dumps (MADV_DONTDUMP). Each secret is read
 * once (secret_file, else the environment), handed to venue_ord.key_init
 * and wiped.
 */
struct orderd_keys {
	struct vo_keys *k;          /* [KIMP_VENUE_MAX] */
	size_t map_len;
	bool locked;
};

/* 0, or -errno with why (the venue, the path, the variable) in err. Cold. */
int orderd_keys_load(const struct orderd_conf *c, struct orderd_keys *out, char *err,
		     size_t errlen) kimp_cold;
/* Wipe and unmap. */
void orderd_keys_free(struct orderd_keys *k) kimp_cold;

/* ---- the daemon (orderd.c, session.c) ------------------------------------------- */

struct orderd;
struct od_venue;

/* A request in flight: what its reply (or its deadline) is about. */
struct od_req {
	uint64_t id;                /* 0: slot free */
	uint64_t coid;
	uint64_t sent_mono_ns;
	int64_t sent_real_ns;
	uint64_t deadline_ns;       /* ws-api: mono deadline (REST: the client's own) */
	uint8_t op, chan;
	uint8_t took;               /* rate units were taken */
	uint8_t pad;
	uint32_t conn;              /* REST connection index */
};

/* One REST keep-alive connection. */
struct od_rest {
	struct od_venue *v;
	struct http_client hc;
	void *buf;
	struct net_redial rd;
	uint32_t idx;
	bool up;
	uint64_t last_ns;           /* last request sent (mono) */
};

/* One WebSocket channel (VO_CH_WSAPI or VO_CH_PRIV). */
struct od_ws {
	struct od_venue *v;
	struct ws_conn w;
	void *buf;
	struct net_redial rd;
	uint8_t ch;
	bool on;                    /* the venue has the channel */
	bool up, subscribed, sub_sent;
	bool authing;               /* open, its VO_OP_LOGIN sent, not answered yet */
	uint64_t last_ping_ns, opened_ns;
	uint64_t sub_req, login_req;
	uint32_t inflight;          /* requests on it awaiting their reply (at most OD_WS_INFLIGHT) */
	_Atomic uint64_t *c_full;   /* sends it refused for being at OD_WS_INFLIGHT (NULL: none) */
	char path[OD_PATH_MAX];
	char hdr[2048];
};

/* A cancel or query waiting for a channel or rate budget. */
struct od_work {
	uint64_t coid;
	uint8_t op;
};

struct od_venue {
	struct orderd *d;
	unsigned v;                 /* enum kimp_venue */
	const struct venue_ord *vo;
	const struct orderd_venue_conf *vc;
	const struct kimp_trade_venue *tv;
	struct kimp_ord_venue *sv;  /* shared view */
	struct vo_ctx ctx;
	struct venue_symtab syms;
	uint32_t sym_of[KIMP_COINS_MAX];    /* inst -> index in syms, VENUE_SYM_NONE */
	struct orate rate;
	struct net_tls_ctx *tls;
	struct net_http_tmpl tmpl[VO_OP_N];
	bool tmpl_ok[VO_OP_N];
	struct od_rest rest[OD_REST_MAX];
	uint32_t nrest;
	uint32_t rest_rr;
	struct od_ws ws[VO_CH_N];   /* [VO_CH_WSAPI], [VO_CH_PRIV] */
	struct od_req *reqs;        /* [OD_REQS] */
	uint64_t next_req;
	struct od_work *work;       /* [OD_WORK] ring */
	uint32_t work_head, work_count;
	bool live, paper;
	bool sticky, halted;
	bool need_reconcile;        /* a report channel came back: query the live orders */
	bool clock_wait;            /* a -1021: refuse orders until the resync returns */
	bool time_inflight, time_ok;
	bool banned_said;
	bool rate_took;             /* the last od_rate_take charged units: the next request
	                             * carries them (od_req.took) until it ends */
	uint32_t parse_err_run;
	uint64_t next_time_sync_ns, next_keepalive_check_ns;
	uint64_t reset_seen;
	uint64_t ready_since_ns;
	void *paper_state;
	char wsbuf[8192];           /* a ws-api message being built */
	/* metrics */
	struct shm_hist *h_send, *h_ack, *h_report;
	struct shm_hist *h_t2o;     /* tick to order: md ingress stamp to sent */
	_Atomic uint64_t *c_alerts;
};

struct od_backlog {
	struct kimp_exec_report *r; /* [cap] */
	uint32_t cap, head, count;
};

struct orderd {
	const struct orderd_conf *conf;
	const struct orderd_keys *keys;
	struct shm_opts so;
	struct shm_seg seg;
	bool seg_open;
	struct kimp_ord_state *st;
	struct kimp_ord_control *ctl;
	struct shm_seqtab *tab;
	struct shm_ring *rep_r[2];
	struct shm_ring_prod rep[2];
	struct od_backlog backlog[2];
	struct shm_metrics *m;
	const struct kimp_tsc_cal *cal;
	/* riskd's orders ring */
	struct shm_seg risk_seg;
	bool risk_att, have_orders;
	struct shm_ring *orders_r;
	struct shm_ring_cons orders;
	uint64_t risk_ino;
	bool said_risk;
	/* feedd's books (paper) */
	struct shm_seg feed_seg;
	bool feed_att;
	struct shm_seqtab *books;
	/* core */
	struct journal j;
	bool j_open;
	struct otable ot;
	bool ot_init;
	uint64_t *next_q;           /* per table slot: next query (mono ns) */
	uint64_t *sent_mono;        /* per table slot: when it was sent (mono ns) */
	uint64_t *jcoid;            /* journaled client_oids (open addressing, 0 empty) */
	uint64_t *jring;            /* ... their ring sequence */
	uint64_t jmask, jcount;
	/* network */
	struct net_loop *loop;
	struct net_futex_wait fw;   /* hybrid: asleep on the orders ring's doorbell */
	struct od_venue *ven[KIMP_VENUE_MAX];
	uint64_t next_idle_ns, next_slow_ns, next_scan_ns;
	uint64_t last_idle_tsc;           /* orderd_run: the idle work's last turn */
	uint64_t idle_every_ticks;        /* OD_IDLE_EVERY_NS in TSC ticks */
	uint32_t replayed, republished;
	/* duplicate client_oids (not restart replays): dropped on the order
	 * path, said on the idle path at most once per OD_DUP_LOG_NS */
	uint64_t dup_last_coid;     /* the last one dropped */
	uint64_t dup_said;          /* c_dup_oid when last said */
	uint64_t next_dup_log_ns;
	/* metrics */
	_Atomic uint64_t *c_orders, *c_cancels, *c_reports, *c_local_rej, *c_dups;
	_Atomic uint64_t *c_invalid, *c_stale, *c_parse, *c_fee_est, *c_backlog;
	_Atomic uint64_t *c_dup_oid;    /* duplicates that were not a restart replay */
	_Atomic int64_t *g_open, *g_ready;
	struct shm_hist *h_t2o;     /* tick to order over every venue */
	struct shm_hist *h_stage[OD_STAGES]; /* see OD_STAGES */
	_Atomic uint64_t *c_stage_unstamped; /* orders sent without every stamp */
};

/*
 * Open (or resume) the segment, the journal and the table; replay the
 * journal; make the venues' sessions on a new loop. 0, or -errno with why
 * in err. Cold.
 */
int orderd_open(struct orderd *d, const struct orderd_conf *conf, const struct orderd_keys *k,
		const struct shm_opts *so, char *err, size_t errlen) kimp_cold;
/* Until *stop: orders, the network, idle work; waits (hybrid) when idle. */
void orderd_run(struct orderd *d, const volatile sig_atomic_t *stop);
/*
 * One turn of orderd_run, never waiting: up to 64 orders, the network, and
 * the idle work when the turn found nothing to do or, on a busy turn, when
 * OD_IDLE_EVERY_NS (d->idle_every_ticks) passed since it last ran. True
 * when the turn was busy.
 */
bool orderd_step(struct orderd *d);

/*
 * Hybrid wait, before orderd sleeps in its loop (a kernel with io_uring
 * futex waits, riskd attached): arm the order ring's doorbell, say orderd
 * sleeps, and have a futex wait on the doorbell's sequence armed in the
 * loop (one still armed from an earlier sleep is kept). Returns false,
 * having unsaid the sleep, when orders are ready after all: do not sleep
 * then. When the wait cannot be armed the sleep is unsaid too, and orderd
 * sleeps on the loop's timeout alone. After the sleep the caller clears the
 * doorbell's sleeping word.
 */
bool orderd_sleep_prepare(struct orderd *d);
/*
 * The order path alone: up to max orders from riskd's ring, each checked,
 * journaled, built, signed and handed to its channel (no network wait, no
 * idle work). The count taken. For tests and benches; orderd_run calls
 * the same.
 */
uint32_t orderd_take_orders(struct orderd *d, uint32_t max);
/* One turn of the loop that never sleeps: orders (up to max), the network, idle work. */
uint32_t orderd_turn(struct orderd *d, uint32_t max);
/* Journal closed, sessions closed, segments detached; cancels nothing. Cold. */
void orderd_close(struct orderd *d) kimp_cold;

/* Attach riskd's `orders` ring / feedd's book table when they appear (quiet). */
int orderd_attach_riskd(struct orderd *d) kimp_cold;
void check_riskd_replaced(struct orderd *d) kimp_cold;
int orderd_attach_feedd(struct orderd *d) kimp_cold;

/* ---- shared between orderd.c and session.c --------------------------------------- */

/* Handle one normalized venue event about request rq (NULL: a stream event). */
void od_on_event(struct od_venue *v, const struct od_req *rq, const struct vo_event *ev);
/* A request ended without a usable reply (deadline, disconnect, bad body). */
void od_on_ambiguous(struct od_venue *v, const struct od_req *rq, bool parse_error);
/* The order path's send: 0 (sent on *chan), or -errno when no channel took it. */
int od_send(struct od_venue *v, enum vo_op op, const struct vo_order *o, uint64_t coid,
	    uint8_t *chan, uint64_t *req_id);
/* Queue a cancel or query of coid (waits for budget and a channel). */
void od_work_push(struct od_venue *v, uint64_t coid, enum vo_op op);
/* A report channel went down: the venue is not ready; reconcile when back. */
void od_venue_unready(struct od_venue *v, const char *why) kimp_cold;
/* The venue can take orders now (sessions up, reconciled, not banned). */
bool od_venue_ok(struct od_venue *v, int64_t now_ms, int *rej);
/*
 * orate_take for v, unless the venue's rate_limits is off (the throughput
 * bench): then only a 429 backoff holds a request back. 0, or ms to wait.
 */
int64_t od_rate_take(struct od_venue *v, enum vo_op op, enum vo_chan ch, int64_t now_ms);
/*
 * A request that took rate units (rq->took, or with rq NULL the units of
 * the last od_rate_take that no request carried: a send that failed) has
 * ended: release its share of what is in flight, folding in obs (NULL: no
 * reply). Exactly once per charged request (core.h orate_observe).
 */
void od_rate_done(struct od_venue *v, const struct od_req *rq, const struct vo_rate_obs *obs);
/* Realtime ns now. */
int64_t od_real_ns(void);

/* The order (or the target of a cancel/query) as the builders see it: 0 or a KIMP_OREJ_*. */
int od_vo_order(const struct od_venue *v, const struct kimp_ord_entry *e, struct vo_order *o);
/* Send what waits in v's work queue while channels and budget allow. */
void od_work_run(struct od_venue *v);

/* Paper venues (orderd.c over paper.h): start, an operation, the idle check. */
int od_paper_start(struct od_venue *v, char *err, size_t errlen) kimp_cold;
int od_paper_send(struct od_venue *v, enum vo_op op, const struct vo_order *o, uint64_t coid);
void od_paper_idle(struct od_venue *v);

/* session.c */
int od_sessions_start(struct orderd *d, char *err, size_t errlen) kimp_cold;
void od_sessions_stop(struct orderd *d) kimp_cold;
/* Idle work of the sessions: keepalives, pings, time sync, deadlines, work queue. */
void od_sessions_idle(struct orderd *d, uint64_t now_ns);
/* Is every report channel of v up (and subscribed)? */
bool od_sessions_up(const struct od_venue *v);

#endif
