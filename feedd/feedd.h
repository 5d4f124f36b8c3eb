/* SPDX-License-Identifier: MIT */
/*
 * feedd: market data. One process, one io_uring loop, one thread on the hot
 * path: WebSocket feeds of the configured venues in, books in the shared
 * book table and one small event per change on the md ring out.
 *
 *   feed      one venue: its symbol table, its connections, its REST client
 *             for depth snapshots (diff venues), its books
 *   fd_conn   one logical connection carrying some of the venue's symbols;
 *             two WebSocket slots, so a planned reconnect opens the new
 *             socket before the old one goes
 *   fd_book   feedd's private state of one book; the shared record is
 *             rewritten (under its seqlock) on every change
 *
 * Everything is allocated at startup (feedd_open). The message path
 * (on_message -> decode -> book -> table and ring) allocates nothing, takes
 * no lock, formats no text and makes no system call; the recorder copies
 * frames to its writer thread.
 */
#ifndef KIMP_FEEDD_H
#define KIMP_FEEDD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "kimp/book.h"
#include "kimp/config.h"
#include "kimp/backoff.h"
#include "kimp/httpconn.h"
#include "kimp/metrics.h"
#include "kimp/net.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/tls.h"
#include "kimp/venue.h"
#include "kimp/wsconn.h"

struct dbook;
struct recorder;

#define FEEDD_VENUES_MAX   8
#define FEEDD_CONNS_MAX    8      /* connections per venue */
#define FEEDD_BOOKS_MAX    1024
#define FEEDD_COINS_MAX    128
#define FEEDD_URL_MAX      256
#define FEEDD_TARGET_MAX   (64 * 1024)
#define FEEDD_CHECKSUM_MAX 64   /* levels a side a venue checksum may read */
#define FEEDD_WS_SNAP_TIMEOUT_NS 10000000000ull /* a resubscription's snapshot is late */

/* ---- configuration --------------------------------------------------------- */

struct feed_url {
	bool tls;
	char host[128];
	uint16_t port;
	char path[FEEDD_URL_MAX];   /* prefix before the venue's target ("" none) */
};

struct feed_conf {
	const struct venue_md *md;
	struct feed_url ws, rest;
	char ca_file[FEEDD_URL_MAX]; /* "" : the system store */
	char quote[12];
	uint32_t ncoins;
	char coins[FEEDD_COINS_MAX][12];
	uint8_t px_dec, qty_dec;
	struct venue_sub sub;
	uint32_t conns;              /* connections to spread symbols over */
	uint64_t stale_after_ns;     /* a live book quiet this long goes stale */
	uint64_t idle_reconnect_ns;  /* a connection silent this long is replaced */
	uint64_t rotate_after_ns;    /* planned reconnect age (0: never) */
	uint64_t ping_every_ns;
	uint64_t connect_timeout_ns;
	struct net_backoff_conf backoff;      /* reconnects */
	uint64_t snap_backoff_min_ns, snap_backoff_max_ns; /* snapshot retries */
	uint32_t snapshot_limit;
	uint32_t book_cap;           /* levels a side kept locally (diff venues) */
	uint32_t snapshots_per_min;  /* the venue's snapshot request budget */
};

struct feedd_conf {
	char name[SHM_NAME_MAX];     /* segment and process name (default "feedd") */
	uint32_t ring_slots;         /* md ring slots, a power of two */
	unsigned cpu;                /* [feedd] cpu, ~0u: not pinned by the config */
	bool spin;                   /* spin on the loop (isolated core) */
	uint64_t stale_check_ns;     /* how often books are checked for quiet */
	char capture[FEEDD_URL_MAX]; /* record every frame here ("" off) */
	uint64_t capture_max_bytes;
	uint32_t capture_keep;
	uint64_t capture_ring_bytes;
	uint32_t ncoins;             /* engine.coins: instrument id = index + 1 */
	char coins[FEEDD_COINS_MAX][12];
	uint32_t nfeeds;
	struct feed_conf feeds[FEEDD_VENUES_MAX];
};

