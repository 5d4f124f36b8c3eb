/* SPDX-License-Identifier: MIT */
/*
 * The in-process part: for each case (a venue's order placement on one
 * channel), what orderd does between popping riskd's order and handing
 * the bytes to the socket, one order at a time on one pinned core:
 *
 *   journal   a JR_ORDER record filled from the kimp_order and appended
 *             (journal_append into a temp journal, sync none)
 *   build     the vo_order made from it, the request built and signed by
 *             the venue's table: REST through its template and
 *             net_http_req_finish, ws-api into a buffer
 *   frame     ws-api: the WebSocket frame sealed in place (client mask)
 *   tls       the bytes sealed into TLS records (net_tls_write to a sink)
 *
 * Every order has its own client_oid and price, every request is checked
 * (length > 0). A journal that fills is rotated between two orders,
 * outside the timing. journal_sync = always is measured on its own:
 * append + journal_commit (msync) per order in cfg->journal_dir.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "kimp/http.h"
#include "kimp/msg.h"
#include "kimp/tsc.h"
#include "kimp/venue_ord.h"
#include "kimp/ws.h"
#include "../../orderd/core.h"
#include "../common/bench_util.h"
#include "obench.h"

const char *const ob_case_name[OB_NCASES] = {
	"upbit.rest", "binance.wsapi", "binance.rest",
};

const char *const ob_case_what[OB_NCASES] = {
	"Upbit POST /v1/orders (limit IOC bid KRW-BTC): JWT HS512 with the SHA-512 query_hash "
	"of the body's query string",
	"Binance ws-api order.place (limit IOC BUY BTCUSDT): HMAC-SHA256 over the sorted "
	"params; WebSocket text frame, client-masked",
	"Binance POST /api/v3/order (limit IOC BUY BTCUSDT): HMAC-SHA256 signature param "
	"(the REST fallback)",
};

const char *const ob_piece_name[OB_NPIECES] = {
	"journal", "build_sign", "ws_frame", "tls", "total",
};

/* Not real keys: the Python pipeline's secret, a made-up access key. */
static const char bench_secret[] =
	"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char bench_api_key[] =
	"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";

#define REQ_CAP   (NET_HTTP_TMPL_LINE_MAX + NET_HTTP_TMPL_HDRS_MAX + NET_HTTP_BODY_STAGE + 2048)
#define JR_FILE   (64u << 20)

struct ob_venue_setup {
	const struct venue_ord *vo;
	struct venue_symtab syms;
	struct vo_keys keys;
	struct vo_ctx ctx;
	struct net_http_tmpl tmpl;
	enum vo_chan ch;
	struct ws_tx tx;
};

static const struct venue_ord *case_vo(enum ob_case c)
{
	return c == OB_UPBIT_REST ? &venue_ord_upbit : &venue_ord_binance;
}

static void snap_none(void *arg, struct journal *j)
{
	(void)arg;
	(void)j;
}

/* A fresh directory for journals under parent: 0 or -errno. */
static int mk_jdir(const char *parent, char *dir, size_t cap)
{
	snprintf(dir, cap, "%s/kimp-obench-XXXXXX", parent);
	if (!mkdtemp(dir)) {
		int e = -errno;

		fprintf(stderr, OB_PROG ": mkdtemp %s: %s\n", dir, strerror(errno));
		dir[0] = 0;
		return e;
	}
	return 0;
}

static void rm_jdir(const char *dir)
{
	char cmd[400];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, OB_PROG ": could not remove %s\n", dir);
}

