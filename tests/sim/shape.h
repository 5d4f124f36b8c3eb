/* SPDX-License-Identifier: MIT */
/*
 * Does a message exsim wrote look like a real capture? json_same_shape
 * compares two JSON documents' shapes, not their values:
 *
 *   - objects: the same set of keys (order aside), each compared in turn;
 *   - arrays: the first elements compared (when both have one);
 *   - types: string, number, bool, object, array; null matches anything
 *     (a capture's null is "no value here", e.g. Binance's N);
 *   - numbers: integer (no '.', no exponent) vs real (with either);
 *   - strings holding a plain decimal ("25.35190000"): a decimal string on
 *     both sides, and with SHAPE_DECIMALS the same number of places.
 *
 * On a difference, why says where ("$.data.b[0][1]: decimal places 8 vs 2").
 */
#ifndef KIMP_TEST_SHAPE_H
#define KIMP_TEST_SHAPE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "../../sim/sim.h"

#define SHAPE_DECIMALS 1u   /* decimal strings must have the same places */
#define SHAPE_TOKENS   8192

enum shape_num { SHAPE_INT, SHAPE_REAL };

static inline enum shape_num shape_num_kind(const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] == '.' || p[i] == 'e' || p[i] == 'E')
			return SHAPE_REAL;
	return SHAPE_INT;
}

/* A plain decimal string: -?digits(.digits)?; its places into *places. */
static inline bool shape_decstr(const char *p, uint32_t n, int *places)
{
	uint32_t i = 0, digits = 0;

	*places = -1;
	if (i < n && p[i] == '-')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		digits++;
	if (!digits)
		return false;
	if (i == n) {
		*places = 0;
		return true;
	}
	if (p[i++] != '.')
		return false;
	*places = 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		(*places)++;
	return i == n && *places > 0;
}

static inline bool shape_cmp(const char *a, const struct jr_tok *ta, int ia, const char *b,
			     const struct jr_tok *tb, int ib, unsigned flags, char *path,
			     size_t plen, char *why, size_t whylen)
{
	const struct jr_tok *x = &ta[ia], *y = &tb[ib];
	size_t base = strlen(path);

	if (x->type == JR_NULL || y->type == JR_NULL)
		return true;
	if ((x->type == JR_TRUE || x->type == JR_FALSE) &&
	    (y->type == JR_TRUE || y->type == JR_FALSE))
		return true;
	if (x->type != y->type) {
		snprintf(why, whylen, "%s: type %u in the capture, %u in ours", path, x->type,
			 y->type);
		return false;
	}
	switch (x->type) {
	case JR_NUM:
		if (shape_num_kind(a + x->start, x->len) != shape_num_kind(b + y->start, y->len)) {
			snprintf(why, whylen, "%s: number '%.*s' in the capture, '%.*s' in ours",
				 path, (int)x->len, a + x->start, (int)y->len, b + y->start);
			return false;
		}
		return true;
	case JR_STR: {
		int pa, pb;
		bool da = shape_decstr(a + x->start, x->len, &pa);
		bool db = shape_decstr(b + y->start, y->len, &pb);

		if (da != db || (da && (flags & SHAPE_DECIMALS) && pa != pb)) {
			snprintf(why, whylen, "%s: string '%.*s' in the capture, '%.*s' in ours",
				 path, (int)x->len, a + x->start, (int)y->len, b + y->start);
			return false;
		}
		return true;
	}
	case JR_ARR:
		if (!x->size || !y->size)
			return true;
		snprintf(path + base, plen - base, "[0]");
		if (!shape_cmp(a, ta, jr_at(ta, ia, 0), b, tb, jr_at(tb, ib, 0), flags, path,
			       plen, why, whylen))
			return false;
		path[base] = '\0';
		return true;
	case JR_OBJ:
		for (uint32_t i = 0; i < x->size; i++) {
			int k = jr_member(ta, ia, i);
			char key[128];

			jr_str(a, &ta[k], key, sizeof(key));
			if (jr_get(b, tb, ib, key) < 0) {
				snprintf(why, whylen, "%s: key '%s' missing in ours", path, key);
				return false;
			}
		}
		for (uint32_t i = 0; i < y->size; i++) {
			int k = jr_member(tb, ib, i), other;
			char key[128];

			jr_str(b, &tb[k], key, sizeof(key));
			other = jr_get(a, ta, ia, key);
			if (other < 0) {
				snprintf(why, whylen, "%s: key '%s' is not in the capture", path, key);
				return false;
			}
			snprintf(path + base, plen - base, ".%s", key);
			if (!shape_cmp(a, ta, other, b, tb, k + 1, flags, path, plen, why, whylen))
				return false;
			path[base] = '\0';
		}
		return true;
	default:
		return true;
	}
}

/* true when ours has the capture's shape; else why says where it differs. */
static inline bool json_same_shape_f(const char *capture, const char *ours, unsigned flags,
				     char *why, size_t whylen)
{
	static struct jr_tok ta[SHAPE_TOKENS], tb[SHAPE_TOKENS];
	char path[512] = "$";
	int na = jr_parse(capture, strlen(capture), ta, SHAPE_TOKENS);
	int nb = jr_parse(ours, strlen(ours), tb, SHAPE_TOKENS);

	if (na < 0 || nb < 0) {
		snprintf(why, whylen, "not JSON: %s", na < 0 ? "the capture" : "ours");
		return false;
	}
	return shape_cmp(capture, ta, 0, ours, tb, 0, flags, path, sizeof(path), why, whylen);
}

static inline bool json_same_shape(const char *capture, const char *ours, char *why,
				   size_t whylen)
{
	return json_same_shape_f(capture, ours, 0, why, whylen);
}

#endif
