/* SPDX-License-Identifier: MIT */
/*
 * feedd's life cycle: make everything at startup (segment, book table, md
 * ring, metrics, loop, TLS, connections, books, recorder), start the feeds,
 * turn the loop, close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/log.h"
#include "kimp/tsc.h"
#include "books.h"
#include "dbook.h"
#include "recorder.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

#define WS_MAX_MSG      (1u << 20)   /* the largest WebSocket message taken */
#define REST_BODY_MAX   (4u << 20)   /* the largest snapshot body */
#define MSG_LEVELS_MIN  8192         /* levels a decoded message may carry */

static void stale_tick(struct net_timer *t)
{
	struct feedd *fd = t->arg;
	if (fd->stop)
		return;
	uint64_t now = net_now_ns();
	shm_metrics_heartbeat(fd->metrics, now);
	fd_housekeep(fd, now);
	net_timer_start(fd->loop, &fd->stale_timer, fd->conf->stale_check_ns);
}

static _Atomic uint64_t *counter(struct feedd *fd, const char *venue, const char *name)
{
	char n[SHM_METRIC_NAME];
	snprintf(n, sizeof(n), "%s.%s", venue, name);
	return shm_metrics_counter(fd->metrics, n);
}

static int feed_metrics(struct feedd *fd, struct feed *f)
{
	struct feed_metrics *m = &f->m;
	const char *v = f->md->name;
	char n[SHM_METRIC_NAME];

	m->msgs = counter(fd, v, "msgs");
	m->bytes = counter(fd, v, "bytes");
	for (unsigned k = 0; k < VD_KIND_MAX; k++) {
		snprintf(n, sizeof(n), "msgs.%s", vd_kind_name(k));
		m->kind[k] = counter(fd, v, n);
	}
	for (unsigned k = 0; k < VD_E_MAX; k++) {
		snprintf(n, sizeof(n), "decode_err.%s", vd_err_name(k));
		m->err[k] = counter(fd, v, n);
	}
	m->gaps = counter(fd, v, "gaps");
	m->crossed = counter(fd, v, "crossed");
	m->resyncs = counter(fd, v, "resyncs");
	m->stale_diffs = counter(fd, v, "stale_diffs");
	m->too_old = counter(fd, v, "snapshots_too_old");
	m->overflows = counter(fd, v, "sync_overflows");
	m->snap_req = counter(fd, v, "snapshots");
	m->snap_fail = counter(fd, v, "snapshot_failures");
	m->snap_bytes = counter(fd, v, "snapshot_bytes");
	m->checksums = counter(fd, v, "checksums_checked");
	m->checksum_fail = counter(fd, v, "checksum_failures");
	m->venue_resyncs = counter(fd, v, "venue_resyncs");
	m->resubscribes = counter(fd, v, "resubscribes");
	m->reconnects = counter(fd, v, "reconnects");
	m->connects = counter(fd, v, "connects");
	m->connect_fail = counter(fd, v, "connect_failures");
	m->rotations = counter(fd, v, "rotations");
	m->idle_drops = counter(fd, v, "idle_drops");
	m->stale_marks = counter(fd, v, "stale_marks");
	m->venue_errors = counter(fd, v, "venue_errors");
	m->shutdowns = counter(fd, v, "shutdown_notices");
	m->capture_drops = counter(fd, v, "capture_drops");
	snprintf(n, sizeof(n), "%s.msgs_per_s", v);
	if (!(m->rate = shm_metrics_gauge(fd->metrics, n)))
		return -ENOSPC;
	for (unsigned k = 1; k < VD_KIND_MAX; k++) {
		snprintf(n, sizeof(n), "%s.msgs_per_s.%s", v, vd_kind_name(k));
		if (!(m->kind_rate[k] = shm_metrics_gauge(fd->metrics, n)))
			return -ENOSPC;
	}
	snprintf(n, sizeof(n), "%s.snapshot_last_failure", v);
	m->snap_last_fail = shm_metrics_gauge(fd->metrics, n);
	if (!m->snap_last_fail)
		return -ENOSPC;
	snprintf(n, sizeof(n), "%s.cqe_to_publish_ns", v);
	m->cqe_to_pub = shm_metrics_hist(fd->metrics, n);

	_Atomic uint64_t **all = &m->msgs;
	for (_Atomic uint64_t **p = all; p <= &m->capture_drops; p++)
		if (!*p)
			return -ENOSPC;
	return m->cqe_to_pub ? 0 : -ENOSPC;
}