static int setup(enum ob_case c, struct ob_venue_setup *s, char *why, size_t wcap)
{
	const struct venue_ord *vo = case_vo(c);
	bool upbit = c == OB_UPBIT_REST;
	int e;

	memset(s, 0, sizeof(*s));
	s->vo = vo;
	s->ch = c == OB_BINANCE_WSAPI ? VO_CH_WSAPI : VO_CH_REST;
	if (!vo->key_init || (s->ch == VO_CH_REST && (!vo->rest_tmpl || !vo->rest_build)) ||
	    (s->ch == VO_CH_WSAPI && !vo->ws_build)) {
		snprintf(why, wcap, "libvenue's %s table has no %s yet", vo->name,
			 s->ch == VO_CH_REST ? "rest_build" : "ws_build");
		return -ENOSYS;
	}
	venue_symtab_init(&s->syms, (enum kimp_venue)vo->venue);
	e = venue_symtab_add(&s->syms, "BTC", upbit ? "KRW" : "USDT", 8, 8, 1);
	if (e < 0) {
		snprintf(why, wcap, "venue_symtab_add %s BTC: %s", vo->name, strerror(-e));
		return e;
	}
	e = vo->key_init(&s->keys, bench_api_key, bench_secret, sizeof(bench_secret) - 1, NULL);
	if (e) {
		snprintf(why, wcap, "%s key_init: %s", vo->name, strerror(-e));
		return e;
	}
	s->ctx.vo = vo;
	s->ctx.syms = &s->syms;
	s->ctx.keys = &s->keys;
	memcpy(s->ctx.prefix, "kimp", 5);
	s->ctx.prefix_len = 4;
	s->ctx.recv_window_ms = 5000;
	vo_ctx_seed(&s->ctx);
	if (s->ch == VO_CH_REST) {
		e = vo->rest_tmpl(&s->ctx, VO_OP_PLACE, upbit ? "api.upbit.com" : "api.binance.com",
				  &s->tmpl);
		if (e) {
			snprintf(why, wcap, "%s rest_tmpl(PLACE): %s", vo->name, strerror(-e));
			return e;
		}
	} else {
		e = ws_tx_init(&s->tx, WS_CLIENT);
		if (e) {
			snprintf(why, wcap, "ws_tx_init: %s", strerror(-e));
			return e;
		}
	}
	return 0;
}

/* riskd's order number i, as it would sit in the ring. */
static void make_order(enum ob_case c, uint64_t i, struct kimp_order *k)
{
	bool upbit = c == OB_UPBIT_REST;

	memset(k, 0, sizeof(*k));
	k->h.type = KIMP_MSG_ORDER_NEW;
	k->h.venue = upbit ? KIMP_VENUE_UPBIT : KIMP_VENUE_BINANCE;
	k->h.inst = 1;
	k->h.seq = i + 1;
	k->h.ingress_tsc = kimp_rdtsc();
	k->client_oid = (1763700000ull << 32) + i + 1;
	k->intent_id = i + 1;
	k->pair_id = i / 2 + 1;
	/* KRW 140,001,000 stepping by 1000; USDT 101,000.10 stepping by 0.01 */
	k->px = upbit ? (140001000ll + (int64_t)(i % 512) * 1000) * 100000000ll :
			(10100010ll + (int64_t)(i % 512)) * 1000000ll;
	k->qty = 1000000;       /* 0.01 BTC */
	k->side = KIMP_SIDE_BUY;
	k->tif = KIMP_TIF_IOC;
	k->leg = 1;
	k->kind = KIMP_INTENT_ENTRY;
	k->strategy = 1;
}

/* orderd's JR_ORDER record of k (what its order path fills). */
static inline void jr_of(const struct kimp_order *k, struct jr_rec *r)
{
	memset(&r->u, 0, sizeof(r->u));
	r->type = JR_ORDER;
	r->client_oid = k->client_oid;
	r->u.o.intent_id = k->intent_id;
	r->u.o.pair_id = k->pair_id;
	r->u.o.px = k->px;
	r->u.o.qty = k->qty;
	r->u.o.ring_seq = k->h.seq;
	r->u.o.ingress_tsc = k->h.ingress_tsc;
	r->u.o.inst = k->h.inst;
	r->u.o.strategy = k->strategy;
	r->u.o.venue = k->h.venue;
	r->u.o.side = k->side;
	r->u.o.tif = k->tif;
	r->u.o.type = VO_LIMIT;
	r->u.o.leg = k->leg;
	r->u.o.kind = k->kind;
	r->u.o.state = KIMP_ORD_NEW;
}

static inline void vo_of(const struct kimp_order *k, struct vo_order *o)
{
	*o = (struct vo_order){
		.coid = k->client_oid, .sym = 0, .side = k->side, .type = VO_LIMIT,
		.tif = k->tif, .px = k->px, .qty = k->qty,
	};
}

