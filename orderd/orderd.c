/* SPDX-License-Identifier: MIT */
/*
 * orderd's life: its segment (state, table, control, metrics, the report
 * rings), riskd's `orders` ring, the journal and its replay, the order
 * path, venue events through the state machine, reports, the loop.
 *
 * The order path (one kimp_order, peeked, handled, then the ring
 * advanced):
 *   ORDER_NEW     checks (duplicate, venue, readiness, symbol, table,
 *                 rate) -> JR_ORDER -> build, sign, send on the fast
 *                 channel (another only on a failure proven before send)
 *                 -> JR_SENT + JR_STATE SENT -> reports
 *   ORDER_CANCEL  a cancel request (waits for budget, never dropped)
 *   CANCEL_ALL    every open order of the venue (0: of all)
 * A local refusal is JR_ORDER + JR_STATE REJECTED (reject_code enum
 * kimp_ord_rej) and its reports: never sent. A client_oid seen before is
 * dropped with no record and no report (a report would name the order
 * that owns the id): skipped quietly when it is the restart replay of the
 * same ring position, else counted (dup_oid) and logged from the idle
 * path, at most a line a second.
 *
 * Crash atomicity: the journal is the truth. A record is appended (a store
 * into a shared file mapping) before what it describes becomes visible:
 * JR_ORDER before a byte leaves, JR_STATE before its reports; state.rep_pub_jseq
 * says which JR_STATE's reports reached both rings, so a restart publishes
 * the rest again (consumers drop repeats). An order taken from the ring and
 * journaled but not yet committed on the ring comes again at restart: its
 * ring sequence is in its JR_ORDER, so it is skipped, never sent twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "kimp/log.h"
#include "kimp/book.h"
#include "kimp/tsc.h"
#include "orderd.h"
#include "paper.h"
#include "kimp/netfutex.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

#define NCOUNTERS 48
#define NGAUGES   16
#define NHISTS    32

int64_t od_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline uint32_t slot_of(const struct orderd *d, const struct kimp_ord_entry *e)
{
	return (uint32_t)(e - d->ot.e);
}

/* ---- journaled client ids --------------------------------------------------------- */

static inline uint64_t jhash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* The ring sequence coid was journaled with (1.., or ~0 when unknown); 0: never. */
static uint64_t jset_find(const struct orderd *d, uint64_t coid)
{
	for (uint64_t i = jhash(coid) & d->jmask;; i = (i + 1) & d->jmask) {
		if (!d->jcoid[i])
			return 0;
		if (d->jcoid[i] == coid)
			return d->jring[i] ? d->jring[i] : ~0ull;
	}
}

static void jset_add(struct orderd *d, uint64_t coid, uint64_t ring_seq)
{
	if (!coid)
		return;
	if (d->jcount * 4 >= (d->jmask + 1) * 3) {
		/* full: forget the oldest knowledge (riskd's ids increase; the table
		 * still knows the live ones) */
		memset(d->jcoid, 0, (d->jmask + 1) * sizeof(*d->jcoid));
		d->jcount = 0;
	}
	for (uint64_t i = jhash(coid) & d->jmask;; i = (i + 1) & d->jmask) {
		if (!d->jcoid[i]) {
			d->jcoid[i] = coid;
			d->jring[i] = ring_seq;
			d->jcount++;
			return;
		}
		if (d->jcoid[i] == coid) {
			d->jring[i] = ring_seq;
			return;
		}
	}
}

/* ---- journal ------------------------------------------------------------------------ */

static void snap_one(void *arg, struct kimp_ord_entry *e)
{
	struct journal *j = arg;
	struct jr_rec r;

	jr_snap_from_entry(&r, e);
	journal_append(j, &r);
	if (e->oid[0]) {
		memset(&r, 0, sizeof(r));
		r.type = JR_OID;
		r.client_oid = e->client_oid;
		r.u.id.venue = e->venue;
		r.u.id.len = (uint8_t)strnlen(e->oid, KIMP_ORD_OID_MAX - 1);
		memcpy(r.u.id.oid, e->oid, r.u.id.len);
		journal_append(j, &r);
	}
}

struct snap_ctx {
	struct orderd *d;
};

static void snap_each(void *arg, struct kimp_ord_entry *e)
{
	struct orderd *d = arg;

	snap_one(&d->j, e);
}

static void snap_all(void *arg, struct journal *j)
{
	struct orderd *d = arg;

	(void)j;
	otable_each_live(&d->ot, snap_each, d);
}

/* Append r; a full file is rotated (cold, rare). The record's seq (0: failed). */
static uint64_t jappend(struct orderd *d, struct jr_rec *r)
{
	uint64_t seq = journal_append(&d->j, r);

	if (kimp_unlikely(!seq)) {
		int e = journal_rotate(&d->j, snap_all, d);
		if (e)
			kimp_log(KIMP_LOG_WARN, "journal: rotation failed: %s", strerror(-e));
		seq = journal_append(&d->j, r);
		d->st->journal_file = d->j.file_no;
		if (!seq)
			kimp_log(KIMP_LOG_WARN, "journal: a record could not be written");
	}
	if (seq)
		d->st->jseq = seq;
	return seq;
}

/* ---- reports ------------------------------------------------------------------------- */

static bool backlog_push(struct od_backlog *b, const struct kimp_exec_report *r)
{
	if (b->count == b->cap)
		return false;
	b->r[(b->head + b->count) % b->cap] = *r;
	b->count++;
	return true;
}

/* Publish what waits; true when nothing waits any more. */
static bool backlog_flush(struct orderd *d)
{
	bool empty = true;

	for (int k = 0; k < 2; k++) {
		struct od_backlog *b = &d->backlog[k];
		while (b->count) {
			if (shm_ring_push(&d->rep[k], &b->r[b->head], sizeof(b->r[0])))
				break;
			b->head = (b->head + 1) % b->cap;
			b->count--;
		}
		empty &= !b->count;
	}
	d->st->report_backlog = d->backlog[0].count + d->backlog[1].count;
	return empty;
}

static void publish(struct orderd *d, const struct kimp_exec_report *r, uint64_t jseq)
{
	for (int k = 0; k < 2; k++) {
		struct od_backlog *b = &d->backlog[k];
		if (kimp_likely(!b->count) && !shm_ring_push(&d->rep[k], r, sizeof(*r)))
			continue;
		if (!backlog_push(b, r)) {
			/* never drop: wait for the consumer (it is alive or the ring would
			 * not be full for long); cold */
			shm_counter_add(d->c_backlog, 1);
			uint64_t end = kimp_mono_ns() + 1000000000ull;
			while (!backlog_flush(d) && kimp_mono_ns() < end)
				kimp_cpu_relax();
			if (!backlog_push(b, r))
				kimp_log(KIMP_LOG_WARN, "report for %" PRIu64 " lost: ring and backlog "
					 "full", r->client_oid);
		}
	}
	d->st->reports_out++;
	shm_counter_add(d->c_reports, 1);
	if (kimp_likely(!d->backlog[0].count && !d->backlog[1].count))
		d->st->rep_pub_jseq = jseq;
	else
		d->st->report_backlog = d->backlog[0].count + d->backlog[1].count;
}

static void report_of(const struct kimp_ord_entry *e, const struct jr_rec *r,
		      struct kimp_exec_report *out)
{
	memset(out, 0, sizeof(*out));
	out->h.type = KIMP_MSG_EXEC_REPORT;
	out->h.venue = e->venue;
	out->h.inst = e->inst;
	out->h.ingress_tsc = e->ingress_tsc;
	out->h.venue_ts_ns = e->updated_real_ns;
	out->client_oid = e->client_oid;
	out->exec_id = r->u.st.exec_id;
	out->last_px = r->u.st.last_px;
	out->last_qty = r->u.st.last_qty;
	out->cum_qty = r->u.st.cum_qty;
	out->leaves_qty = r->u.st.leaves_qty;
	out->fee = r->u.st.last_fee;
	out->state = r->u.st.state;
	out->side = e->side;
	out->leg = e->leg;
	out->fee_asset = r->u.st.fee_asset;
	out->reject_code = r->u.st.reject_code;
	out->pair_id = e->pair_id;
}

struct od_fill {
	int64_t last_px, last_qty, last_fee;
	uint64_t exec_id;
};

/*
 * e goes to state s (after event fe, with fill f or NULL): JR_STATE, the
 * table, the reports. The caller has set e's cumulative figures.
 */
static void set_state(struct orderd *d, struct kimp_ord_entry *e, uint8_t s, enum fsm_event fe,
		      const struct od_fill *f)
{
	struct od_venue *v = e->venue < KIMP_VENUE_MAX ? d->ven[e->venue] : NULL;
	struct kimp_exec_report rep;
	struct jr_rec r;
	uint8_t prev = e->state;
	uint64_t seq;

	memset(&r, 0, sizeof(r));
	r.type = JR_STATE;
	r.client_oid = e->client_oid;
	if (f) {
		r.u.st.last_px = f->last_px;
		r.u.st.last_qty = f->last_qty;
		r.u.st.last_fee = f->last_fee;
		r.u.st.exec_id = f->exec_id;
	}
	r.u.st.cum_qty = e->cum_qty;
	r.u.st.cum_quote = e->cum_quote;
	r.u.st.cum_fee = e->cum_fee;
	r.u.st.leaves_qty = fsm_final(s) ? 0 : e->qty - e->cum_qty;
	r.u.st.reject_code = e->reject_code;
	r.u.st.state = s;
	r.u.st.prev_state = prev;
	r.u.st.event = (uint8_t)fe;
	r.u.st.fee_asset = e->fee_asset;
	r.u.st.venue = e->venue;
	r.u.st.side = e->side;
	r.u.st.leg = e->leg;
	r.u.st.kind = e->kind;
	r.u.st.flags = e->flags;
	seq = jappend(d, &r);
	e->state = s;
	e->jseq = seq;
	e->updated_real_ns = od_real_ns();
	if (v && !fsm_final(prev) && fsm_final(s) && v->sv->open_orders)
		v->sv->open_orders--;
	if (v && prev != s) {
		struct kimp_ord_venue *sv = v->sv;
		switch (s) {
		case KIMP_ORD_ACKED: sv->acked++; break;
		case KIMP_ORD_FILLED: sv->filled++; break;
		case KIMP_ORD_CANCELLED: sv->cancelled++; break;
		case KIMP_ORD_REJECTED: sv->rejected++; break;
		case KIMP_ORD_EXPIRED: sv->expired++; break;
		case KIMP_ORD_UNKNOWN: sv->unknown++; break;
		default: break;
		}
	}
	otable_commit(&d->ot, e);
	report_of(e, &r, &rep);
	publish(d, &rep, seq);
}

