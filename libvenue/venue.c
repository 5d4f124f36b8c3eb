/* SPDX-License-Identifier: MIT */
/*
 * The venue registry, symbol tables and the names of decoder kinds and
 * errors (kimp/venue.h), and the book status names (kimp/book.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "kimp/book.h"
#include "kimp/venue.h"
#include "jscan.h"

static const struct venue_md *const venues[] = {
	&venue_md_upbit,
	&venue_md_bithumb,
	&venue_md_coinone,
	&venue_md_binance,
	&venue_md_bybit,
	&venue_md_okx,
};

int venue_fixed(const char *s, unsigned dec, int64_t *out)
{
	if (!s || !*s || dec > VENUE_DEC_MAX)
		return -EINVAL;
	return js_fixed_str(s, strlen(s), dec, out) ? -EINVAL : 0;
}

const struct venue_md *venue_md_get(enum kimp_venue v)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(venues); i++)
		if (venues[i]->venue == v && venues[i]->decode)
			return venues[i];
	return NULL;
}

const struct venue_md *venue_md_by_name(const char *name)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(venues); i++)
		if (!strcmp(venues[i]->name, name) && venues[i]->decode)
			return venues[i];
	return NULL;
}

const char *venue_md_names(char *buf, size_t cap)
{
	size_t n = 0;

	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(venues); i++) {
		if (!venues[i]->decode || n >= cap)
			continue;
		int k = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", venues[i]->name);
		n = k < 0 ? cap : n + (size_t)k;
	}
	return buf;
}

static uint32_t sym_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)p[i];
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		h = (h ^ c) * 16777619u;
	}
	return h;
}

void venue_symtab_init(struct venue_symtab *t, enum kimp_venue v)
{
	memset(t, 0, sizeof(*t));
	t->venue = (uint8_t)v;
}

uint32_t venue_symtab_find(const struct venue_symtab *t, const char *name, size_t len)
{
	const uint32_t mask = KIMP_ARRAY_SIZE(t->hash) - 1;
	if (!len || len >= VENUE_SYM_MAX)
		return VENUE_SYM_NONE;
	for (uint32_t h = sym_hash(name, len) & mask;; h = (h + 1) & mask) {
		uint16_t e = t->hash[h];
		if (!e)
			return VENUE_SYM_NONE;
		const struct venue_sym *s = &t->sym[e - 1];
		/* the spelling stored is the venue's payload spelling: memcmp
		 * first, case-folded only for stream names */
		if (!s->name[len] && (!memcmp(s->name, name, len) ||
				      !strncasecmp(s->name, name, len)))
			return e - 1u;
	}
}

int venue_symtab_add(struct venue_symtab *t, const char *base, const char *quote,
		     uint8_t px_dec, uint8_t qty_dec, uint32_t inst)
{
	const struct venue_md *md = venue_md_get(t->venue);
	const uint32_t mask = KIMP_ARRAY_SIZE(t->hash) - 1;
	char name[VENUE_SYM_MAX];

	if (!md || !md->symbol || px_dec > VENUE_DEC_MAX || qty_dec > VENUE_DEC_MAX)
		return -EINVAL;
	if (strlen(base) >= sizeof(t->sym[0].base) || strlen(quote) >= sizeof(t->sym[0].quote))
		return -EINVAL;
	int n = md->symbol(base, quote, name, sizeof(name));
	if (n < 0)
		return n == -ENOSPC ? -EINVAL : n;
	if (venue_symtab_find(t, name, (size_t)n) != VENUE_SYM_NONE)
		return -EEXIST;
	if (t->n >= VENUE_SYMS_MAX)
		return -ENOSPC;
	struct venue_sym *s = &t->sym[t->n];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, (size_t)n + 1);
	strcpy(s->base, base);
	strcpy(s->quote, quote);
	s->px_dec = px_dec;
	s->qty_dec = qty_dec;
	s->inst = inst;
	uint32_t h = sym_hash(name, (size_t)n) & mask;
	while (t->hash[h])
		h = (h + 1) & mask;
	t->hash[h] = (uint16_t)(t->n + 1);
	return (int)t->n++;
}

const char *vd_kind_name(unsigned kind)
{
	static const char *const names[VD_KIND_MAX] = {
		[VD_NONE] = "none", [VD_BOOK] = "book", [VD_DIFF] = "diff",
		[VD_SNAPSHOT] = "snapshot", [VD_BBO] = "bbo", [VD_TRADE] = "trade",
		[VD_TICKER] = "ticker", [VD_CONTROL] = "control",
		[VD_SHUTDOWN] = "shutdown", [VD_VENUE_ERROR] = "venue_error",
	};
	return kind < VD_KIND_MAX ? names[kind] : "?";
}

const char *vd_err_name(unsigned err)
{
	static const char *const names[VD_E_MAX] = {
		[VD_OK] = "ok", [VD_E_SYNTAX] = "syntax", [VD_E_SHAPE] = "shape",
		[VD_E_NUMBER] = "number", [VD_E_SYMBOL] = "symbol", [VD_E_TYPE] = "type",
		[VD_E_DEPTH] = "depth",
	};
	return err < VD_E_MAX ? names[err] : "?";
}

const char *kimp_book_status_name(unsigned status)
{
	switch (status) {
	case KIMP_BOOK_EMPTY: return "empty";
	case KIMP_BOOK_LIVE: return "live";
	case KIMP_BOOK_STALE: return "stale";
	case KIMP_BOOK_RESYNCING: return "resyncing";
	}
	return "?";
}

const char *kimp_book_reason_name(unsigned reason)
{
	static const char *const names[KIMP_BOOK_R_MAX] = {
		[KIMP_BOOK_R_NONE] = "none", [KIMP_BOOK_R_START] = "start",
		[KIMP_BOOK_R_FEED_DOWN] = "feed_down", [KIMP_BOOK_R_GAP] = "gap",
		[KIMP_BOOK_R_CROSSED] = "crossed", [KIMP_BOOK_R_QUIET] = "quiet",
		[KIMP_BOOK_R_RECONNECT] = "reconnect", [KIMP_BOOK_R_SNAPSHOT] = "snapshot",
	};
	return reason < KIMP_BOOK_R_MAX ? names[reason] : "?";
}
