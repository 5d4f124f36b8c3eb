/* SPDX-License-Identifier: MIT */
/*
 * exsim's OKX v5 spot: <COIN>-USDT instruments (instType SPOT) with the
 * venue's rules, its public and private WebSocket and its REST API, close
 * enough that an OKX client works against it with only the host and CA
 * changed. Facts: shared/docs/venues/exchanges-global.md sections 0, 3
 * and 4 ([OKX-*] there); shapes: shared/fixtures/venues/okx-*.jsonl.
 *
 *   WebSocket listener  /ws/v5/public: op subscribe / unsubscribe with
 *                       args [{channel, instId}], event replies, error
 *                       events, text ping -> pong; channels bbo-tbt,
 *                       books5, books (snapshot, then updates chained by
 *                       prevSeqId -> seqId, idle heartbeats), trades,
 *                       tickers (books-l2-tbt, books50-l2-tbt: 64003, the
 *                       default fee tier may not have them)
 *                       /ws/v5/private: op login, the orders channel, and
 *                       the order operations order / cancel-order (which
 *                       take instIdCode); OKX serves both paths on one
 *                       host and port, and so do we (no API listener)
 *   REST listener       /api/v5/public/time, public/instruments,
 *                       market/books (with seqId), POST trade/order,
 *                       POST trade/cancel-order, GET trade/order,
 *                       trade/orders-pending, account/balance,
 *                       account/trade-fee, all in {"code","msg","data"}
 *
 * Books. The books channel's view of an instrument is the instrument's
 * book view (in->view, top OK_BOOK_DEPTH levels), taken at every 100 ms
 * point that follows a change: the update is the difference between the
 * live book and the view (a merge of the two sorted sides), its seqId the
 * instrument's update id, its prevSeqId the seqId of the update before (the
 * view's). A snapshot (subscription, REST) is the view with its seqId, so
 * a snapshot and the updates after it chain exactly. The gap fault eats
 * one update (the view moves, nothing is sent): the next update's
 * prevSeqId is not the reader's seqId. A book idle for OK_IDLE_NS gets the
 * heartbeat update (no levels, prevSeqId == seqId); bbo-tbt and books5
 * repeat their last snapshot then.
 *
 * Checksum: 0, as OKX sends since 2026-06-23, unless the environment asks
 * (EXSIM_OKX_CHECKSUM, below): then the CRC32 of the top 25 levels, as
 * OKX computed it, and "bad:N" corrupts the next N books messages' values.
 *
 * Auth: REST OK-ACCESS-KEY / -SIGN (base64 HMAC-SHA256 of timestamp +
 * METHOD + path?query + body) / -TIMESTAMP (ISO 8601 with ms, within 30 s)
 * / -PASSPHRASE; WS login with the unix-seconds timestamp and the sign of
 * timestamp + "GET/users/self/verify". The scenario's accounts have no
 * passphrase field: every OKX account takes OK_PASSPHRASE.
 *
 * Limits: 60 requests / 2 s per (account, instrument) for placing (REST
 * and WS together), another 60 for cancelling; the documented per-IP or
 * per-account budgets of the other endpoints; 480 subscribe, unsubscribe
 * and login requests an hour per connection. Over: 50011 (REST 429). The
 * scenario's rate_limits = false lifts them. The 429-burst and ban faults
 * answer 429 50011 (OKX has no IP ban answer).
 *
 * Test and development knobs (the scenario has no OKX keys yet), read at
 * setup from the environment:
 *   EXSIM_OKX_CHECKSUM  "1": real checksums; "bad:N": real, and the next
 *                       N books messages carry a wrong one
 *   EXSIM_OKX_IDLE_MS   the idle time before a heartbeat (default 60000)
 *   EXSIM_OKX_LIFE_MS   a connection's life before the 64008 notice; it
 *                       is closed min(60 s, life) later (default: none)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/net.h"
#include "kimp/sign.h"
#include "kimp/tsc.h"
#include "server.h"

/* ---- the venue's numbers ------------------------------------------------------- */

#define OK_BOOK_DEPTH     400u          /* books channel, REST sz max */
#define OK_CKSUM_DEPTH    25u
#define OK_IDLE_NS        (60ull * 1000000000ull)
#define OK_QUIET_NS       (30ull * 1000000000ull)   /* no subscription / no traffic */
#define OK_NOTICE_LEAD_MS 60000ull
#define OK_WIN_MS         2000ull       /* every REST budget is per 2 s */
#define OK_PLACE_LIMIT    60u           /* per (account, instrument) */
#define OK_CANCEL_LIMIT   60u
#define OK_QUERY_LIMIT    60u
#define OK_HOUR_OPS       480u          /* subscribe + unsubscribe + login per connection */
#define OK_LOGIN_WINDOW_S 30
#define OK_TS_WINDOW_MS   30000
#define OK_MAX_OPEN       500u          /* open orders per instrument */
#define OK_ORD_BASE       2510789768709120ull       /* ordId = base + the engine's id */
#define OK_PX_BAND_PCT    5             /* limit price within 5% of the far side */
#define OK_PASSPHRASE     "exsimOkxPassphrase1"
#define OK_UID_BASE       614488474791900ull

#define OK_OUT            (1u << 20)    /* replies and market messages */
#define OK_TOKS           4096
#define OK_ID_MAX         40            /* a request id, 1-32 alphanumerics, with quotes */
#define OK_CID_MAX        33            /* clOrdId 1-32 alphanumerics, with NUL */
#define OK_PENDING_MAX    100u          /* orders-pending page */

/* Public channels, one subscription bitmap (of vidx) each. */
enum ok_chan {
	OK_BBO = 0,
	OK_BOOKS5,
	OK_BOOKS,
	OK_TRADES,
	OK_TICKERS,
	OK_NCHAN,
};

static const char *const ok_chan_name[OK_NCHAN] = {
	[OK_BBO] = "bbo-tbt",
	[OK_BOOKS5] = "books5",
	[OK_BOOKS] = "books",
	[OK_TRADES] = "trades",
	[OK_TICKERS] = "tickers",
};

/* Per connection, in c->vs (zeroed at accept). */
struct ok_conn {
	uint32_t sub[OK_NCHAN];         /* public: bitmap of vidx per channel */
	uint32_t osub;                  /* private: orders channel, bitmap of vidx */
	bool oall;                      /* private: orders channel, every instrument */
	bool noticed;                   /* 64008 sent */
	uint64_t close_at_ns;           /* after the notice */
	uint64_t last_rx_ns, last_tx_ns;
	uint64_t last_sent;             /* c->sent at the last tick */
	uint64_t hour_idx;
	uint32_t hour_n;
	char conn_id[12];
};

_Static_assert(sizeof(struct ok_conn) <= SIM_WS_VSTATE, "OKX connection state fits c->vs");

/* A rate window: count in the window idx (now_ms / OK_WIN_MS). */
struct ok_win {
	uint64_t idx;
	uint32_t n;
};

enum ok_pub_group { OK_G_TIME = 0, OK_G_INSTS, OK_G_BOOKS, OK_G_NPUB };
enum ok_acct_group { OK_G_PENDING = 0, OK_G_BALANCE, OK_G_FEE, OK_G_NACCT };
enum ok_inst_group { OK_G_PLACE = 0, OK_G_CANCEL, OK_G_QUERY, OK_G_NINST };

static const uint32_t ok_pub_limit[OK_G_NPUB] = { 10, 20, 40 };
static const uint32_t ok_acct_limit[OK_G_NACCT] = { 60, 10, 5 };
static const uint32_t ok_inst_limit[OK_G_NINST] = { OK_PLACE_LIMIT, OK_CANCEL_LIMIT,
						     OK_QUERY_LIMIT };

/* Per instrument: what the channels last sent. */
struct ok_inst {
	uint32_t code;                  /* instIdCode */
	uint64_t books_ns;              /* last books message (update or heartbeat) */
	uint64_t snap_ns;               /* last bbo-tbt / books5 push */
	uint64_t b5_id;                 /* update id of the last books5 */
	uint64_t tick_id;               /* update id of the last tickers */
	uint64_t tick_trades;           /* next_trade_id at the last tickers */
	sim_fx last_qty;
};

struct ok {
	struct ok_inst inst[SIM_VENUE_INSTS];
	uint64_t period;                /* the 100 ms grid point last seen */
	/* knobs */
	bool cksum;
	uint32_t bad_cksum;
	uint64_t idle_ns;
	uint64_t life_ns;               /* 0: no upgrade notice */
	/* limits */
	struct ok_win pub[OK_G_NPUB];
	struct ok_win acct[SIM_MAX_ACCOUNTS][OK_G_NACCT];
	struct ok_win iw[SIM_MAX_ACCOUNTS][SIM_VENUE_INSTS][OK_G_NINST];
	/* signing keys, made on first use */
	struct venue_hmac_key hk[SIM_MAX_ACCOUNTS];
	bool hk_ok[SIM_MAX_ACCOUNTS];
	uint32_t crc[256];
	/* buffers */
	char out[OK_OUT];
	char ev[64 * 1024];             /* orders channel pushes */
	char scratch[32 * 1024];        /* checksum strings, signature payloads */
	struct jr_tok tok[OK_TOKS];
};

/* ---- small helpers ------------------------------------------------------------ */

static inline struct ok_conn *ok_cs(struct sim_ws *c)
{
	return (struct ok_conn *)(void *)c->vs;
}

static inline bool ok_seq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && !memcmp(s, lit, l);
}

/* "12.5": a number as OKX prints it, a quoted shortest decimal. */
static inline void w_num(struct jw *w, sim_fx v)
{
	jw_raw(w, "\"", 1);
	jw_fx_short(w, v);
	jw_raw(w, "\"", 1);
}

static inline void w_knum(struct jw *w, const char *k, sim_fx v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	w_num(w, v);
}

static inline void w_kstr(struct jw *w, const char *k, const char *s)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_str(w, s);
}

/* ,"k":"<u64>" (OKX writes times and ids as strings) */
static inline void w_ku64s(struct jw *w, const char *k, uint64_t v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_raw(w, "\"", 1);
	jw_u64(w, v);
	jw_raw(w, "\"", 1);
}

static bool ok_alnum(const char *s, size_t n, size_t max)
{
	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* ---- instruments and rules ------------------------------------------------------ */

/*
 * A coin's rules (tickSz, lotSz, minSz) and its fixed instIdCode. The
 * well-known coins have OKX's live values; others get a tick of
 * 10^(digits - 5) capped at 0.01, a lot of 0.000001 and a minimum of about
 * one USDT, with the code 100 + the scenario's coin index.
 */
struct ok_coin_rule {
	const char *name;
	uint32_t code;
	sim_fx tick, lot, min_sz;
};

static const struct ok_coin_rule ok_known[] = {
	{ "BTC", 10001, 10000000, 1, 1000 },
	{ "ETH", 10002, 1000000, 100, 10000 },
	{ "XRP", 10003, 10000, 100, 10000000 },
	{ "SOL", 10004, 1000000, 100, 100000 },
	{ "DOGE", 10005, 100000, 100, 1000000000 },
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

static int ilog10(double p)
{
	int e = 0;

	while (p >= 10.0) {
		p /= 10.0;
		e++;
	}
	while (p < 1.0 && e > -12) {
		p *= 10.0;
		e--;
	}
	return e;
}

static void ok_coin_rules(const struct sim_coin_cfg *co, unsigned idx, struct ok_coin_rule *r)
{
	double p = co->start_usdt > 0 ? co->start_usdt : 1.0;
	int e;

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ok_known); i++) {
		if (!strcmp(ok_known[i].name, co->name)) {
			*r = ok_known[i];
			return;
		}
	}
	r->code = 100 + idx;
	e = ilog10(p) - 4;
	r->tick = pow10_fx(e > -2 ? -2 : e);
	r->lot = 100;
	e = -ilog10(p);
	r->min_sz = pow10_fx(e > 0 ? 0 : e);
	if (r->min_sz < r->lot)
		r->min_sz = r->lot;
}

static void ok_crc_init(struct ok *b)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		b->crc[i] = c;
	}
}