/* ---- the order path ------------------------------------------------------------------- */

/* The order as the builders see it: 0, or a KIMP_OREJ_*. */
int od_vo_order(const struct od_venue *v, const struct kimp_ord_entry *e,
		       struct vo_order *o)
{
	memset(o, 0, sizeof(*o));
	o->coid = e->client_oid;
	o->sym = e->inst < KIMP_COINS_MAX ? v->sym_of[e->inst] : VENUE_SYM_NONE;
	if (o->sym == VENUE_SYM_NONE)
		return KIMP_OREJ_UNKNOWN_INST;
	o->side = e->side;
	o->type = e->type;
	o->tif = e->tif == KIMP_TIF_POST_ONLY ? KIMP_TIF_GTC : e->tif;
	o->px = e->px;
	o->qty = e->qty;
	if (e->oid[0]) {
		o->oid = e->oid;
		o->oid_len = (uint32_t)strnlen(e->oid, KIMP_ORD_OID_MAX);
	}
	return 0;
}

/* A refusal of our own for an order not in the table (full): journaled, reported. */
static void reject_unlisted(struct orderd *d, const struct kimp_order *m, int code)
{
	struct kimp_ord_entry tmp;
	struct kimp_exec_report rep;
	struct jr_rec r;
	uint64_t seq;

	memset(&tmp, 0, sizeof(tmp));
	memset(&r, 0, sizeof(r));
	tmp.client_oid = m->client_oid;
	tmp.venue = m->h.venue;
	tmp.inst = m->h.inst;
	tmp.side = m->side;
	tmp.leg = m->leg;
	tmp.pair_id = m->pair_id;
	tmp.ingress_tsc = m->h.ingress_tsc;
	r.type = JR_STATE;
	r.client_oid = m->client_oid;
	r.u.st.state = KIMP_ORD_REJECTED;
	r.u.st.reject_code = code;
	r.u.st.venue = m->h.venue;
	r.u.st.side = m->side;
	r.u.st.leg = m->leg;
	r.u.st.kind = m->kind;
	r.u.st.event = FE_REJECTED;
	seq = jappend(d, &r);
	report_of(&tmp, &r, &rep);
	publish(d, &rep, seq);
	d->st->venue[m->h.venue < KIMP_VENUE_MAX ? m->h.venue : 0].local_rejects++;
	shm_counter_add(d->c_local_rej, 1);
}

static void journal_order(struct orderd *d, const struct kimp_order *m, uint64_t ring_seq,
			  uint8_t type)
{
	struct jr_rec r;

	memset(&r, 0, sizeof(r));
	r.type = JR_ORDER;
	r.client_oid = m->client_oid;
	r.u.o.intent_id = m->intent_id;
	r.u.o.pair_id = m->pair_id;
	r.u.o.px = m->px;
	r.u.o.qty = m->qty;
	r.u.o.ring_seq = ring_seq;
	r.u.o.ingress_tsc = m->h.ingress_tsc;
	r.u.o.inst = m->h.inst;
	r.u.o.strategy = m->strategy;
	r.u.o.venue = m->h.venue;
	r.u.o.side = m->side;
	r.u.o.tif = m->tif;
	r.u.o.type = type;
	r.u.o.leg = m->leg;
	r.u.o.kind = m->kind;
	r.u.o.state = KIMP_ORD_NEW;
	jappend(d, &r);
	jset_add(d, m->client_oid, ring_seq);
}

int64_t od_rate_take(struct od_venue *v, enum vo_op op, enum vo_chan ch, int64_t now_ms)
{
	if (kimp_likely(v->vc->rate_limits)) {
		uint32_t pending = v->rate.pending;
		int64_t w = orate_take(&v->rate, op, ch, now_ms);

		/* charged (not a zero-cost op): the request sent next carries it */
		v->rate_took = !w && v->rate.pending != pending;
		return w;
	}
	v->rate_took = false;
	return v->rate.backoff_until_ms > now_ms ? v->rate.backoff_until_ms - now_ms : 0;
}

void od_rate_done(struct od_venue *v, const struct od_req *rq, const struct vo_rate_obs *obs)
{
	if (rq ? !rq->took : !v->rate_took)
		return;
	if (!rq)
		v->rate_took = false;
	orate_observe(&v->rate, obs, vo_server_ms(&v->ctx));
}

bool od_venue_ok(struct od_venue *v, int64_t now_ms, int *rej)
{
	if (v->paper) {
		if (v->paper_state)
			return true;
		*rej = KIMP_OREJ_NOT_READY; /* no book table yet */
		return false;
	}
	if (v->rate.banned_until_ms > now_ms) {
		*rej = KIMP_OREJ_BANNED;
		return false;
	}
	if (v->sticky || !v->sv->ready || v->clock_wait) {
		*rej = KIMP_OREJ_NOT_READY;
		return false;
	}
	return true;
}

/*
 * The stage breakdown of an order taken off riskd's ring at t0 and sent at
 * t1 (OD_STAGES), from the stamps it carries. One without every stamp (a
 * retry or an unwind: stratd decided it on no market message) is counted
 * in stage_unstamped instead. Hot: histogram records only.
 */
static void stage_record(struct orderd *d, const struct kimp_order *m, uint64_t t0, uint64_t t1)
{
	const uint64_t ts[OD_STAGES + 1] = { m->h.ingress_tsc, m->strat_deq_tsc, m->strat_pub_tsc,
					     m->risk_deq_tsc, m->risk_pub_tsc, t0, t1 };

	for (unsigned k = 0; k < OD_STAGES; k++)
		if (!ts[k]) {
			shm_counter_add(d->c_stage_unstamped, 1);
			return;
		}
	for (unsigned k = 0; k < OD_STAGES; k++)
		shm_hist_record_ticks(d->h_stage[k], d->cal,
				      ts[k + 1] > ts[k] ? ts[k + 1] - ts[k] : 0);
}

static void order_new(struct orderd *d, const struct kimp_order *m, uint64_t ring_seq,
		      uint64_t t0)
{
	struct kimp_ord_state *st = d->st;
	unsigned vn = m->h.venue;
	struct od_venue *v = vn < KIMP_VENUE_MAX ? d->ven[vn] : NULL;
	struct kimp_ord_entry *e;
	struct vo_order o;
	uint64_t js;
	uint8_t type;
	int rej = 0;

	st->orders_in++;
	shm_counter_add(d->c_orders, 1);
	js = jset_find(d, m->client_oid);
	if (kimp_unlikely(js || otable_find(&d->ot, m->client_oid))) {
		st->duplicates++;
		shm_counter_add(d->c_dups, 1);
		if (js == ring_seq)
			return; /* the restart replay of an order already taken */
		/*
		 * A client_oid used before by another order: riskd's bug. Any
		 * report would carry that id, and riskd and stratd would apply it
		 * to the order that owns it; so nothing is journaled, reported or
		 * sent. Counted here (dup_oid); the idle path logs it.
		 */
		shm_counter_add(d->c_dup_oid, 1);
		d->dup_last_coid = m->client_oid;
		return;
	}
	type = m->tif == KIMP_TIF_POST_ONLY ? VO_POST_ONLY : m->px > 0 ? VO_LIMIT : VO_MARKET;
	int64_t now_ms = v ? vo_server_ms(&v->ctx) : 0;
	if (!v || (!v->live && !v->paper))
		rej = KIMP_OREJ_VENUE_OFF;
	else if (!od_venue_ok(v, now_ms, &rej))
		;
	else if (m->h.inst >= KIMP_COINS_MAX || v->sym_of[m->h.inst] == VENUE_SYM_NONE)
		rej = KIMP_OREJ_UNKNOWN_INST;
	else if (m->qty <= 0 || (m->side != KIMP_SIDE_BUY && m->side != KIMP_SIDE_SELL) ||
		 (type == VO_MARKET && m->side == KIMP_SIDE_BUY && v->vo->market_buy_by_quote))
		rej = KIMP_OREJ_BAD_ORDER;
	e = otable_insert(&d->ot, m->client_oid);
	if (!e) {
		journal_order(d, m, ring_seq, type);
		reject_unlisted(d, m, KIMP_OREJ_TABLE_FULL);
		return;
	}
	{
		uint32_t s = slot_of(d, e);
		d->sent_mono[s] = 0;
		d->next_q[s] = 0;
	}
	memset(e, 0, sizeof(*e));
	e->client_oid = m->client_oid;
	e->intent_id = m->intent_id;
	e->pair_id = m->pair_id;
	e->px = m->px;
	e->qty = m->qty;
	e->created_real_ns = od_real_ns();
	e->updated_real_ns = e->created_real_ns;
	e->venue = (uint8_t)vn;
	e->state = KIMP_ORD_NEW;
	e->side = m->side;
	e->tif = m->tif;
	e->type = type;
	e->leg = m->leg;
	e->kind = m->kind;
	e->inst = m->h.inst;
	e->ingress_tsc = m->h.ingress_tsc;
	e->ring_seq = ring_seq;
	e->strategy = m->strategy;
	if (v && v->paper)
		e->flags |= KIMP_ORDF_PAPER;
	if (v)
		v->sv->open_orders++;
	int ch = -1;
	if (!rej && v->live) {
		ch = vo_fast_chan(v->vo, VO_OP_PLACE);
		if (ch == VO_CH_WSAPI && !v->ws[VO_CH_WSAPI].up &&
		    (v->vo->chans[VO_OP_PLACE] & VO_CHBIT(VO_CH_REST)))
			ch = VO_CH_REST;
		if (ch < 0)
			rej = KIMP_OREJ_BAD_ORDER;
		else if (od_rate_take(v, VO_OP_PLACE, (enum vo_chan)ch, now_ms))
			rej = KIMP_OREJ_RATE;
	}
	journal_order(d, m, ring_seq, type);
	if (rej) {
		e->reject_code = rej;
		if (v)
			v->sv->local_rejects++;
		shm_counter_add(d->c_local_rej, 1);
		set_state(d, e, KIMP_ORD_REJECTED, FE_SEND_FAILED, NULL);
		return;
	}
	if (d->j.sync == JR_SYNC_ALWAYS)
		journal_commit(&d->j);
	od_vo_order(v, e, &o);
	uint8_t chan = 0;
	uint64_t req_id = 0;
	int err = od_send(v, VO_OP_PLACE, &o, e->client_oid, &chan, &req_id);
	uint64_t t1 = kimp_rdtsc();
	if (err) {
		e->reject_code = err == -EINVAL ? KIMP_OREJ_BAD_ORDER : KIMP_OREJ_SEND_FAILED;
		v->sv->local_rejects++;
		shm_counter_add(d->c_local_rej, 1);
		set_state(d, e, KIMP_ORD_REJECTED, FE_SEND_FAILED, NULL);
		return;
	}
	if (v->h_send)
		shm_hist_record_ticks(v->h_send, d->cal, t1 - t0);
	/*
	 * Tick to order: from the market-data bytes' arrival in feedd (the
	 * stamp every message on the path carries) to the order handed to
	 * the kernel here. TSC is one clock across the engine's processes.
	 */
	if (e->ingress_tsc && t1 > e->ingress_tsc) {
		shm_hist_record_ticks(v->h_t2o, d->cal, t1 - e->ingress_tsc);
		shm_hist_record_ticks(d->h_t2o, d->cal, t1 - e->ingress_tsc);
	}
	stage_record(d, m, t0, t1);
	struct jr_rec r;
	memset(&r, 0, sizeof(r));
	r.type = JR_SENT;
	r.client_oid = e->client_oid;
	r.u.s.req_id = req_id;
	r.u.s.sent_real_ns = od_real_ns();
	r.u.s.chan = chan;
	r.u.s.venue = (uint8_t)vn;
	jappend(d, &r);
	e->sent_real_ns = r.u.s.sent_real_ns;
	e->chan = chan;
	d->sent_mono[slot_of(d, e)] = kimp_mono_ns();
	v->sv->sent++;
	/* paper venues answer from inside od_send: the order may be past SENT */
	if (e->state == KIMP_ORD_NEW)
		set_state(d, e, fsm_next(KIMP_ORD_NEW, FE_SEND), FE_SEND, NULL);
}

