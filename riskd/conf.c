/* SPDX-License-Identifier: MIT */
/*
 * riskd's configuration: [riskd] (segments, rings, waiting, the KRW/USDT
 * rate, loss and drawdown limits, the breaker, net exposure per coin) and
 * one [risk.NAME] per traded venue (its bounds, rates, price band,
 * slippage cap, quote age). Venue rules, fees and balances come from
 * tradeconf. Every error names the file, the line and the key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/daemon.h"
#include "riskd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define WHERE(c, sec, key) kimp_conf_name(c), kimp_conf_line(c, sec, key), sec, key

static const char *const riskd_keys[] = {
	"name", "cpu", "stratd", "orderd", "feedd", "orders_slots", "verdicts_slots", "order_slots",
	"wait", "idle_wait", "spin", "housekeeping", "rate", "rate_venue", "loss_limit",
	"drawdown_limit", "breaker_count", "breaker_window", "breaker_cooldown",
	"net_exposure.*", NULL,
};

/* keys of [risk.NAME] without a coin */
static const char *const venue_keys[] = {
	"enabled", "disable", "notional_min", "notional_max", "max_open_orders",
	"rate_second", "rate_minute", "rate_hour", "rate_day", "price_band_bps",
	"max_slippage_bps", "max_quote_age", NULL,
};

/* keys of [risk.NAME] that name a coin: PREFIX.COIN */
static const char *const coin_prefixes[] = {
	"qty_min", "qty_max", "position_min", "position_max", NULL,
};

static const char *const rate_keys[KIMP_RISK_WINDOWS] = {
	"rate_second", "rate_minute", "rate_hour", "rate_day",
};

