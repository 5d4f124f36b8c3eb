/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 codec without I/O (RFC 9110, RFC 9112), client and server roles.
 *
 *   parser   struct net_http_parser, one per connection and direction: reads
 *            responses (client) or requests (server) incrementally from the
 *            bytes the network layer received. Headers go to a fixed table
 *            of offsets; a Content-Length body is handed out in place (zero
 *            copy); a chunked body is de-chunked in place or into a caller
 *            buffer. Limits on header section, header count and body size.
 *   request  struct net_http_tmpl, made once at startup (method, path
 *            prefix, Host and other fixed headers), and struct net_http_req,
 *            which writes one request from it into a caller buffer: path
 *            suffix, query, extra headers, body, Content-Length. The bytes
 *            to sign can be read back before the request is finished.
 *   reply    struct net_http_reply: status line, headers, a Content-Length
 *            or a chunked body (server side: simulator, monitoring).
 *   router   net_http_route(): method + exact path or path prefix -> index.
 *
 * Nothing here allocates, locks, formats with printf or makes a syscall; all
 * storage is the caller's (structs and buffers). The template and parser
 * set-up functions are cold; the rest may run on the order path.
 *
 * Feeding the parser. Offsets, not pointers, are kept between calls, all
 * relative to the first byte of the message (buf[0] of the first call):
 *
 *   net_http_parser_init(&p, NET_HTTP_RESPONSE, NULL);
 *   on every arrival, with buf = every byte received since the message
 *   started (a buffer the caller may move between calls, contents kept):
 *       r = net_http_parse(&p, buf, len);
 *       NET_HTTP_AGAIN    need more bytes: keep all len bytes, call again
 *       NET_HTTP_DONE     message complete; it used p.msg_len bytes, any
 *                         after them belong to the next message
 *       NET_HTTP_UPGRADE  101 Switching Protocols (responses only): the
 *                         bytes after p.msg_len are the new protocol's
 *       < 0               -NET_HTTP_E_* protocol error (sticky; the
 *                         connection's framing is lost: close it), or
 *                         -EINVAL for a misuse (len shrank)
 *   on EOF:  net_http_parse_eof(&p, buf, len) ends a body read until close
 *            or reports the message as cut short.
 *   after DONE: handle the message, drop msg_len bytes, then
 *            net_http_parser_next(&p, flags) and parse what remains.
 *
 * Lines are scanned once however the input is split, and feeding one byte
 * at a time gives the same results as feeding the whole message.
 *
 * With libnet's loop (net.h): in on_data, parse the bytes handed in; on
 * NET_HTTP_AGAIN return 0 (the loop keeps them in the connection's staging
 * buffer and hands them out again, moved, with what follows); on DONE use
 * the message before returning (accessors point into the loop's buffer,
 * valid only during the call), then return p.msg_len, or call
 * net_http_parser_next and go on parsing the rest for pipelined messages.
 * The staging buffer must hold a whole message: max_hdr_bytes + max_body +
 * chunk framing. Keep-alive: after DONE, p.keep_alive false means close
 * the connection after this message (Connection: close, HTTP/1.0 without
 * keep-alive, or a body delimited by EOF); on_close with 0 is
 * net_http_parse_eof.
 *
 * Errors: functions return 0 (or a length) or -errno as elsewhere in kimp;
 * a protocol violation is a negative -NET_HTTP_E_* value, above the largest
 * errno (4095), so it never collides with a -errno status.
 */
#ifndef KIMP_HTTP_H
#define KIMP_HTTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/compiler.h"

/* A byte range owned by someone else: see each function for whom and how
 * long. p is NULL when the thing asked for is absent. */
struct net_http_str {
	const char *p;
	size_t len;
};

enum net_http_method {
	NET_HTTP_OTHER = 0,   /* a token we do not name: see net_http_method_str */
	NET_HTTP_GET,
	NET_HTTP_HEAD,
	NET_HTTP_POST,
	NET_HTTP_PUT,
	NET_HTTP_DELETE,
	NET_HTTP_PATCH,
	NET_HTTP_OPTIONS,
	NET_HTTP_CONNECT,
	NET_HTTP_TRACE,
	NET_HTTP_ANY,         /* router only: matches every method */
};

/* The method named by s[0..n) (exact case), NET_HTTP_OTHER if none. */
enum net_http_method net_http_method_parse(const char *s, size_t n);
/* "GET"...; "" for NET_HTTP_OTHER and NET_HTTP_ANY. Static storage. */
const char *net_http_method_name(enum net_http_method m);

/* ---- errors ------------------------------------------------------------ */

#define NET_HTTP_E_BASE 4096

/* Protocol errors, returned negated. net_http_err_status() gives the status
 * a server should answer with. */
enum net_http_err {
	NET_HTTP_E_START_LINE = NET_HTTP_E_BASE, /* malformed request/status line */
	NET_HTTP_E_METHOD,      /* request method is not a token */
	NET_HTTP_E_TARGET,      /* target not origin-form (or * for OPTIONS) */
	NET_HTTP_E_VERSION,     /* not HTTP/1.x (505) */
	NET_HTTP_E_STATUS,      /* status code not three digits, 100-999 */
	NET_HTTP_E_HDR_NAME,    /* no colon, empty name, non-token byte, or
				 * whitespace before the colon */
	NET_HTTP_E_HDR_VALUE,   /* control byte (CR, NUL, DEL...) in a value */
	NET_HTTP_E_OBS_FOLD,    /* a header line starting with SP or HTAB */
	NET_HTTP_E_URI_SIZE,    /* request line over max_hdr_bytes (414) */
	NET_HTTP_E_HDR_SIZE,    /* header section or trailers over
				 * max_hdr_bytes (431) */
	NET_HTTP_E_HDR_COUNT,   /* more header fields than max_hdrs (431) */
	NET_HTTP_E_CL,          /* Content-Length not digits, or over 10^18 */
	NET_HTTP_E_CL_CONFLICT, /* Content-Length values that differ */
	NET_HTTP_E_CL_TE,       /* both Content-Length and Transfer-Encoding */
	NET_HTTP_E_TE,          /* a transfer coding other than one "chunked"
				 * (501) */
	NET_HTTP_E_CHUNK_SIZE,  /* bad chunk-size line (no hex digit, junk after
				 * it, over 16 hex digits, longer than
				 * max_hdr_bytes) */
	NET_HTTP_E_CHUNK_END,   /* chunk data not followed by CRLF */
	NET_HTTP_E_TRAILER,     /* malformed trailer field */
	NET_HTTP_E_BODY_SIZE,   /* body over max_body, or over the de-chunk
				 * buffer (413) */
	NET_HTTP_E_CLOSED,      /* EOF before the first byte of a message */
	NET_HTTP_E_TRUNCATED,   /* EOF inside a message */
	NET_HTTP_E_END_
};

/* "START_LINE", "BODY_SIZE"... for err = NET_HTTP_E_* or -NET_HTTP_E_*;
 * strerror() text for a -errno. Static storage. Cold. */
const char *net_http_err_name(int err) kimp_cold;
/* The status a server answers a request with after error err (400, 413,
 * 414, 431, 501, 505); 400 for anything else. */
unsigned net_http_err_status(int err);

/* ---- parser ------------------------------------------------------------ */

#define NET_HTTP_MAX_HDRS     64        /* header table size in the parser */
#define NET_HTTP_HDR_BYTES_MAX (1u << 24)
#define NET_HTTP_BODY_MAX     (1ull << 40)

enum net_http_kind {
	NET_HTTP_RESPONSE = 0,  /* client side: parse responses */
	NET_HTTP_REQUEST = 1,   /* server side: parse requests */
};

/* Statuses of net_http_parse. */
enum {
	NET_HTTP_AGAIN = 0,
	NET_HTTP_DONE = 1,
	NET_HTTP_UPGRADE = 2,
};

/* Flags for net_http_parser_next: what the request this response answers
 * was. A response to HEAD has no body whatever its headers say. */
#define NET_HTTP_F_HEAD 0x1u

struct net_http_limits {
	/* Start line + header fields + the blank line, from the first byte
	 * given to the parser (interim 1xx responses and blank lines before a
	 * request count too). Also the limit for the trailer section and for
	 * one chunk-size line. 64 .. NET_HTTP_HDR_BYTES_MAX; default 8192. */
	uint32_t max_hdr_bytes;
	/* Header fields kept: 1 .. NET_HTTP_MAX_HDRS (the default). */
	uint32_t max_hdrs;
	/* Decoded body bytes: 0 .. NET_HTTP_BODY_MAX; default 1 MiB. */
	uint64_t max_body;
};

/* Default limits. */
void net_http_limits_default(struct net_http_limits *l);
/* Fill the fields of *l that are 0 with the defaults. */
void net_http_limits_fill(struct net_http_limits *l) kimp_cold;

/* One header field: offsets into the message buffer. */
struct net_http_hdr {
	uint32_t name_off;
	uint32_t value_off;
	uint32_t value_len;   /* without leading and trailing whitespace */
	uint32_t name_len;
};
KIMP_ASSERT_SIZE(struct net_http_hdr, 16);

/*
 * Parser state and results. Read the result fields after NET_HTTP_DONE (or
 * NET_HTTP_UPGRADE); the rest is private. About 1.2 KiB; caller storage.
 */
struct net_http_parser {
	/* ---- results ---- */
	int err;                 /* 0 or the sticky NET_HTTP_E_* */
	uint16_t status;         /* response: 200, 101... */
	uint8_t version;         /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and 1.x) */
	uint8_t method;          /* request: enum net_http_method */
	bool keep_alive;         /* the connection may carry another message */
	bool chunked;            /* the body came chunked */
	bool until_close;        /* response body delimited by EOF */
	bool has_content_length;
	bool upgrade;            /* request: Upgrade header + Connection: upgrade */
	bool expect_continue;    /* request: Expect: 100-continue */
	uint16_t interim;        /* response: 1xx responses skipped before it */
	uint64_t content_length; /* when has_content_length */
	uint64_t body_len;       /* decoded body bytes so far */
	size_t msg_len;          /* bytes the message used, after DONE */
	uint32_t nhdrs;
	struct net_http_hdr hdrs[NET_HTTP_MAX_HDRS];

	/* ---- private ---- */
	const char *base;        /* buffer of the last net_http_parse call */
	char *body_dst;          /* de-chunk target, or NULL for in place */
	size_t body_cap;
	struct net_http_limits lim;
	size_t pos;              /* bytes examined */
	size_t scan;             /* memchr resumes here within a line */
	size_t sect;             /* start of the trailer section */
	size_t body_off;
	uint64_t remain;         /* of the Content-Length body or chunk */
	uint32_t start_off, start_len; /* start line, for the accessors */
	uint32_t m_len;          /* method length (request) */
	uint32_t tgt_off, tgt_len, path_len; /* request target; path is its head */
	uint32_t reason_off, reason_len;
	uint8_t kind;
	uint8_t state;
	uint8_t flags;           /* NET_HTTP_F_* of this message */
	uint8_t conn;            /* Connection tokens seen */
	bool has_te;
	bool has_upgrade_hdr;
	bool has_query;
};

