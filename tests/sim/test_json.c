/* SPDX-License-Identifier: MIT */
/*
 * sim/jsonw.c and sim/jsonr.c. The writer's number forms are checked by
 * rebuilding real captures (upbit-orderbook, upbit-trade, binance
 * bookTicker, ...) from their parsed values, byte for byte; the reader
 * parses every upbit-* and binance-* capture and rejects each kind of
 * malformed input with its code.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/compiler.h"
#include "../../sim/sim.h"
#include "../testutil.h"

TestSuite(jsonw);
TestSuite(jsonr);

#define TOKS 8192

static struct jr_tok toks[TOKS];

/* ---- helpers ------------------------------------------------------------------ */

static char wbuf[65536];

/* The text a jw_* call sequence wrote (asserting it fit). */
#define JW(w, calls)                                                         \
	({                                                                   \
		jw_init(&(w), wbuf, sizeof(wbuf));                           \
		calls;                                                       \
		const char *r_ = jw_done(&(w));                              \
		cr_assert_not_null(r_, "jw overflowed");                     \
		r_;                                                          \
	})

static const char *fx_str(void (*fn)(struct jw *, sim_fx), sim_fx v)
{
	struct jw w;

	return JW(w, fn(&w, v));
}

static const char *fxd_str(sim_fx v, unsigned d)
{
	struct jw w;

	return JW(w, jw_fx(&w, v, d));
}

/* ---- rebuilding captures -------------------------------------------------------- */

/* How a capture writes a number (or a decimal string: the Q forms). */
enum form { F_I64, F_FX1, F_FX8, F_SHORT, F_JAVA, F_QFX8, F_QSHORT, F_NONE };

/* key: exact name, or "*suffix"; "*" alone matches every key. */
struct rule {
	const char *key;
	enum form f;
};

static bool key_match(const char *rule, const char *key)
{
	size_t rl = strlen(rule), kl = strlen(key);

	if (rule[0] != '*')
		return !strcmp(rule, key);
	return kl >= rl - 1 && !strcmp(key + kl - (rl - 1), rule + 1);
}

static enum form form_of(const struct rule *r, const char *key, bool quoted)
{
	for (; r->key; r++) {
		bool q = r->f == F_QFX8 || r->f == F_QSHORT;

		if (q == quoted && key_match(r->key, key))
			return r->f;
	}
	return quoted ? F_NONE : F_I64;
}

/* One number in form f: what the writer makes of the reader's value. */
static void emit_number(struct jw *w, const char *src, const struct jr_tok *t, enum form f,
			const char *key)
{
	struct jw n;
	char nb[64];
	int64_t i;
	sim_fx v;

	jw_init(&n, nb, sizeof(nb));
	if (f == F_I64) {
		cr_assert_eq(jr_i64(src, t, &i), 0, "%s: %.*s as int64", key, (int)t->len,
			     src + t->start);
		jw_i64(&n, i);
	} else {
		cr_assert_eq(jr_fx(src, t, &v), 0, "%s: %.*s as fx", key, (int)t->len,
			     src + t->start);
		if (f == F_FX1)
			jw_fx(&n, v, 1);
		else if (f == F_FX8 || f == F_QFX8)
			jw_fx(&n, v, 8);
		else if (f == F_JAVA)
			jw_fx_java(&n, v);
		else
			jw_fx_short(&n, v);
	}
	cr_assert_not_null(jw_done(&n));
	cr_expect(n.len == t->len && !memcmp(nb, src + t->start, t->len),
		  "%s: wrote %s for %.*s", key, nb, (int)t->len, src + t->start);
	if (f == F_QFX8 || f == F_QSHORT)
		jw_raw(w, "\"", 1);
	jw_raw(w, nb, n.len);
	if (f == F_QFX8 || f == F_QSHORT)
		jw_raw(w, "\"", 1);
}

/* Token i (under member 'key') back to JSON with jw_*: the index after it. */
static int emit(struct jw *w, const char *src, int i, const struct rule *r, const char *key)
{
	const struct jr_tok *t = &toks[i];
	char s[4096];

	switch (t->type) {
	case JR_OBJ:
		jw_raw(w, "{", 1);
		for (uint32_t m = 0; m < t->size; m++) {
			int k = jr_member(toks, i, m);

			cr_assert_geq(jr_str(src, &toks[k], s, sizeof(s)), 0);
			if (m)
				jw_raw(w, ",", 1);
			jw_key(w, s);
			emit(w, src, k + 1, r, s);
		}
		jw_raw(w, "}", 1);
		break;
	case JR_ARR:
		jw_raw(w, "[", 1);
		for (uint32_t e = 0; e < t->size; e++) {
			if (e)
				jw_raw(w, ",", 1);
			emit(w, src, jr_at(toks, i, e), r, key);
		}
		jw_raw(w, "]", 1);
		break;
	case JR_STR:
		if (form_of(r, key, true) != F_NONE) {
			emit_number(w, src, t, form_of(r, key, true), key);
			break;
		}
		cr_assert_geq(jr_str(src, t, s, sizeof(s)), 0);
		jw_str(w, s);
		break;
	case JR_NUM:
		emit_number(w, src, t, form_of(r, key, false), key);
		break;
	default:
		jw_raw(w, src + t->start, t->len);
	}
	return (int)t->end;
}

