/* SPDX-License-Identifier: MIT */
/*
 * orderd's configuration: [orderd] (segments, waiting, rings, the table,
 * the journal, the client id prefix) and one [order.NAME] per venue (mode,
 * endpoints, credentials, timings, rate share, backoff). Scales, symbols
 * and fee rates come from the engine's trading config (tradeconf). Every
 * error names the file, the line and the key.
 *
 * Secrets: [order.NAME] secret_file (a regular file, mode 0600 or
 * stricter) or the environment variable secret_env. The configuration
 * only checks that one is there; orderd_keys_load reads it once into the
 * venue's key setup in locked, undumpable memory and wipes the raw bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/daemon.h"
#include "orderd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define WHERE(c, sec, key) kimp_conf_name(c), kimp_conf_line(c, sec, key), sec, key

#define NS_MS UINT64_C(1000000)
#define NS_S  UINT64_C(1000000000)

static const char *const orderd_keys[] = {
	"name", "riskd", "feedd", "cpu", "wait", "spin", "idle_wait", "ring_slots", "table_slots",
	"journal_dir", "journal_file_mb", "journal_sync", "journal_sync_interval", "coid_prefix",
	"report_backlog", NULL,
};

static const char *const venue_keys[] = {
	"mode", "rest_url", "wsapi_url", "private_url", "ca_file", "api_key", "secret_file",
	"secret_env", "passphrase_file", "passphrase_env", "recv_window", "timeout", "query_delay", "query_every", "unknown_grace",
	"keepalive", "time_sync", "rest_conns", "rest_pipeline", "rate_share", "rate_edge",
	"backoff_min", "backoff_max", "rate_limits", NULL,
};

int od_url_parse(const char *s, struct od_url *u)
{
	const char *p;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "wss://", 6))
		u->tls = true, u->port = 443, p = s + 6;
	else if (!strncmp(s, "ws://", 5))
		u->port = 80, p = s + 5;
	else if (!strncmp(s, "https://", 8))
		u->tls = true, u->port = 443, p = s + 8;
	else if (!strncmp(s, "http://", 7))
		u->port = 80, p = s + 7;
	else
		return -EINVAL;
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
	if (*p && *p != '/')
		return -EINVAL;
	if (strlen(p) >= sizeof(u->path))
		return -EINVAL;
	if (strcmp(p, "/"))
		snprintf(u->path, sizeof(u->path), "%s", p);
	return 0;
}

static int str_key(const struct kimp_conf *c, const char *sec, const char *key, const char *def,
		   char *out, size_t cap, char *err, size_t errlen)
{
	const char *s;
	int e = kimp_conf_str(c, sec, key, def, &s, err, errlen);

	if (e)
		return e;
	if (strlen(s) >= cap) {
		ERR("%s:%u: key '%s.%s': longer than %zu characters", WHERE(c, sec, key), cap - 1);
		return -EINVAL;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int pow2_key(const struct kimp_conf *c, const char *sec, const char *key, uint64_t def,
		    uint64_t lo, uint64_t hi, uint32_t *out, char *err, size_t errlen)
{
	uint64_t v;
	int e = kimp_conf_u64(c, sec, key, def, &v, err, errlen);

	if (e)
		return e;
	if (v < lo || v > hi || !kimp_is_pow2(v)) {
		ERR("%s:%u: key '%s.%s': %" PRIu64 " is not a power of two in %" PRIu64 "..%" PRIu64,
		    WHERE(c, sec, key), v, lo, hi);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int url_key(const struct kimp_conf *c, const char *sec, const char *key, const char *def,
		   bool ws, char *raw, struct od_url *u, char *err, size_t errlen)
{
	int e = str_key(c, sec, key, def ? def : "", raw, OD_URL_MAX, err, errlen);

	if (e)
		return e;
	memset(u, 0, sizeof(*u));
	if (!raw[0])
		return 0;
	if (od_url_parse(raw, u) || (ws && strncmp(raw, "ws", 2)) ||
	    (!ws && strncmp(raw, "http", 4))) {
		ERR("%s:%u: key '%s.%s': '%s' is not a %s URL", WHERE(c, sec, key), raw,
		    ws ? "ws:// or wss://" : "http:// or https://");
		return -EINVAL;
	}
	return 0;
}

static int orderd_section(const struct kimp_conf *c, struct orderd_conf *oc, char *err,
			  size_t errlen)
{
	const char *sec = "orderd", *s;
	uint64_t v;
	int e;

	if ((e = kimp_conf_check_keys(c, sec, orderd_keys, err, errlen)))
		return e;
	if ((e = kimp_conf_segment(c, sec, "name", KIMP_ORD_SEGMENT, oc->name, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "riskd", "riskd", oc->riskd, err, errlen)) ||
	    (e = kimp_conf_segment(c, sec, "feedd", "feedd", oc->feedd, err, errlen)))
		return e;
	if ((e = kimp_conf_cpu(c, sec, &oc->cpu, err, errlen)))
		return e;
	if ((e = kimp_conf_str(c, sec, "wait", "hybrid", &s, err, errlen)))
		return e;
	if (shm_wait_mode_parse(s, &oc->wait)) {
		ERR("%s:%u: key '%s.%s': '%s' is not spin or hybrid", WHERE(c, sec, "wait"), s);
		return -EINVAL;
	}
	if ((e = kimp_conf_ns_in(c, sec, "spin", 50000, 0, NS_S, &oc->spin_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "idle_wait", NS_MS, 1000, NS_S, &oc->idle_wait_ns, err,
				 errlen)) ||
	    (e = pow2_key(c, sec, "ring_slots", 4096, 2, 1u << 24, &oc->ring_slots, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "table_slots", 65536, 16, 1u << 22, &v, err, errlen)))
		return e;
	oc->table_slots = (uint32_t)v;
	if ((e = str_key(c, sec, "journal_dir", "/var/lib/kimp/journal", oc->journal_dir,
			 sizeof(oc->journal_dir), err, errlen)))
		return e;
	if (!oc->journal_dir[0]) {
		ERR("%s:%u: key '%s.%s': empty", WHERE(c, sec, "journal_dir"));
		return -EINVAL;
	}
	if ((e = kimp_conf_u64_in(c, sec, "journal_file_mb", 256, 1, 65536, &oc->journal_file_mb,
				  err, errlen)))
		return e;
	if ((e = kimp_conf_str(c, sec, "journal_sync", "none", &s, err, errlen)))
		return e;
	if (!strcmp(s, "none"))
		oc->journal_sync = JR_SYNC_NONE;
	else if (!strcmp(s, "interval"))
		oc->journal_sync = JR_SYNC_INTERVAL;
	else if (!strcmp(s, "always"))
		oc->journal_sync = JR_SYNC_ALWAYS;
	else {
		ERR("%s:%u: key '%s.%s': '%s' is not none, interval or always",
		    WHERE(c, sec, "journal_sync"), s);
		return -EINVAL;
	}
	if ((e = kimp_conf_ns_in(c, sec, "journal_sync_interval", 10 * NS_MS, 100000, 10 * NS_S,
				 &oc->journal_sync_interval_ns, err, errlen)) ||
	    (e = str_key(c, sec, "coid_prefix", "kimp", oc->coid_prefix, sizeof(oc->coid_prefix),
			 err, errlen)))
		return e;
	if (!vo_prefix_ok(oc->coid_prefix)) {
		ERR("%s:%u: key '%s.%s': '%s' is not 1 to %d of A-Z a-z 0-9",
		    WHERE(c, sec, "coid_prefix"), oc->coid_prefix, VO_PREFIX_MAX);
		return -EINVAL;
	}
	if ((e = kimp_conf_u64_in(c, sec, "report_backlog", 65536, 16, 1u << 24, &v, err, errlen)))
		return e;
	oc->report_backlog = (uint32_t)v;
	return 0;
}

/* Is the secret there? (the file: regular, 0600 or stricter; else the variable) */
static int secret_check(const struct kimp_conf *c, const char *sec,
			const struct orderd_venue_conf *vc, char *err, size_t errlen)
{
	struct stat sb;
	const char *env;

	if (vc->secret_file[0]) {
		if (stat(vc->secret_file, &sb)) {
			ERR("%s:%u: key '%s.%s': cannot read the secret file %s: %s",
			    WHERE(c, sec, "secret_file"), vc->secret_file, strerror(errno));
			return -EINVAL;
		}
		if (!S_ISREG(sb.st_mode)) {
			ERR("%s:%u: key '%s.%s': %s is not a regular file", WHERE(c, sec, "secret_file"),
			    vc->secret_file);
			return -EINVAL;
		}
		if (sb.st_mode & 077) {
			ERR("%s:%u: key '%s.%s': %s is mode %04o: group or others may access it "
			    "(make it 0600 or stricter)", WHERE(c, sec, "secret_file"), vc->secret_file,
			    (unsigned)(sb.st_mode & 07777));
			return -EINVAL;
		}
		return 0;
	}
	env = getenv(vc->secret_env);
	if (env && env[0])
		return 0;
	ERR("%s:%u: key '%s.mode': %s is live and has no secret: no secret file (key "
	    "'%s.secret_file' %s) and the environment variable %s is not set",
	    kimp_conf_name(c), kimp_conf_line(c, sec, "mode"), sec, vc->vo->name, sec,
	    vc->secret_file[0] ? vc->secret_file : "not set", vc->secret_env);
	return -EINVAL;
}