/*
 * Set up a parser for kind, with limits (NULL: defaults). 0, or -EINVAL for
 * limits out of range. The parser holds no pointer into anything after
 * this; it can be copied or moved between messages.
 */
int net_http_parser_init(struct net_http_parser *p, enum net_http_kind kind,
			 const struct net_http_limits *lim) kimp_cold;

/*
 * De-chunk bodies into dst (cap bytes) instead of in place; NULL puts them
 * back in place. A chunked body larger than cap is NET_HTTP_E_BODY_SIZE.
 * dst is the caller's and must outlive the parser's use of it. Bodies with
 * a Content-Length or read until close are never copied.
 */
void net_http_parser_body_buf(struct net_http_parser *p, void *dst, size_t cap);

/* Forget the message: ready for the next one on the same connection, with
 * flags NET_HTTP_F_* describing it. Keeps limits and the body buffer. */
void net_http_parser_next(struct net_http_parser *p, unsigned flags);

/*
 * Parse buf[0..len): the whole message so far, from its first byte, len
 * never smaller than in the previous call. Returns NET_HTTP_AGAIN,
 * NET_HTTP_DONE, NET_HTTP_UPGRADE, -NET_HTTP_E_* or -EINVAL (see the top of
 * this file). Once DONE or failed, it returns the same again until
 * net_http_parser_next().
 *
 * Writes to buf only when de-chunking in place: chunk data is moved down
 * over the chunk framing, so buf[body..body+body_len) is the decoded body
 * and bytes from there to msg_len are junk. Bytes at and after the parse
 * position are never written, so the caller may append while a message is
 * in progress.
 */
