/* SPDX-License-Identifier: MIT */
/*
 * Bybit v5 spot order entry (kimp/venue_ord.h), to
 * shared/docs/venues/exchanges-global.md 2.3-2.6 and 4.
 *
 * Channels.
 *   WSAPI  wss://stream.bybit.com/v5/trade: "auth" after the open
 *          (VO_OP_LOGIN), then order.create / order.cancel, each with its
 *          X-BAPI-TIMESTAMP and X-BAPI-RECV-WINDOW in "header" and no
 *          signature of its own. The fast path of PLACE and CANCEL. Its
 *          replies only say the request was accepted: fills and final
 *          states come on the private stream.
 *   PRIV   wss://stream.bybit.com/v5/private: "auth", then subscribe
 *          order.spot and execution.spot.
 *   REST   https://api.bybit.com: POST /v5/order/create, /v5/order/cancel
 *          (JSON bodies), GET /v5/order/realtime (query by orderLinkId or
 *          orderId; open orders), GET /v5/market/time (time, keepalive).
 *
 * Signing (HMAC-SHA256, lower-case hex) [2.4]. REST: timestamp + apiKey +
 * recvWindow + (the query string of a GET | the exact JSON body of a POST)
 * in X-BAPI-SIGN, with X-BAPI-API-KEY, X-BAPI-TIMESTAMP and
 * X-BAPI-RECV-WINDOW (ctx recv_window_ms, 5000 when 0). WS auth:
 * ["<apiKey>", expires, hex HMAC of "GET/realtime" + expires], expires the
 * venue's clock plus the receive window.
 *
 * Orders. Side Buy/Sell, orderType Limit/Market, timeInForce GTC, IOC, FOK,
 * PostOnly (VO_POST_ONLY, or VO_LIMIT with KIMP_TIF_POST_ONLY). A market
 * buy goes by quote (marketUnit quoteCoin, qty = quote_qty at px_dec) when
 * quote_qty is given, else by base (marketUnit baseCoin); a market sell by
 * base. orderLinkId is the prefix and the decimal coid (<= 36 of
 * [A-Za-z0-9-_]: 12 + 20 at most).
 *
 * Events.
 *   REST and trade-WS replies {"retCode","retMsg","result"|"data",...}:
 *     create accepted          VO_EV_ORDER ACKED (orderId, orderLinkId)
 *     cancel accepted          VO_EV_CONTROL (cancel_async: the stream says)
 *     realtime list            VO_EV_ORDER of its first order; empty:
 *                              VO_EV_ERROR VO_OUT_NOT_FOUND (code 110001)
 *     time                     VO_EV_TIME (timeNano, else "time")
 *     retCode != 0             VO_EV_ERROR, outcome by code (by_outcome)
 *   auth replies (both forms)  VO_EV_LOGIN, or VO_EV_ERROR with VO_F_AUTH
 *   subscribe replies          VO_EV_SUBSCRIBED (or VO_EV_ERROR)
 *   pong (every form)          VO_EV_CONTROL
 *   order.spot / order         VO_EV_ORDER: orderStatus, cumExecQty,
 *                              cumExecValue, cumFeeDetail (VO_F_CUM_FEE)
 *   execution.spot / execution VO_EV_CONTROL: every fill is also in the
 *                              order push's cumulative fields, which are
 *                              exact; an execution push alone cannot give
 *                              the cumulative quantity of a market buy
 *   A push holds data[]: its first order of ours is the event (one at a
 *   time is what struct vo_event carries; see the notes).
 *
 * Rate observations: X-Bapi-Limit-Status (what is left) of the rule of the
 * operation, from REST headers and from the trade WS "header" object.
 */
#include <errno.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue_ord.h"
#include "jscan.h"
#include "vo_text.h"

#define BO_NS_PER_S        1000000000ull
#define BO_RECV_DEFAULT    5000u
#define BO_RECV_MAX        60000u
#define BO_HEX_SIG         (2 * VENUE_SHA256_LEN)
#define BO_IP_BAN_MS       600000ull       /* HTTP 403: wait >= 10 min [2.6] */

/* ---- limits (2.6) ------------------------------------------------------------- */

enum by_rule {
	BR_IP = 0,              /* 600 requests / 5 s per IP (HTTP) */
	BR_CREATE,              /* order/create 20/s per UID (HTTP and WS share it) */
	BR_CANCEL,              /* order/cancel 20/s per UID */
	BR_QUERY,               /* order/realtime 50/s per UID */
	BR_N
};

static const struct vo_rate_rule by_rates[BR_N] = {
	[BR_IP] = { .name = "ip", .scope = VO_RS_IP, .limit = 600, .window_ns = 5 * BO_NS_PER_S },
	[BR_CREATE] = { .name = "order/create", .scope = VO_RS_ACCOUNT, .limit = 20,
			.window_ns = BO_NS_PER_S },
	[BR_CANCEL] = { .name = "order/cancel", .scope = VO_RS_ACCOUNT, .limit = 20,
			.window_ns = BO_NS_PER_S },
	[BR_QUERY] = { .name = "order/realtime", .scope = VO_RS_ACCOUNT, .limit = 50,
		       .window_ns = BO_NS_PER_S },
};

/* The per-UID rule of op, or -1. */
static int by_op_rule(enum vo_op op)
{
	switch (op) {
	case VO_OP_PLACE:
		return BR_CREATE;
	case VO_OP_CANCEL:
		return BR_CANCEL;
	case VO_OP_QUERY:
	case VO_OP_OPEN:
		return BR_QUERY;
	default:
		return -1;
	}
}

static uint16_t by_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	if (op <= VO_OP_NONE || op >= VO_OP_N)
		return 0;
	if (rule == BR_IP)
		return ch == VO_CH_REST;
	if (ch == VO_CH_PRIV)
		return 0;
	return by_op_rule(op) == (int)rule;
}

static uint16_t by_connect_cost(enum vo_chan ch, unsigned rule)
{
	(void)ch;
	(void)rule;
	return 0;
}

/* ---- keys ---------------------------------------------------------------------- */

static bool by_key_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return n > 0;
}