/* Rebuild line n of file with rules r; it must come out identical. */
static void rebuild(const char *file, unsigned n, const struct rule *r)
{
	char *line = test_fixture_line(file, n);
	struct jw w;
	const char *out;

	cr_assert_not_null(line, "%s line %u", file, n + 1);
	cr_assert_gt(jr_parse(line, strlen(line), toks, TOKS), 0, "%s:%u", file, n + 1);
	jw_init(&w, wbuf, sizeof(wbuf));
	emit(&w, line, 0, r, "");
	out = jw_done(&w);
	cr_assert_not_null(out);
	cr_expect_str_eq(out, line, "%s:%u rebuilt", file, n + 1);
	free(line);
}

/* The line of file holding 'needle', from 0; asserts there is one. */
static unsigned line_with(const char *file, const char *needle, unsigned from)
{
	for (unsigned i = from;; i++) {
		char *l = test_fixture_line(file, i);
		bool hit;

		cr_assert_not_null(l, "%s has a line with %s", file, needle);
		hit = strstr(l, needle) != NULL;
		free(l);
		if (hit)
			return i;
	}
}

/* Upbit DEFAULT orderbook (probe): prices as Java doubles, sizes 8 places. */
Test(jsonw, upbit_orderbook_java_prices)
{
	static const struct rule r[] = {
		{ "timestamp", F_I64 }, { "level", F_I64 }, { "*_price", F_JAVA },
		{ "*", F_FX8 }, { NULL, F_NONE },
	};
	unsigned first = line_with("upbit-orderbook.jsonl", "\"ask_price\":1.16539E8", 0);

	rebuild("upbit-orderbook.jsonl", first, r);
	rebuild("upbit-orderbook.jsonl",
		line_with("upbit-orderbook.jsonl", "\"ask_price\":1.16539E8", first + 1), r);
}

/* The official examples (DEFAULT and SIMPLE_LIST): shortest plain decimals. */
Test(jsonw, upbit_orderbook_short)
{
	static const struct rule r[] = {
		{ "timestamp", F_I64 }, { "tms", F_I64 }, { "level", F_I64 }, { "lv", F_I64 },
		{ "*", F_SHORT }, { NULL, F_NONE },
	};

	rebuild("upbit-orderbook.jsonl",
		line_with("upbit-orderbook.jsonl", "\"ask_price\":137002000,", 0), r);
	rebuild("upbit-orderbook.jsonl", line_with("upbit-orderbook.jsonl", "\"obu\":", 0), r);
}

Test(jsonw, upbit_trade)
{
	static const struct rule one[] = {
		{ "*timestamp", F_I64 }, { "sequential_id", F_I64 }, { "trade_price", F_FX1 },
		{ "prev_closing_price", F_FX1 }, { "change_price", F_FX1 }, { "*", F_SHORT },
		{ NULL, F_NONE },
	};
	static const struct rule eight[] = {
		{ "*timestamp", F_I64 }, { "sequential_id", F_I64 }, { "trade_price", F_FX8 },
		{ "prev_closing_price", F_FX8 }, { "change_price", F_FX8 }, { "*", F_SHORT },
		{ NULL, F_NONE },
	};

	rebuild("upbit-trade.jsonl", line_with("upbit-trade.jsonl", "109847000.0,", 0), one);
	rebuild("upbit-trade.jsonl", line_with("upbit-trade.jsonl", "3427000.0,", 0), one);
	rebuild("upbit-trade.jsonl", line_with("upbit-trade.jsonl", "106691000.00000000", 0),
		eight);
}

Test(jsonw, binance_book_ticker)
{
	static const struct rule r[] = {
		{ "b", F_QFX8 }, { "B", F_QFX8 }, { "a", F_QFX8 }, { "A", F_QFX8 },
		{ NULL, F_NONE },
	};
	char *l;
	unsigned n = 0;

	while ((l = test_fixture_line("binance-bookTicker.jsonl", n))) {
		free(l);
		rebuild("binance-bookTicker.jsonl", n++, r);
	}
	cr_expect_gt(n, 0);
}

Test(jsonw, binance_trade_short_strings)
{
	static const struct rule r[] = {
		{ "p", F_QSHORT }, { "q", F_QSHORT }, { NULL, F_NONE },
	};

	rebuild("binance-trade.jsonl", 0, r);
	rebuild("binance-trade.jsonl", 1, r);
}

