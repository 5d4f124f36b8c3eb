/* SPDX-License-Identifier: MIT */
/*
 * The libvenue fuzz targets' common part: symbol tables like the engine's
 * (the fixtures' instruments at several scales, so "finer than the scale"
 * is reachable) and the checks of a decoded struct vd_msg / struct vo_event
 * against what venue.h and venue_ord.h promise.
 */
#ifndef KIMP_FUZZ_VENUE_H
#define KIMP_FUZZ_VENUE_H

#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "fuzz.h"

#define FUZZ_LV 64      /* levels each of bids/asks can hold at most */

/* A level capacity picked by a selector (0..7): the boundaries included. */
static inline uint32_t fuzz_cap(unsigned sel)
{
	static const uint32_t caps[8] = { FUZZ_LV, 0, 1, 2, 5, 10, 20, 30 };

	return caps[sel & 7];
}

static inline void fuzz_tab_upbit(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_UPBIT);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "KRW", 0, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "KRW", 2, 8, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "XRP", "KRW", 4, 4, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "USDT", "KRW", 1, 2, 4) == 3);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "BTC", 8, 8, 5) == 4);
}

static inline void fuzz_tab_binance(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_BINANCE);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "USDT", 2, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "BNB", "USDT", 8, 8, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "BNB", "BTC", 8, 3, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "USDT", 2, 4, 4) == 3);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "BTC", 5, 3, 5) == 4);
}

/* What a decoder returned for p[0..len) into m, with tab t and venue v. */
/*
 * A decoder's message before a decode: poisoned (fields the decoder leaves
 * alone are caught by the checks), with the caller's level arrays and the
 * capacity byte 0 of the input picks (fuzz_cap).
 */
static inline void fuzz_vd_msg(struct vd_msg *m, struct vd_level *bids, struct vd_level *asks,
			       uint8_t sel)
{
	memset(m, 0x5a, sizeof(*m));
	m->bids = bids;
	m->asks = asks;
	m->cap = fuzz_cap(sel);
}

static inline void fuzz_vd_check(int r, const struct vd_msg *m, const struct venue_symtab *t,
				 unsigned v, const uint8_t *p, size_t len)
{
	FUZZ_CHECK(r <= 0 && -r < VD_E_MAX);
	FUZZ_CHECK(fuzz_inside(m->sym_name, m->sym_name_len, p, len));
	if (r)
		return;
	FUZZ_CHECK(m->kind > VD_NONE && m->kind < VD_KIND_MAX);
	FUZZ_CHECK(m->venue == v);
	FUZZ_CHECK(m->nbids <= m->cap && m->nasks <= m->cap);
	FUZZ_CHECK(m->sym == VENUE_SYM_NONE || m->sym < t->n);
	FUZZ_CHECK(fuzz_inside(m->err_name, m->err_name_len, p, len));
	switch (m->kind) {
	case VD_BOOK:
	case VD_SNAPSHOT:
		/* padded empty levels are dropped: every level is a real one */
		for (uint32_t i = 0; i < m->nbids; i++)
			FUZZ_CHECK(m->bids[i].px > 0 && m->bids[i].qty > 0);
		for (uint32_t i = 0; i < m->nasks; i++)
			FUZZ_CHECK(m->asks[i].px > 0 && m->asks[i].qty > 0);
		FUZZ_CHECK(m->sym < t->n);
		break;
	case VD_DIFF:
		for (uint32_t i = 0; i < m->nbids; i++)
			FUZZ_CHECK(m->bids[i].px > 0 && m->bids[i].qty >= 0);
		for (uint32_t i = 0; i < m->nasks; i++)
			FUZZ_CHECK(m->asks[i].px > 0 && m->asks[i].qty >= 0);
		FUZZ_CHECK(m->sym < t->n);
		break;
	case VD_BBO:
	case VD_TRADE:
	case VD_TICKER:
		FUZZ_CHECK(m->sym < t->n);
		break;
	default:
		break;
	}
}

/* What an order-entry parser returned for body[0..len) into ev. */
static inline void fuzz_vo_check(int r, const struct vo_event *ev, const struct vo_ctx *c,
				 const uint8_t *body, size_t len)
{
	FUZZ_CHECK(r <= 0 && -r < VD_E_MAX);
	if (r)
		return;
	FUZZ_CHECK(ev->kind > VO_EV_NONE && ev->kind < VO_EV_KIND_MAX);
	FUZZ_CHECK(memchr(ev->oid, 0, sizeof(ev->oid)) != NULL);
	FUZZ_CHECK(ev->sym == VENUE_SYM_NONE || ev->sym < c->syms->n);
	FUZZ_CHECK(fuzz_inside(ev->msg, ev->msg_len, body, len));
	FUZZ_CHECK(ev->rate.n <= VO_RATE_OBS);
	for (unsigned i = 0; i < ev->rate.n; i++)
		FUZZ_CHECK(ev->rate.v[i].rule < c->vo->nrates);
	if (ev->kind == VO_EV_ERROR)
		FUZZ_CHECK(ev->outcome <= VO_OUT_CANCEL_REJECTED);
}

#endif
