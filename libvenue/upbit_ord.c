/* SPDX-License-Identifier: MIT */
/*
 * Upbit order entry (kimp/venue_ord.h), as shared/docs/venues/exchanges-kr.md
 * 1.2-1.6 describes it and exsim's Upbit (sim/venue_upbit.c) accepts it.
 *
 * REST (base https://api.upbit.com, no Origin header ever: 1.2):
 *   PLACE      POST /v1/orders, a JSON body (every value a string) in the
 *              key order market, side, volume, price, ord_type,
 *              time_in_force, identifier, with only the keys the ord_type
 *              matrix (1.3) allows
 *   CANCEL     DELETE /v1/order?identifier=<cid> (uuid=<oid> when known);
 *              asynchronous: the reply is the order still in 'wait'
 *   QUERY      GET /v1/order?identifier=<cid> (or uuid=)
 *   OPEN       GET /v1/orders/open?state=wait&limit=100 (newest 100: the
 *              caller reconciles by client id; this list only finds orders
 *              it does not know)
 *   KEEPALIVE  GET /v1/accounts: authenticated (so the warm connection is
 *              the one orders use, through the same auth path), in the
 *              'default' group like queries, and without parameters (no
 *              query_hash to compute, no market to name)
 * Every request carries Authorization: Bearer <JWT>, HS512 over the
 * secret's raw bytes, payload access_key, a fresh UUID nonce, and for a
 * request with parameters query_hash (SHA-512 hex of the query string as
 * sent; for the POST body its keys in body order as k=v&...) and
 * query_hash_alg SHA512 (1.4).
 *
 * Private stream /websocket/v1/private: the upgrade carries the JWT
 * (access_key + nonce only); one request subscribes myOrder for every
 * market (no codes). Upbit answers no subscription (H11): no
 * VO_EV_SUBSCRIBED ever comes from here.
 *
 * Parsing: an order object (REST) and a myOrder message (DEFAULT or
 * SIMPLE keys) are read by one walk that records where each known field's
 * value is; once the market is known its scales turn the values into fixed
 * point. Keys may come in any order. Amounts finer than the scale (fees
 * and funds are, on this venue: "3.697095875" KRW, myOrder's doubles) are
 * rounded to the nearest unit, halves away from zero; a negative amount is
 * refused. An order of a market not in the table has sym VENUE_SYM_NONE and
 * its amounts at 8 decimals, Upbit's own precision. venue_ts_ns comes from
 * myOrder (trade_timestamp for a fill, else timestamp); an order object
 * has only created_at (ISO 8601 KST), not read: 0 there.
 *
 * Known gap: the order object of POST /v1/orders and DELETE /v1/order
 * carries executed_volume but neither executed_funds nor trades[], so an
 * order that filled before the reply would have cum_qty > 0 with no
 * quote figure. Such a reply is given as ACKED with nothing filled: the
 * fills come whole, with their funds and fees, from myOrder
 * (executed_funds) or GET /v1/order (trades[].funds), never as a fill at
 * an unknown price.
 *
 * Nothing on the build and parse paths allocates, locks, formats with
 * printf or makes a system call (key_init and the table are cold).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/sign.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "jscan.h"
#include "upbit_share.h"

#define UO_NS_PER_S     1000000000ull
#define UO_NS_PER_MS    1000000ll
#define UO_SCALE_DEF    8               /* amounts of a market not in the table */
#define UO_QS_MAX       512             /* a new order's query-hash input */
#define UO_OPEN_LIMIT   "100"           /* GET /v1/orders/open: the most a page holds */

/* ---- rate limits (1.6) ---------------------------------------------------- */

enum { R_ORDER = 0, R_DEFAULT, R_WS_CONNECT, R_N };

/*
 * 'order' at 8/s: the current doc says 12/s, older copies 8/s; the doc
 * says to budget 8 until Remaining-Req shows otherwise (orderd corrects
 * by what it reads). websocket-connect: 5/s per account for the private
 * stream.
 */
static const struct vo_rate_rule uo_rates[R_N] = {
	[R_ORDER] = { "order", VO_RS_ACCOUNT, false, 8, UO_NS_PER_S },
	[R_DEFAULT] = { "default", VO_RS_ACCOUNT, false, 30, UO_NS_PER_S },
	[R_WS_CONNECT] = { "websocket-connect", VO_RS_ACCOUNT, false, 5, UO_NS_PER_S },
};

static uint16_t uo_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	if (ch != VO_CH_REST)
		return 0;
	switch (op) {
	case VO_OP_PLACE:
		return rule == R_ORDER;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
	case VO_OP_OPEN:
	case VO_OP_KEEPALIVE:
		return rule == R_DEFAULT;
	default:
		return 0;
	}
}

static uint16_t uo_connect_cost(enum vo_chan ch, unsigned rule)
{
	return ch == VO_CH_PRIV && rule == R_WS_CONNECT;
}

/* ---- error names (1.6, 1.1) ------------------------------------------------- */

/*
 * vo_event.code of a name is UO_ERR_BASE + its index here: append only,
 * never reorder (codes are logged and journaled). A name not here is
 * UO_ERR_OTHER; a numeric name (the quotation API's {"name":404}) is that
 * number.
 */
#define UO_ERR_BASE     1000
#define UO_ERR_OTHER    1999

enum uo_err {
	E_VALIDATION = 0, E_INVALID_PARAMETER, E_CREATE_BID, E_CREATE_ASK, E_TIF, E_POST_ONLY,
	E_NOTFOUNDMARKET, E_FUNDS_BID, E_FUNDS_ASK, E_MIN_BID, E_MIN_ASK, E_PRICE_BID,
	E_PRICE_ASK, E_OVER_BID, E_OVER_ASK, E_DUP_ID, E_WITHDRAW_ADDR,
	E_QUERY_PAYLOAD, E_JWT, E_EXPIRED_KEY, E_NONCE, E_NO_AUTH_IP, E_NO_AUTH_TOKEN,
	E_INVALID_KEY, E_OUT_OF_SCOPE, E_MARKET_OFFLINE, E_NOT_FOUND, E_TOO_MANY,
	E_SERVER, E_WS_NO_TICKET, E_WS_INVALID_PARAM, E_WS_WRONG_FORMAT, E_WS_INVALID_AUTH,
	E_WS_NO_CODES, E_WS_NO_TYPE, E_WS_TOO_MANY, E_N
};

