/* SPDX-License-Identifier: MIT */
/*
 * feedd end to end against exsim for the venues of issue 10 (Bybit, OKX,
 * Coinone, Bithumb), both real processes over TLS, one venue at a time:
 * every book goes live with exsim's levels (control GET /book), trades
 * arrive, and the sync cases: a skipped sequence id (Bybit, OKX) is a gap
 * that resubscribes the book, OKX checksums are checked (and a wrong one
 * resyncs the book), full books (Coinone, Bithumb) follow the venue, and a
 * disconnect resyncs every book on the new socket.
 *
 * Waiting is on conditions with a deadline that only turns a hang into a
 * failure; nothing waits for time to pass.
 */
#include <sys/stat.h>
#include "fdtest.h"
#include "kimp/msg.h"
#include "../../libvenue/jscan.h"

#define INST_BTC 1
#define INST_ETH 2
#define INST_XRP 3
#define INST_USDT 4

/* One venue as the test drives it. */
struct vt_venue {
	const char *name;      /* exsim's and feedd's */
	unsigned id;           /* enum kimp_venue */
	const char *coins;     /* feedd's [venue.X] coins */
	const char *syms[4];   /* exsim's symbols, by inst - 1 */
	unsigned nsyms;
	uint32_t qty_cut;      /* the wire cuts sizes to a multiple of this (fixed point) */
};

static const struct vt_venue V_BYBIT = {
	"bybit", KIMP_VENUE_BYBIT, "BTC ETH XRP", { "BTCUSDT", "ETHUSDT", "XRPUSDT" }, 3, 1
};
static const struct vt_venue V_OKX = {
	"okx", KIMP_VENUE_OKX, "BTC ETH XRP", { "BTC-USDT", "ETH-USDT", "XRP-USDT" }, 3, 1
};
static const struct vt_venue V_COINONE = {
	"coinone", KIMP_VENUE_COINONE, "BTC ETH XRP USDT", { "BTC", "ETH", "XRP", "USDT" }, 4, 1
};
/* Bithumb's frames show sizes cut (not rounded) to 4 decimals */
static const struct vt_venue V_BITHUMB = {
	"bithumb", KIMP_VENUE_BITHUMB, "BTC ETH XRP USDT",
	{ "KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-USDT" }, 4, 10000
};

/* ---- exsim and feedd ------------------------------------------------------- */

static struct fdt T;
static char shm_dir[96];

static void setup(void)
{
	fdt_init(&T);
	snprintf(shm_dir, sizeof(shm_dir), "%s/shm", T.dir);
	cr_assert_eq(mkdir(shm_dir, 0700), 0);
}

static void teardown(void)
{
	struct shm_opts so;
	int st;

	if (T.attached)
		shm_seg_detach(&T.seg);
	T.attached = false;
	if (T.feedd > 0) {
		kill(T.feedd, SIGTERM);
		waitpid(T.feedd, &st, 0);
	}
	T.feedd = 0;
	shm_opts_default(&so);
	so.shm_dir = shm_dir;
	shm_seg_remove(T.seg_name, &so);
	fdt_fini(&T);   /* exsim, the directory */
}

/*
 * exsim with only venue v on (upbit and binance off), scenario lines extra
 * added to [venue.V], env "NAME=VALUE" in its environment (NULL: none).
 */
