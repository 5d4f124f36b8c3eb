/* SPDX-License-Identifier: MIT */
/*
 * The bench server: one process pinned to the server CPU, one libnet loop,
 * two TLS listeners on 127.0.0.1.
 *
 *   WebSocket   every connection, once upgraded, gets cfg->ws_n binary
 *               messages (wire.h) as fast as the client's TCP window lets
 *               them go: ws_conn_send until -ENOBUFS, run the loop, go on.
 *               Then the "done <n>" marker and a close 1000. The time the
 *               send queue sat full is counted: a server that seldom
 *               waited for its client ran near its own limit.
 *   HTTP/1.1    kimp/httpconn.h's server, keep-alive: every GET of
 *               NB_HTTP_PATH gets a 200 with a small JSON body.
 *
 * The loop spins while a connection is open and waits when none is, so
 * the server answers as fast as it can for every client alike. Each WS
 * connection's figures go to the parent on a pipe when it closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <unistd.h>
#include "kimp/httpconn.h"
#include "kimp/wsconn.h"
#include "net_bench.h"
#include "wire.h"

#define SRV_SLOTS   4
#define SRV_MAX_MSG 4096

static const char srv_body[] = "{\"serverTime\":1732190000000,\"symbol\":\"BTCUSDT\","
			       "\"price\":\"97123.45000000\",\"qty\":\"0.01200000\"}";

struct srv;

struct srv_ws {
	struct ws_conn w;
	struct srv *srv;
	bool busy, streaming;
	uint64_t sent, t0, stall_t0;
	struct nb_srv_ws rec;
	uint8_t msg[NB_MSG_SIZE];
};

struct srv {
	struct net_loop *l;
	struct net_tls_ctx *tls;
	uint64_t n;
	int fd;                  /* to the parent */
	unsigned open;           /* connections open: spin while any */
	struct http_server *http;
	struct srv_ws ws[SRV_SLOTS];
};

static void srv_report(struct srv_ws *x)
{
	ssize_t kimp_unused n = write(x->srv->fd, &x->rec, sizeof(x->rec));
}

/* ---- WebSocket --------------------------------------------------------------- */

static void ws_stall(struct srv_ws *x)
{
	if (!x->stall_t0)
		x->stall_t0 = nb_clock_ns(CLOCK_MONOTONIC);
}

static void ws_unstall(struct srv_ws *x)
{
	if (x->stall_t0) {
		x->rec.stall_ns += nb_clock_ns(CLOCK_MONOTONIC) - x->stall_t0;
		x->stall_t0 = 0;
	}
}

/* Queue messages until the send queue is full; then the marker and close. */
static void ws_pump(struct srv_ws *x)
{
	uint64_t n = x->srv->n;
	char marker[32];
	int err, len;

	while (x->sent < n) {
		nb_msg_fill(x->msg, x->sent);
		err = ws_conn_send(&x->w, WS_OP_BINARY, x->msg, NB_MSG_SIZE);
		if (err == -ENOBUFS) {
			ws_stall(x);
			return;
		}
		if (err)
			goto fail;
		ws_unstall(x);
		x->sent++;
	}
	len = snprintf(marker, sizeof(marker), NB_MARKER "%llu", (unsigned long long)n);
	err = ws_conn_send(&x->w, WS_OP_TEXT, marker, (size_t)len);
	if (err == -ENOBUFS) {
		ws_stall(x);
		return;
	}
	if (err)
		goto fail;
	ws_unstall(x);
	x->rec.sent = x->sent;
	x->rec.wall_ns = nb_clock_ns(CLOCK_MONOTONIC) - x->t0;
	x->streaming = false;
	ws_conn_close(&x->w, WS_CLOSE_NORMAL);
	return;
fail:
	x->rec.err = err;
	x->rec.sent = x->sent;
	x->streaming = false;
	ws_conn_close(&x->w, WS_CLOSE_INTERNAL);
}

static void ws_open(struct ws_conn *w, int err)
{
	struct srv_ws *x = ws_conn_user(w);

	if (err) {
		/* no on_close follows a failed open */
		x->rec.err = err;
		srv_report(x);
		x->busy = false;
		x->srv->open--;
		return;
	}
	x->streaming = true;
	x->t0 = nb_clock_ns(CLOCK_MONOTONIC);
}

