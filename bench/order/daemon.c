/* SPDX-License-Identifier: MIT */
/*
 * The daemon part: the real orderd against exsim, the bench playing riskd.
 *
 * Per run: exsim on cpu[1] with a scenario of our own (both venues with
 * rate_limits = false, the order path's latency 0, the Binance WS API on a
 * port we chose, the default test accounts), a riskd segment of ours with
 * its `orders` ring, orderd on cpu[0] (live on both venues, pointed at
 * exsim, its journal in our temp dir, sync none) and its segment attached:
 * the state region (readiness), both report rings (drained here, so
 * neither backs up) and the metrics region.
 *
 *   paced  orders at cfg->paced_rate, alternating venues, for paced_s;
 *          intent-to-send per venue is orderd's own histogram (ring pop to
 *          the bytes handed to the socket) over that window, so queues do
 *          not inflate it.
 *   closed loop  for load_s, per venue at most window[v] orders between
 *          the push and the order's first final (or UNKNOWN) report; a new
 *          order goes in as soon as one is done. So orderd is offered only
 *          what it can have in flight (Upbit: rest_conns x rest_pipeline
 *          requests; Binance: its ws-api cap of 256) and refuses nothing:
 *          what is measured is the sustained rate, not the cost of refusing
 *          a flood. Counted: orders sent per second (orderd's own count),
 *          orders that reached exsim's ledger per second (its "ev":"order"
 *          lines), orders done per second, local refusals (should be 0),
 *          the CPU share of orderd, exsim and this bench (/proc/PID/stat),
 *          which says which side is the bottleneck, exsim's slow-reader
 *          cuts and orderd's reconnects (both should be 0).
 *
 * Orders are limit IOC buys of 0.001 BTC at about half the market (KRW
 * 70,000,000; USDT 50,000.00): valid, accepted, never filled (expired at
 * once), so no balance runs out however many go.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kimp/metrics.h"
#include "kimp/msg.h"
#include "kimp/order.h"
#include "kimp/ring.h"
#include "kimp/risk.h"
#include "kimp/segment.h"
#include "kimp/tsc.h"
#include "kimp/venue_ord.h"
#include "../common/bench_exsim.h"
#include "../common/bench_util.h"
#include "obench.h"

#define ORDERD_SLOT    2
#define ORDERS_SLOTS   65536u
#define REP_SLOTS      262144u

/* exsim's default test accounts (sim/scenarios/README.md): not secrets */
#define UPBIT_KEY      "exsimUpbitAccessKey000000000000000000000"
#define UPBIT_SECRET   "exsimUpbitSecretKey000000000000000000000"
#define BINANCE_KEY    "exsimBinanceApiKey0000000000000000000000000000000000000000000000"
#define BINANCE_SECRET "exsimBinanceSecretKey0000000000000000000000000000000000000000000"

static const uint8_t ob_venue_id[OB_NVENUES] = { KIMP_VENUE_BINANCE, KIMP_VENUE_UPBIT };

struct od_proc {
	pid_t pid;
	int err_fd;
	char line[4096];
	size_t line_len;
	char conf[300];
	char seg[SHM_NAME_MAX];
	char rseg[SHM_NAME_MAX];
	struct shm_opts so;
	struct shm_seg s, rs;
	bool s_on, rs_on, rs_made;
	struct kimp_ord_state *st;
	struct shm_metrics *m;
	const struct shm_hist *its[OB_NVENUES];
	struct shm_ring *rep_r[2];
	struct shm_ring_cons rep[2];
	struct shm_ring *orders_r;
	struct shm_ring_prod orders;
};

/* Reports seen on rep.riskd (rep.stratd is drained and only counted). */
struct rep_count {
	uint64_t by_state[16];
	uint64_t local_rej, venue_rej;
	uint64_t local_by_code[KIMP_OREJ_MAX];
	uint64_t stratd;
	uint64_t done[OB_NVENUES];      /* orders whose first final (or UNKNOWN) report came */
	uint64_t ldone[OB_NVENUES];     /* ... of those pushed by the closed loop */
};

/* Per order pushed (by client_oid - coid_base): done already. */
#define DONE_MAX       (1u << 24)
static uint8_t *done_map;

static char seg_paths[2][300];