/* Build (and frame) the request of k in s: the bytes to hand to TLS, or NULL. */
struct req_out {
	uint8_t *p;
	size_t len;
	int err;
	const char *where;
};

static void put_sample(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 5 < cap; i++) {
		uint8_t ch = p[i];

		if (ch == '\r')
			continue;
		if (ch == '\n' || (ch >= 0x20 && ch < 0x7f))
			dst[j++] = (char)ch;
		else
			j += (size_t)snprintf(dst + j, cap - j, "\\x%02x", ch);
	}
	dst[j] = 0;
}

/*
 * One round (or the warm-up when samples is NULL) of n orders of case c.
 * samples[p][i]: ticks of piece p of order i. 0 or -errno (said in why).
 */
static int run_orders(enum ob_case c, struct ob_venue_setup *s, struct journal *j,
		      struct ob_tls *tls, uint64_t first, uint64_t n, uint64_t **samples,
		      struct ob_case_res *res, char *why, size_t wcap)
{
	static uint8_t buf[REQ_CAP + WS_MAX_HDR];
	struct net_http_req r;
	struct kimp_order k;
	struct vo_order o;
	struct jr_rec rec;
	uint64_t tls0 = tls ? ob_tls_out(tls) : 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0, t1, t2, t3, t4, seq;
		uint8_t *frame = buf + WS_MAX_HDR;
		ssize_t len;
		int e;

		make_order(c, first + i, &k);
		t0 = kimp_rdtscp();
		jr_of(&k, &rec);
		seq = journal_append(j, &rec);
		t1 = kimp_rdtscp();
		if (!seq) {
			/* full: rotate outside the timing and take this order again */
			e = journal_rotate(j, snap_none, NULL);
			if (e) {
				snprintf(why, wcap, "journal_rotate: %s", strerror(-e));
				return e;
			}
			i--;
			continue;
		}
		vo_of(&k, &o);
		if (s->ch == VO_CH_REST) {
			e = net_http_req_start(&r, &s->tmpl, buf, REQ_CAP);
			if (!e)
				e = s->vo->rest_build(&s->ctx, VO_OP_PLACE, &o, &r);
			len = e ? e : net_http_req_finish(&r);
			frame = buf;
		} else {
			len = s->vo->ws_build(&s->ctx, VO_CH_WSAPI, VO_OP_PLACE, &o, first + i + 1,
					      (char *)buf + WS_MAX_HDR, REQ_CAP);
		}
		t2 = kimp_rdtscp();
		if (len <= 0) {
			snprintf(why, wcap, "%s %s build of order %llu: %s", s->vo->name,
				 s->ch == VO_CH_REST ? "rest" : "ws", (unsigned long long)(first + i),
				 len ? strerror((int)-len) : "empty");
			return len ? (int)len : -EPROTO;
		}
		if (s->ch == VO_CH_WSAPI) {
			len = ws_tx_seal(&s->tx, buf + WS_MAX_HDR, (size_t)len, WS_MAX_HDR,
					 WS_OP_TEXT, true, &frame);
			if (len <= 0) {
				snprintf(why, wcap, "ws_tx_seal: %s", strerror((int)-len));
				return len ? (int)len : -EPROTO;
			}
		}
		t3 = kimp_rdtscp();
		if (tls) {
			e = ob_tls_write(tls, frame, (size_t)len);
			if (e) {
				snprintf(why, wcap, "net_tls_write: %s", strerror(-e));
				return e;
			}
		}
		t4 = kimp_rdtscp();
		if (samples) {
			samples[OB_P_JOURNAL][i] = t1 - t0;
			samples[OB_P_BUILD][i] = t2 - t1;
			samples[OB_P_FRAME][i] = t3 - t2;
			samples[OB_P_TLS][i] = t4 - t3;
			samples[OB_P_TOTAL][i] = t4 - t0;
		}
		if (i + 1 == n) {
			res->bytes = (uint64_t)len;
			if (s->ch == VO_CH_WSAPI)
				put_sample(res->sample, sizeof(res->sample), buf + WS_MAX_HDR,
					   (size_t)len - (size_t)(buf + WS_MAX_HDR - frame));
			else
				put_sample(res->sample, sizeof(res->sample), buf, (size_t)len);
		}
	}
	if (tls && n)
		res->tls_bytes = (ob_tls_out(tls) - tls0) / n;
	return 0;
}

