/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 connections over streams (plain TCP or TLS, kimp/stream.h), with
 * the codec in kimp/http.h doing all the parsing and writing.
 *
 *   client   struct http_client: one keep-alive connection to one origin,
 *            for venue REST order entry. Requests are written by the caller
 *            with net_http_req_* straight into the client's request buffer
 *            (http_client_req_begin, then http_client_send); one request is
 *            in flight at a time, or a small pipeline; every request has a
 *            deadline kept by one loop timer; each response comes to
 *            ops->on_response with the parser (headers) and the body.
 *   server   struct http_server: a listener and a pool of connection slots
 *            made at startup (exchange simulator, monitoring endpoint).
 *            Requests, pipelined ones in order, go to ops->on_request, which
 *            writes its reply with net_http_reply_* into the slot's reply
 *            buffer; limits are answered 431/413/414 and bad requests 400,
 *            each followed by a close; an optional router answers 404/405.
 *            on_request may hand its connection over to another protocol
 *            (a WebSocket upgrade: http_sconn_detach, or ws_conn_upgrade in
 *            wsconn.h), so one port serves both.
 *
 * Receiving. Both sides take every byte the stream hands them (on_data
 * always consumes all): a message that arrived whole is parsed in place in
 * the stream's buffer (no copy); the start of one that has not is kept in
 * the connection's own receive buffer (struct http_rx) until the rest comes.
 * So the loop's stage_size and the stream's stage are never used, and only
 * the connection's receive buffer must hold a whole message: see
 * HTTP_RX_SIZE.
 *
 * Errors: 0 or -errno as everywhere in kimp; protocol errors are the
 * codec's -NET_HTTP_E_* (above 4095). Back pressure (the loop's send queue
 * cannot take a request now) is -ENOBUFS, a status.
 *
 * Threads: a client or a server belongs to the thread of its loop.
 */
#ifndef KIMP_HTTPCONN_H
#define KIMP_HTTPCONN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/stream.h"

/* ---- receive buffer (both sides) ------------------------------------------ */

/*
 * The start of a message that has not arrived whole, kept between arrivals;
 * empty while messages arrive whole. Caller storage inside the connection.
 */
struct http_rx {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
};

/*
 * Receive buffer bytes that hold any message within the limits: the header
 * section, the body, and room for chunk framing (an eighth of the body, at
 * least 1 KiB: chunks of 64 bytes or more). A chunked message with more
 * framing than that fails with NET_HTTP_E_BODY_SIZE (413 on a server).
 */
#define HTTP_RX_SIZE(max_hdr_bytes, max_body)                                  \
	((size_t)(max_hdr_bytes) + (size_t)(max_body) + (size_t)(max_body) / 8 + \
	 1024)

/* Append n bytes. 0, or -EMSGSIZE when they do not fit (nothing kept). */
static inline int http_rx_append(struct http_rx *rx, const uint8_t *d, size_t n)
{
	if (kimp_unlikely(n > (size_t)(rx->cap - rx->len)))
		return -EMSGSIZE;
	memcpy(rx->buf + rx->len, d, n);
	rx->len += (uint32_t)n;
	return 0;
}

/*
 * Keep base[off..n) for the next arrival: base is the stream's buffer (the
 * bytes are copied) or rx->buf itself (they are moved down). 0 or -EMSGSIZE.
 */
static inline int http_rx_keep(struct http_rx *rx, const uint8_t *base, size_t off,
			       size_t n)
{
	if (base == rx->buf) {
		memmove(rx->buf, rx->buf + off, n - off);
		rx->len = (uint32_t)(n - off);
		return 0;
	}
	rx->len = 0;
	return http_rx_append(rx, base + off, n - off);
}

/* ---- client ------------------------------------------------------------ */

#define HTTP_CLIENT_PIPELINE_MAX 8

struct http_client;

/*
 * One finished request, given to ops->on_response. Everything it points to
 * is valid only during the call.
 */
