/* SPDX-License-Identifier: MIT */
/*
 * HTTP round trips over one warm TLS keep-alive connection: GET requests
 * one at a time, each timed from before the request is built to the whole
 * response parsed, against the server's kimp/httpconn.h server. Our
 * clients: kimp/httpconn.h's http_client, its loop spinning or blocking,
 * and "raw", the pieces under it without the connection layer (a
 * net_stream with TLS, net_http_req from a template, net_http_parser),
 * spinning. The references, in the same run, are curl (one process, URL
 * globbing: one handle, one connection, -w %{time_total} per transfer) and
 * Python's http.client (time.perf_counter_ns around request + getresponse
 * + read). Every client makes http_warm unmeasured round trips first on the
 * same connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/httpconn.h"
#include "net_bench.h"
#include "wire.h"

#define HC_STAGE    16384
#define HC_BLOCK_NS 100000000ull

const char *const nb_http_names[H_NR] = {
	[H_KIMP_SPIN] = "kimp (spin)",
	[H_KIMP_BLOCK] = "kimp (blocking)",
	[H_KIMP_RAW] = "kimp raw (spin)",
	[H_CURL] = "curl",
	[H_PYTHON] = "python http.client",
};

static const char py_client[] =
	"import http.client, ssl, sys, time\n"
	"ca, port, n, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])\n"
	"ctx = ssl.create_default_context(cafile=ca)\n"
	"c = http.client.HTTPSConnection('localhost', port, context=ctx)\n"
	"pc = time.perf_counter_ns\n"
	"out = []\n"
	"for i in range(warm + n):\n"
	"    t0 = pc()\n"
	"    c.request('GET', '" NB_HTTP_PATH "')\n"
	"    r = c.getresponse()\n"
	"    body = r.read()\n"
	"    t1 = pc()\n"
	"    if r.status != 200 or not body:\n"
	"        sys.exit('python: bad response %d' % r.status)\n"
	"    if i >= warm:\n"
	"        out.append(t1 - t0)\n"
	"c.close()\n"
	"sys.stdout.write('\\n'.join(map(str, out)) + '\\n')\n";

/* ---- our clients, in the child ------------------------------------------------------ */

struct hc_arg {
	const struct nb_cfg *cfg;
	const struct nb_certs *certs;
	uint16_t port;
	enum nb_http_kind kind;
};

/* What the loop's callbacks tell the measuring code. */
struct hc_state {
	bool open, closed, done;
	int err;
	uint64_t t1;             /* the response is complete */
	char cipher[64];
};

static void hc_opened(struct hc_state *st, int err, const struct net_stream *s)
{
	if (err) {
		st->err = err;
		st->closed = true;  /* no on_close follows a failed open */
		return;
	}
	st->open = true;
	/* no accessor for a stream's TLS session: read it directly */
	snprintf(st->cipher, sizeof(st->cipher), "%s", net_tls_cipher(&s->tls));
}

static void hc_closed(struct hc_state *st, int err)
{
	st->closed = true;
	if (!st->err)
		st->err = err ? err : -ECONNRESET;
}

/*
 * Run the loop until *flag or the connection is gone. 0 or -errno. Hot:
 * the measured wait; GCC otherwise guesses it unlikely and sizes it down.
 */
static __attribute__((hot)) int hc_run_until(struct net_loop *l, uint64_t wait,
					     const struct hc_state *st, const bool *flag)
{
	while (!*flag && !st->closed) {
		int r = net_loop_run(l, wait);

		if (r < 0)
			return r;
	}
	if (*flag)
		return st->err;
	return st->err ? st->err : -ECONNRESET;
}

/* -- kimp/httpconn.h's client -- */

struct hx {
	struct hc_state st;
	struct http_client c;
};

static void hx_open(struct http_client *c, int err)
{
	struct hx *x = http_client_user(c);

	/* no accessor for the client's stream: read it directly */
	hc_opened(&x->st, err, &c->st);
}

static void hx_response(struct http_client *c, const struct http_client_resp *r)
{
	struct hx *x = http_client_user(c);

	x->st.t1 = nb_clock_ns(CLOCK_MONOTONIC);
	if (r->err || r->status != 200 || !r->body.len)
		x->st.err = r->err ? r->err : -EBADMSG;
	x->st.done = true;
}

static void hx_close(struct http_client *c, int err)
{
	struct hx *x = http_client_user(c);

	hc_closed(&x->st, err);
}

static const struct http_client_ops hx_ops = {
	.on_open = hx_open,
	.on_response = hx_response,
	.on_close = hx_close,
};

/* -- the raw pieces: a stream, the request builder, the parser -- */

struct raw {
	struct hc_state st;
	struct net_stream s;
	struct net_http_parser p;
	char req[512];
};

static void raw_open(struct net_stream *s, int err)
{
	struct raw *w = net_stream_user(s);

	hc_opened(&w->st, err, s);
}

