/* SPDX-License-Identifier: MIT */
/*
 * riskd as a real process (build/bin/riskd, or $RISKD). The test is its
 * stratd (intents), its orderd (reports) and its feedd (books). A run
 * SIGKILLed at several points of a stream (mid-intent, mid-report, in a
 * burst) and restarted ends in the same state as an uninterrupted run of
 * the same stream, every intent has exactly one verdict and no intent is
 * on the orders ring twice. Kill and pause work through the control
 * region and through signals, and a kill survives a restart.
 *
 * Waiting is on conditions (a verdict, a ring position, a done counter)
 * with a deadline that only turns a hang into a failure.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "rdaemon.h"

static struct rpeer A, B;

/* after a failed test too: nothing left behind (riskd dies with the test: PDEATHSIG) */
static void teardown(void)
{
	rp_fini(&A);
	rp_fini(&B);
}

TestSuite(riskd_e2e, .timeout = 120, .fini = teardown);

struct proc {
	pid_t pid;
	int out;
	char cfg[128];
};

static uint64_t deadline(void)
{
	return kimp_mono_ns() + RP_DEADLINE_NS;
}

/* Start riskd on p's configuration; return once it says it is ready. */
static void start(struct rpeer *p, struct proc *r)
{
	const char *bin = getenv("RISKD") ? getenv("RISKD") : "build/bin/riskd";
	char out[16384] = "";
	size_t len = 0;
	int fds[2];

	snprintf(r->cfg, sizeof(r->cfg), "%s/riskd.conf", p->env.dir);
	test_write_file(r->cfg, p->text, strlen(p->text));
	cr_assert_eq(pipe(fds), 0);
	r->pid = fork();
	cr_assert_geq(r->pid, 0);
	if (!r->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execl(bin, bin, "-c", r->cfg, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	r->out = fds[0];
	while (!strstr(out, "riskd: ready")) {
		ssize_t n = read(r->out, out + len, sizeof(out) - 1 - len);
		cr_assert_gt(n, 0, "riskd did not come up:\n%s", out);
		len += (size_t)n;
		out[len] = 0;
	}
	/* keep reading its output out of the way: a full pipe would stop it */
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	for (uint64_t end = deadline(); !rp_attach_riskd(p);) {
		cr_assert_lt(kimp_mono_ns(), end, "riskd's segment");
		sched_yield();
	}
}

static void drain_output(struct proc *r)
{
	char buf[4096];

	while (read(r->out, buf, sizeof(buf)) > 0)
		;
}

static void sigkill(struct proc *r)
{
	cr_assert_eq(kill(r->pid, SIGKILL), 0);
	cr_assert_eq(test_wait_child(r->pid), 128 + SIGKILL);
	drain_output(r);
	close(r->out);
}

static void stop(struct proc *r)
{
	cr_assert_eq(kill(r->pid, SIGTERM), 0);
	cr_assert_eq(test_wait_child(r->pid), 0, "riskd stops cleanly on SIGTERM");
	drain_output(r);
	close(r->out);
}

/* What the test saw on riskd's rings. */
struct seen {
	uint32_t verdicts[1024];       /* by intent id - 5000 */
	uint32_t orders[1024];
	struct kimp_verdict last[1024];
	uint64_t oid[1024];            /* the order of each intent */
	int64_t oqty[1024];
	uint32_t cancel_alls;
};

static void collect(struct rpeer *p, struct seen *s, struct proc *r)
{
	struct kimp_verdict v;
	struct kimp_order o;

	while (rp_pop(&p->verdicts, &v)) {
		cr_assert_geq(v.intent_id, 5000);
		cr_assert_lt(v.intent_id, 5000 + 1024);
		s->verdicts[v.intent_id - 5000]++;
		s->last[v.intent_id - 5000] = v;
	}
	while (rp_pop(&p->orders, &o)) {
		if (o.h.type == KIMP_MSG_ORDER_CANCEL_ALL) {
			s->cancel_alls++;
			continue;
		}
		cr_assert_eq(o.h.type, KIMP_MSG_ORDER_NEW);
		s->orders[o.intent_id - 5000]++;
		s->oid[o.intent_id - 5000] = o.client_oid;
		s->oqty[o.intent_id - 5000] = o.qty;
	}
	if (r)
		drain_output(r);
}

/* Wait for intent id's verdict. */
static struct kimp_verdict wait_verdict(struct rpeer *p, struct seen *s, struct proc *r,
					uint64_t id)
{
	for (uint64_t end = deadline(); !s->verdicts[id - 5000];) {
		collect(p, s, r);
		cr_assert_lt(kimp_mono_ns(), end, "no verdict for intent %llu",
			     (unsigned long long)id);
		sched_yield();
	}
	return s->last[id - 5000];
}

/* Wait until riskd has committed every report pushed. */
static void wait_reports(struct rpeer *p, struct proc *r)
{
	for (uint64_t end = deadline();
	     atomic_load(&p->reports_r->tail) != atomic_load(&p->reports_r->head);) {
		cr_assert_lt(kimp_mono_ns(), end, "reports not consumed");
		drain_output(r);
		sched_yield();
	}
}

/* The reports of step k's order (filled, partly filled, cancelled, repeated). */
static void reports_for(struct rpeer *p, unsigned k, uint64_t oid, int64_t qty, int64_t px)
{
	int64_t half = qty / 2;
	int64_t fee = (k & 1) ? 3 : 0;
	unsigned fa = k % 3 == 1;

	switch (k % 4) {
	case 0:
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_FILLED, qty, px, qty, fee, fa), 0);
		break;
	case 1:
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_PARTIAL, half, px, half, fee, fa), 0);
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_FILLED, qty, px, qty - half, 0, 0), 0);
		break;
	case 2:
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_PARTIAL, half, px, half, fee, fa), 0);
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_CANCELLED, half, 0, 0, 0, 0), 0);
		break;
	default:
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_CANCELLED, 0, 0, 0, 0, 0), 0);
		break;
	}
	if (k % 6 == 0)
		cr_assert_eq(rp_report(p, oid, KIMP_ORD_FILLED, qty, px, qty, fee, fa), 0);
}

