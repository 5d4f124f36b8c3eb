/* SPDX-License-Identifier: MIT */
/*
 * Binance spot order entry (kimp/venue_ord.h), to
 * shared/docs/venues/exchanges-global.md 1.3-1.7 and to what exsim's
 * Binance (sim/venue_binance.c) accepts and answers.
 *
 * Channels. The WebSocket API (wss://ws-api.binance.com/ws-api/v3) carries
 * orders, cancels, queries, server time and, through
 * userDataStream.subscribe.signature, the account's user data on the same
 * connection; REST carries the same operations plus the open-order list
 * and the keepalive ping.
 *
 * Signing (HMAC-SHA256, lower-case hex). REST: the query string as sent
 * (no body is used), then "&signature=<hex>", the key in X-MBX-APIKEY.
 * WS API: every params member but the signature, sorted by name, joined as
 * name=value with '&', raw values. ws_build writes the params already in
 * that order and signs them in the same pass: each member adds two iovecs
 * (the literal "&name=" and its value where it was just written in the
 * output), so the signed string is never assembled.
 *
 * Parsing: one pass over the message with jscan. The members an event
 * needs are kept as slices (struct vo_v) and converted once the object is
 * over, so key order never matters and no second pass is needed, except
 * over a FULL reply's fills[] (whose fee asset needs the symbol) which is
 * walked again from its slice.
 *
 *   ws-api reply   {"id","status","result":{..}|"error":{..},"rateLimits":[..]}
 *     result       order (ACK/RESULT/FULL, cancel, status)  VO_EV_ORDER
 *                  {"serverTime"}                           VO_EV_TIME
 *                  {"subscriptionId"}                       VO_EV_SUBSCRIBED
 *                  anything else ({} of ping, arrays)       VO_EV_CONTROL
 *     error        {"code","msg","data":{"serverTime","retryAfter"}} VO_EV_ERROR
 *   user data      {"subscriptionId","event":{"e":..}}, {"event":{..}}
 *                  (serverShutdown), and the older bare {"e":..} and
 *                  {"stream","data":{..}} forms
 *     executionReport                                      VO_EV_ORDER
 *     outboundAccountPosition, balanceUpdate, listStatus,
 *     externalLockUpdate                                   VO_EV_CONTROL
 *     eventStreamTerminated, serverShutdown                VO_EV_STREAM_END
 *   REST           the same result objects, {"code","msg"} errors, the
 *                  X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-10S / -1D and
 *                  Retry-After headers
 *
 * Amounts. Quantities and prices must be exact at the symbol's scales (a
 * finer one is a configuration error: VD_E_NUMBER). Cumulative quote
 * (px * qty sums) is rounded to the nearest unit of px_dec and fees are
 * rounded up at their asset's scale, since the venue writes both with 8
 * decimals whatever the symbol's scales are.
 */
#include <errno.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue_ord.h"
#include "jscan.h"
#include "vo_text.h"

#define BO_NS_PER_S         1000000000ull
#define BO_RECV_WINDOW_MAX  60000u          /* recvWindow at most 60000 ms [1.5] */
#define BO_IOV_MAX          32              /* two per signed WS API member */
#define BO_HEX_SIG          (2 * VENUE_SHA256_LEN)

/* ---- the venue's limits (1.7) -------------------------------------------------- */

enum bo_rule {
	BO_R_WEIGHT = 0,        /* REQUEST_WEIGHT 6000 / 1 min, IP */
	BO_R_ORDERS_10S,        /* ORDERS 100 / 10 s, account, unfilled */
	BO_R_ORDERS_1D,         /* ORDERS 200000 / 1 day, account, unfilled */
	BO_R_RAW,               /* RAW_REQUESTS 300000 / 5 min, IP */
	BO_NRULES
};

static const struct vo_rate_rule bo_rates[BO_NRULES] = {
	[BO_R_WEIGHT] = { .name = "REQUEST_WEIGHT", .scope = VO_RS_IP, .unfilled = false,
			  .limit = 6000, .window_ns = 60 * BO_NS_PER_S },
	[BO_R_ORDERS_10S] = { .name = "ORDERS 10s", .scope = VO_RS_ACCOUNT, .unfilled = true,
			      .limit = 100, .window_ns = 10 * BO_NS_PER_S },
	[BO_R_ORDERS_1D] = { .name = "ORDERS 1d", .scope = VO_RS_ACCOUNT, .unfilled = true,
			     .limit = 200000, .window_ns = 86400 * BO_NS_PER_S },
	[BO_R_RAW] = { .name = "RAW_REQUESTS", .scope = VO_RS_IP, .unfilled = false,
		       .limit = 300000, .window_ns = 300 * BO_NS_PER_S },
};

/*
 * REQUEST_WEIGHT of each operation, as exsim charges it (and the docs):
 * order.place 1 (given back on success since 2026-04-02: we keep the 1),
 * cancel 1, order status 4, openOrders without a symbol 80 (VO_OP_OPEN
 * lists every instrument; 6 is the price of one symbol), time and ping 1,
 * userDataStream.subscribe.signature 2.
 */
static const uint16_t bo_weight[VO_OP_N] = {
	[VO_OP_PLACE] = 1,
	[VO_OP_CANCEL] = 1,
	[VO_OP_QUERY] = 4,
	[VO_OP_OPEN] = 80,
	[VO_OP_TIME] = 1,
	[VO_OP_KEEPALIVE] = 1,
	[VO_OP_SUBSCRIBE] = 2,
};

static uint16_t bo_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	if (op <= VO_OP_NONE || op >= VO_OP_N || (ch != VO_CH_REST && ch != VO_CH_WSAPI))
		return 0;
	switch (rule) {
	case BO_R_WEIGHT:
		return bo_weight[op];
	case BO_R_ORDERS_10S:
	case BO_R_ORDERS_1D:
		return op == VO_OP_PLACE;
	case BO_R_RAW:
		return 1;
	default:
		return 0;
	}
}

/* Opening a WebSocket API connection costs 2 weight [1.4]. */
static uint16_t bo_connect_cost(enum vo_chan ch, unsigned rule)
{
	return ch == VO_CH_WSAPI && rule == BO_R_WEIGHT ? 2 : 0;
}

/* ---- keys ----------------------------------------------------------------------- */

/* The key goes into JSON strings and a header unescaped: printable, no quote or backslash. */
static bool bo_key_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return n > 0;
}

static kimp_cold int bo_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
{
	size_t n = api_key ? strlen(api_key) : 0;
	int err = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (n >= VO_API_KEY_MAX || !bo_key_text_ok(api_key, n) || !secret || !slen ||
	    (pass && *pass))
		goto fail;
	err = venue_hmac_key_init(&k->hmac, VENUE_SHA256, secret, slen);
	if (err)
		goto fail;
	memcpy(k->api_key, api_key, n);
	k->api_key_len = (uint32_t)n;
	return 0;
fail:
	explicit_bzero(k, sizeof(*k));
	return err;
}

static int bo_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	if (!c->keys || (!payload && n))
		return -EINVAL;
	return venue_hmac_key_sign(&c->keys->hmac, payload ? payload : "", n, VENUE_HEX, out,
				   cap);
}

/* ---- what an order says on this venue ------------------------------------------- */

struct bo_plan {
	const struct venue_sym *s;
	const char *side;
	const char *type;       /* LIMIT, LIMIT_MAKER, MARKET */
	const char *tif;        /* LIMIT only, else NULL */
	bool px;                /* send price */
	bool by_quote;          /* MARKET buy by quoteOrderQty */
	bool by_oid;            /* cancel/query by orderId */
};

