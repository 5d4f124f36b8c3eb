/* SPDX-License-Identifier: MIT */
/*
 * monitord's loop: its segment and metrics, the HTTP server (libnet
 * http_server, plain TCP on loopback), the WebSocket listener (libnet
 * ws_conn_accept on a second listener, as exsim serves its market
 * WebSocket: libnet's http_server cannot hand a connection over yet), the
 * push and heartbeat timers. See monitord.h for the endpoints.
 *
 * Every reply is built in a memory stream (open_memstream) by the same
 * view functions kimpctl prints with, then copied into the connection's
 * reply buffer. A view that fails says why through kimpctl_err(), which
 * monitord defines here: the message goes to stderr and into the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "kimp/httpconn.h"
#include "kimp/log.h"
#include "kimp/net.h"
#include "kimp/wsconn.h"
#include "monitord.h"
#include "views.h"

#define MON_HTTP_CONNS   16
#define MON_WS_MSG_IN    4096
#define MON_WS_OUT_EXTRA (1u << 20)
#define MON_STATIC_MAX   (2u << 20)
#define MON_BEAT_NS      100000000ull   /* heartbeat period */
#define MON_SEG_SIZE     (4u << 20)     /* metrics and the log ring */
#define MON_CTL_POLL_NS  1000000ull     /* a control request looks at riskd this often */

/*
 * The control request in flight (one at a time: another gets 409). Posted
 * to riskd's control region by control(), answered later by ctl_fired,
 * which polls riskd's done counter every MON_CTL_POLL_NS until it acts or
 * control_wait passes (504). The connection is answered only while it is
 * the same one: on_close forgets it, and its serial is checked (slots are
 * reused).
 */
struct mon_ctl {
	bool busy;
	struct http_sconn *sc;          /* NULL: the client went away */
	uint64_t serial;
	uint64_t deadline_ns;
	struct net_timer t;
	struct kimpctl_risk_ctl rc;
};

struct mon_ws {
	struct ws_conn ws;
	bool in_use, open;
	struct mon *m;
};

struct mon {
	struct kimpctl *k;
	const struct mon_conf *mc;
	struct shm_seg seg;
	struct shm_metrics *metrics;
	_Atomic uint64_t *c_req, *c_err, *c_push, *c_ctl, *c_ctl_denied, *c_ctl_busy, *c_ws;
	struct mon_log_counters c_log;
	struct mon_logs *logs;          /* NULL: the drain is off */
	struct net_timer log_t;
	struct mon_ctl ctl;
	_Atomic int64_t *g_ws;
	struct net_loop *loop;
	struct http_server *http;
	struct net_listener *wsl;
	uint16_t http_port, ws_port;
	struct mon_ws ws[MON_WS_MAX];
	uint8_t *ws_bufs;
	size_t ws_buf_len;
	struct net_timer push_t, beat_t;
	char www_real[PATH_MAX];
};

/* ---- kimpctl_err: the views' errors --------------------------------------- */

static char last_err[512];

int kimpctl_err(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	/* stderr as "monitord: ...", and monitord's own log ring */
	kimp_log(KIMP_LOG_WARN, "%s", last_err);
	return status;
}

/* ---- helpers -------------------------------------------------------------- */

static const char *seg_of(const struct kimpctl *k, const char *section)
{
	const char *s = kimp_conf_get(k->conf, section, "name");

	return s && *s ? s : section;
}

/* A memory stream: open, write, then mem_done for the bytes. */
struct mem {
	FILE *f;
	char *p;
	size_t n;
};

static int mem_open(struct mem *b)
{
	b->p = NULL;
	b->n = 0;
	b->f = open_memstream(&b->p, &b->n);
	return b->f ? 0 : -ENOMEM;
}

static int mem_done(struct mem *b)
{
	int err = fclose(b->f) ? -ENOMEM : 0;

	b->f = NULL;
	return err;
}

static void mem_free(struct mem *b)
{
	if (b->f)
		fclose(b->f);
	free(b->p);
	b->p = NULL;
}

static void reply(struct http_sconn *sc, unsigned status, const char *type, const void *body,
		  size_t len, const char *extra_name, const char *extra_value)
{
	struct net_http_reply *r = http_sconn_reply(sc, status, 0);

	if (!r)
		return;
	net_http_reply_header(r, "Content-Type", type);
	net_http_reply_header(r, "Cache-Control", "no-store");
	net_http_reply_header(r, "X-Content-Type-Options", "nosniff");
	if (extra_name)
		net_http_reply_header(r, extra_name, extra_value);
	net_http_reply_body(r, body, len);
}

