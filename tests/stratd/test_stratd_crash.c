/* SPDX-License-Identifier: MIT */
/*
 * stratd killed at every point of its journal, deterministically. A child
 * runs a scripted scenario against stratd in process (two entries, a
 * rejected leg, a partial fill, a trim, retries). Hardware watchpoints on
 * the undo journal's entry count and on the intents ring's producer
 * position stop it after every journaled store, every commit and every
 * intent published; for each stop in turn a fresh child is killed there
 * (SIGKILL). The parent then opens stratd on the segments as they were
 * left (recovery), replays the script (pushing only what the child had
 * not pushed yet) and checks the final state and the stream of intents
 * equal those of the undisturbed run, with no intent id twice.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "sdtest.h"

#define NSEGS 4
#define MAX_INTENTS 64

static struct sdt T;
static struct shm_seg sseg;                  /* the test's own view of stratd's segment */
static struct shm_seg *segs[NSEGS];
static uint8_t *saved[NSEGS];
static uint64_t base_md, base_v, base_r, base_in, book_base;

/* What the script did in this process. */
static struct kimp_intent seen[MAX_INTENTS];
static uint32_t nseen;
static uint32_t n_md, n_v, n_r;              /* messages of each ring the script reached */
static struct shm_ring_cons cursor;          /* stratd's intents, from the snapshot on */

static void teardown(void)
{
	if (sseg.base)
		shm_seg_detach(&sseg);
	for (int i = 0; i < NSEGS; i++)
		free(saved[i]);
	sdt_fini(&T);
}

TestSuite(stratd_crash, .fini = teardown, .timeout = 600);

/* ---- the script: no Criterion calls (it runs in the traced child too) ---- */

static void settle(void)
{
	for (int i = 0; i < 1000; i++) {
		stratd_poll(&T.s);
		if (!shm_ring_depth(T.md) && !shm_ring_depth(T.verd) && !shm_ring_depth(T.rep) &&
		    !T.s.st->queued)
			return;
	}
}

/* Push msg on prod unless the script's n-th message of that ring is there already. */
static int push(struct shm_ring_prod *p, uint64_t base, uint32_t *n, const void *msg)
{
	int e = 0;
	if (*n >= p->head - base)
		e = shm_ring_push(p, msg, 128);
	(*n)++;
	settle();
	return e;
}

static int verdict(const struct kimp_intent *in, unsigned kind, int64_t qty, uint64_t oid)
{
	struct kimp_verdict v;
	memset(&v, 0, sizeof(v));
	v.h.type = KIMP_MSG_VERDICT;
	v.h.venue = in->h.venue;
	v.h.inst = in->h.inst;
	v.intent_id = in->intent_id;
	v.pair_id = in->pair_id;
	v.client_oid = kind == KIMP_VERDICT_REJECTED ? 0 : oid;
	v.qty = kind == KIMP_VERDICT_REJECTED ? 0 : qty;
	v.verdict = (uint8_t)kind;
	v.leg = in->leg;
	v.reason = kind == KIMP_VERDICT_REJECTED ? 12 : 0;
	v.kind = in->kind;
	return push(&T.vp, base_v, &n_v, &v);
}

static int report(const struct kimp_intent *in, uint64_t oid, int64_t last, int64_t cum,
		  unsigned state)
{
	struct kimp_exec_report r;
	memset(&r, 0, sizeof(r));
	r.h.type = KIMP_MSG_EXEC_REPORT;
	r.h.venue = in->h.venue;
	r.h.inst = in->h.inst;
	r.client_oid = oid;
	r.last_px = last ? in->px : 0;
	r.last_qty = last;
	r.cum_qty = cum;
	r.state = (uint8_t)state;
	r.side = in->side;
	r.leg = in->leg;
	r.pair_id = in->pair_id;
	r.fee = last ? 700 : 0;
	return push(&T.rp, base_r, &n_r, &r);
}