static void unlink_segs(void)
{
	for (int i = 0; i < 2; i++)
		if (seg_paths[i][0])
			unlink(seg_paths[i]);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/* A free TCP port on 127.0.0.1 (bound, read and closed: taken again by exsim). */
static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd < 0)
		return 0;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int write_file(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text);
	int e = 0;

	if (fd < 0)
		e = -errno;
	else if (write(fd, text, n) != (ssize_t)n)
		e = -EIO;
	if (fd >= 0 && close(fd) && !e)
		e = -errno;
	if (e)
		fprintf(stderr, OB_PROG ": write %s: %s\n", path, strerror(-e));
	return e;
}

static int write_scenario(const char *path, uint16_t api_port)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "# order_bench: both venues with their rate limits lifted, orders matched at once\n"
		 "[venue.upbit]\nrate_limits = false\norder_latency = 0ms\n"
		 "[venue.binance]\nrate_limits = false\norder_latency = 0ms\napi_port = %u\n",
		 api_port);
	return write_file(path, 0600, text);
}

static int write_conf(const struct ob_cfg *cfg, const struct bx_exsim *x, uint16_t api_port,
		      struct od_proc *p)
{
	char text[4096], sec[2][300], jdir[200];
	int e;

	snprintf(sec[0], sizeof(sec[0]), "%s/upbit.secret", x->dir);
	snprintf(sec[1], sizeof(sec[1]), "%s/binance.secret", x->dir);
	snprintf(jdir, sizeof(jdir), "%s/journal", x->dir);
	if ((e = write_file(sec[0], 0600, UPBIT_SECRET "\n")) ||
	    (e = write_file(sec[1], 0600, BINANCE_SECRET "\n")))
		return e;
	snprintf(p->conf, sizeof(p->conf), "%s/orderd.conf", x->dir);
	snprintf(text, sizeof(text),
		 "# order_bench: orderd live on exsim (%s)\n"
		 "[engine]\ncoins = BTC USDT\n"
		 "[venue.upbit]\npx_dec = 8\nqty_dec = 8\ncoins = BTC\n"
		 "[venue.binance]\npx_dec = 8\nqty_dec = 8\ncoins = BTC\n"
		 "[orderd]\nname = %s\nriskd = %s\ncpu = %d\nring_slots = %u\nwait = %s\n"
		 "journal_dir = %s\njournal_sync = none\n"
		 "[order.upbit]\nmode = live\nrest_url = https://localhost:%u\n"
		 "private_url = wss://localhost:%u/websocket/v1/private\nca_file = %s\n"
		 "api_key = %s\nsecret_file = %s\nrate_limits = false\nrest_conns = %u\n"
		 "rest_pipeline = %u\n"
		 "[order.binance]\nmode = live\nrest_url = https://localhost:%u\n"
		 "wsapi_url = wss://localhost:%u/ws-api/v3\nca_file = %s\n"
		 "api_key = %s\nsecret_file = %s\nrate_limits = false\nrest_pipeline = %u\n",
		 x->ready_line, p->seg, p->rseg, cfg->cpu[0], REP_SLOTS, cfg->orderd_wait, jdir,
		 x->rest_port[BX_UPBIT], x->ws_port[BX_UPBIT], x->ca, UPBIT_KEY, sec[0],
		 (unsigned)cfg->upbit_conns, (unsigned)cfg->rest_pipeline,
		 x->rest_port[BX_BINANCE], api_port, x->ca, BINANCE_KEY, sec[1],
		 (unsigned)cfg->rest_pipeline);
	return write_file(p->conf, 0600, text);
}

/* ---- orderd, the process ------------------------------------------------------------- */

static bool od_alive(struct od_proc *p)
{
	return bu_child_alive(OB_PROG, "orderd", &p->pid, ORDERD_SLOT);
}

/* Forward orderd's stderr, line by line, prefixed. */
static void od_drain(struct od_proc *p)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (p->err_fd < 0)
			return;
		n = read(p->err_fd, p->line + p->line_len, sizeof(p->line) - 1 - p->line_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p->line_len += (size_t)n;
		p->line[p->line_len] = 0;
		while ((nl = strchr(p->line, '\n'))) {
			*nl = 0;
			fprintf(stderr, "  | %s\n", p->line);
			p->line_len -= (size_t)(nl + 1 - p->line);
			memmove(p->line, nl + 1, p->line_len + 1);
		}
		if (p->line_len == sizeof(p->line) - 1) {
			fprintf(stderr, "  | %s\n", p->line);
			p->line_len = 0;
		}
	}
}