static kimp_cold int by_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
{
	size_t n = api_key ? strlen(api_key) : 0;
	int err = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (n >= VO_API_KEY_MAX || !by_key_text_ok(api_key, n) || !secret || !slen ||
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

/* kimpctl sign: the hex HMAC-SHA256 of the payload (the string to sign, whole). */
static int by_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	if (!c || !c->keys || (!payload && n) || !out)
		return -EINVAL;
	return venue_hmac_key_sign(&c->keys->hmac, payload ? payload : "", n, VENUE_HEX, out, cap);
}

/* ---- what an order says on this venue --------------------------------------------- */

struct by_plan {
	const struct venue_sym *s;
	const char *side, *type, *tif, *unit;
	bool px;
	bool by_quote;
	bool by_oid;
};

static int by_plan_common(const struct vo_ctx *c, const struct vo_order *o, struct by_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	if (!c || !o || !c->keys || !c->syms || o->sym >= c->syms->n ||
	    c->recv_window_ms > BO_RECV_MAX)
		return -EINVAL;
	pl->s = &c->syms->sym[o->sym];
	return 0;
}

static int by_plan_place(const struct vo_ctx *c, const struct vo_order *o, struct by_plan *pl)
{
	static const char *const tifs[] = { [KIMP_TIF_GTC] = "GTC", [KIMP_TIF_IOC] = "IOC",
					    [KIMP_TIF_FOK] = "FOK" };
	int err = by_plan_common(c, o, pl);

	if (err)
		return err;
	if (!o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL))
		return -EINVAL;
	pl->side = o->side == KIMP_SIDE_BUY ? "Buy" : "Sell";
	switch (o->type) {
	case VO_LIMIT:
		if (o->tif == KIMP_TIF_POST_ONLY)
			pl->tif = "PostOnly";
		else if (o->tif < KIMP_ARRAY_SIZE(tifs) && tifs[o->tif])
			pl->tif = tifs[o->tif];
		else
			return -EINVAL;
		break;
	case VO_POST_ONLY:
		pl->tif = "PostOnly";
		break;
	case VO_MARKET:
		pl->type = "Market";
		pl->by_quote = o->side == KIMP_SIDE_BUY && o->quote_qty > 0;
		pl->unit = pl->by_quote ? "quoteCoin" : "baseCoin";
		return pl->by_quote || o->qty > 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
	pl->type = "Limit";
	pl->px = true;
	return o->px > 0 && o->qty > 0 ? 0 : -EINVAL;
}

/* CANCEL, QUERY: by orderId when the venue's id is known, else by orderLinkId. */
static int by_plan_target(const struct vo_ctx *c, const struct vo_order *o, struct by_plan *pl)
{
	int err = by_plan_common(c, o, pl);

	if (err)
		return err;
	if (o->oid && o->oid_len) {
		if (o->oid_len >= VO_OID_MAX || !by_key_text_ok(o->oid, o->oid_len))
			return -EINVAL;
		pl->by_oid = true;
		return 0;
	}
	return o->coid ? 0 : -EINVAL;
}

/* ---- writing ------------------------------------------------------------------------ */

/* struct vo_w and vw_put/VW_LIT/vw_str/vw_u64/vw_fixed: vo_text.h. */

static void w_cid(struct vo_w *w, const struct vo_ctx *c, uint64_t coid)
{
	char cid[VO_CID_MAX];

	vw_put(w, cid, (size_t)vo_cid_format(c, coid, cid));
}

/* The create body (REST body, WS args[0]): JSON, keys in this order. */
static void w_create(struct vo_w *w, const struct vo_ctx *c, const struct vo_order *o,
		     const struct by_plan *pl)
{
	VW_LIT(w, "{\"category\":\"spot\",\"symbol\":\"");
	vw_str(w, pl->s->name);
	VW_LIT(w, "\",\"side\":\"");
	vw_str(w, pl->side);
	VW_LIT(w, "\",\"orderType\":\"");
	vw_str(w, pl->type);
	VW_LIT(w, "\",\"qty\":\"");
	if (pl->by_quote)
		vw_fixed(w, o->quote_qty, pl->s->px_dec);
	else
		vw_fixed(w, o->qty, pl->s->qty_dec);
	if (pl->unit) {
		VW_LIT(w, "\",\"marketUnit\":\"");
		vw_str(w, pl->unit);
	}
	if (pl->px) {
		VW_LIT(w, "\",\"price\":\"");
		vw_fixed(w, o->px, pl->s->px_dec);
	}
	if (pl->tif) {
		VW_LIT(w, "\",\"timeInForce\":\"");
		vw_str(w, pl->tif);
	}
	VW_LIT(w, "\",\"orderLinkId\":\"");
	w_cid(w, c, o->coid);
	VW_LIT(w, "\"}");
}

/* The cancel body: {"category":"spot","symbol":..,"orderId"|"orderLinkId":..}. */
static void w_cancel(struct vo_w *w, const struct vo_ctx *c, const struct vo_order *o,
		     const struct by_plan *pl)
{
	VW_LIT(w, "{\"category\":\"spot\",\"symbol\":\"");
	vw_str(w, pl->s->name);
	if (pl->by_oid) {
		VW_LIT(w, "\",\"orderId\":\"");
		vw_put(w, o->oid, o->oid_len);
	} else {
		VW_LIT(w, "\",\"orderLinkId\":\"");
		w_cid(w, c, o->coid);
	}
	VW_LIT(w, "\"}");
}

static uint32_t by_recv(const struct vo_ctx *c)
{
	return c->recv_window_ms ? c->recv_window_ms : BO_RECV_DEFAULT;
}

/* ---- WebSocket requests (2.3, 2.4, 2.5) ------------------------------------------------ */

/* {"req_id"|"reqId":"<id>", */
static void w_id(struct vo_w *w, const char *key, uint64_t id)
{
	VW_LIT(w, "{\"");
	vw_str(w, key);
	VW_LIT(w, "\":\"");
	vw_u64(w, id);
	VW_LIT(w, "\",");
}

/* "op":"auth","args":["<key>",<expires>,"<hex of GET/realtime<expires>>"]} */
static void w_auth(struct vo_w *w, const struct vo_ctx *c)
{
	int64_t now = vo_server_ms(c);
	char exp[24], sig[BO_HEX_SIG + 1];
	struct iovec iov[2];
	int n, en;

	if (now <= 0) {
		w->err = -EINVAL;
		return;
	}
	en = vo_put_u64(exp, (uint64_t)now + by_recv(c));
	iov[0].iov_base = (void *)(uintptr_t)"GET/realtime";
	iov[0].iov_len = 12;
	iov[1].iov_base = exp;
	iov[1].iov_len = (size_t)en;
	n = venue_hmac_key_signv(&c->keys->hmac, iov, 2, VENUE_HEX, sig, sizeof(sig));
	if (n != BO_HEX_SIG) {
		w->err = -EINVAL;
		return;
	}
	VW_LIT(w, "\"op\":\"auth\",\"args\":[\"");
	vw_put(w, c->keys->api_key, c->keys->api_key_len);
	VW_LIT(w, "\",");
	vw_put(w, exp, (size_t)en);
	VW_LIT(w, ",\"");
	vw_put(w, sig, BO_HEX_SIG);
	VW_LIT(w, "\"]}");
}

/* ,"header":{"X-BAPI-TIMESTAMP":"<ms>","X-BAPI-RECV-WINDOW":"<rw>"},"op":"<op>","args":[ */
static void w_trade_head(struct vo_w *w, const struct vo_ctx *c, const char *op)
{
	int64_t now = vo_server_ms(c);

	if (now <= 0) {
		w->err = -EINVAL;
		return;
	}
	VW_LIT(w, "\"header\":{\"X-BAPI-TIMESTAMP\":\"");
	vw_u64(w, (uint64_t)now);
	VW_LIT(w, "\",\"X-BAPI-RECV-WINDOW\":\"");
	vw_u64(w, by_recv(c));
	VW_LIT(w, "\"},\"op\":\"");
	vw_str(w, op);
	VW_LIT(w, "\",\"args\":[");
}

static int by_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	struct vo_w w = { .p = out, .end = out + cap };
	struct by_plan pl;
	int err;

	if (!c || !out || (ch != VO_CH_WSAPI && ch != VO_CH_PRIV))
		return -EINVAL;
	switch (op) {
	case VO_OP_LOGIN:
		if (!c->keys || c->recv_window_ms > BO_RECV_MAX)
			return -EINVAL;
		if (ch == VO_CH_PRIV)
			w_id(&w, "req_id", req_id);
		else
			VW_LIT(&w, "{");
		w_auth(&w, c);
		break;
	case VO_OP_PLACE:
	case VO_OP_CANCEL:
		if (ch != VO_CH_WSAPI)
			return -EINVAL;
		err = op == VO_OP_PLACE ? by_plan_place(c, o, &pl) : by_plan_target(c, o, &pl);
		if (err)
			return err;
		w_id(&w, "reqId", req_id);
		w_trade_head(&w, c, op == VO_OP_PLACE ? "order.create" : "order.cancel");
		if (op == VO_OP_PLACE)
			w_create(&w, c, o, &pl);
		else
			w_cancel(&w, c, o, &pl);
		VW_LIT(&w, "]}");
		break;
	case VO_OP_SUBSCRIBE:
		if (ch != VO_CH_PRIV)
			return -EINVAL;
		w_id(&w, "req_id", req_id);
		VW_LIT(&w, "\"op\":\"subscribe\",\"args\":[\"order.spot\",\"execution.spot\"]}");
		break;
	case VO_OP_KEEPALIVE:
		if (ch == VO_CH_PRIV)
			w_id(&w, "req_id", req_id);
		else
			VW_LIT(&w, "{");
		VW_LIT(&w, "\"op\":\"ping\"}");
		break;
	default:
		return -EINVAL;
	}
	if (w.err)
		return w.err;
	if (w.p - out > INT32_MAX)
		return -ENOSPC;
	return (int)(w.p - out);
}