static uint32_t count_books(const struct feedd_conf *conf)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < conf->nfeeds; i++)
		n += conf->feeds[i].ncoins;
	return n;
}

static uint32_t engine_inst(const struct feedd_conf *conf, const char *coin)
{
	for (uint32_t i = 0; i < conf->ncoins; i++)
		if (!strcmp(conf->coins[i], coin))
			return i + 1;
	return 0;
}

/* The segment and its regions: found again after a restart, else made. */
static int shm_setup(struct feedd *fd, const struct shm_opts *so, uint32_t nbooks, char *err,
		     size_t errlen)
{
	const struct feedd_conf *conf = fd->conf;
	uint32_t ncount = 64 * conf->nfeeds + 16, ngauge = 2 * nbooks + 16 * conf->nfeeds + 16;
	uint32_t nhist = conf->nfeeds + 6;
	size_t size = shm_seqtab_bytes(sizeof(struct kimp_book), nbooks) +
		      shm_ring_bytes(sizeof(struct kimp_md_top), conf->ring_slots) +
		      shm_metrics_bytes(ncount, ngauge, nhist) + kimp_log_bytes(0) +
		      8 * SHM_REGION_ALIGN;
	int e;

	e = shm_seg_open(&fd->seg, conf->name, size, so);
	if (e) {
		ERR("segment %s: %s", conf->name, shm_last_error());
		return e;
	}
	fd->seg_open = true;
	e = shm_seqtab_lookup(&fd->seg, KIMP_BOOK_REGION, &fd->table);
	if (e == -ENOENT)
		e = shm_seqtab_create(&fd->seg, KIMP_BOOK_REGION, sizeof(struct kimp_book), nbooks,
				      &fd->table);
	if (!e && (fd->table->rec_size != sizeof(struct kimp_book) || fd->table->count != nbooks))
		e = -EPROTO;
	if (e) {
		ERR("segment %s: book table: %s", conf->name,
		    e == -EPROTO ? "it was made for another set of books (the configuration "
				   "changed): remove it (kimpctl shm rm NAME) and start again"
				 : shm_last_error());
		return e;
	}
	e = shm_ring_lookup(&fd->seg, FEEDD_RING_REGION, &fd->ring);
	if (e == -ENOENT)
		e = shm_ring_create(&fd->seg, FEEDD_RING_REGION, sizeof(struct kimp_md_top),
				    conf->ring_slots, SHM_RING_CONFLATE, NULL, &fd->ring);
	if (!e && fd->ring->slot_count != conf->ring_slots)
		e = -EPROTO;
	if (!e)
		e = shm_ring_producer(fd->ring, &fd->prod);
	if (e) {
		ERR("segment %s: md ring: %s", conf->name,
		    e == -EPROTO ? "its size changed: remove the segment (kimpctl shm rm NAME) and start again"
				 : shm_last_error());
		return e;
	}
	e = shm_metrics_lookup(&fd->seg, FEEDD_METRICS_REGION, &fd->metrics);
	if (e == -ENOENT)
		e = shm_metrics_create(&fd->seg, FEEDD_METRICS_REGION, "feedd", ncount, ngauge,
				       nhist, &fd->metrics);
	if (e) {
		ERR("segment %s: metrics: %s", conf->name, shm_last_error());
		return e;
	}
	shm_metrics_claim(fd->metrics);
	if (kimp_log_open(&fd->seg, "feedd", 0))
		kimp_log(KIMP_LOG_WARN, "segment %s: no log ring (%s): the log goes to stderr only",
			 conf->name, shm_last_error());
	fd->cal = shm_seg_tsc(&fd->seg);
	fd->c_events = shm_metrics_counter(fd->metrics, "md.events");
	fd->c_ring_full = shm_metrics_counter(fd->metrics, "md.ring_full");
	fd->c_status = shm_metrics_counter(fd->metrics, "md.status_changes");
	fd->h_cqe_to_pub = shm_metrics_hist(fd->metrics, "cqe_to_publish_ns");
	fd->h_msg_to_pub = shm_metrics_hist(fd->metrics, "msg_to_publish_ns");
	fd->h_decode = shm_metrics_hist(fd->metrics, "decode_ns");
	fd->h_book = shm_metrics_hist(fd->metrics, "book_ns");
	if (!fd->c_events || !fd->c_ring_full || !fd->c_status || !fd->h_cqe_to_pub ||
	    !fd->h_msg_to_pub || !fd->h_decode || !fd->h_book) {
		ERR("segment %s: metrics region full", conf->name);
		return -ENOSPC;
	}
	return 0;
}

