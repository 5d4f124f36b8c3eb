/* SPDX-License-Identifier: MIT */
/*
 * stratd's message paths (md event -> books -> model -> decision -> pair ->
 * intents; verdicts and reports -> legs -> retries; housekeeping) make no
 * system call and allocate nothing. A child plays feedd, riskd and orderd
 * in process and turns stratd's loop (stratd_poll) for hundreds of entries
 * in both directions, with rejected legs retried, under a seccomp filter
 * that kills it on any system call but exit; the heap's in-use bytes are
 * compared before and after.
 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <sys/syscall.h>
#include "sdtest.h"
#include "../jail.h"

static struct sdt T;

static void teardown(void)
{
	sdt_fini(&T);
}

TestSuite(stratd_hotpath, .fini = teardown);

/* Jail-safe (no Criterion calls): push an md event about slot. */
static int md(int slot)
{
	struct kimp_md_top m;
	memset(&m, 0, sizeof(m));
	m.h.type = KIMP_MSG_MD_TOP;
	m.h.venue = T.rec[slot].venue;
	m.h.inst = T.rec[slot].inst;
	m.h.ingress_tsc = kimp_rdtsc();
	return shm_ring_push(&T.mdp, &m, sizeof(m));
}

/* Answer one intent as riskd and orderd would: reject some legs, fill the rest. */
static int answer(const struct kimp_intent *in)
{
	struct kimp_verdict v;
	struct kimp_exec_report r;
	bool rej = in->kind == KIMP_INTENT_ENTRY && in->leg == 1 && in->pair_id % 4 == 1;

	memset(&v, 0, sizeof(v));
	v.h.type = KIMP_MSG_VERDICT;
	v.h.venue = in->h.venue;
	v.h.inst = in->h.inst;
	v.h.ingress_tsc = in->h.ingress_tsc;
	v.intent_id = in->intent_id;
	v.pair_id = in->pair_id;
	v.leg = in->leg;
	v.kind = in->kind;
	v.verdict = rej ? KIMP_VERDICT_REJECTED : KIMP_VERDICT_APPROVED;
	v.qty = rej ? 0 : in->qty;
	v.client_oid = rej ? 0 : in->intent_id;
	v.px = in->px;
	if (shm_ring_push(&T.vp, &v, sizeof(v)))
		return -1;
	if (rej)
		return 0;
	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = in->h.venue;
	r.h.inst = in->h.inst;
	r.client_oid = in->intent_id;
	r.last_px = in->px;
	r.last_qty = in->qty;
	r.cum_qty = in->qty;
	r.state = KIMP_ORD_FILLED;
	r.side = in->side;
	r.leg = in->leg;
	r.pair_id = in->pair_id;
	r.fee = 1000;
	r.fee_asset = in->h.venue == KIMP_VENUE_BINANCE;
	return shm_ring_push(&T.rp, &r, sizeof(r));
}

/* One round: the premium swings, stratd trades it, every intent answered. */
static int round_(int i, uint64_t *n_intents)
{
	struct kimp_intent in;

	T.clock += 1000000;
	sdt_market(&T, i % 2 ? 0.03 : 0.01);
	if (md(SD_UB_BTC) || md(SD_UB_USDT))
		return -1;
	sdt_poll(&T);
	while (sdt_intent(&T, &in)) {
		(*n_intents)++;
		if (answer(&in))
			return -1;
		sdt_poll(&T);
	}
	/* the consumer's side of the rings: nothing left behind */
	return shm_ring_depth(T.md) || shm_ring_depth(T.verd) || shm_ring_depth(T.rep) ? -2 : 0;
}

Test(stratd_hotpath, md_to_intents_and_back_make_no_syscall_and_allocate_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	/* the clock is the TSC: no vDSO needed */
	sdt_init(&T, "heartbeat = 100us\n", NULL, NULL);
	uint64_t n = 0;
	/* the model's mean at 2%: the rounds swing 1% either side of it */
	sdt_market(&T, 0.02);
	cr_assert_eq(md(SD_UB_BTC), 0);
	sdt_poll(&T);
	/* warm: every path once, outside the jail */
	for (int i = 0; i < 8; i++)
		cr_assert_eq(round_(i, &n), 0, "round %d", i);
	cr_assert_gt(n, 0, "intents were made");
	cr_assert_gt(T.s.st->cnt.retries, 0, "a retry was made");
	int64_t entries0 = T.s.st->cnt.entries;

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		uint64_t m = 0;
		if (test_jail())
			_exit(2);
		for (int i = 8; i < 408; i++)
			if (round_(i, &m))
				syscall(SYS_exit, 5);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		/* two entries a round (one per md event), every fourth with a retry */
		if (T.s.st->cnt.entries - entries0 < 800 || T.s.st->pairs_open ||
		    T.s.st->coin[1].unhedged)
			syscall(SYS_exit, 4);
		syscall(SYS_exit, 0);
	}
	int rc = test_wait_child(pid);
	cr_assert_eq(rc, 0, "exit %d: the message paths made a syscall (SIGSYS = 159), allocated (3), traded "
		     "less than expected (4) or a ring was full (5)", rc);
}