static const char *by_ws_path(enum vo_chan ch)
{
	return ch == VO_CH_WSAPI ? "/v5/trade" : ch == VO_CH_PRIV ? "/v5/private" : NULL;
}

/* Both WebSockets authenticate by message after the open: no extra headers. */
static int by_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	(void)c;
	(void)ch;
	if (out && cap)
		out[0] = '\0';
	return 0;
}

/* ---- REST requests (2.3, 2.4) ----------------------------------------------------------- */

static const struct {
	const char *method, *path;
	bool signed_;
} by_routes[VO_OP_N] = {
	[VO_OP_PLACE] = { "POST", "/v5/order/create", true },
	[VO_OP_CANCEL] = { "POST", "/v5/order/cancel", true },
	[VO_OP_QUERY] = { "GET", "/v5/order/realtime", true },
	[VO_OP_OPEN] = { "GET", "/v5/order/realtime", true },
	[VO_OP_TIME] = { "GET", "/v5/market/time", false },
	[VO_OP_KEEPALIVE] = { "GET", "/v5/market/time", false },
};

static kimp_cold int by_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
				  struct net_http_tmpl *t)
{
	int err;

	if (!c || op <= VO_OP_NONE || op >= VO_OP_N || !by_routes[op].method || !host)
		return -EINVAL;
	if (by_routes[op].signed_ && !c->keys)
		return -EINVAL;
	err = net_http_tmpl_init(t, by_routes[op].method, by_routes[op].path, host);
	if (!err && by_routes[op].signed_)
		err = net_http_tmpl_header(t, "X-BAPI-API-KEY", c->keys->api_key);
	if (!err && !strcmp(by_routes[op].method, "POST"))
		err = net_http_tmpl_header(t, "Content-Type", "application/json");
	return err;
}

static int by_req_err(const struct net_http_req *r)
{
	return r->err == -EINVAL ? -EINVAL : r->err ? -ENOSPC : 0;
}

static void r_cid(struct net_http_req *r, const struct vo_ctx *c, uint64_t coid)
{
	char cid[VO_CID_MAX];

	net_http_req_put(r, cid, (size_t)vo_cid_format(c, coid, cid));
}

static int by_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	char body[512], ts[24], rw[24], sig[BO_HEX_SIG + 1];
	struct vo_w w = { .p = body, .end = body + sizeof(body) };
	struct net_http_str payload = { NULL, 0 };
	struct iovec iov[4];
	struct by_plan pl;
	int64_t now;
	int err, tn, rn;

	if (!c || !r)
		return -EINVAL;
	switch (op) {
	case VO_OP_TIME:
	case VO_OP_KEEPALIVE:
		return by_req_err(r);
	case VO_OP_PLACE:
	case VO_OP_CANCEL:
		err = op == VO_OP_PLACE ? by_plan_place(c, o, &pl) : by_plan_target(c, o, &pl);
		if (err)
			return err;
		if (op == VO_OP_PLACE)
			w_create(&w, c, o, &pl);
		else
			w_cancel(&w, c, o, &pl);
		if (w.err)
			return w.err;
		net_http_req_body(r);
		net_http_req_put(r, body, (size_t)(w.p - body));
		payload = net_http_req_body_str(r);
		break;
	case VO_OP_QUERY:
		if ((err = by_plan_target(c, o, &pl)))
			return err;
		net_http_req_param(r, "category");
		net_http_req_put_str(r, "spot");
		net_http_req_param(r, "symbol");
		net_http_req_put_str(r, pl.s->name);
		if (pl.by_oid) {
			net_http_req_param(r, "orderId");
			net_http_req_put(r, o->oid, o->oid_len);
		} else {
			net_http_req_param(r, "orderLinkId");
			r_cid(r, c, o->coid);
		}
		payload = net_http_req_query(r);
		break;
	case VO_OP_OPEN:
		if (!c->keys || c->recv_window_ms > BO_RECV_MAX)
			return -EINVAL;
		net_http_req_param(r, "category");
		net_http_req_put_str(r, "spot");
		net_http_req_param(r, "openOnly");
		net_http_req_put_str(r, "0");
		net_http_req_param(r, "limit");
		net_http_req_put_str(r, "50");
		payload = net_http_req_query(r);
		break;
	default:
		return -EINVAL;
	}
	if ((err = by_req_err(r)))
		return err;
	if (!payload.p)
		return -EINVAL;
	now = vo_server_ms(c);
	if (now <= 0)
		return -EINVAL;
	tn = vo_put_u64(ts, (uint64_t)now);
	rn = vo_put_u64(rw, by_recv(c));
	iov[0] = (struct iovec){ ts, (size_t)tn };
	iov[1] = (struct iovec){ (void *)(uintptr_t)c->keys->api_key, c->keys->api_key_len };
	iov[2] = (struct iovec){ rw, (size_t)rn };
	iov[3] = (struct iovec){ (void *)(uintptr_t)payload.p, payload.len };
	if (venue_hmac_key_signv(&c->keys->hmac, iov, 4, VENUE_HEX, sig, sizeof(sig)) != BO_HEX_SIG)
		return -EINVAL;
	net_http_req_hdr(r, "X-BAPI-TIMESTAMP");
	net_http_req_put(r, ts, (size_t)tn);
	net_http_req_hdr(r, "X-BAPI-RECV-WINDOW");
	net_http_req_put(r, rw, (size_t)rn);
	net_http_req_hdr(r, "X-BAPI-SIGN");
	net_http_req_put(r, sig, BO_HEX_SIG);
	return by_req_err(r);
}