int net_http_parse(struct net_http_parser *p, void *buf, size_t len);

/*
 * The peer closed after buf[0..len). Parses what is new, then: NET_HTTP_DONE
 * for a body read until close (keep_alive false), the same result as before
 * for a finished message, -NET_HTTP_E_CLOSED when no byte of this message
 * arrived (an idle keep-alive connection closed: a request sent on it may
 * be retried if idempotent), else -NET_HTTP_E_TRUNCATED.
 */
int net_http_parse_eof(struct net_http_parser *p, void *buf, size_t len);

/*
 * Accessors. They point into the buffer given to the last net_http_parse
 * call (or into the de-chunk buffer for a chunked body). Valid while those
 * bytes stay where they are: until the caller moves, overwrites or frees
 * them (a network layer that hands out its receive buffer only for the
 * duration of a callback ends them with the callback), or calls
 * net_http_parser_next.
 */

/* The body: after DONE the whole body; .p NULL when there is none. */
static inline struct net_http_str net_http_body(const struct net_http_parser *p)
{
	struct net_http_str s = { NULL, 0 };

	if (!p->body_len)
		return s;
	s.p = p->chunked && p->body_dst ? p->body_dst : p->base + p->body_off;
	s.len = p->body_len;
	return s;
}

/* Request: the method as sent ("GET", "MKCOL"). */
struct net_http_str net_http_method_str(const struct net_http_parser *p);
/* Request: the whole target ("/api/v3/order?symbol=X"). */
struct net_http_str net_http_target(const struct net_http_parser *p);
/* Request: the target up to '?' (not decoded). */
struct net_http_str net_http_path(const struct net_http_parser *p);
/* Request: after '?' (may be empty); .p NULL when there is no '?'. */
struct net_http_str net_http_query(const struct net_http_parser *p);
/* Response: the reason phrase (may be empty). */
struct net_http_str net_http_reason(const struct net_http_parser *p);

