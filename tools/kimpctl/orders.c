/* SPDX-License-Identifier: MIT */
/*
 * kimpctl orders: orderd's order table (the seqlock table KIMP_ORD_TABLE,
 * kimp/order.h): the orders that are not final first, then the recent
 * final ones, newest change first within each group. States are named as
 * orderd names them (kimp_ord_state_name, orderd/names.c).
 *
 * The segment is attached read-only and every record copied out through
 * its seqlock; a record that never reads consistently is counted as busy
 * and left out. Prices and sizes are exact decimals at each venue's px_dec
 * and qty_dec from the configuration (tradeconf, as kimpctl strat); without
 * one, at 8 decimals, and the output says so. client_oid is a string in
 * JSON (it may pass 2^53).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/seqlock.h"
#include "kimp/tradeconf.h"
#include "kimp/venue.h"
#include "kimpctl.h"
#include "views.h"

#define ORD_DEC_DEFAULT   8
#define ORD_READ_TRIES    1024
#define ORD_READ_ROUNDS   4
#define ORD_READ_PAUSE_NS 100000
#define CELL TBL_CELL

static const char orders_usage[] =
	"  orders [SEGMENT] [--json]   orderd's order table: open orders, then the\n"
	"                              recent final ones (SEGMENT default "
	KIMP_ORD_SEGMENT ")\n";

struct ord_view {
	const char *name;
	struct shm_seg seg;
	struct kimp_ord_entry *e;       /* consistent copies (owned) */
	uint32_t n, slots, busy;
	struct kimp_trade_conf *tc;     /* NULL: default scales (owned) */
	char tc_why[300];
};

static bool ord_final(unsigned s)
{
	return s == KIMP_ORD_FILLED || s == KIMP_ORD_CANCELLED || s == KIMP_ORD_REJECTED ||
	       s == KIMP_ORD_EXPIRED;
}

static const char *venue_label(char *buf, size_t len, unsigned vi)
{
	const struct venue_md *md = vi < KIMP_VENUE_MAX ? venue_md_get((enum kimp_venue)vi) :
				    NULL;

	if (md && md->name)
		return md->name;
	snprintf(buf, len, "%u", vi);
	return buf;
}

static const char *coin_label(char *buf, size_t len, const struct ord_view *v, uint32_t inst)
{
	if (v->tc && inst >= 1 && inst <= v->tc->ncoins)
		return v->tc->coins[inst - 1];
	snprintf(buf, len, "#%" PRIu32, inst);
	return buf;
}

static unsigned px_dec(const struct ord_view *v, unsigned vi)
{
	return v->tc && vi < KIMP_VENUE_MAX && v->tc->venue[vi].present ?
	       v->tc->venue[vi].px_dec : ORD_DEC_DEFAULT;
}

static unsigned qty_dec(const struct ord_view *v, unsigned vi)
{
	return v->tc && vi < KIMP_VENUE_MAX && v->tc->venue[vi].present ?
	       v->tc->venue[vi].qty_dec : ORD_DEC_DEFAULT;
}

static const char *side_name(unsigned s)
{
	return s == KIMP_SIDE_BUY ? "buy" : s == KIMP_SIDE_SELL ? "sell" : "?";
}

/* ---- reading -------------------------------------------------------------- */

static int read_entry(struct shm_seqtab *t, uint32_t i, struct kimp_ord_entry *e)
{
	const struct timespec pause = { 0, ORD_READ_PAUSE_NS };

	for (int round = 0; round < ORD_READ_ROUNDS; round++) {
		if (round)
			nanosleep(&pause, NULL);
		if (!shm_seqtab_read(t, i, e, ORD_READ_TRIES))
			return 0;
	}
	return -EAGAIN;
}

static int find_table(const struct shm_seg *seg, const char *name, struct shm_seqtab **out)
{
	const struct shm_region_ent *e = shm_region_find(seg, KIMP_ORD_TABLE);

	if (!e)
		return kimpctl_err(KIMPCTL_FAIL, "orders: segment '%s' has no order table "
				   "(region '%s')", name, KIMP_ORD_TABLE);
	if (e->off < sizeof(struct shm_seg_hdr) || e->off > seg->size ||
	    e->size > seg->size - e->off)
		return kimpctl_err(KIMPCTL_FAIL, "orders: segment '%s': region '%s' lies "
				   "outside the segment", name, KIMP_ORD_TABLE);
	if (shm_seqtab_lookup(seg, KIMP_ORD_TABLE, out))
		return kimpctl_err(KIMPCTL_FAIL, "orders: %s", shm_last_error());
	if ((*out)->rec_size != sizeof(struct kimp_ord_entry))
		return kimpctl_err(KIMPCTL_FAIL, "orders: segment '%s': region '%s' holds "
				   "records of %u bytes, an order is %zu (another build?)",
				   name, KIMP_ORD_TABLE, (*out)->rec_size,
				   sizeof(struct kimp_ord_entry));
	return KIMPCTL_OK;
}