/* ---- cancels and queries: they wait for budget and a channel, never dropped ---------- */

void od_work_push(struct od_venue *v, uint64_t coid, enum vo_op op)
{
	if (v->work_count == OD_WORK) {
		/* full: the oldest queries can be asked again by the scan; cancels not */
		kimp_log(KIMP_LOG_WARN, "%s: work queue full", v->vo->name);
		return;
	}
	v->work[(v->work_head + v->work_count) & (OD_WORK - 1)] =
		(struct od_work){ .coid = coid, .op = (uint8_t)op };
	v->work_count++;
	od_work_run(v);
}

void od_work_run(struct od_venue *v)
{
	struct orderd *d = v->d;

	while (v->work_count) {
		struct od_work *w = &v->work[v->work_head];
		struct kimp_ord_entry *e = otable_find(&d->ot, w->coid);
		struct vo_order o;
		int64_t now_ms = vo_server_ms(&v->ctx);
		if (!e || fsm_final(e->state) || od_vo_order(v, e, &o))
			goto done;
		if (v->live) {
			int ch = vo_fast_chan(v->vo, (enum vo_op)w->op);
			if (v->sticky || ch < 0)
				return;
			if (ch == VO_CH_WSAPI && !v->ws[VO_CH_WSAPI].up)
				ch = VO_CH_REST;
			if (v->rate.banned_until_ms > now_ms ||
			    od_rate_take(v, (enum vo_op)w->op, (enum vo_chan)ch, now_ms))
				return; /* wait for budget */
		}
		uint8_t chan = 0;
		uint64_t req_id = 0;
		if (od_send(v, (enum vo_op)w->op, &o, w->coid, &chan, &req_id))
			return; /* no channel now: later */
		if (w->op == VO_OP_CANCEL) {
			struct jr_rec r;
			memset(&r, 0, sizeof(r));
			r.type = JR_CANCEL;
			r.client_oid = w->coid;
			r.u.s.req_id = req_id;
			r.u.s.sent_real_ns = od_real_ns();
			r.u.s.chan = chan;
			r.u.s.venue = (uint8_t)v->v;
			jappend(d, &r);
			e = otable_find(&d->ot, w->coid);
			if (e && !fsm_final(e->state)) {
				uint8_t nx = fsm_next(e->state, FE_CANCEL_SENT);
				if (nx != FSM_INVALID && nx != e->state)
					set_state(d, e, nx, FE_CANCEL_SENT, NULL);
			}
		}
done:
		v->work_head = (v->work_head + 1) & (OD_WORK - 1);
		v->work_count--;
	}
}

/* ---- paper venues ---------------------------------------------------------------------- */

/*
 * A paper venue's state is one struct paper (paper.h) made once feedd's
 * book table is attached (at start, or later from the idle path): until
 * then the venue is not ready. Its events come back synchronously, inside
 * paper_place/cancel/query (as a reply to that request) or paper_poll (as
 * stream events), and go through od_on_event like a live venue's.
 */
struct od_paper_emit {
	struct od_venue *v;
	const struct od_req *rq;    /* NULL: a stream event (paper_poll) */
};

static void paper_emit(void *arg, const struct vo_event *ev)
{
	struct od_paper_emit *pe = arg;

	od_on_event(pe->v, pe->rq, ev);
}

static int paper_setup(struct od_venue *v)
{
	struct orderd *d = v->d;
	struct paper_cfg pc;
	struct paper *p;
	int e;

	if (v->paper_state)
		return 0;
	if (!d->feed_att && orderd_attach_feedd(d))
		return -EAGAIN;
	memset(&pc, 0, sizeof(pc));
	pc.books = d->books;
	pc.venue[v->v] = (struct paper_venue_cfg){
		.enabled = true,
		.fee_rule = (uint8_t)paper_fee_rule_of(v->v),
		.px_dec = v->tv->px_dec,
		.qty_dec = v->tv->qty_dec,
		.taker_fee_e8 = v->tv->taker_fee_e8,
		.maker_fee_e8 = v->tv->maker_fee_e8,
	};
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if ((e = paper_init(p, &pc))) {
		paper_free(p);
		free(p);
		/* the book table is not what paper needs: stop until kimpctl resets it */
		v->sticky = true;
		v->sv->sticky = 1;
		kimp_log(KIMP_LOG_ERR, "ALERT %s: paper venue on the books of %s: %s: stopped until "
			 "kimpctl resets it", v->vo->name, d->conf->feedd, strerror(-e));
		return e;
	}
	v->paper_state = p;
	kimp_log(KIMP_LOG_INFO, "%s: paper venue on the books of %s", v->vo->name,
		 d->conf->feedd);
	return 0;
}

int od_paper_start(struct od_venue *v, char *err, size_t errlen)
{
	int e = paper_setup(v);

	if (e && e != -EAGAIN) {
		ERR("%s: paper venue: %s", v->vo->name, strerror(-e));
		return e;
	}
	if (e)
		kimp_log(KIMP_LOG_INFO, "%s: paper venue: waiting for the book table of %s",
			 v->vo->name, v->d->conf->feedd);
	return 0;
}

int od_paper_send(struct od_venue *v, enum vo_op op, const struct vo_order *o, uint64_t coid)
{
	struct paper *p = v->paper_state;
	struct paper_now now = { kimp_mono_ns(), od_real_ns() };
	struct od_req rq = { .coid = coid, .op = (uint8_t)op, .chan = VO_CH_REST };
	struct od_paper_emit pe = { v, &rq };
	struct kimp_ord_entry *e;

	if (!p)
		return -ENOTCONN;
	rq.sent_mono_ns = now.mono_ns;
	rq.sent_real_ns = now.real_ns;
	switch (op) {
	case VO_OP_PLACE:
		e = otable_find(&v->d->ot, coid);
		if (!e || !o)
			return -EINVAL;
		return paper_place(p, (uint8_t)v->v, e->inst, o, &now, paper_emit, &pe);
	case VO_OP_CANCEL:
		return paper_cancel(p, (uint8_t)v->v, coid, &now, paper_emit, &pe);
	case VO_OP_QUERY:
		return paper_query(p, (uint8_t)v->v, coid, &now, paper_emit, &pe);
	default:
		return -EINVAL;
	}
}

void od_paper_idle(struct od_venue *v)
{
	struct paper_now now;
	struct od_paper_emit pe = { v, NULL };

	if (!v->paper_state) {
		/* feedd's table is looked for on the slow idle path */
		if (v->d->feed_att && !v->sticky)
			paper_setup(v);
		return;
	}
	if (!paper_resting(v->paper_state))
		return;
	now.mono_ns = kimp_mono_ns();
	now.real_ns = od_real_ns();
	paper_poll(v->paper_state, &now, paper_emit, &pe);
}

static void cancel_one(struct orderd *d, struct kimp_ord_entry *e)
{
	struct od_venue *v = e->venue < KIMP_VENUE_MAX ? d->ven[e->venue] : NULL;

	if (!v || fsm_final(e->state))
		return;
	if (!(e->flags & KIMP_ORDF_CANCEL_ASK)) {
		e->flags |= KIMP_ORDF_CANCEL_ASK;
		otable_commit(&d->ot, e);
	}
	od_work_push(v, e->client_oid, VO_OP_CANCEL);
}

struct cxl_all {
	struct orderd *d;
	unsigned venue;
};

static void cancel_each(void *arg, struct kimp_ord_entry *e)
{
	struct cxl_all *c = arg;

	if (!c->venue || e->venue == c->venue)
		cancel_one(c->d, e);
}

static void on_order(struct orderd *d, const struct kimp_order *m, uint64_t ring_seq,
		     uint64_t t0)
{
	switch (m->h.type) {
	case KIMP_MSG_ORDER_NEW:
		order_new(d, m, ring_seq, t0);
		break;
	case KIMP_MSG_ORDER_CANCEL: {
		d->st->cancels_in++;
		shm_counter_add(d->c_cancels, 1);
		struct kimp_ord_entry *e = otable_find(&d->ot, m->client_oid);
		if (e)
			cancel_one(d, e);
		break;
	}
	case KIMP_MSG_ORDER_CANCEL_ALL: {
		struct cxl_all c = { d, m->h.venue };
		d->st->cancels_in++;
		otable_each_live(&d->ot, cancel_each, &c);
		break;
	}
	default:
		d->st->parse_errors++;
		break;
	}
}

/* Take what waits on riskd's ring; the count. */
static uint32_t drain_orders(struct orderd *d, uint32_t max)
{
	uint32_t n = 0;

	if (!d->have_orders)
		return 0;
	while (n < max) {
		const struct kimp_order *m = shm_ring_peek(&d->orders);
		if (!m)
			break;
		uint64_t t0 = kimp_rdtsc();
		on_order(d, m, shm_ring_seq(&d->orders), t0);
		shm_ring_commit(&d->orders);
		n++;
	}
	return n;
}