/* Step k's intent. */
static uint64_t intent_for(struct rpeer *p, unsigned k, int64_t *px)
{
	bool up = k % 3 == 2, sell = (k / 2) % 2;
	int64_t qty = (int64_t)(1 + k % 5) * (up ? UQ(0.001) : BQ(0.001));

	if (k % 11 == 0 && sell)
		qty = up ? UQ(3) : BQ(3);   /* more than held: trimmed */
	*px = up ? (sell ? KRW(139999000) : KRW(140001000)) : (sell ? USD(100001) : USD(100000));
	return rp_intent(p, up ? UP : BN, BTC, sell ? SELL : BUY, *px, qty, KIMP_INTENT_ENTRY);
}

#define LOCKSTEP 60
#define BURST 150

/*
 * The stream: LOCKSTEP intents one at a time, each order's reports before
 * the next intent; then BURST intents at once; then the reports of the
 * burst's orders at once. With 'kills', riskd is SIGKILLed and restarted
 * at several points.
 */
static void run(struct rpeer *p, struct seen *s, bool kills)
{
	struct proc r;

	start(p, &r);
	for (unsigned k = 0; k < LOCKSTEP; k++) {
		int64_t px;
		uint64_t id = intent_for(p, k, &px);
		cr_assert_neq(id, 0);
		if (kills && (k == 13 || k == 29 || k == 44)) {
			sigkill(&r);
			start(p, &r);
		}
		struct kimp_verdict v = wait_verdict(p, s, &r, id);
		if (v.verdict != KIMP_VERDICT_REJECTED) {
			for (uint64_t end = deadline(); !s->orders[id - 5000];) {
				collect(p, s, &r);
				cr_assert_lt(kimp_mono_ns(), end, "no order for %llu",
					     (unsigned long long)id);
			}
			reports_for(p, k, s->oid[id - 5000], s->oqty[id - 5000], px);
			if (kills && k == 37) {
				sigkill(&r);
				start(p, &r);
			}
		}
		wait_reports(p, &r);
	}
	/* half the burst, killed at once (wherever it is), the rest queued while it is down */
	uint64_t first = p->next_id;
	for (unsigned k = 0; k < BURST; k++) {
		int64_t px = (k & 1) ? USD(100001) : USD(100000);
		cr_assert_neq(rp_intent(p, BN, BTC, (k & 1) ? SELL : BUY, px, BQ(0.001),
					KIMP_INTENT_ENTRY), 0);
		if (kills && k == BURST / 2)
			sigkill(&r);
	}
	if (kills)
		start(p, &r);
	wait_verdict(p, s, &r, first + BURST - 1);
	collect(p, s, &r);
	/* the burst's orders: half filled, half cancelled, all at once */
	for (uint64_t id = first; id < first + BURST; id++)
		if (s->orders[id - 5000])
			cr_assert_eq(rp_report(p, s->oid[id - 5000],
					       (id & 1) ? KIMP_ORD_FILLED : KIMP_ORD_CANCELLED,
					       (id & 1) ? s->oqty[id - 5000] : 0, USD(100000),
					       (id & 1) ? s->oqty[id - 5000] : 0, 0, 0), 0);
	if (kills) {
		sigkill(&r);
		start(p, &r);
	}
	wait_reports(p, &r);
	/* a few housekeeping turns after everything: the marks and the PnL */
	for (uint64_t end = deadline(), c0 = p->st->undo.commits; p->st->undo.commits < c0 + 4;) {
		cr_assert_lt(kimp_mono_ns(), end, "housekeeping");
		sched_yield();
	}
	collect(p, s, &r);
	stop(&r);
}

