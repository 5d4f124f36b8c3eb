/* SPDX-License-Identifier: MIT */
/*
 * feedd's per-message cost split for the e2e bench: decode_ns (a message's
 * turn to its decoded event, one sample per message decoded) and book_ns
 * (decoded to published, one sample per event a market message
 * published), beside msg_to_publish_ns. A message that does not decode is
 * in neither; a book_ns sample is never above the msg_to_publish_ns sample
 * of the same event. feedd and exsim as real processes (fdtest.h).
 */
#include "fdtest.h"

static struct fdt T;

static void setup(void)
{
	fdt_init(&T);
}

static void teardown(void)
{
	fdt_fini(&T);
}

TestSuite(feedd_stages, .timeout = 180, .init = setup, .fini = teardown);

static struct shm_hist_snap snap; /* 18 KB: not on the stack */

static bool hist(struct fdt *t, const char *name, struct shm_hist_snap *out)
{
	uint32_t n = atomic_load(&t->m->nhists);
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(shm_metrics_hist_name(t->m, i), name)) {
			shm_hist_snapshot(shm_metrics_hist_at(t->m, i), out);
			return true;
		}
	return false;
}

/* The sum of every counter whose name contains part. */
static uint64_t counters_with(struct fdt *t, const char *part)
{
	uint32_t n = atomic_load(&t->m->ncounters);
	uint64_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		if (strstr(shm_metrics_counter_name(t->m, i), part))
			s += atomic_load(shm_metrics_counter_at(t->m, i));
	return s;
}

static bool enough(struct fdt *t, const void *arg)
{
	const uint64_t *want = arg;
	return hist(t, "book_ns", &snap) && snap.count >= *want;
}

static bool errors_seen(struct fdt *t, const void *arg)
{
	const uint64_t *want = arg;
	return counters_with(t, ".decode_err.") >= *want;
}

Test(feedd_stages, decode_and_book_split_every_market_message)
{
	static struct shm_hist_snap dec, book, m2p;

	fdt_exsim(&T, "[exsim]\nstep = 2ms\n[venue.upbit]\npublish = 10ms\n"
		  "[venue.binance]\npublish = 10ms\n");
	fdt_feedd(&T, NULL, NULL, NULL, true, true);
	uint64_t want = 200;
	cr_assert(fdt_wait(&T, enough, &want), "fewer than %llu book_ns samples",
		  (unsigned long long)want);
	/* malformed frames: counted as decode errors, in no histogram */
	cr_assert_eq(fdt_ctl(&T, "POST", "/fault?kind=malformed&venue=binance&count=5", NULL, 0),
		     200);
	want = 5;
	cr_assert(fdt_wait(&T, errors_seen, &want), "the malformed frames were not counted");

	/* read in the order feedd writes them: each later read covers the earlier */
	cr_assert(hist(&T, "decode_ns", &dec));
	uint64_t errs = counters_with(&T, ".decode_err.");
	uint64_t msgs = counters_with(&T, ".msgs");
	cr_assert(hist(&T, "book_ns", &book));
	cr_assert(hist(&T, "msg_to_publish_ns", &m2p));
	cr_assert_gt(dec.count, 0);
	cr_assert_geq(errs, 5);
	cr_assert_leq(dec.count + errs, msgs, "decoded %llu + errors %llu of %llu messages",
		      (unsigned long long)dec.count, (unsigned long long)errs,
		      (unsigned long long)msgs);
	cr_assert_geq(book.count, 200);
	cr_assert_leq(book.count, m2p.count, "a book_ns sample without its event");
	cr_assert_leq(book.max, m2p.max, "decoded-to-published above turn-to-published");
}
