/* SPDX-License-Identifier: MIT */
/*
 * Coinone order entry (kimp/venue_ord.h), as shared/docs/venues/
 * exchanges-kr.md 3.2-3.5 describes it.
 *
 * REST (base https://api.coinone.co.kr), every call a POST of a JSON body
 * that holds access_token, a fresh UUID v4 nonce and the call's fields;
 * the same bytes, base64, go in X-COINONE-PAYLOAD and the lowercase hex
 * HMAC-SHA512 (secret's raw bytes) of that base64 text in
 * X-COINONE-SIGNATURE (3.2):
 *   PLACE      /v2.1/order: side BUY/SELL, quote_currency, target_currency,
 *              type LIMIT (price, qty, post_only: a required boolean) or
 *              MARKET (buy: amount in KRW; sell: qty; limit_price caps a
 *              buy / floors a sell), user_order_id (our client id: the
 *              venue takes lower-case letters, digits, - _ . only). There
 *              is no time in force (3.3): a VO_LIMIT IOC is a MARKET order
 *              with limit_price = its price (a buy spends amount = price
 *              x qty, rounded down to the price's scale; the remainder
 *              is cancelled by the venue, CANCELED_LIMIT_PRICE_EXCEED);
 *              FOK cannot be said (-EINVAL)
 *   CANCEL     /v2.1/order/cancel: order_id when known, else user_order_id
 *              (never both), quote_currency, target_currency; the reply is
 *              the cancelled order (final: not asynchronous)
 *   QUERY      /v2.1/order/detail: the same target keys; reply {"order":{}}
 *   OPEN       /v2.1/order/active_orders without a market: every market
 *   KEEPALIVE  /v2.1/account/balance/all: authenticated, no fields
 * Errors come as HTTP 200 with "result":"error" and a numeric string
 * error_code (legacy errorCode): the body decides, not the status.
 *
 * Private stream wss://stream.coinone.co.kr/v1/private: the upgrade
 * carries X-COINONE-PAYLOAD / X-COINONE-SIGNATURE over {access_token,
 * nonce, timestamp (ms)}; then one SUBSCRIBE of MYORDER with a topic array
 * of every market in the table (3.4). A failed auth is the close code 4280
 * (orderd sees the close), not a message.
 *
 * MYORDER events carry the order's quantity and what remains, not a
 * cumulative fill: cum_qty = order_qty - remain_qty. A market buy has
 * neither (amounts only): its events say ACKED with nothing filled and
 * its fills come whole from a QUERY (executed_qty, traded_amount).
 *
 * Amounts finer than the scale (fees "1999.9999" KRW) are rounded to the
 * nearest unit, halves away from zero. Times: ms, or seconds when the
 * value is below 10^11 (H5: some replies carry 10-digit seconds).
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

#define CO_NS_PER_S     1000000000ull
#define CO_NS_PER_MS    1000000ll
#define CO_SCALE_DEF    8               /* amounts of a market not in the table */
#define CO_PAYLOAD_MAX  768             /* a request's JSON (access key <= 127) */
#define CO_B64_MAX      VENUE_B64_LEN(CO_PAYLOAD_MAX)
#define CO_SIG_LEN      (2 * VENUE_SHA512_LEN)
#define CO_SEC_BELOW    100000000000ll  /* a time below this is seconds (H5) */

/* ---- rate limits (3.5) ------------------------------------------------------ */

enum { R_ORDER = 0, R_OTHER, R_N };

/*
 * Per portfolio (a secondary source, 3.5): order APIs 40/s, the others
 * 80/s. Every /v2.1/order/ call is counted as an order API (the stricter
 * reading); the balance keepalive as another.
 */
static const struct vo_rate_rule co_rates[R_N] = {
	[R_ORDER] = { "order", VO_RS_ACCOUNT, false, 40, CO_NS_PER_S },
	[R_OTHER] = { "other", VO_RS_ACCOUNT, false, 80, CO_NS_PER_S },
};

static uint16_t co_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	if (ch != VO_CH_REST)
		return 0;
	switch (op) {
	case VO_OP_PLACE:
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
	case VO_OP_OPEN:
		return rule == R_ORDER;
	case VO_OP_KEEPALIVE:
		return rule == R_OTHER;
	default:
		return 0;
	}
}

static uint16_t co_connect_cost(enum vo_chan ch, unsigned rule)
{
	return 0;
}

/* ---- error codes (3.3, 3.5) ------------------------------------------------- */

#define CE_AUTH     0x01u   /* key, signature or permission: sticky */
#define CE_RATE     0x02u   /* over a limit */
#define CE_UNKNOWN  0x04u   /* may have happened: settle by query */
#define CE_NOTFOUND 0x08u   /* the order does not exist */
#define CE_FINAL    0x10u   /* (cancel) the order is already final */

static const struct {
	int32_t code;
	uint8_t flags;
	const char *name;
} co_errs[] = {
	{ 4, CE_RATE, "blocked_user_access" },
	{ 11, CE_AUTH, "access_token_missing" },
	{ 12, CE_AUTH, "invalid_access_token" },
	{ 40, CE_AUTH, "invalid_api_permission" },
	{ 103, 0, "lack_of_balance" },
	{ 104, CE_NOTFOUND, "order_not_found" },
	{ 105, 0, "price_not_correct" },
	{ 107, 0, "parameter_error" },
	/* exsim's (the doc names no codes for these): cancel of a final order */
	{ 116, CE_FINAL, "already_filled" },
	{ 117, CE_FINAL, "already_canceled" },
	{ 108, 0, "unknown_currency" },
	{ 109, 0, "unknown_pair" },
	{ 120, CE_AUTH, "payload_missing" },
	{ 121, CE_AUTH, "signature_missing" },
	{ 122, CE_AUTH, "access_token_missing" },
	{ 123, CE_AUTH, "invalid_signature" },
	{ 130, 0, "nonce_missing" },
	{ 131, 0, "invalid_nonce" },
	{ 132, 0, "nonce_used" },
	{ 133, 0, "nonce_problem" },
	{ 157, 0, "insufficient_balance" },
	{ 161, 0, "missing_field" },
	{ 162, 0, "missing_field" },
	{ 163, 0, "post_only_missing" },
	{ 164, 0, "missing_field" },
	{ 165, 0, "missing_field" },
	{ 166, 0, "missing_field" },
	{ 167, 0, "missing_field" },
	{ 300, 0, "size_problem" },
	{ 301, 0, "size_problem" },
	{ 302, 0, "size_problem" },
	{ 303, 0, "size_problem" },
	{ 304, 0, "size_problem" },
	{ 305, 0, "size_problem" },
	{ 306, 0, "size_problem" },
	{ 307, 0, "size_problem" },
	{ 308, 0, "size_problem" },
	{ 309, 0, "size_problem" },
	{ 310, 0, "invalid_price_unit" },
	{ 311, 0, "invalid_qty_unit" },
	/* an order with this id exists or once did: the earlier send may have placed it */
	{ 312, CE_UNKNOWN, "duplicate_user_order_id" },
	{ 313, 0, "user_order_id_problem" },
	{ 314, 0, "invalid_user_order_id" },
	/* the public WebSocket's (3.1) */
	{ 160010, 0, "invalid_request" },
	{ 160011, 0, "invalid_type" },
	{ 160012, 0, "invalid_topic" },
};