static int venue_section(const struct kimp_conf *c, struct orderd_conf *oc,
			 const struct venue_ord *vo, char *err, size_t errlen)
{
	struct orderd_venue_conf *vc = &oc->venue[vo->venue];
	char sec[48], envdef[64];
	const char *s;
	uint64_t v;
	int e;

	snprintf(sec, sizeof(sec), "order.%s", vo->name);
	vc->vo = vo;
	vc->present = kimp_conf_line(c, sec, "") != 0;
	if ((e = kimp_conf_check_keys(c, sec, venue_keys, err, errlen)))
		return e;
	if ((e = kimp_conf_str(c, sec, "mode", "off", &s, err, errlen)))
		return e;
	if (!strcmp(s, "off"))
		vc->mode = KIMP_ORD_OFF;
	else if (!strcmp(s, "live"))
		vc->mode = KIMP_ORD_LIVE;
	else if (!strcmp(s, "paper"))
		vc->mode = KIMP_ORD_PAPER;
	else {
		ERR("%s:%u: key '%s.%s': '%s' is not off, live or paper", WHERE(c, sec, "mode"), s);
		return -EINVAL;
	}
	if ((e = url_key(c, sec, "rest_url", vo->rest_url, false, vc->rest_url, &vc->rest, err,
			 errlen)) ||
	    (e = url_key(c, sec, "wsapi_url", vo->wsapi_url, true, vc->wsapi_url, &vc->wsapi, err,
			 errlen)) ||
	    (e = url_key(c, sec, "private_url", vo->priv_url, true, vc->priv_url, &vc->priv, err,
			 errlen)) ||
	    (e = str_key(c, sec, "ca_file", "", vc->ca_file, sizeof(vc->ca_file), err, errlen)) ||
	    (e = str_key(c, sec, "api_key", "", vc->api_key, sizeof(vc->api_key), err, errlen)) ||
	    (e = str_key(c, sec, "secret_file", "", vc->secret_file, sizeof(vc->secret_file), err,
			 errlen)))
		return e;
	{
		size_t n = 0;
		n = (size_t)snprintf(envdef, sizeof(envdef), "KIMP_");
		for (const char *p = vo->name; *p && n < sizeof(envdef) - 8; p++)
			envdef[n++] = (char)toupper((unsigned char)*p);
		snprintf(envdef + n, sizeof(envdef) - n, "_SECRET");
	}
	if ((e = str_key(c, sec, "secret_env", envdef, vc->secret_env, sizeof(vc->secret_env), err,
			 errlen)))
		return e;
	if (!vc->secret_env[0]) {
		ERR("%s:%u: key '%s.%s': empty", WHERE(c, sec, "secret_env"));
		return -EINVAL;
	}
	/* the passphrase (OKX): same rules as the secret, optional */
	{
		size_t n = strlen(envdef) - 6; /* "KIMP_NAME_" */
		snprintf(envdef + n, sizeof(envdef) - n, "PASSPHRASE");
	}
	if ((e = str_key(c, sec, "passphrase_file", "", vc->pass_file, sizeof(vc->pass_file), err,
			 errlen)) ||
	    (e = str_key(c, sec, "passphrase_env", envdef, vc->pass_env, sizeof(vc->pass_env), err,
			 errlen)))
		return e;
	if (!vc->pass_env[0]) {
		ERR("%s:%u: key '%s.%s': empty", WHERE(c, sec, "passphrase_env"));
		return -EINVAL;
	}
	if ((e = kimp_conf_ns_in(c, sec, "recv_window", 5000 * NS_MS, NS_MS, 60 * NS_S,
				 &vc->recv_window_ns, err, errlen)))
		return e;
	if (vc->recv_window_ns % NS_MS) {
		ERR("%s:%u: key '%s.%s': whole milliseconds only", WHERE(c, sec, "recv_window"));
		return -EINVAL;
	}
	uint64_t grace_min = vc->recv_window_ns + NS_S;
	uint64_t grace_def = grace_min > 10 * NS_S ? grace_min : 10 * NS_S;
	if ((e = kimp_conf_ns_in(c, sec, "timeout", 5 * NS_S, NS_MS, 120 * NS_S, &vc->timeout_ns,
				 err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "query_delay", 200 * NS_MS, 0, 60 * NS_S,
				 &vc->query_delay_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "query_every", NS_S, 10 * NS_MS, 600 * NS_S,
				 &vc->query_every_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "unknown_grace", grace_def, grace_min, 3600 * NS_S,
				 &vc->unknown_grace_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "keepalive", 10 * NS_S, 100 * NS_MS, 600 * NS_S,
				 &vc->keepalive_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "time_sync", 30 * NS_S, NS_S, 3600 * NS_S,
				 &vc->time_sync_ns, err, errlen)) ||
	    (e = kimp_conf_u64_in(c, sec, "rest_conns", 2, 1, OD_REST_MAX, &v, err, errlen)))
		return e;
	vc->rest_conns = (uint32_t)v;
	/* 1 by default: a real venue behind a CDN or proxy may not take pipelined requests */
	if ((e = kimp_conf_u64_in(c, sec, "rest_pipeline", 1, 1, HTTP_CLIENT_PIPELINE_MAX, &v, err,
				  errlen)))
		return e;
	vc->rest_pipeline = (uint32_t)v;
	if ((e = kimp_conf_f64(c, sec, "rate_share", 0.9, &vc->rate_share, err, errlen)))
		return e;
	if (!(vc->rate_share > 0 && vc->rate_share <= 1)) {
		ERR("%s:%u: key '%s.%s': %g is not in (0, 1]", WHERE(c, sec, "rate_share"),
		    vc->rate_share);
		return -EINVAL;
	}
	if ((e = kimp_conf_bool(c, sec, "rate_limits", true, &vc->rate_limits, err, errlen)))
		return e;
	if ((e = kimp_conf_ns_in(c, sec, "rate_edge", 5 * NS_MS, 0, NS_S, &vc->rate_edge_ns, err,
				 errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "backoff_min", 100 * NS_MS, NS_MS, 60 * NS_S,
				 &vc->backoff_min_ns, err, errlen)) ||
	    (e = kimp_conf_ns_in(c, sec, "backoff_max", 30 * NS_S, NS_MS, 3600 * NS_S,
				 &vc->backoff_max_ns, err, errlen)))
		return e;
	if (vc->backoff_max_ns < vc->backoff_min_ns) {
		ERR("%s:%u: key '%s.%s': below backoff_min", WHERE(c, sec, "backoff_max"));
		return -EINVAL;
	}
	if (vc->mode == KIMP_ORD_OFF)
		return 0;
	if (!oc->trade.venue[vo->venue].present) {
		ERR("%s:%u: key '%s.mode': %s is traded but has no [venue.%s] section (its symbols "
		    "and scales)", kimp_conf_name(c), kimp_conf_line(c, sec, "mode"), sec, vo->name,
		    vo->name);
		return -EINVAL;
	}
	if (vc->mode != KIMP_ORD_LIVE)
		return 0;
	if (!vc->rest.host[0]) {
		ERR("%s:%u: key '%s.%s': %s has no REST endpoint", WHERE(c, sec, "rest_url"),
		    vo->name);
		return -EINVAL;
	}
	if (!vc->api_key[0]) {
		ERR("%s:%u: key '%s.api_key': %s is live and has no API key", kimp_conf_name(c),
		    kimp_conf_line(c, sec, "api_key") ? kimp_conf_line(c, sec, "api_key")
						      : kimp_conf_line(c, sec, "mode"),
		    sec, vo->name);
		return -EINVAL;
	}
	return secret_check(c, sec, vc, err, errlen);
}

