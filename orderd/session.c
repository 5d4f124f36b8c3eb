/* SPDX-License-Identifier: MIT */
/*
 * orderd's sessions with each live venue, driven by its struct venue_ord:
 *
 *   REST     rest_conns keep-alive http_clients, each with rest_pipeline
 *            requests in flight at most (1 unless configured), each with
 *            net_redial; requests from templates made once; a
 *            VO_OP_KEEPALIVE on a connection idle for `keepalive`. A
 *            request pipelined behind one that failed ends -ECONNABORTED
 *            (or -NET_HTTP_E_CLOSED): like every reply-less end it goes to
 *            od_on_ambiguous, so an order in it is UNKNOWN, never resent
 *   WSAPI    one ws_conn when the venue has a WebSocket order API (its
 *            user data subscription sent after the open when the venue
 *            puts reports there); our own deadline per request; at most
 *            OD_WS_INFLIGHT requests awaiting a reply (beyond that the
 *            channel refuses, counted in NAME.wsapi_full, and the order
 *            path tries the next channel: proven unsent)
 *   PRIV     one ws_conn for a separate private stream (headers from
 *            ws_headers, SUBSCRIBE after the open)
 *
 * Names are resolved at dial time. Every reply is parsed by the venue's
 * parser into a struct vo_event and handed to orderd.c (od_on_event); a
 * request that ends without a usable reply goes to od_on_ambiguous.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/tsc.h"
#include "orderd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* ---- requests ------------------------------------------------------------------ */

static struct od_req *req_new(struct od_venue *v, uint64_t coid, enum vo_op op, uint8_t ch)
{
	uint64_t id = ++v->next_req;
	struct od_req *rq = &v->reqs[id & (OD_REQS - 1)];

	if (rq->id)
		return NULL;    /* OD_REQS requests in flight: refuse (before send) */
	rq->id = id;
	rq->coid = coid;
	rq->op = (uint8_t)op;
	rq->chan = ch;
	rq->took = 0;   /* set by the sender when it carries rate units */
	rq->sent_mono_ns = kimp_mono_ns();
	rq->sent_real_ns = od_real_ns();
	rq->deadline_ns = rq->sent_mono_ns + v->vc->timeout_ns;
	return rq;
}

/* A request on a WebSocket channel has ended (reply, deadline). */
static void ws_req_done(struct od_venue *v, const struct od_req *rq)
{
	if (rq->chan != VO_CH_REST && rq->chan < VO_CH_N && v->ws[rq->chan].inflight)
		v->ws[rq->chan].inflight--;
}

/* Take request id's record out of the table: true with *out when it was there. */
static bool req_take(struct od_venue *v, uint64_t id, struct od_req *out)
{
	struct od_req *rq = &v->reqs[id & (OD_REQS - 1)];

	if (!id || rq->id != id)
		return false;
	*out = *rq;
	rq->id = 0;
	ws_req_done(v, out);
	return true;
}

static bool rest_send_on(struct od_venue *v, struct od_rest *rc, enum vo_op op,
			 const struct vo_order *o, struct od_req *rq, int *bad)
{
	struct net_http_req *r;
	int e;

	if (!rc->up || !http_client_can_send(&rc->hc) || !v->tmpl_ok[op])
		return false;
	r = http_client_req_begin(&rc->hc, &v->tmpl[op]);
	if (!r)
		return false;
	if ((e = v->vo->rest_build(&v->ctx, op, o, r))) {
		if (e == -EINVAL)
			*bad = 1;
		return false;
	}
	if (http_client_send(&rc->hc, rq->id))
		return false;
	rq->conn = rc->idx;
	rc->last_ns = rq->sent_mono_ns;
	return true;
}

static bool ws_send(struct od_venue *v, struct od_ws *s, enum vo_op op, const struct vo_order *o,
		    struct od_req *rq, int *bad)
{
	int n;

