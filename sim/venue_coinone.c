/* SPDX-License-Identifier: MIT */
/*
 * exsim's Coinone (api.coinone.co.kr, stream.coinone.co.kr): the KRW
 * markets, the public and private WebSocket streams and the v2.1 private
 * REST API, as shared/docs/venues/exchanges-kr.md sections 0 and 3
 * describe them and shared/fixtures/venues/coinone-*.jsonl show them.
 *
 * Markets (3.5-3.7): quote KRW, target <COIN> for every scenario coin and
 * USDT (the rate pair); the instrument's symbol is the target currency
 * ("BTC", "USDT"), which is how GET /book names it. Prices on the per-pair
 * range_units table, quantities on 1e-8 (more decimals: 311), 5,000 to
 * 1,000,000,000 KRW an order. Fees in KRW; a buy locks its fee too; a
 * user_order_id may never repeat (312).
 *
 * Public WebSocket (3.1), path "/": text frames. CONNECTED on open; one
 * topic per SUBSCRIBE; UPPERCASE request_type/channel/format (else 160011
 * naming the field); SUBSCRIBED ack (an unknown pair is acked, then gets
 * 160012); not JSON: 160010. ORDERBOOK: the latest book on subscribe (its
 * timestamp the book's last change, H10), then the whole 16-level book on
 * every change, asks worst to best, id = ms x 1000 + a 3-digit counter.
 * TRADE one frame a trade, TICKER one per change. DEFAULT or SHORT keys per
 * subscription. {"request_type":"PING"} -> PONG. 20 connections per IP:
 * the 21st is closed 4290. A socket that never subscribed is closed after
 * 60 s; any socket 30 minutes after its last PING (or its open).
 *
 * Private WebSocket (3.2, 3.4), path /v1/private: X-COINONE-PAYLOAD /
 * X-COINONE-SIGNATURE in the upgrade (payload access_token, nonce UUID v4,
 * timestamp ms); failure: the socket opens and is closed 4280. 20 per
 * account (4290). MYORDER (topic array) and MYASSET (no topic).
 *
 * REST (3.2, 3.3, 3.5): public v2 GET markets, orderbook, range_units,
 * ticker_new; private v2.1 POST order, order/cancel, order/cancel/all,
 * order/detail, order/active_orders, account/balance/all,
 * account/trade_fee/{quote}/{target}. Auth: the request fields are read
 * from the signed payload (a JSON body, if sent, is not needed and not
 * compared: the doc leaves the body open, 3.2). Errors are HTTP 200
 * {"result":"error","error_code":"N","error_msg":..}. Rate limits: public
 * 1,200 token bucket refilled at 20/s with public-ratelimit-* headers;
 * private 40 orders/s and 80 others/s per account with
 * Private-Order-Ratelimit-Remaining / Private-Ratelimit-Remaining.
 *
 * Choices where the doc is silent, each explained at its code: the rate
 * limit answer (429 + error 4), the ban fault (418 + error 4), MARKET
 * orders with limit_price (an IOC limit), post-only orders that would take
 * (created, then cancelled: cancel_post_only), ack and MYASSET SHORT keys,
 * timestamps in ms where the doc's examples disagree (cancel), MYASSET
 * timestamps in seconds as its examples show them (H5).
 *
 * Not simulated: CHART (acked, never sent), STOP_LIMIT orders (166),
 * completed_orders, portfolios. The gap fault has nothing to skip on full
 * books with non-consecutive ids (as on Upbit): it is not applied here.
 *
 * Hot paths (publishing, private events, the order path) format with jw_*
 * into buffers made at setup: no allocation, no printf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kimp/sign.h"
#include "kimp/tsc.h"
#include "server.h"

#define NS_PER_MS       1000000ull
#define NS_PER_S        1000000000ull

#define CO_DEPTH        16u             /* levels a side in a frame */
#define CO_MIN_TOTAL    (5000LL * SIM_SCALE)
#define CO_MAX_TOTAL    (1000000000LL * SIM_SCALE)
#define CO_CONN_MAX     20              /* per IP (public), per account (private) */
#define CO_CLOSE_LIMIT  4290
#define CO_CLOSE_AUTH   4280
#define CO_UNSUB_NS     (60 * NS_PER_S) /* a socket that never subscribed */
#define CO_PING_NS      (1800 * NS_PER_S) /* 30 minutes after the last PING */
#define CO_ORDER_SEC    40
#define CO_OTHER_SEC    80
#define CO_PUB_BURST    1200
#define CO_PUB_RATE     20              /* tokens a second */
#define CO_UOID_MAX     150             /* the venue's limit */
#define CO_TS_WINDOW_MS 300000          /* private WS timestamp: within 5 min */
#define CO_MSG_MAX      (64 * 1024)
#define CO_REPLY_MAX    (512 * 1024)
#define CO_TOKS         2048
#define CO_PAYLOAD_MAX  4096
#define CO_NONCES       16384u
#define CO_META         16384u
#define CO_PHANTOMS     256u
#define CO_OPEN_MAX     4096u
#define CO_SIZE_DEF     15u             /* REST orderbook size */

/* Channels (c->sub index). */
enum { CH_BOOK = 0, CH_TRADE, CH_TICKER, CH_CHART, CH_MYORDER, CH_MYASSET, CH_N };
static const char *const ch_names[CH_N] = { "ORDERBOOK", "TRADE", "TICKER", "CHART",
					    "MYORDER", "MYASSET" };

/* Error codes (3.5) and their messages; the captured wording where there is one. */
enum co_err {
	E_BLOCKED, E_TOKEN_MISSING, E_TOKEN, E_SERVICE, E_FUNDS, E_NO_ORDER, E_PRICE, E_PARAM,
	E_CURRENCY, E_PAIR, E_TRADED, E_CANCELED, E_PAYLOAD, E_SIG_MISSING, E_NONCE_MISSING,
	E_SIG, E_NONCE_USED, E_NONCE_UUID, E_NEED_PRICE, E_NEED_QTY, E_NEED_POST_ONLY,
	E_NEED_AMOUNT, E_TYPE, E_ORDER_INFO, E_MIN, E_MAX, E_RANGE, E_PRICE_UNIT, E_QTY_UNIT,
	E_DUP_UOID, E_ID_PAIR, E_UOID, E_SERVER, E_N
};

static const struct {
	const char *code, *msg;
} errs[E_N] = {
	[E_BLOCKED] = { "4", "Blocked user access" },
	[E_TOKEN_MISSING] = { "11", "Access token is missing" },
	[E_TOKEN] = { "12", "Invalid access token" },
	[E_SERVICE] = { "20", "This service does not exist" },
	[E_FUNDS] = { "103", "Lack of Balance" },
	[E_NO_ORDER] = { "104", "Order id is not exist" },
	[E_PRICE] = { "105", "Price is not correct" },
	[E_PARAM] = { "107", "Parameter value is wrong" },
	[E_CURRENCY] = { "108", "Unknown CryptoCurrency" },
	[E_PAIR] = { "109", "Unknown cryptocurrency pair" },
	[E_TRADED] = { "116", "Already Traded" },
	[E_CANCELED] = { "117", "Already Canceled" },
	[E_PAYLOAD] = { "120", "V2 API payload is missing" },
	[E_SIG_MISSING] = { "121", "V2 API signature is missing" },
	[E_NONCE_MISSING] = { "122", "V2 API nonce is missing" },
	[E_SIG] = { "123", "V2 API signature is not correct" },
	[E_NONCE_USED] = { "132", "Nonce already used" },
	[E_NONCE_UUID] = { "133", "Nonce must be in the form of a UUID" },
	[E_NEED_PRICE] = { "161", "price is required for LIMIT or STOP_LIMIT order." },
	[E_NEED_QTY] = { "162", "qty is required for LIMIT or STOP_LIMIT or MARKET(SELL) order." },
	[E_NEED_POST_ONLY] = { "163", "post_only is required for LIMIT order." },
	[E_NEED_AMOUNT] = { "165", "amount is required for MARKET(BUY) order." },
	[E_TYPE] = { "166", "Not Supported Order Type." },
	[E_ORDER_INFO] = { "300", "Invalid order information" },
	[E_MIN] = { "306", "Cannot be process the orders below the minimum amount" },
	[E_MAX] = { "307", "Cannot be process the orders exceed the maximum amount" },
	[E_RANGE] = { "308", "Price is out of range." },
	[E_PRICE_UNIT] = { "310", "Unavailable price unit. Please check the Range unit API "
			   "to get the price_unit." },
	[E_QTY_UNIT] = { "311", "Unavailable qty unit. Please check the Market API to see "
			 "the qty_unit." },
	[E_DUP_UOID] = { "312", "Duplicated user_order_id" },
	[E_ID_PAIR] = { "313", "user_order_id and order_Id cannot be requested together. "
			"Otherwise, neither was entered" },
	[E_UOID] = { "314", "Invalid user_order_id (It must be lower case)" },
	[E_SERVER] = { "405", "Server error" },
};

/* Per WebSocket connection, in c->vs. */
struct co_conn {
	uint32_t shortfmt[CH_N];        /* SHORT keys, per channel and instrument bit */
	bool auth_fail;                 /* private upgrade failed: close 4280 on open */
	bool corked;
	bool subscribed;                /* ever subscribed something */
	uint64_t ping_ns;               /* last PING (or the open) */
};
KIMP_STATIC_ASSERT(sizeof(struct co_conn) <= SIM_WS_VSTATE, "per-connection state fits");
KIMP_STATIC_ASSERT(CH_N <= SIM_WS_CHANNELS, "channels fit the subscription table");

/* What the engine does not keep of an order: the venue's type and amounts. */
enum { VT_LIMIT = 0, VT_MARKET };
struct co_meta {
	uint64_t order_id;
	uint8_t vtype;
	bool post_only;
	sim_fx amount;                  /* MARKET buy: KRW to spend */
	sim_fx limit_px;                /* MARKET: limit_price (0: none) */
	sim_fx qty;                     /* MARKET sell: qty */
};

struct co_win {
	uint64_t start_ms;
	uint32_t used;
};

struct co_ord_job {
	struct sim_order_req req;
	struct co_meta meta;
};

struct co_cancel_job {
	uint64_t id;
	uint8_t acct;
};

struct coinone {
	struct co_win rl[SIM_MAX_ACCOUNTS][2];  /* [0] orders, [1] others */
	uint64_t pub_mt;                        /* public bucket, milli-tokens */
	uint64_t pub_ms;
	bool unlimited;
	/* nonces seen: two generations of open-addressed hashes */
	uint64_t nonce[2][CO_NONCES];
	uint32_t nonce_n;
	uint8_t nonce_gen;
	/* orders */
	struct co_meta meta[CO_META];
	struct sim_order phantom[CO_PHANTOMS];  /* post-only orders that would take */
	struct co_meta phantom_meta[CO_PHANTOMS];
	uint32_t phantom_next;
	uint64_t phantom_seq;
	uint64_t last_done_id;
	/* market data */
	uint32_t dirty, tdirty;                 /* book / ticker changed */
	uint64_t book_id[SIM_VENUE_INSTS];      /* last id given, per instrument */
	uint64_t tick_id[SIM_VENUE_INSTS];
	uint64_t trade_id[SIM_VENUE_INSTS];
	struct sim_trade last[SIM_VENUE_INSTS];
	sim_fx acc_ask[SIM_VENUE_INSTS], acc_bid[SIM_VENUE_INSTS];
	/* private events */
	uint32_t asset_dirty[SIM_MAX_ACCOUNTS];
	bool asset_pending[SIM_MAX_ACCOUNTS];
	const char *asset_type[SIM_MAX_ACCOUNTS];
	const char *cur_type;                   /* MYASSET type of the action under way */
	const struct co_meta *cur_meta;         /* the order being submitted */
	/* scratch */
	struct jr_tok tok[CO_TOKS];
	struct sim_order *open[CO_OPEN_MAX];
	char payload[CO_PAYLOAD_MAX];
	char msg[CO_MSG_MAX];
	char reply[CO_REPLY_MAX];
};

static uint64_t mono_ms(void)
{
	return net_now_ns() / NS_PER_MS;
}

/* A venue timestamp (ms) with the clock-skew fault applied. */
static uint64_t vts(const struct sim_venue *v, uint64_t ms)
{
	return (uint64_t)((int64_t)ms + v->fs.skew_ms);
}

static inline struct co_conn *conn_state(struct sim_ws *c)
{
	return (struct co_conn *)(void *)c->vs;
}

