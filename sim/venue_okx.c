/* SPDX-License-Identifier: MIT */
/* exsim's okx: being written (issue 10); not yet usable in a scenario. */
#include "server.h"

const struct sim_venue_ops sim_venue_okx = {
	.name = "okx",
	.kind = SIM_USDT,
};
