/* SPDX-License-Identifier: MIT */
/*
 * kimpctl output: one emitter that writes either aligned "key  value" text
 * or JSON, so a command describes what it shows once.
 */
#include <inttypes.h>
#include <signal.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include "kimpctl.h"
#include "views.h"

#define KEY_WIDTH 18

/* ---- strings -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_string(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	fputc('"', f);
	while (n) {
		size_t len = utf8_seq(p, n);

		if (!len) {
			fputs("\\ufffd", f);
			len = 1;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fwrite(p, 1, len, f);
		}
		p += len;
		n -= len;
	}
	fputc('"', f);
}

void text_string(FILE *f, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

/* ---- human forms ---------------------------------------------------------- */

/* v / div with three significant digits and 'unit'. */
static const char *fmt_scaled(char *buf, size_t len, uint64_t v, uint64_t div,
			      const char *unit)
{
	double x = (double)v / (double)div;
	int prec = x < 10 ? 2 : x < 100 ? 1 : 0;

	snprintf(buf, len, "%.*f %s", prec, x, unit);
	return buf;
}

const char *fmt_bytes(char *buf, size_t len, uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	while (u + 1 < KIMP_ARRAY_SIZE(units) && v >= (1024ull << (10 * (u + 1))))
		u++;
	if (v % (1024ull << (10 * u)) == 0) {
		snprintf(buf, len, "%" PRIu64 " %s", v >> (10 * (u + 1)), units[u]);
		return buf;
	}
	return fmt_scaled(buf, len, v, 1024ull << (10 * u), units[u]);
}

const char *fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000) {
		snprintf(buf, len, "%" PRIu64 " ns", ns);
		return buf;
	}
	if (ns < 1000000)
		return fmt_scaled(buf, len, ns, 1000, "us");
	if (ns < 1000000000)
		return fmt_scaled(buf, len, ns, 1000000, "ms");
	return fmt_scaled(buf, len, ns, 1000000000, "s");
}

