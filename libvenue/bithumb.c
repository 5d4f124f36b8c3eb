/* SPDX-License-Identifier: MIT */
/*
 * Bithumb market data (shared/docs/venues/exchanges-kr.md, sections 0 and
 * 2.1): the v1 public WebSocket at wss://ws-api.bithumb.com/websocket/v1,
 * which speaks Upbit's protocol: the same request array (ticket, one object
 * per type with codes, format DEFAULT or SIMPLE), the same QUOTE-BASE
 * codes, binary frames (H1), full books of orderbook_units (H7, H8), text
 * PING answered by {"status":"UP"}, errors {"error":{"name",...}} then a
 * close.
 *
 * So the decoder is Upbit's (libvenue/upbit.c, through upbit_share.h) with
 * Bithumb's flavour:
 *  - messages are stamped KIMP_VENUE_BITHUMB;
 *  - "timestamp" (tms) is in ms below 1e14 and in microseconds above: the
 *    orderbook's is 16 digits (us) on the wire and 13 (ms) in the doc's
 *    example (H5); other messages carry ms;
 *  - the key order guessed first is Bithumb's (type, code, then its own
 *    order; trades have no best_* fields): a speed hint, any order decodes
 *    the same.
 * trade_date / trade_time are KST here (H6) and are not read: trade time
 * comes from trade_timestamp only. The ticker's delisting_date may be ""
 * (skipped like any value). Levels with price or size 0 are dropped (H8:
 * sizes print at 4 decimals, so a live level can show size 0).
 *
 * Subscribe: Bithumb's snapshot flags are camelCase (isOnlySnapshot /
 * isOnlyRealtime): none is sent, so the venue gives a snapshot then
 * realtime, as wanted. Depth: 15 levels at most; a .1/.5/.15 suffix
 * narrows it (a .30 asked for still gives 15).
 *
 * The legacy socket (pubwss.bithumb.com, {"status":"0000",...}) is not
 * spoken: its frames decode as VD_E_TYPE.
 */
#include <errno.h>
#include <string.h>
#include "kimp/venue.h"
#include "jscan.h"
#include "upbit_share.h"

#define BT_NS_PER_S 1000000000ull

/* ---- the decoder's flavour -------------------------------------------------- */

static const struct ub_klit bt_book_keys[2][7] = {
	{ UB_KL("code"), UB_KL("total_ask_size"), UB_KL("total_bid_size"),
	  UB_KL("orderbook_units"), UB_KL("level"), UB_KL("timestamp"), UB_KL("stream_type") },
	{ UB_KL("cd"), UB_KL("tas"), UB_KL("tbs"), UB_KL("obu"), UB_KL("lv"), UB_KL("tms"),
	  UB_KL("st") },
};

static const struct ub_klit bt_trade_keys[2][13] = {
	{ UB_KL("code"), UB_KL("trade_price"), UB_KL("trade_volume"), UB_KL("ask_bid"),
	  UB_KL("prev_closing_price"), UB_KL("change"), UB_KL("change_price"),
	  UB_KL("trade_date"), UB_KL("trade_time"), UB_KL("trade_timestamp"),
	  UB_KL("sequential_id"), UB_KL("timestamp"), UB_KL("stream_type") },
	{ UB_KL("cd"), UB_KL("tp"), UB_KL("tv"), UB_KL("ab"), UB_KL("pcp"), UB_KL("c"),
	  UB_KL("cp"), UB_KL("td"), UB_KL("ttm"), UB_KL("ttms"), UB_KL("sid"), UB_KL("tms"),
	  UB_KL("st") },
};

static const struct ub_klit bt_ticker_keys[2][32] = {
	{ UB_KL("code"), UB_KL("opening_price"), UB_KL("high_price"), UB_KL("low_price"),
	  UB_KL("trade_price"), UB_KL("prev_closing_price"), UB_KL("change"),
	  UB_KL("change_price"), UB_KL("signed_change_price"), UB_KL("change_rate"),
	  UB_KL("signed_change_rate"), UB_KL("trade_volume"), UB_KL("acc_trade_volume"),
	  UB_KL("acc_trade_volume_24h"), UB_KL("acc_trade_price"), UB_KL("acc_trade_price_24h"),
	  UB_KL("trade_date"), UB_KL("trade_time"), UB_KL("trade_timestamp"), UB_KL("ask_bid"),
	  UB_KL("acc_ask_volume"), UB_KL("acc_bid_volume"), UB_KL("highest_52_week_price"),
	  UB_KL("highest_52_week_date"), UB_KL("lowest_52_week_price"),
	  UB_KL("lowest_52_week_date"), UB_KL("market_state"), UB_KL("is_trading_suspended"),
	  UB_KL("delisting_date"), UB_KL("market_warning"), UB_KL("timestamp"),
	  UB_KL("stream_type") },
	{ UB_KL("cd"), UB_KL("op"), UB_KL("hp"), UB_KL("lp"), UB_KL("tp"), UB_KL("pcp"),
	  UB_KL("c"), UB_KL("cp"), UB_KL("scp"), UB_KL("cr"), UB_KL("scr"), UB_KL("tv"),
	  UB_KL("atv"), UB_KL("atv24h"), UB_KL("atp"), UB_KL("atp24h"), UB_KL("tdt"),
	  UB_KL("ttm"), UB_KL("ttms"), UB_KL("ab"), UB_KL("aav"), UB_KL("abv"), UB_KL("h52wp"),
	  UB_KL("h52wdt"), UB_KL("l52wp"), UB_KL("l52wdt"), UB_KL("ms"), UB_KL("its"),
	  UB_KL("dd"), UB_KL("mw"), UB_KL("tms"), UB_KL("st") },
};

