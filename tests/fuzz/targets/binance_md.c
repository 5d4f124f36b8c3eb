/* SPDX-License-Identifier: MIT */
/*
 * libvenue/binance.c: Binance's market-data decoders on arbitrary bytes:
 * the WebSocket decoder (depthUpdate, partial depth, bookTicker, trade,
 * raw and combined streams, control replies, errors) and the REST depth
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vd_msg m;
	int r;

	if (!ready) {
		fuzz_tab_binance(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	if (data[0] & 8) {
		uint32_t sym = (uint32_t)(data[0] >> 4) % tab.n;

		r = venue_md_binance.decode_snapshot(&tab, sym, data + 1, size - 1, &m);
		fuzz_vd_check(r, &m, &tab, KIMP_VENUE_BINANCE, data + 1, size - 1);
		FUZZ_CHECK(r || (m.kind == VD_SNAPSHOT && m.sym == sym));
	} else {
		r = venue_md_binance.decode(&tab, data + 1, size - 1, &m);
		fuzz_vd_check(r, &m, &tab, KIMP_VENUE_BINANCE, data + 1, size - 1);
	}
	return 0;
}
