/* SPDX-License-Identifier: MIT */
/*
 * orderd end to end against exsim (odtest.h): the test plays riskd, pushes
 * orders into a fake `orders` ring and checks orderd's reports against
 * exsim's ledger, for Upbit and Binance each.
 */
#include "odtest.h"
#include "../tools/ctlrun.h"
#include "kimp/book.h"
#include "kimp/config.h"
#include "kimp/seqlock.h"
#include "kimp/tradeconf.h"
#include "../../orderd/core.h"

TestSuite(orderd_e2e, .timeout = 240);

static const char quiet[] =
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n";

struct vinfo {
	unsigned venue;
	const char *name, *sym;
	unsigned px_dec, qty_dec;
	int64_t qty;            /* a small order */
	struct venue_inst_rules rules;
};

static struct vinfo *cur;

static void vinfo(unsigned venue, struct vinfo *vi)
{
	struct kimp_conf *kc = NULL;
	static struct kimp_trade_conf tc;
	char err[256];

	cr_assert_eq(kimp_conf_parse("t", "[engine]\ncoins = BTC ETH XRP USDT\n[venue.upbit]\n"
				     "quote = KRW\ncoins = BTC ETH XRP USDT\n[venue.binance]\n"
				     "quote = USDT\ncoins = BTC ETH XRP\n", &kc, err, sizeof(err)), 0);
	cr_assert_eq(kimp_trade_conf_load(kc, &tc, err, sizeof(err)), 0, "%s", err);
	kimp_conf_free(kc);
	vi->venue = venue;
	vi->name = venue == KIMP_VENUE_UPBIT ? "upbit" : "binance";
	vi->sym = venue == KIMP_VENUE_UPBIT ? "KRW-BTC" : "BTCUSDT";
	vi->px_dec = tc.venue[venue].px_dec;
	vi->qty_dec = tc.venue[venue].qty_dec;
	vi->rules = tc.venue[venue].inst[1].rules;
	cur = vi;
	vi->qty = 1;
	for (unsigned i = 0; i + 3 < vi->qty_dec; i++)
		vi->qty *= 10; /* 0.001 BTC */
}

/* A price p moved by bps basis points, on the book's tick (rounded to 1000 units). */
static int64_t px_off(int64_t p, int bps, unsigned px_dec)
{
	int64_t q = p + (int64_t)((__int128)p * bps / 10000); /* KRW prices overflow p * bps */
	int64_t tick = cur->rules.tick_at ? cur->rules.tick_at(q, px_dec) : cur->rules.tick;
	if (tick <= 0)
		tick = 1;
	return q / tick * tick;
}

static void up_on(struct odt *t, unsigned venues, const char *scenario)
{
	odt_init(t);
	odt_exsim(t, scenario);
	odt_riskd(t);
	odt_orderd(t, venues, NULL, NULL, NULL);
	for (unsigned v = 1; v < KIMP_VENUE_MAX; v++)
		if (venues & (1u << v))
			cr_assert(odt_wait_ready(t, v), "venue %u never ready:\n%s", v, odt_out(t));
}

static void up(struct odt *t, unsigned venues)
{
	up_on(t, venues, quiet);
}

static void ioc_fill(unsigned venue)
{
	struct odt t;
	struct vinfo vi;
	char line[4096];

	vinfo(venue, &vi);
	up(&t, 1u << venue);
	int64_t ask = odt_best(&t, vi.name, vi.sym, "asks", vi.px_dec);
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC,
				 px_off(ask, 100, vi.px_dec), vi.qty, 0);
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, KIMP_ORD_FILLED);
	if (!r) {
		const struct kimp_exec_report *l = odt_last(&t, coid);
		cr_assert_fail("no FILLED report (last state %d code %d, px %lld, %u reports):\n%s",
			       l ? l->state : -1, l ? l->reject_code : 0,
			       (long long)px_off(ask, 100, vi.px_dec), t.nreps, odt_out(&t));
	}
	cr_assert_eq(r->cum_qty, vi.qty);
	cr_assert_eq(r->leaves_qty, 0);
	cr_assert(odt_wait_ledger(&t, coid, "\"ev\":\"fill\"", 1, line, sizeof(line)));
	int64_t fee = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		if (t.reps[i].client_oid == coid)
			fee += t.reps[i].fee;
	unsigned fdec = r->fee_asset ? vi.qty_dec : vi.px_dec;
	cr_assert_eq(fee, odt_json_fixed(line, "fee", fdec), "fee %lld, ledger %s", (long long)fee,
		     line);
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	/* the same reports on rep.stratd */
	odt_poll(&t);
	cr_assert_eq(t.nreps2, t.nreps);
	odt_fini(&t);
}

Test(orderd_e2e, binance_ioc_fill) { ioc_fill(KIMP_VENUE_BINANCE); }
Test(orderd_e2e, upbit_ioc_fill) { ioc_fill(KIMP_VENUE_UPBIT); }

static void gtc_cancel(unsigned venue)
{
	struct odt t;
	struct vinfo vi;

	vinfo(venue, &vi);
	up(&t, 1u << venue);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC,
				 px_off(bid, -1000, vi.px_dec), vi.qty, 0);
	cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_ACKED), "%s", odt_out(&t));
	odt_push(&t, KIMP_MSG_ORDER_CANCEL, venue, 1, 0, 0, 0, 0, coid);
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, KIMP_ORD_CANCELLED);
	cr_assert_not_null(r, "no CANCELLED (%s):\n%s", odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(r->cum_qty, 0);
	cr_assert(odt_wait_ledger(&t, coid, "\"ev\":\"cancel\"", 1, NULL, 0));
	odt_fini(&t);
}

Test(orderd_e2e, binance_gtc_cancel) { gtc_cancel(KIMP_VENUE_BINANCE); }
Test(orderd_e2e, upbit_gtc_cancel) { gtc_cancel(KIMP_VENUE_UPBIT); }

