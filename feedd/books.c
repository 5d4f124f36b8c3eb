/* SPDX-License-Identifier: MIT */
/*
 * feedd's books: the shared record of each book (written under its seqlock,
 * header and the filled levels only), the md ring events (top of book,
 * trades, status changes) and status changes.
 *
 * Everything here runs on the hot loop: no allocation, no lock, no text, no
 * system call.
 */
#include <string.h>
#include "kimp/tsc.h"
#include "books.h"

/* Write the record's header and its filled levels under the seqlock. */
void fd_book_write(struct feedd *fd, struct fd_book *b)
{
	struct shm_seq *s = shm_seqtab_lock(fd->table, b->slot);
	struct kimp_book *dst = shm_seqtab_data(fd->table, b->slot);
	const struct kimp_book *r = &b->rec;

	shm_seq_write_begin(s);
	shm_seq_store(dst, r, offsetof(struct kimp_book, bids));
	shm_seq_store(dst->bids, r->bids, (size_t)r->nbids * sizeof(r->bids[0]));
	shm_seq_store(dst->asks, r->asks, (size_t)r->nasks * sizeof(r->asks[0]));
	shm_seq_write_end(s);
}

/*
 * Write only the record's header (update id, times, count): the levels in
 * the table are already the record's, so a reader still copies a book whose
 * levels and header belong together.
 */
void fd_book_write_head(struct feedd *fd, struct fd_book *b)
{
	struct shm_seq *s = shm_seqtab_lock(fd->table, b->slot);
	struct kimp_book *dst = shm_seqtab_data(fd->table, b->slot);

	shm_seq_write_begin(s);
	shm_seq_store(dst, &b->rec, offsetof(struct kimp_book, bids));
	shm_seq_write_end(s);
}

/* Reserve an event slot, or NULL (the ring is full: counted, flagged). */
static void *ev_reserve(struct feedd *fd)
{
	void *m = shm_ring_reserve(&fd->prod);
	if (kimp_unlikely(!m)) {
		fd->ring_gap = true;
		shm_counter_add(fd->c_ring_full, 1);
	}
	return m;
}

static void ev_hdr(struct feedd *fd, struct kimp_msg_hdr *h, unsigned type,
		   const struct fd_book *b, uint64_t tsc, int64_t venue_ts)
{
	h->type = (uint16_t)type;
	h->venue = b->rec.venue;
	h->flags = fd->ring_gap ? KIMP_MSG_F_GAP : 0;
	fd->ring_gap = false;
	h->inst = b->rec.inst;
	h->ingress_tsc = tsc;
	h->venue_ts_ns = venue_ts;
}

static void ev_publish(struct feedd *fd, struct feed *f, uint64_t tsc)
{
	shm_ring_publish(&fd->prod);
	shm_counter_add(fd->c_events, 1);
	if (tsc) {
		/* from the completion (shared by every message it carried), and
		 * from this message's own turn: feedd's cost per message */
		uint64_t now = kimp_rdtsc();
		uint64_t d = now > tsc ? now - tsc : 0;
		shm_hist_record_ticks(fd->h_cqe_to_pub, fd->cal, d);
		shm_hist_record_ticks(f->m.cqe_to_pub, fd->cal, d);
		if (fd->msg_tsc)
			shm_hist_record_ticks(fd->h_msg_to_pub, fd->cal,
					      now > fd->msg_tsc ? now - fd->msg_tsc : 0);
		if (fd->dec_tsc)
			shm_hist_record_ticks(fd->h_book, fd->cal,
					      now > fd->dec_tsc ? now - fd->dec_tsc : 0);
	}
}

