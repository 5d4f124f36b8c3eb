/* SPDX-License-Identifier: MIT */
/*
 * The encode_sign stages: what orderd does with riskd's order to have the
 * bytes for the socket (the order bench's build_sign and ws_frame pieces,
 * bench/order/inproc.c): the vo_order made from the kimp_order, the
 * request built and signed by the venue's table (kimp/venue_ord.h), and
 * on ws-api the WebSocket frame sealed in place with the client mask.
 *
 *   encode_sign.upbit_rest      POST /v1/orders from the REST template,
 *                               JWT HS512 with the SHA-512 query_hash
 *   encode_sign.binance_wsapi   ws-api order.place, HMAC-SHA256 over the
 *                               sorted params, framed
 *   encode_sign.bithumb_rest    POST /v2/orders, JWT HS256 with the SHA-512
 *                               query_hash and a timestamp
 *   encode_sign.coinone_rest    POST /v2.1/order, the JSON payload base64 in
 *                               X-COINONE-PAYLOAD, its HMAC-SHA512 in
 *                               X-COINONE-SIGNATURE
 *   encode_sign.bybit_ws        trade WebSocket order.create (the session is
 *                               authenticated at login: no per-order
 *                               signature; its header carries the
 *                               timestamp and recv window), framed
 *   encode_sign.okx_ws          WebSocket "op":"order" with instIdCode (the
 *                               login signs the session), framed
 *
 * Order i is limit IOC buy 0.01 BTC (Coinone: GTC, it has no IOC) with its
 * own client id and a price stepping through 512 ticks, as in the order
 * bench. Each request is checked: it says what it should and carries its
 * signature (REST) or the venue's order operation (WebSocket).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/venue_ord.h"
#include "kimp/ws.h"
#include "icount.h"

/* Not real keys: the Python pipeline's secret, a made-up access key (the order bench's). */
static const char ic_secret[] =
	"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char ic_api_key[] =
	"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

#define REQ_CAP (NET_HTTP_TMPL_LINE_MAX + NET_HTTP_TMPL_HDRS_MAX + NET_HTTP_BODY_STAGE + 2048)

/* One venue's order entry as a stage sees it. */
struct enc_def {
	const struct venue_ord *vo;
	bool rest;                  /* REST (else the WebSocket order channel) */
	bool krw;                   /* quote KRW (else USDT) */
	uint8_t tif;
	const char *host;
	const char *pass;           /* passphrase (OKX) */
	const char *what;           /* the request holds it: the operation */
	const char *sig;            /* and this: its signature / auth */
};

static const struct enc_def enc_defs[] = {
	{ &venue_ord_upbit, true, true, KIMP_TIF_IOC, "api.upbit.com", NULL,
	  "POST /v1/orders", "Authorization: Bearer " },
	{ &venue_ord_binance, false, false, KIMP_TIF_IOC, NULL, NULL,
	  "\"order.place\"", "\"signature\":\"" },
	{ &venue_ord_bithumb, true, true, KIMP_TIF_IOC, "api.bithumb.com", NULL,
	  "POST /v2/orders", "Authorization: Bearer " },
	{ &venue_ord_coinone, true, true, KIMP_TIF_GTC, "api.coinone.co.kr", NULL,
	  "POST /v2.1/order", "X-COINONE-SIGNATURE: " },
	{ &venue_ord_bybit, false, false, KIMP_TIF_IOC, NULL, NULL,
	  "\"order.create\"", "\"X-BAPI-TIMESTAMP\"" },
	{ &venue_ord_okx, false, false, KIMP_TIF_IOC, NULL, "ic-pass",
	  "\"op\":\"order\"", "\"instIdCode\"" },
};

struct enc_st {
	const struct enc_def *d;
	const struct venue_ord *vo;
	struct venue_symtab syms;
	struct vo_keys keys;
	struct vo_ctx ctx;
	struct net_http_tmpl tmpl;
	struct ws_tx tx;
	struct kimp_order k;
	struct net_http_req req;
	uint8_t *frame;
	ssize_t len;
	uint8_t buf[REQ_CAP + WS_MAX_HDR];
};

