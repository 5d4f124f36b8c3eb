/* SPDX-License-Identifier: MIT */
/*
 * An in-process exsim for tests: the server from a scenario text (ports 0,
 * state and certificates in a temp dir) and TLS clients on the same loop
 * that verify exsim's CA for "localhost", as a real client would.
 *
 *   struct simtest t;
 *   simtest_start(&t, "[exsim]\nseed = 7\n");      // or NULL: the defaults
 *   struct simtest_ws *w = simtest_ws_open(&t, "upbit", false, "/websocket/v1", NULL);
 *   simtest_ws_text(w, "[{\"ticket\":\"t\"},...]");
 *   cr_assert(simtest_ws_wait(&t, w, 3));          // three messages, or the deadline
 *   struct simtest_resp *r = simtest_http(&t, "upbit", "GET", "/v1/market/all", NULL, NULL);
 *   ...
 *   simtest_stop(&t);
 *
 * Deadlines (SIMTEST_DEADLINE_NS) only end tests that would otherwise hang;
 * no test asserts how long anything took.
 */
#ifndef KIMP_TEST_SIMTEST_H
#define KIMP_TEST_SIMTEST_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/httpconn.h"
#include "kimp/tls.h"
#include "kimp/wsconn.h"
#include "../../sim/server.h"
#include "../../sim/sim.h"

#define SIMTEST_DEADLINE_NS (20ull * 1000000000ull)
#define SIMTEST_MAX_MSGS    4096
#define SIMTEST_WS_MAX      (1 << 20)

#define SIMTEST_GRAVE 256

struct simtest {
	/* clients closed but not freed: their memory goes after the loop */
	void *grave[SIMTEST_GRAVE];
	void *grave_buf[SIMTEST_GRAVE];
	struct net_tls_sess *grave_tls[SIMTEST_GRAVE];
	unsigned ngrave;
	struct sim_scenario sc;
	struct sim_server *s;
	struct net_loop *l;
	struct net_tls_ctx *cli;
	struct sim_certs certs;
	char dir[64];
};

struct simtest_ws {
	struct ws_conn w;
	struct simtest *t;
	void *buf;
	bool opened, closed;
	int open_err, close_err;
	unsigned close_code;
	uint32_t nmsg;                  /* messages received */
	uint32_t kept;                  /* kept copies (first SIMTEST_MAX_MSGS) */
	char *msg[SIMTEST_MAX_MSGS];    /* NUL-terminated copies */
	size_t len[SIMTEST_MAX_MSGS];
	uint8_t op[SIMTEST_MAX_MSGS];
	char extra[1024];
	char path[512];
};

struct simtest_resp {
	int err;                        /* 0, or why there was no response */
	unsigned status;
	char *headers;                  /* "name: value\n" lines, lowercase names */
	char *body;                     /* NUL-terminated */
	size_t body_len;
};

/* ---- the server ------------------------------------------------------------------ */

