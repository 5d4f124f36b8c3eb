/* SPDX-License-Identifier: MIT */
/*
 * WebSocket connections over streams.
 *
 * A server connection taken over with bytes already read (accept_from)
 * handles them at once; a partial frame among them (or a partial request)
 * is kept in the carry buffer, and while it is not empty every arrival is
 * appended there and handled from there, as the loop's staging would. The
 * carry is room a plain stream leaves unused (the staging part of its
 * buffer, which only TLS needs), so it costs no memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/httpconn.h"
#include "kimp/wsconn.h"

static int flush_cork(struct ws_conn *w)
{
	size_t n = w->out_len;

	if (!n)
		return 0;
	w->out_len = 0;
	return net_stream_send(&w->st, w->out, n);
}

static void send_ctrl(struct ws_conn *w)
{
	flush_cork(w);
	while (ws_rx_ctrl_pending(&w->rx)) {
		ssize_t n = ws_rx_ctrl_flush(&w->rx, w->out, w->out_cap);
		if (n <= 0)
			return;
		net_stream_send(&w->st, w->out, (size_t)n);
	}
}

/* ---- codec callbacks ------------------------------------------------------------ */

static void rx_message(void *ctx, unsigned opcode, uint8_t *data, size_t len)
{
	struct ws_conn *w = ctx;

	if (w->ops->on_message)
		w->ops->on_message(w, opcode, data, len);
}

static void rx_close(void *ctx, unsigned code, const uint8_t *reason, size_t len)
{
	struct ws_conn *w = ctx;

	w->close_code = code;
}

static void rx_ctrl(void *ctx)
{
	send_ctrl(ctx);
}

static const struct ws_rx_ops conn_rx_ops = {
	.on_message = rx_message,
	.on_close = rx_close,
	.on_ctrl = rx_ctrl,
};

/* ---- the handshake ------------------------------------------------------------ */

static void opened(struct ws_conn *w)
{
	w->state = WS_CONN_OPEN;
	w->opened = true;
	if (w->ops->on_open)
		w->ops->on_open(w, 0);
}

static void fail_open(struct ws_conn *w, int err)
{
	w->state = WS_CONN_CLOSING;
	if (w->ops->on_open)
		w->ops->on_open(w, err);
	net_stream_close(&w->st);
}

static size_t client_handshake(struct ws_conn *w, uint8_t *data, size_t len)
{
	struct ws_hs_response res;
	ssize_t hl = ws_hs_client_check((const char *)data, len, w->key, NULL, &res);

	if (hl == 0)
		return 0;
	if (hl < 0) {
		fail_open(w, -EPROTO);
		return len;
	}
	opened(w);
	return (size_t)hl;
}

static size_t server_handshake(struct ws_conn *w, uint8_t *data, size_t len)
{
	struct ws_hs_request req;
	ssize_t hl = ws_hs_server_parse((const char *)data, len, &req), n;

	if (hl == 0)
		return 0;
	if (hl < 0) {
		n = ws_hs_server_reject((char *)w->out, w->out_cap,
					req.reject_status ? req.reject_status : 400, NULL);
		if (n > 0)
			net_stream_send(&w->st, w->out, (size_t)n);
		fail_open(w, -EPROTO);
		return len;
	}
	if (w->ops->on_upgrade) {
		unsigned status;

		w->reject_body = NULL;
		status = w->ops->on_upgrade(w, &req, (const char *)data, (size_t)hl);
		if (status) {
			n = ws_hs_server_reject((char *)w->out, w->out_cap, status,
						w->reject_body);
			if (n < 0)
				n = ws_hs_server_reject((char *)w->out, w->out_cap, 400, NULL);
			if (n > 0)
				net_stream_send(&w->st, w->out, (size_t)n);
			fail_open(w, -EPERM);
			return len;
		}
	}
	n = ws_hs_server_accept((char *)w->out, w->out_cap, &req, NULL);
	if (n < 0 || net_stream_send(&w->st, w->out, (size_t)n)) {
		fail_open(w, n < 0 ? (int)n : -ENOBUFS);
		return len;
	}
	opened(w);
	return (size_t)hl;
}

