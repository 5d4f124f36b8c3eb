/* SPDX-License-Identifier: MIT */
/*
 * Tests for the HTTP/1.1 codec (kimp/http.h).
 *
 * Every message is parsed whole, split at every byte boundary and fed a
 * byte at a time; each piece goes into a fresh allocation of exactly the
 * bytes so far (so ASan catches a read past them, and the parser sees its
 * buffer move), and every way must give the same result. Venue shapes are
 * typed in from shared/docs/venues and shared/fixtures/venues. The http_py
 * suite checks against independent parsers and writers: Debian's Python
 * standard library (http.client, http.server) and aiohttp.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/http.h"
#include "../testutil.h"

/* The Python scripts (run by /usr/bin/python3 -c). */
#define PY_COMMON \
	"import io, sys, random, asyncio, http.client, http.server\n" \
	"out = sys.stdout.buffer\n" \
	"def f(k, v):\n" \
	"    if isinstance(v, str): v = v.encode('latin-1')\n" \
	"    out.write(k.encode() + b' ' + str(len(v)).encode() + b'\\n' + v + b'\\n')\n" \
	"class H(http.server.BaseHTTPRequestHandler):\n" \
	"    def log_message(self, *a): pass\n" \
	"    def version_string(self): return 'kimp-test/1'\n" \
	"    def date_time_string(self, timestamp=None): return 'Tue, 10 Oct 2017 12:32:56 GMT'\n" \
	"class Sock:\n" \
	"    def __init__(self, b): self.b = b\n" \
	"    def makefile(self, mode): return io.BytesIO(self.b)\n"

#define PY_RESP \
	"random.seed(int(sys.argv[1]))\n" \
	"def handler(ver='HTTP/1.1', cmd='GET'):\n" \
	"    h = H.__new__(H)\n" \
	"    h.wfile = io.BytesIO(); h.request_version = ver; h.protocol_version = ver\n" \
	"    h.command = cmd; h.requestline = cmd + ' / ' + ver\n" \
	"    h.client_address = ('127.0.0.1', 0); h.close_connection = False\n" \
	"    return h\n" \
	"def chunked(body):\n" \
	"    o = b''; i = 0\n" \
	"    while i < len(body):\n" \
	"        n = random.randint(1, 300); c = body[i:i + n]; i += n\n" \
	"        size = '%x' % len(c)\n" \
	"        if random.random() < .5: size = size.upper()\n" \
	"        if random.random() < .3: size = '0' * random.randint(1, 3) + size\n" \
	"        ext = random.choice(['', ';a=b', ';name=\"v a l\"', ' ;x', ';k=v;k2'])\n" \
	"        o += (size + ext).encode() + b'\\r\\n' + c + b'\\r\\n'\n" \
	"    o += b'0' + random.choice([b'', b';end']) + b'\\r\\n'\n" \
	"    if random.random() < .5: o += b'X-Checksum: abc\\r\\nX-Other: 1\\r\\n'\n" \
	"    return o + b'\\r\\n'\n" \
	"def body_bytes():\n" \
	"    n = random.choice([0, 1, 2, 15, 100, 700, 3000])\n" \
	"    return bytes(random.choice(b'{}[]\":,.0123456789abcdefXYZ \\r\\n\\x00\\xff') for _ in range(n))\n" \
	"def emit(raw, method='GET', eof=False):\n" \
	"    r = http.client.HTTPResponse(Sock(raw), method=method)\n" \
	"    r.begin(); body = r.read()\n" \
	"    f('RAW', raw); f('HEAD', '1' if method == 'HEAD' else '0'); f('EOF', '1' if eof else '0')\n" \
	"    f('STATUS', str(r.status)); f('REASON', r.reason); f('KA', '0' if r.will_close else '1')\n" \
	"    for k, v in r.getheaders(): f('HN', k); f('HV', v)\n" \
	"    f('BODY', body); f('END', '')\n" \
	"for i in range(int(sys.argv[2])):\n" \
	"    kind = i % 8\n" \
	"    body = body_bytes()\n" \
	"    if kind == 0:\n" \
	"        h = handler(); h.send_response(random.choice([200, 201, 400, 418, 429, 503]))\n" \
	"        h.send_header('Content-Type', 'application/json;charset=UTF-8')\n" \
	"        h.send_header('Content-Length', str(len(body)))\n" \
	"        if random.random() < .5: h.send_header('X-MBX-USED-WEIGHT-1M', str(random.randint(1, 1200)))\n" \
	"        if random.random() < .5: h.send_header('Retry-After', str(random.randint(1, 120)))\n" \
	"        if random.random() < .3: h.send_header('Connection', random.choice(['close', 'keep-alive', 'Close']))\n" \
	"        h.end_headers(); emit(h.wfile.getvalue() + body)\n" \
	"    elif kind == 1:\n" \
	"        h = handler(); h.send_response(200); h.send_header('Transfer-Encoding', 'chunked')\n" \
	"        h.send_header('Remaining-Req', 'group=order; min=59; sec=%d' % random.randint(0, 7))\n" \
	"        h.end_headers(); emit(h.wfile.getvalue() + chunked(body))\n" \
	"    elif kind == 2:\n" \
	"        h = handler('HTTP/1.0'); h.send_response(200); h.send_header('Content-Type', 'text/plain')\n" \
	"        h.end_headers(); emit(h.wfile.getvalue() + body, eof=True)\n" \
	"    elif kind == 3:\n" \
	"        h = handler(); h.send_response_only(100); h.end_headers()\n" \
	"        h.send_response(200); h.send_header('Content-Length', str(len(body))); h.end_headers()\n" \
	"        emit(h.wfile.getvalue() + body)\n" \
	"    elif kind == 4:\n" \
	"        h = handler(); h.send_error(random.choice([400, 404, 500, 503]), 'nope')\n" \
	"        emit(h.wfile.getvalue())\n" \
	"    elif kind == 5:\n" \
	"        h = handler(cmd='HEAD'); h.send_response(200)\n" \
	"        h.send_header('Content-Length', str(len(body) + 10)); h.end_headers()\n" \
	"        emit(h.wfile.getvalue(), method='HEAD')\n" \
	"    elif kind == 6:\n" \
	"        h = handler(); h.send_response(random.choice([204, 304])); h.send_header('ETag', '\"x\"')\n" \
	"        h.end_headers(); emit(h.wfile.getvalue())\n" \
	"    elif random.random() < .5:\n" \
	"        h = handler(); h.send_response(200); h.end_headers()\n" \
	"        emit(h.wfile.getvalue() + body, eof=True)\n" \
	"    else:\n" \
	"        h = handler('HTTP/1.0'); h.send_response(200); h.send_header('Connection', 'keep-alive')\n" \
	"        h.send_header('Content-Length', str(len(body))); h.end_headers()\n" \
	"        emit(h.wfile.getvalue() + body)\n"

#define PY_REQ \
	"from aiohttp import http_parser, base_protocol\n" \
	"random.seed(int(sys.argv[1]))\n" \
	"loop = asyncio.new_event_loop()\n" \
	"class Cap:\n" \
	"    def __init__(self): self.data = b''\n" \
	"    def sendall(self, d): self.data += d\n" \
	"    def close(self): pass\n" \
	"def pieces(b):\n" \
	"    i = 0\n" \
	"    while i < len(b):\n" \
	"        n = random.randint(1, 500); yield b[i:i + n]; i += n\n" \
	"def request():\n" \
	"    c = http.client.HTTPConnection(random.choice(['api.upbit.com', 'api.binance.com', '127.0.0.1:8443']))\n" \
	"    c.sock = Cap()\n" \
	"    method = random.choice(['GET', 'POST', 'DELETE', 'PUT', 'PATCH'])\n" \
	"    url = random.choice(['/v1/orders', '/api/v3/order', '/']) + random.choice(['', '?', '?market=KRW-BTC&side=bid', '?symbol=BTCUSDT&orderId=%d' % random.randint(0, 1 << 40)])\n" \
	"    hdrs = {}\n" \
	"    if random.random() < .5: hdrs['Authorization'] = 'Bearer eyJhbGciOiJIUzUxMiJ9.e30.' + 'x' * random.randint(0, 300)\n" \
	"    if random.random() < .5: hdrs['X-MBX-APIKEY'] = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'\n" \
	"    if random.random() < .3: hdrs['Connection'] = random.choice(['close', 'keep-alive'])\n" \
	"    body = None\n" \
	"    if method != 'GET' and random.random() < .7:\n" \
	"        body = bytes(random.choice(b'{}\":,.0123456789abcdefXYZ \\r\\n') for _ in range(random.choice([0, 1, 20, 400, 2000])))\n" \
	"        hdrs['Content-Type'] = 'application/json; charset=utf-8'\n" \
	"        if random.random() < .5: body = pieces(body)\n" \
	"    c.request(method, url, body=body, headers=hdrs)\n" \
	"    return c.sock.data\n" \
	"class P(base_protocol.BaseProtocol): pass\n" \
	"for g in range(int(sys.argv[2])):\n" \
	"    raw = b''.join(request() for _ in range(random.randint(1, 3)))\n" \
	"    if random.random() < .3: raw = b'\\r\\n' + raw\n" \
	"    p = http_parser.HttpRequestParserPy(P(loop), loop, 1 << 20)\n" \
	"    msgs, upgraded, tail = p.feed_data(raw)\n" \
	"    f('RAW', raw)\n" \
	"    for m, payload in msgs:\n" \
	"        body = loop.run_until_complete(payload.read())\n" \
	"        f('METHOD', m.method); f('TARGET', m.path); f('KA', '0' if m.should_close else '1')\n" \
	"        for k, v in m.raw_headers: f('HN', k); f('HV', v)\n" \
	"        f('BODY', body); f('END', '')\n" \
	"    f('TAIL', tail)\n"

#define PY_BUILD \
	"from aiohttp import http_parser, base_protocol\n" \
	"loop = asyncio.new_event_loop()\n" \
	"class P(base_protocol.BaseProtocol): pass\n" \
	"data = open(sys.argv[1], 'rb').read()\n" \
	"while data:\n" \
	"    nl = data.index(b'\\n'); n = int(data[:nl]); raw = data[nl + 1:nl + 1 + n]; data = data[nl + 1 + n:]\n" \
	"    h = H.__new__(H); h.rfile = io.BytesIO(raw); h.wfile = io.BytesIO(); h.client_address = ('t', 0)\n" \
	"    h.raw_requestline = h.rfile.readline(65537)\n" \
	"    f('OK', '1' if h.parse_request() else '0')\n" \
	"    f('METHOD', h.command); f('TARGET', h.path); f('VERSION', h.request_version)\n" \
	"    for k, v in h.headers.items(): f('HN', k); f('HV', v)\n" \
	"    f('BODY', h.rfile.read(int(h.headers.get('Content-Length', '0'))))\n" \
	"    f('REST', h.rfile.read())\n" \
	"    p = http_parser.HttpRequestParserPy(P(loop), loop, 1 << 20)\n" \
	"    msgs, upgraded, tail = p.feed_data(raw)\n" \
	"    f('N', str(len(msgs)))\n" \
	"    for m, payload in msgs:\n" \
	"        f('METHOD', m.method); f('TARGET', m.path)\n" \
	"        for k, v in m.raw_headers: f('HN', k); f('HV', v)\n" \
	"        f('BODY', loop.run_until_complete(payload.read()))\n" \
	"    f('END', '')\n"

#define PY_REPLY \
	"data = open(sys.argv[1], 'rb').read()\n" \
	"while data:\n" \
	"    nl = data.index(b'\\n'); method, n = data[:nl].split(b' '); n = int(n)\n" \
	"    raw = data[nl + 1:nl + 1 + n]; data = data[nl + 1 + n:]\n" \
	"    r = http.client.HTTPResponse(Sock(raw), method=method.decode())\n" \
	"    r.begin(); body = r.read()\n" \
	"    f('STATUS', str(r.status)); f('REASON', r.reason); f('VERSION', str(r.version)); f('KA', '0' if r.will_close else '1')\n" \
	"    for k, v in r.getheaders(): f('HN', k); f('HV', v)\n" \
	"    f('BODY', body); f('END', '')\n"

/* ---- helpers -------------------------------------------------------------- */

#define PY "/usr/bin/python3"
#define M(lit) lit, sizeof(lit) - 1   /* a literal and its length (NULs kept) */

static char dump_a[1 << 20], dump_b[1 << 20];

static void put_esc(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

static void put_str(FILE *f, const char *tag, struct net_http_str s)
{
	fprintf(f, "%s=", tag);
	if (!s.p)
		fputs("(none)", f);
	else
		put_esc(f, s.p, s.len);
	fputc('\n', f);
}

/* Everything a caller can see after a parse, as text. */
static void dump(const struct net_http_parser *p, enum net_http_kind kind, int ret,
		 char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");

	cr_assert_not_null(f);
	fprintf(f, "ret=%d %s\n", ret, ret < 0 ? net_http_err_name(ret) : "");
	if (ret == NET_HTTP_DONE || ret == NET_HTTP_UPGRADE) {
		fprintf(f, "status=%u version=%u method=%u ka=%d chunked=%d until_close=%d "
			"cl=%d:%llu interim=%u upgrade=%d expect=%d msg_len=%zu body_len=%llu\n",
			p->status, p->version, p->method, p->keep_alive, p->chunked,
			p->until_close, p->has_content_length,
			(unsigned long long)p->content_length, p->interim, p->upgrade,
			p->expect_continue, p->msg_len, (unsigned long long)p->body_len);
		if (kind == NET_HTTP_REQUEST) {
			put_str(f, "method", net_http_method_str(p));
			put_str(f, "target", net_http_target(p));
			put_str(f, "path", net_http_path(p));
			put_str(f, "query", net_http_query(p));
		} else {
			put_str(f, "reason", net_http_reason(p));
		}
		for (unsigned i = 0; i < p->nhdrs; i++) {
			put_str(f, "name", net_http_header_name(p, i));
			put_str(f, "value", net_http_header_value(p, i));
		}
		put_str(f, "body", net_http_body(p));
	}
	cr_assert_eq(fclose(f), 0);
}

static uint64_t fnv(uint64_t h, const void *s, size_t n)
{
	const unsigned char *b = s;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, struct net_http_str s)
{
	h = fnv(h, &s.len, sizeof(s.len));
	return s.p ? fnv(h, s.p, s.len) : fnv(h, "N", 1);
}

/* The same as dump(), as a hash (the fuzz loop compares millions). */
static uint64_t digest(const struct net_http_parser *p, enum net_http_kind kind, int ret)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, &ret, sizeof(ret));
	uint64_t f[] = { p->status, p->version, p->method, p->keep_alive, p->chunked,
			 p->until_close, p->has_content_length, p->content_length,
			 p->interim, p->upgrade, p->expect_continue, p->msg_len,
			 p->body_len, p->nhdrs };

	if (ret != NET_HTTP_DONE && ret != NET_HTTP_UPGRADE)
		return h;
	h = fnv(h, f, sizeof(f));
	if (kind == NET_HTTP_REQUEST) {
		h = fnv_str(h, net_http_method_str(p));
		h = fnv_str(h, net_http_target(p));
		h = fnv_str(h, net_http_path(p));
		h = fnv_str(h, net_http_query(p));
	} else {
		h = fnv_str(h, net_http_reason(p));
	}
	for (unsigned i = 0; i < p->nhdrs; i++) {
		h = fnv_str(h, net_http_header_name(p, i));
		h = fnv_str(h, net_http_header_value(p, i));
	}
	return fnv_str(h, net_http_body(p));
}

