/* SPDX-License-Identifier: MIT */
/*
 * riskd's life: its segment (state, control, the orders and verdicts
 * rings, metrics), the inputs it attaches to (stratd's intents, orderd's
 * reports, feedd's books), the hot path, housekeeping, the loop.
 *
 * One message is one transaction:
 *   1. reserve the output slots (no verdict slot: leave the intent for
 *      later; no order slot: reject RING_FULL);
 *   2. decide, and journal every change (ledger.c, limits.c), the input
 *      ring position it brings us to, and the output ring positions it
 *      will bring the rings to; the output messages go to the state's
 *      outbox;
 *   3. shm_undo_commit: from here the message is applied;
 *   4. publish the outbox's messages;
 *   5. commit the input ring.
 * A riskd killed before 3 comes back to the state before the message and
 * gets the message again; killed after 3, it finds the input position
 * already applied (skips the message, commits it) and an output ring
 * below its target (publishes the outbox). So every intent gets exactly
 * one verdict and at most one order, and every report is applied once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "kimp/log.h"
#include "kimp/book.h"
#include "riskd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define J(f, v)  shm_undo_set(&st->undo, st, (int64_t *)&(f), (int64_t)(v))
#define JA(f, d) shm_undo_add(&st->undo, st, (int64_t *)&(f), (int64_t)(d))

#define NCOUNTERS (16 + KIMP_RISK_REASON_MAX)
#define NGAUGES   16
#define NHISTS    4

/* ---- books ------------------------------------------------------------------------- */

int riskd_book(void *ctx, unsigned venue, uint32_t inst, struct risk_top *out)
{
	struct riskd *d = ctx;
	struct riskd_bookref *br;
	struct shm_seq *s;
	const struct kimp_book *b;
	struct kimp_book h;
	struct kimp_level bid, ask;

	if (venue >= KIMP_RISK_VENUES || inst >= KIMP_RISK_INSTS)
		return -ENOENT;
	br = &d->bookmap[venue][inst];
	if (!br->t)
		return -ENOENT;
	s = shm_seqtab_lock(br->t, br->slot);
	b = shm_seqtab_data(br->t, br->slot);
	/* the header and the top level of each side, under one sequence */
	for (unsigned tries = 0; tries < 64; tries++) {
		/* acquire: pairs with the release store in write_end */
		uint64_t v0 = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (v0 & 1) {
			kimp_cpu_relax();
			continue;
		}
		shm_seq_load(&h, b, 64);
		shm_seq_load(&bid, &b->bids[0], sizeof(bid));
		shm_seq_load(&ask, &b->asks[0], sizeof(ask));
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != v0) {
			kimp_cpu_relax();
			continue;
		}
		if (h.venue != venue || h.inst != inst)
			return -ENOENT;
		out->bid_px = h.nbids ? bid.px : 0;
		out->bid_qty = h.nbids ? bid.qty : 0;
		out->ask_px = h.nasks ? ask.px : 0;
		out->ask_qty = h.nasks ? ask.qty : 0;
		out->recv_tsc = h.recv_tsc;
		out->status = h.status;
		return 0;
	}
	return -EAGAIN;
}

/* Find the books of the traded (venue, inst) in the attached tables. */
static void map_books(struct riskd *d)
{
	const struct riskd_conf *c = d->conf;
	uint32_t missing = 0;
	struct kimp_book rec;

	for (uint32_t k = 0; k < c->nfeeds; k++) {
		struct riskd_feed *f = &d->feeds[k];
		if (!f->attached)
			continue;
		for (uint32_t s = 0; s < f->books->count; s++) {
			if (shm_seqtab_read(f->books, s, &rec, 64))
				continue;
			if (!rec.venue || rec.venue >= KIMP_RISK_VENUES || !rec.inst ||
			    rec.inst >= KIMP_RISK_INSTS || d->bookmap[rec.venue][rec.inst].t)
				continue;
			d->bookmap[rec.venue][rec.inst].t = f->books;
			d->bookmap[rec.venue][rec.inst].slot = s;
		}
	}
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		for (uint32_t i = 1; i < KIMP_RISK_INSTS; i++)
			if (c->trade.venue[v].present && c->trade.venue[v].inst[i].listed &&
			    !d->bookmap[v][i].t)
				missing++;
	d->books_missing = missing;
}

