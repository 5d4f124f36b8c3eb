/* SPDX-License-Identifier: MIT */
/*
 * libshm/config.c: the configuration parser on arbitrary text, then every
 * typed getter on every section.key the text seems to set (found by a
 * rough scan of its lines here, independent of the parser), the section
 * iterator and the unknown-key check.
 *
 * Input: the file's bytes (a NUL in them ends the text, as for a C
 * string). Checked besides memory safety and leaks: errors are -errno
 * with a NUL-terminated message; getters return 0 or -EINVAL; a range
 * getter's value lies in its range; a key the parser kept has its line.
 */
#include <errno.h>
#include "kimp/config.h"
#include "../fuzz.h"

#define ERRLEN 160

static char err[ERRLEN + 1];

static void err_ok(int r, size_t errlen)
{
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r)
		FUZZ_CHECK(memchr(err, 0, errlen) != NULL);
}

static void getters(const struct kimp_conf *c, const char *sec, const char *key, size_t errlen)
{
	const char *s;
	uint64_t u;
	bool b;
	double d;
	char seg[256];
	int r;

	err_ok(kimp_conf_str(c, sec, key, "def", &s, err, errlen), errlen);
	err_ok(kimp_conf_u64(c, sec, key, 7, &u, err, errlen), errlen);
	err_ok(kimp_conf_bool(c, sec, key, true, &b, err, errlen), errlen);
	err_ok(kimp_conf_ns(c, sec, key, 5, &u, err, errlen), errlen);
	r = kimp_conf_u64_in(c, sec, key, 10, 3, 1000, &u, err, errlen);
	err_ok(r, errlen);
	FUZZ_CHECK(r || (u >= 3 && u <= 1000));
	r = kimp_conf_ns_in(c, sec, key, 1000, 1000, 5000000000ull, &u, err, errlen);
	err_ok(r, errlen);
	FUZZ_CHECK(r || (u >= 1000 && u <= 5000000000ull));
	err_ok(kimp_conf_f64(c, sec, key, 1.5, &d, err, errlen), errlen);
	err_ok(kimp_conf_segment(c, sec, key, "kimp", seg, err, errlen), errlen);
	s = kimp_conf_get(c, sec, key);
	FUZZ_CHECK(!s || kimp_conf_line(c, sec, key) > 0);
}

/* Each "key = value" line's key, under the last "[section]" seen. */
static void scan(const struct kimp_conf *c, const char *text, size_t errlen)
{
	char sec[128] = "", key[128];
	const char *l = text;

	while (*l) {
		const char *e = strchr(l, '\n'), *eq, *a, *z;

		if (!e)
			e = l + strlen(l);
		while (l < e && (*l == ' ' || *l == '\t'))
			l++;
		eq = memchr(l, '=', (size_t)(e - l));
		if (*l == '[') {
			const char *rb = memchr(l, ']', (size_t)(e - l));

			if (rb && (size_t)(rb - l - 1) < sizeof(sec)) {
				memcpy(sec, l + 1, (size_t)(rb - l - 1));
				sec[rb - l - 1] = 0;
			}
		} else if (eq) {
			for (a = l, z = eq; z > a && (z[-1] == ' ' || z[-1] == '\t'); z--)
				;
			if ((size_t)(z - a) < sizeof(key)) {
				memcpy(key, a, (size_t)(z - a));
				key[z - a] = 0;
				getters(c, sec, key, errlen);
			}
		}
		l = *e ? e + 1 : e;
	}
	getters(c, sec, "no.such.key", errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "segment", "name", "wait", "stats.*", NULL };
	char *text = fuzz_strdup(data, size);
	size_t errlen = size % 3 == 0 ? 1 : size % 3 == 1 ? 24 : sizeof(err);
	struct kimp_conf *c = NULL;
	const char *sec;
	size_t it = 0;
	int r;

	memset(err, 'x', sizeof(err));
	r = kimp_conf_parse("fuzz.conf", text, &c, err, errlen);
	if (r) {
		FUZZ_CHECK(r < 0 && r > -4096);
		FUZZ_CHECK(memchr(err, 0, errlen) != NULL);
		goto out;
	}
	FUZZ_CHECK(c != NULL);
	FUZZ_CHECK(!strcmp(kimp_conf_name(c), "fuzz.conf"));
	while ((sec = kimp_conf_next_section(c, &it)) != NULL) {
		r = kimp_conf_check_keys(c, sec, known, err, errlen);
		err_ok(r, errlen);
		(void)kimp_conf_line(c, sec, "");
	}
	scan(c, text, errlen);
	kimp_conf_free(c);
out:
	free(text);
	return 0;
}