/* Korean text passes through; a backslash in the text is escaped back. */
Test(jsonw, upbit_errors_strings)
{
	static const struct rule r[] = { { NULL, F_NONE } };
	char *l;
	unsigned n = 0;

	while ((l = test_fixture_line("upbit-errors.jsonl", n))) {
		free(l);
		rebuild("upbit-errors.jsonl", n++, r);
	}
	cr_expect_gt(n, 0);
}

/* ---- number forms -------------------------------------------------------------------- */

Test(jsonw, fx_fixed)
{
	cr_expect_str_eq(fxd_str(2535190000, 8), "25.35190000");
	cr_expect_str_eq(fxd_str(0, 8), "0.00000000");
	cr_expect_str_eq(fxd_str(0, 0), "0");
	cr_expect_str_eq(fxd_str(10984700000000000, 1), "109847000.0");
	cr_expect_str_eq(fxd_str(-150000000, 2), "-1.50");
	cr_expect_str_eq(fxd_str(123456789, 0), "1");
	cr_expect_str_eq(fxd_str(199999999, 2), "1.99", "truncated, not rounded");
	cr_expect_str_eq(fxd_str(-5, 2), "0.00", "no sign on a zero");
	cr_expect_str_eq(fxd_str(-5, 8), "-0.00000005");
	cr_expect_str_eq(fxd_str(1, 8), "0.00000001");
	cr_expect_str_eq(fxd_str(123, 12), "0.000001230000");
	cr_expect_str_eq(fxd_str(INT64_MAX, 8), "92233720368.54775807");
	cr_expect_str_eq(fxd_str(INT64_MIN, 8), "-92233720368.54775808");
}

Test(jsonw, fx_fixed_matches_reference)
{
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 20000; i++) {
		char ref[64];
		unsigned d = (unsigned)(i % 9);
		sim_fx v;
		uint64_t m, ip, fr;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (sim_fx)(x >> (i % 60));
		if (i & 1)
			v = -v;
		m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		ip = m / 100000000;
		fr = m % 100000000;
		for (unsigned k = d; k < 8; k++)
			fr /= 10;
		if (d)
			snprintf(ref, sizeof(ref), "%s%llu.%0*llu", v < 0 && (ip || fr) ? "-" : "",
				 (unsigned long long)ip, (int)d, (unsigned long long)fr);
		else
			snprintf(ref, sizeof(ref), "%s%llu", v < 0 && ip ? "-" : "",
				 (unsigned long long)ip);
		cr_assert_str_eq(fxd_str(v, d), ref, "%lld with %u decimals", (long long)v, d);
	}
}

Test(jsonw, fx_short)
{
	cr_expect_str_eq(fx_str(jw_fx_short, 554330), "0.0055433");
	cr_expect_str_eq(fx_str(jw_fx_short, 13700200000000000), "137002000");
	cr_expect_str_eq(fx_str(jw_fx_short, 0), "0");
	cr_expect_str_eq(fx_str(jw_fx_short, -150000000), "-1.5");
	cr_expect_str_eq(fx_str(jw_fx_short, 1), "0.00000001");
	cr_expect_str_eq(fx_str(jw_fx_short, 1000000000), "10");
	cr_expect_str_eq(fx_str(jw_fx_short, INT64_MAX), "92233720368.54775807");
	cr_expect_str_eq(fx_str(jw_fx_short, INT64_MIN), "-92233720368.54775808");
}

Test(jsonw, fx_java)
{
	static const struct {
		sim_fx v;
		const char *s;
	} c[] = {
		{ 11653900000000000, "1.16539E8" },     /* 116539000 */
		{ 13700200000000000, "1.37002E8" },
		{ 10984700000000000, "1.09847E8" },
		{ 2054761, "0.02054761" },
		{ 79276, "7.9276E-4" },
		{ 50000, "5.0E-4" },
		{ 100000000, "1.0" },
		{ 342700000000000, "3427000.0" },
		{ 100000, "0.001" },
		{ 99999, "9.9999E-4" },
		{ 1000000000000000, "1.0E7" },
		{ 999999999999999, "9999999.99999999" },
		{ 1, "1.0E-8" },
		{ 0, "0.0" },
		{ -50000000, "-0.5" },
		{ -11653900000000000, "-1.16539E8" },
		{ 10000000000, "100.0" },
		{ 12345678912345678, "1.2345678912345678E8" },   /* 17 digits: exact */
		{ INT64_MAX, "9.223372036854776E10" },            /* the nearest double */
		{ 4999999999999999999, "5.0E10" },                  /* rounds up */
		{ 123456789012345678, "1.2345678901234567E9" },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++)
		cr_expect_str_eq(fx_str(jw_fx_java, c[i].v), c[i].s, "%lld", (long long)c[i].v);
}