static void reply_json_error(struct mon *m, struct http_sconn *sc, unsigned status,
			     const char *msg)
{
	struct mem b;

	shm_counter_add(m->c_err, 1);
	if (mem_open(&b)) {
		reply(sc, 500, "text/plain", "out of memory\n", 14, NULL, NULL);
		return;
	}
	fputs("{\"error\": ", b.f);
	json_string(b.f, msg, strlen(msg));
	fputs("}\n", b.f);
	if (mem_done(&b))
		reply(sc, 500, "text/plain", "out of memory\n", 14, NULL, NULL);
	else
		reply(sc, status, "application/json", b.p, b.n,
		      status == 401 ? "WWW-Authenticate" : NULL, "Bearer realm=\"kimp\"");
	mem_free(&b);
}

/* ---- health ----------------------------------------------------------------- */

bool mon_health(struct kimpctl *k, const struct mon_conf *mc, FILE *f)
{
	uint64_t now = kimp_mono_ns();
	bool all = true;
	struct out o;

	out_init(&o, f, true);
	out_obj_begin(&o, NULL, NULL);
	out_arr_begin(&o, "procs");
	for (unsigned i = 0; i < mc->nprocs; i++) {
		const char *seg = seg_of(k, mc->procs[i]);
		const struct shm_metrics *mt;
		struct shm_seg s;
		bool attached = !shm_seg_attach(&s, seg, &k->shm);
		pid_t pid = 0;
		uint64_t hb = 0;
		bool alive, fresh;

		mt = attached ? kimpctl_metrics(&s, "metrics") : NULL;
		if (mt) {
			pid = atomic_load_explicit(&mt->pid, memory_order_relaxed);
			hb = atomic_load_explicit(&mt->heartbeat_ns, memory_order_relaxed);
		}
		alive = pid_alive(pid);
		fresh = hb && (now <= hb || now - hb <= mc->heartbeat_timeout_ns);
		out_obj_begin(&o, NULL, NULL);
		out_str(&o, "proc", mc->procs[i]);
		out_str(&o, "segment", seg);
		out_bool(&o, "segment_found", attached);
		out_pid(&o, "pid", pid);
		out_age(&o, "heartbeat_age_ns", now, (int64_t)hb);
		out_bool(&o, "ok", alive && fresh);
		out_str(&o, "state", !mt ? "no metrics" : !alive ? "not running" :
			!fresh ? "hung (heartbeat too old)" : "ok");
		out_obj_end(&o);
		all &= alive && fresh;
		if (attached)
			shm_seg_detach(&s);
	}
	out_arr_end(&o);
	out_bool(&o, "ok", all);
	out_ns(&o, "heartbeat_timeout_ns", mc->heartbeat_timeout_ns);
	out_obj_end(&o);
	out_finish(&o);
	return all;
}

/* ---- the JSON API ------------------------------------------------------------ */

enum api { API_STATUS, API_HEALTH, API_POSITIONS, API_ORDERS, API_EXECUTIONS, API_PREMIUM, API_BOOKS,
	   API_STATS, API_FEEDS, API_LATENCY, API_CONFIG, API_SNAPSHOT, API_MAX };

static const char *const api_names[API_MAX] = {
	"status", "health", "positions", "orders", "executions", "premium", "books", "stats", "feeds",
	"latency", "config", "snapshot",
};

static int snapshot(struct mon *m, struct mem *out);

