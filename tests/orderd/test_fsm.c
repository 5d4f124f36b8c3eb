/* SPDX-License-Identifier: MIT */
/*
 * The order state machine (orderd/fsm.c): every (state, event) cell
 * against an expected table written here independently (as the list of
 * allowed moves; every cell not listed must be FSM_INVALID), the names,
 * fsm_event_of, and the named scenarios run as a caller would (fills are
 * applied by cum_qty before the table is asked; see fsm.c).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "kimp/msg.h"
#include "kimp/order.h"
#include "../../orderd/core.h"

#define NSTATES 10

enum { N = KIMP_ORD_NEW, SE = KIMP_ORD_SENT, A = KIMP_ORD_ACKED, P = KIMP_ORD_PARTIAL,
       F = KIMP_ORD_FILLED, CP = KIMP_ORD_CANCEL_PENDING, C = KIMP_ORD_CANCELLED,
       R = KIMP_ORD_REJECTED, E = KIMP_ORD_EXPIRED, U = KIMP_ORD_UNKNOWN };

struct move {
	uint8_t from;
	enum fsm_event ev;
	uint8_t to;
};

/* Every allowed move. Anything else is FSM_INVALID. */
static const struct move allowed[] = {
	/* NEW: our send, its failure; venue reports prove it left; restart rule */
	{ N, FE_SEND, SE }, { N, FE_SEND_FAILED, R }, { N, FE_ACK, A }, { N, FE_PARTIAL, P },
	{ N, FE_FILLED, F }, { N, FE_CANCELLED, C }, { N, FE_REJECTED, R }, { N, FE_EXPIRED, E },
	{ N, FE_AMBIGUOUS, U }, { N, FE_NOT_FOUND, R },
	/* SENT: anything the venue reports; a cancel may chase it */
	{ SE, FE_ACK, A }, { SE, FE_PARTIAL, P }, { SE, FE_FILLED, F }, { SE, FE_CANCEL_SENT, CP },
	{ SE, FE_CANCELLED, C }, { SE, FE_REJECTED, R }, { SE, FE_EXPIRED, E },
	{ SE, FE_AMBIGUOUS, U }, { SE, FE_NOT_FOUND, R },
	/* ACKED */
	{ A, FE_ACK, A }, { A, FE_PARTIAL, P }, { A, FE_FILLED, F }, { A, FE_CANCEL_SENT, CP },
	{ A, FE_CANCELLED, C }, { A, FE_CANCEL_REJECTED, A }, { A, FE_REJECTED, R },
	{ A, FE_EXPIRED, E }, { A, FE_AMBIGUOUS, A }, { A, FE_NOT_FOUND, R },
	/* PARTIAL */
	{ P, FE_ACK, P }, { P, FE_PARTIAL, P }, { P, FE_FILLED, F }, { P, FE_CANCEL_SENT, CP },
	{ P, FE_CANCELLED, C }, { P, FE_CANCEL_REJECTED, P }, { P, FE_EXPIRED, E },
	{ P, FE_AMBIGUOUS, P },
	/* FILLED: repeats only */
	{ F, FE_ACK, F }, { F, FE_FILLED, F }, { F, FE_CANCEL_REJECTED, F }, { F, FE_AMBIGUOUS, F },
	/* CANCEL_PENDING */
	{ CP, FE_ACK, CP }, { CP, FE_PARTIAL, CP }, { CP, FE_FILLED, F }, { CP, FE_CANCEL_SENT, CP },
	{ CP, FE_CANCELLED, C }, { CP, FE_CANCEL_REJECTED, A }, { CP, FE_REJECTED, R },
	{ CP, FE_EXPIRED, E }, { CP, FE_AMBIGUOUS, CP }, { CP, FE_NOT_FOUND, R },
	/* CANCELLED: then filled; partial stays */
	{ C, FE_ACK, C }, { C, FE_PARTIAL, C }, { C, FE_FILLED, F }, { C, FE_CANCELLED, C },
	{ C, FE_CANCEL_REJECTED, C }, { C, FE_AMBIGUOUS, C }, { C, FE_NOT_FOUND, C },
	/* REJECTED: agreement only */
	{ R, FE_CANCEL_REJECTED, R }, { R, FE_REJECTED, R }, { R, FE_AMBIGUOUS, R },
	{ R, FE_NOT_FOUND, R },
	/* EXPIRED */
	{ E, FE_ACK, E }, { E, FE_PARTIAL, E }, { E, FE_FILLED, F }, { E, FE_CANCEL_REJECTED, E },
	{ E, FE_EXPIRED, E }, { E, FE_AMBIGUOUS, E }, { E, FE_NOT_FOUND, E },
	/* UNKNOWN: the venue's word only */
	{ U, FE_ACK, A }, { U, FE_PARTIAL, P }, { U, FE_FILLED, F }, { U, FE_CANCEL_SENT, U },
	{ U, FE_CANCELLED, C }, { U, FE_CANCEL_REJECTED, U }, { U, FE_REJECTED, R },
	{ U, FE_EXPIRED, E }, { U, FE_AMBIGUOUS, U }, { U, FE_NOT_FOUND, R },
};