static const struct uo_errdef uo_errs[E_N] = {
	/* 400 */
	[E_VALIDATION] = { "validation_error", 0 },
	[E_INVALID_PARAMETER] = { "invalid_parameter", 0 },
	[E_CREATE_BID] = { "create_bid_error", 0 },
	[E_CREATE_ASK] = { "create_ask_error", 0 },
	[E_TIF] = { "invalid_time_in_force", 0 },
	[E_POST_ONLY] = { "invalid_post_only", 0 },
	[E_NOTFOUNDMARKET] = { "notfoundmarket", 0 },
	[E_FUNDS_BID] = { "insufficient_funds_bid", 0 },
	[E_FUNDS_ASK] = { "insufficient_funds_ask", 0 },
	[E_MIN_BID] = { "under_min_total_bid", 0 },
	[E_MIN_ASK] = { "under_min_total_ask", 0 },
	[E_PRICE_BID] = { "invalid_price_bid", 0 },
	[E_PRICE_ASK] = { "invalid_price_ask", 0 },
	[E_OVER_BID] = { "over_krw_funds_bid", 0 },
	[E_OVER_ASK] = { "over_krw_funds_ask", 0 },
	[E_DUP_ID] = { "duplicated_identifier", UO_EF_UNKNOWN },
	[E_WITHDRAW_ADDR] = { "withdraw_address_not_registered", 0 },
	/* 401, 403 */
	[E_QUERY_PAYLOAD] = { "invalid_query_payload", UO_EF_AUTH },
	[E_JWT] = { "jwt_verification", UO_EF_AUTH },
	[E_EXPIRED_KEY] = { "expired_access_key", UO_EF_AUTH },
	[E_NONCE] = { "nonce_used", 0 },        /* this request's nonce only */
	[E_NO_AUTH_IP] = { "no_authorization_ip", UO_EF_AUTH },
	[E_NO_AUTH_TOKEN] = { "no_authorization_token", UO_EF_AUTH },
	[E_INVALID_KEY] = { "invalid_access_key", UO_EF_AUTH },   /* the wire's (exsim) */
	[E_OUT_OF_SCOPE] = { "out_of_scope", UO_EF_AUTH },
	[E_MARKET_OFFLINE] = { "market_offline", 0 },
	/* 404, 429/418, 5xx */
	[E_NOT_FOUND] = { "order_not_found", UO_EF_NOT_FOUND },
	[E_TOO_MANY] = { "too_many_requests", UO_EF_RATE },
	[E_SERVER] = { "server_error", 0 },
	/* WebSocket (1.1) */
	[E_WS_NO_TICKET] = { "NO_TICKET", 0 },
	[E_WS_INVALID_PARAM] = { "INVALID_PARAM", 0 },
	[E_WS_WRONG_FORMAT] = { "WRONG_FORMAT", 0 },
	[E_WS_INVALID_AUTH] = { "INVALID_AUTH", UO_EF_AUTH },
	[E_WS_NO_CODES] = { "NO_CODES", 0 },
	[E_WS_NO_TYPE] = { "NO_TYPE", 0 },
	[E_WS_TOO_MANY] = { "TOO_MANY_REQUEST", UO_EF_RATE },
};

static const char *uo_err_name(int32_t code)
{
	if (code < UO_ERR_BASE || code >= UO_ERR_BASE + E_N)
		return NULL;
	return uo_errs[code - UO_ERR_BASE].name;
}

/* ---- keys and the JWT (1.4) --------------------------------------------------- */

/* The JWT's key (upbit_share.h): Bithumb's too, with its own hash. */
kimp_cold int uo_jwt_key_init(struct vo_keys *k, const char *api_key, const void *secret,
			      size_t slen, enum venue_hash h)
{
	size_t n = api_key ? strlen(api_key) : 0;
	int err;

	if (!n || n >= VO_API_KEY_MAX || !secret || !slen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (api_key[i] <= ' ' || api_key[i] > '~' || api_key[i] == '"' ||
		    api_key[i] == '\\')
			return -EINVAL;
	memset(k, 0, sizeof(*k));
	err = venue_hmac_key_init(&k->hmac, h, secret, slen);
	if (err)
		return err;
	memcpy(k->api_key, api_key, n);
	k->api_key_len = (uint32_t)n;
	return 0;
}

/*
 * Upbit's access key (40 alphanumerics) goes into the JWT payload as it is
 * (uo_jwt_key_init); the secret is used as raw bytes with SHA-512. No
 * passphrase.
 */
static kimp_cold int uo_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
{
	return uo_jwt_key_init(k, api_key, secret, slen, VENUE_SHA512);
}

/* struct uo_buf, uo_put, UO_LIT: upbit_share.h. */

/*
 * The tokens carry no timestamp (1.2): uo_jwt_make (upbit_share.h).
 * Authorization: Bearer <jwt> into r's head.
 */
static int uo_auth_hdr(struct vo_ctx *c, struct net_http_req *r, const char *qs, size_t qn)
{
	return uo_jwt_auth_hdr(c, r, qs, qn, false);
}

static int uo_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	return uo_jwt_make(c, payload, n, false, out, cap);
}

/* ---- REST requests (1.3) ------------------------------------------------------ */

static int uo_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
			struct net_http_tmpl *t)
{
	const char *method, *path;
	int err;

	switch (op) {
	case VO_OP_PLACE:
		method = "POST";
		path = "/v1/orders";
		break;
	case VO_OP_CANCEL:
		method = "DELETE";
		path = "/v1/order";
		break;
	case VO_OP_QUERY:
		method = "GET";
		path = "/v1/order";
		break;
	case VO_OP_OPEN:
		method = "GET";
		path = "/v1/orders/open";
		break;
	case VO_OP_KEEPALIVE:
		method = "GET";
		path = "/v1/accounts";
		break;
	default:
		return -EINVAL;
	}
	err = net_http_tmpl_init(t, method, path, host);
	if (!err && op == VO_OP_PLACE)
		err = net_http_tmpl_header(t, "Content-Type", "application/json; charset=utf-8");
	if (!err)
		err = net_http_tmpl_header(t, "Accept", "application/json");
	return err;
}

/*
 * One member of the new order: "key":"val" into the body (a comma before
 * all but the first) and key=val into the query-hash input (an ampersand
 * before all but the first). Values are ours (symbols, numbers, client
 * ids): nothing to escape.
 */