static inline sim_fx fx_pos(sim_fx a)
{
	return a > 0 ? a : 0;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A version-4-looking uuid from (a, b), NUL-terminated in out[37]. */
static void make_uuid(char out[37], uint64_t a, uint64_t b)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t w[2] = { mix64(a), mix64(b ^ mix64(a + 1)) };
	char d[32];
	unsigned k = 0, o = 0;

	for (int i = 0; i < 2; i++)
		for (int s = 60; s >= 0; s -= 4)
			d[k++] = hex[(w[i] >> s) & 15];
	d[12] = '4';
	d[16] = hex[8 + ((w[1] >> 2) & 3)];
	for (unsigned i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

/* A quoted shortest decimal: "686", "21916.4". */
static void jw_qfx(struct jw *w, sim_fx v)
{
	jw_raw(w, "\"", 1);
	jw_fx_short(w, v);
	jw_raw(w, "\"", 1);
}

static void jw_qfx_or_null(struct jw *w, bool has, sim_fx v)
{
	if (has)
		jw_qfx(w, v);
	else
		jw_raw(w, "null", 4);
}

/* A fee rate (0.0005) as a quoted decimal. */
static void jw_rate(struct jw *w, double rate)
{
	jw_qfx(w, (sim_fx)(rate * (double)SIM_SCALE + 0.5));
}

/* ---- markets (3.5, 3.6) --------------------------------------------------------- */

#define S SIM_SCALE

/* The range_units example table (docs.coinone.co.kr/reference/range-unit). */
static const struct {
	sim_fx from, to, unit;
} ranges[] = {
	{ 0, S, S / 10000 }, { S, 10 * S, S / 1000 }, { 10 * S, 100 * S, S / 100 },
	{ 100 * S, 1000 * S, S / 10 }, { 1000 * S, 5000 * S, S }, { 5000 * S, 10000 * S, 5 * S },
	{ 10000 * S, 50000 * S, 10 * S }, { 50000 * S, 100000 * S, 50 * S },
	{ 100000 * S, 500000 * S, 100 * S }, { 500000 * S, 1000000 * S, 500 * S },
	{ 1000000 * S, 10000000000LL * S, 1000 * S },
};
#define N_RANGES KIMP_ARRAY_SIZE(ranges)

/*
 * High-priced pairs: the live BTC book moved in 10,000 KRW steps and the
 * deprecated markets.price_unit said 10000.0 (3.6 conflict). A pair that
 * starts at 10,000,000 KRW or more gets that unit from 10,000,000 up, so a
 * client must read range_units per pair, as the doc tells it to.
 */
#define CO_COARSE_FROM  (10000000LL * SIM_SCALE)
#define CO_COARSE_UNIT  (10000LL * SIM_SCALE)

static sim_fx co_px_tick(sim_fx px)
{
	for (size_t i = N_RANGES; i-- > 0;)
		if (px >= ranges[i].from)
			return ranges[i].unit;
	return ranges[0].unit;
}

static sim_fx co_tick_coarse(sim_fx px)
{
	return px >= CO_COARSE_FROM ? CO_COARSE_UNIT : co_px_tick(px);
}

#undef S

static void inst_rules(const struct sim_venue *v, struct sim_inst *in, sim_fx (*tick)(sim_fx))
{
	in->tick = 0;
	in->tick_fn = tick;
	in->step = 1;                   /* qty_unit 0.00000001 */
	in->min_qty = 0;
	in->max_qty = 0;
	in->min_notional = CO_MIN_TOTAL;
	in->max_notional = CO_MAX_TOTAL;
	in->px_decimals = 8;
	in->qty_decimals = 8;
	in->depth = v->cfg->depth ? v->cfg->depth : 30;
	if (in->depth < CO_DEPTH)
		in->depth = CO_DEPTH;
}

/*
 * Instruments <COIN> and USDT (quote KRW), the venue's rules and the
 * private state (one allocation, freed by the server with v->priv). 0,
 * -ENOMEM, or -ENOSPC when the market's tables are full.
 */
static kimp_cold int co_setup(struct sim_venue *v)
{
	const struct sim_scenario *sc = v->m->sc;
	struct sim_venue_rules *ru = &v->x->rules[v->idx];
	struct sim_inst *in;
	struct coinone *u;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	v->priv = u;
	u->unlimited = !v->cfg->rate_limits;
	u->pub_mt = CO_PUB_BURST * 1000ull;
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		bool coarse = sc->coins[c].start_usdt * sc->usdkrw_start >= 10000000.0;

		in = sim_market_add_inst(v->m, v->idx, (int)c, sc->coins[c].name,
					 sc->coins[c].name, "KRW");
		if (!in)
			return -ENOSPC;
		inst_rules(v, in, coarse ? co_tick_coarse : co_px_tick);
	}
	in = sim_market_add_inst(v->m, v->idx, SIM_COIN_FX, "USDT", "USDT", "KRW");
	if (!in)
		return -ENOSPC;
	inst_rules(v, in, co_px_tick);

	memset(ru, 0, sizeof(*ru));
	ru->maker_fee = v->cfg->maker_fee;
	ru->taker_fee = v->cfg->taker_fee;
	ru->fee_rule = SIM_FEE_QUOTE;   /* the detail examples' fees are KRW */
	ru->lock_fee = true;
	ru->cid_forever = true;         /* user_order_id: never reusable */
	ru->fok_rejects = false;
	ru->max_open = 0;
	return 0;
}

static struct sim_inst *order_inst(struct sim_venue *v, const struct sim_order *o)
{
	return &v->m->inst[o->inst];
}

/* The pair quote/target: KRW and one of ours; else the error. */
static int pair_inst(struct sim_venue *v, const char *quote, const char *target,
		     struct sim_inst **out)
{
	*out = NULL;
	if (!quote[0] || !target[0])
		return E_PARAM;
	if (strcmp(quote, "KRW"))
		return E_PAIR;
	*out = sim_venue_inst_sym(v, target, strlen(target));
	return *out ? -1 : E_CURRENCY;
}

/* ---- nonces ---------------------------------------------------------------------- */

static uint64_t nonce_hash(unsigned acct, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)(acct + 1) * 0x9e3779b97f4a7c15ull);

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c + 32);     /* a uuid in either case is one nonce */
		h ^= (uint8_t)c;
		h *= 0x100000001b3ull;
	}
	h = mix64(h);
	return h ? h : 1;
}

static bool nonce_in(const uint64_t *tab, uint64_t h)
{
	for (uint32_t i = (uint32_t)h & (CO_NONCES - 1);; i = (i + 1) & (CO_NONCES - 1)) {
		if (!tab[i])
			return false;
		if (tab[i] == h)
			return true;
	}
}

static bool nonce_seen(const struct coinone *u, uint64_t h)
{
	return nonce_in(u->nonce[0], h) || nonce_in(u->nonce[1], h);
}

/* Remember a nonce: at least the last CO_NONCES / 2 are always kept. */
static void nonce_add(struct coinone *u, uint64_t h)
{
	uint64_t *tab;
	uint32_t i;

	if (u->nonce_n >= CO_NONCES / 2) {
		u->nonce_gen ^= 1;
		memset(u->nonce[u->nonce_gen], 0, sizeof(u->nonce[0]));
		u->nonce_n = 0;
	}
	tab = u->nonce[u->nonce_gen];
	for (i = (uint32_t)h & (CO_NONCES - 1); tab[i]; i = (i + 1) & (CO_NONCES - 1))
		;
	tab[i] = h;
	u->nonce_n++;
}

/* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, hex in either case. */
static bool is_uuid4(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
			continue;
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return s[14] == '4' && strchr("89abAB", s[19]) != NULL;
}

/* ---- authentication (3.2) --------------------------------------------------------- */

static int b64v(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64 with padding (what the doc's samples send) into out
 * (NUL-terminated): the length, or -1 for anything else or no room.
 */
static int b64_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	if (!n || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int a = b64v(s[i]), b = b64v(s[i + 1]), c, d;
		bool last = i + 4 == n;
		uint32_t x;

		if (a < 0 || b < 0)
			return -1;
		c = s[i + 2] == '=' && last ? -2 : b64v(s[i + 2]);
		d = s[i + 3] == '=' && last ? -2 : b64v(s[i + 3]);
		if (c == -1 || d == -1 || (c == -2 && d != -2))
			return -1;
		x = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
		    (uint32_t)(d < 0 ? 0 : d);
		if (k + 3 >= cap)
			return -1;
		out[k++] = (char)(x >> 16);
		if (c >= 0)
			out[k++] = (char)(x >> 8);
		if (d >= 0)
			out[k++] = (char)x;
	}
	out[k] = '\0';
	return (int)k;
}

static bool hex_eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned diff = 0;

	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'F')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'F')
			y = (char)(y + 32);
		diff |= (unsigned)(x ^ y);
	}
	return !diff;
}

/* A string member's raw text: -1 when absent or not a string. */
static int member_str(const char *src, const struct jr_tok *t, int obj, const char *key,
		      const char **p, size_t *n)
{
	int k = jr_get(src, t, obj, key);

	if (k < 0 || t[k].type != JR_STR)
		return -1;
	*p = src + t[k].start;
	*n = t[k].len;
	return k;
}

/*
 * Check X-COINONE-PAYLOAD pl[0..pn) (pl NULL: absent) and
 * X-COINONE-SIGNATURE sg[0..sn) (NULL: absent): the payload base64 of a
 * JSON object naming the account (access_token) and a fresh UUID v4 nonce,
 * the signature the hex HMAC-SHA512 of the base64 text under the account's
 * secret. On success the payload is in u->payload, parsed into u->tok
 * (object at 0), the nonce remembered and *acct set: -1; else the error.
 * want_ts: the payload must carry a timestamp (ms) within CO_TS_WINDOW_MS
 * of the venue's clock (the private WebSocket's rule).
 */
static int co_auth(struct sim_venue *v, const char *pl, size_t pn, const char *sg, size_t sn,
		   bool want_ts, int *acct)
{
	struct coinone *u = v->priv;
	struct jr_tok *t = u->tok;
	char hex[VENUE_HEX_LEN(VENUE_SHA512_LEN)];
	const struct sim_account *a;
	char key[SIM_KEY_MAX];
	const char *p;
	size_t n;
	int len, k;
	uint64_t h;

	if (!pl || !pn)
		return E_PAYLOAD;
	if (!sg || !sn)
		return E_SIG_MISSING;
	len = b64_decode(pl, pn, u->payload, sizeof(u->payload));
	if (len <= 0 || jr_parse(u->payload, (size_t)len, t, CO_TOKS) < 1 || t[0].type != JR_OBJ)
		return E_PAYLOAD;
	k = jr_get(u->payload, t, 0, "access_token");
	if (k < 0)
		return E_TOKEN_MISSING;
	if (t[k].type != JR_STR || jr_str(u->payload, &t[k], key, sizeof(key)) <= 0)
		return E_TOKEN;
	a = sim_exch_account_by_key(v->x, v->idx, key, strlen(key));
	if (!a)
		return E_TOKEN;
	if (venue_hmac_sha512(a->secret, a->secret_len, pl, pn, VENUE_HEX, hex, sizeof(hex)) !=
	    VENUE_SHA512_LEN * 2 || !hex_eq_ci(sg, sn, hex, VENUE_SHA512_LEN * 2))
		return E_SIG;
	if (member_str(u->payload, t, 0, "nonce", &p, &n) < 0) {
		/* v2's increasing integer is not a v2.1 nonce */
		return jr_get(u->payload, t, 0, "nonce") < 0 ? E_NONCE_MISSING : E_NONCE_UUID;
	}
	if (!is_uuid4(p, n))
		return E_NONCE_UUID;
	if (want_ts) {
		int64_t ts, now = (int64_t)sim_venue_now_ms(v);

		k = jr_get(u->payload, t, 0, "timestamp");
		if (k < 0 || t[k].type != JR_NUM || jr_i64(u->payload, &t[k], &ts) ||
		    ts < now - CO_TS_WINDOW_MS || ts > now + CO_TS_WINDOW_MS)
			return E_PARAM;
	}
	h = nonce_hash(a->id, p, n);
	if (nonce_seen(u, h))
		return E_NONCE_USED;
	nonce_add(u, h);
	*acct = a->id;
	return -1;
}

/* ---- rate limits (3.5) -------------------------------------------------------------- */

static struct co_win *win_at(struct co_win *w, uint64_t now_ms)
{
	if (!w->used || now_ms - w->start_ms >= 1000) {
		w->start_ms = now_ms;
		w->used = 0;
	}
	return w;
}

static uint32_t priv_limit(unsigned g)
{
	return g ? CO_OTHER_SEC : CO_ORDER_SEC;
}

/* Count a private request of group g (0 orders, 1 others): false when over. */
static bool rl_take(struct coinone *u, unsigned acct, unsigned g, uint64_t now_ms)
{
	struct co_win *w = win_at(&u->rl[acct][g], now_ms);

	if (u->unlimited)
		return true;
	if (w->used >= priv_limit(g))
		return false;
	w->used++;
	return true;
}

static uint32_t rl_left(const struct coinone *u, unsigned acct, unsigned g, uint64_t now_ms)
{
	const struct co_win *w = &u->rl[acct][g];

	if (u->unlimited || !w->used || now_ms - w->start_ms >= 1000)
		return priv_limit(g);
	return w->used >= priv_limit(g) ? 0 : priv_limit(g) - w->used;
}

static void pub_refill(struct coinone *u, uint64_t now_ms)
{
	uint64_t cap = CO_PUB_BURST * 1000ull;

	if (now_ms > u->pub_ms) {
		u->pub_mt += (now_ms - u->pub_ms) * CO_PUB_RATE;
		if (u->pub_mt > cap)
			u->pub_mt = cap;
	}
	u->pub_ms = now_ms;
}

static bool pub_take(struct coinone *u, uint64_t now_ms)
{
	pub_refill(u, now_ms);
	if (u->unlimited)
		return true;
	if (u->pub_mt < 1000)
		return false;
	u->pub_mt -= 1000;
	return true;
}

/* ---- REST plumbing ----------------------------------------------------------------- */

struct co_req {
	struct sim_venue *v;
	struct coinone *u;
	struct http_sconn *sc;
	const struct net_http_parser *p;
	const char *path;               /* NUL-terminated copy */
	bool pub;
	uint8_t group;                  /* private: 0 orders, 1 others */
	int acct;                       /* authenticated account, or -1 */
	uint64_t now_ms;
};

/* The rate headers of a reply (public bucket, or the account's group). */
static void rate_hdr(struct coinone *u, bool pub, int acct, unsigned g, char *out, size_t cap)
{
	struct jw w;

	jw_init(&w, out, cap);
	if (pub) {
		pub_refill(u, mono_ms());
		jw_lit(&w, "public-ratelimit-remaining: ");
		jw_u64(&w, u->unlimited ? CO_PUB_BURST : u->pub_mt / 1000);
		jw_lit(&w, "\r\npublic-ratelimit-replenish-rate: 20\r\n"
			   "public-ratelimit-burst-capacity: 1200\r\n");
	} else if (acct >= 0) {
		jw_lit(&w, g ? "Private-Ratelimit-Remaining: " :
			       "Private-Order-Ratelimit-Remaining: ");
		jw_u64(&w, rl_left(u, (unsigned)acct, g, mono_ms()));
		jw_lit(&w, "\r\n");
	}
	if (!jw_done(&w))
		out[0] = '\0';
}