/* How to parse one message. */
struct feed {
	enum net_http_kind kind;
	unsigned flags;                    /* NET_HTTP_F_HEAD */
	const struct net_http_limits *lim; /* NULL: defaults */
	bool eof;                          /* the peer closes after the last byte */
	char *body_buf;                    /* de-chunk here instead of in place */
	size_t body_cap;
};

static const struct feed RESP = { .kind = NET_HTTP_RESPONSE };
static const struct feed RESP_EOF = { .kind = NET_HTTP_RESPONSE, .eof = true };
static const struct feed RESP_HEAD = { .kind = NET_HTTP_RESPONSE, .flags = NET_HTTP_F_HEAD };
static const struct feed REQ = { .kind = NET_HTTP_REQUEST };

static void feed_init(const struct feed *fd, struct net_http_parser *p)
{
	cr_assert_eq(net_http_parser_init(p, fd->kind, fd->lim), 0);
	net_http_parser_next(p, fd->flags);
	if (fd->body_buf)
		net_http_parser_body_buf(p, fd->body_buf, fd->body_cap);
}

/* Whatever the result, nothing handed out lies outside the message. */
static void check_bounds(const struct net_http_parser *p, const struct feed *fd,
			 const char *buf, size_t len, int ret)
{
	struct net_http_str b = net_http_body(p);

	if (ret != NET_HTTP_DONE && ret != NET_HTTP_UPGRADE)
		return;
	cr_assert_leq(p->msg_len, len);
	if (b.p && !(fd->body_buf && p->chunked)) {
		cr_assert(b.p >= buf && b.p + b.len <= buf + p->msg_len,
			  "body outside the message");
	}
	if (b.p && fd->body_buf && p->chunked)
		cr_assert_leq(b.len, fd->body_cap);
	for (unsigned i = 0; i < p->nhdrs; i++) {
		struct net_http_str n = net_http_header_name(p, i);
		struct net_http_str v = net_http_header_value(p, i);

		cr_assert(n.p >= buf && n.p + n.len <= buf + p->msg_len);
		cr_assert(v.p >= buf && v.p + v.len <= buf + p->msg_len);
	}
}

/*
 * Feed msg[0..len) in pieces ending at cuts[0..ncuts) and then len. Each
 * call gets a new allocation of exactly the bytes so far, carrying over
 * what the parser wrote (as a network layer moving a partial message to its
 * staging buffer would). Stops at the first result other than AGAIN; EOF
 * after the last byte if fd->eof. The result as text in out (if not NULL)
 * and as a hash in *h.
 */
static int feed_cuts(const struct feed *fd, const char *msg, size_t len, const size_t *cuts,
		     size_t ncuts, char *out, size_t cap, uint64_t *h)
{
	struct net_http_parser p;
	char *buf = NULL;
	size_t have = 0;
	int r = NET_HTTP_AGAIN;

	feed_init(fd, &p);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t upto = i < ncuts ? cuts[i] : len;
		char *nb;

		cr_assert_geq(upto, have);
		nb = malloc(upto ? upto : 1);
		cr_assert_not_null(nb);
		if (have)
			memcpy(nb, buf, have);
		if (upto > have)
			memcpy(nb + have, msg + have, upto - have);
		free(buf);
		buf = nb;
		have = upto;
		r = net_http_parse(&p, buf, have);
		if (r != NET_HTTP_AGAIN)
			break;
	}
	if (r == NET_HTTP_AGAIN && fd->eof)
		r = net_http_parse_eof(&p, buf, have);
	check_bounds(&p, fd, buf, have, r);
	if (out)
		dump(&p, fd->kind, r, out, cap);
	if (h)
		*h = digest(&p, fd->kind, r);
	free(buf);
	return r;
}

/*
 * Parse msg whole, split in two at every byte, and a byte at a time: all
 * must agree. The whole-message dump stays in dump_a; returns the result.
 */
static int check_splits(const struct feed *fd, const char *msg, size_t len)
{
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	int r = feed_cuts(fd, msg, len, NULL, 0, dump_a, sizeof(dump_a), NULL);

	cr_assert_not_null(cuts);
	for (size_t k = 0; k <= len; k++) {
		int r2;

		cuts[0] = k;
		r2 = feed_cuts(fd, msg, len, cuts, 1, dump_b, sizeof(dump_b), NULL);
		cr_assert_eq(r2, r, "split at %zu: %d, whole: %d", k, r2, r);
		cr_assert_str_eq(dump_b, dump_a, "split at %zu", k);
	}
	for (size_t k = 0; k + 1 < len; k++)
		cuts[k] = k + 1;
	cr_assert_eq(feed_cuts(fd, msg, len, cuts, len ? len - 1 : 0, dump_b, sizeof(dump_b),
			       NULL), r);
	cr_assert_str_eq(dump_b, dump_a, "one byte at a time");
	free(cuts);
	return r;
}

/* Parse once into *p from a private copy (returned; free it). */
static char *parse_copy(const struct feed *fd, struct net_http_parser *p, const char *msg,
			size_t len, int *ret)
{
	char *buf = malloc(len ? len : 1);

	cr_assert_not_null(buf);
	memcpy(buf, msg, len);
	feed_init(fd, p);
	*ret = net_http_parse(p, buf, len);
	if (*ret == NET_HTTP_AGAIN && fd->eof)
		*ret = net_http_parse_eof(p, buf, len);
	return buf;
}

static void expect_str(struct net_http_str s, const char *want)
{
	cr_assert_not_null(s.p, "absent, want \"%s\"", want);
	cr_assert_eq(s.len, strlen(want), "\"%.*s\" (%zu) want \"%s\"", (int)s.len, s.p, s.len,
		     want);
	cr_assert(!memcmp(s.p, want, s.len), "\"%.*s\" want \"%s\"", (int)s.len, s.p, want);
}

static void expect_mem(struct net_http_str s, const void *want, size_t n)
{
	cr_assert_eq(s.len, n, "length %zu want %zu", s.len, n);
	if (n) {
		cr_assert_not_null(s.p);
		cr_assert(!memcmp(s.p, want, n), "bytes differ");
	}
}

/* head + "Content-Length: N" + blank line + body, into a static buffer. */
static char msgbuf[1 << 16];
static size_t with_cl(const char *head, const char *body, size_t blen)
{
	int n = snprintf(msgbuf, sizeof(msgbuf), "%sContent-Length: %zu\r\n\r\n", head, blen);

	cr_assert(n > 0 && (size_t)n + blen <= sizeof(msgbuf));
	memcpy(msgbuf + n, body, blen);
	return (size_t)n + blen;
}

/* body as chunks of 'piece' bytes, each size line followed by ext, then the
 * last chunk with last_ext, the trailer lines and the blank line; appended
 * at dst. */
static size_t chunkify(char *dst, const char *body, size_t blen, size_t piece, const char *ext,
		       const char *last_ext, const char *trailers)
{
	size_t n = 0;

	for (size_t i = 0; i < blen; i += piece) {
		size_t c = blen - i < piece ? blen - i : piece;

		n += (size_t)sprintf(dst + n, "%zx%s\r\n", c, ext);
		memcpy(dst + n, body + i, c);
		n += c;
		memcpy(dst + n, "\r\n", 2);
		n += 2;
	}
	n += (size_t)sprintf(dst + n, "0%s\r\n%s\r\n", last_ext, trailers);
	return n;
}

/* Deterministic generator for the fuzz loops (xorshift64*). */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t rnd_n(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* ---- running Python ------------------------------------------------------- */

static bool have_python(void)
{
	return access(PY, X_OK) == 0;
}

/* Run PY -c script [a1 [a2]]; its stdout (malloc'd, *n bytes). The exit
 * status must be 0. */
static char *run_py(const char *script, const char *a1, const char *a2, size_t *n)
{
	int fds[2];
	pid_t pid;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	ssize_t got;

	cr_assert_not_null(out);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(PY, "python3", "-c", script, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		got = read(fds[0], out + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		cr_assert_geq(got, 0);
		if (!got)
			break;
		len += (size_t)got;
	}
	close(fds[0]);
	cr_assert_eq(test_wait_child(pid), 0, "python failed");
	*n = len;
	return out;
}

/* Records from the scripts: "KEY LEN\n" LEN bytes "\n". */
struct recs {
	const char *p, *end;
};

static bool rec_peek(const struct recs *r, const char *key)
{
	size_t k = strlen(key);

	return r->p + k < r->end && !memcmp(r->p, key, k) && r->p[k] == ' ';
}

static struct net_http_str rec_get(struct recs *r, const char *key)
{
	struct net_http_str s;
	char *e;
	unsigned long n;

	cr_assert(rec_peek(r, key), "expected record %s at \"%.20s\"", key, r->p);
	n = strtoul(r->p + strlen(key) + 1, &e, 10);
	cr_assert_eq(*e, '\n');
	s.p = e + 1;
	s.len = n;
	cr_assert(s.p + n < r->end && s.p[n] == '\n', "record %s cut short", key);
	r->p = s.p + n + 1;
	return s;
}

static long rec_num(struct recs *r, const char *key)
{
	struct net_http_str s = rec_get(r, key);
	char tmp[32];

	cr_assert_lt(s.len, sizeof(tmp));
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = 0;
	return strtol(tmp, NULL, 10);
}

static void expect_same(struct net_http_str got, struct net_http_str want, const char *what)
{
	cr_assert_eq(got.len, want.len, "%s: \"%.*s\" want \"%.*s\"", what, (int)got.len,
		     got.p ? got.p : "", (int)want.len, want.p);
	cr_assert(!got.len || !memcmp(got.p, want.p, got.len), "%s: \"%.*s\" want \"%.*s\"",
		  what, (int)got.len, got.p, (int)want.len, want.p);
}

/* The HN/HV records that follow must be exactly p's header table. */
static void expect_headers(struct recs *r, const struct net_http_parser *p)
{
	unsigned i = 0;

	while (rec_peek(r, "HN")) {
		struct net_http_str n = rec_get(r, "HN"), v = rec_get(r, "HV");

		cr_assert_lt(i, p->nhdrs, "python saw more headers");
		expect_same(net_http_header_name(p, i), n, "header name");
		expect_same(net_http_header_value(p, i), v, "header value");
		i++;
	}
	cr_assert_eq(i, p->nhdrs, "python saw %u headers, we %u", i, p->nhdrs);
}

/* ---- venue shapes ------------------------------------------------------------ */

/* Binance order ACK (body: shared/fixtures/venues/binance-rest-order.jsonl);
 * headers in the shapes shared/docs/venues/exchanges-global.md 1.7 lists. */
#define BN_ACK "{\"symbol\":\"BTCUSDT\",\"orderId\":28,\"orderListId\":-1,\"clientOrderId\":" \
	"\"6gCrw2kRUAF9CvJDGP16IP\",\"transactTime\":1507725176595}"
static const char bn_head[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: application/json;charset=UTF-8\r\n"
	"Connection: keep-alive\r\n"
	"Date: Tue, 10 Oct 2017 12:32:56 GMT\r\n"
	"Server: nginx\r\n"
	"x-mbx-uuid: 7f2a9b54-3a1c-4c0f-9e3b-2d8c1f0a6b11\r\n"
	"x-mbx-used-weight: 12\r\n"
	"x-mbx-used-weight-1m: 12\r\n"
	"x-mbx-order-count-10s: 1\r\n"
	"x-mbx-order-count-1d: 1\r\n"
	"Strict-Transport-Security: max-age=31536000; includeSubdomains\r\n"
	"X-Frame-Options: SAMEORIGIN\r\n"
	"X-Xss-Protection: 1; mode=block\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Content-Security-Policy: default-src 'self'\r\n"
	"Cache-Control: no-cache, no-store, must-revalidate\r\n"
	"Pragma: no-cache\r\n"
	"Expires: 0\r\n"
	"Access-Control-Allow-Origin: *\r\n"
	"Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n"
	"X-Cache: Miss from cloudfront\r\n"
	"Via: 1.1 3c5f1d0e7b2a.cloudfront.net (CloudFront)\r\n"
	"X-Amz-Cf-Pop: NRT57-P3\r\n"
	"X-Amz-Cf-Id: Qk3vX0yJcHq6l2l9bW8ZQ1yG4s7Jv5b2tO3kVw0mN1aE8rT6yU9iOg==\r\n";

/* Upbit new-order reply (body: upbit-rest-order.jsonl; Remaining-Req as in
 * exchanges-kr.md 1.6), chunked as a CDN would send it. */
#define UP_ORDER "{\"market\":\"KRW-BTC\",\"uuid\":\"cdd92199-2897-4e14-9448-f923320408ad\"," \
	"\"side\":\"ask\",\"ord_type\":\"limit\",\"price\":\"140000000\",\"state\":\"wait\"," \
	"\"created_at\":\"2025-07-04T15:00:00+09:00\",\"volume\":\"1.0\"," \
	"\"remaining_volume\":\"1.0\",\"reserved_fee\":\"70000.0\",\"remaining_fee\":" \
	"\"70000.0\",\"paid_fee\":\"0.0\",\"locked\":\"0.0\",\"executed_volume\":\"0.0\"," \
	"\"prevented_volume\":\"0\",\"prevented_locked\":\"0\",\"trades_count\":0}"
static const char up_head[] =
	"HTTP/1.1 201 Created\r\n"
	"Date: Fri, 04 Jul 2025 06:00:00 GMT\r\n"
	"Content-Type: application/json; charset=utf-8\r\n"
	"Transfer-Encoding: chunked\r\n"
	"Connection: keep-alive\r\n"
	"Vary: Origin\r\n"
	"Remaining-Req: group=order; min=59; sec=7\r\n"
	"Limit-By-Ip: No\r\n"
	"ETag: W/\"4f1c2b7d9e0a\"\r\n"
	"Cache-Control: max-age=0, private, must-revalidate\r\n"
	"X-Request-Id: 0c9b2f3e-5a7d-4e1b-8c6f-2a9d0e1b3c4d\r\n"
	"X-Runtime: 0.041327\r\n"
	"\r\n";

static size_t upbit_chunked(char *dst)
{
	size_t n = strlen(up_head);

	memcpy(dst, up_head, n);
	return n + chunkify(dst + n, UP_ORDER, strlen(UP_ORDER), 100, ";ext=1", "",
			    "X-Trailer: done\r\n");
}

/* ---- responses ------------------------------------------------------------ */

TestSuite(http_resp);

Test(http_resp, binance_content_length_zero_copy)
{
	size_t n = with_cl(bn_head, BN_ACK, strlen(BN_ACK));
	struct net_http_parser p;
	uint64_t w;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, msgbuf, n), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, msgbuf, n, &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	cr_assert_eq(p.status, 200);
	cr_assert_eq(p.version, 1);
	expect_str(net_http_reason(&p), "OK");
	cr_assert(p.keep_alive);
	cr_assert(!p.chunked && !p.until_close);
	cr_assert_eq(p.nhdrs, 24);
	cr_assert_eq(p.msg_len, n);
	cr_assert_eq(p.content_length, strlen(BN_ACK));
	/* the body is handed out where it lies */
	cr_assert_eq(net_http_body(&p).p, buf + n - strlen(BN_ACK));
	expect_str(net_http_body(&p), BN_ACK);
	/* names in any case */
	cr_assert_eq(net_http_header_u64(&p, "X-MBX-USED-WEIGHT-1M", &w), 0);
	cr_assert_eq(w, 12);
	cr_assert_eq(net_http_header_u64(&p, "X-Mbx-Order-Count-10s", &w), 0);
	cr_assert_eq(w, 1);
	expect_str(net_http_header(&p, "content-type"), "application/json;charset=UTF-8");
	expect_str(net_http_header(&p, "VIA"), "1.1 3c5f1d0e7b2a.cloudfront.net (CloudFront)");
	cr_assert_null(net_http_header(&p, "Retry-After").p);
	cr_assert_eq(net_http_header_u64(&p, "Retry-After", &w), -ENOENT);
	cr_assert_eq(net_http_header_u64(&p, "Server", &w), -EINVAL);
	cr_assert_eq(net_http_header_find(&p, "x-mbx-used-weight", 0), 5);
	cr_assert_eq(net_http_header_find(&p, "x-mbx-used-weight", 6), -ENOENT);
	expect_str(net_http_header_name(&p, 0), "Content-Type");
	free(buf);
}

Test(http_resp, upbit_chunked_remaining_req)
{
	static char m[4096];
	size_t n = upbit_chunked(m);
	struct net_http_parser p;
	struct net_http_str v, sec, grp;
	uint64_t left;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, m, n), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, m, n, &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	cr_assert_eq(p.status, 201);
	expect_str(net_http_reason(&p), "Created");
	cr_assert(p.chunked && p.keep_alive);
	cr_assert(!p.has_content_length);
	cr_assert_eq(p.msg_len, n);
	cr_assert_eq(p.nhdrs, 11, "the trailer is not a header");
	/* de-chunked in place, right after the header section */
	expect_str(net_http_body(&p), UP_ORDER);
	cr_assert_eq(net_http_body(&p).p, buf + strlen(up_head));
	v = net_http_header(&p, "remaining-req");
	expect_str(v, "group=order; min=59; sec=7");
	cr_assert_eq(net_http_param(v, "sec", &sec), 0);
	expect_str(sec, "7");
	cr_assert_eq(net_http_str_u64(sec, &left), 0);
	cr_assert_eq(left, 7);
	cr_assert_eq(net_http_param(v, "group", &grp), 0);
	expect_str(grp, "order");
	cr_assert_eq(net_http_param(v, "hour", &grp), -ENOENT);
	expect_str(net_http_header(&p, "etag"), "W/\"4f1c2b7d9e0a\"");
	free(buf);
}

Test(http_resp, chunked_into_caller_buffer)
{
	static char m[4096], body[1024];
	size_t n = upbit_chunked(m);
	struct feed fd = { .kind = NET_HTTP_RESPONSE, .body_buf = body, .body_cap = sizeof(body) };
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&fd, m, n), NET_HTTP_DONE);
	buf = parse_copy(&fd, &p, m, n, &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	cr_assert_eq(net_http_body(&p).p, body);
	expect_str(net_http_body(&p), UP_ORDER);
	cr_assert(!memcmp(buf, m, n), "the input is left as it was");
	free(buf);

	/* a buffer one byte short is a body-size error */
	fd.body_cap = strlen(UP_ORDER) - 1;
	cr_assert_eq(check_splits(&fd, m, n), -NET_HTTP_E_BODY_SIZE);
}