static int od_spawn(const struct ob_cfg *cfg, struct od_proc *p)
{
	pid_t parent = getpid(), pid;
	int pfd[2], e;

	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (!pid) {
		const char *argv[] = { cfg->orderd, "-c", p->conf, NULL };
		int devnull;

		bu_signals_default();
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		if (bu_pin(cfg->cpu[0]))
			_exit(1);
		devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(devnull, STDOUT_FILENO) < 0 || dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(1);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, OB_PROG ": exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	p->err_fd = pfd[0];
	p->pid = pid;
	bu_child(ORDERD_SLOT, pid);
	return 0;
}

static void od_drain_tick(void *arg)
{
	od_drain(arg);
}

static void od_stop(struct od_proc *p)
{
	bu_child_stop(OB_PROG, "orderd", &p->pid, ORDERD_SLOT, 5000000000ull, od_drain_tick, p);
	od_drain(p);
	if (p->err_fd >= 0) {
		close(p->err_fd);
		p->err_fd = -1;
	}
}

/* ---- the segments ----------------------------------------------------------------------- */

/* The intent-to-send histogram of venue name: a name with the venue and "send". */
static const struct shm_hist *find_its(const struct shm_metrics *m, const char *venue,
				       char *name, size_t cap)
{
	uint32_t n = atomic_load_explicit(&m->nhists, memory_order_acquire);
	const char *const want[] = { "intent_to_send", "send" };

	for (unsigned w = 0; w < 2; w++)
		for (uint32_t i = 0; i < n; i++) {
			const char *hn = shm_metrics_hist_name(m, i);

			if (strstr(hn, venue) && strstr(hn, want[w])) {
				snprintf(name, cap, "%s", hn);
				return shm_metrics_hist_at(m, i);
			}
		}
	return NULL;
}

static int risk_make(struct od_proc *p, unsigned run)
{
	int e;

	snprintf(p->rseg, sizeof(p->rseg), "obr%dr%u", (int)getpid(), run);
	snprintf(p->seg, sizeof(p->seg), "obo%dr%u", (int)getpid(), run);
	shm_opts_default(&p->so);
	shm_seg_remove(p->rseg, &p->so);
	shm_seg_remove(p->seg, &p->so);
	e = shm_seg_create(&p->rs, p->rseg, shm_ring_bytes(128, ORDERS_SLOTS) + (1u << 20),
			   &p->so);
	if (e) {
		fprintf(stderr, OB_PROG ": segment %s: %s\n", p->rseg, shm_last_error());
		return e;
	}
	p->rs_on = p->rs_made = true;
	shm_seg_path(p->rseg, &p->so, seg_paths[0], sizeof(seg_paths[0]));
	shm_seg_path(p->seg, &p->so, seg_paths[1], sizeof(seg_paths[1]));
	bu_signal_cleanup(unlink_segs);
	e = shm_ring_create(&p->rs, KIMP_RISK_ORDERS, 128, ORDERS_SLOTS, 0, NULL, &p->orders_r);
	if (!e)
		e = shm_ring_producer(p->orders_r, &p->orders);
	if (e)
		fprintf(stderr, OB_PROG ": ring %s: %s\n", KIMP_RISK_ORDERS, shm_last_error());
	return e;
}

/* orderd's segment with what we read: 0, -EAGAIN (not yet), -errno. */
static int od_attach(struct od_proc *p, struct ob_daemon_res *d)
{
	const struct shm_region_ent *ent;
	int e = shm_seg_attach(&p->s, p->seg, &p->so);

	/* missing, or being made (its header not yet written): again later */
	if (e == -ENOENT || e == -EPROTO)
		return -EAGAIN;
	if (e)
		return e;
	ent = shm_region_find(&p->s, KIMP_ORD_STATE);
	e = ent ? 0 : -ENOENT;
	if (!e)
		e = shm_ring_lookup(&p->s, KIMP_ORD_REP_RISKD, &p->rep_r[0]);
	if (!e)
		e = shm_ring_lookup(&p->s, KIMP_ORD_REP_STRATD, &p->rep_r[1]);
	if (!e)
		e = shm_metrics_lookup(&p->s, KIMP_ORD_METRICS, &p->m);
	if (!e) {
		p->st = shm_region_ptr(&p->s, ent);
		if (atomic_load_explicit((_Atomic uint32_t *)&p->st->magic, memory_order_acquire) !=
		    KIMP_ORD_MAGIC)
			e = -ENOENT;
	}
	if (!e)
		for (unsigned v = 0; v < OB_NVENUES && !e; v++) {
			p->its[v] = find_its(p->m, bx_venue_names[v], d->its_metric[v],
					     sizeof(d->its_metric[v]));
			if (!p->its[v])
				e = -ENOENT;
		}
	if (!e)
		e = shm_ring_consumer(p->rep_r[0], &p->rep[0]);
	if (!e)
		e = shm_ring_consumer(p->rep_r[1], &p->rep[1]);
	if (e) {
		if (e != -ENOENT)
			fprintf(stderr, OB_PROG ": %s: %s\n", p->seg, shm_last_error());
		shm_seg_detach(&p->s);
		return e == -ENOENT ? -EAGAIN : e;
	}
	p->s_on = true;
	return 0;
}

static void segs_free(struct od_proc *p)
{
	if (p->s_on)
		shm_seg_detach(&p->s);
	if (p->rs_on)
		shm_seg_detach(&p->rs);
	p->s_on = p->rs_on = false;
	if (p->rs_made)
		shm_seg_remove(p->rseg, &p->so);
	if (p->seg[0])
		shm_seg_remove(p->seg, &p->so);
	p->rs_made = false;
	seg_paths[0][0] = seg_paths[1][0] = 0;
}

static uint64_t coid_base, coid_next;
static uint64_t loop_first = UINT64_MAX;   /* the closed loop's first order (index) */

static bool final_or_unknown(unsigned state)
{
	return state == KIMP_ORD_FILLED || state == KIMP_ORD_CANCELLED ||
	       state == KIMP_ORD_REJECTED || state == KIMP_ORD_EXPIRED || state == KIMP_ORD_UNKNOWN;
}

/* Reports read; an order's first final (or UNKNOWN) one counts it done. The count read. */
static uint64_t drain_reports(struct od_proc *p, struct rep_count *rc)
{
	const struct kimp_exec_report *r;
	uint64_t n = 0;

	if (!p->s_on)
		return 0;
	while ((r = shm_ring_peek(&p->rep[0]))) {
		uint64_t i = r->client_oid - coid_base;

		n++;
		rc->by_state[r->state & 15]++;
		if (final_or_unknown(r->state) && i < DONE_MAX && !done_map[i]) {
			done_map[i] = 1;
			rc->done[r->h.venue == ob_venue_id[BX_UPBIT]]++;
			if (i >= loop_first)
				rc->ldone[r->h.venue == ob_venue_id[BX_UPBIT]]++;
		}
		if (r->state == KIMP_ORD_REJECTED) {
			if (r->reject_code > 0 && r->reject_code < KIMP_OREJ_MAX) {
				rc->local_rej++;
				rc->local_by_code[r->reject_code]++;
			} else {
				rc->venue_rej++;
			}
		}
		shm_ring_commit(&p->rep[0]);
	}
	while (shm_ring_peek(&p->rep[1])) {
		rc->stratd++;
		shm_ring_commit(&p->rep[1]);
	}
	return n;
}

/* ---- orders ------------------------------------------------------------------------------- */

static bool push_order(struct od_proc *p, unsigned v)
{
	struct kimp_order *k = shm_ring_reserve(&p->orders);
	bool upbit = v == BX_UPBIT;

	if (!k)
		return false;
	memset((uint8_t *)k + 8, 0, sizeof(*k) - 8);
	k->h.type = KIMP_MSG_ORDER_NEW;
	k->h.venue = ob_venue_id[v];
	k->h.inst = 1;
	k->h.ingress_tsc = kimp_rdtsc();
	k->client_oid = coid_base + ++coid_next;
	k->intent_id = coid_next;
	k->pair_id = coid_next;
	/* half the market: KRW 70,000,000 and USDT 50,000.00, 0.001 BTC (8 decimals) */
	k->px = upbit ? 7000000000000000ll : 5000000000000ll;
	k->qty = 100000;
	k->side = KIMP_SIDE_BUY;
	k->tif = KIMP_TIF_IOC;
	k->kind = KIMP_INTENT_ENTRY;
	k->strategy = 1;
	shm_ring_publish(&p->orders);
	return true;
}

/* Lines of exsim's ledger that are orders, read on from *off. */
static void ledger_count(const char *path, off_t *off, uint64_t *orders)
{
	static char buf[1 << 16];
	static char carry[4096];
	static size_t carry_len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	if (!*off)
		carry_len = 0;
	while ((n = pread(fd, buf, sizeof(buf), *off)) > 0) {
		size_t start = 0;

		*off += n;
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			/* a line: carry + buf[start..i) */
			size_t ll = i - start;
			char line[64];
			size_t take = 0;

			if (carry_len) {
				take = carry_len < sizeof(line) - 1 ? carry_len : sizeof(line) - 1;
				memcpy(line, carry, take);
			}
			if (take < sizeof(line) - 1) {
				size_t more = ll < sizeof(line) - 1 - take ? ll : sizeof(line) - 1 - take;

				memcpy(line + take, buf + start, more);
				take += more;
			}
			line[take] = 0;
			if (strstr(line, "\"ev\":\"order\""))
				(*orders)++;
			carry_len = 0;
			start = i + 1;
		}
		if (start < (size_t)n) {
			size_t rest = (size_t)n - start;

			if (rest > sizeof(carry) - carry_len)
				rest = sizeof(carry) - carry_len;
			memcpy(carry + carry_len, buf + start, rest);
			carry_len += rest;
		}
	}
	close(fd);
}

