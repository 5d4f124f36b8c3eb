/* SPDX-License-Identifier: MIT */
/*
 * The io_uring event loop: connections, provided buffers, sends, timers.
 *
 * Every submission carries a user_data that is a pointer to the object it
 * belongs to (a connection, listener or timer, all 16-byte aligned) with the
 * operation kind in the low 4 bits. A connection counts its submissions in
 * flight; its slot is released only when the last completion is in, so a
 * late completion never lands on a reused slot.
 */
#include <errno.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "kimp/tsc.h"
#include <unistd.h>
#include "kimp/net.h"
#include "loop_int.h"

#define BGID     7
#define OP_MASK  0xfull

_Static_assert(_Alignof(struct net_timer) >= 16, "timer addresses carry a 4-bit tag");

enum op_kind {
	OP_CONNECT = 1,
	OP_LINK_TIMEOUT,
	OP_RECV,
	OP_SEND,
	OP_CANCEL,
	OP_CLOSE,
	OP_ACCEPT,
	OP_LISTEN_CANCEL,
	OP_LISTEN_CLOSE,
	OP_TIMER,
	OP_TIMER_REMOVE,
	/* futex.c's (loop_int.h) */
	OP_FUTEX = NET_OP_FUTEX,
	OP_FUTEX_CANCEL = NET_OP_FUTEX_CANCEL,
};
_Static_assert(OP_TIMER_REMOVE < NET_OP_FUTEX && NET_OP_FUTEX_CANCEL <= OP_MASK,
	       "operation kinds fit the tag and do not overlap");

enum conn_state {
	C_FREE = 0,
	C_CONNECTING,
	C_OPEN,
	C_CLOSING,
};

struct net_conn {
	struct net_loop *loop;
	const struct net_conn_ops *ops;
	void *user;
	int fd;
	enum conn_state state;
	uint32_t pending;        /* submissions whose last completion is not in */
	int close_err;
	bool failed_open;        /* on_open reported an error: no on_close */
	bool recv_armed;
	bool send_inflight;
	bool close_on_drain;     /* net_close() with bytes still queued */
	uint32_t stage_len;
	uint32_t tx_head, tx_tail, tx_sent_len;
	uint8_t *stage;
	uint8_t *tx;
	struct __kernel_timespec connect_ts;
	struct sockaddr_storage addr;
	socklen_t alen;
	struct net_conn *next_free;
} __attribute__((aligned(16)));
_Static_assert(_Alignof(struct net_conn) >= 16, "connection addresses carry a 4-bit tag");

struct net_listener {
	struct net_loop *loop;
	const struct net_conn_ops *ops;
	void *user;
	int fd;
	uint16_t port;
	uint32_t pending;
	bool closing;
	struct net_listener *next;  /* the loop's list, for net_loop_free */
} __attribute__((aligned(16)));

struct net_loop {
	struct io_uring ring;
	unsigned setup_flags;
	struct net_loop_cfg cfg;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	size_t bufs_bytes;
	uint32_t buf_mask;
	struct net_conn *conns;
	struct net_conn *free_list;
	struct net_listener *listeners;
	uint8_t *conn_mem;       /* staging and send queues of every slot */
	size_t conn_mem_bytes;
	struct net_loop_stats st;
	uint64_t rx_tsc;         /* TSC when the receive being delivered was reaped */
	int8_t futex;            /* futex.c's probe: 0 not yet, 1 yes, -1 no */
};

/* ---- helpers ---------------------------------------------------------------- */

uint64_t net_loop_rx_tsc(const struct net_loop *l)
{
	return l->rx_tsc;
}

uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tag(const void *p, enum op_kind k)
{
	return (uint64_t)(uintptr_t)p | (uint64_t)k;
}

/* A free SQE, submitting what is queued if the SQ is full. */
static struct io_uring_sqe *get_sqe(struct net_loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (kimp_likely(sqe))
		return sqe;
	l->st.sq_full++;
	io_uring_submit(&l->ring);
	return io_uring_get_sqe(&l->ring);
}