	if (!s->on || !s->up || !v->vo->ws_build)
		return false;
	if (s->inflight >= OD_WS_INFLIGHT) {
		/* the venue would have to queue more replies than it holds for us */
		if (s->c_full)
			atomic_fetch_add_explicit(s->c_full, 1, memory_order_relaxed);
		return false;
	}
	n = v->vo->ws_build(&v->ctx, (enum vo_chan)s->ch, op, o, rq->id, v->wsbuf,
			    sizeof(v->wsbuf));
	if (n <= 0) {
		if (n == -EINVAL)
			*bad = 1;
		return false;
	}
	if (ws_conn_send(&s->w, WS_OP_TEXT, v->wsbuf, (size_t)n))
		return false;
	s->inflight++;
	return true;
}

int od_send(struct od_venue *v, enum vo_op op, const struct vo_order *o, uint64_t coid,
	    uint8_t *chan, uint64_t *req_id)
{
	static const uint8_t order[] = { VO_CH_WSAPI, VO_CH_REST, VO_CH_PRIV };
	int bad = 0;

	if (v->paper)
		return od_paper_send(v, op, o, coid);
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(order); k++) {
		uint8_t ch = order[k];
		if (!(v->vo->chans[op] & VO_CHBIT(ch)))
			continue;
		struct od_req *rq = req_new(v, coid, op, ch);
		if (!rq) {
			od_rate_done(v, NULL, NULL); /* never sent: its units go back */
			return -EBUSY;
		}
		bool ok = false;
		if (ch == VO_CH_REST) {
			for (uint32_t i = 0; i < v->nrest && !ok && !bad; i++) {
				struct od_rest *rc = &v->rest[(v->rest_rr + i) % v->nrest];
				ok = rest_send_on(v, rc, op, o, rq, &bad);
			}
			v->rest_rr++;
		} else {
			ok = ws_send(v, &v->ws[ch], op, o, rq, &bad);
		}
		if (ok) {
			/* the units the caller's od_rate_take charged ride with it */
			rq->took = v->rate_took;
			v->rate_took = false;
			*chan = ch;
			*req_id = rq->id;
			return 0;
		}
		rq->id = 0; /* proven unsent: free, try the next channel */
		if (bad)
			break;
	}
	od_rate_done(v, NULL, NULL); /* nothing sent: its units go back */
	return bad ? -EINVAL : -ENOTCONN;
}

/* ---- REST --------------------------------------------------------------------------- */

static void each_open(void *arg, const struct vo_event *ev)
{
	struct od_venue *v = arg;

	od_on_event(v, NULL, ev);
}

static void rest_on_open(struct http_client *c, int err)
{
	struct od_rest *rc = http_client_user(c);
	struct od_venue *v = rc->v;

	if (err) {
		net_redial_down(&rc->rd);
		return;
	}
	rc->up = true;
	rc->last_ns = kimp_mono_ns();
	net_redial_up(&rc->rd);
	orate_connect(&v->rate, VO_CH_REST, vo_server_ms(&v->ctx));
}

static void rest_on_response(struct http_client *c, const struct http_client_resp *r)
{
	struct od_rest *rc = http_client_user(c);
	struct od_venue *v = rc->v;
	struct od_req rq;
	struct vo_event ev;
	struct vo_order o, *op = NULL;
	struct kimp_ord_entry *e;

	if (!req_take(v, r->id, &rq))
		return;
	if (r->err) {
		od_on_ambiguous(v, &rq, false);
		return;
	}
	if (rq.coid && (e = otable_find(&v->d->ot, rq.coid)) && !od_vo_order(v, e, &o))
		op = &o;
	if (rq.op == VO_OP_OPEN) {
		/* one reply, maybe many events (none carries the request) */
		od_rate_done(v, &rq, NULL);
		if (v->vo->rest_parse_list &&
		    v->vo->rest_parse_list(&v->ctx, r->status, r->msg, (const uint8_t *)r->body.p,
					   r->body.len, each_open, v) < 0)
			od_on_ambiguous(v, &rq, true);
		return;
	}
	vo_event_reset(&ev);
	if (!v->vo->rest_parse ||
	    v->vo->rest_parse(&v->ctx, (enum vo_op)rq.op, op, r->status, r->msg,
			      (const uint8_t *)r->body.p, r->body.len, &ev) < 0) {
		od_on_ambiguous(v, &rq, true);
		return;
	}
	v->parse_err_run = 0;
	od_on_event(v, &rq, &ev);
}

static void rest_on_close(struct http_client *c, int err)
{
	struct od_rest *rc = http_client_user(c);

	(void)err;
	rc->up = false;
	net_redial_down(&rc->rd);
}

