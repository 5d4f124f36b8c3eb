/* SPDX-License-Identifier: MIT */
/*
 * The decode stages: libvenue's market-data decoder of a venue turning one
 * message into the normalized struct vd_msg, as feedd calls it
 * (vd_msg_reset, then the table's decode). The input is the longest line
 * of the right type in the venue's capture ($KIMP_FIXTURES), read at run
 * time, decoded N times; each decode is checked against the first one
 * (kind, symbol, ids, prices, levels).
 *
 * The symbol tables are the decode bench's: a set of coins against KRW on
 * the Korean venues and USDT on the others (8 and 8 decimals), Upbit's
 * KRW-USDT and Binance's BNBBTC (the captured trade line's symbol).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/venue.h"
#include "icount.h"

#define LEVELS_CAP 8192

struct dec_def {
	enum kimp_venue venue;
	uint8_t kind;           /* enum vd_kind the message must give */
	const char *file;
	const char *prefix;     /* the line starts with it */
	const char *holds;      /* and holds this (NULL: anything) */
};

struct dec_st {
	const struct dec_def *d;
	const struct venue_md *md;
	struct venue_symtab tab;
	char *line;
	size_t len;
	struct vd_msg m, want;
	struct vd_level bids[LEVELS_CAP], asks[LEVELS_CAP];
	struct vd_level wbids[LEVELS_CAP], wasks[LEVELS_CAP];
};

static const char *const coins[] = {
	"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "AVAX", "LINK", "DOT", "BCH",
	"ETC", "XLM", "SUI", "SHIB", "NEAR", "APT", "ARB", "OP", "SAND", "BNB", "HBAR",
};

static const struct dec_def defs[] = {
	{ KIMP_VENUE_UPBIT, VD_BOOK, "upbit-orderbook.jsonl", "{\"type\":\"orderbook\"", NULL },
	{ KIMP_VENUE_UPBIT, VD_TRADE, "upbit-trade.jsonl", "{\"type\":\"trade\"", NULL },
	{ KIMP_VENUE_BINANCE, VD_DIFF, "binance-depthUpdate.jsonl", "{\"e\":\"depthUpdate\"",
	  NULL },
	{ KIMP_VENUE_BINANCE, VD_BBO, "binance-bookTicker.jsonl", "{\"u\":", NULL },
	{ KIMP_VENUE_BINANCE, VD_TRADE, "binance-trade.jsonl", "{\"e\":\"trade\"", NULL },
	{ KIMP_VENUE_BITHUMB, VD_BOOK, "bithumb-orderbook.jsonl", "{\"type\":\"orderbook\"",
	  NULL },
	{ KIMP_VENUE_BITHUMB, VD_TRADE, "bithumb-trade.jsonl", "{\"type\":\"trade\"", NULL },
	{ KIMP_VENUE_COINONE, VD_BOOK, "coinone-orderbook.jsonl",
	  "{\"response_type\":\"DATA\",\"channel\":\"ORDERBOOK\"", NULL },
	{ KIMP_VENUE_COINONE, VD_TRADE, "coinone-trade.jsonl",
	  "{\"response_type\":\"DATA\",\"channel\":\"TRADE\"", NULL },
	{ KIMP_VENUE_BYBIT, VD_BOOK, "bybit-orderbook.jsonl", "{\"topic\":\"orderbook.50.",
	  "\"type\":\"snapshot\"" },
	{ KIMP_VENUE_BYBIT, VD_DIFF, "bybit-orderbook.jsonl", "{\"topic\":\"orderbook.50.",
	  "\"type\":\"delta\"" },
	{ KIMP_VENUE_BYBIT, VD_TRADE, "bybit-publicTrade.jsonl", "{\"topic\":\"publicTrade.",
	  "\"RPI\":" },
	{ KIMP_VENUE_OKX, VD_BOOK, "okx-books.jsonl", "{\"arg\":{\"channel\":\"books\"",
	  "\"action\":\"snapshot\"" },
	{ KIMP_VENUE_OKX, VD_DIFF, "okx-books.jsonl", "{\"arg\":{\"channel\":\"books\"",
	  "\"action\":\"update\"" },
	{ KIMP_VENUE_OKX, VD_TRADE, "okx-trades.jsonl", "{\"arg\":{\"channel\":\"trades\"",
	  NULL },
};