/* For futex.c (loop_int.h). */
struct io_uring_sqe *net_loop_sqe(struct net_loop *l)
{
	return get_sqe(l);
}

struct io_uring *net_loop_uring(struct net_loop *l)
{
	return &l->ring;
}

int8_t *net_loop_futex_state(struct net_loop *l)
{
	return &l->futex;
}

static void return_buf(struct net_loop *l, uint16_t bid)
{
	io_uring_buf_ring_add(l->br, l->bufs + (size_t)bid * l->cfg.buf_size,
			      l->cfg.buf_size, bid, (int)l->buf_mask, 0);
	io_uring_buf_ring_advance(l->br, 1);
}

static void cfg_defaults(struct net_loop_cfg *c, const struct net_loop_cfg *in)
{
	if (in)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (!c->max_conns)
		c->max_conns = 64;
	if (!c->sq_entries)
		c->sq_entries = 512;
	if (!c->buf_count)
		c->buf_count = 256;
	if (!c->buf_size)
		c->buf_size = 16384;
	if (!c->stage_size)
		c->stage_size = 65536;
	if (!c->tx_size)
		c->tx_size = 262144;
}

/* ---- setup ------------------------------------------------------------------ */

/*
 * Try the setup flag sets best first. Never COOP_TASKRUN without
 * TASKRUN_FLAG: a loop that only peeks would wait for the timer tick.
 */
static int ring_setup(struct net_loop *l)
{
	static const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int err = -EINVAL;

	for (size_t i = l->cfg.no_defer_taskrun ? 2 : 0; i < KIMP_ARRAY_SIZE(tries); i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		p.flags = tries[i];
		err = io_uring_queue_init_params(l->cfg.sq_entries, &l->ring, &p);
		if (err == 0) {
			l->setup_flags = tries[i];
			return 0;
		}
		if (err != -EINVAL)
			break;
	}
	return err;
}