static uint8_t expected(uint8_t s, enum fsm_event ev)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].from == s && allowed[i].ev == ev)
			return allowed[i].to;
	return FSM_INVALID;
}

Test(fsm, every_cell)
{
	unsigned valid = 0;

	for (uint8_t s = 0; s < NSTATES; s++)
		for (unsigned ev = 0; ev < FE_MAX; ev++) {
			uint8_t want = expected(s, (enum fsm_event)ev);

			cr_expect_eq(fsm_next(s, (enum fsm_event)ev), want, "%s + %s: %u, not %u",
				     kimp_ord_state_name(s), fsm_event_name(ev),
				     fsm_next(s, (enum fsm_event)ev), want);
			valid += want != FSM_INVALID;
		}
	cr_assert_eq(valid, sizeof(allowed) / sizeof(allowed[0]), "no move is listed twice");
}

Test(fsm, out_of_range)
{
	cr_assert_eq(fsm_next(NSTATES, FE_ACK), FSM_INVALID);
	cr_assert_eq(fsm_next(0xff, FE_ACK), FSM_INVALID);
	cr_assert_eq(fsm_next(SE, FE_MAX), FSM_INVALID);
	cr_assert_eq(fsm_next(SE, (enum fsm_event)200), FSM_INVALID);
}

Test(fsm, final_states)
{
	for (uint8_t s = 0; s < NSTATES + 2; s++)
		cr_expect_eq(fsm_final(s), s == F || s == C || s == R || s == E, "%u", s);
}

Test(fsm, final_states_move_only_to_final)
{
	/* nothing revives a final order: FILLED is the only way out */
	for (uint8_t s = 0; s < NSTATES; s++)
		for (unsigned ev = 0; ev < FE_MAX; ev++) {
			uint8_t n = fsm_next(s, (enum fsm_event)ev);

			if (fsm_final(s) && n != FSM_INVALID)
				cr_expect(fsm_final(n), "%s + %s -> %s", kimp_ord_state_name(s),
					  fsm_event_name(ev), kimp_ord_state_name(n));
		}
}

Test(fsm, no_blind_resubmit)
{
	/* once bytes may have left, nothing sends or "fails before send" */
	const uint8_t after[] = { SE, A, P, F, CP, C, R, E, U };

	for (size_t i = 0; i < sizeof(after); i++) {
		cr_expect_eq(fsm_next(after[i], FE_SEND), FSM_INVALID, "%u", after[i]);
		cr_expect_eq(fsm_next(after[i], FE_SEND_FAILED), FSM_INVALID, "%u", after[i]);
	}
}

Test(fsm, names)
{
	cr_assert_str_eq(fsm_event_name(FE_SEND), "SEND");
	cr_assert_str_eq(fsm_event_name(FE_CANCEL_REJECTED), "CANCEL_REJECTED");
	cr_assert_str_eq(fsm_event_name(FE_NOT_FOUND), "NOT_FOUND");
	cr_assert_str_eq(fsm_event_name(FE_MAX), "?");
	for (unsigned ev = 0; ev < FE_MAX; ev++)
		cr_expect_str_neq(fsm_event_name(ev), "?", "%u", ev);
	cr_assert_str_eq(kimp_ord_state_name(N), "NEW");
	cr_assert_str_eq(kimp_ord_state_name(CP), "CANCEL_PENDING");
	cr_assert_str_eq(kimp_ord_state_name(U), "UNKNOWN");
	cr_assert_str_eq(kimp_ord_state_name(NSTATES), "?");
	for (unsigned s = 0; s < NSTATES; s++)
		cr_expect_str_neq(kimp_ord_state_name(s), "?", "%u", s);
	cr_assert_str_eq(kimp_ord_rej_name(KIMP_OREJ_NONE), "NONE");
	cr_assert_str_eq(kimp_ord_rej_name(KIMP_OREJ_NOT_READY), "NOT_READY");
	cr_assert_str_eq(kimp_ord_rej_name(KIMP_OREJ_UNKNOWN_INST), "UNKNOWN_INST");
	cr_assert_str_eq(kimp_ord_rej_name(KIMP_OREJ_MAX), "?");
	for (unsigned r = 0; r < KIMP_OREJ_MAX; r++)
		cr_expect_str_neq(kimp_ord_rej_name(r), "?", "%u", r);
}