static int jopen(struct journal *j, const char *dir, enum jr_sync sync, size_t size)
{
	struct journal_cfg jc = {
		.dir = dir, .name = "obench", .file_size = size, .sync = sync,
	};
	char msg[300] = "";
	int e = journal_open(j, &jc, msg, sizeof(msg));

	if (e)
		fprintf(stderr, OB_PROG ": journal_open %s: %s (%s)\n", dir, strerror(-e), msg);
	return e;
}

static double tsc_ns_per_tick(void)
{
	struct kimp_tsc_cal cal;

	if (kimp_tsc_calibrate(&cal, 200000000ull))
		return 1.0;
	if (cal.flags & KIMP_TSC_FALLBACK)
		return 1.0;
	return 1e9 / (double)cal.tsc_hz;
}

static double timer_overhead(double nspt)
{
	uint64_t s[4096];

	for (unsigned i = 0; i < 4096; i++) {
		uint64_t a = kimp_rdtscp();

		s[i] = kimp_rdtscp() - a;
	}
	qsort(s, 4096, sizeof(s[0]), bu_u64_cmp);
	return (double)s[2048] * nspt;
}

static void fs_name(const char *dir, char *out, size_t cap)
{
	struct statfs sf;

	if (statfs(dir, &sf)) {
		snprintf(out, cap, "unknown");
		return;
	}
	switch ((unsigned long)sf.f_type) {
	case 0x01021994: snprintf(out, cap, "tmpfs"); break;
	case 0xEF53: snprintf(out, cap, "ext4"); break;
	case 0x58465342: snprintf(out, cap, "xfs"); break;
	case 0x9123683E: snprintf(out, cap, "btrfs"); break;
	case 0x794c7630: snprintf(out, cap, "overlayfs"); break;
	default: snprintf(out, cap, "0x%lx", (unsigned long)sf.f_type); break;
	}
}

/* journal_sync = always: append + commit per order, rounds of sync_iters. */
static int run_sync(const struct ob_cfg *cfg, double nspt, struct ob_sync_res *sr)
{
	char dir[300];
	struct journal j;
	uint64_t *s = NULL;
	int e;

	sr->iters = cfg->sync_iters;
	e = mk_jdir(cfg->journal_dir, dir, sizeof(dir));
	if (e)
		return e;
	fs_name(dir, sr->fs, sizeof(sr->fs));
	e = jopen(&j, dir, JR_SYNC_ALWAYS, JR_FILE);
	if (e)
		goto out_dir;
	s = calloc(cfg->sync_iters, sizeof(*s));
	if (!s) {
		e = -ENOMEM;
		goto out_j;
	}
	for (unsigned round = 0; round < cfg->rounds; round++) {
		for (uint64_t i = 0; i < cfg->sync_iters; i++) {
			struct kimp_order k;
			struct jr_rec rec;
			uint64_t t0, seq;

			make_order(OB_BINANCE_WSAPI, round * cfg->sync_iters + i, &k);
			t0 = kimp_rdtscp();
			jr_of(&k, &rec);
			seq = journal_append(&j, &rec);
			e = seq ? journal_commit(&j) : -ENOSPC;
			s[i] = kimp_rdtscp() - t0;
			if (e) {
				snprintf(sr->skip, sizeof(sr->skip), "journal append+commit: %s",
					 strerror(-e));
				goto out_s;
			}
		}
		ob_stats_of(s, cfg->sync_iters, nspt, &sr->round[round]);
		sr->rounds = round + 1;
	}
	ob_stats_median(sr->round, sr->rounds, sizeof(sr->round[0]), &sr->med);
	sr->ok = true;
out_s:
	free(s);
out_j:
	journal_close(&j);
out_dir:
	rm_jdir(dir);
	return e;
}

