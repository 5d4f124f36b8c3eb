/* SPDX-License-Identifier: MIT */
/*
 * The write-ahead journal (orderd/journal.c): CRC32C against known
 * vectors, append/replay, reopen, torn tails, damage in the middle,
 * rotation with snapshots and sequence continuity, rotations cut by a
 * crash, a SIGKILLed writer, the sync policies, the printer, the errors,
 * and an append that makes no system call.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../testutil.h"
#include "../jail.h"
#include "../tools/jsoncheck.h"
#include "../../orderd/core.h"

#define REC 128

#define assert_has(text, needle) \
	cr_assert_not_null(strstr(text, needle), "no '%s' in:\n%s", needle, text)
#define assert_lacks(text, needle) \
	cr_assert_null(strstr(text, needle), "'%s' in:\n%s", needle, text)

static char dir[128];
static char cur[256];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimpjr");
	snprintf(cur, sizeof(cur), "%s/od.journal", dir);
}

static void teardown(void)
{
	test_rmtree(dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

static struct journal_cfg cfg_of(size_t size, enum jr_sync sync)
{
	return (struct journal_cfg){ .dir = dir, .name = "od", .file_size = size, .sync = sync,
				     .sync_interval_ns = 1000000 };
}

static void jopen(struct journal *j, size_t size, enum jr_sync sync)
{
	struct journal_cfg c = cfg_of(size, sync);
	char msg[512] = "";

	cr_assert_eq(journal_open(j, &c, msg, sizeof(msg)), 0, "%s", msg);
}

/* A JR_ORDER whose fields derive from k. */
static uint64_t put_order(struct journal *j, uint64_t k)
{
	struct jr_rec r;

	memset(&r, 0, sizeof(r));
	r.type = JR_ORDER;
	r.client_oid = 1000 + k;
	r.u.o.intent_id = k * 3;
	r.u.o.px = (int64_t)k * 100;
	r.u.o.qty = (int64_t)k + 1;
	r.u.o.venue = KIMP_VENUE_UPBIT;
	r.u.o.side = KIMP_SIDE_BUY;
	return journal_append(j, &r);
}

/* Replay bookkeeping: every record checked for seq continuity. */
struct seen {
	uint64_t first, last;
	long n;
	bool gap;
	unsigned types[JR_TYPE_MAX];
	struct jr_rec recs[64];
};

static void seen_cb(void *arg, const struct jr_rec *r)
{
	struct seen *s = arg;

	if (s->n && r->seq != s->last + 1)
		s->gap = true;
	if (!s->n)
		s->first = r->seq;
	s->last = r->seq;
	if (s->n < 64)
		s->recs[s->n] = *r;
	if (r->type < JR_TYPE_MAX)
		s->types[r->type]++;
	s->n++;
}

static long replay(const char *path, struct seen *s, bool *torn)
{
	memset(s, 0, sizeof(*s));
	return journal_replay(path, seen_cb, s, torn);
}

static void poke(const char *path, size_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* ---- CRC32C ------------------------------------------------------------------ */

struct vec {
	const char *what;
	uint8_t data[48];
	size_t len;
	uint32_t crc;
};

Test(journal, crc32c_vectors)
{
	struct vec v[5] = {
		{ "123456789", "123456789", 9, 0xe3069283u },
		{ "empty", "", 0, 0x00000000u },
		{ "32 zeros", { 0 }, 32, 0x8a9136aau },   /* RFC 3720 B.4 */
		{ "32 0xff", { 0 }, 32, 0x62a8ab43u },
		{ "0..31", { 0 }, 32, 0x46dd794eu },
	};

	memset(v[3].data, 0xff, 32);
	for (int i = 0; i < 32; i++)
		v[4].data[i] = (uint8_t)i;
	for (size_t i = 0; i < 5; i++) {
		cr_expect_eq(jr_crc32c_sw(v[i].data, v[i].len), v[i].crc, "sw %s", v[i].what);
		cr_expect_eq(jr_crc32c(v[i].data, v[i].len), v[i].crc, "%s", v[i].what);
		if (jr_crc32c_hw_ok())
			cr_expect_eq(jr_crc32c_hw(v[i].data, v[i].len), v[i].crc, "hw %s", v[i].what);
	}
	/* 31..0 (RFC 3720 B.4) */
	uint8_t d[32];
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)(31 - i);
	cr_expect_eq(jr_crc32c_sw(d, 32), 0x113fdb5cu);
}

Test(journal, crc32c_table_and_instruction_agree)
{
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	/* every length and misalignment the loops distinguish */
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= 140; n++) {
			uint32_t sw = jr_crc32c_sw(buf + off, n);

			cr_assert_eq(jr_crc32c(buf + off, n), sw, "off %zu len %zu", off, n);
			cr_assert_eq(jr_crc32c_hw(buf + off, n), sw, "off %zu len %zu", off, n);
		}
}

/* ---- append and replay -------------------------------------------------------- */

Test(journal, round_trip)
{
	struct journal j;
	struct seen s;
	bool torn = true;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 0);
	cr_assert_eq(j.file_no, 1);
	for (uint64_t k = 1; k <= 10; k++)
		cr_assert_eq(put_order(&j, k), k);
	cr_assert_eq(j.records, 10);
	cr_assert_eq(j.off, 10 * REC);
	journal_close(&j);

	cr_assert_eq(replay(cur, &s, &torn), 10);
	cr_assert_not(torn);
	cr_assert_not(s.gap);
	cr_assert_eq(s.first, 1);
	for (uint64_t k = 1; k <= 10; k++) {
		const struct jr_rec *r = &s.recs[k - 1];

		cr_assert_eq(r->type, JR_ORDER);
		cr_assert_eq(r->version, 1);
		cr_assert_eq(r->seq, k);
		cr_assert_eq(r->client_oid, 1000 + k);
		cr_assert_eq(r->u.o.intent_id, k * 3);
		cr_assert_eq(r->u.o.px, (int64_t)k * 100);
		cr_assert_gt(r->real_ns, 1600000000ll * 1000000000ll);
		cr_assert(jr_rec_ok(r));
	}
}

