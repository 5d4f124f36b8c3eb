/* SPDX-License-Identifier: MIT */
/*
 * exsim's Bybit v5 spot (category=spot): <COIN>USDT markets with the
 * venue's instrument rules, its public streams, its REST API, its
 * WebSocket order API and its private streams, close enough that a Bybit
 * v5 client works against it with only the hosts and CA changed.
 * Facts: shared/docs/venues/exchanges-global.md section 2 ([BY:*] there)
 * and section 4; shapes: shared/fixtures/venues/bybit-*.jsonl.
 *
 *   market listener   /v5/public/spot: op subscribe / unsubscribe (at most
 *                     10 args a request, 21000 characters of args a
 *                     connection), op ping; topics orderbook.{1,50,200,1000}.S,
 *                     publicTrade.S, tickers.S. /v5/private is served here
 *                     too (either listener will do for it).
 *   API listener      /v5/trade: op auth, then order.create / order.cancel
 *                     with reqId and header; /v5/private: op auth, then
 *                     subscribe order[.spot], execution[.spot],
 *                     execution.fast[.spot], wallet.
 *   REST listener     /v5/market/time, instruments-info, orderbook;
 *                     /v5/order/create, cancel, cancel-all, realtime;
 *                     /v5/account/wallet-balance, fee-rate. Every answer is
 *                     the {"retCode","retMsg","result","retExtInfo","time"}
 *                     wrapper.
 *
 * Books. Each depth topic of each instrument keeps, while anyone is
 * subscribed to it, the top levels as last published and its own update id
 * u. At the topic's cadence (orderbook.1 10 ms, 50 20 ms, 200 100 ms, 1000
 * 200 ms) the live book's top is compared with that: orderbook.1 sends a
 * snapshot when it changed (u + 1) and again with the same u after 3 s
 * without change; the deeper topics send a delta of the levels that
 * changed (qty "0": gone), u + 1 each. A new subscriber gets a snapshot of
 * the topic as last published with its u, so the next delta continues it.
 * seq is the market's change id (monotonic, not contiguous, shared across
 * depths); ts the venue clock, cts the book's last change. The gap fault
 * makes the next delta skip one u.
 *
 * Signing (2.4): REST HMAC-SHA256 lower-case hex over timestamp + key +
 * recvWindow + (GET: the query as sent; POST: the body as sent), the time
 * rule server - recvWindow <= timestamp < server + 1000 (10002); WS auth
 * HMAC of "GET/realtime" + expires, expires in the future.
 *
 * Limits (2.6). Per account, rolling 1 s per endpoint: create 20, cancel
 * 20, cancel-all 20, realtime 50, wallet-balance 50, fee-rate 5, shared by
 * REST and the order WebSocket; past it retCode 10006 "Too many visits!";
 * every private answer carries X-Bapi-Limit, X-Bapi-Limit-Status and
 * X-Bapi-Limit-Reset-Timestamp (REST headers, the WS reply's "header").
 * Per IP 600 requests in 5 s: HTTP 403 "access too frequent" for 10
 * minutes. The scenario's rate_limits = false lifts both. The ban fault
 * answers 403 too (Bybit has no 418); burst_429 answers HTTP 429 / 10429.
 *
 * Orders are answered asynchronously as the venue does: the request is
 * checked, deferred by the order latency, matched, then acknowledged
 * ({"orderId","orderLinkId"}) or refused with the venue's code; fills and
 * state changes go out on the private streams of the account.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/net.h"
#include "kimp/sign.h"
#include "kimp/tsc.h"
#include "server.h"
#include "venue_util.h"

/* ---- the venue's numbers ------------------------------------------------------- */

#define BY_DEPTHS          4
#define BY_OB1_RESEND_MS   3000ull      /* orderbook.1 re-sent unchanged after 3 s */
#define BY_TICKER_MS       50ull
#define BY_MAX_ARGS        10u          /* args per subscribe request (spot) */
#define BY_MAX_ARGS_CHARS  21000u       /* args text per connection */
#define BY_IDLE_NS         (600ull * 1000000000ull)  /* 10 min without a message */
#define BY_ACTIVE_MIN_S    30u
#define BY_ACTIVE_MAX_S    600u
#define BY_IP_LIMIT        600u         /* requests per 5 s per IP */
#define BY_IP_WINDOW_MS    5000ull
#define BY_IP_BAN_MS       600000ull    /* "wait >= 10 min" */
#define BY_RECV_WINDOW     5000ull
#define BY_TIME_AHEAD_MS   1000ull
#define BY_MIN_ORDER_AMT   (5 * SIM_SCALE)      /* minOrderAmt, USDT */
#define BY_MAX_OPEN        500u         /* open orders per account */
#define BY_PRICE_BAND_PCT  5            /* limit price within 5% of the mid */
#define BY_OID_BASE        1321000000000000000ull  /* orderId = base + exsim id */
#define BY_TRADES_PER_MSG  1024u
#define BY_ORDERS_LIST     500u

#define BY_MD        (256u * 1024u)    /* one market message */
#define BY_OUT       (1u << 20)         /* replies */
#define BY_EV        (64u * 1024u)      /* private events */
#define BY_TOKS      4096
#define BY_ID_MAX    40                 /* reqId / req_id, with NUL */
#define BY_CID_MAX   37                 /* orderLinkId: 36 + NUL */
#define BY_REQS      16                 /* reqIds remembered per connection */

static const uint32_t by_depth_n[BY_DEPTHS] = { 1, 50, 200, 1000 };
static const uint64_t by_depth_ms[BY_DEPTHS] = { 10, 20, 100, 200 };

/* Public topics, one subscription bitmap (of vidx) each. */
enum by_chan {
	BY_OB1 = 0, BY_OB50, BY_OB200, BY_OB1000,
	BY_TRADE,
	BY_TICKER,
	BY_NCHAN,
};

static const char *const by_chan_pfx[BY_NCHAN] = {
	[BY_OB1] = "orderbook.1.",
	[BY_OB50] = "orderbook.50.",
	[BY_OB200] = "orderbook.200.",
	[BY_OB1000] = "orderbook.1000.",
	[BY_TRADE] = "publicTrade.",
	[BY_TICKER] = "tickers.",
};

/* Private topics. */
enum by_ptopic {
	BY_P_ORDER = 0, BY_P_ORDER_SPOT,
	BY_P_EXEC, BY_P_EXEC_SPOT,
	BY_P_FAST, BY_P_FAST_SPOT,
	BY_P_WALLET,
	BY_NPTOPIC,
};

static const char *const by_ptopic_name[BY_NPTOPIC] = {
	[BY_P_ORDER] = "order",
	[BY_P_ORDER_SPOT] = "order.spot",
	[BY_P_EXEC] = "execution",
	[BY_P_EXEC_SPOT] = "execution.spot",
	[BY_P_FAST] = "execution.fast",
	[BY_P_FAST_SPOT] = "execution.fast.spot",
	[BY_P_WALLET] = "wallet",
};

/* Per-account rate classes (2.6). */
enum by_rl {
	BY_RL_CREATE = 0, BY_RL_CANCEL, BY_RL_CANCEL_ALL, BY_RL_QUERY, BY_RL_WALLET, BY_RL_FEE,
	BY_NRL,
};

static const uint32_t by_rl_limit[BY_NRL] = { 20, 20, 20, 50, 50, 5 };
#define BY_RL_MAX 50

/* Per connection, in c->vs (zeroed at accept). */
struct by_conn {
	uint32_t sub[BY_NCHAN];         /* public: bitmap of vidx per topic kind */
	uint32_t psub;                  /* private: bitmap of enum by_ptopic */
	uint32_t args_chars;            /* public: text of the topics held */
	uint64_t last_rx_ns;            /* last message from the client */
	uint64_t idle_ns;               /* closed after this long without one */
	bool authed;
	uint8_t nreq;
	uint64_t req_hash[BY_REQS];     /* trade: recent reqIds */
};

_Static_assert(sizeof(struct by_conn) <= SIM_WS_VSTATE, "Bybit connection state fits c->vs");

/* One depth topic of one instrument, as last published. */
struct by_topic {
	bool live;                      /* tracked (someone is subscribed) */
	uint64_t u;
	uint64_t sent_ms;               /* orderbook.1: last snapshot */
	uint32_t n[2];
	struct sim_level *lv[2];        /* by_depth_n levels each */
};

struct by_inst {
	struct by_topic t[BY_DEPTHS];
	bool ticker_dirty;
	uint64_t u_next;                /* the next topic's first u */
};

/* A rolling-second window of one rate class of one account. */
struct by_win {
	uint64_t ts[BY_RL_MAX];
	uint32_t head, n;
};

struct by {
	struct by_inst inst[SIM_VENUE_INSTS];
	uint64_t period[BY_DEPTHS], ticker_period;
	/* per IP */
	uint64_t ip_win, ip_ban_until_ms;
	uint32_t ip_n;
	struct by_win win[SIM_MAX_ACCOUNTS][BY_NRL];
	struct venue_hmac_key hk[SIM_MAX_ACCOUNTS];
	bool hk_ok[SIM_MAX_ACCOUNTS];
	uint32_t dirty[SIM_MAX_ACCOUNTS];       /* assets changed, wallet not sent */
	uint64_t exec_seq, ev_id, trace_seq;
	char *md, *out, *ev;
	struct jr_tok tok[BY_TOKS];
};

/* ---- small writers -------------------------------------------------------------- */

static inline struct by_conn *by_cs(struct sim_ws *c)
{
	return (struct by_conn *)(void *)c->vs;
}

/* w_num, w_knum, w_kstr, w_ku64, w_ku64s: venue_util.h ("12.5": Bybit's numbers). */

static inline bool by_seq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && !memcmp(s, lit, l);
}

/* A connection id in the venue's style: "exsim<serial>-<venue>". */
static void w_connid(struct jw *w, const struct sim_ws *c)
{
	jw_lit(w, "\"exsim");
	jw_u64(w, c->serial);
	jw_lit(w, "-");
	jw_u64(w, c->v->idx);
	jw_lit(w, "\"");
}

/* An engine time on the venue's (possibly skewed) clock. */
static inline uint64_t by_vms(const struct sim_venue *v, uint64_t ms)
{
	return (uint64_t)((int64_t)ms + v->fs.skew_ms);
}

static sim_fx by_rate(double r)
{
	return (sim_fx)llround(r * (double)SIM_SCALE);
}

/* ---- instruments ---------------------------------------------------------------- */

/*
 * A coin's rules. BTC's are the live venue's (bybit-rest.jsonl line 3);
 * the others follow the same pattern from their start price: the tick
 * keeps about six significant digits, basePrecision about 1e-5 of a
 * hundred USDT.
 */
struct by_coin_rule {
	const char *name;
	sim_fx tick, step, min_qty, max_limit, max_market;
};

static const struct by_coin_rule by_known[] = {
	{ "BTC", 10000000, 100, 1100, 83 * SIM_SCALE, 4150000000 },
	{ "ETH", 1000000, 1000, 29000, 1229 * SIM_SCALE, 614 * SIM_SCALE },
	{ "XRP", 10000, 1000000, 190000000, 2000000 * SIM_SCALE, 1000000 * SIM_SCALE },
};

static sim_fx by_pow10(int e)
{
	sim_fx v = SIM_SCALE;

	if (e < -8)
		return 1;
	for (; e > 0; e--)
		v *= 10;
	for (; e < 0; e++)
		v /= 10;
	return v;
}

static void by_coin_rules(const struct sim_coin_cfg *co, struct by_coin_rule *r)
{
	double p = co->start_usdt > 0 ? co->start_usdt : 1.0;
	int e;

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(by_known); i++) {
		if (!strcmp(by_known[i].name, co->name)) {
			*r = by_known[i];
			return;
		}
	}
	e = (int)floor(log10(p)) - 5;
	r->tick = by_pow10(e < -8 ? -8 : e);
	e = (int)floor(log10(1.0 / p)) - 2;
	r->step = by_pow10(e > 0 ? 0 : e);
	r->min_qty = r->step;
	r->max_limit = (sim_fx)(p >= 1.0 ? 100000 : 100000000) * SIM_SCALE;
	r->max_market = r->max_limit / 2;
}

static sim_fx by_max_market(const struct sim_inst *in)
{
	return in->max_qty / 2;
}

/*
 * <COIN>USDT for every scenario coin with its rules; the venue's rules:
 * fees in the asset received (2.5 spot fee currency), client ids never
 * repeat, an unfillable FOK is cancelled, 500 open orders. One allocation
 * in v->priv (the server frees it). Cold.
 */
static kimp_cold int by_setup(struct sim_venue *v)
{
	const struct sim_scenario *sc = v->m->sc;
	struct sim_venue_rules *ru = &v->x->rules[v->idx];
	size_t lv_bytes = 0, size;
	uint32_t ncoin = 0;
	struct by *b;
	char *p;

	for (int k = 0; k < BY_DEPTHS; k++)
		lv_bytes += 2 * (((size_t)by_depth_n[k] * sizeof(struct sim_level) + 15) &
				 ~(size_t)15);
	for (uint32_t c = 0; c < sc->ncoins; c++)
		if (strcmp(sc->coins[c].name, "USDT"))
			ncoin++;
	if (ncoin > SIM_VENUE_INSTS)
		return -ENOSPC;
	size = ((sizeof(struct by) + 15) & ~(size_t)15) + BY_MD + BY_OUT + BY_EV +
	       (size_t)ncoin * lv_bytes;
	p = calloc(1, size);
	if (!p)
		return -ENOMEM;
	b = sv_carve(&p, sizeof(*b));
	v->priv = b;
	b->md = sv_carve(&p, BY_MD);
	b->out = sv_carve(&p, BY_OUT);
	b->ev = sv_carve(&p, BY_EV);
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		const struct sim_coin_cfg *co = &sc->coins[c];
		struct by_coin_rule r;
		struct sim_inst *in;
		char sym[SIM_SYM_MAX];

		if (!strcmp(co->name, "USDT"))
			continue;
		if (snprintf(sym, sizeof(sym), "%sUSDT", co->name) >= (int)sizeof(sym))
			return -ENAMETOOLONG;
		in = sim_market_add_inst(v->m, v->idx, (int)c, sym, co->name, "USDT");
		if (!in || in->vidx >= SIM_VENUE_INSTS)
			return -ENOSPC;
		by_coin_rules(co, &r);
		in->tick = r.tick;
		in->tick_fn = NULL;
		in->step = r.step;
		in->min_qty = r.min_qty;
		in->max_qty = r.max_limit;
		in->min_notional = BY_MIN_ORDER_AMT;
		in->max_notional = 0;
		in->px_decimals = 8;
		in->qty_decimals = 8;
		if (v->cfg->depth)
			in->depth = v->cfg->depth;
		for (int k = 0; k < BY_DEPTHS; k++)
			for (int s = 0; s < 2; s++)
				b->inst[in->vidx].t[k].lv[s] =
					sv_carve(&p, by_depth_n[k] * sizeof(struct sim_level));
		/* each instrument's u space starts somewhere of its own, never at 1
		 * (u == 1 says the service restarted) */
		b->inst[in->vidx].u_next = 1000000ull * (in->vidx + 1) + 1;
	}
	ru->maker_fee = v->cfg->maker_fee;
	ru->taker_fee = v->cfg->taker_fee;
	ru->fee_rule = SIM_FEE_RECEIVED;
	ru->lock_fee = false;
	ru->cid_forever = true;
	ru->fok_rejects = false;
	ru->max_open = BY_MAX_OPEN;
	return 0;
}

