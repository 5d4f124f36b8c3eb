/* SPDX-License-Identifier: MIT */
/*
 * The io_uring loop against itself and against independent peers on
 * loopback. Loops run until a condition holds, bounded by a generous
 * iteration budget; nothing sleeps to synchronise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "kimp/net.h"
#include "nettest.h"
#include "../testutil.h"

TestSuite(loop, .timeout = 120);

/* Run until *done or the budget (in loop turns) runs out. */
static void run_until(struct net_loop *l, const bool *done, uint64_t timeout_ns)
{
	for (long turns = 0; !*done && turns < 50000000; turns++)
		cr_assert_geq(net_loop_run(l, timeout_ns), 0);
	cr_assert(*done, "condition not reached");
}

/* ---- an echo server and a checking client -------------------------------- */

static size_t echo_data(struct net_conn *c, uint8_t *d, size_t n)
{
	cr_assert_eq(net_send(c, d, n), 0);
	return n;
}

static void echo_close(struct net_conn *c, int err)
{
}

static const struct net_conn_ops echo_ops = { .on_data = echo_data, .on_close = echo_close };

struct client {
	uint8_t *expect;        /* what we sent, in order */
	size_t sent, got, total;
	int open_err;
	bool opened, closed, done;
	int close_err;
	unsigned seed;
};

static void cl_open(struct net_conn *c, int err)
{
	struct client *k = net_conn_user(c);

	k->open_err = err;
	k->opened = true;
	if (err)
		k->done = true;
}

static size_t cl_data(struct net_conn *c, uint8_t *d, size_t n)
{
	struct client *k = net_conn_user(c);

	cr_assert_leq(k->got + n, k->sent, "more back than sent");
	cr_assert_eq(memcmp(d, k->expect + k->got, n), 0, "echo differs at %zu", k->got);
	k->got += n;
	if (k->got == k->total)
		k->done = true;
	return n;
}

static void cl_close(struct net_conn *c, int err)
{
	struct client *k = net_conn_user(c);

	k->closed = true;
	k->close_err = err;
	k->done = true;
}

static const struct net_conn_ops client_ops = { .on_open = cl_open, .on_data = cl_data,
						.on_close = cl_close };

static void fill_random(uint8_t *p, size_t n, unsigned *seed)
{
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(*seed >> 16);
	}
}

/* Send 'total' bytes in random pieces while the loop runs; check the echo. */
static void echo_run(struct net_loop *l, struct net_conn *c, struct client *k,
		     uint64_t timeout_ns)
{
	k->expect = malloc(k->total);
	cr_assert_not_null(k->expect);
	fill_random(k->expect, k->total, &k->seed);
	for (long turns = 0; !k->done && turns < 50000000; turns++) {
		if (k->opened && k->sent < k->total && net_conn_tx_pending(c) < 65536) {
			k->seed = k->seed * 1103515245u + 12345u;
			size_t n = 1 + (k->seed >> 8) % 9000;
			if (n > k->total - k->sent)
				n = k->total - k->sent;
			if (net_send(c, k->expect + k->sent, n) == 0)
				k->sent += n;
		}
		cr_assert_geq(net_loop_run(l, k->sent < k->total ? 0 : timeout_ns), 0);
	}
	cr_assert(k->done);
	cr_assert_eq(k->open_err, 0, "connect: %s", strerror(-k->open_err));
	cr_assert_eq(k->got, k->total);
	free(k->expect);
}

static void echo_self(uint64_t timeout_ns, bool no_defer)
{
	struct net_loop_cfg cfg = { .no_defer_taskrun = no_defer };
	struct client k = { .total = 4 << 20, .seed = 5 };
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c;

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &echo_ops, NULL, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 1000000000ull,
				 &client_ops, &k, &c), 0);
	echo_run(l, c, &k, timeout_ns);
	const struct net_loop_stats *st = net_loop_stats(l);
	cr_assert_geq(st->rx_bytes, 2 * k.total, "both directions counted");
	net_close(c);
	run_until(l, &k.closed, timeout_ns);
	cr_assert_eq(k.close_err, 0);
	net_listener_close(ls);
	net_loop_free(l);
}

