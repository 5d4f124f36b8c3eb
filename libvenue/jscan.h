/* SPDX-License-Identifier: MIT */
/*
 * libvenue's JSON scanner, for the decoders only: a cursor over one message
 * that the decoder walks key by key, taking the values it needs straight
 * into fixed point, integers or string slices, and skipping (but checking)
 * the rest. No tree, no allocation, no strtod.
 *
 * Every function takes the cursor, advances it past what it read and
 * returns 0 or a negative enum vd_err (-VD_E_SYNTAX, -VD_E_NUMBER,
 * -VD_E_SHAPE); on error the cursor is left where the error was found.
 *
 * Checks: structure (brackets, commas, colons), string contents (no raw
 * control bytes, only JSON escapes), number grammar, literals, nesting depth
 * (JS_DEPTH_MAX), nothing but whitespace after the top value (js_end).
 */
#ifndef KIMP_LIBVENUE_JSCAN_H
#define KIMP_LIBVENUE_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/venue.h"

#define JS_DEPTH_MAX 32

struct js {
	const uint8_t *p;
	const uint8_t *end;
};

/* A string's raw bytes between the quotes (escapes not decoded). */
struct js_str {
	const char *p;
	uint32_t len;
	bool escaped;            /* it holds a backslash escape */
};

/*
 * p may be NULL with len 0 (an absent body: net_http_body of a 204): no
 * arithmetic on it then, NULL + 0 being undefined (found by fuzzing).
 */
static inline void js_init(struct js *j, const void *p, size_t len)
{
	j->p = p;
	j->end = len ? (const uint8_t *)p + len : j->p;
}

static inline void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' ||
				 *j->p == '\t'))
		j->p++;
}

/* The next non-space byte, or 0 at the end (not consumed). */
static inline int js_peek(struct js *j)
{
	js_ws(j);
	return j->p < j->end ? *j->p : 0;
}

/* Consume c (after spaces) or fail with VD_E_SYNTAX. */
static inline int js_expect(struct js *j, int c)
{
	js_ws(j);
	if (kimp_unlikely(j->p >= j->end || *j->p != c))
		return -VD_E_SYNTAX;
	j->p++;
	return 0;
}

/* Consume c if it is next; true if it was. */
static inline bool js_accept(struct js *j, int c)
{
	js_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* Only whitespace left. */
static inline int js_end(struct js *j)
{
	js_ws(j);
	return j->p == j->end ? 0 : -VD_E_SYNTAX;
}

int js_string(struct js *j, struct js_str *s);
int js_skip(struct js *j);
/*
 * Numbers, bare or quoted. A quoted value that is not a number is
 * VD_E_NUMBER; a structure or literal where a number belongs is VD_E_SHAPE;
 * a broken bare token is VD_E_SYNTAX. js_fixed: value * 10^dec exactly
 * (VD_E_NUMBER if finer than that or out of int64). js_u64 refuses a sign,
 * js_i64 takes INT64_MIN..INT64_MAX; neither takes fractions or exponents.
 * js_number checks a number and steps over it without converting it.
 */
int js_fixed(struct js *j, unsigned dec, int64_t *out);
int js_u64(struct js *j, uint64_t *out);
int js_i64(struct js *j, int64_t *out);
int js_number(struct js *j);
/* true / false / null; another value there is VD_E_SHAPE. */
int js_bool(struct js *j, bool *out);
int js_null(struct js *j);
/* The whole of p[0..len) as a number (no quotes); any fault is VD_E_NUMBER. */
int js_fixed_str(const char *p, size_t len, unsigned dec, int64_t *out);

/*
 * Object walking: after js_expect(j, '{'), call js_key until it returns 0
 * with *done set (the closing brace was read). Each call reads the comma
 * before the next member and the key with its colon.
 */
static inline int js_key(struct js *j, struct js_str *key, bool *first, bool *done)
{
	js_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		*done = true;
		return 0;
	}
	if (!*first) {
		if (js_expect(j, ','))
			return -VD_E_SYNTAX;
		js_ws(j);
	}
	*first = false;
	*done = false;
	int err = js_string(j, key);
	if (err)
		return err;
	return js_expect(j, ':');
}