static int co_err_find(int32_t code)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(co_errs); i++)
		if (co_errs[i].code == code)
			return (int)i;
	return -1;
}

static const char *co_err_name(int32_t code)
{
	int i = co_err_find(code);
	return i >= 0 ? co_errs[i].name : NULL;
}

/* ---- keys and signing (3.2) -------------------------------------------------- */

/*
 * The access token goes into the JSON as it is: 1..VO_API_KEY_MAX-1
 * printable bytes, no quote or backslash (Coinone tokens are UUIDs). The
 * secret is used as raw bytes. No passphrase.
 */
static kimp_cold int co_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
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
	err = venue_hmac_key_init(&k->hmac, VENUE_SHA512, secret, slen);
	if (err)
		return err;
	memcpy(k->api_key, api_key, n);
	k->api_key_len = (uint32_t)n;
	return 0;
}

/* A bounded text buffer: what does not fit sets 'over'. */
struct co_buf {
	char *p;
	size_t len, cap;
	bool over;
};

static inline void co_put(struct co_buf *b, const char *s, size_t n)
{
	if (kimp_unlikely(n > b->cap - b->len)) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define CO_LIT(b, lit) co_put(b, lit, sizeof(lit) - 1)

/*
 * The payload (base64 of json[0..n)) and its signature (hex HMAC-SHA512
 * of the base64 text) into b64 / sig, NUL-terminated. The base64 length,
 * or -ENOSPC, -EINVAL.
 */
static int co_sign(const struct vo_ctx *c, const char *json, size_t n, char *b64, size_t b64cap,
		   char sig[CO_SIG_LEN + 1])
{
	int nb, ns;

	if (kimp_unlikely(!c->keys || !c->keys->api_key_len))
		return -EINVAL;
	nb = venue_b64_encode(json, n, b64, b64cap);
	if (nb < 0)
		return nb == -ENOBUFS ? -ENOSPC : nb;
	ns = venue_hmac_key_sign(&c->keys->hmac, b64, (size_t)nb, VENUE_HEX, sig, CO_SIG_LEN + 1);
	if (ns != CO_SIG_LEN)
		return ns < 0 && ns != -ENOBUFS ? ns : -EINVAL;
	return nb;
}

/* {"access_token":"<key>","nonce":"<uuid>" (no closing brace) into b. */
static void co_head(struct vo_ctx *c, struct co_buf *b)
{
	char nonce[37];

	vo_nonce_uuid(c, nonce);
	CO_LIT(b, "{\"access_token\":\"");
	co_put(b, c->keys->api_key, c->keys->api_key_len);
	CO_LIT(b, "\",\"nonce\":\"");
	co_put(b, nonce, strlen(nonce));
	CO_LIT(b, "\"");
}

/*
 * kimpctl sign: the two headers for the JSON payload[0..n) as sent:
 * "X-COINONE-PAYLOAD: <base64>\nX-COINONE-SIGNATURE: <hex>".
 */
static int co_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	static const char h1[] = "X-COINONE-PAYLOAD: ", h2[] = "\nX-COINONE-SIGNATURE: ";
	char sig[CO_SIG_LEN + 1];
	size_t need;
	int nb;

	if (!payload || !n || cap < sizeof(h1))
		return -EINVAL;
	nb = co_sign(c, payload, n, out + sizeof(h1) - 1, cap - (sizeof(h1) - 1), sig);
	if (nb < 0)
		return nb;
	need = sizeof(h1) - 1 + (size_t)nb + sizeof(h2) - 1 + CO_SIG_LEN;
	if (need >= cap || need > INT_MAX)
		return -ENOSPC;
	memcpy(out, h1, sizeof(h1) - 1);
	memcpy(out + sizeof(h1) - 1 + nb, h2, sizeof(h2) - 1);
	memcpy(out + sizeof(h1) - 1 + nb + sizeof(h2) - 1, sig, CO_SIG_LEN + 1);
	return (int)need;
}

/* ---- REST requests (3.3) ------------------------------------------------------ */

static const char *co_path(enum vo_op op)
{
	switch (op) {
	case VO_OP_PLACE:
		return "/v2.1/order";
	case VO_OP_CANCEL:
		return "/v2.1/order/cancel";
	case VO_OP_QUERY:
		return "/v2.1/order/detail";
	case VO_OP_OPEN:
		return "/v2.1/order/active_orders";
	case VO_OP_KEEPALIVE:
		return "/v2.1/account/balance/all";
	default:
		return NULL;
	}
}

static int co_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
			struct net_http_tmpl *t)
{
	const char *path = co_path(op);
	int err;

	if (!path)
		return -EINVAL;
	err = net_http_tmpl_init(t, "POST", path, host);
	if (!err)
		err = net_http_tmpl_header(t, "Content-Type", "application/json");
	if (!err)
		err = net_http_tmpl_header(t, "Accept", "application/json");
	return err;
}

static const struct venue_sym *co_sym(const struct vo_ctx *c, uint32_t sym)
{
	return c->syms && sym < c->syms->n ? &c->syms->sym[sym] : NULL;
}

/* ,"key":"val" (a value of ours: symbols, numbers, ids: nothing to escape). */
static void co_kv(struct co_buf *b, const char *key, size_t klen, const char *val, size_t vlen)
{
	CO_LIT(b, ",\"");
	co_put(b, key, klen);
	CO_LIT(b, "\":\"");
	co_put(b, val, vlen);
	CO_LIT(b, "\"");
}

#define CO_KV(b, key, val, vlen) co_kv(b, key, sizeof(key) - 1, val, vlen)

static void co_kfixed(struct co_buf *b, const char *key, size_t klen, int64_t v, unsigned dec)
{
	char num[32];
	int n = vo_put_fixed(num, v, dec);

	co_kv(b, key, klen, num, (size_t)n);
}

#define CO_KFIXED(b, key, v, dec) co_kfixed(b, key, sizeof(key) - 1, v, dec)

/* The client id prefix is one the venue takes: lower case (3.3). */
static bool co_prefix_ok(const struct vo_ctx *c)
{
	if (!c->prefix_len)
		return false;
	for (uint32_t i = 0; i < c->prefix_len; i++)
		if (c->prefix[i] >= 'A' && c->prefix[i] <= 'Z')
			return false;
	return true;
}

static void co_market(struct co_buf *b, const struct venue_sym *s)
{
	CO_KV(b, "quote_currency", s->quote, strlen(s->quote));
	CO_KV(b, "target_currency", s->base, strlen(s->base));
}

/*
 * price x qty in quote units at px_dec, rounded down (what an IOC buy
 * spends at most); -1 when it does not fit.
 */
static int64_t co_amount(int64_t px, int64_t qty, unsigned qty_dec)
{
	static const int64_t p10[19] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
		10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
		1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
	};
	__int128 a = (__int128)px * qty / p10[qty_dec > 18 ? 18 : qty_dec];

	return a > INT64_MAX ? -1 : (int64_t)a;
}

