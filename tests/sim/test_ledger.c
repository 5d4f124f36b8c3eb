/* SPDX-License-Identifier: MIT */
/*
 * The ledger (sim/ledger.c): amounts as text, a discarding ledger, and a
 * real file read back line by line with jr_parse: one line per event the
 * matching engine reported, with the right fields, flushed as it happens.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../sim/sim.h"

/* ---- sim_fx_str ------------------------------------------------------------ */

static void fx_is(sim_fx v, const char *want)
{
	char out[24];
	int n = sim_fx_str(v, out);

	cr_assert_str_eq(out, want);
	cr_assert_eq(n, (int)strlen(want));
}

Test(ledger, fx_str)
{
	fx_is(0, "0.00000000");
	fx_is(1, "0.00000001");
	fx_is(-1, "-0.00000001");
	fx_is(1234000000, "12.34000000");
	fx_is(-1234000000, "-12.34000000");
	fx_is(SIM_SCALE * 100000000, "100000000.00000000");
	fx_is(INT64_MAX, "92233720368.54775807");
	fx_is(INT64_MIN, "-92233720368.54775808");
}

Test(ledger, names)
{
	cr_assert_str_eq(sim_reject_name(SIM_OK), "");
	cr_assert_str_eq(sim_reject_name(SIM_REJ_WOULD_TAKE), "would_take");
	cr_assert_str_eq(sim_reject_name(SIM_REJ_TOO_MANY_ORDERS), "too_many_orders");
	cr_assert_str_eq(sim_reject_name(SIM_REJ_COUNT), "unknown");
	for (unsigned r = 1; r < SIM_REJ_COUNT; r++)
		cr_assert(sim_reject_name(r)[0], "reject %u has no name", r);
	cr_assert_str_eq(sim_ord_status_name(SIM_ST_PARTIAL), "partial");
	cr_assert_str_eq(sim_ord_status_name(99), "unknown");
}

/* ---- the discarding ledger, and none ------------------------------------------ */

Test(ledger, no_path_discards)
{
	struct sim_ledger *a = sim_ledger_open(NULL), *b = sim_ledger_open("");
	struct sim_order o;
	struct sim_fill f;
	struct sim_account acct;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	memset(&acct, 0, sizeof(acct));
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	sim_ledger_order(a, NULL, &o, "accepted");
	sim_ledger_fill(a, NULL, &o, &f);
	sim_ledger_balance(a, NULL, &acct, 0, 1, -1);
	sim_ledger_event(a, "fault", "\"kind\":\"gap\"");
	sim_ledger_close(a);
	sim_ledger_close(b);
	/* a NULL ledger is a no-op everywhere */
	sim_ledger_order(NULL, NULL, &o, "accepted");
	sim_ledger_fill(NULL, NULL, &o, &f);
	sim_ledger_balance(NULL, NULL, &acct, 0, 1, -1);
	sim_ledger_event(NULL, "fault", NULL);
	sim_ledger_close(NULL);
}

Test(ledger, unwritable_path_fails_with_errno)
{
	errno = 0;
	cr_assert_null(sim_ledger_open("/nonexistent-kimp-dir/ledger.jsonl"));
	cr_assert_eq(errno, ENOENT);
}

/* ---- a real file ---------------------------------------------------------------- */

static struct sim_scenario sc;
static struct sim_market m;
static struct sim_exch x;
static struct sim_inst *kb;
static struct sim_ledger *lg;
static char path[64];
static int KRW, BTC;

/* what the engine reported, counted as the ledger should write it */
static unsigned n_order, n_fill, n_cancel, n_expire, n_balance;

static void on_order(void *ctx, const struct sim_order *o, const struct sim_fill *f)
{
	(void)ctx;
	if (f)
		n_fill++;
	else if (o->status == SIM_ST_NEW || o->status == SIM_ST_REJECTED)
		n_order++;
	else if (o->status == SIM_ST_CANCELED)
		n_cancel++;
	else if (o->status == SIM_ST_EXPIRED)
		n_expire++;
	else
		cr_assert_fail("unexpected event, status %u", o->status);
}

static void on_balance(void *ctx, const struct sim_account *a, unsigned asset)
{
	(void)ctx;
	(void)a;
	(void)asset;
	n_balance++;
}