struct http_client_resp {
	/*
	 * 0: a response arrived (any status). Else why there is none:
	 *   -NET_HTTP_E_CLOSED  the peer closed before any byte of it came (an
	 *                       idle keep-alive connection the peer dropped as
	 *                       the request went out, or a request pipelined
	 *                       behind a response that closed the connection):
	 *                       not processed, retry if idempotent
	 *   -ETIMEDOUT          no whole response by the deadline; the
	 *                       connection was closed, the outcome is unknown
	 *   -ECONNABORTED       pipelined behind a request that failed; the
	 *                       connection was closed, the outcome is unknown
	 *   -ECANCELED          http_client_close() with the request in flight
	 *   -NET_HTTP_E_*       the response broke the protocol (also
	 *                       TRUNCATED: the peer closed inside it)
	 *   -errno              the stream failed (TLS error, reset)
	 */
	int err;
	uint16_t status;
	bool reused;            /* an earlier response came on this connection */
	bool head;              /* answered a HEAD request: no body */
	uint64_t id;            /* as given to http_client_send */
	uint64_t sent_ns;       /* net_now_ns() when it was sent */
	/* The response: status, version, keep_alive, headers through
	 * net_http_header(msg, ...) and friends. NULL when err. */
	const struct net_http_parser *msg;
	struct net_http_str body; /* .p NULL when there is none */
};

struct http_client_ops {
	/* connected (with TLS: handshake done), or the connect failed (-errno);
	 * after a failure no on_close follows */
	void (*on_open)(struct http_client *c, int err);
	/* a request finished; see struct http_client_resp. A new request may
	 * be sent from here. */
	void (*on_response)(struct http_client *c, const struct http_client_resp *r);
	/*
	 * The connection is gone (the client is IDLE again and may connect
	 * from here). err says why:
	 *   0                   we closed it: http_client_close(), or a
	 *                       response that ended the connection
	 *                       (Connection: close, HTTP/1.0, body until EOF)
	 *   -NET_HTTP_E_CLOSED  the peer closed it with nothing in flight (an
	 *                       idle keep-alive connection timed out there), or
	 *                       before any byte of the response in flight
	 *   else                the error that ended it: -ETIMEDOUT, a
	 *                       -NET_HTTP_E_*, -EPROTO (bytes with no request in
	 *                       flight), -errno from the stream
	 */
	void (*on_close)(struct http_client *c, int err);
};

struct http_client_cfg {
	/* header and body limits for responses; a zero field takes the
	 * codec's default (8 KiB of headers, 64 fields, 1 MiB of body) */
	struct net_http_limits lim;
	/* request buffer: head plus the templates' body staging (0: 4 KiB +
	 * NET_HTTP_BODY_STAGE) */
	uint32_t req_cap;
	/* receive buffer (0: HTTP_RX_SIZE of the limits) */
	uint32_t rx_cap;
	/* per-request deadline, from the send (0: 10 s). One value per client:
	 * deadlines then come in send order and one timer serves them all. */
	uint64_t timeout_ns;
	/* requests in flight at once, 1 (0 too) .. HTTP_CLIENT_PIPELINE_MAX */
	uint32_t pipeline;
};

enum http_client_state {
	HTTP_CLIENT_IDLE = 0,
	HTTP_CLIENT_CONNECTING, /* TCP connect or TLS handshake */
	HTTP_CLIENT_OPEN,
	HTTP_CLIENT_CLOSING,    /* closed or failed: sends fail until IDLE */
};

/* A request in flight (private). */
struct http_client_inflight {
	uint64_t id;
	uint64_t sent_ns;
	uint64_t deadline_ns;
	bool head;
};

/*
 * Caller storage, with its buffer (http_client_buf_size bytes), made at
 * startup. Fields are private to http_conn.c. The struct must stay put
 * while its timer is armed (see http_client_idle) or until the loop is
 * freed.
 */
struct http_client {
	struct net_stream st;
	struct net_timer timer;         /* the deadline of the oldest request */
	struct net_http_parser p;       /* responses */
	struct net_http_req req;        /* the request being written */
	struct http_rx rx;
	struct net_loop *loop;
	const struct http_client_ops *ops;
	void *user;
	char *reqbuf;
	uint32_t req_cap;
	uint32_t pipeline;
	uint64_t timeout_ns;
	uint64_t responses;             /* on this connection */
	int close_err;                  /* what on_close will say */
	uint8_t state;                  /* enum http_client_state */
	bool building;                  /* req_begin given out, not sent */
	bool parser_armed;              /* p is set up for inflight[head] */
	uint32_t req_len;               /* finished, waiting for queue room */
	uint32_t head, count;           /* the in-flight ring */
	struct http_client_inflight inflight[HTTP_CLIENT_PIPELINE_MAX];
};