static void vt_exsim(struct fdt *t, const struct vt_venue *v, const char *extra, const char *env)
{
	char scn[1024], path[128], state[128], out[8192] = "", key[64], name[64] = "";
	const char *argv[8];

	snprintf(scn, sizeof(scn),
		 "[exsim]\nstep = 2ms\n[venue.upbit]\nenabled = false\n"
		 "[venue.binance]\nenabled = false\n[venue.%s]\nenabled = true\n%s",
		 v->name, extra ? extra : "");
	snprintf(path, sizeof(path), "%s/test.scn", t->dir);
	test_write_text(path, scn);
	snprintf(state, sizeof(state), "%s/exsim", t->dir);
	argv[0] = test_bin("EXSIM", "build/exsim");
	argv[1] = "--state";
	argv[2] = state;
	argv[3] = "--scenario";
	argv[4] = path;
	argv[5] = NULL;
	if (env) {
		const char *eq = strchr(env, '=');
		cr_assert_not_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - env), env);
		setenv(name, eq + 1, 1);
	}
	t->exsim = test_spawn(argv, &t->exsim_out);
	if (env)
		unsetenv(name);
	cr_assert(test_read_until(t->exsim_out, "exsim: ready", out, sizeof(out)),
		  "exsim did not come up:\n%s", out);
	snprintf(key, sizeof(key), "exsim: %s rest ", v->name);
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[512];
		size_t ll = strcspn(l, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)ll, l);
		if (!strncmp(line, "exsim: ca ", 10))
			snprintf(t->ca, sizeof(t->ca), "%.200s", line + 10);
		else if (!strncmp(line, "exsim: control ", 15))
			t->ctrl = fdt_port_after(line, "http://");
		else if (!strncmp(line, key, strlen(key))) {
			t->rest[v->id] = fdt_port_after(line, "rest https://");
			t->ws[v->id] = fdt_port_after(line, "ws wss://");
		}
	}
	cr_assert(t->ca[0] && t->ctrl && t->ws[v->id] && t->rest[v->id],
		  "exsim output not understood:\n%s", out);
}

/* feedd on exsim's venue v, lines extra added to [venue.V]. */
static void vt_feedd(struct fdt *t, const struct vt_venue *v, const char *extra)
{
	char conf[4096], path[128];

	snprintf(conf, sizeof(conf),
		 "[shm]\nshm_dir = %s\n"
		 "[engine]\ncoins = BTC ETH XRP USDT\n"
		 "[feedd]\nname = %s\nstale_check = 10ms\nring_slots = 65536\n"
		 "[venue.%s]\nws_url = wss://localhost:%u\nrest_url = https://localhost:%u\n"
		 "ca_file = %s\ncoins = %s\n%s\n",
		 shm_dir, t->seg_name, v->name, t->ws[v->id], t->rest[v->id], t->ca, v->coins,
		 extra ? extra : "");
	snprintf(path, sizeof(path), "%s/feedd.conf", t->dir);
	test_write_text(path, conf);
	const char *argv[] = { test_bin("FEEDD", "build/bin/feedd"), "-c", path, NULL };
	t->feedd = test_spawn(argv, &t->feedd_out);
	fcntl(t->feedd_out, F_SETFL, O_NONBLOCK);

	struct shm_opts so;
	shm_opts_default(&so);
	so.readonly = true;
	so.shm_dir = shm_dir;
	uint64_t end = kimp_mono_ns() + FDT_DEADLINE_NS;
	for (;;) {
		if (!shm_seg_attach(&t->seg, t->seg_name, &so)) {
			if (!shm_seqtab_lookup(&t->seg, KIMP_BOOK_REGION, &t->books) &&
			    !shm_metrics_lookup(&t->seg, "metrics", &t->m) &&
			    !shm_ring_lookup(&t->seg, "md", &t->ring))
				break;
			shm_seg_detach(&t->seg);
		}
		int st = 0;
		if (waitpid(t->feedd, &st, WNOHANG) != 0) {
			static char out[8192];
			ssize_t r = read(t->feedd_out, out, sizeof(out) - 1);
			out[r > 0 ? r : 0] = '\0';
			t->feedd = 0;
			cr_assert_fail("feedd exited (status %d):\n%s", st, out);
		}
		cr_assert_lt(kimp_mono_ns(), end, "feedd's segment never appeared");
		usleep(2000);
	}
	t->attached = true;
}

/* feedd's counter "<venue>.<name>". */
static uint64_t vcounter(struct fdt *t, const struct vt_venue *v, const char *name)
{
	char n[SHM_METRIC_NAME];
	snprintf(n, sizeof(n), "%s.%s", v->name, name);
	return fdt_counter(t, n);
}

