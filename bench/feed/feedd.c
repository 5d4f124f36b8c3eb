/* SPDX-License-Identifier: MIT */
/*
 * feedd as the bench drives it: its configuration (both venues on exsim,
 * exsim's coins, a segment of its own), the process (pinned, dies with the
 * bench), its segment (the book table, the md ring, the metrics found by
 * name) and nothing left behind: the segment is removed when feedd stops,
 * and by the signal handler when the bench is interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kimp/book.h"
#include "../common/bench_util.h"
#include "feed_bench.h"

#define FEEDD_RING   "md"
#define FEEDD_METRICS "metrics"

/* The segment's file, for the signal handler ("" none). */
static char seg_path[300];

static void unlink_seg(void)
{
	if (seg_path[0])
		unlink(seg_path);
}

/* ---- the configuration -------------------------------------------------------------- */

static void put_coins(FILE *f, const struct fb_cfg *c, bool usdt)
{
	for (unsigned i = 0; i < c->ncoins; i++)
		fprintf(f, "%s%s", i ? " " : "", c->coins[i]);
	if (usdt)
		fputs(" USDT", f);
	fputc('\n', f);
}

static int write_conf(const struct fb_cfg *c, const struct bx_exsim *x, struct fb_feedd *f)
{
	FILE *o;
	int err = 0;

	snprintf(f->conf_path, sizeof(f->conf_path), "%s/feedd-%s.conf", x->dir, f->seg_name);
	o = fopen(f->conf_path, "w");
	if (!o) {
		err = -errno;
		fprintf(stderr, FB_PROG ": write %s: %s\n", f->conf_path, strerror(errno));
		return err;
	}
	fprintf(o, "# feed_bench: feedd on exsim (%s)\n[engine]\ncoins = ", x->ready_line);
	put_coins(o, c, true);
	fprintf(o, "\n[feedd]\nname = %s\nring_slots = %u\nspin = %s\n", f->seg_name,
		c->ring_slots, c->spin ? "true" : "false");
	fprintf(o, "\n[venue.upbit]\nws_url = wss://localhost:%u\nrest_url = https://localhost:%u\n"
		"ca_file = %s\nconns = %u\ndepth = %u\ncoins = ", x->ws_port[BX_UPBIT],
		x->rest_port[BX_UPBIT], x->ca, c->conns, c->upbit_depth);
	put_coins(o, c, true);
	fprintf(o, "\n[venue.binance]\nws_url = wss://localhost:%u\n"
		"rest_url = https://localhost:%u\nca_file = %s\nconns = %u\ncoins = ",
		x->ws_port[BX_BINANCE], x->rest_port[BX_BINANCE], x->ca, c->conns);
	put_coins(o, c, false);
	if (ferror(o))
		err = -EIO;
	if (fclose(o) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, FB_PROG ": write %s: %s\n", f->conf_path, strerror(-err));
	return err;
}

/* ---- the process ------------------------------------------------------------------------ */

