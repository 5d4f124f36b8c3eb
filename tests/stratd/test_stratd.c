/* SPDX-License-Identifier: MIT */
/*
 * stratd/stratd.c: the md path and its gates (stale and old books, the
 * rate book, unhedged exposure, cooldown, pairs in flight, ring room),
 * gaps, repeats, inputs that appear late, and the state across restarts:
 * recovery of a half-made transaction, backwards or (its intent pushed)
 * forwards, and a segment made for other pairs refused.
 */
#include <criterion/criterion.h>
#include "sdtest.h"

static struct sdt T;

static void teardown(void)
{
	sdt_fini(&T);
}

TestSuite(stratd, .fini = teardown);

/* The model warmed at 2%, the market moved to 3% at book time T.clock. */
static void warm_then_jump(const char *extra_stratd, const char *extra)
{
	sdt_init(&T, extra_stratd, NULL, extra);
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, 1);
	T.clock += 1000000;
	sdt_market(&T, 0.03);
}

static unsigned intents(void)
{
	struct kimp_intent in;
	unsigned n = 0;
	while (sdt_intent(&T, &in))
		n++;
	return n;
}

static uint64_t why(unsigned w)
{
	return atomic_load(T.s.m.why[w]);
}

/* Evaluate BTC at clock now (no md sequence): the intents it pushed. */
static unsigned eval_at(uint64_t now)
{
	T.s.now = now;
	strat_eval_coin(&T.s, 1, 0);
	return intents();
}

Test(stratd, quote_age_gate_at_its_boundary_both_sides)
{
	warm_then_jump("quote_age = 1s\n", NULL);
	uint64_t age = 1000000000ull;
	cr_assert_eq(eval_at(T.clock + age + 1), 0, "a book 1 ns past quote_age");
	cr_assert_eq(why(STRAT_WHY_AGE), 1);
	cr_assert_eq(eval_at(T.clock + age), 2, "a book exactly quote_age old");
}

Test(stratd, an_old_rate_book_gates_too)
{
	warm_then_jump("quote_age = 1s\n", NULL);
	/* every book fresh but the USDT book on upbit */
	uint64_t now = T.clock + 1000000000ull + 1;
	T.clock = now;
	sdt_write(&T, SD_UB_BTC);
	sdt_write(&T, SD_BN_BTC);
	cr_assert_eq(eval_at(now), 0);
	cr_assert_eq(why(STRAT_WHY_AGE), 1);
	sdt_write(&T, SD_UB_USDT);
	cr_assert_eq(eval_at(now), 2);
}

Test(stratd, a_book_not_live_stops_intents_and_samples)
{
	warm_then_jump(NULL, NULL);
	static const unsigned st[] = { KIMP_BOOK_STALE, KIMP_BOOK_RESYNCING, KIMP_BOOK_EMPTY };
	for (int k = 0; k < 3; k++)
		for (int b = 0; b < 3; b++) {   /* upbit BTC, binance BTC, upbit USDT */
			T.rec[b].status = (uint8_t)st[k];
			sdt_write(&T, b);
			cr_assert_eq(eval_at(T.clock), 0, "book %d status %u", b, st[k]);
			cr_assert_eq(T.s.st->coin[1].n, 1, "no sample from a book not live");
			T.rec[b].status = KIMP_BOOK_LIVE;
			sdt_write(&T, b);
		}
	cr_assert_eq(why(STRAT_WHY_BOOK), 9);
	cr_assert_eq(eval_at(T.clock), 2, "all live again");
	cr_assert_eq(T.s.st->coin[1].n, 2);
}

Test(stratd, an_empty_side_is_no_book)
{
	warm_then_jump(NULL, NULL);
	T.rec[SD_BN_BTC].nasks = 0;
	sdt_write(&T, SD_BN_BTC);
	cr_assert_eq(eval_at(T.clock), 0);
	cr_assert_eq(why(STRAT_WHY_BOOK), 1);
}

