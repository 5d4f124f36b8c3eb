/* SPDX-License-Identifier: MIT */
/*
 * orderd's order path makes no system call and allocates nothing: an
 * orderd opened in this process against exsim (odtest.h), its venue ready
 * and every path warmed once; then, in a forked child under the seccomp
 * jail (tests/jail.h), a burst of orders is taken from riskd's ring: checked,
 * journaled (a store into the mapped journal), built, signed and handed to
 * the channel's send queue. The io_uring submission itself happens later,
 * in net_loop_run, outside the path measured here.
 */
#include <malloc.h>
#include <sys/syscall.h>
#include "odinproc.h"
#include "../jail.h"
#include "../testutil.h"

TestSuite(orderd_hotpath, .timeout = 120);

static bool vdso_clock(void)
{
	char cs[64] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	return !strncmp(cs, "tsc", 3) || !strncmp(cs, "kvm-clock", 9);
}

static struct odt_inproc P;

/* Turn orderd's loop until coid has a report in one of the states (bits). */
static const struct kimp_exec_report *turn_until(struct odt *t, uint64_t coid, unsigned states)
{
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	for (;;) {
		orderd_turn(&P.d, 64);
		odt_poll(t);
		const struct kimp_exec_report *r = odt_last(t, coid);
		if (r && (states & (1u << r->state)))
			return r;
		if (kimp_mono_ns() > end)
			return NULL;
	}
}

static void order_path(unsigned venue, const char *sym)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	if (!vdso_clock())
		cr_skip_test("the clock source has no vDSO fast path: clock_gettime is a syscall");
	struct odt t;

	odt_inproc_open(&t, &P, venue, "wait = spin\n");
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	/* warm: an order far from the market, acknowledged */
	const char *vn = venue == KIMP_VENUE_UPBIT ? "upbit" : "binance";
	struct kimp_trade_conf *tc = &P.conf.trade;
	int64_t bid = odt_best(&t, vn, sym, "bids", tc->venue[venue].px_dec);
	const struct venue_inst_rules *ru = &tc->venue[venue].inst[1].rules;
	int64_t px = bid / 2;
	int64_t tick = ru->tick_at ? ru->tick_at(px, tc->venue[venue].px_dec) : ru->tick;
	px = px / (tick > 0 ? tick : 1) * (tick > 0 ? tick : 1);
	int64_t qty = 1;
	for (unsigned i = 0; i + 3 < tc->venue[venue].qty_dec; i++)
		qty *= 10;
	uint64_t coid = odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC, px,
				 qty, 0);
	cr_assert_not_null(turn_until(&t, coid, 1u << KIMP_ORD_ACKED), "warm order: %s",
			   odt_reps_str(&t, coid));
	/* every REST connection up and idle (the warm order's reply may come
	 * after its report on the stream) */
	struct od_venue *ov = P.d.ven[venue];
	for (uint32_t i = 0; i < ov->nrest; i++)
		while (!ov->rest[i].up || http_client_inflight(&ov->rest[i].hc)) {
			orderd_turn(&P.d, 64);
			cr_assert_lt(kimp_mono_ns(), end, "REST connection %u never idle", i);
		}
	/* REST venues have rest_conns requests in flight at most (pipeline 1) */
	uint32_t burst = P.conf.venue[venue].wsapi.host[0] ? 8 : P.conf.venue[venue].rest_conns;
	for (uint32_t i = 0; i < burst; i++)
		odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC, px, qty, 0);
	/* and the warm order's client_oid again: a duplicate, dropped and
	 * counted on the order path (the log line waits for the idle path) */
	odt_push(&t, KIMP_MSG_ORDER_NEW, venue, 1, KIMP_SIDE_BUY, KIMP_TIF_GTC, px, qty, coid);
	uint64_t sent0 = P.d.st->venue[venue].sent, dup0 = *P.d.c_dup_oid;

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		if (test_jail())
			_exit(2);
		uint32_t n = orderd_take_orders(&P.d, burst + 1);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, n == burst + 1 && P.d.st->venue[venue].sent == sent0 + burst &&
				  *P.d.c_dup_oid == dup0 + 1 ? 0 : 4);
	}
	int rc = test_wait_child(pid);
	odt_inproc_close(&t, &P);
	cr_assert_eq(rc, 0, "rc %d: the order path made a syscall (SIGSYS = 159), allocated (3) or did "
		     "not send every order and drop the duplicate (4)", rc);
}

Test(orderd_hotpath, binance_order_path_makes_no_syscall)
{
	order_path(KIMP_VENUE_BINANCE, "BTCUSDT");
}

Test(orderd_hotpath, upbit_order_path_makes_no_syscall)
{
	order_path(KIMP_VENUE_UPBIT, "KRW-BTC");
}