Test(http_resp, chunk_extensions_and_trailers)
{
	static const char m[] =
		"HTTP/1.1 200 OK\r\n"
		"Transfer-Encoding: Chunked\r\n"
		"Trailer: Expires\r\n"
		"\r\n"
		"4;name=value;quoted=\"a; b\"\r\n"
		"Wiki\r\n"
		"5 ; ext\r\n"
		"pedia\r\n"
		"000E\t;x\r\n"
		" in\r\n\r\nchunks.\r\n"
		"a\r\n0123456789\r\n"
		"0;last=1\r\n"
		"Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
		"X-Checksum:  abc \r\n"
		"\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, M(m)), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, M(m), &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	expect_str(net_http_body(&p), "Wikipedia in\r\n\r\nchunks.0123456789");
	cr_assert_eq(p.msg_len, sizeof(m) - 1);
	cr_assert_eq(p.nhdrs, 2);
	free(buf);
}

Test(http_resp, binance_429_418_retry_after)
{
	static const char err_body[] =
		"{\"code\":-1015,\"msg\":\"Too many new orders; current limit is 1 orders per "
		"10 SECOND.\"}";
	size_t n = with_cl("HTTP/1.1 429 Too Many Requests\r\n"
			   "Content-Type: application/json;charset=UTF-8\r\n"
			   "Retry-After: 3\r\n"
			   "x-mbx-used-weight-1m: 6001\r\n",
			   err_body, strlen(err_body));
	struct net_http_parser p;
	uint64_t v;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, msgbuf, n), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, msgbuf, n, &r);
	cr_assert_eq(p.status, 429);
	expect_str(net_http_reason(&p), "Too Many Requests");
	cr_assert_eq(net_http_header_u64(&p, "retry-after", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(net_http_header_u64(&p, "X-MBX-USED-WEIGHT-1M", &v), 0);
	cr_assert_eq(v, 6001);
	expect_str(net_http_body(&p), err_body);
	cr_assert(p.keep_alive);
	free(buf);

	/* the IP ban, with the connection closed after it */
	n = with_cl("HTTP/1.1 418 I'm a teapot\r\n"
		    "Retry-After: 120\r\n"
		    "Connection: close\r\n", "{\"code\":-1003,\"msg\":\"banned\"}", 29);
	cr_assert_eq(check_splits(&RESP, msgbuf, n), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, msgbuf, n, &r);
	cr_assert_eq(p.status, 418);
	expect_str(net_http_reason(&p), "I'm a teapot");
	cr_assert(!p.keep_alive);
	cr_assert_eq(net_http_header_u64(&p, "Retry-After", &v), 0);
	cr_assert_eq(v, 120);
	free(buf);

	/* Retry-After as an HTTP-date is not a number */
	n = with_cl("HTTP/1.1 503 Service Unavailable\r\n"
		    "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n", "", 0);
	buf = parse_copy(&RESP, &p, msgbuf, n, &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	cr_assert_eq(net_http_header_u64(&p, "Retry-After", &v), -EINVAL);
	cr_assert_null(net_http_body(&p).p);
	free(buf);
}

Test(http_resp, http10_body_until_close)
{
	static const char m[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP_EOF, M(m)), NET_HTTP_DONE);
	/* without EOF the body never ends */
	buf = parse_copy(&RESP, &p, M(m), &r);
	cr_assert_eq(r, NET_HTTP_AGAIN);
	cr_assert_eq(p.body_len, 12);
	cr_assert_eq(net_http_parse_eof(&p, buf, sizeof(m) - 1), NET_HTTP_DONE);
	cr_assert_eq(p.version, 0);
	cr_assert(p.until_close && !p.keep_alive);
	expect_str(net_http_body(&p), "hello\r\nworld");
	cr_assert_eq(p.msg_len, sizeof(m) - 1);
	cr_assert_eq(net_http_parse(&p, buf, sizeof(m) - 1), NET_HTTP_DONE, "done stays done");
	free(buf);

	/* HTTP/1.1 without a length also runs until close; an empty body */
	cr_assert_eq(check_splits(&RESP_EOF, M("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n")),
		     NET_HTTP_DONE);
	buf = parse_copy(&RESP_EOF, &p, M("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), &r);
	cr_assert(p.until_close && !p.keep_alive);
	cr_assert_null(net_http_body(&p).p);
	free(buf);
}

Test(http_resp, keep_alive_decision)
{
	static const struct {
		const char *head;
		bool ka;
	} t[] = {
		{ "HTTP/1.1 200 OK\r\n", true },
		{ "HTTP/1.1 200 OK\r\nConnection: close\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: CLOSE\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: foo\r\nConnection: close\r\n", false },
		{ "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", true },
		{ "HTTP/1.1 200 OK\r\nConnection: closed\r\n", true },
		{ "HTTP/1.0 200 OK\r\n", false },
		{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n", true },
		{ "HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n", false },
		{ "HTTP/1.2 200 OK\r\n", true },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++) {
		size_t n = with_cl(t[i].head, "ok", 2);
		struct net_http_parser p;
		int r;
		char *buf;

		cr_assert_eq(check_splits(&RESP, msgbuf, n), NET_HTTP_DONE);
		buf = parse_copy(&RESP, &p, msgbuf, n, &r);
		cr_assert_eq(p.keep_alive, t[i].ka, "case %zu: %s", i, t[i].head);
		free(buf);
	}
}

Test(http_resp, interim_1xx_skipped)
{
	static const char m[] =
		"HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		"HTTP/1.1 204 No Content\r\n\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, M(m)), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, M(m), &r);
	cr_assert_eq(p.status, 200);
	cr_assert_eq(p.interim, 2);
	cr_assert_eq(p.nhdrs, 1, "the interim responses' fields are gone");
	cr_assert_null(net_http_header(&p, "link").p);
	expect_str(net_http_body(&p), "ok");
	cr_assert_eq(p.msg_len, sizeof(m) - 1 - strlen("HTTP/1.1 204 No Content\r\n\r\n"));
	free(buf);
}

Test(http_resp, upgrade_101_reported)
{
	static const char m[] =
		"HTTP/1.1 101 Switching Protocols\r\n"
		"Upgrade: websocket\r\n"
		"Connection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		"remaining-req: group=websocket; min=300; sec=3\r\n"
		"\r\n"
		"\x81\x05hello";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP, M(m)), NET_HTTP_UPGRADE);
	buf = parse_copy(&RESP, &p, M(m), &r);
	cr_assert_eq(r, NET_HTTP_UPGRADE);
	cr_assert_eq(p.status, 101);
	cr_assert_eq(p.msg_len, sizeof(m) - 1 - 7, "the frame after it is not ours");
	cr_assert(!memcmp(buf + p.msg_len, "\x81\x05hello", 7));
	expect_str(net_http_header(&p, "sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	cr_assert_eq(net_http_parse(&p, buf, sizeof(m) - 1), NET_HTTP_UPGRADE);
	free(buf);
}

Test(http_resp, no_body_head_204_304)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
	static const char r204[] = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
	static const char r304[] = "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	static const char chunked_head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&RESP_HEAD, M(head)), NET_HTTP_DONE);
	buf = parse_copy(&RESP_HEAD, &p, M(head), &r);
	cr_assert_eq(p.msg_len, sizeof(head) - 1);
	cr_assert_eq(p.content_length, 1234);
	cr_assert_eq(p.body_len, 0);
	cr_assert(p.keep_alive);
	free(buf);
	/* the same without the HEAD flag waits for 1234 bytes */
	buf = parse_copy(&RESP, &p, M(head), &r);
	cr_assert_eq(r, NET_HTTP_AGAIN);
	free(buf);

	cr_assert_eq(check_splits(&RESP_HEAD, M(chunked_head)), NET_HTTP_DONE);
	buf = parse_copy(&RESP_HEAD, &p, M(chunked_head), &r);
	cr_assert(!p.chunked);
	free(buf);

	cr_assert_eq(check_splits(&RESP, M(r204)), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, M(r204), &r);
	cr_assert_eq(p.status, 204);
	cr_assert_eq(p.msg_len, sizeof(r204) - 1);
	cr_assert(p.keep_alive);
	free(buf);

	/* CL and TE together are refused even where neither frames a body */
	cr_assert_eq(check_splits(&RESP, M(r304)), -NET_HTTP_E_CL_TE);
}

Test(http_resp, content_length_forms)
{
	static const char *ok[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Length:3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nContent-Length: \t003\t \r\n\r\nabc",
		"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc",
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ok); i++) {
		struct net_http_parser p;
		int r;
		char *buf;

		cr_assert_eq(check_splits(&RESP, ok[i], strlen(ok[i])), NET_HTTP_DONE, "%s", ok[i]);
		buf = parse_copy(&RESP, &p, ok[i], strlen(ok[i]), &r);
		cr_assert_eq(p.content_length, 3);
		expect_str(net_http_body(&p), "abc");
		free(buf);
	}
	/* a zero length ends the message at the blank line */
	cr_assert_eq(check_splits(&RESP, M("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nXYZ")),
		     NET_HTTP_DONE);
	cr_assert(strstr(dump_a, "msg_len=38 body_len=0"), "%s", dump_a);
}

Test(http_resp, bare_lf_and_header_values)
{
	static const char m[] =
		"HTTP/1.1 200 OK\n"
		"X-Pad:    spaced out \t \n"
		"X-Empty:\n"
		"X-Blank:   \r\n"
		"X-Obs: caf\xe9\n"
		"X-Dup: 1\n"
		"x-dup: 2\n"
		"Content-Length: 2\n"
		"\n"
		"ok";
	struct net_http_parser p;
	struct net_http_str e;
	int r, i;
	char *buf;

	cr_assert_eq(check_splits(&RESP, M(m)), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, M(m), &r);
	expect_str(net_http_header(&p, "x-pad"), "spaced out");
	e = net_http_header(&p, "x-empty");
	cr_assert_not_null(e.p, "present but empty");
	cr_assert_eq(e.len, 0);
	cr_assert_eq(net_http_header(&p, "x-blank").len, 0);
	expect_str(net_http_header(&p, "x-obs"), "caf\xe9");
	i = net_http_header_find(&p, "X-DUP", 0);
	cr_assert_eq(i, 4);
	expect_str(net_http_header_value(&p, (unsigned)i), "1");
	i = net_http_header_find(&p, "X-DUP", (unsigned)i + 1);
	cr_assert_eq(i, 5);
	expect_str(net_http_header_value(&p, (unsigned)i), "2");
	expect_str(net_http_body(&p), "ok");
	free(buf);
}

Test(http_resp, pipelined_responses)
{
	static char m[8192];
	size_t n = with_cl("HTTP/1.1 200 OK\r\n", "first", 5), off, total;
	struct net_http_parser p;
	char *buf;
	int r;

	memcpy(m, msgbuf, n);
	total = n + upbit_chunked(m + n);
	memcpy(m + total, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 2", 37);
	total += 37;
	buf = malloc(total);
	memcpy(buf, m, total);
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, NULL), 0);

	cr_assert_eq(net_http_parse(&p, buf, total), NET_HTTP_DONE);
	expect_str(net_http_body(&p), "first");
	off = p.msg_len;
	cr_assert_eq(off, n);

	net_http_parser_next(&p, 0);
	cr_assert_eq(net_http_parse(&p, buf + off, total - off), NET_HTTP_DONE);
	cr_assert_eq(p.status, 201);
	expect_str(net_http_body(&p), UP_ORDER);
	off += p.msg_len;

	net_http_parser_next(&p, 0);
	cr_assert_eq(net_http_parse(&p, buf + off, total - off), NET_HTTP_DONE);
	cr_assert_eq(p.status, 204);
	off += p.msg_len;

	net_http_parser_next(&p, 0);
	r = net_http_parse(&p, buf + off, total - off);
	cr_assert_eq(r, NET_HTTP_AGAIN, "the start of a fourth one");
	cr_assert_eq(total - off, 10);
	free(buf);
}

/* ---- errors ------------------------------------------------------------------ */

struct err_case {
	const char *msg;
	size_t len;
	int err;
	bool eof;
};

#define E(lit, e) { lit, sizeof(lit) - 1, e, false }
#define E_EOF(lit, e) { lit, sizeof(lit) - 1, e, true }
#define OK200 "HTTP/1.1 200 OK\r\n"
#define CHK OK200 "Transfer-Encoding: chunked\r\n\r\n"