static int feed_setup(struct feedd *fd, struct feed *f, struct feed_conf *fc, uint32_t *slot,
		      char *err, size_t errlen)
{
	const struct venue_md *md = fc->md;
	uint32_t ncap;
	int e;

	f->fd = fd;
	f->md = md;
	f->conf = fc;
	snprintf(f->venue_name, sizeof(f->venue_name), "%s", md->name);
	f->tab = calloc(1, sizeof(*f->tab));
	f->books = calloc(fc->ncoins, sizeof(*f->books));
	if (!f->tab || !f->books)
		return -ENOMEM;
	venue_symtab_init(f->tab, (enum kimp_venue)md->venue);
	for (uint32_t i = 0; i < fc->ncoins; i++) {
		e = venue_symtab_add(f->tab, fc->coins[i], fc->quote, fc->px_dec, fc->qty_dec,
				     engine_inst(fd->conf, fc->coins[i]));
		if (e < 0) {
			ERR("[venue.%s]: coin %s: no symbol for it (%s)", md->name, fc->coins[i],
			    strerror(-e));
			return e;
		}
	}
	if ((e = feed_metrics(fd, f))) {
		ERR("segment %s: metrics region full", fd->conf->name);
		return e;
	}
	/* decoded levels: enough for any snapshot or diff */
	ncap = fc->book_cap > MSG_LEVELS_MIN ? fc->book_cap : MSG_LEVELS_MIN;
	if (fc->snapshot_limit > ncap)
		ncap = fc->snapshot_limit;
	f->msg.bids = calloc(ncap, sizeof(struct vd_level));
	f->msg.asks = calloc(ncap, sizeof(struct vd_level));
	if (!f->msg.bids || !f->msg.asks)
		return -ENOMEM;
	f->msg.cap = ncap;

	/* connections: symbols spread round-robin */
	f->nconns = fc->conns < fc->ncoins ? fc->conns : fc->ncoins;
	for (uint32_t k = 0; k < f->nconns; k++) {
		struct fd_conn *c = &f->conns[k];
		c->feed = f;
		c->idx = k;
		c->active = -1;
		c->syms = calloc(fc->ncoins, sizeof(uint32_t));
		c->target = malloc(FEEDD_TARGET_MAX);
		c->submsg = malloc(FEEDD_TARGET_MAX);
		if (!c->syms || !c->target || !c->submsg)
			return -ENOMEM;
		for (uint32_t i = k; i < fc->ncoins; i += f->nconns)
			c->syms[c->nsyms++] = i;
		size_t pl = strlen(fc->ws.path);
		memcpy(c->target, fc->ws.path, pl);
		e = md->ws_target(f->tab, c->syms, c->nsyms, &fc->sub, c->target + pl,
				  FEEDD_TARGET_MAX - pl);
		if (e < 0) {
			ERR("[venue.%s]: connection %u: %s", md->name, k,
			    e == -E2BIG ? "too many streams for one connection: raise conns"
					: "the subscription does not fit");
			return -EINVAL;
		}
		/* every part must fit; the first says whether there is any */
		for (unsigned part = 0;; part++) {
			e = md->ws_subscribe(f->tab, c->syms, c->nsyms, &fc->sub, 0, part,
					     c->submsg, FEEDD_TARGET_MAX);
			if (e < 0) {
				ERR("[venue.%s]: connection %u: subscribe message %u does not fit",
				    md->name, k, part);
				return -EINVAL;
			}
			if (!part)
				c->submsg_len = (size_t)e;
			if (!e)
				break;
		}
		if ((e = net_backoff_init(&c->bo, &fc->backoff, kimp_rdtsc() ^ (k + 1) * 7919))) {
			ERR("[venue.%s]: bad backoff settings", md->name);
			return e;
		}
		for (int i = 0; i < 2; i++) {
			struct fd_ws *s = &c->slot[i];
			s->conn = c;
			s->buf_len = WS_CONN_BUF_SIZE(WS_MAX_MSG);
			s->buf = malloc(s->buf_len);
			if (!s->buf)
				return -ENOMEM;
			e = ws_conn_init(&s->ws, WS_CLIENT, fc->ws.tls ? fd->tls[f - fd->feeds] : NULL,
					 s->buf, s->buf_len, WS_MAX_MSG);
			if (e) {
				ERR("[venue.%s]: WebSocket setup: %s", md->name, strerror(-e));
				return e;
			}
		}
		for (uint32_t i = 0; i < c->nsyms; i++)
			f->books[c->syms[i]].conn = c;
	}

	/* books */
	for (uint32_t i = 0; i < fc->ncoins; i++) {
		struct fd_book *b = &f->books[i];
		const struct venue_sym *vs = &f->tab->sym[i];
		char n[SHM_METRIC_NAME];
		b->feed = f;
		b->sym = i;
		b->slot = (*slot)++;
		fd->book_by_slot[b->slot] = b;
		b->rec.venue = md->venue;
		b->rec.inst = vs->inst;
		b->rec.px_dec = vs->px_dec;
		b->rec.qty_dec = vs->qty_dec;
		b->rec.slot = b->slot;
		snprintf(n, sizeof(n), "book.%s.%s.age_ms", md->name, vs->name);
		b->g_age_ms = shm_metrics_gauge(fd->metrics, n);
		snprintf(n, sizeof(n), "book.%s.%s.status", md->name, vs->name);
		b->g_status = shm_metrics_gauge(fd->metrics, n);
		if (!b->g_age_ms || !b->g_status) {
			ERR("segment %s: metrics region full", fd->conf->name);
			return -ENOSPC;
		}
		if (md->book_mode == VENUE_BOOK_DIFF || md->book_mode == VENUE_BOOK_WS) {
			struct dbook_conf dc = {
				.cap = fc->book_cap,
				.buf_diffs = 4096,
				.buf_levels = 1u << 18,
				.backoff_min_ns = fc->snap_backoff_min_ns,
				.backoff_max_ns = fc->snap_backoff_max_ns,
				.stable_ns = 60000000000ull,
			};
			b->db = calloc(1, sizeof(*b->db));
			if (!b->db)
				return -ENOMEM;
			if ((e = dbook_init(b->db, &dc, kimp_rdtsc() ^ b->slot))) {
				ERR("[venue.%s]: book %s: %s", md->name, vs->name, strerror(-e));
				return e;
			}
		}
		/* whatever a previous run left is not to be acted on */
		b->rec.status = KIMP_BOOK_RESYNCING;
		b->rec.reason = KIMP_BOOK_R_START;
		b->rec.status_mono_ns = net_now_ns();
		fd_book_write(fd, b);
		shm_gauge_set(b->g_status, KIMP_BOOK_RESYNCING);
	}

	/* the REST client for snapshots */
	if (md->book_mode == VENUE_BOOK_DIFF) {
		struct http_client_cfg hc = { .timeout_ns = 10000000000ull, .pipeline = 4 };
		char hosthdr[160];
		hc.lim.max_body = REST_BODY_MAX;
		size_t bl = http_client_buf_size(&hc);
		f->rest_buf = malloc(bl);
		if (!f->rest_buf)
			return -ENOMEM;
		e = http_client_init(&f->rest, fc->rest.tls ? fd->tls[f - fd->feeds] : NULL, &hc,
				     f->rest_buf, bl);
		if (!e) {
			if ((fc->rest.tls && fc->rest.port == 443) || (!fc->rest.tls && fc->rest.port == 80))
				snprintf(hosthdr, sizeof(hosthdr), "%s", fc->rest.host);
			else
				snprintf(hosthdr, sizeof(hosthdr), "%s:%u", fc->rest.host,
					 fc->rest.port);
			e = net_http_tmpl_init(&f->snap_tmpl, "GET",
					       *fc->rest.path ? fc->rest.path : "/", hosthdr);
		}
		if (!e)
			e = net_http_tmpl_header(&f->snap_tmpl, "Accept", "application/json");
		if (e) {
			ERR("[venue.%s]: REST client setup: %s", md->name, strerror(-e));
			return e;
		}
		struct net_backoff_conf rb = fc->backoff;
		if ((e = net_backoff_init(&f->rest_bo, &rb, kimp_rdtsc() ^ 0x5eed))) {
			ERR("[venue.%s]: bad backoff settings", md->name);
			return e;
		}
	}
	return 0;
}