/* [order.NAME] sections name a venue libvenue has order entry for. */
static int sections_check(const struct kimp_conf *c, char *err, size_t errlen)
{
	size_t it = 0;
	const char *sec;

	while ((sec = kimp_conf_next_section(c, &it))) {
		if (strncmp(sec, "order.", 6))
			continue;
		if (!venue_ord_by_name(sec + 6)) {
			char known[128];
			ERR("%s:%u: section [%s]: no order entry for a venue '%s' (%s)",
			    kimp_conf_name(c), kimp_conf_line(c, sec, ""), sec, sec + 6,
			    venue_ord_names(known, sizeof(known)));
			return -EINVAL;
		}
	}
	return 0;
}

int orderd_conf_load(const struct kimp_conf *c, struct orderd_conf *out, char *err,
		     size_t errlen)
{
	int e;

	memset(out, 0, sizeof(*out));
	if ((e = kimp_trade_conf_load(c, &out->trade, err, errlen)) ||
	    (e = orderd_section(c, out, err, errlen)) || (e = sections_check(c, err, errlen)))
		return e;
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++) {
		const struct venue_ord *vo = venue_ord_get((enum kimp_venue)v);
		if (vo && (e = venue_section(c, out, vo, err, errlen)))
			return e;
	}
	return 0;
}

