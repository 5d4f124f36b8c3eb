/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/config.h"
#include "kimp/segment.h"

TestSuite(config);

static char err[512];

/* Parse text as "t.conf"; the test fails on a parse error. */
static struct kimp_conf *parse_ok(const char *text)
{
	struct kimp_conf *c = NULL;
	int ret;

	err[0] = 0;
	ret = kimp_conf_parse("t.conf", text, &c, err, sizeof(err));
	cr_assert_eq(ret, 0, "parse: %d %s", ret, err);
	cr_assert_not_null(c);
	return c;
}

/* Parse text that must fail with -EINVAL and exactly 'msg'. */
static void parse_fails(const char *text, const char *msg)
{
	struct kimp_conf *c = NULL;
	int ret;

	err[0] = 0;
	ret = kimp_conf_parse("t.conf", text, &c, err, sizeof(err));
	cr_assert_eq(ret, -EINVAL, "parse of <%s> gave %d", text, ret);
	cr_assert_null(c, "no object on failure");
	cr_assert_str_eq(err, msg);
}

Test(config, sections_comments_whitespace)
{
	struct kimp_conf *c = parse_ok(
		"# a comment\n"
		"; another comment\n"
		"top = level\n"
		"\n"
		"   [shm]   \n"
		"\thugetlbfs   =   /dev/hugepages  \n"
		"  # indented comment\n"
		"spin=12\n"
		"[ feedd ]\n"
		"spin = 99\n"
		"empty =\n");

	cr_assert_str_eq(kimp_conf_get(c, "", "top"), "level");
	cr_assert_str_eq(kimp_conf_get(c, NULL, "top"), "level", "NULL is section \"\"");
	cr_assert_str_eq(kimp_conf_get(c, "shm", "hugetlbfs"), "/dev/hugepages");
	cr_assert_str_eq(kimp_conf_get(c, "shm", "spin"), "12");
	cr_assert_str_eq(kimp_conf_get(c, "feedd", "spin"), "99", "same key, other section");
	cr_assert_str_eq(kimp_conf_get(c, "feedd", "empty"), "");
	cr_assert_null(kimp_conf_get(c, "shm", "top"), "keys belong to their section");
	cr_assert_null(kimp_conf_get(c, "", "spin"));
	cr_assert_null(kimp_conf_get(c, "nope", "spin"));
	cr_assert_null(kimp_conf_get(c, "shm", "nope"));
	kimp_conf_free(c);
}

Test(config, quotes_are_stripped_and_keep_inner_text)
{
	struct kimp_conf *c = parse_ok(
		"[s]\n"
		"a = \"  padded value  \"\n"
		"b = \"has # and ; inside\"\n"
		"c = \"\"\n"
		"d = say \"hi\"\n"
		"e = value # not a comment\n");

	cr_assert_str_eq(kimp_conf_get(c, "s", "a"), "  padded value  ");
	cr_assert_str_eq(kimp_conf_get(c, "s", "b"), "has # and ; inside");
	cr_assert_str_eq(kimp_conf_get(c, "s", "c"), "");
	cr_assert_str_eq(kimp_conf_get(c, "s", "d"), "say \"hi\"", "only a leading quote quotes");
	cr_assert_str_eq(kimp_conf_get(c, "s", "e"), "value # not a comment",
			 "comments are whole lines");
	kimp_conf_free(c);
}

Test(config, crlf_and_no_final_newline)
{
	struct kimp_conf *c = parse_ok("[s]\r\na = 1\r\nb = two");

	cr_assert_str_eq(kimp_conf_get(c, "s", "a"), "1");
	cr_assert_str_eq(kimp_conf_get(c, "s", "b"), "two");
	kimp_conf_free(c);
}

Test(config, a_section_may_be_reopened)
{
	struct kimp_conf *c = parse_ok("[a]\nx = 1\n[b]\nx = 2\n[a]\ny = 3\n");

	cr_assert_str_eq(kimp_conf_get(c, "a", "x"), "1");
	cr_assert_str_eq(kimp_conf_get(c, "a", "y"), "3");
	cr_assert_str_eq(kimp_conf_get(c, "b", "x"), "2");
	kimp_conf_free(c);
}

Test(config, empty_text_is_an_empty_config)
{
	struct kimp_conf *c = parse_ok("");

	cr_assert_null(kimp_conf_get(c, "", "x"));
	kimp_conf_free(c);
	kimp_conf_free(NULL);
}

