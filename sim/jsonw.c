/* SPDX-License-Identifier: MIT */
/*
 * JSON writing with the venues' number formats: see sim.h.
 *
 * Every market message goes through here, so the number writers put their
 * digits straight into the buffer (two at a time from a table) and only the
 * rare Java form with more than 15 significant digits touches libc.
 *
 * A write that does not fit, counting a byte for the NUL jw_done adds, is
 * dropped whole and sets 'over'; every later write is dropped too.
 */
#include <stdlib.h>
#include <string.h>
#include "kimp/compiler.h"
#include "sim.h"

static const char dig2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const uint64_t pow10_u64[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* Room for n more bytes (and the NUL), or NULL with 'over' set. */
static inline char *jw_room(struct jw *w, size_t n)
{
	if (kimp_unlikely(w->over || w->cap - w->len <= n)) {
		w->over = true;
		return NULL;
	}
	return w->p + w->len;
}

/* Digits in v (at least 1). */
static inline unsigned u64_ndig(uint64_t v)
{
	unsigned n = 1;

	while (n < 20 && v >= pow10_u64[n])
		n++;
	return n;
}

/* Exactly n digits of v (zero-padded on the left) at p. */
static inline void u64_put(char *p, unsigned n, uint64_t v)
{
	char *e = p + n;

	while (e - p >= 2) {
		e -= 2;
		memcpy(e, dig2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (e > p)
		*--e = (char)('0' + v % 10);
}

static inline uint64_t fx_mag(sim_fx v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

void jw_raw(struct jw *w, const char *s, size_t n)
{
	char *p = jw_room(w, n);

	if (p) {
		memcpy(p, s, n);
		w->len += n;
	}
}

void jw_lit(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* 1: the byte needs an escape in a JSON string (controls, '"', '\'). */
static const uint8_t jw_esc[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
};

static void jw_escape(struct jw *w, unsigned char c)
{
	char e[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':  jw_raw(w, "\\\"", 2); return;
	case '\\': jw_raw(w, "\\\\", 2); return;
	case '\b': jw_raw(w, "\\b", 2); return;
	case '\f': jw_raw(w, "\\f", 2); return;
	case '\n': jw_raw(w, "\\n", 2); return;
	case '\r': jw_raw(w, "\\r", 2); return;
	case '\t': jw_raw(w, "\\t", 2); return;
	}
	e[4] = "0123456789abcdef"[c >> 4];
	e[5] = "0123456789abcdef"[c & 15];
	jw_raw(w, e, 6);
}

void jw_str(struct jw *w, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	jw_raw(w, "\"", 1);
	for (;;) {
		while (u[run] && !jw_esc[u[run]])
			run++;
		jw_raw(w, (const char *)u, run);
		if (!u[run])
			break;
		jw_escape(w, u[run]);
		u += run + 1;
		run = 0;
	}
	jw_raw(w, "\"", 1);
}

void jw_key(struct jw *w, const char *k)
{
	jw_str(w, k);
	jw_raw(w, ":", 1);
}

void jw_u64(struct jw *w, uint64_t v)
{
	unsigned n = u64_ndig(v);
	char *p = jw_room(w, n);

	if (p) {
		u64_put(p, n, v);
		w->len += n;
	}
}

void jw_i64(struct jw *w, int64_t v)
{
	uint64_t m = fx_mag(v);
	unsigned n = u64_ndig(m) + (v < 0);
	char *p = jw_room(w, n);

	if (p) {
		if (v < 0)
			*p = '-';
		u64_put(p + (v < 0), n - (v < 0), m);
		w->len += n;
	}
}

/*
 * The integer part ip, then '.' and fd fraction digits of fr (zero-padded
 * to fd), then zeros more zeros; the sign first when neg.
 */
static void jw_dec(struct jw *w, bool neg, uint64_t ip, uint64_t fr, unsigned fd,
		   unsigned zeros)
{
	unsigned in = u64_ndig(ip), n = neg + in + (fd + zeros ? 1 + fd + zeros : 0);
	char *p = jw_room(w, n);

	if (!p)
		return;
	if (neg)
		*p++ = '-';
	u64_put(p, in, ip);
	p += in;
	if (fd + zeros) {
		*p++ = '.';
		u64_put(p, fd, fr);
		memset(p + fd, '0', zeros);
	}
	w->len += n;
}

void jw_fx(struct jw *w, sim_fx v, unsigned decimals)
{
	uint64_t m = fx_mag(v), ip = m / SIM_SCALE, fr = m % SIM_SCALE;

	if (decimals <= 8) {
		fr /= pow10_u64[8 - decimals];  /* truncated toward zero */
		jw_dec(w, v < 0 && (ip || fr), ip, fr, decimals, 0);
		return;
	}
	jw_dec(w, v < 0, ip, fr, 8, decimals - 8);
}

/* fr (8 decimals) without its trailing zeros: the digits kept, their count. */
static unsigned frac_trim(uint64_t *fr)
{
	unsigned fd = 8;

	if (!*fr)
		return 0;
	while (*fr % 10 == 0) {
		*fr /= 10;
		fd--;
	}
	return fd;
}

void jw_fx_short(struct jw *w, sim_fx v)
{
	uint64_t m = fx_mag(v), ip = m / SIM_SCALE, fr = m % SIM_SCALE;
	unsigned fd = frac_trim(&fr);

	jw_dec(w, v < 0, ip, fr, fd, 0);
}

/*
 * Java's Double.toString layout for the significant digits d[0..nd) and
 * the decimal exponent e of d[0] (value = d.ddd x 10^e):
 * 10^-3 <= |x| < 10^7 plain with at least one fraction digit, else
 * d.dddE<e> with at least one digit after the point.
 */
static void java_emit(struct jw *w, bool neg, const char *d, unsigned nd, int e)
{
	char b[48], *p = b;

	if (neg)
		*p++ = '-';
	if (e >= -3 && e < 7) {
		if (e < 0) {
			memcpy(p, "0.000", 1 + (unsigned)-e);
			p += 1 + -e;
			memcpy(p, d, nd);
			p += nd;
		} else {
			for (int i = 0; i <= e; i++)
				*p++ = (unsigned)i < nd ? d[i] : '0';
			*p++ = '.';
			if (nd > (unsigned)e + 1) {
				memcpy(p, d + e + 1, nd - (unsigned)e - 1);
				p += nd - (unsigned)e - 1;
			} else {
				*p++ = '0';
			}
		}
	} else {
		unsigned ae = (unsigned)(e < 0 ? -e : e);

		*p++ = d[0];
		*p++ = '.';
		if (nd > 1) {
			memcpy(p, d + 1, nd - 1);
			p += nd - 1;
		} else {
			*p++ = '0';
		}
		*p++ = 'E';
		if (e < 0)
			*p++ = '-';
		u64_put(p, u64_ndig(ae), ae);
		p += u64_ndig(ae);
	}
	jw_raw(w, b, (size_t)(p - b));
}

/*
 * More than 15 significant digits: the double nearest the decimal may
 * print shorter. Java prints the shortest digits that read back as the
 * same double; find them the slow way (cold: no venue price or size has
 * that many digits).
 */
static kimp_cold unsigned java_shortest(uint64_t m, char *d, int *e)
{
	char txt[40], sci[40];
	struct jw t;
	double x;
	unsigned nd = 0;

	jw_init(&t, txt, sizeof(txt));
	jw_fx_short(&t, (sim_fx)m);
	x = strtod(jw_done(&t), NULL);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(sci, sizeof(sci), "%.*e", prec - 1, x);
		if (strtod(sci, NULL) == x)
			break;
	}
	for (const char *s = sci; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			d[nd++] = *s;
	*e = atoi(strchr(sci, 'e') + 1);
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	return nd;
}

void jw_fx_java(struct jw *w, sim_fx v)
{
	uint64_t m = fx_mag(v), sig = m;
	unsigned z = 0, nd;
	char d[24];
	int e;

	if (!m) {
		jw_raw(w, "0.0", 3);
		return;
	}
	while (sig % 10 == 0) {
		sig /= 10;
		z++;
	}
	nd = u64_ndig(sig);
	if (kimp_unlikely(nd > 15)) {
		nd = java_shortest(m, d, &e);
	} else {
		u64_put(d, nd, sig);
		e = (int)(nd - 1 + z) - 8;
	}
	java_emit(w, v < 0, d, nd, e);
}

const char *jw_done(struct jw *w)
{
	if (w->over || w->len >= w->cap) {
		w->over = true;
		return NULL;
	}
	w->p[w->len] = '\0';
	return w->p;
}
