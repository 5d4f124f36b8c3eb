/* SPDX-License-Identifier: MIT */
/*
 * Faults on a venue (sim/fault.c), on a hand-made struct sim_venue: what
 * each kind does to v->fs, the predicates around the until-times, and the
 * ledger's "fault" events.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../sim/server.h"

#define S 1000000000ULL

static struct sim_venue_cfg vcfg;
static struct sim_venue v;

static void setup(void)
{
	memset(&vcfg, 0, sizeof(vcfg));
	snprintf(vcfg.name, sizeof(vcfg.name), "binance");
	memset(&v, 0, sizeof(v));
	v.cfg = &vcfg;
}

TestSuite(fault, .init = setup);

static struct sim_fault mk(enum sim_fault_kind k)
{
	struct sim_fault f = { .kind = k };

	return f;
}

Test(fault, counted_faults_add_and_are_taken_one_at_a_time)
{
	static const enum sim_fault_kind kinds[] = {
		SIM_FAULT_GAP, SIM_FAULT_MALFORMED, SIM_FAULT_TRUNCATE,
		SIM_FAULT_DROP_RESPONSE, SIM_FAULT_HTTP_5XX,
	};

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct sim_fault f = mk(kinds[i]);

		cr_assert(!sim_fault_take(&v, kinds[i]), "nothing pending");
		f.count = 2;
		sim_fault_apply(&v, &f, 1 * S);
		f.count = 1;
		sim_fault_apply(&v, &f, 2 * S);
		cr_assert_eq(v.fs.applied[kinds[i]], 2);
		for (int n = 0; n < 3; n++)
			cr_assert(sim_fault_take(&v, kinds[i]), "%s #%d",
				  sim_fault_name(kinds[i]), n);
		cr_assert(!sim_fault_take(&v, kinds[i]), "%s spent", sim_fault_name(kinds[i]));
	}
	cr_assert_eq(v.fs.gap + v.fs.malformed + v.fs.truncate + v.fs.drop_response +
		     v.fs.http5xx, 0);
}

Test(fault, counted_faults_are_separate)
{
	struct sim_fault f = mk(SIM_FAULT_GAP);

	f.count = 1;
	sim_fault_apply(&v, &f, 0);
	cr_assert(!sim_fault_take(&v, SIM_FAULT_MALFORMED));
	cr_assert(!sim_fault_take(&v, SIM_FAULT_STALL), "not a counted kind");
	cr_assert(!sim_fault_take(&v, SIM_FAULT_NONE));
	cr_assert(sim_fault_take(&v, SIM_FAULT_GAP));
}

Test(fault, a_count_of_zero_is_one_and_counts_saturate)
{
	struct sim_fault f = mk(SIM_FAULT_TRUNCATE);

	sim_fault_apply(&v, &f, 0);
	cr_assert_eq(v.fs.truncate, 1);
	f.count = UINT32_MAX;
	sim_fault_apply(&v, &f, 0);
	sim_fault_apply(&v, &f, 0);
	cr_assert_eq(v.fs.truncate, UINT32_MAX);
}

Test(fault, stall_until_now_plus_duration)
{
	struct sim_fault f = mk(SIM_FAULT_STALL);

	cr_assert(!sim_fault_stalled(&v, 0));
	f.duration_ns = 3 * S;
	sim_fault_apply(&v, &f, 10 * S);
	cr_assert_eq(v.fs.stall_until_ns, 13 * S);
	cr_assert(sim_fault_stalled(&v, 10 * S));
	cr_assert(sim_fault_stalled(&v, 13 * S - 1));
	cr_assert(!sim_fault_stalled(&v, 13 * S));
	/* a later one replaces the time: a zero duration ends the stall */
	sim_fault_apply(&v, &f, 11 * S);
	cr_assert_eq(v.fs.stall_until_ns, 14 * S);
	f.duration_ns = 0;
	sim_fault_apply(&v, &f, 12 * S);
	cr_assert(!sim_fault_stalled(&v, 12 * S));
	cr_assert_eq(v.fs.applied[SIM_FAULT_STALL], 3);
}

Test(fault, burst_429)
{
	struct sim_fault f = mk(SIM_FAULT_BURST_429);

	cr_assert(!sim_fault_429(&v, 5 * S));
	f.duration_ns = 2 * S;
	sim_fault_apply(&v, &f, 5 * S);
	cr_assert(sim_fault_429(&v, 5 * S));
	cr_assert(sim_fault_429(&v, 7 * S - 1));
	cr_assert(!sim_fault_429(&v, 7 * S));
	cr_assert(!sim_fault_stalled(&v, 6 * S), "429 is not a stall");
}

Test(fault, delay)
{
	struct sim_fault f = mk(SIM_FAULT_DELAY);

	cr_assert_eq(sim_fault_delay(&v, 0), 0);
	f.duration_ns = 5 * S;
	f.delay_ns = 250000000;
	sim_fault_apply(&v, &f, 1 * S);
	cr_assert_eq(sim_fault_delay(&v, 1 * S), 250000000);
	cr_assert_eq(sim_fault_delay(&v, 6 * S - 1), 250000000);
	cr_assert_eq(sim_fault_delay(&v, 6 * S), 0);
	f.delay_ns = 10;
	sim_fault_apply(&v, &f, 2 * S);
	cr_assert_eq(sim_fault_delay(&v, 2 * S), 10, "the later delay replaces it");
}

