/* SPDX-License-Identifier: MIT */
/*
 * End-to-end harness for orderd: exsim as the venues ($EXSIM), a fake riskd
 * segment with an `orders` ring in a temporary shm_dir (the test plays
 * riskd: it pushes kimp_order messages and reads rep.riskd / rep.stratd),
 * orderd ($ORDERD) with a configuration pointing at exsim, and exsim's
 * ledger and control port as the ground truth.
 *
 * Waiting is on conditions (a report, a ledger line, a status field) with
 * a deadline that only turns a hang into a failure.
 */
#ifndef KIMP_TESTS_ODTEST_H
#define KIMP_TESTS_ODTEST_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/seqlock.h"
#include "kimp/tsc.h"
#include "kimp/venue.h"
#include "../testutil.h"

#define ODT_DEADLINE_NS (20ull * 1000000000ull) /* a hang guard, not a timing bound */
#define ODT_REPS 8192

struct odt {
	char dir[64], shm[96], jdir[96];
	pid_t exsim, orderd;
	int exsim_out, orderd_out;
	char ca[256], ledger[256];
	uint16_t rest[KIMP_VENUE_MAX], ws[KIMP_VENUE_MAX], api[KIMP_VENUE_MAX], ctrl;
	char risk_name[32], od_name[32];
	struct shm_opts so;
	struct shm_seg risk, od;
	bool risk_made, od_att;
	struct shm_ring *orders_r;
	struct shm_ring_prod orders;
	struct shm_ring_cons rep, rep2;
	struct kimp_ord_state *st;
	struct kimp_ord_control *ctl;
	struct kimp_exec_report reps[ODT_REPS];
	uint32_t nreps, nreps2;
	char conf_extra[4096];
	uint64_t next_coid;
	bool no_priv;           /* Upbit without its private stream (fills by query only) */
	uint32_t strategy;      /* odt_push: the orders' strategy */
	uint64_t last_tsc;      /* odt_push: the last order's h.ingress_tsc */
	uint64_t last_ring_seq; /* odt_push: the last order's position in the ring (1-based) */
	uint64_t orders_pushed;
	const char *binance_secret; /* NULL: exsim's; else a secret exsim refuses */
};

static inline void odt_init(struct odt *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-orderd-test-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->shm, sizeof(t->shm), "%s/shm", t->dir);
	snprintf(t->jdir, sizeof(t->jdir), "%s/journal", t->dir);
	mkdir(t->shm, 0700);
	snprintf(t->risk_name, sizeof(t->risk_name), "odtr%d", (int)getpid());
	snprintf(t->od_name, sizeof(t->od_name), "odto%d", (int)getpid());
	shm_opts_default(&t->so);
	t->so.shm_dir = t->shm;
	t->so.allow_hugetlbfs = false;
	t->so.mlock = false;
	t->next_coid = ((uint64_t)time(NULL) << 32) + 1;
}

static inline void odt_exsim(struct odt *t, const char *scenario)
{
	char scn[128], state[128], out[8192] = "";
	const char *argv[12];
	int n = 0;

	snprintf(state, sizeof(state), "%s/exsim", t->dir);
	argv[n++] = test_bin("EXSIM", "build/exsim");
	argv[n++] = "--state";
	argv[n++] = state;
	if (scenario) {
		snprintf(scn, sizeof(scn), "%s/test.scn", t->dir);
		test_write_text(scn, scenario);
		argv[n++] = "--scenario";
		argv[n++] = scn;
	}
	argv[n] = NULL;
	t->exsim = test_spawn(argv, &t->exsim_out);
	cr_assert(test_read_until(t->exsim_out, "exsim: ready", out, sizeof(out)),
		  "exsim did not come up:\n%s", out);
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
		if (!strncmp(line, "exsim: ca ", 10))
			snprintf(t->ca, sizeof(t->ca), "%.200s", line + 10);
		else if (!strncmp(line, "exsim: ledger ", 14))
			snprintf(t->ledger, sizeof(t->ledger), "%.200s", line + 14);
		else if (!strncmp(line, "exsim: control ", 15))
			t->ctrl = test_port_after(line, "http://");
		else if (!strncmp(line, "exsim: upbit ", 13)) {
			t->rest[KIMP_VENUE_UPBIT] = test_port_after(line, "rest https://");
			t->ws[KIMP_VENUE_UPBIT] = test_port_after(line, "ws wss://");
		} else if (!strncmp(line, "exsim: binance ", 15)) {
			t->rest[KIMP_VENUE_BINANCE] = test_port_after(line, "rest https://");
			t->ws[KIMP_VENUE_BINANCE] = test_port_after(line, "ws wss://");
			t->api[KIMP_VENUE_BINANCE] = test_port_after(line, "api wss://");
		}
	}
	cr_assert(t->ca[0] && t->ctrl && t->rest[KIMP_VENUE_UPBIT] && t->api[KIMP_VENUE_BINANCE],
		  "exsim output not understood:\n%s", out);
}