Test(loop, setup_flags_never_coop_without_taskrun_flag)
{
	struct net_loop_cfg cfg = { .no_defer_taskrun = true };
	struct net_loop *l;

	cr_assert_eq(net_loop_new(&l, NULL), 0);
	unsigned f = net_loop_setup_flags(l);
	cr_log_info("setup flags 0x%x", f);
	/* this kernel (6.x) has them: the best set is taken */
	cr_assert(f & IORING_SETUP_SINGLE_ISSUER);
	cr_assert(f & IORING_SETUP_DEFER_TASKRUN);
	net_loop_free(l);
	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	f = net_loop_setup_flags(l);
	cr_assert(!(f & IORING_SETUP_DEFER_TASKRUN));
	cr_assert(!(f & IORING_SETUP_COOP_TASKRUN) || (f & IORING_SETUP_TASKRUN_FLAG));
	net_loop_free(l);
}

Test(loop, echo_with_itself_spinning)
{
	echo_self(0, false);
}

Test(loop, echo_with_itself_blocking)
{
	echo_self(100000000, false);
}

Test(loop, echo_with_itself_coop_taskrun_fallback)
{
	echo_self(0, true);
}

/* An independent peer: Debian's python3 socket echo server. */
static pid_t python_echo(uint16_t *port)
{
	int pfd[2];
	char buf[32] = { 0 };
	pid_t pid;

	if (access("/usr/bin/python3", X_OK))
		cr_skip_test("no /usr/bin/python3");
	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl("/usr/bin/python3", "python3", "-c",
		      "import socket,sys\n"
		      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1)\n"
		      "print(s.getsockname()[1], flush=True)\n"
		      "c,_=s.accept()\n"
		      "while True:\n"
		      "  d=c.recv(65536)\n"
		      "  if not d: break\n"
		      "  c.sendall(d)\n", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	test_read_line(pfd[0], buf, sizeof(buf));
	close(pfd[0]);
	*port = (uint16_t)atoi(buf);
	return pid;
}

Test(loop, echo_with_a_python_peer)
{
	struct client k = { .total = 2 << 20, .seed = 9 };
	struct net_loop *l;
	struct net_conn *c;
	uint16_t port;
	pid_t pid = python_echo(&port);

	cr_assert_eq(net_loop_new(&l, NULL), 0);
	struct sockaddr_in a = test_lo(port);
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 1000000000ull,
				 &client_ops, &k, &c), 0);
	echo_run(l, c, &k, 100000000);
	net_close(c);
	run_until(l, &k.closed, 100000000);
	cr_assert_eq(test_wait_child(pid), 0, "python saw EOF and exited");
	net_loop_free(l);
}

/* ---- partial frames through staging -------------------------------------- */

struct framer {
	uint32_t frames;
	uint64_t calls;
	bool done;
};

/* Consume whole 100-byte frames whose bytes all equal their index. */
static size_t frame_data(struct net_conn *c, uint8_t *d, size_t n)
{
	struct framer *f = net_conn_user(c);
	size_t used = 0;

	f->calls++;
	while (n - used >= 100) {
		for (int i = 0; i < 100; i++)
			cr_assert_eq(d[used + i], (uint8_t)f->frames, "frame %u byte %d",
				     f->frames, i);
		f->frames++;
		used += 100;
	}
	if (f->frames == 3000)
		f->done = true;
	return used;
}

static const struct net_conn_ops frame_ops = { .on_data = frame_data, .on_close = echo_close };

struct sender {
	bool opened;
};

static void snd_open(struct net_conn *c, int err)
{
	struct sender *s = net_conn_user(c);

	cr_assert_eq(err, 0);
	s->opened = true;
}

static const struct net_conn_ops sender_ops = { .on_open = snd_open, .on_data = echo_data,
						.on_close = echo_close };