static int bufs_setup(struct net_loop *l)
{
	struct io_uring_buf_reg reg;
	int err;

	if (!kimp_is_pow2(l->cfg.buf_count) || l->cfg.buf_count > 32768)
		return -EINVAL;
	/* liburing 2.3 has no io_uring_setup_buf_ring: map and register by hand */
	l->br_bytes = (size_t)l->cfg.buf_count * sizeof(struct io_uring_buf);
	l->br = mmap(NULL, l->br_bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->br == MAP_FAILED) {
		l->br = NULL;
		return -ENOMEM;
	}
	l->bufs_bytes = (size_t)l->cfg.buf_count * l->cfg.buf_size;
	l->bufs = mmap(NULL, l->bufs_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (l->bufs == MAP_FAILED) {
		l->bufs = NULL;
		return -ENOMEM;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)l->br;
	reg.ring_entries = l->cfg.buf_count;
	reg.bgid = BGID;
	err = io_uring_register_buf_ring(&l->ring, &reg, 0);
	if (err)
		return err;
	io_uring_buf_ring_init(l->br);
	l->buf_mask = (uint32_t)io_uring_buf_ring_mask(l->cfg.buf_count);
	for (uint32_t i = 0; i < l->cfg.buf_count; i++)
		io_uring_buf_ring_add(l->br, l->bufs + (size_t)i * l->cfg.buf_size,
				      l->cfg.buf_size, (unsigned short)i, (int)l->buf_mask,
				      (int)i);
	io_uring_buf_ring_advance(l->br, (int)l->cfg.buf_count);
	return 0;
}

static int conns_setup(struct net_loop *l)
{
	size_t per = (size_t)l->cfg.stage_size + l->cfg.tx_size;

	l->conns = aligned_alloc(16, sizeof(*l->conns) * l->cfg.max_conns);
	if (!l->conns)
		return -ENOMEM;
	memset(l->conns, 0, sizeof(*l->conns) * l->cfg.max_conns);
	l->conn_mem_bytes = per * l->cfg.max_conns;
	l->conn_mem = mmap(NULL, l->conn_mem_bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (l->conn_mem == MAP_FAILED) {
		l->conn_mem = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = l->cfg.max_conns; i-- > 0;) {
		struct net_conn *c = &l->conns[i];
		c->loop = l;
		c->fd = -1;
		c->stage = l->conn_mem + per * i;
		c->tx = c->stage + l->cfg.stage_size;
		c->next_free = l->free_list;
		l->free_list = c;
	}
	return 0;
}

int net_loop_new(struct net_loop **out, const struct net_loop_cfg *cfg)
{
	struct net_loop *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	cfg_defaults(&l->cfg, cfg);
	l->ring.ring_fd = -1;
	err = ring_setup(l);
	if (err)
		goto free;
	err = bufs_setup(l);
	if (err)
		goto free;
	err = conns_setup(l);
	if (err)
		goto free;
	*out = l;
	return 0;
free:
	net_loop_free(l);
	return err;
}

void net_loop_free(struct net_loop *l)
{
	if (!l)
		return;
	while (l->listeners) {
		struct net_listener *ls = l->listeners;
		l->listeners = ls->next;
		if (!ls->closing)
			close(ls->fd);
		free(ls);
	}
	for (uint32_t i = 0; l->conns && i < l->cfg.max_conns; i++)
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	if (l->ring.ring_fd >= 0)
		io_uring_queue_exit(&l->ring);
	if (l->br)
		munmap(l->br, l->br_bytes);
	if (l->bufs)
		munmap(l->bufs, l->bufs_bytes);
	if (l->conn_mem)
		munmap(l->conn_mem, l->conn_mem_bytes);
	free(l->conns);
	free(l);
}

unsigned net_loop_setup_flags(const struct net_loop *l)
{
	return l->setup_flags;
}

const struct net_loop_stats *net_loop_stats(const struct net_loop *l)
{
	return &l->st;
}

/* ---- addresses -------------------------------------------------------------- */

int net_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
		socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc || !res)
		return rc == EAI_SYSTEM ? -errno : -ENOENT;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ---- connections ------------------------------------------------------------ */

static struct net_conn *conn_get(struct net_loop *l)
{
	struct net_conn *c = l->free_list;

	if (!c)
		return NULL;
	l->free_list = c->next_free;
	c->next_free = NULL;
	c->pending = 0;
	c->close_err = 0;
	c->failed_open = false;
	c->recv_armed = false;
	c->send_inflight = false;
	c->close_on_drain = false;
	c->stage_len = 0;
	c->tx_head = c->tx_tail = c->tx_sent_len = 0;
	return c;
}

static void conn_put(struct net_conn *c)
{
	struct net_loop *l = c->loop;

	c->state = C_FREE;
	c->fd = -1;
	c->ops = NULL;
	c->user = NULL;
	c->next_free = l->free_list;
	l->free_list = c;
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void arm_recv(struct net_conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(c->loop);

	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, tag(c, OP_RECV));
	c->recv_armed = true;
	c->pending++;
}

static void start_send(struct net_conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->send_inflight || c->tx_head == c->tx_tail || c->state != C_OPEN)
		return;
	sqe = get_sqe(c->loop);
	c->tx_sent_len = c->tx_tail - c->tx_head;
	io_uring_prep_send(sqe, c->fd, c->tx + c->tx_head, c->tx_sent_len, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, tag(c, OP_SEND));
	c->send_inflight = true;
	c->pending++;
}

/* Release the slot once nothing is in flight; tell the owner first. */
static void conn_maybe_done(struct net_conn *c)
{
	if (c->state != C_CLOSING || c->pending)
		return;
	if (!c->failed_open && c->ops && c->ops->on_close)
		c->ops->on_close(c, c->close_err);
	conn_put(c);
}