Test(journal, empty_file_replays_nothing)
{
	struct journal j;
	struct seen s;
	bool torn = true;

	jopen(&j, 16 * REC, JR_SYNC_NONE);
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, &torn), 0);
	cr_assert_not(torn);
}

Test(journal, reopen_continues)
{
	struct journal j;
	struct seen s;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 5; k++)
		put_order(&j, k);
	journal_close(&j);
	journal_close(&j);  /* twice is harmless */
	jopen(&j, 64 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 5);
	cr_assert_eq(j.off, 5 * REC);
	cr_assert_eq(put_order(&j, 6), 6);
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, NULL), 6);
	cr_assert_not(s.gap);
	cr_assert_eq(s.recs[5].client_oid, 1006);
}

Test(journal, reopen_keeps_the_file_size)
{
	struct journal j;

	jopen(&j, 32 * REC, JR_SYNC_NONE);
	journal_close(&j);
	jopen(&j, 64 * REC, JR_SYNC_NONE);  /* a config change applies to the next file */
	cr_assert_eq(j.size, 32 * REC);
	journal_close(&j);
}

Test(journal, file_size_rounds_to_records)
{
	struct journal j;
	struct stat st;

	jopen(&j, 10 * REC + 77, JR_SYNC_NONE);
	cr_assert_eq(j.size, 10 * REC);
	journal_close(&j);
	cr_assert_eq(stat(cur, &st), 0);
	cr_assert_eq(st.st_size, 10 * REC);
	cr_assert_lt(st.st_blocks * 512, st.st_size + 4096, "sparse");
}

Test(journal, full_file_appends_nothing)
{
	struct journal j;

	jopen(&j, 4 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 4; k++)
		cr_assert_eq(put_order(&j, k), k);
	cr_assert_eq(put_order(&j, 5), 0, "full");
	cr_assert_eq(j.seq, 4);
	cr_assert_eq(j.records, 4);
	journal_close(&j);
	/* reopening a full file: at its end, still full */
	jopen(&j, 4 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 4);
	cr_assert_eq(put_order(&j, 5), 0);
	journal_close(&j);
}

/* ---- torn tails and damage ------------------------------------------------------ */

Test(journal, torn_tail_stops_replay_and_open_continues)
{
	struct journal j;
	struct seen s;
	bool torn = false;
	uint8_t junk[60];

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 5; k++)
		put_order(&j, k);
	journal_close(&j);
	/* a record cut by a crash: part of the body, no CRC */
	memset(junk, 0x5a, sizeof(junk));
	poke(cur, 5 * REC + 4, junk, sizeof(junk));

	cr_assert_eq(replay(cur, &s, &torn), 5);
	cr_assert(torn);
	cr_assert_eq(s.last, 5);

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 5);
	cr_assert_eq(j.off, 5 * REC);
	cr_assert_eq(put_order(&j, 6), 6);
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, &torn), 6);
	cr_assert_not(torn, "the torn record was overwritten");
}

Test(journal, torn_last_record_of_the_file)
{
	struct journal j;
	bool torn = false;
	uint8_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct seen s;

	jopen(&j, 4 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 3; k++)
		put_order(&j, k);
	journal_close(&j);
	poke(cur, 3 * REC + 100, junk, sizeof(junk));
	cr_assert_eq(replay(cur, &s, &torn), 3);
	cr_assert(torn);
	jopen(&j, 4 * REC, JR_SYNC_NONE);
	cr_assert_eq(put_order(&j, 4), 4);
	journal_close(&j);
}

Test(journal, a_valid_record_out_of_sequence_ends_replay)
{
	struct journal j;
	struct seen s;
	bool torn = false;
	uint8_t rec2[REC];
	int fd;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 5; k++)
		put_order(&j, k);
	journal_close(&j);
	fd = open(cur, O_RDONLY);
	cr_assert_eq(pread(fd, rec2, REC, 1 * REC), REC);
	close(fd);
	poke(cur, 5 * REC, rec2, REC);  /* seq 2 again: CRC right, seq wrong */
	cr_assert_eq(replay(cur, &s, &torn), 5);
	cr_assert(torn);
}

Test(journal, crc_corruption_in_the_middle)
{
	struct journal j;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	struct seen s;
	bool torn = false;
	char msg[512] = "";
	uint8_t b = 0xee;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 10; k++)
		put_order(&j, k);
	journal_close(&j);
	poke(cur, 4 * REC + 50, &b, 1);

	cr_assert_eq(replay(cur, &s, &torn), 4);
	cr_assert(torn);
	cr_assert_not(s.gap);
	/* open refuses to write over what follows */
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EUCLEAN);
	assert_has(msg, cur);
	assert_has(msg, "record 4");
	cr_assert_null(j.map);
}