/* Up to 15 significant digits, the Java form reads back as the same value. */
Test(jsonw, fx_java_reads_back)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 20000; i++) {
		const char *s;
		sim_fx v, back;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (sim_fx)(x % 1000000000000000ull) / (sim_fx)(1ull << (i % 40));
		s = fx_str(jw_fx_java, v);
		cr_assert_eq(sim_parse_fx(s, strlen(s), &back), 0, "%s", s);
		cr_assert_eq(back, v, "%lld -> %s", (long long)v, s);
		cr_assert_eq(strchr(s, 'E') != NULL, v && (v < 100000 || v >= 1000000000000000),
			     "%s: exponent form only outside [1e-3, 1e7)", s);
	}
}

Test(jsonw, integers)
{
	static const int64_t iv[] = { 0, -1, 9, 10, 99, 100, -12345, INT64_MAX, INT64_MIN,
				      1000000000000000000, 17877285547970000 };
	static const uint64_t uv[] = { 0, 9, 10, UINT64_MAX, 10000000000000000000ull };
	char ref[32];
	struct jw w;

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(iv); i++) {
		snprintf(ref, sizeof(ref), "%lld", (long long)iv[i]);
		cr_expect_str_eq(JW(w, jw_i64(&w, iv[i])), ref);
	}
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(uv); i++) {
		snprintf(ref, sizeof(ref), "%llu", (unsigned long long)uv[i]);
		cr_expect_str_eq(JW(w, jw_u64(&w, uv[i])), ref);
	}
	for (uint64_t p = 1; p < UINT64_MAX / 10; p *= 10) {
		snprintf(ref, sizeof(ref), "%llu", (unsigned long long)(p - 1));
		cr_expect_str_eq(JW(w, jw_u64(&w, p - 1)), ref);
		snprintf(ref, sizeof(ref), "%llu", (unsigned long long)p);
		cr_expect_str_eq(JW(w, jw_u64(&w, p)), ref);
	}
}

Test(jsonw, escaping)
{
	struct jw w;

	cr_expect_str_eq(JW(w, jw_str(&w, "a\"b\\c/d")), "\"a\\\"b\\\\c/d\"");
	cr_expect_str_eq(JW(w, jw_str(&w, "\b\f\n\r\t")), "\"\\b\\f\\n\\r\\t\"");
	cr_expect_str_eq(JW(w, jw_str(&w, "\x01\x1f\x7f")), "\"\\u0001\\u001f\x7f\"");
	cr_expect_str_eq(JW(w, jw_str(&w, "티켓 é €")), "\"티켓 é €\"", "UTF-8 as is");
	cr_expect_str_eq(JW(w, jw_str(&w, "")), "\"\"");
	cr_expect_str_eq(JW(w, jw_key(&w, "k\"")), "\"k\\\"\":");
	cr_expect_str_eq(JW(w, (jw_lit(&w, "{"), jw_key(&w, "a"), jw_lit(&w, "null}"))),
			 "{\"a\":null}");
}

Test(jsonw, overflow)
{
	char b[8];
	struct jw w;

	jw_init(&w, b, sizeof(b));
	jw_lit(&w, "1234567");          /* 7 + NUL: exactly fits */
	cr_expect(!w.over);
	cr_expect_str_eq(jw_done(&w), "1234567");
	jw_init(&w, b, sizeof(b));
	jw_lit(&w, "12345678");         /* no room for the NUL */
	cr_expect(w.over);
	cr_expect_eq(w.len, 0, "the write is dropped whole");
	cr_expect_null(jw_done(&w));
	jw_init(&w, b, sizeof(b));
	jw_lit(&w, "1234");
	jw_i64(&w, 123456);
	cr_expect(w.over);
	jw_lit(&w, "5");                /* would fit, but the message is already broken */
	cr_expect_eq(w.len, 4);
	cr_expect_null(jw_done(&w));
	jw_init(&w, b, 0);
	cr_expect_null(jw_done(&w), "no room even for the NUL");
}

Test(jsonw, overflow_every_writer)
{
	char b[4];
	struct jw w;

#define OVER(call)                                                           \
	do {                                                                 \
		jw_init(&w, b, sizeof(b));                                   \
		call;                                                        \
		cr_expect(w.over, #call);                                    \
		cr_expect_null(jw_done(&w), #call);                          \
	} while (0)
	OVER(jw_raw(&w, "abcd", 4));
	OVER(jw_str(&w, "abc"));
	OVER(jw_str(&w, "\n\n"));
	OVER(jw_key(&w, "ab"));
	OVER(jw_i64(&w, -1234));
	OVER(jw_u64(&w, 1234));
	OVER(jw_fx(&w, 100000000, 8));
	OVER(jw_fx_short(&w, 12345));
	OVER(jw_fx_java(&w, 50000));
	OVER(jw_fx_java(&w, INT64_MAX));
#undef OVER
}

/* ---- reader --------------------------------------------------------------------------- */

static const char *fixture_dir(void)
{
	const char *d = getenv("KIMP_FIXTURES");

	return d ? d : "../shared/fixtures/venues";
}

static unsigned parse_all(const char *pattern)
{
	char path[600];
	glob_t g;
	unsigned lines = 0;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), pattern);
	cr_assert_eq(glob(path, 0, NULL, &g), 0, "fixtures %s", path);
	for (size_t f = 0; f < g.gl_pathc; f++) {
		const char *name = strrchr(g.gl_pathv[f], '/') + 1;
		char *l;

		for (unsigned i = 0; (l = test_fixture_line(name, i)); i++, lines++) {
			int n = jr_parse(l, strlen(l), toks, TOKS);

			cr_expect_gt(n, 0, "%s:%u: %d", name, i + 1, n);
			if (n > 0)
				cr_expect_eq(toks[0].end, (uint32_t)n, "%s:%u: root spans all",
					     name, i + 1);
			free(l);
		}
	}
	globfree(&g);
	return lines;
}