static int enc_open(struct ic_run *r, const struct enc_def *d)
{
	struct enc_st *s = calloc(1, sizeof(*s));
	int e;

	r->st = s;
	if (!s)
		return ic_fail(r, -ENOMEM, "out of memory");
	s->d = d;
	s->vo = d->vo;
	if (!s->vo->key_init || (d->rest && (!s->vo->rest_tmpl || !s->vo->rest_build)) ||
	    (!d->rest && !s->vo->ws_build))
		return ic_fail(r, -ENOSYS, "libvenue's %s table has no %s", s->vo->name,
			       d->rest ? "rest_build" : "ws_build");
	venue_symtab_init(&s->syms, (enum kimp_venue)s->vo->venue);
	e = venue_symtab_add(&s->syms, "BTC", d->krw ? "KRW" : "USDT", 8, 8, 1);
	if (e < 0)
		return ic_fail(r, e, "venue_symtab_add %s BTC: %s", s->vo->name, strerror(-e));
	s->syms.sym[e].code = 10459;        /* OKX's instIdCode of BTC-USDT (any number) */
	e = s->vo->key_init(&s->keys, ic_api_key, ic_secret, sizeof(ic_secret) - 1, d->pass);
	if (e)
		return ic_fail(r, e, "%s key_init: %s", s->vo->name, strerror(-e));
	s->ctx.vo = s->vo;
	s->ctx.syms = &s->syms;
	s->ctx.keys = &s->keys;
	memcpy(s->ctx.prefix, "kimp", 5);
	s->ctx.prefix_len = 4;
	s->ctx.recv_window_ms = 5000;
	vo_ctx_seed(&s->ctx);
	if (d->rest)
		e = s->vo->rest_tmpl(&s->ctx, VO_OP_PLACE, d->host, &s->tmpl);
	else
		e = ws_tx_init(&s->tx, WS_CLIENT);
	if (e)
		return ic_fail(r, e, "%s: %s", d->rest ? "rest_tmpl(PLACE)" : "ws_tx_init",
			       strerror(-e));
	return 0;
}

/* riskd's order number i, as it would sit in the ring (the order bench's). */
static int enc_before(struct ic_run *r, uint64_t i)
{
	struct enc_st *s = r->st;
	struct kimp_order *k = &s->k;

	memset(k, 0, sizeof(*k));
	k->h.type = KIMP_MSG_ORDER_NEW;
	k->h.venue = s->vo->venue;
	k->h.inst = 1;
	k->h.seq = i + 1;
	k->client_oid = (1763700000ull << 32) + i + 1;
	k->intent_id = i + 1;
	k->pair_id = i / 2 + 1;
	/* KRW 140,001,000 stepping by 1000; USDT 101,000.10 stepping by 0.01 */
	k->px = s->d->krw ? (140001000ll + (int64_t)(i % 512) * 1000) * 100000000ll :
			   (10100010ll + (int64_t)(i % 512)) * 1000000ll;
	k->qty = 1000000;       /* 0.01 BTC */
	k->side = KIMP_SIDE_BUY;
	k->tif = s->d->tif;
	k->leg = 1;
	k->kind = KIMP_INTENT_ENTRY;
	k->strategy = 1;
	s->len = 0;
	s->frame = NULL;
	return 0;
}

static int enc_op(struct ic_run *r, uint64_t i)
{
	struct enc_st *s = r->st;
	const struct kimp_order *k = &s->k;
	const struct vo_order o = {
		.coid = k->client_oid, .sym = 0, .side = k->side, .type = VO_LIMIT,
		.tif = k->tif, .px = k->px, .qty = k->qty,
	};
	int e;

	if (s->d->rest) {
		e = net_http_req_start(&s->req, &s->tmpl, s->buf, REQ_CAP);
		if (!e)
			e = s->vo->rest_build(&s->ctx, VO_OP_PLACE, &o, &s->req);
		s->len = e ? e : net_http_req_finish(&s->req);
		s->frame = s->buf;
		return 0;
	}
	s->len = s->vo->ws_build(&s->ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, i + 1,
				 (char *)s->buf + WS_MAX_HDR, REQ_CAP);
	if (s->len > 0)
		s->len = ws_tx_seal(&s->tx, s->buf + WS_MAX_HDR, (size_t)s->len, WS_MAX_HDR,
				    WS_OP_TEXT, true, &s->frame);
	return 0;
}

