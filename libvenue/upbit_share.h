/* SPDX-License-Identifier: MIT */
/*
 * What libvenue/upbit.c and upbit_ord.c lend to venues that speak Upbit's
 * protocol (Bithumb's v1/v2 API mirrors it: shared/docs/venues/
 * exchanges-kr.md section 2). Private to libvenue.
 *
 * Market data (upbit.c): the QUOTE-BASE symbol rule, the one-request-array
 * subscribe, and the decoder of orderbook / trade / ticker / status /
 * error messages, run with a struct ub_flavour that says which venue the
 * messages are from, which key order to guess first (a speed hint only:
 * any order decodes the same) and how timestamps are read. Upbit's own
 * table uses its flavour; nothing here changes what Upbit decodes.
 *
 * Order entry (upbit_ord.c): the one-walk object reader (every value
 * checked, the known keys' values recorded as raw spans; Coinone's
 * order entry reads its replies with it too), and amounts read
 * from those spans to fixed point (rounded to the scale where the venue is
 * finer), milliseconds to ns, and the FNV hash Upbit uses for trade ids;
 * the JWT key check, the bounded text buffer the query strings and JWT
 * payloads are written into, the JWT itself (inline: it signs every
 * request) with its Authorization lines, the myOrder subscription, and the error names' table type with what a
 * REST error means for an order (the two venues' tables say which names
 * are which).
 *
 * Nothing here allocates, locks or makes a system call.
 */
#ifndef KIMP_LIBVENUE_UPBIT_SHARE_H
#define KIMP_LIBVENUE_UPBIT_SHARE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/sign.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "jscan.h"

/* ---- market data (upbit.c) ------------------------------------------------- */

/* Message types; index of struct ub_flavour.seq. */
enum ub_type { T_NONE = 0, T_BOOK, T_TRADE, T_TICKER, T_N };

/* A key literal ,"key": zero padded (the decoder's next-key guess). */
struct ub_klit {
	uint8_t len;
	char s[31];
};

#define UB_KL(k) { sizeof(",\"" k "\":") - 1, ",\"" k "\":" }

/* A venue's key order for one message type (after the type key). */
struct ub_seq {
	const struct ub_klit *k;
	uint32_t n;
};

struct ub_flavour {
	uint8_t venue;                  /* enum kimp_venue stamped on vd_msg */
	/*
	 * "timestamp"/"tms" in ms, or (true) in ms below 1e14 and in
	 * microseconds from 1e14 on (Bithumb's orderbook, H5: 16 digits on
	 * the wire, 13 in the doc; 1e14 ms would be the year 5138)
	 */
	bool tms_auto_us;
	struct ub_seq seq[T_N][2];      /* [type][SIMPLE]: the venue's key order */
};

/* QUOTE-BASE (KRW-BTC): venue_md.symbol and .split. */
int ub_symbol(const char *base, const char *quote, char *out, size_t cap);
int ub_split(const char *name, size_t len, char *base, char *quote, size_t cap);
/* "/websocket/v1" whatever the set: venue_md.ws_target. */
int ub_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
		 const struct venue_sub *sub, char *out, size_t cap);
/*
 * The one request array ([ticket, orderbook (with a .1/.5/.15/.30 depth
 * suffix), trade, ticker, format]): venue_md.ws_subscribe.
 */
int ub_subscribe(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
		 const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
		 size_t cap);
/* -ENOTSUP: every book frame is whole. venue_md.snapshot_target. */
int ub_snapshot_target(const struct venue_symtab *t, uint32_t sym, uint32_t limit, char *out,
		       size_t cap);
/*
 * One WebSocket message of a venue speaking Upbit's public protocol with
 * flavour f (caller's, static): as venue_md.decode.
 */
int ub_decode_as(const struct ub_flavour *f, const struct venue_symtab *t, const uint8_t *p,
		 size_t len, struct vd_msg *m);