static int answer(uint32_t n, const struct kimp_intent *in)
{
	uint64_t oid = 500 + n;
	int64_t q = in->qty;

	switch (n) {
	case 1:
	case 6:
		return verdict(in, KIMP_VERDICT_REJECTED, 0, 0);
	case 2:
		return verdict(in, KIMP_VERDICT_APPROVED, q, oid) ||
		       report(in, oid, q * 2 / 5, q * 2 / 5, KIMP_ORD_PARTIAL) ||
		       report(in, oid, 0, q * 2 / 5, KIMP_ORD_EXPIRED);
	case 4:
		return verdict(in, KIMP_VERDICT_TRIMMED, q / 2, oid) ||
		       report(in, oid, q / 2, q / 2, KIMP_ORD_FILLED);
	default:
		return verdict(in, KIMP_VERDICT_APPROVED, q, oid) ||
		       report(in, oid, q, q, KIMP_ORD_FILLED);
	}
}

static int script(void)
{
	static const double prem[2] = { 0.03, 0.01 };

	nseen = n_md = n_v = n_r = 0;
	for (uint32_t step = 0; step < 2; step++) {
		struct kimp_md_top m;
		struct kimp_intent in;
		/* the books of a step whose event is out already stay as they are */
		if (T.mdp.head - base_md <= step) {
			T.clock = book_base + (step + 1) * 1000000ull;
			sdt_market(&T, prem[step]);
		}
		memset(&m, 0, sizeof(m));
		m.h.type = KIMP_MSG_MD_TOP;
		m.h.venue = KIMP_VENUE_UPBIT;
		m.h.inst = 1;
		if (push(&T.mdp, base_md, &n_md, &m))
			return -1;
		while (shm_ring_pop(&cursor, &in, sizeof(in)) == 0) {
			if (nseen >= MAX_INTENTS)
				return -1;
			seen[nseen] = in;
			if (answer(nseen++, &in))
				return -1;
		}
	}
	return 0;
}

/* ---- segments: snapshot, restore, stratd opened on them ---------------------- */

static void snap_take(void)
{
	for (int i = 0; i < NSEGS; i++) {
		saved[i] = malloc(segs[i]->size);
		cr_assert_not_null(saved[i]);
		memcpy(saved[i], segs[i]->base, segs[i]->size);
	}
}

static void snap_restore(void)
{
	for (int i = 0; i < NSEGS; i++)
		memcpy(segs[i]->base, saved[i], segs[i]->size);
}

/* stratd opened (recovering), the test's producers and its cursor resumed. */
static void resume(void)
{
	char err[512] = "";
	cr_assert_eq(stratd_open(&T.s, &T.conf, &T.env.o, err, sizeof(err)), 0, "%s", err);
	T.open = true;
	stratd_attach(&T.s);
	cr_assert(T.s.md.ready && T.s.verdicts.ready && T.s.reports.ready);
	cr_assert_eq(shm_ring_producer(T.md, &T.mdp), 0);
	cr_assert_eq(shm_ring_producer(T.verd, &T.vp), 0);
	cr_assert_eq(shm_ring_producer(T.rep, &T.rp), 0);
	cr_assert_eq(shm_ring_consumer(T.s.ring, &cursor), 0);
	cursor.tail = base_in;      /* read every intent since the snapshot */
}

static long poke_dr(pid_t pid, int i, uint64_t v)
{
	return ptrace(PTRACE_POKEUSER, pid, offsetof(struct user, u_debugreg) + (size_t)i * 8,
		      (void *)v);
}

/*
 * Run the script in a traced child, stopping it at every write of the
 * journal's count or the intents ring's head; kill it at stop k (0: never).
 * Returns the stops seen, or -1 when the hardware watchpoints are refused.
 */
static long run_child(long k, int *status)
{
	pid_t pid = fork();
	long stops = 0;
	int st;

	cr_assert_geq(pid, 0);
	if (!pid) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(90);
		raise(SIGSTOP);
		_exit(script() ? 1 : 0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSTOPPED(st), "the child stopped itself");
	if (poke_dr(pid, 0, (uint64_t)(uintptr_t)&T.s.st->undo.n) ||
	    poke_dr(pid, 1, (uint64_t)(uintptr_t)&T.s.ring->head) ||
	    /* L0, L1; write-only; 8 bytes each */
	    poke_dr(pid, 7, 1 | 4 | (1u << 16) | (2u << 18) | (1u << 20) | (2u << 22))) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -1;
	}
	int sig = 0;
	for (;;) {
		cr_assert_eq(ptrace(PTRACE_CONT, pid, NULL, (void *)(uintptr_t)sig), 0);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
		if (WSTOPSIG(st) == SIGTRAP && ++stops == k) {
			kill(pid, SIGKILL);
			cr_assert_eq(waitpid(pid, &st, 0), pid);
			break;
		}
	}
	*status = st;
	return stops;
}