static int bo_plan_common(const struct vo_ctx *c, const struct vo_order *o, struct bo_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	if (!o || !c->keys || !c->syms || o->sym >= c->syms->n ||
	    c->recv_window_ms > BO_RECV_WINDOW_MAX)
		return -EINVAL;
	pl->s = &c->syms->sym[o->sym];
	return 0;
}

/* PLACE: the type, time in force and amounts of o [1.3], or -EINVAL. */
static int bo_plan_place(const struct vo_ctx *c, const struct vo_order *o, struct bo_plan *pl)
{
	static const char *const tifs[] = { [KIMP_TIF_GTC] = "GTC", [KIMP_TIF_IOC] = "IOC",
					    [KIMP_TIF_FOK] = "FOK" };
	int err = bo_plan_common(c, o, pl);

	if (err)
		return err;
	if (!o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL))
		return -EINVAL;
	pl->side = o->side == KIMP_SIDE_BUY ? "BUY" : "SELL";
	switch (o->type) {
	case VO_LIMIT:
		if (o->tif == KIMP_TIF_POST_ONLY) {
			pl->type = "LIMIT_MAKER";
		} else if (o->tif < KIMP_ARRAY_SIZE(tifs)) {
			pl->type = "LIMIT";
			pl->tif = tifs[o->tif];
		} else {
			return -EINVAL;
		}
		pl->px = true;
		break;
	case VO_POST_ONLY:
		pl->type = "LIMIT_MAKER";       /* no timeInForce: -1106 [1.3] */
		pl->px = true;
		break;
	case VO_MARKET:
		pl->type = "MARKET";
		pl->by_quote = o->side == KIMP_SIDE_BUY && o->quote_qty > 0;
		if (!pl->by_quote && o->qty <= 0)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
	return o->px > 0 && o->qty > 0 ? 0 : -EINVAL;
}

/* CANCEL, QUERY: by orderId when the venue's id is known, else by our client id. */
static int bo_plan_target(const struct vo_ctx *c, const struct vo_order *o, struct bo_plan *pl)
{
	int err = bo_plan_common(c, o, pl);

	if (err)
		return err;
	if (o->oid && o->oid_len) {
		if (o->oid_len > 20 || !vo_digits(o->oid, o->oid_len))
			return -EINVAL;
		pl->by_oid = true;
		return 0;
	}
	return o->coid ? 0 : -EINVAL;
}

/* ---- WebSocket API requests (1.4, 1.5) -------------------------------------------- */

struct bo_w {
	char *p, *end;
	int err;                /* sticky: -ENOSPC, -EINVAL */
	unsigned niov;
	struct iovec iov[BO_IOV_MAX];
};

static inline void w_put(struct bo_w *w, const void *s, size_t n)
{
	if (kimp_unlikely(n > (size_t)(w->end - w->p))) {
		if (!w->err)
			w->err = -ENOSPC;
		w->p = w->end;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

#define W_LIT(w, s) w_put((w), (s), sizeof(s) - 1)

static inline void w_iov(struct bo_w *w, const void *p, size_t n)
{
	if (kimp_unlikely(w->niov >= BO_IOV_MAX)) {
		w->err = -EINVAL;
		return;
	}
	w->iov[w->niov].iov_base = (void *)(uintptr_t)p;
	w->iov[w->niov++].iov_len = n;
}

/* Room for n more bytes, or the sticky -ENOSPC. */
static inline bool w_room(struct bo_w *w, size_t n)
{
	if (kimp_unlikely(w->err || n > (size_t)(w->end - w->p))) {
		if (!w->err)
			w->err = -ENOSPC;
		return false;
	}
	return true;
}

/*
 * A params member named by amp ("&price="): "price": in the JSON (a comma
 * before all but the first) and "&price=" (first: "price=") to sign.
 */
static inline void w_key(struct bo_w *w, const char *amp, size_t n)
{
	bool first = !w->niov;

	if (first)
		W_LIT(w, "\"");
	else
		W_LIT(w, ",\"");
	w_put(w, amp + 1, n - 2);
	W_LIT(w, "\":");
	w_iov(w, amp + first, n - first);
}

#define W_KEY(w, lit) w_key((w), (lit), sizeof(lit) - 1)

static inline void w_vstr(struct bo_w *w, const char *s, size_t n)
{
	char *v;

	if (!w_room(w, n + 2))
		return;
	*w->p++ = '"';
	v = w->p;
	memcpy(v, s, n);
	w->p += n;
	*w->p++ = '"';
	w_iov(w, v, n);
}

static inline void w_vlit(struct bo_w *w, const char *s)
{
	w_vstr(w, s, strlen(s));
}

static inline void w_vfixed(struct bo_w *w, int64_t v, unsigned dec)
{
	char t[32];

	w_vstr(w, t, (size_t)vo_put_fixed(t, v, dec));
}

static inline void w_vu64(struct bo_w *w, uint64_t v)
{
	char t[24];
	int n = vo_put_u64(t, v);

	if (!w_room(w, (size_t)n))
		return;
	memcpy(w->p, t, (size_t)n);
	w_iov(w, w->p, (size_t)n);
	w->p += n;
}

/* {"id":<id>,"method":"<m>" then ,"params":{ when it has some. */
static void w_head(struct bo_w *w, uint64_t id, const char *method, bool params)
{
	char t[24];

	W_LIT(w, "{\"id\":");
	w_put(w, t, (size_t)vo_put_u64(t, id));
	W_LIT(w, ",\"method\":\"");
	w_put(w, method, strlen(method));
	if (params)
		W_LIT(w, "\",\"params\":{");
	else
		W_LIT(w, "\"}");
}

static void w_api_key(struct bo_w *w, const struct vo_ctx *c)
{
	W_KEY(w, "&apiKey=");
	w_vstr(w, c->keys->api_key, c->keys->api_key_len);
}

/* recvWindow (when set), ..., timestamp: the members every signed request has. */
static void w_recv_window(struct bo_w *w, const struct vo_ctx *c)
{
	if (c->recv_window_ms) {
		W_KEY(w, "&recvWindow=");
		w_vu64(w, c->recv_window_ms);
	}
}

static void w_timestamp(struct bo_w *w, const struct vo_ctx *c)
{
	int64_t ms = vo_server_ms(c);

	if (ms <= 0) {
		w->err = -EINVAL;
		return;
	}
	W_KEY(w, "&timestamp=");
	w_vu64(w, (uint64_t)ms);
}

/* ,"signature":"<hex>"}} over every member written. */
static void w_sign(struct bo_w *w, const struct vo_keys *k)
{
	int n;

	W_LIT(w, ",\"signature\":\"");
	if (!w_room(w, BO_HEX_SIG + 1))  /* the signer's NUL, overwritten below */
		return;
	n = venue_hmac_key_signv(&k->hmac, w->iov, w->niov, VENUE_HEX, w->p,
				 (size_t)(w->end - w->p));
	if (n != BO_HEX_SIG) {
		w->err = n == -ENOBUFS ? -ENOSPC : -EINVAL;
		return;
	}
	w->p += n;
	W_LIT(w, "\"}}");
}

static void w_place(struct bo_w *w, struct vo_ctx *c, const struct vo_order *o,
		    const struct bo_plan *pl)
{
	char cid[VO_CID_MAX];
	int n = vo_cid_format(c, o->coid, cid);

	w_api_key(w, c);
	W_KEY(w, "&newClientOrderId=");
	w_vstr(w, cid, (size_t)n);
	W_KEY(w, "&newOrderRespType=");
	w_vlit(w, "FULL");                       /* fills with their commissions */
	if (pl->px) {
		W_KEY(w, "&price=");
		w_vfixed(w, o->px, pl->s->px_dec);
	}
	if (pl->by_quote) {
		W_KEY(w, "&quoteOrderQty=");
		w_vfixed(w, o->quote_qty, pl->s->px_dec);
	} else {
		W_KEY(w, "&quantity=");
		w_vfixed(w, o->qty, pl->s->qty_dec);
	}
	w_recv_window(w, c);
	W_KEY(w, "&side=");
	w_vlit(w, pl->side);
	W_KEY(w, "&symbol=");
	w_vlit(w, pl->s->name);
	if (pl->tif) {
		W_KEY(w, "&timeInForce=");
		w_vlit(w, pl->tif);
	}
	w_timestamp(w, c);
	W_KEY(w, "&type=");
	w_vlit(w, pl->type);
}

static void w_target(struct bo_w *w, struct vo_ctx *c, const struct vo_order *o,
		     const struct bo_plan *pl)
{
	w_api_key(w, c);
	if (pl->by_oid) {
		W_KEY(w, "&orderId=");
		w_vstr(w, o->oid, o->oid_len);
	} else {
		char cid[VO_CID_MAX];
		int n = vo_cid_format(c, o->coid, cid);

		W_KEY(w, "&origClientOrderId=");
		w_vstr(w, cid, (size_t)n);
	}
	w_recv_window(w, c);
	W_KEY(w, "&symbol=");
	w_vlit(w, pl->s->name);
	w_timestamp(w, c);
}

static int bo_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	struct bo_w w = { .p = out, .end = out + cap };
	struct bo_plan pl;
	int err;

	if (ch != VO_CH_WSAPI || !out)
		return -EINVAL;
	switch (op) {
	case VO_OP_PLACE:
		err = bo_plan_place(c, o, &pl);
		if (err)
			return err;
		w_head(&w, req_id, "order.place", true);
		w_place(&w, c, o, &pl);
		break;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
		err = bo_plan_target(c, o, &pl);
		if (err)
			return err;
		w_head(&w, req_id, op == VO_OP_CANCEL ? "order.cancel" : "order.status", true);
		w_target(&w, c, o, &pl);
		break;
	case VO_OP_SUBSCRIBE:
		if (!c->keys)
			return -EINVAL;
		w_head(&w, req_id, "userDataStream.subscribe.signature", true);
		w_api_key(&w, c);
		w_timestamp(&w, c);
		break;
	case VO_OP_TIME:
		w_head(&w, req_id, "time", false);
		return w.err ? w.err : (int)(w.p - out);
	case VO_OP_KEEPALIVE:
		w_head(&w, req_id, "ping", false);
		return w.err ? w.err : (int)(w.p - out);
	default:
		return -EINVAL;
	}
	if (!w.err)
		w_sign(&w, c->keys);
	if (w.err)
		return w.err;
	if (w.p - out > INT32_MAX)
		return -ENOSPC;
	return (int)(w.p - out);
}

static const char *bo_ws_path(enum vo_chan ch)
{
	/* rateLimits come back by default: exactly what the rate buckets want */
	return ch == VO_CH_WSAPI ? "/ws-api/v3" : NULL;
}

static int bo_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	(void)c;
	(void)ch;
	(void)out;
	(void)cap;
	return 0;
}