static uint32_t ok_crc32(const struct ok *b, const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++)
		c = b->crc[(c ^ (uint8_t)s[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return def;
	v = strtoull(s, &end, 10);
	return *end ? def : (uint64_t)v;
}

static void ok_knobs(struct ok *b)
{
	const char *ck = getenv("EXSIM_OKX_CHECKSUM");

	b->cksum = ck && (!strcmp(ck, "1") || !strncmp(ck, "bad:", 4));
	if (ck && !strncmp(ck, "bad:", 4))
		b->bad_cksum = (uint32_t)strtoul(ck + 4, NULL, 10);
	b->idle_ns = env_u64("EXSIM_OKX_IDLE_MS", OK_IDLE_NS / 1000000ull) * 1000000ull;
	if (!b->idle_ns)
		b->idle_ns = OK_IDLE_NS;
	b->life_ns = env_u64("EXSIM_OKX_LIFE_MS", 0) * 1000000ull;
}

/*
 * Add <COIN>-USDT for every scenario coin with its rules, and the venue's
 * ways: fees in the asset received, client ids unique among live orders,
 * an unfillable FOK is cancelled (not rejected), 500 open orders an
 * instrument. Everything is one allocation in v->priv. Cold.
 */
static kimp_cold int ok_setup(struct sim_venue *v)
{
	const struct sim_scenario *sc = v->m->sc;
	struct sim_venue_rules *ru = &v->x->rules[v->idx];
	struct ok *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	v->priv = b;
	ok_crc_init(b);
	ok_knobs(b);
	for (uint32_t c = 0; c < sc->ncoins; c++) {
		const struct sim_coin_cfg *co = &sc->coins[c];
		struct ok_coin_rule r;
		struct sim_inst *in;
		char sym[SIM_SYM_MAX];

		if (!strcmp(co->name, "USDT"))
			continue;
		if (snprintf(sym, sizeof(sym), "%s-USDT", co->name) >= (int)sizeof(sym))
			return -ENAMETOOLONG;
		in = sim_market_add_inst(v->m, v->idx, (int)c, sym, co->name, "USDT");
		if (!in || in->vidx >= SIM_VENUE_INSTS)
			return -ENOSPC;
		ok_coin_rules(co, c, &r);
		b->inst[in->vidx].code = r.code;
		in->tick = r.tick;
		in->tick_fn = NULL;
		in->step = r.lot;
		in->min_qty = r.min_sz;
		in->max_qty = 9999999999LL * SIM_SCALE / 100;
		in->min_notional = 0;
		in->max_notional = 1000000 * SIM_SCALE;
		in->px_decimals = 8;
		in->qty_decimals = 8;
		in->depth = v->cfg->depth ? v->cfg->depth : 100;
		if (in->depth > OK_BOOK_DEPTH)
			in->depth = OK_BOOK_DEPTH;
	}
	ru->maker_fee = v->cfg->maker_fee;
	ru->taker_fee = v->cfg->taker_fee;
	ru->fee_rule = SIM_FEE_RECEIVED;
	ru->lock_fee = false;
	ru->cid_forever = false;
	ru->fok_rejects = false;
	ru->max_open = OK_MAX_OPEN;
	return 0;
}

static struct sim_inst *ok_inst_code(struct sim_venue *v, int64_t code)
{
	struct ok *b = v->priv;

	for (uint32_t i = 0; i < v->ninst; i++)
		if (b->inst[i].code == code)
			return sim_venue_inst(v, i);
	return NULL;
}

/* ---- books: levels, checksum ---------------------------------------------------- */

/* ["px","sz","0","n"] */
static void w_level(struct jw *w, sim_fx px, sim_fx qty, bool first)
{
	jw_raw(w, first ? "[" : ",[", first ? 1 : 2);
	w_num(w, px);
	jw_raw(w, ",", 1);
	w_num(w, qty);
	jw_lit(w, qty ? ",\"0\",\"1\"]" : ",\"0\",\"0\"]");
}

static void w_side(struct jw *w, const struct sim_level *lv, uint32_t n, uint32_t max)
{
	jw_raw(w, "[", 1);
	for (uint32_t i = 0; i < n && i < max; i++)
		w_level(w, lv[i].px, lv[i].qty, !i);
	jw_raw(w, "]", 1);
}

/* The checksum of the view's top 25 a side, as OKX computed it: a signed int32. */
static int32_t ok_checksum(struct ok *b, const struct sim_book_view *vw)
{
	struct jw w;

	jw_init(&w, b->scratch, sizeof(b->scratch));
	for (uint32_t i = 0; i < OK_CKSUM_DEPTH; i++) {
		for (unsigned s = SIM_BID; s <= SIM_ASK; s++) {
			if (i >= vw->n[s])
				continue;
			if (w.len)
				jw_raw(&w, ":", 1);
			jw_fx_short(&w, vw->lv[s][i].px);
			jw_raw(&w, ":", 1);
			jw_fx_short(&w, vw->lv[s][i].qty);
		}
	}
	if (w.over)
		return 0;
	return (int32_t)ok_crc32(b, w.p, w.len);
}

/* The checksum field of the next books message: 0, the real one, or a bad one. */
static int32_t ok_cksum_field(struct ok *b, const struct sim_book_view *vw)
{
	int32_t ck;

	if (!b->cksum)
		return 0;
	ck = ok_checksum(b, vw);
	if (b->bad_cksum) {
		b->bad_cksum--;
		ck ^= 0x5a5a;
	}
	return ck;
}

/* {"arg":{"channel":"<ch>","instId":"<sym>"} */
static void w_arg_head(struct jw *w, const char *ch, const struct sim_inst *in)
{
	jw_lit(w, "{\"arg\":{\"channel\":\"");
	jw_lit(w, ch);
	jw_lit(w, "\",\"instId\":\"");
	jw_lit(w, in->sym);
	jw_lit(w, "\"}");
}

/* Send out[0..len) to every public connection subscribed to (chan, vidx). */
static void ok_fan(struct sim_venue *v, struct jw *w, unsigned chan, unsigned vidx)
{
	struct sim_ws *c = NULL;

	if (!jw_done(w))
		return;
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET && (ok_cs(c)->sub[chan] >> vidx & 1))
			sim_ws_send_md(c, WS_OP_TEXT, w->p, w->len);
}

/* The books snapshot of the view, to one connection. */
static void ok_send_snapshot(struct sim_venue *v, struct ok *b, struct sim_ws *c,
			     const struct sim_inst *in)
{
	const struct sim_book_view *vw = &in->view;
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, "books", in);
	jw_lit(&w, ",\"action\":\"snapshot\",\"data\":[{\"asks\":");
	w_side(&w, vw->lv[SIM_ASK], vw->n[SIM_ASK], OK_BOOK_DEPTH);
	jw_lit(&w, ",\"bids\":");
	w_side(&w, vw->lv[SIM_BID], vw->n[SIM_BID], OK_BOOK_DEPTH);
	w_ku64s(&w, "ts", vw->ts_ms);
	jw_lit(&w, ",\"checksum\":");
	jw_i64(&w, ok_cksum_field(b, vw));
	jw_lit(&w, ",\"prevSeqId\":-1,\"seqId\":");
	jw_u64(&w, vw->update_id);
	jw_lit(&w, "}]}");
	if (jw_done(&w))
		sim_ws_send_md(c, WS_OP_TEXT, w.p, w.len);
}

static bool px_better(unsigned side, sim_fx a, sim_fx b)
{
	return side == SIM_BID ? a > b : a < b;
}

/* The levels of one side that differ between the view and the live book, best first. */
static uint32_t w_diff_side(struct jw *w, const struct sim_book_view *vw,
			    const struct sim_book_side *live, unsigned side)
{
	uint32_t i = 0, j = 0, nv = vw->n[side], nl = live->n < OK_BOOK_DEPTH ? live->n
									     : OK_BOOK_DEPTH;
	const struct sim_level *a = vw->lv[side], *l = live->lv;
	uint32_t n = 0;

	jw_raw(w, "[", 1);
	while (i < nv || j < nl) {
		if (j >= nl || (i < nv && px_better(side, a[i].px, l[j].px))) {
			w_level(w, a[i].px, 0, !n++);
			i++;
		} else if (i >= nv || px_better(side, l[j].px, a[i].px)) {
			w_level(w, l[j].px, l[j].qty, !n++);
			j++;
		} else {
			if (a[i].qty != l[j].qty)
				w_level(w, l[j].px, l[j].qty, !n++);
			i++;
			j++;
		}
	}
	jw_raw(w, "]", 1);
	return n;
}

/*
 * A books point of one instrument: when the book moved since the view, the
 * update (unless the gap fault eats it) and a new view.
 */
static void ok_books_point(struct sim_venue *v, struct ok *b, struct sim_inst *in,
			   bool readers, uint64_t ts, uint64_t now_ns)
{
	struct ok_inst *oi = &b->inst[in->vidx];
	uint64_t prev = in->view.update_id;
	uint32_t n;
	struct jw w;

	if (in->update_id == prev)
		return;
	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, "books", in);
	jw_lit(&w, ",\"action\":\"update\",\"data\":[{\"asks\":");
	n = w_diff_side(&w, &in->view, &in->book.side[SIM_ASK], SIM_ASK);
	jw_lit(&w, ",\"bids\":");
	n += w_diff_side(&w, &in->view, &in->book.side[SIM_BID], SIM_BID);
	if (!n)
		return; /* changes that cancelled out: the chain waits for a real one */
	sim_inst_view(in, OK_BOOK_DEPTH, in->update_id, ts);
	if (!readers || sim_fault_take(v, SIM_FAULT_GAP))
		return;
	w_ku64s(&w, "ts", ts);
	jw_lit(&w, ",\"checksum\":");
	jw_i64(&w, ok_cksum_field(b, &in->view));
	jw_lit(&w, ",\"prevSeqId\":");
	jw_u64(&w, prev);
	jw_lit(&w, ",\"seqId\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, "}]}");
	oi->books_ns = now_ns;
	ok_fan(v, &w, OK_BOOKS, in->vidx);
}

/* The idle heartbeat: an update with no levels, prevSeqId == seqId. */
static void ok_books_heartbeat(struct sim_venue *v, struct ok *b, const struct sim_inst *in)
{
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, "books", in);
	jw_lit(&w, ",\"action\":\"update\",\"data\":[{\"asks\":[],\"bids\":[]");
	w_ku64s(&w, "ts", sim_venue_now_ms(v));
	jw_lit(&w, ",\"checksum\":");
	jw_i64(&w, ok_cksum_field(b, &in->view));
	jw_lit(&w, ",\"prevSeqId\":");
	jw_u64(&w, in->view.update_id);
	jw_lit(&w, ",\"seqId\":");
	jw_u64(&w, in->view.update_id);
	jw_lit(&w, "}]}");
	ok_fan(v, &w, OK_BOOKS, in->vidx);
}

/* bbo-tbt (1 level) or books5 (5 levels, instId in data): snapshots of the live book. */
static void ok_fmt_top(struct sim_venue *v, struct ok *b, const struct sim_inst *in,
		       unsigned chan, uint64_t ts)
{
	uint32_t lv = chan == OK_BBO ? 1 : 5;
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, ok_chan_name[chan], in);
	jw_lit(&w, ",\"data\":[{\"asks\":");
	w_side(&w, in->book.side[SIM_ASK].lv, in->book.side[SIM_ASK].n, lv);
	jw_lit(&w, ",\"bids\":");
	w_side(&w, in->book.side[SIM_BID].lv, in->book.side[SIM_BID].n, lv);
	if (chan == OK_BOOKS5)
		w_kstr(&w, "instId", in->sym);
	w_ku64s(&w, "ts", ts);
	jw_lit(&w, ",\"seqId\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, "}]}");
	ok_fan(v, &w, chan, in->vidx);
}

static void ok_fmt_trade(struct sim_venue *v, struct ok *b, const struct sim_inst *in,
			 const struct sim_trade *t)
{
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, "trades", in);
	jw_lit(&w, ",\"data\":[{\"instId\":");
	jw_str(&w, in->sym);
	w_ku64s(&w, "tradeId", t->id);
	w_knum(&w, "px", t->px);
	w_knum(&w, "sz", t->qty);
	w_kstr(&w, "side", t->taker_side == SIM_BID ? "buy" : "sell");
	w_ku64s(&w, "ts", t->ts_ms);
	jw_lit(&w, ",\"count\":\"1\",\"source\":\"0\",\"seqId\":");
	jw_u64(&w, in->update_id);
	jw_lit(&w, "}]}");
	ok_fan(v, &w, OK_TRADES, in->vidx);
}

/* tickers [okx-tickers.jsonl] */
static void ok_fmt_ticker(struct sim_venue *v, struct ok *b, const struct sim_inst *in,
			  uint64_t ts)
{
	const struct sim_book_side *bs = &in->book.side[SIM_BID], *as = &in->book.side[SIM_ASK];
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	w_arg_head(&w, "tickers", in);
	jw_lit(&w, ",\"data\":[{\"instType\":\"SPOT\",\"instId\":");
	jw_str(&w, in->sym);
	w_knum(&w, "last", in->last_px);
	w_knum(&w, "lastSz", b->inst[in->vidx].last_qty);
	w_knum(&w, "askPx", as->n ? as->lv[0].px : 0);
	w_knum(&w, "askSz", as->n ? as->lv[0].qty : 0);
	w_knum(&w, "bidPx", bs->n ? bs->lv[0].px : 0);
	w_knum(&w, "bidSz", bs->n ? bs->lv[0].qty : 0);
	w_knum(&w, "open24h", in->open_px);
	w_knum(&w, "high24h", in->high_px);
	w_knum(&w, "low24h", in->low_px);
	w_knum(&w, "volCcy24h", in->acc_quote);
	w_knum(&w, "vol24h", in->acc_volume);
	w_knum(&w, "sodUtc0", in->open_px);
	w_knum(&w, "sodUtc8", in->open_px);
	w_ku64s(&w, "ts", ts);
	jw_lit(&w, "}]}");
	ok_fan(v, &w, OK_TICKERS, in->vidx);
}