Test(journal, zero_record_with_data_after_is_damage)
{
	/* a page lost to a power loss: zeros, then valid records */
	struct journal j;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	uint8_t z[REC] = { 0 };
	bool torn = false;
	struct seen s;
	char msg[512];

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 8; k++)
		put_order(&j, k);
	journal_close(&j);
	poke(cur, 2 * REC, z, REC);
	cr_assert_eq(replay(cur, &s, &torn), 2);
	cr_assert(torn);
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EUCLEAN);
}

/* ---- rotation --------------------------------------------------------------------- */

struct snapper {
	unsigned n;          /* JR_SNAP records to write */
	uint64_t seqs[8];
};

static void snap_cb(void *arg, struct journal *j)
{
	struct snapper *sn = arg;

	for (unsigned i = 0; i < sn->n; i++) {
		struct kimp_ord_entry e;
		struct jr_rec r;

		memset(&e, 0, sizeof(e));
		e.client_oid = 5000 + i;
		e.state = KIMP_ORD_PARTIAL;
		e.cum_qty = 7;
		e.qty = 10;
		e.venue = KIMP_VENUE_BINANCE;
		/* where the order came from (JR_ORDER's fields the entry carries) */
		e.ingress_tsc = 0x1234567890ull + i;
		e.ring_seq = 4000000000ull + i;
		e.strategy = 0xfffffff0u + i;
		jr_snap_from_entry(&r, &e);
		sn->seqs[i] = journal_append(j, &r);
	}
}

static char *rot_path(char *buf, size_t n, unsigned no)
{
	snprintf(buf, n, "%s.%u", cur, no);
	return buf;
}

Test(journal, rotate_when_full_snapshot_first_seq_continues)
{
	struct journal j;
	struct snapper sn = { .n = 2 };
	struct seen s;
	char p1[300];
	bool torn = true;

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 8; k++)
		cr_assert_eq(put_order(&j, k), k);
	cr_assert_eq(put_order(&j, 9), 0, "full: the caller must rotate");
	cr_assert_eq(journal_rotate(&j, snap_cb, &sn), 0);
	cr_assert_eq(j.rotations, 1);
	cr_assert_eq(j.file_no, 2);
	cr_assert_eq(sn.seqs[0], 9);
	cr_assert_eq(sn.seqs[1], 10);
	cr_assert_eq(put_order(&j, 11), 11);
	journal_close(&j);

	cr_assert_eq(replay(rot_path(p1, sizeof(p1), 1), &s, &torn), 8);
	cr_assert_not(torn);
	cr_assert_eq(s.first, 1);
	cr_assert_eq(s.last, 8);
	cr_assert_eq(replay(cur, &s, &torn), 3);
	cr_assert_not(torn);
	cr_assert_not(s.gap);
	cr_assert_eq(s.first, 9, "seq continues across files");
	cr_assert_eq(s.recs[0].type, JR_SNAP);
	cr_assert_eq(s.recs[1].type, JR_SNAP);
	cr_assert_eq(s.recs[0].client_oid, 5000);
	cr_assert_eq(s.recs[0].u.o.state, KIMP_ORD_PARTIAL);
	cr_assert_eq(s.recs[0].u.o.cum_qty, 7);
	cr_assert_eq(s.recs[0].u.o.venue, KIMP_VENUE_BINANCE);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(s.recs[i].u.o.ingress_tsc, 0x1234567890ull + i, "%u", i);
		cr_assert_eq(s.recs[i].u.o.ring_seq, 4000000000ull + i, "%u", i);
		cr_assert_eq(s.recs[i].u.o.strategy, 0xfffffff0u + i, "%u", i);
	}
	cr_assert_eq(s.recs[2].type, JR_ORDER);

	/* reopen: numbers continue; a second rotation makes .2 */
	jopen(&j, 8 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.file_no, 2);
	cr_assert_eq(j.seq, 11);
	cr_assert_eq(journal_rotate(&j, NULL, NULL), 0);
	cr_assert_eq(j.file_no, 3);
	journal_close(&j);
	cr_assert_eq(access(rot_path(p1, sizeof(p1), 2), F_OK), 0);
}

/* An entry with every field JR_SNAP keeps set to a value of its own. */
static void full_entry(struct kimp_ord_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->client_oid = 0x0102030405060708ull;
	e->intent_id = 0x1112131415161718ull;
	e->pair_id = 0x2122232425262728ull;
	e->px = 143210000000;
	e->qty = 123456;
	e->cum_qty = 23456;
	e->cum_quote = 3359000000;
	e->cum_fee = 12;
	e->venue = KIMP_VENUE_UPBIT;
	e->state = KIMP_ORD_CANCEL_PENDING;
	e->side = KIMP_SIDE_SELL;
	e->tif = KIMP_TIF_IOC;
	e->type = 1;
	e->leg = 2;
	e->kind = 3;
	e->fee_asset = 1;
	e->inst = 7;
	e->reject_code = -2010;
	e->flags = KIMP_ORDF_CANCEL_ASK | KIMP_ORDF_FEE_EST;
	e->ingress_tsc = 0xfedcba9876543210ull;
	e->ring_seq = 0x8000000000000001ull;
	e->strategy = 0xdeadbeefu;
}

static void snap_full_cb(void *arg, struct journal *j)
{
	struct kimp_ord_entry e;
	struct jr_rec r;

	(void)arg;
	full_entry(&e);
	jr_snap_from_entry(&r, &e);
	cr_assert_eq(journal_append(j, &r), 2);
}

/* jr_snap_from_entry, a rotation and a replay keep every field of the entry
 * that JR_ORDER and the state records carry (ingress_tsc, ring_seq and
 * strategy included). */
