/* SPDX-License-Identifier: MIT */
/*
 * exsim's Bithumb (api.bithumb.com, ws-api.bithumb.com): the KRW markets,
 * the public WebSocket, the v2 private WebSocket and the REST order API, as
 * shared/docs/venues/exchanges-kr.md sections 0 and 2 describe them and
 * shared/fixtures/venues/bithumb-*.jsonl show them. Bithumb mirrors Upbit's
 * API, so it runs on the Upbit-like core (venue_upbitlike.h, the protocol
 * machinery in venue_upbit.c); this file is what Bithumb does differently.
 *
 * Markets (2.6, 2.7): KRW-<COIN> for every scenario coin and KRW-USDT, on
 * Bithumb's KRW tick table (it differs from Upbit's under 100 KRW; KRW-USDT
 * 1 KRW as the probe saw), 5,000 KRW minimum, fees from the venue config
 * (the venue's base is 0.25%) paid in KRW.
 *
 * Public WebSocket (2.1), /websocket/v1: binary frames of JSON, the Upbit
 * request array with camelCase isOnlySnapshot / isOnlyRealtime (the snake
 * case spelling is silently ignored), formats DEFAULT and SIMPLE only, no
 * LIST_SUBSCRIPTIONS, no per-connection message limit (none is published).
 * orderbook: 15 levels at most (.1 .5 .15 narrow it, .30 and anything else
 * give 15), "level":1, timestamps in MICROseconds, sizes cut to 4 decimals
 * (a live level can show 0, H8), prices and sizes as plain decimals; trade
 * and ticker: dates and times in KST (H6), ms timestamps. PING answers
 * {"status":"UP"}, and every 10 s after; idle sockets are cut at 60 s.
 * Upgrades: 10 a second (public and private), then 429.
 *
 * Private WebSocket (2.3, 2.4), /websocket/v2/private: the JWT in the
 * upgrade's authorization header; myOrder with the v2 keys (order_id,
 * client_order_id, side buy/sell, order_price, trade_*, cancel_type, ...;
 * fields without a value left out) and myAsset (balances as strings).
 *
 * REST (2.2, 2.3, 2.5): POST /v2/orders (order_type, client_order_id
 * 1-36 [A-Za-z0-9_-], idempotent: a repeat answers the order it names),
 * DELETE /v2/order?order_id=|client_order_id=, GET /v1/order?uuid=|
 * client_order_id=, GET /v1/orders (open orders), GET /v1/orders/chance,
 * GET /v1/accounts, GET /v1/market/all, GET /v1/orderbook. JWT HS256 (HS512
 * accepted) with access_key, nonce, a required ms timestamp and query_hash.
 * Request windows per IP and category: public 150/s, order, cancel and
 * other private 140/s each; x-ratelimit-remaining and
 * x-ratelimit-replenish-rate on every reply; over the budget 429 (no
 * escalating block: none is published for REST). Order ids are strings
 * like C0101000000001799625.
 *
 * Choices where the doc is silent, each at its code: the new-order reply
 * and its status (bithumb_var), the JWT timestamp window, the number forms
 * of v2 myOrder, the 4-decimal cut of book sizes, the sub-ms digits of book
 * timestamps. Not simulated: the legacy socket (pubwss), the v1 private
 * socket (being retired), v1 POST /v1/orders, batch order and cancel,
 * /v2/orders/search|pending|history, grouping levels other than 1 (a valid
 * one yields no data, an invalid one is WRONG_FORMAT), STP (stp_type shows
 * the venue's default cancel_taker; nothing is ever prevented).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "venue_upbitlike.h"

#define BTH_MIN_TOTAL   (5000LL * SIM_SCALE)
#define BTH_MAX_TOTAL   (1000000000LL * SIM_SCALE)
#define BTH_DEPTH       15u
#define BTH_SIZE_CUT    (SIM_SCALE / 10000)     /* sizes print at 4 decimals */
#define BTH_ID_PREFIX   "C0101"
#define BTH_ID_DIGITS   15

/* REST categories (2.5), per IP. */
enum { BG_PUBLIC = 0, BG_ORDER, BG_CANCEL, BG_PRIVATE, BG_N };
KIMP_STATIC_ASSERT(BG_N <= UPL_GROUPS, "rate groups fit");
static const struct upl_group bithumb_groups[BG_N] = {
	[BG_PUBLIC] = { "public", 150 },
	[BG_ORDER] = { "order", 140 },
	[BG_CANCEL] = { "cancel", 140 },
	[BG_PRIVATE] = { "private", 140 },
};

/* ---- markets ---------------------------------------------------------------------- */

#define S SIM_SCALE