/* ---- output ------------------------------------------------------------------------- */

/* Copy a message (bytes 8.., the rest are the ring's) into a reserved slot and publish. */
static inline void publish(struct shm_ring_prod *p, void *slot, const void *msg)
{
	memcpy((uint8_t *)slot + SHM_RING_MARK_BYTES, (const uint8_t *)msg + SHM_RING_MARK_BYTES,
	       128 - SHM_RING_MARK_BYTES);
	shm_ring_publish(p);
}

/*
 * Publish what the state says is out but a ring has not got (a run that
 * died between its commit and its publish). True when nothing is left.
 */
static bool flush_outbox(struct riskd *d)
{
	struct kimp_risk_state *st = d->st;
	const struct kimp_risk_limits *lim = &st->lim;

	if (kimp_likely(d->orders.head >= lim->orders_target &&
			d->verdicts.head >= lim->verdicts_target))
		return true;
	if (d->orders.head < lim->orders_target) {
		void *s = shm_ring_reserve(&d->orders);
		if (!s)
			return false;
		publish(&d->orders, s, &st->out_order);
		shm_counter_add(d->c_outbox, 1);
	}
	if (d->verdicts.head < lim->verdicts_target) {
		void *s = shm_ring_reserve(&d->verdicts);
		if (!s)
			return false;
		publish(&d->verdicts, s, &st->out_verdict);
		shm_counter_add(d->c_outbox, 1);
	}
	return true;
}

/* Push the ORDER_CANCEL_ALL a kill asked for, when the ring takes it. */
static void push_cancel_all(struct riskd *d)
{
	struct kimp_risk_state *st = d->st;
	void *s = shm_ring_reserve(&d->orders);

	if (!s)
		return;
	risk_cancel_all_msg(&st->out_order, kimp_rdtsc());
	J(st->lim.cancel_all_pending, 0);
	JA(st->lim.cancel_alls, 1);
	J(st->lim.orders_target, d->orders.head + 1);
	shm_undo_commit(&st->undo);
	publish(&d->orders, s, &st->out_order);
	shm_counter_add(d->c_cancel_all, 1);
}

/* ---- the hot path ---------------------------------------------------------------------- */

/* One intent: 0, or -EAGAIN when the verdicts ring is full (left for later). */
static int on_intent(struct riskd *d, const struct kimp_intent *in)
{
	struct kimp_risk_state *st = d->st;
	uint64_t t0 = kimp_rdtsc(), now = kimp_tsc_to_ns(d->cal, t0);
	struct risk_decision dec;
	void *vs, *os = NULL;
	bool ok;

	vs = shm_ring_reserve(&d->verdicts);
	if (!vs) {
		shm_counter_add(d->c_stalls, 1);
		return -EAGAIN;
	}
	if (kimp_likely(in->h.type == KIMP_MSG_INTENT))
		risk_check(&d->rc, in, t0, now, &dec);
	else
		risk_decision_reject(&dec, KIMP_RISK_BAD_INTENT, 0, 0);
	if (dec.verdict != KIMP_VERDICT_REJECTED && !(os = shm_ring_reserve(&d->orders)))
		risk_decision_reject(&dec, KIMP_RISK_RING_FULL, d->orders_r->slot_count, 0);
	ok = risk_take(&d->rc, in, &dec, now, t0, &st->out_order, &st->out_verdict);
	J(st->lim.intents_done, d->intents.tail + 1);
	if (ok)
		J(st->lim.orders_target, d->orders.head + 1);
	J(st->lim.verdicts_target, d->verdicts.head + 1);
	shm_undo_commit(&st->undo);
	if (ok) {
		st->out_order.risk_pub_tsc = kimp_rdtsc();
		publish(&d->orders, os, &st->out_order);
	}
	publish(&d->verdicts, vs, &st->out_verdict);
	shm_ring_commit(&d->intents);

	uint64_t t1 = kimp_rdtsc();
	shm_counter_add(d->c_intents, 1);
	shm_counter_add(dec.verdict == KIMP_VERDICT_APPROVED ? d->c_approved :
			dec.verdict == KIMP_VERDICT_TRIMMED ? d->c_trimmed : d->c_rejected, 1);
	if (dec.verdict == KIMP_VERDICT_REJECTED && dec.reason < KIMP_RISK_REASON_MAX)
		shm_counter_add(d->c_reason[dec.reason], 1);
	shm_hist_record_ticks(d->h_risk, d->cal, t1 - t0);
	if (ok && in->decision_tsc && t1 > in->decision_tsc)
		shm_hist_record_ticks(d->h_intent_to_order, d->cal, t1 - in->decision_tsc);
	return 0;
}