/* ---- one run ---------------------------------------------------------------------------- */

static bool venues_ready(const struct od_proc *p)
{
	for (unsigned v = 0; v < OB_NVENUES; v++)
		if (!atomic_load_explicit((const _Atomic uint8_t *)&p->st->venue[ob_venue_id[v]].ready,
					  memory_order_relaxed))
			return false;
	return true;
}

static uint64_t sent_total(const struct od_proc *p)
{
	uint64_t n = 0;

	for (unsigned v = 0; v < OB_NVENUES; v++)
		n += p->st->venue[ob_venue_id[v]].sent;
	return n;
}

static void hist_diff(const struct shm_hist_snap *b, const struct shm_hist_snap *a,
		      struct shm_hist_snap *to)
{
	int first = -1, last = -1;

	to->count = 0;
	for (uint32_t i = 0; i < SHM_HIST_BUCKETS; i++) {
		to->buckets[i] = b->buckets[i] > a->buckets[i] ? b->buckets[i] - a->buckets[i] : 0;
		to->count += to->buckets[i];
		if (to->buckets[i]) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
		}
	}
	to->sum = b->sum > a->sum ? b->sum - a->sum : 0;
	to->min = first < 0 ? UINT64_MAX : shm_hist_bucket_low((uint32_t)first);
	to->max = last < 0 ? 0 : shm_hist_bucket_high((uint32_t)last);
}