static const struct sim_match_ops ops = { .on_order = on_order, .on_balance = on_balance };

static sim_fx F(const char *s)
{
	sim_fx v;

	cr_assert_eq(sim_parse_fx(s, strlen(s), &v), 0, "%s", s);
	return v;
}

static void setup(void)
{
	int fd;

	memset(&sc, 0, sizeof(sc));
	sc.seed = 1;
	sc.ncoins = 1;
	snprintf(sc.coins[0].name, sizeof(sc.coins[0].name), "BTC");
	sc.nvenues = 1;
	snprintf(sc.venues[0].name, sizeof(sc.venues[0].name), "upbit");
	sc.naccounts = 1;
	snprintf(sc.accounts[0].venue, sizeof(sc.accounts[0].venue), "upbit");
	snprintf(sc.accounts[0].key, sizeof(sc.accounts[0].key), "k");
	sc.accounts[0].nbal = 2;
	snprintf(sc.accounts[0].bal[0].asset, sizeof(sc.accounts[0].bal[0].asset), "KRW");
	sc.accounts[0].bal[0].amount = F("1000000000");
	snprintf(sc.accounts[0].bal[1].asset, sizeof(sc.accounts[0].bal[1].asset), "BTC");
	sc.accounts[0].bal[1].amount = F("2");

	cr_assert_eq(sim_market_init(&m, &sc), 0);
	kb = sim_market_add_inst(&m, 0, 0, "KRW-BTC", "BTC", "KRW");
	cr_assert_not_null(kb);
	kb->tick = F("1000");
	kb->step = F("0.0001");
	sim_inst_set(kb, SIM_ASK, F("100000000"), F("0.5"));
	sim_inst_set(kb, SIM_ASK, F("100001000"), F("1"));
	sim_inst_set(kb, SIM_BID, F("99999000"), F("1"));
	KRW = sim_asset_id("KRW");
	BTC = sim_asset_id("BTC");

	snprintf(path, sizeof(path), "/tmp/kimp-ledger-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	lg = sim_ledger_open(path);
	cr_assert_not_null(lg);
	cr_assert_eq(sim_exch_init(&x, &m, lg), 0);
	x.rules[0] = (struct sim_venue_rules){ .maker_fee = 0.0005, .taker_fee = 0.0005,
		.fee_rule = SIM_FEE_QUOTE, .lock_fee = true, .cid_forever = true };
	x.ops = &ops;
	cr_assert_eq(sim_exch_accounts(&x, &sc), 0);
}

static void teardown(void)
{
	sim_ledger_close(lg);
	sim_exch_free(&x);
	sim_market_free(&m);
	unlink(path);
}

TestSuite(ledger, .init = setup, .fini = teardown);

#define MAXLINES 64
#define MAXTOK   128

struct line {
	char text[2048];
	struct jr_tok tok[MAXTOK];
};
static struct line lines[MAXLINES];

/* Read the file back; every line must be one JSON object. */
static unsigned read_lines(void)
{
	FILE *f = fopen(path, "r");
	unsigned n = 0;

	cr_assert_not_null(f);
	while (n < MAXLINES && fgets(lines[n].text, sizeof(lines[n].text), f)) {
		size_t len = strlen(lines[n].text);
		int nt;

		cr_assert(len && lines[n].text[len - 1] == '\n', "line %u not whole", n);
		lines[n].text[--len] = '\0';
		nt = jr_parse(lines[n].text, len, lines[n].tok, MAXTOK);
		cr_assert_gt(nt, 0, "line %u is not JSON: %s", n, lines[n].text);
		cr_assert_eq(lines[n].tok[0].type, JR_OBJ);
		n++;
	}
	cr_assert(feof(f));
	fclose(f);
	return n;
}

/* A string field of line i ("" and a failed test when missing). */
static const char *sget(unsigned i, const char *k)
{
	static char buf[8][256];
	static unsigned next;
	char *out = buf[next++ % 8];
	int t = jr_get(lines[i].text, lines[i].tok, 0, k);

	cr_assert_geq(t, 0, "line %u has no '%s': %s", i, k, lines[i].text);
	cr_assert_eq(lines[i].tok[t].type, JR_STR, "line %u '%s' is not a string", i, k);
	cr_assert_geq(jr_str(lines[i].text, &lines[i].tok[t], out, 256), 0);
	return out;
}

static int64_t iget(unsigned i, const char *k)
{
	int t = jr_get(lines[i].text, lines[i].tok, 0, k);
	int64_t v;

	cr_assert_geq(t, 0, "line %u has no '%s': %s", i, k, lines[i].text);
	cr_assert_eq(jr_i64(lines[i].text, &lines[i].tok[t], &v), 0);
	return v;
}

static sim_fx fget(unsigned i, const char *k)
{
	return F(sget(i, k));
}

static bool has(unsigned i, const char *k)
{
	return jr_get(lines[i].text, lines[i].tok, 0, k) >= 0;
}

static unsigned count(unsigned n, const char *ev)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		c += !strcmp(sget(i, "ev"), ev);
	return c;
}