static void ws_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	/* clients say nothing */
}

static void ws_close(struct ws_conn *w, unsigned code, int err)
{
	struct srv_ws *x = ws_conn_user(w);

	if (x->streaming) {
		x->streaming = false;
		x->rec.sent = x->sent;
		x->rec.err = err ? err : -ECONNRESET;
	}
	srv_report(x);
	x->busy = false;
	x->srv->open--;
}

static const struct ws_conn_ops srv_ws_ops = {
	.on_open = ws_open,
	.on_message = ws_message,
	.on_close = ws_close,
};

static void ws_accept(struct net_conn *c, int err)
{
	struct srv *s = net_conn_user(c);

	if (err)
		return;
	for (int i = 0; i < SRV_SLOTS; i++) {
		struct srv_ws *x = &s->ws[i];

		if (x->busy || ws_conn_accept(&x->w, c, &srv_ws_ops, x))
			continue;
		x->busy = true;
		x->streaming = false;
		x->sent = x->stall_t0 = 0;
		memset(&x->rec, 0, sizeof(x->rec));
		s->open++;
		return;
	}
	net_abort(c);
}

static const struct net_conn_ops srv_ws_accept_ops = { .on_open = ws_accept };

/* ---- HTTP (kimp/httpconn.h) ------------------------------------------------------- */

static const struct net_http_route srv_routes[] = {
	{ NB_HTTP_PATH, NET_HTTP_GET, false },
};

static void http_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct net_http_reply *w = http_sconn_reply(sc, 200, 0);

	if (!w)
		return;
	net_http_reply_header(w, "Content-Type", "application/json");
	net_http_reply_body(w, srv_body, sizeof(srv_body) - 1);
}

static void http_open(struct http_sconn *sc)
{
	struct srv *s = http_server_user(http_sconn_server(sc));

	http_sconn_set_user(sc, s);  /* counted: on_close uncounts it */
	s->open++;
}

static void http_close(struct http_sconn *sc, int err)
{
	struct srv *s = http_sconn_user(sc);

	if (s) {
		s->open--;
		http_sconn_set_user(sc, NULL);
	}
}

static const struct http_server_ops srv_http_ops = {
	.on_request = http_request,
	.on_open = http_open,
	.on_close = http_close,
};

/* ---- the process ------------------------------------------------------------------ */

struct srv_hello {
	int32_t err;
	uint16_t ws_port, http_port;
};

static int srv_setup(struct srv *s, const struct nb_cfg *cfg, const struct nb_certs *certs,
		     struct srv_hello *hello)
{
	struct net_tls_conf tc = { .role = NET_TLS_SERVER, .cert_file = certs->cert,
				   .key_file = certs->key };
	struct net_loop_cfg lc = { .max_conns = 16 };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct http_server_cfg hc = { .tls = NULL, .max_conns = SRV_SLOTS, .routes = srv_routes,
				      .nroutes = KIMP_ARRAY_SIZE(srv_routes),
				      .ops = &srv_http_ops, .user = s };
	struct net_listener *lw;
	char msg[256];
	int err;

	s->n = cfg->ws_n;
	err = net_tls_ctx_create(&tc, &s->tls, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "net_bench server: TLS: %s\n", msg);
		return err;
	}
	err = net_loop_new(&s->l, &lc);
	if (err) {
		fprintf(stderr, "net_bench server: io_uring loop: %s\n", strerror(-err));
		return err;
	}
	for (int i = 0; i < SRV_SLOTS; i++) {
		void *wb = malloc(WS_CONN_BUF_SIZE(SRV_MAX_MSG));

		if (!wb)
			return -ENOMEM;
		s->ws[i].srv = s;
		err = ws_conn_init(&s->ws[i].w, WS_SERVER, s->tls, wb,
				   WS_CONN_BUF_SIZE(SRV_MAX_MSG), SRV_MAX_MSG);
		if (err)
			return err;
	}
	err = net_listen(s->l, (struct sockaddr *)&a, sizeof(a), &srv_ws_accept_ops, s, &lw);
	if (!err) {
		hc.tls = s->tls;
		err = http_server_new(&s->http, s->l, (struct sockaddr *)&a, sizeof(a), &hc);
	}
	if (err) {
		fprintf(stderr, "net_bench server: listen: %s\n", strerror(-err));
		return err;
	}
	hello->ws_port = net_listener_port(lw);
	hello->http_port = http_server_port(s->http);
	return 0;
}

