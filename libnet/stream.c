/* SPDX-License-Identifier: MIT */
/*
 * Byte streams: a loop connection, optionally through the TLS engine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/stream.h"

static void stream_fail(struct net_stream *s, int err)
{
	if (s->state == NET_STREAM_CLOSING || s->state == NET_STREAM_IDLE)
		return;
	if (!s->opened && s->ops->on_open) {
		/* the owner hears the failure here, not in on_close */
		s->state = NET_STREAM_CLOSING;
		s->err = err;
		s->ops->on_open(s, err);
	}
	s->state = NET_STREAM_CLOSING;
	s->err = err;
	if (s->conn)
		net_close(s->conn);
}

static void stream_ready(struct net_stream *s)
{
	s->state = NET_STREAM_OPEN;
	s->opened = true;
	if (s->ops->on_open)
		s->ops->on_open(s, 0);
}

/* Plaintext to the owner, through staging when a partial frame waits. */
static int deliver(struct net_stream *s, uint8_t *data, size_t n)
{
	size_t used;

	if (s->stage_len == 0) {
		used = s->ops->on_data(s, data, n);
		if (s->state != NET_STREAM_OPEN || used >= n)
			return 0;
		data += used;
		n -= used;
		if (n > s->stage_cap)
			return -EMSGSIZE;
		memcpy(s->stage, data, n);
		s->stage_len = (uint32_t)n;
		s->stage_copied += n;
		return 0;
	}
	if (s->stage_len + n > s->stage_cap)
		return -EMSGSIZE;
	memcpy(s->stage + s->stage_len, data, n);
	s->stage_len += (uint32_t)n;
	s->stage_copied += n;
	used = s->ops->on_data(s, s->stage, s->stage_len);
	if (s->state != NET_STREAM_OPEN)
		return 0;
	if (used >= s->stage_len) {
		s->stage_len = 0;
		return 0;
	}
	memmove(s->stage, s->stage + used, s->stage_len - used);
	s->stage_len -= (uint32_t)used;
	return 0;
}

/* ---- TLS engine callbacks ----------------------------------------------------- */

static int tls_send(void *user, const void *buf, size_t len)
{
	struct net_stream *s = user;

	return net_send(s->conn, buf, len);
}

static int tls_plain(void *user, const void *buf, size_t len)
{
	struct net_stream *s = user;

	/* data can ride in with the last handshake flight (a TLS 1.3 client
	 * sends its request right behind its Finished): open first */
	if (s->state == NET_STREAM_CONNECTING && net_tls_handshake_done(&s->tls))
		stream_ready(s);
	if (s->state != NET_STREAM_OPEN)
		return 0;
	/* buf is the session's scratch, our own storage: writable */
	return deliver(s, (uint8_t *)(uintptr_t)buf, len);
}

static const struct net_tls_ops stream_tls_ops = { .send = tls_send, .plain = tls_plain };

/* ---- loop connection callbacks ------------------------------------------------- */

static void conn_open(struct net_conn *c, int err)
{
	struct net_stream *s = net_conn_user(c);

	if (err) {
		/* the loop releases the slot and sends no on_close: the stream
		 * is idle again before the owner hears, so it may redial from
		 * on_open */
		s->conn = NULL;
		s->state = NET_STREAM_IDLE;
		s->err = err;
		if (s->ops->on_open)
			s->ops->on_open(s, err);
		return;
	}
	if (!s->tls_ctx) {
		stream_ready(s);
		return;
	}
	err = net_tls_connect(&s->tls, s->host, s->port, 0);
	if (err)
		stream_fail(s, err);
}

static size_t conn_data(struct net_conn *c, uint8_t *data, size_t len)
{
	struct net_stream *s = net_conn_user(c);
	ssize_t n;
	int err;

	if (!s->tls_ctx) {
		if (s->state != NET_STREAM_OPEN)
			return len;
		return s->ops->on_data(s, data, len);
	}
	n = net_tls_feed(&s->tls, data, len);
	if (n < 0) {
		stream_fail(s, (int)n);
		return len;
	}
	if (s->state == NET_STREAM_CONNECTING && net_tls_handshake_done(&s->tls))
		stream_ready(s);
	if (net_tls_state(&s->tls) == NET_TLS_CLOSED && s->state == NET_STREAM_OPEN) {
		/* the peer's close_notify: close our side too */
		s->state = NET_STREAM_CLOSING;
		net_close(c);
	}
	err = net_tls_error(&s->tls);
	if (err)
		stream_fail(s, err);
	return len;
}