/*
 * The new order's body (3.3) in the order: side, quote_currency,
 * target_currency, type, then LIMIT price, qty, post_only; MARKET buy
 * amount, sell qty, limit_price when there is one; user_order_id.
 */
static int co_place(struct vo_ctx *c, const struct vo_order *o, struct co_buf *b)
{
	const struct venue_sym *s = co_sym(c, o->sym);
	char cid[VO_CID_MAX];
	bool buy = o->side == KIMP_SIDE_BUY, market, post = false;
	int64_t limit = 0, amount = 0;
	int n;

	if (!s || !o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL) ||
	    !co_prefix_ok(c))
		return -EINVAL;
	switch (o->type) {
	case VO_LIMIT:
	case VO_POST_ONLY:
		if (o->px <= 0 || o->qty <= 0)
			return -EINVAL;
		if (o->type == VO_POST_ONLY || o->tif == KIMP_TIF_POST_ONLY) {
			post = true;
			market = false;
		} else if (o->tif == KIMP_TIF_GTC) {
			market = false;
		} else if (o->tif == KIMP_TIF_IOC) {
			market = true;   /* MARKET with limit_price: the venue's only IOC */
			limit = o->px;
			if (buy && (amount = co_amount(o->px, o->qty, s->qty_dec)) <= 0)
				return -EINVAL;
		} else {
			return -EINVAL;  /* FOK: no such thing on this venue */
		}
		break;
	case VO_MARKET:
		if (buy ? o->quote_qty <= 0 : o->qty <= 0)
			return -EINVAL;
		if (o->px < 0)
			return -EINVAL;
		market = true;
		limit = o->px;          /* 0: no limit */
		amount = o->quote_qty;
		break;
	default:
		return -EINVAL;
	}
	co_head(c, b);
	CO_KV(b, "side", buy ? "BUY" : "SELL", buy ? 3 : 4);
	co_market(b, s);
	if (!market) {
		CO_KV(b, "type", "LIMIT", 5);
		CO_KFIXED(b, "price", o->px, s->px_dec);
		CO_KFIXED(b, "qty", o->qty, s->qty_dec);
		if (post)
			CO_LIT(b, ",\"post_only\":true");
		else
			CO_LIT(b, ",\"post_only\":false");
	} else {
		CO_KV(b, "type", "MARKET", 6);
		if (buy)
			CO_KFIXED(b, "amount", amount, s->px_dec);
		else
			CO_KFIXED(b, "qty", o->qty, s->qty_dec);
		if (limit)
			CO_KFIXED(b, "limit_price", limit, s->px_dec);
	}
	n = vo_cid_format(c, o->coid, cid);
	CO_KV(b, "user_order_id", cid, (size_t)n);
	CO_LIT(b, "}");
	return 0;
}

/* A venue order id we send: a uuid's characters only. */
static bool co_oid_ok(const char *s, size_t n)
{
	if (!n || n >= VO_OID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return false;
	return true;
}

/* order_id (when known) or user_order_id, then the market (cancel, detail). */
static int co_target(struct vo_ctx *c, const struct vo_order *o, struct co_buf *b)
{
	const struct venue_sym *s = co_sym(c, o->sym);
	char cid[VO_CID_MAX];

	if (!s)
		return -EINVAL;
	if (o->oid && o->oid_len) {
		if (!co_oid_ok(o->oid, o->oid_len))
			return -EINVAL;
		co_head(c, b);
		CO_KV(b, "order_id", o->oid, o->oid_len);
	} else {
		if (!o->coid || !co_prefix_ok(c))
			return -EINVAL;
		co_head(c, b);
		CO_KV(b, "user_order_id", cid, (size_t)vo_cid_format(c, o->coid, cid));
	}
	co_market(b, s);
	CO_LIT(b, "}");
	return 0;
}

static int co_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	char json[CO_PAYLOAD_MAX], b64[CO_B64_MAX], sig[CO_SIG_LEN + 1];
	struct co_buf b = { .p = json, .cap = sizeof(json) };
	int err, nb;

	if (!c->keys || !c->keys->api_key_len)
		return -EINVAL;
	switch (op) {
	case VO_OP_PLACE:
		err = o ? co_place(c, o, &b) : -EINVAL;
		break;
	case VO_OP_CANCEL:
	case VO_OP_QUERY:
		err = o ? co_target(c, o, &b) : -EINVAL;
		break;
	case VO_OP_OPEN:
	case VO_OP_KEEPALIVE:
		co_head(c, &b);
		CO_LIT(&b, "}");
		err = 0;
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err)
		return err;
	if (b.over)
		return -ENOSPC;
	nb = co_sign(c, json, b.len, b64, sizeof(b64), sig);
	if (nb < 0)
		return nb;
	net_http_req_hdr(r, "X-COINONE-PAYLOAD");
	net_http_req_put(r, b64, (size_t)nb);
	net_http_req_hdr(r, "X-COINONE-SIGNATURE");
	net_http_req_put(r, sig, CO_SIG_LEN);
	net_http_req_body(r);
	net_http_req_put(r, json, b.len);
	if (r->err)
		return r->err == -ENOBUFS ? -ENOSPC : r->err;
	return 0;
}

/* ---- reading: one walk over an object --------------------------------------- */

enum co_field {
	F_RESULT = 0, F_ECODE, F_EMSG, F_OID, F_CID, F_QC, F_TC, F_TYPE, F_STATUS, F_SIDE,
	F_PX, F_OQTY, F_EXQ, F_RQ, F_AVG, F_FEE, F_TAMT, F_OAMT, F_RAMT, F_EP, F_TI, F_IM,
	F_ET, F_OT, F_UT, F_ORDER, F_LIST, F_RT, F_CH, F_DATA,
	F_N, F_UNKNOWN = F_N
};

/* One recorded value: struct uo_val, V_* (upbit_share.h). */
struct co_obj {
	struct uo_val v[F_N];
};

#define KEQ(p, lit) (!memcmp((p), lit, sizeof(lit) - 1))