static int find(unsigned n, const char *ev, unsigned nth)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(sget(i, "ev"), ev) && !nth--)
			return (int)i;
	return -1;
}

static struct sim_order_req req(unsigned side, unsigned tif, const char *px, const char *qty,
				const char *cid)
{
	struct sim_order_req r;

	memset(&r, 0, sizeof(r));
	r.inst = kb->id;
	r.side = (uint8_t)side;
	r.type = SIM_ORD_LIMIT;
	r.tif = (uint8_t)tif;
	r.px = F(px);
	r.qty = F(qty);
	snprintf(r.cid, sizeof(r.cid), "%s", cid);
	return r;
}

/* A session of every kind of event, written and flushed as it happens. */
static void session(void)
{
	struct sim_order_req r;
	struct sim_order *o;

	/* partly filled across two levels, the rest expires */
	r = req(SIM_BID, SIM_IOC, "100001000", "2", "a\"b\\c");
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	cr_assert_eq(o->status, SIM_ST_EXPIRED);
	/* off tick: rejected */
	r = req(SIM_BID, SIM_GTC, "90000500", "0.1", "t1");
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_REJ_TICK);
	/* the same client id again: rejected, not stored */
	r.px = F("90000000");
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_REJ_DUP_CID);
	/* rests, then cancelled */
	r = req(SIM_ASK, SIM_GTC, "110000000", "0.5", "s1");
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	cr_assert_eq(sim_exch_cancel(&x, o), 0);
	sim_ledger_event(lg, "fault", ",\"kind\":\"gap\",\"venue\":\"upbit\"");
	sim_ledger_event(lg, "mark", NULL);
}

Test(ledger, one_line_per_event_flushed_at_once)
{
	unsigned n, starting = 2;      /* KRW and BTC */

	session();
	/* no close yet: every line is already in the file, whole */
	n = read_lines();
	cr_assert_eq(n, 1 + starting + n_order + n_fill + n_cancel + n_expire + n_balance + 2);
	cr_assert_str_eq(sget(0, "ev"), "ledger");
	cr_assert_eq(iget(0, "version"), 1);
	cr_assert_eq(count(n, "order"), n_order);
	cr_assert_eq(count(n, "fill"), n_fill);
	cr_assert_eq(count(n, "cancel"), n_cancel);
	cr_assert_eq(count(n, "expire"), n_expire);
	cr_assert_eq(count(n, "balance"), starting + n_balance);
	cr_assert_eq(count(n, "fault"), 1);
	cr_assert_eq(count(n, "mark"), 1);
	cr_assert_eq(n_order, 4);       /* accepted, rejected, duplicate, accepted */
	cr_assert_eq(n_fill, 2);
	cr_assert_eq(n_cancel, 1);
	cr_assert_eq(n_expire, 1);
	for (unsigned i = 0; i < n; i++)
		cr_assert_gt(iget(i, "t"), 0);

	/* the closing summary */
	sim_ledger_close(lg);
	lg = NULL;
	x.ledger = NULL;
	n = read_lines();
	cr_assert_str_eq(sget(n - 1, "ev"), "summary");
	cr_assert_eq(iget(n - 1, "orders"), 2);
	cr_assert_eq(iget(n - 1, "rejects"), 2);
	cr_assert_eq(iget(n - 1, "fills"), 2);
	cr_assert_eq(iget(n - 1, "cancels"), 1);
	cr_assert_eq(iget(n - 1, "expires"), 1);
	cr_assert_eq(iget(n - 1, "balances"), starting + n_balance);
	cr_assert_eq(iget(n - 1, "events"), 2);
}

