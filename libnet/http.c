/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 message parser (RFC 9112), responses and requests, incremental.
 *
 * The parser walks the bytes once: lines are found with memchr from where
 * the last call stopped (p->scan), so a message fed a byte at a time costs
 * the same as one fed whole. Every state keeps only offsets from the first
 * byte of the message; the caller may move its buffer between calls.
 *
 * Grammar followed (RFC 9112 section numbers):
 *   2.2  a line ends with LF, optionally preceded by CR; a CR anywhere else
 *        is an error; empty lines before a request line are skipped
 *   3    request-line = method SP request-target SP HTTP-version
 *   4    status-line  = HTTP-version SP 3DIGIT [ SP reason-phrase ]
 *   5    field-line   = field-name ":" OWS field-value OWS; no whitespace
 *        before the colon; obs-fold rejected (5.2)
 *   6.1  Transfer-Encoding: only "chunked", once; with Content-Length too
 *        the message is rejected (6.3 item 3)
 *   6.3  message body length: HEAD, 1xx, 204, 304 have none; chunked; a
 *        Content-Length (identical repeats accepted); a response without
 *        either runs until close; a request without either has none
 *   7.1  chunked: chunk-size in hex, extensions ignored, trailers skipped
 *   9.3  persistence: close option, or HTTP/1.0 without keep-alive
 */
#include <errno.h>
#include <string.h>
#include "kimp/http.h"

enum {
	S_FIRST,        /* start line (after interim responses too) */
	S_HDRS,
	S_BODY_CL,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_END,    /* CRLF after chunk data */
	S_TRAILERS,
	S_BODY_EOF,
	S_DONE,
	S_ERROR,
};

#define CONT 100        /* internal: go on with the next state */

#define C_CLOSE     0x1u
#define C_KEEPALIVE 0x2u
#define C_UPGRADE   0x4u

/* ---- character classes ------------------------------------------------- */

#define T 0x1u  /* tchar (RFC 9110 5.6.2) */
#define V 0x2u  /* field-value byte: VCHAR, obs-text, SP, HTAB */
#define G 0x4u  /* request-target byte: VCHAR */
#define H 0x8u  /* HEXDIG */

static const uint8_t ctab[256] = {
	['\t'] = V,
	[' '] = V,
	['!'] = T | V | G,
	['"'] = V | G,
	['#' ... '\''] = T | V | G,
	['(' ... ')'] = V | G,
	['*' ... '+'] = T | V | G,
	[','] = V | G,
	['-' ... '.'] = T | V | G,
	['/'] = V | G,
	['0' ... '9'] = T | V | G | H,
	[':' ... '@'] = V | G,
	['A' ... 'F'] = T | V | G | H,
	['G' ... 'Z'] = T | V | G,
	['[' ... ']'] = V | G,
	['^' ... '`'] = T | V | G,
	['a' ... 'f'] = T | V | G | H,
	['g' ... 'z'] = T | V | G,
	['{'] = V | G,
	['|'] = T | V | G,
	['}'] = V | G,
	['~'] = T | V | G,
	[0x80 ... 0xff] = V,
};

static inline bool is(unsigned char c, unsigned cls)
{
	return ctab[c] & cls;
}

static inline unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* a[0..n) equals b[0..n) ignoring ASCII case. */
static bool ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

static inline bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Next element of a comma list in s[*i..n), trimmed of OWS: [*b, *e).
 * false at the end of the list.
 */
static bool list_next(const char *s, size_t n, size_t *i, size_t *b, size_t *e)
{
	size_t k = *i, j;

	if (k > n)
		return false;
	while (k < n && ows(s[k]))
		k++;
	j = k;
	while (j < n && s[j] != ',')
		j++;
	*i = j + 1;
	*b = k;
	while (j > k && ows(s[j - 1]))
		j--;
	*e = j;
	return true;
}

/* ---- methods and errors ------------------------------------------------- */

