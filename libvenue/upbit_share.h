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
 * checked, the known keys' values recorded as raw spans), and amounts read
 * from those spans to fixed point (rounded to the scale where the venue is
 * finer), milliseconds to ns, and the FNV hash Upbit uses for trade ids;
 * the JWT key check, the bounded text buffer the query strings and JWT
 * payloads are written into, and the error names' table type with what a
 * REST error means for an order (the two venues' tables say which names
 * are which).
 *
 * Nothing here allocates, locks or makes a system call.
 */
#ifndef KIMP_LIBVENUE_UPBIT_SHARE_H
#define KIMP_LIBVENUE_UPBIT_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/sign.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "jscan.h"

struct net_http_parser;

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
