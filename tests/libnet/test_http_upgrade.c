/* SPDX-License-Identifier: MIT */
/*
 * WebSocket upgrades handed over by the HTTP server (http_sconn_detach,
 * ws_conn_accept_from, ws_conn_upgrade) on loopback, plain TCP: one server
 * port answers HTTP requests and serves WebSockets. Peers: libnet's own
 * ws_conn client, Debian's python3-websockets, and raw sockets in this
 * process for exact bytes (a frame in the same segment as the request, a
 * request in parts, refusals). The loop runs until a condition holds,
 * within an iteration budget; nothing sleeps to synchronise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "kimp/httpconn.h"
#include "kimp/wsconn.h"
#include "nettest.h"
#include "../testutil.h"

#define BUDGET 400000L  /* loop iterations of at most 1 ms each */
#define MAX_MSG 4096
#define NWS 4

#define RUN_UNTIL(l, cond)                                                     \
	do {                                                                   \
		for (long t_ = 0; t_ < BUDGET && !(cond); t_++)                \
			cr_assert_geq(net_loop_run((l), 1000000), 0);         \
	} while (0)

TestSuite(http_upgrade, .timeout = 120);

/* A valid upgrade request (RFC 6455's sample key). */
#define UPGRADE_REQ                                                             \
	"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"          \
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n\r\n"
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static struct net_loop *loop_new(void)
{
	struct net_loop_cfg lc = { .stage_size = WS_RX_BUF_MIN(MAX_MSG) };
	struct net_loop *l;

	cr_assert_eq(net_loop_new(&l, &lc), 0);
	return l;
}

/* ---- the server: HTTP routes, and /ws handed over to a pool of ws_conns ------- */

enum { R_WS, R_HELLO, R_LATE };

static const struct net_http_route routes[] = {
	[R_WS] = { "/ws", NET_HTTP_GET, false },
	[R_HELLO] = { "/hello", NET_HTTP_GET, false },
	[R_LATE] = { "/late", NET_HTTP_GET, false },
};

enum mode {
	M_UPGRADE = 0,  /* ws_conn_upgrade: the slot is released by the ws_conn */
	M_DETACH,       /* http_sconn_detach + ws_conn_accept_from, released by us */
};

struct app;

/* One server-side WebSocket. */
struct wsp {
	struct ws_conn w;
	struct app *a;
	struct http_sconn *sc;  /* M_DETACH: the slot to release */
	int open_err;
	bool opened, closed;
	unsigned close_code;
	unsigned got;
	char last[128];
};

struct app {
	struct http_server *srv;
	struct wsp ws[NWS];
	void *wsbuf[NWS];
	enum mode mode;
	int upgrade_err;        /* the last ws_conn_upgrade / detach result */
	int detach_again;       /* M_DETACH: a second detach of the same slot */
	unsigned upgrades;      /* handed over */
	size_t pre_len;         /* M_DETACH: what the detach handed */
	unsigned refuse_status; /* on_upgrade refuses with this, and a body */
	unsigned hello;         /* /hello served */
	struct http_sconn *late; /* /late, waiting */
	uint64_t late_serial;
};

static void wsp_release(struct wsp *p)
{
	if (p->sc) {
		http_sconn_release(p->sc);
		p->sc = NULL;
	}
}

static void wsp_open(struct ws_conn *w, int err)
{
	struct wsp *p = ws_conn_user(w);

	p->open_err = err;
	p->opened = true;
	if (err) {
		wsp_release(p); /* refused: no on_close follows */
		return;
	}
	cr_assert_eq(ws_conn_send(w, WS_OP_TEXT, "welcome", 7), 0);
}

static void wsp_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct wsp *p = ws_conn_user(w);
	char out[160];

	cr_assert_eq(opcode, WS_OP_TEXT);
	cr_assert_lt(len, sizeof(p->last));
	memcpy(p->last, data, len);
	p->last[len] = 0;
	p->got++;
	snprintf(out, sizeof(out), "echo:%s", p->last);
	cr_assert_eq(ws_conn_send(w, WS_OP_TEXT, out, strlen(out)), 0);
}

static void wsp_close(struct ws_conn *w, unsigned code, int err)
{
	struct wsp *p = ws_conn_user(w);

	(void)err;
	p->closed = true;
	p->close_code = code;
	wsp_release(p);
}

static unsigned wsp_upgrade(struct ws_conn *w, const struct ws_hs_request *req,
			    const char *head, size_t len)
{
	struct wsp *p = ws_conn_user(w);

	(void)head;
	(void)len;
	cr_assert_eq(req->path_len, 3);
	cr_assert_eq(memcmp(req->path, "/ws", 3), 0);
	if (!p->a->refuse_status)
		return 0;
	ws_conn_reject_body(w, "{\"error\":\"not you\"}");
	return p->a->refuse_status;
}

static const struct ws_conn_ops wsp_ops = { .on_open = wsp_open, .on_message = wsp_message,
					    .on_close = wsp_close, .on_upgrade = wsp_upgrade };

static struct wsp *wsp_free(struct app *a)
{
	for (int i = 0; i < NWS; i++) {
		struct wsp *p = &a->ws[i];

		if (p->w.state == WS_CONN_IDLE && !p->sc) {
			p->opened = p->closed = false;
			p->open_err = 0;
			p->close_code = 0;
			p->got = 0;
			p->last[0] = 0;
			return p;
		}
	}
	return NULL;
}