/* orderd's counter name (0 when it has none). */
static uint64_t counter(const struct od_proc *p, const char *name)
{
	uint32_t n = atomic_load_explicit(&p->m->ncounters, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_counter_name(p->m, i), name))
			return atomic_load_explicit(shm_metrics_counter_at(p->m, i),
						    memory_order_relaxed);
	return 0;
}

/* This process's CPU time, ns. */
static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int one_run(const struct ob_cfg *cfg, unsigned run, struct ob_daemon_res *d,
		   struct ob_run_res *u)
{
	static struct shm_hist_snap h0[OB_NVENUES], h1[OB_NVENUES], hd;
	struct bx_exsim x;
	struct bx_exsim_cfg xc = {
		.prog = OB_PROG, .exsim = cfg->exsim, .cpu = cfg->cpu[1],
		.start_timeout_s = cfg->start_timeout_s,
	};
	struct od_proc p = { .err_fd = -1 };
	static struct kimp_ord_venue sv0[OB_NVENUES];
	struct rep_count rc0, rc1, rc2;
	struct bx_status xs0, xs1;
	uint64_t c0b, c1b, ws_full0, pv[OB_NVENUES];
	char scn[200], ledger[200];
	uint16_t api_port;
	uint64_t t, deadline, l0 = 0, l1 = 0, c0o, c0x, c1o, c1x, s0, s1, waits = 0, pushed = 0;
	off_t loff = 0;
	int e;