static void conn_close(struct net_conn *c, int err)
{
	struct net_stream *s = net_conn_user(c);
	bool said_open = s->opened;

	if (s->tls_ctx)
		net_tls_sess_reset(&s->tls);
	s->conn = NULL;
	s->stage_len = 0;
	s->state = NET_STREAM_IDLE;
	s->opened = false;
	if (!said_open) {
		/* closed before it was ever open: a failure, said through on_open */
		if (s->ops->on_open && s->err == 0)
			s->ops->on_open(s, err ? err : -ECONNRESET);
		return;
	}
	if (s->ops->on_close)
		s->ops->on_close(s, s->err ? s->err : err);
}

static const struct net_conn_ops stream_conn_ops = {
	.on_open = conn_open,
	.on_data = conn_data,
	.on_close = conn_close,
};

/* ---- API ------------------------------------------------------------------------ */

int net_stream_init(struct net_stream *s, struct net_tls_ctx *tls, void *buf,
		    size_t buf_len, uint32_t stage_cap)
{
	if (buf_len < NET_STREAM_BUF_SIZE(stage_cap))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->tls_ctx = tls;
	s->stage = (uint8_t *)buf + NET_TLS_BUF_SIZE;
	s->stage_cap = stage_cap;
	if (tls)
		return net_tls_sess_init(&s->tls, tls, &stream_tls_ops, s, buf, NET_TLS_BUF_SIZE);
	return 0;
}

int net_stream_connect(struct net_loop *l, struct net_stream *s, const char *host,
		       uint16_t port, const struct sockaddr *addr, socklen_t alen,
		       uint64_t timeout_ns, const struct net_stream_ops *ops, void *user)
{
	int err;

	if (s->state != NET_STREAM_IDLE)
		return -EISCONN;
	if (strlen(host) > NET_TLS_HOST_MAX)
		return -EINVAL;
	snprintf(s->host, sizeof(s->host), "%s", host);
	s->port = port;
	s->ops = ops;
	s->user = user;
	s->err = 0;
	s->opened = false;
	s->stage_len = 0;
	s->state = NET_STREAM_CONNECTING;
	err = net_connect(l, addr, alen, timeout_ns, &stream_conn_ops, s, &s->conn);
	if (err)
		s->state = NET_STREAM_IDLE;
	return err;
}

int net_stream_accept(struct net_stream *s, struct net_conn *c,
		      const struct net_stream_ops *ops, void *user)
{
	int err;

	s->conn = c;
	s->ops = ops;
	s->user = user;
	s->err = 0;
	s->opened = false;
	s->stage_len = 0;
	net_conn_set_ops(c, &stream_conn_ops);
	net_conn_set_user(c, s);
	if (!s->tls_ctx) {
		stream_ready(s);
		return 0;
	}
	s->state = NET_STREAM_CONNECTING;
	err = net_tls_accept(&s->tls);
	if (err)
		stream_fail(s, err);
	return err;
}

/* Ciphertext for len bytes of plaintext: record headers, tags, padding. */
static size_t tls_wire_bytes(size_t len)
{
	return len + (len / NET_TLS_RECORD_MAX + 1) * 64;
}

int net_stream_send(struct net_stream *s, const void *data, size_t len)
{
	if (s->state != NET_STREAM_OPEN)
		return -ENOTCONN;
	if (!s->tls_ctx)
		return net_send(s->conn, data, len);
	/* a full queue is a status: refuse before encrypting, or the engine
	 * would see its send fail and fail the session */
	if (net_conn_tx_room(s->conn) < tls_wire_bytes(len))
		return -ENOBUFS;
	return net_tls_write(&s->tls, data, len);
}

void net_stream_close(struct net_stream *s)
{
	if (s->state != NET_STREAM_OPEN && s->state != NET_STREAM_CONNECTING)
		return;
	if (s->tls_ctx && net_tls_handshake_done(&s->tls))
		net_tls_shutdown(&s->tls);
	s->state = NET_STREAM_CLOSING;
	if (s->conn)
		net_close(s->conn);
}