/* First header field named name (any case); .p NULL when absent. The value
 * is without surrounding whitespace. */
struct net_http_str net_http_header(const struct net_http_parser *p, const char *name);
/* Index of the first field named name at index from or later, or -ENOENT. */
int net_http_header_find(const struct net_http_parser *p, const char *name, unsigned from);
/* Field i (< p->nhdrs), in arrival order. */
struct net_http_str net_http_header_name(const struct net_http_parser *p, unsigned i);
struct net_http_str net_http_header_value(const struct net_http_parser *p, unsigned i);
/*
 * The first field named name as a decimal integer ("X-MBX-USED-WEIGHT-1M:
 * 12", "Retry-After: 3"): 0, -ENOENT when absent, -EINVAL when not plain
 * digits (e.g. a Retry-After HTTP-date) or over UINT64_MAX.
 */
int net_http_header_u64(const struct net_http_parser *p, const char *name, uint64_t *out);

/* s as a decimal integer: 0, or -EINVAL (empty, non-digit, overflow). */
int net_http_str_u64(struct net_http_str s, uint64_t *out);
/*
 * In a "k=v; k=v" or "k=v, k=v" value (Upbit "Remaining-Req: group=order;
 * min=59; sec=7"), the value of key (any case), without surrounding
 * whitespace or double quotes (escapes are not undone): 0 and *out
 * pointing into v, or -ENOENT.
 */