/*
 * The carry cannot take more and what it holds cannot be used: a request
 * head longer than the carry (WS_RX_BUF_MIN(max_msg) bytes). Refused 400.
 */
static void carry_full(struct ws_conn *w)
{
	ssize_t n;

	w->carry_len = 0;
	if (w->state != WS_CONN_HANDSHAKE) {
		/* not reached: a frame over max_msg is refused from its header,
		 * and a whole frame up to max_msg fits the carry */
		net_stream_close(&w->st);
		return;
	}
	n = ws_hs_server_reject((char *)w->out, w->out_cap, 400, NULL);
	if (n > 0)
		net_stream_send(&w->st, w->out, (size_t)n);
	fail_open(w, -EPROTO);
}

/* ---- stream callbacks ---------------------------------------------------------- */

static void st_open(struct net_stream *s, int err)
{
	struct ws_conn *w = net_stream_user(s);
	struct ws_hs_client_req r = { .host = w->host, .path = w->path, .key = w->key,
				      .extra = w->extra };
	ssize_t n;

	if (err) {
		w->state = WS_CONN_IDLE;
		if (w->ops->on_open)
			w->ops->on_open(w, err);
		return;
	}
	if (w->role == WS_SERVER)
		return; /* wait for the request */
	n = ws_hs_client_request((char *)w->out, w->out_cap, &r);
	if (n < 0 || net_stream_send(s, w->out, (size_t)n))
		fail_open(w, n < 0 ? (int)n : -ENOBUFS);
}

/* Handle data[0..len): the request, then frames. Returns the bytes used. */
static size_t input(struct ws_conn *w, uint8_t *data, size_t len)
{
	size_t used = 0;
	ssize_t n;

	if (w->state == WS_CONN_HANDSHAKE) {
		used = w->role == WS_CLIENT ? client_handshake(w, data, len)
					    : server_handshake(w, data, len);
		if (w->state != WS_CONN_OPEN || used == len)
			return used;
	}
	if (w->state != WS_CONN_OPEN && w->state != WS_CONN_CLOSING)
		return len;
	n = ws_rx_feed(&w->rx, data + used, len - used);
	if (n >= 0 && w->rx.state == WS_RX_OPEN)
		return used + (size_t)n;
	if (n < 0 && n != -ESHUTDOWN)
		w->close_code = ws_err_close_code((int)n); /* our close went out */
	send_ctrl(w);
	/*
	 * The peer's close answered, or ours sent after a violation: a server
	 * drops TCP now (after the queue drains); a client waits for the
	 * server to do it (RFC 6455 7.1.1).
	 */
	if (w->role == WS_SERVER || w->rx.state == WS_RX_FAILED)
		net_stream_close(&w->st);
	w->state = WS_CONN_CLOSING;
	return len;
}

/* Keep data[0..len) in the carry for the next arrival to continue. */
static void carry_keep(struct ws_conn *w, const uint8_t *data, size_t len)
{
	if (len > w->carry_cap) {
		carry_full(w);
		return;
	}
	memmove(w->carry, data, len);
	w->carry_len = (uint32_t)len;
}

static size_t st_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct ws_conn *w = net_stream_user(s);
	size_t all = len, k, used;

	while (w->carry_len && len) {
		k = w->carry_cap - w->carry_len;
		if (!k) {
			carry_full(w);
			return all;
		}
		if (k > len)
			k = len;
		memcpy(w->carry + w->carry_len, data, k);
		w->carry_len += (uint32_t)k;
		data += k;
		len -= k;
		used = input(w, w->carry, w->carry_len);
		if (used >= w->carry_len)
			w->carry_len = 0;
		else
			carry_keep(w, w->carry + used, w->carry_len - used);
	}
	if (!len)
		return all;
	/* the carry is empty: the rest as usual (what is not used, the loop
	 * stages) */
	return all - len + input(w, data, len);
}