	memset(&rc0, 0, sizeof(rc0));
	memset(done_map, 0, DONE_MAX);
	loop_first = UINT64_MAX;
	e = bx_exsim_dir(&x, "obench");
	if (e)
		return e;
	snprintf(scn, sizeof(scn), "%s/base.scn", x.dir);
	snprintf(ledger, sizeof(ledger), "%s/state/ledger.jsonl", x.dir);
	api_port = free_port();
	if (!api_port) {
		e = -EADDRNOTAVAIL;
		goto out_dir;
	}
	e = write_scenario(scn, api_port);
	if (e)
		goto out_dir;
	xc.scenario = scn;
	e = bx_exsim_start(&x, &xc, BX_RATE_QUIET);
	if (e)
		goto out_dir;
	snprintf(d->exsim_ready, sizeof(d->exsim_ready), "%s", x.ready_line);
	e = risk_make(&p, run);
	if (!e)
		e = write_conf(cfg, &x, api_port, &p);
	if (!e)
		e = od_spawn(cfg, &p);
	if (e)
		goto out;
	/* its segment, then both venues ready */
	deadline = bu_mono_ns() + (uint64_t)cfg->start_timeout_s * 1000000000ull;
	for (;;) {
		od_drain(&p);
		bx_exsim_drain(&x);
		e = p.s_on ? 0 : od_attach(&p, d);
		if (!e && venues_ready(&p))
			break;
		if (e && e != -EAGAIN) {
			fprintf(stderr, OB_PROG ": orderd's segment %s: %s\n", p.seg, strerror(-e));
			goto out;
		}
		if (!od_alive(&p) || !bx_exsim_alive(&x)) {
			fprintf(stderr, OB_PROG ": %s ended before orderd was ready (configuration %s)\n",
				p.pid ? "exsim" : "orderd", p.conf);
			e = -ECHILD;
			goto out;
		}
		if (bu_mono_ns() >= deadline) {
			fprintf(stderr, OB_PROG ": orderd %s within %u s (configuration %s)\n",
				p.s_on ? "did not have both venues ready" :
					 "did not make its segment (with an intent-to-send histogram per venue)",
				cfg->start_timeout_s, p.conf);
			e = -ETIMEDOUT;
			goto out;
		}
		usleep(10000);
	}
	coid_base = ((uint64_t)time(NULL) << 32) + ((uint64_t)run << 24);
	coid_next = 0;

	/* ---- paced ---- */
	for (unsigned v = 0; v < OB_NVENUES; v++)
		shm_hist_snapshot(p.its[v], &h0[v]);
	t = bu_mono_ns();
	deadline = t + (uint64_t)(cfg->paced_s * 1e9);
	{
		uint64_t step = 1000000000ull / cfg->paced_rate, next = t;
		unsigned v = 0;

		while ((t = bu_mono_ns()) < deadline) {
			while (next <= t) {
				if (push_order(&p, v)) {
					u->paced_orders[v]++;
					v ^= 1;
				}
				next += step;
			}
			drain_reports(&p, &rc0);
			sleep_ns(next > t + 50000 ? 50000 : next - t);
		}
	}
	/* every paced order sent or refused */
	deadline = bu_mono_ns() + 5000000000ull;
	while (bu_mono_ns() < deadline && rc0.by_state[KIMP_ORD_SENT] + rc0.local_rej <
					       u->paced_orders[0] + u->paced_orders[1]) {
		drain_reports(&p, &rc0);
		usleep(1000);
	}
	for (unsigned v = 0; v < OB_NVENUES; v++) {
		shm_hist_snapshot(p.its[v], &h1[v]);
		hist_diff(&h1[v], &h0[v], &hd);
		u->its_count[v] = hd.count;
		u->its_p50[v] = hd.count ? (double)shm_hist_quantile(&hd, 0.5) : NAN;
		u->its_p99[v] = hd.count ? (double)shm_hist_quantile(&hd, 0.99) : NAN;
		u->its_p999[v] = hd.count ? (double)shm_hist_quantile(&hd, 0.999) : NAN;
	}
	/* settle: the paced orders' later reports, the ledger read up to here */
	usleep(200000);
	drain_reports(&p, &rc0);