static void on_report(struct riskd *d, const struct kimp_exec_report *r)
{
	struct kimp_risk_state *st = d->st;
	uint64_t now = kimp_tsc_to_ns(d->cal, kimp_rdtsc());

	if (r->h.type == KIMP_MSG_EXEC_REPORT) {
		risk_apply_report(&d->rc, r, now);
		risk_pnl_update(&d->rc);
		risk_mode_update(&d->rc, now);
	} else {
		JA(st->lim.unknown_reports, 1);
	}
	J(st->lim.reports_done, d->reports.tail + 1);
	shm_undo_commit(&st->undo);
	shm_ring_commit(&d->reports);
	shm_counter_add(d->c_reports, 1);
}

uint32_t riskd_drain(struct riskd *d, uint32_t max)
{
	uint32_t n = 0;

	if (!flush_outbox(d))
		return 0;
	if (kimp_unlikely(d->st->lim.cancel_all_pending))
		push_cancel_all(d);
	while (d->have_reports && n < max) {
		const struct kimp_exec_report *r = shm_ring_peek(&d->reports);
		if (!r)
			break;
		on_report(d, r);
		n++;
	}
	while (d->have_intents && n < max) {
		const struct kimp_intent *in = shm_ring_peek(&d->intents);
		if (!in || on_intent(d, in))
			break;
		n++;
	}
	return n;
}

/* ---- inputs ----------------------------------------------------------------------------- */

/*
 * A consumer resumes at its ring's committed position; the state says how
 * far it applied. Skip what was applied but not committed; a ring with
 * another salt is a new ring (its producer's segment was made again).
 */
static void resume_input(struct riskd *d, struct shm_ring_cons *c, uint64_t *done,
			 uint64_t *salt, const char *what)
{
	struct kimp_risk_state *st = d->st;

	if (*salt != c->r->salt) {
		if (*salt)
			kimp_log(KIMP_LOG_INFO, "%s: a new ring; starting at its position %llu", what,
				 (unsigned long long)c->tail);
		J(*salt, c->r->salt);
		J(*done, c->tail);
		shm_undo_commit(&st->undo);
		return;
	}
	if (c->tail < *done) {
		uint64_t skip = *done - c->tail;
		uint64_t head = atomic_load_explicit(&c->r->head, memory_order_acquire);
		/* never past what was published (a state that says more is not ours to trust) */
		if (skip > head - c->tail)
			skip = head - c->tail;
		shm_ring_commit_n(c, (uint32_t)skip);
		shm_counter_add(d->c_skipped, skip);
		kimp_log(KIMP_LOG_INFO, "%s: %llu message(s) applied before the restart, skipped",
			 what, (unsigned long long)skip);
	} else if (c->tail > *done) {
		kimp_log(KIMP_LOG_WARN, "%s: the ring is %llu past the state (consumed by another?)",
			 what, (unsigned long long)(c->tail - *done));
		J(*done, c->tail);
		shm_undo_commit(&st->undo);
	}
}

/* The inode of a segment's file (0: gone). */
static uint64_t seg_ino(const struct shm_seg *s)
{
	struct stat sb;

	return stat(s->path, &sb) ? 0 : (uint64_t)sb.st_ino;
}