/* REST replies (v2.1 and legacy error keys), order objects, the private stream. */
static unsigned co_key(const char *p, uint32_t n)
{
	switch (n) {
	case 1:
		switch (p[0]) {
		case 't': return F_TYPE;
		case 's': return F_SIDE;
		case 'r': return F_RT;
		case 'c': return F_CH;
		case 'd': return F_DATA;
		}
		return F_UNKNOWN;
	case 2:
		return KEQ(p, "qc") ? F_QC : KEQ(p, "tc") ? F_TC : KEQ(p, "oi") ? F_OID
		       : KEQ(p, "ui") ? F_CID : KEQ(p, "st") ? F_STATUS : KEQ(p, "op") ? F_PX
		       : KEQ(p, "oq") ? F_OQTY : KEQ(p, "oa") ? F_OAMT : KEQ(p, "ti") ? F_TI
		       : KEQ(p, "im") ? F_IM : KEQ(p, "ep") ? F_EP : KEQ(p, "eq") ? F_EXQ
		       : KEQ(p, "ef") ? F_FEE : KEQ(p, "rq") ? F_RQ : KEQ(p, "ra") ? F_RAMT
		       : KEQ(p, "et") ? F_ET : KEQ(p, "ot") ? F_OT : KEQ(p, "ts") ? F_UT
		       : F_UNKNOWN;
	case 3:
		return KEQ(p, "fee") ? F_FEE : F_UNKNOWN;
	case 4:
		return KEQ(p, "type") ? F_TYPE : KEQ(p, "side") ? F_SIDE : KEQ(p, "data") ? F_DATA
		       : F_UNKNOWN;
	case 5:
		return KEQ(p, "price") ? F_PX : KEQ(p, "order") ? F_ORDER : F_UNKNOWN;
	case 6:
		return KEQ(p, "result") ? F_RESULT : KEQ(p, "status") ? F_STATUS : F_UNKNOWN;
	case 7:
		return KEQ(p, "channel") ? F_CH : KEQ(p, "message") ? F_EMSG : F_UNKNOWN;
	case 8:
		return KEQ(p, "order_id") ? F_OID : KEQ(p, "trade_id") ? F_TI
		       : KEQ(p, "is_maker") ? F_IM : KEQ(p, "errorMsg") ? F_EMSG : F_UNKNOWN;
	case 9:
		return KEQ(p, "error_msg") ? F_EMSG : KEQ(p, "errorCode") ? F_ECODE
		       : KEQ(p, "order_qty") ? F_OQTY : KEQ(p, "avg_price") ? F_AVG
		       : KEQ(p, "timestamp") ? F_UT : F_UNKNOWN;
	case 10:
		return KEQ(p, "error_code") ? F_ECODE : KEQ(p, "remain_qty") ? F_RQ
		       : KEQ(p, "traded_qty") ? F_EXQ : KEQ(p, "updated_at") ? F_UT
		       : KEQ(p, "ordered_at") ? F_OT : F_UNKNOWN;
	case 11:
		return KEQ(p, "order_price") ? F_PX : KEQ(p, "canceled_at") ? F_UT : F_UNKNOWN;
	case 12:
		return KEQ(p, "original_qty") ? F_OQTY : KEQ(p, "executed_qty") ? F_EXQ
		       : KEQ(p, "order_amount") ? F_OAMT : KEQ(p, "executed_fee") ? F_FEE
		       : F_UNKNOWN;
	case 13:
		return KEQ(p, "user_order_id") ? F_CID : KEQ(p, "traded_amount") ? F_TAMT
		       : KEQ(p, "active_orders") ? F_LIST : KEQ(p, "remain_amount") ? F_RAMT
		       : KEQ(p, "response_type") ? F_RT : F_UNKNOWN;
	case 14:
		return KEQ(p, "quote_currency") ? F_QC : KEQ(p, "executed_price") ? F_EP
		       : F_UNKNOWN;
	case 15:
		return KEQ(p, "target_currency") ? F_TC : KEQ(p, "original_amount") ? F_OAMT
		       : KEQ(p, "order_timestamp") ? F_OT : F_UNKNOWN;
	case 18:
		return KEQ(p, "executed_timestamp") ? F_ET : F_UNKNOWN;
	case 22:
		return KEQ(p, "average_executed_price") ? F_AVG : F_UNKNOWN;
	}
	return F_UNKNOWN;
}

/*
 * The object at j: every value checked, the known ones in o; a known key
 * twice is VD_E_SHAPE (uo_walk_vals, upbit_share.h: the one walk of
 * Upbit's and Bithumb's replies too).
 */
static int co_walk(struct js *j, struct co_obj *o)
{
	return uo_walk_vals(j, o->v, F_N, co_key);
}

/* p[0..n) is one object and nothing else: its fields into o. */
static int co_walk_all(const char *p, size_t n, struct co_obj *o)
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
	err = co_walk(&j, o);
	return err ? err : js_end(&j);
}

static bool co_is(const struct uo_val *v, const char *lit, size_t n)
{
	return v->kind == V_STR && v->len == n && !memcmp(v->p, lit, n);
}

#define CO_IS(v, lit) co_is(v, lit, sizeof(lit) - 1)

static bool co_absent(const struct uo_val *v)
{
	return v->kind == V_NONE || v->kind == V_NULL;
}

/* ---- numbers ----------------------------------------------------------------- */

/*
 * s[0..n), a decimal (exponent allowed), at dec decimals rounded to the
 * nearest unit, halves away from zero. 0 or VD_E_NUMBER.
 */