/* ---- printing -------------------------------------------------------------------- */

static const char *dur(char *b, size_t n, uint64_t ns)
{
	if (ns && !(ns % NS_S))
		snprintf(b, n, "%" PRIu64 "s", ns / NS_S);
	else if (ns && !(ns % NS_MS))
		snprintf(b, n, "%" PRIu64 "ms", ns / NS_MS);
	else if (ns && !(ns % 1000))
		snprintf(b, n, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(b, n, "%" PRIu64 "ns", ns);
	return b;
}

static const char *const mode_names[] = { "off", "live", "paper" };
static const char *const sync_names[] = { "none", "interval", "always" };

void orderd_conf_print(const struct orderd_conf *c, FILE *f)
{
	char a[32], b[32], d[32], e[32], g[32];

	fprintf(f, "orderd: segment %s; orders from %s, books (paper) from %s, cpu ", c->name,
		c->riskd, c->feedd);
	if (c->cpu == ~0u)
		fprintf(f, "any\n");
	else
		fprintf(f, "%u\n", c->cpu);
	fprintf(f, "orderd: wait %s (spin %s, idle %s), report rings %u, table %u, backlog %u, "
		"client id prefix %s\n", shm_wait_mode_name(c->wait), dur(a, sizeof(a), c->spin_ns),
		dur(b, sizeof(b), c->idle_wait_ns), c->ring_slots, c->table_slots, c->report_backlog,
		c->coid_prefix);
	fprintf(f, "orderd: journal %s, %" PRIu64 " MiB files, sync %s", c->journal_dir,
		c->journal_file_mb, sync_names[c->journal_sync]);
	if (c->journal_sync == JR_SYNC_INTERVAL)
		fprintf(f, " every %s", dur(a, sizeof(a), c->journal_sync_interval_ns));
	fputc('\n', f);
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++) {
		const struct orderd_venue_conf *vc = &c->venue[v];
		if (!vc->vo)
			continue;
		fprintf(f, "orderd: venue %s: %s", vc->vo->name, mode_names[vc->mode]);
		if (vc->mode != KIMP_ORD_LIVE) {
			fputc('\n', f);
			continue;
		}
		fprintf(f, ", rest %s (%u conns, %u in flight each)", vc->rest_url, vc->rest_conns,
			vc->rest_pipeline);
		if (vc->wsapi_url[0])
			fprintf(f, ", ws-api %s", vc->wsapi_url);
		if (vc->priv_url[0])
			fprintf(f, ", private %s", vc->priv_url);
		fprintf(f, ", ca %s\n", vc->ca_file[0] ? vc->ca_file : "system");
		fprintf(f, "orderd:   %s: api key %s, secret from %s%s, passphrase (if any) from "
			"%s%s\n", vc->vo->name, vc->api_key, vc->secret_file[0] ? "file " : "$",
			vc->secret_file[0] ? vc->secret_file : vc->secret_env,
			vc->pass_file[0] ? "file " : "$",
			vc->pass_file[0] ? vc->pass_file : vc->pass_env);
		fprintf(f, "orderd:   %s: recv_window %s, timeout %s, query after %s every %s, "
			"unknown grace %s\n", vc->vo->name, dur(a, sizeof(a), vc->recv_window_ns),
			dur(b, sizeof(b), vc->timeout_ns), dur(d, sizeof(d), vc->query_delay_ns),
			dur(e, sizeof(e), vc->query_every_ns), dur(g, sizeof(g), vc->unknown_grace_ns));
		fprintf(f, "orderd:   %s: keepalive %s, time sync %s, rate share %g, edge %s, "
			"backoff %s..", vc->vo->name, dur(a, sizeof(a), vc->keepalive_ns),
			dur(b, sizeof(b), vc->time_sync_ns), vc->rate_share,
			dur(d, sizeof(d), vc->rate_edge_ns), dur(e, sizeof(e), vc->backoff_min_ns));
		fprintf(f, "%s\n", dur(a, sizeof(a), vc->backoff_max_ns));
		if (!vc->rate_limits)
			fprintf(f, "orderd:   %s: rate_limits = false: orderd does not limit itself "
				"(bench only)%s\n", vc->vo->name,
				vc->mode == KIMP_ORD_LIVE ? "; WARNING: a live venue will ban this"
							  : "");
	}
}