static void send_reply(struct sim_venue *v, struct http_sconn *sc, bool pub, int acct,
		       unsigned g, unsigned status, const char *extra, const char *body,
		       size_t len)
{
	struct coinone *u = v->priv;
	char hdr[384];
	size_t n;

	rate_hdr(u, pub, acct, g, hdr, sizeof(hdr));
	n = strlen(hdr);
	if (extra && n + strlen(extra) < sizeof(hdr))
		memcpy(hdr + n, extra, strlen(extra) + 1);
	if (!sim_rest_reply(v, sc, status, hdr, body, len))
		sim_venue_answered(v, status);
}

static void reply_json(struct co_req *r, struct jw *w)
{
	if (!jw_done(w)) {
		static const char over[] = "{\"result\":\"error\",\"error_code\":\"405\","
					   "\"error_msg\":\"Server error\"}";

		send_reply(r->v, r->sc, r->pub, r->acct, r->group, 500, NULL, over,
			   sizeof(over) - 1);
		return;
	}
	send_reply(r->v, r->sc, r->pub, r->acct, r->group, 200, NULL, w->p, w->len);
}

/* {"result":"error","error_code":"N","error_msg":".."} into w. */
static void err_body(struct jw *w, enum co_err e)
{
	jw_lit(w, "{\"result\":\"error\",\"error_code\":\"");
	jw_lit(w, errs[e].code);
	jw_lit(w, "\",\"error_msg\":");
	jw_str(w, errs[e].msg);
	jw_raw(w, "}", 1);
}

/* Errors are HTTP 200 with result "error" (3.5); status is for the few that are not. */
static void reply_err_status(struct co_req *r, unsigned status, enum co_err e,
			     const char *extra)
{
	struct jw w;

	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	err_body(&w, e);
	if (jw_done(&w))
		send_reply(r->v, r->sc, r->pub, r->acct, r->group, status, extra, w.p, w.len);
}

static void reply_err(struct co_req *r, enum co_err e)
{
	reply_err_status(r, 200, e, NULL);
}

static void ok_head(struct jw *w)
{
	jw_lit(w, "{\"result\":\"success\",\"error_code\":\"0\"");
}

/* ---- request fields (from the signed payload) -------------------------------------- */

/* A string member into out: its length, 0 when absent or null, -1 when not a string. */
static int field_str(struct coinone *u, const char *key, char *out, size_t cap)
{
	int k = jr_get(u->payload, u->tok, 0, key);

	out[0] = '\0';
	if (k < 0 || u->tok[k].type == JR_NULL)
		return 0;
	if (u->tok[k].type != JR_STR)
		return -1;
	return jr_str(u->payload, &u->tok[k], out, cap);
}

/* A decimal member (string or number): 1 given, 0 absent/null, or -(error) */
static int field_fx(struct coinone *u, const char *key, sim_fx *out)
{
	int k = jr_get(u->payload, u->tok, 0, key), e;

	*out = 0;
	if (k < 0 || u->tok[k].type == JR_NULL)
		return 0;
	if (u->tok[k].type != JR_STR && u->tok[k].type != JR_NUM)
		return -1;
	e = jr_fx(u->payload, &u->tok[k], out);
	if (e == -EDOM)
		return -2;      /* finer than the unit */
	if (e || *out <= 0)
		return -1;
	return 1;
}

/* quote_currency and target_currency: the instrument, or the error. */
static int field_pair(struct co_req *r, struct sim_inst **in)
{
	char q[16], t[SIM_SYM_MAX];

	if (field_str(r->u, "quote_currency", q, sizeof(q)) <= 0 ||
	    field_str(r->u, "target_currency", t, sizeof(t)) <= 0)
		return E_PARAM;
	return pair_inst(r->v, q, t, in);
}