static kimp_cold int co_round(const char *s, size_t n, unsigned dec, int64_t *out)
{
	const char *p = s, *end = s + n, *dig[2];
	int64_t e = 0, len[2] = { 0, 0 }, sh, keep, nd;
	bool neg = false;
	uint64_t v = 0;

	if (dec > VENUE_DEC_MAX)
		return -VD_E_NUMBER;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	dig[0] = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	len[0] = p - dig[0];
	if (!len[0] || (len[0] > 1 && *dig[0] == '0'))
		return -VD_E_NUMBER;
	dig[1] = p;
	if (p < end && *p == '.') {
		dig[1] = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		len[1] = p - dig[1];
		if (!len[1])
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
	nd = len[0] + len[1];
	sh = e - len[1] + (int64_t)dec;          /* places the digits move left */
	keep = nd + (sh < 0 ? sh : 0);           /* digits left of the unit */
	for (int64_t i = 0; i < nd && i < keep; i++) {
		unsigned d = (unsigned)((i < len[0] ? dig[0][i] : dig[1][i - len[0]]) - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -VD_E_NUMBER;
		v = v * 10 + d;
	}
	if (keep >= 0 && keep < nd && (keep < len[0] ? dig[0][keep] : dig[1][keep - len[0]]) >= '5')
		v++;
	for (; sh > 0 && v; sh--) {
		if (v > (uint64_t)INT64_MAX / 10)
			return -VD_E_NUMBER;
		v *= 10;
	}
	if (v > (uint64_t)INT64_MAX)
		return -VD_E_NUMBER;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/*
 * An amount (a numeric string or a bare number; null or absent: *has
 * false) at dec decimals, not negative. 0, VD_E_NUMBER or VD_E_SHAPE.
 */
static int co_num(const struct uo_val *v, unsigned dec, int64_t *out, bool *has)
{
	int err;

	*out = 0;
	*has = false;
	if (co_absent(v))
		return 0;
	if (v->kind != V_STR && v->kind != V_NUM)
		return -VD_E_SHAPE;
	if (v->esc)
		return -VD_E_NUMBER;
	err = js_fixed_str(v->p, v->len, dec, out);
	if (kimp_unlikely(err == -VD_E_NUMBER))
		err = co_round(v->p, v->len, dec, out);
	if (!err && *out < 0)
		err = -VD_E_NUMBER;
	*has = !err;
	return err;
}

/* A time as UTC ns (0: none): ms, or seconds below CO_SEC_BELOW (H5). */
static int co_time(const struct uo_val *v, int64_t *ns)
{
	int64_t t;
	bool has;
	int err = co_num(v, 0, &t, &has);

	*ns = 0;
	if (err || !has)
		return err;
	if (t < CO_SEC_BELOW)
		t *= 1000;
	if (t > INT64_MAX / CO_NS_PER_MS)
		return -VD_E_NUMBER;
	*ns = t * CO_NS_PER_MS;
	return 0;
}

/* a x b / 10^dec, rounded to nearest (average price x quantity). */
static int co_mul(int64_t a, int64_t b, unsigned dec, int64_t *out)
{
	__int128 p = (__int128)a * b, d = 1;

	for (unsigned i = 0; i < dec; i++)
		d *= 10;
	p = (p + d / 2) / d;
	if (p > INT64_MAX)
		return -VD_E_NUMBER;
	*out = (int64_t)p;
	return 0;
}

static uint64_t co_hash64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

/* ---- orders (3.3, 3.4) ---------------------------------------------------------- */

enum co_src { SRC_REST = 0, SRC_CANCEL, SRC_PLACE, SRC_WS };

/* The symbol of an object's market, else the request's; its scales. */
static int co_obj_sym(struct vo_ctx *c, const struct co_obj *f, const struct vo_order *o,
		      struct vo_event *ev)
{
	const struct uo_val *q = &f->v[F_QC], *t = &f->v[F_TC];

	if ((!co_absent(q) && q->kind != V_STR) || (!co_absent(t) && t->kind != V_STR))
		return -VD_E_SHAPE;
	if (q->kind == V_STR && t->kind == V_STR) {
		char name[VENUE_SYM_MAX];

		if (!q->esc && !t->esc && c->syms && (size_t)q->len + 1 + t->len < sizeof(name)) {
			memcpy(name, q->p, q->len);
			name[q->len] = '-';
			memcpy(name + q->len + 1, t->p, t->len);
			ev->sym = venue_symtab_find(c->syms, name, (size_t)q->len + 1 + t->len);
		}
	} else if (o && co_sym(c, o->sym)) {
		ev->sym = o->sym;
	}
	return 0;
}

/* The status word as a state; 0 when it is not known. */
static uint8_t co_state(const struct uo_val *v, bool market)
{
	uint8_t cx = market ? KIMP_ORD_EXPIRED : KIMP_ORD_CANCELLED;

	if (v->kind != V_STR)
		return 0;
	/* REST (order detail) */
	if (CO_IS(v, "LIVE") || CO_IS(v, "NOT_TRIGGERED") || CO_IS(v, "TRIGGERED"))
		return KIMP_ORD_ACKED;
	if (CO_IS(v, "PARTIALLY_FILLED"))
		return KIMP_ORD_PARTIAL;
	if (CO_IS(v, "FILLED"))
		return KIMP_ORD_FILLED;
	if (CO_IS(v, "CANCELED") || CO_IS(v, "PARTIALLY_CANCELED") ||
	    CO_IS(v, "NOT_TRIGGERED_CANCELED") || CO_IS(v, "NOT_TRIGGERED_PARTIALLY_CANCELED"))
		return cx;
	/* the venue ended it: a market order's rest (the IOC remainder) */
	if (CO_IS(v, "CANCELED_NO_ORDER") || CO_IS(v, "CANCELED_LIMIT_PRICE_EXCEED") ||
	    CO_IS(v, "CANCELED_UNDER_PRODUCT_UNIT"))
		return KIMP_ORD_EXPIRED;
	/* MYORDER */
	if (CO_IS(v, "wait") || CO_IS(v, "watch") || CO_IS(v, "not_triggered"))
		return KIMP_ORD_ACKED;
	if (CO_IS(v, "trade"))
		return KIMP_ORD_PARTIAL;
	if (CO_IS(v, "trade_done"))
		return KIMP_ORD_FILLED;
	if (CO_IS(v, "cancel") || CO_IS(v, "cancel_post_only"))
		return cx;
	return 0;
}

/*
 * The order in f into ev. o: the request's order (REST), which names the
 * symbol and client id when the object does not. src says what f is: a
 * REST order object (detail, open list), the cancel reply (flat, no
 * status), the place reply (order_id only), a MYORDER message.
 */
static int co_order(struct vo_ctx *c, const struct co_obj *f, const struct vo_order *o,
		    enum co_src src, struct vo_event *ev)
{
	const struct venue_sym *s;
	const struct uo_val *v;
	unsigned pdec = CO_SCALE_DEF, qdec = CO_SCALE_DEF;
	int64_t px, oq, exq, rq, avg, fee, tamt, oamt, ramt, ep;
	bool hpx, hoq, hexq, hrq, havg, hfee, htamt, hoamt, hramt, hep, market = false;
	int err;

	ev->kind = VO_EV_ORDER;
	if ((err = co_obj_sym(c, f, o, ev)))
		return err;
	s = ev->sym != VENUE_SYM_NONE ? co_sym(c, ev->sym) : NULL;
	if (s) {
		pdec = s->px_dec;
		qdec = s->qty_dec;
	}

	v = &f->v[F_OID];
	if (v->kind != V_STR || v->esc || !v->len || v->len >= VO_OID_MAX)
		return -VD_E_SHAPE;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';

	v = &f->v[F_CID];
	if (v->kind == V_STR)
		ev->coid = v->esc ? 0 : vo_cid_parse(c, v->p, v->len);
	else if (!co_absent(v))
		return -VD_E_SHAPE;
	else if (o)
		ev->coid = o->coid;

	v = &f->v[F_SIDE];
	if (CO_IS(v, "BUY") || CO_IS(v, "BID"))
		ev->side = KIMP_SIDE_BUY;
	else if (CO_IS(v, "SELL") || CO_IS(v, "ASK"))
		ev->side = KIMP_SIDE_SELL;
	else if (!co_absent(v))
		return -VD_E_SHAPE;
	else if (o)
		ev->side = o->side;

	v = &f->v[F_TYPE];
	if (v->kind == V_STR)
		market = CO_IS(v, "MARKET");
	else if (!co_absent(v))
		return -VD_E_SHAPE;
	else if (o)
		market = o->type == VO_MARKET || (o->type == VO_LIMIT && o->tif == KIMP_TIF_IOC);

	if (src == SRC_PLACE) {
		ev->state = KIMP_ORD_ACKED;
		return 0;
	}
	if ((err = co_num(&f->v[F_PX], pdec, &px, &hpx)) ||
	    (err = co_num(&f->v[F_OQTY], qdec, &oq, &hoq)) ||
	    (err = co_num(&f->v[F_EXQ], qdec, &exq, &hexq)) ||
	    (err = co_num(&f->v[F_RQ], qdec, &rq, &hrq)) ||
	    (err = co_num(&f->v[F_AVG], pdec, &avg, &havg)) ||
	    (err = co_num(&f->v[F_FEE], pdec, &fee, &hfee)) ||
	    (err = co_num(&f->v[F_TAMT], pdec, &tamt, &htamt)) ||
	    (err = co_num(&f->v[F_OAMT], pdec, &oamt, &hoamt)) ||
	    (err = co_num(&f->v[F_RAMT], pdec, &ramt, &hramt)) ||
	    (err = co_num(&f->v[F_EP], pdec, &ep, &hep)))
		return err;
	v = &f->v[F_IM];
	if (!co_absent(v) && v->kind != V_TRUE && v->kind != V_FALSE)
		return -VD_E_SHAPE;
	v = &f->v[F_TI];
	if (!co_absent(v) && v->kind != V_STR && v->kind != V_NUM)
		return -VD_E_SHAPE;

	if (src == SRC_CANCEL) {
		ev->state = market ? KIMP_ORD_EXPIRED : KIMP_ORD_CANCELLED;
	} else {
		v = &f->v[F_STATUS];
		ev->state = co_state(v, market);
		if (!ev->state) {
			if (!co_absent(v) || src == SRC_WS)
				return -VD_E_SHAPE;
			ev->state = KIMP_ORD_ACKED;      /* the open list: live */
		}
	}
	ev->fee_asset = 0;      /* KRW markets: the fee is in the quote */
	ev->px = market ? 0 : px;
	ev->qty = oq;

	if (src != SRC_WS) {
		ev->cum_qty = exq;
		if (htamt)
			ev->cum_quote = tamt;
		else if (havg && hexq && (err = co_mul(avg, exq, qdec, &ev->cum_quote)))
			return err;
		if (hfee) {
			ev->cum_fee = fee;
			ev->flags |= VO_F_CUM_FEE;
		}
		if (ev->state == KIMP_ORD_ACKED && exq > 0)
			ev->state = KIMP_ORD_PARTIAL;
		return co_time(&f->v[F_UT], &ev->venue_ts_ns);
	}

	/* MYORDER: the order's size and what remains; eq/ep/ef are this event's */
	if (!hoq || !hrq || rq > oq) {
		/*
		 * A market buy (amounts only): nothing says how much it has
		 * filled in all. Say only that the venue has the order; a
		 * query gives its fills whole.
		 */
		ev->state = KIMP_ORD_ACKED;
		ev->qty = 0;
		return co_time(&f->v[F_UT], &ev->venue_ts_ns);
	}
	ev->cum_qty = oq - rq;
	/*
	 * A cancel (no executed_price: no fill in it) may say remain_qty 0 with
	 * the quantity cancelled as executed_qty (exsim does): what was filled
	 * is what was neither cancelled nor remains.
	 */
	if ((ev->state == KIMP_ORD_CANCELLED || ev->state == KIMP_ORD_EXPIRED) && !hep && hexq &&
	    !rq && exq <= oq)
		ev->cum_qty = oq - exq;
	if (hoamt && hramt && ramt <= oamt)
		ev->cum_quote = oamt - ramt;
	if (ev->state == KIMP_ORD_PARTIAL && !rq)
		ev->state = KIMP_ORD_FILLED;
	if (ev->state == KIMP_ORD_ACKED && ev->cum_qty > 0)
		ev->state = KIMP_ORD_PARTIAL;
	if (CO_IS(&f->v[F_STATUS], "trade") || CO_IS(&f->v[F_STATUS], "trade_done")) {
		if (hep && hexq && exq > 0) {
			ev->flags |= VO_F_LAST;
			ev->last_px = ep;
			ev->last_qty = exq;
			ev->last_fee = fee;
			if (f->v[F_IM].kind == V_TRUE)
				ev->flags |= VO_F_MAKER;
			v = &f->v[F_TI];
			if (!co_absent(v) && !v->esc)
				ev->trade_id = co_hash64(v->p, v->len);
		}
		if (!co_absent(&f->v[F_ET]))
			return co_time(&f->v[F_ET], &ev->venue_ts_ns);
	}
	return co_time(&f->v[F_UT], &ev->venue_ts_ns);
}

/* ---- errors ------------------------------------------------------------------- */

/* error_code (a numeric string, or a number) and error_msg into ev; the table index. */
static int co_err_body(const struct co_obj *f, struct vo_event *ev, int *idx)
{
	const struct uo_val *c = &f->v[F_ECODE], *m = &f->v[F_EMSG];
	int64_t code;

	*idx = -1;
	if ((c->kind != V_STR && c->kind != V_NUM) || c->esc)
		return -VD_E_SHAPE;
	if (js_fixed_str(c->p, c->len, 0, &code) || code < 0 || code > INT32_MAX)
		return -VD_E_NUMBER;
	if (m->kind == V_STR) {
		ev->msg = m->p;
		ev->msg_len = m->len;
	} else if (!co_absent(m)) {
		return -VD_E_SHAPE;
	}
	ev->code = (int32_t)code;
	*idx = co_err_find(ev->code);
	return 0;
}

/* The next second on the venue clock (the limits are per second). */
static uint64_t co_next_second(const struct vo_ctx *c)
{
	return ((uint64_t)vo_server_ms(c) / 1000 + 1) * 1000;
}

/*
 * What an error means for op's order. The venue answered: a known code
 * refused the request (REJECTED), except 104 (query: NOT_FOUND; cancel:
 * CANCEL_REJECTED, the order may be final) and 312 (the id exists: the
 * earlier send may have placed it: UNKNOWN). A code not known here is
 * UNKNOWN: a wrong "refused" could leave a live order behind. 4 is the
 * over-limit answer: refused, back off to the next second. Auth codes
 * stick.
 */
static void co_outcome(const struct vo_ctx *c, enum vo_op op, int idx, struct vo_event *ev)
{
	uint8_t fl = idx >= 0 ? co_errs[idx].flags : CE_UNKNOWN;

	if (fl & CE_AUTH)
		ev->flags |= VO_F_AUTH;
	if (fl & CE_RATE) {
		ev->flags |= VO_F_RATE;
		ev->retry_at_ms = co_next_second(c);
	}
	if (fl & CE_UNKNOWN)
		ev->outcome = VO_OUT_UNKNOWN;
	else if ((fl & CE_NOTFOUND) && op == VO_OP_QUERY)
		ev->outcome = VO_OUT_NOT_FOUND;
	else if ((fl & (CE_NOTFOUND | CE_FINAL)) && op == VO_OP_CANCEL)
		ev->outcome = VO_OUT_CANCEL_REJECTED;
	else
		ev->outcome = VO_OUT_REJECTED;
}

/* Private-Order-Ratelimit-Remaining / Private-Ratelimit-Remaining: what is left. */
static void co_rate_obs(const struct net_http_parser *msg, struct vo_rate_obs *r)
{
	static const struct {
		const char *h;
		uint8_t rule;
	} hs[] = {
		{ "Private-Order-Ratelimit-Remaining", R_ORDER },
		{ "Private-Ratelimit-Remaining", R_OTHER },
	};
	uint64_t v;

	if (!msg)
		return;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(hs) && r->n < VO_RATE_OBS; i++) {
		if (net_http_header_u64(msg, hs[i].h, &v))
			continue;
		r->v[r->n].rule = hs[i].rule;
		r->v[r->n].is_left = 1;
		r->v[r->n].value = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		r->n++;
	}
}

/* ---- REST replies ------------------------------------------------------------- */

/* A ban (418, not the venue's own: a gateway's or exsim's): until Retry-After, else a minute. */
static void co_ban(const struct vo_ctx *c, const struct net_http_parser *msg, struct vo_event *ev)
{
	uint64_t s;

	ev->flags |= VO_F_BAN;
	if (!msg || net_http_header_u64(msg, "Retry-After", &s) || s > UINT32_MAX)
		s = 60;
	ev->retry_at_ms = (uint64_t)vo_server_ms(c) + s * 1000;
}

/*
 * A reply that is not an answer of the venue's (a 429, 5xx or gateway
 * page): the status says enough. false when the status is not one of those.
 */
static bool co_status_only(const struct vo_ctx *c, uint16_t status,
			   const struct net_http_parser *msg, struct vo_event *ev)
{
	if (status == 418) {
		ev->kind = VO_EV_ERROR;
		ev->outcome = VO_OUT_UNKNOWN;
		co_ban(c, msg, ev);
		return true;
	}
	if (status == 429) {
		ev->kind = VO_EV_ERROR;
		ev->outcome = VO_OUT_UNKNOWN;
		ev->flags |= VO_F_RATE;
		ev->retry_at_ms = co_next_second(c);
		return true;
	}
	if (status >= 500) {
		ev->kind = VO_EV_ERROR;
		ev->outcome = VO_OUT_UNKNOWN;
		return true;
	}
	return false;
}

static int co_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg, const uint8_t *body,
			 size_t len, struct vo_event *ev)
{
	struct co_obj f, g;
	struct js j;
	int err, idx;

	vo_event_reset(ev);
	ev->http_status = status;
	co_rate_obs(msg, &ev->rate);
	err = co_walk_all((const char *)body, len, &f);
	if (err || f.v[F_RESULT].kind != V_STR) {
		if (co_status_only(c, status, msg, ev))
			return 0;
		if (!err)
			err = -VD_E_SHAPE;
		goto fail;
	}
	if (CO_IS(&f.v[F_RESULT], "error")) {
		ev->kind = VO_EV_ERROR;
		if ((err = co_err_body(&f, ev, &idx)))
			goto fail;
		co_outcome(c, op, idx, ev);
		if (status == 429) {
			ev->flags |= VO_F_RATE;
			ev->retry_at_ms = co_next_second(c);
		} else if (status == 418) {
			ev->flags &= (uint8_t)~VO_F_RATE;
			co_ban(c, msg, ev);
		}
		return 0;
	}
	if (!CO_IS(&f.v[F_RESULT], "success") || status < 200 || status >= 300) {
		/* a success in an error status, or another result: not ours to read */
		if (co_status_only(c, status, msg, ev))
			return 0;
		err = -VD_E_SHAPE;
		goto fail;
	}
	switch (op) {
	case VO_OP_PLACE:
		err = co_order(c, &f, o, SRC_PLACE, ev);
		break;
	case VO_OP_CANCEL:
		err = co_order(c, &f, o, SRC_CANCEL, ev);
		break;
	case VO_OP_QUERY:
		if (f.v[F_ORDER].kind != V_OBJ) {
			err = -VD_E_SHAPE;
			break;
		}
		js_init(&j, f.v[F_ORDER].p, f.v[F_ORDER].len);
		err = co_walk(&j, &g);
		if (!err)
			err = co_order(c, &g, o, SRC_REST, ev);
		break;
	case VO_OP_OPEN:
	case VO_OP_KEEPALIVE:
		ev->kind = VO_EV_CONTROL;
		err = 0;
		break;
	default:
		err = -VD_E_TYPE;
		break;
	}
	if (err)
		goto fail;
	return 0;
fail:
	vo_event_reset(ev);
	return err;
}

/*
 * The active_orders array: every element checked first, so a bad element
 * gives the caller nothing; then each() per order.
 */
static int co_list_walk(struct vo_ctx *c, const struct uo_val *arr,
			void (*each)(void *arg, const struct vo_event *ev), void *arg,
			const struct vo_rate_obs *rate, uint16_t status)
{
	bool first = true, done = false;
	struct vo_event ev;
	struct co_obj f;
	struct js j;
	int err, n = 0;

	js_init(&j, arr->p, arr->len);
	err = js_expect(&j, '[');
	while (!err) {
		err = js_elem(&j, &first, &done);
		if (err || done)
			break;
		if (js_peek(&j) != '{')
			return -VD_E_SHAPE;
		err = co_walk(&j, &f);
		if (err)
			break;
		vo_event_reset(&ev);
		ev.http_status = status;
		err = co_order(c, &f, NULL, SRC_REST, &ev);
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
	return err ? err : n;
}

/*
 * VO_OP_OPEN: {"result":"success",...,"active_orders":[...]}. A reply that
 * is an error hands its error event to each() and returns VD_E_TYPE:
 * never an empty list.
 */
static int co_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body, size_t len,
			      void (*each)(void *arg, const struct vo_event *ev), void *arg)
{
	struct vo_rate_obs rate = { 0 };
	struct vo_event ev;
	struct co_obj f;
	int n;

	n = co_walk_all((const char *)body, len, &f);
	if (n || !CO_IS(&f.v[F_RESULT], "success") || status < 200 || status >= 300) {
		if (!co_rest_parse(c, VO_OP_OPEN, NULL, status, msg, body, len, &ev) &&
		    ev.kind == VO_EV_ERROR) {
			if (each)
				each(arg, &ev);
			return -VD_E_TYPE;
		}
		return n ? n : -VD_E_SHAPE;
	}
	if (f.v[F_LIST].kind != V_ARR)
		return -VD_E_SHAPE;
	co_rate_obs(msg, &rate);
	n = co_list_walk(c, &f.v[F_LIST], NULL, NULL, &rate, status);
	if (n > 0)
		n = co_list_walk(c, &f.v[F_LIST], each, arg, &rate, status);
	return n;
}

/* ---- the private stream (3.2, 3.4) ------------------------------------------- */

static const char *co_ws_path(enum vo_chan ch)
{
	return ch == VO_CH_PRIV ? "/v1/private" : NULL;
}

/* The upgrade's X-COINONE-PAYLOAD / X-COINONE-SIGNATURE over {access_token, nonce, timestamp}. */
static int co_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	static const char h1[] = "X-COINONE-PAYLOAD: ", h2[] = "\r\nX-COINONE-SIGNATURE: ";
	char json[CO_PAYLOAD_MAX], b64[CO_B64_MAX], sig[CO_SIG_LEN + 1], num[24];
	struct co_buf b = { .p = json, .cap = sizeof(json) };
	struct co_buf w = { .p = out, .cap = cap };
	int64_t ms;
	int nb;

	if (ch != VO_CH_PRIV)
		return 0;
	if (!c->keys || !c->keys->api_key_len)
		return -EINVAL;
	co_head(c, &b);
	ms = vo_server_ms(c);
	CO_LIT(&b, ",\"timestamp\":");
	co_put(&b, num, (size_t)vo_put_u64(num, ms > 0 ? (uint64_t)ms : 0));
	CO_LIT(&b, "}");
	if (b.over)
		return -ENOSPC;
	nb = co_sign(c, json, b.len, b64, sizeof(b64), sig);
	if (nb < 0)
		return nb;
	CO_LIT(&w, h1);
	co_put(&w, b64, (size_t)nb);
	CO_LIT(&w, h2);
	co_put(&w, sig, CO_SIG_LEN);
	CO_LIT(&w, "\r\n");
	if (w.over || w.len >= cap)
		return -ENOSPC;
	out[w.len] = '\0';
	return (int)w.len;
}

