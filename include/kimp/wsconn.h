/* SPDX-License-Identifier: MIT */
/*
 * A WebSocket connection, client or server, over a stream (plain TCP or
 * TLS): the opening handshake, frames through the codec in ws.h, pongs and
 * close replies sent as the codec asks, protocol violations closed with the
 * right code and counted (rx.counters).
 *
 * Storage: struct ws_conn and its buffer (WS_CONN_BUF_SIZE) are the
 * caller's, made at startup. Over plain TCP the loop's stage_size must be
 * at least WS_RX_BUF_MIN(max_frame) so a whole frame fits.
 *
 * Server side, two ways in: ws_conn_accept takes a freshly accepted
 * connection and reads the upgrade request itself; ws_conn_accept_from
 * takes a connection whose first bytes someone else already read (an HTTP
 * server's on_request that saw the upgrade: ws_conn_upgrade does the whole
 * hand-over from an http_server), and carries on exactly as if it had read
 * them itself: same checks, same 101, same refusals. Over plain TCP only.
 */
#ifndef KIMP_WSCONN_H
#define KIMP_WSCONN_H

#include "kimp/stream.h"
#include "kimp/ws.h"

struct ws_conn;
struct http_sconn;

struct ws_conn_ops {
	/* handshake done (0), or the connect, TLS or upgrade failed (-errno) */
	void (*on_open)(struct ws_conn *w, int err);
	/* a whole message; data is writable and valid only during the call */
	void (*on_message)(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len);
	/* closed: 'code' is the peer's close code, the code we failed the
	 * connection with, or WS_CLOSE_ABNORMAL (1006) when TCP just went */
	void (*on_close)(struct ws_conn *w, unsigned code, int err);
	/*
	 * Server, optional: the upgrade request arrived and is a valid one.
	 * head[0..len) is the request head (find headers with ws_hs_header),
	 * valid only during the call. Return 0 to accept, or an HTTP status
	 * (401, 403, 404, 429, 503, ...) to refuse with: the reply carries
	 * the body set with ws_conn_reject_body (if any), the connection
	 * closes and on_open(w, -EPERM) follows.
	 */
	unsigned (*on_upgrade)(struct ws_conn *w, const struct ws_hs_request *req,
			       const char *head, size_t len);
};

enum ws_conn_state {
	WS_CONN_IDLE = 0,
	WS_CONN_HANDSHAKE,
	WS_CONN_OPEN,
	WS_CONN_CLOSING,
};

/* Caller storage; fields are private to ws_conn.c. */
struct ws_conn {
	struct net_stream st;
	struct ws_tx tx;
	struct ws_rx rx;
	enum ws_role role;
	uint8_t state;
	bool opened;
	unsigned close_code;
	const struct ws_conn_ops *ops;
	void *user;
	uint8_t *out;           /* frame scratch (masking, TLS) */
	size_t out_cap;
	const char *path;       /* client: request target (caller's string) */
	const char *extra;      /* client: extra header lines, or NULL */
	const char *reject_body; /* server: body of a refusal (on_upgrade) */
	size_t out_len;         /* corked frames waiting in out */
	uint32_t corked;        /* cork depth */
	/* Plain TCP: bytes handed over by ws_conn_accept_from (a partial
	 * request or frame) that later arrivals continue, in the buffer's
	 * room a plain stream leaves unused; carry_cap 0 with TLS. */
	uint8_t *carry;
	uint32_t carry_len, carry_cap;
	struct http_sconn *sc;  /* ws_conn_upgrade: the slot to release */
	char key[WS_KEY_LEN + 1];
	char host[NET_TLS_HOST_MAX + 8];
};

/* Buffer bytes for messages up to max_msg. */
#define WS_CONN_BUF_SIZE(max_msg)                                          \
	(NET_STREAM_BUF_SIZE(WS_RX_BUF_MIN(max_msg)) + (size_t)(max_msg) +   \
	 WS_RX_BUF_MIN(max_msg) + 1024)

int ws_conn_init(struct ws_conn *w, enum ws_role role, struct net_tls_ctx *tls,
		 void *buf, size_t buf_len, size_t max_msg) kimp_cold;

