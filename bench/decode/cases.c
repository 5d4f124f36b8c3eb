/* SPDX-License-Identifier: MIT */
/*
 * The decode bench's inputs, built at run time from the venue captures in
 * $KIMP_FIXTURES (default ../shared/fixtures/venues, as the tests): for
 * each message type the fullest line of its capture (the longest line
 * of the right shape), and inputs derived from such a line where the
 * captures lack the form or the size:
 *
 * - Upbit SIMPLE: the captures have SIMPLE only as a 3-unit SIMPLE_LIST
 *   orderbook, so the SIMPLE orderbook, trade and ticker are the DEFAULT
 *   lines with every key renamed to its SIMPLE name (Upbit's documented
 *   table); values, order and number forms unchanged.
 * - Binance depth: the captured depth lines were trimmed by their sources
 *   (2 to 14 levels a side), so larger ones repeat the real line's level
 *   pairs, each repetition's prices shifted away from the touch by about
 *   1/10000 of the best price (in the line's own tick and number form),
 *   sizes as they were; book and snapshot sides are then sorted best first.
 * - Probes (not message types of the goal): an Upbit trade and a Binance
 *   depthUpdate with their top-level members in reverse order, so the type
 *   and symbol come last: the venues do not send that, the decoders must
 *   still take it, and it shows what leaving their fast paths costs.
 * - Bithumb (orderbook, trade), Coinone (ORDERBOOK, TRADE with DEFAULT and
 *   SHORT keys), Bybit (orderbook.50 snapshot and delta, publicTrade with
 *   spot's numeric trade id) and OKX (books snapshot and update, trades):
 *   the real lines only.
 *
 * Nothing from the captures is kept in the repository.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbench.h"

enum xform {
	X_REAL,          /* the line as captured */
	X_SIMPLE,        /* Upbit DEFAULT keys renamed to SIMPLE */
	X_LEVELS,        /* Binance depth levels repeated to n a side */
	X_REVERSE,       /* the top-level object's members in reverse order */
};

enum lv_param { LV_NONE, LV_DIFF, LV_SNAP, LV_20 };

struct case_def {
	const char *name;       /* X_LEVELS adds .x<levels a side> */
	enum kimp_venue venue;
	uint8_t kind;
	const char *file;
	const char *need[2];    /* the line starts with need[0] and holds need[1] */
	enum xform x;
	enum lv_param lv;
	const char *utype;      /* X_SIMPLE: the Upbit type */
	const char *snap_sym;   /* a REST snapshot of this symbol */
	bool optional;
	const char *none;       /* why there is no such line, when the capture lacks it */
};

