/* SPDX-License-Identifier: MIT */
/*
 * exsim's Binance spot: <COIN>USDT markets with the venue's filters, its
 * market streams, its REST API and its WebSocket API, close enough that a
 * real Binance client works against it with only the host and CA changed.
 * Facts: shared/docs/venues/exchanges-global.md section 1 ([BN:*] there);
 * shapes: shared/fixtures/venues/binance-*.jsonl.
 *
 *   market listener   /ws (control messages only), /ws/<s>[/<s>...] (raw),
 *                     /stream?streams=<s>/<s> (combined: {"stream","data"});
 *                     SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY
 *                     and GET_PROPERTY "combined" [BN:web-socket-streams.md]
 *   streams           <s>@bookTicker, <s>@depth[@100ms],
 *                     <s>@depth5|10|20[@100ms], <s>@trade, <s>@aggTrade
 *   REST listener     /api/v3/ ping, time, exchangeInfo, depth,
 *                     ticker/bookTicker, order (POST, DELETE, GET),
 *                     order/test, openOrders (GET, DELETE), account,
 *                     account/commission [BN:rest-api.md]
 *   API listener      /ws-api/v3: one JSON request per text frame
 *                     [BN:web-socket-api.md], user data through
 *                     userDataStream.subscribe.signature (1.6)
 *
 * Depth diffs. The market leaves each instrument's changes (deduplicated,
 * with their update ids) in its change log and we drain it after every
 * step; each instrument keeps two accumulators of its own, one per diff
 * cadence (1000 ms and 100 ms), holding the latest absolute quantity per
 * (side, price) and the first and last id (U, u) since that cadence last
 * fired. A REST snapshot reads the book and its update_id between steps,
 * so lastUpdateId is in the same id space and the official sync procedure
 * (1.2) works. The gap fault and a change log that overflowed
 * (in->chg_lost) drop a diff, so the next one starts past u + 1. Each
 * 100 ms diff point that follows a change takes the book's view (control's
 * GET /book); a flush (the market pauses) fires both cadences at once.
 *
 * Publishing formats each message once into an arena, with room before
 * the payload for the combined-stream prefix and a byte after it for the
 * closing brace; each connection then gets the messages it subscribed to,
 * raw or wrapped, corked together. No allocation, no printf on that path.
 *
 * Limits. REQUEST_WEIGHT 6000 per minute and RAW_REQUESTS 300000 per
 * 5 minutes are shared by the REST API and the WebSocket API (one IP);
 * ORDERS 100 per 10 s and 200000 per day count per account (1.7): each
 * order counts when it arrives, uncounts when it is rejected and at its
 * first fill (faqs/order_count_decrement.md). Over the weight limit: 429
 * and -1003; BN_BAN_AFTER more requests inside the 429 window: 418 and an
 * IP ban of 2 minutes doubling up to 3 days. The scenario's rate_limits =
 * false turns all of these off (nothing counted, the headers show 0). The
 * ban fault answers every request, REST or WS API, 418 -1003 from the
 * next one until its duration is over, whatever the limits.
 *
 * Orders: decoded, checked against the symbol's filters (-1013, as the
 * API does before the matching engine) and deferred by the venue's order
 * latency; the job checks recvWindow again (as the venue does since
 * 2025-06-06), matches and answers ACK, RESULT or FULL. The matching
 * engine's events come back through on_order/on_balance and go out as
 * executionReport and outboundAccountPosition to every WebSocket API
 * connection subscribed for the account.
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

#define BN_DEC            8             /* decimals of every price and quantity */
#define BN_WEIGHT_LIMIT   6000u         /* REQUEST_WEIGHT per minute */
#define BN_RAW_LIMIT      300000u       /* RAW_REQUESTS per 5 minutes */
#define BN_ORDERS_10S     100u          /* ORDERS per 10 s, per account */
#define BN_ORDERS_DAY     200000u       /* ORDERS per day, per account */
#define BN_BAN_AFTER      3u            /* requests past a 429 before a ban */
#define BN_BAN_FIRST_MS   120000ull     /* first ban: 2 minutes */
#define BN_BAN_MAX_MS     (3ull * 86400000ull)
#define BN_MAX_STREAMS    1024u         /* per market connection */
#define BN_MSGS_PER_SEC   5u            /* incoming, per market connection */
#define BN_PING_NS        (20ull * 1000000000ull)
#define BN_LIFE_NS        (24ull * 3600ull * 1000000000ull)
#define BN_RECV_WINDOW_MAX_US (60000ull * 1000ull)
#define BN_MAX_NUM_ORDERS 200u          /* MAX_NUM_ORDERS filter */
#define BN_MIN_NOTIONAL   (5 * SIM_SCALE)
#define BN_MAX_NOTIONAL   (9000000 * SIM_SCALE)
#define BN_PCT_UP         5             /* PERCENT_PRICE_BY_SIDE multipliers */
#define BN_PCT_DOWN_NUM   1             /* down = 1/5 = 0.2 */
#define BN_PCT_DOWN_DEN   5
#define BN_DAY_MS         86400000ull

#define BN_ACC_CAP        4096u         /* levels held by one diff accumulator */
#define BN_ACC_SLOTS      8192u         /* its index: a power of two >= 2 * cap */
#define BN_ARENA          (2u << 20)    /* one publish's formatted messages */
#define BN_RECS           8192u
#define BN_PFX            96            /* room for {"stream":"<name>","data": */
#define BN_OUT            (1u << 20)    /* REST and WS API replies */
#define BN_UD             (64u * 1024u) /* user-data events */
#define BN_MAXP           48            /* parameters per request */
#define BN_DECBUF         16384
#define BN_TOKS           8192          /* a SUBSCRIBE of 1024+ streams fits */
#define BN_ID_MAX         80            /* a WS API request id, as JSON */
#define BN_CID_MAX        37            /* ^[a-zA-Z0-9-_]{1,36}$ */
#define BN_FILLS          512           /* fills kept for one FULL response */

_Static_assert((BN_ACC_SLOTS & (BN_ACC_SLOTS - 1)) == 0, "accumulator slots: a power of two");
_Static_assert(BN_ACC_SLOTS >= 2 * BN_ACC_CAP, "accumulator index at most half full");
_Static_assert(BN_ACC_CAP < 65535, "accumulator index entries are uint16_t");

/* Market streams, one subscription bitmap (of vidx) each. */
enum bn_chan {
	BN_BOOKT = 0,
	BN_TRADE,
	BN_AGG,
	BN_DIFF,                /* @depth, 1000 ms */
	BN_DIFF_F,              /* @depth@100ms */
	BN_P5, BN_P10, BN_P20,  /* @depthN, 1000 ms */
	BN_P5_F, BN_P10_F, BN_P20_F,
	BN_NCHAN,
};

static const char *const bn_chan_sfx[BN_NCHAN] = {
	[BN_BOOKT] = "@bookTicker",
	[BN_TRADE] = "@trade",
	[BN_AGG] = "@aggTrade",
	[BN_DIFF] = "@depth",
	[BN_DIFF_F] = "@depth@100ms",
	[BN_P5] = "@depth5",
	[BN_P10] = "@depth10",
	[BN_P20] = "@depth20",
	[BN_P5_F] = "@depth5@100ms",
	[BN_P10_F] = "@depth10@100ms",
	[BN_P20_F] = "@depth20@100ms",
};

/* Per connection, in c->vs (zeroed at accept). */
struct bn_conn {
	uint32_t sub[BN_NCHAN];         /* market: bitmap of vidx per stream kind */
	bool combined;                  /* market: {"stream","data"} wrapping */
	bool rl_off;                    /* API: returnRateLimits=false on the URL */
	bool shut;                      /* serverShutdown sent */
	uint64_t last_ping_ns;
	uint32_t usub[SIM_MAX_ACCOUNTS];/* API: subscriptionId + 1 per account, 0: none */
	uint32_t next_sub;              /* API: the next subscriptionId */
	uint32_t nusub;
};

_Static_assert(sizeof(struct bn_conn) <= SIM_WS_VSTATE, "Binance connection state fits c->vs");
/* so a connection's distinct streams never pass the venue's 1024 */
_Static_assert(SIM_VENUE_INSTS * BN_NCHAN <= BN_MAX_STREAMS, "streams per connection");

/* One accumulated level of a depth diff. */
struct bn_lvl {
	sim_fx px, qty;
	uint8_t side;
};

/* The changes of one instrument since its diff cadence last fired. */
struct bn_acc {
	uint64_t first, last;           /* U and u; first 0: empty */
	uint32_t n;
	struct bn_lvl *lv;              /* BN_ACC_CAP */
	uint16_t *slot;                 /* BN_ACC_SLOTS, lv index + 1 */
};

/* A formatted market message in the arena. */
struct bn_rec {
	uint8_t chan, vidx;
	uint32_t raw_off, raw_len;
	uint32_t comb_off, comb_len;
};

/* One fill captured for a FULL response. */
struct bn_fill {
	uint64_t order_id, trade_id;
	sim_fx px, qty, fee;
	uint8_t fee_asset;
};

/* Per account: the ORDERS counts. */
struct bn_orders {
	uint64_t s10_idx, day_idx;
	uint32_t s10, day;
};

/* A request's parameters, decoded (REST query and form body, or WS API params). */
struct bn_param {
	const char *k, *v;
	uint16_t kl, vl;
};

struct bn_params {
	uint32_t n;
	struct bn_param p[BN_MAXP];
	uint32_t used;
	char buf[BN_DECBUF];
};

struct bn {
	bool ready;                     /* lower-case symbols made */
	uint64_t life_ns;               /* connection lifetime */
	char lsym[SIM_VENUE_INSTS][SIM_SYM_MAX];
	uint8_t lsym_len[SIM_VENUE_INSTS];
	struct bn_acc acc[SIM_VENUE_INSTS][2];  /* [vidx][0: 1000 ms, 1: 100 ms] */
	uint64_t period[2];             /* the 1000 ms and 100 ms periods last seen */
	/* publishing */
	char *arena;
	uint32_t arena_len;
	struct bn_rec *rec;
	uint32_t nrec;
	/* IP-wide request limits */
	uint64_t min_idx, raw_idx;
	uint32_t weight, raw;
	uint32_t over;                  /* requests while over the weight limit */
	uint64_t ban_until_ms;
	uint32_t bans;
	struct bn_orders orders[SIM_MAX_ACCOUNTS];
	/* signing keys, made on first use */
	struct venue_hmac_key hk[SIM_MAX_ACCOUNTS];
	bool hk_ok[SIM_MAX_ACCOUNTS];
	/* what the matching engine tells us */
	bool capturing;
	uint32_t nfill;
	struct bn_fill fill[BN_FILLS];
	const char *cancel_cid;         /* the cancel request's client id, during a cancel */
	uint32_t dirty[SIM_MAX_ACCOUNTS];       /* assets changed, not yet published */
	uint64_t exec_seq;              /* executionReport I */
	uint64_t cid_seq;               /* generated client order ids */
	/* buffers */
	char *out;                      /* BN_OUT: replies */
	char *ud;                       /* BN_UD: user-data events */
	struct jr_tok tok[BN_TOKS];
	struct bn_params prm;
	char sigbuf[BN_DECBUF + 2 * BN_MAXP];
};

/* ---- small writers -------------------------------------------------------------- */

/* "12.34000000": a price or quantity as Binance prints it. */
static inline void w_dec(struct jw *w, sim_fx v)
{
	jw_raw(w, "\"", 1);
	jw_fx(w, v, BN_DEC);
	jw_raw(w, "\"", 1);
}

/* ,"key":"12.34000000" */
static inline void w_kdec(struct jw *w, const char *k, sim_fx v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	w_dec(w, v);
}

/* w_kstr, w_ku64: venue_util.h. */

static inline void w_kbool(struct jw *w, const char *k, bool v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_lit(w, v ? "true" : "false");
}

static inline struct bn_conn *bn_cs(struct sim_ws *c)
{
	return (struct bn_conn *)(void *)c->vs;
}

static inline bool bn_seq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && !memcmp(s, lit, l);
}

/* ---- instruments and rules --------------------------------------------------------- */

/*
 * A coin's filters. The well-known ones are the live venue's; others get
 * the same pattern from their start price: the tick is 10^(digits - 5)
 * capped at 0.01 (BTC, ETH 0.01; XRP 0.0001), the step keeps one step
 * near a tenth to one USDT (BTC 0.00001, ETH 0.0001, XRP 0.1).
 */
struct bn_coin_rule {
	const char *name;
	sim_fx tick, step, max_qty;
};

static const struct bn_coin_rule bn_known[] = {
	{ "BTC", 1000000, 1000, 9000 * SIM_SCALE },
	{ "ETH", 1000000, 10000, 9000 * SIM_SCALE },
	{ "XRP", 10000, 10000000, 9222449 * SIM_SCALE },
	{ "SOL", 1000000, 100000, 9000 * SIM_SCALE },
	{ "DOGE", 1000, SIM_SCALE, 9000000 * SIM_SCALE },
};

static sim_fx pow10_fx(int e)
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

static void bn_coin_rules(const struct sim_coin_cfg *co, struct bn_coin_rule *r)
{
	double p = co->start_usdt > 0 ? co->start_usdt : 1.0;
	int e;

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bn_known); i++) {
		if (!strcmp(bn_known[i].name, co->name)) {
			*r = bn_known[i];
			return;
		}
	}
	e = (int)floor(log10(p)) - 4;
	r->tick = pow10_fx(e > -2 ? -2 : e);
	e = (int)floor(log10(1.0 / p));
	r->step = pow10_fx(e > 0 ? 0 : e);
	r->max_qty = (p >= 1.0 ? 9000 : 9000000) * SIM_SCALE;
}

/*
 * Add <COIN>USDT for every scenario coin, with the filters, and the
 * venue's rules (fees in the received asset, client ids unique among open
 * orders, an unfillable FOK expires). Everything the venue keeps is one
 * allocation in v->priv, which the server frees. Cold.
 */
static int bn_setup(struct sim_venue *v)
{
	const struct sim_scenario *sc = v->m->sc;
	struct sim_venue_rules *ru = &v->x->rules[v->idx];
	size_t acc_bytes = ((BN_ACC_CAP * sizeof(struct bn_lvl) + 15) & ~(size_t)15) +
			   ((BN_ACC_SLOTS * sizeof(uint16_t) + 15) & ~(size_t)15);
	size_t size = ((sizeof(struct bn) + 15) & ~(size_t)15) + BN_ARENA +
		      ((BN_RECS * sizeof(struct bn_rec) + 15) & ~(size_t)15) + BN_OUT + BN_UD;
	uint32_t ncoin = 0;
	struct bn *b;
	char *p;

	for (uint32_t c = 0; c < sc->ncoins; c++)
		if (strcmp(sc->coins[c].name, "USDT"))
			ncoin++;
	if (ncoin > SIM_VENUE_INSTS)
		return -ENOSPC;
	size += (size_t)ncoin * 2 * acc_bytes;
	p = calloc(1, size);
	if (!p)
		return -ENOMEM;
	b = sv_carve(&p, sizeof(*b));
	v->priv = b;
	b->life_ns = BN_LIFE_NS;
	b->arena = sv_carve(&p, BN_ARENA);
	b->rec = sv_carve(&p, BN_RECS * sizeof(struct bn_rec));
	b->out = sv_carve(&p, BN_OUT);
	b->ud = sv_carve(&p, BN_UD);
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		const struct sim_coin_cfg *co = &sc->coins[c];
		struct bn_coin_rule r;
		struct sim_inst *in;
		char sym[SIM_SYM_MAX];

		if (!strcmp(co->name, "USDT"))
			continue;
		if (snprintf(sym, sizeof(sym), "%sUSDT", co->name) >= (int)sizeof(sym))
			return -ENAMETOOLONG;
		in = sim_market_add_inst(v->m, v->idx, (int)c, sym, co->name, "USDT");
		if (!in || in->vidx >= SIM_VENUE_INSTS)
			return -ENOSPC;
		bn_coin_rules(co, &r);
		in->tick = r.tick;
		in->tick_fn = NULL;
		in->step = r.step;
		in->min_qty = r.step;
		in->max_qty = r.max_qty;
		in->min_notional = BN_MIN_NOTIONAL;
		/* maxNotional binds limit orders only (applyMaxToMarket false):
		 * bn_filters applies it, the engine must not */
		in->max_notional = 0;
		in->px_decimals = BN_DEC;
		in->qty_decimals = BN_DEC;
		if (v->cfg->depth)
			in->depth = v->cfg->depth;
		for (int k = 0; k < 2; k++) {
			struct bn_acc *a = &b->acc[in->vidx][k];

			a->lv = sv_carve(&p, BN_ACC_CAP * sizeof(*a->lv));
			a->slot = sv_carve(&p, BN_ACC_SLOTS * sizeof(*a->slot));
		}
	}
	ru->maker_fee = v->cfg->maker_fee;
	ru->taker_fee = v->cfg->taker_fee;
	ru->fee_rule = SIM_FEE_RECEIVED;
	ru->lock_fee = false;
	ru->cid_forever = false;
	ru->fok_rejects = false;
	ru->max_open = BN_MAX_NUM_ORDERS;
	return 0;
}

