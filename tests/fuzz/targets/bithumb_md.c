/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bithumb.c: Bithumb's market-data decoder (Upbit's with Bithumb's
 * flavour: orderbook with ms or us timestamps, trade, ticker, DEFAULT and
 * SIMPLE keys, status and error messages) on arbitrary bytes.
 *
 * Input: byte 0 picks the caller's level capacity (fuzz_cap, low 3 bits);
 * the rest is one WebSocket message.
 */
#include "../fuzz_venue.h"

static struct venue_symtab tab;
static struct vd_level bids[FUZZ_LV], asks[FUZZ_LV];
static int ready;

/* The fixtures' instruments at several scales (sizes print at 4 decimals). */
static void tab_bithumb(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_BITHUMB);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "KRW", 0, 4, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "KRW", 2, 8, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "USDT", "KRW", 1, 2, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "XRP", "KRW", 4, 4, 4) == 3);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "BTC", 8, 8, 5) == 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_msg m;
	int r;

	if (!ready) {
		tab_bithumb(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	r = venue_md_bithumb.decode(&tab, data + 1, size - 1, &m);
	fuzz_vd_check(r, &m, &tab, KIMP_VENUE_BITHUMB, data + 1, size - 1);
	return 0;
}
