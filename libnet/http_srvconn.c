/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 server connections over streams: a listener and a pool of slots
 * made at startup, requests parsed in place (or from the slot's receive
 * buffer when one arrived in parts), handed to the owner one at a time in
 * order, replies written into the slot's reply buffer and queued on the
 * stream.
 *
 * A slot is paused while a request waits for its reply or a reply waits
 * for room in the send queue: requests pipelined behind it stay in the
 * receive buffer, in order, until it is done (RFC 9112 9.3.2). The stream
 * says nothing when its send queue drains, so a full queue is retried on a
 * short timer.
 *
 * A request that cannot be read (bad syntax, over a limit) is answered with
 * its status and Connection: close, and then the slot lingers: input is
 * read and dropped until the peer closes or linger_ns passes. Closing at
 * once with unread input would make the kernel send a reset, which can
 * destroy the answer before the peer reads it (RFC 9112 9.6).
 *
 * Handing over (http_sconn_detach, from on_request): the slot gives its loop
 * connection away with the bytes it holds from the request on, and stays
 * reserved (SC_DETACHED, counted against max_conns) until the new owner
 * releases it. Nothing is allocated: the slot's stream is simply left
 * behind (plain TCP only, where it holds no state of its own) and is set up
 * afresh by the next accept. The request's bytes and what follows them are
 * contiguous where they are parsed: in the stream's buffer, or in the
 * slot's receive buffer; the one exception, input of the same arrival that
 * the receive buffer had no room for yet, is left unconsumed, so the loop
 * keeps it for the new owner.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/httpconn.h"

#define DEF_CONNS     16u
#define DEF_REPLY_CAP (64u * 1024)
#define DEF_LINGER_NS 1000000000ull
#define DEF_RETRY_NS  100000ull
/* At most this much plaintext per send: a TLS stream refuses a send unless
 * the queue has room for all of it at once. */
#define SEND_PIECE    NET_TLS_RECORD_MAX

enum sc_state {
	SC_FREE = 0,
	SC_HANDSHAKE,   /* accepted, TLS handshake running */
	SC_OPEN,
	SC_LINGER,      /* answered an unreadable request; dropping input */
	SC_CLOSING,
	SC_FAILED,      /* handshake failed: free once the stream is idle */
	SC_DETACHED,    /* handed over: reserved until http_sconn_release */
};

struct http_sconn {
	struct net_stream st;
	struct net_timer retry;         /* send queue full: try again */
	struct net_timer linger;        /* end of SC_LINGER */
	struct net_http_parser p;
	struct net_http_reply w;
	struct http_rx rx;
	struct http_server *srv;
	void *user;
	uint8_t *out;                   /* the reply buffer */
	uint32_t out_cap;
	uint32_t out_off, out_len;      /* a finished reply not yet all queued */
	uint32_t front;                 /* HEAD: header bytes still to send */
	uint64_t linger_at;
	uint8_t *cur;                   /* the request with on_request: its bytes */
	size_t cur_len;                 /* from there to the end of what is held */
	struct net_conn *conn;          /* SC_DETACHED: the connection handed over */
	void (*stop)(void *arg);        /* SC_DETACHED: how stop closes it */
	void *stop_arg;
	uint64_t requests;
	uint64_t serial;
	uint8_t state;                  /* enum sc_state */
	bool waiting;                   /* a request is with the owner */
	bool started;                   /* http_sconn_reply() for it */
	bool flushed;                   /* part of its reply went out */
	bool close_after;               /* close once its reply is queued */
	bool head;                      /* it is a HEAD request */
	bool cut;                       /* HEAD: the header section was found */
	bool in_process;                /* parsing: resumes happen there */
};

struct http_server {
	struct net_loop *loop;
	struct net_listener *ls;
	struct http_server_cfg cfg;
	struct http_server_stats st;
	struct http_sconn *slots;
	uint8_t *mem;                   /* every slot's buffers */
	uint32_t next;                  /* where the search for a free slot starts */
	uint64_t serial;
	bool stopped;
};

static bool paused(const struct http_sconn *sc)
{
	return sc->waiting || sc->out_off < sc->out_len;
}