/* "BTCUSDT" at s[0..n): the instrument, or NULL. */
static struct sim_inst *by_inst_sym(struct sim_venue *v, const char *s, size_t n)
{
	return n ? sim_venue_inst_sym(v, s, n) : NULL;
}

/* ---- book topics ------------------------------------------------------------------ */

/* The live top 'depth' of the book into the topic (as now published). */
static void by_topic_take(struct by_topic *t, const struct sim_inst *in, uint32_t depth)
{
	for (int s = 0; s < 2; s++) {
		const struct sim_book_side *bs = &in->book.side[s];
		uint32_t n = bs->n < depth ? bs->n : depth;

		memcpy(t->lv[s], bs->lv, n * sizeof(struct sim_level));
		t->n[s] = n;
	}
}

static void w_levels(struct jw *w, const struct sim_level *lv, uint32_t n)
{
	jw_raw(w, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		jw_raw(w, i ? ",[" : "[", i ? 2 : 1);
		w_num(w, lv[i].px);
		jw_raw(w, ",", 1);
		w_num(w, lv[i].qty);
		jw_raw(w, "]", 1);
	}
	jw_raw(w, "]", 1);
}

static inline bool by_better(unsigned side, sim_fx a, sim_fx b)
{
	return side == SIM_BID ? a > b : a < b;
}

/*
 * The levels of one side that differ between what the topic published
 * (view) and the live top: written as [["px","qty"],...], qty 0 for a
 * level gone. Returns how many.
 */
static uint32_t w_delta_side(struct jw *w, const struct by_topic *t, unsigned side,
			     const struct sim_inst *in, uint32_t depth)
{
	const struct sim_level *a = t->lv[side], *l = in->book.side[side].lv;
	uint32_t an = t->n[side], ln = in->book.side[side].n, i = 0, j = 0, k = 0;

	if (ln > depth)
		ln = depth;
	jw_raw(w, "[", 1);
	while (i < an || j < ln) {
		sim_fx px, qty;

		if (j >= ln || (i < an && by_better(side, a[i].px, l[j].px))) {
			px = a[i++].px;
			qty = 0;
		} else if (i >= an || by_better(side, l[j].px, a[i].px)) {
			px = l[j].px;
			qty = l[j++].qty;
		} else {
			px = l[j].px;
			qty = l[j].qty;
			i++;
			if (a[i - 1].qty == l[j++].qty)
				continue;
		}
		jw_raw(w, k ? ",[" : "[", k ? 2 : 1);
		w_num(w, px);
		jw_raw(w, ",", 1);
		w_num(w, qty);
		jw_raw(w, "]", 1);
		k++;
	}
	jw_raw(w, "]", 1);
	return k;
}

/* The live top differs from the topic's view. */
static bool by_topic_changed(const struct by_topic *t, const struct sim_inst *in,
			     uint32_t depth)
{
	for (int s = 0; s < 2; s++) {
		const struct sim_book_side *bs = &in->book.side[s];
		uint32_t n = bs->n < depth ? bs->n : depth;

		if (n != t->n[s] || memcmp(bs->lv, t->lv[s], n * sizeof(struct sim_level)))
			return true;
	}
	return false;
}

/*
 * {"topic":"orderbook.N.S","ts":..,"type":..,"data":{"s","b","a","u","seq"},"cts":..}
 * with ts before type as spot sends it [bybit-orderbook.jsonl lines 2-4]. A
 * snapshot writes the topic's view; a delta the view-to-live difference.
 */
static const char *by_fmt_book(struct sim_venue *v, struct by *b, const struct sim_inst *in,
			       unsigned k, bool snapshot, size_t *len)
{
	const struct by_topic *t = &b->inst[in->vidx].t[k];
	struct jw w;

	jw_init(&w, b->md, BY_MD);
	jw_lit(&w, "{\"topic\":\"");
	jw_lit(&w, by_chan_pfx[k]);
	jw_lit(&w, in->sym);
	jw_lit(&w, "\",\"ts\":");
	jw_u64(&w, sim_venue_now_ms(v));
	jw_lit(&w, snapshot ? ",\"type\":\"snapshot\"" : ",\"type\":\"delta\"");
	jw_lit(&w, ",\"data\":{\"s\":");
	jw_str(&w, in->sym);
	jw_lit(&w, ",\"b\":");
	if (snapshot)
		w_levels(&w, t->lv[SIM_BID], t->n[SIM_BID]);
	else
		w_delta_side(&w, t, SIM_BID, in, by_depth_n[k]);
	jw_lit(&w, ",\"a\":");
	if (snapshot)
		w_levels(&w, t->lv[SIM_ASK], t->n[SIM_ASK]);
	else
		w_delta_side(&w, t, SIM_ASK, in, by_depth_n[k]);
	w_ku64(&w, "u", t->u);
	w_ku64(&w, "seq", in->update_id);
	jw_lit(&w, "},\"cts\":");
	jw_u64(&w, by_vms(v, in->book_ts_ms));
	jw_lit(&w, "}");
	*len = w.len;
	return jw_done(&w);
}

/* Send a formatted market message to every market connection on (chan, vidx). */
static void by_md_send(struct sim_venue *v, unsigned chan, unsigned vidx, const char *msg,
		       size_t len)
{
	struct sim_ws *c = NULL;

	if (!msg)
		return;
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET && (by_cs(c)->sub[chan] >> vidx & 1))
			sim_ws_send_md(c, WS_OP_TEXT, msg, len);
}

/* A topic starts being tracked: its view is the live book, at a fresh u. */
static void by_topic_start(struct by *b, const struct sim_inst *in, unsigned k)
{
	struct by_inst *bi = &b->inst[in->vidx];
	struct by_topic *t = &bi->t[k];

	by_topic_take(t, in, by_depth_n[k]);
	t->u = bi->u_next++;
	t->live = true;
	t->sent_ms = 0;
}

/*
 * A topic's cadence fired: orderbook.1 sends a snapshot when the top
 * changed (or unchanged every 3 s), the others a delta when anything in
 * their depth changed. The gap fault makes the delta skip a u.
 */
static void by_topic_fire(struct sim_venue *v, struct by *b, const struct sim_inst *in,
			  unsigned k, uint64_t now_ms)
{
	struct by_inst *bi = &b->inst[in->vidx];
	struct by_topic *t = &bi->t[k];
	bool changed = by_topic_changed(t, in, by_depth_n[k]);
	const char *msg;
	size_t len;

	if (k == BY_OB1) {
		if (!changed && now_ms - t->sent_ms < BY_OB1_RESEND_MS)
			return;
		if (changed) {
			by_topic_take(t, in, 1);
			t->u++;
		}
		t->sent_ms = now_ms;
		msg = by_fmt_book(v, b, in, k, true, &len);
		by_md_send(v, k, in->vidx, msg, len);
		return;
	}
	if (!changed)
		return;
	t->u += sim_fault_take(v, SIM_FAULT_GAP) ? 2 : 1;
	msg = by_fmt_book(v, b, in, k, false, &len);
	by_topic_take(t, in, by_depth_n[k]);
	by_md_send(v, k, in->vidx, msg, len);
}

/* The snapshot of a topic to one new subscriber. */
static void by_topic_snapshot(struct sim_venue *v, struct by *b, struct sim_ws *c,
			      const struct sim_inst *in, unsigned k)
{
	struct by_topic *t = &b->inst[in->vidx].t[k];
	const char *msg;
	size_t len;

	if (!t->live)
		by_topic_start(b, in, k);
	if (k == BY_OB1)
		t->sent_ms = sim_venue_now_ms(v);
	msg = by_fmt_book(v, b, in, k, true, &len);
	if (msg)
		sim_ws_send_md(c, WS_OP_TEXT, msg, len);
}

/* {"topic":"publicTrade.S","ts","type":"snapshot","data":[...]} [bybit-publicTrade.jsonl line 2] */
static void by_fmt_trades(struct sim_venue *v, struct by *b, const struct sim_inst *in)
{
	for (uint32_t t0 = 0; t0 < in->ntrades; t0 += BY_TRADES_PER_MSG) {
		uint32_t end = in->ntrades - t0 > BY_TRADES_PER_MSG ? t0 + BY_TRADES_PER_MSG
								    : in->ntrades;
		struct jw w;

		jw_init(&w, b->md, BY_MD);
		jw_lit(&w, "{\"topic\":\"publicTrade.");
		jw_lit(&w, in->sym);
		jw_lit(&w, "\",\"ts\":");
		jw_u64(&w, sim_venue_now_ms(v));
		jw_lit(&w, ",\"type\":\"snapshot\",\"data\":[");
		for (uint32_t i = t0; i < end; i++) {
			const struct sim_trade *t = &in->trades[i];

			jw_lit(&w, i > t0 ? ",{\"i\":\"" : "{\"i\":\"");
			jw_u64(&w, 2290000000000000000ull + t->id);
			jw_lit(&w, "\"");
			w_ku64(&w, "T", by_vms(v, t->ts_ms));
			w_knum(&w, "p", t->px);
			w_knum(&w, "v", t->qty);
			w_kstr(&w, "S", t->taker_side == SIM_BID ? "Buy" : "Sell");
			w_ku64(&w, "seq", in->update_id);
			w_kstr(&w, "s", in->sym);
			jw_lit(&w, ",\"BT\":false,\"RPI\":false}");
		}
		jw_lit(&w, "]}");
		if (jw_done(&w))
			by_md_send(v, BY_TRADE, in->vidx, w.p, w.len);
	}
}

/* 24 h change as a fraction, "0.0123" */
static sim_fx by_pcnt(const struct sim_inst *in)
{
	sim_fx ref = in->prev_close ? in->prev_close : in->open_px;

	if (!ref)
		return 0;
	return (sim_fx)(((__int128)(in->last_px - ref) * SIM_SCALE) / ref);
}

/* {"topic":"tickers.S","ts","type":"snapshot","cs","data":{...}}: spot has no bid/ask (2.2). */
static void by_fmt_ticker(struct sim_venue *v, struct by *b, const struct sim_inst *in)
{
	struct jw w;

	jw_init(&w, b->md, BY_MD);
	jw_lit(&w, "{\"topic\":\"tickers.");
	jw_lit(&w, in->sym);
	jw_lit(&w, "\",\"ts\":");
	jw_u64(&w, sim_venue_now_ms(v));
	jw_lit(&w, ",\"type\":\"snapshot\",\"cs\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, ",\"data\":{\"symbol\":");
	jw_str(&w, in->sym);
	w_knum(&w, "lastPrice", in->last_px);
	w_knum(&w, "highPrice24h", in->high_px);
	w_knum(&w, "lowPrice24h", in->low_px);
	w_knum(&w, "prevPrice24h", in->prev_close ? in->prev_close : in->open_px);
	w_knum(&w, "volume24h", in->acc_volume);
	w_knum(&w, "turnover24h", in->acc_quote);
	w_knum(&w, "price24hPcnt", by_pcnt(in));
	w_knum(&w, "usdIndexPrice", in->last_px);
	jw_lit(&w, "}}");
	if (jw_done(&w))
		by_md_send(v, BY_TICKER, in->vidx, w.p, w.len);
}

static void by_flush_wallets(struct sim_venue *v, struct by *b);

/*
 * After a step (flush false) or with every cadence fired (flush true: the
 * market pauses, or an order changed a book while paused). Topics nobody
 * holds stop being tracked. The book's view (control's GET /book) moves at
 * each 100 ms point that follows a change, stamped with seq.
 */
static void by_publish_at(struct sim_venue *v, uint64_t now_ms, bool flush)
{
	struct by *b = v->priv;
	uint32_t any[BY_NCHAN] = { 0 };
	bool fire[BY_DEPTHS], fire_t;
	uint64_t E = sim_venue_now_ms(v);
	struct sim_ws *c = NULL;

	by_flush_wallets(v, b);
	for (int k = 0; k < BY_DEPTHS; k++) {
		uint64_t p = now_ms / by_depth_ms[k];

		fire[k] = flush || p != b->period[k];
		b->period[k] = p;
	}
	fire_t = flush || now_ms / BY_TICKER_MS != b->ticker_period;
	b->ticker_period = now_ms / BY_TICKER_MS;
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET)
			for (unsigned k = 0; k < BY_NCHAN; k++)
				any[k] |= by_cs(c)->sub[k];
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);
		struct by_inst *bi = &b->inst[i];
		uint32_t bit = 1u << i;

		if ((any[BY_TRADE] & bit) && in->ntrades)
			by_fmt_trades(v, b, in);
		if (in->ntrades)
			bi->ticker_dirty = true;
		for (unsigned k = 0; k < BY_DEPTHS; k++) {
			if (!(any[k] & bit)) {
				/* the next start of the topic goes on past its u */
				if (bi->t[k].live && bi->t[k].u >= bi->u_next)
					bi->u_next = bi->t[k].u + 1;
				bi->t[k].live = false;
				continue;
			}
			if (fire[k] && bi->t[k].live)
				by_topic_fire(v, b, in, k, now_ms);
		}
		if (fire_t && bi->ticker_dirty) {
			if (any[BY_TICKER] & bit)
				by_fmt_ticker(v, b, in);
			bi->ticker_dirty = false;
		}
		if (fire[BY_OB200] && in->update_id != in->view.update_id)
			sim_inst_view(in, 0, in->update_id, E);
		sim_inst_drain(in);
	}
}