/* One band of a banded tick table, in units of 1e-8 of the quote. */
struct ub_band {
	int64_t from, tick;
};

/*
 * The tick at px (px_dec <= 8) from bands[0..n) (highest 'from' first; a
 * price below every band has the tick 1e-8), in px_dec decimals and at
 * least 1; 0 when px_dec > 8.
 */
int64_t ub_tick_bands(const struct ub_band *bands, size_t n, int64_t px, unsigned px_dec);

/* ---- order entry (upbit_ord.c) --------------------------------------------- */

enum { V_NONE = 0, V_STR, V_NUM, V_NULL, V_TRUE, V_FALSE, V_OBJ, V_ARR };

/* One recorded value. */
struct uo_val {
	const char *p;          /* a string's bytes inside the quotes, else the token */
	uint32_t len;
	uint8_t kind;           /* V_* */
	bool esc;               /* a string with a backslash escape */
};

/*
 * The object at j into v[0..nv) (zeroed first): every member's value
 * checked, the value of each key that key() maps below nv recorded there
 * (nv or above: skipped). A known key twice is VD_E_SHAPE. 0 or -vd_err.
 */
int uo_walk_vals(struct js *j, struct uo_val *v, unsigned nv,
		 unsigned (*key)(const char *, uint32_t));
/* One JSON value and nothing else in p[0..n): 0 or -vd_err. */
int uo_check_json(const uint8_t *p, size_t n);
/*
 * An amount (a string or bare number; null or absent: *has false) at dec
 * decimals, rounded half away from zero where finer, not negative: 0,
 * VD_E_NUMBER or VD_E_SHAPE.
 */
int uo_num(const struct uo_val *v, unsigned dec, int64_t *out, bool *has);
/* A millisecond timestamp value as UTC ns (absent or null: 0). */
int uo_ms(const struct uo_val *v, int64_t *ns);
/* The sum of the trades[].funds of the array arr at dec (GET /v1/order). */
int uo_trades_funds(const struct uo_val *arr, unsigned dec, int64_t *sum);
/* FNV-1a of s[0..n), never 0 (trade ids given as text). */
uint64_t uo_hash64(const char *s, size_t n);

static inline bool uo_is(const struct uo_val *v, const char *lit, size_t n)
{
	return v->kind == V_STR && v->len == n && !memcmp(v->p, lit, n);
}

#define UO_IS(v, lit) uo_is(v, lit, sizeof(lit) - 1)


/* ---- keys, text, error names (upbit_ord.c; bithumb_ord.c too) -------------- */

/*
 * The access key goes into the JWT payload as it is: 1..VO_API_KEY_MAX-1
 * printable bytes, no quote or backslash. The secret is kept as raw bytes
 * (not base64-decoded) for HMAC with h. k is the caller's; 0 or -EINVAL
 * (or venue_hmac_key_init's error).
 */
int uo_jwt_key_init(struct vo_keys *k, const char *api_key, const void *secret, size_t slen,
		    enum venue_hash h);

/* A bounded text buffer (p[0..cap) the caller's): what does not fit sets 'over'. */
struct uo_buf {
	char *p;
	size_t len, cap;
	bool over;
};