/* A copy of the state with what depends on time or on the run taken out. */
static struct kimp_risk_state *normalized(const struct kimp_risk_state *st)
{
	size_t n = st->size;
	struct kimp_risk_state *c = malloc(n);
	uint64_t base = st->lim.client_oid_base;

	memcpy(c, st, n);
	c->created_real_ns = 0;
	memset(&c->undo, 0, sizeof(c->undo));
	memset(&c->out_order, 0, sizeof(c->out_order));
	memset(&c->out_verdict, 0, sizeof(c->out_verdict));
	c->lim.client_oid_base = 0;
	c->lim.next_client_oid -= base;
	c->lim.intents_salt = c->lim.reports_salt = 0;
	c->lim.day_peak_pnl = 0;       /* the peak depends on when marks were taken */
	c->lim.rate_ns = 0;
	for (unsigned v = 0; v < KIMP_RISK_VENUES; v++) {
		memset(c->venue[v].rate, 0, sizeof(c->venue[v].rate));
		for (uint32_t i = 0; i < KIMP_RISK_INSTS; i++)
			c->pos[v][i].mark_ns = 0;
	}
	for (uint64_t k = 0; k < c->order_slots; k++) {
		struct kimp_risk_order *o = &c->order[k];
		if (o->client_oid)
			o->client_oid -= base;
		o->created_ns = o->updated_ns = 0;
	}
	return c;
}

Test(riskd_e2e, killed_and_restarted_mid_stream_it_ends_as_an_uninterrupted_run)
{
	static struct seen sa, sb;

	rp_init(&A, "x", NULL);
	run(&A, &sa, true);
	rp_init(&B, "y", NULL);
	run(&B, &sb, false);

	uint32_t approved = 0, rejected = 0;
	for (unsigned k = 0; k < LOCKSTEP + BURST; k++) {
		cr_assert_eq(sa.verdicts[k], 1, "intent %u: %u verdicts", 5000 + k, sa.verdicts[k]);
		cr_assert_leq(sa.orders[k], 1, "intent %u on the orders ring %u times", 5000 + k,
			      sa.orders[k]);
		cr_assert_eq(sa.orders[k], sa.last[k].verdict != KIMP_VERDICT_REJECTED);
		cr_assert_eq(sa.last[k].verdict, sb.last[k].verdict, "intent %u", 5000 + k);
		cr_assert_eq(sa.last[k].reason, sb.last[k].reason, "intent %u", 5000 + k);
		cr_assert_eq(sa.last[k].qty, sb.last[k].qty, "intent %u", 5000 + k);
		approved += sa.orders[k];
		rejected += sa.last[k].verdict == KIMP_VERDICT_REJECTED;
	}
	cr_assert_gt(approved, 40);
	cr_assert_gt(rejected, 10, "the burst ran into the open-order limit");
	cr_assert_gt(A.st->lim.trimmed, 0);
	cr_assert_gt(A.st->lim.dup_reports, 0);

	struct kimp_risk_state *na = normalized(A.st), *nb = normalized(B.st);
	cr_assert_eq(na->size, nb->size);
	cr_assert_eq(memcmp(&na->lim, &nb->lim, sizeof(na->lim)), 0, "limit state and counters");
	cr_assert_eq(memcmp(na->venue, nb->venue, sizeof(na->venue)), 0, "cash, fees, PnL");
	cr_assert_eq(memcmp(na->pos, nb->pos, sizeof(na->pos)), 0, "positions");
	cr_assert_eq(memcmp(na->order, nb->order, na->order_slots * sizeof(na->order[0])), 0,
		     "the order table");
	cr_assert_eq(memcmp(na, nb, na->size), 0, "the whole state");
	cr_assert_neq(A.st->pos[BN][BTC].hold, A.st->pos[BN][BTC].start, "it traded");
	free(na);
	free(nb);
	rp_fini(&A);
	rp_fini(&B);
}

