/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.1 client and server connections (kimp/httpconn.h) on loopback.
 *
 *   httpconn         our client against our server over TLS
 *   httpconn_raw     either side against a raw socket in this process, for
 *                    the exact bytes of error paths (plain TCP)
 *   httpconn_py      Debian's Python as the other side over TLS: http.server
 *                    and aiohttp's web server against our client, http.client
 *                    and aiohttp's ClientSession against our server
 *
 * The loop runs until a condition holds, within an iteration budget;
 * nothing sleeps to synchronise and nothing asserts on time.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include "kimp/httpconn.h"
#include "nettest.h"
#include "../testutil.h"

#define BUDGET 400000L  /* loop iterations of at most 1 ms each */
#define MAX_BODY (512u * 1024)
#define NREC 512

#define RUN_UNTIL(l, cond)                                                     \
	do {                                                                   \
		for (long t_ = 0; t_ < BUDGET && !(cond); t_++)                \
			cr_assert_geq(net_loop_run((l), 1000000), 0);         \
	} while (0)

static struct certs certs;
static void *bufs[16];
static int nbufs;

static void setup(void)
{
	certs_make(&certs);
}

static void teardown(void)
{
	while (nbufs)
		free(bufs[--nbufs]);
	certs_free(&certs);
}

TestSuite(httpconn, .init = setup, .fini = teardown, .timeout = 300);
TestSuite(httpconn_raw, .init = setup, .fini = teardown, .timeout = 300);
TestSuite(httpconn_py, .init = setup, .fini = teardown, .timeout = 300);

/* Freed by the suite's fini, also when a test fails half way. */
static void *talloc(size_t n)
{
	void *p = calloc(1, n);

	cr_assert_not_null(p);
	cr_assert_lt(nbufs, 16);
	bufs[nbufs++] = p;
	return p;
}

static struct net_loop *loop_new(uint32_t tx_size)
{
	struct net_loop_cfg lc = { .tx_size = tx_size };
	struct net_loop *l;

	cr_assert_eq(net_loop_new(&l, &lc), 0);
	return l;
}

/* Body byte j of an n-byte test body (Python: (j * 131 + n) & 255). */
static uint8_t pat(size_t j, size_t n)
{
	return (uint8_t)(j * 131u + n);
}

static void pat_fill(uint8_t *dst, size_t from, size_t k, size_t n)
{
	for (size_t j = 0; j < k; j++)
		dst[j] = pat(from + j, n);
}

static bool pat_ok(const uint8_t *p, size_t len, size_t n)
{
	if (len != n)
		return false;
	for (size_t j = 0; j < n; j++)
		if (p[j] != pat(j, n))
			return false;
	return true;
}

/* A header as a number: -1 when absent, -2 when not digits. */
static int64_t hdr_num(const struct net_http_parser *m, const char *name)
{
	uint64_t v;
	int e = net_http_header_u64(m, name, &v);

	return e == -ENOENT ? -1 : e ? -2 : (int64_t)v;
}

/* ---- the test server: routes and handler ----------------------------------------- */

enum { R_ECHO, R_BYTES, R_HANG, R_CLOSE, R_DROP, R_LATER };

static const struct net_http_route routes[] = {
	[R_ECHO] = { "/echo", NET_HTTP_POST, false },
	[R_BYTES] = { "/bytes", NET_HTTP_GET, false },
	[R_HANG] = { "/hang", NET_HTTP_GET, false },
	[R_CLOSE] = { "/close", NET_HTTP_GET, false },
	[R_DROP] = { "/drop", NET_HTTP_GET, false },
	[R_LATER] = { "/later", NET_HTTP_GET, false },
};

struct app {
	struct http_server *srv;
	uint32_t opened, closed, requests;
	int last_close_err;
	struct http_sconn *last;        /* the connection opened last */
	struct http_sconn *held[8];     /* /hang and /later, in arrival order */
	uint32_t nheld;
	uint8_t tmp[64 * 1024];
};

/* "n" in "?n=12&chunk=3": 0 when absent. */
static uint64_t qnum(const struct net_http_parser *req, const char *key)
{
	struct net_http_str q = net_http_query(req);
	size_t kl = strlen(key);
	uint64_t v = 0;

	for (size_t i = 0; q.p && i + kl < q.len; i++) {
		if ((i && q.p[i - 1] != '&') || memcmp(q.p + i, key, kl) || q.p[i + kl] != '=')
			continue;
		for (size_t j = i + kl + 1; j < q.len && q.p[j] >= '0' && q.p[j] <= '9'; j++)
			v = v * 10 + (uint64_t)(q.p[j] - '0');
		return v;
	}
	return 0;
}

static void reply_bytes(struct app *a, struct http_sconn *sc, const struct net_http_parser *req)
{
	uint64_t n = qnum(req, "n"), chunk = qnum(req, "chunk");
	struct net_http_reply *w = http_sconn_reply(sc, 200, 0);
	size_t avail;
	char *b;

	cr_assert_not_null(w);
	net_http_reply_header_u64(w, "X-Conn", http_sconn_serial(sc));
	if (!chunk) {
		b = net_http_reply_body_begin(w, &avail);
		if (b && avail >= n)
			pat_fill((uint8_t *)b, 0, n, n);
		net_http_reply_body_end(w, n); /* too big: the server answers 500 */
		return;
	}
	if (chunk > sizeof(a->tmp))
		chunk = sizeof(a->tmp);
	cr_assert_gt(net_http_reply_chunked(w), 0);
	for (uint64_t off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;

		if ((size_t)(w->end - w->pos) < k + 32)
			cr_assert_eq(http_sconn_flush(sc), 0, "flush");
		pat_fill(a->tmp, off, k, n);
		cr_assert_gt(net_http_reply_chunk(w, a->tmp, k), 0);
	}
	cr_assert_gt(net_http_reply_end(w), 0);
}

static void on_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct app *a = http_server_user(http_sconn_server(sc));
	struct net_http_reply *w;
	struct net_http_str body;

	a->requests++;
	switch (route) {
	case R_ECHO:
		body = net_http_body(req);
		w = http_sconn_reply(sc, 200, 0);
		net_http_reply_header_u64(w, "X-Conn", http_sconn_serial(sc));
		net_http_reply_header_u64(w, "X-Seq", http_sconn_requests(sc));
		net_http_reply_body(w, body.p, body.len);
		break;
	case R_BYTES:
		reply_bytes(a, sc, req);
		break;
	case R_HANG:
	case R_LATER:
		cr_assert_lt(a->nheld, 8);
		a->held[a->nheld++] = sc;
		break;
	case R_CLOSE:
		w = http_sconn_reply(sc, 200, NET_HTTP_R_CLOSE);
		net_http_reply_body(w, "bye", 3);
		break;
	case R_DROP:
		http_sconn_close(sc);
		break;
	default:
		cr_assert_fail("route %d", route);
	}
}

static void on_sopen(struct http_sconn *sc)
{
	struct app *a = http_server_user(http_sconn_server(sc));

	a->opened++;
	a->last = sc;
}

static void on_sclose(struct http_sconn *sc, int err)
{
	struct app *a = http_server_user(http_sconn_server(sc));

	a->closed++;
	a->last_close_err = err;
	for (uint32_t i = 0; i < a->nheld; i++)
		if (a->held[i] == sc)
			a->held[i] = NULL;
}

static const struct http_server_ops app_ops = {
	.on_request = on_request,
	.on_open = on_sopen,
	.on_close = on_sclose,
};

static struct app *app_start(struct net_loop *l, struct net_tls_ctx *tls,
			     struct http_server_cfg *cfg)
{
	struct app *a = talloc(sizeof(*a));
	struct sockaddr_in addr = test_lo(0);

	cfg->tls = tls;
	cfg->routes = routes;
	cfg->nroutes = KIMP_ARRAY_SIZE(routes);
	cfg->ops = &app_ops;
	cfg->user = a;
	cr_assert_eq(http_server_new(&a->srv, l, (struct sockaddr *)&addr, sizeof(addr), cfg), 0);
	return a;
}

/* Stop the server, let every connection close, free it. */
static void app_stop(struct net_loop *l, struct app *a)
{
	http_server_stop(a->srv);
	RUN_UNTIL(l, http_server_idle(a->srv));
	cr_assert(http_server_idle(a->srv));
	cr_assert_eq(a->opened, a->closed);
	http_server_free(a->srv);
	a->srv = NULL;
}

/* ---- the test client ------------------------------------------------------------- */

#define ID_PAT (1ull << 40) /* the body must be pat(0..n, n), n = id & 0xffffffff */

struct rec {
	int err;
	uint16_t status;
	uint8_t version;
	bool reused, head, keep_alive, chunked, has_body, body_ok;
	uint64_t id;
	size_t body_len;
	int64_t xconn, xport, weight, retry_after, clen;
	char body[128];
};

struct cl {
	struct http_client c;
	bool opened, closed;
	int open_err, close_err;
	uint32_t nclosed;
	uint32_t sent, got;
	struct rec rec[NREC];
};

static void c_open(struct http_client *c, int err)
{
	struct cl *k = http_client_user(c);

	k->opened = true;
	k->open_err = err;
}