int net_http_param(struct net_http_str v, const char *key, struct net_http_str *out);

/* ---- router (server side) ---------------------------------------------- */

struct net_http_route {
	const char *path;   /* exact path, or prefix when prefix is true */
	uint8_t method;     /* enum net_http_method, or NET_HTTP_ANY */
	bool prefix;
};

/*
 * The index of the first route matching a parsed request's method and path
 * (the path without its query), -ENOENT when no route has that path (404),
 * -EOPNOTSUPP when one has it but not for this method (405).
 */
int net_http_route(const struct net_http_route *routes, size_t n,
		   const struct net_http_parser *p);

/* ---- request templates and the request builder (client side) ----------- */

#define NET_HTTP_TMPL_LINE_MAX 256    /* method SP path-prefix */
#define NET_HTTP_TMPL_HDRS_MAX 1024   /* " HTTP/1.1" CRLF + fixed header lines */
#define NET_HTTP_BODY_STAGE    2048   /* default body staging for POST/PUT/PATCH */

/*
 * The fixed part of one kind of request, made at startup and read-only
 * afterwards (share it freely between threads). Holds copies of everything
 * given to it; no pointers.
 */
struct net_http_tmpl {
	uint32_t line_len;        /* bytes of line[] */
	uint32_t hdrs_len;        /* bytes of hdrs[] */
	uint32_t body_stage;      /* body staging bytes at the end of the buffer */
	uint32_t method_len;      /* the target starts at method_len + 1 */
	uint32_t query_off;       /* in line[]: after a '?' in the prefix, or 0 */
	uint8_t method;           /* enum net_http_method */
	bool always_cl;           /* send Content-Length: 0 without a body */
	char line[NET_HTTP_TMPL_LINE_MAX];
	char hdrs[NET_HTTP_TMPL_HDRS_MAX];
};

/*
 * A template for 'method path_prefix' to 'host' (the Host header value,
 * with ":port" when not the default). POST, PUT and PATCH always carry a
 * Content-Length and stage up to NET_HTTP_BODY_STAGE body bytes; other
 * methods stage none unless net_http_tmpl_body_stage says so. 0, -EINVAL
 * (method not a token, prefix not starting with '/' or with a byte outside
 * 0x21-0x7e, host empty or with a control byte), -ENOSPC (too long). Cold.
 */
int net_http_tmpl_init(struct net_http_tmpl *t, const char *method,
		       const char *path_prefix, const char *host) kimp_cold;
/*
 * Add a fixed header (User-Agent, Content-Type, X-MBX-APIKEY, Accept...),
 * sent in the order added, after Host. 0, -EINVAL (name not a token, CR,
 * LF or another control byte in value), -ENOSPC. Cold.
 */
int net_http_tmpl_header(struct net_http_tmpl *t, const char *name,
			 const char *value) kimp_cold;
/* Body staging size for requests from t. 0 or -EINVAL (over 1 GiB). Cold. */
int net_http_tmpl_body_stage(struct net_http_tmpl *t, size_t bytes) kimp_cold;