Test(stratd_crash, killed_at_every_journal_step_it_recovers_to_the_same_state)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("sanitizers and ptrace stepping do not mix");
#endif
	static struct kimp_strat_state ref;
	static struct kimp_intent ref_seen[MAX_INTENTS];
	uint32_t ref_n;
	int st;

	sdt_init(&T, NULL, NULL, NULL);
	book_base = T.clock;
	sdt_market(&T, 0.02);
	sdt_md(&T, SD_UB_BTC, 0, 0);
	sdt_poll(&T);
	cr_assert_eq(T.s.st->coin[1].n, 1);
	sdt_close(&T);
	cr_assert_eq(shm_seg_attach(&sseg, T.stratd, &T.env.o), 0, "%s", shm_last_error());
	segs[0] = &T.fseg;
	segs[1] = &T.rseg;
	segs[2] = &T.oseg;
	segs[3] = &sseg;
	base_md = atomic_load(&T.md->head);
	base_v = atomic_load(&T.verd->head);
	base_r = atomic_load(&T.rep->head);
	{
		struct shm_ring *in;
		cr_assert_eq(shm_ring_lookup(&sseg, KIMP_STRAT_INTENTS_REGION, &in), 0);
		base_in = atomic_load(&in->tail);
	}
	snap_take();

	/* the undisturbed run */
	resume();
	long total = run_child(0, &st);
	if (total < 0)
		cr_skip_test("hardware watchpoints through ptrace are not available here");
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the script ran (status %d)", st);
	sdt_close(&T);
	resume();
	cr_assert_eq(script(), 0);
	cr_assert_eq(nseen, 8, "the script's eight intents (%u)", nseen);
	cr_assert_eq(T.s.st->cnt.entries, 2);
	cr_assert_eq(T.s.st->cnt.retries, 4);
	cr_assert_eq(T.s.st->pairs_open, 0);
	cr_assert_eq(T.s.st->coin[1].unhedged, 0);
	memcpy(&ref, T.s.st, sizeof(ref));
	memcpy(ref_seen, seen, sizeof(seen));
	ref_n = nseen;
	cr_assert_gt(total, 100, "a stop at each journal step (%ld)", total);
	sdt_close(&T);

	/* killed at each stop in turn, until a child runs to its end (the
	 * housekeeping's empty commits make the count vary a little) */
	uint64_t fwd = 0, back = 0;
	long k;
	for (k = 1;; k++) {
		snap_restore();
		resume();
		long s = run_child(k, &st);
		sdt_close(&T);
		if (s < k) {
			cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
			break;
		}
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		resume();
		fwd += (uint64_t)T.s.st->cnt.recover_forward;
		back += (uint64_t)T.s.st->cnt.recover_back;
		cr_assert_eq(script(), 0, "the replay after stop %ld", k);
		cr_assert_eq(nseen, ref_n, "stop %ld: %u intents", k, nseen);
		for (uint32_t i = 0; i < nseen; i++) {
			const struct kimp_intent *a = &ref_seen[i], *b = &seen[i];
			cr_assert(a->intent_id == b->intent_id && a->pair_id == b->pair_id &&
				  a->h.venue == b->h.venue && a->h.inst == b->h.inst &&
				  a->px == b->px && a->qty == b->qty && a->side == b->side &&
				  a->leg == b->leg && a->leg_count == b->leg_count &&
				  a->kind == b->kind && a->max_slip_px == b->max_slip_px,
				  "stop %ld: intent %u differs", k, i);
			if (i)
				cr_assert_gt(seen[i].intent_id, seen[i - 1].intent_id);
		}
		struct kimp_intent extra;
		cr_assert_neq(shm_ring_pop(&cursor, &extra, sizeof(extra)), 0,
			      "stop %ld: no intent beyond the script's", k);
		sdt_same_state(&ref, T.s.st);
		cr_assert_eq(T.s.st->undo.n, 0);
		sdt_close(&T);
	}
	cr_assert_gt(k, total / 2, "killed at %ld of about %ld stops", k, total);
	cr_assert_gt(fwd, 0, "some stops were after a push, before its commit");
	cr_assert_gt(back, 0, "some stops were inside a transaction");
}