Test(config, syntax_errors_name_file_and_line)
{
	parse_fails("[s]\na = 1\njust words\n",
		    "t.conf:3: line is not 'key = value' or '[section]'");
	parse_fails("[shm\n", "t.conf:1: line is not 'key = value' or '[section]'");
	parse_fails("\n[]\n", "t.conf:2: section '': bad name (letters, digits, '.', '_', '-')");
	parse_fails("[a b]\n", "t.conf:1: section 'a b': bad name (letters, digits, '.', "
		    "'_', '-')");
	parse_fails("= 3\n", "t.conf:1: key '': bad name (letters, digits, '.', '_', '-')");
	parse_fails("[s]\nmy key = 3\n", "t.conf:2: key 'my key': bad name (letters, "
		    "digits, '.', '_', '-')");
	parse_fails("[shm]\n\npath = \"/dev/shm\n",
		    "t.conf:3: key 'shm.path': unterminated quote");
	parse_fails("x = \"\n", "t.conf:1: key 'x': unterminated quote");
}

Test(config, duplicate_key_names_both_lines)
{
	parse_fails("[shm]\nspin = 1\n\n# again\nspin = 2\n",
		    "t.conf:5: key 'shm.spin': duplicate, first set on line 2");
	parse_fails("a = 1\na = 2\n", "t.conf:2: key 'a': duplicate, first set on line 1");
	parse_fails("[s]\nk = 1\n[t]\n[s]\nk = 2\n",
		    "t.conf:5: key 's.k': duplicate, first set on line 2");
}

Test(config, str_getter)
{
	struct kimp_conf *c = parse_ok("[s]\nname = feedd\n");
	const char *v = NULL;

	cr_assert_eq(kimp_conf_str(c, "s", "name", "dflt", &v, err, sizeof(err)), 0);
	cr_assert_str_eq(v, "feedd");
	cr_assert_eq(kimp_conf_str(c, "s", "other", "dflt", &v, err, sizeof(err)), 0);
	cr_assert_str_eq(v, "dflt");
	cr_assert_eq(kimp_conf_str(c, "s", "other", NULL, &v, err, sizeof(err)), 0);
	cr_assert_null(v);
	kimp_conf_free(c);
}

