/* SPDX-License-Identifier: MIT */
/*
 * kimpctl books: the operator's view of a feedd's shared book table (the
 * seqtab region KIMP_BOOK_REGION, kimp/book.h): one line per book with its
 * venue, instrument, status, age, counters and best prices, and with
 * --depth N the top N levels a side.
 *
 * The segment is attached read-only. Every record is copied out through its
 * seqlock; one that never reads consistently (a write in progress, or a
 * writer that died in one) is reported as busy, never printed torn. Prices
 * and sizes are printed as exact decimals from their fixed-point integers:
 * no floating point anywhere.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/book.h"
#include "kimp/seqlock.h"
#include "kimp/venue.h"
#include "kimpctl.h"
#include "views.h"

#define BOOKS_DEFAULT_SEG "feedd"
/* A read gives up after BOOKS_READ_ROUNDS rounds of BOOKS_READ_TRIES tries. */
#define BOOKS_READ_TRIES  1024
#define BOOKS_READ_ROUNDS 4
#define BOOKS_READ_PAUSE_NS 100000 /* between rounds: a preempted writer runs */
#define CELL 48                    /* the longest cell: a raw "<int64>e-<dec>" */

static const char books_usage[] =
	"  books [SEGMENT] [--depth N] [--json]\n"
	"                              every book in a feedd's table: status, age,\n"
	"                              best bid/ask and spread, N levels a side\n"
	"                              (SEGMENT default " BOOKS_DEFAULT_SEG ")\n";

/* One record as read: a consistent copy, or busy. */
struct book_row {
	uint32_t slot;
	bool busy;
	struct kimp_book b;
};

/* ---- formatting ----------------------------------------------------------- */

/*
 * v / 10^dec exactly, fraction without trailing zeros ("100.25", "-0.5",
 * "3"). A dec past VENUE_DEC_MAX cannot come from libvenue: the raw integer
 * with its exponent ("12e-40") is still exact.
 */
static const char *fmt_fixed(char *buf, size_t len, int64_t v, unsigned dec)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char digits[24];
	int n, ip, end;

	if (dec > VENUE_DEC_MAX) {
		snprintf(buf, len, "%" PRId64 "e-%u", v, dec);
		return buf;
	}
	/* at least dec + 1 digits: the integer part is never empty */
	n = snprintf(digits, sizeof(digits), "%0*" PRIu64, (int)dec + 1, mag);
	ip = n - (int)dec;
	end = n;
	while (end > ip && digits[end - 1] == '0')
		end--;
	snprintf(buf, len, "%s%.*s%s%.*s", v < 0 ? "-" : "", ip, digits,
		 end > ip ? "." : "", end - ip, digits + ip);
	return buf;
}

/* "upbit", or the number when libvenue does not know it. */
static const char *venue_name(char *buf, size_t len, unsigned v)
{
	const struct venue_md *md = venue_md_get((enum kimp_venue)v);

	if (md && md->name)
		return md->name;
	snprintf(buf, len, "%u", v);
	return buf;
}

/* Levels filled on a side, clamped to what a record holds. */
static unsigned side_n(uint8_t n)
{
	return n < KIMP_BOOK_LEVELS ? n : KIMP_BOOK_LEVELS;
}

/* Best ask minus best bid in price decimals; false without both or on overflow. */
static bool spread_of(const struct kimp_book *b, int64_t *out)
{
	if (!side_n(b->nbids) || !side_n(b->nasks))
		return false;
	return !__builtin_sub_overflow(b->asks[0].px, b->bids[0].px, out);
}

/* now minus a CLOCK_MONOTONIC stamp; 0 for a stamp not yet reached. */
static uint64_t age_of(uint64_t now, uint64_t mono_ns)
{
	return now > mono_ns ? now - mono_ns : 0;
}

/* ---- reading -------------------------------------------------------------- */

/* Record i through its seqlock: 0, or -EAGAIN when it never read consistently. */
static int read_record(struct shm_seqtab *t, uint32_t i, struct kimp_book *b)
{
	const struct timespec pause = { 0, BOOKS_READ_PAUSE_NS };

	for (int round = 0; round < BOOKS_READ_ROUNDS; round++) {
		if (round)
			nanosleep(&pause, NULL);
		if (!shm_seqtab_read(t, i, b, BOOKS_READ_TRIES))
			return 0;
	}
	return -EAGAIN;
}

/*
 * The book table of 'seg': 0, or KIMPCTL_FAIL with the error said (naming
 * the segment and the region). *out points into the mapping.
 */
