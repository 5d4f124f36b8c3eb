/* SPDX-License-Identifier: MIT */
/*
 * Trading configuration shared by stratd and riskd (kimp/tradeconf.h):
 * the engine's coins, each venue's instruments with libvenue's rules and
 * the configuration's overrides, fees and starting balances. feedd lists
 * the same [venue.NAME] keys among its own (feedd/conf.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tradeconf.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define WHERE(c, sec, key) kimp_conf_name(c), kimp_conf_line(c, sec, key), sec, key

const char *const kimp_trade_venue_keys[] = {
	"px_dec", "qty_dec", "quote", "coins", "taker_fee", "maker_fee", "trading",
	"tick.*", "step.*", "inst_code.*", "min_notional", "max_notional", NULL,
};

/* Split s into upper-case words of at most 11 characters: 0, -EINVAL, -EEXIST. */
static int coin_words(const char *s, char (*out)[12], uint32_t max, uint32_t *n)
{
	*n = 0;
	while (*s) {
		size_t l = 0;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		while (s[l] && s[l] != ' ' && s[l] != '\t' && s[l] != ',')
			l++;
		if (l >= 12 || *n >= max)
			return -EINVAL;
		for (size_t i = 0; i < l; i++)
			if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
				return -EINVAL;
		memcpy(out[*n], s, l);
		out[*n][l] = 0;
		for (uint32_t i = 0; i < *n; i++)
			if (!strcmp(out[i], out[*n]))
				return -EEXIST;
		(*n)++;
		s += l;
	}
	return 0;
}

uint32_t kimp_trade_inst_id(const struct kimp_trade_conf *t, const char *coin)
{
	for (uint32_t i = 0; i < t->ncoins; i++)
		if (!strcmp(t->coins[i], coin))
			return i + 1;
	return 0;
}

