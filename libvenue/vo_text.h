/* SPDX-License-Identifier: MIT */
/*
 * Text helpers the JSON order-entry modules share (binance_ord.c,
 * bybit_ord.c, okx_ord.c). Private to libvenue.
 *
 * Writing: struct vo_w, a bounded writer into a caller's buffer whose first
 * failure sticks (-ENOSPC when the buffer is full; a module may set its own
 * -EINVAL), with vw_put/VW_LIT/vw_str/vw_u64/vw_fixed for bytes, literals,
 * C strings, unsigned integers and fixed-point decimals.
 *
 * Reading: struct vo_v, a value bound to its bytes in the message being
 * parsed (a string's bytes between the quotes, a number's token, the span
 * of a container), read by bv_read, and turned into integers by bv_u64,
 * bv_ms_ns, bv_fixed (exact at dec decimals) and bv_round (finer digits
 * rounded up or to nearest). The bytes belong to the caller's message;
 * nothing is copied.
 *
 * Everything is static inline (the order build and event parse paths):
 * nothing here allocates, locks or makes a system call.
 */
#ifndef KIMP_LIBVENUE_VO_TEXT_H
#define KIMP_LIBVENUE_VO_TEXT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kimp/venue_ord.h"
#include "jscan.h"

#define VO_TEXT_NS_PER_MS 1000000ll

/* n > 0 bytes, every one a decimal digit. */
static inline bool vo_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* ---- writing ------------------------------------------------------------------------ */

struct vo_w {
	char *p, *end;          /* next byte, one past the buffer (the caller's) */
	int err;                /* sticky: the first failure */
};

/* n bytes of s, or the sticky -ENOSPC (p moves to the end). */
static inline void vw_put(struct vo_w *w, const void *s, size_t n)
{
	if (kimp_unlikely(n > (size_t)(w->end - w->p))) {
		if (!w->err)
			w->err = -ENOSPC;
		w->p = w->end;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
}

#define VW_LIT(w, s) vw_put((w), (s), sizeof(s) - 1)

static inline void vw_str(struct vo_w *w, const char *s)
{
	vw_put(w, s, strlen(s));
}

static inline void vw_u64(struct vo_w *w, uint64_t v)
{
	char t[24];

	vw_put(w, t, (size_t)vo_put_u64(t, v));
}

static inline void vw_fixed(struct vo_w *w, int64_t v, unsigned dec)
{
	char t[32];

	vw_put(w, t, (size_t)vo_put_fixed(t, v, dec));
}

/* ---- JSON values kept for later ------------------------------------------------------ */

enum vo_vt { BV_NONE = 0, BV_STR, BV_NUM, BV_NULL, BV_TRUE, BV_FALSE, BV_OBJ, BV_ARR };

/* A member's value: a string's bytes between the quotes, a number's token, a container. */
struct vo_v {
	const char *p;
	uint32_t len;
	uint8_t t;              /* enum vo_vt */
	bool esc;               /* a string with an escape */
};

/* Read the value at j into v; a member already seen is VD_E_SHAPE. */
static inline int bv_read(struct js *j, struct vo_v *v)
{
	const uint8_t *s;
	struct js_str str;
	bool b;
	int c, err;

	if (v->t != BV_NONE)
		return -VD_E_SHAPE;
	c = js_peek(j);
	s = j->p;
	switch (c) {
	case '"':
		err = js_string(j, &str);
		if (err)
			return err;
		v->p = str.p;
		v->len = str.len;
		v->esc = str.escaped;
		v->t = BV_STR;
		return 0;
	case '{':
	case '[':
		err = js_skip(j);
		v->t = c == '{' ? BV_OBJ : BV_ARR;
		break;
	case 't':
	case 'f':
		err = js_bool(j, &b);
		v->t = b ? BV_TRUE : BV_FALSE;
		break;
	case 'n':
		err = js_null(j);
		v->t = BV_NULL;
		break;
	default:
		err = js_number_inline(j);
		v->t = BV_NUM;
		break;
	}
	if (err) {
		v->t = BV_NONE;
		return err;
	}
	v->p = (const char *)s;
	v->len = (uint32_t)(j->p - s);
	return 0;
}

static inline bool bv_scalar(const struct vo_v *v)
{
	return v->t == BV_STR || v->t == BV_NUM;
}

static inline bool bv_is(const struct vo_v *v, const char *lit, size_t n)
{
	return v->t == BV_STR && v->len == n && !memcmp(v->p, lit, n);
}

#define BV_IS(v, lit) bv_is((v), lit, sizeof(lit) - 1)

/* A number or numeric string at dec decimals, exactly. */
static inline int bv_fixed(const struct vo_v *v, unsigned dec, int64_t *out)
{
	if (!bv_scalar(v))
		return -VD_E_SHAPE;
	return js_fixed_str(v->p, v->len, dec, out);
}

/*
 * The same, with digits finer than dec rounded (up: away from zero, else
 * to nearest) rather than refused: fees and quote sums come with the
 * venue's own decimals. Plain non-negative decimals only.
 */
static inline int bv_round(const struct vo_v *v, unsigned dec, bool up, int64_t *out)
{
	const char *p = v->p;
	size_t n = v->len, i = 0, f0;
	uint64_t x = 0;
	unsigned fd = 0;
	bool more = false, half = false, dropped = false;
	int err = bv_fixed(v, dec, out);

	if (err != -VD_E_NUMBER || v->esc)
		return err;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (x > ((uint64_t)INT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -VD_E_NUMBER;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	if (!i || i == n || p[i] != '.')
		return -VD_E_NUMBER;
	for (f0 = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (fd < dec) {
			if (x > ((uint64_t)INT64_MAX - d) / 10)
				return -VD_E_NUMBER;
			x = x * 10 + d;
			fd++;
			continue;
		}
		if (!dropped)
			half = d >= 5;
		dropped = true;
		more |= d != 0;
	}
	if (i == f0 || i != n)
		return -VD_E_NUMBER;
	for (; fd < dec; fd++) {
		if (x > INT64_MAX / 10)
			return -VD_E_NUMBER;
		x *= 10;
	}
	if ((up ? more : half) && x++ == INT64_MAX)
		return -VD_E_NUMBER;
	*out = (int64_t)x;
	return 0;
}

/* An unsigned integer, bare or quoted. */
static inline int bv_u64(const struct vo_v *v, uint64_t *out)
{
	uint64_t x = 0;

	if (!bv_scalar(v))
		return -VD_E_SHAPE;
	if (!vo_digits(v->p, v->len) || v->len > 20)
		return -VD_E_NUMBER;
	for (uint32_t i = 0; i < v->len; i++) {
		unsigned d = (unsigned)(v->p[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -VD_E_NUMBER;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/* Milliseconds since the epoch (bv_u64) as UTC ns. */
static inline int bv_ms_ns(const struct vo_v *v, int64_t *ns)
{
	uint64_t ms;
	int err = bv_u64(v, &ms);

	if (err)
		return err;
	if (ms > (uint64_t)(INT64_MAX / VO_TEXT_NS_PER_MS))
		return -VD_E_NUMBER;
	*ns = (int64_t)ms * VO_TEXT_NS_PER_MS;
	return 0;
}

#endif /* KIMP_LIBVENUE_VO_TEXT_H */
