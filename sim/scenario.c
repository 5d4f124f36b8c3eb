/* SPDX-License-Identifier: MIT */
/*
 * The scenario file, in kimp's config format (include/kimp/config.h). Every
 * section is optional; sim/scenarios/README.md explains every key.
 *
 *   [exsim]          seed, model step, files, the control listener, load, replay
 *   [market]         the KRW/USDT rate, the premium process, the opportunity log
 *   [coin.NAME]      one per coin, in file order; any of them replaces the
 *                    default coins (keys a built-in coin leaves out keep its
 *                    built-in values)
 *   [venue.NAME]     one of the venues exsim speaks (the table below): upbit
 *                    and binance are on by default, the others once their
 *                    section is there; 'enabled = false' turns one off
 *   [account.NAME]   any of them replaces the default accounts
 *   [fault.NAME]     scripted faults, kept sorted by 'at' (stable)
 *
 * Unknown sections and keys are errors, and so is every value out of range:
 * each message is "FILE:LINE: key 'section.key': why". Relative paths are
 * relative to the scenario file's directory. A section with no keys is not
 * seen at all (the config reader keeps keys, not sections).
 *
 * Cold path: runs once at startup (and per control request for faults).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/compiler.h"
#include "kimp/config.h"
#include "sim.h"

#define NS_PER_MS  UINT64_C(1000000)
#define NS_PER_S   UINT64_C(1000000000)

/* ---- built-in defaults -------------------------------------------------- */

/*
 * The venues exsim speaks, in scenario order, with their defaults and the
 * default account's fixed test credentials (documented in the README; they
 * are not secrets). publish_ns 0 means "the model step".
 */
struct venue_def {
	const char *name;
	const char *quote;              /* the venue's quote asset */
	uint64_t publish_ns;
	uint32_t depth;
	double maker_fee, taker_fee;
	uint64_t order_latency_ns;
	uint64_t recv_window_ms;
	const char *key, *secret;
	bool on;                        /* on without a [venue.NAME] section */
};

static const struct venue_def venue_defs[] = {
	{ "upbit", "KRW", 100 * NS_PER_MS, 30, 0.0005, 0.0005, NS_PER_MS, 0,
	  "exsimUpbitAccessKey000000000000000000000",
	  "exsimUpbitSecretKey000000000000000000000", true },
	{ "binance", "USDT", 0, 100, 0.001, 0.001, NS_PER_MS, 5000,
	  "exsimBinanceApiKey0000000000000000000000000000000000000000000000",
	  "exsimBinanceSecretKey0000000000000000000000000000000000000000000", true },
	/* the later four are off unless a scenario has a [venue.NAME] section */
	{ "bithumb", "KRW", 100 * NS_PER_MS, 15, 0.0025, 0.0025, NS_PER_MS, 0,
	  "exsimBithumbAccessKey00000000000000000000",
	  "exsimBithumbSecretKey00000000000000000000", false },
	{ "coinone", "KRW", 100 * NS_PER_MS, 16, 0.0002, 0.0002, NS_PER_MS, 0,
	  "exsimCoinoneAccessToken0000000000000000",
	  "exsimCoinoneSecretKey000000000000000000", false },
	{ "bybit", "USDT", 0, 50, 0.001, 0.001, NS_PER_MS, 5000,
	  "exsimBybitApiKey00000",
	  "exsimBybitSecretKey000000000000000000000", false },
	{ "okx", "USDT", 100 * NS_PER_MS, 400, 0.0008, 0.001, NS_PER_MS, 0,
	  "exsimOkxApiKey-0000-0000-0000-000000000000",
	  "exsimOkxSecretKey00000000000000000", false },
};

KIMP_STATIC_ASSERT(KIMP_ARRAY_SIZE(venue_defs) <= SIM_MAX_VENUES, "venue table");

/* Built-in coins; a coin of another name needs start_usdt and gets the rest below. */
static const struct sim_coin_cfg coin_defs[] = {
	{ "BTC", 100000.0, 0.50, 0.5, 500000.0 },
	{ "ETH", 3500.0, 0.65, 0.5, 300000.0 },
	{ "XRP", 2.5, 0.80, 0.5, 200000.0 },
};

#define COIN_VOL_DEF         0.80
#define COIN_KRW_VOL_BPS_DEF 0.5
#define COIN_DEPTH_USDT_DEF  100000.0

/* Default accounts hold about this much of every asset, in USDT. */
#define ACCOUNT_WORTH_USDT   1000000.0

static const char *const fault_names[SIM_FAULT_KIND_COUNT] = {
	[SIM_FAULT_NONE] = "none",
	[SIM_FAULT_DISCONNECT] = "disconnect",
	[SIM_FAULT_STALL] = "stall",
	[SIM_FAULT_GAP] = "gap",
	[SIM_FAULT_MALFORMED] = "malformed",
	[SIM_FAULT_TRUNCATE] = "truncate",
	[SIM_FAULT_DROP_RESPONSE] = "drop_response",
	[SIM_FAULT_DELAY] = "delay",
	[SIM_FAULT_HTTP_5XX] = "http_5xx",
	[SIM_FAULT_BURST_429] = "burst_429",
	[SIM_FAULT_CLOCK_SKEW] = "clock_skew",
	[SIM_FAULT_BAN] = "ban",
};

/* Which of a fault's parameters a kind needs (must be set) and allows. */
enum { P_DURATION = 1, P_DELAY = 2, P_COUNT = 4, P_SKEW = 8 };

static const struct {
	uint8_t need, allow;
} fault_params[SIM_FAULT_KIND_COUNT] = {
	[SIM_FAULT_STALL] = { P_DURATION, P_DURATION },
	[SIM_FAULT_GAP] = { 0, P_COUNT },
	[SIM_FAULT_MALFORMED] = { 0, P_COUNT },
	[SIM_FAULT_TRUNCATE] = { 0, P_COUNT },
	[SIM_FAULT_DROP_RESPONSE] = { 0, P_COUNT },
	[SIM_FAULT_DELAY] = { P_DURATION | P_DELAY, P_DURATION | P_DELAY },
	[SIM_FAULT_HTTP_5XX] = { 0, P_COUNT },
	[SIM_FAULT_BURST_429] = { P_DURATION, P_DURATION },
	[SIM_FAULT_CLOCK_SKEW] = { P_SKEW, P_SKEW },
	[SIM_FAULT_BAN] = { P_DURATION, P_DURATION },
};