static int find_table(const struct shm_seg *seg, const char *name, struct shm_seqtab **out)
{
	const struct shm_region_ent *e = shm_region_find(seg, KIMP_BOOK_REGION);

	if (!e)
		return kimpctl_err(KIMPCTL_FAIL, "books: segment '%s' has no book table "
				   "(region '%s')", name, KIMP_BOOK_REGION);
	/* the memory may be corrupt: follow no offset before checking it */
	if (e->off < sizeof(struct shm_seg_hdr) || e->off > seg->size ||
	    e->size > seg->size - e->off)
		return kimpctl_err(KIMPCTL_FAIL, "books: segment '%s': region '%s' lies "
				   "outside the segment", name, KIMP_BOOK_REGION);
	if (shm_seqtab_lookup(seg, KIMP_BOOK_REGION, out))
		return kimpctl_err(KIMPCTL_FAIL, "books: %s", shm_last_error());
	if ((*out)->rec_size != sizeof(struct kimp_book))
		return kimpctl_err(KIMPCTL_FAIL, "books: segment '%s': region '%s' holds "
				   "records of %u bytes, a book is %zu (another build?)",
				   name, KIMP_BOOK_REGION, (*out)->rec_size,
				   sizeof(struct kimp_book));
	return KIMPCTL_OK;
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_level(struct out *o, const char *key, const struct kimp_level *l,
		       const struct kimp_book *b)
{
	char buf[CELL];

	out_obj_begin(o, key, NULL);
	out_str(o, "px", fmt_fixed(buf, sizeof(buf), l->px, b->px_dec));
	out_str(o, "qty", fmt_fixed(buf, sizeof(buf), l->qty, b->qty_dec));
	out_obj_end(o);
}

static void json_side(struct out *o, const char *key, const struct kimp_level *lv,
		      unsigned n, const struct kimp_book *b)
{
	out_arr_begin(o, key);
	for (unsigned i = 0; i < n; i++)
		json_level(o, NULL, &lv[i], b);
	out_arr_end(o);
}

/* A mono stamp's age, null when it was never set. */
static void json_age(struct out *o, const char *key, uint64_t now, uint64_t mono_ns)
{
	if (mono_ns)
		out_ns(o, key, age_of(now, mono_ns));
	else
		out_null(o, key);
}

static void json_book(struct out *o, const struct book_row *r, unsigned depth, uint64_t now)
{
	const struct kimp_book *b = &r->b;
	unsigned nb = side_n(b->nbids), na = side_n(b->nasks);
	char buf[CELL];
	int64_t spread;

	out_obj_begin(o, NULL, NULL);
	out_u64(o, "slot", r->slot);
	if (r->busy) {
		out_str(o, "status", "busy");
		goto end;
	}
	out_str(o, "venue", venue_name(buf, sizeof(buf), b->venue));
	out_u64(o, "venue_id", b->venue);
	out_u64(o, "inst", b->inst);
	out_str(o, "status", kimp_book_status_name(b->status));
	out_str(o, "reason", kimp_book_reason_name(b->reason));
	json_age(o, "age_ns", now, b->recv_mono_ns);
	json_age(o, "status_age_ns", now, b->status_mono_ns);
	out_time(o, "venue_time", b->venue_ts_ns > 0 ? (uint64_t)b->venue_ts_ns : 0);
	out_i64(o, "venue_ts_ns", b->venue_ts_ns);
	out_u64(o, "update_count", b->update_count);
	out_u64(o, "update_id", b->update_id);
	out_u64(o, "px_dec", b->px_dec);
	out_u64(o, "qty_dec", b->qty_dec);
	out_u64(o, "nbids", b->nbids);
	out_u64(o, "nasks", b->nasks);
	if (nb)
		json_level(o, "bid", &b->bids[0], b);
	else
		out_null(o, "bid");
	if (na)
		json_level(o, "ask", &b->asks[0], b);
	else
		out_null(o, "ask");
	if (spread_of(b, &spread))
		out_str(o, "spread", fmt_fixed(buf, sizeof(buf), spread, b->px_dec));
	else
		out_null(o, "spread");
	if (depth) {
		json_side(o, "bids", b->bids, nb < depth ? nb : depth, b);
		json_side(o, "asks", b->asks, na < depth ? na : depth, b);
	}
end:
	out_obj_end(o);
}

static void print_json(FILE *f, const char *name, const struct shm_seg *seg,
		       const struct book_row *rows, uint32_t n, unsigned depth, uint64_t now)
{
	struct out o;

	out_init(&o, f, true);
	out_obj_begin(&o, NULL, NULL);
	out_str(&o, "segment", name);
	out_str(&o, "path", seg->path);
	out_str(&o, "region", KIMP_BOOK_REGION);
	out_u64(&o, "count", n);
	out_u64(&o, "depth", depth);
	out_arr_begin(&o, "books");
	for (uint32_t i = 0; i < n; i++)
		json_book(&o, &rows[i], depth, now);
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
}

/* ---- text ----------------------------------------------------------------- */

enum { C_SLOT, C_VENUE, C_INST, C_STATUS, C_REASON, C_AGE, C_UPDATES, C_UPDATE_ID,
       C_BID_QTY, C_BID, C_ASK, C_ASK_QTY, C_SPREAD, NCOLS };

static const char *const col_names[NCOLS] = {
	"SLOT", "VENUE", "INST", "STATUS", "REASON", "AGE", "UPDATES", "UPDATE_ID",
	"BID_QTY", "BID", "ASK", "ASK_QTY", "SPREAD",
};

typedef char cells_t[NCOLS][CELL];

static void fill_cells(cells_t c, const struct book_row *r, uint64_t now)
{
	const struct kimp_book *b = &r->b;
	char num[CELL];
	int64_t spread;

	for (int i = 0; i < NCOLS; i++)
		snprintf(c[i], CELL, "-");
	snprintf(c[C_SLOT], CELL, "%" PRIu32, r->slot);
	if (r->busy) {
		snprintf(c[C_STATUS], CELL, "busy");
		return;
	}
	snprintf(c[C_VENUE], CELL, "%s", venue_name(num, sizeof(num), b->venue));
	snprintf(c[C_INST], CELL, "%" PRIu32, b->inst);
	snprintf(c[C_STATUS], CELL, "%s", kimp_book_status_name(b->status));
	snprintf(c[C_REASON], CELL, "%s", kimp_book_reason_name(b->reason));
	if (b->recv_mono_ns)
		fmt_ns(c[C_AGE], CELL, age_of(now, b->recv_mono_ns));
	else
		snprintf(c[C_AGE], CELL, "never");
	snprintf(c[C_UPDATES], CELL, "%" PRIu64, b->update_count);
	snprintf(c[C_UPDATE_ID], CELL, "%" PRIu64, b->update_id);
	if (side_n(b->nbids)) {
		fmt_fixed(c[C_BID_QTY], CELL, b->bids[0].qty, b->qty_dec);
		fmt_fixed(c[C_BID], CELL, b->bids[0].px, b->px_dec);
	}
	if (side_n(b->nasks)) {
		fmt_fixed(c[C_ASK], CELL, b->asks[0].px, b->px_dec);
		fmt_fixed(c[C_ASK_QTY], CELL, b->asks[0].qty, b->qty_dec);
	}
	if (spread_of(b, &spread))
		fmt_fixed(c[C_SPREAD], CELL, spread, b->px_dec);
}

/* Cells separated by two spaces, left-aligned, the last one unpadded. */
static void print_cells(FILE *f, const char *indent, const char *const *c, const int *w,
			int n)
{
	fputs(indent, f);
	for (int i = 0; i < n; i++)
		fprintf(f, i + 1 < n ? "%-*s  " : "%-*s\n", i + 1 < n ? w[i] : 0, c[i]);
}

/* The top 'depth' levels a side under a book's line, a header of their own. */
static void text_levels(FILE *f, const struct kimp_book *b, unsigned depth)
{
	static const char *const hdr[5] = { "LEVEL", "BID_QTY", "BID", "ASK", "ASK_QTY" };
	unsigned nb = side_n(b->nbids), na = side_n(b->nasks);
	unsigned n = nb > na ? nb : na;
	char cells[KIMP_BOOK_LEVELS][5][CELL];
	int w[5];

	if (n > depth)
		n = depth;
	for (int j = 0; j < 5; j++)
		w[j] = (int)strlen(hdr[j]);
	for (unsigned i = 0; i < n; i++) {
		snprintf(cells[i][0], CELL, "%u", i + 1);
		snprintf(cells[i][1], CELL, "-");
		snprintf(cells[i][2], CELL, "-");
		snprintf(cells[i][3], CELL, "-");
		snprintf(cells[i][4], CELL, "-");
		if (i < nb) {
			fmt_fixed(cells[i][1], CELL, b->bids[i].qty, b->qty_dec);
			fmt_fixed(cells[i][2], CELL, b->bids[i].px, b->px_dec);
		}
		if (i < na) {
			fmt_fixed(cells[i][3], CELL, b->asks[i].px, b->px_dec);
			fmt_fixed(cells[i][4], CELL, b->asks[i].qty, b->qty_dec);
		}
		for (int j = 0; j < 5; j++)
			if ((int)strlen(cells[i][j]) > w[j])
				w[j] = (int)strlen(cells[i][j]);
	}
	if (!n)
		return;
	print_cells(f, "      ", hdr, w, 5);
	for (unsigned i = 0; i < n; i++) {
		const char *c[5] = { cells[i][0], cells[i][1], cells[i][2], cells[i][3],
				     cells[i][4] };
		print_cells(f, "      ", c, w, 5);
	}
}

static int print_text(FILE *f, const char *name, const struct book_row *rows, uint32_t n,
		      unsigned depth, uint64_t now)
{
	/* at least one: calloc(0) may be NULL, and a table may be empty */
	cells_t *cells = calloc(n ? n : 1, sizeof(*cells));
	const char *c[NCOLS];
	int w[NCOLS];

	if (!cells)
		return kimpctl_err(KIMPCTL_FAIL, "books: out of memory");
	for (int j = 0; j < NCOLS; j++)
		w[j] = (int)strlen(col_names[j]);
	for (uint32_t i = 0; i < n; i++) {
		fill_cells(cells[i], &rows[i], now);
		for (int j = 0; j < NCOLS; j++)
			if ((int)strlen(cells[i][j]) > w[j])
				w[j] = (int)strlen(cells[i][j]);
	}
	fprintf(f, "segment %s: %" PRIu32 " book%s\n", name, n, n == 1 ? "" : "s");
	print_cells(f, "", col_names, w, NCOLS);
	for (uint32_t i = 0; i < n; i++) {
		for (int j = 0; j < NCOLS; j++)
			c[j] = cells[i][j];
		print_cells(f, "", c, w, NCOLS);
		if (depth && !rows[i].busy)
			text_levels(f, &rows[i].b, depth);
	}
	fflush(f);
	free(cells);
	return KIMPCTL_OK;
}

/* ---- the command ---------------------------------------------------------- */

int kimpctl_view_books(struct kimpctl *k, const char *name, unsigned depth, FILE *f, bool json)
{
	struct book_row *rows = NULL;
	struct shm_seqtab *t;
	struct shm_seg seg;
	uint64_t now;
	int status;

	if (shm_seg_attach(&seg, name, &k->shm))
		return kimpctl_err(KIMPCTL_FAIL, "books: %s", shm_last_error());
	status = find_table(&seg, name, &t);
	if (status)
		goto detach;
	rows = calloc(t->count ? t->count : 1, sizeof(*rows));
	if (!rows) {
		status = kimpctl_err(KIMPCTL_FAIL, "books: out of memory");
		goto detach;
	}
	for (uint32_t i = 0; i < t->count; i++) {
		rows[i].slot = i;
		rows[i].busy = read_record(t, i, &rows[i].b) != 0;
	}
	/* after the reads: no update read above is newer than now */
	now = kimp_mono_ns();
	if (json)
		print_json(f, name, &seg, rows, t->count, depth, now);
	else
		status = print_text(f, name, rows, t->count, depth, now);
	free(rows);
detach:
	shm_seg_detach(&seg);
	return status;
}

static int books_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int books_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kimpctl: books: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", books_usage);
	return KIMPCTL_USAGE;
}