/* One view as JSON into f. KIMPCTL_OK or the view's status (said). */
static int api_view(struct mon *m, enum api a, FILE *f)
{
	struct kimpctl *k = m->k;

	switch (a) {
	case API_STATUS:
		return kimpctl_view_status(k, f, true);
	case API_HEALTH:
		mon_health(k, m->mc, f);
		return KIMPCTL_OK;
	case API_POSITIONS:
		return kimpctl_view_positions(k, seg_of(k, "riskd"), f, true);
	case API_ORDERS:
		return kimpctl_view_orders(k, seg_of(k, "orderd"), KIMPCTL_ORDERS_ALL, f, true);
	case API_EXECUTIONS:
		return kimpctl_view_orders(k, seg_of(k, "orderd"), KIMPCTL_ORDERS_FILLS, f, true);
	case API_PREMIUM:
		return kimpctl_view_premium(k, seg_of(k, "stratd"), f, true);
	case API_BOOKS:
		return kimpctl_view_books(k, seg_of(k, "feedd"), 1, f, true);
	case API_STATS:
		return kimpctl_view_stats(k, f, true);
	case API_FEEDS:
		return kimpctl_view_feeds(k, f, true);
	case API_LATENCY:
		return kimpctl_view_latency(k, f, true);
	case API_SNAPSHOT: {
		struct mem b;
		int err = snapshot(m, &b);

		if (!err)
			fwrite(b.p, 1, b.n, f);
		mem_free(&b);
		return err ? kimpctl_err(KIMPCTL_FAIL, "snapshot: out of memory") : KIMPCTL_OK;
	}
	default:
		fprintf(f, "{\"ws_port\": %u, \"ws_path\": \"/ws\", \"ws_same_port\": %s, "
			"\"push_every_ns\": %" PRIu64 ", \"control\": %s, "
			"\"procs\": [", m->ws_port, m->mc->ws_own ? "false" : "true",
			m->mc->push_every_ns,
			m->mc->token[0] ? "true" : "false");
		for (unsigned i = 0; i < m->mc->nprocs; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "", m->mc->procs[i]);
		fputs("]}\n", f);
		return KIMPCTL_OK;
	}
}

static void api(struct mon *m, struct http_sconn *sc, enum api a)
{
	struct mem b;
	int status;

	if (mem_open(&b)) {
		reply_json_error(m, sc, 500, "out of memory");
		return;
	}
	last_err[0] = 0;
	status = api_view(m, a, b.f);
	if (mem_done(&b)) {
		reply_json_error(m, sc, 500, "out of memory");
	} else if (status && (!b.n || a == API_STATS)) {
		if (a == API_STATS && b.n)
			reply(sc, 200, "application/json", b.p, b.n, NULL, NULL);
		else
			reply_json_error(m, sc, 503, last_err[0] ? last_err : "view failed");
	} else {
		reply(sc, 200, "application/json", b.p, b.n, NULL, NULL);
	}
	mem_free(&b);
}

static void health(struct mon *m, struct http_sconn *sc)
{
	struct mem b;
	bool ok;

	if (mem_open(&b)) {
		reply_json_error(m, sc, 500, "out of memory");
		return;
	}
	ok = mon_health(m->k, m->mc, b.f);
	if (mem_done(&b))
		reply_json_error(m, sc, 500, "out of memory");
	else
		reply(sc, ok ? 200 : 503, "application/json", b.p, b.n, NULL, NULL);
	mem_free(&b);
}

static void metrics(struct mon *m, struct http_sconn *sc)
{
	struct mem b;
	int err;

	if (mem_open(&b)) {
		reply_json_error(m, sc, 500, "out of memory");
		return;
	}
	err = mon_prom_write(m->k, b.f);
	if (mem_done(&b) || err)
		reply_json_error(m, sc, 500, "out of memory");
	else
		reply(sc, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.n, NULL, NULL);
	mem_free(&b);
}

/* ---- control ------------------------------------------------------------------ */

/* The in-flight request's answer, when its connection is still there. */
static void ctl_finish(struct mon *m, bool acted)
{
	struct mon_ctl *c = &m->ctl;
	struct http_sconn *sc = c->sc;
	char cmd[sizeof(c->rc.cmd)], dur[32];
	struct mem b, j;
	int status;

	net_timer_stop(&c->t);
	memcpy(cmd, c->rc.cmd, sizeof(cmd));
	c->busy = false;
	c->sc = NULL;
	if (sc && http_sconn_serial(sc) != c->serial)
		sc = NULL;                 /* the slot serves another connection now */
	if (mem_open(&b)) {
		kimpctl_risk_end(&c->rc, acted, stderr);
		if (sc) {
			reply_json_error(m, sc, 500, "out of memory");
			http_sconn_send(sc);
		}
		return;
	}
	last_err[0] = 0;
	status = kimpctl_risk_end(&c->rc, acted, b.f);
	if (mem_done(&b)) {
		if (sc)
			reply_json_error(m, sc, 500, "out of memory");
	} else if (!sc) {
		kimp_log(KIMP_LOG_INFO, "control %s: %s, the client had gone", cmd,
			 status ? "riskd did not act" : "done");
	} else if (status) {
		char msg[sizeof(last_err) + 128];

		snprintf(msg, sizeof(msg), "riskd did not answer within control_wait (%s): %s",
			 fmt_ns(dur, sizeof(dur), m->mc->control_wait_ns),
			 last_err[0] ? last_err : "no reason known");
		reply_json_error(m, sc, 504, msg);
	} else if (mem_open(&j)) {
		reply_json_error(m, sc, 500, "out of memory");
	} else {
		fprintf(j.f, "{\"ok\": true, \"command\": \"%s\", \"said\": ", cmd);
		json_string(j.f, b.p ? b.p : "", b.n);
		fputs("}\n", j.f);
		if (mem_done(&j))
			reply_json_error(m, sc, 500, "out of memory");
		else
			reply(sc, 200, "application/json", j.p, j.n, NULL, NULL);
		mem_free(&j);
	}
	mem_free(&b);
	if (sc)
		http_sconn_send(sc);
}

