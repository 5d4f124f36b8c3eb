/* SPDX-License-Identifier: MIT */
/*
 * A small validating JSON reader: see sim.h.
 *
 * jr_parse tokenises by recursive descent (depth at most 32, so the stack
 * stays small) into the caller's token array: a value's subtree follows it,
 * an object's members are key token then value subtree. Nothing allocates.
 * Decimals become 1e-8 fixed point without going through a double.
 */
#include <errno.h>
#include <string.h>
#include "sim.h"

#define JR_DEPTH_MAX 32

struct jr_parser {
	const char *s;
	uint32_t n, pos;
	struct jr_tok *tok;
	uint32_t cap, ntok;
};

static int jr_value(struct jr_parser *p, unsigned depth);

static void jr_ws(struct jr_parser *p)
{
	while (p->pos < p->n) {
		char c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		p->pos++;
	}
}

/* The next byte, or 0 at the end (a NUL inside the text is never valid there). */
static char jr_peek(const struct jr_parser *p)
{
	return p->pos < p->n ? p->s[p->pos] : 0;
}

static int jr_new(struct jr_parser *p, uint8_t type, uint32_t start)
{
	struct jr_tok *t;

	if (p->ntok >= p->cap)
		return -ENOBUFS;
	t = &p->tok[p->ntok];
	t->type = type;
	t->start = start;
	t->len = 0;
	t->size = 0;
	t->end = p->ntok + 1;
	return (int)p->ntok++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* An escape at s[i] (the byte after '\'): its length, or 0 when invalid. */
static uint32_t jr_escape_len(const char *s, uint32_t i, uint32_t n)
{
	if (i >= n)
		return 0;
	switch (s[i]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return 1;
	case 'u':
		if (n - i < 5)
			return 0;
		for (uint32_t k = 1; k <= 4; k++)
			if (hexval(s[i + k]) < 0)
				return 0;
		return 5;
	}
	return 0;
}

static int jr_string(struct jr_parser *p)
{
	uint32_t i = p->pos + 1;
	int t = jr_new(p, JR_STR, i);

	if (t < 0)
		return t;
	while (i < p->n && p->s[i] != '"') {
		unsigned char c = (unsigned char)p->s[i];

		if (c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			uint32_t el = jr_escape_len(p->s, i + 1, p->n);

			if (!el)
				return -EINVAL;
			i += el;
		}
		i++;
	}
	if (i >= p->n)
		return -EINVAL;         /* unterminated */
	p->tok[t].len = i - p->tok[t].start;
	p->pos = i + 1;
	return 0;
}

static uint32_t jr_digits(const char *s, uint32_t i, uint32_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jr_number(struct jr_parser *p)
{
	const char *s = p->s;
	uint32_t i = p->pos, n = p->n, d;
	int t = jr_new(p, JR_NUM, i);

	if (t < 0)
		return t;
	if (i < n && s[i] == '-')
		i++;
	d = jr_digits(s, i, n);
	if (d == i || (s[i] == '0' && d > i + 1))
		return -EINVAL;         /* no digits, or a leading zero */
	i = d;
	if (i < n && s[i] == '.') {
		d = jr_digits(s, i + 1, n);
		if (d == i + 1)
			return -EINVAL;
		i = d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = jr_digits(s, i, n);
		if (d == i)
			return -EINVAL;
		i = d;
	}
	p->tok[t].len = i - p->pos;
	p->pos = i;
	return 0;
}

static int jr_literal(struct jr_parser *p, const char *lit, uint8_t type)
{
	uint32_t l = (uint32_t)strlen(lit);
	int t;

	if (p->n - p->pos < l || memcmp(p->s + p->pos, lit, l))
		return -EINVAL;
	t = jr_new(p, type, p->pos);
	if (t < 0)
		return t;
	p->tok[t].len = l;
	p->pos += l;
	return 0;
}

/* One member: "key" : value. */
static int jr_member_parse(struct jr_parser *p, unsigned depth)
{
	int rc;

	jr_ws(p);
	if (jr_peek(p) != '"')
		return -EINVAL;
	rc = jr_string(p);
	if (rc)
		return rc;
	jr_ws(p);
	if (jr_peek(p) != ':')
		return -EINVAL;
	p->pos++;
	return jr_value(p, depth);
}

/* An object or array at p->pos; depth: containers around it. */
static int jr_container(struct jr_parser *p, unsigned depth, bool obj)
{
	char close = obj ? '}' : ']';
	int t, rc;

	if (depth >= JR_DEPTH_MAX)
		return -EINVAL;
	t = jr_new(p, obj ? JR_OBJ : JR_ARR, p->pos);
	if (t < 0)
		return t;
	p->pos++;
	jr_ws(p);
	if (jr_peek(p) != close) {
		for (;;) {
			rc = obj ? jr_member_parse(p, depth + 1) : jr_value(p, depth + 1);
			if (rc)
				return rc;
			p->tok[t].size++;
			jr_ws(p);
			if (jr_peek(p) != ',')
				break;
			p->pos++;
		}
		if (jr_peek(p) != close)
			return -EINVAL;
	}
	p->pos++;
	p->tok[t].len = p->pos - p->tok[t].start;
	p->tok[t].end = p->ntok;
	return 0;
}

static int jr_value(struct jr_parser *p, unsigned depth)
{
	jr_ws(p);
	switch (jr_peek(p)) {
	case '{':
		return jr_container(p, depth, true);
	case '[':
		return jr_container(p, depth, false);
	case '"':
		return jr_string(p);
	case 't':
		return jr_literal(p, "true", JR_TRUE);
	case 'f':
		return jr_literal(p, "false", JR_FALSE);
	case 'n':
		return jr_literal(p, "null", JR_NULL);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jr_number(p);
	}
	return -EINVAL;
}

int jr_parse(const char *src, size_t len, struct jr_tok *tok, uint32_t cap)
{
	struct jr_parser p = { .s = src, .n = (uint32_t)len, .tok = tok, .cap = cap };
	int rc;

	if (len >= UINT32_MAX || cap > INT32_MAX)
		return -EINVAL;
	rc = jr_value(&p, 0);
	if (rc)
		return rc;
	jr_ws(&p);
	if (p.pos != p.n)
		return -EINVAL;         /* trailing bytes */
	return (int)p.ntok;
}

/* ---- access --------------------------------------------------------------------- */

int jr_member(const struct jr_tok *tok, int obj, uint32_t i)
{
	uint32_t k;

	if (obj < 0 || tok[obj].type != JR_OBJ || i >= tok[obj].size)
		return -1;
	k = (uint32_t)obj + 1;
	while (i--)
		k = tok[k + 1].end;
	return (int)k;
}

int jr_get(const char *src, const struct jr_tok *tok, int obj, const char *k)
{
	uint32_t key;

	if (obj < 0 || tok[obj].type != JR_OBJ)
		return -1;
	key = (uint32_t)obj + 1;
	for (uint32_t m = 0; m < tok[obj].size; m++) {
		if (jr_eq(src, &tok[key], k))
			return (int)key + 1;
		key = tok[key + 1].end;
	}
	return -1;
}

int jr_at(const struct jr_tok *tok, int arr, uint32_t i)
{
	uint32_t e;

	if (arr < 0 || tok[arr].type != JR_ARR || i >= tok[arr].size)
		return -1;
	e = (uint32_t)arr + 1;
	while (i--)
		e = tok[e].end;
	return (int)e;
}

/* Four hex digits at s (checked by jr_parse). */
static uint32_t hex4(const char *s)
{
	return (uint32_t)(hexval(s[0]) << 12 | hexval(s[1]) << 8 | hexval(s[2]) << 4 |
			  hexval(s[3]));
}

static int utf8_put(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at s[*i] ('u'), with a following low surrogate when it is a high one. */
static int jr_unesc_u(const char *s, uint32_t *i, uint32_t end, char *o)
{
	uint32_t cp = hex4(s + *i + 1), lo;

	*i += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -1;              /* a low surrogate alone */
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - *i < 6 || s[*i] != '\\' || s[*i + 1] != 'u')
			return -1;
		lo = hex4(s + *i + 2);
		if (lo < 0xdc00 || lo > 0xdfff)
			return -1;
		*i += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return utf8_put(cp, o);
}

/* The next unescaped bytes of a string at s[*i] into o (up to 4): count or -1. */
static int jr_unesc(const char *s, uint32_t *i, uint32_t end, char *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;

	if (s[*i] != '\\') {
		o[0] = s[(*i)++];
		return 1;
	}
	(*i)++;
	if (s[*i] == 'u')
		return jr_unesc_u(s, i, end, o);
	c = strchr(from, s[*i]);
	if (!c || !*c)
		return -1;
	o[0] = to[c - from];
	(*i)++;
	return 1;
}

bool jr_eq(const char *src, const struct jr_tok *t, const char *s)
{
	uint32_t i = t->start, end = t->start + t->len;
	size_t j = 0;
	char o[4];

	if (t->type != JR_STR)
		return strlen(s) == t->len && !memcmp(src + t->start, s, t->len);
	if (!memchr(src + i, '\\', t->len))
		return strlen(s) == t->len && !memcmp(src + i, s, t->len);
	while (i < end) {
		int n = jr_unesc(src, &i, end, o);

		if (n < 0 || strncmp(s + j, o, (size_t)n) || memchr(o, 0, (size_t)n))
			return false;
		j += (size_t)n;
	}
	return s[j] == '\0';
}

int jr_str(const char *src, const struct jr_tok *t, char *out, size_t cap)
{
	uint32_t i = t->start, end = t->start + t->len;
	size_t o = 0;
	char b[4];

	if (t->type != JR_STR || !cap)
		return -1;
	while (i < end) {
		int n = jr_unesc(src, &i, end, b);

		if (n < 0 || cap - o <= (size_t)n)
			return -1;
		memcpy(out + o, b, (size_t)n);
		o += (size_t)n;
	}
	out[o] = '\0';
	return (int)o;
}

/* ---- numbers ---------------------------------------------------------------------- */

/* The significant digits of a decimal, without trailing zeros. */
struct fx_digits {
	unsigned __int128 acc;  /* the digits up to the last non-zero one */
	int64_t zeros;          /* zeros after that, not yet in acc */
	int64_t frac;           /* digits after the point */
	int64_t count;          /* digits seen */
	bool big;               /* acc passed FX_ACC_MAX: too many digits to keep */
};

#define FX_ACC_MAX ((unsigned __int128)1000000000000000000ull * 1000000000000000000ull)

static void fx_digit(struct fx_digits *f, unsigned d)
{
	if (!d) {
		if (f->acc || f->big)
			f->zeros++;
		return;
	}
	for (int64_t z = 0; !f->big && z <= f->zeros; z++) {
		f->acc *= 10;
		f->big = f->acc > FX_ACC_MAX;
	}
	if (!f->big)
		f->acc += d;
	f->zeros = 0;
}

static size_t fx_run(const char *s, size_t n, size_t i, struct fx_digits *f, bool frac)
{
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		fx_digit(f, (unsigned)(s[i] - '0'));
		f->count++;
		f->frac += frac;
	}
	return i;
}

/* [+-]digits at s[i], clamped far beyond any useful scale: index after, or 0. */
static size_t fx_exp(const char *s, size_t n, size_t i, int64_t *exp)
{
	bool neg = false;
	size_t b;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (b = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (*exp < 1000000)
			*exp = *exp * 10 + (s[i] - '0');
	if (i == b)
		return 0;
	if (neg)
		*exp = -*exp;
	return i;
}

/* digits x 10^(exp - frac + zeros) in 1e-8 units. */
static int fx_scale(const struct fx_digits *f, int64_t exp, bool neg, sim_fx *out)
{
	int64_t e = exp - f->frac + f->zeros + 8;
	unsigned __int128 v, lim = (unsigned __int128)INT64_MAX + neg;

	if (!f->acc && !f->big) {
		*out = 0;
		return 0;
	}
	if (e < 0)
		return -EDOM;   /* the last non-zero digit is below 1e-8 */
	if (f->big || e > 19 || f->acc > lim)
		return -ERANGE;
	v = f->acc;
	while (e--)
		v *= 10;
	if (v > lim)
		return -ERANGE;
	*out = neg ? -(sim_fx)(v - 1) - 1 : (sim_fx)v;
	return 0;
}

int sim_parse_fx(const char *s, size_t n, sim_fx *out)
{
	struct fx_digits f = { 0 };
	int64_t exp = 0;
	bool neg = false;
	size_t i = 0;

	if (n && s[0] == '-') {
		neg = true;
		i++;
	}
	i = fx_run(s, n, i, &f, false);
	if (!f.count)
		return -EINVAL;
	if (i < n && s[i] == '.') {
		int64_t before = f.count;

		i = fx_run(s, n, i + 1, &f, true);
		if (f.count == before)
			return -EINVAL;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i = fx_exp(s, n, i + 1, &exp);
		if (!i)
			return -EINVAL;
	}
	if (i != n)
		return -EINVAL;
	return fx_scale(&f, exp, neg, out);
}

int jr_fx(const char *src, const struct jr_tok *t, sim_fx *out)
{
	if (t->type != JR_NUM && t->type != JR_STR)
		return -EINVAL;
	return sim_parse_fx(src + t->start, t->len, out);
}

int jr_i64(const char *src, const struct jr_tok *t, int64_t *out)
{
	const char *s = src + t->start;
	uint32_t i = 0, n = t->len;
	uint64_t v = 0, lim;
	bool neg;

	if (t->type != JR_NUM && t->type != JR_STR)
		return -EINVAL;
	neg = n && s[0] == '-';
	i = neg;
	lim = (uint64_t)INT64_MAX + neg;
	if (i == n)
		return -EINVAL;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9)
			return -EINVAL;
		if (v > (lim - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
	if (neg && !v)
		*out = 0;
	return 0;
}