/* Lower-case stream symbols, once the server has listed our instruments. */
static void bn_ready(struct sim_venue *v, struct bn *b)
{
	if (b->ready)
		return;
	for (uint32_t i = 0; i < v->ninst; i++) {
		const struct sim_inst *in = sim_venue_inst(v, i);
		size_t n = strlen(in->sym);

		for (size_t k = 0; k <= n; k++)
			b->lsym[i][k] = (char)((in->sym[k] >= 'A' && in->sym[k] <= 'Z')
					       ? in->sym[k] + 32 : in->sym[k]);
		b->lsym_len[i] = (uint8_t)n;
	}
	b->ready = true;
}

/* ---- market streams: names and subscriptions ------------------------------------------ */

/* "btcusdt@depth@100ms" -> (channel, vidx). 0 or -ENOENT. */
static int bn_stream_parse(const struct sim_venue *v, const struct bn *b, const char *s,
			   size_t n, unsigned *chan, unsigned *vidx)
{
	const char *at = memchr(s, '@', n);
	size_t sl;

	if (!at)
		return -ENOENT;
	sl = (size_t)(at - s);
	for (uint32_t i = 0; i < v->ninst; i++) {
		if (b->lsym_len[i] != sl || memcmp(b->lsym[i], s, sl))
			continue;
		for (unsigned k = 0; k < BN_NCHAN; k++) {
			if (bn_seq(at, n - sl, bn_chan_sfx[k])) {
				*chan = k;
				*vidx = i;
				return 0;
			}
		}
		return -ENOENT;
	}
	return -ENOENT;
}

/* Names separated by 'sep' in s[0..n) (URL path or query), all or none: 0 or -ENOENT. */
static int bn_sub_text(const struct sim_venue *v, const struct bn *b, struct bn_conn *cs,
		       const char *s, size_t n, char sep)
{
	uint32_t add[BN_NCHAN] = { 0 };
	size_t i = 0;

	while (i < n) {
		const char *e = memchr(s + i, sep, n - i);
		size_t l = e ? (size_t)(e - (s + i)) : n - i;
		unsigned chan, vidx;

		if (!l || bn_stream_parse(v, b, s + i, l, &chan, &vidx))
			return -ENOENT;
		add[chan] |= 1u << vidx;
		i += l + 1;
	}
	for (unsigned k = 0; k < BN_NCHAN; k++)
		cs->sub[k] |= add[k];
	return 0;
}

/* The value of query parameter 'key' in q[0..n) (not decoded); NULL when absent. */
static const char *bn_query_get(const char *q, size_t n, const char *key, size_t *vlen)
{
	size_t kl = strlen(key), i = 0;

	while (i < n) {
		const char *e = memchr(q + i, '&', n - i);
		size_t l = e ? (size_t)(e - (q + i)) : n - i;

		if (l > kl && q[i + kl] == '=' && !memcmp(q + i, key, kl)) {
			*vlen = l - kl - 1;
			return q + i + kl + 1;
		}
		i += l + 1;
	}
	return NULL;
}

static const char bn_bad_stream_body[] = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}";

static unsigned bn_upgrade_market(struct sim_venue *v, struct bn *b, struct sim_ws *c,
				  const char *path, size_t n)
{
	struct bn_conn *cs = bn_cs(c);
	const char *q = memchr(path, '?', n), *streams = NULL;
	size_t pl = q ? (size_t)(q - path) : n, ql = q ? n - pl - 1 : 0, sl = 0;
	int ret = 0;

	c->kind = SIM_WS_MARKET;
	if (bn_seq(path, pl, "/ws") || bn_seq(path, pl, "/ws/")) {
		cs->combined = false;
	} else if (pl > 4 && !memcmp(path, "/ws/", 4)) {
		cs->combined = false;
		ret = bn_sub_text(v, b, cs, path + 4, pl - 4, '/');
	} else if (bn_seq(path, pl, "/stream")) {
		cs->combined = true;
		streams = q ? bn_query_get(q + 1, ql, "streams", &sl) : NULL;
		if (streams && sl)
			ret = bn_sub_text(v, b, cs, streams, sl, '/');
	} else {
		return 404;
	}
	if (ret) {
		ws_conn_reject_body(&c->ws, bn_bad_stream_body);
		return 400;
	}
	return 0;
}

static unsigned bn_ws_upgrade(struct sim_venue *v, struct sim_ws *c, bool api,
			      const struct ws_hs_request *req, const char *head, size_t len)
{
	struct bn *b = v->priv;
	const char *path = req->path, *q;
	size_t n = req->path_len, pl, vl;

	bn_ready(v, b);
	if (!api)
		return bn_upgrade_market(v, b, c, path, n);
	q = memchr(path, '?', n);
	pl = q ? (size_t)(q - path) : n;
	if (!bn_seq(path, pl, "/ws-api/v3"))
		return 404;
	c->kind = SIM_WS_API;
	if (q) {
		const char *val = bn_query_get(q + 1, n - pl - 1, "returnRateLimits", &vl);

		if (val && bn_seq(val, vl, "false"))
			bn_cs(c)->rl_off = true;
	}
	return 0;
}

/* ---- market streams: control messages ---------------------------------------------- */

/*
 * A request id as JSON, into out: an integer, a string of at most 36
 * characters from [a-zA-Z0-9-_], or null [BN:web-socket-api.md]. Its
 * length, or -1 when the id is not one of those.
 */
static int bn_json_id(const char *src, const struct jr_tok *t, char *out, size_t cap)
{
	const char *s = src + t->start;

	switch (t->type) {
	case JR_NULL:
		if (cap < 5)
			return -1;
		memcpy(out, "null", 5);
		return 4;
	case JR_NUM:
		for (uint32_t i = 0; i < t->len; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (!i && s[i] == '-')))
				return -1;
		if (t->len + 1 > cap || t->len > 20)
			return -1;
		memcpy(out, s, t->len);
		out[t->len] = '\0';
		return (int)t->len;
	case JR_STR:
		if (!t->len || t->len > 36 || t->len + 3 > cap)
			return -1;
		for (uint32_t i = 0; i < t->len; i++) {
			char ch = s[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
				return -1;
		}
		out[0] = '"';
		memcpy(out + 1, s, t->len);
		out[t->len + 1] = '"';
		out[t->len + 2] = '\0';
		return (int)t->len + 2;
	default:
		return -1;
	}
}

/* {"result":<result>,"id":<id>} [binance-ws-control.jsonl] */
static void bn_md_result(struct bn *b, struct sim_ws *c, const char *result, const char *id)
{
	struct jw w;

	jw_init(&w, b->out, BN_OUT);
	jw_lit(&w, "{\"result\":");
	jw_lit(&w, result);
	jw_lit(&w, ",\"id\":");
	jw_lit(&w, id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/*
 * {"error":{"code":2,"msg":"..."},"id":1}: the form the live venue sends
 * (the docs print the inner object alone; captures in client test suites
 * show the wrapper and the id).
 */
static void bn_md_error(struct bn *b, struct sim_ws *c, int code, const char *msg,
			const char *id)
{
	struct jw w;

	jw_init(&w, b->out, BN_OUT);
	jw_lit(&w, "{\"error\":{\"code\":");
	jw_i64(&w, code);
	jw_lit(&w, ",\"msg\":");
	jw_str(&w, msg);
	jw_lit(&w, "},\"id\":");
	jw_lit(&w, id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* SUBSCRIBE / UNSUBSCRIBE: every name a stream, or nothing changes. */
static void bn_md_sub(struct sim_venue *v, struct bn *b, struct sim_ws *c, const char *src,
		      int params, bool add, const char *id)
{
	struct bn_conn *cs = bn_cs(c);
	uint32_t set[BN_NCHAN] = { 0 };
	const struct jr_tok *t = b->tok;

	if (params < 0 || t[params].type != JR_ARR) {
		bn_md_error(b, c, 2, "Invalid request: params must be an array of stream names",
			    id);
		return;
	}
	/* distinct streams stay under 1024 (see the assert); a request may not pass it */
	if (t[params].size > BN_MAX_STREAMS) {
		bn_md_error(b, c, 4, "Too many subscriptions", id);
		return;
	}
	for (uint32_t i = 0; i < t[params].size; i++) {
		int e = jr_at(t, params, i);
		unsigned chan, vidx;

		if (t[e].type != JR_STR ||
		    bn_stream_parse(v, b, src + t[e].start, t[e].len, &chan, &vidx)) {
			bn_md_error(b, c, 2, "Invalid request: invalid stream", id);
			return;
		}
		set[chan] |= 1u << vidx;
	}
	for (unsigned k = 0; k < BN_NCHAN; k++)
		cs->sub[k] = add ? cs->sub[k] | set[k] : cs->sub[k] & ~set[k];
	bn_md_result(b, c, "null", id);
}

static void bn_md_list(struct sim_venue *v, struct bn *b, struct sim_ws *c, const char *id)
{
	struct bn_conn *cs = bn_cs(c);
	struct jw w;
	bool first = true;

	jw_init(&w, b->out, BN_OUT);
	jw_lit(&w, "{\"result\":[");
	for (unsigned k = 0; k < BN_NCHAN; k++) {
		for (uint32_t i = 0; i < v->ninst; i++) {
			if (!(cs->sub[k] >> i & 1))
				continue;
			jw_lit(&w, first ? "\"" : ",\"");
			jw_raw(&w, b->lsym[i], b->lsym_len[i]);
			jw_lit(&w, bn_chan_sfx[k]);
			jw_lit(&w, "\"");
			first = false;
		}
	}
	jw_lit(&w, "],\"id\":");
	jw_lit(&w, id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* SET_PROPERTY ["combined", bool] / GET_PROPERTY ["combined"]. */
static void bn_md_prop(struct bn *b, struct sim_ws *c, const char *src, int params, bool set,
		       const char *id)
{
	const struct jr_tok *t = b->tok;
	int name, val;

	if (params < 0 || t[params].type != JR_ARR || t[params].size != (set ? 2u : 1u)) {
		bn_md_error(b, c, 2, "Invalid request: too many parameters", id);
		return;
	}
	name = jr_at(t, params, 0);
	if (t[name].type != JR_STR) {
		bn_md_error(b, c, 2, "Invalid request: property name must be a string", id);
		return;
	}
	if (!jr_eq(src, &t[name], "combined")) {
		bn_md_error(b, c, 0, "Unknown property", id);
		return;
	}
	if (!set) {
		bn_md_result(b, c, bn_cs(c)->combined ? "true" : "false", id);
		return;
	}
	val = jr_at(t, params, 1);
	if (t[val].type != JR_TRUE && t[val].type != JR_FALSE) {
		bn_md_error(b, c, 1, "Invalid value type: expected Boolean", id);
		return;
	}
	bn_cs(c)->combined = t[val].type == JR_TRUE;
	bn_md_result(b, c, "null", id);
}

static void bn_md_message(struct sim_venue *v, struct bn *b, struct sim_ws *c, unsigned op,
			  uint8_t *data, size_t len)
{
	const char *src = (const char *)data;
	uint64_t sec = net_now_ns() / 1000000000ull;
	const struct jr_tok *t = b->tok;
	char id[BN_ID_MAX] = "null";
	int n, ti, tm, tp;

	/* 5 incoming messages a second, then the connection goes [1.2] */
	if (c->rate_sec != sec) {
		c->rate_sec = sec;
		c->msgs_this_sec = 0;
	}
	if (++c->msgs_this_sec > BN_MSGS_PER_SEC) {
		sim_ws_close(c, WS_CLOSE_POLICY);
		return;
	}
	n = op == WS_OP_TEXT ? jr_parse(src, len, b->tok, BN_TOKS) : -EINVAL;
	if (n < 0 || t[0].type != JR_OBJ) {
		bn_md_error(b, c, 3, "Invalid JSON: expected value at line 1 column 1", id);
		return;
	}
	ti = jr_get(src, t, 0, "id");
	if (ti < 0 || bn_json_id(src, &t[ti], id, sizeof(id)) < 0) {
		memcpy(id, "null", 5);
		bn_md_error(b, c, 2, "Invalid request: request ID must be an unsigned integer", id);
		return;
	}
	tm = jr_get(src, t, 0, "method");
	tp = jr_get(src, t, 0, "params");
	if (tm < 0 || t[tm].type != JR_STR) {
		bn_md_error(b, c, 2, "Invalid request: missing field `method`", id);
		return;
	}
	if (jr_eq(src, &t[tm], "SUBSCRIBE")) {
		bn_md_sub(v, b, c, src, tp, true, id);
	} else if (jr_eq(src, &t[tm], "UNSUBSCRIBE")) {
		bn_md_sub(v, b, c, src, tp, false, id);
	} else if (jr_eq(src, &t[tm], "LIST_SUBSCRIPTIONS")) {
		bn_md_list(v, b, c, id);
	} else if (jr_eq(src, &t[tm], "SET_PROPERTY")) {
		bn_md_prop(b, c, src, tp, true, id);
	} else if (jr_eq(src, &t[tm], "GET_PROPERTY")) {
		bn_md_prop(b, c, src, tp, false, id);
	} else {
		bn_md_error(b, c, 2,
			    "Invalid request: unknown variant, expected one of `SUBSCRIBE`, "
			    "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
			    id);
	}
}

/* ---- depth diff accumulators ----------------------------------------------------- */

static inline uint32_t acc_home(unsigned side, sim_fx px)
{
	uint64_t h = ((uint64_t)px ^ ((uint64_t)side << 63)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (BN_ACC_SLOTS - 1);
}

static void acc_reset(struct bn_acc *a)
{
	if (a->n * 8u > BN_ACC_SLOTS) {
		memset(a->slot, 0, BN_ACC_SLOTS * sizeof(*a->slot));
	} else {
		/* an entry sits at or after its home slot: search for its index,
		 * not for an empty slot (others may be cleared already) */
		for (uint32_t i = 0; i < a->n; i++) {
			uint32_t j = acc_home(a->lv[i].side, a->lv[i].px);

			while (a->slot[j] != i + 1)
				j = (j + 1) & (BN_ACC_SLOTS - 1);
			a->slot[j] = 0;
		}
	}
	a->n = 0;
	a->first = a->last = 0;
}

/* The level's newest quantity: 0, or -ENOSPC when the accumulator is full. */
static int acc_put(struct bn_acc *a, unsigned side, sim_fx px, sim_fx qty)
{
	uint32_t j = acc_home(side, px);

	for (; a->slot[j]; j = (j + 1) & (BN_ACC_SLOTS - 1)) {
		struct bn_lvl *l = &a->lv[a->slot[j] - 1];

		if (l->px == px && l->side == side) {
			l->qty = qty;
			return 0;
		}
	}
	if (a->n >= BN_ACC_CAP)
		return -ENOSPC;
	a->slot[j] = (uint16_t)(a->n + 1);
	a->lv[a->n].px = px;
	a->lv[a->n].qty = qty;
	a->lv[a->n].side = (uint8_t)side;
	a->n++;
	return 0;
}

/*
 * Take the instrument's change log into both accumulators. A log that
 * lost changes, or an accumulator that fills up, cannot make a correct
 * diff: what is held is dropped, so the next diff starts past u + 1 and
 * its readers resync from a snapshot.
 */
static void bn_absorb(struct bn *b, const struct sim_inst *in, unsigned vidx)
{
	if (!in->first_id && !in->chg_lost)
		return;
	for (int k = 0; k < 2; k++) {
		struct bn_acc *a = &b->acc[vidx][k];
		bool lost = in->chg_lost != 0;

		for (uint32_t i = 0; !lost && i < in->nchg; i++)
			lost = acc_put(a, in->chg[i].side, in->chg[i].px, in->chg[i].qty) != 0;
		if (lost) {
			acc_reset(a);
			continue;
		}
		if (!a->first)
			a->first = in->first_id;
		a->last = in->update_id;
	}
}

/* ---- market messages ---------------------------------------------------------------- */

#define BN_LVL_BYTES 72         /* ["<20.8>","<20.8>"], at most */

/* A jw for the next message, after room for the combined prefix; false when full. */
static bool bn_msg_begin(struct bn *b, struct jw *w, size_t need)
{
	size_t off = (size_t)b->arena_len + BN_PFX;

	if (b->nrec >= BN_RECS || off + need + 1 > BN_ARENA)
		return false;
	jw_init(w, b->arena + off, BN_ARENA - off);
	return true;
}

/* Record the message with its {"stream":"<name>","data": ... } around it. */
static void bn_msg_end(struct bn *b, struct jw *w, unsigned chan, unsigned vidx)
{
	uint32_t off = (uint32_t)(w->p - b->arena), pl;
	struct bn_rec *r;
	char pfx[BN_PFX];
	struct jw pw;

	if (!jw_done(w))
		return;
	jw_init(&pw, pfx, sizeof(pfx));
	jw_lit(&pw, "{\"stream\":\"");
	jw_raw(&pw, b->lsym[vidx], b->lsym_len[vidx]);
	jw_lit(&pw, bn_chan_sfx[chan]);
	jw_lit(&pw, "\",\"data\":");
	if (!jw_done(&pw))
		return;
	pl = (uint32_t)pw.len;
	memcpy(b->arena + off - pl, pfx, pl);
	b->arena[off + w->len] = '}';
	r = &b->rec[b->nrec++];
	r->chan = (uint8_t)chan;
	r->vidx = (uint8_t)vidx;
	r->raw_off = off;
	r->raw_len = (uint32_t)w->len;
	r->comb_off = off - pl;
	r->comb_len = pl + (uint32_t)w->len + 1;
	b->arena_len = off + (uint32_t)w->len + 1;
}

/* Send every recorded message to the connections that subscribed to it. */
static void bn_dispatch(struct sim_venue *v, struct bn *b)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c))) {
		struct bn_conn *cs = bn_cs(c);
		bool corked = false;

		if (c->kind != SIM_WS_MARKET)
			continue;
		for (uint32_t i = 0; i < b->nrec && c->open; i++) {
			const struct bn_rec *r = &b->rec[i];

			if (!(cs->sub[r->chan] >> r->vidx & 1))
				continue;
			if (!corked) {
				ws_conn_cork(&c->ws);
				corked = true;
			}
			if (cs->combined)
				sim_ws_send_md(c, WS_OP_TEXT, b->arena + r->comb_off, r->comb_len);
			else
				sim_ws_send_md(c, WS_OP_TEXT, b->arena + r->raw_off, r->raw_len);
		}
		if (corked && c->open)
			sim_ws_uncork(c);
	}
	b->nrec = 0;
	b->arena_len = 0;
}

/* Room for a message of 'need' bytes, dispatching what is held when short. */
static bool bn_msg_room(struct sim_venue *v, struct bn *b, struct jw *w, size_t need)
{
	if (bn_msg_begin(b, w, need))
		return true;
	bn_dispatch(v, b);
	return bn_msg_begin(b, w, need);
}

static void w_levels(struct jw *w, const struct sim_book_side *s, uint32_t max)
{
	uint32_t n = s->n < max ? s->n : max;

	jw_raw(w, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		jw_raw(w, i ? ",[" : "[", i ? 2 : 1);
		w_dec(w, s->lv[i].px);
		jw_raw(w, ",", 1);
		w_dec(w, s->lv[i].qty);
		jw_raw(w, "]", 1);
	}
	jw_raw(w, "]", 1);
}

/* {"u":..,"s":..,"b":..,"B":..,"a":..,"A":..} [binance-bookTicker.jsonl] */
static void bn_fmt_bookt(struct sim_venue *v, struct bn *b, const struct sim_inst *in)
{
	const struct sim_book_side *bs = &in->book.side[SIM_BID], *as = &in->book.side[SIM_ASK];
	struct jw w;

	if (!bn_msg_room(v, b, &w, 256))
		return;
	jw_lit(&w, "{\"u\":");
	jw_u64(&w, in->update_id);
	w_kstr(&w, "s", in->sym);
	w_kdec(&w, "b", bs->n ? bs->lv[0].px : 0);
	w_kdec(&w, "B", bs->n ? bs->lv[0].qty : 0);
	w_kdec(&w, "a", as->n ? as->lv[0].px : 0);
	w_kdec(&w, "A", as->n ? as->lv[0].qty : 0);
	jw_raw(&w, "}", 1);
	bn_msg_end(b, &w, BN_BOOKT, in->vidx);
}

/* {"e":"trade",...} or {"e":"aggTrade",...} [binance-trade.jsonl]; m: the buyer made. */
static void bn_fmt_trade(struct sim_venue *v, struct bn *b, const struct sim_inst *in,
			 const struct sim_trade *t, bool agg, uint64_t E)
{
	struct jw w;

	if (!bn_msg_room(v, b, &w, 320))
		return;
	jw_lit(&w, agg ? "{\"e\":\"aggTrade\",\"E\":" : "{\"e\":\"trade\",\"E\":");
	jw_u64(&w, E);
	w_kstr(&w, "s", in->sym);
	w_ku64(&w, agg ? "a" : "t", t->id);
	w_kdec(&w, "p", t->px);
	w_kdec(&w, "q", t->qty);
	if (agg) {
		w_ku64(&w, "f", t->id);
		w_ku64(&w, "l", t->id);
	}
	w_ku64(&w, "T", t->ts_ms);
	w_kbool(&w, "m", t->taker_side == SIM_ASK);
	jw_lit(&w, ",\"M\":true}");
	bn_msg_end(b, &w, agg ? BN_AGG : BN_TRADE, in->vidx);
}

/* {"e":"depthUpdate","E","s","U","u","b","a"} from an accumulator [binance-depthUpdate.jsonl] */
static void bn_fmt_diff(struct sim_venue *v, struct bn *b, const struct sim_inst *in,
			const struct bn_acc *a, unsigned chan, uint64_t E)
{
	struct jw w;

	if (!bn_msg_room(v, b, &w, 256 + (size_t)a->n * BN_LVL_BYTES))
		return;
	jw_lit(&w, "{\"e\":\"depthUpdate\",\"E\":");
	jw_u64(&w, E);
	w_kstr(&w, "s", in->sym);
	w_ku64(&w, "U", a->first);
	w_ku64(&w, "u", a->last);
	for (unsigned side = SIM_BID; side <= SIM_ASK; side++) {
		bool first = true;

		jw_lit(&w, side == SIM_BID ? ",\"b\":[" : ",\"a\":[");
		for (uint32_t i = 0; i < a->n; i++) {
			if (a->lv[i].side != side)
				continue;
			jw_raw(&w, first ? "[" : ",[", first ? 1 : 2);
			w_dec(&w, a->lv[i].px);
			jw_raw(&w, ",", 1);
			w_dec(&w, a->lv[i].qty);
			jw_raw(&w, "]", 1);
			first = false;
		}
		jw_raw(&w, "]", 1);
	}
	jw_raw(&w, "}", 1);
	bn_msg_end(b, &w, chan, in->vidx);
}

/* {"lastUpdateId","bids","asks"}: the top of the book [binance-depthPartial.jsonl] */
static void bn_fmt_partial(struct sim_venue *v, struct bn *b, const struct sim_inst *in,
			   unsigned chan, uint32_t levels)
{
	struct jw w;

	if (!bn_msg_room(v, b, &w, 128 + (size_t)2 * levels * BN_LVL_BYTES))
		return;
	jw_lit(&w, "{\"lastUpdateId\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, ",\"bids\":");
	w_levels(&w, &in->book.side[SIM_BID], levels);
	jw_lit(&w, ",\"asks\":");
	w_levels(&w, &in->book.side[SIM_ASK], levels);
	jw_raw(&w, "}", 1);
	bn_msg_end(b, &w, chan, in->vidx);
}

/*
 * A diff cadence fired: send what the accumulator holds to its readers
 * (unless the gap fault eats it: the next diff then starts past u + 1),
 * and start over.
 */
static void bn_fire_diff(struct sim_venue *v, struct bn *b, const struct sim_inst *in,
			 unsigned k, bool readers, uint64_t E)
{
	struct bn_acc *a = &b->acc[in->vidx][k];

	if (!a->first)
		return;
	if (readers && !sim_fault_take(v, SIM_FAULT_GAP))
		bn_fmt_diff(v, b, in, a, k ? BN_DIFF_F : BN_DIFF, E);
	acc_reset(a);
}

static void bn_flush_balances(struct sim_venue *v, struct bn *b);

/*
 * After a step (flush false), or now with both diff cadences fired early
 * (flush true: the market pauses, or an order changed a book while it is
 * paused). The book's view moves at each 100 ms diff point that follows a
 * change, whether or not the diff reached anyone (a gap fault or a lost
 * change log make readers resync to it): update_id is the diff's u and
 * ts_ms its E.
 */
static void bn_publish_at(struct sim_venue *v, uint64_t now_ms, bool flush)
{
	static const uint8_t part_chan[2][3] = { { BN_P5, BN_P10, BN_P20 },
						 { BN_P5_F, BN_P10_F, BN_P20_F } };
	static const uint32_t part_lv[3] = { 5, 10, 20 };
	struct bn *b = v->priv;
	uint32_t any[BN_NCHAN] = { 0 };
	uint64_t E = sim_venue_now_ms(v), per[2] = { now_ms / 1000, now_ms / 100 };
	struct sim_ws *c = NULL;
	bool fire[2];

	bn_ready(v, b);
	bn_flush_balances(v, b);        /* fills of resting orders in the step */
	for (int k = 0; k < 2; k++) {
		fire[k] = flush || per[k] != b->period[k];
		b->period[k] = per[k];
	}
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET)
			for (unsigned k = 0; k < BN_NCHAN; k++)
				any[k] |= bn_cs(c)->sub[k];
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);
		uint32_t bit = 1u << i;

		bn_absorb(b, in, i);
		if ((any[BN_BOOKT] & bit) && in->top_changed)
			bn_fmt_bookt(v, b, in);
		if ((any[BN_TRADE] | any[BN_AGG]) & bit) {
			for (uint32_t t = 0; t < in->ntrades; t++) {
				if (any[BN_TRADE] & bit)
					bn_fmt_trade(v, b, in, &in->trades[t], false, E);
				if (any[BN_AGG] & bit)
					bn_fmt_trade(v, b, in, &in->trades[t], true, E);
			}
		}
		for (unsigned k = 0; k < 2; k++) {
			if (!fire[k])
				continue;
			bn_fire_diff(v, b, in, k, any[k ? BN_DIFF_F : BN_DIFF] & bit, E);
			for (int p = 0; p < 3; p++)
				if (any[part_chan[k][p]] & bit)
					bn_fmt_partial(v, b, in, part_chan[k][p], part_lv[p]);
		}
		if (fire[1] && in->update_id != in->view.update_id)
			sim_inst_view(in, 0, in->update_id, E);
		sim_inst_drain(in);
	}
	if (b->nrec)
		bn_dispatch(v, b);
}