static void reply(struct http_sconn *sc, unsigned status, const char *body)
{
	struct net_http_reply *w = http_sconn_reply(sc, status, 0);

	cr_assert_not_null(w);
	net_http_reply_body(w, body, strlen(body));
}

static void on_request(struct http_sconn *sc, const struct net_http_parser *req, int route)
{
	struct app *a = http_server_user(http_sconn_server(sc));
	struct http_sconn_handover h;
	struct wsp *p;
	int err;

	(void)req;
	if (route == R_HELLO) {
		a->hello++;
		reply(sc, 200, "hello");
		return;
	}
	if (route == R_LATE) {
		a->late = sc;
		a->late_serial = http_sconn_serial(sc);
		return;
	}
	p = wsp_free(a);
	if (!p) {
		reply(sc, 503, "no ws");
		return;
	}
	if (a->mode == M_UPGRADE) {
		err = ws_conn_upgrade(&p->w, sc, &wsp_ops, p);
	} else {
		err = http_sconn_detach(sc, &h, NULL, NULL);
		if (!err) {
			struct http_sconn_handover h2;

			a->pre_len = h.pre_len;
			a->detach_again = http_sconn_detach(sc, &h2, NULL, NULL);
			p->sc = sc;
			cr_assert_eq(ws_conn_accept_from(&p->w, h.conn, h.pre, h.pre_len, &wsp_ops,
							 p), 0);
		}
	}
	a->upgrade_err = err;
	if (err) {
		reply(sc, 501, "no upgrade here");
		return;
	}
	a->upgrades++;
	/* the slot is out of the HTTP business now */
	cr_assert_null(http_sconn_reply(sc, 200, 0));
	cr_assert_eq(http_sconn_send(sc), -ENOTCONN);
	http_sconn_close(sc); /* nothing happens */
}

static int sclosed;

static void on_sclose(struct http_sconn *sc, int err)
{
	(void)sc;
	(void)err;
	sclosed++;
}

static const struct http_server_ops app_ops = { .on_request = on_request,
						.on_close = on_sclose };

static struct app *app_start_rx(struct net_loop *l, struct net_tls_ctx *tls,
				uint32_t max_conns, enum mode mode, uint32_t rx_cap)
{
	struct app *a = calloc(1, sizeof(*a));
	struct http_server_cfg cfg = { .tls = tls, .max_conns = max_conns, .routes = routes,
				       .nroutes = KIMP_ARRAY_SIZE(routes), .ops = &app_ops,
				       .linger_ns = 20000000ull, .rx_cap = rx_cap };
	struct sockaddr_in sa = test_lo(0);

	cr_assert_not_null(a);
	a->mode = mode;
	cfg.user = a;
	for (int i = 0; i < NWS; i++) {
		a->wsbuf[i] = malloc(WS_CONN_BUF_SIZE(MAX_MSG));
		cr_assert_not_null(a->wsbuf[i]);
		cr_assert_eq(ws_conn_init(&a->ws[i].w, WS_SERVER, NULL, a->wsbuf[i],
					  WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG), 0);
		a->ws[i].a = a;
	}
	sclosed = 0;
	cr_assert_eq(http_server_new(&a->srv, l, (struct sockaddr *)&sa, sizeof(sa), &cfg), 0);
	return a;
}

static struct app *app_start(struct net_loop *l, struct net_tls_ctx *tls, uint32_t max_conns,
			     enum mode mode)
{
	return app_start_rx(l, tls, max_conns, mode, 0);
}

static void app_free(struct net_loop *l, struct app *a)
{
	http_server_stop(a->srv);
	RUN_UNTIL(l, http_server_idle(a->srv));
	cr_assert(http_server_idle(a->srv));
	http_server_free(a->srv);
	for (int i = 0; i < NWS; i++)
		free(a->wsbuf[i]);
	free(a);
}

/* ---- our WebSocket client ------------------------------------------------------------ */

struct wcl {
	struct ws_conn w;
	void *buf;
	int open_err;
	bool opened, closed;
	unsigned close_code;
	unsigned got;
	char msg[8][128];
};

static void wcl_open(struct ws_conn *w, int err)
{
	struct wcl *c = ws_conn_user(w);

	c->open_err = err;
	c->opened = true;
}

static void wcl_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct wcl *c = ws_conn_user(w);

	cr_assert_eq(opcode, WS_OP_TEXT);
	cr_assert_lt(len, sizeof(c->msg[0]));
	if (c->got < 8) {
		memcpy(c->msg[c->got], data, len);
		c->msg[c->got][len] = 0;
	}
	c->got++;
}

static void wcl_close(struct ws_conn *w, unsigned code, int err)
{
	struct wcl *c = ws_conn_user(w);

	(void)err;
	c->closed = true;
	c->close_code = code;
}

static const struct ws_conn_ops wcl_ops = { .on_open = wcl_open, .on_message = wcl_message,
					    .on_close = wcl_close };

static struct wcl *wcl_connect(struct net_loop *l, struct net_tls_ctx *tls, uint16_t port)
{
	struct wcl *c = calloc(1, sizeof(*c));
	struct sockaddr_in a = test_lo(port);