static void dropped_response(unsigned venue)
{
	struct odt t;
	struct vinfo vi;
	char q[128];

	vinfo(venue, &vi);
	up(&t, 1u << venue);
	snprintf(q, sizeof(q), "/fault?kind=drop_response&venue=%s&count=1", vi.name);
	cr_assert_eq(odt_ctl(&t, "POST", q, NULL, 0), 200);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC,
				 px_off(bid, -1000, vi.px_dec), vi.qty, 0);
	/*
	 * The venue's stream (Binance user data on the ws-api, Upbit myOrder)
	 * still reports the order: it is ACKED from the stream, or, when the
	 * request's deadline came first, UNKNOWN and then settled by a query.
	 * Either way it is never sent again.
	 */
	cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_ACKED), "never settled (%s):\n%s",
			   odt_reps_str(&t, coid), odt_out(&t));
	/* the request's deadline passes (orderd says so) */
	char want[96];
	snprintf(want, sizeof(want), "%s %llu: no usable reply to the order", vi.name,
		 (unsigned long long)coid);
	cr_assert(odt_wait_log(&t, want), "the request never timed out:\n%s", odt_out(&t));
	bool unknown = false;
	odt_poll(&t);
	for (uint32_t i = 0; i < t.nreps; i++)
		unknown |= t.reps[i].client_oid == coid && t.reps[i].state == KIMP_ORD_UNKNOWN;
	if (unknown)
		cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_ACKED));
	const struct kimp_exec_report *l = odt_last(&t, coid);
	cr_assert(l && l->state == KIMP_ORD_ACKED, "%s", odt_reps_str(&t, coid));
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	/* still ours to cancel */
	odt_push(&t, KIMP_MSG_ORDER_CANCEL, venue, 1, 0, 0, 0, 0, coid);
	cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_CANCELLED), "no CANCELLED (%s):\n%s",
			   odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	odt_fini(&t);
}

Test(orderd_e2e, binance_dropped_response) { dropped_response(KIMP_VENUE_BINANCE); }
Test(orderd_e2e, upbit_dropped_response) { dropped_response(KIMP_VENUE_UPBIT); }

struct jscan {
	uint64_t coids[4096];
	uint32_t n;
};

static void jscan_each(void *arg, const struct jr_rec *r)
{
	struct jscan *j = arg;
	if (r->type == JR_ORDER && j->n < 4096)
		j->coids[j->n++] = r->client_oid;
}

Test(orderd_e2e, kill_and_restart)
{
	struct odt t;
	struct vinfo vi;
	uint64_t coids[200];

	vinfo(KIMP_VENUE_BINANCE, &vi);
	up(&t, 1u << KIMP_VENUE_BINANCE);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	for (int i = 0; i < 200; i++) {
		coids[i] = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
				    KIMP_TIF_GTC, px_off(bid, -1000 - i, vi.px_dec), vi.qty, 0);
		if (i == 100)
			odt_stop_orderd(&t, SIGKILL);
	}
	odt_orderd(&t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, NULL);
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_BINANCE), "%s", odt_out(&t));
	/* every order reaches a settled state */
	for (int i = 0; i < 200; i++) {
		uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
		for (;;) {
			odt_poll(&t);
			const struct kimp_exec_report *r = odt_last(&t, coids[i]);
			if (r && r->state != KIMP_ORD_NEW && r->state != KIMP_ORD_SENT &&
			    r->state != KIMP_ORD_UNKNOWN)
				break;
			cr_assert_lt(kimp_mono_ns(), end, "order %d never settled:\n%s", i, odt_out(&t));
			usleep(1000);
		}
	}
	/* exsim: no cid twice; orderd's journal knows every cid exsim has */
	char path[256];
	static struct jscan js;
	js.n = 0;
	snprintf(path, sizeof(path), "%s/%s.journal", t.jdir, t.od_name);
	cr_assert_geq(journal_replay(path, jscan_each, &js, NULL), 0);
	for (int i = 0; i < 200; i++) {
		unsigned n = odt_ledger_count(&t, coids[i], "\"ev\":\"order\"", NULL, 0);
		cr_assert_leq(n, 1, "cid %d placed %u times", i, n);
		if (n) {
			bool found = false;
			for (uint32_t k = 0; k < js.n && !found; k++)
				found = js.coids[k] == coids[i];
			cr_assert(found, "exsim has cid %d, the journal does not", i);
		}
	}
	/* an order taken again after the restart is a replay, not a duplicate */
	cr_assert_eq(odt_counter(&t, "dup_oid"), 0);
	odt_fini(&t);
}

Test(orderd_e2e, rate_burst_local_rejects)
{
	struct odt t;
	struct vinfo vi;
	char status[8192];

	vinfo(KIMP_VENUE_BINANCE, &vi);
	up(&t, 1u << KIMP_VENUE_BINANCE);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	uint64_t last = 0;
	for (int i = 0; i < 400; i++)
		last = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
				KIMP_TIF_GTC, px_off(bid, -1000, vi.px_dec), vi.qty, 0);
	cr_assert_not_null(odt_wait_state(&t, last, 0xff) ?: odt_wait_state(&t, last, KIMP_ORD_ACKED));
	uint32_t rate_rej = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		rate_rej += t.reps[i].state == KIMP_ORD_REJECTED &&
			    t.reps[i].reject_code == KIMP_OREJ_RATE;
	cr_assert_gt(rate_rej, 0, "no local RATE rejects");
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].r429, 0);
	cr_assert_eq(odt_ctl(&t, "GET", "/status", status, sizeof(status)), 200);
	cr_assert_eq(odt_venue_stat(&t, "binance", "sent_429"), 0, "exsim answered 429");
	cr_assert_eq(odt_venue_stat(&t, "binance", "sent_418"), 0);
	odt_fini(&t);
}

/* A feedd-shaped segment 'feed' with a book table of 16 books (the test removes it). */
static struct shm_seqtab *feed_table(struct odt *t, struct shm_seg *fseg, const char *feed)
{
	struct shm_seqtab *tab;

