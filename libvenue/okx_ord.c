/* SPDX-License-Identifier: MIT */
/* okx's order entry: being written (issue 10). */
#include "kimp/venue_ord.h"

const struct venue_ord venue_ord_okx = {
	.venue = KIMP_VENUE_OKX,
	.name = "okx",
};