/* ---- exsim's books --------------------------------------------------------- */

struct exbook {
	uint64_t update_id;
	int64_t ts_ms;
	uint32_t nb, na;
	struct vd_level bids[512], asks[512];
};

static void parse_levels(struct js *j, struct vd_level *l, uint32_t *n, uint32_t cap,
			 uint32_t cut)
{
	bool first = true, done = false;
	*n = 0;
	cr_assert_eq(js_expect(j, '['), 0);
	for (;;) {
		cr_assert_eq(js_elem(j, &first, &done), 0);
		if (done)
			break;
		bool f2 = true, d2 = false;
		struct vd_level v;
		cr_assert_eq(js_expect(j, '['), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert_eq(js_fixed(j, 8, &v.px), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert_eq(js_fixed(j, 8, &v.qty), 0);
		cr_assert_eq(js_elem(j, &f2, &d2), 0);
		cr_assert(d2);
		/* what the venue's frames show: a level cut to nothing is not shown */
		v.qty -= v.qty % cut;
		if (v.qty && *n < cap)
			l[(*n)++] = v;
	}
}

/* GET /book from exsim's control port. */
static void exsim_book(struct fdt *t, const struct vt_venue *v, const char *sym,
		       struct exbook *b)
{
	static char body[1 << 20];
	char target[128];
	snprintf(target, sizeof(target), "/book?venue=%s&symbol=%s", v->name, sym);
	cr_assert_eq(fdt_ctl(t, "GET", target, body, sizeof(body)), 200, "%s: %s", target, body);
	struct js j;
	struct js_str k;
	bool first = true, done = false;
	memset(b, 0, sizeof(*b));
	js_init(&j, body, strlen(body));
	cr_assert_eq(js_expect(&j, '{'), 0);
	for (;;) {
		cr_assert_eq(js_key(&j, &k, &first, &done), 0, "%s", body);
		if (done)
			break;
		if (JS_IS(&k, "update_id"))
			cr_assert_eq(js_u64(&j, &b->update_id), 0);
		else if (JS_IS(&k, "ts_ms"))
			cr_assert_eq(js_i64(&j, &b->ts_ms), 0);
		else if (JS_IS(&k, "bids"))
			parse_levels(&j, b->bids, &b->nb, 512, v->qty_cut);
		else if (JS_IS(&k, "asks"))
			parse_levels(&j, b->asks, &b->na, 512, v->qty_cut);
		else
			cr_assert_eq(js_skip(&j), 0);
	}
}

struct want_book {
	const struct vt_venue *v;
	unsigned inst;
	const struct exbook *ex;
};

/* feedd's record (the top KIMP_BOOK_LEVELS a side) is exsim's book, live. */
static bool same_levels(struct fdt *t, const void *arg)
{
	const struct want_book *w = arg;
	struct kimp_book b;
	uint32_t nb = w->ex->nb < KIMP_BOOK_LEVELS ? w->ex->nb : KIMP_BOOK_LEVELS;
	uint32_t na = w->ex->na < KIMP_BOOK_LEVELS ? w->ex->na : KIMP_BOOK_LEVELS;

	fdt_book(t, w->v->id, w->inst, &b);
	if (b.status != KIMP_BOOK_LIVE || b.nbids != nb || b.nasks != na)
		return false;
	for (uint32_t i = 0; i < nb; i++)
		if (b.bids[i].px != w->ex->bids[i].px || b.bids[i].qty != w->ex->bids[i].qty)
			return false;
	for (uint32_t i = 0; i < na; i++)
		if (b.asks[i].px != w->ex->asks[i].px || b.asks[i].qty != w->ex->asks[i].qty)
			return false;
	return true;
}

/* With exsim paused (its books still): feedd's book comes to equal exsim's. */
static void assert_same_book(struct fdt *t, const struct vt_venue *v, unsigned inst)
{
	static struct exbook ex;
	struct kimp_book b;
	const char *sym = v->syms[inst - 1];

	exsim_book(t, v, sym, &ex);
	cr_assert(ex.nb > 0 && ex.na > 0, "%s %s: exsim's book is empty", v->name, sym);
	struct want_book w = { v, inst, &ex };
	if (fdt_wait(t, same_levels, &w))
		return;
	/* say where they differ */
	fdt_book(t, v->id, inst, &b);
	cr_assert_eq(b.status, KIMP_BOOK_LIVE, "%s %s: %s", v->name, sym, fdt_books_str(t));
	uint32_t nb = ex.nb < KIMP_BOOK_LEVELS ? ex.nb : KIMP_BOOK_LEVELS;
	uint32_t na = ex.na < KIMP_BOOK_LEVELS ? ex.na : KIMP_BOOK_LEVELS;
	cr_assert_eq(b.nbids, nb, "%s %s: bid levels %u vs exsim's %u", v->name, sym, b.nbids,
		     ex.nb);
	cr_assert_eq(b.nasks, na, "%s %s: ask levels %u vs exsim's %u", v->name, sym, b.nasks,
		     ex.na);
	for (uint32_t i = 0; i < nb; i++) {
		cr_assert_eq(b.bids[i].px, ex.bids[i].px, "%s %s bid %u px %lld vs %lld", v->name,
			     sym, i, (long long)b.bids[i].px, (long long)ex.bids[i].px);
		cr_assert_eq(b.bids[i].qty, ex.bids[i].qty, "%s %s bid %u qty %lld vs %lld",
			     v->name, sym, i, (long long)b.bids[i].qty, (long long)ex.bids[i].qty);
	}
	for (uint32_t i = 0; i < na; i++) {
		cr_assert_eq(b.asks[i].px, ex.asks[i].px, "%s %s ask %u px %lld vs %lld", v->name,
			     sym, i, (long long)b.asks[i].px, (long long)ex.asks[i].px);
		cr_assert_eq(b.asks[i].qty, ex.asks[i].qty, "%s %s ask %u qty %lld vs %lld",
			     v->name, sym, i, (long long)b.asks[i].qty, (long long)ex.asks[i].qty);
	}
	cr_assert_fail("%s %s: the same levels, but never seen so", v->name, sym);
}

/* Pause exsim, every book of v equals exsim's, resume. */
static void assert_all_same(struct fdt *t, const struct vt_venue *v)
{
	cr_assert_eq(fdt_ctl(t, "POST", "/pause", NULL, 0), 200);
	for (unsigned i = 1; i <= v->nsyms; i++)
		assert_same_book(t, v, i);
	cr_assert_eq(fdt_ctl(t, "POST", "/resume", NULL, 0), 200);
}

/* ---- conditions ------------------------------------------------------------ */

static bool all_live(struct fdt *t, const void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.status != KIMP_BOOK_LIVE)
			return false;
	}
	return true;
}