static const struct err_case resp_errors[] = {
	E("HELLO WORLD\r\n\r\n", NET_HTTP_E_START_LINE),
	E("http/1.1 200 OK\r\n\r\n", NET_HTTP_E_START_LINE),
	E("HTTP/1.1\r\n\r\n", NET_HTTP_E_START_LINE),
	E("HTTP/1.1_200 OK\r\n\r\n", NET_HTTP_E_START_LINE),
	E("HTTP/2 200 OK\r\n\r\n", NET_HTTP_E_VERSION),
	E("HTTP/1.10 200 OK\r\n\r\n", NET_HTTP_E_VERSION),
	E("HTTP/1x1 200 OK\r\n\r\n", NET_HTTP_E_VERSION),
	E("HTTP/1.1 20 OK\r\n\r\n", NET_HTTP_E_STATUS),
	E("HTTP/1.1 20\r\n\r\n", NET_HTTP_E_STATUS),
	E("HTTP/1.1 099 Low\r\n\r\n", NET_HTTP_E_STATUS),
	E("HTTP/1.1 2000 OK\r\n\r\n", NET_HTTP_E_STATUS),
	E("HTTP/1.1  200 OK\r\n\r\n", NET_HTTP_E_STATUS),
	E("HTTP/1.1 200 O\x01K\r\n\r\n", NET_HTTP_E_START_LINE),
	E("HTTP/1.1 200 OK\rX\r\n\r\n", NET_HTTP_E_START_LINE),
	E(OK200 "X-A: b\r\n c\r\n\r\n", NET_HTTP_E_OBS_FOLD),
	E(OK200 " X-A: b\r\n\r\n", NET_HTTP_E_OBS_FOLD),
	E(OK200 "X-A : b\r\n\r\n", NET_HTTP_E_HDR_NAME),
	E(OK200 "NoColon\r\n\r\n", NET_HTTP_E_HDR_NAME),
	E(OK200 ": empty name\r\n\r\n", NET_HTTP_E_HDR_NAME),
	E(OK200 "X(A): b\r\n\r\n", NET_HTTP_E_HDR_NAME),
	E(OK200 "X-A: a\x01" "b\r\n\r\n", NET_HTTP_E_HDR_VALUE),
	E(OK200 "X-A: a\rb\r\n\r\n", NET_HTTP_E_HDR_VALUE),
	E(OK200 "X-A: a\0b\r\n\r\n", NET_HTTP_E_HDR_VALUE),
	E(OK200 "X-A: a\x7f\r\n\r\n", NET_HTTP_E_HDR_VALUE),
	E(OK200 "X-A: a\r\r\n\r\n", NET_HTTP_E_HDR_VALUE),
	E(OK200 "Content-Length: abc\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: -1\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: +5\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 1 2\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 0x10\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length:\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 5,\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 1000000000000000001\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 99999999999999999999999999\r\n\r\n", NET_HTTP_E_CL),
	E(OK200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", NET_HTTP_E_CL_CONFLICT),
	E(OK200 "Content-Length: 5, 6\r\n\r\n", NET_HTTP_E_CL_CONFLICT),
	E(OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", NET_HTTP_E_CL_TE),
	E(OK200 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", NET_HTTP_E_CL_TE),
	E(OK200 "Transfer-Encoding: gzip\r\n\r\n", NET_HTTP_E_TE),
	E(OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n", NET_HTTP_E_TE),
	E(OK200 "Transfer-Encoding: chunked, chunked\r\n\r\n", NET_HTTP_E_TE),
	E(OK200 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	  NET_HTTP_E_TE),
	E(OK200 "Transfer-Encoding: identity\r\n\r\n", NET_HTTP_E_TE),
	E(OK200 "Transfer-Encoding:\r\n\r\n", NET_HTTP_E_TE),
	E(CHK "zz\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK " 5\r\nhello\r\n0\r\n\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "-1\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "5 x\r\nhello\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "5;a\x01\r\nhello\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "0x5\r\nhello\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "10000000000000000\r\n", NET_HTTP_E_CHUNK_SIZE),
	E(CHK "FFFFFFFFFFFFFFFF\r\n", NET_HTTP_E_BODY_SIZE),
	E(CHK "100001\r\n", NET_HTTP_E_BODY_SIZE),
	E(CHK "3\r\nabcX\r\n", NET_HTTP_E_CHUNK_END),
	E(CHK "3\r\nabc\rX", NET_HTTP_E_CHUNK_END),
	E(CHK "3\r\nabc\r\n0\r\nbad trailer\r\n\r\n", NET_HTTP_E_TRAILER),
	E(CHK "0\r\nX-T: a\r\n folded\r\n\r\n", NET_HTTP_E_OBS_FOLD),
	E(CHK "0\r\nX-T: a\x7f\r\n\r\n", NET_HTTP_E_TRAILER),
	E(CHK "0\r\nX T: a\r\n\r\n", NET_HTTP_E_TRAILER),
	E_EOF("", NET_HTTP_E_CLOSED),
	E_EOF("HTTP/1.1 200 OK\r\nContent-Le", NET_HTTP_E_TRUNCATED),
	E_EOF("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", NET_HTTP_E_TRUNCATED),
	E_EOF(CHK "5\r\nhel", NET_HTTP_E_TRUNCATED),
	E_EOF(CHK "5\r\nhello\r\n0\r\n", NET_HTTP_E_TRUNCATED),
	E_EOF("HTTP/1.1 100 Continue\r\n\r\n", NET_HTTP_E_TRUNCATED),
};

static void run_errors(enum net_http_kind kind, const struct err_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct feed fd = { .kind = kind, .eof = t[i].eof };
		int r;

		if (!t[i].err)
			continue;
		r = check_splits(&fd, t[i].msg, t[i].len);
		cr_assert_eq(r, -t[i].err, "case %zu \"%s\": %s, want %s", i, t[i].msg,
			     net_http_err_name(r), net_http_err_name(t[i].err));
	}
}

Test(http_resp, errors_each_precise)
{
	run_errors(NET_HTTP_RESPONSE, resp_errors, KIMP_ARRAY_SIZE(resp_errors));
}

Test(http_resp, garbage_rejected_at_first_byte)
{
	struct net_http_parser p;
	char b[] = "<html>", v11[] = "HTTP/1.1", v2[] = "HTTP/2", part[] = "HTTP/1.1 200 OK\r\n\r\n";

	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(&p, b, 1), -NET_HTTP_E_START_LINE);
	/* sticky until the next message */
	cr_assert_eq(net_http_parse(&p, b, 6), -NET_HTTP_E_START_LINE);
	cr_assert_eq(p.err, NET_HTTP_E_START_LINE);
	net_http_parser_next(&p, 0);
	cr_assert_eq(net_http_parse(&p, v11, 8), NET_HTTP_AGAIN);
	/* a partial version that cannot become 1.x fails early too */
	net_http_parser_next(&p, 0);
	cr_assert_eq(net_http_parse(&p, v2, 6), -NET_HTTP_E_VERSION);
	/* len may not shrink */
	net_http_parser_next(&p, 0);
	cr_assert_eq(net_http_parse(&p, part, 12), NET_HTTP_AGAIN);
	cr_assert_eq(net_http_parse(&p, part, 5), -EINVAL);
	cr_assert_eq(net_http_parse(&p, part, 19), NET_HTTP_AGAIN);
}

Test(http_resp, limits)
{
	struct net_http_limits lim = { .max_hdr_bytes = 64, .max_hdrs = 3, .max_body = 10 };
	struct feed fd = { .kind = NET_HTTP_RESPONSE, .lim = &lim };
	struct feed fde = { .kind = NET_HTTP_RESPONSE, .lim = &lim, .eof = true };
	static char big[256], body[4];
	struct net_http_parser p;

	/* header section: 64 bytes fit, 65 do not */
	cr_assert_eq(check_splits(&fde, M("HTTP/1.1 200 OK\r\nX-Pad: 0123456789012345678901234567"
					  "89012345\r\n\r\n")), NET_HTTP_DONE);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nX-Pad: 0123456789012345678901234567"
					 "890123456\r\n\r\n")), -NET_HTTP_E_HDR_SIZE);
	/* found before the line ends */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX-Long: ", 25);
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), 0);
	cr_assert_eq(net_http_parse(&p, big, 64), NET_HTTP_AGAIN);
	cr_assert_eq(net_http_parse(&p, big, 65), -NET_HTTP_E_HDR_SIZE);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_HDR_SIZE), 431);

	/* header count */
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n")),
		     -NET_HTTP_E_HDR_COUNT);
	cr_assert_eq(check_splits(&fde, M("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")),
		     NET_HTTP_DONE);

	/* body: refused at the header when the length says so */
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")),
		     -NET_HTTP_E_BODY_SIZE);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
					 "0123456789")), NET_HTTP_DONE);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "6\r\n012345\r\n5\r\n")), -NET_HTTP_E_BODY_SIZE);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n")), NET_HTTP_DONE);
	cr_assert_eq(check_splits(&fde, M("HTTP/1.0 200 OK\r\n\r\n0123456789A")),
		     -NET_HTTP_E_BODY_SIZE);
	cr_assert_eq(check_splits(&fde, M("HTTP/1.0 200 OK\r\n\r\n0123456789")), NET_HTTP_DONE);
	/* the de-chunk buffer is a limit too */
	fd.body_buf = body;
	fd.body_cap = sizeof(body);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "5\r\n")), -NET_HTTP_E_BODY_SIZE);
	fd.body_buf = NULL;

	/* trailers and chunk-size lines have the header limit */
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "0\r\nX-T: 0123456789012345678901234567890123456789"
					 "01234567890123456789\r\n\r\n")), -NET_HTTP_E_HDR_SIZE);
	cr_assert_eq(check_splits(&fd, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					 "1;ext=0123456789012345678901234567890123456789"
					 "01234567890123456789\r\n")), -NET_HTTP_E_CHUNK_SIZE);

	/* limits out of range */
	lim.max_hdr_bytes = 63;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), -EINVAL);
	lim.max_hdr_bytes = 64;
	lim.max_hdrs = NET_HTTP_MAX_HDRS + 1;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), -EINVAL);
	lim.max_hdrs = 0;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), -EINVAL);
	lim.max_hdrs = 1;
	lim.max_body = NET_HTTP_BODY_MAX + 1;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), -EINVAL);
	cr_assert_eq(net_http_parser_init(&p, (enum net_http_kind)7, NULL), -EINVAL);
}

Test(http_resp, error_names_and_statuses)
{
	cr_assert_str_eq(net_http_err_name(-NET_HTTP_E_BODY_SIZE), "BODY_SIZE");
	cr_assert_str_eq(net_http_err_name(NET_HTTP_E_START_LINE), "START_LINE");
	cr_assert_str_eq(net_http_err_name(NET_HTTP_E_TRUNCATED), "TRUNCATED");
	cr_assert_str_eq(net_http_err_name(-EINVAL), "EINVAL");
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_VERSION), 505);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_TE), 501);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_URI_SIZE), 414);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_HDR_COUNT), 431);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_BODY_SIZE), 413);
	cr_assert_eq(net_http_err_status(-NET_HTTP_E_OBS_FOLD), 400);
	cr_assert_eq(net_http_err_status(-EINVAL), 400);
	for (int e = NET_HTTP_E_BASE; e < NET_HTTP_E_END_; e++)
		cr_assert(strlen(net_http_err_name(e)) > 0);
}

Test(http_resp, param_helper)
{
	static const char vs[] = "group=default; min=1800; sec=29";
	static const char qs[] = "a=1, B = \"x y\" ;c=;=d;e";
	struct net_http_str v = { vs, sizeof(vs) - 1 }, q = { qs, sizeof(qs) - 1 }, o;

	cr_assert_eq(net_http_param(v, "min", &o), 0);
	expect_str(o, "1800");
	cr_assert_eq(net_http_param(v, "SEC", &o), 0, "keys ignore case");
	expect_str(o, "29");
	cr_assert_eq(net_http_param(q, "b", &o), 0);
	expect_str(o, "x y");
	cr_assert_eq(net_http_param(q, "c", &o), 0);
	cr_assert_eq(o.len, 0);
	cr_assert_eq(net_http_param(q, "e", &o), -ENOENT, "no '='");
	cr_assert_eq(net_http_param(q, "d", &o), -ENOENT);
	v.p = NULL;
	cr_assert_eq(net_http_param(v, "min", &o), -ENOENT);
}

/* ---- requests (server side) -------------------------------------------------- */

/*
 * Feed stream[0..len) as a network layer would: pieces arrive ending at
 * cuts[] then len; unconsumed bytes wait in a staging buffer (a new
 * allocation each time) and are handed out again with what follows; after
 * each DONE the layer drops msg_len bytes and starts the next message.
 * Returns the messages parsed, their digests in h[]; *left is what stays.
 */
static size_t conn_feed(enum net_http_kind kind, const char *stream, size_t len,
			const size_t *cuts, size_t ncuts, uint64_t *h, size_t hmax, size_t *left)
{
	struct net_http_parser p;
	char *stage = NULL, *nb;
	size_t have = 0, fed = 0, nmsg = 0;

	cr_assert_eq(net_http_parser_init(&p, kind, NULL), 0);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t upto = i < ncuts ? cuts[i] : len;

		nb = malloc(have + (upto - fed) + 1);
		cr_assert_not_null(nb);
		if (have)
			memcpy(nb, stage, have);
		memcpy(nb + have, stream + fed, upto - fed);
		free(stage);
		stage = nb;
		have += upto - fed;
		fed = upto;
		for (;;) {
			int r = net_http_parse(&p, stage, have);
			size_t rest;

			if (r != NET_HTTP_DONE) {
				cr_assert_eq(r, NET_HTTP_AGAIN, "%s", net_http_err_name(r));
				break;
			}
			cr_assert_lt(nmsg, hmax);
			h[nmsg++] = digest(&p, kind, r);
			rest = have - p.msg_len;
			nb = malloc(rest + 1);
			cr_assert_not_null(nb);
			memcpy(nb, stage + p.msg_len, rest);
			free(stage);
			stage = nb;
			have = rest;
			net_http_parser_next(&p, 0);
		}
	}
	free(stage);
	*left = have;
	return nmsg;
}

TestSuite(http_req);

Test(http_req, get_with_query)
{
	static const char m[] =
		"GET /v1/orders?market=KRW-BTC&state=wait HTTP/1.1\r\n"
		"Host: api.upbit.com\r\n"
		"Authorization: Bearer eyJhbGciOiJIUzUxMiJ9.e30.sig\r\n"
		"Accept: application/json\r\n"
		"\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&REQ, M(m)), NET_HTTP_DONE);
	buf = parse_copy(&REQ, &p, M(m), &r);
	cr_assert_eq(r, NET_HTTP_DONE);
	cr_assert_eq(p.method, NET_HTTP_GET);
	expect_str(net_http_method_str(&p), "GET");
	expect_str(net_http_target(&p), "/v1/orders?market=KRW-BTC&state=wait");
	expect_str(net_http_path(&p), "/v1/orders");
	expect_str(net_http_query(&p), "market=KRW-BTC&state=wait");
	expect_str(net_http_header(&p, "host"), "api.upbit.com");
	cr_assert(p.keep_alive);
	cr_assert_eq(p.version, 1);
	cr_assert_null(net_http_body(&p).p);
	cr_assert_eq(p.msg_len, sizeof(m) - 1);
	free(buf);
}