Test(journal, snapshot_keeps_every_field_through_rotation_and_replay)
{
	struct journal j;
	struct kimp_ord_entry e;
	struct seen s;
	bool torn = true;

	full_entry(&e);
	jopen(&j, 8 * REC, JR_SYNC_NONE);
	cr_assert_eq(put_order(&j, 1), 1);
	cr_assert_eq(journal_rotate(&j, snap_full_cb, NULL), 0);
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, &torn), 1);
	cr_assert_not(torn);
	const struct jr_rec *r = &s.recs[0];
	cr_assert_eq(r->type, JR_SNAP);
	cr_assert_eq(r->client_oid, e.client_oid);
	cr_assert_eq(r->u.o.intent_id, e.intent_id);
	cr_assert_eq(r->u.o.pair_id, e.pair_id);
	cr_assert_eq(r->u.o.px, e.px);
	cr_assert_eq(r->u.o.qty, e.qty);
	cr_assert_eq(r->u.o.cum_qty, e.cum_qty);
	cr_assert_eq(r->u.o.cum_quote, e.cum_quote);
	cr_assert_eq(r->u.o.cum_fee, e.cum_fee);
	cr_assert_eq(r->u.o.venue, e.venue);
	cr_assert_eq(r->u.o.state, e.state);
	cr_assert_eq(r->u.o.side, e.side);
	cr_assert_eq(r->u.o.tif, e.tif);
	cr_assert_eq(r->u.o.type, e.type);
	cr_assert_eq(r->u.o.leg, e.leg);
	cr_assert_eq(r->u.o.kind, e.kind);
	cr_assert_eq(r->u.o.fee_asset, e.fee_asset);
	cr_assert_eq(r->u.o.inst, e.inst);
	cr_assert_eq(r->u.o.reject_code, e.reject_code);
	cr_assert_eq(r->u.o.flags, e.flags);
	cr_assert_eq(r->u.o.ingress_tsc, e.ingress_tsc);
	cr_assert_eq(r->u.o.ring_seq, e.ring_seq);
	cr_assert_eq(r->u.o.strategy, e.strategy);
}

Test(journal, empty_current_file_continues_from_the_rotated_one)
{
	struct journal j;

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 5; k++)
		put_order(&j, k);
	cr_assert_eq(journal_rotate(&j, NULL, NULL), 0);  /* asked, no live orders */
	journal_close(&j);
	jopen(&j, 8 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 5);
	cr_assert_eq(j.file_no, 2);
	cr_assert_eq(put_order(&j, 6), 6);
	journal_close(&j);
}

Test(journal, snapshot_that_does_not_fit_undoes_the_rotation)
{
	struct journal j;
	struct snapper sn = { .n = 4 };
	struct seen s;
	char p1[300];

	jopen(&j, 4 * REC, JR_SYNC_NONE);
	put_order(&j, 1);
	cr_assert_eq(journal_rotate(&j, snap_cb, &sn), -ENOSPC);
	cr_assert_eq(j.file_no, 1);
	cr_assert_eq(j.seq, 1);
	cr_assert_eq(j.rotations, 0);
	cr_assert_neq(access(rot_path(p1, sizeof(p1), 1), F_OK), 0);
	cr_assert_eq(put_order(&j, 2), 2, "still appending to the old file");
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, NULL), 2);
	/* and exactly fitting with room for one more passes */
	sn.n = 3;
	jopen(&j, 4 * REC, JR_SYNC_NONE);
	cr_assert_eq(journal_rotate(&j, snap_cb, &sn), 0);
	cr_assert_eq(put_order(&j, 0), 6);
	journal_close(&j);
}

Test(journal, rotate_refuses_to_overwrite_a_rotated_file)
{
	struct journal j;
	char p1[300];

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	put_order(&j, 1);
	test_write_file(rot_path(p1, sizeof(p1), 1), "x", 1);
	/* made after open: open would have numbered the current file 2 */
	cr_assert_eq(j.file_no, 1);
	cr_assert_eq(journal_rotate(&j, NULL, NULL), -EEXIST);
	cr_assert_eq(put_order(&j, 2), 2);
	journal_close(&j);
}

Test(journal, rotation_cut_before_the_renames_is_undone)
{
	struct journal j;
	char tmp[300];

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 3; k++)
		put_order(&j, k);
	journal_close(&j);
	snprintf(tmp, sizeof(tmp), "%s.new", cur);
	test_write_file(tmp, "half a rotation", 15);
	jopen(&j, 8 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 3);
	cr_assert_neq(access(tmp, F_OK), 0, ".new removed");
	journal_close(&j);
}

Test(journal, rotation_cut_before_the_last_rename_is_finished)
{
	struct journal j;
	struct snapper sn = { .n = 2 };
	char tmp[300], p1[300];
	struct seen s;

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	for (uint64_t k = 1; k <= 3; k++)
		put_order(&j, k);
	cr_assert_eq(journal_rotate(&j, snap_cb, &sn), 0);
	journal_close(&j);
	/* as if the crash came between the two renames */
	snprintf(tmp, sizeof(tmp), "%s.new", cur);
	cr_assert_eq(rename(cur, tmp), 0);
	jopen(&j, 8 * REC, JR_SYNC_NONE);
	cr_assert_eq(j.seq, 5);
	cr_assert_eq(j.file_no, 2);
	journal_close(&j);
	cr_assert_eq(replay(cur, &s, NULL), 2);
	cr_assert_eq(s.recs[0].type, JR_SNAP);
	cr_assert_eq(replay(rot_path(p1, sizeof(p1), 1), &s, NULL), 3);
}

