/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bybit_ord.c: Bybit's order-entry parsers (REST responses, the
 * open-orders list, the trade WebSocket's replies and the private stream)
 * on arbitrary bytes. Input layout: tests/fuzz/fuzz_ord.h (what 0: the
 * trade WebSocket, 1: the private stream).
 */
#include "../fuzz_ord.h"

static struct fuzz_ord f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ord_one(&f, &venue_ord_bybit, data, size);
}