#define FAULT_COUNT_MAX  UINT64_C(1000000)
#define FAULT_DELAY_MAX  (60 * NS_PER_S)
#define FAULT_SKEW_MAX   86400000LL     /* a day, in ms */
/* a control request's fault text; "k = v\n" for each "k=v&" fits the buffer below */
#define FAULT_TEXT_MAX   480

const char *sim_fault_name(enum sim_fault_kind k)
{
	if ((unsigned)k >= SIM_FAULT_KIND_COUNT)
		return "unknown";
	return fault_names[k];
}

/* About 'usdt' worth of an asset priced px USDT: whole units when that is >= 1. */
static sim_fx worth(double usdt, double px)
{
	double q = usdt / px;

	if (q >= 1.0)
		return (sim_fx)floor(q) * SIM_SCALE;
	return (sim_fx)llround(q * (double)SIM_SCALE);
}

static void add_bal(struct sim_account_cfg *a, const char *asset, sim_fx amount)
{
	if (a->nbal >= SIM_MAX_ASSETS)
		return;
	snprintf(a->bal[a->nbal].asset, sizeof(a->bal[0].asset), "%s", asset);
	a->bal[a->nbal].amount = amount;
	a->nbal++;
}

/*
 * One account per venue with the table's credentials and about
 * ACCOUNT_WORTH_USDT of the venue's quote asset, of USDT (on a KRW venue,
 * for the KRW-USDT market) and of every coin.
 */
static void default_accounts(struct sim_scenario *sc)
{
	memset(sc->accounts, 0, sizeof(sc->accounts));
	sc->naccounts = 0;
	for (size_t v = 0; v < KIMP_ARRAY_SIZE(venue_defs); v++) {
		const struct venue_def *d = &venue_defs[v];
		struct sim_account_cfg *a = &sc->accounts[sc->naccounts++];

		snprintf(a->venue, sizeof(a->venue), "%s", d->name);
		snprintf(a->key, sizeof(a->key), "%s", d->key);
		snprintf(a->secret, sizeof(a->secret), "%s", d->secret);
		if (!strcmp(d->quote, "KRW"))
			add_bal(a, "KRW", worth(ACCOUNT_WORTH_USDT * sc->usdkrw_start, 1.0));
		add_bal(a, "USDT", worth(ACCOUNT_WORTH_USDT, 1.0));
		for (uint32_t i = 0; i < sc->ncoins; i++)
			add_bal(a, sc->coins[i].name,
				worth(ACCOUNT_WORTH_USDT, sc->coins[i].start_usdt));
	}
}

static void default_state_dir(char *out, size_t n)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (x && x[0] == '/' && strlen(x) + sizeof("/kimp-exsim") <= n)
		snprintf(out, n, "%s/kimp-exsim", x);
	else
		snprintf(out, n, "/tmp/kimp-exsim-%u", (unsigned)getuid());
}

static void venue_defaults(struct sim_venue_cfg *v, const struct venue_def *d,
			   uint64_t step_ns)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", d->name);
	v->enabled = d->on;
	v->order_latency_ns = d->order_latency_ns;
	v->publish_ns = d->publish_ns ? d->publish_ns : step_ns;
	v->depth = d->depth;
	v->maker_fee = d->maker_fee;
	v->taker_fee = d->taker_fee;
	v->recv_window_ms = d->recv_window_ms;
	v->rate_limits = true;
}

void sim_scenario_defaults(struct sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->seed = 1;
	sc->step_ns = 10 * NS_PER_MS;
	sc->usdkrw_start = 1380.0;
	sc->usdkrw_vol = 0.06;
	sc->premium = (struct sim_premium_cfg){ .mean = 0.02, .vol = 0.0003, .revert = 0.05,
						.jump_rate = 0.01, .jump_size = 0.003 };
	sc->ncoins = KIMP_ARRAY_SIZE(coin_defs);
	memcpy(sc->coins, coin_defs, sizeof(coin_defs));
	sc->nvenues = KIMP_ARRAY_SIZE(venue_defs);
	for (uint32_t v = 0; v < sc->nvenues; v++)
		venue_defaults(&sc->venues[v], &venue_defs[v], sc->step_ns);
	default_accounts(sc);
	sc->load_rate = 0;
	sc->oppo_margin = 0.001;
	sc->oppo_size_usdt = 10000.0;
	default_state_dir(sc->state_dir, sizeof(sc->state_dir));
	sc->replay_speed = 1.0;
	sc->control = true;
	sc->control_port = 0;
}

/* ---- reading a section ---------------------------------------------------- */

struct ld {
	const struct kimp_conf *c;
	struct sim_scenario *sc;        /* NULL: a run-time fault (no scenario) */
	char *err;
	size_t errlen;
	char dir[256];                  /* the file's directory, "" for none */
};

struct sec {
	const char *name;               /* "coin.BTC" */
	const char *const *keys;        /* what it may hold, NULL-terminated */
};

/* The line of section.key, or when it is not set, of the section's first key; 0: none. */
static unsigned sec_line(const struct ld *l, const struct sec *s, const char *key)
{
	unsigned line = key ? kimp_conf_line(l->c, s->name, key) : 0;

	if (line)
		return line;
	for (size_t i = 0; s->keys[i]; i++) {
		unsigned k = kimp_conf_line(l->c, s->name, s->keys[i]);

		if (k && (!line || k < line))
			line = k;
	}
	return line;
}

