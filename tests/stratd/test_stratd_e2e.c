/* SPDX-License-Identifier: MIT */
/*
 * stratd as a real process ($STRATD, default build/bin/stratd). The test
 * plays feedd (a `books` table and an `md` ring), riskd (`verdicts`) and
 * orderd (`rep.stratd`) in segments of a private directory, and reads
 * stratd's `intents` as riskd would.
 *
 * A script of premium swings runs twice in lockstep (each message waits
 * until stratd has taken it): once undisturbed, once with stratd killed
 * (SIGKILL) right after a message is pushed, again and again, and started
 * again on its segment. Both runs must leave the same state (ids taken
 * relative to their start, clocks aside) and the same stream of intents,
 * with no intent id twice.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "kimp/risk.h"
#include "sdtest.h"

#define DEADLINE_NS (60ull * 1000000000ull)   /* a hang guard, not a timing bound */
#define NSTEPS      64
#define LOG_MAX     2048

struct run {
	struct sdt t;
	char conf_path[128], log_path[128];
	pid_t pid;
	struct shm_seg seg;
	bool attached;
	struct kimp_strat_state *st;
	struct shm_metrics *m;
	struct shm_ring *intents;
	struct shm_ring_cons in;
	struct kimp_intent log[LOG_MAX];
	uint32_t nlog;
	uint32_t msgs;              /* messages pushed */
	const uint32_t *kills;      /* kill stratd right after these messages */
	uint32_t nkills, ki, restarts;
};

static struct run A, B;
static uint64_t book_base;

static const char *stratd_bin(void)
{
	const char *p = getenv("STRATD");
	return p ? p : "build/bin/stratd";
}

static void spawn(struct run *r)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(stratd_bin(), stratd_bin(), "-c", r->conf_path, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", stratd_bin(), strerror(errno));
		_exit(127);
	}
	r->pid = pid;
}

