/* SPDX-License-Identifier: MIT */
/*
 * One venue's feed: its connections (dial, subscribe, keepalive, planned
 * rotation with the new socket up before the old one goes, idle drop,
 * reconnect with backoff and jitter), the message path (decode, book,
 * events), depth snapshots over REST for diff venues, and the periodic
 * checks (stale books, due reconnects, pings, rotations, snapshots).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tsc.h"
#include "books.h"
#include "dbook.h"
#include "recorder.h"

/* ---- the message path ------------------------------------------------------ */

static struct fd_book *book_of(struct feed *f, const struct vd_msg *m)
{
	if (kimp_unlikely(m->sym == VENUE_SYM_NONE || m->sym >= f->tab->n))
		return NULL;
	return &f->books[m->sym];
}

/* A book whose data came on a connection that does not carry it is ignored. */
static inline bool carried(const struct fd_book *b, const struct fd_conn *c)
{
	return b->conn == c;
}

static void touch(struct fd_book *b, uint64_t tsc, uint64_t now, int64_t venue_ts)
{
	b->rec.recv_tsc = tsc;
	b->rec.recv_mono_ns = now;
	b->last_mono_ns = now;
	if (venue_ts)
		b->rec.venue_ts_ns = venue_ts;
	b->rec.update_count++;
}

/* A whole book (Upbit; partial depth where subscribed). */
static void on_full_book(struct feed *f, struct fd_book *b, const struct vd_msg *m,
			 uint64_t tsc, uint64_t now)
{
	struct feedd *fd = f->fd;

	/* a venue that numbers its books (Coinone's id): an older one is stale */
	if (m->last_id && m->last_id <= b->rec.update_id && b->rec.status == KIMP_BOOK_LIVE) {
		shm_counter_add(f->m.stale_diffs, 1);
		return;
	}
	fd_book_set_levels(b, m->bids, m->nbids, m->asks, m->nasks);
	touch(b, tsc, now, m->venue_ts_ns);
	if (m->last_id)
		b->rec.update_id = m->last_id;
	if (fd_levels_crossed(&b->rec)) {
		shm_counter_add(f->m.crossed, 1);
		fd_book_status(fd, b, KIMP_BOOK_RESYNCING, KIMP_BOOK_R_CROSSED, tsc, now);
		return;
	}
	if (b->rec.status != KIMP_BOOK_LIVE) {
		/* writes the record with its new levels */
		fd_book_status(fd, b, KIMP_BOOK_LIVE, KIMP_BOOK_R_NONE, tsc, now);
	} else {
		fd_book_write(fd, b);
	}
	struct kimp_level z = { 0, 0 };
	fd_book_top(fd, b, b->rec.nbids ? &b->rec.bids[0] : &z, b->rec.nasks ? &b->rec.asks[0] : &z,
		    0, tsc, m->venue_ts_ns);
}

/*
 * The diff book into the record and the table: its update id, times and
 * count always (the record says which update its levels are as of, even
 * when a diff only changed levels below the top the record holds), its top
 * levels and a top event when they changed (top) or the book goes live.
 */
static void diff_publish(struct feed *f, struct fd_book *b, bool top, uint64_t tsc,
			 uint64_t now, int64_t venue_ts)
{
	struct feedd *fd = f->fd;

	if (top) {
		unsigned nb, na;

		dbook_top(b->db, b->rec.bids, &nb, b->rec.asks, &na, KIMP_BOOK_LEVELS);
		b->rec.nbids = (uint8_t)nb;
		b->rec.nasks = (uint8_t)na;
	}
	b->rec.update_id = dbook_local_id(b->db);
	touch(b, tsc, now, venue_ts);
	if (b->rec.status != KIMP_BOOK_LIVE) {
		/* writes the whole record; a new top must follow */
		fd_book_status(fd, b, KIMP_BOOK_LIVE, KIMP_BOOK_R_NONE, tsc, now);
	} else if (top) {
		fd_book_write(fd, b);
	} else {
		fd_book_write_head(fd, b);
		return;
	}
	struct kimp_level z = { 0, 0 };
	fd_book_top(fd, b, b->rec.nbids ? &b->rec.bids[0] : &z,
		    b->rec.nasks ? &b->rec.asks[0] : &z, b->rec.update_id, tsc, venue_ts);
}