	cr_assert_eq(shm_seg_create(fseg, feed, shm_seqtab_bytes(sizeof(struct kimp_book), 16) +
				    (1 << 20), &t->so), 0, "%s", shm_last_error());
	cr_assert_eq(shm_seqtab_create(fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book), 16, &tab),
		     0);
	return tab;
}

/* Binance BTC in slot 0 of tab: live, received now, with these levels, update 'n'. */
static void feed_book(struct shm_seqtab *tab, const struct vinfo *vi,
		      const struct kimp_level *bids, unsigned nb, const struct kimp_level *asks,
		      unsigned na, uint64_t n)
{
	struct kimp_book b;

	memset(&b, 0, sizeof(b));
	b.venue = KIMP_VENUE_BINANCE;
	b.inst = 1;
	b.status = KIMP_BOOK_LIVE;
	b.px_dec = (uint8_t)vi->px_dec;
	b.qty_dec = (uint8_t)vi->qty_dec;
	b.recv_mono_ns = kimp_mono_ns();
	b.update_count = n;
	for (unsigned i = 0; i < nb; i++)
		b.bids[b.nbids++] = bids[i];
	for (unsigned i = 0; i < na; i++)
		b.asks[b.nasks++] = asks[i];
	shm_seqtab_write(tab, 0, &b);
}

/*
 * Paper mode: no exsim; a feedd-like segment with the `books` table written
 * here; an IOC buy walks two ask levels and is reported as two fills at the
 * levels' prices (the walked VWAP), the fee at the venue's taker rate.
 */
Test(orderd_e2e, binance_paper_ioc_walks_the_book)
{
	struct odt t;
	struct vinfo vi;
	struct shm_seg fseg;
	struct shm_seqtab *tab;
	char feed[32], extra[256];

	vinfo(KIMP_VENUE_BINANCE, &vi);
	odt_init(&t);
	odt_riskd(&t);
	snprintf(feed, sizeof(feed), "odtf%d", (int)getpid());
	tab = feed_table(&t, &fseg, feed);
	int64_t P = 1, Q = 1;
	for (unsigned i = 0; i < vi.px_dec; i++)
		P *= 10;
	for (unsigned i = 0; i + 4 < vi.qty_dec; i++)
		Q *= 10; /* 0.0001 */
	feed_book(tab, &vi, (const struct kimp_level[]){ { 99 * P, 10 * Q } }, 1,
		  (const struct kimp_level[]){ { 100 * P, 6 * Q }, { 100 * P + P / 2, 10 * Q } }, 2,
		  1);
	snprintf(extra, sizeof(extra), "feedd = %s\n[order.binance]\nmode = paper\n", feed);
	odt_orderd(&t, 0, extra, NULL, NULL);
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_BINANCE), "never ready:\n%s", odt_out(&t));
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
				 KIMP_TIF_IOC, 101 * P, 10 * Q, 0);
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, KIMP_ORD_FILLED);
	cr_assert_not_null(r, "no FILLED (%s):\n%s", odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(r->cum_qty, 10 * Q);
	/* the fills: 0.0006 at 100.00, 0.0004 at 100.50 */
	int64_t fq[2] = { 0 }, fp[2] = { 0 }, fee = 0;
	unsigned nf = 0;
	for (uint32_t i = 0; i < t.nreps; i++) {
		const struct kimp_exec_report *x = &t.reps[i];
		if (x->client_oid != coid || !x->last_qty)
			continue;
		cr_assert_lt(nf, 2, "%s", odt_reps_str(&t, coid));
		fq[nf] = x->last_qty;
		fp[nf++] = x->last_px;
		fee += x->fee;
		cr_assert_eq(x->fee_asset, 1, "a buy pays its fee in the base asset");
	}
	cr_assert_eq(nf, 2);
	cr_assert_eq(fp[0], 100 * P);
	cr_assert_eq(fq[0], 6 * Q);
	cr_assert_eq(fp[1], 100 * P + P / 2);
	cr_assert_eq(fq[1], 4 * Q);
	/* VWAP = (0.0006 x 100 + 0.0004 x 100.5) / 0.001 = 100.2 */
	__int128 quote = (__int128)fp[0] * fq[0] + (__int128)fp[1] * fq[1];
	cr_assert_eq((int64_t)(quote / r->cum_qty), 100 * P + P / 5);
	/* the taker fee on each fill, rounded up, in base */
	int64_t rate = 0;
	{
		struct kimp_conf *kc = NULL;
		static struct kimp_trade_conf tc;
		char err[256];
		cr_assert_eq(kimp_conf_parse("t", "[engine]\ncoins = BTC ETH XRP USDT\n"
					     "[venue.binance]\nquote = USDT\ncoins = BTC ETH XRP\n",
					     &kc, err, sizeof(err)), 0);
		cr_assert_eq(kimp_trade_conf_load(kc, &tc, err, sizeof(err)), 0, "%s", err);
		kimp_conf_free(kc);
		rate = tc.venue[KIMP_VENUE_BINANCE].taker_fee_e8;
	}
	int64_t want = (fq[0] * rate + 99999999) / 100000000 + (fq[1] * rate + 99999999) / 100000000;
	cr_assert_eq(fee, want);
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].mode, KIMP_ORD_PAPER);

	/* a GTC buy below the asks rests; a cancelled one ends CANCELLED */
	uint64_t g1 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_GTC, 99 * P + P / 2, 10 * Q, 0);
	uint64_t g2 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_GTC, 98 * P, 10 * Q, 0);
	cr_assert_not_null(odt_wait_state(&t, g1, KIMP_ORD_ACKED), "%s", odt_reps_str(&t, g1));
	cr_assert_not_null(odt_wait_state(&t, g2, KIMP_ORD_ACKED), "%s", odt_reps_str(&t, g2));
	odt_push(&t, KIMP_MSG_ORDER_CANCEL, KIMP_VENUE_BINANCE, 1, 0, 0, 0, 0, g2);
	cr_assert_not_null(odt_wait_state(&t, g2, KIMP_ORD_CANCELLED), "%s", odt_reps_str(&t, g2));
	/* the book moves through 99.50: the resting order fills there as maker (idle path) */
	feed_book(tab, &vi, (const struct kimp_level[]){ { 98 * P + P / 2, 10 * Q } }, 1,
		  (const struct kimp_level[]){ { 99 * P, 20 * Q } }, 1, 2);
	r = odt_wait_state(&t, g1, KIMP_ORD_FILLED);
	cr_assert_not_null(r, "no maker fill: %s\n%s", odt_reps_str(&t, g1), odt_out(&t));
	cr_assert_eq(r->last_px, 99 * P + P / 2, "a maker fills at its own price");
	cr_assert_eq(r->cum_qty, 10 * Q);
	odt_fini(&t);
	shm_seg_detach(&fseg);
	shm_seg_remove(feed, &t.so);
}