/* user_order_id: <= 150 of a-z 0-9 - _ . (3.3); exsim keeps SIM_CID_MAX - 1. */
static bool uoid_ok(const char *s, size_t n)
{
	if (!n || n > CO_UOID_MAX || n >= SIM_CID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* ---- orders --------------------------------------------------------------------------- */

static struct co_meta *meta_of(struct coinone *u, const struct sim_order *o)
{
	if (!o->id) {
		for (uint32_t i = 0; i < CO_PHANTOMS; i++)
			if (&u->phantom[i] == o)
				return &u->phantom_meta[i];
		return NULL;
	}
	return u->meta[o->id % CO_META].order_id == o->id ? &u->meta[o->id % CO_META] : NULL;
}

static bool is_market(struct coinone *u, const struct sim_order *o)
{
	const struct co_meta *m = meta_of(u, o);

	return m ? m->vtype == VT_MARKET : o->type != SIM_ORD_LIMIT;
}

/* The detail status (3.3) of an order. */
static const char *detail_status(struct coinone *u, const struct sim_order *o)
{
	const struct co_meta *m = meta_of(u, o);

	switch (o->status) {
	case SIM_ST_NEW:
		return "LIVE";
	case SIM_ST_PARTIAL:
		return "PARTIALLY_FILLED";
	case SIM_ST_FILLED:
		return "FILLED";
	case SIM_ST_CANCELED:
		return o->filled ? "PARTIALLY_CANCELED" : "CANCELED";
	case SIM_ST_EXPIRED:
		if (m && m->vtype == VT_MARKET && m->limit_px)
			return "CANCELED_LIMIT_PRICE_EXCEED";
		if (!o->filled)
			return "CANCELED_NO_ORDER";
		return o->type == SIM_ORD_MARKET_QUOTE ? "CANCELED_UNDER_PRODUCT_UNIT" :
							 "PARTIALLY_CANCELED";
	default:
		return "CANCELED";
	}
}

static sim_fx avg_px(const struct sim_order *o)
{
	return o->filled ? sim_div(o->filled_quote, o->filled) : 0;
}

/* The fee rate an order paid (its fee over its notional), or the taker rate. */
static void jw_order_rate(struct jw *w, const struct sim_venue *v, const struct sim_order *o)
{
	if (o->filled_quote > 0)
		jw_qfx(w, sim_div(o->fee, o->filled_quote));
	else
		jw_rate(w, v->cfg->taker_fee);
}

static bool order_closed(const struct sim_order *o)
{
	return !o->open;
}

/* Cancelled quantity: what was left when the order ended short of filled. */
static sim_fx canceled_qty(const struct sim_order *o)
{
	if (o->status == SIM_ST_CANCELED || o->status == SIM_ST_EXPIRED)
		return o->qty ? fx_pos(o->qty - o->filled) : 0;
	return 0;
}

/*
 * POST /v2.1/order/detail's order object: the keys of
 * coinone-rest.jsonl lines 2-4 (LIMIT, MARKET buy with average_fee_rate,
 * MARKET sell), null where a field does not apply.
 */
static void detail_obj(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	struct coinone *u = v->priv;
	const struct co_meta *m = meta_of(u, o);
	const struct sim_inst *in = order_inst(v, o);
	bool mkt = is_market(u, o), buy = o->side == SIM_BID;
	bool by_amount = mkt && buy;
	sim_fx amount = m && m->amount ? m->amount : o->quote_qty;
	sim_fx oqty = mkt && m && m->qty ? m->qty : o->qty;

	jw_lit(w, "{\"order_id\":");
	jw_str(w, o->uuid);
	jw_lit(w, mkt ? ",\"type\":\"MARKET\"" : ",\"type\":\"LIMIT\"");
	jw_lit(w, ",\"quote_currency\":\"KRW\",\"target_currency\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"status\":\"");
	jw_lit(w, detail_status(u, o));
	jw_lit(w, buy ? "\",\"side\":\"BUY\",\"fee\":" : "\",\"side\":\"SELL\",\"fee\":");
	jw_qfx(w, o->fee);
	jw_lit(w, by_amount ? ",\"average_fee_rate\":" : ",\"fee_rate\":");
	jw_order_rate(w, v, o);
	jw_lit(w, ",\"average_executed_price\":");
	jw_qfx(w, avg_px(o));
	jw_lit(w, ",\"updated_at\":");
	jw_u64(w, vts(v, o->updated_ms));
	jw_lit(w, ",\"ordered_at\":");
	jw_u64(w, vts(v, o->created_ms));
	jw_lit(w, ",\"price\":");
	jw_qfx_or_null(w, !mkt, o->px);
	jw_lit(w, ",\"original_qty\":");
	jw_qfx_or_null(w, !by_amount, oqty);
	jw_lit(w, ",\"executed_qty\":");
	jw_qfx(w, o->filled);
	jw_lit(w, ",\"canceled_qty\":");
	jw_qfx_or_null(w, !by_amount, mkt ? (order_closed(o) ? fx_pos(oqty - o->filled) : 0) :
				      canceled_qty(o));
	jw_lit(w, ",\"remain_qty\":");
	jw_qfx_or_null(w, !mkt, o->open ? fx_pos(o->qty - o->filled) : 0);
	jw_lit(w, ",\"limit_price\":");
	jw_qfx_or_null(w, mkt && m && m->limit_px, m ? m->limit_px : 0);
	jw_lit(w, ",\"traded_amount\":");
	jw_qfx_or_null(w, by_amount, o->filled_quote);
	jw_lit(w, ",\"original_amount\":");
	jw_qfx_or_null(w, by_amount, amount);
	jw_lit(w, ",\"canceled_amount\":");
	jw_qfx_or_null(w, by_amount, order_closed(o) ? fx_pos(amount - o->filled_quote) : 0);
	jw_lit(w, ",\"is_triggered\":null,\"trigger_price\":null}");
}

/* An active_orders element. */
static void active_obj(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	jw_lit(w, "{\"order_id\":");
	jw_str(w, o->uuid);
	jw_lit(w, ",\"type\":\"LIMIT\",\"quote_currency\":\"KRW\",\"target_currency\":");
	jw_str(w, order_inst(v, o)->sym);
	jw_lit(w, ",\"price\":");
	jw_qfx(w, o->px);
	jw_lit(w, ",\"remain_qty\":");
	jw_qfx(w, fx_pos(o->qty - o->filled));
	jw_lit(w, ",\"original_qty\":");
	jw_qfx(w, o->qty);
	jw_lit(w, ",\"canceled_qty\":\"0\",\"executed_qty\":");
	jw_qfx(w, o->filled);
	jw_lit(w, o->side == SIM_BID ? ",\"side\":\"BUY\",\"fee\":" : ",\"side\":\"SELL\",\"fee\":");
	jw_qfx(w, o->fee);
	jw_lit(w, ",\"fee_rate\":");
	jw_order_rate(w, v, o);
	jw_lit(w, ",\"average_executed_price\":");
	jw_qfx(w, avg_px(o));
	jw_lit(w, ",\"ordered_at\":");
	jw_u64(w, vts(v, o->created_ms));
	jw_lit(w, ",\"is_triggered\":null,\"trigger_price\":null,\"triggered_at\":null,"
		  "\"user_order_id\":");
	if (o->cid[0])
		jw_str(w, o->cid);
	else
		jw_raw(w, "null", 4);
	jw_raw(w, "}", 1);
}

static void send_myorder(struct sim_venue *v, const struct sim_order *o,
			 const struct sim_fill *f, const char *status);

static enum co_err rej_err(enum sim_reject rej)
{
	switch (rej) {
	case SIM_REJ_FUNDS:
		return E_FUNDS;
	case SIM_REJ_TICK:
		return E_PRICE_UNIT;
	case SIM_REJ_STEP:
		return E_QTY_UNIT;
	case SIM_REJ_MIN_QTY:
	case SIM_REJ_MIN_NOTIONAL:
		return E_MIN;
	case SIM_REJ_MAX_QTY:
	case SIM_REJ_MAX_NOTIONAL:
		return E_MAX;
	case SIM_REJ_PRICE_RANGE:
		return E_RANGE;
	case SIM_REJ_DUP_CID:
		return E_DUP_UOID;
	case SIM_REJ_NO_MARKET:
		return E_PAIR;
	case SIM_REJ_BAD_PARAM:
		return E_PARAM;
	default:        /* FOK, TOO_MANY_ORDERS */
		return E_ORDER_INFO;
	}
}

/*
 * A post-only order that would take: the venue creates it and cancels it
 * (MYORDER cancel_post_only, MYASSET type cancel_post_only exist for it),
 * so the client gets an order_id and can look it up; the engine rejected
 * it outright (its user_order_id spent), so what the client saw is kept
 * here. The ground truth (ledger: rejected, nothing filled or locked) is
 * the same outcome.
 */
static struct sim_order *phantom_add(struct sim_venue *v, const struct sim_order *rej,
				     const struct co_meta *m)
{
	struct coinone *u = v->priv;
	uint32_t i = u->phantom_next++ % CO_PHANTOMS;
	struct sim_order *p = &u->phantom[i];

	*p = *rej;
	u->phantom_meta[i] = *m;
	p->id = 0;
	make_uuid(p->uuid, ((uint64_t)v->idx << 56) | (1ull << 54) | ++u->phantom_seq,
		  0x706f7374ull);
	p->status = SIM_ST_NEW;
	p->reject = SIM_OK;
	p->open = false;
	p->locked = 0;
	send_myorder(v, p, NULL, "wait");
	p->status = SIM_ST_CANCELED;
	send_myorder(v, p, NULL, "cancel_post_only");
	return p;
}

static void job_order(struct sim_venue *v, struct sim_job *j)
{
	struct coinone *u = v->priv;
	struct co_ord_job oj;
	struct sim_order *o = NULL;
	enum sim_reject rej;
	int acct;
	struct jw w;

	memcpy(&oj, j->data, sizeof(oj));
	acct = oj.req.acct;
	u->cur_type = "order";
	u->cur_meta = &oj.meta;
	rej = sim_exch_submit(v->x, &oj.req, &o);
	u->cur_type = NULL;
	u->cur_meta = NULL;
	if (rej == SIM_REJ_WOULD_TAKE && o) {
		o = phantom_add(v, o, &oj.meta);
		rej = SIM_OK;
	}
	/* matched (or refused) either way; the faults only touch the answer */
	if (sim_fault_take(v, SIM_FAULT_DROP_RESPONSE) || !sim_job_sc_live(j))
		return;
	if (sim_fault_take(v, SIM_FAULT_HTTP_5XX)) {
		send_reply(v, j->sc, false, acct, 0, 503, NULL, NULL, 0);
		return;
	}
	jw_init(&w, u->reply, sizeof(u->reply));
	if (rej || !o) {
		err_body(&w, rej_err(rej));
	} else {
		ok_head(&w);
		jw_lit(&w, ",\"order_id\":");
		jw_str(&w, o->uuid);
		jw_raw(&w, "}", 1);
	}
	if (jw_done(&w))
		send_reply(v, j->sc, false, acct, 0, 200, NULL, w.p, w.len);
}

/* The engine's order id the meta is filed under, once it has one. */
static void meta_file(struct coinone *u, const struct sim_order *o, const struct co_meta *m)
{
	struct co_meta *s = &u->meta[o->id % CO_META];

	*s = *m;
	s->order_id = o->id;
}

/*
 * POST /v2.1/order (3.3's matrix): checked here, matched after the order
 * latency (job_order). MARKET with limit_price is an IOC limit at that
 * price (buy: qty = amount / limit_price, down to the unit): the engine
 * has no by-amount market order with a price cap; the venue's own fields
 * (type MARKET, amount, limit_price) are kept for the replies.
 */
static void h_order(struct co_req *r)
{
	struct coinone *u = r->u;
	struct co_ord_job oj;
	struct sim_order_req *q = &oj.req;
	struct co_meta *m = &oj.meta;
	struct sim_inst *in;
	char side[8], type[16], uoid[CO_UOID_MAX + 2];
	sim_fx px, qty, amount, lim;
	int e, hp, hq, ha, hl, k, n;

	memset(&oj, 0, sizeof(oj));
	e = field_pair(r, &in);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	if (field_str(u, "side", side, sizeof(side)) <= 0 ||
	    (strcmp(side, "BUY") && strcmp(side, "SELL"))) {
		reply_err(r, E_PARAM);
		return;
	}
	if (field_str(u, "type", type, sizeof(type)) <= 0 ||
	    (strcmp(type, "LIMIT") && strcmp(type, "MARKET"))) {
		reply_err(r, E_TYPE);   /* STOP_LIMIT is not simulated */
		return;
	}
	n = field_str(u, "user_order_id", uoid, sizeof(uoid));
	if (n < 0 || (n > 0 && !uoid_ok(uoid, (size_t)n))) {
		reply_err(r, E_UOID);
		return;
	}
	hp = field_fx(u, "price", &px);
	hq = field_fx(u, "qty", &qty);
	ha = field_fx(u, "amount", &amount);
	hl = field_fx(u, "limit_price", &lim);
	if (hq == -2) {
		reply_err(r, E_QTY_UNIT);
		return;
	}
	if (hp < 0 || hl < 0) {
		reply_err(r, E_PRICE);
		return;
	}
	if (hq < 0 || ha < 0) {
		reply_err(r, E_PARAM);
		return;
	}
	q->inst = in->id;
	q->acct = (uint8_t)r->acct;
	q->side = strcmp(side, "BUY") ? SIM_ASK : SIM_BID;
	if (n > 0)
		memcpy(q->cid, uoid, (size_t)n + 1);
	if (!strcmp(type, "LIMIT")) {
		if (!hp) {
			reply_err(r, E_NEED_PRICE);
			return;
		}
		if (!hq) {
			reply_err(r, E_NEED_QTY);
			return;
		}
		k = jr_get(u->payload, u->tok, 0, "post_only");
		if (k < 0 || u->tok[k].type == JR_NULL) {
			reply_err(r, E_NEED_POST_ONLY);
			return;
		}
		if (u->tok[k].type != JR_TRUE && u->tok[k].type != JR_FALSE) {
			reply_err(r, E_PARAM);
			return;
		}
		m->vtype = VT_LIMIT;
		m->post_only = u->tok[k].type == JR_TRUE;
		q->type = SIM_ORD_LIMIT;
		q->tif = m->post_only ? SIM_POST_ONLY : SIM_GTC;
		q->px = px;
		q->qty = qty;
	} else {
		m->vtype = VT_MARKET;
		m->limit_px = hl > 0 ? lim : 0;
		if (q->side == SIM_BID) {
			if (!ha) {
				reply_err(r, E_NEED_AMOUNT);
				return;
			}
			m->amount = amount;
		} else {
			if (!hq) {
				reply_err(r, E_NEED_QTY);
				return;
			}
			m->qty = qty;
		}
		if (m->limit_px) {
			q->type = SIM_ORD_LIMIT;
			q->tif = SIM_IOC;
			q->px = sim_inst_round_px(in, m->limit_px, q->side);
			if (q->px <= 0) {
				reply_err(r, E_PRICE);
				return;
			}
			q->qty = q->side == SIM_BID ? sim_div(amount, q->px) : qty;
			if (q->qty <= 0) {
				reply_err(r, E_MIN);
				return;
			}
		} else if (q->side == SIM_BID) {
			q->type = SIM_ORD_MARKET_QUOTE;
			q->quote_qty = amount;
		} else {
			q->type = SIM_ORD_MARKET;
			q->qty = qty;
		}
	}
	q->recv_ns = sim_now_real_ns();
	if (kimp_unlikely(r->v->x->trace)) {
		uint64_t tsc = net_loop_rx_tsc(sim_server_loop(r->v->srv));

		sim_trace_order(r->v->x->trace, r->v->idx, tsc ? tsc : kimp_rdtsc(), q->cid);
	}
	if (sim_defer(r->v, r->v->cfg->order_latency_ns, job_order, r->sc, NULL, &oj,
		      sizeof(oj)))
		reply_err_status(r, 503, E_SERVER, NULL);
}

/* The order named by order_id xor user_order_id (313), of the account and pair. */
static int named_order(struct co_req *r, struct sim_inst *in, struct sim_order **out)
{
	struct coinone *u = r->u;
	char id[64], uoid[CO_UOID_MAX + 2];
	int ni = field_str(u, "order_id", id, sizeof(id));
	int nu = field_str(u, "user_order_id", uoid, sizeof(uoid));
	struct sim_order *o = NULL;

	*out = NULL;
	if (ni < 0 || nu < 0)
		return E_PARAM;
	if ((ni > 0) == (nu > 0))
		return E_ID_PAIR;
	if (ni > 0) {
		o = sim_exch_find_uuid(r->v->x, r->v->idx, id);
		for (uint32_t i = 0; !o && i < CO_PHANTOMS; i++)
			if (u->phantom[i].uuid[0] && !strcmp(u->phantom[i].uuid, id))
				o = &u->phantom[i];
	} else if (nu < SIM_CID_MAX) {
		o = sim_exch_find_cid(r->v->x, (unsigned)r->acct, uoid);
		for (uint32_t i = 0; !o && i < CO_PHANTOMS; i++)
			if (u->phantom[i].uuid[0] && u->phantom[i].acct == r->acct &&
			    !strcmp(u->phantom[i].cid, uoid))
				o = &u->phantom[i];
	}
	if (!o || o->acct != r->acct || o->inst != in->id || o->status == SIM_ST_REJECTED)
		return E_NO_ORDER;
	*out = o;
	return -1;
}

static void h_detail(struct co_req *r)
{
	struct sim_inst *in;
	struct sim_order *o;
	struct jw w;
	int e = field_pair(r, &in);

	if (e < 0)
		e = named_order(r, in, &o);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"order\":");
	detail_obj(r->v, &w, o);
	jw_raw(&w, "}", 1);
	reply_json(r, &w);
}

/* The cancel reply: coinone-rest.jsonl line 1's keys (times in ms, as the field says). */
static void cancel_reply(struct sim_venue *v, struct jw *w, const struct sim_order *o)
{
	jw_init(w, ((struct coinone *)v->priv)->reply, CO_REPLY_MAX);
	ok_head(w);
	jw_lit(w, ",\"order_id\":");
	jw_str(w, o->uuid);
	jw_lit(w, ",\"price\":");
	jw_qfx(w, o->px);
	jw_lit(w, ",\"qty\":");
	jw_qfx(w, canceled_qty(o));
	jw_lit(w, ",\"remain_qty\":\"0\",\"side\":");
	jw_lit(w, o->side == SIM_BID ? "\"BUY\"" : "\"SELL\"");
	jw_lit(w, ",\"original_qty\":");
	jw_qfx(w, o->qty);
	jw_lit(w, ",\"traded_qty\":");
	jw_qfx(w, o->filled);
	jw_lit(w, ",\"canceled_qty\":");
	jw_qfx(w, canceled_qty(o));
	jw_lit(w, ",\"fee\":");
	jw_qfx(w, o->fee);
	jw_lit(w, ",\"fee_rate\":");
	jw_order_rate(w, v, o);
	jw_lit(w, ",\"avg_price\":");
	jw_qfx(w, avg_px(o));
	jw_lit(w, ",\"canceled_at\":");
	jw_u64(w, vts(v, o->updated_ms));
	jw_lit(w, ",\"ordered_at\":");
	jw_u64(w, vts(v, o->created_ms));
	jw_raw(w, "}", 1);
}

static void job_cancel(struct sim_venue *v, struct sim_job *j)
{
	struct coinone *u = v->priv;
	struct co_cancel_job cj;
	struct sim_order *o;
	struct jw w;

	memcpy(&cj, j->data, sizeof(cj));
	o = sim_exch_find_id(v->x, v->idx, cj.id);
	if (!o) {
		if (sim_job_sc_live(j)) {
			jw_init(&w, u->reply, sizeof(u->reply));
			err_body(&w, E_NO_ORDER);
			if (jw_done(&w))
				send_reply(v, j->sc, false, cj.acct, 0, 200, NULL, w.p, w.len);
		}
		return;
	}
	if (o->open) {
		u->cur_type = "cancel";
		sim_exch_cancel(v->x, o);
		u->cur_type = NULL;
	}
	if (!sim_job_sc_live(j) || sim_fault_take(v, SIM_FAULT_DROP_RESPONSE))
		return;
	jw_init(&w, u->reply, sizeof(u->reply));
	if (o->status == SIM_ST_FILLED)
		err_body(&w, E_TRADED);
	else
		cancel_reply(v, &w, o);
	if (jw_done(&w))
		send_reply(v, j->sc, false, cj.acct, 0, 200, NULL, w.p, w.len);
}

/* POST /v2.1/order/cancel: the cancel after the order latency (job_cancel). */
static void h_cancel(struct co_req *r)
{
	struct co_cancel_job cj;
	struct sim_inst *in;
	struct sim_order *o;
	int e = field_pair(r, &in);

	if (e < 0)
		e = named_order(r, in, &o);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	if (!o->open) {
		reply_err(r, o->status == SIM_ST_FILLED ? E_TRADED : E_CANCELED);
		return;
	}
	cj.id = o->id;
	cj.acct = (uint8_t)r->acct;
	if (sim_defer(r->v, r->v->cfg->order_latency_ns, job_cancel, r->sc, NULL, &cj,
		      sizeof(cj)))
		reply_err_status(r, 503, E_SERVER, NULL);
}

/* POST /v2.1/order/cancel/all: every open order of the pair, now. */
static void h_cancel_all(struct co_req *r)
{
	struct coinone *u = r->u;
	struct sim_inst *in;
	uint32_t n;
	struct jw w;
	int e = field_pair(r, &in);

	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	n = sim_exch_open_orders(r->v->x, (unsigned)r->acct, in->id, u->open, CO_OPEN_MAX);
	u->cur_type = "cancel";
	for (uint32_t i = 0; i < n; i++)
		sim_exch_cancel(r->v->x, u->open[i]);
	u->cur_type = NULL;
	jw_init(&w, u->reply, sizeof(u->reply));
	ok_head(&w);
	jw_raw(&w, "}", 1);
	reply_json(r, &w);
}

/* POST /v2.1/order/active_orders: the pair's (or every) open LIMIT order. */
static void h_active(struct co_req *r)
{
	struct coinone *u = r->u;
	struct sim_inst *in = NULL;
	char q[16], t[SIM_SYM_MAX];
	uint32_t n;
	struct jw w;
	int nq = field_str(u, "quote_currency", q, sizeof(q));
	int nt = field_str(u, "target_currency", t, sizeof(t));

	if (nq < 0 || nt < 0 || (nq > 0) != (nt > 0)) {
		reply_err(r, E_PARAM);
		return;
	}
	if (nq > 0) {
		int e = pair_inst(r->v, q, t, &in);

		if (e >= 0) {
			reply_err(r, (enum co_err)e);
			return;
		}
	}
	n = sim_exch_open_orders(r->v->x, (unsigned)r->acct, in ? in->id : -1, u->open,
				 CO_OPEN_MAX);
	jw_init(&w, u->reply, sizeof(u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"active_orders\":[");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			jw_raw(&w, ",", 1);
		active_obj(r->v, &w, u->open[i]);
	}
	jw_lit(&w, "]}");
	reply_json(r, &w);
}

/* POST /v2.1/account/balance/all: every asset the account holds or has held. */
static void h_balance(struct co_req *r)
{
	const struct sim_account *a = &r->v->x->acct[r->acct];
	unsigned n = 0;
	struct jw w;

	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"balances\":[");
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++) {
		const char *name = sim_asset_name(i);

		if (!name || (!a->free[i] && !a->locked[i] && strcmp(name, "KRW")))
			continue;
		if (n++)
			jw_raw(&w, ",", 1);
		jw_lit(&w, "{\"available\":");
		jw_qfx(&w, a->free[i]);
		jw_lit(&w, ",\"limit\":");
		jw_qfx(&w, a->locked[i]);
		jw_lit(&w, ",\"average_price\":\"0\",\"currency\":");
		jw_str(&w, name);
		jw_raw(&w, "}", 1);
	}
	jw_lit(&w, "]}");
	reply_json(r, &w);
}

