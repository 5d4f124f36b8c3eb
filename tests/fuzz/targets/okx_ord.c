/* SPDX-License-Identifier: MIT */
/*
 * libvenue/okx_ord.c: OKX's order-entry parsers (REST replies, the
 * orders-pending list, private WebSocket messages) on arbitrary bytes.
 * Input layout: tests/fuzz/fuzz_ord.h. The table and keys are OKX's own
 * (a passphrase, BTC-USDT...), set up here before fuzz_ord_one.
 */
#include "../fuzz_ord.h"

static struct fuzz_ord f;

static void okx_init(struct fuzz_ord *o)
{
	static const char secret[] = "fuzz-secret-0123456789abcdef";

	o->vo = &venue_ord_okx;
	venue_symtab_init(&o->tab, KIMP_VENUE_OKX);
	FUZZ_CHECK(venue_symtab_add(&o->tab, "BTC", "USDT", 2, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(&o->tab, "ETH", "USDT", 1, 4, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(&o->tab, "XRP", "USDT", 4, 0, 3) == 2);
	o->tab.sym[0].code = 1000000000;
	FUZZ_CHECK(o->vo->key_init(&o->keys, "fuzzAccessKey0123456789", secret,
				   sizeof(secret) - 1, "fuzzPass1") == 0);
	memset(&o->ctx, 0, sizeof(o->ctx));
	o->ctx.vo = o->vo;
	o->ctx.syms = &o->tab;
	o->ctx.keys = &o->keys;
	strcpy(o->ctx.prefix, "kimp");
	o->ctx.prefix_len = 4;
	o->ctx.now_ns = 1747385641636000000ll;
	o->ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!f.ready)
		okx_init(&f);
	return fuzz_ord_one(&f, &venue_ord_okx, data, size);
}
