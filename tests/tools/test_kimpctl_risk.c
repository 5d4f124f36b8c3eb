/* SPDX-License-Identifier: MIT */
/*
 * kimpctl risk, kill, pause, resume and strat end to end: build riskd- and
 * stratd-shaped segments by hand in a private directory, run the built
 * binary on them (build/kimpctl, or $KIMPCTL) and check every value it
 * prints; for the commands, a thread of this test plays riskd (or nobody
 * does).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/risk.h"
#include "kimp/segment.h"
#include "kimp/strat.h"
#include "kimp/tsc.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "ctlrun.h"
#include "jsoncheck.h"

#define SEC         UINT64_C(1000000000)
#define ORDER_SLOTS 8
#define CREATED     1700000000123456789ull  /* 2023-11-14 22:13:20.123 UTC */
#define BASE        (1700000000ull << 32)    /* ids: past 2^53 */

static struct tenv env;
static char cfg[128];
static char seg_name[SHM_NAME_MAX];
static uint64_t t0;                         /* CLOCK_MONOTONIC at the fixture */

/* ---- running the binary --------------------------------------------------- */

static struct run r;

static void write_cfg(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n%s",
		 env.dir, env.dir, extra);
	test_write_file(cfg, text, strlen(text));
}

/* Run kimpctl -c cfg with the NULL-terminated args. Fills r. */
static void run(const char *const *args)
{
	ctl_run_conf(&r, env.dir, cfg, args);
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

#define assert_status(n) ctl_assert_status(r, n)

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- a riskd-shaped segment ----------------------------------------------- */

struct rseg {
	struct shm_seg seg;
	struct kimp_risk_state *st;
	struct kimp_risk_control *ctl;
};

static void venue_info(struct kimp_risk_state *st, unsigned v, const char *name,
		       const char *quote, unsigned px_dec, unsigned qty_dec)
{
	struct kimp_risk_venue_info *in = &st->venue_info[v];

	snprintf(in->name, sizeof(in->name), "%s", name);
	snprintf(in->quote, sizeof(in->quote), "%s", quote);
	in->present = 1;
	in->px_dec = (uint8_t)px_dec;
	in->qty_dec = (uint8_t)qty_dec;
	in->krw = !strcmp(quote, "KRW");
}

/*
 * What the risk tests read:
 *   paused (operator|loss), breaker on for an hour, PnL in KRW, rate 1350.5
 *   upbit (KRW, px 0, qty 8): cash, BTC position with an open buy
 *   binance (USDT, px 2, qty 5): BTC position sold down, ETH untouched
 *   orders: slot 0 open (shown), slot 1 closed, slot 2 never used
 */
static void make_risk(struct rseg *s, bool control)
{
	struct kimp_risk_state *st;
	struct kimp_risk_limits *l;
	struct kimp_risk_pos *p;
	struct kimp_risk_order *o;
	void *ptr;

	t0 = kimp_mono_ns();
	cr_assert_gt(t0, 10 * SEC);
	cr_assert_eq(shm_seg_create(&s->seg, seg_name, 1 << 20, &env.o), 0, "%s",
		     shm_last_error());
	cr_assert_eq(shm_region_add(&s->seg, KIMP_RISK_STATE, kimp_risk_state_bytes(ORDER_SLOTS),
				    SHM_REGION_RAW, &ptr), 0, "%s", shm_last_error());
	st = s->st = ptr;
	st->version = KIMP_RISK_VERSION;
	st->size = kimp_risk_state_bytes(ORDER_SLOTS);
	st->order_slots = ORDER_SLOTS;
	st->created_real_ns = CREATED;
	st->ncoins = 3;
	st->breaker_max = KIMP_RISK_BREAKER_MAX;
	strcpy(st->coins[0], "BTC");
	strcpy(st->coins[1], "ETH");
	strcpy(st->coins[2], "USDT");
	venue_info(st, KIMP_VENUE_UPBIT, "upbit", "KRW", 0, 8);
	venue_info(st, KIMP_VENUE_BINANCE, "binance", "USDT", 2, 5);

	l = &st->lim;
	l->mode = KIMP_RISK_MODE_PAUSED;
	l->pause_reasons = KIMP_RISK_PAUSE_OPERATOR | KIMP_RISK_PAUSE_LOSS;
	l->breaker_until = (int64_t)(t0 + 3600 * SEC);
	l->breaker_trips = 2;
	l->breaker_events = 7;
	l->day = 19675;                       /* 2023-11-14 */
	l->day_start_pnl = 10000;             /* 1 KRW */
	l->day_peak_pnl = 20000;              /* 2 KRW */
	l->pnl = -12340678;                   /* -1234.0678 */
	l->realized = -12345678;
	l->unrealized = 5000;
	l->rate = 135050000000;               /* 1350.5 */
	l->rate_ns = (int64_t)(t0 - 2 * SEC);
	l->last_intent_id = BASE + 7;
	l->next_client_oid = BASE + 42;
	l->client_oid_base = BASE;
	l->cancel_alls = 1;
	l->intents = 10;
	l->approved = 6;
	l->trimmed = 1;
	l->rejected = 3;
	l->reports = 9;
	l->dup_reports = 2;
	l->unknown_reports = 1;
	l->kills = 1;
	l->pauses = 2;
	l->resumes = 1;
	l->rejects[KIMP_RISK_QTY_MAX] = 2;
	l->rejects[KIMP_RISK_PAUSED] = 1;
	l->trims[KIMP_RISK_BALANCE] = 1;

	st->venue[KIMP_VENUE_UPBIT] = (struct kimp_risk_venue){
		.cash = 50000000, .cash_start = 60000000, .reserved = 1000000, .fee_quote = 2500,
		.realized = -12000, .unrealized = 3000, .open_orders = 1, .orders = 5,
		.fills = 4, .rejects = 1, .errors = 0,
	};
	p = &st->pos[KIMP_VENUE_UPBIT][1];
	*p = (struct kimp_risk_pos){
		.hold = 150000000, .start = 100000000, .cost = 50000000, .realized = -12000,
		.unrealized = 3000, .mark = 50002000, .mark_ns = (int64_t)(t0 - SEC),
		.fee_quote = 2500, .open_buy = 10000000, .n_buy = 1, .bought = 60000000,
		.sold = 10000000, .fills = 4,
	};
	st->venue[KIMP_VENUE_BINANCE] = (struct kimp_risk_venue){
		.cash = 1234567, .cash_start = 1000000, .fee_quote = 12, .realized = -5,
		.orders = 3, .fills = 2, .errors = 1,
	};
	p = &st->pos[KIMP_VENUE_BINANCE][1];
	*p = (struct kimp_risk_pos){
		.hold = 50000, .start = 100000, .cost = -3500000, .realized = -5,
		.mark = 3700000, .fee_base = 5, .sold = 50000, .fills = 2,
	};

	o = &st->order[0];
	*o = (struct kimp_risk_order){
		.client_oid = BASE + 41, .intent_id = BASE + 6, .pair_id = BASE + 3,
		.px = 50000000, .qty = 10000000, .cum_qty = 2500000, .reserved = 1000000,
		.state = KIMP_ORD_PARTIAL, .open = 1, .venue = KIMP_VENUE_UPBIT, .inst = 1,
		.side = KIMP_SIDE_BUY, .kind = KIMP_INTENT_ENTRY, .leg = 0,
		.created_ns = (int64_t)(t0 - 5 * SEC),
	};
	o = &st->order[1];
	*o = st->order[0];
	o->client_oid = BASE + 40;
	o->open = 0;
	o->state = KIMP_ORD_FILLED;
	o->px = 77777777;
	/* slot 2: client_oid 0, open: never used, not shown */
	st->order[2].open = 1;
	st->order[2].px = 88888888;
	st->magic = KIMP_RISK_MAGIC;

	if (!control)
		return;
	cr_assert_eq(shm_region_add(&s->seg, KIMP_RISK_CONTROL, sizeof(*s->ctl), SHM_REGION_RAW,
				    &ptr), 0);
	s->ctl = ptr;
	s->ctl->version = KIMP_RISK_VERSION;
	s->ctl->magic = KIMP_RISK_CTL_MAGIC;
	atomic_store(&s->ctl->kill_req, 3);
	atomic_store(&s->ctl->kill_done, 3);
	atomic_store(&s->ctl->pause_req, 2);
	atomic_store(&s->ctl->pause_done, 2);
	atomic_store(&s->ctl->resume_req, 1);
	atomic_store(&s->ctl->resume_done, 1);
}

/* A metrics region naming 'pid' as its writer. */
static void add_metrics(struct shm_seg *s, const char *region, pid_t pid)
{
	struct shm_metrics *m;

	cr_assert_eq(shm_metrics_create(s, region, "riskd", 4, 4, 1, &m), 0, "%s",
		     shm_last_error());
	atomic_store(&m->pid, pid);
	atomic_store(&m->heartbeat_ns, kimp_mono_ns() - 3 * SEC);
}

/* A pid that is no process any more. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(test_wait_child(pid), 0);
	return pid;
}

static void setup(void)
{
	tenv_init(&env);
	snprintf(seg_name, sizeof(seg_name), "kctl-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	write_cfg("");
}

static void teardown(void)
{
	int err = shm_seg_remove(seg_name, &env.o);

	cr_expect(err == 0 || err == -ENOENT, "remove %s: %s", seg_name, strerror(-err));
	unlink(cfg);
	tenv_fini(&env);
}

TestSuite(kimpctl_risk, .init = setup, .fini = teardown);
TestSuite(kimpctl_strat, .init = setup, .fini = teardown);

/* ---- risk: text ----------------------------------------------------------- */

Test(kimpctl_risk, text_every_value)
{
	struct rseg s;
	char want[256];

	make_risk(&s, true);
	shm_seg_detach(&s.seg);
	RUN("risk", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	snprintf(want, sizeof(want), "riskd state: segment %s (%s/" SHM_FILE_PREFIX "%s)\n",
		 seg_name, env.dir, seg_name);
	cr_assert(!strncmp(r.out, want, strlen(want)), "'%s' in:\n%s", want, r.out);
	squeeze(r.out);
	assert_has(r.out, "\n version 1\n created 2023-11-14 22:13:20.123 UTC\n riskd_pid -\n"
		   " heartbeat_age -\n mode\n mode paused\n state paused (operator|loss)\n"
		   " killed no\n pause_reasons 0x3 (operator|loss)\n breaker on\n breaker_left ");
	assert_has(r.out, " s\n breaker_trips 2\n breaker_events 7\n commands\n kill_req 3\n"
		   " kill_done 3\n pause_req 2\n pause_done 2\n resume_req 1\n resume_done 1\n");
	assert_has(r.out, "\n pnl (KRW)\n currency KRW\n realized -1234.5678\n unrealized 0.5\n"
		   " total -1234.0678\n day 2023-11-14\n day_start 1\n day_peak 2\n"
		   " day_pnl -1235.0678\n drawdown 1236.0678\n rate (KRW per USDT)\n"
		   " krw_per_usdt 1350.5\n age ");
	assert_has(r.out, "\n venues\n upbit (KRW; px_dec 0, qty_dec 8)\n cash 50000000\n"
		   " cash_start 60000000\n cash_change -10000000\n reserved 1000000\n"
		   " available 49000000\n fees 2500\n realized -12000\n unrealized 3000\n"
		   " open_orders 1\n orders 5\n fills 4\n rejects 1\n errors 0\n positions\n"
		   " COIN HOLD START TRADED COST REALIZED UNREALIZED MARK MARK_AGE OPEN_BUY(N) "
		   "OPEN_SELL(N) FEE_BASE FEE_QUOTE FILLS\n"
		   " BTC 1.5 1 0.5 50000000 -12000 3000 50002000 ");
	assert_has(r.out, " s 0.1(1) 0(0) 0 2500 4\n binance (USDT; px_dec 2, qty_dec 5)\n"
		   " cash 12345.67\n cash_start 10000\n cash_change 2345.67\n reserved 0\n"
		   " available 12345.67\n fees 0.12\n realized -0.05\n unrealized 0\n"
		   " open_orders 0\n orders 3\n fills 2\n rejects 0\n errors 1\n positions\n"
		   " COIN HOLD START TRADED COST REALIZED UNREALIZED MARK MARK_AGE OPEN_BUY(N) "
		   "OPEN_SELL(N) FEE_BASE FEE_QUOTE FILLS\n"
		   " BTC 0.5 1 -0.5 -35000 -0.05 0 37000 - 0(0) 0(0) 0.00005 0 2\n counters\n");
	/* an untouched position is left out */
	assert_lacks(r.out, "\n ETH ");
	assert_has(r.out, "\n counters\n intents 10\n approved 6\n trimmed 1\n rejected 3\n"
		   " reports 9\n dup_reports 2\n unknown_reports 1\n fill_gaps 0\n"
		   " cancel_alls 1\n cancel_all_pending no\n kills 1\n pauses 2\n resumes 1\n"
		   " rejects (by reason)\n QTY_MAX 2\n PAUSED 1\n trims (by reason)\n"
		   " BALANCE 1\n ids\n last_intent_id 7301444403200000007\n"
		   " next_client_oid 7301444403200000042\n client_oid_base 7301444403200000000\n"
		   " open_orders\n CLIENT_OID VENUE COIN SIDE KIND LEG PX QTY FILLED RESERVED "
		   "STATE AGE INTENT_ID PAIR_ID\n 7301444403200000041 upbit BTC buy entry 0 "
		   "50000000 0.1 0.025 1000000 partial ");
	assert_has(r.out, " s 7301444403200000006 7301444403200000003\n");
	/* the closed order and the unused slot stay out */
	assert_lacks(r.out, "7301444403200000040");
	assert_lacks(r.out, "77777777");
	assert_lacks(r.out, "88888888");
	cr_assert(!strcmp(r.out + strlen(r.out) - 3, "03\n"), "ends with the last order:\n%s",
		  r.out);
}

Test(kimpctl_risk, json_every_value)
{
	struct rseg s;
	char want[512];

	make_risk(&s, true);
	shm_seg_detach(&s.seg);
	RUN("risk", "--json", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	assert_json(r.out);
	compact(r.out);
	snprintf(want, sizeof(want), "{\"segment\":\"%s\",\"path\":\"%s/" SHM_FILE_PREFIX "%s\","
		 "\"version\":1,\"created\":\"2023-11-14T22:13:20.123Z\",\"riskd_pid\":0,"
		 "\"riskd_pid_alive\":false,\"heartbeat_age_ns\":null,\"mode\":{\"mode\":\"paused\","
		 "\"state\":\"paused(operator|loss)\",\"killed\":false,"
		 "\"pause_reasons\":[\"operator\",\"loss\"],\"breaker\":\"on\",\"breaker_left_ns\":",
		 seg_name, env.dir, seg_name);
	cr_assert(!strncmp(r.out, want, strlen(want)), "'%s' in:\n%s", want, r.out);
	cr_assert_leq(number_after(r.out, "\"breaker_left_ns\":"), 3600 * SEC);
	cr_assert_gt(number_after(r.out, "\"breaker_left_ns\":"), 0);
	snprintf(want, sizeof(want), "\"breaker_until_mono_ns\":%" PRIu64 ",", t0 + 3600 * SEC);
	assert_has(r.out, want);
	assert_has(r.out, ",\"breaker_trips\":2,\"breaker_events\":7},"
		   "\"commands\":{\"kill_req\":3,\"kill_done\":3,\"pause_req\":2,\"pause_done\":2,"
		   "\"resume_req\":1,\"resume_done\":1},"
		   "\"pnl\":{\"currency\":\"KRW\",\"realized\":\"-1234.5678\",\"unrealized\":\"0.5\","
		   "\"total\":\"-1234.0678\",\"day\":\"2023-11-14\",\"day_start\":\"1\","
		   "\"day_peak\":\"2\",\"day_pnl\":\"-1235.0678\",\"drawdown\":\"1236.0678\"},"
		   "\"rate\":{\"krw_per_usdt\":\"1350.5\",\"age_ns\":");
	cr_assert_geq(number_after(r.out, "\"rate\":{\"krw_per_usdt\":\"1350.5\",\"age_ns\":"),
		      2 * SEC);
	assert_has(r.out, "},\"venues\":[{\"venue\":\"upbit\",\"venue_id\":1,\"quote\":\"KRW\","
		   "\"px_dec\":0,\"qty_dec\":8,\"cash\":\"50000000\",\"cash_start\":\"60000000\","
		   "\"cash_change\":\"-10000000\",\"reserved\":\"1000000\","
		   "\"available\":\"49000000\",\"fees\":\"2500\",\"realized\":\"-12000\","
		   "\"unrealized\":\"3000\",\"open_orders\":1,\"orders\":5,\"fills\":4,"
		   "\"rejects\":1,\"errors\":0,\"positions\":[{\"coin\":\"BTC\",\"inst\":1,"
		   "\"hold\":\"1.5\",\"start\":\"1\",\"traded\":\"0.5\",\"cost\":\"50000000\","
		   "\"realized\":\"-12000\",\"unrealized\":\"3000\",\"mark\":\"50002000\","
		   "\"mark_age_ns\":");
	assert_has(r.out, ",\"fee_base\":\"0\",\"fee_quote\":\"2500\",\"open_buy\":\"0.1\","
		   "\"open_sell\":\"0\",\"open_buy_orders\":1,\"open_sell_orders\":0,"
		   "\"bought\":\"0.6\",\"sold\":\"0.1\",\"fills\":4}]},"
		   "{\"venue\":\"binance\",\"venue_id\":4,\"quote\":\"USDT\",\"px_dec\":2,"
		   "\"qty_dec\":5,\"cash\":\"12345.67\",\"cash_start\":\"10000\","
		   "\"cash_change\":\"2345.67\",\"reserved\":\"0\",\"available\":\"12345.67\","
		   "\"fees\":\"0.12\",\"realized\":\"-0.05\",\"unrealized\":\"0\",\"open_orders\":0,"
		   "\"orders\":3,\"fills\":2,\"rejects\":0,\"errors\":1,\"positions\":[{"
		   "\"coin\":\"BTC\",\"inst\":1,\"hold\":\"0.5\",\"start\":\"1\",\"traded\":\"-0.5\","
		   "\"cost\":\"-35000\",\"realized\":\"-0.05\",\"unrealized\":\"0\","
		   "\"mark\":\"37000\",\"mark_age_ns\":null,\"fee_base\":\"0.00005\","
		   "\"fee_quote\":\"0\",\"open_buy\":\"0\",\"open_sell\":\"0\","
		   "\"open_buy_orders\":0,\"open_sell_orders\":0,\"bought\":\"0\",\"sold\":\"0.5\","
		   "\"fills\":2}]}],");
	assert_has(r.out, "],\"counters\":{\"intents\":10,\"approved\":6,\"trimmed\":1,"
		   "\"rejected\":3,\"reports\":9,\"dup_reports\":2,\"unknown_reports\":1,"
		   "\"fill_gaps\":0,\"cancel_alls\":1,\"cancel_all_pending\":false,\"kills\":1,"
		   "\"pauses\":2,\"resumes\":1},\"rejects\":{\"QTY_MAX\":2,\"PAUSED\":1},"
		   "\"trims\":{\"BALANCE\":1},\"ids\":{\"last_intent_id\":\"7301444403200000007\","
		   "\"next_client_oid\":\"7301444403200000042\","
		   "\"client_oid_base\":\"7301444403200000000\"},\"open_orders\":[{"
		   "\"client_oid\":\"7301444403200000041\",\"intent_id\":\"7301444403200000006\","
		   "\"pair_id\":\"7301444403200000003\",\"venue\":\"upbit\",\"coin\":\"BTC\","
		   "\"side\":\"buy\",\"kind\":\"entry\",\"leg\":0,\"px\":\"50000000\","
		   "\"qty\":\"0.1\",\"filled\":\"0.025\",\"leaves\":\"0.075\","
		   "\"reserved\":\"1000000\",\"state\":\"partial\",\"age_ns\":");
	cr_assert_geq(number_after(r.out, "\"state\":\"partial\",\"age_ns\":"), 5 * SEC);
	cr_assert_geq(number_after(r.out, "\"mark_age_ns\":"), SEC);
	cr_assert(!strcmp(r.out + strlen(r.out) - 3, "}]}"), "%s", r.out);
	cr_assert_eq(count_of(r.out, "\"client_oid\":"), 1, "one open order:\n%s", r.out);
}

/* ---- risk: other states --------------------------------------------------- */

Test(kimpctl_risk, process_and_modes)
{
	struct rseg s;
	char want[128];

	/* riskd alive (this process), halted, no control region, breaker over */
	make_risk(&s, false);
	add_metrics(&s.seg, KIMP_RISK_METRICS, getpid());
	s.st->lim.mode = KIMP_RISK_HALTED;
	s.st->lim.killed = 1;
	s.st->lim.pause_reasons = 0;
	s.st->lim.breaker_until = (int64_t)(t0 - SEC);
	s.st->lim.cancel_all_pending = 1;
	RUN("risk", seg_name);
	assert_status(0);
	squeeze(r.out);
	snprintf(want, sizeof(want), "\n riskd_pid %d (alive)\n heartbeat_age ", (int)getpid());
	assert_has(r.out, want);
	assert_has(r.out, "\n mode halted\n state halted\n killed yes\n pause_reasons 0x0 (none)\n"
		   " breaker off\n breaker_left -\n");
	assert_has(r.out, "\n commands -\n pnl (KRW)\n");
	assert_has(r.out, "\n cancel_all_pending yes\n");
	RUN("risk", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	snprintf(want, sizeof(want), "\"riskd_pid\":%d,\"riskd_pid_alive\":true,\"heartbeat_age_ns\":",
		 (int)getpid());
	assert_has(r.out, want);
	cr_assert_geq(number_after(r.out, "\"heartbeat_age_ns\":"), 3 * SEC);
	assert_has(r.out, "\"breaker\":\"off\",\"breaker_left_ns\":null,");
	assert_has(r.out, "\"commands\":null,");

	/* the breaker: its time left; the rest of a paused mode */
	s.st->lim.mode = KIMP_RISK_MODE_BREAKER;
	s.st->lim.breaker_until = (int64_t)(t0 + 600 * SEC);
	RUN("risk", seg_name);
	assert_status(0);
	squeeze(r.out);
	assert_has(r.out, "\n mode breaker\n state breaker (");
	assert_has(r.out, " s left)\n");
	assert_has(r.out, "\n breaker on\n");
	s.st->lim.breaker_until = (int64_t)(t0 - SEC);
	RUN("risk", seg_name);
	assert_has(squeeze(r.out), "\n state breaker (ended)\n");
	s.st->lim.mode = KIMP_RISK_MODE_PAUSED;
	s.st->lim.pause_reasons = KIMP_RISK_PAUSE_DRAWDOWN;
	RUN("risk", seg_name);
	assert_has(squeeze(r.out), "\n state paused (drawdown)\n");
	s.st->lim.mode = KIMP_RISK_RUNNING;
	s.st->lim.pause_reasons = 0;
	RUN("risk", seg_name);
	assert_has(squeeze(r.out), "\n mode running\n state running\n");
	shm_seg_detach(&s.seg);

	/* a riskd that is gone */
	shm_seg_remove(seg_name, &env.o);
	make_risk(&s, true);
	pid_t gone = dead_pid();
	add_metrics(&s.seg, KIMP_RISK_METRICS, gone);
	shm_seg_detach(&s.seg);
	RUN("risk", seg_name);
	assert_status(0);
	snprintf(want, sizeof(want), "\n riskd_pid %d (dead)\n", (int)gone);
	assert_has(squeeze(r.out), want);
}

Test(kimpctl_risk, odd_values_are_shown_as_they_are)
{
	struct rseg s;

	make_risk(&s, true);
	/* a mode no riskd has, overflowing differences, a name filling its field,
	 * more coins than the table holds, a reason past the names, nothing open */
	s.st->lim.mode = 9;
	s.st->lim.pnl = INT64_MIN;
	s.st->lim.day_start_pnl = 1;
	s.st->lim.day = 0;
	s.st->lim.rate = 0;
	s.st->lim.rate_ns = 0;
	memcpy(s.st->venue_info[KIMP_VENUE_UPBIT].name, "upbit-0123456789", 16);
	s.st->venue[KIMP_VENUE_UPBIT].cash = INT64_MAX;
	s.st->venue[KIMP_VENUE_UPBIT].reserved = -1;
	s.st->ncoins = 200;
	s.st->lim.rejects[KIMP_RISK_REASON_SLOTS - 1] = 5;
	s.st->lim.trims[KIMP_RISK_BALANCE] = 0;
	s.st->order[0].open = 0;
	s.st->pos[KIMP_VENUE_BINANCE][KIMP_RISK_INSTS - 1].hold = 1;
	shm_seg_detach(&s.seg);

	RUN("risk", seg_name);
	assert_status(0);
	squeeze(r.out);
	assert_has(r.out, "\n mode ?\n state ?\n");
	assert_has(r.out, "\n total -922337203685477.5808\n day -\n day_start 0.0001\n"
		   " day_peak 2\n day_pnl -\n drawdown -\n rate (KRW per USDT)\n"
		   " krw_per_usdt -\n age -\n");
	assert_has(r.out, "\n upbit-0123456789 (KRW; px_dec 0, qty_dec 8)\n"
		   " cash 9223372036854775807\n cash_start 60000000\n"
		   " cash_change 9223372036794775807\n reserved -1\n available -\n");
	assert_has(r.out, "\n #31 0.00001 0 0.00001 0 0 0 - - 0(0) 0(0) 0 0 0\n");
	assert_has(r.out, "\n rejects (by reason)\n QTY_MAX 2\n PAUSED 1\n reason_31 5\n"
		   " trims (by reason) none\n");
	/* the last line: no table header under it */
	cr_assert(!strcmp(r.out + strlen(r.out) - 19, "\n open_orders none\n"), "%s", r.out);

	RUN("risk", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"mode\":{\"mode\":\"?\",\"state\":\"?\",");
	assert_has(r.out, "\"total\":\"-922337203685477.5808\",\"day\":null,");
	assert_has(r.out, "\"day_pnl\":null,\"drawdown\":null},\"rate\":{\"krw_per_usdt\":null,"
		   "\"age_ns\":null}");
	assert_has(r.out, "\"venue\":\"upbit-0123456789\",");
	assert_has(r.out, "\"available\":null,");
	assert_has(r.out, "{\"coin\":\"#31\",\"inst\":31,\"hold\":\"0.00001\",");
	assert_has(r.out, "\"rejects\":{\"QTY_MAX\":2,\"PAUSED\":1,\"reason_31\":5},"
		   "\"trims\":{},");
	assert_has(r.out, "\"open_orders\":[]}");
}

/* ---- risk: errors --------------------------------------------------------- */

Test(kimpctl_risk, missing_segment_says_where_it_looked)
{
	char want[256];

	RUN("risk", "nosuch");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: risk: segment 'nosuch' not found in %s or %s\n",
		 env.dir, env.dir);
	assert_has(r.err, want);
	/* the default is riskd's */
	RUN("risk", "--json");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "kimpctl: risk: segment 'riskd' not found in ");
}

Test(kimpctl_risk, segment_without_state)
{
	struct shm_seg s;
	char want[256];

	cr_assert_eq(shm_seg_create(&s, seg_name, 1 << 20, &env.o), 0);
	shm_seg_detach(&s);
	RUN("risk", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: risk: segment '%s' (%s/" SHM_FILE_PREFIX "%s) has "
		 "no region 'state'", seg_name, env.dir, seg_name);
	assert_has(r.err, want);
}

Test(kimpctl_risk, state_of_another_version_is_refused)
{
	struct rseg s;
	char want[256];

	make_risk(&s, true);
	s.st->version = KIMP_RISK_VERSION + 1;
	RUN("risk", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: risk: segment '%s': region 'state' is version %u, "
		 "this kimpctl reads version %u (a riskd of another build?)", seg_name,
		 KIMP_RISK_VERSION + 1, KIMP_RISK_VERSION);
	assert_has(r.err, want);

	/* not riskd's at all; not made yet */
	s.st->version = KIMP_RISK_VERSION;
	s.st->magic = 0x12345678;
	RUN("risk", seg_name, "--json");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "region 'state' is not riskd's state (magic 0x12345678, riskd's is "
		   "0x4b534952)\n");
	s.st->magic = 0;
	RUN("risk", seg_name);
	assert_status(1);
	assert_has(r.err, "(magic 0x00000000, riskd's is 0x4b534952): riskd is making it, or died "
		   "doing so");
	shm_seg_detach(&s.seg);
}

/* The directory entry of region 'name' in s, to change its size. */
static struct shm_region_ent *region_ent(struct shm_seg *s, const char *name)
{
	struct shm_region_ent *e = (struct shm_region_ent *)shm_region_find(s, name);

	cr_assert_not_null(e, "region %s", name);
	return e;
}

Test(kimpctl_risk, state_region_too_small_or_lying)
{
	struct shm_region_ent *e;
	struct rseg s;
	char want[256];

	/* an order table as large as the region holds, and one slot more */
	make_risk(&s, true);
	e = region_ent(&s.seg, KIMP_RISK_STATE);
	e->size = kimp_risk_state_bytes(ORDER_SLOTS);
	RUN("risk", seg_name);
	assert_status(0);
	s.st->order_slots = ORDER_SLOTS + 1;
	RUN("risk", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: risk: segment '%s': region 'state' says %d order "
		 "slots, its %zu bytes hold %d\n", seg_name, ORDER_SLOTS + 1,
		 kimp_risk_state_bytes(ORDER_SLOTS), ORDER_SLOTS);
	cr_assert_str_eq(r.err, want);

	/* a region of the state alone, and one byte less */
	s.st->order_slots = 0;
	e->size = sizeof(struct kimp_risk_state);
	RUN("risk", seg_name);
	assert_status(0);
	assert_has(squeeze(r.out), "\n open_orders none\n");
	e->size = sizeof(struct kimp_risk_state) - 1;
	RUN("risk", seg_name);
	assert_status(1);
	snprintf(want, sizeof(want), "kimpctl: risk: segment '%s': region 'state' is %zu bytes, "
		 "this kimpctl reads %zu (another build?)\n", seg_name,
		 sizeof(struct kimp_risk_state) - 1, sizeof(struct kimp_risk_state));
	cr_assert_str_eq(r.err, want);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, region_outside_the_segment)
{
	struct shm_region_ent *e;
	struct rseg s;

	make_risk(&s, true);
	e = (struct shm_region_ent *)shm_region_find(&s.seg, KIMP_RISK_STATE);
	e->off = s.seg.size - 64;
	shm_seg_detach(&s.seg);
	RUN("risk", seg_name);
	assert_status(1);
	assert_has(r.err, "kimpctl: risk: segment '");
	assert_has(r.err, "': region 'state' lies outside the segment");
}

Test(kimpctl_risk, control_of_another_version_is_refused)
{
	struct rseg s;
	char want[256];

	make_risk(&s, true);
	s.ctl->version = KIMP_RISK_VERSION + 1;
	RUN("risk", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: risk: segment '%s': region 'control' is version %u, "
		 "this kimpctl reads version %u (a riskd of another build?)", seg_name,
		 KIMP_RISK_VERSION + 1, KIMP_RISK_VERSION);
	assert_has(r.err, want);
	s.ctl->version = KIMP_RISK_VERSION;
	s.ctl->magic = 7;
	RUN("risk", seg_name);
	assert_status(1);
	assert_has(r.err, "region 'control' is not riskd's control region (magic 0x00000007, "
		   "riskd's is 0x4c544352)");
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, usage_errors)
{
	RUN("risk", "--bogus");
	assert_status(2);
	cr_assert_str_eq(r.out, "");
	assert_has(r.err, "kimpctl: risk: unknown option '--bogus'\nusage:\n  risk [SEGMENT]");
	RUN("risk", "a", "b");
	assert_status(2);
	assert_has(r.err, "kimpctl: risk: unexpected 'b' (one SEGMENT only)");
	RUN("risk", "--help");
	assert_status(0);
	assert_has(r.out, "risk [SEGMENT] [--json]");
	RUN("strat", "-h");
	assert_status(0);
	assert_has(r.out, "strat [SEGMENT] [--json]");
	RUN("help");
	assert_status(0);
	assert_has(r.out, "\n  risk [SEGMENT] [--json]");
	assert_has(r.out, "\n  kill [SEGMENT] [--wait DURATION]");
	assert_has(r.out, "\n  pause [SEGMENT] [--wait DURATION]");
	assert_has(r.out, "\n  resume [SEGMENT] [--wait DURATION]");
	assert_has(r.out, "\n  strat [SEGMENT] [--json]");
	/* "--" ends the options: a segment named like one */
	RUN("risk", "--", "--json");
	assert_status(1);
	assert_has(r.err, "kimpctl: risk: segment '--json' not found in ");
}

/* ---- kill, pause, resume -------------------------------------------------- */

/* A thread acting as riskd on the control region: what riskd's control() does. */
struct actor {
	struct rseg *s;
	pthread_t th;
	atomic_bool stop;
	bool queue_full;            /* leave the cancel-all pending (the ring is full) */
};

static void act(struct actor *a, _Atomic uint64_t *req, _Atomic uint64_t *done, int what)
{
	struct kimp_risk_limits *l = &a->s->st->lim;
	uint64_t rq = atomic_load_explicit(req, memory_order_acquire);

	if (rq == atomic_load_explicit(done, memory_order_relaxed))
		return;
	if (what == 0) {
		l->killed = 1;
		l->mode = KIMP_RISK_HALTED;
		l->kills++;
		l->cancel_all_pending = a->queue_full;
		l->cancel_alls += !a->queue_full;
	} else if (what == 1) {
		l->pause_reasons |= KIMP_RISK_PAUSE_OPERATOR;
		l->mode = l->killed ? KIMP_RISK_HALTED : KIMP_RISK_MODE_PAUSED;
		l->pauses++;
	} else {
		l->killed = 0;
		l->pause_reasons &= ~(int64_t)KIMP_RISK_PAUSE_OPERATOR;
		l->mode = l->pause_reasons ? KIMP_RISK_MODE_PAUSED : KIMP_RISK_RUNNING;
		l->resumes++;
	}
	atomic_store_explicit(done, rq, memory_order_release);
}

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	struct kimp_risk_control *c = a->s->ctl;
	unsigned spins = 0;

	while (!atomic_load(&a->stop)) {
		act(a, &c->resume_req, &c->resume_done, 2);
		act(a, &c->pause_req, &c->pause_done, 1);
		act(a, &c->kill_req, &c->kill_done, 0);
		test_backoff(&spins);
	}
	return NULL;
}

