/* SPDX-License-Identifier: MIT */
/*
 * stratd's life cycle and its md path: the segment (intents ring, state,
 * metrics) made or found again, the state recovered, the inputs attached
 * when they appear (feedd's md ring and book table, riskd's verdicts,
 * orderd's rep.stratd), and the loop: verdicts, reports, md events, the
 * intents waiting for room, housekeeping.
 *
 * md path: an event on a book moves the coins whose pair uses it (its KRW
 * or USDT book, or the rate book of the KRW venue). For each: read the
 * books, sample the mid premium into the model, decide (premium.c), and
 * when every gate holds (books live and younger than quote_age, no
 * unhedged exposure on the coin, cooldown over, pairs in flight below
 * max_pairs, room for both intents) open the pair and push its legs. A gap
 * (KIMP_MSG_F_GAP, or a sequence that skips) re-reads the book table and
 * moves every coin.
 *
 * Each coin's evaluation is one transaction carrying the md sequence it
 * applied (coin.md_seq), so an event delivered again after a restart does
 * not sample the model twice.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/log.h"
#include "kimp/tsc.h"
#include "stratd.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

#define BATCH          64              /* messages per input per turn */
#define ATTACH_EVERY   100000000ull    /* retry attaching inputs every 100 ms */
#define BOOK_TRIES     64              /* seqlock read attempts */
#define RESCAN_EVERY   100000000ull    /* a missing book: the table re-read every 100 ms */

uint64_t stratd_clock(const struct stratd *s)
{
	return kimp_tsc_to_ns(s->cal, kimp_rdtsc());
}

/* ---- books ------------------------------------------------------------------ */

void strat_books_rescan(struct stratd *s)
{
	for (unsigned v = 0; v < KIMP_STRAT_VENUES; v++)
		for (unsigned i = 0; i < KIMP_STRAT_COINS; i++)
			s->slot[v][i] = -1;
	if (!s->books)
		return;
	for (uint32_t k = 0; k < s->books->count && k < INT16_MAX; k++) {
		struct kimp_book h;
		/* the record's header is enough here */
		if (shm_seq_read(shm_seqtab_lock(s->books, k), &h, shm_seqtab_data(s->books, k),
				 offsetof(struct kimp_book, bids), BOOK_TRIES))
			continue;
		if (h.venue && h.venue < KIMP_STRAT_VENUES && h.inst && h.inst < KIMP_STRAT_COINS)
			s->slot[h.venue][h.inst] = (int16_t)k;
	}
}

int strat_book_read(struct stratd *s, unsigned venue, unsigned inst, struct kimp_book *b)
{
	if (venue >= KIMP_STRAT_VENUES || inst >= KIMP_STRAT_COINS || !s->books)
		return -ENOENT;
	for (int again = 0; again < 2; again++) {
		int slot = s->slot[venue][inst];
		if (slot < 0 || (uint32_t)slot >= s->books->count) {
			/* a book feedd does not have (yet): look again, not every time */
			if (again || s->now < s->next_rescan_ns)
				return -ENOENT;
			s->next_rescan_ns = s->now + RESCAN_EVERY;
			strat_books_rescan(s);
			continue;
		}
		if (shm_seqtab_read(s->books, (uint32_t)slot, b, BOOK_TRIES)) {
			shm_counter_add(s->m.book_fail, 1);
			return -EAGAIN;
		}
		if (b->venue == venue && b->inst == inst)
			return 0;
		/* the table changed under us (feedd restarted with other books) */
		strat_books_rescan(s);
	}
	return -ENOENT;
}

static bool book_live(const struct kimp_book *b)
{
	return b->status == KIMP_BOOK_LIVE && b->nbids && b->nasks && b->bids[0].px > 0 &&
	       b->asks[0].px > 0;
}

bool strat_book_fresh(const struct stratd *s, const struct kimp_book *b)
{
	if (!book_live(b))
		return false;
	/* a book stamped after our clock read is fresh */
	return s->now <= b->recv_mono_ns || s->now - b->recv_mono_ns <= s->conf->quote_age_ns;
}

/* ---- the md path -------------------------------------------------------------- */

static int64_t ppm(double x)
{
	return isfinite(x) ? (int64_t)llround(x * 1e6) : 0;
}