static const struct http_client_ops rest_ops = {
	.on_open = rest_on_open,
	.on_response = rest_on_response,
	.on_close = rest_on_close,
};

static int rest_dial(struct net_redial *r)
{
	struct od_rest *rc = r->arg;
	struct od_venue *v = rc->v;
	const struct od_url *u = &v->vc->rest;
	struct sockaddr_storage ss;
	socklen_t len;
	int e;

	if (v->sticky)
		return -EPERM;
	if ((e = net_resolve(u->host, u->port, &ss, &len)))
		return e;
	return http_client_connect(v->d->loop, &rc->hc, u->host, u->port, (struct sockaddr *)&ss,
				   len, v->vc->timeout_ns, &rest_ops, rc);
}

/* ---- WebSocket ------------------------------------------------------------------------ */

static bool carries_reports(const struct od_venue *v, unsigned ch)
{
	return ch == VO_CH_PRIV || (ch == VO_CH_WSAPI && v->vo->user_data_on_wsapi);
}

static void ws_subscribe(struct od_venue *v, struct od_ws *s)
{
	struct od_req *rq;
	int n;

	s->subscribed = false;
	s->sub_sent = false;
	if (!(v->vo->chans[VO_OP_SUBSCRIBE] & VO_CHBIT(s->ch)) || !carries_reports(v, s->ch)) {
		s->subscribed = true;
		return;
	}
	rq = req_new(v, 0, VO_OP_SUBSCRIBE, s->ch);
	if (!rq)
		return;
	n = v->vo->ws_build(&v->ctx, (enum vo_chan)s->ch, VO_OP_SUBSCRIBE, NULL, rq->id, v->wsbuf,
			    sizeof(v->wsbuf));
	if (n == 0) {
		rq->id = 0;
		s->subscribed = true;
	} else if (n < 0 || ws_conn_send(&s->w, WS_OP_TEXT, v->wsbuf, (size_t)n)) {
		rq->id = 0;
		fprintf(stderr, "orderd: %s: cannot subscribe on %s: reconnecting\n", v->vo->name,
			s->ch == VO_CH_PRIV ? "the private stream" : "the ws-api");
		ws_conn_close(&s->w, WS_CLOSE_NORMAL);
		return;
	} else {
		s->sub_sent = true;
		s->sub_req = rq->id;
		/* a private stream answers a subscription with its events only */
		if (s->ch == VO_CH_PRIV) {
			rq->id = 0;
			s->subscribed = true;
		} else {
			s->inflight++;
		}
	}
	if (s->subscribed)
		v->need_reconcile = true;
}

/* The channel takes requests now; its reports are subscribed next. */
static void ws_ready(struct od_venue *v, struct od_ws *s)
{
	s->authing = false;
	s->up = true;
	net_redial_up(&s->rd);
	v->sv->chans_up |= (uint8_t)VO_CHBIT(s->ch);
	ws_subscribe(v, s);
}

/*
 * A channel that authenticates after its open (Bybit auth, OKX login):
 * send VO_OP_LOGIN; the channel is up only once the venue accepts it.
 */
static void ws_login(struct od_venue *v, struct od_ws *s)
{
	struct od_req *rq = req_new(v, 0, VO_OP_LOGIN, s->ch);
	int n = -ENOSPC;

	if (rq)
		n = v->vo->ws_build(&v->ctx, (enum vo_chan)s->ch, VO_OP_LOGIN, NULL, rq->id,
				    v->wsbuf, sizeof(v->wsbuf));
	if (n <= 0 || ws_conn_send(&s->w, WS_OP_TEXT, v->wsbuf, (size_t)n)) {
		if (rq)
			rq->id = 0;
		fprintf(stderr, "orderd: %s: cannot log in on the %s: reconnecting\n", v->vo->name,
			s->ch == VO_CH_PRIV ? "private stream" : "ws-api");
		ws_conn_close(&s->w, WS_CLOSE_NORMAL);
		return;
	}
	s->authing = true;
	s->login_req = rq->id;
}