/* The KRW price unit for a price (2.6). */
static sim_fx bth_tick(sim_fx px)
{
	static const struct {
		sim_fx from, tick;
	} t[] = {
		{ 1000000 * S, 1000 * S }, { 500000 * S, 500 * S }, { 100000 * S, 100 * S },
		{ 50000 * S, 50 * S }, { 10000 * S, 10 * S }, { 5000 * S, 5 * S },
		{ 100 * S, S }, { 10 * S, S / 100 }, { S, S / 1000 },
	};

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++)
		if (px >= t[i].from)
			return t[i].tick;
	return S / 10000;
}

#undef S

static const struct upl_variant bithumb_var;

/*
 * Instruments KRW-<COIN> and KRW-USDT, the venue's rules, the core's state.
 * 0, -ENOMEM, or -ENOSPC when the market's tables are full.
 */
static kimp_cold int bth_setup(struct sim_venue *v)
{
	const struct sim_scenario *sc = v->m->sc;
	struct sim_venue_rules *ru = &v->x->rules[v->idx];
	struct sim_inst *in;
	char sym[SIM_SYM_MAX];
	int err = upl_new(v, &bithumb_var);

	if (err)
		return err;
	for (uint32_t c = 0; c <= sc->ncoins; c++) {
		bool fx = c == sc->ncoins;

		if (fx)
			in = sim_market_add_inst(v->m, v->idx, SIM_COIN_FX, "KRW-USDT", "USDT",
						 "KRW");
		else {
			snprintf(sym, sizeof(sym), "KRW-%s", sc->coins[c].name);
			in = sim_market_add_inst(v->m, v->idx, (int)c, sym, sc->coins[c].name,
						 "KRW");
		}
		if (!in)
			return -ENOSPC;
		upl_inst_rules(v, in, bth_tick, BTH_DEPTH);
		in->min_notional = BTH_MIN_TOTAL;
		in->max_notional = BTH_MAX_TOTAL;
	}
	memset(ru, 0, sizeof(*ru));
	ru->maker_fee = v->cfg->maker_fee;
	ru->taker_fee = v->cfg->taker_fee;
	ru->fee_rule = SIM_FEE_QUOTE;
	ru->lock_fee = true;
	ru->cid_forever = true;         /* a client id names one order for good */
	ru->fok_rejects = false;
	return 0;
}

/* ---- ids and rate headers ---------------------------------------------------------- */

/* "C0101" + the id in 15 digits (the docs' C0101000000001799625). */
static void id_of(uint64_t id, char out[UPL_IDSTR])
{
	snprintf(out, UPL_IDSTR, BTH_ID_PREFIX "%0*llu", BTH_ID_DIGITS,
		 (unsigned long long)id);
}

/* An engine order's id; a post-only phantom (no engine id) keeps its uuid. */
static void bth_id_str(const struct sim_venue *v, const struct sim_order *o,
		       char out[UPL_IDSTR])
{
	if (o->id)
		id_of(o->id, out);
	else
		snprintf(out, UPL_IDSTR, "%s", o->uuid);
}

static struct sim_order *bth_find_id(struct sim_venue *v, const char *id)
{
	size_t pl = sizeof(BTH_ID_PREFIX) - 1, n = strlen(id);
	uint64_t x = 0;

	if (n != pl + BTH_ID_DIGITS || memcmp(id, BTH_ID_PREFIX, pl))
		return NULL;
	for (size_t i = pl; i < n; i++) {
		if (id[i] < '0' || id[i] > '9')
			return NULL;
		x = x * 10 + (uint64_t)(id[i] - '0');
	}
	return x ? sim_exch_find_id(v->x, v->idx, x) : NULL;
}

/* "x-ratelimit-remaining: 139\r\nx-ratelimit-replenish-rate: 140\r\n" (2.5). */
static void bth_limit_hdr(struct upbit *u, unsigned who, unsigned g, char *out, size_t cap)
{
	struct jw w;

	jw_init(&w, out, cap);
	jw_lit(&w, "x-ratelimit-remaining: ");
	jw_u64(&w, upl_rl_left(u, who, g));
	jw_lit(&w, "\r\nx-ratelimit-replenish-rate: ");
	jw_u64(&w, bithumb_groups[g].per_sec);
	jw_lit(&w, "\r\n");
	if (!jw_done(&w))
		out[0] = '\0';
}

/* ---- market data (2.1; bithumb-orderbook/trade/ticker.jsonl) ------------------------- */

static sim_fx cut4(sim_fx q)
{
	return q - q % BTH_SIZE_CUT;
}

struct bob_keys {
	const char *head, *tas, *tbs, *units, *unit, *bp, *as, *bs, *tail;
};

