/* SPDX-License-Identifier: MIT */
/*
 * WebSocket opening handshake (RFC 6455 section 4) as HTTP/1.1 text: the
 * client's request and its check of the response, the server's parse of a
 * request and its answer. No I/O, no allocation; cold code.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/coding.h>
#include "kimp/ws.h"

#define WS_GUID     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_GUID_LEN (sizeof(WS_GUID) - 1)
#define WS_KEY_MAX  64

KIMP_STATIC_ASSERT(WS_GUID_LEN == 36, "RFC 6455 GUID");
KIMP_STATIC_ASSERT(WC_SHA_DIGEST_SIZE == 20, "SHA-1 digest");
KIMP_STATIC_ASSERT(WS_ACCEPT_LEN == (WC_SHA_DIGEST_SIZE + 2) / 3 * 4, "accept length");
KIMP_STATIC_ASSERT(WS_KEY_LEN == (16 + 2) / 3 * 4, "key length");

const char *ws_hs_fail_str(enum ws_hs_fail f)
{
	static const char *const names[] = {
		[WS_HS_OK] = "ok",
		[WS_HS_MALFORMED] = "malformed HTTP head",
		[WS_HS_TOO_LONG] = "HTTP head too long",
		[WS_HS_STATUS] = "status not 101",
		[WS_HS_METHOD] = "method not GET",
		[WS_HS_HTTP_VERSION] = "HTTP version below 1.1",
		[WS_HS_HOST] = "Host missing or repeated",
		[WS_HS_UPGRADE] = "Upgrade not websocket",
		[WS_HS_CONNECTION] = "Connection without upgrade",
		[WS_HS_WS_VERSION] = "Sec-WebSocket-Version not 13",
		[WS_HS_KEY] = "bad Sec-WebSocket-Key",
		[WS_HS_ACCEPT] = "bad Sec-WebSocket-Accept",
		[WS_HS_EXTENSION] = "extension not offered",
		[WS_HS_PROTOCOL] = "subprotocol not offered",
	};

	if ((unsigned)f < KIMP_ARRAY_SIZE(names) && names[f])
		return names[f];
	return "unknown";
}

/* ---- keys ---------------------------------------------------------------------- */

int ws_hs_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1])
{
	byte in[WS_KEY_MAX + WS_GUID_LEN];
	byte digest[WC_SHA_DIGEST_SIZE];
	word32 olen = WS_ACCEPT_LEN + 1;

	if (!key_len || key_len > WS_KEY_MAX)
		return -EINVAL;
	memcpy(in, key, key_len);
	memcpy(in + key_len, WS_GUID, WS_GUID_LEN);
	if (wc_ShaHash(in, (word32)(key_len + WS_GUID_LEN), digest) != 0)
		return -EIO;
	/* _NoNl: plain Base64_Encode appends a newline (infra-notes 3.5) */
	if (Base64_Encode_NoNl(digest, sizeof(digest), (byte *)accept, &olen) != 0 ||
	    olen != WS_ACCEPT_LEN)
		return -EIO;
	accept[WS_ACCEPT_LEN] = '\0';
	return 0;
}

int ws_hs_client_key(char key[WS_KEY_LEN + 1])
{
	byte raw[16];
	word32 olen = WS_KEY_LEN + 1;
	ssize_t n;

	do
		n = getrandom(raw, sizeof(raw), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(raw))
		return -EIO;
	if (Base64_Encode_NoNl(raw, sizeof(raw), (byte *)key, &olen) != 0 || olen != WS_KEY_LEN)
		return -EIO;
	key[WS_KEY_LEN] = '\0';
	return 0;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* 24 characters that decode to exactly 16 bytes: 22 symbols and "==". */
static bool key_ok(const char *k, size_t n)
{
	byte raw[18];
	word32 rlen = sizeof(raw);

	if (n != WS_KEY_LEN || k[22] != '=' || k[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!b64_char(k[i]))
			return false;
	return Base64_Decode((const byte *)k, (word32)n, raw, &rlen) == 0 && rlen == 16;
}

/* ---- text helpers ------------------------------------------------------------------ */

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* a[0..n) equals the literal 'lit', ASCII case ignored */
static bool ieq(const char *a, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || lower(a[i]) != lower(lit[i]))
			return false;
	return lit[i] == '\0';
}

static inline bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * Does the comma-separated list v[0..n) hold 'tok'? Elements are trimmed of
 * OWS; 'icase' compares ASCII case-insensitively (header tokens), else
 * exactly (subprotocol names).
 */
static bool list_has(const char *v, size_t n, const char *tok, size_t tlen, bool icase)
{
	size_t i = 0;

	while (i <= n) {
		size_t s = i, e;

		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (s < e && is_ows(v[s]))
			s++;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e - s == tlen) {
			if (icase) {
				size_t k = 0;

				while (k < tlen && lower(v[s + k]) == lower(tok[k]))
					k++;
				if (k == tlen)
					return true;
			} else if (!memcmp(v + s, tok, tlen)) {
				return true;
			}
		}
		i++; /* past the comma (or the end) */
	}
	return false;
}