/* Read the books of pair pc: live, both sides, at the configured scales. */
static bool pair_books(struct stratd *s, const struct strat_pair_conf *pc)
{
	for (int l = 0; l < 2; l++) {
		struct kimp_book *b = &s->bk[l];
		if (strat_book_read(s, pc->leg[l].venue, pc->inst, b) || !book_live(b))
			return false;
		if (b->px_dec != pc->leg[l].px_dec || b->qty_dec != pc->leg[l].qty_dec) {
			shm_counter_add(s->m.book_fail, 1);
			return false;
		}
	}
	if (pc->rate_inst &&
	    (strat_book_read(s, pc->leg[0].venue, pc->rate_inst, &s->bk[2]) ||
	     !book_live(&s->bk[2])))
		return false;
	return true;
}

void strat_eval_coin(struct stratd *s, uint32_t inst, uint64_t md_seq)
{
	const struct strat_pair_conf *pc = &s->conf->pair[inst];
	struct kimp_strat_state *st = s->st;
	struct kimp_strat_coin *c = &st->coin[inst];
	struct strat_decision d;
	struct strat_model m;
	bool ok, updated = false, entry = false;
	unsigned why;

	if (!pc->on)
		return;
	if (md_seq && md_seq <= c->md_seq) {
		shm_counter_add(s->m.md_dups, 1);
		return;
	}
	memset(&d, 0, sizeof(d));
	strat_model_get(st, inst, &m);
	ok = pair_books(s, pc);
	why = STRAT_WHY_BOOK;
	if (ok) {
		const struct kimp_book *rb = pc->rate_inst ? &s->bk[2] : NULL;
		struct strat_eval_in in = {
			.pc = pc,
			.book = { &s->bk[0], &s->bk[1] },
			.rate = rb ? strat_book_mid(rb) : pc->rate,
			.model = m,
		};
		uint64_t t = s->bk[0].recv_mono_ns > s->bk[1].recv_mono_ns ? s->bk[0].recv_mono_ns
									   : s->bk[1].recv_mono_ns;
		if (rb && rb->recv_mono_ns > t)
			t = rb->recv_mono_ns;
		strat_room(s, pc, in.room);
		/* the decision against the model before this sample */
		strat_decide(&in, &d);
		why = d.why;
		if (d.dir) {
			if (!strat_book_fresh(s, &s->bk[0]) || !strat_book_fresh(s, &s->bk[1]) ||
			    (rb && !strat_book_fresh(s, rb)))
				why = STRAT_WHY_AGE;
			else if (c->unhedged)
				why = STRAT_WHY_UNHEDGED;
			else if (c->last_entry_ns && s->now > (uint64_t)c->last_entry_ns &&
				 s->now - (uint64_t)c->last_entry_ns < s->conf->cooldown_ns)
				why = STRAT_WHY_COOLDOWN;
			else if (st->pairs_open >= (int64_t)s->conf->max_pairs)
				why = STRAT_WHY_PAIRS;
			else if (strat_ring_room(s) < 2)
				why = STRAT_WHY_RING;
		}
		entry = d.dir && why == STRAT_WHY_OK;
		if (isfinite(d.prem_mid))
			updated = strat_model_update(&m, d.prem_mid, t, pc->half_life_ns);
		strat_set(s, &c->prem_mid, kimp_strat_bits(d.prem_mid));
		strat_set(s, &c->prem_sell, kimp_strat_bits(d.prem_exec[0]));
		strat_set(s, &c->prem_buy, kimp_strat_bits(d.prem_exec[1]));
		strat_set(s, &c->rate, kimp_strat_bits(in.rate));
	}
	if (md_seq)
		strat_setu(s, &c->md_seq, md_seq);
	if (updated)
		strat_model_put(s, inst, &m);
	strat_add(s, &st->cnt.evals, 1);
	if (entry && !strat_pair_open(s, inst, &d)) {
		entry = false;
		why = STRAT_WHY_PAIRS;
	}
	strat_commit(s);

	shm_counter_add(s->m.evals, 1);
	shm_counter_add(s->m.why[why < STRAT_WHY_MAX ? why : 0], 1);
	if (ok) {
		shm_gauge_set(s->m.prem_ppm[inst], ppm(d.prem_mid));
		shm_gauge_set(s->m.mean_ppm[inst], ppm(m.mean));
		shm_gauge_set(s->m.sd_ppm[inst], ppm(m.var > 0 ? sqrt(m.var) : 0));
	}
	if (entry) {
		shm_counter_add(s->m.entries, 1);
		strat_flush(s);
	}
}

