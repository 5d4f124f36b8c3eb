/* SPDX-License-Identifier: MIT */
/*
 * End-to-end harness: exsim and feedd as real processes (build/exsim and
 * build/bin/feedd, or $EXSIM and $FEEDD), feedd's segment attached read-only
 * to watch its book table and metrics, exsim's control port for faults,
 * pause and book views.
 *
 * Waiting is on conditions (a book's status, a counter, an update id), with
 * a deadline that only turns a hang into a failure; nothing waits for time
 * to pass.
 */
#ifndef KIMP_TESTS_FDTEST_H
#define KIMP_TESTS_FDTEST_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "kimp/book.h"
#include "kimp/metrics.h"
#include "kimp/ring.h"
#include "kimp/segment.h"
#include "kimp/tsc.h"
#include "kimp/venue.h"
#include "../testutil.h"

#define FDT_DEADLINE_NS (60ull * 1000000000ull) /* a hang guard, not a timing bound */

struct fdt {
	char dir[64];
	pid_t exsim, feedd;
	int exsim_out, feedd_out;
	char ca[256];
	uint16_t ws[KIMP_VENUE_MAX], rest[KIMP_VENUE_MAX];
	uint16_t ctrl;
	char seg_name[32];
	struct shm_seg seg;
	bool attached;
	struct shm_seqtab *books;
	struct shm_metrics *m;
	struct shm_ring *ring;
};

static inline uint16_t fdt_port_after(const char *s, const char *key)
{
	uint16_t port;

	cr_assert_not_null(strstr(s, key), "no '%s' in '%s'", key, s);
	port = test_port_after(s, key);
	cr_assert_neq(port, 0, "no port after '%s' in '%s'", key, s);
	return port;
}

/* Start exsim with a scenario (NULL: defaults). */
static inline void fdt_exsim(struct fdt *t, const char *scenario)
{
	char scn[128], state[128], out[8192] = "";
	const char *argv[12];
	int n = 0;

	snprintf(state, sizeof(state), "%s/exsim", t->dir);
	argv[n++] = test_bin("EXSIM", "build/exsim");
	argv[n++] = "--state";
	argv[n++] = state;
	if (scenario) {
		snprintf(scn, sizeof(scn), "%s/test.scn", t->dir);
		test_write_text(scn, scenario);
		argv[n++] = "--scenario";
		argv[n++] = scn;
	}
	argv[n] = NULL;
	t->exsim = test_spawn(argv, &t->exsim_out);
	cr_assert(test_read_until(t->exsim_out, "exsim: ready", out, sizeof(out)),
		  "exsim did not come up:\n%s", out);
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char line[512];
		size_t ll = strcspn(l, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)ll, l);
		if (!strncmp(line, "exsim: ca ", 10))
			snprintf(t->ca, sizeof(t->ca), "%.200s", line + 10);
		else if (!strncmp(line, "exsim: control ", 15))
			t->ctrl = fdt_port_after(line, "http://");
		else if (!strncmp(line, "exsim: upbit ", 13)) {
			t->rest[KIMP_VENUE_UPBIT] = fdt_port_after(line, "rest https://");
			t->ws[KIMP_VENUE_UPBIT] = fdt_port_after(line, "ws wss://");
		} else if (!strncmp(line, "exsim: binance ", 15)) {
			t->rest[KIMP_VENUE_BINANCE] = fdt_port_after(line, "rest https://");
			t->ws[KIMP_VENUE_BINANCE] = fdt_port_after(line, "ws wss://");
		}
	}
	cr_assert(t->ca[0] && t->ctrl && t->ws[KIMP_VENUE_UPBIT] && t->ws[KIMP_VENUE_BINANCE],
		  "exsim output not understood:\n%s", out);
}

static inline void fdt_init(struct fdt *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-feedd-test-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->seg_name, sizeof(t->seg_name), "fdt%d", (int)getpid());
}

/*
 * Start feedd on exsim's venues. extra_* are lines added to [feedd],
 * [venue.upbit] and [venue.binance] (NULL: none; a NULL venue section
 * leaves that venue out when skip_* is set).
 */
