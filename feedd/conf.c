/* SPDX-License-Identifier: MIT */
/*
 * feedd's configuration: [engine] coins, [feedd], one [venue.NAME] per
 * venue. Every error names the file, the line and the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/daemon.h"
#include "kimp/tradeconf.h"
#include "feedd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

int feed_url_parse(const char *s, struct feed_url *u)
{
	const char *p;
	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "wss://", 6)) {
		u->tls = true, u->port = 443, p = s + 6;
	} else if (!strncmp(s, "ws://", 5)) {
		u->port = 80, p = s + 5;
	} else if (!strncmp(s, "https://", 8)) {
		u->tls = true, u->port = 443, p = s + 8;
	} else if (!strncmp(s, "http://", 7)) {
		u->port = 80, p = s + 7;
	} else {
		return -EINVAL;
	}
	size_t hl = strcspn(p, ":/?#");
	if (!hl || hl >= sizeof(u->host))
		return -EINVAL;
	memcpy(u->host, p, hl);
	u->host[hl] = 0;
	p += hl;
	if (*p == ':') {
		char *end;
		unsigned long port = strtoul(p + 1, &end, 10);
		if (end == p + 1 || !port || port > 65535)
			return -EINVAL;
		u->port = (uint16_t)port;
		p = end;
	}
	if (*p == '?' || *p == '#')
		return -EINVAL;
	if (*p && *p != '/')
		return -EINVAL;
	/* a lone "/" is no prefix */
	if (p[0] == '/' && !p[1])
		p++;
	if (strlen(p) >= sizeof(u->path) || strpbrk(p, " \t\r\n?#"))
		return -EINVAL;
	/* no trailing slash: the venue's target starts with one */
	size_t n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	memcpy(u->path, p, n);
	u->path[n] = 0;
	return 0;
}

/* Words of a space- or comma-separated list into out[max][12]. */
static int words(const char *s, char (*out)[12], uint32_t max, uint32_t *n)
{
	*n = 0;
	while (*s) {
		s += strspn(s, " \t,");
		size_t l = strcspn(s, " \t,");
		if (!l)
			break;
		if (l >= 12 || *n >= max)
			return -EINVAL;
		for (size_t i = 0; i < l; i++)
			if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
				return -EINVAL;
		for (uint32_t i = 0; i < *n; i++)
			if (strlen(out[i]) == l && !memcmp(out[i], s, l))
				return -EEXIST;
		memcpy(out[*n], s, l);
		out[(*n)++][l] = 0;
		s += l;
	}
	return 0;
}

static const char *const feedd_keys[] = {
	"name", "cpu", "ring_slots", "spin", "stale_check", "capture", "capture_max",
	"capture_keep", "capture_ring", NULL,
};

static const char *const venue_keys[] = {
	"ws_url", "rest_url", "ca_file", "quote", "coins", "px_dec", "qty_dec", "book",
	"bbo", "trades", "ticker", "depth", "speed", "format", "conns", "stale_after",
	"idle_reconnect", "rotate_after", "ping_every", "connect_timeout", "backoff_min",
	"backoff_max", "backoff_stable", "connect_budget", "snapshot_limit", "book_cap",
	"snapshots_per_min", "snap_backoff_min", "snap_backoff_max", NULL,
};

/* feedd's keys and the trading keys stratd and riskd read (kimp/tradeconf.h). */
static int venue_keys_check(const struct kimp_conf *c, const char *sec, char *err, size_t errlen)
{
	const char *all[KIMP_ARRAY_SIZE(venue_keys) + 16];
	size_t n = 0;

	for (size_t i = 0; venue_keys[i]; i++)
		all[n++] = venue_keys[i];
	for (size_t i = 0; kimp_trade_venue_keys[i] && n < KIMP_ARRAY_SIZE(all) - 1; i++)
		all[n++] = kimp_trade_venue_keys[i];
	all[n] = NULL;
	return kimp_conf_check_keys(c, sec, all, err, errlen);
}

static int url_key(const struct kimp_conf *c, const char *sec, const char *key,
		   const char *def, struct feed_url *u, char *err, size_t errlen)
{
	const char *s;
	int e = kimp_conf_str(c, sec, key, def, &s, err, errlen);
	if (e)
		return e;
	if (!s || feed_url_parse(s, u)) {
		ERR("%s:%u: key '%s.%s': '%s' is not a ws://, wss://, http:// or https:// URL",
		    kimp_conf_name(c), kimp_conf_line(c, sec, key), sec, key, s ? s : "");
		return -EINVAL;
	}
	return 0;
}

