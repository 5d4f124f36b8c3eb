/* SPDX-License-Identifier: MIT */
/*
 * exsim as sim_bench drives it: bench/common/exsim.c with the bench's
 * settings, and the CPUs' busy time.
 */
#include "../common/bench_util.h"
#include "sim_bench.h"

int sb_exsim_start(const struct sb_cfg *c, struct bx_exsim *x, uint64_t load_rate)
{
	const struct bx_exsim_cfg xc = {
		.prog = "sim_bench", .exsim = c->exsim, .scenario = c->scenario,
		.cpu = c->pin ? c->cpu[0] : -1, .start_timeout_s = c->start_timeout_s,
	};

	return bx_exsim_start(x, &xc, load_rate);
}

void sb_sys_snap(const int cpu[2], struct sb_sys *s)
{
	bu_cpu_stat(cpu, s->busy_ms, &s->steal_ms);
}
