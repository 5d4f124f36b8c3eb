/* SPDX-License-Identifier: MIT */
/* coinone's market data: being written (issue 10). */
#include "kimp/venue.h"

const struct venue_md venue_md_coinone = {
	.venue = KIMP_VENUE_COINONE,
	.name = "coinone",
	.quote = "KRW",
};