/* Push one order far below the market and wait until its state is settled. */
static const struct kimp_exec_report *settled_order(struct odt *t, struct vinfo *vi, int64_t bid,
						    uint64_t *coid)
{
	*coid = odt_push(t, KIMP_MSG_ORDER_NEW, vi->venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC,
			 px_off(bid, -1000, vi->px_dec), vi->qty, 0);
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	for (;;) {
		odt_poll(t);
		const struct kimp_exec_report *r = odt_last(t, *coid);
		if (r && (r->state == KIMP_ORD_ACKED || r->state == KIMP_ORD_REJECTED))
			return r;
		if (kimp_mono_ns() > end || !odt_alive(t))
			return NULL;
		usleep(500);
	}
}

/*
 * The venue's clock jumps 3 s: the first order after it is refused -1021
 * at most once; orderd resyncs (refusing locally meanwhile) and later
 * orders are accepted.
 */
Test(orderd_e2e, binance_clock_skew_resync)
{
	struct odt t;
	struct vinfo vi;
	uint64_t coid;
	unsigned venue_1021 = 0, acked_after = 0;

	vinfo(KIMP_VENUE_BINANCE, &vi);
	odt_init(&t);
	odt_exsim(&t, quiet);
	odt_riskd(&t);
	/* a 2 s window: a 3 s skew either way is outside it */
	odt_orderd(&t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, "recv_window = 2000ms\n");
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_BINANCE), "%s", odt_out(&t));
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	cr_assert_eq(odt_ctl(&t, "POST", "/fault?kind=clock_skew&venue=binance&skew=3000", NULL, 0),
		     200);
	uint64_t until = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (kimp_mono_ns() < until && acked_after < 3) {
		usleep(2000); /* pacing, not a wait */
		const struct kimp_exec_report *r = settled_order(&t, &vi, bid, &coid);
		cr_assert_not_null(r, "an order never settled:\n%s", odt_out(&t));
		if (r->state == KIMP_ORD_REJECTED && r->reject_code == -1021)
			venue_1021++;
		else if (r->state == KIMP_ORD_REJECTED)
			cr_assert_eq(r->reject_code, KIMP_OREJ_NOT_READY, "%s", odt_reps_str(&t, coid));
		else if (venue_1021)
			acked_after++;
	}
	cr_assert_eq(venue_1021, 1, "-1021 refusals: %u\n%s", venue_1021, odt_out(&t));
	cr_assert_eq(acked_after, 3, "%s", odt_out(&t));
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].clock_rejects, 1);
	cr_assert_geq(t.st->venue[KIMP_VENUE_BINANCE].time_syncs, 2);
	odt_fini(&t);
}

/*
 * burst_429: the first order draws a 429; until the retry time orderd
 * sends nothing to the venue (orders refused locally), so exsim's sent_429
 * grows by the one request that was in flight; after it, orders go again.
 */
Test(orderd_e2e, binance_burst_429_backs_off)
{
	struct odt t;
	struct vinfo vi;
	uint64_t coid;
	unsigned local = 0;

	vinfo(KIMP_VENUE_BINANCE, &vi);
	up(&t, 1u << KIMP_VENUE_BINANCE);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	cr_assert_eq(odt_ctl(&t, "POST", "/fault?kind=burst_429&venue=binance&duration=2s", NULL, 0),
		     200);
	const struct kimp_exec_report *r = settled_order(&t, &vi, bid, &coid);
	cr_assert(r && r->state == KIMP_ORD_REJECTED, "%s\n%s", odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].r429, 1);
	uint64_t until = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (kimp_mono_ns() < until) {
		usleep(5000); /* pacing: a few hundred orders over the 2 s, not a wait */
		r = settled_order(&t, &vi, bid, &coid);
		cr_assert_not_null(r, "%s", odt_out(&t));
		if (r->state == KIMP_ORD_ACKED)
			break;
		cr_assert_eq(r->reject_code, KIMP_OREJ_RATE, "%s", odt_reps_str(&t, coid));
		local++;
	}
	cr_assert_eq(r->state, KIMP_ORD_ACKED, "never accepted again:\n%s", odt_out(&t));
	cr_assert_gt(local, 0);
	/* the order that drew it, and at most one request already in flight
	 * when the fault began (a keepalive or a time sync) */
	uint64_t n429 = odt_venue_stat(&t, "binance", "sent_429");
	cr_assert(n429 >= 1 && n429 <= 2, "sent_429 %llu\n%s", (unsigned long long)n429,
		  odt_out(&t));
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].r429, n429);
	odt_fini(&t);
}

/*
 * ban: the first request after the fault is answered 418; orderd stops the
 * venue (BANNED locally, nothing sent) until the ban ends, then resumes.
 */