static void close_conn(struct http_sconn *sc)
{
	sc->state = SC_CLOSING;
	sc->waiting = false;
	net_stream_close(&sc->st);
}

/* ---- sending -------------------------------------------------------------------- */

/* Queue buf[*sent..len) in pieces. 0, -ENOBUFS (queue full), or -errno. */
static int push(struct http_sconn *sc, const uint8_t *buf, size_t len, size_t *sent)
{
	while (*sent < len) {
		size_t k = len - *sent;
		int err;

		if (k > SEND_PIECE)
			k = SEND_PIECE;
		err = net_stream_send(&sc->st, buf + *sent, k);
		if (err)
			return err;
		*sent += k;
	}
	return 0;
}

static void arm_retry(struct http_sconn *sc)
{
	sc->srv->st.tx_blocked++;
	if (!net_timer_armed(&sc->retry))
		net_timer_start(sc->srv->loop, &sc->retry, sc->srv->cfg.retry_ns);
}

/* Queue the finished reply out[out_off..out_len). 0 when all of it is. */
static int flush_out(struct http_sconn *sc)
{
	size_t sent = sc->out_off;
	int err = push(sc, sc->out, sc->out_len, &sent);

	sc->out_off = (uint32_t)sent;
	if (err == -ENOBUFS) {
		arm_retry(sc);
		return err;
	}
	sc->out_off = sc->out_len = 0;
	return err;
}

static void process_rx(struct http_sconn *sc);

/* A reply is all queued: close, or go on with requests pipelined behind. */
static void reply_queued(struct http_sconn *sc)
{
	if (sc->state != SC_OPEN)
		return; /* lingering: the peer or the timer closes */
	if (sc->close_after) {
		close_conn(sc);
		return;
	}
	if (!sc->in_process && sc->rx.len)
		process_rx(sc);
}

static void retry_fire(struct net_timer *t)
{
	struct http_sconn *sc = t->arg;

	if (sc->state != SC_OPEN && sc->state != SC_LINGER)
		return;
	if (sc->out_off >= sc->out_len)
		return;
	if (!flush_out(sc))
		reply_queued(sc);
}

/*
 * HEAD: how many of the reply's first len bytes go out: the header section
 * only (RFC 9110 9.3.2), whatever the owner wrote after it.
 */
static size_t head_cut(struct http_sconn *sc, size_t len)
{
	const uint8_t *e;

	if (!sc->head)
		return len;
	if (sc->cut)
		return sc->front < len ? sc->front : len;
	e = memmem(sc->out, len, "\r\n\r\n", 4);
	if (!e)
		return len;
	sc->cut = true;
	sc->front = (uint32_t)(e + 4 - sc->out);
	return sc->front;
}

/* ---- answers of the server's own ------------------------------------------------ */

static void linger_fire(struct net_timer *t)
{
	struct http_sconn *sc = t->arg;
	uint64_t now;

	if (sc->state != SC_LINGER)
		return;
	now = net_now_ns();
	if (now >= sc->linger_at)
		close_conn(sc);
	else
		net_timer_start(sc->srv->loop, &sc->linger, sc->linger_at - now);
}

/*
 * The request could not be read: answer 'status' with Connection: close,
 * then linger. linger_ns is one value per server, so an armed timer (from
 * this slot's previous connection) fires no later than needed and re-arms.
 */
static void refuse(struct http_sconn *sc, unsigned status)
{
	struct http_server *srv = sc->srv;
	int n;

	srv->st.errors++;
	sc->waiting = false;
	net_http_reply_start(&sc->w, sc->out, sc->out_cap, status, NET_HTTP_R_CLOSE);
	n = net_http_reply_body(&sc->w, NULL, 0);
	sc->state = SC_LINGER;
	sc->linger_at = net_now_ns() + srv->cfg.linger_ns;
	if (!net_timer_armed(&sc->linger))
		net_timer_start(srv->loop, &sc->linger, srv->cfg.linger_ns);
	if (n <= 0) {
		close_conn(sc);
		return;
	}
	sc->out_off = 0;
	sc->out_len = (uint32_t)n;
	flush_out(sc);
}