Test(ledger, order_lines)
{
	unsigned n;
	int i;

	session();
	n = read_lines();
	i = find(n, "order", 0);
	cr_assert_geq(i, 0);
	cr_assert_str_eq(sget(i, "venue"), "upbit");
	cr_assert_eq(iget(i, "acct"), 0);
	cr_assert_str_eq(sget(i, "cid"), "a\"b\\c");
	cr_assert_eq(iget(i, "id"), 1);
	cr_assert_eq(strlen(sget(i, "uuid")), 36);
	cr_assert_str_eq(sget(i, "sym"), "KRW-BTC");
	cr_assert_str_eq(sget(i, "side"), "buy");
	cr_assert_str_eq(sget(i, "type"), "limit");
	cr_assert_str_eq(sget(i, "tif"), "ioc");
	cr_assert_str_eq(sget(i, "px"), "100001000.00000000");
	cr_assert_str_eq(sget(i, "qty"), "2.00000000");
	cr_assert_str_eq(sget(i, "quote_qty"), "0.00000000");
	cr_assert_str_eq(sget(i, "result"), "accepted");
	cr_assert_str_eq(sget(i, "reject"), "");
	cr_assert_str_eq(sget(i, "status"), "new");

	i = find(n, "order", 1);
	cr_assert_str_eq(sget(i, "result"), "rejected");
	cr_assert_str_eq(sget(i, "reject"), "tick");
	cr_assert_str_eq(sget(i, "status"), "rejected");
	cr_assert_eq(iget(i, "id"), 0);
	cr_assert_str_eq(sget(i, "cid"), "t1");
	i = find(n, "order", 2);
	cr_assert_str_eq(sget(i, "reject"), "dup_cid");
	cr_assert_str_eq(sget(i, "px"), "90000000.00000000");

	i = find(n, "expire", 0);
	cr_assert_str_eq(sget(i, "status"), "expired");
	cr_assert_str_eq(sget(i, "filled"), "1.50000000");
	cr_assert_str_eq(sget(i, "filled_quote"), "150001000.00000000");
	cr_assert_str_eq(sget(i, "fee"), "75000.50000000");
	cr_assert_str_eq(sget(i, "fee_asset"), "KRW");
	cr_assert_not(has(i, "result"));

	i = find(n, "cancel", 0);
	cr_assert_str_eq(sget(i, "side"), "sell");
	cr_assert_str_eq(sget(i, "status"), "canceled");
	cr_assert_str_eq(sget(i, "filled"), "0.00000000");
	cr_assert_eq(iget(i, "id"), 2);

	i = find(n, "fault", 0);
	cr_assert_str_eq(sget(i, "kind"), "gap");
	cr_assert_str_eq(sget(i, "venue"), "upbit");
}

/*
 * An order line says how old each venue's market feed was when the order
 * arrived: -1 before the venue sent any frame, then recv - last send in us,
 * 0 for a frame stamped after the arrival.
 */
