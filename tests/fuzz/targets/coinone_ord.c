/* SPDX-License-Identifier: MIT */
/*
 * libvenue/coinone_ord.c: Coinone's order-entry parsers (REST replies of
 * every operation, the active-orders list, the private stream) on
 * arbitrary bytes. Input layout: tests/fuzz/fuzz_ord.h. The table is
 * Coinone's (KRW markets), set up here before fuzz_ord_one's own set-up.
 */
#include "../fuzz_ord.h"

static struct fuzz_ord f;

static void init(void)
{
	static const char secret[] = "fuzz-secret-0123456789abcdef";
	const struct venue_ord *vo = &venue_ord_coinone;

	f.vo = vo;
	venue_symtab_init(&f.tab, KIMP_VENUE_COINONE);
	FUZZ_CHECK(venue_symtab_add(&f.tab, "BTC", "KRW", 0, 8, 1) == 0);
	FUZZ_CHECK(venue_symtab_add(&f.tab, "XRP", "KRW", 1, 4, 2) == 1);
	FUZZ_CHECK(venue_symtab_add(&f.tab, "USDT", "KRW", 0, 2, 3) == 2);
	FUZZ_CHECK(venue_symtab_add(&f.tab, "ETH", "KRW", 8, 8, 4) == 3);
	FUZZ_CHECK(vo->key_init(&f.keys, "fuzzAccessKey0123456789", secret, sizeof(secret) - 1,
				NULL) == 0);
	memset(&f.ctx, 0, sizeof(f.ctx));
	f.ctx.vo = vo;
	f.ctx.syms = &f.tab;
	f.ctx.keys = &f.keys;
	strcpy(f.ctx.prefix, "kimp");
	f.ctx.prefix_len = 4;
	f.ctx.now_ns = 1747385641636000000ll;
	f.ctx.rng[0] = 0x9e3779b97f4a7c15ull;
	f.ctx.rng[1] = 0xbf58476d1ce4e5b9ull;
	f.ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!f.ready)
		init();
	return fuzz_ord_one(&f, &venue_ord_coinone, data, size);
}