static void ws_on_open(struct ws_conn *w, int err)
{
	struct od_ws *s = ws_conn_user(w);
	struct od_venue *v = s->v;

	if (err) {
		fprintf(stderr, "orderd: %s: %s connect failed: %s\n", v->vo->name,
			s->ch == VO_CH_PRIV ? "private stream" : "ws-api", strerror(-err));
		net_redial_down(&s->rd);
		return;
	}
	s->opened_ns = s->last_ping_ns = kimp_mono_ns();
	orate_connect(&v->rate, (enum vo_chan)s->ch, vo_server_ms(&v->ctx));
	if (v->vo->chans[VO_OP_LOGIN] & VO_CHBIT(s->ch))
		ws_login(v, s);
	else
		ws_ready(v, s);
}

static void ws_on_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct od_ws *s = ws_conn_user(w);
	struct od_venue *v = s->v;
	struct vo_event ev;
	struct od_req rq;
	bool have;

	(void)opcode;
	vo_event_reset(&ev);
	if (!v->vo->ws_parse || v->vo->ws_parse(&v->ctx, (enum vo_chan)s->ch, data, len, &ev) < 0) {
		od_on_ambiguous(v, NULL, true);
		return;
	}
	have = ev.req_id && req_take(v, ev.req_id, &rq);
	if (!have) {
		memset(&rq, 0, sizeof(rq));
		rq.chan = s->ch;
	}
	if (kimp_unlikely(s->authing)) {
		/* a login reply may carry no request id (Bybit auth) */
		if (!have && (ev.kind == VO_EV_LOGIN || ev.kind == VO_EV_ERROR))
			(void)req_take(v, s->login_req, &rq);
		if (ev.kind == VO_EV_LOGIN) {
			ws_ready(v, s);
			return;
		}
		if (ev.kind == VO_EV_ERROR) {
			/* a refused login: od_on_event stops the venue on VO_F_AUTH */
			fprintf(stderr, "orderd: %s: login refused on the %s (%d)\n", v->vo->name,
				s->ch == VO_CH_PRIV ? "private stream" : "ws-api", (int)ev.code);
			od_on_event(v, &rq, &ev);
			ws_conn_close(&s->w, WS_CLOSE_NORMAL);
			return;
		}
	}
	if (ev.kind == VO_EV_SUBSCRIBED && !s->subscribed) {
		s->subscribed = true;
		v->need_reconcile = true;
	}
	od_on_event(v, &rq, &ev);
}

static void ws_on_close(struct ws_conn *w, unsigned code, int err)
{
	struct od_ws *s = ws_conn_user(w);
	struct od_venue *v = s->v;

	(void)err;
	s->up = false;
	s->authing = false;
	s->subscribed = false;
	s->inflight = 0;
	v->sv->chans_up &= (uint8_t)~VO_CHBIT(s->ch);
	v->sv->reconnects++;
	/* its requests in flight: their outcome is unknown now */
	for (uint32_t i = 0; i < OD_REQS; i++) {
		struct od_req rq = v->reqs[i];
		if (rq.id && rq.chan == s->ch) {
			v->reqs[i].id = 0;
			od_on_ambiguous(v, &rq, false);
		}
	}
	if (carries_reports(v, s->ch)) {
		char why[64];
		snprintf(why, sizeof(why), "%s closed (%u)",
			 s->ch == VO_CH_PRIV ? "private stream" : "ws-api", code);
		od_venue_unready(v, why);
	}
	net_redial_down(&s->rd);
}

static const struct ws_conn_ops ws_ops = {
	.on_open = ws_on_open,
	.on_message = ws_on_message,
	.on_close = ws_on_close,
};

static int ws_dial(struct net_redial *r)
{
	struct od_ws *s = r->arg;
	struct od_venue *v = s->v;
	const struct od_url *u = s->ch == VO_CH_PRIV ? &v->vc->priv : &v->vc->wsapi;
	struct sockaddr_storage ss;
	socklen_t len;
	const char *extra = NULL;
	int e, n = 0;

	if (v->sticky)
		return -EPERM;
	if ((e = net_resolve(u->host, u->port, &ss, &len)))
		return e;
	if (v->vo->ws_headers)
		n = v->vo->ws_headers(&v->ctx, (enum vo_chan)s->ch, s->hdr, sizeof(s->hdr));
	if (n < 0)
		return n;
	if (n > 0)
		extra = s->hdr;
	return ws_conn_connect(v->d->loop, &s->w, u->host, u->port, (struct sockaddr *)&ss, len,
			       s->path, extra, v->vc->timeout_ns, &ws_ops, s);
}