/* The methods routed for this request's path, for Allow in a 405. */
static void allow_list(const struct http_server *srv, const struct net_http_parser *p,
		       char *dst, size_t cap)
{
	const struct net_http_route *rt = srv->cfg.routes;
	uint32_t seen = 0;
	size_t n = 0;

	dst[0] = 0;
	for (uint32_t i = 0; i < srv->cfg.nroutes; i++) {
		unsigned m = rt[i].method;
		const char *name;
		size_t k;

		if (net_http_route(&rt[i], 1, p) == -ENOENT || m >= 32 || (seen & 1u << m))
			continue;
		seen |= 1u << m;
		name = net_http_method_name((enum net_http_method)m);
		k = strlen(name);
		if (!k || n + k + 3 > cap)
			continue;
		if (n) {
			memcpy(dst + n, ", ", 2);
			n += 2;
		}
		memcpy(dst + n, name, k + 1);
		n += k;
	}
}

/* The route for p: net_http_route, and a HEAD request also takes a GET route. */
static int route(struct http_server *srv, const struct net_http_parser *p)
{
	const struct net_http_route *rt = srv->cfg.routes;
	int r = net_http_route(rt, srv->cfg.nroutes, p);

	if (r != -EOPNOTSUPP || p->method != NET_HTTP_HEAD)
		return r;
	for (uint32_t i = 0; i < srv->cfg.nroutes; i++)
		if (rt[i].method == NET_HTTP_GET && net_http_route(&rt[i], 1, p) == -EOPNOTSUPP)
			return (int)i;
	return r;
}

static void not_routed(struct http_sconn *sc, int r)
{
	struct net_http_reply *w;
	char allow[128];

	sc->srv->st.errors++;
	w = http_sconn_reply(sc, r == -ENOENT ? 404 : 405, 0);
	if (r != -ENOENT) {
		allow_list(sc->srv, &sc->p, allow, sizeof(allow));
		net_http_reply_header(w, "Allow", allow);
	}
	net_http_reply_body(w, NULL, 0);
	http_sconn_send(sc);
}

/* ---- requests --------------------------------------------------------------------- */

static void request(struct http_sconn *sc)
{
	struct http_server *srv = sc->srv;
	const struct net_http_parser *p = &sc->p;
	int r = -1;

	sc->waiting = true;
	sc->started = false;
	sc->flushed = false;
	sc->cut = false;
	sc->head = p->method == NET_HTTP_HEAD;
	/* HTTP/1.0 keep-alive is not offered: its replies would need the
	 * keep-alive token echoed */
	sc->close_after = !p->keep_alive || p->version == 0;
	if (srv->cfg.nroutes) {
		r = route(srv, p);
		if (r < 0) {
			not_routed(sc, r);
			return;
		}
	}
	srv->st.requests++;
	srv->cfg.ops->on_request(sc, p, r);
	if (sc->waiting && sc->started && sc->state == SC_OPEN)
		http_sconn_send(sc);
}

/*
 * Parse base[0..n) and hand out whole requests while not paused. Returns
 * the bytes used; the rest (a partial request, or requests behind a paused
 * one) is the caller's to keep.
 */
static size_t process(struct http_sconn *sc, uint8_t *base, size_t n)
{
	size_t off = 0;
	int r;

	sc->in_process = true;
	while (off < n && sc->state == SC_OPEN && !paused(sc)) {
		r = net_http_parse(&sc->p, base + off, n - off);
		if (r == NET_HTTP_AGAIN)
			break;
		if (r < 0) {
			refuse(sc, net_http_err_status(r));
			break;
		}
		sc->cur = base + off;
		sc->cur_len = n - off;
		request(sc);
		sc->cur = NULL;
		off += sc->p.msg_len;
		net_http_parser_next(&sc->p, 0);
	}
	sc->in_process = false;
	return off;
}

/* Input that does not fit: pipelined too far ahead, or one huge message. */
static void too_much(struct http_sconn *sc)
{
	sc->rx.len = 0;
	if (paused(sc)) {
		sc->srv->st.overflow++;
		close_conn(sc);
	} else {
		refuse(sc, 413);
	}
}