/* Buffer bytes http_client_init needs for cfg (NULL: the defaults). Cold. */
size_t http_client_buf_size(const struct http_client_cfg *cfg) kimp_cold;

/*
 * Set a client up over buf (http_client_buf_size(cfg) bytes or more, the
 * caller's, outliving the client). tls NULL: plain TCP; else a client
 * context. cfg NULL: defaults. 0 or -EINVAL. Allocates nothing.
 */
int http_client_init(struct http_client *c, struct net_tls_ctx *tls,
		     const struct http_client_cfg *cfg, void *buf, size_t buf_len) kimp_cold;

/*
 * Connect to addr; 'host' is the TLS name and SNI (the Host header comes
 * from the request templates), 'port' the TLS resumption key. The outcome
 * comes to ops->on_open. 0, -EBUSY while the previous connection is still
 * closing (after a failed TLS handshake the socket closes a moment after
 * on_open has said so), or -errno from the stream. Reconnecting (with
 * backoff) is the caller's business: on_close says when the client is IDLE
 * again, and it may connect from inside on_close.
 */
int http_client_connect(struct net_loop *l, struct http_client *c, const char *host,
			uint16_t port, const struct sockaddr *addr, socklen_t alen,
			uint64_t timeout_ns, const struct http_client_ops *ops,
			void *user) kimp_cold;

/*
 * Begin a request from template t in the client's request buffer and hand
 * out the builder: write the path, query, headers and body with
 * net_http_req_* (see http.h), then http_client_send. The builder points
 * into the client and stays valid until the send or the next begin (which
 * drops a request still waiting for queue room). NULL when no request can
 * go now: not OPEN, or the pipeline is full (see http_client_can_send); or
 * when the template's body staging does not fit the request buffer.
 */
struct net_http_req *http_client_req_begin(struct http_client *c,
					   const struct net_http_tmpl *t);

/*
 * Finish the request begun and send it; its response, or its failure,
 * comes to ops->on_response with 'id'. 0; -ENOBUFS when the send queue
 * cannot take it now (a status: the request is kept, call again later);
 * -EMSGSIZE (it overflowed the request buffer) or -EINVAL (builder misuse,
 * or no begin): the request is dropped; -ENOTCONN when not OPEN, -EBUSY
 * when the pipeline is full.
 */
int http_client_send(struct http_client *c, uint64_t id);

/*
 * Close: requests in flight complete with -ECANCELED, then on_close(c, 0)
 * follows when the stream is down. Nothing happens when IDLE or CLOSING.
 */
void http_client_close(struct http_client *c) kimp_cold;

static inline enum http_client_state http_client_state(const struct http_client *c)
{
	return (enum http_client_state)c->state;
}

/* A request can be begun and sent now. */
static inline bool http_client_can_send(const struct http_client *c)
{
	return c->state == HTTP_CLIENT_OPEN && c->count < c->pipeline;
}

/* Requests sent and not finished. */
static inline uint32_t http_client_inflight(const struct http_client *c)
{
	return c->count;
}

static inline void *http_client_user(const struct http_client *c)
{
	return c->user;
}

/*
 * No connection and no timer armed: the struct and its buffer may go. The
 * deadline timer is never cancelled (see http_conn.c), so after the last
 * request this can take up to timeout_ns; freeing after net_loop_free()
 * needs no wait.
 */
bool http_client_idle(const struct http_client *c) kimp_cold;

/* ---- server ------------------------------------------------------------ */

struct http_server;
/* One connection slot of a server; opaque, reused after its on_close. */
struct http_sconn;