/* ---- venue events ------------------------------------------------------------------- */

static int64_t pow10i(unsigned n)
{
	int64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

/* The fee estimated from the configured rate, rounded up, at quote scale. */
static int64_t fee_est(const struct od_venue *v, const struct kimp_ord_entry *e, int64_t quote)
{
	int64_t rate = e->tif == KIMP_TIF_POST_ONLY ? v->tv->maker_fee_e8 : v->tv->taker_fee_e8;
	__int128 f = (__int128)quote * rate;

	return (int64_t)((f + 99999999) / 100000000);
}

static void query_later(struct orderd *d, struct kimp_ord_entry *e, uint64_t delay_ns)
{
	d->next_q[slot_of(d, e)] = kimp_mono_ns() + delay_ns;
}

/* The venue's word about e (a report, a reply, a query's answer). */
static void venue_state(struct od_venue *v, struct kimp_ord_entry *e, const struct od_req *rq,
			const struct vo_event *ev)
{
	struct orderd *d = v->d;
	struct kimp_ord_state *st = d->st;
	int64_t known = e->cum_qty;
	bool from_query = rq && rq->op == VO_OP_QUERY;
	uint16_t flags0 = e->flags;

	if (ev->oid[0] && strncmp(e->oid, ev->oid, KIMP_ORD_OID_MAX)) {
		struct jr_rec r;
		memset(&r, 0, sizeof(r));
		snprintf(e->oid, sizeof(e->oid), "%s", ev->oid);
		r.type = JR_OID;
		r.client_oid = e->client_oid;
		r.u.id.venue = e->venue;
		r.u.id.len = (uint8_t)strnlen(e->oid, KIMP_ORD_OID_MAX - 1);
		memcpy(r.u.id.oid, e->oid, r.u.id.len);
		jappend(d, &r);
	}
	if (from_query)
		e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
	if (ev->cum_qty < known) {
		st->stale_reports++;
		shm_counter_add(d->c_stale, 1);
		goto settle;
	}
	enum fsm_event fe = fsm_event_of(ev->state, ev->cum_qty, e->qty);
	uint8_t nx = fsm_next(e->state, fe);
	bool fill = ev->cum_qty > known;
	if (!fill) {
		if (nx == e->state || ev->state == e->state)
			goto settle; /* a repeat, or superseded */
		if (nx == FSM_INVALID) {
			if (fsm_final(e->state)) {
				st->stale_reports++;
				shm_counter_add(d->c_stale, 1);
			} else {
				st->invalid_transitions++;
				shm_counter_add(d->c_invalid, 1);
				kimp_log(KIMP_LOG_WARN, "%s %" PRIu64 ": %s on %s: invalid, not applied",
					 v->vo->name, e->client_oid, fsm_event_name(fe),
					 kimp_ord_state_name(e->state));
			}
			goto settle;
		}
		if (nx == KIMP_ORD_REJECTED)
			e->reject_code = ev->code;
		e->flags &= (uint16_t)~(KIMP_ORDF_RECONCILE | KIMP_ORDF_QUERYING);
		if (e->state == KIMP_ORD_SENT && v->h_ack && rq)
			shm_hist_record(v->h_ack, kimp_mono_ns() - d->sent_mono[slot_of(d, e)]);
		set_state(d, e, nx, fe, NULL);
		return;
	}
	/* a fill: always applied */
	struct od_fill f = { 0 };
	int64_t dq = ev->cum_qty - known;
	int64_t dquote = ev->cum_quote > e->cum_quote ? ev->cum_quote - e->cum_quote : 0;
	unsigned qd = v->tv->qty_dec;
	f.last_qty = dq;
	if (dquote) {
		__int128 p = (__int128)dquote * pow10i(qd);
		f.last_px = (int64_t)((p + dq / 2) / dq);
	} else if ((ev->flags & VO_F_LAST) && ev->last_px) {
		f.last_px = ev->last_px;
		dquote = (int64_t)((__int128)ev->last_px * dq / pow10i(qd));
	} else {
		f.last_px = ev->px ? ev->px : e->px;
		dquote = (int64_t)((__int128)f.last_px * dq / pow10i(qd));
	}
	if (ev->flags & VO_F_FEE_OTHER) {
		f.last_fee = 0;
	} else if (ev->flags & VO_F_CUM_FEE) {
		f.last_fee = ev->cum_fee - e->cum_fee;
		e->fee_asset = ev->fee_asset;
	} else if ((ev->flags & VO_F_LAST) && ev->cum_qty == known + ev->last_qty) {
		f.last_fee = ev->last_fee;
		e->fee_asset = ev->fee_asset;
	} else {
		f.last_fee = fee_est(v, e, dquote);
		e->fee_asset = 0;
		e->flags |= KIMP_ORDF_FEE_EST;
		shm_counter_add(d->c_fee_est, 1);
	}
	f.exec_id = ev->trade_id ? ev->trade_id
				 : (e->client_oid * 0x9e3779b97f4a7c15ull) ^ (uint64_t)ev->cum_qty;
	e->cum_qty = ev->cum_qty;
	e->cum_quote += dquote;
	if (ev->cum_quote)
		e->cum_quote = ev->cum_quote;
	e->cum_fee += f.last_fee;
	if (nx == FSM_INVALID) {
		st->invalid_transitions++;
		shm_counter_add(d->c_invalid, 1);
		kimp_log(KIMP_LOG_WARN, "%s %" PRIu64 ": %s on %s: invalid; the fill is applied",
			 v->vo->name, e->client_oid, fsm_event_name(fe), kimp_ord_state_name(e->state));
		nx = e->state;
	}
	e->flags &= (uint16_t)~(KIMP_ORDF_RECONCILE | KIMP_ORDF_QUERYING);
	if (v->h_report && ev->venue_ts_ns) {
		int64_t lag = od_real_ns() - ev->venue_ts_ns;
		if (lag > 0)
			shm_hist_record(v->h_report, (uint64_t)lag);
	}
	set_state(d, e, nx, fe, &f);
	return;
settle:
	/* the venue confirmed what we know: a reconciling order is settled */
	if (from_query || (e->flags & KIMP_ORDF_RECONCILE))
		e->flags &= (uint16_t)~(KIMP_ORDF_RECONCILE | KIMP_ORDF_QUERYING);
	if (e->flags != flags0)
		otable_commit(&d->ot, e);
}

/* A request's outcome is not known: the order is UNKNOWN until a report or a query. */
static void make_unknown(struct orderd *d, struct od_venue *v, struct kimp_ord_entry *e)
{
	uint8_t nx = fsm_next(e->state, FE_AMBIGUOUS);

	e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
	query_later(d, e, v->vc->query_delay_ns);
	if (nx != FSM_INVALID && nx != e->state)
		set_state(d, e, nx, FE_AMBIGUOUS, NULL);
	else
		otable_commit(&d->ot, e);
}

void od_on_ambiguous(struct od_venue *v, const struct od_req *rq, bool parse_error)
{
	struct orderd *d = v->d;
	struct kimp_ord_entry *e;

	if (parse_error) {
		d->st->parse_errors++;
		shm_counter_add(d->c_parse, 1);
		if (++v->parse_err_run >= 8 && !v->sticky) {
			v->sticky = true;
			v->sv->sticky = 1;
			v->sv->ready = 0;
			kimp_log(KIMP_LOG_ERR, "ALERT %s: %u replies in a row not understood: the venue "
				 "is stopped until kimpctl resets it", v->vo->name, v->parse_err_run);
		}
	}
	if (!rq)
		return;
	od_rate_done(v, rq, NULL); /* no usable reply: its units are released all the same */
	if (rq->op == VO_OP_TIME) {
		v->time_inflight = false;
		v->next_time_sync_ns = kimp_mono_ns() + v->vc->backoff_min_ns;
		return;
	}
	if (!rq->coid || !(e = otable_find(&d->ot, rq->coid)) || fsm_final(e->state))
		return;
	switch (rq->op) {
	case VO_OP_PLACE:
		kimp_log(KIMP_LOG_WARN, "%s %" PRIu64 ": no usable reply to the order (%s): known only "
			 "from a report or a query now", v->vo->name, e->client_oid,
			 kimp_ord_state_name(e->state));
		make_unknown(d, v, e);
		break;
	case VO_OP_CANCEL:
		/* did the cancel happen? the venue's word decides: ask */
		query_later(d, e, v->vc->query_delay_ns);
		e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
		otable_commit(&d->ot, e);
		break;
	case VO_OP_QUERY:
		e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
		query_later(d, e, v->vc->query_every_ns);
		otable_commit(&d->ot, e);
		break;
	default:
		break;
	}
}

static void on_error(struct od_venue *v, const struct od_req *rq, const struct vo_event *ev)
{
	struct orderd *d = v->d;
	int64_t now_ms = vo_server_ms(&v->ctx);
	struct kimp_ord_entry *e = NULL;

	/*
	 * A retry time is on the venue's clock; ours is an estimate of it, off
	 * by up to half the round trip of the sync that set it. Sending before
	 * the venue's time is up draws another 429 (and Binance bans an IP
	 * that keeps doing it), so wait that much longer, plus the ms the
	 * venue's clock rounds to.
	 */
	uint64_t retry_at = ev->retry_at_ms;
	if (retry_at)
		retry_at += v->sv->rtt_ns / 2000000 + 1;
	if (ev->flags & VO_F_RATE) {
		orate_limited(&v->rate, retry_at, now_ms);
		v->sv->r429++;
		v->sv->backoff_until_ms = v->rate.backoff_until_ms;
		kimp_log(KIMP_LOG_WARN, "%s: 429 (rate limit): nothing goes until %+" PRId64 " ms",
			 v->vo->name, v->rate.backoff_until_ms - now_ms);
	}
	if (ev->flags & VO_F_BAN) {
		orate_banned(&v->rate, retry_at, now_ms);
		v->sv->r418++;
		v->sv->banned_until_ms = v->rate.banned_until_ms;
		v->sv->ready = 0;
		if (v->c_alerts)
			shm_counter_add(v->c_alerts, 1);
		kimp_log(KIMP_LOG_ERR, "ALERT %s: 418 (banned): the venue is stopped for %" PRId64
			 " ms", v->vo->name, v->rate.banned_until_ms - now_ms);
	}
	if (ev->flags & VO_F_CLOCK) {
		v->sv->clock_rejects++;
		v->clock_wait = true;
		v->next_time_sync_ns = 0;
		kimp_log(KIMP_LOG_WARN, "%s: timestamp outside the venue's window: resync the clock; "
			 "new orders refused until then", v->vo->name);
	}
	if (ev->flags & VO_F_AUTH) {
		if (!v->sticky)
			kimp_log(KIMP_LOG_ERR, "ALERT %s: key, signature or permission refused (%d %.*s): "
				 "the venue is stopped until kimpctl resets it", v->vo->name, ev->code,
				 (int)ev->msg_len, ev->msg ? ev->msg : "");
		v->sticky = true;
		v->sv->sticky = 1;
		v->sv->ready = 0;
	}
	if (!rq)
		return;
	if (rq->op == VO_OP_TIME) {
		v->time_inflight = false;
		v->next_time_sync_ns = kimp_mono_ns() + v->vc->backoff_min_ns;
		return;
	}
	if (rq->op == VO_OP_SUBSCRIBE) {
		kimp_log(KIMP_LOG_WARN, "%s: the subscription was refused (%d): reconnecting",
			 v->vo->name, ev->code);
		if (v->ws[rq->chan].up)
			ws_conn_close(&v->ws[rq->chan].w, 1000);
		return;
	}
	uint64_t coid = ev->coid ? ev->coid : rq->coid;
	if (!coid || !(e = otable_find(&d->ot, coid)))
		return;
	switch (rq->op) {
	case VO_OP_PLACE:
		if (ev->outcome == VO_OUT_REJECTED) {
			uint8_t nx = fsm_next(e->state, FE_REJECTED);
			if (nx != FSM_INVALID && nx != e->state) {
				e->reject_code = ev->code;
				e->flags &= (uint16_t)~(KIMP_ORDF_RECONCILE | KIMP_ORDF_QUERYING);
				set_state(d, e, nx, FE_REJECTED, NULL);
			}
		} else if (!fsm_final(e->state)) {
			make_unknown(d, v, e);
		}
		break;
	case VO_OP_CANCEL:
		if (ev->flags & VO_F_RATE) {
			od_work_push(v, coid, VO_OP_CANCEL); /* never dropped */
			break;
		}
		if (ev->outcome == VO_OUT_CANCEL_REJECTED && !fsm_final(e->state)) {
			uint8_t nx = fsm_next(e->state, FE_CANCEL_REJECTED);
			if (nx != FSM_INVALID && nx != e->state)
				set_state(d, e, nx, FE_CANCEL_REJECTED, NULL);
		}
		/* refused, not found or unknown: learn the truth */
		if (!fsm_final(e->state)) {
			query_later(d, e, 0);
			e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
			otable_commit(&d->ot, e);
		}
		break;
	case VO_OP_QUERY:
		e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
		if (ev->outcome == VO_OUT_NOT_FOUND && !fsm_final(e->state)) {
			int64_t sent = e->sent_real_ns ? e->sent_real_ns : e->created_real_ns;
			if (od_real_ns() - sent > (int64_t)v->vc->unknown_grace_ns) {
				uint8_t nx = fsm_next(e->state, FE_NOT_FOUND);
				e->flags &= (uint16_t)~KIMP_ORDF_RECONCILE;
				if (nx != FSM_INVALID) {
					e->reject_code = KIMP_OREJ_NOT_FOUND;
					v->sv->settled_by_query++;
					set_state(d, e, nx, FE_NOT_FOUND, NULL);
					break;
				}
			}
		}
		query_later(d, e, v->vc->query_every_ns);
		otable_commit(&d->ot, e);
		break;
	default:
		break;
	}
}

void od_on_event(struct od_venue *v, const struct od_req *rq, const struct vo_event *ev)
{
	struct orderd *d = v->d;
	struct kimp_ord_entry *e;
	uint64_t coid;

	/*
	 * The reply ends its request: release what it took, with the venue's
	 * figures if it gave any. Events of no request of ours (the stream,
	 * an open-orders list's entries) release nothing: their request, if
	 * any, is released where it ends.
	 */
	if (rq)
		od_rate_done(v, rq, ev->rate.n ? &ev->rate : NULL);
	switch (ev->kind) {
	case VO_EV_ORDER:
		v->parse_err_run = 0;
		coid = ev->coid ? ev->coid : rq ? rq->coid : 0;
		if (!coid || !(e = otable_find(&d->ot, coid))) {
			d->st->foreign_reports++;
			return;
		}
		if (rq && rq->op == VO_OP_QUERY && (e->state == KIMP_ORD_UNKNOWN ||
						    (e->flags & KIMP_ORDF_RECONCILE)))
			v->sv->settled_by_query++;
		venue_state(v, e, rq, ev);
		/* a cancel asked for before the venue had the order: send it now */
		if ((e->flags & KIMP_ORDF_CANCEL_ASK) && e->state == KIMP_ORD_ACKED && rq &&
		    rq->op == VO_OP_PLACE)
			od_work_push(v, coid, VO_OP_CANCEL);
		break;
	case VO_EV_ERROR:
		on_error(v, rq, ev);
		break;
	case VO_EV_TIME: {
		int64_t now = od_real_ns();
		int64_t sent = rq ? rq->sent_real_ns : now;
		int64_t mid = sent + (now - sent) / 2;
		v->ctx.offset_ns = ev->server_ms * 1000000 - mid;
		v->sv->offset_ns = v->ctx.offset_ns;
		v->sv->rtt_ns = (uint64_t)(now - sent);
		v->sv->time_syncs++;
		v->time_inflight = false;
		v->time_ok = true;
		if (v->clock_wait)
			kimp_log(KIMP_LOG_INFO, "%s: clock resynced (offset %" PRId64 " ms)",
				 v->vo->name, v->ctx.offset_ns / 1000000);
		v->clock_wait = false;
		v->next_time_sync_ns = kimp_mono_ns() + v->vc->time_sync_ns;
		struct jr_rec r;
		memset(&r, 0, sizeof(r));
		r.type = JR_CLOCK;
		r.u.run.offset_ns = v->ctx.offset_ns;
		r.u.run.venue = (uint8_t)v->v;
		jappend(d, &r);
		break;
	}
	case VO_EV_SUBSCRIBED:
		if (rq && rq->chan < VO_CH_N) {
			v->ws[rq->chan].subscribed = true;
			v->need_reconcile = true;
		}
		break;
	case VO_EV_STREAM_END:
		if (rq && rq->chan < VO_CH_N && v->ws[rq->chan].up)
			ws_conn_close(&v->ws[rq->chan].w, 1000);
		break;
	default:
		break;
	}
}

/* ---- reconciliation, queries (idle) ------------------------------------------------- */

struct scan_ctx {
	struct orderd *d;
	uint64_t now;
	uint32_t reconcile[KIMP_VENUE_MAX];
	uint64_t open[KIMP_VENUE_MAX];
};

static void scan_each(void *arg, struct kimp_ord_entry *e)
{
	struct scan_ctx *c = arg;
	struct orderd *d = c->d;
	struct od_venue *v = e->venue < KIMP_VENUE_MAX ? d->ven[e->venue] : NULL;
	uint32_t s = slot_of(d, e);

	if (!v)
		return;
	c->open[e->venue]++;
	if (v->need_reconcile && !(e->flags & KIMP_ORDF_RECONCILE)) {
		e->flags |= KIMP_ORDF_RECONCILE;
		d->next_q[s] = 0;
		otable_commit(&d->ot, e);
	}
	if (e->flags & KIMP_ORDF_RECONCILE)
		c->reconcile[e->venue]++;
	/* an IOC/FOK or market order ends at once at the venue: one still open
	 * after query_every means a stream event was missed, or the venue's
	 * stream cannot say its fills (Coinone's MYORDER for a market buy: no
	 * cumulative quantity, reported ACKED): ask */
	bool ioc_late = (e->tif == KIMP_TIF_IOC || e->tif == KIMP_TIF_FOK ||
			 e->type == VO_MARKET) && d->sent_mono[s] &&
			c->now - d->sent_mono[s] >= v->vc->query_every_ns;
	if (!(e->flags & KIMP_ORDF_RECONCILE) && e->state != KIMP_ORD_UNKNOWN && !ioc_late)
		return;
	if ((e->flags & KIMP_ORDF_QUERYING) || c->now < d->next_q[s])
		return;
	if (v->sticky || !od_sessions_up(v) || v->rate.banned_until_ms > vo_server_ms(&v->ctx))
		return;
	e->flags |= KIMP_ORDF_QUERYING;
	if (e->queries < 255)
		e->queries++;
	d->next_q[s] = c->now + v->vc->query_every_ns;
	otable_commit(&d->ot, e);
	v->sv->queries++;
	od_work_push(v, e->client_oid, VO_OP_QUERY);
}

static void control(struct orderd *d)
{
	struct kimp_ord_control *ctl = d->ctl;

	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		uint64_t rq = atomic_load_explicit((_Atomic uint64_t *)&ctl->reset_req[vn],
						   memory_order_acquire);
		if (rq == ctl->reset_done[vn])
			continue;
		struct od_venue *v = d->ven[vn];
		if (v && v->sticky) {
			kimp_log(KIMP_LOG_INFO, "%s: sticky failure reset (kimpctl): starting again",
				 v->vo->name);
			v->sticky = false;
			v->sv->sticky = 0;
			v->parse_err_run = 0;
			v->need_reconcile = true;
			v->next_time_sync_ns = 0;
		}
		atomic_store_explicit((_Atomic uint64_t *)&ctl->reset_done[vn], rq,
				      memory_order_release);
	}
}