static void bn_publish(struct sim_venue *v, uint64_t now_ms)
{
	bn_publish_at(v, now_ms, false);
}

static void bn_flush(struct sim_venue *v, uint64_t now_ms)
{
	bn_publish_at(v, now_ms, true);
}

/* serverShutdown, as each kind of connection gets it [binance-ws-control.jsonl, binance-wsapi.jsonl] */
static void bn_shutdown(struct sim_venue *v, struct bn *b, struct sim_ws *c)
{
	char buf[160];
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	if (c->kind == SIM_WS_API)
		jw_lit(&w, "{\"event\":{\"e\":\"serverShutdown\",\"E\":");
	else if (bn_cs(c)->combined)
		jw_lit(&w, "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":");
	else
		jw_lit(&w, "{\"e\":\"serverShutdown\",\"E\":");
	jw_u64(&w, sim_venue_now_ms(v));
	jw_lit(&w, c->kind == SIM_WS_API || bn_cs(c)->combined ? "}}" : "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
	bn_cs(c)->shut = true;
	sim_ws_close(c, WS_CLOSE_GOING_AWAY);
}

/* Once a second: a ping frame every 20 s, the end of a connection's life. */
static void bn_tick(struct sim_venue *v, uint64_t now_ns)
{
	struct bn *b = v->priv;
	struct sim_ws *c = NULL;

	bn_flush_balances(v, b);
	while ((c = sim_venue_next_ws(v, c))) {
		struct bn_conn *cs = bn_cs(c);
		uint64_t last = cs->last_ping_ns ? cs->last_ping_ns : c->opened_ns;

		if (cs->shut)
			continue;
		if (now_ns - c->opened_ns >= b->life_ns) {
			bn_shutdown(v, b, c);
			continue;
		}
		if (now_ns - last >= BN_PING_NS) {
			ws_conn_ping(&c->ws, "", 0);
			cs->last_ping_ns = now_ns;
		}
	}
}

/* ---- requests: context, errors, replies ------------------------------------------ */

enum bn_via { BN_REST = 0, BN_WSAPI = 1 };

struct bn_err {
	unsigned status;                /* HTTP status, or the WS API's "status" */
	int code;
	uint64_t retry_ms;              /* 429/418: when to come back (epoch ms) */
	char msg[256];
};

/* One request being answered (now, or from a job). */
struct bn_ctx {
	struct sim_venue *v;
	struct bn *b;
	uint8_t via;                    /* enum bn_via */
	struct http_sconn *sc;          /* REST: who asked */
	struct sim_ws *c;               /* WS API: who asked */
	bool live;                      /* the requester is still there */
	bool rl;                        /* WS API: rateLimits in the reply */
	bool orders;                    /* an order request: ORDERS counts */
	bool order_ok;                  /* a successful order: X-MBX-ORDER-COUNT-* */
	bool http5xx;                   /* REST: the 5xx fault took this request */
	bool late;                      /* answered from a job, after on_request */
	int acct;                       /* -1 until authenticated */
	uint64_t now_ms;                /* venue time */
	struct bn_params *p;
	char id[BN_ID_MAX];             /* WS API request id, as JSON */
	struct bn_err e;
};

static int bn_fail(struct bn_ctx *x, unsigned status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set the error to answer with; returns -1 (for "return bn_fail(...)"). */
static int bn_fail(struct bn_ctx *x, unsigned status, int code, const char *fmt, ...)
{
	va_list ap;

	x->e.status = status;
	x->e.code = code;
	va_start(ap, fmt);
	vsnprintf(x->e.msg, sizeof(x->e.msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int bn_missing(struct bn_ctx *x, const char *name)
{
	return bn_fail(x, 400, -1102,
		       "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
		       name);
}

static int bn_not_required(struct bn_ctx *x, const char *name)
{
	return bn_fail(x, 400, -1106, "Parameter '%s' sent when not required.", name);
}

static struct bn_orders *bn_orders_now(struct bn *b, int acct, uint64_t now_ms)
{
	struct bn_orders *o = &b->orders[acct];

	if (o->s10_idx != now_ms / 10000) {
		o->s10_idx = now_ms / 10000;
		o->s10 = 0;
	}
	if (o->day_idx != now_ms / BN_DAY_MS) {
		o->day_idx = now_ms / BN_DAY_MS;
		o->day = 0;
	}
	return o;
}

static void bn_weight_roll(struct bn *b, uint64_t now_ms)
{
	if (b->min_idx != now_ms / 60000) {
		b->min_idx = now_ms / 60000;
		b->weight = 0;
		b->over = 0;
	}
	if (b->raw_idx != now_ms / 300000) {
		b->raw_idx = now_ms / 300000;
		b->raw = 0;
	}
}

/* [{"rateLimitType":...,"count":..}] as the WS API lists them [binance-wsapi.jsonl] */
static void w_ratelimits(struct bn_ctx *x, struct jw *w)
{
	struct bn *b = x->b;

	bn_weight_roll(b, x->now_ms);
	jw_lit(w, "[");
	if (x->orders && x->acct >= 0) {
		struct bn_orders *o = bn_orders_now(b, x->acct, x->now_ms);

		jw_lit(w, "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
			  "\"limit\":");
		jw_u64(w, BN_ORDERS_10S);
		w_ku64(w, "count", o->s10);
		jw_lit(w, "},{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
			  "\"limit\":");
		jw_u64(w, BN_ORDERS_DAY);
		w_ku64(w, "count", o->day);
		jw_lit(w, "},");
	}
	jw_lit(w, "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
		  "\"limit\":");
	jw_u64(w, BN_WEIGHT_LIMIT);
	w_ku64(w, "count", b->weight);
	jw_lit(w, "}]");
}

/* REST headers: the used weight always, order counts on success, Retry-After. */
static const char *bn_rest_headers(struct bn_ctx *x, char *buf, size_t cap, uint64_t retry_ms)
{
	struct bn *b = x->b;
	struct jw w;

	bn_weight_roll(b, x->now_ms);
	jw_init(&w, buf, cap);
	jw_lit(&w, "X-MBX-USED-WEIGHT-1M: ");
	jw_u64(&w, b->weight);
	jw_lit(&w, "\r\n");
	if (x->order_ok && x->acct >= 0) {
		struct bn_orders *o = bn_orders_now(b, x->acct, x->now_ms);

		jw_lit(&w, "X-MBX-ORDER-COUNT-10S: ");
		jw_u64(&w, o->s10);
		jw_lit(&w, "\r\nX-MBX-ORDER-COUNT-1D: ");
		jw_u64(&w, o->day);
		jw_lit(&w, "\r\n");
	}
	if (retry_ms) {
		uint64_t s = retry_ms > x->now_ms ? (retry_ms - x->now_ms + 999) / 1000 : 1;

		jw_lit(&w, "Retry-After: ");
		jw_u64(&w, s ? s : 1);
		jw_lit(&w, "\r\n");
	}
	return jw_done(&w);
}

/* A REST reply, now or late (from a job): sim_rest_reply sends it either way. */
static void bn_rest_send(struct bn_ctx *x, unsigned status, const char *hdrs, const char *body,
			 size_t len)
{
	sim_rest_reply(x->v, x->sc, status, hdrs, body, len);
}

/* Start a successful reply into b->out: for the WS API, the envelope's head. */
static void bn_ok_begin(struct bn_ctx *x, struct jw *w)
{
	jw_init(w, x->b->out, BN_OUT);
	if (x->via == BN_WSAPI) {
		jw_lit(w, "{\"id\":");
		jw_lit(w, x->id);
		jw_lit(w, ",\"status\":200,\"result\":");
	}
}

static void bn_send_err(struct bn_ctx *x);

/* Finish and send a successful reply (nothing when the requester is gone). */
static void bn_ok_end(struct bn_ctx *x, struct jw *w)
{
	char hdr[256];

	if (x->via == BN_WSAPI) {
		if (x->rl) {
			jw_lit(w, ",\"rateLimits\":");
			w_ratelimits(x, w);
		}
		jw_lit(w, "}");
	}
	if (!jw_done(w)) {
		bn_fail(x, 500, -1000, "An unknown error occurred while processing the request.");
		bn_send_err(x);
		return;
	}
	if (!x->live)
		return;
	if (x->via == BN_WSAPI)
		sim_ws_send(x->c, WS_OP_TEXT, w->p, w->len);
	else
		bn_rest_send(x, 200, bn_rest_headers(x, hdr, sizeof(hdr), 0), w->p, w->len);
}

/*
 * The error in x->e: REST {"code","msg"} with the status; WS API
 * {"id","status","error":{"code","msg"[,"data"]},"rateLimits"}, the 429
 * and 418 forms with data.serverTime and data.retryAfter.
 */
static void bn_send_err(struct bn_ctx *x)
{
	char hdr[256], buf[1024];
	struct jw w;

	if (!x->live)
		return;
	jw_init(&w, buf, sizeof(buf));
	if (x->via == BN_WSAPI) {
		jw_lit(&w, "{\"id\":");
		jw_lit(&w, x->id);
		w_ku64(&w, "status", x->e.status);
		jw_lit(&w, ",\"error\":{\"code\":");
	} else {
		jw_lit(&w, "{\"code\":");
	}
	jw_i64(&w, x->e.code);
	jw_lit(&w, ",\"msg\":");
	jw_str(&w, x->e.msg);
	if (x->via == BN_WSAPI) {
		if (x->e.retry_ms) {
			jw_lit(&w, ",\"data\":{\"serverTime\":");
			jw_u64(&w, x->now_ms);
			w_ku64(&w, "retryAfter", x->e.retry_ms);
			jw_lit(&w, "}");
		}
		jw_lit(&w, "}");
		if (x->rl) {
			jw_lit(&w, ",\"rateLimits\":");
			w_ratelimits(x, &w);
		}
	}
	jw_lit(&w, "}");
	if (!jw_done(&w))
		return;
	if (x->via == BN_WSAPI)
		sim_ws_send(x->c, WS_OP_TEXT, w.p, w.len);
	else
		bn_rest_send(x, x->e.status, bn_rest_headers(x, hdr, sizeof(hdr), x->e.retry_ms),
			     w.p, w.len);
	sim_venue_answered(x->v, x->e.status);
}

/* ---- request weight, raw requests, bans, order counts --------------------------------- */

/* 418 -1003 until_ms, as the venue words it [binance-wsapi.jsonl line 4]. */
static int bn_banned_until(struct bn_ctx *x, uint64_t until_ms)
{
	x->e.retry_ms = until_ms;
	return bn_fail(x, 418, -1003,
		       "Way too much request weight used; IP banned until %" PRIu64
		       ". Please use WebSocket Streams for live updates to avoid bans.",
		       until_ms);
}

static int bn_banned(struct bn_ctx *x)
{
	return bn_banned_until(x, x->b->ban_until_ms);
}

/*
 * The ban fault, before anything else of a request (REST or WS API): 0, or
 * the 418 to answer, retryAfter at the ban's end on the venue clock.
 */
static int bn_ban_fault(struct bn_ctx *x)
{
	uint64_t left_ns;

	if (!sim_fault_banned(x->v, net_now_ns(), &left_ns))
		return 0;
	return bn_banned_until(x, x->now_ms + (left_ns + 999999) / 1000000);
}

/*
 * Charge a request's weight to the IP: 0, or the 429 / 418 to answer. A
 * client that goes on past a 429 (BN_BAN_AFTER more requests inside the
 * window) is banned, 2 minutes the first time, twice as long each next
 * time, at most 3 days [1.7].
 */
static int bn_admit(struct bn_ctx *x, uint32_t weight)
{
	struct sim_venue *v = x->v;
	struct bn *b = x->b;
	uint64_t now_ns = net_now_ns();

	bn_weight_roll(b, x->now_ms);
	if (x->now_ms < b->ban_until_ms)
		return bn_banned(x);
	if (sim_fault_429(v, now_ns)) {
		x->e.retry_ms = x->now_ms + (v->fs.burst429_until_ns - now_ns + 999999) / 1000000;
		return bn_fail(x, 429, -1003,
			       "Too much request weight used; current limit is %u request weight "
			       "per 1 MINUTE. Please use WebSocket Streams for live updates to "
			       "avoid polling the API.", BN_WEIGHT_LIMIT);
	}
	/* rate_limits = false (benches): nothing counted, nothing refused */
	if (!v->cfg->rate_limits)
		return 0;
	b->raw++;
	b->weight += weight;
	if (b->weight <= BN_WEIGHT_LIMIT && b->raw <= BN_RAW_LIMIT)
		return 0;
	if (++b->over > BN_BAN_AFTER) {
		uint64_t ms = BN_BAN_FIRST_MS << (b->bans < 20 ? b->bans : 20);

		b->bans++;
		b->ban_until_ms = x->now_ms + (ms < BN_BAN_MAX_MS ? ms : BN_BAN_MAX_MS);
		b->over = 0;
		return bn_banned(x);
	}
	if (b->raw > BN_RAW_LIMIT) {
		x->e.retry_ms = (b->raw_idx + 1) * 300000;
		return bn_fail(x, 429, -1003,
			       "Too many requests; current limit is %u requests per 5 MINUTE.",
			       BN_RAW_LIMIT);
	}
	x->e.retry_ms = (b->min_idx + 1) * 60000;
	return bn_fail(x, 429, -1003,
		       "Too much request weight used; current limit is %u request weight per 1 "
		       "MINUTE. Please use WebSocket Streams for live updates to avoid polling "
		       "the API.", BN_WEIGHT_LIMIT);
}

/* A successful order costs no weight (since 2026-04-02): give the unit back. */
static void bn_refund(struct bn *b, uint64_t now_ms)
{
	bn_weight_roll(b, now_ms);
	if (b->weight)
		b->weight--;
}

/* The unfilled-order count of the account: 0, or 429 -1015. */
static int bn_orders_admit(struct bn_ctx *x)
{
	struct bn_orders *o = bn_orders_now(x->b, x->acct, x->now_ms);

	if (!x->v->cfg->rate_limits)
		return 0;
	if (o->s10 >= BN_ORDERS_10S) {
		x->e.retry_ms = (o->s10_idx + 1) * 10000;
		return bn_fail(x, 429, -1015,
			       "Too many new orders; current limit is %u orders per 10 SECOND.",
			       BN_ORDERS_10S);
	}
	if (o->day >= BN_ORDERS_DAY) {
		x->e.retry_ms = (o->day_idx + 1) * BN_DAY_MS;
		return bn_fail(x, 429, -1015,
			       "Too many new orders; current limit is %u orders per 1 DAY.",
			       BN_ORDERS_DAY);
	}
	o->s10++;
	o->day++;
	return 0;
}

/* An order stops counting: rejected, or its first fill. */
static void bn_orders_undo(struct bn *b, unsigned acct, uint64_t now_ms)
{
	struct bn_orders *o = bn_orders_now(b, (int)acct, now_ms);

	if (o->s10)
		o->s10--;
	if (o->day)
		o->day--;
}

/* ---- parameters ------------------------------------------------------------------ */

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) ('+' is a space) into the params buffer: the copy or NULL. */
static const char *bn_pdec(struct bn_params *pp, const char *s, size_t n, uint16_t *len)
{
	char *o = pp->buf + pp->used, *start = o;

	if (n + 1 > sizeof(pp->buf) - pp->used)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int h, l;

		if (s[i] == '%' && i + 2 < n && (h = hexdig(s[i + 1])) >= 0 &&
		    (l = hexdig(s[i + 2])) >= 0) {
			*o++ = (char)(h << 4 | l);
			i += 2;
		} else if (s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o++ = '\0';
	pp->used += (uint32_t)(o - start);
	*len = (uint16_t)(o - start - 1);
	return start;
}

static int bn_param_find(const struct bn_params *pp, const char *k, size_t kl, uint32_t from)
{
	for (uint32_t i = from; i < pp->n; i++)
		if (pp->p[i].kl == kl && !memcmp(pp->p[i].k, k, kl))
			return (int)i;
	return -1;
}

/*
 * Add the k=v pairs of s[0..n) (a query or a form body). A name repeated
 * within one part is -1101; one already sent in the query is skipped in
 * the body (the query wins [1.5]). 0, -1 with x->e set.
 */
static int bn_form(struct bn_ctx *x, const char *s, size_t n)
{
	struct bn_params *pp = x->p;
	uint32_t part = pp->n;
	size_t i = 0;

	while (i < n) {
		const char *e = memchr(s + i, '&', n - i), *eq;
		size_t l = e ? (size_t)(e - (s + i)) : n - i;
		struct bn_param *q;
		uint16_t kl, vl;
		const char *k, *v;

		if (!l) {
			i++;
			continue;
		}
		eq = memchr(s + i, '=', l);
		k = bn_pdec(pp, s + i, eq ? (size_t)(eq - (s + i)) : l, &kl);
		v = eq ? bn_pdec(pp, eq + 1, l - (size_t)(eq + 1 - (s + i)), &vl)
		       : bn_pdec(pp, "", 0, &vl);
		if (!k || !v || pp->n >= BN_MAXP)
			return bn_fail(x, 400, -1101, "Too many parameters sent for this endpoint.");
		i += l + 1;
		if (bn_param_find(pp, k, kl, part) >= 0)
			return bn_fail(x, 400, -1101, "Duplicate values for a parameter detected.");
		if (bn_param_find(pp, k, kl, 0) >= 0)
			continue;
		q = &pp->p[pp->n++];
		q->k = k;
		q->kl = kl;
		q->v = v;
		q->vl = vl;
	}
	return 0;
}

/*
 * The members of a WS API params object: strings unescaped, numbers and
 * booleans as written, arrays and objects as their JSON text; null is
 * "not sent". 0, -1 with x->e set.
 */
static int bn_json_params(struct bn_ctx *x, const char *src, const struct jr_tok *t, int obj)
{
	struct bn_params *pp = x->p;

	for (uint32_t i = 0; obj >= 0 && i < t[obj].size; i++) {
		int k = jr_member(t, obj, i), val = k + 1, n;
		struct bn_param *q;
		size_t room;

		if (pp->n >= BN_MAXP)
			return bn_fail(x, 400, -1101, "Too many parameters sent for this endpoint.");
		if (t[val].type == JR_NULL)
			continue;
		q = &pp->p[pp->n];
		room = sizeof(pp->buf) - pp->used;
		n = jr_str(src, &t[k], pp->buf + pp->used, room);
		if (n < 0)
			return bn_fail(x, 400, -1101, "Too many parameters sent for this endpoint.");
		q->k = pp->buf + pp->used;
		q->kl = (uint16_t)n;
		pp->used += (uint32_t)n + 1;
		room = sizeof(pp->buf) - pp->used;
		if (t[val].type == JR_STR) {
			n = jr_str(src, &t[val], pp->buf + pp->used, room);
		} else {
			uint32_t len = t[val].len;   /* containers: their whole text */

			n = len + 1 <= room ? (int)len : -1;
			if (n >= 0) {
				memcpy(pp->buf + pp->used, src + t[val].start, len);
				pp->buf[pp->used + len] = '\0';
			}
		}
		if (n < 0)
			return bn_fail(x, 400, -1101, "Too many parameters sent for this endpoint.");
		q->v = pp->buf + pp->used;
		q->vl = (uint16_t)n;
		pp->used += (uint32_t)n + 1;
		if (bn_param_find(pp, q->k, q->kl, 0) >= 0)
			return bn_fail(x, 400, -1101, "Duplicate values for a parameter detected.");
		pp->n++;
	}
	return 0;
}

/* A parameter's value when sent and not empty. */
static bool bn_get(const struct bn_ctx *x, const char *name, const char **v, size_t *n)
{
	int i = bn_param_find(x->p, name, strlen(name), 0);

	if (i < 0 || !x->p->p[i].vl)
		return false;
	*v = x->p->p[i].v;
	*n = x->p->p[i].vl;
	return true;
}

static bool bn_has(const struct bn_ctx *x, const char *name)
{
	const char *v;
	size_t n;

	return bn_get(x, name, &v, &n);
}

/* An unsigned integer parameter: 1 sent, 0 absent, -1 malformed (x->e set). */
static int bn_get_u64(struct bn_ctx *x, const char *name, uint64_t *out)
{
	const char *s;
	size_t n;
	uint64_t v = 0;

	if (!bn_get(x, name, &s, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || n > 19)
			return bn_fail(x, 400, -1100,
				       "Illegal characters found in parameter '%s'; legal range is "
				       "'^[0-9]{1,20}$'.", name);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 1;
}

/* A decimal parameter ("0.1", "12"): 1 sent, 0 absent, -1 malformed (x->e set). */
static int bn_get_dec(struct bn_ctx *x, const char *name, sim_fx *out)
{
	const char *s;
	size_t n, i = 0, ip = 0, fp = 0;
	int ret;

	if (!bn_get(x, name, &s, &n))
		return 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, ip++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			fp++;
	if (i != n || !ip || ip > 20 || fp > 20 || (memchr(s, '.', n) && !fp))
		return bn_fail(x, 400, -1100,
			       "Illegal characters found in parameter '%s'; legal range is "
			       "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.", name);
	ret = sim_parse_fx(s, n, out);
	if (ret == -EDOM)
		return bn_fail(x, 400, -1111, "Parameter '%s' has too much precision.", name);
	if (ret)
		return bn_fail(x, 400, -1108, "Parameter '%s' overflowed.", name);
	return 1;
}

/* ---- signing and timing [1.5] -------------------------------------------------------- */

/* s[0..n) without its "signature=..." parameter, as up to two pieces. */
static unsigned bn_strip_sig(const char *s, size_t n, struct iovec *iov)
{
	static const char key[] = "signature=";
	size_t i = 0;

	while (i < n) {
		const char *e = memchr(s + i, '&', n - i);
		size_t end = e ? (size_t)(e - s) : n;

		if (end - i >= sizeof(key) - 1 && !memcmp(s + i, key, sizeof(key) - 1)) {
			unsigned k = 0;

			if (i) {        /* "a=1&signature=x&b=2": "a=1" and "&b=2" */
				iov[k].iov_base = (void *)(uintptr_t)s;
				iov[k++].iov_len = i - 1;
				if (end < n) {
					iov[k].iov_base = (void *)(uintptr_t)(s + end);
					iov[k++].iov_len = n - end;
				}
			} else if (end < n) {   /* "signature=x&b=2": "b=2" */
				iov[k].iov_base = (void *)(uintptr_t)(s + end + 1);
				iov[k++].iov_len = n - end - 1;
			}
			return k;
		}
		i = end + 1;
	}
	if (!n)
		return 0;
	iov[0].iov_base = (void *)(uintptr_t)s;
	iov[0].iov_len = n;
	return 1;
}

/* The REST payload: the query, then the body, each without the signature. */
static bool bn_rest_sig_ok(const struct venue_hmac_key *k, const char *q, size_t ql,
			   const char *body, size_t bl, const char *sig, size_t siglen)
{
	struct iovec iov[4];
	unsigned n = bn_strip_sig(q ? q : "", q ? ql : 0, iov);

	n += bn_strip_sig(body ? body : "", body ? bl : 0, iov + n);
	return sv_sig_match_hex256(k, iov, n, sig, siglen);
}

/*
 * The WS API payload: every parameter but signature, sorted by name,
 * name=value joined with '&', values raw (not percent-encoded). Into
 * out[0..cap): its length, or -ENOBUFS.
 */
static int bn_ws_payload(const struct bn_params *pp, char *out, size_t cap)
{
	uint8_t ord[BN_MAXP];
	uint32_t n = 0;
	size_t len = 0;

	for (uint32_t i = 0; i < pp->n; i++)
		if (!bn_seq(pp->p[i].k, pp->p[i].kl, "signature"))
			ord[n++] = (uint8_t)i;
	for (uint32_t i = 1; i < n; i++) {      /* insertion sort: a few dozen names */
		uint8_t t = ord[i];
		uint32_t j = i;

		while (j > 0) {
			const struct bn_param *a = &pp->p[ord[j - 1]], *c = &pp->p[t];
			size_t m = a->kl < c->kl ? a->kl : c->kl;
			int r = memcmp(a->k, c->k, m);

			if (r < 0 || (r == 0 && a->kl <= c->kl))
				break;
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct bn_param *q = &pp->p[ord[i]];

		if (len + q->kl + q->vl + 2 > cap)
			return -ENOBUFS;
		if (i)
			out[len++] = '&';
		memcpy(out + len, q->k, q->kl);
		len += q->kl;
		out[len++] = '=';
		memcpy(out + len, q->v, q->vl);
		len += q->vl;
	}
	if (len >= cap)
		return -ENOBUFS;
	out[len] = '\0';
	return (int)len;
}

static const struct venue_hmac_key *bn_key(struct sim_venue *v, struct bn *b, int acct)
{
	return sv_acct_key(&b->hk[acct], &b->hk_ok[acct], &v->x->acct[acct]);
}

/* The account of an API key: -2014 for a malformed key, -2015 for an unknown one. */
static int bn_auth_key(struct bn_ctx *x, const char *key, size_t n)
{
	struct sim_account *a;

	for (size_t i = 0; key && i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			n = 0;
	if (!key || !n || n >= SIM_KEY_MAX)
		return bn_fail(x, 401, -2014, "API-key format invalid.");
	a = sim_exch_account_by_key(x->v->x, x->v->idx, key, n);
	if (!a)
		return bn_fail(x, 401, -2015, "Invalid API-key, IP, or permissions for action.");
	x->acct = (int)(a - x->v->x->acct);
	return 0;
}

/*
 * timestamp (ms, or us when 16 digits) and recvWindow (ms, 3 decimals,
 * at most 60000): rejected when timestamp >= server + 1000 ms or
 * server - timestamp > recvWindow [1.5]. Into *ts_us, *rw_us for the
 * second check before matching.
 */
static int bn_auth_time(struct bn_ctx *x, int64_t *ts_us, uint64_t *rw_us)
{
	int64_t server_us = (int64_t)x->now_ms * 1000, ts;
	uint64_t t;
	sim_fx rw;
	int r;

	r = bn_get_u64(x, "timestamp", &t);
	if (r < 0)
		return r;
	if (!r)
		return bn_missing(x, "timestamp");
	ts = (int64_t)(t < 100000000000000ull ? t * 1000 : t);
	r = bn_get_dec(x, "recvWindow", &rw);
	if (r < 0)
		return r;
	if (r) {
		uint64_t us = (uint64_t)rw / 100000;

		if ((uint64_t)rw % 100000)
			return bn_fail(x, 400, -1111, "Parameter 'recvWindow' has too much precision.");
		if (us > BN_RECV_WINDOW_MAX_US)
			return bn_fail(x, 400, -1102,
				       "'recvWindow' contains unexpected value. Cannot be greater than "
				       "'60000'.");
		*rw_us = us;
	} else {
		*rw_us = x->v->cfg->recv_window_ms ? x->v->cfg->recv_window_ms * 1000 : 5000000;
	}
	*ts_us = ts;
	if (ts >= server_us + 1000000)
		return bn_fail(x, 400, -1021,
			       "Timestamp for this request was 1000ms ahead of the server's time.");
	if (server_us - ts > (int64_t)*rw_us)
		return bn_fail(x, 400, -1021,
			       "Timestamp for this request is outside of the recvWindow.");
	return 0;
}

/*
 * A signed request: the key (REST: the X-MBX-APIKEY header; WS API: the
 * apiKey parameter), the timing, then the signature. 0 with x->acct set,
 * or -1 with x->e set.
 */
static int bn_auth(struct bn_ctx *x, const struct net_http_parser *req, int64_t *ts_us,
		   uint64_t *rw_us)
{
	const char *key = NULL, *sig;
	size_t kl = 0, sl;
	const struct venue_hmac_key *k;
	bool ok;

	if (x->via == BN_REST) {
		struct net_http_str h = net_http_header(req, "X-MBX-APIKEY");

		key = h.p;
		kl = h.len;
	} else if (!bn_get(x, "apiKey", &key, &kl)) {
		return bn_missing(x, "apiKey");
	}
	if (bn_auth_key(x, key, kl) || bn_auth_time(x, ts_us, rw_us))
		return -1;
	if (!bn_get(x, "signature", &sig, &sl))
		return bn_missing(x, "signature");
	k = bn_key(x->v, x->b, x->acct);
	if (!k)
		return bn_fail(x, 400, -1022, "Signature for this request is not valid.");
	if (x->via == BN_REST) {
		struct net_http_str q = net_http_query(req), body = net_http_body(req);

		ok = bn_rest_sig_ok(k, q.p, q.len, body.p, body.len, sig, sl);
	} else {
		int n = bn_ws_payload(x->p, x->b->sigbuf, sizeof(x->b->sigbuf));

		ok = n >= 0 && sv_sig_match_hex256(k, &(struct iovec){ x->b->sigbuf, (size_t)n }, 1,
						   sig, sl);
	}
	if (!ok)
		return bn_fail(x, 400, -1022, "Signature for this request is not valid.");
	return 0;
}

/* ---- orders: decoding and the symbol's filters ---------------------------------------- */

enum bn_type { BN_T_LIMIT = 0, BN_T_MARKET, BN_T_LIMIT_MAKER };
enum bn_resp { BN_ACK = 0, BN_RESULT, BN_FULL };

/* An engine time on the venue's (possibly skewed) clock. */
static inline uint64_t bn_vms(const struct sim_venue *v, uint64_t ms)
{
	return (uint64_t)((int64_t)ms + v->fs.skew_ms);
}

static const char *bn_side_str(unsigned side)
{
	return side == SIM_BID ? "BUY" : "SELL";
}

static unsigned bn_type_of(const struct sim_order *o)
{
	if (o->type == SIM_ORD_MARKET || o->type == SIM_ORD_MARKET_QUOTE)
		return BN_T_MARKET;
	return o->tif == SIM_POST_ONLY ? BN_T_LIMIT_MAKER : BN_T_LIMIT;
}

static const char *bn_type_str(const struct sim_order *o)
{
	static const char *const s[] = { "LIMIT", "MARKET", "LIMIT_MAKER" };

	return s[bn_type_of(o)];
}

/* Market and LIMIT_MAKER orders say GTC, as the venue prints them. */
static const char *bn_tif_str(const struct sim_order *o)
{
	if (bn_type_of(o) != BN_T_LIMIT)
		return "GTC";
	return o->tif == SIM_IOC ? "IOC" : o->tif == SIM_FOK ? "FOK" : "GTC";
}

static const char *bn_status_str(unsigned st)
{
	switch (st) {
	case SIM_ST_NEW:
		return "NEW";
	case SIM_ST_PARTIAL:
		return "PARTIALLY_FILLED";
	case SIM_ST_FILLED:
		return "FILLED";
	case SIM_ST_CANCELED:
		return "CANCELED";
	case SIM_ST_EXPIRED:
		return "EXPIRED";
	default:
		return "REJECTED";
	}
}

/* The order's quantity as the venue shows it (a by-quote market order: what it bought). */
static sim_fx bn_orig_qty(const struct sim_order *o)
{
	return o->qty ? o->qty : o->filled;
}

/* A client order id like the venue's own: 22 characters of [0-9A-Za-z]. */
static void bn_gen_cid(struct sim_venue *v, struct bn *b, char *out)
{
	static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t z = (++b->cid_seq) ^ ((uint64_t)v->idx << 56) ^ 0x62696e616e6365ull;

	for (int i = 0; i < 22; i++) {
		if (i % 10 == 0) {      /* splitmix64 */
			z += 0x9e3779b97f4a7c15ull;
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			z ^= z >> 31;
		}
		out[i] = al[(z >> (6 * (i % 10))) % 62];
	}
	out[22] = '\0';
}

/* A client id parameter: 1 sent (into out), 0 absent, -1 malformed. */
static int bn_get_cid(struct bn_ctx *x, const char *name, char *out)
{
	const char *s;
	size_t n;

	if (!bn_get(x, name, &s, &n))
		return 0;
	if (!sv_cid_ok(s, n, 36))
		return bn_fail(x, 400, -1100,
			       "Illegal characters found in parameter '%s'; legal range is "
			       "'^[a-zA-Z0-9-_]{1,36}$'.", name);
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

/* The symbol parameter: the instrument, or -1102 / -1121. */
static struct sim_inst *bn_symbol(struct bn_ctx *x, bool mandatory)
{
	struct sim_inst *in;
	const char *s;
	size_t n;

	if (!bn_get(x, "symbol", &s, &n)) {
		if (mandatory)
			bn_missing(x, "symbol");
		return NULL;
	}
	in = sim_venue_inst_sym(x->v, s, n);
	if (!in)
		bn_fail(x, 400, -1121, "Invalid symbol.");
	return in;
}

struct bn_ord {
	struct sim_inst *in;
	uint8_t side, bntype, tif, resp;
	sim_fx px, qty, quote_qty;
	char cid[BN_CID_MAX];
};

/* A one-of parameter: its index in names, -2 absent, -1 none of them. */
static int bn_enum(const struct bn_ctx *x, const char *name, const char *const *names,
		   unsigned n)
{
	const char *s;
	size_t l;

	if (!bn_get(x, name, &s, &l))
		return -2;
	for (unsigned i = 0; i < n; i++)
		if (bn_seq(s, l, names[i]))
			return (int)i;
	return -1;
}

/*
 * The order parameters [1.3]: mandatory combinations per type, enums,
 * decimals. 0, or -1 with x->e set.
 */
static int bn_order_decode(struct bn_ctx *x, struct bn_ord *o)
{
	static const char *const sides[] = { "BUY", "SELL" };
	static const char *const types[] = { "LIMIT", "MARKET", "LIMIT_MAKER" };
	static const char *const tifs[] = { "GTC", "IOC", "FOK" };
	static const char *const resps[] = { "ACK", "RESULT", "FULL" };
	static const char *const stps[] = { "NONE", "EXPIRE_TAKER", "EXPIRE_MAKER",
					    "EXPIRE_BOTH", "DECREMENT" };
	static const char *const unsupported[] = { "icebergQty", "stopPrice", "trailingDelta",
						   "pegPriceType", "pegOffsetValue",
						   "pegOffsetType" };
	int r, rq, rqq, rp;

	memset(o, 0, sizeof(*o));
	o->in = bn_symbol(x, true);
	if (!o->in)
		return -1;
	r = bn_enum(x, "side", sides, 2);
	if (r == -2)
		return bn_missing(x, "side");
	if (r < 0)
		return bn_fail(x, 400, -1117, "Invalid side.");
	o->side = r ? SIM_ASK : SIM_BID;
	r = bn_enum(x, "type", types, 3);
	if (r == -2)
		return bn_missing(x, "type");
	if (r < 0)
		return bn_fail(x, 400, -1116, "Invalid orderType.");
	o->bntype = (uint8_t)r;
	r = bn_enum(x, "timeInForce", tifs, 3);
	if (o->bntype == BN_T_LIMIT) {
		if (r == -2)
			return bn_missing(x, "timeInForce");
		if (r < 0)
			return bn_fail(x, 400, -1115, "Invalid timeInForce.");
		o->tif = r == 0 ? SIM_GTC : r == 1 ? SIM_IOC : SIM_FOK;
	} else if (r != -2) {
		return bn_not_required(x, "timeInForce");
	} else {
		o->tif = o->bntype == BN_T_LIMIT_MAKER ? SIM_POST_ONLY : SIM_IOC;
	}
	rq = bn_get_dec(x, "quantity", &o->qty);
	if (rq < 0)
		return -1;
	rqq = bn_get_dec(x, "quoteOrderQty", &o->quote_qty);
	if (rqq < 0)
		return -1;
	rp = bn_get_dec(x, "price", &o->px);
	if (rp < 0)
		return -1;
	if (o->bntype == BN_T_MARKET) {
		if (!rq && !rqq)
			return bn_fail(x, 400, -1102,
				       "Param 'quantity' or 'quoteOrderQty' must be sent, but both "
				       "were empty/null!");
		if (rq && rqq)
			return bn_not_required(x, "quoteOrderQty");
		if (rp)
			return bn_not_required(x, "price");
	} else {
		if (!rq)
			return bn_missing(x, "quantity");
		if (!rp)
			return bn_missing(x, "price");
		if (rqq)
			return bn_not_required(x, "quoteOrderQty");
	}
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(unsupported); i++)
		if (bn_has(x, unsupported[i]))
			return bn_not_required(x, unsupported[i]);
	if (bn_enum(x, "selfTradePreventionMode", stps, KIMP_ARRAY_SIZE(stps)) == -1)
		return bn_fail(x, 400, -1130,
			       "Data sent for parameter 'selfTradePreventionMode' is not valid.");
	r = bn_enum(x, "newOrderRespType", resps, 3);
	if (r == -1)
		return bn_fail(x, 400, -1100,
			       "Illegal characters found in parameter 'newOrderRespType'; legal "
			       "range is 'ACK, RESULT, FULL'.");
	o->resp = (uint8_t)(r >= 0 ? r : o->bntype == BN_T_LIMIT_MAKER ? BN_ACK : BN_FULL);
	r = bn_get_cid(x, "newClientOrderId", o->cid);
	if (r < 0)
		return -1;
	if (!r)
		bn_gen_cid(x->v, x->b, o->cid);
	return 0;
}

static sim_fx bn_max_px(const struct sim_inst *in)
{
	return in->tick * 100000000;
}

/*
 * The symbol's filters, as the API applies them before the matching
 * engine [BN:filters.md]: -1013 "Filter failure: <FILTER>".
 */
static int bn_filters(struct bn_ctx *x, const struct bn_ord *o)
{
	const struct sim_inst *in = o->in;
	sim_fx ref = sv_ref_px(in);
	__int128 notional;

	if (o->bntype != BN_T_MARKET) {
		if (o->px < in->tick || o->px > bn_max_px(in) || o->px % in->tick)
			return bn_fail(x, 400, -1013, "Filter failure: PRICE_FILTER");
		if (ref && ((__int128)o->px > (__int128)ref * BN_PCT_UP ||
			    (__int128)o->px * BN_PCT_DOWN_DEN < (__int128)ref * BN_PCT_DOWN_NUM))
			return bn_fail(x, 400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE");
	}
	if (o->bntype != BN_T_MARKET || !o->quote_qty) {
		if (o->qty < in->min_qty || o->qty > in->max_qty || o->qty % in->step)
			return bn_fail(x, 400, -1013, "Filter failure: LOT_SIZE");
	}
	if (o->bntype != BN_T_MARKET)
		notional = (__int128)o->px * o->qty / SIM_SCALE;
	else if (o->quote_qty)
		notional = o->quote_qty;
	else
		notional = (__int128)ref * o->qty / SIM_SCALE;
	/* applyMinToMarket true, applyMaxToMarket false */
	if (notional < in->min_notional ||
	    (o->bntype != BN_T_MARKET && notional > BN_MAX_NOTIONAL))
		return bn_fail(x, 400, -1013, "Filter failure: NOTIONAL");
	return 0;
}

/* ---- replies: orders, accounts, markets ------------------------------------------- */

/* {"symbol","orderId","orderListId","clientOrderId","transactTime" [binance-rest-order.jsonl ACK] */
static void w_order_ack(struct jw *w, const struct sim_inst *in, const struct sim_order *o,
			uint64_t tt)
{
	jw_lit(w, "{\"symbol\":");
	jw_str(w, in->sym);
	w_ku64(w, "orderId", o->id);
	jw_lit(w, ",\"orderListId\":-1");
	w_kstr(w, "clientOrderId", o->cid);
	w_ku64(w, "transactTime", tt);
}

/* ,"price",...,"side": the order's state, as RESULT, cancels and queries share it. */
static void w_order_state(struct jw *w, const struct sim_order *o, bool quote_qty)
{
	w_kdec(w, "price", o->px);
	w_kdec(w, "origQty", bn_orig_qty(o));
	w_kdec(w, "executedQty", o->filled);
	if (quote_qty)
		w_kdec(w, "origQuoteOrderQty", o->quote_qty);
	w_kdec(w, "cummulativeQuoteQty", o->filled_quote);
	w_kstr(w, "status", bn_status_str(o->status));
	w_kstr(w, "timeInForce", bn_tif_str(o));
	w_kstr(w, "type", bn_type_str(o));
	w_kstr(w, "side", bn_side_str(o->side));
}

/* ACK, RESULT or FULL [binance-rest-order.jsonl] */
static void w_order_resp(struct sim_venue *v, struct bn *b, struct jw *w,
			 const struct sim_inst *in, const struct sim_order *o, unsigned resp,
			 uint64_t tt)
{
	bool first = true;

	w_order_ack(w, in, o, tt);
	if (resp >= BN_RESULT) {
		w_order_state(w, o, true);
		w_ku64(w, "workingTime", bn_vms(v, o->created_ms));
		w_kstr(w, "selfTradePreventionMode", "EXPIRE_MAKER");
	}
	if (resp == BN_FULL) {
		jw_lit(w, ",\"fills\":[");
		for (uint32_t i = 0; i < b->nfill; i++) {
			const struct bn_fill *f = &b->fill[i];

			if (f->order_id != o->id)
				continue;
			jw_lit(w, first ? "{\"price\":" : ",{\"price\":");
			w_dec(w, f->px);
			w_kdec(w, "qty", f->qty);
			w_kdec(w, "commission", f->fee);
			w_kstr(w, "commissionAsset", sim_asset_name(f->fee_asset));
			w_ku64(w, "tradeId", f->trade_id);
			jw_lit(w, "}");
			first = false;
		}
		jw_lit(w, "]");
	}
	jw_lit(w, "}");
}

/* DELETE /api/v3/order, order.cancel [BN:rest-api.md] */
static void w_cancel_resp(struct sim_venue *v, struct jw *w, const struct sim_inst *in,
			  const struct sim_order *o, const char *ccid, uint64_t tt)
{
	jw_lit(w, "{\"symbol\":");
	jw_str(w, in->sym);
	w_kstr(w, "origClientOrderId", o->cid);
	w_ku64(w, "orderId", o->id);
	jw_lit(w, ",\"orderListId\":-1");
	w_kstr(w, "clientOrderId", ccid);
	w_ku64(w, "transactTime", tt);
	w_order_state(w, o, true);
	w_kstr(w, "selfTradePreventionMode", "EXPIRE_MAKER");
	jw_lit(w, "}");
}

/* GET /api/v3/order, order.status, openOrders [BN:rest-api.md] */
static void w_order_query(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	const struct sim_inst *in = &v->m->inst[o->inst];

	jw_lit(w, "{\"symbol\":");
	jw_str(w, in->sym);
	w_ku64(w, "orderId", o->id);
	jw_lit(w, ",\"orderListId\":-1");
	w_kstr(w, "clientOrderId", o->cid);
	w_order_state(w, o, false);
	w_kdec(w, "stopPrice", 0);
	w_kdec(w, "icebergQty", 0);
	w_ku64(w, "time", bn_vms(v, o->created_ms));
	w_ku64(w, "updateTime", bn_vms(v, o->updated_ms));
	w_kbool(w, "isWorking", o->open);
	w_ku64(w, "workingTime", bn_vms(v, o->created_ms));
	w_kdec(w, "origQuoteOrderQty", o->quote_qty);
	w_kstr(w, "selfTradePreventionMode", "EXPIRE_MAKER");
	jw_lit(w, "}");
}

/* A fee rate (0.001) in 1e-8. */
static sim_fx bn_rate(double rate)
{
	return (sim_fx)llround(rate * (double)SIM_SCALE);
}

/* ,"k":"0.00100000" */
static void w_rate(struct jw *w, const char *k, double rate)
{
	w_kdec(w, k, bn_rate(rate));
}

static void w_commission(struct jw *w, const struct sim_venue *v)
{
	jw_lit(w, "{\"maker\":");
	w_dec(w, bn_rate(v->cfg->maker_fee));
	w_rate(w, "taker", v->cfg->taker_fee);
	w_kdec(w, "buyer", 0);
	w_kdec(w, "seller", 0);
	jw_lit(w, "}");
}

/* GET /api/v3/account, account.status [BN:rest-api.md] */
static void w_account(struct sim_venue *v, struct jw *w, int acct, bool omit_zero)
{
	const struct sim_account *a = &v->x->acct[acct];
	bool first = true;

	jw_lit(w, "{\"makerCommission\":");
	jw_u64(w, (uint64_t)llround(v->cfg->maker_fee * 10000));
	w_ku64(w, "takerCommission", (uint64_t)llround(v->cfg->taker_fee * 10000));
	jw_lit(w, ",\"buyerCommission\":0,\"sellerCommission\":0,\"commissionRates\":");
	w_commission(w, v);
	jw_lit(w, ",\"canTrade\":true,\"canWithdraw\":true,\"canDeposit\":true,"
		  "\"brokered\":false,\"requireSelfTradePrevention\":false,\"preventSor\":false");
	w_ku64(w, "updateTime", bn_vms(v, a->balance_ts_ms));
	jw_lit(w, ",\"accountType\":\"SPOT\",\"balances\":[");
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++) {
		const char *name = sim_asset_name(i);
		bool ours = false;

		if (!name)
			break;
		for (uint32_t k = 0; k < v->ninst && !ours; k++) {
			const struct sim_inst *in = sim_venue_inst(v, k);

			ours = in->base_asset == i || in->quote_asset == i;
		}
		if ((!ours && !a->free[i] && !a->locked[i]) ||
		    (omit_zero && !a->free[i] && !a->locked[i]))
			continue;
		jw_lit(w, first ? "{\"asset\":" : ",{\"asset\":");
		jw_str(w, name);
		w_kdec(w, "free", a->free[i]);
		w_kdec(w, "locked", a->locked[i]);
		jw_lit(w, "}");
		first = false;
	}
	jw_lit(w, "],\"permissions\":[\"SPOT\"]");
	w_ku64(w, "uid", 354937868ull + (uint64_t)acct);
	jw_lit(w, "}");
}

/* One symbol of exchangeInfo, with its filters [binance-filters.jsonl] */
static void w_symbol_info(struct jw *w, const struct sim_inst *in)
{
	jw_lit(w, "{\"symbol\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"status\":\"TRADING\"");
	w_kstr(w, "baseAsset", in->base);
	jw_lit(w, ",\"baseAssetPrecision\":8");
	w_kstr(w, "quoteAsset", in->quote);
	jw_lit(w, ",\"quotePrecision\":8,\"quoteAssetPrecision\":8,"
		  "\"baseCommissionPrecision\":8,\"quoteCommissionPrecision\":8,"
		  "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],"
		  "\"icebergAllowed\":false,\"ocoAllowed\":false,\"otoAllowed\":false,"
		  "\"quoteOrderQtyMarketAllowed\":true,\"allowTrailingStop\":false,"
		  "\"cancelReplaceAllowed\":false,\"amendAllowed\":false,"
		  "\"pegInstructionsAllowed\":false,\"isSpotTradingAllowed\":true,"
		  "\"isMarginTradingAllowed\":false,\"filters\":[");
	jw_lit(w, "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":");
	w_dec(w, in->tick);
	w_kdec(w, "maxPrice", bn_max_px(in));
	w_kdec(w, "tickSize", in->tick);
	jw_lit(w, "},{\"filterType\":\"LOT_SIZE\",\"minQty\":");
	w_dec(w, in->min_qty);
	w_kdec(w, "maxQty", in->max_qty);
	w_kdec(w, "stepSize", in->step);
	jw_lit(w, "},{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"0.00000000\"");
	w_kdec(w, "maxQty", in->max_qty);
	jw_lit(w, ",\"stepSize\":\"0.00000000\"},"
		  "{\"filterType\":\"PERCENT_PRICE_BY_SIDE\",\"bidMultiplierUp\":\"5\","
		  "\"bidMultiplierDown\":\"0.2\",\"askMultiplierUp\":\"5\","
		  "\"askMultiplierDown\":\"0.2\",\"avgPriceMins\":5},"
		  "{\"filterType\":\"NOTIONAL\",\"minNotional\":");
	w_dec(w, in->min_notional);
	jw_lit(w, ",\"applyMinToMarket\":true");
	w_kdec(w, "maxNotional", BN_MAX_NOTIONAL);
	jw_lit(w, ",\"applyMaxToMarket\":false,\"avgPriceMins\":5},"
		  "{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":");
	jw_u64(w, BN_MAX_NUM_ORDERS);
	jw_lit(w, "}],\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],"
		  "\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
		  "\"allowedSelfTradePreventionModes\":[\"NONE\",\"EXPIRE_TAKER\","
		  "\"EXPIRE_MAKER\",\"EXPIRE_BOTH\",\"DECREMENT\"]}");
}

/* {"symbol","bidPrice","bidQty","askPrice","askQty"} [binance-bookTicker.jsonl line 4] */
static void w_book_ticker(struct jw *w, const struct sim_inst *in)
{
	const struct sim_book_side *bs = &in->book.side[SIM_BID], *as = &in->book.side[SIM_ASK];

	jw_lit(w, "{\"symbol\":");
	jw_str(w, in->sym);
	w_kdec(w, "bidPrice", bs->n ? bs->lv[0].px : 0);
	w_kdec(w, "bidQty", bs->n ? bs->lv[0].qty : 0);
	w_kdec(w, "askPrice", as->n ? as->lv[0].px : 0);
	w_kdec(w, "askQty", as->n ? as->lv[0].qty : 0);
	jw_lit(w, "}");
}

/* ---- the order path: jobs ----------------------------------------------------------- */

enum bn_job_kind { BN_J_PLACE = 1, BN_J_CANCEL, BN_J_CANCEL_ALL };

/* What a deferred order request needs (copied into the job). */
struct bn_job {
	uint8_t kind, via, resp;
	bool rl, drop, http5xx;
	int16_t acct;
	uint16_t inst;
	char id[BN_ID_MAX];
	int64_t ts_us;
	uint64_t rw_us;
	uint64_t order_id;
	char ocid[BN_CID_MAX], ccid[BN_CID_MAX];
	struct sim_order_req req;
};

_Static_assert(sizeof(struct bn_job) < SIM_JOB_DATA, "a Binance job fits the job's data");

/* The engine's refusal as the venue words it [BN:errors.md]. */
static int bn_reject(struct bn_ctx *x, enum sim_reject rej)
{
	switch (rej) {
	case SIM_REJ_FUNDS:
		return bn_fail(x, 400, -2010, "Account has insufficient balance for requested action.");
	case SIM_REJ_WOULD_TAKE:
		return bn_fail(x, 400, -2010, "Order would immediately match and take.");
	case SIM_REJ_DUP_CID:
		return bn_fail(x, 400, -2010, "Duplicate order sent.");
	case SIM_REJ_TICK:
		return bn_fail(x, 400, -1013, "Filter failure: PRICE_FILTER");
	case SIM_REJ_STEP:
	case SIM_REJ_MIN_QTY:
	case SIM_REJ_MAX_QTY:
		return bn_fail(x, 400, -1013, "Filter failure: LOT_SIZE");
	case SIM_REJ_MIN_NOTIONAL:
	case SIM_REJ_MAX_NOTIONAL:
		return bn_fail(x, 400, -1013, "Filter failure: NOTIONAL");
	case SIM_REJ_PRICE_RANGE:
		return bn_fail(x, 400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE");
	case SIM_REJ_TOO_MANY_ORDERS:
		return bn_fail(x, 400, -2010, "Filter failure: MAX_NUM_ORDERS");
	case SIM_REJ_NO_MARKET:
		return bn_fail(x, 400, -1121, "Invalid symbol.");
	default:
		return bn_fail(x, 400, -2010, "Unsupported order combination");
	}
}

static void bn_ctx_init(struct bn_ctx *x, struct sim_venue *v, uint8_t via)
{
	struct bn *b = v->priv;

	memset(x, 0, sizeof(*x));
	x->v = v;
	x->b = b;
	x->via = via;
	x->live = true;
	x->acct = -1;
	x->now_ms = sim_venue_now_ms(v);
	x->p = &b->prm;
	b->prm.n = 0;
	b->prm.used = 0;
	memcpy(x->id, "null", 5);
}

static void bn_job_place(struct bn_ctx *x, const struct bn_job *jb)
{
	struct sim_venue *v = x->v;
	struct bn *b = x->b;
	struct sim_order *o = NULL;
	enum sim_reject rej;
	struct jw w;

	x->orders = true;
	/* the venue checks recvWindow again before the matching engine */
	if ((int64_t)x->now_ms * 1000 - jb->ts_us > (int64_t)jb->rw_us) {
		bn_orders_undo(b, (unsigned)jb->acct, x->now_ms);
		bn_fail(x, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
		if (!jb->drop)
			bn_send_err(x);
		return;
	}
	b->nfill = 0;
	b->capturing = true;
	rej = sim_exch_submit(v->x, &jb->req, &o);
	b->capturing = false;
	bn_flush_balances(v, b);
	if (rej || !o) {
		bn_orders_undo(b, (unsigned)jb->acct, x->now_ms);
		bn_reject(x, rej ? rej : SIM_REJ_BAD_PARAM);
	} else {
		bn_refund(b, x->now_ms);
	}
	if (jb->drop)
		return;
	if (jb->http5xx) {
		bn_fail(x, 503, -1007, "Timeout waiting for response from backend server. Send "
			"status unknown; execution status unknown.");
		bn_send_err(x);
		return;
	}
	if (rej || !o) {
		bn_send_err(x);
		return;
	}
	x->order_ok = true;
	bn_ok_begin(x, &w);
	w_order_resp(v, b, &w, &v->m->inst[o->inst], o, jb->resp, bn_vms(v, o->created_ms));
	bn_ok_end(x, &w);
}

/* The account's order by id or client id, on that symbol; NULL: -2011 or -2013. */
static struct sim_order *bn_find_order(struct sim_venue *v, unsigned acct, unsigned inst,
				       uint64_t id, const char *cid)
{
	struct sim_order *o;

	o = id ? sim_exch_find_id(v->x, v->idx, id) : sim_exch_find_cid(v->x, acct, cid);
	if (!o || o->acct != acct || o->inst != inst || (id && cid[0] && strcmp(o->cid, cid)))
		return NULL;
	return o;
}

static void bn_job_cancel(struct bn_ctx *x, const struct bn_job *jb)
{
	struct sim_venue *v = x->v;
	struct bn *b = x->b;
	struct sim_order *o = bn_find_order(v, (unsigned)jb->acct, jb->inst, jb->order_id,
					    jb->ocid);
	struct jw w;
	int ret;

	if (!o || !o->open) {
		bn_fail(x, 400, -2011, "Unknown order sent.");
		bn_send_err(x);
		return;
	}
	b->cancel_cid = jb->ccid;
	ret = sim_exch_cancel(v->x, o);
	b->cancel_cid = NULL;
	bn_flush_balances(v, b);
	if (ret) {
		bn_fail(x, 400, -2011, "Unknown order sent.");
		bn_send_err(x);
		return;
	}
	bn_ok_begin(x, &w);
	w_cancel_resp(v, &w, &v->m->inst[o->inst], o, jb->ccid, x->now_ms);
	bn_ok_end(x, &w);
}

static void bn_job_cancel_all(struct bn_ctx *x, const struct bn_job *jb)
{
	struct sim_venue *v = x->v;
	struct bn *b = x->b;
	struct sim_order *open[BN_MAX_NUM_ORDERS];
	uint32_t n = sim_exch_open_orders(v->x, (unsigned)jb->acct, jb->inst, open,
					  BN_MAX_NUM_ORDERS);
	struct jw w;

	if (!n) {
		bn_fail(x, 400, -2011, "Unknown order sent.");
		bn_send_err(x);
		return;
	}
	bn_ok_begin(x, &w);
	jw_lit(&w, "[");
	for (uint32_t i = 0; i < n; i++) {
		char ccid[BN_CID_MAX];

		bn_gen_cid(v, b, ccid);
		b->cancel_cid = ccid;
		sim_exch_cancel(v->x, open[i]);
		b->cancel_cid = NULL;
		if (i)
			jw_lit(&w, ",");
		w_cancel_resp(v, &w, &v->m->inst[open[i]->inst], open[i], ccid, x->now_ms);
	}
	jw_lit(&w, "]");
	bn_flush_balances(v, b);
	bn_ok_end(x, &w);
}

/* A deferred order request, after the venue's order latency. */
static void bn_job_run(struct sim_venue *v, struct sim_job *j)
{
	struct bn_job jb;
	struct bn_ctx x;

	memcpy(&jb, j->data, sizeof(jb));
	bn_ctx_init(&x, v, jb.via);
	x.sc = j->sc;
	x.c = j->ws;
	x.live = jb.via == BN_REST ? sim_job_sc_live(j) : sim_job_ws_live(j);
	x.late = true;
	x.rl = jb.rl;
	x.acct = jb.acct;
	memcpy(x.id, jb.id, sizeof(x.id));
	switch (jb.kind) {
	case BN_J_PLACE:
		bn_job_place(&x, &jb);
		break;
	case BN_J_CANCEL:
		bn_job_cancel(&x, &jb);
		break;
	case BN_J_CANCEL_ALL:
		bn_job_cancel_all(&x, &jb);
		break;
	default:
		break;
	}
}

/* Hand a job to the order path; -1 (503 -1008) when the job pool is full. */
static int bn_defer(struct bn_ctx *x, struct bn_job *jb)
{
	jb->via = x->via;
	jb->rl = x->rl;
	jb->acct = (int16_t)x->acct;
	memcpy(jb->id, x->id, sizeof(jb->id));
	if (sim_defer(x->v, x->v->cfg->order_latency_ns, bn_job_run,
		      x->via == BN_REST ? x->sc : NULL, x->via == BN_WSAPI ? x->c : NULL, jb,
		      sizeof(*jb)))
		return bn_fail(x, 503, -1008, "Server is currently overloaded with other requests. "
			       "Please try again in a few minutes.");
	return 0;
}

/* ---- endpoints (REST and WS API share them) ------------------------------------------- */

typedef int (*bn_handler)(struct bn_ctx *x, const struct net_http_parser *req);

static void bn_ok_lit(struct bn_ctx *x, const char *json)
{
	struct jw w;

	bn_ok_begin(x, &w);
	jw_lit(&w, json);
	bn_ok_end(x, &w);
}

static int h_ping(struct bn_ctx *x, const struct net_http_parser *req)
{
	if (bn_admit(x, 1))
		return -1;
	bn_ok_lit(x, "{}");
	return 0;
}

static int h_time(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct jw w;

	if (bn_admit(x, 1))
		return -1;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"serverTime\":");
	jw_u64(&w, x->now_ms);
	jw_lit(&w, "}");
	bn_ok_end(x, &w);
	return 0;
}

/*
 * symbol=X or symbols=["X","Y"] (JSON) into a bitmap of vidx; none: all.
 * 0 or -1 (-1121, -1100).
 */
static int bn_symbols(struct bn_ctx *x, uint32_t *mask, bool *multi)
{
	struct sim_inst *in;
	const char *s;
	size_t n;
	int nt;

	*mask = 0;
	*multi = true;
	if (bn_has(x, "symbol")) {
		in = bn_symbol(x, true);
		if (!in)
			return -1;
		*mask = 1u << in->vidx;
		*multi = false;
		return 0;
	}
	if (!bn_get(x, "symbols", &s, &n)) {
		*mask = x->v->ninst >= 32 ? ~0u : (1u << x->v->ninst) - 1;
		return 0;
	}
	nt = jr_parse(s, n, x->b->tok, BN_TOKS);
	if (nt < 0 || x->b->tok[0].type != JR_ARR || !x->b->tok[0].size)
		return bn_fail(x, 400, -1100,
			       "Illegal characters found in parameter 'symbols'; legal range is "
			       "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
	for (uint32_t i = 0; i < x->b->tok[0].size; i++) {
		const struct jr_tok *t = &x->b->tok[jr_at(x->b->tok, 0, i)];

		in = t->type == JR_STR ? sim_venue_inst_sym(x->v, s + t->start, t->len) : NULL;
		if (!in)
			return bn_fail(x, 400, -1121, "Invalid symbol.");
		*mask |= 1u << in->vidx;
	}
	return 0;
}

static int h_exchange_info(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_venue *v = x->v;
	uint32_t mask;
	bool multi, first = true;
	struct jw w;

	if (bn_admit(x, 20) || bn_symbols(x, &mask, &multi))
		return -1;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"timezone\":\"UTC\",\"serverTime\":");
	jw_u64(&w, x->now_ms);
	jw_lit(&w, ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
		   "\"intervalNum\":1,\"limit\":");
	jw_u64(&w, BN_WEIGHT_LIMIT);
	jw_lit(&w, "},{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
		   "\"limit\":");
	jw_u64(&w, BN_ORDERS_10S);
	jw_lit(&w, "},{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
		   "\"limit\":");
	jw_u64(&w, BN_ORDERS_DAY);
	jw_lit(&w, "},{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\","
		   "\"intervalNum\":5,\"limit\":");
	jw_u64(&w, BN_RAW_LIMIT);
	jw_lit(&w, "}],\"exchangeFilters\":[],\"symbols\":[");
	for (uint32_t i = 0; i < v->ninst; i++) {
		if (!(mask >> i & 1))
			continue;
		if (!first)
			jw_lit(&w, ",");
		w_symbol_info(&w, sim_venue_inst(v, i));
		first = false;
	}
	jw_lit(&w, "]}");
	bn_ok_end(x, &w);
	return 0;
}

/* GET /api/v3/depth: weight 5 / 25 / 50 / 250 by limit [1.2]. */
static int h_depth(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_inst *in = bn_symbol(x, true);
	uint64_t limit = 100;
	uint32_t weight;
	struct jw w;
	int r;

	if (!in)
		return -1;
	r = bn_get_u64(x, "limit", &limit);
	if (r < 0)
		return -1;
	if (!limit)
		return bn_fail(x, 400, -1100,
			       "Illegal characters found in parameter 'limit'; legal range is "
			       "'^[0-9]{1,20}$'.");
	if (limit > 5000)
		limit = 5000;
	weight = limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
	if (bn_admit(x, weight))
		return -1;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"lastUpdateId\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, ",\"bids\":");
	w_levels(&w, &in->book.side[SIM_BID], (uint32_t)limit);
	jw_lit(&w, ",\"asks\":");
	w_levels(&w, &in->book.side[SIM_ASK], (uint32_t)limit);
	jw_lit(&w, "}");
	bn_ok_end(x, &w);
	return 0;
}

static int h_book_ticker(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_venue *v = x->v;
	uint32_t mask;
	bool multi, first = true;
	struct jw w;

	if (bn_symbols(x, &mask, &multi) || bn_admit(x, multi ? 4 : 2))
		return -1;
	bn_ok_begin(x, &w);
	if (multi)
		jw_lit(&w, "[");
	for (uint32_t i = 0; i < v->ninst; i++) {
		if (!(mask >> i & 1))
			continue;
		if (!first)
			jw_lit(&w, ",");
		w_book_ticker(&w, sim_venue_inst(v, i));
		first = false;
	}
	if (multi)
		jw_lit(&w, "]");
	bn_ok_end(x, &w);
	return 0;
}

static void w_commission_for_order(struct jw *w, const struct sim_venue *v)
{
	jw_lit(w, "{\"standardCommissionForOrder\":{\"maker\":");
	w_dec(w, bn_rate(v->cfg->maker_fee));
	w_rate(w, "taker", v->cfg->taker_fee);
	jw_lit(w, "},\"specialCommissionForOrder\":{\"maker\":\"0.00000000\","
		  "\"taker\":\"0.00000000\"},\"taxCommissionForOrder\":{\"maker\":\"0.00000000\","
		  "\"taker\":\"0.00000000\"},\"discount\":{\"enabledForAccount\":false,"
		  "\"enabledForSymbol\":false,\"discountAsset\":\"BNB\","
		  "\"discount\":\"0.00000000\"}}");
}

/* POST /api/v3/order (test: /order/test), order.place, order.test */
static int bn_place(struct bn_ctx *x, const struct net_http_parser *req, bool test)
{
	const char *s;
	size_t n;
	bool ccr = test && bn_get(x, "computeCommissionRates", &s, &n) && bn_seq(s, n, "true");
	struct bn_job jb;
	struct bn_ord o;
	struct jw w;

	x->orders = !test;
	memset(&jb, 0, sizeof(jb));
	if (bn_admit(x, ccr ? 20 : 1) || bn_auth(x, req, &jb.ts_us, &jb.rw_us) ||
	    bn_order_decode(x, &o) || bn_filters(x, &o))
		return -1;
	if (test) {
		bn_ok_begin(x, &w);
		if (ccr)
			w_commission_for_order(&w, x->v);
		else
			jw_lit(&w, "{}");
		bn_ok_end(x, &w);
		return 0;
	}
	if (bn_orders_admit(x))
		return -1;
	jb.kind = BN_J_PLACE;
	jb.resp = o.resp;
	jb.inst = o.in->id;
	jb.http5xx = x->http5xx;
	jb.drop = sim_fault_take(x->v, SIM_FAULT_DROP_RESPONSE);
	jb.req.inst = o.in->id;
	jb.req.acct = (uint8_t)x->acct;
	jb.req.side = o.side;
	jb.req.type = o.bntype != BN_T_MARKET ? SIM_ORD_LIMIT
					       : o.quote_qty ? SIM_ORD_MARKET_QUOTE : SIM_ORD_MARKET;
	jb.req.tif = o.tif;
	jb.req.px = o.bntype != BN_T_MARKET ? o.px : 0;
	jb.req.qty = o.quote_qty ? 0 : o.qty;
	jb.req.quote_qty = o.quote_qty;
	memcpy(jb.req.cid, o.cid, sizeof(o.cid));
	jb.req.recv_ns = sim_now_real_ns();
	if (kimp_unlikely(x->v->x->trace)) {
		uint64_t tsc = net_loop_rx_tsc(sim_server_loop(x->v->srv));
		sim_trace_order(x->v->x->trace, x->v->idx, tsc ? tsc : kimp_rdtsc(), jb.req.cid);
	}
	if (bn_defer(x, &jb)) {
		bn_orders_undo(x->b, (unsigned)x->acct, x->now_ms);
		return -1;
	}
	return 0;
}

static int h_order_place(struct bn_ctx *x, const struct net_http_parser *req)
{
	return bn_place(x, req, false);
}

static int h_order_test(struct bn_ctx *x, const struct net_http_parser *req)
{
	return bn_place(x, req, true);
}

/* orderId or origClientOrderId: 0, or -1 (-1102, -1100). */
static int bn_order_ref(struct bn_ctx *x, uint64_t *id, char *ocid)
{
	int r1 = bn_get_u64(x, "orderId", id), r2;

	ocid[0] = '\0';
	if (r1 < 0)
		return -1;
	r2 = bn_get_cid(x, "origClientOrderId", ocid);
	if (r2 < 0)
		return -1;
	if (!r1 && !r2)
		return bn_fail(x, 400, -1102,
			       "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
			       "empty/null!");
	if (!r1)
		*id = 0;
	return 0;
}

/* DELETE /api/v3/order, order.cancel */
static int h_order_cancel(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_inst *in;
	struct bn_job jb;
	int r;

	memset(&jb, 0, sizeof(jb));
	if (bn_admit(x, 1) || bn_auth(x, req, &jb.ts_us, &jb.rw_us))
		return -1;
	in = bn_symbol(x, true);
	if (!in || bn_order_ref(x, &jb.order_id, jb.ocid))
		return -1;
	r = bn_get_cid(x, "newClientOrderId", jb.ccid);
	if (r < 0)
		return -1;
	if (!r)
		bn_gen_cid(x->v, x->b, jb.ccid);
	jb.kind = BN_J_CANCEL;
	jb.inst = in->id;
	return bn_defer(x, &jb);
}

/* DELETE /api/v3/openOrders, openOrders.cancelAll */
static int h_cancel_all(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_inst *in;
	struct bn_job jb;

	memset(&jb, 0, sizeof(jb));
	if (bn_admit(x, 1) || bn_auth(x, req, &jb.ts_us, &jb.rw_us))
		return -1;
	in = bn_symbol(x, true);
	if (!in)
		return -1;
	jb.kind = BN_J_CANCEL_ALL;
	jb.inst = in->id;
	return bn_defer(x, &jb);
}

/* GET /api/v3/order, order.status: -2013 when there is no such order. */
static int h_order_status(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_inst *in;
	struct sim_order *o;
	char ocid[BN_CID_MAX];
	uint64_t id = 0, rw;
	int64_t ts;
	struct jw w;

	if (bn_admit(x, 4) || bn_auth(x, req, &ts, &rw))
		return -1;
	in = bn_symbol(x, true);
	if (!in || bn_order_ref(x, &id, ocid))
		return -1;
	o = bn_find_order(x->v, (unsigned)x->acct, in->id, id, ocid);
	if (!o)
		return bn_fail(x, 400, -2013, "Order does not exist.");
	bn_ok_begin(x, &w);
	w_order_query(x->v, &w, o);
	bn_ok_end(x, &w);
	return 0;
}

/* GET /api/v3/openOrders, openOrders.status: weight 6 with a symbol, 80 without. */
static int h_open_orders(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_order *open[BN_MAX_NUM_ORDERS * 4];
	struct sim_inst *in = NULL;
	uint64_t rw;
	int64_t ts;
	uint32_t n;
	struct jw w;

	if (bn_has(x, "symbol")) {
		in = bn_symbol(x, true);
		if (!in)
			return -1;
	}
	if (bn_admit(x, in ? 6 : 80) || bn_auth(x, req, &ts, &rw))
		return -1;
	n = sim_exch_open_orders(x->v->x, (unsigned)x->acct, in ? in->id : -1, open,
				 KIMP_ARRAY_SIZE(open));
	bn_ok_begin(x, &w);
	jw_lit(&w, "[");
	for (uint32_t i = 0, k = 0; i < n; i++) {
		if (x->v->m->inst[open[i]->inst].venue != x->v->idx)
			continue;
		if (k++)
			jw_lit(&w, ",");
		w_order_query(x->v, &w, open[i]);
	}
	jw_lit(&w, "]");
	bn_ok_end(x, &w);
	return 0;
}

/* GET /api/v3/account, account.status */
static int h_account(struct bn_ctx *x, const struct net_http_parser *req)
{
	const char *s;
	size_t n;
	uint64_t rw;
	int64_t ts;
	struct jw w;

	if (bn_admit(x, 20) || bn_auth(x, req, &ts, &rw))
		return -1;
	bn_ok_begin(x, &w);
	w_account(x->v, &w, x->acct, bn_get(x, "omitZeroBalances", &s, &n) &&
					     bn_seq(s, n, "true"));
	bn_ok_end(x, &w);
	return 0;
}

/* GET /api/v3/account/commission, account.commission [1.8] */
static int h_commission(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct sim_inst *in;
	uint64_t rw;
	int64_t ts;
	struct jw w;

	if (bn_admit(x, 20) || bn_auth(x, req, &ts, &rw))
		return -1;
	in = bn_symbol(x, true);
	if (!in)
		return -1;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"symbol\":");
	jw_str(&w, in->sym);
	jw_lit(&w, ",\"standardCommission\":");
	w_commission(&w, x->v);
	jw_lit(&w, ",\"specialCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\","
		   "\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
		   "\"taxCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\","
		   "\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
		   "\"discount\":{\"enabledForAccount\":false,\"enabledForSymbol\":false,"
		   "\"discountAsset\":\"BNB\",\"discount\":\"0.00000000\"}}");
	bn_ok_end(x, &w);
	return 0;
}

/* ---- user data (1.6): subscriptions and events ----------------------------------------- */

#define BN_UD_PFX 64            /* {"subscriptionId":<n>,"event": */

/*
 * Send the event at b->ud[BN_UD_PFX .. + len) to every API connection
 * subscribed for acct, as {"subscriptionId":N,"event":<event>}.
 */
static void bn_ud_send(struct sim_venue *v, struct bn *b, unsigned acct, size_t len)
{
	char *ev = b->ud + BN_UD_PFX;
	struct sim_ws *c = NULL;

	ev[len] = '}';
	while ((c = sim_venue_next_ws(v, c))) {
		struct bn_conn *cs = bn_cs(c);
		char pfx[BN_UD_PFX];
		struct jw w;

		if (c->kind != SIM_WS_API || !cs->usub[acct])
			continue;
		jw_init(&w, pfx, sizeof(pfx));
		jw_lit(&w, "{\"subscriptionId\":");
		jw_u64(&w, cs->usub[acct] - 1);
		jw_lit(&w, ",\"event\":");
		if (!jw_done(&w))
			continue;
		memcpy(ev - w.len, pfx, w.len);
		sim_ws_send(c, WS_OP_TEXT, ev - w.len, w.len + len + 1);
	}
}

static bool bn_ud_wanted(struct sim_venue *v, unsigned acct)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_API && bn_cs(c)->usub[acct])
			return true;
	return false;
}

/* The order is on the book: a resting kind of limit, not ended. */
static bool bn_working(const struct sim_order *o)
{
	return o->type == SIM_ORD_LIMIT && (o->tif == SIM_GTC || o->tif == SIM_POST_ONLY) &&
	       (o->status == SIM_ST_NEW || o->status == SIM_ST_PARTIAL);
}

/*
 * executionReport with every field of 1.6 in the order and types of
 * binance-executionReport.jsonl (line 2, the live 2025 form): decimals as
 * 8-place strings, "n":"0" and "N":null when there is no commission,
 * "t":-1 when not a trade.
 */
static void bn_on_order(struct sim_venue *v, const struct sim_order *o, const struct sim_fill *f)
{
	struct bn *b = v->priv;
	const struct sim_inst *in = &v->m->inst[o->inst];
	const char *xs, *cid = o->cid, *orig = "";
	struct jw w;

	if (o->status == SIM_ST_REJECTED || !o->id)
		return;
	if (f) {
		if (b->capturing && b->nfill < BN_FILLS) {
			struct bn_fill *c = &b->fill[b->nfill++];

			c->order_id = o->id;
			c->trade_id = f->trade_id;
			c->px = f->px;
			c->qty = f->qty;
			c->fee = f->fee;
			c->fee_asset = f->fee_asset;
		}
		if (o->filled == f->qty)        /* the first fill: it stops counting */
			bn_orders_undo(b, o->acct, sim_venue_now_ms(v));
		xs = "TRADE";
	} else if (o->status == SIM_ST_NEW || o->status == SIM_ST_PARTIAL) {
		xs = "NEW";
	} else if (o->status == SIM_ST_CANCELED) {
		xs = "CANCELED";
		if (b->cancel_cid) {
			cid = b->cancel_cid;
			orig = o->cid;
		}
	} else if (o->status == SIM_ST_EXPIRED) {
		xs = "EXPIRED";
	} else {
		return;
	}
	if (!bn_ud_wanted(v, o->acct))
		return;
	jw_init(&w, b->ud + BN_UD_PFX, BN_UD - BN_UD_PFX - 1);
	jw_lit(&w, "{\"e\":\"executionReport\",\"E\":");
	jw_u64(&w, sim_venue_now_ms(v));
	w_kstr(&w, "s", in->sym);
	w_kstr(&w, "c", cid);
	w_kstr(&w, "S", bn_side_str(o->side));
	w_kstr(&w, "o", bn_type_str(o));
	w_kstr(&w, "f", bn_tif_str(o));
	w_kdec(&w, "q", o->qty);
	w_kdec(&w, "p", o->px);
	w_kdec(&w, "P", 0);
	w_kdec(&w, "F", 0);
	jw_lit(&w, ",\"g\":-1");
	w_kstr(&w, "C", orig);
	w_kstr(&w, "x", xs);
	w_kstr(&w, "X", f ? (o->status == SIM_ST_FILLED ? "FILLED" : "PARTIALLY_FILLED")
			 : bn_status_str(o->status));
	jw_lit(&w, ",\"r\":\"NONE\"");
	w_ku64(&w, "i", o->id);
	w_kdec(&w, "l", f ? f->qty : 0);
	w_kdec(&w, "z", o->filled);
	w_kdec(&w, "L", f ? f->px : 0);
	if (f) {
		w_kdec(&w, "n", f->fee);
		w_kstr(&w, "N", sim_asset_name(f->fee_asset));
	} else {
		jw_lit(&w, ",\"n\":\"0\",\"N\":null");
	}
	w_ku64(&w, "T", bn_vms(v, f ? f->ts_ms : o->updated_ms));
	if (f)
		w_ku64(&w, "t", f->trade_id);
	else
		jw_lit(&w, ",\"t\":-1");
	w_ku64(&w, "I", ++b->exec_seq);
	w_kbool(&w, "w", bn_working(o));
	w_kbool(&w, "m", f && f->maker);
	w_kbool(&w, "M", f != NULL);
	w_ku64(&w, "O", bn_vms(v, o->created_ms));
	w_kdec(&w, "Z", o->filled_quote);
	w_kdec(&w, "Y", f ? f->quote : 0);
	w_kdec(&w, "Q", o->quote_qty);
	w_ku64(&w, "W", bn_vms(v, o->created_ms));
	jw_lit(&w, ",\"V\":\"EXPIRE_MAKER\"}");
	if (jw_done(&w))
		bn_ud_send(v, b, o->acct, w.len);
}

static void bn_on_balance(struct sim_venue *v, const struct sim_account *a, unsigned asset)
{
	struct bn *b = v->priv;
	ptrdiff_t i = a - v->x->acct;

	if (i >= 0 && i < SIM_MAX_ACCOUNTS && asset < 32)
		b->dirty[i] |= 1u << asset;
}

/*
 * outboundAccountPosition for every account whose balances changed, one
 * event with all of its changed assets, after the executionReports that
 * caused them [binance-userdata-other.jsonl].
 */
static void bn_flush_balances(struct sim_venue *v, struct bn *b)
{
	for (unsigned i = 0; i < SIM_MAX_ACCOUNTS && i < v->x->naccts; i++) {
		const struct sim_account *a = &v->x->acct[i];
		uint32_t mask = b->dirty[i];
		bool first = true;
		struct jw w;

		if (!mask)
			continue;
		b->dirty[i] = 0;
		if (!bn_ud_wanted(v, i))
			continue;
		jw_init(&w, b->ud + BN_UD_PFX, BN_UD - BN_UD_PFX - 1);
		jw_lit(&w, "{\"e\":\"outboundAccountPosition\",\"E\":");
		jw_u64(&w, sim_venue_now_ms(v));
		w_ku64(&w, "u", bn_vms(v, a->balance_ts_ms));
		jw_lit(&w, ",\"B\":[");
		for (unsigned k = 0; k < SIM_MAX_ASSETS; k++) {
			if (!(mask >> k & 1))
				continue;
			jw_lit(&w, first ? "{\"a\":" : ",{\"a\":");
			jw_str(&w, sim_asset_name(k));
			w_kdec(&w, "f", a->free[k]);
			w_kdec(&w, "l", a->locked[k]);
			jw_lit(&w, "}");
			first = false;
		}
		jw_lit(&w, "]}");
		if (jw_done(&w))
			bn_ud_send(v, b, i, w.len);
	}
}

/* userDataStream.subscribe.signature: any key type, no logon [1.6] */
static int h_uds_sub_sig(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct bn_conn *cs = bn_cs(x->c);
	uint64_t rw;
	int64_t ts;
	struct jw w;
	uint32_t id;

	if (bn_admit(x, 2) || bn_auth(x, req, &ts, &rw))
		return -1;
	if (cs->usub[x->acct])
		return bn_fail(x, 400, -2035, "User Data Stream subscription already active.");
	if (cs->next_sub >= 65535)
		return bn_fail(x, 400, -2042, "Maximum subscription ID reached for this connection.");
	id = cs->next_sub++;
	cs->usub[x->acct] = id + 1;
	cs->nusub++;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"subscriptionId\":");
	jw_u64(&w, id);
	jw_lit(&w, "}");
	bn_ok_end(x, &w);
	return 0;
}

/* userDataStream.subscribe needs a session.logon, which HMAC keys cannot make. */
static int h_uds_sub(struct bn_ctx *x, const struct net_http_parser *req)
{
	if (bn_admit(x, 2))
		return -1;
	return bn_fail(x, 401, -1002, "You are not authorized to execute this request.");
}

/* userDataStream.unsubscribe [subscriptionId]: then eventStreamTerminated for each. */
static int h_uds_unsub(struct bn_ctx *x, const struct net_http_parser *req)
{
	struct bn_conn *cs = bn_cs(x->c);
	uint32_t gone[SIM_MAX_ACCOUNTS], ngone = 0;
	uint64_t id = 0;
	struct jw w;
	int r;

	if (bn_admit(x, 2))
		return -1;
	r = bn_get_u64(x, "subscriptionId", &id);
	if (r < 0)
		return -1;
	for (unsigned i = 0; i < SIM_MAX_ACCOUNTS; i++) {
		if (!cs->usub[i] || (r && cs->usub[i] - 1 != id))
			continue;
		gone[ngone++] = cs->usub[i] - 1;
		cs->usub[i] = 0;
		cs->nusub--;
	}
	if (!ngone)
		return bn_fail(x, 400, -2036, "User Data Stream subscription not active.");
	bn_ok_lit(x, "{}");
	for (uint32_t i = 0; i < ngone; i++) {
		char buf[128];

		jw_init(&w, buf, sizeof(buf));
		jw_lit(&w, "{\"subscriptionId\":");
		jw_u64(&w, gone[i]);
		jw_lit(&w, ",\"event\":{\"e\":\"eventStreamTerminated\",\"E\":");
		jw_u64(&w, x->now_ms);
		jw_lit(&w, "}}");
		if (jw_done(&w))
			sim_ws_send(x->c, WS_OP_TEXT, w.p, w.len);
	}
	return 0;
}

/*
 * session.logon takes Ed25519 keys only ([1.4]; web-socket-api.md
 * "Authentication requests": "Only Ed25519 keys are supported for this
 * feature", with no error code given). Every exsim key is HMAC, so a
 * known key gets what the live venue answers an HMAC key with: 400, -4056
 * "HMAC_SHA256 API key is not supported." That code is not in errors.md;
 * it is what clients record from the venue (a Go SDK's TestLogon against
 * the spot testnet asserts this code and message; SDK test notes list
 * "session.logon with HMAC: -4056").
 */
static int h_logon(struct bn_ctx *x, const struct net_http_parser *req)
{
	const char *key;
	size_t n;

	if (bn_admit(x, 2))
		return -1;
	if (!bn_get(x, "apiKey", &key, &n))
		return bn_missing(x, "apiKey");
	if (bn_auth_key(x, key, n))
		return -1;
	return bn_fail(x, 400, -4056, "HMAC_SHA256 API key is not supported.");
}

/* session.status, session.logout: never logged on (see h_logon). */
static int h_session_status(struct bn_ctx *x, const struct net_http_parser *req)
{
	uint64_t up_ms = (net_now_ns() - x->c->opened_ns) / 1000000;
	struct jw w;

	if (bn_admit(x, 2))
		return -1;
	bn_ok_begin(x, &w);
	jw_lit(&w, "{\"apiKey\":null,\"authorizedSince\":null,\"connectedSince\":");
	jw_u64(&w, x->now_ms - up_ms);
	w_kbool(&w, "returnRateLimits", x->rl);
	w_ku64(&w, "serverTime", x->now_ms);
	w_kbool(&w, "userDataStream", bn_cs(x->c)->nusub > 0);
	jw_lit(&w, "}");
	bn_ok_end(x, &w);
	return 0;
}

/* ---- the WebSocket API listener [1.4] ----------------------------------------------------- */

static const struct {
	const char *name;
	bn_handler fn;
} bn_methods[] = {
	{ "ping", h_ping },
	{ "time", h_time },
	{ "exchangeInfo", h_exchange_info },
	{ "depth", h_depth },
	{ "ticker.book", h_book_ticker },
	{ "order.place", h_order_place },
	{ "order.test", h_order_test },
	{ "order.cancel", h_order_cancel },
	{ "order.status", h_order_status },
	{ "openOrders.status", h_open_orders },
	{ "openOrders.cancelAll", h_cancel_all },
	{ "account.status", h_account },
	{ "account.commission", h_commission },
	{ "userDataStream.subscribe.signature", h_uds_sub_sig },
	{ "userDataStream.subscribe", h_uds_sub },
	{ "userDataStream.unsubscribe", h_uds_unsub },
	{ "session.logon", h_logon },
	{ "session.status", h_session_status },
	{ "session.logout", h_session_status },
};

static void bn_api_message(struct sim_venue *v, struct bn *b, struct sim_ws *c, unsigned op,
			   uint8_t *data, size_t len)
{
	const char *src = (const char *)data, *m;
	const struct jr_tok *t = b->tok;
	char method[64];
	bn_handler fn = NULL;
	struct bn_ctx x;
	const char *rl;
	size_t rll;
	int n, ti, tm, tp, ml;

	bn_ctx_init(&x, v, BN_WSAPI);
	x.c = c;
	x.rl = !bn_cs(c)->rl_off;
	n = op == WS_OP_TEXT ? jr_parse(src, len, b->tok, BN_TOKS) : -EINVAL;
	if (n < 0 || t[0].type != JR_OBJ) {
		bn_fail(&x, 400, -1135, "Invalid JSON Request");
		goto fail;
	}
	ti = jr_get(src, t, 0, "id");
	if (ti < 0 || bn_json_id(src, &t[ti], x.id, sizeof(x.id)) < 0) {
		memcpy(x.id, "null", 5);
		bn_fail(&x, 400, -1135, "Invalid 'id' in JSON request; expected an integer, a "
			"string matching '^[a-zA-Z0-9-_]{1,36}$', or null.");
		goto fail;
	}
	if (bn_ban_fault(&x))
		goto fail;
	tm = jr_get(src, t, 0, "method");
	ml = tm >= 0 ? jr_str(src, &t[tm], method, sizeof(method)) : -1;
	if (ml <= 0) {
		bn_missing(&x, "method");
		goto fail;
	}
	m = ml > 3 && !memcmp(method, "v3/", 3) ? method + 3 : method;
	tp = jr_get(src, t, 0, "params");
	if (tp >= 0 && t[tp].type != JR_OBJ) {
		bn_fail(&x, 400, -1135, "JSON sent for parameter 'params' is not valid");
		goto fail;
	}
	if (tp >= 0 && bn_json_params(&x, src, t, tp))
		goto fail;
	if (bn_get(&x, "returnRateLimits", &rl, &rll))
		x.rl = !bn_seq(rl, rll, "false");
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bn_methods) && !fn; i++)
		if (!strcmp(bn_methods[i].name, m))
			fn = bn_methods[i].fn;
	if (!fn) {
		bn_fail(&x, 400, -1020, "This operation is not supported.");
		goto fail;
	}
	if (!fn(&x, NULL))
		return;
fail:
	bn_send_err(&x);
}

static void bn_ws_open(struct sim_venue *v, struct sim_ws *c)
{
	struct bn *b = v->priv;

	/* connecting to the WebSocket API costs 2 weight [1.4] */
	if (c->kind == SIM_WS_API && v->cfg->rate_limits) {
		bn_weight_roll(b, sim_venue_now_ms(v));
		b->weight += 2;
	}
}

static void bn_ws_message(struct sim_venue *v, struct sim_ws *c, unsigned opcode,
			  uint8_t *data, size_t len)
{
	struct bn *b = v->priv;

	bn_ready(v, b);
	if (c->kind == SIM_WS_API)
		bn_api_message(v, b, c, opcode, data, len);
	else
		bn_md_message(v, b, c, opcode, data, len);
}

/* ---- the REST listener [1.3] ------------------------------------------------------------- */

static const struct {
	uint8_t method;
	const char *path;
	bn_handler fn;
} bn_routes[] = {
	{ NET_HTTP_GET, "/api/v3/ping", h_ping },
	{ NET_HTTP_GET, "/api/v3/time", h_time },
	{ NET_HTTP_GET, "/api/v3/exchangeInfo", h_exchange_info },
	{ NET_HTTP_GET, "/api/v3/depth", h_depth },
	{ NET_HTTP_GET, "/api/v3/ticker/bookTicker", h_book_ticker },
	{ NET_HTTP_POST, "/api/v3/order", h_order_place },
	{ NET_HTTP_POST, "/api/v3/order/test", h_order_test },
	{ NET_HTTP_DELETE, "/api/v3/order", h_order_cancel },
	{ NET_HTTP_GET, "/api/v3/order", h_order_status },
	{ NET_HTTP_GET, "/api/v3/openOrders", h_open_orders },
	{ NET_HTTP_DELETE, "/api/v3/openOrders", h_cancel_all },
	{ NET_HTTP_GET, "/api/v3/account", h_account },
	{ NET_HTTP_GET, "/api/v3/account/commission", h_commission },
};

static void bn_rest(struct sim_venue *v, struct http_sconn *sc, const struct net_http_parser *req)
{
	struct bn *b = v->priv;
	struct net_http_str path = net_http_path(req), q = net_http_query(req);
	struct net_http_str body = net_http_body(req);
	unsigned m = req->method == NET_HTTP_HEAD ? NET_HTTP_GET : req->method;
	bool known = false;
	bn_handler fn = NULL;
	struct bn_ctx x;

	bn_ready(v, b);
	bn_ctx_init(&x, v, BN_REST);
	x.sc = sc;
	if (bn_ban_fault(&x))
		goto fail;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bn_routes) && !fn; i++) {
		if (!bn_seq(path.p, path.len, bn_routes[i].path))
			continue;
		known = true;
		if (bn_routes[i].method == m)
			fn = bn_routes[i].fn;
	}
	if (!fn) {
		bn_fail(&x, known ? 405 : 404, -1020, "This operation is not supported.");
		goto fail;
	}
	/* the 5xx fault: an order is matched and then answered 503; others at once */
	x.http5xx = sim_fault_take(v, SIM_FAULT_HTTP_5XX);
	if (x.http5xx && fn != h_order_place) {
		bn_fail(&x, 503, -1001, "Internal error; unable to process your request. Please "
			"try again.");
		goto fail;
	}
	if ((q.p && bn_form(&x, q.p, q.len)) || (body.p && bn_form(&x, body.p, body.len)))
		goto fail;
	if (!fn(&x, req))
		return;
fail:
	if (x.http5xx && x.e.status != 503)
		bn_fail(&x, 503, -1007, "Timeout waiting for response from backend server. Send "
			"status unknown; execution status unknown.");
	bn_send_err(&x);
}

/* ---- the venue ------------------------------------------------------------------------ */

const struct sim_venue_ops sim_venue_binance = {
	.name = "binance",
	.kind = SIM_USDT,
	.has_api = true,
	.setup = bn_setup,
	.rest = bn_rest,
	.ws_upgrade = bn_ws_upgrade,
	.ws_open = bn_ws_open,
	.ws_message = bn_ws_message,
	.publish = bn_publish,
	.flush = bn_flush,
	.start = sv_start_views,
	.on_order = bn_on_order,
	.on_balance = bn_on_balance,
	.tick = bn_tick,
};

/* ---- for tests -------------------------------------------------------------------------- */

void sim_binance_set_conn_life(struct sim_venue *v, uint64_t ns)
{
	struct bn *b = v->priv;

	b->life_ns = ns;
}

bool sim_binance_sig_rest_ok(const char *secret, size_t slen, const char *query, size_t qlen,
			     const char *body, size_t blen, const char *sig, size_t siglen)
{
	struct venue_hmac_key k;

	if (venue_hmac_key_init(&k, VENUE_SHA256, secret, slen))
		return false;
	return bn_rest_sig_ok(&k, query, qlen, body, blen, sig, siglen);
}

int sim_binance_ws_payload(const char *params, size_t len, char *out, size_t cap)
{
	struct bn_params *pp = calloc(1, sizeof(*pp));
	struct jr_tok *tok = calloc(BN_TOKS, sizeof(*tok));
	struct bn_ctx x;
	int ret = -ENOMEM;

	if (!pp || !tok)
		goto out;
	memset(&x, 0, sizeof(x));
	x.p = pp;
	ret = jr_parse(params, len, tok, BN_TOKS);
	if (ret < 0)
		goto out;
	ret = -EINVAL;
	if (tok[0].type != JR_OBJ || bn_json_params(&x, params, tok, 0))
		goto out;
	ret = bn_ws_payload(pp, out, cap);
out:
	free(tok);
	free(pp);
	return ret;
}

bool sim_binance_sig_ws_ok(const char *secret, size_t slen, const char *params, size_t len,
			   const char *sig, size_t siglen)
{
	char *payload = malloc(BN_DECBUF + 2 * BN_MAXP);
	struct venue_hmac_key k;
	bool ok = false;
	int n;

	if (!payload)
		return false;
	n = sim_binance_ws_payload(params, len, payload, BN_DECBUF + 2 * BN_MAXP);
	if (n >= 0 && !venue_hmac_key_init(&k, VENUE_SHA256, secret, slen))
		ok = sv_sig_match_hex256(&k, &(struct iovec){ payload, (size_t)n }, 1, sig, siglen);
	free(payload);
	return ok;
}