/* ---- JSON values kept for later ------------------------------------------------------- */

/* struct vo_v and bv_read/bv_u64/bv_ms_ns: vo_text.h. */

/* A number (bare or string) at dec exactly; "" (market orders' price) is 0. */
static int by_fixed(const struct vo_v *v, unsigned dec, int64_t *out)
{
	if (v->t == BV_STR && !v->len) {
		*out = 0;
		return 0;
	}
	return bv_fixed(v, dec, out);
}

/*
 * The same with digits finer than dec rounded (up: away from zero, else to
 * nearest) rather than refused (bv_round): fees and quote sums come with
 * the venue's own decimals.
 */
static int by_round(const struct vo_v *v, unsigned dec, bool up, int64_t *out)
{
	if (v->t == BV_STR && !v->len) {
		*out = 0;
		return 0;
	}
	return bv_round(v, dec, up, out);
}

/* A request id we sent (digits), else 0. */
static void bv_req_id(const struct vo_v *v, struct vo_event *ev)
{
	uint64_t id;

	if (v->t == BV_STR && v->len <= 19 && !bv_u64(v, &id))
		ev->req_id = id;
}

/* The venue's order id into ev->oid ("" allowed: a batch reply's). */
static int bv_oid(const struct vo_v *v, struct vo_event *ev)
{
	if (v->t != BV_STR || v->esc)
		return -VD_E_SHAPE;
	if (v->len >= VO_OID_MAX)
		return -VD_E_NUMBER;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';
	return 0;
}

static uint64_t bv_coid(const struct vo_ctx *c, const struct vo_v *v)
{
	return v->t == BV_STR && !v->esc ? vo_cid_parse(c, v->p, v->len) : 0;
}

/* Walk an object, handing each member's key to key(); the rest skipped. */
typedef int (*by_key_fn)(const struct js_str *k);

static int by_object(struct js *j, by_key_fn key, struct vo_v *v)
{
	struct js_str k;
	bool first = true, done = false;
	int err = js_expect(j, '{');

	while (!err) {
		err = js_key(j, &k, &first, &done);
		if (err || done)
			break;
		int i = k.escaped || !key ? -1 : key(&k);

		err = i >= 0 ? bv_read(j, &v[i]) : js_skip(j);
	}
	return err;
}

#define KEYS_LOOKUP(tab, n, k)                                                                \
	do {                                                                                  \
		for (int i_ = 0; i_ < (n); i_++)                                              \
			if ((k)->len == strlen(tab[i_]) && !memcmp((k)->p, tab[i_], (k)->len)) \
				return i_;                                                    \
		return -1;                                                                    \
	} while (0)

/* ---- orders (realtime list, order stream) ------------------------------------------------ */

enum {
	OK_SYMBOL, OK_OID, OK_CID, OK_SIDE, OK_STATUS, OK_PRICE, OK_QTY, OK_CUM_QTY,
	OK_CUM_VALUE, OK_FEE_DETAIL, OK_TYPE, OK_UPDATED, OK_CREATED, OK_CATEGORY, OK_N
};

static int by_okey(const struct js_str *k)
{
	static const char *const keys[OK_N] = {
		"symbol", "orderId", "orderLinkId", "side", "orderStatus", "price", "qty",
		"cumExecQty", "cumExecValue", "cumFeeDetail", "orderType", "updatedTime",
		"createdTime", "category",
	};
	KEYS_LOOKUP(keys, OK_N, k);
}

/* orderStatus [BY:enum.mdx] as the engine's state. */
static int bv_state(const struct vo_v *v, struct vo_event *ev)
{
	if (BV_IS(v, "New") || BV_IS(v, "Untriggered") || BV_IS(v, "Triggered"))
		ev->state = KIMP_ORD_ACKED;
	else if (BV_IS(v, "PartiallyFilled"))
		ev->state = KIMP_ORD_PARTIAL;
	else if (BV_IS(v, "Filled"))
		ev->state = KIMP_ORD_FILLED;
	else if (BV_IS(v, "Cancelled") || BV_IS(v, "PartiallyFilledCanceled") ||
		 BV_IS(v, "Deactivated"))
		ev->state = KIMP_ORD_CANCELLED;
	else if (BV_IS(v, "Rejected"))
		ev->state = KIMP_ORD_REJECTED;
	else
		return -VD_E_SHAPE;
	return 0;
}

/*
 * cumFeeDetail {"<coin>":"<amount>"}: one coin, the base or the quote of
 * the symbol, gives cum_fee rounded up at its scale; another coin or
 * several: VO_F_FEE_OTHER. {} is no fee yet.
 */
static int by_fee_detail(const struct vo_ctx *c, const struct vo_v *d, struct vo_event *ev)
{
	const struct venue_sym *s = &c->syms->sym[ev->sym];
	bool first = true, done = false;
	unsigned n = 0;
	struct js j;
	int err;

	if (d->t != BV_OBJ)
		return -VD_E_SHAPE;
	js_init(&j, d->p, d->len);
	err = js_expect(&j, '{');
	while (!err) {
		struct js_str k;
		struct vo_v a = { 0 };
		int64_t fee;

		if ((err = js_key(&j, &k, &first, &done)) || done)
			break;
		if ((err = bv_read(&j, &a)))
			break;
		if (n++)
			continue;
		if (!k.escaped && k.len == strlen(s->base) && !memcmp(k.p, s->base, k.len)) {
			ev->fee_asset = 1;
			err = by_round(&a, s->qty_dec, true, &fee);
		} else if (!k.escaped && k.len == strlen(s->quote) &&
			   !memcmp(k.p, s->quote, k.len)) {
			ev->fee_asset = 0;
			err = by_round(&a, s->px_dec, true, &fee);
		} else {
			ev->flags |= VO_F_FEE_OTHER;
			err = bv_scalar(&a) ? 0 : -VD_E_SHAPE;
			fee = 0;
		}
		if (!err)
			ev->cum_fee = fee;
	}
	if (err)
		return err;
	if (n > 1) {
		ev->flags |= VO_F_FEE_OTHER;
		ev->cum_fee = 0;
	}
	if (n)
		ev->flags |= VO_F_CUM_FEE;
	return 0;
}