void strat_on_md(struct stratd *s, const struct kimp_msg_hdr *h, uint64_t seq)
{
	uint32_t mask = 0;
	bool gap = (h->flags & KIMP_MSG_F_GAP) || (s->md_next_seq && seq != s->md_next_seq);

	shm_counter_add(s->m.md_events, 1);
	s->md_next_seq = seq + 1;
	if (gap) {
		shm_counter_add(s->m.md_gaps, 1);
		strat_books_rescan(s);
		mask = s->all_coins;
	}
	switch (h->type) {
	case KIMP_MSG_MD_TOP:
	case KIMP_MSG_MD_STATUS:
		if (h->venue < KIMP_STRAT_VENUES && h->inst < KIMP_STRAT_COINS) {
			uint32_t a = s->affects[h->venue][h->inst];
			if (a && s->slot[h->venue][h->inst] < 0 && !gap)
				strat_books_rescan(s);   /* a book we have not seen yet */
			mask |= a;
		}
		break;
	case KIMP_MSG_MD_TRADE:
		break;
	default:
		shm_counter_add(s->m.md_unknown, 1);
		break;
	}
	for (uint32_t i = 1; mask >> i; i++)
		if (mask & (1u << i))
			strat_eval_coin(s, i, seq);
}

/* ---- housekeeping --------------------------------------------------------------- */

void strat_housekeep(struct stratd *s)
{
	const struct kimp_strat_state *st = s->st;
	int64_t unh, unh_max;

	strat_legs_housekeep(s);
	if (st->queued)
		strat_flush(s);
	shm_gauge_set(s->m.pairs_open, st->pairs_open);
	strat_unhedged_time(s, &unh, &unh_max);
	shm_gauge_set(s->m.unhedged_ns, unh);
	shm_gauge_set(s->m.unhedged_max_ns, unh_max);
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct kimp_strat_coin *c = &st->coin[i];
		if (!s->conf->pair[i].on)
			continue;
		shm_gauge_set(s->m.unhedged_qty[i], c->unhedged);
		shm_gauge_set(s->m.unhedged_ms[i],
			      c->unhedged_since && s->now > (uint64_t)c->unhedged_since
				      ? (int64_t)((s->now - (uint64_t)c->unhedged_since) / 1000000)
				      : 0);
	}
	shm_metrics_heartbeat(s->metrics, s->now);
	if ((!s->md.ready || !s->verdicts.ready || !s->reports.ready) &&
	    s->now >= s->next_attach_ns) {
		s->next_attach_ns = s->now + ATTACH_EVERY;
		stratd_attach(s);
	}
}

/* ---- the loop ------------------------------------------------------------------- */

static int drain_verdicts(struct stratd *s)
{
	struct shm_ring_cons *c = &s->verdicts.cons;
	int n = 0;

	for (; n < BATCH; n++) {
		const struct kimp_verdict *v = shm_ring_peek(c);
		if (!v)
			break;
		s->turn_tsc = kimp_rdtsc();
		s->ev_tsc = v->h.ingress_tsc;
		if (v->h.type == KIMP_MSG_VERDICT)
			strat_on_verdict(s, v);
		else
			shm_counter_add(s->m.unknown, 1);
		shm_ring_commit(c);
	}
	return n;
}

static int drain_reports(struct stratd *s)
{
	struct shm_ring_cons *c = &s->reports.cons;
	int n = 0;

	for (; n < BATCH; n++) {
		const struct kimp_exec_report *r = shm_ring_peek(c);
		if (!r)
			break;
		s->turn_tsc = kimp_rdtsc();
		s->ev_tsc = r->h.ingress_tsc;
		if (r->h.type == KIMP_MSG_EXEC_REPORT)
			strat_on_report(s, r);
		else
			shm_counter_add(s->m.unknown, 1);
		shm_ring_commit(c);
	}
	return n;
}

static int drain_md(struct stratd *s)
{
	struct shm_ring_cons *c = &s->md.cons;
	int n = 0;

	for (; n < BATCH; n++) {
		const struct kimp_msg_hdr *h = shm_ring_peek(c);
		if (!h)
			break;
		s->turn_tsc = kimp_rdtsc();
		s->ev_tsc = h->ingress_tsc;
		strat_on_md(s, h, shm_ring_seq(c));
		shm_ring_commit(c);
	}
	return n;
}