/* Attach segment 'seg' and its ring 'ring' as consumer: 0, or -errno (quietly). */
static int attach_ring(struct riskd *d, struct shm_seg *seg, bool *att, const char *segname,
		       const char *ring, struct shm_ring **r, struct shm_ring_cons *c)
{
	int e;

	if (!*att) {
		if ((e = shm_seg_attach(seg, segname, &d->so)))
			return e;
		*att = true;
	}
	if ((e = shm_ring_lookup(seg, ring, r)))
		return e;
	if ((*r)->slot_size != 128) {
		kimp_log(KIMP_LOG_WARN, "segment %s: ring %s has %u-byte slots, not 128", segname,
			 ring, (*r)->slot_size);
		return -EPROTO;
	}
	return shm_ring_consumer(*r, c);
}

int riskd_attach_inputs(struct riskd *d)
{
	const struct riskd_conf *c = d->conf;
	struct kimp_risk_state *st = d->st;
	int missing = 0;

	if (!d->have_intents) {
		if (!attach_ring(d, &d->strat_seg, &d->strat_att, c->stratd, KIMP_RISK_INTENTS,
				 &d->intents_r, &d->intents)) {
			resume_input(d, &d->intents, &st->lim.intents_done, &st->lim.intents_salt,
				     "intents");
			d->strat_ino = seg_ino(&d->strat_seg);
			if (!shm_waiter_init(&d->w, shm_ring_doorbell(d->intents_r), c->wait,
					     c->spin_ns, (int64_t)c->idle_wait_ns, d->cal))
				d->waiter_on = true;
			d->have_intents = true;
			kimp_log(KIMP_LOG_INFO, "intents: attached to %s", c->stratd);
		} else {
			missing++;
			if (!(d->said & RISKD_SAID_INTENTS))
				kimp_log(KIMP_LOG_INFO, "waiting for segment %s (ring %s)", c->stratd,
					 KIMP_RISK_INTENTS);
			d->said |= RISKD_SAID_INTENTS;
		}
	}
	if (!d->have_reports) {
		if (!attach_ring(d, &d->ord_seg, &d->ord_att, c->orderd, KIMP_RISK_REPORTS,
				 &d->reports_r, &d->reports)) {
			resume_input(d, &d->reports, &st->lim.reports_done, &st->lim.reports_salt,
				     "reports");
			d->ord_ino = seg_ino(&d->ord_seg);
			d->have_reports = true;
			kimp_log(KIMP_LOG_INFO, "reports: attached to %s", c->orderd);
		} else {
			missing++;
			if (!(d->said & RISKD_SAID_REPORTS))
				kimp_log(KIMP_LOG_INFO, "waiting for segment %s (ring %s)", c->orderd,
					 KIMP_RISK_REPORTS);
			d->said |= RISKD_SAID_REPORTS;
		}
	}
	bool feeds_missing = false;
	for (uint32_t k = 0; k < c->nfeeds; k++) {
		struct riskd_feed *f = &d->feeds[k];
		struct shm_opts ro = d->so;
		if (f->attached)
			continue;
		ro.readonly = true;
		if (!f->seg.base && shm_seg_attach(&f->seg, c->feeds[k], &ro)) {
			feeds_missing = true;
			if (!(d->said & RISKD_SAID_FEEDS))
				kimp_log(KIMP_LOG_INFO, "waiting for segment %s (books)", c->feeds[k]);
			continue;
		}
		if (shm_seqtab_lookup(&f->seg, KIMP_BOOK_REGION, &f->books) ||
		    f->books->rec_size != sizeof(struct kimp_book)) {
			feeds_missing = true;
			if (!(d->said & RISKD_SAID_FEEDS))
				kimp_log(KIMP_LOG_INFO, "waiting for the book table of %s", c->feeds[k]);
			continue;
		}
		f->attached = true;
		f->ino = seg_ino(&f->seg);
		kimp_log(KIMP_LOG_INFO, "books: attached to %s (%u books)", c->feeds[k],
			 f->books->count);
	}
	if (feeds_missing) {
		missing++;
		d->said |= RISKD_SAID_FEEDS;
	}
	map_books(d);
	return missing;
}

/*
 * A peer's segment removed and made again (kimp down, a new configuration)
 * while riskd runs: the old mapping would never see another message. Let
 * it go and attach anew (a new ring's positions start over, see
 * resume_input).
 */