/* One segment name of a list key, as kimp_conf_segment takes a whole key. */
static int seg_name(const struct kimp_conf *c, const char *sec, const char *key, const char *s,
		    char *out, char *err, size_t errlen)
{
	if (!shm_name_ok(s)) {
		ERR("%s:%u: key '%s.%s': '%s' is not a segment name (1 to %d of A-Z a-z 0-9 . _ -, "
		    "not starting with '.')", WHERE(c, sec, key), s, SHM_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}
static int pow2_key(const struct kimp_conf *c, const char *sec, const char *key, uint64_t def,
		    uint32_t *out, char *err, size_t errlen)
{
	uint64_t v;
	int e = kimp_conf_u64(c, sec, key, def, &v, err, errlen);

	if (e)
		return e;
	if (v < 2 || v > (1u << 24) || !kimp_is_pow2(v)) {
		ERR("%s:%u: key '%s.%s': %" PRIu64 " is not a power of two in 2..16777216",
		    WHERE(c, sec, key), v);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * A decimal amount at 'dec' decimals, >= 0 (> 0 when 'positive'); absent:
 * *out unchanged and *set false.
 */
static int dec_key(const struct kimp_conf *c, const char *sec, const char *key, unsigned dec,
		   bool positive, int64_t *out, bool *set, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	int64_t v;

	if (set)
		*set = false;
	if (!s)
		return 0;
	if (venue_fixed(s, dec, &v) || v < 0 || (positive && !v)) {
		ERR("%s:%u: key '%s.%s': '%s' is not a decimal %s with at most %u decimals",
		    WHERE(c, sec, key), s, positive ? "> 0" : ">= 0", dec);
		return -EINVAL;
	}
	*out = v;
	if (set)
		*set = true;
	return 0;
}

/* Is 'coin' in the space- or comma-separated list s? (words checked by the caller) */
static bool in_list(const char *s, const char *coin)
{
	size_t cl = strlen(coin);

	while (*s) {
		s += strspn(s, " \t,");
		size_t l = strcspn(s, " \t,");
		if (!l)
			break;
		if (l == cl && !memcmp(s, coin, l))
			return true;
		s += l;
	}
	return false;
}

/* Every word of the 'disable' list is a coin the venue lists. */
static int disable_key(const struct kimp_conf *c, const char *sec, const struct riskd_conf *rc,
		       const struct kimp_trade_venue *tv, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, "disable");

	if (!s)
		return 0;
	while (*s) {
		char w[16];
		s += strspn(s, " \t,");
		size_t l = strcspn(s, " \t,");
		if (!l)
			break;
		uint32_t id = 0;
		if (l < sizeof(w)) {
			memcpy(w, s, l);
			w[l] = 0;
			id = kimp_trade_inst_id(&rc->trade, w);
		}
		if (!id || !tv->inst[id].listed) {
			ERR("%s:%u: key '%s.disable': '%.*s' is not a coin of %s", kimp_conf_name(c),
			    kimp_conf_line(c, sec, "disable"), sec, (int)l, s, tv->name);
			return -EINVAL;
		}
		s += l;
	}
	return 0;
}

/* Build "PREFIX.COIN" for every coin listed on the venue into keys (NULL-terminated). */
static void venue_key_list(const struct riskd_conf *rc, const struct kimp_trade_venue *tv,
			   char (*buf)[32], const char **keys)
{
	size_t n = 0, b = 0;

	for (size_t k = 0; venue_keys[k]; k++)
		keys[n++] = venue_keys[k];
	for (size_t p = 0; coin_prefixes[p]; p++)
		for (uint32_t i = 1; i <= rc->trade.ncoins; i++)
			if (tv->inst[i].listed) {
				snprintf(buf[b], sizeof(buf[b]), "%s.%s", coin_prefixes[p],
					 rc->trade.coins[i - 1]);
				keys[n++] = buf[b++];
			}
	keys[n] = NULL;
}

static int coin_limits(const struct kimp_conf *c, const char *sec, struct riskd_conf *rc,
		       unsigned v, uint32_t i, char *err, size_t errlen)
{
	const struct kimp_trade_venue *tv = &rc->trade.venue[v];
	const struct venue_inst_rules *r = &tv->inst[i].rules;
	struct risk_venue_conf *vc = &rc->venue[v];
	const char *coin = rc->trade.coins[i - 1];
	char kmin[32], kmax[32];
	int64_t x = 0;
	bool set;
	int e;

	/* quantity: the venue's and ours, the tighter */
	vc->qty_min[i] = r->min_qty > r->step ? r->min_qty : r->step;
	vc->qty_max[i] = r->max_qty ? r->max_qty : RISKD_NONE_MAX;
	snprintf(kmin, sizeof(kmin), "qty_min.%s", coin);
	snprintf(kmax, sizeof(kmax), "qty_max.%s", coin);
	if ((e = dec_key(c, sec, kmin, tv->qty_dec, false, &x, &set, err, errlen)))
		return e;
	if (set && x > vc->qty_min[i])
		vc->qty_min[i] = x;
	if ((e = dec_key(c, sec, kmax, tv->qty_dec, true, &x, &set, err, errlen)))
		return e;
	if (set && x < vc->qty_max[i])
		vc->qty_max[i] = x;
	if (vc->qty_max[i] < vc->qty_min[i]) {
		const char *k = kimp_conf_get(c, sec, kmax) ? kmax : kmin;
		ERR("%s:%u: key '%s.%s': the quantity bounds leave nothing (max below min %s, "
		    "the venue's step or minimum included)", WHERE(c, sec, k), coin);
		return -EINVAL;
	}
	/* notional: per venue keys, merged per instrument with its rules */
	vc->notional_min[i] = r->min_notional;
	vc->notional_max[i] = r->max_notional ? r->max_notional : RISKD_NONE_MAX;
	if ((e = dec_key(c, sec, "notional_min", tv->px_dec, false, &x, &set, err, errlen)))
		return e;
	if (set && x > vc->notional_min[i])
		vc->notional_min[i] = x;
	if ((e = dec_key(c, sec, "notional_max", tv->px_dec, true, &x, &set, err, errlen)))
		return e;
	if (set && x < vc->notional_max[i])
		vc->notional_max[i] = x;
	if (vc->notional_max[i] < vc->notional_min[i]) {
		const char *k = kimp_conf_get(c, sec, "notional_max") ? "notional_max" : "notional_min";
		ERR("%s:%u: key '%s.%s': the notional bounds of %s leave nothing (max below min, "
		    "the venue's included)", WHERE(c, sec, k), coin);
		return -EINVAL;
	}
	/* holdings bounds */
	vc->pos_min[i] = RISKD_NONE_MIN;
	vc->pos_max[i] = RISKD_NONE_MAX;
	snprintf(kmin, sizeof(kmin), "position_min.%s", coin);
	snprintf(kmax, sizeof(kmax), "position_max.%s", coin);
	if ((e = dec_key(c, sec, kmin, tv->qty_dec, false, &x, &set, err, errlen)))
		return e;
	if (set)
		vc->pos_min[i] = x;
	if ((e = dec_key(c, sec, kmax, tv->qty_dec, false, &x, &set, err, errlen)))
		return e;
	if (set)
		vc->pos_max[i] = x;
	if (vc->pos_max[i] < vc->pos_min[i]) {
		ERR("%s:%u: key '%s.%s': below %s", WHERE(c, sec, kmax), kmin);
		return -EINVAL;
	}
	return 0;
}

static int risk_venue_load(const struct kimp_conf *c, struct riskd_conf *rc, unsigned v, char *err,
			   size_t errlen)
{
	const struct kimp_trade_venue *tv = &rc->trade.venue[v];
	struct risk_venue_conf *vc = &rc->venue[v];
	static const uint64_t rate_def[KIMP_RISK_WINDOWS] = { 10, 300, 0, 0 };
	char sec[48], buf[4 * KIMP_RISK_INSTS][32];
	const char *keys[KIMP_ARRAY_SIZE(venue_keys) + 4 * KIMP_RISK_INSTS + 1];
	const char *dis;
	bool en;
	int e;

	snprintf(sec, sizeof(sec), "risk.%s", tv->name);
	venue_key_list(rc, tv, buf, keys);
	if ((e = kimp_conf_check_keys(c, sec, keys, err, errlen)))
		return e;
	if ((e = kimp_conf_bool(c, sec, "enabled", true, &en, err, errlen)) ||
	    (e = disable_key(c, sec, rc, tv, err, errlen)))
		return e;
	vc->enabled = en && tv->trading;
	dis = kimp_conf_get(c, sec, "disable");
	for (uint32_t i = 1; i <= rc->trade.ncoins; i++) {
		if (!tv->inst[i].listed)
			continue;
		vc->inst_on[i] = !(dis && in_list(dis, rc->trade.coins[i - 1]));
		if ((e = coin_limits(c, sec, rc, v, i, err, errlen)))
			return e;
	}
	if ((e = kimp_conf_u64_in(c, sec, "max_open_orders", 32, 0, 1000000,
				  &vc->max_open_orders, err, errlen)))
		return e;
	for (unsigned w = 0; w < KIMP_RISK_WINDOWS; w++)
		if ((e = kimp_conf_u64_in(c, sec, rate_keys[w], rate_def[w], 0, 1000000000,
					  &vc->rate_max[w], err, errlen)))
			return e;
	if ((e = kimp_conf_u64_in(c, sec, "price_band_bps", 200, 0, 10000, &vc->price_band_bps,
				  err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "max_slippage_bps", 50, 0, 10000, &vc->slippage_bps,
				  err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "max_quote_age", 2000000000ull, 1000000ull,
				 3600000000000ull, &vc->max_quote_age_ns, err, errlen)))
		return e;
	if (vc->max_open_orders > rc->order_slots) {
		ERR("%s:%u: key '%s.%s': %" PRIu64 " open orders do not fit the order table "
		    "(riskd.order_slots = %" PRIu64 ")", WHERE(c, sec, "max_open_orders"),
		    vc->max_open_orders, rc->order_slots);
		return -EINVAL;
	}
	return 0;
}

/* [risk.NAME] sections name a configured venue. */
static int risk_sections_check(const struct kimp_conf *c, const struct riskd_conf *rc, char *err,
			       size_t errlen)
{
	size_t it = 0;
	const char *sec;

	while ((sec = kimp_conf_next_section(c, &it))) {
		if (strncmp(sec, "risk.", 5))
			continue;
		const struct venue_md *md = venue_md_by_name(sec + 5);
		if (!md || !rc->trade.venue[md->venue].present) {
			ERR("%s:%u: section [%s]: no [venue.%s] section for it", kimp_conf_name(c),
			    kimp_conf_line(c, sec, ""), sec, sec + 5);
			return -EINVAL;
		}
	}
	return 0;
}

/* The KRW/USDT rate: fixed, or the USDT book of a KRW venue. */
static int rate_load(const struct kimp_conf *c, struct riskd_conf *rc, char *err, size_t errlen)
{
	const char *sec = "riskd";
	uint32_t usdt = kimp_trade_inst_id(&rc->trade, "USDT");
	const char *rv = kimp_conf_get(c, sec, "rate_venue");
	bool need = false, set;
	int e;

	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++) {
		const struct kimp_trade_venue *tv = &rc->trade.venue[v];
		if (!tv->present)
			continue;
		if (strcmp(tv->quote, "KRW") && strcmp(tv->quote, "USDT")) {
			char vs[48];
			snprintf(vs, sizeof(vs), "venue.%s", tv->name);
			ERR("%s:%u: key '%s.quote': riskd converts KRW and USDT quotes only, not '%s'",
			    kimp_conf_name(c),
			    kimp_conf_line(c, vs, "quote") ? kimp_conf_line(c, vs, "quote")
							   : kimp_conf_line(c, vs, ""),
			    vs, tv->quote);
			return -EINVAL;
		}
		need |= !strcmp(tv->quote, "USDT");
	}
	if ((e = dec_key(c, sec, "rate", KIMP_RISK_RATE_DEC, true, &rc->fixed_rate, &set, err,
			 errlen)))
		return e;
	if (set && rv) {
		ERR("%s:%u: key '%s.%s': set rate or rate_venue, not both", WHERE(c, sec, "rate_venue"));
		return -EINVAL;
	}
	if (set)
		return 0;
	if (rv) {
		const struct venue_md *md = venue_md_by_name(rv);
		const struct kimp_trade_venue *tv = md ? &rc->trade.venue[md->venue] : NULL;
		if (!tv || !tv->present || strcmp(tv->quote, "KRW") || !usdt ||
		    !tv->inst[usdt].listed) {
			ERR("%s:%u: key '%s.%s': '%s' is not a configured KRW venue that lists USDT",
			    WHERE(c, sec, "rate_venue"), rv);
			return -EINVAL;
		}
		rc->rate_venue = md->venue;
		rc->rate_inst = usdt;
		return 0;
	}
	for (unsigned v = 1; v < KIMP_RISK_VENUES && usdt; v++) {
		const struct kimp_trade_venue *tv = &rc->trade.venue[v];
		if (tv->present && !strcmp(tv->quote, "KRW") && tv->inst[usdt].listed) {
			rc->rate_venue = (uint8_t)v;
			rc->rate_inst = usdt;
			return 0;
		}
	}
	if (need) {
		ERR("%s: key 'riskd.rate': a USDT venue needs the KRW/USDT rate: set [riskd] rate "
		    "(KRW per USDT) or list USDT on a KRW venue", kimp_conf_name(c));
		return -EINVAL;
	}
	return 0;
}

static int feeds_key(const struct kimp_conf *c, struct riskd_conf *rc, char *err, size_t errlen)
{
	const char *s;
	int e = kimp_conf_str(c, "riskd", "feedd", "feedd", &s, err, errlen);

	if (e)
		return e;
	rc->nfeeds = 0;
	while (*s) {
		char w[64];
		s += strspn(s, " \t,");
		size_t l = strcspn(s, " \t,");
		if (!l)
			break;
		if (rc->nfeeds == RISKD_FEEDS_MAX || l >= sizeof(w)) {
			ERR("%s:%u: key 'riskd.feedd': at most %d segment names, each shorter than %d",
			    kimp_conf_name(c), kimp_conf_line(c, "riskd", "feedd"), RISKD_FEEDS_MAX,
			    SHM_NAME_MAX);
			return -EINVAL;
		}
		memcpy(w, s, l);
		w[l] = 0;
		if ((e = seg_name(c, "riskd", "feedd", w, rc->feeds[rc->nfeeds], err, errlen)))
			return e;
		rc->nfeeds++;
		s += l;
	}
	if (!rc->nfeeds) {
		ERR("%s:%u: key 'riskd.feedd': empty (the feedd segment names)", kimp_conf_name(c),
		    kimp_conf_line(c, "riskd", "feedd"));
		return -EINVAL;
	}
	return 0;
}

static int riskd_section(const struct kimp_conf *c, struct riskd_conf *rc, char *err,
			 size_t errlen)
{
	const char *sec = "riskd", *s;
	char buf[KIMP_RISK_INSTS][32];
	const char *keys[KIMP_ARRAY_SIZE(riskd_keys) + KIMP_RISK_INSTS];
	size_t n = 0;
	int e;

	/* net_exposure.COIN for the engine's coins only */
	for (size_t k = 0; riskd_keys[k]; k++)
		if (strcmp(riskd_keys[k], "net_exposure.*"))
			keys[n++] = riskd_keys[k];
	for (uint32_t i = 1; i <= rc->trade.ncoins; i++) {
		snprintf(buf[i - 1], sizeof(buf[i - 1]), "net_exposure.%s", rc->trade.coins[i - 1]);
		keys[n++] = buf[i - 1];
	}
	keys[n] = NULL;
	if ((e = kimp_conf_check_keys(c, sec, keys, err, errlen)))
		return e;
	if ((e = kimp_conf_segment(c, sec, "name", KIMP_RISK_SEGMENT, rc->name, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "stratd", "stratd", rc->stratd, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "orderd", "orderd", rc->orderd, err, errlen)) ||
	    (e = feeds_key(c, rc, err, errlen)) ||
	    (e = pow2_key(c, sec, "orders_slots", 4096, &rc->orders_slots, err, errlen)) ||
	    (e = pow2_key(c, sec, "verdicts_slots", 4096, &rc->verdicts_slots, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "order_slots", 4096, 16, 1u << 20, &rc->order_slots,
				  err, errlen)))
		return e;
	if ((e = kimp_conf_cpu(c, sec, &rc->cpu, err, errlen)) ||
	    (e = kimp_conf_str(c, sec, "wait", "hybrid", &s, err, errlen)))
		return e;
	if (shm_wait_mode_parse(s, &rc->wait)) {
		ERR("%s:%u: key '%s.%s': '%s' is not spin or hybrid", WHERE(c, sec, "wait"), s);
		return -EINVAL;
	}
	if ((e = kimp_conf_ns_in(c, sec, "idle_wait", 1000000, 1000, 1000000000,
				 &rc->idle_wait_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "spin", 50000, 0, 1000000000, &rc->spin_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "housekeeping", 10000000, 1000000, 10000000000ull,
				 &rc->housekeeping_ns, err, errlen)) ||
	    (e = rate_load(c, rc, err, errlen)) ||
	    (e = dec_key(c, sec, "loss_limit", KIMP_RISK_KRW_DEC, false, &rc->loss_limit, NULL, err,
			 errlen)) ||
	    (e = dec_key(c, sec, "drawdown_limit", KIMP_RISK_KRW_DEC, false, &rc->drawdown_limit,
			 NULL, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "breaker_count", 5, 0, KIMP_RISK_BREAKER_MAX,
				  &rc->breaker_count, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "breaker_window", 10000000000ull, 1000000,
				 86400000000000ull, &rc->breaker_window_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "breaker_cooldown", 60000000000ull, 1000000,
				 86400000000000ull, &rc->breaker_cooldown_ns, err, errlen)))
		return e;
	for (uint32_t i = 1; i < KIMP_RISK_INSTS; i++) {
		rc->net_exposure[i] = RISKD_NONE_MAX;
		if (i <= rc->trade.ncoins &&
		    (e = dec_key(c, sec, buf[i - 1], KIMP_RISK_COIN_DEC, false, &rc->net_exposure[i],
				 NULL, err, errlen)))
			return e;
	}
	return 0;
}

int riskd_conf_load(const struct kimp_conf *c, struct riskd_conf *out, char *err, size_t errlen)
{
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = kimp_trade_conf_load(c, &out->trade, err, errlen)) ||
	    (e = riskd_section(c, out, err, errlen)) ||
	    (e = risk_sections_check(c, out, err, errlen)))
		return e;
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		if (out->trade.venue[v].present && (e = risk_venue_load(c, out, v, err, errlen)))
			return e;
	return 0;
}