Test(orderd_e2e, binance_ban_418)
{
	struct odt t;
	struct vinfo vi;
	uint64_t coid;
	unsigned banned = 0;

	vinfo(KIMP_VENUE_BINANCE, &vi);
	up(&t, 1u << KIMP_VENUE_BINANCE);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	cr_assert_eq(odt_ctl(&t, "POST", "/fault?kind=ban&venue=binance&duration=2s", NULL, 0), 200);
	const struct kimp_exec_report *r = settled_order(&t, &vi, bid, &coid);
	cr_assert(r && r->state == KIMP_ORD_REJECTED, "%s\n%s", odt_reps_str(&t, coid), odt_out(&t));
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (!t.st->venue[KIMP_VENUE_BINANCE].r418 && kimp_mono_ns() < end)
		usleep(1000);
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].r418, 1, "%s", odt_out(&t));
	uint64_t until = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (kimp_mono_ns() < until) {
		usleep(5000); /* pacing: a few hundred orders over the 2 s, not a wait */
		r = settled_order(&t, &vi, bid, &coid);
		cr_assert_not_null(r, "%s", odt_out(&t));
		if (r->state == KIMP_ORD_ACKED)
			break;
		cr_assert(r->reject_code == KIMP_OREJ_BANNED || r->reject_code == KIMP_OREJ_NOT_READY,
			  "%s", odt_reps_str(&t, coid));
		banned += r->reject_code == KIMP_OREJ_BANNED;
	}
	cr_assert_eq(r->state, KIMP_ORD_ACKED, "never accepted again:\n%s", odt_out(&t));
	cr_assert_gt(banned, 0);
	cr_assert_eq(odt_venue_stat(&t, "binance", "sent_418"), 1, "%s", odt_out(&t));
	odt_fini(&t);
}

/*
 * Cancel-then-fill: a marketable IOC order and its cancel right behind it
 * (one ring burst, so the cancel leaves before any answer). The venue
 * fills the order on arrival; the cancel finds nothing to cancel. orderd
 * ends FILLED with every fill (CANCEL_PENDING + fill, or a refused cancel
 * after FILLED), once in the ledger, never cancelled.
 */
static void cancel_chases_fill(unsigned venue)
{
	struct odt t;
	struct vinfo vi;

	vinfo(venue, &vi);
	up(&t, 1u << venue);
	int64_t ask = odt_best(&t, vi.name, vi.sym, "asks", vi.px_dec);
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC,
				 px_off(ask, 100, vi.px_dec), vi.qty, 0);
	odt_push(&t, KIMP_MSG_ORDER_CANCEL, venue, 1, 0, 0, 0, 0, coid);
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, KIMP_ORD_FILLED);
	cr_assert_not_null(r, "no FILLED (%s):\n%s", odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(r->cum_qty, vi.qty);
	cr_assert(odt_wait_ledger(&t, coid, "\"ev\":\"fill\"", 1, NULL, 0));
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"cancel\"", NULL, 0), 0);
	odt_poll(&t);
	const struct kimp_exec_report *l = odt_last(&t, coid);
	cr_assert(l && l->state == KIMP_ORD_FILLED, "%s", odt_reps_str(&t, coid));
	int64_t cum = 0;
	bool pending = false;
	for (uint32_t i = 0; i < t.nreps; i++)
		if (t.reps[i].client_oid == coid) {
			cum += t.reps[i].last_qty;
			pending |= t.reps[i].state == KIMP_ORD_CANCEL_PENDING;
		}
	/* the cancel left before any answer came back: the fill found it pending */
	cr_assert(pending, "no CANCEL_PENDING: %s", odt_reps_str(&t, coid));
	cr_assert_eq(cum, vi.qty, "fills reported: %s", odt_reps_str(&t, coid));
	odt_fini(&t);
}

Test(orderd_e2e, binance_cancel_chases_fill) { cancel_chases_fill(KIMP_VENUE_BINANCE); }
Test(orderd_e2e, upbit_cancel_chases_fill) { cancel_chases_fill(KIMP_VENUE_UPBIT); }

/*
 * The IOC safety net: Upbit's order reply shows no fills it can price
 * (ACKED, cum 0) and, with no private stream here, no myOrder event ever
 * comes; orderd queries the IOC order that is still open after query_every
 * and the query's trades fill it, with the ledger's fee.
 */
Test(orderd_e2e, upbit_ioc_settled_by_query_without_stream)
{
	struct odt t;
	struct vinfo vi;
	char line[4096];

	vinfo(KIMP_VENUE_UPBIT, &vi);
	odt_init(&t);
	t.no_priv = true;
	odt_exsim(&t, quiet);
	odt_riskd(&t);
	odt_orderd(&t, 1u << KIMP_VENUE_UPBIT, NULL, NULL, NULL);
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_UPBIT), "%s", odt_out(&t));
	int64_t ask = odt_best(&t, vi.name, vi.sym, "asks", vi.px_dec);
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_UPBIT, 1, KIMP_SIDE_BUY,
				 KIMP_TIF_IOC, px_off(ask, 100, vi.px_dec), vi.qty, 0);
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, KIMP_ORD_FILLED);
	cr_assert_not_null(r, "no FILLED (%s):\n%s", odt_reps_str(&t, coid), odt_out(&t));
	cr_assert_eq(r->cum_qty, vi.qty);
	cr_assert_geq(t.st->venue[KIMP_VENUE_UPBIT].queries, 1);
	cr_assert(odt_wait_ledger(&t, coid, "\"ev\":\"fill\"", 1, line, sizeof(line)));
	int64_t fee = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		if (t.reps[i].client_oid == coid)
			fee += t.reps[i].fee;
	cr_assert_eq(fee, odt_json_fixed(line, "fee", vi.px_dec), "fee %lld, ledger %s",
		     (long long)fee, line);
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	odt_fini(&t);
}

/*
 * A paper venue with no book table yet: not ready, orders refused locally
 * (NOT_READY); once feedd's segment appears it becomes ready and fills.
 */
