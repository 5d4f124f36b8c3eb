/* SPDX-License-Identifier: MIT */
/* bybit's order entry: being written (issue 10). */
#include "kimp/venue_ord.h"

const struct venue_ord venue_ord_bybit = {
	.venue = KIMP_VENUE_BYBIT,
	.name = "bybit",
};