static void snap_pump(struct feed *f, uint64_t now);
static void diff_outcome(struct feed *f, struct fd_book *b, int r, unsigned top_changed,
			 uint64_t tsc, uint64_t now, int64_t venue_ts);

/* Throw b away for a new sync (reason) and ask for its snapshot. */
static void book_resync(struct feed *f, struct fd_book *b, unsigned reason, uint64_t tsc,
			uint64_t now)
{
	shm_counter_add(f->m.resyncs, 1);
	dbook_resync(b->db, now, reason);
	fd_book_status(f->fd, b, KIMP_BOOK_RESYNCING, reason, tsc, now);
	snap_pump(f, now);
}

/*
 * The venue's checksum of the book after m (OKX), where it sent one: a
 * book that disagrees is thrown away for a fresh snapshot. True when the
 * book stands.
 */
static bool checksum_ok(struct feed *f, struct fd_book *b, const struct vd_msg *m,
			uint64_t tsc, uint64_t now)
{
	struct kimp_level bids[FEEDD_CHECKSUM_MAX], asks[FEEDD_CHECKSUM_MAX];
	unsigned nb, na, depth = f->md->checksum_depth;

	if (kimp_likely(!m->checksum || !f->md->book_checksum))
		return true;
	if (!depth || depth > FEEDD_CHECKSUM_MAX)
		depth = FEEDD_CHECKSUM_MAX;
	dbook_top(b->db, bids, &nb, asks, &na, depth);
	shm_counter_add(f->m.checksums, 1);
	KIMP_STATIC_ASSERT(sizeof(struct kimp_level) == sizeof(struct vd_level),
			   "a book's levels are a decoder's");
	if (f->md->book_checksum((const struct vd_level *)bids, nb, (const struct vd_level *)asks,
				 na, b->rec.px_dec, b->rec.qty_dec) == m->checksum)
		return true;
	shm_counter_add(f->m.checksum_fail, 1);
	book_resync(f, b, KIMP_BOOK_R_GAP, tsc, now);
	return false;
}

/*
 * VENUE_BOOK_WS: a snapshot on the socket (the answer to a subscription,
 * or the venue restarting the book). Taken as the reply to the book's
 * snapshot request; one that repeats the live book's id is a repeat (a
 * socket replacing another, Bybit's unchanged-book resend) and is dropped.
 */
static void on_ws_snapshot(struct feed *f, struct fd_book *b, struct vd_msg *m, uint64_t tsc,
			   uint64_t now)
{
	unsigned top_changed = 0;

	if (dbook_live(b->db) && m->last_id == dbook_local_id(b->db) && !m->resync) {
		shm_counter_add(f->m.stale_diffs, 1);
		return;
	}
	if (dbook_state(b->db) != DBOOK_SYNC || !b->db->inflight) {
		dbook_resync(b->db, now, KIMP_BOOK_R_SNAPSHOT);
		dbook_snapshot_sent(b->db, now);
	}
	m->kind = VD_SNAPSHOT;  /* dbook's word for a whole book to sync from */
	int r = dbook_snapshot(b->db, m, now, &top_changed);
	m->kind = VD_BOOK;
	if (r == DB_LIVE && !checksum_ok(f, b, m, tsc, now))
		return;
	diff_outcome(f, b, r, top_changed, tsc, now, m->venue_ts_ns);
}

static struct fd_ws *other(struct fd_conn *c, struct fd_ws *s)
{
	return &c->slot[s == &c->slot[0]];
}

static bool other_live(struct fd_conn *c, struct fd_ws *s)
{
	return other(c, s)->state == FD_WS_LIVE;
}
static void slot_live(struct fd_ws *s, uint64_t now);
static void conn_rotate(struct fd_conn *c, uint64_t now);

