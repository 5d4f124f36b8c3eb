/* SPDX-License-Identifier: MIT */
/* coinone's order entry: being written (issue 10). */
#include "kimp/venue_ord.h"

const struct venue_ord venue_ord_coinone = {
	.venue = KIMP_VENUE_COINONE,
	.name = "coinone",
};