/* One order object into ev (VD_E_SYMBOL: an instrument not in the table). */
static int by_order(const struct vo_ctx *c, struct js *j, struct vo_event *ev)
{
	struct vo_v v[OK_N] = { 0 };
	const struct venue_sym *s;
	bool mkt_buy;
	uint32_t i;
	int err = by_object(j, by_okey, v);

	if (err)
		return err;
	if (v[OK_SYMBOL].t != BV_STR || v[OK_OID].t != BV_STR || v[OK_STATUS].t != BV_STR)
		return -VD_E_SHAPE;
	if (v[OK_CATEGORY].t && !BV_IS(&v[OK_CATEGORY], "spot"))
		return -VD_E_SYMBOL;    /* not a spot order: not one of ours */
	i = c->syms && !v[OK_SYMBOL].esc ? venue_symtab_find(c->syms, v[OK_SYMBOL].p,
							       v[OK_SYMBOL].len) : VENUE_SYM_NONE;
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	ev->sym = i;
	s = &c->syms->sym[i];
	ev->kind = VO_EV_ORDER;
	if ((err = bv_oid(&v[OK_OID], ev)) || (err = bv_state(&v[OK_STATUS], ev)))
		return err;
	ev->coid = bv_coid(c, &v[OK_CID]);
	if (v[OK_SIDE].t) {
		if (BV_IS(&v[OK_SIDE], "Buy"))
			ev->side = KIMP_SIDE_BUY;
		else if (BV_IS(&v[OK_SIDE], "Sell"))
			ev->side = KIMP_SIDE_SELL;
		else
			return -VD_E_SHAPE;
	}
	/* a market buy's qty may be in quote (marketUnit): not read as a size */
	mkt_buy = BV_IS(&v[OK_TYPE], "Market") && ev->side == KIMP_SIDE_BUY;
	if ((v[OK_PRICE].t && (err = by_fixed(&v[OK_PRICE], s->px_dec, &ev->px))) ||
	    (v[OK_QTY].t && !mkt_buy && (err = by_fixed(&v[OK_QTY], s->qty_dec, &ev->qty))) ||
	    (v[OK_CUM_QTY].t && (err = by_fixed(&v[OK_CUM_QTY], s->qty_dec, &ev->cum_qty))) ||
	    (v[OK_CUM_VALUE].t &&
	     (err = by_round(&v[OK_CUM_VALUE], s->px_dec, false, &ev->cum_quote))))
		return err;
	if (v[OK_FEE_DETAIL].t && (err = by_fee_detail(c, &v[OK_FEE_DETAIL], ev)))
		return err;
	if (v[OK_UPDATED].t)
		err = bv_ms_ns(&v[OK_UPDATED], &ev->venue_ts_ns);
	else if (v[OK_CREATED].t)
		err = bv_ms_ns(&v[OK_CREATED], &ev->venue_ts_ns);
	return err;
}

/*
 * An array of orders: the first of ours into ev (1), none of ours (0:
 * *n says how many there were), or an error. Orders of other instruments
 * are skipped; the whole array is checked.
 */
static int by_order_array(const struct vo_ctx *c, const struct vo_v *arr, struct vo_event *ev,
			  unsigned *n)
{
	bool first = true, done = false, got = false;
	struct js j;
	int err;

	*n = 0;
	if (arr->t != BV_ARR)
		return -VD_E_SHAPE;
	js_init(&j, arr->p, arr->len);
	err = js_expect(&j, '[');
	while (!err) {
		struct vo_event tmp;

		if ((err = js_elem(&j, &first, &done)) || done)
			break;
		vo_event_reset(&tmp);
		err = by_order(c, &j, got ? &tmp : ev);
		if (err == -VD_E_SYMBOL) {
			if (!got)
				vo_event_reset(ev);
			err = 0;
		} else if (!err) {
			got = true;
		}
		++*n;
	}
	return err ? err : got;
}

/* ---- errors (2.3, 2.6) ------------------------------------------------------------------- */

/*
 * What retCode means for the request of op [BY:error.mdx]: definite
 * refusals, the ambiguous ones (server error, restarting, a duplicate
 * client id that may be our own earlier order), and the flags.
 */
static void by_outcome(enum vo_op op, struct vo_event *ev)
{
	unsigned st = ev->http_status;

	switch (ev->code) {
	case 10002:
		ev->flags |= VO_F_CLOCK;
		break;
	case 10003:
	case 10004:
	case 10005:
	case 10007:
	case 10010:
	case 33004:
		ev->flags |= VO_F_AUTH;
		break;
	case 10006:
	case 10018:
	case 10429:
	case 20003:
	case 170005:
		ev->flags |= VO_F_RATE;
		break;
	case 10403:
		ev->flags |= VO_F_RATE | VO_F_BAN;
		break;
	default:
		break;
	}
	if (st == 401)
		ev->flags |= VO_F_AUTH;
	else if (st == 403)
		ev->flags |= VO_F_RATE | VO_F_BAN;     /* the IP limit: stop >= 10 min */
	else if (st == 429)
		ev->flags |= VO_F_RATE;
	if (st >= 500 || ev->code == 10016 || ev->code == 10019 || ev->code == 170141 ||
	    ev->code == 10000)
		ev->outcome = VO_OUT_UNKNOWN;
	else if ((ev->code == 110001 || ev->code == 170213) && op == VO_OP_CANCEL)
		ev->outcome = VO_OUT_CANCEL_REJECTED;  /* not there, or final already */
	else if (ev->code == 110001 || ev->code == 170213)
		ev->outcome = VO_OUT_NOT_FOUND;
	else if (ev->code || (st >= 400 && st < 500))
		ev->outcome = VO_OUT_REJECTED;
	else
		ev->outcome = VO_OUT_UNKNOWN;
}

/* ---- rate observations --------------------------------------------------------------------- */

static void by_obs(struct vo_event *ev, int rule, uint64_t left)
{
	struct vo_rate_obs *o = &ev->rate;

	if (rule < 0 || o->n >= VO_RATE_OBS)
		return;
	o->v[o->n].rule = (uint8_t)rule;
	o->v[o->n].is_left = 1;
	o->v[o->n].value = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	o->n++;
}

/* The operation a trade-WS "op" names. */
static enum vo_op by_trade_op(const struct vo_v *op)
{
	if (BV_IS(op, "order.create"))
		return VO_OP_PLACE;
	if (BV_IS(op, "order.cancel"))
		return VO_OP_CANCEL;
	return VO_OP_NONE;
}

enum { HK_LIMIT, HK_STATUS, HK_RESET, HK_N };

static int by_hkey(const struct js_str *k)
{
	static const char *const keys[HK_N] = { "X-Bapi-Limit", "X-Bapi-Limit-Status",
						"X-Bapi-Limit-Reset-Timestamp" };
	KEYS_LOOKUP(keys, HK_N, k);
}

/* ---- replies and pushes --------------------------------------------------------------------- */

enum {
	TK_RETCODE, TK_RETMSG, TK_RESULT, TK_DATA, TK_OP, TK_REQID, TK_REQ_ID, TK_SUCCESS,
	TK_RET_MSG, TK_TOPIC, TK_HEADER, TK_TIME, TK_CTIME, TK_ARGS, TK_N
};

