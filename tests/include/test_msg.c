/* SPDX-License-Identifier: MIT */
/*
 * The message structs: including this file checks their compile-time size,
 * alignment and offset asserts; each one then travels through a ring whose
 * slot is exactly its size, intact, with the header's seq word written by
 * the ring.
 */
#include <criterion/criterion.h>
#include "kimp/msg.h"
#include "kimp/ring.h"
#include "kimp/venue_id.h"
#include "../testutil.h"

TENV_SEG_FIXTURE("msg", 1 << 20)

TestSuite(msg, .init = setup, .fini = teardown);

/* Send 'msg' (size bytes) through a fresh ring; return what arrived. */
static void round_trip(const char *name, const void *msg, size_t size, void *out)
{
	struct shm_ring_prod p;
	struct shm_ring_cons c;
	struct shm_ring *r;

	cr_assert_eq(shm_ring_create(&seg, name, (uint32_t)size, 8, 0, NULL, &r), 0);
	cr_assert_eq(shm_ring_producer(r, &p), 0);
	cr_assert_eq(shm_ring_consumer(r, &c), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(shm_ring_push(&p, msg, size), 0);
		cr_assert_eq(shm_ring_pop(&c, out, size), 0);
		const struct kimp_msg_hdr *h = out;
		cr_assert_eq(h->seq, shm_ring_mark(r->salt, (uint64_t)i),
			     "the header's seq word is the ring's mark");
		cr_assert_eq(memcmp((const uint8_t *)out + 8, (const uint8_t *)msg + 8, size - 8),
			     0, "%s arrived intact", name);
	}
}

static void fill_hdr(struct kimp_msg_hdr *h, uint16_t type)
{
	h->type = type;
	h->venue = KIMP_VENUE_UPBIT;
	h->flags = KIMP_MSG_F_GAP;
	h->inst = 0xabcdef;
	h->ingress_tsc = 0x1122334455667788ull;
	h->venue_ts_ns = 1732000000123456789ll;
}

Test(msg, every_message_fits_its_slot_and_arrives_intact)
{
	struct kimp_md_top top = { .bid_px = 143250000, .bid_qty = 1, .ask_px = 143260000,
				   .ask_qty = -1 }, top_out;
	struct kimp_md_trade tr = { .px = 7, .qty = 8, .trade_id = (1ull << 53) + 1,
				    .aggressor = KIMP_SIDE_SELL }, tr_out;
	struct kimp_md_status st = { .status = KIMP_BOOK_STALE, .prev_status = KIMP_BOOK_LIVE,
				     .reason = 3, .book_slot = 9, .update_count = 99 }, st_out;
	struct kimp_intent in = { .intent_id = 1, .pair_id = 2, .px = 3, .qty = 4,
				  .side = KIMP_SIDE_BUY, .tif = KIMP_TIF_IOC, .leg = 1,
				  .leg_count = 2 }, in_out;
	struct kimp_order o = { .client_oid = 77, .px = 5, .qty = 6 }, o_out;
	struct kimp_exec_report er = { .client_oid = 77, .cum_qty = 6,
				       .state = KIMP_ORD_FILLED }, er_out;

	fill_hdr(&top.h, KIMP_MSG_MD_TOP);
	fill_hdr(&tr.h, KIMP_MSG_MD_TRADE);
	fill_hdr(&st.h, KIMP_MSG_MD_STATUS);
	fill_hdr(&in.h, KIMP_MSG_INTENT);
	fill_hdr(&o.h, KIMP_MSG_ORDER_NEW);
	fill_hdr(&er.h, KIMP_MSG_EXEC_REPORT);
	round_trip("top", &top, sizeof(top), &top_out);
	round_trip("trade", &tr, sizeof(tr), &tr_out);
	round_trip("status", &st, sizeof(st), &st_out);
	round_trip("intent", &in, sizeof(in), &in_out);
	round_trip("order", &o, sizeof(o), &o_out);
	round_trip("report", &er, sizeof(er), &er_out);
	cr_assert_eq(tr_out.trade_id, (1ull << 53) + 1, "ids above 2^53 stay exact");
	cr_assert_eq(top_out.h.venue_ts_ns, 1732000000123456789ll);
	cr_assert_eq(in_out.leg_count, 2);
	cr_assert_eq(er_out.state, KIMP_ORD_FILLED);
}

Test(msg, sizes_are_whole_slots)
{
	cr_assert_eq(sizeof(struct kimp_md_top) % 64, 0);
	cr_assert_eq(sizeof(struct kimp_md_trade) % 64, 0);
	cr_assert_eq(sizeof(struct kimp_md_status) % 64, 0);
	cr_assert_eq(sizeof(struct kimp_intent) % 64, 0);
	cr_assert_eq(sizeof(struct kimp_order) % 64, 0);
	cr_assert_eq(sizeof(struct kimp_exec_report) % 64, 0);
	cr_assert_eq(offsetof(struct kimp_msg_hdr, seq), 0, "the ring's word comes first");
}