static void uo_kv(struct net_http_req *r, struct uo_buf *q, const char *key, size_t klen,
		  const char *val, size_t vlen)
{
	if (q->len) {
		net_http_req_put(r, ",\"", 2);
		uo_put(q, "&", 1);
	} else {
		net_http_req_put(r, "{\"", 2);
	}
	net_http_req_put(r, key, klen);
	net_http_req_put(r, "\":\"", 3);
	net_http_req_put(r, val, vlen);
	net_http_req_put(r, "\"", 1);
	uo_put(q, key, klen);
	uo_put(q, "=", 1);
	uo_put(q, val, vlen);
}

#define UO_KV(r, q, key, val, vlen) uo_kv(r, q, key, sizeof(key) - 1, val, vlen)

static const struct venue_sym *uo_sym(const struct vo_ctx *c, uint32_t sym)
{
	return c->syms && sym < c->syms->n ? &c->syms->sym[sym] : NULL;
}

/*
 * The ord_type matrix (1.3): limit (GTC: no time_in_force; ioc; fok;
 * post_only, also for VO_POST_ONLY); a market buy is ord_type price with
 * price = the quote to spend; a market sell is ord_type market with
 * volume. Market orders take no time_in_force (they are IOC by nature: a
 * tif given with one is not sent).
 */
