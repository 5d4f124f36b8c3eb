/* SPDX-License-Identifier: MIT */
/*
 * OKX v5 spot market data (shared/docs/venues/exchanges-global.md 3.1, 3.2,
 * 3.6 and 4): the venue's facts, its symbols (BTC-USDT), the subscribe and
 * unsubscribe requests sent on /ws/v5/public, the REST book target, the
 * decoders of its public messages and of the REST book, and its book
 * checksum (CRC32 of the top 25 levels a side, as a signed int32).
 *
 * Decoded (text frames; keys in any order):
 *   {"arg":{"channel","instId"},"action","data":[{...}]}
 *     books, books-l2-tbt, books50-l2-tbt   snapshot  VD_BOOK (snapshot = 1)
 *                                           update    VD_DIFF
 *     books5                                          VD_BOOK (snapshot = 1)
 *     bbo-tbt                                         VD_BBO
 *     trades                                          VD_TRADE (the newest)
 *     tickers                                         VD_TICKER
 *   {"event":"subscribe"|"unsubscribe"|"login"|"channel-conn-count",...}
 *                                                     VD_CONTROL
 *   {"event":"notice","code":"64008",...}             VD_SHUTDOWN
 *   {"event":"error"|"channel-conn-count-error",...}  VD_VENUE_ERROR
 *   pong (the bare text answer to our text ping)      VD_CONTROL
 *
 * Book sequence: a snapshot's last_id = first_id = seqId; an update's
 * first_id = prevSeqId + 1, last_id = seqId, so feedd's generic rule
 * (first_id <= local + 1 <= last_id continues; last_id <= local is stale)
 * follows OKX's chain prevSeqId == local. The idle heartbeat (prevSeqId ==
 * seqId, no levels) is a VD_DIFF with no levels and first_id = last_id + 1:
 * stale when the book is at seqId, a gap when it is behind (it is). A
 * maintenance reset (seqId < prevSeqId) sets vd_msg.resync. Messages of
 * captures older than the seqId fields (2022) carry ids 0.
 *
 * Keys may come in any order: when "data" comes before "arg" (not the
 * venue's order), its slice is checked by js_skip and read once the
 * channel and symbol are known. Levels are read in the venue's order
 * (zero sizes kept) and, for a whole book, then checked (asks strictly up,
 * bids strictly down) and compacted (zero sizes dropped), so "action" may
 * come after "data" too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/venue.h"
#include "kimp/venue_ord.h"
#include "jscan.h"

#define OK_NS_PER_S     1000000000ull
#define OK_BOOKS_MAX    29u        /* deep-book channels a connection: "under 30" [3.2] */
#define OK_SNAPSHOT_MAX 400u       /* /api/v5/market/books sz <= 400 */
#define OK_CHECK_DEPTH  25u

/* ---- symbols ------------------------------------------------------------- */

static bool ok_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return n > 0;
}

/* BTC-USDT for base BTC, quote USDT: upper-case letters and digits. */
static int ok_symbol(const char *base, const char *quote, char *out, size_t cap)
{
	size_t nb, nq;

	if (!base || !quote || !out)
		return -EINVAL;
	nb = strlen(base);
	nq = strlen(quote);
	if (!ok_word(base, nb) || !ok_word(quote, nq))
		return -EINVAL;
	if (nb + 1 + nq >= cap || nb + 1 + nq > INT_MAX)
		return -ENOSPC;
	memcpy(out, base, nb);
	out[nb] = '-';
	memcpy(out + nb + 1, quote, nq);
	out[nb + 1 + nq] = '\0';
	return (int)(nb + 1 + nq);
}

/* BTC-USDT -> BTC, USDT (each cap bytes with its NUL); one dash only. */
static int ok_split(const char *name, size_t len, char *base, char *quote, size_t cap)
{
	const char *dash;
	size_t nb, nq;

	if (!name || !base || !quote)
		return -EINVAL;
	dash = memchr(name, '-', len);
	if (!dash)
		return -EINVAL;
	nb = (size_t)(dash - name);
	nq = len - nb - 1;
	if (nb >= cap || nq >= cap || !ok_word(name, nb) || !ok_word(dash + 1, nq))
		return -EINVAL;
	memcpy(base, name, nb);
	base[nb] = '\0';
	memcpy(quote, dash + 1, nq);
	quote[nq] = '\0';
	return 0;
}

/* ---- requests ------------------------------------------------------------ */

/* An output buffer that counts what did not fit. */
struct ok_out {
	char *p;
	size_t len, cap;
};