static void conn_shut(struct net_conn *c, int err)
{
	struct io_uring_sqe *sqe;

	if (c->state == C_CLOSING || c->state == C_FREE)
		return;
	c->state = C_CLOSING;
	c->close_err = err;
	if (c->fd >= 0) {
		/* cancel everything on the fd, then close it: hard-linked so the
		 * close runs even when there was nothing to cancel */
		sqe = get_sqe(c->loop);
		io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
		sqe->flags |= IOSQE_IO_HARDLINK;
		io_uring_sqe_set_data64(sqe, tag(c, OP_CANCEL));
		c->pending++;
		sqe = get_sqe(c->loop);
		io_uring_prep_close(sqe, c->fd);
		io_uring_sqe_set_data64(sqe, tag(c, OP_CLOSE));
		c->pending++;
		c->fd = -1;
	}
	conn_maybe_done(c);
}

void net_close(struct net_conn *c)
{
	/* what was queued goes out first (a close frame, a close_notify) */
	if (c->state == C_OPEN && (c->send_inflight || c->tx_head != c->tx_tail)) {
		c->close_on_drain = true;
		return;
	}
	conn_shut(c, 0);
}

void net_abort(struct net_conn *c)
{
	conn_shut(c, 0);
}

int net_connect(struct net_loop *l, const struct sockaddr *addr, socklen_t alen,
		uint64_t timeout_ns, const struct net_conn_ops *ops, void *user,
		struct net_conn **out)
{
	struct io_uring_sqe *sqe;
	struct net_conn *c;
	int fd;

	if (alen > sizeof(c->addr))
		return -EINVAL;
	c = conn_get(l);
	if (!c)
		return -ENOSPC;
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int err = -errno;
		conn_put(c);
		return err;
	}
	set_nodelay(fd);
	c->fd = fd;
	c->ops = ops;
	c->user = user;
	c->state = C_CONNECTING;
	memcpy(&c->addr, addr, alen);
	c->alen = alen;

	sqe = get_sqe(l);
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&c->addr, c->alen);
	io_uring_sqe_set_data64(sqe, tag(c, OP_CONNECT));
	c->pending++;
	if (timeout_ns) {
		sqe->flags |= IOSQE_IO_LINK;
		c->connect_ts.tv_sec = (long long)(timeout_ns / 1000000000ull);
		c->connect_ts.tv_nsec = (long long)(timeout_ns % 1000000000ull);
		sqe = get_sqe(l);
		io_uring_prep_link_timeout(sqe, &c->connect_ts, 0);
		io_uring_sqe_set_data64(sqe, tag(c, OP_LINK_TIMEOUT));
		c->pending++;
	}
	*out = c;
	return 0;
}

static void on_connect(struct net_conn *c, int res)
{
	if (c->state != C_CONNECTING)
		return; /* closed meanwhile */
	if (res < 0) {
		/* the linked timeout cancels the connect: report a timeout */
		int err = res == -ECANCELED ? -ETIMEDOUT : res;
		c->failed_open = true; /* the owner hears it here, not in on_close */
		if (c->ops->on_open)
			c->ops->on_open(c, err);
		conn_shut(c, err);
		return;
	}
	c->state = C_OPEN;
	arm_recv(c);
	if (c->ops->on_open)
		c->ops->on_open(c, 0);
	start_send(c);
}

/* Hand bytes to the owner, through staging when a partial frame waits. */
static void deliver(struct net_conn *c, uint8_t *data, size_t n)
{
	struct net_loop *l = c->loop;
	size_t used;

	l->st.rx_bytes += n;
	if (c->stage_len == 0) {
		used = c->ops->on_data(c, data, n);
		if (c->state != C_OPEN || used >= n)
			return;
		data += used;
		n -= used;
		if (n > l->cfg.stage_size) {
			l->st.stage_overflow++;
			conn_shut(c, -EMSGSIZE);
			return;
		}
		memcpy(c->stage, data, n);
		c->stage_len = (uint32_t)n;
		l->st.rx_copied += n;
		return;
	}
	if (c->stage_len + n > l->cfg.stage_size) {
		l->st.stage_overflow++;
		conn_shut(c, -EMSGSIZE);
		return;
	}
	memcpy(c->stage + c->stage_len, data, n);
	c->stage_len += (uint32_t)n;
	l->st.rx_copied += n;
	used = c->ops->on_data(c, c->stage, c->stage_len);
	if (c->state != C_OPEN)
		return;
	if (used >= c->stage_len) {
		c->stage_len = 0;
		return;
	}
	memmove(c->stage, c->stage + used, c->stage_len - used);
	c->stage_len -= (uint32_t)used;
}