Test(loop, partial_frames_wait_in_staging)
{
	struct framer f = { 0 };
	struct sender s = { 0 };
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c;
	uint8_t frames[3000 * 100];
	unsigned seed = 3;

	for (int i = 0; i < 3000; i++)
		memset(frames + i * 100, i, 100);
	cr_assert_eq(net_loop_new(&l, NULL), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &frame_ops, &f, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &sender_ops, &s, &c), 0);
	run_until(l, &s.opened, 0);
	/* pieces that cut frames anywhere, sent one loop turn apart */
	for (size_t off = 0; off < sizeof(frames);) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 8) % 333;
		if (n > sizeof(frames) - off)
			n = sizeof(frames) - off;
		cr_assert_eq(net_send(c, frames + off, n), 0);
		off += n;
		for (int i = 0; i < 3; i++)
			net_loop_run(l, 0);
	}
	run_until(l, &f.done, 0);
	cr_assert_eq(f.frames, 3000);
	cr_assert_gt(net_loop_stats(l)->rx_copied, 0, "partial frames went through staging");
	net_loop_free(l);
}

/* ---- connect errors and timeouts ------------------------------------------ */

Test(loop, connect_refused)
{
	struct client k = { 0 };
	struct net_loop *l;
	struct net_conn *c;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = test_lo(0);
	socklen_t al = sizeof(a);

	/* a port that was just free: bind, learn it, close */
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	cr_assert_eq(net_loop_new(&l, NULL), 0);
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k, &c), 0);
	run_until(l, &k.done, 100000000);
	cr_assert_eq(k.open_err, -ECONNREFUSED);
	cr_assert(!k.closed, "no on_close after a failed open");
	net_loop_free(l);
}

Test(loop, connect_times_out)
{
	struct client k = { 0 };
	struct net_loop *l;
	struct net_conn *c;
	int s = socket(AF_INET, SOCK_STREAM, 0), filler = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = test_lo(0);
	socklen_t al = sizeof(a);

	/* backlog 0 and one queued connection: further SYNs are dropped */
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 0), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	cr_assert_eq(connect(filler, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(net_loop_new(&l, NULL), 0);
	uint64_t t0 = net_now_ns();
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 50000000ull,
				 &client_ops, &k, &c), 0);
	run_until(l, &k.done, 100000000);
	cr_assert_eq(k.open_err, -ETIMEDOUT, "got %d", k.open_err);
	cr_assert_geq(net_now_ns() - t0, 50000000ull, "not before the timeout");
	net_loop_free(l);
	close(filler);
	close(s);
}

/* ---- close, slots ------------------------------------------------------------ */

static void count_close(struct net_conn *c, int err)
{
	int *n = net_conn_user(c);

	(*n)++;
}

static const struct net_conn_ops server_count_ops = { .on_data = echo_data,
						      .on_close = count_close };

Test(loop, peer_close_and_slot_reuse)
{
	struct net_loop_cfg cfg = { .max_conns = 3 };
	struct client k1 = { 0 }, k2 = { 0 };
	int server_closed = 0;
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c1, *c2, *c3;

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &server_count_ops,
				&server_closed, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k1, &c1), 0);
	run_until(l, &k1.opened, 0);
	/* slots: client 1, its server side, and one more */
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k2, &c2), 0);
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k2, &c3),
		     -ENOSPC);
	/* our close: the server side sees EOF and closes too */
	net_close(c1);
	bool both = false;
	for (long t = 0; t < 10000000 && !(k1.closed && server_closed == 1); t++)
		net_loop_run(l, 0);
	both = k1.closed && server_closed == 1;
	cr_assert(both, "client closed %d, server closes %d", k1.closed, server_closed);
	cr_assert_eq(k1.close_err, 0);
	net_listener_close(ls);
	net_loop_free(l);
}

/* ---- big sends, short sends ---------------------------------------------------- */

Test(loop, large_sends_survive_short_sends)
{
	struct net_loop_cfg cfg = { .tx_size = 48 << 20, .max_conns = 4 };
	struct client k = { .total = 32 << 20, .seed = 11 };
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c;

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &echo_ops, NULL, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k, &c), 0);
	run_until(l, &k.opened, 0);
	k.expect = malloc(k.total);
	cr_assert_not_null(k.expect);
	fill_random(k.expect, k.total, &k.seed);
	/* one 32 MiB send: the kernel takes it in pieces */
	cr_assert_eq(net_send(c, k.expect, k.total), 0);
	k.sent = k.total;
	run_until(l, &k.done, 0);
	cr_assert_eq(k.got, k.total);
	cr_log_info("short sends: %llu", (unsigned long long)net_loop_stats(l)->tx_short);
	cr_assert_gt(net_loop_stats(l)->tx_short, 0, "32 MiB does not fit a socket buffer");
	free(k.expect);
	net_loop_free(l);
}

