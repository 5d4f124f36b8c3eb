/* SPDX-License-Identifier: MIT */
/* bybit's market data: being written (issue 10). */
#include "kimp/venue.h"

const struct venue_md venue_md_bybit = {
	.venue = KIMP_VENUE_BYBIT,
	.name = "bybit",
	.quote = "USDT",
};