/*
 * {"request_type":"SUBSCRIBE","channel":"MYORDER","topic":[{"quote_currency":
 * "KRW","target_currency":"BTC"},...]}: every market of the table (3.4);
 * no MYASSET (balances are not orderd's).
 */
static int co_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	struct co_buf b = { .p = out, .cap = cap };

	if (ch == VO_CH_PRIV && op == VO_OP_KEEPALIVE) {
		CO_LIT(&b, "{\"request_type\":\"PING\"}");
		if (b.over || b.len >= cap)
			return -ENOSPC;
		out[b.len] = '\0';
		return (int)b.len;
	}
	if (ch != VO_CH_PRIV || op != VO_OP_SUBSCRIBE || !c->syms || !c->syms->n)
		return -EINVAL;
	CO_LIT(&b, "{\"request_type\":\"SUBSCRIBE\",\"channel\":\"MYORDER\",\"topic\":[");
	for (uint32_t i = 0; i < c->syms->n; i++) {
		const struct venue_sym *s = &c->syms->sym[i];
		if (i)
			CO_LIT(&b, ",");
		CO_LIT(&b, "{\"quote_currency\":\"");
		co_put(&b, s->quote, strlen(s->quote));
		CO_LIT(&b, "\",\"target_currency\":\"");
		co_put(&b, s->base, strlen(s->base));
		CO_LIT(&b, "\"}");
	}
	CO_LIT(&b, "]}");
	if (b.over || b.len >= cap)
		return -ENOSPC;
	out[b.len] = '\0';
	return (int)b.len;
}