Test(loop, send_queue_full_is_a_status)
{
	struct net_loop_cfg cfg = { .tx_size = 4096 };
	struct client k = { 0 };
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c;
	uint8_t big[5000] = { 0 };

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &echo_ops, NULL, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k, &c), 0);
	cr_assert_eq(net_send(c, big, sizeof(big)), -ENOBUFS);
	cr_assert_eq(net_loop_stats(l)->tx_full, 1);
	net_loop_free(l);
}

/*
 * Steady traffic to a slow reader: a send is in flight nearly all the time,
 * so the queue is compacted when sends complete, not only on a reserve
 * with nothing in flight. A send must then succeed whenever twice what is
 * queued plus its length fits the queue (without that compaction the tail
 * walked to the end and the queue said full with most of it free: exsim
 * cut orderd's WebSocket as a slow reader that was not slow).
 */
Test(loop, steady_sends_to_a_slow_reader_never_see_a_false_full)
{
	const uint32_t cap = 64 << 10;
	struct net_loop_cfg cfg = { .tx_size = cap, .max_conns = 4 };
	struct client k = { 0 };
	struct net_loop *l;
	struct net_conn *c;
	uint8_t msg[3000], buf[2500];
	int ls, fd, one = 1, small = 4096;
	uint64_t sent = 0, got = 0, refused = 0;
	socklen_t alen;

	memset(msg, 'x', sizeof(msg));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(ls, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(ls, 1), 0);
	alen = sizeof(a);
	cr_assert_eq(getsockname(ls, (struct sockaddr *)&a, &alen), 0);

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k, &c), 0);
	run_until(l, &k.opened, 0);     /* the backlog completes the handshake */
	cr_assert_eq(k.open_err, 0);
	fd = accept(ls, NULL, NULL);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);

	while (got < (8u << 20)) {
		size_t q = net_conn_tx_pending(c);

		/* keep the queue about a third full, so a send is (nearly) always waiting */
		if (q < cap / 3) {
			int e = net_send(c, msg, sizeof(msg));

			if (e) {
				cr_assert_eq(e, -ENOBUFS);
				cr_assert_gt(2 * q + sizeof(msg), cap, "full with %zu of %u queued", q,
					     cap);
				refused++;
			} else {
				sent += sizeof(msg);
			}
		}
		cr_assert_geq(net_loop_run(l, 0), 0);
		/* a slow reader: a little at a time */
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0)
			got += (uint64_t)n;
		else
			cr_assert(n < 0 && errno == EAGAIN, "reader: %zd %s", n, strerror(errno));
	}
	cr_assert_eq(refused, 0);
	cr_log_info("sent %llu, short sends %llu", (unsigned long long)sent,
		    (unsigned long long)net_loop_stats(l)->tx_short);
	close(fd);
	close(ls);
	net_loop_free(l);
}

/* ---- provided buffers run dry ------------------------------------------------- */

Test(loop, buffer_ring_exhaustion_loses_nothing)
{
	struct net_loop_cfg cfg = { .buf_count = 2, .buf_size = 256, .max_conns = 16 };
	struct client k[6];
	struct net_conn *c[6];
	struct net_listener *ls;
	struct net_loop *l;

	cr_assert_eq(net_loop_new(&l, &cfg), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &echo_ops, NULL, &ls), 0);
	a = test_lo(net_listener_port(ls));
	for (int i = 0; i < 6; i++) {
		k[i] = (struct client){ .total = 256 << 10, .seed = 100u + (unsigned)i };
		k[i].expect = malloc(k[i].total);
		fill_random(k[i].expect, k[i].total, &k[i].seed);
		cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops,
					 &k[i], &c[i]), 0);
	}
	bool all = false;
	for (long t = 0; t < 50000000 && !all; t++) {
		all = true;
		for (int i = 0; i < 6; i++) {
			if (k[i].opened && k[i].sent < k[i].total &&
			    net_send(c[i], k[i].expect + k[i].sent, 4096) == 0)
				k[i].sent += 4096;
			all &= k[i].done;
		}
		net_loop_run(l, 0);
	}
	cr_assert(all);
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(k[i].got, k[i].total);
		free(k[i].expect);
	}
	cr_log_info("ENOBUFS re-arms: %llu", (unsigned long long)net_loop_stats(l)->rx_enobufs);
	cr_assert_gt(net_loop_stats(l)->rx_enobufs, 0, "two buffers for six busy sockets");
	net_loop_free(l);
}