/* ---- REST requests (1.3, 1.5) ------------------------------------------------------ */

static const struct {
	const char *method, *path;
	bool signed_;
} bo_routes[VO_OP_N] = {
	[VO_OP_PLACE] = { "POST", "/api/v3/order", true },
	[VO_OP_CANCEL] = { "DELETE", "/api/v3/order", true },
	[VO_OP_QUERY] = { "GET", "/api/v3/order", true },
	[VO_OP_OPEN] = { "GET", "/api/v3/openOrders", true },
	[VO_OP_TIME] = { "GET", "/api/v3/time", false },
	[VO_OP_KEEPALIVE] = { "GET", "/api/v3/ping", false },
};

static kimp_cold int bo_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
				  struct net_http_tmpl *t)
{
	int err;

	if (op <= VO_OP_NONE || op >= VO_OP_N || !bo_routes[op].method || !host)
		return -EINVAL;
	if (bo_routes[op].signed_ && !c->keys)
		return -EINVAL;
	err = net_http_tmpl_init(t, bo_routes[op].method, bo_routes[op].path, host);
	if (!err && bo_routes[op].signed_)
		err = net_http_tmpl_header(t, "X-MBX-APIKEY", c->keys->api_key);
	return err;
}

static void r_cid(struct net_http_req *r, const struct vo_ctx *c, const char *key,
		  uint64_t coid)
{
	char cid[VO_CID_MAX];
	int n = vo_cid_format(c, coid, cid);

	net_http_req_param(r, key);
	net_http_req_put(r, cid, (size_t)n);
}

static int bo_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	uint8_t mac[VENUE_SHA256_LEN];
	struct net_http_str q;
	struct bo_plan pl;
	int64_t ms;
	int err;

	switch (op) {
	case VO_OP_TIME:
	case VO_OP_KEEPALIVE:
		return r->err == -EINVAL ? -EINVAL : r->err ? -ENOSPC : 0;
	case VO_OP_PLACE:
		err = bo_plan_place(c, o, &pl);
		if (err)
			return err;
		net_http_req_param(r, "symbol");
		net_http_req_put_str(r, pl.s->name);
		net_http_req_param(r, "side");
		net_http_req_put_str(r, pl.side);
		net_http_req_param(r, "type");
		net_http_req_put_str(r, pl.type);
		if (pl.tif) {
			net_http_req_param(r, "timeInForce");
			net_http_req_put_str(r, pl.tif);
		}
		if (pl.by_quote) {
			net_http_req_param(r, "quoteOrderQty");
			net_http_req_put_fixed(r, o->quote_qty, pl.s->px_dec);
		} else {
			net_http_req_param(r, "quantity");
			net_http_req_put_fixed(r, o->qty, pl.s->qty_dec);
		}
		if (pl.px) {
			net_http_req_param(r, "price");
			net_http_req_put_fixed(r, o->px, pl.s->px_dec);
		}
		r_cid(r, c, "newClientOrderId", o->coid);
		net_http_req_param(r, "newOrderRespType");
		net_http_req_put_str(r, "FULL");
		break;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
		err = bo_plan_target(c, o, &pl);
		if (err)
			return err;
		net_http_req_param(r, "symbol");
		net_http_req_put_str(r, pl.s->name);
		if (pl.by_oid) {
			net_http_req_param(r, "orderId");
			net_http_req_put(r, o->oid, o->oid_len);
		} else {
			r_cid(r, c, "origClientOrderId", o->coid);
		}
		break;
	case VO_OP_OPEN:
		if (!c->keys || c->recv_window_ms > BO_RECV_WINDOW_MAX)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (c->recv_window_ms) {
		net_http_req_param(r, "recvWindow");
		net_http_req_put_u64(r, c->recv_window_ms);
	}
	ms = vo_server_ms(c);
	if (ms <= 0)
		return -EINVAL;
	net_http_req_param(r, "timestamp");
	net_http_req_put_u64(r, (uint64_t)ms);
	q = net_http_req_query(r);
	if (r->err)
		return r->err == -EINVAL ? -EINVAL : -ENOSPC;
	if (!q.p)
		return -EINVAL;
	if (venue_hmac_key_sign(&c->keys->hmac, q.p, q.len, VENUE_RAW, mac, sizeof(mac)) !=
	    VENUE_SHA256_LEN)
		return -EINVAL;
	net_http_req_param(r, "signature");
	net_http_req_put_hex(r, mac, sizeof(mac));
	if (r->err)
		return r->err == -EINVAL ? -EINVAL : -ENOSPC;
	return 0;
}