/* Array walking, the same way: js_elem before every element. */
static inline int js_elem(struct js *j, bool *first, bool *done)
{
	js_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		*done = true;
		return 0;
	}
	*done = false;
	if (!*first && js_expect(j, ','))
		return -VD_E_SYNTAX;
	*first = false;
	return 0;
}

/* ---- inline fast paths for the decoders' hot loops ---------------------- */

extern const uint64_t js_pow10[20];      /* 10^0 .. 10^19 */
extern const uint64_t js_scale_lim[19];  /* INT64_MAX / 10^s */

static inline bool js_is_digit(uint8_t c)
{
	return (unsigned)(c - '0') < 10;
}

/*
 * Eight bytes at a time (SWAR): digit runs and plain string runs have
 * lengths the branch predictor cannot guess, so they are measured with bit
 * tricks, not byte loops. Byte 0 of a little-endian load is the first in
 * memory; carries and borrows only run towards later bytes, so the first
 * match found is exact.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JS_SWAR 1
#define JS_B8(c) (0x0101010101010101ULL * (uint8_t)(c))

static inline uint64_t js_load8(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

/* How many of the bytes of x are digits before the first other byte. */
static inline unsigned js_swar_ndigits(uint64_t x)
{
	uint64_t m = ((x & JS_B8(0xf0)) ^ JS_B8(0x30)) |
		     (((x + JS_B8(0x06)) & JS_B8(0xf0)) ^ JS_B8(0x30));
	uint64_t nz = (((m & JS_B8(0x7f)) + JS_B8(0x7f)) | m) & JS_B8(0x80);
	return nz ? (unsigned)__builtin_ctzll(nz) >> 3 : 8;
}

/* The value of the first n (0..8) bytes of x, all digits. */
static inline uint64_t js_swar_value(uint64_t x, unsigned n)
{
	unsigned sh = (8 - n) * 4;     /* two shifts: n = 0 shifts all out */
	x -= JS_B8('0');
	x = (x << sh) << sh;           /* as leading zero digits */
	x = x * 10 + (x >> 8);         /* pairs */
	return (((x & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32))) +
		(((x >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32)))) >> 32;
}

/*
 * The digits at p (16 bytes readable): how many (0..16), their value. The
 * second word is read only when the first is all digits.
 */
static inline unsigned js_swar_run16(const uint8_t *p, uint64_t *v)
{
	uint64_t x1 = js_load8(p), x2;
	unsigned n1 = js_swar_ndigits(x1), n2;

	*v = js_swar_value(x1, n1);
	if (kimp_likely(n1 < 8))
		return n1;
	x2 = js_load8(p + 8);
	n2 = js_swar_ndigits(x2);
	*v = *v * js_pow10[n2] + js_swar_value(x2, n2);
	return 8 + n2;
}

/* How many digits at p (16 bytes readable), 0..16. */
static inline unsigned js_swar_count16(const uint8_t *p)
{
	unsigned n = js_swar_ndigits(js_load8(p));
	return n < 8 ? n : 8 + js_swar_ndigits(js_load8(p + 8));
}
#else
#define JS_SWAR 0
#endif

/*
 * js_fixed, inline, for a bare number in the middle of a message: no
 * branches on its digit counts. Whatever it does not take (spaces, quotes,
 * 16 digits or more either side of the point, an exponent of 3 digits, a
 * scale that divides, fewer than 16 bytes left to load, any error) goes to
 * js_fixed, which gives the same answer: the cursor moves only on success.
 */