static int uo_place(struct vo_ctx *c, const struct vo_order *o, struct net_http_req *r)
{
	const struct venue_sym *s = uo_sym(c, o->sym);
	char qs[UO_QS_MAX], num[32], cid[VO_CID_MAX];
	struct uo_buf q = { .p = qs, .cap = sizeof(qs) };
	const char *side, *tif = NULL;
	bool buy = o->side == KIMP_SIDE_BUY;
	int n;

	if (!s || !o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL))
		return -EINVAL;
	side = buy ? "bid" : "ask";
	switch (o->type) {
	case VO_LIMIT:
	case VO_POST_ONLY:
		if (o->px <= 0 || o->qty <= 0)
			return -EINVAL;
		if (o->type == VO_POST_ONLY || o->tif == KIMP_TIF_POST_ONLY)
			tif = "post_only";
		else if (o->tif == KIMP_TIF_IOC)
			tif = "ioc";
		else if (o->tif == KIMP_TIF_FOK)
			tif = "fok";
		else if (o->tif != KIMP_TIF_GTC)
			return -EINVAL;
		break;
	case VO_MARKET:
		if (buy ? o->quote_qty <= 0 : o->qty <= 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	net_http_req_body(r);
	UO_KV(r, &q, "market", s->name, strlen(s->name));
	UO_KV(r, &q, "side", side, 3);
	if (o->type != VO_MARKET || !buy) {
		n = vo_put_fixed(num, o->qty, s->qty_dec);
		UO_KV(r, &q, "volume", num, (size_t)n);
	}
	if (o->type != VO_MARKET || buy) {
		n = vo_put_fixed(num, o->type == VO_MARKET ? o->quote_qty : o->px, s->px_dec);
		UO_KV(r, &q, "price", num, (size_t)n);
	}
	if (o->type != VO_MARKET)
		UO_KV(r, &q, "ord_type", "limit", 5);
	else if (buy)
		UO_KV(r, &q, "ord_type", "price", 5);
	else
		UO_KV(r, &q, "ord_type", "market", 6);
	if (tif)
		UO_KV(r, &q, "time_in_force", tif, strlen(tif));
	n = vo_cid_format(c, o->coid, cid);
	UO_KV(r, &q, "identifier", cid, (size_t)n);
	net_http_req_put(r, "}", 1);
	if (q.over)
		return -ENOSPC;
	return uo_auth_hdr(c, r, qs, q.len);
}

/* A venue order id we put in a URL: a uuid's characters only. */
static bool uo_oid_ok(const char *s, size_t n)
{
	if (!n || n >= VO_OID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return false;
	return true;
}

/* ?uuid=<oid> when the venue's id is known, else ?identifier=<cid>. */
static int uo_target(struct vo_ctx *c, const struct vo_order *o, struct net_http_req *r)
{
	char cid[VO_CID_MAX];

	if (o->oid && o->oid_len) {
		if (!uo_oid_ok(o->oid, o->oid_len))
			return -EINVAL;
		net_http_req_param(r, "uuid");
		net_http_req_put(r, o->oid, o->oid_len);
		return 0;
	}
	if (!o->coid)
		return -EINVAL;
	net_http_req_param(r, "identifier");
	net_http_req_put(r, cid, (size_t)vo_cid_format(c, o->coid, cid));
	return 0;
}

static int uo_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	struct net_http_str qs = { NULL, 0 };
	int err;

	switch (op) {
	case VO_OP_PLACE:
		err = o ? uo_place(c, o, r) : -EINVAL;
		break;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
		err = o ? uo_target(c, o, r) : -EINVAL;
		if (!err) {
			qs = net_http_req_query(r);
			err = qs.p ? uo_auth_hdr(c, r, qs.p, qs.len) : -ENOSPC;
		}
		break;
	case VO_OP_OPEN:
		net_http_req_param(r, "state");
		net_http_req_put(r, "wait", 4);
		net_http_req_param(r, "limit");
		net_http_req_put(r, UO_OPEN_LIMIT, sizeof(UO_OPEN_LIMIT) - 1);
		qs = net_http_req_query(r);
		err = qs.p ? uo_auth_hdr(c, r, qs.p, qs.len) : -ENOSPC;
		break;
	case VO_OP_KEEPALIVE:
		err = uo_auth_hdr(c, r, NULL, 0);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (!err && r->err)
		err = r->err == -ENOBUFS ? -ENOSPC : r->err;
	return err;
}

/* ---- reading: one walk over an object --------------------------------------- */

/* The fields any reply or message of ours may carry (DEFAULT, SIMPLE, REST). */
enum uo_field {
	F_TYPE = 0, F_CODE, F_UUID, F_SIDE, F_OTYPE, F_STATE, F_TUID, F_PX, F_VOL, F_RV,
	F_EV, F_PF, F_EF, F_TF, F_IM, F_ID, F_TTMS, F_TMS, F_STATUS, F_ERROR, F_TRADES,
	F_NAME, F_MESSAGE, F_FUNDS, F_N, F_UNKNOWN = F_N
};

/* V_* and struct uo_val: upbit_share.h (Bithumb reads with them too). */

struct uo_obj {
	struct uo_val v[F_N];
};

#define KEQ(p, lit) (!memcmp((p), lit, sizeof(lit) - 1))

/* Top-level keys: myOrder DEFAULT and SIMPLE, the REST order object, errors. */
static unsigned uo_key(const char *p, uint32_t n)
{
	switch (n) {
	case 1:
		return p[0] == 's' ? F_STATE : p[0] == 'p' ? F_PX : p[0] == 'v' ? F_VOL : F_UNKNOWN;
	case 2:
		return KEQ(p, "ty") ? F_TYPE : KEQ(p, "cd") ? F_CODE : KEQ(p, "ab") ? F_SIDE
		       : KEQ(p, "ot") ? F_OTYPE : KEQ(p, "rv") ? F_RV : KEQ(p, "ev") ? F_EV
		       : KEQ(p, "pf") ? F_PF : KEQ(p, "ef") ? F_EF : KEQ(p, "tf") ? F_TF
		       : KEQ(p, "im") ? F_IM : KEQ(p, "id") ? F_ID : F_UNKNOWN;
	case 3:
		return KEQ(p, "uid") ? F_UUID : KEQ(p, "tms") ? F_TMS : F_UNKNOWN;
	case 4:
		return KEQ(p, "type") ? F_TYPE : KEQ(p, "code") ? F_CODE : KEQ(p, "uuid") ? F_UUID
		       : KEQ(p, "side") ? F_SIDE : KEQ(p, "tuid") ? F_TUID
		       : KEQ(p, "ttms") ? F_TTMS : F_UNKNOWN;
	case 5:
		return KEQ(p, "state") ? F_STATE : KEQ(p, "price") ? F_PX
		       : KEQ(p, "error") ? F_ERROR : F_UNKNOWN;
	case 6:
		return KEQ(p, "market") ? F_CODE : KEQ(p, "volume") ? F_VOL
		       : KEQ(p, "status") ? F_STATUS : KEQ(p, "trades") ? F_TRADES : F_UNKNOWN;
	case 7:
		return KEQ(p, "ask_bid") ? F_SIDE : F_UNKNOWN;
	case 8:
		return KEQ(p, "ord_type") ? F_OTYPE : KEQ(p, "paid_fee") ? F_PF
		       : KEQ(p, "is_maker") ? F_IM : F_UNKNOWN;
	case 9:
		return KEQ(p, "trade_fee") ? F_TF : KEQ(p, "timestamp") ? F_TMS : F_UNKNOWN;
	case 10:
		return KEQ(p, "order_type") ? F_OTYPE : KEQ(p, "trade_uuid") ? F_TUID
		       : KEQ(p, "identifier") ? F_ID : F_UNKNOWN;
	case 14:
		return KEQ(p, "executed_funds") ? F_EF : F_UNKNOWN;
	case 15:
		return KEQ(p, "executed_volume") ? F_EV : KEQ(p, "trade_timestamp") ? F_TTMS
		       : F_UNKNOWN;
	case 16:
		return KEQ(p, "remaining_volume") ? F_RV : F_UNKNOWN;
	}
	return F_UNKNOWN;
}

/* Keys of an error object ({"name","message"}) and of a trade in trades[]. */
static unsigned uo_key_inner(const char *p, uint32_t n)
{
	switch (n) {
	case 4:
		return KEQ(p, "name") ? F_NAME : F_UNKNOWN;
	case 5:
		return KEQ(p, "funds") ? F_FUNDS : F_UNKNOWN;
	case 7:
		return KEQ(p, "message") ? F_MESSAGE : F_UNKNOWN;
	}
	return F_UNKNOWN;
}

/* One value at j into v (structures as their raw span, checked). */
static int uo_value(struct js *j, struct uo_val *v)
{
	const uint8_t *p0;
	struct js_str s;
	bool b;
	int err;

	switch (js_peek(j)) {
	case '"':
		err = js_string(j, &s);
		if (err)
			return err;
		*v = (struct uo_val){ .p = s.p, .len = s.len, .kind = V_STR, .esc = s.escaped };
		return 0;
	case '{':
	case '[':
		p0 = j->p;
		err = js_skip(j);
		if (err)
			return err;
		*v = (struct uo_val){ .p = (const char *)p0, .len = (uint32_t)(j->p - p0),
				      .kind = *p0 == '{' ? V_OBJ : V_ARR };
		return 0;
	case 't':
	case 'f':
		err = js_bool(j, &b);
		if (err)
			return err;
		v->kind = b ? V_TRUE : V_FALSE;
		return 0;
	case 'n':
		err = js_null(j);
		if (!err)
			v->kind = V_NULL;
		return err;
	default:
		p0 = j->p;
		err = js_number_inline(j);
		if (err)
			return err;
		*v = (struct uo_val){ .p = (const char *)p0, .len = (uint32_t)(j->p - p0),
				      .kind = V_NUM };
		return 0;
	}
}

/*
 * The object at j: every member's value checked, the known ones recorded
 * in v[0..nv) (keyed by 'key'); a known key twice is VD_E_SHAPE
 * (upbit_share.h: Bithumb's and Coinone's reader too).
 */
int uo_walk_vals(struct js *j, struct uo_val *vals, unsigned nv,
		 unsigned (*key)(const char *, uint32_t))
{
	bool first = true, done = false;
	struct js_str k;
	int err;

	memset(vals, 0, nv * sizeof(*vals));
	err = js_expect(j, '{');
	while (!err) {
		struct uo_val v = { 0 };
		unsigned id;

		err = js_key(j, &k, &first, &done);
		if (err || done)
			break;
		id = k.escaped ? nv : key(k.p, k.len);
		err = uo_value(j, &v);
		if (err || id >= nv)
			continue;
		if (vals[id].kind != V_NONE)
			err = -VD_E_SHAPE;
		vals[id] = v;
	}
	return err;
}

/* The object at j into o, keyed by 'key' (F_UNKNOWN = F_N: skipped). */
static int uo_walk(struct js *j, struct uo_obj *o, unsigned (*key)(const char *, uint32_t))
{
	return uo_walk_vals(j, o->v, F_N, key);
}

/* p[0..n) is one object and nothing else: its fields into o. */
static int uo_walk_all(const uint8_t *p, size_t n, struct uo_obj *o)
{
	struct js j;
	int err;

	js_init(&j, p, n);
	if (js_peek(&j) != '{') {
		err = js_skip(&j);
		if (!err)
			err = js_end(&j);
		return err ? err : -VD_E_TYPE;   /* JSON, but not an object */
	}
	err = uo_walk(&j, o, uo_key);
	return err ? err : js_end(&j);
}

/* uo_is, UO_IS: upbit_share.h. */

/* ---- numbers ----------------------------------------------------------------- */

/*
 * s[0..n), a JSON number, at dec decimals rounded to the nearest unit
 * (halves away from zero): for the amounts the venue gives finer than the
 * scale. 0 or VD_E_NUMBER.
 */
static kimp_cold int uo_round(const char *s, size_t n, unsigned dec, int64_t *out)
{
	static const uint64_t p10[19] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull,
	};
	const char *p = s, *end = s + n, *ip, *fp = s;
	int64_t e = 0, ilen, flen = 0, ndig, sh, keep;
	bool neg = false;
	uint64_t v = 0;

	if (dec > VENUE_DEC_MAX)
		return -VD_E_NUMBER;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	ilen = p - ip;
	if (!ilen || (ilen > 1 && *ip == '0'))
		return -VD_E_NUMBER;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		flen = p - fp;
		if (!flen)
			return -VD_E_NUMBER;
	}
	if (p < end && (*p | 0x20) == 'e') {
		bool eneg = false;
		const char *e0;

		if (++p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		e0 = p;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		if (p == e0)
			return -VD_E_NUMBER;
		if (eneg)
			e = -e;
	}
	if (p != end)
		return -VD_E_NUMBER;
	ndig = ilen + flen;
	sh = e - flen + (int64_t)dec;           /* places the digit string moves left */
	keep = ndig + (sh < 0 ? sh : 0);        /* digits left of the unit */
	for (int64_t i = 0; i < ndig && i < keep; i++) {
		unsigned d = (unsigned)((i < ilen ? ip[i] : fp[i - ilen]) - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -VD_E_NUMBER;
		v = v * 10 + d;
	}
	if (keep >= 0 && keep < ndig && (keep < ilen ? ip[keep] : fp[keep - ilen]) >= '5')
		v++;
	if (sh > 0 && v) {
		if (sh > 18 || v > (uint64_t)INT64_MAX / p10[sh])
			return -VD_E_NUMBER;
		v *= p10[sh];
	}
	if (v > (uint64_t)INT64_MAX)
		return -VD_E_NUMBER;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/*
 * An amount (a NumberString or a bare number; null or absent: *has false)
 * at dec decimals, not negative. 0, VD_E_NUMBER or VD_E_SHAPE.
 */
int uo_num(const struct uo_val *v, unsigned dec, int64_t *out, bool *has)
{
	int err;

	*out = 0;
	*has = false;
	if (v->kind == V_NONE || v->kind == V_NULL)
		return 0;
	if (v->kind != V_STR && v->kind != V_NUM)
		return -VD_E_SHAPE;
	if (v->esc)
		return -VD_E_NUMBER;
	err = js_fixed_str(v->p, v->len, dec, out);
	if (kimp_unlikely(err == -VD_E_NUMBER))
		err = uo_round(v->p, v->len, dec, out);
	if (!err && *out < 0)
		err = -VD_E_NUMBER;
	*has = !err;
	return err;
}

/* A millisecond timestamp as UTC ns (0: none). */
int uo_ms(const struct uo_val *v, int64_t *ns)
{
	int64_t ms;
	bool has;
	int err = uo_num(v, 0, &ms, &has);

	*ns = 0;
	if (err || !has)
		return err;
	if (ms > INT64_MAX / UO_NS_PER_MS)
		return -VD_E_NUMBER;
	*ns = ms * UO_NS_PER_MS;
	return 0;
}

/* The sum of trades[].funds at dec (GET /v1/order; upbit_share.h). */
int uo_trades_funds(const struct uo_val *arr, unsigned dec, int64_t *sum)
{
	bool first = true, done = false;
	struct uo_obj t;
	struct js j;
	int err;

	*sum = 0;
	js_init(&j, arr->p, arr->len);
	err = js_expect(&j, '[');
	while (!err) {
		int64_t f;
		bool has;

		err = js_elem(&j, &first, &done);
		if (err || done)
			break;
		if (js_peek(&j) != '{')
			return -VD_E_SHAPE;
		err = uo_walk(&j, &t, uo_key_inner);
		if (!err)
			err = uo_num(&t.v[F_FUNDS], dec, &f, &has);
		if (!err && f > INT64_MAX - *sum)
			err = -VD_E_NUMBER;
		if (!err)
			*sum += f;
	}
	return err;
}

/* ---- order objects and myOrder (1.3, 1.5) ---------------------------------- */

uint64_t uo_hash64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/*
 * The order in f (an order object or a myOrder message) into ev. o: the
 * request's order (REST), which names the symbol and client id when the
 * object does not.
 *
 * States: wait and watch ACKED (PARTIAL once executed_volume > 0); trade
 * (myOrder: one fill, price and volume are the fill's) PARTIAL, FILLED when
 * remaining_volume is 0; done FILLED; cancel and prevented CANCELLED (a
 * market buy by total that leaves dust ends cancel too, filled as far as
 * it went).
 */
static int uo_order(struct vo_ctx *c, const struct uo_obj *f, const struct vo_order *o,
		    struct vo_event *ev)
{
	const struct venue_sym *s = NULL;
	const struct uo_val *v;
	unsigned pdec = UO_SCALE_DEF, qdec = UO_SCALE_DEF;
	int64_t px, vol, rv, cum, pf, ef, tf;
	bool hpx, hvol, hrv, hcum, hpf, hef, htf, trade = false, limit = true;
	int err;

	ev->kind = VO_EV_ORDER;
	v = &f->v[F_CODE];
	if (v->kind == V_STR && c->syms)
		ev->sym = venue_symtab_find(c->syms, v->p, v->len);
	else if (v->kind != V_NONE && v->kind != V_STR && v->kind != V_NULL)
		return -VD_E_SHAPE;
	else if (v->kind != V_STR && o && uo_sym(c, o->sym))
		ev->sym = o->sym;
	s = ev->sym != VENUE_SYM_NONE ? uo_sym(c, ev->sym) : NULL;
	if (s) {
		pdec = s->px_dec;
		qdec = s->qty_dec;
	}

	v = &f->v[F_UUID];
	if (v->kind != V_STR || v->esc || !v->len || v->len >= VO_OID_MAX)
		return -VD_E_SHAPE;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';

	v = &f->v[F_STATE];
	if (UO_IS(v, "wait") || UO_IS(v, "watch"))
		ev->state = KIMP_ORD_ACKED;
	else if (UO_IS(v, "trade"))
		trade = true;
	else if (UO_IS(v, "done"))
		ev->state = KIMP_ORD_FILLED;
	else if (UO_IS(v, "cancel") || UO_IS(v, "prevented"))
		ev->state = KIMP_ORD_CANCELLED;
	else
		return -VD_E_SHAPE;

	v = &f->v[F_SIDE];
	if (UO_IS(v, "bid") || UO_IS(v, "BID"))
		ev->side = KIMP_SIDE_BUY;
	else if (UO_IS(v, "ask") || UO_IS(v, "ASK"))
		ev->side = KIMP_SIDE_SELL;
	else if (v->kind != V_NONE && v->kind != V_NULL)
		return -VD_E_SHAPE;

	v = &f->v[F_OTYPE];
	if (v->kind == V_STR)
		limit = UO_IS(v, "limit");      /* price, market, best: price is no unit price */
	else if (v->kind != V_NONE && v->kind != V_NULL)
		return -VD_E_SHAPE;

	v = &f->v[F_ID];
	if (v->kind == V_STR)
		ev->coid = v->esc ? 0 : vo_cid_parse(c, v->p, v->len);
	else if (v->kind != V_NONE && v->kind != V_NULL)
		return -VD_E_SHAPE;
	else if (o)
		ev->coid = o->coid;

	if ((err = uo_num(&f->v[F_PX], pdec, &px, &hpx)) ||
	    (err = uo_num(&f->v[F_VOL], qdec, &vol, &hvol)) ||
	    (err = uo_num(&f->v[F_RV], qdec, &rv, &hrv)) ||
	    (err = uo_num(&f->v[F_EV], qdec, &cum, &hcum)) ||
	    (err = uo_num(&f->v[F_PF], pdec, &pf, &hpf)) ||
	    (err = uo_num(&f->v[F_EF], pdec, &ef, &hef)) ||
	    (err = uo_num(&f->v[F_TF], pdec, &tf, &htf)))
		return err;
	v = &f->v[F_IM];
	if (v->kind != V_NONE && v->kind != V_NULL && v->kind != V_TRUE && v->kind != V_FALSE)
		return -VD_E_SHAPE;
	if (f->v[F_TUID].kind != V_NONE && f->v[F_TUID].kind != V_NULL &&
	    f->v[F_TUID].kind != V_STR)
		return -VD_E_SHAPE;

	ev->cum_qty = cum;
	if (trade) {
		ev->state = hrv && !rv ? KIMP_ORD_FILLED : KIMP_ORD_PARTIAL;
		if (hpx && hvol) {
			ev->flags |= VO_F_LAST;
			ev->last_px = px;
			ev->last_qty = vol;
			ev->last_fee = tf;
			if (f->v[F_IM].kind == V_TRUE)
				ev->flags |= VO_F_MAKER;
			if (f->v[F_TUID].kind == V_STR)
				ev->trade_id = uo_hash64(f->v[F_TUID].p, f->v[F_TUID].len);
		}
	} else {
		if (ev->state == KIMP_ORD_ACKED && cum > 0)
			ev->state = KIMP_ORD_PARTIAL;
		ev->px = limit ? px : 0;
		ev->qty = vol;
	}
	if (hef) {
		ev->cum_quote = ef;
	} else if (f->v[F_TRADES].kind == V_ARR) {
		err = uo_trades_funds(&f->v[F_TRADES], pdec, &ev->cum_quote);
		if (err)
			return err;
	} else if (f->v[F_TRADES].kind != V_NONE && f->v[F_TRADES].kind != V_NULL) {
		return -VD_E_SHAPE;
	} else if (cum > 0) {
		/*
		 * The known gap (above): filled, but at what price this reply
		 * does not say. Say only that the venue has the order; its
		 * fills come whole from myOrder or a query.
		 */
		ev->state = KIMP_ORD_ACKED;
		ev->cum_qty = 0;
		ev->fee_asset = 0;
		return uo_ms(&f->v[F_TMS], &ev->venue_ts_ns);
	}
	if (hpf) {
		ev->cum_fee = pf;
		ev->flags |= VO_F_CUM_FEE;
	}
	ev->fee_asset = 0;      /* KRW markets: the fee is in the quote */
	err = uo_ms(trade && f->v[F_TTMS].kind == V_NUM ? &f->v[F_TTMS] : &f->v[F_TMS],
		    &ev->venue_ts_ns);
	return err;
}

/* ---- errors -------------------------------------------------------------------- */

/* {"name":<string|int>,"message":<string>} at err into ev->code, ev->msg. */
static int uo_err_body(const struct uo_val *err, struct vo_event *ev, int *idx)
{
	struct uo_obj e;
	struct js j;
	const struct uo_val *n;
	int r;

	*idx = -1;
	if (err->kind != V_OBJ)
		return -VD_E_SHAPE;
	js_init(&j, err->p, err->len);
	r = uo_walk(&j, &e, uo_key_inner);
	if (r)
		return r;
	n = &e.v[F_NAME];
	if (n->kind == V_STR) {
		*idx = n->esc ? -1 : uo_err_index(uo_errs, E_N, n->p, n->len);
		ev->code = *idx >= 0 ? UO_ERR_BASE + *idx : UO_ERR_OTHER;
		ev->msg = n->p;                 /* the name says more than the text */
		ev->msg_len = n->len;
	} else if (n->kind == V_NUM) {
		int64_t num;

		if (js_fixed_str(n->p, n->len, 0, &num) || num < 0 || num > INT32_MAX)
			return -VD_E_NUMBER;
		ev->code = (int32_t)num;
		if (e.v[F_MESSAGE].kind == V_STR) {
			ev->msg = e.v[F_MESSAGE].p;
			ev->msg_len = e.v[F_MESSAGE].len;
		}
	} else {
		return -VD_E_SHAPE;
	}
	if (e.v[F_MESSAGE].kind != V_NONE && e.v[F_MESSAGE].kind != V_STR &&
	    e.v[F_MESSAGE].kind != V_NULL)
		return -VD_E_SHAPE;
	return 0;
}

/* Retry-After (seconds) from now on the venue clock, or 0 without one. */
static uint64_t uo_retry_at(const struct vo_ctx *c, const struct net_http_parser *msg)
{
	uint64_t s;

	if (!msg || net_http_header_u64(msg, "Retry-After", &s) || s > UINT32_MAX)
		return 0;
	return (uint64_t)vo_server_ms(c) + s * 1000;
}

/* The index of name[0..len) in t[0..n), or -1 (upbit_share.h). */
int uo_err_index(const struct uo_errdef *t, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(t[i].name) == len && !memcmp(t[i].name, name, len))
			return i;
	return -1;
}

/*
 * What a REST error means for op's order (1.6; upbit_share.h). Upbit:
 * 429 and 418 never prove a refusal (the doc: a 429 on POST /v1/orders may
 * still have placed it), nor does a 5xx; duplicated_identifier
 * (UO_EF_UNKNOWN) says an order with this client id exists or once did (so
 * the earlier send may have placed it): UNKNOWN, settled by a query.
 * order_not_found on a cancel: exsim answers it for an order that is final
 * as well as for one it never had, so the cancel is refused and a query
 * tells which. Other 4xx: the venue refused the request and did nothing;
 * auth names also stick (VO_F_AUTH; nonce_used is this request's nonce
 * only).
 */
void uo_err_outcome(const struct vo_ctx *c, enum vo_op op, uint16_t status, unsigned fl,
		    const struct net_http_parser *msg, struct vo_event *ev)
{
	if (fl & UO_EF_AUTH)
		ev->flags |= VO_F_AUTH;
	if (fl & UO_EF_CLOCK)
		ev->flags |= VO_F_CLOCK;
	if (status == 418) {
		ev->outcome = VO_OUT_UNKNOWN;
		ev->flags |= VO_F_BAN;
		ev->retry_at_ms = uo_retry_at(c, msg);
	} else if (status == 429 || (fl & UO_EF_RATE_REST)) {
		ev->outcome = VO_OUT_UNKNOWN;
		ev->flags |= VO_F_RATE;
		ev->retry_at_ms = uo_retry_at(c, msg);
		if (!ev->retry_at_ms)   /* the window is a second: the next one */
			ev->retry_at_ms = ((uint64_t)vo_server_ms(c) / 1000 + 1) * 1000;
	} else if (status >= 500 || status < 400 || (fl & UO_EF_UNKNOWN)) {
		ev->outcome = VO_OUT_UNKNOWN;
	} else if ((fl & UO_EF_NOT_FOUND) && op == VO_OP_QUERY) {
		ev->outcome = VO_OUT_NOT_FOUND;
	} else if ((fl & UO_EF_NOT_FOUND) && op == VO_OP_CANCEL) {
		ev->outcome = VO_OUT_CANCEL_REJECTED;
	} else {
		ev->outcome = VO_OUT_REJECTED;
	}
}

/* ---- REST replies ------------------------------------------------------------- */

/* Remaining-Req: group=order; min=480; sec=7 -> {rule, is_left, sec}. */
static void uo_rate_obs(const struct net_http_parser *msg, struct vo_rate_obs *r)
{
	struct net_http_str h, g, s;
	uint64_t sec;
	unsigned rule;

	if (!msg)
		return;
	h = net_http_header(msg, "Remaining-Req");
	if (!h.p || net_http_param(h, "group", &g) || net_http_param(h, "sec", &s) ||
	    net_http_str_u64(s, &sec))
		return;
	if (g.len == 5 && !memcmp(g.p, "order", 5))
		rule = R_ORDER;
	else if (g.len == 7 && !memcmp(g.p, "default", 7))
		rule = R_DEFAULT;
	else
		return;                 /* order-test, market...: not ours */
	r->v[r->n].rule = (uint8_t)rule;
	r->v[r->n].is_left = 1;
	r->v[r->n].value = sec > UINT32_MAX ? UINT32_MAX : (uint32_t)sec;
	r->n++;
}

/* A whole JSON value in p[0..n) (the bodies we only check). */
int uo_check_json(const uint8_t *p, size_t n)
{
	struct js j;
	int err;

	js_init(&j, p, n);
	err = js_skip(&j);
	return err ? err : js_end(&j);
}

static int uo_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg, const uint8_t *body,
			 size_t len, struct vo_event *ev)
{
	struct uo_obj f;
	int err, idx = -1;

	vo_event_reset(ev);
	ev->http_status = status;
	uo_rate_obs(msg, &ev->rate);
	if (status >= 200 && status < 300) {
		switch (op) {
		case VO_OP_PLACE:
		case VO_OP_CANCEL:
		case VO_OP_QUERY:
			err = uo_walk_all(body, len, &f);
			if (err)
				goto fail;
			if (f.v[F_ERROR].kind != V_NONE)
				break;          /* an error in a 2xx: ambiguous, below */
			err = uo_order(c, &f, o, ev);
			if (err)
				goto fail;
			return 0;
		case VO_OP_OPEN:
		case VO_OP_KEEPALIVE:
			err = uo_check_json(body, len);
			if (err)
				goto fail;
			ev->kind = VO_EV_CONTROL;
			return 0;
		default:
			err = -VD_E_TYPE;
			goto fail;
		}
	}
	ev->kind = VO_EV_ERROR;
	err = uo_walk_all(body, len, &f);
	if (!err)
		err = uo_err_body(&f.v[F_ERROR], ev, &idx);
	if (err) {
		/* a limit, a ban or a server fault says enough by its status */
		if (status != 429 && status != 418 && status < 500)
			goto fail;
		ev->code = 0;
		ev->msg = NULL;
		ev->msg_len = 0;
		idx = -1;
	}
	uo_err_outcome(c, op, status, uo_err_flags(uo_errs, idx), msg, ev);
	return 0;
fail:
	vo_event_reset(ev);
	return err;
}

/* The open-orders array (every element checked first, then each()). */
static int uo_list_walk(const struct uo_list_ops *ops, struct vo_ctx *c, const uint8_t *body,
			size_t len, void (*each)(void *arg, const struct vo_event *ev), void *arg,
			const struct vo_rate_obs *rate, uint16_t status)
{
	bool first = true, done = false;
	struct vo_event ev;
	struct js j;
	int err, n = 0;

	js_init(&j, body, len);
	err = js_expect(&j, '[');
	while (!err) {
		err = js_elem(&j, &first, &done);
		if (err || done)
			break;
		if (js_peek(&j) != '{')
			return -VD_E_SHAPE;
		err = ops->one(c, &j, status, &ev);
		if (err)
			break;
		if (each) {
			ev.rate = *rate;
			each(arg, &ev);
		}
		if (n == INT_MAX)
			return -VD_E_SHAPE;
		n++;
	}
	if (!err)
		err = js_end(&j);
	return err ? err : n;
}

int uo_rest_parse_list_as(const struct uo_list_ops *ops, struct vo_ctx *c, uint16_t status,
			  const struct net_http_parser *msg, const uint8_t *body, size_t len,
			  void (*each)(void *arg, const struct vo_event *ev), void *arg)
{
	struct vo_event ev;
	struct vo_rate_obs rate = { 0 };
	int n;

	if (status < 200 || status >= 300) {
		if (each && !ops->rest_parse(c, VO_OP_OPEN, NULL, status, msg, body, len, &ev))
			each(arg, &ev);
		return -VD_E_TYPE;
	}
	ops->rate_obs(msg, &rate);
	n = uo_list_walk(ops, c, body, len, NULL, NULL, &rate, status);
	if (n > 0)
		n = uo_list_walk(ops, c, body, len, each, arg, &rate, status);
	return n;
}

/* One element of GET /v1/orders/open (struct uo_list_ops.one). */
static int uo_list_one(struct vo_ctx *c, struct js *j, uint16_t status, struct vo_event *ev)
{
	struct uo_obj f;
	int err = uo_walk(j, &f, uo_key);

	if (err)
		return err;
	vo_event_reset(ev);
	ev->http_status = status;
	return uo_order(c, &f, NULL, ev);
}

static const struct uo_list_ops uo_list_ops = {
	.one = uo_list_one,
	.rest_parse = uo_rest_parse,
	.rate_obs = uo_rate_obs,
};

static int uo_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body, size_t len,
			      void (*each)(void *arg, const struct vo_event *ev), void *arg)
{
	return uo_rest_parse_list_as(&uo_list_ops, c, status, msg, body, len, each, arg);
}