/* A decimal key at dec decimals, >= 0; absent: *out unchanged. */
static int dec_key(const struct kimp_conf *c, const char *sec, const char *key, unsigned dec,
		   int64_t *out, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	int64_t v;

	if (!s)
		return 0;
	if (venue_fixed(s, dec, &v) || v < 0) {
		ERR("%s:%u: key '%s.%s': '%s' is not a decimal >= 0 with at most %u decimals",
		    WHERE(c, sec, key), s, dec);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* A fee rate: a fraction in [0, 0.1), exact in 1e-8 units. */
static int fee_key(const struct kimp_conf *c, const char *sec, const char *key, const char *def,
		   double *f, int64_t *e8, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);

	if (!s)
		s = def ? def : "0";
	if (venue_fixed(s, 8, e8) || *e8 < 0 || *e8 >= 10000000) {
		ERR("%s:%u: key '%s.%s': '%s' is not a fee rate (a fraction below 0.1 with at "
		    "most 8 decimals, 0.0005 = 0.05%%)", WHERE(c, sec, key), s);
		return -EINVAL;
	}
	*f = (double)*e8 / 1e8;
	return 0;
}

static int u8_key(const struct kimp_conf *c, const char *sec, const char *key, uint8_t *out,
		  char *err, size_t errlen)
{
	uint64_t v;
	int e = kimp_conf_u64(c, sec, key, 8, &v, err, errlen);

	if (e)
		return e;
	if (v > VENUE_DEC_MAX) {
		ERR("%s:%u: key '%s.%s': at most %d decimals", WHERE(c, sec, key), VENUE_DEC_MAX);
		return -EINVAL;
	}
	*out = (uint8_t)v;
	return 0;
}

static int inst_load(const struct kimp_conf *c, const char *sec, struct kimp_trade_venue *v,
		     const char *coin, struct kimp_trade_inst *in, char *err, size_t errlen)
{
	const struct venue_md *md = v->md;
	char key[32];
	int e;

	in->listed = true;
	if (md->symbol(coin, v->quote, in->sym, sizeof(in->sym)) < 0) {
		ERR("%s:%u: section [%s]: no %s symbol for %s/%s", kimp_conf_name(c),
		    kimp_conf_line(c, sec, ""), sec, md->name, coin, v->quote);
		return -EINVAL;
	}
	e = md->inst_rules ? md->inst_rules(coin, v->quote, v->px_dec, v->qty_dec, &in->rules)
			   : -ENOENT;
	if (e == -ERANGE) {
		ERR("%s:%u: section [%s]: %s's published tick or step is finer than px_dec %u / "
		    "qty_dec %u", kimp_conf_name(c), kimp_conf_line(c, sec, ""), sec, in->sym,
		    v->px_dec, v->qty_dec);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "tick.%s", coin);
	if ((e = dec_key(c, sec, key, v->px_dec, &in->rules.tick, err, errlen)))
		return e;
	if (kimp_conf_get(c, sec, key) && !in->rules.tick) {
		ERR("%s:%u: key '%s.%s': must be above 0", WHERE(c, sec, key));
		return -EINVAL;
	}
	if (!in->rules.tick && !in->rules.tick_at) {
		ERR("%s:%u: section [%s]: no tick known for %s: set %s.tick.%s", kimp_conf_name(c),
		    kimp_conf_line(c, sec, ""), sec, in->sym, sec, coin);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "step.%s", coin);
	if ((e = dec_key(c, sec, key, v->qty_dec, &in->rules.step, err, errlen)))
		return e;
	if (!in->rules.step) {
		ERR("%s:%u: section [%s]: no quantity step known for %s: set %s.step.%s (above 0)",
		    kimp_conf_name(c), kimp_conf_line(c, sec, kimp_conf_get(c, sec, key) ? key : ""),
		    sec, in->sym, sec, coin);
		return -EINVAL;
	}
	if (in->rules.min_qty < in->rules.step)
		in->rules.min_qty = in->rules.step;
	/* the venue's numeric instrument id its orders name (OKX instIdCode) */
	snprintf(key, sizeof(key), "inst_code.%s", coin);
	if ((e = kimp_conf_u64(c, sec, key, 0, &in->code, err, errlen)))
		return e;
	if ((e = dec_key(c, sec, "min_notional", v->px_dec, &in->rules.min_notional, err,
			 errlen)) ||
	    (e = dec_key(c, sec, "max_notional", v->px_dec, &in->rules.max_notional, err,
			 errlen)))
		return e;
	return 0;
}

static int balances_load(const struct kimp_conf *c, struct kimp_trade_conf *t,
			 struct kimp_trade_venue *v, char *err, size_t errlen)
{
	char sec[48], keys[KIMP_COINS_MAX + 1][12];
	const char *list[KIMP_COINS_MAX + 2];
	uint32_t n = 0;
	int e;

	snprintf(sec, sizeof(sec), "balance.%s", v->name);
	snprintf(keys[n], sizeof(keys[n]), "%s", v->quote);
	list[n] = keys[n];
	n++;
	for (uint32_t i = 1; i <= t->ncoins; i++)
		if (v->inst[i].listed) {
			snprintf(keys[n], sizeof(keys[n]), "%s", t->coins[i - 1]);
			list[n] = keys[n];
			n++;
		}
	list[n] = NULL;
	if ((e = kimp_conf_check_keys(c, sec, list, err, errlen))) {
		size_t l = strlen(err);
		snprintf(err + l, errlen > l ? errlen - l : 0,
			 " (an asset of %s: its quote %s or one of its coins)", v->name, v->quote);
		return e;
	}
	if ((e = dec_key(c, sec, v->quote, v->px_dec, &v->balance_quote, err, errlen)))
		return e;
	for (uint32_t i = 1; i <= t->ncoins; i++)
		if (v->inst[i].listed &&
		    (e = dec_key(c, sec, t->coins[i - 1], v->qty_dec, &v->inst[i].balance, err,
				 errlen)))
			return e;
	return 0;
}

static int venue_load(const struct kimp_conf *c, const char *sec, struct kimp_trade_conf *t,
		      struct kimp_trade_venue *v, char *err, size_t errlen)
{
	char coins[KIMP_COINS_MAX][12];
	const char *s;
	uint32_t n = 0;
	int e;

	v->present = true;
	snprintf(v->name, sizeof(v->name), "%s", v->md->name);
	if ((e = kimp_conf_str(c, sec, "quote", v->md->quote ? v->md->quote : "", &s, err,
			       errlen)))
		return e;
	if (!*s || strlen(s) >= sizeof(v->quote)) {
		ERR("%s:%u: key '%s.%s': a quote currency is needed (KRW, USDT)",
		    WHERE(c, sec, "quote"));
		return -EINVAL;
	}
	strcpy(v->quote, s);
	if ((e = u8_key(c, sec, "px_dec", &v->px_dec, err, errlen)) ||
	    (e = u8_key(c, sec, "qty_dec", &v->qty_dec, err, errlen)) ||
	    (e = kimp_conf_bool(c, sec, "trading", true, &v->trading, err, errlen)) ||
	    (e = fee_key(c, sec, "taker_fee", v->md->taker_fee, &v->taker_fee, &v->taker_fee_e8,
			 err, errlen)) ||
	    (e = fee_key(c, sec, "maker_fee", v->md->maker_fee, &v->maker_fee, &v->maker_fee_e8,
			 err, errlen)))
		return e;
	s = kimp_conf_get(c, sec, "coins");
	if (s) {
		if (coin_words(s, coins, KIMP_COINS_MAX, &n)) {
			ERR("%s:%u: key '%s.%s': upper-case coin names, each once, at most %d",
			    WHERE(c, sec, "coins"), KIMP_COINS_MAX - 1);
			return -EINVAL;
		}
	} else {
		for (uint32_t i = 0; i < t->ncoins; i++)
			if (strcmp(t->coins[i], v->quote))
				strcpy(coins[n++], t->coins[i]);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = kimp_trade_inst_id(t, coins[i]);
		if (!id) {
			ERR("%s:%u: key '%s.%s': %s is not in engine.coins", WHERE(c, sec, "coins"),
			    coins[i]);
			return -EINVAL;
		}
		if ((e = inst_load(c, sec, v, coins[i], &v->inst[id], err, errlen)))
			return e;
	}
	return balances_load(c, t, v, err, errlen);
}

int kimp_trade_conf_load(const struct kimp_conf *c, struct kimp_trade_conf *out, char *err,
			 size_t errlen)
{
	const char *s, *sec;
	size_t it = 0;
	int e;

	memset(out, 0, sizeof(*out));
	s = kimp_conf_get(c, "engine", "coins");
	if (!s) {
		ERR("%s: key 'engine.coins': missing (the coins the engine trades: BTC ETH ...)",
		    kimp_conf_name(c));
		return -EINVAL;
	}
	if (coin_words(s, out->coins, KIMP_COINS_MAX - 1, &out->ncoins) || !out->ncoins) {
		ERR("%s:%u: key '%s.%s': upper-case coin names, each once, 1 to %d",
		    WHERE(c, "engine", "coins"), KIMP_COINS_MAX - 1);
		return -EINVAL;
	}
	while ((sec = kimp_conf_next_section(c, &it))) {
		const struct venue_md *md;

		if (!strncmp(sec, "balance.", 8)) {
			char vsec[48];
			snprintf(vsec, sizeof(vsec), "venue.%s", sec + 8);
			if (!venue_md_by_name(sec + 8) || !kimp_conf_line(c, vsec, "")) {
				ERR("%s:%u: section [%s]: no [%s] section for it", kimp_conf_name(c),
				    kimp_conf_line(c, sec, ""), sec, vsec);
				return -EINVAL;
			}
			continue;
		}
		if (strncmp(sec, "venue.", 6))
			continue;
		md = venue_md_by_name(sec + 6);
		if (!md) {
			ERR("%s:%u: section [%s]: unknown venue '%s'", kimp_conf_name(c),
			    kimp_conf_line(c, sec, ""), sec, sec + 6);
			return -EINVAL;
		}
		out->venue[md->venue].md = md;
		if ((e = venue_load(c, sec, out, &out->venue[md->venue], err, errlen)))
			return e;
	}
	return 0;
}