static void actor_start(struct actor *a, struct rseg *s)
{
	a->s = s;
	atomic_store(&a->stop, false);
	cr_assert_eq(pthread_create(&a->th, NULL, actor_main, a), 0);
}

static void actor_stop(struct actor *a)
{
	atomic_store(&a->stop, true);
	cr_assert_eq(pthread_join(a->th, NULL), 0);
}

/* A segment with riskd's state and control, no riskd; mode running. */
static void make_idle(struct rseg *s)
{
	make_risk(s, true);
	s->st->lim.mode = KIMP_RISK_RUNNING;
	s->st->lim.pause_reasons = 0;
	s->st->lim.breaker_until = 0;
}

Test(kimpctl_risk, commands_acted_on_exit_0)
{
	struct actor a = { 0 };
	struct rseg s;

	make_idle(&s);
	actor_start(&a, &s);
	RUN("kill", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: halted (kill): no new orders; cancel-all sent to orderd\n");
	cr_assert_str_eq(r.err, "");
	cr_assert_eq(atomic_load(&s.ctl->kill_req), 4);
	cr_assert_eq(atomic_load(&s.ctl->kill_done), 4);

	/* paused while killed: the kill wins, and kimpctl says the mode */
	RUN("pause", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: pause done; the mode is halted\n");
	cr_assert_eq(atomic_load(&s.ctl->pause_req), 3);

	RUN("resume", seg_name, "--wait", "3600s");
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: running (resumed)\n");
	cr_assert_eq(atomic_load(&s.ctl->resume_req), 2);
	cr_assert_eq(atomic_load(&s.ctl->resume_done), 2);

	RUN("pause", seg_name, "--wait=3600000ms");
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: paused (operator): no new exposure, hedging allowed\n");
	cr_assert_eq(atomic_load(&s.ctl->pause_done), 4);

	/* a loss pause outlives a resume */
	s.st->lim.pause_reasons |= KIMP_RISK_PAUSE_LOSS;
	RUN("resume", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: resume done, but still paused (loss)\n");

	/* the cancel-all waits for room on orderd's ring */
	a.queue_full = true;
	RUN("kill", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.out, "riskd: halted (kill): no new orders; cancel-all queued for orderd "
			 "(its ring is full: riskd retries)\n");
	cr_assert_eq(atomic_load(&s.ctl->kill_done), 5);
	actor_stop(&a);
	cr_assert_eq(s.st->lim.kills, 1 + 2);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, nobody_acting_exit_1_request_stays)
{
	struct rseg s;
	char want[512];

	make_idle(&s);
	RUN("kill", seg_name, "--wait", "20ms");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: kill: riskd did not act within 20.0 ms: riskd is not "
		 "running. The request stays recorded in segment '%s' (kill requested 4, done 3): "
		 "riskd acts on it when it starts\n", seg_name);
	cr_assert_str_eq(r.err, want);
	cr_assert_eq(atomic_load(&s.ctl->kill_req), 4);
	cr_assert_eq(atomic_load(&s.ctl->kill_done), 3);
	cr_assert_eq(s.st->lim.mode, KIMP_RISK_RUNNING);

	/* a second request adds to the first; --wait 0s looks once */
	RUN("kill", seg_name, "--wait", "0s");
	assert_status(1);
	assert_has(r.err, "kimpctl: kill: riskd did not act within 0 ns: riskd is not running. ");
	assert_has(r.err, "(kill requested 5, done 3)");
	cr_assert_eq(atomic_load(&s.ctl->kill_req), 5);

	RUN("resume", seg_name, "--wait=1ms");
	assert_status(1);
	assert_has(r.err, "(resume requested 2, done 1)");
	cr_assert_eq(atomic_load(&s.ctl->resume_req), 2);
	cr_assert_eq(atomic_load(&s.ctl->pause_req), 2);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, default_wait_is_5_s)
{
	struct rseg s;
	uint64_t start;

	make_idle(&s);
	start = kimp_mono_ns();
	RUN("pause", seg_name);
	assert_status(1);
	cr_assert_geq(kimp_mono_ns() - start, 5 * SEC, "waited 5 s");
	assert_has(r.err, "kimpctl: pause: riskd did not act within 5.00 s: riskd is not running.");
	assert_has(r.err, "(pause requested 3, done 2): riskd acts on it when it starts\n");
	cr_assert_eq(atomic_load(&s.ctl->pause_req), 3);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, riskd_alive_or_gone_is_said)
{
	struct rseg s;
	char want[256];
	pid_t gone;

	make_idle(&s);
	add_metrics(&s.seg, KIMP_RISK_METRICS, getpid());
	RUN("pause", seg_name, "--wait", "1ms");
	assert_status(1);
	snprintf(want, sizeof(want), "riskd did not act within 1.00 ms: riskd (pid %d) is alive but "
		 "did not act (stuck or busy). The request stays recorded", (int)getpid());
	assert_has(r.err, want);
	assert_has(r.err, "riskd acts on it when it gets to it\n");
	shm_seg_detach(&s.seg);
	shm_seg_remove(seg_name, &env.o);

	make_idle(&s);
	gone = dead_pid();
	add_metrics(&s.seg, KIMP_RISK_METRICS, gone);
	RUN("resume", seg_name, "--wait", "1ms");
	assert_status(1);
	snprintf(want, sizeof(want), "riskd is not running (its last pid %d is gone). The request "
		 "stays recorded", (int)gone);
	assert_has(r.err, want);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, command_refused_without_a_good_control_region)
{
	struct rseg s;
	char want[256];

	/* no segment: nothing requested, and where it looked */
	RUN("kill", "nosuch");
	assert_status(1);
	snprintf(want, sizeof(want), "kimpctl: kill: segment 'nosuch' not found in %s or %s "
		 "(riskd makes it when it first starts); nothing was requested\n", env.dir, env.dir);
	cr_assert_str_eq(r.err, want);
	RUN("pause");
	assert_status(1);
	assert_has(r.err, "kimpctl: pause: segment 'riskd' not found in ");

	/* no control region */
	make_risk(&s, false);
	shm_seg_detach(&s.seg);
	RUN("kill", seg_name);
	assert_status(1);
	assert_has(r.err, "kimpctl: kill: segment '");
	assert_has(r.err, "has no region 'control'");
	shm_seg_remove(seg_name, &env.o);

	/* another version, another magic: refused, the counter untouched */
	make_idle(&s);
	s.ctl->version = KIMP_RISK_VERSION + 1;
	RUN("kill", seg_name, "--wait", "1ms");
	assert_status(1);
	snprintf(want, sizeof(want), "kimpctl: kill: segment '%s': region 'control' is version %u, "
		 "this kimpctl reads version %u (a riskd of another build?)\n", seg_name,
		 KIMP_RISK_VERSION + 1, KIMP_RISK_VERSION);
	cr_assert_str_eq(r.err, want);
	cr_assert_eq(atomic_load(&s.ctl->kill_req), 3);
	s.ctl->version = KIMP_RISK_VERSION;
	s.ctl->magic = 0;
	RUN("pause", seg_name, "--wait", "1ms");
	assert_status(1);
	assert_has(r.err, "region 'control' is not riskd's control region (magic 0x00000000, "
		   "riskd's is 0x4c544352)");
	cr_assert_eq(atomic_load(&s.ctl->pause_req), 2);
	shm_seg_detach(&s.seg);
	shm_seg_remove(seg_name, &env.o);

	/* a control region of the layout's size, and one byte less */
	make_idle(&s);
	region_ent(&s.seg, KIMP_RISK_CONTROL)->size = sizeof(struct kimp_risk_control) - 1;
	RUN("resume", seg_name, "--wait", "1ms");
	assert_status(1);
	assert_has(r.err, "region 'control' is 127 bytes, this kimpctl reads 128 (another build?)");
	cr_assert_eq(atomic_load(&s.ctl->resume_req), 1);
	region_ent(&s.seg, KIMP_RISK_CONTROL)->size = sizeof(struct kimp_risk_control);
	RUN("resume", seg_name, "--wait", "1ms");
	assert_status(1);
	assert_has(r.err, "riskd did not act within");
	cr_assert_eq(atomic_load(&s.ctl->resume_req), 2);
	shm_seg_detach(&s.seg);
}

Test(kimpctl_risk, command_usage_errors)
{
	static const char *const bad[] = { "3601s", "3600001ms", "3600000000001ns", "5", "x",
					   "-1s", "1.5s", "", "5 s", "5m", "99999999999999999999s" };
	struct actor a = { 0 };
	struct rseg s;

	make_idle(&s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN("kill", seg_name, "--wait", bad[i]);
		assert_status(2);
		cr_assert_str_eq(r.out, "");
		assert_has(r.err, "kimpctl: kill: --wait '");
		assert_has(r.err, "': not a duration 0s..3600s (a whole number and ns, us, ms or s)");
		assert_has(r.err, "usage:\n  kill [SEGMENT] [--wait DURATION]");
	}
	RUN("pause", seg_name, "--wait");
	assert_status(2);
	assert_has(r.err, "kimpctl: pause: --wait needs a duration");
	RUN("resume", "--now");
	assert_status(2);
	assert_has(r.err, "kimpctl: resume: unknown option '--now'");
	RUN("kill", seg_name, "other");
	assert_status(2);
	assert_has(r.err, "kimpctl: kill: unexpected 'other' (one SEGMENT only)");
	RUN("kill", "--help");
	assert_status(0);
	assert_has(r.out, "kill [SEGMENT] [--wait DURATION]");
	/* nothing was requested by any of these */
	cr_assert_eq(atomic_load(&s.ctl->kill_req), 3);
	cr_assert_eq(atomic_load(&s.ctl->pause_req), 2);
	cr_assert_eq(atomic_load(&s.ctl->resume_req), 1);

	/* the largest wait is taken (riskd acts at once) */
	actor_start(&a, &s);
	RUN("kill", seg_name, "--wait", "3600000000000ns");
	assert_status(0);
	actor_stop(&a);
	shm_seg_detach(&s.seg);
}

/* ---- a stratd-shaped segment ---------------------------------------------- */

static const char strat_conf[] =
	"[engine]\ncoins = BTC ETH USDT\n"
	"[venue.upbit]\npx_dec = 0\nqty_dec = 8\ncoins = BTC ETH\n"
	"[venue.binance]\npx_dec = 2\nqty_dec = 5\ncoins = BTC ETH\n";

static struct kimp_strat_order sorder(uint64_t intent, uint64_t oid, int64_t kind, int64_t side,
				      int64_t px, int64_t qty, int64_t slip, int64_t state,
				      int64_t age_s)
{
	return (struct kimp_strat_order){
		.intent_id = intent, .client_oid = oid, .kind = kind, .side = side, .px = px,
		.qty = qty, .max_slip_px = slip, .state = state,
		.sent_ns = (int64_t)(t0 - (uint64_t)age_s * SEC),
	};
}

/*
 * What the strat tests read: BTC between upbit (KRW, px 0, qty 8) and
 * binance (USDT, px 2, qty 5); one pair mending: the upbit sell leg did not
 * fill and its retry was refused, the binance buy filled 0.05 BTC.
 */
static struct kimp_strat_state *make_strat(struct shm_seg *s)
{
	struct kimp_strat_state *st;
	struct kimp_strat_coin *c;
	struct kimp_strat_pair *p;
	struct kimp_strat_leg *l;
	void *ptr;

	t0 = kimp_mono_ns();
	cr_assert_gt(t0, 200 * SEC);
	cr_assert_eq(shm_seg_create(s, seg_name, 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(shm_region_add(s, KIMP_STRAT_STATE_REGION, sizeof(*st), SHM_REGION_RAW, &ptr),
		     0, "%s", shm_last_error());
	st = ptr;
	st->version = KIMP_STRAT_VERSION;
	st->size = sizeof(*st);
	st->created_real_ns = CREATED;
	st->conf_fp = 0xabcdef;
	st->id_base = BASE;
	st->next_intent_id = BASE + 9;
	st->next_pair_id = BASE + 4;
	st->pushed = 12;
	st->md_salt = 0x1234;
	st->pairs_open = 1;
	st->cnt = (struct kimp_strat_counters){
		.evals = 100, .entries = 3, .intents = 8, .retries = 1, .unwinds = 1,
		.verdicts = 7, .rejects = 1, .trims = 1, .reports = 6, .fills = 4,
		.pairs_done = 2, .timeouts = 1, .recover_back = 1,
	};

	c = &st->coin[1];
	*c = (struct kimp_strat_coin){
		.krw_venue = KIMP_VENUE_UPBIT, .usdt_venue = KIMP_VENUE_BINANCE, .qty_dec = 8,
		.n = 500, .mean = kimp_strat_bits(0.0213), .var = kimp_strat_bits(0.0001),
		.first_ns = (int64_t)(t0 - 100 * SEC), .last_ns = (int64_t)(t0 - SEC),
		.prem_mid = kimp_strat_bits(0.025), .prem_sell = kimp_strat_bits(0.031),
		.prem_buy = kimp_strat_bits(-0.019), .rate = kimp_strat_bits(1350.5),
		.unhedged = 5000000, .unhedged_since = (int64_t)(t0 - 7 * SEC), .dust = 3,
		.last_entry_ns = (int64_t)(t0 - 8 * SEC), .entries = 3, .pairs_done = 2,
		.pairs_mended = 1, .retries = 1, .unwinds = 1, .fills = 4,
	};

	st->inv[KIMP_VENUE_UPBIT][0] = (struct kimp_strat_inv){ 100000000, -2500000, 5000000, 0 };
	st->inv[KIMP_VENUE_UPBIT][1] = (struct kimp_strat_inv){ 100000000, 5000000, 0, 0 };
	st->inv[KIMP_VENUE_BINANCE][0] = (struct kimp_strat_inv){ 1000000, 0, 185150, 0 };
	st->inv[KIMP_VENUE_BINANCE][1] = (struct kimp_strat_inv){ 100000, 0, 0, 5000 };

	p = &st->pair[3];
	p->pair_id = BASE + 3;
	p->inst = 1;
	p->dir = KIMP_STRAT_SELL_KRW;
	p->state = KIMP_STRAT_PAIR_MENDING;
	p->target = 5000000;
	p->opened_ns = (int64_t)(t0 - 8 * SEC);
	p->mend_since_ns = (int64_t)(t0 - 6 * SEC);
	p->prem = kimp_strat_bits(0.031);
	p->dev = kimp_strat_bits(0.0097);
	l = &p->leg[0];
	l->venue = KIMP_VENUE_UPBIT;
	l->side = KIMP_SIDE_SELL;
	l->decision_px = 50000000;
	l->norders = 2;
	l->retries = 1;
	l->ord[0] = sorder(BASE + 6, BASE + 41, KIMP_INTENT_ENTRY, KIMP_SIDE_SELL, 50000000,
			   5000000, 50000, KIMP_STRAT_ORD_DONE, 8);
	l->ord[0].approved = 5000000;
	l->ord[1] = sorder(BASE + 8, 0, KIMP_INTENT_RETRY, KIMP_SIDE_SELL, 49900000, 5000000,
			   100000, KIMP_STRAT_ORD_REJECTED, 2);
	l->ord[1].reason = KIMP_RISK_PRICE_BAND;
	/* past norders: left over from an earlier pair, never shown */
	l->ord[2] = sorder(BASE + 99, 0, KIMP_INTENT_ENTRY, KIMP_SIDE_SELL, 99999999, 1, 0,
			   KIMP_STRAT_ORD_SENT, 1);
	l = &p->leg[1];
	l->venue = KIMP_VENUE_BINANCE;
	l->side = KIMP_SIDE_BUY;
	l->decision_px = 3703000;
	l->filled = 5000;
	l->notional = 185150;
	l->fee_quote = 185;
	l->norders = 1;
	l->ord[0] = sorder(BASE + 7, BASE + 40, KIMP_INTENT_ENTRY, KIMP_SIDE_BUY, 3703000, 5000,
			   1000, KIMP_STRAT_ORD_DONE, 8);
	l->ord[0].approved = 5000;
	l->ord[0].cum_qty = 5000;
	l->ord[0].notional = 185150;
	st->magic = KIMP_STRAT_MAGIC;
	return st;
}

/* ---- strat ---------------------------------------------------------------- */

Test(kimpctl_strat, text_every_value)
{
	struct shm_seg s;
	char want[512];

	write_cfg(strat_conf);
	make_strat(&s);
	shm_seg_detach(&s);
	RUN("strat", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	snprintf(want, sizeof(want), "stratd state: segment %s (%s/" SHM_FILE_PREFIX "%s)\n"
		 "  version            1\n"
		 "  created            2023-11-14 22:13:20.123 UTC\n"
		 "  stratd_pid         -\n"
		 "  heartbeat_age      -\n"
		 "  scales             from %s\n", seg_name, env.dir, seg_name, cfg);
	cr_assert(!strncmp(r.out, want, strlen(want)), "'%s' in:\n%s", want, r.out);
	squeeze(r.out);
	assert_has(r.out, "\n ids\n id_base 7301444403200000000\n next_intent_id 7301444403200000009\n"
		   " next_pair_id 7301444403200000004\n pushed 12\n md_salt 0x1234\n"
		   " conf_fp 0xabcdef\n counters\n pairs_open 1\n queued 0\n evals 100\n"
		   " entries 3\n intents 8\n retries 1\n unwinds 1\n verdicts 7\n rejects 1\n"
		   " trims 1\n reports 6\n fills 4\n pairs_done 2\n pairs_stuck 0\n timeouts 1\n"
		   " dust 0\n recover_back 1\n recover_forward 0\n coins\n");
	assert_has(r.out, "\n coins\n BTC (inst 1): upbit / binance\n qty_dec 8\n"
		   " model (premium as a fraction: 0.02 = 2%)\n samples 500\n mean 0.0213\n"
		   " deviation 0.01\n span 99.0 s\n last_sample_age ");
	assert_has(r.out, " s\n last evaluation\n prem_mid 0.025\n prem_sell_krw 0.031\n"
		   " prem_buy_krw -0.019\n rate 1350.5\n unhedged exposure (+ bought, - sold)\n"
		   " unhedged 0.05\n unhedged_age ");
	assert_has(r.out, " s\n dust 0.00000003\n counters\n last_entry_age ");
	assert_has(r.out, " s\n entries 3\n pairs_done 2\n pairs_mended 1\n pairs_stuck 0\n"
		   " retries 1\n unwinds 1\n fills 4\n inventory\n");
	/* ETH has no pair: no coin entry */
	assert_lacks(r.out, "ETH (inst 2)");
	assert_has(r.out, "\n inventory\n upbit (KRW; px_dec 0, qty_dec 8)\n assets\n"
		   " ASSET START FILLS HOLD RESERVED FREE INCOMING\n"
		   " KRW 100000000 -2500000 97500000 5000000 92500000 0\n"
		   " BTC 1 0.05 1.05 0 1.05 0\n"
		   " binance (USDT; px_dec 2, qty_dec 5)\n assets\n"
		   " ASSET START FILLS HOLD RESERVED FREE INCOMING\n"
		   " USDT 10000 0 10000 1851.5 8148.5 0\n"
		   " BTC 1 0 1 0 1 0.05\n pairs\n");
	assert_has(r.out, "\n pairs\n pair 7301444403200000003: BTC sell_krw, mending\n"
		   " target 0.05\n imbalance 0.05\n age ");
	assert_has(r.out, " s\n premium 0.031\n deviation 0.0097\n retry_off no\n dust 0\n"
		   " legs\n leg 0: upbit sell\n decision_px 50000000\n filled 0\n notional 0\n"
		   " fee_quote 0\n fee_base 0\n orders_made 2\n retries 1\n unwinds 0\n"
		   " orders\n # KIND SIDE PX QTY MAX_SLIP APPROVED FILLED NOTIONAL STATE REASON"
		   " RESERVED AGE INTENT_ID CLIENT_OID\n"
		   " 1 entry sell 50000000 0.05 50000 0.05 0 0 done - 0 ");
	assert_has(r.out, " s 7301444403200000006 7301444403200000041\n"
		   " 2 retry sell 49900000 0.05 100000 0 0 0 rejected PRICE_BAND 0 ");
	assert_has(r.out, " s 7301444403200000008 -\n leg 1: binance buy\n decision_px 37030\n"
		   " filled 0.05\n notional 1851.5\n fee_quote 1.85\n fee_base 0\n"
		   " orders_made 1\n retries 0\n unwinds 0\n orders\n"
		   " # KIND SIDE PX QTY MAX_SLIP APPROVED FILLED NOTIONAL STATE REASON"
		   " RESERVED AGE INTENT_ID CLIENT_OID\n"
		   " 1 entry buy 37030 0.05 10 0.05 0.05 1851.5 done - 0 ");
	assert_has(r.out, " s 7301444403200000007 7301444403200000040\n");
	cr_assert(!strcmp(r.out + strlen(r.out) - 20, "7301444403200000040\n"), "%s", r.out);
	/* the leftover order past norders */
	assert_lacks(r.out, "7301444403200000099");
	assert_lacks(r.out, "99999999");
}

Test(kimpctl_strat, json_every_value)
{
	struct shm_seg s;
	char want[1024];

	write_cfg(strat_conf);
	make_strat(&s);
	shm_seg_detach(&s);
	RUN("strat", seg_name, "--json");
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	assert_json(r.out);
	compact(r.out);
	snprintf(want, sizeof(want), "{\"segment\":\"%s\",\"path\":\"%s/" SHM_FILE_PREFIX "%s\","
		 "\"version\":1,\"created\":\"2023-11-14T22:13:20.123Z\",\"stratd_pid\":0,"
		 "\"stratd_pid_alive\":false,\"heartbeat_age_ns\":null,\"scales\":\"from%s\","
		 "\"ids\":{\"id_base\":\"7301444403200000000\","
		 "\"next_intent_id\":\"7301444403200000009\","
		 "\"next_pair_id\":\"7301444403200000004\",\"pushed\":12,"
		 "\"md_salt\":\"0x1234\",\"conf_fp\":\"0xabcdef\"},", seg_name, env.dir, seg_name,
		 cfg);
	cr_assert(!strncmp(r.out, want, strlen(want)), "'%s' in:\n%s", want, r.out);
	assert_has(r.out, "\"counters\":{\"pairs_open\":1,\"queued\":0,\"evals\":100,"
		   "\"entries\":3,\"intents\":8,\"retries\":1,\"unwinds\":1,\"verdicts\":7,"
		   "\"rejects\":1,\"trims\":1,\"reports\":6,\"fills\":4,\"pairs_done\":2,"
		   "\"pairs_stuck\":0,\"timeouts\":1,\"dust\":0,\"recover_back\":1,"
		   "\"recover_forward\":0},\"coins\":[{\"coin\":\"BTC\",\"inst\":1,"
		   "\"krw_venue\":\"upbit\",\"usdt_venue\":\"binance\",\"qty_dec\":8,"
		   "\"model\":{\"samples\":500,\"mean\":\"0.0213\",\"deviation\":\"0.01\","
		   "\"span_ns\":99000000000,\"last_sample_age_ns\":");
	cr_assert_geq(number_after(r.out, "\"last_sample_age_ns\":"), SEC);
	assert_has(r.out, "},\"last\":{\"prem_mid\":\"0.025\",\"prem_sell_krw\":\"0.031\","
		   "\"prem_buy_krw\":\"-0.019\",\"rate\":\"1350.5\"},"
		   "\"exposure\":{\"unhedged\":\"0.05\",\"unhedged_age_ns\":");
	cr_assert_geq(number_after(r.out, "\"unhedged_age_ns\":"), 7 * SEC);
	assert_has(r.out, ",\"dust\":\"0.00000003\"},\"counters\":{\"last_entry_age_ns\":");
	assert_has(r.out, ",\"entries\":3,\"pairs_done\":2,\"pairs_mended\":1,\"pairs_stuck\":0,"
		   "\"retries\":1,\"unwinds\":1,\"fills\":4}}],\"inventory\":[{"
		   "\"venue\":\"upbit\",\"venue_id\":1,\"quote\":\"KRW\",\"px_dec\":0,"
		   "\"qty_dec\":8,\"scales\":\"config\",\"assets\":[{\"asset\":\"KRW\","
		   "\"inst\":0,\"start\":\"100000000\",\"fills\":\"-2500000\","
		   "\"hold\":\"97500000\",\"free\":\"92500000\",\"reserved\":\"5000000\","
		   "\"incoming\":\"0\"},{\"asset\":\"BTC\",\"inst\":1,\"start\":\"1\","
		   "\"fills\":\"0.05\",\"hold\":\"1.05\",\"free\":\"1.05\",\"reserved\":\"0\","
		   "\"incoming\":\"0\"}]},{\"venue\":\"binance\",\"venue_id\":4,"
		   "\"quote\":\"USDT\",\"px_dec\":2,\"qty_dec\":5,\"scales\":\"config\","
		   "\"assets\":[{\"asset\":\"USDT\",\"inst\":0,\"start\":\"10000\","
		   "\"fills\":\"0\",\"hold\":\"10000\",\"free\":\"8148.5\","
		   "\"reserved\":\"1851.5\",\"incoming\":\"0\"},{\"asset\":\"BTC\",\"inst\":1,"
		   "\"start\":\"1\",\"fills\":\"0\",\"hold\":\"1\",\"free\":\"1\","
		   "\"reserved\":\"0\",\"incoming\":\"0.05\"}]}],\"pairs\":[{"
		   "\"pair_id\":\"7301444403200000003\",\"coin\":\"BTC\",\"inst\":1,"
		   "\"dir\":\"sell_krw\",\"state\":\"mending\",\"target\":\"0.05\","
		   "\"imbalance\":\"0.05\",\"age_ns\":");
	cr_assert_geq(number_after(r.out, "\"imbalance\":\"0.05\",\"age_ns\":"), 8 * SEC);
	cr_assert_geq(number_after(r.out, "\"mending_for_ns\":"), 6 * SEC);
	assert_has(r.out, ",\"premium\":\"0.031\",\"deviation\":\"0.0097\",\"retry_off\":false,"
		   "\"dust\":\"0\",\"legs\":[{\"leg\":0,\"venue\":\"upbit\",\"side\":\"sell\","
		   "\"decision_px\":\"50000000\",\"filled\":\"0\",\"notional\":\"0\","
		   "\"fee_quote\":\"0\",\"fee_base\":\"0\",\"orders_made\":2,\"retries\":1,"
		   "\"unwinds\":0,\"orders\":[{\"n\":1,\"intent_id\":\"7301444403200000006\","
		   "\"client_oid\":\"7301444403200000041\",\"kind\":\"entry\",\"side\":\"sell\","
		   "\"px\":\"50000000\",\"qty\":\"0.05\",\"max_slip_px\":\"50000\","
		   "\"approved\":\"0.05\",\"filled\":\"0\",\"notional\":\"0\","
		   "\"state\":\"done\",\"reason\":null,\"reserved\":\"0\",\"age_ns\":");
	assert_has(r.out, "},{\"n\":2,\"intent_id\":\"7301444403200000008\",\"client_oid\":null,"
		   "\"kind\":\"retry\",\"side\":\"sell\",\"px\":\"49900000\",\"qty\":\"0.05\","
		   "\"max_slip_px\":\"100000\",\"approved\":\"0\",\"filled\":\"0\","
		   "\"notional\":\"0\",\"state\":\"rejected\",\"reason\":\"PRICE_BAND\","
		   "\"reserved\":\"0\",\"age_ns\":");
	assert_has(r.out, "}]},{\"leg\":1,\"venue\":\"binance\",\"side\":\"buy\","
		   "\"decision_px\":\"37030\",\"filled\":\"0.05\",\"notional\":\"1851.5\","
		   "\"fee_quote\":\"1.85\",\"fee_base\":\"0\",\"orders_made\":1,\"retries\":0,"
		   "\"unwinds\":0,\"orders\":[{\"n\":1,\"intent_id\":\"7301444403200000007\","
		   "\"client_oid\":\"7301444403200000040\",\"kind\":\"entry\",\"side\":\"buy\","
		   "\"px\":\"37030\",\"qty\":\"0.05\",\"max_slip_px\":\"10\","
		   "\"approved\":\"0.05\",\"filled\":\"0.05\",\"notional\":\"1851.5\","
		   "\"state\":\"done\",\"reason\":null,\"reserved\":\"0\",\"age_ns\":");
	cr_assert(!strcmp(r.out + strlen(r.out) - 7, "}]}]}]}"), "%s", r.out);
	assert_lacks(r.out, "7301444403200000099");
}

Test(kimpctl_strat, scales_default_without_a_configuration)
{
	struct shm_seg s;

	/* no [engine] coins: tradeconf refuses; the defaults are used and said */
	make_strat(&s);
	shm_seg_detach(&s);
	RUN("strat", seg_name);
	assert_status(0);
	cr_assert_str_eq(r.err, "");
	squeeze(r.out);
	assert_has(r.out, "\n scales default (8 decimals): ");
	assert_has(r.out, "key 'engine.coins': missing");
	assert_has(r.out, "\n #1 (inst 1): upbit / binance\n");
	assert_has(r.out, "\n upbit (KRW; px_dec 8, qty_dec 8, default scales)\n assets\n"
		   " ASSET START FILLS HOLD RESERVED FREE INCOMING\n"
		   " KRW 1 -0.025 0.975 0.05 0.925 0\n #1 1 0.05 1.05 0 1.05 0\n");
	assert_has(r.out, "\n leg 1: binance buy\n decision_px 0.03703\n filled 0.00005\n");
	/* the coin's own scale (in the state) does not depend on the configuration */
	assert_has(r.out, "\n target 0.05\n");
	RUN("strat", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"quote\":\"USDT\",\"px_dec\":8,\"qty_dec\":8,\"scales\":\"default\",");

	/* a configuration without one of the venues: that venue's scales are the defaults */
	write_cfg("[engine]\ncoins = BTC ETH USDT\n[venue.upbit]\npx_dec = 0\nqty_dec = 8\n"
		  "coins = BTC ETH\n");
	RUN("strat", seg_name);
	assert_status(0);
	squeeze(r.out);
	assert_has(r.out, "\n upbit (KRW; px_dec 0, qty_dec 8)\n");
	assert_has(r.out, "\n binance (USDT; px_dec 8, qty_dec 8, default scales)\n");
	assert_has(r.out, "\n BTC (inst 1): upbit / binance\n");
}

Test(kimpctl_strat, odd_values_are_shown_as_they_are)
{
	struct kimp_strat_state *st;
	struct kimp_strat_pair *p;
	struct shm_seg s;

	write_cfg(strat_conf);
	st = make_strat(&s);
	p = &st->pair[3];
	/* more orders than a leg holds, a venue no one knows, a bad variance, no
	 * samples yet, a leg scale finer than the coin's: no imbalance */
	p->leg[0].norders = 100;
	for (int i = 0; i < KIMP_STRAT_ORDERS; i++)
		p->leg[0].ord[i] = sorder(BASE + 200 + (uint64_t)i, 0, 7, 0, 1, 1, 0, 42, 1);
	p->leg[1].venue = 99;
	p->dir = 0;
	p->state = 9;
	st->coin[1].var = kimp_strat_bits(-1.0);
	st->coin[1].n = 0;
	st->coin[1].qty_dec = 4;
	st->coin[1].unhedged = 0;
	RUN("strat", seg_name);
	assert_status(0);
	squeeze(r.out);
	assert_has(r.out, "\n samples 0\n mean 0.0213\n deviation nan\n span -\n"
		   " last_sample_age -\n");
	assert_has(r.out, "\n unhedged 0\n unhedged_age -\n");
	assert_has(r.out, "\n pair 7301444403200000003: BTC ?, ?\n target 500\n imbalance -\n");
	assert_has(r.out, "\n 8 ? ? 1 0.00000001 0 0 0 0 ? - 0 ");
	assert_lacks(r.out, "\n 9 ");
	assert_has(r.out, "\n leg 1: 99 buy\n decision_px 0.03703\n");
	RUN("strat", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	compact(r.out);
	assert_has(r.out, "\"deviation\":\"nan\",\"span_ns\":null,\"last_sample_age_ns\":null},");
	assert_has(r.out, "\"imbalance\":null,");
	assert_has(r.out, "{\"n\":8,\"intent_id\":\"7301444403200000207\"");

	/* nothing in flight */
	p->pair_id = 0;
	RUN("strat", seg_name);
	assert_status(0);
	assert_has(squeeze(r.out), "\n pairs none in flight\n");
	RUN("strat", seg_name, "--json");
	assert_status(0);
	assert_json(r.out);
	assert_has(compact(r.out), ",\"pairs\":[]}");
	/* a leg without orders */
	p->pair_id = BASE + 3;
	p->leg[0].norders = 0;
	RUN("strat", seg_name);
	assert_status(0);
	assert_has(squeeze(r.out), "\n unwinds 0\n orders none\n leg 1: 99 buy\n");
	shm_seg_detach(&s);
}

/* ---- strat: errors -------------------------------------------------------- */

Test(kimpctl_strat, missing_segment_or_region)
{
	struct shm_seg s;
	char want[256];

	RUN("strat");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: strat: segment 'stratd' not found in %s or %s\n",
		 env.dir, env.dir);
	cr_assert_str_eq(r.err, want);

	cr_assert_eq(shm_seg_create(&s, seg_name, 1 << 20, &env.o), 0);
	shm_seg_detach(&s);
	RUN("strat", seg_name, "--json");
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: strat: segment '%s' (%s/" SHM_FILE_PREFIX "%s) has "
		 "no region 'state'\n", seg_name, env.dir, seg_name);
	cr_assert_str_eq(r.err, want);
}

Test(kimpctl_strat, state_of_another_version_is_refused)
{
	struct kimp_strat_state *st;
	struct shm_region_ent *e;
	struct shm_seg s;
	char want[256];

	st = make_strat(&s);
	st->version = KIMP_STRAT_VERSION + 1;
	RUN("strat", seg_name);
	assert_status(1);
	cr_assert_str_eq(r.out, "");
	snprintf(want, sizeof(want), "kimpctl: strat: segment '%s': region 'state' is version %u, "
		 "this kimpctl reads version %u (a stratd of another build?)\n", seg_name,
		 KIMP_STRAT_VERSION + 1, KIMP_STRAT_VERSION);
	cr_assert_str_eq(r.err, want);

	st->version = KIMP_STRAT_VERSION;
	st->size = sizeof(*st) + 8;
	RUN("strat", seg_name);
	assert_status(1);
	snprintf(want, sizeof(want), "kimpctl: strat: segment '%s': region 'state' has a state of "
		 "%zu bytes, this kimpctl reads %zu (a stratd of another build?)\n", seg_name,
		 sizeof(*st) + 8, sizeof(*st));
	cr_assert_str_eq(r.err, want);

	st->size = sizeof(*st);
	st->magic = 0;
	RUN("strat", seg_name);
	assert_status(1);
	assert_has(r.err, "region 'state' is not stratd's state (magic 0x0000000000000000, "
		   "stratd's is 0x5441525453504d4b): stratd is making it, or died doing so\n");
	st->magic = KIMP_STRAT_MAGIC;

	/* a region of the state's size, and one byte less */
	e = region_ent(&s, KIMP_STRAT_STATE_REGION);
	e->size = sizeof(*st);
	RUN("strat", seg_name);
	assert_status(0);
	e->size = sizeof(*st) - 1;
	RUN("strat", seg_name);
	assert_status(1);
	snprintf(want, sizeof(want), "kimpctl: strat: segment '%s': region 'state' is %zu bytes, "
		 "this kimpctl reads %zu (another build?)\n", seg_name, sizeof(*st) - 1,
		 sizeof(*st));
	cr_assert_str_eq(r.err, want);
	shm_seg_detach(&s);
}

Test(kimpctl_strat, process_is_shown)
{
	struct shm_seg s;
	char want[128];

	make_strat(&s);
	add_metrics(&s, KIMP_STRAT_METRICS_REGION, getpid());
	shm_seg_detach(&s);
	RUN("strat", seg_name);
	assert_status(0);
	snprintf(want, sizeof(want), "\n stratd_pid %d (alive)\n heartbeat_age ", (int)getpid());
	assert_has(squeeze(r.out), want);
	RUN("strat", seg_name, "--bogus");
	assert_status(2);
	assert_has(r.err, "kimpctl: strat: unknown option '--bogus'");
	RUN("strat", seg_name, seg_name);
	assert_status(2);
	assert_has(r.err, "kimpctl: strat: unexpected '");
}