static const struct bob_keys bob_keys[3] = {
	{ "{\"type\":\"orderbook\",\"code\":", ",\"total_ask_size\":", ",\"total_bid_size\":",
	  ",\"orderbook_units\":[", "{\"ask_price\":", ",\"bid_price\":", ",\"ask_size\":",
	  ",\"bid_size\":", "],\"level\":1,\"timestamp\":" },
	{ "{\"ty\":\"orderbook\",\"cd\":", ",\"tas\":", ",\"tbs\":", ",\"obu\":[", "{\"ap\":",
	  ",\"bp\":", ",\"as\":", ",\"bs\":", "],\"lv\":1,\"tms\":" },
	/* REST GET /v1/orderbook: ms timestamps since 2025-11-11 (2.5) */
	{ "{\"market\":", ",\"total_ask_size\":", ",\"total_bid_size\":",
	  ",\"orderbook_units\":[", "{\"ask_price\":", ",\"bid_price\":", ",\"ask_size\":",
	  ",\"bid_size\":", "],\"timestamp\":" },
};

/*
 * The whole book to 'depth' pairs (a thinner side padded with 0/0 as
 * Upbit's), totals the sums of the delivered (cut) sizes. The WebSocket
 * timestamp is in microseconds (H5): the ms time x 1000 plus sub-ms digits
 * made from it, so it reads as a live 16-digit value.
 */
static void bth_book(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		     unsigned fmt, unsigned depth, uint64_t ts, const char *stream)
{
	const struct sim_book_side *a = &in->book.side[SIM_ASK], *b = &in->book.side[SIM_BID];
	const struct bob_keys *k = &bob_keys[!stream ? 2 : (fmt & FMT_SIMPLE) ? 1 : 0];
	uint32_t na = a->n < depth ? a->n : depth, nb = b->n < depth ? b->n : depth;
	uint32_t n = na > nb ? na : nb;
	sim_fx ta = 0, tb = 0;

	for (uint32_t i = 0; i < na; i++)
		ta += cut4(a->lv[i].qty);
	for (uint32_t i = 0; i < nb; i++)
		tb += cut4(b->lv[i].qty);
	jw_lit(w, k->head);
	jw_str(w, in->sym);
	jw_lit(w, k->tas);
	jw_fx_short(w, ta);
	jw_lit(w, k->tbs);
	jw_fx_short(w, tb);
	jw_lit(w, k->units);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			jw_raw(w, ",", 1);
		jw_lit(w, k->unit);
		jw_fx_short(w, i < na ? a->lv[i].px : 0);
		jw_lit(w, k->bp);
		jw_fx_short(w, i < nb ? b->lv[i].px : 0);
		jw_lit(w, k->as);
		jw_fx_short(w, i < na ? cut4(a->lv[i].qty) : 0);
		jw_lit(w, k->bs);
		jw_fx_short(w, i < nb ? cut4(b->lv[i].qty) : 0);
		jw_raw(w, "}", 1);
	}
	jw_lit(w, k->tail);
	if (!stream) {
		jw_u64(w, ts);
		jw_raw(w, "}", 1);
		return;
	}
	jw_u64(w, ts * 1000 + (ts * 7919 + in->vidx * 131) % 1000);
	jw_lit(w, (fmt & FMT_SIMPLE) ? ",\"st\":\"" : ",\"stream_type\":\"");
	jw_lit(w, stream);
	jw_raw(w, "\"}", 2);
}

enum { BT_HEAD, BT_TP, BT_TV, BT_AB, BT_PCP, BT_C, BT_CP, BT_TD, BT_TTM, BT_TTMS, BT_SID,
       BT_TMS, BT_ST, BT_N };

static const char *const btrade_keys[2][BT_N] = {
	{ "{\"type\":\"trade\",\"code\":", ",\"trade_price\":", ",\"trade_volume\":",
	  ",\"ask_bid\":", ",\"prev_closing_price\":", ",\"change\":", ",\"change_price\":",
	  ",\"trade_date\":", ",\"trade_time\":", ",\"trade_timestamp\":",
	  ",\"sequential_id\":", ",\"timestamp\":", ",\"stream_type\":\"" },
	{ "{\"ty\":\"trade\",\"cd\":", ",\"tp\":", ",\"tv\":", ",\"ab\":", ",\"pcp\":", ",\"c\":",
	  ",\"cp\":", ",\"td\":", ",\"ttm\":", ",\"ttms\":", ",\"sid\":", ",\"tms\":",
	  ",\"st\":\"" },
};

/* One trade (2.1): plain numbers, date and time in KST, no best_* fields. */
static void bth_trade(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		      const struct sim_trade *t, unsigned fmt, const char *stream, uint64_t now)
{
	const char *const *k = btrade_keys[fmt & FMT_SIMPLE];
	uint64_t tts = upl_vts(v, t->ts_ms);
	sim_fx prev = in->prev_close;

	jw_lit(w, k[BT_HEAD]);
	jw_str(w, in->sym);
	jw_lit(w, k[BT_TP]);
	jw_fx_short(w, t->px);
	jw_lit(w, k[BT_TV]);
	jw_fx_short(w, t->qty);
	jw_lit(w, k[BT_AB]);
	jw_lit(w, t->taker_side == SIM_BID ? "\"BID\"" : "\"ASK\"");
	jw_lit(w, k[BT_PCP]);
	jw_fx_short(w, prev);
	jw_lit(w, k[BT_C]);
	jw_lit(w, upl_change_of(t->px, prev));
	jw_lit(w, k[BT_CP]);
	jw_fx_short(w, prev ? (t->px > prev ? t->px - prev : prev - t->px) : 0);
	jw_lit(w, k[BT_TD]);
	upl_jw_date(w, tts + UPL_KST_MS, true);
	jw_lit(w, k[BT_TTM]);
	upl_jw_time(w, tts + UPL_KST_MS, true);
	jw_lit(w, k[BT_TTMS]);
	jw_u64(w, tts);
	jw_lit(w, k[BT_SID]);
	jw_u64(w, t->ts_ms * 10000 + t->id % 10000);
	jw_lit(w, k[BT_TMS]);
	jw_u64(w, now);
	jw_lit(w, k[BT_ST]);
	jw_lit(w, stream);
	jw_raw(w, "\"}", 2);
}

