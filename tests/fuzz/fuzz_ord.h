/* SPDX-License-Identifier: MIT */
/*
 * The order-entry parsers of one venue (struct venue_ord) on arbitrary
 * bytes: REST responses of every operation (status, headers and body, the
 * headers through libnet's parser as orderd gets them), the open-orders
 * list, and WebSocket messages on every channel (Binance ws-api replies and
 * user-data events, Upbit's private stream).
 *
 * Input:
 *   byte 0   bits 0-2: what (0 ws_parse WSAPI, 1 ws_parse PRIV, 2 the
 *            open-orders list, 3 PLACE, 4 CANCEL, 5 QUERY, 6 TIME,
 *            7 KEEPALIVE responses); bits 3-7: the order the request was
 *            for (symbol, side, type, with or without a venue order id)
 *   byte 1   the HTTP status (low 4 bits: fuzz_status)
 *   rest     WebSocket: the message. REST: extra header lines ending in
 *            CRLF CRLF when the input has one (else none), then the body
 *            (sent with a Content-Length).
 */
#ifndef KIMP_FUZZ_ORD_H
#define KIMP_FUZZ_ORD_H

#include <stdbool.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "fuzz_venue.h"

struct fuzz_ord {
	const struct venue_ord *vo;
	struct venue_symtab tab;
	struct vo_keys keys;
	struct vo_ctx ctx;
	bool ready;
};

struct fuzz_list {
	const struct vo_ctx *c;
	const uint8_t *body;
	size_t len;
	unsigned n;
};

static inline uint16_t fuzz_status(unsigned sel)
{
	static const uint16_t st[16] = { 200, 201, 204, 400, 401, 403, 404, 409,
					 418, 422, 429, 500, 502, 503, 504, 302 };

	return st[sel & 15];
}

static inline void fuzz_ord_init(struct fuzz_ord *f, const struct venue_ord *vo)
{
	static const char secret[] = "fuzz-secret-0123456789abcdef";

	f->vo = vo;
	if (vo->venue == KIMP_VENUE_UPBIT)
		fuzz_tab_upbit(&f->tab);
	else
		fuzz_tab_binance(&f->tab);
	FUZZ_CHECK(vo->key_init(&f->keys, "fuzzAccessKey0123456789", secret,
				sizeof(secret) - 1, NULL) == 0);
	memset(&f->ctx, 0, sizeof(f->ctx));
	f->ctx.vo = vo;
	f->ctx.syms = &f->tab;
	f->ctx.keys = &f->keys;
	strcpy(f->ctx.prefix, "kimp");
	f->ctx.prefix_len = 4;
	f->ctx.recv_window_ms = 5000;
	f->ctx.now_ns = 1747385641636000000ll;
	f->ctx.rng[0] = 0x9e3779b97f4a7c15ull;
	f->ctx.rng[1] = 0xbf58476d1ce4e5b9ull;
	f->ready = true;
}

/* The order a request was for, from selector bits 0-4. */
static inline struct vo_order fuzz_order(const struct fuzz_ord *f, unsigned sel)
{
	struct vo_order o = {
		.coid = 1747385641636001ull,
		.sym = (sel & 3) % f->tab.n,
		.side = (sel & 4) ? KIMP_SIDE_SELL : KIMP_SIDE_BUY,
		.type = (sel & 8) ? VO_MARKET : VO_LIMIT,
		.tif = KIMP_TIF_GTC,
		.px = 6500012,
		.qty = 150000,
		.quote_qty = (sel & 8) ? 1000000 : 0,
	};

	if (sel & 16) {
		o.oid = f->vo->venue == KIMP_VENUE_UPBIT ?
				"cdd92199-2897-4e14-9448-f923320408ad" : "12510053279";
		o.oid_len = (uint32_t)strlen(o.oid);
	}
	return o;
}