/* Requests kept in the receive buffer. */
static void process_rx(struct http_sconn *sc)
{
	size_t off = process(sc, sc->rx.buf, sc->rx.len);

	if (sc->state == SC_OPEN)
		http_rx_keep(&sc->rx, sc->rx.buf, off, sc->rx.len); /* a move: cannot fail */
	else
		sc->rx.len = 0;
}

/* ---- stream callbacks ---------------------------------------------------------- */

static void sc_open(struct net_stream *s, int err)
{
	struct http_sconn *sc = net_stream_user(s);
	struct http_server *srv = sc->srv;

	if (err) {
		/* no on_close follows, and the stream is not idle yet */
		sc->state = SC_FAILED;
		srv->st.tls_failed++;
		return;
	}
	sc->state = SC_OPEN;
	if (srv->cfg.ops->on_open)
		srv->cfg.ops->on_open(sc);
}

static size_t sc_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct http_sconn *sc = net_stream_user(s);
	size_t all = len, off, k;

	if (sc->state != SC_OPEN)
		return len; /* lingering or closing: dropped */
	if (!sc->rx.len && !paused(sc)) {
		/* the common case: parse in the stream's buffer */
		off = process(sc, data, len);
		if (sc->state == SC_OPEN && off < len && http_rx_keep(&sc->rx, data, off, len))
			too_much(sc);
		return len;
	}
	while (len && sc->state == SC_OPEN) {
		k = sc->rx.cap - sc->rx.len;
		if (!k) {
			too_much(sc);
			break;
		}
		if (k > len)
			k = len;
		http_rx_append(&sc->rx, data, k);
		data += k;
		len -= k;
		if (!paused(sc))
			process_rx(sc);
	}
	if (sc->state == SC_DETACHED)
		return all - len; /* not read yet: the loop keeps it for the new owner */
	return all;
}

static void sc_close(struct net_stream *s, int err)
{
	struct http_sconn *sc = net_stream_user(s);
	struct http_server *srv = sc->srv;

	sc->state = SC_FREE;
	sc->waiting = false;
	sc->started = false;
	sc->rx.len = 0;
	sc->out_off = sc->out_len = 0;
	if (srv->cfg.ops->on_close)
		srv->cfg.ops->on_close(sc, err);
	sc->user = NULL;
}

static const struct net_stream_ops sconn_stream_ops = {
	.on_open = sc_open,
	.on_data = sc_data,
	.on_close = sc_close,
};

/* ---- accepting -------------------------------------------------------------------- */

static bool slot_free(const struct http_sconn *sc)
{
	return sc->state == SC_FREE ||
	       (sc->state == SC_FAILED && sc->st.state == NET_STREAM_IDLE);
}

static struct http_sconn *slot_get(struct http_server *srv)
{
	uint32_t n = srv->cfg.max_conns;

	for (uint32_t i = 0; i < n; i++) {
		struct http_sconn *sc = &srv->slots[(srv->next + i) % n];

		if (slot_free(sc)) {
			srv->next = (srv->next + i + 1) % n;
			return sc;
		}
	}
	return NULL;
}

static void srv_accept(struct net_conn *c, int err)
{
	struct http_server *srv = net_conn_user(c);
	struct http_sconn *sc;

	if (err)
		return;
	sc = srv->stopped ? NULL : slot_get(srv);
	if (!sc) {
		srv->st.refused++;
		net_close(c);
		return;
	}
	srv->st.accepted++;
	sc->state = SC_HANDSHAKE;
	sc->serial = srv->serial++;
	sc->requests = 0;
	sc->user = NULL;
	sc->waiting = sc->started = false;
	sc->rx.len = 0;
	sc->out_off = sc->out_len = 0;
	net_http_parser_next(&sc->p, 0);
	/* plain TCP: sc_open runs inside; TLS: once the handshake is done, and
	 * a failure there comes to sc_open too */
	net_stream_accept(&sc->st, c, &sconn_stream_ops, sc);
}

static const struct net_conn_ops accept_ops = { .on_open = srv_accept };

/* ---- API ------------------------------------------------------------------------- */

