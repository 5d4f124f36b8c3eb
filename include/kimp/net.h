/* SPDX-License-Identifier: MIT */
/*
 * libnet's event loop: one io_uring per process (or per network thread) for
 * all socket I/O: connect with a timeout, multishot accept, multishot recv
 * into a ring of provided buffers, send from a per-connection queue that
 * survives short sends, timers, close.
 *
 * Connections, their receive staging and send queues, and the provided
 * buffers are allocated once by net_loop_init(); the steady state allocates
 * nothing. Names are resolved with net_resolve() at startup or on the
 * reconnect path, never on the hot path.
 *
 * Receive: bytes that arrive are handed to ops->on_data straight from the
 * provided buffer the kernel filled (no copy) when nothing is pending from
 * before; on_data returns how many bytes it consumed, and the rest (a partial
 * frame) is copied to the connection's staging buffer and handed out again,
 * with what follows, on the next arrival. The buffer passed to on_data is
 * writable (a WebSocket parser unmasks in place) and valid only during the
 * call.
 *
 * Run modes: net_loop_run(loop, 0) peeks the completion queue without a
 * syscall when there is nothing to submit (spin); a timeout > 0 waits for a
 * completion up to that long (blocking). The ring is set up with
 * SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG where the kernel has them,
 * falling back to COOP_TASKRUN | TASKRUN_FLAG and then to no flags; never
 * COOP_TASKRUN without TASKRUN_FLAG, which makes a peeking loop wait for the
 * scheduler tick. All calls must come from the thread that made the loop.
 */
#ifndef KIMP_NET_H
#define KIMP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "kimp/compiler.h"

struct net_loop;
struct net_conn;

struct net_conn_ops {
	/* connected (err 0), or the connect failed or timed out (-errno);
	 * accepted connections get on_open(c, 0) too */
	void (*on_open)(struct net_conn *c, int err);
	/* bytes arrived; return how many were consumed (the rest come again) */
	size_t (*on_data)(struct net_conn *c, uint8_t *data, size_t len);
	/* the send queue drained (optional) */
	void (*on_drain)(struct net_conn *c);
	/* closed: 0 by the peer (EOF) or by net_close(), else -errno; the
	 * connection's slot is reused after this returns */
	void (*on_close)(struct net_conn *c, int err);
};

struct net_loop_cfg {
	uint32_t max_conns;     /* connection slots (default 64) */
	uint32_t sq_entries;    /* submission queue size (default 512) */
	uint32_t buf_count;     /* provided receive buffers, power of two (256) */
	uint32_t buf_size;      /* bytes each (16 KiB) */
	uint32_t stage_size;    /* per-connection partial-frame staging (64 KiB) */
	uint32_t tx_size;       /* per-connection send queue (256 KiB) */
	bool no_defer_taskrun;  /* force the fallback setup (tests) */
};

struct net_loop_stats {
	uint64_t cqes;
	uint64_t rx_bytes, rx_copied;   /* copied: bytes that went through staging */
	uint64_t tx_bytes, tx_short;    /* short: sends the kernel took in part */
	uint64_t tx_full;               /* net_send refused: queue full */
	uint64_t rx_enobufs;            /* the buffer ring ran dry; recv re-armed */
	uint64_t rx_rearm;              /* multishot recv re-armed */
	uint64_t stage_overflow;        /* a partial frame larger than staging */
	uint64_t sq_full;               /* submissions forced by a full SQ */
};

/*
 * Make a loop. 0, or -errno (io_uring unavailable, buffer ring registration
 * refused, out of memory). The loop owns everything it allocates until
 * net_loop_free().
 */
int net_loop_new(struct net_loop **out, const struct net_loop_cfg *cfg) kimp_cold;
void net_loop_free(struct net_loop *l) kimp_cold;

/* The io_uring setup flags in force (IORING_SETUP_*), for status output. */
unsigned net_loop_setup_flags(const struct net_loop *l);
const struct net_loop_stats *net_loop_stats(const struct net_loop *l);

/*
 * Process completions: spin (timeout_ns == 0: no syscall unless there is
 * something to submit or the kernel has deferred work) or wait up to
 * timeout_ns for at least one. Returns the number of completions handled,
 * or -errno.
 */