static void by_publish(struct sim_venue *v, uint64_t now_ms)
{
	by_publish_at(v, now_ms, false);
}

static void by_flush(struct sim_venue *v, uint64_t now_ms)
{
	by_publish_at(v, now_ms, true);
}

/* ---- WebSocket: upgrade, keepalive --------------------------------------------------- */

/* max_active_time=30s..600s or 1m..10m on a private or trade URL: 0, or -EINVAL. */
static int by_active_time(struct sim_ws *c, const char *q, size_t n)
{
	static const char key[] = "max_active_time=";
	size_t i = 0;

	while (i < n) {
		const char *e = memchr(q + i, '&', n - i);
		size_t l = e ? (size_t)(e - (q + i)) : n - i;

		if (l > sizeof(key) - 1 && !memcmp(q + i, key, sizeof(key) - 1)) {
			const char *s = q + i + sizeof(key) - 1;
			size_t sl = l - (sizeof(key) - 1), d = 0;
			uint64_t val = 0, secs;

			while (d < sl && d < 6 && s[d] >= '0' && s[d] <= '9')
				val = val * 10 + (uint64_t)(s[d++] - '0');
			if (!d || d + 1 != sl || (s[d] != 's' && s[d] != 'm'))
				return -EINVAL;
			secs = s[d] == 'm' ? val * 60 : val;
			if (secs < BY_ACTIVE_MIN_S || secs > BY_ACTIVE_MAX_S)
				return -EINVAL;
			by_cs(c)->idle_ns = secs * 1000000000ull;
		}
		i += l + 1;
	}
	return 0;
}

static unsigned by_ws_upgrade(struct sim_venue *v, struct sim_ws *c, bool api,
			      const struct ws_hs_request *req, const char *head, size_t len)
{
	const char *path = req->path, *q = memchr(path, '?', req->path_len);
	size_t pl = q ? (size_t)(q - path) : req->path_len;
	struct by_conn *cs = by_cs(c);

	cs->idle_ns = BY_IDLE_NS;
	if (!api && by_seq(path, pl, "/v5/public/spot")) {
		c->kind = SIM_WS_MARKET;
		return 0;
	}
	if (by_seq(path, pl, "/v5/private"))
		c->kind = SIM_WS_PRIVATE;
	else if (api && by_seq(path, pl, "/v5/trade"))
		c->kind = SIM_WS_API;
	else
		return 404;
	if (q && by_active_time(c, q + 1, req->path_len - pl - 1)) {
		ws_conn_reject_body(&c->ws, "{\"retCode\":10001,\"retMsg\":"
				    "\"max_active_time must be 30s to 600s\"}");
		return 400;
	}
	return 0;
}

static void by_ws_open(struct sim_venue *v, struct sim_ws *c)
{
	by_cs(c)->last_rx_ns = c->opened_ns;
}

/* Once a second: connections silent for their idle time are closed (2.2). */
static void by_tick(struct sim_venue *v, uint64_t now_ns)
{
	struct by *b = v->priv;
	struct sim_ws *c = NULL;

	by_flush_wallets(v, b);
	while ((c = sim_venue_next_ws(v, c))) {
		struct by_conn *cs = by_cs(c);

		if (now_ns - cs->last_rx_ns >= cs->idle_ns)
			sim_ws_close(c, WS_CLOSE_NORMAL);
	}
}

/* ---- public WebSocket messages --------------------------------------------------------- */

/*
 * {"success":..,"ret_msg":..,"conn_id":..[,"req_id":..],"op":..} as spot
 * answers [bybit-ws-control.jsonl lines 3, 11]; req_id only when sent.
 */