/*
 * DATA MYORDER -> VO_EV_ORDER; SUBSCRIBED MYORDER -> VO_EV_SUBSCRIBED;
 * CONNECTED, PONG, UNSUBSCRIBED, other subscriptions and DATA MYASSET ->
 * VO_EV_CONTROL; ERROR -> VO_EV_ERROR (REJECTED: the request was refused).
 */
static int co_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	const struct uo_val *rt, *chan;
	struct co_obj f, g;
	struct js j;
	int err, idx;

	vo_event_reset(ev);
	if (ch != VO_CH_PRIV)
		return -VD_E_TYPE;
	err = co_walk_all((const char *)p, len, &f);
	if (err)
		goto fail;
	rt = &f.v[F_RT];
	chan = &f.v[F_CH];
	if (rt->kind == V_NONE) {
		err = -VD_E_TYPE;       /* not a response (a request's echo, ...) */
		goto fail;
	}
	if (rt->kind != V_STR || (!co_absent(chan) && chan->kind != V_STR)) {
		err = -VD_E_SHAPE;
		goto fail;
	}
	if (CO_IS(rt, "DATA")) {
		if (CO_IS(chan, "MYASSET")) {
			ev->kind = VO_EV_CONTROL;
			return 0;
		}
		if (!CO_IS(chan, "MYORDER")) {
			err = -VD_E_TYPE;
			goto fail;
		}
		if (f.v[F_DATA].kind != V_OBJ) {
			err = -VD_E_SHAPE;
			goto fail;
		}
		js_init(&j, f.v[F_DATA].p, f.v[F_DATA].len);
		err = co_walk(&j, &g);
		if (!err)
			err = co_order(c, &g, NULL, SRC_WS, ev);
		if (err)
			goto fail;
		return 0;
	}
	if (CO_IS(rt, "SUBSCRIBED")) {
		ev->kind = CO_IS(chan, "MYORDER") ? VO_EV_SUBSCRIBED : VO_EV_CONTROL;
		return 0;
	}
	if (CO_IS(rt, "CONNECTED") || CO_IS(rt, "PONG") || CO_IS(rt, "UNSUBSCRIBED")) {
		ev->kind = VO_EV_CONTROL;
		return 0;
	}
	if (CO_IS(rt, "ERROR")) {
		ev->kind = VO_EV_ERROR;
		err = co_err_body(&f, ev, &idx);
		if (err)
			goto fail;
		ev->outcome = VO_OUT_REJECTED;
		if (idx >= 0 && (co_errs[idx].flags & CE_AUTH))
			ev->flags |= VO_F_AUTH;
		return 0;
	}
	err = -VD_E_TYPE;