/* What a dbook outcome means for the book. */
static void diff_outcome(struct feed *f, struct fd_book *b, int r, unsigned top_changed,
			 uint64_t tsc, uint64_t now, int64_t venue_ts)
{
	switch (r) {
	case DB_APPLIED:
		diff_publish(f, b, top_changed != 0, tsc, now, venue_ts);
		break;
	case DB_LIVE:
		diff_publish(f, b, true, tsc, now, venue_ts);
		break;
	case DB_GAP:
		shm_counter_add(f->m.gaps, 1);
		shm_counter_add(f->m.resyncs, 1);
		fd_book_status(f->fd, b, KIMP_BOOK_RESYNCING, KIMP_BOOK_R_GAP, tsc, now);
		snap_pump(f, now);
		break;
	case DB_CROSSED:
		shm_counter_add(f->m.crossed, 1);
		shm_counter_add(f->m.resyncs, 1);
		fd_book_status(f->fd, b, KIMP_BOOK_RESYNCING, KIMP_BOOK_R_CROSSED, tsc, now);
		snap_pump(f, now);
		break;
	case DB_STALE:
		shm_counter_add(f->m.stale_diffs, 1);
		break;
	case DB_TOO_OLD:
		shm_counter_add(f->m.too_old, 1);
		snap_pump(f, now);
		break;
	case DB_OVERFLOW:
		shm_counter_add(f->m.overflows, 1);
		snap_pump(f, now);
		break;
	case DB_BUFFERED:
		/* the first diffs of a sync: the snapshot may go now */
		if (!b->snap_inflight) {
			uint64_t due = dbook_snapshot_due(b->db);
			if (due && due <= now)
				snap_pump(f, now);
		}
		break;
	default: /* ignored */
		break;
	}
}

void fd_on_message(struct fd_ws *s, unsigned opcode, uint8_t *data, size_t len)
{
	struct fd_conn *c = s->conn;
	struct feed *f = c->feed;
	struct feedd *fd = f->fd;
	struct vd_msg *m = &f->msg;
	uint64_t tsc = net_loop_rx_tsc(fd->loop);
	uint64_t now = net_now_ns();

	fd->msg_tsc = kimp_rdtsc();
	fd->dec_tsc = 0;
	s->last_rx_ns = now;
	shm_counter_add(f->m.msgs, 1);
	shm_counter_add(f->m.bytes, len);
	if (fd->rec && kimp_unlikely(recorder_put(fd->rec, kimp_real_ns(), f->md->name, opcode,
						  data, len)))
		shm_counter_add(f->m.capture_drops, 1);

	vd_msg_reset(m);
	int err = f->md->decode(f->tab, data, len, m);
	if (kimp_unlikely(err)) {
		unsigned k = (unsigned)-err;
		shm_counter_add(f->m.err[k < VD_E_MAX ? k : 0], 1);
		return;
	}
	fd->dec_tsc = kimp_rdtsc();
	shm_hist_record_ticks(fd->h_decode, fd->cal, fd->dec_tsc - fd->msg_tsc);
	shm_counter_add(f->m.kind[m->kind < VD_KIND_MAX ? m->kind : 0], 1);

	/*
	 * The first data on a new socket: it serves the books now. A planned
	 * replacement of a diff venue's socket waits for a diff that continues
	 * the book (both sockets feed it meanwhile; update ids drop repeats),
	 * so the old socket goes only once the new one has picked up the chain.
	 */
	bool pending = kimp_unlikely(s->state == FD_WS_OPEN) && m->kind != VD_CONTROL &&
		       m->kind != VD_VENUE_ERROR;
	if (pending && (f->md->book_mode == VENUE_BOOK_FULL || !other_live(c, s))) {
		slot_live(s, now);
		pending = false;
	}

	struct fd_book *b;
	unsigned top_changed = 0;
	int r;
	switch (m->kind) {
	case VD_BOOK:
		if (!(b = book_of(f, m)) || !carried(b, c))
			return;
		if (f->md->book_mode == VENUE_BOOK_FULL)
			on_full_book(f, b, m, tsc, now);
		else if (f->md->book_mode == VENUE_BOOK_WS && m->snapshot)
			on_ws_snapshot(f, b, m, tsc, now);
		break;
	case VD_DIFF:
		if (!(b = book_of(f, m)) || !carried(b, c) || !b->db)
			return;
		if (kimp_unlikely(m->resync)) {
			/* the venue restarted the sequence: patching cannot follow it */
			shm_counter_add(f->m.venue_resyncs, 1);
			book_resync(f, b, KIMP_BOOK_R_GAP, tsc, now);
			return;
		}
		r = dbook_diff(b->db, m, now, &top_changed);
		if (r == DB_APPLIED && !checksum_ok(f, b, m, tsc, now))
			return;
		diff_outcome(f, b, r, top_changed, tsc, now, m->venue_ts_ns);
		if (pending && (r == DB_APPLIED || r == DB_STALE))
			slot_live(s, now);
		break;
	case VD_BBO:
		if (!(b = book_of(f, m)) || !carried(b, c))
			return;
		/* a top newer than the depth book's; only on a live book */
		fd_book_top(fd, b, (const struct kimp_level *)&m->bid,
			    (const struct kimp_level *)&m->ask, m->last_id, tsc, m->venue_ts_ns);
		break;
	case VD_TRADE:
		if (!(b = book_of(f, m)) || !carried(b, c))
			return;
		/* diff venues' trade ids rise: drop repeats while two sockets overlap */
		if (f->md->book_mode == VENUE_BOOK_DIFF) {
			if (m->trade_id <= b->last_trade_id)
				return;
			b->last_trade_id = m->trade_id;
		}
		fd_book_trade(fd, b, m, tsc);
		break;
	case VD_SHUTDOWN:
		shm_counter_add(f->m.shutdowns, 1);
		/* the venue will close this socket: replace it now */
		conn_rotate(c, now);
		break;
	case VD_VENUE_ERROR:
		shm_counter_add(f->m.venue_errors, 1);
		break;
	default: /* ticker, control */
		break;
	}
}