static int venue_load(const struct kimp_conf *c, const char *sec, const struct venue_md *md,
		      char (*ecoins)[12], uint32_t necoins, struct feed_conf *f, char *err,
		      size_t errlen)
{
	const char *s;
	uint64_t v;
	bool b;
	int e;

	memset(f, 0, sizeof(*f));
	f->md = md;
	if ((e = venue_keys_check(c, sec, err, errlen)))
		return e;
	if ((e = url_key(c, sec, "ws_url", md->ws_url, &f->ws, err, errlen)) ||
	    (e = url_key(c, sec, "rest_url", md->rest_url, &f->rest, err, errlen)))
		return e;
	if ((e = kimp_conf_str(c, sec, "ca_file", "", &s, err, errlen)))
		return e;
	if (strlen(s) >= sizeof(f->ca_file)) {
		ERR("%s:%u: key '%s.ca_file': too long", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "ca_file"), sec);
		return -EINVAL;
	}
	strcpy(f->ca_file, s);
	if ((e = kimp_conf_str(c, sec, "quote", md->quote ? md->quote : "", &s, err, errlen)))
		return e;
	if (!*s || strlen(s) >= sizeof(f->quote)) {
		ERR("%s:%u: key '%s.quote': a quote currency is needed (KRW, USDT)",
		    kimp_conf_name(c), kimp_conf_line(c, sec, "quote"), sec);
		return -EINVAL;
	}
	strcpy(f->quote, s);
	/* coins: the venue's list, or every engine coin but the quote itself */
	if (kimp_conf_get(c, sec, "coins")) {
		s = kimp_conf_get(c, sec, "coins");
		e = words(s, f->coins, FEEDD_COINS_MAX, &f->ncoins);
		if (e) {
			ERR("%s:%u: key '%s.coins': %s", kimp_conf_name(c),
			    kimp_conf_line(c, sec, "coins"), sec,
			    e == -EEXIST ? "a coin is listed twice"
					 : "upper-case coin names (BTC ETH), at most 128");
			return -EINVAL;
		}
		for (uint32_t i = 0; i < f->ncoins; i++) {
			bool known = false;
			for (uint32_t k = 0; k < necoins; k++)
				known |= !strcmp(ecoins[k], f->coins[i]);
			if (!known) {
				ERR("%s:%u: key '%s.coins': %s is not in engine.coins",
				    kimp_conf_name(c), kimp_conf_line(c, sec, "coins"), sec,
				    f->coins[i]);
				return -EINVAL;
			}
		}
	} else {
		for (uint32_t k = 0; k < necoins; k++)
			if (strcmp(ecoins[k], f->quote))
				strcpy(f->coins[f->ncoins++], ecoins[k]);
	}
	if (!f->ncoins) {
		ERR("%s:%u: section [%s]: no coins", kimp_conf_name(c), kimp_conf_line(c, sec, ""),
		    sec);
		return -EINVAL;
	}
	if ((e = kimp_conf_u64_in(c, sec, "px_dec", 8, 0, VENUE_DEC_MAX, &v, err, errlen)))
		return e;
	f->px_dec = (uint8_t)v;
	if ((e = kimp_conf_u64_in(c, sec, "qty_dec", 8, 0, VENUE_DEC_MAX, &v, err, errlen)))
		return e;
	f->qty_dec = (uint8_t)v;
	if ((e = kimp_conf_bool(c, sec, "book", true, &f->sub.book, err, errlen)) ||
	    (e = kimp_conf_bool(c, sec, "bbo", true, &f->sub.bbo, err, errlen)) ||
	    (e = kimp_conf_bool(c, sec, "trades", true, &f->sub.trades, err, errlen)) ||
	    (e = kimp_conf_bool(c, sec, "ticker", false, &f->sub.ticker, err, errlen)))
		return e;
	if (!f->sub.book) {
		ERR("%s:%u: key '%s.book': feedd needs the book", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "book"), sec);
		return -EINVAL;
	}
	if ((e = kimp_conf_u64_in(c, sec, "depth", 0, 0, 5000, &v, err, errlen)))
		return e;
	f->sub.depth = (uint32_t)v;
	if ((e = kimp_conf_ns(c, sec, "speed", 100000000ull, &v, err, errlen)))
		return e;
	if (v != 100000000ull && v != 1000000000ull) {
		ERR("%s:%u: key '%s.speed': 100ms or 1s", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "speed"), sec);
		return -EINVAL;
	}
	f->sub.speed_ms = (uint32_t)(v / 1000000);
	if ((e = kimp_conf_str(c, sec, "format", "simple", &s, err, errlen)))
		return e;
	if (strcmp(s, "simple") && strcmp(s, "default")) {
		ERR("%s:%u: key '%s.format': simple or default", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "format"), sec);
		return -EINVAL;
	}
	f->sub.simple = !strcmp(s, "simple");
	if ((e = kimp_conf_u64_in(c, sec, "conns", 1, 1, FEEDD_CONNS_MAX, &v, err, errlen)))
		return e;
	f->conns = (uint32_t)v;
	if ((e = kimp_conf_ns(c, sec, "stale_after", md->stale_after_ns, &f->stale_after_ns,
			      err, errlen)) ||
	    (e = kimp_conf_ns(c, sec, "idle_reconnect", 60000000000ull, &f->idle_reconnect_ns,
			      err, errlen)) ||
	    (e = kimp_conf_ns(c, sec, "ping_every", md->ping_every_ns, &f->ping_every_ns,
			      err, errlen)) ||
	    (e = kimp_conf_ns(c, sec, "connect_timeout", 10000000000ull,
			      &f->connect_timeout_ns, err, errlen)))
		return e;
	/* a planned reconnect well before the venue's forced one */
	uint64_t life = md->conn_life_ns;
	uint64_t rot = life > 1800000000000ull ? life - 1800000000000ull : life / 2;
	if ((e = kimp_conf_ns(c, sec, "rotate_after", rot, &f->rotate_after_ns, err, errlen)))
		return e;
	if (life && (!f->rotate_after_ns || f->rotate_after_ns >= life)) {
		ERR("%s:%u: key '%s.rotate_after': must be above 0 and below the venue's "
		    "connection life (%llus)", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "rotate_after"), sec,
		    (unsigned long long)(life / 1000000000ull));
		return -EINVAL;
	}
	if (!f->stale_after_ns) {
		ERR("%s:%u: key '%s.stale_after': must be above 0", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "stale_after"), sec);
		return -EINVAL;
	}
	if ((e = kimp_conf_ns(c, sec, "backoff_min", 100000000ull, &f->backoff.base_ns, err,
			      errlen)) ||
	    (e = kimp_conf_ns(c, sec, "backoff_max", 30000000000ull, &f->backoff.cap_ns, err,
			      errlen)) ||
	    (e = kimp_conf_ns(c, sec, "backoff_stable", 60000000000ull, &f->backoff.stable_ns,
			      err, errlen)))
		return e;
	if (!f->backoff.base_ns || f->backoff.cap_ns < f->backoff.base_ns) {
		ERR("%s:%u: key '%s.backoff_max': needs 0 < backoff_min <= backoff_max",
		    kimp_conf_name(c), kimp_conf_line(c, sec, "backoff_max"), sec);
		return -EINVAL;
	}
	if ((e = kimp_conf_u64_in(c, sec, "connect_budget", 30, 1, NET_BACKOFF_BUDGET_MAX, &v,
				  err, errlen)))
		return e;
	f->backoff.budget = (uint32_t)v;
	f->backoff.window_ns = 60000000000ull;
	if ((e = kimp_conf_u64_in(c, sec, "snapshot_limit",
				  md->snapshot_limit ? md->snapshot_limit : 1000, 1, 5000, &v,
				  err, errlen)))
		return e;
	f->snapshot_limit = (uint32_t)v;
	if ((e = kimp_conf_u64_in(c, sec, "book_cap", 2 * (uint64_t)f->snapshot_limit + 64,
				  KIMP_BOOK_LEVELS, 1000000, &v, err, errlen)))
		return e;
	f->book_cap = (uint32_t)v;
	if ((e = kimp_conf_u64_in(c, sec, "snapshots_per_min", 60, 1, 64, &v, err, errlen)))
		return e;
	f->snapshots_per_min = (uint32_t)v;
	if ((e = kimp_conf_ns(c, sec, "snap_backoff_min", 250000000ull, &f->snap_backoff_min_ns,
			      err, errlen)) ||
	    (e = kimp_conf_ns(c, sec, "snap_backoff_max", 30000000000ull,
			      &f->snap_backoff_max_ns, err, errlen)))
		return e;
	if (!f->snap_backoff_min_ns || f->snap_backoff_max_ns < f->snap_backoff_min_ns) {
		ERR("%s:%u: key '%s.snap_backoff_max': needs 0 < snap_backoff_min <= "
		    "snap_backoff_max", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "snap_backoff_max"), sec);
		return -EINVAL;
	}
	(void)b;
	return 0;
}

