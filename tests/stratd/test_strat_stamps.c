/* SPDX-License-Identifier: MIT */
/*
 * stratd's part of the stage stamps (kimp/msg.h): an entry's intents carry
 * strat_deq_tsc, when stratd took the market message that decided it off
 * the md ring, and strat_pub_tsc, stamped just before the publish; a
 * mending intent (decided on a verdict's turn, not a market message's)
 * carries strat_deq_tsc 0 and still its strat_pub_tsc. stratd in this
 * process (sdtest.h).
 */
#include <criterion/criterion.h>
#include "sdtest.h"

static struct sdt T;

static void teardown(void)
{
	sdt_fini(&T);
}

TestSuite(strat_stamps, .fini = teardown);

/* The entry of test_legs.c: the premium jumps from 2% to 3%. */
static void entry(struct kimp_intent e[2], uint64_t *t0, uint64_t *t1)
{
	sdt_init(&T, "leg_policy = retry\n", NULL, NULL);
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_not(sdt_intent(&T, &e[0]), "no entry on an empty model");
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	*t0 = kimp_rdtsc();
	sdt_poll(&T);
	*t1 = kimp_rdtsc();
	cr_assert(sdt_intent(&T, &e[0]), "an entry when the premium jumps");
	cr_assert(sdt_intent(&T, &e[1]), "both legs");
}

Test(strat_stamps, an_entry_carries_its_md_dequeue_and_its_publish)
{
	struct kimp_intent e[2];
	uint64_t t0, t1;

	entry(e, &t0, &t1);
	for (int l = 0; l < 2; l++) {
		cr_assert_eq(e[l].kind, KIMP_INTENT_ENTRY);
		cr_assert(e[l].strat_deq_tsc >= t0 && e[l].strat_deq_tsc <= t1,
			  "leg %d: the dequeue is outside the poll", l);
		cr_assert_eq(e[l].strat_deq_tsc, e[l].decision_tsc, "leg %d", l);
		cr_assert(e[l].strat_pub_tsc >= e[l].strat_deq_tsc && e[l].strat_pub_tsc <= t1,
			  "leg %d: the publish is not after the dequeue", l);
	}
	cr_assert_eq(e[0].strat_deq_tsc, e[1].strat_deq_tsc, "one market message decided both");
	cr_assert_geq(e[1].strat_pub_tsc, e[0].strat_pub_tsc);
}

Test(strat_stamps, a_mend_has_no_md_dequeue)
{
	struct kimp_intent e[2], m;
	uint64_t t0, t1;

	entry(e, &t0, &t1);
	/* leg 0 fills, leg 1 is refused: the retry of leg 1 */
	sdt_verdict(&T, &e[0], KIMP_VERDICT_APPROVED, e[0].qty, 601, 0);
	sdt_report(&T, &e[0], 601, 100939000ll * SD_E8, e[0].qty, e[0].qty, KIMP_ORD_FILLED, 0, 0);
	sdt_verdict(&T, &e[1], KIMP_VERDICT_REJECTED, 0, 0, 12);
	t0 = kimp_rdtsc();
	sdt_poll(&T);
	t1 = kimp_rdtsc();
	cr_assert(sdt_intent(&T, &m), "a mending intent");
	cr_assert_eq(m.kind, KIMP_INTENT_RETRY);
	cr_assert_eq(m.strat_deq_tsc, 0, "a retry was decided on no market message");
	cr_assert(m.strat_pub_tsc >= t0 && m.strat_pub_tsc <= t1);
}