/* ---- connections ----------------------------------------------------------- */

static void ws_open(struct ws_conn *w, int err);

/* A venue's subscribe or unsubscribe builder (struct venue_md). */
typedef int (*fd_sub_fn)(const struct venue_symtab *t, const uint32_t *syms, uint32_t n,
			 const struct venue_sub *sub, uint64_t ticket, unsigned part, char *out,
			 size_t cap);

/* Send every part fn builds for syms[0..n) on w, each with a fresh ticket (Upbit). */
static void send_parts(struct feed *f, struct fd_conn *c, struct ws_conn *w, fd_sub_fn fn,
		       const uint32_t *syms, uint32_t n, const struct venue_sub *sub)
{
	for (unsigned part = 0; fn; part++) {
		int len = fn(f->tab, syms, n, sub, ++c->ticket, part, c->submsg, FEEDD_TARGET_MAX);
		if (len <= 0)
			break;
		ws_conn_send(w, WS_OP_TEXT, c->submsg, (size_t)len);
	}
}
static void ws_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len);
static void ws_close(struct ws_conn *w, unsigned code, int err);

const struct ws_conn_ops fd_ws_ops = {
	.on_open = ws_open,
	.on_message = ws_message,
	.on_close = ws_close,
};

static int slot_dial(struct fd_conn *c, struct fd_ws *s)
{
	struct feed *f = c->feed;
	const struct feed_conf *fc = f->conf;
	int err;

	err = ws_conn_connect(f->fd->loop, &s->ws, fc->ws.host, fc->ws.port,
			      (const struct sockaddr *)&c->addr, c->alen, c->target, NULL,
			      fc->connect_timeout_ns, &fd_ws_ops, s);
	shm_counter_add(f->m.connects, 1);
	if (err)
		return err;
	s->state = FD_WS_CONNECTING;
	s->retiring = false;
	s->last_rx_ns = net_now_ns();
	return 0;
}


/* Every book the connection carries: down (stale) or resyncing. */
static void conn_books_down(struct fd_conn *c, unsigned status, unsigned reason, uint64_t now)
{
	struct feed *f = c->feed;
	for (uint32_t i = 0; i < c->nsyms; i++) {
		struct fd_book *b = &f->books[c->syms[i]];
		if (b->db)
			dbook_resync(b->db, now, reason);
		fd_book_status(f->fd, b, status, reason, 0, now);
	}
}

/* Schedule the next attempt after a failure or a drop. */
static void conn_retry(struct fd_conn *c, uint64_t now)
{
	c->retry_at_ns = net_backoff_down(&c->bo, now);
	shm_counter_add(c->feed->m.reconnects, 1);
}