/* The ws-api frame's payload unmasked into out (cap bytes): its length, or -1. */
static ssize_t unmask(const uint8_t *f, size_t len, uint8_t *out, size_t cap)
{
	size_t hdr = 2, n = f[1] & 0x7f;

	if (len < 2 || !(f[1] & 0x80))
		return -1;
	if (n == 126) {
		n = (size_t)f[2] << 8 | f[3];
		hdr = 4;
	} else if (n == 127) {
		return -1;
	}
	if (hdr + 4 + n != len || n > cap)
		return -1;
	for (size_t j = 0; j < n; j++)
		out[j] = f[hdr + 4 + j] ^ f[hdr + (j & 3)];
	return (ssize_t)n;
}

static int enc_after(struct ic_run *r, uint64_t i)
{
	static uint8_t plain[REQ_CAP];
	struct enc_st *s = r->st;
	const char *sig = s->d->sig, *what = s->d->what;
	const uint8_t *p = s->frame;
	ssize_t n = s->len;

	if (s->len <= 0 || !s->frame)
		return ic_fail(r, -EPROTO, "order %llu: the %s build failed: %s",
			       (unsigned long long)i, s->vo->name,
			       s->len ? strerror((int)-s->len) : "empty");
	if (!s->d->rest) {
		if (s->frame[0] != 0x81 ||
		    (n = unmask(s->frame, (size_t)s->len, plain, sizeof(plain))) <= 0)
			return ic_fail(r, -EPROTO, "order %llu: not one masked text frame",
				       (unsigned long long)i);
		p = plain;
	}
	if (!memmem(p, (size_t)n, what, strlen(what)) || !memmem(p, (size_t)n, sig, strlen(sig)))
		return ic_fail(r, -EPROTO, "order %llu: the request lacks %s or its signature "
			       "(%s)", (unsigned long long)i, what, sig);
	r->produced++;
	return 0;
}

static void enc_close(struct ic_run *r)
{
	free(r->st);
	r->st = NULL;
}

static int open_upbit(struct ic_run *r) { return enc_open(r, &enc_defs[0]); }
static int open_binance(struct ic_run *r) { return enc_open(r, &enc_defs[1]); }
static int open_bithumb(struct ic_run *r) { return enc_open(r, &enc_defs[2]); }
static int open_coinone(struct ic_run *r) { return enc_open(r, &enc_defs[3]); }
static int open_bybit(struct ic_run *r) { return enc_open(r, &enc_defs[4]); }
static int open_okx(struct ic_run *r) { return enc_open(r, &enc_defs[5]); }

#define ENC_STAGE(nm, wh, op_) { .name = nm, .what = wh, .iters = 500, .open = op_,      \
				  .before = enc_before, .op = enc_op, .after = enc_after, \
				  .close = enc_close }

const struct ic_stage ic_encode_stages[] = {
	ENC_STAGE("encode_sign.upbit_rest",
		  "Upbit POST /v1/orders built and signed (JWT HS512, SHA-512 query_hash)",
		  open_upbit),
	ENC_STAGE("encode_sign.binance_wsapi",
		  "Binance ws-api order.place built, signed (HMAC-SHA256) and framed",
		  open_binance),
	ENC_STAGE("encode_sign.bithumb_rest",
		  "Bithumb POST /v2/orders built and signed (JWT HS256, SHA-512 query_hash)",
		  open_bithumb),
	ENC_STAGE("encode_sign.coinone_rest",
		  "Coinone POST /v2.1/order built and signed (base64 payload, HMAC-SHA512)",
		  open_coinone),
	ENC_STAGE("encode_sign.bybit_ws",
		  "Bybit trade WebSocket order.create built and framed", open_bybit),
	ENC_STAGE("encode_sign.okx_ws",
		  "OKX WebSocket order (instIdCode) built and framed", open_okx),
};
const unsigned ic_encode_nstages = sizeof(ic_encode_stages) / sizeof(ic_encode_stages[0]);
