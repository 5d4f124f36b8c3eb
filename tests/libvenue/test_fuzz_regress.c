/* SPDX-License-Identifier: MIT */
/*
 * libvenue: inputs the fuzzers (tests/fuzz, `make fuzz`) found mishandled,
 * fixed, and kept here as regression tests named after the bug.
 *
 * upbit_open_list_204_null_body: Upbit's open-orders parser, given the body
 * of a 204 reply (net_http_body: NULL, 0), did pointer arithmetic on NULL
 * in libvenue/jscan.h js_init (NULL + 0, undefined; UBSan stops there).
 * Every libvenue parser takes the same path for an absent body, so each is
 * fed one here and must refuse it cleanly.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"

#define SECRET "fuzz-secret-0123456789abcdef"

static struct venue_symtab tab;
static struct vo_keys keys;
static struct vo_ctx ctx;
static struct vo_event ev;
static unsigned calls;

static void setup_vo(const struct venue_ord *vo)
{
	bool krw = vo->venue == KIMP_VENUE_UPBIT || vo->venue == KIMP_VENUE_BITHUMB ||
		   vo->venue == KIMP_VENUE_COINONE;

	venue_symtab_init(&tab, vo->venue);
	if (krw)
		cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 0, 8, 1), 0);
	else
		cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 1), 0);
	tab.sym[0].code = 1;    /* OKX's instIdCode */
	/* OKX wants a passphrase; the others take none */
	cr_assert_eq(vo->key_init(&keys, "fuzzAccessKey0123456789", SECRET, strlen(SECRET),
				  vo->venue == KIMP_VENUE_OKX ? "fuzz-pass" : NULL), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = vo;
	ctx.syms = &tab;
	ctx.keys = &keys;
	strcpy(ctx.prefix, "kimp");
	ctx.prefix_len = 4;
	ctx.now_ns = 1747385641636000000ll;
	calls = 0;
}

static void each(void *arg, const struct vo_event *e)
{
	(void)arg;
	(void)e;
	calls++;
}

/*
 * The fuzzer's input, as orderd would see it: a 204 whose Content-Length
 * body the parser rightly drops, leaving net_http_body() = { NULL, 0 }.
 */
static void parse_204(struct net_http_parser *p, char *buf, size_t cap)
{
	static const char resp[] = "HTTP/1.1 204 X\r\nContent-Length: 13\r\n\r\n"
				   "rror\":{\"name\"";
	struct net_http_str b;

	cr_assert_lt(sizeof(resp), cap);
	memcpy(buf, resp, sizeof(resp));
	cr_assert_eq(net_http_parser_init(p, NET_HTTP_RESPONSE, NULL), 0);
	cr_assert_eq(net_http_parse(p, buf, sizeof(resp) - 1), NET_HTTP_DONE);
	b = net_http_body(p);
	cr_assert_null(b.p);
	cr_assert_eq(b.len, 0);
}

Test(libvenue_fuzz, upbit_open_list_204_null_body)
{
	struct net_http_parser p;
	char buf[128];

	setup_vo(&venue_ord_upbit);
	parse_204(&p, buf, sizeof(buf));
	cr_assert_eq(venue_ord_upbit.rest_parse_list(&ctx, p.status, &p, NULL, 0, each, NULL),
		     -VD_E_SYNTAX);
	cr_assert_eq(calls, 0);
}

Test(libvenue_fuzz, binance_open_list_204_null_body)
{
	struct net_http_parser p;
	char buf[128];

	setup_vo(&venue_ord_binance);
	parse_204(&p, buf, sizeof(buf));
	cr_assert_eq(venue_ord_binance.rest_parse_list(&ctx, p.status, &p, NULL, 0, each, NULL),
		     -VD_E_SYNTAX);
	cr_assert_eq(calls, 0);
}

/* Every other REST reply and the WebSocket parsers, with no bytes at all. */
Test(libvenue_fuzz, order_parsers_null_body)
{
	static const enum vo_op ops[] = { VO_OP_PLACE, VO_OP_CANCEL, VO_OP_QUERY, VO_OP_TIME };
	const struct venue_ord *vos[] = { &venue_ord_upbit, &venue_ord_binance };
	struct vo_order o = { .coid = 42, .sym = 0, .side = KIMP_SIDE_BUY, .type = VO_LIMIT,
			      .px = 100, .qty = 1 };
	struct net_http_parser p;
	char buf[128];

	for (unsigned v = 0; v < 2; v++) {
		setup_vo(vos[v]);
		parse_204(&p, buf, sizeof(buf));
		for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			int r = vos[v]->rest_parse(&ctx, ops[i], ops[i] == VO_OP_TIME ? NULL : &o,
						   200, &p, NULL, 0, &ev);

			/* (Upbit has no REST time: not its type either) */
			cr_assert(r == -VD_E_SYNTAX || (ops[i] == VO_OP_TIME && r == -VD_E_TYPE),
				  "%s op %d: %d", vos[v]->name, ops[i], r);
		}
		for (unsigned ch = 0; ch < VO_CH_N; ch++) {
			int r = vos[v]->ws_parse(&ctx, ch, NULL, 0, &ev);

			cr_assert(r == -VD_E_SYNTAX || r == -VD_E_TYPE, "%s ch %u: %d",
				  vos[v]->name, ch, r);
		}
	}
}