static void conn_try(struct fd_conn *c, uint64_t now)
{
	struct fd_ws *s = c->slot[0].state == FD_WS_IDLE ? &c->slot[0] : &c->slot[1];
	uint64_t at;

	/* only for a connection with no socket up or on its way */
	for (int i = 0; i < 2; i++)
		if (c->slot[i].state == FD_WS_CONNECTING || c->slot[i].state == FD_WS_OPEN ||
		    c->slot[i].state == FD_WS_LIVE) {
			c->retry_at_ns = 0;
			return;
		}
	if (s->state != FD_WS_IDLE)
		return;
	if (net_backoff_attempt(&c->bo, now, &at)) {
		c->retry_at_ns = at;
		return;
	}
	c->retry_at_ns = 0;
	if (slot_dial(c, s)) {
		shm_counter_add(c->feed->m.connect_fail, 1);
		conn_retry(c, now);
	}
}

static void slot_live(struct fd_ws *s, uint64_t now)
{
	struct fd_conn *c = s->conn;
	struct fd_ws *o = other(c, s);

	s->state = FD_WS_LIVE;
	s->opened_ns = now;
	c->active = (int)(s - c->slot);
	net_backoff_up(&c->bo, now);
	if (o->state != FD_WS_IDLE && o->state != FD_WS_CLOSING) {
		/* the planned replacement is up: the old socket goes */
		o->retiring = true;
		o->state = FD_WS_CLOSING;
		shm_counter_add(c->feed->m.rotations, 1);
		ws_conn_close(&o->ws, WS_CLOSE_NORMAL);
	}
}

static void conn_rotate(struct fd_conn *c, uint64_t now)
{
	struct fd_ws *a = c->active >= 0 ? &c->slot[c->active] : NULL;
	if (!a || a->state != FD_WS_LIVE)
		return;
	struct fd_ws *o = other(c, a);
	if (o->state != FD_WS_IDLE)
		return;
	if (slot_dial(c, o)) {
		shm_counter_add(c->feed->m.connect_fail, 1);
		return;
	}
	(void)now;
}

static void ws_open(struct ws_conn *w, int err)
{
	struct fd_ws *s = ws_conn_user(w);
	struct fd_conn *c = s->conn;
	struct feed *f = c->feed;
	uint64_t now = net_now_ns();

	if (err) {
		s->state = FD_WS_IDLE;
		shm_counter_add(f->m.connect_fail, 1);
		/* a failed replacement leaves the live socket serving */
		if (!(c->active >= 0 && c->slot[c->active].state == FD_WS_LIVE))
			conn_retry(c, now);
		return;
	}
	s->state = FD_WS_OPEN;
	s->last_rx_ns = now;
	c->next_ping_ns = now + f->conf->ping_every_ns;
	if (c->submsg_len)
		send_parts(f, c, w, f->md->ws_subscribe, c->syms, c->nsyms, &f->conf->sub);
	/* books of a connection that was down resync on the new one */
	if (!(c->active >= 0 && c->slot[c->active].state == FD_WS_LIVE)) {
		c->active = -1;
		conn_books_down(c, KIMP_BOOK_RESYNCING, KIMP_BOOK_R_RECONNECT, now);
		/* the subscription just sent asks for every book's snapshot */
		for (uint32_t i = 0; f->md->book_mode == VENUE_BOOK_WS && i < c->nsyms; i++) {
			struct fd_book *b = &f->books[c->syms[i]];
			dbook_snapshot_sent(b->db, now);
			b->ws_snap_ns = now;
		}
	}
}

static void ws_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct fd_ws *s = ws_conn_user(w);
	if (s->state == FD_WS_CLOSING)
		return;
	fd_on_message(s, opcode, data, len);
}

static void ws_close(struct ws_conn *w, unsigned code, int err)
{
	struct fd_ws *s = ws_conn_user(w);
	struct fd_conn *c = s->conn;
	uint64_t now = net_now_ns();
	bool was_active = c->active == (int)(s - c->slot);
	bool retiring = s->retiring;

	s->state = FD_WS_IDLE;
	s->retiring = false;
	if (retiring)
		return;   /* replaced by the other slot */
	struct fd_ws *o = other(c, s);
	if (o->state == FD_WS_LIVE) {
		c->active = (int)(o - c->slot);
		return;
	}
	if (was_active || o->state == FD_WS_IDLE) {
		c->active = -1;
		if (c->feed->fd->stop)
			return;
		conn_books_down(c, KIMP_BOOK_STALE, KIMP_BOOK_R_FEED_DOWN, now);
		conn_retry(c, now);
	}
	(void)code;
	(void)err;
}