static const struct ub_flavour bt_flavour = {
	.venue = KIMP_VENUE_BITHUMB,
	.tms_auto_us = true,
	.seq = {
		[T_BOOK] = { { bt_book_keys[0], 7 }, { bt_book_keys[1], 7 } },
		[T_TRADE] = { { bt_trade_keys[0], 13 }, { bt_trade_keys[1], 13 } },
		[T_TICKER] = { { bt_ticker_keys[0], 32 }, { bt_ticker_keys[1], 32 } },
	},
};

/*
 * One WebSocket message into m: 0, or -enum vd_err with m->kind VD_NONE.
 * Pointers left in m (sym_name, err_name) point into p.
 */
static int bt_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	return ub_decode_as(&bt_flavour, t, p, len, m);
}

/* ---- trading rules (2.6) ---------------------------------------------------- */

/*
 * The KRW price unit per band (the official trade kit's table; it differs
 * from Upbit's below 100 KRW), in units of 1e-8 KRW from the band's floor.
 */
static const struct ub_band bt_krw_ticks[] = {
	{ 100000000000000, 100000000000 },  /* >= 1,000,000: 1,000 */
	{ 50000000000000, 50000000000 },    /* >= 500,000: 500 */
	{ 10000000000000, 10000000000 },    /* >= 100,000: 100 */
	{ 5000000000000, 5000000000 },      /* >= 50,000: 50 */
	{ 1000000000000, 1000000000 },      /* >= 10,000: 10 */
	{ 500000000000, 500000000 },        /* >= 5,000: 5 */
	{ 10000000000, 100000000 },         /* >= 100: 1 */
	{ 1000000000, 1000000 },            /* >= 10: 0.01 */
	{ 100000000, 100000 },              /* >= 1: 0.001 */
	{ INT64_MIN, 10000 },               /* below 1: 0.0001 */
};

static int64_t bt_tick_krw(int64_t px, unsigned px_dec)
{
	return ub_tick_bands(bt_krw_ticks, sizeof(bt_krw_ticks) / sizeof(bt_krw_ticks[0]), px,
			     px_dec);
}

static const int64_t bt_p10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
				   100000000 };

/*
 * KRW markets: the banded tick, 1e-8 quantity, 5,000 KRW minimum (2.6; no
 * maximum published). BTC markets: tick 0.00000001 BTC, minimum 0.0005 BTC
 * (the chance example), which needs px_dec 8. Bithumb has no USDT-quoted
 * market (-ENOENT).
 */
static int bt_inst_rules(const char *base, const char *quote, unsigned px_dec,
			 unsigned qty_dec, struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (!base || !quote)
		return -ENOENT;
	if (!strcmp(quote, "KRW")) {
		if (px_dec > 8 || qty_dec > 8)
			return -ERANGE;
		out->tick_at = bt_tick_krw;
		out->step = 1;
		out->min_notional = 5000 * bt_p10[px_dec];
		return 0;
	}
	if (!strcmp(quote, "BTC")) {
		if (px_dec != 8 || qty_dec > 8)
			return -ERANGE;
		out->tick = 1;
		out->step = 1;
		out->min_notional = 50000;     /* 0.0005 BTC */
		return 0;
	}
	return -ENOENT;
}

const struct venue_md venue_md_bithumb = {
	.venue = KIMP_VENUE_BITHUMB,
	.name = "bithumb",
	.ws_url = "wss://ws-api.bithumb.com",   /* the origin: ws_target adds the path */
	.rest_url = "https://api.bithumb.com",
	.quote = "KRW",
	.book_mode = VENUE_BOOK_FULL,           /* H7: every frame a whole book */
	.binary_frames = true,                  /* H1 */
	.ping_text = "PING",                    /* answered by {"status":"UP"} */
	.ping_every_ns = 20 * BT_NS_PER_S,      /* 120 s documented, 60 s seen on the wire */
	.conn_life_ns = 0,
	.stale_after_ns = 10 * BT_NS_PER_S,     /* a quiet book sends nothing */
	.streams_max = 0,
	.snapshot_limit = 0,
	.symbol = ub_symbol,
	.ws_target = ub_ws_target,              /* /websocket/v1, as Upbit's */
	.ws_subscribe = ub_subscribe,
	.ws_unsubscribe = NULL,
	.snapshot_target = ub_snapshot_target,
	.split = ub_split,
	.decode = bt_decode,
	.decode_snapshot = NULL,
	.book_checksum = NULL,
	.checksum_depth = 0,
	.taker_fee = "0.0025",                  /* 2.6: base 0.25%; chance says the account's */
	.maker_fee = "0.0025",
	.inst_rules = bt_inst_rules,
};