Test(fault, an_endless_duration_does_not_wrap)
{
	struct sim_fault f = mk(SIM_FAULT_STALL);

	f.duration_ns = UINT64_MAX;
	sim_fault_apply(&v, &f, 5 * S);
	cr_assert_eq(v.fs.stall_until_ns, UINT64_MAX);
	cr_assert(sim_fault_stalled(&v, UINT64_MAX - 1));
}

Test(fault, clock_skew_sets_and_resets)
{
	struct sim_fault f = mk(SIM_FAULT_CLOCK_SKEW);

	f.skew_ms = -1500;
	sim_fault_apply(&v, &f, 0);
	cr_assert_eq(v.fs.skew_ms, -1500);
	f.skew_ms = 0;
	sim_fault_apply(&v, &f, 0);
	cr_assert_eq(v.fs.skew_ms, 0);
	cr_assert_eq(v.fs.applied[SIM_FAULT_CLOCK_SKEW], 2);
}

Test(fault, disconnect_is_only_counted)
{
	struct sim_fault f = mk(SIM_FAULT_DISCONNECT);
	struct sim_fault_state before;

	sim_fault_apply(&v, &f, 7 * S);
	cr_assert_eq(v.fs.applied[SIM_FAULT_DISCONNECT], 1);
	before = v.fs;
	before.applied[SIM_FAULT_DISCONNECT] = 0;
	memset(&v.fs.applied, 0, sizeof(v.fs.applied));
	cr_assert_eq(memcmp(&before, &v.fs, sizeof(before)), 0, "no other state changed");
}

Test(fault, not_a_fault_changes_nothing)
{
	struct sim_fault f = mk(SIM_FAULT_NONE);
	struct sim_fault_state zero;

	memset(&zero, 0, sizeof(zero));
	f.count = 5;
	f.duration_ns = S;
	sim_fault_apply(&v, &f, S);
	f.kind = SIM_FAULT_KIND_COUNT;
	sim_fault_apply(&v, &f, S);
	f.kind = (enum sim_fault_kind)99;
	sim_fault_apply(&v, &f, S);
	cr_assert_eq(memcmp(&zero, &v.fs, sizeof(zero)), 0);
}

/* ---- the ledger ----------------------------------------------------------------- */

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 65536);

	cr_assert_not_null(f);
	cr_assert_not_null(buf);
	cr_assert_gt(fread(buf, 1, 65535, f), 0);
	fclose(f);
	return buf;
}

Test(fault, each_applied_fault_goes_to_the_ledger)
{
	char path[] = "/tmp/kimp-fault-ledger-XXXXXX";
	struct sim_fault f = mk(SIM_FAULT_DELAY);
	struct sim_exch x;
	struct sim_ledger *lg;
	char *text, *line;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	lg = sim_ledger_open(path);
	cr_assert_not_null(lg);
	memset(&x, 0, sizeof(x));
	x.ledger = lg;
	v.x = &x;

	f.duration_ns = 5 * S;
	f.delay_ns = 250000000;
	f.at_ns = 12 * S;
	sim_fault_apply(&v, &f, 1700000000 * S);
	f = mk(SIM_FAULT_CLOCK_SKEW);
	f.skew_ms = -1500;
	sim_fault_apply(&v, &f, 1700000001 * S);
	f = mk(SIM_FAULT_NONE);
	sim_fault_apply(&v, &f, 1700000002 * S);
	sim_ledger_close(lg);

	text = slurp(path);
	line = strstr(text, "\"ev\":\"fault\"");
	cr_assert_not_null(line, "%s", text);
	cr_assert_not_null(strstr(line, "\"venue\":\"binance\",\"kind\":\"delay\",\"at_ns\":"
				  "12000000000,\"now_ns\":1700000000000000000,\"duration_ns\":"
				  "5000000000,\"delay_ns\":250000000,\"count\":0,\"skew_ms\":0}"),
			  "%s", text);
	line = strstr(line + 1, "\"ev\":\"fault\"");
	cr_assert_not_null(line, "%s", text);
	cr_assert_not_null(strstr(line, "\"kind\":\"clock_skew\""), "%s", text);
	cr_assert_not_null(strstr(line, "\"skew_ms\":-1500}"), "%s", text);
	cr_assert_null(strstr(line + 1, "\"ev\":\"fault\""), "NONE is not logged: %s", text);
	free(text);
	unlink(path);
}

Test(fault, no_exchange_or_no_ledger_is_fine)
{
	struct sim_fault f = mk(SIM_FAULT_GAP);
	struct sim_exch x;

	f.count = 1;
	sim_fault_apply(&v, &f, 0);     /* v.x NULL */
	memset(&x, 0, sizeof(x));
	v.x = &x;
	sim_fault_apply(&v, &f, 0);     /* x.ledger NULL */
	cr_assert_eq(v.fs.gap, 2);
}
