/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 client connection over a stream: one keep-alive connection,
 * requests written in place by the caller, responses parsed as they arrive
 * (in the stream's buffer when whole, else from the client's receive
 * buffer), one loop timer for the deadlines of the requests in flight.
 *
 * Persistence follows RFC 9112 section 9: a response that says close (or is
 * HTTP/1.0 without keep-alive, or runs until EOF) ends the connection after
 * it; requests pipelined behind it were not processed (9.3.2).
 */
#include <errno.h>
#include <string.h>
#include "kimp/httpconn.h"

#define DEF_TIMEOUT_NS 10000000000ull
#define DEF_REQ_CAP    (4096u + NET_HTTP_BODY_STAGE)

static void cfg_fill(struct http_client_cfg *o, const struct http_client_cfg *in)
{
	if (in)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	net_http_limits_fill(&o->lim);
	if (!o->req_cap)
		o->req_cap = DEF_REQ_CAP;
	if (!o->rx_cap) {
		size_t n = HTTP_RX_SIZE(o->lim.max_hdr_bytes, o->lim.max_body);
		o->rx_cap = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	}
	if (!o->timeout_ns)
		o->timeout_ns = DEF_TIMEOUT_NS;
	if (!o->pipeline)
		o->pipeline = 1;
}

/* The stream's own storage: no stage, the client keeps partial messages. */
static size_t stream_bytes(void)
{
	return NET_STREAM_BUF_SIZE(0);
}

/* stream.h has no predicate for this: after a failed TLS handshake the
 * stream says so before the loop has closed the socket. */
static bool stream_idle(const struct net_stream *s)
{
	return s->state == NET_STREAM_IDLE;
}

/* ---- requests in flight --------------------------------------------------- */

static struct http_client_inflight *oldest(struct http_client *c)
{
	return &c->inflight[c->head];
}

static void pop(struct http_client *c)
{
	c->head = (c->head + 1) % HTTP_CLIENT_PIPELINE_MAX;
	c->count--;
}

/* Complete the oldest request with an error. */
static void finish_err(struct http_client *c, int err)
{
	struct http_client_inflight f = *oldest(c);
	struct http_client_resp r;

	pop(c);
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.reused = c->responses > 0;
	r.head = f.head;
	r.id = f.id;
	r.sent_ns = f.sent_ns;
	if (c->ops->on_response)
		c->ops->on_response(c, &r);
}

/* Every request in flight: the oldest with 'first', the rest with 'rest'. */
static void finish_all(struct http_client *c, int first, int rest)
{
	if (c->count)
		finish_err(c, first);
	while (c->count)
		finish_err(c, rest);
}

/*
 * The connection failed or timed out: close it and finish what is in
 * flight. Requests pipelined behind the oldest were not answered either;
 * unless nothing at all came back (E_CLOSED), their outcome is unknown.
 */
static void fail(struct http_client *c, int err)
{
	if (c->state != HTTP_CLIENT_OPEN && c->state != HTTP_CLIENT_CONNECTING)
		return;
	c->state = HTTP_CLIENT_CLOSING;
	c->close_err = err;
	finish_all(c, err, err == -NET_HTTP_E_CLOSED ? err : -ECONNABORTED);
	net_stream_close(&c->st);
}

/* The parser set up for the response to the oldest request. */
static void arm_parser(struct http_client *c)
{
	if (c->parser_armed)
		return;
	net_http_parser_next(&c->p, oldest(c)->head ? NET_HTTP_F_HEAD : 0);
	c->parser_armed = true;
}

/* A whole response for the oldest request: hand it out. */
static void deliver(struct http_client *c)
{
	struct http_client_inflight f = *oldest(c);
	struct http_client_resp r;
	bool last = !c->p.keep_alive;

	pop(c);
	r.err = 0;
	r.status = c->p.status;
	r.reused = c->responses > 0;
	r.head = f.head;
	r.id = f.id;
	r.sent_ns = f.sent_ns;
	r.msg = &c->p;
	r.body = net_http_body(&c->p);
	c->responses++;
	if (last && c->state == HTTP_CLIENT_OPEN) {
		/* no sends from inside the callback: the connection is ending */
		c->state = HTTP_CLIENT_CLOSING;
		c->close_err = 0;
	}
	if (c->ops->on_response)
		c->ops->on_response(c, &r);
	/* the parser's results were the callback's; now it may move on */
	c->parser_armed = false;
	if (last) {
		finish_all(c, -NET_HTTP_E_CLOSED, -NET_HTTP_E_CLOSED);
		net_stream_close(&c->st);
	}
}

/* ---- the deadline timer ----------------------------------------------------------- */