/* ---- the private stream (1.4, 1.5) ------------------------------------------- */

static const char *uo_ws_path(enum vo_chan ch)
{
	return ch == VO_CH_PRIV ? "/websocket/v1/private" : NULL;
}

/* The upgrade's Authorization line: a JWT of access_key and nonce only. */
static int uo_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	return uo_jwt_ws_headers(c, ch, false, out, cap);
}

int uo_ws_sub_my_order(struct vo_ctx *c, char *out, size_t cap)
{
	char ticket[37];
	struct uo_buf b = { .p = out, .cap = cap };

	vo_nonce_uuid(c, ticket);
	UO_LIT(&b, "[{\"ticket\":\"");
	uo_put(&b, ticket, strlen(ticket));
	UO_LIT(&b, "\"},{\"type\":\"myOrder\"},{\"format\":\"DEFAULT\"}]");
	if (b.over || b.len >= cap)
		return -ENOSPC;
	out[b.len] = '\0';
	return (int)b.len;
}

/*
 * [{"ticket":"<uuid>"},{"type":"myOrder"},{"format":"DEFAULT"}]: every
 * market's orders (no codes), no myAsset (balances are not orderd's).
 */
static int uo_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	if (ch != VO_CH_PRIV || op != VO_OP_SUBSCRIBE)
		return -EINVAL;
	return uo_ws_sub_my_order(c, out, cap);
}

