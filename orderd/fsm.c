/* SPDX-License-Identifier: MIT */
/*
 * The order state machine as data: next[state][event], every cell chosen
 * on purpose (the comment above each row says why). A cell that names the
 * state itself is a no-op the caller does not count (a repeat, or a late
 * report of something already superseded); FSM_INVALID is a contradiction
 * the caller counts (state.invalid_transitions), logs and does not apply.
 *
 * What the table leaves to the caller (orderd.c), by design (design7.md
 * Principles 4 and 5):
 *
 *   Fills are facts. The caller compares an event's cum_qty with what it
 *   knows BEFORE looking at the table: below = stale (counted, ignored;
 *   e.g. an out-of-order PARTIAL that arrives after FILLED never reaches
 *   the table), equal with the same state = duplicate (ignored), above =
 *   the fill is applied and reported whatever the table says. So
 *   CANCELLED/EXPIRED + FE_PARTIAL "stay": the fill is applied by the
 *   caller, the state stays final; REJECTED + a fill is FSM_INVALID (an
 *   alarm: a fill on an order we settled as never placed) but the fill is
 *   still applied.
 *
 *   CANCEL_PENDING does not move on FE_PARTIAL (the cancel is still out;
 *   the fill is applied). When the cancel is refused, FE_CANCEL_REJECTED
 *   yields ACKED; the caller, who knows cum_qty, then applies FE_PARTIAL
 *   when cum_qty > 0 (ACKED + FE_PARTIAL = PARTIAL). A refused cancel
 *   means the venue holds the order as final or does not know it (yet):
 *   the caller should query the order to learn which.
 *
 *   An UNKNOWN order does not move on our own FE_CANCEL_SENT or on a
 *   refused cancel: only the venue's word (a report or a query) settles it,
 *   and FE_NOT_FOUND only after unknown_grace (the caller's check).
 *
 *   A NEW order after a restart may have left (orderd died between the
 *   send and JR_SENT): the caller applies FE_AMBIGUOUS (-> UNKNOWN) to it
 *   before reconciling; a venue report about a NEW order is accepted as
 *   proof that it left.
 */
#include "core.h"

#define X FSM_INVALID

/* Short names for the table. */
#define S_NEW  KIMP_ORD_NEW
#define S_SENT KIMP_ORD_SENT
#define S_ACK  KIMP_ORD_ACKED
#define S_PART KIMP_ORD_PARTIAL
#define S_FILL KIMP_ORD_FILLED
#define S_CXLP KIMP_ORD_CANCEL_PENDING
#define S_CXLD KIMP_ORD_CANCELLED
#define S_REJ  KIMP_ORD_REJECTED
#define S_EXP  KIMP_ORD_EXPIRED
#define S_UNK  KIMP_ORD_UNKNOWN
#define FSM_NSTATES 10

KIMP_STATIC_ASSERT(FE_MAX == 12, "the table below has one column per event");
KIMP_STATIC_ASSERT(KIMP_ORD_UNKNOWN + 1 == FSM_NSTATES, "one row per state");