/* ---- start, stop -------------------------------------------------------------------------- */

bool od_sessions_up(const struct od_venue *v)
{
	bool rest = false;

	if (v->paper)
		return true;
	for (uint32_t i = 0; i < v->nrest; i++)
		rest |= v->rest[i].up;
	if (!rest)
		return false;
	for (unsigned ch = VO_CH_WSAPI; ch < VO_CH_N; ch++) {
		const struct od_ws *s = &v->ws[ch];
		if (s->on && carries_reports(v, ch) && !(s->up && s->subscribed))
			return false;
	}
	return true;
}

static void venue_sessions_go(struct od_venue *v)
{
	for (uint32_t i = 0; i < v->nrest; i++)
		net_redial_start(&v->rest[i].rd);
	for (unsigned ch = VO_CH_WSAPI; ch < VO_CH_N; ch++)
		if (v->ws[ch].on)
			net_redial_start(&v->ws[ch].rd);
}

static void venue_sessions_halt(struct od_venue *v)
{
	for (uint32_t i = 0; i < v->nrest; i++) {
		net_redial_stop(&v->rest[i].rd);
		if (v->rest[i].up)
			http_client_close(&v->rest[i].hc);
	}
	for (unsigned ch = VO_CH_WSAPI; ch < VO_CH_N; ch++) {
		if (!v->ws[ch].on)
			continue;
		net_redial_stop(&v->ws[ch].rd);
		if (v->ws[ch].up)
			ws_conn_close(&v->ws[ch].w, WS_CLOSE_NORMAL);
	}
}

static int venue_sessions(struct orderd *d, struct od_venue *v, char *err, size_t errlen)
{
	const struct orderd_venue_conf *vc = v->vc;
	const struct venue_ord *vo = v->vo;
	struct net_tls_conf tc = { .role = NET_TLS_CLIENT, .ca_file = vc->ca_file[0] ? vc->ca_file
										  : NULL };
	struct net_backoff_conf bc = { .base_ns = vc->backoff_min_ns, .cap_ns = vc->backoff_max_ns,
				       .stable_ns = 10000000000ull };
	char host[160], terr[256] = "";
	int e;

	if (!vo->rest_tmpl || !vo->rest_build || !vo->rest_parse || !vo->key_init) {
		ERR("%s: libvenue has no order entry for this venue yet (builders missing)", vo->name);
		return -ENOSYS;
	}
	if ((e = net_tls_ctx_create(&tc, &v->tls, terr, sizeof(terr)))) {
		ERR("%s: TLS: %s", vo->name, terr);
		return e;
	}
	if (vc->rest.port == (vc->rest.tls ? 443 : 80))
		snprintf(host, sizeof(host), "%s", vc->rest.host);
	else
		snprintf(host, sizeof(host), "%s:%u", vc->rest.host, vc->rest.port);
	for (unsigned op = 1; op < VO_OP_N; op++) {
		if (!(vo->chans[op] & VO_CHBIT(VO_CH_REST)))
			continue;
		if ((e = vo->rest_tmpl(&v->ctx, (enum vo_op)op, host, &v->tmpl[op]))) {
			ERR("%s: request template of operation %u: %s", vo->name, op, strerror(-e));
			return e;
		}
		v->tmpl_ok[op] = true;
	}
	struct http_client_cfg hc = { .timeout_ns = vc->timeout_ns,
				      .pipeline = vc->rest_pipeline ? vc->rest_pipeline : 1 };
	size_t blen = http_client_buf_size(&hc);
	v->nrest = vc->rest_conns;
	for (uint32_t i = 0; i < v->nrest; i++) {
		struct od_rest *rc = &v->rest[i];
		rc->v = v;
		rc->idx = i;
		rc->buf = malloc(blen);
		if (!rc->buf)
			return -ENOMEM;
		if ((e = http_client_init(&rc->hc, vc->rest.tls ? v->tls : NULL, &hc, rc->buf, blen)) ||
		    (e = net_redial_init(&rc->rd, d->loop, &bc, (uint64_t)kimp_rdtsc() + i, rest_dial,
					 rc))) {
			ERR("%s: REST connection: %s", vo->name, strerror(-e));
			return e;
		}
	}
	for (unsigned ch = VO_CH_WSAPI; ch < VO_CH_N; ch++) {
		struct od_ws *s = &v->ws[ch];
		const struct od_url *u = ch == VO_CH_PRIV ? &vc->priv : &vc->wsapi;
		const char *p = vo->ws_path ? vo->ws_path((enum vo_chan)ch) : NULL;
		bool used = false;
		for (unsigned op = 1; op < VO_OP_N; op++)
			used |= (vo->chans[op] & VO_CHBIT(ch)) != 0;
		if (!u->host[0] || !used)
			continue;
		s->v = v;
		s->ch = (uint8_t)ch;
		s->on = true;
		s->inflight = 0;
		if (d->m) {
			char n[SHM_METRIC_NAME];
			snprintf(n, sizeof(n), "%s.%s_full", vo->name,
				 ch == VO_CH_PRIV ? "private" : "wsapi");
			s->c_full = shm_metrics_counter(d->m, n); /* NULL (full): not counted */
		}
		snprintf(s->path, sizeof(s->path), "%s", p ? p : u->path[0] ? u->path : "/");
		size_t wl = WS_CONN_BUF_SIZE(OD_WS_MSG_MAX);
		s->buf = malloc(wl);
		if (!s->buf)
			return -ENOMEM;
		if ((e = ws_conn_init(&s->w, WS_CLIENT, u->tls ? v->tls : NULL, s->buf, wl,
				      OD_WS_MSG_MAX)) ||
		    (e = net_redial_init(&s->rd, d->loop, &bc, (uint64_t)kimp_rdtsc() + 17 * ch,
					 ws_dial, s))) {
			ERR("%s: WebSocket: %s", vo->name, strerror(-e));
			return e;
		}
	}
	venue_sessions_go(v);
	return 0;
}

