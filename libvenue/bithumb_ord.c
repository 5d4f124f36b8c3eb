/* SPDX-License-Identifier: MIT */
/*
 * Bithumb order entry (kimp/venue_ord.h), as shared/docs/venues/
 * exchanges-kr.md 2.2-2.5 describes it; the choices where the doc is open
 * are written down in /work/notes/venue_bithumb.md ("## client").
 *
 * REST (base https://api.bithumb.com):
 *   PLACE      POST /v2/orders, a JSON body (every value a string) in the
 *              key order market, side, volume, price, order_type,
 *              time_in_force, client_order_id, with only the keys the
 *              order type takes (limit: volume + price; price = market buy:
 *              the KRW to spend as price; market = market sell: volume).
 *              The reply (UNCONFIRMED in the doc) is taken to be the
 *              accepted order without a state ({order_id, client_order_id,
 *              market, side, order_type, created_at}): ACKED.
 *   CANCEL     DELETE /v2/order?order_id=<oid> (client_order_id=<cid> when
 *              the venue's id is not known); asynchronous: the reply
 *              {order_id, created_at} says it was taken (ACKED)
 *   QUERY      GET /v1/order?uuid=<oid> (or client_order_id=<cid>): the v1
 *              order object with trades[]
 *   OPEN       GET /v1/orders?state=wait&limit=100
 *   KEEPALIVE  GET /v1/accounts (authenticated, no parameters)
 * Every request carries Authorization: Bearer <JWT>, HS256 over the
 * secret's raw bytes, payload access_key, a fresh UUID nonce, timestamp
 * (ms, on the venue's clock as orderd keeps it) and, for a request with
 * parameters, query_hash (SHA-512 hex of the query string as sent; for the
 * POST body its keys in body order as k=v&...) and query_hash_alg SHA512
 * (2.3). A repeated client_order_id returns the existing order (the venue
 * is idempotent there), so a retried PLACE cannot place twice.
 *
 * Private stream wss://ws-api.bithumb.com/websocket/v2/private: the
 * upgrade carries the JWT (access_key, nonce, timestamp); one request
 * subscribes myOrder for every market. No subscription answer comes.
 * v2 myOrder (2.4): order_id, client_order_id, side buy/sell, state
 * wait/trade/done/cancel, order_price/order_quantity (the order),
 * trade_price/trade_quantity (this fill), executed_quantity,
 * remaining_quantity, executed_amount, paid_fee, trade_id, timestamps;
 * fields without a value are left out. The v1 shape (uuid, ask_bid, price
 * and volume being the fill's in state trade) reads too.
 *
 * The object reader, the amounts (rounded to the scale where the venue
 * gives more decimals), ms timestamps and trade-id hashing are Upbit's
 * (upbit_share.h). Nothing on the build and parse paths allocates, locks,
 * formats with printf or makes a system call.
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

#define BO_NS_PER_S     1000000000ull
#define BO_SCALE_DEF    8               /* amounts of a market not in the table */
#define BO_QS_MAX       512             /* a new order's query-hash input */
#define BO_OPEN_LIMIT   "100"

/* ---- rate limits (2.5) ------------------------------------------------------- */

enum { R_ORDER = 0, R_PRIVATE, R_WS_CONNECT, R_N };

/*
 * Private: 140/s per IP for each of order, cancel and other, budgeted here
 * as one pool (the header x-ratelimit-remaining does not say which).
 * Orders: 10/s on top, a third party's figure the doc could not confirm:
 * budgeted until the venue shows otherwise (the doc also warns that more
 * than 20 a second on one asset may be restricted). Connections: 10/s per
 * IP, public and private together.
 */
static const struct vo_rate_rule bo_rates[R_N] = {
	[R_ORDER] = { "order", VO_RS_IP, false, 10, BO_NS_PER_S },
	[R_PRIVATE] = { "private", VO_RS_IP, false, 140, BO_NS_PER_S },
	[R_WS_CONNECT] = { "websocket-connect", VO_RS_IP, false, 10, BO_NS_PER_S },
};

static uint16_t bo_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	if (ch != VO_CH_REST)
		return 0;
	switch (op) {
	case VO_OP_PLACE:
		return rule == R_ORDER || rule == R_PRIVATE;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
	case VO_OP_OPEN:
	case VO_OP_KEEPALIVE:
		return rule == R_PRIVATE;
	default:
		return 0;
	}
}