static int by_tkey(const struct js_str *k)
{
	static const char *const keys[TK_N] = {
		"retCode", "retMsg", "result", "data", "op", "reqId", "req_id", "success",
		"ret_msg", "topic", "header", "time", "creationTime", "args",
	};
	KEYS_LOOKUP(keys, TK_N, k);
}

static int by_retcode(const struct vo_v *v, struct vo_event *ev)
{
	int64_t code;
	int err;

	if (v->t != BV_NUM)
		return -VD_E_SHAPE;
	if ((err = js_fixed_str(v->p, v->len, 0, &code)))
		return err;
	if (code < INT32_MIN || code > INT32_MAX)
		return -VD_E_NUMBER;
	ev->code = (int32_t)code;
	return 0;
}

static void by_msg(const struct vo_v *v, struct vo_event *ev)
{
	if (v->t == BV_STR && v->len) {
		ev->msg = v->p;
		ev->msg_len = v->len;
	}
}

/* An error event: outcome and, for a rate refusal, when to try again. */
static void by_error(enum vo_op op, struct vo_event *ev, uint64_t reset_ms, int64_t now_ms)
{
	ev->kind = VO_EV_ERROR;
	by_outcome(op, ev);
	if ((ev->flags & VO_F_BAN) && ev->http_status == 403)
		ev->retry_at_ms = (uint64_t)(now_ms > 0 ? now_ms : 0) + BO_IP_BAN_MS;
	else if ((ev->flags & VO_F_RATE) && reset_ms)
		ev->retry_at_ms = reset_ms;
}

static int by_timekey(const struct js_str *k)
{
	return JS_IS(k, "timeNano") ? 0 : JS_IS(k, "timeSecond") ? 1 : -1;
}

/* TIME's result {"timeSecond","timeNano"} (strings); else the reply's "time". */
static int by_time(const struct vo_v *res, const struct vo_v *tm, struct vo_event *ev)
{
	struct vo_v v[2] = { 0 };
	uint64_t x;
	int err;

	if (res->t == BV_OBJ) {
		struct js j;

		js_init(&j, res->p, res->len);
		if ((err = by_object(&j, by_timekey, v)))
			return err;
	}
	if (v[0].t) {
		if ((err = bv_u64(&v[0], &x)))
			return err;
		x /= 1000000;
	} else if (v[1].t) {
		if ((err = bv_u64(&v[1], &x)))
			return err;
		if (x > UINT64_MAX / 1000)
			return -VD_E_NUMBER;
		x *= 1000;
	} else if (tm->t) {
		if ((err = bv_u64(tm, &x)))
			return err;
	} else {
		return -VD_E_SHAPE;
	}
	if (x > INT64_MAX)
		return -VD_E_NUMBER;
	ev->kind = VO_EV_TIME;
	ev->server_ms = (int64_t)x;
	return 0;
}

/*
 * A {"retCode",...} reply to op (REST body or trade-WS message) into ev.
 * body: "result" (REST) or "data" (WS).
 */
static int by_reply(const struct vo_ctx *c, enum vo_op op, const struct vo_v *v,
		    const struct vo_v *body, uint64_t reset_ms, struct vo_event *ev)
{
	struct vo_v r[OK_N] = { 0 };
	unsigned n;
	int err;

	if ((err = by_retcode(&v[TK_RETCODE], ev)))
		return err;
	by_msg(&v[TK_RETMSG], ev);
	if (v[TK_TIME].t && bv_scalar(&v[TK_TIME])) {
		uint64_t x;
		if (!bv_u64(&v[TK_TIME], &x) && x <= INT64_MAX)
			ev->server_ms = (int64_t)x;
	}
	if (ev->code) {
		by_error(op, ev, reset_ms, vo_server_ms(c));
		return 0;
	}
	switch (op) {
	case VO_OP_PLACE:
	case VO_OP_CANCEL: {
		struct js j;

		if (body->t != BV_OBJ)
			return -VD_E_SHAPE;
		js_init(&j, body->p, body->len);
		if ((err = by_object(&j, by_okey, r)))
			return err;
		if (r[OK_OID].t != BV_STR)
			return -VD_E_SHAPE;
		if ((err = bv_oid(&r[OK_OID], ev)))
			return err;
		/* the request's own coid stays unless the reply names one of ours */
		if (r[OK_CID].t == BV_STR && r[OK_CID].len && bv_coid(c, &r[OK_CID]))
			ev->coid = bv_coid(c, &r[OK_CID]);
		ev->kind = op == VO_OP_PLACE ? VO_EV_ORDER : VO_EV_CONTROL;
		ev->state = KIMP_ORD_ACKED;
		return 0;
	}
	case VO_OP_QUERY: {
		struct vo_v l[1] = { 0 };
		struct js j;
		uint64_t coid = ev->coid;
		uint32_t sym = ev->sym;

		if (body->t != BV_OBJ)
			return -VD_E_SHAPE;
		js_init(&j, body->p, body->len);
		{
			/* the "list" member */
			bool first = true, done = false;
			struct js_str k;

			err = js_expect(&j, '{');
			while (!err) {
				if ((err = js_key(&j, &k, &first, &done)) || done)
					break;
				if (JS_IS(&k, "list"))
					err = bv_read(&j, &l[0]);
				else
					err = js_skip(&j);
			}
			if (err)
				return err;
		}
		err = by_order_array(c, &l[0], ev, &n);
		if (err < 0)
			return err;
		if (err == 1)
			return 0;
		/* no such order of ours (open or among the recent closed ones) */
		vo_event_reset(ev);
		ev->coid = coid;
		ev->sym = sym;
		ev->code = 110001;
		ev->kind = VO_EV_ERROR;
		ev->outcome = VO_OUT_NOT_FOUND;
		return 0;
	}
	case VO_OP_TIME:
		return by_time(body, &v[TK_TIME], ev);
	case VO_OP_KEEPALIVE:
		ev->kind = VO_EV_CONTROL;
		return 0;
	default:
		return -VD_E_TYPE;
	}
}

/* Read the top-level members of one message into v. */
static int by_top(struct js *j, struct vo_v *v)
{
	int err = by_object(j, by_tkey, v);

	if (!err)
		err = js_end(j);
	return err;
}

/* ---- WebSocket ------------------------------------------------------------------------------ */

/* The trade WS "header": the rate left for op, and the reset time. */
static int by_ws_header(const struct vo_v *h, enum vo_op op, struct vo_event *ev,
			uint64_t *reset_ms)
{
	struct vo_v v[HK_N] = { 0 };
	uint64_t x;
	struct js j;
	int err;

	if (h->t == BV_NONE)
		return 0;
	if (h->t != BV_OBJ)
		return -VD_E_SHAPE;
	js_init(&j, h->p, h->len);
	if ((err = by_object(&j, by_hkey, v)))
		return err;
	if (v[HK_STATUS].t && !bv_u64(&v[HK_STATUS], &x))
		by_obs(ev, by_op_rule(op), x);
	if (v[HK_RESET].t && !bv_u64(&v[HK_RESET], &x))
		*reset_ms = x;
	return 0;
}