static size_t raw_data(struct net_stream *s, uint8_t *data, size_t len)
{
	struct raw *w = net_stream_user(s);
	int r = net_http_parse(&w->p, data, len);
	size_t used;

	if (r == NET_HTTP_AGAIN)
		return 0;
	w->st.t1 = nb_clock_ns(CLOCK_MONOTONIC);
	if (r != NET_HTTP_DONE || w->p.status != 200 || !net_http_body(&w->p).len) {
		w->st.err = r < 0 ? -EPROTO : -EBADMSG;
		net_stream_close(s);
		return len;
	}
	used = w->p.msg_len;
	w->st.done = true;
	net_http_parser_next(&w->p, 0);
	return used;
}

static void raw_close(struct net_stream *s, int err)
{
	struct raw *w = net_stream_user(s);

	hc_closed(&w->st, err);
}

static const struct net_stream_ops raw_ops = {
	.on_open = raw_open,
	.on_data = raw_data,
	.on_close = raw_close,
};

/* -- the measuring side -- */

struct hc {
	const struct hc_arg *a;
	struct net_loop *l;
	struct net_tls_ctx *tls;
	struct net_http_tmpl t;
	uint64_t wait;
	struct hc_state *st;     /* &x.st or &w.st */
	struct hx x;
	struct raw w;
	void *buf;
};

static int hc_connect(struct hc *h)
{
	const struct hc_arg *a = h->a;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	size_t len;
	int err;

	if (a->kind == H_KIMP_RAW) {
		h->st = &h->w.st;
		len = NET_STREAM_BUF_SIZE(HC_STAGE);
		h->buf = malloc(len);
		if (!h->buf)
			return -ENOMEM;
		err = net_http_parser_init(&h->w.p, NET_HTTP_RESPONSE, NULL);
		if (!err)
			err = net_stream_init(&h->w.s, h->tls, h->buf, len, HC_STAGE);
		if (!err)
			err = net_stream_connect(h->l, &h->w.s, "localhost", a->port,
						 (struct sockaddr *)&sa, sizeof(sa),
						 2000000000ull, &raw_ops, &h->w);
	} else {
		h->st = &h->x.st;
		len = http_client_buf_size(NULL);
		h->buf = malloc(len);
		if (!h->buf)
			return -ENOMEM;
		err = http_client_init(&h->x.c, h->tls, NULL, h->buf, len);
		if (!err)
			err = http_client_connect(h->l, &h->x.c, "localhost", a->port,
						  (struct sockaddr *)&sa, sizeof(sa),
						  2000000000ull, &hx_ops, &h->x);
	}
	if (!err)
		err = hc_run_until(h->l, h->wait, h->st, &h->st->open);
	return err;
}

/* One GET, sent; its response comes to the callbacks. */
static int hc_send(struct hc *h, uint64_t id)
{
	struct net_http_req *r;
	struct net_http_req rr;
	int n;

	if (h->a->kind == H_KIMP_RAW) {
		net_http_req_start(&rr, &h->t, h->w.req, sizeof(h->w.req));
		n = net_http_req_finish(&rr);
		return n < 0 ? n : net_stream_send(&h->w.s, h->w.req, (size_t)n);
	}
	r = http_client_req_begin(&h->x.c, &h->t);
	if (!r)
		return -ENOTCONN;
	return http_client_send(&h->x.c, id);
}

static int hc_round_trips(struct hc *h, uint64_t *ns)
{
	const struct nb_cfg *c = h->a->cfg;
	uint64_t total = c->http_warm + c->http_n;
	int err;

	for (uint64_t i = 0; i < total; i++) {
		uint64_t t0 = nb_clock_ns(CLOCK_MONOTONIC);

		h->st->done = false;
		err = hc_send(h, i);
		if (!err)
			err = hc_run_until(h->l, h->wait, h->st, &h->st->done);
		if (err)
			return err;
		if (i >= c->http_warm)
			ns[i - c->http_warm] = h->st->t1 - t0;
	}
	return 0;
}

static void hc_close_conn(struct hc *h)
{
	if (h->a->kind == H_KIMP_RAW)
		net_stream_close(&h->w.s);
	else
		http_client_close(&h->x.c);
	hc_run_until(h->l, HC_BLOCK_NS, h->st, &h->st->closed);
}

static int hc_main(void *arg, int fd)
{
	const struct hc_arg *a = arg;
	struct net_tls_conf tc = { .role = NET_TLS_CLIENT, .ca_file = a->certs->ca };
	struct hc *h = calloc(1, sizeof(*h));
	uint64_t *ns = calloc(a->cfg->http_n, sizeof(*ns));
	FILE *f = fdopen(fd, "w");
	char msg[256], host[32];
	int err = -ENOMEM;

	if (!h || !ns || !f)
		goto out;
	h->a = a;
	h->wait = a->kind == H_KIMP_BLOCK ? HC_BLOCK_NS : 0;
	snprintf(host, sizeof(host), "localhost:%u", a->port);
	err = net_http_tmpl_init(&h->t, "GET", NB_HTTP_PATH, host);
	if (!err)
		err = net_http_tmpl_header(&h->t, "Accept", "*/*");
	if (err)
		goto out;
	err = net_tls_ctx_create(&tc, &h->tls, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "net_bench http client: TLS: %s\n", msg);
		goto out;
	}
	err = net_loop_new(&h->l, NULL);
	if (!err)
		err = hc_connect(h);
	if (!err)
		err = hc_round_trips(h, ns);
	if (err) {
		fprintf(stderr, "net_bench http client: %s\n", strerror(-err));
		goto out;
	}
	fprintf(f, "cipher=%s\n", h->st->cipher);
	for (uint64_t i = 0; i < a->cfg->http_n; i++)
		fprintf(f, "%llu\n", (unsigned long long)ns[i]);
	hc_close_conn(h);
