/* SPDX-License-Identifier: MIT */
/*
 * kimpctl orders on a hand-built orderd table: open orders first, then the
 * final ones; state names as orderd names them; client_oid a string in
 * JSON; the errors (no segment, no table, records of another size).
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

TestSuite(kimpctl_orders, .init = setup, .fini = teardown);

Test(kimpctl_orders, text_open_first)
{
	fx_orders(&x);
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 0);
	assert_has(x.r.out, "orderd orders: segment ");
	assert_has(squeeze(x.r.out), "open 1\n");
	assert_has(x.r.out, "final 1\n");
	assert_has(x.r.out, "1152921504606846981 upbit #1 buy ACKED 50 1 0 ");
	assert_has(x.r.out, "1152921504606846980 upbit #1 sell FILLED 50 1 1 ");
	cr_assert_lt(strstr(x.r.out, " ACKED 50"), strstr(x.r.out, " FILLED 50"));
	assert_has(x.r.out, "venue-oid-5");
	assert_has(x.r.out, "default (8 decimals)");
}

Test(kimpctl_orders, json)
{
	fx_orders(&x);
	FX_RUN(&x, "orders", x.ord, "--json");
	ctl_assert_status(x.r, 0);
	assert_json(x.r.out);
	compact(x.r.out);
	assert_has(x.r.out, "\"open\":1,\"final\":1");
	assert_has(x.r.out, "\"client_oid\":\"1152921504606846981\"");
	assert_has(x.r.out, "\"state\":\"ACKED\",\"open\":true");
	assert_has(x.r.out, "\"state\":\"FILLED\",\"open\":false");
	assert_has(x.r.out, "\"px\":\"50\"");
	assert_has(x.r.out, "\"reject\":null");
	cr_assert_lt(strstr(x.r.out, "ACKED"), strstr(x.r.out, "FILLED"));
}

Test(kimpctl_orders, scales_from_the_configuration)
{
	fx_orders(&x);
	fx_write_cfg(&x, "[venue.upbit]\npx_dec = 0\nqty_dec = 8\n[engine]\ncoins = BTC\n");
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 0);
	assert_has(x.r.out, "from the configuration");
	assert_has(squeeze(x.r.out), "BTC buy ACKED 5000000000 1 0");
}

Test(kimpctl_orders, bad_configuration_falls_back_to_default_scales)
{
	fx_orders(&x);
	fx_write_cfg(&x, "[venue.upbit]\npx_dec = banana\n");
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 0);
	assert_has(x.r.out, "default (8 decimals): ");
	assert_has(x.r.out, "engine.coins");
}

Test(kimpctl_orders, errors)
{
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 1);
	assert_has(x.r.err, "not found");

	/* a segment without a table */
	cr_assert_eq(shm_seg_create(&x.os, x.ord, 1 << 20, &x.env.o), 0);
	x.have_os = true;
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 1);
	assert_has(x.r.err, "has no order table (region 'table')");

	/* records of another size */
	struct shm_seqtab *t;
	cr_assert_eq(shm_seqtab_create(&x.os, KIMP_ORD_TABLE, 64, 4, &t), 0);
	FX_RUN(&x, "orders", x.ord);
	ctl_assert_status(x.r, 1);
	assert_has(x.r.err, "holds records of 64 bytes, an order is 192");

	FX_RUN(&x, "orders", "a", "b");
	ctl_assert_status(x.r, 2);
	FX_RUN(&x, "orders", "--bogus");
	ctl_assert_status(x.r, 2);
}

Test(kimpctl_orders, busy_record_is_counted_not_shown)
{
	fx_orders(&x);
	shm_seq_write_begin(shm_seqtab_lock(x.tab, 5));     /* a writer died in it */
	FX_RUN(&x, "orders", x.ord, "--json");
	ctl_assert_status(x.r, 0);
	compact(x.r.out);
	assert_has(x.r.out, "\"open\":0,\"final\":1,\"busy\":1");
}
