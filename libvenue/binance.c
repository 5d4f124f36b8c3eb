/* SPDX-License-Identifier: MIT */
/*
 * Binance spot market data (shared/docs/venues/exchanges-global.md, 1.1,
 * 1.2 and 4): the venue's facts, its symbols (BTCUSDT), the combined-stream
 * request target, the REST depth snapshot target, and the decoders of its
 * market-stream messages and of the REST depth snapshot.
 *
 * Decoded, raw (/ws/...) or wrapped by the combined form
 * ({"stream":"<name>","data":{...}}, the two in either order):
 *   bookTicker      {"u","s","b","B","a","A"}              VD_BBO
 *   depthUpdate     {"e","E","s","U","u","b","a"}          VD_DIFF
 *   partial depth   {"lastUpdateId","bids","asks"}         VD_BOOK
 *   trade, aggTrade {"e","E","s","t" or "a","p","q","T","m"} VD_TRADE
 *   serverShutdown  {"e","E"}                              VD_SHUTDOWN
 *   replies         {"result":..,"id":..}                  VD_CONTROL
 *   errors          {"code":..,"msg":..}                   VD_VENUE_ERROR
 *
 * Binance reuses letters between events (b, a, u are levels, ids or prices
 * depending on the event), so a key means something only once the event
 * type is known: from the stream name, from "e", or (bookTicker, partial
 * depth, replies, which have no "e") from the first key. Prices and sizes
 * also need the symbol's scales: the stream name or "s" gives them, and in
 * the venue's own key order both come before the first number. If they do
 * not (a reordered message), one cheap pass over the object (keys and
 * js_skip) finds "e" and "s" and the main pass starts again from the top
 * of the object; the wire order never takes that second pass.
 *
 * Quoted decimals of the usual form ("57261.83000000") and bare ids are
 * read by a local fast path that takes digit runs eight bytes at a time,
 * with no loop per digit; anything else (exponents, signs, bare decimals,
 * long digit strings, every error) goes to jscan's js_fixed / js_u64,
 * which decide. The symbol lookup is venue_symtab_find's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "jscan.h"

#define BN_INLINE static inline __attribute__((always_inline))

#define BN_NS_PER_S      1000000000ull
#define BN_STREAMS_MAX   1024u
#define BN_SNAPSHOT_MAX  5000u      /* /api/v3/depth takes limit 1..5000 */

/* ---- symbols ------------------------------------------------------------- */

static bool bn_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* BTCUSDT for base BTC, quote USDT: upper-case letters and digits only. */
static int bn_symbol(const char *base, const char *quote, char *out, size_t cap)
{
	size_t nb, nq;

	if (!base || !quote || !out)
		return -EINVAL;
	nb = strlen(base);
	nq = strlen(quote);
	if (!bn_word(base, nb) || !bn_word(quote, nq))
		return -EINVAL;
	if (nb + nq >= cap || nb + nq > INT_MAX)
		return -ENOSPC;
	memcpy(out, base, nb);
	memcpy(out + nb, quote, nq);
	out[nb + nq] = '\0';
	return (int)(nb + nq);
}

/*
 * The quotes split() knows (none is the tail of another). A symbol whose
 * quote is not here cannot be split (-EINVAL).
 */
static const char *const bn_quotes[] = {
	"FDUSD", "USDT", "USDC", "TUSD", "BUSD", "BTC", "ETH", "BNB", "EUR", "TRY",
	"BRL", "JPY", "DAI",
};

/* BTCUSDT -> BTC, USDT (each cap bytes with its NUL); upper case only. */
static int bn_split(const char *name, size_t len, char *base, char *quote, size_t cap)
{
	if (!name || !base || !quote || !bn_word(name, len))
		return -EINVAL;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bn_quotes); i++) {
		size_t nq = strlen(bn_quotes[i]);
		if (len <= nq || memcmp(name + len - nq, bn_quotes[i], nq))
			continue;
		if (len - nq >= cap || nq >= cap)
			return -EINVAL;
		memcpy(base, name, len - nq);
		base[len - nq] = '\0';
		memcpy(quote, bn_quotes[i], nq + 1);
		return 0;
	}
	return -EINVAL;
}

/* ---- requests ------------------------------------------------------------ */

/* An output buffer that counts what did not fit. */
struct bn_out {
	char *p;
	size_t len, cap;
};

static void bn_put(struct bn_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* The symbol in lower case (stream names are lower case). */
static void bn_put_lower(struct bn_out *o, const char *s)
{
	for (; *s; s++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s | 0x20) : *s;
		bn_put(o, &c, 1);
	}
}

/*
 * /stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade/...:
 * per symbol the diff depth (speed_ms 100, or 0 for the same; 1000 for the
 * plain 1 s stream), bookTicker and trade, as sub asks. The ticker is not
 * taken (too slow to matter). -EINVAL: no symbols or streams, an index
 * outside t, a speed Binance does not offer.
 */
static kimp_cold int bn_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
				  const struct venue_sub *sub, char *out, size_t cap)
{
	static const char head[] = "/stream?streams=";
	struct bn_out o = { .p = out, .cap = cap };
	const char *depth = NULL;
	uint32_t per = 0;

	if (!t || !syms || !sub || !out || !n)
		return -EINVAL;
	if (sub->book) {
		if (sub->speed_ms == 0 || sub->speed_ms == 100)
			depth = "@depth@100ms";
		else if (sub->speed_ms == 1000)
			depth = "@depth";
		else
			return -EINVAL;
		per++;
	}
	per += sub->bbo + sub->trades;
	if (!per)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return -EINVAL;
	if ((uint64_t)n * per > BN_STREAMS_MAX)
		return -E2BIG;
	bn_put(&o, head, sizeof(head) - 1);
	for (uint32_t i = 0; i < n; i++) {
		const char *name = t->sym[syms[i]].name;
		if (depth) {
			if (o.len > sizeof(head) - 1)
				bn_put(&o, "/", 1);
			bn_put_lower(&o, name);
			bn_put(&o, depth, strlen(depth));
		}
		if (sub->bbo) {
			if (o.len > sizeof(head) - 1)
				bn_put(&o, "/", 1);
			bn_put_lower(&o, name);
			bn_put(&o, "@bookTicker", 11);
		}
		if (sub->trades) {
			if (o.len > sizeof(head) - 1)
				bn_put(&o, "/", 1);
			bn_put_lower(&o, name);
			bn_put(&o, "@trade", 6);
		}
	}
	if (o.len >= cap || o.len > INT_MAX)
		return -ENOSPC;
	out[o.len] = '\0';
	return (int)o.len;
}

