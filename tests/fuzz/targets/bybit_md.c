/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bybit.c: Bybit's market-data decoders on arbitrary bytes: the
 * WebSocket decoder (orderbook snapshot/delta, orderbook.1 as BBO,
 * publicTrade, tickers, control replies, errors) and the REST orderbook
 * snapshot decoder.
 *
 * Input: byte 0: bits 0-2 the caller's level capacity (fuzz_cap), bit 3
 * the snapshot decoder instead of the stream one, bits 4-7 the snapshot's
 * symbol (modulo the table); the rest is the message or the REST body.
 */
#include "../fuzz_venue.h"

static struct venue_symtab tab;
static struct vd_level bids[FUZZ_LV], asks[FUZZ_LV];
static int ready;

static void tab_bybit(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_BYBIT);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "USDT", 2, 6, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "USDT", 2, 5, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "XRP", "USDT", 4, 2, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "BTC", 6, 4, 4) == 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_msg m;
	int r;

	if (!ready) {
		tab_bybit(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	if (data[0] & 8) {
		uint32_t sym = (uint32_t)(data[0] >> 4) % tab.n;

		r = venue_md_bybit.decode_snapshot(&tab, sym, data + 1, size - 1, &m);
		fuzz_vd_check(r, &m, &tab, KIMP_VENUE_BYBIT, data + 1, size - 1);
		FUZZ_CHECK(r || (m.kind == VD_SNAPSHOT && m.sym == sym));
	} else {
		r = venue_md_bybit.decode(&tab, data + 1, size - 1, &m);
		fuzz_vd_check(r, &m, &tab, KIMP_VENUE_BYBIT, data + 1, size - 1);
		/* a resync is only ever flagged on a diff */
		FUZZ_CHECK(r || !m.resync || m.kind == VD_DIFF);
	}
	return 0;
}