enum { BX_HEAD, BX_OP, BX_HP, BX_LP, BX_TP, BX_PCP, BX_C, BX_CP, BX_SCP, BX_CR, BX_SCR, BX_TV,
       BX_ATV, BX_ATV24, BX_ATP, BX_ATP24, BX_TDT, BX_TTM, BX_TTMS, BX_AB, BX_AAV, BX_ABV,
       BX_H52P, BX_H52D, BX_L52P, BX_L52D, BX_MS, BX_TMS, BX_ST, BX_N };

static const char *const bticker_keys[2][BX_N] = {
	{ "{\"type\":\"ticker\",\"code\":", ",\"opening_price\":", ",\"high_price\":",
	  ",\"low_price\":", ",\"trade_price\":", ",\"prev_closing_price\":", ",\"change\":",
	  ",\"change_price\":", ",\"signed_change_price\":", ",\"change_rate\":",
	  ",\"signed_change_rate\":", ",\"trade_volume\":", ",\"acc_trade_volume\":",
	  ",\"acc_trade_volume_24h\":", ",\"acc_trade_price\":", ",\"acc_trade_price_24h\":",
	  ",\"trade_date\":", ",\"trade_time\":", ",\"trade_timestamp\":", ",\"ask_bid\":",
	  ",\"acc_ask_volume\":", ",\"acc_bid_volume\":", ",\"highest_52_week_price\":",
	  ",\"highest_52_week_date\":", ",\"lowest_52_week_price\":",
	  ",\"lowest_52_week_date\":",
	  ",\"market_state\":\"ACTIVE\",\"is_trading_suspended\":false,\"delisting_date\":null,"
	  "\"market_warning\":\"NONE\"", ",\"timestamp\":", ",\"stream_type\":\"" },
	{ "{\"ty\":\"ticker\",\"cd\":", ",\"op\":", ",\"hp\":", ",\"lp\":", ",\"tp\":",
	  ",\"pcp\":", ",\"c\":", ",\"cp\":", ",\"scp\":", ",\"cr\":", ",\"scr\":", ",\"tv\":",
	  ",\"atv\":", ",\"atv24h\":", ",\"atp\":", ",\"atp24h\":", ",\"tdt\":", ",\"ttm\":",
	  ",\"ttms\":", ",\"ab\":", ",\"aav\":", ",\"abv\":", ",\"h52wp\":", ",\"h52wdt\":",
	  ",\"l52wp\":", ",\"l52wdt\":", ",\"ms\":\"ACTIVE\",\"its\":false,\"dd\":null,"
	  "\"mw\":\"NONE\"", ",\"tms\":", ",\"st\":\"" },
};

/* A rate in 1e-8 as a plain decimal (0.01775026), signed. */
static void jw_rate8(struct jw *w, int64_t r)
{
	if (r < 0)
		jw_raw(w, "-", 1);
	jw_fx_short(w, r < 0 ? -r : r);
}

/*
 * A ticker after trade t, in the official example's order and plain
 * numbers; trade_date / trade_time in KST (yyyyMMdd, HHmmss). One trading
 * day: the 52-week extremes are the day's.
 */