	cr_assert_not_null(c);
	c->buf = malloc(WS_CONN_BUF_SIZE(MAX_MSG));
	cr_assert_not_null(c->buf);
	cr_assert_eq(ws_conn_init(&c->w, WS_CLIENT, tls, c->buf, WS_CONN_BUF_SIZE(MAX_MSG),
				  MAX_MSG), 0);
	cr_assert_eq(ws_conn_connect(l, &c->w, tls ? "localhost" : "127.0.0.1", port,
				     (struct sockaddr *)&a, sizeof(a), "/ws", NULL, 1000000000ull,
				     &wcl_ops, c), 0);
	RUN_UNTIL(l, c->opened);
	cr_assert(c->opened);
	return c;
}

static void wcl_free(struct wcl *c)
{
	free(c->buf);
	free(c);
}

/* ---- raw sockets ------------------------------------------------------------------- */

static int raw_connect(uint16_t port)
{
	struct sockaddr_in a = test_lo(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static void raw_send(int fd, const void *buf, size_t len)
{
	/* small writes to loopback: the socket buffer takes them whole */
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void raw_sends(int fd, const char *s)
{
	raw_send(fd, s, strlen(s));
}

struct rbuf {
	char p[8192];
	size_t len;
	bool eof;
};

static void raw_pull(int fd, struct rbuf *b)
{
	while (!b->eof && b->len < sizeof(b->p) - 1) {
		ssize_t n = recv(fd, b->p + b->len, sizeof(b->p) - 1 - b->len, MSG_DONTWAIT);

		if (n > 0) {
			b->len += (size_t)n;
			b->p[b->len] = 0;
		} else if (n == 0 || errno != EAGAIN) {
			b->eof = true; /* EOF, or a reset */
		} else {
			return;
		}
	}
}

/* Run until the raw peer saw 'want' in what it read (or EOF). */
static void raw_wait_for(struct net_loop *l, int fd, struct rbuf *b, const char *want)
{
	RUN_UNTIL(l, (raw_pull(fd, b), memmem(b->p, b->len, want, strlen(want)) || b->eof));
	cr_assert_not_null(memmem(b->p, b->len, want, strlen(want)), "'%s' in '%s'", want, b->p);
}

static void raw_wait_eof(struct net_loop *l, int fd, struct rbuf *b)
{
	RUN_UNTIL(l, (raw_pull(fd, b), b->eof));
	cr_assert(b->eof, "the server closed");
}

/* A masked client text frame (payload under 126 bytes). */
static size_t frame(uint8_t *dst, const char *text)
{
	static const uint8_t m[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t n = strlen(text);

	cr_assert_lt(n, 126);
	dst[0] = 0x81;
	dst[1] = (uint8_t)(0x80 | n);
	memcpy(dst + 2, m, 4);
	for (size_t i = 0; i < n; i++)
		dst[6 + i] = (uint8_t)text[i] ^ m[i % 4];
	return 6 + n;
}

/* The unmasked server text frame 'text' as it appears on the wire. */
static bool has_server_frame(const struct rbuf *b, const char *text)
{
	char want[160];
	size_t n = strlen(text);

	want[0] = (char)0x81;
	want[1] = (char)n;
	memcpy(want + 2, text, n);
	return memmem(b->p, b->len, want, n + 2) != NULL;
}

static void raw_wait_frame(struct net_loop *l, int fd, struct rbuf *b, const char *text)
{
	RUN_UNTIL(l, (raw_pull(fd, b), has_server_frame(b, text) || b->eof));
	cr_assert(has_server_frame(b, text), "frame '%s' came", text);
}

/* A whole HTTP exchange on a fresh raw connection: GET path, read to EOF. */
static void raw_get(struct net_loop *l, uint16_t port, const char *path, struct rbuf *b)
{
	char req[256];
	int fd = raw_connect(port);

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 path);
	memset(b, 0, sizeof(*b));
	raw_send(fd, req, strlen(req));
	raw_wait_eof(l, fd, b);
	close(fd);
}

/* ---- ours against ours ---------------------------------------------------------------- */

/*
 * A ws_conn client upgrades at /ws on the HTTP server's port; messages go
 * both ways (the server's welcome, the client's texts echoed); HTTP on
 * other connections of the same server is served all the while; the
 * client's close 1000 reaches the server's ws_conn, and the slot goes back
 * to the server with no on_close for it.
 */
Test(http_upgrade, ours_both_ways_while_http_goes_on)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_UPGRADE);
	uint16_t port = http_server_port(a->srv);
	struct rbuf b;
	struct wcl *c = wcl_connect(l, NULL, port);
	struct wsp *p = &a->ws[0];
	int fd;

	cr_assert_eq(c->open_err, 0, "open: %s", strerror(-c->open_err));
	cr_assert_eq(a->upgrade_err, 0);
	cr_assert_eq(a->upgrades, 1);
	cr_assert(p->opened && !p->open_err);
	cr_assert_eq(http_server_stats(a->srv)->detached, 1);
	RUN_UNTIL(l, c->got == 1);
	cr_assert_str_eq(c->msg[0], "welcome");

	/* HTTP on another connection, and a keep-alive one with two requests */
	raw_get(l, port, "/hello", &b);
	cr_assert(!strncmp(b.p, "HTTP/1.1 200", 12), "%s", b.p);
	cr_assert_not_null(strstr(b.p, "\r\n\r\nhello"));
	fd = raw_connect(port);
	memset(&b, 0, sizeof(b));
	raw_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");

	cr_assert_eq(ws_conn_send(&c->w, WS_OP_TEXT, "one", 3), 0);
	cr_assert_eq(ws_conn_send(&c->w, WS_OP_TEXT, "two", 3), 0);
	RUN_UNTIL(l, c->got == 3);
	cr_assert_eq(c->got, 3);
	cr_assert_str_eq(c->msg[1], "echo:one");
	cr_assert_str_eq(c->msg[2], "echo:two");
	cr_assert_eq(p->got, 2);

	raw_wait_for(l, fd, &b, "hello");
	raw_sends(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	raw_wait_eof(l, fd, &b);
	cr_assert_not_null(strstr(strstr(b.p, "hello") + 5, "hello"), "two replies: %s", b.p);
	close(fd);
	cr_assert_eq(a->hello, 3);

	/* the WebSocket again, after the HTTP traffic */
	cr_assert_eq(ws_conn_send(&c->w, WS_OP_TEXT, "three", 5), 0);
	RUN_UNTIL(l, c->got == 4);
	cr_assert_str_eq(c->msg[3], "echo:three");

	RUN_UNTIL(l, sclosed == 2);
	cr_assert_eq(sclosed, 2, "on_close for the two HTTP connections");
	cr_assert(!http_server_idle(a->srv), "the handed-over slot is still taken");
	ws_conn_close(&c->w, WS_CLOSE_NORMAL);
	RUN_UNTIL(l, c->closed && p->closed && http_server_idle(a->srv));
	cr_assert(c->closed && p->closed);
	cr_assert_eq(p->close_code, WS_CLOSE_NORMAL);
	cr_assert_eq(c->close_code, WS_CLOSE_NORMAL);
	cr_assert(http_server_idle(a->srv), "the slot came back");
	cr_assert_eq(sclosed, 2, "no on_close for the handed-over connection");
	cr_assert_eq(http_server_stats(a->srv)->requests, 4);
	app_free(l, a);
	wcl_free(c);
	net_loop_free(l);
}

/* ---- Debian's python3-websockets as the client --------------------------------------- */

static const char py_client[] =
	"import asyncio, sys, urllib.request, websockets\n"
	"port = sys.argv[1]\n"
	"def get():\n"
	"    return urllib.request.urlopen('http://127.0.0.1:%s/hello' % port, timeout=30).read()\n"
	"async def main():\n"
	"    async with websockets.connect('ws://127.0.0.1:%s/ws' % port, ping_interval=None) as ws:\n"
	"        assert await ws.recv() == 'welcome'\n"
	"        for i in range(20):\n"
	"            m = 'py %d' % i\n"
	"            await ws.send(m)\n"
	"            assert await ws.recv() == 'echo:' + m, i\n"
	"            if i == 10:\n"
	"                body = await asyncio.get_running_loop().run_in_executor(None, get)\n"
	"                assert body == b'hello', body\n"
	"        await ws.close(1000)\n"
	"        assert ws.close_code == 1000, ws.close_code\n"
	"asyncio.run(main())\n";

Test(http_upgrade, python_websockets_client)
{
	struct net_loop *l;
	struct app *a;
	char ps[8];
	pid_t pid, w = 0;
	int st = 0;

	if (access("/usr/bin/python3", X_OK) ||
	    system("/usr/bin/python3 -c 'import websockets' 2>/dev/null"))
		cr_skip_test("python3-websockets is not installed for /usr/bin/python3");
	l = loop_new();
	a = app_start(l, NULL, 4, M_UPGRADE);
	snprintf(ps, sizeof(ps), "%u", http_server_port(a->srv));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", py_client, ps, (char *)NULL);
		_exit(127);
	}
	RUN_UNTIL(l, (w = waitpid(pid, &st, WNOHANG)) == pid);
	if (w != pid) {
		kill(pid, SIGKILL);
		test_wait_child(pid);
		cr_assert_fail("python did not finish");
	}
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "python checked every echo (%d)", st);
	RUN_UNTIL(l, a->ws[0].closed && http_server_idle(a->srv));
	cr_assert_eq(a->upgrades, 1);
	cr_assert_eq(a->ws[0].got, 20);
	cr_assert_eq(a->ws[0].close_code, WS_CLOSE_NORMAL);
	cr_assert_eq(a->hello, 1, "HTTP served while the WebSocket was open");
	cr_assert(http_server_idle(a->srv));
	app_free(l, a);
	net_loop_free(l);
}