/* POST /v2.1/account/trade_fee/{quote}/{target}. */
static void h_trade_fee(struct co_req *r)
{
	const char *p = r->path + strlen("/v2.1/account/trade_fee/"), *sl = strchr(p, '/');
	char q[16], t[SIM_SYM_MAX];
	struct sim_inst *in;
	struct jw w;
	int e;

	if (!sl || (size_t)(sl - p) >= sizeof(q) || strlen(sl + 1) >= sizeof(t)) {
		reply_err(r, E_PAIR);
		return;
	}
	memcpy(q, p, (size_t)(sl - p));
	q[sl - p] = '\0';
	memcpy(t, sl + 1, strlen(sl + 1) + 1);
	e = pair_inst(r->v, q, t, &in);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"maker_fee_rate\":");
	jw_rate(&w, r->v->cfg->maker_fee);
	jw_lit(&w, ",\"taker_fee_rate\":");
	jw_rate(&w, r->v->cfg->taker_fee);
	jw_raw(&w, "}", 1);
	reply_json(r, &w);
}

/* ---- public REST (3.5) ------------------------------------------------------------- */

/* "/public/v2/<what>/{quote}[/{target}]": quote and target (may be empty). */
static bool path_pair(const char *rest, char *q, size_t qcap, char *t, size_t tcap)
{
	const char *sl = strchr(rest, '/');
	size_t qn = sl ? (size_t)(sl - rest) : strlen(rest);

	if (!qn || qn >= qcap)
		return false;
	memcpy(q, rest, qn);
	q[qn] = '\0';
	t[0] = '\0';
	if (sl) {
		size_t tn = strlen(sl + 1);

		if (!tn || tn >= tcap || strchr(sl + 1, '/'))
			return false;
		memcpy(t, sl + 1, tn + 1);
	}
	return true;
}

static void market_obj(struct sim_venue *v, struct jw *w, const struct sim_inst *in)
{
	jw_lit(w, "{\"quote_currency\":\"KRW\",\"target_currency\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"price_unit\":");
	jw_qfx(w, sim_inst_tick_at(in, in->last_px ? in->last_px : in->open_px));
	jw_lit(w, ",\"qty_unit\":\"0.00000001\",\"max_order_amount\":");
	jw_qfx(w, CO_MAX_TOTAL);
	jw_lit(w, ",\"max_price\":\"10000000000\",\"max_qty\":\"100000000000\","
		  "\"min_order_amount\":\"5000.0\",\"min_price\":\"0.0001\","
		  "\"min_qty\":\"0.00000001\",\"order_book_units\":[\"0.0\"],"
		  "\"maintenance_status\":0,\"trade_status\":1,"
		  "\"order_types\":[\"limit\",\"market\",\"stop_limit\"]}");
	(void)v;
}

/* GET /public/v2/markets/{quote}[/{target}]: USDT, BTC, ... quotes list nothing. */
static void h_markets(struct co_req *r)
{
	char q[16], t[SIM_SYM_MAX];
	unsigned n = 0;
	struct jw w;

	if (!path_pair(r->path + strlen("/public/v2/markets/"), q, sizeof(q), t, sizeof(t))) {
		reply_err(r, E_PARAM);
		return;
	}
	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"server_time\":");
	jw_u64(&w, sim_venue_now_ms(r->v));
	jw_lit(&w, ",\"markets\":[");
	if (!strcmp(q, "KRW")) {
		for (uint32_t i = 0; i < r->v->ninst; i++) {
			const struct sim_inst *in = sim_venue_inst(r->v, i);

			if (t[0] && strcmp(t, in->sym))
				continue;
			if (n++)
				jw_raw(&w, ",", 1);
			market_obj(r->v, &w, in);
		}
		if (t[0] && !n) {
			reply_err(r, E_CURRENCY);
			return;
		}
	}
	jw_lit(&w, "]}");
	reply_json(r, &w);
}

static void jw_levels(struct jw *w, const struct sim_book_side *s, uint32_t n, bool reverse)
{
	jw_raw(w, "[", 1);
	for (uint32_t k = 0; k < n; k++) {
		const struct sim_level *l = &s->lv[reverse ? n - 1 - k : k];

		if (k)
			jw_raw(w, ",", 1);
		jw_lit(w, "{\"price\":");
		jw_qfx(w, l->px);
		jw_lit(w, ",\"qty\":");
		jw_qfx(w, l->qty);
		jw_raw(w, "}", 1);
	}
	jw_raw(w, "]", 1);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The id a book or ticker frame gets: ms x 1000 + a counter, always increasing. */
static uint64_t next_id(uint64_t *last, uint64_t ms)
{
	uint64_t id = ms * 1000 + 1;

	if (id <= *last)
		id = *last + 1;
	*last = id;
	return id;
}

/* GET /public/v2/orderbook/{quote}/{target}?size=5|10|15|16: both sides best first. */
static void h_orderbook(struct co_req *r)
{
	struct coinone *u = r->u;
	struct net_http_str qs = net_http_query(r->p);
	char q[16], t[SIM_SYM_MAX];
	uint32_t size = CO_SIZE_DEF;
	struct sim_inst *in;
	struct jw w;
	int e;

	if (!path_pair(r->path + strlen("/public/v2/orderbook/"), q, sizeof(q), t, sizeof(t)) ||
	    !t[0]) {
		reply_err(r, E_PARAM);
		return;
	}
	if (qs.p && qs.len) {
		if (qs.len == 7 && !memcmp(qs.p, "size=16", 7))
			size = 16;
		else if (qs.len == 7 && !memcmp(qs.p, "size=15", 7))
			size = 15;
		else if (qs.len == 7 && !memcmp(qs.p, "size=10", 7))
			size = 10;
		else if (qs.len == 6 && !memcmp(qs.p, "size=5", 6))
			size = 5;
		else {
			reply_err(r, E_PARAM);
			return;
		}
	}
	e = pair_inst(r->v, q, t, &in);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	jw_init(&w, u->reply, sizeof(u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"timestamp\":");
	jw_u64(&w, in->view.ts_ms ? in->view.ts_ms : vts(r->v, in->book_ts_ms));
	jw_lit(&w, ",\"id\":\"");
	jw_u64(&w, u->book_id[in->vidx] ? u->book_id[in->vidx] :
		   next_id(&u->book_id[in->vidx], vts(r->v, in->book_ts_ms)));
	jw_lit(&w, "\",\"quote_currency\":\"KRW\",\"target_currency\":");
	jw_str(&w, in->sym);
	jw_lit(&w, ",\"order_book_unit\":\"0.0\",\"bids\":");
	jw_levels(&w, &in->book.side[SIM_BID], min_u32(in->book.side[SIM_BID].n, size), false);
	jw_lit(&w, ",\"asks\":");
	jw_levels(&w, &in->book.side[SIM_ASK], min_u32(in->book.side[SIM_ASK].n, size), false);
	jw_raw(&w, "}", 1);
	reply_json(r, &w);
}

/* GET /public/v2/range_units/{quote}/{target}: the pair's tick table (numbers, not strings). */
static void h_range_units(struct co_req *r)
{
	char q[16], t[SIM_SYM_MAX];
	struct sim_inst *in;
	struct jw w;
	int e;

	if (!path_pair(r->path + strlen("/public/v2/range_units/"), q, sizeof(q), t,
		       sizeof(t)) || !t[0]) {
		reply_err(r, E_PARAM);
		return;
	}
	e = pair_inst(r->v, q, t, &in);
	if (e >= 0) {
		reply_err(r, (enum co_err)e);
		return;
	}
	jw_init(&w, r->u->reply, sizeof(r->u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"range_price_units\":[");
	for (size_t i = 0; i < N_RANGES; i++) {
		bool split = in->tick_fn == co_tick_coarse && ranges[i].from < CO_COARSE_FROM &&
			     ranges[i].to > CO_COARSE_FROM;

		if (in->tick_fn == co_tick_coarse && ranges[i].from >= CO_COARSE_FROM)
			break;
		if (i)
			jw_raw(&w, ",", 1);
		jw_lit(&w, "{\"range_min\":");
		jw_fx_short(&w, ranges[i].from);
		jw_lit(&w, ",\"next_range_min\":");
		jw_fx_short(&w, split ? CO_COARSE_FROM : ranges[i].to);
		jw_lit(&w, ",\"price_unit\":");
		jw_fx_short(&w, ranges[i].unit);
		jw_raw(&w, "}", 1);
		if (split) {
			jw_lit(&w, ",{\"range_min\":");
			jw_fx_short(&w, CO_COARSE_FROM);
			jw_lit(&w, ",\"next_range_min\":");
			jw_fx_short(&w, ranges[i].to);
			jw_lit(&w, ",\"price_unit\":");
			jw_fx_short(&w, CO_COARSE_UNIT);
			jw_raw(&w, "}", 1);
		}
	}
	jw_lit(&w, "]}");
	reply_json(r, &w);
}

static void lower_str(struct jw *w, const char *s)
{
	char b[SIM_SYM_MAX];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(b); i++)
		b[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	b[i] = '\0';
	jw_str(w, b);
}

/* GET /public/v2/ticker_new/{quote}[/{target}]: currencies in lowercase here. */
static void h_ticker(struct co_req *r)
{
	struct coinone *u = r->u;
	char q[16], t[SIM_SYM_MAX];
	unsigned n = 0;
	struct jw w;

	if (!path_pair(r->path + strlen("/public/v2/ticker_new/"), q, sizeof(q), t, sizeof(t))) {
		reply_err(r, E_PARAM);
		return;
	}
	if (strcmp(q, "KRW")) {
		reply_err(r, E_PAIR);
		return;
	}
	jw_init(&w, u->reply, sizeof(u->reply));
	ok_head(&w);
	jw_lit(&w, ",\"server_time\":");
	jw_u64(&w, sim_venue_now_ms(r->v));
	jw_lit(&w, ",\"tickers\":[");
	for (uint32_t i = 0; i < r->v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(r->v, i);

		if (t[0] && strcmp(t, in->sym))
			continue;
		if (n++)
			jw_raw(&w, ",", 1);
		jw_lit(&w, "{\"quote_currency\":\"krw\",\"target_currency\":");
		lower_str(&w, in->sym);
		jw_lit(&w, ",\"timestamp\":");
		jw_u64(&w, sim_venue_now_ms(r->v));
		jw_lit(&w, ",\"high\":");
		jw_qfx(&w, in->high_px);
		jw_lit(&w, ",\"low\":");
		jw_qfx(&w, in->low_px);
		jw_lit(&w, ",\"first\":");
		jw_qfx(&w, in->open_px);
		jw_lit(&w, ",\"last\":");
		jw_qfx(&w, in->last_px);
		jw_lit(&w, ",\"quote_volume\":");
		jw_qfx(&w, in->acc_quote);
		jw_lit(&w, ",\"target_volume\":");
		jw_qfx(&w, in->acc_volume);
		jw_lit(&w, ",\"best_asks\":");
		jw_levels(&w, &in->book.side[SIM_ASK], min_u32(in->book.side[SIM_ASK].n, 1), false);
		jw_lit(&w, ",\"best_bids\":");
		jw_levels(&w, &in->book.side[SIM_BID], min_u32(in->book.side[SIM_BID].n, 1), false);
		jw_lit(&w, ",\"id\":\"");
		jw_u64(&w, next_id(&u->tick_id[i], sim_venue_now_ms(r->v)));
		jw_lit(&w, "\"}");
	}
	if (t[0] && !n) {
		reply_err(r, E_CURRENCY);
		return;
	}
	jw_lit(&w, "]}");
	reply_json(r, &w);
}

/* ---- routing ------------------------------------------------------------------------- */

static const struct co_route {
	const char *path;
	bool prefix;                    /* path is a prefix ("/public/v2/markets/") */
	bool pub;
	uint8_t group;                  /* private: 0 orders, 1 others */
	void (*fn)(struct co_req *r);
} routes[] = {
	{ "/v2.1/order", false, false, 0, h_order },
	{ "/v2.1/order/cancel", false, false, 0, h_cancel },
	{ "/v2.1/order/cancel/all", false, false, 0, h_cancel_all },
	{ "/v2.1/order/detail", false, false, 1, h_detail },
	{ "/v2.1/order/active_orders", false, false, 1, h_active },
	{ "/v2.1/account/balance/all", false, false, 1, h_balance },
	{ "/v2.1/account/trade_fee/", true, false, 1, h_trade_fee },
	{ "/public/v2/markets/", true, true, 0, h_markets },
	{ "/public/v2/orderbook/", true, true, 0, h_orderbook },
	{ "/public/v2/range_units/", true, true, 0, h_range_units },
	{ "/public/v2/ticker_new/", true, true, 0, h_ticker },
};

/*
 * A rate-limit refusal: HTTP 429 with error 4 ("Blocked user access", the
 * doc's over-limit code); the doc names the code but not the status, and a
 * 429 is what every client treats as "slow down".
 */
static void reply_limited(struct co_req *r)
{
	reply_err_status(r, 429, E_BLOCKED, NULL);
}

static void co_rest(struct sim_venue *v, struct http_sconn *sc, const struct net_http_parser *p)
{
	struct coinone *u = v->priv;
	struct net_http_str path = net_http_path(p);
	const struct co_route *rt = NULL;
	uint64_t now_ns = net_now_ns(), ban_ns;
	char pbuf[128];
	struct co_req r;
	bool known = false;

	memset(&r, 0, sizeof(r));
	r.v = v;
	r.u = u;
	r.sc = sc;
	r.p = p;
	r.acct = -1;
	r.pub = true;
	r.now_ms = now_ns / NS_PER_MS;
	if (path.len >= sizeof(pbuf))
		path.len = sizeof(pbuf) - 1;
	memcpy(pbuf, path.p, path.len);
	pbuf[path.len] = '\0';
	r.path = pbuf;
	/*
	 * The ban fault: 418 with error 4 and Retry-After (Coinone has no 418
	 * of its own; its IP block is error 4), every request until it ends.
	 */
	if (sim_fault_banned(v, now_ns, &ban_ns)) {
		char extra[48];
		struct jw h;

		jw_init(&h, extra, sizeof(extra));
		jw_lit(&h, "Retry-After: ");
		jw_u64(&h, (ban_ns + NS_PER_S - 1) / NS_PER_S);
		jw_lit(&h, "\r\n");
		reply_err_status(&r, 418, E_BLOCKED, jw_done(&h));
		return;
	}
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(routes) && !rt; i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].prefix ? strncmp(pbuf, routes[i].path, n) || !pbuf[n] :
				       strcmp(pbuf, routes[i].path))
			continue;
		known = true;
		if (p->method == (routes[i].pub ? NET_HTTP_GET : NET_HTTP_POST))
			rt = &routes[i];
	}
	if (!rt) {
		reply_err_status(&r, known ? 405 : 404, E_SERVICE, NULL);
		return;
	}
	r.pub = rt->pub;
	r.group = rt->group;
	if (sim_fault_429(v, now_ns)) {
		reply_limited(&r);
		return;
	}
	if (r.pub) {
		if (!pub_take(u, r.now_ms)) {
			reply_limited(&r);
			return;
		}
	} else {
		struct net_http_str pl = net_http_header(p, "X-COINONE-PAYLOAD");
		struct net_http_str sg = net_http_header(p, "X-COINONE-SIGNATURE");
		int e = co_auth(v, pl.p, pl.len, sg.p, sg.len, false, &r.acct);

		if (e >= 0) {
			reply_err(&r, (enum co_err)e);
			return;
		}
		if (!rl_take(u, (unsigned)r.acct, r.group, r.now_ms)) {
			reply_limited(&r);
			return;
		}
	}
	/* orders meet this fault after matching (job_order) */
	if (rt->fn != h_order && sim_fault_take(v, SIM_FAULT_HTTP_5XX)) {
		send_reply(v, sc, r.pub, r.acct, r.group, 503, NULL, NULL, 0);
		return;
	}
	rt->fn(&r);
}