static void bth_ticker(struct jw *w, const struct sim_venue *v, const struct sim_inst *in,
		       const struct sim_trade *t, unsigned fmt, const char *stream, uint64_t now)
{
	const struct upbit *u = v->priv;
	const char *const *k = bticker_keys[fmt & FMT_SIMPLE];
	uint64_t tts = upl_vts(v, t->ts_ms);
	sim_fx prev = in->prev_close, px = t->px, chg = prev ? px - prev : 0;
	int64_t rate = prev ? (int64_t)((__int128)chg * SIM_SCALE / prev) : 0;
	sim_fx hi = in->high_px ? in->high_px : px, lo = in->low_px ? in->low_px : px;

	jw_lit(w, k[BX_HEAD]);
	jw_str(w, in->sym);
	jw_lit(w, k[BX_OP]);
	jw_fx_short(w, in->open_px ? in->open_px : px);
	jw_lit(w, k[BX_HP]);
	jw_fx_short(w, hi);
	jw_lit(w, k[BX_LP]);
	jw_fx_short(w, lo);
	jw_lit(w, k[BX_TP]);
	jw_fx_short(w, px);
	jw_lit(w, k[BX_PCP]);
	jw_fx_short(w, prev);
	jw_lit(w, k[BX_C]);
	jw_lit(w, upl_change_of(px, prev));
	jw_lit(w, k[BX_CP]);
	jw_fx_short(w, chg < 0 ? -chg : chg);
	jw_lit(w, k[BX_SCP]);
	jw_rate8(w, chg);
	jw_lit(w, k[BX_CR]);
	jw_rate8(w, rate < 0 ? -rate : rate);
	jw_lit(w, k[BX_SCR]);
	jw_rate8(w, rate);
	jw_lit(w, k[BX_TV]);
	jw_fx_short(w, t->qty);
	jw_lit(w, k[BX_ATV]);
	jw_fx_short(w, in->acc_volume);
	jw_lit(w, k[BX_ATV24]);
	jw_fx_short(w, in->acc_volume);
	jw_lit(w, k[BX_ATP]);
	jw_fx_short(w, in->acc_quote);
	jw_lit(w, k[BX_ATP24]);
	jw_fx_short(w, in->acc_quote);
	jw_lit(w, k[BX_TDT]);
	upl_jw_date(w, tts + UPL_KST_MS, false);
	jw_lit(w, k[BX_TTM]);
	upl_jw_time(w, tts + UPL_KST_MS, false);
	jw_lit(w, k[BX_TTMS]);
	jw_u64(w, tts);
	jw_lit(w, k[BX_AB]);
	jw_lit(w, t->taker_side == SIM_BID ? "\"BID\"" : "\"ASK\"");
	jw_lit(w, k[BX_AAV]);
	jw_fx_short(w, u->acc_ask[in->vidx]);
	jw_lit(w, k[BX_ABV]);
	jw_fx_short(w, u->acc_bid[in->vidx]);
	jw_lit(w, k[BX_H52P]);
	jw_fx_short(w, hi);
	jw_lit(w, k[BX_H52D]);
	upl_jw_date(w, tts + UPL_KST_MS, true);
	jw_lit(w, k[BX_L52P]);
	jw_fx_short(w, lo);
	jw_lit(w, k[BX_L52D]);
	upl_jw_date(w, tts + UPL_KST_MS, true);
	jw_lit(w, k[BX_MS]);
	jw_lit(w, k[BX_TMS]);
	jw_u64(w, now);
	jw_lit(w, k[BX_ST]);
	jw_lit(w, stream);
	jw_raw(w, "\"}", 2);
}

/* ---- private events (2.4; bithumb-myasset.jsonl) ----------------------------------- */

enum { MV_HEAD, MV_OID, MV_COID, MV_SD, MV_OT, MV_S, MV_TIF, MV_OP, MV_OQ, MV_OA, MV_TID,
       MV_TP, MV_TQ, MV_TA, MV_TTMS, MV_EQ, MV_RQ, MV_EA, MV_PF, MV_RMF, MV_RSF, MV_CT,
       MV_OTMS, MV_TMS, MV_TAIL, MV_N };

static const char *const mv_keys[2][MV_N] = {
	{ "{\"type\":\"myOrder\",\"stream_type\":\"REALTIME\",\"code\":", ",\"order_id\":",
	  ",\"client_order_id\":", ",\"side\":", ",\"order_type\":\"", ",\"state\":\"",
	  ",\"time_in_force\":\"", ",\"order_price\":", ",\"order_quantity\":",
	  ",\"order_amount\":", ",\"trade_id\":", ",\"trade_price\":", ",\"trade_quantity\":",
	  ",\"trade_amount\":", ",\"trade_timestamp\":", ",\"executed_quantity\":",
	  ",\"remaining_quantity\":", ",\"executed_amount\":", ",\"paid_fee\":",
	  ",\"remaining_fee\":", ",\"reserved_fee\":", ",\"cancel_type\":\"",
	  ",\"order_timestamp\":", ",\"timestamp\":", "}" },
	{ "{\"ty\":\"myOrder\",\"st\":\"REALTIME\",\"cd\":", ",\"oid\":", ",\"coid\":",
	  ",\"sd\":", ",\"ot\":\"", ",\"s\":\"", ",\"tif\":\"", ",\"op\":", ",\"oq\":",
	  ",\"oa\":", ",\"tid\":", ",\"tp\":", ",\"tq\":", ",\"ta\":", ",\"ttms\":", ",\"eq\":",
	  ",\"rq\":", ",\"ea\":", ",\"pf\":", ",\"rmf\":", ",\"rsf\":", ",\"ct\":\"",
	  ",\"otms\":", ",\"tms\":", "}" },
};