/* ---- JSON values kept for later ------------------------------------------------------ */

/* struct vo_v and bv_read/bv_fixed/bv_round/bv_u64/bv_ms_ns: vo_text.h. */

/* A venue order id (digits) into ev->oid. */
static int bv_oid(const struct vo_v *v, struct vo_event *ev)
{
	if (!bv_scalar(v))
		return -VD_E_SHAPE;
	if (!vo_digits(v->p, v->len) || v->len >= VO_OID_MAX)
		return -VD_E_NUMBER;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';
	return 0;
}

/* The symbol: its index, or VD_E_SYMBOL for an instrument not in the table. */
static int bv_sym(const struct vo_ctx *c, const struct vo_v *v, struct vo_event *ev)
{
	uint32_t i;

	if (v->t != BV_STR)
		return -VD_E_SHAPE;
	i = c->syms && !v->esc ? venue_symtab_find(c->syms, v->p, v->len) : VENUE_SYM_NONE;
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	ev->sym = i;
	return 0;
}

static int bv_side(const struct vo_v *v, struct vo_event *ev)
{
	if (BV_IS(v, "BUY"))
		ev->side = KIMP_SIDE_BUY;
	else if (BV_IS(v, "SELL"))
		ev->side = KIMP_SIDE_SELL;
	else
		return -VD_E_SHAPE;
	return 0;
}

/* Order status [BN:enums.md] as the engine's state. */
static int bv_state(const struct vo_v *v, struct vo_event *ev)
{
	if (BV_IS(v, "NEW") || BV_IS(v, "PENDING_NEW"))
		ev->state = KIMP_ORD_ACKED;
	else if (BV_IS(v, "PARTIALLY_FILLED"))
		ev->state = KIMP_ORD_PARTIAL;
	else if (BV_IS(v, "FILLED"))
		ev->state = KIMP_ORD_FILLED;
	else if (BV_IS(v, "CANCELED"))
		ev->state = KIMP_ORD_CANCELLED;
	else if (BV_IS(v, "PENDING_CANCEL"))
		ev->state = KIMP_ORD_CANCEL_PENDING;
	else if (BV_IS(v, "EXPIRED") || BV_IS(v, "EXPIRED_IN_MATCH"))
		ev->state = KIMP_ORD_EXPIRED;
	else if (BV_IS(v, "REJECTED"))
		ev->state = KIMP_ORD_REJECTED;
	else
		return -VD_E_SHAPE;
	return 0;
}

/* Our coid of a client id (0: not ours). */
static uint64_t bv_coid(const struct vo_ctx *c, const struct vo_v *v)
{
	return v->t == BV_STR && !v->esc ? vo_cid_parse(c, v->p, v->len) : 0;
}

/* 1 base, 0 quote, -1 another asset, of ev->sym. */
static int bo_fee_class(const struct vo_ctx *c, const struct vo_event *ev, const struct vo_v *a)
{
	const struct venue_sym *s = &c->syms->sym[ev->sym];
	size_t nb = strnlen(s->base, sizeof(s->base)), nq = strnlen(s->quote, sizeof(s->quote));

	if (a->t != BV_STR)
		return -1;
	if (a->len == nb && !memcmp(a->p, s->base, nb))
		return 1;
	if (a->len == nq && !memcmp(a->p, s->quote, nq))
		return 0;
	return -1;
}

/*
 * Fees are summed at the venue's 8 decimals (BO_FEE_DEC) and rounded up to
 * their asset's scale (base: qty_dec, quote: px_dec) once, so a FULL
 * reply's total is not inflated by rounding each fill.
 */
#define BO_FEE_DEC 8

static int bo_fee_scale(const struct vo_ctx *c, const struct vo_event *ev, int cls, int64_t v,
			int64_t *out)
{
	const struct venue_sym *s = &c->syms->sym[ev->sym];
	unsigned to = cls ? s->qty_dec : s->px_dec;

	if (to >= BO_FEE_DEC) {
		if (__builtin_mul_overflow(v, (int64_t)js_pow10[to - BO_FEE_DEC], out))
			return -VD_E_NUMBER;
	} else {
		int64_t d = (int64_t)js_pow10[BO_FEE_DEC - to];

		*out = v / d + (v % d > 0);
	}
	return 0;
}

/* Walk an object, handing each member to key(); unknown members are skipped. */
typedef int (*bo_key_fn)(const struct js_str *k);

static int bo_object_n(struct js *j, bo_key_fn key, struct vo_v *v, unsigned *other)
{
	struct js_str k;
	bool first = true, done = false;
	int err = js_expect(j, '{');

	while (!err) {
		err = js_key(j, &k, &first, &done);
		if (err || done)
			break;
		int i = k.escaped ? -1 : key(&k);

		if (i >= 0) {
			err = bv_read(j, &v[i]);
		} else {
			err = js_skip(j);
			++*other;
		}
	}
	return err;
}

static int bo_object(struct js *j, bo_key_fn key, struct vo_v *v)
{
	unsigned other = 0;

	return bo_object_n(j, key, v, &other);
}

/* ---- results: orders, time, subscriptions (1.3, 1.4) ---------------------------------- */

enum bo_rk {
	RK_SYMBOL, RK_ORDER_ID, RK_CID, RK_OCID, RK_TRANSACT, RK_UPDATE, RK_TIME,
	RK_PRICE, RK_ORIG_QTY, RK_EXEC_QTY, RK_CUM_QUOTE, RK_STATUS, RK_SIDE, RK_FILLS,
	RK_SERVER_TIME, RK_SUB_ID, RK_N
};

static const struct {
	const char *s;
	uint32_t n;
} bo_rkeys[RK_N] = {
#define K(i, s) [i] = { s, sizeof(s) - 1 }
	K(RK_SYMBOL, "symbol"), K(RK_ORDER_ID, "orderId"), K(RK_CID, "clientOrderId"),
	K(RK_OCID, "origClientOrderId"), K(RK_TRANSACT, "transactTime"),
	K(RK_UPDATE, "updateTime"), K(RK_TIME, "time"),
	K(RK_PRICE, "price"), K(RK_ORIG_QTY, "origQty"), K(RK_EXEC_QTY, "executedQty"),
	K(RK_CUM_QUOTE, "cummulativeQuoteQty"), K(RK_STATUS, "status"), K(RK_SIDE, "side"),
	K(RK_FILLS, "fills"), K(RK_SERVER_TIME, "serverTime"), K(RK_SUB_ID, "subscriptionId"),
#undef K
};

static int bo_rkey(const struct js_str *k)
{
	for (int i = 0; i < RK_N; i++)
		if (k->len == bo_rkeys[i].n && !memcmp(k->p, bo_rkeys[i].s, k->len))
			return i;
	return -1;
}

enum bo_fk { FK_PRICE, FK_QTY, FK_FEE, FK_FEE_ASSET, FK_TRADE_ID, FK_N };

static int bo_fkey(const struct js_str *k)
{
	if (JS_IS(k, "price"))
		return FK_PRICE;
	if (JS_IS(k, "qty"))
		return FK_QTY;
	if (JS_IS(k, "commission"))
		return FK_FEE;
	if (JS_IS(k, "commissionAsset"))
		return FK_FEE_ASSET;
	if (JS_IS(k, "tradeId"))
		return FK_TRADE_ID;
	return -1;
}