/* Open a pair and fill both legs: the coin is flat again. */
static void round_trip(void)
{
	struct kimp_intent e[2];
	cr_assert(sdt_intent(&T, &e[0]) && sdt_intent(&T, &e[1]));
	for (int l = 0; l < 2; l++) {
		sdt_verdict(&T, &e[l], KIMP_VERDICT_APPROVED, e[l].qty, 900 + (uint64_t)l, 0);
		sdt_report(&T, &e[l], 900 + (uint64_t)l, e[l].px, e[l].qty, e[l].qty,
			   KIMP_ORD_FILLED, 0, 0);
	}
	sdt_poll(&T);
	cr_assert_eq(T.s.st->pairs_open, 0);
}

Test(stratd, cooldown_between_entries_at_its_boundary)
{
	warm_then_jump("cooldown = 1s\n", NULL);
	T.s.now = T.clock;
	strat_eval_coin(&T.s, 1, 0);
	int64_t at = T.s.st->coin[1].last_entry_ns;
	cr_assert_eq(at, (int64_t)T.clock);
	round_trip();
	cr_assert_eq(eval_at((uint64_t)at + 1000000000ull - 1), 0);
	cr_assert_eq(why(STRAT_WHY_COOLDOWN), 1);
	cr_assert_eq(eval_at((uint64_t)at + 1000000000ull), 2);
}

Test(stratd, max_pairs_in_flight)
{
	warm_then_jump("max_pairs = 1\n", NULL);
	cr_assert_eq(eval_at(T.clock), 2);
	cr_assert_eq(eval_at(T.clock), 0, "one pair in flight already");
	cr_assert_eq(why(STRAT_WHY_PAIRS), 1);
}

Test(stratd, unhedged_exposure_blocks_entries_on_its_coin)
{
	warm_then_jump(NULL, NULL);
	struct kimp_intent e[2];
	T.s.now = T.clock;
	strat_eval_coin(&T.s, 1, 0);
	cr_assert(sdt_intent(&T, &e[0]) && sdt_intent(&T, &e[1]));
	sdt_verdict(&T, &e[0], KIMP_VERDICT_APPROVED, e[0].qty, 901, 0);
	sdt_report(&T, &e[0], 901, e[0].px, e[0].qty, e[0].qty, KIMP_ORD_FILLED, 0, 0);
	sdt_poll(&T);
	cr_assert_neq(T.s.st->coin[1].unhedged, 0);
	cr_assert_eq(eval_at(T.clock), 0);
	cr_assert_eq(why(STRAT_WHY_UNHEDGED), 1);
}

Test(stratd, no_room_for_both_legs_is_no_entry)
{
	warm_then_jump("ring_slots = 2\n", NULL);
	cr_assert_eq(eval_at(T.clock), 0 + 2);
	/* the test has read both: room again. Fill the ring with one unread entry */
	T.s.now = T.clock;
	strat_eval_coin(&T.s, 1, 0);
	cr_assert_eq(shm_ring_depth(T.s.ring), 2);
	strat_eval_coin(&T.s, 1, 0);
	cr_assert_eq(why(STRAT_WHY_RING), 1, "a full ring is no entry, counted");
	cr_assert_eq(T.s.st->pairs_open, 2);
	cr_assert_eq(intents(), 2);
}

Test(stratd, md_events_move_the_coins_of_their_books)
{
	warm_then_jump(NULL, "[pair.ETH]\nkrw = upbit\nusdt = binance\nclip = 1\n");
	int64_t btc0 = T.s.st->coin[1].n, eth0 = T.s.st->coin[2].n;
	/* binance ETH moves ETH only */
	sdt_md(&T, SD_BN_ETH, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, btc0);
	cr_assert_eq(T.s.st->coin[2].n, eth0 + 1);
	/* the rate book moves both */
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	sdt_md(&T, SD_UB_USDT, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, btc0 + 1);
	cr_assert_eq(T.s.st->coin[2].n, eth0 + 2);
	cr_assert_eq((uint64_t)T.s.st->coin[1].md_seq, shm_ring_seq(&T.s.md.cons) - 1);
	/* a trade moves nothing; an unknown type is counted */
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	sdt_md(&T, SD_UB_BTC, KIMP_MSG_MD_TRADE, 0);
	sdt_md(&T, SD_UB_BTC, 99, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, btc0 + 1);
	cr_assert_eq(atomic_load(T.s.m.md_unknown), 1);
	/* a gap re-reads the table and moves every coin */
	sdt_md(&T, SD_BN_ETH, KIMP_MSG_MD_TRADE, KIMP_MSG_F_GAP);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, btc0 + 2);
	cr_assert_eq(T.s.st->coin[2].n, eth0 + 3);
	cr_assert_eq(atomic_load(T.s.m.md_gaps), 1);
}