static const char *const method_names[] = {
	[NET_HTTP_OTHER] = "",
	[NET_HTTP_GET] = "GET",
	[NET_HTTP_HEAD] = "HEAD",
	[NET_HTTP_POST] = "POST",
	[NET_HTTP_PUT] = "PUT",
	[NET_HTTP_DELETE] = "DELETE",
	[NET_HTTP_PATCH] = "PATCH",
	[NET_HTTP_OPTIONS] = "OPTIONS",
	[NET_HTTP_CONNECT] = "CONNECT",
	[NET_HTTP_TRACE] = "TRACE",
	[NET_HTTP_ANY] = "",
};

enum net_http_method net_http_method_parse(const char *s, size_t n)
{
	for (unsigned m = NET_HTTP_GET; m <= NET_HTTP_TRACE; m++)
		if (strlen(method_names[m]) == n && !memcmp(method_names[m], s, n))
			return (enum net_http_method)m;
	return NET_HTTP_OTHER;
}

const char *net_http_method_name(enum net_http_method m)
{
	if ((unsigned)m >= KIMP_ARRAY_SIZE(method_names))
		return "";
	return method_names[m];
}

static const char *const err_names[] = {
	"START_LINE", "METHOD", "TARGET", "VERSION", "STATUS", "HDR_NAME",
	"HDR_VALUE", "OBS_FOLD", "URI_SIZE", "HDR_SIZE", "HDR_COUNT", "CL",
	"CL_CONFLICT", "CL_TE", "TE", "CHUNK_SIZE", "CHUNK_END", "TRAILER",
	"BODY_SIZE", "CLOSED", "TRUNCATED",
};
KIMP_STATIC_ASSERT(KIMP_ARRAY_SIZE(err_names) == NET_HTTP_E_END_ - NET_HTTP_E_BASE,
		   "a name for every NET_HTTP_E_*");

const char *net_http_err_name(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	if (err >= NET_HTTP_E_BASE && err < NET_HTTP_E_END_)
		return err_names[err - NET_HTTP_E_BASE];
	s = strerrorname_np(err);
	return s ? s : "unknown";
}

unsigned net_http_err_status(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case NET_HTTP_E_VERSION:
		return 505;
	case NET_HTTP_E_TE:
		return 501;
	case NET_HTTP_E_URI_SIZE:
		return 414;
	case NET_HTTP_E_HDR_SIZE:
	case NET_HTTP_E_HDR_COUNT:
		return 431;
	case NET_HTTP_E_BODY_SIZE:
		return 413;
	default:
		return 400;
	}
}

/* ---- set-up ------------------------------------------------------------- */

void net_http_limits_default(struct net_http_limits *l)
{
	l->max_hdr_bytes = 8192;
	l->max_hdrs = NET_HTTP_MAX_HDRS;
	l->max_body = 1u << 20;
}

void net_http_limits_fill(struct net_http_limits *l)
{
	struct net_http_limits d;

	net_http_limits_default(&d);
	if (!l->max_hdr_bytes)
		l->max_hdr_bytes = d.max_hdr_bytes;
	if (!l->max_hdrs)
		l->max_hdrs = d.max_hdrs;
	if (!l->max_body)
		l->max_body = d.max_body;
}

int net_http_parser_init(struct net_http_parser *p, enum net_http_kind kind,
			 const struct net_http_limits *lim)
{
	struct net_http_limits l;

	if (lim)
		l = *lim;
	else
		net_http_limits_default(&l);
	if (l.max_hdr_bytes < 64 || l.max_hdr_bytes > NET_HTTP_HDR_BYTES_MAX ||
	    l.max_hdrs < 1 || l.max_hdrs > NET_HTTP_MAX_HDRS ||
	    l.max_body > NET_HTTP_BODY_MAX ||
	    (kind != NET_HTTP_RESPONSE && kind != NET_HTTP_REQUEST))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->lim = l;
	p->kind = (uint8_t)kind;
	net_http_parser_next(p, 0);
	return 0;
}

void net_http_parser_body_buf(struct net_http_parser *p, void *dst, size_t cap)
{
	p->body_dst = dst;
	p->body_cap = dst ? cap : 0;
}

/* Forget the header fields and framing seen so far (also between an interim
 * response and the next one). */