Test(http_req, targets_and_methods)
{
	static const struct {
		const char *m, *method, *path, *query;
		int id;
	} t[] = {
		{ "GET /x? HTTP/1.1\r\n\r\n", "GET", "/x", "", NET_HTTP_GET },
		{ "GET /x HTTP/1.1\r\n\r\n", "GET", "/x", NULL, NET_HTTP_GET },
		{ "GET /a?b?c=%20 HTTP/1.1\r\n\r\n", "GET", "/a", "b?c=%20", NET_HTTP_GET },
		{ "OPTIONS * HTTP/1.1\r\n\r\n", "OPTIONS", "*", NULL, NET_HTTP_OPTIONS },
		{ "MKCOL /dav/ HTTP/1.1\r\n\r\n", "MKCOL", "/dav/", NULL, NET_HTTP_OTHER },
		{ "DELETE /v1/order?uuid=cdd92199 HTTP/1.1\r\n\r\n", "DELETE", "/v1/order",
		  "uuid=cdd92199", NET_HTTP_DELETE },
		{ "get / HTTP/1.1\r\n\r\n", "get", "/", NULL, NET_HTTP_OTHER },
		{ "PATCH / HTTP/1.1\r\n\r\n", "PATCH", "/", NULL, NET_HTTP_PATCH },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++) {
		struct net_http_parser p;
		int r;
		char *buf;

		cr_assert_eq(check_splits(&REQ, t[i].m, strlen(t[i].m)), NET_HTTP_DONE, "%s", t[i].m);
		buf = parse_copy(&REQ, &p, t[i].m, strlen(t[i].m), &r);
		cr_assert_eq(p.method, t[i].id, "%s", t[i].m);
		expect_str(net_http_method_str(&p), t[i].method);
		expect_str(net_http_path(&p), t[i].path);
		if (t[i].query)
			expect_str(net_http_query(&p), t[i].query);
		else
			cr_assert_null(net_http_query(&p).p, "%s", t[i].m);
		free(buf);
	}
	cr_assert_eq(net_http_method_parse("TRACE", 5), NET_HTTP_TRACE);
	cr_assert_eq(net_http_method_parse("GETX", 4), NET_HTTP_OTHER);
	cr_assert_str_eq(net_http_method_name(NET_HTTP_CONNECT), "CONNECT");
	cr_assert_str_eq(net_http_method_name(NET_HTTP_ANY), "");
}

Test(http_req, bodies)
{
	static const char cl[] =
		"POST /api/v3/order HTTP/1.1\r\n"
		"Host: api.binance.com\r\n"
		"X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\r\n"
		"Content-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 23\r\n"
		"Expect: 100-continue\r\n"
		"\r\n"
		"symbol=LTCBTC&side=BUY&";
	static const char ch[] =
		"POST /v5/order/create HTTP/1.1\r\n"
		"Host: api.bybit.com\r\n"
		"Transfer-Encoding: chunked\r\n"
		"\r\n"
		"c;x=1\r\n{\"a\":\"b\",\"c\"\r\n"
		"4\r\n:1}\n\r\n"
		"0\r\nX-BAPI-SIGN: f00d\r\n\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&REQ, M(cl)), NET_HTTP_DONE);
	buf = parse_copy(&REQ, &p, M(cl), &r);
	cr_assert_eq(p.method, NET_HTTP_POST);
	cr_assert(p.expect_continue);
	expect_str(net_http_body(&p), "symbol=LTCBTC&side=BUY&");
	free(buf);

	cr_assert_eq(check_splits(&REQ, M(ch)), NET_HTTP_DONE);
	buf = parse_copy(&REQ, &p, M(ch), &r);
	cr_assert(p.chunked && !p.expect_continue);
	expect_str(net_http_body(&p), "{\"a\":\"b\",\"c\":1}\n");
	cr_assert_eq(p.msg_len, sizeof(ch) - 1);
	free(buf);
}

Test(http_req, pipelined_and_blank_lines)
{
	static const char s[] =
		"\r\n\n"
		"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
		"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
		"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
		"GET /d HTTP/1.1\r\nConnection: close\r\n\r\n"
		"GET /e HTTP/1.1\r\nHo";
	const char *paths[] = { "/a", "/b", "/c", "/d" };
	const char *bodies[] = { NULL, "abc", "hi", NULL };
	uint64_t whole[8], split[8];
	size_t n = sizeof(s) - 1, off = 0, left, cuts[sizeof(s)];
	struct net_http_parser p;
	char *buf = malloc(n);

	memcpy(buf, s, n);
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_REQUEST, NULL), 0);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(net_http_parse(&p, buf + off, n - off), NET_HTTP_DONE, "request %u", i);
		expect_str(net_http_path(&p), paths[i]);
		if (bodies[i])
			expect_str(net_http_body(&p), bodies[i]);
		else
			cr_assert_null(net_http_body(&p).p);
		cr_assert_eq(p.keep_alive, i < 3);
		whole[i] = digest(&p, NET_HTTP_REQUEST, NET_HTTP_DONE);
		off += p.msg_len;
		net_http_parser_next(&p, 0);
	}
	cr_assert_eq(net_http_parse(&p, buf + off, n - off), NET_HTTP_AGAIN);
	cr_assert_eq(n - off, strlen("GET /e HTTP/1.1\r\nHo"), "the next one stays");
	free(buf);

	/* the same stream in every pair of pieces and byte by byte */
	for (size_t k = 0; k <= n; k++) {
		cuts[0] = k;
		cr_assert_eq(conn_feed(NET_HTTP_REQUEST, s, n, cuts, 1, split, 8, &left), 4);
		cr_assert(!memcmp(split, whole, sizeof(uint64_t) * 4), "split at %zu", k);
		cr_assert_eq(left, 19);
	}
	for (size_t k = 0; k + 1 < n; k++)
		cuts[k] = k + 1;
	cr_assert_eq(conn_feed(NET_HTTP_REQUEST, s, n, cuts, n - 1, split, 8, &left), 4);
	cr_assert(!memcmp(split, whole, sizeof(uint64_t) * 4));
}