/* Open before final; then the most recent change first; then client_oid. */
static int entry_cmp(const void *a, const void *b)
{
	const struct kimp_ord_entry *x = a, *y = b;
	bool fx = ord_final(x->state), fy = ord_final(y->state);

	if (fx != fy)
		return fx ? 1 : -1;
	if (x->updated_real_ns != y->updated_real_ns)
		return x->updated_real_ns > y->updated_real_ns ? -1 : 1;
	return x->client_oid < y->client_oid ? -1 : x->client_oid > y->client_oid;
}

static int view_open(struct kimpctl *k, const char *name, enum kimpctl_orders_what what,
		     struct ord_view *v)
{
	struct shm_seqtab *t;
	struct kimp_ord_entry e;

	memset(v, 0, sizeof(*v));
	v->name = name;
	if (shm_seg_attach(&v->seg, name, &k->shm))
		return kimpctl_err(KIMPCTL_FAIL, "orders: %s", shm_last_error());
	if (find_table(&v->seg, name, &t))
		goto detach;
	v->slots = t->count;
	v->e = calloc(t->count ? t->count : 1, sizeof(*v->e));
	if (!v->e) {
		kimpctl_err(KIMPCTL_FAIL, "orders: out of memory");
		goto detach;
	}
	for (uint32_t i = 0; i < t->count; i++) {
		if (read_entry(t, i, &e)) {
			v->busy++;
			continue;
		}
		if (!e.client_oid)
			continue;
		if (what == KIMPCTL_ORDERS_FILLS && e.cum_qty <= 0)
			continue;
		v->e[v->n++] = e;
	}
	if (v->n)
		qsort(v->e, v->n, sizeof(*v->e), entry_cmp);
	v->tc = kimpctl_trade_conf(k, v->tc_why, sizeof(v->tc_why));
	return KIMPCTL_OK;
detach:
	shm_seg_detach(&v->seg);
	return KIMPCTL_FAIL;
}

static void view_close(struct ord_view *v)
{
	free(v->tc);
	free(v->e);
	shm_seg_detach(&v->seg);
}

/* ---- printing ------------------------------------------------------------- */

static void out_when(struct out *o, const char *key, int64_t real_ns)
{
	if (real_ns > 0)
		out_time(o, key, (uint64_t)real_ns);
	else
		out_null(o, key);
}

static void entry_json(struct out *o, const struct ord_view *v, const struct kimp_ord_entry *e)
{
	unsigned pd = px_dec(v, e->venue), qd = qty_dec(v, e->venue);
	char buf[CELL];

	out_obj_begin(o, NULL, NULL);
	out_id(o, "client_oid", e->client_oid);
	out_strn(o, "venue_oid", e->oid, sizeof(e->oid));
	out_id(o, "intent_id", e->intent_id);
	out_id(o, "pair_id", e->pair_id);
	out_str(o, "venue", venue_label(buf, sizeof(buf), e->venue));
	out_str(o, "coin", coin_label(buf, sizeof(buf), v, e->inst));
	out_u64(o, "inst", e->inst);
	out_str(o, "side", side_name(e->side));
	out_u64(o, "leg", e->leg);
	out_str(o, "state", kimp_ord_state_name(e->state));
	out_bool(o, "open", !ord_final(e->state));
	out_dec(o, "px", e->px, pd);
	out_dec(o, "qty", e->qty, qd);
	out_dec(o, "filled", e->cum_qty, qd);
	out_dec(o, "filled_quote", e->cum_quote, pd);
	out_i64(o, "fee", e->cum_fee);
	out_str(o, "fee_asset", e->fee_asset ? "base" : "quote");
	if (e->reject_code)
		out_str(o, "reject", e->reject_code > 0 && e->reject_code < KIMP_OREJ_MAX ?
			kimp_ord_rej_name((unsigned)e->reject_code) : "venue");
	else
		out_null(o, "reject");
	out_i64(o, "reject_code", e->reject_code);
	out_when(o, "created", e->created_real_ns);
	out_when(o, "sent", e->sent_real_ns);
	out_when(o, "updated", e->updated_real_ns);
	if (o->json)
		out_i64(o, "updated_real_ns", e->updated_real_ns);
	out_u64(o, "jseq", e->jseq);
	out_obj_end(o);
}