Test(ledger, order_line_has_md_age_per_venue)
{
	struct sim_order_req r;
	struct sim_order *o;
	unsigned n;
	int i, t, a;
	int64_t v;

	r = req(SIM_ASK, SIM_GTC, "110000000", "0.5", "never");
	r.recv_ns = 5000000000ull;
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	x.md_sent_ns[0] = 4998765000ull;
	r = req(SIM_ASK, SIM_GTC, "110000000", "0.5", "aged");
	r.recv_ns = 5000000000ull;
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);
	x.md_sent_ns[0] = 5000000001ull;
	r = req(SIM_ASK, SIM_GTC, "110000000", "0.5", "after");
	r.recv_ns = 5000000000ull;
	cr_assert_eq(sim_exch_submit(&x, &r, &o), SIM_OK);

	n = read_lines();
	const int64_t want[3] = { -1, 1235, 0 };
	for (unsigned k = 0; k < 3; k++) {
		i = find(n, "order", k);
		cr_assert_geq(i, 0);
		t = jr_get(lines[i].text, lines[i].tok, 0, "md_age_us");
		cr_assert_geq(t, 0, "no md_age_us: %s", lines[i].text);
		cr_assert_eq(lines[i].tok[t].type, JR_OBJ);
		a = jr_get(lines[i].text, lines[i].tok, t, "upbit");
		cr_assert_geq(a, 0, "%s", lines[i].text);
		cr_assert_eq(jr_i64(lines[i].text, &lines[i].tok[a], &v), 0);
		cr_assert_eq(v, want[k], "order %u: md_age_us.upbit %lld", k, (long long)v);
	}
	/* a cancel line carries no age: it is not an arrival */
	cr_assert_eq(sim_exch_cancel(&x, o), 0);
	n = read_lines();
	cr_assert_not(has(find(n, "cancel", 0), "md_age_us"));
}

Test(ledger, fill_lines)
{
	unsigned n;
	int i;

	session();
	n = read_lines();
	i = find(n, "fill", 0);
	cr_assert_geq(i, 0);
	cr_assert_str_eq(sget(i, "cid"), "a\"b\\c");
	cr_assert_eq(iget(i, "id"), 1);
	cr_assert_eq(iget(i, "trade_id"), 1);
	cr_assert_eq(iget(i, "exec_id"), 1);
	cr_assert_str_eq(sget(i, "px"), "100000000.00000000");
	cr_assert_str_eq(sget(i, "qty"), "0.50000000");
	cr_assert_str_eq(sget(i, "quote"), "50000000.00000000");
	cr_assert_str_eq(sget(i, "fee"), "25000.00000000");
	cr_assert_str_eq(sget(i, "fee_asset"), "KRW");
	cr_assert_str_eq(sget(i, "status"), "partial");
	cr_assert_eq(lines[i].tok[jr_get(lines[i].text, lines[i].tok, 0, "maker")].type, JR_FALSE);
	i = find(n, "fill", 1);
	cr_assert_eq(iget(i, "trade_id"), 2);
	cr_assert_eq(iget(i, "exec_id"), 2);
	cr_assert_str_eq(sget(i, "fee"), "50000.50000000");
}

/* The balance lines replay to the accounts' balances: deltas sum, last states match. */
Test(ledger, balance_lines_replay_to_the_balances)
{
	sim_fx free_sum[SIM_MAX_ASSETS] = { 0 }, locked_sum[SIM_MAX_ASSETS] = { 0 };
	sim_fx free_last[SIM_MAX_ASSETS] = { 0 }, locked_last[SIM_MAX_ASSETS] = { 0 };
	unsigned n;

	session();
	n = read_lines();
	for (unsigned i = 0; i < n; i++) {
		const char *ev = sget(i, "ev");
		int k;

		if (strcmp(ev, "balance"))
			continue;
		cr_assert_str_eq(sget(i, "venue"), "upbit");
		cr_assert_eq(iget(i, "acct"), 0);
		k = sim_asset_id(sget(i, "asset"));
		cr_assert(k == KRW || k == BTC);
		free_sum[k] += fget(i, "delta_free");
		locked_sum[k] += fget(i, "delta_locked");
		free_last[k] = fget(i, "free");
		locked_last[k] = fget(i, "locked");
		/* each line's state is the running sum of its deltas */
		cr_assert_eq(free_last[k], free_sum[k]);
		cr_assert_eq(locked_last[k], locked_sum[k]);
	}
	for (int k = 0; k < SIM_MAX_ASSETS; k++) {
		cr_assert_eq(free_sum[k], x.acct[0].free[k]);
		cr_assert_eq(locked_sum[k], x.acct[0].locked[k]);
	}
	cr_assert_eq(x.acct[0].free[BTC], F("3.5"));
	cr_assert_eq(x.acct[0].locked[KRW], 0);
	/* the starting balances come first, as deltas from zero */
	cr_assert_str_eq(sget(1, "ev"), "balance");
	cr_assert_str_eq(sget(1, "delta_free"), sget(1, "free"));
}
