/* SPDX-License-Identifier: MIT */
/*
 * Small pieces exsim's global venues share (venue_binance.c,
 * venue_bybit.c): JSON member writers over struct jw, the per-account
 * HMAC-SHA256 key made on first use and the hex signature check, client
 * order id characters, the reference (mid) price of an instrument, the
 * 16-aligned carve of a venue's one allocation, and the start hook that
 * shows the first books.
 *
 * Ownership: writers write into the caller's struct jw; keys live in the
 * caller's venue state (an array per account). Nothing here allocates,
 * locks or makes a system call; the writers are static inline (they sit
 * on every message a venue formats).
 */
#ifndef KIMP_SIM_VENUE_UTIL_H
#define KIMP_SIM_VENUE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "kimp/compiler.h"
#include "kimp/sign.h"
#include "server.h"

/* ---- JSON members ------------------------------------------------------------ */

/* "12.5": a quoted shortest decimal (Bybit's and OKX's numbers). */
static inline void w_num(struct jw *w, sim_fx v)
{
	jw_raw(w, "\"", 1);
	jw_fx_short(w, v);
	jw_raw(w, "\"", 1);
}

/* ,"k":"12.5" */
static inline void w_knum(struct jw *w, const char *k, sim_fx v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	w_num(w, v);
}

/* ,"k":"<escaped s>" */
static inline void w_kstr(struct jw *w, const char *k, const char *s)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_str(w, s);
}

/* ,"k":<u64> */
static inline void w_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_u64(w, v);
}

/* ,"k":"<u64>" (times and ids written as strings) */
static inline void w_ku64s(struct jw *w, const char *k, uint64_t v)
{
	jw_raw(w, ",", 1);
	jw_key(w, k);
	jw_raw(w, "\"", 1);
	jw_u64(w, v);
	jw_raw(w, "\"", 1);
}

/* ---- auth ------------------------------------------------------------------- */

/*
 * The HMAC-SHA256 key of account a, made into *hk on first use (*ok says
 * it is): hk, or NULL where the secret is refused. hk and ok are the
 * caller's (its venue state's per-account arrays).
 */
static inline const struct venue_hmac_key *sv_acct_key(struct venue_hmac_key *hk, bool *ok,
						       const struct sim_account *a)
{
	if (!*ok) {
		if (venue_hmac_key_init(hk, VENUE_SHA256, a->secret, a->secret_len))
			return NULL;
		*ok = true;
	}
	return hk;
}

/* sig[0..siglen) (hex, any case) is HMAC-SHA256 of iov[0..n) under k (NULL: no key, false). */
bool sv_sig_match_hex256(const struct venue_hmac_key *k, const struct iovec *iov, unsigned n,
			 const char *sig, size_t siglen);

/* A client order id: 1..max of [A-Za-z0-9_-]. */
static inline bool sv_cid_ok(const char *s, size_t n, size_t max)
{
	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* ---- books and setup --------------------------------------------------------- */

/* The reference price of a price band and of market notional: the mid (else a side, the last). */
static inline sim_fx sv_ref_px(const struct sim_inst *in)
{
	const struct sim_book_side *b = &in->book.side[SIM_BID], *a = &in->book.side[SIM_ASK];

	if (b->n && a->n)
		return (b->lv[0].px + a->lv[0].px) / 2;
	if (b->n || a->n)
		return b->n ? b->lv[0].px : a->lv[0].px;
	return in->last_px;
}

/* Carve n bytes (16-aligned) from *p, which moves past them. */
static inline void *sv_carve(char **p, size_t n)
{
	void *r = *p;

	*p += (n + 15) & ~(size_t)15;
	return r;
}

/*
 * A venue's start hook (struct sim_venue_ops.start): the first books, as a
 * REST snapshot shows them before any diff (no fault has skewed the clock
 * yet).
 */
void sv_start_views(struct sim_venue *v);

#endif /* KIMP_SIM_VENUE_UTIL_H */