struct http_server_ops {
	/*
	 * A request. req (accessors, body) is valid only during the call.
	 * route: the index of the matching cfg.routes entry (a HEAD request
	 * also matches a GET route), or -1 without routes; unmatched requests
	 * never come here (404/405). Reply with http_sconn_reply(), then
	 * net_http_reply_* ending the reply (body, head or end of chunks); it
	 * is sent when this returns. Or return without a reply to answer later
	 * (http_sconn_reply + http_sconn_send, from anywhere on the loop's
	 * thread): later requests on this connection wait, in order. A late
	 * reply must check the slot is still that connection (on_close, or
	 * http_sconn_serial unchanged): slots are reused. For a HEAD request
	 * the server sends only the header section of whatever reply is
	 * written. No 100 Continue is sent: a client that sent Expect waits
	 * its own while, then sends the body (RFC 9110 10.1.1).
	 */
	void (*on_request)(struct http_sconn *sc, const struct net_http_parser *req,
			   int route);
	/* accepted (with TLS: handshake done); optional */
	void (*on_open)(struct http_sconn *sc);
	/* closed: 0 (by either side) or -errno; the slot is reused after
	 * this returns. Optional. Not called for a failed TLS handshake, nor
	 * for a connection handed over with http_sconn_detach (neither then
	 * nor when its new owner releases the slot): the detach ends the
	 * slot's story for this connection. */
	void (*on_close)(struct http_sconn *sc, int err);
};

struct http_server_cfg {
	struct net_tls_ctx *tls;        /* NULL: plain TCP; else a server context */
	uint32_t max_conns;             /* connection slots (0: 16) */
	/* request limits, answered 431 (header section, header count), 414
	 * (request line), 413 (body); a zero field: the default */
	struct net_http_limits lim;
	uint32_t rx_cap;                /* per connection (0: HTTP_RX_SIZE of lim);
					 * also bounds requests pipelined behind
					 * one that waits: more closes the
					 * connection */
	uint32_t reply_cap;             /* per-connection reply buffer (0: 64 KiB) */
	/* after answering a request that could not be read (4xx, then close),
	 * keep reading and dropping input until the peer closes or this long
	 * (0: 1 s), so the answer is not lost to a reset */
	uint64_t linger_ns;
	/* the loop's send queue was full: try again after this (0: 100 us) */
	uint64_t retry_ns;
	const struct net_http_route *routes; /* optional; caller's, outliving the server */
	uint32_t nroutes;
	const struct http_server_ops *ops;
	void *user;
};

struct http_server_stats {
	uint64_t accepted;
	uint64_t refused;       /* no free slot: closed at once */
	uint64_t tls_failed;    /* handshakes that failed */
	uint64_t requests;      /* given to on_request */
	uint64_t errors;        /* answered by the server itself: 4xx, 500 */
	uint64_t tx_blocked;    /* the send queue was full: a retry was armed */
	uint64_t overflow;      /* closed: too much input pipelined while waiting */
	uint64_t detached;      /* handed over by http_sconn_detach */
};

/*
 * Make a server listening on addr (port 0: see http_server_port) on loop l,
 * with cfg->max_conns slots and their buffers allocated here, once. 0, or
 * -EINVAL (bad cfg), -ENOMEM, -errno from the listener. Cold.
 */
int http_server_new(struct http_server **out, struct net_loop *l,
		    const struct sockaddr *addr, socklen_t alen,
		    const struct http_server_cfg *cfg) kimp_cold;
uint16_t http_server_port(const struct http_server *s);
/*
 * Stop listening and close every connection (on_close follows for each).
 * Connections handed over (http_sconn_detach) and not yet released are
 * closed too: through the stop hook given to the detach when there is one
 * (ws_conn_upgrade's sends a 1001 close and drops TCP), else with
 * net_close(); their new owner hears it as its own close, and releases.
 */
void http_server_stop(struct http_server *s) kimp_cold;
/* No connection open (nor handed over and unreleased) and no timer armed. */
bool http_server_idle(const struct http_server *s) kimp_cold;
/*
 * Free the server: after http_server_idle() (with the loop still running),
 * or after net_loop_free(). A TLS session still held by a slot (the loop
 * was freed under it) is released here. NULL is fine.
 */
void http_server_free(struct http_server *s) kimp_cold;
const struct http_server_stats *http_server_stats(const struct http_server *s);
void *http_server_user(const struct http_server *s);

