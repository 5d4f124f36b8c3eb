/* SPDX-License-Identifier: MIT */
/*
 * The decode bench's reference decoders (cJSON in ref_cjson.c, simdjson's
 * DOM parser in ref_simdjson.cpp): each turns a venue message into the same
 * normalized values libvenue's decoder gives, the way a user of that
 * library would (numbers through double, scaled and rounded).
 *
 * Read by C and by C++. kimp/venue.h is C only (its vd_msg_reset uses C
 * designated initializers out of declaration order), so the C++ side sees
 * the message through struct dref_msg, a field for field mirror of struct
 * vd_msg, and the constants through DREF_* macros; check.c pins both, and
 * the lookup's type, against venue.h at compile time.
 */
#ifndef KIMP_BENCH_DECODE_DREF_H
#define KIMP_BENCH_DECODE_DREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/venue_id.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the message as the C++ side sees it (pinned in check.c) ------------------------ */

struct dref_level {
	int64_t px;
	int64_t qty;
};

struct dref_msg {
	uint8_t kind;
	uint8_t venue;
	uint8_t snapshot;
	uint8_t aggressor;
	uint32_t sym;
	int64_t venue_ts_ns;
	int64_t trade_ts_ns;
	uint64_t first_id;
	uint64_t last_id;
	uint64_t trade_id;
	int64_t px, qty;
	struct dref_level bid;
	struct dref_level ask;
	uint32_t nbids, nasks;
	uint32_t cap;
	struct dref_level *bids;
	struct dref_level *asks;
	uint64_t req_id;
	const char *sym_name;
	uint32_t sym_name_len;
	const char *err_name;
	uint32_t err_name_len;
	int32_t err_code;
	int32_t checksum;
	uint8_t resync;
};

/* enum vd_kind, enum vd_err, enum kimp_side and VENUE_SYM_NONE, as numbers */
#define DREF_BOOK       1
#define DREF_DIFF       2
#define DREF_SNAPSHOT   3
#define DREF_BBO        4
#define DREF_TRADE      5
#define DREF_TICKER     6
#define DREF_E_SYNTAX   1
#define DREF_E_SHAPE    2
#define DREF_E_NUMBER   3
#define DREF_E_SYMBOL   4
#define DREF_E_TYPE     5
#define DREF_E_DEPTH    6
#define DREF_SIDE_BUY   1
#define DREF_SIDE_SELL  2
#define DREF_SYM_NONE   UINT32_MAX

/*
 * What the reference decoders know of a symbol table: the table for the
 * lookup (venue_symtab_find, the one ours uses) and the decimals of every
 * entry, copied out so C++ need not see struct venue_symtab.
 */
#define DREF_SYMS_MAX 512
struct venue_symtab;
struct dref_tab {
	const struct venue_symtab *tab;
	uint8_t px_dec[DREF_SYMS_MAX];
	uint8_t qty_dec[DREF_SYMS_MAX];
};

/* venue_symtab_find's type; C++ gets its declaration here (check.c pins it) */
typedef uint32_t dref_find_fn(const struct venue_symtab *t, const char *name, size_t len);
#ifdef __cplusplus
dref_find_fn venue_symtab_find;
#endif

/*
 * The reference decoders: 0 (m filled like libvenue's decoder fills it) or a
 * negative DREF_E_*. decode takes one WebSocket message of venue v; snapshot a
 * Binance REST depth snapshot of symbol sym. m is reset by the caller;
 * m->sym_name points into storage the parser owns (cJSON's tree, valid until
 * the next call) or into p.
 */
int dref_cjson_decode(const struct dref_tab *t, enum kimp_venue v, const uint8_t *p,
		      size_t len, struct dref_msg *m);
int dref_cjson_snapshot(const struct dref_tab *t, uint32_t sym, const uint8_t *p, size_t len,
			struct dref_msg *m);
const char *dref_cjson_version(void);
/* cJSON_ParseWithLength and cJSON_Delete alone: 0 or -DREF_E_SYNTAX. */
int dref_cjson_parse_only(const uint8_t *p, size_t len);

/*
 * simdjson's DOM parser, one for the process, reused by every call (its best
 * case). p must have dref_simd_padding() readable bytes after len (the
 * cases are allocated so), so simdjson never copies the input.
 */
int dref_simd_init(void);
void dref_simd_fini(void);
int dref_simd_decode(const struct dref_tab *t, enum kimp_venue v, const uint8_t *p,
		     size_t len, struct dref_msg *m);
int dref_simd_snapshot(const struct dref_tab *t, uint32_t sym, const uint8_t *p, size_t len,
		       struct dref_msg *m);
/* parser.parse alone: 0 or -DREF_E_SYNTAX. */
int dref_simd_parse_only(const uint8_t *p, size_t len);
size_t dref_simd_padding(void);
const char *dref_simd_version(void);
const char *dref_simd_impl(void);           /* the kernel simdjson picked (icelake, haswell) */

/* the last error the simdjson side saw (its message), for the bench's failure line */
const char *dref_simd_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