/* ---- a writer killed at a random point --------------------------------------------- */

/* Replay every file of the journal in order (.1, .2, ..., current) into s:
 * the total count; s->gap when a seq does not follow the one before. */
static long replay_all(struct seen *s, uint64_t files)
{
	char p[300];
	long total = 0;

	memset(s, 0, sizeof(*s));
	for (uint64_t n = 1; n <= files; n++) {
		snprintf(p, sizeof(p), "%s.%llu", cur, (unsigned long long)n);
		long c = journal_replay(p, seen_cb, s, NULL);

		cr_assert_geq(c, 0, "%s", p);
		total += c;
	}
	long c = journal_replay(cur, seen_cb, s, NULL);
	cr_assert_geq(c, 0);
	return total + c;
}

Test(journal, sigkill_leaves_a_prefix_with_no_gap)
{
	/* the child appends and rotates (small files) until it is killed at a
	 * random point: in an append, between two, or in a rotation */
	_Atomic uint64_t *progress = test_shared_alloc(4096);
	struct timespec ts;
	uint64_t target, at_kill;
	struct seen s;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	srand((unsigned)ts.tv_nsec);
	target = 200 + (uint64_t)(rand() % 20000);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		struct journal j;
		struct journal_cfg c = cfg_of(512 * REC, JR_SYNC_NONE);
		char msg[256];

		if (journal_open(&j, &c, msg, sizeof(msg)))
			_exit(3);
		for (uint64_t k = 1;; k++) {
			uint64_t seq = put_order(&j, k);

			if (!seq) {
				if (journal_rotate(&j, NULL, NULL))
					_exit(4);
				seq = put_order(&j, k);
			}
			atomic_store_explicit(progress, seq, memory_order_release);
		}
	}
	{
		unsigned spins = 0;
		struct timespec t0, t;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (atomic_load_explicit(progress, memory_order_acquire) < target) {
			test_backoff(&spins);
			clock_gettime(CLOCK_MONOTONIC, &t);
			cr_assert_lt(t.tv_sec - t0.tv_sec, 60, "the writer made no progress");
		}
	}
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(test_wait_child(pid), 128 + SIGKILL);
	at_kill = atomic_load(progress);

	/* reopening finishes or undoes a cut rotation and continues */
	struct journal j;
	jopen(&j, 512 * REC, JR_SYNC_NONE);
	uint64_t files = j.file_no - 1, last = j.seq;
	journal_close(&j);
	cr_assert_geq(last, at_kill, "every record it finished");
	cr_assert_leq(last, at_kill + 1, "at most the one it was writing");

	cr_assert_eq(replay_all(&s, files), (long)last, "%llu files",
		     (unsigned long long)files);
	cr_assert_not(s.gap);
	cr_assert_eq(s.first, 1);
	cr_assert_eq(s.last, last);
	for (long i = 0; i < s.n && i < 64; i++)
		cr_assert_eq(s.recs[i].client_oid, 1000 + (uint64_t)i + 1);

	/* and goes on (killed with the file full: the caller rotates, as always) */
	jopen(&j, 512 * REC, JR_SYNC_NONE);
	uint64_t seq = put_order(&j, 0);
	if (!seq) {
		cr_assert_eq(j.off, j.size);
		cr_assert_eq(journal_rotate(&j, NULL, NULL), 0);
		seq = put_order(&j, 0);
	}
	cr_assert_eq(seq, last + 1);
	journal_close(&j);
	munmap((void *)progress, 4096);
}

/* ---- sync policies ------------------------------------------------------------------- */

Test(journal, sync_always_commits)
{
	struct journal j;

	jopen(&j, 64 * REC, JR_SYNC_ALWAYS);
	cr_assert_eq(journal_commit(&j), 0, "nothing to commit");
	cr_assert_eq(j.syncs, 0);
	put_order(&j, 1);
	put_order(&j, 2);
	cr_assert_eq(journal_commit(&j), 0);
	cr_assert_eq(j.syncs, 1);
	cr_assert_eq(journal_commit(&j), 0);
	cr_assert_eq(j.syncs, 1, "nothing new");
	put_order(&j, 3);
	cr_assert_eq(journal_commit(&j), 0);
	cr_assert_eq(j.syncs, 2);
	journal_close(&j);
}

Test(journal, sync_none_commit_does_nothing)
{
	struct journal j;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	put_order(&j, 1);
	cr_assert_eq(journal_commit(&j), 0);
	cr_assert_eq(j.syncs, 0);
	journal_close(&j);
	cr_assert_eq(j.syncs, 0);
}

static void wait_syncs(struct journal *j, uint64_t above)
{
	struct timespec t0, t;
	unsigned spins = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&j->syncs, __ATOMIC_RELAXED) <= above) {
		test_backoff(&spins);
		clock_gettime(CLOCK_MONOTONIC, &t);
		cr_assert_lt(t.tv_sec - t0.tv_sec, 30, "the sync thread never synced");
	}
}

Test(journal, sync_interval_thread)
{
	struct journal j;
	struct snapper sn = { .n = 1 };
	struct seen s;

	jopen(&j, 8 * REC, JR_SYNC_INTERVAL);
	cr_assert_not_null(j.syncer);
	put_order(&j, 1);
	wait_syncs(&j, 0);
	/* a rotation stops and restarts it */
	cr_assert_eq(journal_rotate(&j, snap_cb, &sn), 0);
	uint64_t before = __atomic_load_n(&j.syncs, __ATOMIC_RELAXED);
	put_order(&j, 2);
	wait_syncs(&j, before);
	journal_close(&j);
	cr_assert_null(j.map);
	cr_assert_eq(replay(cur, &s, NULL), 2);
}