fail:
	vo_event_reset(ev);
	return err;
}

/* ---- the table ------------------------------------------------------------------ */

#define CO_REST VO_CHBIT(VO_CH_REST)

const struct venue_ord venue_ord_coinone = {
	.venue = KIMP_VENUE_COINONE,
	.name = "coinone",
	.rest_url = "https://api.coinone.co.kr",
	.wsapi_url = NULL,
	.priv_url = "wss://stream.coinone.co.kr/v1/private",
	.chans = {
		[VO_OP_PLACE] = CO_REST,
		[VO_OP_CANCEL] = CO_REST,
		[VO_OP_QUERY] = CO_REST,
		[VO_OP_OPEN] = CO_REST,
		/* REST: balance/all; PRIV: {"request_type":"PING"} (the venue counts
		 * only its text PING; orderd sends ws_build(PRIV, KEEPALIVE) as text) */
		[VO_OP_KEEPALIVE] = CO_REST | VO_CHBIT(VO_CH_PRIV),
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_PRIV),
	},
	.user_data_on_wsapi = false,
	.cancel_async = false,          /* the reply is the cancelled order */
	.market_buy_by_quote = true,    /* MARKET buys spend 'amount' KRW */
	.hash_sha = VENUE_SHA512,
	/*
	 * orderd pings with the venue's own {"request_type":"PING"} (chans
	 * [VO_OP_KEEPALIVE] has PRIV); it closes 30 minutes after the last
	 * one (3.2): the connection is also renewed before that.
	 */
	.ping_every_ns = 20 * CO_NS_PER_S,
	.conn_life_ns = 30 * 60 * CO_NS_PER_S,
	.rates = co_rates,
	.nrates = R_N,
	.cost = co_cost,
	.connect_cost = co_connect_cost,
	.key_init = co_key_init,
	.rest_tmpl = co_rest_tmpl,
	.rest_build = co_rest_build,
	.rest_parse = co_rest_parse,
	.rest_parse_list = co_rest_parse_list,
	.ws_build = co_ws_build,
	.ws_path = co_ws_path,
	.ws_headers = co_ws_headers,
	.ws_parse = co_ws_parse,
	.sign_payload = co_sign_payload,
	.err_name = co_err_name,
};