static void check_replaced(struct riskd *d)
{
	const struct riskd_conf *c = d->conf;

	if (d->strat_att && seg_ino(&d->strat_seg) != d->strat_ino) {
		kimp_log(KIMP_LOG_INFO, "segment %s was made again: attaching anew", c->stratd);
		if (d->waiter_on)
			shm_waiter_fini(&d->w);
		shm_seg_detach(&d->strat_seg);
		d->waiter_on = d->strat_att = d->have_intents = false;
		d->said &= ~RISKD_SAID_INTENTS;
	}
	if (d->ord_att && seg_ino(&d->ord_seg) != d->ord_ino) {
		kimp_log(KIMP_LOG_INFO, "segment %s was made again: attaching anew", c->orderd);
		shm_seg_detach(&d->ord_seg);
		d->ord_att = d->have_reports = false;
		d->said &= ~RISKD_SAID_REPORTS;
	}
	for (uint32_t k = 0; k < c->nfeeds; k++) {
		struct riskd_feed *f = &d->feeds[k];
		if (!f->attached || seg_ino(&f->seg) == f->ino)
			continue;
		kimp_log(KIMP_LOG_INFO, "segment %s was made again: attaching anew", c->feeds[k]);
		for (unsigned v = 0; v < KIMP_RISK_VENUES; v++)
			for (uint32_t i = 0; i < KIMP_RISK_INSTS; i++)
				if (d->bookmap[v][i].t == f->books)
					d->bookmap[v][i].t = NULL;
		shm_seg_detach(&f->seg);
		f->attached = false;
		f->books = NULL;
		d->said &= ~RISKD_SAID_FEEDS;
	}
}

/* ---- housekeeping ---------------------------------------------------------------------- */

static void control(struct riskd *d, uint64_t now)
{
	struct kimp_risk_control *ctl = d->ctl;
	struct kimp_risk_state *st = d->st;
	uint64_t rq;

	/* resume, pause, kill: with all pending, the kill wins */
	rq = atomic_load_explicit(&ctl->resume_req, memory_order_acquire);
	if (rq != atomic_load_explicit(&ctl->resume_done, memory_order_relaxed)) {
		risk_resume(&d->rc, now);
		shm_undo_commit(&st->undo);
		atomic_store_explicit(&ctl->resume_done, rq, memory_order_release);
		kimp_log(KIMP_LOG_INFO, "resumed (kimpctl)");
	}
	rq = atomic_load_explicit(&ctl->pause_req, memory_order_acquire);
	if (rq != atomic_load_explicit(&ctl->pause_done, memory_order_relaxed)) {
		risk_pause(&d->rc, KIMP_RISK_PAUSE_OPERATOR, now);
		shm_undo_commit(&st->undo);
		atomic_store_explicit(&ctl->pause_done, rq, memory_order_release);
		kimp_log(KIMP_LOG_INFO, "paused (operator)");
	}
	rq = atomic_load_explicit(&ctl->kill_req, memory_order_acquire);
	if (rq != atomic_load_explicit(&ctl->kill_done, memory_order_relaxed)) {
		risk_kill(&d->rc, now);
		shm_undo_commit(&st->undo);
		atomic_store_explicit(&ctl->kill_done, rq, memory_order_release);
		kimp_log(KIMP_LOG_ERR, "KILLED: nothing new; cancel-all to orderd");
	}
}