/*
 * After a step (flush false) or now (flush true: the market pauses, or an
 * order moved a paused book): bbo-tbt and trades at once, books, books5
 * and tickers on the 100 ms grid.
 */
static void ok_publish_at(struct sim_venue *v, uint64_t now_ms, bool flush)
{
	struct ok *b = v->priv;
	uint32_t any[OK_NCHAN] = { 0 };
	uint64_t ts = sim_venue_now_ms(v), per = now_ms / 100, now_ns = net_now_ns();
	struct sim_ws *c = NULL;
	bool fire = flush || per != b->period;

	b->period = per;
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_MARKET)
			for (unsigned k = 0; k < OK_NCHAN; k++)
				any[k] |= ok_cs(c)->sub[k];
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);
		struct ok_inst *oi = &b->inst[i];
		uint32_t bit = 1u << i;

		if ((any[OK_BBO] & bit) && in->top_changed) {
			ok_fmt_top(v, b, in, OK_BBO, ts);
			oi->snap_ns = now_ns;
		}
		for (uint32_t t = 0; t < in->ntrades; t++) {
			oi->last_qty = in->trades[t].qty;
			if (any[OK_TRADES] & bit)
				ok_fmt_trade(v, b, in, &in->trades[t]);
		}
		if (fire) {
			ok_books_point(v, b, in, (any[OK_BOOKS] & bit) != 0, ts, now_ns);
			if ((any[OK_BOOKS5] & bit) && oi->b5_id != in->update_id) {
				ok_fmt_top(v, b, in, OK_BOOKS5, ts);
				oi->b5_id = in->update_id;
				oi->snap_ns = now_ns;
			}
			if ((any[OK_TICKERS] & bit) && (oi->tick_id != in->update_id ||
							oi->tick_trades != in->next_trade_id)) {
				ok_fmt_ticker(v, b, in, ts);
				oi->tick_id = in->update_id;
				oi->tick_trades = in->next_trade_id;
			}
		}
		sim_inst_drain(in);
	}
}

static void ok_publish(struct sim_venue *v, uint64_t now_ms)
{
	ok_publish_at(v, now_ms, false);
}

static void ok_flush(struct sim_venue *v, uint64_t now_ms)
{
	ok_publish_at(v, now_ms, true);
}

/* The first views: what a snapshot shows before any update. */
static kimp_cold void ok_start(struct sim_venue *v)
{
	struct ok *b = v->priv;
	uint64_t now = net_now_ns();

	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);

		sim_inst_view(in, OK_BOOK_DEPTH, in->update_id, in->book_ts_ms);
		b->inst[i].books_ns = b->inst[i].snap_ns = now;
	}
}

/* ---- WebSocket: events -------------------------------------------------------------- */