struct want_count {
	const char *name;
	uint64_t atleast;
};

static bool counter_reaches(struct fdt *t, const void *arg)
{
	const struct want_count *w = arg;
	return fdt_counter(t, w->name) >= w->atleast;
}

static bool every_book_updated(struct fdt *t, const void *arg)
{
	uint64_t atleast = *(const uint64_t *)arg;
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.update_count < atleast)
			return false;
	}
	return true;
}

/* The least update count of any book now. */
static uint64_t least_updates(struct fdt *t)
{
	uint64_t least = UINT64_MAX;
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.update_count < least)
			least = b.update_count;
	}
	return least;
}

static void wait_counter(struct fdt *t, const struct vt_venue *v, const char *name,
			 uint64_t atleast)
{
	char n[SHM_METRIC_NAME];
	snprintf(n, sizeof(n), "%s.%s", v->name, name);
	struct want_count w = { n, atleast };
	cr_assert(fdt_wait(t, counter_reaches, &w), "%s stayed at %llu (wanted %llu): %s", n,
		  (unsigned long long)fdt_counter(t, n), (unsigned long long)atleast,
		  fdt_books_str(t));
}

static void wait_live(struct fdt *t)
{
	cr_assert(fdt_wait(t, all_live, NULL), "not every book went live: %s", fdt_books_str(t));
}

