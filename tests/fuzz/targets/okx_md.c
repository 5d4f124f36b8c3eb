/* SPDX-License-Identifier: MIT */
/*
 * libvenue/okx.c: OKX's market-data decoder (books snapshot/update,
 * books5, bbo-tbt, trades, tickers, events, pong) and its REST book
 * decoder on arbitrary bytes; a decoded book's checksum is computed too.
 *
 * Input: byte 0 bits 0-2 pick the caller's level capacity (fuzz_cap), bit
 * 3 the REST book decoder (bit 4: of symbol 1, else 0); the rest is one
 * message.
 */
#include "../fuzz_venue.h"

static struct venue_symtab tab;
static struct vd_level bids[FUZZ_LV], asks[FUZZ_LV];
static int ready;

static void okx_tab(struct venue_symtab *t)
{
	venue_symtab_init(t, KIMP_VENUE_OKX);
	FUZZ_CHECK(venue_symtab_add(t, "BTC", "USDT", 2, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(t, "ETH", "USDT", 1, 4, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(t, "BCH", "USDT", 2, 0, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(t, "XRP", "USDT", 4, 2, 4) == 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_msg m;
	int r;

	if (!ready) {
		okx_tab(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	if (data[0] & 8) {
		uint32_t sym = (data[0] >> 4) & 1;
		r = venue_md_okx.decode_snapshot(&tab, sym, data + 1, size - 1, &m);
		FUZZ_CHECK(r || (m.kind == VD_SNAPSHOT && m.sym == sym));
	} else {
		r = venue_md_okx.decode(&tab, data + 1, size - 1, &m);
	}
	fuzz_vd_check(r, &m, &tab, KIMP_VENUE_OKX, data + 1, size - 1);
	if (!r && (m.kind == VD_BOOK || m.kind == VD_SNAPSHOT || m.kind == VD_DIFF) &&
	    m.sym < tab.n)
		(void)venue_md_okx.book_checksum(m.bids, m.nbids, m.asks, m.nasks,
						 tab.sym[m.sym].px_dec, tab.sym[m.sym].qty_dec);
	return 0;
}