Test(stratd, an_md_event_delivered_again_samples_nothing)
{
	warm_then_jump(NULL, NULL);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(intents(), 2);
	uint64_t seq = shm_ring_seq(&T.s.md.cons) - 1;
	struct kimp_strat_coin c = T.s.st->coin[1];
	T.clock += 1000000;
	sdt_market(&T, 0.035);
	struct kimp_msg_hdr h = { .type = KIMP_MSG_MD_TOP, .venue = KIMP_VENUE_UPBIT, .inst = 1 };
	T.s.md_next_seq = seq;
	strat_on_md(&T.s, &h, seq);
	cr_assert_eq(memcmp(&c, &T.s.st->coin[1], sizeof(c)), 0, "the repeat was skipped");
	cr_assert_eq(atomic_load(T.s.m.md_dups), 1);
	strat_on_md(&T.s, &h, seq + 1);
	cr_assert_eq(T.s.st->coin[1].n, c.n + 1);
}

Test(stratd, inputs_that_appear_later_are_attached)
{
	char err[512] = "";
	memset(&T, 0, sizeof(T));
	tenv_init(&T.env);
	sdt_names(&T);
	T.clock = kimp_mono_ns();
	sdt_conf_text(&T, NULL, NULL, NULL);
	sdt_load_conf(&T);
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), 0, "%s", err);
	T.open = true;
	stratd_attach(&T.s);
	cr_assert_not(T.s.md.ready || T.s.verdicts.ready || T.s.reports.ready);
	cr_assert(T.s.md.said_waiting && T.s.verdicts.said_waiting && T.s.reports.said_waiting);
	cr_assert_eq(stratd_poll(&T.s), 0, "nothing to do, nothing broken");
	sdt_inputs(&T);
	stratd_attach(&T.s);
	cr_assert(T.s.md.ready && T.s.verdicts.ready && T.s.reports.ready);
	cr_assert_eq(shm_ring_consumer(T.s.ring, &T.in), 0);
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, 1, "events flow once attached");
}

/* Close stratd and open it again on the same segment. */
static void restart(void)
{
	char err[512] = "";
	sdt_close(&T);
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), 0, "%s", err);
	T.open = true;
	stratd_attach(&T.s);
	/* the segment is mapped anew: so is the test's view of the intents */
	cr_assert_eq(shm_ring_consumer(T.s.ring, &T.in), 0);
}

Test(stratd, a_restart_resumes_the_state)
{
	warm_then_jump(NULL, NULL);
	cr_assert_eq(eval_at(T.clock), 2);
	static struct kimp_strat_state before;
	memcpy(&before, T.s.st, sizeof(before));
	restart();
	cr_assert_eq(T.s.st->next_intent_id, before.next_intent_id);
	cr_assert_eq(T.s.st->pairs_open, 1);
	cr_assert_eq(T.s.st->coin[1].n, before.coin[1].n);
	cr_assert_eq(T.s.st->pushed, before.pushed);
	cr_assert_eq(T.s.st->cnt.recover_back + T.s.st->cnt.recover_forward, 0);
	/* the next entry's ids continue */
	T.clock += 1000000;
	sdt_market(&T, 0.03);
	struct kimp_intent in;
	T.s.now = T.clock;
	strat_eval_coin(&T.s, 1, 0);
	cr_assert(sdt_intent(&T, &in));
	cr_assert_eq(in.intent_id, before.next_intent_id);
	cr_assert_eq(in.pair_id, before.next_pair_id);
}