Test(libvenue_fuzz, md_decoders_null_input)
{
	struct vd_level bids[4], asks[4];
	struct vd_msg m = { .bids = bids, .asks = asks, .cap = 4 };

	venue_symtab_init(&tab, KIMP_VENUE_UPBIT);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "KRW", 0, 8, 1), 0);
	cr_assert_eq(venue_md_upbit.decode(&tab, NULL, 0, &m), -VD_E_SYNTAX);
	venue_symtab_init(&tab, KIMP_VENUE_BINANCE);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 1), 0);
	cr_assert_eq(venue_md_binance.decode(&tab, NULL, 0, &m), -VD_E_SYNTAX);
	cr_assert_eq(venue_md_binance.decode_snapshot(&tab, 0, NULL, 0, &m), -VD_E_SYNTAX);
}

/*
 * binance_diff_zero_price: a depthUpdate with a level at price "0" came out
 * as a VD_DIFF level px 0 (CI's binance_md fuzz run, 2026-11-21); a level
 * at no price is not a change of the book, so the message is refused.
 */
Test(libvenue_fuzz, binance_diff_zero_price)
{
	static const char msg[] = "{\"e\":\"depthUpdate\",\"E\":1723025111169,\"s\":\"BTCUSDT\","
				  "\"U\":10,\"u\":12,\"b\":[[\"57261.83\",\"0.1\"]],"
				  "\"a\":[[\"0\",\"0.11479000\"]]}";
	static const char ok[] = "{\"e\":\"depthUpdate\",\"E\":1723025111169,\"s\":\"BTCUSDT\","
				 "\"U\":10,\"u\":12,\"b\":[[\"57261.83\",\"0.1\"]],"
				 "\"a\":[[\"57262\",\"0\"]]}";
	struct vd_level bids[4], asks[4];
	struct vd_msg m = { .bids = bids, .asks = asks, .cap = 4 };

	venue_symtab_init(&tab, KIMP_VENUE_BINANCE);
	cr_assert_eq(venue_symtab_add(&tab, "BTC", "USDT", 2, 8, 1), 0);
	cr_assert_eq(venue_md_binance.decode(&tab, (const uint8_t *)msg, sizeof(msg) - 1, &m),
		     -VD_E_NUMBER);
	cr_assert_eq(venue_md_binance.decode(&tab, (const uint8_t *)ok, sizeof(ok) - 1, &m), 0);
	cr_assert_eq(m.kind, VD_DIFF);
	cr_assert_eq(m.nasks, 1);
	cr_assert_eq(m.asks[0].qty, 0);
}

/*
 * new_venues_null_input: the absent body (a 204: NULL, 0) and an empty
 * WebSocket message (NULL, 0) through every parser of Bithumb, Coinone,
 * Bybit and OKX (the class of upbit_open_list_204_null_body, checked before
 * the fuzzers of issue 10 ran): each refuses it, none reads through NULL.
 */
Test(libvenue_fuzz, new_venues_null_input)
{
	static const enum vo_op ops[] = { VO_OP_PLACE, VO_OP_CANCEL, VO_OP_QUERY, VO_OP_TIME };
	const struct venue_ord *vos[] = { &venue_ord_bithumb, &venue_ord_coinone, &venue_ord_bybit,
					  &venue_ord_okx };
	const struct venue_md *mds[] = { &venue_md_bithumb, &venue_md_coinone, &venue_md_bybit,
					 &venue_md_okx };
	struct vo_order o = { .coid = 42, .sym = 0, .side = KIMP_SIDE_BUY, .type = VO_LIMIT,
			      .px = 100, .qty = 1 };
	struct vd_level bids[4], asks[4];
	struct vd_msg m = { .bids = bids, .asks = asks, .cap = 4 };
	struct net_http_parser p;
	char buf[128];

	for (unsigned v = 0; v < 4; v++) {
		setup_vo(vos[v]);
		cr_assert_lt(mds[v]->decode(&tab, NULL, 0, &m), 0, "%s decode", vos[v]->name);
		if (mds[v]->decode_snapshot)
			cr_assert_lt(mds[v]->decode_snapshot(&tab, 0, NULL, 0, &m), 0,
				     "%s decode_snapshot", vos[v]->name);
		parse_204(&p, buf, sizeof(buf));
		for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			int r = vos[v]->rest_parse(&ctx, ops[i], ops[i] == VO_OP_TIME ? NULL : &o,
						   200, &p, NULL, 0, &ev);

			cr_assert_lt(r, 0, "%s op %d: %d", vos[v]->name, ops[i], r);
		}
		if (vos[v]->rest_parse_list) {
			int r = vos[v]->rest_parse_list(&ctx, 200, &p, NULL, 0, each, NULL);

			cr_assert_lt(r, 0, "%s open list: %d", vos[v]->name, r);
			cr_assert_eq(calls, 0);
		}
		for (unsigned ch = 0; ch < VO_CH_N; ch++) {
			int r = vos[v]->ws_parse ? vos[v]->ws_parse(&ctx, ch, NULL, 0, &ev) : -1;

			cr_assert_lt(r, 0, "%s ch %u: %d", vos[v]->name, ch, r);
		}
	}
}
