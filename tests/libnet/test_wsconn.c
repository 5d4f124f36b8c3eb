/* SPDX-License-Identifier: MIT */
/*
 * WebSocket connections over TLS on loopback: ours against ours, against
 * Debian's python3-websockets as server and as client, and a raw TLS peer
 * that breaks the protocol. The loop runs until a condition holds; nothing
 * sleeps to synchronise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include "kimp/wsconn.h"
#include "nettest.h"
#include "../testutil.h"

#define MAX_MSG (64 * 1024)

static struct certs certs;
/* Connection buffers, freed by the suite's fini. */
static void *bufs[4];
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

TestSuite(wsconn, .init = setup, .fini = teardown, .timeout = 120);

static void *conn_buf(void)
{
	void *p = malloc(WS_CONN_BUF_SIZE(MAX_MSG));

	cr_assert_not_null(p);
	cr_assert_lt(nbufs, 4);
	bufs[nbufs++] = p;
	return p;
}

/* ---- a client that sends messages and checks their echo ----------------------- */

struct peer {
	struct ws_conn w;
	int open_err;
	bool opened, closed;
	unsigned close_code;
	uint32_t sent, got, want;
	bool echo;               /* echo what arrives instead of checking it */
	unsigned seed;
	uint8_t msg[MAX_MSG];
};

static size_t msg_len(uint32_t i)
{
	return 1 + (i * 7919u) % 60000u;
}

static void msg_fill(uint8_t *p, uint32_t i, size_t n)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(i * 31u + k);
}

static void p_open(struct ws_conn *w, int err)
{
	struct peer *p = ws_conn_user(w);

	p->open_err = err;
	p->opened = true;
}

static void p_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct peer *p = ws_conn_user(w);

	if (p->echo) {
		cr_assert_eq(ws_conn_send(w, opcode, data, len), 0);
		p->got++;
		return;
	}
	cr_assert_eq(opcode, WS_OP_BINARY);
	cr_assert_eq(len, msg_len(p->got), "message %u length", p->got);
	msg_fill(p->msg, p->got, len);
	cr_assert_eq(memcmp(data, p->msg, len), 0, "message %u content", p->got);
	p->got++;
}

static void p_close(struct ws_conn *w, unsigned code, int err)
{
	struct peer *p = ws_conn_user(w);

	p->closed = true;
	p->close_code = code;
}

static const struct ws_conn_ops peer_ops = { .on_open = p_open, .on_message = p_message,
					     .on_close = p_close };

/* The server side: accept into one preallocated connection. */
struct server {
	struct peer p;
	struct ws_conn *slot;
};

static void srv_accept(struct net_conn *c, int err)
{
	struct server *s = net_conn_user(c);

	cr_assert_eq(err, 0);
	cr_assert_eq(ws_conn_accept(&s->p.w, c, &peer_ops, &s->p), 0);
}

static const struct net_conn_ops accept_ops = { .on_open = srv_accept };

Test(wsconn, ours_against_ours_over_tls)
{
	struct net_tls_ctx *cc = certs_tls_client(&certs), *sc = certs_tls_server(&certs);
	struct net_loop_cfg lc = { .stage_size = WS_RX_BUF_MIN(MAX_MSG), .tx_size = 1 << 20 };
	struct peer *cl = calloc(1, sizeof(*cl));
	struct server *sv = calloc(1, sizeof(*sv));
	struct net_listener *ls;
	struct net_loop *l;

	cr_assert(cl && sv);
	cr_assert_eq(net_loop_new(&l, &lc), 0);
	cr_assert_eq(ws_conn_init(&cl->w, WS_CLIENT, cc, conn_buf(), WS_CONN_BUF_SIZE(MAX_MSG),
				  MAX_MSG), 0);
	cr_assert_eq(ws_conn_init(&sv->p.w, WS_SERVER, sc, conn_buf(),
				  WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG), 0);
	sv->p.echo = true;
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &accept_ops, sv, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(ws_conn_connect(l, &cl->w, "localhost", net_listener_port(ls),
				     (struct sockaddr *)&a, sizeof(a), "/stream", NULL,
				     1000000000ull, &peer_ops, cl), 0);
	cl->want = 300;
	for (long t = 0; t < 20000000 && cl->got < cl->want && !cl->closed; t++) {
		if (cl->opened && !cl->open_err && cl->sent < cl->want &&
		    cl->sent - cl->got < 8) {
			size_t n = msg_len(cl->sent);
			msg_fill(cl->msg, cl->sent, n);
			if (ws_conn_send(&cl->w, WS_OP_BINARY, cl->msg, n) == 0)
				cl->sent++;
		}
		net_loop_run(l, 0);
	}
	cr_assert_eq(cl->open_err, 0, "open: %s", strerror(-cl->open_err));
	cr_assert_eq(cl->got, cl->want, "got %u sent %u, server got %u, closed %d/%d code %u",
		     cl->got, cl->sent, sv->p.got, cl->closed, sv->p.closed, cl->close_code);
	cr_assert_eq(sv->p.got, cl->want);
	ws_conn_close(&cl->w, WS_CLOSE_NORMAL);
	for (long t = 0; t < 20000000 && !(cl->closed && sv->p.closed); t++)
		net_loop_run(l, 0);
	cr_assert(cl->closed && sv->p.closed);
	cr_assert_eq(sv->p.close_code, WS_CLOSE_NORMAL, "server saw our 1000");
	cr_assert_eq(cl->close_code, WS_CLOSE_NORMAL);
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	net_tls_ctx_destroy(sc);
	free(cl);
	free(sv);
}