/* "N" in 0..KIMP_BOOK_LEVELS: 0, or -EINVAL. */
static int parse_depth(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > KIMP_BOOK_LEVELS)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int books_run(struct kimpctl *k, int argc, char **argv)
{
	const char *name = NULL, *dv;
	unsigned depth = 0;
	bool json = false, opts = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			printf("usage:\n%s", books_usage);
			return KIMPCTL_OK;
		} else if (opts && !strcmp(a, "--")) {
			opts = false;
		} else if (opts && !strcmp(a, "--json")) {
			json = true;
		} else if (opts && (!strcmp(a, "--depth") || !strncmp(a, "--depth=", 8))) {
			dv = a[7] ? a + 8 : i + 1 < argc ? argv[++i] : NULL;
			if (!dv)
				return books_usage_err("--depth needs a number");
			if (parse_depth(dv, &depth))
				return books_usage_err("--depth '%s': not a number of levels "
						       "0..%d", dv, KIMP_BOOK_LEVELS);
		} else if (opts && a[0] == '-' && a[1]) {
			return books_usage_err("unknown option '%s'", a);
		} else if (name) {
			return books_usage_err("unexpected '%s' (one SEGMENT only)", a);
		} else {
			name = a;
		}
	}
	return kimpctl_view_books(k, name ? name : BOOKS_DEFAULT_SEG, depth, stdout, json);
}

const struct kimpctl_cmd kimpctl_cmd_books = {
	.name = "books",
	.usage = books_usage,
	.run = books_run,
};
