/* SPDX-License-Identifier: MIT */
/*
 * monitord end to end: riskd-, orderd- and feedd-shaped segments built by
 * hand in a private directory, the real binary ($MONITORD, else
 * build/bin/monitord) started on them, and its endpoints read over
 * loopback: /metrics parsed line by line, the JSON API against the values
 * in shared memory, control refused without the right token and acted on
 * with it (a thread plays riskd), static files and traversal, the
 * WebSocket's first snapshot.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/risk.h"
#include "kimp/seqlock.h"
#include "kimp/strat.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "montest.h"
#include "../tools/jsoncheck.h"

#define SEC UINT64_C(1000000000)
#define TOKEN "s3cret-token"

static struct tenv env;
static char cfg[160], segr[SHM_NAME_MAX], sego[SHM_NAME_MAX], segf[SHM_NAME_MAX],
	segm[SHM_NAME_MAX];
static struct shm_seg rs, os, fs;
static struct kimp_risk_state *st;
static struct kimp_risk_control *ctl;
static struct montest M = { .pid = -1 };

/* ---- fixture ------------------------------------------------------------- */

static struct shm_metrics *metrics(struct shm_seg *s, const char *proc)
{
	struct shm_metrics *m;

	cr_assert_eq(shm_metrics_create(s, "metrics", proc, 8, 8, 4, &m), 0, "%s",
		     shm_last_error());
	atomic_store(&m->pid, getpid());
	atomic_store(&m->heartbeat_ns, kimp_mono_ns());
	return m;
}

