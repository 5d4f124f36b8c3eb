/* SPDX-License-Identifier: MIT */
/*
 * Reconnect after the server is killed, with the backoff observed: a TLS
 * WebSocket server runs in a child process; the client keeps a connection
 * up with net_redial. The server is SIGKILLed, the client sees the drop,
 * its attempts are refused with growing delays, a new server comes up on
 * the same port, and the client is back, resuming its TLS session.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include "kimp/redial.h"
#include "kimp/wsconn.h"
#include "nettest.h"
#include "../testutil.h"

#define MAX_MSG 4096
#define MAX_DIALS 64

static struct certs certs;

static void setup(void)
{
	certs_make(&certs);
}

static void teardown(void)
{
	certs_free(&certs);
}

TestSuite(redial, .init = setup, .fini = teardown);

/* ---- the server, in a child process ------------------------------------------------ */

static void srv_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	ws_conn_send(w, opcode, data, len);
}

static const struct ws_conn_ops srv_ops = { .on_message = srv_message };

static void srv_accept(struct net_conn *c, int err)
{
	struct ws_conn *w = net_conn_user(c);

	if (err || ws_conn_accept(w, c, &srv_ops, NULL))
		net_abort(c);
}

static const struct net_conn_ops accept_ops = { .on_open = srv_accept };

/* Serve echo on 'port' until killed. */
static pid_t spawn_server(struct net_tls_ctx *tls, uint16_t port)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
	struct net_listener *ls;
	struct net_loop *l;
	struct ws_conn w;
	void *buf = malloc(WS_CONN_BUF_SIZE(MAX_MSG));
	struct sockaddr_in a = test_lo(port);

	if (!buf || net_loop_new(&l, NULL) ||
	    ws_conn_init(&w, WS_SERVER, tls, buf, WS_CONN_BUF_SIZE(MAX_MSG), MAX_MSG) ||
	    net_listen(l, (struct sockaddr *)&a, sizeof(a), &accept_ops, &w, &ls))
		_exit(2);
	for (;;)
		net_loop_run(l, 100000000);
}

/* ---- the client ---------------------------------------------------------------------- */

struct client {
	struct net_redial r;
	struct ws_conn w;
	struct sockaddr_in addr;
	uint16_t port;
	int connected;           /* echoes of our hello seen */
	int closes, refused;
	unsigned close_code;
	bool resumed[4];
	uint64_t dial_at[MAX_DIALS], delay_before[MAX_DIALS];
	int ndials;
};

static const struct ws_conn_ops client_ops;

static int dial(struct net_redial *r)
{
	struct client *k = r->arg;

	if (k->ndials < MAX_DIALS) {
		k->dial_at[k->ndials] = net_now_ns();
		k->delay_before[k->ndials] = r->last_delay_ns;
		k->ndials++;
	}
	return ws_conn_connect(r->loop, &k->w, "localhost", k->port,
			       (struct sockaddr *)&k->addr, sizeof(k->addr), "/", NULL,
			       500000000ull, &client_ops, k);
}

static void cl_open(struct ws_conn *w, int err)
{
	struct client *k = ws_conn_user(w);

	if (err) {
		if (err == -ECONNREFUSED)
			k->refused++;
		net_redial_down(&k->r);
		return;
	}
	net_redial_up(&k->r);
	cr_assert_eq(ws_conn_send(w, WS_OP_TEXT, "hello", 5), 0);
}

static void cl_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct client *k = ws_conn_user(w);

	cr_assert_eq(len, 5);
	if (k->connected < 4)
		k->resumed[k->connected] = net_tls_resumed(&w->st.tls);
	k->connected++;
}

static void cl_close(struct ws_conn *w, unsigned code, int err)
{
	struct client *k = ws_conn_user(w);

	k->closes++;
	k->close_code = code;
	net_redial_down(&k->r);
}

static const struct ws_conn_ops client_ops = { .on_open = cl_open, .on_message = cl_message,
					       .on_close = cl_close };

