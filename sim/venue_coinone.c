/* SPDX-License-Identifier: MIT */
/* exsim's coinone: being written (issue 10); not yet usable in a scenario. */
#include "server.h"

const struct sim_venue_ops sim_venue_coinone = {
	.name = "coinone",
	.kind = SIM_KRW,
};