/*
 * One request being written into the caller's buffer. The head (request
 * line, headers) grows from the start of the buffer; the body is staged in
 * the last tmpl->body_stage bytes and moved down once, right behind the
 * head, by net_http_req_finish. So the parts may be written in any order
 * that suits signing: query, then body, then signature headers.
 *
 *   net_http_req_start(&r, &tmpl, buf, sizeof(buf));   "POST /api/v3/order"
 *   net_http_req_put(&r, "/123", 4);     more path, while no query started
 *   net_http_req_param(&r, "symbol");    "?symbol=" (then "&k=")
 *   net_http_req_put_str(&r, "BTCUSDT"); values: put, put_u64, put_fixed...
 *   net_http_req_body(&r);               switch to the body: put, param
 *                                        ("k=" then "&k=") write there
 *   sig = HMAC(net_http_req_query(&r) or net_http_req_body_str(&r))
 *   net_http_req_param(&r, "signature"); net_http_req_put_hex(&r, sig, 32);
 *   net_http_req_hdr(&r, "X-BAPI-SIGN"); net_http_req_put_hex(...);
 *   n = net_http_req_finish(&r);         buf[0..n) is the request
 *
 * Sections: after start the cursor is in the target; net_http_req_hdr ends
 * the target (" HTTP/1.1" and the template's headers) and starts a header
 * line; net_http_req_body moves the cursor to the body; a later
 * net_http_req_hdr moves it back to the head. Bytes are written verbatim:
 * the caller keeps SP, CR, LF out of the target and CR, LF out of header
 * values (net_http_req_put_pct escapes).
 *
 * Overflow of either part is sticky: later writes are dropped and finish
 * returns -ENOBUFS. Misuse (param inside a header) is a sticky -EINVAL.
 */
struct net_http_req {
	char *pos;              /* cursor of the current part */
	char *end;              /* end of the current part */
	char *buf;
	char *head_pos;         /* saved head cursor while in the body */
	char *body0;            /* staging area: body0 .. bufend */
	char *body_pos;         /* saved body cursor while in the head */
	char *bufend;
	const struct net_http_tmpl *t;
	uint32_t query_off;     /* '?' + 1, or 0 without a query */
	uint32_t target_end;    /* offset of the end of the target once closed */
	int err;
	uint8_t part;           /* private: target, header, body */
	bool in_body;
	bool used_body;
};

/* Begin a request from t in buf[0..cap). 0, or -ENOBUFS when cap cannot
 * hold the template and its body staging. The bytes are the caller's. */
int net_http_req_start(struct net_http_req *r, const struct net_http_tmpl *t,
		       void *buf, size_t cap);

/* Append n raw bytes (s not NULL) to the current part. */
static inline void net_http_req_put(struct net_http_req *r, const void *s, size_t n)
{
	if (kimp_unlikely(n > (size_t)(r->end - r->pos))) {
		r->err = -ENOBUFS;
		return;
	}
	memcpy(r->pos, s, n);
	r->pos += n;
}

static inline void net_http_req_put_str(struct net_http_req *r, const char *s)
{
	net_http_req_put(r, s, strlen(s));
}

/* Decimal integers; a fixed-point value v / 10^scale (scale <= 18) as the
 * shortest decimal ("0.1" for 10000000 at scale 8, "-2" for -200 at 2). */
void net_http_req_put_u64(struct net_http_req *r, uint64_t v);
void net_http_req_put_i64(struct net_http_req *r, int64_t v);
void net_http_req_put_fixed(struct net_http_req *r, int64_t v, unsigned scale);
/* Lower-case hex of n bytes (an HMAC written straight into the request). */
void net_http_req_put_hex(struct net_http_req *r, const void *bytes, size_t n);
/* Percent-encode everything but ALPHA DIGIT - . _ ~ (RFC 3986 unreserved). */
void net_http_req_put_pct(struct net_http_req *r, const void *s, size_t n);
/* Room for n bytes in the current part, to fill in place (base64 of a
 * signature); NULL on overflow (sticky -ENOBUFS). */
char *net_http_req_reserve(struct net_http_req *r, size_t n);

/* Query or form parameter "key=": in the target '?' first and '&' after;
 * in the body '&' before every one but the first. */
void net_http_req_param_n(struct net_http_req *r, const char *key, size_t klen);
static inline void net_http_req_param(struct net_http_req *r, const char *key)
{
	net_http_req_param_n(r, key, strlen(key));
}

/* Start a header line "name: "; its value is what is put next. */
void net_http_req_hdr_n(struct net_http_req *r, const char *name, size_t nlen);
static inline void net_http_req_hdr(struct net_http_req *r, const char *name)
{
	net_http_req_hdr_n(r, name, strlen(name));
}