static void on_recv(struct net_conn *c, struct io_uring_cqe *cqe)
{
	struct net_loop *l = c->loop;
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (!more) {
		c->recv_armed = false;
		c->pending--;
	}
	if (cqe->res > 0) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		l->rx_tsc = kimp_rdtsc();
		if (c->state == C_OPEN)
			deliver(c, l->bufs + (size_t)bid * l->cfg.buf_size, (size_t)cqe->res);
		return_buf(l, bid);
	} else if (cqe->res == 0) {
		conn_shut(c, 0); /* EOF */
	} else if (cqe->res == -ENOBUFS) {
		l->st.rx_enobufs++; /* the buffers are back by now: re-arm below */
	} else if (cqe->res != -ECANCELED) {
		conn_shut(c, cqe->res);
	}
	if (!more && c->state == C_OPEN) {
		l->st.rx_rearm++;
		arm_recv(c);
	}
	conn_maybe_done(c);
}

static void on_send(struct net_conn *c, int res)
{
	struct net_loop *l = c->loop;

	c->pending--;
	c->send_inflight = false;
	if (res < 0) {
		conn_shut(c, res);
		conn_maybe_done(c);
		return;
	}
	if ((uint32_t)res < c->tx_sent_len)
		l->st.tx_short++;
	l->st.tx_bytes += (uint64_t)res;
	c->tx_head += (uint32_t)res;
	if (c->tx_head != c->tx_tail && c->tx_tail - c->tx_head <= c->tx_head) {
		/*
		 * No send reads the queue now: move what is left to the front, or
		 * under steady traffic (a send nearly always in flight, so the
		 * reserve never compacts) the tail walks to the end and the queue
		 * says full while mostly empty. Only when what is left is no more
		 * than what was sent, so the copying is paid for by the bytes sent;
		 * then the tail is below twice what is queued, and a reserve of
		 * len succeeds whenever 2 * queued + len fits the queue.
		 */
		memmove(c->tx, c->tx + c->tx_head, c->tx_tail - c->tx_head);
		c->tx_tail -= c->tx_head;
		c->tx_head = 0;
	}
	if (c->tx_head == c->tx_tail) {
		c->tx_head = c->tx_tail = 0;
		if (c->close_on_drain) {
			conn_shut(c, 0);
			conn_maybe_done(c);
			return;
		}
		if (c->state == C_OPEN && c->ops->on_drain)
			c->ops->on_drain(c);
	}
	start_send(c);
	conn_maybe_done(c);
}

uint8_t *net_send_reserve(struct net_conn *c, size_t len)
{
	uint32_t cap = c->loop->cfg.tx_size;

	if ((c->state != C_OPEN && c->state != C_CONNECTING) || c->close_on_drain)
		return NULL;
	if (c->tx_tail + len <= cap)
		return c->tx + c->tx_tail;
	/* compact, unless the kernel is reading the front right now */
	if (!c->send_inflight && c->tx_tail - c->tx_head + len <= cap) {
		memmove(c->tx, c->tx + c->tx_head, c->tx_tail - c->tx_head);
		c->tx_tail -= c->tx_head;
		c->tx_head = 0;
		return c->tx + c->tx_tail;
	}
	c->loop->st.tx_full++;
	return NULL;
}

void net_send_commit(struct net_conn *c, size_t len)
{
	c->tx_tail += (uint32_t)len;
	start_send(c);
}

int net_send(struct net_conn *c, const void *data, size_t len)
{
	uint8_t *p;

	if ((c->state != C_OPEN && c->state != C_CONNECTING) || c->close_on_drain)
		return -ENOTCONN;
	p = net_send_reserve(c, len);
	if (!p)
		return -ENOBUFS;
	memcpy(p, data, len);
	net_send_commit(c, len);
	return 0;
}