static int symtab(struct ic_run *r, struct venue_symtab *t, enum kimp_venue v)
{
	bool krw = v == KIMP_VENUE_UPBIT || v == KIMP_VENUE_BITHUMB || v == KIMP_VENUE_COINONE;
	int n = 0;

	venue_symtab_init(t, v);
	for (size_t i = 0; i < sizeof(coins) / sizeof(coins[0]); i++) {
		n = venue_symtab_add(t, coins[i], krw ? "KRW" : "USDT", 8, 8, (uint32_t)i);
		if (n < 0)
			return ic_fail(r, n, "venue_symtab_add %s: %s", coins[i], strerror(-n));
	}
	if (v == KIMP_VENUE_UPBIT)
		n = venue_symtab_add(t, "USDT", "KRW", 8, 8, 100);
	else if (v == KIMP_VENUE_BINANCE)
		n = venue_symtab_add(t, "BNB", "BTC", 8, 8, 100);
	return n < 0 ? ic_fail(r, n, "venue_symtab_add: %s", strerror(-n)) : 0;
}

static int dec_open(struct ic_run *r, const struct dec_def *d)
{
	struct dec_st *s = calloc(1, sizeof(*s));
	int e;

	r->st = s;
	if (!s)
		return ic_fail(r, -ENOMEM, "out of memory");
	s->d = d;
	s->md = venue_md_get(d->venue);
	if (!s->md || !s->md->decode)
		return ic_fail(r, -ENOSYS, "libvenue has no decoder for venue %u", d->venue);
	if ((e = symtab(r, &s->tab, d->venue)))
		return e;
	if ((e = ic_capture_line(r, d->file, d->prefix, d->holds, &s->line, &s->len)))
		return e;
	s->m = (struct vd_msg){ .cap = LEVELS_CAP, .bids = s->bids, .asks = s->asks };
	s->want = (struct vd_msg){ .cap = LEVELS_CAP, .bids = s->wbids, .asks = s->wasks };
	vd_msg_reset(&s->want);
	e = s->md->decode(&s->tab, (const uint8_t *)s->line, s->len, &s->want);
	if (e)
		return ic_fail(r, -EPROTO, "%s: the decoder refuses the line: %s", d->file,
			       vd_err_name((unsigned)-e));
	if (s->want.kind != d->kind || s->want.sym == VENUE_SYM_NONE)
		return ic_fail(r, -EPROTO, "%s: the line decodes to a %s of symbol %u, not a %s",
			       d->file, vd_kind_name(s->want.kind), s->want.sym,
			       vd_kind_name(d->kind));
	return 0;
}

static int dec_op(struct ic_run *r, uint64_t i)
{
	struct dec_st *s = r->st;

	(void)i;
	vd_msg_reset(&s->m);
	return s->md->decode(&s->tab, (const uint8_t *)s->line, s->len, &s->m);
}

static int dec_after(struct ic_run *r, uint64_t i)
{
	struct dec_st *s = r->st;
	const struct vd_msg *m = &s->m, *w = &s->want;

	if (m->kind != w->kind || m->sym != w->sym || m->first_id != w->first_id ||
	    m->last_id != w->last_id || m->trade_id != w->trade_id || m->px != w->px ||
	    m->qty != w->qty || m->bid.px != w->bid.px || m->ask.px != w->ask.px ||
	    m->nbids != w->nbids || m->nasks != w->nasks ||
	    memcmp(m->bids, w->bids, m->nbids * sizeof(*m->bids)) ||
	    memcmp(m->asks, w->asks, m->nasks * sizeof(*m->asks)))
		return ic_fail(r, -EPROTO, "decode %llu gave other values than the first",
			       (unsigned long long)i);
	r->produced++;
	return 0;
}