static void c_response(struct http_client *c, const struct http_client_resp *r)
{
	struct cl *k = http_client_user(c);
	struct rec *x = &k->rec[k->got % NREC];

	memset(x, 0, sizeof(*x));
	x->err = r->err;
	x->id = r->id;
	x->reused = r->reused;
	x->head = r->head;
	x->xconn = x->xport = x->weight = x->retry_after = x->clen = -1;
	k->got++;
	if (r->err) {
		cr_assert_null(r->msg);
		return;
	}
	cr_assert_not_null(r->msg);
	x->status = r->status;
	x->version = r->msg->version;
	x->keep_alive = r->msg->keep_alive;
	x->chunked = r->msg->chunked;
	x->has_body = r->body.p != NULL;
	x->body_len = r->body.len;
	memcpy(x->body, r->body.p ? r->body.p : "",
	       r->body.len < sizeof(x->body) - 1 ? r->body.len : sizeof(x->body) - 1);
	x->xconn = hdr_num(r->msg, "X-Conn");
	x->xport = hdr_num(r->msg, "X-Port");
	x->weight = hdr_num(r->msg, "X-MBX-USED-WEIGHT-1M");
	x->retry_after = hdr_num(r->msg, "Retry-After");
	x->clen = hdr_num(r->msg, "Content-Length");
	if (r->id & ID_PAT)
		x->body_ok = pat_ok((const uint8_t *)r->body.p, r->body.len,
				    (size_t)(r->id & 0xffffffffu));
}

static void c_close(struct http_client *c, int err)
{
	struct cl *k = http_client_user(c);

	k->closed = true;
	k->close_err = err;
	k->nclosed++;
}

static const struct http_client_ops cl_ops = {
	.on_open = c_open,
	.on_response = c_response,
	.on_close = c_close,
};

static struct cl *cl_new(struct net_tls_ctx *tls, struct http_client_cfg *cfg)
{
	struct cl *k = talloc(sizeof(*k));
	size_t n = http_client_buf_size(cfg);

	cr_assert_eq(http_client_init(&k->c, tls, cfg, talloc(n), n), 0);
	return k;
}

static void cl_connect(struct net_loop *l, struct cl *k, uint16_t port)
{
	struct sockaddr_in a = test_lo(port);

	k->opened = k->closed = false;
	cr_assert_eq(http_client_connect(l, &k->c, "localhost", port, (struct sockaddr *)&a,
					 sizeof(a), 2000000000ull, &cl_ops, k), 0);
	RUN_UNTIL(l, k->opened);
	cr_assert(k->opened);
	cr_assert_eq(k->open_err, 0, "open: %s", strerror(-k->open_err));
	cr_assert_eq(http_client_state(&k->c), HTTP_CLIENT_OPEN);
}

/* Close and wait for IDLE (the deadline timer may stay armed a while:
 * http_client_idle is for freeing, and the loop goes first here). */
static void cl_close_wait(struct net_loop *l, struct cl *k)
{
	http_client_close(&k->c);
	RUN_UNTIL(l, http_client_state(&k->c) == HTTP_CLIENT_IDLE);
	cr_assert_eq(http_client_state(&k->c), HTTP_CLIENT_IDLE);
}

/* GET tmpl + suffix, or POST an n-byte pattern body when body is true. */
static int cl_send(struct cl *k, const struct net_http_tmpl *t, const char *suffix,
		   bool body, size_t n, uint64_t id)
{
	struct net_http_req *r = http_client_req_begin(&k->c, t);
	char *b;
	int err;

	if (!r)
		return -EAGAIN;
	if (suffix)
		net_http_req_put_str(r, suffix);
	if (body) {
		net_http_req_body(r);
		b = net_http_req_reserve(r, n);
		if (b)
			pat_fill((uint8_t *)b, 0, n, n);
	}
	err = http_client_send(&k->c, id);
	if (!err)
		k->sent++;
	return err;
}

/* Send one request and run the loop until its answer is in. */
static struct rec *cl_call(struct net_loop *l, struct cl *k, const struct net_http_tmpl *t,
			   const char *suffix, bool body, size_t n, uint64_t id)
{
	uint32_t want = k->got + 1;

	cr_assert_eq(cl_send(k, t, suffix, body, n, id), 0, "send %s", suffix ? suffix : "");
	RUN_UNTIL(l, k->got >= want);
	cr_assert_geq(k->got, want, "an answer to %s", suffix ? suffix : "");
	return &k->rec[(want - 1) % NREC];
}

static void tmpl(struct net_http_tmpl *t, const char *method, const char *path, uint16_t port)
{
	char host[32];

	snprintf(host, sizeof(host), "localhost:%u", port);
	cr_assert_eq(net_http_tmpl_init(t, method, path, host), 0);
	cr_assert_eq(net_http_tmpl_header(t, "User-Agent", "kimp-test"), 0);
}

/* ---- our client against our server ------------------------------------------------ */

struct ours {
	struct net_loop *l;
	struct net_tls_ctx *cc, *sc;
	struct app *a;
	struct cl *k;
	uint16_t port;
	struct net_http_tmpl get, post, head;
};

static void ours_start(struct ours *o, struct http_server_cfg *scfg, struct http_client_cfg *ccfg)
{
	struct http_server_cfg sdef = { .lim.max_body = MAX_BODY, .reply_cap = MAX_BODY + 4096 };
	struct http_client_cfg cdef = { .lim.max_body = 2u << 20, .req_cap = 8192 + MAX_BODY };

	memset(o, 0, sizeof(*o));
	o->l = loop_new(1u << 21);
	o->cc = certs_tls_client(&certs);
	o->sc = certs_tls_server(&certs);
	o->a = app_start(o->l, o->sc, scfg ? scfg : &sdef);
	o->port = http_server_port(o->a->srv);
	o->k = cl_new(o->cc, ccfg ? ccfg : &cdef);
	tmpl(&o->get, "GET", "/", o->port);
	tmpl(&o->post, "POST", "/echo", o->port);
	cr_assert_eq(net_http_tmpl_body_stage(&o->post, MAX_BODY), 0);
	tmpl(&o->head, "HEAD", "/", o->port);
	cl_connect(o->l, o->k, o->port);
}

static void ours_stop(struct ours *o)
{
	cl_close_wait(o->l, o->k);
	app_stop(o->l, o->a);
	net_loop_free(o->l);
	net_tls_ctx_destroy(o->cc);
	net_tls_ctx_destroy(o->sc);
}

static size_t body_size(uint32_t i)
{
	static const size_t edge[] = { 0, 1, 2, 100, 16383, 16384, 16385, 65536, 300000 };

	return i < KIMP_ARRAY_SIZE(edge) ? edge[i] : (i * 7919u) % 200000u;
}

Test(httpconn, keepalive_many_requests_one_connection)
{
	struct ours o;
	char path[64];

	ours_start(&o, NULL, NULL);
	for (uint32_t i = 0; i < 160; i++) {
		size_t n = body_size(i / 2);
		struct rec *x;

		if (i % 2) {
			snprintf(path, sizeof(path), "bytes?n=%zu", n);
			x = cl_call(o.l, o.k, &o.get, path, false, 0, ID_PAT | n);
		} else {
			x = cl_call(o.l, o.k, &o.post, NULL, true, n, ID_PAT | n);
		}
		cr_assert_eq(x->err, 0, "request %u: %s", i, net_http_err_name(x->err));
		cr_assert_eq(x->status, 200, "request %u", i);
		cr_assert(x->body_ok, "request %u: body of %zu (got %zu)", i, n, x->body_len);
		cr_assert_eq(x->clen, (int64_t)n);
		cr_assert(x->keep_alive);
		cr_assert_eq(x->xconn, 0, "every request on the first connection");
		cr_assert_eq(x->reused, i > 0);
	}
	cr_assert_eq(http_server_stats(o.a->srv)->accepted, 1);
	cr_assert_eq(o.a->requests, 160);
	cr_assert_eq(o.k->nclosed, 0);
	ours_stop(&o);
}

Test(httpconn, chunked_replies)
{
	static const struct { size_t n, chunk; } cases[] = {
		{ 0, 1 }, { 1, 1 }, { 300, 1 }, { 5000, 7 }, { 100000, 1000 },
		{ 400000, 16384 }, { 65536, 65536 }, { 300000, 4093 },
		{ 1500000, 10000 }, /* over the reply buffer: flushed as it goes */
	};
	struct ours o;
	char path[64];

	ours_start(&o, NULL, NULL);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(cases); i++) {
		struct rec *x;

		snprintf(path, sizeof(path), "bytes?n=%zu&chunk=%zu", cases[i].n, cases[i].chunk);
		x = cl_call(o.l, o.k, &o.get, path, false, 0, ID_PAT | cases[i].n);
		cr_assert_eq(x->err, 0, "%s: %s", path, net_http_err_name(x->err));
		cr_assert_eq(x->status, 200);
		cr_assert(x->chunked, "%s came chunked", path);
		cr_assert(x->body_ok, "%s: %zu bytes", path, x->body_len);
		cr_assert(x->keep_alive);
	}
	cr_assert_eq(http_server_stats(o.a->srv)->accepted, 1);
	ours_stop(&o);
}