enum { C_OID, C_VENUE, C_COIN, C_SIDE, C_STATE, C_PX, C_QTY, C_FILLED, C_UPDATED, C_VOID,
       C_REJECT, NCOLS };

static const char *const hdr[NCOLS] = {
	"CLIENT_OID", "VENUE", "COIN", "SIDE", "STATE", "PX", "QTY", "FILLED", "UPDATED",
	"VENUE_OID", "REJECT",
};

static void entry_row(struct tbl *t, const struct ord_view *v, const struct kimp_ord_entry *e)
{
	unsigned pd = px_dec(v, e->venue), qd = qty_dec(v, e->venue);
	char a[64];

	tbl_row(t);
	tbl_set(t, C_OID, "%" PRIu64, e->client_oid);
	tbl_set(t, C_VENUE, "%s", venue_label(a, sizeof(a), e->venue));
	tbl_set(t, C_COIN, "%s", coin_label(a, sizeof(a), v, e->inst));
	tbl_set(t, C_SIDE, "%s", side_name(e->side));
	tbl_set(t, C_STATE, "%s", kimp_ord_state_name(e->state));
	tbl_set(t, C_PX, "%s", fmt_dec(a, sizeof(a), e->px, pd));
	tbl_set(t, C_QTY, "%s", fmt_dec(a, sizeof(a), e->qty, qd));
	tbl_set(t, C_FILLED, "%s", fmt_dec(a, sizeof(a), e->cum_qty, qd));
	if (e->updated_real_ns > 0)
		tbl_set(t, C_UPDATED, "%s", fmt_utc(a, sizeof(a), (uint64_t)e->updated_real_ns,
						    true));
	if (e->oid[0])
		tbl_set(t, C_VOID, "%.*s", (int)strnlen(e->oid, sizeof(e->oid)), e->oid);
	if (e->reject_code)
		tbl_set(t, C_REJECT, "%" PRId32 " %s", e->reject_code,
			e->reject_code > 0 && e->reject_code < KIMP_OREJ_MAX ?
			kimp_ord_rej_name((unsigned)e->reject_code) : "(venue)");
}

static int orders_print(FILE *f, const struct ord_view *v, bool json)
{
	char title[SHM_NAME_MAX + 300], buf[400];
	uint32_t nopen = 0;
	int status = KIMPCTL_OK;
	struct out o;
	struct tbl t;

	for (uint32_t i = 0; i < v->n; i++)
		nopen += !ord_final(v->e[i].state);
	out_init(&o, f, json);
	snprintf(title, sizeof(title), "orderd orders: segment %s (%s)", v->name, v->seg.path);
	out_obj_begin(&o, NULL, json ? NULL : title);
	if (json) {
		out_str(&o, "segment", v->name);
		out_str(&o, "path", v->seg.path);
	}
	out_u64(&o, "slots", v->slots);
	out_u64(&o, "open", nopen);
	out_u64(&o, "final", v->n - nopen);
	out_u64(&o, "busy", v->busy);
	if (v->tc)
		snprintf(buf, sizeof(buf), "from the configuration");
	else
		snprintf(buf, sizeof(buf), "default (%d decimals): %s", ORD_DEC_DEFAULT,
			 v->tc_why);
	out_str(&o, "scales", buf);
	if (json) {
		out_arr_begin(&o, "orders");
		for (uint32_t i = 0; i < v->n; i++)
			entry_json(&o, v, &v->e[i]);
		out_arr_end(&o);
	} else {
		tbl_init(&t, hdr, NCOLS);
		for (uint32_t i = 0; i < v->n; i++)
			entry_row(&t, v, &v->e[i]);
		status = out_tbl(&o, "orders", &t);
	}
	out_obj_end(&o);
	out_finish(&o);
	return status;
}

int kimpctl_view_orders(struct kimpctl *k, const char *name, enum kimpctl_orders_what what,
			FILE *f, bool json)
{
	struct ord_view v;
	int status = view_open(k, name, what, &v);

	if (status)
		return status;
	status = orders_print(f, &v, json);
	view_close(&v);
	return status;
}

static int orders_run(struct kimpctl *k, int argc, char **argv)
{
	const char *name;
	bool json, done;
	int status;

	status = kimpctl_seg_args(argc, argv, orders_usage, KIMP_ORD_SEGMENT, &name, &json, &done);
	if (status || done)
		return status;
	return kimpctl_view_orders(k, name, KIMPCTL_ORDERS_ALL, stdout, json);
}

const struct kimpctl_cmd kimpctl_cmd_orders = {
	.name = "orders",
	.usage = orders_usage,
	.run = orders_run,
};
