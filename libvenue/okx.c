/* SPDX-License-Identifier: MIT */
/* okx's market data: being written (issue 10). */
#include "kimp/venue.h"

const struct venue_md venue_md_okx = {
	.venue = KIMP_VENUE_OKX,
	.name = "okx",
	.quote = "USDT",
};