Test(httpconn, request_with_connection_close)
{
	struct ours o;
	struct net_http_tmpl bye;
	struct rec *x;

	ours_start(&o, NULL, NULL);
	tmpl(&bye, "GET", "/bytes", o.port);
	cr_assert_eq(net_http_tmpl_header(&bye, "Connection", "close"), 0);
	x = cl_call(o.l, o.k, &o.get, "bytes?n=10", false, 0, ID_PAT | 10);
	cr_assert(x->body_ok && x->keep_alive);

	/* the request says close: the server's reply says so too, and both
	 * sides close after it */
	x = cl_call(o.l, o.k, &bye, "?n=20", false, 0, ID_PAT | 20);
	cr_assert_eq(x->err, 0);
	cr_assert(x->body_ok);
	cr_assert_not(x->keep_alive, "Connection: close in the reply");
	cr_assert_null(http_client_req_begin(&o.k->c, &o.get), "no sends after it");
	RUN_UNTIL(o.l, o.k->closed && o.a->closed == 1);
	cr_assert(o.k->closed);
	cr_assert_eq(o.k->close_err, 0, "an orderly close: %s", net_http_err_name(o.k->close_err));
	cr_assert_eq(o.a->closed, 1);

	/* again, with the handler saying close on a keep-alive request */
	cl_connect(o.l, o.k, o.port);
	x = cl_call(o.l, o.k, &o.get, "close", false, 0, 1);
	cr_assert_eq(x->status, 200);
	cr_assert_eq(x->body_len, 3);
	cr_assert_not(x->keep_alive);
	cr_assert_not(x->reused);
	RUN_UNTIL(o.l, o.k->closed && o.a->closed == 2);
	cr_assert_eq(o.k->close_err, 0);
	cr_assert_eq(o.a->closed, 2);

	/* a new connection works */
	cl_connect(o.l, o.k, o.port);
	x = cl_call(o.l, o.k, &o.get, "bytes?n=5", false, 0, ID_PAT | 5);
	cr_assert(x->body_ok);
	cr_assert_eq(x->xconn, 2, "the third connection");
	ours_stop(&o);
}

Test(httpconn, head_request)
{
	struct ours o;
	struct rec *x;

	ours_start(&o, NULL, NULL);
	/* the handler writes a body; only the header section goes out */
	x = cl_call(o.l, o.k, &o.head, "bytes?n=5000", false, 0, 1);
	cr_assert_eq(x->err, 0);
	cr_assert_eq(x->status, 200);
	cr_assert(x->head);
	cr_assert_eq(x->clen, 5000, "Content-Length as for GET");
	cr_assert_not(x->has_body);
	cr_assert(x->keep_alive);
	/* chunked, with flushes on the way */
	x = cl_call(o.l, o.k, &o.head, "bytes?n=1500000&chunk=1000", false, 0, 2);
	cr_assert_eq(x->status, 200);
	cr_assert_not(x->has_body);
	/* the framing held: the next answer on the connection is whole */
	x = cl_call(o.l, o.k, &o.get, "bytes?n=77", false, 0, ID_PAT | 77);
	cr_assert(x->body_ok);
	cr_assert_not(x->head);
	cr_assert(x->reused);
	cr_assert_eq(http_server_stats(o.a->srv)->accepted, 1);
	ours_stop(&o);
}

Test(httpconn, oversized_header_gets_431_and_close)
{
	struct http_server_cfg scfg = { .lim.max_hdr_bytes = 4096, .linger_ns = 50000000ull };
	struct ours o;
	struct net_http_req *r;
	char *v;

	ours_start(&o, &scfg, NULL);
	r = http_client_req_begin(&o.k->c, &o.get);
	cr_assert_not_null(r);
	net_http_req_put_str(r, "bytes?n=1");
	net_http_req_hdr(r, "X-Big");
	v = net_http_req_reserve(r, 6000);
	cr_assert_not_null(v);
	memset(v, 'a', 6000);
	cr_assert_eq(http_client_send(&o.k->c, 9), 0);
	RUN_UNTIL(o.l, o.k->got == 1 && o.k->closed);
	cr_assert_eq(o.k->got, 1);
	cr_assert_eq(o.k->rec[0].err, 0);
	cr_assert_eq(o.k->rec[0].status, 431);
	cr_assert_eq(o.k->rec[0].id, 9);
	cr_assert_not(o.k->rec[0].keep_alive, "431 closes");
	cr_assert(o.k->closed);
	cr_assert_eq(o.k->close_err, 0);
	RUN_UNTIL(o.l, o.a->closed == 1);
	cr_assert_eq(o.a->closed, 1, "the server side closed too");
	cr_assert_eq(o.a->requests, 0, "the handler never saw it");
	cr_assert_eq(http_server_stats(o.a->srv)->errors, 1);
	ours_stop(&o);
}

Test(httpconn, body_over_limit_gets_413_and_close)
{
	struct http_server_cfg scfg = { .lim.max_body = 1000, .reply_cap = 4096,
					.linger_ns = 50000000ull };
	struct ours o;
	struct rec *x;

	ours_start(&o, &scfg, NULL);
	x = cl_call(o.l, o.k, &o.post, NULL, true, 1000, ID_PAT | 1000);
	cr_assert(x->body_ok, "at the limit: fine");
	x = cl_call(o.l, o.k, &o.post, NULL, true, 100000, 2);
	cr_assert_eq(x->status, 413);
	cr_assert_not(x->keep_alive);
	RUN_UNTIL(o.l, o.k->closed && o.a->closed == 1);
	cr_assert(o.k->closed);
	cr_assert_eq(o.a->closed, 1);
	ours_stop(&o);
}

Test(httpconn, request_timeout_closes_connection)
{
	/* a deadline far beyond a loopback round trip, not a measurement */
	struct http_client_cfg ccfg = { .timeout_ns = 1000000000ull, .pipeline = 2 };
	struct ours o;

	ours_start(&o, NULL, &ccfg);
	/* answered: the timer armed for it fires later, finds the next
	 * request's deadline ahead and re-arms for it */
	cr_assert(cl_call(o.l, o.k, &o.get, "bytes?n=3", false, 0, ID_PAT | 3)->body_ok);
	/* a handler that never answers, and one pipelined behind it */
	cr_assert_eq(cl_send(o.k, &o.get, "hang", false, 0, 1), 0);
	cr_assert_eq(cl_send(o.k, &o.get, "bytes?n=3", false, 0, 2), 0);
	cr_assert_eq(http_client_inflight(&o.k->c), 2);
	RUN_UNTIL(o.l, o.k->got == 3 && o.k->closed);
	cr_assert_eq(o.k->got, 3);
	cr_assert_eq(o.k->rec[1].id, 1);
	cr_assert_eq(o.k->rec[1].err, -ETIMEDOUT, "%s", net_http_err_name(o.k->rec[1].err));
	cr_assert_eq(o.k->rec[2].id, 2);
	cr_assert_eq(o.k->rec[2].err, -ECONNABORTED);
	cr_assert(o.k->closed);
	cr_assert_eq(o.k->close_err, -ETIMEDOUT);
	cr_assert_eq(o.a->nheld, 1);
	RUN_UNTIL(o.l, o.a->closed == 1);
	cr_assert_eq(o.a->closed, 1, "the server saw the close");
	cr_assert_null(o.a->held[0], "and dropped the waiting request");
	/* reconnect and carry on */
	cl_connect(o.l, o.k, o.port);
	cr_assert(cl_call(o.l, o.k, &o.get, "bytes?n=4", false, 0, ID_PAT | 4)->body_ok);
	ours_stop(&o);
}

Test(httpconn, pipelined_in_order_with_a_late_reply)
{
	struct http_client_cfg ccfg = { .pipeline = 4, .lim.max_body = MAX_BODY,
					.req_cap = 8192 + MAX_BODY };
	struct ours o;
	struct net_http_reply *w;

	ours_start(&o, NULL, &ccfg);
	cr_assert_eq(cl_send(o.k, &o.post, NULL, true, 1000, ID_PAT | 1000), 0);
	cr_assert_eq(cl_send(o.k, &o.get, "later", false, 0, 7), 0);
	cr_assert_eq(cl_send(o.k, &o.post, NULL, true, 70000, ID_PAT | 70000), 0);
	cr_assert_eq(cl_send(o.k, &o.get, "bytes?n=9&chunk=2", false, 0, ID_PAT | 9), 0);
	cr_assert_not(http_client_can_send(&o.k->c), "the pipeline is full");
	cr_assert_eq(cl_send(o.k, &o.get, "bytes?n=1", false, 0, 1), -EAGAIN);
	RUN_UNTIL(o.l, o.k->got == 1 && o.a->nheld == 1);
	cr_assert_eq(o.a->nheld, 1);
	/* the server holds the second; the ones behind it wait their turn */
	for (int i = 0; i < 200; i++)
		net_loop_run(o.l, 0);
	cr_assert_eq(o.k->got, 1);
	cr_assert_eq(o.a->requests, 2);
	w = http_sconn_reply(o.a->held[0], 202, 0);
	cr_assert_not_null(w);
	net_http_reply_header(w, "Content-Type", "text/plain");
	cr_assert_gt(net_http_reply_body(w, "late", 4), 0);
	cr_assert_eq(http_sconn_send(o.a->held[0]), 0);
	RUN_UNTIL(o.l, o.k->got == 4);
	cr_assert_eq(o.k->got, 4);
	cr_assert(o.k->rec[0].body_ok);
	cr_assert_eq(o.k->rec[1].id, 7);
	cr_assert_eq(o.k->rec[1].status, 202);
	cr_assert_str_eq(o.k->rec[1].body, "late");
	cr_assert(o.k->rec[2].body_ok);
	cr_assert_eq(o.k->rec[2].id, ID_PAT | 70000);
	cr_assert(o.k->rec[3].body_ok);
	cr_assert(o.k->rec[3].chunked);
	cr_assert_eq(http_server_stats(o.a->srv)->accepted, 1);
	ours_stop(&o);
}