/* ---- refusals ------------------------------------------------------------------------- */

/*
 * Bad upgrades get ws_conn_accept's refusals, with Connection: close and
 * the connection closed: no Sec-WebSocket-Key → 400, a wrong version → 426
 * naming 13, on_upgrade saying no → its status and body. The server's
 * ws_conn hears on_open(-EPROTO / -EPERM), and every slot comes back.
 */
Test(http_upgrade, bad_upgrades_are_refused)
{
	static const char *const reqs[] = {
		"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
		UPGRADE_REQ,
	};
	static const char *const want[] = {
		"HTTP/1.1 400 Bad Request\r\n",
		"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n",
		"HTTP/1.1 403 Forbidden\r\n",
	};
	static const int errs[] = { -EPROTO, -EPROTO, -EPERM };
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_UPGRADE);
	struct rbuf b;

	for (int i = 0; i < 3; i++) {
		int fd = raw_connect(http_server_port(a->srv));

		a->refuse_status = i == 2 ? 403 : 0;
		memset(&b, 0, sizeof(b));
		raw_send(fd, reqs[i], strlen(reqs[i]));
		raw_wait_eof(l, fd, &b);
		cr_assert(!strncmp(b.p, want[i], strlen(want[i])), "%d: %s", i, b.p);
		cr_assert_not_null(strstr(b.p, "Connection: close\r\n"), "%s", b.p);
		if (i == 2)
			cr_assert_not_null(strstr(b.p, "\r\n\r\n{\"error\":\"not you\"}"), "%s", b.p);
		else
			cr_assert_not_null(strstr(b.p, "Content-Length: 0\r\n"), "%s", b.p);
		cr_assert_null(strstr(b.p, "101"), "no switch: %s", b.p);
		RUN_UNTIL(l, http_server_idle(a->srv));
		cr_assert(http_server_idle(a->srv), "%d: the slot came back", i);
		cr_assert(a->ws[0].opened);
		cr_assert_eq(a->ws[0].open_err, errs[i], "%d: %d", i, a->ws[0].open_err);
		cr_assert(!a->ws[0].closed, "no on_close after a refusal");
		close(fd);
	}
	cr_assert_eq(a->upgrades, 3);
	cr_assert_eq(sclosed, 0);
	app_free(l, a);
	net_loop_free(l);
}

