/* SPDX-License-Identifier: MIT */
/*
 * Two pipes, blocking: one write() and one read() of the fixed-size message
 * each. Made per test, before the fork; each process closes the ends it does
 * not use, so a peer that dies shows as end of file, not as a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "bench.h"

struct pipe_chan {
	int ab[2];   /* parent to child */
	int ba[2];   /* child to parent */
};

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pipe_init(struct bench_env *env)
{
	for (unsigned int set = 0; set < env->nsets; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			struct pipe_chan *ch = malloc(sizeof(*ch));

			if (!ch)
				return -ENOMEM;
			ch->ab[0] = ch->ab[1] = ch->ba[0] = ch->ba[1] = -1;
			env->chan[set][TP_PIPE][i] = ch;
		}
	}
	return 0;
}

static void pipe_fini(struct bench_env *env)
{
	for (unsigned int set = 0; set < BENCH_MAX_SETS; set++) {
		for (int i = 0; i < BENCH_NSIZES; i++) {
			free(env->chan[set][TP_PIPE][i]);
			env->chan[set][TP_PIPE][i] = NULL;
		}
	}
}

static void pipe_close(struct bench_run *r)
{
	struct pipe_chan *ch = r->chan;

	fd_close(&ch->ab[0]);
	fd_close(&ch->ab[1]);
	fd_close(&ch->ba[0]);
	fd_close(&ch->ba[1]);
}

static int pipe_open(struct bench_run *r)
{
	struct pipe_chan *ch = r->chan;

	if (pipe2(ch->ab, O_CLOEXEC))
		return -errno;
	if (pipe2(ch->ba, O_CLOEXEC)) {
		int err = -errno;

		pipe_close(r);
		return err;
	}
	return 0;
}

/* Keep the parent's ends: write ab, read ba. */
static struct pipe_chan *pipe_side_main(struct bench_run *r)
{
	struct pipe_chan *ch = r->chan;

	fd_close(&ch->ab[0]);
	fd_close(&ch->ba[1]);
	return ch;
}

static struct pipe_chan *pipe_side_peer(struct bench_run *r)
{
	struct pipe_chan *ch = r->chan;

	fd_close(&ch->ab[1]);
	fd_close(&ch->ba[0]);
	return ch;
}

static int pipe_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int pipe_recv(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- ping-pong ----------------------------------------------------------- */

BENCH_INLINE int pipe_pp_main_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_main(r);
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 out = { 0 }, in;
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		uint64_t t0 = kimp_rdtsc();

		msg_fill(&out, size, i);
		err = pipe_send(ch->ab[1], &out, size);
		if (err)
			break;
		err = pipe_recv(ch->ba[0], &in, size);
		if (err)
			break;
		uint64_t t1 = kimp_rdtscp();

		errors += !msg_ok(&in, size, i);
		if (i >= r->warm)
			r->samples[i - r->warm] = t1 - t0;
	}
	r->errors = errors;
	return err;
}

BENCH_INLINE int pipe_pp_peer_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_peer(r);
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 m = { 0 };
	int err = 0;

	bench_start_peer(r);
	for (uint64_t i = 0; i < total; i++) {
		err = pipe_recv(ch->ab[0], &m, size);
		if (err)
			break;
		err = pipe_send(ch->ba[1], &m, size);
		if (err)
			break;
		errors += !msg_ok(&m, size, i);
	}
	r->errors = errors;
	return err;
}

/* ---- timestamped one-way --------------------------------------------------- */

BENCH_INLINE int pipe_ow_main_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_main(r);
	uint64_t total = r->warm + r->n, errors = 0;
	struct msg128 m = { 0 };
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < total; i++) {
		err = pipe_recv(ch->ba[0], &m, size);
		if (err)
			break;
		uint64_t t1 = kimp_rdtscp();

		bench_ow_sample(r, i, msg_stamp_of(&m), t1);
		errors += !msg_ok(&m, size, i);
		bench_ack(r, i + 1);
	}
	r->errors = errors;
	return err;
}

BENCH_INLINE int pipe_ow_peer_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_peer(r);
	uint64_t total = r->warm + r->n;
	struct msg128 m = { 0 };
	int err = 0;

	bench_start_peer(r);
	for (uint64_t i = 0; !err && i < total; i++) {
		bench_wait_ack(r, i);
		msg_fill(&m, size, i);
		msg_stamp(&m, kimp_rdtsc());
		err = pipe_send(ch->ba[1], &m, size);
	}
	return err;
}

/* ---- throughput ------------------------------------------------------------ */

BENCH_INLINE int pipe_tput_main_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_main(r);
	uint64_t errors = 0;
	struct msg128 m = { 0 };
	int err;

	err = bench_start_main(r);
	if (err)
		return err;
	for (uint64_t i = 0; i < r->n; i++) {
		err = pipe_recv(ch->ba[0], &m, size);
		if (err)
			break;
		errors += !msg_ok(&m, size, i);
	}
	r->ticks = kimp_rdtscp() - r->t_start;
	r->errors = errors;
	return err;
}

BENCH_INLINE int pipe_tput_peer_sz(struct bench_run *r, size_t size)
{
	struct pipe_chan *ch = pipe_side_peer(r);
	struct msg128 m = { 0 };
	int err = 0;

	bench_start_peer(r);
	for (uint64_t i = 0; !err && i < r->n; i++) {
		msg_fill(&m, size, i);
		err = pipe_send(ch->ba[1], &m, size);
	}
	return err;
}

BENCH_BY_SIZE(pipe_pp_main)
BENCH_BY_SIZE(pipe_pp_peer)
BENCH_BY_SIZE(pipe_ow_main)
BENCH_BY_SIZE(pipe_ow_peer)
BENCH_BY_SIZE(pipe_tput_main)
BENCH_BY_SIZE(pipe_tput_peer)

const struct transport tp_pipe = {
	.name = "pipe",
	.blocking = true,
	.init = pipe_init,
	.fini = pipe_fini,
	.open = pipe_open,
	.close = pipe_close,
	.main = {
		[T_PINGPONG] = pipe_pp_main,
		[T_ONEWAY] = pipe_ow_main,
		[T_TPUT] = pipe_tput_main,
	},
	.peer = {
		[T_PINGPONG] = pipe_pp_peer,
		[T_ONEWAY] = pipe_ow_peer,
		[T_TPUT] = pipe_tput_peer,
	},
};