out:
	if (f)
		fclose(f);
	if (h) {
		net_loop_free(h->l);
		net_tls_ctx_destroy(h->tls);
		free(h->buf);
	}
	free(h);
	free(ns);
	return err;
}

/* ---- the parent's side --------------------------------------------------------------- */

bool nb_http_available(const struct nb_cfg *cfg, enum nb_http_kind kind)
{
	switch (kind) {
	case H_CURL:
		return !cfg->no_refs && !access("/usr/bin/curl", X_OK);
	case H_PYTHON:
		return !cfg->no_refs && !access("/usr/bin/python3", X_OK);
	default:
		return true;
	}
}

/*
 * The samples in out, one per line: ns (scale 1) or seconds (curl, scale
 * 1e9), skipping the first 'skip' and a "cipher=" line. Returns the count.
 */
static uint64_t parse_samples(char *out, double scale, uint64_t skip, uint64_t *ns,
			      uint64_t cap, char *cipher, size_t cipher_len)
{
	uint64_t n = 0, seen = 0;

	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char *end;
		double v;

		if (!strncmp(line, "cipher=", 7)) {
			snprintf(cipher, cipher_len, "%s", line + 7);
			continue;
		}
		v = strtod(line, &end);
		if (end == line || v < 0)
			continue;
		if (seen++ < skip || n == cap)
			continue;
		ns[n++] = (uint64_t)(v * scale + 0.5);
	}
	return n;
}

int nb_http_run(const struct nb_cfg *cfg, const struct nb_certs *certs,
		const struct nb_server *srv, enum nb_http_kind kind,
		struct nb_http_fig *f, struct nb_run_info *info)
{
	struct hc_arg a = { .cfg = cfg, .certs = certs, .port = srv->http_port, .kind = kind };
	uint64_t want = kind == H_PYTHON ? cfg->py_n : cfg->http_n, got, skip = 0;
	char port[8], n[24], warm[24], url[128], cipher[64] = "";
	const char *const py_argv[] = { "/usr/bin/python3", "-c", py_client,
				  certs->ca, port, n, warm, NULL };
	const char *const curl_argv[] = { "/usr/bin/curl", "-s", "-S", "--http1.1", "--cacert",
				    certs->ca, "-o", "/dev/null", "-w",
				    "%{time_total}\\n", url, NULL };
	uint64_t *ns = calloc(want, sizeof(*ns));
	struct nb_cpu_snap s0, s1;
	double scale = 1;
	char *out = NULL;
	size_t len;
	int err;

	memset(f, 0, sizeof(*f));
	if (!ns)
		return -ENOMEM;
	snprintf(port, sizeof(port), "%u", srv->http_port);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)want);
	snprintf(warm, sizeof(warm), "%llu", (unsigned long long)cfg->http_warm);
	snprintf(url, sizeof(url), "https://localhost:%u" NB_HTTP_PATH "?[1-%llu]",
		 srv->http_port, (unsigned long long)(cfg->http_warm + want));
	nb_cpu_snap(cfg->cpu, srv->pid, &s0);
	switch (kind) {
	case H_PYTHON:
		err = nb_spawn(cfg->cpu[1], cfg->timeout_s, NULL, NULL, py_argv, &out, &len);
		break;
	case H_CURL:
		scale = 1e9;
		skip = cfg->http_warm;
		err = nb_spawn(cfg->cpu[1], cfg->timeout_s, NULL, NULL, curl_argv, &out, &len);
		break;
	default:
		err = nb_spawn(cfg->cpu[1], cfg->timeout_s, hc_main, &a, NULL, &out, &len);
		break;
	}
	nb_cpu_snap(cfg->cpu, srv->pid, &s1);
	nb_cpu_delta(&s0, &s1, &f->steal_ms, f->others_ms, &f->run_ms);
	got = err ? 0 : parse_samples(out, scale, skip, ns, want, cipher, sizeof(cipher));
	free(out);
	if (!err && got != want)
		err = -EBADMSG;
	if (err) {
		fprintf(stderr, "net_bench: http %s: %s (%llu of %llu round trips)\n",
			nb_http_names[kind], err == -ECHILD ? "client failed" : strerror(-err),
			(unsigned long long)got, (unsigned long long)want);
		free(ns);
		return err;
	}
	nb_lat_from(&f->rtt, ns, got);
	f->ok = true;
	if (cipher[0])
		snprintf(info->http_cipher, sizeof(info->http_cipher), "%s", cipher);
	free(ns);
	return 0;
}