static void by_pub_reply(struct by *b, struct sim_ws *c, bool ok, const char *msg,
			 const char *req_id, const char *op)
{
	struct jw w;

	jw_init(&w, b->out, BY_OUT);
	jw_lit(&w, ok ? "{\"success\":true,\"ret_msg\":" : "{\"success\":false,\"ret_msg\":");
	jw_str(&w, msg);
	jw_lit(&w, ",\"conn_id\":");
	w_connid(&w, c);
	if (req_id)
		w_kstr(&w, "req_id", req_id);
	w_kstr(&w, "op", op);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* "orderbook.50.BTCUSDT" -> (chan, vidx): 0 or -ENOENT. */
static int by_topic_parse(struct sim_venue *v, const char *s, size_t n, unsigned *chan,
			  unsigned *vidx)
{
	for (unsigned k = 0; k < BY_NCHAN; k++) {
		size_t pl = strlen(by_chan_pfx[k]);
		struct sim_inst *in;

		if (n <= pl || memcmp(s, by_chan_pfx[k], pl))
			continue;
		in = by_inst_sym(v, s + pl, n - pl);
		if (!in)
			return -ENOENT;
		*chan = k;
		*vidx = in->vidx;
		return 0;
	}
	return -ENOENT;
}

/*
 * subscribe / unsubscribe on the public stream: at most 10 args, every
 * one a topic, none already held (subscribe) or all held (unsubscribe);
 * then each new book topic gets its snapshot.
 */
static void by_pub_sub(struct sim_venue *v, struct by *b, struct sim_ws *c, const char *src,
		       int args, bool add, const char *req_id)
{
	const char *op = add ? "subscribe" : "unsubscribe";
	struct by_conn *cs = by_cs(c);
	const struct jr_tok *t = b->tok;
	uint32_t set[BY_NCHAN] = { 0 }, chars = 0;
	char msg[160];

	if (args < 0 || t[args].type != JR_ARR || !t[args].size) {
		by_pub_reply(b, c, false, "error:args must be a non-empty array", req_id, op);
		return;
	}
	if (t[args].size > BY_MAX_ARGS) {
		snprintf(msg, sizeof(msg), "error:args size >%u", BY_MAX_ARGS);
		by_pub_reply(b, c, false, msg, req_id, op);
		return;
	}
	for (uint32_t i = 0; i < t[args].size; i++) {
		const struct jr_tok *e = &t[jr_at(t, args, i)];
		unsigned chan, vidx;
		bool held;

		if (e->type != JR_STR ||
		    by_topic_parse(v, src + e->start, e->len, &chan, &vidx)) {
			snprintf(msg, sizeof(msg), "Invalid topic :[%.*s]",
				 e->type == JR_STR ? (int)(e->len < 64 ? e->len : 64) : 0,
				 src + e->start);
			by_pub_reply(b, c, false, msg, req_id, op);
			return;
		}
		held = (cs->sub[chan] >> vidx & 1) || (set[chan] >> vidx & 1);
		if (add == held) {
			snprintf(msg, sizeof(msg), add ? "error:already subscribed,topic:%.*s"
						       : "error:not subscribed,topic:%.*s",
				 (int)(e->len < 64 ? e->len : 64), src + e->start);
			by_pub_reply(b, c, false, msg, req_id, op);
			return;
		}
		set[chan] |= 1u << vidx;
		chars += e->len;
	}
	if (add && cs->args_chars + chars > BY_MAX_ARGS_CHARS) {
		by_pub_reply(b, c, false, "error:args length over limit", req_id, op);
		return;
	}
	cs->args_chars = add ? cs->args_chars + chars : cs->args_chars - chars;
	for (unsigned k = 0; k < BY_NCHAN; k++)
		cs->sub[k] = add ? cs->sub[k] | set[k] : cs->sub[k] & ~set[k];
	by_pub_reply(b, c, true, op, req_id, op);
	if (!add)
		return;
	for (unsigned k = 0; k < BY_DEPTHS; k++)
		for (uint32_t i = 0; i < v->ninst; i++)
			if (set[k] >> i & 1)
				by_topic_snapshot(v, b, c, sim_venue_inst(v, i), k);
}

/* The request's id (req_id or reqId) into out: NULL when absent or not a short string. */
static const char *by_req_id(const char *src, const struct jr_tok *t, int i, char *out)
{
	if (i < 0)
		return NULL;
	if (t[i].type == JR_NUM && t[i].len < BY_ID_MAX) {
		memcpy(out, src + t[i].start, t[i].len);
		out[t[i].len] = '\0';
		return out;
	}
	if (t[i].type != JR_STR || jr_str(src, &t[i], out, BY_ID_MAX) < 0)
		return NULL;
	return out;
}

static void by_pub_message(struct sim_venue *v, struct by *b, struct sim_ws *c,
			   const char *src, size_t len)
{
	const struct jr_tok *t = b->tok;
	char idbuf[BY_ID_MAX];
	const char *req_id;
	int op;

	if (jr_parse(src, len, b->tok, BY_TOKS) < 0 || t[0].type != JR_OBJ) {
		by_pub_reply(b, c, false, "error:invalid json", NULL, "");
		return;
	}
	req_id = by_req_id(src, t, jr_get(src, t, 0, "req_id"), idbuf);
	op = jr_get(src, t, 0, "op");
	if (op >= 0 && jr_eq(src, &t[op], "ping")) {
		by_pub_reply(b, c, true, "pong", req_id, "ping");
	} else if (op >= 0 && jr_eq(src, &t[op], "subscribe")) {
		by_pub_sub(v, b, c, src, jr_get(src, t, 0, "args"), true, req_id);
	} else if (op >= 0 && jr_eq(src, &t[op], "unsubscribe")) {
		by_pub_sub(v, b, c, src, jr_get(src, t, 0, "args"), false, req_id);
	} else {
		char opname[32] = "";

		if (op >= 0)
			jr_str(src, &t[op], opname, sizeof(opname));
		by_pub_reply(b, c, false, "error:handler not found", req_id, opname);
	}
}

/* ---- rate limits ------------------------------------------------------------------- */

/* One request of class k for acct: true admitted; *left and *reset for the headers. */
static bool by_rl_take(struct sim_venue *v, struct by *b, int acct, unsigned k, uint64_t now_ms,
		       uint32_t *left, uint64_t *reset)
{
	struct by_win *w = &b->win[acct][k];
	uint32_t lim = by_rl_limit[k], inwin = 0;

	if (!v->cfg->rate_limits) {
		*left = lim;
		*reset = now_ms;
		return true;
	}
	/* the oldest of the last 'lim' requests: still in the second? */
	if (w->n == lim && w->ts[w->head] + 1000 > now_ms) {
		*left = 0;
		*reset = w->ts[w->head] + 1000;
		return false;
	}
	if (w->n < lim) {
		w->ts[(w->head + w->n) % lim] = now_ms;
		w->n++;
	} else {
		w->ts[w->head] = now_ms;
		w->head = (w->head + 1) % lim;
	}
	for (uint32_t i = 0; i < w->n; i++)
		inwin += w->ts[(w->head + i) % lim] + 1000 > now_ms;
	*left = lim - inwin;
	*reset = w->ts[w->head] + 1000;
	return true;
}

/* ---- requests: context and answers -------------------------------------------------- */

/* One request (REST or the order WebSocket) being answered, now or from a job. */
struct by_req {
	struct sim_venue *v;
	struct by *b;
	bool ws;                        /* via /v5/trade */
	struct http_sconn *sc;
	struct sim_ws *c;
	bool live;
	int acct;
	uint64_t now_ms;
	char req_id[BY_ID_MAX];         /* trade: reqId ("" none) */
	char op[24];                    /* trade: op */
	/* the rate limit of the request, when one applies */
	bool rl;
	uint32_t rl_limit, rl_left;
	uint64_t rl_reset;
	/* the error */
	unsigned status;
	int code;
	char msg[256];
};

static int by_fail(struct by_req *x, unsigned status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set the error to answer with; returns -1. */
static int by_fail(struct by_req *x, unsigned status, int code, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	x->code = code;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void by_req_init(struct by_req *x, struct sim_venue *v, bool ws)
{
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->b = v->priv;
	x->ws = ws;
	x->live = true;
	x->acct = -1;
	x->now_ms = sim_venue_now_ms(v);
}

/* The REST rate headers, into buf. */
static const char *by_rest_headers(const struct by_req *x, char *buf, size_t cap)
{
	struct jw w;

	jw_init(&w, buf, cap);
	jw_lit(&w, "Timenow: ");
	jw_u64(&w, x->now_ms);
	jw_lit(&w, "\r\n");
	if (x->rl) {
		jw_lit(&w, "X-Bapi-Limit: ");
		jw_u64(&w, x->rl_limit);
		jw_lit(&w, "\r\nX-Bapi-Limit-Status: ");
		jw_u64(&w, x->rl_left);
		jw_lit(&w, "\r\nX-Bapi-Limit-Reset-Timestamp: ");
		jw_u64(&w, x->rl_reset);
		jw_lit(&w, "\r\n");
	}
	return jw_done(&w);
}

/* ,"header":{"X-Bapi-Limit",...,"Traceid","Timenow"} of a trade reply [bybit-ws-trade.jsonl line 4] */
static void w_ws_header(struct jw *w, const struct by_req *x)
{
	jw_lit(w, ",\"header\":{");
	if (x->rl) {
		jw_lit(w, "\"X-Bapi-Limit\":\"");
		jw_u64(w, x->rl_limit);
		jw_lit(w, "\",\"X-Bapi-Limit-Status\":\"");
		jw_u64(w, x->rl_left);
		jw_lit(w, "\",\"X-Bapi-Limit-Reset-Timestamp\":\"");
		jw_u64(w, x->rl_reset);
		jw_lit(w, "\",");
	}
	jw_lit(w, "\"Traceid\":\"");
	jw_u64(w, 0x5e00000000000000ull + ++x->b->trace_seq);
	jw_lit(w, "\",\"Timenow\":\"");
	jw_u64(w, x->now_ms);
	jw_lit(w, "\"}");
}

/* Start a successful answer: the wrapper up to the result (REST) or data (trade). */
static void by_ok_begin(struct by_req *x, struct jw *w)
{
	jw_init(w, x->b->out, BY_OUT);
	if (x->ws) {
		jw_lit(w, "{\"reqId\":");
		jw_str(w, x->req_id);
		jw_lit(w, ",\"retCode\":0,\"retMsg\":\"OK\",\"op\":");
		jw_str(w, x->op);
		jw_lit(w, ",\"data\":");
	} else {
		jw_lit(w, "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":");
	}
}

static void by_send_err(struct by_req *x);

static void by_ok_end(struct by_req *x, struct jw *w)
{
	char hdr[256];

	jw_lit(w, ",\"retExtInfo\":{}");
	if (x->ws) {
		w_ws_header(w, x);
		jw_lit(w, ",\"connId\":");
		w_connid(w, x->c);
		jw_lit(w, "}");
	} else {
		w_ku64(w, "time", x->now_ms);
		jw_lit(w, "}");
	}
	if (!jw_done(w)) {
		by_fail(x, 200, 10016, "Internal server error.");
		by_send_err(x);
		return;
	}
	if (!x->live)
		return;
	if (x->ws)
		sim_ws_send(x->c, WS_OP_TEXT, w->p, w->len);
	else
		sim_rest_reply(x->v, x->sc, 200, by_rest_headers(x, hdr, sizeof(hdr)), w->p,
			       w->len);
}

/* The error in x: the same wrapper with retCode, empty result / data. */
static void by_send_err(struct by_req *x)
{
	char hdr[256], buf[1024];
	struct jw w;

	sim_venue_answered(x->v, x->status);
	if (!x->live)
		return;
	jw_init(&w, buf, sizeof(buf));
	if (x->ws) {
		jw_lit(&w, "{\"reqId\":");
		jw_str(&w, x->req_id);
		w_ku64(&w, "retCode", (uint64_t)x->code);
		w_kstr(&w, "retMsg", x->msg);
		w_kstr(&w, "op", x->op);
		jw_lit(&w, ",\"data\":{},\"retExtInfo\":{}");
		w_ws_header(&w, x);
		jw_lit(&w, ",\"connId\":");
		w_connid(&w, x->c);
		jw_lit(&w, "}");
	} else {
		jw_lit(&w, "{\"retCode\":");
		jw_u64(&w, (uint64_t)x->code);
		w_kstr(&w, "retMsg", x->msg);
		jw_lit(&w, ",\"result\":{},\"retExtInfo\":{}");
		w_ku64(&w, "time", x->now_ms);
		jw_lit(&w, "}");
	}
	if (!jw_done(&w))
		return;
	if (x->ws)
		sim_ws_send(x->c, WS_OP_TEXT, w.p, w.len);
	else
		sim_rest_reply(x->v, x->sc, x->status, by_rest_headers(x, hdr, sizeof(hdr)), w.p,
			       w.len);
}

/* The IP limit, the ban and the 429 faults, before anything else of a request. */
static int by_admit_ip(struct by_req *x)
{
	struct sim_venue *v = x->v;
	struct by *b = x->b;
	uint64_t now_ns = net_now_ns(), left_ns;

	if (sim_fault_banned(v, now_ns, &left_ns))
		return by_fail(x, 403, 10403, "access too frequent");
	if (x->now_ms < b->ip_ban_until_ms)
		return by_fail(x, 403, 10403, "access too frequent");
	if (sim_fault_429(v, now_ns))
		return by_fail(x, 429, 10429, "System frequency protection.");
	if (!v->cfg->rate_limits)
		return 0;
	if (b->ip_win != x->now_ms / BY_IP_WINDOW_MS) {
		b->ip_win = x->now_ms / BY_IP_WINDOW_MS;
		b->ip_n = 0;
	}
	if (++b->ip_n > BY_IP_LIMIT) {
		b->ip_ban_until_ms = x->now_ms + BY_IP_BAN_MS;
		return by_fail(x, 403, 10403, "access too frequent");
	}
	return 0;
}

/* The account's limit of class k: 0 or -1 (10006). */
static int by_admit_acct(struct by_req *x, unsigned k)
{
	x->rl = true;
	x->rl_limit = by_rl_limit[k];
	if (by_rl_take(x->v, x->b, x->acct, k, x->now_ms, &x->rl_left, &x->rl_reset))
		return 0;
	return by_fail(x, 200, 10006, "Too many visits!");
}

/* ---- auth ------------------------------------------------------------------------ */

static const struct venue_hmac_key *by_key(struct sim_venue *v, struct by *b, int acct)
{
	return sv_acct_key(&b->hk[acct], &b->hk_ok[acct], &v->x->acct[acct]);
}

/* Digits only, at most 19, within int64: the value, or -1. */
static int64_t by_digits(const char *s, size_t n)
{
	uint64_t v = 0;

	if (!s || !n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v > (uint64_t)INT64_MAX ? -1 : (int64_t)v;
}

/* The account of an API key: 0, or -1 (10003). */
static int by_auth_key(struct by_req *x, const char *key, size_t n)
{
	struct sim_account *a = key && n && n < SIM_KEY_MAX
				? sim_exch_account_by_key(x->v->x, x->v->idx, key, n) : NULL;

	if (!a)
		return by_fail(x, 200, 10003, "API key is invalid.");
	x->acct = (int)(a - x->v->x->acct);
	return 0;
}

/* server - recvWindow <= ts < server + 1000 (2.4): 0, or -1 (10002). */
static int by_auth_time(struct by_req *x, int64_t ts, int64_t rw)
{
	int64_t server = (int64_t)x->now_ms;

	if (ts < 0 || rw <= 0 || ts >= server + (int64_t)BY_TIME_AHEAD_MS || ts < server - rw)
		return by_fail(x, 200, 10002,
			       "invalid request, please check your server timestamp or recv_window "
			       "param. req_timestamp[%" PRId64 "],server_timestamp[%" PRIu64
			       "],recv_window[%" PRId64 "]", ts, x->now_ms, rw);
	return 0;
}

/*
 * A signed REST request: X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-SIGN and
 * X-BAPI-RECV-WINDOW (default 5000); the sign over timestamp + key +
 * recvWindow (as sent, "" when not) + the query (GET) or body (POST).
 */
static int by_auth_rest(struct by_req *x, const struct net_http_parser *req)
{
	struct net_http_str key = net_http_header(req, "X-BAPI-API-KEY");
	struct net_http_str ts = net_http_header(req, "X-BAPI-TIMESTAMP");
	struct net_http_str sig = net_http_header(req, "X-BAPI-SIGN");
	struct net_http_str rw = net_http_header(req, "X-BAPI-RECV-WINDOW");
	struct net_http_str pl = req->method == NET_HTTP_GET ? net_http_query(req)
							     : net_http_body(req);
	int64_t tsv, rwv;
	struct iovec iov[4];

	if (by_auth_key(x, key.p, key.p ? key.len : 0))
		return -1;
	tsv = by_digits(ts.p, ts.p ? ts.len : 0);
	if (tsv < 0)
		return by_fail(x, 200, 10001, "params error: X-BAPI-TIMESTAMP is missing or invalid");
	rwv = rw.p ? by_digits(rw.p, rw.len) : (int64_t)BY_RECV_WINDOW;
	if (rwv < 0)
		return by_fail(x, 200, 10001, "params error: X-BAPI-RECV-WINDOW is invalid");
	if (by_auth_time(x, tsv, rwv))
		return -1;
	iov[0] = (struct iovec){ (void *)(uintptr_t)ts.p, ts.len };
	iov[1] = (struct iovec){ (void *)(uintptr_t)key.p, key.len };
	iov[2] = (struct iovec){ (void *)(uintptr_t)(rw.p ? rw.p : ""), rw.p ? rw.len : 0 };
	iov[3] = (struct iovec){ (void *)(uintptr_t)(pl.p ? pl.p : ""), pl.p ? pl.len : 0 };
	if (!sig.p || !sv_sig_match_hex256(by_key(x->v, x->b, x->acct), iov, 4, sig.p, sig.len))
		return by_fail(x, 200, 10004, "error sign! origin_string[%.*s%.*s%.*s%.*s]",
			       (int)(ts.len < 20 ? ts.len : 20), ts.p,
			       (int)(key.len < 64 ? key.len : 64), key.p,
			       rw.p ? (int)(rw.len < 10 ? rw.len : 10) : 0, rw.p ? rw.p : "",
			       pl.p ? (int)(pl.len < 80 ? pl.len : 80) : 0, pl.p ? pl.p : "");
	return 0;
}

/* ---- request parameters: query strings and JSON bodies ---------------------------------- */

/* A parameter of a request: from the query (GET) or the JSON body (POST). */
struct by_params {
	bool json;
	const char *src;                /* query text or JSON */
	size_t len;
	const struct jr_tok *t;         /* JSON tokens, object at obj */
	int obj;
};

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * The value of 'key' into out (NUL-terminated, percent-decoded for a
 * query, unescaped for JSON strings, a JSON number's text as written):
 * 1 present, 0 absent or empty, -1 not a string/number or too long.
 */
static int by_param(const struct by_params *p, const char *key, char *out, size_t cap)
{
	if (p->json) {
		int i = p->obj >= 0 ? jr_get(p->src, p->t, p->obj, key) : -1;
		int n;

		if (i < 0 || p->t[i].type == JR_NULL)
			return 0;
		if (p->t[i].type == JR_NUM) {
			if (p->t[i].len + 1 > cap)
				return -1;
			memcpy(out, p->src + p->t[i].start, p->t[i].len);
			out[p->t[i].len] = '\0';
			return 1;
		}
		if (p->t[i].type != JR_STR)
			return -1;
		n = jr_str(p->src, &p->t[i], out, cap);
		return n < 0 ? -1 : n > 0;
	}
	for (size_t i = 0, kl = strlen(key); p->src && i < p->len;) {
		const char *e = memchr(p->src + i, '&', p->len - i);
		size_t l = e ? (size_t)(e - (p->src + i)) : p->len - i, o = 0;

		if (l > kl && p->src[i + kl] == '=' && !memcmp(p->src + i, key, kl)) {
			for (size_t k = i + kl + 1; k < i + l; k++) {
				int h, lo;

				if (o + 1 >= cap)
					return -1;
				if (p->src[k] == '%' && k + 2 < i + l &&
				    (h = hexv(p->src[k + 1])) >= 0 && (lo = hexv(p->src[k + 2])) >= 0) {
					out[o++] = (char)(h << 4 | lo);
					k += 2;
				} else {
					out[o++] = p->src[k];
				}
			}
			out[o] = '\0';
			return o > 0;
		}
		i += l + 1;
	}
	return 0;
}

/* category must be "spot": 0, or -1 (10001). */
static int by_category(struct by_req *x, const struct by_params *p)
{
	char s[16];
	int r = by_param(p, "category", s, sizeof(s));

	if (r <= 0)
		return by_fail(x, 200, 10001, "params error: Category is null");
	if (strcmp(s, "spot"))
		return by_fail(x, 200, 10001, "params error: Category is invalid (exsim: spot only)");
	return 0;
}

/* The symbol: 1 found, 0 absent, -1 unknown (10001). */
static int by_symbol(struct by_req *x, const struct by_params *p, struct sim_inst **in)
{
	char s[SIM_SYM_MAX];
	int r = by_param(p, "symbol", s, sizeof(s));

	*in = NULL;
	if (!r)
		return 0;
	*in = r > 0 ? by_inst_sym(x->v, s, strlen(s)) : NULL;
	if (!*in)
		return by_fail(x, 200, 10001, "params error: symbol invalid");
	return 1;
}

/* A decimal string parameter: 1 present, 0 absent, -1 malformed (10001). */
static int by_dec(struct by_req *x, const struct by_params *p, const char *key, sim_fx *out)
{
	char s[48];
	int r = by_param(p, key, s, sizeof(s));
	size_t n;

	if (!r)
		return 0;
	n = r > 0 ? strlen(s) : 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			n = 0;
	if (!n || sim_parse_fx(s, n, out) || *out <= 0)
		return by_fail(x, 200, 10001, "params error: %s invalid", key);
	return 1;
}

/* ---- private events ------------------------------------------------------------------ */

static const char *by_status_str(const struct sim_order *o)
{
	switch (o->status) {
	case SIM_ST_NEW:
		return "New";
	case SIM_ST_PARTIAL:
		return "PartiallyFilled";
	case SIM_ST_FILLED:
		return "Filled";
	case SIM_ST_CANCELED:
	case SIM_ST_EXPIRED:
		return o->filled ? "PartiallyFilledCanceled" : "Cancelled";
	default:
		return "Rejected";
	}
}

static const char *by_tif_str(const struct sim_order *o)
{
	if (o->type != SIM_ORD_LIMIT)
		return "IOC";
	switch (o->tif) {
	case SIM_IOC:
		return "IOC";
	case SIM_FOK:
		return "FOK";
	case SIM_POST_ONLY:
		return "PostOnly";
	default:
		return "GTC";
	}
}

enum { BY_RR_NONE = 0, BY_RR_POST_ONLY, BY_RR_FOK, BY_RR_IOC };

static const char *by_reject_reason(const struct sim_order *o, unsigned why)
{
	if (why == BY_RR_POST_ONLY)
		return "EC_PostOnlyWillTakeLiquidity";
	if (o->status == SIM_ST_EXPIRED && o->tif == SIM_FOK && !o->filled)
		return "EC_FOKOrderCannotBeFilled";
	if (o->status == SIM_ST_EXPIRED && o->type == SIM_ORD_LIMIT)
		return "EC_NoImmediateQtyToFill";
	return "EC_NoError";
}

static void w_oid(struct jw *w, const char *k, uint64_t id, bool comma)
{
	if (comma)
		jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_raw(w, "\"", 1);
	jw_u64(w, BY_OID_BASE + id);
	jw_raw(w, "\"", 1);
}

/*
 * The order object of GET /v5/order/realtime and of the order stream
 * (2.3, 2.5; bybit-private-stream.jsonl line 2 with category spot).
 */
static void w_order(struct sim_venue *v, struct jw *w, const struct sim_order *o, unsigned why,
		    bool stream)
{
	const struct sim_inst *in = &v->m->inst[o->inst];
	sim_fx leaves = o->open ? o->qty - o->filled : 0;
	sim_fx avg = o->filled ? sim_div(o->filled_quote, o->filled) : 0;
	bool user = o->status == SIM_ST_CANCELED;

	jw_lit(w, "{");
	if (stream)
		jw_lit(w, "\"category\":\"spot\",");
	jw_lit(w, "\"symbol\":");
	jw_str(w, in->sym);
	w_oid(w, "orderId", o->id, true);
	w_kstr(w, "orderLinkId", o->cid);
	w_kstr(w, "side", o->side == SIM_BID ? "Buy" : "Sell");
	w_kstr(w, "orderType", o->type == SIM_ORD_LIMIT ? "Limit" : "Market");
	w_knum(w, "price", o->px);
	w_knum(w, "qty", o->qty ? o->qty : o->quote_qty);
	w_kstr(w, "timeInForce", by_tif_str(o));
	w_kstr(w, "orderStatus", by_status_str(o));
	w_kstr(w, "cancelType", user ? "CancelByUser" : "UNKNOWN");
	w_kstr(w, "rejectReason", by_reject_reason(o, why));
	w_knum(w, "avgPrice", avg);
	w_knum(w, "leavesQty", leaves);
	w_knum(w, "leavesValue", sim_mul(leaves, o->px));
	w_knum(w, "cumExecQty", o->filled);
	w_knum(w, "cumExecValue", o->filled_quote);
	w_knum(w, "cumExecFee", o->fee);
	if (stream) {
		jw_lit(w, ",\"cumFeeDetail\":{");
		if (o->fee) {
			jw_str(w, sim_asset_name(o->fee_asset));
			jw_lit(w, ":");
			w_num(w, o->fee);
		}
		jw_lit(w, "}");
		w_kstr(w, "feeCurrency", o->fee ? sim_asset_name(o->fee_asset) : "");
	}
	w_kstr(w, "marketUnit", o->type == SIM_ORD_MARKET_QUOTE ? "quoteCoin"
				: o->type == SIM_ORD_MARKET ? "baseCoin" : "");
	jw_lit(w, ",\"isLeverage\":\"0\",\"orderFilter\":\"Order\",\"positionIdx\":0,"
		  "\"blockTradeId\":\"\",\"orderIv\":\"\",\"triggerPrice\":\"0\","
		  "\"takeProfit\":\"0\",\"stopLoss\":\"0\",\"reduceOnly\":false,"
		  "\"closeOnTrigger\":false,\"smpType\":\"None\",\"smpGroup\":0,\"smpOrderId\":\"\"");
	w_ku64s(w, "createdTime", by_vms(v, o->created_ms));
	w_ku64s(w, "updatedTime", by_vms(v, o->updated_ms));
	jw_lit(w, "}");
}

/* The account's private connections subscribed to any of the topics in mask. */
static bool by_wanted(struct sim_venue *v, unsigned acct, uint32_t mask)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_PRIVATE && c->acct == (int8_t)acct && (by_cs(c)->psub & mask))
			return true;
	return false;
}

/*
 * Send {"id","topic":<name>,"creationTime","data":<data>} to each of the
 * account's private connections on topic k; data is at b->ev + off, len
 * bytes, with room before it for the head.
 */
#define BY_EV_PFX 160

static void by_ev_send(struct sim_venue *v, struct by *b, unsigned acct, unsigned k,
		       size_t len)
{
	char *data = b->ev + BY_EV_PFX;
	struct sim_ws *c = NULL;

	data[len] = '}';
	while ((c = sim_venue_next_ws(v, c))) {
		char pfx[BY_EV_PFX];
		struct jw w;

		if (c->kind != SIM_WS_PRIVATE || c->acct != (int8_t)acct ||
		    !(by_cs(c)->psub >> k & 1))
			continue;
		jw_init(&w, pfx, sizeof(pfx));
		jw_lit(&w, "{\"id\":\"");
		jw_u64(&w, acct);
		jw_lit(&w, "_exsim_");
		jw_u64(&w, ++b->ev_id);
		jw_lit(&w, "\",\"topic\":");
		jw_str(&w, by_ptopic_name[k]);
		w_ku64(&w, "creationTime", sim_venue_now_ms(v));
		jw_lit(&w, ",\"data\":");
		if (!jw_done(&w))
			continue;
		memcpy(data - w.len, pfx, w.len);
		sim_ws_send(c, WS_OP_TEXT, data - w.len, w.len + len + 1);
	}
}

/* An order change on order / order.spot. */
static void by_push_order(struct sim_venue *v, struct by *b, const struct sim_order *o,
			  unsigned why)
{
	uint32_t mask = 1u << BY_P_ORDER | 1u << BY_P_ORDER_SPOT;
	struct jw w;

	if (!by_wanted(v, o->acct, mask))
		return;
	jw_init(&w, b->ev + BY_EV_PFX, BY_EV - BY_EV_PFX - 1);
	jw_lit(&w, "[");
	w_order(v, &w, o, why, true);
	jw_lit(&w, "]");
	if (!jw_done(&w))
		return;
	by_ev_send(v, b, o->acct, BY_P_ORDER, w.len);
	by_ev_send(v, b, o->acct, BY_P_ORDER_SPOT, w.len);
}

/* A fill on execution[.spot] and execution.fast[.spot] (2.5). */
static void by_push_exec(struct sim_venue *v, struct by *b, const struct sim_order *o,
			 const struct sim_fill *f)
{
	const struct sim_inst *in = &v->m->inst[o->inst];
	uint32_t full = 1u << BY_P_EXEC | 1u << BY_P_EXEC_SPOT;
	uint32_t fast = 1u << BY_P_FAST | 1u << BY_P_FAST_SPOT;
	uint64_t seq = ++b->exec_seq;
	struct jw w;

	if (by_wanted(v, o->acct, full)) {
		double fr = f->maker ? v->cfg->maker_fee : v->cfg->taker_fee;

		jw_init(&w, b->ev + BY_EV_PFX, BY_EV - BY_EV_PFX - 1);
		jw_lit(&w, "[{\"category\":\"spot\",\"symbol\":");
		jw_str(&w, in->sym);
		w_knum(&w, "execFee", f->fee);
		jw_lit(&w, ",\"execId\":\"");
		jw_u64(&w, f->exec_id);
		jw_lit(&w, "\"");
		w_knum(&w, "execPrice", f->px);
		w_knum(&w, "execQty", f->qty);
		jw_lit(&w, ",\"execType\":\"Trade\"");
		w_knum(&w, "execValue", f->quote);
		w_knum(&w, "feeRate", by_rate(fr));
		w_kstr(&w, "feeCurrency", sim_asset_name(f->fee_asset));
		w_knum(&w, "leavesQty", o->open ? o->qty - o->filled : 0);
		w_oid(&w, "orderId", o->id, true);
		w_kstr(&w, "orderLinkId", o->cid);
		w_knum(&w, "orderPrice", o->px);
		w_knum(&w, "orderQty", o->qty ? o->qty : o->quote_qty);
		w_kstr(&w, "orderType", o->type == SIM_ORD_LIMIT ? "Limit" : "Market");
		jw_lit(&w, ",\"stopOrderType\":\"UNKNOWN\"");
		w_kstr(&w, "side", o->side == SIM_BID ? "Buy" : "Sell");
		w_ku64s(&w, "execTime", by_vms(v, f->ts_ms));
		jw_lit(&w, ",\"isLeverage\":\"0\"");
		jw_lit(&w, f->maker ? ",\"isMaker\":true" : ",\"isMaker\":false");
		w_ku64(&w, "seq", seq);
		w_kstr(&w, "marketUnit", "");
		/* the unified schema's other keys, as spot fills them */
		jw_lit(&w, ",\"closedSize\":\"0\",\"tradeIv\":\"\",\"markIv\":\"\","
			   "\"blockTradeId\":\"\",\"indexPrice\":\"\",\"underlyingPrice\":\"\","
			   "\"execPnl\":\"0\",\"extraFees\":[]");
		w_knum(&w, "markPrice", f->px);
		jw_lit(&w, ",\"createType\":\"CreateByUser\"}]");
		if (jw_done(&w)) {
			by_ev_send(v, b, o->acct, BY_P_EXEC, w.len);
			by_ev_send(v, b, o->acct, BY_P_EXEC_SPOT, w.len);
		}
	}
	if (by_wanted(v, o->acct, fast)) {
		jw_init(&w, b->ev + BY_EV_PFX, BY_EV - BY_EV_PFX - 1);
		jw_lit(&w, "[{\"category\":\"spot\",\"symbol\":");
		jw_str(&w, in->sym);
		jw_lit(&w, ",\"execId\":\"");
		jw_u64(&w, f->exec_id);
		jw_lit(&w, "\"");
		w_knum(&w, "execPrice", f->px);
		w_knum(&w, "execQty", f->qty);
		w_oid(&w, "orderId", o->id, true);
		jw_lit(&w, f->maker ? ",\"isMaker\":true" : ",\"isMaker\":false");
		/* empty for maker fills (2.5) */
		w_kstr(&w, "orderLinkId", f->maker ? "" : o->cid);
		w_kstr(&w, "side", o->side == SIM_BID ? "Buy" : "Sell");
		w_ku64s(&w, "execTime", by_vms(v, f->ts_ms));
		w_ku64(&w, "seq", seq);
		jw_lit(&w, "}]");
		if (jw_done(&w)) {
			by_ev_send(v, b, o->acct, BY_P_FAST, w.len);
			by_ev_send(v, b, o->acct, BY_P_FAST_SPOT, w.len);
		}
	}
}

/* The matching engine's order events: fills, then the order's new state. */
static void by_on_order(struct sim_venue *v, const struct sim_order *o, const struct sim_fill *f)
{
	struct by *b = v->priv;

	if (o->status == SIM_ST_REJECTED || !o->id)
		return;
	if (f) {
		by_push_exec(v, b, o, f);
		by_push_order(v, b, o, BY_RR_NONE);
		return;
	}
	if (o->status == SIM_ST_FILLED)
		return;         /* sent with its last fill */
	by_push_order(v, b, o, BY_RR_NONE);
}

static void by_on_balance(struct sim_venue *v, const struct sim_account *a, unsigned asset)
{
	struct by *b = v->priv;
	ptrdiff_t i = a - v->x->acct;

	if (i >= 0 && i < SIM_MAX_ACCOUNTS && asset < 32)
		b->dirty[i] |= 1u << asset;
}

/* One coin of wallet-balance and of the wallet stream. */
static void w_coin(struct jw *w, const struct sim_account *a, unsigned k, bool first)
{
	sim_fx total = a->free[k] + a->locked[k];

	jw_lit(w, first ? "{\"coin\":" : ",{\"coin\":");
	jw_str(w, sim_asset_name(k));
	w_knum(w, "equity", total);
	w_kstr(w, "usdValue", "");
	w_knum(w, "walletBalance", total);
	w_knum(w, "locked", a->locked[k]);
	w_kstr(w, "availableToWithdraw", "");
	jw_lit(w, ",\"borrowAmount\":\"0\",\"accruedInterest\":\"0\",\"totalOrderIM\":\"0\","
		  "\"totalPositionIM\":\"0\",\"totalPositionMM\":\"0\",\"unrealisedPnl\":\"0\","
		  "\"cumRealisedPnl\":\"0\",\"bonus\":\"0\",\"spotBorrow\":\"0\","
		  "\"marginCollateral\":true,\"collateralSwitch\":true}");
}

static bool by_asset_ours(const struct sim_venue *v, unsigned k)
{
	for (uint32_t i = 0; i < v->ninst; i++) {
		const struct sim_inst *in = &v->m->inst[v->inst[i]];

		if (in->base_asset == k || in->quote_asset == k)
			return true;
	}
	return false;
}

/* {"accountType":"UNIFIED",...,"coin":[...]} for the assets in mask. */
static void w_wallet(struct sim_venue *v, struct jw *w, const struct sim_account *a,
		     uint32_t mask)
{
	bool first = true;

	jw_lit(w, "{\"accountType\":\"UNIFIED\",\"accountIMRate\":\"0\",\"accountMMRate\":\"0\","
		  "\"accountLTV\":\"0\",\"totalEquity\":\"\",\"totalWalletBalance\":\"\","
		  "\"totalMarginBalance\":\"\",\"totalAvailableBalance\":\"\","
		  "\"totalPerpUPL\":\"0\",\"totalInitialMargin\":\"0\","
		  "\"totalMaintenanceMargin\":\"0\",\"coin\":[");
	for (unsigned k = 0; k < SIM_MAX_ASSETS && k < 32; k++) {
		if (!sim_asset_name(k))
			break;
		if (!(mask >> k & 1))
			continue;
		w_coin(w, a, k, first);
		first = false;
	}
	jw_lit(w, "]}");
}

/* wallet events for every account whose balances changed. */
static void by_flush_wallets(struct sim_venue *v, struct by *b)
{
	for (unsigned i = 0; i < SIM_MAX_ACCOUNTS && i < v->x->naccts; i++) {
		uint32_t mask = b->dirty[i];
		struct jw w;

		if (!mask)
			continue;
		b->dirty[i] = 0;
		if (!by_wanted(v, i, 1u << BY_P_WALLET))
			continue;
		jw_init(&w, b->ev + BY_EV_PFX, BY_EV - BY_EV_PFX - 1);
		jw_lit(&w, "[");
		w_wallet(v, &w, &v->x->acct[i], mask);
		jw_lit(&w, "]");
		if (jw_done(&w))
			by_ev_send(v, b, i, BY_P_WALLET, w.len);
	}
}

/* ---- orders: decode, jobs --------------------------------------------------------- */

enum by_job_kind { BY_J_CREATE = 1, BY_J_CANCEL, BY_J_CANCEL_ALL };

struct by_job {
	uint8_t kind;
	bool ws, drop, http5xx, rl;
	int16_t acct;
	uint16_t inst;                  /* cancel-all: 0xffff for every symbol */
	uint32_t rl_limit, rl_left;
	uint64_t rl_reset;
	char req_id[BY_ID_MAX];
	char op[24];
	uint64_t order_id;
	char cid[BY_CID_MAX];
	struct sim_order_req req;
};

_Static_assert(sizeof(struct by_job) < SIM_JOB_DATA, "a Bybit job fits the job's data");

/* One-of parameter: its index, -2 absent, -1 another value. */
static int by_enum(const struct by_params *p, const char *key, const char *const *names,
		   unsigned n)
{
	char s[32];
	int r = by_param(p, key, s, sizeof(s));

	if (!r)
		return -2;
	if (r < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

/* The body of order/create (REST) or order.create's args[0] (2.3): 0 or -1. */
static int by_order_decode(struct by_req *x, const struct by_params *p, struct sim_order_req *r)
{
	static const char *const sides[] = { "Buy", "Sell" };
	static const char *const types[] = { "Limit", "Market" };
	static const char *const tifs[] = { "GTC", "IOC", "FOK", "PostOnly" };
	static const char *const units[] = { "baseCoin", "quoteCoin" };
	static const char *const filters[] = { "Order" };
	struct sim_inst *in;
	char cid[BY_CID_MAX + 1], lev[8];
	int side, type, tif, unit, rq, rp, rc;
	sim_fx qty = 0, px = 0;

	memset(r, 0, sizeof(*r));
	if (by_category(x, p))
		return -1;
	rc = by_symbol(x, p, &in);
	if (rc < 0)
		return -1;
	if (!rc)
		return by_fail(x, 200, 10001, "params error: symbol is null");
	side = by_enum(p, "side", sides, 2);
	if (side < 0)
		return by_fail(x, 200, 10001, "params error: side invalid");
	type = by_enum(p, "orderType", types, 2);
	if (type < 0)
		return by_fail(x, 200, 10001, "params error: orderType invalid");
	tif = by_enum(p, "timeInForce", tifs, 4);
	if (tif == -1)
		return by_fail(x, 200, 10001, "params error: timeInForce invalid");
	unit = by_enum(p, "marketUnit", units, 2);
	if (unit == -1)
		return by_fail(x, 200, 10001, "params error: marketUnit invalid");
	if (by_enum(p, "orderFilter", filters, 1) == -1)
		return by_fail(x, 200, 10001, "params error: orderFilter invalid (exsim: Order only)");
	rc = by_param(p, "isLeverage", lev, sizeof(lev));
	if (rc < 0 || (rc > 0 && strcmp(lev, "0")))
		return by_fail(x, 200, 10001, "params error: isLeverage invalid (exsim: spot only)");
	rq = by_dec(x, p, "qty", &qty);
	if (rq < 0)
		return -1;
	if (!rq)
		return by_fail(x, 200, 10001, "params error: qty is null");
	rp = by_dec(x, p, "price", &px);
	if (rp < 0)
		return -1;
	rc = by_param(p, "orderLinkId", cid, sizeof(cid));
	if (rc < 0 || (rc > 0 && !sv_cid_ok(cid, strlen(cid), 36)))
		return by_fail(x, 200, 10001, "params error: orderLinkId invalid");
	if (rc > 0)
		memcpy(r->cid, cid, strlen(cid) + 1);
	r->inst = in->id;
	r->acct = (uint8_t)x->acct;
	r->side = side ? SIM_ASK : SIM_BID;
	if (type == 0) {
		if (!rp)
			return by_fail(x, 200, 10001, "params error: price is null");
		r->type = SIM_ORD_LIMIT;
		r->px = px;
		r->qty = qty;
		r->tif = tif == 1 ? SIM_IOC : tif == 2 ? SIM_FOK : tif == 3 ? SIM_POST_ONLY
									 : SIM_GTC;
		return 0;
	}
	/* Market: always IOC; a buy is in quote unless marketUnit says baseCoin */
	r->tif = SIM_IOC;
	if (unit == 1 || (unit == -2 && r->side == SIM_BID)) {
		r->type = SIM_ORD_MARKET_QUOTE;
		r->quote_qty = qty;
	} else {
		if (qty > by_max_market(in))
			return by_fail(x, 200, 170135, "Order quantity exceeds the upper limit.");
		r->type = SIM_ORD_MARKET;
		r->qty = qty;
	}
	return 0;
}

/* The mid (or one side, or the last price): the reference of the price band. */
/* The engine's refusal as the venue words it (2.6): -1. */
static int by_reject(struct by_req *x, enum sim_reject rej, const struct sim_inst *in)
{
	char num[32];

	switch (rej) {
	case SIM_REJ_FUNDS:
		return by_fail(x, 200, 170131, "Insufficient balance.");
	case SIM_REJ_DUP_CID:
		return by_fail(x, 200, 170141, "Duplicate clientOrderId.");
	case SIM_REJ_TICK:
		return by_fail(x, 200, 170134, "Order price has too many decimals.");
	case SIM_REJ_STEP:
		return by_fail(x, 200, 170137, "Order quantity has too many decimals.");
	case SIM_REJ_MIN_QTY:
		sim_fx_str(in->min_qty, num);
		return by_fail(x, 200, 170136, "Order quantity below the lower limit %s.", num);
	case SIM_REJ_MAX_QTY:
		return by_fail(x, 200, 170135, "Order quantity exceeds the upper limit.");
	case SIM_REJ_MIN_NOTIONAL:
		return by_fail(x, 200, 170140, "Order value exceeded lower limit.");
	case SIM_REJ_PRICE_RANGE:
		return by_fail(x, 200, 170193, "Buy order price cannot be higher than the limit.");
	case SIM_REJ_TOO_MANY_ORDERS:
		return by_fail(x, 200, 170124, "Order amount too large.");
	case SIM_REJ_NO_MARKET:
		return by_fail(x, 200, 10001, "params error: symbol invalid");
	default:
		return by_fail(x, 200, 10001, "params error");
	}
}

/* {"orderId":"..","orderLinkId":".."} */
static void w_ack(struct jw *w, uint64_t id, const char *cid)
{
	jw_lit(w, "{");
	w_oid(w, "orderId", id, false);
	w_kstr(w, "orderLinkId", cid);
	jw_lit(w, "}");
}

static void by_job_x(struct by_req *x, struct sim_venue *v, const struct by_job *jb,
		     const struct sim_job *j)
{
	by_req_init(x, v, jb->ws);
	x->sc = j->sc;
	x->c = j->ws;
	x->live = jb->ws ? sim_job_ws_live(j) : sim_job_sc_live(j);
	x->acct = jb->acct;
	x->rl = jb->rl;
	x->rl_limit = jb->rl_limit;
	x->rl_left = jb->rl_left;
	x->rl_reset = jb->rl_reset;
	memcpy(x->req_id, jb->req_id, sizeof(x->req_id));
	memcpy(x->op, jb->op, sizeof(x->op));
}

/*
 * order/create after the order latency: the price band, then the engine.
 * A post-only that would take is accepted and cancelled at once, as the
 * venue does (EC_PostOnlyWillTakeLiquidity on the order stream).
 */
static void by_job_create(struct by_req *x, const struct by_job *jb)
{
	struct sim_venue *v = x->v;
	struct by *b = x->b;
	const struct sim_inst *in = &v->m->inst[jb->req.inst];
	sim_fx ref = sv_ref_px(in);
	struct sim_order *o = NULL;
	enum sim_reject rej = SIM_OK;
	struct jw w;

	if (jb->req.type == SIM_ORD_LIMIT && ref) {
		__int128 up = (__int128)ref * (100 + BY_PRICE_BAND_PCT);
		__int128 dn = (__int128)ref * (100 - BY_PRICE_BAND_PCT);

		if (jb->req.side == SIM_BID && (__int128)jb->req.px * 100 > up) {
			by_fail(x, 200, 170193, "Buy order price cannot be higher than %s.",
				"the limit");
			goto refuse;
		}
		if (jb->req.side == SIM_ASK && (__int128)jb->req.px * 100 < dn) {
			by_fail(x, 200, 170194, "Sell order price cannot be lower than %s.",
				"the limit");
			goto refuse;
		}
	}
	rej = sim_exch_submit(v->x, &jb->req, &o);
	by_flush_wallets(v, b);
	if (rej == SIM_REJ_WOULD_TAKE && o) {
		/* accepted, then cancelled: the venue's id for it is its own */
		uint64_t id = v->x->next_order_id[v->idx]++;
		struct sim_order shown = *o;

		shown.id = id;
		shown.status = SIM_ST_CANCELED;
		shown.open = false;
		by_push_order(v, b, &shown, BY_RR_POST_ONLY);
		if (jb->drop)
			return;
		by_ok_begin(x, &w);
		w_ack(&w, id, o->cid);
		by_ok_end(x, &w);
		return;
	}
	if (rej || !o) {
		by_reject(x, rej ? rej : SIM_REJ_BAD_PARAM, in);
		goto refuse;
	}
	if (jb->drop)
		return;
	if (jb->http5xx) {
		by_fail(x, 503, 10016, "Internal server error.");
		by_send_err(x);
		return;
	}
	by_ok_begin(x, &w);
	w_ack(&w, o->id, o->cid);
	by_ok_end(x, &w);
	return;
refuse:
	if (jb->drop)
		return;
	if (jb->http5xx)
		by_fail(x, 503, 10016, "Internal server error.");
	by_send_err(x);
}

/* The account's order by id or link id (NULL when not the account's). */
static struct sim_order *by_find(struct sim_venue *v, unsigned acct, uint64_t id,
				 const char *cid)
{
	struct sim_order *o = id ? sim_exch_find_id(v->x, v->idx, id)
				 : cid[0] ? sim_exch_find_cid(v->x, acct, cid) : NULL;

	if (!o || o->acct != acct || (id && cid[0] && strcmp(o->cid, cid)))
		return NULL;
	return o;
}

static void by_job_cancel(struct by_req *x, const struct by_job *jb)
{
	struct sim_venue *v = x->v;
	struct by *b = x->b;
	struct sim_order *o = by_find(v, (unsigned)jb->acct, jb->order_id, jb->cid);
	struct jw w;
	int ret;

	if (!o || o->inst != jb->inst || !o->open) {
		by_fail(x, 200, 110001, "Order does not exist.");
		by_send_err(x);
		return;
	}
	ret = sim_exch_cancel(v->x, o);
	by_flush_wallets(v, b);
	if (ret) {
		by_fail(x, 200, 110001, "Order does not exist.");
		by_send_err(x);
		return;
	}
	by_ok_begin(x, &w);
	w_ack(&w, o->id, o->cid);
	by_ok_end(x, &w);
}

/* POST /v5/order/cancel-all: {"list":[{"orderId","orderLinkId"}],"success":"1"} */
static void by_job_cancel_all(struct by_req *x, const struct by_job *jb)
{
	struct sim_venue *v = x->v;
	struct sim_order *open[BY_ORDERS_LIST];
	uint32_t n = sim_exch_open_orders(v->x, (unsigned)jb->acct,
					  jb->inst == 0xffff ? -1 : jb->inst, open,
					  BY_ORDERS_LIST);
	bool first = true;
	struct jw w;

	by_ok_begin(x, &w);
	jw_lit(&w, "{\"list\":[");
	for (uint32_t i = 0; i < n; i++) {
		if (v->m->inst[open[i]->inst].venue != v->idx)
			continue;
		sim_exch_cancel(v->x, open[i]);
		if (!first)
			jw_lit(&w, ",");
		w_ack(&w, open[i]->id, open[i]->cid);
		first = false;
	}
	jw_lit(&w, "],\"success\":\"1\"}");
	by_flush_wallets(v, x->b);
	by_ok_end(x, &w);
}

static void by_job_run(struct sim_venue *v, struct sim_job *j)
{
	struct by_job jb;
	struct by_req x;

	memcpy(&jb, j->data, sizeof(jb));
	by_job_x(&x, v, &jb, j);
	switch (jb.kind) {
	case BY_J_CREATE:
		by_job_create(&x, &jb);
		break;
	case BY_J_CANCEL:
		by_job_cancel(&x, &jb);
		break;
	case BY_J_CANCEL_ALL:
		by_job_cancel_all(&x, &jb);
		break;
	default:
		break;
	}
}

/* Hand a job to the order path: 0, or -1 (10016) when the job pool is full. */
static int by_defer(struct by_req *x, struct by_job *jb)
{
	jb->ws = x->ws;
	jb->acct = (int16_t)x->acct;
	jb->rl = x->rl;
	jb->rl_limit = x->rl_limit;
	jb->rl_left = x->rl_left;
	jb->rl_reset = x->rl_reset;
	memcpy(jb->req_id, x->req_id, sizeof(jb->req_id));
	memcpy(jb->op, x->op, sizeof(jb->op));
	if (sim_defer(x->v, x->v->cfg->order_latency_ns, by_job_run, x->ws ? NULL : x->sc,
		      x->ws ? x->c : NULL, jb, sizeof(*jb)))
		return by_fail(x, 200, 10016, "Server is busy, please try again later.");
	return 0;
}

/* ---- endpoints (REST; create and cancel also from /v5/trade) ------------------------------ */

typedef int (*by_handler)(struct by_req *x, const struct by_params *p,
			  const struct net_http_parser *req);

/* GET /v5/market/time */
static int h_time(struct by_req *x, const struct by_params *p, const struct net_http_parser *req)
{
	struct jw w;

	by_ok_begin(x, &w);
	jw_lit(&w, "{\"timeSecond\":\"");
	jw_u64(&w, x->now_ms / 1000);
	jw_lit(&w, "\",\"timeNano\":\"");
	jw_u64(&w, x->now_ms * 1000000ull);
	jw_lit(&w, "\"}");
	by_ok_end(x, &w);
	return 0;
}

/* One spot instrument [bybit-rest.jsonl line 3] */
static void w_instrument(struct jw *w, const struct sim_inst *in)
{
	char band[16];

	snprintf(band, sizeof(band), "0.%02d", BY_PRICE_BAND_PCT);
	jw_lit(w, "{\"symbolId\":");
	jw_u64(w, in->vidx + 1u);
	w_kstr(w, "symbol", in->sym);
	w_kstr(w, "baseCoin", in->base);
	w_kstr(w, "quoteCoin", in->quote);
	jw_lit(w, ",\"innovation\":\"0\",\"status\":\"Trading\",\"marginTrading\":\"none\","
		  "\"stTag\":\"0\",\"lotSizeFilter\":{\"basePrecision\":");
	w_num(w, in->step);
	jw_lit(w, ",\"quotePrecision\":\"0.00000001\"");
	w_knum(w, "minOrderQty", in->min_qty);
	w_knum(w, "maxOrderQty", in->max_qty);
	w_knum(w, "minOrderAmt", in->min_notional);
	jw_lit(w, ",\"maxOrderAmt\":\"8000000\"");
	w_knum(w, "maxLimitOrderQty", in->max_qty);
	w_knum(w, "maxMarketOrderQty", by_max_market(in));
	w_knum(w, "postOnlyMaxLimitOrderSize", in->max_qty);
	jw_lit(w, "},\"priceFilter\":{\"tickSize\":");
	w_num(w, in->tick);
	jw_lit(w, "},\"riskParameters\":{\"priceLimitRatioX\":");
	jw_str(w, band);
	w_kstr(w, "priceLimitRatioY", band);
	jw_lit(w, "},\"symbolType\":\"\"}");
}

/* GET /v5/market/instruments-info?category=spot[&symbol=]: every symbol, no pages. */
static int h_instruments(struct by_req *x, const struct by_params *p,
			 const struct net_http_parser *req)
{
	struct sim_inst *one;
	bool first = true;
	struct jw w;
	int r;

	if (by_category(x, p))
		return -1;
	r = by_symbol(x, p, &one);
	if (r < 0)
		return -1;
	by_ok_begin(x, &w);
	jw_lit(&w, "{\"category\":\"spot\",\"list\":[");
	for (uint32_t i = 0; i < x->v->ninst; i++) {
		const struct sim_inst *in = sim_venue_inst(x->v, i);

		if (one && in != one)
			continue;
		if (!first)
			jw_lit(&w, ",");
		w_instrument(&w, in);
		first = false;
	}
	jw_lit(&w, "]}");
	by_ok_end(x, &w);
	return 0;
}

/*
 * GET /v5/market/orderbook?category=spot&symbol=&limit=1..1000 (default 1)
 * [bybit-rest.jsonl line 2]. u is orderbook.1000's: while that topic is
 * published the answer is its book as last published, so a client can
 * join the two.
 */
static int h_orderbook(struct by_req *x, const struct by_params *p,
		       const struct net_http_parser *req)
{
	struct by_topic *t;
	struct sim_inst *in;
	char s[16];
	int64_t limit = 1;
	uint32_t n[2];
	const struct sim_level *lv[2];
	struct jw w;
	int r;

	if (by_category(x, p))
		return -1;
	r = by_symbol(x, p, &in);
	if (r < 0)
		return -1;
	if (!r)
		return by_fail(x, 200, 10001, "params error: symbol is null");
	r = by_param(p, "limit", s, sizeof(s));
	if (r) {
		limit = r > 0 ? by_digits(s, strlen(s)) : -1;
		if (limit < 1 || limit > 1000)
			return by_fail(x, 200, 10001, "params error: limit must be 1 to 1000");
	}
	t = &x->b->inst[in->vidx].t[BY_OB1000];
	for (int sd = 0; sd < 2; sd++) {
		if (t->live) {
			lv[sd] = t->lv[sd];
			n[sd] = t->n[sd];
		} else {
			lv[sd] = in->book.side[sd].lv;
			n[sd] = in->book.side[sd].n;
		}
		if (n[sd] > (uint32_t)limit)
			n[sd] = (uint32_t)limit;
	}
	by_ok_begin(x, &w);
	jw_lit(&w, "{\"s\":");
	jw_str(&w, in->sym);
	jw_lit(&w, ",\"a\":");
	w_levels(&w, lv[SIM_ASK], n[SIM_ASK]);
	jw_lit(&w, ",\"b\":");
	w_levels(&w, lv[SIM_BID], n[SIM_BID]);
	w_ku64(&w, "ts", x->now_ms);
	w_ku64(&w, "u", t->live ? t->u : x->b->inst[in->vidx].u_next - 1);
	w_ku64(&w, "seq", in->update_id);
	w_ku64(&w, "cts", by_vms(x->v, in->book_ts_ms));
	jw_lit(&w, "}");
	by_ok_end(x, &w);
	return 0;
}

/* POST /v5/order/create, order.create */
static int h_create(struct by_req *x, const struct by_params *p,
		    const struct net_http_parser *req)
{
	struct by_job jb;

	memset(&jb, 0, sizeof(jb));
	if (by_admit_acct(x, BY_RL_CREATE) || by_order_decode(x, p, &jb.req))
		return -1;
	jb.kind = BY_J_CREATE;
	jb.inst = jb.req.inst;
	jb.drop = sim_fault_take(x->v, SIM_FAULT_DROP_RESPONSE);
	jb.req.recv_ns = sim_now_real_ns();
	if (kimp_unlikely(x->v->x->trace)) {
		uint64_t tsc = net_loop_rx_tsc(sim_server_loop(x->v->srv));

		sim_trace_order(x->v->x->trace, x->v->idx, tsc ? tsc : kimp_rdtsc(), jb.req.cid);
	}
	return by_defer(x, &jb);
}

/* orderId or orderLinkId: 0, or -1 (10001). */
static int by_order_ref(struct by_req *x, const struct by_params *p, uint64_t *id, char *cid)
{
	char s[BY_CID_MAX + 8];
	int r1 = by_param(p, "orderId", s, sizeof(s)), r2;
	int64_t n;

	*id = 0;
	cid[0] = '\0';
	if (r1 < 0)
		return by_fail(x, 200, 10001, "params error: orderId invalid");
	if (r1 > 0) {
		n = by_digits(s, strlen(s));
		/* an id exsim never gave cannot be an order: 0 finds nothing */
		*id = n > (int64_t)BY_OID_BASE ? (uint64_t)n - BY_OID_BASE : 0;
		if (!*id)
			*id = UINT64_MAX;
	}
	r2 = by_param(p, "orderLinkId", s, sizeof(s));
	if (r2 < 0 || (r2 > 0 && !sv_cid_ok(s, strlen(s), 36)))
		return by_fail(x, 200, 10001, "params error: orderLinkId invalid");
	if (r2 > 0)
		memcpy(cid, s, strlen(s) + 1);
	if (!r1 && !r2)
		return by_fail(x, 200, 10001, "params error: orderId or orderLinkId is required");
	return 0;
}

/* POST /v5/order/cancel, order.cancel */
static int h_cancel(struct by_req *x, const struct by_params *p,
		    const struct net_http_parser *req)
{
	struct sim_inst *in;
	struct by_job jb;
	int r;

	memset(&jb, 0, sizeof(jb));
	if (by_admit_acct(x, BY_RL_CANCEL) || by_category(x, p))
		return -1;
	r = by_symbol(x, p, &in);
	if (r < 0)
		return -1;
	if (!r)
		return by_fail(x, 200, 10001, "params error: symbol is null");
	if (by_order_ref(x, p, &jb.order_id, jb.cid))
		return -1;
	jb.kind = BY_J_CANCEL;
	jb.inst = in->id;
	return by_defer(x, &jb);
}

/* POST /v5/order/cancel-all */
static int h_cancel_all(struct by_req *x, const struct by_params *p,
			const struct net_http_parser *req)
{
	struct sim_inst *in;
	struct by_job jb;
	int r;

	memset(&jb, 0, sizeof(jb));
	if (by_admit_acct(x, BY_RL_CANCEL_ALL) || by_category(x, p))
		return -1;
	r = by_symbol(x, p, &in);
	if (r < 0)
		return -1;
	jb.kind = BY_J_CANCEL_ALL;
	jb.inst = in ? in->id : 0xffff;
	return by_defer(x, &jb);
}

/*
 * GET /v5/order/realtime: with orderId or orderLinkId that order in any
 * state (the venue keeps recent ones); else the open orders (symbol
 * optional). {"list":[...],"nextPageCursor":"","category":"spot"}
 */
static int h_realtime(struct by_req *x, const struct by_params *p,
		      const struct net_http_parser *req)
{
	struct sim_order *open[BY_ORDERS_LIST];
	struct sim_inst *in;
	char cid[BY_CID_MAX], s[32];
	uint64_t id = 0;
	uint32_t n = 0;
	bool first = true;
	struct jw w;
	int r;

	if (by_admit_acct(x, BY_RL_QUERY) || by_category(x, p))
		return -1;
	r = by_symbol(x, p, &in);
	if (r < 0)
		return -1;
	cid[0] = '\0';
	if (by_param(p, "orderId", s, sizeof(s)) || by_param(p, "orderLinkId", s, sizeof(s))) {
		struct sim_order *o;

		if (by_order_ref(x, p, &id, cid))
			return -1;
		o = by_find(x->v, (unsigned)x->acct, id, cid);
		if (o && (!in || o->inst == in->id))
			open[n++] = o;
	} else {
		uint32_t all = sim_exch_open_orders(x->v->x, (unsigned)x->acct, in ? in->id : -1,
						    open, BY_ORDERS_LIST);

		for (uint32_t i = 0; i < all; i++)
			if (x->v->m->inst[open[i]->inst].venue == x->v->idx)
				open[n++] = open[i];
	}
	by_ok_begin(x, &w);
	jw_lit(&w, "{\"list\":[");
	for (uint32_t i = 0; i < n; i++) {
		if (!first)
			jw_lit(&w, ",");
		w_order(x->v, &w, open[i], BY_RR_NONE, false);
		first = false;
	}
	jw_lit(&w, "],\"nextPageCursor\":\"\",\"category\":\"spot\"}");
	by_ok_end(x, &w);
	return 0;
}

/* GET /v5/account/wallet-balance?accountType=UNIFIED[&coin=BTC,USDT] */
static int h_wallet(struct by_req *x, const struct by_params *p,
		    const struct net_http_parser *req)
{
	const struct sim_account *a;
	char at[16], coins[256];
	uint32_t mask = 0;
	struct jw w;
	int r;

	if (by_admit_acct(x, BY_RL_WALLET))
		return -1;
	r = by_param(p, "accountType", at, sizeof(at));
	if (r <= 0 || strcmp(at, "UNIFIED"))
		return by_fail(x, 200, 10001, "accountType only support UNIFIED.");
	a = &x->v->x->acct[x->acct];
	r = by_param(p, "coin", coins, sizeof(coins));
	if (r < 0)
		return by_fail(x, 200, 10001, "params error: coin invalid");
	for (unsigned k = 0; k < SIM_MAX_ASSETS && k < 32 && sim_asset_name(k); k++) {
		if (r > 0) {
			const char *nm = sim_asset_name(k), *s = coins;
			size_t nl = strlen(nm);

			while (s && *s) {
				const char *e = strchr(s, ',');
				size_t l = e ? (size_t)(e - s) : strlen(s);

				if (l == nl && !memcmp(s, nm, l))
					mask |= 1u << k;
				s = e ? e + 1 : NULL;
			}
		} else if (by_asset_ours(x->v, k) || a->free[k] || a->locked[k]) {
			mask |= 1u << k;
		}
	}
	by_ok_begin(x, &w);
	jw_lit(&w, "{\"list\":[");
	w_wallet(x->v, &w, a, mask);
	jw_lit(&w, "]}");
	by_ok_end(x, &w);
	return 0;
}

/* GET /v5/account/fee-rate?category=spot[&symbol=] [bybit-rest.jsonl line 4] */
static int h_fee_rate(struct by_req *x, const struct by_params *p,
		      const struct net_http_parser *req)
{
	struct sim_inst *one;
	bool first = true;
	struct jw w;
	int r;

	if (by_admit_acct(x, BY_RL_FEE) || by_category(x, p))
		return -1;
	r = by_symbol(x, p, &one);
	if (r < 0)
		return -1;
	by_ok_begin(x, &w);
	jw_lit(&w, "{\"list\":[");
	for (uint32_t i = 0; i < x->v->ninst; i++) {
		const struct sim_inst *in = sim_venue_inst(x->v, i);

		if (one && in != one)
			continue;
		jw_lit(&w, first ? "{\"symbol\":" : ",{\"symbol\":");
		jw_str(&w, in->sym);
		w_knum(&w, "takerFeeRate", by_rate(x->v->cfg->taker_fee));
		w_knum(&w, "makerFeeRate", by_rate(x->v->cfg->maker_fee));
		jw_lit(&w, "}");
		first = false;
	}
	jw_lit(&w, "]}");
	by_ok_end(x, &w);
	return 0;
}

static const struct {
	uint8_t method;
	bool auth;
	const char *path;
	by_handler fn;
} by_routes[] = {
	{ NET_HTTP_GET, false, "/v5/market/time", h_time },
	{ NET_HTTP_GET, false, "/v5/market/instruments-info", h_instruments },
	{ NET_HTTP_GET, false, "/v5/market/orderbook", h_orderbook },
	{ NET_HTTP_POST, true, "/v5/order/create", h_create },
	{ NET_HTTP_POST, true, "/v5/order/cancel", h_cancel },
	{ NET_HTTP_POST, true, "/v5/order/cancel-all", h_cancel_all },
	{ NET_HTTP_GET, true, "/v5/order/realtime", h_realtime },
	{ NET_HTTP_GET, true, "/v5/account/wallet-balance", h_wallet },
	{ NET_HTTP_GET, true, "/v5/account/fee-rate", h_fee_rate },
};

static void by_rest(struct sim_venue *v, struct http_sconn *sc, const struct net_http_parser *req)
{
	struct by *b = v->priv;
	struct net_http_str path = net_http_path(req), q = net_http_query(req);
	struct net_http_str body = net_http_body(req);
	unsigned m = req->method == NET_HTTP_HEAD ? NET_HTTP_GET : req->method;
	struct by_params p = { 0 };
	bool known = false, auth = false;
	by_handler fn = NULL;
	struct by_req x;

	by_req_init(&x, v, false);
	x.sc = sc;
	if (by_admit_ip(&x))
		goto fail;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(by_routes) && !fn; i++) {
		if (!by_seq(path.p, path.len, by_routes[i].path))
			continue;
		known = true;
		if (by_routes[i].method == m) {
			fn = by_routes[i].fn;
			auth = by_routes[i].auth;
		}
	}
	if (!fn) {
		by_fail(&x, known ? 405 : 404, 10001, "path not found");
		goto fail;
	}
	/* a GET with a body is refused with 403 (2.6) */
	if (m == NET_HTTP_GET && body.p && body.len) {
		by_fail(&x, 403, 10001, "GET with a body");
		goto fail;
	}
	if (sim_fault_take(v, SIM_FAULT_HTTP_5XX)) {
		by_fail(&x, 503, 10016, "Internal server error.");
		goto fail;
	}
	if (auth && by_auth_rest(&x, req))
		goto fail;
	if (m == NET_HTTP_GET) {
		p.src = q.p;
		p.len = q.p ? q.len : 0;
	} else {
		p.json = true;
		p.src = body.p ? body.p : "";
		p.len = body.p ? body.len : 0;
		p.t = b->tok;
		if (jr_parse(p.src, p.len, b->tok, BY_TOKS) < 0 || b->tok[0].type != JR_OBJ) {
			by_fail(&x, 200, 10001, "params error: the body is not a JSON object");
			goto fail;
		}
		p.obj = 0;
	}
	if (!fn(&x, &p, req))
		return;
fail:
	by_send_err(&x);
}

/* ---- the order WebSocket (/v5/trade) and private streams (/v5/private) --------------------- */

/*
 * auth: args [key, expires, sign] with sign = hex HMAC of "GET/realtime" +
 * expires and expires in the future (2.4). 0 with c->acct set, or the code
 * and message of the failure.
 */
static int by_ws_auth(struct sim_venue *v, struct by *b, struct sim_ws *c, const char *src,
		      int args, const char **msg)
{
	const struct jr_tok *t = b->tok;
	const struct jr_tok *tk, *te, *ts;
	struct sim_account *a;
	char exp[24];
	int64_t expires;
	struct iovec iov[2];

	if (by_cs(c)->authed) {
		*msg = "Repeat auth";
		return 20001;
	}
	if (args < 0 || t[args].type != JR_ARR || t[args].size != 3) {
		*msg = "Params Error";
		return 10001;
	}
	tk = &t[jr_at(t, args, 0)];
	te = &t[jr_at(t, args, 1)];
	ts = &t[jr_at(t, args, 2)];
	if (tk->type != JR_STR || ts->type != JR_STR ||
	    (te->type != JR_NUM && te->type != JR_STR) || te->len >= sizeof(exp)) {
		*msg = "Params Error";
		return 10001;
	}
	memcpy(exp, src + te->start, te->len);
	exp[te->len] = '\0';
	expires = by_digits(exp, te->len);
	a = tk->len && tk->len < SIM_KEY_MAX
	    ? sim_exch_account_by_key(v->x, v->idx, src + tk->start, tk->len) : NULL;
	if (!a) {
		*msg = "Invalid apikey";
		return 10003;
	}
	if (expires < 0 || (uint64_t)expires <= sim_venue_now_ms(v)) {
		*msg = "Params Error: request expired";
		return 10001;
	}
	iov[0] = (struct iovec){ (void *)(uintptr_t)"GET/realtime", 12 };
	iov[1] = (struct iovec){ exp, te->len };
	if (!sv_sig_match_hex256(by_key(v, b, (int)(a - v->x->acct)), iov, 2, src + ts->start, ts->len)) {
		*msg = "Invalid sign";
		return 10004;
	}
	by_cs(c)->authed = true;
	c->acct = (int8_t)(a - v->x->acct);
	return 0;
}

/* Private replies: {"success",.."ret_msg",..,"op",..,"conn_id"[,"req_id"]} [bybit-ws-control.jsonl lines 2, 10] */
static void by_priv_reply(struct by *b, struct sim_ws *c, bool ok, const char *msg,
			  const char *op, const char *req_id)
{
	struct jw w;

	jw_init(&w, b->out, BY_OUT);
	jw_lit(&w, ok ? "{\"success\":true,\"ret_msg\":" : "{\"success\":false,\"ret_msg\":");
	jw_str(&w, msg);
	w_kstr(&w, "op", op);
	jw_lit(&w, ",\"conn_id\":");
	w_connid(&w, c);
	if (req_id)
		w_kstr(&w, "req_id", req_id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* subscribe / unsubscribe on /v5/private: known topics, no mix of all-in-one and .spot. */
static void by_priv_sub(struct sim_venue *v, struct by *b, struct sim_ws *c, const char *src,
			int args, bool add, const char *req_id)
{
	const char *op = add ? "subscribe" : "unsubscribe";
	const struct jr_tok *t = b->tok;
	uint32_t set = 0;
	bool all = false, spot = false;

	if (!by_cs(c)->authed) {
		by_priv_reply(b, c, false, "Request not authorized", op, req_id);
		return;
	}
	if (args < 0 || t[args].type != JR_ARR || !t[args].size) {
		by_priv_reply(b, c, false, "error:args must be a non-empty array", op, req_id);
		return;
	}
	for (uint32_t i = 0; i < t[args].size; i++) {
		const struct jr_tok *e = &t[jr_at(t, args, i)];
		unsigned k = BY_NPTOPIC;

		for (unsigned j = 0; j < BY_NPTOPIC && e->type == JR_STR; j++)
			if (by_seq(src + e->start, e->len, by_ptopic_name[j]))
				k = j;
		if (k == BY_NPTOPIC) {
			by_priv_reply(b, c, false, "error:topic not found", op, req_id);
			return;
		}
		if (k == BY_P_ORDER || k == BY_P_EXEC || k == BY_P_FAST)
			all = true;
		else if (k != BY_P_WALLET)
			spot = true;
		set |= 1u << k;
	}
	if (all && spot) {
		by_priv_reply(b, c, false,
			      "error:all-in-one and category topics cannot be mixed", op, req_id);
		return;
	}
	by_cs(c)->psub = add ? by_cs(c)->psub | set : by_cs(c)->psub & ~set;
	by_priv_reply(b, c, true, "", op, req_id);
}

/* {"req_id":..,"op":"pong","args":["<ms>"],"conn_id":..} [bybit-ws-control.jsonl line 6] */
static void by_priv_pong(struct sim_venue *v, struct by *b, struct sim_ws *c, const char *req_id)
{
	struct jw w;

	jw_init(&w, b->out, BY_OUT);
	jw_lit(&w, "{");
	if (req_id) {
		jw_key(&w, "req_id");
		jw_str(&w, req_id);
		jw_lit(&w, ",");
	}
	jw_lit(&w, "\"op\":\"pong\",\"args\":[\"");
	jw_u64(&w, sim_venue_now_ms(v));
	jw_lit(&w, "\"],\"conn_id\":");
	w_connid(&w, c);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

static void by_priv_message(struct sim_venue *v, struct by *b, struct sim_ws *c,
			    const char *src, size_t len)
{
	const struct jr_tok *t = b->tok;
	char idbuf[BY_ID_MAX];
	const char *req_id, *msg = "";
	int op, code;

	if (jr_parse(src, len, b->tok, BY_TOKS) < 0 || t[0].type != JR_OBJ) {
		by_priv_reply(b, c, false, "error:invalid json", "", NULL);
		return;
	}
	req_id = by_req_id(src, t, jr_get(src, t, 0, "req_id"), idbuf);
	op = jr_get(src, t, 0, "op");
	if (op >= 0 && jr_eq(src, &t[op], "ping")) {
		by_priv_pong(v, b, c, req_id);
	} else if (op >= 0 && jr_eq(src, &t[op], "auth")) {
		code = by_ws_auth(v, b, c, src, jr_get(src, t, 0, "args"), &msg);
		by_priv_reply(b, c, !code, code ? msg : "", "auth", req_id);
	} else if (op >= 0 && jr_eq(src, &t[op], "subscribe")) {
		by_priv_sub(v, b, c, src, jr_get(src, t, 0, "args"), true, req_id);
	} else if (op >= 0 && jr_eq(src, &t[op], "unsubscribe")) {
		by_priv_sub(v, b, c, src, jr_get(src, t, 0, "args"), false, req_id);
	} else {
		by_priv_reply(b, c, false, "error:handler not found", "", req_id);
	}
}

/* {"retCode","retMsg","op":"auth"|"pong",["data":[ms],]"connId"} on /v5/trade [bybit-ws-trade.jsonl] */
static void by_trade_simple(struct sim_venue *v, struct by *b, struct sim_ws *c, int code,
			    const char *msg, const char *op, const char *req_id)
{
	struct jw w;

	jw_init(&w, b->out, BY_OUT);
	jw_lit(&w, "{");
	if (req_id) {
		jw_key(&w, "reqId");
		jw_str(&w, req_id);
		jw_lit(&w, ",");
	}
	jw_lit(&w, "\"retCode\":");
	jw_u64(&w, (uint64_t)code);
	w_kstr(&w, "retMsg", msg);
	w_kstr(&w, "op", op);
	if (!strcmp(op, "pong")) {
		jw_lit(&w, ",\"data\":[\"");
		jw_u64(&w, sim_venue_now_ms(v));
		jw_lit(&w, "\"]");
	}
	jw_lit(&w, ",\"connId\":");
	w_connid(&w, c);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

static uint64_t by_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h | 1;
}

/* A reqId seen lately on this connection (then 20006): remembers it. */
static bool by_req_dup(struct by_conn *cs, const char *id)
{
	uint64_t h = by_hash(id);

	for (unsigned i = 0; i < BY_REQS; i++)
		if (cs->req_hash[i] == h)
			return true;
	cs->req_hash[cs->nreq++ % BY_REQS] = h;
	return false;
}

/*
 * An order op on /v5/trade: {"reqId","header":{"X-BAPI-TIMESTAMP",
 * "X-BAPI-RECV-WINDOW"},"op","args":[{...}]} (2.3). Auth first; the
 * header's timestamp passes the REST time rule; then create or cancel as
 * REST does, answered with the op's envelope.
 */
static void by_trade_message(struct sim_venue *v, struct by *b, struct sim_ws *c,
			     const char *src, size_t len)
{
	const struct jr_tok *t = b->tok;
	char idbuf[BY_ID_MAX], hv[24];
	const char *req_id, *msg = "";
	struct by_params p = { 0 };
	int op, hdr, args, code, i;
	by_handler fn = NULL;
	struct by_req x;
	int64_t ts, rw = BY_RECV_WINDOW;

	by_req_init(&x, v, true);
	x.c = c;
	if (jr_parse(src, len, b->tok, BY_TOKS) < 0 || t[0].type != JR_OBJ) {
		by_trade_simple(v, b, c, 10001, "Params Error: invalid json", "", NULL);
		return;
	}
	req_id = by_req_id(src, t, jr_get(src, t, 0, "reqId"), idbuf);
	if (!req_id)
		req_id = by_req_id(src, t, jr_get(src, t, 0, "req_id"), idbuf);
	op = jr_get(src, t, 0, "op");
	if (op < 0 || t[op].type != JR_STR) {
		by_trade_simple(v, b, c, 10001, "Params Error: op is missing", "", req_id);
		return;
	}
	if (jr_eq(src, &t[op], "ping")) {
		by_trade_simple(v, b, c, 0, "OK", "pong", req_id);
		return;
	}
	if (jr_eq(src, &t[op], "auth")) {
		code = by_ws_auth(v, b, c, src, jr_get(src, t, 0, "args"), &msg);
		by_trade_simple(v, b, c, code, code ? msg : "OK", "auth", req_id);
		return;
	}
	jr_str(src, &t[op], x.op, sizeof(x.op));
	if (req_id)
		snprintf(x.req_id, sizeof(x.req_id), "%s", req_id);
	if (!strcmp(x.op, "order.create"))
		fn = h_create;
	else if (!strcmp(x.op, "order.cancel"))
		fn = h_cancel;
	if (!fn) {
		by_fail(&x, 200, 10404, "op or category not supported: %s", x.op);
		goto fail;
	}
	if (!by_cs(c)->authed) {
		by_fail(&x, 200, 10003, "Request not authorized: auth first");
		goto fail;
	}
	x.acct = c->acct;
	if (by_admit_ip(&x))
		goto fail;
	if (req_id && by_req_dup(by_cs(c), req_id)) {
		by_fail(&x, 200, 20006, "Duplicate reqId");
		goto fail;
	}
	hdr = jr_get(src, t, 0, "header");
	i = hdr >= 0 && t[hdr].type == JR_OBJ ? jr_get(src, t, hdr, "X-BAPI-TIMESTAMP") : -1;
	if (i < 0 || jr_str(src, &t[i], hv, sizeof(hv)) < 0 ||
	    (ts = by_digits(hv, strlen(hv))) < 0) {
		by_fail(&x, 200, 10001, "params error: header X-BAPI-TIMESTAMP is missing");
		goto fail;
	}
	i = jr_get(src, t, hdr, "X-BAPI-RECV-WINDOW");
	if (i >= 0 && (jr_str(src, &t[i], hv, sizeof(hv)) < 0 ||
		       (rw = by_digits(hv, strlen(hv))) < 0)) {
		by_fail(&x, 200, 10001, "params error: header X-BAPI-RECV-WINDOW is invalid");
		goto fail;
	}
	if (by_auth_time(&x, ts, rw))
		goto fail;
	args = jr_get(src, t, 0, "args");
	if (args < 0 || t[args].type != JR_ARR || t[args].size != 1 ||
	    t[jr_at(t, args, 0)].type != JR_OBJ) {
		by_fail(&x, 200, 10001, "params error: args must hold one order");
		goto fail;
	}
	p.json = true;
	p.src = src;
	p.len = len;
	p.t = t;
	p.obj = jr_at(t, args, 0);
	if (!fn(&x, &p, NULL))
		return;
fail:
	by_send_err(&x);
}

static void by_ws_message(struct sim_venue *v, struct sim_ws *c, unsigned opcode,
			  uint8_t *data, size_t len)
{
	struct by *b = v->priv;
	const char *src = (const char *)data;

	by_cs(c)->last_rx_ns = net_now_ns();
	if (opcode != WS_OP_TEXT)
		return;
	if (c->kind == SIM_WS_MARKET)
		by_pub_message(v, b, c, src, len);
	else if (c->kind == SIM_WS_PRIVATE)
		by_priv_message(v, b, c, src, len);
	else
		by_trade_message(v, b, c, src, len);
}

/* ---- the venue ------------------------------------------------------------------------ */

const struct sim_venue_ops sim_venue_bybit = {
	.name = "bybit",
	.kind = SIM_USDT,
	.has_api = true,
	.setup = by_setup,
	.rest = by_rest,
	.ws_upgrade = by_ws_upgrade,
	.ws_open = by_ws_open,
	.ws_message = by_ws_message,
	.publish = by_publish,
	.flush = by_flush,
	.start = sv_start_views,
	.on_order = by_on_order,
	.on_balance = by_on_balance,
	.tick = by_tick,
};
