/* SPDX-License-Identifier: MIT */
/*
 * libvenue/coinone.c: Coinone's market-data decoder (ORDERBOOK, TRADE,
 * TICKER in DEFAULT and SHORT keys, control responses and errors) on
 * arbitrary bytes.
 *
 * Input: byte 0 picks the caller's level capacity (fuzz_cap, low 3 bits);
 * the rest is one WebSocket message.
 */
#include "../fuzz_venue.h"

static struct venue_symtab tab;
static struct vd_level bids[FUZZ_LV], asks[FUZZ_LV];
static int ready;

/* The fixtures' markets at several scales ("finer than the scale" reachable). */
static void tab_coinone(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_COINONE);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "KRW", 0, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "XRP", "KRW", 1, 4, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "USDT", "KRW", 0, 2, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "KRW", 8, 8, 4) == 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_msg m;
	int r;

	if (!ready) {
		tab_coinone(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	r = venue_md_coinone.decode(&tab, data + 1, size - 1, &m);
	fuzz_vd_check(r, &m, &tab, KIMP_VENUE_COINONE, data + 1, size - 1);
	/* the book is best first on both sides */
	if (!r && m.kind == VD_BOOK) {
		for (uint32_t i = 1; i < m.nasks; i++)
			FUZZ_CHECK(m.asks[i].px > m.asks[i - 1].px);
		for (uint32_t i = 1; i < m.nbids; i++)
			FUZZ_CHECK(m.bids[i].px < m.bids[i - 1].px);
	}
	return 0;
}