/*
 * Client: connect to addr, upgrade at 'path' on 'host' (the Host header, the
 * TLS name, the SNI). 'path' and 'extra' must outlive the handshake. The
 * outcome comes to ops->on_open.
 */
int ws_conn_connect(struct net_loop *l, struct ws_conn *w, const char *host, uint16_t port,
		    const struct sockaddr *addr, socklen_t alen, const char *path,
		    const char *extra, uint64_t timeout_ns, const struct ws_conn_ops *ops,
		    void *user) kimp_cold;

/* Server: take over an accepted connection and wait for the upgrade. */
int ws_conn_accept(struct ws_conn *w, struct net_conn *c, const struct ws_conn_ops *ops,
		   void *user) kimp_cold;

/*
 * Server, plain TCP: take over connection c, whose first bytes were already
 * read by its previous owner: pre[0..pre_len) (NULL/0: none, then this is
 * ws_conn_accept). They start with the upgrade request, whole or not, and
 * may go on with frames: they are handled now, from inside this call,
 * exactly as if they had just arrived: the request checked as
 * ws_conn_accept checks it (on_upgrade asked; a bad one refused 400, a
 * wrong version 426; on_open(w, -EPROTO or -EPERM) then), the 101 sent,
 * on_open(w, 0), then any whole frames to on_message; a partial frame is
 * copied into w and continued by what arrives next. pre is written in
 * place (unmasking) and not kept. w's stream takes c over (its ops and
 * user): from 0 on, c is w's, and its end comes to w's on_close (or,
 * refused, after on_open(w, err)). -EINVAL (w not an idle server, pre NULL
 * with pre_len) or -EOPNOTSUPP (w was set up with TLS): nothing taken, c is
 * still the caller's.
 */
int ws_conn_accept_from(struct ws_conn *w, struct net_conn *c, uint8_t *pre, size_t pre_len,
			const struct ws_conn_ops *ops, void *user) kimp_cold;

/*
 * Server: from an http_server's on_request (httpconn.h) for a WebSocket
 * upgrade request: hand the request's connection over from slot sc to w
 * (http_sconn_detach, then ws_conn_accept_from with the bytes the server
 * read), so the WebSocket is served on the HTTP server's port. 0: the
 * connection is w's and everything goes on as in ws_conn_accept_from; the
 * slot stays reserved (counted in the server's max_conns) until w's
 * connection is gone, when w releases it on its own (from the stream's
 * close, before w's on_close); http_server_stop() closes w's connection
 * (a 1001 close frame, then TCP). -EINVAL (w not an idle server, or not
 * inside on_request before a reply) or -EOPNOTSUPP (a TLS server, or w set
 * up with TLS): nothing changed, the request still waits for its reply.
 */
int ws_conn_upgrade(struct ws_conn *w, struct http_sconn *sc, const struct ws_conn_ops *ops,
		    void *user) kimp_cold;

/* Send one message (WS_OP_TEXT or WS_OP_BINARY). 0 or -errno. */
int ws_conn_send(struct ws_conn *w, unsigned opcode, const void *data, size_t len);
int ws_conn_ping(struct ws_conn *w, const void *data, size_t len);

/*
 * Gather: frames sent between cork and uncork are encoded one after another
 * in the frame buffer and leave together (with TLS, in as few records as
 * fit), when the buffer fills or at the outermost uncork (corks nest).
 * uncork returns 0 or the first send error. Control frames and close flush
 * first.
 */
void ws_conn_cork(struct ws_conn *w);
int ws_conn_uncork(struct ws_conn *w);

/* Server, from on_upgrade: the body of the refusal (caller's string). */
static inline void ws_conn_reject_body(struct ws_conn *w, const char *body)
{
	w->reject_body = body;
}

/* Start the closing handshake with 'code'; on_close follows. */
void ws_conn_close(struct ws_conn *w, unsigned code) kimp_cold;

static inline void *ws_conn_user(const struct ws_conn *w)
{
	return w->user;
}

#endif