/* ---- HTTP head ---------------------------------------------------------------------- */

/*
 * Length of the head in p[0..len) through its CRLFCRLF; 0 when incomplete.
 * A bare CR or LF or a NUL sets *fail to MALFORMED; no end within WS_HS_MAX
 * bytes sets TOO_LONG (both return 0 as well).
 */
static size_t head_len(const char *p, size_t len, enum ws_hs_fail *fail)
{
	size_t lim = len < WS_HS_MAX ? len : WS_HS_MAX;

	*fail = WS_HS_OK;
	for (size_t i = 0; i < lim; i++) {
		char c = p[i];

		if (c == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				goto malformed;
			if (i >= 3 && p[i - 2] == '\n')
				return i + 1;
		} else if (i && p[i - 1] == '\r') {
			goto malformed;
		} else if (c == '\0') {
			goto malformed;
		}
	}
	if (len >= WS_HS_MAX)
		*fail = WS_HS_TOO_LONG;
	return 0;
malformed:
	*fail = WS_HS_MALFORMED;
	return 0;
}

/* A cursor over the CRLF-terminated lines of a complete head. */
struct lines {
	const char *p;
	size_t len, off;
};

/* Next line (without CRLF) into *l, *n; false at the end of the head. */
static bool next_line(struct lines *ls, const char **l, size_t *n)
{
	const char *s = ls->p + ls->off;
	const char *e;

	if (ls->off >= ls->len)
		return false;
	e = memchr(s, '\r', ls->len - ls->off); /* head_len made every CR a CRLF */
	if (!e)
		return false;
	*l = s;
	*n = (size_t)(e - s);
	ls->off += *n + 2;
	return true;
}

struct hdr {
	const char *name, *val;
	size_t nlen, vlen;
};

/* Split "Name: value" (RFC 7230 section 3.2); false if malformed. */
static bool parse_hdr(const char *l, size_t n, struct hdr *h)
{
	const char *colon = memchr(l, ':', n);
	size_t vs, ve;

	if (!colon || colon == l)
		return false;
	h->name = l;
	h->nlen = (size_t)(colon - l);
	for (size_t i = 0; i < h->nlen; i++)
		if (!is_tchar(l[i]))
			return false; /* also refuses obs-fold and space before ':' */
	vs = h->nlen + 1;
	ve = n;
	while (vs < ve && is_ows(l[vs]))
		vs++;
	while (ve > vs && is_ows(l[ve - 1]))
		ve--;
	for (size_t i = vs; i < ve; i++) {
		unsigned char c = (unsigned char)l[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	h->val = l + vs;
	h->vlen = ve - vs;
	return true;
}

/*
 * "HTTP/1.x" at v[0..n): 1 for x >= 1, 0 for HTTP/1.0 or another major
 * version, -1 when it is not an HTTP version at all.
 */
static int http11(const char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return -1;
	return v[5] == '1' && v[7] >= '1';
}

/* ---- output -------------------------------------------------------------------------- */

struct sb {
	char *p;
	size_t cap, len;
	bool over;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->over || b->cap - b->len < n) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static ssize_t sb_done(const struct sb *b)
{
	return b->over ? -ENOBUFS : (ssize_t)b->len;
}

/* A header value we write: no controls (so no CR/LF injection), not empty. */
static bool value_ok(const char *s, bool allow_space)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
			return false;
	}
	return true;
}