Test(journal, sync_interval_open_close_quickly)
{
	/* start and stop with nothing written, many times: no hang, no leak */
	for (int i = 0; i < 20; i++) {
		struct journal j;

		jopen(&j, 8 * REC, JR_SYNC_INTERVAL);
		journal_close(&j);
	}
}

/* ---- the printer ------------------------------------------------------------------------ */

static void put_all_types(struct journal *j)
{
	struct jr_rec r;

	memset(&r, 0, sizeof(r));
	r.type = JR_START;
	r.u.run.pid = 4242;
	r.u.run.file_no = 1;
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_ORDER;
	r.client_oid = (1700000000ull << 32) + 7;
	r.u.o.intent_id = 99;
	r.u.o.pair_id = 5;
	r.u.o.px = 143210000000;
	r.u.o.qty = 123;
	r.u.o.ring_seq = 17;
	r.u.o.ingress_tsc = 123456789;
	r.u.o.inst = 3;
	r.u.o.strategy = 2;
	r.u.o.venue = KIMP_VENUE_UPBIT;
	r.u.o.side = KIMP_SIDE_SELL;
	r.u.o.tif = KIMP_TIF_IOC;
	r.u.o.type = VO_LIMIT;
	r.u.o.leg = 1;
	r.u.o.kind = KIMP_INTENT_UNWIND;
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_SENT;
	r.client_oid = 77;
	r.u.s.req_id = 31;
	r.u.s.sent_real_ns = 1700000000123456789ll;
	r.u.s.chan = VO_CH_WSAPI;
	r.u.s.venue = KIMP_VENUE_BINANCE;
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_STATE;
	r.client_oid = 77;
	r.u.st.last_px = 100;
	r.u.st.last_qty = 2;
	r.u.st.last_fee = -3;
	r.u.st.cum_qty = 2;
	r.u.st.leaves_qty = 8;
	r.u.st.exec_id = 0xfedcba9876543210ull;
	r.u.st.state = KIMP_ORD_PARTIAL;
	r.u.st.prev_state = KIMP_ORD_ACKED;
	r.u.st.event = FE_PARTIAL;
	r.u.st.venue = KIMP_VENUE_BINANCE;
	r.u.st.side = KIMP_SIDE_BUY;
	r.u.st.reject_code = KIMP_OREJ_RATE;
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_OID;
	r.client_oid = 77;
	r.u.id.venue = KIMP_VENUE_UPBIT;
	strcpy(r.u.id.oid, "cdd92199-2897-4e14-\"9448\"-f923320408ad");
	r.u.id.len = (uint8_t)strlen(r.u.id.oid);
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_CANCEL;
	r.client_oid = 77;
	r.u.s.req_id = 32;
	r.u.s.chan = VO_CH_REST;
	r.u.s.venue = KIMP_VENUE_UPBIT;
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_SNAP;
	r.client_oid = 78;
	r.u.o.state = KIMP_ORD_CANCEL_PENDING;
	r.u.o.venue = 99;  /* a venue number with no name */
	journal_append(j, &r);

	memset(&r, 0, sizeof(r));
	r.type = JR_CLOCK;
	r.u.run.venue = KIMP_VENUE_BINANCE;
	r.u.run.offset_ns = -1234567;
	journal_append(j, &r);
}

static char *print_to_string(const char *path, bool json, long *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	*n = journal_print(path, f, json);
	fclose(f);
	return buf;
}

Test(journal, print_text)
{
	struct journal j;
	long n;
	char *out;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	put_all_types(&j);
	journal_close(&j);
	out = print_to_string(cur, false, &n);
	cr_assert_eq(n, 8);
	assert_has(out, "seq=1 type=START time=");
	assert_has(out, "pid=4242 file_no=1");
	assert_has(out, "type=ORDER");
	assert_has(out, "coid=7301444403200000007");
	assert_has(out, "venue=upbit inst=3 side=SELL tif=IOC otype=LIMIT leg=1 kind=UNWIND "
		   "px=143210000000 qty=123 ring_seq=17 ingress_tsc=123456789 strategy=2 state=NEW");
	assert_has(out, "type=SENT");
	assert_has(out, "venue=binance chan=WSAPI req_id=31 sent=2023-11-14T22:13:20.123456789Z");
	assert_has(out, "state=PARTIAL prev_state=ACKED event=PARTIAL side=BUY");
	assert_has(out, "last_fee=-3");
	assert_has(out, "exec_id=18364758544493064720");
	assert_has(out, "reject_code=2 reject=RATE");
	assert_has(out, "oid=cdd92199-2897-4e14-\"9448\"-f923320408ad");
	assert_has(out, "type=CANCEL");
	assert_has(out, "chan=REST");
	assert_has(out, "type=SNAP");
	assert_has(out, "state=CANCEL_PENDING");
	assert_has(out, "venue=99");
	assert_has(out, "type=CLOCK");
	assert_has(out, "offset_ns=-1234567");
	/* one line per record */
	int lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 8);
	assert_lacks(out, "torn");
	free(out);
}