Test(orderd_e2e, paper_waits_for_the_book_table)
{
	struct odt t;
	struct vinfo vi;
	struct shm_seg fseg;
	struct shm_seqtab *tab;
	char feed[32], extra[256];

	vinfo(KIMP_VENUE_BINANCE, &vi);
	odt_init(&t);
	odt_riskd(&t);
	snprintf(feed, sizeof(feed), "odtg%d", (int)getpid());
	snprintf(extra, sizeof(extra), "feedd = %s\n[order.binance]\nmode = paper\n", feed);
	odt_orderd(&t, 0, extra, NULL, NULL);
	cr_assert(odt_wait_log(&t, "waiting for the book table"), "%s", odt_out(&t));
	uint64_t c1 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_IOC, 1, vi.qty, 0);
	const struct kimp_exec_report *r = odt_wait_state(&t, c1, KIMP_ORD_REJECTED);
	cr_assert_not_null(r, "%s", odt_out(&t));
	cr_assert_eq(r->reject_code, KIMP_OREJ_NOT_READY);
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].ready, 0);
	/* feedd comes up */
	tab = feed_table(&t, &fseg, feed);
	int64_t P = 1;
	for (unsigned i = 0; i < vi.px_dec; i++)
		P *= 10;
	feed_book(tab, &vi, (const struct kimp_level[]){ { 99 * P, vi.qty * 10 } }, 1,
		  (const struct kimp_level[]){ { 100 * P, vi.qty * 10 } }, 1, 1);
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_BINANCE), "never ready:\n%s", odt_out(&t));
	uint64_t c2 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_IOC, 101 * P, vi.qty, 0);
	r = odt_wait_state(&t, c2, KIMP_ORD_FILLED);
	cr_assert_not_null(r, "%s\n%s", odt_reps_str(&t, c2), odt_out(&t));
	cr_assert_eq(r->last_px, 100 * P);
	odt_fini(&t);
	shm_seg_detach(&fseg);
	shm_seg_remove(feed, &t.so);
}

/*
 * A thin book: BTC's top five levels hold 50 USDT (about 0.0001 BTC a
 * level) and every side has 20 levels, so the whole ask side is a few
 * thousandths of a BTC, whatever the market does meanwhile.
 */
static const char thin[] =
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n"
	"depth_usdt = 50\n[venue.upbit]\ndepth = 20\n[venue.binance]\ndepth = 20\n";

static int64_t pow10_(unsigned n)
{
	int64_t p = 1;
	while (n--)
		p *= 10;
	return p;
}

/*
 * Partial fill: an IOC buy 1 % above the ask for 0.02 BTC, ten times the
 * whole (thin) ask side: the venue fills what its book holds up to the
 * limit and ends the rest. Binance: the remainder EXPIRED (executionReport
 * TRADE... then EXPIRED). Upbit has no expiry: an IOC remainder ends the
 * order in state `cancel` with executed_volume > 0 (exchanges-kr.md 1.3;
 * exsim's ord_state), so orderd ends it CANCELLED. Either way orderd
 * reports the fills as PARTIAL first (qty, price, fee), the final state
 * last, with cum_qty = the sum of the fills = what exsim's ledger says
 * was filled, and its table holds the same.
 */