/*
 * Corked sends (nested twice) leave in order and whole: the frame buffer
 * fills and flushes on its own under the cork, the rest goes at the outer
 * uncork, and nothing is left behind.
 */
Test(wsconn, corked_sends_arrive_whole_and_in_order)
{
	struct net_tls_ctx *cc = certs_tls_client(&certs), *sc = certs_tls_server(&certs);
	struct net_loop_cfg lc = { .stage_size = WS_RX_BUF_MIN(MAX_MSG), .tx_size = 4 << 20 };
	struct peer *cl = calloc(1, sizeof(*cl));
	struct server *sv = calloc(1, sizeof(*sv));
	struct net_listener *ls;
	struct net_loop *l;

	cr_assert(cl && sv);
	cr_assert_eq(net_loop_new(&l, &lc), 0);
	cr_assert_eq(ws_conn_init(&cl->w, WS_CLIENT, cc, conn_buf(), WS_CONN_BUF_SIZE(MAX_MSG),
				  MAX_MSG), 0);
	cr_assert_eq(ws_conn_init(&sv->p.w, WS_SERVER, sc, conn_buf(),
				  WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG), 0);
	sv->p.echo = true;
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &accept_ops, sv, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(ws_conn_connect(l, &cl->w, "localhost", net_listener_port(ls),
				     (struct sockaddr *)&a, sizeof(a), "/stream", NULL,
				     1000000000ull, &peer_ops, cl), 0);
	for (long t = 0; t < 20000000 && !cl->opened; t++)
		net_loop_run(l, 0);
	cr_assert(cl->opened && !cl->open_err);
	cl->want = 40;
	ws_conn_cork(&cl->w);
	ws_conn_cork(&cl->w);
	for (uint32_t i = 0; i < cl->want; i++) {
		size_t n = msg_len(i);

		msg_fill(cl->msg, i, n);
		cr_assert_eq(ws_conn_send(&cl->w, WS_OP_BINARY, cl->msg, n), 0, "send %u", i);
		cl->sent++;
	}
	cr_assert_gt(cl->w.out_len, 0, "the tail waits under the cork");
	cr_assert_eq(ws_conn_uncork(&cl->w), 0);
	cr_assert_gt(cl->w.out_len, 0, "the inner uncork sends nothing");
	cr_assert_eq(ws_conn_uncork(&cl->w), 0);
	cr_assert_eq(cl->w.out_len, 0, "the outer one sends it all");
	for (long t = 0; t < 20000000 && cl->got < cl->want && !cl->closed; t++)
		net_loop_run(l, 0);
	cr_assert_eq(sv->p.got, cl->want);
	cr_assert_eq(cl->got, cl->want, "every echo back, checked in order");
	ws_conn_close(&cl->w, WS_CLOSE_NORMAL);
	for (long t = 0; t < 20000000 && !(cl->closed && sv->p.closed); t++)
		net_loop_run(l, 0);
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	net_tls_ctx_destroy(sc);
	free(cl);
	free(sv);
}

/* ---- Python's websockets as the other side --------------------------------------- */