static inline void fdt_feedd(struct fdt *t, const char *extra_feedd, const char *extra_upbit,
			     const char *extra_binance, bool upbit, bool binance)
{
	char conf[4096], path[128];
	int n = snprintf(conf, sizeof(conf),
			 "[engine]\ncoins = BTC ETH XRP USDT\n"
			 "[feedd]\nname = %s\nstale_check = 10ms\nring_slots = 65536\n%s\n",
			 t->seg_name, extra_feedd ? extra_feedd : "");
	if (upbit)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			      "[venue.upbit]\nws_url = wss://localhost:%u\n"
			      "rest_url = https://localhost:%u\nca_file = %s\n"
			      "coins = BTC ETH XRP USDT\n%s\n",
			      t->ws[KIMP_VENUE_UPBIT], t->rest[KIMP_VENUE_UPBIT], t->ca,
			      extra_upbit ? extra_upbit : "");
	if (binance)
		n += snprintf(conf + n, sizeof(conf) - (size_t)n,
			      "[venue.binance]\nws_url = wss://localhost:%u\n"
			      "rest_url = https://localhost:%u\nca_file = %s\n"
			      "coins = BTC ETH XRP\n%s\n",
			      t->ws[KIMP_VENUE_BINANCE], t->rest[KIMP_VENUE_BINANCE], t->ca,
			      extra_binance ? extra_binance : "");
	snprintf(path, sizeof(path), "%s/feedd.conf", t->dir);
	test_write_text(path, conf);
	const char *argv[] = { test_bin("FEEDD", "build/bin/feedd"), "-c", path, NULL };
	t->feedd = test_spawn(argv, &t->feedd_out);
	fcntl(t->feedd_out, F_SETFL, O_NONBLOCK);

	/* its segment appears once it has made everything */
	struct shm_opts so;
	shm_opts_default(&so);
	so.readonly = true;
	uint64_t end = kimp_mono_ns() + FDT_DEADLINE_NS;
	for (;;) {
		if (!shm_seg_attach(&t->seg, t->seg_name, &so)) {
			if (!shm_seqtab_lookup(&t->seg, KIMP_BOOK_REGION, &t->books) &&
			    !shm_metrics_lookup(&t->seg, "metrics", &t->m) &&
			    !shm_ring_lookup(&t->seg, "md", &t->ring))
				break;
			shm_seg_detach(&t->seg);
		}
		int st = 0;
		if (waitpid(t->feedd, &st, WNOHANG) != 0) {
			static char out[8192];
			ssize_t r = read(t->feedd_out, out, sizeof(out) - 1);
			out[r > 0 ? r : 0] = '\0';
			t->feedd = 0;
			cr_assert_fail("feedd exited (status %d):\n%s", st, out);
		}
		cr_assert_lt(kimp_mono_ns(), end, "feedd's segment never appeared");
		usleep(2000);
	}
	t->attached = true;
}

/*
 * Read record i. On these 2-core machines the writer can be preempted in the
 * middle of a write (odd sequence) for a scheduler tick: yield and retry.
 */
static inline void fdt_read(struct fdt *t, uint32_t i, struct kimp_book *b)
{
	for (int k = 0; k < 100000; k++) {
		if (!shm_seqtab_read(t->books, i, b, 1000))
			return;
		sched_yield();
	}
	cr_assert_fail("book %u never read consistently", i);
}

static inline void fdt_book(struct fdt *t, unsigned venue, unsigned inst, struct kimp_book *out)
{
	for (uint32_t i = 0; i < t->books->count; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		if (b.venue == venue && b.inst == inst) {
			*out = b;
			return;
		}
	}
	cr_assert_fail("no book for venue %u inst %u", venue, inst);
}

static inline uint64_t fdt_counter(struct fdt *t, const char *name)
{
	uint32_t n = atomic_load(&t->m->ncounters);
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_counter_name(t->m, i), name))
			return atomic_load(shm_metrics_counter_at(t->m, i));
	return 0;
}

/* Wait until cond(t, arg) holds; false after the deadline (a hang). */
static inline bool fdt_wait(struct fdt *t, bool (*cond)(struct fdt *, const void *),
			    const void *arg)
{
	uint64_t end = kimp_mono_ns() + FDT_DEADLINE_NS;
	while (!cond(t, arg)) {
		int st;
		if (waitpid(t->feedd, &st, WNOHANG) != 0)
			return false;
		if (kimp_mono_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* The books as a string, for failure messages. */
static inline const char *fdt_books_str(struct fdt *t)
{
	static char buf[4096];
	size_t n = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < t->books->count && n < sizeof(buf) - 128; i++) {
		struct kimp_book b;
		fdt_read(t, i, &b);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[v%u i%u %s/%s n%llu id%llu ts%lld] ",
				      b.venue, b.inst, kimp_book_status_name(b.status),
				      kimp_book_reason_name(b.reason),
				      (unsigned long long)b.update_count,
				      (unsigned long long)b.update_id,
				      (long long)(b.venue_ts_ns / 1000000));
	}
	return buf;
}

/* A request to exsim's control port: the status, the body in out. */
static inline int fdt_ctl(struct fdt *t, const char *method, const char *target, char *out,
			  size_t cap)
{
	return test_http(t->ctrl, method, target, out, cap);
}

static inline void fdt_fini(struct fdt *t)
{
	int st;
	if (t->attached)
		shm_seg_detach(&t->seg);
	if (t->feedd > 0) {
		kill(t->feedd, SIGTERM);
		waitpid(t->feedd, &st, 0);
	}
	if (t->exsim > 0) {
		kill(t->exsim, SIGTERM);
		waitpid(t->exsim, &st, 0);
	}
	struct shm_opts so;
	shm_opts_default(&so);
	shm_seg_remove(t->seg_name, &so);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd)) {
	}
}

#endif