void riskd_housekeep(struct riskd *d)
{
	const struct riskd_conf *c = d->conf;
	struct kimp_risk_state *st = d->st;
	uint64_t now = kimp_tsc_to_ns(d->cal, kimp_rdtsc());
	int64_t reasons0 = st->lim.pause_reasons;

	shm_metrics_heartbeat(d->m, kimp_mono_ns());
	bool feeds_ok = true;
	for (uint32_t k = 0; k < c->nfeeds; k++)
		feeds_ok &= d->feeds[k].attached;
	uint64_t t = kimp_rdtsc();
	if (t >= d->next_slow_tsc) {
		/* once a second: peers made again, books that appeared */
		check_replaced(d);
		riskd_attach_inputs(d);
		d->next_slow_tsc = t + d->cal->tsc_hz;
	} else if (!d->have_intents || !d->have_reports || !feeds_ok) {
		riskd_attach_inputs(d);
	}
	control(d, now);
	risk_rate_refresh(&d->rc, now);
	shm_undo_commit(&st->undo);
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		for (uint32_t i = 1; i < KIMP_RISK_INSTS; i++)
			if (c->trade.venue[v].present && c->trade.venue[v].inst[i].listed &&
			    risk_mark_from_book(&d->rc, v, i, now))
				shm_undo_commit(&st->undo);
	risk_day_roll(&d->rc, (int64_t)(kimp_real_ns() / 86400000000000ull));
	risk_pnl_update(&d->rc);
	risk_mode_update(&d->rc, now);
	shm_undo_commit(&st->undo);
	if (st->lim.pause_reasons != reasons0) {
		if (st->lim.pause_reasons & ~reasons0 & KIMP_RISK_PAUSE_LOSS)
			kimp_log(KIMP_LOG_ERR, "PAUSED: daily loss reached the limit");
		if (st->lim.pause_reasons & ~reasons0 & KIMP_RISK_PAUSE_DRAWDOWN)
			kimp_log(KIMP_LOG_ERR, "PAUSED: drawdown reached the limit");
	}
	if (st->lim.cancel_all_pending)
		push_cancel_all(d);
	int64_t open = 0;
	for (unsigned v = 1; v < KIMP_RISK_VENUES; v++)
		open += st->venue[v].open_orders;
	shm_gauge_set(d->g_mode, st->lim.mode);
	shm_gauge_set(d->g_pnl, st->lim.pnl);
	shm_gauge_set(d->g_day_pnl, st->lim.pnl - st->lim.day_start_pnl);
	shm_gauge_set(d->g_open, open);
	shm_gauge_set(d->g_rate, st->lim.rate);
}

uint32_t riskd_poll(struct riskd *d)
{
	uint32_t n = riskd_drain(d, 256);
	uint64_t t = kimp_rdtsc();

	if (t >= d->next_hk_tsc) {
		riskd_housekeep(d);
		d->next_hk_tsc = kimp_rdtsc() + d->hk_ticks;
	}
	return n;
}

static bool inputs_ready(void *ctx)
{
	struct riskd *d = ctx;

	return (d->have_intents && shm_ring_ready(&d->intents)) ||
	       (d->have_reports && shm_ring_ready(&d->reports));
}

void riskd_run(struct riskd *d, const volatile sig_atomic_t *stop)
{
	const struct riskd_conf *c = d->conf;

	while (!*stop) {
		if (riskd_poll(d)) {
			if (d->waiter_on)
				shm_wait_busy(&d->w);
			continue;
		}
		if (d->waiter_on) {
			shm_wait_idle(&d->w, inputs_ready, d);
		} else if (c->wait == SHM_WAIT_SPIN) {
			kimp_cpu_relax();
		} else {
			struct timespec ts = { 0, (long)c->idle_wait_ns };
			nanosleep(&ts, NULL);
		}
	}
}

/* ---- setup ---------------------------------------------------------------------------- */

static int ring_setup(struct riskd *d, const char *name, uint32_t slots, struct shm_ring **r,
		      struct shm_ring_prod *p, char *err, size_t errlen)
{
	int e = shm_ring_lookup(&d->seg, name, r);

	if (e == -ENOENT)
		e = shm_ring_create(&d->seg, name, 128, slots, 0, NULL, r);
	if (!e && ((*r)->slot_count != slots || (*r)->slot_size != 128))
		e = -EPROTO;
	if (!e)
		e = shm_ring_producer(*r, p);
	if (e)
		ERR("segment %s: ring %s: %s", d->conf->name, name,
		    e == -EPROTO ? "it was made for another size (the configuration changed): "
				   "remove the segment (kimpctl shm rm NAME) and start again"
				 : shm_last_error());
	return e;
}