/*
 * One timer for every request: deadlines come in send order (one timeout
 * per client), so the armed timer never fires later than the oldest
 * request's deadline. When it fires it re-arms for the oldest request's,
 * if that is still ahead. It is never cancelled (a cancelled timer stays
 * armed until the loop sees the cancellation, and could not be re-armed
 * for the next request until then).
 */
static void arm_timer(struct http_client *c, uint64_t deadline, uint64_t now)
{
	if (net_timer_armed(&c->timer))
		return;
	net_timer_start(c->loop, &c->timer, deadline > now ? deadline - now : 1);
}

static void timer_fire(struct net_timer *t)
{
	struct http_client *c = t->arg;
	uint64_t now;

	if (c->state != HTTP_CLIENT_OPEN || !c->count)
		return;
	now = net_now_ns();
	if (now >= oldest(c)->deadline_ns) {
		fail(c, -ETIMEDOUT);
		return;
	}
	arm_timer(c, oldest(c)->deadline_ns, now);
}

/* ---- stream callbacks ---------------------------------------------------------- */

static void cl_open(struct net_stream *s, int err)
{
	struct http_client *c = net_stream_user(s);

	if (err) {
		if (c->state == HTTP_CLIENT_CLOSING)
			err = -ECANCELED; /* http_client_close() while connecting */
		c->state = HTTP_CLIENT_IDLE;
		if (c->ops->on_open)
			c->ops->on_open(c, err);
		return;
	}
	c->state = HTTP_CLIENT_OPEN;
	if (c->ops->on_open)
		c->ops->on_open(c, 0);
}

/* Parse base[0..n): returns the bytes of the whole responses handed out. */
static size_t process(struct http_client *c, uint8_t *base, size_t n)
{
	size_t off = 0;
	int r;

	while (off < n && c->state == HTTP_CLIENT_OPEN) {
		if (!c->count) {
			fail(c, -EPROTO); /* a response to nothing */
			break;
		}
		arm_parser(c);
		r = net_http_parse(&c->p, base + off, n - off);
		if (r == NET_HTTP_AGAIN)
			break;
		if (r == NET_HTTP_UPGRADE)
			r = -EPROTO; /* we never ask to switch protocols */
		if (r < 0) {
			fail(c, r);
			break;
		}
		off += c->p.msg_len;
		deliver(c);
	}
	return off;
}

static size_t cl_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct http_client *c = net_stream_user(s);
	size_t all = len, off, k;

	if (c->state != HTTP_CLIENT_OPEN)
		return len;
	if (!c->rx.len) {
		/* the common case: parse in the stream's buffer */
		off = process(c, data, len);
		if (c->state == HTTP_CLIENT_OPEN && http_rx_keep(&c->rx, data, off, len))
			fail(c, -NET_HTTP_E_BODY_SIZE);
		return len;
	}
	/* the start of a response came before: continue it in rx, as much at
	 * a time as fits (responses pipelined behind it may not) */
	while (len && c->state == HTTP_CLIENT_OPEN) {
		k = c->rx.cap - c->rx.len;
		if (!k) {
			fail(c, -NET_HTTP_E_BODY_SIZE);
			break;
		}
		if (k > len)
			k = len;
		http_rx_append(&c->rx, data, k);
		data += k;
		len -= k;
		off = process(c, c->rx.buf, c->rx.len);
		if (c->state == HTTP_CLIENT_OPEN)
			http_rx_keep(&c->rx, c->rx.buf, off, c->rx.len); /* a move */
	}
	if (c->state != HTTP_CLIENT_OPEN)
		c->rx.len = 0;
	return all;
}

/*
 * The peer ended the connection (EOF, close_notify, reset) while we
 * thought it open. A response read until EOF ends here; else what is in
 * flight fails. Returns what on_close reports.
 */
static int peer_closed(struct http_client *c, int err)
{
	int r = err;

	if (!c->count)
		return err ? err : -NET_HTTP_E_CLOSED;
	if (!err || (err == -ECONNRESET && !c->rx.len)) {
		arm_parser(c);
		r = net_http_parse_eof(&c->p, c->rx.buf, c->rx.len);
		if (r == NET_HTTP_DONE) {
			deliver(c); /* keep_alive is false: ends the rest too */
			return 0;
		}
		if (r >= 0)
			r = -EPROTO; /* an upgrade */
	}
	c->state = HTTP_CLIENT_CLOSING;
	finish_all(c, r, r == -NET_HTTP_E_CLOSED ? r : -ECONNABORTED);
	return r;
}

static void cl_close(struct net_stream *s, int err)
{
	struct http_client *c = net_stream_user(s);
	int why = c->close_err;

	if (c->state == HTTP_CLIENT_OPEN)
		why = peer_closed(c, err);
	else if (c->count)
		finish_all(c, -ECONNABORTED, -ECONNABORTED);
	c->state = HTTP_CLIENT_IDLE;
	c->rx.len = 0;
	c->parser_armed = false;
	c->building = false;
	c->req_len = 0;
	if (c->ops->on_close)
		c->ops->on_close(c, why);
}

