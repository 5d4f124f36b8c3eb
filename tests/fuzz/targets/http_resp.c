/* SPDX-License-Identifier: MIT */
/*
 * libnet/http.c: the HTTP/1.1 response parser on arbitrary bytes (and, on
 * the same bytes, libnet/ws_hs.c's check of a WebSocket upgrade response
 * and its parse of an upgrade request).
 *
 * Input: byte 0: bit 0 the request was a HEAD; bit 1 de-chunk into a
 * caller buffer; bits 2-3 the limits; bits 4-7 how many pieces the bytes
 * arrive in (1..16); the rest is what the server sent (several pipelined
 * responses, possibly).
 *
 * Checked besides memory safety: feeding the bytes in pieces (each time a
 * moved copy, as the loop's staging buffer may move) gives the same
 * result, fields and body as feeding them at once; every accessor stays
 * inside the message; results are one of the documented ones.
 */
#include <errno.h>
#include "kimp/http.h"
#include "kimp/ws.h"
#include "../fuzz.h"

#define DECHUNK_CAP 4096

static char dechunk[2][DECHUNK_CAP];

static const struct net_http_limits limits[4] = {
	{ 8192, NET_HTTP_MAX_HDRS, 1u << 20 }, /* the defaults */
	{ 64, 1, 0 },                   /* the smallest allowed */
	{ 256, 4, 16 },
	{ 8192, NET_HTTP_MAX_HDRS, 100 },
};

static int documented(int r)
{
	return r == NET_HTTP_AGAIN || r == NET_HTTP_DONE || r == NET_HTTP_UPGRADE ||
	       (r <= -NET_HTTP_E_BASE && r > -NET_HTTP_E_END_);
}

/* Touch everything the accessors hand out; each inside buf or the de-chunk buffer. */
static void accessors(const struct net_http_parser *p, const char *buf, size_t len)
{
	struct net_http_str s = net_http_body(p);
	uint64_t v;

	FUZZ_CHECK(p->msg_len <= len);
	FUZZ_CHECK(fuzz_inside(s.p, s.len, buf, len) ||
		   fuzz_inside(s.p, s.len, dechunk[0], DECHUNK_CAP) ||
		   fuzz_inside(s.p, s.len, dechunk[1], DECHUNK_CAP));
	FUZZ_CHECK(p->nhdrs <= NET_HTTP_MAX_HDRS);
	for (unsigned i = 0; i < p->nhdrs; i++) {
		struct net_http_str n = net_http_header_name(p, i);
		struct net_http_str val = net_http_header_value(p, i);

		FUZZ_CHECK(fuzz_inside(n.p, n.len, buf, p->msg_len));
		FUZZ_CHECK(fuzz_inside(val.p, val.len, buf, p->msg_len));
	}
	s = net_http_reason(p);
	FUZZ_CHECK(fuzz_inside(s.p, s.len, buf, len));
	s = net_http_header(p, "content-type");
	FUZZ_CHECK(fuzz_inside(s.p, s.len, buf, len));
	(void)net_http_header_u64(p, "retry-after", &v);
	(void)net_http_header_find(p, "x-mbx-used-weight-1m", 0);
}

struct run {
	struct net_http_parser p;
	char *buf;
	size_t len;
	int r;
};

static void run_init(struct run *x, unsigned sel, int which)
{
	memset(x, 0, sizeof(*x));
	FUZZ_CHECK(net_http_parser_init(&x->p, NET_HTTP_RESPONSE, &limits[(sel >> 2) & 3]) == 0);
	if (sel & 2)
		net_http_parser_body_buf(&x->p, dechunk[which], DECHUNK_CAP);
	net_http_parser_next(&x->p, (sel & 1) ? NET_HTTP_F_HEAD : 0);
}