static pid_t python(const char *script, uint16_t *port)
{
	int pfd[2];
	char buf[32] = { 0 };
	pid_t pid;

	if (access("/usr/bin/python3", X_OK) ||
	    system("/usr/bin/python3 -c 'import websockets' 2>/dev/null"))
		cr_skip_test("no /usr/bin/python3 with websockets");
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/usr/bin/python3", "python3", "-c", script, certs.cert, certs.key,
		      certs.ca, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* up to the newline: python may write the number and the newline in
	 * two writes, and a closed pipe in between would kill it */
	test_read_line(pfd[0], buf, sizeof(buf));
	if (port)
		*port = (uint16_t)atoi(buf);
	close(pfd[0]);
	return pid;
}

/* Sends text, binary, a fragmented message and pings; expects each echoed. */
static const char py_server[] =
	"import asyncio, ssl, sys, websockets\n"
	"cert, key = sys.argv[1], sys.argv[2]\n"
	"ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)\n"
	"msgs = ['hello', b'\\x00\\x01\\x02' * 1000, 'é€𝄞' * 500, b'x' * 60000]\n"
	"msgs += [bytes([i % 256]) * (i * 37 % 3000 + 1) for i in range(100)]\n"
	"async def handler(ws, path=None):\n"
	"    assert path in (None, '/feed'), path\n"
	"    for m in msgs:\n"
	"        await ws.send(m)\n"
	"        assert await ws.recv() == m\n"
	"    await ws.send(['frag', 'ment', 'ed'])\n"
	"    assert await ws.recv() == 'fragmented'\n"
	"    pong = await ws.ping(b'are you there')\n"
	"    await asyncio.wait_for(pong, 10)\n"
	"    await ws.close(1000, 'bye')\n"
	"    done.set_result(True)\n"
	"async def main():\n"
	"    global done\n"
	"    done = asyncio.get_running_loop().create_future()\n"
	"    async with websockets.serve(handler, '127.0.0.1', 0, ssl=ctx, ping_interval=None) as s:\n"
	"        print(s.sockets[0].getsockname()[1], flush=True)\n"
	"        await asyncio.wait_for(done, 60)\n"
	"asyncio.run(main())\n";

Test(wsconn, client_against_python_websockets_server)
{
	struct net_tls_ctx *cc = certs_tls_client(&certs);
	struct net_loop_cfg lc = { .stage_size = WS_RX_BUF_MIN(MAX_MSG) };
	struct peer *cl = calloc(1, sizeof(*cl));
	struct net_loop *l;
	uint16_t port;
	pid_t pid = python(py_server, &port);

	cr_assert_not_null(cl);
	cl->echo = true;
	cr_assert_eq(net_loop_new(&l, &lc), 0);
	cr_assert_eq(ws_conn_init(&cl->w, WS_CLIENT, cc, conn_buf(), WS_CONN_BUF_SIZE(MAX_MSG),
				  MAX_MSG), 0);
	struct sockaddr_in a = test_lo(port);
	cr_assert_eq(ws_conn_connect(l, &cl->w, "localhost", port, (struct sockaddr *)&a,
				     sizeof(a), "/feed", NULL, 1000000000ull, &peer_ops, cl), 0);
	for (long t = 0; t < 50000000 && !cl->closed; t++)
		net_loop_run(l, 1000000);
	cr_assert_eq(cl->open_err, 0, "open: %s", strerror(-cl->open_err));
	cr_assert(cl->closed);
	cr_assert_eq(cl->close_code, WS_CLOSE_NORMAL);
	cr_assert_eq(cl->got, 105, "104 messages and the fragmented one");
	cr_assert_eq(test_wait_child(pid), 0, "python checked every echo and our pong");
	net_loop_free(l);
	net_tls_ctx_destroy(cc);
	free(cl);
}

/* Python's client: sends messages, expects echoes, closes 1000. */
static const char py_client[] =
	"import asyncio, ssl, sys, websockets\n"
	"ca, port = sys.argv[3], sys.argv[4]\n"
	"ctx = ssl.create_default_context(cafile=ca)\n"
	"async def main():\n"
	"    async with websockets.connect('wss://localhost:%s/x' % port, ssl=ctx,\n"
	"                                  ping_interval=None, max_size=None) as ws:\n"
	"        for i in range(200):\n"
	"            m = bytes([i % 256]) * (i * 311 % 50000 + 1) if i % 2 else 'msg %d' % i\n"
	"            await ws.send(m)\n"
	"            assert await ws.recv() == m, i\n"
	"        await asyncio.wait_for(await ws.ping(b'p'), 10)\n"
	"        await ws.close(1000)\n"
	"        assert ws.close_code == 1000, ws.close_code\n"
	"asyncio.run(main())\n";