Test(config, u64_getter)
{
	struct kimp_conf *c = parse_ok(
		"[n]\n"
		"dec = 12345\n"
		"hex = 0x1F\n"
		"HEX = 0XfF\n"
		"zero = 0\n"
		"max = 18446744073709551615\n"
		"quoted = \"42\"\n");
	uint64_t v;

	cr_assert_eq(kimp_conf_u64(c, "n", "dec", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 12345);
	cr_assert_eq(kimp_conf_u64(c, "n", "hex", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 0x1f);
	cr_assert_eq(kimp_conf_u64(c, "n", "HEX", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 0xff);
	cr_assert_eq(kimp_conf_u64(c, "n", "zero", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(kimp_conf_u64(c, "n", "max", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(kimp_conf_u64(c, "n", "quoted", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(kimp_conf_u64(c, "n", "absent", 7, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 7, "default when absent");
	kimp_conf_free(c);
}

/* A one-key config whose u64 must fail with exactly 'msg'; *out untouched. */
static void u64_fails(const char *value, const char *msg)
{
	char text[128];
	struct kimp_conf *c;
	uint64_t v = 99;

	snprintf(text, sizeof(text), "# line 1\n[shm]\nspin = %s\n", value);
	c = parse_ok(text);
	err[0] = 0;
	cr_assert_eq(kimp_conf_u64(c, "shm", "spin", 7, &v, err, sizeof(err)), -EINVAL,
		     "value '%s'", value);
	cr_assert_str_eq(err, msg);
	cr_assert_eq(v, 99, "output untouched on error");
	kimp_conf_free(c);
}

Test(config, u64_errors_name_file_line_key_and_value)
{
	u64_fails("12x", "t.conf:3: key 'shm.spin': not a number: '12x'");
	u64_fails("-1", "t.conf:3: key 'shm.spin': not a number: '-1'");
	u64_fails("+1", "t.conf:3: key 'shm.spin': not a number: '+1'");
	u64_fails("\"\"", "t.conf:3: key 'shm.spin': not a number: ''");
	u64_fails("0x", "t.conf:3: key 'shm.spin': not a number: '0x'");
	u64_fails("0xg", "t.conf:3: key 'shm.spin': not a number: '0xg'");
	u64_fails("1 2", "t.conf:3: key 'shm.spin': not a number: '1 2'");
	u64_fails("1.5", "t.conf:3: key 'shm.spin': not a number: '1.5'");
	u64_fails("18446744073709551616",
		  "t.conf:3: key 'shm.spin': out of range (max 18446744073709551615): "
		  "'18446744073709551616'");
}

Test(config, errors_for_keys_before_any_section_have_no_dot)
{
	struct kimp_conf *c = parse_ok("level = high\n");
	uint64_t v;

	cr_assert_eq(kimp_conf_u64(c, "", "level", 0, &v, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.conf:1: key 'level': not a number: 'high'");
	kimp_conf_free(c);
}

Test(config, bool_getter_accepts_every_spelling)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", "ON" };
	static const char *const no[] = { "false", "no", "off", "0", "False", "NO", "Off" };
	char text[64];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		bool t = false, f = true;
		struct kimp_conf *c;

		snprintf(text, sizeof(text), "[b]\nt = %s\nf = %s\n", yes[i], no[i]);
		c = parse_ok(text);
		cr_assert_eq(kimp_conf_bool(c, "b", "t", false, &t, err, sizeof(err)), 0);
		cr_assert(t, "'%s' is true", yes[i]);
		cr_assert_eq(kimp_conf_bool(c, "b", "f", true, &f, err, sizeof(err)), 0);
		cr_assert_not(f, "'%s' is false", no[i]);
		kimp_conf_free(c);
	}
}

Test(config, bool_getter_default_and_error)
{
	struct kimp_conf *c = parse_ok("[shm]\n\nhugepages = maybe\nempty =\n");
	bool v = false;

	cr_assert_eq(kimp_conf_bool(c, "shm", "absent", true, &v, err, sizeof(err)), 0);
	cr_assert(v);
	cr_assert_eq(kimp_conf_bool(c, "shm", "hugepages", true, &v, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "t.conf:3: key 'shm.hugepages': not a boolean (true/false, "
			 "yes/no, on/off, 1/0): 'maybe'");
	cr_assert_eq(kimp_conf_bool(c, "shm", "empty", true, &v, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.conf:4: key 'shm.empty': not a boolean (true/false, "
			 "yes/no, on/off, 1/0): ''");
	kimp_conf_free(c);
}

Test(config, durations)
{
	static const struct { const char *text; uint64_t ns; } ok[] = {
		{ "100ns", 100 },
		{ "42", 42 },
		{ "10us", 10000 },
		{ "250ms", 250000000 },
		{ "5s", 5000000000ull },
		{ "0s", 0 },
		{ "250 ms", 250000000 },
		{ "1.5ms", 1500000 },
		{ "0.5s", 500000000 },
		{ "0.000000001s", 1 },
		{ "2.25us", 2250 },
		{ "18446744073709551615ns", UINT64_MAX },
		{ "18446744073s", 18446744073000000000ull },
		{ "18446744073.709551615s", UINT64_MAX },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct kimp_conf *c;
		uint64_t v = 0;

		snprintf(text, sizeof(text), "[w]\nt = %s\n", ok[i].text);
		c = parse_ok(text);
		cr_assert_eq(kimp_conf_ns(c, "w", "t", 7, &v, err, sizeof(err)), 0,
			     "'%s': %s", ok[i].text, err);
		cr_assert_eq(v, ok[i].ns, "'%s' gave %llu", ok[i].text, (unsigned long long)v);
		cr_assert_eq(kimp_conf_ns(c, "w", "absent", 7, &v, err, sizeof(err)), 0);
		cr_assert_eq(v, 7);
		kimp_conf_free(c);
	}
}

Test(config, duration_errors)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "5m", "not a duration (a number with unit ns, us, ms or s)" },
		{ "5 parsecs", "not a duration (a number with unit ns, us, ms or s)" },
		{ "ms", "not a duration (a number with unit ns, us, ms or s)" },
		{ "-5ms", "not a duration (a number with unit ns, us, ms or s)" },
		{ "0x10ms", "not a duration (a number with unit ns, us, ms or s)" },
		{ "1.5ns", "not a duration (a number with unit ns, us, ms or s)" },
		{ "1.ms", "not a duration (a number with unit ns, us, ms or s)" },
		{ "5MS", "not a duration (a number with unit ns, us, ms or s)" },
		{ "0.0000000001s", "not a duration (a number with unit ns, us, ms or s)" },
		{ "18446744074s", "duration out of range" },
		{ "18446744073.709551616s", "duration out of range" },
		{ "18446744073.70955162s", "duration out of range" },
		{ "18446744073.7095517s", "duration out of range" },
		{ "1.5", "not a duration (a number with unit ns, us, ms or s)" },
	};
	char text[128], want[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kimp_conf *c;
		uint64_t v = 99;

		snprintf(text, sizeof(text), "[w]\nhb = %s\n", bad[i].text);
		snprintf(want, sizeof(want), "t.conf:2: key 'w.hb': %s: '%s'", bad[i].why,
			 bad[i].text);
		c = parse_ok(text);
		cr_assert_eq(kimp_conf_ns(c, "w", "hb", 7, &v, err, sizeof(err)), -EINVAL,
			     "'%s'", bad[i].text);
		cr_assert_str_eq(err, want);
		cr_assert_eq(v, 99);
		kimp_conf_free(c);
	}
}

Test(config, error_text_is_truncated_not_overrun)
{
	struct kimp_conf *c = parse_ok("[shm]\nspin = 12x\n");
	char small[12];
	uint64_t v;

	memset(small, 'Z', sizeof(small));
	cr_assert_eq(kimp_conf_u64(c, "shm", "spin", 0, &v, small, 8), -EINVAL);
	cr_assert_str_eq(small, "t.conf:");
	cr_assert_eq(small[8], 'Z', "nothing written past errlen");
	cr_assert_eq(kimp_conf_u64(c, "shm", "spin", 0, &v, NULL, 0), -EINVAL,
		     "no buffer is fine");
	kimp_conf_free(c);
}

/* ---- files ---------------------------------------------------------------- */

struct tmpdir {
	char path[64];
};

static void tmp_make(struct tmpdir *t)
{
	snprintf(t->path, sizeof(t->path), "/tmp/kimp-conf-test-XXXXXX");
	cr_assert_not_null(mkdtemp(t->path));
}

static void tmp_write(const struct tmpdir *t, const char *file, const char *text,
		      size_t len, char *path, size_t plen)
{
	int fd;

	snprintf(path, plen, "%s/%s", t->path, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void tmp_remove(struct tmpdir *t, const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", t->path, file);
	unlink(path);
	cr_assert_eq(rmdir(t->path), 0);
}

Test(config, load_file_and_name_it_in_errors)
{
	static const char text[] = "[shm]\nshm_dir = /dev/shm\nspin = 1O\n";
	struct kimp_conf *c = NULL;
	char path[128], want[256];
	struct tmpdir t;
	uint64_t v;

	tmp_make(&t);
	tmp_write(&t, "kimp.conf", text, strlen(text), path, sizeof(path));
	cr_assert_eq(kimp_conf_load(path, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(kimp_conf_get(c, "shm", "shm_dir"), "/dev/shm");
	cr_assert_eq(kimp_conf_u64(c, "shm", "spin", 0, &v, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: key 'shm.spin': not a number: '1O'", path);
	cr_assert_str_eq(err, want);
	kimp_conf_free(c);
	tmp_remove(&t, "kimp.conf");
}

Test(config, load_parse_error_names_the_path)
{
	static const char text[] = "[shm]\nbroken\n";
	struct kimp_conf *c = NULL;
	char path[128], want[256];
	struct tmpdir t;

	tmp_make(&t);
	tmp_write(&t, "bad.conf", text, strlen(text), path, sizeof(path));
	cr_assert_eq(kimp_conf_load(path, &c, err, sizeof(err)), -EINVAL);
	cr_assert_null(c);
	snprintf(want, sizeof(want), "%s:2: line is not 'key = value' or '[section]'", path);
	cr_assert_str_eq(err, want);
	tmp_remove(&t, "bad.conf");
}

Test(config, missing_file_names_path_and_reason)
{
	struct kimp_conf *c = NULL;

	cr_assert_eq(kimp_conf_load("/nonexistent/kimp.conf", &c, err, sizeof(err)), -ENOENT);
	cr_assert_null(c);
	cr_assert_str_eq(err, "/nonexistent/kimp.conf: cannot open: No such file or directory");
}

Test(config, directory_is_not_a_config_file)
{
	struct kimp_conf *c = NULL;
	struct tmpdir t;
	char want[256];

	tmp_make(&t);
	cr_assert_eq(kimp_conf_load(t.path, &c, err, sizeof(err)), -EISDIR);
	cr_assert_null(c);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", t.path);
	cr_assert_str_eq(err, want);
	cr_assert_eq(rmdir(t.path), 0);
}

Test(config, nul_byte_is_refused)
{
	static const char text[] = "[shm]\nspin = 1\0junk\n";
	struct kimp_conf *c = NULL;
	char path[128], want[256];
	struct tmpdir t;

	tmp_make(&t);
	tmp_write(&t, "nul.conf", text, sizeof(text) - 1, path, sizeof(path));
	cr_assert_eq(kimp_conf_load(path, &c, err, sizeof(err)), -EINVAL);
	cr_assert_null(c);
	snprintf(want, sizeof(want), "%s: contains a NUL byte: not a text file", path);
	cr_assert_str_eq(err, want);
	tmp_remove(&t, "nul.conf");
}

Test(config, large_file_loads_past_the_first_buffer)
{
	struct kimp_conf *c = NULL;
	char path[128], key[32];
	struct tmpdir t;
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	uint64_t v;

	cr_assert_not_null(text);
	len += (size_t)snprintf(text, cap, "[big]\n");
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(text + len, cap - len, "key%d = %d\n", i, i * 3);
	tmp_make(&t);
	tmp_write(&t, "big.conf", text, len, path, sizeof(path));
	free(text);
	cr_assert_eq(kimp_conf_load(path, &c, err, sizeof(err)), 0, "%s", err);
	snprintf(key, sizeof(key), "key%d", 1999);
	cr_assert_eq(kimp_conf_u64(c, "big", key, 0, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 1999 * 3);
	kimp_conf_free(c);
	tmp_remove(&t, "big.conf");
}

Test(config, check_keys_prefix_pattern_takes_any_suffix_but_none)
{
	static const char *const keys[] = { "coins", "tick.*", NULL };
	struct kimp_conf *c = NULL;

	cr_assert_eq(kimp_conf_parse("p.conf", "[v]\ncoins = A\ntick.BTC = 1\ntick.X = 2\n", &c, err,
				     sizeof(err)), 0, "%s", err);
	cr_assert_eq(kimp_conf_check_keys(c, "v", keys, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(c);
	c = NULL;
	cr_assert_eq(kimp_conf_parse("p.conf", "[v]\ntick. = 1\n", &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_check_keys(c, "v", keys, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "p.conf:2: key 'v.tick.': unknown key");
	kimp_conf_free(c);
	c = NULL;
	cr_assert_eq(kimp_conf_parse("p.conf", "[v]\nticks = 1\n", &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_check_keys(c, "v", keys, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "p.conf:2: key 'v.ticks': unknown key");
	kimp_conf_free(c);
}

Test(config, range_getters_take_the_bounds_and_refuse_past_them)
{
	struct kimp_conf *c = NULL;
	uint64_t v;

	cr_assert_eq(kimp_conf_parse("r.conf", "[s]\nn = 10\nd = 2s\n", &c, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_u64_in(c, "s", "n", 0, 10, 10, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 10);
	cr_assert_eq(kimp_conf_u64_in(c, "s", "n", 0, 11, 20, &v, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "r.conf:2: key 's.n': 10 is out of range 11..20");
	cr_assert_eq(kimp_conf_u64_in(c, "s", "absent", 5, 0, 9, &v, err, sizeof(err)), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(kimp_conf_ns_in(c, "s", "d", 0, 1, 2000000000ull, &v, err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_ns_in(c, "s", "d", 0, 1, 1999999999ull, &v, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "r.conf:3: key 's.d': 2000000000 ns is out of range 1 ns..1999999999 ns");
	kimp_conf_free(c);
}

Test(config, segment_key_takes_what_a_segment_may_be_called)
{
	struct kimp_conf *c = NULL;
	char out[SHM_NAME_MAX];

	cr_assert_eq(kimp_conf_parse("g.conf", "[s]\na = feedd-2.x_y\nb = .hidden\nc = a/b\n", &c,
				     err, sizeof(err)), 0);
	cr_assert_eq(kimp_conf_segment(c, "s", "a", "x", out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out, "feedd-2.x_y");
	cr_assert_eq(kimp_conf_segment(c, "s", "absent", "riskd", out, err, sizeof(err)), 0);
	cr_assert_str_eq(out, "riskd");
	cr_assert_eq(kimp_conf_segment(c, "s", "b", "x", out, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "g.conf:3: key 's.b': '.hidden' is not a segment name (1 to 31 of "
			      "A-Z a-z 0-9 . _ -, not starting with '.')");
	cr_assert_eq(kimp_conf_segment(c, "s", "c", "x", out, err, sizeof(err)), -EINVAL);
	kimp_conf_free(c);
}