/* Give the parser p[0..n) as it grows to n, in the pieces asked for. */
static void feed(struct run *x, const uint8_t *p, size_t n, unsigned pieces)
{
	for (unsigned i = 1; i <= pieces; i++) {
		size_t upto = n * i / pieces;
		char *nb = malloc(upto ? upto : 1);

		if (!nb)
			abort();
		if (x->len)
			memcpy(nb, x->buf, x->len);
		memcpy(nb + x->len, p + x->len, upto - x->len);
		free(x->buf);
		x->buf = nb;
		x->len = upto;
		x->r = net_http_parse(&x->p, x->buf, x->len);
		FUZZ_CHECK(documented(x->r));
		if (x->r != NET_HTTP_AGAIN)
			break;
	}
}

static void same(const struct run *a, const struct run *b)
{
	struct net_http_str ba, bb;

	FUZZ_CHECK(a->r == b->r);
	if (a->r != NET_HTTP_DONE && a->r != NET_HTTP_UPGRADE)
		return;
	FUZZ_CHECK(a->p.status == b->p.status && a->p.version == b->p.version);
	FUZZ_CHECK(a->p.keep_alive == b->p.keep_alive && a->p.chunked == b->p.chunked);
	FUZZ_CHECK(a->p.msg_len == b->p.msg_len && a->p.nhdrs == b->p.nhdrs);
	FUZZ_CHECK(a->p.body_len == b->p.body_len && a->p.interim == b->p.interim);
	ba = net_http_body(&a->p);
	bb = net_http_body(&b->p);
	FUZZ_CHECK(ba.len == bb.len && (!ba.len || !memcmp(ba.p, bb.p, ba.len)));
}

static void handshake(const uint8_t *p, size_t n)
{
	char *b = (char *)fuzz_dup(p, n);
	struct ws_hs_response resp;
	struct ws_hs_request req;
	ssize_t r;

	r = ws_hs_client_check(b, n, "dGhlIHNhbXBsZSBub25jZQ==", (n & 1) ? "a, b" : NULL, &resp);
	FUZZ_CHECK(r == 0 || r == -EPROTO || (r > 0 && (size_t)r <= n && resp.fail == WS_HS_OK));
	if (r > 0)
		FUZZ_CHECK(fuzz_inside(resp.protocol, resp.protocol_len, b, n));
	r = ws_hs_server_parse(b, n, &req);
	FUZZ_CHECK(r == 0 || r == -EPROTO || (r > 0 && (size_t)r <= n && req.fail == WS_HS_OK));
	if (r > 0) {
		FUZZ_CHECK(fuzz_inside(req.path, req.path_len, b, n));
		FUZZ_CHECK(fuzz_inside(req.host, req.host_len, b, n));
		FUZZ_CHECK(fuzz_inside(req.key, WS_KEY_LEN, b, n));
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	const uint8_t *p;
	size_t n, off = 0;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0];
	p = data + 1;
	n = size - 1;
	run_init(&a, sel, 0);
	run_init(&b, sel, 1);
	feed(&a, p, n, 1);
	feed(&b, p, n, 1 + (sel >> 4));
	same(&a, &b);
	/* the rest of the stream with the whole-at-once parser */
	for (int msgs = 0; msgs < 8; msgs++) {
		if (a.r == NET_HTTP_DONE || a.r == NET_HTTP_UPGRADE)
			accessors(&a.p, a.buf, a.len);
		if (a.r == NET_HTTP_AGAIN) {
			int e = net_http_parse_eof(&a.p, a.buf, a.len);

			FUZZ_CHECK(e == NET_HTTP_DONE || e == -NET_HTTP_E_CLOSED ||
				   e == -NET_HTTP_E_TRUNCATED);
			if (e == NET_HTTP_DONE)
				accessors(&a.p, a.buf, a.len);
			break;
		}
		if (a.r != NET_HTTP_DONE || !a.p.keep_alive)
			break;
		off += a.p.msg_len;
		net_http_parser_next(&a.p, 0);
		free(a.buf);
		a.buf = (char *)fuzz_dup(p + off, n - off);
		a.len = n - off;
		a.r = net_http_parse(&a.p, a.buf, a.len);
		FUZZ_CHECK(documented(a.r));
	}
	free(a.buf);
	free(b.buf);
	handshake(p, n);
	return 0;
}