static pid_t python_client(uint16_t port)
{
	char ps[8];
	pid_t pid;

	if (access("/usr/bin/python3", X_OK) ||
	    system("/usr/bin/python3 -c 'import websockets' 2>/dev/null"))
		cr_skip_test("no /usr/bin/python3 with websockets");
	snprintf(ps, sizeof(ps), "%u", port);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", py_client, certs.cert, certs.key,
		      certs.ca, ps, (char *)NULL);
		_exit(127);
	}
	return pid;
}

Test(wsconn, server_against_python_websockets_client)
{
	struct net_tls_ctx *sc = certs_tls_server(&certs);
	struct net_loop_cfg lc = { .stage_size = WS_RX_BUF_MIN(MAX_MSG) };
	struct server *sv = calloc(1, sizeof(*sv));
	struct net_listener *ls;
	struct net_loop *l;

	cr_assert_not_null(sv);
	sv->p.echo = true;
	cr_assert_eq(net_loop_new(&l, &lc), 0);
	cr_assert_eq(ws_conn_init(&sv->p.w, WS_SERVER, sc, conn_buf(),
				  WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &accept_ops, sv, &ls), 0);
	pid_t pid = python_client(net_listener_port(ls));
	for (long t = 0; t < 50000000 && !sv->p.closed; t++)
		net_loop_run(l, 1000000);
	cr_assert(sv->p.closed);
	cr_assert_eq(sv->p.got, 200);
	cr_assert_eq(sv->p.close_code, WS_CLOSE_NORMAL);
	cr_assert_eq(test_wait_child(pid), 0, "python checked every echo");
	net_loop_free(l);
	net_tls_ctx_destroy(sc);
	free(sv);
}

/* A raw TLS peer that upgrades properly, then sends an unmasked frame. */
static const char py_bad_client[] =
	"import socket, ssl, sys, struct\n"
	"ca, port = sys.argv[3], int(sys.argv[4])\n"
	"ctx = ssl.create_default_context(cafile=ca)\n"
	"s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)), server_hostname='localhost')\n"
	"s.sendall(b'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nUpgrade: websocket\\r\\n'\n"
	"          b'Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n'\n"
	"          b'Sec-WebSocket-Version: 13\\r\\n\\r\\n')\n"
	"head = b''\n"
	"while b'\\r\\n\\r\\n' not in head: head += s.recv(1)\n"
	"assert b' 101 ' in head and b's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' in head, head\n"
	"s.sendall(b'\\x81\\x05hello')  # unmasked: a client must mask\n"
	"data = b''\n"
	"while len(data) < 4:\n"
	"    d = s.recv(64)\n"
	"    if not d: break\n"
	"    data += d\n"
	"assert data[0] == 0x88, data\n"
	"assert struct.unpack('!H', data[2:4])[0] == 1002, data\n"
	"print('closed 1002')\n";

Test(wsconn, unmasked_client_frame_closes_1002_end_to_end)
{
	struct net_tls_ctx *sc = certs_tls_server(&certs);
	struct server *sv = calloc(1, sizeof(*sv));
	struct net_listener *ls;
	struct net_loop *l;
	char ps[8];
	pid_t pid;

	cr_assert_not_null(sv);
	cr_assert_eq(net_loop_new(&l, NULL), 0);
	cr_assert_eq(ws_conn_init(&sv->p.w, WS_SERVER, sc, conn_buf(),
				  WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &accept_ops, sv, &ls), 0);
	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("no /usr/bin/python3");
	snprintf(ps, sizeof(ps), "%u", net_listener_port(ls));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/usr/bin/python3", "python3", "-c", py_bad_client, certs.cert, certs.key,
		      certs.ca, ps, (char *)NULL);
		_exit(127);
	}
	for (long t = 0; t < 50000000 && !sv->p.closed; t++)
		net_loop_run(l, 1000000);
	cr_assert(sv->p.closed);
	cr_assert_eq(sv->p.close_code, WS_CLOSE_PROTOCOL);
	cr_assert_eq(sv->p.got, 0, "the bad frame was not delivered");
	cr_assert_eq(test_wait_child(pid), 0, "python read our 1002 close frame");
	net_loop_free(l);
	net_tls_ctx_destroy(sc);
	free(sv);
}
