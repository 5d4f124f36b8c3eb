/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 writers: request templates and the request builder (client
 * side, on the order path), replies (server side).
 *
 * The request builder copies the template's fixed bytes with two memcpy
 * calls and writes numbers with a two-digits-at-a-time routine; the only
 * other cost is moving the staged body behind the head once, at finish.
 * Bytes are checked against the buffer's end, never against the grammar:
 * the template (made at startup) is validated, the variable parts are the
 * caller's to keep clean.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "kimp/http.h"

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const char hexdig[] = "0123456789abcdef";

static const uint64_t p10tab[19] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull,
	1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull,
};

static inline unsigned u64_digits(uint64_t v)
{
	unsigned n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

/* The n decimal digits of v at dst, two at a time from the right. */
static inline void put_dec(char *dst, uint64_t v, unsigned n)
{
	char *q = dst + n;

	while (v >= 100) {
		unsigned i = (unsigned)(v % 100) * 2;

		v /= 100;
		q -= 2;
		memcpy(q, digits2 + i, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + v * 2, 2);
	} else {
		*--q = (char)('0' + v);
	}
}

size_t net_http_fmt_u64(char *dst, uint64_t v)
{
	unsigned n = u64_digits(v);

	put_dec(dst, v, n);
	return n;
}

/* v / 10^scale, shortest form, at dst (room for 41 bytes). */
static size_t fmt_fixed(char *dst, int64_t v, unsigned scale)
{
	uint64_t u = v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v;
	uint64_t ip = u / p10tab[scale], fp = u % p10tab[scale];
	char *q = dst;

	if (v < 0)
		*q++ = '-';
	q += net_http_fmt_u64(q, ip);
	if (fp) {
		while (fp % 10 == 0) {
			fp /= 10;
			scale--;
		}
		*q++ = '.';
		/* fp has at most 'scale' digits: pad with leading zeros */
		memset(q, '0', scale);
		put_dec(q, fp, scale);
		q += scale;
	}
	return (size_t)(q - dst);
}

/* ---- small validation for the cold paths -------------------------------- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool all_tchar(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool all_vchar(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* field-value bytes: VCHAR, obs-text, SP, HTAB */
static bool all_fvchar(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* ---- templates ------------------------------------------------------------ */

static int tmpl_add(char *dst, uint32_t *len, size_t cap, const char *s, size_t n)
{
	if (n > cap - *len)
		return -ENOSPC;
	memcpy(dst + *len, s, n);
	*len += (uint32_t)n;
	return 0;
}

int net_http_tmpl_init(struct net_http_tmpl *t, const char *method,
		       const char *path_prefix, const char *host)
{
	size_t mlen = strlen(method), plen = strlen(path_prefix), hlen = strlen(host);
	const char *q;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (!all_tchar(method, mlen) || !plen || path_prefix[0] != '/' ||
	    !all_vchar(path_prefix, plen) || !hlen || !all_vchar(host, hlen))
		return -EINVAL;
	ret |= tmpl_add(t->line, &t->line_len, sizeof(t->line), method, mlen);
	ret |= tmpl_add(t->line, &t->line_len, sizeof(t->line), " ", 1);
	ret |= tmpl_add(t->line, &t->line_len, sizeof(t->line), path_prefix, plen);
	ret |= tmpl_add(t->hdrs, &t->hdrs_len, sizeof(t->hdrs), " HTTP/1.1\r\nHost: ", 17);
	ret |= tmpl_add(t->hdrs, &t->hdrs_len, sizeof(t->hdrs), host, hlen);
	ret |= tmpl_add(t->hdrs, &t->hdrs_len, sizeof(t->hdrs), "\r\n", 2);
	if (ret)
		return -ENOSPC;
	t->method_len = (uint32_t)mlen;
	q = memchr(path_prefix, '?', plen);
	if (q)
		t->query_off = (uint32_t)(mlen + 1 + (size_t)(q - path_prefix) + 1);
	t->method = (uint8_t)net_http_method_parse(method, mlen);
	switch (t->method) {
	case NET_HTTP_POST:
	case NET_HTTP_PUT:
	case NET_HTTP_PATCH:
		t->always_cl = true;
		t->body_stage = NET_HTTP_BODY_STAGE;
		break;
	default:
		break;
	}
	return 0;
}

int net_http_tmpl_header(struct net_http_tmpl *t, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	uint32_t len = t->hdrs_len;
	int ret = 0;

	if (!all_tchar(name, nlen) || !all_fvchar(value, vlen))
		return -EINVAL;
	ret |= tmpl_add(t->hdrs, &len, sizeof(t->hdrs), name, nlen);
	ret |= tmpl_add(t->hdrs, &len, sizeof(t->hdrs), ": ", 2);
	ret |= tmpl_add(t->hdrs, &len, sizeof(t->hdrs), value, vlen);
	ret |= tmpl_add(t->hdrs, &len, sizeof(t->hdrs), "\r\n", 2);
	if (ret)
		return -ENOSPC;
	t->hdrs_len = len;
	return 0;
}

int net_http_tmpl_body_stage(struct net_http_tmpl *t, size_t bytes)
{
	if (bytes > (1u << 30))
		return -EINVAL;
	t->body_stage = (uint32_t)bytes;
	return 0;
}

/* ---- request builder -------------------------------------------------------- */

enum {
	PT_TARGET,      /* the request line is open */
	PT_HEADERS,     /* between header lines */
	PT_LINE,        /* a header line is open */
	PT_DONE,        /* finished */
};

/* Longest Content-Length line plus the blank line. */
#define CL_LINE_MAX (sizeof("Content-Length: ") - 1 + 20 + 4)

int net_http_req_start(struct net_http_req *r, const struct net_http_tmpl *t,
		       void *vbuf, size_t cap)
{
	char *buf = vbuf;

	if (cap > INT_MAX || cap < (size_t)t->body_stage + t->line_len + t->hdrs_len + CL_LINE_MAX)
		return -ENOBUFS;
	r->buf = buf;
	r->bufend = buf + cap;
	r->body0 = r->body_pos = buf + cap - t->body_stage;
	r->head_pos = buf;
	r->end = r->body0;
	r->t = t;
	r->query_off = t->query_off;
	r->target_end = 0;
	r->err = 0;
	r->part = PT_TARGET;
	r->in_body = false;
	r->used_body = false;
	memcpy(buf, t->line, t->line_len);
	r->pos = buf + t->line_len;
	return 0;
}

static inline void req_put(struct net_http_req *r, const char *s, size_t n)
{
	net_http_req_put(r, s, n);
}

static void to_head(struct net_http_req *r)
{
	if (r->in_body) {
		r->body_pos = r->pos;
		r->pos = r->head_pos;
		r->end = r->body0;
		r->in_body = false;
	}
}

/* In the head: end the request line, then the template's header lines. */
static void close_target(struct net_http_req *r)
{
	if (r->part == PT_TARGET) {
		r->target_end = (uint32_t)(r->pos - r->buf);
		req_put(r, r->t->hdrs, r->t->hdrs_len);
		r->part = PT_HEADERS;
	}
}

void net_http_req_put_u64(struct net_http_req *r, uint64_t v)
{
	unsigned n = u64_digits(v);

	if (kimp_unlikely(n > (size_t)(r->end - r->pos))) {
		r->err = -ENOBUFS;
		return;
	}
	put_dec(r->pos, v, n);
	r->pos += n;
}

void net_http_req_put_i64(struct net_http_req *r, int64_t v)
{
	if (v < 0) {
		req_put(r, "-", 1);
		net_http_req_put_u64(r, (uint64_t)-(v + 1) + 1);
	} else {
		net_http_req_put_u64(r, (uint64_t)v);
	}
}

void net_http_req_put_fixed(struct net_http_req *r, int64_t v, unsigned scale)
{
	if (scale > 18) {
		r->err = -EINVAL;
		return;
	}
	if (kimp_unlikely((size_t)(r->end - r->pos) < 41)) {
		char tmp[41];

		req_put(r, tmp, fmt_fixed(tmp, v, scale));
		return;
	}
	r->pos += fmt_fixed(r->pos, v, scale);
}

void net_http_req_put_hex(struct net_http_req *r, const void *bytes, size_t n)
{
	const unsigned char *b = bytes;

	if (kimp_unlikely(n > (size_t)(r->end - r->pos) / 2)) {
		r->err = -ENOBUFS;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		r->pos[2 * i] = hexdig[b[i] >> 4];
		r->pos[2 * i + 1] = hexdig[b[i] & 15];
	}
	r->pos += 2 * n;
}

void net_http_req_put_pct(struct net_http_req *r, const void *s, size_t n)
{
	const unsigned char *b = s;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (kimp_unlikely(r->pos == r->end)) {
				r->err = -ENOBUFS;
				return;
			}
			*r->pos++ = (char)c;
		} else {
			char e[3] = { '%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15] };

			if (kimp_unlikely(r->end - r->pos < 3)) {
				r->err = -ENOBUFS;
				return;
			}
			memcpy(r->pos, e, 3);
			r->pos += 3;
		}
	}
}

char *net_http_req_reserve(struct net_http_req *r, size_t n)
{
	char *p = r->pos;

	if (kimp_unlikely(n > (size_t)(r->end - r->pos))) {
		r->err = -ENOBUFS;
		return NULL;
	}
	r->pos += n;
	return p;
}

void net_http_req_param_n(struct net_http_req *r, const char *key, size_t klen)
{
	if (r->in_body) {
		if (r->pos != r->body0)
			req_put(r, "&", 1);
	} else if (r->part == PT_TARGET) {
		if (!r->query_off) {
			req_put(r, "?", 1);
			r->query_off = (uint32_t)(r->pos - r->buf);
		} else if ((size_t)(r->pos - r->buf) > r->query_off) {
			req_put(r, "&", 1);
		}
	} else {
		r->err = -EINVAL;
		return;
	}
	req_put(r, key, klen);
	req_put(r, "=", 1);
}

void net_http_req_hdr_n(struct net_http_req *r, const char *name, size_t nlen)
{
	to_head(r);
	close_target(r);
	if (r->part == PT_LINE)
		req_put(r, "\r\n", 2);
	else if (r->part == PT_DONE) {
		r->err = -EINVAL;
		return;
	}
	req_put(r, name, nlen);
	req_put(r, ": ", 2);
	r->part = PT_LINE;
}

void net_http_req_body(struct net_http_req *r)
{
	if (r->part == PT_DONE) {
		r->err = -EINVAL;
		return;
	}
	if (!r->in_body) {
		r->head_pos = r->pos;
		r->pos = r->body_pos;
		r->end = r->bufend;
		r->in_body = true;
		r->used_body = true;
	}
}

static char *head_cursor(const struct net_http_req *r)
{
	return r->in_body ? r->head_pos : r->pos;
}

struct net_http_str net_http_req_target(const struct net_http_req *r)
{
	size_t off = r->t->method_len + 1;
	size_t end = r->part == PT_TARGET ? (size_t)(head_cursor(r) - r->buf) : r->target_end;
	struct net_http_str s = { r->buf + off, end - off };

	return s;
}

struct net_http_str net_http_req_query(const struct net_http_req *r)
{
	struct net_http_str s = { NULL, 0 };
	size_t end;

	if (!r->query_off)
		return s;
	end = r->part == PT_TARGET ? (size_t)(head_cursor(r) - r->buf) : r->target_end;
	s.p = r->buf + r->query_off;
	s.len = end - r->query_off;
	return s;
}

struct net_http_str net_http_req_body_str(const struct net_http_req *r)
{
	struct net_http_str s = { r->body0, 0 };

	s.len = (size_t)((r->in_body ? r->pos : r->body_pos) - r->body0);
	return s;
}

int net_http_req_finish(struct net_http_req *r)
{
	size_t blen;

	if (r->part == PT_DONE)
		return -EINVAL;
	to_head(r);
	close_target(r);
	if (r->part == PT_LINE)
		req_put(r, "\r\n", 2);
	r->part = PT_DONE;
	blen = (size_t)(r->body_pos - r->body0);
	if (r->used_body || r->t->always_cl) {
		if (kimp_unlikely((size_t)(r->end - r->pos) < CL_LINE_MAX)) {
			r->err = -ENOBUFS;
		} else {
			memcpy(r->pos, "Content-Length: ", 16);
			r->pos += 16;
			r->pos += net_http_fmt_u64(r->pos, blen);
			memcpy(r->pos, "\r\n", 2);
			r->pos += 2;
		}
	}
	req_put(r, "\r\n", 2);
	/* no room for anything after this: later puts fail, write nothing */
	r->end = r->pos;
	if (r->err)
		return r->err;
	/* the head ends at or below body0: one move closes the gap */
	if (blen && r->pos != r->body0)
		memmove(r->pos, r->body0, blen);
	return (int)((size_t)(r->pos - r->buf) + blen);
}

/* ---- replies -------------------------------------------------------------- */

enum {
	W_HDRS,
	W_BODY,         /* body_begin given out room */
	W_DONE,
	W_CHUNKING,
	W_ENDED,
};

static const char *reason_phrase(unsigned status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 418: return "I'm a teapot";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

static inline void w_put(struct net_http_reply *w, const void *s, size_t n)
{
	if (kimp_unlikely(n > (size_t)(w->end - w->pos))) {
		w->err = -ENOBUFS;
		return;
	}
	if (n)          /* an empty body may come as NULL */
		memcpy(w->pos, s, n);
	w->pos += n;
}

static void w_u64(struct net_http_reply *w, uint64_t v)
{
	char tmp[20];

	w_put(w, tmp, net_http_fmt_u64(tmp, v));
}

static int w_ret(const struct net_http_reply *w)
{
	return w->err ? w->err : (int)(w->pos - w->buf);
}

/* A reply that must not carry a body (RFC 9110 6.4.1). */
static bool w_bodyless(const struct net_http_reply *w)
{
	return w->status < 200 || w->status == 204 || w->status == 304;
}

int net_http_reply_start(struct net_http_reply *w, void *buf, size_t cap,
			 unsigned status, unsigned flags)
{
	const char *reason = reason_phrase(status);
	char code[3];

	w->buf = w->pos = buf;
	w->end = w->buf + (cap > INT_MAX ? 0 : cap);
	w->err = 0;
	w->status = (uint16_t)status;
	w->flags = (uint8_t)flags;
	w->state = W_HDRS;
	if (status < 100 || status > 999 || cap > INT_MAX) {
		w->err = -EINVAL;
		return w->err;
	}
	code[0] = (char)('0' + status / 100);
	code[1] = (char)('0' + status / 10 % 10);
	code[2] = (char)('0' + status % 10);
	w_put(w, flags & NET_HTTP_R_HTTP10 ? "HTTP/1.0 " : "HTTP/1.1 ", 9);
	w_put(w, code, 3);
	w_put(w, " ", 1);
	w_put(w, reason, strlen(reason));
	w_put(w, "\r\n", 2);
	if (flags & NET_HTTP_R_CLOSE)
		w_put(w, "Connection: close\r\n", 19);
	return w->err;
}

void net_http_reply_header_n(struct net_http_reply *w, const char *name, size_t nlen,
			     const char *value, size_t vlen)
{
	if (w->state != W_HDRS) {
		w->err = -EINVAL;
		return;
	}
	w_put(w, name, nlen);
	w_put(w, ": ", 2);
	w_put(w, value, vlen);
	w_put(w, "\r\n", 2);
}

void net_http_reply_header_u64(struct net_http_reply *w, const char *name, uint64_t v)
{
	if (w->state != W_HDRS) {
		w->err = -EINVAL;
		return;
	}
	w_put(w, name, strlen(name));
	w_put(w, ": ", 2);
	w_u64(w, v);
	w_put(w, "\r\n", 2);
}

/* Content-Length (unless bodyless) and the blank line. */
static void w_end_headers(struct net_http_reply *w, uint64_t len)
{
	if (!w_bodyless(w)) {
		w_put(w, "Content-Length: ", 16);
		w_u64(w, len);
		w_put(w, "\r\n", 2);
	}
	w_put(w, "\r\n", 2);
}

int net_http_reply_body(struct net_http_reply *w, const void *body, size_t len)
{
	if (w->state != W_HDRS || (len && w_bodyless(w)))
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return w->err;
	w_end_headers(w, len);
	w_put(w, body, len);
	w->state = W_DONE;
	return w_ret(w);
}

char *net_http_reply_body_begin(struct net_http_reply *w, size_t *avail)
{
	*avail = 0;
	if (w->state != W_HDRS)
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return NULL;
	if ((size_t)(w->end - w->pos) < CL_LINE_MAX) {
		w->err = -ENOBUFS;
		return NULL;
	}
	w->state = W_BODY;
	*avail = (size_t)(w->end - w->pos) - CL_LINE_MAX;
	return w->pos + CL_LINE_MAX;
}

int net_http_reply_body_end(struct net_http_reply *w, size_t n)
{
	char *body = w->pos + CL_LINE_MAX;

	if (w->state != W_BODY || n > (size_t)(w->end - body) || (n && w_bodyless(w)))
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return w->err;
	w_end_headers(w, n);
	memmove(w->pos, body, n);
	w->pos += n;
	w->state = W_DONE;
	return w_ret(w);
}

int net_http_reply_head(struct net_http_reply *w, uint64_t len)
{
	if (w->state != W_HDRS)
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return w->err;
	w_end_headers(w, len);
	w->state = W_DONE;
	return w_ret(w);
}

int net_http_reply_chunked(struct net_http_reply *w)
{
	if (w->state != W_HDRS || w_bodyless(w) || (w->flags & NET_HTTP_R_HTTP10))
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return w->err;
	w_put(w, "Transfer-Encoding: chunked\r\n\r\n", 30);
	w->state = W_CHUNKING;
	return w_ret(w);
}

int net_http_reply_chunk(struct net_http_reply *w, const void *data, size_t len)
{
	char hex[16];
	unsigned n = 0;

	if (w->state != W_CHUNKING)
		w->err = w->err ? w->err : -EINVAL;
	if (w->err || !len)
		return w_ret(w);
	for (size_t v = len; v; v >>= 4)
		n++;
	for (unsigned i = 0; i < n; i++)
		hex[i] = hexdig[(len >> (4 * (n - 1 - i))) & 15];
	if ((size_t)(w->end - w->pos) < n + 4 + len) {
		w->err = -ENOBUFS;
		return w->err;
	}
	w_put(w, hex, n);
	w_put(w, "\r\n", 2);
	w_put(w, data, len);
	w_put(w, "\r\n", 2);
	return w_ret(w);
}

int net_http_reply_end(struct net_http_reply *w)
{
	if (w->state != W_CHUNKING)
		w->err = w->err ? w->err : -EINVAL;
	if (w->err)
		return w->err;
	w_put(w, "0\r\n\r\n", 5);
	w->state = W_ENDED;
	return w_ret(w);
}