static void reset_fields(struct net_http_parser *p)
{
	p->status = 0;
	p->version = 0;
	p->method = NET_HTTP_OTHER;
	p->keep_alive = false;
	p->chunked = false;
	p->until_close = false;
	p->has_content_length = false;
	p->upgrade = false;
	p->expect_continue = false;
	p->content_length = 0;
	p->nhdrs = 0;
	p->has_te = false;
	p->has_upgrade_hdr = false;
	p->has_query = false;
	p->conn = 0;
}

void net_http_parser_next(struct net_http_parser *p, unsigned flags)
{
	reset_fields(p);
	p->err = 0;
	p->interim = 0;
	p->body_len = 0;
	p->msg_len = 0;
	p->base = NULL;
	p->pos = p->scan = p->sect = p->body_off = 0;
	p->remain = 0;
	p->start_off = p->start_len = p->m_len = 0;
	p->tgt_off = p->tgt_len = p->path_len = 0;
	p->reason_off = p->reason_len = 0;
	p->state = S_FIRST;
	p->flags = (uint8_t)flags;
}

/* ---- states ------------------------------------------------------------- */

static int fail(struct net_http_parser *p, int e)
{
	p->err = e;
	p->state = S_ERROR;
	return -e;
}

static int done(struct net_http_parser *p)
{
	p->state = S_DONE;
	p->msg_len = p->pos;
	return p->kind == NET_HTTP_RESPONSE && p->status == 101 ? NET_HTTP_UPGRADE
								: NET_HTTP_DONE;
}

/*
 * Check the first n bytes of s (n may be short of 8) against "HTTP/1.x":
 * 0 while they agree. The same verdict whether a line is complete or not,
 * so an early rejection never depends on how the input was split.
 */
static int version_prefix(const char *s, size_t n)
{
	static const char pre[] = "HTTP/";

	for (size_t i = 0; i < n && i < 8; i++) {
		char c = s[i];

		if (i < 5) {
			if (c != pre[i])
				return NET_HTTP_E_START_LINE;
		} else if (i == 5) {
			if (c != '1')
				return c >= '0' && c <= '9' ? NET_HTTP_E_VERSION
							    : NET_HTTP_E_START_LINE;
		} else if (i == 6) {
			if (c != '.')
				return NET_HTTP_E_VERSION;
		} else if (c < '0' || c > '9') {
			return NET_HTTP_E_VERSION;
		}
	}
	return 0;
}