void fd_book_status(struct feedd *fd, struct fd_book *b, unsigned status, unsigned reason,
		    uint64_t tsc, uint64_t now_ns)
{
	struct kimp_book *r = &b->rec;
	unsigned prev = r->status;

	if (prev == status && r->reason == reason)
		return;
	r->status = (uint8_t)status;
	r->reason = (uint16_t)reason;
	r->status_mono_ns = now_ns;
	fd_book_write(fd, b);
	shm_gauge_set(b->g_status, (int64_t)status);
	shm_counter_add(fd->c_status, 1);
	if (status == KIMP_BOOK_STALE)
		shm_counter_add(b->feed->m.stale_marks, 1);
	/* a new top must follow a status change before anyone acts on it */
	b->top_id = 0;
	b->top_bid = (struct kimp_level){ 0, 0 };
	b->top_ask = (struct kimp_level){ 0, 0 };

	struct kimp_md_status *m = ev_reserve(fd);
	if (!m)
		return;
	ev_hdr(fd, &m->h, KIMP_MSG_MD_STATUS, b, tsc ? tsc : kimp_rdtsc(), r->venue_ts_ns);
	m->status = (uint8_t)status;
	m->prev_status = (uint8_t)prev;
	m->reason = (uint16_t)reason;
	m->book_slot = b->slot;
	m->update_count = r->update_count;
	memset(m->pad, 0, sizeof(m->pad));
	ev_publish(fd, b->feed, 0);
}

void fd_book_top(struct feedd *fd, struct fd_book *b, const struct kimp_level *bid,
		 const struct kimp_level *ask, uint64_t id, uint64_t tsc, int64_t venue_ts)
{
	if (b->rec.status != KIMP_BOOK_LIVE)
		return;
	if (id && b->top_id && id <= b->top_id)
		return;    /* older than what was published */
	if (!memcmp(bid, &b->top_bid, sizeof(*bid)) && !memcmp(ask, &b->top_ask, sizeof(*ask))) {
		if (id)
			b->top_id = id;
		return;
	}
	b->top_bid = *bid;
	b->top_ask = *ask;
	if (id)
		b->top_id = id;
	struct kimp_md_top *m = ev_reserve(fd);
	if (!m)
		return;
	ev_hdr(fd, &m->h, KIMP_MSG_MD_TOP, b, tsc, venue_ts);
	m->bid_px = bid->px;
	m->bid_qty = bid->qty;
	m->ask_px = ask->px;
	m->ask_qty = ask->qty;
	ev_publish(fd, b->feed, tsc);
}

void fd_book_trade(struct feedd *fd, struct fd_book *b, const struct vd_msg *v, uint64_t tsc)
{
	struct kimp_md_trade *m = ev_reserve(fd);
	if (!m)
		return;
	ev_hdr(fd, &m->h, KIMP_MSG_MD_TRADE, b, tsc, v->trade_ts_ns ? v->trade_ts_ns
								 : v->venue_ts_ns);
	m->px = v->px;
	m->qty = v->qty;
	m->trade_id = v->trade_id;
	m->aggressor = v->aggressor;
	memset(m->pad, 0, sizeof(m->pad));
	ev_publish(fd, b->feed, 0);
}

/* The record's top levels from bids/asks (best first), at most KIMP_BOOK_LEVELS. */
void fd_book_set_levels(struct fd_book *b, const struct vd_level *bids, uint32_t nb,
			const struct vd_level *asks, uint32_t na)
{
	struct kimp_book *r = &b->rec;
	if (nb > KIMP_BOOK_LEVELS)
		nb = KIMP_BOOK_LEVELS;
	if (na > KIMP_BOOK_LEVELS)
		na = KIMP_BOOK_LEVELS;
	KIMP_STATIC_ASSERT(sizeof(struct vd_level) == sizeof(struct kimp_level),
			   "levels copy as they are");
	memcpy(r->bids, bids, nb * sizeof(r->bids[0]));
	memcpy(r->asks, asks, na * sizeof(r->asks[0]));
	r->nbids = (uint8_t)nb;
	r->nasks = (uint8_t)na;
}

bool fd_levels_crossed(const struct kimp_book *r)
{
	return r->nbids && r->nasks && r->bids[0].px >= r->asks[0].px;
}
