/* SPDX-License-Identifier: MIT */
/*
 * riskd's hot path (riskd_drain: intent in -> checks -> journal -> order
 * and verdict out; report in -> ledger -> journal) makes no system call
 * and allocates nothing. A child runs intents (approved, trimmed,
 * rejected) and their fill reports through it under a seccomp filter that
 * kills it on any system call but exit; the heap's in-use bytes are
 * compared before and after.
 */
#include <malloc.h>
#include <sys/syscall.h>
#include "../jail.h"
#include "rdaemon.h"

static struct rpeer P;
static struct riskd D;

static void teardown(void)
{
	riskd_close(&D);
	rp_fini(&P);
}

TestSuite(riskd_hotpath, .fini = teardown);

/* One round: intents of every outcome, each order filled by a report. */
static int round_trip(int r)
{
	static const struct { unsigned v; uint32_t i; unsigned side; int64_t px, qty; } in[] = {
		{ BN, BTC, BUY, USD(100000), BQ(0.001) },     /* approved */
		{ BN, BTC, SELL, USD(100001), BQ(0.001) },    /* approved */
		{ UP, BTC, SELL, KRW(139999000), UQ(0.001) }, /* approved */
		{ UP, BTC, BUY, KRW(140001000), UQ(0.001) },  /* approved */
		{ BN, BTC, BUY, USD(100000), BQ(7) },         /* trimmed: qty_max */
		{ BN, BTC, SELL, USD(99990), 1 },             /* rejected: notional */
		{ BN, ETH, BUY, USD(3001), 15 },              /* rejected: step */
	};
	int handled = 0;

	for (size_t k = 0; k < KIMP_ARRAY_SIZE(in); k++) {
		struct kimp_verdict v;
		struct kimp_order o;
		if (!rp_intent(&P, in[k].v, in[k].i, in[k].side, in[k].px, in[k].qty,
			       KIMP_INTENT_ENTRY))
			return -1;
		handled += (int)riskd_drain(&D, 16);
		while (rp_pop(&P.verdicts, &v))
			;
		while (rp_pop(&P.orders, &o)) {
			int64_t half = o.qty / 2;
			rp_report(&P, o.client_oid, KIMP_ORD_PARTIAL, half, o.px, half,
				  (r & 1) ? 1 : 0, (unsigned)(r & 1));
			rp_report(&P, o.client_oid, KIMP_ORD_PARTIAL, half, o.px, half, 0, 0);
			rp_report(&P, o.client_oid, KIMP_ORD_FILLED, o.qty, o.px, o.qty - half, 0, 0);
			handled += (int)riskd_drain(&D, 16);
		}
	}
	return handled;
}

Test(riskd_hotpath, intents_and_reports_make_no_syscall_and_allocate_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	char err[512] = "";

	rp_init(&P, "j", "[risk.binance]\nqty_max.BTC = 0.005\n");
	cr_assert_eq(riskd_open(&D, &P.conf, &P.env.o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(riskd_attach_inputs(&D), 0);
	cr_assert(rp_attach_riskd(&P));
	/* warm: every path once, outside the jail */
	cr_assert_gt(round_trip(0), 0);
	uint64_t intents0 = (uint64_t)D.st->lim.intents, reports0 = (uint64_t)D.st->lim.reports;
	cr_assert_gt(D.st->lim.trimmed, 0);
	cr_assert_gt(D.st->lim.rejected, 0);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		if (test_jail())
			_exit(2);
		int n = 0;
		for (int r = 1; r <= 200; r++) {
			int h = round_trip(r);
			if (h < 0)
				syscall(SYS_exit, 5);
			n += h;
		}
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, n > 0 ? 0 : 4);
	}
	cr_assert_eq(test_wait_child(pid), 0,
		     "the hot path made a syscall (SIGSYS = 159), allocated (3), handled nothing "
		     "(4) or found a ring full (5)");
	/* the child's work is in the shared state */
	cr_assert_eq((uint64_t)D.st->lim.intents, intents0 + 200 * 7);
	cr_assert_eq((uint64_t)D.st->lim.reports, reports0 + 200 * 5 * 3);
	cr_assert_eq(D.st->venue[BN].open_orders + D.st->venue[UP].open_orders, 0);
	rp_detach_riskd(&P);
	riskd_close(&D);
	rp_fini(&P);
}
