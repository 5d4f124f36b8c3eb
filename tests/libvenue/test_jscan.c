/* SPDX-License-Identifier: MIT */
/*
 * libvenue/jscan: numbers into fixed point (bare, quoted, with exponents,
 * trailing zeros and long fractions, at the int64 limits, against an exact
 * reference on generated numbers, the inline fast paths against the full
 * ones), integers, literals, strings and their escapes, skipping with its
 * depth limit, object and array walking with their syntax errors.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../libvenue/jscan.h"

TestSuite(jscan);

/* Each value is scanned from an exact-size heap copy (ASan sees overreads). */
struct buf {
	char *p;
	size_t n;
};

static struct js js_of(struct buf *b, const char *s, size_t n)
{
	struct js j;

	b->p = malloc(n ? n : 1);
	cr_assert_not_null(b->p);
	memcpy(b->p, s, n);
	b->n = n;
	js_init(&j, b->p, n);
	return j;
}

/* js_fixed on s: its result; *v and *used (bytes consumed) on success. */
static int fixed(const char *s, unsigned dec, int64_t *v, size_t *used)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int64_t out = 0x1234;
	int e = js_fixed(&j, dec, &out);

	if (!e) {
		*v = out;
		if (used)
			*used = (size_t)(j.p - (const uint8_t *)b.p);
	} else {
		cr_assert_eq(out, 0x1234, "%s: the output is left alone on error", s);
	}
	free(b.p);
	return e;
}

static int64_t fixed_ok(const char *s, unsigned dec)
{
	int64_t v = 0;
	size_t used = 0;

	cr_assert_eq(fixed(s, dec, &v, &used), 0, "%s at %u decimals", s, dec);
	cr_assert_eq(used, strlen(s), "%s: all of it read", s);
	return v;
}

static int fixed_err(const char *s, unsigned dec)
{
	int64_t v;
	return fixed(s, dec, &v, NULL);
}

/* ---- js_fixed --------------------------------------------------------------- */

Test(jscan, fixed_plain_and_quoted)
{
	cr_assert_eq(fixed_ok("0", 0), 0);
	cr_assert_eq(fixed_ok("123", 0), 123);
	cr_assert_eq(fixed_ok("123", 8), 12300000000LL);
	cr_assert_eq(fixed_ok("\"123\"", 8), 12300000000LL);
	cr_assert_eq(fixed_ok("1.5", 1), 15);
	cr_assert_eq(fixed_ok("\"1.5\"", 4), 15000);
	cr_assert_eq(fixed_ok("  \t\r\n42", 0), 42);
	cr_assert_eq(fixed_ok("0.00077720", 8), 77720, "leading and trailing zeros");
	cr_assert_eq(fixed_ok("\"0.00077720\"", 8), 77720);
	cr_assert_eq(fixed_ok("106691000.00000000", 8), 10669100000000000LL);
	cr_assert_eq(fixed_ok("109847000.0", 8), 10984700000000000LL);
	cr_assert_eq(fixed_ok("137002000", 8), 13700200000000000LL);
}