static int serr(const struct ld *l, const struct sec *s, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "FILE:LINE: key 'section.key': why" (or "section [name]: why"); -EINVAL. */
static int serr(const struct ld *l, const struct sec *s, const char *key,
		const char *fmt, ...)
{
	unsigned line = sec_line(l, s, key);
	char why[256], where[300];
	va_list ap;

	if (!l->err || !l->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), "%s:%u", kimp_conf_name(l->c), line);
	else
		snprintf(where, sizeof(where), "%s", kimp_conf_name(l->c));
	if (key)
		snprintf(l->err, l->errlen, "%s: key '%s.%s': %s", where, s->name, key, why);
	else
		snprintf(l->err, l->errlen, "%s: section [%s]: %s", where, s->name, why);
	return -EINVAL;
}

/* Append " (hint)" to a message already in err, when there is room. */
static void err_hint(const struct ld *l, const char *hint)
{
	size_t n;

	if (!l->err || !l->errlen)
		return;
	n = strlen(l->err);
	snprintf(l->err + n, l->errlen - n, " (%s)", hint);
}

/* A duration for messages: the largest unit that divides it. */
static const char *fmt_ns(uint64_t ns, char *buf, size_t n)
{
	if (ns && !(ns % NS_PER_S))
		snprintf(buf, n, "%" PRIu64 "s", ns / NS_PER_S);
	else if (ns && !(ns % NS_PER_MS))
		snprintf(buf, n, "%" PRIu64 "ms", ns / NS_PER_MS);
	else if (ns && !(ns % 1000))
		snprintf(buf, n, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(buf, n, "%" PRIu64 "ns", ns);
	return buf;
}

enum { LO_OPEN = 1, HI_OPEN = 2 };

/* A number in [lo, hi] (LO_OPEN/HI_OPEN for open ends); *v keeps its value when absent. */
static int get_f64(const struct ld *l, const struct sec *s, const char *key, double *v,
		   double lo, double hi, unsigned open)
{
	double x;
	int ret = kimp_conf_f64(l->c, s->name, key, *v, &x, l->err, l->errlen);

	if (ret)
		return ret;
	if (!isfinite(x))
		return serr(l, s, key, "not a finite number");
	if (x < lo || x > hi || ((open & LO_OPEN) && x == lo) || ((open & HI_OPEN) && x == hi))
		return serr(l, s, key, "%g is not in %s%g, %g%s", x,
			    (open & LO_OPEN) ? "(" : "[", lo, hi, (open & HI_OPEN) ? ")" : "]");
	*v = x;
	return 0;
}

static int get_u64(const struct ld *l, const struct sec *s, const char *key, uint64_t *v,
		   uint64_t lo, uint64_t hi)
{
	uint64_t x;
	int ret = kimp_conf_u64(l->c, s->name, key, *v, &x, l->err, l->errlen);

	if (ret)
		return ret;
	if (x < lo || x > hi)
		return serr(l, s, key, "%" PRIu64 " is not in [%" PRIu64 ", %" PRIu64 "]",
			    x, lo, hi);
	*v = x;
	return 0;
}

static int get_ns(const struct ld *l, const struct sec *s, const char *key, uint64_t *v,
		  uint64_t lo, uint64_t hi)
{
	char a[32], b[32], c[32];
	uint64_t x;
	int ret = kimp_conf_ns(l->c, s->name, key, *v, &x, l->err, l->errlen);

	if (ret)
		return ret;
	if (x < lo || x > hi)
		return serr(l, s, key, "%s is not in [%s, %s]", fmt_ns(x, a, sizeof(a)),
			    fmt_ns(lo, b, sizeof(b)), fmt_ns(hi, c, sizeof(c)));
	*v = x;
	return 0;
}

static int get_port(const struct ld *l, const struct sec *s, const char *key, uint16_t *v)
{
	uint64_t x = *v;
	int ret = get_u64(l, s, key, &x, 0, 65535);

	*v = (uint16_t)x;
	return ret;
}

static int get_bool(const struct ld *l, const struct sec *s, const char *key, bool *v)
{
	return kimp_conf_bool(l->c, s->name, key, *v, v, l->err, l->errlen);
}

/* A string into out[n] when set (else out is left alone); 0 or -EINVAL. */
static int get_str(const struct ld *l, const struct sec *s, const char *key, char *out,
		   size_t n)
{
	const char *v = kimp_conf_get(l->c, s->name, key);

	if (!v)
		return 0;
	if (strlen(v) >= n)
		return serr(l, s, key, "longer than %zu bytes", n - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* A path when set, relative ones made relative to the file's directory; "" stays "". */
static int get_path(const struct ld *l, const struct sec *s, const char *key, char *out,
		    size_t n)
{
	const char *v = kimp_conf_get(l->c, s->name, key);
	int w;

	if (!v)
		return 0;
	if (!v[0] || v[0] == '/' || !l->dir[0])
		w = snprintf(out, n, "%s", v);
	else
		w = snprintf(out, n, "%s/%s", l->dir, v);
	if (w < 0 || (size_t)w >= n)
		return serr(l, s, key, "path longer than %zu bytes", n - 1);
	return 0;
}

static int check_keys(const struct ld *l, const struct sec *s)
{
	return kimp_conf_check_keys(l->c, s->name, s->keys, l->err, l->errlen);
}

/* ---- [exsim] and [market] ------------------------------------------------ */

static const char *const exsim_keys[] = {
	"seed", "step", "state_dir", "ledger", "control", "control_port", "load_rate",
	"replay", "replay_speed", "trace", NULL
};

static int load_exsim(struct ld *l)
{
	const struct sec s = { "exsim", exsim_keys };
	struct sim_scenario *sc = l->sc;
	int ret;

	ret = check_keys(l, &s);
	if (!ret)
		ret = get_u64(l, &s, "seed", &sc->seed, 0, UINT64_MAX);
	if (!ret)
		ret = get_ns(l, &s, "step", &sc->step_ns, 100000, 10 * NS_PER_S);
	if (!ret)
		ret = get_path(l, &s, "state_dir", sc->state_dir, sizeof(sc->state_dir));
	if (!ret && !sc->state_dir[0])
		ret = serr(l, &s, "state_dir", "empty");
	if (!ret)
		ret = get_path(l, &s, "ledger", sc->ledger_path, sizeof(sc->ledger_path));
	if (!ret)
		ret = get_bool(l, &s, "control", &sc->control);
	if (!ret)
		ret = get_port(l, &s, "control_port", &sc->control_port);
	if (!ret)
		ret = get_u64(l, &s, "load_rate", &sc->load_rate, 0, 100000000);
	if (!ret)
		ret = get_path(l, &s, "replay", sc->replay_path, sizeof(sc->replay_path));
	if (!ret)
		ret = get_f64(l, &s, "replay_speed", &sc->replay_speed, 0, 1e6, 0);
	if (!ret)
		ret = get_path(l, &s, "trace", sc->trace_path, sizeof(sc->trace_path));
	return ret;
}

static const char *const market_keys[] = {
	"usdkrw", "usdkrw_vol", "premium_mean", "premium_vol", "premium_revert",
	"jump_rate", "jump_size", "oppo_margin", "oppo_size_usdt", NULL
};

static int load_market(struct ld *l)
{
	const struct sec s = { "market", market_keys };
	struct sim_scenario *sc = l->sc;
	struct sim_premium_cfg *p = &sc->premium;
	int ret;

	ret = check_keys(l, &s);
	if (!ret)
		ret = get_f64(l, &s, "usdkrw", &sc->usdkrw_start, 0, 1e6, LO_OPEN);
	if (!ret)
		ret = get_f64(l, &s, "usdkrw_vol", &sc->usdkrw_vol, 0, 10, 0);
	if (!ret)
		ret = get_f64(l, &s, "premium_mean", &p->mean, -0.5, 0.5, 0);
	if (!ret)
		ret = get_f64(l, &s, "premium_vol", &p->vol, 0, 1, 0);
	if (!ret)
		ret = get_f64(l, &s, "premium_revert", &p->revert, 0, 1000, 0);
	if (!ret)
		ret = get_f64(l, &s, "jump_rate", &p->jump_rate, 0, 1000, 0);
	if (!ret)
		ret = get_f64(l, &s, "jump_size", &p->jump_size, 0, 0.5, 0);
	if (!ret)
		ret = get_f64(l, &s, "oppo_margin", &sc->oppo_margin, 0, 1, 0);
	if (!ret)
		ret = get_f64(l, &s, "oppo_size_usdt", &sc->oppo_size_usdt, 0, 1e9, LO_OPEN);
	return ret;
}

/* ---- [coin.NAME] ------------------------------------------------------------ */

static const char *const coin_keys[] = {
	"start_usdt", "vol", "krw_vol_bps", "depth_usdt", NULL
};

static int load_coin(struct ld *l, const char *section, const char *name)
{
	const struct sec s = { section, coin_keys };
	struct sim_scenario *sc = l->sc;
	struct sim_coin_cfg *co = &sc->coins[sc->ncoins];
	const struct sim_coin_cfg *def = NULL;
	size_t len = strlen(name);
	int ret;

	ret = check_keys(l, &s);
	if (ret)
		return ret;
	if (len >= sizeof(co->name))
		return serr(l, &s, NULL, "coin name longer than %zu characters",
			    sizeof(co->name) - 1);
	for (size_t i = 0; i < len; i++)
		if (!isupper((unsigned char)name[i]) && !isdigit((unsigned char)name[i]))
			return serr(l, &s, NULL, "coin names are upper-case letters and "
				    "digits ('BTC')");
	if (!strcmp(name, "KRW") || !strcmp(name, "USDT"))
		return serr(l, &s, NULL, "%s is a quote currency, not a coin", name);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(coin_defs); i++)
		if (!strcmp(coin_defs[i].name, name))
			def = &coin_defs[i];
	if (def) {
		*co = *def;
	} else {
		memset(co, 0, sizeof(*co));
		memcpy(co->name, name, len + 1);
		co->vol = COIN_VOL_DEF;
		co->krw_vol_bps = COIN_KRW_VOL_BPS_DEF;
		co->depth_usdt = COIN_DEPTH_USDT_DEF;
		if (!kimp_conf_get(l->c, section, "start_usdt"))
			return serr(l, &s, "start_usdt", "required for a coin exsim has "
				    "no built-in price for (built in: BTC, ETH, XRP)");
	}
	ret = get_f64(l, &s, "start_usdt", &co->start_usdt, 0, 1e9, LO_OPEN);
	if (!ret)
		ret = get_f64(l, &s, "vol", &co->vol, 0, 20, 0);
	if (!ret)
		ret = get_f64(l, &s, "krw_vol_bps", &co->krw_vol_bps, 0, 1000, 0);
	if (!ret)
		ret = get_f64(l, &s, "depth_usdt", &co->depth_usdt, 0, 1e10, LO_OPEN);
	if (!ret)
		sc->ncoins++;
	return ret;
}

/* ---- [venue.NAME] ----------------------------------------------------------- */

static const char *const venue_keys[] = {
	"enabled", "rest_port", "ws_port", "api_port", "order_latency", "publish", "depth",
	"maker_fee", "taker_fee", "recv_window", "rate_limits", NULL
};

static int venue_index(const struct sim_scenario *sc, const char *name)
{
	for (uint32_t v = 0; v < sc->nvenues; v++)
		if (!strcmp(sc->venues[v].name, name))
			return (int)v;
	return -1;
}

/* "upbit, binance" */
static const char *venue_list(const struct sim_scenario *sc, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (uint32_t v = 0; v < sc->nvenues && used < n; v++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", v ? ", " : "",
					 sc->venues[v].name);
	return buf;
}

static int load_venue(struct ld *l, const char *section, const char *name)
{
	const struct sec s = { section, venue_keys };
	struct sim_scenario *sc = l->sc;
	struct sim_venue_cfg *v;
	uint64_t depth, rw_ns;
	char list[128];
	int idx, ret;

	ret = check_keys(l, &s);
	if (ret)
		return ret;
	idx = venue_index(sc, name);
	if (idx < 0)
		return serr(l, &s, NULL, "unknown venue '%s' (exsim speaks %s)", name,
			    venue_list(sc, list, sizeof(list)));
	v = &sc->venues[idx];
	depth = v->depth;
	rw_ns = v->recv_window_ms * NS_PER_MS;
	v->enabled = true;      /* a section turns a venue on unless it says not */
	ret = get_bool(l, &s, "enabled", &v->enabled);
	if (!ret)
		ret = get_bool(l, &s, "rate_limits", &v->rate_limits);
	if (!ret)
		ret = get_port(l, &s, "rest_port", &v->rest_port);
	if (!ret)
		ret = get_port(l, &s, "ws_port", &v->ws_port);
	if (!ret)
		ret = get_port(l, &s, "api_port", &v->api_port);
	if (!ret)
		ret = get_ns(l, &s, "order_latency", &v->order_latency_ns, 0, 10 * NS_PER_S);
	if (!ret)
		ret = get_ns(l, &s, "publish", &v->publish_ns, 100000, 10 * NS_PER_S);
	if (!ret)
		ret = get_u64(l, &s, "depth", &depth, 1, SIM_BOOK_MAX);
	if (!ret)
		ret = get_f64(l, &s, "maker_fee", &v->maker_fee, 0, 0.01, HI_OPEN);
	if (!ret)
		ret = get_f64(l, &s, "taker_fee", &v->taker_fee, 0, 0.01, HI_OPEN);
	if (!ret)
		ret = get_ns(l, &s, "recv_window", &rw_ns, 0, 60 * NS_PER_S);
	if (!ret && rw_ns % NS_PER_MS)
		ret = serr(l, &s, "recv_window", "not a whole number of milliseconds "
			   "(write it with a unit: 5000ms)");
	v->depth = (uint32_t)depth;
	v->recv_window_ms = rw_ns / NS_PER_MS;
	return ret;
}

/* ---- [account.NAME] ----------------------------------------------------------- */

static const char *const account_keys[] = {
	"venue", "key", "secret", "secret_file", NULL
};

#define ACCOUNT_FIXED_KEYS 4
#define ACCOUNT_MAX_KEYS   (ACCOUNT_FIXED_KEYS + 2 + SIM_MAX_COINS + 1)

/* Printable ASCII, no blanks: what an API key or secret may hold. */
static bool cred_ok(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/*
 * The secret from a file only its owner may access (mode 0600 or stricter),
 * trailing blanks and newlines dropped; it must fit out[n].
 */
static int read_secret(const struct ld *l, const struct sec *s, const char *path,
		       char *out, size_t n)
{
	char buf[4 * SIM_KEY_MAX];
	struct stat st;
	ssize_t got;
	size_t len = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return serr(l, s, "secret_file", "'%s': %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = serr(l, s, "secret_file", "'%s': %s", path, strerror(errno));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = serr(l, s, "secret_file", "'%s': not a regular file", path);
		goto close_fd;
	}
	if (st.st_mode & 077) {
		ret = serr(l, s, "secret_file", "'%s': group or others may access it "
			   "(mode %04o; chmod 600 it)", path, (unsigned)(st.st_mode & 07777));
		goto close_fd;
	}
	/* a buffer larger than any secret, so a long file is seen as long */
	while (len < sizeof(buf)) {
		got = read(fd, buf + len, sizeof(buf) - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = serr(l, s, "secret_file", "'%s': %s", path, strerror(errno));
			goto close_fd;
		}
		if (!got)
			break;
		len += (size_t)got;
	}
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	if (len >= n) {
		ret = serr(l, s, "secret_file", "'%s': longer than %zu bytes", path, n - 1);
		goto close_fd;
	}
	buf[len] = 0;
	if (!len || strlen(buf) != len || !cred_ok(buf)) {
		ret = serr(l, s, "secret_file", "'%s': %s", path, len ? "not one line of "
			   "printable characters" : "empty");
		goto close_fd;
	}
	memcpy(out, buf, len + 1);
close_fd:
	close(fd);
	return ret;
}

static int load_balances(const struct ld *l, const struct sec *s,
			 struct sim_account_cfg *a, const char *const *bal_keys)
{
	for (size_t i = 0; bal_keys[i]; i++) {
		const char *v = kimp_conf_get(l->c, s->name, bal_keys[i]);
		sim_fx amount;
		int ret;

		if (!v)
			continue;
		ret = sim_parse_fx(v, strlen(v), &amount);
		if (ret == -EDOM)
			return serr(l, s, bal_keys[i], "'%s' has more than 8 decimals", v);
		if (ret == -ERANGE)
			return serr(l, s, bal_keys[i], "'%s' is out of range", v);
		if (ret)
			return serr(l, s, bal_keys[i], "'%s' is not a decimal number", v);
		if (amount < 0)
			return serr(l, s, bal_keys[i], "'%s' is negative", v);
		add_bal(a, bal_keys[i] + strlen("balance."), amount);
	}
	return 0;
}

static int load_account(struct ld *l, const char *section, const char *name)
{
	struct sim_scenario *sc = l->sc;
	struct sim_account_cfg *a = &sc->accounts[sc->naccounts];
	char names[2 + SIM_MAX_COINS][8 + sizeof(sc->coins[0].name)];
	const char *keys[ACCOUNT_MAX_KEYS] = { "venue", "key", "secret", "secret_file" };
	const struct sec s = { section, keys };
	char secret_path[256] = "", list[128];
	size_t nk = ACCOUNT_FIXED_KEYS;
	int ret;

	snprintf(names[0], sizeof(names[0]), "balance.KRW");
	snprintf(names[1], sizeof(names[1]), "balance.USDT");
	for (uint32_t i = 0; i < sc->ncoins; i++)
		snprintf(names[2 + i], sizeof(names[0]), "balance.%s", sc->coins[i].name);
	for (uint32_t i = 0; i < 2 + sc->ncoins; i++)
		keys[nk++] = names[i];
	keys[nk] = NULL;

	memset(a, 0, sizeof(*a));
	ret = check_keys(l, &s);
	if (ret) {
		err_hint(l, "an account has venue, key, secret or secret_file, and "
			 "balance.ASSET for KRW, USDT and the scenario's coins");
		return ret;
	}
	if (!kimp_conf_get(l->c, section, "venue"))
		return serr(l, &s, "venue", "required");
	ret = get_str(l, &s, "venue", a->venue, sizeof(a->venue));
	if (ret)
		return ret;
	if (venue_index(sc, a->venue) < 0)
		return serr(l, &s, "venue", "unknown venue '%s' (exsim speaks %s)", a->venue,
			    venue_list(sc, list, sizeof(list)));
	if (!kimp_conf_get(l->c, section, "key"))
		return serr(l, &s, "key", "required");
	ret = get_str(l, &s, "key", a->key, sizeof(a->key));
	if (ret)
		return ret;
	if (!a->key[0] || !cred_ok(a->key))
		return serr(l, &s, "key", "must be printable characters, no blanks");
	for (uint32_t i = 0; i < sc->naccounts; i++)
		if (!strcmp(sc->accounts[i].venue, a->venue) &&
		    !strcmp(sc->accounts[i].key, a->key))
			return serr(l, &s, "key", "another account on %s has this key",
				    a->venue);
	if (kimp_conf_get(l->c, section, "secret")) {
		if (kimp_conf_get(l->c, section, "secret_file"))
			return serr(l, &s, "secret_file", "give secret or secret_file, "
				    "not both");
		ret = get_str(l, &s, "secret", a->secret, sizeof(a->secret));
		if (ret)
			return ret;
		if (!a->secret[0] || !cred_ok(a->secret))
			return serr(l, &s, "secret", "must be printable characters, no "
				    "blanks");
	} else {
		if (!kimp_conf_get(l->c, section, "secret_file"))
			return serr(l, &s, "secret", "required (or secret_file)");
		ret = get_path(l, &s, "secret_file", secret_path, sizeof(secret_path));
		if (!ret)
			ret = read_secret(l, &s, secret_path, a->secret, sizeof(a->secret));
		if (ret)
			return ret;
	}
	ret = load_balances(l, &s, a, keys + ACCOUNT_FIXED_KEYS);
	if (!ret)
		sc->naccounts++;
	return ret;
}

/* ---- [fault.NAME] ------------------------------------------------------------- */

static const char *const fault_keys[] = {
	"at", "kind", "venue", "duration", "delay", "count", "skew", NULL
};

static const char *const param_keys[] = { "duration", "delay", "count", "skew" };

static int fault_kind(const char *name)
{
	for (int k = SIM_FAULT_NONE + 1; k < SIM_FAULT_KIND_COUNT; k++)
		if (!strcmp(fault_names[k], name))
			return k;
	return -1;
}

/* Signed whole milliseconds. */
static int get_skew(const struct ld *l, const struct sec *s, int64_t *out)
{
	const char *v = kimp_conf_get(l->c, s->name, "skew");
	const char *p = v;
	long long x;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return serr(l, s, "skew", "'%s' is not a whole number of milliseconds", v);
	errno = 0;
	x = strtoll(v, &end, 10);
	if (*end || errno == ERANGE || x < -FAULT_SKEW_MAX || x > FAULT_SKEW_MAX)
		return serr(l, s, "skew", "'%s' is not a whole number of milliseconds "
			    "within a day", v);
	*out = (int64_t)x;
	return 0;
}

/* One fault from section s: a scenario's (l->sc set) or a run-time one. */
static int read_fault(const struct ld *l, const struct sec *s, struct sim_fault *f)
{
	const char *kind = kimp_conf_get(l->c, s->name, "kind");
	uint64_t count = 1;
	char list[128];
	unsigned need, allow;
	int k, ret;

	memset(f, 0, sizeof(*f));
	if (!l->sc && kimp_conf_get(l->c, s->name, "at"))
		return serr(l, s, "at", "a run-time fault applies now; 'at' is for "
			    "scenario files");
	if (!kind)
		return serr(l, s, "kind", "required (disconnect, stall, gap, malformed, "
			    "truncate, drop_response, delay, http_5xx, burst_429, clock_skew, ban)");
	k = fault_kind(kind);
	if (k < 0)
		return serr(l, s, "kind", "unknown fault '%s' (disconnect, stall, gap, "
			    "malformed, truncate, drop_response, delay, http_5xx, burst_429, "
			    "clock_skew, ban)", kind);
	f->kind = (enum sim_fault_kind)k;
	need = fault_params[k].need;
	allow = fault_params[k].allow;
	for (unsigned p = 0; p < KIMP_ARRAY_SIZE(param_keys); p++) {
		bool set = kimp_conf_get(l->c, s->name, param_keys[p]) != NULL;

		if (set && !(allow & (1u << p)))
			return serr(l, s, param_keys[p], "not used by a %s fault", kind);
		if (!set && (need & (1u << p)))
			return serr(l, s, param_keys[p], "required by a %s fault", kind);
	}
	ret = get_str(l, s, "venue", f->venue, sizeof(f->venue));
	if (ret)
		return ret;
	if (f->venue[0] && l->sc && venue_index(l->sc, f->venue) < 0)
		return serr(l, s, "venue", "unknown venue '%s' (exsim speaks %s; leave it "
			    "out for every venue)", f->venue,
			    venue_list(l->sc, list, sizeof(list)));
	for (const char *p = f->venue; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return serr(l, s, "venue", "'%s' is not a venue name", f->venue);
	ret = get_ns(l, s, "at", &f->at_ns, 0, UINT64_MAX);
	if (!ret)
		ret = get_ns(l, s, "duration", &f->duration_ns, 0, 86400 * NS_PER_S);
	if (!ret)
		ret = get_ns(l, s, "delay", &f->delay_ns, 0, FAULT_DELAY_MAX);
	if (!ret)
		ret = get_u64(l, s, "count", &count, 1, FAULT_COUNT_MAX);
	if (!ret && (allow & P_SKEW))
		ret = get_skew(l, s, &f->skew_ms);
	if (!ret && (allow & P_COUNT))
		f->count = (uint32_t)count;
	return ret;
}

static int load_fault(struct ld *l, const char *section, const char *name)
{
	const struct sec s = { section, fault_keys };
	int ret = check_keys(l, &s);

	if (!ret)
		ret = read_fault(l, &s, &l->sc->faults[l->sc->nfaults]);
	if (!ret)
		l->sc->nfaults++;
	return ret;
}

/* Stable by time, so faults at the same time apply in file order. */
static void sort_faults(struct sim_scenario *sc)
{
	for (uint32_t i = 1; i < sc->nfaults; i++) {
		struct sim_fault f = sc->faults[i];
		uint32_t j = i;

		for (; j && sc->faults[j - 1].at_ns > f.at_ns; j--)
			sc->faults[j] = sc->faults[j - 1];
		sc->faults[j] = f;
	}
}

/* ---- the whole file -------------------------------------------------------------- */

enum fam { FAM_EXSIM, FAM_MARKET, FAM_COIN, FAM_VENUE, FAM_ACCOUNT, FAM_FAULT, FAM_NONE };

static const struct {
	const char *prefix;     /* "coin." names a family of sections */
	unsigned max;
	const char *what;
	const char *const *keys; /* for the line of a section in messages */
} fams[] = {
	[FAM_EXSIM] = { "exsim", 1, NULL, exsim_keys },
	[FAM_MARKET] = { "market", 1, NULL, market_keys },
	[FAM_COIN] = { "coin.", SIM_MAX_COINS, "coins", coin_keys },
	[FAM_VENUE] = { "venue.", SIM_MAX_VENUES, "venues", venue_keys },
	[FAM_ACCOUNT] = { "account.", SIM_MAX_ACCOUNTS, "accounts", account_keys },
	[FAM_FAULT] = { "fault.", SIM_MAX_FAULTS, "faults", fault_keys },
};

#define KNOWN_SECTIONS "sections are [exsim], [market], [coin.NAME], [venue.NAME], " \
		       "[account.NAME] and [fault.NAME]"

/* The family of a section, and *name after the prefix. */
static enum fam classify(const char *section, const char **name)
{
	for (unsigned f = 0; f < FAM_NONE; f++) {
		size_t n = strlen(fams[f].prefix);

		if (fams[f].prefix[n - 1] != '.' && !strcmp(section, fams[f].prefix)) {
			*name = section;
			return (enum fam)f;
		}
		if (fams[f].prefix[n - 1] == '.' && !strncmp(section, fams[f].prefix, n) &&
		    section[n]) {
			*name = section + n;
			return (enum fam)f;
		}
	}
	return FAM_NONE;
}

/* An error at a section nothing reads: its first key, which no list holds. */
static int unknown_section(struct ld *l, const char *section)
{
	static const char *const none[] = { NULL };
	int ret = kimp_conf_check_keys(l->c, section, none, l->err, l->errlen);

	if (!ret)
		return 0;       /* cannot happen: a section exists only with keys */
	err_hint(l, *section ? "unknown section; " KNOWN_SECTIONS :
		 "keys go in a section; " KNOWN_SECTIONS);
	return ret;
}

/* Each family's sections in file order, loaded by fn (name: after the prefix). */
static int load_family(struct ld *l, enum fam fam,
		       int (*fn)(struct ld *l, const char *section, const char *name))
{
	const char *section, *name;
	size_t it = 0;
	unsigned n = 0;
	int ret;

	while ((section = kimp_conf_next_section(l->c, &it))) {
		if (classify(section, &name) != fam)
			continue;
		if (++n > fams[fam].max) {
			const struct sec s = { section, fams[fam].keys };

			return serr(l, &s, NULL, "more than %u %s", fams[fam].max,
				    fams[fam].what);
		}
		ret = fn(l, section, name);
		if (ret)
			return ret;
	}
	return 0;
}

static unsigned family_count(const struct ld *l, enum fam fam)
{
	const char *section, *name;
	size_t it = 0;
	unsigned n = 0;

	while ((section = kimp_conf_next_section(l->c, &it)))
		n += classify(section, &name) == fam;
	return n;
}

/* No two listeners on the same fixed port; a publish period no shorter than the step. */
static int cross_checks(struct ld *l)
{
	static const char *const vkeys[] = { "rest_port", "ws_port", "api_port" };
	const struct sim_scenario *sc = l->sc;
	struct {
		uint16_t port;
		char section[32];
		const char *key;
	} used[1 + 3 * SIM_MAX_VENUES];
	unsigned n = 0;
	char a[32], b[32];

	if (sc->control && sc->control_port) {
		used[n].port = sc->control_port;
		snprintf(used[n].section, sizeof(used[n].section), "exsim");
		used[n].key = "control_port";
		n++;
	}
	for (uint32_t v = 0; v < sc->nvenues; v++) {
		const struct sim_venue_cfg *vc = &sc->venues[v];
		const uint16_t ports[] = { vc->rest_port, vc->ws_port, vc->api_port };
		char section[32];

		if (!vc->enabled)
			continue;
		snprintf(section, sizeof(section), "venue.%s", vc->name);
		if (vc->publish_ns < sc->step_ns) {
			const struct sec sv = { section, venue_keys };
			const struct sec se = { "exsim", exsim_keys };

			if (kimp_conf_get(l->c, section, "publish"))
				return serr(l, &sv, "publish", "%s is shorter than the step %s",
					    fmt_ns(vc->publish_ns, a, sizeof(a)),
					    fmt_ns(sc->step_ns, b, sizeof(b)));
			return serr(l, &se, "step", "%s is longer than %s's publish period %s "
				    "(set venue.%s.publish)", fmt_ns(sc->step_ns, a, sizeof(a)),
				    vc->name, fmt_ns(vc->publish_ns, b, sizeof(b)), vc->name);
		}
		for (unsigned p = 0; p < 3; p++) {
			if (!ports[p])
				continue;
			for (unsigned i = 0; i < n; i++) {
				const struct sec sv = { section, venue_keys };

				if (used[i].port == ports[p])
					return serr(l, &sv, vkeys[p], "port %u is also %s.%s",
						    ports[p], used[i].section, used[i].key);
			}
			used[n].port = ports[p];
			snprintf(used[n].section, sizeof(used[n].section), "%s", section);
			used[n].key = vkeys[p];
			n++;
		}
	}
	return 0;
}

static int load_conf(struct ld *l)
{
	const char *section, *name;
	size_t it = 0;
	int ret;

	while ((section = kimp_conf_next_section(l->c, &it)))
		if (classify(section, &name) == FAM_NONE)
			return unknown_section(l, section);
	ret = load_exsim(l);
	if (!ret)
		ret = load_market(l);
	if (ret)
		return ret;
	/* the defaults that follow the step and the rate */
	for (uint32_t v = 0; v < l->sc->nvenues; v++)
		if (!venue_defs[v].publish_ns)
			l->sc->venues[v].publish_ns = l->sc->step_ns;
	if (family_count(l, FAM_COIN)) {
		memset(l->sc->coins, 0, sizeof(l->sc->coins));
		l->sc->ncoins = 0;
		ret = load_family(l, FAM_COIN, load_coin);
	}
	if (!ret)
		ret = load_family(l, FAM_VENUE, load_venue);
	if (ret)
		return ret;
	if (family_count(l, FAM_ACCOUNT)) {
		memset(l->sc->accounts, 0, sizeof(l->sc->accounts));
		l->sc->naccounts = 0;
		ret = load_family(l, FAM_ACCOUNT, load_account);
	} else {
		default_accounts(l->sc);
	}
	if (!ret)
		ret = load_family(l, FAM_FAULT, load_fault);
	if (!ret)
		ret = cross_checks(l);
	sort_faults(l->sc);
	return ret;
}

int sim_scenario_load(struct sim_scenario *sc, const char *path, char *err, size_t errlen)
{
	struct ld l = { .err = err, .errlen = errlen };
	struct kimp_conf *c = NULL;
	const char *slash;
	int ret;

	if (!path) {
		sim_scenario_defaults(sc);
		return 0;
	}
	if (strlen(path) >= sizeof(sc->path)) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", path,
			 sizeof(sc->path) - 1);
		return -ENAMETOOLONG;
	}
	slash = strrchr(path, '/');
	if (slash)
		snprintf(l.dir, sizeof(l.dir), "%.*s", (int)(slash == path ? 1 : slash - path),
			 path);
	/* load into a copy: *sc changes only on success */
	l.sc = malloc(sizeof(*l.sc));
	if (!l.sc) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	sim_scenario_defaults(l.sc);
	memcpy(l.sc->path, path, strlen(path) + 1);
	ret = kimp_conf_load(path, &c, err, errlen);
	if (ret)
		goto free_sc;
	l.c = c;
	ret = load_conf(&l);
	kimp_conf_free(c);
	if (!ret)
		memcpy(sc, l.sc, sizeof(*sc));
free_sc:
	free(l.sc);
	return ret;
}

/* ---- run-time faults ---------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* A key of letters, digits and '_' (what the fault keys are made of). */
static bool key_ok(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/*
 * "k=v&k=v" or "k=v k=v" into "k = v\n" lines in out (percent-escapes
 * decoded); -EINVAL with a message for a token that is not k=v or holds a
 * control character.
 */
static int fault_text(const char *text, char *out, size_t cap, char *err, size_t errlen)
{
	size_t o = 0;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "& \t\r\n");
		const char *eq = memchr(p, '=', n);

		if (!n) {
			p++;
			continue;
		}
		if (!eq || eq == p || !key_ok(p, (size_t)(eq - p))) {
			snprintf(err, errlen, "'%.*s' is not key=value", (int)n, p);
			return -EINVAL;
		}
		if (o + n + 4 >= cap) {
			snprintf(err, errlen, "fault text longer than %d bytes", FAULT_TEXT_MAX);
			return -EINVAL;
		}
		memcpy(out + o, p, (size_t)(eq - p));
		o += (size_t)(eq - p);
		memcpy(out + o, " = ", 3);
		o += 3;
		for (const char *v = eq + 1; v < p + n; v++) {
			int ch = (unsigned char)*v;

			if (ch == '%' && v + 2 < p + n && hexval(v[1]) >= 0 &&
			    hexval(v[2]) >= 0) {
				ch = hexval(v[1]) << 4 | hexval(v[2]);
				v += 2;
			}
			if (ch < 0x20 || ch == 0x7f || ch == '"') {
				snprintf(err, errlen, "'%.*s': the value holds a control "
					 "character or a quote", (int)n, p);
				return -EINVAL;
			}
			out[o++] = (char)ch;
		}
		out[o++] = '\n';
		p += n;
	}
	out[o] = 0;
	if (!o) {
		snprintf(err, errlen, "no fault given (kind=gap venue=binance count=1 ...)");
		return -EINVAL;
	}
	return 0;
}

/* Drop the "control:LINE: " that the config reader puts first: there is no file. */
static void strip_origin(char *err, const char *origin)
{
	size_t n = strlen(origin);
	char *p;

	if (!err || strncmp(err, origin, n) || err[n] != ':')
		return;
	p = err + n + 1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == ':')
		p++;
	if (*p == ' ')
		p++;
	memmove(err, p, strlen(p) + 1);
}

int sim_fault_parse(struct sim_fault *f, const char *text, char *err, size_t errlen)
{
	static const char origin[] = "control";
	const struct sec s = { "fault", fault_keys };
	struct ld l = { .err = err, .errlen = errlen };
	struct kimp_conf *c = NULL;
	char buf[1024];
	int ret;

	if (text && strlen(text) > FAULT_TEXT_MAX) {
		snprintf(err, errlen, "fault text longer than %d bytes", FAULT_TEXT_MAX);
		return -EINVAL;
	}
	memcpy(buf, "[fault]\n", 9);
	ret = fault_text(text ? text : "", buf + 8, sizeof(buf) - 8, err, errlen);
	if (ret)
		return ret;
	ret = kimp_conf_parse(origin, buf, &c, err, errlen);
	if (ret)
		goto strip;
	l.c = c;
	ret = check_keys(&l, &s);
	if (!ret)
		ret = read_fault(&l, &s, f);
	kimp_conf_free(c);
strip:
	if (ret)
		strip_origin(err, origin);
	return ret;
}