/* The streams are in the URL: nothing to send. */
static kimp_cold int bn_ws_subscribe(const struct venue_symtab *t, const uint32_t *syms,
				     uint32_t n, const struct venue_sub *sub, uint64_t ticket,
				     unsigned part, char *out, size_t cap)
{
	(void)part;
	if (out && cap)
		out[0] = '\0';
	return 0;
}

/* /api/v3/depth?symbol=BTCUSDT&limit=1000 (limit 0: snapshot_limit). */
static kimp_cold int bn_snapshot_target(const struct venue_symtab *t, uint32_t sym,
					uint32_t limit, char *out, size_t cap)
{
	int n;

	if (!t || !out || sym >= t->n || limit > BN_SNAPSHOT_MAX)
		return -EINVAL;
	if (!limit)
		limit = venue_md_binance.snapshot_limit;
	n = snprintf(out, cap, "/api/v3/depth?symbol=%s&limit=%u", t->sym[sym].name, limit);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= cap ? -ENOSPC : n;
}

/* ---- scanning helpers ---------------------------------------------------- */

static const uint64_t bn_pow10[19] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull,
	1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull,
};

BN_INLINE bool bn_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

/*
 * Digit runs eight bytes at a time (a little-endian word: the first byte is
 * the most significant digit). A byte is a digit when adding 0x46 leaves
 * its top bit clear and subtracting 0x30 does too; a carry or borrow only
 * starts at a byte that is not a digit, so the lowest flagged byte is the
 * first non-digit whatever happens above it.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "binance.c reads digits eight at a time in little-endian words"
#endif

#define BN_ZEROS 0x3030303030303030ull

BN_INLINE uint64_t bn_nondigits(uint64_t x)
{
	return ((x + 0x4646464646464646ull) | (x - BN_ZEROS)) & 0x8080808080808080ull;
}

/* The value of eight digits (simdjson's sum). */
BN_INLINE uint64_t bn_eight_value(uint64_t x)
{
	const uint64_t mask = 0x000000ff000000ffull;
	const uint64_t mul1 = 0x000f424000000064ull;   /* 100 + (1000000 << 32) */
	const uint64_t mul2 = 0x0000271000000001ull;   /* 1 + (10000 << 32) */

	x -= BN_ZEROS;
	x = x * 10 + (x >> 8);
	return (((x & mask) * mul1) + (((x >> 16) & mask) * mul2)) >> 32;
}

/* The value of the first n (1..8) digits of x: the rest shifted out, '0's in. */
BN_INLINE uint64_t bn_first_value(uint64_t x, unsigned n)
{
	if (n < 8)
		x = (x << (8 * (8 - n))) | (BN_ZEROS >> (8 * n));
	return bn_eight_value(x);
}