Test(jsonr, every_upbit_and_binance_capture)
{
	cr_expect_gt(parse_all("upbit-*.jsonl"), 0);
	cr_expect_gt(parse_all("binance-*.jsonl"), 0);
}

static int parse(const char *s)
{
	return jr_parse(s, strlen(s), toks, TOKS);
}

Test(jsonr, malformed_rejected)
{
	static const char *bad[] = {
		"", " ", "{", "[", "{\"a\":1", "[1,2", "\"abc", "{\"a\":\"b}",
		"[1,2,]", "{\"a\":1,}", "[,1]", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
		"{1:2}", "{\"a\":1 \"b\":2}", "[1 2]",
		"\"\\x\"", "\"\\u12G4\"", "\"\\u123\"", "\"\\", "\"a\tb\"", "\"a\nb\"",
		"01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10", "1.5.2", "NaN",
		"Infinity", "tru", "nul", "falsey", "True",
		"{\"a\":1} x", "[] []", "1 2", "{}}", "\"a\"\"b\"",
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(bad); i++)
		cr_expect_eq(parse(bad[i]), -EINVAL, "'%s'", bad[i]);
	cr_expect_eq(jr_parse("[1]\0", 4, toks, TOKS), -EINVAL, "a NUL after the value");
}

Test(jsonr, scalars_and_whitespace)
{
	static const struct {
		const char *s;
		uint8_t type;
	} ok[] = {
		{ "0", JR_NUM }, { "-0.5e-3", JR_NUM }, { "1E+2", JR_NUM }, { "true", JR_TRUE },
		{ "false", JR_FALSE }, { "null", JR_NULL }, { " \t\r\n\"x\" \n", JR_STR },
		{ "{}", JR_OBJ }, { "[]", JR_ARR }, { "[ ]", JR_ARR },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(ok); i++) {
		cr_expect_eq(parse(ok[i].s), 1, "'%s'", ok[i].s);
		cr_expect_eq(toks[0].type, ok[i].type, "'%s'", ok[i].s);
	}
	cr_assert_eq(parse(" \"x\\ny\" "), 1);
	cr_expect_eq(toks[0].start, 2);
	cr_expect_eq(toks[0].len, 4, "string tokens are the raw text inside the quotes");
}

Test(jsonr, truncated_captures_rejected)
{
	char *l = test_fixture_line("upbit-orderbook.jsonl", 0);
	size_t n;

	cr_assert_not_null(l);
	n = strlen(l);
	cr_assert_gt(jr_parse(l, n, toks, TOKS), 0);
	for (size_t cut = 0; cut < n; cut++)
		cr_assert_eq(jr_parse(l, cut, toks, TOKS), -EINVAL, "cut at %zu", cut);
	free(l);
}

static void nest(char *b, unsigned depth)
{
	memset(b, '[', depth);
	memset(b + depth, ']', depth);
	b[2 * depth] = '\0';
}

Test(jsonr, depth_limit)
{
	char b[100];

	nest(b, 32);
	cr_expect_eq(parse(b), 32, "32 levels");
	nest(b, 33);
	cr_expect_eq(parse(b), -EINVAL, "33 levels");
	cr_expect_eq(parse("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"),
		     -EINVAL, "33 levels, objects and arrays");
}

Test(jsonr, too_many_tokens)
{
	struct jr_tok t[4];

	cr_expect_eq(jr_parse("[1,2,3]", 7, t, 4), 4, "exactly enough");
	cr_expect_eq(jr_parse("[1,2,3,4]", 9, t, 4), -ENOBUFS);
	cr_expect_eq(jr_parse("{\"a\":1,\"b\":2}", 13, t, 4), -ENOBUFS, "keys are tokens");
	cr_expect_eq(jr_parse("1", 1, t, 0), -ENOBUFS);
	/* token offsets are 32-bit: refused before anything is read */
	cr_expect_eq(jr_parse("1", (size_t)UINT32_MAX, t, 4), -EINVAL);
	cr_expect_eq(jr_parse("1", 1, t, (uint32_t)INT32_MAX + 1), -EINVAL);
}

