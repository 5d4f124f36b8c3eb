/* SPDX-License-Identifier: MIT */
/* exsim's bithumb: being written (issue 10); not yet usable in a scenario. */
#include "server.h"

const struct sim_venue_ops sim_venue_bithumb = {
	.name = "bithumb",
	.kind = SIM_KRW,
};