static const struct case_def defs[] = {
	{ "upbit.orderbook.default", KIMP_VENUE_UPBIT, VD_BOOK, "upbit-orderbook.jsonl",
	  { "{\"type\":\"orderbook\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "upbit.orderbook.simple", KIMP_VENUE_UPBIT, VD_BOOK, "upbit-orderbook.jsonl",
	  { "{\"type\":\"orderbook\"" }, X_SIMPLE, LV_NONE, "orderbook", NULL, false, NULL },
	{ "upbit.orderbook.simple_list", KIMP_VENUE_UPBIT, VD_BOOK, "upbit-orderbook.jsonl",
	  { "[{\"ty\":\"orderbook\"" }, X_REAL, LV_NONE, NULL, NULL, true, NULL },
	{ "upbit.trade.default", KIMP_VENUE_UPBIT, VD_TRADE, "upbit-trade.jsonl",
	  { "{\"type\":\"trade\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "upbit.trade.simple", KIMP_VENUE_UPBIT, VD_TRADE, "upbit-trade.jsonl",
	  { "{\"type\":\"trade\"" }, X_SIMPLE, LV_NONE, "trade", NULL, false, NULL },
	{ "upbit.trade.keys_reversed", KIMP_VENUE_UPBIT, VD_TRADE, "upbit-trade.jsonl",
	  { "{\"type\":\"trade\"" }, X_REVERSE, LV_NONE, NULL, NULL, false, NULL },
	{ "upbit.ticker.default", KIMP_VENUE_UPBIT, VD_TICKER, "upbit-ticker.jsonl",
	  { "{\"type\":\"ticker\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "upbit.ticker.simple", KIMP_VENUE_UPBIT, VD_TICKER, "upbit-ticker.jsonl",
	  { "{\"type\":\"ticker\"" }, X_SIMPLE, LV_NONE, "ticker", NULL, false, NULL },

	{ "binance.bookTicker.raw", KIMP_VENUE_BINANCE, VD_BBO, "binance-bookTicker.jsonl",
	  { "{\"u\":" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "binance.bookTicker.combined", KIMP_VENUE_BINANCE, VD_BBO, "binance-bookTicker.jsonl",
	  { "{\"stream\":", "\"data\":{\"u\":" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "binance.depthUpdate.raw", KIMP_VENUE_BINANCE, VD_DIFF, "binance-depthUpdate.jsonl",
	  { "{\"e\":\"depthUpdate\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "binance.depthUpdate.raw", KIMP_VENUE_BINANCE, VD_DIFF, "binance-depthUpdate.jsonl",
	  { "{\"e\":\"depthUpdate\"" }, X_LEVELS, LV_DIFF, NULL, NULL, false, NULL },
	{ "binance.depthUpdate.combined", KIMP_VENUE_BINANCE, VD_DIFF, "binance-depthUpdate.jsonl",
	  { "{\"stream\":", "\"e\":\"depthUpdate\"" }, X_REAL, LV_NONE, NULL, NULL, false,
	  "the capture has no combined-stream depthUpdate line" },
	{ "binance.depthUpdate.keys_reversed", KIMP_VENUE_BINANCE, VD_DIFF,
	  "binance-depthUpdate.jsonl", { "{\"e\":\"depthUpdate\"" }, X_REVERSE, LV_NONE, NULL,
	  NULL, false, NULL },
	{ "binance.depth.raw", KIMP_VENUE_BINANCE, VD_BOOK, "binance-depthPartial.jsonl",
	  { "{\"lastUpdateId\":" }, X_REAL, LV_NONE, NULL, NULL, true, NULL },
	{ "binance.depth.combined", KIMP_VENUE_BINANCE, VD_BOOK, "binance-depthPartial.jsonl",
	  { "{\"stream\":", "\"lastUpdateId\":" }, X_REAL, LV_NONE, NULL, NULL, false,
	  NULL },
	{ "binance.depth.combined", KIMP_VENUE_BINANCE, VD_BOOK, "binance-depthPartial.jsonl",
	  { "{\"stream\":", "\"lastUpdateId\":" }, X_LEVELS, LV_20, NULL, NULL, false,
	  NULL },
	{ "binance.trade.raw", KIMP_VENUE_BINANCE, VD_TRADE, "binance-trade.jsonl",
	  { "{\"e\":\"trade\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "binance.trade.combined", KIMP_VENUE_BINANCE, VD_TRADE, "binance-trade.jsonl",
	  { "{\"stream\":", "\"e\":\"trade\"" }, X_REAL, LV_NONE, NULL, NULL, false,
	  "the capture has no combined-stream trade line" },
	{ "binance.aggTrade.raw", KIMP_VENUE_BINANCE, VD_TRADE, "binance-trade.jsonl",
	  { "{\"e\":\"aggTrade\"" }, X_REAL, LV_NONE, NULL, NULL, true, NULL },
	{ "binance.aggTrade.combined", KIMP_VENUE_BINANCE, VD_TRADE, "binance-trade.jsonl",
	  { "{\"stream\":", "\"e\":\"aggTrade\"" }, X_REAL, LV_NONE, NULL, NULL, true,
	  "the capture has no combined-stream aggTrade line" },
	{ "binance.snapshot", KIMP_VENUE_BINANCE, VD_SNAPSHOT, "binance-depthSnapshot-rest.jsonl",
	  { "{\"lastUpdateId\":" }, X_REAL, LV_NONE, NULL, "BTCUSDT", false, NULL },
	{ "binance.snapshot", KIMP_VENUE_BINANCE, VD_SNAPSHOT,
	  "binance-depthSnapshot-rest.jsonl", { "{\"lastUpdateId\":" }, X_LEVELS, LV_SNAP,
	  NULL, "BTCUSDT", false, NULL },

	{ "bithumb.orderbook", KIMP_VENUE_BITHUMB, VD_BOOK, "bithumb-orderbook.jsonl",
	  { "{\"type\":\"orderbook\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "bithumb.trade", KIMP_VENUE_BITHUMB, VD_TRADE, "bithumb-trade.jsonl",
	  { "{\"type\":\"trade\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },

	{ "coinone.orderbook.default", KIMP_VENUE_COINONE, VD_BOOK, "coinone-orderbook.jsonl",
	  { "{\"response_type\":\"DATA\",\"channel\":\"ORDERBOOK\"" }, X_REAL, LV_NONE, NULL,
	  NULL, false, NULL },
	{ "coinone.orderbook.short", KIMP_VENUE_COINONE, VD_BOOK, "coinone-orderbook.jsonl",
	  { "{\"r\":\"DATA\",\"c\":\"ORDERBOOK\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
	{ "coinone.trade.default", KIMP_VENUE_COINONE, VD_TRADE, "coinone-trade.jsonl",
	  { "{\"response_type\":\"DATA\",\"channel\":\"TRADE\"" }, X_REAL, LV_NONE, NULL,
	  NULL, false, NULL },
	{ "coinone.trade.short", KIMP_VENUE_COINONE, VD_TRADE, "coinone-trade.jsonl",
	  { "{\"r\":\"DATA\",\"c\":\"TRADE\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },

	{ "bybit.orderbook.snapshot", KIMP_VENUE_BYBIT, VD_BOOK, "bybit-orderbook.jsonl",
	  { "{\"topic\":\"orderbook.50.", "\"type\":\"snapshot\"" }, X_REAL, LV_NONE, NULL,
	  NULL, false, NULL },
	{ "bybit.orderbook.delta", KIMP_VENUE_BYBIT, VD_DIFF, "bybit-orderbook.jsonl",
	  { "{\"topic\":\"orderbook.50.", "\"type\":\"delta\"" }, X_REAL, LV_NONE, NULL,
	  NULL, false, NULL },
	{ "bybit.publicTrade", KIMP_VENUE_BYBIT, VD_TRADE, "bybit-publicTrade.jsonl",
	  { "{\"topic\":\"publicTrade.", "\"RPI\":" }, X_REAL, LV_NONE, NULL, NULL, false,
	  NULL },

	{ "okx.books.snapshot", KIMP_VENUE_OKX, VD_BOOK, "okx-books.jsonl",
	  { "{\"arg\":{\"channel\":\"books\"", "\"action\":\"snapshot\"" }, X_REAL, LV_NONE,
	  NULL, NULL, false, NULL },
	{ "okx.books.update", KIMP_VENUE_OKX, VD_DIFF, "okx-books.jsonl",
	  { "{\"arg\":{\"channel\":\"books\"", "\"action\":\"update\"" }, X_REAL, LV_NONE,
	  NULL, NULL, false, NULL },
	{ "okx.trades", KIMP_VENUE_OKX, VD_TRADE, "okx-trades.jsonl",
	  { "{\"arg\":{\"channel\":\"trades\"" }, X_REAL, LV_NONE, NULL, NULL, false, NULL },
};

/* ---- small text buffer ------------------------------------------------------------------ */

struct tbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void tb_put(struct tbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void tb_puts(struct tbuf *b, const char *s)
{
	tb_put(b, s, strlen(s));
}

/* ---- the captures ----------------------------------------------------------------------- */

/*
 * The longest line of file that starts with need[0] and holds need[1], into
 * *out (a malloc'd copy without its newline; NULL when no line
 * matches) with its number from 1 in *lineno. 0, or -errno when the file
 * cannot be read (said).
 */
static int pick_line(const struct db_cfg *cfg, const struct case_def *d, char **out,
		     unsigned *lineno)
{
	char path[1024], *line = NULL, *best = NULL;
	size_t cap = 0, best_len = 0;
	unsigned n = 0;
	ssize_t len;
	int err = 0;
	FILE *f;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", cfg->fixtures, d->file);
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		fprintf(stderr, "decode_bench: capture %s: %s (set KIMP_FIXTURES to their "
			"directory)\n", path, strerror(errno));
		return err;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		n++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if ((d->need[0] && strncmp(line, d->need[0], strlen(d->need[0]))) ||
		    (d->need[1] && !strstr(line, d->need[1])) || (size_t)len <= best_len)
			continue;
		free(best);
		best = strdup(line);
		if (!best) {
			err = -ENOMEM;
			break;
		}
		best_len = (size_t)len;
		*lineno = n;
	}
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	fclose(f);
	if (err) {
		free(best);
		return err;
	}
	*out = best;
	return 0;
}

/* ---- Upbit SIMPLE ------------------------------------------------------------------------ */

struct kmap {
	const char *def, *simple;
};

/* Upbit's DEFAULT -> SIMPLE key names (its WebSocket reference, per type) */
static const struct kmap upbit_common[] = {
	{ "type", "ty" }, { "code", "cd" }, { "timestamp", "tms" }, { "stream_type", "st" },
	{ NULL, NULL },
};
static const struct kmap upbit_orderbook[] = {
	{ "total_ask_size", "tas" }, { "total_bid_size", "tbs" }, { "orderbook_units", "obu" },
	{ "ask_price", "ap" }, { "bid_price", "bp" }, { "ask_size", "as" }, { "bid_size", "bs" },
	{ "level", "lv" }, { NULL, NULL },
};
static const struct kmap upbit_trade[] = {
	{ "trade_price", "tp" }, { "trade_volume", "tv" }, { "ask_bid", "ab" },
	{ "prev_closing_price", "pcp" }, { "change", "c" }, { "change_price", "cp" },
	{ "trade_date", "td" }, { "trade_time", "ttm" }, { "trade_timestamp", "ttms" },
	{ "sequential_id", "sid" }, { "best_ask_price", "bap" }, { "best_ask_size", "bas" },
	{ "best_bid_price", "bbp" }, { "best_bid_size", "bbs" }, { NULL, NULL },
};
static const struct kmap upbit_ticker[] = {
	{ "opening_price", "op" }, { "high_price", "hp" }, { "low_price", "lp" },
	{ "trade_price", "tp" }, { "prev_closing_price", "pcp" }, { "change", "c" },
	{ "change_price", "cp" }, { "signed_change_price", "scp" }, { "change_rate", "cr" },
	{ "signed_change_rate", "scr" }, { "trade_volume", "tv" }, { "acc_trade_volume", "atv" },
	{ "acc_trade_volume_24h", "atv24h" }, { "acc_trade_price", "atp" },
	{ "acc_trade_price_24h", "atp24h" }, { "trade_date", "tdt" }, { "trade_time", "ttm" },
	{ "trade_timestamp", "ttms" }, { "ask_bid", "ab" }, { "acc_ask_volume", "aav" },
	{ "acc_bid_volume", "abv" }, { "highest_52_week_price", "h52wp" },
	{ "highest_52_week_date", "h52wdt" }, { "lowest_52_week_price", "l52wp" },
	{ "lowest_52_week_date", "l52wdt" }, { "market_state", "ms" },
	{ "is_trading_suspended", "its" }, { "delisting_date", "dd" },
	{ "market_warning", "mw" }, { NULL, NULL },
};

static const char *simple_key(const char *utype, const char *k, size_t n)
{
	const struct kmap *maps[2] = { upbit_common,
				       !strcmp(utype, "orderbook") ? upbit_orderbook :
				       !strcmp(utype, "trade")     ? upbit_trade : upbit_ticker };

	for (unsigned i = 0; i < 2; i++)
		for (const struct kmap *m = maps[i]; m->def; m++)
			if (strlen(m->def) == n && !memcmp(m->def, k, n))
				return m->simple;
	return NULL;
}

/*
 * Every object key of the DEFAULT message in renamed to its SIMPLE name;
 * a key without one is kept and counted in *kept. 0 or -ENOMEM / -EINVAL.
 */
static int to_simple(const char *in, const char *utype, struct tbuf *out, unsigned *kept)
{
	const char *p = in;

	*kept = 0;
	while (*p) {
		const char *s, *q;

		if (*p != '"') {
			tb_put(out, p++, 1);
			continue;
		}
		s = ++p;
		while (*p && *p != '"')
			p += *p == '\\' && p[1] ? 2 : 1;
		if (!*p)
			return -EINVAL;
		q = p + 1;
		while (*q == ' ')
			q++;
		if (*q == ':') {
			const char *k = simple_key(utype, s, (size_t)(p - s));

			if (!k)
				(*kept)++;
			tb_puts(out, "\"");
			if (k)
				tb_puts(out, k);
			else
				tb_put(out, s, (size_t)(p - s));
			tb_puts(out, "\"");
		} else {
			tb_put(out, s - 1, (size_t)(p - s) + 2);
		}
		p++;
	}
	return out->oom ? -ENOMEM : 0;
}

/* ---- Binance depth, enlarged -------------------------------------------------------------- */

struct dlevel {
	int64_t px;          /* in units of 10^-pdec */
	unsigned pdec;       /* decimals the price string had */
	const char *q;       /* the size string as it was */
	size_t qlen;
};

/* A plain decimal string (digits, one optional point) in units of 10^-dec. */
static int dec_parse(const char *s, size_t n, int64_t *v, unsigned *dec)
{
	int64_t x = 0;
	bool point = false;
	unsigned d = 0;

	if (!n || n > 18)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && !point) {
			point = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		x = x * 10 + (s[i] - '0');
		d += point;
	}
	*v = x;
	*dec = d;
	return 0;
}

static void dec_put(struct tbuf *b, int64_t v, unsigned dec)
{
	char digits[32], out[40];
	int n = snprintf(digits, sizeof(digits), "%0*lld", (int)dec + 1, (long long)v);
	int ip = n - (int)dec;

	memcpy(out, digits, (size_t)ip);
	if (dec) {
		out[ip] = '.';
		memcpy(out + ip + 1, digits + ip, dec);
	}
	tb_put(b, out, (size_t)n + (dec ? 1 : 0));
}

/*
 * The [["px","qty"],...] array after key (a quoted key with its colon, e.g.
 * "\"bids\":") in s: its levels into l (at most max), the array's extent
 * in *from, *to. The count or -EINVAL.
 */
static int levels_of(const char *s, const char *key, struct dlevel *l, int max,
		     const char **from, const char **to)
{
	const char *p = strstr(s, key);
	int n = 0;

	if (!p)
		return -EINVAL;
	p += strlen(key);
	if (*p != '[')
		return -EINVAL;
	*from = p++;
	while (*p != ']') {
		const char *ps, *pe, *qs, *qe;

		if (*p == ',')
			p++;
		if (p[0] != '[' || p[1] != '"')
			return -EINVAL;
		ps = p + 2;
		pe = strchr(ps, '"');
		if (!pe || pe[1] != ',' || pe[2] != '"')
			return -EINVAL;
		qs = pe + 3;
		qe = strchr(qs, '"');
		if (!qe || qe[1] != ']' || n >= max)
			return -EINVAL;
		if (dec_parse(ps, (size_t)(pe - ps), &l[n].px, &l[n].pdec))
			return -EINVAL;
		l[n].q = qs;
		l[n].qlen = (size_t)(qe - qs);
		n++;
		p = qe + 2;
	}
	*to = p + 1;
	return n;
}

static int cmp_px_desc(const void *a, const void *b)
{
	int64_t x = ((const struct dlevel *)a)->px, y = ((const struct dlevel *)b)->px;

	return (x < y) - (x > y);
}

static int cmp_px_asc(const void *a, const void *b)
{
	return -cmp_px_desc(a, b);
}

/*
 * n levels a side from the k real ones: repetition r of level j has the
 * price of j moved r steps away from the touch (bids down, asks up); a step
 * is best/10000 in whole ticks of the line (the price's last non-zero
 * decimal place), at least one tick.
 */
static int grow_side(const struct dlevel *real, int k, bool bid, unsigned n, bool sort,
		     struct dlevel *out)
{
	int64_t tick = 1, step;
	unsigned tz = 20;

	for (int j = 0; j < k; j++) {
		int64_t v = real[j].px;
		unsigned z = 0;

		while (v && v % 10 == 0 && z < real[j].pdec) {
			v /= 10;
			z++;
		}
		if (v && z < tz)
			tz = z;
	}
	for (unsigned i = 0; i < tz && i < 18; i++)
		tick *= 10;
	step = real[0].px / 10000 / tick * tick;
	if (step < tick)
		step = tick;
	for (unsigned i = 0; i < n; i++) {
		const struct dlevel *src = &real[i % (unsigned)k];
		int64_t shift = step * (int64_t)(i / (unsigned)k);

		out[i] = *src;
		out[i].px = bid ? src->px - shift : src->px + shift;
		if (out[i].px <= 0)
			return -ERANGE;
	}
	if (sort)
		qsort(out, n, sizeof(*out), bid ? cmp_px_desc : cmp_px_asc);
	return 0;
}

static void put_side(struct tbuf *b, const struct dlevel *l, unsigned n)
{
	tb_puts(b, "[");
	for (unsigned i = 0; i < n; i++) {
		tb_puts(b, i ? ",[\"" : "[\"");
		dec_put(b, l[i].px, l[i].pdec);
		tb_puts(b, "\",\"");
		tb_put(b, l[i].q, l[i].qlen);
		tb_puts(b, "\"]");
	}
	tb_puts(b, "]");
}

#define REAL_LEVELS_MAX 256

/* line with both sides grown to n levels (keys b/a for a diff, bids/asks else). */
static int grow(const char *line, uint8_t kind, unsigned n, struct tbuf *out, int *kb, int *ka)
{
	const char *kbid = kind == VD_DIFF ? "\"b\":" : "\"bids\":";
	const char *kask = kind == VD_DIFF ? "\"a\":" : "\"asks\":";
	struct dlevel rb[REAL_LEVELS_MAX], ra[REAL_LEVELS_MAX], *gb = NULL, *ga = NULL;
	const char *bf, *bt, *af, *at;
	bool sort = kind != VD_DIFF;
	int err = -EINVAL;

	*kb = levels_of(line, kbid, rb, REAL_LEVELS_MAX, &bf, &bt);
	*ka = levels_of(line, kask, ra, REAL_LEVELS_MAX, &af, &at);
	if (*kb <= 0 || *ka <= 0 || bt > af)
		goto out;
	gb = calloc(n, sizeof(*gb));
	ga = calloc(n, sizeof(*ga));
	err = -ENOMEM;
	if (!gb || !ga)
		goto out;
	err = grow_side(rb, *kb, true, n, sort, gb);
	if (!err)
		err = grow_side(ra, *ka, false, n, sort, ga);
	if (err)
		goto out;
	tb_put(out, line, (size_t)(bf - line));
	put_side(out, gb, n);
	tb_put(out, bt, (size_t)(af - bt));
	put_side(out, ga, n);
	tb_puts(out, at);
	err = out->oom ? -ENOMEM : 0;
out:
	free(gb);
	free(ga);
	return err;
}

/* ---- members reversed ------------------------------------------------------------------- */

/* The end of the JSON value at p (a string, or anything up to its , } or ] at depth 0). */
static const char *value_end(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return NULL;
			if (!depth)
				return p + 1;
			continue;
		}
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (!depth)
				return p;
			if (!--depth)
				return p + 1;
		} else if (*p == ',' && !depth) {
			return p;
		}
	}
	return NULL;
}

#define MEMBERS_MAX 64

/*
 * The compact object in with its top-level members in reverse order: what a
 * decoder that counts on the venue's key order sees when the order changes.
 */
static int reverse_members(const char *in, struct tbuf *out)
{
	const char *from[MEMBERS_MAX], *to[MEMBERS_MAX], *p = in;
	int n = 0;

	if (*p++ != '{')
		return -EINVAL;
	while (*p != '}') {
		const char *key_end = value_end(p), *v;

		if (!key_end || *key_end != ':' || n >= MEMBERS_MAX)
			return -EINVAL;
		v = value_end(key_end + 1);
		if (!v)
			return -EINVAL;
		from[n] = p;
		to[n++] = v;
		p = *v == ',' ? v + 1 : v;
		if (*v != ',' && *v != '}')
			return -EINVAL;
	}
	tb_puts(out, "{");
	for (int i = n - 1; i >= 0; i--) {
		tb_put(out, from[i], (size_t)(to[i] - from[i]));
		tb_puts(out, i ? "," : "");
	}
	tb_puts(out, p);
	return out->oom ? -ENOMEM : 0;
}

/* ---- cases ---------------------------------------------------------------------------- */

void db_skip(struct db_run *r, const char *name, const char *fmt, ...)
{
	struct db_skip *s;
	va_list ap;

	if (r->nskips >= DB_MAX_SKIPS)
		return;
	s = &r->skips[r->nskips++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static unsigned levels_wanted(const struct db_cfg *cfg, enum lv_param lv)
{
	switch (lv) {
	case LV_DIFF: return cfg->diff_levels;
	case LV_SNAP: return cfg->snap_levels;
	case LV_20: return 20;
	case LV_NONE: break;
	}
	return 0;
}

/* The case d into c: 0, 1 (skipped, noted) or -errno (said). */
static int build_one(struct db_run *r, const struct case_def *d, struct db_case *c)
{
	const struct db_cfg *cfg = r->cfg;
	struct tbuf t = { 0 };
	unsigned lineno = 0, kept = 0, nlv = levels_wanted(cfg, d->lv);
	size_t pad = dref_simd_padding();
	int err, kb = 0, ka = 0;
	char *line;

	memset(c, 0, sizeof(*c));
	if (d->x == X_LEVELS)
		snprintf(c->name, sizeof(c->name), "%s.x%u", d->name, nlv);
	else
		snprintf(c->name, sizeof(c->name), "%s", d->name);
	if (cfg->only && !strstr(c->name, cfg->only))
		return 1;
	err = pick_line(cfg, d, &line, &lineno);
	if (err)
		return err;
	if (!line) {
		db_skip(r, c->name, "%s", d->none ? d->none : "no line of this shape in the capture");
		return 1;
	}
	c->venue = d->venue;
	c->kind = d->kind;
	c->optional = d->optional;
	c->probe = d->x == X_REVERSE;
	c->line = lineno;
	snprintf(c->file, sizeof(c->file), "%s", d->file);
	switch (d->x) {
	case X_REAL:
		tb_puts(&t, line);
		snprintf(c->how, sizeof(c->how), "the line as it is");
		break;
	case X_SIMPLE:
		err = to_simple(line, d->utype, &t, &kept);
		snprintf(c->how, sizeof(c->how), "the DEFAULT line with its keys renamed to "
			 "Upbit's SIMPLE names (%u key%s without one kept)", kept,
			 kept == 1 ? "" : "s");
		break;
	case X_LEVELS:
		err = grow(line, d->kind, nlv, &t, &kb, &ka);
		snprintf(c->how, sizeof(c->how), "the line's %d bid and %d ask levels "
			 "repeated to %u a side, prices shifted by ~1/10000 of the best per "
			 "repetition%s", kb, ka, nlv, d->kind == VD_DIFF ? "" :
			 ", sorted best first");
		break;
	case X_REVERSE:
		err = reverse_members(line, &t);
		snprintf(c->how, sizeof(c->how), "the line with its top-level members in reverse "
			 "order (the type and symbol last)");
		break;
	}
	free(line);
	if (!err && t.oom)
		err = -ENOMEM;
	if (err) {
		fprintf(stderr, "decode_bench: %s: cannot build the input from %s line %u: %s\n",
			c->name, d->file, lineno, strerror(-err));
		free(t.p);
		return err;
	}
	c->len = t.len;
	c->buf = calloc(1, t.len + pad + 1);
	if (!c->buf) {
		free(t.p);
		return -ENOMEM;
	}
	memcpy(c->buf, t.p, t.len);
	free(t.p);
	if (d->snap_sym) {
		c->snapshot = true;
		c->sym = venue_symtab_find(r->tab[db_vi(d->venue)], d->snap_sym,
					   strlen(d->snap_sym));
		if (c->sym == VENUE_SYM_NONE) {
			fprintf(stderr, "decode_bench: %s: %s is not in the symbol table\n",
				c->name, d->snap_sym);
			return -EINVAL;
		}
	}
	return 0;
}

int db_cases_build(struct db_run *r)
{
	r->cases = calloc(DB_MAX_CASES, sizeof(*r->cases));
	if (!r->cases)
		return -ENOMEM;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(defs); i++) {
		int err;

		if (r->ncases >= DB_MAX_CASES)
			return -E2BIG;
		err = build_one(r, &defs[i], &r->cases[r->ncases]);
		if (err < 0)
			return err;
		if (!err)
			r->ncases++;
	}
	if (!r->ncases) {
		fprintf(stderr, "decode_bench: no input %s%s\n",
			r->cfg->only ? "matches --only " : "to measure",
			r->cfg->only ? r->cfg->only : "");
		return -ENOENT;
	}
	return 0;
}

void db_cases_free(struct db_run *r)
{
	if (!r->cases)
		return;
	for (unsigned i = 0; i < DB_MAX_CASES; i++)
		free(r->cases[i].buf);
	free(r->cases);
	r->cases = NULL;
}