Test(journal, print_json_lines)
{
	struct journal j;
	long n;
	char *out, *line, *save = NULL;
	int lines = 0;

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	put_all_types(&j);
	journal_close(&j);
	out = print_to_string(cur, true, &n);
	cr_assert_eq(n, 8);
	assert_has(out, "\"type\":\"ORDER\"");
	assert_has(out, "\"coid\":\"7301444403200000007\"");
	assert_has(out, "\"venue\":\"upbit\"");
	assert_has(out, "\"oid\":\"cdd92199-2897-4e14-\\\"9448\\\"-f923320408ad\"");
	assert_has(out, "\"exec_id\":\"18364758544493064720\"");
	assert_has(out, "\"inst\":3");
	assert_has(out, "\"reject\":\"RATE\"");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_assert(json_valid(line), "not JSON: %s", line);
		cr_assert_eq(line[0], '{');
		lines++;
	}
	cr_assert_eq(lines, 8);
	free(out);
}

Test(journal, print_reports_a_torn_tail)
{
	struct journal j;
	uint8_t junk[16];
	long n;
	char *out;

	memset(junk, 0x33, sizeof(junk));
	jopen(&j, 64 * REC, JR_SYNC_NONE);
	put_order(&j, 1);
	put_order(&j, 2);
	journal_close(&j);
	poke(cur, 2 * REC + 8, junk, sizeof(junk));
	out = print_to_string(cur, false, &n);
	cr_assert_eq(n, 2);
	assert_has(out, "# torn: replay stops at record 2 (offset 256)");
	assert_lacks(out, "damage");
	free(out);
	poke(cur, 9 * REC, junk, sizeof(junk));
	out = print_to_string(cur, true, &n);
	cr_assert_eq(n, 2);
	assert_has(out, "{\"torn\":true,\"offset\":256,\"record\":2,\"data_after\":true}");
	free(out);
}

/* ---- errors ------------------------------------------------------------------------------ */

Test(journal, open_errors_name_the_path)
{
	struct journal j;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	char msg[512], path[300];

	/* the parent of the directory is missing */
	snprintf(path, sizeof(path), "%s/missing/deeper", dir);
	c.dir = path;
	msg[0] = 0;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -ENOENT);
	assert_has(msg, path);

	/* the directory is a file */
	snprintf(path, sizeof(path), "%s/afile", dir);
	test_write_file(path, "x", 1);
	c.dir = path;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -ENOTDIR);
	assert_has(msg, path);

	/* unwritable: /proc refuses a directory even to root */
	c.dir = "/proc/kimp-journal-test";
	cr_assert_lt(journal_open(&j, &c, msg, sizeof(msg)), 0);
	assert_has(msg, "/proc/kimp-journal-test");

	/* the journal file is a directory */
	c.dir = dir;
	cr_assert_eq(mkdir(cur, 0700), 0);
	cr_assert_lt(journal_open(&j, &c, msg, sizeof(msg)), 0);
	assert_has(msg, cur);
	cr_assert_eq(rmdir(cur), 0);
	cr_assert_null(j.map);
}

Test(journal, open_refuses_bad_arguments)
{
	struct journal j;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	char msg[512];

	c.name = "a/b";
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	c.name = "";
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	c.name = ".hidden";
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	c.name = "a-name-that-is-far-too-long-for-the-field";
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -ENAMETOOLONG);
	c.name = "od";
	c.dir = NULL;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	cr_assert_eq(journal_open(&j, NULL, NULL, 0), -EINVAL, "no message buffer is fine");
	c.dir = dir;
	c.sync = (enum jr_sync)7;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	/* the smallest file: 2 records, both sides */
	c.sync = JR_SYNC_NONE;
	c.file_size = 2 * REC - 1;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	c.file_size = 2 * REC;
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), 0, "%s", msg);
	journal_close(&j);
}

Test(journal, open_refuses_a_foreign_file)
{
	struct journal j;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	char msg[512], junk[8 * REC];

	/* not a whole number of records */
	test_write_file(cur, "hello\n", 6);
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EINVAL);
	assert_has(msg, cur);
	assert_has(msg, "not a journal");
	/* whole records of text: damage from record 0 */
	memset(junk, 'x', sizeof(junk));
	test_write_file(cur, junk, 8 * REC);
	cr_assert_eq(journal_open(&j, &c, msg, sizeof(msg)), -EUCLEAN);
	assert_has(msg, cur);
}

/* In a child: no file may grow past 'limit' bytes (SIGXFSZ ignored: EFBIG). */
static void limit_file_size(rlim_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = RLIM_INFINITY };

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl))
		_exit(9);
}

Test(journal, preallocation_failure_names_the_path)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid) {
		struct journal j;
		struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
		char msg[512] = "";

		limit_file_size(1000);
		if (journal_open(&j, &c, msg, sizeof(msg)) != -EFBIG)
			_exit(1);
		if (!strstr(msg, cur) || !strstr(msg, "preallocating"))
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(test_wait_child(pid), 0);
}

Test(journal, rotation_that_cannot_make_its_file_keeps_the_old_one)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid) {
		struct journal j;
		struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_INTERVAL);
		struct seen s;
		char msg[512] = "", tmp[300];

		if (journal_open(&j, &c, msg, sizeof(msg)))
			_exit(1);
		put_order(&j, 1);
		limit_file_size(16 * REC);
		if (journal_rotate(&j, NULL, NULL) != -EFBIG)
			_exit(2);
		if (j.file_no != 1 || j.rotations || put_order(&j, 2) != 2)
			_exit(3);
		snprintf(tmp, sizeof(tmp), "%s.new", cur);
		if (!access(tmp, F_OK))
			_exit(4);
		journal_close(&j);
		if (replay(cur, &s, NULL) != 2)
			_exit(5);
		_exit(0);
	}
	cr_assert_eq(test_wait_child(pid), 0);
}