/* Eight bytes at p, fewer near the end (the rest 0, not a digit). */
BN_INLINE uint64_t bn_load8(const uint8_t *p, const uint8_t *end)
{
	uint64_t x = 0;

	if (kimp_likely(end - p >= 8)) {
		memcpy(&x, p, 8);
		return x;
	}
	for (unsigned i = 0; p + i < end; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

/* The leading digits at p, up to 16: their count and value. */
BN_INLINE unsigned bn_digits(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = bn_load8(p, end), nd = bn_nondigits(x), hi;
	unsigned n;

	if (kimp_likely(nd)) {
		n = (unsigned)__builtin_ctzll(nd) >> 3;
		*v = n ? bn_first_value(x, n) : 0;
		return n;
	}
	hi = bn_eight_value(x);
	x = bn_load8(p + 8, end);
	nd = bn_nondigits(x);
	n = nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
	*v = hi * bn_pow10[n] + (n ? bn_first_value(x, n) : 0);
	return 8 + n;
}

/*
 * A value of the wrong type where another was wanted: VD_E_SHAPE if it is a
 * well-formed value, else what is wrong with it (VD_E_SYNTAX).
 */
static int bn_wrong_type(struct js *j)
{
	int err = js_skip(j);

	return err ? err : -VD_E_SHAPE;
}

/*
 * A price or size at 'dec' decimals. The fast path takes "<digits>[.<digits>]"
 * with at most 8 fraction digits and no more than 18 significant places at
 * the scale, without a loop; everything else, including every error, is
 * js_fixed's.
 */
BN_INLINE int bn_num(struct js *j, unsigned dec, int64_t *out)
{
	const uint8_t *q = j->p, *e = j->end;

	if (kimp_likely(q < e && *q == '"')) {
		const uint8_t *ip = q + 1;
		uint64_t v;
		unsigned n = bn_digits(ip, e, &v);

		if (kimp_unlikely(!n || n + dec > 18 || (n > 1 && ip[0] == '0')))
			goto slow;
		q = ip + n;
		if (q < e && *q == '.') {
			const uint8_t *fp = q + 1;
			uint64_t x = bn_load8(fp, e), nd = bn_nondigits(x);
			unsigned f = nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
			unsigned k = f < dec ? f : dec;
			if (kimp_unlikely(!f))
				goto slow;
			/* digits past the scale must be zeros (else js_fixed says so) */
			if (k < f) {
				uint64_t rest = (x >> (8 * k)) ^ BN_ZEROS;
				unsigned nr = f - k;
				if (nr < 8)
					rest &= (1ull << (8 * nr)) - 1;
				if (rest)
					goto slow;
			}
			if (k)
				v = v * bn_pow10[k] + bn_first_value(x, k);
			v *= bn_pow10[dec - k];
			q = fp + f;   /* a ninth fraction digit fails the quote test */
		} else {
			v *= bn_pow10[dec];
		}
		if (kimp_unlikely(q >= e || *q != '"'))
			goto slow;
		*out = (int64_t)v;
		j->p = q + 1;
		return 0;
	}
slow:
	return js_fixed(j, dec, out);
}

/* An id: a bare integer up to 15 digits here, anything else by js_u64. */
BN_INLINE int bn_u64(struct js *j, uint64_t *out)
{
	const uint8_t *p = j->p, *e = j->end;
	int c;

	if (kimp_likely(p < e && bn_digit(*p))) {
		uint64_t v;
		unsigned n = bn_digits(p, e, &v);
		const uint8_t *q = p + n;
		if (n < 16 && (n == 1 || *p != '0') &&
		    (q >= e || (*q != '.' && (*q | 0x20) != 'e'))) {
			*out = v;
			j->p = q;
			return 0;
		}
	}
	c = js_peek(j);
	if (c == '"' || c == '-' || bn_digit((uint8_t)c))
		return js_u64(j, out);
	return bn_wrong_type(j);
}

/* Milliseconds since the epoch as UTC ns. */
BN_INLINE int bn_ms(struct js *j, int64_t *ns)
{
	uint64_t ms;
	int err = bn_u64(j, &ms);

	if (err)
		return err;
	if (ms > (uint64_t)INT64_MAX / 1000000)
		return -VD_E_NUMBER;
	*ns = (int64_t)ms * 1000000;
	return 0;
}

/* The end of a plain string's bytes at p (its closing quote), or NULL. */
BN_INLINE const uint8_t *bn_plain(const uint8_t *p, const uint8_t *end)
{
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
		p++;
	return p < end && *p == '"' ? p : NULL;
}

/* A string value; short plain ones here, the rest by js_string. */
BN_INLINE int bn_str(struct js *j, struct js_str *s)
{
	const uint8_t *p = j->p, *q;

	if (kimp_likely(p < j->end && *p == '"') && (q = bn_plain(p + 1, j->end))) {
		s->p = (const char *)p + 1;
		s->len = (uint32_t)(q - p - 1);
		s->escaped = false;
		j->p = q + 1;
		return 0;
	}
	if (kimp_unlikely(js_peek(j) != '"'))
		return bn_wrong_type(j);
	return js_string(j, s);
}

/*
 * The next member's key: 1 (key in *k, the colon read), 0 (the closing
 * brace read) or an error. One-letter keys in compact form are read here;
 * the rest by js_key.
 */
BN_INLINE int bn_key(struct js *j, struct js_str *k, bool *first)
{
	const uint8_t *p = j->p, *end = j->end;

	if (kimp_likely(end - p >= 5)) {
		const uint8_t *q = p + !*first, *e;
		if ((*first || *p == ',') && q[0] == '"') {
			if (q[2] == '"' && q[3] == ':' && q[1] >= 0x20 && q[1] != '\\' &&
			    q[1] != '"') {
				k->p = (const char *)q + 1;
				k->len = 1;
				k->escaped = false;
				j->p = q + 4;
				*first = false;
				return 1;
			}
			if ((e = bn_plain(q + 1, end)) && e + 1 < end && e[1] == ':') {
				k->p = (const char *)q + 1;
				k->len = (uint32_t)(e - q - 1);
				k->escaped = false;
				j->p = e + 2;
				*first = false;
				return 1;
			}
		}
	}
	bool done;
	int err = js_key(j, k, first, &done);
	if (err)
		return err;
	return !done;
}

/* ---- levels -------------------------------------------------------------- */

enum bn_side {
	BN_DIFF,   /* wire order, qty 0 kept (remove) */
	BN_BIDS,   /* best first: strictly falling prices, empty levels dropped */
	BN_ASKS,   /* best first: strictly rising prices, empty levels dropped */
};

/*
 * [["px","qty"],...] into out[0..cap): the count in *np. Elements after the
 * second in a level are skipped (old payloads had a third).
 */
BN_INLINE int bn_levels(struct js *j, unsigned pdec, unsigned qdec, struct vd_level *out,
			uint32_t cap, uint32_t *np, enum bn_side side)
{
	bool first = true, done;
	uint32_t n = 0;
	int err;

	if (kimp_unlikely(js_peek(j) != '['))
		return bn_wrong_type(j);
	j->p++;
	for (;;) {
		int64_t px, qty;

		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (kimp_unlikely(js_peek(j) != '['))
			return bn_wrong_type(j);
		j->p++;
		if ((err = bn_num(j, pdec, &px)))
			return err;
		if (kimp_unlikely(!js_accept(j, ','))) {
			/* a level of one value is the wrong shape */
			return js_peek(j) == ']' ? -VD_E_SHAPE : -VD_E_SYNTAX;
		}
		if ((err = bn_num(j, qdec, &qty)))
			return err;
		if (kimp_unlikely(!js_accept(j, ']'))) {
			while (js_accept(j, ','))
				if ((err = js_skip(j)))
					return err;
			if ((err = js_expect(j, ']')))
				return err;
		}
		/* a level at price 0 is no level: in a diff it would remove one
		 * that cannot exist (fuzzing found a depthUpdate ["0","0.1"]) */
		if (kimp_unlikely((px | qty) < 0 || (side == BN_DIFF && !px)))
			return -VD_E_NUMBER;
		if (side != BN_DIFF) {
			if (!px || !qty)
				continue;
			if (n && (side == BN_BIDS ? px >= out[n - 1].px : px <= out[n - 1].px))
				return -VD_E_SHAPE;
		}
		if (kimp_unlikely(n >= cap))
			return -VD_E_DEPTH;
		out[n].px = px;
		out[n].qty = qty;
		n++;
	}
	*np = n;
	return 0;
}

/* ---- the decoder's state ------------------------------------------------- */

/*
 * vd_msg_reset for this venue, field by field: it does not read back the
 * caller's bids, asks and cap (the last decode's stores to m may still be
 * in flight; one wide load of the two pointers stalls on them), and plain
 * stores beat the rep stos a memset of this size becomes. The size pin
 * makes whoever adds a field to struct vd_msg look here.
 */
KIMP_STATIC_ASSERT(sizeof(struct vd_msg) == 176, "bn_reset resets every field of vd_msg");

BN_INLINE void bn_reset(struct vd_msg *m)
{
	m->kind = VD_NONE;
	m->venue = KIMP_VENUE_BINANCE;
	m->snapshot = 0;
	m->aggressor = 0;
	m->sym = VENUE_SYM_NONE;
	m->venue_ts_ns = 0;
	m->trade_ts_ns = 0;
	m->first_id = 0;
	m->last_id = 0;
	m->trade_id = 0;
	m->px = 0;
	m->qty = 0;
	m->bid.px = 0;
	m->bid.qty = 0;
	m->ask.px = 0;
	m->ask.qty = 0;
	m->nbids = 0;
	m->nasks = 0;
	m->req_id = 0;
	m->sym_name = NULL;
	m->sym_name_len = 0;
	m->err_name = NULL;
	m->err_name_len = 0;
	m->err_code = 0;
	m->checksum = 0;
	m->resync = 0;
}

/* What a payload is. */
enum bn_type {
	BT_NONE = 0,
	BT_BBO,        /* bookTicker */
	BT_DIFF,       /* depthUpdate */
	BT_PARTIAL,    /* depth5/10/20 */
	BT_TRADE,
	BT_AGG,        /* aggTrade */
	BT_SHUTDOWN,   /* serverShutdown */
	BT_CONTROL,    /* a reply to SUBSCRIBE and friends */
	BT_ERROR,      /* {"code","msg"} */
};

/* Internal: start the payload over with "e" and "s" found first. */
#define BN_AGAIN (-64)
/* Internal: the top-level object is the combined wrapper after all. */
#define BN_WRAPPED (-65)

struct bn_ctx {
	const struct venue_symtab *t;
	struct vd_msg *m;
	uint32_t sym;              /* VENUE_SYM_NONE until known */
	uint8_t pdec, qdec;        /* its scales */
	uint8_t type;              /* enum bn_type */
	bool guessed;              /* type from the first key: may be wrong */
	bool top;                  /* the payload is the whole message */
	const char *sname;         /* the symbol in the stream name, or NULL */
	uint32_t snlen;
};

/* Key bits: one per letter (a-z 0..25, A-Z 32..57), then named keys. */
#define KB(ch) (1ull << ((ch) >= 'a' ? (ch) - 'a' : (ch) - 'A' + 32))
#define KX_LUI     (1ull << 26)  /* lastUpdateId */
#define KX_BIDS    (1ull << 27)
#define KX_ASKS    (1ull << 28)
#define KX_RESULT  (1ull << 29)
#define KX_ID      (1ull << 30)
#define KX_CODE    (1ull << 31)
#define KX_MSG     (1ull << 58)
#define KX_DATA    (1ull << 59)  /* the combined wrapper's "data" */

#define BN_ONCE(seen, bit)                          \
	do {                                        \
		if ((seen) & (bit))                 \
			return -VD_E_SHAPE;         \
		(seen) |= (bit);                    \
	} while (0)

static void bn_set_sym(struct bn_ctx *c, uint32_t i)
{
	c->sym = i;
	c->pdec = c->t->sym[i].px_dec;
	c->qdec = c->t->sym[i].qty_dec;
}

/* m as decode found it, with the stream's symbol spelling kept. */
static void bn_restart(struct bn_ctx *c)
{
	bn_reset(c->m);
	c->m->sym_name = c->sname;
	c->m->sym_name_len = c->snlen;
}

/* The type an "e" names, BT_NONE for one not decoded here. */
static enum bn_type bn_event(const struct js_str *e)
{
	switch (e->len) {
	case 5:
		return JS_IS(e, "trade") ? BT_TRADE : BT_NONE;
	case 8:
		return JS_IS(e, "aggTrade") ? BT_AGG : BT_NONE;
	case 10:
		return JS_IS(e, "bookTicker") ? BT_BBO : BT_NONE;
	case 11:
		return JS_IS(e, "depthUpdate") ? BT_DIFF : BT_NONE;
	case 14:
		return JS_IS(e, "serverShutdown") ? BT_SHUTDOWN : BT_NONE;
	}
	return BT_NONE;
}

/* "e" inside a payload whose type is already set: it must agree. */
static int bn_check_event(struct bn_ctx *c, struct js *j)
{
	struct js_str e;
	int err = bn_str(j, &e);

	if (err)
		return err;
	if (bn_event(&e) == c->type)
		return 0;
	return c->guessed ? BN_AGAIN : -VD_E_SHAPE;
}

/* "s": the symbol, looked up, or checked against the one already known. */
static int bn_read_sym(struct bn_ctx *c, struct js *j)
{
	struct js_str s;
	int err = bn_str(j, &s);

	if (err)
		return err;
	c->m->sym_name = s.p;
	c->m->sym_name_len = s.len;
	if (c->sym != VENUE_SYM_NONE) {
		const char *name = c->t->sym[c->sym].name;
		if (s.len < VENUE_SYM_MAX && !name[s.len] &&
		    (!memcmp(name, s.p, s.len) || !strncasecmp(name, s.p, s.len)))
			return 0;
		return -VD_E_SHAPE;   /* not the stream's symbol */
	}
	uint32_t i = venue_symtab_find(c->t, s.p, s.len);
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	bn_set_sym(c, i);
	return 0;
}

/* A scaled number is next: the symbol must be known, else start over. */
#define BN_NEED_SYM(c)                                        \
	do {                                                  \
		if (kimp_unlikely((c)->sym == VENUE_SYM_NONE)) \
			return BN_AGAIN;                      \
	} while (0)

/* ---- payloads -------------------------------------------------------------- */

/*
 * Each parser reads the members of the payload object from where j is
 * (first: no member read yet; seen: the keys already read) to its closing
 * brace and fills m.
 */

static int bn_bbo(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	const uint64_t need = KB('u') | KB('s') | KB('b') | KB('B') | KB('a') | KB('A');
	struct vd_msg *m = c->m;
	struct js_str k;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		switch (k.len == 1 ? k.p[0] : 0) {
		case 'u':
			BN_ONCE(seen, KB('u'));
			err = bn_u64(j, &m->last_id);
			break;
		case 's':
			BN_ONCE(seen, KB('s'));
			err = bn_read_sym(c, j);
			break;
		case 'b':
			BN_ONCE(seen, KB('b'));
			BN_NEED_SYM(c);
			err = bn_num(j, c->pdec, &m->bid.px);
			break;
		case 'B':
			BN_ONCE(seen, KB('B'));
			BN_NEED_SYM(c);
			err = bn_num(j, c->qdec, &m->bid.qty);
			break;
		case 'a':
			BN_ONCE(seen, KB('a'));
			BN_NEED_SYM(c);
			err = bn_num(j, c->pdec, &m->ask.px);
			break;
		case 'A':
			BN_ONCE(seen, KB('A'));
			BN_NEED_SYM(c);
			err = bn_num(j, c->qdec, &m->ask.qty);
			break;
		case 'e':
			BN_ONCE(seen, KB('e'));
			err = bn_check_event(c, j);
			break;
		case 'E':   /* futures-style event time, where given */
			BN_ONCE(seen, KB('E'));
			err = bn_ms(j, &m->venue_ts_ns);
			break;
		default:
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if ((seen & need) != need)
		return -VD_E_SHAPE;
	if ((m->bid.px | m->bid.qty | m->ask.px | m->ask.qty) < 0)
		return -VD_E_NUMBER;
	m->first_id = m->last_id;
	m->kind = VD_BBO;
	return 0;
}

static int bn_diff(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	const uint64_t need = KB('e') | KB('E') | KB('s') | KB('U') | KB('u') | KB('b') | KB('a');
	struct vd_msg *m = c->m;
	struct js_str k;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		switch (k.len == 1 ? k.p[0] : 0) {
		case 'b':
			BN_ONCE(seen, KB('b'));
			BN_NEED_SYM(c);
			err = bn_levels(j, c->pdec, c->qdec, m->bids, m->cap, &m->nbids, BN_DIFF);
			break;
		case 'a':
			BN_ONCE(seen, KB('a'));
			BN_NEED_SYM(c);
			err = bn_levels(j, c->pdec, c->qdec, m->asks, m->cap, &m->nasks, BN_DIFF);
			break;
		case 'U':
			BN_ONCE(seen, KB('U'));
			err = bn_u64(j, &m->first_id);
			break;
		case 'u':
			BN_ONCE(seen, KB('u'));
			err = bn_u64(j, &m->last_id);
			break;
		case 'E':
			BN_ONCE(seen, KB('E'));
			err = bn_ms(j, &m->venue_ts_ns);
			break;
		case 's':
			BN_ONCE(seen, KB('s'));
			err = bn_read_sym(c, j);
			break;
		case 'e':
			BN_ONCE(seen, KB('e'));
			err = bn_check_event(c, j);
			break;
		default:
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if ((seen & need) != need || m->last_id < m->first_id)
		return -VD_E_SHAPE;
	m->kind = VD_DIFF;
	return 0;
}

/* trade ("t" the id) and aggTrade ("a" the id): the same but for the id. */
static int bn_trade(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	const int idc = c->type == BT_AGG ? 'a' : 't';
	const uint64_t idk = c->type == BT_AGG ? KB('a') : KB('t');
	const uint64_t need = KB('e') | KB('E') | KB('s') | idk | KB('p') | KB('q') | KB('T') |
			      KB('m');
	struct vd_msg *m = c->m;
	struct js_str k;
	bool maker = false;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		const int ch = k.len == 1 ? k.p[0] : 0;
		if (ch == idc) {
			BN_ONCE(seen, idk);
			err = bn_u64(j, &m->trade_id);
		} else {
			switch (ch) {
			case 'p':
				BN_ONCE(seen, KB('p'));
				BN_NEED_SYM(c);
				err = bn_num(j, c->pdec, &m->px);
				break;
			case 'q':
				BN_ONCE(seen, KB('q'));
				BN_NEED_SYM(c);
				err = bn_num(j, c->qdec, &m->qty);
				break;
			case 'T':
				BN_ONCE(seen, KB('T'));
				err = bn_ms(j, &m->trade_ts_ns);
				break;
			case 'E':
				BN_ONCE(seen, KB('E'));
				err = bn_ms(j, &m->venue_ts_ns);
				break;
			case 'm':
				BN_ONCE(seen, KB('m'));
				err = js_bool(j, &maker);
				/* the buyer made the market: the taker sold */
				m->aggressor = maker ? KIMP_SIDE_SELL : KIMP_SIDE_BUY;
				break;
			case 's':
				BN_ONCE(seen, KB('s'));
				err = bn_read_sym(c, j);
				break;
			case 'e':
				BN_ONCE(seen, KB('e'));
				err = bn_check_event(c, j);
				break;
			default:
				err = js_skip(j);
			}
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if ((seen & need) != need)
		return -VD_E_SHAPE;
	if (m->px < 0 || m->qty < 0)
		return -VD_E_NUMBER;
	m->kind = VD_TRADE;
	return 0;
}

/*
 * {"lastUpdateId","bids","asks"}: partial depth (VD_BOOK) or the REST
 * snapshot (VD_SNAPSHOT), best first, empty levels dropped. A body that is
 * a venue error ({"code","msg"}) is VD_E_TYPE.
 */
static int bn_book(struct bn_ctx *c, struct js *j, bool first, uint64_t seen, uint8_t kind)
{
	const uint64_t need = KX_LUI | KX_BIDS | KX_ASKS;
	struct vd_msg *m = c->m;
	struct js_str k;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		if (JS_IS(&k, "bids")) {
			BN_ONCE(seen, KX_BIDS);
			err = bn_levels(j, c->pdec, c->qdec, m->bids, m->cap, &m->nbids, BN_BIDS);
		} else if (JS_IS(&k, "asks")) {
			BN_ONCE(seen, KX_ASKS);
			err = bn_levels(j, c->pdec, c->qdec, m->asks, m->cap, &m->nasks, BN_ASKS);
		} else if (JS_IS(&k, "lastUpdateId")) {
			BN_ONCE(seen, KX_LUI);
			err = bn_u64(j, &m->last_id);
		} else if (JS_IS(&k, "e")) {
			BN_ONCE(seen, KB('e'));
			err = bn_check_event(c, j);
		} else {
			if (JS_IS(&k, "code"))
				seen |= KX_CODE;
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if ((seen & need) != need)
		return seen & KX_CODE ? -VD_E_TYPE : -VD_E_SHAPE;
	m->first_id = m->last_id;
	m->kind = kind;
	return 0;
}

static int bn_shutdown(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	struct js_str k;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		if (JS_IS(&k, "e")) {
			BN_ONCE(seen, KB('e'));
			err = bn_check_event(c, j);
		} else if (JS_IS(&k, "E")) {
			BN_ONCE(seen, KB('E'));
			err = bn_ms(j, &c->m->venue_ts_ns);
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if (!(seen & KB('e')))
		return -VD_E_SHAPE;
	c->m->kind = VD_SHUTDOWN;
	return 0;
}

/* A request id: an integer, or a string or null (0: none we can match). */
static int bn_req_id(struct js *j, uint64_t *id)
{
	struct js_str s;
	int c = js_peek(j);

	if (c == 'n')
		return js_null(j);
	if (c == '"')
		return js_string(j, &s);
	return bn_u64(j, id);
}

/* {"result":..,"id":..} and {"code":..,"msg":..[,"id":..]}. */
static int bn_reply(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	const bool error = c->type == BT_ERROR;
	const uint64_t need = error ? KX_CODE | KX_MSG : KX_RESULT | KX_ID;
	struct vd_msg *m = c->m;
	struct js_str k, s;
	int64_t code;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		if (JS_IS(&k, "id")) {
			BN_ONCE(seen, KX_ID);
			err = bn_req_id(j, &m->req_id);
		} else if (JS_IS(&k, "result")) {
			BN_ONCE(seen, KX_RESULT);
			err = js_skip(j);
		} else if (JS_IS(&k, "code") || JS_IS(&k, "msg")) {
			if (!error)   /* only a guess can get here: an error reply */
				return c->guessed ? BN_AGAIN : -VD_E_SHAPE;
			if (k.len == 4) {
				BN_ONCE(seen, KX_CODE);
				err = js_i64(j, &code);
				if (err == -VD_E_SYNTAX && js_peek(j) != '-' &&
				    !bn_digit((uint8_t)js_peek(j)))
					err = bn_wrong_type(j);
				if (!err && (code < INT32_MIN || code > INT32_MAX))
					err = -VD_E_NUMBER;
				if (!err)
					m->err_code = (int32_t)code;
			} else {
				BN_ONCE(seen, KX_MSG);
				err = bn_str(j, &s);
				if (!err) {
					m->err_name = s.p;
					m->err_name_len = s.len;
				}
			}
		} else if (JS_IS(&k, "e")) {
			BN_ONCE(seen, KB('e'));
			err = bn_check_event(c, j);
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if ((seen & need) != need)
		return -VD_E_SHAPE;
	m->kind = error ? VD_VENUE_ERROR : VD_CONTROL;
	return 0;
}

static int bn_typed(struct bn_ctx *c, struct js *j, bool first, uint64_t seen)
{
	switch (c->type) {
	case BT_BBO:
		return bn_bbo(c, j, first, seen);
	case BT_DIFF:
		return bn_diff(c, j, first, seen);
	case BT_TRADE:
	case BT_AGG:
		return bn_trade(c, j, first, seen);
	case BT_PARTIAL:
		return bn_book(c, j, first, seen, VD_BOOK);
	case BT_SHUTDOWN:
		return bn_shutdown(c, j, first, seen);
	case BT_CONTROL:
	case BT_ERROR:
		return bn_reply(c, j, first, seen);
	}
	return -VD_E_TYPE;
}

/* The type a first key points to when there is no "e" to say. */
static enum bn_type bn_guess(const struct js_str *k)
{
	switch (k->len) {
	case 1:
		return k->p[0] == 'u' ? BT_BBO : BT_NONE;
	case 2:
		return JS_IS(k, "id") ? BT_CONTROL : BT_NONE;
	case 3:
		return JS_IS(k, "msg") ? BT_ERROR : BT_NONE;
	case 4:
		return JS_IS(k, "code") ? BT_ERROR : BT_NONE;
	case 6:
		return JS_IS(k, "result") ? BT_CONTROL : BT_NONE;
	case 12:
		return JS_IS(k, "lastUpdateId") ? BT_PARTIAL : BT_NONE;
	}
	return BT_NONE;
}

/* Partial depth has no "s": the stream's symbol, or a table of one. */
static int bn_partial_sym(struct bn_ctx *c)
{
	if (c->sym != VENUE_SYM_NONE)
		return 0;
	if (c->t->n != 1)
		return -VD_E_SYMBOL;
	bn_set_sym(c, 0);
	return 0;
}

/* What the cheap pass over a payload found. */
struct bn_pre {
	struct js_str e, s;
	uint64_t has;      /* KB('e'), KB('s'), KB('u'), KX_LUI, KX_CODE, KX_RESULT, KX_DATA */
};

/* The lowest byte of x equal to c (the SWAR zero-byte test), as a bit mask. */
BN_INLINE uint64_t bn_bytes_eq(uint64_t x, uint8_t c)
{
	x ^= 0x0101010101010101ull * c;
	return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* The closing quote of the string whose bytes start at p, or NULL. */
BN_INLINE const uint8_t *bn_skim_string(const uint8_t *p, const uint8_t *end)
{
	for (;;) {
		while (end - p >= 8) {
			uint64_t x, hit;
			memcpy(&x, p, 8);
			hit = bn_bytes_eq(x, '"') | bn_bytes_eq(x, '\\');
			if (hit) {
				p += __builtin_ctzll(hit) >> 3;
				break;
			}
			p += 8;
		}
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return NULL;
		if (*p == '"')
			return p;
		if (end - p < 2)   /* a backslash: skip what it escapes */
			return NULL;
		p += 2;
	}
}

/*
 * Past one value without checking it, for the cheap pass only (the main
 * pass reads everything again, strictly): a string by its quotes, an array
 * or object by bracket depth, anything else up to the next , ] } or space.
 * VD_E_SYNTAX when the input ends inside it.
 */
static int bn_skim(struct js *j)
{
	const uint8_t *p, *v, *end = j->end;
	unsigned depth = 0;

	js_ws(j);
	for (p = v = j->p; p < end; p++) {
		switch (*p) {
		case '"':
			if (!(p = bn_skim_string(p + 1, end)))
				return -VD_E_SYNTAX;
			if (!depth)
				goto done;
			break;
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (!depth)
				goto scalar;
			if (!--depth)
				goto done;
			break;
		case ',':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			if (!depth)
				goto scalar;
			break;
		}
	}
	if (depth)
		return -VD_E_SYNTAX;
scalar:
	if (p == v)
		return -VD_E_SYNTAX;
	j->p = p;
	return 0;
done:
	j->p = p + 1;
	return 0;
}

/* Keys and bn_skim over the members, keeping "e" and "s", until both are found. */
static int bn_prepass(struct js *j, struct bn_pre *pr)
{
	bool first = true;
	struct js_str k;
	int r, err;

	while ((r = bn_key(j, &k, &first)) > 0) {
		if (JS_IS(&k, "e") || JS_IS(&k, "s")) {
			const bool e = k.p[0] == 'e';
			BN_ONCE(pr->has, e ? KB('e') : KB('s'));
			if ((err = bn_str(j, e ? &pr->e : &pr->s)))
				return err;
			/* both known: the rest is the main pass's */
			if ((pr->has & (KB('e') | KB('s'))) == (KB('e') | KB('s')))
				return 0;
			continue;
		}
		if (JS_IS(&k, "u"))
			pr->has |= KB('u');
		else if (JS_IS(&k, "lastUpdateId"))
			pr->has |= KX_LUI;
		else if (JS_IS(&k, "code") || JS_IS(&k, "msg"))
			pr->has |= KX_CODE;
		else if (JS_IS(&k, "result"))
			pr->has |= KX_RESULT;
		else if (JS_IS(&k, "data"))
			pr->has |= KX_DATA;
		if ((err = bn_skim(j)))
			return err;
	}
	return r;
}

/* The type and symbol from what the cheap pass found. */
static int bn_classify(struct bn_ctx *c, const struct bn_pre *pr)
{
	int err;

	if (c->type == BT_NONE || c->guessed) {
		if (pr->has & KB('e'))
			c->type = bn_event(&pr->e);
		else if (pr->has & KX_LUI)
			c->type = BT_PARTIAL;
		else if (pr->has & KX_CODE)
			c->type = BT_ERROR;
		else if (pr->has & KX_RESULT)
			c->type = BT_CONTROL;
		else if (pr->has & KB('u'))
			c->type = BT_BBO;
		else
			c->type = BT_NONE;
		if (c->type == BT_NONE)   /* a wrapper with another key first? */
			return c->top && (pr->has & KX_DATA) ? BN_WRAPPED : -VD_E_TYPE;
		c->guessed = false;
	}
	switch (c->type) {
	case BT_PARTIAL:
		if ((err = bn_partial_sym(c)))
			return err;
		break;
	case BT_BBO:
	case BT_DIFF:
	case BT_TRADE:
	case BT_AGG: {
		uint32_t i;
		if (c->sym != VENUE_SYM_NONE)
			break;
		if (!(pr->has & KB('s')))
			return -VD_E_SHAPE;
		c->m->sym_name = pr->s.p;
		c->m->sym_name_len = pr->s.len;
		i = venue_symtab_find(c->t, pr->s.p, pr->s.len);
		if (i == VENUE_SYM_NONE)
			return -VD_E_SYMBOL;
		bn_set_sym(c, i);
		break;
	}
	}
	return 0;
}

/*
 * The slow way: find "e" and "s" first, then read the payload from its top.
 * A refusal before the main pass checks the object first, so that broken
 * JSON is still counted as such.
 */
static int bn_payload_slow(struct bn_ctx *c, struct js *j, const uint8_t *body)
{
	struct bn_pre pr = { .has = 0 };
	int err;

	bn_restart(c);
	j->p = body;
	if (!(err = bn_prepass(j, &pr)))
		err = bn_classify(c, &pr);
	if (err) {
		j->p = body - 1;
		int bad = js_skip(j);
		return bad && err != BN_WRAPPED ? bad : err;
	}
	j->p = body;
	err = bn_typed(c, j, true, 0);
	return err == BN_AGAIN ? -VD_E_SHAPE : err;   /* cannot happen: known now */
}

/* One payload object at j (its type known from the stream, or not yet). */
static int bn_payload(struct bn_ctx *c, struct js *j)
{
	const uint8_t *body;
	bool first = true;
	uint64_t seen = 0;
	struct js_str k;
	int r, err;

	if (kimp_unlikely(js_peek(j) != '{'))
		return bn_wrong_type(j);
	body = ++j->p;
	if (c->type == BT_NONE) {
		r = bn_key(j, &k, &first);
		if (r <= 0)
			return r < 0 ? r : -VD_E_TYPE;   /* {} */
		if (k.len == 1 && k.p[0] == 'e') {
			struct js_str e;
			if ((err = bn_str(j, &e)))
				return err;
			c->type = bn_event(&e);
			if (c->type == BT_NONE)
				return -VD_E_TYPE;
			seen = KB('e');
		} else {
			c->type = bn_guess(&k);
			if (c->type == BT_NONE)
				return bn_payload_slow(c, j, body);
			c->guessed = true;
			j->p = body;
			first = true;
		}
	}
	if (c->type == BT_PARTIAL && (err = bn_partial_sym(c)))
		return err;
	err = bn_typed(c, j, first, seen);
	if (kimp_likely(err != BN_AGAIN) && !(c->guessed && err == -VD_E_SHAPE))
		return err;
	return bn_payload_slow(c, j, body);
}

/* The kind of a stream after its '@' (btcusdt@<this>). */
static enum bn_type bn_stream_kind(const char *p, size_t n)
{
	size_t i;

	if (n == 10 && !memcmp(p, "bookTicker", 10))
		return BT_BBO;
	if (n == 5 && !memcmp(p, "trade", 5))
		return BT_TRADE;
	if (n == 8 && !memcmp(p, "aggTrade", 8))
		return BT_AGG;
	if (n < 5 || memcmp(p, "depth", 5))
		return BT_NONE;
	/* depth[5|10|20][@100ms|@1000ms] */
	for (i = 5; i < n && p[i] != '@'; i++)
		;
	if (i < n && !(n - i == 6 && !memcmp(p + i, "@100ms", 6)) &&
	    !(n - i == 7 && !memcmp(p + i, "@1000ms", 7)))
		return BT_NONE;
	switch (i - 5) {
	case 0:
		return BT_DIFF;
	case 1:
		return p[5] == '5' ? BT_PARTIAL : BT_NONE;
	case 2:
		return (p[5] == '1' || p[5] == '2') && p[6] == '0' ? BT_PARTIAL : BT_NONE;
	}
	return BT_NONE;
}

/* "stream": the payload's type and (but for the all-market ones) symbol. */
static int bn_stream(struct bn_ctx *c, struct js *j)
{
	struct js_str s;
	const char *at;
	uint32_t i;
	int err;

	if ((err = bn_str(j, &s)))
		return err;
	if (s.len && s.p[0] == '!') {
		if (JS_IS(&s, "!bookTicker"))
			c->type = BT_BBO;
		else if (JS_IS(&s, "!serverShutdown"))
			c->type = BT_SHUTDOWN;
		else
			return -VD_E_TYPE;
		return 0;
	}
	at = memchr(s.p, '@', s.len);
	if (!at)
		return -VD_E_TYPE;
	c->type = bn_stream_kind(at + 1, s.len - (size_t)(at + 1 - s.p));
	if (c->type == BT_NONE)
		return -VD_E_TYPE;
	c->sname = s.p;
	c->snlen = (uint32_t)(at - s.p);
	c->m->sym_name = c->sname;
	c->m->sym_name_len = c->snlen;
	i = venue_symtab_find(c->t, c->sname, c->snlen);
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	bn_set_sym(c, i);
	return 0;
}

/* {"stream":..,"data":..}, the first key (k) read; data after stream or not. */
static int bn_combined(struct bn_ctx *c, struct js *j, struct js_str *k)
{
	bool first = false, have_stream = false, have_data = false;
	const uint8_t *data = NULL;
	int r = 1, err;

	for (; r > 0; r = bn_key(j, k, &first)) {
		if (JS_IS(k, "stream")) {
			if (have_stream)
				return -VD_E_SHAPE;
			have_stream = true;
			err = bn_stream(c, j);
		} else if (JS_IS(k, "data")) {
			if (have_data)
				return -VD_E_SHAPE;
			have_data = true;
			if (have_stream) {
				err = bn_payload(c, j);
			} else {
				data = j->p;
				err = js_peek(j) == '{' ? js_skip(j) : bn_wrong_type(j);
			}
		} else {
			err = js_skip(j);
		}
		if (err)
			return err;
	}
	if (r < 0)
		return r;
	if (!have_stream || !have_data)
		return -VD_E_SHAPE;
	if (data) {
		struct js d = { .p = data, .end = j->end };
		return bn_payload(c, &d);
	}
	return 0;
}

/* A whole message that is not an object: VD_E_TYPE if it is JSON at all. */
static int bn_not_object(struct js *j)
{
	int err = js_skip(j);

	if (!err)
		err = js_end(j);
	return err ? err : -VD_E_TYPE;
}

/*
 * One WebSocket message p[0..len) into m (0), or -enum vd_err with m->kind
 * VD_NONE and no levels. m's strings (sym_name, err_name) point into p and
 * live as long as it does.
 */
static int bn_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	struct bn_ctx c = { .t = t, .m = m, .sym = VENUE_SYM_NONE };
	const uint8_t *obj;
	bool first = true;
	struct js_str k;
	struct js j;
	int r, err;

	bn_reset(m);
	js_init(&j, p, len);
	if (kimp_unlikely(js_peek(&j) != '{')) {
		err = bn_not_object(&j);
		goto fail;
	}
	obj = j.p++;
	r = bn_key(&j, &k, &first);
	if (r > 0 && k.len >= 4 && (JS_IS(&k, "stream") || JS_IS(&k, "data"))) {
		err = bn_combined(&c, &j, &k);
	} else if (r < 0) {
		err = r;
	} else {
		j.p = obj;
		c.top = true;
		err = bn_payload(&c, &j);
		if (err == BN_WRAPPED) {
			/* {"x":..,"stream":..,"data":..}: the wrapper after all */
			bn_reset(m);
			c = (struct bn_ctx){ .t = t, .m = m, .sym = VENUE_SYM_NONE };
			j.p = obj + 1;
			first = true;
			r = bn_key(&j, &k, &first);
			err = r < 0 ? r : bn_combined(&c, &j, &k);
		}
	}
	if (!err)
		err = js_end(&j);
	if (kimp_unlikely(err))
		goto fail;
	m->sym = c.sym;
	return 0;
fail: {
	const char *name = m->sym_name;
	uint32_t nlen = m->sym_name_len;
	bn_reset(m);
	m->sym_name = name;
	m->sym_name_len = nlen;
	return err < 0 && err > -VD_E_MAX ? err : -VD_E_SHAPE;
}
}

/*
 * The REST /api/v3/depth body for sym into m as VD_SNAPSHOT (0), or
 * -enum vd_err as bn_decode. Levels best first, empty ones dropped.
 */
static int bn_decode_snapshot(const struct venue_symtab *t, uint32_t sym, const uint8_t *p,
			      size_t len, struct vd_msg *m)
{
	struct bn_ctx c = { .t = t, .m = m, .sym = VENUE_SYM_NONE, .type = BT_PARTIAL };
	struct js j;
	int err;

	bn_reset(m);
	if (sym >= t->n) {
		err = -VD_E_SYMBOL;
		goto fail;
	}
	bn_set_sym(&c, sym);
	js_init(&j, p, len);
	if (kimp_unlikely(js_peek(&j) != '{')) {
		err = bn_not_object(&j);
		goto fail;
	}
	j.p++;
	err = bn_book(&c, &j, true, 0, VD_SNAPSHOT);
	if (!err)
		err = js_end(&j);
	if (kimp_unlikely(err))
		goto fail;
	m->sym = sym;
	return 0;
fail:
	bn_reset(m);
	return err;
}

/* ---- trading rules ---------------------------------------------------- */

/*
 * PRICE_FILTER tickSize and LOT_SIZE stepSize of the spot USDT symbols
 * known here, as exchangeInfo gives them (venues/exchanges-global.md 1.7);
 * any other symbol takes its tick and step from the configuration.
 * NOTIONAL minNotional is 5 USDT on these.
 */
static const struct {
	const char *base, *tick, *step;
} bn_known_rules[] = {
	{ "BTC", "0.01", "0.00001" },
	{ "ETH", "0.01", "0.0001" },
	{ "XRP", "0.0001", "0.1" },
	{ "SOL", "0.01", "0.001" },
	{ "DOGE", "0.00001", "1" },
};

static int bn_inst_rules(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			 struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (strcmp(quote, "USDT"))
		return -ENOENT;
	if (venue_fixed("5", px_dec, &out->min_notional))
		return -ERANGE;
	for (size_t i = 0; i < sizeof(bn_known_rules) / sizeof(bn_known_rules[0]); i++) {
		if (strcmp(bn_known_rules[i].base, base))
			continue;
		if (venue_fixed(bn_known_rules[i].tick, px_dec, &out->tick) ||
		    venue_fixed(bn_known_rules[i].step, qty_dec, &out->step))
			return -ERANGE;
		out->min_qty = out->step;
		return 0;
	}
	return -ENOENT;
}

const struct venue_md venue_md_binance = {
	.venue = KIMP_VENUE_BINANCE,
	.name = "binance",
	.ws_url = "wss://stream.binance.com:9443",
	.rest_url = "https://api.binance.com",
	.quote = "USDT",
	.book_mode = VENUE_BOOK_DIFF,
	.binary_frames = false,
	.ping_text = NULL,              /* the server pings every 20 s; ws_conn pongs */
	.ping_every_ns = 0,
	.conn_life_ns = 24 * 3600 * BN_NS_PER_S,
	.stale_after_ns = 5 * BN_NS_PER_S,   /* bookTicker is real time */
	.streams_max = BN_STREAMS_MAX,
	.snapshot_limit = 1000,
	.symbol = bn_symbol,
	.ws_target = bn_ws_target,
	.ws_subscribe = bn_ws_subscribe,
	.snapshot_target = bn_snapshot_target,
	.split = bn_split,
	.decode = bn_decode,
	.decode_snapshot = bn_decode_snapshot,
	.taker_fee = "0.001",
	.maker_fee = "0.001",
	.inst_rules = bn_inst_rules,
};
