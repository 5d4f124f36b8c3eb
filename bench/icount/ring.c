/* SPDX-License-Identifier: MIT */
/*
 * The ring stage: one market-data event (struct kimp_md_top, 64 bytes)
 * pushed on an shm ring made as feedd makes its md ring (conflating, 4096
 * slots) and popped by a consumer, in one thread: the two ends of the md
 * hop without the cache lines moving between cores. Each popped message
 * must be the one pushed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/msg.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/venue_id.h"
#include "icount.h"

struct ring_st {
	char dir[256], name[SHM_NAME_MAX];
	struct shm_opts so;
	struct shm_seg seg;
	bool seg_on;
	struct shm_ring *ring;
	struct shm_ring_prod prod;
	struct shm_ring_cons cons;
	struct kimp_md_top in, out;
	int pushed, popped;
};

static int ring_open(struct ic_run *r)
{
	struct ring_st *s = calloc(1, sizeof(*s));
	int e;

	r->st = s;
	if (!s)
		return ic_fail(r, -ENOMEM, "out of memory");
	snprintf(s->dir, sizeof(s->dir), "%s/kimp-icount-XXXXXX", r->tmp_parent);
	if (!mkdtemp(s->dir)) {
		e = -errno;
		s->dir[0] = 0;
		return ic_fail(r, e, "mkdtemp under %s: %s", r->tmp_parent, strerror(-e));
	}
	shm_opts_default(&s->so);
	s->so.shm_dir = s->dir;
	s->so.hugetlbfs_dir = s->dir;
	s->so.allow_hugetlbfs = false;
	snprintf(s->name, sizeof(s->name), "icr%d", (int)getpid());
	if ((e = shm_seg_create(&s->seg, s->name, 2u << 20, &s->so)))
		return ic_fail(r, e, "segment %s: %s", s->name, shm_last_error());
	s->seg_on = true;
	e = shm_ring_create(&s->seg, "md", sizeof(struct kimp_md_top), 4096, SHM_RING_CONFLATE,
			    NULL, &s->ring);
	if (!e)
		e = shm_ring_producer(s->ring, &s->prod);
	if (!e)
		e = shm_ring_consumer(s->ring, &s->cons);
	if (e)
		return ic_fail(r, e, "ring md: %s", shm_last_error());
	return 0;
}

static int ring_before(struct ic_run *r, uint64_t i)
{
	struct ring_st *s = r->st;
	struct kimp_md_top *m = &s->in;

	memset(m, 0, sizeof(*m));
	m->h.type = KIMP_MSG_MD_TOP;
	m->h.venue = KIMP_VENUE_BINANCE;
	m->h.inst = 1;
	m->h.ingress_tsc = i + 1;
	m->bid_px = 7000000000000 + (int64_t)i;
	m->bid_qty = 100000000;
	m->ask_px = 7000010000000 + (int64_t)i;
	m->ask_qty = 100000000;
	memset(&s->out, 0, sizeof(s->out));
	s->pushed = s->popped = -1;
	return 0;
}

static int ring_op(struct ic_run *r, uint64_t i)
{
	struct ring_st *s = r->st;

	(void)i;
	s->pushed = shm_ring_push(&s->prod, &s->in, sizeof(s->in));
	s->popped = shm_ring_pop(&s->cons, &s->out, sizeof(s->out));
	return 0;
}

static int ring_after(struct ic_run *r, uint64_t i)
{
	struct ring_st *s = r->st;

	if (s->pushed || s->popped)
		return ic_fail(r, -EPROTO, "message %llu: push %d, pop %d",
			       (unsigned long long)i, s->pushed, s->popped);
	if (s->out.h.type != KIMP_MSG_MD_TOP || s->out.h.ingress_tsc != i + 1 ||
	    s->out.bid_px != s->in.bid_px || s->out.ask_px != s->in.ask_px)
		return ic_fail(r, -EPROTO, "message %llu: popped another message",
			       (unsigned long long)i);
	r->produced++;
	return 0;
}

static void ring_close(struct ic_run *r)
{
	struct ring_st *s = r->st;

	if (s && s->seg_on) {
		shm_seg_detach(&s->seg);
		shm_seg_remove(s->name, &s->so);
	}
	if (s && s->dir[0] && rmdir(s->dir))
		fprintf(stderr, IC_PROG ": rmdir %s: %s\n", s->dir, strerror(errno));
	free(s);
	r->st = NULL;
}

const struct ic_stage ic_ring_stage = {
	.name = "ring", .what = "push + pop of one md event (64 bytes) on an shm ring",
	.iters = 5000, .open = ring_open, .before = ring_before, .op = ring_op,
	.after = ring_after, .close = ring_close,
};