static void partial_ioc(unsigned venue, unsigned final)
{
	struct odt t;
	struct vinfo vi;
	char line[4096];

	vinfo(venue, &vi);
	up_on(&t, 1u << venue, thin);
	t.strategy = 7;
	int64_t ask = odt_best(&t, vi.name, vi.sym, "asks", vi.px_dec);
	int64_t qty = vi.qty * 20, px = px_off(ask, 100, vi.px_dec);
	uint64_t pushed_ns = kimp_mono_ns();
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_IOC, px,
				 qty, 0);
	uint64_t tsc = t.last_tsc, ring_seq = t.last_ring_seq;
	const struct kimp_exec_report *r = odt_wait_state(&t, coid, final);
	uint64_t seen_ns = kimp_mono_ns();
	cr_assert_not_null(r, "no final state %u (%s):\n%s", final, odt_reps_str(&t, coid),
			   odt_out(&t));
	/* the venue's truth: the order's end in exsim's ledger */
	cr_assert(odt_wait_ledger(&t, coid, "\"ev\":\"expire\"", 1, line, sizeof(line)), "%s",
		  odt_out(&t));
	int64_t filled = odt_json_fixed(line, "filled", vi.qty_dec);
	int64_t quote_e8 = odt_json_fixed(line, "filled_quote", 8);
	cr_assert(filled > 0 && filled < qty, "not a partial fill: %s", line);
	/* the reports, in order: fills (PARTIAL) before the final state, last */
	odt_poll(&t);
	int64_t cum = 0, fee = 0;
	__int128 quote = 0;
	unsigned nfill = 0, npartial = 0, nfinal = 0, fee_asset = 0;
	const struct kimp_exec_report *last = NULL;
	for (uint32_t i = 0; i < t.nreps; i++) {
		const struct kimp_exec_report *x = &t.reps[i];
		if (x->client_oid != coid)
			continue;
		cr_assert(!nfinal, "a report after the final one: %s", odt_reps_str(&t, coid));
		last = x;
		if (x->state == final) {
			nfinal++;
			cr_assert_eq(x->leaves_qty, 0);
		}
		if (!x->last_qty)
			continue;
		cr_assert_eq(x->state, KIMP_ORD_PARTIAL, "a fill reported as state %u: %s", x->state,
			     odt_reps_str(&t, coid));
		cr_assert(x->last_px > 0 && x->last_px <= px, "fill price %lld, limit %lld",
			  (long long)x->last_px, (long long)px);
		cr_assert(x->fee > 0, "a fill with no fee: %s", odt_reps_str(&t, coid));
		cum += x->last_qty;
		cr_assert_eq(x->cum_qty, cum, "cum_qty is not the sum of the fills");
		cr_assert_eq(x->leaves_qty, qty - cum);
		fee += x->fee;
		fee_asset = x->fee_asset;
		quote += (__int128)x->last_px * x->last_qty;
		nfill++;
		npartial++;
	}
	cr_assert_eq(nfinal, 1, "%s", odt_reps_str(&t, coid));
	cr_assert_gt(npartial, 0, "no PARTIAL before the final state: %s", odt_reps_str(&t, coid));
	cr_assert_eq(last->cum_qty, cum);
	cr_assert_eq(cum, filled, "orderd %lld, exsim %lld", (long long)cum, (long long)filled);
	/* the fees: the venue's, in the venue's asset (Binance: a buy pays in base) */
	cr_assert_eq(fee_asset, venue == KIMP_VENUE_BINANCE ? 1u : 0u);
	cr_assert_eq(fee, odt_json_fixed(line, "fee", fee_asset ? vi.qty_dec : vi.px_dec),
		     "fees %lld: %s", (long long)fee, line);
	/* the prices: sum(last_px x last_qty) is exsim's filled quote, each
	 * last_px rounded to the price scale (half a unit per fill) */
	__int128 ours = quote * 100000000, theirs = (__int128)quote_e8 *
						      pow10_(vi.px_dec + vi.qty_dec);
	__int128 diff = ours > theirs ? ours - theirs : theirs - ours;
	cr_assert((diff <= (__int128)cum * 100000000), "quote %lld vs exsim's %lld (e8)",
		  (long long)(quote * 100000000 / pow10_(vi.px_dec + vi.qty_dec)),
		  (long long)quote_e8);
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"fill\"", NULL, 0), nfill,
		     "a report per venue fill");
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	/* orderd's table: the same end */
	struct kimp_ord_entry e;
	cr_assert(odt_entry(&t, coid, &e), "not in orderd's table");
	cr_assert_eq(e.state, final);
	cr_assert_eq(e.qty, qty);
	cr_assert_eq(e.cum_qty, filled);
	cr_assert_eq(e.cum_fee, fee);
	cr_assert_eq(e.tif, KIMP_TIF_IOC);
	cr_assert_eq(e.ingress_tsc, tsc);
	cr_assert_eq(e.ring_seq, ring_seq);
	cr_assert_eq(e.strategy, 7);
	cr_assert_eq(t.nreps2, t.nreps, "rep.stratd carries the same reports");
	/*
	 * tick to order: one sample per venue and over all, from the order's
	 * ingress stamp to its send; that lies inside the interval the test
	 * saw, from the stamp to the final report (1% for the two clocks'
	 * calibrations)
	 */
	char hn[64];
	struct shm_hist_snap hs;
	snprintf(hn, sizeof(hn), "%s.tick_to_order_ns", vi.name);
	cr_assert(odt_hist(&t, hn, &hs), "no %s", hn);
	cr_assert_eq(hs.count, 1, "%s", hn);
	cr_assert_gt(hs.max, 0);
	cr_assert_leq(hs.max, (seen_ns - pushed_ns) + (seen_ns - pushed_ns) / 100 + 1000);
	cr_assert(odt_hist(&t, "tick_to_order_ns", &hs));
	cr_assert_eq(hs.count, 1);
	odt_fini(&t);
}

Test(orderd_e2e, binance_ioc_partial_fill_expires) { partial_ioc(KIMP_VENUE_BINANCE, KIMP_ORD_EXPIRED); }
Test(orderd_e2e, upbit_ioc_partial_fill_cancels) { partial_ioc(KIMP_VENUE_UPBIT, KIMP_ORD_CANCELLED); }

/*
 * riskd sends a client_oid a second time (not the restart replay of the
 * same ring position): orderd drops it, with no record, no report and
 * nothing sent; it counts it (dup_oid) and logs it from the idle path. The
 * order that owns the id is untouched and still cancellable.
 */