/* ---- printing ------------------------------------------------------------------ */

/* v with dec decimals, trailing zeros dropped; "none" for the unset bounds. */
static const char *fix(char *b, size_t n, int64_t v, unsigned dec)
{
	uint64_t p = 1, a;
	size_t l;

	if (v == RISKD_NONE_MAX || v == RISKD_NONE_MIN) {
		snprintf(b, n, "none");
		return b;
	}
	for (unsigned k = 0; k < dec; k++)
		p *= 10;
	a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (!dec) {
		snprintf(b, n, "%s%" PRIu64, v < 0 ? "-" : "", a);
		return b;
	}
	snprintf(b, n, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", a / p, (int)(dec > 18 ? 18 : dec),
		 a % p);
	l = strlen(b);
	while (l && b[l - 1] == '0')
		b[--l] = 0;
	if (l && b[l - 1] == '.')
		b[--l] = 0;
	return b;
}

static const char *dur(char *b, size_t n, uint64_t ns)
{
	if (ns && !(ns % 1000000000ull))
		snprintf(b, n, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	else if (ns && !(ns % 1000000ull))
		snprintf(b, n, "%" PRIu64 "ms", ns / UINT64_C(1000000));
	else if (ns && !(ns % 1000ull))
		snprintf(b, n, "%" PRIu64 "us", ns / UINT64_C(1000));
	else
		snprintf(b, n, "%" PRIu64 "ns", ns);
	return b;
}

static const char *cnt(char *b, size_t n, uint64_t v)
{
	if (v)
		snprintf(b, n, "%" PRIu64, v);
	else
		snprintf(b, n, "none");
	return b;
}

void riskd_conf_print(const struct riskd_conf *c, FILE *f)
{
	char a[64], b[64], d[64], e[64];

	fprintf(f, "riskd: segment %s; intents from %s, reports from %s, books from", c->name,
		c->stratd, c->orderd);
	for (uint32_t k = 0; k < c->nfeeds; k++)
		fprintf(f, " %s", c->feeds[k]);
	fprintf(f, "\nriskd: rings orders %u verdicts %u, order table %" PRIu64
		", wait %s (idle %s, spin %s), housekeeping %s\n",
		c->orders_slots, c->verdicts_slots, c->order_slots, shm_wait_mode_name(c->wait),
		dur(a, sizeof(a), c->idle_wait_ns), dur(b, sizeof(b), c->spin_ns),
		dur(d, sizeof(d), c->housekeeping_ns));
	if (c->fixed_rate)
		fprintf(f, "riskd: KRW/USDT rate fixed at %s\n",
			fix(a, sizeof(a), c->fixed_rate, KIMP_RISK_RATE_DEC));
	else if (c->rate_venue)
		fprintf(f, "riskd: KRW/USDT rate from the %s USDT book\n",
			c->trade.venue[c->rate_venue].name);
	fprintf(f, "riskd: daily loss limit %s%s, drawdown limit %s%s, breaker ",
		c->loss_limit ? fix(a, sizeof(a), c->loss_limit, KIMP_RISK_KRW_DEC) : "none",
		c->loss_limit ? " KRW" : "",
		c->drawdown_limit ? fix(b, sizeof(b), c->drawdown_limit, KIMP_RISK_KRW_DEC) : "none",
		c->drawdown_limit ? " KRW" : "");
	if (c->breaker_count)
		fprintf(f, "%" PRIu64 " rejects/errors in %s -> %s cooldown\n", c->breaker_count,
			dur(a, sizeof(a), c->breaker_window_ns),
			dur(b, sizeof(b), c->breaker_cooldown_ns));
	else
		fprintf(f, "off\n");
	fprintf(f, "riskd: net exposure across venues:");
	for (uint32_t i = 1; i <= c->trade.ncoins; i++)
		fprintf(f, " %s %s", c->trade.coins[i - 1],
			fix(a, sizeof(a), c->net_exposure[i], KIMP_RISK_COIN_DEC));
	fputc('\n', f);
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++) {
		const struct kimp_trade_venue *tv = &c->trade.venue[v];
		const struct risk_venue_conf *vc = &c->venue[v];
		if (!tv->present)
			continue;
		fprintf(f, "riskd: venue %s (%s, px_dec %u, qty_dec %u): %s, open orders %s, "
			"rates %s/s %s/min",
			tv->name, tv->quote, tv->px_dec, tv->qty_dec,
			vc->enabled ? "enabled" : "DISABLED", cnt(a, sizeof(a), vc->max_open_orders),
			cnt(b, sizeof(b), vc->rate_max[0]), cnt(d, sizeof(d), vc->rate_max[1]));
		fprintf(f, " %s/h %s/day, price band %s bps, slippage cap %" PRIu64 " bps, "
			"quote age %s\n", cnt(a, sizeof(a), vc->rate_max[2]),
			cnt(b, sizeof(b), vc->rate_max[3]), cnt(d, sizeof(d), vc->price_band_bps),
			vc->slippage_bps, dur(e, sizeof(e), vc->max_quote_age_ns));
		for (uint32_t i = 1; i <= c->trade.ncoins; i++) {
			if (!tv->inst[i].listed)
				continue;
			fprintf(f, "riskd:   %s %s%s: qty %s..%s", tv->name, c->trade.coins[i - 1],
				vc->inst_on[i] ? "" : " DISABLED",
				fix(a, sizeof(a), vc->qty_min[i], tv->qty_dec),
				fix(b, sizeof(b), vc->qty_max[i], tv->qty_dec));
			fprintf(f, ", notional %s..%s %s", fix(a, sizeof(a), vc->notional_min[i], tv->px_dec),
				fix(b, sizeof(b), vc->notional_max[i], tv->px_dec), tv->quote);
			fprintf(f, ", holdings %s..%s, start %s\n",
				fix(a, sizeof(a), vc->pos_min[i], tv->qty_dec),
				fix(b, sizeof(b), vc->pos_max[i], tv->qty_dec),
				fix(d, sizeof(d), tv->inst[i].balance, tv->qty_dec));
		}
		fprintf(f, "riskd:   %s %s start %s\n", tv->name, tv->quote,
			fix(a, sizeof(a), tv->balance_quote, tv->px_dec));
	}
}