Test(fsm, event_of)
{
	/* ACKED: nothing filled, some, all */
	cr_assert_eq(fsm_event_of(A, 0, 10), FE_ACK);
	cr_assert_eq(fsm_event_of(A, 1, 10), FE_PARTIAL);
	cr_assert_eq(fsm_event_of(A, 10, 10), FE_FILLED);
	/* PARTIAL: boundary at qty, both sides */
	cr_assert_eq(fsm_event_of(P, 9, 10), FE_PARTIAL);
	cr_assert_eq(fsm_event_of(P, 10, 10), FE_FILLED);
	cr_assert_eq(fsm_event_of(P, 11, 10), FE_FILLED);
	cr_assert_eq(fsm_event_of(P, 0, 10), FE_ACK);
	cr_assert_eq(fsm_event_of(F, 10, 10), FE_FILLED);
	cr_assert_eq(fsm_event_of(F, 3, 10), FE_FILLED, "the venue said filled");
	/* ends: the fuller fact wins when cum reaches qty */
	cr_assert_eq(fsm_event_of(C, 4, 10), FE_CANCELLED);
	cr_assert_eq(fsm_event_of(C, 10, 10), FE_FILLED);
	cr_assert_eq(fsm_event_of(E, 9, 10), FE_EXPIRED);
	cr_assert_eq(fsm_event_of(E, 10, 10), FE_FILLED);
	cr_assert_eq(fsm_event_of(R, 0, 10), FE_REJECTED);
	/* qty unknown (market buy by quote): as said */
	cr_assert_eq(fsm_event_of(P, 500, 0), FE_PARTIAL);
	cr_assert_eq(fsm_event_of(C, 500, 0), FE_CANCELLED);
	cr_assert_eq(fsm_event_of(A, 0, 0), FE_ACK);
	/* states a venue never reports */
	cr_assert_eq(fsm_event_of(N, 0, 10), FE_MAX);
	cr_assert_eq(fsm_event_of(SE, 0, 10), FE_MAX);
	cr_assert_eq(fsm_event_of(CP, 0, 10), FE_MAX);
	cr_assert_eq(fsm_event_of(U, 0, 10), FE_MAX);
	cr_assert_eq(fsm_event_of(99, 0, 10), FE_MAX);
}

/* ---- scenarios, run the way orderd's caller does (fsm.c's header) -------- */

struct ord {
	uint8_t state;
	int64_t qty, cum;
	unsigned invalid, stale, dups, fills_applied, queries;
};

/* A venue report (state vs, cum). */
static void venue(struct ord *o, uint8_t vs, int64_t cum)
{
	enum fsm_event ev = fsm_event_of(vs, cum, o->qty);
	uint8_t next;

	cr_assert_neq(ev, FE_MAX);
	if (cum < o->cum) {
		o->stale++;
		return;
	}
	next = fsm_next(o->state, ev);
	if (cum == o->cum && (next == o->state || next == FSM_INVALID) && vs == o->state) {
		o->dups++;
		return;
	}
	if (cum > o->cum) {
		o->cum = cum;  /* fills are facts */
		o->fills_applied++;
	}
	if (next == FSM_INVALID) {
		o->invalid++;
		return;
	}
	o->state = next;
}

/* One of our events (send, cancel, ambiguity, refusals). */
static void ours(struct ord *o, enum fsm_event ev)
{
	uint8_t next = fsm_next(o->state, ev);

	if (next == FSM_INVALID) {
		o->invalid++;
		return;
	}
	o->state = next;
	if (ev == FE_CANCEL_REJECTED && next == A) {
		o->queries++;  /* the caller queries after a refused cancel */
		if (o->cum > 0)
			o->state = fsm_next(o->state, FE_PARTIAL);
	}
}

Test(fsm, scenario_place_fill)
{
	struct ord o = { .state = N, .qty = 10 };

	ours(&o, FE_SEND);
	venue(&o, A, 0);
	venue(&o, P, 4);
	venue(&o, P, 10);
	cr_assert_eq(o.state, F);
	cr_assert_eq(o.cum, 10);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_cancel_then_fill)
{
	/* our cancel reported on one channel, the fill that beat it on another */
	struct ord o = { .state = N, .qty = 10 };

	ours(&o, FE_SEND);
	venue(&o, A, 0);
	ours(&o, FE_CANCEL_SENT);
	cr_assert_eq(o.state, CP);
	venue(&o, C, 0);
	cr_assert_eq(o.state, C);
	venue(&o, F, 10);
	cr_assert_eq(o.state, F);
	cr_assert_eq(o.cum, 10);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_cancel_then_partial_stays_cancelled)
{
	struct ord o = { .state = A, .qty = 10 };

	ours(&o, FE_CANCEL_SENT);
	venue(&o, C, 0);
	venue(&o, P, 3);  /* a fill the cancel report did not know */
	cr_assert_eq(o.state, C);
	cr_assert_eq(o.cum, 3, "the fill is applied");
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_fill_while_cancel_pending_then_cancelled)
{
	struct ord o = { .state = A, .qty = 10 };

	ours(&o, FE_CANCEL_SENT);
	venue(&o, P, 4);
	cr_assert_eq(o.state, CP, "the cancel is still out");
	cr_assert_eq(o.cum, 4);
	venue(&o, C, 4);
	cr_assert_eq(o.state, C);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_cancel_rejected_back_to_acked_or_partial)
{
	struct ord a = { .state = A, .qty = 10 }, p = { .state = P, .qty = 10, .cum = 0 };

	ours(&a, FE_CANCEL_SENT);
	ours(&a, FE_CANCEL_REJECTED);
	cr_assert_eq(a.state, A);
	cr_assert_eq(a.queries, 1);

	venue(&p, P, 6);
	ours(&p, FE_CANCEL_SENT);
	ours(&p, FE_CANCEL_REJECTED);
	cr_assert_eq(p.state, P, "a fill was seen: PARTIAL");
	cr_assert_eq(p.invalid, 0);
}