static __attribute__((noreturn)) void child_main(const struct fb_cfg *c, const struct fb_feedd *f,
						 int err_fd, pid_t parent)
{
	const char *argv[] = { c->feedd, "-c", f->conf_path, NULL };
	int devnull;

	bu_signals_default();
	/* never outlive the bench */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	if (c->pin && bu_pin(c->cpu[1])) {
		fprintf(stderr, FB_PROG ": pin feedd to CPU %d: %s\n", c->cpu[1], strerror(errno));
		_exit(1);
	}
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(devnull, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(1);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, FB_PROG ": exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

bool fb_feedd_alive(struct fb_feedd *f)
{
	return bu_child_alive(FB_PROG, "feedd", &f->pid, FB_FEEDD_SLOT);
}

/*
 * Read what feedd wrote to its stderr, forward it line by line to ours and
 * note its start line, "feedd: CONF: N venue(s), M book(s), segment ...",
 * written once the segment is made and the feeds started. 0, or -ECHILD
 * at its end of file, or -errno.
 */
static int read_err(struct fb_feedd *f)
{
	for (;;) {
		ssize_t n = read(f->err_fd, f->line + f->line_len, sizeof(f->line) - 1 - f->line_len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (!n)
			return -ECHILD;
		f->line_len += (size_t)n;
		f->line[f->line_len] = 0;
		while ((nl = strchr(f->line, '\n'))) {
			*nl = 0;
			if (!strncmp(f->line, "feedd: ", 7) && strstr(f->line, " venue(s), "))
				f->ready = true;
			fprintf(stderr, "%s\n", f->line);
			f->line_len -= (size_t)(nl + 1 - f->line);
			memmove(f->line, nl + 1, f->line_len + 1);
		}
		if (f->line_len == sizeof(f->line) - 1) {
			fprintf(stderr, "%s\n", f->line);
			f->line_len = 0;
		}
	}
}

void fb_feedd_drain(struct fb_feedd *f)
{
	if (f->err_fd >= 0)
		read_err(f);
}

/* ---- the segment ----------------------------------------------------------------------- */

static const _Atomic uint64_t *find_counter(const struct shm_metrics *m, const char *name)
{
	uint32_t n = atomic_load_explicit(&m->ncounters, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_counter_name(m, i), name))
			return shm_metrics_counter_at(m, i);
	return NULL;
}

static const struct shm_hist *find_hist(const struct shm_metrics *m, const char *name)
{
	uint32_t n = atomic_load_explicit(&m->nhists, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_hist_name(m, i), name))
			return shm_metrics_hist_at(m, i);
	return NULL;
}

static const _Atomic uint64_t *venue_counter(const struct shm_metrics *m, unsigned v,
					     const char *name)
{
	char n[SHM_METRIC_NAME];

	snprintf(n, sizeof(n), "%s.%s", bx_venue_names[v], name);
	return find_counter(m, n);
}

static void find_metrics(struct fb_feedd *f)
{
	const struct shm_metrics *m = f->metrics;
	uint32_t n = atomic_load_explicit(&m->ncounters, memory_order_acquire);

	f->c_events = find_counter(m, "md.events");
	f->c_ring_full = find_counter(m, "md.ring_full");
	f->c_status = find_counter(m, "md.status_changes");
	for (unsigned v = 0; v < FB_NVENUES; v++) {
		char prefix[SHM_METRIC_NAME], hn[SHM_METRIC_NAME];
		size_t pl;

		f->vc[v].msgs = venue_counter(m, v, "msgs");
		f->vc[v].bytes = venue_counter(m, v, "bytes");
		f->vc[v].control = venue_counter(m, v, "msgs.control");
		f->vc[v].gaps = venue_counter(m, v, "gaps");
		f->vc[v].resyncs = venue_counter(m, v, "resyncs");
		f->vc[v].reconnects = venue_counter(m, v, "reconnects");
		f->vc[v].crossed = venue_counter(m, v, "crossed");
		f->vc[v].stale_marks = venue_counter(m, v, "stale_marks");
		f->vc[v].snap_fail = venue_counter(m, v, "snapshot_failures");
		f->vc[v].idle_drops = venue_counter(m, v, "idle_drops");
		pl = (size_t)snprintf(prefix, sizeof(prefix), "%s.decode_err.", bx_venue_names[v]);
		f->vc[v].ndecode_err = 0;
		for (uint32_t i = 0; i < n && f->vc[v].ndecode_err < 16; i++)
			if (!strncmp(shm_metrics_counter_name(m, i), prefix, pl))
				f->vc[v].decode_err[f->vc[v].ndecode_err++] =
					shm_metrics_counter_at(m, i);
		snprintf(hn, sizeof(hn), "%s.cqe_to_publish_ns", bx_venue_names[v]);
		f->hist[1 + v] = find_hist(m, hn);
	}
	f->hist[0] = find_hist(m, "cqe_to_publish_ns");
}

/*
 * The segment with its three regions, and every metric registered: feedd
 * registers the books' gauges last, two a book. 0, -EAGAIN (not yet), or
 * another -errno.
 */
static int try_attach(struct fb_feedd *f)
{
	int err = shm_seg_attach(&f->seg, f->seg_name, &f->so);

	if (err == -ENOENT)
		return -EAGAIN;
	if (err)
		return err;
	err = shm_seqtab_lookup(&f->seg, KIMP_BOOK_REGION, &f->books);
	if (!err)
		err = shm_ring_lookup(&f->seg, FEEDD_RING, &f->ring);
	if (!err)
		err = shm_metrics_lookup(&f->seg, FEEDD_METRICS, &f->metrics);
	if (!err && atomic_load_explicit(&f->metrics->ngauges, memory_order_acquire) <
		    2 * f->books->count)
		err = -EAGAIN;
	if (err == -ENOENT)
		err = -EAGAIN;
	if (err) {
		shm_seg_detach(&f->seg);
		return err;
	}
	f->attached = true;
	find_metrics(f);
	return 0;
}

int fb_feedd_start(const struct fb_cfg *c, const struct bx_exsim *x, unsigned run,
		   struct fb_feedd *f)
{
	pid_t parent = getpid(), pid;
	uint64_t deadline;
	int pfd[2], err;

	memset(f, 0, sizeof(*f));
	f->err_fd = -1;
	shm_opts_default(&f->so);
	snprintf(f->seg_name, sizeof(f->seg_name), "fb%dr%u", (int)getpid(), run);
	/* a segment of that name left by a bench killed with SIGKILL */
	shm_seg_remove(f->seg_name, &f->so);
	err = write_conf(c, x, f);
	if (err)
		return err;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fprintf(stderr, FB_PROG ": fork: %s\n", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(c, f, pfd[1], parent);
	}
	close(pfd[1]);
	f->err_fd = pfd[0];
	f->pid = pid;
	bu_child(FB_FEEDD_SLOT, pid);
	bu_signal_cleanup(unlink_seg);
	deadline = bu_mono_ns() + (uint64_t)c->start_timeout_s * 1000000000ull;
	for (;;) {
		/* not before feedd says it made its segment: a half-made one is no use */
		err = read_err(f);
		if (err == -ECHILD)
			err = 0;        /* its end: the check below says how */
		err = err ? err : f->ready ? try_attach(f) : -EAGAIN;
		if (!err)
			break;
		if (err != -EAGAIN) {
			fprintf(stderr, FB_PROG ": feedd's segment %s: %s (%s)\n", f->seg_name,
				strerror(-err), shm_last_error());
			goto fail;
		}
		/* the file exists by now, or soon: the handler removes it */
		if (!seg_path[0] && shm_seg_path(f->seg_name, &f->so, seg_path, sizeof(seg_path)))
			seg_path[0] = 0;
		if (!fb_feedd_alive(f)) {
			fprintf(stderr, FB_PROG ": feedd ended before its segment was ready "
				"(configuration %s)\n", f->conf_path);
			err = -ECHILD;
			goto fail;
		}
		if (bu_mono_ns() >= deadline) {
			fprintf(stderr, FB_PROG ": feedd's segment %s not ready within %u s\n",
				f->seg_name, c->start_timeout_s);
			err = -ETIMEDOUT;
			goto fail;
		}
		usleep(10000);
	}
	if (!seg_path[0] && shm_seg_path(f->seg_name, &f->so, seg_path, sizeof(seg_path)))
		seg_path[0] = 0;
	if (!f->c_events || !f->vc[BX_BINANCE].msgs || !f->vc[BX_UPBIT].msgs || !f->hist[0]) {
		fprintf(stderr, FB_PROG ": feedd's metrics lack %s\n",
			!f->c_events ? "md.events" : !f->hist[0] ? "cqe_to_publish_ns" :
			"a venue's msgs counter");
		err = -EPROTO;
		goto fail;
	}
	return 0;
fail:
	fb_feedd_stop(f);
	return err;
}

void fb_feedd_stop(struct fb_feedd *f)
{
	if (f->attached) {
		shm_seg_detach(&f->seg);
		f->attached = false;
	}
	bu_child_stop(FB_PROG, "feedd", &f->pid, FB_FEEDD_SLOT, 3000000000ull, NULL, NULL);
	if (f->err_fd >= 0) {
		read_err(f);
		close(f->err_fd);
		f->err_fd = -1;
	}
	if (f->seg_name[0]) {
		int err = shm_seg_remove(f->seg_name, &f->so);

		if (err && err != -ENOENT)
			fprintf(stderr, FB_PROG ": remove segment %s: %s\n", f->seg_name,
				strerror(-err));
	}
	seg_path[0] = 0;
}

/* ---- readings ------------------------------------------------------------------------ */

unsigned fb_books_live(struct fb_feedd *f, unsigned *total)
{
	struct kimp_book b;
	unsigned live = 0;

	*total = f->books->count;
	for (uint32_t i = 0; i < f->books->count; i++)
		/* only the header is wanted, but a record is read whole */
		if (!shm_seqtab_read(f->books, i, &b, 1000) && b.status == KIMP_BOOK_LIVE)
			live++;
	return live;
}

static uint64_t rd(const _Atomic uint64_t *c)
{
	return c ? atomic_load_explicit(c, memory_order_relaxed) : 0;
}

void fb_counters(const struct fb_feedd *f, struct fb_ctr *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned v = 0; v < FB_NVENUES; v++) {
		struct fb_venue_ctr *x = &o->v[v];

		x->msgs = rd(f->vc[v].msgs);
		x->bytes = rd(f->vc[v].bytes);
		x->control = rd(f->vc[v].control);
		x->gaps = rd(f->vc[v].gaps);
		x->resyncs = rd(f->vc[v].resyncs);
		x->reconnects = rd(f->vc[v].reconnects);
		x->crossed = rd(f->vc[v].crossed);
		x->stale_marks = rd(f->vc[v].stale_marks);
		x->snap_fail = rd(f->vc[v].snap_fail);
		x->idle_drops = rd(f->vc[v].idle_drops);
		for (unsigned i = 0; i < f->vc[v].ndecode_err; i++)
			x->decode_err += rd(f->vc[v].decode_err[i]);
	}
	o->events = rd(f->c_events);
	o->ring_full = rd(f->c_ring_full);
	o->status_changes = rd(f->c_status);
	o->overruns = atomic_load_explicit(&f->ring->overruns, memory_order_relaxed);
}

void fb_hists(const struct fb_feedd *f, struct shm_hist_snap *out)
{
	for (unsigned i = 0; i < FB_NHIST; i++) {
		if (f->hist[i]) {
			shm_hist_snapshot(f->hist[i], &out[i]);
		} else {
			shm_hist_snap_clear(&out[i]);
		}
	}
}

void fb_hist_diff(const struct shm_hist_snap *b, const struct shm_hist_snap *a,
		  struct shm_hist_snap *to)
{
	int first = -1, last = -1;

	to->count = 0;
	for (uint32_t i = 0; i < SHM_HIST_BUCKETS; i++) {
		to->buckets[i] = b->buckets[i] > a->buckets[i] ? b->buckets[i] - a->buckets[i] : 0;
		to->count += to->buckets[i];
		if (to->buckets[i]) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
		}
	}
	to->sum = b->sum > a->sum ? b->sum - a->sum : 0;
	if (!to->count) {
		to->min = UINT64_MAX;
		to->max = 0;
		return;
	}
	to->min = shm_hist_bucket_low((uint32_t)first);
	if (to->min < b->min)
		to->min = b->min;
	to->max = shm_hist_bucket_high((uint32_t)last);
	if (to->max > b->max)
		to->max = b->max;
}