/* status-line = HTTP-version SP 3DIGIT [ SP reason-phrase ] */
static int parse_status_line(struct net_http_parser *p, const char *b, size_t ls, size_t le)
{
	const char *s = b + ls;
	size_t n = le - ls;
	int e = version_prefix(s, n);

	if (e)
		return e;
	if (n < 9)
		return NET_HTTP_E_START_LINE;
	if (s[8] >= '0' && s[8] <= '9')
		return NET_HTTP_E_VERSION;
	if (s[8] != ' ')
		return NET_HTTP_E_START_LINE;
	if (n < 12)
		return NET_HTTP_E_STATUS;
	for (size_t i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return NET_HTTP_E_STATUS;
	if (s[9] == '0' || (n > 12 && s[12] != ' '))
		return NET_HTTP_E_STATUS;
	for (size_t i = 13; i < n; i++)
		if (!is((unsigned char)s[i], V))
			return NET_HTTP_E_START_LINE;
	p->version = s[7] == '0' ? 0 : 1;
	p->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
	p->reason_off = (uint32_t)(ls + (n > 12 ? 13 : n));
	p->reason_len = (uint32_t)(n > 12 ? n - 13 : 0);
	return 0;
}

/* request-line = method SP request-target SP HTTP-version */
static int parse_request_line(struct net_http_parser *p, const char *b, size_t ls, size_t le)
{
	const char *s = b + ls;
	size_t n = le - ls, i = 0, j, tlen, q;
	int e;

	while (i < n && is((unsigned char)s[i], T))
		i++;
	if (i == n)
		return NET_HTTP_E_START_LINE;
	if (i == 0 || s[i] != ' ')
		return NET_HTTP_E_METHOD;
	/* the version is after the last SP */
	j = n;
	while (j > i + 1 && s[j - 1] != ' ')
		j--;
	if (j == i + 1)
		return NET_HTTP_E_START_LINE;
	e = version_prefix(s + j, n - j);
	if (e)
		return e;
	if (n - j != 8)
		return n - j > 8 ? NET_HTTP_E_VERSION : NET_HTTP_E_START_LINE;
	/* request-target: origin-form, or "*" for OPTIONS */
	tlen = j - 1 - (i + 1);
	if (!tlen)
		return NET_HTTP_E_TARGET;
	for (size_t k = i + 1; k < j - 1; k++)
		if (!is((unsigned char)s[k], G))
			return NET_HTTP_E_TARGET;
	p->method = (uint8_t)net_http_method_parse(s, i);
	if (s[i + 1] != '/' &&
	    !(tlen == 1 && s[i + 1] == '*' && p->method == NET_HTTP_OPTIONS))
		return NET_HTTP_E_TARGET;
	for (q = 0; q < tlen && s[i + 1 + q] != '?'; q++)
		;
	p->version = s[j + 7] == '0' ? 0 : 1;
	p->m_len = (uint32_t)i;
	p->tgt_off = (uint32_t)(ls + i + 1);
	p->tgt_len = (uint32_t)tlen;
	p->path_len = (uint32_t)q;
	p->has_query = q < tlen;
	return 0;
}

/* Content-Length = 1*DIGIT, or a list of identical ones (RFC 9110 8.6). */
static int on_content_length(struct net_http_parser *p, const char *v, size_t n)
{
	size_t i = 0, b, e;
	bool any = false;

	while (list_next(v, n, &i, &b, &e)) {
		uint64_t x = 0;

		if (b == e)
			return NET_HTTP_E_CL;
		for (size_t k = b; k < e; k++) {
			if (v[k] < '0' || v[k] > '9')
				return NET_HTTP_E_CL;
			x = x * 10 + (uint64_t)(v[k] - '0');
			if (x > 1000000000000000000ull)
				return NET_HTTP_E_CL;
		}
		if ((any || p->has_content_length) && x != p->content_length)
			return NET_HTTP_E_CL_CONFLICT;
		p->content_length = x;
		p->has_content_length = true;
		any = true;
	}
	return 0;
}

/* Transfer-Encoding: we decode "chunked" only, applied once. */
static int on_transfer_encoding(struct net_http_parser *p, const char *v, size_t n)
{
	size_t i = 0, b, e;

	p->has_te = true;
	while (list_next(v, n, &i, &b, &e)) {
		if (b == e)
			continue;
		if (e - b != 7 || !ieq(v + b, "chunked", 7) || p->chunked)
			return NET_HTTP_E_TE;
		p->chunked = true;
	}
	return 0;
}

static void on_connection(struct net_http_parser *p, const char *v, size_t n)
{
	size_t i = 0, b, e;

	while (list_next(v, n, &i, &b, &e)) {
		if (e - b == 5 && ieq(v + b, "close", 5))
			p->conn |= C_CLOSE;
		else if (e - b == 10 && ieq(v + b, "keep-alive", 10))
			p->conn |= C_KEEPALIVE;
		else if (e - b == 7 && ieq(v + b, "upgrade", 7))
			p->conn |= C_UPGRADE;
	}
}

/* Fields that frame the message or decide persistence. */
static int on_field(struct net_http_parser *p, const char *name, size_t nlen,
		    const char *v, size_t vlen)
{
	switch (nlen) {
	case 14:
		if (ieq(name, "content-length", 14))
			return on_content_length(p, v, vlen);
		break;
	case 17:
		if (ieq(name, "transfer-encoding", 17))
			return on_transfer_encoding(p, v, vlen);
		break;
	case 10:
		if (ieq(name, "connection", 10))
			on_connection(p, v, vlen);
		break;
	case 7:
		if (ieq(name, "upgrade", 7))
			p->has_upgrade_hdr = true;
		break;
	case 6:
		if (ieq(name, "expect", 6) && vlen == 12 && ieq(v, "100-continue", 12))
			p->expect_continue = true;
		break;
	default:
		break;
	}
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS; a trailer is checked the
 * same way, then dropped. */
static int parse_field(struct net_http_parser *p, const char *b, size_t ls, size_t le,
		       bool trailer)
{
	const char *s = b + ls;
	size_t n = le - ls, i = 0, v, ve;
	int bad_name = trailer ? NET_HTTP_E_TRAILER : NET_HTTP_E_HDR_NAME;
	struct net_http_hdr *h;

	if (ows(s[0]))
		return NET_HTTP_E_OBS_FOLD;
	while (i < n && is((unsigned char)s[i], T))
		i++;
	if (i == 0 || i == n || s[i] != ':')
		return bad_name;
	v = i + 1;
	while (v < n && ows(s[v]))
		v++;
	ve = n;
	while (ve > v && ows(s[ve - 1]))
		ve--;
	for (size_t k = v; k < ve; k++)
		if (!is((unsigned char)s[k], V))
			return trailer ? NET_HTTP_E_TRAILER : NET_HTTP_E_HDR_VALUE;
	if (trailer)
		return 0;
	if (p->nhdrs >= p->lim.max_hdrs)
		return NET_HTTP_E_HDR_COUNT;
	h = &p->hdrs[p->nhdrs++];
	h->name_off = (uint32_t)ls;
	h->name_len = (uint32_t)i;
	h->value_off = (uint32_t)(ls + v);
	h->value_len = (uint32_t)(ve - v);
	return on_field(p, s, i, s + v, ve - v);
}

/* The blank line after the header fields: decide the framing. */
static int headers_done(struct net_http_parser *p)
{
	bool resp = p->kind == NET_HTTP_RESPONSE;

	if (resp && p->status < 200) {
		if (p->status == 101)
			return done(p);
		/* an interim response: forget it, read the next status line */
		if (p->interim < UINT16_MAX)
			p->interim++;
		reset_fields(p);
		p->state = S_FIRST;
		return CONT;
	}
	if (p->has_content_length && p->has_te)
		return fail(p, NET_HTTP_E_CL_TE);
	if (p->has_te && !p->chunked)
		return fail(p, NET_HTTP_E_TE);
	p->keep_alive = !(p->conn & C_CLOSE) && (p->version || (p->conn & C_KEEPALIVE));
	if (p->has_te && !p->version)
		p->keep_alive = false;    /* RFC 9112 6.1: faulty framing */
	p->upgrade = !resp && p->has_upgrade_hdr && (p->conn & C_UPGRADE);
	p->body_off = p->pos;
	if (resp && ((p->flags & NET_HTTP_F_HEAD) || p->status == 204 || p->status == 304)) {
		p->chunked = false;
		return done(p);
	}
	if (p->chunked) {
		p->state = S_CHUNK_SIZE;
		return CONT;
	}
	if (p->has_content_length) {
		if (p->content_length > p->lim.max_body)
			return fail(p, NET_HTTP_E_BODY_SIZE);
		if (!p->content_length)
			return done(p);
		p->remain = p->content_length;
		p->state = S_BODY_CL;
		return CONT;
	}
	if (resp) {
		p->until_close = true;
		p->keep_alive = false;
		p->state = S_BODY_EOF;
		return CONT;
	}
	return done(p);
}

/*
 * The next line from p->pos: true with [*ls, *le) its bytes (CR LF or LF
 * stripped) once its end is within 'limit' bytes of 'from', and p->pos past
 * it. false for "not complete yet" (*err 0) or "too long" (*err set).
 */
static bool next_line(struct net_http_parser *p, const char *buf, size_t len,
		      size_t from, size_t limit, int too_long, size_t *ls, size_t *le,
		      int *err)
{
	const char *nl = memchr(buf + p->scan, '\n', len - p->scan);
	size_t e;

	*err = 0;
	if (!nl) {
		p->scan = len;
		if (len - from > limit)
			*err = too_long;
		return false;
	}
	e = (size_t)(nl - buf);
	if (e + 1 - from > limit) {
		*err = too_long;
		return false;
	}
	*ls = p->pos;
	*le = e > p->pos && buf[e - 1] == '\r' ? e - 1 : e;
	p->pos = p->scan = e + 1;
	return true;
}

static int st_first(struct net_http_parser *p, const char *buf, size_t len)
{
	bool req = p->kind == NET_HTTP_REQUEST;
	size_t ls, le;
	int e;

	if (req) {
		/* RFC 9112 2.2: ignore empty lines before the request line */
		while (p->pos < len) {
			if (buf[p->pos] == '\n') {
				p->pos++;
			} else if (buf[p->pos] == '\r') {
				if (p->pos + 1 == len)
					break;
				if (buf[p->pos + 1] != '\n')
					return fail(p, NET_HTTP_E_START_LINE);
				p->pos += 2;
			} else {
				break;
			}
		}
		if (p->scan < p->pos)
			p->scan = p->pos;
	} else {
		e = version_prefix(buf + p->pos, len - p->pos);
		if (e)
			return fail(p, e);
	}
	if (!next_line(p, buf, len, 0, p->lim.max_hdr_bytes,
		       req ? NET_HTTP_E_URI_SIZE : NET_HTTP_E_HDR_SIZE, &ls, &le, &e))
		return e ? fail(p, e) : NET_HTTP_AGAIN;
	e = req ? parse_request_line(p, buf, ls, le) : parse_status_line(p, buf, ls, le);
	if (e)
		return fail(p, e);
	p->start_off = (uint32_t)ls;
	p->start_len = (uint32_t)(le - ls);
	p->state = S_HDRS;
	return CONT;
}

static int st_hdrs(struct net_http_parser *p, const char *buf, size_t len)
{
	size_t ls, le;
	int e;

	for (;;) {
		if (!next_line(p, buf, len, 0, p->lim.max_hdr_bytes, NET_HTTP_E_HDR_SIZE,
			       &ls, &le, &e))
			return e ? fail(p, e) : NET_HTTP_AGAIN;
		if (ls == le)
			return headers_done(p);
		e = parse_field(p, buf, ls, le, false);
		if (e)
			return fail(p, e);
	}
}

static int st_chunk_size(struct net_http_parser *p, const char *buf, size_t len)
{
	size_t ls, le, i;
	uint64_t v = 0, cap;
	int e;

	if (!next_line(p, buf, len, p->pos, p->lim.max_hdr_bytes, NET_HTTP_E_CHUNK_SIZE,
		       &ls, &le, &e))
		return e ? fail(p, e) : NET_HTTP_AGAIN;
	for (i = ls; i < le && is((unsigned char)buf[i], H); i++) {
		unsigned char c = (unsigned char)buf[i];

		if (v >> 60)
			return fail(p, NET_HTTP_E_CHUNK_SIZE);
		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	if (i == ls)
		return fail(p, NET_HTTP_E_CHUNK_SIZE);
	/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): ignored,
	 * but only field-value bytes after the ';' */
	while (i < le && ows(buf[i]))
		i++;
	if (i < le && buf[i] != ';')
		return fail(p, NET_HTTP_E_CHUNK_SIZE);
	for (; i < le; i++)
		if (!is((unsigned char)buf[i], V))
			return fail(p, NET_HTTP_E_CHUNK_SIZE);
	if (!v) {
		p->sect = p->pos;
		p->state = S_TRAILERS;
		return CONT;
	}
	cap = p->lim.max_body;
	if (p->body_dst && p->body_cap < cap)
		cap = p->body_cap;
	if (v > cap - p->body_len)
		return fail(p, NET_HTTP_E_BODY_SIZE);
	p->remain = v;
	p->state = S_CHUNK_DATA;
	return CONT;
}

static int st_chunk_data(struct net_http_parser *p, char *buf, size_t len)
{
	size_t n = len - p->pos;

	if (n > p->remain)
		n = (size_t)p->remain;
	if (n) {
		char *dst = p->body_dst ? p->body_dst + p->body_len
					: buf + p->body_off + p->body_len;

		/* in place, dst is below buf + pos: the chunk framing was at
		 * least 3 bytes ("1" CRLF) */
		memmove(dst, buf + p->pos, n);
		p->pos += n;
		p->scan = p->pos;
		p->body_len += n;
		p->remain -= n;
	}
	if (p->remain)
		return NET_HTTP_AGAIN;
	p->state = S_CHUNK_END;
	return CONT;
}

static int st_chunk_end(struct net_http_parser *p, const char *buf, size_t len)
{
	if (p->pos == len)
		return NET_HTTP_AGAIN;
	if (buf[p->pos] == '\r') {
		if (p->pos + 1 == len)
			return NET_HTTP_AGAIN;
		if (buf[p->pos + 1] != '\n')
			return fail(p, NET_HTTP_E_CHUNK_END);
		p->pos += 2;
	} else if (buf[p->pos] == '\n') {
		p->pos++;
	} else {
		return fail(p, NET_HTTP_E_CHUNK_END);
	}
	p->scan = p->pos;
	p->state = S_CHUNK_SIZE;
	return CONT;
}

static int st_trailers(struct net_http_parser *p, const char *buf, size_t len)
{
	size_t ls, le;
	int e;

	for (;;) {
		if (!next_line(p, buf, len, p->sect, p->lim.max_hdr_bytes,
			       NET_HTTP_E_HDR_SIZE, &ls, &le, &e))
			return e ? fail(p, e) : NET_HTTP_AGAIN;
		if (ls == le)
			return done(p);
		e = parse_field(p, buf, ls, le, true);
		if (e)
			return fail(p, e);
	}
}

static int st_body_eof(struct net_http_parser *p, size_t len)
{
	if (len - p->body_off > p->lim.max_body)
		return fail(p, NET_HTTP_E_BODY_SIZE);
	p->body_len = len - p->body_off;
	p->pos = p->scan = len;
	return NET_HTTP_AGAIN;
}

int net_http_parse(struct net_http_parser *p, void *vbuf, size_t len)
{
	char *buf = vbuf;
	int r;

	if (p->state == S_ERROR)
		return -p->err;
	/* scan >= pos: every byte below it has been looked at */
	if (len < p->scan)
		return -EINVAL;
	p->base = buf;
	if (p->state == S_DONE)
		return p->kind == NET_HTTP_RESPONSE && p->status == 101 ? NET_HTTP_UPGRADE
									 : NET_HTTP_DONE;
	for (;;) {
		switch (p->state) {
		case S_FIRST:
			r = st_first(p, buf, len);
			break;
		case S_HDRS:
			r = st_hdrs(p, buf, len);
			break;
		case S_BODY_CL: {
			size_t n = len - p->pos;

			if (n > p->remain)
				n = (size_t)p->remain;
			p->pos += n;
			p->scan = p->pos;
			p->body_len += n;
			p->remain -= n;
			r = p->remain ? NET_HTTP_AGAIN : done(p);
			break;
		}
		case S_CHUNK_SIZE:
			r = st_chunk_size(p, buf, len);
			break;
		case S_CHUNK_DATA:
			r = st_chunk_data(p, buf, len);
			break;
		case S_CHUNK_END:
			r = st_chunk_end(p, buf, len);
			break;
		case S_TRAILERS:
			r = st_trailers(p, buf, len);
			break;
		case S_BODY_EOF:
			r = st_body_eof(p, len);
			break;
		default:
			r = -EINVAL;
			break;
		}
		if (r != CONT)
			return r;
	}
}

int net_http_parse_eof(struct net_http_parser *p, void *buf, size_t len)
{
	int r = net_http_parse(p, buf, len);

	if (r != NET_HTTP_AGAIN)
		return r;
	if (p->state == S_BODY_EOF)
		return done(p);
	if (p->state == S_FIRST && !p->interim && p->pos == len)
		return fail(p, NET_HTTP_E_CLOSED);
	return fail(p, NET_HTTP_E_TRUNCATED);
}

/* ---- accessors ---------------------------------------------------------- */

static struct net_http_str str_at(const struct net_http_parser *p, size_t off, size_t n)
{
	struct net_http_str s = { p->base + off, n };

	return s;
}

struct net_http_str net_http_method_str(const struct net_http_parser *p)
{
	return str_at(p, p->start_off, p->m_len);
}

struct net_http_str net_http_target(const struct net_http_parser *p)
{
	return str_at(p, p->tgt_off, p->tgt_len);
}

struct net_http_str net_http_path(const struct net_http_parser *p)
{
	return str_at(p, p->tgt_off, p->path_len);
}

struct net_http_str net_http_query(const struct net_http_parser *p)
{
	struct net_http_str s = { NULL, 0 };

	if (!p->has_query)
		return s;
	return str_at(p, p->tgt_off + p->path_len + 1, p->tgt_len - p->path_len - 1);
}

struct net_http_str net_http_reason(const struct net_http_parser *p)
{
	return str_at(p, p->reason_off, p->reason_len);
}

int net_http_header_find(const struct net_http_parser *p, const char *name, unsigned from)
{
	size_t n = strlen(name);

	for (unsigned i = from; i < p->nhdrs; i++) {
		const struct net_http_hdr *h = &p->hdrs[i];

		if (h->name_len == n && ieq(p->base + h->name_off, name, n))
			return (int)i;
	}
	return -ENOENT;
}

struct net_http_str net_http_header_name(const struct net_http_parser *p, unsigned i)
{
	return str_at(p, p->hdrs[i].name_off, p->hdrs[i].name_len);
}

struct net_http_str net_http_header_value(const struct net_http_parser *p, unsigned i)
{
	return str_at(p, p->hdrs[i].value_off, p->hdrs[i].value_len);
}

struct net_http_str net_http_header(const struct net_http_parser *p, const char *name)
{
	struct net_http_str s = { NULL, 0 };
	int i = net_http_header_find(p, name, 0);

	return i < 0 ? s : net_http_header_value(p, (unsigned)i);
}

int net_http_str_u64(struct net_http_str s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s.p || !s.len)
		return -EINVAL;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(unsigned char)s.p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int net_http_header_u64(const struct net_http_parser *p, const char *name, uint64_t *out)
{
	struct net_http_str v = net_http_header(p, name);

	if (!v.p)
		return -ENOENT;
	return net_http_str_u64(v, out);
}

int net_http_param(struct net_http_str v, const char *key, struct net_http_str *out)
{
	size_t klen = strlen(key), i = 0;

	if (!v.p)
		return -ENOENT;
	while (i < v.len) {
		size_t b, e, eq;

		while (i < v.len && ows(v.p[i]))
			i++;
		b = i;
		while (i < v.len && v.p[i] != ';' && v.p[i] != ',')
			i++;
		e = i++;
		for (eq = b; eq < e && v.p[eq] != '='; eq++)
			;
		if (eq == e)
			continue;
		{
			size_t ke = eq, vb = eq + 1;

			while (ke > b && ows(v.p[ke - 1]))
				ke--;
			if (ke - b != klen || !ieq(v.p + b, key, klen))
				continue;
			while (vb < e && ows(v.p[vb]))
				vb++;
			while (e > vb && ows(v.p[e - 1]))
				e--;
			if (e - vb >= 2 && v.p[vb] == '"' && v.p[e - 1] == '"') {
				vb++;
				e--;
			}
			out->p = v.p + vb;
			out->len = e - vb;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- router --------------------------------------------------------------- */

int net_http_route(const struct net_http_route *routes, size_t n,
		   const struct net_http_parser *p)
{
	struct net_http_str path = net_http_path(p);
	bool path_seen = false;

	for (size_t i = 0; i < n; i++) {
		const struct net_http_route *r = &routes[i];
		size_t len = strlen(r->path);

		if (r->prefix ? path.len < len : path.len != len)
			continue;
		if (memcmp(path.p, r->path, len))
			continue;
		if (r->method == NET_HTTP_ANY ||
		    (r->method != NET_HTTP_OTHER && r->method == p->method))
			return (int)i;
		path_seen = true;
	}
	return path_seen ? -EOPNOTSUPP : -ENOENT;
}