static int state_setup(struct riskd *d, char *err, size_t errlen)
{
	const struct riskd_conf *c = d->conf;
	uint64_t want = kimp_risk_state_bytes(c->order_slots);
	const struct shm_region_ent *ent = shm_region_find(&d->seg, KIMP_RISK_STATE);
	void *p;
	int e;

	if (!ent) {
		if ((e = shm_region_add(&d->seg, KIMP_RISK_STATE, want, SHM_REGION_RAW, &p))) {
			ERR("segment %s: state region: %s", c->name, shm_last_error());
			return e;
		}
		d->st_size = want;
	} else {
		p = shm_region_ptr(&d->seg, ent);
		d->st_size = ent->size;
	}
	d->st = p;
	if (__atomic_load_n(&d->st->magic, __ATOMIC_ACQUIRE) != KIMP_RISK_MAGIC) {
		/* new, or its making never finished */
		if (d->st_size < want) {
			ERR("segment %s: state region of %llu bytes, %llu needed: remove the segment "
			    "(kimpctl shm rm NAME) and start again", c->name,
			    (unsigned long long)d->st_size, (unsigned long long)want);
			return -EPROTO;
		}
		risk_state_seed(d->st, want, c, kimp_real_ns());
		d->created = true;
		return 0;
	}
	if (d->st->version == KIMP_RISK_VERSION && d->st->size <= d->st_size)
		d->recovered = shm_undo_recover(&d->st->undo, d->st, d->st->size);
	if ((e = risk_state_check(d->st, d->st_size, c, err, errlen))) {
		size_t l = strlen(err);
		snprintf(err + l, errlen > l ? errlen - l : 0,
			 " (segment %s made for another configuration: remove it with kimpctl shm rm "
			 "NAME and start again)", c->name);
		return e;
	}
	if (risk_state_add_venues(d->st, c))
		kimp_log(KIMP_LOG_INFO, "state: venues added to the configuration seeded");
	return 0;
}

static int metrics_setup(struct riskd *d, char *err, size_t errlen)
{
	static const char *const cn[] = {
		"intents", "approved", "trimmed", "rejected", "reports", "verdict_stalls",
		"cancel_all", "outbox_flushes", "redelivered_skipped",
	};
	_Atomic uint64_t **cp[] = {
		&d->c_intents, &d->c_approved, &d->c_trimmed, &d->c_rejected, &d->c_reports,
		&d->c_stalls, &d->c_cancel_all, &d->c_outbox, &d->c_skipped,
	};
	static const char *const gn[] = { "mode", "pnl_krw_e4", "day_pnl_krw_e4", "open_orders",
					  "rate_e8" };
	_Atomic int64_t **gp[] = { &d->g_mode, &d->g_pnl, &d->g_day_pnl, &d->g_open, &d->g_rate };
	int e = shm_metrics_lookup(&d->seg, KIMP_RISK_METRICS, &d->m);

	if (e == -ENOENT)
		e = shm_metrics_create(&d->seg, KIMP_RISK_METRICS, "riskd", NCOUNTERS, NGAUGES,
				       NHISTS, &d->m);
	if (e) {
		ERR("segment %s: metrics: %s", d->conf->name, shm_last_error());
		return e;
	}
	shm_metrics_claim(d->m);
	if (kimp_log_open(&d->seg, "riskd", 0))
		kimp_log(KIMP_LOG_WARN, "segment %s: no log ring (%s): the log goes to stderr only",
			 d->conf->name, shm_last_error());
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(cn); k++)
		if (!(*cp[k] = shm_metrics_counter(d->m, cn[k])))
			goto full;
	for (unsigned r = 0; r < KIMP_RISK_REASON_MAX; r++) {
		char n[SHM_METRIC_NAME];
		snprintf(n, sizeof(n), "reject.%s", kimp_risk_reason_name(r));
		if (!(d->c_reason[r] = shm_metrics_counter(d->m, n)))
			goto full;
	}
	for (size_t k = 0; k < KIMP_ARRAY_SIZE(gn); k++)
		if (!(*gp[k] = shm_metrics_gauge(d->m, gn[k])))
			goto full;
	d->h_risk = shm_metrics_hist(d->m, "risk_ns");
	d->h_intent_to_order = shm_metrics_hist(d->m, "intent_to_order_ns");
	if (!d->h_risk || !d->h_intent_to_order)
		goto full;
	return 0;
full:
	ERR("segment %s: metrics region full", d->conf->name);
	return -ENOSPC;
}

