/* SPDX-License-Identifier: MIT */
/*
 * The decoders' JSON scanner (jscan.h): strings, skipping with checks, and
 * numbers straight into fixed point.
 */
#include <errno.h>
#include "jscan.h"

static const int64_t pow10_i64[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

static inline bool is_digit(uint8_t c)
{
	return js_is_digit(c);
}

const uint64_t js_pow10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
	1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
	1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
	1000000000000000000ULL, 10000000000000000000ULL,
};

/* INT64_MAX / 10^s: the largest value that scales by 10^s (no division). */
const uint64_t js_scale_lim[19] = {
	9223372036854775807ULL, 922337203685477580ULL, 92233720368547758ULL,
	9223372036854775ULL, 922337203685477ULL, 92233720368547ULL, 9223372036854ULL,
	922337203685ULL, 92233720368ULL, 9223372036ULL, 922337203ULL, 92233720ULL, 9223372ULL,
	922337ULL, 92233ULL, 9223ULL, 922ULL, 92ULL, 9ULL,
};

/*
 * v / 10^k when that is exact (1 <= k <= 19), else false. A switch on k so
 * that every division is by a constant (a multiply, not a divide).
 */
static inline bool div_exact(uint64_t *v, unsigned k)
{
	uint64_t q;

#define JS_DIV(n) case n: q = *v / js_pow10[n]; break;
	switch (k) {
	JS_DIV(1) JS_DIV(2) JS_DIV(3) JS_DIV(4) JS_DIV(5) JS_DIV(6) JS_DIV(7) JS_DIV(8)
	JS_DIV(9) JS_DIV(10) JS_DIV(11) JS_DIV(12) JS_DIV(13) JS_DIV(14) JS_DIV(15)
	JS_DIV(16) JS_DIV(17) JS_DIV(18) JS_DIV(19)
	default:
		return false;
	}
#undef JS_DIV
	if (q * js_pow10[k] != *v)
		return false;
	*v = q;
	return true;
}

static inline bool is_hex(uint8_t c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6;
}

/* The offset of the first '"', '\\' or control byte in x, 8 if none. */
#if JS_SWAR
static inline unsigned swar_str_stop(uint64_t x)
{
	uint64_t q = x ^ JS_B8('"'), b = x ^ JS_B8('\\');
	uint64_t hit = ((q - JS_B8(1)) & ~q) | ((b - JS_B8(1)) & ~b) | ((x - JS_B8(0x20)) & ~x);
	hit &= JS_B8(0x80);
	return hit ? (unsigned)__builtin_ctzll(hit) >> 3 : 8;
}
#endif

/* A run of digits from p into *v (which may wrap: the caller counts *nd). */
static inline const uint8_t *digit_run(const uint8_t *p, const uint8_t *end, uint64_t *v,
				       uint32_t *nd)
{
#if JS_SWAR
	while (end - p >= 8) {
		uint64_t x = js_load8(p);
		unsigned n = js_swar_ndigits(x);
		if (!n)
			return p;
		*v = *v * js_pow10[n] + js_swar_value(x, n);
		*nd += n;
		p += n;
		if (n < 8)
			return p;
	}
#endif
	while (p < end && is_digit(*p)) {
		*v = *v * 10 + (uint64_t)(*p++ - '0');
		(*nd)++;
	}
	return p;
}

int js_string(struct js *j, struct js_str *s)
{
	js_ws(j);
	if (kimp_unlikely(j->p >= j->end || *j->p != '"'))
		return -VD_E_SYNTAX;
	const uint8_t *p = ++j->p, *end = j->end;
	bool esc = false;
	for (;;) {
		/* the common case: a run of plain bytes */
#if JS_SWAR
		while (end - p >= 8) {
			unsigned n = swar_str_stop(js_load8(p));
			p += n;
			if (n < 8)
				break;
		}
#endif
		while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
			p++;
		if (kimp_unlikely(p >= end || *p < 0x20))
			goto bad;
		if (*p == '"')
			break;
		/* a backslash escape */
		esc = true;
		if (p + 1 >= end)
			goto bad;
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			p += 2;
			break;
		case 'u':
			if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) ||
			    !is_hex(p[5]))
				goto bad;
			p += 6;
			break;
		default:
			goto bad;
		}
	}
	s->p = (const char *)j->p;
	s->len = (uint32_t)(p - j->p);
	s->escaped = esc;
	j->p = p + 1;
	return 0;