static inline void uo_put(struct uo_buf *b, const char *s, size_t n)
{
	if (kimp_unlikely(n > b->cap - b->len)) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define UO_LIT(b, lit) uo_put(b, lit, sizeof(lit) - 1)

/* The JWT payload's room (access key <= 127) and the token's (about 610 bytes at most). */
#define UO_PAYLOAD_MAX  512
#define UO_JWT_MAX      1024

/*
 * The token for a request whose query-hash input is qs[0..qn) (qn 0: no
 * parameters, no query_hash): {"access_key","nonce"} with a fresh nonce
 * (c->fixed_nonce in tests), then (ts, Bithumb) "timestamp": the venue
 * clock's ms, then query_hash/query_hash_alg SHA512; signed with c's key
 * and NUL-terminated into out (the caller's): its length, -EINVAL (no
 * keys, no venue clock), -ENOSPC. Inline: ts is a constant at each call.
 */
static inline int uo_jwt_make(struct vo_ctx *c, const char *qs, size_t qn, bool ts,
			      char *out, size_t cap)
{
	char payload[UO_PAYLOAD_MAX], nonce[37], hash[2 * VENUE_SHA512_LEN + 1], t[24];
	struct uo_buf b = { .p = payload, .cap = sizeof(payload) };
	int64_t ms = 0;
	int n;

	if (kimp_unlikely(!c->keys || !c->keys->api_key_len))
		return -EINVAL;
	if (ts) {
		ms = vo_server_ms(c);
		if (ms < 0)
			return -EINVAL;
	}
	vo_nonce_uuid(c, nonce);
	UO_LIT(&b, "{\"access_key\":\"");
	uo_put(&b, c->keys->api_key, c->keys->api_key_len);
	UO_LIT(&b, "\",\"nonce\":\"");
	uo_put(&b, nonce, strlen(nonce));
	if (ts) {       /* the nonce's string closed here, else below */
		UO_LIT(&b, "\",\"timestamp\":");
		uo_put(&b, t, (size_t)vo_put_u64(t, (uint64_t)ms));
	}
	if (qn) {
		if (venue_sha512_hex(qs, qn, hash, sizeof(hash)) != 2 * VENUE_SHA512_LEN)
			return -EINVAL;
		if (ts)
			UO_LIT(&b, ",\"query_hash\":\"");
		else
			UO_LIT(&b, "\",\"query_hash\":\"");
		uo_put(&b, hash, 2 * VENUE_SHA512_LEN);
		UO_LIT(&b, "\",\"query_hash_alg\":\"SHA512\"}");
	} else if (ts) {
		UO_LIT(&b, "}");
	} else {
		UO_LIT(&b, "\"}");
	}
	if (b.over)
		return -ENOSPC;
	n = venue_jwt_sign_key(&c->keys->hmac, NULL, 0, payload, b.len, out, cap);
	return n == -ENOBUFS ? -ENOSPC : n;
}

/* Authorization: Bearer <uo_jwt_make(c, qs, qn, ts)> into r's head: 0 or its error. */
static inline int uo_jwt_auth_hdr(struct vo_ctx *c, struct net_http_req *r, const char *qs,
				  size_t qn, bool ts)
{
	char jwt[UO_JWT_MAX];
	int n = uo_jwt_make(c, qs, qn, ts, jwt, sizeof(jwt));

	if (n < 0)
		return n;
	net_http_req_hdr(r, "Authorization");
	net_http_req_put(r, "Bearer ", 7);
	net_http_req_put(r, jwt, (size_t)n);
	return 0;
}

/*
 * The private stream's upgrade line "Authorization: Bearer <jwt>\r\n" (a
 * JWT without query hash, ts as uo_jwt_make) into out[0..cap) (the
 * caller's) for ch VO_CH_PRIV: its length; 0 for another channel; or
 * uo_jwt_make's error, -ENOSPC.
 */
static inline int uo_jwt_ws_headers(struct vo_ctx *c, enum vo_chan ch, bool ts, char *out,
				    size_t cap)
{
	static const char head[] = "Authorization: Bearer ";
	char jwt[UO_JWT_MAX];
	int n;

	if (ch != VO_CH_PRIV)
		return 0;
	n = uo_jwt_make(c, NULL, 0, ts, jwt, sizeof(jwt));
	if (n < 0)
		return n;
	if (sizeof(head) - 1 + (size_t)n + 2 >= cap)
		return -ENOSPC;
	memcpy(out, head, sizeof(head) - 1);
	memcpy(out + sizeof(head) - 1, jwt, (size_t)n);
	memcpy(out + sizeof(head) - 1 + n, "\r\n", 3);
	return (int)(sizeof(head) - 1 + (size_t)n + 2);
}

/*
 * The private stream's subscription, every market's orders:
 * [{"ticket":"<uuid>"},{"type":"myOrder"},{"format":"DEFAULT"}] into
 * out[0..cap) (the caller's), NUL-terminated: its length or -ENOSPC.
 */
int uo_ws_sub_my_order(struct vo_ctx *c, char *out, size_t cap);

/* What a venue lends uo_rest_parse_list_as (static, the venue's). */
struct uo_list_ops {
	/*
	 * One open order: the object at j read and checked, into ev (reset,
	 * http_status = status): 0 or -vd_err.
	 */
	int (*one)(struct vo_ctx *c, struct js *j, uint16_t status, struct vo_event *ev);
	/* venue_ord.rest_parse: a reply that is not a 2xx. */
	int (*rest_parse)(struct vo_ctx *c, enum vo_op op, const struct vo_order *o,
			  uint16_t status, const struct net_http_parser *msg,
			  const uint8_t *body, size_t len, struct vo_event *ev);
	/* The reply's rate headers into r. */
	void (*rate_obs)(const struct net_http_parser *msg, struct vo_rate_obs *r);
};

/*
 * venue_ord.rest_parse_list of an open-orders array, read with ops: every
 * element checked first, so a bad element gives the caller nothing; then
 * each() per order (with the reply's rate). A reply that is not a 2xx
 * hands its error event to each() and returns VD_E_TYPE: never an empty
 * list.
 */
int uo_rest_parse_list_as(const struct uo_list_ops *ops, struct vo_ctx *c, uint16_t status,
			  const struct net_http_parser *msg, const uint8_t *body, size_t len,
			  void (*each)(void *arg, const struct vo_event *ev), void *arg);

/* What an error name says (struct uo_errdef.flags). */
#define UO_EF_AUTH      0x01u   /* key, signature or permission: sticky (VO_F_AUTH) */
#define UO_EF_RATE      0x02u   /* over a limit (VO_F_RATE) */
#define UO_EF_RATE_REST 0x04u   /* over REST too, whatever the status (Bithumb) */
#define UO_EF_UNKNOWN   0x08u   /* the order may exist: UNKNOWN, a query settles it */
#define UO_EF_CLOCK     0x10u   /* our clock (VO_F_CLOCK) */
#define UO_EF_NOT_FOUND 0x20u   /* no such order: NOT_FOUND / CANCEL_REJECTED */

/* A venue's error name and what it says; a table's index is its code's offset. */
struct uo_errdef {
	const char *name;
	uint8_t flags;          /* UO_EF_* */
};

/* The index of name[0..len) in t[0..n), or -1. */
int uo_err_index(const struct uo_errdef *t, int n, const char *name, size_t len);

/* t[idx].flags, 0 for idx -1 (a name not in the table). */
static inline unsigned uo_err_flags(const struct uo_errdef *t, int idx)
{
	return idx >= 0 ? t[idx].flags : 0;
}

/*
 * What a REST error (status, the name's flags fl: uo_err_flags) means for
 * op's order, into ev (outcome, flags, retry_at_ms on the venue clock of
 * c, from msg's Retry-After where it has one). 429 and 418 (a block, a
 * ban) never prove a refusal, nor does a 5xx or an error in a 2xx, nor a
 * UO_EF_UNKNOWN name: UNKNOWN, settled by a query. A UO_EF_NOT_FOUND name:
 * NOT_FOUND on a query, CANCEL_REJECTED on a cancel (the order is final,
 * or never was: a query tells). Other 4xx: refused, nothing done; auth
 * names stick (VO_F_AUTH), UO_EF_CLOCK names say our clock (VO_F_CLOCK).
 */
void uo_err_outcome(const struct vo_ctx *c, enum vo_op op, uint16_t status, unsigned fl,
		    const struct net_http_parser *msg, struct vo_event *ev);

#endif
