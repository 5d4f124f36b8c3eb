/* SPDX-License-Identifier: MIT */
/*
 * A byte stream over one loop connection, with or without TLS: what the
 * WebSocket and HTTP layers sit on. It delivers plaintext to ops->on_data
 * exactly as the loop delivers bytes: the caller returns how many it
 * consumed and the rest comes again with what follows. Without TLS that is
 * the loop's own zero-copy path; with TLS a record that holds whole frames is
 * handed out from the decryption scratch without a copy, and a partial frame
 * waits in the stream's staging buffer.
 *
 * Storage: struct net_stream lives in caller storage with its buffers
 * (net_stream_init), so a server keeps a pool of them made at startup.
 */
#ifndef KIMP_STREAM_H
#define KIMP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/net.h"
#include "kimp/tls.h"

struct net_stream;

struct net_stream_ops {
	/* ready for data (TCP connected and, with TLS, handshake done), or the
	 * connect or handshake failed (-errno); after an error no on_close */
	void (*on_open)(struct net_stream *s, int err);
	/* plaintext arrived; return how many bytes were consumed */
	size_t (*on_data)(struct net_stream *s, uint8_t *data, size_t len);
	/* closed: 0 (EOF, close_notify, or our close) or -errno */
	void (*on_close)(struct net_stream *s, int err);
};

enum net_stream_state {
	NET_STREAM_IDLE = 0,
	NET_STREAM_CONNECTING,  /* TCP connect or TLS handshake in progress */
	NET_STREAM_OPEN,
	NET_STREAM_CLOSING,
};

/* Caller storage. Fields are private to stream.c. */
struct net_stream {
	struct net_conn *conn;
	struct net_tls_ctx *tls_ctx;    /* NULL: plain TCP */
	struct net_tls_sess tls;
	const struct net_stream_ops *ops;
	void *user;
	uint8_t *stage;                 /* TLS: partial frames between records */
	uint32_t stage_cap, stage_len;
	uint8_t state;                  /* enum net_stream_state */
	bool opened;                    /* on_open(0) was said */
	int err;
	uint16_t port;
	char host[NET_TLS_HOST_MAX + 1];
	uint64_t stage_copied;          /* bytes that went through staging */
};

/* Bytes of storage net_stream_init needs for a stage of stage_cap bytes. */
#define NET_STREAM_BUF_SIZE(stage_cap) (NET_TLS_BUF_SIZE + (stage_cap))

/*
 * Set a stream up over 'buf' (NET_STREAM_BUF_SIZE(stage_cap) bytes, owned by
 * the caller, outliving the stream). tls NULL: plain TCP. 0 or -EINVAL.
 */
int net_stream_init(struct net_stream *s, struct net_tls_ctx *tls, void *buf,
		    size_t buf_len, uint32_t stage_cap) kimp_cold;

/*
 * Connect to addr; with TLS, 'host' is the name the certificate must carry
 * (and the SNI), 'port' the resumption cache key. The outcome comes to
 * ops->on_open. 0 or -errno.
 */
int net_stream_connect(struct net_loop *l, struct net_stream *s, const char *host,
		       uint16_t port, const struct sockaddr *addr, socklen_t alen,
		       uint64_t timeout_ns, const struct net_stream_ops *ops,
		       void *user) kimp_cold;

/* Server side: take over an accepted connection (from a listener's on_open). */
int net_stream_accept(struct net_stream *s, struct net_conn *c,
		      const struct net_stream_ops *ops, void *user) kimp_cold;

/* Send plaintext (encrypted first with TLS). 0 or -errno (-ENOBUFS: full). */
int net_stream_send(struct net_stream *s, const void *data, size_t len);

/* Close (with close_notify under TLS); on_close follows. */
void net_stream_close(struct net_stream *s);

static inline bool net_stream_open(const struct net_stream *s)
{
	return s->state == NET_STREAM_OPEN;
}

static inline void *net_stream_user(const struct net_stream *s)
{
	return s->user;
}

#endif