Test(jsonr, navigate_orderbook)
{
	char *l = test_fixture_line("upbit-orderbook.jsonl", 0);
	int units, u, k;
	char s[32];
	sim_fx v;

	cr_assert_not_null(l);
	cr_assert_gt(jr_parse(l, strlen(l), toks, TOKS), 0);
	k = jr_get(l, toks, 0, "code");
	cr_assert_geq(k, 0);
	cr_expect_eq(jr_str(l, &toks[k], s, sizeof(s)), 7);
	cr_expect_str_eq(s, "KRW-BTC");
	units = jr_get(l, toks, 0, "orderbook_units");
	cr_assert_geq(units, 0);
	cr_expect_eq(toks[units].type, JR_ARR);
	cr_expect_eq(toks[units].size, 30);
	u = jr_at(toks, units, 29);
	cr_assert_geq(u, 0);
	cr_assert_eq(jr_fx(l, &toks[jr_get(l, toks, u, "ask_price")], &v), 0);
	cr_expect_eq(v, 13713700000000000);
	cr_assert_eq(jr_fx(l, &toks[jr_get(l, toks, u, "bid_size")], &v), 0);
	cr_expect_eq(v, 31730166);
	cr_expect_eq(jr_at(toks, units, 30), -1, "past the end");
	cr_expect_eq(jr_at(toks, 0, 0), -1, "not an array");
	cr_expect_eq(jr_get(l, toks, units, "x"), -1, "not an object");
	cr_expect_eq(jr_get(l, toks, 0, "missing"), -1);
	cr_expect_eq(jr_get(l, toks, -1, "code"), -1);
	k = jr_member(toks, 0, 0);
	cr_expect(jr_eq(l, &toks[k], "type"));
	k = jr_member(toks, 0, toks[0].size - 1);
	cr_expect(jr_eq(l, &toks[k], "level"));
	cr_expect_eq(jr_member(toks, 0, toks[0].size), -1);
	cr_expect_eq(jr_member(toks, units, 0), -1, "not an object");
	free(l);
}

static int str_of(const char *json, char *out, size_t cap)
{
	cr_assert_eq(parse(json), 1, "%s", json);
	return jr_str(json, &toks[0], out, cap);
}

Test(jsonr, unescape)
{
	char o[64];

	cr_expect_eq(str_of("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", o, sizeof(o)), 12);
	cr_expect_str_eq(o, "a\"b\\c/d\b\f\n\r\t");
	cr_expect_eq(str_of("\"\\u00e9\\u20AC\"", o, sizeof(o)), 5);
	cr_expect_str_eq(o, "é€");
	cr_expect_eq(str_of("\"\\ud83d\\ude00!\"", o, sizeof(o)), 5, "a surrogate pair");
	cr_expect_str_eq(o, "\xf0\x9f\x98\x80!");
	cr_expect_eq(str_of("\"\\u0041\"", o, sizeof(o)), 1);
	cr_expect_str_eq(o, "A");
	cr_expect_eq(str_of("\"티켓\"", o, sizeof(o)), 6, "UTF-8 as is");
	cr_expect_eq(str_of("\"\\ud83d\"", o, sizeof(o)), -1, "high surrogate alone");
	cr_expect_eq(str_of("\"\\ud83dx\\ude00\"", o, sizeof(o)), -1, "high then not low");
	cr_expect_eq(str_of("\"\\ud83d\\u0041\"", o, sizeof(o)), -1, "high then not a surrogate");
	cr_expect_eq(str_of("\"\\ude00\"", o, sizeof(o)), -1, "low surrogate alone");
	cr_expect_eq(str_of("\"abcd\"", o, 5), 4, "exact fit");
	cr_expect_eq(str_of("\"abcd\"", o, 4), -1, "no room for the NUL");
	cr_expect_eq(str_of("\"\\u00e9\"", o, 2), -1, "a character does not fit");
	cr_expect_eq(str_of("\"\"", o, 1), 0);
	cr_expect_eq(str_of("\"\"", o, 0), -1, "no room at all");
	cr_assert_eq(parse("12"), 1);
	cr_expect_eq(jr_str("12", &toks[0], o, sizeof(o)), -1, "not a string");
}

Test(jsonr, eq_unescapes)
{
	static const char j[] = "{\"a\\u0062\":1,\"c\\\"\":2,\"plain\":3}";

	cr_assert_eq(parse(j), 7);
	cr_expect_eq(jr_get(j, toks, 0, "ab"), 2);
	cr_expect_eq(jr_get(j, toks, 0, "c\""), 4);
	cr_expect_eq(jr_get(j, toks, 0, "plain"), 6);
	cr_expect_eq(jr_get(j, toks, 0, "a\\u0062"), -1, "compares the value, not the text");
	cr_expect_eq(jr_get(j, toks, 0, "pla"), -1, "a prefix");
	cr_expect_eq(jr_get(j, toks, 0, "plainer"), -1, "longer");
	cr_expect(!jr_eq(j, &toks[1], "a"), "escaped key, shorter string");
	cr_expect(jr_eq(j, &toks[2], "1"), "a number compares as its text");
}

