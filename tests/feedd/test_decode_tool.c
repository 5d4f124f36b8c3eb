/* SPDX-License-Identifier: MIT */
/*
 * feedd --decode VENUE: real captured messages in, normalized JSON lines
 * out, symbols learned as they come, errors as lines that say their kind,
 * capture-format lines taken too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../testutil.h"
#include "../../feedd/feedd.h"

/* Run the decoder over in[0..len) and return its output (malloc'd). */
static char *run(const char *venue, const char *in, size_t len, int *ret)
{
	char *out = NULL, err[256] = "";
	size_t olen = 0;
	FILE *fi = fmemopen((void *)in, len, "r");
	FILE *fo = open_memstream(&out, &olen);
	cr_assert(fi && fo);
	*ret = feedd_decode_stream(venue, fi, fo, 8, 8, err, sizeof(err));
	fclose(fi);
	fclose(fo);
	return out;
}

/* Line n (from 0) of a fixture. */
static char *fixture(const char *name, int n)
{
	char *l = test_fixture_line(name, n);
	cr_assert_not_null(l, "fixture %s line %d", name, n);
	return l;
}

Test(feedd_decode, upbit_orderbook_line_becomes_a_book_event)
{
	char *line = fixture("upbit-orderbook.jsonl", 0);
	char in[65536];
	snprintf(in, sizeof(in), "%s\n", line);
	int ret;
	char *out = run("upbit", in, strlen(in), &ret);
	cr_assert_eq(ret, 0);
	cr_assert_not_null(strstr(out, "\"venue\":\"upbit\",\"kind\":\"book\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"symbol\":\"KRW-BTC\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"bids\":[[\""), "%s", out);
	cr_assert_null(strstr(out, "\"error\""), "%s", out);
	free(out);
	free(line);
}

Test(feedd_decode, binance_lines_and_errors)
{
	char *a = fixture("binance-depthUpdate.jsonl", 1);
	char *b = fixture("binance-trade.jsonl", 0);
	char in[65536];
	snprintf(in, sizeof(in), "%s\n{\"e\":\"trade\",\"s\":\n%s\n", a, b);
	int ret;
	char *out = run("binance", in, strlen(in), &ret);
	cr_assert_eq(ret, 0);
	char *l1 = out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	cr_assert_eq(strncmp(l1, "{\"venue\":\"binance\",\"kind\":\"diff\"", 32), 0, "%s", out);
	cr_assert_not_null(strstr(l1, "\"first_id\":"), "%s", out);
	cr_assert_eq(strncmp(l2, "{\"venue\":\"binance\",\"error\":\"syntax\",\"line\":2}", 45), 0,
		     "%s", out);
	cr_assert_eq(strncmp(l3, "{\"venue\":\"binance\",\"kind\":\"trade\"", 33), 0, "%s", out);
	cr_assert_not_null(strstr(l3, "\"aggressor\":\""), "%s", out);
	free(out);
	free(a);
	free(b);
}

Test(feedd_decode, capture_lines_are_unescaped_and_keep_their_time)
{
	const char *in = "# kimp capture v1\n"
			 "1700000000000000000 binance t {\"result\":null,\"id\":7}\n";
	int ret;
	char *out = run("binance", in, strlen(in), &ret);
	cr_assert_eq(ret, 0);
	cr_assert_str_eq(out, "{\"venue\":\"binance\",\"kind\":\"control\","
			      "\"recv_ns\":1700000000000000000,\"req_id\":7}\n");
	free(out);
}

Test(feedd_decode, unknown_venue_is_refused)
{
	int ret;
	char *out = run("kraken", "x\n", 2, &ret);
	cr_assert_eq(ret, -EINVAL);
	free(out);
}