static void st_close(struct net_stream *s, int err)
{
	struct ws_conn *w = net_stream_user(s);
	unsigned code = w->close_code ? w->close_code : WS_CLOSE_ABNORMAL;
	struct http_sconn *sc = w->sc;

	w->state = WS_CONN_IDLE;
	w->carry_len = 0;
	w->sc = NULL;
	if (sc)
		http_sconn_release(sc); /* the loop connection ends here */
	if (w->opened && w->ops->on_close)
		w->ops->on_close(w, code, err);
	w->opened = false;
}

static const struct net_stream_ops ws_stream_ops = {
	.on_open = st_open,
	.on_data = st_data,
	.on_close = st_close,
};

/* ---- API ------------------------------------------------------------------------- */

int ws_conn_init(struct ws_conn *w, enum ws_role role, struct net_tls_ctx *tls,
		 void *buf, size_t buf_len, size_t max_msg)
{
	size_t stage = WS_RX_BUF_MIN(max_msg), sbuf = NET_STREAM_BUF_SIZE(stage);
	struct ws_rx_cfg rc;
	uint8_t *p = buf;
	int err;

	if (buf_len < WS_CONN_BUF_SIZE(max_msg) || max_msg < 125)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->role = role;
	if (tls) {
		err = net_stream_init(&w->st, tls, p, sbuf, (uint32_t)stage);
	} else {
		/* a plain stream uses none of its buffer: the carry takes the
		 * stage's room */
		err = net_stream_init(&w->st, NULL, p, NET_STREAM_BUF_SIZE(0), 0);
		w->carry = p + NET_STREAM_BUF_SIZE(0);
		w->carry_cap = (uint32_t)stage;
	}
	if (err)
		return err;
	err = ws_tx_init(&w->tx, role);
	if (err)
		return err;
	memset(&rc, 0, sizeof(rc));
	rc.tx = &w->tx;
	rc.msg_buf = p + sbuf;
	rc.msg_cap = max_msg;
	rc.max_msg = max_msg;
	rc.max_frame = max_msg;
	rc.ops = &conn_rx_ops;
	rc.ctx = w;
	err = ws_rx_init(&w->rx, &rc);
	if (err)
		return err;
	w->out = p + sbuf + max_msg;
	w->out_cap = buf_len - sbuf - max_msg;
	return 0;
}

static void conn_reset(struct ws_conn *w, const struct ws_conn_ops *ops, void *user)
{
	ws_tx_reset(&w->tx);
	ws_rx_reset(&w->rx);
	w->ops = ops;
	w->user = user;
	w->close_code = 0;
	w->opened = false;
	w->out_len = 0;
	w->corked = 0;
	w->carry_len = 0;
	w->sc = NULL;
	w->state = WS_CONN_HANDSHAKE;
}

int ws_conn_connect(struct net_loop *l, struct ws_conn *w, const char *host, uint16_t port,
		    const struct sockaddr *addr, socklen_t alen, const char *path,
		    const char *extra, uint64_t timeout_ns, const struct ws_conn_ops *ops,
		    void *user)
{
	int err;

	if (w->role != WS_CLIENT || w->state != WS_CONN_IDLE)
		return -EINVAL;
	conn_reset(w, ops, user);
	w->path = path;
	w->extra = extra;
	snprintf(w->host, sizeof(w->host), "%s", host);
	err = ws_hs_client_key(w->key);
	if (!err)
		err = net_stream_connect(l, &w->st, host, port, addr, alen, timeout_ns,
					 &ws_stream_ops, w);
	if (err)
		w->state = WS_CONN_IDLE;
	return err;
}

int ws_conn_accept(struct ws_conn *w, struct net_conn *c, const struct ws_conn_ops *ops,
		   void *user)
{
	if (w->role != WS_SERVER || w->state != WS_CONN_IDLE)
		return -EINVAL;
	conn_reset(w, ops, user);
	return net_stream_accept(&w->st, c, &ws_stream_ops, w);
}