/*
 * Read feedd's configuration from c (section [feedd] and one [venue.NAME]
 * section per venue). 0, or -EINVAL with "FILE:LINE: key 'sec.key': why"
 * (or "FILE: why") in err.
 */
int feedd_conf_load(const struct kimp_conf *c, struct feedd_conf *out, char *err,
		    size_t errlen) kimp_cold;
/* Parse "wss://host:port/path" (ws, wss, http, https). 0 or -EINVAL. */
int feed_url_parse(const char *s, struct feed_url *u) kimp_cold;

/* ---- runtime --------------------------------------------------------------- */

enum fd_ws_state {
	FD_WS_IDLE = 0,
	FD_WS_CONNECTING,
	FD_WS_OPEN,        /* upgraded, subscribed, waiting for data */
	FD_WS_LIVE,        /* data flowing: this slot serves its books */
	FD_WS_CLOSING,
};

struct fd_ws {
	struct ws_conn ws;
	struct fd_conn *conn;
	uint8_t *buf;
	size_t buf_len;
	uint8_t state;       /* enum fd_ws_state */
	bool retiring;       /* replaced by the other slot: close when it is live */
	uint64_t opened_ns;  /* when it became LIVE */
	uint64_t last_rx_ns;
	uint64_t gen;        /* connection generation (for books) */
};

struct fd_conn {
	struct feed *feed;
	uint32_t idx;
	uint32_t nsyms;
	uint32_t *syms;             /* symbol indexes it carries */
	struct fd_ws slot[2];
	int active;                 /* the slot serving the books, -1 none */
	struct net_backoff bo;
	struct net_timer timer;     /* reconnect, ping, rotation, idle checks */
	uint64_t retry_at_ns;       /* the next connect attempt, 0 none */
	uint64_t next_ping_ns;
	uint64_t gen;
	char *target;               /* the request target */
	char *submsg;               /* the subscribe message (may be empty) */
	size_t submsg_len;
	struct sockaddr_storage addr;
	socklen_t alen;
	uint64_t ticket;
};

struct fd_book {
	struct feed *feed;
	uint32_t sym;               /* in feed->tab */
	uint32_t slot;              /* in the shared table */
	struct fd_conn *conn;
	struct dbook *db;           /* diff venues */
	struct kimp_book rec;       /* what the table holds */
	struct kimp_level top_bid, top_ask; /* the last TOP published */
	uint64_t top_id;            /* update id of the last TOP published */
	uint64_t last_trade_id;     /* diff venues: the last trade published */
	uint64_t last_mono_ns;      /* the last update (status checks) */
	bool snap_inflight;
	uint64_t ws_snap_ns;        /* VENUE_BOOK_WS: when its snapshot was asked for */
	_Atomic int64_t *g_age_ms;
	_Atomic int64_t *g_status;
};

/* Per-venue counters, in the metrics region. */
struct feed_metrics {
	_Atomic uint64_t *msgs, *bytes, *kind[VD_KIND_MAX], *err[VD_E_MAX];
	_Atomic uint64_t *gaps, *crossed, *resyncs, *stale_diffs, *too_old, *overflows;
	_Atomic uint64_t *snap_req, *snap_fail, *snap_bytes;
	_Atomic uint64_t *checksums, *checksum_fail, *venue_resyncs, *resubscribes;
	_Atomic uint64_t *reconnects, *connects, *connect_fail, *rotations, *idle_drops;
	_Atomic uint64_t *stale_marks, *venue_errors, *shutdowns, *capture_drops;
	_Atomic int64_t *snap_last_fail; /* HTTP status, or -errno, of the last failure */
	_Atomic int64_t *rate, *kind_rate[VD_KIND_MAX]; /* messages per second */
	uint64_t rate_at_ns, rate_msgs, rate_kind[VD_KIND_MAX];
	struct shm_hist *cqe_to_pub;
};