/* Duplicate client_oids dropped since the last line: one line, at most
 * once per OD_DUP_LOG_NS (idle path). */
static void dup_log(struct orderd *d, uint64_t now)
{
	uint64_t n = atomic_load_explicit(d->c_dup_oid, memory_order_relaxed);

	if (n == d->dup_said || now < d->next_dup_log_ns)
		return;
	kimp_log(KIMP_LOG_ERR, "ALERT riskd sent client_oid %" PRIu64 " again (not a restart "
		 "replay): dropped, nothing sent or reported; %" PRIu64 " such orders since the last "
		 "line, %" PRIu64 " in all", d->dup_last_coid, n - d->dup_said, n);
	d->dup_said = n;
	d->next_dup_log_ns = now + OD_DUP_LOG_NS;
}

static void idle(struct orderd *d)
{
	uint64_t now = kimp_mono_ns();
	struct scan_ctx sc = { .d = d, .now = now };

	if (d->backlog[0].count || d->backlog[1].count) {
		if (backlog_flush(d))
			d->st->rep_pub_jseq = d->st->jseq;
	}
	od_sessions_idle(d, now);
	if (now < d->next_scan_ns)
		return;
	d->next_scan_ns = now + 1000000;
	otable_each_live(&d->ot, scan_each, &sc);
	int64_t ready = 0;
	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		if (!v)
			continue;
		v->need_reconcile = false;
		v->sv->open_orders = sc.open[vn];
		if (v->paper) {
			v->sv->ready = v->paper_state != NULL;
		} else {
			int64_t now_ms = vo_server_ms(&v->ctx);
			bool ok = !v->sticky && od_sessions_up(v) && !sc.reconcile[vn] &&
				  (v->time_ok || !v->vo->chans[VO_OP_TIME]) && !v->clock_wait &&
				  v->rate.banned_until_ms <= now_ms;
			if (ok && !v->sv->ready)
				kimp_log(KIMP_LOG_INFO, "%s: ready", v->vo->name);
			else if (!ok && v->sv->ready)
				kimp_log(KIMP_LOG_INFO, "%s: not ready", v->vo->name);
			v->sv->ready = ok;
			if (v->banned_said && v->rate.banned_until_ms <= now_ms) {
				kimp_log(KIMP_LOG_INFO, "%s: the ban is over", v->vo->name);
				v->banned_said = false;
			} else if (v->rate.banned_until_ms > now_ms) {
				v->banned_said = true;
			}
			v->sv->banned_until_ms = v->rate.banned_until_ms;
			v->sv->backoff_until_ms = v->rate.backoff_until_ms;
		}
		ready |= (int64_t)v->sv->ready << vn;
	}
	if (d->g_ready)
		shm_gauge_set(d->g_ready, ready);
	if (d->g_open)
		shm_gauge_set(d->g_open, (int64_t)d->ot.live);
	if (now >= d->next_slow_ns) {
		d->next_slow_ns = now + 100000000;
		shm_metrics_heartbeat(d->m, now);
		dup_log(d, now);
		control(d);
		if (!d->have_orders)
			orderd_attach_riskd(d);
		else
			check_riskd_replaced(d);
		if (!d->feed_att)
			orderd_attach_feedd(d);
	}
}