/* Every book moves on by n updates from now. */
static void wait_updates(struct fdt *t, uint64_t n)
{
	uint64_t want = least_updates(t) + n;
	cr_assert(fdt_wait(t, every_book_updated, &want), "the stream stopped: %s",
		  fdt_books_str(t));
}

static void assert_no_decode_errors(struct fdt *t, const struct vt_venue *v)
{
	static const char *const errs[] = { "syntax", "shape", "number", "symbol" };
	for (unsigned i = 0; i < 4; i++) {
		char n[64];
		snprintf(n, sizeof(n), "decode_err.%s", errs[i]);
		cr_expect_eq(vcounter(t, v, n), 0, "%s.%s", v->name, n);
	}
}

/* ---- the cases, per venue -------------------------------------------------- */

/* Every book live and equal to exsim's after a stream; trades arrive. */
static void case_live(const struct vt_venue *v, const char *scn, const char *feedd_extra)
{
	vt_exsim(&T, v, scn, NULL);
	vt_feedd(&T, v, feedd_extra);
	wait_live(&T);
	cr_assert_eq(T.books->count, v->nsyms);
	wait_updates(&T, 50);
	wait_counter(&T, v, "msgs.trade", 3);
	assert_all_same(&T, v);
	wait_updates(&T, 20);
	assert_all_same(&T, v);
	assert_no_decode_errors(&T, v);
	cr_expect_eq(vcounter(&T, v, "gaps"), 0);
	cr_expect_eq(vcounter(&T, v, "checksum_failures"), 0);
	cr_expect_eq(vcounter(&T, v, "reconnects"), 0);
}

/* exsim skips one sequence id: a gap, the book resubscribed, live again. */
static void case_gap(const struct vt_venue *v, const char *scn)
{
	char q[128];

	vt_exsim(&T, v, scn, NULL);
	vt_feedd(&T, v, NULL);
	wait_live(&T);
	wait_updates(&T, 5);
	uint64_t resubs = vcounter(&T, v, "resubscribes");
	cr_assert_eq(vcounter(&T, v, "gaps"), 0);
	snprintf(q, sizeof(q), "/fault?kind=gap&venue=%s&count=1", v->name);
	cr_assert_eq(fdt_ctl(&T, "POST", q, NULL, 0), 200);
	wait_counter(&T, v, "gaps", 1);
	wait_counter(&T, v, "resubscribes", resubs + 1);
	wait_live(&T);
	wait_updates(&T, 5);
	assert_all_same(&T, v);
	cr_expect_eq(vcounter(&T, v, "reconnects"), 0, "a gap needs no new socket");
}

/* The socket drops: every book resyncs on the new one and equals exsim's. */
static void case_disconnect(const struct vt_venue *v, const char *scn)
{
	char q[128];

	vt_exsim(&T, v, scn, NULL);
	vt_feedd(&T, v, NULL);
	wait_live(&T);
	wait_updates(&T, 5);
	uint64_t conns = vcounter(&T, v, "connects");
	uint64_t changes = fdt_counter(&T, "md.status_changes");
	snprintf(q, sizeof(q), "/fault?kind=disconnect&venue=%s", v->name);
	cr_assert_eq(fdt_ctl(&T, "POST", q, NULL, 0), 200);
	wait_counter(&T, v, "connects", conns + 1);
	wait_counter(&T, v, "reconnects", 1);
	/* every book left the live state (down, then resyncing) and came back */
	struct want_count c = { "md.status_changes", changes + 2 * v->nsyms };
	cr_assert(fdt_wait(&T, counter_reaches, &c), "the books never went down and back");
	wait_live(&T);
	wait_updates(&T, 5);
	assert_all_same(&T, v);
}