Test(http_req, http10_upgrade_keepalive)
{
	static const char ws[] =
		"GET /websocket/v1 HTTP/1.1\r\n"
		"Host: api.upbit.com\r\n"
		"Upgrade: websocket\r\n"
		"Connection: keep-alive, Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"\r\n";
	struct net_http_parser p;
	int r;
	char *buf;

	cr_assert_eq(check_splits(&REQ, M(ws)), NET_HTTP_DONE);
	buf = parse_copy(&REQ, &p, M(ws), &r);
	cr_assert(p.upgrade);
	free(buf);
	buf = parse_copy(&REQ, &p, M("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"), &r);
	cr_assert(!p.upgrade, "Upgrade without Connection: upgrade");
	free(buf);
	buf = parse_copy(&REQ, &p, M("GET / HTTP/1.0\r\n\r\n"), &r);
	cr_assert_eq(p.version, 0);
	cr_assert(!p.keep_alive);
	free(buf);
	buf = parse_copy(&REQ, &p, M("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), &r);
	cr_assert(p.keep_alive);
	free(buf);
}

static const struct err_case req_errors[] = {
	E("G@T / HTTP/1.1\r\n\r\n", NET_HTTP_E_METHOD),
	E(" GET / HTTP/1.1\r\n\r\n", NET_HTTP_E_METHOD),
	E("GET\r\n\r\n", NET_HTTP_E_START_LINE),
	E("GET /\r\n\r\n", NET_HTTP_E_START_LINE),
	E("GET / FOO/1.1\r\n\r\n", NET_HTTP_E_START_LINE),
	E("GET / HTTP/1.1 \r\n\r\n", NET_HTTP_E_START_LINE),
	E("\rGET / HTTP/1.1\r\n\r\n", NET_HTTP_E_START_LINE),
	E("GET /a b HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET  / HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET http://x/ HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET * HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET /\x7f HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", NET_HTTP_E_TARGET),
	E("GET / HTTP/2.0\r\n\r\n", NET_HTTP_E_VERSION),
	E("GET / HTTP/1.11\r\n\r\n", NET_HTTP_E_VERSION),
	E("GET / HTTP/1.1\r\nHost : x\r\n\r\n", NET_HTTP_E_HDR_NAME),
	E("GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n", NET_HTTP_E_OBS_FOLD),
	E("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	  NET_HTTP_E_CL_CONFLICT),
	E("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
	  NET_HTTP_E_CL_TE),
	E("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", NET_HTTP_E_TE),
	E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n", NET_HTTP_E_CHUNK_SIZE),
	E_EOF("", NET_HTTP_E_CLOSED),
	E_EOF("\r\n\r\n", NET_HTTP_E_CLOSED),
	E_EOF("\r", NET_HTTP_E_TRUNCATED),
	E_EOF("GET / HTTP/1.1\r\nHost: x\r\n", NET_HTTP_E_TRUNCATED),
	E_EOF("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", NET_HTTP_E_TRUNCATED),
};

Test(http_req, errors_each_precise)
{
	run_errors(NET_HTTP_REQUEST, req_errors, KIMP_ARRAY_SIZE(req_errors));
}

Test(http_req, limits_map_to_statuses)
{
	struct net_http_limits lim = { .max_hdr_bytes = 64, .max_hdrs = 2, .max_body = 4 };
	struct feed fd = { .kind = NET_HTTP_REQUEST, .lim = &lim };
	static const struct {
		const char *m;
		int err;
		unsigned status;
	} t[] = {
		{ "GET /0123456789012345678901234567890123456789012345678901 HTTP/1.1\r\n\r\n",
		  NET_HTTP_E_URI_SIZE, 414 },
		{ "GET / HTTP/1.1\r\nX-A: 0123456789012345678901234567890123456789\r\n\r\n",
		  NET_HTTP_E_HDR_SIZE, 431 },
		{ "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", NET_HTTP_E_HDR_COUNT, 431 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", NET_HTTP_E_BODY_SIZE, 413 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\n",
		  NET_HTTP_E_BODY_SIZE, 413 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: br\r\n\r\n", NET_HTTP_E_TE, 501 },
		{ "GET / HTTP/3.0\r\n\r\n", NET_HTTP_E_VERSION, 505 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost : b\r\n\r\n", NET_HTTP_E_HDR_NAME, 400 },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++) {
		int r = check_splits(&fd, t[i].m, strlen(t[i].m));

		cr_assert_eq(r, -t[i].err, "%s: %s", t[i].m, net_http_err_name(r));
		cr_assert_eq(net_http_err_status(r), t[i].status);
	}
	cr_assert_eq(check_splits(&fd, M("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd")),
		     NET_HTTP_DONE);
	/* a long request line is found before its end */
	{
		struct net_http_parser p;
		char line[100];

		memset(line, 'a', sizeof(line));
		memcpy(line, "GET /", 5);
		cr_assert_eq(net_http_parser_init(&p, NET_HTTP_REQUEST, &lim), 0);
		cr_assert_eq(net_http_parse(&p, line, 64), NET_HTTP_AGAIN);
		cr_assert_eq(net_http_parse(&p, line, 65), -NET_HTTP_E_URI_SIZE);
	}
}

/* ---- router ------------------------------------------------------------------ */

Test(http_req, router)
{
	static const struct net_http_route routes[] = {
		{ "/api/v3/order", NET_HTTP_POST, false },
		{ "/api/v3/order", NET_HTTP_DELETE, false },
		{ "/metrics", NET_HTTP_ANY, false },
		{ "/static/", NET_HTTP_GET, true },
	};
	static const struct {
		const char *m;
		int want;
	} t[] = {
		{ "POST /api/v3/order?symbol=X HTTP/1.1\r\n\r\n", 0 },
		{ "DELETE /api/v3/order HTTP/1.1\r\n\r\n", 1 },
		{ "GET /api/v3/order HTTP/1.1\r\n\r\n", -EOPNOTSUPP },
		{ "GET /api/v3/orders HTTP/1.1\r\n\r\n", -ENOENT },
		{ "BREW /metrics HTTP/1.1\r\n\r\n", 2 },
		{ "GET /static/app.js HTTP/1.1\r\n\r\n", 3 },
		{ "GET /static/ HTTP/1.1\r\n\r\n", 3 },
		{ "GET /static HTTP/1.1\r\n\r\n", -ENOENT },
		{ "PUT /static/x HTTP/1.1\r\n\r\n", -EOPNOTSUPP },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++) {
		struct net_http_parser p;
		int r;
		char *buf = parse_copy(&REQ, &p, t[i].m, strlen(t[i].m), &r);

		cr_assert_eq(r, NET_HTTP_DONE);
		cr_assert_eq(net_http_route(routes, KIMP_ARRAY_SIZE(routes), &p), t[i].want, "%s",
			     t[i].m);
		free(buf);
	}
}

/* ---- request builder ---------------------------------------------------------- */

TestSuite(http_build);

static char rq[8192];

/* Finish r; the request must equal want and parse back as a request. */
static void expect_request(struct net_http_req *r, const char *want)
{
	int n = net_http_req_finish(r);
	struct net_http_parser p;
	int pr;
	char *buf;

	cr_assert_gt(n, 0, "finish: %d", n);
	cr_assert_eq((size_t)n, strlen(want), "got:\n%.*s\nwant:\n%s", n, rq, want);
	cr_assert(!memcmp(rq, want, (size_t)n), "got:\n%.*s\nwant:\n%s", n, rq, want);
	cr_assert_eq(check_splits(&REQ, rq, (size_t)n), NET_HTTP_DONE);
	buf = parse_copy(&REQ, &p, rq, (size_t)n, &pr);
	cr_assert_eq(p.msg_len, (size_t)n);
	free(buf);
}

Test(http_build, get_query_and_auth_header)
{
	struct net_http_tmpl t;
	struct net_http_req r;

	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/v1/orders", "api.upbit.com"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "User-Agent", "kimp/0.1"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "Accept", "application/json"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	cr_assert_null(net_http_req_query(&r).p);
	expect_str(net_http_req_target(&r), "/v1/orders");
	net_http_req_param(&r, "market");
	net_http_req_put_str(&r, "KRW-BTC");
	net_http_req_param(&r, "states[]");
	net_http_req_put_str(&r, "wait");
	/* what an Upbit JWT hashes (query_hash) */
	expect_str(net_http_req_query(&r), "market=KRW-BTC&states[]=wait");
	expect_str(net_http_req_target(&r), "/v1/orders?market=KRW-BTC&states[]=wait");
	net_http_req_hdr(&r, "Authorization");
	net_http_req_put_str(&r, "Bearer ");
	net_http_req_put_str(&r, "eyJhbGciOiJIUzUxMiJ9.e30.sig");
	/* the target stays readable once the headers started */
	expect_str(net_http_req_query(&r), "market=KRW-BTC&states[]=wait");
	expect_request(&r, "GET /v1/orders?market=KRW-BTC&states[]=wait HTTP/1.1\r\n"
			   "Host: api.upbit.com\r\n"
			   "User-Agent: kimp/0.1\r\n"
			   "Accept: application/json\r\n"
			   "Authorization: Bearer eyJhbGciOiJIUzUxMiJ9.e30.sig\r\n"
			   "\r\n");
	/* the template is reusable: a second request from it */
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	expect_request(&r, "GET /v1/orders HTTP/1.1\r\nHost: api.upbit.com\r\n"
			   "User-Agent: kimp/0.1\r\nAccept: application/json\r\n\r\n");
}

static void hmac_sha256(const char *key, struct net_http_str msg, unsigned char mac[32])
{
	Hmac h;

	cr_assert_eq(wc_HmacInit(&h, NULL, INVALID_DEVID), 0);
	cr_assert_eq(wc_HmacSetKey(&h, WC_SHA256, (const byte *)key, (word32)strlen(key)), 0);
	cr_assert_eq(wc_HmacUpdate(&h, (const byte *)msg.p, (word32)msg.len), 0);
	cr_assert_eq(wc_HmacFinal(&h, mac), 0);
	wc_HmacFree(&h);
}

/* The signed order of the Binance REST docs (shared/fixtures/venues/
 * testvectors-hmac.jsonl, case rest-hmac-ascii): signed over the form body,
 * the signature appended to it. */
#define BN_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define BN_KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define BN_PAYLOAD "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1" \
	"&recvWindow=5000&timestamp=1499827319559"
#define BN_SIG "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"

static void binance_params(struct net_http_req *r)
{
	net_http_req_param(r, "symbol");
	net_http_req_put_str(r, "LTCBTC");
	net_http_req_param(r, "side");
	net_http_req_put_str(r, "BUY");
	net_http_req_param(r, "type");
	net_http_req_put_str(r, "LIMIT");
	net_http_req_param(r, "timeInForce");
	net_http_req_put_str(r, "GTC");
	net_http_req_param(r, "quantity");
	net_http_req_put_fixed(r, 100000000, 8);     /* 1 at 8 decimals */
	net_http_req_param(r, "price");
	net_http_req_put_fixed(r, 10000000, 8);      /* 0.1 */
	net_http_req_param(r, "recvWindow");
	net_http_req_put_u64(r, 5000);
	net_http_req_param(r, "timestamp");
	net_http_req_put_u64(r, 1499827319559ull);
}

Test(http_build, binance_signed_body)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	unsigned char mac[32];

	cr_assert_eq(net_http_tmpl_init(&t, "POST", "/api/v3/order", "api.binance.com"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "X-MBX-APIKEY", BN_KEY), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "Content-Type",
					  "application/x-www-form-urlencoded"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_body(&r);
	binance_params(&r);
	expect_str(net_http_req_body_str(&r), BN_PAYLOAD);
	hmac_sha256(BN_SECRET, net_http_req_body_str(&r), mac);
	net_http_req_param(&r, "signature");
	net_http_req_put_hex(&r, mac, sizeof(mac));
	expect_request(&r, "POST /api/v3/order HTTP/1.1\r\n"
			   "Host: api.binance.com\r\n"
			   "X-MBX-APIKEY: " BN_KEY "\r\n"
			   "Content-Type: application/x-www-form-urlencoded\r\n"
			   "Content-Length: 185\r\n"
			   "\r\n"
			   BN_PAYLOAD "&signature=" BN_SIG);
}

Test(http_build, binance_signed_query)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	unsigned char mac[32];

	cr_assert_eq(net_http_tmpl_init(&t, "POST", "/api/v3/order", "api.binance.com"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "X-MBX-APIKEY", BN_KEY), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	binance_params(&r);
	expect_str(net_http_req_query(&r), BN_PAYLOAD);
	hmac_sha256(BN_SECRET, net_http_req_query(&r), mac);
	net_http_req_param(&r, "signature");
	net_http_req_put_hex(&r, mac, sizeof(mac));
	/* POST without a body still says Content-Length: 0 */
	expect_request(&r, "POST /api/v3/order?" BN_PAYLOAD "&signature=" BN_SIG " HTTP/1.1\r\n"
			   "Host: api.binance.com\r\n"
			   "X-MBX-APIKEY: " BN_KEY "\r\n"
			   "Content-Length: 0\r\n"
			   "\r\n");
}

/* OKX: the body is written first, the signature over timestamp + method +
 * path + body goes to a header (testvectors-hmac.jsonl, okx rest-post). */
Test(http_build, okx_body_then_signature_header)
{
	static const char want_body[] = "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":"
					"\"b15\",\"side\":\"buy\",\"ordType\":\"limit\",\"px\":"
					"\"2.15\",\"sz\":\"2\"}";
	static const char ts[] = "2020-12-08T09:08:57.715Z";
	struct net_http_tmpl t;
	struct net_http_req r;
	unsigned char mac[32];
	char prehash[512];
	struct net_http_str tgt, body, ph;
	char *sig;
	word32 olen = 44;

	cr_assert_eq(net_http_tmpl_init(&t, "POST", "/api/v5/trade/order", "www.okx.com"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "OK-ACCESS-KEY", "key"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "OK-ACCESS-PASSPHRASE", "pass"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "Content-Type", "application/json"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_body(&r);
	net_http_req_put_str(&r, "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"b15\","
				 "\"side\":\"buy\",\"ordType\":\"limit\",\"px\":\"");
	net_http_req_put_fixed(&r, 215, 2);
	net_http_req_put_str(&r, "\",\"sz\":\"");
	net_http_req_put_fixed(&r, 2, 0);
	net_http_req_put_str(&r, "\"}");
	tgt = net_http_req_target(&r);
	body = net_http_req_body_str(&r);
	expect_str(body, want_body);
	ph.len = (size_t)snprintf(prehash, sizeof(prehash), "%sPOST%.*s%.*s", ts, (int)tgt.len,
				  tgt.p, (int)body.len, body.p);
	ph.p = prehash;
	hmac_sha256("22582BD0CFF14C41EDBF1AB98506286D", ph, mac);
	net_http_req_hdr(&r, "OK-ACCESS-TIMESTAMP");
	net_http_req_put_str(&r, ts);
	net_http_req_hdr(&r, "OK-ACCESS-SIGN");
	sig = net_http_req_reserve(&r, 44);       /* base64 straight into the request */
	cr_assert_not_null(sig);
	cr_assert_eq(Base64_Encode_NoNl(mac, sizeof(mac), (byte *)sig, &olen), 0);
	cr_assert_eq(olen, 44);
	expect_request(&r, "POST /api/v5/trade/order HTTP/1.1\r\n"
			   "Host: www.okx.com\r\n"
			   "OK-ACCESS-KEY: key\r\n"
			   "OK-ACCESS-PASSPHRASE: pass\r\n"
			   "Content-Type: application/json\r\n"
			   "OK-ACCESS-TIMESTAMP: 2020-12-08T09:08:57.715Z\r\n"
			   "OK-ACCESS-SIGN: dI6rrL9rXW/HdaPKJ/6LC1OgvH4/PYju6R3CqixMTNQ=\r\n"
			   "Content-Length: 105\r\n"
			   "\r\n"
			   "{\"instId\":\"BTC-USDT\",\"tdMode\":\"cash\",\"clOrdId\":\"b15\",\"side\":"
			   "\"buy\",\"ordType\":\"limit\",\"px\":\"2.15\",\"sz\":\"2\"}");
}

Test(http_build, path_suffix_prefix_query_and_interleaving)
{
	struct net_http_tmpl t;
	struct net_http_req r;

	/* a path suffix, then a query */
	cr_assert_eq(net_http_tmpl_init(&t, "DELETE", "/v5/order", "api.bybit.com"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_put(&r, "/", 1);
	net_http_req_put_u64(&r, 1321003749386327552ull);
	net_http_req_param(&r, "category");
	net_http_req_put_str(&r, "spot");
	expect_str(net_http_req_query(&r), "category=spot");
	expect_request(&r, "DELETE /v5/order/1321003749386327552?category=spot HTTP/1.1\r\n"
			   "Host: api.bybit.com\r\n\r\n");

	/* a query already in the prefix */
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/api/v3/depth?limit=5", "api.binance.com"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	expect_str(net_http_req_query(&r), "limit=5");
	net_http_req_param(&r, "symbol");
	net_http_req_put_str(&r, "BTCUSDT");
	expect_request(&r, "GET /api/v3/depth?limit=5&symbol=BTCUSDT HTTP/1.1\r\n"
			   "Host: api.binance.com\r\n\r\n");
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/x?", "h"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_param(&r, "a");
	net_http_req_put_u64(&r, 1);
	expect_request(&r, "GET /x?a=1 HTTP/1.1\r\nHost: h\r\n\r\n");

	/* headers, body, headers again: the body lands after all of them */
	cr_assert_eq(net_http_tmpl_init(&t, "PUT", "/p", "h"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_hdr(&r, "A");
	net_http_req_put_str(&r, "1");
	net_http_req_body(&r);
	net_http_req_put_str(&r, "body-");
	net_http_req_hdr(&r, "B");
	net_http_req_put_str(&r, "2");
	net_http_req_body(&r);
	net_http_req_param(&r, "k");       /* not the first body bytes: '&' */
	net_http_req_put_i64(&r, -42);
	expect_str(net_http_req_body_str(&r), "body-&k=-42");
	expect_request(&r, "PUT /p HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n"
			   "Content-Length: 11\r\n\r\nbody-&k=-42");

	/* a GET with a body needs staging room */
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/g", "h"), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_body(&r);
	net_http_req_put_str(&r, "x");
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	cr_assert_eq(net_http_tmpl_body_stage(&t, 16), 0);
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_body(&r);
	net_http_req_put_str(&r, "x");
	expect_request(&r, "GET /g HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
	/* a finished request is left alone */
	{
		char before[sizeof(rq)];

		memcpy(before, rq, sizeof(rq));
		net_http_req_body(&r);
		net_http_req_put_str(&r, "zzz");
		net_http_req_hdr(&r, "Y");
		net_http_req_put_u64(&r, 1);
		net_http_req_param(&r, "q");
		cr_assert_null(net_http_req_reserve(&r, 4));
		cr_assert(!memcmp(before, rq, sizeof(rq)), "written after finish");
		cr_assert_eq(net_http_req_finish(&r), -EINVAL, "finished once");
	}
}

/* The target of a request that had 'put' applied, without "/v". */
#define NUM(call, want)                                                          \
	do {                                                                     \
		cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);     \
		call;                                                            \
		struct net_http_str s_ = net_http_req_target(&r);                \
		s_.p += 2;                                                       \
		s_.len -= 2;                                                     \
		expect_str(s_, want);                                            \
	} while (0)

Test(http_build, number_formats)
{
	static const char pct_in[] = "a b&c=d/\xef\xbc\x91~-._";
	struct net_http_tmpl t;
	struct net_http_req r;
	char d[24];

	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/v", "h"), 0);
	NUM(net_http_req_put_u64(&r, 0), "0");
	NUM(net_http_req_put_u64(&r, 9), "9");
	NUM(net_http_req_put_u64(&r, 10), "10");
	NUM(net_http_req_put_u64(&r, 99), "99");
	NUM(net_http_req_put_u64(&r, 100), "100");
	NUM(net_http_req_put_u64(&r, 1000), "1000");
	NUM(net_http_req_put_u64(&r, 12345), "12345");
	NUM(net_http_req_put_u64(&r, 1499827319559ull), "1499827319559");
	NUM(net_http_req_put_u64(&r, UINT64_MAX), "18446744073709551615");
	NUM(net_http_req_put_i64(&r, -1), "-1");
	NUM(net_http_req_put_i64(&r, INT64_MAX), "9223372036854775807");
	NUM(net_http_req_put_i64(&r, INT64_MIN), "-9223372036854775808");
	NUM(net_http_req_put_fixed(&r, 0, 8), "0");
	NUM(net_http_req_put_fixed(&r, 10000000, 8), "0.1");
	NUM(net_http_req_put_fixed(&r, 123450000, 8), "1.2345");
	NUM(net_http_req_put_fixed(&r, 14000000000000000, 8), "140000000");
	NUM(net_http_req_put_fixed(&r, 1, 18), "0.000000000000000001");
	NUM(net_http_req_put_fixed(&r, -5, 3), "-0.005");
	NUM(net_http_req_put_fixed(&r, -200, 2), "-2");
	NUM(net_http_req_put_fixed(&r, 7, 0), "7");
	NUM(net_http_req_put_fixed(&r, INT64_MIN, 18), "-9.223372036854775808");
	NUM(net_http_req_put_fixed(&r, INT64_MAX, 0), "9223372036854775807");
	NUM(net_http_req_put_hex(&r, "\x00\xff\x10", 3), "00ff10");
	NUM(net_http_req_put_pct(&r, pct_in, sizeof(pct_in) - 1), "a%20b%26c%3Dd%2F%EF%BC%91~-._");
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_put_fixed(&r, 1, 19);
	cr_assert_eq(net_http_req_finish(&r), -EINVAL);
	/* the bare formatter */
	cr_assert_eq(net_http_fmt_u64(d, 0), 1);
	cr_assert_eq(net_http_fmt_u64(d, 18446744073709551615ull), 20);
	cr_assert(!memcmp(d, "18446744073709551615", 20));
	for (uint64_t v = 1, k = 1; k <= 19; v *= 10, k++) {
		char want[24];

		snprintf(want, sizeof(want), "%llu", (unsigned long long)(v - 1));
		cr_assert_eq(net_http_fmt_u64(d, v - 1), strlen(want));
		cr_assert(!memcmp(d, want, strlen(want)), "%s", want);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		cr_assert_eq(net_http_fmt_u64(d, v), strlen(want));
		cr_assert(!memcmp(d, want, strlen(want)), "%s", want);
	}
}

Test(http_build, overflow_and_misuse)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	char small[160];
	static char big[2000];

	cr_assert_eq(net_http_tmpl_init(&t, "POST", "/o", "h"), 0);
	/* the buffer must hold the template and the body staging */
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), -ENOBUFS);
	cr_assert_eq(net_http_tmpl_body_stage(&t, 64), 0);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	/* the head has 160 - 64 bytes */
	memset(big, 'a', sizeof(big));
	net_http_req_put(&r, big, 100);
	cr_assert_null(net_http_req_reserve(&r, 1000));
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	/* the body has 64 */
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	net_http_req_body(&r);
	net_http_req_put(&r, big, 64);
	cr_assert_eq(net_http_req_finish(&r), 4 + 1 + 2 + 11 + 9 + 20 + 2 + 64);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	net_http_req_body(&r);
	net_http_req_put(&r, big, 65);
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	net_http_req_put_hex(&r, big, 60);
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	net_http_req_put_pct(&r, " ", 1);
	net_http_req_put_pct(&r, big, 200);
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	/* too little room for Content-Length at the end */
	cr_assert_eq(net_http_req_start(&r, &t, small, sizeof(small)), 0);
	net_http_req_put(&r, big, 96 - 2 - 31 - 10);
	cr_assert_eq(net_http_req_finish(&r), -ENOBUFS);
	/* a parameter inside a header line */
	cr_assert_eq(net_http_req_start(&r, &t, rq, sizeof(rq)), 0);
	net_http_req_hdr(&r, "X");
	net_http_req_param(&r, "k");
	cr_assert_eq(net_http_req_finish(&r), -EINVAL);
}

Test(http_build, template_validation)
{
	struct net_http_tmpl t;
	char longp[400];

	cr_assert_eq(net_http_tmpl_init(&t, "GE T", "/", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "", "/", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "api", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/a b", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/a\r\n", "h"), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/", ""), -EINVAL);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/", "h\r\nX: 1"), -EINVAL);
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	cr_assert_eq(net_http_tmpl_init(&t, "GET", longp, "h"), -ENOSPC);
	cr_assert_eq(net_http_tmpl_init(&t, "GET", "/", "h"), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "Bad Name", "v"), -EINVAL);
	cr_assert_eq(net_http_tmpl_header(&t, "", "v"), -EINVAL);
	cr_assert_eq(net_http_tmpl_header(&t, "X", "a\r\nInjected: 1"), -EINVAL);
	cr_assert_eq(net_http_tmpl_header(&t, "X", "a\nb"), -EINVAL);
	cr_assert_eq(net_http_tmpl_header(&t, "X", "tab\tand obs-text \xe9 ok"), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(net_http_tmpl_header(&t, "X-Long", longp), 0);
	cr_assert_eq(net_http_tmpl_header(&t, "X-Long", longp), -ENOSPC);
	cr_assert_eq(net_http_tmpl_body_stage(&t, (1u << 30) + 1), -EINVAL);
	cr_assert_eq(t.method, NET_HTTP_GET);
}

/* ---- replies (server side) ------------------------------------------------------ */

Test(http_build, reply_content_length)
{
	struct net_http_reply w;
	char b[512];
	int n;

	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, 0), 0);
	net_http_reply_header(&w, "Content-Type", "application/json");
	net_http_reply_header_u64(&w, "X-MBX-USED-WEIGHT-1M", 12);
	n = net_http_reply_body(&w, "{}", 2);
	cr_assert_eq(n, (int)net_http_reply_len(&w));
	expect_mem((struct net_http_str){ b, (size_t)n },
		   M("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "X-MBX-USED-WEIGHT-1M: 12\r\nContent-Length: 2\r\n\r\n{}"));
	/* a header after the body is a misuse */
	net_http_reply_header(&w, "X", "y");
	cr_assert_eq(net_http_reply_end(&w), -EINVAL);

	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 404, NET_HTTP_R_CLOSE), 0);
	n = net_http_reply_body(&w, NULL, 0);
	expect_mem((struct net_http_str){ b, (size_t)n },
		   M("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));

	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 204, 0), 0);
	n = net_http_reply_body(&w, NULL, 0);
	expect_mem((struct net_http_str){ b, (size_t)n }, M("HTTP/1.1 204 No Content\r\n\r\n"));
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 204, 0), 0);
	cr_assert_eq(net_http_reply_body(&w, "x", 1), -EINVAL);

	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 299, NET_HTTP_R_HTTP10), 0);
	n = net_http_reply_head(&w, 1234);
	expect_mem((struct net_http_str){ b, (size_t)n },
		   M("HTTP/1.0 299 \r\nContent-Length: 1234\r\n\r\n"));

	/* the body built in place */
	{
		size_t avail;
		char *p;

		cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, 0), 0);
		p = net_http_reply_body_begin(&w, &avail);
		cr_assert_not_null(p);
		cr_assert_eq(avail, sizeof(b) - 17 - 40);
		memcpy(p, "{\"ok\":true}", 11);
		n = net_http_reply_body_end(&w, 11);
		expect_mem((struct net_http_str){ b, (size_t)n },
			   M("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"));
		cr_assert_eq(net_http_reply_start(&w, b, 50, 200, 0), 0);
		cr_assert_null(net_http_reply_body_begin(&w, &avail));
		cr_assert_eq(avail, 0);
	}
	/* limits and bad statuses */
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 42, 0), -EINVAL);
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 1000, 0), -EINVAL);
	cr_assert_eq(net_http_reply_start(&w, b, 10, 200, 0), -ENOBUFS);
	cr_assert_eq(net_http_reply_start(&w, b, 40, 200, 0), 0);
	cr_assert_eq(net_http_reply_body(&w, "0123456789", 10), -ENOBUFS);
}