/* Wait until *done reaches want. */
static void wait_done(_Atomic uint64_t *done, uint64_t want, struct proc *r)
{
	for (uint64_t end = deadline(); atomic_load(done) < want;) {
		cr_assert_lt(kimp_mono_ns(), end, "a control request not acted on");
		drain_output(r);
		sched_yield();
	}
}

Test(riskd_e2e, kill_and_pause_by_control_region_and_by_signal)
{
	static struct seen s;
	struct proc r;

	rp_init(&A, "z", NULL);
	start(&A, &r);
	/* SIGUSR2: pause */
	cr_assert_eq(kill(r.pid, SIGUSR2), 0);
	wait_done(&A.ctl->pause_done, 1, &r);
	uint64_t id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).reason, KIMP_RISK_PAUSED);
	/* resume, as kimpctl does */
	atomic_fetch_add(&A.ctl->resume_req, 1);
	wait_done(&A.ctl->resume_done, 1, &r);
	id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).verdict, KIMP_VERDICT_APPROVED);
	/* pause, as kimpctl does */
	atomic_fetch_add(&A.ctl->pause_req, 1);
	wait_done(&A.ctl->pause_done, 2, &r);
	id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).reason, KIMP_RISK_PAUSED);
	atomic_fetch_add(&A.ctl->resume_req, 1);
	wait_done(&A.ctl->resume_done, 2, &r);

	/* SIGUSR1: kill, and a cancel-all for orderd */
	cr_assert_eq(kill(r.pid, SIGUSR1), 0);
	wait_done(&A.ctl->kill_done, 1, &r);
	for (uint64_t end = deadline(); !s.cancel_alls;) {
		collect(&A, &s, &r);
		cr_assert_lt(kimp_mono_ns(), end, "no cancel-all");
	}
	id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).reason, KIMP_RISK_KILLED);
	/* the kill survives a restart */
	sigkill(&r);
	start(&A, &r);
	id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).reason, KIMP_RISK_KILLED);
	/* kill by the control region: another cancel-all */
	atomic_fetch_add(&A.ctl->kill_req, 1);
	wait_done(&A.ctl->kill_done, 2, &r);
	for (uint64_t end = deadline(); s.cancel_alls < 2;) {
		collect(&A, &s, &r);
		cr_assert_lt(kimp_mono_ns(), end, "no second cancel-all");
	}
	atomic_fetch_add(&A.ctl->resume_req, 1);
	wait_done(&A.ctl->resume_done, 3, &r);
	id = rp_intent(&A, BN, BTC, BUY, USD(100000), BQ(0.01), KIMP_INTENT_ENTRY);
	cr_assert_eq(wait_verdict(&A, &s, &r, id).verdict, KIMP_VERDICT_APPROVED);
	cr_assert_eq(A.st->lim.kills, 2);
	cr_assert_eq(A.st->lim.pauses, 2);
	cr_assert_eq(A.st->lim.resumes, 3);
	stop(&r);
	rp_fini(&A);
}

Test(riskd_e2e, check_prints_the_limits_and_a_bad_value_names_its_line)
{
	char path[160], out[16384] = "";
	const char *bin = getenv("RISKD") ? getenv("RISKD") : "build/bin/riskd";

	rp_init(&A, "w", NULL);
	snprintf(path, sizeof(path), "%s/riskd.conf", A.env.dir);
	test_write_file(path, A.text, strlen(A.text));
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s -c %s --check 2>&1", bin, path);
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	cr_assert_eq(pclose(f), 0, "%s", out);
	cr_assert(strstr(out, "riskd: venue binance (USDT, px_dec 2, qty_dec 5)"), "%s", out);
	cr_assert(strstr(out, "ok\n"), "%s", out);

	const char *badtext = "[engine]\ncoins = BTC\n[venue.upbit]\n[riskd]\nloss_limit = -5\n";
	test_write_file(path, badtext, strlen(badtext));
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	cr_assert_eq(WEXITSTATUS(pclose(f)), 2, "%s", out);
	cr_assert(strstr(out, "riskd.conf:5: key 'riskd.loss_limit'"), "%s", out);
	rp_fini(&A);
}
