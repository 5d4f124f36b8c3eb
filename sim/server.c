/* SPDX-License-Identifier: MIT */
/*
 * exsim's server: listeners, connection slots, the market step timer,
 * deferred jobs, scripted faults and the control listener (GET /status,
 * GET /book, POST /fault, /pause, /resume, /stop: sim/scenarios/README.md).
 *
 * One thread, one net_loop. Every venue gets a TLS REST listener and a TLS
 * WebSocket listener (and one more for its order API when it has one), all
 * on 127.0.0.1. WebSocket slots come from one pool made at startup; a slot
 * is reused after its on_close, with a new serial so late answers to its
 * previous user are dropped (sim_job_ws_live).
 *
 * Time: the market steps on a timer at sc->step_ns (in load mode many
 * steps run per firing, never more often than SIM_TICK_MIN_NS); after each
 * step every venue's publish runs. Paused (control's POST /pause), the
 * timer goes on firing for the scripted faults but the market does not
 * step; the time spent paused is left out of the market's clock, so it
 * resumes where it stopped instead of catching up. Deferred jobs (order
 * latency, delayed replies) sit in a binary heap by due time and are run
 * by a few loop timers (a net_timer cannot be moved while armed, so an
 * earlier job takes a free timer of the set).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "kimp/tls.h"
#include "kimp/tsc.h"
#include "replay.h"
#include "server.h"

#define SIM_TICK_MIN_NS   1000000ull    /* the step timer fires at most every 1 ms */
#define SIM_STEPS_MAX     20000u        /* steps run per firing at most (catch-up cap) */
#define SIM_JOBS          4096u
#define SIM_JOB_TIMERS    4
#define SIM_CTRL_SLOTS    8
#define SIM_CTRL_REPLY    (256 * 1024)  /* a control reply: GET /book of a full book */
#define SIM_CTRL_Q_MAX    64            /* a GET /book parameter value, with its NUL */
#define SIM_CTRL_LEVEL    52            /* ,["<px>","<qty>"]: two int64 1e-8 decimals */

_Static_assert(SIM_CTRL_REPLY >= 2 * SIM_BOOK_MAX * SIM_CTRL_LEVEL + 512,
	       "GET /book of two full sides fits the control reply");
#define SIM_WS_OUT_EXTRA  (128 * 1024)  /* frame buffer room for corked bursts */
#define SIM_WS_MSG_IN     (64 * 1024)   /* largest message a client may send */

struct job_timer {
	struct net_timer t;
	uint64_t target_ns;
	struct sim_server *s;
};

struct sim_server {
	struct sim_scenario scen;       /* a copy of the caller's, retimed for load */
	const struct sim_scenario *sc;  /* &scen */
	struct net_loop *loop;
	struct net_tls_ctx *tls;
	struct sim_market m;
	struct sim_exch x;
	struct sim_ledger *ledger;
	struct sim_oppo *oppo;
	uint32_t nvenues;
	struct sim_venue venue[SIM_MAX_VENUES];
	/* WebSocket slots */
	uint32_t nws;
	struct sim_ws *ws;
	uint8_t *ws_bufs;
	size_t ws_buf_len;
	uint64_t ws_serial;
	uint64_t ws_refused, ws_slow_closed;
	/* the market clock */
	struct net_timer step_t;
	uint64_t t0_ns;         /* monotonic start */
	uint64_t step_ns;
	uint64_t steps;
	uint32_t next_fault;    /* scripted faults run in order */
	uint64_t clock_ticks;   /* step timer firings */
	/* pause */
	bool paused;
	uint64_t pause_start_ns;        /* monotonic, when the current pause began */
	uint64_t paused_ns;             /* paused time before it, left out of the clock */
	/* once a second */
	struct net_timer tick_t;
	/* deferred jobs */
	struct sim_job *jobs;
	uint32_t *job_free;     /* stack of free job indexes */
	uint32_t njob_free;
	uint32_t *heap;         /* job indexes by due time */
	uint32_t nheap;
	uint64_t job_seq;
	struct job_timer jt[SIM_JOB_TIMERS];
	uint64_t jobs_run, jobs_refused;
	/* control */
	struct http_server *ctrl;
	uint16_t ctrl_port;
	char *ctrl_buf;                 /* SIM_CTRL_REPLY: GET /book is formatted here */
	/* replay */
	struct sim_capture cap;
	bool replaying, replay_have;
	struct sim_frame frame;
	uint8_t *replay_buf;
	struct net_timer replay_t;
	uint64_t replay_start_ns, replay_sent, replay_skipped;
	bool in_request;        /* inside a REST on_request */
	volatile int stop;
	char ca_path[300];
};

static uint64_t mono_ns(void)
{
	return net_now_ns();
}

uint64_t sim_now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sim_venue_now_ms(const struct sim_venue *v)
{
	int64_t ms = (int64_t)(sim_now_real_ns() / 1000000ull);

	return (uint64_t)(ms + v->fs.skew_ms);
}

struct sim_inst *sim_venue_inst(struct sim_venue *v, unsigned vidx)
{
	return vidx < v->ninst ? &v->m->inst[v->inst[vidx]] : NULL;
}

struct sim_inst *sim_venue_inst_sym(struct sim_venue *v, const char *sym, size_t len)
{
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = &v->m->inst[v->inst[i]];

		if (strlen(in->sym) == len && !memcmp(in->sym, sym, len))
			return in;
	}
	return NULL;
}

const struct sim_venue_ops *sim_venue_find(const char *name)
{
	static const struct sim_venue_ops *const table[] = {
		&sim_venue_upbit,
		&sim_venue_bithumb,
		&sim_venue_coinone,
		&sim_venue_binance,
		&sim_venue_bybit,
		&sim_venue_okx,
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i]->name, name) && table[i]->setup)
			return table[i];
	return NULL;
}

/* ---- WebSocket connections --------------------------------------------------------- */

struct sim_ws *sim_venue_next_ws(struct sim_venue *v, struct sim_ws *c)
{
	struct sim_server *s = v->srv;
	uint32_t i = c ? (uint32_t)(c - s->ws) + 1 : 0;

	for (; i < s->nws; i++)
		if (s->ws[i].open && s->ws[i].v == v)
			return &s->ws[i];
	return NULL;
}