bad:
	j->p = p;
	return -VD_E_SYNTAX;
}

/*
 * The extent of a JSON number at j->p (not consumed): its integer digits,
 * fraction digits and exponent. -VD_E_SYNTAX if it is not one.
 */
struct numtok {
	const uint8_t *ip, *fp;    /* first integer / fraction digit */
	uint32_t ilen, flen;
	int32_t exp;
	bool neg;
	const uint8_t *after;
};

static int num_scan(const uint8_t *p, const uint8_t *end, struct numtok *t)
{
	t->neg = false;
	if (p < end && *p == '-') {
		t->neg = true;
		p++;
	}
	t->ip = p;
	while (p < end && is_digit(*p))
		p++;
	t->ilen = (uint32_t)(p - t->ip);
	/* JSON: at least one digit, no leading zero before another digit */
	if (!t->ilen || (t->ilen > 1 && t->ip[0] == '0'))
		return -VD_E_SYNTAX;
	t->fp = p;
	t->flen = 0;
	if (p < end && *p == '.') {
		t->fp = ++p;
		while (p < end && is_digit(*p))
			p++;
		t->flen = (uint32_t)(p - t->fp);
		if (!t->flen)
			return -VD_E_SYNTAX;
	}
	t->exp = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		bool eneg = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		const uint8_t *e0 = p;
		int32_t e = 0;
		while (p < end && is_digit(*p)) {
			if (e < 100000)
				e = e * 10 + (*p - '0');
			p++;
		}
		if (p == e0)
			return -VD_E_SYNTAX;
		t->exp = eneg ? -e : e;
	}
	t->after = p;
	return 0;
}

/*
 * value * 10^dec as int64, exactly: the digit string (integer then fraction
 * digits) shifted by s = exp - flen + dec places. Digits shifted out must be
 * zeros (else the number is finer than the scale); the rest must fit.
 */