static inline void simtest_start(struct simtest *t, const char *scenario)
{
	struct net_tls_conf cc;
	struct sim_server_cfg cfg;
	char err[512], path[128];
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-simtest-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	if (scenario) {
		snprintf(path, sizeof(path), "%s/test.scn", t->dir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs(scenario, f);
		fclose(f);
	}
	cr_assert_eq(sim_scenario_load(&t->sc, scenario ? path : NULL, err, sizeof(err)), 0,
		     "scenario: %s", err);
	snprintf(t->sc.state_dir, sizeof(t->sc.state_dir), "%s", t->dir);
	snprintf(t->sc.ledger_path, sizeof(t->sc.ledger_path), "%s/ledger.jsonl", t->dir);
	for (uint32_t i = 0; i < t->sc.nvenues; i++)
		t->sc.venues[i].rest_port = t->sc.venues[i].ws_port =
			t->sc.venues[i].api_port = 0;
	t->sc.control_port = 0;
	cr_assert_eq(sim_certs_ensure(t->dir, &t->certs, err, sizeof(err)), 0, "certs: %s", err);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = &t->sc;
	cfg.ca_path = t->certs.ca;
	cfg.cert_path = t->certs.cert;
	cfg.key_path = t->certs.key;
	cfg.max_ws = 32;
	cfg.max_rest = 8;
	cr_assert_eq(sim_server_new(&t->s, &cfg, err, sizeof(err)), 0, "server: %s", err);
	t->l = sim_server_loop(t->s);
	memset(&cc, 0, sizeof(cc));
	cc.role = NET_TLS_CLIENT;
	cc.ca_file = t->certs.ca;
	cr_assert_eq(net_tls_ctx_create(&cc, &t->cli, err, sizeof(err)), 0, "%s", err);
}

/* Park a closed client: freed (its TLS session too) after the loop is. */
static inline void simtest_bury(struct simtest *t, void *obj, void *buf,
				struct net_tls_sess *tls)
{
	cr_assert_lt(t->ngrave, SIMTEST_GRAVE);
	t->grave[t->ngrave] = obj;
	t->grave_buf[t->ngrave] = buf;
	t->grave_tls[t->ngrave] = tls;
	t->ngrave++;
}

static inline void simtest_stop(struct simtest *t)
{
	char cmd[128];

	sim_server_free(t->s); /* frees the loop: no callback comes after this */
	for (unsigned i = 0; i < t->ngrave; i++) {
		net_tls_sess_reset(t->grave_tls[i]);
		free(t->grave_buf[i]);
		free(t->grave[i]);
	}
	t->ngrave = 0;
	net_tls_ctx_destroy(t->cli);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	cr_expect_eq(system(cmd), 0);
}

/* Run the loop until cond(arg) or the deadline: cond's last value. */
static inline bool simtest_run_until(struct simtest *t, bool (*cond)(void *), void *arg)
{
	uint64_t end = net_now_ns() + SIMTEST_DEADLINE_NS;

	while (!cond(arg) && net_now_ns() < end)
		net_loop_run(t->l, 1000000ull);
	return cond(arg);
}

/* Run the loop for the market to take n more steps (or the deadline). */
struct simtest_steps {
	struct simtest *t;
	uint64_t until;
};

static inline bool simtest_steps_done(void *arg)
{
	struct simtest_steps *s = arg;

	return sim_server_steps(s->t->s) >= s->until;
}

static inline bool simtest_steps(struct simtest *t, uint64_t n)
{
	struct simtest_steps s = { t, sim_server_steps(t->s) + n };

	return simtest_run_until(t, simtest_steps_done, &s);
}

static inline struct sockaddr_in simtest_lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ---- WebSocket clients -------------------------------------------------------------- */

static inline void simtest_ws_on_open(struct ws_conn *w, int err)
{
	struct simtest_ws *c = ws_conn_user(w);

	c->opened = !err;
	c->open_err = err;
	if (err)
		c->closed = true;
}

static inline void simtest_ws_on_message(struct ws_conn *w, unsigned op, uint8_t *d, size_t n)
{
	struct simtest_ws *c = ws_conn_user(w);

	if (c->kept < SIMTEST_MAX_MSGS) {
		char *m = malloc(n + 1);

		cr_assert_not_null(m);
		memcpy(m, d, n);
		m[n] = '\0';
		c->msg[c->kept] = m;
		c->len[c->kept] = n;
		c->op[c->kept] = (uint8_t)op;
		c->kept++;
	}
	c->nmsg++;
}

static inline void simtest_ws_on_close(struct ws_conn *w, unsigned code, int err)
{
	struct simtest_ws *c = ws_conn_user(w);

	c->closed = true;
	c->close_code = code;
	c->close_err = err;
}

static const struct ws_conn_ops simtest_ws_ops = {
	.on_open = simtest_ws_on_open,
	.on_message = simtest_ws_on_message,
	.on_close = simtest_ws_on_close,
};

static inline bool simtest_ws_settled(void *arg)
{
	struct simtest_ws *c = arg;

	return c->opened || c->closed;
}

/*
 * Connect to a venue's market listener (api false) or its API listener, at
 * 'path', with extra header lines ("Authorization: Bearer ...\r\n") or
 * NULL. Returns after the upgrade succeeded or failed (c->opened, and
 * c->open_err). Free with simtest_ws_free.
 */
static inline struct simtest_ws *simtest_ws_connect(struct simtest *t, const char *venue,
						    bool api, const char *path,
						    const char *extra)
{
	struct sim_venue *v = sim_server_venue(t->s, venue);
	struct simtest_ws *c = calloc(1, sizeof(*c));
	uint16_t port;
	struct sockaddr_in a;

	cr_assert_not_null(v, "venue %s runs", venue);
	cr_assert_not_null(c);
	port = api ? v->api_port : v->ws_port;
	cr_assert_neq(port, 0);
	c->t = t;
	c->buf = calloc(1, WS_CONN_BUF_SIZE(SIMTEST_WS_MAX));
	cr_assert_not_null(c->buf);
	cr_assert_eq(ws_conn_init(&c->w, WS_CLIENT, t->cli, c->buf,
				  WS_CONN_BUF_SIZE(SIMTEST_WS_MAX), SIMTEST_WS_MAX), 0);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (extra)
		snprintf(c->extra, sizeof(c->extra), "%s", extra);
	a = simtest_lo(port);
	cr_assert_eq(ws_conn_connect(t->l, &c->w, "localhost", port, (struct sockaddr *)&a,
				     sizeof(a), c->path, extra ? c->extra : NULL,
				     5000000000ull, &simtest_ws_ops, c), 0);
	simtest_run_until(t, simtest_ws_settled, c);
	return c;
}

/* The same, asserting the upgrade succeeded. */
static inline struct simtest_ws *simtest_ws_open(struct simtest *t, const char *venue,
						 bool api, const char *path, const char *extra)
{
	struct simtest_ws *c = simtest_ws_connect(t, venue, api, path, extra);

	cr_assert(c->opened, "upgrade to %s %s: %d", venue, path, c->open_err);
	return c;
}

static inline int simtest_ws_text(struct simtest_ws *c, const char *text)
{
	return ws_conn_send(&c->w, WS_OP_TEXT, text, strlen(text));
}

struct simtest_ws_want {
	struct simtest_ws *c;
	uint32_t n;
};

static inline bool simtest_ws_got(void *arg)
{
	struct simtest_ws_want *w = arg;

	return w->c->nmsg >= w->n || w->c->closed;
}

/* Run until the client has received n messages in all (or closed): true when it has. */
static inline bool simtest_ws_wait(struct simtest *t, struct simtest_ws *c, uint32_t n)
{
	struct simtest_ws_want w = { c, n };

	simtest_run_until(t, simtest_ws_got, &w);
	return c->nmsg >= n;
}

static inline bool simtest_ws_is_closed(void *arg)
{
	return ((struct simtest_ws *)arg)->closed;
}

/* Run until the server closed the connection: true when it did. */
static inline bool simtest_ws_wait_close(struct simtest *t, struct simtest_ws *c)
{
	return simtest_run_until(t, simtest_ws_is_closed, c);
}

/* Drop the kept copies (the count goes on). */
static inline void simtest_ws_forget(struct simtest_ws *c)
{
	for (uint32_t i = 0; i < c->kept; i++)
		free(c->msg[i]);
	c->kept = 0;
}

static inline void simtest_ws_free(struct simtest *t, struct simtest_ws *c)
{
	if (!c->closed && c->opened) {
		ws_conn_close(&c->w, WS_CLOSE_NORMAL);
		simtest_run_until(t, simtest_ws_is_closed, c);
	}
	simtest_ws_forget(c);
	/* a closing stream may still point at the buffer: free after the loop */
	simtest_bury(t, c, c->buf, &c->w.st.tls);
}

/* ---- REST --------------------------------------------------------------------------- */

struct simtest_http {
	struct http_client c;
	void *buf;
	bool opened, failed, done, closed;
	struct simtest_resp *resp;
};

static inline void simtest_http_on_open(struct http_client *c, int err)
{
	struct simtest_http *h = http_client_user(c);

	h->opened = !err;
	h->failed = err != 0;
}

static inline void simtest_http_on_response(struct http_client *c,
					    const struct http_client_resp *r)
{
	struct simtest_http *h = http_client_user(c);
	struct simtest_resp *o = h->resp;
	size_t cap = 1, off = 0;

	o->err = r->err;
	o->status = r->status;
	if (!r->err) {
		for (unsigned i = 0; i < r->msg->nhdrs; i++)
			cap += net_http_header_name(r->msg, i).len +
			       net_http_header_value(r->msg, i).len + 3;
		o->headers = calloc(1, cap);
		cr_assert_not_null(o->headers);
		for (unsigned i = 0; i < r->msg->nhdrs; i++) {
			struct net_http_str n = net_http_header_name(r->msg, i);
			struct net_http_str v = net_http_header_value(r->msg, i);

			for (size_t k = 0; k < n.len; k++)
				o->headers[off++] = (char)((n.p[k] >= 'A' && n.p[k] <= 'Z')
							   ? n.p[k] + 32 : n.p[k]);
			o->headers[off++] = ':';
			o->headers[off++] = ' ';
			memcpy(o->headers + off, v.p, v.len);
			off += v.len;
			o->headers[off++] = '\n';
		}
	}
	o->body = calloc(1, r->body.len + 1);
	cr_assert_not_null(o->body);
	if (r->body.p)
		memcpy(o->body, r->body.p, r->body.len);
	o->body_len = r->body.p ? r->body.len : 0;
	h->done = true;
}

static inline void simtest_http_on_close(struct http_client *c, int err)
{
	struct simtest_http *h = http_client_user(c);

	h->closed = true;
}

static const struct http_client_ops simtest_http_ops = {
	.on_open = simtest_http_on_open,
	.on_response = simtest_http_on_response,
	.on_close = simtest_http_on_close,
};

static inline bool simtest_http_settled(void *arg)
{
	struct simtest_http *h = arg;

	return h->opened || h->failed;
}

static inline bool simtest_http_done(void *arg)
{
	return ((struct simtest_http *)arg)->done;
}

/* A keep-alive client to port: TLS (verifying exsim's CA) or plain. */
static inline struct simtest_http *simtest_http_port(struct simtest *t, uint16_t port,
						     bool tls)
{
	struct http_client_cfg cfg = { .timeout_ns = 10000000000ull };
	struct simtest_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in a;
	size_t n;

	cr_assert_not_null(h);
	cfg.lim.max_body = 4 << 20;
	n = http_client_buf_size(&cfg);
	h->buf = calloc(1, n);
	cr_assert_not_null(h->buf);
	cr_assert_eq(http_client_init(&h->c, tls ? t->cli : NULL, &cfg, h->buf, n), 0);
	a = simtest_lo(port);
	cr_assert_eq(http_client_connect(t->l, &h->c, "localhost", port, (struct sockaddr *)&a,
					 sizeof(a), 5000000000ull, &simtest_http_ops, h), 0);
	simtest_run_until(t, simtest_http_settled, h);
	cr_assert(h->opened, "connect to port %u", port);
	return h;
}

/* A keep-alive TLS client to a venue's REST listener. */
static inline struct simtest_http *simtest_http_client(struct simtest *t, const char *venue)
{
	struct sim_venue *v = sim_server_venue(t->s, venue);

	cr_assert_not_null(v, "venue %s runs", venue);
	return simtest_http_port(t, v->rest_port, true);
}

/*
 * One request on client h: 'target' is the path and query ("/v1/order?uuid=.."),
 * 'headers' extra lines "Name: value\r\n..." (or NULL), 'body' (or NULL).
 * Returns the response (free with simtest_resp_free); ->err says when none came.
 */
static inline struct simtest_resp *simtest_http_on(struct simtest *t, struct simtest_http *h,
						   const char *method, const char *target,
						   const char *headers, const char *body)
{
	struct simtest_resp *o = calloc(1, sizeof(*o));
	struct net_http_tmpl tm;
	struct net_http_req *r;
	char host[32];
	const char *p = headers;

	cr_assert_not_null(o);
	snprintf(host, sizeof(host), "localhost:%u", h->c.st.port);
	cr_assert_eq(net_http_tmpl_init(&tm, method, "/", host), 0);
	if (body)
		cr_assert_eq(net_http_tmpl_body_stage(&tm, strlen(body) + 16), 0);
	r = http_client_req_begin(&h->c, &tm);
	cr_assert_not_null(r, "a request can go");
	net_http_req_put_str(r, target[0] == '/' ? target + 1 : target);
	while (p && *p) {
		const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");

		cr_assert(colon && eol && colon < eol, "header lines end with CRLF");
		net_http_req_hdr_n(r, p, (size_t)(colon - p));
		colon++;
		while (*colon == ' ')
			colon++;
		net_http_req_put(r, colon, (size_t)(eol - colon));
		p = eol + 2;
	}
	if (body) {
		net_http_req_body(r);
		net_http_req_put_str(r, body);
	}
	h->resp = o;
	h->done = false;
	cr_assert_eq(http_client_send(&h->c, 1), 0);
	simtest_run_until(t, simtest_http_done, h);
	cr_assert(h->done, "a response to %s %s", method, target);
	return o;
}

/* Close; the memory goes at simtest_stop (the deadline timer may still be armed). */
static inline void simtest_http_free(struct simtest *t, struct simtest_http *h)
{
	http_client_close(&h->c);
	simtest_bury(t, h, h->buf, &h->c.st.tls);
}

/* One request on a fresh connection, which is closed afterwards. */
static inline struct simtest_resp *simtest_http(struct simtest *t, const char *venue,
						const char *method, const char *target,
						const char *headers, const char *body)
{
	struct simtest_http *h = simtest_http_client(t, venue);
	struct simtest_resp *o = simtest_http_on(t, h, method, target, headers, body);

	simtest_http_free(t, h);
	return o;
}

/* One request to exsim's plain-HTTP control listener. */
static inline struct simtest_resp *simtest_control(struct simtest *t, const char *method,
						   const char *target)
{
	struct simtest_http *h = simtest_http_port(t, sim_server_control_port(t->s), false);
	struct simtest_resp *o = simtest_http_on(t, h, method, target, NULL, NULL);

	simtest_http_free(t, h);
	return o;
}

/* The value of a response header (lowercase name), copied into out; NULL when absent. */
static inline const char *simtest_resp_header(const struct simtest_resp *o, const char *name,
					      char *out, size_t cap)
{
	size_t n = strlen(name);

	for (const char *l = o->headers; l && *l;) {
		const char *eol = strchr(l, '\n');

		if (!eol)
			break;
		if (!strncmp(l, name, n) && l[n] == ':') {
			size_t vl = (size_t)(eol - l - n - 2);

			if (vl >= cap)
				vl = cap - 1;
			memcpy(out, l + n + 2, vl);
			out[vl] = '\0';
			return out;
		}
		l = eol + 1;
	}
	return NULL;
}

static inline void simtest_resp_free(struct simtest_resp *o)
{
	if (!o)
		return;
	free(o->headers);
	free(o->body);
	free(o);
}

#endif