Test(http_build, reply_chunked_with_rewind)
{
	struct net_http_reply w;
	static char out[8192], body[3000];
	char b[1024];
	size_t total = 0;
	int n;
	struct net_http_parser p;
	char *buf;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, 0), 0);
	net_http_reply_header(&w, "Content-Type", "application/json");
	cr_assert_eq(net_http_reply_chunk(&w, "x", 1), -EINVAL, "not chunking yet");
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, 0), 0);
	net_http_reply_header(&w, "Content-Type", "application/json");
	n = net_http_reply_chunked(&w);
	cr_assert_gt(n, 0);
	/* send what is there and reuse the buffer */
	net_http_reply_rewind(&w);
	cr_assert_eq(net_http_reply_chunk(&w, body, 1000), 1007);
	cr_assert_eq(net_http_reply_chunk(&w, body, 0), 1007, "an empty chunk writes nothing");
	net_http_reply_rewind(&w);
	cr_assert_eq(net_http_reply_chunk(&w, body, 2000), -ENOBUFS);
	cr_assert_eq(net_http_reply_end(&w), -ENOBUFS, "sticky");
	/* again, properly ended */
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, 0), 0);
	total = (size_t)net_http_reply_chunked(&w);
	memcpy(out, b, total);
	net_http_reply_rewind(&w);
	for (size_t off = 0; off < sizeof(body); off += 1000) {
		cr_assert_gt(net_http_reply_chunk(&w, body + off, 1000), 0);
		memcpy(out + total, b, net_http_reply_len(&w));
		total += net_http_reply_len(&w);
		net_http_reply_rewind(&w);
	}
	n = net_http_reply_end(&w);
	cr_assert_eq(n, 5);
	memcpy(out + total, b, 5);
	total += 5;
	cr_assert(!memcmp(out + 47, "3e8\r\n", 5), "%.60s", out);
	cr_assert_eq(check_splits(&RESP, out, total), NET_HTTP_DONE);
	buf = parse_copy(&RESP, &p, out, total, &n);
	cr_assert(p.chunked && p.keep_alive);
	expect_mem(net_http_body(&p), body, sizeof(body));
	free(buf);

	/* no chunking for HTTP/1.0, nor for a 204 */
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 200, NET_HTTP_R_HTTP10), 0);
	cr_assert_eq(net_http_reply_chunked(&w), -EINVAL);
	cr_assert_eq(net_http_reply_start(&w, b, sizeof(b), 204, 0), 0);
	cr_assert_eq(net_http_reply_chunked(&w), -EINVAL);
}

/* ---- cross-checks with independent code: Debian's Python ------------------------ */

TestSuite(http_py);

#define SKIP_NO_PY()                                                    \
	do {                                                            \
		if (!have_python())                                     \
			cr_skip_test("no " PY);                         \
	} while (0)

/* Random increasing cut points in [0, len]. */
static size_t random_cuts(size_t *cuts, size_t max, size_t len)
{
	size_t n = 1 + rnd_n(max);

	for (size_t i = 0; i < n; i++)
		cuts[i] = rnd_n(len + 1);
	for (size_t i = 1; i < n; i++)            /* insertion sort */
		for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	return n;
}

/*
 * http.server writes responses (Content-Length, chunked by hand with
 * extensions and trailers, HTTP/1.0 until close, 100 Continue first, its
 * own error pages, HEAD, 204/304); http.client reads each. We must see the
 * same status, reason, persistence, header fields and body, whole and split.
 */
Test(http_py, responses_written_by_http_server)
{
	size_t n, cases = 0, cuts[8];
	struct recs rs;
	char *out;

	SKIP_NO_PY();
	out = run_py(PY_COMMON PY_RESP, "11", "160", &n);
	rs.p = out;
	rs.end = out + n;
	rng_state = 0x9e3779b97f4a7c15ull;
	while (rs.p < rs.end) {
		struct net_http_str raw = rec_get(&rs, "RAW");
		long head = rec_num(&rs, "HEAD"), eof = rec_num(&rs, "EOF");
		long status = rec_num(&rs, "STATUS");
		struct net_http_str reason = rec_get(&rs, "REASON");
		long ka = rec_num(&rs, "KA");
		struct feed fd = { .kind = NET_HTTP_RESPONSE, .flags = head ? NET_HTTP_F_HEAD : 0,
				   .eof = eof != 0 };
		struct net_http_parser p;
		uint64_t h, h2;
		int r;
		char *buf = parse_copy(&fd, &p, raw.p, raw.len, &r);

		cr_assert_eq(r, NET_HTTP_DONE, "case %zu: %s", cases, net_http_err_name(r));
		cr_assert_eq(p.status, status, "case %zu", cases);
		expect_same(net_http_reason(&p), reason, "reason");
		cr_assert_eq(p.keep_alive, ka == 1, "case %zu: keep-alive", cases);
		cr_assert_eq(p.msg_len, raw.len, "case %zu", cases);
		expect_headers(&rs, &p);
		expect_same(net_http_body(&p), rec_get(&rs, "BODY"), "body");
		rec_get(&rs, "END");
		h = digest(&p, NET_HTTP_RESPONSE, r);
		free(buf);

		if (raw.len <= 1200) {
			size_t *all = malloc(raw.len * sizeof(*all) + 1);

			for (size_t k = 0; k + 1 < raw.len; k++)
				all[k] = k + 1;
			cr_assert_eq(feed_cuts(&fd, raw.p, raw.len, all, raw.len - 1, NULL, 0, &h2), r);
			cr_assert_eq(h2, h, "case %zu byte by byte", cases);
			free(all);
		}
		for (int k = 0; k < 8; k++) {
			size_t nc = random_cuts(cuts, KIMP_ARRAY_SIZE(cuts), raw.len);

			cr_assert_eq(feed_cuts(&fd, raw.p, raw.len, cuts, nc, NULL, 0, &h2), r);
			cr_assert_eq(h2, h, "case %zu split", cases);
		}
		cases++;
	}
	cr_assert_eq(cases, 160);
	free(out);
}

/*
 * http.client writes requests (bodies by Content-Length and, from
 * iterables, chunked by its own encoder), several pipelined in one stream,
 * sometimes after blank lines; aiohttp's parser reads the same bytes. We
 * must see the same messages, fields and bodies, and leave the same tail.
 */
Test(http_py, requests_written_by_http_client)
{
	size_t n, groups = 0, msgs = 0, cuts[8];
	struct recs rs;
	char *out;

	SKIP_NO_PY();
	out = run_py(PY_COMMON PY_REQ, "5", "80", &n);
	rs.p = out;
	rs.end = out + n;
	rng_state = 0x2545f4914f6cdd1dull;
	while (rs.p < rs.end) {
		struct net_http_str raw = rec_get(&rs, "RAW"), tail;
		char *buf = malloc(raw.len + 1);
		struct net_http_parser p;
		size_t off = 0, nmsg = 0, left;
		uint64_t h[8], h2[8];

		memcpy(buf, raw.p, raw.len);
		cr_assert_eq(net_http_parser_init(&p, NET_HTTP_REQUEST, NULL), 0);
		while (rec_peek(&rs, "METHOD")) {
			struct net_http_str method = rec_get(&rs, "METHOD");
			struct net_http_str target = rec_get(&rs, "TARGET");
			long ka = rec_num(&rs, "KA");
			int r = net_http_parse(&p, buf + off, raw.len - off);

			cr_assert_eq(r, NET_HTTP_DONE, "group %zu: %s", groups, net_http_err_name(r));
			expect_same(net_http_method_str(&p), method, "method");
			expect_same(net_http_target(&p), target, "target");
			cr_assert_eq(p.keep_alive, ka == 1);
			expect_headers(&rs, &p);
			expect_same(net_http_body(&p), rec_get(&rs, "BODY"), "body");
			rec_get(&rs, "END");
			cr_assert_lt(nmsg, KIMP_ARRAY_SIZE(h));
			h[nmsg++] = digest(&p, NET_HTTP_REQUEST, r);
			off += p.msg_len;
			net_http_parser_next(&p, 0);
		}
		tail = rec_get(&rs, "TAIL");
		expect_same((struct net_http_str){ buf + off, raw.len - off }, tail, "tail");
		free(buf);
		/* the same stream as a connection receives it */
		for (int k = 0; k < 6; k++) {
			size_t nc = random_cuts(cuts, KIMP_ARRAY_SIZE(cuts), raw.len);

			cr_assert_eq(conn_feed(NET_HTTP_REQUEST, raw.p, raw.len, cuts, nc, h2,
					       KIMP_ARRAY_SIZE(h2), &left), nmsg);
			cr_assert(!memcmp(h, h2, nmsg * sizeof(h[0])), "group %zu split", groups);
			cr_assert_eq(left, tail.len);
		}
		msgs += nmsg;
		groups++;
	}
	cr_assert_eq(groups, 80);
	cr_assert_gt(msgs, 80);
	free(out);
}

/* A temporary file holding what we wrote; removed by the caller. */
static void write_tmp(char *path, size_t plen, const void *data, size_t n)
{
	int fd;

	snprintf(path, plen, "/tmp/kimp-http-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	cr_assert_eq(close(fd), 0);
}

struct expect_req {
	const char *method, *target, *body;
	const char *hdrs[10][2];
};

/* Build request i with our builder into out; what Python must see in *e. */
static int build_case(int i, char *out, size_t cap, struct expect_req *e)
{
	struct net_http_tmpl t;
	struct net_http_req r;
	unsigned char mac[32];
	static const char sym[] = "\xef\xbc\x91\xef\xbc\x92";

	memset(e, 0, sizeof(*e));
	switch (i) {
	case 0:
		cr_assert_eq(net_http_tmpl_init(&t, "GET", "/v1/orders", "api.upbit.com"), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "User-Agent", "kimp/0.1"), 0);
		cr_assert_eq(net_http_req_start(&r, &t, out, cap), 0);
		net_http_req_param(&r, "market");
		net_http_req_put_str(&r, "KRW-BTC");
		net_http_req_param(&r, "limit");
		net_http_req_put_u64(&r, 100);
		net_http_req_hdr(&r, "Authorization");
		net_http_req_put_str(&r, "Bearer a.b.c");
		*e = (struct expect_req){ "GET", "/v1/orders?market=KRW-BTC&limit=100", "",
					  { { "Host", "api.upbit.com" },
					    { "User-Agent", "kimp/0.1" },
					    { "Authorization", "Bearer a.b.c" } } };
		break;
	case 1:
		cr_assert_eq(net_http_tmpl_init(&t, "POST", "/api/v3/order", "api.binance.com"), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "X-MBX-APIKEY", BN_KEY), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "Content-Type",
						  "application/x-www-form-urlencoded"), 0);
		cr_assert_eq(net_http_req_start(&r, &t, out, cap), 0);
		net_http_req_body(&r);
		binance_params(&r);
		hmac_sha256(BN_SECRET, net_http_req_body_str(&r), mac);
		net_http_req_param(&r, "signature");
		net_http_req_put_hex(&r, mac, sizeof(mac));
		*e = (struct expect_req){ "POST", "/api/v3/order", BN_PAYLOAD "&signature=" BN_SIG,
					  { { "Host", "api.binance.com" },
					    { "X-MBX-APIKEY", BN_KEY },
					    { "Content-Type", "application/x-www-form-urlencoded" },
					    { "Content-Length", "185" } } };
		break;
	case 2:
		cr_assert_eq(net_http_tmpl_init(&t, "POST", "/v5/order/create", "api.bybit.com"), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "X-BAPI-API-KEY", "XXXXXXXXXX"), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "X-BAPI-RECV-WINDOW", "5000"), 0);
		cr_assert_eq(net_http_tmpl_header(&t, "Content-Type", "application/json"), 0);
		cr_assert_eq(net_http_req_start(&r, &t, out, cap), 0);
		net_http_req_body(&r);
		net_http_req_put_str(&r, "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"qty\":\"");
		net_http_req_put_fixed(&r, 10, 2);
		net_http_req_put_str(&r, "\"}");
		net_http_req_hdr(&r, "X-BAPI-TIMESTAMP");
		net_http_req_put_u64(&r, 1672211928338ull);
		net_http_req_hdr(&r, "X-BAPI-SIGN");
		net_http_req_put_hex(&r, "\x01\x02\xfe", 3);
		*e = (struct expect_req){ "POST", "/v5/order/create",
					  "{\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"qty\":\"0.1\"}",
					  { { "Host", "api.bybit.com" },
					    { "X-BAPI-API-KEY", "XXXXXXXXXX" },
					    { "X-BAPI-RECV-WINDOW", "5000" },
					    { "Content-Type", "application/json" },
					    { "X-BAPI-TIMESTAMP", "1672211928338" },
					    { "X-BAPI-SIGN", "0102fe" },
					    { "Content-Length", "50" } } };
		break;
	case 3:
		cr_assert_eq(net_http_tmpl_init(&t, "DELETE", "/v1/order", "127.0.0.1:8443"), 0);
		cr_assert_eq(net_http_req_start(&r, &t, out, cap), 0);
		net_http_req_put(&r, "/", 1);
		net_http_req_put_u64(&r, 42);
		net_http_req_param(&r, "symbol");
		net_http_req_put_pct(&r, sym, sizeof(sym) - 1);
		*e = (struct expect_req){ "DELETE", "/v1/order/42?symbol=%EF%BC%91%EF%BC%92", "",
					  { { "Host", "127.0.0.1:8443" } } };
		break;
	default:
		cr_assert_eq(net_http_tmpl_init(&t, "PUT", "/empty", "h"), 0);
		cr_assert_eq(net_http_req_start(&r, &t, out, cap), 0);
		net_http_req_body(&r);
		*e = (struct expect_req){ "PUT", "/empty", "",
					  { { "Host", "h" }, { "Content-Length", "0" } } };
		break;
	}
	return net_http_req_finish(&r);
}