static int num_fixed(const struct numtok *t, unsigned dec, int64_t *out)
{
	int64_t s = (int64_t)t->exp - t->flen + dec;
	int64_t ndig = (int64_t)t->ilen + t->flen;
	int64_t keep = ndig + (s < 0 ? s : 0);   /* digits that stay */
	uint64_t v = 0;
	int64_t i = 0;

	for (; i < ndig; i++) {
		uint8_t c = i < t->ilen ? t->ip[i] : t->fp[i - t->ilen];
		unsigned d = c - '0';
		if (i >= keep) {
			if (d)
				return -VD_E_NUMBER;   /* finer than the scale */
			continue;
		}
		if (v > (UINT64_MAX - d) / 10)
			return -VD_E_NUMBER;
		v = v * 10 + d;
	}
	if (s > 0 && v) {
		if (s > 18)
			return -VD_E_NUMBER;
		uint64_t m = (uint64_t)pow10_i64[s];
		if (v > (uint64_t)INT64_MAX / m)
			return -VD_E_NUMBER;
		v *= m;
	}
	if (v > (uint64_t)INT64_MAX + t->neg)
		return -VD_E_NUMBER;
	*out = t->neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/*
 * The common case in one pass: at most 19 significant digits, an exponent
 * of at most 3 digits, a result that fits. True with *out and *after set;
 * false for anything else (a malformed number too), which the caller hands
 * to num_scan/num_fixed for the exact answer or error.
 */
static inline bool fixed_fast(const uint8_t *p, const uint8_t *end, unsigned dec, int64_t *out,
			      const uint8_t **after)
{
	bool neg = p < end && *p == '-';
	const uint8_t *d0, *f0;
	uint64_t v = 0;
	int32_t s = (int32_t)dec;
	uint32_t nd = 0;

	p += neg;
	d0 = p;
	p = digit_run(p, end, &v, &nd);
	if (kimp_unlikely(!nd || (nd > 1 && *d0 == '0')))
		return false;
	if (p < end && *p == '.') {
		f0 = ++p;
		p = digit_run(p, end, &v, &nd);
		if (kimp_unlikely(p == f0))
			return false;
		s -= (int32_t)(p - f0);
	}
	if (kimp_unlikely(nd > 19))       /* v may have wrapped: the slow path */
		return false;
	if (p < end && (*p | 0x20) == 'e') {
		bool eneg = false;
		int32_t e = 0;
		if (++p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		const uint8_t *e0 = p;
		while (p < end && is_digit(*p) && p - e0 < 3)
			e = e * 10 + (*p++ - '0');
		if (p == e0 || (p < end && is_digit(*p)))
			return false;
		s += eneg ? -e : e;
	}
	if (!v) {
		*out = 0;
	} else if (s >= 0) {
		if (s > 18 || v > js_scale_lim[s])
			return false;
		*out = (int64_t)(v * js_pow10[s]);
		if (neg)
			*out = -*out;
	} else {
		if (s < -19 || !div_exact(&v, (unsigned)-s))
			return false;
		*out = neg ? -(int64_t)v : (int64_t)v;   /* v < 10^19 / 10 */
	}
	*after = p;
	return true;
}

/* The wrong type here (a structure or literal), or broken JSON. */
static int not_a_number(const struct js *j)
{
	int c = j->p < j->end ? *j->p : 0;
	return c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n' ? -VD_E_SHAPE
									 : -VD_E_SYNTAX;
}

int js_fixed_str(const char *p, size_t len, unsigned dec, int64_t *out)
{
	struct numtok t;
	const uint8_t *b = (const uint8_t *)p, *e = b + len;
	if (dec > VENUE_DEC_MAX || num_scan(b, e, &t) || t.after != e)
		return -VD_E_NUMBER;
	return num_fixed(&t, dec, out);
}

/*
 * A number, bare (1.16539E8) or in a string ("0.00077720"), as fixed point
 * with 'dec' decimals. A string that is not a number is VD_E_NUMBER; a bare
 * token that is not a number is VD_E_SYNTAX (the message is broken).
 */
/* js_fixed for what the fast path did not take: the exact answer or error. */
static kimp_cold __attribute__((noinline)) int fixed_slow(struct js *j, unsigned dec,
							 int64_t *out)
{
	struct numtok t;
	int err;

	if (j->p < j->end && *j->p == '"') {
		const uint8_t *q = j->p + 1;
		if (num_scan(q, j->end, &t) || t.after >= j->end || *t.after != '"') {
			struct js_str s;
			err = js_string(j, &s);
			return err ? err : -VD_E_NUMBER;
		}
		if ((err = num_fixed(&t, dec, out)))
			return err;
		j->p = t.after + 1;
		return 0;
	}
	if (num_scan(j->p, j->end, &t))
		return not_a_number(j);   /* a structure or literal: the wrong type */
	if ((err = num_fixed(&t, dec, out)))
		return err;
	j->p = t.after;
	return 0;
}

int js_fixed(struct js *j, unsigned dec, int64_t *out)
{
	const uint8_t *after;
	int64_t v;

	js_ws(j);
	bool q = j->p < j->end && *j->p == '"';
	if (kimp_likely(dec <= VENUE_DEC_MAX) && fixed_fast(j->p + q, j->end, dec, &v, &after) &&
	    (!q || (after < j->end && *after == '"'))) {
		*out = v;
		j->p = after + q;
		return 0;
	}
	return fixed_slow(j, dec, out);
}

/*
 * An integer, bare or quoted, into magnitude and sign; the cursor is moved
 * only on success. Fractions and exponents are VD_E_NUMBER, and so is a
 * magnitude above UINT64_MAX.
 */
static int int_scan(struct js *j, uint64_t *mag, bool *neg)
{
	js_ws(j);
	bool quoted = j->p < j->end && *j->p == '"';
	const uint8_t *p = j->p + quoted, *end = j->end;
	struct numtok t;
	uint64_t v = 0;

	if (num_scan(p, end, &t))
		return quoted ? -VD_E_NUMBER : not_a_number(j);
	if (t.flen || t.exp)
		return -VD_E_NUMBER;
	for (uint32_t i = 0; i < t.ilen; i++) {
		unsigned d = t.ip[i] - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -VD_E_NUMBER;
		v = v * 10 + d;
	}
	p = t.after;
	if (quoted) {
		if (p >= end || *p != '"')
			return -VD_E_NUMBER;
		p++;
	}
	*mag = v;
	*neg = t.neg;
	j->p = p;
	return 0;
}

/* A non-negative integer, bare or quoted, kept exact up to UINT64_MAX. */
int js_u64(struct js *j, uint64_t *out)
{
	const uint8_t *p0 = j->p;
	uint64_t v;
	bool neg;
	int err = int_scan(j, &v, &neg);

	if (err)
		return err;
	if (neg) {
		j->p = p0;
		return -VD_E_NUMBER;
	}
	*out = v;
	return 0;
}

/* A signed integer, bare or quoted, INT64_MIN..INT64_MAX. */
int js_i64(struct js *j, int64_t *out)
{
	const uint8_t *p0 = j->p;
	uint64_t v;
	bool neg;
	int err = int_scan(j, &v, &neg);

	if (err)
		return err;
	if (v > (uint64_t)INT64_MAX + neg) {
		j->p = p0;
		return -VD_E_NUMBER;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* A number, bare or quoted, checked and stepped over (not converted). */
int js_number(struct js *j)
{
	struct numtok t;
	js_ws(j);
	if (j->p < j->end && *j->p == '"') {
		if (num_scan(j->p + 1, j->end, &t) || t.after >= j->end || *t.after != '"') {
			struct js_str s;
			int err = js_string(j, &s);
			return err ? err : -VD_E_NUMBER;
		}
		j->p = t.after + 1;
		return 0;
	}
	if (num_scan(j->p, j->end, &t))
		return not_a_number(j);
	j->p = t.after;
	return 0;
}

static int literal(struct js *j, const char *lit, size_t n)
{
	js_ws(j);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return -VD_E_SYNTAX;
	j->p += n;
	return 0;
}

int js_bool(struct js *j, bool *out)
{
	int c = js_peek(j);
	if (c == 't') {
		*out = true;
		return literal(j, "true", 4);
	}
	if (c == 'f') {
		*out = false;
		return literal(j, "false", 5);
	}
	return c == '"' || c == '{' || c == '[' || c == 'n' || c == '-' ||
	       (c >= '0' && c <= '9') ? -VD_E_SHAPE : -VD_E_SYNTAX;
}

int js_null(struct js *j)
{
	int c = js_peek(j);
	if (c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' || c == '-' ||
	    (c >= '0' && c <= '9'))
		return -VD_E_SHAPE;
	return literal(j, "null", 4);
}

static int skip_depth(struct js *j, unsigned depth)
{
	struct js_str s;
	bool first = true, done = false;
	int err, c = js_peek(j);

	switch (c) {
	case '"':
		return js_string(j, &s);
	case '{':
		if (depth >= JS_DEPTH_MAX)
			return -VD_E_SYNTAX;
		j->p++;
		for (;;) {
			if ((err = js_key(j, &s, &first, &done)))
				return err;
			if (done)
				return 0;
			if ((err = skip_depth(j, depth + 1)))
				return err;
		}
	case '[':
		if (depth >= JS_DEPTH_MAX)
			return -VD_E_SYNTAX;
		j->p++;
		for (;;) {
			if ((err = js_elem(j, &first, &done)))
				return err;
			if (done)
				return 0;
			if ((err = skip_depth(j, depth + 1)))
				return err;
		}
	case 't':
		return literal(j, "true", 4);
	case 'f':
		return literal(j, "false", 5);
	case 'n':
		return literal(j, "null", 4);
	default: {
		struct numtok t;
		if (num_scan(j->p, j->end, &t))
			return -VD_E_SYNTAX;
		j->p = t.after;
		return 0;
	}
	}
}

/* Skip one value of any type, checking it. */
int js_skip(struct js *j)
{
	return skip_depth(j, 0);
}