/* {"event":"error","code":"<code>","msg":"<msg>"[,"id":..],"connId":".."} */
static void ok_ws_error(struct ok *b, struct sim_ws *c, const char *id, const char *code,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void ok_ws_error(struct ok *b, struct sim_ws *c, const char *id, const char *code,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	struct jw w;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_init(&w, b->out, OK_OUT);
	jw_lit(&w, "{");
	if (id && id[0]) {
		jw_lit(&w, "\"id\":");
		jw_lit(&w, id);
		jw_lit(&w, ",");
	}
	jw_lit(&w, "\"event\":\"error\",\"code\":\"");
	jw_lit(&w, code);
	jw_lit(&w, "\",\"msg\":");
	jw_str(&w, msg);
	w_kstr(&w, "connId", ok_cs(c)->conn_id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* The request's id ("1512"), quoted into out; "" when none; -1 when malformed. */
static int ok_req_id(const char *src, const struct jr_tok *t, int ti, char *out)
{
	out[0] = '\0';
	if (ti < 0)
		return 0;
	if (t[ti].type != JR_STR || !ok_alnum(src + t[ti].start, t[ti].len, 32))
		return -1;
	out[0] = '"';
	memcpy(out + 1, src + t[ti].start, t[ti].len);
	out[t[ti].len + 1] = '"';
	out[t[ti].len + 2] = '\0';
	return 0;
}

/* 480 subscribe, unsubscribe and login requests an hour per connection. */
static bool ok_hour_ok(struct sim_venue *v, struct sim_ws *c)
{
	struct ok_conn *cs = ok_cs(c);
	uint64_t h = net_now_ns() / 3600000000000ull;

	if (!v->cfg->rate_limits)
		return true;
	if (cs->hour_idx != h) {
		cs->hour_idx = h;
		cs->hour_n = 0;
	}
	return ++cs->hour_n <= OK_HOUR_OPS;
}

/* {"channel":"books","instId":"BTC-USDT"} as an arg echo. */
static void w_sub_arg(struct jw *w, const char *src, const struct jr_tok *t, int arg)
{
	jw_raw(w, src + t[arg].start, t[arg].len);
}

static int ok_chan_of(const char *s, size_t n)
{
	for (unsigned k = 0; k < OK_NCHAN; k++)
		if (ok_seq(s, n, ok_chan_name[k]))
			return (int)k;
	return -1;
}

/*
 * {"event":"channel-conn-count","channel":"orders","connCount":"N","connId":..}
 * after an orders subscription: the account's connections on the channel
 * [okx-ws-control.jsonl line 12].
 */
static void ok_conn_count(struct sim_venue *v, struct ok *b, struct sim_ws *c)
{
	struct sim_ws *o = NULL;
	uint32_t n = 0;
	struct jw w;

	while ((o = sim_venue_next_ws(v, o)))
		n += o->kind == SIM_WS_PRIVATE && o->acct == c->acct &&
		     (ok_cs(o)->osub || ok_cs(o)->oall);
	jw_init(&w, b->out, OK_OUT);
	jw_lit(&w, "{\"event\":\"channel-conn-count\",\"channel\":\"orders\",\"connCount\":\"");
	jw_u64(&w, n);
	jw_lit(&w, "\"");
	w_kstr(&w, "connId", ok_cs(c)->conn_id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/*
 * subscribe / unsubscribe: every arg valid or nothing changes (one error
 * event); then one event per arg, and for each new books subscription its
 * snapshot.
 */
static void ok_ws_sub(struct sim_venue *v, struct ok *b, struct sim_ws *c, const char *src,
		      int args, bool add, const char *id)
{
	const struct jr_tok *t = b->tok;
	struct ok_conn *cs = ok_cs(c);
	uint32_t set[OK_NCHAN] = { 0 }, oset = 0;
	bool oall = false;
	struct jw w;

	if (args < 0 || t[args].type != JR_ARR || !t[args].size) {
		ok_ws_error(b, c, id, "60013", "Invalid args");
		return;
	}
	for (uint32_t i = 0; i < t[args].size; i++) {
		int a = jr_at(t, args, i), ch, ii, it;
		const struct sim_inst *in = NULL;
		char chan[32] = "", inst[SIM_SYM_MAX + 8] = "";

		if (t[a].type != JR_OBJ) {
			ok_ws_error(b, c, id, "60013", "Invalid args");
			return;
		}
		ch = jr_get(src, t, a, "channel");
		ii = jr_get(src, t, a, "instId");
		it = jr_get(src, t, a, "instType");
		if (ch < 0 || jr_str(src, &t[ch], chan, sizeof(chan)) < 0 ||
		    (ii >= 0 && jr_str(src, &t[ii], inst, sizeof(inst)) < 0)) {
			ok_ws_error(b, c, id, "60013", "Invalid args");
			return;
		}
		if (ii >= 0)
			in = sim_venue_inst_sym(v, inst, strlen(inst));
		if (c->kind == SIM_WS_PRIVATE && !strcmp(chan, "orders")) {
			if (c->acct < 0) {
				ok_ws_error(b, c, id, "60011", "Please log in");
				return;
			}
			if (it < 0 || !(jr_eq(src, &t[it], "SPOT") || jr_eq(src, &t[it], "ANY")) ||
			    (ii >= 0 && !in)) {
				ok_ws_error(b, c, id, "60018", "Wrong URL or channel:%s,instId:%s "
					    "doesn't exist. Please use the correct URL, channel and "
					    "parameters referring to API document.", chan, inst);
				return;
			}
			if (in)
				oset |= 1u << in->vidx;
			else
				oall = true;
			continue;
		}
		if (c->kind == SIM_WS_MARKET &&
		    (!strcmp(chan, "books-l2-tbt") || !strcmp(chan, "books50-l2-tbt"))) {
			ok_ws_error(b, c, id, "64003", "Your trading fee tier doesn't meet the "
				    "requirement to access this channel");
			return;
		}
		ch = c->kind == SIM_WS_MARKET ? ok_chan_of(chan, strlen(chan)) : -1;
		if (ch < 0 || !in) {
			ok_ws_error(b, c, id, "60018", "Wrong URL or channel:%s,instId:%s doesn't "
				    "exist. Please use the correct URL, channel and parameters "
				    "referring to API document.", chan, inst);
			return;
		}
		set[ch] |= 1u << in->vidx;
	}
	if (!ok_hour_ok(v, c)) {
		ok_ws_error(b, c, id, "60014", "Requests too frequent.");
		return;
	}
	for (uint32_t i = 0; i < t[args].size; i++) {
		jw_init(&w, b->out, OK_OUT);
		jw_lit(&w, "{");
		if (id[0]) {
			jw_lit(&w, "\"id\":");
			jw_lit(&w, id);
			jw_lit(&w, ",");
		}
		jw_lit(&w, add ? "\"event\":\"subscribe\",\"arg\":" : "\"event\":\"unsubscribe\",\"arg\":");
		w_sub_arg(&w, src, t, jr_at(t, args, i));
		w_kstr(&w, "connId", cs->conn_id);
		jw_lit(&w, "}");
		if (jw_done(&w))
			sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
	}
	if (!add) {
		for (unsigned k = 0; k < OK_NCHAN; k++)
			cs->sub[k] &= ~set[k];
		cs->osub &= ~oset;
		if (oall)
			cs->oall = false;
		return;
	}
	for (uint32_t i = 0; i < v->ninst; i++)
		if ((set[OK_BOOKS] >> i & 1) && !(cs->sub[OK_BOOKS] >> i & 1))
			ok_send_snapshot(v, b, c, sim_venue_inst(v, i));
	for (unsigned k = 0; k < OK_NCHAN; k++)
		cs->sub[k] |= set[k];
	cs->osub |= oset;
	cs->oall |= oall;
	if (oset || oall)
		ok_conn_count(v, b, c);
}

/* ---- authentication --------------------------------------------------------------- */

static const struct venue_hmac_key *ok_key(struct sim_venue *v, struct ok *b, int acct)
{
	const struct sim_account *a = &v->x->acct[acct];

	if (!b->hk_ok[acct]) {
		if (venue_hmac_key_init(&b->hk[acct], VENUE_SHA256, a->secret, a->secret_len))
			return NULL;
		b->hk_ok[acct] = true;
	}
	return &b->hk[acct];
}

/* base64 HMAC-SHA256 of iov[0..n) equals sig[0..sl)? */
static bool ok_sig_ok(const struct venue_hmac_key *k, const struct iovec *iov, unsigned n,
		      const char *sig, size_t sl)
{
	char want[VENUE_B64_LEN(VENUE_SHA256_LEN)];
	int len = venue_hmac_key_signv(k, iov, n, VENUE_B64, want, sizeof(want));

	return len > 0 && (size_t)len == sl && venue_ct_eq(want, sig, sl);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "2020-12-08T09:08:57.715Z" -> epoch ms; -1 when it is not that form. */
static int64_t ok_iso_ms(const char *s, size_t n)
{
	unsigned y, mo, d, h, mi, se, ms;

	if (n != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[23] != 'Z')
		return -1;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se) ||
	    !digits(s + 20, 3, &ms))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	return ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000) + ms;
}

/*
 * WS login [okx-ws-control.jsonl]: {"op":"login","args":[{"apiKey",
 * "passphrase","timestamp","sign"}]}: the key (60005), the timestamp in
 * unix seconds within 30 s (60004 malformed, 60006 expired), the
 * passphrase (60024) and the sign (60007). Then {"event":"login","code":"0"}.
 */
static void ok_ws_login(struct sim_venue *v, struct ok *b, struct sim_ws *c, const char *src,
			int args, const char *id)
{
	const struct jr_tok *t = b->tok;
	char key[SIM_KEY_MAX], pass[80], ts[24], sig[96];
	int a = args >= 0 && t[args].type == JR_ARR && t[args].size == 1 ? jr_at(t, args, 0) : -1;
	int tk, tp, tt, ts_i, kl;
	const struct venue_hmac_key *k;
	struct sim_account *acct;
	int64_t now_s = (int64_t)(sim_venue_now_ms(v) / 1000), tsv = 0;
	struct jw w;

	if (!ok_hour_ok(v, c)) {
		ok_ws_error(b, c, id, "60014", "Requests too frequent.");
		return;
	}
	if (a < 0 || t[a].type != JR_OBJ) {
		ok_ws_error(b, c, id, "60013", "Invalid args");
		return;
	}
	tk = jr_get(src, t, a, "apiKey");
	tp = jr_get(src, t, a, "passphrase");
	tt = jr_get(src, t, a, "timestamp");
	ts_i = jr_get(src, t, a, "sign");
	if (tk < 0 || tp < 0 || tt < 0 || ts_i < 0 ||
	    (kl = jr_str(src, &t[tk], key, sizeof(key))) < 0 ||
	    jr_str(src, &t[tp], pass, sizeof(pass)) < 0 ||
	    jr_str(src, &t[tt], ts, sizeof(ts)) < 0 ||
	    jr_str(src, &t[ts_i], sig, sizeof(sig)) < 0) {
		ok_ws_error(b, c, id, "60013", "Invalid args");
		return;
	}
	acct = sim_exch_account_by_key(v->x, v->idx, key, (size_t)kl);
	if (!acct) {
		ok_ws_error(b, c, id, "60005", "Invalid OK-ACCESS-KEY");
		return;
	}
	for (const char *p = ts; *p; p++) {
		if (*p < '0' || *p > '9' || p - ts > 12) {
			ok_ws_error(b, c, id, "60004", "Invalid timestamp");
			return;
		}
		tsv = tsv * 10 + (*p - '0');
	}
	if (!ts[0]) {
		ok_ws_error(b, c, id, "60004", "Invalid timestamp");
		return;
	}
	if (tsv < now_s - OK_LOGIN_WINDOW_S || tsv > now_s + OK_LOGIN_WINDOW_S) {
		ok_ws_error(b, c, id, "60006", "Timestamp request expired");
		return;
	}
	if (strcmp(pass, OK_PASSPHRASE)) {
		ok_ws_error(b, c, id, "60024", "Wrong passphrase");
		return;
	}
	k = ok_key(v, b, (int)(acct - v->x->acct));
	if (!k || !ok_sig_ok(k, (struct iovec[]){ { ts, strlen(ts) },
						   { (void *)(uintptr_t)"GET/users/self/verify", 21 } },
			     2, sig, strlen(sig))) {
		ok_ws_error(b, c, id, "60007", "Invalid sign");
		return;
	}
	c->acct = (int8_t)(acct - v->x->acct);
	jw_init(&w, b->out, OK_OUT);
	jw_lit(&w, "{");
	if (id[0]) {
		jw_lit(&w, "\"id\":");
		jw_lit(&w, id);
		jw_lit(&w, ",");
	}
	jw_lit(&w, "\"event\":\"login\",\"code\":\"0\",\"msg\":\"\"");
	w_kstr(&w, "connId", ok_cs(c)->conn_id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* ---- requests: context, errors, limits ---------------------------------------------- */

enum ok_via { OK_REST = 0, OK_WS = 1 };

/* One request being answered (now, or from a job). */
struct ok_ctx {
	struct sim_venue *v;
	struct ok *b;
	uint8_t via;
	struct http_sconn *sc;
	struct sim_ws *c;
	bool live;
	int acct;
	uint64_t now_ms;
	uint64_t in_us;
	const char *op;                 /* WS: "order", "cancel-order" */
	char id[OK_ID_MAX];             /* WS: the request id, quoted, or "" */
	/* the error to answer: top-level code, or an item's sCode */
	unsigned status;
	char code[8];
	char msg[256];
};

static int ok_fail(struct ok_ctx *x, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set the top-level error to answer with; returns -1. */
static int ok_fail(struct ok_ctx *x, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	x->status = status;
	snprintf(x->code, sizeof(x->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void ok_ctx_init(struct ok_ctx *x, struct sim_venue *v, uint8_t via)
{
	memset(x, 0, sizeof(*x));
	x->v = v;
	x->b = v->priv;
	x->via = via;
	x->live = true;
	x->acct = -1;
	x->now_ms = sim_venue_now_ms(v);
	x->in_us = sim_now_real_ns() / 1000;
}

/* Reply head: REST {"code":"0","msg":"","data":  WS {"id":..,"op":..,"code":"0","msg":"","data": */
static void ok_head(struct ok_ctx *x, struct jw *w, const char *code, const char *msg)
{
	jw_init(w, x->b->out, OK_OUT);
	jw_lit(w, "{");
	if (x->via == OK_WS) {
		if (x->id[0]) {
			jw_lit(w, "\"id\":");
			jw_lit(w, x->id);
			jw_lit(w, ",");
		}
		jw_lit(w, "\"op\":\"");
		jw_lit(w, x->op);
		jw_lit(w, "\",");
	}
	jw_lit(w, "\"code\":\"");
	jw_lit(w, code);
	jw_lit(w, "\",\"msg\":");
	jw_str(w, msg);
	jw_lit(w, ",\"data\":");
}

/* Close the reply (inTime/outTime) and send it with the status. */
static void ok_send(struct ok_ctx *x, struct jw *w, unsigned status)
{
	w_ku64s(w, "inTime", x->in_us);
	w_ku64s(w, "outTime", sim_now_real_ns() / 1000);
	jw_lit(w, "}");
	if (!jw_done(w) || !x->live)
		return;
	if (x->via == OK_WS)
		sim_ws_send(x->c, WS_OP_TEXT, w->p, w->len);
	else
		sim_rest_reply(x->v, x->sc, status, NULL, w->p, w->len);
	sim_venue_answered(x->v, status);
}

/* The top-level error in x: {"code":"5xxxx","msg":"..","data":[]}. */
static void ok_send_err(struct ok_ctx *x)
{
	struct jw w;

	ok_head(x, &w, x->code, x->msg);
	jw_lit(&w, "[]");
	ok_send(x, &w, x->status ? x->status : 200);
}

/* A 2 s window's count: true when one more fits under limit. */
static bool ok_win_take(struct ok_win *w, uint32_t limit, uint64_t now_ms)
{
	if (w->idx != now_ms / OK_WIN_MS) {
		w->idx = now_ms / OK_WIN_MS;
		w->n = 0;
	}
	if (w->n >= limit)
		return false;
	w->n++;
	return true;
}

static int ok_rate_fail(struct ok_ctx *x)
{
	return ok_fail(x, 429, "50011", "Rate limit reached. Please refer to API documentation "
		       "and throttle requests accordingly.");
}

/* The 429 burst and ban faults, before anything else: 0 or -1. */
static int ok_fault_gate(struct ok_ctx *x)
{
	uint64_t left, now = net_now_ns();

	if (sim_fault_banned(x->v, now, &left) || sim_fault_429(x->v, now))
		return ok_rate_fail(x);
	return 0;
}

static int ok_rate_pub(struct ok_ctx *x, unsigned g)
{
	if (!x->v->cfg->rate_limits || ok_win_take(&x->b->pub[g], ok_pub_limit[g], x->now_ms))
		return 0;
	return ok_rate_fail(x);
}

static int ok_rate_acct(struct ok_ctx *x, unsigned g)
{
	if (!x->v->cfg->rate_limits ||
	    ok_win_take(&x->b->acct[x->acct][g], ok_acct_limit[g], x->now_ms))
		return 0;
	return ok_rate_fail(x);
}

static int ok_rate_inst(struct ok_ctx *x, unsigned g, const struct sim_inst *in)
{
	if (!x->v->cfg->rate_limits ||
	    ok_win_take(&x->b->iw[x->acct][in->vidx][g], ok_inst_limit[g], x->now_ms))
		return 0;
	return ok_rate_fail(x);
}

/* A header's value, or NULL/0. */
static const char *ok_hdr(const struct net_http_parser *req, const char *name, size_t *n)
{
	struct net_http_str h = net_http_header(req, name);

	*n = h.len;
	return h.len ? h.p : NULL;
}

/*
 * A signed REST request: the four OK-ACCESS headers (50103..50107 when
 * one is missing), the timestamp (50112 malformed, 50102 off by more than
 * 30 s), the key (50111), the passphrase (50105), the sign over
 * timestamp + METHOD + path[?query] + body (50113). All 401.
 */
static int ok_auth(struct ok_ctx *x, const struct net_http_parser *req)
{
	size_t kl, sl, tl, pl;
	const char *key = ok_hdr(req, "OK-ACCESS-KEY", &kl);
	const char *sig = ok_hdr(req, "OK-ACCESS-SIGN", &sl);
	const char *ts = ok_hdr(req, "OK-ACCESS-TIMESTAMP", &tl);
	const char *pass = ok_hdr(req, "OK-ACCESS-PASSPHRASE", &pl);
	struct net_http_str path = net_http_path(req), q = net_http_query(req);
	struct net_http_str body = net_http_body(req);
	const char *method = req->method == NET_HTTP_POST ? "POST" : "GET";
	const struct venue_hmac_key *k;
	struct sim_account *a;
	int64_t tms;

	if (!key)
		return ok_fail(x, 401, "50103", "Request header OK-ACCESS-KEY cannot be empty.");
	if (!pass)
		return ok_fail(x, 401, "50104",
			       "Request header OK-ACCESS-PASSPHRASE cannot be empty.");
	if (!sig)
		return ok_fail(x, 401, "50106", "Request header OK-ACCESS-SIGN cannot be empty.");
	if (!ts)
		return ok_fail(x, 401, "50107",
			       "Request header OK-ACCESS-TIMESTAMP cannot be empty.");
	tms = ok_iso_ms(ts, tl);
	if (tms < 0)
		return ok_fail(x, 401, "50112", "Invalid OK-ACCESS-TIMESTAMP");
	if (tms < (int64_t)x->now_ms - OK_TS_WINDOW_MS || tms > (int64_t)x->now_ms + OK_TS_WINDOW_MS)
		return ok_fail(x, 401, "50102", "Timestamp request expired");
	a = kl < SIM_KEY_MAX ? sim_exch_account_by_key(x->v->x, x->v->idx, key, kl) : NULL;
	if (!a)
		return ok_fail(x, 401, "50111", "Invalid OK-ACCESS-KEY");
	x->acct = (int)(a - x->v->x->acct);
	if (!ok_seq(pass, pl, OK_PASSPHRASE))
		return ok_fail(x, 401, "50105", "Invalid OK-ACCESS-PASSPHRASE");
	k = ok_key(x->v, x->b, x->acct);
	{
		struct iovec iov[6] = {
			{ (void *)(uintptr_t)ts, tl },
			{ (void *)(uintptr_t)method, strlen(method) },
			{ (void *)(uintptr_t)path.p, path.len },
			{ (void *)(uintptr_t)"?", q.p ? 1 : 0 },
			{ (void *)(uintptr_t)(q.p ? q.p : ""), q.p ? q.len : 0 },
			{ (void *)(uintptr_t)(body.p ? body.p : ""), body.p ? body.len : 0 },
		};

		if (!k || !ok_sig_ok(k, iov, 6, sig, sl))
			return ok_fail(x, 401, "50113", "Invalid Sign");
	}
	return 0;
}

/* The value of query parameter 'key' (not decoded); NULL when absent. */
static const char *ok_query(const struct net_http_parser *req, const char *key, size_t *vlen)
{
	struct net_http_str q = net_http_query(req);
	size_t kl = strlen(key), i = 0;

	while (q.p && i < q.len) {
		const char *e = memchr(q.p + i, '&', q.len - i);
		size_t l = e ? (size_t)(e - (q.p + i)) : q.len - i;

		if (l > kl && q.p[i + kl] == '=' && !memcmp(q.p + i, key, kl)) {
			*vlen = l - kl - 1;
			return q.p + i + kl + 1;
		}
		i += l + 1;
	}
	*vlen = 0;
	return NULL;
}

/* ---- orders: decoding ------------------------------------------------------------ */

static const char *ok_ord_type(const struct sim_order *o)
{
	if (o->type == SIM_ORD_MARKET || o->type == SIM_ORD_MARKET_QUOTE)
		return "market";
	switch (o->tif) {
	case SIM_IOC:
		return "ioc";
	case SIM_FOK:
		return "fok";
	case SIM_POST_ONLY:
		return "post_only";
	default:
		return "limit";
	}
}

static const char *ok_state(const struct sim_order *o)
{
	switch (o->status) {
	case SIM_ST_NEW:
		return "live";
	case SIM_ST_PARTIAL:
		return "partially_filled";
	case SIM_ST_FILLED:
		return "filled";
	default:
		return "canceled";
	}
}

/* The order as decoded, or the item error (sCode) to answer. */
struct ok_item {
	struct sim_order_req req;
	struct sim_inst *in;
	char scode[8];
	char smsg[160];
	char cid[OK_CID_MAX];
	char tag[17];
	uint64_t ord_id;
};

static int ok_item_fail(struct ok_item *it, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ok_item_fail(struct ok_item *it, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(it->scode, sizeof(it->scode), "%s", code);
	va_start(ap, fmt);
	vsnprintf(it->smsg, sizeof(it->smsg), fmt, ap);
	va_end(ap);
	return 1;
}

/* A string member into out: 1 present, 0 absent, -1 not a string or too long. */
static int ok_get_str(const char *src, const struct jr_tok *t, int obj, const char *k, char *out,
		      size_t cap)
{
	int i = jr_get(src, t, obj, k);

	out[0] = '\0';
	if (i < 0)
		return 0;
	if (t[i].type != JR_STR || jr_str(src, &t[i], out, cap) < 0)
		return -1;
	return 1;
}

/*
 * The instrument of an order item: REST by instId (50014 missing; sCode
 * 51001 unknown), WS by instIdCode (required since 2026-03; instId is
 * ignored). 0, 1 (item error) or -1 (request error in x).
 */
static int ok_item_inst(struct ok_ctx *x, const char *src, const struct jr_tok *t, int a,
			struct ok_item *it)
{
	char sym[SIM_SYM_MAX + 8];
	int r;

	if (x->via == OK_WS) {
		int ci = jr_get(src, t, a, "instIdCode");
		int64_t code;

		if (ci < 0 || t[ci].type != JR_NUM || jr_i64(src, &t[ci], &code))
			return ok_fail(x, 200, "60013", "Invalid args");
		it->in = ok_inst_code(x->v, code);
		if (!it->in)
			return ok_item_fail(it, "51001", "Instrument ID, Instrument ID code, or "
					    "Spread ID doesn't exist.");
		return 0;
	}
	r = ok_get_str(src, t, a, "instId", sym, sizeof(sym));
	if (r <= 0 || !sym[0])
		return ok_fail(x, 400, "50014", "Parameter instId can not be empty.");
	it->in = sim_venue_inst_sym(x->v, sym, strlen(sym));
	if (!it->in)
		return ok_item_fail(it, "51001", "Instrument ID, Instrument ID code, or Spread "
				    "ID doesn't exist.");
	return 0;
}

/* clOrdId: 1-32 alphanumerics; absent is fine. 0 or 1 (item error). */
static int ok_item_cid(const char *src, const struct jr_tok *t, int a, struct ok_item *it)
{
	int r = ok_get_str(src, t, a, "clOrdId", it->cid, sizeof(it->cid));

	if (r < 0 || (r > 0 && it->cid[0] && !ok_alnum(it->cid, strlen(it->cid), 32)))
		return ok_item_fail(it, "51000", "Parameter clOrdId error");
	return 0;
}

/* A decimal string member: 0 absent, 1 present, 2 an item error, -1 a request error. */
static int ok_item_dec(struct ok_ctx *x, const char *src, const struct jr_tok *t, int a,
		       const char *k, sim_fx *out, struct ok_item *it)
{
	int i = jr_get(src, t, a, k);

	*out = 0;
	if (i < 0 || (t[i].type == JR_STR && !t[i].len))
		return 0;
	if (t[i].type != JR_STR || jr_fx(src, &t[i], out) || *out <= 0) {
		if (x->via == OK_WS)
			return ok_fail(x, 200, "60013", "Invalid args");
		return 1 + ok_item_fail(it, "51000", "Parameter %s error", k);
	}
	return 1;
}

/*
 * One place-order item [okx-rest.jsonl line 1, okx-ws-trade.jsonl line 1]:
 * tdMode cash, side, ordType (limit, post_only, fok, ioc, market), sz,
 * px (not for market), clOrdId, tag, tgtCcy (market: buy defaults to
 * quote_ccy, sell to base_ccy). 0 with it->req filled, 1 for an item error
 * (sCode), -1 for a request error (x).
 */
static int ok_order_item(struct ok_ctx *x, const char *src, const struct jr_tok *t, int a,
			 struct ok_item *it)
{
	char td[16], side[8], type[24], tgt[16];
	sim_fx sz = 0, px = 0;
	int r, have_px;

	memset(it, 0, sizeof(*it));
	if (a < 0 || t[a].type != JR_OBJ)
		return ok_fail(x, x->via == OK_WS ? 200 : 400, x->via == OK_WS ? "60013" : "50014",
			       x->via == OK_WS ? "Invalid args" : "Parameter instId can not be empty.");
	r = ok_item_inst(x, src, t, a, it);
	if (r)
		return r;
	if (ok_item_cid(src, t, a, it))
		return 1;
	if (ok_get_str(src, t, a, "tag", it->tag, sizeof(it->tag)) < 0 ||
	    (it->tag[0] && !ok_alnum(it->tag, strlen(it->tag), 16)))
		return ok_item_fail(it, "51000", "Parameter tag error");
	if (ok_get_str(src, t, a, "tdMode", td, sizeof(td)) <= 0 || !td[0]) {
		if (x->via == OK_WS)
			return ok_fail(x, 200, "60013", "Invalid args");
		return ok_fail(x, 400, "50014", "Parameter tdMode can not be empty.");
	}
	if (strcmp(td, "cash"))
		return ok_item_fail(it, "51000", "Parameter tdMode error");
	if (ok_get_str(src, t, a, "side", side, sizeof(side)) <= 0 ||
	    (strcmp(side, "buy") && strcmp(side, "sell"))) {
		if (x->via == OK_WS)
			return ok_fail(x, 200, "60013", "Invalid args");
		return ok_item_fail(it, "51000", "Parameter side error");
	}
	if (ok_get_str(src, t, a, "ordType", type, sizeof(type)) <= 0) {
		if (x->via == OK_WS)
			return ok_fail(x, 200, "60013", "Invalid args");
		return ok_fail(x, 400, "50014", "Parameter ordType can not be empty.");
	}
	r = ok_item_dec(x, src, t, a, "sz", &sz, it);
	if (r < 0 || r == 2)
		return r < 0 ? -1 : 1;
	if (!r) {
		if (x->via == OK_WS)
			return ok_fail(x, 200, "60013", "Invalid args");
		return ok_fail(x, 400, "50014", "Parameter sz can not be empty.");
	}
	have_px = ok_item_dec(x, src, t, a, "px", &px, it);
	if (have_px < 0 || have_px == 2)
		return have_px < 0 ? -1 : 1;
	it->req.inst = it->in->id;
	it->req.acct = (uint8_t)x->acct;
	it->req.side = side[0] == 'b' ? SIM_BID : SIM_ASK;
	memcpy(it->req.cid, it->cid, sizeof(it->cid));
	it->req.recv_ns = sim_now_real_ns();
	if (!strcmp(type, "market")) {
		if (ok_get_str(src, t, a, "tgtCcy", tgt, sizeof(tgt)) < 0 ||
		    (tgt[0] && strcmp(tgt, "base_ccy") && strcmp(tgt, "quote_ccy")))
			return ok_item_fail(it, "51000", "Parameter tgtCcy error");
		if (!tgt[0])
			strcpy(tgt, it->req.side == SIM_BID ? "quote_ccy" : "base_ccy");
		it->req.tif = SIM_IOC;
		if (!strcmp(tgt, "quote_ccy")) {
			it->req.type = SIM_ORD_MARKET_QUOTE;
			it->req.quote_qty = sz;
		} else {
			it->req.type = SIM_ORD_MARKET;
			it->req.qty = sz;
		}
		return 0;
	}
	if (!strcmp(type, "limit"))
		it->req.tif = SIM_GTC;
	else if (!strcmp(type, "post_only"))
		it->req.tif = SIM_POST_ONLY;
	else if (!strcmp(type, "fok"))
		it->req.tif = SIM_FOK;
	else if (!strcmp(type, "ioc"))
		it->req.tif = SIM_IOC;
	else
		return ok_item_fail(it, "51000", "Parameter ordType error");
	if (!have_px)
		return ok_item_fail(it, "51000", "Parameter px error");
	it->req.type = SIM_ORD_LIMIT;
	it->req.px = px;
	it->req.qty = sz;
	return 0;
}

/*
 * What the API checks before the matching engine: px on tickSz (51000
 * "px"), sz a multiple of lotSz (51121), at least minSz (51020), the price
 * band (51006: a buy at most 5% over the best ask, a sell at most 5% under
 * the best bid).
 */
static int ok_order_rules(struct ok_item *it)
{
	const struct sim_inst *in = it->in;
	const struct sim_order_req *r = &it->req;

	if (r->type == SIM_ORD_LIMIT) {
		const struct sim_book_side *opp = &in->book.side[r->side == SIM_BID ? SIM_ASK : SIM_BID];

		if (in->tick && r->px % in->tick)
			return ok_item_fail(it, "51000", "Parameter px error");
		if (opp->n) {
			sim_fx ref = opp->lv[0].px;
			sim_fx lim = r->side == SIM_BID ? ref + ref / 100 * OK_PX_BAND_PCT
							: ref - ref / 100 * OK_PX_BAND_PCT;

			if (r->side == SIM_BID ? r->px > lim : r->px < lim)
				return ok_item_fail(it, "51006", "Order price is not within the "
						    "price limit (%s price: %.8g)",
						    r->side == SIM_BID ? "max buy" : "min sell",
						    (double)lim / SIM_SCALE);
		}
	}
	if (r->qty) {
		if (in->step && r->qty % in->step)
			return ok_item_fail(it, "51121", "Order quantity must be a multiple of the "
					    "lot size.");
		if (r->qty < in->min_qty)
			return ok_item_fail(it, "51020", "Your order should meet or exceed the "
					    "minimum order amount.");
	}
	return 0;
}

/* The engine's refusal as an item error. */
static void ok_reject(struct ok_item *it, enum sim_reject rej, const struct sim_inst *in,
		      unsigned side)
{
	switch (rej) {
	case SIM_REJ_FUNDS:
		ok_item_fail(it, "51008", "Order failed. Insufficient %s balance in account",
			     side == SIM_BID ? in->quote : in->base);
		break;
	case SIM_REJ_WOULD_TAKE:
		ok_item_fail(it, "51511", "Operation failed as the order price does not satisfy "
			     "the requirement for Post only");
		break;
	case SIM_REJ_DUP_CID:
		ok_item_fail(it, "51016", "Duplicated clOrdId");
		break;
	case SIM_REJ_TICK:
		ok_item_fail(it, "51000", "Parameter px error");
		break;
	case SIM_REJ_STEP:
		ok_item_fail(it, "51121", "Order quantity must be a multiple of the lot size.");
		break;
	case SIM_REJ_MIN_QTY:
	case SIM_REJ_MIN_NOTIONAL:
		ok_item_fail(it, "51020", "Your order should meet or exceed the minimum order "
			     "amount.");
		break;
	case SIM_REJ_MAX_QTY:
	case SIM_REJ_MAX_NOTIONAL:
		ok_item_fail(it, "51202", "Market order amount exceeds the maximum amount.");
		break;
	case SIM_REJ_PRICE_RANGE:
		ok_item_fail(it, "51006", "Order price is not within the price limit");
		break;
	case SIM_REJ_TOO_MANY_ORDERS:
		ok_item_fail(it, "51004", "Order failed. The number of pending orders reached "
			     "the upper limit");
		break;
	case SIM_REJ_NO_MARKET:
		ok_item_fail(it, "51001", "Instrument ID, Instrument ID code, or Spread ID "
			     "doesn't exist.");
		break;
	default:
		ok_item_fail(it, "51000", "Parameter error");
		break;
	}
}

/* ---- the order path: jobs ----------------------------------------------------------- */

enum ok_job_kind { OK_J_PLACE = 1, OK_J_CANCEL };

struct ok_job {
	uint8_t kind, via;
	bool drop, http5xx;
	int16_t acct;
	uint64_t in_us;
	char id[OK_ID_MAX];
	char op[16];
	struct ok_item it;
};

_Static_assert(sizeof(struct ok_job) < SIM_JOB_DATA, "an OKX job fits the job's data");

static uint64_t ok_ord_id(const struct sim_order *o)
{
	return OK_ORD_BASE + o->id;
}

/* [{"clOrdId","ordId","tag","ts","sCode","sMsg","subCode"}] */
static void w_ack_item(struct jw *w, const struct ok_item *it, uint64_t ord_id, uint64_t ts,
		       bool place)
{
	jw_lit(w, "[{\"clOrdId\":");
	jw_str(w, it->cid);
	jw_lit(w, ",\"ordId\":\"");
	if (ord_id)
		jw_u64(w, ord_id);
	jw_lit(w, "\"");
	if (place)
		w_kstr(w, "tag", it->tag);
	w_ku64s(w, "ts", ts);
	w_kstr(w, "sCode", it->scode[0] ? it->scode : "0");
	w_kstr(w, "sMsg", it->smsg);
	if (place)
		jw_lit(w, ",\"subCode\":\"\"");
	jw_lit(w, "}]");
}

static void ok_answer_item(struct ok_ctx *x, const struct ok_item *it, uint64_t ord_id,
			   bool place)
{
	struct jw w;

	ok_head(x, &w, it->scode[0] ? "1" : "0", it->scode[0] ? "All operations failed" : "");
	w_ack_item(&w, it, ord_id, x->now_ms, place);
	ok_send(x, &w, 200);
}

static void ok_job_place(struct ok_ctx *x, struct ok_job *jb)
{
	struct sim_order *o = NULL;
	enum sim_reject rej = sim_exch_submit(x->v->x, &jb->it.req, &o);

	if (rej || !o)
		ok_reject(&jb->it, rej ? rej : SIM_REJ_BAD_PARAM, jb->it.in, jb->it.req.side);
	if (jb->drop)
		return;
	if (jb->http5xx) {
		ok_fail(x, 503, "50004", "API endpoint request timeout ");
		ok_send_err(x);
		return;
	}
	ok_answer_item(x, &jb->it, rej || !o ? 0 : ok_ord_id(o), true);
}

/* The account's order on that instrument by ordId or clOrdId; NULL when none. */
static struct sim_order *ok_find(struct sim_venue *v, unsigned acct, unsigned inst,
				 uint64_t ord_id, const char *cid)
{
	struct sim_order *o;

	if (ord_id)
		o = ord_id > OK_ORD_BASE ? sim_exch_find_id(v->x, v->idx, ord_id - OK_ORD_BASE)
					 : NULL;
	else
		o = sim_exch_find_cid(v->x, acct, cid);
	if (!o || o->acct != acct || o->inst != inst || o->status == SIM_ST_REJECTED)
		return NULL;
	return o;
}

static void ok_job_cancel(struct ok_ctx *x, struct ok_job *jb)
{
	struct ok_item *it = &jb->it;
	struct sim_order *o = ok_find(x->v, (unsigned)jb->acct, it->in->id, it->ord_id, it->cid);
	uint64_t id = it->ord_id;

	if (o) {
		id = ok_ord_id(o);
		size_t n = strnlen(o->cid, sizeof(it->cid) - 1);

		memcpy(it->cid, o->cid, n);
		it->cid[n] = '\0';
	}
	if (!o || !o->open || sim_exch_cancel(x->v->x, o))
		ok_item_fail(it, "51400", "Order cancellation failed as the order has been "
			     "filled, canceled or does not exist.");
	if (jb->http5xx) {
		ok_fail(x, 503, "50004", "API endpoint request timeout ");
		ok_send_err(x);
		return;
	}
	ok_answer_item(x, it, id, false);
}

static void ok_job_run(struct sim_venue *v, struct sim_job *j)
{
	struct ok_job jb;
	struct ok_ctx x;

	memcpy(&jb, j->data, sizeof(jb));
	ok_ctx_init(&x, v, jb.via);
	x.sc = j->sc;
	x.c = j->ws;
	x.live = jb.via == OK_REST ? sim_job_sc_live(j) : sim_job_ws_live(j);
	x.acct = jb.acct;
	x.in_us = jb.in_us;
	x.op = jb.op;
	memcpy(x.id, jb.id, sizeof(x.id));
	if (jb.kind == OK_J_PLACE)
		ok_job_place(&x, &jb);
	else
		ok_job_cancel(&x, &jb);
}

static int ok_defer(struct ok_ctx *x, struct ok_job *jb)
{
	jb->via = x->via;
	jb->acct = (int16_t)x->acct;
	jb->in_us = x->in_us;
	memcpy(jb->id, x->id, sizeof(jb->id));
	snprintf(jb->op, sizeof(jb->op), "%s", x->op ? x->op : "");
	if (sim_defer(x->v, x->v->cfg->order_latency_ns, ok_job_run,
		      x->via == OK_REST ? x->sc : NULL, x->via == OK_WS ? x->c : NULL, jb,
		      sizeof(*jb)))
		return ok_fail(x, 503, "50013", "Systems are busy. Please try again later.");
	return 0;
}

/* Place one item (REST body or WS args[0]): checks, rate, then the order path. */
static int ok_place(struct ok_ctx *x, const char *src, const struct jr_tok *t, int a,
		    bool http5xx)
{
	struct ok_job jb;
	int r;

	memset(&jb, 0, sizeof(jb));
	r = ok_order_item(x, src, t, a, &jb.it);
	if (r < 0)
		return -1;
	if (jb.it.in && ok_rate_inst(x, OK_G_PLACE, jb.it.in))
		return -1;
	if (!r)
		r = ok_order_rules(&jb.it);
	if (r) {
		/* refused before the matching engine (so not in the ledger) */
		ok_answer_item(x, &jb.it, 0, true);
		return 0;
	}
	if (kimp_unlikely(x->v->x->trace)) {
		uint64_t tsc = net_loop_rx_tsc(sim_server_loop(x->v->srv));

		sim_trace_order(x->v->x->trace, x->v->idx, tsc ? tsc : kimp_rdtsc(), jb.it.cid);
	}
	jb.kind = OK_J_PLACE;
	jb.http5xx = http5xx;
	jb.drop = sim_fault_take(x->v, SIM_FAULT_DROP_RESPONSE);
	return ok_defer(x, &jb);
}

/* Cancel one item: {instId|instIdCode, ordId|clOrdId}. */
static int ok_cancel(struct ok_ctx *x, const char *src, const struct jr_tok *t, int a,
		     bool http5xx)
{
	struct ok_job jb;
	char oid[24];
	int r;

	memset(&jb, 0, sizeof(jb));
	if (a < 0 || t[a].type != JR_OBJ)
		return ok_fail(x, x->via == OK_WS ? 200 : 400, x->via == OK_WS ? "60013" : "50014",
			       x->via == OK_WS ? "Invalid args" : "Parameter instId can not be empty.");
	r = ok_item_inst(x, src, t, a, &jb.it);
	if (r < 0)
		return -1;
	if (!r && ok_item_cid(src, t, a, &jb.it))
		r = 1;
	if (!r) {
		int g = ok_get_str(src, t, a, "ordId", oid, sizeof(oid));
		char *end;

		if (g < 0)
			r = ok_item_fail(&jb.it, "51000", "Parameter ordId error");
		else if (oid[0]) {
			jb.it.ord_id = strtoull(oid, &end, 10);
			if (*end || !jb.it.ord_id)
				r = ok_item_fail(&jb.it, "51000", "Parameter ordId error");
		} else if (!jb.it.cid[0]) {
			if (x->via == OK_WS)
				return ok_fail(x, 200, "60013", "Invalid args");
			return ok_fail(x, 400, "50014", "Parameter ordId can not be empty.");
		}
	}
	if (jb.it.in && ok_rate_inst(x, OK_G_CANCEL, jb.it.in))
		return -1;
	if (r) {
		ok_answer_item(x, &jb.it, jb.it.ord_id, false);
		return 0;
	}
	jb.kind = OK_J_CANCEL;
	jb.http5xx = http5xx;
	return ok_defer(x, &jb);
}

/* ---- REST endpoints ------------------------------------------------------------------ */

typedef int (*ok_handler)(struct ok_ctx *x, const struct net_http_parser *req, bool http5xx);

static int h_time(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	struct jw w;

	(void)req;
	(void)h5;
	if (ok_rate_pub(x, OK_G_TIME))
		return -1;
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[{\"ts\":\"");
	jw_u64(&w, x->now_ms);
	jw_lit(&w, "\"}]");
	ok_send(x, &w, 200);
	return 0;
}

/* One instrument as public/instruments lists it [okx-rest.jsonl line 5]. */
static void w_instrument(struct jw *w, const struct ok *b, const struct sim_inst *in)
{
	jw_lit(w, "{\"alias\":\"\",\"auctionEndTime\":\"\",\"baseCcy\":");
	jw_str(w, in->base);
	jw_lit(w, ",\"category\":\"1\",\"ctMult\":\"\",\"ctType\":\"\",\"ctVal\":\"\","
		  "\"ctValCcy\":\"\",\"expTime\":\"\",\"groupId\":\"1\",\"instFamily\":\"\","
		  "\"instId\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"instType\":\"SPOT\",\"lever\":\"\",\"listTime\":\"1606468572000\"");
	w_knum(w, "lotSz", in->step);
	w_knum(w, "maxLmtAmt", 1000000 * SIM_SCALE);
	w_knum(w, "maxLmtSz", in->max_qty);
	w_knum(w, "maxMktAmt", 1000000 * SIM_SCALE);
	w_knum(w, "maxMktSz", 1000000 * SIM_SCALE);
	w_knum(w, "minSz", in->min_qty);
	w_kstr(w, "quoteCcy", in->quote);
	jw_lit(w, ",\"settleCcy\":\"\",\"state\":\"live\",\"ruleType\":\"normal\",\"stk\":\"\"");
	w_knum(w, "tickSz", in->tick);
	jw_lit(w, ",\"uly\":\"\",\"instIdCode\":");
	jw_u64(w, b->inst[in->vidx].code);
	jw_lit(w, ",\"initPxLmtPct\":\"0.05\",\"floatPxLmtPct\":\"0.03\",\"maxPxLmtPct\":\"0.15\","
		  "\"upcChg\":[]}");
}

/* GET /api/v5/public/instruments?instType=SPOT[&instId=]: other types have none here. */
static int h_instruments(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	size_t tl, il;
	const char *type = ok_query(req, "instType", &tl), *id = ok_query(req, "instId", &il);
	bool first = true;
	struct jw w;

	(void)h5;
	if (!type || !tl)
		return ok_fail(x, 400, "50014", "Parameter instType can not be empty.");
	if (!ok_seq(type, tl, "SPOT") && !ok_seq(type, tl, "MARGIN") &&
	    !ok_seq(type, tl, "SWAP") && !ok_seq(type, tl, "FUTURES") &&
	    !ok_seq(type, tl, "OPTION"))
		return ok_fail(x, 400, "51000", "Parameter instType error");
	if (ok_rate_pub(x, OK_G_INSTS))
		return -1;
	if (id && !sim_venue_inst_sym(x->v, id, il))
		return ok_fail(x, 400, "51001", "Instrument ID, Instrument ID code, or Spread ID "
			       "doesn't exist.");
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[");
	for (uint32_t i = 0; ok_seq(type, tl, "SPOT") && i < x->v->ninst; i++) {
		const struct sim_inst *in = sim_venue_inst(x->v, i);

		if (id && !ok_seq(id, il, in->sym))
			continue;
		if (!first)
			jw_lit(&w, ",");
		w_instrument(&w, x->b, in);
		first = false;
	}
	jw_lit(&w, "]");
	ok_send(x, &w, 200);
	return 0;
}

/* GET /api/v5/market/books?instId=&sz= (1..400, default 1): the view, with seqId. */
static int h_books(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	size_t il, sl;
	const char *id = ok_query(req, "instId", &il), *sz = ok_query(req, "sz", &sl);
	const struct sim_inst *in;
	uint64_t depth = 1;
	struct jw w;

	(void)h5;
	if (!id || !il)
		return ok_fail(x, 400, "50014", "Parameter instId can not be empty.");
	if (sz) {
		depth = 0;
		for (size_t i = 0; i < sl; i++) {
			if (sz[i] < '0' || sz[i] > '9' || depth > OK_BOOK_DEPTH)
				return ok_fail(x, 400, "51000", "Parameter sz error");
			depth = depth * 10 + (uint64_t)(sz[i] - '0');
		}
		if (!sl || !depth || depth > OK_BOOK_DEPTH)
			return ok_fail(x, 400, "51000", "Parameter sz error");
	}
	if (ok_rate_pub(x, OK_G_BOOKS))
		return -1;
	in = sim_venue_inst_sym(x->v, id, il);
	if (!in)
		return ok_fail(x, 400, "51001", "Instrument ID, Instrument ID code, or Spread ID "
			       "doesn't exist.");
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[{\"asks\":");
	w_side(&w, in->view.lv[SIM_ASK], in->view.n[SIM_ASK], (uint32_t)depth);
	jw_lit(&w, ",\"bids\":");
	w_side(&w, in->view.lv[SIM_BID], in->view.n[SIM_BID], (uint32_t)depth);
	w_ku64s(&w, "ts", in->view.ts_ms);
	jw_lit(&w, ",\"seqId\":");
	jw_u64(&w, in->view.update_id);
	jw_lit(&w, "}]");
	ok_send(x, &w, 200);
	return 0;
}

/* A JSON body into b->tok: the root token (0), or -1 with x set. */
static int ok_body(struct ok_ctx *x, const struct net_http_parser *req, const char **src)
{
	struct net_http_str body = net_http_body(req);
	int n;

	*src = body.p ? body.p : "";
	n = body.p ? jr_parse(body.p, body.len, x->b->tok, OK_TOKS) : -EINVAL;
	if (n < 0 || x->b->tok[0].type != JR_OBJ)
		return ok_fail(x, 400, "50002", "JSON syntax error");
	return 0;
}

/* POST /api/v5/trade/order */
static int h_order(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	const char *src;

	if (ok_auth(x, req) || ok_body(x, req, &src))
		return -1;
	return ok_place(x, src, x->b->tok, 0, h5);
}

/* POST /api/v5/trade/cancel-order */
static int h_cancel(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	const char *src;

	if (ok_auth(x, req) || ok_body(x, req, &src))
		return -1;
	return ok_cancel(x, src, x->b->tok, 0, h5);
}

/* An order's details [GET /api/v5/trade/order, orders-pending]. */
static void w_order(struct jw *w, struct sim_venue *v, const struct sim_order *o)
{
	const struct sim_inst *in = &v->m->inst[o->inst];
	sim_fx avg = o->filled ? sim_div(o->filled_quote, o->filled) : 0;
	uint64_t skew = (uint64_t)v->fs.skew_ms;

	jw_lit(w, "{\"instType\":\"SPOT\",\"instId\":");
	jw_str(w, in->sym);
	jw_lit(w, ",\"ccy\":\"\",\"ordId\":\"");
	jw_u64(w, ok_ord_id(o));
	jw_lit(w, "\"");
	w_kstr(w, "clOrdId", o->cid);
	jw_lit(w, ",\"tag\":\"\"");
	if (o->px)
		w_knum(w, "px", o->px);
	else
		jw_lit(w, ",\"px\":\"\"");
	w_knum(w, "sz", o->type == SIM_ORD_MARKET_QUOTE ? o->quote_qty : o->qty);
	w_kstr(w, "ordType", ok_ord_type(o));
	w_kstr(w, "side", o->side == SIM_BID ? "buy" : "sell");
	jw_lit(w, ",\"tdMode\":\"cash\"");
	w_knum(w, "accFillSz", o->filled);
	if (o->filled)
		w_knum(w, "avgPx", avg);
	else
		jw_lit(w, ",\"avgPx\":\"\"");
	w_kstr(w, "state", ok_state(o));
	w_knum(w, "fee", -o->fee);
	w_kstr(w, "feeCcy", sim_asset_name(o->fee_asset));
	jw_lit(w, ",\"rebate\":\"0\"");
	w_kstr(w, "rebateCcy", in->quote);
	w_kstr(w, "tgtCcy", o->type == SIM_ORD_MARKET_QUOTE ? "quote_ccy"
			    : o->type == SIM_ORD_MARKET ? "base_ccy" : "");
	jw_lit(w, ",\"category\":\"normal\",\"source\":\"\",\"cancelSource\":\"\"");
	w_ku64s(w, "cTime", o->created_ms + skew);
	w_ku64s(w, "uTime", o->updated_ms + skew);
	jw_lit(w, "}");
}

/* GET /api/v5/trade/order?instId=&ordId=|clOrdId= */
static int h_order_get(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	size_t il, ol, cl;
	const char *id, *oid, *cid;
	const struct sim_inst *in;
	char cbuf[OK_CID_MAX] = "";
	uint64_t ord = 0;
	struct sim_order *o;
	struct jw w;

	(void)h5;
	if (ok_auth(x, req))
		return -1;
	id = ok_query(req, "instId", &il);
	oid = ok_query(req, "ordId", &ol);
	cid = ok_query(req, "clOrdId", &cl);
	if (!id || !il)
		return ok_fail(x, 400, "50014", "Parameter instId can not be empty.");
	in = sim_venue_inst_sym(x->v, id, il);
	if (!in)
		return ok_fail(x, 400, "51001", "Instrument ID, Instrument ID code, or Spread ID "
			       "doesn't exist.");
	if (ok_rate_inst(x, OK_G_QUERY, in))
		return -1;
	if ((!oid || !ol) && (!cid || !cl))
		return ok_fail(x, 400, "50014", "Parameter ordId can not be empty.");
	if (oid && ol) {
		for (size_t i = 0; i < ol; i++) {
			if (oid[i] < '0' || oid[i] > '9' || i > 19)
				return ok_fail(x, 400, "51000", "Parameter ordId error");
			ord = ord * 10 + (uint64_t)(oid[i] - '0');
		}
	} else {
		if (!ok_alnum(cid, cl, 32))
			return ok_fail(x, 400, "51000", "Parameter clOrdId error");
		memcpy(cbuf, cid, cl);
		cbuf[cl] = '\0';
	}
	o = ok_find(x->v, (unsigned)x->acct, in->id, ord, cbuf);
	if (!o || (ord && !o->id))
		return ok_fail(x, 200, "51603", "Order does not exist");
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[");
	w_order(&w, x->v, o);
	jw_lit(&w, "]");
	ok_send(x, &w, 200);
	return 0;
}

/* GET /api/v5/trade/orders-pending[?instType=SPOT][&instId=]: newest first. */
static int h_pending(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	static struct sim_order *open[OK_MAX_OPEN * SIM_VENUE_INSTS];
	size_t il, tl;
	const char *id, *type;
	int inst = -1;
	uint32_t n, sent = 0;
	struct jw w;

	(void)h5;
	if (ok_auth(x, req))
		return -1;
	id = ok_query(req, "instId", &il);
	type = ok_query(req, "instType", &tl);
	if (type && tl && !ok_seq(type, tl, "SPOT"))
		return ok_fail(x, 400, "51000", "Parameter instType error");
	if (id && il) {
		const struct sim_inst *in = sim_venue_inst_sym(x->v, id, il);

		if (!in)
			return ok_fail(x, 400, "51001", "Instrument ID, Instrument ID code, or "
				       "Spread ID doesn't exist.");
		inst = in->id;
	}
	if (ok_rate_acct(x, OK_G_PENDING))
		return -1;
	n = sim_exch_open_orders(x->v->x, (unsigned)x->acct, inst, open, KIMP_ARRAY_SIZE(open));
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[");
	for (uint32_t i = n; i-- > 0 && sent < OK_PENDING_MAX;) {
		if (sent++)
			jw_lit(&w, ",");
		w_order(&w, x->v, open[i]);
	}
	jw_lit(&w, "]");
	ok_send(x, &w, 200);
	return 0;
}

/* A coin's USDT value at the mid of its instrument here (USDT: itself). */
static sim_fx ok_usdt_value(struct sim_venue *v, unsigned asset, sim_fx amount)
{
	for (uint32_t i = 0; i < v->ninst; i++) {
		const struct sim_inst *in = sim_venue_inst(v, i);
		const struct sim_book_side *bs = &in->book.side[SIM_BID];
		const struct sim_book_side *as = &in->book.side[SIM_ASK];

		if (in->base_asset == asset && bs->n && as->n)
			return sim_mul(amount, (bs->lv[0].px + as->lv[0].px) / 2);
		if (in->quote_asset == asset)
			return amount;
	}
	return 0;
}

/* GET /api/v5/account/balance[?ccy=BTC,USDT] */
static int h_balance(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	size_t cl;
	const char *ccy;
	const struct sim_account *a;
	sim_fx total = 0;
	bool first = true;
	struct jw w;

	(void)h5;
	if (ok_auth(x, req))
		return -1;
	ccy = ok_query(req, "ccy", &cl);
	if (ok_rate_acct(x, OK_G_BALANCE))
		return -1;
	a = &x->v->x->acct[x->acct];
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++)
		total += ok_usdt_value(x->v, i, a->free[i] + a->locked[i]);
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[{\"adjEq\":\"\",\"details\":[");
	for (unsigned i = 0; i < SIM_MAX_ASSETS; i++) {
		const char *name = sim_asset_name(i);
		sim_fx eq = a->free[i] + a->locked[i];

		if (!name || !name[0] || (!eq && !ccy))
			continue;
		if (ccy) {
			/* a comma-separated list: is name in it? */
			size_t nl = strlen(name), p = 0;
			bool in = false;

			while (p < cl && !in) {
				const char *e = memchr(ccy + p, ',', cl - p);
				size_t l = e ? (size_t)(e - (ccy + p)) : cl - p;

				in = l == nl && !memcmp(ccy + p, name, nl);
				p += l + 1;
			}
			if (!in)
				continue;
		}
		jw_lit(&w, first ? "{\"availBal\":" : ",{\"availBal\":");
		first = false;
		w_num(&w, a->free[i]);
		w_knum(&w, "availEq", a->free[i]);
		w_knum(&w, "cashBal", eq);
		w_kstr(&w, "ccy", name);
		w_knum(&w, "eq", eq);
		w_knum(&w, "eqUsd", ok_usdt_value(x->v, i, eq));
		w_knum(&w, "frozenBal", a->locked[i]);
		w_knum(&w, "ordFrozen", a->locked[i]);
		w_ku64s(&w, "uTime", a->balance_ts_ms ? a->balance_ts_ms : x->now_ms);
		jw_lit(&w, "}");
	}
	jw_lit(&w, "]");
	w_knum(&w, "totalEq", total);
	w_ku64s(&w, "uTime", x->now_ms);
	jw_lit(&w, "}]");
	ok_send(x, &w, 200);
	return 0;
}

/* GET /api/v5/account/trade-fee?instType=SPOT[&instId=]: negative = the account pays. */
static int h_trade_fee(struct ok_ctx *x, const struct net_http_parser *req, bool h5)
{
	size_t tl;
	const char *type;
	sim_fx mk = -(sim_fx)(x->v->cfg->maker_fee * SIM_SCALE + 0.5);
	sim_fx tk = -(sim_fx)(x->v->cfg->taker_fee * SIM_SCALE + 0.5);
	struct jw w;

	(void)h5;
	if (ok_auth(x, req))
		return -1;
	type = ok_query(req, "instType", &tl);
	if (!type || !tl)
		return ok_fail(x, 400, "50014", "Parameter instType can not be empty.");
	if (!ok_seq(type, tl, "SPOT"))
		return ok_fail(x, 400, "51000", "Parameter instType error");
	if (ok_rate_acct(x, OK_G_FEE))
		return -1;
	ok_head(x, &w, "0", "");
	jw_lit(&w, "[{\"category\":\"1\",\"delivery\":\"\",\"exercise\":\"\",\"feeGroup\":"
		   "[{\"groupId\":\"1\",\"maker\":");
	w_num(&w, mk);
	w_knum(&w, "taker", tk);
	jw_lit(&w, "}],\"instType\":\"SPOT\",\"level\":\"Lv1\"");
	w_knum(&w, "maker", mk);
	w_knum(&w, "taker", tk);
	w_ku64s(&w, "ts", x->now_ms);
	jw_lit(&w, "}]");
	ok_send(x, &w, 200);
	return 0;
}

static const struct {
	uint8_t method;
	const char *path;
	ok_handler fn;
	bool order;     /* the 5xx fault answers after matching */
} ok_routes[] = {
	{ NET_HTTP_GET, "/api/v5/public/time", h_time, false },
	{ NET_HTTP_GET, "/api/v5/public/instruments", h_instruments, false },
	{ NET_HTTP_GET, "/api/v5/market/books", h_books, false },
	{ NET_HTTP_POST, "/api/v5/trade/order", h_order, true },
	{ NET_HTTP_POST, "/api/v5/trade/cancel-order", h_cancel, true },
	{ NET_HTTP_GET, "/api/v5/trade/order", h_order_get, false },
	{ NET_HTTP_GET, "/api/v5/trade/orders-pending", h_pending, false },
	{ NET_HTTP_GET, "/api/v5/account/balance", h_balance, false },
	{ NET_HTTP_GET, "/api/v5/account/trade-fee", h_trade_fee, false },
};

static void ok_rest(struct sim_venue *v, struct http_sconn *sc, const struct net_http_parser *req)
{
	struct net_http_str path = net_http_path(req);
	unsigned m = req->method == NET_HTTP_HEAD ? NET_HTTP_GET : req->method;
	ok_handler fn = NULL;
	bool known = false, order = false, h5;
	struct ok_ctx x;

	ok_ctx_init(&x, v, OK_REST);
	x.sc = sc;
	if (ok_fault_gate(&x))
		goto fail;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ok_routes) && !fn; i++) {
		if (!ok_seq(path.p, path.len, ok_routes[i].path))
			continue;
		known = true;
		if (ok_routes[i].method == m) {
			fn = ok_routes[i].fn;
			order = ok_routes[i].order;
		}
	}
	if (!fn) {
		if (known)
			ok_fail(&x, 405, "50000", "Body cannot be empty");
		else
			ok_fail(&x, 404, "50030", "Illegal request");
		goto fail;
	}
	h5 = sim_fault_take(v, SIM_FAULT_HTTP_5XX);
	if (h5 && !order) {
		ok_fail(&x, 503, "50001", "Service temporarily unavailable. Please try again "
			"later.");
		goto fail;
	}
	if (!fn(&x, req, h5))
		return;
fail:
	ok_send_err(&x);
}

/* ---- the private WebSocket: order operations and the orders channel ---------------- */

static void ok_ws_op(struct sim_venue *v, struct ok *b, struct sim_ws *c, const char *src,
		     int args, const char *id, bool place)
{
	const struct jr_tok *t = b->tok;
	struct ok_ctx x;

	ok_ctx_init(&x, v, OK_WS);
	x.c = c;
	x.op = place ? "order" : "cancel-order";
	memcpy(x.id, id, OK_ID_MAX);
	if (ok_fault_gate(&x))
		goto fail;
	if (c->kind != SIM_WS_PRIVATE || c->acct < 0) {
		ok_ws_error(b, c, id, "60011", "Please log in");
		return;
	}
	x.acct = c->acct;
	if (args < 0 || t[args].type != JR_ARR || t[args].size != 1) {
		ok_fail(&x, 200, "60013", "Invalid args");
		goto fail;
	}
	if (!(place ? ok_place(&x, src, t, jr_at(t, args, 0), false)
		    : ok_cancel(&x, src, t, jr_at(t, args, 0), false)))
		return;
fail:
	ok_send_err(&x);
}

/*
 * The orders channel push of one event [okx-orders-fills.jsonl line 1],
 * to every private connection logged in to the account and subscribed.
 */
static void ok_on_order(struct sim_venue *v, const struct sim_order *o, const struct sim_fill *f)
{
	struct ok *b = v->priv;
	const struct sim_inst *in = &v->m->inst[o->inst];
	uint64_t skew = (uint64_t)v->fs.skew_ms;
	struct sim_ws *c = NULL;
	bool any = false;
	struct jw w;

	if (o->status == SIM_ST_REJECTED || !o->id)
		return;
	while ((c = sim_venue_next_ws(v, c)) && !any)
		any = c->kind == SIM_WS_PRIVATE && c->acct == o->acct &&
		      (ok_cs(c)->oall || (ok_cs(c)->osub >> in->vidx & 1));
	if (!any)
		return;
	jw_init(&w, b->ev, sizeof(b->ev));
	jw_lit(&w, "{\"arg\":{\"channel\":\"orders\",\"instType\":\"SPOT\",\"uid\":\"");
	jw_u64(&w, OK_UID_BASE + o->acct);
	jw_lit(&w, "\"},\"data\":[{");
	jw_lit(&w, "\"accFillSz\":");
	w_num(&w, o->filled);
	jw_lit(&w, ",\"amendResult\":\"\"");
	if (o->filled)
		w_knum(&w, "avgPx", sim_div(o->filled_quote, o->filled));
	else
		jw_lit(&w, ",\"avgPx\":\"0\"");
	w_ku64s(&w, "cTime", o->created_ms + skew);
	jw_lit(&w, ",\"category\":\"normal\",\"ccy\":\"\"");
	w_kstr(&w, "clOrdId", o->cid);
	jw_lit(&w, ",\"code\":\"0\"");
	w_kstr(&w, "execType", f ? (f->maker ? "M" : "T") : "");
	w_knum(&w, "fee", -o->fee);
	w_kstr(&w, "feeCcy", sim_asset_name(o->fee_asset));
	if (f) {
		w_knum(&w, "fillFee", -f->fee);
		w_kstr(&w, "fillFeeCcy", sim_asset_name(f->fee_asset));
		w_knum(&w, "fillPx", f->px);
		w_knum(&w, "fillSz", f->qty);
		w_ku64s(&w, "fillTime", f->ts_ms + skew);
	} else {
		jw_lit(&w, ",\"fillFee\":\"0\",\"fillFeeCcy\":\"\",\"fillPx\":\"\",\"fillSz\":\"0\","
			  "\"fillTime\":\"\"");
	}
	w_kstr(&w, "instId", in->sym);
	jw_lit(&w, ",\"instType\":\"SPOT\",\"lever\":\"0\",\"msg\":\"\",\"ordId\":\"");
	jw_u64(&w, ok_ord_id(o));
	jw_lit(&w, "\"");
	w_kstr(&w, "ordType", ok_ord_type(o));
	if (o->px)
		w_knum(&w, "px", o->px);
	else
		jw_lit(&w, ",\"px\":\"\"");
	jw_lit(&w, ",\"rebate\":\"0\"");
	w_kstr(&w, "rebateCcy", in->quote);
	jw_lit(&w, ",\"reduceOnly\":\"false\"");
	w_kstr(&w, "side", o->side == SIM_BID ? "buy" : "sell");
	jw_lit(&w, ",\"source\":\"\"");
	w_kstr(&w, "state", ok_state(o));
	w_knum(&w, "sz", o->type == SIM_ORD_MARKET_QUOTE ? o->quote_qty : o->qty);
	jw_lit(&w, ",\"tag\":\"\",\"tdMode\":\"cash\"");
	w_kstr(&w, "tgtCcy", o->type == SIM_ORD_MARKET_QUOTE ? "quote_ccy"
			     : o->type == SIM_ORD_MARKET ? "base_ccy" : "");
	if (f)
		w_ku64s(&w, "tradeId", f->trade_id);
	else
		jw_lit(&w, ",\"tradeId\":\"\"");
	w_ku64s(&w, "uTime", (f ? f->ts_ms : o->updated_ms) + skew);
	w_kstr(&w, "cancelSource", o->status == SIM_ST_CANCELED ? "1" : "");
	jw_lit(&w, "}]}");
	if (!jw_done(&w))
		return;
	c = NULL;
	while ((c = sim_venue_next_ws(v, c)))
		if (c->kind == SIM_WS_PRIVATE && c->acct == o->acct &&
		    (ok_cs(c)->oall || (ok_cs(c)->osub >> in->vidx & 1)))
			sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

/* ---- WebSocket: connections ------------------------------------------------------------ */

static unsigned ok_ws_upgrade(struct sim_venue *v, struct sim_ws *c, bool api,
			      const struct ws_hs_request *req, const char *head, size_t len)
{
	const char *q = memchr(req->path, '?', req->path_len);
	size_t pl = q ? (size_t)(q - req->path) : req->path_len;

	(void)v;
	(void)head;
	(void)len;
	if (api)
		return 404;
	if (ok_seq(req->path, pl, "/ws/v5/public"))
		c->kind = SIM_WS_MARKET;
	else if (ok_seq(req->path, pl, "/ws/v5/private"))
		c->kind = SIM_WS_PRIVATE;
	else
		return 404;
	return 0;
}

static void ok_ws_open(struct sim_venue *v, struct sim_ws *c)
{
	struct ok_conn *cs = ok_cs(c);
	uint64_t h = c->serial * 0x9e3779b97f4a7c15ull;

	(void)v;
	snprintf(cs->conn_id, sizeof(cs->conn_id), "%08" PRIx32, (uint32_t)(h >> 32));
	cs->last_rx_ns = cs->last_tx_ns = c->opened_ns;
}

static void ok_ws_message(struct sim_venue *v, struct sim_ws *c, unsigned opcode,
			  uint8_t *data, size_t len)
{
	struct ok *b = v->priv;
	const char *src = (const char *)data;
	const struct jr_tok *t = b->tok;
	char id[OK_ID_MAX];
	int n, to, ta;

	ok_cs(c)->last_rx_ns = net_now_ns();
	if (opcode == WS_OP_TEXT && ok_seq(src, len, "ping")) {
		sim_ws_send(c, WS_OP_TEXT, "pong", 4);
		return;
	}
	n = opcode == WS_OP_TEXT ? jr_parse(src, len, b->tok, OK_TOKS) : -EINVAL;
	if (n < 0 || t[0].type != JR_OBJ) {
		ok_ws_error(b, c, NULL, "60012", "Invalid request: %.*s",
			    (int)(len < 200 ? len : 200), src);
		return;
	}
	if (ok_req_id(src, t, jr_get(src, t, 0, "id"), id)) {
		ok_ws_error(b, c, NULL, "60013", "Invalid args");
		return;
	}
	to = jr_get(src, t, 0, "op");
	ta = jr_get(src, t, 0, "args");
	if (to < 0 || t[to].type != JR_STR) {
		ok_ws_error(b, c, id, "60012", "Invalid request: %.*s",
			    (int)(len < 200 ? len : 200), src);
		return;
	}
	if (jr_eq(src, &t[to], "subscribe"))
		ok_ws_sub(v, b, c, src, ta, true, id);
	else if (jr_eq(src, &t[to], "unsubscribe"))
		ok_ws_sub(v, b, c, src, ta, false, id);
	else if (jr_eq(src, &t[to], "login") && c->kind == SIM_WS_PRIVATE)
		ok_ws_login(v, b, c, src, ta, id);
	else if (jr_eq(src, &t[to], "order"))
		ok_ws_op(v, b, c, src, ta, id, true);
	else if (jr_eq(src, &t[to], "cancel-order"))
		ok_ws_op(v, b, c, src, ta, id, false);
	else
		ok_ws_error(b, c, id, "60012", "Invalid request: %.*s",
			    (int)(len < 200 ? len : 200), src);
}

/* {"event":"notice","code":"64008",...} [okx-ws-control.jsonl line 8] */
static void ok_notice(struct ok *b, struct sim_ws *c)
{
	struct jw w;

	jw_init(&w, b->out, OK_OUT);
	jw_lit(&w, "{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The connection will soon "
		   "be closed for a service upgrade. Please reconnect.\"");
	w_kstr(&w, "connId", ok_cs(c)->conn_id);
	jw_lit(&w, "}");
	if (jw_done(&w))
		sim_ws_send(c, WS_OP_TEXT, w.p, w.len);
}

static bool ok_has_sub(struct sim_ws *c)
{
	struct ok_conn *cs = ok_cs(c);

	for (unsigned k = 0; k < OK_NCHAN; k++)
		if (cs->sub[k])
			return true;
	return cs->osub || cs->oall || c->acct >= 0;
}

/*
 * Once a second: connections with nothing subscribed 30 s after opening, or
 * no traffic either way for 30 s, are dropped; 64008 and the close that
 * follows; idle books get their heartbeat, bbo-tbt and books5 a repeat.
 */
static void ok_tick(struct sim_venue *v, uint64_t now_ns)
{
	struct ok *b = v->priv;
	struct sim_ws *c = NULL;
	uint64_t ts = sim_venue_now_ms(v);
	uint32_t any[OK_NCHAN] = { 0 };

	while ((c = sim_venue_next_ws(v, c))) {
		struct ok_conn *cs = ok_cs(c);

		if (c->sent != cs->last_sent) {
			cs->last_sent = c->sent;
			cs->last_tx_ns = now_ns;
		}
		if (cs->noticed && now_ns >= cs->close_at_ns) {
			sim_ws_close(c, WS_CLOSE_GOING_AWAY);
			continue;
		}
		if (b->life_ns && !cs->noticed && now_ns - c->opened_ns >= b->life_ns) {
			uint64_t lead = b->life_ns < OK_NOTICE_LEAD_MS * 1000000ull
						? b->life_ns : OK_NOTICE_LEAD_MS * 1000000ull;

			ok_notice(b, c);
			cs->noticed = true;
			cs->close_at_ns = now_ns + lead;
		}
		if ((!ok_has_sub(c) && now_ns - c->opened_ns >= OK_QUIET_NS) ||
		    (now_ns - (cs->last_rx_ns > cs->last_tx_ns ? cs->last_rx_ns : cs->last_tx_ns) >=
		     OK_QUIET_NS)) {
			sim_ws_close(c, WS_CLOSE_POLICY);
			continue;
		}
		if (c->kind == SIM_WS_MARKET)
			for (unsigned k = 0; k < OK_NCHAN; k++)
				any[k] |= cs->sub[k];
	}
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);
		struct ok_inst *oi = &b->inst[i];

		if (now_ns - oi->books_ns >= b->idle_ns) {
			if (any[OK_BOOKS] >> i & 1)
				ok_books_heartbeat(v, b, in);
			oi->books_ns = now_ns;
		}
		if (now_ns - oi->snap_ns >= b->idle_ns) {
			if (any[OK_BBO] >> i & 1)
				ok_fmt_top(v, b, in, OK_BBO, ts);
			if (any[OK_BOOKS5] >> i & 1)
				ok_fmt_top(v, b, in, OK_BOOKS5, ts);
			oi->snap_ns = now_ns;
		}
	}
}

/* ---- the venue ------------------------------------------------------------------------ */

const struct sim_venue_ops sim_venue_okx = {
	.name = "okx",
	.kind = SIM_USDT,
	.has_api = false,
	.setup = ok_setup,
	.rest = ok_rest,
	.ws_upgrade = ok_ws_upgrade,
	.ws_open = ok_ws_open,
	.ws_message = ok_ws_message,
	.publish = ok_publish,
	.flush = ok_flush,
	.start = ok_start,
	.on_order = ok_on_order,
	.tick = ok_tick,
};