int stratd_poll(struct stratd *s)
{
	int n = 0;

	s->now = stratd_clock(s);
	if (s->verdicts.ready)
		n += drain_verdicts(s);
	if (s->reports.ready)
		n += drain_reports(s);
	if (s->md.ready)
		n += drain_md(s);
	s->turn_tsc = 0;
	s->ev_tsc = 0;
	if (s->st->queued)
		strat_flush(s);
	if (s->now >= s->next_house_ns) {
		s->next_house_ns = s->now + s->conf->heartbeat_ns;
		strat_housekeep(s);
	}
	return n;
}

static bool inputs_ready(void *arg)
{
	struct stratd *s = arg;

	return (s->md.ready && shm_ring_ready(&s->md.cons)) ||
	       (s->verdicts.ready && shm_ring_ready(&s->verdicts.cons)) ||
	       (s->reports.ready && shm_ring_ready(&s->reports.cons));
}

void stratd_run(struct stratd *s)
{
	while (!s->stop) {
		if (stratd_poll(s)) {
			if (s->waiter_on)
				shm_wait_busy(&s->waiter);
			continue;
		}
		if (s->waiter_on) {
			shm_wait_idle(&s->waiter, inputs_ready, s);
		} else if (s->conf->wait == SHM_WAIT_SPIN) {
			kimp_cpu_relax();
		} else {
			/* no md ring yet: nothing to sleep on */
			struct timespec ts = { 0, (long)s->conf->idle_wait_ns };
			nanosleep(&ts, NULL);
		}
	}
}

/* ---- inputs ---------------------------------------------------------------------- */

static void input_say(struct strat_input *in, const char *what)
{
	if (in->said_waiting)
		return;
	in->said_waiting = true;
	kimp_log(KIMP_LOG_INFO, "waiting for %s %s%s%s", what, in->seg_name,
		 strcmp(what, "segment") ? "/" : "", strcmp(what, "segment") ? in->ring_name : "");
}

/* Attach one input: 0 when ready now. */
static int input_try(struct stratd *s, struct strat_input *in, uint32_t slot_min)
{
	int e;

	if (in->ready)
		return 0;
	if (!in->seg_open) {
		if ((e = shm_seg_attach(&in->seg, in->seg_name, &s->so))) {
			if (e == -EPROTO)
				kimp_log(KIMP_LOG_WARN, "%s: %s", in->seg_name, shm_last_error());
			input_say(in, "segment");
			return e;
		}
		in->seg_open = true;
	}
	if ((e = shm_ring_lookup(&in->seg, in->ring_name, &in->ring))) {
		input_say(in, "ring");
		return e;
	}
	if (in->ring->slot_size < slot_min) {
		if (!in->said_waiting)
			kimp_log(KIMP_LOG_WARN, "%s/%s: slots of %u bytes, messages need %u",
				 in->seg_name, in->ring_name, in->ring->slot_size, slot_min);
		in->said_waiting = true;
		return -EPROTO;
	}
	if ((e = shm_ring_consumer(in->ring, &in->cons))) {
		kimp_log(KIMP_LOG_WARN, "%s/%s: %s", in->seg_name, in->ring_name, strerror(-e));
		return e;
	}
	return 0;
}

static void md_attached(struct stratd *s)
{
	struct kimp_strat_state *st = s->st;

	/* a ring this state has not consumed (feedd's segment was made anew):
	 * its sequences start again, from where our consumer stands */
	if (st->md_salt != s->md.ring->salt) {
		for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++)
			if (s->conf->pair[i].on)
				strat_setu(s, &st->coin[i].md_seq, s->md.cons.tail);
		strat_setu(s, &st->md_salt, s->md.ring->salt);
		strat_commit(s);
	}
	s->md_next_seq = 0;
	strat_books_rescan(s);
	if (shm_waiter_init(&s->waiter, shm_ring_doorbell(s->md.ring), s->conf->wait,
			    s->conf->spin_ns, (int64_t)s->conf->idle_wait_ns, s->cal) == 0)
		s->waiter_on = true;
}

