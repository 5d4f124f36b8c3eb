/* SPDX-License-Identifier: MIT */
/*
 * OKX v5 spot order entry (kimp/venue_ord.h), to
 * shared/docs/venues/exchanges-global.md 3.3-3.6 and 4.
 *
 * Channels. REST carries every operation. The private WebSocket
 * (/ws/v5/private) is the fast path for orders and cancels: it must
 * `login` first (VO_OP_LOGIN), then subscribes the `orders` channel
 * (instType SPOT) on the same connection (user_data_on_wsapi), and takes
 * `order` / `cancel-order` with instIdCode (venue_sym.code; an order for a
 * symbol whose code is 0 is refused, -EINVAL). The WebSocket has no order
 * query: QUERY and OPEN are REST only. Its keepalive is the text "ping"
 * (VO_OP_KEEPALIVE on WSAPI), answered by "pong".
 *
 * Signing. REST: OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp +
 * METHOD + requestPath (with the query) + body)), timestamp the ISO-8601
 * UTC time with milliseconds (OK-ACCESS-TIMESTAMP), OK-ACCESS-KEY and
 * OK-ACCESS-PASSPHRASE fixed in the template. The prehash is signed from
 * its pieces (iovecs), never assembled. WS login: sign of unix seconds +
 * "GET" + "/users/self/verify".
 *
 * Results. Replies are {"code","msg","data":[{...,"sCode","sMsg"}]} (WS
 * adds "id" and "op"): when an item has sCode it decides, else code does.
 * Success of an order is VO_EV_ORDER ACKED, of a cancel VO_EV_ORDER
 * CANCEL_PENDING (the final state comes on the orders channel or by query:
 * cancel_async). Errors map to outcomes in oo_outcome. Order objects (the
 * orders channel, GET order, orders-pending) give state, cumulative fill
 * (accFillSz, avgPx: cum_quote = accFillSz * avgPx rounded to px_dec), the
 * cumulative fee (fee, negative = paid: cum_fee = -fee, rounded up at its
 * asset's scale) and the fill of the event (fillSz, fillPx, fillFee,
 * tradeId, execType) as VO_F_LAST. A push with several orders gives the
 * last one (the newest state; the cumulative fields stay right).
 */
#include <errno.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue_ord.h"
#include "jscan.h"
#include "vo_text.h"

#define OO_NS_PER_S     1000000000ull
#define OO_CID_MAX      32          /* clOrdId: 1-32 alphanumerics [3.3] */
#define OO_OID_MAX      32
#define OO_B64_SIG      44          /* base64 of 32 bytes */
#define OO_ISO_LEN      24          /* 2020-12-08T09:08:57.715Z */

/* ---- the venue's limits (3.3, 3.6) --------------------------------------------- */

enum oo_rule {
	OO_R_PLACE = 0,     /* 60 / 2 s per (user, instrument), REST and WS together */
	OO_R_CANCEL,        /* 60 / 2 s, its own budget */
	OO_R_QUERY,         /* GET order: 60 / 2 s [UNCONFIRMED here] */
	OO_R_OPEN,          /* orders-pending: 60 / 2 s [UNCONFIRMED here] */
	OO_R_PUBLIC,        /* public/time: 10 / 2 s per IP [UNCONFIRMED here] */
	OO_R_WSOPS,         /* login + subscribe: 480 / hour per connection */
	OO_NRULES
};

static const struct vo_rate_rule oo_rates[OO_NRULES] = {
	[OO_R_PLACE] = { .name = "order", .scope = VO_RS_ACCOUNT, .limit = 60,
			 .window_ns = 2 * OO_NS_PER_S },
	[OO_R_CANCEL] = { .name = "cancel", .scope = VO_RS_ACCOUNT, .limit = 60,
			  .window_ns = 2 * OO_NS_PER_S },
	[OO_R_QUERY] = { .name = "query", .scope = VO_RS_ACCOUNT, .limit = 60,
			 .window_ns = 2 * OO_NS_PER_S },
	[OO_R_OPEN] = { .name = "open", .scope = VO_RS_ACCOUNT, .limit = 60,
			.window_ns = 2 * OO_NS_PER_S },
	[OO_R_PUBLIC] = { .name = "public", .scope = VO_RS_IP, .limit = 10,
			  .window_ns = 2 * OO_NS_PER_S },
	[OO_R_WSOPS] = { .name = "ws login+subscribe", .scope = VO_RS_ACCOUNT, .limit = 480,
			 .window_ns = 3600 * OO_NS_PER_S },
};

static uint16_t oo_cost(enum vo_op op, enum vo_chan ch, unsigned rule)
{
	const bool rest = ch == VO_CH_REST, ws = ch == VO_CH_WSAPI;

	switch (rule) {
	case OO_R_PLACE:
		return op == VO_OP_PLACE && (rest || ws);
	case OO_R_CANCEL:
		return op == VO_OP_CANCEL && (rest || ws);
	case OO_R_QUERY:
		return op == VO_OP_QUERY && rest;
	case OO_R_OPEN:
		return op == VO_OP_OPEN && rest;
	case OO_R_PUBLIC:
		return (op == VO_OP_TIME || op == VO_OP_KEEPALIVE) && rest;
	case OO_R_WSOPS:
		return (op == VO_OP_LOGIN || op == VO_OP_SUBSCRIBE) && ws;
	}
	return 0;
}

static uint16_t oo_connect_cost(enum vo_chan ch, unsigned rule)
{
	(void)ch;
	(void)rule;
	return 0;
}

/* ---- keys ---------------------------------------------------------------------- */

/* Key and passphrase go into JSON strings and headers unescaped. */
static bool oo_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return n > 0;
}

/* The passphrase is required (OK-ACCESS-PASSPHRASE, login). */
static kimp_cold int oo_key_init(struct vo_keys *k, const char *api_key, const void *secret,
				 size_t slen, const char *pass)
{
	size_t n = api_key ? strlen(api_key) : 0, np = pass ? strlen(pass) : 0;
	int err = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (n >= VO_API_KEY_MAX || !oo_text_ok(api_key, n) || !secret || !slen ||
	    np >= VO_PASS_MAX || !oo_text_ok(pass, np))
		goto fail;
	err = venue_hmac_key_init(&k->hmac, VENUE_SHA256, secret, slen);
	if (err)
		goto fail;
	memcpy(k->api_key, api_key, n);
	k->api_key_len = (uint32_t)n;
	memcpy(k->pass, pass, np);
	k->pass_len = (uint32_t)np;
	return 0;
fail:
	explicit_bzero(k, sizeof(*k));
	return err;
}

/* kimpctl sign: the base64 HMAC-SHA256 of the prehash string given. */
static int oo_sign_payload(struct vo_ctx *c, const char *payload, size_t n, char *out,
			   size_t cap)
{
	if (!c || !c->keys || (!payload && n) || !out)
		return -EINVAL;
	return venue_hmac_key_sign(&c->keys->hmac, payload ? payload : "", n, VENUE_B64, out,
				   cap);
}