int http_server_new(struct http_server **out, struct net_loop *l,
		    const struct sockaddr *addr, socklen_t alen,
		    const struct http_server_cfg *in)
{
	struct http_server *srv;
	struct http_server_cfg cfg;
	size_t sbytes = NET_STREAM_BUF_SIZE(0), per, rx;
	void *slots;
	int err;

	if (!in || !in->ops || !in->ops->on_request || (in->nroutes && !in->routes))
		return -EINVAL;
	cfg = *in;
	net_http_limits_fill(&cfg.lim);
	if (!cfg.max_conns)
		cfg.max_conns = DEF_CONNS;
	if (!cfg.reply_cap)
		cfg.reply_cap = DEF_REPLY_CAP;
	if (!cfg.linger_ns)
		cfg.linger_ns = DEF_LINGER_NS;
	if (!cfg.retry_ns)
		cfg.retry_ns = DEF_RETRY_NS;
	rx = cfg.rx_cap ? cfg.rx_cap : HTTP_RX_SIZE(cfg.lim.max_hdr_bytes, cfg.lim.max_body);
	if (rx > UINT32_MAX || cfg.reply_cap > INT32_MAX)
		return -EINVAL;
	cfg.rx_cap = (uint32_t)rx;
	per = sbytes + cfg.rx_cap + cfg.reply_cap;

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop = l;
	srv->cfg = cfg;
	err = -ENOMEM;
	if (posix_memalign(&slots, 64, sizeof(*srv->slots) * cfg.max_conns))
		goto free;
	srv->slots = slots;
	memset(slots, 0, sizeof(*srv->slots) * cfg.max_conns);
	srv->mem = malloc(per * cfg.max_conns);
	if (!srv->mem)
		goto free;
	for (uint32_t i = 0; i < cfg.max_conns; i++) {
		struct http_sconn *sc = &srv->slots[i];
		uint8_t *m = srv->mem + per * i;

		sc->srv = srv;
		err = net_stream_init(&sc->st, cfg.tls, m, sbytes, 0);
		if (!err)
			err = net_http_parser_init(&sc->p, NET_HTTP_REQUEST, &cfg.lim);
		if (err)
			goto free;
		sc->rx.buf = m + sbytes;
		sc->rx.cap = cfg.rx_cap;
		sc->out = m + sbytes + cfg.rx_cap;
		sc->out_cap = cfg.reply_cap;
		sc->retry.fn = retry_fire;
		sc->retry.arg = sc;
		sc->linger.fn = linger_fire;
		sc->linger.arg = sc;
	}
	err = net_listen(l, addr, alen, &accept_ops, srv, &srv->ls);
	if (err)
		goto free;
	*out = srv;
	return 0;
free:
	http_server_free(srv);
	return err;
}

uint16_t http_server_port(const struct http_server *s)
{
	return net_listener_port(s->ls);
}

void http_server_stop(struct http_server *s)
{
	if (!s->stopped) {
		s->stopped = true;
		net_listener_close(s->ls);
	}
	for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
		struct http_sconn *sc = &s->slots[i];

		if (sc->state == SC_HANDSHAKE || sc->state == SC_OPEN || sc->state == SC_LINGER)
			close_conn(sc);
		else if (sc->state == SC_DETACHED && sc->stop)
			sc->stop(sc->stop_arg);
		else if (sc->state == SC_DETACHED && sc->conn)
			net_close(sc->conn);
	}
}

bool http_server_idle(const struct http_server *s)
{
	for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
		const struct http_sconn *sc = &s->slots[i];

		if (!slot_free(sc) || net_timer_armed(&sc->retry) || net_timer_armed(&sc->linger))
			return false;
	}
	return true;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; s->slots && s->mem && i < s->cfg.max_conns; i++)
		if (s->cfg.tls)
			net_tls_sess_reset(&s->slots[i].st.tls);
	free(s->mem);
	free(s->slots);
	free(s);
}

const struct http_server_stats *http_server_stats(const struct http_server *s)
{
	return &s->st;
}

void *http_server_user(const struct http_server *s)
{
	return s->cfg.user;
}