static void make_segments(void)
{
	struct shm_metrics *m;
	struct shm_seqtab *t;
	struct kimp_ord_entry e;
	struct shm_hist *h;
	void *p;

	/* riskd: state (one BTC position on upbit), control, metrics */
	cr_assert_eq(shm_seg_create(&rs, segr, 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(shm_region_add(&rs, KIMP_RISK_STATE, kimp_risk_state_bytes(4),
				    SHM_REGION_RAW, &p), 0);
	st = p;
	st->version = KIMP_RISK_VERSION;
	st->size = kimp_risk_state_bytes(4);
	st->order_slots = 4;
	st->ncoins = 1;
	strcpy(st->coins[0], "BTC");
	strcpy(st->venue_info[KIMP_VENUE_UPBIT].name, "upbit");
	strcpy(st->venue_info[KIMP_VENUE_UPBIT].quote, "KRW");
	st->venue_info[KIMP_VENUE_UPBIT].present = 1;
	st->venue_info[KIMP_VENUE_UPBIT].qty_dec = 8;
	st->lim.mode = KIMP_RISK_RUNNING;
	st->lim.pnl = 123450000;                 /* 12345 KRW */
	st->pos[KIMP_VENUE_UPBIT][1].hold = 150000000;
	st->magic = KIMP_RISK_MAGIC;
	cr_assert_eq(shm_region_add(&rs, KIMP_RISK_CONTROL, sizeof(*ctl), SHM_REGION_RAW, &p), 0);
	ctl = p;
	ctl->version = KIMP_RISK_VERSION;
	ctl->magic = KIMP_RISK_CTL_MAGIC;
	m = metrics(&rs, "riskd");
	h = shm_metrics_hist(m, "intent_to_order_ns");
	cr_assert_not_null(h);
	shm_hist_record(h, 3000);
	shm_hist_record(h, 40000);
	shm_hist_record(h, 2000000);
	*shm_metrics_counter(m, "intents") = 77;

	/* orderd: a table with one open and one filled order, metrics */
	cr_assert_eq(shm_seg_create(&os, sego, 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(shm_seqtab_create(&os, KIMP_ORD_TABLE, sizeof(e), 8, &t), 0, "%s",
		     shm_last_error());
	memset(&e, 0, sizeof(e));
	e.client_oid = (1ull << 60) + 5;        /* past 2^53: a string in JSON */
	e.venue = KIMP_VENUE_UPBIT;
	e.state = KIMP_ORD_ACKED;
	e.side = KIMP_SIDE_BUY;
	e.inst = 1;
	e.px = 5000000000;
	e.qty = 100000000;
	e.updated_real_ns = 1700000000000000000;
	shm_seqtab_write(t, 0, &e);
	e.client_oid = (1ull << 60) + 4;
	e.state = KIMP_ORD_FILLED;
	e.cum_qty = e.qty;
	e.updated_real_ns = 1700000001000000000;
	shm_seqtab_write(t, 3, &e);
	m = metrics(&os, "orderd");
	*shm_metrics_gauge(m, "open_orders") = 1;

	/* feedd: metrics only */
	cr_assert_eq(shm_seg_create(&fs, segf, 1 << 20, &env.o), 0, "%s", shm_last_error());
	m = metrics(&fs, "feedd");
	*shm_metrics_gauge(m, "upbit.msgs_per_s") = 420;
	*shm_metrics_gauge(m, "book.upbit.BTC.age_ms") = 15;
}

static const char *ctl_wait = "2s";

static void write_cfg(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[shm]\nhugetlbfs = %s\nshm_dir = \"%s\"\nhugepages = no\n"
		 "[feedd]\nname = %s\n[stratd]\nname = %s-none\n[riskd]\nname = %s\n"
		 "[orderd]\nname = %s\n"
		 "[monitord]\nname = %s\nlisten = 127.0.0.1:0\nws_listen = 127.0.0.1:0\n"
		 "push_every = 50ms\ntoken_env = KIMP_TEST_NO_SUCH_VAR\nwww = monitord/www\n"
		 "procs = feedd riskd orderd\ncontrol_wait = %s\nlog_dir = %s/logs\n%s",
		 env.dir, env.dir, segf, segf, segr, sego, segm, ctl_wait, env.dir, extra);
	test_write_text(cfg, text);
}

static void start(void)
{
	montest_start(&M, cfg);
}

static void stop(void)
{
	montest_stop(&M);
}

static void setup(void)
{
	tenv_init(&env);
	snprintf(segr, sizeof(segr), "mr-%d", (int)getpid());
	snprintf(sego, sizeof(sego), "mo-%d", (int)getpid());
	snprintf(segf, sizeof(segf), "mf-%d", (int)getpid());
	snprintf(segm, sizeof(segm), "mm-%d", (int)getpid());
	snprintf(cfg, sizeof(cfg), "%s/test.conf", env.dir);
	make_segments();
	write_cfg("");
}

static void teardown(void)
{
	stop();
	shm_seg_detach(&rs);
	shm_seg_detach(&os);
	shm_seg_detach(&fs);
	shm_seg_remove(segr, &env.o);
	shm_seg_remove(sego, &env.o);
	shm_seg_remove(segf, &env.o);
	shm_seg_remove(segm, &env.o);
	{
		char n[SHM_NAME_MAX + 8];

		snprintf(n, sizeof(n), "%s-none", segf);
		shm_seg_remove(n, &env.o);
	}
	unlink(cfg);
	tenv_fini(&env);
}

TestSuite(monitord, .init = setup, .fini = teardown, .timeout = 60);

/* ---- HTTP client ---------------------------------------------------------- */

struct resp {
	int status;
	char head[4096];
	char *body;            /* into buf */
	char buf[1 << 20];
};

static struct resp rsp;

static int dial(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s", strerror(errno));
	return fd;
}

/* Send raw bytes, read the whole reply (the server closes: Connection: close). */
static void http_raw(const char *req)
{
	int fd = dial(M.http_port);
	size_t len = 0;
	ssize_t n;
	char *sep;

	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, rsp.buf + len, sizeof(rsp.buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	rsp.buf[len] = 0;
	cr_assert(sscanf(rsp.buf, "HTTP/1.1 %d", &rsp.status) == 1, "reply:\n%s", rsp.buf);
	sep = strstr(rsp.buf, "\r\n\r\n");
	cr_assert_not_null(sep);
	snprintf(rsp.head, sizeof(rsp.head), "%.*s", (int)(sep - rsp.buf), rsp.buf);
	rsp.body = sep + 4;
}

static void http(const char *method, const char *path, const char *auth)
{
	char req[1024];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s"
		 "Content-Length: 0\r\n\r\n", method, path, auth ? "Authorization: " : "",
		 auth ? auth : "", auth ? "\r\n" : "");
	http_raw(req);
}

#define assert_has(text, needle) \
	cr_assert_not_null(strstr(text, needle), "no '%s' in:\n%s", needle, text)
#define assert_lacks(text, needle) \
	cr_assert_null(strstr(text, needle), "'%s' in:\n%s", needle, text)

/* ---- /metrics -------------------------------------------------------------- */

static bool name_ok(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == ':'))
			return false;
	return true;
}

Test(monitord, metrics_are_well_formed)
{
	char fam[128] = "", type[32] = "", lastle[64] = "";
	double prev_bucket = -1, inf = -1;
	int samples = 0, hists = 0;

	start();
	http("GET", "/metrics", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_has(rsp.head, "text/plain; version=0.0.4");
	for (char *line = strtok(rsp.body, "\n"); line; line = strtok(NULL, "\n")) {
		char name[128], labels[256], val[64];

		if (!strncmp(line, "# HELP ", 7)) {
			cr_assert_eq(sscanf(line + 7, "%127s", fam), 1);
			cr_assert(name_ok(fam, strlen(fam)), "%s", line);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char f2[128];

			cr_assert_eq(sscanf(line + 7, "%127s %31s", f2, type), 2, "%s", line);
			cr_assert_str_eq(f2, fam, "TYPE must follow its HELP: %s", line);
			cr_assert(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				  !strcmp(type, "histogram"), "%s", line);
			prev_bucket = -1;
			continue;
		}
		cr_assert_neq(line[0], '#', "unknown comment: %s", line);
		cr_assert_eq(sscanf(line, "%127[^{ ]{%255[^}]} %63s", name, labels, val), 3,
			     "not NAME{LABELS} VALUE: %s", line);
		cr_assert(name_ok(name, strlen(name)), "%s", line);
		cr_assert_eq(strncmp(name, fam, strlen(fam)), 0, "sample outside its family: %s",
			     line);
		cr_assert_eq(strncmp(labels, "proc=\"", 6), 0, "%s", line);
		char *end;
		double v = strcmp(val, "NaN") ? strtod(val, &end) : NAN;
		cr_assert(!strcmp(val, "NaN") || !*end, "value: %s", line);
		samples++;
		if (!strcmp(type, "histogram")) {
			const char *sfx = name + strlen(fam);

			if (!strcmp(sfx, "_bucket")) {
				char *le = strstr(labels, "le=\"");

				cr_assert_not_null(le, "%s", line);
				cr_assert_geq(v, prev_bucket, "buckets not cumulative: %s", line);
				prev_bucket = v;
				snprintf(lastle, sizeof(lastle), "%s", le + 4);
				if (!strncmp(le + 4, "+Inf", 4))
					inf = v;
			} else if (!strcmp(sfx, "_count")) {
				cr_assert_eq(v, inf, "+Inf %f != _count %f: %s", inf, v, line);
				cr_assert_eq(strncmp(lastle, "+Inf", 4), 0);
				hists++;
				prev_bucket = -1;
			} else {
				cr_assert_str_eq(sfx, "_sum", "%s", line);
			}
		} else {
			cr_assert_str_eq(name, fam, "%s", line);
		}
	}
	cr_assert_gt(samples, 10);
	cr_assert_geq(hists, 1);
	/* the values of shared memory */
	http("GET", "/metrics", NULL);
	assert_has(rsp.body, "kimp_intents_total{proc=\"riskd\"} 77\n");
	assert_has(rsp.body, "kimp_upbit_msgs_per_s{proc=\"feedd\"} 420\n");
	assert_has(rsp.body, "kimp_intent_to_order_seconds_bucket{proc=\"riskd\",le=\"0.000005\"} 1\n");
	assert_has(rsp.body, "kimp_intent_to_order_seconds_bucket{proc=\"riskd\",le=\"0.00005\"} 2\n");
	assert_has(rsp.body, "kimp_intent_to_order_seconds_count{proc=\"riskd\"} 3\n");
	assert_has(rsp.body, "kimp_intent_to_order_seconds_sum{proc=\"riskd\"} 0.002043000\n");
	assert_has(rsp.body, "kimp_up{proc=\"riskd\"} 1\n");
	assert_has(rsp.body, "kimp_http_requests_total{proc=\"monitord\"}");
}

/* ---- JSON ------------------------------------------------------------------ */

Test(monitord, json_endpoints_match_shared_memory)
{
	start();
	http("GET", "/api/positions", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	assert_has(rsp.body, "\"total\": \"12345\"");
	assert_has(rsp.body, "\"hold\": \"1.5\"");
	http("GET", "/api/orders", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	assert_has(rsp.body, "\"client_oid\": \"1152921504606846981\"");
	/* open first */
	cr_assert_lt(strstr(rsp.body, "\"ACKED\""), strstr(rsp.body, "\"FILLED\""));
	http("GET", "/api/executions", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_json(rsp.body);
	assert_has(rsp.body, "\"FILLED\"");
	cr_assert_null(strstr(rsp.body, "\"ACKED\""));
	http("GET", "/api/stats", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_json(rsp.body);
	assert_has(rsp.body, "\"intents\": 77");
	http("GET", "/api/feeds", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_json(rsp.body);
	assert_has(rsp.body, "\"msgs_per_s\": 420");
	http("GET", "/api/latency", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_json(rsp.body);
	/* kimpctl status --json's view: the supervisor's processes */
	http("GET", "/api/status", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	{
		char want[64];

		snprintf(want, sizeof(want), "\"segment\": \"%s\"", segr);
		assert_has(rsp.body, want);
	}
	assert_has(rsp.body, "\"name\": \"riskd\"");
	assert_has(rsp.body, "\"cpus_allowed\": \"");
	assert_has(rsp.body, "\"heartbeat_fresh\": true");
	assert_has(rsp.body, "\"restarts\": 0");
	assert_has(rsp.body, "\"run_dir\": ");
	http("GET", "/api/config", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_json(rsp.body);
	cr_assert_not_null(strstr(rsp.body, "\"ws_port\": "));
	cr_assert_eq(atoi(strstr(rsp.body, "\"ws_port\": ") + 11), M.ws_port);
	/* stratd's segment does not exist: 503 saying so */
	http("GET", "/api/premium", NULL);
	cr_assert_eq(rsp.status, 503, "%s", rsp.body);
	assert_json(rsp.body);
	assert_has(rsp.body, "not found");
	http("GET", "/api/nothing", NULL);
	cr_assert_eq(rsp.status, 404);
	http("DELETE", "/api/orders", NULL);
	cr_assert_eq(rsp.status, 405);
}

/* stratd's segment (the config's "-none" name): BTC upbit/binance, the model. */
static void make_strat(void)
{
	struct kimp_strat_state *ss_st;
	struct shm_seg ss;
	char n[SHM_NAME_MAX + 8];
	void *p;

	snprintf(n, sizeof(n), "%s-none", segf);
	cr_assert_eq(shm_seg_create(&ss, n, 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(shm_region_add(&ss, KIMP_STRAT_STATE_REGION, sizeof(*ss_st), SHM_REGION_RAW,
				    &p),
		     0);
	ss_st = p;
	ss_st->version = KIMP_STRAT_VERSION;
	ss_st->size = sizeof(*ss_st);
	ss_st->coin[1].krw_venue = KIMP_VENUE_UPBIT;
	ss_st->coin[1].usdt_venue = KIMP_VENUE_BINANCE;
	ss_st->coin[1].qty_dec = 8;
	ss_st->coin[1].n = 500;
	ss_st->coin[1].mean = kimp_strat_bits(0.0213);
	ss_st->coin[1].var = kimp_strat_bits(0.0001);
	ss_st->coin[1].prem_mid = kimp_strat_bits(0.025);
	ss_st->magic = KIMP_STRAT_MAGIC;
	shm_seg_detach(&ss);
}

Test(monitord, premium_with_its_entry_band)
{
	char py[512], path[128];
	int rc;

	make_strat();
	write_cfg("[pair.BTC]\nentry_sigma = 3\n[engine]\ncoins = BTC\n");
	start();
	http("GET", "/api/premium", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	/* doubles: checked with Python's parser (jsoncheck takes integers only) */
	snprintf(path, sizeof(path), "%s/premium.json", env.dir);
	test_write_text(path, rsp.body);
	snprintf(py, sizeof(py), "python3 -c 'import json,sys; d=json.load(open(\"%s\")); "
		 "c=d[\"coins\"][0]; sys.exit(0 if abs(c[\"band_high\"]-0.0513)<1e-9 and "
		 "abs(c[\"band_low\"]+0.0087)<1e-9 else 3)'", path);
	rc = system(py);
	cr_assert_eq(rc, 0, "python: %d on:\n%s", rc, rsp.body);
	assert_has(rsp.body, "\"coin\": \"BTC\"");
	assert_has(rsp.body, "\"premium\": 0.025");
	assert_has(rsp.body, "\"mean\": 0.0213");
	assert_has(rsp.body, "\"deviation\": 0.01");
	assert_has(rsp.body, "\"entry_sigma\": 3");
	assert_has(rsp.body, "\"krw_venue\": \"upbit\"");
}

Test(monitord, health_says_which_process_is_down)
{
	start();
	http("GET", "/health", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	/* orderd's heartbeat goes stale */
	struct shm_metrics *m;
	cr_assert_eq(shm_metrics_lookup(&os, "metrics", &m), 0);
	atomic_store(&m->heartbeat_ns, kimp_mono_ns() - 3600 * SEC);
	http("GET", "/health", NULL);
	cr_assert_eq(rsp.status, 503, "%s", rsp.body);
	assert_has(rsp.body, "hung (heartbeat too old)");
	atomic_store(&m->pid, 0);
	http("GET", "/health", NULL);
	cr_assert_eq(rsp.status, 503);
	assert_has(rsp.body, "not running");
}

/* ---- control ----------------------------------------------------------------- */

struct actor {
	pthread_t th;
	atomic_bool stop;
};

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	unsigned spins = 0;

	while (!atomic_load(&a->stop)) {
		uint64_t rq = atomic_load(&ctl->kill_req);

		if (rq != atomic_load(&ctl->kill_done)) {
			st->lim.killed = 1;
			st->lim.mode = KIMP_RISK_HALTED;
			atomic_store_explicit(&ctl->kill_done, rq, memory_order_release);
		}
		rq = atomic_load(&ctl->pause_req);
		if (rq != atomic_load(&ctl->pause_done))
			atomic_store_explicit(&ctl->pause_done, rq, memory_order_release);
		test_backoff(&spins);
	}
	return NULL;
}

Test(monitord, control_without_a_configured_token_is_disabled)
{
	start();
	http("POST", "/api/control/kill", "Bearer " TOKEN);
	cr_assert_eq(rsp.status, 403, "%s", rsp.body);
	assert_has(rsp.body, "control is disabled");
	cr_assert_eq(atomic_load(&ctl->kill_req), 0);
}

Test(monitord, control_needs_the_right_token)
{
	char path[128], extra[256];
	struct actor a = { 0 };

	snprintf(path, sizeof(path), "%s/token", env.dir);
	test_write_text(path, TOKEN "\n");
	/* a token file others can read is refused */
	cr_assert_eq(chmod(path, 0640), 0);
	snprintf(extra, sizeof(extra), "token_file = %s\n", path);
	write_cfg(extra);
	{
		const char *argv[] = { test_bin("MONITORD", "build/bin/monitord"), "-c", cfg,
				       "--check", NULL };
		char out[4096] = "";
		int fd;
		pid_t pid = test_spawn(argv, &fd);

		test_read_until(fd, "never", out, sizeof(out));
		cr_assert_eq(test_wait_child(pid), 2, "%s", out);
		assert_has(out, "lets others read it");
		close(fd);
	}
	cr_assert_eq(chmod(path, 0600), 0);
	start();
	http("POST", "/api/control/kill", NULL);
	cr_assert_eq(rsp.status, 401, "%s", rsp.body);
	assert_has(rsp.head, "WWW-Authenticate: Bearer");
	http("POST", "/api/control/kill", "Bearer wrong");
	cr_assert_eq(rsp.status, 403);
	http("POST", "/api/control/kill", "Bearer " TOKEN "x");
	cr_assert_eq(rsp.status, 403);
	http("POST", "/api/control/kill", "Basic " TOKEN);
	cr_assert_eq(rsp.status, 401);
	http("GET", "/api/control/kill", "Bearer " TOKEN);
	cr_assert_eq(rsp.status, 405);
	http("POST", "/api/control/explode", "Bearer " TOKEN);
	cr_assert_eq(rsp.status, 404);
	cr_assert_eq(atomic_load(&ctl->kill_req), 0, "a refused request reached riskd");

	atomic_store(&a.stop, false);
	cr_assert_eq(pthread_create(&a.th, NULL, actor_main, &a), 0);
	http("POST", "/api/control/kill", "Bearer " TOKEN);
	atomic_store(&a.stop, true);
	pthread_join(a.th, NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	assert_has(rsp.body, "halted (kill)");
	cr_assert_eq(atomic_load(&ctl->kill_req), 1);
	cr_assert_eq(atomic_load(&ctl->kill_done), 1);
	/* nobody acting: 504 after control_wait, the request stays */
	http("POST", "/api/control/pause", "Bearer " TOKEN);
	cr_assert_eq(rsp.status, 504, "%s", rsp.body);
	assert_json(rsp.body);
	assert_has(rsp.body, "riskd did not answer within control_wait (2");
	assert_has(rsp.body, "did not act");
	cr_assert_eq(atomic_load(&ctl->pause_req), 1);
}

/* A request sent on a connection of its own, its answer not read yet: the fd. */
static int http_send(const char *method, const char *path, const char *auth)
{
	char req[1024];
	int fd = dial(M.http_port);
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			 "Authorization: %s\r\nContent-Length: 0\r\n\r\n", method, path, auth);

	cr_assert_eq(write(fd, req, (size_t)n), n);
	return fd;
}

static void wait_req(_Atomic uint64_t *req, uint64_t want)
{
	uint64_t end = kimp_mono_ns() + 20 * SEC;
	unsigned spins = 0;

	while (atomic_load(req) != want) {
		cr_assert_lt(kimp_mono_ns(), end, "monitord did not post the request");
		test_backoff(&spins);
	}
}

Test(monitord, control_waits_for_riskd_without_blocking_the_loop)
{
	char path[128], extra[256];
	struct actor a = { 0 };
	struct pollfd p;
	uint64_t end;
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/token", env.dir);
	test_write_text(path, TOKEN "\n");
	cr_assert_eq(chmod(path, 0600), 0);
	snprintf(extra, sizeof(extra), "token_file = %s\n", path);
	ctl_wait = "60s";          /* nobody answers until the test says */
	write_cfg(extra);
	ctl_wait = "2s";
	start();
	fd = http_send("POST", "/api/control/pause", "Bearer " TOKEN);
	wait_req(&ctl->pause_req, 1);
	/* riskd has not acted: the request waits, and the loop serves others */
	http("GET", "/health", NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_json(rsp.body);
	http("GET", "/api/status", NULL);
	cr_assert(rsp.status == 200, "%s", rsp.body);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 0), 0, "answered before riskd acted");
	/* one at a time */
	http("POST", "/api/control/kill", "Bearer " TOKEN);
	cr_assert_eq(rsp.status, 409, "%s", rsp.body);
	assert_has(rsp.body, "in flight");
	cr_assert_eq(atomic_load(&ctl->kill_req), 0);
	/* riskd acts: the waiting request is answered */
	atomic_store(&ctl->pause_done, 1);
	while ((n = read(fd, rsp.buf + len, sizeof(rsp.buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	rsp.buf[len] = 0;
	cr_assert_eq(strncmp(rsp.buf, "HTTP/1.1 200", 12), 0, "%s", rsp.buf);
	assert_has(rsp.buf, "\"command\": \"pause\"");
	/* a client gone before the answer: monitord finishes the request and runs on */
	fd = http_send("POST", "/api/control/resume", "Bearer " TOKEN);
	wait_req(&ctl->resume_req, 1);
	close(fd);
	atomic_store(&ctl->resume_done, 1);
	cr_assert_eq(pthread_create(&a.th, NULL, actor_main, &a), 0);
	end = kimp_mono_ns() + 20 * SEC;
	do {
		cr_assert_lt(kimp_mono_ns(), end, "still busy: %s", rsp.body);
		http("POST", "/api/control/kill", "Bearer " TOKEN);
	} while (rsp.status == 409);
	atomic_store(&a.stop, true);
	pthread_join(a.th, NULL);
	cr_assert_eq(rsp.status, 200, "%s", rsp.body);
	assert_has(rsp.body, "halted (kill)");
}

/* ---- static files ---------------------------------------------------------------- */

Test(monitord, static_files_and_no_traversal)
{
	start();
	http("GET", "/", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_has(rsp.head, "Content-Type: text/html; charset=utf-8");
	assert_has(rsp.body, "<canvas");
	http("GET", "/app.js", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_has(rsp.head, "Content-Type: text/javascript");
	http("GET", "/style.css", NULL);
	cr_assert_eq(rsp.status, 200);
	assert_has(rsp.head, "Content-Type: text/css");
	cr_assert_null(strstr(rsp.body, "http://"), "an external URL in style.css");
	http("GET", "/nope.html", NULL);
	cr_assert_eq(rsp.status, 404);
	http("GET", "/../Makefile", NULL);
	cr_assert_eq(rsp.status, 404);
	http("GET", "/%2e%2e/Makefile", NULL);
	cr_assert_eq(rsp.status, 404);
	http("GET", "/./index.html", NULL);
	cr_assert_eq(rsp.status, 404);
	http("GET", "//etc/passwd", NULL);
	cr_assert_eq(rsp.status, 404);
	http("GET", "/..", NULL);
	cr_assert_eq(rsp.status, 404);
	/* a symlink out of www */
	char link[256];
	snprintf(link, sizeof(link), "monitord/www/out-%d.txt", (int)getpid());
	cr_assert_eq(symlink("/etc/hostname", link), 0, "%s", strerror(errno));
	http("GET", link + strlen("monitord/www"), NULL);
	unlink(link);
	cr_assert_eq(rsp.status, 404);
}

/* ---- WebSocket -------------------------------------------------------------------- */

/* Upgrade at /ws on port, read the 101 and the first snapshot, check it. */
static void ws_snapshot(uint16_t port)
{
	static const char req[] = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n";
	static char buf[1 << 20];
	size_t len = 0, hl, off;
	uint64_t plen;
	int fd;

	fd = dial(port);
	cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	/* the 101, then a text frame holding a snapshot */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *end;
		ssize_t n;

		cr_assert_gt(poll(&p, 1, 10000), 0, "no snapshot in 10 s");
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		cr_assert_gt(n, 0);
		len += (size_t)n;
		buf[len] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cr_assert_eq(strncmp(buf, "HTTP/1.1 101", 12), 0, "%s", buf);
		assert_has(buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
		hl = (size_t)(end + 4 - buf);
		if (len < hl + 2)
			continue;
		cr_assert_eq((unsigned char)buf[hl], 0x81, "not one text frame");
		plen = (unsigned char)buf[hl + 1] & 0x7f;
		off = hl + 2;
		if (plen == 126) {
			if (len < hl + 4)
				continue;
			plen = (uint64_t)(unsigned char)buf[hl + 2] << 8 | (unsigned char)buf[hl + 3];
			off = hl + 4;
		} else if (plen == 127) {
			if (len < hl + 10)
				continue;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | (unsigned char)buf[hl + 2 + i];
			off = hl + 10;
		}
		if (len >= off + plen)
			break;
	}
	close(fd);
	buf[off + plen] = 0;
	assert_json(buf + off);
	assert_has(buf + off, "\"type\": \"snapshot\"");
	assert_has(buf + off, "\"total\": \"12345\"");
	assert_has(buf + off, "\"msgs_per_s\": 420");
	assert_has(buf + off, "\"premium\": null");
}

/* A request on port, all of it sent at once; what came back before the close. */
static void raw_exchange(uint16_t port, const char *req, char *out, size_t cap)
{
	size_t len = 0;
	int fd = dial(port);

	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		cr_assert_gt(poll(&p, 1, 10000), 0, "no answer in 10 s");
		n = read(fd, out + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 >= cap)
			break;
	}
	out[len] = 0;
	close(fd);
}

/* ws_listen, the WebSocket's own listener (the test's config sets one) */
Test(monitord, websocket_pushes_snapshots)
{
	start();
	ws_snapshot(M.ws_port);
}

/*
 * /ws on the HTTP port itself: the connection is handed over to the
 * WebSocket; a bad upgrade there gets the WebSocket's refusal, and the
 * HTTP API goes on answering.
 */
Test(monitord, websocket_on_the_http_port)
{
	char buf[4096], body[1024];

	start();
	ws_snapshot(M.http_port);
	raw_exchange(M.http_port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
		     buf, sizeof(buf));
	cr_assert_eq(strncmp(buf, "HTTP/1.1 400", 12), 0, "no key: %s", buf);
	raw_exchange(M.http_port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				"Sec-WebSocket-Version: 8\r\n\r\n", buf, sizeof(buf));
	cr_assert_eq(strncmp(buf, "HTTP/1.1 426", 12), 0, "version 8: %s", buf);
	cr_assert_eq(test_http(M.http_port, "GET", "/api/config", body, sizeof(body)), 200);
	assert_has(body, "\"ws_path\": \"/ws\"");
	assert_has(body, "\"ws_same_port\": false");   /* this config has ws_listen too */
	cr_assert_eq(test_http(M.http_port, "GET", "/health", body, sizeof(body)), 200);
}

/* ---- the dashboard in headless Chromium --------------------------------------------- */

static const char *chromium(void)
{
	static const char *const paths[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser",
					     "/usr/bin/google-chrome" };
	const char *e = getenv("CHROMIUM");

	if (e && *e)
		return e;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* Run chromium with args; its stdout into out. Status of the run. */
static int run_chromium(const char *const *args, char *out, size_t cap)
{
	int fd, status;
	pid_t pid = test_spawn(args, &fd);
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(fd);
	status = test_wait_child(pid);
	return status;
}

TestSuite(monitord_dashboard, .init = setup, .fini = teardown, .timeout = 120);

Test(monitord_dashboard, live_numbers_in_the_dom)
{
	const char *chr = chromium();
	static char out[1 << 20];
	char url[64], prof[128], shot[512], art[300], budget[] = "--virtual-time-budget=8000";
	const char *mon = test_bin("MONITORD", "build/bin/monitord");

	if (!chr) {
		cr_skip_test("chromium is not installed (tools/install-deps installs it): "
			     "the dashboard is not tested");
	}
	start();
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", M.http_port);
	snprintf(prof, sizeof(prof), "--user-data-dir=%s/chromium", env.dir);
	{
		const char *argv[] = { chr, "--headless", "--no-sandbox", "--disable-gpu",
				       "--no-first-run", "--disable-extensions", prof, budget,
				       "--dump-dom", url, NULL };

		cr_assert_eq(run_chromium(argv, out, sizeof(out)), 0, "chromium failed:\n%s", out);
	}
	/* the first snapshot (/api/snapshot) was drawn; the WebSocket that
	 * follows it is not waited for under virtual time (tested in C above) */
	assert_lacks(out, "no monitord");
	assert_has(out, "<b id=\"pnl-total\">12345</b>");
	assert_has(out, "<td>upbit</td><td>420</td><td>1</td><td>15.0 ms</td>");
	assert_has(out, "1152921504606846981");
	assert_has(out, "<td>riskd intent_to_order_ns</td><td>3</td>");

	/* a screenshot, kept as an artifact beside the binary's build */
	snprintf(art, sizeof(art), "%.*s/artifacts", (int)(strrchr(mon, '/') ?
		 strrchr(mon, '/') - mon : 1), strrchr(mon, '/') ? mon : ".");
	if (strstr(art, "/bin/artifacts"))
		strcpy(strstr(art, "/bin/artifacts"), "/artifacts");
	mkdir(art, 0755);
	snprintf(shot, sizeof(shot), "--screenshot=%s/dashboard-segments.png", art);
	{
		const char *argv[] = { chr, "--headless", "--no-sandbox", "--disable-gpu",
				       "--no-first-run", "--disable-extensions", prof, budget,
				       "--window-size=1000,1400", shot, url, NULL };
		struct stat sb;

		cr_assert_eq(run_chromium(argv, out, sizeof(out)), 0, "chromium failed:\n%s", out);
		cr_assert_eq(stat(shot + strlen("--screenshot="), &sb), 0, "%s", shot);
		cr_assert_gt(sb.st_size, 1000);
	}
}