/*
 * myOrder (DEFAULT or SIMPLE keys) -> VO_EV_ORDER; myAsset and
 * {"status":"UP"} -> VO_EV_CONTROL; {"error":{...}} -> VO_EV_ERROR
 * (REJECTED: the request was refused and the venue closes the socket;
 * INVALID_AUTH sticks, TOO_MANY_REQUEST is a rate event).
 */
static int uo_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	struct uo_obj f;
	int err, idx;

	vo_event_reset(ev);
	if (ch != VO_CH_PRIV)
		return -VD_E_TYPE;
	err = uo_walk_all(p, len, &f);
	if (err)
		goto fail;
	if (f.v[F_ERROR].kind != V_NONE) {
		ev->kind = VO_EV_ERROR;
		err = uo_err_body(&f.v[F_ERROR], ev, &idx);
		if (err)
			goto fail;
		ev->outcome = VO_OUT_REJECTED;
		if (uo_err_flags(uo_errs, idx) & UO_EF_AUTH)
			ev->flags |= VO_F_AUTH;
		if (uo_err_flags(uo_errs, idx) & UO_EF_RATE)
			ev->flags |= VO_F_RATE;
		return 0;
	}
	if (UO_IS(&f.v[F_TYPE], "myOrder")) {
		err = uo_order(c, &f, NULL, ev);
		if (err)
			goto fail;
		return 0;
	}
	if (UO_IS(&f.v[F_TYPE], "myAsset") ||
	    (f.v[F_TYPE].kind == V_NONE && UO_IS(&f.v[F_STATUS], "UP"))) {
		ev->kind = VO_EV_CONTROL;
		err = uo_ms(&f.v[F_TMS], &ev->venue_ts_ns);
		if (err)
			goto fail;
		return 0;
	}
	err = f.v[F_TYPE].kind == V_NONE || f.v[F_TYPE].kind == V_STR ? -VD_E_TYPE : -VD_E_SHAPE;