static uint16_t bo_connect_cost(enum vo_chan ch, unsigned rule)
{
	return ch == VO_CH_PRIV && rule == R_WS_CONNECT;
}

/* ---- error names (2.5; the API mirrors Upbit's names) ---------------------------- */

/*
 * vo_event.code of a name is BO_ERR_BASE + its index: append only, never
 * reorder (codes are logged and journaled). A name not here is
 * BO_ERR_OTHER; a numeric name (the public API's {"name":404}) is that
 * number.
 */
#define BO_ERR_BASE     1000
#define BO_ERR_OTHER    1999

enum bo_err {
	E_VALIDATION = 0, E_INVALID_PARAMETER, E_CREATE_BID, E_CREATE_ASK, E_TIF, E_POST_ONLY,
	E_NOTFOUNDMARKET, E_FUNDS_BID, E_FUNDS_ASK, E_MIN_BID, E_MIN_ASK, E_PRICE_BID,
	E_PRICE_ASK, E_CROSS, E_QUERY_PAYLOAD, E_JWT, E_EXPIRED_KEY, E_EXPIRED_JWT, E_NONCE,
	E_NO_AUTH_IP, E_NO_AUTH_TOKEN, E_INVALID_KEY, E_OUT_OF_SCOPE, E_MARKET_OFFLINE,
	E_NOT_FOUND, E_TOO_MANY, E_SERVER, E_WS_NO_TICKET, E_WS_INVALID_PARAM,
	E_WS_WRONG_FORMAT, E_WS_INVALID_AUTH, E_WS_NO_CODES, E_WS_NO_TYPE, E_WS_TOO_MANY, E_N
};

static const struct uo_errdef bo_errs[E_N] = {
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
	[E_CROSS] = { "cross_trading", 0 },     /* STP cancelled the new order */
	/* 401, 403 */
	[E_QUERY_PAYLOAD] = { "invalid_query_payload", UO_EF_AUTH },
	[E_JWT] = { "jwt_verification", UO_EF_AUTH },
	[E_EXPIRED_KEY] = { "expired_access_key", UO_EF_AUTH },
	[E_EXPIRED_JWT] = { "expired_jwt", UO_EF_CLOCK },  /* this token's timestamp: clock */
	[E_NONCE] = { "nonce_used", 0 },        /* this request's nonce only */
	[E_NO_AUTH_IP] = { "no_authorization_ip", UO_EF_AUTH },
	[E_NO_AUTH_TOKEN] = { "no_authorization_token", UO_EF_AUTH },
	[E_INVALID_KEY] = { "invalid_access_key", UO_EF_AUTH },
	[E_OUT_OF_SCOPE] = { "out_of_scope", UO_EF_AUTH },
	[E_MARKET_OFFLINE] = { "market_offline", 0 },
	/* 404, 429, 5xx */
	[E_NOT_FOUND] = { "order_not_found", UO_EF_NOT_FOUND },
	[E_TOO_MANY] = { "too_many_requests", UO_EF_RATE | UO_EF_RATE_REST },
	[E_SERVER] = { "server_error", 0 },
	/* WebSocket (2.1) */
	[E_WS_NO_TICKET] = { "NO_TICKET", 0 },
	[E_WS_INVALID_PARAM] = { "INVALID_PARAM", 0 },
	[E_WS_WRONG_FORMAT] = { "WRONG_FORMAT", 0 },
	[E_WS_INVALID_AUTH] = { "INVALID_AUTH", UO_EF_AUTH },
	[E_WS_NO_CODES] = { "NO_CODES", 0 },
	[E_WS_NO_TYPE] = { "NO_TYPE", 0 },
	[E_WS_TOO_MANY] = { "TOO_MANY_REQUEST", UO_EF_RATE | UO_EF_RATE_REST },
};

static const char *bo_err_name(int32_t code)
{
	if (code < BO_ERR_BASE || code >= BO_ERR_BASE + E_N)
		return NULL;
	return bo_errs[code - BO_ERR_BASE].name;
}

/* ---- keys and the JWT (2.3) ----------------------------------------------------- */

/*
 * The access key goes into the JWT payload as it is (uo_jwt_key_init,
 * upbit_share.h); the secret is used as raw bytes (HS256). No passphrase.
 */
static kimp_cold int bo_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
{
	return uo_jwt_key_init(k, api_key, secret, slen, VENUE_SHA256);
}