const char *fmt_utc(char *buf, size_t len, uint64_t real_ns, bool iso)
{
	time_t sec = (time_t)(real_ns / 1000000000u);
	char day[32];
	struct tm tm;

	if (!real_ns || !gmtime_r(&sec, &tm) ||
	    !strftime(day, sizeof(day), iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s.%03u%s", day, (unsigned)(real_ns / 1000000u % 1000u),
		 iso ? "Z" : " UTC");
	return buf;
}

bool pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

const char *fmt_pid(char *buf, size_t len, pid_t pid)
{
	if (pid <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d (%s)", (int)pid, pid_alive(pid) ? "alive" : "dead");
	return buf;
}

/* ---- the emitter ---------------------------------------------------------- */

void out_init(struct out *o, FILE *f, bool json)
{
	o->f = f;
	o->json = json;
	o->depth = 0;
	o->first = true;
}

void out_finish(struct out *o)
{
	if (o->json)
		fputc('\n', o->f);
	fflush(o->f);
}

static void indent(const struct out *o)
{
	fprintf(o->f, "%*s", (int)(2 * o->depth), "");
}

/* Start an item: the separator and the first klen bytes of key. */
static void item_n(struct out *o, const char *key, size_t klen)
{
	if (!o->json) {
		indent(o);
		if (key) {
			text_string(o->f, key, klen);
			fprintf(o->f, "%*s ", (int)(klen < KEY_WIDTH ? KEY_WIDTH - klen : 0), "");
		}
		return;
	}
	if (!o->first)
		fputc(',', o->f);
	if (o->depth) {
		fputc('\n', o->f);
		indent(o);
	}
	o->first = false;
	if (key) {
		json_string(o->f, key, klen);
		fputs(": ", o->f);
	}
}

static void item(struct out *o, const char *key)
{
	item_n(o, key, key ? strlen(key) : 0);
}

static void open_(struct out *o, const char *key, const char *title, char c)
{
	if (o->json) {
		item(o, key);
		fputc(c, o->f);
		o->first = true;
	} else if (title || key) {
		indent(o);
		text_string(o->f, title ? title : key, strlen(title ? title : key));
		fputc('\n', o->f);
	}
	o->depth++;
}

static void close_(struct out *o, char c)
{
	o->depth--;
	if (!o->json)
		return;
	if (!o->first) {
		fputc('\n', o->f);
		indent(o);
	}
	fputc(c, o->f);
	o->first = false;
}

void out_obj_begin(struct out *o, const char *key, const char *title)
{
	open_(o, key, title, '{');
}

void out_obj_end(struct out *o)
{
	close_(o, '}');
}

void out_arr_begin(struct out *o, const char *key)
{
	open_(o, key, NULL, '[');
}

void out_arr_end(struct out *o)
{
	close_(o, ']');
}

void out_strn(struct out *o, const char *key, const char *s, size_t max)
{
	item(o, key);
	if (o->json) {
		json_string(o->f, s, max);
		return;
	}
	text_string(o->f, s, max);
	fputc('\n', o->f);
}

void out_str(struct out *o, const char *key, const char *s)
{
	out_strn(o, key, s, strlen(s));
}

void out_u64(struct out *o, const char *key, uint64_t v)
{
	item(o, key);
	fprintf(o->f, "%" PRIu64 "%s", v, o->json ? "" : "\n");
}

void out_i64(struct out *o, const char *key, int64_t v)
{
	item(o, key);
	fprintf(o->f, "%" PRId64 "%s", v, o->json ? "" : "\n");
}

void out_bool(struct out *o, const char *key, bool v)
{
	item(o, key);
	fprintf(o->f, "%s%s", v ? (o->json ? "true" : "yes") : (o->json ? "false" : "no"),
		o->json ? "" : "\n");
}

/* Hex as a string in JSON: a 64-bit magic does not survive a double. */
void out_hex(struct out *o, const char *key, uint64_t v)
{
	item(o, key);
	fprintf(o->f, o->json ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64 "\n", v);
}

void out_bytes(struct out *o, const char *key, uint64_t v)
{
	char buf[32];

	item(o, key);
	if (o->json)
		fprintf(o->f, "%" PRIu64, v);
	else if (v < 1024)
		fprintf(o->f, "%" PRIu64 "\n", v);
	else
		fprintf(o->f, "%" PRIu64 " (%s)\n", v, fmt_bytes(buf, sizeof(buf), v));
}

/* The text form drops a "_ns" suffix: the value carries its unit. */
void out_ns(struct out *o, const char *key, uint64_t ns)
{
	size_t klen = strlen(key);
	char buf[32];

	if (o->json) {
		item(o, key);
		fprintf(o->f, "%" PRIu64, ns);
		return;
	}
	if (klen > 3 && !strcmp(key + klen - 3, "_ns"))
		klen -= 3;
	item_n(o, key, klen);
	fprintf(o->f, "%s\n", fmt_ns(buf, sizeof(buf), ns));
}

void out_null(struct out *o, const char *key)
{
	item(o, key);
	fputs(o->json ? "null" : "-\n", o->f);
}

void out_time(struct out *o, const char *key, uint64_t real_ns)
{
	char buf[64];

	item(o, key);
	if (o->json && !real_ns)
		fputs("null", o->f);
	else if (o->json)
		fprintf(o->f, "\"%s\"", fmt_utc(buf, sizeof(buf), real_ns, true));
	else
		fprintf(o->f, "%s\n", fmt_utc(buf, sizeof(buf), real_ns, false));
}

void out_pid(struct out *o, const char *key, pid_t pid)
{
	char akey[64], buf[32];

	if (o->json) {
		snprintf(akey, sizeof(akey), "%s_alive", key);
		item(o, key);
		fprintf(o->f, "%d", (int)pid);
		item(o, akey);
		fputs(pid_alive(pid) ? "true" : "false", o->f);
		return;
	}
	item(o, key);
	fprintf(o->f, "%s\n", fmt_pid(buf, sizeof(buf), pid));
}

void out_flags(struct out *o, const char *key, uint64_t v, const char *const *names,
	       unsigned nnames)
{
	const char *sep = "";

	item(o, key);
	if (o->json)
		fputc('[', o->f);
	else
		fprintf(o->f, "0x%" PRIx64 " (", v);
	for (unsigned i = 0; i < 64; i++) {
		if (!(v & (1ull << i)))
			continue;
		fputs(sep, o->f);
		sep = o->json ? ", " : "|";
		if (i < nnames && names[i])
			fprintf(o->f, o->json ? "\"%s\"" : "%s", names[i]);
		else
			fprintf(o->f, o->json ? "\"0x%llx\"" : "0x%llx", 1ull << i);
	}
	if (o->json)
		fputc(']', o->f);
	else
		fprintf(o->f, "%s)\n", v ? "" : "none");
}

void out_hist(struct out *o, const char *key, const struct shm_hist_snap *s)
{
	static const struct { const char *key, *label; double q; } qs[] = {
		{ "p50_ns", "p50", 0.5 }, { "p90_ns", "p90", 0.9 },
		{ "p99_ns", "p99", 0.99 }, { "p99_9_ns", "p99.9", 0.999 },
	};
	char buf[32];

	if (o->json) {
		out_obj_begin(o, key, NULL);
		out_u64(o, "count", s->count);
		out_u64(o, "sum_ns", s->sum);
		if (!s->count) {
			/* no samples: no values, rather than zeros a graph would plot */
			out_null(o, "min_ns");
			for (size_t i = 0; i < KIMP_ARRAY_SIZE(qs); i++)
				out_null(o, qs[i].key);
			out_null(o, "max_ns");
		} else {
			out_u64(o, "min_ns", s->min);
			for (size_t i = 0; i < KIMP_ARRAY_SIZE(qs); i++)
				out_u64(o, qs[i].key, shm_hist_quantile(s, qs[i].q));
			out_u64(o, "max_ns", s->max);
		}
		out_obj_end(o);
		return;
	}
	item(o, key);
	fprintf(o->f, "count %-8" PRIu64, s->count);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(qs); i++)
		fprintf(o->f, "  %s %-9s", qs[i].label, s->count ?
			fmt_ns(buf, sizeof(buf), shm_hist_quantile(s, qs[i].q)) : "-");
	fprintf(o->f, "  max %s\n", s->count ? fmt_ns(buf, sizeof(buf), s->max) : "-");
}

void out_real(struct out *o, const char *key, double v)
{
	item(o, key);
	if (v != v || v > __DBL_MAX__ || v < -__DBL_MAX__)
		fputs(o->json ? "null" : "-\n", o->f);
	else
		fprintf(o->f, o->json ? "%.10g" : "%.10g\n", v);
}