static void jw_quoted(struct jw *w, const char *s)
{
	jw_lit(w, s);
	jw_raw(w, "\"", 1);
}

/*
 * A v2 myOrder (2.4): fields without a value are left out; side buy/sell;
 * a cancel carries cancel_type (tif_cancel for an IOC/FOK remainder, else
 * user). Numbers are plain JSON numbers as in the captured v1 message (no
 * literal v2 sample exists).
 */
static void bth_myorder(struct jw *w, struct sim_venue *v, const struct sim_order *o,
			const struct sim_fill *f, const char *state, unsigned fmt)
{
	const char *const *k = mv_keys[fmt & FMT_SIMPLE];
	const struct sim_inst *in = &v->m->inst[o->inst];
	const char *tif = upl_tif_name(o);
	bool q = upl_by_quote(o);
	struct ord_nums n;
	char id[UPL_IDSTR];

	upl_ord_nums(v, o, &n);
	jw_lit(w, k[MV_HEAD]);
	jw_str(w, in->sym);
	jw_lit(w, k[MV_OID]);
	bth_id_str(v, o, id);
	jw_str(w, id);
	if (o->cid[0]) {
		jw_lit(w, k[MV_COID]);
		jw_str(w, o->cid);
	}
	jw_lit(w, k[MV_SD]);
	jw_lit(w, o->side == SIM_BID ? "\"buy\"" : "\"sell\"");
	jw_lit(w, k[MV_OT]);
	jw_quoted(w, upl_ord_type_name(o));
	jw_lit(w, k[MV_S]);
	jw_quoted(w, state);
	if (tif) {
		jw_lit(w, k[MV_TIF]);
		jw_quoted(w, tif);
	}
	if (o->type == SIM_ORD_LIMIT) {
		jw_lit(w, k[MV_OP]);
		jw_fx_short(w, o->px);
	}
	if (!q) {
		jw_lit(w, k[MV_OQ]);
		jw_fx_short(w, o->qty);
	} else {
		jw_lit(w, k[MV_OA]);
		jw_fx_short(w, o->quote_qty);
	}
	if (f) {
		id_of(f->exec_id, id);
		jw_lit(w, k[MV_TID]);
		jw_str(w, id);
		jw_lit(w, k[MV_TP]);
		jw_fx_short(w, f->px);
		jw_lit(w, k[MV_TQ]);
		jw_fx_short(w, f->qty);
		jw_lit(w, k[MV_TA]);
		jw_fx_short(w, f->quote);
		jw_lit(w, k[MV_TTMS]);
		jw_u64(w, upl_vts(v, f->ts_ms));
	}
	jw_lit(w, k[MV_EQ]);
	jw_fx_short(w, o->filled);
	if (!q) {
		jw_lit(w, k[MV_RQ]);
		jw_fx_short(w, o->qty > o->filled ? o->qty - o->filled : 0);
	}
	jw_lit(w, k[MV_EA]);
	jw_fx_short(w, o->filled_quote);
	jw_lit(w, k[MV_PF]);
	jw_fx_short(w, o->fee);
	jw_lit(w, k[MV_RMF]);
	jw_fx_short(w, n.remaining_fee);
	jw_lit(w, k[MV_RSF]);
	jw_fx_short(w, n.reserved);
	if (!strcmp(state, "cancel")) {
		jw_lit(w, k[MV_CT]);
		jw_quoted(w, o->tif == SIM_IOC || o->tif == SIM_FOK ? "tif_cancel" : "user");
	}
	jw_lit(w, k[MV_OTMS]);
	jw_u64(w, upl_vts(v, o->created_ms));
	jw_lit(w, k[MV_TMS]);
	jw_u64(w, sim_venue_now_ms(v));
	jw_lit(w, k[MV_TAIL]);
}

/* The assets that changed, balances as strings (the doc's examples). */
static void bth_myasset(struct jw *w, struct sim_venue *v, const struct sim_account *a,
			uint32_t assets, unsigned fmt)
{
	bool simple = fmt & FMT_SIMPLE;
	unsigned n = 0;

	jw_lit(w, simple ? "{\"ty\":\"myAsset\",\"ast\":[" : "{\"type\":\"myAsset\",\"assets\":[");
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++) {
		const char *name = sim_asset_name(i);

		if (!(assets & (1u << i)) || !name)
			continue;
		if (n++)
			jw_raw(w, ",", 1);
		jw_lit(w, simple ? "{\"cu\":" : "{\"currency\":");
		jw_str(w, name);
		jw_lit(w, simple ? ",\"b\":" : ",\"balance\":");
		upl_jw_sfx(w, a->free[i], false);
		jw_lit(w, simple ? ",\"l\":" : ",\"locked\":");
		upl_jw_sfx(w, a->locked[i], false);
		jw_raw(w, "}", 1);
	}
	jw_lit(w, simple ? "],\"asttms\":" : "],\"asset_timestamp\":");
	jw_u64(w, upl_vts(v, a->balance_ts_ms));
	jw_lit(w, simple ? ",\"tms\":" : ",\"timestamp\":");
	jw_u64(w, sim_venue_now_ms(v));
	jw_lit(w, simple ? ",\"st\":\"REALTIME\"}" : ",\"stream_type\":\"REALTIME\"}");
}