static void ctl_fired(struct net_timer *t)
{
	struct mon *m = t->arg;

	if (kimpctl_risk_acted(&m->ctl.rc))
		ctl_finish(m, true);
	else if (kimp_mono_ns() >= m->ctl.deadline_ns)
		ctl_finish(m, false);
	else
		net_timer_start(m->loop, &m->ctl.t, MON_CTL_POLL_NS);
}

static void control(struct mon *m, struct http_sconn *sc, const struct net_http_parser *req,
		    const char *cmd)
{
	struct net_http_str h = net_http_header(req, "Authorization");
	struct mon_ctl *c = &m->ctl;

	if (!m->mc->token[0]) {
		shm_counter_add(m->c_ctl_denied, 1);
		reply_json_error(m, sc, 403, "control is disabled: no token is configured "
				 "([monitord] token_file or token_env)");
		return;
	}
	if (!h.p || h.len < 7 || strncasecmp(h.p, "Bearer ", 7)) {
		shm_counter_add(m->c_ctl_denied, 1);
		reply_json_error(m, sc, 401, "an Authorization: Bearer TOKEN header is needed");
		return;
	}
	if (!mon_token_eq(m->mc->token, h.p + 7, h.len - 7)) {
		shm_counter_add(m->c_ctl_denied, 1);
		kimp_log(KIMP_LOG_WARN, "control %s: wrong token", cmd);
		reply_json_error(m, sc, 403, "wrong token");
		return;
	}
	if (c->busy) {
		char msg[128];

		shm_counter_add(m->c_ctl_busy, 1);
		snprintf(msg, sizeof(msg), "control %s refused: a control request (%s) is in "
			 "flight; one at a time, try again when it is answered", cmd, c->rc.cmd);
		reply_json_error(m, sc, 409, msg);
		return;
	}
	shm_counter_add(m->c_ctl, 1);
	kimp_log(KIMP_LOG_INFO, "control %s requested", cmd);
	last_err[0] = 0;
	if (kimpctl_risk_post(m->k, seg_of(m->k, "riskd"), cmd, m->mc->control_wait_ns,
			      &c->rc)) {
		reply_json_error(m, sc, 503, last_err[0] ? last_err : "riskd cannot be asked");
		return;
	}
	/* answered later, from the loop: ctl_fired */
	c->busy = true;
	c->sc = sc;
	c->serial = http_sconn_serial(sc);
	c->deadline_ns = kimp_mono_ns() + m->mc->control_wait_ns;
	net_timer_start(m->loop, &c->t, MON_CTL_POLL_NS);
}

static void on_close(struct http_sconn *sc, int err)
{
	struct mon *m = http_server_user(http_sconn_server(sc));

	(void)err;
	if (m->ctl.busy && m->ctl.sc == sc)
		m->ctl.sc = NULL;          /* the request runs on; nobody to answer */
}

/* ---- static files -------------------------------------------------------------- */

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < KIMP_ARRAY_SIZE(types); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/*
 * A URL path is served when every segment is made of [A-Za-z0-9._-], none
 * is "." or "..", and the file, resolved, lies inside the www directory.
 */
