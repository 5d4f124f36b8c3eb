/* SPDX-License-Identifier: MIT */
/* bithumb's order entry: being written (issue 10). */
#include "kimp/venue_ord.h"

const struct venue_ord venue_ord_bithumb = {
	.venue = KIMP_VENUE_BITHUMB,
	.name = "bithumb",
};