/* struct uo_buf, uo_put, UO_LIT: upbit_share.h. */

/*
 * The tokens carry the venue clock's ms as "timestamp" (2.1): uo_jwt_make
 * (upbit_share.h). Authorization: Bearer <jwt> into r's head.
 */
static int bo_auth_hdr(struct vo_ctx *c, struct net_http_req *r, const char *qs, size_t qn)
{
	return uo_jwt_auth_hdr(c, r, qs, qn, true);
}

static int bo_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	return uo_jwt_make(c, payload, n, true, out, cap);
}

/* ---- REST requests (2.2) --------------------------------------------------------- */

static int bo_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
			struct net_http_tmpl *t)
{
	const char *method, *path;
	int err;

	switch (op) {
	case VO_OP_PLACE:
		method = "POST";
		path = "/v2/orders";
		break;
	case VO_OP_CANCEL:
		method = "DELETE";
		path = "/v2/order";
		break;
	case VO_OP_QUERY:
		method = "GET";
		path = "/v1/order";
		break;
	case VO_OP_OPEN:
		method = "GET";
		path = "/v1/orders";
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
 * One member of the new order: "key":"val" into the body and key=val into
 * the query-hash input. Values are ours (symbols, numbers, client ids):
 * nothing to escape.
 */
static void bo_kv(struct net_http_req *r, struct uo_buf *q, const char *key, size_t klen,
		  const char *val, size_t vlen)
{
	net_http_req_put(r, q->len ? ",\"" : "{\"", 2);
	if (q->len)
		uo_put(q, "&", 1);
	net_http_req_put(r, key, klen);
	net_http_req_put(r, "\":\"", 3);
	net_http_req_put(r, val, vlen);
	net_http_req_put(r, "\"", 1);
	uo_put(q, key, klen);
	uo_put(q, "=", 1);
	uo_put(q, val, vlen);
}

#define BO_KV(r, q, key, val, vlen) bo_kv(r, q, key, sizeof(key) - 1, val, vlen)

static const struct venue_sym *bo_sym(const struct vo_ctx *c, uint32_t sym)
{
	return c->syms && sym < c->syms->n ? &c->syms->sym[sym] : NULL;
}

/*
 * order_type limit (GTC: no time_in_force; ioc; fok; post_only, also for
 * VO_POST_ONLY); a market buy is order_type price with price = the KRW to
 * spend; a market sell is order_type market with volume (market orders
 * take no time_in_force).
 */
static int bo_place(struct vo_ctx *c, const struct vo_order *o, struct net_http_req *r)
{
	const struct venue_sym *s = bo_sym(c, o->sym);
	char qs[BO_QS_MAX], num[32], cid[VO_CID_MAX];
	struct uo_buf q = { .p = qs, .cap = sizeof(qs) };
	const char *tif = NULL;
	bool buy = o->side == KIMP_SIDE_BUY;
	int n;

	if (!s || !o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL))
		return -EINVAL;
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
	BO_KV(r, &q, "market", s->name, strlen(s->name));
	BO_KV(r, &q, "side", buy ? "bid" : "ask", 3);
	if (o->type != VO_MARKET || !buy) {
		n = vo_put_fixed(num, o->qty, s->qty_dec);
		BO_KV(r, &q, "volume", num, (size_t)n);
	}
	if (o->type != VO_MARKET || buy) {
		n = vo_put_fixed(num, o->type == VO_MARKET ? o->quote_qty : o->px, s->px_dec);
		BO_KV(r, &q, "price", num, (size_t)n);
	}
	if (o->type != VO_MARKET)
		BO_KV(r, &q, "order_type", "limit", 5);
	else if (buy)
		BO_KV(r, &q, "order_type", "price", 5);
	else
		BO_KV(r, &q, "order_type", "market", 6);
	if (tif)
		BO_KV(r, &q, "time_in_force", tif, strlen(tif));
	n = vo_cid_format(c, o->coid, cid);
	BO_KV(r, &q, "client_order_id", cid, (size_t)n);
	net_http_req_put(r, "}", 1);
	if (q.over)
		return -ENOSPC;
	return bo_auth_hdr(c, r, qs, q.len);
}

/* A venue order id we put in a URL ("C0101000000001799625"). */
static bool bo_oid_ok(const char *s, size_t n)
{
	if (!n || n >= VO_OID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/*
 * The venue's id (oid_key: order_id on v2, uuid on v1) when known, else
 * client_order_id=<cid>.
 */
static int bo_target(struct vo_ctx *c, const struct vo_order *o, const char *oid_key,
		     struct net_http_req *r)
{
	char cid[VO_CID_MAX];

	if (o->oid && o->oid_len) {
		if (!bo_oid_ok(o->oid, o->oid_len))
			return -EINVAL;
		net_http_req_param(r, oid_key);
		net_http_req_put(r, o->oid, o->oid_len);
		return 0;
	}
	if (!o->coid)
		return -EINVAL;
	net_http_req_param(r, "client_order_id");
	net_http_req_put(r, cid, (size_t)vo_cid_format(c, o->coid, cid));
	return 0;
}

static int bo_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	struct net_http_str qs = { NULL, 0 };
	int err;

	switch (op) {
	case VO_OP_PLACE:
		err = o ? bo_place(c, o, r) : -EINVAL;
		break;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
		err = o ? bo_target(c, o, op == VO_OP_CANCEL ? "order_id" : "uuid", r) : -EINVAL;
		if (!err) {
			qs = net_http_req_query(r);
			err = qs.p ? bo_auth_hdr(c, r, qs.p, qs.len) : -ENOSPC;
		}
		break;
	case VO_OP_OPEN:
		net_http_req_param(r, "state");
		net_http_req_put(r, "wait", 4);
		net_http_req_param(r, "limit");
		net_http_req_put(r, BO_OPEN_LIMIT, sizeof(BO_OPEN_LIMIT) - 1);
		qs = net_http_req_query(r);
		err = qs.p ? bo_auth_hdr(c, r, qs.p, qs.len) : -ENOSPC;
		break;
	case VO_OP_KEEPALIVE:
		err = bo_auth_hdr(c, r, NULL, 0);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (!err && r->err)
		err = r->err == -ENOBUFS ? -ENOSPC : r->err;
	return err;
}

/* ---- reading ----------------------------------------------------------------------- */

/* The fields of a REST order object, a v2 reply, v1/v2 myOrder, errors. */
enum bo_field {
	F_TYPE = 0, F_CODE, F_OID, F_COID, F_SIDE, F_OTYPE, F_STATE, F_PX, F_VOL, F_RV, F_EV,
	F_EF, F_PF, F_TP, F_TQ, F_TID, F_TTMS, F_TMS, F_STATUS, F_ERROR, F_TRADES, F_N,
	F_UNKNOWN = F_N
};

#define KEQ(p, lit) (!memcmp((p), lit, sizeof(lit) - 1))

/* Top-level keys, DEFAULT and SIMPLE (2.4), v1 and v2 spellings. */
static unsigned bo_key(const char *p, uint32_t n)
{
	switch (n) {
	case 1:
		return p[0] == 's' ? F_STATE : F_UNKNOWN;
	case 2:
		return KEQ(p, "ty") ? F_TYPE : KEQ(p, "cd") ? F_CODE : KEQ(p, "sd") ? F_SIDE
		       : KEQ(p, "ot") ? F_OTYPE : KEQ(p, "op") ? F_PX : KEQ(p, "oq") ? F_VOL
		       : KEQ(p, "rq") ? F_RV : KEQ(p, "eq") ? F_EV : KEQ(p, "ea") ? F_EF
		       : KEQ(p, "pf") ? F_PF : KEQ(p, "tp") ? F_TP : KEQ(p, "tq") ? F_TQ
		       : F_UNKNOWN;
	case 3:
		return KEQ(p, "oid") ? F_OID : KEQ(p, "tid") ? F_TID : KEQ(p, "tms") ? F_TMS
		       : F_UNKNOWN;
	case 4:
		return KEQ(p, "type") ? F_TYPE : KEQ(p, "code") ? F_CODE : KEQ(p, "uuid") ? F_OID
		       : KEQ(p, "side") ? F_SIDE : KEQ(p, "coid") ? F_COID
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
		return KEQ(p, "ord_type") ? F_OTYPE : KEQ(p, "order_id") ? F_OID
		       : KEQ(p, "paid_fee") ? F_PF : KEQ(p, "trade_id") ? F_TID : F_UNKNOWN;
	case 9:
		return KEQ(p, "timestamp") ? F_TMS : F_UNKNOWN;
	case 10:
		return KEQ(p, "order_type") ? F_OTYPE : KEQ(p, "trade_uuid") ? F_TID : F_UNKNOWN;
	case 11:
		return KEQ(p, "order_price") ? F_PX : KEQ(p, "trade_price") ? F_TP : F_UNKNOWN;
	case 14:
		return KEQ(p, "order_quantity") ? F_VOL : KEQ(p, "trade_quantity") ? F_TQ
		       : KEQ(p, "executed_funds") ? F_EF : F_UNKNOWN;
	case 15:
		return KEQ(p, "client_order_id") ? F_COID : KEQ(p, "executed_volume") ? F_EV
		       : KEQ(p, "executed_amount") ? F_EF : KEQ(p, "trade_timestamp") ? F_TTMS
		       : F_UNKNOWN;
	case 16:
		return KEQ(p, "remaining_volume") ? F_RV : F_UNKNOWN;
	case 17:
		return KEQ(p, "executed_quantity") ? F_EV : F_UNKNOWN;
	case 18:
		return KEQ(p, "remaining_quantity") ? F_RV : F_UNKNOWN;
	}
	return F_UNKNOWN;
}

/* The keys of an error object. */
enum { FE_NAME = 0, FE_MESSAGE, FE_N };

static unsigned bo_key_err(const char *p, uint32_t n)
{
	return n == 4 && KEQ(p, "name") ? FE_NAME : n == 7 && KEQ(p, "message") ? FE_MESSAGE
										 : FE_N;
}

/* p[0..n) is one object and nothing else: its fields into v[F_N]. */
static int bo_walk_all(const uint8_t *p, size_t n, struct uo_val *v)
{
	struct js j;
	int err;

	js_init(&j, p, n);
	if (js_peek(&j) != '{') {
		err = uo_check_json(p, n);
		return err ? err : -VD_E_TYPE;   /* JSON, but not an object */
	}
	err = uo_walk_vals(&j, v, F_N, bo_key);
	return err ? err : js_end(&j);
}

/* A value that may be absent or null, else must be of kind k. */
static bool bo_opt(const struct uo_val *v, uint8_t k)
{
	return v->kind == V_NONE || v->kind == V_NULL || v->kind == k;
}

/*
 * The order in f (an order object, a v2 accept reply, or a myOrder
 * message) into ev. o: the request's order (REST), which names the symbol
 * and client id when the object does not. accept: a reply without a state
 * is the venue taking the request (PLACE, CANCEL): ACKED, nothing more.
 *
 * States: wait ACKED (PARTIAL once executed > 0); trade (one fill:
 * trade_price/trade_quantity, or v1's price/volume) PARTIAL, FILLED when
 * nothing remains; done FILLED, or CANCELLED when some remains (an IOC
 * that filled in part ends done, 2.2); cancel CANCELLED, filled as far as
 * it went.
 */
static int bo_order(struct vo_ctx *c, const struct uo_val *f, const struct vo_order *o,
		    bool accept, struct vo_event *ev)
{
	const struct venue_sym *s;
	const struct uo_val *v;
	unsigned pdec = BO_SCALE_DEF, qdec = BO_SCALE_DEF;
	int64_t px, vol, rv, cum, pf, ef, tp, tq;
	bool hpx, hvol, hrv, hcum, hpf, hef, htp, htq, trade = false, limit = true;
	int err;

	ev->kind = VO_EV_ORDER;
	v = &f[F_CODE];
	if (v->kind == V_STR && c->syms)
		ev->sym = v->esc ? VENUE_SYM_NONE : venue_symtab_find(c->syms, v->p, v->len);
	else if (!bo_opt(v, V_STR))
		return -VD_E_SHAPE;
	else if (v->kind != V_STR && o && bo_sym(c, o->sym))
		ev->sym = o->sym;
	s = ev->sym != VENUE_SYM_NONE ? bo_sym(c, ev->sym) : NULL;
	if (s) {
		pdec = s->px_dec;
		qdec = s->qty_dec;
	}

	v = &f[F_OID];
	if (v->kind != V_STR || v->esc || !v->len || v->len >= VO_OID_MAX)
		return -VD_E_SHAPE;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';

	v = &f[F_COID];
	if (v->kind == V_STR)
		ev->coid = v->esc ? 0 : vo_cid_parse(c, v->p, v->len);
	else if (!bo_opt(v, V_STR))
		return -VD_E_SHAPE;
	else if (o)
		ev->coid = o->coid;

	v = &f[F_SIDE];
	if (UO_IS(v, "bid") || UO_IS(v, "BID") || UO_IS(v, "buy"))
		ev->side = KIMP_SIDE_BUY;
	else if (UO_IS(v, "ask") || UO_IS(v, "ASK") || UO_IS(v, "sell"))
		ev->side = KIMP_SIDE_SELL;
	else if (!bo_opt(v, V_NONE))
		return -VD_E_SHAPE;

	v = &f[F_OTYPE];
	if (v->kind == V_STR)
		limit = UO_IS(v, "limit");      /* price, market, best: no unit price */
	else if (!bo_opt(v, V_NONE))
		return -VD_E_SHAPE;

	v = &f[F_STATE];
	if (v->kind == V_NONE && accept) {
		ev->state = KIMP_ORD_ACKED;
		return uo_ms(&f[F_TMS], &ev->venue_ts_ns);
	}
	if (UO_IS(v, "wait") || UO_IS(v, "watch"))
		ev->state = KIMP_ORD_ACKED;
	else if (UO_IS(v, "trade"))
		trade = true;
	else if (UO_IS(v, "done"))
		ev->state = KIMP_ORD_FILLED;
	else if (UO_IS(v, "cancel"))
		ev->state = KIMP_ORD_CANCELLED;
	else
		return -VD_E_SHAPE;

	if ((err = uo_num(&f[F_PX], pdec, &px, &hpx)) ||
	    (err = uo_num(&f[F_VOL], qdec, &vol, &hvol)) ||
	    (err = uo_num(&f[F_RV], qdec, &rv, &hrv)) ||
	    (err = uo_num(&f[F_EV], qdec, &cum, &hcum)) ||
	    (err = uo_num(&f[F_PF], pdec, &pf, &hpf)) ||
	    (err = uo_num(&f[F_EF], pdec, &ef, &hef)) ||
	    (err = uo_num(&f[F_TP], pdec, &tp, &htp)) ||
	    (err = uo_num(&f[F_TQ], qdec, &tq, &htq)))
		return err;
	if (!bo_opt(&f[F_TID], V_STR))
		return -VD_E_SHAPE;

	ev->cum_qty = cum;
	if (trade) {
		ev->state = hrv && !rv ? KIMP_ORD_FILLED : KIMP_ORD_PARTIAL;
		if (htp || htq) {               /* v2: the fill's own fields */
			ev->px = limit ? px : 0;
			ev->qty = vol;
			px = tp, hpx = htp;
			vol = tq, hvol = htq;
		}
		if (hpx && hvol) {
			ev->flags |= VO_F_LAST;
			ev->last_px = px;
			ev->last_qty = vol;
			if (f[F_TID].kind == V_STR)
				ev->trade_id = uo_hash64(f[F_TID].p, f[F_TID].len);
		}
	} else {
		if (ev->state == KIMP_ORD_ACKED && cum > 0)
			ev->state = KIMP_ORD_PARTIAL;
		else if (ev->state == KIMP_ORD_FILLED && hrv && rv > 0)
			ev->state = KIMP_ORD_CANCELLED;
		ev->px = limit ? px : 0;
		ev->qty = vol;
	}
	if (hef) {
		ev->cum_quote = ef;
	} else if (f[F_TRADES].kind == V_ARR) {
		err = uo_trades_funds(&f[F_TRADES], pdec, &ev->cum_quote);
		if (err)
			return err;
	} else if (!bo_opt(&f[F_TRADES], V_ARR)) {
		return -VD_E_SHAPE;
	} else if (cum > 0) {
		/* filled, at a price this message does not say: the fills come
		 * whole from myOrder or a query (as on Upbit) */
		ev->state = KIMP_ORD_ACKED;
		ev->cum_qty = 0;
		ev->flags = 0;
		return uo_ms(&f[F_TMS], &ev->venue_ts_ns);
	}
	if (hpf) {
		ev->cum_fee = pf;
		ev->flags |= VO_F_CUM_FEE;
	}
	ev->fee_asset = 0;      /* KRW and BTC markets: the fee is in the quote */
	return uo_ms(trade && f[F_TTMS].kind == V_NUM ? &f[F_TTMS] : &f[F_TMS],
		     &ev->venue_ts_ns);
}

/* {"name":<string|int>,"message":<string>} at err into ev->code, ev->msg. */
static int bo_err_body(const struct uo_val *err, struct vo_event *ev, int *idx)
{
	struct uo_val e[FE_N];
	struct js j;
	int r;

	*idx = -1;
	if (err->kind != V_OBJ)
		return -VD_E_SHAPE;
	js_init(&j, err->p, err->len);
	r = uo_walk_vals(&j, e, FE_N, bo_key_err);
	if (r)
		return r;
	if (!bo_opt(&e[FE_MESSAGE], V_STR))
		return -VD_E_SHAPE;
	if (e[FE_NAME].kind == V_STR) {
		*idx = e[FE_NAME].esc ? -1 : uo_err_index(bo_errs, E_N, e[FE_NAME].p, e[FE_NAME].len);
		ev->code = *idx >= 0 ? BO_ERR_BASE + *idx : BO_ERR_OTHER;
		ev->msg = e[FE_NAME].p;         /* the name says more than the text */
		ev->msg_len = e[FE_NAME].len;
	} else if (e[FE_NAME].kind == V_NUM) {
		int64_t num;

		if (js_fixed_str(e[FE_NAME].p, e[FE_NAME].len, 0, &num) || num < 0 ||
		    num > INT32_MAX)
			return -VD_E_NUMBER;
		ev->code = (int32_t)num;
		if (e[FE_MESSAGE].kind == V_STR) {
			ev->msg = e[FE_MESSAGE].p;
			ev->msg_len = e[FE_MESSAGE].len;
		}
	} else {
		return -VD_E_SHAPE;
	}
	return 0;
}

/* x-ratelimit-remaining: what is left of the private pool this second. */
static void bo_rate_obs(const struct net_http_parser *msg, struct vo_rate_obs *r)
{
	uint64_t left;

	if (!msg || net_http_header_u64(msg, "x-ratelimit-remaining", &left))
		return;
	r->v[r->n].rule = R_PRIVATE;
	r->v[r->n].is_left = 1;
	r->v[r->n].value = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	r->n++;
}

static int bo_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg, const uint8_t *body,
			 size_t len, struct vo_event *ev)
{
	struct uo_val f[F_N];
	int err, idx = -1;

	vo_event_reset(ev);
	ev->http_status = status;
	bo_rate_obs(msg, &ev->rate);
	if (status >= 200 && status < 300) {
		switch (op) {
		case VO_OP_PLACE:
		case VO_OP_CANCEL:
		case VO_OP_QUERY:
			err = bo_walk_all(body, len, f);
			if (err)
				goto fail;
			if (f[F_ERROR].kind != V_NONE)
				break;          /* an error in a 2xx: ambiguous, below */
			err = bo_order(c, f, o, op != VO_OP_QUERY, ev);
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
	err = bo_walk_all(body, len, f);
	if (!err)
		err = bo_err_body(&f[F_ERROR], ev, &idx);
	if (err) {
		/* a limit, a block or a server fault says enough by its status */
		if (status != 429 && status != 418 && status < 500)
			goto fail;
		ev->code = 0;
		ev->msg = NULL;
		ev->msg_len = 0;
		idx = -1;
	}
	/*
	 * uo_err_outcome (upbit_share.h) with Bithumb's names: 429 (and 418,
	 * a block) never prove a refusal, nor does a 5xx or an error in a
	 * 2xx; a rate name is a limit whatever the status; order_not_found:
	 * NOT_FOUND on a query, CANCEL_REJECTED on a cancel; expired_jwt: our
	 * clock. Other 4xx: refused; auth names stick.
	 */
	uo_err_outcome(c, op, status, uo_err_flags(bo_errs, idx), msg, ev);
	return 0;
fail:
	vo_event_reset(ev);
	return err;
}

/* One element of GET /v1/orders (struct uo_list_ops.one). */
static int bo_list_one(struct vo_ctx *c, struct js *j, uint16_t status, struct vo_event *ev)
{
	struct uo_val f[F_N];
	int err = uo_walk_vals(j, f, F_N, bo_key);

	if (err)
		return err;
	vo_event_reset(ev);
	ev->http_status = status;
	return bo_order(c, f, NULL, false, ev);
}

static const struct uo_list_ops bo_list_ops = {
	.one = bo_list_one,
	.rest_parse = bo_rest_parse,
	.rate_obs = bo_rate_obs,
};

/* The open-orders array: uo_rest_parse_list_as (upbit_share.h). */
static int bo_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body, size_t len,
			      void (*each)(void *arg, const struct vo_event *ev), void *arg)
{
	return uo_rest_parse_list_as(&bo_list_ops, c, status, msg, body, len, each, arg);
}

/* ---- the private stream (2.3, 2.4) ------------------------------------------------ */

static const char *bo_ws_path(enum vo_chan ch)
{
	return ch == VO_CH_PRIV ? "/websocket/v2/private" : NULL;
}

/* The upgrade's authorization line: a JWT of access_key, nonce, timestamp. */
static int bo_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	return uo_jwt_ws_headers(c, ch, true, out, cap);
}

/* [{"ticket":"<uuid>"},{"type":"myOrder"},{"format":"DEFAULT"}]: every market. */
static int bo_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	struct uo_buf b = { .p = out, .cap = cap };

	if (ch == VO_CH_PRIV && op == VO_OP_KEEPALIVE) {
		UO_LIT(&b, "PING");
		if (b.over || b.len >= cap)
			return -ENOSPC;
		out[b.len] = '\0';
		return (int)b.len;
	}
	if (ch != VO_CH_PRIV || op != VO_OP_SUBSCRIBE)
		return -EINVAL;
	return uo_ws_sub_my_order(c, out, cap);
}

/*
 * myOrder -> VO_EV_ORDER; myAsset and {"status":"UP"} -> VO_EV_CONTROL;
 * {"error":{...}} -> VO_EV_ERROR (REJECTED: the venue closes the socket;
 * INVALID_AUTH sticks, TOO_MANY_REQUEST is a rate event).
 */
static int bo_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	struct uo_val f[F_N];
	int err, idx;