/* ---- bytes behind the request ------------------------------------------------------------ */

/*
 * The client's first frame in the same send as the upgrade request (one
 * segment on loopback): it reaches the WebSocket, once. With
 * http_sconn_detach itself, pre holds the request and the frame; a second
 * detach of the same slot is refused; the slot is released by hand.
 */
Test(http_upgrade, first_frame_in_the_same_segment)
{
	struct net_loop *l = loop_new();
	uint8_t buf[512];
	size_t rl = strlen(UPGRADE_REQ), fl;
	struct rbuf b;

	for (int m = M_UPGRADE; m <= M_DETACH; m++) {
		struct app *a = app_start(l, NULL, 4, (enum mode)m);
		int fd = raw_connect(http_server_port(a->srv));

		memcpy(buf, UPGRADE_REQ, rl);
		fl = frame(buf + rl, "first");
		memset(&b, 0, sizeof(b));
		raw_send(fd, buf, rl + fl);
		raw_wait_frame(l, fd, &b, "echo:first");
		cr_assert(!strncmp(b.p, "HTTP/1.1 101 Switching Protocols\r\n", 34), "%s", b.p);
		cr_assert_not_null(strstr(b.p, "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"));
		cr_assert(has_server_frame(&b, "welcome"));
		cr_assert_eq(a->ws[0].got, 1, "the frame came once");
		cr_assert_str_eq(a->ws[0].last, "first");
		if (m == M_DETACH) {
			cr_assert_eq(a->pre_len, rl + fl, "pre: the request and the frame");
			cr_assert_eq(a->detach_again, -EINVAL);
		}
		/* and the connection goes on */
		fl = frame(buf, "second");
		raw_send(fd, buf, fl);
		raw_wait_frame(l, fd, &b, "echo:second");
		close(fd);
		RUN_UNTIL(l, a->ws[0].closed && http_server_idle(a->srv));
		cr_assert_eq(a->ws[0].close_code, WS_CLOSE_ABNORMAL, "TCP just went");
		cr_assert(http_server_idle(a->srv), "released");
		app_free(l, a);
	}
	net_loop_free(l);
}

/*
 * The request in two arrivals (its start waits in the slot's receive
 * buffer; the hand-over comes from there), with a frame behind its end; and
 * a frame cut in two: its first half behind the request, carried by the
 * ws_conn until the rest comes.
 */
Test(http_upgrade, request_and_frame_in_parts)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_UPGRADE);
	uint8_t buf[512];
	size_t rl = strlen(UPGRADE_REQ), fl;
	uint64_t rx;
	struct rbuf b;
	int fd = raw_connect(http_server_port(a->srv));

	/* the request in parts, a frame behind the second */
	rx = net_loop_stats(l)->rx_bytes;
	raw_send(fd, UPGRADE_REQ, 40);
	RUN_UNTIL(l, net_loop_stats(l)->rx_bytes >= rx + 40);
	cr_assert_eq(net_loop_stats(l)->rx_bytes, rx + 40, "the server read the first part");
	memcpy(buf, UPGRADE_REQ + 40, rl - 40);
	fl = frame(buf + rl - 40, "behind the rest");
	memset(&b, 0, sizeof(b));
	raw_send(fd, buf, rl - 40 + fl);
	raw_wait_frame(l, fd, &b, "echo:behind the rest");
	cr_assert(!strncmp(b.p, "HTTP/1.1 101 ", 13), "%s", b.p);
	cr_assert_eq(a->ws[0].got, 1);
	close(fd);
	RUN_UNTIL(l, a->ws[0].closed && http_server_idle(a->srv));

	/* a frame cut in two: half of it with the request */
	fd = raw_connect(http_server_port(a->srv));
	memcpy(buf, UPGRADE_REQ, rl);
	fl = frame(buf + rl, "cut in two");
	memset(&b, 0, sizeof(b));
	raw_send(fd, buf, rl + 5);
	raw_wait_frame(l, fd, &b, "welcome");
	cr_assert_eq(a->ws[0].got, 0, "half a frame is no message");
	raw_send(fd, buf + rl + 5, fl - 5);
	raw_wait_frame(l, fd, &b, "echo:cut in two");
	cr_assert_eq(a->ws[0].got, 1);
	/* then a frame in two arrivals, through the loop's staging as usual */
	fl = frame(buf, "after");
	rx = net_loop_stats(l)->rx_bytes;
	raw_send(fd, buf, 1);
	RUN_UNTIL(l, net_loop_stats(l)->rx_bytes >= rx + 1);
	raw_send(fd, buf + 1, fl - 1);
	raw_wait_frame(l, fd, &b, "echo:after");
	cr_assert_eq(a->ws[0].got, 2);
	close(fd);
	RUN_UNTIL(l, a->ws[0].closed && http_server_idle(a->srv));
	cr_assert(http_server_idle(a->srv));
	app_free(l, a);
	net_loop_free(l);
}

