/* SPDX-License-Identifier: MIT */
/* exsim's bybit: being written (issue 10); not yet usable in a scenario. */
#include "server.h"

const struct sim_venue_ops sim_venue_bybit = {
	.name = "bybit",
	.kind = SIM_USDT,
};