	vo_event_reset(ev);
	if (ch != VO_CH_PRIV)
		return -VD_E_TYPE;
	err = bo_walk_all(p, len, f);
	if (err)
		goto fail;
	if (f[F_ERROR].kind != V_NONE) {
		ev->kind = VO_EV_ERROR;
		err = bo_err_body(&f[F_ERROR], ev, &idx);
		if (err)
			goto fail;
		ev->outcome = VO_OUT_REJECTED;
		if (uo_err_flags(bo_errs, idx) & UO_EF_AUTH)
			ev->flags |= VO_F_AUTH;
		if (uo_err_flags(bo_errs, idx) & UO_EF_RATE)
			ev->flags |= VO_F_RATE;
		return 0;
	}
	if (UO_IS(&f[F_TYPE], "myOrder")) {
		err = bo_order(c, f, NULL, false, ev);
		if (err)
			goto fail;
		return 0;
	}
	if (UO_IS(&f[F_TYPE], "myAsset") ||
	    (f[F_TYPE].kind == V_NONE && UO_IS(&f[F_STATUS], "UP"))) {
		ev->kind = VO_EV_CONTROL;
		err = uo_ms(&f[F_TMS], &ev->venue_ts_ns);
		if (err)
			goto fail;
		return 0;
	}
	err = f[F_TYPE].kind == V_NONE || f[F_TYPE].kind == V_STR ? -VD_E_TYPE : -VD_E_SHAPE;
fail:
	vo_event_reset(ev);
	return err;
}