Test(httpconn, peer_closing_is_reported_distinctly)
{
	struct ours o;
	struct rec *x;

	ours_start(&o, NULL, NULL);
	cr_assert(cl_call(o.l, o.k, &o.get, "bytes?n=1", false, 0, ID_PAT | 1)->body_ok);
	/* the server drops the idle keep-alive connection */
	http_sconn_close(o.a->last);
	RUN_UNTIL(o.l, o.k->closed);
	cr_assert(o.k->closed);
	cr_assert_eq(o.k->close_err, -NET_HTTP_E_CLOSED, "%s", net_http_err_name(o.k->close_err));

	/* the server closes with a request in flight, before answering it */
	cl_connect(o.l, o.k, o.port);
	x = cl_call(o.l, o.k, &o.get, "drop", false, 0, 5);
	cr_assert_eq(x->err, -NET_HTTP_E_CLOSED, "%s", net_http_err_name(x->err));
	cr_assert_eq(x->id, 5);
	RUN_UNTIL(o.l, o.k->closed);
	cr_assert_eq(o.k->close_err, -NET_HTTP_E_CLOSED);

	/* our own close: 0, and a request in flight is cancelled */
	cl_connect(o.l, o.k, o.port);
	cr_assert_eq(cl_send(o.k, &o.get, "hang", false, 0, 6), 0);
	http_client_close(&o.k->c);
	cr_assert_eq(o.k->rec[o.k->got - 1].err, -ECANCELED);
	RUN_UNTIL(o.l, o.k->closed);
	cr_assert_eq(o.k->close_err, 0);
	ours_stop(&o);
}

Test(httpconn, connect_refused_then_reconnect)
{
	struct net_loop *l = loop_new(0);
	struct net_tls_ctx *cc = certs_tls_client(&certs), *sc = certs_tls_server(&certs);
	struct http_server_cfg scfg = { 0 };
	struct http_client_cfg ccfg = { 0 };
	struct cl *k = cl_new(cc, &ccfg);
	struct app *a;
	struct sockaddr_in addr;
	struct net_http_tmpl t;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t al = sizeof(addr);
	uint16_t dead;

	/* a port nobody listens on: bound, never listening */
	addr = test_lo(0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&addr, &al), 0);
	dead = ntohs(addr.sin_port);
	cr_assert_eq(http_client_connect(l, &k->c, "localhost", dead, (struct sockaddr *)&addr,
					 sizeof(addr), 1000000000ull, &cl_ops, k), 0);
	RUN_UNTIL(l, k->opened);
	cr_assert_eq(k->open_err, -ECONNREFUSED, "%s", strerror(-k->open_err));
	cr_assert_eq(http_client_state(&k->c), HTTP_CLIENT_IDLE);
	cr_assert(http_client_idle(&k->c), "ready to connect again");
	close(fd);

	a = app_start(l, sc, &scfg);
	cl_connect(l, k, http_server_port(a->srv));
	tmpl(&t, "GET", "/bytes", http_server_port(a->srv));
	cr_assert(cl_call(l, k, &t, "?n=3", false, 0, ID_PAT | 3)->body_ok);
	cl_close_wait(l, k);
	app_stop(l, a);
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	net_tls_ctx_destroy(sc);
}

Test(httpconn, bad_certificate_fails_open)
{
	struct net_loop *l = loop_new(0);
	struct net_tls_conf conf = { .role = NET_TLS_CLIENT }; /* system CAs only */
	struct net_tls_ctx *cc, *sc = certs_tls_server(&certs);
	struct http_server_cfg scfg = { 0 };
	struct http_client_cfg ccfg = { 0 };
	struct cl *k;
	struct app *a;
	struct sockaddr_in addr;
	char err[256];

	cr_assert_eq(net_tls_ctx_create(&conf, &cc, err, sizeof(err)), 0, "%s", err);
	k = cl_new(cc, &ccfg);
	a = app_start(l, sc, &scfg);
	addr = test_lo(http_server_port(a->srv));
	cr_assert_eq(http_client_connect(l, &k->c, "localhost", ntohs(addr.sin_port),
					 (struct sockaddr *)&addr, sizeof(addr), 1000000000ull,
					 &cl_ops, k), 0);
	RUN_UNTIL(l, k->opened);
	cr_assert_eq(k->open_err, -EKEYREJECTED, "%s", strerror(-k->open_err));
	RUN_UNTIL(l, http_client_idle(&k->c) && http_server_idle(a->srv));
	cr_assert(http_client_idle(&k->c));
	cr_assert_not(k->closed, "no on_close after a failed open");
	cr_assert_eq(a->opened, 0);
	cr_assert_eq(http_server_stats(a->srv)->tls_failed, 1);
	app_stop(l, a);
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	net_tls_ctx_destroy(sc);
}

/* ---- raw sockets in this process -------------------------------------------------- */