static int accept_from(struct ws_conn *w, struct net_conn *c, uint8_t *pre, size_t pre_len,
		       const struct ws_conn_ops *ops, void *user, struct http_sconn *sc)
{
	size_t used;
	int err;

	conn_reset(w, ops, user);
	w->sc = sc;
	/* plain TCP: opens at once (st_open waits for the request) */
	err = net_stream_accept(&w->st, c, &ws_stream_ops, w);
	if (err || !pre_len)
		return err;
	used = input(w, pre, pre_len);
	if (used < pre_len && (w->state == WS_CONN_HANDSHAKE || w->state == WS_CONN_OPEN))
		carry_keep(w, pre + used, pre_len - used);
	return 0;
}

int ws_conn_accept_from(struct ws_conn *w, struct net_conn *c, uint8_t *pre, size_t pre_len,
			const struct ws_conn_ops *ops, void *user)
{
	if (w->role != WS_SERVER || w->state != WS_CONN_IDLE || (!pre && pre_len))
		return -EINVAL;
	if (!w->carry_cap)
		return -EOPNOTSUPP;
	return accept_from(w, c, pre, pre_len, ops, user, NULL);
}

/* http_server_stop with the WebSocket open: say goodbye, then drop TCP. */
static void upgrade_stop(void *arg)
{
	struct ws_conn *w = arg;

	ws_conn_close(w, WS_CLOSE_GOING_AWAY);
	net_stream_close(&w->st);
}

int ws_conn_upgrade(struct ws_conn *w, struct http_sconn *sc, const struct ws_conn_ops *ops,
		    void *user)
{
	struct http_sconn_handover h;
	int err;

	if (w->role != WS_SERVER || w->state != WS_CONN_IDLE)
		return -EINVAL;
	if (!w->carry_cap)
		return -EOPNOTSUPP;
	err = http_sconn_detach(sc, &h, upgrade_stop, w);
	if (err)
		return err;
	return accept_from(w, h.conn, h.pre, h.pre_len, ops, user, sc);
}

int ws_conn_send(struct ws_conn *w, unsigned opcode, const void *data, size_t len)
{
	ssize_t n;
	int err;

	if (w->state != WS_CONN_OPEN)
		return -ENOTCONN;
	if (!w->corked || opcode >= WS_OP_CLOSE) {
		err = flush_cork(w);
		if (err)
			return err;
		n = ws_tx_frame(&w->tx, w->out, w->out_cap, opcode, true, data, len);
		if (n < 0)
			return (int)n;
		return net_stream_send(&w->st, w->out, (size_t)n);
	}
	n = ws_tx_frame(&w->tx, w->out + w->out_len, w->out_cap - w->out_len, opcode, true,
			data, len);
	if (n == -ENOBUFS && w->out_len) {
		err = flush_cork(w);
		if (err)
			return err;
		n = ws_tx_frame(&w->tx, w->out, w->out_cap, opcode, true, data, len);
	}
	if (n < 0)
		return (int)n;
	w->out_len += (size_t)n;
	return 0;
}

void ws_conn_cork(struct ws_conn *w)
{
	w->corked++;
}

int ws_conn_uncork(struct ws_conn *w)
{
	if (w->corked && --w->corked)
		return 0; /* an outer cork still holds */
	if (w->state != WS_CONN_OPEN) {
		w->out_len = 0;
		return w->state == WS_CONN_CLOSING ? 0 : -ENOTCONN;
	}
	return flush_cork(w);
}

int ws_conn_ping(struct ws_conn *w, const void *data, size_t len)
{
	return ws_conn_send(w, WS_OP_PING, data, len);
}

void ws_conn_close(struct ws_conn *w, unsigned code)
{
	ssize_t n;

	if (w->state != WS_CONN_OPEN)
		return;
	flush_cork(w);
	n = ws_tx_close(&w->tx, w->out, w->out_cap, code, NULL, 0);
	if (n > 0)
		net_stream_send(&w->st, w->out, (size_t)n);
	w->close_code = code;
	w->state = WS_CONN_CLOSING;
}