int sim_ws_send(struct sim_ws *c, unsigned opcode, const void *data, size_t len)
{
	int err;

	if (!c->open)
		return -ENOTCONN;
	err = ws_conn_send(&c->ws, opcode, data, len);
	if (err == -ENOBUFS) {
		/* a client that cannot keep up is cut off, as venues do */
		c->v->srv->ws_slow_closed++;
		if (c->ws.st.conn)
			net_abort(c->ws.st.conn);
		return err;
	}
	if (!err)
		c->sent++;
	return err;
}

int sim_ws_send_md(struct sim_ws *c, unsigned opcode, const void *data, size_t len)
{
	struct sim_venue *v = c->v;
	static const char junk[] = "{\"e\":\"depthUpdate\",\x01\x02 not json";

	if (v->fs.stall_until_ns && sim_fault_stalled(v, mono_ns()))
		return 0;
	if (v->fs.malformed && sim_fault_take(v, SIM_FAULT_MALFORMED)) {
		data = junk;
		len = sizeof(junk) - 1;
	} else if (v->fs.truncate && len > 8 && sim_fault_take(v, SIM_FAULT_TRUNCATE)) {
		len /= 2;
	}
	v->published++;
	if (v->x && v->idx < SIM_MAX_VENUES) {
		v->x->md_sent_ns[v->idx] = sim_now_real_ns();
		if (kimp_unlikely(v->x->trace))
			sim_trace_md(v->x->trace, v->idx, kimp_rdtsc());
	}
	return sim_ws_send(c, opcode, data, len);
}

int sim_ws_uncork(struct sim_ws *c)
{
	int err = ws_conn_uncork(&c->ws);

	if (err == -ENOBUFS) {
		/* the corked frames could not be queued: they are gone, and so
		 * must the connection be (a gap is worse than a disconnect) */
		c->v->srv->ws_slow_closed++;
		if (c->ws.st.conn)
			net_abort(c->ws.st.conn);
	}
	return err;
}

void sim_ws_close(struct sim_ws *c, unsigned code)
{
	if (c->open)
		ws_conn_close(&c->ws, code);
}

static bool s_replay_pending(const struct sim_server *s)
{
	return s->replaying && s->replay_have && !s->replay_start_ns;
}

static void ws_on_open(struct ws_conn *w, int err)
{
	struct sim_ws *c = ws_conn_user(w);

	if (err) {
		c->in_use = false;
		return;
	}
	c->open = true;
	c->opened_ns = mono_ns();
	if (c->v->ops->ws_open)
		c->v->ops->ws_open(c->v, c);
	/* a replay starts when the venue of its first frame has a listener */
	if (s_replay_pending(c->v->srv) && c->kind == SIM_WS_MARKET &&
	    !strcmp(c->v->cfg->name, c->v->srv->frame.venue)) {
		c->v->srv->replay_start_ns = mono_ns();
		net_timer_start(c->v->srv->loop, &c->v->srv->replay_t, 0);
	}
}

static void ws_on_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct sim_ws *c = ws_conn_user(w);

	if (c->open && c->v->ops->ws_message)
		c->v->ops->ws_message(c->v, c, opcode, data, len);
}

static void ws_on_close(struct ws_conn *w, unsigned code, int err)
{
	struct sim_ws *c = ws_conn_user(w);

	if (c->open && c->v->ops->ws_close)
		c->v->ops->ws_close(c->v, c);
	c->open = false;
	c->in_use = false;
}

static unsigned ws_on_upgrade(struct ws_conn *w, const struct ws_hs_request *req,
			      const char *head, size_t len)
{
	struct sim_ws *c = ws_conn_user(w);
	size_t n = req->path_len < sizeof(c->path) - 1 ? req->path_len : sizeof(c->path) - 1;

	memcpy(c->path, req->path, n);
	c->path[n] = '\0';
	return c->v->ops->ws_upgrade(c->v, c, c->kind == SIM_WS_API, req, head, len);
}

static const struct ws_conn_ops sim_ws_ops = {
	.on_open = ws_on_open,
	.on_message = ws_on_message,
	.on_close = ws_on_close,
	.on_upgrade = ws_on_upgrade,
};

/* Which listener accepted: the listener's user is the venue, with the API
 * listener flagged in the low bit of the pointer. */
static void ws_accept(struct net_conn *nc, int err)
{
	uintptr_t u = (uintptr_t)net_conn_user(nc);
	struct sim_venue *v = (struct sim_venue *)(u & ~(uintptr_t)1);
	struct sim_server *s = v->srv;
	struct sim_ws *c = NULL;

	if (err)
		return;
	/* a slot whose handshake failed may still be closing its stream */
	for (uint32_t i = 0; i < s->nws && !c; i++)
		if (!s->ws[i].in_use && s->ws[i].ws.state == WS_CONN_IDLE)
			c = &s->ws[i];
	if (!c) {
		s->ws_refused++;
		net_close(nc);
		return;
	}
	memset(c->sub, 0, sizeof(c->sub));
	memset(c->vs, 0, sizeof(c->vs));
	c->v = v;
	c->serial = ++s->ws_serial;
	c->in_use = true;
	c->open = false;
	c->acct = -1;
	c->format = 0;
	c->kind = (u & 1) ? SIM_WS_API : SIM_WS_MARKET;
	c->rate_sec = c->rate_min = 0;
	c->msgs_this_sec = c->msgs_this_min = 0;
	c->sent = 0;
	c->path[0] = '\0';
	if (ws_conn_accept(&c->ws, nc, &sim_ws_ops, c)) {
		c->in_use = false;
		net_close(nc);
	}
}

static const struct net_conn_ops ws_accept_ops = { .on_open = ws_accept };

/* ---- REST ------------------------------------------------------------------------- */

int sim_rest_reply(struct sim_venue *v, struct http_sconn *sc, unsigned status,
		   const char *headers, const char *body, size_t body_len)
{
	struct net_http_reply *r = http_sconn_reply(sc, status, 0);
	const char *p = headers;

	if (!r)
		return -ENOTCONN;
	int ret;

	while (p && *p) {
		const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");
		const char *val;

		if (!colon || !eol || colon > eol)
			break;
		val = colon + 1;
		while (*val == ' ')
			val++;
		net_http_reply_header_n(r, p, (size_t)(colon - p), val, (size_t)(eol - val));
		p = eol + 2;
	}
	if (body)
		net_http_reply_header(r, "Content-Type", "application/json;charset=UTF-8");
	/* the length of the reply, or -errno */
	ret = net_http_reply_body(r, body, body ? body_len : 0);
	if (ret < 0)
		return ret;
	/* inside on_request the server sends it on return; later we must */
	return v->srv->in_request ? 0 : http_sconn_send(sc);
}