/* ---- numbers ------------------------------------------------------------------------- */

static int fx_of(const char *s, sim_fx *v)
{
	return sim_parse_fx(s, strlen(s), v);
}

Test(jsonr, parse_fx_literals)
{
	static const struct {
		const char *s;
		int rc;
		sim_fx v;
	} c[] = {
		{ "0", 0, 0 }, { "-0", 0, 0 }, { "0E-8", 0, 0 }, { "0e99999999", 0, 0 },
		{ "0.000000000000", 0, 0 }, { "1", 0, 100000000 }, { "0.1", 0, 10000000 },
		{ "1E-8", 0, 1 }, { "1e-9", -EDOM, 0 }, { "0.000000001", -EDOM, 0 },
		{ "0.100000000", 0, 10000000 }, { "7.9276E-4", 0, 79276 }, { "5.0E-4", 0, 50000 },
		{ "1.16539E8", 0, 11653900000000000 }, { "1E+2", 0, 10000000000 },
		{ "-2.5", 0, -250000000 }, { "007.50", 0, 750000000 },
		{ "92233720368.54775807", 0, INT64_MAX },
		{ "92233720368.54775808", -ERANGE, 0 },
		{ "-92233720368.54775808", 0, INT64_MIN },
		{ "-92233720368.54775809", -ERANGE, 0 },
		{ "9223372036854775807E-8", 0, INT64_MAX },
		{ "1.5e400", -ERANGE, 0 }, { "1e-99999999", -EDOM, 0 },
		{ "100000000000000000000000000000000000000000", -ERANGE, 0 },
		{ "1.00000000000000000000000000000000000000000", 0, 100000000 },
		{ "0.00000000000000000000000000000000000000001", -EDOM, 0 },
		{ "", -EINVAL, 0 }, { "-", -EINVAL, 0 }, { "1.", -EINVAL, 0 },
		{ ".5", -EINVAL, 0 }, { "1e", -EINVAL, 0 }, { "1e+", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 }, { " 1", -EINVAL, 0 }, { "1 ", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 }, { "1..2", -EINVAL, 0 }, { "abc", -EINVAL, 0 },
		{ "1e5.5", -EINVAL, 0 }, { "--1", -EINVAL, 0 },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		sim_fx v = 0x5eed;

		cr_expect_eq(fx_of(c[i].s, &v), c[i].rc, "'%s'", c[i].s);
		if (!c[i].rc)
			cr_expect_eq(v, c[i].v, "'%s': %lld", c[i].s, (long long)v);
		else
			cr_expect_eq(v, 0x5eed, "'%s': out untouched on error", c[i].s);
	}
}

/* The value of member 'key' in line n of file, as fixed point. */
static int fixture_fx(const char *file, unsigned n, const char *key, sim_fx *v)
{
	char *l = test_fixture_line(file, n);
	int rc, k;

	cr_assert_not_null(l, "%s:%u", file, n + 1);
	cr_assert_gt(jr_parse(l, strlen(l), toks, TOKS), 0);
	k = jr_get(l, toks, 0, key);
	cr_assert_geq(k, 0, "%s:%u has %s", file, n + 1, key);
	rc = jr_fx(l, &toks[k], v);
	free(l);
	return rc;
}

Test(jsonr, fixture_numbers_exact)
{
	unsigned ob = line_with("upbit-orderbook.jsonl", "1.16539E8", 0);
	unsigned tr = line_with("upbit-trade.jsonl", "106691000.00000000", 0);
	unsigned tk = line_with("upbit-ticker.jsonl", "78039261076.51241000", 0);
	unsigned tk2 = line_with("upbit-ticker.jsonl", "95078733694.3792000000000000", 0);
	char *l;
	sim_fx v;
	int k;

	cr_expect_eq(fixture_fx("upbit-orderbook.jsonl", ob, "total_ask_size", &v), 0);
	cr_expect(v == 251469375 || v == 183604250, "%lld", (long long)v);
	cr_expect_eq(fixture_fx("upbit-trade.jsonl", tr, "trade_price", &v), 0);
	cr_expect_eq(v, 10669100000000000);
	cr_expect_eq(fixture_fx("upbit-ticker.jsonl", tk, "acc_trade_price", &v), 0);
	cr_expect_eq(v, 7803926107651241000);
	cr_expect_eq(fixture_fx("upbit-ticker.jsonl", tk, "change_rate", &v), -EDOM,
		     "0.0126713295 has 10 places");
	cr_expect_eq(fixture_fx("upbit-ticker.jsonl", tk2, "acc_trade_price", &v), -ERANGE,
		     "95 billion does not fit in int64 1e-8 units");
	cr_expect_eq(fixture_fx("upbit-ticker.jsonl", tk2, "change_price", &v), 0);
	cr_expect_eq(v, 100000000000);
	cr_expect_eq(fixture_fx("upbit-myasset.jsonl", 0, "asset_timestamp", &v), -ERANGE);
	cr_expect_eq(fixture_fx("binance-bookTicker.jsonl", 0, "b", &v), 0, "a decimal string");
	cr_expect_eq(v, 2535190000);

	/* inside arrays: the first units of the 1.16539E8 line */
	l = test_fixture_line("upbit-orderbook.jsonl", ob);
	cr_assert_gt(jr_parse(l, strlen(l), toks, TOKS), 0);
	k = jr_at(toks, jr_get(l, toks, 0, "orderbook_units"), 0);
	cr_expect_eq(jr_fx(l, &toks[jr_get(l, toks, k, "ask_price")], &v), 0);
	cr_expect_eq(v, 11653900000000000, "1.16539E8");
	k = jr_at(toks, jr_get(l, toks, 0, "orderbook_units"), 1);
	cr_expect_eq(jr_fx(l, &toks[jr_get(l, toks, k, "ask_size")], &v), 0);
	cr_expect_eq(v, 77720, "0.00077720");
	free(l);

	/* myasset: 1386929.37231066771348207123 has 20 places */
	l = test_fixture_line("upbit-myasset.jsonl", 0);
	cr_assert_gt(jr_parse(l, strlen(l), toks, TOKS), 0);
	k = jr_at(toks, jr_get(l, toks, 0, "assets"), 0);
	cr_expect_eq(jr_fx(l, &toks[jr_get(l, toks, k, "balance")], &v), -EDOM);
	free(l);
}