Test(stratd, a_half_made_transaction_is_undone_at_restart)
{
	warm_then_jump(NULL, NULL);
	static struct kimp_strat_state before;
	memcpy(&before, T.s.st, sizeof(before));
	/* a run that dies half way through a message */
	strat_set(&T.s, &T.s.st->coin[1].n, 99);
	strat_setu(&T.s, &T.s.st->next_intent_id, 12345);
	strat_add(&T.s, &T.s.st->inv[KIMP_VENUE_UPBIT][1].fills, -7);
	restart();
	cr_assert_eq(T.s.st->cnt.recover_back, 1);
	cr_assert_eq(T.s.st->coin[1].n, before.coin[1].n);
	cr_assert_eq(T.s.st->next_intent_id, before.next_intent_id);
	cr_assert_eq(T.s.st->inv[KIMP_VENUE_UPBIT][1].fills, 0);
	cr_assert_eq(T.s.st->undo.n, 0);
}

Test(stratd, a_transaction_whose_intent_went_out_is_kept_at_restart)
{
	warm_then_jump("ring_slots = 4\n", NULL);
	/* an entry decided and committed, its legs not pushed yet */
	struct strat_decision d;
	memset(&d, 0, sizeof(d));
	d.dir = KIMP_STRAT_SELL_KRW;
	d.qty = 1000000;
	d.leg_qty[0] = d.leg_qty[1] = 1000000;
	d.px[0] = 100000000ll * SD_E8;
	d.px[1] = 70000ll * SD_E8;
	d.side[0] = KIMP_SIDE_SELL;
	d.side[1] = KIMP_SIDE_BUY;
	T.s.now = T.clock;
	struct kimp_strat_pair *p = strat_pair_open(&T.s, 1, &d);
	cr_assert_not_null(p);
	strat_commit(&T.s);
	cr_assert_eq(T.s.st->queued, 2);
	/* flush's first push, by hand, dying after the publish */
	struct kimp_strat_order *o = &p->leg[0].ord[0];
	strat_setu(&T.s, &T.s.st->pushed, T.s.st->pushed + 1);
	strat_set(&T.s, &o->state, KIMP_STRAT_ORD_SENT);
	strat_add(&T.s, &T.s.st->queued, -1);
	struct kimp_intent in = { .h.type = KIMP_MSG_INTENT, .intent_id = o->intent_id,
				  .pair_id = p->pair_id };
	cr_assert_eq(shm_ring_push(&T.s.prod, &in, sizeof(in)), 0);
	uint64_t pid = p->pair_id, id0 = o->intent_id;
	restart();
	cr_assert_eq(T.s.st->cnt.recover_forward, 1);
	p = strat_pair_find(&T.s, pid);
	cr_assert_not_null(p);
	cr_assert_eq(p->leg[0].ord[0].state, KIMP_STRAT_ORD_SENT, "kept: it went out");
	cr_assert_eq(T.s.st->pushed, T.s.prod.head);
	cr_assert_eq(T.s.st->queued, 1);
	/* the other leg goes out next, once */
	strat_flush(&T.s);
	struct kimp_intent a, b;
	cr_assert(sdt_intent(&T, &a) && sdt_intent(&T, &b));
	cr_assert_eq(a.intent_id, id0);
	cr_assert_eq(b.intent_id, id0 + 1);
	cr_assert_eq(b.leg, 1);
	cr_assert_not(sdt_intent(&T, &a));
	cr_assert_eq(T.s.st->pushed, 2);
}