/*
 * FULL fills[] (a slice, walked again now that the symbol is known): the
 * fees summed into cum_fee (VO_F_CUM_FEE, VO_F_FEE_OTHER when any is in
 * another asset or the fills mix assets), the last fill's trade id, and
 * VO_F_LAST when there is exactly one fill.
 */
static int bo_fills(const struct vo_ctx *c, const struct vo_v *arr, struct vo_event *ev)
{
	struct js j;
	bool first = true, done = false;
	int cls = -2, n = 0, err;
	int64_t sum = 0;

	if (arr->t != BV_ARR)
		return -VD_E_SHAPE;
	js_init(&j, arr->p, arr->len);
	err = js_expect(&j, '[');
	while (!err) {
		struct vo_v f[FK_N] = { 0 };
		int64_t fee = 0, px, qty;
		uint64_t tid;
		int fc;

		err = js_elem(&j, &first, &done);
		if (err || done)
			break;
		err = bo_object(&j, bo_fkey, f);
		if (err)
			break;
		if ((err = bv_fixed(&f[FK_PRICE], c->syms->sym[ev->sym].px_dec, &px)) ||
		    (err = bv_fixed(&f[FK_QTY], c->syms->sym[ev->sym].qty_dec, &qty)) ||
		    (err = bv_u64(&f[FK_TRADE_ID], &tid)))
			break;
		if (!bv_scalar(&f[FK_FEE])) {
			err = -VD_E_SHAPE;
			break;
		}
		fc = bo_fee_class(c, ev, &f[FK_FEE_ASSET]);
		if (fc >= 0 && (err = bv_round(&f[FK_FEE], BO_FEE_DEC, true, &fee)))
			break;
		if (cls == -2)
			cls = fc;
		else if (cls != fc)
			cls = -1;               /* mixed: not one asset we count */
		if (__builtin_add_overflow(sum, fee, &sum)) {
			err = -VD_E_NUMBER;
			break;
		}
		ev->trade_id = tid;
		ev->last_px = px;
		ev->last_qty = qty;
		ev->last_fee = fee;
		n++;
	}
	if (err)
		return err;
	ev->flags |= VO_F_CUM_FEE;
	if (cls == -1) {
		ev->flags |= VO_F_FEE_OTHER;
		ev->cum_fee = 0;
		ev->last_fee = 0;
	} else {
		ev->fee_asset = cls == 1;
		if ((err = bo_fee_scale(c, ev, cls, sum, &ev->cum_fee)) ||
		    (err = bo_fee_scale(c, ev, cls, ev->last_fee, &ev->last_fee)))
			return err;
	}
	if (n == 1)
		ev->flags |= VO_F_LAST;
	else
		ev->last_px = ev->last_qty = ev->last_fee = 0;
	return 0;
}

/*
 * An order as a reply shows it: ACK, RESULT, FULL, a cancel (the order's
 * own id in origClientOrderId) or a query. ACK has no status: the order
 * is accepted (ACKED) with nothing more known.
 */
static int bo_order(const struct vo_ctx *c, const struct vo_v *v, struct vo_event *ev)
{
	const struct venue_sym *s;
	const struct vo_v *ts;
	int err;

	ev->kind = VO_EV_ORDER;
	if ((err = bv_sym(c, &v[RK_SYMBOL], ev)) || (err = bv_oid(&v[RK_ORDER_ID], ev)))
		return err;
	s = &c->syms->sym[ev->sym];
	if (v[RK_OCID].t != BV_NONE)
		ev->coid = bv_coid(c, &v[RK_OCID]);
	else if (v[RK_CID].t == BV_STR)
		ev->coid = bv_coid(c, &v[RK_CID]);
	else
		return -VD_E_SHAPE;
	ev->state = KIMP_ORD_ACKED;
	if (v[RK_STATUS].t != BV_NONE && (err = bv_state(&v[RK_STATUS], ev)))
		return err;
	if (v[RK_SIDE].t != BV_NONE && (err = bv_side(&v[RK_SIDE], ev)))
		return err;
	if ((v[RK_PRICE].t && (err = bv_fixed(&v[RK_PRICE], s->px_dec, &ev->px))) ||
	    (v[RK_ORIG_QTY].t && (err = bv_fixed(&v[RK_ORIG_QTY], s->qty_dec, &ev->qty))) ||
	    (v[RK_EXEC_QTY].t && (err = bv_fixed(&v[RK_EXEC_QTY], s->qty_dec, &ev->cum_qty))) ||
	    (v[RK_CUM_QUOTE].t &&
	     (err = bv_round(&v[RK_CUM_QUOTE], s->px_dec, false, &ev->cum_quote))))
		return err;
	/* workingTime is left out: -1 for an order not yet working */
	ts = v[RK_TRANSACT].t ? &v[RK_TRANSACT] : v[RK_UPDATE].t ? &v[RK_UPDATE]
		: v[RK_TIME].t ? &v[RK_TIME] : NULL;
	if (ts && (err = bv_ms_ns(ts, &ev->venue_ts_ns)))
		return err;
	if (v[RK_FILLS].t != BV_NONE)
		return bo_fills(c, &v[RK_FILLS], ev);
	return 0;
}

/* A result object (or a REST body): its kind decided by what it holds. */
static int bo_result(const struct vo_ctx *c, struct js *j, struct vo_event *ev)
{
	struct vo_v v[RK_N] = { 0 };
	unsigned other = 0, known = 0;
	uint64_t ms;
	int err = bo_object_n(j, bo_rkey, v, &other);

	if (err)
		return err;
	if (v[RK_ORDER_ID].t || v[RK_CID].t || v[RK_OCID].t)
		return bo_order(c, v, ev);
	for (int i = 0; i < RK_N; i++)
		known += v[i].t != BV_NONE;
	/* {"serverTime"} alone: session replies carry one too */
	if (v[RK_SERVER_TIME].t && known == 1 && !other) {
		if ((err = bv_u64(&v[RK_SERVER_TIME], &ms)))
			return err;
		if (ms > INT64_MAX)
			return -VD_E_NUMBER;
		ev->kind = VO_EV_TIME;
		ev->server_ms = (int64_t)ms;
		return 0;
	}
	if (v[RK_SUB_ID].t) {
		if ((err = bv_u64(&v[RK_SUB_ID], &ms)))
			return err;
		ev->kind = VO_EV_SUBSCRIBED;
		return 0;
	}
	ev->kind = VO_EV_CONTROL;       /* ping's {}, session replies */
	return 0;
}

/* ---- user data events (1.6) ---------------------------------------------------------- */

enum bo_ek {
	EK_e, EK_E, EK_s, EK_c, EK_S, EK_q, EK_p, EK_C, EK_x, EK_X, EK_i, EK_l, EK_z, EK_L,
	EK_n, EK_N, EK_T, EK_t, EK_m, EK_Z, EK_N_
};

/* Keys are case-sensitive single letters [1.6]. */
static int bo_ekey(const struct js_str *k)
{
	static const char letters[EK_N_] = {
		[EK_e] = 'e', [EK_E] = 'E', [EK_s] = 's', [EK_c] = 'c', [EK_S] = 'S',
		[EK_q] = 'q', [EK_p] = 'p', [EK_C] = 'C', [EK_x] = 'x', [EK_X] = 'X',
		[EK_i] = 'i', [EK_l] = 'l', [EK_z] = 'z', [EK_L] = 'L', [EK_n] = 'n',
		[EK_N] = 'N', [EK_T] = 'T', [EK_t] = 't', [EK_m] = 'm', [EK_Z] = 'Z',
	};

	if (k->len != 1)
		return -1;
	for (int i = 0; i < EK_N_; i++)
		if (letters[i] == k->p[0])
			return i;
	return -1;
}