/* ---- market-data messages (3.1; coinone-orderbook/trade/ticker.jsonl) ------------ */

/* Keys: [0] DEFAULT, [1] SHORT. */
enum { K_HEAD, K_QC, K_TC, K_T, K_I, K_A, K_B, K_P, K_Q, K_N };
static const char *const kx[2][K_N] = {
	{ "{\"response_type\":\"DATA\",\"channel\":\"", "\"quote_currency\":\"KRW\"",
	  ",\"target_currency\":", ",\"timestamp\":", ",\"id\":\"", ",\"asks\":[",
	  "],\"bids\":[", "{\"price\":", ",\"qty\":" },
	{ "{\"r\":\"DATA\",\"c\":\"", "\"qc\":\"KRW\"", ",\"tc\":", ",\"t\":", ",\"i\":\"",
	  ",\"a\":[", "],\"b\":[", "{\"p\":", ",\"q\":" },
};

static void head(struct jw *w, unsigned ch, bool sh)
{
	jw_lit(w, kx[sh][K_HEAD]);
	jw_lit(w, ch_names[ch]);
	jw_lit(w, sh ? "\",\"d\":{" : "\",\"data\":{");
	jw_lit(w, kx[sh][K_QC]);
}

static void lv_json(struct jw *w, const struct sim_level *l, bool sh)
{
	jw_lit(w, kx[sh][K_P]);
	jw_qfx(w, l->px);
	jw_lit(w, kx[sh][K_Q]);
	jw_qfx(w, l->qty);
	jw_raw(w, "}", 1);
}

/* The whole book, 16 levels a side: asks worst to best (H9), bids best to worst. */
static void book_json(struct jw *w, const struct sim_inst *in, bool sh, uint64_t ts,
		      uint64_t id)
{
	const struct sim_book_side *a = &in->book.side[SIM_ASK], *b = &in->book.side[SIM_BID];
	uint32_t na = min_u32(a->n, CO_DEPTH), nb = min_u32(b->n, CO_DEPTH);

	head(w, CH_BOOK, sh);
	jw_lit(w, kx[sh][K_TC]);
	jw_str(w, in->sym);
	jw_lit(w, kx[sh][K_T]);
	jw_u64(w, ts);
	jw_lit(w, kx[sh][K_I]);
	jw_u64(w, id);
	jw_raw(w, "\"", 1);
	jw_lit(w, kx[sh][K_A]);
	for (uint32_t k = 0; k < na; k++) {
		if (k)
			jw_raw(w, ",", 1);
		lv_json(w, &a->lv[na - 1 - k], sh);
	}
	jw_lit(w, kx[sh][K_B]);
	for (uint32_t k = 0; k < nb; k++) {
		if (k)
			jw_raw(w, ",", 1);
		lv_json(w, &b->lv[k], sh);
	}
	jw_lit(w, "]}}");
}

/* A trade: is_seller_maker true when the taker bought. */
static void trade_json(struct jw *w, const struct sim_inst *in, const struct sim_trade *t,
		       bool sh, uint64_t ts, uint64_t id)
{
	head(w, CH_TRADE, sh);
	jw_lit(w, kx[sh][K_TC]);
	jw_str(w, in->sym);
	jw_lit(w, kx[sh][K_I]);
	jw_u64(w, id);
	jw_raw(w, "\"", 1);
	jw_lit(w, kx[sh][K_T]);
	jw_u64(w, ts);
	jw_lit(w, sh ? ",\"p\":" : ",\"price\":");
	jw_qfx(w, t->px);
	jw_lit(w, sh ? ",\"q\":" : ",\"qty\":");
	jw_qfx(w, t->qty);
	jw_lit(w, sh ? ",\"sm\":" : ",\"is_seller_maker\":");
	jw_lit(w, t->taker_side == SIM_BID ? "true}}" : "false}}");
}

enum { TK_QV, TK_TV, TK_HI, TK_LO, TK_FI, TK_LA, TK_VP, TK_ABP, TK_ABQ, TK_BBP, TK_BBQ, TK_I,
       TK_YHI, TK_YLO, TK_YFI, TK_YLA, TK_YQV, TK_YTV, TK_N };
static const char *const tk_keys[2][TK_N] = {
	{ ",\"quote_volume\":", ",\"target_volume\":", ",\"high\":", ",\"low\":", ",\"first\":",
	  ",\"last\":", ",\"volume_power\":", ",\"ask_best_price\":", ",\"ask_best_qty\":",
	  ",\"bid_best_price\":", ",\"bid_best_qty\":", ",\"id\":", ",\"yesterday_high\":",
	  ",\"yesterday_low\":", ",\"yesterday_first\":", ",\"yesterday_last\":",
	  ",\"yesterday_quote_volume\":", ",\"yesterday_target_volume\":" },
	{ ",\"qv\":", ",\"tv\":", ",\"hi\":", ",\"lo\":", ",\"fi\":", ",\"la\":", ",\"vp\":",
	  ",\"abp\":", ",\"abq\":", ",\"bbp\":", ",\"bbq\":", ",\"i\":", ",\"yhi\":", ",\"ylo\":",
	  ",\"yfi\":", ",\"yla\":", ",\"yqv\":", ",\"ytv\":" },
};

/*
 * A ticker: UTC-day OHLC and volumes; volume_power = taker-buy volume over
 * taker-sell volume x 100 (100 when either is 0); best prices null on an
 * empty side; yesterday's figures all the previous close (exsim keeps no
 * earlier day), its volumes 0.
 */
static void ticker_json(struct jw *w, const struct coinone *u, const struct sim_inst *in,
			bool sh, uint64_t ts, uint64_t id)
{
	const char *const *k = tk_keys[sh];
	const struct sim_book_side *a = &in->book.side[SIM_ASK], *b = &in->book.side[SIM_BID];
	sim_fx buy = u->acc_bid[in->vidx], sell = u->acc_ask[in->vidx];
	sim_fx vp = buy > 0 && sell > 0 ? sim_div(buy, sell) * 100 : 100 * SIM_SCALE;
	sim_fx y = in->prev_close ? in->prev_close : in->open_px;

	head(w, CH_TICKER, sh);
	jw_lit(w, kx[sh][K_TC]);
	jw_str(w, in->sym);
	jw_lit(w, kx[sh][K_T]);
	jw_u64(w, ts);
	jw_lit(w, k[TK_QV]);
	jw_qfx(w, in->acc_quote);
	jw_lit(w, k[TK_TV]);
	jw_qfx(w, in->acc_volume);
	jw_lit(w, k[TK_HI]);
	jw_qfx(w, in->high_px);
	jw_lit(w, k[TK_LO]);
	jw_qfx(w, in->low_px);
	jw_lit(w, k[TK_FI]);
	jw_qfx(w, in->open_px);
	jw_lit(w, k[TK_LA]);
	jw_qfx(w, in->last_px ? in->last_px : in->open_px);
	jw_lit(w, k[TK_VP]);
	jw_qfx(w, vp - vp % (SIM_SCALE / 100));
	jw_lit(w, k[TK_ABP]);
	jw_qfx_or_null(w, a->n, a->n ? a->lv[0].px : 0);
	jw_lit(w, k[TK_ABQ]);
	jw_qfx_or_null(w, a->n, a->n ? a->lv[0].qty : 0);
	jw_lit(w, k[TK_BBP]);
	jw_qfx_or_null(w, b->n, b->n ? b->lv[0].px : 0);
	jw_lit(w, k[TK_BBQ]);
	jw_qfx_or_null(w, b->n, b->n ? b->lv[0].qty : 0);
	jw_lit(w, k[TK_I]);
	jw_raw(w, "\"", 1);
	jw_u64(w, id);
	jw_raw(w, "\"", 1);
	for (unsigned i = TK_YHI; i <= TK_YLA; i++) {
		jw_lit(w, k[i]);
		jw_qfx(w, y);
	}
	jw_lit(w, k[TK_YQV]);
	jw_lit(w, "\"0\"");
	jw_lit(w, k[TK_YTV]);
	jw_lit(w, "\"0\"}}");
}

/* ---- WebSocket (3.1, 3.2, 3.4) ------------------------------------------------------ */

static bool is_short(struct sim_ws *c, unsigned ch, uint32_t bit)
{
	return (conn_state(c)->shortfmt[ch] & bit) != 0;
}

static void ws_text(struct sim_ws *c, struct jw *w)
{
	if (jw_done(w))
		sim_ws_send(c, WS_OP_TEXT, w->p, w->len);
}

/* {"response_type":"ERROR","error_code":N,"message":..[,"field":..]}; the socket stays. */
static void ws_error(struct coinone *u, struct sim_ws *c, unsigned code, const char *field)
{
	struct jw w;

	jw_init(&w, u->msg, sizeof(u->msg));
	jw_lit(&w, "{\"response_type\":\"ERROR\",\"error_code\":");
	jw_u64(&w, code);
	jw_lit(&w, code == 160010 ? ",\"message\":\"Invalid Request\"" :
		   code == 160011 ? ",\"message\":\"Invalid Type\"" :
				    ",\"message\":\"Invalid Topic\"");
	if (field) {
		jw_lit(&w, ",\"field\":");
		jw_str(&w, field);
	}
	jw_raw(&w, "}", 1);
	ws_text(c, &w);
}

/*
 * The upgrade: "/" (public) or "/v1/private" (X-COINONE-PAYLOAD and
 * X-COINONE-SIGNATURE headers, payload access_token + nonce + timestamp).
 * A private upgrade that fails auth still opens and is closed 4280 at once
 * (3.2: the close code is the venue's answer).
 */
static unsigned co_ws_upgrade(struct sim_venue *v, struct sim_ws *c, bool api,
			      const struct ws_hs_request *req, const char *head_, size_t len)
{
	const char *path = (const char *)c->path, *q = strchr(path, '?');
	size_t pl = q ? (size_t)(q - path) : strlen(path);
	struct co_conn *cs = conn_state(c);

	(void)req;
	if (api)
		return 404;
	cs->ping_ns = net_now_ns();
	if (pl <= 1) {
		c->kind = SIM_WS_MARKET;
		return 0;
	}
	if (pl == 11 && !memcmp(path, "/v1/private", 11)) {
		const char *pv = NULL, *sv = NULL;
		size_t pn = 0, sn = 0;
		int acct = -1;

		if (!ws_hs_header(head_, len, "X-COINONE-PAYLOAD", &pv, &pn))
			pv = NULL;
		if (!ws_hs_header(head_, len, "X-COINONE-SIGNATURE", &sv, &sn))
			sv = NULL;
		c->kind = SIM_WS_PRIVATE;
		if (co_auth(v, pv, pn, sv, sn, true, &acct) >= 0)
			cs->auth_fail = true;
		else
			c->acct = (int8_t)acct;
		return 0;
	}
	return 404;
}