/*
 * Extra header lines: each "Name: value\r\n" with a token name, no bare CR
 * or LF, and never Sec-WebSocket-Extensions (we offer no extension).
 */
static bool extra_ok(const char *x)
{
	size_t n = strlen(x);
	struct lines ls = { .p = x, .len = n, .off = 0 };
	const char *l;
	size_t ll;
	struct hdr h;

	if (!n)
		return true;
	if (n < 2 || x[n - 2] != '\r' || x[n - 1] != '\n')
		return false;
	/* every CR starts a CRLF and every LF ends one */
	for (size_t i = 0; i < n; i++) {
		if (x[i] == '\n' && (i == 0 || x[i - 1] != '\r'))
			return false;
		if (x[i] == '\r' && x[i + 1] != '\n')
			return false;
	}
	while (next_line(&ls, &l, &ll)) {
		if (!ll || !parse_hdr(l, ll, &h))
			return false;
		if (ieq(h.name, h.nlen, "sec-websocket-extensions"))
			return false;
	}
	return true;
}

/* ---- client ----------------------------------------------------------------------------- */

ssize_t ws_hs_client_request(char *out, size_t cap, const struct ws_hs_client_req *r)
{
	struct sb b = { .p = out, .cap = cap };

	if (!value_ok(r->host, false) || !value_ok(r->path, false) || r->path[0] != '/' ||
	    !r->key || !key_ok(r->key, strlen(r->key)) ||
	    (r->protocols && !value_ok(r->protocols, true)) || (r->extra && !extra_ok(r->extra)))
		return -EINVAL;

	sb_str(&b, "GET ");
	sb_str(&b, r->path);
	sb_str(&b, " HTTP/1.1\r\nHost: ");
	sb_str(&b, r->host);
	sb_str(&b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
	sb_str(&b, r->key);
	sb_str(&b, "\r\nSec-WebSocket-Version: 13\r\n");
	if (r->protocols) {
		sb_str(&b, "Sec-WebSocket-Protocol: ");
		sb_str(&b, r->protocols);
		sb_str(&b, "\r\n");
	}
	if (r->extra)
		sb_str(&b, r->extra);
	sb_str(&b, "\r\n");
	return sb_done(&b);
}

ssize_t ws_hs_client_check(const char *resp, size_t len, const char *key, const char *protocols,
			   struct ws_hs_response *out)
{
	char want[WS_ACCEPT_LEN + 1];
	struct lines ls;
	const char *l, *sp;
	size_t n, hl;
	unsigned n_accept = 0, n_proto = 0, status = 0;
	bool upgrade = false, connection = false, accept_ok = false, ext = false;
	struct hdr h;

	memset(out, 0, sizeof(*out));
	if (!key || strlen(key) != WS_KEY_LEN || ws_hs_accept(key, WS_KEY_LEN, want))
		return -EINVAL;
	hl = head_len(resp, len, &out->fail);
	if (!hl)
		return out->fail ? -EPROTO : 0;
	ls = (struct lines){ .p = resp, .len = hl, .off = 0 };

	/* status line: HTTP/1.1 SP 3DIGIT [SP reason] */
	if (!next_line(&ls, &l, &n) || n < 12 || !(sp = memchr(l, ' ', n)))
		goto malformed;
	switch (http11(l, (size_t)(sp - l))) {
	case 1:
		break;
	case 0:
		out->fail = WS_HS_HTTP_VERSION;
		return -EPROTO;
	default:
		goto malformed;
	}
	if (l + n - sp < 4 || (l + n - sp > 4 && sp[4] != ' '))
		goto malformed;
	for (int i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			goto malformed;
		status = status * 10 + (unsigned)(sp[i] - '0');
	}
	out->status = status;

	while (next_line(&ls, &l, &n) && n) {
		if (!parse_hdr(l, n, &h))
			goto malformed;
		if (ieq(h.name, h.nlen, "upgrade")) {
			upgrade |= list_has(h.val, h.vlen, "websocket", 9, true);
		} else if (ieq(h.name, h.nlen, "connection")) {
			connection |= list_has(h.val, h.vlen, "upgrade", 7, true);
		} else if (ieq(h.name, h.nlen, "sec-websocket-accept")) {
			n_accept++;
			accept_ok = h.vlen == WS_ACCEPT_LEN && !memcmp(h.val, want, WS_ACCEPT_LEN);
		} else if (ieq(h.name, h.nlen, "sec-websocket-extensions")) {
			ext |= h.vlen > 0;
		} else if (ieq(h.name, h.nlen, "sec-websocket-protocol")) {
			n_proto++;
			out->protocol = h.val;
			out->protocol_len = h.vlen;
		}
	}

	if (out->status != 101)
		out->fail = WS_HS_STATUS;
	else if (!upgrade)
		out->fail = WS_HS_UPGRADE;
	else if (!connection)
		out->fail = WS_HS_CONNECTION;
	else if (n_accept != 1 || !accept_ok)
		out->fail = WS_HS_ACCEPT;
	else if (ext)
		out->fail = WS_HS_EXTENSION;
	else if (n_proto > 1 ||
		 (n_proto == 1 && (!protocols || !out->protocol_len ||
				   !list_has(protocols, strlen(protocols), out->protocol,
					     out->protocol_len, false))))
		out->fail = WS_HS_PROTOCOL;
	if (out->fail) {
		out->protocol = NULL;
		out->protocol_len = 0;
		return -EPROTO;
	}
	return (ssize_t)hl;
malformed:
	out->fail = WS_HS_MALFORMED;
	return -EPROTO;
}

/* ---- server ------------------------------------------------------------------------------ */

ssize_t ws_hs_server_parse(const char *req, size_t len, struct ws_hs_request *out)
{
	struct lines ls;
	const char *l, *sp1, *sp2;
	size_t n, hl;
	unsigned n_host = 0, n_key = 0, n_version = 0;
	bool upgrade = false, connection = false, version_ok = false;
	struct hdr h;

	memset(out, 0, sizeof(*out));
	hl = head_len(req, len, &out->fail);
	if (!hl) {
		if (!out->fail)
			return 0;
		out->reject_status = 400;
		return -EPROTO;
	}
	ls = (struct lines){ .p = req, .len = hl, .off = 0 };

	/* request line: method SP origin-form SP HTTP/1.1 */
	if (!next_line(&ls, &l, &n) || !(sp1 = memchr(l, ' ', n)) ||
	    !(sp2 = memchr(sp1 + 1, ' ', (size_t)(l + n - sp1 - 1))) ||
	    memchr(sp2 + 1, ' ', (size_t)(l + n - sp2 - 1)))
		goto malformed;
	out->path = sp1 + 1;
	out->path_len = (size_t)(sp2 - sp1 - 1);
	if (!out->path_len || out->path[0] != '/')
		goto malformed;
	for (size_t i = 0; i < out->path_len; i++)
		if ((unsigned char)out->path[i] <= 0x20 || out->path[i] == 0x7f)
			goto malformed;
	switch (http11(sp2 + 1, (size_t)(l + n - sp2 - 1))) {
	case 1:
		break;
	case 0:
		out->fail = WS_HS_HTTP_VERSION;
		goto reject;
	default:
		goto malformed;
	}
	if (sp1 - l != 3 || memcmp(l, "GET", 3)) {
		out->fail = WS_HS_METHOD;
		goto reject;
	}

	while (next_line(&ls, &l, &n) && n) {
		if (!parse_hdr(l, n, &h))
			goto malformed;
		if (ieq(h.name, h.nlen, "host")) {
			n_host++;
			out->host = h.val;
			out->host_len = h.vlen;
		} else if (ieq(h.name, h.nlen, "upgrade")) {
			upgrade |= list_has(h.val, h.vlen, "websocket", 9, true);
		} else if (ieq(h.name, h.nlen, "connection")) {
			connection |= list_has(h.val, h.vlen, "upgrade", 7, true);
		} else if (ieq(h.name, h.nlen, "sec-websocket-version")) {
			n_version++;
			version_ok = h.vlen == 2 && !memcmp(h.val, "13", 2);
		} else if (ieq(h.name, h.nlen, "sec-websocket-key")) {
			n_key++;
			out->key = h.val;
			if (!key_ok(h.val, h.vlen))
				out->key = NULL;
		} else if (ieq(h.name, h.nlen, "sec-websocket-protocol")) {
			if (!out->protocols && h.vlen) { /* the first offer only */
				out->protocols = h.val;
				out->protocols_len = h.vlen;
			}
		} else if (ieq(h.name, h.nlen, "sec-websocket-extensions")) {
			out->extensions = true;
		}
	}

	if (n_host != 1 || !out->host_len)
		out->fail = WS_HS_HOST;
	else if (!upgrade)
		out->fail = WS_HS_UPGRADE;
	else if (!connection)
		out->fail = WS_HS_CONNECTION;
	else if (n_version != 1 || !version_ok)
		out->fail = WS_HS_WS_VERSION;
	else if (n_key != 1 || !out->key)
		out->fail = WS_HS_KEY;
	if (out->fail)
		goto reject;
	return (ssize_t)hl;
malformed:
	out->fail = WS_HS_MALFORMED;
reject:
	out->reject_status = out->fail == WS_HS_WS_VERSION ? 426 : 400;
	return -EPROTO;
}

ssize_t ws_hs_server_accept(char *out, size_t cap, const struct ws_hs_request *req,
			    const char *protocol)
{
	struct sb b = { .p = out, .cap = cap };
	char accept[WS_ACCEPT_LEN + 1];

	if (req->fail || !req->key)
		return -EINVAL;
	if (protocol && (!*protocol || !req->protocols ||
			 !list_has(req->protocols, req->protocols_len, protocol,
				   strlen(protocol), false)))
		return -EINVAL;
	if (ws_hs_accept(req->key, WS_KEY_LEN, accept))
		return -EIO;
	sb_str(&b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		   "Connection: Upgrade\r\nSec-WebSocket-Accept: ");
	sb_str(&b, accept);
	sb_str(&b, "\r\n");
	if (protocol) {
		sb_str(&b, "Sec-WebSocket-Protocol: ");
		sb_str(&b, protocol);
		sb_str(&b, "\r\n");
	}
	sb_str(&b, "\r\n");
	return sb_done(&b);
}

ssize_t ws_hs_server_reject(char *out, size_t cap, unsigned status, const char *body)
{
	static const struct { unsigned status; const char *line; } lines[] = {
		{ 400, "HTTP/1.1 400 Bad Request\r\n" },
		{ 401, "HTTP/1.1 401 Unauthorized\r\n" },
		{ 403, "HTTP/1.1 403 Forbidden\r\n" },
		{ 404, "HTTP/1.1 404 Not Found\r\n" },
		{ 426, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n" },
		{ 429, "HTTP/1.1 429 Too Many Requests\r\n" },
		{ 500, "HTTP/1.1 500 Internal Server Error\r\n" },
		{ 503, "HTTP/1.1 503 Service Unavailable\r\n" },
	};
	struct sb b = { .p = out, .cap = cap };
	const char *line = NULL;
	char num[24];
	size_t blen = body ? strlen(body) : 0;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (lines[i].status == status)
			line = lines[i].line;
	if (!line)
		return -EINVAL;
	sb_str(&b, line);
	if (blen)
		sb_str(&b, "Content-Type: application/json;charset=UTF-8\r\n");
	snprintf(num, sizeof(num), "%zu", blen);
	sb_str(&b, "Connection: close\r\nContent-Length: ");
	sb_str(&b, num);
	sb_str(&b, "\r\n\r\n");
	if (blen)
		sb_put(&b, body, blen);
	return sb_done(&b);
}

bool ws_hs_header(const char *head, size_t len, const char *name, const char **val,
		  size_t *vlen)
{
	struct lines ls = { .p = head, .len = len, .off = 0 };
	const char *l;
	size_t n;
	struct hdr h;

	if (!next_line(&ls, &l, &n)) /* the start line */
		return false;
	while (next_line(&ls, &l, &n) && n) {
		if (!parse_hdr(l, n, &h))
			continue;
		if (ieq(h.name, h.nlen, name)) {
			*val = h.val;
			*vlen = h.vlen;
			return true;
		}
	}
	return false;
}