/*
 * A receive buffer of 300 bytes: the request's start waits in it, and the
 * arrival that ends the request brings frames beyond its room. What fit
 * goes with the hand-over; the rest the loop keeps for the WebSocket and
 * hands it over with the next arrival: every frame once, in order.
 */
Test(http_upgrade, bytes_beyond_the_receive_buffer_follow)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start_rx(l, NULL, 4, M_UPGRADE, 300);
	static const char *const texts[] = {
		"frame 0 ..................................................",
		"frame 1 ..................................................",
		"frame 2 ..................................................",
		"frame 3 ..................................................",
		"last",
	};
	uint8_t buf[1024];
	size_t rl = strlen(UPGRADE_REQ), n;
	const char *prev = NULL;
	uint64_t rx;
	struct rbuf b;
	int fd = raw_connect(http_server_port(a->srv));

	rx = net_loop_stats(l)->rx_bytes;
	raw_send(fd, UPGRADE_REQ, 40);
	RUN_UNTIL(l, net_loop_stats(l)->rx_bytes >= rx + 40);
	memcpy(buf, UPGRADE_REQ + 40, rl - 40);
	n = rl - 40;
	for (int i = 0; i < 4; i++)
		n += frame(buf + n, texts[i]);
	cr_assert_gt(40 + n, 300, "more than the receive buffer holds");
	memset(&b, 0, sizeof(b));
	raw_send(fd, buf, n);
	raw_wait_frame(l, fd, &b, "echo:frame 1 ..................................................");
	cr_assert(!strncmp(b.p, "HTTP/1.1 101 ", 13), "%s", b.p);
	n = frame(buf, texts[4]);
	raw_send(fd, buf, n);
	raw_wait_frame(l, fd, &b, "echo:last");
	cr_assert_eq(a->ws[0].got, 5, "every frame once");
	for (int i = 0; i < 5; i++) {
		char e[96];
		const char *at;

		snprintf(e, sizeof(e), "echo:%s", texts[i]);
		at = memmem(b.p, b.len, e, strlen(e));
		cr_assert_not_null(at, "%s", e);
		cr_assert(!prev || at > prev, "in order: %s", e);
		prev = at;
	}
	close(fd);
	RUN_UNTIL(l, a->ws[0].closed && http_server_idle(a->srv));
	cr_assert(http_server_idle(a->srv));
	app_free(l, a);
	net_loop_free(l);
}

/* ---- slots --------------------------------------------------------------------------------- */

/*
 * max_conns 2: a WebSocket and an HTTP connection fill the server (a third
 * connection is refused); once the WebSocket closes its slot takes a new
 * connection.
 */
Test(http_upgrade, max_conns_counts_a_handed_over_connection)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 2, M_UPGRADE);
	uint16_t port = http_server_port(a->srv);
	struct wcl *c = wcl_connect(l, NULL, port);
	struct rbuf b1, b2;
	int fd1, fd2;

	cr_assert_eq(c->open_err, 0);
	/* slot 2 of 2: served */
	fd1 = raw_connect(port);
	memset(&b1, 0, sizeof(b1));
	raw_sends(fd1, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_wait_for(l, fd1, &b1, "hello");
	/* a third: refused, closed at once */
	fd2 = raw_connect(port);
	memset(&b2, 0, sizeof(b2));
	raw_wait_eof(l, fd2, &b2);
	cr_assert_eq(b2.len, 0);
	cr_assert_eq(http_server_stats(a->srv)->refused, 1);
	close(fd2);
	/* the WebSocket goes: its slot is free for the next one */
	ws_conn_close(&c->w, WS_CLOSE_NORMAL);
	RUN_UNTIL(l, c->closed && a->ws[0].closed);
	cr_assert(c->closed && a->ws[0].closed);
	raw_get(l, port, "/hello", &b2);
	cr_assert(!strncmp(b2.p, "HTTP/1.1 200", 12), "%s", b2.p);
	cr_assert_eq(http_server_stats(a->srv)->refused, 1);
	close(fd1);
	app_free(l, a);
	wcl_free(c);
	net_loop_free(l);
}