static int raw_connect(uint16_t port)
{
	struct sockaddr_in a = test_lo(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static int raw_listen(uint16_t *port)
{
	struct sockaddr_in a = test_lo(0);
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int raw_accept(struct net_loop *l, int lfd)
{
	int fd = -1;

	RUN_UNTIL(l, (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0);
	cr_assert_geq(fd, 0, "accepted");
	return fd;
}

static void raw_send(struct net_loop *l, int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			cr_assert_eq(errno, EAGAIN);
			net_loop_run(l, 1000000);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void raw_sends(struct net_loop *l, int fd, const char *s)
{
	raw_send(l, fd, s, strlen(s));
}

struct rbuf {
	char *p;
	size_t len, cap;
	size_t off;     /* responses parsed up to here */
	bool eof;
	int err;
};

static void rbuf_reset(struct rbuf *b)
{
	b->len = b->off = 0;
	b->eof = false;
	b->err = 0;
}

/* Read what is there into b. */
static void raw_pull(int fd, struct rbuf *b)
{
	while (!b->eof && !b->err && b->len < b->cap) {
		ssize_t n = recv(fd, b->p + b->len, b->cap - b->len, MSG_DONTWAIT);

		if (n > 0)
			b->len += (size_t)n;
		else if (n == 0)
			b->eof = true;
		else if (errno != EAGAIN)
			b->err = errno;
		if (n <= 0)
			return;
	}
}

/* Read a request (headers only) from a raw peer, then forget it. */
static void raw_read_request(struct net_loop *l, int fd, struct rbuf *b)
{
	b->len = 0;
	RUN_UNTIL(l, (raw_pull(fd, b), b->len >= 4 &&
				       memmem(b->p, b->len, "\r\n\r\n", 4)) || b->eof);
	cr_assert(memmem(b->p, b->len, "\r\n\r\n", 4), "a request came");
}

struct rresp {
	uint16_t status;
	bool keep_alive;
	char allow[64];
	char body[64];
	const char *bp;         /* the whole body, in the rbuf */
	size_t body_len;
};

/*
 * Read responses from a raw connection until 'want' of them are whole (or
 * EOF), parsing them with the codec. Returns how many.
 */
static int raw_responses(struct net_loop *l, int fd, struct rbuf *b, struct rresp *out, int want)
{
	struct net_http_limits lim;
	struct net_http_parser p;
	int got = 0;

	net_http_limits_default(&lim);
	lim.max_body = 1 << 20;
	cr_assert_eq(net_http_parser_init(&p, NET_HTTP_RESPONSE, &lim), 0);
	for (long t = 0; t < BUDGET && got < want; t++) {
		int r;

		raw_pull(fd, b);
		r = net_http_parse(&p, b->p + b->off, b->len - b->off);
		cr_assert_geq(r, 0, "%s", net_http_err_name(r));
		if (r == NET_HTTP_DONE) {
			struct rresp *x = &out[got++];
			struct net_http_str s = net_http_body(&p);
			struct net_http_str allow = net_http_header(&p, "Allow");

			memset(x, 0, sizeof(*x));
			x->status = p.status;
			x->keep_alive = p.keep_alive;
			x->bp = s.p;
			x->body_len = s.len;
			memcpy(x->body, s.p ? s.p : "", s.len < 63 ? s.len : 63);
			memcpy(x->allow, allow.p ? allow.p : "", allow.len < 63 ? allow.len : 63);
			b->off += p.msg_len;
			net_http_parser_next(&p, 0);
			continue;
		}
		if (b->eof || b->err)
			break;
		net_loop_run(l, 1000000);
	}
	return got;
}

/* Run until the raw peer sees EOF, or a reset when 'reset_ok'. */
static void raw_wait_closed(struct net_loop *l, int fd, struct rbuf *b, bool reset_ok)
{
	RUN_UNTIL(l, (raw_pull(fd, b), b->eof || b->err));
	cr_assert(b->eof || (reset_ok && b->err == ECONNRESET), "EOF (err %d)", b->err);
}

static void raw_wait_eof(struct net_loop *l, int fd, struct rbuf *b)
{
	raw_wait_closed(l, fd, b, false);
}

static struct rbuf *rbuf_new(size_t cap)
{
	struct rbuf *b = talloc(sizeof(*b));

	b->p = talloc(cap);
	b->cap = cap;
	return b;
}

/* A plain-TCP server with a small linger and the test routes. */
static struct app *raw_app(struct net_loop *l, struct http_server_cfg *cfg)
{
	if (!cfg->linger_ns)
		cfg->linger_ns = 20000000ull;
	return app_start(l, NULL, cfg);
}

Test(httpconn_raw, server_pipelined_requests_in_order)
{
	struct net_loop *l = loop_new(0);
	struct http_server_cfg cfg = { 0 };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b = rbuf_new(1 << 20);
	struct rresp r[6];
	int fd = raw_connect(http_server_port(a->srv));

	raw_sends(l, fd,
		  "GET /bytes?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
		  "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
		  "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
		  "DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n"
		  "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"
		  "HEAD /bytes?n=9 HTTP/1.1\r\nHost: x\r\n\r\n");
	/* the HEAD answer has a Content-Length and no body: parse it as such */
	cr_assert_eq(raw_responses(l, fd, b, r, 5), 5);
	cr_assert_eq(r[0].status, 200);
	cr_assert_eq(r[0].body_len, 3);
	cr_assert_eq(r[1].status, 200);
	cr_assert_str_eq(r[1].body, "hello");
	cr_assert_eq(r[2].status, 404);
	cr_assert(r[2].keep_alive, "404 keeps the connection");
	cr_assert_eq(r[3].status, 405);
	cr_assert_str_eq(r[3].allow, "POST");
	cr_assert_eq(r[4].status, 200);
	cr_assert_str_eq(r[4].body, "abcde");
	RUN_UNTIL(l, (raw_pull(fd, b), memmem(b->p + b->off, b->len - b->off,
					     "Content-Length: 9\r\n\r\n", 21)));
	cr_assert(memmem(b->p + b->off, b->len - b->off, "HTTP/1.1 200 OK\r\n", 17),
		  "the HEAD reply");
	cr_assert_eq(b->p[b->len - 1], '\n', "and nothing after its header section");
	cr_assert_eq(memcmp(b->p + b->len - 21, "Content-Length: 9\r\n\r\n", 21), 0);
	cr_assert_eq(a->opened, 1);
	close(fd);
	RUN_UNTIL(l, a->closed == 1);
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, server_answers_bad_requests_and_closes)
{
	static const struct { const char *req; unsigned status; } cases[] = {
		{ "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "POST /echo HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", 413 },
		{ "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501 },
		{ "POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "GET /xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  " HTTP/1.1\r\n\r\n", 414 },
		{ "GET / HTTP/1.1\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\nX-A: 4\r\nX-A: 5\r\n\r\n", 431 },
	};
	struct net_loop *l = loop_new(0);
	struct http_server_cfg cfg = { .lim = { .max_hdr_bytes = 256, .max_hdrs = 4,
						.max_body = 1000 } };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b = rbuf_new(1 << 16);

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(cases); i++) {
		struct rresp r;
		int fd = raw_connect(http_server_port(a->srv));

		rbuf_reset(b);
		raw_sends(l, fd, "GET /bytes?n=2 HTTP/1.1\r\n\r\n");
		raw_sends(l, fd, cases[i].req);
		raw_sends(l, fd, "GET /bytes?n=2 HTTP/1.1\r\n\r\n"); /* never answered */
		cr_assert_eq(raw_responses(l, fd, b, &r, 1), 1);
		cr_assert_eq(r.status, 200, "the request before it is answered");
		cr_assert_eq(raw_responses(l, fd, b, &r, 1), 1, "case %zu", i);
		cr_assert_eq(r.status, cases[i].status, "case %zu: %u", i, r.status);
		cr_assert_not(r.keep_alive, "case %zu: Connection: close", i);
		/* we keep the connection open: the server's linger ends it */
		raw_wait_eof(l, fd, b);
		close(fd);
		RUN_UNTIL(l, a->closed == i + 1);
		cr_assert_eq(a->closed, i + 1);
	}
	cr_assert_eq(a->requests, KIMP_ARRAY_SIZE(cases));
	cr_assert_eq(http_server_stats(a->srv)->errors, KIMP_ARRAY_SIZE(cases));
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, server_http10_request_closes)
{
	struct net_loop *l = loop_new(0);
	struct http_server_cfg cfg = { 0 };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b = rbuf_new(1 << 16);
	struct rresp r;
	int fd = raw_connect(http_server_port(a->srv));

	raw_sends(l, fd, "GET /bytes?n=4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	cr_assert_eq(raw_responses(l, fd, b, &r, 1), 1);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.body_len, 4);
	cr_assert_not(r.keep_alive);
	raw_wait_eof(l, fd, b);
	close(fd);
	RUN_UNTIL(l, a->closed == 1);
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, server_back_pressure_keeps_order)
{
	/* a send queue much smaller than the replies: they wait for room */
	struct net_loop *l = loop_new(32 * 1024);
	struct http_server_cfg cfg = { .reply_cap = 600000 };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b = rbuf_new(4 << 20);
	struct rresp r[5];
	int fd = raw_connect(http_server_port(a->srv));
	static const size_t sizes[] = { 500000, 3, 300000, 0, 450000 };

	raw_sends(l, fd,
		  "GET /bytes?n=500000 HTTP/1.1\r\n\r\nGET /bytes?n=3 HTTP/1.1\r\n\r\n"
		  "GET /bytes?n=300000 HTTP/1.1\r\n\r\nGET /bytes?n=0 HTTP/1.1\r\n\r\n"
		  "GET /bytes?n=450000 HTTP/1.1\r\n\r\n");
	cr_assert_eq(raw_responses(l, fd, b, r, 5), 5);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(sizes); i++)
		cr_assert(pat_ok((const uint8_t *)r[i].bp, r[i].body_len, sizes[i]),
			  "reply %zu in order (%zu bytes)", i, r[i].body_len);
	cr_assert_eq(b->off, b->len);
	cr_assert_gt(http_server_stats(a->srv)->tx_blocked, 0, "the queue did fill");
	close(fd);
	RUN_UNTIL(l, a->closed == 1);
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, server_faults)
{
	struct net_loop *l = loop_new(0);
	struct http_server_cfg cfg = { .reply_cap = 1024, .rx_cap = 4096,
				       .lim.max_hdr_bytes = 1024, .lim.max_body = 2048 };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b = rbuf_new(1 << 16);
	struct rresp r;
	char junk[1200];
	int fd;

	/* a reply that does not fit the reply buffer: 500 and close */
	fd = raw_connect(http_server_port(a->srv));
	raw_sends(l, fd, "GET /bytes?n=5000 HTTP/1.1\r\n\r\n");
	cr_assert_eq(raw_responses(l, fd, b, &r, 1), 1);
	cr_assert_eq(r.status, 500);
	cr_assert_not(r.keep_alive);
	raw_wait_eof(l, fd, b);
	close(fd);

	/* requests piling up behind one that waits: over rx_cap closes */
	fd = raw_connect(http_server_port(a->srv));
	rbuf_reset(b);
	raw_sends(l, fd, "GET /later HTTP/1.1\r\n\r\n");
	RUN_UNTIL(l, a->nheld == 1);
	memset(junk, 'x', sizeof(junk));
	memcpy(junk, "GET /bytes?n=1 HTTP/1.1\r\nX-Pad: ", 32);
	memcpy(junk + sizeof(junk) - 4, "\r\n\r\n", 4);
	for (int i = 0; i < 5; i++)
		raw_send(l, fd, junk, sizeof(junk));
	/* closed with input unread: the kernel may reset */
	raw_wait_closed(l, fd, b, true);
	cr_assert_eq(b->len, 0, "nothing was answered");
	cr_assert_eq(http_server_stats(a->srv)->overflow, 1);
	cr_assert_null(http_sconn_reply(a->held[0] ? a->held[0] : a->last, 200, 0),
		       "no reply to a closed connection");
	close(fd);
	RUN_UNTIL(l, a->closed == 2);
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, server_refuses_when_slots_are_full)
{
	struct net_loop *l = loop_new(0);
	struct http_server_cfg cfg = { .max_conns = 1 };
	struct app *a = raw_app(l, &cfg);
	struct rbuf *b1 = rbuf_new(1 << 16), *b2 = rbuf_new(1 << 16);
	struct rresp r;
	int fd1 = raw_connect(http_server_port(a->srv)), fd2;

	RUN_UNTIL(l, a->opened == 1);
	fd2 = raw_connect(http_server_port(a->srv));
	raw_wait_closed(l, fd2, b2, true);
	cr_assert_eq(b2->len, 0);
	cr_assert_eq(http_server_stats(a->srv)->refused, 1);
	/* the first one is served all the while */
	raw_sends(l, fd1, "GET /bytes?n=6 HTTP/1.1\r\n\r\n");
	cr_assert_eq(raw_responses(l, fd1, b1, &r, 1), 1);
	cr_assert(pat_ok((const uint8_t *)r.bp, r.body_len, 6));
	close(fd1);
	close(fd2);
	RUN_UNTIL(l, a->closed == 1);
	/* and its slot is free again */
	fd1 = raw_connect(http_server_port(a->srv));
	rbuf_reset(b1);
	raw_sends(l, fd1, "GET /bytes?n=1 HTTP/1.1\r\n\r\n");
	cr_assert_eq(raw_responses(l, fd1, b1, &r, 1), 1);
	cr_assert_eq(r.status, 200);
	close(fd1);
	RUN_UNTIL(l, a->closed == 2);
	app_stop(l, a);
	net_loop_free(l);
}

Test(httpconn_raw, client_send_back_pressure_and_overflow)
{
	/* a send queue that holds one request at a time */
	struct net_loop *l = loop_new(64 * 1024);
	struct http_server_cfg scfg = { .lim.max_body = 100000, .reply_cap = 110000 };
	struct app *a = raw_app(l, &scfg);
	struct http_client_cfg ccfg = { .pipeline = 2, .req_cap = 4096 + 100000 };
	struct cl *k = cl_new(NULL, &ccfg);
	struct net_http_tmpl post;
	struct net_http_req *r;
	int e = 0;

	tmpl(&post, "POST", "/echo", http_server_port(a->srv));
	cr_assert_eq(net_http_tmpl_body_stage(&post, 100000), 0);
	cl_connect(l, k, http_server_port(a->srv));
	cr_assert_eq(http_client_send(&k->c, 1), -EINVAL, "no request begun");

	cr_assert_eq(cl_send(k, &post, NULL, true, 40000, ID_PAT | 40000), 0);
	/* the first is still queued: no room for the second */
	cr_assert_eq(cl_send(k, &post, NULL, true, 40001, ID_PAT | 40001), -ENOBUFS);
	cr_assert_eq(http_client_inflight(&k->c), 1);
	/* kept: sent again as it is, once the queue drains */
	RUN_UNTIL(l, (e = http_client_send(&k->c, ID_PAT | 40001)) != -ENOBUFS);
	cr_assert_eq(e, 0);
	RUN_UNTIL(l, k->got == 2);
	cr_assert(k->rec[0].body_ok);
	cr_assert(k->rec[1].body_ok);
	cr_assert_eq(k->rec[1].id, ID_PAT | 40001);

	/* a body over the request buffer: dropped, the connection unharmed */
	r = http_client_req_begin(&k->c, &post);
	cr_assert_not_null(r);
	net_http_req_body(r);
	cr_assert_null(net_http_req_reserve(r, 100001));
	cr_assert_eq(http_client_send(&k->c, 3), -EMSGSIZE);
	cr_assert_eq(http_client_inflight(&k->c), 0);
	cr_assert(cl_call(l, k, &post, NULL, true, 60000, ID_PAT | 60000)->body_ok);
	cl_close_wait(l, k);
	app_stop(l, a);
	net_loop_free(l);
}

/* Our client against a raw server: exact bytes for every way a response
 * can go wrong. */
Test(httpconn_raw, client_protocol_errors_and_closes)
{
	struct net_loop *l = loop_new(0);
	struct http_client_cfg ccfg = { .lim.max_body = 1000 };
	struct cl *k = cl_new(NULL, &ccfg);
	struct rbuf *req = rbuf_new(1 << 16);
	struct net_http_tmpl get, head;
	struct rec *x;
	uint16_t port;
	int lfd = raw_listen(&port), fd;

	tmpl(&get, "GET", "/", port);
	tmpl(&head, "HEAD", "/", port);

	/* interim 100, then a response; HEAD with a Content-Length and no body;
	 * then the server drops the idle connection */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "a", false, 0, 1), 0);
	raw_read_request(l, fd, req);
	cr_assert(memmem(req->p, req->len, "GET /a HTTP/1.1\r\nHost: localhost:", 33));
	raw_sends(l, fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	RUN_UNTIL(l, k->got == 1);
	x = &k->rec[0];
	cr_assert_eq(x->status, 200);
	cr_assert_str_eq(x->body, "ok");
	cr_assert_eq(cl_send(k, &head, "b", false, 0, 2), 0);
	raw_read_request(l, fd, req);
	raw_sends(l, fd, "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
	RUN_UNTIL(l, k->got == 2);
	cr_assert_eq(k->rec[1].clen, 12345);
	cr_assert_not(k->rec[1].has_body);
	close(fd);
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->close_err, -NET_HTTP_E_CLOSED, "idle close: %s",
		     net_http_err_name(k->close_err));

	/* a malformed status line */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "c", false, 0, 3), 0);
	raw_read_request(l, fd, req);
	raw_sends(l, fd, "HTTX/1.1 200 OK\r\n\r\n");
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->rec[2].err, -NET_HTTP_E_START_LINE, "%s", net_http_err_name(k->rec[2].err));
	cr_assert_eq(k->close_err, -NET_HTTP_E_START_LINE);
	close(fd);

	/* a body over the limit */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "d", false, 0, 4), 0);
	raw_read_request(l, fd, req);
	raw_sends(l, fd, "HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n");
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->rec[3].err, -NET_HTTP_E_BODY_SIZE);
	close(fd);

	/* bytes with no request in flight */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	raw_sends(l, fd, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->close_err, -EPROTO);
	close(fd);

	/* cut short inside the body */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "e", false, 0, 5), 0);
	raw_read_request(l, fd, req);
	raw_sends(l, fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
	close(fd);
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->rec[4].err, -NET_HTTP_E_TRUNCATED, "%s", net_http_err_name(k->rec[4].err));

	/* HTTP/1.0, body until EOF, in many small writes */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "f", false, 0, 6), 0);
	raw_read_request(l, fd, req);
	raw_sends(l, fd, "HTTP/1.0 200 OK\r\n\r\n");
	for (int i = 0; i < 10; i++) {
		raw_sends(l, fd, "0123456789");
		for (int j = 0; j < 20; j++)
			net_loop_run(l, 0);
	}
	raw_sends(l, fd, "\r\n");
	cr_assert_eq(k->got, 5);
	close(fd);
	RUN_UNTIL(l, k->closed);
	x = &k->rec[5];
	cr_assert_eq(x->err, 0);
	cr_assert_eq(x->version, 0);
	cr_assert_eq(x->body_len, 102);
	cr_assert_not(x->keep_alive);
	cr_assert_eq(k->close_err, 0, "the response ended it: %s", net_http_err_name(k->close_err));

	/* the server closes as the request goes out: nothing came back */
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "g", false, 0, 7), 0);
	raw_read_request(l, fd, req);
	close(fd);
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->rec[6].err, -NET_HTTP_E_CLOSED, "%s", net_http_err_name(k->rec[6].err));

	/* pipelined: the first response says close; the second request fails
	 * with E_CLOSED, retryable */
	k = cl_new(NULL, &(struct http_client_cfg){ .pipeline = 2 });
	cl_connect(l, k, port);
	fd = raw_accept(l, lfd);
	cr_assert_eq(cl_send(k, &get, "h", false, 0, 8), 0);
	cr_assert_eq(cl_send(k, &get, "i", false, 0, 9), 0);
	raw_sends(l, fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nz");
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->got, 2);
	cr_assert_eq(k->rec[0].err, 0);
	cr_assert_str_eq(k->rec[0].body, "z");
	cr_assert_eq(k->rec[1].err, -NET_HTTP_E_CLOSED);
	cr_assert_eq(k->rec[1].id, 9);
	cr_assert_eq(k->close_err, 0);
	close(fd);

	close(lfd);
	net_loop_free(l);
}