static bool path_ok(const char *p, size_t n)
{
	size_t seg = 0;

	if (!n || p[0] != '/')
		return false;
	for (size_t i = 1; i <= n; i++) {
		char c = i < n ? p[i] : '/';

		if (c == '/') {
			if ((seg == 1 && p[i - 1] == '.') ||
			    (seg == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
				return false;
			if (!seg && i < n)
				return false;   /* "//" */
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
		seg++;
	}
	return true;
}

static void static_file(struct mon *m, struct http_sconn *sc, struct net_http_str path)
{
	char rel[256], full[PATH_MAX + 300], real[PATH_MAX];
	size_t wl = strlen(m->www_real);
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	int fd = -1;

	if (!path_ok(path.p, path.len) || path.len >= sizeof(rel) - 16) {
		reply_json_error(m, sc, 404, "not found");
		return;
	}
	snprintf(rel, sizeof(rel), "%.*s%s", (int)path.len, path.p,
		 path.p[path.len - 1] == '/' ? "index.html" : "");
	snprintf(full, sizeof(full), "%s%s", m->www_real, rel);
	if (!m->www_real[0] || !realpath(full, real) || strncmp(real, m->www_real, wl) ||
	    real[wl] != '/') {
		reply_json_error(m, sc, 404, "not found");
		return;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MON_STATIC_MAX) {
		reply_json_error(m, sc, 404, "not found");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		reply_json_error(m, sc, 500, "out of memory");
		goto out;
	}
	got = pread(fd, buf, (size_t)st.st_size, 0);
	if (got != st.st_size) {
		reply_json_error(m, sc, 500, "cannot read the file");
		goto out;
	}
	reply(sc, 200, content_type(real), buf, (size_t)got, NULL, NULL);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
}

/* ---- routing ------------------------------------------------------------------- */

static bool is(struct net_http_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

static void ws_take(struct mon *m, struct http_sconn *sc);

static void on_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct mon *m = http_server_user(http_sconn_server(sc));
	struct net_http_str path = net_http_path(req);
	bool get = req->method == NET_HTTP_GET || req->method == NET_HTTP_HEAD;
	bool post = req->method == NET_HTTP_POST;

	(void)route;
	shm_counter_add(m->c_req, 1);
	if (!path.p) {
		reply_json_error(m, sc, 400, "no path");
		return;
	}
	if (path.len > 13 && !memcmp(path.p, "/api/control/", 13)) {
		struct net_http_str c = { path.p + 13, path.len - 13 };
		const char *cmd = is(c, "kill") ? "kill" : is(c, "pause") ? "pause" :
				  is(c, "resume") ? "resume" : NULL;

		if (!cmd)
			reply_json_error(m, sc, 404, "control commands: kill, pause, resume");
		else if (!post)
			reply_json_error(m, sc, 405, "control takes POST");
		else
			control(m, sc, req, cmd);
		return;
	}
	if (!get) {
		reply_json_error(m, sc, 405, "method not allowed");
		return;
	}
	if (is(path, "/ws")) {
		ws_take(m, sc);
		return;
	}
	if (is(path, "/metrics")) {
		metrics(m, sc);
		return;
	}
	if (is(path, "/health")) {
		health(m, sc);
		return;
	}
	if (path.len > 5 && !memcmp(path.p, "/api/", 5)) {
		struct net_http_str n = { path.p + 5, path.len - 5 };

		for (unsigned a = 0; a < API_MAX; a++) {
			if (is(n, api_names[a])) {
				api(m, sc, (enum api)a);
				return;
			}
		}
		reply_json_error(m, sc, 404, "no such API");
		return;
	}
	static_file(m, sc, path);
}

static const struct http_server_ops http_ops = { .on_request = on_request,
						  .on_close = on_close };

/* ---- the WebSocket -------------------------------------------------------------- */

/* The snapshot: every view the dashboard draws, one JSON object. */
static int snapshot(struct mon *m, struct mem *out)
{
	static const struct { const char *key; enum api a; } parts[] = {
		{ "health", API_HEALTH }, { "feeds", API_FEEDS }, { "premium", API_PREMIUM },
		{ "positions", API_POSITIONS }, { "orders", API_ORDERS },
		{ "latency", API_LATENCY },
	};
	struct timespec ts;

	if (mem_open(out))
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(out->f, "{\"type\": \"snapshot\", \"time_ms\": %" PRIu64,
		(uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(parts); i++) {
		struct mem b;
		int status;

		fprintf(out->f, ", \"%s\": ", parts[i].key);
		if (mem_open(&b)) {
			fputs("null", out->f);
			continue;
		}
		status = api_view(m, parts[i].a, b.f);
		if (!mem_done(&b) && !status && b.n) {
			while (b.n && (b.p[b.n - 1] == '\n'))
				b.n--;
			fwrite(b.p, 1, b.n, out->f);
		} else {
			fputs("null", out->f);
		}
		mem_free(&b);
	}
	fputs("}", out->f);
	return mem_done(out);
}

static void push(struct mon *m)
{
	struct mem b;
	unsigned n = 0;

	for (unsigned i = 0; i < MON_WS_MAX; i++)
		n += m->ws[i].open;
	if (!n)
		return;
	if (snapshot(m, &b)) {
		mem_free(&b);
		return;
	}
	for (unsigned i = 0; i < MON_WS_MAX; i++) {
		if (!m->ws[i].open)
			continue;
		if (ws_conn_send(&m->ws[i].ws, WS_OP_TEXT, b.p, b.n) == -ENOBUFS &&
		    m->ws[i].ws.st.conn)
			net_abort(m->ws[i].ws.st.conn);   /* cannot keep up: cut off */
	}
	shm_counter_add(m->c_push, 1);
	mem_free(&b);
}

static void ws_on_open(struct ws_conn *w, int err)
{
	struct mon_ws *c = ws_conn_user(w);
	unsigned n = 0;

	if (err) {
		c->in_use = false;
		return;
	}
	c->open = true;
	shm_counter_add(c->m->c_ws, 1);
	for (unsigned i = 0; i < MON_WS_MAX; i++)
		n += c->m->ws[i].open;
	shm_gauge_set(c->m->g_ws, n);
	push(c->m);     /* the first snapshot at once */
}

static void ws_on_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	(void)w, (void)opcode, (void)data, (void)len;   /* nothing is asked over it */
}

static void ws_on_close(struct ws_conn *w, unsigned code, int err)
{
	struct mon_ws *c = ws_conn_user(w);
	unsigned n = 0;

	(void)code, (void)err;
	c->open = false;
	c->in_use = false;
	for (unsigned i = 0; i < MON_WS_MAX; i++)
		n += c->m->ws[i].open;
	shm_gauge_set(c->m->g_ws, n);
}

static unsigned ws_on_upgrade(struct ws_conn *w, const struct ws_hs_request *req,
			      const char *head, size_t len)
{
	(void)w, (void)head, (void)len;
	if (!(req->path_len == 3 && !memcmp(req->path, "/ws", 3)))
		return 404;
	return 0;
}

static const struct ws_conn_ops ws_ops = {
	.on_open = ws_on_open,
	.on_message = ws_on_message,
	.on_close = ws_on_close,
	.on_upgrade = ws_on_upgrade,
};

/* A free WebSocket slot, or NULL. */
static struct mon_ws *ws_slot(struct mon *m)
{
	for (unsigned i = 0; i < MON_WS_MAX; i++)
		if (!m->ws[i].in_use && m->ws[i].ws.state == WS_CONN_IDLE)
			return &m->ws[i];
	return NULL;
}

static void ws_accept(struct net_conn *nc, int err)
{
	struct mon *m = net_conn_user(nc);
	struct mon_ws *c = NULL;

	if (err)
		return;
	c = ws_slot(m);
	if (!c) {
		net_close(nc);
		return;
	}
	c->in_use = true;
	c->open = false;
	c->m = m;
	if (ws_conn_accept(&c->ws, nc, &ws_ops, c)) {
		c->in_use = false;
		net_close(nc);
	}
}

static const struct net_conn_ops ws_accept_ops = { .on_open = ws_accept };

/*
 * GET /ws on the HTTP port: the connection is handed over to a WebSocket
 * slot, which answers the upgrade (101, or 400/426 for a bad one). Every
 * /ws request comes here, an upgrade or not, so a bad one gets the
 * WebSocket refusal. After ws_conn_upgrade, sc is not ours.
 */
static void ws_take(struct mon *m, struct http_sconn *sc)
{
	struct mon_ws *c = ws_slot(m);

	if (!c) {
		reply_json_error(m, sc, 503, "too many WebSocket clients");
		return;
	}
	c->in_use = true;
	c->open = false;
	c->m = m;
	if (ws_conn_upgrade(&c->ws, sc, &ws_ops, c)) {
		c->in_use = false;
		reply_json_error(m, sc, 500, "cannot take the connection over");
	}
}

/* ---- timers ----------------------------------------------------------------------- */

static void push_fired(struct net_timer *t)
{
	struct mon *m = t->arg;

	push(m);
	net_timer_start(m->loop, &m->push_t, m->mc->push_every_ns);
}

static void log_fired(struct net_timer *t)
{
	struct mon *m = t->arg;

	mon_logs_drain(m->logs);
	net_timer_start(m->loop, &m->log_t, m->mc->log_drain_every_ns);
}

static void beat_fired(struct net_timer *t)
{
	struct mon *m = t->arg;

	shm_metrics_heartbeat(m->metrics, kimp_mono_ns());
	net_timer_start(m->loop, &m->beat_t, MON_BEAT_NS);
}

/* ---- open, run, close --------------------------------------------------------------- */

static int open_metrics(struct mon *m, const struct shm_opts *so, char *err, size_t errlen)
{
	int e = shm_seg_open(&m->seg, m->mc->name, MON_SEG_SIZE, so);

	if (e) {
		snprintf(err, errlen, "segment %s: %s", m->mc->name, shm_last_error());
		return e;
	}
	e = shm_metrics_lookup(&m->seg, "metrics", &m->metrics);
	if (e == -ENOENT)
		e = shm_metrics_create(&m->seg, "metrics", "monitord", 16, 8, 4, &m->metrics);
	if (e) {
		snprintf(err, errlen, "segment %s: metrics: %s", m->mc->name, shm_last_error());
		return e;
	}
	shm_metrics_claim(m->metrics);
	m->c_req = shm_metrics_counter(m->metrics, "http_requests");
	m->c_err = shm_metrics_counter(m->metrics, "http_errors");
	m->c_push = shm_metrics_counter(m->metrics, "ws_pushes");
	m->c_ws = shm_metrics_counter(m->metrics, "ws_accepted");
	m->c_ctl = shm_metrics_counter(m->metrics, "control_requests");
	m->c_ctl_denied = shm_metrics_counter(m->metrics, "control_denied");
	m->c_ctl_busy = shm_metrics_counter(m->metrics, "control_busy");
	m->g_ws = shm_metrics_gauge(m->metrics, "ws_clients");
	m->c_log.records = shm_metrics_counter(m->metrics, "log_records");
	m->c_log.lost = shm_metrics_counter(m->metrics, "log_lost");
	m->c_log.bytes = shm_metrics_counter(m->metrics, "log_bytes");
	m->c_log.rotations = shm_metrics_counter(m->metrics, "log_rotations");
	m->c_log.errors = shm_metrics_counter(m->metrics, "log_errors");
	if (!m->c_req || !m->c_err || !m->c_push || !m->c_ws || !m->c_ctl || !m->c_ctl_denied ||
	    !m->c_ctl_busy || !m->g_ws || !m->c_log.records || !m->c_log.lost ||
	    !m->c_log.bytes || !m->c_log.rotations || !m->c_log.errors) {
		snprintf(err, errlen, "segment %s: metrics region full (made by another build?)",
			 m->mc->name);
		return -ENOSPC;
	}
	shm_metrics_heartbeat(m->metrics, kimp_mono_ns());
	/* its own log ring, drained like the others' (without one: stderr only) */
	e = kimp_log_open(&m->seg, "monitord", 0);
	if (e)
		fprintf(stderr, "monitord: segment %s: no log ring (%s): its log goes to stderr "
			"only\n", m->mc->name, shm_last_error());
	return 0;
}

int mon_open(struct mon **out, struct kimpctl *k, const struct mon_conf *mc, char *err,
	     size_t errlen)
{
	struct net_loop_cfg lc = { .max_conns = MON_HTTP_CONNS + MON_WS_MAX + 8,
				   .tx_size = MON_REPLY_CAP };
	/* an open WebSocket taken over from the HTTP server keeps its slot */
	struct http_server_cfg hc = { .max_conns = MON_HTTP_CONNS + MON_WS_MAX, .ops = &http_ops,
				      .reply_cap = MON_REPLY_CAP };
	struct shm_opts so = k->shm;
	struct mon *m = calloc(1, sizeof(*m));
	int e;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->k = k;
	m->mc = mc;
	hc.user = m;
	/* its own segment is written: the views map the others read-only */
	so.readonly = false;
	so.mlock = false;
	e = open_metrics(m, &so, err, errlen);
	if (e)
		goto fail;
	if (!realpath(mc->www, m->www_real)) {
		fprintf(stderr, "monitord: www %s: %s: no static files\n", mc->www, strerror(errno));
		m->www_real[0] = 0;
	}
	e = net_loop_new(&m->loop, &lc);
	if (e) {
		snprintf(err, errlen, "io_uring loop: %s", strerror(-e));
		goto fail;
	}
	e = http_server_new(&m->http, m->loop, (const struct sockaddr *)&mc->listen,
			    sizeof(mc->listen), &hc);
	if (e) {
		snprintf(err, errlen, "listen: %s", strerror(-e));
		goto fail;
	}
	m->http_port = http_server_port(m->http);
	m->ws_buf_len = WS_CONN_BUF_SIZE(MON_WS_MSG_IN) + MON_WS_OUT_EXTRA;
	m->ws_bufs = calloc(MON_WS_MAX, m->ws_buf_len);
	if (!m->ws_bufs) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < MON_WS_MAX; i++) {
		e = ws_conn_init(&m->ws[i].ws, WS_SERVER, NULL, m->ws_bufs + i * m->ws_buf_len,
				 m->ws_buf_len, MON_WS_MSG_IN);
		if (e) {
			snprintf(err, errlen, "WebSocket slot: %s", strerror(-e));
			goto fail;
		}
		m->ws[i].m = m;
	}
	m->ws_port = m->http_port;
	if (mc->ws_own) {
		e = net_listen(m->loop, (const struct sockaddr *)&mc->ws_listen,
			       sizeof(mc->ws_listen), &ws_accept_ops, m, &m->wsl);
		if (e) {
			snprintf(err, errlen, "ws_listen: %s", strerror(-e));
			goto fail;
		}
		m->ws_port = net_listener_port(m->wsl);
	}
	e = mon_logs_open(&m->logs, k, mc, &m->c_log);
	if (e) {
		snprintf(err, errlen, "log drain: %s", strerror(-e));
		goto fail;
	}
	if (m->logs)
		fprintf(stderr, "monitord: log drain into %s every %" PRIu64 " ms (%" PRIu64
			" bytes a file, %" PRIu64 " kept)\n", mc->log_dir,
			mc->log_drain_every_ns / 1000000, mc->log_max_bytes, mc->log_keep);
	else
		fprintf(stderr, "monitord: log drain off ([monitord] log_dir is empty)\n");
	m->ctl.t.fn = ctl_fired;
	m->ctl.t.arg = m;
	m->log_t.fn = log_fired;
	m->log_t.arg = m;
	if (m->logs)
		net_timer_start(m->loop, &m->log_t, mc->log_drain_every_ns);
	m->push_t.fn = push_fired;
	m->push_t.arg = m;
	m->beat_t.fn = beat_fired;
	m->beat_t.arg = m;
	net_timer_start(m->loop, &m->push_t, mc->push_every_ns);
	net_timer_start(m->loop, &m->beat_t, MON_BEAT_NS);
	*out = m;
	return 0;
fail:
	mon_close(m);
	return e;
}

void mon_run(struct mon *m, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int n = net_loop_run(m->loop, 100000000ull);

		if (n < 0 && n != -EINTR && n != -ETIME) {
			fprintf(stderr, "monitord: loop: %s\n", strerror(-n));
			break;
		}
	}
}

uint16_t mon_http_port(const struct mon *m)
{
	return m->http_port;
}

uint16_t mon_ws_port(const struct mon *m)
{
	return m->ws_port;
}

void mon_close(struct mon *m)
{
	if (!m)
		return;
	if (m->loop) {
		net_timer_stop(&m->push_t);
		net_timer_stop(&m->beat_t);
		net_timer_stop(&m->log_t);
		net_timer_stop(&m->ctl.t);
		if (m->http)
			http_server_stop(m->http);
		if (m->wsl)
			net_listener_close(m->wsl);
		for (unsigned i = 0; i < MON_WS_MAX; i++)
			if (m->ws[i].open)
				ws_conn_close(&m->ws[i].ws, 1001);
		net_loop_free(m->loop);
	}
	http_server_free(m->http);
	free(m->ws_bufs);
	if (m->ctl.busy)
		shm_seg_detach(&m->ctl.rc.seg);   /* the request stays recorded for riskd */
	if (m->logs) {
		mon_logs_drain(m->logs);          /* what came in since the last turn */
		mon_logs_close(m->logs);
	}
	kimp_log_close();
	if (m->seg.base)
		shm_seg_detach(&m->seg);
	free(m);
}