int ob_inproc_run(const struct ob_cfg *cfg, struct ob_results *r)
{
	static struct ob_venue_setup st[OB_NCASES];
	struct journal j[OB_NCASES];
	bool jon[OB_NCASES] = { false };
	struct ob_tls *tls = NULL;
	uint64_t *samples[OB_NPIECES] = { NULL };
	char dir[300] = "";
	double nspt;
	int err = 0;

	if (bu_pin(cfg->cpu[0]))
		fprintf(stderr, OB_PROG ": could not pin to CPU %d: running unpinned\n",
			cfg->cpu[0]);
	nspt = tsc_ns_per_tick();
	r->tsc_ghz = 1.0 / nspt;
	r->timer_ns = timer_overhead(nspt);
	if (!cfg->no_tls) {
		err = ob_tls_open(&tls, r->tls_suite, sizeof(r->tls_suite));
		if (err)
			return err;
	}
	err = mk_jdir(cfg->journal_dir, dir, sizeof(dir));
	if (err)
		goto out;
	for (unsigned p = 0; p < OB_NPIECES; p++) {
		samples[p] = calloc(cfg->iters, sizeof(uint64_t));
		if (!samples[p]) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (unsigned c = 0; c < OB_NCASES; c++) {
		struct ob_case_res *cr = &r->c[c];

		if (setup((enum ob_case)c, &st[c], cr->skip, sizeof(cr->skip)))
			continue;
		char jd[340];

		snprintf(jd, sizeof(jd), "%s/%s", dir, ob_case_name[c]);
		err = jopen(&j[c], jd, JR_SYNC_NONE, JR_FILE);
		if (err)
			goto out;
		jon[c] = true;
		cr->ok = true;
	}
	/* rounds outermost, the cases in turn, so drift hits every case alike */
	for (unsigned round = 0; round < cfg->rounds; round++) {
		for (unsigned c = 0; c < OB_NCASES; c++) {
			struct ob_case_res *cr = &r->c[c];
			uint64_t first = (uint64_t)round * (cfg->iters + cfg->warmup);

			if (!cr->ok)
				continue;
			err = run_orders((enum ob_case)c, &st[c], &j[c], tls, first, cfg->warmup,
					 NULL, cr, cr->skip, sizeof(cr->skip));
			struct rusage ru0, ru1;

			getrusage(RUSAGE_THREAD, &ru0);
			if (!err)
				err = run_orders((enum ob_case)c, &st[c], &j[c], tls,
						 first + cfg->warmup, cfg->iters, samples, cr,
						 cr->skip, sizeof(cr->skip));
			getrusage(RUSAGE_THREAD, &ru1);
			cr->minflt[round] = (double)(ru1.ru_minflt - ru0.ru_minflt) /
					    (double)cfg->iters;
			if (err) {
				fprintf(stderr, OB_PROG ": %s: %s\n", ob_case_name[c], cr->skip);
				goto out;
			}
			for (unsigned p = 0; p < OB_NPIECES; p++)
				ob_stats_of(samples[p], cfg->iters, nspt, &cr->round[round][p]);
			cr->rounds = round + 1;
		}
	}
	for (unsigned c = 0; c < OB_NCASES; c++) {
		double f[OB_MAX_ROUNDS];

		memcpy(f, r->c[c].minflt, sizeof(f));
		r->c[c].minflt_med = r->c[c].ok ? bu_median(f, r->c[c].rounds) : 0;
	}
	for (unsigned c = 0; c < OB_NCASES; c++)
		for (unsigned p = 0; p < OB_NPIECES; p++)
			if (r->c[c].ok)
				ob_stats_median(&r->c[c].round[0][p], r->c[c].rounds,
						sizeof(r->c[c].round[0]), &r->c[c].med[p]);
	if (cfg->sync_iters) {
		err = run_sync(cfg, nspt, &r->sync);
		if (err) {
			fprintf(stderr, OB_PROG ": journal_sync always: %s\n",
				r->sync.skip[0] ? r->sync.skip : strerror(-err));
			goto out;
		}
	}
out:
	for (unsigned c = 0; c < OB_NCASES; c++)
		if (jon[c])
			journal_close(&j[c]);
	for (unsigned p = 0; p < OB_NPIECES; p++)
		free(samples[p]);
	rm_jdir(dir);
	if (tls)
		ob_tls_close(tls);
	return err;
}