static const char *log_text(struct run *r)
{
	static char buf[8192];
	FILE *f = fopen(r->log_path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static void check_alive(struct run *r)
{
	int st;
	pid_t w = waitpid(r->pid, &st, WNOHANG);
	cr_assert_eq(w, 0, "stratd exited (status %d):\n%s", st, log_text(r));
}

/* stratd's segment, once it has made it: state, intents, metrics. */
static void attach(struct run *r)
{
	uint64_t t0 = kimp_mono_ns();
	while (!r->attached) {
		check_alive(r);
		cr_assert_lt(kimp_mono_ns() - t0, DEADLINE_NS, "no stratd segment:\n%s",
			     log_text(r));
		if (shm_seg_attach(&r->seg, r->t.stratd, &r->t.env.o)) {
			sched_yield();
			continue;
		}
		const struct shm_region_ent *e = shm_region_find(&r->seg, KIMP_STRAT_STATE_REGION);
		if (!e || shm_ring_lookup(&r->seg, KIMP_STRAT_INTENTS_REGION, &r->intents) ||
		    shm_metrics_lookup(&r->seg, KIMP_STRAT_METRICS_REGION, &r->m) ||
		    ((struct kimp_strat_state *)shm_region_ptr(&r->seg, e))->magic !=
			    KIMP_STRAT_MAGIC) {
			shm_seg_detach(&r->seg);
			sched_yield();
			continue;
		}
		r->st = shm_region_ptr(&r->seg, e);
		cr_assert_eq(shm_ring_consumer(r->intents, &r->in), 0);
		r->attached = true;
	}
}

/* Wait until stratd has taken every message and pushed what it queued. */
static void idle(struct run *r)
{
	uint64_t t0 = kimp_mono_ns();
	unsigned spins = 0;
	for (;;) {
		volatile const int64_t *q = &r->st->queued;
		if (atomic_load(&r->m->pid) == r->pid && !shm_ring_depth(r->t.md) &&
		    !shm_ring_depth(r->t.verd) && !shm_ring_depth(r->t.rep) && !*q &&
		    !atomic_load(&r->st->undo.n))
			return;
		check_alive(r);
		cr_assert_lt(kimp_mono_ns() - t0, DEADLINE_NS, "stratd stalls:\n%s", log_text(r));
		test_backoff(&spins);
	}
}

static void kill_restart(struct run *r)
{
	int st;
	kill(r->pid, SIGKILL);
	cr_assert_eq(waitpid(r->pid, &st, 0), r->pid);
	cr_assert(WIFSIGNALED(st), "stratd was killed, not %d", st);
	r->restarts++;
	uint64_t t0 = kimp_mono_ns();
	spawn(r);
	/* up: its inputs attached and its loop turning */
	unsigned spins = 0;
	while (atomic_load(&r->t.md->consumer_pid) != r->pid ||
	       atomic_load(&r->t.verd->consumer_pid) != r->pid ||
	       atomic_load(&r->t.rep->consumer_pid) != r->pid ||
	       atomic_load(&r->m->heartbeat_ns) < t0) {
		check_alive(r);
		cr_assert_lt(kimp_mono_ns() - t0, DEADLINE_NS, "stratd does not come up:\n%s",
			     log_text(r));
		test_backoff(&spins);
	}
}

/* After every message: a kill if scheduled, then lockstep. */
static void pushed(struct run *r)
{
	r->msgs++;
	if (r->ki < r->nkills && r->kills[r->ki] == r->msgs) {
		/* a few microseconds in: stratd (spinning) is taking the message,
		 * or has just taken it, or not yet */
		uint64_t until = kimp_mono_ns() + (r->ki * 50u) % 12000u;
		while (kimp_mono_ns() < until)
			kimp_cpu_relax();
		r->ki++;
		kill_restart(r);
	}
	idle(r);
}

static void md(struct run *r, int slot)
{
	struct kimp_md_top m;
	memset(&m, 0, sizeof(m));
	m.h.type = KIMP_MSG_MD_TOP;
	m.h.venue = r->t.rec[slot].venue;
	m.h.inst = r->t.rec[slot].inst;
	m.h.ingress_tsc = kimp_rdtsc();
	cr_assert_eq(shm_ring_push(&r->t.mdp, &m, sizeof(m)), 0);
	pushed(r);
}

/* riskd's and orderd's answers, a function of the intent alone. */
static void answer(struct run *r, const struct kimp_intent *in)
{
	uint64_t rel = in->intent_id - r->st->id_base, pj = in->pair_id - r->st->id_base;
	uint64_t oid = 1000 + rel;
	int64_t q = in->qty;
	unsigned how = in->kind == KIMP_INTENT_ENTRY && in->leg == 1 ? (unsigned)(pj % 4) : 0;

	switch (how) {
	case 1:
		sdt_verdict(&r->t, in, KIMP_VERDICT_REJECTED, 0, 0, KIMP_RISK_BALANCE);
		pushed(r);
		return;
	case 3:
		sdt_verdict(&r->t, in, KIMP_VERDICT_TRIMMED, q / 2, oid, 0);
		pushed(r);
		sdt_report(&r->t, in, oid, in->px, q / 2, q / 2, KIMP_ORD_FILLED, 0, 0);
		pushed(r);
		return;
	case 2:
		sdt_verdict(&r->t, in, KIMP_VERDICT_APPROVED, q, oid, 0);
		pushed(r);
		sdt_report(&r->t, in, oid, in->px, q * 2 / 5, q * 2 / 5, KIMP_ORD_PARTIAL, 0, 0);
		pushed(r);
		sdt_report(&r->t, in, oid, 0, 0, q * 2 / 5, KIMP_ORD_EXPIRED, 0, 0);
		pushed(r);
		return;
	default:
		sdt_verdict(&r->t, in, KIMP_VERDICT_APPROVED, q, oid, 0);
		pushed(r);
		sdt_report(&r->t, in, oid, in->px, q, q, KIMP_ORD_FILLED,
			   in->h.venue == KIMP_VENUE_UPBIT ? 500 : 0, 0);
		pushed(r);
		return;
	}
}

static void run_script(struct run *r, const uint32_t *kills, uint32_t nkills)
{
	static const double swing[4] = { 0.02, 0.03, 0.02, 0.01 };
	memset(r, 0, sizeof(*r));
	r->kills = kills;
	r->nkills = nkills;
	tenv_init(&r->t.env);
	sdt_names(&r->t);
	r->t.clock = book_base;
	sdt_inputs(&r->t);
	sdt_conf_text(&r->t, "quote_age = 3600s\nretry_max = 2\nwait = spin\n", NULL, NULL);
	snprintf(r->conf_path, sizeof(r->conf_path), "%s/stratd.conf", r->t.env.dir);
	snprintf(r->log_path, sizeof(r->log_path), "%s/stratd.log", r->t.env.dir);
	test_write_file(r->conf_path, r->t.conf_text, strlen(r->t.conf_text));
	spawn(r);
	attach(r);
	for (int i = 0; i < NSTEPS; i++) {
		struct kimp_intent in;
		r->t.clock = book_base + (uint64_t)(i + 1) * 1000000;
		sdt_market(&r->t, swing[i % 4] + 0.0005 * (i % 3));
		md(r, i % 5 == 4 ? SD_UB_USDT : SD_UB_BTC);
		while (shm_ring_pop(&r->in, &in, sizeof(in)) == 0) {
			cr_assert_lt(r->nlog, LOG_MAX);
			r->log[r->nlog++] = in;
			answer(r, &in);
		}
	}
	idle(r);
	int st;
	kill(r->pid, SIGTERM);
	cr_assert_eq(waitpid(r->pid, &st, 0), r->pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "stratd stops cleanly:\n%s", log_text(r));
}

static void run_fini(struct run *r)
{
	if (r->pid > 0 && waitpid(r->pid, NULL, WNOHANG) == 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->attached)
		shm_seg_detach(&r->seg);
	r->attached = false;
	sdt_fini(&r->t);
}

static void teardown(void)
{
	run_fini(&A);
	run_fini(&B);
}

TestSuite(stratd_e2e, .fini = teardown, .timeout = 300);

Test(stratd_e2e, a_killed_stratd_resumes_with_the_same_state_and_no_intent_twice)
{
	static uint32_t kills[238];
	for (uint32_t i = 0; i < 238; i++)
		kills[i] = 2 + i;
	book_base = kimp_mono_ns();
	run_script(&A, NULL, 0);
	cr_assert_gt(A.st->cnt.entries, 20, "the script trades");
	cr_assert_gt(A.st->cnt.retries, 5, "and mends legs");
	run_script(&B, kills, sizeof(kills) / sizeof(kills[0]));
	cr_assert_eq(B.ki, B.nkills, "every kill happened (%u messages)", B.msgs);
	cr_assert_eq(A.msgs, B.msgs);

	/* the same intents, in the same order, none twice */
	cr_assert_eq(A.nlog, B.nlog, "intents: %u undisturbed, %u with kills", A.nlog, B.nlog);
	for (uint32_t i = 0; i < B.nlog; i++) {
		const struct kimp_intent *a = &A.log[i], *b = &B.log[i];
		if (i)
			cr_assert_gt(b->intent_id, B.log[i - 1].intent_id, "intent %u", i);
		cr_assert_eq(a->intent_id - A.st->id_base, b->intent_id - B.st->id_base, "%u", i);
		cr_assert_eq(a->pair_id - A.st->id_base, b->pair_id - B.st->id_base, "%u", i);
		cr_assert(a->h.venue == b->h.venue && a->h.inst == b->h.inst && a->px == b->px &&
			  a->qty == b->qty && a->side == b->side && a->leg == b->leg &&
			  a->leg_count == b->leg_count && a->kind == b->kind &&
			  a->max_slip_px == b->max_slip_px, "intent %u differs", i);
	}
	sdt_same_state(A.st, B.st);
	cr_assert_eq(B.st->undo.n, 0);
}