static inline void fuzz_list_each(void *arg, const struct vo_event *ev)
{
	struct fuzz_list *l = arg;

	fuzz_vo_check(0, ev, l->c, l->body, l->len);
	/* orders; a reply that is not a 2xx hands its error here */
	FUZZ_CHECK(ev->kind == VO_EV_ORDER || ev->kind == VO_EV_ERROR);
	l->n++;
}

/* Find "\r\n\r\n" in p[0..n): its offset, or n when absent. */
static inline size_t fuzz_head_end(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return i;
	return n;
}

static inline void fuzz_ord_rest(struct fuzz_ord *f, unsigned what, unsigned osel,
				 uint16_t status, const uint8_t *p, size_t n)
{
	static const enum vo_op ops[8] = { 0, 0, VO_OP_OPEN, VO_OP_PLACE, VO_OP_CANCEL,
					   VO_OP_QUERY, VO_OP_TIME, VO_OP_KEEPALIVE };
	struct net_http_parser msg;
	struct vo_order o = fuzz_order(f, osel);
	struct vo_event ev;
	struct net_http_str body;
	size_t he = fuzz_head_end(p, n), xlen = he < n ? he + 2 : 0;
	const uint8_t *b = he < n ? p + he + 4 : p;
	size_t blen = (size_t)(p + n - b);
	char head[64];
	int hlen = snprintf(head, sizeof(head), "HTTP/1.1 %u X\r\n", status);
	char cl[48];
	int cllen = snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", blen);
	size_t total = (size_t)hlen + xlen + (size_t)cllen + blen;
	char *buf = malloc(total);
	int r;

	if (!buf)
		abort();
	memcpy(buf, head, (size_t)hlen);
	memcpy(buf + hlen, p, xlen);
	memcpy(buf + hlen + xlen, cl, (size_t)cllen);
	memcpy(buf + hlen + xlen + cllen, b, blen);
	FUZZ_CHECK(net_http_parser_init(&msg, NET_HTTP_RESPONSE, NULL) == 0);
	if (net_http_parse(&msg, buf, total) != NET_HTTP_DONE)
		goto out;
	body = net_http_body(&msg);
	memset(&ev, 0x5a, sizeof(ev));
	if (ops[what] == VO_OP_OPEN) {
		struct fuzz_list l = { &f->ctx, (const uint8_t *)body.p, body.len, 0 };

		r = f->vo->rest_parse_list(&f->ctx, msg.status, &msg, (const uint8_t *)body.p,
					   body.len, fuzz_list_each, &l);
		FUZZ_CHECK(r < 0 ? -r < VD_E_MAX : (unsigned)r == l.n);
		FUZZ_CHECK(r < 0 || (msg.status >= 200 && msg.status < 300));
	} else {
		const struct vo_order *op = ops[what] == VO_OP_PLACE || ops[what] == VO_OP_CANCEL ||
						    ops[what] == VO_OP_QUERY ? &o : NULL;

		r = f->vo->rest_parse(&f->ctx, ops[what], op, msg.status, &msg,
				      (const uint8_t *)body.p, body.len, &ev);
		fuzz_vo_check(r, &ev, &f->ctx, (const uint8_t *)body.p, body.len);
	}
out:
	free(buf);
}

static inline int fuzz_ord_one(struct fuzz_ord *f, const struct venue_ord *vo,
			       const uint8_t *data, size_t size)
{
	unsigned what;

	if (!f->ready)
		fuzz_ord_init(f, vo);
	if (size < 2)
		return 0;
	what = data[0] & 7;
	if (what <= 1) {
		struct vo_event ev;
		enum vo_chan ch = what ? VO_CH_PRIV : VO_CH_WSAPI;
		int r;

		memset(&ev, 0x5a, sizeof(ev));
		r = vo->ws_parse(&f->ctx, ch, data + 2, size - 2, &ev);
		fuzz_vo_check(r, &ev, &f->ctx, data + 2, size - 2);
		return 0;
	}
	fuzz_ord_rest(f, what, data[0] >> 3, fuzz_status(data[1]), data + 2, size - 2);
	return 0;
}

#endif