int od_sessions_start(struct orderd *d, char *err, size_t errlen)
{
	int e;

	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		if (!v)
			continue;
		if (v->paper) {
			if ((e = od_paper_start(v, err, errlen)))
				return e;
			continue;
		}
		if ((e = venue_sessions(d, v, err, errlen)))
			return e;
		fprintf(stderr, "orderd: %s: connecting (%u REST%s%s)\n", v->vo->name, v->nrest,
			v->ws[VO_CH_WSAPI].on ? ", ws-api" : "", v->ws[VO_CH_PRIV].on ? ", private" : "");
	}
	return 0;
}

void od_sessions_stop(struct orderd *d)
{
	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		if (!v || v->paper)
			continue;
		venue_sessions_halt(v);
	}
	/* let the closes go out (bounded) */
	uint64_t end = kimp_mono_ns() + 200000000ull;
	while (kimp_mono_ns() < end && net_loop_run(d->loop, 1000000) > 0)
		;
}

void od_venue_unready(struct od_venue *v, const char *why)
{
	if (v->sv->ready)
		fprintf(stderr, "orderd: %s: not ready: %s; reconciling when back\n", v->vo->name, why);
	v->sv->ready = 0;
	v->need_reconcile = true;
}

/* ---- idle ------------------------------------------------------------------------------ */

static void time_sync(struct od_venue *v, uint64_t now)
{
	uint8_t ch;
	uint64_t id;
	int fc;

	if (!v->vo->chans[VO_OP_TIME] || v->time_inflight || now < v->next_time_sync_ns)
		return;
	fc = vo_fast_chan(v->vo, VO_OP_TIME);
	if (fc < 0 || od_rate_take(v, VO_OP_TIME, (enum vo_chan)fc, vo_server_ms(&v->ctx)))
		return;
	if (od_send(v, VO_OP_TIME, NULL, 0, &ch, &id))
		return;
	v->time_inflight = true;
	v->next_time_sync_ns = now + v->vc->time_sync_ns;
}