Test(stratd, a_push_cut_short_before_the_publish_is_undone_and_made_again)
{
	warm_then_jump(NULL, NULL);
	struct strat_decision d;
	memset(&d, 0, sizeof(d));
	d.dir = KIMP_STRAT_SELL_KRW;
	d.qty = d.leg_qty[0] = d.leg_qty[1] = 1000000;
	d.px[0] = 100000000ll * SD_E8;
	d.px[1] = 70000ll * SD_E8;
	d.side[0] = KIMP_SIDE_SELL;
	d.side[1] = KIMP_SIDE_BUY;
	T.s.now = T.clock;
	struct kimp_strat_pair *p = strat_pair_open(&T.s, 1, &d);
	strat_commit(&T.s);
	uint64_t id0 = p->leg[0].ord[0].intent_id;
	strat_setu(&T.s, &T.s.st->pushed, T.s.st->pushed + 1);
	strat_set(&T.s, &p->leg[0].ord[0].state, KIMP_STRAT_ORD_SENT);
	strat_add(&T.s, &T.s.st->queued, -1);
	restart();
	cr_assert_eq(T.s.st->cnt.recover_back, 1);
	cr_assert_eq(T.s.st->pushed, 0);
	cr_assert_eq(T.s.st->queued, 2);
	strat_flush(&T.s);
	struct kimp_intent a, b;
	cr_assert(sdt_intent(&T, &a) && sdt_intent(&T, &b));
	cr_assert_eq(a.intent_id, id0);
	cr_assert_eq(b.intent_id, id0 + 1);
	cr_assert_not(sdt_intent(&T, &a));
}

Test(stratd, a_segment_made_for_other_pairs_is_refused)
{
	sdt_init(&T, NULL, NULL, NULL);
	sdt_close(&T);
	sdt_conf_text(&T, NULL, "band.upbit = 0 5\n", "[pair.ETH]\nkrw = upbit\nusdt = binance\n"
			  "clip = 1\n");
	sdt_load_conf(&T);
	char err[512] = "";
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "made for other pairs"), "%s", err);
	/* a parameter that does not change the layout is fine */
	sdt_conf_text(&T, "margin = 0.002\n", "band.upbit = 0 5\n", NULL);
	sdt_load_conf(&T);
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), 0, "%s", err);
	T.open = true;
}

Test(stratd, a_new_md_ring_starts_its_sequences_again)
{
	warm_then_jump(NULL, NULL);
	cr_assert_eq(T.s.st->md_salt, T.md->salt);
	uint64_t seq = (uint64_t)T.s.st->coin[1].md_seq;
	cr_assert_gt(seq, 0);
	/* feedd's segment made anew: a new md ring, sequences from 1 */
	sdt_close(&T);
	shm_seg_detach(&T.fseg);
	shm_seg_remove(T.feedd, &T.env.o);
	cr_assert_eq(shm_seg_create(&T.fseg, T.feedd, 4 << 20, &T.env.o), 0);
	cr_assert_eq(shm_seqtab_create(&T.fseg, KIMP_BOOK_REGION, sizeof(struct kimp_book),
				       SD_NBOOKS, &T.books), 0);
	cr_assert_eq(shm_ring_create(&T.fseg, "md", 64, 4096, SHM_RING_CONFLATE, NULL, &T.md), 0);
	cr_assert_eq(shm_ring_producer(T.md, &T.mdp), 0);
	restart();
	cr_assert_eq(T.s.st->md_salt, T.md->salt);
	cr_assert_eq(T.s.st->coin[1].md_seq, 0);
	T.clock += 1000000;
	sdt_market(&T, 0.02);
	int64_t n = T.s.st->coin[1].n;
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, n + 1, "sequence 1 of the new ring is not a repeat");
}

Test(stratd, a_full_intents_ring_holds_a_mend_until_there_is_room)
{
	warm_then_jump("ring_slots = 2\n", "[pair.ETH]\nkrw = upbit\nusdt = binance\nclip = 1\n");
	struct kimp_intent e[2], m;
	sdt_md(&T, SD_BN_ETH, 0, 0);     /* ETH's first sample */
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[2].n, 1);
	T.s.now = T.clock;
	strat_eval_coin(&T.s, 1, 0);     /* the BTC entry, read by riskd */
	cr_assert(sdt_intent(&T, &e[0]) && sdt_intent(&T, &e[1]));
	sdt_verdict(&T, &e[0], KIMP_VERDICT_APPROVED, e[0].qty, 901, 0);
	sdt_report(&T, &e[0], 901, e[0].px, e[0].qty, e[0].qty, KIMP_ORD_FILLED, 0, 0);
	sdt_poll(&T);
	/* ETH's premium jumps 1%: its entry fills the ring, riskd lags */
	T.clock += 1000000;
	sdt_levels(&T, SD_UB_ETH, 4949000 * SD_E8, 4950000 * SD_E8, 1000 * SD_E8, 10 * SD_E8, 10);
	sdt_write(&T, SD_UB_ETH);
	sdt_md(&T, SD_UB_ETH, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(shm_ring_depth(T.s.ring), 2, "the ETH pair waits in the ring");
	uint64_t full0 = atomic_load(T.s.m.ring_full);
	sdt_verdict(&T, &e[1], KIMP_VERDICT_REJECTED, 0, 0, 12);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->queued, 1, "the BTC retry waits for room");
	cr_assert_gt(atomic_load(T.s.m.ring_full), full0, "counted");
	cr_assert(sdt_intent(&T, &m) && m.h.inst == 2 && sdt_intent(&T, &m) && m.h.inst == 2,
		  "riskd catches up with ETH");
	sdt_poll(&T);
	cr_assert_eq(T.s.st->queued, 0);
	cr_assert(sdt_intent(&T, &m));
	cr_assert_eq(m.kind, KIMP_INTENT_RETRY, "the retry, sent once there is room");
	cr_assert_eq(m.h.inst, 1);
	cr_assert_not(sdt_intent(&T, &m));
}