/* http_server_stop with a WebSocket open: a 1001 close, then TCP goes. */
Test(http_upgrade, stop_closes_an_open_websocket)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_UPGRADE);
	struct wcl *c = wcl_connect(l, NULL, http_server_port(a->srv));

	cr_assert_eq(c->open_err, 0);
	RUN_UNTIL(l, c->got == 1);
	http_server_stop(a->srv);
	RUN_UNTIL(l, c->closed && a->ws[0].closed && http_server_idle(a->srv));
	cr_assert(c->closed && a->ws[0].closed);
	cr_assert_eq(c->close_code, WS_CLOSE_GOING_AWAY, "the client heard 1001");
	cr_assert_eq(a->ws[0].close_code, WS_CLOSE_GOING_AWAY);
	cr_assert(http_server_idle(a->srv));
	app_free(l, a);
	wcl_free(c);
	net_loop_free(l);
}

/* Stop with a connection handed over by hand (no stop hook): net_close. */
Test(http_upgrade, stop_closes_a_detached_connection_without_hook)
{
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_DETACH);
	struct wcl *c = wcl_connect(l, NULL, http_server_port(a->srv));

	cr_assert_eq(c->open_err, 0);
	RUN_UNTIL(l, c->got == 1);
	http_server_stop(a->srv);
	RUN_UNTIL(l, c->closed && a->ws[0].closed && http_server_idle(a->srv));
	cr_assert(c->closed && a->ws[0].closed);
	cr_assert_eq(a->ws[0].close_code, WS_CLOSE_ABNORMAL, "TCP closed under it");
	cr_assert(http_server_idle(a->srv));
	app_free(l, a);
	wcl_free(c);
	net_loop_free(l);
}

/* ---- what cannot be handed over ------------------------------------------------------------ */

/*
 * A TLS server cannot hand a connection over: -EOPNOTSUPP, nothing changes,
 * on_request answers as usual (here 501), and the client's upgrade fails.
 */
Test(http_upgrade, tls_server_refuses_the_hand_over)
{
	struct certs certs;
	struct net_tls_ctx *cc, *sc;
	struct net_loop *l;
	struct app *a;
	struct wcl *c;

	certs_make(&certs);
	cc = certs_tls_client(&certs);
	sc = certs_tls_server(&certs);
	l = loop_new();
	a = app_start(l, sc, 4, M_UPGRADE);
	c = wcl_connect(l, cc, http_server_port(a->srv));
	cr_assert_eq(c->open_err, -EPROTO, "not switched");
	cr_assert_eq(a->upgrade_err, -EOPNOTSUPP);
	cr_assert_eq(a->upgrades, 0);
	cr_assert(!a->ws[0].opened, "the ws_conn took nothing");
	cr_assert_eq(a->ws[0].w.state, WS_CONN_IDLE);
	app_free(l, a);
	wcl_free(c);
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	net_tls_ctx_destroy(sc);
	certs_free(&certs);
}

/*
 * Misuse: a late reply's request cannot be handed over (-EINVAL) and stays
 * answerable; release of a slot not handed over does nothing; ws_conn_upgrade
 * and ws_conn_accept_from refuse a client ws_conn (-EINVAL), a TLS one
 * (-EOPNOTSUPP), pre NULL with a length (-EINVAL).
 */
Test(http_upgrade, misuse_is_refused)
{
	struct certs certs;
	struct net_tls_ctx *tc;
	struct net_loop *l = loop_new();
	struct app *a = app_start(l, NULL, 4, M_UPGRADE);
	struct http_sconn_handover h;
	struct ws_conn cw, tw;
	void *cbuf = malloc(WS_CONN_BUF_SIZE(MAX_MSG)), *tbuf = malloc(WS_CONN_BUF_SIZE(MAX_MSG));
	struct rbuf b;
	uint8_t pre[4] = { 'G', 'E', 'T', ' ' };
	int fd = raw_connect(http_server_port(a->srv));

	cr_assert(cbuf && tbuf);
	memset(&b, 0, sizeof(b));
	raw_sends(fd, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
	RUN_UNTIL(l, a->late);
	cr_assert_not_null(a->late);
	cr_assert_eq(http_sconn_detach(a->late, &h, NULL, NULL), -EINVAL, "not in on_request");
	cr_assert_eq(ws_conn_upgrade(&a->ws[0].w, a->late, &wsp_ops, &a->ws[0]), -EINVAL);
	cr_assert_eq(a->ws[0].w.state, WS_CONN_IDLE);
	http_sconn_release(a->late); /* not handed over: nothing happens */
	cr_assert_eq(http_sconn_serial(a->late), a->late_serial);
	reply(a->late, 200, "late");
	cr_assert_eq(http_sconn_send(a->late), 0);
	raw_wait_for(l, fd, &b, "late");
	cr_assert(!strncmp(b.p, "HTTP/1.1 200", 12), "%s", b.p);
	close(fd);

	cr_assert_eq(ws_conn_init(&cw, WS_CLIENT, NULL, cbuf, WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG),
		     0);
	cr_assert_eq(ws_conn_upgrade(&cw, a->late, &wsp_ops, NULL), -EINVAL);
	cr_assert_eq(ws_conn_accept_from(&cw, NULL, pre, 4, &wsp_ops, NULL), -EINVAL);
	cr_assert_eq(ws_conn_accept_from(&a->ws[0].w, NULL, NULL, 4, &wsp_ops, NULL), -EINVAL);
	certs_make(&certs);
	tc = certs_tls_server(&certs);
	cr_assert_eq(ws_conn_init(&tw, WS_SERVER, tc, tbuf, WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG),
		     0);
	cr_assert_eq(ws_conn_upgrade(&tw, a->late, &wsp_ops, NULL), -EOPNOTSUPP);
	cr_assert_eq(ws_conn_accept_from(&tw, NULL, pre, 4, &wsp_ops, NULL), -EOPNOTSUPP);
	app_free(l, a);
	net_loop_free(l);
	net_tls_ctx_destroy(tc);
	certs_free(&certs);
	free(cbuf);
	free(tbuf);
}

/* ---- ws_conn_accept_from on its own: a partial request in pre -------------------------------- */

#define SMALL_MSG 256   /* carry: WS_RX_BUF_MIN(256) = 270 bytes */

struct lone {
	struct wsp p;
	uint8_t pre[512];
	size_t pre_len;
	int err;
};

static void lone_accept(struct net_conn *c, int err)
{
	struct lone *o = net_conn_user(c);

	cr_assert_eq(err, 0);
	o->err = ws_conn_accept_from(&o->p.w, c, o->pre, o->pre_len, &wsp_ops, &o->p);
}

static const struct net_conn_ops lone_ops = { .on_open = lone_accept };

static struct lone *lone_new(struct net_loop *l, struct app *dummy, uint16_t *port,
			     struct net_listener **ls, void *buf)
{
	struct lone *o = calloc(1, sizeof(*o));
	struct sockaddr_in sa = test_lo(0);

	cr_assert_not_null(o);
	o->p.a = dummy;
	o->err = 1;
	cr_assert_eq(ws_conn_init(&o->p.w, WS_SERVER, NULL, buf, WS_CONN_BUF_SIZE(SMALL_MSG),
				  SMALL_MSG), 0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&sa, sizeof(sa), &lone_ops, o, ls), 0);
	*port = net_listener_port(*ls);
	return o;
}