fail:
	vo_event_reset(ev);
	return err;
}

/* ---- the table ------------------------------------------------------------------ */

#define UO_REST VO_CHBIT(VO_CH_REST)

const struct venue_ord venue_ord_upbit = {
	.venue = KIMP_VENUE_UPBIT,
	.name = "upbit",
	.rest_url = "https://api.upbit.com",
	.wsapi_url = NULL,
	.priv_url = "wss://api.upbit.com/websocket/v1/private",
	.chans = {
		[VO_OP_PLACE] = UO_REST,
		[VO_OP_CANCEL] = UO_REST,
		[VO_OP_QUERY] = UO_REST,
		[VO_OP_OPEN] = UO_REST,
		[VO_OP_KEEPALIVE] = UO_REST,
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_PRIV),
	},
	.user_data_on_wsapi = false,
	.cancel_async = true,
	.market_buy_by_quote = true,
	.hash_sha = VENUE_SHA512,
	/* the doc keeps pings <= 30 s apart; idle sockets die at ~60 s (exsim too) */
	.ping_every_ns = 20 * UO_NS_PER_S,
	.conn_life_ns = 0,
	.rates = uo_rates,
	.nrates = R_N,
	.cost = uo_cost,
	.connect_cost = uo_connect_cost,
	.key_init = uo_key_init,
	.rest_tmpl = uo_rest_tmpl,
	.rest_build = uo_rest_build,
	.rest_parse = uo_rest_parse,
	.rest_parse_list = uo_rest_parse_list,
	.ws_build = uo_ws_build,
	.ws_path = uo_ws_path,
	.ws_headers = uo_ws_headers,
	.ws_parse = uo_ws_parse,
	.sign_payload = uo_sign_payload,
	.err_name = uo_err_name,
};
