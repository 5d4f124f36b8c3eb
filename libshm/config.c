/* SPDX-License-Identifier: MIT */
/*
 * The kimp configuration file. The whole file is parsed up front into a flat
 * list of (section, key, value, line) entries; getters search it linearly,
 * which is plenty for a few dozen keys read once at startup.
 *
 * Rules beyond the header's: comments are whole lines only (a '#' after a
 * value is part of it); a value in double quotes keeps its inner text as is,
 * with no escapes; section and key names are [A-Za-z0-9._-]; a section may
 * be opened again, but a key may be set once per section; a getter on a
 * NULL config returns the default.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "kimp/config.h"
#include "kimp/segment.h"

#define CONF_MAX_BYTES (1u << 20)
#define BAD_NAME       "bad name (letters, digits, '.', '_', '-')"

struct conf_ent {
	char *section;
	char *key;
	char *value;
	unsigned line;
};

struct kimp_conf {
	char *name;             /* the file name errors start with */
	struct conf_ent *ents;
	size_t n, cap;
};

/* A piece of the text being parsed; not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

static void conf_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- parsing -------------------------------------------------------------- */

static struct span span_trim(struct span s)
{
	while (s.len && isspace((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && isspace((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool name_ok(struct span s)
{
	if (!s.len)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

static const struct conf_ent *conf_find(const struct kimp_conf *c,
					const char *section, const char *key)
{
	if (!c)
		return NULL;
	if (!section)
		section = "";
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ents[i].section, section) && !strcmp(c->ents[i].key, key))
			return &c->ents[i];
	return NULL;
}

static int conf_add(struct kimp_conf *c, const char *section, struct span key,
		    struct span value, unsigned line)
{
	struct conf_ent *e;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		e = realloc(c->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		c->ents = e;
		c->cap = cap;
	}
	e = &c->ents[c->n];
	e->section = strdup(section);
	e->key = strndup(key.p, key.len);
	e->value = strndup(value.p, value.len);
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

/* "[name]": the new current section in *section (reallocated). */
static int parse_section(struct kimp_conf *c, struct span s, unsigned line,
			 char **section, char *err, size_t errlen)
{
	struct span name = span_trim((struct span){ s.p + 1, s.len - 2 });
	char *dup;

	if (!name_ok(name)) {
		conf_err(err, errlen, "%s:%u: section '%.*s': " BAD_NAME, c->name, line,
			 (int)name.len, name.p);
		return -EINVAL;
	}
	dup = strndup(name.p, name.len);
	if (!dup)
		return -ENOMEM;
	free(*section);
	*section = dup;
	/* a marker (empty key) so an empty section is still listed, and
	 * kimp_conf_line(c, section, "") gives its header's line */
	if (!conf_find(c, dup, ""))
		return conf_add(c, dup, (struct span){ "", 0 }, (struct span){ "", 0 }, line);
	return 0;
}

/* "key = value", with the value optionally in double quotes. */
static int parse_pair(struct kimp_conf *c, struct span s, unsigned line,
		      const char *section, char *err, size_t errlen)
{
	const char *eq = memchr(s.p, '=', s.len);
	const char *dot = *section ? "." : "";
	const struct conf_ent *old;
	struct span key, value;
	char *k;

	if (!eq) {
		conf_err(err, errlen, "%s:%u: line is not 'key = value' or '[section]'",
			 c->name, line);
		return -EINVAL;
	}
	key = span_trim((struct span){ s.p, (size_t)(eq - s.p) });
	value = span_trim((struct span){ eq + 1, s.len - (size_t)(eq - s.p) - 1 });
	if (!name_ok(key)) {
		conf_err(err, errlen, "%s:%u: key '%.*s': " BAD_NAME, c->name, line,
			 (int)key.len, key.p);
		return -EINVAL;
	}
	if (value.len && value.p[0] == '"') {
		if (value.len < 2 || value.p[value.len - 1] != '"') {
			conf_err(err, errlen, "%s:%u: key '%s%s%.*s': unterminated quote",
				 c->name, line, section, dot, (int)key.len, key.p);
			return -EINVAL;
		}
		value.p++;
		value.len -= 2;
	}
	k = strndup(key.p, key.len);
	if (!k)
		return -ENOMEM;
	old = conf_find(c, section, k);
	free(k);
	if (old) {
		conf_err(err, errlen, "%s:%u: key '%s%s%s': duplicate, first set on line %u",
			 c->name, line, section, dot, old->key, old->line);
		return -EINVAL;
	}
	return conf_add(c, section, key, value, line);
}

static int parse_line(struct kimp_conf *c, struct span s, unsigned line,
		      char **section, char *err, size_t errlen)
{
	s = span_trim(s);
	if (!s.len || s.p[0] == '#' || s.p[0] == ';')
		return 0;
	if (s.p[0] == '[') {
		if (s.len < 2 || s.p[s.len - 1] != ']') {
			conf_err(err, errlen, "%s:%u: line is not 'key = value' or "
				 "'[section]'", c->name, line);
			return -EINVAL;
		}
		return parse_section(c, s, line, section, err, errlen);
	}
	return parse_pair(c, s, line, *section, err, errlen);
}

static int parse_text(struct kimp_conf *c, const char *text, char *err, size_t errlen)
{
	char *section = strdup("");
	unsigned line = 0;
	int ret = 0;

	if (!section)
		return -ENOMEM;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		ret = parse_line(c, (struct span){ text, len }, ++line, &section,
				 err, errlen);
		if (ret)
			break;
		text += len + (nl ? 1 : 0);
	}
	free(section);
	return ret;
}

void kimp_conf_free(struct kimp_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->ents[i].section);
		free(c->ents[i].key);
		free(c->ents[i].value);
	}
	free(c->ents);
	free(c->name);
	free(c);
}

int kimp_conf_parse(const char *name, const char *text, struct kimp_conf **out,
		    char *err, size_t errlen)
{
	struct kimp_conf *c = calloc(1, sizeof(*c));
	int ret = -ENOMEM;

	if (c)
		c->name = strdup(name);
	if (c && c->name)
		ret = parse_text(c, text, err, errlen);
	if (ret)
		goto free_conf;
	*out = c;
	return 0;

free_conf:
	kimp_conf_free(c);
	if (ret == -ENOMEM)
		conf_err(err, errlen, "%s: out of memory", name);
	return ret;
}

/* Read all of 'fd' into a NUL-terminated buffer in *out, its length in *len. */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nbuf;
	int ret = -ENOMEM;

	if (!buf)
		return ret;
	for (;;) {
		ssize_t r;

		if (cap - n < 2) {
			ret = -EFBIG;
			if (cap >= CONF_MAX_BYTES)
				goto free_buf;
			ret = -ENOMEM;
			nbuf = realloc(buf, 2 * cap);
			if (!nbuf)
				goto free_buf;
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto free_buf;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;

free_buf:
	free(buf);
	return ret;
}

int kimp_conf_load(const char *path, struct kimp_conf **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		conf_err(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	ret = read_all(fd, &text, &len);
	close(fd);
	if (ret == -EFBIG) {
		conf_err(err, errlen, "%s: larger than %u bytes", path, CONF_MAX_BYTES);
		return ret;
	}
	if (ret) {
		conf_err(err, errlen, "%s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	if (strlen(text) != len) {
		conf_err(err, errlen, "%s: contains a NUL byte: not a text file", path);
		ret = -EINVAL;
		goto free_text;
	}
	ret = kimp_conf_parse(path, text, out, err, errlen);
free_text:
	free(text);
	return ret;
}

/* ---- getters -------------------------------------------------------------- */

const char *kimp_conf_get(const struct kimp_conf *c, const char *section,
			  const char *key)
{
	const struct conf_ent *e = conf_find(c, section, key);

	return e ? e->value : NULL;
}

/* "FILE:LINE: key 'section.key': <why>: '<value>'" */
static int bad_value(const struct kimp_conf *c, const struct conf_ent *e,
		     const char *why, char *err, size_t errlen)
{
	conf_err(err, errlen, "%s:%u: key '%s%s%s': %s: '%s'", c->name, e->line,
		 e->section, *e->section ? "." : "", e->key, why, e->value);
	return -EINVAL;
}

int kimp_conf_str(const struct kimp_conf *c, const char *section, const char *key,
		  const char *def, const char **out, char *err, size_t errlen)
{
	const struct conf_ent *e = conf_find(c, section, key);

	*out = e ? e->value : def;
	return 0;
}

/*
 * Parse the unsigned integer at the start of s (decimal, or hex after 0x):
 * 0 with *end after it, -EINVAL when there are no digits, -ERANGE.
 */
static int parse_u64(const char *s, uint64_t *v, const char **end)
{
	char *e;

	/* strtoull would take a sign or leading blanks */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
		*v = strtoull(s + 2, &e, 16);
	} else {
		*v = strtoull(s, &e, 10);
	}
	if (errno == ERANGE)
		return -ERANGE;
	*end = e;
	return 0;
}

int kimp_conf_u64(const struct kimp_conf *c, const char *section, const char *key,
		  uint64_t def, uint64_t *out, char *err, size_t errlen)
{
	const struct conf_ent *e = conf_find(c, section, key);
	const char *end;
	uint64_t v;
	int ret;

	if (!e) {
		*out = def;
		return 0;
	}
	ret = parse_u64(e->value, &v, &end);
	if (ret == -ERANGE)
		return bad_value(c, e, "out of range (max 18446744073709551615)", err, errlen);
	if (ret || *end)
		return bad_value(c, e, "not a number", err, errlen);
	*out = v;
	return 0;
}

int kimp_conf_bool(const struct kimp_conf *c, const char *section, const char *key,
		   bool def, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const struct conf_ent *e = conf_find(c, section, key);

	if (!e) {
		*out = def;
		return 0;
	}
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(e->value, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(e->value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return bad_value(c, e, "not a boolean (true/false, yes/no, on/off, 1/0)",
			 err, errlen);
}

/* Nanoseconds per unit, or 0 for an unknown unit. "" is nanoseconds. */
static uint64_t unit_ns(const char *u)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000 },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(units); i++)
		if (!strcmp(u, units[i].name))
			return units[i].ns;
	return 0;
}

/*
 * "<digits>[.<digits>][ ]<unit>", decimal only. A fraction is allowed when
 * the result is a whole number of nanoseconds ("1.5ms", not "1.5ns").
 */
static int parse_ns(const char *s, uint64_t *out)
{
	uint64_t whole, frac = 0, scale = 1, mult;
	const char *p;
	int ret;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -EINVAL;
	ret = parse_u64(s, &whole, &p);
	if (ret)
		return ret;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale == 1000000000)
				return -EINVAL;  /* finer than 1 ns even in seconds */
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (scale == 1)
			return -EINVAL;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	mult = unit_ns(p);
	if (!mult)
		return -EINVAL;
	/* frac < scale <= 1e9 and mult <= 1e9: the product fits */
	frac *= mult;
	if (frac % scale)
		return -EINVAL;
	frac /= scale;
	if (whole > UINT64_MAX / mult || whole * mult > UINT64_MAX - frac)
		return -ERANGE;
	*out = whole * mult + frac;
	return 0;
}

int kimp_conf_ns(const struct kimp_conf *c, const char *section, const char *key,
		 uint64_t def, uint64_t *out, char *err, size_t errlen)
{
	const struct conf_ent *e = conf_find(c, section, key);
	uint64_t v;
	int ret;

	if (!e) {
		*out = def;
		return 0;
	}
	ret = parse_ns(e->value, &v);
	if (ret == -ERANGE)
		return bad_value(c, e, "duration out of range", err, errlen);
	if (ret)
		return bad_value(c, e, "not a duration (a number with unit ns, us, ms "
				 "or s)", err, errlen);
	*out = v;
	return 0;
}

int kimp_conf_f64(const struct kimp_conf *c, const char *section, const char *key,
		  double def, double *out, char *err, size_t errlen)
{
	const struct conf_ent *e = conf_find(c, section, key);
	char *end;
	double v;

	if (!e) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtod(e->value, &end);
	if (end == e->value || *end || errno == ERANGE || v != v)
		return bad_value(c, e, "not a number", err, errlen);
	*out = v;
	return 0;
}

const char *kimp_conf_next_section(const struct kimp_conf *c, size_t *iter)
{
	if (!c)
		return NULL;
	for (size_t i = *iter; i < c->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(c->ents[j].section, c->ents[i].section);
		if (!seen) {
			*iter = i + 1;
			return c->ents[i].section;
		}
	}
	*iter = c->n;
	return NULL;
}

int kimp_conf_check_keys(const struct kimp_conf *c, const char *section,
			 const char *const *keys, char *err, size_t errlen)
{
	if (!c)
		return 0;
	if (!section)
		section = "";
	for (size_t i = 0; i < c->n; i++) {
		const struct conf_ent *e = &c->ents[i];
		bool known = false;

		if (strcmp(e->section, section) || !*e->key)
			continue;
		for (size_t k = 0; keys[k] && !known; k++) {
			size_t kl = strlen(keys[k]);
			/* "tick.*": any key "tick.X" with X not empty */
			if (kl >= 2 && !strcmp(keys[k] + kl - 2, ".*"))
				known = !strncmp(keys[k], e->key, kl - 1) && e->key[kl - 1];
			else
				known = !strcmp(keys[k], e->key);
		}
		if (!known) {
			conf_err(err, errlen, "%s:%u: key '%s%s%s': unknown key", c->name,
				 e->line, e->section, *e->section ? "." : "", e->key);
			return -EINVAL;
		}
	}
	return 0;
}

unsigned kimp_conf_line(const struct kimp_conf *c, const char *section, const char *key)
{
	const struct conf_ent *e = conf_find(c, section, key);

	return e ? e->line : 0;
}

const char *kimp_conf_name(const struct kimp_conf *c)
{
	return c ? c->name : "";
}

static int conf_in_range(const struct kimp_conf *c, const char *section, const char *key,
			 uint64_t v, uint64_t lo, uint64_t hi, const char *unit, char *err,
			 size_t errlen)
{
	if (v >= lo && v <= hi)
		return 0;
	conf_err(err, errlen, "%s:%u: key '%s.%s': %" PRIu64 "%s is out of range %" PRIu64
		 "%s..%" PRIu64 "%s", c->name, kimp_conf_line(c, section, key), section, key, v,
		 unit, lo, unit, hi, unit);
	return -EINVAL;
}

int kimp_conf_u64_in(const struct kimp_conf *c, const char *section, const char *key,
		     uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
		     size_t errlen)
{
	int e = kimp_conf_u64(c, section, key, def, out, err, errlen);

	return e ? e : conf_in_range(c, section, key, *out, lo, hi, "", err, errlen);
}

int kimp_conf_ns_in(const struct kimp_conf *c, const char *section, const char *key,
		    uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
		    size_t errlen)
{
	int e = kimp_conf_ns(c, section, key, def, out, err, errlen);

	return e ? e : conf_in_range(c, section, key, *out, lo, hi, " ns", err, errlen);
}

int kimp_conf_segment(const struct kimp_conf *c, const char *section, const char *key,
		      const char *def, char *out, char *err, size_t errlen)
{
	const char *s;
	int e = kimp_conf_str(c, section, key, def, &s, err, errlen);

	if (e)
		return e;
	if (!s || !shm_name_ok(s)) {
		conf_err(err, errlen, "%s:%u: key '%s.%s': '%s' is not a segment name (1 to %d of "
			 "A-Z a-z 0-9 . _ -, not starting with '.')", c->name,
			 kimp_conf_line(c, section, key), section, key, s ? s : "", SHM_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}