void stratd_attach(struct stratd *s)
{
	if (!s->md.ready && input_try(s, &s->md, sizeof(struct kimp_md_top)) == 0) {
		if (shm_seqtab_lookup(&s->md.seg, KIMP_BOOK_REGION, &s->books) ||
		    s->books->rec_size < sizeof(struct kimp_book)) {
			s->books = NULL;
			input_say(&s->md, "book table in");
		} else {
			s->md.ready = true;
			md_attached(s);
			kimp_log(KIMP_LOG_INFO, "attached to %s/%s and its %u books",
				 s->md.seg_name, s->md.ring_name, s->books->count);
		}
	}
	if (!s->verdicts.ready && input_try(s, &s->verdicts, sizeof(struct kimp_verdict)) == 0) {
		s->verdicts.ready = true;
		kimp_log(KIMP_LOG_INFO, "attached to %s/%s", s->verdicts.seg_name,
			 s->verdicts.ring_name);
	}
	if (!s->reports.ready && input_try(s, &s->reports, sizeof(struct kimp_exec_report)) == 0) {
		s->reports.ready = true;
		kimp_log(KIMP_LOG_INFO, "attached to %s/%s", s->reports.seg_name,
			 s->reports.ring_name);
	}
}

/* ---- setup ---------------------------------------------------------------------- */

static _Atomic uint64_t *counter(struct stratd *s, const char *name, bool *ok)
{
	_Atomic uint64_t *c = shm_metrics_counter(s->metrics, name);
	if (!c)
		*ok = false;
	return c;
}

static _Atomic int64_t *gauge(struct stratd *s, const char *name, bool *ok)
{
	_Atomic int64_t *g = shm_metrics_gauge(s->metrics, name);
	if (!g)
		*ok = false;
	return g;
}

static int metrics_setup(struct stratd *s)
{
	struct strat_metrics *m = &s->m;
	static const char *const kinds[3] = { "entry", "retry", "unwind" };
	static const char *const vk[4] = { "none", "approved", "trimmed", "rejected" };
	char n[SHM_METRIC_NAME];
	bool ok = true;

	m->md_events = counter(s, "md.events", &ok);
	m->md_dups = counter(s, "md.repeats", &ok);
	m->md_gaps = counter(s, "md.gaps", &ok);
	m->md_unknown = counter(s, "md.unknown", &ok);
	m->book_fail = counter(s, "md.book_read_failures", &ok);
	m->evals = counter(s, "evals", &ok);
	m->entries = counter(s, "entries", &ok);
	for (unsigned w = 0; w < STRAT_WHY_MAX; w++) {
		snprintf(n, sizeof(n), "evals.%s", strat_why_name(w));
		m->why[w] = counter(s, n, &ok);
	}
	m->intents = counter(s, "intents", &ok);
	for (unsigned k = 0; k < 3; k++) {
		snprintf(n, sizeof(n), "intents.%s", kinds[k]);
		m->intents_kind[k] = counter(s, n, &ok);
	}
	m->ring_full = counter(s, "intents.ring_full", &ok);
	m->verdicts = counter(s, "verdicts", &ok);
	for (unsigned k = 0; k < 4; k++) {
		snprintf(n, sizeof(n), "verdicts.%s", vk[k]);
		m->verdict_kind[k] = counter(s, n, &ok);
	}
	m->reports = counter(s, "reports", &ok);
	m->fills = counter(s, "fills", &ok);
	m->dups = counter(s, "repeats", &ok);
	m->unknown = counter(s, "unknown", &ok);
	m->fill_mismatch = counter(s, "fill_qty_mismatch", &ok);
	m->timeouts = counter(s, "legs.timeouts", &ok);
	m->deferred = counter(s, "legs.mend_deferred", &ok);
	m->pairs_done = counter(s, "pairs.done", &ok);
	m->pairs_mended = counter(s, "pairs.mended", &ok);
	m->pairs_stuck = counter(s, "pairs.stuck", &ok);
	m->dust = counter(s, "pairs.dust", &ok);
	m->cross_oid = counter(s, "verdicts.oid_mismatch", &ok);
	m->pairs_open = gauge(s, "pairs.open", &ok);
	m->unhedged_ns = gauge(s, "unhedged_ns", &ok);
	m->unhedged_max_ns = gauge(s, "unhedged_max_ns", &ok);
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct strat_pair_conf *pc = &s->conf->pair[i];
		if (!pc->on)
			continue;
		snprintf(n, sizeof(n), "coin.%s.unhedged", pc->coin);
		m->unhedged_qty[i] = gauge(s, n, &ok);
		snprintf(n, sizeof(n), "coin.%s.unhedged_age_ms", pc->coin);
		m->unhedged_ms[i] = gauge(s, n, &ok);
		snprintf(n, sizeof(n), "coin.%s.premium_ppm", pc->coin);
		m->prem_ppm[i] = gauge(s, n, &ok);
		snprintf(n, sizeof(n), "coin.%s.mean_ppm", pc->coin);
		m->mean_ppm[i] = gauge(s, n, &ok);
		snprintf(n, sizeof(n), "coin.%s.sd_ppm", pc->coin);
		m->sd_ppm[i] = gauge(s, n, &ok);
	}
	m->tick_to_intent = shm_metrics_hist(s->metrics, "tick_to_intent_ns");
	m->event_to_intent = shm_metrics_hist(s->metrics, "event_to_intent_ns");
	if (!m->tick_to_intent || !m->event_to_intent)
		ok = false;
	return ok ? 0 : -ENOSPC;
}

