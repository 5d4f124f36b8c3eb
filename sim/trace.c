/* SPDX-License-Identifier: MIT */
/*
 * The latency trace (sim.h, "trace.c"): fixed 64-byte records of market
 * frames sent and orders received, with the TSC, for the e2e bench's
 * wire-to-wire figure. A record is a copy into a buffer; the buffer goes
 * to the file with one write when it is full and at close. exsim is one
 * thread: no locking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/compiler.h"
#include "kimp/tsc.h"
#include "kimp/venue_id.h"
#include "kimp/venue.h"
#include "sim.h"

KIMP_ASSERT_SIZE(struct sim_trace_hdr, 64);
KIMP_ASSERT_SIZE(struct sim_trace_rec, 64);
KIMP_ASSERT_OFFSET(struct sim_trace_hdr, tsc_hz, 16);
KIMP_ASSERT_OFFSET(struct sim_trace_hdr, venue_id, 40);
KIMP_ASSERT_OFFSET(struct sim_trace_rec, tsc, 8);
KIMP_ASSERT_OFFSET(struct sim_trace_rec, seq, 16);
KIMP_ASSERT_OFFSET(struct sim_trace_rec, cid, 24);
KIMP_STATIC_ASSERT(SIM_MAX_VENUES <= sizeof(((struct sim_trace_hdr *)0)->venue_id),
		   "the header maps every scenario venue");

struct sim_trace {
	int fd;
	int err;                        /* the first write error, kept */
	uint32_t n, cap;                /* buffered, buffer size (records) */
	uint64_t seq;                   /* records taken */
	uint8_t venue_id[SIM_MAX_VENUES];
	struct sim_trace_rec *buf;
};

/* Write all of p[0..len): 0 or -errno. */
static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t w = write(fd, c, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!w)
			return -EIO;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The engine's id of the venue exsim calls name (libvenue's registry). */
static uint8_t venue_of(const char *name)
{
	const struct venue_md *md = venue_md_by_name(name);

	return md ? md->venue : KIMP_VENUE_NONE;
}

int sim_trace_open(struct sim_trace **out, const char *path, const struct sim_scenario *sc,
		   uint32_t buf_recs)
{
	struct sim_trace *t = NULL;
	struct sim_trace_hdr h;
	struct kimp_tsc_cal cal;
	int e;

	*out = NULL;
	if (!path || !path[0])
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1;
	t->cap = buf_recs ? buf_recs : SIM_TRACE_BUF;
	t->buf = calloc(t->cap, sizeof(*t->buf));
	if (!t->buf) {
		e = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; sc && i < sc->nvenues && i < SIM_MAX_VENUES; i++)
		t->venue_id[i] = venue_of(sc->venues[i].name);
	e = kimp_tsc_calibrate(&cal, 20000000ull);
	if (e)
		goto fail;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SIM_TRACE_MAGIC, sizeof(h.magic));
	h.version = SIM_TRACE_VERSION;
	h.rec_size = sizeof(struct sim_trace_rec);
	h.tsc_hz = cal.tsc_hz;
	h.start_tsc = kimp_rdtsc();
	h.start_real_ns = kimp_real_ns();
	memcpy(h.venue_id, t->venue_id, sizeof(t->venue_id));
	t->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t->fd < 0) {
		e = -errno;
		goto fail;
	}
	e = write_all(t->fd, &h, sizeof(h));
	if (e)
		goto fail;
	*out = t;
	return 0;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t->buf);
	free(t);
	return e;
}

int sim_trace_flush(struct sim_trace *t)
{
	if (t->n && !t->err)
		t->err = write_all(t->fd, t->buf, (size_t)t->n * sizeof(*t->buf));
	t->n = 0;
	return t->err;
}

/* The next record, zeroed but for kind, venue, tsc and seq. */
static struct sim_trace_rec *take(struct sim_trace *t, unsigned kind, unsigned idx, uint64_t tsc)
{
	struct sim_trace_rec *r;

	if (kimp_unlikely(t->n == t->cap))
		sim_trace_flush(t);
	r = &t->buf[t->n++];
	memset(r, 0, sizeof(*r));
	r->kind = (uint8_t)kind;
	r->venue = idx < SIM_MAX_VENUES ? t->venue_id[idx] : KIMP_VENUE_NONE;
	r->tsc = tsc;
	r->seq = ++t->seq;
	return r;
}

void sim_trace_md(struct sim_trace *t, unsigned idx, uint64_t tsc)
{
	take(t, SIM_TRACE_MD, idx, tsc);
}

void sim_trace_order(struct sim_trace *t, unsigned idx, uint64_t tsc, const char *cid)
{
	struct sim_trace_rec *r = take(t, SIM_TRACE_ORDER, idx, tsc);
	size_t len = cid ? strlen(cid) : 0;

	r->cid_len = (uint8_t)(len > 255 ? 255 : len);
	memcpy(r->cid, cid ? cid : "", len < SIM_TRACE_CID ? len : SIM_TRACE_CID);
}

uint64_t sim_trace_count(const struct sim_trace *t)
{
	return t->seq;
}

int sim_trace_error(const struct sim_trace *t)
{
	return t->err;
}

int sim_trace_close(struct sim_trace *t)
{
	int e;

	if (!t)
		return 0;
	e = sim_trace_flush(t);
	if (close(t->fd) && !e)
		e = -errno;
	free(t->buf);
	free(t);
	return e;
}