/* ---- inputs --------------------------------------------------------------------------- */

static uint64_t seg_ino(const struct shm_seg *s)
{
	struct stat sb;

	return stat(s->path, &sb) ? 0 : (uint64_t)sb.st_ino;
}

int orderd_attach_riskd(struct orderd *d)
{
	const struct orderd_conf *c = d->conf;
	int e;

	if (d->have_orders)
		return 0;
	if (!d->risk_att) {
		if ((e = shm_seg_attach(&d->risk_seg, c->riskd, &d->so))) {
			if (!d->said_risk)
				kimp_log(KIMP_LOG_INFO, "waiting for segment %s (ring orders)", c->riskd);
			d->said_risk = true;
			return e;
		}
		d->risk_att = true;
	}
	if ((e = shm_ring_lookup(&d->risk_seg, "orders", &d->orders_r)))
		return e;
	if (d->orders_r->slot_size != sizeof(struct kimp_order)) {
		kimp_log(KIMP_LOG_WARN, "segment %s: ring orders has %u-byte slots, not %zu", c->riskd,
			 d->orders_r->slot_size, sizeof(struct kimp_order));
		return -EPROTO;
	}
	if ((e = shm_ring_consumer(d->orders_r, &d->orders)))
		return e;
	d->risk_ino = seg_ino(&d->risk_seg);
	d->have_orders = true;
	kimp_log(KIMP_LOG_INFO, "orders: attached to %s (position %" PRIu64 ")", c->riskd,
		 d->orders.tail);
	return 0;
}

void check_riskd_replaced(struct orderd *d)
{
	if (!d->risk_att || seg_ino(&d->risk_seg) == d->risk_ino)
		return;
	kimp_log(KIMP_LOG_INFO, "segment %s was made again: attaching anew", d->conf->riskd);
	shm_seg_detach(&d->risk_seg);
	d->risk_att = d->have_orders = false;
	d->said_risk = false;
}

int orderd_attach_feedd(struct orderd *d)
{
	struct shm_opts ro = d->so;
	bool paper = false;

	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++)
		paper |= d->ven[vn] && d->ven[vn]->paper;
	if (!paper || d->feed_att)
		return 0;
	ro.readonly = true;
	if (!d->feed_seg.base && shm_seg_attach(&d->feed_seg, d->conf->feedd, &ro))
		return -ENOENT;
	if (shm_seqtab_lookup(&d->feed_seg, KIMP_BOOK_REGION, &d->books) ||
	    d->books->rec_size != sizeof(struct kimp_book))
		return -ENOENT;
	d->feed_att = true;
	kimp_log(KIMP_LOG_INFO, "books: attached to %s (%u books)", d->conf->feedd,
		 d->books->count);
	return 0;
}

/* ---- the loop --------------------------------------------------------------------------- */

uint32_t orderd_take_orders(struct orderd *d, uint32_t max)
{
	return drain_orders(d, max);
}

uint32_t orderd_turn(struct orderd *d, uint32_t max)
{
	uint32_t n = drain_orders(d, max);

	net_loop_run(d->loop, 0);
	idle(d);
	return n;
}

static void futex_woken(struct net_futex_wait *w, int res)
{
	(void)w, (void)res;
}

bool orderd_sleep_prepare(struct orderd *d)
{
	struct shm_doorbell *b = shm_ring_doorbell(d->orders_r);
	uint32_t seq = atomic_load_explicit(&b->seq, memory_order_acquire);

	atomic_store_explicit(&b->armed, 1, memory_order_relaxed);
	/* every time: riskd rings only a consumer that says it sleeps, and the
	 * loop unsays it after each wait, however that wait ended */
	atomic_store_explicit(&b->sleeping, 1, memory_order_seq_cst);
	if (shm_ring_ready(&d->orders)) {
		atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
		return false;
	}
	/* a wait still armed from an earlier sleep (network completions ended
	 * that one) stays: a ring of the doorbell completes it */
	if (!net_futex_armed(&d->fw) &&
	    net_loop_futex_wait(d->loop, &d->fw, (const uint32_t *)&b->seq, seq, futex_woken))
		/* no wait to ring: sleep on the loop's timeout alone */
		atomic_store_explicit(&b->sleeping, 0, memory_order_relaxed);
	return true;
}

bool orderd_step(struct orderd *d)
{
	uint32_t n = drain_orders(d, 64);
	int r = net_loop_run(d->loop, 0);
	uint64_t t = kimp_rdtsc();

	if (n || r > 0) {
		/*
		 * Busy: the idle work (heartbeat, keepalives, request
		 * deadlines, queries and cancels waiting for room,
		 * reconciliation) still runs every OD_IDLE_EVERY_NS, or a
		 * sustained load would starve it and the supervisor would take
		 * a busy orderd for a hung one.
		 */
		if (t - d->last_idle_tsc >= d->idle_every_ticks) {
			d->last_idle_tsc = t;
			idle(d);
		}
		return true;
	}
	d->last_idle_tsc = t;
	idle(d);
	return false;
}

void orderd_run(struct orderd *d, const volatile sig_atomic_t *stop)
{
	const struct orderd_conf *c = d->conf;
	uint64_t idle_since = 0;

	while (!*stop) {
		if (orderd_step(d)) {
			idle_since = 0;
			continue;
		}
		if (c->wait == SHM_WAIT_SPIN)
			continue;
		uint64_t now = kimp_mono_ns();
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < c->spin_ns)
			continue;
		if (d->have_orders && net_loop_has_futex(d->loop)) {
			if (!orderd_sleep_prepare(d))
				continue;
			net_loop_run(d->loop, c->idle_wait_ns);
			atomic_store_explicit(&shm_ring_doorbell(d->orders_r)->sleeping, 0,
					      memory_order_relaxed);
			idle_since = 0;
			continue;
		}
		net_loop_run(d->loop, c->idle_wait_ns);
	}
}

/* ---- replay ------------------------------------------------------------------------------ */

struct replay_ctx {
	struct orderd *d;
	uint64_t n;
};

static struct kimp_ord_entry *replay_entry(struct orderd *d, uint64_t coid)
{
	struct kimp_ord_entry *e = otable_find(&d->ot, coid);

	if (e)
		return e;
	e = otable_insert(&d->ot, coid);
	if (e)
		memset(e, 0, sizeof(*e));
	return e;
}

static void replay_each(void *arg, const struct jr_rec *r)
{
	struct replay_ctx *c = arg;
	struct orderd *d = c->d;
	struct kimp_ord_entry *e;

	c->n++;
	switch (r->type) {
	case JR_ORDER:
	case JR_SNAP:
		jset_add(d, r->client_oid, r->u.o.ring_seq);
		if (!(e = replay_entry(d, r->client_oid)))
			return;
		e->client_oid = r->client_oid;
		e->intent_id = r->u.o.intent_id;
		e->pair_id = r->u.o.pair_id;
		e->px = r->u.o.px;
		e->qty = r->u.o.qty;
		e->inst = r->u.o.inst;
		e->venue = r->u.o.venue;
		e->side = r->u.o.side;
		e->tif = r->u.o.tif;
		e->type = r->u.o.type;
		e->leg = r->u.o.leg;
		e->kind = r->u.o.kind;
		e->ingress_tsc = r->u.o.ingress_tsc;
		e->ring_seq = r->u.o.ring_seq;
		e->strategy = r->u.o.strategy;
		e->created_real_ns = r->real_ns;
		e->updated_real_ns = r->real_ns;
		if (r->type == JR_SNAP) {
			e->state = r->u.o.state;
			e->fee_asset = r->u.o.fee_asset;
			e->cum_qty = r->u.o.cum_qty;
			e->cum_quote = r->u.o.cum_quote;
			e->cum_fee = r->u.o.cum_fee;
			e->reject_code = r->u.o.reject_code;
			e->flags = r->u.o.flags;
		} else {
			e->state = KIMP_ORD_NEW;
		}
		e->jseq = r->seq;
		otable_commit(&d->ot, e);
		break;
	case JR_SENT:
		if (!(e = otable_find(&d->ot, r->client_oid)))
			return;
		e->sent_real_ns = r->u.s.sent_real_ns;
		e->chan = r->u.s.chan;
		e->jseq = r->seq;
		otable_commit(&d->ot, e);
		break;
	case JR_OID:
		if (!(e = otable_find(&d->ot, r->client_oid)))
			return;
		memset(e->oid, 0, sizeof(e->oid));
		memcpy(e->oid, r->u.id.oid,
		       r->u.id.len < KIMP_ORD_OID_MAX ? r->u.id.len : KIMP_ORD_OID_MAX - 1);
		otable_commit(&d->ot, e);
		break;
	case JR_CANCEL:
		if (!(e = otable_find(&d->ot, r->client_oid)))
			return;
		e->flags |= KIMP_ORDF_CANCEL_ASK;
		otable_commit(&d->ot, e);
		break;
	case JR_STATE:
		if (!(e = otable_find(&d->ot, r->client_oid)))
			return;
		e->state = r->u.st.state;
		e->cum_qty = r->u.st.cum_qty;
		e->cum_quote = r->u.st.cum_quote;
		e->cum_fee = r->u.st.cum_fee;
		e->reject_code = r->u.st.reject_code;
		e->fee_asset = r->u.st.fee_asset;
		e->flags = r->u.st.flags;
		e->jseq = r->seq;
		e->updated_real_ns = r->real_ns;
		otable_commit(&d->ot, e);
		if (r->seq > d->st->rep_pub_jseq) {
			struct kimp_exec_report rep;
			report_of(e, r, &rep);
			publish(d, &rep, r->seq);
			d->republished++;
		}
		break;
	case JR_CLOCK:
		if (r->u.run.venue < KIMP_VENUE_MAX && d->ven[r->u.run.venue])
			d->ven[r->u.run.venue]->ctx.offset_ns = r->u.run.offset_ns;
		break;
	default:
		break;
	}
}

