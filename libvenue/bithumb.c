/* SPDX-License-Identifier: MIT */
/* bithumb's market data: being written (issue 10). */
#include "kimp/venue.h"

const struct venue_md venue_md_bithumb = {
	.venue = KIMP_VENUE_BITHUMB,
	.name = "bithumb",
	.quote = "KRW",
};