int feedd_open(struct feedd *fd, struct feedd_conf *conf, const struct shm_opts *so, char *err,
	       size_t errlen)
{
	uint32_t nbooks = count_books(conf), slot = 0, nconns = 0;
	int e;

	memset(fd, 0, sizeof(*fd));
	fd->conf = conf;
	if (nbooks > FEEDD_BOOKS_MAX) {
		ERR("%u books: at most %d", nbooks, FEEDD_BOOKS_MAX);
		return -EINVAL;
	}
	fd->nbooks = nbooks;
	if ((e = shm_setup(fd, so, nbooks, err, errlen)))
		goto fail;
	for (uint32_t i = 0; i < conf->nfeeds; i++)
		nconns += 2 * conf->feeds[i].conns + 1;
	struct net_loop_cfg lc = {
		.max_conns = nconns + 4,
		.buf_count = 256,
		.buf_size = 16384,
		.stage_size = 64 * 1024,
		.tx_size = 64 * 1024,
	};
	if ((e = net_loop_new(&fd->loop, &lc))) {
		ERR("io_uring: %s", strerror(-e));
		goto fail;
	}
	for (uint32_t i = 0; i < conf->nfeeds; i++) {
		struct feed_conf *fc = &conf->feeds[i];
		struct net_tls_conf tc = {
			.role = NET_TLS_CLIENT,
			.ca_file = *fc->ca_file ? fc->ca_file : NULL,
			.alpn = NULL,
		};
		char terr[256] = "";
		if ((e = net_tls_ctx_create(&tc, &fd->tls[i], terr, sizeof(terr)))) {
			ERR("[venue.%s]: TLS: %s", fc->md->name, terr);
			goto fail;
		}
	}
	fd->nfeeds = conf->nfeeds;
	for (uint32_t i = 0; i < conf->nfeeds; i++) {
		e = feed_setup(fd, &fd->feeds[i], &conf->feeds[i], &slot, err, errlen);
		if (e) {
			if (e == -ENOMEM)
				ERR("out of memory setting up %s", conf->feeds[i].md->name);
			goto fail;
		}
	}
	if (*conf->capture) {
		struct recorder_conf rc = {
			.path = conf->capture,
			.max_bytes = conf->capture_max_bytes,
			.keep = conf->capture_keep,
			.ring_bytes = conf->capture_ring_bytes,
		};
		if ((e = recorder_open(&fd->rec, &rc, err, errlen)))
			goto fail;
	}
	fd->stale_timer.fn = stale_tick;
	fd->stale_timer.arg = fd;
	return 0;
fail:
	feedd_close(fd);
	return e;
}