static void dec_close(struct ic_run *r)
{
	struct dec_st *s = r->st;

	if (s)
		free(s->line);
	free(s);
	r->st = NULL;
}

static int open_ub_book(struct ic_run *r) { return dec_open(r, &defs[0]); }
static int open_ub_trade(struct ic_run *r) { return dec_open(r, &defs[1]); }
static int open_bn_depth(struct ic_run *r) { return dec_open(r, &defs[2]); }
static int open_bn_bbo(struct ic_run *r) { return dec_open(r, &defs[3]); }
static int open_bn_trade(struct ic_run *r) { return dec_open(r, &defs[4]); }
static int open_bt_book(struct ic_run *r) { return dec_open(r, &defs[5]); }
static int open_bt_trade(struct ic_run *r) { return dec_open(r, &defs[6]); }
static int open_co_book(struct ic_run *r) { return dec_open(r, &defs[7]); }
static int open_co_trade(struct ic_run *r) { return dec_open(r, &defs[8]); }
static int open_by_snap(struct ic_run *r) { return dec_open(r, &defs[9]); }
static int open_by_delta(struct ic_run *r) { return dec_open(r, &defs[10]); }
static int open_by_trade(struct ic_run *r) { return dec_open(r, &defs[11]); }
static int open_ok_snap(struct ic_run *r) { return dec_open(r, &defs[12]); }
static int open_ok_update(struct ic_run *r) { return dec_open(r, &defs[13]); }
static int open_ok_trade(struct ic_run *r) { return dec_open(r, &defs[14]); }

#define DEC_STAGE(nm, wh, op_) { .name = nm, .what = wh, .iters = 2000, .open = op_,   \
				  .op = dec_op, .after = dec_after, .close = dec_close }

const struct ic_stage ic_decode_stages[] = {
	DEC_STAGE("decode.upbit.orderbook", "Upbit orderbook (DEFAULT) to vd_msg", open_ub_book),
	DEC_STAGE("decode.upbit.trade", "Upbit trade (DEFAULT) to vd_msg", open_ub_trade),
	DEC_STAGE("decode.binance.depth", "Binance depthUpdate (raw stream) to vd_msg",
		  open_bn_depth),
	DEC_STAGE("decode.binance.bookTicker", "Binance bookTicker (raw stream) to vd_msg",
		  open_bn_bbo),
	DEC_STAGE("decode.binance.trade", "Binance trade (raw stream) to vd_msg", open_bn_trade),
	DEC_STAGE("decode.bithumb.orderbook", "Bithumb orderbook (DEFAULT) to vd_msg",
		  open_bt_book),
	DEC_STAGE("decode.bithumb.trade", "Bithumb trade (DEFAULT) to vd_msg", open_bt_trade),
	DEC_STAGE("decode.coinone.orderbook", "Coinone ORDERBOOK (DEFAULT keys) to vd_msg",
		  open_co_book),
	DEC_STAGE("decode.coinone.trade", "Coinone TRADE (DEFAULT keys) to vd_msg",
		  open_co_trade),
	DEC_STAGE("decode.bybit.orderbook", "Bybit orderbook.50 snapshot to vd_msg",
		  open_by_snap),
	DEC_STAGE("decode.bybit.delta", "Bybit orderbook.50 delta to vd_msg", open_by_delta),
	DEC_STAGE("decode.bybit.trade", "Bybit publicTrade to vd_msg", open_by_trade),
	DEC_STAGE("decode.okx.books", "OKX books snapshot to vd_msg", open_ok_snap),
	DEC_STAGE("decode.okx.update", "OKX books update to vd_msg", open_ok_update),
	DEC_STAGE("decode.okx.trade", "OKX trades to vd_msg", open_ok_trade),
};
const unsigned ic_decode_nstages = sizeof(ic_decode_stages) / sizeof(ic_decode_stages[0]);