Test(orderd_e2e, binance_duplicate_client_oid_dropped)
{
	struct odt t;
	struct vinfo vi;

	vinfo(KIMP_VENUE_BINANCE, &vi);
	up(&t, 1u << KIMP_VENUE_BINANCE);
	int64_t bid = odt_best(&t, vi.name, vi.sym, "bids", vi.px_dec);
	int64_t px = px_off(bid, -1000, vi.px_dec);
	t.strategy = 3;
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
				 KIMP_TIF_GTC, px, vi.qty, 0);
	uint64_t tsc = t.last_tsc;
	t.strategy = 4;
	cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_ACKED), "%s", odt_out(&t));
	uint32_t before = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		before += t.reps[i].client_oid == coid;
	cr_assert_eq(odt_counter(&t, "dup_oid"), 0);
	/* the same id again, another order (twice the size, another price) */
	odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC,
		 px_off(bid, -1100, vi.px_dec), 2 * vi.qty, coid);
	/* a barrier: orders are taken in ring order and reported at once, so
	 * once this one is acknowledged the duplicate was handled before it */
	uint64_t next = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
				 KIMP_TIF_GTC, px, vi.qty, 0);
	cr_assert_not_null(odt_wait_state(&t, next, KIMP_ORD_ACKED), "%s", odt_out(&t));
	uint32_t after = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		after += t.reps[i].client_oid == coid;
	cr_assert_eq(after, before, "a report for the duplicate: %s", odt_reps_str(&t, coid));
	cr_assert_eq(odt_counter(&t, "dup_oid"), 1);
	cr_assert_eq(odt_counter(&t, "duplicates"), 1);
	cr_assert_eq(t.st->duplicates, 1);
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].local_rejects, 0);
	char want[96];
	snprintf(want, sizeof(want), "client_oid %llu again", (unsigned long long)coid);
	cr_assert(odt_wait_log(&t, want), "not logged:\n%s", odt_out(&t));
	cr_assert(strstr(odt_out(&t), "1 such orders since the last line, 1 in all"), "%s",
		  odt_out(&t));
	/* exsim has the id once; orderd's entry is the first order's */
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	cr_assert_eq(odt_ledger_count(&t, next, "\"ev\":\"order\"", NULL, 0), 1);
	struct kimp_ord_entry e;
	cr_assert(odt_entry(&t, coid, &e));
	cr_assert_eq(e.state, KIMP_ORD_ACKED);
	cr_assert_eq(e.qty, vi.qty);
	cr_assert_eq(e.px, px);
	cr_assert_eq(e.ring_seq, 1, "the first order's ring position");
	cr_assert_eq(e.strategy, 3);
	cr_assert_eq(e.ingress_tsc, tsc);
	/* a restart rebuilds the table from the journal: the entry keeps where
	 * it came from, and the id is still known as used */
	odt_stop_orderd(&t, SIGTERM);
	odt_orderd(&t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, NULL);
	cr_assert(odt_wait_ready(&t, KIMP_VENUE_BINANCE), "%s", odt_out(&t));
	cr_assert(odt_entry(&t, coid, &e));
	cr_assert_eq(e.ring_seq, 1);
	cr_assert_eq(e.strategy, 3);
	cr_assert_eq(e.ingress_tsc, tsc);
	cr_assert_eq(e.qty, vi.qty);
	odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC, px,
		 vi.qty, coid);
	next = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			KIMP_TIF_GTC, px, vi.qty, 0);
	cr_assert_not_null(odt_wait_state(&t, next, KIMP_ORD_ACKED), "%s", odt_out(&t));
	cr_assert_eq(odt_counter(&t, "dup_oid"), 2);
	after = 0;
	for (uint32_t i = 0; i < t.nreps; i++)
		after += t.reps[i].client_oid == coid;
	cr_assert_eq(after, before, "a report for the duplicate: %s", odt_reps_str(&t, coid));
	cr_assert_eq(odt_ledger_count(&t, coid, "\"ev\":\"order\"", NULL, 0), 1);
	/* the owner of the id is still ours to cancel */
	odt_push(&t, KIMP_MSG_ORDER_CANCEL, KIMP_VENUE_BINANCE, 1, 0, 0, 0, 0, coid);
	cr_assert_not_null(odt_wait_state(&t, coid, KIMP_ORD_CANCELLED), "%s\n%s",
			   odt_reps_str(&t, coid), odt_out(&t));
	for (uint32_t i = 0; i < t.nreps; i++)
		cr_assert(t.reps[i].client_oid != coid || t.reps[i].state != KIMP_ORD_REJECTED,
			  "%s", odt_reps_str(&t, coid));
	odt_fini(&t);
}

/* How many times orderd's output holds 'what'. */
static unsigned out_count(struct odt *t, const char *what)
{
	unsigned n = 0;

	for (const char *p = odt_out(t); (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/*
 * A secret the venue refuses: the signature error stops Binance (sticky:
 * not retried into a ban), its orders are refused locally and never reach
 * exsim. `kimpctl reset binance` (the real binary, on orderd's control
 * region) starts it again; the cause is still there, so it stops again,
 * said again, and orders stay refused.
 */
Test(orderd_e2e, binance_auth_error_sticks_until_kimpctl_reset)
{
	static const char alert[] = "ALERT binance: key, signature or permission refused";
	struct odt t;
	struct vinfo vi;
	struct run r;
	char conf[160];
	uint64_t end;

	vinfo(KIMP_VENUE_BINANCE, &vi);
	odt_init(&t);
	t.binance_secret = "notTheSecretExsimKnows00000000000000000000000000000000000000000";
	odt_exsim(&t, quiet);
	odt_riskd(&t);
	odt_orderd(&t, 1u << KIMP_VENUE_BINANCE, NULL, NULL, NULL);
	cr_assert(odt_wait_log(&t, alert), "%s", odt_out(&t));
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].sticky, 1);
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].ready, 0);

	uint64_t c1 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_IOC, 1, vi.qty, 0);
	const struct kimp_exec_report *rep = odt_wait_state(&t, c1, KIMP_ORD_REJECTED);
	cr_assert_not_null(rep, "%s", odt_out(&t));
	cr_assert_eq(rep->reject_code, KIMP_OREJ_NOT_READY);

	/* the operator resets it */
	snprintf(conf, sizeof(conf), "%s/orderd.conf", t.dir);
	ctl_run(&r, t.dir, NULL, (const char *const[]){ "-c", conf, "reset", "binance",
							t.od_name, "--wait", "60s", NULL });
	cr_assert_eq(r.status, 0, "kimpctl: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "orderd: binance: "), "%s", r.out);
	cr_assert_eq(t.ctl->reset_req[KIMP_VENUE_BINANCE], 1);
	cr_assert_eq(t.ctl->reset_done[KIMP_VENUE_BINANCE], 1);
	cr_assert(odt_wait_log(&t, "binance: sticky failure reset (kimpctl): starting again"),
		  "%s", odt_out(&t));

	/* the key is still wrong: it stops again by itself */
	end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (out_count(&t, alert) < 2) {
		cr_assert(odt_alive(&t) && kimp_mono_ns() < end, "never stopped again:\n%s",
			  odt_out(&t));
		usleep(1000);
	}
	cr_assert_eq(t.st->venue[KIMP_VENUE_BINANCE].sticky, 1);
	uint64_t c2 = odt_push(&t, KIMP_MSG_ORDER_NEW, KIMP_VENUE_BINANCE, 1, KIMP_SIDE_BUY,
			       KIMP_TIF_IOC, 1, vi.qty, 0);
	rep = odt_wait_state(&t, c2, KIMP_ORD_REJECTED);
	cr_assert_not_null(rep, "%s", odt_out(&t));
	cr_assert_eq(rep->reject_code, KIMP_OREJ_NOT_READY);
	cr_assert_eq(odt_ledger_count(&t, c1, "\"ev\":\"order\"", NULL, 0), 0);
	cr_assert_eq(odt_ledger_count(&t, c2, "\"ev\":\"order\"", NULL, 0), 0);
	odt_fini(&t);
}