static uint16_t free_port(void)
{
	struct sockaddr_in a = test_lo(0);
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	return ntohs(a.sin_port);
}

Test(redial, reconnect_after_the_server_is_killed_with_backoff)
{
	struct net_backoff_conf bc = { .base_ns = 10000000ull, .cap_ns = 80000000ull,
				       .stable_ns = 10000000000ull, .budget = 60 };
	struct net_tls_ctx *sctx, *cctx;
	struct client *k = calloc(1, sizeof(*k));
	void *buf = malloc(WS_CONN_BUF_SIZE(MAX_MSG));
	struct net_loop *l;

	cr_assert(k && buf);
	/* made before the servers fork, so both share one ticket key */
	sctx = certs_tls_server(&certs);
	cctx = certs_tls_client(&certs);
	k->port = free_port();
	k->addr = test_lo(k->port);
	pid_t s1 = spawn_server(sctx, k->port);

	cr_assert_eq(net_loop_new(&l, NULL), 0);
	cr_assert_eq(ws_conn_init(&k->w, WS_CLIENT, cctx, buf, WS_CONN_BUF_SIZE(MAX_MSG),
				  MAX_MSG), 0);
	cr_assert_eq(net_redial_init(&k->r, l, &bc, 42, dial, k), 0);
	net_redial_start(&k->r);
	/* the first server may not listen yet: refused attempts just back off */
	for (long t = 0; t < 100000 && k->connected < 1; t++)
		net_loop_run(l, 10000000);
	cr_assert_eq(k->connected, 1, "connected to the first server");

	kill(s1, SIGKILL);
	cr_assert_eq(test_wait_child(s1), 128 + SIGKILL);
	for (long t = 0; t < 100000 && k->closes < 1; t++)
		net_loop_run(l, 10000000);
	cr_assert_eq(k->close_code, WS_CLOSE_ABNORMAL, "the drop is an abnormal close");
	int first = k->ndials, refused0 = k->refused;
	for (long t = 0; t < 100000 && k->refused < refused0 + 5; t++)
		net_loop_run(l, 10000000);
	cr_assert_geq(k->refused, refused0 + 5, "attempts are refused while no server runs");

	pid_t s2 = spawn_server(sctx, k->port);
	for (long t = 0; t < 100000 && k->connected < 2; t++)
		net_loop_run(l, 10000000);
	cr_assert_eq(k->connected, 2, "back with the second server");
	/* done: no more attempts, and the stream closes (its TLS session
	 * is released) when the second server goes */
	net_redial_stop(&k->r);
	kill(s2, SIGKILL);
	test_wait_child(s2);
	for (long t = 0; t < 100000 && k->closes < 2; t++)
		net_loop_run(l, 10000000);
	cr_assert_eq(k->closes, 2);

	/* backoff observed: every attempt after the drop waited at least the
	 * delay drawn for it, and the draws stayed under a ceiling that grew */
	uint64_t ceiling = bc.base_ns;
	for (int i = first; i < k->ndials; i++) {
		uint64_t gap = k->dial_at[i] - k->dial_at[i - 1];
		cr_assert_geq(gap, k->delay_before[i], "attempt %d came early", i);
		cr_assert_leq(k->delay_before[i], bc.cap_ns);
		cr_log_info("attempt %d: delay %llu ms (ceiling %llu ms)", i,
			    (unsigned long long)(k->delay_before[i] / 1000000),
			    (unsigned long long)(ceiling / 1000000));
		ceiling = ceiling * 2 > bc.cap_ns ? bc.cap_ns : ceiling * 2;
	}
	cr_assert_geq(k->r.dials, (uint64_t)first + 6);
	cr_assert(!k->resumed[0], "the first handshake is a full one");
	cr_assert(k->resumed[1], "the reconnect resumed the TLS session");
	net_loop_free(l);
	net_tls_ctx_destroy(cctx);
	net_tls_ctx_destroy(sctx);
	free(buf);
	free(k);
}