/* ---- the table ---------------------------------------------------------------------- */

#define BO_REST VO_CHBIT(VO_CH_REST)

const struct venue_ord venue_ord_bithumb = {
	.venue = KIMP_VENUE_BITHUMB,
	.name = "bithumb",
	.rest_url = "https://api.bithumb.com",
	.wsapi_url = NULL,
	.priv_url = "wss://ws-api.bithumb.com/websocket/v2/private",
	.chans = {
		[VO_OP_PLACE] = BO_REST,
		[VO_OP_CANCEL] = BO_REST,
		[VO_OP_QUERY] = BO_REST,
		[VO_OP_OPEN] = BO_REST,
		/* REST: GET /v1/accounts. ws_build(PRIV, KEEPALIVE) writes the text
		 * "PING" (answered {"status":"UP"}); orderd sends it instead of a
		 * ping frame on the private stream */
		[VO_OP_KEEPALIVE] = BO_REST | VO_CHBIT(VO_CH_PRIV),
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_PRIV),
	},
	.user_data_on_wsapi = false,
	.cancel_async = true,
	.market_buy_by_quote = true,
	.hash_sha = VENUE_SHA256,
	/* idle sockets die at ~60 s on the wire (120 s documented) */
	.ping_every_ns = 20 * BO_NS_PER_S,
	.conn_life_ns = 0,
	.rates = bo_rates,
	.nrates = R_N,
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