/* ---- keys -------------------------------------------------------------------------- */

/*
 * Read a secret of vc (what: "secret", "passphrase") from file, else from
 * the environment variable env, into buf (one line, the newline dropped):
 * its length or -errno.
 */
static ssize_t secret_read(const struct orderd_venue_conf *vc, const char *what,
			   const char *file, const char *env_name, char *buf, size_t cap,
			   char *err, size_t errlen)
{
	ssize_t n = 0;

	if (file[0]) {
		struct stat sb;
		int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &sb)) {
			int e = -errno;
			ERR("%s: cannot read the %s file %s: %s", vc->vo->name, what, file,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return e;
		}
		if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
			ERR("%s: the %s file %s must be a regular file of mode 0600 or stricter",
			    vc->vo->name, what, file);
			close(fd);
			return -EACCES;
		}
		for (;;) {
			ssize_t r = read(fd, buf + n, cap - 1 - (size_t)n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			n += r;
			if ((size_t)n >= cap - 1)
				break;
		}
		close(fd);
	} else {
		const char *s = getenv(env_name);
		if (!s || !s[0]) {
			ERR("%s is live and has no %s: no %s file and the environment variable %s "
			    "is not set", vc->vo->name, what, what, env_name);
			return -ENOENT;
		}
		n = (ssize_t)strlen(s);
		if ((size_t)n >= cap)
			n = (ssize_t)cap - 1;
		memcpy(buf, s, (size_t)n);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	if (!n) {
		ERR("%s: the %s (%s%s) is empty", vc->vo->name, what, file[0] ? "file " : "$",
		    file[0] ? file : env_name);
		return -EINVAL;
	}
	return n;
}

