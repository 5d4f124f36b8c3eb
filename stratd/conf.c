/* SPDX-License-Identifier: MIT */
/*
 * stratd's configuration: [stratd] (segments, ring, waiting, timing, the
 * leg-failure policy, defaults of the model and entry keys), one
 * [pair.COIN] per traded coin (its KRW and USDT venues, the rate source,
 * clip and minimum, overrides, inventory bands), on top of tradeconf
 * (venues, rules, fees, balances) and the [risk.NAME] bounds riskd will
 * hold it to (position_min/max.COIN, qty_max.COIN, notional_max, enabled,
 * disable), so stratd sizes within them. Every error names the file, the
 * line and the key.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/daemon.h"
#include "stratd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define WHERE(c, sec, key) kimp_conf_name(c), kimp_conf_line(c, sec, key), sec, key

KIMP_STATIC_ASSERT(KIMP_STRAT_COINS == KIMP_COINS_MAX, "coin slots by engine inst id");
KIMP_STATIC_ASSERT(KIMP_STRAT_VENUES == KIMP_VENUE_MAX, "venue slots by enum kimp_venue");
KIMP_STATIC_ASSERT(KIMP_STRAT_ASSETS == KIMP_COINS_MAX, "asset 0 is the quote");

/* keys of [stratd] besides cash_floor.VENUE */
static const char *const stratd_keys[] = {
	"name", "cpu", "feedd", "riskd", "orderd", "ring_slots", "wait", "idle_wait", "spin",
	"heartbeat", "quote_age", "leg_timeout", "cooldown", "max_pairs", "leg_policy",
	"retry_max", "unwind_max", "slip_cap", "rate", "margin", "entry_sigma", "slippage",
	"half_life", "warmup", "warmup_samples", NULL,
};
#define STRATD_NKEYS (KIMP_ARRAY_SIZE(stratd_keys) - 1)

/* keys of [pair.COIN] besides band.VENUE (one per venue of the pair) */
#define PAIR_KEYS "krw", "usdt", "clip", "min_size", "rate", "margin", "entry_sigma", \
		  "slippage", "half_life", "warmup", "warmup_samples"

/* Defaults of the keys [pair.COIN] may override, from [stratd]. */
struct pair_defaults {
	const char *rate;
	double margin, entry_sigma;
	int64_t slip_e8;
	uint64_t half_life_ns, warmup_ns, warmup_n;
};

/* A fraction as a decimal string (0.001 = 0.1%) in [0, max_e8] 1e-8 units. */
static int frac_key(const struct kimp_conf *c, const char *sec, const char *key, int64_t def,
		    int64_t max_e8, int64_t *e8, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	int64_t v;

	if (!s) {
		*e8 = def;
		return 0;
	}
	if (venue_fixed(s, 8, &v) || v < 0 || v > max_e8) {
		ERR("%s:%u: key '%s.%s': '%s' is not a fraction in 0..%.8g with at most 8 decimals "
		    "(0.001 = 0.1%%)", WHERE(c, sec, key), s, (double)max_e8 / 1e8);
		return -EINVAL;
	}
	*e8 = v;
	return 0;
}

