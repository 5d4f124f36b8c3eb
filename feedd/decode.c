/* SPDX-License-Identifier: MIT */
/*
 * feedd --decode VENUE: raw venue messages in, one per line, normalized
 * events out as JSON lines. An operator's tool for captures and a test hook;
 * a cold path (it formats text freely).
 *
 * Input lines are the messages as the venue sent them, or capture lines
 * ("<ns> <venue> <t|b> <payload>", the format feedd records): those are
 * unescaped first and their receive time is printed too. Symbols are learned
 * as they come: a message naming a symbol not yet known adds it (with the
 * given decimals) and is decoded again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/msg.h"
#include "feedd.h"

/* v / 10^dec as the shortest decimal. */
static void put_fixed(FILE *o, int64_t v, unsigned dec)
{
	char buf[96];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	uint64_t p = 1;
	for (unsigned i = 0; i < dec; i++)
		p *= 10;
	uint64_t ip = u / p, fp = u % p;
	int n = snprintf(buf, sizeof(buf), "%s%" PRIu64, v < 0 ? "-" : "", ip);
	if (fp && dec <= VENUE_DEC_MAX) {
		char f[32];
		snprintf(f, sizeof(f), "%0*" PRIu64, (int)(dec & 31), fp);
		size_t l = strlen(f);
		while (l && f[l - 1] == '0')
			f[--l] = 0;
		snprintf(buf + n, sizeof(buf) - (size_t)n, ".%s", f);
	}
	fprintf(o, "\"%s\"", buf);
}

static void put_levels(FILE *o, const char *key, const struct vd_level *l, uint32_t n,
		       const struct venue_sym *s)
{
	fprintf(o, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n; i++) {
		fputs(i ? ",[" : "[", o);
		put_fixed(o, l[i].px, s->px_dec);
		fputc(',', o);
		put_fixed(o, l[i].qty, s->qty_dec);
		fputc(']', o);
	}
	fputc(']', o);
}