/*
 * The steady state. Hot and not inlined: reached only from the child's side
 * of a fork and a noreturn function, it would otherwise be taken for
 * unlikely code and optimized for size (the message fill byte by byte).
 * Returns only on a loop error.
 */
static __attribute__((hot, noinline)) int srv_loop(struct srv *s)
{
	for (;;) {
		int err;

		for (int i = 0; i < SRV_SLOTS; i++)
			if (s->ws[i].streaming)
				ws_pump(&s->ws[i]);
		err = net_loop_run(s->l, s->open ? 0 : 5000000);
		if (err < 0)
			return err;
	}
}

static __attribute__((noreturn)) void srv_main(const struct nb_cfg *cfg,
					       const struct nb_certs *certs, int fd,
					       pid_t parent)
{
	static struct srv s;   /* big, and lives until the process ends */
	struct srv_hello hello = { 0 };
	int err;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	err = nb_pin(cfg->cpu[0]);
	if (!err)
		err = srv_setup(&s, cfg, certs, &hello);
	hello.err = err;
	if (write(fd, &hello, sizeof(hello)) != (ssize_t)sizeof(hello) || err)
		_exit(1);
	s.fd = fd;
	err = srv_loop(&s);
	fprintf(stderr, "net_bench server: loop: %s\n", strerror(-err));
	_exit(1);
}

/* Read exactly len bytes within timeout_s. 0, -ETIMEDOUT, -EPIPE or -errno. */
static int read_full(int fd, void *buf, size_t len, unsigned timeout_s)
{
	uint64_t deadline = nb_clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_s * 1000000000ull;
	size_t got = 0;

	while (got < len) {
		uint64_t now = nb_clock_ns(CLOCK_MONOTONIC);
		struct timeval tv;
		fd_set rd;
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		tv.tv_sec = (time_t)((deadline - now) / 1000000000ull);
		tv.tv_usec = (suseconds_t)((deadline - now) % 1000000000ull / 1000);
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!FD_ISSET(fd, &rd))
			continue;
		n = read(fd, (uint8_t *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

int nb_server_start(const struct nb_cfg *cfg, const struct nb_certs *certs,
		    struct nb_server *srv)
{
	struct srv_hello hello;
	pid_t parent = getpid();
	int pfd[2], err;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	srv->pid = fork();
	if (srv->pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (srv->pid == 0) {
		close(pfd[0]);
		srv_main(cfg, certs, pfd[1], parent);
	}
	nb_set_server_pid(srv->pid);
	close(pfd[1]);
	srv->res_fd = pfd[0];
	err = read_full(srv->res_fd, &hello, sizeof(hello), 10);
	if (!err && hello.err)
		err = hello.err;
	if (err) {
		nb_server_stop(srv);
		return err;
	}
	srv->ws_port = hello.ws_port;
	srv->http_port = hello.http_port;
	return 0;
}

int nb_server_ws_result(struct nb_server *s, unsigned timeout_s, struct nb_srv_ws *out)
{
	return read_full(s->res_fd, out, sizeof(*out), timeout_s);
}

void nb_server_drain(struct nb_server *s)
{
	struct nb_srv_ws stale;
	struct pollfd p = { .fd = s->res_fd, .events = POLLIN };

	while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) &&
	       read(s->res_fd, &stale, sizeof(stale)) == (ssize_t)sizeof(stale))
		;
}

void nb_server_stop(struct nb_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		nb_reap(s->pid);
	}
	nb_set_server_pid(0);
	s->pid = 0;
	if (s->res_fd > 0)
		close(s->res_fd);
	s->res_fd = -1;
}