/* A private push {"topic","creationTime","data":[...]}. */
static int by_push(const struct vo_ctx *c, const struct vo_v *v, struct vo_event *ev)
{
	const struct vo_v *t = &v[TK_TOPIC];
	unsigned n;
	int err;

	if (t->t != BV_STR)
		return -VD_E_SHAPE;
	if (BV_IS(t, "order.spot") || BV_IS(t, "order")) {
		err = by_order_array(c, &v[TK_DATA], ev, &n);
		if (err < 0)
			return err;
		if (!n)
			return -VD_E_SHAPE;
		if (err == 0) {
			vo_event_reset(ev);
			ev->kind = VO_EV_CONTROL;       /* other instruments, categories */
		}
	} else if (BV_IS(t, "execution.spot") || BV_IS(t, "execution") ||
		   BV_IS(t, "execution.fast.spot") || BV_IS(t, "execution.fast") ||
		   BV_IS(t, "wallet")) {
		if (v[TK_DATA].t != BV_ARR)
			return -VD_E_SHAPE;
		ev->kind = VO_EV_CONTROL;
	} else {
		return -VD_E_TYPE;
	}
	if (ev->kind == VO_EV_CONTROL && v[TK_CTIME].t &&
	    (err = bv_ms_ns(&v[TK_CTIME], &ev->venue_ts_ns)))
		return err;
	return 0;
}

/* {"op":..} replies: auth, subscribe, pong (both WS forms). */
static int by_op_reply(const struct vo_ctx *c, enum vo_chan ch, const struct vo_v *v,
		       struct vo_event *ev)
{
	const struct vo_v *op = &v[TK_OP];
	bool ok;

	(void)c;
	if (v[TK_REQID].t)
		bv_req_id(&v[TK_REQID], ev);
	else if (v[TK_REQ_ID].t)
		bv_req_id(&v[TK_REQ_ID], ev);
	if (BV_IS(op, "pong") || (BV_IS(op, "ping") && v[TK_SUCCESS].t)) {
		ev->kind = VO_EV_CONTROL;
		return 0;
	}
	if (!BV_IS(op, "auth") && !BV_IS(op, "subscribe") && !BV_IS(op, "unsubscribe"))
		return -VD_E_TYPE;
	if (v[TK_SUCCESS].t == BV_TRUE || v[TK_SUCCESS].t == BV_FALSE) {
		ok = v[TK_SUCCESS].t == BV_TRUE;
		by_msg(&v[TK_RET_MSG], ev);
		if (v[TK_RETCODE].t && by_retcode(&v[TK_RETCODE], ev))
			return -VD_E_SHAPE;
	} else if (v[TK_RETCODE].t) {
		int err = by_retcode(&v[TK_RETCODE], ev);
		if (err)
			return err;
		ok = !ev->code;
		by_msg(&v[TK_RETMSG], ev);
	} else {
		return -VD_E_TYPE;      /* a request: {"op":"auth","args":[..]} */
	}
	if (ok) {
		ev->code = 0;
		ev->msg = NULL;
		ev->msg_len = 0;
		ev->kind = BV_IS(op, "auth") ? VO_EV_LOGIN : BV_IS(op, "subscribe") ?
			VO_EV_SUBSCRIBED : VO_EV_CONTROL;
		return 0;
	}
	ev->kind = VO_EV_ERROR;
	ev->outcome = VO_OUT_REJECTED;
	if (BV_IS(op, "auth"))
		ev->flags |= VO_F_AUTH;
	else if (ch == VO_CH_WSAPI)
		by_outcome(VO_OP_NONE, ev);
	return 0;
}

static int by_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	struct vo_v v[TK_N] = { 0 };
	uint64_t reset = 0;
	enum vo_op op;
	struct js j;
	int err;

	vo_event_reset(ev);
	if (!c || (ch != VO_CH_WSAPI && ch != VO_CH_PRIV)) {
		err = -VD_E_TYPE;
		goto out;
	}
	if (!p) {
		err = -VD_E_SYNTAX;
		goto out;
	}
	js_init(&j, p, len);
	if (js_peek(&j) != '{') {
		err = js_skip(&j);
		if (!err)
			err = js_end(&j);
		err = err ? err : -VD_E_TYPE;
		goto out;
	}
	if ((err = by_top(&j, v)))
		goto out;
	if (v[TK_TOPIC].t) {
		err = by_push(c, v, ev);
		goto out;
	}
	if (v[TK_OP].t != BV_STR) {
		err = -VD_E_TYPE;
		goto out;
	}
	op = by_trade_op(&v[TK_OP]);
	if (op == VO_OP_NONE) {
		err = by_op_reply(c, ch, v, ev);
		goto out;
	}
	if (v[TK_RETCODE].t == BV_NONE) {
		err = -VD_E_TYPE;       /* our own request echoed */
		goto out;
	}
	bv_req_id(&v[TK_REQID], ev);
	if ((err = by_ws_header(&v[TK_HEADER], op, ev, &reset)))
		goto out;
	err = by_reply(c, op, v, &v[TK_DATA], reset, ev);
out:
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/* ---- REST replies ------------------------------------------------------------------------- */

static void by_hdr_obs(const struct net_http_parser *msg, enum vo_op op, struct vo_event *ev,
		       uint64_t *reset)
{
	uint64_t x;

	if (!net_http_header_u64(msg, "X-Bapi-Limit-Status", &x))
		by_obs(ev, by_op_rule(op), x);
	if (net_http_header_u64(msg, "X-Bapi-Limit-Reset-Timestamp", reset))
		*reset = 0;
}