static inline __attribute__((always_inline)) int js_fixed_inline(struct js *j, unsigned dec,
								 int64_t *out)
{
#if JS_SWAR
	const uint8_t *p = j->p, *d;
	uint64_t v, vf;
	unsigned ni, nf = 0;
	int32_t s = (int32_t)dec;
	bool neg;

	if (kimp_unlikely(j->end - p < 17 || dec > VENUE_DEC_MAX))
		goto slow;
	neg = *p == '-';
	d = p += neg;
	ni = js_swar_run16(p, &v);
	if (kimp_unlikely(!ni || ni == 16 || (ni > 1 && *d == '0')))
		goto slow;
	p += ni;                       /* at most d + 15: still inside */
	if (*p == '.') {
		if (kimp_unlikely(j->end - ++p < 16))
			goto slow;
		nf = js_swar_run16(p, &vf);
		if (kimp_unlikely(!nf || nf == 16 || ni + nf > 19))
			goto slow;
		p += nf;
		v = v * js_pow10[nf] + vf;
		s -= (int32_t)nf;
	}
	if ((*p | 0x20) == 'e') {
		bool eneg;
		int32_t e;
		if (kimp_unlikely(j->end - p < 5))
			goto slow;
		eneg = p[1] == '-';
		p += 1 + (p[1] == '-' || p[1] == '+');
		if (!js_is_digit(*p))
			goto slow;
		e = *p++ - '0';
		if (js_is_digit(*p))
			e = e * 10 + (*p++ - '0');
		if (js_is_digit(*p))
			goto slow;
		s += eneg ? -e : e;
	}
	if (v) {
		if (kimp_unlikely(s < 0 || s > 18 || v > js_scale_lim[s]))
			goto slow;
		v *= js_pow10[s];
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	j->p = p;
	return 0;
slow:
#endif
	return js_fixed(j, dec, out);
}

/*
 * js_u64, inline, for a bare integer in the middle of a message (ids and
 * millisecond times): the same answers, anything unusual to js_u64.
 */
static inline __attribute__((always_inline)) int js_u64_inline(struct js *j, uint64_t *out)
{
#if JS_SWAR
	const uint8_t *p = j->p;
	uint64_t v, v2;
	unsigned n, n2;

	if (kimp_unlikely(j->end - p < 16))
		goto slow;
	n = js_swar_run16(p, &v);
	if (kimp_unlikely(!n || (n > 1 && *p == '0')))
		goto slow;
	if (n == 16) {
		if (j->end - p < 32)
			goto slow;
		n2 = js_swar_run16(p + 16, &v2);
		if (n2 > 3)
			goto slow;                 /* 20 digits and more: js_u64 */
		v = v * js_pow10[n2] + v2;     /* below 10^19 */
		n += n2;
	}
	p += n;
	if (kimp_unlikely(*p == '.' || (*p | 0x20) == 'e'))
		goto slow;
	*out = v;
	j->p = p;
	return 0;
slow:
#endif
	return js_u64(j, out);
}

/* js_number, inline, for a bare number in the middle of a message. */
static inline __attribute__((always_inline)) int js_number_inline(struct js *j)
{
#if JS_SWAR
	const uint8_t *p = j->p;
	unsigned n;

	if (kimp_unlikely(j->end - p < 17))
		goto slow;
	p += *p == '-';
	n = js_swar_count16(p);
	if (kimp_unlikely(!n || n == 16 || (n > 1 && *p == '0')))
		goto slow;
	p += n;
	if (*p == '.') {
		if (kimp_unlikely(j->end - ++p < 16))
			goto slow;
		n = js_swar_count16(p);
		if (kimp_unlikely(!n || n == 16))
			goto slow;
		p += n;
	}
	if (kimp_unlikely((*p | 0x20) == 'e'))
		goto slow;
	j->p = p;
	return 0;
slow:
#endif
	return js_number(j);
}

static inline bool js_str_eq(const struct js_str *s, const char *lit, size_t n)
{
	return s->len == n && !memcmp(s->p, lit, n);
}

#define JS_IS(s, lit) js_str_eq((s), lit, sizeof(lit) - 1)

/*
 * Milliseconds since the epoch, as UTC ns; VD_E_NUMBER if it is negative or
 * overflows.
 */
static inline int js_ms_ns(struct js *j, int64_t *ns)
{
	uint64_t ms;
	int err = js_u64_inline(j, &ms);
	if (kimp_unlikely(err)) {
		int64_t sms;               /* -0, or the error js_i64 gives */
		if ((err = js_i64(j, &sms)))
			return err;
		if (sms < 0)
			return -VD_E_NUMBER;
		ms = (uint64_t)sms;
	}
	if (ms > INT64_MAX / 1000000)
		return -VD_E_NUMBER;
	*ns = (int64_t)ms * 1000000;
	return 0;
}

#endif