static void state_init(struct stratd *s, struct kimp_strat_state *st)
{
	const struct stratd_conf *conf = s->conf;
	uint64_t real = kimp_real_ns();

	memset(st, 0, sizeof(*st));
	st->version = KIMP_STRAT_VERSION;
	st->size = sizeof(*st);
	st->created_real_ns = real;
	st->conf_fp = conf->fp;
	st->id_base = (real / 1000000000ull) << 32;
	st->next_intent_id = st->id_base;
	st->next_pair_id = st->id_base;
	st->pushed = 0;
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct strat_pair_conf *pc = &conf->pair[i];
		if (!pc->on)
			continue;
		st->coin[i].krw_venue = pc->leg[0].venue;
		st->coin[i].usdt_venue = pc->leg[1].venue;
		st->coin[i].qty_dec = pc->qty_dec;
	}
	/* the magic last: a creation cut short is made again */
	atomic_signal_fence(memory_order_seq_cst);
	st->magic = KIMP_STRAT_MAGIC;
}

static int state_setup(struct stratd *s, char *err, size_t errlen)
{
	const struct shm_region_ent *e = shm_region_find(&s->seg, KIMP_STRAT_STATE_REGION);
	struct kimp_strat_state *st;
	void *p;
	int r;

	if (!e) {
		if ((r = shm_region_add(&s->seg, KIMP_STRAT_STATE_REGION, sizeof(*st),
					SHM_REGION_RAW, &p))) {
			ERR("segment %s: state: %s", s->conf->name, shm_last_error());
			return r;
		}
		st = p;
		state_init(s, st);
	} else {
		st = shm_region_ptr(&s->seg, e);
		if (e->size < sizeof(*st)) {
			ERR("segment %s: its state region is %llu bytes, this stratd's is %zu: "
			    "remove the segment (kimpctl shm rm %s) and start again", s->conf->name,
			    (unsigned long long)e->size, sizeof(*st), s->conf->name);
			return -EPROTO;
		}
		if (!st->magic) {
			state_init(s, st);
		} else if (st->magic != KIMP_STRAT_MAGIC || st->version != KIMP_STRAT_VERSION ||
			   st->size != sizeof(*st)) {
			ERR("segment %s: its state is of another version (%u, this stratd's %u): "
			    "remove the segment (kimpctl shm rm %s) and start again", s->conf->name,
			    st->version, KIMP_STRAT_VERSION, s->conf->name);
			return -EPROTO;
		} else if (st->conf_fp != s->conf->fp) {
			ERR("segment %s: its state was made for other pairs (the [pair.COIN] venues "
			    "or scales changed): remove the segment (kimpctl shm rm %s) and start "
			    "again", s->conf->name, s->conf->name);
			return -EPROTO;
		}
	}
	s->st = st;
	return 0;
}

/* The starting balances, from the configuration at every start. */
static void balances_load(struct stratd *s)
{
	const struct kimp_trade_conf *t = &s->conf->trade;

	for (unsigned v = 1; v < KIMP_STRAT_VENUES; v++) {
		const struct kimp_trade_venue *tv = &t->venue[v];
		if (!tv->present)
			continue;
		strat_set(s, &s->st->inv[v][0].start, tv->balance_quote);
		for (uint32_t i = 1; i < KIMP_STRAT_ASSETS; i++)
			strat_set(s, &s->st->inv[v][i].start, tv->inst[i].listed ? tv->inst[i].balance
										  : 0);
	}
	strat_commit(s);
}