	/* ---- closed loop ---- */
	ledger_count(ledger, &loff, &l0);
	rc1 = rc0;
	ws_full0 = counter(&p, "binance.wsapi_full");
	bx_exsim_status(&x, &xs0);
	c0o = bu_proc_cpu_ns(p.pid);
	c0x = bu_proc_cpu_ns(x.pid);
	c0b = self_cpu_ns();
	s0 = sent_total(&p);
	for (unsigned v = 0; v < OB_NVENUES; v++) {
		sv0[v] = p.st->venue[ob_venue_id[v]];
		pv[v] = 0;
	}
	loop_first = coid_next + 1;
	t = bu_mono_ns();
	deadline = t + (uint64_t)(cfg->load_s * 1e9);
	while (bu_mono_ns() < deadline) {
		uint64_t n = 0;

		for (unsigned v = 0; v < OB_NVENUES; v++)
			while (pv[v] - rc1.ldone[v] < cfg->window[v] && push_order(&p, v)) {
				pv[v]++;
				n++;
			}
		pushed += n;
		n += drain_reports(&p, &rc1);
		if (!n) {
			waits++;
			sleep_ns(20000);
		}
	}
	u->load_wall_s = (double)(bu_mono_ns() - t) / 1e9;
	s1 = sent_total(&p);
	c1o = bu_proc_cpu_ns(p.pid);
	c1x = bu_proc_cpu_ns(x.pid);
	c1b = self_cpu_ns();
	u->ws_full = counter(&p, "binance.wsapi_full") - ws_full0;
	bx_exsim_status(&x, &xs1);
	u->ws_slow_closed = xs0.ok && xs1.ok ? xs1.ws_slow_closed - xs0.ws_slow_closed : ~0ull;
	u->reconnects = 0;
	for (unsigned v = 0; v < OB_NVENUES; v++) {
		const struct kimp_ord_venue *sv = &p.st->venue[ob_venue_id[v]];
		const struct venue_ord *vo = venue_ord_get((enum kimp_venue)ob_venue_id[v]);
		size_t off = strlen(d->notes);

		u->v_sent[v] = sv->sent - sv0[v].sent;
		u->v_local_rej[v] = sv->local_rejects - sv0[v].local_rejects;
		u->v_done[v] = rc1.ldone[v];
		u->reconnects += sv->reconnects - sv0[v].reconnects;
		if (!u->v_local_rej[v])
			continue;
		off += (size_t)snprintf(d->notes + off, sizeof(d->notes) - off,
					"run %u %s: %" PRIu64 " sent, %" PRIu64 " refused locally;",
					run, bx_venue_names[v], u->v_sent[v], u->v_local_rej[v]);
		for (unsigned i = 0; vo && i < sv->nrates && i < vo->nrates && off < sizeof(d->notes);
		     i++)
			if (sv->rate[i].denied - sv0[v].rate[i].denied)
				off += (size_t)snprintf(d->notes + off, sizeof(d->notes) - off,
					" rule %s (limit %u per %.0f s, budget %u) denied %" PRIu64 ";",
					vo->rates[i].name, sv->rate[i].limit,
					(double)sv->rate[i].window_ns / 1e9, sv->rate[i].budget,
					sv->rate[i].denied - sv0[v].rate[i].denied);
		if (off < sizeof(d->notes) - 2)
			snprintf(d->notes + off, sizeof(d->notes) - off, " ");
	}
	drain_reports(&p, &rc1);
	ledger_count(ledger, &loff, &l1);
	u->ledger = l1;
	rc2 = rc1;
	u->pushed = pushed;
	u->sent = s1 - s0;
	u->done = u->v_done[0] + u->v_done[1];
	u->unknown = rc2.by_state[KIMP_ORD_UNKNOWN] - rc0.by_state[KIMP_ORD_UNKNOWN];
	u->acked = rc2.by_state[KIMP_ORD_ACKED] - rc0.by_state[KIMP_ORD_ACKED];
	u->rejected = rc2.venue_rej - rc0.venue_rej;
	u->local_rejects = rc2.local_rej - rc0.local_rej;
	u->idle_waits = waits;
	u->sent_per_s = (double)u->sent / u->load_wall_s;
	u->ledger_per_s = (double)u->ledger / u->load_wall_s;
	u->done_per_s = (double)u->done / u->load_wall_s;
	u->orderd_cpu_ns = bu_ratio((double)(c1o - c0o), (double)u->sent);
	u->exsim_cpu_ns = bu_ratio((double)(c1x - c0x), (double)u->sent);
	u->orderd_cpu_share = (double)(c1o - c0o) / 1e9 / u->load_wall_s;
	u->exsim_cpu_share = (double)(c1x - c0x) / 1e9 / u->load_wall_s;
	u->bench_cpu_share = (double)(c1b - c0b) / 1e9 / u->load_wall_s;
	u->other_reports = 0;
	for (unsigned s = 0; s < 16; s++)
		if (s != KIMP_ORD_SENT && s != KIMP_ORD_ACKED && s != KIMP_ORD_REJECTED)
			u->other_reports += rc2.by_state[s] - rc0.by_state[s];
	if (u->local_rejects) {
		size_t off = strlen(d->notes);

		for (unsigned c = 1; c < KIMP_OREJ_MAX; c++)
			if (rc2.local_by_code[c] - rc0.local_by_code[c])
				off += (size_t)snprintf(d->notes + off, sizeof(d->notes) - off,
					"run %u: %" PRIu64 " orders refused by orderd (%s). ", run,
					rc2.local_by_code[c] - rc0.local_by_code[c],
					kimp_ord_rej_name(c));
	}
	if (u->ws_slow_closed || u->reconnects)
		snprintf(d->notes + strlen(d->notes), sizeof(d->notes) - strlen(d->notes),
			 "run %u: exsim cut %" PRIu64 " slow connection(s), orderd reconnected %" PRIu64
			 " time(s). ", run, u->ws_slow_closed, u->reconnects);
	u->ok = true;
	printf(OB_PROG ": run %u: paced its p50 binance %.0f upbit %.0f ns; closed loop (windows "
	       "%" PRIu64 "/%" PRIu64 "): %.0f sent/s (binance %.0f, upbit %.0f), %.0f ledger/s, "
	       "%" PRIu64 " refused, %" PRIu64 " unknown; CPU orderd %.2f exsim %.2f bench %.2f\n",
	       run, u->its_p50[0], u->its_p50[1], cfg->window[0], cfg->window[1], u->sent_per_s,
	       (double)u->v_sent[0] / u->load_wall_s, (double)u->v_sent[1] / u->load_wall_s,
	       u->ledger_per_s, u->local_rejects, u->unknown, u->orderd_cpu_share,
	       u->exsim_cpu_share, u->bench_cpu_share);
out:
	od_stop(&p);
	segs_free(&p);
	bx_exsim_stop(&x);
out_dir:
	bx_exsim_dir_free(&x);
	return e;
}

