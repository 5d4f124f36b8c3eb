/* SPDX-License-Identifier: MIT */
/*
 * libvenue/bithumb_ord.c: Bithumb's order-entry parsers (REST responses,
 * the open-orders list, private-stream messages) on arbitrary bytes. Input
 * layout: tests/fuzz/fuzz_ord.h.
 */
#include "../fuzz_ord.h"

static struct fuzz_ord f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ord_one(&f, &venue_ord_bithumb, data, size);
}