/* ---- time ------------------------------------------------------------------------ */

static void oo_2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* ms since the epoch as 2020-12-08T09:08:57.715Z (24 bytes, no NUL): -EINVAL before 1970. */
static int oo_iso(int64_t ms, char out[OO_ISO_LEN])
{
	int64_t days, z, era, doe, yoe, y, doy, mp, d, mo, sod;

	if (ms < 0 || ms > 253402300799999ll)      /* 9999-12-31T23:59:59.999Z */
		return -EINVAL;
	days = ms / 86400000;
	sod = ms % 86400000;
	/* civil_from_days (H. Hinnant) */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	mo = mp < 10 ? mp + 3 : mp - 9;
	y += mo <= 2;
	oo_2(out, (unsigned)(y / 100));
	oo_2(out + 2, (unsigned)(y % 100));
	out[4] = '-';
	oo_2(out + 5, (unsigned)mo);
	out[7] = '-';
	oo_2(out + 8, (unsigned)d);
	out[10] = 'T';
	oo_2(out + 11, (unsigned)(sod / 3600000));
	out[13] = ':';
	oo_2(out + 14, (unsigned)(sod / 60000 % 60));
	out[16] = ':';
	oo_2(out + 17, (unsigned)(sod / 1000 % 60));
	out[19] = '.';
	out[20] = (char)('0' + sod % 1000 / 100);
	oo_2(out + 21, (unsigned)(sod % 100));
	out[23] = 'Z';
	return 0;
}

/* ---- what an order says on this venue -------------------------------------------- */

struct oo_plan {
	const struct venue_sym *s;
	const char *side;
	const char *type;       /* limit, ioc, fok, post_only, market */
	bool px;                /* send px */
	bool by_quote;          /* market buy: sz in quote (the venue's default) */
	bool tgt_base;          /* market buy by base size: tgtCcy base_ccy */
	bool by_oid;            /* cancel/query by ordId */
	char cid[VO_CID_MAX];
	int ncid;
};

static int oo_plan_common(const struct vo_ctx *c, const struct vo_order *o, struct oo_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	if (!c || !o || !c->keys || !c->syms || o->sym >= c->syms->n)
		return -EINVAL;
	pl->s = &c->syms->sym[o->sym];
	if (o->coid) {
		pl->ncid = vo_cid_format(c, o->coid, pl->cid);
		if (pl->ncid > OO_CID_MAX)
			return -EINVAL;
	}
	return 0;
}