static void restart_each(void *arg, struct kimp_ord_entry *e)
{
	struct orderd *d = arg;
	struct od_venue *v = e->venue < KIMP_VENUE_MAX ? d->ven[e->venue] : NULL;

	e->flags |= KIMP_ORDF_RECONCILE;
	e->flags &= (uint16_t)~KIMP_ORDF_QUERYING;
	d->next_q[slot_of(d, e)] = 0;
	if (v && v->paper) {
		/* a paper venue's orders died with the process that held them */
		e->flags &= (uint16_t)~KIMP_ORDF_RECONCILE;
		e->reject_code = KIMP_OREJ_NOT_FOUND;
		set_state(d, e, e->state == KIMP_ORD_PARTIAL ? KIMP_ORD_CANCELLED : KIMP_ORD_REJECTED,
			  FE_NOT_FOUND, NULL);
		return;
	}
	if (e->state == KIMP_ORD_NEW || e->state == KIMP_ORD_SENT)
		set_state(d, e, KIMP_ORD_UNKNOWN, FE_AMBIGUOUS, NULL);
	else
		otable_commit(&d->ot, e);
}

static int replay(struct orderd *d, char *err, size_t errlen)
{
	struct replay_ctx c = { .d = d };
	char path[512];
	bool torn = false;
	long n;

	snprintf(path, sizeof(path), "%s/%s.journal", d->conf->journal_dir, d->conf->name);
	n = journal_replay(path, replay_each, &c, &torn);
	if (n < 0 && n != -ENOENT) {
		ERR("journal %s: replay: %s", path, strerror((int)-n));
		return (int)n;
	}
	d->replayed = (uint32_t)c.n;
	kimp_log(KIMP_LOG_INFO, "journal %s: %ld records replayed%s, %u reports published again",
		 path, n < 0 ? 0 : n, torn ? " (torn tail)" : "", d->republished);
	return 0;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int ring_setup(struct orderd *d, int k, const char *name, char *err, size_t errlen)
{
	const struct orderd_conf *c = d->conf;
	int e = shm_ring_lookup(&d->seg, name, &d->rep_r[k]);

	if (e == -ENOENT)
		e = shm_ring_create(&d->seg, name, sizeof(struct kimp_exec_report), c->ring_slots, 0,
				    NULL, &d->rep_r[k]);
	if (!e && (d->rep_r[k]->slot_count != c->ring_slots ||
		   d->rep_r[k]->slot_size != sizeof(struct kimp_exec_report)))
		e = -EPROTO;
	if (!e)
		e = shm_ring_producer(d->rep_r[k], &d->rep[k]);
	if (e)
		ERR("segment %s: ring %s: %s", c->name, name,
		    e == -EPROTO ? "it was made for another size (the configuration changed): remove "
				   "the segment (kimpctl shm rm NAME) and start again"
				 : shm_last_error());
	return e;
}

static int regions_setup(struct orderd *d, char *err, size_t errlen)
{
	const struct orderd_conf *c = d->conf;
	const struct shm_region_ent *ent;
	void *p;
	int e;

	ent = shm_region_find(&d->seg, KIMP_ORD_STATE);
	if (!ent) {
		if ((e = shm_region_add(&d->seg, KIMP_ORD_STATE, sizeof(*d->st), SHM_REGION_RAW, &p))) {
			ERR("segment %s: state region: %s", c->name, shm_last_error());
			return e;
		}
		d->st = p;
	} else {
		d->st = shm_region_ptr(&d->seg, ent);
		if (ent->size < sizeof(*d->st)) {
			ERR("segment %s: state region of another size: remove the segment and start "
			    "again", c->name);
			return -EPROTO;
		}
	}
	if (__atomic_load_n(&d->st->magic, __ATOMIC_ACQUIRE) == KIMP_ORD_MAGIC) {
		if (d->st->version != KIMP_ORD_VERSION || d->st->table_slots != c->table_slots) {
			ERR("segment %s: made for another version or table size (%" PRIu64 " slots): "
			    "remove it (kimpctl shm rm NAME) and start again", c->name,
			    d->st->table_slots);
			return -EPROTO;
		}
		d->st->restarts++;
	} else {
		memset(d->st, 0, sizeof(*d->st));
		d->st->version = KIMP_ORD_VERSION;
		d->st->size = sizeof(*d->st);
		d->st->table_slots = c->table_slots;
		d->st->created_real_ns = od_real_ns();
		__atomic_store_n(&d->st->magic, KIMP_ORD_MAGIC, __ATOMIC_RELEASE);
	}
	d->st->started_real_ns = od_real_ns();
	ent = shm_region_find(&d->seg, KIMP_ORD_CONTROL);
	if (!ent) {
		if ((e = shm_region_add(&d->seg, KIMP_ORD_CONTROL, sizeof(*d->ctl), SHM_REGION_RAW,
					&p))) {
			ERR("segment %s: control region: %s", c->name, shm_last_error());
			return e;
		}
		d->ctl = p;
		d->ctl->version = KIMP_ORD_VERSION;
		d->ctl->magic = KIMP_ORD_MAGIC;
	} else {
		d->ctl = shm_region_ptr(&d->seg, ent);
		if (ent->size < sizeof(*d->ctl) || d->ctl->magic != KIMP_ORD_MAGIC) {
			ERR("segment %s: control region of another version", c->name);
			return -EPROTO;
		}
	}
	/* what kimpctl asked while we were down is done by this start */
	for (unsigned vn = 0; vn < KIMP_VENUE_MAX; vn++)
		d->ctl->reset_done[vn] = d->ctl->reset_req[vn];
	e = shm_seqtab_lookup(&d->seg, KIMP_ORD_TABLE, &d->tab);
	if (e == -ENOENT)
		e = shm_seqtab_create(&d->seg, KIMP_ORD_TABLE, sizeof(struct kimp_ord_entry),
				      c->table_slots, &d->tab);
	if (!e && (d->tab->count != c->table_slots ||
		   d->tab->rec_size != sizeof(struct kimp_ord_entry)))
		e = -EPROTO;
	if (e) {
		ERR("segment %s: table: %s", c->name,
		    e == -EPROTO ? "made for another size: remove the segment and start again"
				 : shm_last_error());
		return e;
	}
	if ((e = ring_setup(d, 0, KIMP_ORD_REP_RISKD, err, errlen)) ||
	    (e = ring_setup(d, 1, KIMP_ORD_REP_STRATD, err, errlen)))
		return e;
	return 0;
}

static int metrics_setup(struct orderd *d, char *err, size_t errlen)
{
	static const char *const cn[] = {
		"orders", "cancels", "reports", "local_rejects", "duplicates", "invalid_transitions",
		"stale_reports", "parse_errors", "fee_estimated", "backlog_full", "dup_oid",
	};
	_Atomic uint64_t **cp[] = {
		&d->c_orders, &d->c_cancels, &d->c_reports, &d->c_local_rej, &d->c_dups,
		&d->c_invalid, &d->c_stale, &d->c_parse, &d->c_fee_est, &d->c_backlog, &d->c_dup_oid,
	};
	int e = shm_metrics_lookup(&d->seg, KIMP_ORD_METRICS, &d->m);

	if (e == -ENOENT)
		e = shm_metrics_create(&d->seg, KIMP_ORD_METRICS, "orderd", NCOUNTERS, NGAUGES, NHISTS,
				       &d->m);
	if (e) {
		ERR("segment %s: metrics: %s", d->conf->name, shm_last_error());
		return e;
	}
	shm_metrics_claim(d->m);
	if (kimp_log_open(&d->seg, "orderd", 0))
		kimp_log(KIMP_LOG_WARN, "segment %s: no log ring (%s): the log goes to stderr only",
			 d->conf->name, shm_last_error());
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(cn); k++)
		if (!(*cp[k] = shm_metrics_counter(d->m, cn[k])))
			goto full;
	if (!(d->g_open = shm_metrics_gauge(d->m, "open_orders")) ||
	    !(d->g_ready = shm_metrics_gauge(d->m, "ready_venues")) ||
	    !(d->h_t2o = shm_metrics_hist(d->m, "tick_to_order_ns")) ||
	    !(d->c_stage_unstamped = shm_metrics_counter(d->m, "stage_unstamped")))
		goto full;
	for (unsigned k = 0; k < OD_STAGES; k++) {
		static const char *const sn[OD_STAGES] = {
			"stage.md_ns", "stage.strat_ns", "stage.intent_hop_ns", "stage.risk_ns",
			"stage.order_hop_ns", "stage.encode_sign_ns",
		};
		if (!(d->h_stage[k] = shm_metrics_hist(d->m, sn[k])))
			goto full;
	}
	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		char n[SHM_METRIC_NAME];
		if (!v)
			continue;
		snprintf(n, sizeof(n), "%s.intent_to_send_ns", v->vo->name);
		v->h_send = shm_metrics_hist(d->m, n);
		snprintf(n, sizeof(n), "%s.ack_ns", v->vo->name);
		v->h_ack = shm_metrics_hist(d->m, n);
		snprintf(n, sizeof(n), "%s.report_lag_ns", v->vo->name);
		v->h_report = shm_metrics_hist(d->m, n);
		snprintf(n, sizeof(n), "%s.tick_to_order_ns", v->vo->name);
		v->h_t2o = shm_metrics_hist(d->m, n);
		snprintf(n, sizeof(n), "%s.alerts", v->vo->name);
		v->c_alerts = shm_metrics_counter(d->m, n);
		if (!v->h_send || !v->h_ack || !v->h_report || !v->h_t2o || !v->c_alerts)
			goto full;
	}
	return 0;