void *net_conn_user(const struct net_conn *c)
{
	return c->user;
}

void net_conn_set_user(struct net_conn *c, void *user)
{
	c->user = user;
}

void net_conn_set_ops(struct net_conn *c, const struct net_conn_ops *ops)
{
	c->ops = ops;
}

struct net_loop *net_conn_loop(const struct net_conn *c)
{
	return c->loop;
}

size_t net_conn_tx_pending(const struct net_conn *c)
{
	return c->tx_tail - c->tx_head;
}

size_t net_conn_tx_room(const struct net_conn *c)
{
	uint32_t cap = c->loop->cfg.tx_size;

	if ((c->state != C_OPEN && c->state != C_CONNECTING) || c->close_on_drain)
		return 0;
	/* compaction is only possible when no send is reading the front */
	return c->send_inflight ? cap - c->tx_tail : cap - (c->tx_tail - c->tx_head);
}

bool net_conn_open(const struct net_conn *c)
{
	return c->state == C_OPEN;
}

/* ---- listeners ---------------------------------------------------------------- */

static void arm_accept(struct net_listener *ls)
{
	struct io_uring_sqe *sqe = get_sqe(ls->loop);

	io_uring_prep_multishot_accept(sqe, ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, tag(ls, OP_ACCEPT));
	ls->pending++;
}

int net_listen(struct net_loop *l, const struct sockaddr *addr, socklen_t alen,
	       const struct net_conn_ops *ops, void *user, struct net_listener **out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct net_listener *ls;
	int one = 1, err;

	ls = aligned_alloc(16, sizeof(*ls));
	if (!ls)
		return -ENOMEM;
	memset(ls, 0, sizeof(*ls));
	ls->loop = l;
	ls->ops = ops;
	ls->user = user;
	ls->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls->fd < 0) {
		err = -errno;
		goto free;
	}
	setsockopt(ls->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls->fd, addr, alen) || listen(ls->fd, 128) ||
	    getsockname(ls->fd, (struct sockaddr *)&ss, &sl)) {
		err = -errno;
		goto close;
	}
	ls->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						  : ((struct sockaddr_in *)&ss)->sin_port);
	arm_accept(ls);
	ls->next = l->listeners;
	l->listeners = ls;
	*out = ls;
	return 0;
close:
	close(ls->fd);
free:
	free(ls);
	return err;
}

uint16_t net_listener_port(const struct net_listener *ls)
{
	return ls->port;
}

void net_listener_close(struct net_listener *ls)
{
	struct io_uring_sqe *sqe;

	if (ls->closing)
		return;
	ls->closing = true;
	sqe = get_sqe(ls->loop);
	io_uring_prep_cancel_fd(sqe, ls->fd, IORING_ASYNC_CANCEL_ALL);
	sqe->flags |= IOSQE_IO_HARDLINK;
	io_uring_sqe_set_data64(sqe, tag(ls, OP_LISTEN_CANCEL));
	ls->pending++;
	sqe = get_sqe(ls->loop);
	io_uring_prep_close(sqe, ls->fd);
	io_uring_sqe_set_data64(sqe, tag(ls, OP_LISTEN_CLOSE));
	ls->pending++;
}

static void on_accept(struct net_listener *ls, struct io_uring_cqe *cqe)
{
	struct net_loop *l = ls->loop;
	struct net_conn *c;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		ls->pending--;
		if (!ls->closing && cqe->res != -ECANCELED)
			arm_accept(ls);
	}
	if (cqe->res < 0)
		return;
	if (ls->closing || !(c = conn_get(l))) {
		close(cqe->res); /* no slot: refuse */
		return;
	}
	set_nodelay(cqe->res);
	c->fd = cqe->res;
	c->ops = ls->ops;
	c->user = ls->user;
	c->state = C_OPEN;
	arm_recv(c);
	if (c->ops->on_open)
		c->ops->on_open(c, 0);
}