/* Open stratd on T's segment: the error, and its message in err. */
static int reopen(char *err, size_t len)
{
	sdt_close(&T);
	err[0] = 0;
	int e = stratd_open(&T.s, &T.conf, &T.env.o, err, len);
	if (!e)
		T.open = true;
	return e;
}

Test(stratd, a_segment_whose_intents_ring_changed_size_is_refused)
{
	char err[512];
	sdt_init(&T, NULL, NULL, NULL);
	sdt_conf_text(&T, "ring_slots = 512\n", NULL, NULL);
	sdt_load_conf(&T);
	cr_assert_eq(reopen(err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "intents ring: its size changed"), "%s", err);
}

Test(stratd, a_state_of_another_version_is_refused)
{
	char err[512];
	sdt_init(&T, NULL, NULL, NULL);
	T.s.st->version = KIMP_STRAT_VERSION + 1;
	cr_assert_eq(reopen(err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "another version"), "%s", err);
}

Test(stratd, a_state_whose_creation_was_cut_short_is_made_again)
{
	char err[512];
	sdt_init(&T, NULL, NULL, NULL);
	T.s.st->magic = 0;
	T.s.st->coin[1].n = 42;
	cr_assert_eq(reopen(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(T.s.st->magic, KIMP_STRAT_MAGIC);
	cr_assert_eq(T.s.st->coin[1].n, 0);
}

Test(stratd, an_intents_ring_ahead_of_the_state_is_refused)
{
	char err[512];
	sdt_init(&T, NULL, NULL, NULL);
	struct kimp_intent in = { .h.type = KIMP_MSG_INTENT, .intent_id = 1 };
	cr_assert_eq(shm_ring_push(&T.s.prod, &in, sizeof(in)), 0, "someone else pushes");
	cr_assert_eq(reopen(err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "disagree"), "%s", err);
}

Test(stratd, an_input_ring_with_too_small_slots_is_not_attached)
{
	char err[512] = "";
	memset(&T, 0, sizeof(T));
	tenv_init(&T.env);
	sdt_names(&T);
	T.clock = kimp_mono_ns();
	cr_assert_eq(shm_seg_create(&T.rseg, T.riskd, 2 << 20, &T.env.o), 0);
	cr_assert_eq(shm_ring_create(&T.rseg, "verdicts", 64, 64, 0, NULL, &T.verd), 0);
	cr_assert_eq(shm_seg_create(&T.fseg, T.feedd, 1 << 20, &T.env.o), 0);
	cr_assert_eq(shm_ring_create(&T.fseg, "md", 64, 64, 0, NULL, &T.md), 0);
	sdt_conf_text(&T, NULL, NULL, NULL);
	sdt_load_conf(&T);
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), 0, "%s", err);
	T.open = true;
	stratd_attach(&T.s);
	cr_assert_not(T.s.verdicts.ready, "64-byte slots cannot hold a verdict");
	cr_assert_not(T.s.md.ready, "an md ring without a book table waits");
	cr_assert(T.s.md.said_waiting);
}