/* ---- depth snapshots (diff venues) ---------------------------------------- */

static bool snap_budget(struct feed *f, uint64_t now)
{
	uint32_t lim = f->conf->snapshots_per_min;
	uint64_t oldest = f->snap_stamps[f->snap_head % lim];
	return !oldest || now - oldest >= 60000000000ull;
}

static void snap_send(struct feed *f, struct fd_book *b, uint64_t now)
{
	struct net_http_req *r = http_client_req_begin(&f->rest, &f->snap_tmpl);
	char tgt[256];

	if (!r)
		return;
	int n = f->md->snapshot_target(f->tab, b->sym, f->conf->snapshot_limit, tgt, sizeof(tgt));
	if (n <= 0 || (size_t)n >= sizeof(tgt))
		return;
	/* the template holds the URL's path prefix, or "/" when it has none */
	size_t skip = *f->conf->rest.path ? 0 : 1;
	net_http_req_put(r, tgt + skip, (size_t)n - skip);
	if (http_client_send(&f->rest, b->sym))
		return;
	b->snap_inflight = true;
	f->snap_inflight++;
	dbook_snapshot_sent(b->db, now);
	f->snap_stamps[f->snap_head++ % f->conf->snapshots_per_min] = now;
	shm_counter_add(f->m.snap_req, 1);
}

/*
 * VENUE_BOOK_WS: ask for b's snapshot on its live socket: end its book
 * stream and subscribe it again (the venue answers with a snapshot).
 */
static void ws_resubscribe(struct feed *f, struct fd_book *b, uint64_t now)
{
	struct fd_conn *c = b->conn;
	struct venue_sub sub = f->conf->sub;
	struct ws_conn *w = &c->slot[c->active].ws;

	sub.bbo = sub.trades = sub.ticker = false;
	sub.book = true;
	send_parts(f, c, w, f->md->ws_unsubscribe, &b->sym, 1, &sub);
	send_parts(f, c, w, f->md->ws_subscribe, &b->sym, 1, &sub);
	dbook_snapshot_sent(b->db, now);
	b->ws_snap_ns = now;
	shm_counter_add(f->m.resubscribes, 1);
}

/* VENUE_BOOK_WS: a snapshot asked for and not come within 10 s failed. */
static void ws_snap_timeouts(struct feed *f, uint64_t now)
{
	for (uint32_t i = 0; i < f->tab->n; i++) {
		struct fd_book *b = &f->books[i];
		if (!b->db->inflight)
			b->ws_snap_ns = 0;
		else if (!b->ws_snap_ns)
			b->ws_snap_ns = now;
		else if (now - b->ws_snap_ns > FEEDD_WS_SNAP_TIMEOUT_NS) {
			shm_counter_add(f->m.snap_fail, 1);
			dbook_snapshot_failed(b->db, now);
			b->ws_snap_ns = 0;
		}
	}
}

/* Send the snapshot requests that are due, within the budget. */
static void snap_pump(struct feed *f, uint64_t now)
{
	if (f->md->book_mode == VENUE_BOOK_WS) {
		for (uint32_t i = 0; i < f->tab->n; i++) {
			struct fd_book *b = &f->books[i];
			uint64_t due = dbook_snapshot_due(b->db);
			if (!due || due > now || !b->conn || b->conn->active < 0 ||
			    b->conn->slot[b->conn->active].state != FD_WS_LIVE)
				continue;
			if (!snap_budget(f, now))
				return;
			ws_resubscribe(f, b, now);
		}
		return;
	}
	if (f->md->book_mode != VENUE_BOOK_DIFF || !http_client_can_send(&f->rest))
		return;
	for (uint32_t i = 0; i < f->tab->n && http_client_can_send(&f->rest); i++) {
		struct fd_book *b = &f->books[i];
		uint64_t due = dbook_snapshot_due(b->db);
		if (b->snap_inflight || !due || due > now)
			continue;
		/* only for a book whose diff stream is flowing */
		if (!b->conn || b->conn->active < 0)
			continue;
		if (!snap_budget(f, now))
			return;
		snap_send(f, b, now);
	}
}