static int by_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg,
			 const uint8_t *body, size_t len, struct vo_event *ev)
{
	struct vo_v v[TK_N] = { 0 };
	uint64_t reset = 0;
	struct js j;
	int err = -VD_E_SYNTAX;

	vo_event_reset(ev);
	ev->http_status = status;
	if (!c) {
		err = -VD_E_TYPE;
		goto out;
	}
	if (o) {
		ev->coid = o->coid;
		ev->side = o->side;
		if (c->syms && o->sym < c->syms->n)
			ev->sym = o->sym;
	}
	if (msg)
		by_hdr_obs(msg, op, ev, &reset);
	if (op <= VO_OP_NONE || op >= VO_OP_N || op == VO_OP_OPEN || !by_routes[op].method) {
		err = -VD_E_TYPE;       /* OPEN: rest_parse_list */
		goto out;
	}
	if (body) {
		js_init(&j, body, len);
		err = by_top(&j, v);
		if (!err && v[TK_RETCODE].t == BV_NONE)
			err = -VD_E_SHAPE;
	}
	if (!err && status >= 200 && status < 300) {
		err = by_reply(c, op, v, &v[TK_RESULT], reset, ev);
	} else if (!err) {
		/* an error status with the venue's body: its code, the status's flags */
		if ((err = by_retcode(&v[TK_RETCODE], ev)))
			goto out;
		by_msg(&v[TK_RETMSG], ev);
		by_error(op, ev, reset, vo_server_ms(c));
	} else if (status < 200 || status >= 300) {
		/* a gateway's page (403 IP limit, 429, 5xx): what the status says */
		ev->code = 0;
		ev->msg = NULL;
		ev->msg_len = 0;
		by_error(op, ev, reset, vo_server_ms(c));
		err = 0;
	}
out:
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/*
 * GET /v5/order/realtime (open orders): each order of ours in result.list,
 * after the whole list is checked. An error status, or a retCode, is not a
 * list: -VD_E_TYPE (rest_parse gives its error event). One page (limit 50).
 */
static int by_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body,
			      size_t len, void (*each)(void *arg, const struct vo_event *ev),
			      void *arg)
{
	struct vo_v v[TK_N] = { 0 }, l = { 0 };
	struct vo_event ev;
	int count = 0;
	struct js j;
	int err;

	(void)msg;
	if (!c || status < 200 || status >= 300)
		return -VD_E_TYPE;
	if (!body)
		return -VD_E_SYNTAX;
	js_init(&j, body, len);
	if ((err = by_top(&j, v)))
		return err;
	vo_event_reset(&ev);
	if ((err = by_retcode(&v[TK_RETCODE], &ev)))
		return err;
	if (ev.code)
		return -VD_E_TYPE;
	if (v[TK_RESULT].t != BV_OBJ)
		return -VD_E_SHAPE;
	{
		bool first = true, done = false;
		struct js_str k;

		js_init(&j, v[TK_RESULT].p, v[TK_RESULT].len);
		err = js_expect(&j, '{');
		while (!err) {
			if ((err = js_key(&j, &k, &first, &done)) || done)
				break;
			err = JS_IS(&k, "list") ? bv_read(&j, &l) : js_skip(&j);
		}
		if (err)
			return err;
	}
	if (l.t != BV_ARR)
		return -VD_E_SHAPE;
	for (int pass = 0; pass < 2; pass++) {
		bool first = true, done = false;

		count = 0;
		js_init(&j, l.p, l.len);
		err = js_expect(&j, '[');
		while (!err) {
			if ((err = js_elem(&j, &first, &done)) || done)
				break;
			vo_event_reset(&ev);
			ev.http_status = status;
			err = by_order(c, &j, &ev);
			if (err == -VD_E_SYMBOL) {
				err = 0;
				continue;
			}
			if (err)
				break;
			if (pass && each)
				each(arg, &ev);
			count++;
		}
		if (err)
			return err;
	}
	return count;
}

/* ---- names ----------------------------------------------------------------------------------- */

static const char *by_err_name(int32_t code)
{
	static const struct {
		int32_t code;
		const char *name;
	} names[] = {
		{ 10000, "SERVER_TIMEOUT" }, { 10001, "PARAMS_ERROR" },
		{ 10002, "TIME_WINDOW" }, { 10003, "INVALID_API_KEY" },
		{ 10004, "INVALID_SIGN" }, { 10005, "PERMISSION_DENIED" },
		{ 10006, "TOO_MANY_VISITS" }, { 10007, "AUTH_FAILED" },
		{ 10010, "IP_NOT_WHITELISTED" }, { 10016, "SERVER_ERROR" },
		{ 10018, "IP_RATE_LIMIT" }, { 10019, "SERVICE_RESTARTING" },
		{ 10029, "SYMBOL_NOT_WHITELISTED" }, { 10403, "WS_IP_LIMIT" },
		{ 10404, "OP_NOT_SUPPORTED" }, { 10429, "SYSTEM_FREQUENCY" },
		{ 20003, "SESSION_TOO_FREQUENT" }, { 20006, "DUPLICATE_REQID" },
		{ 110001, "ORDER_NOT_EXIST" }, { 110007, "BALANCE_INSUFFICIENT" },
		{ 170005, "TOO_MANY_NEW_ORDERS" }, { 170131, "BALANCE_INSUFFICIENT" },
		{ 170134, "PRICE_DECIMALS" }, { 170136, "QTY_BELOW_MIN" },
		{ 170137, "QTY_DECIMALS" }, { 170140, "VALUE_BELOW_MIN" },
		{ 170141, "DUPLICATE_CLIENT_ID" }, { 170193, "BUY_PRICE_TOO_HIGH" },
		{ 170194, "SELL_PRICE_TOO_LOW" }, { 170213, "ORDER_NOT_EXIST" },
		{ 170371, "PRICE_LIMITATION" }, { 170372, "PRICE_LIMITATION" },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

/* ---- the table ---------------------------------------------------------------------------------- */

#define BY_WS_REST (VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_REST))

const struct venue_ord venue_ord_bybit = {
	.venue = KIMP_VENUE_BYBIT,
	.name = "bybit",
	.rest_url = "https://api.bybit.com",
	.wsapi_url = "wss://stream.bybit.com/v5/trade",
	.priv_url = "wss://stream.bybit.com/v5/private",
	.chans = {
		[VO_OP_PLACE] = BY_WS_REST,
		[VO_OP_CANCEL] = BY_WS_REST,
		[VO_OP_QUERY] = VO_CHBIT(VO_CH_REST),
		[VO_OP_OPEN] = VO_CHBIT(VO_CH_REST),
		[VO_OP_TIME] = VO_CHBIT(VO_CH_REST),
		/* REST: GET /v5/market/time; both WebSockets: {"op":"ping"} (orderd
		 * sends ws_build(ch, VO_OP_KEEPALIVE) as text on a channel whose bit
		 * is set here) */
		[VO_OP_KEEPALIVE] = VO_CHBIT(VO_CH_REST) | VO_CHBIT(VO_CH_WSAPI) |
				    VO_CHBIT(VO_CH_PRIV),
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_PRIV),
		[VO_OP_LOGIN] = VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_PRIV),
	},
	.user_data_on_wsapi = false,
	.cancel_async = true,
	.market_buy_by_quote = false,   /* marketUnit lets a buy go by base too */
	.hash_sha = VENUE_SHA256,
	/* {"op":"ping"} every 20 s is what the venue asks [2.2]; ws_build
	 * (VO_OP_KEEPALIVE) writes it on both WebSockets */
	.ping_every_ns = 20 * BO_NS_PER_S,
	.conn_life_ns = 0,
	.rates = by_rates,
	.nrates = BR_N,
	.cost = by_cost,
	.connect_cost = by_connect_cost,
	.key_init = by_key_init,
	.rest_tmpl = by_rest_tmpl,
	.rest_build = by_rest_build,
	.rest_parse = by_rest_parse,
	.rest_parse_list = by_rest_parse_list,
	.ws_build = by_ws_build,
	.ws_path = by_ws_path,
	.ws_headers = by_ws_headers,
	.ws_parse = by_ws_parse,
	.sign_payload = by_sign_payload,
	.err_name = by_err_name,
};

_Static_assert(BR_N <= VO_RATE_RULES, "Bybit rate rules fit the engine's");