static void keepalives(struct od_venue *v, uint64_t now)
{
	for (uint32_t i = 0; i < v->nrest; i++) {
		struct od_rest *rc = &v->rest[i];
		int bad = 0;
		if (!rc->up || http_client_inflight(&rc->hc) || now - rc->last_ns < v->vc->keepalive_ns ||
		    !v->tmpl_ok[VO_OP_KEEPALIVE])
			continue;
		/* no budget or no slot: the REST keepalives wait, never the
		 * WebSocket ones below (a venue drops a quiet socket: OKX 30 s) */
		if (od_rate_take(v, VO_OP_KEEPALIVE, VO_CH_REST, vo_server_ms(&v->ctx)))
			break;
		struct od_req *rq = req_new(v, 0, VO_OP_KEEPALIVE, VO_CH_REST);
		if (!rq) {
			od_rate_done(v, NULL, NULL);
			break;
		}
		if (!rest_send_on(v, rc, VO_OP_KEEPALIVE, NULL, rq, &bad)) {
			rq->id = 0;
			od_rate_done(v, NULL, NULL);
		} else {
			rq->took = v->rate_took;
			v->rate_took = false;
		}
		rc->last_ns = now;
	}
	for (unsigned ch = VO_CH_WSAPI; ch < VO_CH_N; ch++) {
		struct od_ws *s = &v->ws[ch];
		if (s->on && s->authing && now - s->opened_ns > v->vc->timeout_ns) {
			fprintf(stderr, "orderd: %s: no answer to the login on the %s: reconnecting\n",
				v->vo->name, ch == VO_CH_PRIV ? "private stream" : "ws-api");
			s->authing = false;
			ws_conn_close(&s->w, WS_CLOSE_NORMAL);
			continue;
		}
		if (!s->on || !s->up)
			continue;
		if (v->vo->ping_every_ns && now - s->last_ping_ns >= v->vo->ping_every_ns) {
			/* the venue's own keepalive message where it has one (Bybit
			 * {"op":"ping"}, OKX "ping"), else a WebSocket ping */
			int n = 0;
			if (v->vo->chans[VO_OP_KEEPALIVE] & VO_CHBIT(ch))
				n = v->vo->ws_build(&v->ctx, (enum vo_chan)ch, VO_OP_KEEPALIVE, NULL, 0,
						    v->wsbuf, sizeof(v->wsbuf));
			if (n > 0)
				ws_conn_send(&s->w, WS_OP_TEXT, v->wsbuf, (size_t)n);
			else
				ws_conn_ping(&s->w, NULL, 0);
			s->last_ping_ns = now;
		}
		/* a planned reconnect before the venue's own cut */
		if (v->vo->conn_life_ns && now - s->opened_ns + 600000000000ull > v->vo->conn_life_ns) {
			fprintf(stderr, "orderd: %s: planned reconnect (connection lifetime)\n",
				v->vo->name);
			s->opened_ns = now;
			ws_conn_close(&s->w, WS_CLOSE_NORMAL);
		}
	}
}

/* ws-api requests past their deadline: their outcome is unknown. */
static void deadlines(struct od_venue *v, uint64_t now)
{
	for (uint32_t i = 0; i < OD_REQS; i++) {
		struct od_req rq = v->reqs[i];
		if (!rq.id || rq.chan == VO_CH_REST || now < rq.deadline_ns)
			continue;
		v->reqs[i].id = 0;
		ws_req_done(v, &rq);
		if (rq.op == VO_OP_SUBSCRIBE) {
			fprintf(stderr, "orderd: %s: no answer to the subscription: reconnecting\n",
				v->vo->name);
			if (v->ws[rq.chan].up)
				ws_conn_close(&v->ws[rq.chan].w, WS_CLOSE_NORMAL);
			continue;
		}
		od_on_ambiguous(v, &rq, false);
	}
}

void od_sessions_idle(struct orderd *d, uint64_t now)
{
	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		if (!v)
			continue;
		if (v->paper) {
			od_paper_idle(v);
			od_work_run(v);
			continue;
		}
		if (v->sticky && !v->halted) {
			venue_sessions_halt(v);
			v->halted = true;
			continue;
		}
		if (!v->sticky && v->halted) {
			v->halted = false;
			venue_sessions_go(v);
		}
		if (v->sticky)
			continue;
		if (now >= v->next_keepalive_check_ns) {
			v->next_keepalive_check_ns = now + 1000000;
			time_sync(v, now);
			keepalives(v, now);
			deadlines(v, now);
		}
		od_work_run(v);
	}
}