/* ---- timers ----------------------------------------------------------------- */

struct tick {
	struct net_timer t;
	int fired;
	uint64_t at;
};

static void tick_fn(struct net_timer *t)
{
	struct tick *k = (struct tick *)t;

	k->fired++;
	k->at = net_now_ns();
}

Test(loop, timers_fire_once_and_stop_cancels)
{
	struct tick a = { .t.fn = tick_fn }, b = { .t.fn = tick_fn }, c = { .t.fn = tick_fn };
	struct net_loop *l;
	bool done = false;

	cr_assert_eq(net_loop_new(&l, NULL), 0);
	uint64_t t0 = net_now_ns();
	cr_assert_eq(net_timer_start(l, &a.t, 20000000ull), 0);
	cr_assert_eq(net_timer_start(l, &a.t, 1000ull), -EBUSY);
	cr_assert_eq(net_timer_start(l, &b.t, 10000000ull), 0);
	cr_assert_eq(net_timer_start(l, &c.t, 60000000ull), 0);
	net_timer_stop(&b.t);
	for (long i = 0; i < 1000000 && !done; i++) {
		net_loop_run(l, 5000000);
		done = c.fired;
	}
	cr_assert_eq(a.fired, 1);
	cr_assert_eq(b.fired, 0, "a stopped timer never fires");
	cr_assert_eq(c.fired, 1);
	cr_assert_geq(a.at - t0, 20000000ull, "not before its delay");
	cr_assert_leq(a.at, c.at);
	net_loop_free(l);
}

/* ---- the steady state allocates nothing ------------------------------------ */

Test(loop, echo_steady_state_allocates_nothing)
{
	struct client k = { .total = 8 << 20, .seed = 77 };
	struct net_listener *ls;
	struct net_loop *l;
	struct net_conn *c;

	cr_assert_eq(net_loop_new(&l, NULL), 0);
	struct sockaddr_in a = test_lo(0);
	cr_assert_eq(net_listen(l, (struct sockaddr *)&a, sizeof(a), &echo_ops, NULL, &ls), 0);
	a = test_lo(net_listener_port(ls));
	cr_assert_eq(net_connect(l, (struct sockaddr *)&a, sizeof(a), 0, &client_ops, &k, &c), 0);
	k.expect = malloc(k.total);
	cr_assert_not_null(k.expect);
	fill_random(k.expect, k.total, &k.seed);
	run_until(l, &k.opened, 0);
	struct mallinfo2 before = mallinfo2();
	while (!k.done) {
		if (k.sent < k.total && net_send(c, k.expect + k.sent, 1000) == 0)
			k.sent += 1000;
		if (k.total - k.sent < 1000 && k.sent < k.total &&
		    net_send(c, k.expect + k.sent, k.total - k.sent) == 0)
			k.sent = k.total;
		net_loop_run(l, 0);
	}
	struct mallinfo2 after = mallinfo2();
	cr_assert_eq(after.uordblks, before.uordblks, "heap bytes in use changed");
	cr_assert_eq(k.got, k.total);
	free(k.expect);
	net_loop_free(l);
}

Test(loop, resolve_numeric_and_localhost)
{
	struct sockaddr_storage ss;
	socklen_t len;

	cr_assert_eq(net_resolve("127.0.0.1", 443, &ss, &len), 0);
	cr_assert_eq(ss.ss_family, AF_INET);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 443);
	cr_assert_eq(net_resolve("localhost", 80, &ss, &len), 0);
}