static void expect_py_request(struct recs *rs, const struct expect_req *e, bool aio)
{
	struct net_http_str s;
	size_t i = 0;

	s = rec_get(rs, "METHOD");
	expect_same(s, (struct net_http_str){ e->method, strlen(e->method) }, "method");
	s = rec_get(rs, "TARGET");
	expect_same(s, (struct net_http_str){ e->target, strlen(e->target) }, "target");
	if (!aio)
		expect_str(rec_get(rs, "VERSION"), "HTTP/1.1");
	while (rec_peek(rs, "HN")) {
		struct net_http_str n = rec_get(rs, "HN"), v = rec_get(rs, "HV");

		cr_assert_lt(i, KIMP_ARRAY_SIZE(e->hdrs));
		cr_assert_not_null(e->hdrs[i][0], "unexpected header %.*s", (int)n.len, n.p);
		expect_same(n, (struct net_http_str){ e->hdrs[i][0], strlen(e->hdrs[i][0]) },
			    "name");
		expect_same(v, (struct net_http_str){ e->hdrs[i][1], strlen(e->hdrs[i][1]) },
			    "value");
		i++;
	}
	cr_assert(i == KIMP_ARRAY_SIZE(e->hdrs) || !e->hdrs[i][0], "header %s missing",
		  e->hdrs[i][0]);
	s = rec_get(rs, "BODY");
	expect_same(s, (struct net_http_str){ e->body, strlen(e->body) }, "body");
}

/*
 * What our builder writes, read by http.server's request parsing
 * (BaseHTTPRequestHandler.parse_request) and by aiohttp's parser.
 */
Test(http_py, builder_output_read_by_http_server_and_aiohttp)
{
	enum { NCASE = 5 };
	static char file[1 << 16];
	struct expect_req e[NCASE];
	char path[64], b[4096];
	size_t len = 0, n;
	struct recs rs;
	char *out;

	SKIP_NO_PY();
	for (int i = 0; i < NCASE; i++) {
		int k = build_case(i, b, sizeof(b), &e[i]);

		cr_assert_gt(k, 0, "case %d: %d", i, k);
		len += (size_t)sprintf(file + len, "%d\n", k);
		memcpy(file + len, b, (size_t)k);
		len += (size_t)k;
	}
	write_tmp(path, sizeof(path), file, len);
	out = run_py(PY_COMMON PY_BUILD, path, NULL, &n);
	unlink(path);
	rs.p = out;
	rs.end = out + n;
	for (int i = 0; i < NCASE; i++) {
		expect_str(rec_get(&rs, "OK"), "1");
		expect_py_request(&rs, &e[i], false);
		cr_assert_eq(rec_get(&rs, "REST").len, 0, "nothing left over");
		expect_str(rec_get(&rs, "N"), "1");
		expect_py_request(&rs, &e[i], true);
		rec_get(&rs, "END");
	}
	cr_assert_eq(rs.p, rs.end);
	free(out);
}

struct expect_reply {
	const char *method;
	long status, version, ka;
	const char *reason, *body;
	const char *hdrs[6][2];
};

/*
 * What our reply writer produces, read by http.client: Content-Length,
 * chunked in several pieces, 204, a reply to HEAD, HTTP/1.0, close.
 */
Test(http_py, replies_read_by_http_client)
{
	enum { NCASE = 6 };
	static char file[1 << 16], body[2500];
	static const struct expect_reply e[NCASE] = {
		{ "GET", 200, 11, 1, "OK", "{\"code\":0}",
		  { { "Content-Type", "application/json" }, { "X-MBX-USED-WEIGHT-1M", "12" },
		    { "Content-Length", "10" } } },
		{ "GET", 404, 11, 0, "Not Found", "",
		  { { "Connection", "close" }, { "Content-Length", "0" } } },
		{ "GET", 200, 11, 1, "OK", NULL,
		  { { "Content-Type", "text/plain" }, { "Transfer-Encoding", "chunked" } } },
		{ "GET", 204, 11, 1, "No Content", "", { { "ETag", "\"x\"" } } },
		{ "HEAD", 200, 11, 1, "OK", "", { { "Content-Length", "1234" } } },
		{ "GET", 429, 10, 0, "Too Many Requests", "{}",
		  { { "Retry-After", "3" }, { "Content-Length", "2" } } },
	};
	struct net_http_reply w;
	char path[64], b[8192];
	size_t len = 0, n;
	struct recs rs;
	char *out;

	SKIP_NO_PY();
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('A' + i % 50);
	for (int i = 0; i < NCASE; i++) {
		int k;

		switch (i) {
		case 0:
			net_http_reply_start(&w, b, sizeof(b), 200, 0);
			net_http_reply_header(&w, "Content-Type", "application/json");
			net_http_reply_header_u64(&w, "X-MBX-USED-WEIGHT-1M", 12);
			k = net_http_reply_body(&w, "{\"code\":0}", 10);
			break;
		case 1:
			net_http_reply_start(&w, b, sizeof(b), 404, NET_HTTP_R_CLOSE);
			k = net_http_reply_body(&w, NULL, 0);
			break;
		case 2:
			net_http_reply_start(&w, b, sizeof(b), 200, 0);
			net_http_reply_header(&w, "Content-Type", "text/plain");
			net_http_reply_chunked(&w);
			net_http_reply_chunk(&w, body, 1);
			net_http_reply_chunk(&w, body + 1, 16);
			net_http_reply_chunk(&w, body + 17, sizeof(body) - 17);
			k = net_http_reply_end(&w);
			break;
		case 3:
			net_http_reply_start(&w, b, sizeof(b), 204, 0);
			net_http_reply_header(&w, "ETag", "\"x\"");
			k = net_http_reply_body(&w, NULL, 0);
			break;
		case 4:
			net_http_reply_start(&w, b, sizeof(b), 200, 0);
			k = net_http_reply_head(&w, 1234);
			break;
		default:
			net_http_reply_start(&w, b, sizeof(b), 429, NET_HTTP_R_HTTP10);
			net_http_reply_header(&w, "Retry-After", "3");
			k = net_http_reply_body(&w, "{}", 2);
			break;
		}
		cr_assert_gt(k, 0, "case %d: %d", i, k);
		len += (size_t)sprintf(file + len, "%s %d\n", e[i].method, k);
		memcpy(file + len, b, (size_t)k);
		len += (size_t)k;
	}
	write_tmp(path, sizeof(path), file, len);
	out = run_py(PY_COMMON PY_REPLY, path, NULL, &n);
	unlink(path);
	rs.p = out;
	rs.end = out + n;
	for (int i = 0; i < NCASE; i++) {
		size_t h = 0;

		cr_assert_eq(rec_num(&rs, "STATUS"), e[i].status, "case %d", i);
		expect_str(rec_get(&rs, "REASON"), e[i].reason);
		cr_assert_eq(rec_num(&rs, "VERSION"), e[i].version, "case %d", i);
		cr_assert_eq(rec_num(&rs, "KA"), e[i].ka, "case %d", i);
		while (rec_peek(&rs, "HN")) {
			struct net_http_str hn = rec_get(&rs, "HN"), hv = rec_get(&rs, "HV");

			cr_assert_not_null(e[i].hdrs[h][0], "case %d: extra %.*s", i, (int)hn.len,
					   hn.p);
			expect_str(hn, e[i].hdrs[h][0]);
			expect_str(hv, e[i].hdrs[h][1]);
			h++;
		}
		cr_assert(h == KIMP_ARRAY_SIZE(e[i].hdrs) || !e[i].hdrs[h][0], "case %d", i);
		if (e[i].body)
			expect_same(rec_get(&rs, "BODY"), (struct net_http_str){ e[i].body,
				    strlen(e[i].body) }, "body");
		else
			expect_same(rec_get(&rs, "BODY"), (struct net_http_str){ body, sizeof(body) },
				    "body");
		rec_get(&rs, "END");
	}
	cr_assert_eq(rs.p, rs.end);
	free(out);
}

/* ---- fuzz: mutations of valid messages ---------------------------------------------- */

TestSuite(http_fuzz);

static const struct net_http_str tokens[] = {
	{ M("\r\n") }, { M("\n") }, { M("\r") }, { M(" ") }, { M("\t") }, { M(":") },
	{ M(";") }, { M(",") }, { M("0") }, { M("f") }, { M("\0") }, { M("\xff") },
	{ M("\r\n\r\n") }, { M("Content-Length: 5\r\n") },
	{ M("Content-Length: 99999999999999999999\r\n") },
	{ M("Transfer-Encoding: chunked\r\n") }, { M("Connection: close\r\n") },
	{ M("ffffffffffffffffff\r\n") }, { M("0\r\n\r\n") }, { M("1;a=b\r\nx\r\n") },
	{ M("HTTP/1.1 100 Continue\r\n\r\n") }, { M("HTTP/1.0 ") }, { M(" HTTP/1.1") },
	{ M("GET / HTTP/1.1\r\n") },
};

static size_t mutate(const struct net_http_str *src, char *d, size_t cap)
{
	size_t len = src->len, ops = 1 + rnd_n(4);

	memcpy(d, src->p, len);
	for (size_t o = 0; o < ops; o++) {
		size_t at = rnd_n(len + 1), k;

		switch (rnd_n(7)) {
		case 0:         /* flip a bit */
			if (len)
				d[rnd_n(len)] ^= (char)(1u << rnd_n(8));
			break;
		case 1:         /* any byte */
			if (len)
				d[rnd_n(len)] = (char)rnd();
			break;
		case 2:         /* insert a token */
		case 3: {
			const struct net_http_str *t = &tokens[rnd_n(KIMP_ARRAY_SIZE(tokens))];

			if (len + t->len > cap)
				break;
			memmove(d + at + t->len, d + at, len - at);
			memcpy(d + at, t->p, t->len);
			len += t->len;
			break;
		}
		case 4:         /* delete up to 16 bytes */
			k = rnd_n(17);
			if (k > len - at)
				k = len - at;
			memmove(d + at, d + at + k, len - at - k);
			len -= k;
			break;
		case 5:         /* copy up to 32 bytes from elsewhere */
			k = rnd_n(33);
			if (len + k > cap || !len) {
				break;
			} else {
				size_t from = rnd_n(len);
				char tmp[32];

				if (k > len - from)
					k = len - from;
				memcpy(tmp, d + from, k);
				memmove(d + at + k, d + at, len - at);
				memcpy(d + at, tmp, k);
				len += k;
			}
			break;
		default:        /* cut short */
			len = at;
			break;
		}
	}
	return len;
}

/*
 * Mutations of the corpus: every one parsed whole and in random pieces
 * (fresh exact-size buffers, so ASan sees any overread), sometimes with
 * small limits, HEAD, EOF, or de-chunking to a caller buffer; the results
 * must agree and stay inside the message. Never a crash.
 */
static void fuzz(enum net_http_kind kind, const struct net_http_str *corpus, size_t ncorpus,
		 uint64_t seed)
{
	static char m[1 << 15];
	char *body = malloc(1 << 20);
	uint64_t iters = test_scaled(200000), done = 0, failed = 0;
	size_t cuts[8];

	cr_assert_not_null(body);
	rng_state = seed;
	for (uint64_t i = 0; i < iters; i++) {
		struct net_http_limits small;
		struct feed fd = { .kind = kind };
		size_t len = mutate(&corpus[rnd_n(ncorpus)], m, sizeof(m)), nc;
		uint64_t h1, h2;
		int r1, r2;

		if (kind == NET_HTTP_RESPONSE && !rnd_n(8))
			fd.flags = NET_HTTP_F_HEAD;
		fd.eof = rnd() & 1;
		if (!rnd_n(4)) {
			small.max_hdr_bytes = 64 + (uint32_t)rnd_n(300);
			small.max_hdrs = 1 + (uint32_t)rnd_n(8);
			small.max_body = rnd_n(200);
			fd.lim = &small;
		}
		r1 = feed_cuts(&fd, m, len, NULL, 0, NULL, 0, &h1);
		nc = random_cuts(cuts, KIMP_ARRAY_SIZE(cuts), len);
		r2 = feed_cuts(&fd, m, len, cuts, nc, NULL, 0, &h2);
		if (r1 != r2 || h1 != h2) {
			feed_cuts(&fd, m, len, NULL, 0, dump_a, sizeof(dump_a), NULL);
			feed_cuts(&fd, m, len, cuts, nc, dump_b, sizeof(dump_b), NULL);
			cr_assert_str_eq(dump_b, dump_a, "iteration %llu", (unsigned long long)i);
			cr_assert_eq(r1, r2);
		}
		if (!(i & 3)) {
			fd.body_buf = body;
			fd.body_cap = 1 << 20;
			r2 = feed_cuts(&fd, m, len, cuts, nc, NULL, 0, &h2);
			cr_assert_eq(r2, r1, "iteration %llu: de-chunk buffer",
				     (unsigned long long)i);
			cr_assert_eq(h2, h1, "iteration %llu: de-chunk buffer",
				     (unsigned long long)i);
		}
		if (r1 == NET_HTTP_DONE || r1 == NET_HTTP_UPGRADE)
			done++;
		else if (r1 < 0)
			failed++;
	}
	cr_log_info("%s fuzz: %llu iterations, %llu parsed, %llu rejected",
		    kind == NET_HTTP_RESPONSE ? "response" : "request", (unsigned long long)iters,
		    (unsigned long long)done, (unsigned long long)failed);
	/* the mutations hit both sides */
	cr_assert_gt(done, iters / 20, "%llu of %llu parsed", (unsigned long long)done,
		     (unsigned long long)iters);
	cr_assert_gt(failed, iters / 20);
	free(body);
}

static char corpus_store[8][4096];

static struct net_http_str keep(int i, const char *s, size_t n)
{
	cr_assert_leq(n, sizeof(corpus_store[i]));
	memcpy(corpus_store[i], s, n);
	return (struct net_http_str){ corpus_store[i], n };
}

Test(http_fuzz, responses)
{
	struct net_http_str c[8];
	char tmp[4096];

	c[0] = keep(0, msgbuf, with_cl(bn_head, BN_ACK, strlen(BN_ACK)));
	c[1] = keep(1, tmp, upbit_chunked(tmp));
	c[2] = keep(2, M("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\r\nworld"));
	c[3] = keep(3, M("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\n"
			 "Retry-After: 3\r\nContent-Length: 2\r\n\r\n{}"));
	c[4] = keep(4, M("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\n\r\n\x81\x02hi"));
	c[5] = keep(5, M("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));
	c[6] = keep(6, M("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n"
			 "5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"));
	c[7] = keep(7, M("HTTP/1.1 200 OK\nContent-Length: 3\nX-A:  b \n\nabc"));
	fuzz(NET_HTTP_RESPONSE, c, 8, 0x243f6a8885a308d3ull);
}

Test(http_fuzz, requests)
{
	struct net_http_str c[5];

	c[0] = keep(0, M("GET /v1/orders?market=KRW-BTC&state=wait HTTP/1.1\r\n"
			 "Host: api.upbit.com\r\nAuthorization: Bearer x.y.z\r\n\r\n"));
	c[1] = keep(1, M("POST /api/v3/order HTTP/1.1\r\nHost: api.binance.com\r\n"
			 "Content-Type: application/x-www-form-urlencoded\r\n"
			 "Content-Length: 23\r\n\r\nsymbol=LTCBTC&side=BUY&"));
	c[2] = keep(2, M("POST /v5/order/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "5;x=1\r\n{\"a\":\r\n3\r\n1}\n\r\n0\r\nT: 1\r\n\r\n"));
	c[3] = keep(3, M("\r\nGET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.0\r\nContent-Length: 1\r\n"
			 "Connection: keep-alive\r\n\r\nxGET /c HTTP/1.1\r\n\r\n"));
	c[4] = keep(4, M("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Expect: 100-continue\r\n\r\n"));
	fuzz(NET_HTTP_REQUEST, c, 5, 0x13198a2e03707344ull);
}