/* A decimal at dec decimals, >= 0 (> 0 when positive); absent: def. */
static int dec_key(const struct kimp_conf *c, const char *sec, const char *key, unsigned dec,
		   bool positive, int64_t def, int64_t *out, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	int64_t v;

	if (!s) {
		*out = def;
		return 0;
	}
	if (venue_fixed(s, dec, &v) || v < 0 || (positive && !v)) {
		ERR("%s:%u: key '%s.%s': '%s' is not a decimal %s with at most %u decimals",
		    WHERE(c, sec, key), s, positive ? "> 0" : ">= 0", dec);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "book" or a positive number (KRW per USDT). */
static int rate_key(const struct kimp_conf *c, const char *sec, const char *key, const char *def,
		    double *rate, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	char *end;

	if (!s)
		s = def;
	if (!strcmp(s, "book")) {
		*rate = 0;
		return 0;
	}
	*rate = strtod(s, &end);
	if (end == s || *end || !isfinite(*rate) || !(*rate > 0)) {
		ERR("%s:%u: key '%s.%s': '%s' is neither 'book' (the USDT book on the KRW venue) "
		    "nor a rate > 0", WHERE(c, sec, key), s);
		return -EINVAL;
	}
	return 0;
}

static int f64_in(const struct kimp_conf *c, const char *sec, const char *key, double def,
		  double lo, double hi, double *out, char *err, size_t errlen)
{
	int e = kimp_conf_f64(c, sec, key, def, out, err, errlen);

	if (e)
		return e;
	if (!(*out >= lo && *out <= hi)) {
		ERR("%s:%u: key '%s.%s': %g is out of range %g..%g", WHERE(c, sec, key), *out, lo,
		    hi);
		return -EINVAL;
	}
	return 0;
}

/* The model and entry keys: [stratd] gives the defaults, [pair.COIN] may override. */
static int model_keys(const struct kimp_conf *c, const char *sec, struct pair_defaults *d,
		      char *err, size_t errlen)
{
	int64_t m;
	int e;

	if ((e = frac_key(c, sec, "margin", (int64_t)llround(d->margin * 1e8), 10000000, &m, err,
			  errlen)))
		return e;
	d->margin = (double)m / 1e8;
	if ((e = f64_in(c, sec, "entry_sigma", d->entry_sigma, 0, 100, &d->entry_sigma, err,
			errlen)) ||
	    (e = frac_key(c, sec, "slippage", d->slip_e8, 10000000, &d->slip_e8, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "half_life", d->half_life_ns, 1000000ull,
				 30ull * 86400000000000ull, &d->half_life_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "warmup", d->warmup_ns, 0, 30ull * 86400000000000ull,
				 &d->warmup_ns, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "warmup_samples", d->warmup_n, 1, 1000000000,
				  &d->warmup_n, err, errlen)))
		return e;
	return 0;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* A venue named by key of sec: traded (a [venue.NAME]), quoting in quote, listing coin. */
static int pair_venue(const struct kimp_conf *c, const char *sec, const char *key,
		      const struct stratd_conf *sc, uint32_t inst, const char *coin,
		      const struct kimp_trade_venue **out, char *err, size_t errlen)
{
	const char *s = kimp_conf_get(c, sec, key);
	const struct venue_md *md;

	if (!s) {
		ERR("%s:%u: key '%s.%s': missing (the %s venue of %s)", kimp_conf_name(c),
		    kimp_conf_line(c, sec, ""), sec, key, !strcmp(key, "krw") ? "KRW" : "USDT",
		    coin);
		return -EINVAL;
	}
	md = venue_md_by_name(s);
	if (!md || !sc->trade.venue[md->venue].present) {
		ERR("%s:%u: key '%s.%s': '%s' is not a venue with a [venue.%s] section",
		    WHERE(c, sec, key), s, s);
		return -EINVAL;
	}
	*out = &sc->trade.venue[md->venue];
	if (!(*out)->inst[inst].listed) {
		ERR("%s:%u: key '%s.%s': %s does not list %s (venue.%s.coins)", WHERE(c, sec, key),
		    s, coin, s);
		return -EINVAL;
	}
	return 0;
}

/* [risk.NAME] bounds for one venue of a pair (riskd checks the keys themselves). */
static int risk_bounds(const struct kimp_conf *c, const char *coin, struct strat_venue_conf *v,
		       bool *enabled, char *err, size_t errlen)
{
	char sec[48], key[48];
	bool on;
	int e;

	snprintf(sec, sizeof(sec), "risk.%s", v->name);
	v->risk_pos_max = STRATD_INF;
	v->risk_notional_max = STRATD_INF;
	if (!kimp_conf_line(c, sec, ""))
		return 0;
	if ((e = kimp_conf_bool(c, sec, "enabled", true, &on, err, errlen)))
		return e;
	if (!on)
		*enabled = false;
	const char *dis = kimp_conf_get(c, sec, "disable");
	for (const char *p = dis; p && *p;) {
		p += strspn(p, " \t,");
		size_t l = strcspn(p, " \t,");
		if (l == strlen(coin) && !memcmp(p, coin, l))
			*enabled = false;
		p += l;
	}
	int64_t lo = 0, hi = STRATD_INF, qmax = STRATD_INF;
	snprintf(key, sizeof(key), "position_min.%s", coin);
	if ((e = dec_key(c, sec, key, v->qty_dec, false, 0, &lo, err, errlen)))
		return e;
	snprintf(key, sizeof(key), "position_max.%s", coin);
	if ((e = dec_key(c, sec, key, v->qty_dec, false, STRATD_INF, &hi, err, errlen)))
		return e;
	snprintf(key, sizeof(key), "qty_max.%s", coin);
	if ((e = dec_key(c, sec, key, v->qty_dec, true, STRATD_INF, &qmax, err, errlen)))
		return e;
	if ((e = dec_key(c, sec, "notional_max", v->px_dec, true, STRATD_INF,
			 &v->risk_notional_max, err, errlen)))
		return e;
	/* the stricter of the band and riskd's position bounds */
	if (lo > v->band_min)
		v->band_min = lo;
	v->risk_pos_max = hi;
	if (qmax != STRATD_INF && (!v->rules.max_qty || qmax < v->rules.max_qty))
		v->rules.max_qty = qmax;
	return 0;
}

static int pair_load(const struct kimp_conf *c, const char *sec, struct stratd_conf *sc,
		     const struct pair_defaults *def, char *err, size_t errlen)
{
	const char *coin = sec + 5;
	uint32_t inst = kimp_trade_inst_id(&sc->trade, coin);
	const struct kimp_trade_venue *tv[2];
	struct strat_pair_conf *pc;
	struct pair_defaults d = *def;
	char band_keys[2][32];
	const char *keys[] = { PAIR_KEYS, band_keys[0], band_keys[1], NULL };
	int e;

	if (!inst) {
		ERR("%s:%u: section [%s]: %s is not in engine.coins", kimp_conf_name(c),
		    kimp_conf_line(c, sec, ""), sec, coin);
		return -EINVAL;
	}
	pc = &sc->pair[inst];
	memset(pc, 0, sizeof(*pc));
	pc->on = true;
	pc->enabled = true;
	pc->inst = inst;
	snprintf(pc->coin, sizeof(pc->coin), "%s", coin);
	if ((e = pair_venue(c, sec, "krw", sc, inst, coin, &tv[0], err, errlen)) ||
	    (e = pair_venue(c, sec, "usdt", sc, inst, coin, &tv[1], err, errlen)))
		return e;
	if (tv[0] == tv[1] || !strcmp(tv[0]->quote, tv[1]->quote)) {
		ERR("%s:%u: key '%s.%s': %s quotes in %s like %s: a pair needs two quote "
		    "currencies", WHERE(c, sec, "usdt"), tv[1]->name, tv[1]->quote, tv[0]->name);
		return -EINVAL;
	}
	snprintf(band_keys[0], sizeof(band_keys[0]), "band.%s", tv[0]->name);
	snprintf(band_keys[1], sizeof(band_keys[1]), "band.%s", tv[1]->name);
	if ((e = kimp_conf_check_keys(c, sec, keys, err, errlen)))
		return e;

	/* the venues' facts */
	for (int l = 0; l < 2; l++) {
		struct strat_venue_conf *v = &pc->leg[l];
		v->venue = tv[l]->md->venue;
		v->px_dec = tv[l]->px_dec;
		v->qty_dec = tv[l]->qty_dec;
		v->trading = tv[l]->trading;
		snprintf(v->name, sizeof(v->name), "%s", tv[l]->name);
		v->rules = tv[l]->inst[inst].rules;
		v->fee_e8 = tv[l]->taker_fee_e8;
		v->fee = tv[l]->taker_fee;
		if (!v->trading)
			pc->enabled = false;
	}
	pc->qty_dec = pc->leg[0].qty_dec > pc->leg[1].qty_dec ? pc->leg[0].qty_dec
							      : pc->leg[1].qty_dec;
	uint64_t s0 = (uint64_t)strat_qty_scale(pc->leg[0].rules.step, pc->leg[0].qty_dec,
						pc->qty_dec);
	uint64_t s1 = (uint64_t)strat_qty_scale(pc->leg[1].rules.step, pc->leg[1].qty_dec,
						pc->qty_dec);
	uint64_t g = gcd64(s0, s1), lcm = s0 / g;
	if (lcm > (uint64_t)STRATD_INF / s1) {
		ERR("%s:%u: section [%s]: the two venues' steps have no common multiple",
		    kimp_conf_name(c), kimp_conf_line(c, sec, ""), sec);
		return -EINVAL;
	}
	pc->step = (int64_t)(lcm * s1);

	/* rate, size, model */
	if ((e = rate_key(c, sec, "rate", d.rate, &pc->rate, err, errlen)))
		return e;
	if (!pc->rate) {
		pc->rate_inst = kimp_trade_inst_id(&sc->trade, tv[1]->quote);
		if (!pc->rate_inst || !tv[0]->inst[pc->rate_inst].listed) {
			ERR("%s:%u: key '%s.rate': no %s book on %s for the rate (list %s in "
			    "venue.%s.coins, or give a fixed rate)", kimp_conf_name(c),
			    kimp_conf_line(c, sec, "rate") ? kimp_conf_line(c, sec, "rate")
							   : kimp_conf_line(c, sec, ""),
			    sec, tv[1]->quote, tv[0]->name, tv[1]->quote, tv[0]->name);
			return -EINVAL;
		}
	}
	if (!kimp_conf_get(c, sec, "clip")) {
		ERR("%s:%u: key '%s.clip': missing (the largest pair, in %s)", kimp_conf_name(c),
		    kimp_conf_line(c, sec, ""), sec, coin);
		return -EINVAL;
	}
	if ((e = dec_key(c, sec, "clip", pc->qty_dec, true, 0, &pc->clip, err, errlen)) ||
	    (e = dec_key(c, sec, "min_size", pc->qty_dec, false, 0, &pc->min_size, err, errlen)))
		return e;
	if (pc->clip < pc->step || pc->clip < pc->min_size) {
		ERR("%s:%u: key '%s.%s': below the step of both venues or min_size",
		    WHERE(c, sec, "clip"));
		return -EINVAL;
	}
	if ((e = model_keys(c, sec, &d, err, errlen)))
		return e;
	pc->margin = d.margin;
	pc->entry_sigma = d.entry_sigma;
	pc->slip_e8 = d.slip_e8;
	pc->half_life_ns = d.half_life_ns;
	pc->warmup_ns = d.warmup_ns;
	pc->warmup_n = d.warmup_n;

	/* bands: "MIN MAX" of the coin held on each venue */
	for (int l = 0; l < 2; l++) {
		struct strat_venue_conf *v = &pc->leg[l];
		const char *s = kimp_conf_get(c, sec, band_keys[l]);
		v->band_min = 0;
		v->band_max = STRATD_INF;
		if (s) {
			char a[40], b[40];
			int n = sscanf(s, "%39s %39s", a, b);
			if (n != 2 || venue_fixed(a, v->qty_dec, &v->band_min) ||
			    venue_fixed(b, v->qty_dec, &v->band_max) || v->band_min < 0 ||
			    v->band_max < v->band_min) {
				ERR("%s:%u: key '%s.%s': '%s' is not 'MIN MAX' (coin held on %s, "
				    "0 <= MIN <= MAX, at most %u decimals)",
				    WHERE(c, sec, band_keys[l]), s, v->name, v->qty_dec);
				return -EINVAL;
			}
		}
		if ((e = risk_bounds(c, coin, v, &pc->enabled, err, errlen)))
			return e;
	}
	return 0;
}

int stratd_conf_load(const struct kimp_conf *c, struct stratd_conf *out, char *err,
		     size_t errlen)
{
	const char *sec = "stratd", *s;
	struct pair_defaults d = {
		.rate = "book",
		.margin = 0.001,
		.entry_sigma = 2.0,
		.slip_e8 = 50000,               /* 0.0005 */
		.half_life_ns = 60000000000ull,
		.warmup_ns = 30000000000ull,
		.warmup_n = 100,
	};
	uint64_t v;
	size_t it = 0;
	int e;

	/* the keys: stratd_keys and cash_floor.VENUE of each traded venue */
	const char *keys[STRATD_NKEYS + KIMP_VENUE_MAX + 1];
	char floor_keys[KIMP_VENUE_MAX][32];
	size_t nk = 0;

	memset(out, 0, sizeof(*out));
	if ((e = kimp_trade_conf_load(c, &out->trade, err, errlen)))
		return e;
	for (; nk < STRATD_NKEYS; nk++)
		keys[nk] = stratd_keys[nk];
	for (unsigned vi = 1; vi < KIMP_VENUE_MAX; vi++)
		if (out->trade.venue[vi].present) {
			snprintf(floor_keys[vi], sizeof(floor_keys[vi]), "cash_floor.%s",
				 out->trade.venue[vi].name);
			keys[nk++] = floor_keys[vi];
		}
	keys[nk] = NULL;
	if ((e = kimp_conf_check_keys(c, sec, keys, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "name", "stratd", out->name, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "feedd", "feedd", out->feedd, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "riskd", "riskd", out->riskd, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "orderd", "orderd", out->orderd, err, errlen)))
		return e;
	if ((e = kimp_conf_u64_in(c, sec, "ring_slots", 1024, 2, 1u << 24, &v, err, errlen)))
		return e;
	if (!kimp_is_pow2(v)) {
		ERR("%s:%u: key '%s.%s': %" PRIu64 " is not a power of two", WHERE(c, sec, "ring_slots"),
		    v);
		return -EINVAL;
	}
	out->ring_slots = (uint32_t)v;
	if ((e = kimp_conf_cpu(c, sec, &out->cpu, err, errlen)) ||
	    (e = kimp_conf_str(c, sec, "wait", "hybrid", &s, err, errlen)))
		return e;
	if (shm_wait_mode_parse(s, &out->wait)) {
		ERR("%s:%u: key '%s.%s': '%s' is neither spin nor hybrid", WHERE(c, sec, "wait"), s);
		return -EINVAL;
	}
	if ((e = kimp_conf_ns_in(c, sec, "idle_wait", 1000000, 1000, 1000000000,
				 &out->idle_wait_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "spin", 50000, 0, 1000000000, &out->spin_ns, err,
				 errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "heartbeat", 10000000, 100000, 10000000000ull,
				 &out->heartbeat_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "quote_age", 1000000000, 1000000, 3600000000000ull,
				 &out->quote_age_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "leg_timeout", 10000000000ull, 1000000,
				 86400000000000ull, &out->leg_timeout_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "cooldown", 1000000000, 0, 86400000000000ull,
				 &out->cooldown_ns, err, errlen)))
		return e;
	if ((e = kimp_conf_u64_in(c, sec, "max_pairs", 4, 1, KIMP_STRAT_PAIRS, &v, err, errlen)))
		return e;
	out->max_pairs = (uint32_t)v;
	if ((e = kimp_conf_str(c, sec, "leg_policy", "retry", &s, err, errlen)))
		return e;
	if (!strcmp(s, "retry")) {
		out->policy = STRAT_POLICY_RETRY;
	} else if (!strcmp(s, "unwind")) {
		out->policy = STRAT_POLICY_UNWIND;
	} else {
		ERR("%s:%u: key '%s.%s': '%s' is neither retry nor unwind",
		    WHERE(c, sec, "leg_policy"), s);
		return -EINVAL;
	}
	/* an entry, its retries and the unwinds share a leg's order slots */
	if ((e = kimp_conf_u64_in(c, sec, "retry_max", 2, 0, 3, &v, err, errlen)))
		return e;
	out->retry_max = (uint32_t)v;
	if ((e = kimp_conf_u64_in(c, sec, "unwind_max", 3, 1,
				  KIMP_STRAT_ORDERS - 1 - out->retry_max, &v, err, errlen)))
		return e;
	out->unwind_max = (uint32_t)v;
	if ((e = frac_key(c, sec, "slip_cap", 300000, 10000000, &out->slip_cap_e8, err, errlen)))
		return e;
	if ((e = rate_key(c, sec, "rate", "book", &(double){ 0 }, err, errlen)))
		return e;
	d.rate = kimp_conf_get(c, sec, "rate") ? kimp_conf_get(c, sec, "rate") : "book";
	if ((e = model_keys(c, sec, &d, err, errlen)))
		return e;
	for (unsigned vi = 1; vi < KIMP_VENUE_MAX; vi++) {
		const struct kimp_trade_venue *tv = &out->trade.venue[vi];
		char key[48];
		if (!tv->present)
			continue;
		snprintf(key, sizeof(key), "cash_floor.%s", tv->name);
		if ((e = dec_key(c, sec, key, tv->px_dec, false, 0, &out->cash_floor[vi], err,
				 errlen)))
			return e;
	}
	while ((s = kimp_conf_next_section(c, &it))) {
		if (strncmp(s, "pair.", 5))
			continue;
		if ((e = pair_load(c, s, out, &d, err, errlen)))
			return e;
		out->npairs++;
	}
	if (!out->npairs) {
		ERR("%s: no [pair.COIN] section: nothing to trade", kimp_conf_name(c));
		return -EINVAL;
	}
	/* the fingerprint: which coins trade where, at which scales */
	uint64_t fp = 1469598103934665603ull;
	for (uint32_t i = 0; i < KIMP_COINS_MAX; i++) {
		const struct strat_pair_conf *pc = &out->pair[i];
		uint64_t w = pc->on ? (uint64_t)i | (uint64_t)pc->leg[0].venue << 8 |
					      (uint64_t)pc->leg[1].venue << 16 |
					      (uint64_t)pc->qty_dec << 24 |
					      (uint64_t)pc->leg[0].qty_dec << 32 |
					      (uint64_t)pc->leg[1].qty_dec << 40 |
					      (uint64_t)pc->leg[0].px_dec << 48 |
					      (uint64_t)pc->leg[1].px_dec << 56
				    : 0;
		fp = (fp ^ w) * 1099511628211ull;
	}
	out->fp = fp;
	return 0;
}

/* A fixed-point amount as a decimal string. */
static const char *fx(char *buf, size_t n, int64_t v, unsigned dec)
{
	if (v == STRATD_INF) {
		snprintf(buf, n, "none");
		return buf;
	}
	int64_t p = strat_p10(dec);
	uint64_t a = v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v;
	if (dec)
		snprintf(buf, n, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", a / (uint64_t)p,
			 (int)(dec & 15), a % (uint64_t)p);
	else
		snprintf(buf, n, "%s%" PRIu64, v < 0 ? "-" : "", a);
	/* trim trailing zeros of the fraction */
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;
		while (e > dot && *e == '0')
			*e-- = 0;
		if (e == dot)
			*e = 0;
	}
	return buf;
}

void stratd_conf_print(const struct stratd_conf *c, FILE *f)
{
	char a[64], b[64], d[64];

	fprintf(f, "stratd: segment %s (intents ring %u slots), inputs: %s (md, books), "
		   "%s (verdicts), %s (rep.stratd)\n",
		c->name, c->ring_slots, c->feedd, c->riskd, c->orderd);
	fprintf(f, "stratd: wait %s, idle_wait %" PRIu64 " us, spin %" PRIu64 " us, heartbeat %"
		   PRIu64 " ms\n",
		shm_wait_mode_name(c->wait), c->idle_wait_ns / 1000, c->spin_ns / 1000,
		c->heartbeat_ns / 1000000);
	fprintf(f, "stratd: quote_age %" PRIu64 " ms, leg_timeout %" PRIu64 " ms, cooldown %" PRIu64
		   " ms, max_pairs %u\n",
		c->quote_age_ns / 1000000, c->leg_timeout_ns / 1000000, c->cooldown_ns / 1000000,
		c->max_pairs);
	fprintf(f, "stratd: leg policy %s: retry_max %u within slip_cap %s, unwind_max %u\n",
		c->policy == STRAT_POLICY_RETRY ? "retry" : "unwind", c->retry_max,
		fx(a, sizeof(a), c->slip_cap_e8, 8), c->unwind_max);
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++)
		if (c->trade.venue[v].present && c->cash_floor[v])
			fprintf(f, "stratd: cash floor %s %s %s\n", c->trade.venue[v].name,
				fx(a, sizeof(a), c->cash_floor[v], c->trade.venue[v].px_dec),
				c->trade.venue[v].quote);
	for (uint32_t i = 0; i < KIMP_COINS_MAX; i++) {
		const struct strat_pair_conf *p = &c->pair[i];
		if (!p->on)
			continue;
		fprintf(f, "stratd: pair %s: %s/%s%s, rate %s", p->coin, p->leg[0].name,
			p->leg[1].name, p->enabled ? "" : " (DISABLED: a venue not trading)",
			p->rate_inst ? "book" : "fixed");
		if (!p->rate_inst)
			fprintf(f, " %.6f", p->rate);
		fprintf(f, ", clip %s, min %s, step %s\n", fx(a, sizeof(a), p->clip, p->qty_dec),
			fx(b, sizeof(b), p->min_size, p->qty_dec),
			fx(d, sizeof(d), p->step, p->qty_dec));
		fprintf(f, "stratd: pair %s: entry at %.3g deviations and fees %.6f + %.6f + "
			   "slippage + margin %.6f; IOC allowance %s; half_life %" PRIu64
			   " s, warmup %" PRIu64 " s / %" PRIu64 " samples\n",
			p->coin, p->entry_sigma, p->leg[0].fee, p->leg[1].fee, p->margin,
			fx(a, sizeof(a), p->slip_e8, 8), p->half_life_ns / 1000000000,
			p->warmup_ns / 1000000000, p->warmup_n);
		for (int l = 0; l < 2; l++) {
			const struct strat_venue_conf *v = &p->leg[l];
			char e[64], g[64];
			fprintf(f, "stratd: pair %s: %s band %s..%s, risk position max %s, "
				   "max qty %s, max notional %s\n",
				p->coin, v->name, fx(a, sizeof(a), v->band_min, v->qty_dec),
				fx(b, sizeof(b), v->band_max, v->qty_dec),
				fx(d, sizeof(d), v->risk_pos_max, v->qty_dec),
				fx(e, sizeof(e), v->rules.max_qty ? v->rules.max_qty : STRATD_INF,
				   v->qty_dec),
				fx(g, sizeof(g), v->risk_notional_max, v->px_dec));
		}
	}
}