/*
 * executionReport: the order's client id (C, the order's own, when the
 * execution is a cancel; c is then the cancel request's), state X,
 * cumulative z and Z, the fill l at L with fee n in N on a TRADE.
 */
static int bo_exec(const struct vo_ctx *c, const struct vo_v *v, struct vo_event *ev)
{
	const struct venue_sym *s;
	bool trade;
	int err, cls;

	ev->kind = VO_EV_ORDER;
	if ((err = bv_sym(c, &v[EK_s], ev)))
		return err;
	s = &c->syms->sym[ev->sym];
	if (v[EK_c].t != BV_STR || v[EK_x].t != BV_STR || v[EK_X].t != BV_STR ||
	    !v[EK_z].t || !v[EK_i].t)
		return -VD_E_SHAPE;
	if (BV_IS(&v[EK_x], "CANCELED") && v[EK_C].t == BV_STR && v[EK_C].len)
		ev->coid = bv_coid(c, &v[EK_C]);
	else
		ev->coid = bv_coid(c, &v[EK_c]);
	if ((err = bv_state(&v[EK_X], ev)) || (err = bv_oid(&v[EK_i], ev)) ||
	    (v[EK_S].t && (err = bv_side(&v[EK_S], ev))) ||
	    (v[EK_p].t && (err = bv_fixed(&v[EK_p], s->px_dec, &ev->px))) ||
	    (v[EK_q].t && (err = bv_fixed(&v[EK_q], s->qty_dec, &ev->qty))) ||
	    (err = bv_fixed(&v[EK_z], s->qty_dec, &ev->cum_qty)) ||
	    (v[EK_Z].t && (err = bv_round(&v[EK_Z], s->px_dec, false, &ev->cum_quote))))
		return err;
	if (v[EK_T].t)
		err = bv_ms_ns(&v[EK_T], &ev->venue_ts_ns);
	else if (v[EK_E].t)
		err = bv_ms_ns(&v[EK_E], &ev->venue_ts_ns);
	if (err)
		return err;
	cls = v[EK_N].t == BV_STR ? bo_fee_class(c, ev, &v[EK_N]) : 0;
	if (cls < 0)
		ev->flags |= VO_F_FEE_OTHER;
	else
		ev->fee_asset = (uint8_t)cls;
	if (v[EK_m].t == BV_TRUE)
		ev->flags |= VO_F_MAKER;
	else if (v[EK_m].t && v[EK_m].t != BV_FALSE)
		return -VD_E_SHAPE;
	trade = BV_IS(&v[EK_x], "TRADE");
	if (!trade)
		return 0;
	if (!v[EK_l].t || !v[EK_L].t)
		return -VD_E_SHAPE;
	if ((err = bv_fixed(&v[EK_l], s->qty_dec, &ev->last_qty)) ||
	    (err = bv_fixed(&v[EK_L], s->px_dec, &ev->last_px)))
		return err;
	if (cls >= 0 && v[EK_n].t &&
	    ((err = bv_round(&v[EK_n], BO_FEE_DEC, true, &ev->last_fee)) ||
	     (err = bo_fee_scale(c, ev, cls, ev->last_fee, &ev->last_fee))))
		return err;
	if (v[EK_t].t) {
		if (v[EK_t].t == BV_NUM && v[EK_t].len && v[EK_t].p[0] == '-')
			ev->trade_id = 0;       /* -1: not a trade */
		else if ((err = bv_u64(&v[EK_t], &ev->trade_id)))
			return err;
	}
	ev->flags |= VO_F_LAST;
	return 0;
}

/* One user-data event object: {"e":..,...}. */
static int bo_event(const struct vo_ctx *c, struct js *j, struct vo_event *ev)
{
	struct vo_v v[EK_N_] = { 0 };
	const struct vo_v *e = &v[EK_e];
	int err = bo_object(j, bo_ekey, v);

	if (err)
		return err;
	if (e->t != BV_STR)
		return -VD_E_SHAPE;
	if (BV_IS(e, "executionReport"))
		return bo_exec(c, v, ev);
	if (BV_IS(e, "outboundAccountPosition") || BV_IS(e, "balanceUpdate") ||
	    BV_IS(e, "listStatus") || BV_IS(e, "externalLockUpdate"))
		ev->kind = VO_EV_CONTROL;
	else if (BV_IS(e, "eventStreamTerminated") || BV_IS(e, "serverShutdown"))
		ev->kind = VO_EV_STREAM_END;
	else
		return -VD_E_TYPE;
	return v[EK_E].t ? bv_ms_ns(&v[EK_E], &ev->venue_ts_ns) : 0;
}

/* ---- errors (1.7) ----------------------------------------------------------------------- */

struct bo_err {
	struct vo_v code, msg, data;
};

static int bo_errkey(const struct js_str *k)
{
	return JS_IS(k, "code") ? 0 : JS_IS(k, "msg") ? 1 : JS_IS(k, "data") ? 2 : -1;
}

static int bo_datakey(const struct js_str *k)
{
	return JS_IS(k, "serverTime") ? 0 : JS_IS(k, "retryAfter") ? 1 : -1;
}

/*
 * {"code":-2010,"msg":"..."[,"data":{"serverTime","retryAfter"}]} into ev:
 * the code, the text, serverTime and retryAfter.
 */
static int bo_error(struct js *j, struct vo_event *ev)
{
	struct vo_v v[3] = { 0 }, d[2] = { 0 };
	struct js dj;
	uint64_t x;
	int64_t code;
	int err = bo_object(j, bo_errkey, v);

	if (err)
		return err;
	if (v[0].t != BV_NUM || v[1].t != BV_STR)
		return -VD_E_SHAPE;
	if ((err = js_fixed_str(v[0].p, v[0].len, 0, &code)))
		return err;
	if (code < INT32_MIN || code > INT32_MAX)
		return -VD_E_NUMBER;
	ev->kind = VO_EV_ERROR;
	ev->code = (int32_t)code;
	ev->msg = v[1].p;
	ev->msg_len = v[1].len;
	if (v[2].t == BV_NONE || v[2].t == BV_NULL)
		return 0;
	if (v[2].t != BV_OBJ)
		return -VD_E_SHAPE;
	js_init(&dj, v[2].p, v[2].len);
	if ((err = bo_object(&dj, bo_datakey, d)))
		return err;
	if (d[0].t) {
		if ((err = bv_u64(&d[0], &x)))
			return err;
		ev->server_ms = x > INT64_MAX ? INT64_MAX : (int64_t)x;
	}
	if (d[1].t && (err = bv_u64(&d[1], &ev->retry_at_ms)))
		return err;
	return 0;
}

/*
 * What an error means for the request [1.3, 1.7, errors.md]: the gateway's
 * and the API's refusals are definite (nothing happened), 5xx and the
 * timeouts are not; not-found and cancel refusals are their own outcomes.
 */
static void bo_outcome(struct vo_event *ev)
{
	unsigned st = ev->http_status;

	switch (ev->code) {
	case -1021:
		ev->flags |= VO_F_CLOCK;
		break;
	case -1002:
	case -1022:
	case -2014:
	case -2015:
		ev->flags |= VO_F_AUTH;
		break;
	default:
		break;
	}
	if (st == 418)
		ev->flags |= VO_F_BAN;
	else if (st == 429 || (ev->code == -1003 && st < 500))
		ev->flags |= VO_F_RATE;
	if (st >= 500 || ev->code == -1007 || ev->code == -1006)
		ev->outcome = VO_OUT_UNKNOWN;
	else if (ev->code == -2013 || ev->code == -2026)
		ev->outcome = VO_OUT_NOT_FOUND;
	else if (ev->code == -2011)
		ev->outcome = VO_OUT_CANCEL_REJECTED;
	else if (st >= 400)
		ev->outcome = VO_OUT_REJECTED;
	else
		ev->outcome = VO_OUT_UNKNOWN;   /* an error body without an error status */
}