int ob_daemon_run(const struct ob_cfg *cfg, struct ob_daemon_res *d)
{
	double a[8][OB_MAX_RUNS];
	unsigned n = 0;
	int e = 0;

	d->ran = true;
	done_map = calloc(1, DONE_MAX);
	if (!done_map)
		return -ENOMEM;
	/* off orderd's core: the in-process part left this thread on cpu[0] */
	if (bu_pin(cfg->cpu[1]))
		fprintf(stderr, OB_PROG ": could not move to CPU %d\n", cfg->cpu[1]);
	for (unsigned r = 0; r < cfg->runs; r++) {
		e = one_run(cfg, r, d, &d->run[r]);
		d->runs = r + 1;
		if (e) {
			snprintf(d->skip, sizeof(d->skip), "run %u failed: %s", r, strerror(-e));
			free(done_map);
			return e;
		}
	}
	free(done_map);
	done_map = NULL;
	/* the sustained figures: the clean runs (nothing refused, no connection lost), or
	 * every run when none was (the notes say what went wrong) */
	for (unsigned r = 0; r < d->runs; r++)
		d->clean_runs += !d->run[r].local_rejects && !d->run[r].ws_slow_closed &&
				 !d->run[r].reconnects;
	for (unsigned r = 0; r < d->runs; r++) {
		const struct ob_run_res *u = &d->run[r];

		if (d->clean_runs && (u->local_rejects || u->ws_slow_closed || u->reconnects))
			continue;

		a[0][n] = u->sent_per_s;
		a[1][n] = u->ledger_per_s;
		a[2][n] = u->orderd_cpu_ns;
		a[3][n] = u->exsim_cpu_ns;
		a[4][n] = u->orderd_cpu_share;
		a[5][n] = u->exsim_cpu_share;
		a[6][n] = u->bench_cpu_share;
		a[7][n] = u->done_per_s;
		n++;
	}
	d->sent_per_s = bu_median(a[0], n);
	d->ledger_per_s = bu_median(a[1], n);
	d->orderd_cpu_ns = bu_median(a[2], n);
	d->exsim_cpu_ns = bu_median(a[3], n);
	d->orderd_cpu_share = bu_median(a[4], n);
	d->exsim_cpu_share = bu_median(a[5], n);
	d->bench_cpu_share = bu_median(a[6], n);
	d->done_per_s = bu_median(a[7], n);
	for (unsigned r = 0; r < d->runs; r++)
		a[0][r] = (double)d->run[r].local_rejects;
	d->local_rejects = bu_median(a[0], d->runs);
	n = d->runs;
	for (unsigned v = 0; v < OB_NVENUES; v++) {
		for (unsigned r = 0; r < n; r++) {
			a[0][r] = d->run[r].its_p50[v];
			a[1][r] = d->run[r].its_p99[v];
			a[2][r] = d->run[r].its_p999[v];
		}
		d->its_p50[v] = bu_median(a[0], n);
		d->its_p99[v] = bu_median(a[1], n);
		d->its_p999[v] = bu_median(a[2], n);
	}
	d->ok = true;
	return 0;
}