int riskd_open(struct riskd *d, const struct riskd_conf *conf, const struct shm_opts *so,
	       char *err, size_t errlen)
{
	size_t size;
	const struct shm_region_ent *ent;
	int e;

	memset(d, 0, sizeof(*d));
	d->conf = conf;
	d->so = *so;
	size = kimp_risk_state_bytes(conf->order_slots) + sizeof(struct kimp_risk_control) +
	       shm_ring_bytes(128, conf->orders_slots) + shm_ring_bytes(128, conf->verdicts_slots) +
	       shm_metrics_bytes(NCOUNTERS, NGAUGES, NHISTS) + kimp_log_bytes(0) +
	       8 * SHM_REGION_ALIGN;
	if ((e = shm_seg_open(&d->seg, conf->name, size, so))) {
		ERR("segment %s: %s", conf->name, shm_last_error());
		return e;
	}
	d->seg_open = true;
	if ((e = state_setup(d, err, errlen)))
		goto fail;
	ent = shm_region_find(&d->seg, KIMP_RISK_CONTROL);
	if (!ent) {
		void *p;
		if ((e = shm_region_add(&d->seg, KIMP_RISK_CONTROL, sizeof(*d->ctl), SHM_REGION_RAW,
					&p))) {
			ERR("segment %s: control region: %s", conf->name, shm_last_error());
			goto fail;
		}
		d->ctl = p;
		d->ctl->version = KIMP_RISK_VERSION;
		d->ctl->magic = KIMP_RISK_CTL_MAGIC;
	} else {
		d->ctl = shm_region_ptr(&d->seg, ent);
		if (ent->size < sizeof(*d->ctl) || d->ctl->magic != KIMP_RISK_CTL_MAGIC ||
		    d->ctl->version != KIMP_RISK_VERSION) {
			ERR("segment %s: control region of another version", conf->name);
			e = -EPROTO;
			goto fail;
		}
	}
	if ((e = ring_setup(d, KIMP_RISK_ORDERS, conf->orders_slots, &d->orders_r, &d->orders, err,
			    errlen)) ||
	    (e = ring_setup(d, KIMP_RISK_VERDICTS, conf->verdicts_slots, &d->verdicts_r,
			    &d->verdicts, err, errlen)) ||
	    (e = metrics_setup(d, err, errlen)))
		goto fail;
	d->cal = shm_seg_tsc(&d->seg);
	d->rc = (struct risk_core){ .conf = conf, .st = d->st, .cal = d->cal, .book = riskd_book,
				    .book_ctx = d };
	if (d->orders.head > d->st->lim.orders_target ||
	    d->verdicts.head > d->st->lim.verdicts_target)
		kimp_log(KIMP_LOG_WARN, "warning: a ring is ahead of the state (orders %llu/%llu, "
			 "verdicts %llu/%llu)", (unsigned long long)d->orders.head,
			 (unsigned long long)d->st->lim.orders_target,
			 (unsigned long long)d->verdicts.head,
			 (unsigned long long)d->st->lim.verdicts_target);
	flush_outbox(d);
	risk_rate_refresh(&d->rc, kimp_tsc_to_ns(d->cal, kimp_rdtsc()));
	shm_undo_commit(&d->st->undo);
	d->hk_ticks = (uint64_t)((unsigned __int128)conf->housekeeping_ns * d->cal->tsc_hz /
				 1000000000ull);
	d->next_hk_tsc = 0;
	return 0;
fail:
	riskd_close(d);
	return e;
}

void riskd_close(struct riskd *d)
{
	if (d->waiter_on)
		shm_waiter_fini(&d->w);
	d->waiter_on = false;
	for (uint32_t k = 0; k < RISKD_FEEDS_MAX; k++)
		if (d->feeds[k].seg.base)
			shm_seg_detach(&d->feeds[k].seg);
	if (d->strat_att)
		shm_seg_detach(&d->strat_seg);
	if (d->ord_att)
		shm_seg_detach(&d->ord_seg);
	if (d->seg_open) {
		kimp_log_close();
		shm_seg_detach(&d->seg);
	}
	d->strat_att = d->ord_att = d->seg_open = false;
	d->have_intents = d->have_reports = false;
}