full:
	ERR("segment %s: metrics region full", d->conf->name);
	return -ENOSPC;
}

static int venue_setup(struct orderd *d, unsigned vn, char *err, size_t errlen)
{
	const struct orderd_conf *c = d->conf;
	const struct orderd_venue_conf *vc = &c->venue[vn];
	const struct kimp_trade_venue *tv = &c->trade.venue[vn];
	struct od_venue *v;
	int e;

	if (!vc->vo || vc->mode == KIMP_ORD_OFF)
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->ven[vn] = v;
	v->d = d;
	v->v = vn;
	v->vo = vc->vo;
	v->vc = vc;
	v->tv = tv;
	v->sv = &d->st->venue[vn];
	v->live = vc->mode == KIMP_ORD_LIVE;
	v->paper = vc->mode == KIMP_ORD_PAPER;
	v->sv->mode = vc->mode;
	v->sv->ready = 0;
	v->sv->sticky = 0;
	v->reqs = calloc(OD_REQS, sizeof(*v->reqs));
	v->work = calloc(OD_WORK, sizeof(*v->work));
	if (!v->reqs || !v->work)
		return -ENOMEM;
	venue_symtab_init(&v->syms, (enum kimp_venue)vn);
	for (uint32_t i = 0; i < KIMP_COINS_MAX; i++)
		v->sym_of[i] = VENUE_SYM_NONE;
	for (uint32_t i = 1; i <= c->trade.ncoins && i < KIMP_COINS_MAX; i++) {
		if (!tv->inst[i].listed)
			continue;
		int s = venue_symtab_add(&v->syms, c->trade.coins[i - 1], tv->quote, tv->px_dec,
					 tv->qty_dec, i);
		if (s < 0) {
			ERR("%s: symbol %s/%s: %s", vc->vo->name, c->trade.coins[i - 1], tv->quote,
			    strerror(-s));
			return s;
		}
		v->sym_of[i] = (uint32_t)s;
		v->syms.sym[s].code = tv->inst[i].code;
	}
	v->ctx.vo = vc->vo;
	v->ctx.syms = &v->syms;
	v->ctx.keys = d->keys && d->keys->k ? &d->keys->k[vn] : NULL;
	snprintf(v->ctx.prefix, sizeof(v->ctx.prefix), "%s", c->coid_prefix);
	v->ctx.prefix_len = (uint32_t)strlen(v->ctx.prefix);
	v->ctx.recv_window_ms = (uint32_t)(vc->recv_window_ns / 1000000);
	vo_ctx_seed(&v->ctx);
	if (v->live) {
		if ((e = orate_init(&v->rate, vc->vo, v->sv->rate, vc->rate_share,
				    (int64_t)(vc->rate_edge_ns / 1000000)))) {
			ERR("%s: rate rules: %s", vc->vo->name, strerror(-e));
			return e;
		}
		/* a 429 with no Retry-After: [order.NAME] backoff_min .. backoff_max */
		if ((e = orate_set_backoff(&v->rate, vc->backoff_min_ns / 1000000,
					   vc->backoff_max_ns / 1000000))) {
			ERR("%s: backoff_min..backoff_max: %s", vc->vo->name, strerror(-e));
			return e;
		}
		v->sv->nrates = (uint8_t)vc->vo->nrates;
	}
	return 0;
}

int orderd_open(struct orderd *d, const struct orderd_conf *conf, const struct orderd_keys *k,
		const struct shm_opts *so, char *err, size_t errlen)
{
	size_t size;
	int e;

	memset(d, 0, sizeof(*d));
	d->conf = conf;
	d->keys = k;
	d->so = *so;
	size = sizeof(struct kimp_ord_state) + sizeof(struct kimp_ord_control) +
	       shm_seqtab_bytes(sizeof(struct kimp_ord_entry), conf->table_slots) +
	       2 * shm_ring_bytes(sizeof(struct kimp_exec_report), conf->ring_slots) +
	       shm_metrics_bytes(NCOUNTERS, NGAUGES, NHISTS) + kimp_log_bytes(0) +
	       8 * SHM_REGION_ALIGN;
	if ((e = shm_seg_open(&d->seg, conf->name, size, so))) {
		ERR("segment %s: %s", conf->name, shm_last_error());
		return e;
	}
	d->seg_open = true;
	d->cal = shm_seg_tsc(&d->seg);
	d->idle_every_ticks = (uint64_t)((unsigned __int128)OD_IDLE_EVERY_NS * d->cal->tsc_hz /
					 1000000000u);
	if ((e = regions_setup(d, err, errlen)))
		goto fail;
	for (unsigned vn = 1; vn < KIMP_VENUE_MAX; vn++)
		if ((e = venue_setup(d, vn, err, errlen))) {
			if (e == -ENOMEM)
				ERR("out of memory");
			goto fail;
		}
	if ((e = metrics_setup(d, err, errlen)))
		goto fail;
	d->dup_said = atomic_load_explicit(d->c_dup_oid, memory_order_relaxed); /* said by a run before */
	for (int b = 0; b < 2; b++) {
		d->backlog[b].cap = conf->report_backlog;
		d->backlog[b].r = calloc(conf->report_backlog, sizeof(struct kimp_exec_report));
		if (!d->backlog[b].r) {
			ERR("out of memory (report backlog)");
			e = -ENOMEM;
			goto fail;
		}
	}
	d->sent_mono = calloc(conf->table_slots, sizeof(*d->sent_mono));
	d->next_q = calloc(conf->table_slots, sizeof(*d->next_q));
	uint64_t js = 1;
	uint64_t want = (conf->journal_file_mb << 20) / 256 * 2;
	while (js < want || js < 4ull * conf->table_slots)
		js <<= 1;
	d->jmask = js - 1;
	d->jcoid = calloc(js, sizeof(*d->jcoid));
	d->jring = calloc(js, sizeof(*d->jring));
	if (!d->sent_mono || !d->next_q || !d->jcoid || !d->jring) {
		ERR("out of memory (order arrays)");
		e = -ENOMEM;
		goto fail;
	}
	if ((e = otable_init(&d->ot, d->tab, conf->table_slots))) {
		ERR("order table: %s", strerror(-e));
		goto fail;
	}
	d->ot_init = true;
	/* the journal: the truth; the table is rebuilt from it */
	{
		struct journal_cfg jc = {
			.dir = conf->journal_dir,
			.name = conf->name,
			.file_size = (size_t)(conf->journal_file_mb << 20),
			.sync = conf->journal_sync,
			.sync_interval_ns = conf->journal_sync_interval_ns,
		};
		struct kimp_ord_entry zero;
		memset(&zero, 0, sizeof(zero));
		/* the shared table is a view: start it empty, the replay fills it */
		for (uint32_t i = 0; i < d->tab->count; i++)
			shm_seqtab_write(d->tab, i, &zero);
		if ((e = journal_open(&d->j, &jc, err, errlen)))
			goto fail;
		d->j_open = true;
		d->st->journal_file = d->j.file_no;
		d->st->jseq = d->j.seq;
		snprintf(d->st->journal_path, sizeof(d->st->journal_path), "%s/%s.journal",
			 conf->journal_dir, conf->name);
		if ((e = replay(d, err, errlen)))
			goto fail;
		struct jr_rec r;
		memset(&r, 0, sizeof(r));
		r.type = JR_START;
		r.u.run.pid = (uint64_t)getpid();
		r.u.run.file_no = d->j.file_no;
		jappend(d, &r);
		/* anything NEW or SENT may have left: UNKNOWN; every live order is
		 * reconciled before its venue is ready */
		otable_each_live(&d->ot, restart_each, d);
		kimp_log(KIMP_LOG_INFO, "%u live orders to reconcile", d->ot.live);
	}
	if ((e = net_loop_new(&d->loop, NULL))) {
		ERR("network loop: %s", strerror(-e));
		goto fail;
	}
	if ((e = od_sessions_start(d, err, errlen)))
		goto fail;
	orderd_attach_riskd(d);
	orderd_attach_feedd(d);
	return 0;
fail:
	orderd_close(d);
	return e;
}

void orderd_close(struct orderd *d)
{
	if (d->loop)
		od_sessions_stop(d);
	if (d->j_open)
		journal_close(&d->j);
	d->j_open = false;
	if (d->loop)
		net_loop_free(d->loop);
	d->loop = NULL;
	for (unsigned vn = 0; vn < KIMP_VENUE_MAX; vn++) {
		struct od_venue *v = d->ven[vn];
		if (!v)
			continue;
		if (v->tls)
			net_tls_ctx_destroy(v->tls);
		for (uint32_t i = 0; i < OD_REST_MAX; i++)
			free(v->rest[i].buf);
		for (int ch = 0; ch < VO_CH_N; ch++)
			free(v->ws[ch].buf);
		free(v->reqs);
		free(v->work);
		if (v->paper_state)
			paper_free(v->paper_state);
		free(v->paper_state);
		free(v);
		d->ven[vn] = NULL;
	}
	if (d->ot_init)
		otable_free(&d->ot);
	d->ot_init = false;
	for (int b = 0; b < 2; b++) {
		free(d->backlog[b].r);
		d->backlog[b].r = NULL;
	}
	free(d->sent_mono);
	free(d->next_q);
	free(d->jcoid);
	free(d->jring);
	d->sent_mono = d->next_q = d->jcoid = d->jring = NULL;
	if (d->risk_att)
		shm_seg_detach(&d->risk_seg);
	if (d->feed_seg.base)
		shm_seg_detach(&d->feed_seg);
	if (d->seg_open) {
		kimp_log_close();
		shm_seg_detach(&d->seg);
	}
	d->risk_att = d->seg_open = d->have_orders = d->feed_att = false;
}