int net_loop_run(struct net_loop *l, uint64_t timeout_ns);

/*
 * The TSC (kimp_rdtsc) taken when the receive completion whose bytes are
 * being delivered now was reaped: the ingress time of whatever on_data (or
 * a layer above it, TLS or WebSocket) is handling. Meaningful only inside
 * a receive callback; a message assembled from several receives carries
 * the time of the last one.
 */
uint64_t net_loop_rx_tsc(const struct net_loop *l);

/* CLOCK_MONOTONIC now, as the loop's timers see it. */
uint64_t net_now_ns(void);

/* ---- addresses (cold) ---------------------------------------------------- */

/* Resolve host:port (numeric or by name) into *ss. 0 or -errno (-ENOENT). */
int net_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
		socklen_t *len) kimp_cold;

/* ---- connections ---------------------------------------------------------- */

/*
 * Connect to addr with a timeout (0: none). The result comes to
 * ops->on_open. -ENOSPC when no slot is free, -errno for socket errors.
 * *out is the slot, valid until on_close returns.
 */
int net_connect(struct net_loop *l, const struct sockaddr *addr, socklen_t alen,
		uint64_t timeout_ns, const struct net_conn_ops *ops, void *user,
		struct net_conn **out) kimp_cold;

/*
 * Queue len bytes for sending: copied into the connection's send queue and
 * sent in order, short sends continued. 0, -ENOBUFS when the queue cannot
 * take them now (counted as tx_full), -ENOTCONN after close.
 */
int net_send(struct net_conn *c, const void *data, size_t len);

/*
 * Zero-copy form: room for up to 'len' bytes at the end of the send queue,
 * or NULL. Build the bytes there, then net_send_commit() with how many.
 */
uint8_t *net_send_reserve(struct net_conn *c, size_t len);
void net_send_commit(struct net_conn *c, size_t len);

/*
 * Close: what is queued is sent first (a close frame, a close_notify), then
 * the connection's I/O is cancelled and the socket closed; on_close(c, 0)
 * follows. Sends after net_close fail with -ENOTCONN.
 */
void net_close(struct net_conn *c);
/* Close now, dropping anything still queued. */
void net_abort(struct net_conn *c);

void *net_conn_user(const struct net_conn *c);
void net_conn_set_user(struct net_conn *c, void *user);
void net_conn_set_ops(struct net_conn *c, const struct net_conn_ops *ops);
struct net_loop *net_conn_loop(const struct net_conn *c);
/* Bytes queued and not yet taken by the kernel. */
size_t net_conn_tx_pending(const struct net_conn *c);
/* Bytes one net_send/net_send_reserve can take right now. */
size_t net_conn_tx_room(const struct net_conn *c);
bool net_conn_open(const struct net_conn *c);

/* ---- listeners ------------------------------------------------------------ */

struct net_listener;

/*
 * Listen on addr (port 0 picks one: see net_listener_port). Accepted
 * connections use 'ops' and 'user' and start receiving at once.
 */
int net_listen(struct net_loop *l, const struct sockaddr *addr, socklen_t alen,
	       const struct net_conn_ops *ops, void *user,
	       struct net_listener **out) kimp_cold;
uint16_t net_listener_port(const struct net_listener *ls);
void net_listener_close(struct net_listener *ls) kimp_cold;

/* ---- timers --------------------------------------------------------------- */

/*
 * Caller storage; must stay put while armed and until the loop has seen its
 * cancellation (net_timer_armed() false). 16-byte aligned: the loop tags
 * its address.
 */
struct net_timer {
	void (*fn)(struct net_timer *t);
	void *arg;
	/* private */
	struct net_loop *loop;
	uint64_t op;            /* user_data tag */
	int64_t ts_sec, ts_nsec;
	bool armed, cancelling;
} __attribute__((aligned(16)));

static inline bool net_timer_armed(const struct net_timer *t)
{
	return t->armed;
}

/* Fire t->fn once after delay_ns. Re-arming an armed timer is -EBUSY. */
int net_timer_start(struct net_loop *l, struct net_timer *t, uint64_t delay_ns);
/* Cancel: the callback will not run. */
void net_timer_stop(struct net_timer *t);

#endif
