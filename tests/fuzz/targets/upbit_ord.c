/* SPDX-License-Identifier: MIT */
/*
 * libvenue/upbit_ord.c: Upbit's order-entry parsers (REST responses, the
 * open-orders list, WebSocket messages) on arbitrary bytes. Input layout:
 * tests/fuzz/fuzz_ord.h.
 */
#include "../fuzz_ord.h"

static struct fuzz_ord f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ord_one(&f, &venue_ord_upbit, data, size);
}