/* ---- REST order objects (2.2; bithumb-rest-order.jsonl) ---------------------------- */

/* trades[]: {market, uuid, price, volume, funds, side, created_at} (line 0). */
static void bth_trades(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	const struct sim_inst *in = &v->m->inst[o->inst];
	const struct upb_fill *f;
	uint32_t i = 0, n = 0;
	char id[UPL_IDSTR];

	jw_lit(w, ",\"trades\":[");
	while ((f = upl_next_fill(v, o, &i))) {
		id_of(f->f.exec_id, id);
		jw_lit(w, n++ ? ",{\"market\":" : "{\"market\":");
		jw_str(w, in->sym);
		jw_lit(w, ",\"uuid\":");
		jw_str(w, id);
		jw_lit(w, ",\"price\":");
		upl_jw_sfx(w, f->f.px, false);
		jw_lit(w, ",\"volume\":");
		upl_jw_sfx(w, f->f.qty, false);
		jw_lit(w, ",\"funds\":");
		upl_jw_sfx(w, f->f.quote, false);
		jw_lit(w, f->side == SIM_BID ? ",\"side\":\"bid\",\"created_at\":" :
					       ",\"side\":\"ask\",\"created_at\":");
		upl_jw_kst(w, upl_vts(v, f->f.ts_ms), false);
		jw_raw(w, "}", 1);
	}
	jw_raw(w, "]", 1);
}

/*
 * The v1 order object of GET /v1/order and GET /v1/orders, in the official
 * examples' order; no price for a market sell, no volumes for a buy by
 * total (as Upbit's); client_order_id when the order has one.
 */
static void bth_order_obj(struct sim_venue *v, struct jw *w, const struct sim_order *o,
			  bool fresh, bool trades)
{
	const struct sim_inst *in = &v->m->inst[o->inst];
	const char *tif = upl_tif_name(o);
	bool q = upl_by_quote(o);
	struct ord_nums n;
	char id[UPL_IDSTR];

	upl_ord_nums(v, o, &n);
	bth_id_str(v, o, id);
	jw_lit(w, "{\"uuid\":");
	jw_str(w, id);
	jw_lit(w, o->side == SIM_BID ? ",\"side\":\"bid\",\"ord_type\":\"" :
				       ",\"side\":\"ask\",\"ord_type\":\"");
	jw_quoted(w, upl_ord_type_name(o));
	if (o->type == SIM_ORD_LIMIT || q) {
		jw_lit(w, ",\"price\":");
		upl_jw_sfx(w, q ? o->quote_qty : o->px, false);
	}
	jw_lit(w, ",\"state\":\"");
	jw_quoted(w, upl_ord_state(o));
	jw_lit(w, ",\"market\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"created_at\":");
	upl_jw_kst(w, upl_vts(v, o->created_ms), false);
	if (!q) {
		jw_lit(w, ",\"volume\":");
		upl_jw_sfx(w, o->qty, false);
		jw_lit(w, ",\"remaining_volume\":");
		upl_jw_sfx(w, o->qty > o->filled ? o->qty - o->filled : 0, false);
	}
	jw_lit(w, ",\"reserved_fee\":");
	upl_jw_sfx(w, n.reserved, false);
	jw_lit(w, ",\"remaining_fee\":");
	upl_jw_sfx(w, n.remaining_fee, false);
	jw_lit(w, ",\"paid_fee\":");
	upl_jw_sfx(w, o->fee, false);
	jw_lit(w, ",\"locked\":");
	upl_jw_sfx(w, n.locked, false);
	jw_lit(w, ",\"executed_volume\":");
	upl_jw_sfx(w, o->filled, false);
	jw_lit(w, ",\"executed_funds\":");
	upl_jw_sfx(w, o->filled_quote, false);
	jw_lit(w, ",\"trades_count\":");
	jw_u64(w, o->ntrades);
	jw_lit(w, ",\"stp_type\":\"cancel_taker\"");
	if (tif) {
		jw_lit(w, ",\"time_in_force\":\"");
		jw_quoted(w, tif);
	}
	if (o->cid[0]) {
		jw_lit(w, ",\"client_order_id\":");
		jw_str(w, o->cid);
	}
	if (trades)
		bth_trades(v, w, o);
	jw_raw(w, "}", 1);
}

/*
 * POST /v2/orders answers (UNCONFIRMED, 2.2): the batch item's shape,
 * {client_order_id, order_id, market, side, order_type, created_at,
 * stp_type}, with 201 as Upbit's new order; a repeated client_order_id
 * answers the same for the order it names.
 */