/* ---- Python on the other side ---------------------------------------------------- */

static void need_python(const char *modules)
{
	char cmd[256];

	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("no /usr/bin/python3");
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import %s' 2>/dev/null", modules);
	if (system(cmd))
		cr_skip_test("/usr/bin/python3 lacks %s", modules);
}

/* Run a Python server; its port is the first line it prints. */
static pid_t py_server(const char *script, uint16_t *port)
{
	char buf[32] = { 0 };
	int pfd[2];
	pid_t pid;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl("/usr/bin/python3", "python3", "-c", script, certs.cert, certs.key,
		      certs.ca, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* the whole line: with PYTHONUNBUFFERED=1 the number and the newline
	 * come in two writes, and closing the pipe between them would kill
	 * python with a broken pipe */
	for (size_t n = 0; n < sizeof(buf) - 1 && !strchr(buf, '\n');) {
		ssize_t r = read(pfd[0], buf + n, sizeof(buf) - 1 - n);

		cr_assert_gt(r, 0, "python printed its port");
		n += (size_t)r;
	}
	close(pfd[0]);
	*port = (uint16_t)atoi(buf);
	cr_assert_gt(*port, 0);
	return pid;
}

/* Run a Python client against port. */
static pid_t py_client(const char *script, uint16_t port)
{
	char ps[8];
	pid_t pid;

	snprintf(ps, sizeof(ps), "%u", port);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", script, certs.cert, certs.key,
		      certs.ca, ps, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Run the loop until the child exits; its exit code, or 128 + signal. */
static int run_until_exit(struct net_loop *l, pid_t pid)
{
	int st = 0;
	pid_t w = 0;

	RUN_UNTIL(l, (w = waitpid(pid, &st, WNOHANG)) == pid);
	if (w != pid) {
		kill(pid, SIGKILL);
		return test_wait_child(pid);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define PY_PAT "def pat(i, k, n): return bytes(((j * 131 + n) & 255) for j in range(i, i + k))\n"

static const char py_http_server[] =
	"import http.server, ssl, sys, threading\n"
	PY_PAT
	"cert, key = sys.argv[1], sys.argv[2]\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    protocol_version = 'HTTP/1.1'\n"
	"    disable_nagle_algorithm = True  # headers and body go in two writes\n"
	"    weight = 0\n"
	"    def log_message(self, *a): pass\n"
	"    def send(self, code, body, hdrs=()):\n"
	"        self.send_response(code)\n"
	"        self.send_header('X-Port', str(self.client_address[1]))\n"
	"        for k, v in hdrs: self.send_header(k, v)\n"
	"        self.send_header('Content-Length', str(len(body)))\n"
	"        self.end_headers()\n"
	"        if self.command != 'HEAD': self.wfile.write(body)\n"
	"    def do_GET(self):\n"
	"        path, _, q = self.path.partition('?')\n"
	"        if path == '/port':\n"
	"            self.send(200, str(self.client_address[1]).encode())\n"
	"        elif path == '/weight':\n"
	"            H.weight += 10\n"
	"            self.send(200, b'{}', [('Content-Type', 'application/json'),\n"
	"                                   ('X-MBX-USED-WEIGHT-1M', str(H.weight))])\n"
	"        elif path == '/limited':\n"
	"            self.send(429, b'{\"code\":-1003,\"msg\":\"Too many requests\"}',\n"
	"                      [('Retry-After', '3'), ('X-MBX-USED-WEIGHT-1M', '1201')])\n"
	"        elif path == '/chunked':\n"
	"            n = int(q.split('=')[1])\n"
	"            self.send_response(200)\n"
	"            self.send_header('X-Port', str(self.client_address[1]))\n"
	"            self.send_header('Transfer-Encoding', 'chunked')\n"
	"            self.end_headers()\n"
	"            i = 0\n"
	"            while i < n:\n"
	"                k = min(n - i, 1 + (i * 7) % 3000)\n"
	"                self.wfile.write(b'%x\\r\\n' % k + pat(i, k, n) + b'\\r\\n')\n"
	"                i += k\n"
	"            self.wfile.write(b'0\\r\\n\\r\\n')\n"
	"        elif path == '/close':\n"
	"            self.send(200, b'bye', [('Connection', 'close')])\n"
	"        elif path == '/http10':\n"
	"            self.close_connection = True\n"
	"            self.wfile.write(b'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nuntil close')\n"
	"        elif path == '/quit':\n"
	"            self.send(200, b'bye')\n"
	"            threading.Thread(target=srv.shutdown).start()\n"
	"        else:\n"
	"            self.send(404, b'')\n"
	"    def do_HEAD(self): self.do_GET()\n"
	"    def do_POST(self):\n"
	"        self.send(200, self.rfile.read(int(self.headers['Content-Length'])))\n"
	"srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
	"ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
	"ctx.load_cert_chain(cert, key)\n"
	"srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
	"print(srv.server_address[1], flush=True)\n"
	"srv.serve_forever()\n";

Test(httpconn_py, client_against_python_http_server)
{
	struct net_loop *l;
	struct net_tls_ctx *cc;
	struct http_client_cfg ccfg = { .req_cap = 4096 + 70000, .lim.max_body = MAX_BODY };
	struct cl *k;
	struct net_http_tmpl get, post, head;
	struct rec *x;
	int64_t port0;
	uint16_t port;
	pid_t pid;

	need_python("ssl, http.server");
	pid = py_server(py_http_server, &port);
	l = loop_new(0);
	cc = certs_tls_client(&certs);
	k = cl_new(cc, &ccfg);
	tmpl(&get, "GET", "/", port);
	tmpl(&post, "POST", "/echo", port);
	cr_assert_eq(net_http_tmpl_body_stage(&post, 70000), 0);
	tmpl(&head, "HEAD", "/", port);
	cl_connect(l, k, port);

	/* keep-alive: every request from the same client port */
	x = cl_call(l, k, &get, "port", false, 0, 0);
	cr_assert_eq(x->status, 200);
	port0 = atoll(x->body);
	cr_assert_gt(port0, 0);
	for (int i = 0; i < 20; i++) {
		x = cl_call(l, k, &get, "port", false, 0, 0);
		cr_assert_eq(x->err, 0);
		cr_assert_eq(atoll(x->body), port0, "request %d on the same connection", i);
		cr_assert(x->reused);
	}
	for (int i = 0; i < 20; i++) {
		size_t n = (size_t)i * 3331u;

		x = cl_call(l, k, &post, NULL, true, n, ID_PAT | n);
		cr_assert(x->body_ok, "echo %zu", n);
		cr_assert_eq(x->xport, port0);
	}
	/* rate-limit headers */
	for (int i = 1; i <= 3; i++) {
		x = cl_call(l, k, &get, "weight", false, 0, 0);
		cr_assert_eq(x->weight, 10 * i);
	}
	x = cl_call(l, k, &get, "limited", false, 0, 0);
	cr_assert_eq(x->status, 429);
	cr_assert_eq(x->retry_after, 3);
	cr_assert_eq(x->weight, 1201);
	cr_assert(x->keep_alive);
	/* chunked */
	x = cl_call(l, k, &get, "chunked?n=200000", false, 0, ID_PAT | 200000);
	cr_assert(x->chunked);
	cr_assert(x->body_ok);
	cr_assert_eq(x->xport, port0);
	/* HEAD, then the connection still frames right */
	x = cl_call(l, k, &head, "port", false, 0, 0);
	cr_assert_eq(x->status, 200);
	cr_assert_not(x->has_body);
	cr_assert_gt(x->clen, 0);
	x = cl_call(l, k, &get, "port", false, 0, 0);
	cr_assert_eq(atoll(x->body), port0);
	/* Connection: close ends it; the next connection has another port */
	x = cl_call(l, k, &get, "close", false, 0, 0);
	cr_assert_str_eq(x->body, "bye");
	cr_assert_not(x->keep_alive);
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->close_err, 0);
	cl_connect(l, k, port);
	x = cl_call(l, k, &get, "port", false, 0, 0);
	cr_assert_neq(atoll(x->body), port0, "a new connection");
	cr_assert_not(x->reused);
	/* HTTP/1.0 reply with its body running until EOF */
	x = cl_call(l, k, &get, "http10", false, 0, 0);
	cr_assert_eq(x->err, 0, "%s", net_http_err_name(x->err));
	cr_assert_eq(x->version, 0);
	cr_assert_str_eq(x->body, "until close");
	RUN_UNTIL(l, k->closed);
	cr_assert_eq(k->close_err, 0);
	/* done */
	cl_connect(l, k, port);
	x = cl_call(l, k, &get, "quit", false, 0, 0);
	cr_assert_eq(x->status, 200);
	cl_close_wait(l, k);
	cr_assert_eq(run_until_exit(l, pid), 0, "python exited cleanly");
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
}

static const char py_aiohttp_server[] =
	"import asyncio, ssl, sys\n"
	"from aiohttp import web\n"
	PY_PAT
	"cert, key = sys.argv[1], sys.argv[2]\n"
	"def peer(req): return str(req.transport.get_extra_info('peername')[1])\n"
	"async def port(req):\n"
	"    return web.Response(body=peer(req).encode(), headers={'X-Port': peer(req)})\n"
	"async def chunked(req):\n"
	"    n = int(req.query['n'])\n"
	"    r = web.StreamResponse(headers={'X-Port': peer(req)})\n"
	"    r.enable_chunked_encoding()\n"
	"    await r.prepare(req)\n"
	"    i = 0\n"
	"    while i < n:\n"
	"        k = min(n - i, 1 + (i * 13) % 5000)\n"
	"        await r.write(pat(i, k, n))\n"
	"        i += k\n"
	"    await r.write_eof()\n"
	"    return r\n"
	"async def limited(req):\n"
	"    return web.Response(status=429, body=b'{\"code\":-1003}',\n"
	"                        headers={'Retry-After': '7', 'X-MBX-USED-WEIGHT-1M': '1200'})\n"
	"async def echo(req):\n"
	"    return web.Response(body=await req.read(), headers={'X-Port': peer(req)})\n"
	"async def quit(req):\n"
	"    done.set_result(True)\n"
	"    return web.Response(text='bye')\n"
	"async def main():\n"
	"    global done\n"
	"    done = asyncio.get_running_loop().create_future()\n"
	"    app = web.Application()\n"
	"    app.add_routes([web.get('/port', port), web.get('/chunked', chunked),\n"
	"                    web.get('/limited', limited), web.post('/echo', echo),\n"
	"                    web.get('/quit', quit)])\n"
	"    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
	"    ctx.load_cert_chain(cert, key)\n"
	"    runner = web.AppRunner(app, access_log=None)\n"
	"    await runner.setup()\n"
	"    site = web.TCPSite(runner, '127.0.0.1', 0, ssl_context=ctx)\n"
	"    await site.start()\n"
	"    print(site._server.sockets[0].getsockname()[1], flush=True)\n"
	"    await asyncio.wait_for(done, 120)\n"
	"    await runner.cleanup()\n"
	"asyncio.run(main())\n";

Test(httpconn_py, client_against_aiohttp_server)
{
	struct net_loop *l;
	struct net_tls_ctx *cc;
	struct http_client_cfg ccfg = { .req_cap = 4096 + 70000, .lim.max_body = MAX_BODY,
					.pipeline = 4 };
	struct cl *k;
	struct net_http_tmpl get, post, head;
	struct rec *x;
	int64_t port0;
	uint16_t port;
	pid_t pid;

	need_python("ssl, aiohttp");
	pid = py_server(py_aiohttp_server, &port);
	l = loop_new(0);
	cc = certs_tls_client(&certs);
	k = cl_new(cc, &ccfg);
	tmpl(&get, "GET", "/", port);
	tmpl(&post, "POST", "/echo", port);
	cr_assert_eq(net_http_tmpl_body_stage(&post, 70000), 0);
	tmpl(&head, "HEAD", "/", port);
	cl_connect(l, k, port);

	x = cl_call(l, k, &get, "port", false, 0, 0);
	port0 = atoll(x->body);
	cr_assert_gt(port0, 0);
	for (int i = 0; i < 30; i++) {
		size_t n = (size_t)i * 2029u;

		x = cl_call(l, k, &post, NULL, true, n, ID_PAT | n);
		cr_assert(x->body_ok, "echo %zu", n);
		cr_assert_eq(x->xport, port0, "keep-alive");
		cr_assert(x->reused);
	}
	/* pipelined: aiohttp answers them in order */
	for (int i = 0; i < 4; i++)
		cr_assert_eq(cl_send(k, &post, NULL, true, (size_t)i * 100, ID_PAT | (i * 100u)), 0);
	RUN_UNTIL(l, k->got == 35);
	for (int i = 0; i < 4; i++) {
		x = &k->rec[31 + i];
		cr_assert_eq(x->id, ID_PAT | (i * 100u));
		cr_assert(x->body_ok, "pipelined %d", i);
	}
	x = cl_call(l, k, &get, "limited", false, 0, 0);
	cr_assert_eq(x->status, 429);
	cr_assert_eq(x->retry_after, 7);
	cr_assert_eq(x->weight, 1200);
	for (size_t n = 0; n <= 300000; n += 100000) {
		char path[48];

		snprintf(path, sizeof(path), "chunked?n=%zu", n);
		x = cl_call(l, k, &get, path, false, 0, ID_PAT | n);
		cr_assert(x->chunked, "%s", path);
		cr_assert(x->body_ok, "%s: %zu", path, x->body_len);
		cr_assert_eq(x->xport, port0);
	}
	x = cl_call(l, k, &head, "port", false, 0, 0);
	cr_assert_eq(x->status, 200);
	cr_assert_not(x->has_body);
	x = cl_call(l, k, &get, "port", false, 0, 0);
	cr_assert_eq(atoll(x->body), port0);
	x = cl_call(l, k, &get, "quit", false, 0, 0);
	cr_assert_eq(x->status, 200);
	cr_assert_eq(run_until_exit(l, pid), 0, "aiohttp exited cleanly");
	RUN_UNTIL(l, k->closed);
	cr_assert(k->closed);
	cr_assert(k->close_err == -NET_HTTP_E_CLOSED || k->close_err == -ECONNRESET,
		  "the server went: %s", net_http_err_name(k->close_err));
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
}

static const char py_http_client[] =
	"import http.client, ssl, sys\n"
	PY_PAT
	"ca, port = sys.argv[3], int(sys.argv[4])\n"
	"ctx = ssl.create_default_context(cafile=ca)\n"
	"c = http.client.HTTPSConnection('localhost', port, context=ctx)\n"
	"conns = set()\n"
	"for i in range(40):\n"
	"    n = (i * 7919) % 70000\n"
	"    body = pat(0, n, n)\n"
	"    c.request('POST', '/echo', body=body)\n"
	"    r = c.getresponse()\n"
	"    data = r.read()\n"
	"    assert r.status == 200 and data == body, (i, r.status, len(data))\n"
	"    conns.add(r.getheader('X-Conn'))\n"
	"for n, chunk in ((100000, 1000), (5, 1), (70000, 70000), (0, 9), (12345, 0)):\n"
	"    c.request('GET', '/bytes?n=%d&chunk=%d' % (n, chunk))\n"
	"    r = c.getresponse()\n"
	"    data = r.read()\n"
	"    assert r.status == 200 and data == pat(0, n, n), (n, chunk, r.status, len(data))\n"
	"    assert (r.getheader('Transfer-Encoding') == 'chunked') == (chunk > 0)\n"
	"    conns.add(r.getheader('X-Conn'))\n"
	"c.request('HEAD', '/bytes?n=5000')\n"
	"r = c.getresponse()\n"
	"assert r.status == 200 and r.getheader('Content-Length') == '5000' and r.read() == b''\n"
	"c.request('GET', '/nope')\n"
	"r = c.getresponse()\n"
	"assert r.status == 404 and r.read() == b''\n"
	"c.request('PUT', '/echo', body=b'x')\n"
	"r = c.getresponse()\n"
	"assert r.status == 405 and r.getheader('Allow') == 'POST', r.getheader('Allow')\n"
	"r.read()\n"
	"assert conns == {'0'}, conns\n"
	"c.request('GET', '/close')\n"
	"r = c.getresponse()\n"
	"assert r.getheader('Connection') == 'close' and r.read() == b'bye'\n"
	"assert r.will_close\n"
	"c.close()\n";

Test(httpconn_py, server_against_python_http_client)
{
	struct net_loop *l;
	struct net_tls_ctx *sc;
	struct http_server_cfg cfg = { .lim.max_body = 100000, .reply_cap = 200000 };
	struct app *a;
	pid_t pid;

	need_python("ssl, http.client");
	l = loop_new(1u << 20);
	sc = certs_tls_server(&certs);
	a = app_start(l, sc, &cfg);
	pid = py_client(py_http_client, http_server_port(a->srv));
	cr_assert_eq(run_until_exit(l, pid), 0, "python checked every reply");
	RUN_UNTIL(l, a->closed == 1);
	cr_assert_eq(a->opened, 1, "one keep-alive connection");
	cr_assert_eq(a->closed, 1);
	cr_assert_eq(http_server_stats(a->srv)->accepted, 1);
	app_stop(l, a);
	net_loop_free(l);
	net_tls_ctx_destroy(sc);
}

static const char py_aiohttp_client[] =
	"import asyncio, ssl, sys, aiohttp\n"
	PY_PAT
	"ca, port = sys.argv[3], int(sys.argv[4])\n"
	"url = 'https://localhost:%d' % port\n"
	"async def main():\n"
	"    ctx = ssl.create_default_context(cafile=ca)\n"
	"    conns = set()\n"
	"    conn = aiohttp.TCPConnector(ssl=ctx, limit=1)\n"
	"    async with aiohttp.ClientSession(connector=conn) as s:\n"
	"        for i in range(30):\n"
	"            n = (i * 4111) % 90000\n"
	"            body = pat(0, n, n)\n"
	"            async with s.post(url + '/echo', data=body) as r:\n"
	"                assert r.status == 200 and await r.read() == body, i\n"
	"                conns.add(r.headers['X-Conn'])\n"
	"        for n, chunk in ((200000, 4096), (1, 1), (0, 0)):\n"
	"            async with s.get(url + '/bytes?n=%d&chunk=%d' % (n, chunk)) as r:\n"
	"                assert r.status == 200 and await r.read() == pat(0, n, n), n\n"
	"                assert (r.headers.get('Transfer-Encoding') == 'chunked') == (chunk > 0)\n"
	"                conns.add(r.headers['X-Conn'])\n"
	"        async with s.head(url + '/bytes?n=77') as r:\n"
	"            assert r.status == 200 and r.headers['Content-Length'] == '77'\n"
	"        async with s.get(url + '/nope') as r:\n"
	"            assert r.status == 404\n"
	"        async with s.get(url + '/bytes?n=3') as r:\n"
	"            assert await r.read() == pat(0, 3, 3)\n"
	"            conns.add(r.headers['X-Conn'])\n"
	"    assert conns == {'0'}, conns\n"
	"asyncio.run(main())\n";

Test(httpconn_py, server_against_aiohttp_client)
{
	struct net_loop *l;
	struct net_tls_ctx *sc;
	struct http_server_cfg cfg = { .lim.max_body = 100000, .reply_cap = 300000 };
	struct app *a;
	pid_t pid;

	need_python("ssl, aiohttp");
	l = loop_new(1u << 20);
	sc = certs_tls_server(&certs);
	a = app_start(l, sc, &cfg);
	pid = py_client(py_aiohttp_client, http_server_port(a->srv));
	cr_assert_eq(run_until_exit(l, pid), 0, "aiohttp checked every reply");
	RUN_UNTIL(l, a->closed == a->opened);
	cr_assert_eq(a->opened, 1, "one keep-alive connection");
	cr_assert_eq(http_server_stats(a->srv)->accepted, 1);
	app_stop(l, a);
	net_loop_free(l);
	net_tls_ctx_destroy(sc);
}