static void put_str(FILE *o, const char *p, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static void put_msg(FILE *o, const struct venue_md *md, const struct venue_symtab *t,
		    const struct vd_msg *m, uint64_t recv_ns)
{
	const struct venue_sym *s = m->sym < t->n ? &t->sym[m->sym] : NULL;

	fprintf(o, "{\"venue\":\"%s\",\"kind\":\"%s\"", md->name, vd_kind_name(m->kind));
	if (s)
		fprintf(o, ",\"symbol\":\"%s\",\"inst\":%u", s->name, s->inst);
	if (recv_ns)
		fprintf(o, ",\"recv_ns\":%" PRIu64, recv_ns);
	if (m->venue_ts_ns)
		fprintf(o, ",\"venue_ts_ns\":%" PRId64, m->venue_ts_ns);
	if (m->snapshot)
		fputs(",\"snapshot\":true", o);
	switch (m->kind) {
	case VD_BOOK:
	case VD_DIFF:
	case VD_SNAPSHOT:
		if (m->kind == VD_DIFF)
			fprintf(o, ",\"first_id\":%" PRIu64, m->first_id);
		if (m->last_id)
			fprintf(o, ",\"last_id\":%" PRIu64, m->last_id);
		if (s) {
			put_levels(o, "bids", m->bids, m->nbids, s);
			put_levels(o, "asks", m->asks, m->nasks, s);
		}
		break;
	case VD_BBO:
		if (m->last_id)
			fprintf(o, ",\"last_id\":%" PRIu64, m->last_id);
		if (s) {
			put_levels(o, "bid", &m->bid, 1, s);
			put_levels(o, "ask", &m->ask, 1, s);
		}
		break;
	case VD_TRADE:
	case VD_TICKER:
		if (m->trade_ts_ns)
			fprintf(o, ",\"trade_ts_ns\":%" PRId64, m->trade_ts_ns);
		if (s) {
			fputs(",\"px\":", o);
			put_fixed(o, m->px, s->px_dec);
			if (m->kind == VD_TRADE) {
				fputs(",\"qty\":", o);
				put_fixed(o, m->qty, s->qty_dec);
			}
			if (m->bid.px || m->ask.px) {
				put_levels(o, "bid", &m->bid, 1, s);
				put_levels(o, "ask", &m->ask, 1, s);
			}
		}
		if (m->kind == VD_TRADE)
			fprintf(o, ",\"trade_id\":%" PRIu64 ",\"aggressor\":\"%s\"", m->trade_id,
				m->aggressor == KIMP_SIDE_BUY	? "buy"
				: m->aggressor == KIMP_SIDE_SELL ? "sell"
								  : "unknown");
		break;
	case VD_CONTROL:
		if (m->req_id)
			fprintf(o, ",\"req_id\":%" PRIu64, m->req_id);
		break;
	case VD_VENUE_ERROR:
		fprintf(o, ",\"code\":%d,\"name\":", m->err_code);
		put_str(o, m->err_name ? m->err_name : "", m->err_name ? m->err_name_len : 0);
		break;
	default:
		break;
	}
	fputs("}\n", o);
}

/* A capture line: "<ns> <venue> <t|b> <payload>" unescaped in place. */
static bool capture_line(char *line, size_t *len, uint64_t *ns, char **payload)
{
	char *p = line, *end;
	if (*p < '0' || *p > '9')
		return false;
	unsigned long long v = strtoull(p, &end, 10);
	if (*end != ' ')
		return false;
	p = end + 1;
	size_t vl = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_-");
	if (!vl || p[vl] != ' ' || (p[vl + 1] != 't' && p[vl + 1] != 'b') || p[vl + 2] != ' ')
		return false;
	p += vl + 3;
	char *w = p;
	for (char *r = p; r < line + *len; r++) {
		if (*r == '\\' && r + 1 < line + *len) {
			r++;
			*w++ = *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
		} else {
			*w++ = *r;
		}
	}
	*len = (size_t)(w - p);
	*ns = v;
	*payload = p;
	return true;
}

int feedd_decode_stream(const char *venue, FILE *in, FILE *out, unsigned px_dec,
			unsigned qty_dec, char *err, size_t errlen)
{
	const struct venue_md *md = venue_md_by_name(venue);
	struct venue_symtab *t = NULL;
	struct vd_msg m = { 0 };
	uint64_t nlines = 0, nok = 0, nerr[VD_E_MAX] = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	if (!md || !md->decode) {
		char known[128];
		snprintf(err, errlen, "unknown venue '%s' (known: %s)", venue,
			 venue_md_names(known, sizeof(known)));
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	m.cap = 65536;
	m.bids = calloc(m.cap, sizeof(*m.bids));
	m.asks = calloc(m.cap, sizeof(*m.asks));
	if (!t || !m.bids || !m.asks) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	venue_symtab_init(t, (enum kimp_venue)md->venue);
	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;
		uint64_t recv_ns = 0;
		char *payload = line;
		nlines++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (!len || line[0] == '#')
			continue;
		capture_line(line, &len, &recv_ns, &payload);
		int e;
		for (int tries = 0;; tries++) {
			vd_msg_reset(&m);
			e = md->decode(t, (const uint8_t *)payload, len, &m);
			if (e != -VD_E_SYMBOL || tries || !m.sym_name || !md->split)
				break;
			char base[16], quote[16];
			if (md->split(m.sym_name, m.sym_name_len, base, quote, sizeof(base)) ||
			    venue_symtab_add(t, base, quote, (uint8_t)px_dec, (uint8_t)qty_dec,
					     t->n + 1) < 0)
				break;
		}
		if (e) {
			unsigned k = (unsigned)-e;
			nerr[k < VD_E_MAX ? k : 0]++;
			fprintf(out, "{\"venue\":\"%s\",\"error\":\"%s\",\"line\":%" PRIu64 "}\n",
				md->name, vd_err_name(k), nlines);
			continue;
		}
		nok++;
		put_msg(out, md, t, &m, recv_ns);
	}
	fprintf(stderr, "feedd --decode %s: %" PRIu64 " lines, %" PRIu64 " decoded", md->name,
		nlines, nok);
	for (unsigned k = 1; k < VD_E_MAX; k++)
		if (nerr[k])
			fprintf(stderr, ", %" PRIu64 " %s errors", nerr[k], vd_err_name(k));
	fputc('\n', stderr);
out:
	free(line);
	free(t);
	free(m.bids);
	free(m.asks);
	return ret;
}