static void bth_new_reply(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	char id[UPL_IDSTR];

	bth_id_str(v, o, id);
	jw_raw(w, "{", 1);
	if (o->cid[0]) {
		jw_lit(w, "\"client_order_id\":");
		jw_str(w, o->cid);
		jw_raw(w, ",", 1);
	}
	jw_lit(w, "\"order_id\":");
	jw_str(w, id);
	jw_lit(w, ",\"market\":");
	jw_str(w, v->m->inst[o->inst].sym);
	jw_lit(w, o->side == SIM_BID ? ",\"side\":\"bid\",\"order_type\":\"" :
				       ",\"side\":\"ask\",\"order_type\":\"");
	jw_quoted(w, upl_ord_type_name(o));
	jw_lit(w, ",\"created_at\":");
	upl_jw_kst(w, upl_vts(v, o->created_ms), false);
	jw_lit(w, ",\"stp_type\":\"cancel_taker\"}");
}

/* DELETE /v2/order: {"order_id", "client_order_id"?, "created_at"} (line 2). */
static void bth_cancel_reply(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	char id[UPL_IDSTR];

	bth_id_str(v, o, id);
	jw_lit(w, "{\"order_id\":");
	jw_str(w, id);
	if (o->cid[0]) {
		jw_lit(w, ",\"client_order_id\":");
		jw_str(w, o->cid);
	}
	jw_lit(w, ",\"created_at\":");
	upl_jw_kst(w, upl_vts(v, o->created_ms), false);
	jw_raw(w, "}", 1);
}

/* ---- the variant and the table ------------------------------------------------------ */

static const struct upl_route bithumb_routes[] = {
	{ "/v2/orders", NET_HTTP_POST, BG_ORDER, false, upl_h_order_new, NULL, NULL },
	{ "/v2/order", NET_HTTP_DELETE, BG_CANCEL, false, upl_h_order_cancel, "order_id",
	  "client_order_id" },
	{ "/v1/order", NET_HTTP_GET, BG_PRIVATE, false, upl_h_order_get, "uuid",
	  "client_order_id" },
	{ "/v1/orders", NET_HTTP_GET, BG_PRIVATE, false, upl_h_open, NULL, NULL },
	{ "/v1/orders/chance", NET_HTTP_GET, BG_PRIVATE, false, upl_h_chance, NULL, NULL },
	{ "/v1/accounts", NET_HTTP_GET, BG_PRIVATE, false, upl_h_accounts, NULL, NULL },
	{ "/v1/market/all", NET_HTTP_GET, BG_PUBLIC, true, upl_h_markets, NULL, NULL },
	{ "/v1/orderbook", NET_HTTP_GET, BG_PUBLIC, true, upl_h_book, NULL, NULL },
};

static const struct upl_variant bithumb_var = {
	.ws_pub = "/websocket/v1",
	.ws_priv = "/websocket/v2/private",
	.snap_key = "isOnlySnapshot",
	.rt_key = "isOnlyRealtime",
	.depths = { 1, 5, 15, 15 },     /* .30 (or anything else) still gives 15 */
	.nfmt = FMT_SIMPLE + 1,         /* DEFAULT and SIMPLE */
	.list_method = false,
	.level_one = true,
	.msg_sec = 0,
	.msg_min = 0,
	.conn_sec = 10,
	.jwt_ts = true,
	/*
	 * The doc requires the timestamp and gives no window; 60 s either way
	 * of the venue clock, so a client clock (or the skew fault) off by
	 * more is refused as jwt_verification.
	 */
	.jwt_ts_window_ms = 60000,
	.blocks = false,
	.rl_per_ip = true,
	.groups = bithumb_groups,
	.ngroups = BG_N,
	.order_group = BG_ORDER,
	.routes = bithumb_routes,
	.nroutes = KIMP_ARRAY_SIZE(bithumb_routes),
	.ord_type_key = "order_type",
	.cid_key = "client_order_id",
	.smp_key = NULL,
	.cid_max = 36,
	.cid_strict = true,
	.cid_idempotent = true,
	.new_status = 201,
	.limit_hdr = bth_limit_hdr,
	.id_str = bth_id_str,
	.find_id = bth_find_id,
	.book = bth_book,
	.trade = bth_trade,
	.ticker = bth_ticker,
	.myorder = bth_myorder,
	.myasset = bth_myasset,
	.order_obj = bth_order_obj,
	.new_reply = bth_new_reply,
	.cancel_reply = bth_cancel_reply,
};

const struct sim_venue_ops sim_venue_bithumb = {
	.name = "bithumb",
	.kind = SIM_KRW,
	.has_api = false,
	.setup = bth_setup,
	.rest = upl_rest,
	.ws_upgrade = upl_ws_upgrade,
	.ws_message = upl_ws_message,
	.publish = upl_publish,
	.flush = upl_flush,
	.start = upl_start,
	.on_order = upl_on_order,
	.on_balance = upl_on_balance,
	.tick = upl_tick,
};