static const uint8_t fsm_table[FSM_NSTATES][FE_MAX] = {
	/*            SEND    SEND_F  ACK     PARTIAL FILLED  CXL_SNT CXLD    CXL_REJ REJ     EXPIRED AMBIG   NOT_FND */

	/* NEW: journaled, not sent. SEND/SEND_FAILED are ours; a venue report
	 * proves the bytes left (restart case) and counts as from SENT; no
	 * cancel of what never left (nor a refusal of one); AMBIGUOUS is the
	 * restart rule (it may have left); NOT_FOUND settles it. */
	[S_NEW] = { S_SENT, S_REJ,  S_ACK,  S_PART, S_FILL, X,      S_CXLD, X,      S_REJ,  S_EXP,  S_UNK,  S_REJ },

	/* SENT: anything the venue reports. Sent twice = blind resubmit and
	 * SEND_FAILED after the bytes left: never (a failure after send is
	 * AMBIGUOUS). A cancel may chase an unacked order. No cancel is out,
	 * so no refusal of one. */
	[S_SENT] = { X,     X,      S_ACK,  S_PART, S_FILL, S_CXLP, S_CXLD, X,      S_REJ,  S_EXP,  S_UNK,  S_REJ },

	/* ACKED: the venue has it. Repeat ACK stays; a late refusal of an
	 * earlier cancel stays; REJECTED is accepted because ACKED may be our
	 * guess after a refused cancel (see above) and a definite refusal
	 * with no fill is a fact; a lost reply changes nothing we know
	 * (reconciliation queries it); NOT_FOUND likewise settles the guess. */
	[S_ACK] = { X,      X,      S_ACK,  S_PART, S_FILL, S_CXLP, S_CXLD, S_ACK,  S_REJ,  S_EXP,  S_ACK,  S_REJ },

	/* PARTIAL: fills seen. A late ACK (other channel) stays; REJECTED and
	 * NOT_FOUND contradict the fills (INVALID); EXPIRED is the IOC rest. */
	[S_PART] = { X,     X,      S_PART, S_PART, S_FILL, S_CXLP, S_CXLD, S_PART, X,      S_EXP,  S_PART, X },

	/* FILLED: final. Only repeats stay: FILLED again, a late ACK (an
	 * earlier report on another channel), a refused cancel (the cancel
	 * lost the race with the last fill) and a lost reply. Everything
	 * else contradicts a full fill. */
	[S_FILL] = { X,     X,      S_FILL, X,      S_FILL, X,      X,      S_FILL, X,      X,      S_FILL, X },

	/* CANCEL_PENDING: a cancel is out. Fills keep it pending (PARTIAL:
	 * the caller applies the fill) or end it (FILLED); the venue's end
	 * (CANCELLED, EXPIRED, REJECTED when the cancel chased an unacked
	 * order) wins; a refused cancel goes back to ACKED (the caller then
	 * applies PARTIAL if cum_qty > 0); a repeat cancel or a lost reply
	 * stays; NOT_FOUND (after the grace) settles it as never placed. */
	[S_CXLP] = { X,     X,      S_CXLP, S_CXLP, S_FILL, S_CXLP, S_CXLD, S_ACK,  S_REJ,  S_EXP,  S_CXLP, S_REJ },

	/* CANCELLED: final. Cancelled-then-filled across two channels ends
	 * FILLED; a partial fill stays (applied by the caller); repeats, late
	 * ACKs, refusals of further cancels, lost replies and a venue that no
	 * longer lists an order that ended unfilled (archived) stay. A
	 * different end (REJECTED, EXPIRED) contradicts it; nothing is sent
	 * for a final order. */
	[S_CXLD] = { X,     X,      S_CXLD, S_CXLD, S_FILL, X,      S_CXLD, S_CXLD, X,      X,      S_CXLD, S_CXLD },

	/* REJECTED: final, nothing happened. Life or fills after it (the
	 * venue had it after all: unknown_grace too short, or a venue bug)
	 * are INVALID: an alarm the caller logs (fills still applied).
	 * Repeats, refused cancels, lost replies and NOT_FOUND agree. */
	[S_REJ] = { X,      X,      X,      X,      X,      X,      X,      S_REJ,  S_REJ,  X,      S_REJ,  S_REJ },

	/* EXPIRED: final (IOC/FOK rest). As CANCELLED: a report that the
	 * rest filled after all ends FILLED; partials stay; a different end
	 * contradicts it. */
	[S_EXP] = { X,      X,      S_EXP,  S_EXP,  S_FILL, X,      X,      S_EXP,  X,      S_EXP,  S_EXP,  S_EXP },

	/* UNKNOWN: the bytes may have left. Never sent again, never "failed
	 * before send"; anything the venue reports settles it; our cancel and
	 * its refusal do not (a query does); another lost reply stays;
	 * NOT_FOUND (after the grace) settles it as never placed. */
	[S_UNK] = { X,      X,      S_ACK,  S_PART, S_FILL, S_UNK,  S_CXLD, S_UNK,  S_REJ,  S_EXP,  S_UNK,  S_REJ },
};

uint8_t fsm_next(uint8_t s, enum fsm_event ev)
{
	if (s >= FSM_NSTATES || (unsigned)ev >= FE_MAX)
		return FSM_INVALID;
	return fsm_table[s][ev];
}

bool fsm_final(uint8_t s)
{
	return s == KIMP_ORD_FILLED || s == KIMP_ORD_CANCELLED || s == KIMP_ORD_REJECTED ||
	       s == KIMP_ORD_EXPIRED;
}

static const char *const event_names[FE_MAX] = {
	[FE_SEND] = "SEND",
	[FE_SEND_FAILED] = "SEND_FAILED",
	[FE_ACK] = "ACK",
	[FE_PARTIAL] = "PARTIAL",
	[FE_FILLED] = "FILLED",
	[FE_CANCEL_SENT] = "CANCEL_SENT",
	[FE_CANCELLED] = "CANCELLED",
	[FE_CANCEL_REJECTED] = "CANCEL_REJECTED",
	[FE_REJECTED] = "REJECTED",
	[FE_EXPIRED] = "EXPIRED",
	[FE_AMBIGUOUS] = "AMBIGUOUS",
	[FE_NOT_FOUND] = "NOT_FOUND",
};

const char *fsm_event_name(unsigned ev)
{
	return ev < FE_MAX ? event_names[ev] : "?";
}

/*
 * qty <= 0 (a market buy by quote amount): the venue's state is taken as
 * said, cum_qty cannot tell "filled". With a quantity, a report whose
 * cum_qty reaches it is FILLED whatever state it names (the fuller fact);
 * ACKED with a fill is PARTIAL; PARTIAL with nothing filled is ACK. A state
 * the venue never reports (NEW, SENT, CANCEL_PENDING, UNKNOWN, out of
 * range) gives FE_MAX: the caller counts a parse error.
 */
enum fsm_event fsm_event_of(uint8_t vs, int64_t cum, int64_t qty)
{
	bool full = qty > 0 && cum >= qty;

	switch (vs) {
	case KIMP_ORD_ACKED:
	case KIMP_ORD_PARTIAL:
		if (full)
			return FE_FILLED;
		return cum > 0 ? FE_PARTIAL : FE_ACK;
	case KIMP_ORD_FILLED:
		return FE_FILLED;
	case KIMP_ORD_CANCELLED:
		return full ? FE_FILLED : FE_CANCELLED;
	case KIMP_ORD_EXPIRED:
		return full ? FE_FILLED : FE_EXPIRED;
	case KIMP_ORD_REJECTED:
		return FE_REJECTED;
	default:
		return FE_MAX;
	}
}