static const struct net_stream_ops client_stream_ops = {
	.on_open = cl_open,
	.on_data = cl_data,
	.on_close = cl_close,
};

/* ---- API ------------------------------------------------------------------------- */

size_t http_client_buf_size(const struct http_client_cfg *in)
{
	struct http_client_cfg cfg;

	cfg_fill(&cfg, in);
	return stream_bytes() + cfg.req_cap + cfg.rx_cap;
}

int http_client_init(struct http_client *c, struct net_tls_ctx *tls,
		     const struct http_client_cfg *in, void *buf, size_t buf_len)
{
	struct http_client_cfg cfg;
	uint8_t *p = buf;
	int err;

	cfg_fill(&cfg, in);
	if (!buf || buf_len < http_client_buf_size(&cfg) ||
	    cfg.pipeline > HTTP_CLIENT_PIPELINE_MAX)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	err = net_http_parser_init(&c->p, NET_HTTP_RESPONSE, &cfg.lim);
	if (err)
		return err;
	err = net_stream_init(&c->st, tls, p, stream_bytes(), 0);
	if (err)
		return err;
	c->reqbuf = (char *)p + stream_bytes();
	c->req_cap = cfg.req_cap;
	c->rx.buf = p + stream_bytes() + cfg.req_cap;
	c->rx.cap = cfg.rx_cap;
	c->pipeline = cfg.pipeline;
	c->timeout_ns = cfg.timeout_ns;
	c->timer.fn = timer_fire;
	c->timer.arg = c;
	return 0;
}

int http_client_connect(struct net_loop *l, struct http_client *c, const char *host,
			uint16_t port, const struct sockaddr *addr, socklen_t alen,
			uint64_t timeout_ns, const struct http_client_ops *ops, void *user)
{
	int err;

	if (c->state != HTTP_CLIENT_IDLE || !stream_idle(&c->st))
		return -EBUSY;
	c->loop = l;
	c->ops = ops;
	c->user = user;
	c->rx.len = 0;
	c->head = c->count = 0;
	c->responses = 0;
	c->close_err = 0;
	c->parser_armed = false;
	c->building = false;
	c->req_len = 0;
	c->state = HTTP_CLIENT_CONNECTING;
	err = net_stream_connect(l, &c->st, host, port, addr, alen, timeout_ns,
				 &client_stream_ops, c);
	if (err)
		c->state = HTTP_CLIENT_IDLE;
	return err;
}

struct net_http_req *http_client_req_begin(struct http_client *c,
					   const struct net_http_tmpl *t)
{
	c->building = false;
	c->req_len = 0;
	if (!http_client_can_send(c))
		return NULL;
	if (net_http_req_start(&c->req, t, c->reqbuf, c->req_cap))
		return NULL;
	c->building = true;
	return &c->req;
}

int http_client_send(struct http_client *c, uint64_t id)
{
	struct http_client_inflight *f;
	uint64_t now;
	int n, err;

	if (!c->building)
		return -EINVAL;
	if (!http_client_can_send(c)) {
		c->building = false;
		return c->state == HTTP_CLIENT_OPEN ? -EBUSY : -ENOTCONN;
	}
	if (!c->req_len) {
		n = net_http_req_finish(&c->req);
		if (n < 0) {
			/* not the queue's -ENOBUFS: this one is dropped */
			c->building = false;
			return n == -ENOBUFS ? -EMSGSIZE : n;
		}
		c->req_len = (uint32_t)n;
	}
	err = net_stream_send(&c->st, c->reqbuf, c->req_len);
	if (err == -ENOBUFS)
		return err; /* kept: send again */
	c->building = false;
	c->req_len = 0;
	if (err)
		return err;
	now = net_now_ns();
	f = &c->inflight[(c->head + c->count) % HTTP_CLIENT_PIPELINE_MAX];
	f->id = id;
	f->sent_ns = now;
	f->deadline_ns = now + c->timeout_ns;
	f->head = c->req.t->method == NET_HTTP_HEAD;
	c->count++;
	arm_timer(c, f->deadline_ns, now);
	return 0;
}

void http_client_close(struct http_client *c)
{
	if (c->state != HTTP_CLIENT_OPEN && c->state != HTTP_CLIENT_CONNECTING)
		return;
	c->state = HTTP_CLIENT_CLOSING;
	c->close_err = 0;
	c->building = false;
	finish_all(c, -ECANCELED, -ECANCELED);
	net_stream_close(&c->st);
}

bool http_client_idle(const struct http_client *c)
{
	return c->state == HTTP_CLIENT_IDLE && stream_idle(&c->st) &&
	       !net_timer_armed(&c->timer);
}