struct net_http_reply *http_sconn_reply(struct http_sconn *sc, unsigned status,
					unsigned flags)
{
	if (!sc->waiting || sc->state != SC_OPEN)
		return NULL;
	if (sc->close_after)
		flags |= NET_HTTP_R_CLOSE;
	if (flags & NET_HTTP_R_CLOSE)
		sc->close_after = true;
	net_http_reply_start(&sc->w, sc->out, sc->out_cap, status, flags);
	sc->started = true;
	return &sc->w;
}

int http_sconn_send(struct http_sconn *sc)
{
	int n;

	if (sc->state != SC_OPEN)
		return -ENOTCONN;
	if (!sc->waiting || !sc->started)
		return -EINVAL;
	n = sc->w.err ? sc->w.err : (int)net_http_reply_len(&sc->w);
	if (n < 0) {
		/* the owner's reply did not fit or was misbuilt */
		sc->srv->st.errors++;
		if (sc->flushed) {
			close_conn(sc);
			return 0;
		}
		net_http_reply_start(&sc->w, sc->out, sc->out_cap, 500, NET_HTTP_R_CLOSE);
		n = net_http_reply_body(&sc->w, NULL, 0);
		sc->close_after = true;
		if (n < 0) {
			close_conn(sc);
			return 0;
		}
	}
	sc->waiting = false;
	sc->started = false;
	sc->requests++;
	sc->out_off = 0;
	sc->out_len = (uint32_t)head_cut(sc, (size_t)n);
	n = flush_out(sc);
	if (!n)
		reply_queued(sc);
	else if (n != -ENOBUFS)
		return n;
	return 0;
}

int http_sconn_flush(struct http_sconn *sc)
{
	size_t len, n, sent = 0;
	int err;

	if (sc->state != SC_OPEN)
		return -ENOTCONN;
	if (!sc->waiting || !sc->started)
		return -EINVAL;
	if (sc->w.err)
		return sc->w.err;
	len = net_http_reply_len(&sc->w);
	n = head_cut(sc, len);
	err = push(sc, sc->out, n, &sent);
	if (sent)
		sc->flushed = true;
	if (err && err != -ENOBUFS)
		return err;
	/* keep what did not go, drop what must not (HEAD) */
	memmove(sc->out, sc->out + sent, n - sent);
	sc->w.pos = sc->w.buf + (n - sent);
	if (sc->cut)
		sc->front = (uint32_t)(n - sent);
	return err;
}

void http_sconn_close(struct http_sconn *sc)
{
	if (sc->state == SC_HANDSHAKE || sc->state == SC_OPEN || sc->state == SC_LINGER)
		close_conn(sc);
}

int http_sconn_detach(struct http_sconn *sc, struct http_sconn_handover *h,
		      void (*stop)(void *arg), void *arg)
{
	if (!h || sc->state != SC_OPEN || !sc->waiting || sc->started || !sc->cur)
		return -EINVAL;
	if (sc->srv->cfg.tls)
		return -EOPNOTSUPP;
	h->conn = sc->st.conn;
	h->pre = sc->cur;
	h->pre_len = sc->cur_len;
	sc->conn = h->conn;
	sc->stop = stop;
	sc->stop_arg = arg;
	sc->state = SC_DETACHED;
	sc->waiting = false;
	sc->user = NULL;
	sc->requests++;
	sc->srv->st.detached++;
	/* the receive buffer is emptied by process_rx on the way out, after
	 * the new owner has taken what it keeps */
	return 0;
}

void http_sconn_release(struct http_sconn *sc)
{
	if (sc->state != SC_DETACHED)
		return;
	sc->conn = NULL;
	sc->stop = NULL;
	sc->stop_arg = NULL;
	sc->rx.len = 0;
	sc->state = SC_FREE;
}

void *http_sconn_user(const struct http_sconn *sc)
{
	return sc->user;
}

void http_sconn_set_user(struct http_sconn *sc, void *user)
{
	sc->user = user;
}

struct http_server *http_sconn_server(const struct http_sconn *sc)
{
	return sc->srv;
}

uint64_t http_sconn_requests(const struct http_sconn *sc)
{
	return sc->requests;
}

uint64_t http_sconn_serial(const struct http_sconn *sc)
{
	return sc->serial;
}