/* The fake riskd: its segment and the `orders` ring. */
static inline void odt_riskd(struct odt *t)
{
	cr_assert_eq(shm_seg_create(&t->risk, t->risk_name, 4u << 20, &t->so), 0, "%s",
		     shm_last_error());
	t->risk_made = true;
	cr_assert_eq(shm_ring_create(&t->risk, "orders", sizeof(struct kimp_order), 4096, 0, NULL,
				     &t->orders_r), 0);
	cr_assert_eq(shm_ring_producer(t->orders_r, &t->orders), 0);
}

static inline bool odt_alive(struct odt *t)
{
	int st;
	if (t->orderd <= 0)
		return false;
	if (waitpid(t->orderd, &st, WNOHANG) == 0)
		return true;
	t->orderd = 0;
	return false;
}

static inline const char *odt_out(struct odt *t)
{
	static char out[65536];
	static size_t len;
	ssize_t r;
	while (len + 1 < sizeof(out) && (r = read(t->orderd_out, out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = 0;
	return len > 6000 ? out + len - 6000 : out;
}

/*
 * Write orderd's configuration (then start it: odt_orderd): venues (bit 1 << enum kimp_venue) live on exsim, extra
 * lines after each section (NULL none).
 */
static inline void odt_conf(struct odt *t, unsigned venues, const char *extra_orderd,
			    const char *extra_upbit, const char *extra_binance, char *path,
			    size_t pathlen)
{
	char conf[8192];
	int n = snprintf(conf, sizeof(conf),
			 "[shm]\nshm_dir = %s\nhugepages = false\n"
			 "[engine]\ncoins = BTC ETH XRP USDT\n"
			 "[venue.upbit]\nquote = KRW\ncoins = BTC ETH XRP USDT\n"
			 "[venue.binance]\nquote = USDT\ncoins = BTC ETH XRP\n"
			 "[orderd]\nname = %s\nriskd = %s\njournal_dir = %s\njournal_file_mb = 4\n"
			 "table_slots = 4096\nring_slots = 4096\nreport_backlog = 4096\n%s\n",
			 t->shm, t->od_name, t->risk_name, t->jdir, extra_orderd ? extra_orderd : "");
	if (venues & (1u << KIMP_VENUE_UPBIT))
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			      "[order.upbit]\nmode = live\nrest_url = https://localhost:%u\n"
			      "private_url = %s%.0u\nca_file = %s\n"
			      "api_key = exsimUpbitAccessKey000000000000000000000\n"
			      "secret_env = ODT_UPBIT_SECRET\nquery_delay = 50ms\nquery_every = 200ms\n"
			      "unknown_grace = 6s\nbackoff_min = 10ms\nbackoff_max = 200ms\n%s\n",
			      t->rest[KIMP_VENUE_UPBIT], t->no_priv ? "" : "wss://localhost:",
			      t->no_priv ? 0 : t->ws[KIMP_VENUE_UPBIT], t->ca,
			      extra_upbit ? extra_upbit : "");
	if (venues & (1u << KIMP_VENUE_BINANCE))
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			      "[order.binance]\nmode = live\nrest_url = https://localhost:%u\n"
			      "wsapi_url = wss://localhost:%u\nca_file = %s\n"
			      "api_key = exsimBinanceApiKey0000000000000000000000000000000000000000000000\n"
			      "secret_env = ODT_BINANCE_SECRET\nquery_delay = 50ms\nquery_every = 200ms\n"
			      "backoff_min = 10ms\nbackoff_max = 200ms\n%s\n",
			      t->rest[KIMP_VENUE_BINANCE], t->api[KIMP_VENUE_BINANCE], t->ca,
			      extra_binance ? extra_binance : "");
	setenv("ODT_UPBIT_SECRET", "exsimUpbitSecretKey000000000000000000000", 1);
	setenv("ODT_BINANCE_SECRET", t->binance_secret ? t->binance_secret :
	       "exsimBinanceSecretKey0000000000000000000000000000000000000000000", 1);
	snprintf(path, pathlen, "%s/orderd.conf", t->dir);
	test_write_text(path, conf);
}

static inline void odt_orderd(struct odt *t, unsigned venues, const char *extra_orderd,
			      const char *extra_upbit, const char *extra_binance)
{
	char path[160];

	odt_conf(t, venues, extra_orderd, extra_upbit, extra_binance, path, sizeof(path));
	const char *argv[] = { test_bin("ORDERD", "build/bin/orderd"), "-c", path, NULL };
	t->orderd = test_spawn(argv, &t->orderd_out);
	fcntl(t->orderd_out, F_SETFL, O_NONBLOCK);
	if (t->od_att)
		return;
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	for (;;) {
		struct shm_ring *r1, *r2;
		if (!shm_seg_attach(&t->od, t->od_name, &t->so)) {
			const struct shm_region_ent *s = shm_region_find(&t->od, KIMP_ORD_STATE);
			const struct shm_region_ent *c = shm_region_find(&t->od, KIMP_ORD_CONTROL);
			if (s && c && !shm_ring_lookup(&t->od, KIMP_ORD_REP_RISKD, &r1) &&
			    !shm_ring_lookup(&t->od, KIMP_ORD_REP_STRATD, &r2)) {
				t->st = shm_region_ptr(&t->od, s);
				t->ctl = shm_region_ptr(&t->od, c);
				cr_assert_eq(shm_ring_consumer(r1, &t->rep), 0);
				cr_assert_eq(shm_ring_consumer(r2, &t->rep2), 0);
				break;
			}
			shm_seg_detach(&t->od);
		}
		cr_assert(odt_alive(t), "orderd exited:\n%s", odt_out(t));
		cr_assert_lt(kimp_mono_ns(), end, "orderd's segment never appeared");
		usleep(2000);
	}
	t->od_att = true;
}

/* Read the report rings (rep.stratd must carry the same as rep.riskd). */
static inline void odt_poll(struct odt *t)
{
	struct kimp_exec_report r;
	while (!shm_ring_pop(&t->rep, &r, sizeof(r)))
		if (t->nreps < ODT_REPS)
			t->reps[t->nreps++] = r;
	while (!shm_ring_pop(&t->rep2, &r, sizeof(r)))
		t->nreps2++;
}

/* The last report for coid, or NULL. */
static inline const struct kimp_exec_report *odt_last(struct odt *t, uint64_t coid)
{
	for (uint32_t i = t->nreps; i-- > 0;)
		if (t->reps[i].client_oid == coid)
			return &t->reps[i];
	return NULL;
}

/* Wait until orderd's output has a line containing what. */
static inline bool odt_wait_log(struct odt *t, const char *what)
{
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (!strstr(odt_out(t), what)) {
		if (!odt_alive(t) || kimp_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* The reports of coid as text (for failure messages). */
static inline const char *odt_reps_str(struct odt *t, uint64_t coid)
{
	static char buf[4096];
	size_t n = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < t->nreps && n + 80 < sizeof(buf); i++)
		if (t->reps[i].client_oid == coid)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[st %u rej %d cum %lld] ",
					      t->reps[i].state, t->reps[i].reject_code,
					      (long long)t->reps[i].cum_qty);
	return buf;
}

/* Wait for a report of coid in state (any final state when state is 0xff). */
static inline const struct kimp_exec_report *odt_wait_state(struct odt *t, uint64_t coid,
							    unsigned state)
{
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	for (;;) {
		odt_poll(t);
		for (uint32_t i = 0; i < t->nreps; i++) {
			const struct kimp_exec_report *r = &t->reps[i];
			if (r->client_oid != coid)
				continue;
			if (r->state == state ||
			    (state == 0xff && (r->state == KIMP_ORD_FILLED ||
					       r->state == KIMP_ORD_CANCELLED ||
					       r->state == KIMP_ORD_REJECTED ||
					       r->state == KIMP_ORD_EXPIRED)))
				return r;
		}
		if (!odt_alive(t) || kimp_mono_ns() > end)
			return NULL;
		usleep(500);
	}
}

static inline bool odt_wait_ready(struct odt *t, unsigned venue)
{
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (!__atomic_load_n(&t->st->venue[venue].ready, __ATOMIC_ACQUIRE)) {
		if (!odt_alive(t) || kimp_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static inline uint64_t odt_push(struct odt *t, unsigned type, unsigned venue, uint32_t inst,
				unsigned side, unsigned tif, int64_t px, int64_t qty, uint64_t coid)
{
	struct kimp_order o;
	memset(&o, 0, sizeof(o));
	o.h.type = (uint16_t)type;
	o.h.venue = (uint8_t)venue;
	o.h.inst = inst;
	o.h.ingress_tsc = kimp_rdtsc();
	o.client_oid = coid ? coid : t->next_coid++;
	o.intent_id = o.client_oid;
	o.pair_id = o.client_oid;
	o.px = px;
	o.qty = qty;
	o.side = (uint8_t)side;
	o.tif = (uint8_t)tif;
	o.strategy = t->strategy;
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (shm_ring_push(&t->orders, &o, sizeof(o))) {
		cr_assert_lt(kimp_mono_ns(), end, "the orders ring stays full");
		usleep(100);
	}
	t->last_tsc = o.h.ingress_tsc;
	t->last_ring_seq = ++t->orders_pushed;
	return o.client_oid;
}

/* orderd's table entry of coid (kimp/order.h: the shared view): true when found. */
static inline bool odt_entry(struct odt *t, uint64_t coid, struct kimp_ord_entry *out)
{
	struct shm_seqtab *tab;
	cr_assert_eq(shm_seqtab_lookup(&t->od, KIMP_ORD_TABLE, &tab), 0);
	for (uint32_t i = 0; i < tab->count; i++) {
		struct kimp_ord_entry e;
		if (shm_seqtab_read(tab, i, &e, 1000000))
			continue;
		if (e.client_oid == coid) {
			*out = e;
			return true;
		}
	}
	return false;
}

/* orderd's counter 'name' (its metrics region), or ~0 when there is none. */
static inline uint64_t odt_counter(struct odt *t, const char *name)
{
	struct shm_metrics *m;
	cr_assert_eq(shm_metrics_lookup(&t->od, KIMP_ORD_METRICS, &m), 0);
	uint32_t n = atomic_load_explicit(&m->ncounters, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_counter_name(m, i), name))
			return atomic_load_explicit(shm_metrics_counter_at(m, i), memory_order_relaxed);
	return ~0ull;
}

/* orderd's histogram 'name' into *out; false when there is none. */
static inline bool odt_hist(struct odt *t, const char *name, struct shm_hist_snap *out)
{
	struct shm_metrics *m;
	cr_assert_eq(shm_metrics_lookup(&t->od, KIMP_ORD_METRICS, &m), 0);
	uint32_t n = atomic_load_explicit(&m->nhists, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_hist_name(m, i), name)) {
			shm_hist_snapshot(shm_metrics_hist_at(m, i), out);
			return true;
		}
	return false;
}

/* A request to exsim's control port: the status, the body in out. */
static inline int odt_ctl(struct odt *t, const char *method, const char *target, char *out,
			  size_t cap)
{
	return test_http(t->ctrl, method, target, out, cap);
}

/* A number of venue's entry in exsim's GET /status ("sent_429", "sent_418", ...). */
static inline uint64_t odt_venue_stat(struct odt *t, const char *venue, const char *key)
{
	static char body[1 << 16];
	char nm[64], k[64];
	cr_assert_eq(odt_ctl(t, "GET", "/status", body, sizeof(body)), 200);
	snprintf(nm, sizeof(nm), "\"name\":\"%s\"", venue);
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(body, nm);
	cr_assert_not_null(p, "%s", body);
	p = strstr(p, k);
	cr_assert_not_null(p, "%s", body);
	return strtoull(p + strlen(k), NULL, 10);
}

/* The best level of side ("bids" or "asks") of a book, at dec decimals. */
static inline int64_t odt_best(struct odt *t, const char *venue, const char *sym,
			       const char *side, unsigned dec)
{
	char target[160], body[8192], num[64];
	snprintf(target, sizeof(target), "/book?venue=%s&symbol=%s&depth=1", venue, sym);
	cr_assert_eq(odt_ctl(t, "GET", target, body, sizeof(body)), 200, "%s", body);
	char key[16];
	snprintf(key, sizeof(key), "\"%s\":[[\"", side);
	const char *p = strstr(body, key);
	cr_assert_not_null(p, "%s", body);
	p += strlen(key);
	snprintf(num, sizeof(num), "%.*s", (int)strcspn(p, "\""), p);
	int64_t v = 0;
	cr_assert_eq(venue_fixed(num, dec, &v), 0, "%s", num);
	return v;
}

/* Ledger lines that mention cid text "kimp<coid>" (and contain 'what', if given). */
static inline unsigned odt_ledger_count(struct odt *t, uint64_t coid, const char *what,
					char *last, size_t cap)
{
	char cid[64], line[4096];
	unsigned n = 0;
	snprintf(cid, sizeof(cid), "\"cid\":\"kimp%llu\"", (unsigned long long)coid);
	FILE *f = fopen(t->ledger, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, cid) && (!what || strstr(line, what))) {
			n++;
			if (last)
				snprintf(last, cap, "%s", line);
		}
	fclose(f);
	return n;
}

static inline bool odt_wait_ledger(struct odt *t, uint64_t coid, const char *what, unsigned min,
				   char *last, size_t cap)
{
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (odt_ledger_count(t, coid, what, last, cap) < min) {
		if (kimp_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* A "key":"decimal" of a ledger line at dec decimals. */
static inline int64_t odt_json_fixed(const char *line, const char *key, unsigned dec)
{
	char k[48], num[64];
	snprintf(k, sizeof(k), "\"%s\":\"", key);
	const char *p = strstr(line, k);
	cr_assert_not_null(p, "no %s in %s", key, line);
	p += strlen(k);
	snprintf(num, sizeof(num), "%.*s", (int)strcspn(p, "\""), p);
	int64_t v = 0;
	cr_assert_eq(venue_fixed(num, dec, &v), 0, "%s", num);
	return v;
}

static inline void odt_stop_orderd(struct odt *t, int sig)
{
	int st;
	if (t->orderd > 0) {
		kill(t->orderd, sig);
		waitpid(t->orderd, &st, 0);
	}
	t->orderd = 0;
	if (t->orderd_out > 0)
		close(t->orderd_out);
	t->orderd_out = -1;
}

static inline void odt_fini(struct odt *t)
{
	int st;
	if (t->od_att)
		shm_seg_detach(&t->od);
	odt_stop_orderd(t, SIGTERM);
	if (t->exsim > 0) {
		kill(t->exsim, SIGTERM);
		waitpid(t->exsim, &st, 0);
	}
	if (t->risk_made)
		shm_seg_detach(&t->risk);
	shm_seg_remove(t->risk_name, &t->so);
	shm_seg_remove(t->od_name, &t->so);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd)) {
	}
}

#endif