/* Move the cursor to the body. */
void net_http_req_body(struct net_http_req *r);

/* What has been written so far, for signing; pointers into the caller's
 * buffer, valid until finish moves the body (the target and query stay). */
struct net_http_str net_http_req_target(const struct net_http_req *r);
/* After '?': .p NULL without a query. */
struct net_http_str net_http_req_query(const struct net_http_req *r);
struct net_http_str net_http_req_body_str(const struct net_http_req *r);

/* End the request: request line and header block completed, Content-Length
 * written, the body moved behind the head. The request length (> 0), or
 * the sticky -ENOBUFS / -EINVAL. */
int net_http_req_finish(struct net_http_req *r);

/* ---- replies (server side) --------------------------------------------- */

#define NET_HTTP_R_CLOSE 0x1u   /* send Connection: close */
#define NET_HTTP_R_HTTP10 0x2u  /* status line says HTTP/1.0 */

/*
 * A response written into the caller's buffer:
 *
 *   net_http_reply_start(&w, buf, cap, 200, 0);
 *   net_http_reply_header(&w, "Content-Type", "application/json");
 *   n = net_http_reply_body(&w, json, len);          Content-Length body
 * or
 *   net_http_reply_chunked(&w);                     Transfer-Encoding
 *   net_http_reply_chunk(&w, part, len); ...        as many as wanted
 *   n = net_http_reply_end(&w);                     last chunk
 *
 * Between chunks the caller may send net_http_reply_len() bytes and
 * net_http_reply_rewind() to reuse the buffer. Returns are the bytes in the
 * buffer (> 0) or the sticky -ENOBUFS / -EINVAL.
 */
struct net_http_reply {
	char *buf;
	char *pos;
	char *end;
	int err;
	uint16_t status;
	uint8_t flags;   /* NET_HTTP_R_* */
	uint8_t state;   /* private: headers, body, chunking, ended */
};

/* Status line for status (100..999) with its standard reason phrase. 0,
 * -EINVAL or -ENOBUFS. */
int net_http_reply_start(struct net_http_reply *w, void *buf, size_t cap,
			 unsigned status, unsigned flags);
/* A header line, written verbatim (keep CR and LF out of it). */
void net_http_reply_header_n(struct net_http_reply *w, const char *name, size_t nlen,
			     const char *value, size_t vlen);
static inline void net_http_reply_header(struct net_http_reply *w, const char *name,
					 const char *value)
{
	net_http_reply_header_n(w, name, strlen(name), value, strlen(value));
}
void net_http_reply_header_u64(struct net_http_reply *w, const char *name, uint64_t v);
/* Content-Length and the body (none and no Content-Length for 1xx, 204;
 * for 304 the body must be empty). */
int net_http_reply_body(struct net_http_reply *w, const void *body, size_t len);
/* To build the body in place: where to write it and *avail bytes of room;
 * then net_http_reply_body_end(w, n) with the length. NULL on overflow. */
char *net_http_reply_body_begin(struct net_http_reply *w, size_t *avail);
int net_http_reply_body_end(struct net_http_reply *w, size_t n);
/* Headers for a HEAD request: Content-Length len, no body. */
int net_http_reply_head(struct net_http_reply *w, uint64_t len);
int net_http_reply_chunked(struct net_http_reply *w);
int net_http_reply_chunk(struct net_http_reply *w, const void *data, size_t len);
int net_http_reply_end(struct net_http_reply *w);

static inline size_t net_http_reply_len(const struct net_http_reply *w)
{
	return (size_t)(w->pos - w->buf);
}

static inline void net_http_reply_rewind(struct net_http_reply *w)
{
	w->pos = w->buf;
}

/* ---- number formatting -------------------------------------------------- */

/* Decimal of v at dst (room for 20 bytes); returns the bytes written. */
size_t net_http_fmt_u64(char *dst, uint64_t v);

#endif