int stratd_open(struct stratd *s, const struct stratd_conf *conf, const struct shm_opts *so,
		char *err, size_t errlen)
{
	size_t size;
	int e;

	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->so = *so;
	s->so.readonly = false;
	s->md.seg_name = conf->feedd;
	s->md.ring_name = "md";
	s->verdicts.seg_name = conf->riskd;
	s->verdicts.ring_name = "verdicts";
	s->reports.seg_name = conf->orderd;
	s->reports.ring_name = "rep.stratd";
	for (unsigned v = 0; v < KIMP_STRAT_VENUES; v++)
		for (unsigned i = 0; i < KIMP_STRAT_COINS; i++)
			s->slot[v][i] = -1;
	for (uint32_t i = 1; i < KIMP_STRAT_COINS; i++) {
		const struct strat_pair_conf *pc = &conf->pair[i];
		if (!pc->on)
			continue;
		s->all_coins |= 1u << i;
		s->affects[pc->leg[0].venue][i] |= 1u << i;
		s->affects[pc->leg[1].venue][i] |= 1u << i;
		if (pc->rate_inst)
			s->affects[pc->leg[0].venue][pc->rate_inst] |= 1u << i;
	}

	size = shm_ring_bytes(sizeof(struct kimp_intent), conf->ring_slots) +
	       sizeof(struct kimp_strat_state) + shm_metrics_bytes(96, 192, 4) +
	       kimp_log_bytes(0) + 8 * SHM_REGION_ALIGN;
	if ((e = shm_seg_open(&s->seg, conf->name, size, &s->so))) {
		ERR("segment %s: %s", conf->name, shm_last_error());
		return e;
	}
	s->seg_open = true;
	s->cal = shm_seg_tsc(&s->seg);
	if ((e = state_setup(s, err, errlen)))
		goto fail;
	e = shm_ring_lookup(&s->seg, KIMP_STRAT_INTENTS_REGION, &s->ring);
	if (e == -ENOENT)
		e = shm_ring_create(&s->seg, KIMP_STRAT_INTENTS_REGION, sizeof(struct kimp_intent),
				    conf->ring_slots, 0, NULL, &s->ring);
	if (!e && (s->ring->slot_count != conf->ring_slots ||
		   s->ring->slot_size != sizeof(struct kimp_intent)))
		e = -EPROTO;
	if (!e)
		e = shm_ring_producer(s->ring, &s->prod);
	if (e) {
		ERR("segment %s: intents ring: %s", conf->name,
		    e == -EPROTO ? "its size changed: remove the segment (kimpctl shm rm NAME) "
				   "and start again"
				 : shm_last_error());
		goto fail;
	}
	e = shm_metrics_lookup(&s->seg, KIMP_STRAT_METRICS_REGION, &s->metrics);
	if (e == -ENOENT)
		e = shm_metrics_create(&s->seg, KIMP_STRAT_METRICS_REGION, "stratd", 96, 192, 4,
				       &s->metrics);
	if (e) {
		ERR("segment %s: metrics: %s", conf->name, shm_last_error());
		goto fail;
	}
	shm_metrics_claim(s->metrics);
	if (kimp_log_open(&s->seg, "stratd", 0))
		kimp_log(KIMP_LOG_WARN, "segment %s: no log ring (%s): the log goes to stderr only",
			 conf->name, shm_last_error());
	if ((e = metrics_setup(s))) {
		ERR("segment %s: metrics region full", conf->name);
		goto fail;
	}
	s->now = stratd_clock(s);
	e = strat_recover(s);
	if (e < 0) {
		ERR("segment %s: the intents ring (at %llu) and the state (at %llu) disagree: "
		    "something else writes the ring; remove the segment and start again",
		    conf->name, (unsigned long long)s->prod.head,
		    (unsigned long long)s->st->pushed);
		goto fail;
	}
	if (e == 1)
		kimp_log(KIMP_LOG_INFO, "recovered: kept the transaction whose intent was pushed");
	balances_load(s);
	return 0;
fail:
	stratd_close(s);
	return e;
}

static void input_close(struct strat_input *in)
{
	if (in->seg_open)
		shm_seg_detach(&in->seg);
	in->seg_open = false;
	in->ready = false;
}

void stratd_close(struct stratd *s)
{
	if (s->waiter_on)
		shm_waiter_fini(&s->waiter);
	s->waiter_on = false;
	s->books = NULL;
	input_close(&s->md);
	input_close(&s->verdicts);
	input_close(&s->reports);
	if (s->seg_open) {
		kimp_log_close();
		shm_seg_detach(&s->seg);
	}
	s->seg_open = false;
	s->st = NULL;
}