static void rest_open(struct http_client *h, int err)
{
	struct feed *f = http_client_user(h);
	uint64_t now = net_now_ns();
	if (err) {
		f->rest_retry_at_ns = net_backoff_down(&f->rest_bo, now);
		return;
	}
	net_backoff_up(&f->rest_bo, now);
	snap_pump(f, now);
}

static void rest_response(struct http_client *h, const struct http_client_resp *r)
{
	struct feed *f = http_client_user(h);
	uint64_t now = net_now_ns();
	f->fd->msg_tsc = kimp_rdtsc();
	f->fd->dec_tsc = 0; /* a snapshot: not in the per-message split */
	if (r->id >= f->tab->n)
		return;
	struct fd_book *b = &f->books[r->id];
	b->snap_inflight = false;
	f->snap_inflight--;
	if (r->err || r->status != 200 || !r->body.p) {
		shm_counter_add(f->m.snap_fail, 1);
		shm_gauge_set(f->m.snap_last_fail, r->err ? r->err : r->status);
		dbook_snapshot_failed(b->db, now);
		if (b->rec.status == KIMP_BOOK_RESYNCING)
			b->rec.reason = KIMP_BOOK_R_SNAPSHOT, fd_book_write(f->fd, b);
		return;
	}
	shm_counter_add(f->m.snap_bytes, r->body.len);
	vd_msg_reset(&f->msg);
	int err = f->md->decode_snapshot(f->tab, b->sym, (const uint8_t *)r->body.p, r->body.len,
					 &f->msg);
	if (err) {
		unsigned k = (unsigned)-err;
		shm_counter_add(f->m.err[k < VD_E_MAX ? k : 0], 1);
		shm_counter_add(f->m.snap_fail, 1);
		shm_gauge_set(f->m.snap_last_fail, -1000 - k);
		dbook_snapshot_failed(b->db, now);
		return;
	}
	unsigned top_changed = 0;
	int out = dbook_snapshot(b->db, &f->msg, now, &top_changed);
	diff_outcome(f, b, out, top_changed, net_loop_rx_tsc(f->fd->loop), now, 0);
	snap_pump(f, now);
}

static void rest_close(struct http_client *h, int err)
{
	struct feed *f = http_client_user(h);
	uint64_t now = net_now_ns();
	(void)err;
	if (f->fd->stop)
		return;
	f->rest_retry_at_ns = now + net_backoff_delay(&f->rest_bo);
}

static const struct http_client_ops rest_ops = {
	.on_open = rest_open,
	.on_response = rest_response,
	.on_close = rest_close,
};

static void rest_try(struct feed *f, uint64_t now)
{
	if (http_client_state(&f->rest) != HTTP_CLIENT_IDLE)
		return;
	uint64_t at;
	if (net_backoff_attempt(&f->rest_bo, now, &at)) {
		f->rest_retry_at_ns = at;
		return;
	}
	f->rest_retry_at_ns = 0;
	if (http_client_connect(f->fd->loop, &f->rest, f->conf->rest.host, f->conf->rest.port,
				(const struct sockaddr *)&f->rest_addr, f->rest_alen,
				f->conf->connect_timeout_ns, &rest_ops, f))
		f->rest_retry_at_ns = net_backoff_down(&f->rest_bo, now);
}

/* ---- housekeeping ---------------------------------------------------------- */

static void conn_housekeep(struct fd_conn *c, uint64_t now)
{
	struct feed *f = c->feed;
	const struct feed_conf *fc = f->conf;

	if (c->retry_at_ns && now >= c->retry_at_ns)
		conn_try(c, now);
	for (int i = 0; i < 2; i++) {
		struct fd_ws *s = &c->slot[i];
		if ((s->state == FD_WS_OPEN || s->state == FD_WS_LIVE) && fc->idle_reconnect_ns &&
		    now - s->last_rx_ns > fc->idle_reconnect_ns) {
			/* up but silent: replace it */
			shm_counter_add(f->m.idle_drops, 1);
			s->state = FD_WS_CLOSING;
			ws_conn_close(&s->ws, WS_CLOSE_GOING_AWAY);
		}
	}
	if (f->md->ping_text && fc->ping_every_ns && now >= c->next_ping_ns) {
		c->next_ping_ns = now + fc->ping_every_ns;
		for (int i = 0; i < 2; i++)
			if (c->slot[i].state == FD_WS_OPEN || c->slot[i].state == FD_WS_LIVE)
				ws_conn_send(&c->slot[i].ws, WS_OP_TEXT, f->md->ping_text,
					     strlen(f->md->ping_text));
	}
	if (fc->rotate_after_ns && c->active >= 0) {
		struct fd_ws *a = &c->slot[c->active];
		if (a->state == FD_WS_LIVE && now - a->opened_ns >= fc->rotate_after_ns)
			conn_rotate(c, now);
	}
}