int feedd_start(struct feedd *fd, char *err, size_t errlen)
{
	int e;
	for (uint32_t i = 0; i < fd->nfeeds; i++)
		if ((e = fd_feed_start(&fd->feeds[i], err, errlen)))
			return e;
	return net_timer_start(fd->loop, &fd->stale_timer, fd->conf->stale_check_ns);
}

int feedd_poll(struct feedd *fd, uint64_t timeout_ns)
{
	return net_loop_run(fd->loop, timeout_ns);
}

void feedd_close(struct feedd *fd)
{
	fd->stop = 1;
	if (fd->loop) {
		net_timer_stop(&fd->stale_timer);
		for (uint32_t i = 0; i < fd->nfeeds; i++)
			fd_feed_stop(&fd->feeds[i]);
		/* let the closes go out (bounded) */
		for (int i = 0; i < 50; i++)
			if (net_loop_run(fd->loop, 10000000ull) < 0)
				break;
		net_loop_free(fd->loop);
		fd->loop = NULL;
	}
	if (fd->rec) {
		recorder_close(fd->rec);
		fd->rec = NULL;
	}
	for (uint32_t i = 0; i < FEEDD_VENUES_MAX; i++) {
		struct feed *f = &fd->feeds[i];
		if (f->books) {
			for (uint32_t k = 0; f->tab && k < f->tab->n; k++)
				if (f->books[k].db) {
					dbook_fini(f->books[k].db);
					free(f->books[k].db);
				}
		}
		for (uint32_t k = 0; k < FEEDD_CONNS_MAX; k++) {
			free(f->conns[k].syms);
			free(f->conns[k].target);
			free(f->conns[k].submsg);
			free(f->conns[k].slot[0].buf);
			free(f->conns[k].slot[1].buf);
		}
		free(f->books);
		free(f->tab);
		free(f->msg.bids);
		free(f->msg.asks);
		free(f->rest_buf);
		if (fd->tls[i])
			net_tls_ctx_destroy(fd->tls[i]);
		fd->tls[i] = NULL;
	}
	memset(fd->feeds, 0, sizeof(fd->feeds));
	if (fd->seg_open) {
		kimp_log_close();
		shm_seg_detach(&fd->seg);
	}
	fd->seg_open = false;
}