/* ---- Bybit ----------------------------------------------------------------- */

static const char *scn_bybit = "publish = 20ms\ndepth = 200\n";

Test(feedd_venues, bybit_books_live_and_equal_exsims, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_live(&V_BYBIT, scn_bybit, NULL);
}

Test(feedd_venues, bybit_gap_resubscribes_the_book, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_gap(&V_BYBIT, scn_bybit);
}

Test(feedd_venues, bybit_disconnect_resyncs_on_the_new_socket, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_disconnect(&V_BYBIT, scn_bybit);
}

/* ---- OKX ------------------------------------------------------------------- */

static const char *scn_okx = "publish = 10ms\ndepth = 400\n";

Test(feedd_venues, okx_books_live_and_equal_exsims, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_live(&V_OKX, scn_okx, NULL);
}

Test(feedd_venues, okx_gap_resubscribes_the_book, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_gap(&V_OKX, scn_okx);
}

Test(feedd_venues, okx_disconnect_resyncs_on_the_new_socket, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_disconnect(&V_OKX, scn_okx);
}

/* Real checksums on every books message: checked, and every book stands. */
Test(feedd_venues, okx_checksums_checked_keep_books_live, .timeout = 240, .init = setup,
     .fini = teardown)
{
	vt_exsim(&T, &V_OKX, scn_okx, "EXSIM_OKX_CHECKSUM=1");
	vt_feedd(&T, &V_OKX, NULL);
	wait_live(&T);
	wait_updates(&T, 50);
	assert_all_same(&T, &V_OKX);
	cr_assert_geq(vcounter(&T, &V_OKX, "checksums_checked"), 3 * 50,
		      "every snapshot and update carried a checksum that was checked");
	cr_assert_eq(vcounter(&T, &V_OKX, "checksum_failures"), 0);
	cr_assert_eq(vcounter(&T, &V_OKX, "resyncs"), 0);
	cr_assert_eq(vcounter(&T, &V_OKX, "gaps"), 0);
}

/*
 * Wrong checksums on the first three books messages (the three snapshots
 * of the subscription): each book fails once, is resubscribed and goes
 * live; the updates buffered meanwhile are not checked (no book to check).
 */
Test(feedd_venues, okx_bad_checksum_resyncs_the_book, .timeout = 240, .init = setup,
     .fini = teardown)
{
	vt_exsim(&T, &V_OKX, scn_okx, "EXSIM_OKX_CHECKSUM=bad:3");
	vt_feedd(&T, &V_OKX, NULL);
	wait_counter(&T, &V_OKX, "checksum_failures", 3);
	wait_counter(&T, &V_OKX, "resubscribes", 3);
	wait_live(&T);
	wait_updates(&T, 20);
	assert_all_same(&T, &V_OKX);
	cr_assert_eq(vcounter(&T, &V_OKX, "checksum_failures"), 3,
		     "only the spoiled messages failed");
}

/* ---- Coinone --------------------------------------------------------------- */

static const char *scn_coinone = "publish = 10ms\ndepth = 30\n";

Test(feedd_venues, coinone_books_live_and_equal_exsims, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_live(&V_COINONE, scn_coinone, NULL);
}

Test(feedd_venues, coinone_disconnect_resyncs_on_the_new_socket, .timeout = 240,
     .init = setup, .fini = teardown)
{
	case_disconnect(&V_COINONE, scn_coinone);
}

/* ---- Bithumb --------------------------------------------------------------- */

static const char *scn_bithumb = "publish = 10ms\ndepth = 30\n";

Test(feedd_venues, bithumb_books_live_and_equal_exsims, .timeout = 240, .init = setup,
     .fini = teardown)
{
	case_live(&V_BITHUMB, scn_bithumb, "depth = 15\n");
}

Test(feedd_venues, bithumb_disconnect_resyncs_on_the_new_socket, .timeout = 240,
     .init = setup, .fini = teardown)
{
	case_disconnect(&V_BITHUMB, scn_bithumb);
}