/* Open: auth failures close 4280, the 21st connection 4290, else CONNECTED. */
static void co_ws_open(struct sim_venue *v, struct sim_ws *c)
{
	struct coinone *u = v->priv;
	struct co_conn *cs = conn_state(c);
	struct sim_ws *o = NULL;
	unsigned n = 0;
	char sid[37];
	struct jw w;

	if (cs->auth_fail) {
		sim_ws_close(c, CO_CLOSE_AUTH);
		return;
	}
	while ((o = sim_venue_next_ws(v, o)))
		if (o != c && o->kind == c->kind && !conn_state(o)->auth_fail &&
		    (c->kind != SIM_WS_PRIVATE || o->acct == c->acct))
			n++;
	if (n >= CO_CONN_MAX && !u->unlimited) {
		sim_ws_close(c, CO_CLOSE_LIMIT);
		return;
	}
	make_uuid(sid, ((uint64_t)v->idx << 56) | c->serial, 0x73657373ull);
	jw_init(&w, u->msg, sizeof(u->msg));
	jw_lit(&w, "{\"response_type\":\"CONNECTED\",\"data\":{\"session_id\":\"");
	jw_lit(&w, sid);
	jw_lit(&w, "\"}}");
	ws_text(c, &w);
}

static void snapshot(struct sim_venue *v, struct sim_ws *c, unsigned ch, struct sim_inst *in)
{
	struct coinone *u = v->priv;
	bool sh = is_short(c, ch, 1u << in->vidx);
	uint64_t id;
	struct jw w;

	jw_init(&w, u->msg, sizeof(u->msg));
	switch (ch) {
	case CH_BOOK:
		/* the latest book, stamped with its last change (H10); it is the
		 * book's newest frame now (its view) */
		id = u->book_id[in->vidx];
		if (!id || (u->dirty & (1u << in->vidx)))
			id = next_id(&u->book_id[in->vidx], sim_venue_now_ms(v));
		book_json(&w, in, sh, vts(v, in->book_ts_ms), id);
		sim_inst_view(in, CO_DEPTH, id, vts(v, in->book_ts_ms));
		break;
	case CH_TICKER:
		ticker_json(&w, u, in, sh, sim_venue_now_ms(v),
			    next_id(&u->tick_id[in->vidx], sim_venue_now_ms(v)));
		break;
	default:
		return;         /* TRADE: nothing until one prints; CHART: never */
	}
	if (jw_done(&w))
		sim_ws_send_md(c, WS_OP_TEXT, w.p, w.len);
}

/* The ack: {"response_type":"SUBSCRIBED"|"UNSUBSCRIBED","channel":..,"data":<topic>}. */
static void ack(struct coinone *u, struct sim_ws *c, bool sub, unsigned ch, const char *src,
		const struct jr_tok *topic)
{
	struct jw w;

	jw_init(&w, u->msg, sizeof(u->msg));
	jw_lit(&w, sub ? "{\"response_type\":\"SUBSCRIBED\",\"channel\":\"" :
			 "{\"response_type\":\"UNSUBSCRIBED\",\"channel\":\"");
	jw_lit(&w, ch_names[ch]);
	jw_raw(&w, "\"", 1);
	if (topic) {
		jw_lit(&w, ",\"data\":");
		jw_raw(&w, src + topic->start - (topic->type == JR_STR ? 1 : 0),
		       topic->len + (topic->type == JR_STR ? 2 : 0));
	}
	jw_raw(&w, "}", 1);
	ws_text(c, &w);
}

/* An UPPERCASE enum member: its index in names[0..n), -1 absent, -2 anything else. */
static int upper_field(const char *src, const struct jr_tok *t, const char *key,
		       const char *const *names, unsigned n)
{
	int k = jr_get(src, t, 0, key);

	if (k < 0)
		return -1;
	if (t[k].type != JR_STR)
		return -2;
	for (unsigned i = 0; i < n; i++)
		if (jr_eq(src, &t[k], names[i]))
			return (int)i;
	return -2;
}

/* topic {quote_currency, target_currency}: the instrument; *known false for an unknown pair. */
static int topic_inst(struct sim_venue *v, const char *src, const struct jr_tok *t, int obj,
		      struct sim_inst **in)
{
	char q[16], tc[SIM_SYM_MAX];
	int kq = jr_get(src, t, obj, "quote_currency"), kt = jr_get(src, t, obj, "target_currency");

	*in = NULL;
	if (t[obj].type != JR_OBJ || kq < 0 || kt < 0 || t[kq].type != JR_STR ||
	    t[kt].type != JR_STR || jr_str(src, &t[kq], q, sizeof(q)) < 0 ||
	    jr_str(src, &t[kt], tc, sizeof(tc)) < 0)
		return -1;
	if (!strcmp(q, "KRW"))
		*in = sim_venue_inst_sym(v, tc, strlen(tc));
	return 0;
}

static void ws_request(struct sim_venue *v, struct sim_ws *c, const char *src, size_t len)
{
	static const char *const rtypes[] = { "SUBSCRIBE", "UNSUBSCRIBE", "PING" };
	static const char *const fmts[] = { "DEFAULT", "SHORT" };
	struct coinone *u = v->priv;
	struct co_conn *cs = conn_state(c);
	struct jr_tok *t = u->tok;
	bool priv = c->kind == SIM_WS_PRIVATE, sub;
	int rt, ch, fmt, tk, n;
	struct sim_inst *in;

	n = jr_parse(src, len, t, CO_TOKS);
	if (n < 1 || t[0].type != JR_OBJ) {
		ws_error(u, c, 160010, NULL);
		return;
	}
	rt = upper_field(src, t, "request_type", rtypes, 3);
	if (rt < 0) {
		ws_error(u, c, 160011, "request_type");
		return;
	}
	if (rt == 2) {
		static const char pong[] = "{\"response_type\":\"PONG\"}";

		cs->ping_ns = net_now_ns();
		sim_ws_send(c, WS_OP_TEXT, pong, sizeof(pong) - 1);
		return;
	}
	sub = rt == 0;
	ch = upper_field(src, t, "channel", ch_names, CH_N);
	if (ch < 0 || (ch >= CH_MYORDER) != priv) {
		ws_error(u, c, 160011, "channel");
		return;
	}
	fmt = upper_field(src, t, "format", fmts, 2);
	if (fmt == -2) {
		ws_error(u, c, 160011, "format");
		return;
	}
	tk = jr_get(src, t, 0, "topic");
	if (ch == CH_MYASSET) {
		if (sub)
			c->sub[CH_MYASSET] = 1;
		else
			c->sub[CH_MYASSET] = 0;
		cs->shortfmt[CH_MYASSET] = fmt == 1 ? 1 : 0;
		cs->subscribed = true;
		ack(u, c, sub, (unsigned)ch, src, NULL);
		return;
	}
	if (ch == CH_MYORDER) {
		/* a topic array; an unknown pair in it: ack, then 160012 */
		uint32_t bits = 0;
		bool bad = false;

		if (tk < 0 || t[tk].type != JR_ARR || !t[tk].size) {
			ws_error(u, c, 160012, NULL);
			return;
		}
		for (uint32_t i = 0; i < t[tk].size; i++) {
			int e = jr_at(t, tk, i);

			if (topic_inst(v, src, t, e, &in) < 0) {
				ws_error(u, c, 160012, NULL);
				return;
			}
			if (in)
				bits |= 1u << in->vidx;
			else
				bad = true;
		}
		if (sub) {
			c->sub[CH_MYORDER] |= bits;
			if (fmt == 1)
				cs->shortfmt[CH_MYORDER] |= bits;
			else
				cs->shortfmt[CH_MYORDER] &= ~bits;
		} else {
			c->sub[CH_MYORDER] &= ~bits;
		}
		cs->subscribed = true;
		ack(u, c, sub, (unsigned)ch, src, &t[tk]);
		if (bad)
			ws_error(u, c, 160012, NULL);
		return;
	}
	if (tk < 0 || topic_inst(v, src, t, tk, &in) < 0) {
		ws_error(u, c, 160012, NULL);
		return;
	}
	if (ch == CH_CHART) {
		int ki = jr_get(src, t, tk, "interval");

		if (ki < 0 || t[ki].type != JR_STR) {
			ws_error(u, c, 160012, NULL);
			return;
		}
	}
	/* an unknown pair is acked first, then gets 160012 (3.1) */
	ack(u, c, sub, (unsigned)ch, src, &t[tk]);
	cs->subscribed = true;
	if (!in) {
		ws_error(u, c, 160012, NULL);
		return;
	}
	if (!sub) {
		c->sub[ch] &= ~(1u << in->vidx);
		return;
	}
	c->sub[ch] |= 1u << in->vidx;
	if (fmt == 1)
		cs->shortfmt[ch] |= 1u << in->vidx;
	else
		cs->shortfmt[ch] &= ~(1u << in->vidx);
	snapshot(v, c, (unsigned)ch, in);
}

static void co_ws_message(struct sim_venue *v, struct sim_ws *c, unsigned opcode,
			  uint8_t *data, size_t len)
{
	if (conn_state(c)->auth_fail || (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY))
		return;
	ws_request(v, c, (const char *)data, len);
}

/*
 * Once a second: a socket that never subscribed is closed 60 s after its
 * open (the probe saw ~60.7 s); any socket 30 minutes after its last PING
 * or, without one, its open (3.1). Both close 1000: the doc gives no code.
 */
static void co_tick(struct sim_venue *v, uint64_t now_ns)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c))) {
		struct co_conn *cs = conn_state(c);

		if (cs->auth_fail)
			continue;
		if ((!cs->subscribed && now_ns - c->opened_ns >= CO_UNSUB_NS) ||
		    now_ns - cs->ping_ns >= CO_PING_NS)
			sim_ws_close(c, WS_CLOSE_NORMAL);
	}
}

/* ---- publishing ------------------------------------------------------------------- */

static bool wants_public(struct sim_ws *c)
{
	return c->kind == SIM_WS_MARKET && (c->sub[CH_BOOK] | c->sub[CH_TRADE] | c->sub[CH_TICKER]);
}

/* Send w to every public connection subscribed to ch for bit in format sh. */
static void fan_out(struct sim_venue *v, unsigned ch, uint32_t bit, bool sh, const struct jw *w)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET && (c->sub[ch] & bit) && is_short(c, ch, bit) == sh)
			sim_ws_send_md(c, WS_OP_TEXT, w->p, w->len);
}

/* Which formats (bit 0 DEFAULT, bit 1 SHORT) the subscribers of (ch, bit) want. */
static unsigned formats(struct sim_venue *v, unsigned ch, uint32_t bit)
{
	struct sim_ws *c = NULL;
	unsigned f = 0;

	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET && (c->sub[ch] & bit))
			f |= 1u << is_short(c, ch, bit);
	return f;
}

static void publish_inst(struct sim_venue *v, struct sim_inst *in, unsigned ch, uint64_t ts,
			 uint64_t id, const struct sim_trade *tr)
{
	struct coinone *u = v->priv;
	uint32_t bit = 1u << in->vidx;
	unsigned f = formats(v, ch, bit);
	struct jw w;

	for (unsigned sh = 0; sh < 2; sh++) {
		if (!(f & (1u << sh)))
			continue;
		jw_init(&w, u->msg, sizeof(u->msg));
		if (ch == CH_BOOK)
			book_json(&w, in, sh, ts, id);
		else if (ch == CH_TRADE)
			trade_json(&w, in, tr, sh, ts, id);
		else
			ticker_json(&w, u, in, sh, ts, id);
		if (jw_done(&w))
			fan_out(v, ch, bit, sh, &w);
	}
}

/*
 * After every market step (flush false). Trades go out as they print, one
 * frame each; a book that changed goes out whole (16 levels) on the
 * publish period (cfg->publish_ns, counted in model steps; the default is
 * every step: "a frame on every change"), and a ticker for every
 * instrument whose trades or top changed. Every book published,
 * subscribers or not, becomes its view (16 levels, the frame's id). A
 * flush publishes what is held back now.
 */
static void co_publish_at(struct sim_venue *v, uint64_t now_ms, bool flush)
{
	struct coinone *u = v->priv;
	uint64_t step_ns = v->m->sc->step_ns ? v->m->sc->step_ns : 10 * NS_PER_MS;
	uint64_t per = v->cfg->publish_ns / step_ns, now = vts(v, now_ms);
	struct sim_ws *c = NULL;
	bool any = false;

	while ((c = sim_venue_next_ws(v, c))) {
		conn_state(c)->corked = wants_public(c);
		if (conn_state(c)->corked) {
			ws_conn_cork(&c->ws);
			any = true;
		}
	}
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);

		if (in->nchg || in->top_changed || in->chg_lost)
			u->dirty |= 1u << i;
		if (in->top_changed || in->ntrades)
			u->tdirty |= 1u << i;
		if (in->acc_volume < u->acc_ask[i] + u->acc_bid[i])
			u->acc_ask[i] = u->acc_bid[i] = 0;      /* a new trading day */
		for (uint32_t t = 0; t < in->ntrades; t++) {
			const struct sim_trade *tr = &in->trades[t];

			if (tr->taker_side == SIM_BID)
				u->acc_bid[i] += tr->qty;
			else
				u->acc_ask[i] += tr->qty;
			u->last[i] = *tr;
			if (any)
				publish_inst(v, in, CH_TRADE, vts(v, tr->ts_ms),
					     next_id(&u->trade_id[i], vts(v, tr->ts_ms)), tr);
		}
		sim_inst_drain(in);
	}
	if (!per)
		per = 1;
	if ((u->dirty | u->tdirty) && (flush || v->m->steps % per == 0)) {
		for (uint32_t i = 0; i < v->ninst; i++) {
			struct sim_inst *in = sim_venue_inst(v, i);

			if (u->dirty & (1u << i)) {
				uint64_t id = next_id(&u->book_id[i], now);

				sim_inst_view(in, CO_DEPTH, id, now);
				if (any)
					publish_inst(v, in, CH_BOOK, now, id, NULL);
			}
			if ((u->tdirty & (1u << i)) && any)
				publish_inst(v, in, CH_TICKER, now, next_id(&u->tick_id[i], now),
					     NULL);
		}
		u->dirty = u->tdirty = 0;
	}
	c = NULL;
	while (any && (c = sim_venue_next_ws(v, c))) {
		if (conn_state(c)->corked)
			sim_ws_uncork(c);
		conn_state(c)->corked = false;
	}
}