Test(jscan, fixed_exponents)
{
	cr_assert_eq(fixed_ok("1.16539E8", 8), 11653900000000000LL);
	cr_assert_eq(fixed_ok("1.16539E8", 0), 116539000);
	cr_assert_eq(fixed_ok("7.9276E-4", 8), 79276);
	cr_assert_eq(fixed_ok("5.0E-4", 8), 50000);
	cr_assert_eq(fixed_ok("0E-8", 8), 0);
	cr_assert_eq(fixed_ok("0E-8", 0), 0);
	cr_assert_eq(fixed_ok("\"0E-8\"", 2), 0);
	cr_assert_eq(fixed_ok("1e2", 0), 100);
	cr_assert_eq(fixed_ok("1e+2", 0), 100);
	cr_assert_eq(fixed_ok("1E+02", 0), 100);
	cr_assert_eq(fixed_ok("1e-2", 2), 1);
	cr_assert_eq(fixed_ok("250e-2", 1), 25);
	cr_assert_eq(fixed_err("250e-2", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_ok("2.5e-1", 2), 25);
	cr_assert_eq(fixed_ok("-7.9276E-4", 8), -79276);
	cr_assert_eq(fixed_ok("0e999", 8), 0);
	cr_assert_eq(fixed_ok("0.0e-999999", 8), 0);
	cr_assert_eq(fixed_ok("1e18", 0), 1000000000000000000LL);
	cr_assert_eq(fixed_ok("1e-18", 18), 1);
	cr_assert_eq(fixed_err("1e-999", 8), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("1e19", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("1e99999999", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("7.9276E-4", 7), -VD_E_NUMBER);
}

Test(jscan, fixed_long_fractions)
{
	cr_assert_eq(fixed_ok("95078733694.3792000000000000", 4), 950787336943792LL);
	cr_assert_eq(fixed_ok("95078733694.3792000000000000", 7), 950787336943792000LL);
	cr_assert_eq(fixed_err("95078733694.3792000000000000", 3), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("95078733694.3792000000000000", 8), -VD_E_NUMBER, "overflow");
	cr_assert_eq(fixed_err("1386929.37231066771348207123", 8), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("1386929.37231066771348207123", 18), -VD_E_NUMBER,
		     "exact at 18 decimals would overflow");
	cr_assert_eq(fixed_err("0.37231066771348207123", 18), -VD_E_NUMBER);
	cr_assert_eq(fixed_ok("0.372310667713482071000", 18), 372310667713482071LL);
}

Test(jscan, fixed_negative_numbers)
{
	cr_assert_eq(fixed_ok("-1.5", 1), -15);
	cr_assert_eq(fixed_ok("\"-1.5\"", 1), -15);
	cr_assert_eq(fixed_ok("-0", 8), 0);
	cr_assert_eq(fixed_ok("-0.0", 8), 0);
	cr_assert_eq(fixed_ok("-0E-8", 8), 0);
	cr_assert_eq(fixed_ok("-137002000", 8), -13700200000000000LL);
}

Test(jscan, fixed_finer_than_the_scale)
{
	cr_assert_eq(fixed_err("0.123", 2), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("\"0.123\"", 2), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("1.5", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("0.000000001", 8), -VD_E_NUMBER);
	cr_assert_eq(fixed_ok("0.120", 2), 12, "trailing zeros past the scale are fine");
	cr_assert_eq(fixed_ok("1.50000000000000000000000", 1), 15);
}

Test(jscan, fixed_int64_limits)
{
	cr_assert_eq(fixed_ok("9223372036854775807", 0), INT64_MAX);
	cr_assert_eq(fixed_ok("92233720368.54775807", 8), INT64_MAX);
	cr_assert_eq(fixed_ok("9.223372036854775807E18", 0), INT64_MAX);
	cr_assert_eq(fixed_ok("-9223372036854775808", 0), INT64_MIN);
	cr_assert_eq(fixed_ok("-92233720368.54775808", 8), INT64_MIN);
	cr_assert_eq(fixed_err("9223372036854775808", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("92233720368.54775808", 8), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("-9223372036854775809", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("18446744073709551616", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("99999999999999999999999999", 0), -VD_E_NUMBER);
	cr_assert_eq(fixed_err("92233720368547758.08", 2), -VD_E_NUMBER);
}

Test(jscan, fixed_bad_grammar)
{
	static const char *const bare[] = { "01", "00", "-01", "1.", "1.e5", ".5", "1e", "1e+",
					    "1E-", "+1", "-", "--1", "-.5", "abc", "", "   ",
					    "Infinity", "NaN", "-x", ",", "}" };
	static const char *const quoted[] = { "\"01\"", "\"1.\"", "\".5\"", "\"1e\"", "\"+1\"",
					      "\" 1\"", "\"1 \"", "\"\"", "\"abc\"", "\"1.5x\"",
					      "\"0x10\"", "\"1\\u0030\"" };

	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++)
		cr_assert_eq(fixed_err(bare[i], 8), -VD_E_SYNTAX, "'%s'", bare[i]);
	for (size_t i = 0; i < sizeof(quoted) / sizeof(quoted[0]); i++)
		cr_assert_eq(fixed_err(quoted[i], 8), -VD_E_NUMBER, "'%s'", quoted[i]);
	/* the wrong type */
	cr_assert_eq(fixed_err("{}", 8), -VD_E_SHAPE);
	cr_assert_eq(fixed_err("[1]", 8), -VD_E_SHAPE);
	cr_assert_eq(fixed_err("true", 8), -VD_E_SHAPE);
	cr_assert_eq(fixed_err("false", 8), -VD_E_SHAPE);
	cr_assert_eq(fixed_err("null", 8), -VD_E_SHAPE);
	/* a broken string is broken JSON */
	cr_assert_eq(fixed_err("\"12", 8), -VD_E_SYNTAX);
	cr_assert_eq(fixed_err("\"1\\x\"", 8), -VD_E_SYNTAX);
}

Test(jscan, fixed_stops_after_the_number)
{
	int64_t v = 0;
	size_t used = 0;

	cr_assert_eq(fixed("12,", 0, &v, &used), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(used, 2);
	cr_assert_eq(fixed("0x10", 0, &v, &used), 0, "the token is 0; the caller sees x");
	cr_assert_eq(used, 1);
	cr_assert_eq(fixed("\"7\"}", 0, &v, &used), 0);
	cr_assert_eq(used, 3, "past the closing quote");
	cr_assert_eq(fixed("1.5e3]", 0, &v, &used), 0);
	cr_assert_eq(v, 1500);
	cr_assert_eq(used, 5);
}

Test(jscan, fixed_scale_limit)
{
	cr_assert_eq(fixed_ok("1", 18), 1000000000000000000LL);
	cr_assert_eq(fixed_ok("0", 30), 0);
	cr_assert_eq(fixed_err("1", 19), -VD_E_NUMBER);
	cr_assert_eq(fixed_ok("1e-19", 19), 1, "a scale above 18 still works when it fits");
}

Test(jscan, fixed_str)
{
	int64_t v;

	cr_assert_eq(js_fixed_str("1.5", 3, 1, &v), 0);
	cr_assert_eq(v, 15);
	cr_assert_eq(js_fixed_str("1.5xyz", 3, 2, &v), 0, "only len bytes");
	cr_assert_eq(v, 150);
	cr_assert_eq(js_fixed_str("7.9276E-4", 9, 8, &v), 0);
	cr_assert_eq(v, 79276);
	cr_assert_eq(js_fixed_str("1.5x", 4, 1, &v), -VD_E_NUMBER);
	cr_assert_eq(js_fixed_str(" 1.5", 4, 1, &v), -VD_E_NUMBER);
	cr_assert_eq(js_fixed_str("", 0, 1, &v), -VD_E_NUMBER);
	cr_assert_eq(js_fixed_str("01", 2, 1, &v), -VD_E_NUMBER);
	cr_assert_eq(js_fixed_str("1.25", 4, 1, &v), -VD_E_NUMBER);
	cr_assert_eq(js_fixed_str("1", 1, 19, &v), -VD_E_NUMBER, "scale above VENUE_DEC_MAX");
}

/* ---- js_fixed against an exact reference, and the inline path against it ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * The exact value of a valid JSON number s times 10^dec: 0 with *out, or
 * -VD_E_NUMBER (finer than the scale, or outside int64). String arithmetic
 * only: nothing shared with jscan.
 */
static int ref_fixed(const char *s, unsigned dec, int64_t *out)
{
	char dig[256];
	size_t nd = 0;
	long exp = 0;
	bool neg = *s == '-', frac = false;
	const char *p = s + neg;
	unsigned __int128 v = 0;

	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			frac = true;
			continue;
		}
		dig[nd++] = *p;
		if (frac)
			exp--;
	}
	if (*p)
		exp += strtol(p + 1, NULL, 10);
	exp += dec;
	if (exp < 0) {
		/* the last -exp digits go, and must be zeros */
		for (long k = 0; k < -exp; k++) {
			if (!nd)
				break;
			if (dig[--nd] != '0')
				return -VD_E_NUMBER;
		}
		exp = 0;
	}
	size_t i = 0;
	while (i < nd && dig[i] == '0')
		i++;
	if (i == nd) {
		*out = 0;
		return 0;
	}
	if ((long)(nd - i) + exp > 19)
		return -VD_E_NUMBER;
	for (; i < nd; i++)
		v = v * 10 + (unsigned)(dig[i] - '0');
	for (long k = 0; k < exp; k++)
		v *= 10;
	if (v > (unsigned __int128)INT64_MAX + neg)
		return -VD_E_NUMBER;
	*out = neg ? (int64_t)(0 - (uint64_t)v) : (int64_t)v;
	return 0;
}

/* A random valid JSON number, shaped like the venues' and worse. */
static void gen_number(char *s)
{
	char *p = s;
	unsigned ni = 1 + (unsigned)(rng() % (rng() % 4 ? 12 : 24));
	unsigned nf = rng() % 3 ? (unsigned)(rng() % (rng() % 4 ? 10 : 24)) : 0;
	unsigned zi = (unsigned)(rng() % 3), zf = (unsigned)(rng() % 4);

	if (rng() % 5 == 0)
		*p++ = '-';
	if (zi == 0 || ni == 1) {
		*p++ = rng() % 3 ? (char)('1' + rng() % 9) : '0';
		if (p[-1] == '0')
			ni = 1;
		for (unsigned k = 1; k < ni; k++)
			*p++ = (char)('0' + rng() % 10);
	} else {
		*p++ = (char)('1' + rng() % 9);
		for (unsigned k = 1; k < ni; k++)
			*p++ = (char)(k + zi >= ni ? '0' : '0' + rng() % 10);
	}
	if (nf) {
		*p++ = '.';
		for (unsigned k = 0; k < nf; k++)
			*p++ = (char)(k + zf >= nf ? '0' : '0' + rng() % 10);
	}
	if (rng() % 4 == 0) {
		*p++ = rng() % 2 ? 'e' : 'E';
		unsigned r = (unsigned)(rng() % 3);
		if (r == 1)
			*p++ = '+';
		else if (r == 2)
			*p++ = '-';
		p += sprintf(p, "%u", (unsigned)(rng() % (rng() % 8 ? 20 : 400)));
	}
	*p = '\0';
}

Test(jscan, fixed_matches_an_exact_reference)
{
	char num[128], text[256];
	unsigned ok = 0, refused = 0;

	for (unsigned it = 0; it < 200000; it++) {
		unsigned dec = (unsigned)(rng() % 19);
		int64_t want = 0, got = 0, got2 = 0;
		int ew, e;
		struct buf b;
		struct js j;

		gen_number(num);
		ew = ref_fixed(num, dec, &want);
		ew ? refused++ : ok++;

		/* bare, at the end of the input (the scalar paths) */
		j = js_of(&b, num, strlen(num));
		e = js_fixed(&j, dec, &got);
		cr_assert_eq(e, ew, "%s at %u: %d, want %d", num, dec, e, ew);
		if (!e) {
			cr_assert_eq(got, want, "%s at %u: %ld, want %ld", num, dec, (long)got,
				     (long)want);
			cr_assert_eq(js_end(&j), 0);
		}
		free(b.p);

		/* bare inside a message, through the inline path */
		snprintf(text, sizeof(text), "%s,\"next_key_padding_padding\":1}", num);
		j = js_of(&b, text, strlen(text));
		e = js_fixed_inline(&j, dec, &got2);
		cr_assert_eq(e, ew, "inline %s at %u: %d, want %d", num, dec, e, ew);
		if (!e) {
			cr_assert_eq(got2, want, "inline %s at %u", num, dec);
			cr_assert_eq(*j.p, ',', "inline %s: stops at the comma", num);
		}
		free(b.p);

		/* quoted */
		snprintf(text, sizeof(text), "\"%s\"", num);
		j = js_of(&b, text, strlen(text));
		e = js_fixed(&j, dec, &got);
		cr_assert_eq(e, ew, "\"%s\" at %u", num, dec);
		if (!e)
			cr_assert_eq(got, want);
		free(b.p);

		/* the whole-string form */
		e = js_fixed_str(num, strlen(num), dec, &got);
		cr_assert_eq(e, ew, "str %s at %u", num, dec);
		if (!e)
			cr_assert_eq(got, want);

		/* and the checker */
		snprintf(text, sizeof(text), "%s,\"next_key_padding_padding\":1}", num);
		j = js_of(&b, text, strlen(text));
		cr_assert_eq(js_number_inline(&j), 0, "%s", num);
		cr_assert_eq(*j.p, ',');
		free(b.p);
	}
	cr_assert_gt(ok, 50000, "the generator makes numbers that fit");
	cr_assert_gt(refused, 10000, "and numbers that do not");
}

/* The inline path moves the cursor only when it succeeds, like js_fixed. */
Test(jscan, fixed_inline_agrees_on_errors)
{
	static const char *const cases[] = {
		"01,\"padding_padding_padding_padding_padding\"", "1.,\"padding_padding_padding_padding\"",
		"\"abc\",\"padding_padding_padding_padding\"", "{},\"padding_padding_padding_padding\"",
		"1.5,\"padding_padding_padding_padding_padding\"", "1e,\"padding_padding_padding_padding\"",
		"12345678901234567890,\"padding_padding_padding_padding\"",
		"1234567890123456.5,\"padding_padding_padding_padding_pad\"",
		" 7,\"padding_padding_padding_padding_padding_padding\"",
		"\"7\",\"padding_padding_padding_padding_padding_padding\"",
		"7", "-", "",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b1, b2;
		struct js j1 = js_of(&b1, cases[i], strlen(cases[i]));
		struct js j2 = js_of(&b2, cases[i], strlen(cases[i]));
		int64_t v1 = 0, v2 = 0;
		int e1 = js_fixed(&j1, 0, &v1), e2 = js_fixed_inline(&j2, 0, &v2);

		cr_assert_eq(e1, e2, "%s", cases[i]);
		cr_assert_eq(v1, v2, "%s", cases[i]);
		cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p, "%s",
			     cases[i]);
		free(b1.p);
		free(b2.p);
	}
}

/*
 * Every amount of input left after the number (0 to 48 bytes): the inline
 * paths agree with the full ones, and read nothing past the end (ASan).
 */
Test(jscan, inline_paths_at_every_distance_from_the_end)
{
	static const char *const nums[] = {
		"0", "7", "-7", "123456789", "137002000", "1.16539E8", "7.9276E-4", "5.0E-4",
		"0.00077720", "106691000.00000000", "1234567890123456", "12345678901234567",
		"17877285547970000", "18446744073709551615", "0.1583673", "1e-2", "1E+12", "-0",
		"123456789012345.123", "1.123456789012345678", "01", "1.", "1e", "9e999",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		for (unsigned pad = 0; pad <= 48; pad++) {
			size_t n = strlen(nums[i]);
			memcpy(text, nums[i], n);
			for (unsigned k = 0; k < pad; k++)
				text[n + k] = k ? 'x' : ',';
			n += pad;
			for (unsigned dec = 0; dec <= 8; dec += 8) {
				struct buf b1, b2;
				struct js j1 = js_of(&b1, text, n), j2 = js_of(&b2, text, n);
				int64_t f1 = 1, f2 = 1;
				int e1 = js_fixed(&j1, dec, &f1), e2 = js_fixed_inline(&j2, dec, &f2);
				cr_assert_eq(e1, e2, "%s + %u at %u", nums[i], pad, dec);
				cr_assert_eq(f1, f2, "%s + %u at %u", nums[i], pad, dec);
				cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p);
				free(b1.p);
				free(b2.p);
			}
			{
				struct buf b1, b2;
				struct js j1 = js_of(&b1, text, n), j2 = js_of(&b2, text, n);
				uint64_t u1 = 1, u2 = 1;
				cr_assert_eq(js_u64(&j1, &u1), js_u64_inline(&j2, &u2), "%s + %u", nums[i],
					     pad);
				cr_assert_eq(u1, u2);
				cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p);
				free(b1.p);
				free(b2.p);
			}
			{
				struct buf b1, b2;
				struct js j1 = js_of(&b1, text, n), j2 = js_of(&b2, text, n);
				cr_assert_eq(js_number(&j1), js_number_inline(&j2), "%s + %u", nums[i], pad);
				cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p);
				free(b1.p);
				free(b2.p);
			}
		}
	}
}

Test(jscan, swar_digit_runs)
{
#if JS_SWAR
	static const struct {
		const char *s;
		unsigned n;
		uint64_t v;
	} cases[] = {
		{ "x1234567890123456789", 0, 0 },
		{ "1x234567890123456789", 1, 1 },
		{ "12345678x90123456789", 8, 12345678 },
		{ "123456789x0123456789", 9, 123456789 },
		{ "0000000000000001xxxx", 16, 1 },
		{ "9999999999999999999x", 16, 9999999999999999ull },
		{ "1234567/12345678", 7, 1234567 },
		{ "1234567:12345678", 7, 1234567 },
		{ "12\xff" "45678123456789", 2, 12 },
		{ "\xfa" "2345678123456789", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		cr_assert_eq(js_swar_run16((const uint8_t *)cases[i].s, &v), cases[i].n, "%s",
			     cases[i].s);
		cr_assert_eq(v, cases[i].v, "%s", cases[i].s);
		cr_assert_eq(js_swar_count16((const uint8_t *)cases[i].s), cases[i].n);
	}
	for (unsigned n = 0; n <= 8; n++) {
		char s[9] = "98765432";
		s[n < 8 ? n : 8] = n < 8 ? 'e' : '\0';
		uint64_t x = js_load8((const uint8_t *)"98765432");
		if (n < 8)
			memcpy(&x, s, 8);
		cr_assert_eq(js_swar_ndigits(x), n);
		uint64_t want = 0;
		for (unsigned k = 0; k < n; k++)
			want = want * 10 + (uint64_t)(s[k] - '0');
		cr_assert_eq(js_swar_value(x, n), want, "n %u", n);
	}
#endif
}

/* ---- integers -------------------------------------------------------------- */

static int u64(const char *s, uint64_t *v, size_t *used)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	const uint8_t *p0 = j.p;
	int e = js_u64(&j, v);

	*used = (size_t)(j.p - p0);
	if (e)
		cr_assert_eq(j.p, p0, "%s: the cursor stays on error", s);
	free(b.p);
	return e;
}

Test(jscan, u64_exact)
{
	uint64_t v;
	size_t used;

	cr_assert_eq(u64("0", &v, &used), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(u64("9007199254740993", &v, &used), 0);
	cr_assert_eq(v, 9007199254740993ull, "2^53 + 1, not rounded");
	cr_assert_eq(u64("17877285547970001", &v, &used), 0);
	cr_assert_eq(v, 17877285547970001ull);
	cr_assert_eq(u64("18446744073709551615", &v, &used), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(used, 20);
	cr_assert_eq(u64("\"18446744073709551615\"", &v, &used), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(used, 22);
	cr_assert_eq(u64(" 12}", &v, &used), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(used, 3);
}

Test(jscan, u64_refusals)
{
	uint64_t v;
	size_t used;

	cr_assert_eq(u64("18446744073709551616", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("99999999999999999999999", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("-1", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("-0", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("\"-1\"", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("1.0", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("1e3", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("\"x\"", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("\"12", &v, &used), -VD_E_NUMBER);
	cr_assert_eq(u64("01", &v, &used), -VD_E_SYNTAX);
	cr_assert_eq(u64("abc", &v, &used), -VD_E_SYNTAX);
	cr_assert_eq(u64("", &v, &used), -VD_E_SYNTAX);
	cr_assert_eq(u64("{}", &v, &used), -VD_E_SHAPE);
	cr_assert_eq(u64("[1]", &v, &used), -VD_E_SHAPE);
	cr_assert_eq(u64("true", &v, &used), -VD_E_SHAPE);
	cr_assert_eq(u64("null", &v, &used), -VD_E_SHAPE);
}

Test(jscan, u64_inline_agrees)
{
	static const char *const nums[] = {
		"0", "7", "1234567", "12345678", "123456789", "1234567890123456",
		"12345678901234567", "123456789012345678", "1234567890123456789",
		"12345678901234567890", "18446744073709551615", "18446744073709551616",
		"-1", "01", "1.5", "1e3", "1E3", "\"5\"", "x", "{}",
	};
	char text[128];

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		for (int pad = 0; pad < 2; pad++) {
			struct buf b1, b2;
			uint64_t v1 = 1, v2 = 1;
			snprintf(text, sizeof(text), "%s%s", nums[i],
				 pad ? ",\"padding_padding_padding_padding_padding_x\":1}" : "");
			struct js j1 = js_of(&b1, text, strlen(text));
			struct js j2 = js_of(&b2, text, strlen(text));
			int e1 = js_u64(&j1, &v1), e2 = js_u64_inline(&j2, &v2);
			cr_assert_eq(e1, e2, "%s", text);
			cr_assert_eq(v1, v2, "%s", text);
			cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p,
				     "%s", text);
			free(b1.p);
			free(b2.p);
		}
	}
	/* every length of digits from 1 to 20, inline against plain */
	for (unsigned n = 1; n <= 21; n++) {
		char d[32];
		for (unsigned k = 0; k < n; k++)
			d[k] = (char)('1' + (k * 7) % 9);
		d[n] = '\0';
		snprintf(text, sizeof(text), "%s,\"padding_padding_padding_padding_padding\"", d);
		struct buf b1, b2;
		uint64_t v1 = 1, v2 = 1;
		struct js j1 = js_of(&b1, text, strlen(text));
		struct js j2 = js_of(&b2, text, strlen(text));
		cr_assert_eq(js_u64(&j1, &v1), js_u64_inline(&j2, &v2), "%u digits", n);
		cr_assert_eq(v1, v2, "%u digits", n);
		cr_assert_eq(j1.p - (const uint8_t *)b1.p, j2.p - (const uint8_t *)b2.p);
		free(b1.p);
		free(b2.p);
	}
}

static int i64(const char *s, int64_t *v)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int e = js_i64(&j, v);

	if (!e)
		cr_assert_eq(js_end(&j), 0, "%s read whole", s);
	else
		cr_assert_eq(j.p, (const uint8_t *)b.p, "%s: the cursor stays on error", s);
	free(b.p);
	return e;
}

Test(jscan, i64_range_and_forms)
{
	int64_t v;

	cr_assert_eq(i64("-9223372036854775808", &v), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(i64("9223372036854775807", &v), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(i64("-1", &v), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(i64("\"-5\"", &v), 0, "quoted, signed");
	cr_assert_eq(v, -5);
	cr_assert_eq(i64("\"12\"", &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(i64("-0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(i64("9223372036854775808", &v), -VD_E_NUMBER);
	cr_assert_eq(i64("-9223372036854775809", &v), -VD_E_NUMBER);
	cr_assert_eq(i64("1.5", &v), -VD_E_NUMBER);
	cr_assert_eq(i64("1e2", &v), -VD_E_NUMBER);
	cr_assert_eq(i64("\"- 5\"", &v), -VD_E_NUMBER);
	cr_assert_eq(i64("- 5", &v), -VD_E_SYNTAX, "no space after the sign");
	cr_assert_eq(i64("-", &v), -VD_E_SYNTAX);
	cr_assert_eq(i64("--5", &v), -VD_E_SYNTAX);
	cr_assert_eq(i64("true", &v), -VD_E_SHAPE);
	cr_assert_eq(i64("[]", &v), -VD_E_SHAPE);
}

static int ms_ns(const char *s, int64_t *ns)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int e = js_ms_ns(&j, ns);

	free(b.p);
	return e;
}

Test(jscan, ms_to_ns)
{
	int64_t ns;

	cr_assert_eq(ms_ns("1787728554853", &ns), 0);
	cr_assert_eq(ns, 1787728554853000000LL);
	cr_assert_eq(ms_ns("\"1787728554853\"", &ns), 0);
	cr_assert_eq(ns, 1787728554853000000LL);
	cr_assert_eq(ms_ns("1787728554853,\"padding_padding_padding_padding_padding\"", &ns), 0);
	cr_assert_eq(ns, 1787728554853000000LL);
	cr_assert_eq(ms_ns("0", &ns), 0);
	cr_assert_eq(ns, 0);
	cr_assert_eq(ms_ns("-0", &ns), 0);
	cr_assert_eq(ns, 0);
	cr_assert_eq(ms_ns("9223372036854", &ns), 0);
	cr_assert_eq(ns, 9223372036854000000LL);
	cr_assert_eq(ms_ns("9223372036855", &ns), -VD_E_NUMBER);
	cr_assert_eq(ms_ns("-1", &ns), -VD_E_NUMBER);
	cr_assert_eq(ms_ns("\"-1\"", &ns), -VD_E_NUMBER);
	cr_assert_eq(ms_ns("1.5", &ns), -VD_E_NUMBER);
	cr_assert_eq(ms_ns("{}", &ns), -VD_E_SHAPE);
	cr_assert_eq(ms_ns("x", &ns), -VD_E_SYNTAX);
}

/* ---- literals and number checks ------------------------------------------------- */

static int boolean(const char *s, bool *v)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int e = js_bool(&j, v);

	if (!e)
		cr_assert_eq(js_end(&j), 0);
	free(b.p);
	return e;
}

Test(jscan, bool_and_null)
{
	bool v = false;
	struct buf b;
	struct js j;
	static const char *const not_null_shape[] = { "0", "-1", "\"null\"", "{}", "[]", "true",
						      "false" };

	cr_assert_eq(boolean("true", &v), 0);
	cr_assert(v);
	cr_assert_eq(boolean(" false", &v), 0);
	cr_assert(!v);
	cr_assert_eq(boolean("tru", &v), -VD_E_SYNTAX);
	cr_assert_eq(boolean("fals", &v), -VD_E_SYNTAX);
	cr_assert_eq(boolean("x", &v), -VD_E_SYNTAX);
	cr_assert_eq(boolean("", &v), -VD_E_SYNTAX);
	cr_assert_eq(boolean("\"true\"", &v), -VD_E_SHAPE);
	cr_assert_eq(boolean("1", &v), -VD_E_SHAPE);
	cr_assert_eq(boolean("null", &v), -VD_E_SHAPE);
	cr_assert_eq(boolean("{}", &v), -VD_E_SHAPE);

	j = js_of(&b, "null", 4);
	cr_assert_eq(js_null(&j), 0);
	cr_assert_eq(js_end(&j), 0);
	free(b.p);
	j = js_of(&b, "nul", 3);
	cr_assert_eq(js_null(&j), -VD_E_SYNTAX);
	free(b.p);
	j = js_of(&b, "x", 1);
	cr_assert_eq(js_null(&j), -VD_E_SYNTAX);
	free(b.p);
	for (size_t i = 0; i < sizeof(not_null_shape) / sizeof(not_null_shape[0]); i++) {
		j = js_of(&b, not_null_shape[i], strlen(not_null_shape[i]));
		cr_assert_eq(js_null(&j), -VD_E_SHAPE, "%s", not_null_shape[i]);
		free(b.p);
	}
}

static int number(const char *s, size_t *used, bool inl)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int e = inl ? js_number_inline(&j) : js_number(&j);

	*used = (size_t)(j.p - (const uint8_t *)b.p);
	free(b.p);
	return e;
}

Test(jscan, number_checks_without_converting)
{
	static const struct {
		const char *s;
		int err;
		size_t used;
	} cases[] = {
		{ "1.5e3,", 0, 5 },
		{ "1386929.37231066771348207123}", 0, 28 },
		{ "0E-8", 0, 4 },
		{ "-1e400", 0, 6 },
		{ "\"1.5\"", 0, 5 },
		{ "\"x\"", -VD_E_NUMBER, 0 },
		{ "\"1.5\\q\"", -VD_E_SYNTAX, 0 },
		{ "{}", -VD_E_SHAPE, 0 },
		{ "null", -VD_E_SHAPE, 0 },
		{ "01", -VD_E_SYNTAX, 0 },
		{ "1.", -VD_E_SYNTAX, 0 },
		{ "-", -VD_E_SYNTAX, 0 },
		{ "", -VD_E_SYNTAX, 0 },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t used;
		cr_assert_eq(number(cases[i].s, &used, false), cases[i].err, "%s", cases[i].s);
		if (!cases[i].err)
			cr_assert_eq(used, cases[i].used, "%s", cases[i].s);
		/* the inline form, with and without room after the number */
		cr_assert_eq(number(cases[i].s, &used, true), cases[i].err, "%s", cases[i].s);
		snprintf(text, sizeof(text), "%s,\"padding_padding_padding_padding_padding\"",
			 cases[i].s);
		cr_assert_eq(number(text, &used, true), cases[i].err, "%s", text);
	}
}

/* ---- strings ----------------------------------------------------------------- */

static int string(const char *s, size_t n, struct js_str *out, size_t *used)
{
	struct buf b;
	struct js j = js_of(&b, s, n);
	int e = js_string(&j, out);

	*used = (size_t)(j.p - (const uint8_t *)b.p);
	if (!e) {
		/* the slice points into the input: rebase it onto s for the caller */
		out->p = s + (out->p - b.p);
	}
	free(b.p);
	return e;
}

Test(jscan, string_slices)
{
	struct js_str s;
	size_t used;
	static const char esc[] = "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\\u00e9j\\uD83D\\uDE00\"";

	cr_assert_eq(string("\"abc\",", 6, &s, &used), 0);
	cr_assert_eq(s.len, 3);
	cr_assert(!memcmp(s.p, "abc", 3));
	cr_assert(!s.escaped);
	cr_assert_eq(used, 5);
	cr_assert_eq(string("  \"\"", 4, &s, &used), 0);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(string(esc, strlen(esc), &s, &used), 0);
	cr_assert(s.escaped);
	cr_assert_eq(s.len, strlen(esc) - 2, "raw bytes, escapes not decoded");
	cr_assert_eq(string("\"\xed\x95\x9c\xea\xb8\x80 \x7f\"", 10, &s, &used), 0,
		     "UTF-8 and DEL pass");
	cr_assert_eq(s.len, 8);
}

Test(jscan, string_refusals)
{
	struct js_str s;
	size_t used;
	static const char *const bad[] = {
		"\"abc", "\"abc\\", "\"a\\x\"", "\"a\\u00g9\"", "\"a\\u00e\"", "\"a\\u\"",
		"\"a\\U0041\"", "abc", "", "'abc'", "\"a\x01\"", "\"a\x1f\"", "\"a\n\"", "\"\t\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(string(bad[i], strlen(bad[i]), &s, &used), -VD_E_SYNTAX, "%zu", i);
	cr_assert_eq(string("\"a\0b\"", 5, &s, &used), -VD_E_SYNTAX, "a NUL byte");
}

/* The special byte at every offset of a long string (the 8-byte scan's edges). */
Test(jscan, string_every_offset)
{
	char s[64];
	struct js_str out;
	size_t used;

	for (unsigned len = 0; len < 40; len++) {
		/* a plain string of len bytes, ending exactly at the end of the input */
		s[0] = '"';
		for (unsigned k = 0; k < len; k++)
			s[1 + k] = (char)('a' + k % 26);
		s[1 + len] = '"';
		cr_assert_eq(string(s, len + 2, &out, &used), 0, "len %u", len);
		cr_assert_eq(out.len, len);
		cr_assert_eq(used, len + 2);
		cr_assert_eq(string(s, len + 1, &out, &used), -VD_E_SYNTAX, "unterminated %u", len);
		if (!len)
			continue;
		/* a control byte at the last position, then an escape there */
		s[len] = 0x02;
		cr_assert_eq(string(s, len + 2, &out, &used), -VD_E_SYNTAX, "control at %u", len);
		s[len] = '\\';
		cr_assert_eq(string(s, len + 2, &out, &used), -VD_E_SYNTAX, "\\\" at %u", len);
		s[len] = '\\';
		s[len + 1] = 'n';
		s[len + 2] = '"';
		cr_assert_eq(string(s, len + 3, &out, &used), 0, "escape at %u", len);
		cr_assert(out.escaped);
		cr_assert_eq(out.len, len + 1);
		s[len] = '"';
		cr_assert_eq(string(s, len + 3, &out, &used), 0, "early quote at %u", len);
		cr_assert_eq(out.len, len - 1);
		cr_assert(!out.escaped);
	}
}

/* ---- skipping, walking ------------------------------------------------------------- */

static int skip(const char *s, size_t *used)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	int e = js_skip(&j);

	*used = (size_t)(j.p - (const uint8_t *)b.p);
	free(b.p);
	return e;
}

Test(jscan, skip_nested_values)
{
	static const char v[] =
		"{\"a\":[1,{\"b\":null,\"c\":[true,false,\"x\\\"]\"]}],\"d\":-1.5e3,\"e\":{},"
		"\"f\":[],\"g\":\"}\"}";
	size_t used;

	cr_assert_eq(skip(v, &used), 0);
	cr_assert_eq(used, strlen(v));
	cr_assert_eq(skip("[1,2] 3", &used), 0);
	cr_assert_eq(used, 5, "one value only");
	cr_assert_eq(skip(" \"s\"", &used), 0);
	cr_assert_eq(used, 4);
	cr_assert_eq(skip("-0.5E+2x", &used), 0);
	cr_assert_eq(used, 7);
	cr_assert_eq(skip("null", &used), 0);
}

Test(jscan, skip_refusals)
{
	static const char *const bad[] = {
		"[1,]", "[1 2]", "[,1]", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"a\":1,}", "{,}",
		"tru", "nul", "fals", "[", "{", "{\"a\":1", "\"x", "", "]", "}", ",", "01", "1.",
		"[\"a\\q\"]", "{\"a\\q\":1}", "+1", "'a'",
	};
	size_t used;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(skip(bad[i], &used), -VD_E_SYNTAX, "'%s'", bad[i]);
}

static char *nest(unsigned n, bool obj)
{
	char *s = malloc(8 * n + 8), *p = s;

	for (unsigned i = 0; i < n; i++)
		p += sprintf(p, obj ? "{\"a\":" : "[");
	p += sprintf(p, "1");
	for (unsigned i = 0; i < n; i++)
		*p++ = obj ? '}' : ']';
	*p = '\0';
	return s;
}

Test(jscan, skip_depth_limit)
{
	size_t used;

	for (int obj = 0; obj < 2; obj++) {
		char *ok = nest(JS_DEPTH_MAX, obj), *deep = nest(JS_DEPTH_MAX + 1, obj);
		cr_assert_eq(skip(ok, &used), 0, "%d deep", JS_DEPTH_MAX);
		cr_assert_eq(used, strlen(ok));
		cr_assert_eq(skip(deep, &used), -VD_E_SYNTAX, "%d deep", JS_DEPTH_MAX + 1);
		free(ok);
		free(deep);
	}
	/* the limit bounds the stack too: a very deep value fails, not crashes */
	char *huge = nest(100000, false);
	cr_assert_eq(skip(huge, &used), -VD_E_SYNTAX);
	free(huge);
}

Test(jscan, key_and_elem_walking)
{
	static const char s[] = " { \"a\" : 1 , \"bb\":[2, 3 ],\"c\":{}} ";
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	struct js_str k;
	bool first = true, done = false;
	const char *keys[4];
	unsigned n = 0;
	int64_t v;

	cr_assert_eq(js_expect(&j, '{'), 0);
	for (;;) {
		cr_assert_eq(js_key(&j, &k, &first, &done), 0);
		if (done)
			break;
		keys[n++] = JS_IS(&k, "a") ? "a" : JS_IS(&k, "bb") ? "bb" : JS_IS(&k, "c") ? "c" : "?";
		if (JS_IS(&k, "bb")) {
			bool f2 = true, d2 = false;
			int64_t sum = 0;
			cr_assert_eq(js_expect(&j, '['), 0);
			for (;;) {
				cr_assert_eq(js_elem(&j, &f2, &d2), 0);
				if (d2)
					break;
				cr_assert_eq(js_fixed(&j, 0, &v), 0);
				sum += v;
			}
			cr_assert_eq(sum, 5);
		} else {
			cr_assert_eq(js_skip(&j), 0);
		}
	}
	cr_assert_eq(n, 3);
	cr_assert_str_eq(keys[0], "a");
	cr_assert_str_eq(keys[1], "bb");
	cr_assert_str_eq(keys[2], "c");
	cr_assert_eq(js_end(&j), 0);
	free(b.p);
}

/* Walk s as an object of skipped values: the first error, 0 when whole. */
static int walk_object(const char *s)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	struct js_str k;
	bool first = true, done = false;
	int e = js_expect(&j, '{');

	while (!e) {
		e = js_key(&j, &k, &first, &done);
		if (e || done)
			break;
		e = js_skip(&j);
	}
	if (!e)
		e = js_end(&j);
	free(b.p);
	return e;
}

static int walk_array(const char *s, unsigned *n)
{
	struct buf b;
	struct js j = js_of(&b, s, strlen(s));
	bool first = true, done = false;
	int e = js_expect(&j, '[');

	*n = 0;
	while (!e) {
		e = js_elem(&j, &first, &done);
		if (e || done)
			break;
		e = js_skip(&j);
		if (!e)
			(*n)++;
	}
	if (!e)
		e = js_end(&j);
	free(b.p);
	return e;
}

Test(jscan, walking_syntax_errors)
{
	static const char *const bad_obj[] = {
		"{,\"a\":1}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{a:1}", "{\"a\":1",
		"{\"a\"", "{\"a\":", "{", "{\"a\":1}}", "{\"a\":1} x", "[", "",
	};
	static const char *const bad_arr[] = { "[1,]", "[,1]", "[1 2]", "[1", "[", "[1]]", "{}" };
	unsigned n;

	cr_assert_eq(walk_object("{}"), 0);
	cr_assert_eq(walk_object(" { } "), 0);
	cr_assert_eq(walk_object("{\"a\":1,\"b\":{\"c\":[]}}"), 0);
	for (size_t i = 0; i < sizeof(bad_obj) / sizeof(bad_obj[0]); i++)
		cr_assert_eq(walk_object(bad_obj[i]), -VD_E_SYNTAX, "'%s'", bad_obj[i]);
	cr_assert_eq(walk_array("[]", &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(walk_array("[ 1 , [2] , {} ]", &n), 0);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < sizeof(bad_arr) / sizeof(bad_arr[0]); i++)
		cr_assert_eq(walk_array(bad_arr[i], &n), -VD_E_SYNTAX, "'%s'", bad_arr[i]);
}

Test(jscan, peek_accept_expect_end)
{
	struct buf b;
	struct js j = js_of(&b, " \t{ } \n", 7);

	cr_assert_eq(js_peek(&j), '{');
	cr_assert(!js_accept(&j, '['));
	cr_assert(js_accept(&j, '{'));
	cr_assert_eq(js_expect(&j, ']'), -VD_E_SYNTAX);
	cr_assert_eq(js_expect(&j, '}'), 0);
	cr_assert_eq(js_end(&j), 0);
	cr_assert_eq(js_peek(&j), 0, "0 at the end");
	cr_assert_eq(js_expect(&j, '}'), -VD_E_SYNTAX);
	free(b.p);
	j = js_of(&b, "{} x", 4);
	cr_assert_eq(js_skip(&j), 0);
	cr_assert_eq(js_end(&j), -VD_E_SYNTAX);
	free(b.p);
}