/* ---- rate observations ------------------------------------------------------------------ */

static void bo_obs(struct vo_event *ev, unsigned rule, uint64_t value)
{
	struct vo_rate_obs *o = &ev->rate;

	if (o->n >= VO_RATE_OBS)
		return;
	o->v[o->n].rule = (uint8_t)rule;
	o->v[o->n].is_left = 0;
	o->v[o->n].value = value > UINT32_MAX ? UINT32_MAX : (uint32_t)value;
	o->n++;
}

enum { LK_TYPE, LK_INTERVAL, LK_NUM, LK_COUNT, LK_N };

static int bo_lkey(const struct js_str *k)
{
	if (JS_IS(k, "rateLimitType"))
		return LK_TYPE;
	if (JS_IS(k, "interval"))
		return LK_INTERVAL;
	if (JS_IS(k, "intervalNum"))
		return LK_NUM;
	if (JS_IS(k, "count"))
		return LK_COUNT;
	return -1;
}

/* "rateLimits":[{"rateLimitType","interval","intervalNum","limit","count"}] */
static int bo_rate_limits(struct js *j, struct vo_event *ev)
{
	bool first = true, done = false;
	int err = js_expect(j, '[');

	while (!err) {
		struct vo_v v[LK_N] = { 0 };
		uint64_t num, count;
		int rule = -1;

		err = js_elem(j, &first, &done);
		if (err || done)
			break;
		if ((err = bo_object(j, bo_lkey, v)))
			break;
		if ((err = bv_u64(&v[LK_NUM], &num)) || (err = bv_u64(&v[LK_COUNT], &count)))
			break;
		if (BV_IS(&v[LK_TYPE], "REQUEST_WEIGHT") && BV_IS(&v[LK_INTERVAL], "MINUTE") &&
		    num == 1)
			rule = BO_R_WEIGHT;
		else if (BV_IS(&v[LK_TYPE], "ORDERS") && BV_IS(&v[LK_INTERVAL], "SECOND") &&
			 num == 10)
			rule = BO_R_ORDERS_10S;
		else if (BV_IS(&v[LK_TYPE], "ORDERS") && BV_IS(&v[LK_INTERVAL], "DAY") && num == 1)
			rule = BO_R_ORDERS_1D;
		else if (BV_IS(&v[LK_TYPE], "RAW_REQUESTS") && BV_IS(&v[LK_INTERVAL], "MINUTE") &&
			 num == 5)
			rule = BO_R_RAW;
		if (rule >= 0)
			bo_obs(ev, (unsigned)rule, count);
	}
	return err;
}

/* X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S, X-MBX-ORDER-COUNT-1D [1.7] */
static void bo_hdr_obs(const struct net_http_parser *msg, struct vo_event *ev)
{
	static const struct {
		const char *name;
		unsigned rule;
	} h[] = {
		{ "X-MBX-USED-WEIGHT-1M", BO_R_WEIGHT },
		{ "X-MBX-ORDER-COUNT-10S", BO_R_ORDERS_10S },
		{ "X-MBX-ORDER-COUNT-1D", BO_R_ORDERS_1D },
	};
	uint64_t v;

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(h); i++)
		if (!net_http_header_u64(msg, h[i].name, &v))
			bo_obs(ev, h[i].rule, v);
}

/* ---- WebSocket API messages ---------------------------------------------------------------- */

/* "id": an integer we sent, else (a string, null) 0. */
static int bo_req_id(struct js *j, struct vo_event *ev)
{
	struct vo_v v = { 0 };
	int err = bv_read(j, &v);

	if (err)
		return err;
	if (v.t == BV_NULL || (v.t == BV_STR && !vo_digits(v.p, v.len)))
		return 0;
	if (v.t == BV_NUM && v.len && v.p[0] == '-')
		return 0;
	return bv_u64(&v, &ev->req_id) == -VD_E_SHAPE ? -VD_E_SHAPE : 0;
}

static int bo_ws_msg(const struct vo_ctx *c, struct js *j, struct vo_event *ev)
{
	struct js top = *j, peek;
	struct js_str k;
	bool first = true, done = false, request = false;
	unsigned nres = 0, nerr = 0, nev = 0;
	uint64_t st;
	int err = js_expect(j, '{');

	if (err)
		return js_peek(j) == '[' ? -VD_E_TYPE : err;
	/* the bare event form, {"e":"executionReport",...}: single-letter keys */
	peek = *j;
	if (js_peek(&peek) == '"' && !js_string(&peek, &k) && k.len == 1) {
		*j = top;
		return bo_event(c, j, ev);
	}
	while (!err) {
		err = js_key(j, &k, &first, &done);
		if (err || done)
			break;
		if (JS_IS(&k, "id")) {
			err = bo_req_id(j, ev);
		} else if (JS_IS(&k, "status")) {
			struct vo_v v = { 0 };

			err = bv_read(j, &v);
			if (!err && v.t != BV_NUM)
				err = -VD_E_SHAPE;
			if (!err)
				err = bv_u64(&v, &st);
			if (!err && st > 999)
				err = -VD_E_NUMBER;
			if (!err)
				ev->http_status = (uint16_t)st;
		} else if (JS_IS(&k, "result")) {
			nres++;
			if (js_peek(j) == '{') {
				err = bo_result(c, j, ev);
			} else {
				err = js_skip(j);       /* a list: nothing we ask for */
				ev->kind = VO_EV_CONTROL;
			}
		} else if (JS_IS(&k, "error")) {
			nerr++;
			err = bo_error(j, ev);
		} else if (JS_IS(&k, "event") || JS_IS(&k, "data")) {
			nev++;
			err = bo_event(c, j, ev);
		} else if (JS_IS(&k, "rateLimits")) {
			err = bo_rate_limits(j, ev);
		} else {
			request |= JS_IS(&k, "method") || JS_IS(&k, "params");
			err = js_skip(j);
		}
	}
	if (err)
		return err;
	if (request)
		return -VD_E_TYPE;      /* a request, not something the venue sends */
	if (nres + nerr + nev != 1)
		return -VD_E_SHAPE;
	if (nerr)
		bo_outcome(ev);
	return 0;
}

static int bo_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	struct js j;
	int err;

	vo_event_reset(ev);
	if (ch != VO_CH_WSAPI)
		return -VD_E_TYPE;
	if (!p)
		return -VD_E_SYNTAX;
	js_init(&j, p, len);
	err = bo_ws_msg(c, &j, ev);
	if (!err)
		err = js_end(&j);
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/* ---- REST replies ------------------------------------------------------------------------- */

static int bo_rest_ok(const struct vo_ctx *c, enum vo_op op, const uint8_t *body, size_t len,
		      struct vo_event *ev)
{
	static const uint8_t want[VO_OP_N] = {
		[VO_OP_PLACE] = VO_EV_ORDER, [VO_OP_CANCEL] = VO_EV_ORDER,
		[VO_OP_QUERY] = VO_EV_ORDER, [VO_OP_TIME] = VO_EV_TIME,
		[VO_OP_KEEPALIVE] = VO_EV_CONTROL,
	};
	struct js j;
	int err;