/*
 * pre holds only the start of the request: the ws_conn carries it and the
 * rest completes it (101, and a frame behind it delivered); a start longer
 * than the carry, or a carried start that the next bytes overflow, is
 * refused 400.
 */
Test(http_upgrade, accept_from_with_a_partial_request)
{
	struct net_loop *l = loop_new();
	struct app dummy = { 0 };
	void *buf = malloc(WS_CONN_BUF_SIZE(SMALL_MSG));
	struct net_listener *ls;
	uint16_t port;
	struct lone *o;
	uint8_t f[64];
	char junk[300];
	size_t rl = strlen(UPGRADE_REQ), fl;
	struct rbuf b;
	int fd;

	cr_assert_not_null(buf);
	o = lone_new(l, &dummy, &port, &ls, buf);

	/* 1: the first 50 bytes were read by someone else */
	memcpy(o->pre, UPGRADE_REQ, 50);
	o->pre_len = 50;
	fd = raw_connect(port);
	RUN_UNTIL(l, o->err != 1);
	cr_assert_eq(o->err, 0);
	cr_assert(!o->p.opened, "waiting for the rest");
	fl = frame(f, "after the head");
	memset(&b, 0, sizeof(b));
	raw_send(fd, UPGRADE_REQ + 50, rl - 50);
	raw_send(fd, f, fl);
	raw_wait_frame(l, fd, &b, "echo:after the head");
	cr_assert(!strncmp(b.p, "HTTP/1.1 101 ", 13), "%s", b.p);
	cr_assert_not_null(strstr(b.p, SAMPLE_ACCEPT));
	cr_assert_eq(o->p.got, 1);
	close(fd);
	RUN_UNTIL(l, o->p.closed);
	cr_assert(o->p.closed);

	/* 2: a start longer than the carry: 400 at once */
	memset(junk, 'a', sizeof(junk));
	memcpy(o->pre, "GET /ws HTTP/1.1\r\nX-Pad: ", 25);
	memcpy(o->pre + 25, junk, 275);
	o->pre_len = 300;
	o->err = 1;
	o->p.opened = o->p.closed = false;
	o->p.open_err = 0;
	fd = raw_connect(port);
	memset(&b, 0, sizeof(b));
	raw_wait_eof(l, fd, &b);
	cr_assert_eq(o->err, 0);
	cr_assert(!strncmp(b.p, "HTTP/1.1 400 ", 13), "%s", b.p);
	cr_assert_eq(o->p.open_err, -EPROTO);
	close(fd);
	RUN_UNTIL(l, o->p.w.state == WS_CONN_IDLE);

	/* 3: a start that fits, and more that does not end the head */
	o->pre_len = 200;
	o->err = 1;
	o->p.opened = false;
	o->p.open_err = 0;
	fd = raw_connect(port);
	RUN_UNTIL(l, o->err != 1);
	cr_assert_eq(o->err, 0);
	cr_assert(!o->p.opened);
	memset(&b, 0, sizeof(b));
	raw_send(fd, junk, 100);
	raw_wait_eof(l, fd, &b);
	cr_assert(!strncmp(b.p, "HTTP/1.1 400 ", 13), "%s", b.p);
	cr_assert_eq(o->p.open_err, -EPROTO);
	close(fd);
	RUN_UNTIL(l, o->p.w.state == WS_CONN_IDLE);

	net_listener_close(ls);
	net_loop_free(l);
	free(o);
	free(buf);
}