static void ok_put(struct ok_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

#define OK_LIT(o, lit) ok_put(o, lit, sizeof(lit) - 1)

static int ok_out_end(struct ok_out *o)
{
	if (o->len >= o->cap || o->len > INT_MAX)
		return -ENOSPC;
	o->p[o->len] = '\0';
	return (int)o->len;
}

/* Every channel is asked for in the subscribe message: one public path. */
static kimp_cold int ok_ws_target(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
				  const struct venue_sub *sub, char *out, size_t cap)
{
	static const char target[] = "/ws/v5/public";

	if (!t || !syms || !sub || !out || !n)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return -EINVAL;
	if (sub->book && n > OK_BOOKS_MAX)
		return -E2BIG;
	if (cap < sizeof(target))
		return -ENOSPC;
	memcpy(out, target, sizeof(target));
	return (int)sizeof(target) - 1;
}

/*
 * The book channel sub asks for: depth 0 or 400 "books" (100 ms) or, at
 * speed 10, "books-l2-tbt"; depth 50 "books50-l2-tbt" (10 ms; both tbt
 * channels need VIP4); depth 5 "books5"; depth 1 "bbo-tbt". NULL: none
 * the venue has.
 */
static const char *ok_book_channel(const struct venue_sub *sub)
{
	const bool fast = sub->speed_ms == 10;

	if (sub->speed_ms && sub->speed_ms != 10 && sub->speed_ms != 100)
		return NULL;
	switch (sub->depth) {
	case 0:
	case 400:
		return fast ? "books-l2-tbt" : "books";
	case 50:
		return fast ? "books50-l2-tbt" : NULL;
	case 5:
		return "books5";
	case 1:
		return "bbo-tbt";
	}
	return NULL;
}

static void ok_put_u64(struct ok_out *o, uint64_t v)
{
	char d[24];

	ok_put(o, d, (size_t)vo_put_u64(d, v));
}

static void ok_arg(struct ok_out *o, bool *first, const char *chan, const char *inst)
{
	if (!*first)
		OK_LIT(o, ",");
	*first = false;
	OK_LIT(o, "{\"channel\":\"");
	ok_put(o, chan, strlen(chan));
	OK_LIT(o, "\",\"instId\":\"");
	ok_put(o, inst, strlen(inst));
	OK_LIT(o, "\"}");
}

/*
 * {"id":"<ticket>","op":"subscribe"|"unsubscribe","args":[{"channel","instId"},...]}
 * (no id for ticket 0). One message carries every channel of syms (the
 * 64 KB args limit is far: OK_BOOKS_MAX symbols of four channels).
 */
static int ok_request(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
		      const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
		      size_t cap, bool unsub)
{
	struct ok_out o = { .p = out, .cap = cap };
	const char *book = NULL;
	bool first = true;

	if (!t || !syms || !sub || !out || !n)
		return -EINVAL;
	if (unsub ? !sub->book : !(sub->book || sub->bbo || sub->trades || sub->ticker))
		return -EINVAL;
	if (sub->book && !(book = ok_book_channel(sub)))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (syms[i] >= t->n)
			return -EINVAL;
	if (sub->book && n > OK_BOOKS_MAX)
		return -E2BIG;
	if (part) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	OK_LIT(&o, "{");
	if (ticket) {
		OK_LIT(&o, "\"id\":\"");
		ok_put_u64(&o, ticket);
		OK_LIT(&o, "\",");
	}
	if (unsub)
		OK_LIT(&o, "\"op\":\"unsubscribe\",\"args\":[");
	else
		OK_LIT(&o, "\"op\":\"subscribe\",\"args\":[");
	for (uint32_t i = 0; i < n; i++) {
		const char *name = t->sym[syms[i]].name;

		if (book)
			ok_arg(&o, &first, book, name);
		if (unsub)
			continue;
		/* bbo-tbt is the book channel itself at depth 1 */
		if (sub->bbo && !(book && sub->depth == 1))
			ok_arg(&o, &first, "bbo-tbt", name);
		if (sub->trades)
			ok_arg(&o, &first, "trades", name);
		if (sub->ticker)
			ok_arg(&o, &first, "tickers", name);
	}
	OK_LIT(&o, "]}");
	return ok_out_end(&o);
}

static kimp_cold int ok_ws_subscribe(const struct venue_symtab *t, const uint32_t *syms,
				     uint32_t n, const struct venue_sub *sub, uint64_t ticket,
				     unsigned part, char *out, size_t cap)
{
	return ok_request(t, syms, n, sub, ticket, part, out, cap, false);
}

/* The book channel of syms only: feedd subscribes it again for a new snapshot. */
static kimp_cold int ok_ws_unsubscribe(const struct venue_symtab *t, const uint32_t *syms,
				       uint32_t n, const struct venue_sub *sub, uint64_t ticket,
				       unsigned part, char *out, size_t cap)
{
	return ok_request(t, syms, n, sub, ticket, part, out, cap, true);
}

/* /api/v5/market/books?instId=BTC-USDT&sz=400 (limit 0: snapshot_limit). */
static kimp_cold int ok_snapshot_target(const struct venue_symtab *t, uint32_t sym,
					uint32_t limit, char *out, size_t cap)
{
	int n;

	if (!t || !out || sym >= t->n || limit > OK_SNAPSHOT_MAX)
		return -EINVAL;
	if (!limit)
		limit = OK_SNAPSHOT_MAX;
	n = snprintf(out, cap, "/api/v5/market/books?instId=%s&sz=%u", t->sym[sym].name, limit);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= cap ? -ENOSPC : n;
}

/* ---- checksum ------------------------------------------------------------ */

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32. */
static const uint32_t ok_crc_tab[256] = {
	0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
	0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
	0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
	0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
	0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
	0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
	0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
	0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
	0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
	0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
	0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
	0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
	0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
	0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
	0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
	0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
	0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
	0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
	0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
	0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
	0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
	0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
	0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
	0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
	0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
	0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
	0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
	0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
	0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
	0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
	0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
	0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
	0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
	0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
	0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
	0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
	0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
	0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
	0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
	0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
	0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
	0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
	0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

static uint32_t ok_crc(uint32_t crc, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crc = ok_crc_tab[(crc ^ (uint8_t)p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

/* One number as OKX prints it (the shortest decimal), with ':' before all but the first. */
static uint32_t ok_crc_num(uint32_t crc, bool *first, int64_t v, unsigned dec)
{
	char t[32];
	int n = vo_put_fixed(t, v, dec);

	if (!*first)
		crc = ok_crc(crc, ":", 1);
	*first = false;
	return ok_crc(crc, t, (size_t)n);
}

/*
 * bidPx:bidSz:askPx:askSz:... over the top 25 of each side (a shorter side
 * just ends; the other goes on), CRC-32 read as a signed int32 [3.2].
 * Written straight into the CRC, number by number: no string is built.
 */
static int32_t ok_book_checksum(const struct vd_level *bids, uint32_t nb,
				const struct vd_level *asks, uint32_t na, unsigned px_dec,
				unsigned qty_dec)
{
	uint32_t crc = 0xffffffffu;
	bool first = true;

	if (nb > OK_CHECK_DEPTH)
		nb = OK_CHECK_DEPTH;
	if (na > OK_CHECK_DEPTH)
		na = OK_CHECK_DEPTH;
	for (uint32_t i = 0; i < nb || i < na; i++) {
		if (i < nb) {
			crc = ok_crc_num(crc, &first, bids[i].px, px_dec);
			crc = ok_crc_num(crc, &first, bids[i].qty, qty_dec);
		}
		if (i < na) {
			crc = ok_crc_num(crc, &first, asks[i].px, px_dec);
			crc = ok_crc_num(crc, &first, asks[i].qty, qty_dec);
		}
	}
	return (int32_t)(crc ^ 0xffffffffu);
}

/* ---- decoder --------------------------------------------------------------- */

enum ok_chan {
	OC_NONE = 0,
	OC_BOOKS,        /* books, books-l2-tbt, books50-l2-tbt: snapshot + updates */
	OC_BOOKS5,       /* whole top 5 every time */
	OC_BBO,          /* bbo-tbt */
	OC_TRADES,
	OC_TICKERS,
};

/* What one data element held. */
struct ok_elem {
	uint32_t seen;               /* 1 << enum ok_dk */
	int64_t prev, seq;
	uint32_t nb, na;
	struct vd_level bbo[2];      /* bbo-tbt: [0] bid, [1] ask */
};

/* One message being decoded. */
struct ok_dec {
	const struct venue_symtab *t;
	struct vd_msg *m;
	const struct venue_sym *sym;
	uint8_t chan;            /* enum ok_chan */
	uint8_t action;          /* 0 none, 1 snapshot, 2 update */
	bool has_arg;
	bool has_sym_err;        /* arg's instId is not in the table */
	bool has_data;           /* data was read (ok_data) */
	struct ok_elem *e;       /* what the (last) data element held */
};

/* A value of the wrong type: VD_E_SHAPE, or VD_E_SYNTAX if it is broken. */
static kimp_cold int ok_wrong(struct js *j)
{
	int err = js_skip(j);

	return err ? err : -VD_E_SHAPE;
}

static inline int ok_str(struct js *j, struct js_str *s)
{
	if (kimp_likely(js_peek(j) == '"'))
		return js_string(j, s);
	return ok_wrong(j);
}

/* A price or size at dec: not negative; prices (pos) above 0. */
static inline int ok_fixed(struct js *j, unsigned dec, bool pos, int64_t *v)
{
	int err;

	js_ws(j);
	err = js_fixed_inline(j, dec, v);
	if (kimp_unlikely(!err && (*v < 0 || (pos && !*v))))
		err = -VD_E_NUMBER;
	return err;
}

/* The same, where the venue may send "" for none (tickers' empty book side): 0. */
static int ok_fixed_opt(struct js *j, unsigned dec, int64_t *v)
{
	js_ws(j);
	if (j->end - j->p >= 2 && j->p[0] == '"' && j->p[1] == '"') {
		j->p += 2;
		*v = 0;
		return 0;
	}
	return ok_fixed(j, dec, false, v);
}

static int ok_i64(struct js *j, int64_t *v)
{
	int c = js_peek(j);

	if (c != '"' && c != '-' && !js_is_digit((uint8_t)c))
		return ok_wrong(j);
	return js_i64(j, v);
}

/* An int32 code, bare or quoted ("60012"). */
static int ok_code(struct js *j, int32_t *out)
{
	int64_t v;
	int err = ok_i64(j, &v);

	if (err)
		return err;
	if (v < INT32_MIN || v > INT32_MAX)
		return -VD_E_NUMBER;
	*out = (int32_t)v;
	return 0;
}

/* "id": our decimal request id, else (the venue takes any alphanumerics) 0. */
static int ok_req_id(struct js *j, uint64_t *out)
{
	struct js_str s;
	uint64_t v = 0;
	int err = ok_str(j, &s);

	if (err)
		return err;
	*out = 0;
	if (!s.len || s.len > 20)
		return 0;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(s.p[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int ok_set_sym(struct ok_dec *d, const struct js_str *s)
{
	uint32_t i;

	d->m->sym_name = s->p;
	d->m->sym_name_len = s->len;
	i = s->escaped ? VENUE_SYM_NONE : venue_symtab_find(d->t, s->p, s->len);
	if (i == VENUE_SYM_NONE)
		return -VD_E_SYMBOL;
	d->m->sym = i;
	d->sym = &d->t->sym[i];
	return 0;
}

static int ok_channel(struct ok_dec *d, const struct js_str *s)
{
	if (JS_IS(s, "books") || JS_IS(s, "books-l2-tbt") || JS_IS(s, "books50-l2-tbt"))
		d->chan = OC_BOOKS;
	else if (JS_IS(s, "books5"))
		d->chan = OC_BOOKS5;
	else if (JS_IS(s, "bbo-tbt"))
		d->chan = OC_BBO;
	else if (JS_IS(s, "trades"))
		d->chan = OC_TRADES;
	else if (JS_IS(s, "tickers"))
		d->chan = OC_TICKERS;
	else
		return -VD_E_TYPE;   /* books-rpi, candles, private channels... */
	return 0;
}

/*
 * "arg":{"channel":..,"instId":..}: the channel and the symbol. An
 * instrument not in the table is VD_E_SYMBOL, reported once the message
 * is known to be well-formed (sym_name names it).
 */
static int ok_arg_obj(struct ok_dec *d, struct js *j, bool need)
{
	struct js_str k, s, inst = { 0 }, chan = { 0 };
	bool first = true, done, has_chan = false, has_inst = false;
	int err;

	if (js_peek(j) != '{')
		return ok_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		if (JS_IS(&k, "channel") || JS_IS(&k, "instId")) {
			bool *has = k.len == 7 ? &has_chan : &has_inst;
			if (*has)
				return -VD_E_SHAPE;
			*has = true;
			if ((err = ok_str(j, &s)))
				return err;
			if (k.len == 7)
				chan = s;
			else
				inst = s;
		} else if ((err = js_skip(j))) {
			return err;
		}
	}
	if (!need)
		return 0;
	if (!has_chan || !has_inst)
		return -VD_E_SHAPE;
	if ((err = ok_channel(d, &chan)))
		return err;
	d->has_arg = true;
	if (ok_set_sym(d, &inst))
		d->has_sym_err = true;
	return 0;
}

/*
 * [["px","sz","0","orders"],...] into out[0..cap) in the venue's order:
 * prices above 0, sizes not negative; what follows the size is checked
 * and skipped. More levels than cap: VD_E_DEPTH.
 */
static int ok_levels(struct js *j, unsigned pd, unsigned qd, struct vd_level *out, uint32_t cap,
		     uint32_t *np)
{
	bool first = true, done;
	uint32_t n = 0;
	int err;

	if (kimp_unlikely(js_peek(j) != '['))
		return ok_wrong(j);
	j->p++;
	for (;;) {
		struct vd_level l;
		bool f2 = false, d2;

		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (kimp_unlikely(js_peek(j) != '['))
			return ok_wrong(j);
		j->p++;
		if ((err = ok_fixed(j, pd, true, &l.px)))
			return err;
		if (kimp_unlikely(!js_accept(j, ',')))
			return js_peek(j) == ']' ? -VD_E_SHAPE : -VD_E_SYNTAX;
		if ((err = ok_fixed(j, qd, false, &l.qty)))
			return err;
		for (;;) {   /* the deprecated "0" and the order count */
			if ((err = js_elem(j, &f2, &d2)))
				return err;
			if (d2)
				break;
			if ((err = js_skip(j)))
				return err;
		}
		if (kimp_unlikely(n >= cap))
			return -VD_E_DEPTH;
		out[n++] = l;
	}
	*np = n;
	return 0;
}

/*
 * A whole side best first: zero sizes dropped, prices strictly falling
 * (bids) or rising (asks), else VD_E_SHAPE.
 */
static int ok_compact(struct vd_level *l, uint32_t *np, bool bids)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < *np; i++) {
		if (!l[i].qty)
			continue;
		if (n && (bids ? l[i].px >= l[n - 1].px : l[i].px <= l[n - 1].px))
			return -VD_E_SHAPE;
		l[n++] = l[i];
	}
	*np = n;
	return 0;
}

/* Keys of a data element. */
enum ok_dk {
	DK_ASKS, DK_BIDS, DK_TS, DK_CHECKSUM, DK_PREV, DK_SEQ, DK_INST, DK_TID, DK_PX, DK_SZ,
	DK_SIDE, DK_LAST, DK_BIDPX, DK_BIDSZ, DK_ASKPX, DK_ASKSZ, DK_OTHER
};

static unsigned ok_dkey(const struct js_str *k)
{
	if (k->escaped)
		return DK_OTHER;
	switch (k->len) {
	case 2:
		return JS_IS(k, "ts") ? DK_TS : JS_IS(k, "px") ? DK_PX : JS_IS(k, "sz") ? DK_SZ
										 : DK_OTHER;
	case 4:
		return JS_IS(k, "asks") ? DK_ASKS : JS_IS(k, "bids") ? DK_BIDS
		       : JS_IS(k, "side") ? DK_SIDE : JS_IS(k, "last") ? DK_LAST : DK_OTHER;
	case 5:
		return JS_IS(k, "seqId") ? DK_SEQ : JS_IS(k, "bidPx") ? DK_BIDPX
		       : JS_IS(k, "bidSz") ? DK_BIDSZ : JS_IS(k, "askPx") ? DK_ASKPX
		       : JS_IS(k, "askSz") ? DK_ASKSZ : DK_OTHER;
	case 6:
		return JS_IS(k, "instId") ? DK_INST : DK_OTHER;
	case 7:
		return JS_IS(k, "tradeId") ? DK_TID : DK_OTHER;
	case 8:
		return JS_IS(k, "checksum") ? DK_CHECKSUM : DK_OTHER;
	case 9:
		return JS_IS(k, "prevSeqId") ? DK_PREV : DK_OTHER;
	}
	return DK_OTHER;
}


/* The keys each channel's element must have. */
static const uint32_t ok_need[] = {
	[OC_BOOKS] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS,
	[OC_BOOKS5] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS,
	[OC_BBO] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS,
	[OC_TRADES] = 1u << DK_TID | 1u << DK_PX | 1u << DK_SZ | 1u << DK_SIDE | 1u << DK_TS,
	[OC_TICKERS] = 1u << DK_LAST | 1u << DK_TS,
};

/* The keys each channel reads (the rest is checked and skipped). */
static const uint32_t ok_read[] = {
	[OC_BOOKS] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS | 1u << DK_CHECKSUM |
		     1u << DK_PREV | 1u << DK_SEQ,
	[OC_BOOKS5] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS | 1u << DK_SEQ,
	[OC_BBO] = 1u << DK_ASKS | 1u << DK_BIDS | 1u << DK_TS | 1u << DK_SEQ,
	[OC_TRADES] = 1u << DK_TID | 1u << DK_PX | 1u << DK_SZ | 1u << DK_SIDE | 1u << DK_TS,
	[OC_TICKERS] = 1u << DK_LAST | 1u << DK_TS | 1u << DK_BIDPX | 1u << DK_BIDSZ |
		       1u << DK_ASKPX | 1u << DK_ASKSZ,
};

static int ok_side(struct js *j, struct vd_msg *m)
{
	struct js_str s;
	int err = ok_str(j, &s);

	if (err)
		return err;
	if (JS_IS(&s, "buy"))
		m->aggressor = KIMP_SIDE_BUY;
	else if (JS_IS(&s, "sell"))
		m->aggressor = KIMP_SIDE_SELL;
	else
		return -VD_E_SHAPE;
	return 0;
}

/* One data element of d's channel into m (levels, ids, the trade...). */
static int ok_elem(struct ok_dec *d, struct js *j, struct ok_elem *e)
{
	struct vd_msg *m = d->m;
	const unsigned pd = d->sym->px_dec, qd = d->sym->qty_dec;
	const uint32_t rd = ok_read[d->chan];
	struct js_str k;
	bool first = true, done;
	int err;

	if (js_peek(j) != '{')
		return ok_wrong(j);
	j->p++;
	e->seen = 0;
	for (;;) {
		unsigned id;

		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		id = ok_dkey(&k);
		if (id == DK_OTHER || !(rd & (1u << id))) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (e->seen & (1u << id))
			return -VD_E_SHAPE;
		e->seen |= 1u << id;
		switch (id) {
		case DK_ASKS:
		case DK_BIDS: {
			const bool bid = id == DK_BIDS;
			if (d->chan == OC_BBO)
				err = ok_levels(j, pd, qd, &e->bbo[!bid], 1, bid ? &e->nb : &e->na);
			else
				err = ok_levels(j, pd, qd, bid ? m->bids : m->asks, m->cap,
						bid ? &e->nb : &e->na);
			break;
		}
		case DK_TS:
			err = js_ms_ns(j, &m->venue_ts_ns);
			break;
		case DK_CHECKSUM: {
			int32_t c;
			err = ok_code(j, &c);
			m->checksum = err ? 0 : c;
			break;
		}
		case DK_PREV:
			err = ok_i64(j, &e->prev);
			break;
		case DK_SEQ:
			err = ok_i64(j, &e->seq);
			if (!err && e->seq < 0)
				err = -VD_E_NUMBER;
			break;
		case DK_TID:
			err = js_u64(j, &m->trade_id);
			break;
		case DK_PX:
			err = ok_fixed(j, pd, true, &m->px);
			break;
		case DK_SZ:
			err = ok_fixed(j, qd, true, &m->qty);
			break;
		case DK_SIDE:
			err = ok_side(j, m);
			break;
		case DK_LAST:
			err = ok_fixed(j, pd, false, &m->px);
			break;
		case DK_BIDPX:
			err = ok_fixed_opt(j, pd, &m->bid.px);
			break;
		case DK_BIDSZ:
			err = ok_fixed_opt(j, qd, &m->bid.qty);
			break;
		case DK_ASKPX:
			err = ok_fixed_opt(j, pd, &m->ask.px);
			break;
		case DK_ASKSZ:
			err = ok_fixed_opt(j, qd, &m->ask.qty);
			break;
		}
		if (err)
			return err;
	}
	if ((e->seen & ok_need[d->chan]) != ok_need[d->chan])
		return -VD_E_SHAPE;
	return 0;
}

/* The ids and kind of a books-channel message, its element read. */
static int ok_books_fin(struct ok_dec *d, const struct ok_elem *e)
{
	struct vd_msg *m = d->m;
	const bool has_prev = e->seen & (1u << DK_PREV), has_seq = e->seen & (1u << DK_SEQ);
	int err;

	if (d->action == 1 || d->chan == OC_BOOKS5) {
		if (d->chan == OC_BOOKS && has_prev && e->prev != -1)
			return -VD_E_SHAPE;    /* a snapshot says prevSeqId -1 */
		m->kind = VD_BOOK;
		m->snapshot = 1;
		m->first_id = m->last_id = has_seq ? (uint64_t)e->seq : 0;
		if ((err = ok_compact(m->bids, &m->nbids, true)) ||
		    (err = ok_compact(m->asks, &m->nasks, false)))
			return err;
		return 0;
	}
	if (d->action != 2)
		return -VD_E_SHAPE;
	if (has_prev != has_seq || (has_prev && e->prev < 0))
		return -VD_E_SHAPE;
	m->kind = VD_DIFF;
	if (has_seq) {
		m->first_id = (uint64_t)e->prev + 1;
		m->last_id = (uint64_t)e->seq;
		m->resync = e->seq < e->prev;
	}
	return 0;
}

/*
 * "data":[...] of d's channel: books one element, trades one or more (the
 * message is the newest, the last; all are checked), tickers one. The
 * kind is settled by ok_fin once the whole object is read.
 */
static int ok_data(struct ok_dec *d, struct js *j)
{
	struct vd_msg *m = d->m;
	struct ok_elem *e = d->e;
	bool first = true, done;
	uint32_t n = 0;
	int err;

	if (js_peek(j) != '[')
		return ok_wrong(j);
	j->p++;
	for (;;) {
		if ((err = js_elem(j, &first, &done)))
			return err;
		if (done)
			break;
		if (n++ && d->chan != OC_TRADES)
			return -VD_E_SHAPE;
		m->aggressor = 0;   /* each trade whole: none mixed with the last */
		m->trade_id = 0;
		if ((err = ok_elem(d, j, e)))
			return err;
	}
	if (!n)
		return -VD_E_SHAPE;
	d->has_data = true;
	return 0;
}

/* What the data read makes of the message. */
static int ok_fin(struct ok_dec *d)
{
	struct vd_msg *m = d->m;
	const struct ok_elem *e = d->e;

	m->nbids = e->nb;
	m->nasks = e->na;
	switch (d->chan) {
	case OC_BOOKS:
	case OC_BOOKS5:
		return ok_books_fin(d, e);
	case OC_BBO:
		m->kind = VD_BBO;
		m->nbids = m->nasks = 0;
		if (e->nb)
			m->bid = e->bbo[0];
		if (e->na)
			m->ask = e->bbo[1];
		m->first_id = m->last_id = e->seen & (1u << DK_SEQ) ? (uint64_t)e->seq : 0;
		return 0;
	case OC_TRADES:
		m->kind = VD_TRADE;
		m->trade_ts_ns = m->venue_ts_ns;
		return 0;
	case OC_TICKERS:
		m->kind = VD_TICKER;
		m->trade_ts_ns = m->venue_ts_ns;
		return 0;
	}
	return -VD_E_TYPE;
}

enum ok_ev { EV_NONE = 0, EV_CONTROL, EV_ERROR, EV_NOTICE, EV_CONN_ERROR };

static int ok_event(struct js *j, uint8_t *ev)
{
	struct js_str s;
	int err = ok_str(j, &s);

	if (err)
		return err;
	if (JS_IS(&s, "subscribe") || JS_IS(&s, "unsubscribe") || JS_IS(&s, "login") ||
	    JS_IS(&s, "channel-conn-count"))
		*ev = EV_CONTROL;
	else if (JS_IS(&s, "error"))
		*ev = EV_ERROR;
	else if (JS_IS(&s, "notice"))
		*ev = EV_NOTICE;
	else if (JS_IS(&s, "channel-conn-count-error"))
		*ev = EV_CONN_ERROR;
	else
		return -VD_E_TYPE;
	return 0;
}

/* Top-level keys. */
enum { TK_ARG, TK_ACTION, TK_DATA, TK_EVENT, TK_CODE, TK_MSG, TK_ID, TK_OP, TK_N };

static int ok_tkey(const struct js_str *k)
{
	static const char *const names[TK_N] = { "arg", "action", "data", "event",
						 "code", "msg", "id", "op" };

	if (k->escaped)
		return -1;
	for (int i = 0; i < TK_N; i++)
		if (k->len == strlen(names[i]) && !memcmp(k->p, names[i], k->len))
			return i;
	return -1;
}

/* The top-level object, its '{' next. */
static int ok_object(struct ok_dec *d, struct js *j)
{
	struct vd_msg *m = d->m;
	const uint8_t *data = NULL;
	struct js_str k, s;
	bool first = true, done;
	uint32_t seen = 0;
	uint8_t ev = EV_NONE;
	int err;

	j->p++;
	for (;;) {
		int id;

		if ((err = js_key(j, &k, &first, &done)))
			return err;
		if (done)
			break;
		id = ok_tkey(&k);
		if (id < 0) {
			if ((err = js_skip(j)))
				return err;
			continue;
		}
		if (seen & (1u << id))
			return -VD_E_SHAPE;
		seen |= 1u << id;
		switch (id) {
		case TK_ARG:
			err = ok_arg_obj(d, j, true);
			break;
		case TK_ACTION:
			if (!(err = ok_str(j, &s))) {
				if (JS_IS(&s, "snapshot"))
					d->action = 1;
				else if (JS_IS(&s, "update"))
					d->action = 2;
				else
					err = -VD_E_SHAPE;
			}
			break;
		case TK_DATA:
			if (d->has_arg && !d->has_sym_err) {
				err = ok_data(d, j);
			} else {
				data = j->p;   /* read once arg is known */
				err = js_peek(j) == '[' ? js_skip(j) : ok_wrong(j);
			}
			break;
		case TK_EVENT:
			err = ok_event(j, &ev);
			break;
		case TK_CODE:
			err = ok_code(j, &m->err_code);
			break;
		case TK_MSG:
			if (!(err = ok_str(j, &s))) {
				m->err_name = s.p;
				m->err_name_len = s.len;
			}
			break;
		case TK_ID:
			err = ok_req_id(j, &m->req_id);
			break;
		case TK_OP:
			err = js_skip(j);
			break;
		}
		if (err)
			return err;
	}
	if (seen & (1u << TK_OP))
		return -VD_E_TYPE;   /* a request (ours echoed), not a venue message */
	if (seen & (1u << TK_EVENT)) {
		if (seen & (1u << TK_DATA))
			return -VD_E_SHAPE;
		switch (ev) {
		case EV_CONTROL:
			m->kind = VD_CONTROL;
			break;
		case EV_ERROR:
		case EV_CONN_ERROR:
			if (ev == EV_ERROR && !(seen & (1u << TK_CODE)))
				return -VD_E_SHAPE;
			m->kind = VD_VENUE_ERROR;
			break;
		case EV_NOTICE:
			if (!(seen & (1u << TK_CODE)))
				return -VD_E_SHAPE;
			m->kind = m->err_code == 64008 ? VD_SHUTDOWN : VD_CONTROL;
			break;
		}
		m->sym = VENUE_SYM_NONE;
		return 0;
	}
	if (!(seen & (1u << TK_ARG)) || !(seen & (1u << TK_DATA)))
		return -VD_E_SHAPE;
	if (d->has_sym_err)
		return -VD_E_SYMBOL;
	m->err_code = 0;
	m->err_name = NULL;
	m->err_name_len = 0;
	m->req_id = 0;
	if (data) {
		struct js dj = { .p = data, .end = j->end };
		if ((err = ok_data(d, &dj)))
			return err;
	}
	return ok_fin(d);
}

/* A whole message that is not an object: VD_E_TYPE if it is JSON at all. */
static kimp_cold int ok_not_object(struct js *j)
{
	int err = js_skip(j);

	if (!err)
		err = js_end(j);
	return err ? err : -VD_E_TYPE;
}

/* m emptied for a refusal, keeping the symbol name read (VD_E_SYMBOL). */
static void ok_fail(struct vd_msg *m)
{
	const char *name = m->sym_name;
	uint32_t nlen = m->sym_name_len;

	vd_msg_reset(m);
	m->venue = KIMP_VENUE_OKX;
	m->sym_name = name;
	m->sym_name_len = nlen;
}

/*
 * One WebSocket message p[0..len) into m (0), or -enum vd_err with m->kind
 * VD_NONE and no levels. m's strings (sym_name, err_name) point into p.
 */
static int ok_decode(const struct venue_symtab *t, const uint8_t *p, size_t len,
		     struct vd_msg *m)
{
	struct ok_elem e = { 0 };
	struct ok_dec d = { .t = t, .m = m, .e = &e };
	struct js j;
	int err;

	vd_msg_reset(m);
	m->venue = KIMP_VENUE_OKX;
	if (len == 4 && p && !memcmp(p, "pong", 4)) {
		m->kind = VD_CONTROL;
		return 0;
	}
	js_init(&j, p, len);
	if (kimp_unlikely(js_peek(&j) != '{')) {
		err = ok_not_object(&j);
		goto fail;
	}
	if ((err = ok_object(&d, &j)) || (err = js_end(&j)))
		goto fail;
	return 0;
fail:
	ok_fail(m);
	return err < 0 && err > -VD_E_MAX ? err : -VD_E_SHAPE;
}

/*
 * The REST /api/v5/market/books body for sym ({"code":"0","msg":"",
 * "data":[{"asks","bids","ts","seqId"}]}) into m as VD_SNAPSHOT (0), or
 * -enum vd_err as ok_decode: an error reply (code not 0) is VD_E_TYPE.
 * Levels best first, empty ones dropped; last_id = first_id = seqId (0 in
 * replies older than the field).
 */
static int ok_decode_snapshot(const struct venue_symtab *t, uint32_t sym, const uint8_t *p,
			      size_t len, struct vd_msg *m)
{
	struct ok_elem e = { 0 };
	struct ok_dec d = { .t = t, .m = m, .e = &e, .chan = OC_BOOKS5 };
	const uint8_t *data = NULL;
	struct js_str k;
	struct js j;
	bool first = true, done, has_code = false;
	int32_t code = 0;
	int err;

	vd_msg_reset(m);
	m->venue = KIMP_VENUE_OKX;
	if (!t || sym >= t->n) {
		err = -VD_E_SYMBOL;
		goto fail;
	}
	d.sym = &t->sym[sym];
	js_init(&j, p, len);
	if (kimp_unlikely(js_peek(&j) != '{')) {
		err = ok_not_object(&j);
		goto fail;
	}
	j.p++;
	for (;;) {
		if ((err = js_key(&j, &k, &first, &done)))
			goto fail;
		if (done)
			break;
		if (JS_IS(&k, "code")) {
			err = has_code ? -VD_E_SHAPE : ok_code(&j, &code);
			has_code = true;
		} else if (JS_IS(&k, "data")) {
			/* checked now, read once the code says it is a book */
			if (data) {
				err = -VD_E_SHAPE;
			} else {
				data = (js_ws(&j), j.p);
				err = js_peek(&j) == '[' ? js_skip(&j) : ok_wrong(&j);
			}
		} else {
			err = js_skip(&j);
		}
		if (err)
			goto fail;
	}
	if ((err = js_end(&j)))
		goto fail;
	if (!has_code || code) {
		err = has_code ? -VD_E_TYPE : -VD_E_SHAPE;
		goto fail;
	}
	if (!data) {
		err = -VD_E_SHAPE;
		goto fail;
	}
	j.p = data;
	if ((err = ok_data(&d, &j)) || (err = ok_fin(&d)))
		goto fail;
	m->sym = sym;
	m->kind = VD_SNAPSHOT;
	m->snapshot = 0;
	return 0;
fail:
	vd_msg_reset(m);
	m->venue = KIMP_VENUE_OKX;
	return err < 0 && err > -VD_E_MAX ? err : -VD_E_SHAPE;
}

/* ---- trading rules ---------------------------------------------------- */

/*
 * The instruments endpoint's tickSz, lotSz, minSz and maxLmtAmt (USD) of
 * the spot symbols the docs show (okx-rest.jsonl: BTC-USDT); any other
 * symbol takes its rules from the configuration. OKX has no minimum
 * notional field for spot [3.6].
 */
static const struct {
	const char *base, *tick, *step, *min, *max_amt;
} ok_known_rules[] = {
	{ "BTC", "0.1", "0.00000001", "0.00001", "1000000" },
};

static int ok_inst_rules(const char *base, const char *quote, unsigned px_dec, unsigned qty_dec,
			 struct venue_inst_rules *out)
{
	*out = (struct venue_inst_rules){ 0 };
	if (!base || !quote || strcmp(quote, "USDT"))
		return -ENOENT;
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ok_known_rules); i++) {
		if (strcmp(ok_known_rules[i].base, base))
			continue;
		if (venue_fixed(ok_known_rules[i].tick, px_dec, &out->tick) ||
		    venue_fixed(ok_known_rules[i].step, qty_dec, &out->step) ||
		    venue_fixed(ok_known_rules[i].min, qty_dec, &out->min_qty) ||
		    venue_fixed(ok_known_rules[i].max_amt, px_dec, &out->max_notional)) {
			*out = (struct venue_inst_rules){ 0 };
			return -ERANGE;
		}
		return 0;
	}
	return -ENOENT;
}

const struct venue_md venue_md_okx = {
	.venue = KIMP_VENUE_OKX,
	.name = "okx",
	.ws_url = "wss://ws.okx.com:8443",
	.rest_url = "https://openapi.okx.com",
	.quote = "USDT",
	.book_mode = VENUE_BOOK_WS,
	.binary_frames = false,
	.ping_text = "ping",                    /* answered by the text pong */
	.ping_every_ns = 20 * OK_NS_PER_S,      /* the venue drops a link quiet for 30 s */
	.conn_life_ns = 0,                      /* none stated: 64008 notices instead */
	.stale_after_ns = 10 * OK_NS_PER_S,
	.streams_max = OK_BOOKS_MAX,            /* symbols with a book channel */
	.snapshot_limit = OK_SNAPSHOT_MAX,
	.symbol = ok_symbol,
	.ws_target = ok_ws_target,
	.ws_subscribe = ok_ws_subscribe,
	.ws_unsubscribe = ok_ws_unsubscribe,
	.snapshot_target = ok_snapshot_target,
	.split = ok_split,
	.decode = ok_decode,
	.decode_snapshot = ok_decode_snapshot,
	.book_checksum = ok_book_checksum,
	.checksum_depth = OK_CHECK_DEPTH,
	.taker_fee = "0.001",
	.maker_fee = "0.0008",
	.inst_rules = ok_inst_rules,
};