	if (op <= VO_OP_NONE || op >= VO_OP_N || !want[op])
		return -VD_E_TYPE;      /* OPEN: rest_parse_list */
	if (!body)
		return -VD_E_SYNTAX;
	js_init(&j, body, len);
	err = bo_result(c, &j, ev);
	if (!err)
		err = js_end(&j);
	if (!err && ev->kind != want[op])
		err = -VD_E_SHAPE;
	return err;
}

/*
 * An error reply: {"code","msg"}. A 5xx, 418 or 429 means what it means
 * whatever its body is (a proxy's HTML page): that body still gives an
 * error event, with code 0.
 */
static int bo_rest_err(struct vo_ctx *c, const struct net_http_parser *msg,
		       const uint8_t *body, size_t len, struct vo_event *ev)
{
	uint16_t st = ev->http_status;
	struct js j;
	uint64_t s;
	int err = -VD_E_SYNTAX;

	if (body) {
		js_init(&j, body, len);
		err = bo_error(&j, ev);
		if (!err)
			err = js_end(&j);
	}
	if (err) {
		if (st < 500 && st != 418 && st != 429)
			return err;
		ev->code = 0;
		ev->msg = NULL;
		ev->msg_len = 0;
	}
	ev->kind = VO_EV_ERROR;
	bo_outcome(ev);
	if ((st == 429 || st == 418) && msg && !net_http_header_u64(msg, "Retry-After", &s) &&
	    s < UINT32_MAX) {
		int64_t now = vo_server_ms(c);

		ev->retry_at_ms = (uint64_t)(now > 0 ? now : 0) + s * 1000;
	}
	return 0;
}

static int bo_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg,
			 const uint8_t *body, size_t len, struct vo_event *ev)
{
	int err;

	vo_event_reset(ev);
	ev->http_status = status;
	if (o) {
		ev->coid = o->coid;
		ev->side = o->side;
		if (c->syms && o->sym < c->syms->n)
			ev->sym = o->sym;
	}
	if (msg)
		bo_hdr_obs(msg, ev);
	if (status >= 200 && status < 300)
		err = bo_rest_ok(c, op, body, len, ev);
	else
		err = bo_rest_err(c, msg, body, len, ev);
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/*
 * GET /api/v3/openOrders: an array of order objects. The whole list is
 * checked before the first call to each; orders of instruments not in the
 * table are left out (someone else's trading). An error status is not a
 * list: -VD_E_TYPE (rest_parse gives its error event).
 */
static int bo_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body,
			      size_t len, void (*each)(void *arg, const struct vo_event *ev),
			      void *arg)
{
	int count = 0;

	if (status < 200 || status >= 300)
		return -VD_E_TYPE;
	if (!body)
		return -VD_E_SYNTAX;
	for (int pass = 0; pass < 2; pass++) {
		struct js j;
		bool first = true, done = false;
		int err;

		js_init(&j, body, len);
		count = 0;
		err = js_expect(&j, '[');
		while (!err) {
			struct vo_event ev;

			err = js_elem(&j, &first, &done);
			if (err || done)
				break;
			vo_event_reset(&ev);
			ev.http_status = status;
			if (msg)
				bo_hdr_obs(msg, &ev);
			err = bo_result(c, &j, &ev);
			if (err == -VD_E_SYMBOL) {
				err = 0;
				continue;
			}
			if (!err && ev.kind != VO_EV_ORDER)
				err = -VD_E_SHAPE;
			if (err)
				break;
			if (pass && each)
				each(arg, &ev);
			if (count == INT32_MAX)
				err = -VD_E_DEPTH;
			count++;
		}
		if (!err)
			err = js_end(&j);
		if (err)
			return err;
	}
	return count;
}

/* ---- names ------------------------------------------------------------------------------ */

static const char *bo_err_name(int32_t code)
{
	static const struct {
		int32_t code;
		const char *name;
	} names[] = {
		{ -1000, "UNKNOWN" }, { -1001, "DISCONNECTED" }, { -1002, "UNAUTHORIZED" },
		{ -1003, "TOO_MANY_REQUESTS" }, { -1006, "UNEXPECTED_RESP" },
		{ -1007, "TIMEOUT" }, { -1008, "SERVER_BUSY" }, { -1013, "INVALID_MESSAGE" },
		{ -1014, "UNKNOWN_ORDER_COMPOSITION" }, { -1015, "TOO_MANY_ORDERS" },
		{ -1016, "SERVICE_SHUTTING_DOWN" }, { -1020, "UNSUPPORTED_OPERATION" },
		{ -1021, "INVALID_TIMESTAMP" }, { -1022, "INVALID_SIGNATURE" },
		{ -1100, "ILLEGAL_CHARS" }, { -1101, "TOO_MANY_PARAMETERS" },
		{ -1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED" }, { -1103, "UNKNOWN_PARAM" },
		{ -1104, "UNREAD_PARAMETERS" }, { -1105, "PARAM_EMPTY" },
		{ -1106, "PARAM_NOT_REQUIRED" }, { -1111, "BAD_PRECISION" },
		{ -1115, "INVALID_TIF" }, { -1116, "INVALID_ORDER_TYPE" },
		{ -1117, "INVALID_SIDE" }, { -1121, "BAD_SYMBOL" },
		{ -2010, "NEW_ORDER_REJECTED" }, { -2011, "CANCEL_REJECTED" },
		{ -2013, "NO_SUCH_ORDER" }, { -2014, "BAD_API_KEY_FMT" },
		{ -2015, "REJECTED_MBX_KEY" },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

/* ---- the table ------------------------------------------------------------------------------ */

#define BO_WS_REST (VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_REST))

const struct venue_ord venue_ord_binance = {
	.venue = KIMP_VENUE_BINANCE,
	.name = "binance",
	.rest_url = "https://api.binance.com",
	.wsapi_url = "wss://ws-api.binance.com:443/ws-api/v3",
	.priv_url = NULL,
	.chans = {
		[VO_OP_PLACE] = BO_WS_REST,
		[VO_OP_CANCEL] = BO_WS_REST,
		[VO_OP_QUERY] = BO_WS_REST,
		[VO_OP_OPEN] = VO_CHBIT(VO_CH_REST),
		[VO_OP_TIME] = BO_WS_REST,
		[VO_OP_KEEPALIVE] = VO_CHBIT(VO_CH_REST),
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_WSAPI),
	},
	.user_data_on_wsapi = true,
	.cancel_async = false,
	.market_buy_by_quote = false,
	.hash_sha = VENUE_SHA256,
	/* the venue pings every 20 s and wants a pong within a minute (libnet
	 * answers); pinging at the same pace finds a dead link from our side */
	.ping_every_ns = 20 * BO_NS_PER_S,
	.conn_life_ns = 24 * 3600 * BO_NS_PER_S,
	.rates = bo_rates,
	.nrates = BO_NRULES,
	.cost = bo_cost,
	.connect_cost = bo_connect_cost,
	.key_init = bo_key_init,
	.rest_tmpl = bo_rest_tmpl,
	.rest_build = bo_rest_build,
	.rest_parse = bo_rest_parse,
	.rest_parse_list = bo_rest_parse_list,
	.ws_build = bo_ws_build,
	.ws_path = bo_ws_path,
	.ws_headers = bo_ws_headers,
	.ws_parse = bo_ws_parse,
	.sign_payload = bo_sign_payload,
	.err_name = bo_err_name,
};

_Static_assert(BO_NRULES <= VO_RATE_RULES, "Binance rate rules fit the engine's");