/*
 * Start the reply to the request waiting on sc, in the slot's reply
 * buffer: status line, and Connection: close when flags has
 * NET_HTTP_R_CLOSE or the request asked for it (or was HTTP/1.0). Go on
 * with net_http_reply_* on what it returns. Starting again discards what
 * was written. NULL when no request is waiting (the connection closed).
 * The reply belongs to sc until it is sent.
 */
struct net_http_reply *http_sconn_reply(struct http_sconn *sc, unsigned status,
					unsigned flags);

/*
 * Send the reply and finish the request; the next pipelined request, if
 * any, goes to on_request (from inside this call when called outside
 * on_request). Automatic when on_request returns with a reply started. 0,
 * -EINVAL (no reply started), -ENOTCONN. A reply the builder failed on
 * (-ENOBUFS, -EINVAL) is replaced by a 500 and the connection closed.
 */
int http_sconn_send(struct http_sconn *sc);

/*
 * Send what the reply holds so far and rewind it, for a chunked reply
 * larger than the buffer: net_http_reply_chunked, chunks, flush, chunks,
 * net_http_reply_end, send. 0, or -ENOBUFS when the send queue took only
 * part (the rest stays at the front of the buffer: flush again later).
 */
int http_sconn_flush(struct http_sconn *sc);

/* Close the connection (after what is queued); a waiting request is dropped.
 * Nothing happens to a connection handed over. */
void http_sconn_close(struct http_sconn *sc);

/*
 * What http_sconn_detach hands over. Plain TCP only.
 */
struct http_sconn_handover {
	/* the accepted loop connection, now the caller's: it must take it
	 * over (net_conn_set_ops/net_conn_set_user, or net_stream_accept)
	 * before on_request returns, or close it */
	struct net_conn *conn;
	/*
	 * The bytes already read from it: the request being handed over
	 * (request line, headers, and its body if it had one), then
	 * everything the peer sent behind it that the server has read (a
	 * first WebSocket frame that came in the same segment). Writable
	 * (the new owner may unmask in place) and valid only until
	 * on_request returns: the new owner copies what it keeps. Bytes the
	 * server had not read yet come to the new owner's on_data; so do, with
	 * the next arrival, the rare ones that came in the same arrival but
	 * did not fit the slot's receive buffer (rx_cap) behind the request.
	 */
	uint8_t *pre;
	size_t pre_len;
};

/*
 * Hand the connection of the request in on_request over to a new owner
 * (a WebSocket upgrade; see ws_conn_upgrade in wsconn.h, which does all of
 * it). Only from inside on_request, for that request, before a reply was
 * started: -EINVAL otherwise (also for a late reply), -EOPNOTSUPP on a TLS
 * server (the TLS session lives in the slot and cannot move; nothing
 * changes: answer the request as usual). On 0:
 *   - *h is filled (see struct http_sconn_handover); the request is
 *     finished without a reply, the slot takes no further part in the
 *     connection (no on_close, sends and closes through sc do nothing) and
 *     sc's user pointer is cleared;
 *   - the slot stays reserved, counted against max_conns, until the new
 *     owner calls http_sconn_release(sc); http_server_idle() is false
 *     meanwhile;
 *   - http_server_stop() closes the connection: stop(arg) when stop is
 *     given (it must close the connection, at once or after a goodbye),
 *     else net_close(h->conn).
 * The new owner must call http_sconn_release(sc) at the latest from its
 * on_close of that connection (the loop reuses the net_conn after that),
 * and may call it earlier once it has started closing: the server then
 * forgets the connection.
 */
int http_sconn_detach(struct http_sconn *sc, struct http_sconn_handover *h,
		      void (*stop)(void *arg), void *arg) kimp_cold;

/*
 * The new owner of a connection handed over with http_sconn_detach is done
 * with it (closed, or closing): the slot is free for the next accept.
 * Nothing happens for a slot that is not handed over.
 */
void http_sconn_release(struct http_sconn *sc) kimp_cold;

void *http_sconn_user(const struct http_sconn *sc);
void http_sconn_set_user(struct http_sconn *sc, void *user);
struct http_server *http_sconn_server(const struct http_sconn *sc);
/* Requests finished on this connection so far. */
uint64_t http_sconn_requests(const struct http_sconn *sc);
/* Connections accepted by the server before this one (a serial number). */
uint64_t http_sconn_serial(const struct http_sconn *sc);

#endif