Test(jsonr, ids_above_2_53)
{
	static const char *files[] = { "upbit-trade.jsonl", "bithumb-trade.jsonl" };
	unsigned seen = 0;

	for (unsigned f = 0; f < 2; f++) {
		char *l;

		for (unsigned i = 0; (l = test_fixture_line(files[f], i)); i++, free(l)) {
			char ref[32];
			int64_t id;
			int k;

			cr_assert_gt(jr_parse(l, strlen(l), toks, TOKS), 0);
			k = jr_get(l, toks, 0, "sequential_id");
			if (k < 0)
				continue;
			cr_assert_eq(jr_i64(l, &toks[k], &id), 0);
			snprintf(ref, sizeof(ref), "%lld", (long long)id);
			cr_expect(toks[k].len == strlen(ref) &&
				  !memcmp(l + toks[k].start, ref, toks[k].len),
				  "%s: %.*s read as %s", files[f], (int)toks[k].len,
				  l + toks[k].start, ref);
			seen++;
		}
	}
	cr_expect_geq(seen, 4);
}

Test(jsonr, i64)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} c[] = {
		{ "0", 0, 0 }, { "-0", 0, 0 }, { "17877285547970000", 0, 17877285547970000 },
		{ "9223372036854775807", 0, INT64_MAX }, { "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -ERANGE, 0 }, { "-9223372036854775809", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 }, { "1.0", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 }, { "-", -EINVAL, 0 }, { "\"\"", -EINVAL, 0 },
		{ "\"123\"", 0, 123 }, { "true", -EINVAL, 0 },
	};

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(c); i++) {
		int64_t v = 0x5eed;
		int n = parse(c[i].s);

		if (n < 0) {    /* "-" is not JSON: read the text as a string token */
			toks[0] = (struct jr_tok){ .type = JR_STR, .start = 0,
						   .len = (uint32_t)strlen(c[i].s) };
		}
		cr_expect_eq(jr_i64(c[i].s, &toks[0], &v), c[i].rc, "'%s'", c[i].s);
		if (!c[i].rc)
			cr_expect_eq(v, c[i].v, "'%s'", c[i].s);
		else
			cr_expect_eq(v, 0x5eed, "'%s': out untouched", c[i].s);
	}
}

Test(jsonr, fx_token_types)
{
	sim_fx v;

	cr_assert_eq(parse("[\"0.5\",0.5,true,null,{}]"), 6);
	cr_expect_eq(jr_fx("[\"0.5\",0.5,true,null,{}]", &toks[1], &v), 0);
	cr_expect_eq(v, 50000000);
	cr_expect_eq(jr_fx("[\"0.5\",0.5,true,null,{}]", &toks[2], &v), 0);
	cr_expect_eq(v, 50000000);
	cr_expect_eq(jr_fx("[\"0.5\",0.5,true,null,{}]", &toks[3], &v), -EINVAL);
	cr_expect_eq(jr_fx("[\"0.5\",0.5,true,null,{}]", &toks[4], &v), -EINVAL);
	cr_expect_eq(jr_fx("[\"0.5\",0.5,true,null,{}]", &toks[5], &v), -EINVAL);
	cr_assert_eq(parse("\"1\\u0030\""), 1);
	cr_expect_eq(jr_fx("\"1\\u0030\"", &toks[0], &v), -EINVAL, "escapes are not digits");
}
