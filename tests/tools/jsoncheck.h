/* SPDX-License-Identifier: MIT */
/*
 * A small JSON validator for the tools' --json output tests. Numbers must be
 * integers: kimpctl prints decimals as strings (exact, never doubles).
 */
#ifndef KIMP_TESTS_JSONCHECK_H
#define KIMP_TESTS_JSONCHECK_H

#include <stdbool.h>
#include <string.h>

static inline bool j_value(const char **p, int depth);

static inline void j_ws(const char **p)
{
	while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
		(*p)++;
}

static inline bool j_string(const char **p)
{
	const char *s = *p;

	if (*s++ != '"')
		return false;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return false;
		if (*s++ != '\\')
			continue;
		if (*s && strchr("\"\\/bfnrt", *s)) {
			s++;
			continue;
		}
		if (*s++ != 'u')
			return false;
		for (int i = 0; i < 4; i++)
			if (!strchr("0123456789abcdefABCDEF", *s++) || !s[-1])
				return false;
	}
	*p = s + 1;
	return true;
}

static inline bool j_number(const char **p)
{
	const char *s = *p;

	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.' || *s == 'e' || *s == 'E')
		return false;  /* integers only */
	*p = s;
	return true;
}

/* '{' members '}' or '[' values ']' */
static inline bool j_container(const char **p, int depth, bool obj)
{
	(*p)++;
	j_ws(p);
	if (**p == (obj ? '}' : ']')) {
		(*p)++;
		return true;
	}
	for (;;) {
		j_ws(p);
		if (obj) {
			if (!j_string(p))
				return false;
			j_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!j_value(p, depth + 1))
			return false;
		j_ws(p);
		if (**p == ',') {
			(*p)++;
			continue;
		}
		return *(*p)++ == (obj ? '}' : ']');
	}
}

static inline bool j_value(const char **p, int depth)
{
	j_ws(p);
	if (depth > 32)
		return false;
	switch (**p) {
	case '{':
		return j_container(p, depth, true);
	case '[':
		return j_container(p, depth, false);
	case '"':
		return j_string(p);
	case 't':
		return !strncmp(*p, "true", 4) && (*p += 4);
	case 'f':
		return !strncmp(*p, "false", 5) && (*p += 5);
	case 'n':
		return !strncmp(*p, "null", 4) && (*p += 4);
	default:
		return j_number(p);
	}
}

static inline bool json_valid(const char *text)
{
	const char *p = text;

	if (!j_value(&p, 0))
		return false;
	j_ws(&p);
	return !*p;
}

#define assert_json(text) cr_assert(json_valid(text), "not valid JSON:\n%s", text)

#endif
