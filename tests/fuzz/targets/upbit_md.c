/* SPDX-License-Identifier: MIT */
/*
 * libvenue/upbit.c: Upbit's market-data decoder (orderbook, trade, ticker,
 * DEFAULT and SIMPLE keys, status and error messages) on arbitrary bytes.
 *
 * Input: byte 0 picks the caller's level capacity (fuzz_cap, low 3 bits);
 * the rest is one WebSocket message.
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
		fuzz_tab_upbit(&tab);
		ready = 1;
	}
	if (size < 1)
		return 0;
	fuzz_vd_msg(&m, bids, asks, data[0]);
	r = venue_md_upbit.decode(&tab, data + 1, size - 1, &m);
	fuzz_vd_check(r, &m, &tab, KIMP_VENUE_UPBIT, data + 1, size - 1);
	return 0;
}