Test(fsm, scenario_cancel_lost_race_with_last_fill)
{
	struct ord o = { .state = P, .qty = 10, .cum = 5 };

	ours(&o, FE_CANCEL_SENT);
	venue(&o, F, 10);
	ours(&o, FE_CANCEL_REJECTED);  /* the venue: already filled */
	cr_assert_eq(o.state, F);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_out_of_order_partial_after_filled_is_stale)
{
	/* two channels: FILLED arrives first, then the older PARTIAL */
	struct ord o = { .state = SE, .qty = 10 };

	venue(&o, F, 10);
	venue(&o, P, 4);
	cr_assert_eq(o.state, F);
	cr_assert_eq(o.stale, 1, "counted stale by cum, never reaches the table");
	cr_assert_eq(o.invalid, 0);
	/* the same FILLED again: a duplicate */
	venue(&o, F, 10);
	cr_assert_eq(o.dups, 1);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_late_ack_after_fill)
{
	struct ord o = { .state = SE, .qty = 10 };

	venue(&o, P, 10);  /* user stream: filled */
	venue(&o, A, 10);  /* the place reply, said earlier, arrives later */
	cr_assert_eq(o.state, F);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_ambiguous_settled_by_query)
{
	struct ord o = { .state = N, .qty = 10 };

	ours(&o, FE_SEND);
	ours(&o, FE_AMBIGUOUS);
	cr_assert_eq(o.state, U);
	ours(&o, FE_AMBIGUOUS);  /* the query timed out too */
	cr_assert_eq(o.state, U);
	venue(&o, P, 2);
	cr_assert_eq(o.state, P);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_unknown_not_found_is_rejected)
{
	struct ord o = { .state = SE, .qty = 10 };

	ours(&o, FE_AMBIGUOUS);
	ours(&o, FE_CANCEL_SENT);
	cr_assert_eq(o.state, U, "our cancel does not settle it");
	ours(&o, FE_CANCEL_REJECTED);
	cr_assert_eq(o.state, U, "nor its refusal");
	ours(&o, FE_NOT_FOUND);
	cr_assert_eq(o.state, R);
}

Test(fsm, scenario_send_failed_before_send)
{
	struct ord o = { .state = N, .qty = 10 };

	ours(&o, FE_SEND_FAILED);
	cr_assert_eq(o.state, R);
	cr_assert_eq(o.invalid, 0);
}

Test(fsm, scenario_fill_after_rejected_is_invalid_but_applied)
{
	/* settled NOT_FOUND after the grace, then the venue reports a fill */
	struct ord o = { .state = U, .qty = 10 };

	ours(&o, FE_NOT_FOUND);
	venue(&o, P, 3);
	cr_assert_eq(o.state, R, "not applied to the state");
	cr_assert_eq(o.invalid, 1, "counted");
	cr_assert_eq(o.cum, 3, "the fill is a fact");
}

Test(fsm, scenario_restart_new_order)
{
	/* replayed as NEW (died between the send and JR_SENT) */
	struct ord o = { .state = N, .qty = 10 };

	ours(&o, FE_AMBIGUOUS);
	cr_assert_eq(o.state, U);
	venue(&o, A, 0);
	cr_assert_eq(o.state, A);
}

Test(fsm, scenario_filled_contradictions_are_invalid)
{
	struct ord o = { .state = F, .qty = 10, .cum = 10 };

	venue(&o, C, 5);  /* stale by cum */
	cr_assert_eq(o.stale, 1);
	ours(&o, FE_CANCEL_SENT);
	ours(&o, FE_NOT_FOUND);
	cr_assert_eq(o.invalid, 2);
	cr_assert_eq(o.state, F);
}