Test(journal, closed_journal)
{
	struct journal j;

	jopen(&j, 8 * REC, JR_SYNC_NONE);
	journal_close(&j);
	cr_assert_eq(journal_rotate(&j, NULL, NULL), -EBADF);
	cr_assert_eq(put_order(&j, 1), 0, "nothing appends to a closed journal");
	cr_assert_eq(journal_commit(&j), 0);
}

Test(journal, one_writer_at_a_time)
{
	struct journal j, j2;
	struct journal_cfg c = cfg_of(64 * REC, JR_SYNC_NONE);
	char msg[512];

	jopen(&j, 64 * REC, JR_SYNC_NONE);
	cr_assert_eq(journal_open(&j2, &c, msg, sizeof(msg)), -EBUSY);
	assert_has(msg, cur);
	assert_has(msg, "in use");
	journal_close(&j);
	jopen(&j2, 64 * REC, JR_SYNC_NONE);
	journal_close(&j2);
}

Test(journal, replay_and_print_errors)
{
	char path[300], junk[2 * REC];
	long n;
	char *out;

	snprintf(path, sizeof(path), "%s/none.journal", dir);
	cr_assert_eq(journal_replay(path, seen_cb, NULL, NULL), -ENOENT);
	out = print_to_string(path, false, &n);
	cr_assert_eq(n, -ENOENT);
	free(out);
	cr_assert_eq(journal_replay(dir, seen_cb, NULL, NULL), -EISDIR);
	/* a size that is not whole records */
	test_write_file(path, "abc", 3);
	cr_assert_eq(journal_replay(path, seen_cb, NULL, NULL), -EINVAL);
	/* garbage from the first record: not a journal to print; replay: 0, torn */
	memset(junk, 'q', sizeof(junk));
	test_write_file(path, junk, sizeof(junk));
	out = print_to_string(path, false, &n);
	cr_assert_eq(n, -EBADMSG);
	free(out);
	bool torn = false;
	cr_assert_eq(journal_replay(path, seen_cb, NULL, &torn), 0);
	cr_assert(torn);
	/* an empty file: nothing, cleanly */
	test_write_file(path, "", 0);
	cr_assert_eq(journal_replay(path, seen_cb, NULL, &torn), 0);
	cr_assert_not(torn);
}

Test(journal, names)
{
	cr_assert_str_eq(jr_type_name(JR_START), "START");
	cr_assert_str_eq(jr_type_name(JR_STATE), "STATE");
	cr_assert_str_eq(jr_type_name(JR_CLOCK), "CLOCK");
	cr_assert_str_eq(jr_type_name(JR_TYPE_MAX), "?");
	for (unsigned t = 0; t < JR_TYPE_MAX; t++)
		cr_expect_str_neq(jr_type_name(t), "?", "%u", t);
}

/* ---- the hot path -------------------------------------------------------------------------- */

Test(journal, append_makes_no_system_call)
{
	struct journal j;
	pid_t pid;

	jopen(&j, 4096 * REC, JR_SYNC_NONE);
	put_order(&j, 1);  /* warm: the first page faulted in */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		size_t before = mallinfo2().uordblks;

		if (test_jail())
			_exit(2);
		for (uint64_t k = 2; k <= 2000; k++)
			if (put_order(&j, k) != k)
				syscall(SYS_exit, 4);
		if (mallinfo2().uordblks != before)
			syscall(SYS_exit, 3);
		syscall(SYS_exit, 0);
	}
	cr_assert_eq(test_wait_child(pid), 0, "append made a system call (SIGSYS = 159), "
		     "allocated (3) or failed (4)");
	journal_close(&j);
	{
		struct seen s;

		cr_assert_eq(replay(cur, &s, NULL), 2000, "the child's records are in the file");
		cr_assert_not(s.gap);
	}
}

/*
 * journal_prefault touches pages past the end without changing a byte:
 * records appended after it replay as before, and a second call over the
 * same range touches nothing new.
 */
Test(journal, prefault_changes_nothing_and_is_idempotent)
{
	char pdir[] = "/tmp/kimp-jpf-XXXXXX";
	char path[256];
	struct journal j;
	struct journal_cfg cfg = { .dir = NULL, .name = "pf", .file_size = 64 * 1024 };
	char msg[256];
	struct jr_rec r;
	bool torn = true;

	cr_assert_not_null(mkdtemp(pdir));
	cfg.dir = pdir;
	cr_assert_eq(journal_open(&j, &cfg, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(journal_prefault(&j, 16384), 16384);
	cr_assert_eq(journal_prefault(&j, 16384), 0, "already touched");
	for (unsigned i = 0; i < 40; i++) {
		memset(&r, 0, sizeof(r));
		r.type = JR_CLOCK;
		r.client_oid = i + 1;
		cr_assert_eq(journal_append(&j, &r), i + 1);
	}
	cr_assert_eq(journal_prefault(&j, 16384), 8192, "5120 + 16384 ends in the page at 20480");
	cr_assert_eq(journal_prefault(&j, 1u << 30), 64 * 1024 - 24576,
		     "the rest of the file, once");
	cr_assert_eq(journal_prefault(&j, 1u << 30), 0);
	journal_close(&j);
	snprintf(path, sizeof(path), "%s/pf.journal", pdir);
	cr_assert_eq(journal_replay(path, NULL, NULL, &torn), 40);
	cr_assert_not(torn);
	unlink(path);
	rmdir(pdir);
}