static void co_publish(struct sim_venue *v, uint64_t now_ms)
{
	co_publish_at(v, now_ms, false);
}

static void co_flush(struct sim_venue *v, uint64_t now_ms)
{
	co_publish_at(v, now_ms, true);
}

/* The first books: what a subscriber's first frame shows before any change. */
static kimp_cold void co_start(struct sim_venue *v)
{
	struct coinone *u = v->priv;

	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);
		uint64_t ts = vts(v, in->book_ts_ms);

		sim_inst_view(in, CO_DEPTH, next_id(&u->book_id[i], ts), ts);
	}
}

/* ---- private events (3.4; coinone-myasset.jsonl) ---------------------------------- */

enum { MO_QC, MO_TC, MO_OI, MO_T, MO_ST, MO_S, MO_OP, MO_OQ, MO_OA, MO_TI, MO_IM, MO_EP, MO_EQ,
       MO_EF, MO_RQ, MO_RA, MO_UI, MO_ET, MO_OT, MO_TS, MO_N };
static const char *const mo_keys[2][MO_N] = {
	{ "\"quote_currency\":\"KRW\"", ",\"target_currency\":", ",\"order_id\":", ",\"type\":",
	  ",\"status\":", ",\"side\":", ",\"order_price\":", ",\"order_qty\":",
	  ",\"order_amount\":", ",\"trade_id\":", ",\"is_maker\":", ",\"executed_price\":",
	  ",\"executed_qty\":", ",\"executed_fee\":", ",\"remain_qty\":", ",\"remain_amount\":",
	  ",\"user_order_id\":", ",\"executed_timestamp\":", ",\"order_timestamp\":",
	  ",\"timestamp\":" },
	{ "\"qc\":\"KRW\"", ",\"tc\":", ",\"oi\":", ",\"t\":", ",\"st\":", ",\"s\":", ",\"op\":",
	  ",\"oq\":", ",\"oa\":", ",\"ti\":", ",\"im\":", ",\"ep\":", ",\"eq\":", ",\"ef\":",
	  ",\"rq\":", ",\"ra\":", ",\"ui\":", ",\"et\":", ",\"ot\":", ",\"ts\":" },
};

/*
 * MYORDER (3.4): side BID/ASK; numbers as quoted decimals like REST's (no
 * literal sample exists); null where a field does not apply; on a fill the
 * executed_* fields are the fill's, on a cancel executed_qty is the
 * quantity cancelled.
 */
static void myorder_json(struct jw *w, struct sim_venue *v, const struct sim_order *o,
			 const struct sim_fill *f, const char *status, bool sh)
{
	struct coinone *u = v->priv;
	const char *const *k = mo_keys[sh];
	const struct co_meta *m = meta_of(u, o);
	bool mkt = is_market(u, o), by_amount = mkt && o->side == SIM_BID;
	bool cxl = !strncmp(status, "cancel", 6);
	sim_fx amount = m && m->amount ? m->amount : o->quote_qty;
	sim_fx oqty = mkt && m && m->qty ? m->qty : o->qty;

	jw_lit(w, sh ? "{\"r\":\"DATA\",\"c\":\"MYORDER\",\"d\":{" :
		       "{\"response_type\":\"DATA\",\"channel\":\"MYORDER\",\"data\":{");
	jw_lit(w, k[MO_QC]);
	jw_lit(w, k[MO_TC]);
	jw_str(w, order_inst(v, o)->sym);
	jw_lit(w, k[MO_OI]);
	jw_str(w, o->uuid);
	jw_lit(w, k[MO_T]);
	jw_lit(w, mkt ? "\"MARKET\"" : "\"LIMIT\"");
	jw_lit(w, k[MO_ST]);
	jw_raw(w, "\"", 1);
	jw_lit(w, status);
	jw_raw(w, "\"", 1);
	jw_lit(w, k[MO_S]);
	jw_lit(w, o->side == SIM_BID ? "\"BID\"" : "\"ASK\"");
	jw_lit(w, k[MO_OP]);
	jw_qfx_or_null(w, !mkt, o->px);
	jw_lit(w, k[MO_OQ]);
	jw_qfx_or_null(w, !by_amount, oqty);
	jw_lit(w, k[MO_OA]);
	jw_qfx_or_null(w, by_amount, amount);
	jw_lit(w, k[MO_TI]);
	if (f) {
		jw_raw(w, "\"", 1);
		jw_u64(w, f->exec_id);
		jw_raw(w, "\"", 1);
	} else {
		jw_raw(w, "null", 4);
	}
	jw_lit(w, k[MO_IM]);
	jw_lit(w, !f ? "null" : f->maker ? "true" : "false");
	jw_lit(w, k[MO_EP]);
	jw_qfx_or_null(w, f, f ? f->px : 0);
	jw_lit(w, k[MO_EQ]);
	jw_qfx_or_null(w, f || cxl, f ? f->qty : fx_pos(oqty - o->filled));
	jw_lit(w, k[MO_EF]);
	jw_qfx_or_null(w, f, f ? f->fee : 0);
	jw_lit(w, k[MO_RQ]);
	jw_qfx_or_null(w, !by_amount, cxl ? 0 : fx_pos(oqty - o->filled));
	jw_lit(w, k[MO_RA]);
	jw_qfx_or_null(w, by_amount, cxl ? 0 : fx_pos(amount - o->filled_quote));
	jw_lit(w, k[MO_UI]);
	if (o->cid[0])
		jw_str(w, o->cid);
	else
		jw_raw(w, "null", 4);
	jw_lit(w, k[MO_ET]);
	if (f)
		jw_u64(w, vts(v, f->ts_ms));
	else
		jw_raw(w, "null", 4);
	jw_lit(w, k[MO_OT]);
	jw_u64(w, vts(v, o->created_ms));
	jw_lit(w, k[MO_TS]);
	jw_u64(w, sim_venue_now_ms(v));
	jw_lit(w, "}}");
}

static bool wants_private(struct sim_ws *c, unsigned acct, unsigned ch, uint32_t bit)
{
	return c->kind == SIM_WS_PRIVATE && c->acct == (int8_t)acct && (c->sub[ch] & bit) &&
	       !conn_state(c)->auth_fail;
}

static void send_myorder(struct sim_venue *v, const struct sim_order *o,
			 const struct sim_fill *f, const char *status)
{
	struct coinone *u = v->priv;
	uint32_t bit = 1u << order_inst(v, o)->vidx;
	unsigned fmts = 0;
	struct sim_ws *c = NULL;
	struct jw w;

	while ((c = sim_venue_next_ws(v, c)))
		if (wants_private(c, o->acct, CH_MYORDER, bit))
			fmts |= 1u << is_short(c, CH_MYORDER, bit);
	for (unsigned sh = 0; sh < 2; sh++) {
		if (!(fmts & (1u << sh)))
			continue;
		jw_init(&w, u->msg, sizeof(u->msg));
		myorder_json(&w, v, o, f, status, sh);
		if (!jw_done(&w))
			continue;
		c = NULL;
		while ((c = sim_venue_next_ws(v, c)))
			if (wants_private(c, o->acct, CH_MYORDER, bit) &&
			    is_short(c, CH_MYORDER, bit) == (bool)sh)
				sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
	}
}

/*
 * The engine's order events: accepted 'wait', each fill 'trade' or, when
 * it completes the order, 'trade_done'; a cancel or an expiry 'cancel'.
 * Rejected orders never existed for the client.
 */
static void co_on_order(struct sim_venue *v, const struct sim_order *o,
			const struct sim_fill *f)
{
	struct coinone *u = v->priv;

	if (o->status == SIM_ST_REJECTED || !o->id)
		return;
	if (u->cur_meta && u->meta[o->id % CO_META].order_id != o->id)
		meta_file(u, o, u->cur_meta);
	if (f) {
		if (u->cur_type)
			u->cur_type = "trade";
		send_myorder(v, o, f, o->status == SIM_ST_FILLED ? "trade_done" : "trade");
		if (o->status == SIM_ST_FILLED)
			u->last_done_id = o->id;
		return;
	}
	switch (o->status) {
	case SIM_ST_NEW:
	case SIM_ST_PARTIAL:
		send_myorder(v, o, NULL, "wait");
		break;
	case SIM_ST_FILLED:
		if (u->last_done_id != o->id)
			send_myorder(v, o, NULL, "trade_done");
		u->last_done_id = o->id;
		break;
	default:
		send_myorder(v, o, NULL, "cancel");
		break;
	}
}

/*
 * MYASSET: the assets that changed together, KRW with 4 decimals and the
 * rest with 8 (the examples print KRW "205620364.5029"), the change type,
 * and a timestamp in seconds as both doc examples show it (H5).
 * SHORT keys inside assets are the doc's (c, a, l); outside it the doc
 * names none: "as", "ty", "ts" here.
 */
static void myasset_json(struct jw *w, struct sim_venue *v, const struct sim_account *a,
			 uint32_t assets, const char *type, bool sh)
{
	unsigned n = 0;

	jw_lit(w, sh ? "{\"r\":\"DATA\",\"c\":\"MYASSET\",\"d\":{\"as\":[" :
		       "{\"response_type\":\"DATA\",\"channel\":\"MYASSET\",\"data\":{\"assets\":[");
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++) {
		const char *name = sim_asset_name(i);
		unsigned d;

		if (!(assets & (1u << i)) || !name)
			continue;
		d = strcmp(name, "KRW") ? 8 : 4;
		if (n++)
			jw_raw(w, ",", 1);
		jw_lit(w, sh ? "{\"c\":" : "{\"currency\":");
		jw_str(w, name);
		jw_lit(w, sh ? ",\"a\":\"" : ",\"available\":\"");
		jw_fx(w, a->free[i], d);
		jw_lit(w, sh ? "\",\"l\":\"" : "\",\"limit\":\"");
		jw_fx(w, a->locked[i], d);
		jw_lit(w, "\"}");
	}
	jw_lit(w, sh ? "],\"ty\":" : "],\"type\":");
	jw_str(w, type);
	jw_lit(w, sh ? ",\"ts\":" : ",\"timestamp\":");
	jw_u64(w, sim_venue_now_ms(v) / 1000);
	jw_lit(w, "}}");
}

static void flush_assets(struct sim_venue *v, unsigned acct)
{
	struct coinone *u = v->priv;
	const struct sim_account *a = &v->x->acct[acct];
	uint32_t assets = u->asset_dirty[acct];
	const char *type = u->asset_type[acct] ? u->asset_type[acct] : "trade";
	unsigned fmts = 0;
	struct sim_ws *c = NULL;
	struct jw w;

	u->asset_dirty[acct] = 0;
	u->asset_pending[acct] = false;
	u->asset_type[acct] = NULL;
	while ((c = sim_venue_next_ws(v, c)))
		if (wants_private(c, acct, CH_MYASSET, 1))
			fmts |= 1u << (conn_state(c)->shortfmt[CH_MYASSET] & 1);
	for (unsigned sh = 0; assets && sh < 2; sh++) {
		if (!(fmts & (1u << sh)))
			continue;
		jw_init(&w, u->msg, sizeof(u->msg));
		myasset_json(&w, v, a, assets, type, sh);
		if (!jw_done(&w))
			continue;
		c = NULL;
		while ((c = sim_venue_next_ws(v, c)))
			if (wants_private(c, acct, CH_MYASSET, 1) &&
			    (conn_state(c)->shortfmt[CH_MYASSET] & 1) == sh)
				sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
	}
}

static void job_assets(struct sim_venue *v, struct sim_job *j)
{
	flush_assets(v, j->data[0]);
}

/*
 * A balance changed. The changes one engine action makes (an order's lock,
 * a fill's two legs) go out together in one MYASSET message on the next
 * loop turn, typed by the action (order, trade, cancel).
 */
static void co_on_balance(struct sim_venue *v, const struct sim_account *a, unsigned asset)
{
	struct coinone *u = v->priv;
	uint8_t id = a->id;

	if (id >= SIM_MAX_ACCOUNTS || asset >= SIM_MAX_ASSETS)
		return;
	u->asset_dirty[id] |= 1u << asset;
	u->asset_type[id] = u->cur_type ? u->cur_type : "trade";
	if (u->asset_pending[id])
		return;
	u->asset_pending[id] = true;
	if (sim_defer(v, 0, job_assets, NULL, NULL, &id, 1))
		flush_assets(v, id);
}

/* ---- the table ------------------------------------------------------------------------ */

const struct sim_venue_ops sim_venue_coinone = {
	.name = "coinone",
	.kind = SIM_KRW,
	.has_api = false,
	.setup = co_setup,
	.rest = co_rest,
	.ws_upgrade = co_ws_upgrade,
	.ws_open = co_ws_open,
	.ws_message = co_ws_message,
	.publish = co_publish,
	.flush = co_flush,
	.start = co_start,
	.on_order = co_on_order,
	.on_balance = co_on_balance,
	.tick = co_tick,
};