struct feed {
	struct feedd *fd;
	const struct venue_md *md;
	const struct feed_conf *conf;
	struct venue_symtab *tab;
	struct fd_book *books;      /* by symbol index */
	uint32_t nconns;
	struct fd_conn conns[FEEDD_CONNS_MAX];
	/* REST (diff venues) */
	struct http_client rest;
	void *rest_buf;
	struct net_http_tmpl snap_tmpl;
	struct net_backoff rest_bo;
	uint64_t rest_retry_at_ns;
	struct sockaddr_storage rest_addr;
	socklen_t rest_alen;
	uint32_t snap_inflight;
	uint64_t snap_stamps[64];   /* request times, for the per-minute budget */
	uint32_t snap_head;
	struct net_timer snap_timer;
	/* decoding */
	struct vd_msg msg;
	struct feed_metrics m;
	char venue_name[16];
};

struct feedd {
	struct feedd_conf *conf;
	struct net_loop *loop;
	struct net_tls_ctx *tls[FEEDD_VENUES_MAX];
	struct shm_seg seg;
	bool seg_open;
	struct shm_seqtab *table;
	struct shm_ring *ring;
	struct shm_ring_prod prod;
	bool ring_gap;              /* an event was dropped: flag the next */
	struct shm_metrics *metrics;
	const struct kimp_tsc_cal *cal;
	uint32_t nbooks;
	struct fd_book *book_by_slot[FEEDD_BOOKS_MAX];
	uint32_t nfeeds;
	struct feed feeds[FEEDD_VENUES_MAX];
	struct recorder *rec;
	struct net_timer stale_timer;
	_Atomic uint64_t *c_events, *c_ring_full, *c_status;
	struct shm_hist *h_cqe_to_pub;
	struct shm_hist *h_msg_to_pub;  /* from the message's turn to its event */
	uint64_t msg_tsc;               /* TSC when the message being handled got its turn */
	struct shm_hist *h_decode;      /* msg_tsc to the message decoded */
	struct shm_hist *h_book;        /* decoded to its event published */
	uint64_t dec_tsc;               /* TSC when it was decoded; 0: not a market message */
	volatile int stop;
};

/*
 * Make everything: the segment (named conf->name) with the book table, the
 * md ring and the metrics, the loop, TLS contexts, the connections' buffers,
 * the recorder. Connects nothing yet. 0 or -errno with a message in err.
 */
int feedd_open(struct feedd *fd, struct feedd_conf *conf, const struct shm_opts *so,
	       char *err, size_t errlen) kimp_cold;
/* Start every feed (resolve, connect, subscribe, snapshots follow). */
int feedd_start(struct feedd *fd, char *err, size_t errlen) kimp_cold;
/* One turn of the loop: spin (timeout 0) or wait up to timeout_ns. */
int feedd_poll(struct feedd *fd, uint64_t timeout_ns);
/* Close connections, drain the recorder, free everything. The segment stays. */
void feedd_close(struct feedd *fd) kimp_cold;

/* The metrics region's name in the segment. */
#define FEEDD_METRICS_REGION "metrics"
#define FEEDD_RING_REGION    "md"

/* ---- decode tool ----------------------------------------------------------- */

/*
 * feedd --decode VENUE: read raw venue messages, one per line, from in and
 * write the normalized events as JSON lines to out (errors as
 * {"error":"kind",...} lines). Symbols are learned from the messages (every
 * symbol seen is added with px_dec/qty_dec decimals). 0, or -EINVAL for an
 * unknown venue (message in err).
 */
int feedd_decode_stream(const char *venue, FILE *in, FILE *out,
			unsigned px_dec, unsigned qty_dec, char *err, size_t errlen) kimp_cold;

#endif