/* Is a passphrase configured for vc (its file, or its variable set)? */
static bool pass_given(const struct orderd_venue_conf *vc)
{
	const char *s;

	if (vc->pass_file[0])
		return true;
	s = getenv(vc->pass_env);
	return s && s[0];
}

int orderd_keys_load(const struct orderd_conf *c, struct orderd_keys *out, char *err,
		     size_t errlen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = sizeof(struct vo_keys) * KIMP_VENUE_MAX + 4096;
	char *raw;
	int e = 0;

	memset(out, 0, sizeof(*out));
	if (pg <= 0)
		pg = 4096;
	len = (len + (size_t)pg - 1) & ~((size_t)pg - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ERR("keys: mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	out->map_len = len;
	out->k = p;
	if (madvise(p, len, MADV_DONTDUMP))
		fprintf(stderr, "orderd: warning: madvise(MADV_DONTDUMP) on the keys: %s\n",
			strerror(errno));
	if (mlock(p, len))
		fprintf(stderr, "orderd: warning: cannot lock the keys in memory (%s): they may be "
			"swapped out\n", strerror(errno));
	else
		out->locked = true;
	/* the raw secret and passphrase live in the same locked pages, after the keys */
	raw = (char *)p + sizeof(struct vo_keys) * KIMP_VENUE_MAX;
	char *pass = raw + 4096 - VO_PASS_MAX;
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++) {
		const struct orderd_venue_conf *vc = &c->venue[v];
		if (!vc->vo || vc->mode != KIMP_ORD_LIVE)
			continue;
		ssize_t n = secret_read(vc, "secret", vc->secret_file, vc->secret_env, raw,
					4096 - VO_PASS_MAX, err, errlen);
		if (n < 0) {
			e = (int)n;
			break;
		}
		bool hp = pass_given(vc);
		ssize_t pn = hp ? secret_read(vc, "passphrase", vc->pass_file, vc->pass_env, pass,
					      VO_PASS_MAX, err, errlen) : 0;
		if (pn < 0) {
			e = (int)pn;
		} else if (!vc->vo->key_init) {
			ERR("%s: libvenue has no key setup for this venue yet", vc->vo->name);
			e = -ENOSYS;
		} else if ((e = vc->vo->key_init(&out->k[v], vc->api_key, raw, (size_t)n,
						 hp ? pass : NULL))) {
			ERR("%s: the key setup refused the API key, secret or passphrase (%s)%s%s",
			    vc->vo->name, strerror(-e), hp ? "" : "; no passphrase given: a venue "
			    "that needs one takes it from passphrase_file or $",
			    hp ? "" : vc->pass_env);
		}
		explicit_bzero(raw, 4096);
		if (e)
			break;
	}
	explicit_bzero(raw, 4096);
	if (e)
		orderd_keys_free(out);
	return e;
}

void orderd_keys_free(struct orderd_keys *k)
{
	if (!k->k)
		return;
	explicit_bzero(k->k, k->map_len);
	if (k->locked)
		munlock(k->k, k->map_len);
	munmap(k->k, k->map_len);
	memset(k, 0, sizeof(*k));
}
