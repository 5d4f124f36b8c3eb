/* SPDX-License-Identifier: MIT */
/*
 * feedd's message path (fd_on_message: decode, book, shared table, md ring,
 * counters, histograms) makes no system call and allocates nothing. A child
 * runs Binance diffs, book tickers and trades and Upbit books through it
 * under a seccomp filter that kills it on any system call but exit; the
 * heap's in-use bytes are compared before and after.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "../testutil.h"
#include "../jail.h"
#include "../../feedd/books.h"
#include "../../feedd/dbook.h"

TENV_SEG_FIXTURE("fdhot", 8 << 20)

TestSuite(feedd_hotpath, .init = setup, .fini = teardown);

#define NMSG 600

static struct feedd_conf conf;
static struct feedd fd;
static char *msgs[2][NMSG];
static size_t lens[2][NMSG];


/* A feed of one venue, books in the fixture segment, no sockets. */
static struct feed *feed_make(unsigned idx, const struct venue_md *md, const char *quote)
{
	struct feed *f = &fd.feeds[idx];
	struct feed_conf *fc = &conf.feeds[idx];
	fc->md = md;
	strcpy(fc->quote, quote);
	fc->px_dec = fc->qty_dec = 8;
	fc->stale_after_ns = 5000000000ull;
	f->fd = &fd;
	f->md = md;
	f->conf = fc;
	f->tab = calloc(1, sizeof(*f->tab));
	f->books = calloc(2, sizeof(*f->books));
	venue_symtab_init(f->tab, (enum kimp_venue)md->venue);
	cr_assert_geq(venue_symtab_add(f->tab, "BTC", quote, 8, 8, 1), 0);
	cr_assert_geq(venue_symtab_add(f->tab, "ETH", quote, 8, 8, 2), 0);
	_Atomic uint64_t **all = &f->m.msgs;
	for (_Atomic uint64_t **p = all; p <= &f->m.capture_drops; p++)
		*p = shm_metrics_counter(fd.metrics, "x");
	for (unsigned k = 0; k < VD_KIND_MAX; k++)
		f->m.kind[k] = shm_metrics_counter(fd.metrics, "x");
	for (unsigned k = 0; k < VD_E_MAX; k++)
		f->m.err[k] = shm_metrics_counter(fd.metrics, "x");
	f->m.snap_last_fail = shm_metrics_gauge(fd.metrics, "g");
	f->m.cqe_to_pub = shm_metrics_hist(fd.metrics, "h");
	f->msg.cap = 8192;
	f->msg.bids = calloc(8192, sizeof(struct vd_level));
	f->msg.asks = calloc(8192, sizeof(struct vd_level));
	f->nconns = 1;
	struct fd_conn *c = &f->conns[0];
	c->feed = f;
	c->active = 0;
	c->slot[0].conn = c;
	c->slot[0].state = FD_WS_LIVE;
	for (uint32_t i = 0; i < 2; i++) {
		struct fd_book *b = &f->books[i];
		b->feed = f;
		b->sym = i;
		b->slot = idx * 2 + i;
		b->conn = c;
		b->rec.venue = md->venue;
		b->rec.inst = i + 1;
		b->rec.px_dec = b->rec.qty_dec = 8;
		b->rec.status = KIMP_BOOK_RESYNCING;
		b->g_age_ms = b->g_status = shm_metrics_gauge(fd.metrics, "g");
	}
	return f;
}

static void setup_fd(void)
{
	cr_assert_eq(shm_seqtab_create(&seg, KIMP_BOOK_REGION, sizeof(struct kimp_book), 4,
				       &fd.table), 0);
	cr_assert_eq(shm_ring_create(&seg, "md", 64, 1024, SHM_RING_CONFLATE, NULL, &fd.ring), 0);
	cr_assert_eq(shm_ring_producer(fd.ring, &fd.prod), 0);
	cr_assert_eq(shm_metrics_create(&seg, "metrics", "test", 16, 16, 4, &fd.metrics), 0);
	fd.cal = shm_seg_tsc(&seg);
	fd.c_events = fd.c_ring_full = fd.c_status = shm_metrics_counter(fd.metrics, "c");
	fd.h_cqe_to_pub = fd.h_msg_to_pub = fd.h_decode = fd.h_book =
		shm_metrics_hist(fd.metrics, "hh");
	struct net_loop_cfg lc = { .max_conns = 2, .buf_count = 4, .buf_size = 4096,
				   .stage_size = 4096, .tx_size = 4096 };
	cr_assert_eq(net_loop_new(&fd.loop, &lc), 0);
	fd.conf = &conf;
	fd.nfeeds = 2;
	conf.nfeeds = 2;
}