static void rest_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct sim_venue *v = http_server_user(http_sconn_server(sc));

	v->srv->in_request = true;
	v->ops->rest(v, sc, req);
	v->srv->in_request = false;
}

static const struct http_server_ops rest_ops = { .on_request = rest_request };

/* ---- deferred jobs -------------------------------------------------------------------- */

static bool job_before(const struct sim_server *s, uint32_t a, uint32_t b)
{
	return s->jobs[a].due_ns < s->jobs[b].due_ns;
}

static void heap_push(struct sim_server *s, uint32_t j)
{
	uint32_t i = s->nheap++;

	s->heap[i] = j;
	while (i) {
		uint32_t p = (i - 1) / 2;

		if (!job_before(s, s->heap[i], s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		s->heap[p] = j;
		i = p;
	}
}

static uint32_t heap_pop(struct sim_server *s)
{
	uint32_t top = s->heap[0], i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < s->nheap && job_before(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && job_before(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			break;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
	return top;
}

static void jobs_arm(struct sim_server *s);
static void flush_changed(struct sim_server *s);

static void jobs_run(struct sim_server *s)
{
	uint64_t now = mono_ns();

	while (s->nheap && s->jobs[s->heap[0]].due_ns <= now) {
		uint32_t j = heap_pop(s);
		struct sim_job *job = &s->jobs[j];

		s->jobs_run++;
		job->fn(job->v, job);
		s->job_free[s->njob_free++] = j;
	}
	/* paused, no step publishes what an order took from a book: we do */
	if (s->paused)
		flush_changed(s);
	jobs_arm(s);
}

static void job_timer_fired(struct net_timer *t)
{
	struct job_timer *jt = (struct job_timer *)t;

	jobs_run(jt->s);
}

static void jobs_arm(struct sim_server *s)
{
	uint64_t next, now;
	struct job_timer *free_t = NULL;

	if (!s->nheap)
		return;
	next = s->jobs[s->heap[0]].due_ns;
	for (int i = 0; i < SIM_JOB_TIMERS; i++) {
		if (net_timer_armed(&s->jt[i].t)) {
			if (s->jt[i].target_ns <= next)
				return;
		} else if (!free_t) {
			free_t = &s->jt[i];
		}
	}
	if (!free_t)
		return; /* the earliest armed timer re-evaluates when it fires */
	now = mono_ns();
	free_t->target_ns = next;
	net_timer_start(s->loop, &free_t->t, next > now ? next - now : 0);
}

int sim_defer(struct sim_venue *v, uint64_t delay_ns,
	      void (*fn)(struct sim_venue *v, struct sim_job *j), struct http_sconn *sc,
	      struct sim_ws *ws, const void *data, size_t len)
{
	struct sim_server *s = v->srv;
	struct sim_job *job;
	uint32_t j;

	if (len > SIM_JOB_DATA)
		return -EMSGSIZE;
	if (!s->njob_free) {
		s->jobs_refused++;
		return -ENOSPC;
	}
	j = s->job_free[--s->njob_free];
	job = &s->jobs[j];
	job->fn = fn;
	job->v = v;
	job->due_ns = mono_ns() + delay_ns + sim_fault_delay(v, mono_ns());
	job->sc = sc;
	job->sc_serial = sc ? http_sconn_serial(sc) : 0;
	job->ws = ws;
	job->ws_serial = ws ? ws->serial : 0;
	job->len = (uint32_t)len;
	if (len)
		memcpy(job->data, data, len);
	heap_push(s, j);
	jobs_arm(s);
	return 0;
}

bool sim_job_sc_live(const struct sim_job *j)
{
	/* a closed connection whose slot is not reused yet keeps its serial:
	 * sim_rest_reply then finds no request waiting (-ENOTCONN) */
	return j->sc && http_sconn_serial(j->sc) == j->sc_serial;
}

bool sim_job_ws_live(const struct sim_job *j)
{
	return j->ws && j->ws->open && j->ws->serial == j->ws_serial;
}

/* ---- faults ------------------------------------------------------------------------- */

static void venue_disconnect(struct sim_venue *v)
{
	struct sim_ws *c = NULL;

	while ((c = sim_venue_next_ws(v, c)))
		if (c->ws.st.conn)
			net_abort(c->ws.st.conn);
}

static void apply_fault(struct sim_server *s, const struct sim_fault *f)
{
	for (uint32_t i = 0; i < s->nvenues; i++) {
		struct sim_venue *v = &s->venue[i];

		if (!v->ops || (f->venue[0] && strcmp(f->venue, v->cfg->name)))
			continue;
		sim_fault_apply(v, f, mono_ns());
		if (f->kind == SIM_FAULT_DISCONNECT)
			venue_disconnect(v);
	}
}

static void scripted_faults(struct sim_server *s, uint64_t since_ns)
{
	while (s->next_fault < s->sc->nfaults &&
	       s->sc->faults[s->next_fault].at_ns <= since_ns)
		apply_fault(s, &s->sc->faults[s->next_fault++]);
}

/* ---- the market clock ------------------------------------------------------------ */

static void one_step(struct sim_server *s, uint64_t now_ms)
{
	sim_market_step(&s->m, now_ms);
	sim_exch_after_step(&s->x);
	if (s->oppo)
		sim_oppo_step(s->oppo, now_ms);
	/* a replay is the market data: the model's own books are not published
	 * (orders still match against them) */
	for (uint32_t i = 0; i < s->nvenues && !s->replaying; i++)
		if (s->venue[i].ops)
			s->venue[i].ops->publish(&s->venue[i], now_ms);
	s->steps++;
}

static void step_fired(struct net_timer *t)
{
	struct sim_server *s = t->arg;
	uint64_t now = mono_ns(), since = now - s->t0_ns, n = 0, due, mt;
	uint64_t now_ms = sim_now_real_ns() / 1000000ull;
	uint64_t period = s->step_ns > SIM_TICK_MIN_NS ? s->step_ns : SIM_TICK_MIN_NS;

	/* at most two periods' worth at once: a burst larger than that would
	 * overrun the send queues, and a simulator behind time skips */
	uint64_t cap = 2 * period / s->step_ns;

	if (cap > SIM_STEPS_MAX)
		cap = SIM_STEPS_MAX;
	if (!cap)
		cap = 1;
	s->clock_ticks++;
	/* faults keep exsim's own clock (since start), paused or not */
	scripted_faults(s, since);
	if (s->paused) {
		net_timer_start(s->loop, &s->step_t, period);
		return;
	}
	/* the market's clock: the time spent paused left out */
	mt = since - s->paused_ns;
	due = mt / s->step_ns;
	/* one cork over the whole burst: many frames to a record */
	for (uint32_t i = 0; i < s->nws; i++)
		if (s->ws[i].open)
			ws_conn_cork(&s->ws[i].ws);
	/* and at most one period of CPU: behind time, skip instead of bursting */
	while (s->steps < due && n < cap) {
		one_step(s, now_ms);
		n++;
		if (!(n & 15) && mono_ns() - now > period)
			break;
	}
	for (uint32_t i = 0; i < s->nws; i++)
		if (s->ws[i].in_use && s->ws[i].ws.corked)
			sim_ws_uncork(&s->ws[i]);
	if (s->steps < due)
		s->steps = due; /* fell behind: skip, never pile up */
	net_timer_start(s->loop, &s->step_t, period - (mt % period));
}

/* ---- pause ---------------------------------------------------------------------- */

/* Every venue publishes now what it holds back (not while a replay is the data). */
static void flush_all(struct sim_server *s)
{
	uint64_t now_ms = sim_now_real_ns() / 1000000ull;

	for (uint32_t i = 0; i < s->nvenues && !s->replaying; i++)
		if (s->venue[i].ops && s->venue[i].ops->flush)
			s->venue[i].ops->flush(&s->venue[i], now_ms);
}

/* The venues whose books changed since their last publish, flushed. */
static void flush_changed(struct sim_server *s)
{
	uint64_t now_ms = sim_now_real_ns() / 1000000ull;

	for (uint32_t i = 0; i < s->nvenues && !s->replaying; i++) {
		struct sim_venue *v = &s->venue[i];
		bool changed = false;

		if (!v->ops || !v->ops->flush)
			continue;
		for (uint32_t k = 0; k < v->ninst && !changed; k++)
			changed = sim_inst_pending(sim_venue_inst(v, k));
		if (changed)
			v->ops->flush(v, now_ms);
	}
}

void sim_server_pause(struct sim_server *s)
{
	if (s->paused)
		return;
	flush_all(s);
	s->paused = true;
	s->pause_start_ns = mono_ns();
}

void sim_server_resume(struct sim_server *s)
{
	uint64_t now = mono_ns(), d;

	if (!s->paused)
		return;
	d = now - s->pause_start_ns;
	s->paused_ns += d;
	s->paused = false;
	/* a replay's pace leaves the pause out too (one that began while
	 * paused waited only since it began) */
	if (s->replay_start_ns)
		s->replay_start_ns += s->replay_start_ns > s->pause_start_ns
					      ? now - s->replay_start_ns : d;
	if (s->replaying && s->replay_start_ns && !net_timer_armed(&s->replay_t))
		net_timer_start(s->loop, &s->replay_t, 0);
}

bool sim_server_paused(const struct sim_server *s)
{
	return s->paused;
}

static void tick_fired(struct net_timer *t)
{
	struct sim_server *s = t->arg;
	uint64_t now = mono_ns();

	for (uint32_t i = 0; i < s->nvenues; i++)
		if (s->venue[i].ops && s->venue[i].ops->tick)
			s->venue[i].ops->tick(&s->venue[i], now);
	net_timer_start(s->loop, &s->tick_t, 1000000000ull);
}

/* ---- replay ----------------------------------------------------------------------- */

static void replay_fired(struct net_timer *t)
{
	struct sim_server *s = t->arg;
	uint64_t now = mono_ns(), due;
	char err[256];
	int ret;

	if (s->paused)
		return; /* resume starts the timer again */
	for (;;) {
		if (!s->replay_have) {
			ret = sim_capture_next(&s->cap, &s->frame, s->replay_buf,
					       s->cap.max_payload + 1, err, sizeof(err));
			if (ret == 0)
				return; /* the end: market data stops, connections stay */
			if (ret < 0) {
				s->replay_skipped++;
				continue;
			}
			s->replay_have = true;
		}
		due = sim_replay_due(s->cap.first_ns, s->replay_start_ns, s->sc->replay_speed,
				     s->frame.t_ns);
		if (due > now) {
			net_timer_start(s->loop, &s->replay_t, due - now);
			return;
		}
		for (uint32_t i = 0; i < s->nvenues; i++) {
			struct sim_venue *v = &s->venue[i];
			struct sim_ws *c = NULL;

			if (!v->ops || strcmp(v->cfg->name, s->frame.venue))
				continue;
			while ((c = sim_venue_next_ws(v, c)))
				if (c->kind == SIM_WS_MARKET)
					sim_ws_send_md(c, s->frame.opcode, s->replay_buf,
						       s->frame.len);
		}
		s->replay_sent++;
		s->replay_have = false;
	}
}

/* ---- control -------------------------------------------------------------------- */

static void ctrl_status(struct sim_server *s, struct http_sconn *sc)
{
	static char buf[8192];
	struct jw w;
	struct net_http_reply *r;

	jw_init(&w, buf, sizeof(buf));
	jw_lit(&w, "{\"paused\":");
	jw_lit(&w, s->paused ? "true" : "false");
	jw_lit(&w, ",\"steps\":");
	jw_u64(&w, s->steps);
	jw_lit(&w, ",\"orders\":");
	jw_u64(&w, s->x.stats_orders);
	jw_lit(&w, ",\"fills\":");
	jw_u64(&w, s->x.stats_fills);
	jw_lit(&w, ",\"rejects\":");
	jw_u64(&w, s->x.stats_rejects);
	jw_lit(&w, ",\"opportunities\":");
	jw_u64(&w, s->oppo ? sim_oppo_count(s->oppo) : 0);
	jw_lit(&w, ",\"opportunities_captured\":");
	jw_u64(&w, sim_oppo_captured(s->oppo));
	jw_lit(&w, ",\"ws_refused\":");
	jw_u64(&w, s->ws_refused);
	jw_lit(&w, ",\"ws_slow_closed\":");
	jw_u64(&w, s->ws_slow_closed);
	jw_lit(&w, ",\"jobs_run\":");
	jw_u64(&w, s->jobs_run);
	jw_lit(&w, ",\"replayed\":");
	jw_u64(&w, s->replay_sent);
	jw_lit(&w, ",\"replay_skipped\":");
	jw_u64(&w, s->replay_skipped);
	jw_lit(&w, ",\"venues\":[");
	for (uint32_t i = 0, n = 0; i < s->nvenues; i++) {
		struct sim_venue *v = &s->venue[i];
		struct sim_ws *c = NULL;
		uint32_t conns = 0;

		if (!v->ops)
			continue;
		while ((c = sim_venue_next_ws(v, c)))
			conns++;
		jw_lit(&w, n++ ? ",{\"name\":" : "{\"name\":");
		jw_str(&w, v->cfg->name);
		jw_lit(&w, ",\"rest_port\":");
		jw_u64(&w, v->rest_port);
		jw_lit(&w, ",\"ws_port\":");
		jw_u64(&w, v->ws_port);
		jw_lit(&w, ",\"api_port\":");
		jw_u64(&w, v->api_port);
		jw_lit(&w, ",\"ws_conns\":");
		jw_u64(&w, conns);
		jw_lit(&w, ",\"published\":");
		jw_u64(&w, v->published);
		jw_lit(&w, ",\"faults_applied\":[");
		for (int k = 1; k < SIM_FAULT_KIND_COUNT; k++) {
			if (k > 1)
				jw_lit(&w, ",");
			jw_u64(&w, v->fs.applied[k]);
		}
		jw_lit(&w, "]");
		sim_fault_status(v, &w, mono_ns());
		jw_lit(&w, "}");
	}
	jw_lit(&w, "]}\n");
	r = http_sconn_reply(sc, jw_done(&w) ? 200 : 500, 0);
	if (r) {
		net_http_reply_header(r, "Content-Type", "application/json");
		net_http_reply_body(r, buf, w.over ? 0 : w.len);
	}
}

static void ctrl_text(struct http_sconn *sc, unsigned status, const char *text)
{
	struct net_http_reply *r = http_sconn_reply(sc, status, 0);

	if (r) {
		net_http_reply_header(r, "Content-Type", "text/plain");
		net_http_reply_body(r, text, strlen(text));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A query value, percent-decoded into out[0..cap): its length, or -1 (too long, bad escape). */
static int q_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval(p[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(p[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

/* depth: a whole number 1..UINT32_MAX; false for anything else. */
static bool parse_depth(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return v > 0;
}

static void w_view_side(struct jw *w, const struct sim_book_view *vw, unsigned side,
			uint32_t depth)
{
	uint32_t n = vw->n[side] < depth ? vw->n[side] : depth;

	jw_raw(w, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		jw_lit(w, i ? ",[\"" : "[\"");
		jw_fx_short(w, vw->lv[side][i].px);
		jw_lit(w, "\",\"");
		jw_fx_short(w, vw->lv[side][i].qty);
		jw_lit(w, "\"]");
	}
	jw_raw(w, "]", 1);
}

/*
 * GET /book?venue=V&symbol=S[&depth=N]: the book as the venue last published
 * it (in->view), N levels a side (default: all the view holds; the venue
 * decides what that is: Binance its whole book, Upbit the 30 its frames
 * carry). Prices and quantities as plain decimals, no exponent, no trailing
 * zeros. 400 for a bad or unknown parameter or depth, 404 for a venue or
 * symbol exsim does not run, 409 while a replay is the market data.
 */
static void ctrl_book(struct sim_server *s, struct http_sconn *sc, struct net_http_str q)
{
	char venue[SIM_CTRL_Q_MAX] = "", sym[SIM_CTRL_Q_MAX] = "", dep[SIM_CTRL_Q_MAX] = "";
	bool have_v = false, have_s = false, have_d = false;
	uint32_t depth = UINT32_MAX;
	const char *p = q.p ? q.p : "", *end = p + (q.p ? q.len : 0);
	char msg[256];
	struct sim_venue *v;
	struct sim_inst *in;
	struct net_http_reply *r;
	struct jw w;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *e = amp ? amp : end;
		size_t kl;
		char *dst;
		bool *have;

		eq = memchr(p, '=', (size_t)(e - p));
		kl = (size_t)((eq ? eq : e) - p);
		if (kl == 5 && !memcmp(p, "venue", 5)) {
			dst = venue;
			have = &have_v;
		} else if (kl == 6 && !memcmp(p, "symbol", 6)) {
			dst = sym;
			have = &have_s;
		} else if (kl == 5 && !memcmp(p, "depth", 5)) {
			dst = dep;
			have = &have_d;
		} else if (!kl) {
			p = e + 1;      /* "a=1&&b=2": an empty pair */
			continue;
		} else {
			snprintf(msg, sizeof(msg),
				 "unknown parameter '%.*s': GET /book takes venue, symbol, depth\n",
				 (int)(kl < 32 ? kl : 32), p);
			ctrl_text(sc, 400, msg);
			return;
		}
		if (*have) {
			snprintf(msg, sizeof(msg), "parameter '%.*s' given twice\n", (int)kl, p);
			ctrl_text(sc, 400, msg);
			return;
		}
		*have = true;
		if (eq && q_decode(eq + 1, (size_t)(e - eq - 1), dst, SIM_CTRL_Q_MAX) < 0) {
			snprintf(msg, sizeof(msg), "parameter '%.*s': too long or a bad %%-escape\n",
				 (int)kl, p);
			ctrl_text(sc, 400, msg);
			return;
		}
		p = e + 1;
	}
	if (!venue[0] || !sym[0]) {
		ctrl_text(sc, 400, "GET /book needs venue and symbol: "
			  "/book?venue=binance&symbol=BTCUSDT[&depth=N]\n");
		return;
	}
	if (have_d && !parse_depth(dep, &depth)) {
		snprintf(msg, sizeof(msg), "depth '%.32s': want a whole number of levels, >= 1\n",
			 dep);
		ctrl_text(sc, 400, msg);
		return;
	}
	v = sim_server_venue(s, venue);
	if (!v) {
		int n = snprintf(msg, sizeof(msg), "no venue '%.32s' here; running:", venue);

		for (uint32_t i = 0; i < s->nvenues && n > 0 && (size_t)n < sizeof(msg); i++)
			if (s->venue[i].ops)
				n += snprintf(msg + n, sizeof(msg) - (size_t)n, " %s",
					      s->venue[i].cfg->name);
		if (n > 0 && (size_t)n < sizeof(msg) - 1)
			memcpy(msg + n, "\n", 2);
		ctrl_text(sc, 404, msg);
		return;
	}
	in = sim_venue_inst_sym(v, sym, strlen(sym));
	if (!in) {
		snprintf(msg, sizeof(msg),
			 "%s has no symbol '%.32s' (the venue's own spelling: %s)\n",
			 v->cfg->name, sym, v->ninst ? sim_venue_inst(v, 0)->sym : "none");
		ctrl_text(sc, 404, msg);
		return;
	}
	if (s->replaying) {
		ctrl_text(sc, 409, "exsim is replaying a capture: the model's books are not "
			  "published\n");
		return;
	}
	jw_init(&w, s->ctrl_buf, SIM_CTRL_REPLY);
	jw_lit(&w, "{\"venue\":");
	jw_str(&w, v->cfg->name);
	jw_lit(&w, ",\"symbol\":");
	jw_str(&w, in->sym);
	jw_lit(&w, ",\"update_id\":");
	jw_u64(&w, in->view.update_id);
	jw_lit(&w, ",\"ts_ms\":");
	jw_u64(&w, in->view.ts_ms);
	jw_lit(&w, ",\"bids\":");
	w_view_side(&w, &in->view, SIM_BID, depth);
	jw_lit(&w, ",\"asks\":");
	w_view_side(&w, &in->view, SIM_ASK, depth);
	jw_lit(&w, "}\n");
	/* it fits (asserted at SIM_CTRL_LEVEL): no overflow reply to make */
	r = http_sconn_reply(sc, 200, 0);
	if (r) {
		net_http_reply_header(r, "Content-Type", "application/json");
		net_http_reply_body(r, w.p, w.len);
	}
}

static void ctrl_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct sim_server *s = http_server_user(http_sconn_server(sc));
	struct net_http_str path = net_http_path(req), q = net_http_query(req);
	char text[512], err[256];
	struct sim_fault f;

	if (path.len == 7 && !memcmp(path.p, "/status", 7)) {
		ctrl_status(s, sc);
		return;
	}
	if (path.len == 6 && !memcmp(path.p, "/fault", 6) && req->method == NET_HTTP_POST) {
		size_t n = q.p ? (q.len < sizeof(text) - 1 ? q.len : sizeof(text) - 1) : 0;

		memcpy(text, q.p ? q.p : "", n);
		text[n] = '\0';
		if (sim_fault_parse(&f, text, err, sizeof(err))) {
			size_t e = strlen(err);

			if (e < sizeof(err) - 1) {
				err[e] = '\n';
				err[e + 1] = '\0';
			}
			ctrl_text(sc, 400, err);
			return;
		}
		apply_fault(s, &f);
		ctrl_text(sc, 200, "ok\n");
		return;
	}
	if (path.len == 5 && !memcmp(path.p, "/stop", 5) && req->method == NET_HTTP_POST) {
		s->stop = 1;
		ctrl_text(sc, 200, "stopping\n");
		return;
	}
	if (path.len == 6 && !memcmp(path.p, "/pause", 6) && req->method == NET_HTTP_POST) {
		sim_server_pause(s);
		ctrl_text(sc, 200, "paused\n");
		return;
	}
	if (path.len == 7 && !memcmp(path.p, "/resume", 7) && req->method == NET_HTTP_POST) {
		sim_server_resume(s);
		ctrl_text(sc, 200, "running\n");
		return;
	}
	if (path.len == 5 && !memcmp(path.p, "/book", 5) && req->method == NET_HTTP_GET) {
		ctrl_book(s, sc, q);
		return;
	}
	ctrl_text(sc, 404, "unknown: GET /status, GET /book?venue=..&symbol=..[&depth=N], "
		  "POST /pause, POST /resume, POST /fault?kind=..&venue=.., POST /stop\n");
}

static const struct http_server_ops ctrl_ops = { .on_request = ctrl_request };

/* ---- setup and teardown ----------------------------------------------------------- */

static void match_order(void *ctx, const struct sim_order *o, const struct sim_fill *f)
{
	struct sim_server *s = ctx;
	struct sim_venue *v = &s->venue[s->m.inst[o->inst].venue];

	if (f)
		sim_oppo_fill(s->oppo, o, f);
	if (v->ops && v->ops->on_order)
		v->ops->on_order(v, o, f);
}

static void match_balance(void *ctx, const struct sim_account *a, unsigned asset)
{
	struct sim_server *s = ctx;
	struct sim_venue *v = &s->venue[a->venue];

	if (v->ops && v->ops->on_balance)
		v->ops->on_balance(v, a, asset);
}

static const struct sim_match_ops match_ops = {
	.on_order = match_order,
	.on_balance = match_balance,
};

static struct sockaddr_in lo_addr(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int listen_venue(struct sim_server *s, struct sim_venue *v, uint32_t max_rest,
			char *err, size_t errlen)
{
	struct http_server_cfg hc = {
		.tls = s->tls, .max_conns = max_rest, .ops = &rest_ops, .user = v,
		.reply_cap = 1 << 20,
	};
	struct sockaddr_in a = lo_addr(v->cfg->rest_port);
	int ret;

	hc.lim.max_body = 64 * 1024;
	ret = http_server_new(&v->rest, s->loop, (struct sockaddr *)&a, sizeof(a), &hc);
	if (ret) {
		snprintf(err, errlen, "%s: REST listener on 127.0.0.1:%u: %s", v->cfg->name,
			 v->cfg->rest_port, strerror(-ret));
		return ret;
	}
	v->rest_port = http_server_port(v->rest);
	a = lo_addr(v->cfg->ws_port);
	ret = net_listen(s->loop, (struct sockaddr *)&a, sizeof(a), &ws_accept_ops, v, &v->ws_l);
	if (ret) {
		snprintf(err, errlen, "%s: WebSocket listener on 127.0.0.1:%u: %s",
			 v->cfg->name, v->cfg->ws_port, strerror(-ret));
		return ret;
	}
	v->ws_port = net_listener_port(v->ws_l);
	if (!v->ops->has_api)
		return 0;
	a = lo_addr(v->cfg->api_port);
	ret = net_listen(s->loop, (struct sockaddr *)&a, sizeof(a), &ws_accept_ops,
			 (void *)((uintptr_t)v | 1), &v->api_l);
	if (ret) {
		snprintf(err, errlen, "%s: API listener on 127.0.0.1:%u: %s", v->cfg->name,
			 v->cfg->api_port, strerror(-ret));
		return ret;
	}
	v->api_port = net_listener_port(v->api_l);
	return 0;
}

static int setup_venues(struct sim_server *s, char *err, size_t errlen)
{
	const struct sim_scenario *sc = s->sc;
	int ret;

	for (uint32_t i = 0; i < sc->nvenues; i++) {
		struct sim_venue *v = &s->venue[i];

		v->cfg = &sc->venues[i];
		v->idx = (uint8_t)i;
		v->srv = s;
		v->m = &s->m;
		v->x = &s->x;
		if (!v->cfg->enabled)
			continue;
		v->ops = sim_venue_find(v->cfg->name);
		if (!v->ops) {
			snprintf(err, errlen, "venue '%s': exsim does not speak it", v->cfg->name);
			return -EINVAL;
		}
		ret = v->ops->setup(v);
		if (ret) {
			snprintf(err, errlen, "venue '%s': setup: %s", v->cfg->name,
				 strerror(-ret));
			return ret;
		}
		for (uint32_t k = 0; k < s->m.ninsts; k++)
			if (s->m.inst[k].venue == i && v->ninst < SIM_VENUE_INSTS)
				v->inst[v->ninst++] = (uint16_t)k;
	}
	s->nvenues = sc->nvenues;
	return 0;
}

/*
 * Load mode: load_rate is the market messages per second a client of one
 * venue's whole feed gets. A step changes the top of every book, so a step
 * is worth about one message per instrument (coins, plus the rate pair on
 * a KRW venue): step = instruments / load_rate, and every venue publishes
 * each step. exsim runs the steps it can; the rest are skipped, never
 * queued (the bench reports the rate delivered).
 */
static void load_timing(struct sim_scenario *sc)
{
	uint64_t ninst = sc->ncoins + 1, step;

	if (!sc->load_rate)
		return;
	step = 1000000000ull * ninst / sc->load_rate;
	sc->step_ns = step ? step : 1;
	for (uint32_t i = 0; i < sc->nvenues; i++)
		sc->venues[i].publish_ns = sc->step_ns;
}

static int alloc_pools(struct sim_server *s, uint32_t max_ws)
{
	s->nws = max_ws;
	s->ws = calloc(max_ws, sizeof(*s->ws));
	s->ws_buf_len = WS_CONN_BUF_SIZE(SIM_WS_MSG_IN) + SIM_WS_OUT_EXTRA;
	s->ws_bufs = calloc(max_ws, s->ws_buf_len);
	s->jobs = calloc(SIM_JOBS, sizeof(*s->jobs));
	s->job_free = calloc(SIM_JOBS, sizeof(*s->job_free));
	s->heap = calloc(SIM_JOBS, sizeof(*s->heap));
	if (!s->ws || !s->ws_bufs || !s->jobs || !s->job_free || !s->heap)
		return -ENOMEM;
	for (uint32_t i = 0; i < SIM_JOBS; i++)
		s->job_free[s->njob_free++] = SIM_JOBS - 1 - i;
	for (uint32_t i = 0; i < max_ws; i++) {
		int ret = ws_conn_init(&s->ws[i].ws, WS_SERVER, s->tls,
				       s->ws_bufs + (size_t)i * s->ws_buf_len, s->ws_buf_len,
				       SIM_WS_MSG_IN);
		if (ret)
			return ret;
	}
	for (int i = 0; i < SIM_JOB_TIMERS; i++) {
		s->jt[i].s = s;
		s->jt[i].t.fn = job_timer_fired;
		s->jt[i].t.arg = &s->jt[i];
	}
	return 0;
}

int sim_server_new(struct sim_server **out, const struct sim_server_cfg *cfg, char *err,
		   size_t errlen)
{
	struct sim_scenario *sc;
	uint32_t max_ws = cfg->max_ws ? cfg->max_ws : 128;
	uint32_t max_rest = cfg->max_rest ? cfg->max_rest : 32;
	struct net_tls_conf tc = { .role = NET_TLS_SERVER, .cert_file = cfg->cert_path,
				   .key_file = cfg->key_path };
	struct net_loop_cfg lc = {
		.max_conns = max_ws + cfg->sc->nvenues * max_rest + SIM_CTRL_SLOTS + 16,
		.sq_entries = 4096, .tx_size = cfg->tx_size ? cfg->tx_size : 1u << 20,
		/* every stream here is TLS (own staging) or HTTP (own buffer) */
		.stage_size = 16384,
	};
	struct sim_server *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;

	*out = NULL;
	if (!s)
		goto fail;
	/* our own copy: load mode retimes it, and every module reads this one */
	s->scen = *cfg->sc;
	sc = &s->scen;
	s->sc = sc;
	if (!sc->step_ns)
		sc->step_ns = 10000000ull;
	load_timing(sc);
	s->step_ns = sc->step_ns;
	snprintf(s->ca_path, sizeof(s->ca_path), "%s", cfg->ca_path ? cfg->ca_path : "");
	ret = net_loop_new(&s->loop, &lc);
	if (ret) {
		snprintf(err, errlen, "io_uring loop: %s", strerror(-ret));
		goto fail;
	}
	ret = net_tls_ctx_create(&tc, &s->tls, err, errlen);
	if (ret)
		goto fail;
	ret = alloc_pools(s, max_ws);
	if (ret) {
		snprintf(err, errlen, "connection pools: %s", strerror(-ret));
		goto fail;
	}
	s->ledger = sim_ledger_open(sc->ledger_path);
	if (!s->ledger) {
		ret = -errno ? -errno : -EIO;
		snprintf(err, errlen, "ledger '%s': %s", sc->ledger_path, strerror(-ret));
		goto fail;
	}
	ret = sim_market_init(&s->m, sc);
	if (!ret)
		ret = sim_exch_init(&s->x, &s->m, s->ledger);
	if (ret) {
		snprintf(err, errlen, "market: %s", strerror(-ret));
		goto fail;
	}
	s->x.ops = &match_ops;
	s->x.ctx = s;
	ret = setup_venues(s, err, errlen);
	if (ret)
		goto fail;
	ret = sim_exch_accounts(&s->x, sc);
	if (ret) {
		snprintf(err, errlen, "accounts: %s", strerror(-ret));
		goto fail;
	}
	sim_market_start(&s->m, sim_now_real_ns() / 1000000ull);
	for (uint32_t i = 0; i < s->nvenues; i++)
		if (s->venue[i].ops && s->venue[i].ops->start)
			s->venue[i].ops->start(&s->venue[i]);
	s->oppo = sim_oppo_new(&s->x, s->ledger);
	for (uint32_t i = 0; i < s->nvenues; i++) {
		if (!s->venue[i].ops)
			continue;
		ret = listen_venue(s, &s->venue[i], max_rest, err, errlen);
		if (ret)
			goto fail;
	}
	if (sc->control) {
		struct http_server_cfg hc = { .max_conns = SIM_CTRL_SLOTS, .ops = &ctrl_ops,
					      .user = s, .reply_cap = SIM_CTRL_REPLY + 1024 };
		struct sockaddr_in a = lo_addr(sc->control_port);

		s->ctrl_buf = malloc(SIM_CTRL_REPLY);
		if (!s->ctrl_buf) {
			ret = -ENOMEM;
			snprintf(err, errlen, "control reply buffer: %s", strerror(ENOMEM));
			goto fail;
		}
		ret = http_server_new(&s->ctrl, s->loop, (struct sockaddr *)&a, sizeof(a), &hc);
		if (ret) {
			snprintf(err, errlen, "control listener on 127.0.0.1:%u: %s",
				 sc->control_port, strerror(-ret));
			goto fail;
		}
		s->ctrl_port = http_server_port(s->ctrl);
	}
	if (sc->replay_path[0]) {
		ret = sim_capture_open(&s->cap, sc->replay_path, err, errlen);
		if (ret)
			goto fail;
		s->replaying = true;
		s->replay_buf = malloc(s->cap.max_payload + 1);
		if (!s->replay_buf) {
			ret = -ENOMEM;
			snprintf(err, errlen, "replay buffer: %s", strerror(ENOMEM));
			goto fail;
		}
		/* the first frame says which venue's first listener starts it */
		while ((ret = sim_capture_next(&s->cap, &s->frame, s->replay_buf,
					       s->cap.max_payload + 1, err, errlen)) < 0)
			s->replay_skipped++;
		s->replay_have = ret == 1;
		ret = 0;
	}
	s->t0_ns = mono_ns();
	s->step_t.fn = step_fired;
	s->step_t.arg = s;
	s->tick_t.fn = tick_fired;
	s->tick_t.arg = s;
	s->replay_t.fn = replay_fired;
	s->replay_t.arg = s;
	net_timer_start(s->loop, &s->step_t, s->step_ns > SIM_TICK_MIN_NS ? s->step_ns
									 : SIM_TICK_MIN_NS);
	net_timer_start(s->loop, &s->tick_t, 1000000000ull);

	*out = s;
	return 0;
fail:
	sim_server_free(s);
	return ret ? ret : -EINVAL;
}

void sim_server_free(struct sim_server *s)
{
	if (!s)
		return;
	if (s->loop)
		net_loop_free(s->loop);
	for (uint32_t i = 0; i < SIM_MAX_VENUES; i++)
		http_server_free(s->venue[i].rest);
	http_server_free(s->ctrl);
	if (s->ws)
		for (uint32_t i = 0; i < s->nws; i++)
			net_tls_sess_reset(&s->ws[i].ws.st.tls);
	if (s->replaying)
		sim_capture_close(&s->cap);
	free(s->replay_buf);
	free(s->ctrl_buf);
	if (s->oppo)
		sim_oppo_free(s->oppo);
	if (s->x.orders)
		sim_exch_free(&s->x);
	sim_market_free(&s->m);
	if (s->ledger)
		sim_ledger_close(s->ledger);
	net_tls_ctx_destroy(s->tls);
	for (uint32_t i = 0; i < SIM_MAX_VENUES; i++)
		free(s->venue[i].priv);
	free(s->ws);
	free(s->ws_bufs);
	free(s->jobs);
	free(s->job_free);
	free(s->heap);
	free(s);
}

int sim_server_run(struct sim_server *s)
{
	while (!s->stop) {
		int ret = net_loop_run(s->loop, 100000000ull);

		if (ret < 0 && ret != -EINTR && ret != -ETIME)
			return ret;
	}
	return 0;
}

void sim_server_stop(struct sim_server *s)
{
	s->stop = 1;
}

void sim_server_print(const struct sim_server *s, FILE *f)
{
	fprintf(f, "exsim: ca %s\n", s->ca_path);
	for (uint32_t i = 0; i < s->nvenues; i++) {
		const struct sim_venue *v = &s->venue[i];

		if (!v->ops)
			continue;
		fprintf(f, "exsim: %s rest https://localhost:%u ws wss://localhost:%u",
			v->cfg->name, v->rest_port, v->ws_port);
		if (v->api_port)
			fprintf(f, " api wss://localhost:%u", v->api_port);
		fprintf(f, "\n");
	}
	if (s->ctrl)
		fprintf(f, "exsim: control http://127.0.0.1:%u\n", s->ctrl_port);
	fprintf(f, "exsim: ledger %s\n", s->sc->ledger_path[0] ? s->sc->ledger_path : "(none)");
	fflush(f);
}

struct sim_market *sim_server_market(struct sim_server *s)
{
	return &s->m;
}

struct sim_exch *sim_server_exch(struct sim_server *s)
{
	return &s->x;
}

struct sim_venue *sim_server_venue(struct sim_server *s, const char *name)
{
	for (uint32_t i = 0; i < s->nvenues; i++)
		if (s->venue[i].ops && !strcmp(s->venue[i].cfg->name, name))
			return &s->venue[i];
	return NULL;
}

struct net_loop *sim_server_loop(struct sim_server *s)
{
	return s->loop;
}

uint16_t sim_server_control_port(const struct sim_server *s)
{
	return s->ctrl_port;
}

uint64_t sim_server_steps(const struct sim_server *s)
{
	return s->steps;
}

uint64_t sim_server_clock_ticks(const struct sim_server *s)
{
	return s->clock_ticks;
}