/* PLACE: the ordType and amounts of o [3.3], or -EINVAL. */
static int oo_plan_place(const struct vo_ctx *c, const struct vo_order *o, struct oo_plan *pl)
{
	int err = oo_plan_common(c, o, pl);

	if (err)
		return err;
	if (!o->coid || (o->side != KIMP_SIDE_BUY && o->side != KIMP_SIDE_SELL))
		return -EINVAL;
	pl->side = o->side == KIMP_SIDE_BUY ? "buy" : "sell";
	switch (o->type) {
	case VO_LIMIT:
		switch (o->tif) {
		case KIMP_TIF_GTC:
			pl->type = "limit";
			break;
		case KIMP_TIF_IOC:
			pl->type = "ioc";
			break;
		case KIMP_TIF_FOK:
			pl->type = "fok";
			break;
		case KIMP_TIF_POST_ONLY:
			pl->type = "post_only";
			break;
		default:
			return -EINVAL;
		}
		break;
	case VO_POST_ONLY:
		pl->type = "post_only";
		break;
	case VO_MARKET:
		pl->type = "market";
		if (o->side == KIMP_SIDE_SELL)
			return o->qty > 0 ? 0 : -EINVAL;
		if (o->quote_qty > 0)
			pl->by_quote = true;
		else if (o->qty > 0)
			pl->tgt_base = true;
		else
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
	pl->px = true;
	return o->px > 0 && o->qty > 0 ? 0 : -EINVAL;
}

/* CANCEL, QUERY: by ordId when the venue's id is known, else by clOrdId. */
static int oo_plan_target(const struct vo_ctx *c, const struct vo_order *o, struct oo_plan *pl)
{
	int err = oo_plan_common(c, o, pl);

	if (err)
		return err;
	if (o->oid && o->oid_len) {
		if (o->oid_len > OO_OID_MAX || !vo_digits(o->oid, o->oid_len))
			return -EINVAL;
		pl->by_oid = true;
		return 0;
	}
	return o->coid ? 0 : -EINVAL;
}

/* ---- a JSON writer ----------------------------------------------------------------- */

/* struct vo_w and vw_put/VW_LIT/vw_str/vw_u64/vw_fixed: vo_text.h. */

/* {"id":"<req_id>", (none for 0) */
static void w_open(struct vo_w *w, uint64_t req_id)
{
	VW_LIT(w, "{");
	if (req_id) {
		VW_LIT(w, "\"id\":\"");
		vw_u64(w, req_id);
		VW_LIT(w, "\",");
	}
}

/*
 * The order's members, after the instrument ("instId":"BTC-USDT" or
 * "instIdCode":123, written by the caller): the same for REST and WS.
 */
static void w_place_fields(struct vo_w *w, const struct vo_order *o, const struct oo_plan *pl)
{
	VW_LIT(w, ",\"tdMode\":\"cash\",\"clOrdId\":\"");
	vw_put(w, pl->cid, (size_t)pl->ncid);
	VW_LIT(w, "\",\"side\":\"");
	vw_str(w, pl->side);
	VW_LIT(w, "\",\"ordType\":\"");
	vw_str(w, pl->type);
	if (pl->px) {
		VW_LIT(w, "\",\"px\":\"");
		vw_fixed(w, o->px, pl->s->px_dec);
	}
	VW_LIT(w, "\",\"sz\":\"");
	if (pl->by_quote)
		vw_fixed(w, o->quote_qty, pl->s->px_dec);
	else
		vw_fixed(w, o->qty, pl->s->qty_dec);
	VW_LIT(w, "\"");
	if (pl->tgt_base)
		VW_LIT(w, ",\"tgtCcy\":\"base_ccy\"");
	else if (pl->by_quote)
		VW_LIT(w, ",\"tgtCcy\":\"quote_ccy\"");
}

/* ,"ordId":"<oid>" or ,"clOrdId":"<cid>" */
static void w_target_fields(struct vo_w *w, const struct vo_order *o, const struct oo_plan *pl)
{
	if (pl->by_oid) {
		VW_LIT(w, ",\"ordId\":\"");
		vw_put(w, o->oid, o->oid_len);
	} else {
		VW_LIT(w, ",\"clOrdId\":\"");
		vw_put(w, pl->cid, (size_t)pl->ncid);
	}
	VW_LIT(w, "\"");
}

/* ---- WebSocket (3.3, 3.4, 3.5) ------------------------------------------------------- */

/* {"op":"login","args":[{"apiKey","passphrase","timestamp":"<s>","sign"}]} */
static void w_login(struct vo_w *w, struct vo_ctx *c)
{
	static const char verify[] = "GET/users/self/verify";
	const struct vo_keys *k = c->keys;
	char ts[24], sig[OO_B64_SIG + 1];
	int64_t ms = vo_server_ms(c);
	struct iovec iov[2];
	int nts, n;

	if (ms <= 0) {
		w->err = -EINVAL;
		return;
	}
	nts = vo_put_u64(ts, (uint64_t)ms / 1000);
	iov[0] = (struct iovec){ .iov_base = ts, .iov_len = (size_t)nts };
	iov[1] = (struct iovec){ .iov_base = (void *)(uintptr_t)verify, .iov_len = sizeof(verify) - 1 };
	n = venue_hmac_key_signv(&k->hmac, iov, 2, VENUE_B64, sig, sizeof(sig));
	if (n != OO_B64_SIG) {
		w->err = -EINVAL;
		return;
	}
	VW_LIT(w, "{\"op\":\"login\",\"args\":[{\"apiKey\":\"");
	vw_put(w, k->api_key, k->api_key_len);
	VW_LIT(w, "\",\"passphrase\":\"");
	vw_put(w, k->pass, k->pass_len);
	VW_LIT(w, "\",\"timestamp\":\"");
	vw_put(w, ts, (size_t)nts);
	VW_LIT(w, "\",\"sign\":\"");
	vw_put(w, sig, OO_B64_SIG);
	VW_LIT(w, "\"}]}");
}

static int oo_ws_build(struct vo_ctx *c, enum vo_chan ch, enum vo_op op,
		       const struct vo_order *o, uint64_t req_id, char *out, size_t cap)
{
	struct vo_w w = { .p = out, .end = out + cap };
	struct oo_plan pl;
	int err;

	if (ch != VO_CH_WSAPI || !c || !out)
		return -EINVAL;
	switch (op) {
	case VO_OP_LOGIN:
		if (!c->keys)
			return -EINVAL;
		w_login(&w, c);
		break;
	case VO_OP_SUBSCRIBE:
		w_open(&w, req_id);
		VW_LIT(&w, "\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\","
			  "\"instType\":\"SPOT\"}]}");
		break;
	case VO_OP_KEEPALIVE:
		VW_LIT(&w, "ping");
		break;
	case VO_OP_PLACE:
		if ((err = oo_plan_place(c, o, &pl)))
			return err;
		if (!pl.s->code)
			return -EINVAL;      /* instIdCode unknown: REST only */
		w_open(&w, req_id);
		VW_LIT(&w, "\"op\":\"order\",\"args\":[{\"instIdCode\":");
		vw_u64(&w, pl.s->code);
		w_place_fields(&w, o, &pl);
		VW_LIT(&w, "}]}");
		break;
	case VO_OP_CANCEL:
		if ((err = oo_plan_target(c, o, &pl)))
			return err;
		if (!pl.s->code)
			return -EINVAL;
		w_open(&w, req_id);
		VW_LIT(&w, "\"op\":\"cancel-order\",\"args\":[{\"instIdCode\":");
		vw_u64(&w, pl.s->code);
		w_target_fields(&w, o, &pl);
		VW_LIT(&w, "}]}");
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

static const char *oo_ws_path(enum vo_chan ch)
{
	return ch == VO_CH_WSAPI ? "/ws/v5/private" : NULL;
}

static int oo_ws_headers(struct vo_ctx *c, enum vo_chan ch, char *out, size_t cap)
{
	(void)c;
	(void)ch;
	(void)out;
	(void)cap;
	return 0;
}

/* ---- REST requests (3.3, 3.4) -------------------------------------------------------- */

static const struct {
	const char *method, *path;
	bool signed_;
} oo_routes[VO_OP_N] = {
	[VO_OP_PLACE] = { "POST", "/api/v5/trade/order", true },
	[VO_OP_CANCEL] = { "POST", "/api/v5/trade/cancel-order", true },
	[VO_OP_QUERY] = { "GET", "/api/v5/trade/order", true },
	[VO_OP_OPEN] = { "GET", "/api/v5/trade/orders-pending", true },
	[VO_OP_TIME] = { "GET", "/api/v5/public/time", false },
	[VO_OP_KEEPALIVE] = { "GET", "/api/v5/public/time", false },
};

static kimp_cold int oo_rest_tmpl(const struct vo_ctx *c, enum vo_op op, const char *host,
				  struct net_http_tmpl *t)
{
	char pass[VO_PASS_MAX];
	int err;

	if (op <= VO_OP_NONE || op >= VO_OP_N || !oo_routes[op].method || !host || !c)
		return -EINVAL;
	if (oo_routes[op].signed_ && !c->keys)
		return -EINVAL;
	err = net_http_tmpl_init(t, oo_routes[op].method, oo_routes[op].path, host);
	if (!err)
		err = net_http_tmpl_header(t, "Accept", "application/json");
	if (!err && oo_routes[op].signed_) {
		err = net_http_tmpl_header(t, "Content-Type", "application/json");
		if (!err)
			err = net_http_tmpl_header(t, "OK-ACCESS-KEY", c->keys->api_key);
		if (!err) {
			memcpy(pass, c->keys->pass, c->keys->pass_len);
			pass[c->keys->pass_len] = '\0';
			err = net_http_tmpl_header(t, "OK-ACCESS-PASSPHRASE", pass);
			explicit_bzero(pass, sizeof(pass));
		}
	}
	return err;
}

/* The body o's JSON (written by w_*) into r's body. */
static int oo_rest_body(struct net_http_req *r, const char *json, size_t n)
{
	net_http_req_body(r);
	net_http_req_put(r, json, n);
	return r->err;
}

/* OK-ACCESS-SIGN and OK-ACCESS-TIMESTAMP over what r holds. */
static int oo_rest_sign(struct vo_ctx *c, const char *method, struct net_http_req *r)
{
	char ts[OO_ISO_LEN], sig[OO_B64_SIG + 1];
	struct net_http_str tgt = net_http_req_target(r), body = net_http_req_body_str(r);
	struct iovec iov[4] = {
		{ .iov_base = ts, .iov_len = OO_ISO_LEN },
		{ .iov_base = (void *)(uintptr_t)method, .iov_len = strlen(method) },
		{ .iov_base = (void *)(uintptr_t)tgt.p, .iov_len = tgt.len },
		{ .iov_base = (void *)(uintptr_t)body.p, .iov_len = body.len },
	};
	int n;

	if (r->err)
		return r->err == -EINVAL ? -EINVAL : -ENOSPC;
	if (oo_iso(vo_server_ms(c), ts))
		return -EINVAL;
	n = venue_hmac_key_signv(&c->keys->hmac, iov, body.len ? 4 : 3, VENUE_B64, sig,
				 sizeof(sig));
	if (n != OO_B64_SIG)
		return -EINVAL;
	net_http_req_hdr(r, "OK-ACCESS-SIGN");
	net_http_req_put(r, sig, OO_B64_SIG);
	net_http_req_hdr(r, "OK-ACCESS-TIMESTAMP");
	net_http_req_put(r, ts, OO_ISO_LEN);
	if (r->err)
		return r->err == -EINVAL ? -EINVAL : -ENOSPC;
	return 0;
}

#define OO_BODY_MAX 512

static int oo_rest_build(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 struct net_http_req *r)
{
	char json[OO_BODY_MAX];
	struct vo_w w = { .p = json, .end = json + sizeof(json) };
	struct oo_plan pl;
	int err;

	if (!c || !r)
		return -EINVAL;
	switch (op) {
	case VO_OP_TIME:
	case VO_OP_KEEPALIVE:
		return r->err == -EINVAL ? -EINVAL : r->err ? -ENOSPC : 0;
	case VO_OP_PLACE:
		if ((err = oo_plan_place(c, o, &pl)))
			return err;
		VW_LIT(&w, "{\"instId\":\"");
		vw_str(&w, pl.s->name);
		VW_LIT(&w, "\"");
		w_place_fields(&w, o, &pl);
		VW_LIT(&w, "}");
		if (w.err)
			return w.err;
		if (oo_rest_body(r, json, (size_t)(w.p - json)))
			return -ENOSPC;
		break;
	case VO_OP_CANCEL:
		if ((err = oo_plan_target(c, o, &pl)))
			return err;
		VW_LIT(&w, "{\"instId\":\"");
		vw_str(&w, pl.s->name);
		VW_LIT(&w, "\"");
		w_target_fields(&w, o, &pl);
		VW_LIT(&w, "}");
		if (w.err)
			return w.err;
		if (oo_rest_body(r, json, (size_t)(w.p - json)))
			return -ENOSPC;
		break;
	case VO_OP_QUERY:
		if ((err = oo_plan_target(c, o, &pl)))
			return err;
		net_http_req_param(r, "instId");
		net_http_req_put_str(r, pl.s->name);
		if (pl.by_oid) {
			net_http_req_param(r, "ordId");
			net_http_req_put(r, o->oid, o->oid_len);
		} else {
			net_http_req_param(r, "clOrdId");
			net_http_req_put(r, pl.cid, (size_t)pl.ncid);
		}
		break;
	case VO_OP_OPEN:
		if (!c->keys)
			return -EINVAL;
		net_http_req_param(r, "instType");
		net_http_req_put_str(r, "SPOT");
		break;
	default:
		return -EINVAL;
	}
	return oo_rest_sign(c, oo_routes[op].method, r);
}

/* ---- JSON values kept for later ----------------------------------------------------- */

/* struct vo_v and bv_read/bv_is/bv_u64/bv_ms_ns: vo_text.h. */

/* An int32 code ("51008" or 51008). */
static int ov_code(const struct vo_v *v, int32_t *out)
{
	uint64_t x;
	int err = bv_u64(v, &x);

	if (err)
		return err;
	if (x > INT32_MAX)
		return -VD_E_NUMBER;
	*out = (int32_t)x;
	return 0;
}

enum oo_round { OR_EXACT = 0, OR_NEAREST, OR_UP };

/*
 * A decimal ("-0.02522168", "31527.1", "" = 0) at dec decimals: exactly
 * (OR_EXACT: VD_E_NUMBER when finer), to nearest, or up (away from zero).
 */
static int ov_dec(const struct vo_v *v, unsigned dec, enum oo_round mode, int64_t *out)
{
	const char *p = v->p;
	uint32_t n = v->len, i = 0;
	uint64_t x = 0;
	unsigned fd = 0;
	bool neg = false, any = false, more = false, half = false, dropped = false;

	if (v->t != BV_STR && v->t != BV_NUM)
		return -VD_E_SHAPE;
	if (v->t == BV_STR && !n) {
		*out = 0;
		return 0;
	}
	if (v->esc || dec > VENUE_DEC_MAX)
		return -VD_E_NUMBER;
	if (i < n && p[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (x > (uint64_t)INT64_MAX / 10)
			return -VD_E_NUMBER;
		x = x * 10 + (uint64_t)(p[i] - '0');
		any = true;
	}
	if (i < n && p[i] == '.') {
		uint32_t f0 = ++i;

		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			unsigned d = (unsigned)(p[i] - '0');

			if (fd < dec) {
				if (x > ((uint64_t)INT64_MAX - d) / 10)
					return -VD_E_NUMBER;
				x = x * 10 + d;
				fd++;
				continue;
			}
			if (!dropped)
				half = d >= 5;
			dropped = true;
			more |= d != 0;
		}
		if (i == f0)
			return -VD_E_NUMBER;
	}
	if (!any || i != n)
		return -VD_E_NUMBER;
	for (; fd < dec; fd++) {
		if (x > (uint64_t)INT64_MAX / 10)
			return -VD_E_NUMBER;
		x *= 10;
	}
	if (more && mode == OR_EXACT)
		return -VD_E_NUMBER;
	if ((mode == OR_UP ? more : mode == OR_NEAREST && half) && x++ == (uint64_t)INT64_MAX)
		return -VD_E_NUMBER;
	*out = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

/* ---- order objects (3.5) ------------------------------------------------------------- */

enum oo_ik {
	IK_INST, IK_ORDID, IK_CLORDID, IK_PX, IK_SZ, IK_SIDE, IK_ORDTYPE, IK_STATE, IK_ACCFILL,
	IK_AVGPX, IK_FILLPX, IK_FILLSZ, IK_FILLFEE, IK_FILLFEECCY, IK_FEE, IK_FEECCY, IK_TRADEID,
	IK_EXECTYPE, IK_UTIME, IK_CTIME, IK_TGTCCY, IK_SCODE, IK_SMSG, IK_TS, IK_N
};

static const struct {
	const char *s;
	uint32_t n;
} oo_ikeys[IK_N] = {
#define K(i, s) [i] = { s, sizeof(s) - 1 }
	K(IK_INST, "instId"), K(IK_ORDID, "ordId"), K(IK_CLORDID, "clOrdId"), K(IK_PX, "px"),
	K(IK_SZ, "sz"), K(IK_SIDE, "side"), K(IK_ORDTYPE, "ordType"), K(IK_STATE, "state"),
	K(IK_ACCFILL, "accFillSz"), K(IK_AVGPX, "avgPx"), K(IK_FILLPX, "fillPx"),
	K(IK_FILLSZ, "fillSz"), K(IK_FILLFEE, "fillFee"), K(IK_FILLFEECCY, "fillFeeCcy"),
	K(IK_FEE, "fee"), K(IK_FEECCY, "feeCcy"), K(IK_TRADEID, "tradeId"),
	K(IK_EXECTYPE, "execType"), K(IK_UTIME, "uTime"), K(IK_CTIME, "cTime"),
	K(IK_TGTCCY, "tgtCcy"), K(IK_SCODE, "sCode"), K(IK_SMSG, "sMsg"), K(IK_TS, "ts"),
#undef K
};

/* Walk an object into v[] by key table; other members checked and skipped. */
static int oo_object(struct js *j, int (*key)(const struct js_str *k), struct vo_v *v)
{
	struct js_str k;
	bool first = true, done = false;
	int err;

	if (js_peek(j) != '{') {
		err = js_skip(j);
		return err ? err : -VD_E_SHAPE;
	}
	j->p++;
	for (;;) {
		int i;

		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			return 0;
		i = k.escaped ? -1 : key(&k);
		err = i >= 0 ? bv_read(j, &v[i]) : js_skip(j);
		if (err)
			return err;
	}
}

static int oo_ikey(const struct js_str *k)
{
	for (int i = 0; i < IK_N; i++)
		if (k->len == oo_ikeys[i].n && !memcmp(k->p, oo_ikeys[i].s, k->len))
			return i;
	return -1;
}

static int ov_oid(const struct vo_v *v, struct vo_event *ev)
{
	if (v->t != BV_STR)
		return -VD_E_SHAPE;
	if (!v->len)
		return 0;
	if (!vo_digits(v->p, v->len) || v->len >= VO_OID_MAX)
		return -VD_E_NUMBER;
	memcpy(ev->oid, v->p, v->len);
	ev->oid[v->len] = '\0';
	return 0;
}

static uint64_t ov_coid(const struct vo_ctx *c, const struct vo_v *v)
{
	return v->t == BV_STR && !v->esc ? vo_cid_parse(c, v->p, v->len) : 0;
}

static int ov_state(const struct vo_v *v, struct vo_event *ev)
{
	if (BV_IS(v, "live"))
		ev->state = KIMP_ORD_ACKED;
	else if (BV_IS(v, "partially_filled"))
		ev->state = KIMP_ORD_PARTIAL;
	else if (BV_IS(v, "filled"))
		ev->state = KIMP_ORD_FILLED;
	else if (BV_IS(v, "canceled") || BV_IS(v, "mmp_canceled"))
		ev->state = KIMP_ORD_CANCELLED;
	else
		return -VD_E_SHAPE;
	return 0;
}

/* 1 base, 0 quote, -1 another asset (or none) of ev->sym. */
static int oo_fee_class(const struct vo_ctx *c, const struct vo_event *ev, const struct vo_v *a)
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

/* The venue's fee (negative = paid) as ours (positive = paid), rounded up. */
static int oo_fee(const struct vo_ctx *c, const struct vo_event *ev, int cls,
		  const struct vo_v *v, int64_t *out)
{
	const struct venue_sym *s = &c->syms->sym[ev->sym];
	int64_t f;
	int err = ov_dec(v, cls ? s->qty_dec : s->px_dec, OR_UP, &f);

	if (err)
		return err;
	*out = -f;
	return 0;
}

/* An order object (push, GET order, orders-pending) into ev. */
static int oo_order(const struct vo_ctx *c, const struct vo_v *v, struct vo_event *ev)
{
	const struct venue_sym *s;
	uint32_t i;
	int cls, err;

	ev->kind = VO_EV_ORDER;
	if (v[IK_INST].t != BV_STR || v[IK_STATE].t == BV_NONE || v[IK_ORDID].t == BV_NONE)
		return -VD_E_SHAPE;
	i = c->syms && !v[IK_INST].esc ? venue_symtab_find(c->syms, v[IK_INST].p, v[IK_INST].len)
				       : VENUE_SYM_NONE;
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	ev->sym = i;
	s = &c->syms->sym[i];
	if ((err = ov_state(&v[IK_STATE], ev)) || (err = ov_oid(&v[IK_ORDID], ev)))
		return err;
	ev->coid = ov_coid(c, &v[IK_CLORDID]);
	if (BV_IS(&v[IK_SIDE], "buy"))
		ev->side = KIMP_SIDE_BUY;
	else if (BV_IS(&v[IK_SIDE], "sell"))
		ev->side = KIMP_SIDE_SELL;
	else if (v[IK_SIDE].t != BV_NONE)
		return -VD_E_SHAPE;
	if (v[IK_PX].t && (err = ov_dec(&v[IK_PX], s->px_dec, OR_EXACT, &ev->px)))
		return err;
	/* a market buy's sz is quote unless tgtCcy says base */
	if (v[IK_SZ].t && !(BV_IS(&v[IK_ORDTYPE], "market") && ev->side == KIMP_SIDE_BUY &&
			    !BV_IS(&v[IK_TGTCCY], "base_ccy")) &&
	    (err = ov_dec(&v[IK_SZ], s->qty_dec, OR_EXACT, &ev->qty)))
		return err;
	if (v[IK_ACCFILL].t && (err = ov_dec(&v[IK_ACCFILL], s->qty_dec, OR_EXACT, &ev->cum_qty)))
		return err;
	if (v[IK_AVGPX].t && ev->cum_qty) {
		/* avgPx at qty_dec more decimals (as many as fit), the product rounded once */
		unsigned k = s->px_dec + s->qty_dec <= VENUE_DEC_MAX ? s->qty_dec
								  : VENUE_DEC_MAX - s->px_dec;
		int64_t avg;
		__int128 q, d;

		if (ov_dec(&v[IK_AVGPX], s->px_dec + k, OR_NEAREST, &avg)) {
			k = 0;
			if ((err = ov_dec(&v[IK_AVGPX], s->px_dec, OR_NEAREST, &avg)))
				return err;
		}
		d = (__int128)js_pow10[s->qty_dec] * (__int128)js_pow10[k];
		q = ((__int128)avg * ev->cum_qty + d / 2) / d;
		if (avg < 0 || q > INT64_MAX)
			return -VD_E_NUMBER;
		ev->cum_quote = (int64_t)q;
	}
	if (v[IK_UTIME].t)
		err = bv_ms_ns(&v[IK_UTIME], &ev->venue_ts_ns);
	else if (v[IK_CTIME].t)
		err = bv_ms_ns(&v[IK_CTIME], &ev->venue_ts_ns);
	if (err)
		return err;
	/* the order's whole fee so far */
	cls = oo_fee_class(c, ev, &v[IK_FEECCY]);
	if (v[IK_FEE].t) {
		if (cls < 0) {
			ev->flags |= VO_F_FEE_OTHER;
		} else {
			ev->fee_asset = (uint8_t)cls;
			if ((err = oo_fee(c, ev, cls, &v[IK_FEE], &ev->cum_fee)))
				return err;
		}
		ev->flags |= VO_F_CUM_FEE;
	}
	if (BV_IS(&v[IK_EXECTYPE], "M"))
		ev->flags |= VO_F_MAKER;
	/* this event's fill: fillSz above 0 with a trade id */
	if (v[IK_FILLSZ].t && v[IK_TRADEID].t == BV_STR && v[IK_TRADEID].len) {
		int64_t fsz;

		if ((err = ov_dec(&v[IK_FILLSZ], s->qty_dec, OR_EXACT, &fsz)))
			return err;
		if (fsz > 0) {
			if ((err = ov_dec(&v[IK_FILLPX], s->px_dec, OR_EXACT, &ev->last_px)) ||
			    (err = bv_u64(&v[IK_TRADEID], &ev->trade_id)))
				return err;
			ev->last_qty = fsz;
			if (v[IK_FILLFEE].t && cls >= 0 &&
			    oo_fee_class(c, ev, &v[IK_FILLFEECCY]) == cls &&
			    (err = oo_fee(c, ev, cls, &v[IK_FILLFEE], &ev->last_fee)))
				return err;
			ev->flags |= VO_F_LAST;
		}
	}
	return 0;
}

/* ---- errors (3.6) ----------------------------------------------------------------------- */

/*
 * What an error means for the request [3.6]: service and timeout errors
 * leave it unknown; rate, clock and auth refusals are definite with their
 * flags; a refused cancel and a missing order are their own outcomes;
 * every other business error is a definite refusal.
 */
static void oo_outcome(const struct vo_ctx *c, struct vo_event *ev)
{
	const unsigned st = ev->http_status;

	ev->kind = VO_EV_ERROR;
	ev->outcome = VO_OUT_REJECTED;
	switch (ev->code) {
	case 50001:     /* service unavailable */
	case 50004:     /* endpoint timeout: result unknown */
	case 50026:     /* system error */
		ev->outcome = VO_OUT_UNKNOWN;
		break;
	case 50013:     /* system busy */
		ev->outcome = VO_OUT_UNKNOWN;
		ev->flags |= VO_F_RATE;
		break;
	case 50011:     /* rate limit */
	case 50061:     /* sub-account order rate */
	case 60014:     /* WS: too frequent */
		ev->flags |= VO_F_RATE;
		break;
	case 50102:     /* timestamp expired */
		ev->flags |= VO_F_CLOCK;
		break;
	case 60004:     /* WS login: invalid timestamp */
	case 60006:     /* WS login: timestamp expired */
		ev->flags |= VO_F_CLOCK | VO_F_AUTH;
		break;
	case 50100:     /* API frozen */
	case 50101:     /* key / environment mismatch */
	case 50103: case 50104: case 50105: case 50106: case 50107: /* headers, passphrase */
	case 50110:     /* IP not whitelisted */
	case 50111:     /* invalid key */
	case 50113:     /* invalid signature */
	case 50114:     /* invalid authorization */
	case 59113:     /* KYC level 2 required */
	case 50112:     /* timestamp not ISO-8601 */
	case 60005:     /* WS login: invalid key */
	case 60007:     /* WS login: invalid sign */
	case 60008:     /* WS login: not supported on this path */
	case 60009:     /* WS login failed */
	case 60024:     /* WS login: wrong passphrase */
	case 60011:     /* WS: please log in */
		ev->flags |= VO_F_AUTH;
		break;
	case 51400:     /* cancel failed: done, cancelled or none */
	case 51401:     /* already cancelled */
	case 51402:     /* already completed */
		ev->outcome = VO_OUT_CANCEL_REJECTED;
		break;
	case 51603:     /* order does not exist */
		ev->outcome = VO_OUT_NOT_FOUND;
		break;
	}
	if (st >= 500 && ev->code != 50011)
		ev->outcome = VO_OUT_UNKNOWN;
	if (st == 429)
		ev->flags |= VO_F_RATE;
	if (ev->flags & VO_F_RATE) {
		int64_t now = vo_server_ms(c);
		/* the windows are 2 s: try again after one */
		ev->retry_at_ms = (uint64_t)(now > 0 ? now : 0) + 2000;
	}
}

/* ---- replies and pushes --------------------------------------------------------------- */

enum { TK_ID, TK_OP, TK_EVENT, TK_CODE, TK_MSG, TK_DATA, TK_ARG, TK_ARGS, TK_N };

static int oo_tkey(const struct js_str *k)
{
	static const char *const names[TK_N] = { "id", "op", "event", "code", "msg", "data",
						 "arg", "args" };

	for (int i = 0; i < TK_N; i++)
		if (k->len == strlen(names[i]) && !memcmp(k->p, names[i], k->len))
			return i;
	return -1;
}

static int oo_akey(const struct js_str *k)
{
	return JS_IS(k, "channel") ? 0 : -1;
}

/* "id": our decimal request id, else 0. */
static void oo_req_id(const struct vo_v *v, struct vo_event *ev)
{
	uint64_t x;

	if (v->t == BV_STR && v->len <= 20 && !bv_u64(v, &x))
		ev->req_id = x;
}

/*
 * data[]: every element an object, read by key into it[] (the last one
 * kept). The count in *n.
 */
static int oo_items(const struct vo_v *data, struct vo_v *it, uint32_t *n)
{
	struct js j;
	bool first = true, done = false;
	int err;

	*n = 0;
	if (data->t != BV_ARR)
		return -VD_E_SHAPE;
	js_init(&j, data->p, data->len);
	if ((err = js_expect(&j, '[')))
		return err;
	for (;;) {
		if ((err = js_elem(&j, &first, &done)))
			return err;
		if (done)
			return 0;
		memset(it, 0, sizeof(*it) * IK_N);
		if ((err = oo_object(&j, oo_ikey, it)))
			return err;
		++*n;
	}
}

/* {"event":...} */
static int oo_event(struct vo_ctx *c, const struct vo_v *t, struct vo_event *ev)
{
	const struct vo_v *e = &t[TK_EVENT];
	int err;

	if (t[TK_CODE].t && (err = ov_code(&t[TK_CODE], &ev->code)))
		return err;
	if (t[TK_MSG].t == BV_STR) {
		ev->msg = t[TK_MSG].p;
		ev->msg_len = t[TK_MSG].len;
	}
	if (BV_IS(e, "login")) {
		if (ev->code) {
			oo_outcome(c, ev);
			ev->flags |= VO_F_AUTH;
			return 0;
		}
		ev->kind = VO_EV_LOGIN;
	} else if (BV_IS(e, "subscribe")) {
		struct vo_v a[1] = { 0 };
		struct js j;

		ev->kind = VO_EV_CONTROL;
		if (t[TK_ARG].t == BV_OBJ) {
			js_init(&j, t[TK_ARG].p, t[TK_ARG].len);
			if ((err = oo_object(&j, oo_akey, a)))
				return err;
			if (BV_IS(&a[0], "orders"))
				ev->kind = VO_EV_SUBSCRIBED;
		}
	} else if (BV_IS(e, "unsubscribe") || BV_IS(e, "channel-conn-count")) {
		ev->kind = VO_EV_CONTROL;
	} else if (BV_IS(e, "notice")) {
		ev->kind = ev->code == 64008 ? VO_EV_STREAM_END : VO_EV_CONTROL;
	} else if (BV_IS(e, "error") || BV_IS(e, "channel-conn-count-error")) {
		if (BV_IS(e, "error") && !t[TK_CODE].t)
			return -VD_E_SHAPE;
		oo_outcome(c, ev);
	} else {
		return e->t == BV_STR ? -VD_E_TYPE : -VD_E_SHAPE;
	}
	return 0;
}

/*
 * A reply to op ({"code","msg","data":[...]}, WS with "id","op"): the
 * result of its one item, or its error.
 */
static int oo_reply(struct vo_ctx *c, enum vo_op op, const struct vo_v *t, struct vo_event *ev)
{
	struct vo_v it[IK_N];
	int32_t code = 0, scode = 0;
	uint32_t n;
	int err;

	if (!t[TK_CODE].t || !t[TK_DATA].t)
		return -VD_E_SHAPE;
	if ((err = ov_code(&t[TK_CODE], &code)) || (err = oo_items(&t[TK_DATA], it, &n)))
		return err;
	if (n > 1)
		return -VD_E_SHAPE;     /* one request, one item */
	if (n && it[IK_SCODE].t && (err = ov_code(&it[IK_SCODE], &scode)))
		return err;
	if (n && (op == VO_OP_PLACE || op == VO_OP_CANCEL)) {
		uint64_t coid = ov_coid(c, &it[IK_CLORDID]);

		if (coid)   /* REST: the request's own stays when the echo is not ours */
			ev->coid = coid;
		if (it[IK_ORDID].t && (err = ov_oid(&it[IK_ORDID], ev)))
			return err;
		if (it[IK_TS].t && (err = bv_ms_ns(&it[IK_TS], &ev->venue_ts_ns)))
			return err;
	}
	if (code || scode) {
		/* an item's sCode decides where there is one */
		if (scode) {
			ev->code = scode;
			if (it[IK_SMSG].t == BV_STR) {
				ev->msg = it[IK_SMSG].p;
				ev->msg_len = it[IK_SMSG].len;
			}
		} else {
			ev->code = code;
			if (t[TK_MSG].t == BV_STR) {
				ev->msg = t[TK_MSG].p;
				ev->msg_len = t[TK_MSG].len;
			}
		}
		oo_outcome(c, ev);
		return 0;
	}
	switch (op) {
	case VO_OP_PLACE:
	case VO_OP_CANCEL:
		if (n != 1 || it[IK_ORDID].t != BV_STR)
			return -VD_E_SHAPE;
		ev->kind = VO_EV_ORDER;
		ev->state = op == VO_OP_PLACE ? KIMP_ORD_ACKED : KIMP_ORD_CANCEL_PENDING;
		return 0;
	case VO_OP_QUERY:
		if (n != 1)
			return -VD_E_SHAPE;
		return oo_order(c, it, ev);
	case VO_OP_TIME: {
		uint64_t ms;
		if (n != 1 || !it[IK_TS].t)
			return -VD_E_SHAPE;
		if ((err = bv_u64(&it[IK_TS], &ms)))
			return err;
		if (ms > INT64_MAX)
			return -VD_E_NUMBER;
		ev->kind = VO_EV_TIME;
		ev->server_ms = (int64_t)ms;
		return 0;
	}
	case VO_OP_KEEPALIVE:
		ev->kind = VO_EV_CONTROL;
		return 0;
	default:
		return -VD_E_TYPE;
	}
}

/* The top-level object at j into t[] (the members kept as slices). */
static int oo_top(struct js *j, struct vo_v *t)
{
	int c = js_peek(j), err;

	memset(t, 0, sizeof(*t) * TK_N);
	if (c != '{') {
		err = js_skip(j);
		if (!err)
			err = js_end(j);
		return err ? err : -VD_E_TYPE;
	}
	if ((err = oo_object(j, oo_tkey, t)))
		return err;
	return js_end(j);
}

/* One WebSocket message of the private connection. */
static int oo_ws_msg(struct vo_ctx *c, const uint8_t *p, size_t len, struct vo_event *ev)
{
	struct vo_v t[TK_N];
	struct js j;
	int err;

	if (len == 4 && !memcmp(p, "pong", 4)) {
		ev->kind = VO_EV_CONTROL;
		return 0;
	}
	js_init(&j, p, len);
	if ((err = oo_top(&j, t)))
		return err;
	if (t[TK_ARGS].t)
		return -VD_E_TYPE;      /* a request, not something the venue sends */
	oo_req_id(&t[TK_ID], ev);
	if (t[TK_EVENT].t) {
		if (t[TK_DATA].t)
			return -VD_E_SHAPE;
		return oo_event(c, t, ev);
	}
	if (t[TK_OP].t) {
		if (BV_IS(&t[TK_OP], "order"))
			return oo_reply(c, VO_OP_PLACE, t, ev);
		if (BV_IS(&t[TK_OP], "cancel-order"))
			return oo_reply(c, VO_OP_CANCEL, t, ev);
		return t[TK_OP].t == BV_STR ? -VD_E_TYPE : -VD_E_SHAPE;
	}
	if (t[TK_ARG].t == BV_OBJ && t[TK_DATA].t) {
		struct vo_v a[1] = { 0 }, it[IK_N];
		uint32_t n;

		js_init(&j, t[TK_ARG].p, t[TK_ARG].len);
		if ((err = oo_object(&j, oo_akey, a)))
			return err;
		if ((err = oo_items(&t[TK_DATA], it, &n)))
			return err;
		if (BV_IS(&a[0], "fills")) {
			ev->kind = VO_EV_CONTROL;   /* VIP4 only; not subscribed */
			return 0;
		}
		if (!BV_IS(&a[0], "orders"))
			return -VD_E_TYPE;
		if (!n)
			return -VD_E_SHAPE;
		return oo_order(c, it, ev);
	}
	return -VD_E_SHAPE;
}

static int oo_ws_parse(struct vo_ctx *c, enum vo_chan ch, const uint8_t *p, size_t len,
		       struct vo_event *ev)
{
	int err;

	vo_event_reset(ev);
	if (ch != VO_CH_WSAPI)
		return -VD_E_TYPE;
	if (!p)
		return -VD_E_SYNTAX;
	err = oo_ws_msg(c, p, len, ev);
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/* ---- REST replies ------------------------------------------------------------------------- */

static int oo_rest_parse(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			 uint16_t status, const struct net_http_parser *msg,
			 const uint8_t *body, size_t len, struct vo_event *ev)
{
	struct vo_v t[TK_N];
	struct js j;
	int err = -VD_E_SYNTAX;

	(void)msg;
	vo_event_reset(ev);
	ev->http_status = status;
	if (o) {
		ev->coid = o->coid;
		ev->side = o->side;
		if (c->syms && o->sym < c->syms->n)
			ev->sym = o->sym;
	}
	if (op <= VO_OP_NONE || op >= VO_OP_N || op == VO_OP_OPEN || !oo_routes[op].method) {
		err = -VD_E_TYPE;       /* OPEN: rest_parse_list */
		goto out;
	}
	if (body) {
		js_init(&j, body, len);
		err = oo_top(&j, t);
	}
	if (!err)
		err = oo_reply(c, op, t, ev);
	if (!err && (status < 200 || status >= 300) && ev->kind != VO_EV_ERROR) {
		/* a failure status with a success body: not what the venue sends */
		err = -VD_E_SHAPE;
	}
	if (err && (status >= 500 || status == 429)) {
		/* a proxy's page: the status says what happened */
		vo_event_reset(ev);
		ev->http_status = status;
		if (o) {
			ev->coid = o->coid;
			ev->side = o->side;
			if (c->syms && o->sym < c->syms->n)
				ev->sym = o->sym;
		}
		oo_outcome(c, ev);
		err = 0;
	}
out:
	if (err)
		ev->kind = VO_EV_NONE;
	return err;
}

/*
 * GET /api/v5/trade/orders-pending: {"code":"0","data":[orders]}. The
 * whole list is checked before the first call to each; orders of
 * instruments not in the table are left out. An error reply is not a
 * list: -VD_E_TYPE (rest_parse gives its error event).
 */
static int oo_rest_parse_list(struct vo_ctx *c, uint16_t status,
			      const struct net_http_parser *msg, const uint8_t *body,
			      size_t len, void (*each)(void *arg, const struct vo_event *ev),
			      void *arg)
{
	struct vo_v t[TK_N];
	int32_t code;
	int count = 0, err;
	struct js j;

	(void)msg;
	if (status < 200 || status >= 300)
		return -VD_E_TYPE;
	if (!body)
		return -VD_E_SYNTAX;
	js_init(&j, body, len);
	if ((err = oo_top(&j, t)))
		return err;
	if (!t[TK_CODE].t || t[TK_DATA].t != BV_ARR)
		return -VD_E_SHAPE;
	if ((err = ov_code(&t[TK_CODE], &code)))
		return err;
	if (code)
		return -VD_E_TYPE;
	for (int pass = 0; pass < 2; pass++) {
		bool first = true, done = false;

		js_init(&j, t[TK_DATA].p, t[TK_DATA].len);
		count = 0;
		if ((err = js_expect(&j, '[')))
			return err;
		for (;;) {
			struct vo_v it[IK_N] = { 0 };
			struct vo_event ev;

			if ((err = js_elem(&j, &first, &done)))
				return err;
			if (done)
				break;
			if ((err = oo_object(&j, oo_ikey, it)))
				return err;
			vo_event_reset(&ev);
			ev.http_status = status;
			err = oo_order(c, it, &ev);
			if (err == -VD_E_SYMBOL)
				continue;
			if (err)
				return err;
			if (count == INT32_MAX)
				return -VD_E_DEPTH;
			if (pass && each)
				each(arg, &ev);
			count++;
		}
	}
	return count;
}

/* ---- names --------------------------------------------------------------------------------- */

static const char *oo_err_name(int32_t code)
{
	static const struct {
		int32_t code;
		const char *name;
	} names[] = {
		{ 1, "ALL_FAILED" }, { 2, "PARTIAL_SUCCESS" },
		{ 50001, "SERVICE_UNAVAILABLE" }, { 50004, "ENDPOINT_TIMEOUT" },
		{ 50011, "RATE_LIMIT" }, { 50013, "SYSTEM_BUSY" }, { 50026, "SYSTEM_ERROR" },
		{ 50061, "SUBACCOUNT_RATE_LIMIT" }, { 50100, "API_FROZEN" },
		{ 50101, "KEY_ENV_MISMATCH" }, { 50102, "TIMESTAMP_EXPIRED" },
		{ 50103, "MISSING_KEY" }, { 50104, "MISSING_PASSPHRASE" },
		{ 50105, "WRONG_PASSPHRASE" }, { 50106, "MISSING_SIGN" },
		{ 50107, "MISSING_TIMESTAMP" }, { 50110, "IP_NOT_ALLOWED" },
		{ 50111, "INVALID_KEY" }, { 50113, "INVALID_SIGN" }, { 50114, "INVALID_AUTH" },
		{ 51000, "PARAMETER_ERROR" }, { 51001, "INSTRUMENT_NOT_FOUND" },
		{ 51006, "PRICE_OUT_OF_LIMIT" }, { 51008, "INSUFFICIENT_BALANCE" },
		{ 51020, "BELOW_MIN_SIZE" }, { 51121, "NOT_LOT_MULTIPLE" },
		{ 51400, "CANCEL_FAILED" }, { 51401, "ALREADY_CANCELLED" },
		{ 51402, "ALREADY_COMPLETED" }, { 51503, "AMEND_FAILED" },
		{ 51511, "POST_ONLY_CROSSES" }, { 51603, "ORDER_NOT_FOUND" },
		{ 59113, "KYC_REQUIRED" }, { 60009, "LOGIN_FAILED" }, { 60011, "NOT_LOGGED_IN" },
		{ 60012, "INVALID_REQUEST" }, { 60013, "INVALID_ARGS" },
		{ 60014, "TOO_FREQUENT" }, { 60018, "BAD_CHANNEL" }, { 64003, "TIER_TOO_LOW" },
		{ 64008, "UPGRADE_DISCONNECT" },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	return NULL;
}

/* ---- the table ------------------------------------------------------------------------------ */

#define OO_WS_REST (VO_CHBIT(VO_CH_WSAPI) | VO_CHBIT(VO_CH_REST))

const struct venue_ord venue_ord_okx = {
	.venue = KIMP_VENUE_OKX,
	.name = "okx",
	.rest_url = "https://openapi.okx.com",
	.wsapi_url = "wss://ws.okx.com:8443/ws/v5/private",
	.priv_url = NULL,
	.chans = {
		[VO_OP_PLACE] = OO_WS_REST,
		[VO_OP_CANCEL] = OO_WS_REST,
		[VO_OP_QUERY] = VO_CHBIT(VO_CH_REST),
		[VO_OP_OPEN] = VO_CHBIT(VO_CH_REST),
		[VO_OP_TIME] = VO_CHBIT(VO_CH_REST),
		[VO_OP_KEEPALIVE] = OO_WS_REST,
		[VO_OP_SUBSCRIBE] = VO_CHBIT(VO_CH_WSAPI),
		[VO_OP_LOGIN] = VO_CHBIT(VO_CH_WSAPI),
	},
	.user_data_on_wsapi = true,
	.cancel_async = true,
	.market_buy_by_quote = true,
	.hash_sha = VENUE_SHA256,
	/* the venue drops a connection quiet for 30 s: text ping (KEEPALIVE) */
	.ping_every_ns = 20 * OO_NS_PER_S,
	.conn_life_ns = 0,
	.rates = oo_rates,
	.nrates = OO_NRULES,
	.cost = oo_cost,
	.connect_cost = oo_connect_cost,
	.key_init = oo_key_init,
	.rest_tmpl = oo_rest_tmpl,
	.rest_build = oo_rest_build,
	.rest_parse = oo_rest_parse,
	.rest_parse_list = oo_rest_parse_list,
	.ws_build = oo_ws_build,
	.ws_path = oo_ws_path,
	.ws_headers = oo_ws_headers,
	.ws_parse = oo_ws_parse,
	.sign_payload = oo_sign_payload,
	.err_name = oo_err_name,
};

_Static_assert(OO_NRULES <= VO_RATE_RULES, "OKX rate rules fit the engine's");
_Static_assert(VO_PREFIX_MAX + 20 <= OO_CID_MAX, "a client id fits clOrdId's 32");