/* Binance: a live depth book, then diffs that continue it, tickers, trades. */
static void binance_msgs(struct feed *f)
{
	struct fd_book *b = &f->books[0];
	struct dbook_conf dc = { .cap = 256, .buf_diffs = 64, .buf_levels = 4096,
				 .backoff_min_ns = 1000000, .backoff_max_ns = 10000000,
				 .stable_ns = 1000000000ull };
	b->db = calloc(1, sizeof(*b->db));
	cr_assert_eq(dbook_init(b->db, &dc, 1), 0);
	dbook_resync(b->db, 1, KIMP_BOOK_R_START);
	dbook_snapshot_sent(b->db, 2);
	const char *snap = "{\"lastUpdateId\":100,\"bids\":[[\"100.00\",\"1.0\"],[\"99.00\",\"2.0\"]],"
			   "\"asks\":[[\"101.00\",\"1.5\"],[\"102.00\",\"3\"]]}";
	vd_msg_reset(&f->msg);
	cr_assert_eq(f->md->decode_snapshot(f->tab, 0, (const uint8_t *)snap, strlen(snap),
					    &f->msg), 0);
	cr_assert_eq(dbook_snapshot(b->db, &f->msg, 3, NULL), DB_LIVE);
	b->rec.status = KIMP_BOOK_LIVE;
	for (int i = 0; i < NMSG; i++) {
		char buf[512];
		/* diffs continue the chain one id at a time; tickers carry the same ids */
		uint64_t u = 101 + (uint64_t)i / 3;
		switch (i % 3) {
		case 0:
			snprintf(buf, sizeof(buf),
				 "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\","
				 "\"E\":1700000000%03d,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,"
				 "\"b\":[[\"100.%02d000000\",\"1.%d0000000\"]],\"a\":[[\"101.%02d000000\","
				 "\"0.00000000\"],[\"103.00000000\",\"2.00000000\"]]}}",
				 i % 1000, (unsigned long long)u, (unsigned long long)u, i % 50,
				 i % 9, 50 + i % 50);
			break;
		case 1:
			snprintf(buf, sizeof(buf),
				 "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":%llu,"
				 "\"s\":\"BTCUSDT\",\"b\":\"100.%02d000000\",\"B\":\"1.00000000\","
				 "\"a\":\"101.00000000\",\"A\":\"2.00000000\"}}",
				 (unsigned long long)u, i % 50);
			break;
		default:
			snprintf(buf, sizeof(buf),
				 "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\","
				 "\"E\":1700000000123,\"s\":\"BTCUSDT\",\"t\":%d,\"p\":\"100.50000000\","
				 "\"q\":\"0.01000000\",\"T\":1700000000122,\"m\":true,\"M\":true}}",
				 1000 + i);
			break;
		}
		msgs[0][i] = strdup(buf);
		lens[0][i] = strlen(buf);
	}
}

static void upbit_msgs(void)
{
	for (int i = 0; i < NMSG; i++) {
		char buf[512];
		snprintf(buf, sizeof(buf),
			 "{\"ty\":\"orderbook\",\"cd\":\"KRW-ETH\",\"tms\":17000000%05d,"
			 "\"tas\":3.0,\"tbs\":2.0,\"obu\":[{\"ap\":5001000.0,\"bp\":%d.0,"
			 "\"as\":1.5,\"bs\":0.25},{\"ap\":5002000.0,\"bp\":4990000.0,\"as\":1.5,"
			 "\"bs\":1.75}],\"st\":\"REALTIME\",\"lv\":0}",
			 i, 4999000 + (i % 10) * 100);
		msgs[1][i] = strdup(buf);
		lens[1][i] = strlen(buf);
	}
}

static int run_all(struct feed *bn, struct feed *up, int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < NMSG; i++) {
			fd_on_message(&bn->conns[0].slot[0], WS_OP_TEXT, (uint8_t *)msgs[0][i],
				      lens[0][i]);
			fd_on_message(&up->conns[0].slot[0], WS_OP_BINARY, (uint8_t *)msgs[1][i],
				      lens[1][i]);
			/* drain the ring as a consumer would (here: by moving the tail) */
			atomic_store(&fd.ring->tail, fd.prod.head);
		}
	return 0;
}

static bool vdso_clock(void)
{
	char cs[64] = "";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (!fgets(cs, sizeof(cs), f))
			cs[0] = 0;
		fclose(f);
	}
	return !strncmp(cs, "tsc", 3) || !strncmp(cs, "kvm-clock", 9);
}

Test(feedd_hotpath, decode_book_and_publish_make_no_syscall_and_allocate_nothing)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizer runtimes make their own syscalls");
#endif
	if (!vdso_clock())
		cr_skip_test("the clock source has no vDSO fast path: clock_gettime is a syscall");
	setup_fd();
	struct feed *bn = feed_make(0, &venue_md_binance, "USDT");
	struct feed *up = feed_make(1, &venue_md_upbit, "KRW");
	binance_msgs(bn);
	upbit_msgs();
	/* warm: every path once, outside the jail */
	run_all(bn, up, 1);
	uint64_t ev0 = fd.prod.head;
	cr_assert_gt(ev0, 0, "events were published");
	struct kimp_book b;
	cr_assert_eq(shm_seqtab_read(fd.table, 0, &b, 100), 0);
	cr_assert_eq(b.status, KIMP_BOOK_LIVE);
	cr_assert_eq(b.update_id, 100 + NMSG / 3, "every diff continued the book");

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;
		if (test_jail())
			_exit(2);
		run_all(bn, up, 20);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, fd.prod.head > ev0 ? 0 : 4);
	}
	cr_assert_eq(test_wait_child(pid), 0,
		     "the message path made a syscall (SIGSYS = 159), allocated (3) or "
		     "published nothing (4)");
}