void fd_housekeep(struct feedd *fd, uint64_t now)
{
	for (uint32_t i = 0; i < fd->nfeeds; i++) {
		struct feed *f = &fd->feeds[i];
		for (uint32_t k = 0; k < f->nconns; k++)
			conn_housekeep(&f->conns[k], now);
		if (f->md->book_mode == VENUE_BOOK_DIFF) {
			if (f->rest_retry_at_ns && now >= f->rest_retry_at_ns)
				rest_try(f, now);
			snap_pump(f, now);
		} else if (f->md->book_mode == VENUE_BOOK_WS) {
			ws_snap_timeouts(f, now);
			snap_pump(f, now);
		}
		/* messages per second, per venue and per kind, once a second */
		if (now - f->m.rate_at_ns >= 1000000000ull) {
			uint64_t dt = now - f->m.rate_at_ns, c = atomic_load(f->m.msgs);
			if (f->m.rate_at_ns)
				shm_gauge_set(f->m.rate, (int64_t)((c - f->m.rate_msgs) * 1000000000ull / dt));
			f->m.rate_msgs = c;
			for (unsigned k = 1; k < VD_KIND_MAX; k++) {
				c = atomic_load(f->m.kind[k]);
				if (f->m.rate_at_ns)
					shm_gauge_set(f->m.kind_rate[k],
						      (int64_t)((c - f->m.rate_kind[k]) * 1000000000ull / dt));
				f->m.rate_kind[k] = c;
			}
			f->m.rate_at_ns = now;
		}
		/* quiet books go stale; ages for the operator */
		for (uint32_t k = 0; k < f->tab->n; k++) {
			struct fd_book *b = &f->books[k];
			uint64_t age = b->last_mono_ns ? now - b->last_mono_ns : 0;
			shm_gauge_set(b->g_age_ms, (int64_t)(age / 1000000));
			if (b->rec.status == KIMP_BOOK_LIVE && age > f->conf->stale_after_ns)
				fd_book_status(fd, b, KIMP_BOOK_STALE, KIMP_BOOK_R_QUIET, 0, now);
		}
	}
}

/* ---- start / stop ---------------------------------------------------------- */

int fd_feed_start(struct feed *f, char *err, size_t errlen)
{
	const struct feed_conf *fc = f->conf;
	uint64_t now = net_now_ns();
	int e;

	for (uint32_t k = 0; k < f->nconns; k++) {
		struct fd_conn *c = &f->conns[k];
		e = net_resolve(fc->ws.host, fc->ws.port, &c->addr, &c->alen);
		if (e) {
			snprintf(err, errlen, "%s: cannot resolve %s:%u: %s", f->md->name,
				 fc->ws.host, fc->ws.port, strerror(-e));
			return e;
		}
		c->retry_at_ns = now;
		conn_try(c, now);
	}
	if (f->md->book_mode == VENUE_BOOK_DIFF) {
		e = net_resolve(fc->rest.host, fc->rest.port, &f->rest_addr, &f->rest_alen);
		if (e) {
			snprintf(err, errlen, "%s: cannot resolve %s:%u: %s", f->md->name,
				 fc->rest.host, fc->rest.port, strerror(-e));
			return e;
		}
		rest_try(f, now);
	}
	return 0;
}

void fd_feed_stop(struct feed *f)
{
	for (uint32_t k = 0; k < f->nconns; k++)
		for (int i = 0; i < 2; i++) {
			struct fd_ws *s = &f->conns[k].slot[i];
			if (s->state != FD_WS_IDLE && s->state != FD_WS_CLOSING) {
				s->state = FD_WS_CLOSING;
				ws_conn_close(&s->ws, WS_CLOSE_GOING_AWAY);
			}
		}
	if (f->md->book_mode == VENUE_BOOK_DIFF)
		http_client_close(&f->rest);
}
