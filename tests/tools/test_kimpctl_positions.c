/* SPDX-License-Identifier: MIT */
/*
 * kimpctl positions: riskd's PnL, cash and positions (a part of `risk`, the
 * same code), text and JSON, on a hand-built riskd segment.
 */
#include "segfix.h"

static struct fx x;

static void setup(void)
{
	fx_init(&x);
}

static void teardown(void)
{
	fx_fini(&x);
}

TestSuite(kimpctl_positions, .init = setup, .fini = teardown);

Test(kimpctl_positions, text_is_a_part_of_risk)
{
	fx_risk(&x);
	FX_RUN(&x, "positions", x.risk);
	ctl_assert_status(x.r, 0);
	squeeze(x.r.out);
	assert_has(x.r.out, "riskd positions: segment ");
	assert_has(x.r.out, "mode running\n");
	assert_has(x.r.out, "total 12345\n");
	assert_has(x.r.out, "realized 10000\n");
	assert_has(x.r.out, "cash 7000000\n");
	assert_has(x.r.out, "BTC 1.5 ");
	/* not in positions: risk's counters and ids */
	assert_lacks(x.r.out, "intents");
	assert_lacks(x.r.out, "next_client_oid");
}

Test(kimpctl_positions, json)
{
	fx_risk(&x);
	FX_RUN(&x, "positions", x.risk, "--json");
	ctl_assert_status(x.r, 0);
	assert_json(x.r.out);
	compact(x.r.out);
	assert_has(x.r.out, "\"mode\":\"running\"");
	assert_has(x.r.out, "\"total\":\"12345\"");
	assert_has(x.r.out, "\"venue\":\"upbit\"");
	assert_has(x.r.out, "\"coin\":\"BTC\",\"inst\":1,\"hold\":\"1.5\"");
	assert_has(x.r.out, "\"open_orders\":2");
	assert_lacks(x.r.out, "\"intents\"");
}

Test(kimpctl_positions, errors)
{
	FX_RUN(&x, "positions", x.risk);
	ctl_assert_status(x.r, 1);
	assert_has(x.r.err, "kimpctl: positions: segment '");
	FX_RUN(&x, "positions", "--nope");
	ctl_assert_status(x.r, 2);
	FX_RUN(&x, "positions", "-h");
	ctl_assert_status(x.r, 0);
	assert_has(x.r.out, "positions [SEGMENT] [--json]");
}