static void listener_done(struct net_listener *ls)
{
	struct net_listener **pp;

	ls->pending--;
	if (!ls->closing || ls->pending)
		return;
	for (pp = &ls->loop->listeners; *pp; pp = &(*pp)->next)
		if (*pp == ls) {
			*pp = ls->next;
			break;
		}
	free(ls);
}

/* ---- timers ----------------------------------------------------------------- */

int net_timer_start(struct net_loop *l, struct net_timer *t, uint64_t delay_ns)
{
	struct io_uring_sqe *sqe;

	if (t->armed)
		return -EBUSY;
	t->loop = l;
	t->ts_sec = (int64_t)(delay_ns / 1000000000ull);
	t->ts_nsec = (int64_t)(delay_ns % 1000000000ull);
	t->armed = true;
	t->cancelling = false;
	sqe = get_sqe(l);
	/* struct __kernel_timespec is two 64-bit fields: ts_sec, ts_nsec */
	io_uring_prep_timeout(sqe, (struct __kernel_timespec *)&t->ts_sec, 0, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)t | OP_TIMER);
	return 0;
}

void net_timer_stop(struct net_timer *t)
{
	struct io_uring_sqe *sqe;

	if (!t->armed || t->cancelling)
		return;
	t->cancelling = true;
	sqe = get_sqe(t->loop);
	io_uring_prep_timeout_remove(sqe, (uint64_t)(uintptr_t)t | OP_TIMER, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)t | OP_TIMER_REMOVE);
}

static void on_timer(struct net_timer *t, int res)
{
	bool fire = t->armed && !t->cancelling && res == -ETIME;

	t->armed = false;
	t->cancelling = false;
	if (fire)
		t->fn(t);
}

/* ---- the loop ---------------------------------------------------------------- */

static void handle(struct net_loop *l, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	void *p = (void *)(uintptr_t)(ud & ~OP_MASK);

	l->st.cqes++;
	switch ((enum op_kind)(ud & OP_MASK)) {
	case OP_CONNECT:
		((struct net_conn *)p)->pending--;
		on_connect(p, cqe->res);
		conn_maybe_done(p);
		break;
	case OP_RECV:
		on_recv(p, cqe);
		break;
	case OP_SEND:
		on_send(p, cqe->res);
		break;
	case OP_LINK_TIMEOUT:
	case OP_CANCEL:
	case OP_CLOSE:
		((struct net_conn *)p)->pending--;
		conn_maybe_done(p);
		break;
	case OP_ACCEPT:
		on_accept(p, cqe);
		break;
	case OP_LISTEN_CANCEL:
	case OP_LISTEN_CLOSE:
		listener_done(p);
		break;
	case OP_TIMER:
		on_timer(p, cqe->res);
		break;
	case OP_TIMER_REMOVE:
		break;
	case OP_FUTEX:
		net_futex_done(p, cqe->res);
		break;
	case OP_FUTEX_CANCEL:
		break;
	}
}

int net_loop_run(struct net_loop *l, uint64_t timeout_ns)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int err;

	if (timeout_ns) {
		struct __kernel_timespec ts = {
			.tv_sec = (long long)(timeout_ns / 1000000000ull),
			.tv_nsec = (long long)(timeout_ns % 1000000000ull),
		};
		err = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
		if (err < 0 && err != -ETIME && err != -EINTR)
			return err;
	} else if (io_uring_sq_ready(&l->ring)) {
		err = io_uring_submit(&l->ring);
		if (err < 0 && err != -EINTR)
			return err;
	} else if (IO_URING_READ_ONCE(*l->ring.sq.kflags) & IORING_SQ_TASKRUN) {
		/* deferred completions wait for us to enter the kernel */
		io_uring_get_events(&l->ring);
	}
	io_uring_for_each_cqe(&l->ring, head, cqe) {
		handle(l, cqe);
		n++;
	}
	io_uring_cq_advance(&l->ring, n);
	return (int)n;
}