int feedd_conf_load(const struct kimp_conf *c, struct feedd_conf *out, char *err,
		    size_t errlen)
{
	static const char *const engine_keys[] = { "coins", NULL };
	char ecoins[FEEDD_COINS_MAX][12];
	uint32_t necoins = 0;
	const char *s, *sec;
	uint64_t v;
	size_t it = 0;
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = kimp_conf_check_keys(c, "engine", engine_keys, err, errlen)) ||
	    (e = kimp_conf_check_keys(c, "feedd", feedd_keys, err, errlen)))
		return e;
	s = kimp_conf_get(c, "engine", "coins");
	if (!s) {
		ERR("%s: key 'engine.coins' is missing: list the coins (BTC ETH XRP USDT)",
		    kimp_conf_name(c));
		return -EINVAL;
	}
	e = words(s, ecoins, FEEDD_COINS_MAX, &necoins);
	if (e || !necoins) {
		ERR("%s:%u: key 'engine.coins': %s", kimp_conf_name(c),
		    kimp_conf_line(c, "engine", "coins"),
		    e == -EEXIST ? "a coin is listed twice"
				 : "upper-case coin names (BTC ETH), 1 to 128 of them");
		return -EINVAL;
	}
	if ((e = kimp_conf_str(c, "feedd", "name", "feedd", &s, err, errlen)))
		return e;
	if (!*s || strlen(s) >= sizeof(out->name) || strpbrk(s, "/ \t")) {
		ERR("%s:%u: key 'feedd.name': 1 to %zu characters, no '/' or spaces",
		    kimp_conf_name(c), kimp_conf_line(c, "feedd", "name"), sizeof(out->name) - 1);
		return -EINVAL;
	}
	strcpy(out->name, s);
	if ((e = kimp_conf_u64_in(c, "feedd", "ring_slots", 65536, 64, 1u << 24, &v, err, errlen)))
		return e;
	if (!kimp_is_pow2(v)) {
		ERR("%s:%u: key 'feedd.ring_slots': a power of two", kimp_conf_name(c),
		    kimp_conf_line(c, "feedd", "ring_slots"));
		return -EINVAL;
	}
	out->ring_slots = (uint32_t)v;
	if ((e = kimp_conf_cpu(c, "feedd", &out->cpu, err, errlen)) ||
	    (e = kimp_conf_bool(c, "feedd", "spin", false, &out->spin, err, errlen)) ||
	    (e = kimp_conf_ns(c, "feedd", "stale_check", 100000000ull, &out->stale_check_ns, err,
			      errlen)))
		return e;
	if (!out->stale_check_ns) {
		ERR("%s:%u: key 'feedd.stale_check': must be above 0", kimp_conf_name(c),
		    kimp_conf_line(c, "feedd", "stale_check"));
		return -EINVAL;
	}
	if ((e = kimp_conf_str(c, "feedd", "capture", "", &s, err, errlen)))
		return e;
	if (strlen(s) >= sizeof(out->capture)) {
		ERR("%s:%u: key 'feedd.capture': path too long", kimp_conf_name(c),
		    kimp_conf_line(c, "feedd", "capture"));
		return -EINVAL;
	}
	strcpy(out->capture, s);
	if ((e = kimp_conf_u64_in(c, "feedd", "capture_max", 256ull << 20, 4096, 1ull << 40,
				  &out->capture_max_bytes, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, "feedd", "capture_ring", 16ull << 20, 1ull << 16,
				  1ull << 32, &out->capture_ring_bytes, err, errlen)))
		return e;
	if ((e = kimp_conf_u64_in(c, "feedd", "capture_keep", 8, 1, 1000, &v, err, errlen)))
		return e;
	out->capture_keep = (uint32_t)v;
	memcpy(out->coins, ecoins, sizeof(ecoins));
	out->ncoins = necoins;

	while ((sec = kimp_conf_next_section(c, &it))) {
		if (!*sec || !strcmp(sec, "engine") || !strcmp(sec, "feedd"))
			continue;
		if (strncmp(sec, "venue.", 6))
			continue; /* other daemons' sections */
		const struct venue_md *md = venue_md_by_name(sec + 6);
		if (!md || !md->decode) {
			char known[128];
			ERR("%s:%u: section [%s]: no market data for venue '%s' (known: %s)",
			    kimp_conf_name(c), kimp_conf_line(c, sec, ""), sec, sec + 6,
			    venue_md_names(known, sizeof(known)));
			return -EINVAL;
		}
		if (out->nfeeds >= FEEDD_VENUES_MAX) {
			ERR("%s: at most %d venues", kimp_conf_name(c), FEEDD_VENUES_MAX);
			return -EINVAL;
		}
		if ((e = venue_load(c, sec, md, ecoins, necoins, &out->feeds[out->nfeeds], err,
				    errlen)))
			return e;
		out->nfeeds++;
	}
	if (!out->nfeeds) {
		ERR("%s: no [venue.NAME] section: nothing to feed", kimp_conf_name(c));
		return -EINVAL;
	}
	return 0;
}
